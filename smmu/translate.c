/* SPDX-License-Identifier: MIT */
/*
 * The translation pipeline and the transaction front end (IHI 0070 §3.1,
 * §3.9, §3.12, §4 of the facts sheet for the rules cited below).
 *
 *   SMMUEN/GBPA -> STE -> (S1DSS/SSID) CD -> TLB -> walk -> permissions
 *
 * Every stage either succeeds or fills an smmu_event; finish() is the one
 * place that turns an event into a response, a record and (for S=1) a
 * stalled transaction.
 *
 * Timing: the functional work is done when the transaction is presented
 * and accumulates the cycles of every step and memory access; the result
 * is delivered when the engine reaches start + latency, where start waits
 * for a free translation slot and the walk part waits for a walk slot.
 */
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"
#include "smmu/ste.h"
#include "smmu/walk.h"

#include <stdlib.h>
#include <string.h>

/* F_TLB_CONFLICT reason (IMPLEMENTATION DEFINED, §7.3.17) */
#define TLB_CONFLICT_SIZES 1

struct stalled_txn {
	struct smmu_txn txn;
	smmu_txn_done_fn done;
	void *ctx;
	uint16_t stag;
	uint64_t submitted_at;
	struct stalled_txn *next;
};

struct inflight {
	struct smmu *smmu;
	struct smmu_txn txn;
	struct smmu_txn_result res;
	smmu_txn_done_fn done;
	void *ctx;
	struct inflight *prev, *next;
	sim_event_id ev;
};

/* Per-SMMU pipeline state, hung off struct smmu lazily. */
/*
 * The per-stream fast path (a host-speed shortcut, not an architectural
 * structure): for a (StreamID, SubstreamID, 4 KiB page) whose last
 * translation hit the configuration cache and the TLB, the pointers to
 * the STE, CD and TLB entry it used. While smmu->cache_epoch is unchanged
 * those entries are still cached and unchanged, so a repeat can skip the
 * lookups and make exactly the same state changes, counters and cycle
 * charges as the full pipeline would.
 */
#define XC_SIZE 64u

/* Index of the access kinds in xcache_ent.ok / .perm */
#define XC_KIND(write, instr, priv) \
	((unsigned)(write) | (unsigned)(instr) << 1 | (unsigned)(priv) << 2)

struct xcache_ent {
	uint64_t epoch;
	uint64_t page;
	uint32_t sid, ssid;
	bool ssv;
	/*
	 * Bit XC_KIND(write, instr, priv) of the incoming access: the
	 * pipeline would answer it from this TLB entry (0: the entry is
	 * unused). perm[] is what that answer grants.
	 */
	uint8_t ok;
	uint8_t perm[8];
	uint64_t oa_delta;            /* output minus input address */
	const struct ste_cfg *ste;
	const struct cd_cfg *cd;      /* NULL: stage 1 disabled */
	size_t tlb;                   /* tlb_index() of the TLB entry */
};

/*
 * The per-stream configuration shortcut (host speed only, like the fast
 * path, and off with it: smmu->no_fast_path): for a (StreamID,
 * SubstreamID) whose last translation found its STE and CD in the
 * configuration cache, those entries. While cfgcache_gen() is unchanged
 * the same lookups would find the same entries, so a translation can
 * make their cache touches, counter updates and cycle charges without
 * searching.
 */
#define SC_SIZE 16u

struct sc_ent {
	uint64_t gen;
	uint32_t sid, ssid;
	bool ssv;
	uint8_t ssidsize;             /* impl.ssidsize, which cd_r depends on */
	int8_t cd_r;                  /* cd_lookup_ref(): 1 CD, 0 bypass */
	const struct ste_cfg *ste;    /* NULL: the entry is unused */
	const struct cd_cfg *cd;      /* when cd_r = 1 */
	/* The walk regimes, prepared on first use: cd->tt[0], cd->tt[1]
	 * and ste->s2 (bits 0, 1, 2 of `prepared`). */
	uint8_t prepared;
	struct walk_prep prep[3];
};

struct translate_state {
	struct xcache_ent xc[XC_SIZE];
	struct sc_ent sc[SC_SIZE];
	struct stalled_txn *stalled;
	uint32_t nstalled;
	uint16_t next_stag;
	struct inflight *inflight;
	struct inflight *free_inflight; /* recycled delivery records */
};

static struct translate_state *tstate(struct smmu *smmu)
{
	if (!smmu->translate)
		smmu->translate = calloc(1, sizeof(struct translate_state));
	return smmu->translate;
}

/* Cycle costs accumulated while translating, split so that the walk part
 * can wait for a walk slot. */
struct cost {
	uint64_t pre;   /* before the walk: config, TLB */
	uint64_t walk;  /* page-table walk (0 on a TLB hit) */
	uint64_t post;  /* permission check, event write */
};

struct ctx {
	struct smmu *smmu;
	const struct smmu_txn *txn;
	struct access acc;
	struct smmu_event ev;
	struct smmu_txn_result *res; /* the caller's, filled in place */
	struct cost cost;
};

/* --- the epilogue -------------------------------------------------- */

/* The permissions a translation grants a requester of this privilege. */
static uint8_t granted(const struct walk_result *r, bool priv)
{
	bool rd = priv ? r->pr : r->ur, wr = priv ? r->pw : r->uw;
	bool ex = priv ? r->px : r->ux;

	return (rd ? SMMU_PERM_R : 0) | (wr ? SMMU_PERM_W : 0) |
	       (ex ? SMMU_PERM_X : 0);
}

static bool is_translation_fault(uint8_t id)
{
	return id == EVT_F_TRANSLATION || id == EVT_F_ADDR_SIZE ||
	       id == EVT_F_ACCESS || id == EVT_F_PERMISSION;
}

static void fill_event_common(struct ctx *c)
{
	c->ev.sid = c->txn->sid;
	c->ev.ssv = c->txn->ssv;
	c->ev.ssid = c->txn->ssv ? c->txn->ssid : 0;
	/* C_BAD_SUBSTREAMID always carries the SubstreamID (§7.3.8). */
	if (c->ev.id == EVT_C_BAD_SUBSTREAMID) {
		c->ev.ssid = c->txn->ssid;
		c->ev.ssv = c->txn->ssv;
	}
	c->ev.rnw = !c->acc.write;
	c->ev.ind = c->acc.instr && !c->acc.write;
	c->ev.pnu = c->acc.priv;
	c->ev.input_addr = c->txn->addr;
}

static bool stall_queue(struct ctx *c, smmu_txn_done_fn done, void *ctx);

/*
 * Finish a faulting transaction: pick abort / RAZ-WI / stall from the
 * fault configuration the failing stage chose (facts §4.6), and record.
 * Configuration errors always abort and record (C_BAD_STREAMID only with
 * CR2.RECINVSID, §6.3.12).
 */
static void finish_fault(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	uint64_t t = 0;

	fill_event_common(c);
	c->res->event_id = c->ev.id;
	if (!is_translation_fault(c->ev.id)) {
		c->ev.record = true;
		c->ev.terminate_razwi = false;
		c->ev.want_stall = false;
		if (c->ev.id == EVT_C_BAD_STREAMID &&
		    !rget(smmu_cr2(smmu), CR2_RECINVSID))
			c->ev.record = false;
	}
	c->res->resp = c->ev.terminate_razwi ? SMMU_RESP_RAZWI : SMMU_RESP_ABORT;
	if (c->ev.record && !c->ev.want_stall) {
		c->res->event_recorded = evtq_record(smmu, &c->ev, &t);
		if (!c->res->event_recorded)
			smmu->stats.events_dropped++;
		c->cost.post += t;
	}
}

/* --- pipeline stages ----------------------------------------------- */

/* SMMUEN=0: GBPA decides bypass or abort, no events (§6.3.14). */
static void translate_disabled(struct ctx *c)
{
	uint32_t gbpa = smmu_gbpa(c->smmu);
	unsigned oas = smmu_oas_bits(c->smmu->impl.oas);

	if (rget(gbpa, GBPA_ABORT) || (c->txn->addr >> oas) != 0) {
		c->res->resp = SMMU_RESP_ABORT;
		return;
	}
	c->res->resp = SMMU_RESP_OK;
	c->res->oa = c->txn->addr;
}

/* STE INSTCFG / PRIVCFG overrides of the incoming attributes (§13.x). */
static void overridden_access(const struct smmu_txn *txn,
			      const struct ste_cfg *ste, struct access *acc)
{
	acc->write = txn->write;
	acc->instr = txn->instr && !txn->write;
	acc->priv = txn->priv;
	if (ste->instcfg == 2)
		acc->instr = false;
	else if (ste->instcfg == 3 && !acc->write)
		acc->instr = true;
	if (ste->privcfg == 2)
		acc->priv = false;
	else if (ste->privcfg == 3)
		acc->priv = true;
}

static void apply_overrides(struct ctx *c, const struct ste_cfg *ste)
{
	overridden_access(c->txn, ste, &c->acc);
}

static struct xcache_ent *xc_slot(struct translate_state *ts,
				  const struct smmu_txn *txn)
{
	uint32_t h = (uint32_t)(txn->addr >> 12) ^ txn->sid * 0x9E3779B1u ^
		     txn->ssid * 0x85EBCA77u;

	return &ts->xc[(h ^ (h >> 6)) & (XC_SIZE - 1)];
}

/*
 * Remember a translation that hit both caches (see struct xcache_ent),
 * with the outcome of every access kind the TLB-hit path would give:
 * STE overrides, a write to a writable-clean page (walks), the
 * permission check (a fault walks) and what a success grants. An
 * instruction fetch that writes is F_UUT, never served here.
 */
static void xc_record(struct smmu *smmu, const struct smmu_txn *txn,
		      const struct ste_cfg *ste, const struct cd_cfg *cd,
		      const struct tlb_entry *tlb)
{
	struct translate_state *ts = tstate(smmu);

	if (!ts)
		return;
	struct xcache_ent *x = xc_slot(ts, txn);

	x->ok = 0;
	for (unsigned k = 0; k < 8; k++) {
		struct smmu_txn t = {
			.write = k & 1,
			.instr = (k >> 1) & 1,
			.priv = (k >> 2) & 1,
		};
		struct access acc;

		if (t.instr && t.write)
			continue;
		overridden_access(&t, ste, &acc);
		x->perm[k] = granted(&tlb->res, acc.priv);
		if (!(acc.write && tlb->res.write_needs_walk) &&
		    walk_permits(&tlb->res, &acc))
			x->ok |= (uint8_t)(1u << k);
	}
	x->epoch = smmu->cache_epoch;
	x->page = txn->addr >> 12;
	x->sid = txn->sid;
	x->ssv = txn->ssv;
	x->ssid = txn->ssv ? txn->ssid : 0;
	x->oa_delta = tlb->res.oa - tlb->ia;
	x->ste = ste;
	x->cd = cd;
	x->tlb = tlb_index(smmu, tlb);
}

static struct sc_ent *sc_slot(struct translate_state *ts,
			      const struct smmu_txn *txn)
{
	uint32_t h = txn->sid ^ (txn->ssv ? txn->ssid * 0x9E3779B1u : 0);

	return &ts->sc[(h ^ (h >> 4)) & (SC_SIZE - 1)];
}

/* The shortcut entry for txn's stream, if valid now. */
static struct sc_ent *sc_find(struct smmu *smmu, const struct smmu_txn *txn)
{
	struct translate_state *ts = smmu->translate;
	struct sc_ent *e;

	if (!ts || smmu->no_fast_path)
		return NULL;
	e = sc_slot(ts, txn);
	if (!e->ste || e->gen != cfgcache_gen(smmu) || e->sid != txn->sid ||
	    e->ssv != txn->ssv || (txn->ssv && e->ssid != txn->ssid) ||
	    e->ssidsize != smmu->impl.ssidsize)
		return NULL;
	return e;
}

static void sc_record(struct smmu *smmu, const struct smmu_txn *txn,
		      const struct ste_cfg *ste, int cd_r,
		      const struct cd_cfg *cd)
{
	struct translate_state *ts = tstate(smmu);
	struct sc_ent *e;

	if (!ts)
		return;
	e = sc_slot(ts, txn);
	e->gen = cfgcache_gen(smmu);
	e->sid = txn->sid;
	e->ssv = txn->ssv;
	e->ssid = txn->ssv ? txn->ssid : 0;
	e->ssidsize = smmu->impl.ssidsize;
	e->cd_r = (int8_t)cd_r;
	e->ste = ste;
	e->cd = cd;
	e->prepared = 0;
}

/*
 * Walk s1 (NULL, or one of the shortcut's CD regimes) and s2 (NULL or
 * its STE's), with the shortcut's prepared regimes when there is one.
 */
static inline bool sc_walk(struct smmu *smmu, struct sc_ent *sc,
			   const struct walk_regime *s1,
			   const struct walk_regime *s2, uint64_t ia,
			   const struct access *acc, struct walk_result *out,
			   struct smmu_event *ev, uint64_t *cycles)
{
	const struct walk_regime *nested_s2 = s1 ? s2 : NULL;
	unsigned i1 = 0;

	if (!sc || (!s1 && !s2))
		return walk_translate(smmu, s1, s2, ia, acc, out, ev, cycles);
	if (s1) {
		i1 = s1 == &sc->cd->tt[1];
		if (!(sc->prepared & (1u << i1))) {
			walk_prepare(smmu, s1, nested_s2, &sc->prep[i1]);
			sc->prepared |= (uint8_t)(1u << i1);
		}
	}
	/* stage 2 is prepared for walks with or without stage 1 */
	if (s2 && !(sc->prepared & 4u)) {
		walk_prepare(smmu, s2, nested_s2, &sc->prep[2]);
		sc->prepared |= 4u;
	}
	return walk_translate_prep(smmu, s1 ? &sc->prep[i1] : NULL,
				   s2 ? &sc->prep[2] : NULL, ia, acc, out, ev,
				   cycles);
}

/* Choose TTB0/TTB1 for a stage-1 VA (§3.4.1, facts §4.5). */
static const struct walk_regime *pick_ttb(const struct cd_cfg *cd,
					  uint64_t va)
{
	return ((va >> 55) & 1) ? &cd->tt[1] : &cd->tt[0];
}

/*
 * Translation-class faults (F_TRANSLATION, F_ADDR_SIZE, F_ACCESS,
 * F_PERMISSION) end as the faulting stage's configuration says (§3.12,
 * facts §4.6): stage 1 by CD.A/R/S, stage 2 (including stage-2 faults of
 * CD and table fetches) by STE.S2R/S2S with A fixed at 1. Stage-1 faults
 * without a CD (bypass address-size checks) always abort and record.
 */
static void apply_fault_config(struct ctx *c, const struct ste_cfg *ste,
			       const struct cd_cfg *cd)
{
	if (!is_translation_fault(c->ev.id))
		return;
	if (c->ev.s2) {
		c->ev.record = ste->s2r || ste->s2s;
		c->ev.want_stall = ste->s2s;
		c->ev.terminate_razwi = false;
	} else if (cd) {
		c->ev.record = cd->r || cd->s;
		c->ev.want_stall = cd->s;
		c->ev.terminate_razwi = !cd->a && !cd->s;
	} else {
		c->ev.record = true;
	}
}

static void translate_enabled(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	const struct smmu_txn *txn = c->txn;
	struct ste_cfg ste_scratch;
	const struct ste_cfg *ste;
	struct cd_cfg cd_scratch;
	const struct cd_cfg *cd = NULL;
	const struct walk_regime *s1 = NULL, *s2 = NULL;
	struct sc_ent *sc = sc_find(smmu, txn);
	uint64_t t = 0;

	/* ste points into the configuration cache, pinned there for this
	 * translation, or at ste_scratch. The shortcut repeats a cache hit
	 * of ste_lookup_ref(). */
	if (sc) {
		ste = sc->ste;
		t += smmu->impl.lat.cfg_lookup;
		cfgcache_touch_ste(smmu, ste);
		smmu->stats.cfg_hits++;
	} else {
		ste = ste_lookup_ref(smmu, txn->sid, &ste_scratch, &c->ev, &t);
	}
	if (!ste) {
		c->cost.pre += t;
		finish_fault(c);
		return;
	}
	c->cost.pre += t;
	c->ev.mev = ste->mev; /* §7.3.1: merging allowed for this stream */
	apply_overrides(c, ste);
	if (ste->abort) { /* Config 0b0xx: silent abort (§5.2 Config) */
		c->res->resp = SMMU_RESP_ABORT;
		return;
	}
	if (txn->ssv && !ste->s1_en) { /* facts §3.3 */
		c->ev.id = EVT_C_BAD_SUBSTREAMID;
		finish_fault(c);
		return;
	}
	if (ste->s1_en) {
		int r;

		t = 0;
		/* cd points into the configuration cache (or at cd_scratch):
		 * nothing below changes that cache. The shortcut repeats a
		 * cache hit of cd_lookup_ref(), or its S1DSS bypass. */
		if (sc) {
			r = sc->cd_r;
			if (r > 0) {
				cd = sc->cd;
				t += smmu->impl.lat.cfg_lookup;
				cfgcache_touch_cd(smmu, cd);
				smmu->stats.cfg_hits++;
			}
		} else {
			r = cd_lookup_ref(smmu, txn->sid, ste, txn->ssv,
					  txn->ssid, &cd_scratch, &cd, &c->ev,
					  &t);
		}
		c->cost.pre += t;
		if (r < 0) {
			apply_fault_config(c, ste, NULL);
			finish_fault(c);
			return;
		}
		if (!sc && ste != &ste_scratch && (r == 0 || cd != &cd_scratch))
			sc_record(smmu, txn, ste, r, cd);
		if (r > 0)
			s1 = pick_ttb(cd, txn->addr);
	} else if (!sc && ste != &ste_scratch) {
		sc_record(smmu, txn, ste, 0, NULL);
	}
	if (ste->s2_en)
		s2 = &ste->s2;

	/* Stage 1 bypassed (Config=1x0, or S1DSS=01): an input address
	 * beyond the IAS is a stage-1 address size fault (§3.4.2; with
	 * AArch64-only tables IAS = OAS). */
	unsigned ias = smmu_oas_bits(smmu->impl.oas);

	if (!s1 && (txn->addr >> ias) != 0) {
		c->ev.id = EVT_F_ADDR_SIZE;
		c->ev.class_ = EVT_CLASS_IN;
		c->ev.record = true;
		finish_fault(c);
		return;
	}
	if (!s1 && !s2) {
		c->res->resp = SMMU_RESP_OK;
		c->res->oa = txn->addr;
		c->res->perm = SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X;
		return;
	}

	struct tlb_tag tag = {
		.world = (uint8_t)ste->world,
		.s1 = s1 != NULL,
		.s2 = s2 != NULL,
		.vmid = smmu->impl.s2p ? ste->s2.vmid : 0,
		.asid = s1 ? cd->asid : 0,
	};
	struct tlb_entry te;
	struct walk_result wr;
	const struct tlb_entry *hit;

	c->cost.pre += smmu->impl.lat.tlb_lookup;
	hit = tlb_active(smmu) ? tlb_lookup_ref(smmu, &tag, txn->addr) : NULL;
	/*
	 * §3.21.1, §7.3.17: with break-before-make level 0 or 1, a
	 * multi-match left by a size change without break-before-make is
	 * reported (Reason 1: entries of two sizes match). Level 2 resolves
	 * it: the smallest entry, found first, is used.
	 */
	if (hit && smmu->impl.bbml < 2 &&
	    tlb_conflict(smmu, &tag, txn->addr, hit)) {
		c->ev.id = EVT_F_TLB_CONFLICT;
		c->ev.reason = TLB_CONFLICT_SIZES;
		c->ev.s2 = s2 != NULL;
		c->ev.ipa = s2 ? hit->res.ipa + (txn->addr - hit->ia) : 0;
		finish_fault(c);
		return;
	}
	if (hit && !(c->acc.write && hit->res.write_needs_walk)) {
		smmu->stats.tlb_hits++;
		c->cost.post += smmu->impl.lat.perm_check;
		if (walk_permits(&hit->res, &c->acc)) {
			c->res->resp = SMMU_RESP_OK;
			c->res->oa = hit->res.oa + (txn->addr - hit->ia);
			c->res->perm = granted(&hit->res, c->acc.priv);
			if (ste != &ste_scratch &&
			    (cd ? cd != &cd_scratch : !ste->s1_en))
				xc_record(smmu, txn, ste, cd, hit);
			return;
		}
		{
			/* A cached permission-faulting entry (§3.6): report it
			 * as the walk would have. */
			t = 0;
			if (!sc_walk(smmu, sc, s1, s2, txn->addr, &c->acc,
				     &wr, &c->ev, &t)) {
				c->cost.walk += t;
				goto fault;
			}
			c->cost.walk += t;
		}
	} else {
		smmu->stats.tlb_misses++;
		smmu->stats.walks++;
		t = 0;
		if (!sc_walk(smmu, sc, s1, s2, txn->addr, &c->acc, &wr,
			     &c->ev, &t)) {
			c->cost.walk += t;
			goto fault;
		}
		c->cost.walk += t;
		c->cost.post += smmu->impl.lat.perm_check;
		if (tlb_active(smmu)) {
			memset(&te, 0, sizeof(te));
			te.tag = tag;
			te.global = !wr.ng;
			te.size_shift = wr.size_shift;
			te.ia = txn->addr & ~bits_mask(wr.size_shift);
			te.level = wr.level;
			te.granule_shift = s1 ? s1->granule_shift
					      : s2->granule_shift;
			te.res = wr;
			te.res.oa = wr.oa & ~bits_mask(wr.size_shift);
			tlb_insert(smmu, &te);
		}
	}
	c->res->resp = SMMU_RESP_OK;
	c->res->oa = wr.oa;
	c->res->perm = granted(&wr, c->acc.priv);
	return;

fault:
	apply_fault_config(c, ste, s1 ? cd : NULL);
	finish_fault(c);
}

/* --- ATS (§3.9; facts §8) ------------------------------------------- */

/* The Smallest Translation Unit: the smallest granule (§3.9.1). */
static uint8_t ats_stu(const struct smmu *smmu)
{
	return smmu->impl.gran4k ? 12 : smmu->impl.gran16k ? 14 : 16;
}

/* CR2.REC_CFG_ATS: record configuration errors of ATS requests. */
static bool rec_cfg_ats(struct smmu *smmu)
{
	return smmu->impl.atsrecerr &&
	       rget(smmu_cr2(smmu), CR2_REC_CFG_ATS);
}

/*
 * An ATS request ends in a configuration error (§3.9.1.1, table of
 * TR outcomes): Completer Abort, and a record only with REC_CFG_ATS (and
 * RECINVSID for C_BAD_STREAMID).
 */
static void ats_config_error(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	uint64_t t = 0;

	fill_event_common(c);
	c->res->event_id = c->ev.id;
	c->res->resp = SMMU_RESP_CA;
	if (rec_cfg_ats(smmu) &&
	    (c->ev.id != EVT_C_BAD_STREAMID ||
	     rget(smmu_cr2(smmu), CR2_RECINVSID))) {
		c->res->event_recorded = evtq_record(smmu, &c->ev, &t);
		c->cost.post += t;
	}
}

/* A recorded ATS refusal: F_BAD_ATS_TREQ with UR, F_TRANSL_FORBIDDEN
 * with an abort. */
static void ats_refuse(struct ctx *c, uint8_t id)
{
	c->ev.id = id;
	finish_fault(c);
	c->res->resp = id == EVT_F_BAD_ATS_TREQ ? SMMU_RESP_UR
						: SMMU_RESP_ABORT;
}

/* A Translation Completion granting nothing (translation-class faults:
 * the device then uses PRI or gives up, §3.9.1.2). */
static void ats_grant_none(struct ctx *c)
{
	c->res->resp = SMMU_RESP_OK;
	c->res->ats_size_shift = ats_stu(c->smmu);
	c->res->oa = 0;
	c->ev.id = EVT_NONE;
}

/*
 * An ATS Translation Request: translate through every stage the STE
 * enables (EATS=01) or through stage 1 only (EATS=10, split stage), and
 * answer with a Translation Completion. Faults are not recorded: the
 * completion carries the outcome (facts §8.3).
 */
static void ats_treq(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	const struct smmu_txn *txn = c->txn;
	struct ste_cfg ste_scratch;
	struct cd_cfg cd_scratch;
	const struct ste_cfg *ste;
	const struct cd_cfg *cd = NULL;
	const struct walk_regime *s1 = NULL, *s2 = NULL;
	struct walk_result wr;
	struct smmu_txn req = *txn;
	uint64_t t = 0;

	if (!smmu_enabled(smmu)) {
		ats_refuse(c, EVT_F_BAD_ATS_TREQ);
		return;
	}
	ste = ste_lookup_ref(smmu, txn->sid, &ste_scratch, &c->ev, &t);
	c->cost.pre += t;
	if (!ste) {
		ats_config_error(c);
		return;
	}
	if (ste->abort) { /* Config=000: UR, no event */
		c->res->resp = SMMU_RESP_UR;
		return;
	}
	if (ste->bypass || ste->eats == EATS_OFF) {
		ats_refuse(c, EVT_F_BAD_ATS_TREQ);
		return;
	}
	/* A TR always reads; without a PASID it is a data, unprivileged
	 * request, subject to the STE overrides (§3.9.1). */
	req.write = false;
	if (!txn->ssv) {
		req.instr = false;
		req.priv = false;
	}
	overridden_access(&req, ste, &c->acc);
	if (txn->ssv && !ste->s1_en) {
		c->ev.id = EVT_C_BAD_SUBSTREAMID;
		ats_config_error(c);
		return;
	}
	if (ste->s1_en) {
		t = 0;
		int r = cd_lookup_ref(smmu, txn->sid, ste, txn->ssv, txn->ssid,
				      &cd_scratch, &cd, &c->ev, &t);

		c->cost.pre += t;
		if (r < 0) {
			if (is_translation_fault(c->ev.id))
				ats_grant_none(c);
			else
				ats_config_error(c);
			return;
		}
		if (r > 0)
			s1 = pick_ttb(cd, txn->addr);
	}
	if (ste->s2_en && ste->eats != EATS_SPLIT)
		s2 = &ste->s2;
	if (!s1 && !s2) {
		/* stage 1 skipped by S1DSS, no stage 2: identity (§3.9.1) */
		c->res->resp = SMMU_RESP_OK;
		c->res->oa = txn->addr;
		c->res->ats_r = c->res->ats_w = true;
		c->res->ats_size_shift = ats_stu(smmu);
		return;
	}
	t = 0;
	bool ok = walk_translate(smmu, s1, s2, txn->addr, &c->acc, &wr,
				 &c->ev, &t);

	c->cost.walk += t;
	c->cost.post += smmu->impl.lat.perm_check;
	if (!ok) {
		if (is_translation_fault(c->ev.id))
			ats_grant_none(c);
		else
			ats_config_error(c); /* F_WALK_EABT and the like */
		return;
	}
	bool priv = c->acc.priv;
	bool w = !txn->no_write && (priv ? wr.pw : wr.uw);

	/* Writable-clean with hardware dirty management: granting W marks
	 * the page dirty, which takes a write walk (§3.13.3). */
	if (w && wr.write_needs_walk) {
		struct access wacc = c->acc;
		struct walk_result wr2;
		struct smmu_event ev2 = { 0 };

		wacc.write = true;
		wacc.instr = false;
		t = 0;
		w = walk_translate(smmu, s1, s2, txn->addr, &wacc, &wr2, &ev2,
				   &t);
		c->cost.walk += t;
	}
	c->res->resp = SMMU_RESP_OK;
	c->res->oa = wr.oa;
	c->res->ats_r = true;
	c->res->ats_w = w;
	c->res->ats_x = req.instr && (priv ? wr.px : wr.ux);
	c->res->ats_priv = txn->ssv && priv;
	c->res->ats_u = false;
	c->res->ats_size_shift = wr.size_shift;
}

/*
 * A Translated transaction: its address is already a PA (or, with
 * split-stage ATS, an IPA for stage 2). §3.9.2, facts §8.4.
 */
static void ats_translated(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	const struct smmu_txn *txn = c->txn;
	struct ste_cfg ste_scratch;
	const struct ste_cfg *ste;
	unsigned oas = smmu_oas_bits(smmu->impl.oas);
	uint64_t t = 0;

	if (!smmu_enabled(smmu)) {
		ats_refuse(c, EVT_F_TRANSL_FORBIDDEN);
		return;
	}
	if (!smmu_atschk(smmu)) {
		/* ATSCHK=0: no STE check; beyond the PA size: abort */
		c->res->resp = (txn->addr >> oas) ? SMMU_RESP_ABORT
						  : SMMU_RESP_OK;
		c->res->oa = txn->addr;
		c->res->perm = SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X;
		return;
	}
	ste = ste_lookup_ref(smmu, txn->sid, &ste_scratch, &c->ev, &t);
	c->cost.pre += t;
	if (!ste) {
		finish_fault(c);
		return;
	}
	overridden_access(txn, ste, &c->acc);
	if (ste->abort) {
		c->res->resp = SMMU_RESP_ABORT;
		return;
	}
	if (ste->bypass || ste->eats == EATS_OFF) {
		ats_refuse(c, EVT_F_TRANSL_FORBIDDEN);
		return;
	}
	if (ste->eats == EATS_SPLIT) {
		struct walk_result wr;

		t = 0;
		if (!walk_translate(smmu, NULL, &ste->s2, txn->addr, &c->acc,
				    &wr, &c->ev, &t)) {
			c->cost.walk += t;
			apply_fault_config(c, ste, NULL);
			finish_fault(c);
			return;
		}
		c->cost.walk += t;
		c->res->resp = SMMU_RESP_OK;
		c->res->oa = wr.oa;
		c->res->perm = granted(&wr, c->acc.priv);
		return;
	}
	c->res->resp = (txn->addr >> oas) ? SMMU_RESP_ABORT : SMMU_RESP_OK;
	c->res->oa = txn->addr;
	c->res->perm = SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X;
}

/* --- delivery ------------------------------------------------------ */

static void inflight_unlink(struct translate_state *ts, struct inflight *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		ts->inflight = f->next;
	if (f->next)
		f->next->prev = f->prev;
}

static void deliver(struct sim *sim, void *arg)
{
	struct inflight *f = arg;

	(void)sim;
	struct translate_state *ts = f->smmu->translate;

	inflight_unlink(ts, f);
	f->done(f->ctx, &f->txn, &f->res);
	f->next = ts->free_inflight;
	ts->free_inflight = f;
}

/* Charge the transaction's time against the resources and count it. */
static void complete_timing(struct ctx *c)
{
	struct smmu *smmu = c->smmu;
	uint64_t now = sim_now(smmu->sim);
	uint64_t walk_ready = now + c->cost.pre;
	uint64_t walk_start = walk_ready;

	if (c->cost.walk)
		walk_start = timing_acquire(smmu, RES_WALK, walk_ready,
					    c->cost.walk);
	uint64_t total = c->cost.pre + (walk_start - walk_ready) +
			 c->cost.walk + c->cost.post;
	uint64_t start = timing_acquire(smmu, RES_TRANSLATION, now, total);

	c->res->completed_at = start + total;
	switch (c->res->resp) {
	case SMMU_RESP_OK:
		smmu->stats.txn_ok++;
		break;
	case SMMU_RESP_RAZWI:
		smmu->stats.txn_razwi++;
		break;
	default:
		smmu->stats.txn_abort++;
		break;
	}
}

/* Deliver a computed response through `done` at its completion time. */
static void schedule_delivery(struct smmu *smmu, const struct smmu_txn *txn,
			      const struct smmu_txn_result *res,
			      smmu_txn_done_fn done, void *dctx)
{
	struct translate_state *ts = tstate(smmu);
	struct inflight *f;

	if (!ts)
		return;
	f = ts->free_inflight;
	if (f)
		ts->free_inflight = f->next;
	else
		f = malloc(sizeof(*f));
	if (!f)
		return;
	f->smmu = smmu;
	f->txn = *txn;
	f->res = *res;
	f->done = done;
	f->ctx = dctx;
	f->prev = NULL;
	f->next = ts->inflight;
	if (f->next)
		f->next->prev = f;
	ts->inflight = f;
	f->ev = sim_schedule_at(smmu->sim, res->completed_at, deliver, f);
}

/*
 * F_UUT reasons (IMPLEMENTATION DEFINED, §7.3.2; docs/events.md):
 *   1  zero-length access, or one that crosses a 4 KiB boundary (no PCIe
 *      or AXI master may issue it)
 *   2  an ATS Translation Request or Translated transaction on an SMMU
 *      without ATS (IDR0.ATS = 0)
 *   3  an instruction fetch that writes
 */
enum {
	UUT_BAD_SIZE = 1,
	UUT_NO_ATS = 2,
	UUT_INSTR_WRITE = 3,
};

static uint8_t uut_reason(const struct smmu *smmu, const struct smmu_txn *t)
{
	if (t->len == 0 || ((t->addr & 0xFFF) + t->len) > 0x1000)
		return UUT_BAD_SIZE;
	if (t->kind != SMMU_TXN_UNTRANSLATED && !smmu->impl.ats)
		return UUT_NO_ATS;
	if (t->instr && t->write)
		return UUT_INSTR_WRITE;
	return 0;
}

/*
 * The fast path: a repeat of a translation recorded by xc_record(). Makes
 * the same cache touches, counter updates and cycle charges as the full
 * pipeline's hit path (cfg_lookup per configuration lookup, tlb_lookup,
 * perm_check, then complete_timing() without a walk); anything else (a
 * permission miss, a write to a writable-clean page, a changed cache)
 * falls back to the pipeline.
 */
static inline bool fast_path(struct smmu *smmu, const struct smmu_txn *txn,
			     struct smmu_txn_result *res,
			     uint64_t submitted_at, bool was_stalled)
{
	struct translate_state *ts = smmu->translate;
	const struct xcache_ent *x;
	unsigned k = XC_KIND(txn->write, txn->instr, txn->priv);

	if (!ts || txn->kind != SMMU_TXN_UNTRANSLATED || smmu->no_fast_path)
		return false;
	x = xc_slot(ts, txn);
	/* the checks of uut_reason() that ok[] does not cover */
	if (!((x->ok >> k) & 1) || x->epoch != smmu->cache_epoch ||
	    x->page != txn->addr >> 12 || x->sid != txn->sid ||
	    x->ssv != txn->ssv || (txn->ssv && x->ssid != txn->ssid) ||
	    txn->len == 0 || ((txn->addr & 0xFFF) + txn->len) > 0x1000 ||
	    !smmu_enabled(smmu))
		return false;

	const struct smmu_latency *lat = &smmu->impl.lat;
	uint64_t now = sim_now(smmu->sim);
	uint64_t total = (uint64_t)lat->cfg_lookup * (x->cd ? 2u : 1u) +
			 lat->tlb_lookup + lat->perm_check;

	smmu->stats.txns++;
	cfgcache_touch_both(smmu, x->ste, x->cd);
	smmu->stats.cfg_hits += x->cd ? 2u : 1u;
	tlb_touch_index(smmu, x->tlb);
	smmu->stats.tlb_hits++;
	memset(res, 0, sizeof(*res));
	res->submitted_at = submitted_at;
	res->stalled = was_stalled;
	res->resp = SMMU_RESP_OK;
	res->oa = txn->addr + x->oa_delta;
	res->perm = x->perm[k];
	res->completed_at = timing_acquire(smmu, RES_TRANSLATION, now,
					   total) + total;
	smmu->stats.txn_ok++;
	return true;
}

/*
 * Translate `txn` now through the whole pipeline. Returns true with *res
 * filled (its completed_at says when the response leaves the SMMU), or
 * false if the transaction stalled: its response is then delivered
 * through done() once software resumes or terminates it.
 */
static bool run(struct smmu *smmu, const struct smmu_txn *txn,
		smmu_txn_done_fn done, void *dctx, uint64_t submitted_at,
		bool was_stalled, struct smmu_txn_result *res)
{
	struct ctx c;

	c.smmu = smmu;
	c.txn = txn;
	memset(&c.ev, 0, sizeof(c.ev));
	memset(res, 0, sizeof(*res));
	memset(&c.cost, 0, sizeof(c.cost));
	c.res = res;
	c.res->submitted_at = submitted_at;
	c.res->stalled = was_stalled;
	c.acc.write = txn->write;
	c.acc.instr = txn->instr && !txn->write;
	c.acc.priv = txn->priv;
	smmu->stats.txns++;

	c.ev.reason = uut_reason(smmu, txn);
	if (c.ev.reason) {
		/* F_UUT is recorded whatever SMMUEN says (§7.3.2). */
		c.ev.id = EVT_F_UUT;
		finish_fault(&c);
	} else if (txn->kind == SMMU_TXN_ATS_TREQ) {
		ats_treq(&c);
	} else if (txn->kind == SMMU_TXN_TRANSLATED) {
		ats_translated(&c);
	} else if (!smmu_enabled(smmu)) {
		translate_disabled(&c);
	} else {
		translate_enabled(&c);
	}

	if (c.ev.want_stall && c.res->resp != SMMU_RESP_OK) {
		if (stall_queue(&c, done, dctx))
			return false;
		/* STALL_MAX transactions already stalled: terminate it with
		 * an abort and record the fault without Stall (§3.12.2). */
		uint64_t t = 0;

		c.ev.want_stall = false;
		c.res->event_recorded = evtq_record(smmu, &c.ev, &t);
		c.cost.post += t;
	}
	complete_timing(&c);
	return true;
}

/* run(), with the trace records of the request and its response. */
static __attribute__((noinline)) bool
run_slow(struct smmu *smmu, const struct smmu_txn *txn, smmu_txn_done_fn done,
	 void *dctx, uint64_t submitted_at, bool was_stalled,
	 struct smmu_txn_result *res)
{
	bool answered;

	if (!trace_on(smmu))
		return run(smmu, txn, done, dctx, submitted_at, was_stalled,
			   res);
	if (txn->kind == SMMU_TXN_ATS_TREQ && !was_stalled)
		trace_ats_req(smmu, txn);
	answered = run(smmu, txn, done, dctx, submitted_at, was_stalled,
		       res);
	if (answered)
		trace_txn(smmu, txn, res);
	return answered;
}

/* The fast path or the pipeline, traced. */
static inline bool run_traced(struct smmu *smmu, const struct smmu_txn *txn,
			      smmu_txn_done_fn done, void *dctx,
			      uint64_t submitted_at, bool was_stalled,
			      struct smmu_txn_result *res)
{
	if (fast_path(smmu, txn, res, submitted_at, was_stalled)) {
		if (trace_on(smmu))
			trace_txn(smmu, txn, res);
		return true;
	}
	return run_slow(smmu, txn, done, dctx, submitted_at, was_stalled,
			res);
}

bool smmu_translate(struct smmu *smmu, const struct smmu_txn *txn,
		    struct smmu_txn_result *res, smmu_txn_done_fn done,
		    void *ctx)
{
	if (!smmu || !txn || !res)
		return false;
	return run_traced(smmu, txn, done, ctx, sim_now(smmu->sim), false,
			  res);
}

bool smmu_submit(struct smmu *smmu, const struct smmu_txn *txn,
		 smmu_txn_done_fn done, void *ctx)
{
	struct smmu_txn_result res;

	if (!smmu || !txn || !done)
		return false;
	if (run_traced(smmu, txn, done, ctx, sim_now(smmu->sim), false, &res))
		schedule_delivery(smmu, txn, &res, done, ctx);
	return true;
}

/* --- stalls (§3.12.2) ---------------------------------------------- */

uint32_t translate_stalls_held(const struct smmu *smmu)
{
	return smmu->translate ? smmu->translate->nstalled : 0;
}

static bool stall_queue(struct ctx *c, smmu_txn_done_fn done, void *dctx)
{
	struct smmu *smmu = c->smmu;
	struct translate_state *ts = tstate(smmu);
	uint64_t t = 0;

	if (!ts || ts->nstalled >= (smmu->impl.stall_max ? smmu->impl.stall_max
							  : 1))
		return false; /* no STAG free: terminate as S=0 would */
	struct stalled_txn *s = calloc(1, sizeof(*s));

	if (!s)
		return false;
	s->txn = *c->txn;
	s->done = done;
	s->ctx = dctx;
	s->submitted_at = c->res->submitted_at;
	/* a STAG not held by another stalled transaction of this stream */
	for (;;) {
		struct stalled_txn *o = ts->stalled;

		s->stag = ts->next_stag++;
		while (o && !(o->txn.sid == s->txn.sid && o->stag == s->stag))
			o = o->next;
		if (!o)
			break;
	}
	s->next = ts->stalled;
	ts->stalled = s;
	ts->nstalled++;
	smmu->stats.stalls++;
	c->ev.stall = true;
	c->ev.stag = s->stag;
	if (trace_on(smmu))
		trace_stall(smmu, c->txn, s->stag);
	evtq_record(smmu, &c->ev, &t);
	return true;
}

static struct stalled_txn *stall_unlink(struct translate_state *ts,
					uint32_t sid, uint16_t stag)
{
	for (struct stalled_txn **pp = &ts->stalled; *pp; pp = &(*pp)->next) {
		if ((*pp)->txn.sid == sid && (*pp)->stag == stag) {
			struct stalled_txn *s = *pp;

			*pp = s->next;
			ts->nstalled--;
			return s;
		}
	}
	return NULL;
}

static void stall_respond(struct smmu *smmu, struct stalled_txn *s,
			  enum smmu_resp resp)
{
	struct ctx c;
	struct smmu_txn_result res;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	c.smmu = smmu;
	c.txn = &s->txn;
	c.res = &res;
	res.resp = resp;
	res.submitted_at = s->submitted_at;
	res.stalled = true;
	complete_timing(&c);
	if (trace_on(smmu))
		trace_txn(smmu, &s->txn, &res);
	schedule_delivery(smmu, &s->txn, &res, s->done, s->ctx);
}

bool smmu_resume(struct smmu *smmu, uint32_t sid, uint16_t stag, bool retry,
		 bool abort)
{
	struct translate_state *ts = tstate(smmu);
	struct stalled_txn *s = ts ? stall_unlink(ts, sid, stag) : NULL;

	if (!s)
		return false;
	smmu->stats.stall_ends++;
	if (retry) {
		struct smmu_txn_result res;

		if (run_traced(smmu, &s->txn, s->done, s->ctx,
			       s->submitted_at, true, &res))
			schedule_delivery(smmu, &s->txn, &res, s->done,
					  s->ctx);
	} else {
		/* §4.7.1: Terminate completes RAZ/WI unless Abort is set
		 * (always abort with TERM_MODEL=1). */
		bool ab = abort || smmu->impl.term_model;

		stall_respond(smmu, s, ab ? SMMU_RESP_ABORT : SMMU_RESP_RAZWI);
	}
	free(s);
	return true;
}

/*
 * §4.7.2: CMD_STALL_TERM terminates every stalled transaction of the
 * stream with an abort, as if each got CMD_RESUME(Terminate, Abort), by
 * the time the command is consumed.
 */
/* Abort every stalled transaction of `sid`, or of every stream. */
static void stall_abort(struct smmu *smmu, bool all, uint32_t sid)
{
	struct translate_state *ts = tstate(smmu);
	struct stalled_txn **pp = ts ? &ts->stalled : NULL;

	while (pp && *pp) {
		struct stalled_txn *s = *pp;

		if (!all && s->txn.sid != sid) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		ts->nstalled--;
		smmu->stats.stall_ends++;
		stall_respond(smmu, s, SMMU_RESP_ABORT);
		free(s);
	}
}

void smmu_stall_term(struct smmu *smmu, uint32_t sid)
{
	stall_abort(smmu, false, sid);
}

/* §6.3.9: SMMUEN 1 -> 0 aborts every stalled transaction. */
void smmu_stall_abort_all(struct smmu *smmu)
{
	stall_abort(smmu, true, 0);
}

void translate_destroy_pending(struct smmu *smmu)
{
	struct translate_state *ts = smmu->translate;

	if (!ts)
		return;
	while (ts->stalled) {
		struct stalled_txn *s = ts->stalled;

		ts->stalled = s->next;
		free(s);
	}
	while (ts->inflight) {
		struct inflight *f = ts->inflight;

		ts->inflight = f->next;
		sim_cancel(smmu->sim, f->ev);
		free(f);
	}
	while (ts->free_inflight) {
		struct inflight *f = ts->free_inflight;

		ts->free_inflight = f->next;
		free(f);
	}
	free(ts);
	smmu->translate = NULL;
}
