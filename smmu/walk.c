/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 translation table walks: stage 1, stage 2 and nested
 * (IHI 0070 §3.4, §3.13; Arm ARM D8; facts §9).
 *
 * One stage is translated in two steps:
 *   stage_walk()   input range, then per level: (nested: stage 2 of the
 *                  descriptor IPA) fetch, invalid/reserved, address size;
 *                  table descriptors feed the walk cache.
 *   stage_finish() access flag, permissions, hardware AF/dirty update,
 *                  memory attributes.
 * which gives the per-stage fault order of facts §6.3 / §9.11. A nested
 * translation runs stage 1 (every stage-1 descriptor address through
 * stage 2 first) and then stage 2 on the stage-1 output.
 *
 * Cycles: every descriptor read charges the memory latency plus
 * impl.lat.walk_step; an HTTU update charges the atomic's latency; walk
 * cache probes charge impl.lat.walkcache_lookup each.
 */
#include "smmu/walk.h"
#include "smmu/walkcache.h"

#include <string.h>

/* HTTU updates that lost a race against another writer restart the walk
 * (Arm ARM: the update is an atomic compare-and-swap). */
#define WALK_HTTU_TRIES 4
/* Output addresses beyond 48 bits (52-bit PA) are not modelled. */
#define WALK_MAX_OA_BITS 48
/* Stage 2 may concatenate up to 16 tables at the start level (§9.4). */
#define S2_MAX_CONCAT_BITS 4

enum walk_rc {
	WALK_OK,
	WALK_FAULT,
	WALK_RETRY,
};

/* Permissions of one stage, or of the combination. */
struct perms {
	bool pr, pw, px, ur, uw, ux;
};

/* One stage's leaf descriptor and what it grants. */
struct stage_out {
	uint64_t oa;           /* output address of the input address */
	uint8_t size_shift;
	uint8_t level;
	uint64_t desc;         /* leaf descriptor (after any HTTU update) */
	uint64_t desc_ia;      /* its address: an IPA for nested stage 1 */
	uint64_t desc_pa;
	struct wc_val hier;    /* hierarchical controls of the tables above */
	bool ng;
	struct perms p;
	bool wneeds;           /* writable-clean under HD, write must walk */
	uint8_t attr;          /* MAIR-style byte */
	uint8_t s2fwb;         /* stage 2 with FWB: MemAttr, else 0 */
	uint8_t sh;
};

struct walker {
	struct smmu *smmu;
	const struct walk_regime *s2;  /* nested: translates S1 table IPAs */
	const struct walk_prep *s2p;   /* the same, prepared */
	struct smmu_event *ev;
	uint64_t *cycles;
	struct pmem *mem;
	uint64_t step;                 /* impl.lat.walk_step */
};

/* --- helpers --------------------------------------------------------- */

/* Level shift(l) = G + (3 - l) * (G - 3)  (facts §9.1) */
static unsigned level_shift(unsigned g, int level)
{
	return g + (unsigned)(3 - level) * (g - 3);
}

static unsigned oas_of(const struct walk_regime *r)
{
	if (!r->oas_bits || r->oas_bits > WALK_MAX_OA_BITS)
		return WALK_MAX_OA_BITS;
	return r->oas_bits;
}

/* Descriptors are little-endian in memory unless the regime says big. */
static uint64_t desc_order(const struct walk_regime *r, uint64_t v)
{
	uint64_t out = 0;

	if (!r->endi)
		return v;
	for (unsigned i = 0; i < 8; i++) {
		out = (out << 8) | (v & 0xff);
		v >>= 8;
	}
	return out;
}

/* Stage-1 VA with the top byte replaced by the sign of bit 55 (TBI). */
static uint64_t va_sign_extend55(uint64_t va)
{
	return (va & (UINT64_C(1) << 55)) ? va | ~bits_mask(56)
					  : va & bits_mask(56);
}

static void set_fault(struct smmu_event *ev, uint8_t id, bool s2, uint8_t cls,
		      uint64_t ipa, uint64_t fetch_addr)
{
	ev->id = id;
	ev->s2 = s2;
	ev->class_ = cls;
	ev->ipa = ipa;
	ev->fetch_addr = fetch_addr;
	ev->ttrnw = false;
}

/*
 * A fault of the walk of regime r for input ia. Stage 1: S2=0, CLASS=IN
 * except F_WALK_EABT (CLASS=TT). Stage 2: S2=1, CLASS=cls, IPA=ia
 * (facts §6.2).
 */
static enum walk_rc stage_fault(struct walker *w, const struct walk_regime *r,
				uint8_t cls, uint64_t ia, uint8_t id,
				uint64_t fetch_addr)
{
	if (r->stage == 2)
		set_fault(w->ev, id, true, cls, ia, fetch_addr);
	else
		set_fault(w->ev, id, false,
			  id == EVT_F_WALK_EABT ? EVT_CLASS_TT : EVT_CLASS_IN,
			  0, fetch_addr);
	return WALK_FAULT;
}

static bool blocks_allowed(unsigned g, int level)
{
	/* facts §9.1: 4K L1/L2, 16K L2, 64K L2 (no DS / 52-bit PA) */
	if (g == 12)
		return level == 1 || level == 2;
	return level == 2;
}

static enum walk_rc stage_translate(struct walker *w,
				    const struct walk_prep *p, uint64_t ia,
				    const struct access *acc, uint8_t cls,
				    bool attrs, struct stage_out *o);
static bool attr_is_device(uint8_t a);

/*
 * Nested: the stage-1 descriptor at IPA `ipa` goes through stage 2 first
 * (read for a fetch, write for an HTTU update). Faults are stage-2 faults
 * with CLASS=TT and TTRnW telling which (facts §9.10). With S2PTW, a
 * stage-1 walk that reaches stage-2 Device memory is a stage-2
 * permission fault (§3.4, STE.S2PTW).
 */
static inline bool s1_desc_through_s2(struct walker *w, uint64_t ipa,
				      bool write, uint64_t *pa)
{
	const struct walk_regime *s2 = w->s2;
	const struct access acc = { .write = write };
	struct stage_out o;

	/* only a fetch under S2PTW looks at the memory attributes */
	if (stage_translate(w, w->s2p, ipa, &acc, EVT_CLASS_TT,
			    s2->ptw && !write, &o) != WALK_OK)
		return false;
	if (s2->ptw && attr_is_device(o.attr) && !write) {
		set_fault(w->ev, EVT_F_PERMISSION, true, EVT_CLASS_TT, ipa, 0);
		w->ev->ttrnw = true;
		return false;
	}
	*pa = o.oa;
	return true;
}

/* --- the walk -------------------------------------------------------- */

void walk_prepare(struct smmu *smmu, const struct walk_regime *r,
		  const struct walk_regime *nested_s2, struct walk_prep *p)
{
	unsigned g = r->granule_shift, maxw;
	int level = r->start_level;

	p->r = r;
	p->bad = (g != 12 && g != 14 && g != 16) || level < 0 || level > 3 ||
		 r->tsz > 64 - 16 || r->tsz < 64 - WALK_MAX_OA_BITS;
	if (p->bad)
		return;
	p->level = level;
	p->g = g;
	p->stride = g - 3;
	p->oas = oas_of(r);
	p->iasize = 64u - r->tsz;
	/* Start-level index width; a TxSZ / start level mismatch that the
	 * STE/CD checks let through is a level-0 translation fault. */
	p->sh = level_shift(g, level);
	maxw = p->stride + (r->stage == 2 ? S2_MAX_CONCAT_BITS : 0);
	if (p->iasize <= p->sh || p->iasize - p->sh > maxw) {
		p->bad = true;
		return;
	}
	p->width = p->iasize - p->sh;
	p->table = r->ttb & ~bits_mask(p->width + 3) & bits_mask(56);
	p->table_oor = (p->table >> p->oas) != 0;
	p->nlta = fld_mask(TBL_NLTA) & ~bits_mask(g);
	p->hmask = 0;
	if (r->stage == 1 && !r->had) {
		p->hmask = fld_mask(TBL_APTABLE_NW) | fld_mask(TBL_UXNTABLE);
		if (!r->one_priv)
			p->hmask |= fld_mask(TBL_APTABLE_NU) |
				    fld_mask(TBL_PXNTABLE);
	}
	p->wc = walkcache_active(smmu);
	if (p->wc) {
		memset(&p->key, 0, sizeof(p->key));
		p->key.stage = r->stage;
		p->key.vmid_valid = r->stage == 2 || nested_s2;
		p->key.vmid = r->stage == 2 ? r->vmid :
					      (nested_s2 ? nested_s2->vmid : 0);
		p->key.asid = r->stage == 1 ? r->asid : 0;
		p->key.ttb = r->ttb;
		p->key.granule_shift = (uint8_t)g;
		p->key.tsz = r->tsz;
		p->key.start_level = r->start_level;
	}
}

/* The hierarchical controls gathered from table descriptors, as the
 * descriptors' own bits (fld_mask of TBL_APTABLE_NW, ...), and back. */
static uint64_t hier_bits(const struct wc_val *h)
{
	return (h->ap_nw ? fld_mask(TBL_APTABLE_NW) : 0) |
	       (h->ap_nu ? fld_mask(TBL_APTABLE_NU) : 0) |
	       (h->uxn ? fld_mask(TBL_UXNTABLE) : 0) |
	       (h->pxn ? fld_mask(TBL_PXNTABLE) : 0);
}

static struct wc_val hier_of(uint64_t bits, uint64_t table)
{
	struct wc_val h = {
		.table = table,
		.ap_nw = fget(&bits, TBL_APTABLE_NW),
		.ap_nu = fget(&bits, TBL_APTABLE_NU),
		.uxn = fget(&bits, TBL_UXNTABLE),
		.pxn = fget(&bits, TBL_PXNTABLE),
	};

	return h;
}

/*
 * The stage a step works on: r->stage, or the constant `st` (1 or 2) the
 * caller already knows it to be, so that stage_translate() compiles into
 * a stage-1, a stage-2 and a general copy.
 */
#define STAGE(st, r) ((st) ? (st) : (r)->stage)
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE enum walk_rc
stage_walk(struct walker *w, const struct walk_prep *p, uint64_t ia,
	   const struct access *acc, uint8_t cls, struct stage_out *o,
	   unsigned st)
{
	const struct walk_regime *r = p->r;
	struct smmu *smmu = w->smmu;

	if (p->bad)
		return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);

	/* Input range (facts §9.11): a stage-1 VA's bits [63:IAsize] are
	 * all 0 (the TTB0 region) or all 1 (TTB1; the TTB was chosen by bit
	 * 55, which lies in that range), the top byte ignored with TBI;
	 * a stage-2 IPA lies below 2^IAsize. */
	if (STAGE(st, r) == 1) {
		uint64_t top;

		if (r->tbi)
			ia = va_sign_extend55(ia);
		top = ia >> p->iasize;
		if (top != 0 && top != (UINT64_MAX >> p->iasize))
			return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);
		/* EPDx = 1 (facts §4.5) and E0PDx for unprivileged access */
		if (r->disabled || (r->e0pd && !r->one_priv && !acc->priv))
			return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);
	} else if (ia >> p->iasize) {
		return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);
	}
	if (p->table_oor)
		return stage_fault(w, r, cls, ia, EVT_F_ADDR_SIZE, 0);

	int level = p->level;
	unsigned sh = p->sh, stride = p->stride, oas = p->oas;
	uint64_t table = p->table, imask = bits_mask(p->width);
	struct wc_val hier = { 0 };

	if (p->wc && level < 3) {
		uint8_t shift[4];
		int hit;

		for (int l = 0; l < 4; l++)
			shift[l] = (uint8_t)level_shift(p->g, l);
		hit = walkcache_lookup(smmu, &p->key, ia, level, 2, shift,
				       &hier, w->cycles);
		if (hit >= 0) {
			level = hit + 1;
			table = hier.table;
			sh = shift[level];
			imask = bits_mask(stride);
		}
	}

	/*
	 * The levels. `hbits` gathers the table descriptors' hierarchical
	 * controls (facts §9.5): stage 1 only, and without HAD; APTable[0]
	 * and PXNTable only with two privilege levels.
	 */
	bool nested = STAGE(st, r) == 1 && w->s2;
	bool be = r->endi;
	uint64_t hbits = hier_bits(&hier);

	for (;;) {
		uint64_t dia = table + ((ia >> sh) & imask) * sizeof(uint64_t);
		uint64_t pa = dia, raw, d;

		if (nested && !s1_desc_through_s2(w, dia, false, &pa))
			return WALK_FAULT;
		smmu->stats.walk_reads++;
		if (pmem_read64(w->mem, pa, &raw, w->cycles) != MEM_OK)
			return stage_fault(w, r, cls, ia, EVT_F_WALK_EABT, pa);
		if (w->cycles)
			*w->cycles += w->step;
		d = be ? desc_order(r, raw) : raw;

		if (!fget(&d, DESC_VALID))
			return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);
		if (level < 3 && fget(&d, DESC_TYPE)) {
			uint64_t next = d & p->nlta;

			if (next >> oas)
				return stage_fault(w, r, cls, ia,
						   EVT_F_ADDR_SIZE, 0);
			hbits |= d & p->hmask;
			if (p->wc) {
				hier = hier_of(hbits, next);
				walkcache_insert(smmu, &p->key, level, ia,
						 (uint8_t)sh, &hier);
			}
			table = next;
			level++;
			sh -= stride;
			imask = bits_mask(stride);
			continue;
		}
		/* Page at level 3, block where the granule allows one;
		 * anything else is reserved (facts §9.3). */
		if ((level == 3 && !fget(&d, DESC_TYPE)) ||
		    (level < 3 && !blocks_allowed(p->g, level)))
			return stage_fault(w, r, cls, ia, EVT_F_TRANSLATION, 0);

		uint64_t base = fget_inplace(&d, LEAF_OA) & ~bits_mask(sh);

		if (base >> oas)
			return stage_fault(w, r, cls, ia, EVT_F_ADDR_SIZE, 0);
		/* stage_finish() fills the rest */
		o->oa = base | (ia & bits_mask(sh));
		o->size_shift = (uint8_t)sh;
		o->level = (uint8_t)level;
		o->desc = d;
		o->desc_ia = dia;
		o->desc_pa = pa;
		o->hier = hier_of(hbits, table);
		o->ng = false;
		o->s2fwb = 0;
		return WALK_OK;
	}
}

/* --- permissions (facts §9.7) --------------------------------------- */

/*
 * Stage 1 direct permissions. `dirty`: evaluate as if AP[2] were 0 (the
 * write would set dirty). `wclean`: the descriptor is writable-clean
 * under HD, which counts as writable for execute permission (§3.13.3
 * note; Arm ARM).
 */
static void s1_perms(const struct walk_regime *r, uint64_t d,
		     const struct wc_val *h, bool dirty, bool wclean,
		     struct perms *p)
{
	bool ro = fget(&d, S1_AP2) && !dirty;
	bool el0 = fget(&d, S1_AP1);
	bool nw = !r->had && h->ap_nw;
	bool nu = !r->had && h->ap_nu;
	bool uxnt = !r->had && h->uxn;
	bool pxnt = !r->had && h->pxn;

	if (r->one_priv) {
		/* One privilege level: AP[1] ignored, XN at bit 54, no
		 * unprivileged accesses to tell apart. */
		bool wx = (!ro || wclean) && !nw;

		p->pr = true;
		p->pw = !ro && !nw;
		p->px = !fget(&d, S1_UXN) && !uxnt && !(r->wxn && wx);
		p->ur = p->pr;
		p->uw = p->pw;
		p->ux = p->px;
		return;
	}
	p->pr = true;
	p->pw = !ro && !nw;
	p->ur = el0 && !nu;
	p->uw = p->ur && !ro && !nw;

	bool pwx = (!ro || wclean) && !nw;
	bool uwx = pwx && p->ur;

	/* Unprivileged-writable removes privileged execute; WXN removes
	 * execute from writable pages. */
	p->px = !fget(&d, S1_PXN) && !pxnt && !uwx && !(r->wxn && pwx);
	p->ux = !fget(&d, S1_UXN) && !uxnt && !(r->wxn && uwx);
	/* PAN: privileged data access to an unprivileged-accessible page */
	if (r->pan && p->ur)
		p->pr = p->pw = false;
	if (r->e0pd)
		p->ur = p->uw = p->ux = false;
}

/* Stage 2: S2AP and XN / XN[1:0] with XNX (facts §9.7). */
static void s2_perms(const struct walk_regime *r, uint64_t d, bool dirty,
		     struct perms *p)
{
	p->pr = p->ur = fget(&d, S2_S2AP_R);
	p->pw = p->uw = fget(&d, S2_S2AP_W) || dirty;
	if (r->xnx) {
		switch (fget(&d, S2_XN)) {
		case 0:
			p->px = p->ux = true;
			break;
		case 1: /* no EL1 (privileged) execution */
			p->px = false;
			p->ux = true;
			break;
		case 2:
			p->px = p->ux = false;
			break;
		default: /* no EL0 (unprivileged) execution */
			p->px = true;
			p->ux = false;
			break;
		}
	} else {
		p->px = p->ux = !fget(&d, S2_XN1);
	}
}

static bool perms_allow(const struct perms *p, const struct access *acc)
{
	if (acc->write)
		return acc->priv ? p->pw : p->uw;
	if (acc->instr)
		return acc->priv ? p->px : p->ux;
	return acc->priv ? p->pr : p->ur;
}

bool walk_permits(const struct walk_result *r, const struct access *acc)
{
	const struct perms p = { r->pr, r->pw, r->px, r->ur, r->uw, r->ux };

	return perms_allow(&p, acc);
}

/* --- memory attributes (facts §9.8) ---------------------------------- */

#define MAIR_NIB_KIND RFLD(3, 2)
#define MAIR_OUTER RFLD(7, 4)
#define MAIR_INNER RFLD(3, 0)
#define MAIR_DEVTYPE RFLD(3, 2)
#define MAIR_NC 0x4
#define MAIR_WT_RWA 0xB
#define MAIR_WB_RWA 0xF

static bool attr_is_device(uint8_t a)
{
	return rget(a, MAIR_OUTER) == 0;
}

static bool attr_is_nc(uint8_t a)
{
	return rget(a, MAIR_OUTER) == MAIR_NC && rget(a, MAIR_INNER) == MAIR_NC;
}

/* Stage-2 MemAttr (FWB=0) cacheability: 01 NC, 10 WT, 11 WB. */
static uint8_t s2_nibble(uint64_t c)
{
	switch (c) {
	case 2:
		return MAIR_WT_RWA;
	case 3:
		return MAIR_WB_RWA;
	default:
		return MAIR_NC;
	}
}

static uint8_t s2_attr(const struct walk_regime *r, uint64_t d)
{
	uint64_t ma = fget(&d, S2_MEMATTR);

	if (r->fwb) {
		if (!fget(&ma, S2MA_FWB_NORMAL))
			return (uint8_t)rset(0, MAIR_DEVTYPE,
					     fget(&ma, S2MA_DEVTYPE));
		return fget(&ma, S2MA_FWB_KIND) == 1 ? 0x44 : 0xFF;
	}
	if (fget(&ma, S2MA_OUTER) == 0)
		return (uint8_t)rset(0, MAIR_DEVTYPE, fget(&ma, S2MA_DEVTYPE));
	return (uint8_t)(rset(rset(0, MAIR_OUTER,
				   s2_nibble(fget(&ma, S2MA_OUTER))),
			      MAIR_INNER, s2_nibble(fget(&ma, S2MA_INNER))));
}

/* Cacheability rank of a Normal MAIR nibble: NC < WT < WB. */
static unsigned nib_rank(uint8_t n)
{
	if (n == MAIR_NC)
		return 0;
	switch (rget(n, MAIR_NIB_KIND)) {
	case 0:
	case 2:
		return 1; /* 00RW / 10RW write-through */
	default:
		return 2; /* 01RW / 11RW write-back */
	}
}

static uint8_t nib_combine(uint8_t a, uint8_t b)
{
	return nib_rank(b) < nib_rank(a) ? b : a;
}

/* Combine stage 1 and stage 2: Device beats Normal, the stricter Device
 * wins, NC beats cacheable, WT beats WB. */
static uint8_t attr_combine(uint8_t a1, const struct stage_out *o2)
{
	uint8_t a2 = o2->attr;

	if (o2->s2fwb) {
		uint64_t ma = o2->s2fwb;

		if (fget(&ma, S2MA_FWB_NORMAL)) {
			switch (fget(&ma, S2MA_FWB_KIND)) {
			case 2: /* forced Write-Back */
				return 0xFF;
			case 3: /* stage-1 attributes */
				return a1;
			default: /* Non-cacheable unless stage 1 is Device */
				return attr_is_device(a1) ? a1 : 0x44;
			}
		}
	}
	if (attr_is_device(a1) && attr_is_device(a2))
		return rget(a1, MAIR_DEVTYPE) <= rget(a2, MAIR_DEVTYPE) ? a1
									: a2;
	if (attr_is_device(a1))
		return a1;
	if (attr_is_device(a2))
		return a2;
	return (uint8_t)rset(rset(0, MAIR_OUTER,
				  nib_combine((uint8_t)rget(a1, MAIR_OUTER),
					      (uint8_t)rget(a2, MAIR_OUTER))),
			     MAIR_INNER,
			     nib_combine((uint8_t)rget(a1, MAIR_INNER),
					 (uint8_t)rget(a2, MAIR_INNER)));
}

static unsigned sh_rank(uint8_t sh)
{
	return sh == SH_OSH ? 2 : sh == SH_ISH ? 1 : 0;
}

/* Device and Normal Non-cacheable are always Outer Shareable. */
static uint8_t sh_for(uint8_t attr, uint8_t sh)
{
	return attr_is_device(attr) || attr_is_nc(attr) ? SH_OSH : sh;
}

/* --- access flag, permission, HTTU ------------------------------------ */

/* attrs: also resolve the memory attributes and shareability (o->attr,
 * o->sh, o->s2fwb), which only the translation's result needs. */
static ALWAYS_INLINE enum walk_rc
stage_finish(struct walker *w, const struct walk_regime *r, uint64_t ia,
	     const struct access *acc, uint8_t cls, bool attrs,
	     struct stage_out *o, unsigned st)
{
	struct smmu *smmu = w->smmu;
	uint64_t d = o->desc, nd = d;
	bool s1 = STAGE(st, r) == 1;
	struct perms pc, pd;
	bool wclean;

	/* Access flag (facts §9.10): HA sets it, AFFD ignores it. */
	if (!fget(&d, LEAF_AF)) {
		if (r->ha)
			fset(&nd, LEAF_AF, 1);
		else if (!r->affd)
			return stage_fault(w, r, cls, ia, EVT_F_ACCESS, 0);
	}

	/* Writable-clean under HD (§3.13.3): DBM=1 and AP[2]=1 (S1) or
	 * S2AP[1]=0 (S2). Without HD, DBM has no effect. */
	wclean = r->hd && fget(&d, LEAF_DBM) &&
		 (s1 ? fget(&d, S1_AP2) : !fget(&d, S2_S2AP_W));
	/* pd: as if the write had made the page dirty (the same as pc
	 * unless writable-clean) */
	if (s1)
		s1_perms(r, d, &o->hier, false, wclean, &pc);
	else
		s2_perms(r, d, false, &pc);
	if (!wclean)
		pd = pc;
	else if (s1)
		s1_perms(r, d, &o->hier, true, true, &pd);
	else
		s2_perms(r, d, true, &pd);

	o->p = pc;
	o->wneeds = wclean && (pd.pw || pd.uw);
	if (!perms_allow(&pc, acc)) {
		if (!(acc->write && wclean && perms_allow(&pd, acc))) {
			stage_fault(w, r, cls, ia, EVT_F_PERMISSION, 0);
			/* TTRnW: which access to a stage-1 descriptor */
			if (w->ev->class_ == EVT_CLASS_TT)
				w->ev->ttrnw = !acc->write;
			return WALK_FAULT;
		}
		/* A write to a writable-clean page makes it dirty. */
		if (s1)
			fset(&nd, S1_AP2, 0);
		else
			fset(&nd, S2_S2AP_W, 1);
		fset(&nd, LEAF_AF, 1);
		o->p = pd;
		o->wneeds = false;
	}

	if (nd != d) {
		uint64_t pa = o->desc_pa, old;

		/* A stage-1 update needs stage-2 write permission (§9.10). */
		if (s1 && w->s2 &&
		    !s1_desc_through_s2(w, o->desc_ia, true, &pa))
			return WALK_FAULT;
		if (pmem_cas64(smmu->mem, pa, desc_order(r, d),
			       desc_order(r, nd), &old,
			       w->cycles) != MEM_OK)
			return stage_fault(w, r, cls, ia, EVT_F_WALK_EABT, pa);
		if (old != desc_order(r, d))
			return WALK_RETRY;
		o->desc = nd;
	}

	if (s1)
		o->ng = !r->one_priv && fget(&nd, S1_NG);
	if (!attrs)
		return WALK_OK;
	if (s1) {
		unsigned idx = (unsigned)fget(&nd, S1_ATTRINDX);

		o->attr = (uint8_t)rget(r->mair, RFLD(8 * idx + 7, 8 * idx));
	} else {
		o->attr = s2_attr(r, nd);
		if (r->fwb)
			o->s2fwb = (uint8_t)fget(&nd, S2_MEMATTR);
	}
	o->sh = sh_for(o->attr, (uint8_t)fget(&nd, LEAF_SH));
	return WALK_OK;
}

static ALWAYS_INLINE enum walk_rc
stage_translate_as(struct walker *w, const struct walk_prep *p, uint64_t ia,
		   const struct access *acc, uint8_t cls, bool attrs,
		   struct stage_out *o, unsigned st)
{
	enum walk_rc rc = WALK_RETRY;

	for (unsigned i = 0; i < WALK_HTTU_TRIES && rc == WALK_RETRY; i++) {
		rc = stage_walk(w, p, ia, acc, cls, o, st);
		if (rc == WALK_OK)
			rc = stage_finish(w, p->r, ia, acc, cls, attrs, o, st);
	}
	if (rc == WALK_RETRY)
		return stage_fault(w, p->r, cls, ia, EVT_F_WALK_EABT,
				   o->desc_pa);
	return rc;
}

static enum walk_rc stage_translate_s1(struct walker *w,
				       const struct walk_prep *p, uint64_t ia,
				       const struct access *acc, uint8_t cls,
				       bool attrs, struct stage_out *o)
{
	return stage_translate_as(w, p, ia, acc, cls, attrs, o, 1);
}

static enum walk_rc stage_translate_s2(struct walker *w,
				       const struct walk_prep *p, uint64_t ia,
				       const struct access *acc, uint8_t cls,
				       bool attrs, struct stage_out *o)
{
	return stage_translate_as(w, p, ia, acc, cls, attrs, o, 2);
}

static enum walk_rc stage_translate_any(struct walker *w,
					const struct walk_prep *p, uint64_t ia,
					const struct access *acc, uint8_t cls,
					bool attrs, struct stage_out *o)
{
	return stage_translate_as(w, p, ia, acc, cls, attrs, o, 0);
}

/* One stage: walk, then access flag, permissions and HTTU (retried when
 * an update loses a race). */
static enum walk_rc stage_translate(struct walker *w,
				    const struct walk_prep *p, uint64_t ia,
				    const struct access *acc, uint8_t cls,
				    bool attrs, struct stage_out *o)
{
	switch (p->r->stage) {
	case 1:
		return stage_translate_s1(w, p, ia, acc, cls, attrs, o);
	case 2:
		return stage_translate_s2(w, p, ia, acc, cls, attrs, o);
	default:
		return stage_translate_any(w, p, ia, acc, cls, attrs, o);
	}
}

/* --- entry points ---------------------------------------------------- */

bool walk_translate(struct smmu *smmu, const struct walk_regime *s1,
		    const struct walk_regime *s2, uint64_t ia,
		    const struct access *acc, struct walk_result *out,
		    struct smmu_event *ev, uint64_t *cycles)
{
	const struct walk_regime *nested_s2 = s1 ? s2 : NULL;
	struct walk_prep p1, p2;

	if (s1)
		walk_prepare(smmu, s1, nested_s2, &p1);
	if (s2)
		walk_prepare(smmu, s2, nested_s2, &p2);
	return walk_translate_prep(smmu, s1 ? &p1 : NULL, s2 ? &p2 : NULL, ia,
				   acc, out, ev, cycles);
}

bool walk_translate_prep(struct smmu *smmu, const struct walk_prep *p1,
			 const struct walk_prep *p2, uint64_t ia,
			 const struct access *acc, struct walk_result *out,
			 struct smmu_event *ev, uint64_t *cycles)
{
	const struct walk_regime *s1 = p1 ? p1->r : NULL;
	const struct walk_regime *s2 = p2 ? p2->r : NULL;
	struct walker w = {
		.smmu = smmu,
		.s2 = s1 ? s2 : NULL,
		.s2p = s1 ? p2 : NULL,
		.ev = ev,
		.cycles = cycles,
		.mem = smmu->mem,
		.step = smmu->impl.lat.walk_step,
	};
	struct stage_out o1, o2;
	uint64_t ipa = ia;

	memset(out, 0, sizeof(*out));
	if (!s1 && !s2) {
		/* Nothing to walk: the caller handles bypass. */
		out->oa = ia;
		out->size_shift = 12;
		out->pr = out->pw = out->px = true;
		out->ur = out->uw = out->ux = true;
		out->ipa = ia;
		return true;
	}
	if (s1) {
		if (stage_translate(&w, p1, ia, acc, EVT_CLASS_IN, true,
				    &o1) != WALK_OK)
			return false;
		ipa = o1.oa;
	}
	if (s2) {
		/* The final IPA: stage-2 faults are CLASS=IN (§7.3). */
		if (stage_translate(&w, p2, ipa, acc, EVT_CLASS_IN, true,
				    &o2) != WALK_OK)
			return false;
	}

	const struct stage_out *last = s2 ? &o2 : &o1;
	struct perms p = last->p;

	if (s1 && s2) {
		p.pr = o1.p.pr && o2.p.pr;
		p.pw = o1.p.pw && o2.p.pw;
		p.px = o1.p.px && o2.p.px;
		p.ur = o1.p.ur && o2.p.ur;
		p.uw = o1.p.uw && o2.p.uw;
		p.ux = o1.p.ux && o2.p.ux;
	}
	out->oa = last->oa;
	out->size_shift = last->size_shift;
	if (s1 && s2 && o1.size_shift < out->size_shift)
		out->size_shift = o1.size_shift;
	out->level = last->level;
	out->ng = s1 ? o1.ng : false;
	out->pr = p.pr;
	out->pw = p.pw;
	out->px = p.px;
	out->ur = p.ur;
	out->uw = p.uw;
	out->ux = p.ux;
	out->write_needs_walk = (s1 && o1.wneeds) || (s2 && o2.wneeds);
	if (s1 && s2) {
		out->attr = attr_combine(o1.attr, &o2);
		out->sh = sh_rank(o1.sh) >= sh_rank(o2.sh) ? o1.sh : o2.sh;
		out->sh = sh_for(out->attr, out->sh);
	} else {
		out->attr = last->attr;
		out->sh = last->sh;
	}
	out->ipa = ipa;
	return true;
}

bool walk_s2_fetch(struct smmu *smmu, const struct walk_regime *s2,
		   uint64_t ipa, uint8_t cls, uint64_t *pa,
		   struct smmu_event *ev, uint64_t *cycles)
{
	struct walker w = {
		.smmu = smmu,
		.ev = ev,
		.cycles = cycles,
		.mem = smmu->mem,
		.step = smmu->impl.lat.walk_step,
	};
	const struct access acc = { .write = false };
	struct walk_prep p;
	struct stage_out o;

	if (!s2) {
		*pa = ipa;
		return true;
	}
	walk_prepare(smmu, s2, NULL, &p);
	if (stage_translate(&w, &p, ipa, &acc, cls, false, &o) != WALK_OK)
		return false;
	*pa = o.oa;
	return true;
}
