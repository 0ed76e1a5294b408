/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the SMMUv3 model, shared by the smmu/ files.
 * Host code never includes this file: it sees only include/smmusim/.
 *
 * The translate path is a straight pipeline (translate.c):
 *   stream table -> STE (ste.c, strtab.c) -> CD (cd.c) -> TLB (tlb.c)
 *   -> walk (walk.c) -> permission check -> response
 * Each stage either fills a decoded-config struct or an smmu_event; a single
 * epilogue turns the event into an event-queue record (evtq.c).
 *
 * Files and their concepts (one architectural concept per file):
 *   impl.c      implementation description, presets, ID registers
 *   regs.c      register file: access rules, CR0/ACK, GBPA, IRQ_CTRL,
 *               GERROR/GERRORN, *_IRQ_CFG, MSIs and wired IRQs
 *   queue.h     queue index arithmetic (wrap bits) shared by all queues
 *   cmdq.c      command queue consumption and every command
 *   evtq.c      event records, event queue, overflow, merging
 *   priq.c      PRI queue records, overflow, automatic PRG responses
 *   endpoint.c  the ATS/PRI port: endpoints by StreamID, ATS
 *               invalidations and their completions, PRG responses
 *   strtab.c    stream table lookup (linear, 2-level)
 *   ste.c       STE decode and ILLEGAL rules
 *   cd.c        CD table lookup (linear, 2-level), CD decode and ILLEGAL
 *   cfgcache.c  configuration cache of decoded STEs and CDs
 *   walk.c      VMSAv8-64 stage 1 / stage 2 / nested walks, permissions
 *   walkcache.c walk cache (table descriptors per level)
 *   tlb.c       TLB
 *   inval.c     dispatch of TLBI requests to the TLB and walk cache
 *   translate.c the translation pipeline and the transaction front end
 *   timing.c    counting-semaphore resources and latency accounting
 *   smmu.c      create/destroy, MMIO mapping, public API glue
 */
#ifndef SMMUSIM_SMMU_INTERNAL_H
#define SMMUSIM_SMMU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "smmusim/smmu_impl.h"

#include "smmu/fields.h"

/* ---------------------------------------------------------------------
 * Event record contents (IHI 0070 §7.3; facts §6). One struct for every
 * event type; evtq_encode() lays it out as the 32-byte record.
 * ------------------------------------------------------------------- */

enum smmu_event_id {
	EVT_NONE = 0x00,
	EVT_F_UUT = 0x01,
	EVT_C_BAD_STREAMID = 0x02,
	EVT_F_STE_FETCH = 0x03,
	EVT_C_BAD_STE = 0x04,
	EVT_F_BAD_ATS_TREQ = 0x05,
	EVT_F_STREAM_DISABLED = 0x06,
	EVT_F_TRANSL_FORBIDDEN = 0x07,
	EVT_C_BAD_SUBSTREAMID = 0x08,
	EVT_F_CD_FETCH = 0x09,
	EVT_C_BAD_CD = 0x0A,
	EVT_F_WALK_EABT = 0x0B,
	EVT_F_TRANSLATION = 0x10,
	EVT_F_ADDR_SIZE = 0x11,
	EVT_F_ACCESS = 0x12,
	EVT_F_PERMISSION = 0x13,
	EVT_F_TLB_CONFLICT = 0x20,
	EVT_F_CFG_CONFLICT = 0x21,
	EVT_E_PAGE_REQUEST = 0x24,
	EVT_F_VMS_FETCH = 0x25,
};

/* Event CLASS (DW1[41:40]) */
enum smmu_event_class {
	EVT_CLASS_CD = 0,
	EVT_CLASS_TT = 1,
	EVT_CLASS_IN = 2,
};

struct smmu_event {
	uint8_t id;          /* enum smmu_event_id; EVT_NONE = no fault */
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool stall;
	uint16_t stag;
	bool pnu, ind, rnw;  /* after STE INSTCFG/PRIVCFG overrides */
	bool s2;             /* fault at stage 2 */
	uint8_t class_;      /* enum smmu_event_class */
	bool ttrnw;          /* F_PERMISSION CLASS=TT: 1 read, 0 write */
	uint64_t input_addr;
	uint64_t ipa;        /* DW3[55:12] */
	uint64_t fetch_addr; /* DW3[55:3] */
	uint8_t reason;      /* IMPDEF reason code, see docs */
	/* E_PAGE_REQUEST */
	uint8_t span;
	bool pr, pw, px, ur, uw, ux;
	/* Not part of the record: how the faulting stage wants the
	 * transaction ended (fault A/R/S configuration, §4.6 of facts). */
	bool record;         /* write the record (R=1, or always-recorded) */
	bool terminate_razwi;/* A=0: terminate with RAZ/WI instead of abort */
	bool want_stall;     /* S=1: stall the transaction */
	bool mev;            /* STE.MEV: may merge with an identical record */
};

/* ---------------------------------------------------------------------
 * A translation regime for one stage: everything a walk needs, decoded
 * once from the STE (stage 2) or CD (stage 1).
 * ------------------------------------------------------------------- */

struct walk_regime {
	uint8_t stage;         /* 1 or 2 */
	uint8_t granule_shift; /* 12, 14 or 16 */
	uint8_t tsz;           /* TnSZ / S2T0SZ: input size = 64 - tsz */
	int8_t start_level;    /* 0..3 (-1 only with DS, not modelled) */
	uint8_t concat;        /* stage 2: number of concatenated tables (1..16) */
	uint64_t ttb;          /* table base: PA, or IPA for nested stage 1 */
	uint8_t oas_bits;      /* effective output size, min(IPS|S2PS, OAS) */
	bool disabled;         /* EPDx = 1: any walk through it faults */
	bool endi;             /* big-endian descriptors */
	bool affd;             /* AF faults never occur */
	bool ha, hd;           /* hardware AF / dirty update */
	bool tbi;              /* stage 1: top byte ignored */
	/* stage 1 */
	bool wxn, pan, had;    /* had: hierarchical attributes disabled */
	bool one_priv;         /* EL2/EL3 regimes: AP[1] RES1, XN at bit 54 */
	bool e0pd;
	uint64_t mair;
	uint16_t asid;
	/* stage 2 */
	uint16_t vmid;
	bool ptw;              /* S2PTW: S1 walks to Device memory fault */
	bool fwb, xnx;
	/* walk attributes (IR/OR/SH), recorded for traces */
	uint8_t ir, or_, sh;
};

/* Access being translated, after STE overrides. */
struct access {
	bool write;
	bool instr;
	bool priv;
};

/* Result of translating one input address through one or two stages. */
struct walk_result {
	uint64_t oa;           /* output address for the input address */
	uint8_t size_shift;    /* log2 of the mapping size (min over stages) */
	uint8_t level;         /* leaf level of the final stage */
	bool ng;               /* stage-1 not-global */
	/* permissions granted by the combined stages */
	bool pr, pw, px;       /* privileged read/write/execute */
	bool ur, uw, ux;       /* unprivileged read/write/execute */
	bool write_needs_walk; /* writable-clean under HTTU: a write must walk */
	uint8_t attr;          /* resolved memory attributes (MAIR-style) */
	uint8_t sh;
	uint64_t ipa;          /* stage-1 output when nested */
};

/* ---------------------------------------------------------------------
 * Decoded STE (ste.c) and CD (cd.c)
 * ------------------------------------------------------------------- */

enum stream_world {
	WORLD_NS_EL1 = 0,
	WORLD_NS_EL2 = 1,
	WORLD_NS_EL2_E2H = 2,
	WORLD_SECURE = 3,
	WORLD_EL3 = 4,
};

struct ste_cfg {
	uint64_t raw[8];
	uint8_t config;        /* STE.Config */
	bool abort;            /* Config 0xx: silent abort */
	bool bypass;           /* Config 100 */
	bool s1_en, s2_en;     /* Config bit 0 / bit 1 */
	/* stage 1 */
	uint8_t s1fmt;
	uint64_t s1ctxptr;
	uint8_t s1cdmax;
	uint8_t s1dss;
	uint8_t s1cir, s1cor, s1csh;
	bool s1stalld;
	/* attributes and controls */
	uint8_t eats;          /* effective EATS */
	uint8_t strw;
	enum stream_world world;
	bool mev, ppar, dcp;
	uint8_t memattr, alloccfg, shcfg, nscfg, privcfg, instcfg;
	bool mtcfg;
	/* stage 2 */
	struct walk_regime s2;
	bool s2s, s2r;
};

struct cd_cfg {
	uint64_t raw[8];
	struct walk_regime tt[2]; /* TTB0 and TTB1 regimes */
	uint16_t asid;
	bool aset;
	bool a, r, s;          /* fault controls */
	bool aa64;
};

/* ---------------------------------------------------------------------
 * The SMMU
 * ------------------------------------------------------------------- */

struct smmu_regs;
struct smmu_cmdq;
struct smmu_evtq;
struct smmu_cfgcache;
struct smmu_tlb;
struct smmu_walkcache;
struct smmu_timing;
struct translate_state;
struct smmu_endpoints;
struct smmu_priq;

struct smmu {
	struct sim *sim;
	struct pmem *mem;
	struct smmu_impl impl;
	struct smmu_irq_ops irq;
	int mmio_region;

	struct smmu_regs *regs;
	struct smmu_cmdq *cmdq;
	struct smmu_evtq *evtq;
	struct smmu_cfgcache *cfgcache;
	struct smmu_tlb *tlb;
	struct smmu_walkcache *walkcache;
	struct smmu_timing *timing;
	struct translate_state *translate;
	struct smmu_endpoints *endpoints; /* endpoint.c: ATS/PRI port */
	struct smmu_priq *priq;           /* priq.c */
	/*
	 * Bumped whenever the configuration cache or the TLB changes (fill,
	 * eviction, invalidation). translate.c's per-stream fast path is
	 * valid only while it is unchanged.
	 */
	uint64_t cache_epoch;
	/* Test knob: translate every transaction through the full pipeline
	 * (tests/test_fastpath.c checks both give identical results). */
	bool no_fast_path;

	struct smmu_stats stats;
	struct smmu_trace *trace;         /* trace.c; NULL: not tracing */
	struct smmu_checks *check;        /* invariants.c; NULL: off */
};

/* --- invariants.c ------------------------------------------------------ */
struct inval_req;
/* cmdq.c: a TLBI executed / a CMD_SYNC retired, while checks are on */
void check_tlbi_executed(struct smmu *smmu, const struct inval_req *req);
void check_sync_retired(struct smmu *smmu);
void checks_destroy(struct smmu *smmu);
/* translate.c: stalled transactions held now */
uint32_t translate_stalls_held(const struct smmu *smmu);
/* tlb.c: fills so far; entries filled at or before fill `upto` that
 * `req` covers */
uint64_t tlb_fills(const struct smmu *smmu);
uint64_t tlb_count_covered(const struct smmu *smmu,
			   const struct inval_req *req, uint64_t upto);

/* --- trace.c: docs/trace-format.md ------------------------------------ */
static inline bool trace_on(const struct smmu *smmu)
{
	return smmu->trace != NULL;
}

struct cmd_args {
	bool has_sid, has_ssid, has_asid, has_vmid, has_addr;
	uint32_t sid, ssid;
	uint16_t asid, vmid;
	uint64_t addr;
};

void trace_mmio(struct smmu *smmu, bool write, uint64_t off, unsigned size,
		uint64_t val, bool ok);
void trace_cmd(struct smmu *smmu, uint32_t idx, const uint64_t cmd[2]);
/* cmd NULL: the command could not be read */
void trace_cmd_err(struct smmu *smmu, uint32_t idx, const uint64_t *cmd,
		   uint8_t cerror);
void trace_sync(struct smmu *smmu, uint32_t idx, unsigned cs);
void trace_evt(struct smmu *smmu, uint32_t idx, const uint64_t rec[4]);
void trace_evt_lost(struct smmu *smmu, const struct smmu_event *ev,
		    const char *reason);
void trace_ppr(struct smmu *smmu, const struct smmu_page_request *m);
void trace_pri(struct smmu *smmu, const struct smmu_page_request *m,
	       uint32_t idx, const uint64_t rec[2]);
void trace_pri_lost(struct smmu *smmu, const struct smmu_page_request *m,
		    const char *reason);
void trace_prg_resp(struct smmu *smmu, const struct smmu_pri_resp *r);
void trace_irq(struct smmu *smmu, enum smmu_irq_line line);
void trace_msi(struct smmu *smmu, enum smmu_irq_line src, uint64_t addr,
	       uint32_t data, bool ok);
void trace_gerror(struct smmu *smmu, unsigned bit);
void trace_sev(struct smmu *smmu);
void trace_ats_req(struct smmu *smmu, const struct smmu_txn *txn);
void trace_txn(struct smmu *smmu, const struct smmu_txn *txn,
	       const struct smmu_txn_result *res);
void trace_stall(struct smmu *smmu, const struct smmu_txn *txn,
		 uint16_t stag);
void trace_atc_inv(struct smmu *smmu, const struct smmu_atc_inv *req);
void trace_atc_inv_cpl(struct smmu *smmu, uint32_t sid);

/* smmu.c: a memory write made by the SMMU (pmem agent SMMU) */
enum mem_result smmu_mem_write(struct smmu *s, uint64_t addr, const void *buf,
			       size_t len, uint64_t *cycles);

/* --- regs.c --------------------------------------------------------- */
struct smmu_regs *regs_create(struct smmu *smmu);
void regs_destroy(struct smmu_regs *r);
bool regs_read(struct smmu *smmu, uint64_t off, unsigned size, uint64_t *v);
bool regs_write(struct smmu *smmu, uint64_t off, unsigned size, uint64_t v);
/* Whether the register interface accepts an access of this shape (not
 * refused with an external abort), without making it. */
bool regs_access_ok(uint64_t off, unsigned size);
/* Effective (acknowledged) state used by the rest of the model. */
bool smmu_enabled(const struct smmu *smmu);     /* CR0ACK.SMMUEN */
bool smmu_eventq_enabled(const struct smmu *smmu);
bool smmu_priq_enabled(const struct smmu *smmu);
bool smmu_cmdq_enabled(const struct smmu *smmu);
bool smmu_atschk(const struct smmu *smmu);
uint32_t smmu_cr2(const struct smmu *smmu);     /* CR2 in effect */
uint32_t smmu_gbpa(const struct smmu *smmu);
uint64_t smmu_strtab_base(const struct smmu *smmu);
uint32_t smmu_strtab_base_cfg(const struct smmu *smmu);
/* Activate a GERROR source (bit index) if inactive; raises the IRQ/MSI. */
void smmu_gerror_raise(struct smmu *smmu, unsigned bit);
bool smmu_gerror_active(const struct smmu *smmu, unsigned bit);
/* Signal an interrupt source (EVTQ, PRIQ, GERROR): MSI per *_IRQ_CFG or
 * the wired line, gated by IRQ_CTRLACK. */
void smmu_signal_irq(struct smmu *smmu, enum smmu_irq_line line);
/* A 32-bit MSI write; false (and the matching MSI_*_ABT_ERR) on abort. */
bool smmu_msi_write(struct smmu *smmu, uint64_t addr, uint32_t data,
		    unsigned abt_gerror_bit);

/* GERROR bits (facts §1.9) */
enum {
	GERROR_CMDQ_ERR = 0,
	GERROR_EVENTQ_ABT_ERR = 2,
	GERROR_PRIQ_ABT_ERR = 3,
	GERROR_MSI_CMDQ_ABT_ERR = 4,
	GERROR_MSI_EVENTQ_ABT_ERR = 5,
	GERROR_MSI_PRIQ_ABT_ERR = 6,
	GERROR_MSI_GERROR_ABT_ERR = 7,
	GERROR_SFM_ERR = 8,
};

/* --- cmdq.c --------------------------------------------------------- */
struct smmu_cmdq *cmdq_create(struct smmu *smmu);
void cmdq_destroy(struct smmu_cmdq *q);
/* Called by regs.c after a CMDQ_PROD write, a CMDQEN 0->1 change, or a
 * GERRORN write that acknowledged CMDQ_ERR. */
void cmdq_kick(struct smmu *smmu);
/*
 * endpoint.c calls this when an ATS Invalidate Completion retires an
 * outstanding invalidation, so a CMD_SYNC waiting for it can complete.
 */
void cmdq_atc_inv_completed(struct smmu *smmu);
/* Architected name of a command ("CMD_CFGI_STE"); NULL if undefined. */
const char *cmdq_op_name(const uint64_t cmd[2]);
/* The StreamID, SubstreamID, ASID, VMID and address a command carries. */
void cmdq_args(const struct smmu *smmu, const uint64_t cmd[2],
	       struct cmd_args *a);

/* --- evtq.c --------------------------------------------------------- */
struct smmu_evtq *evtq_create(struct smmu *smmu);
void evtq_destroy(struct smmu_evtq *q);
/* Lay out / parse the 32-byte record (facts §6). */
void evtq_encode(const struct smmu_event *ev, uint64_t rec[4]);
void evtq_decode(const uint64_t rec[4], struct smmu_event *ev);
/* The record of this type carries an input (or page) address. */
bool evtq_has_input_addr(uint8_t id);
/*
 * Write a record to the event queue. Returns true if it was written;
 * false if discarded (queue disabled/full/aborted: overflow semantics
 * applied) or, for a stall record, held until the queue is writable.
 * `cycles` accumulates the write latency.
 */
bool evtq_record(struct smmu *smmu, const struct smmu_event *ev,
		 uint64_t *cycles);
/* Called by regs.c on EVENTQ_CONS writes / EVENTQEN changes, so held
 * stall records can be retried. */
void evtq_kick(struct smmu *smmu);

/* --- endpoint.c ----------------------------------------------------- */
/*
 * The SMMU's ATS/PRI port towards PCIe endpoints (§3.9, §4.5, §8):
 * routing by StreamID, ATS Invalidate Requests and their completions.
 */
/* PCIe PRG Response Codes (§8.3; facts §7.2) */
enum prg_resp_code {
	PRG_RESP_SUCCESS = 0x0,
	PRG_RESP_INVALID_REQUEST = 0x1,
	PRG_RESP_FAILURE = 0xF,        /* Response Failure */
};

struct smmu_endpoints *endpoints_create(struct smmu *smmu);
void endpoints_destroy(struct smmu_endpoints *e);
/*
 * Send an ATS Invalidate Request (req->tag is assigned here) and track it
 * as outstanding until smmu_atc_inv_done(). A StreamID with no endpoint
 * has nothing to invalidate: the request completes at once.
 */
void ats_inv_send(struct smmu *smmu, struct smmu_atc_inv *req);
/* Tag of the latest invalidation sent (0: none yet). */
uint64_t ats_inv_mark(const struct smmu *smmu);
/* Some invalidation sent at or before `mark` is still outstanding. */
bool ats_inv_pending(const struct smmu *smmu, uint64_t mark);
/* A CMD_SYNC reported CERROR_ATC_INV_SYNC for the invalidations up to
 * `mark` (forgets those the port could not track, see endpoint.c). */
void ats_inv_timed_out(struct smmu *smmu, uint64_t mark);
/* Send a PRG Response to the endpoint owning resp->sid (dropped if none). */
void endpoint_pri_resp(struct smmu *smmu, const struct smmu_pri_resp *resp);

/* --- priq.c --------------------------------------------------------- */
/* The PRI queue (§8): smmu_pri_request() (public) feeds it. */
struct smmu_priq *priq_create(struct smmu *smmu);
void priq_destroy(struct smmu_priq *q);

/* --- strtab.c / ste.c ---------------------------------------------- */
/*
 * Find and decode the STE for `sid`, through the configuration cache.
 * Returns true with *out filled, or false with ev->id set to
 * C_BAD_STREAMID, F_STE_FETCH or C_BAD_STE (and fetch_addr where the
 * record has one). ev's sid/ssid/access fields are the caller's.
 */
bool ste_lookup(struct smmu *smmu, uint32_t sid, struct ste_cfg *out,
		struct smmu_event *ev, uint64_t *cycles);
/*
 * As ste_lookup(), but returns the cached STE in place (pinned until the
 * next lookup, see cfgcache_ref_ste) or `scratch` after a fetch; NULL
 * with ev->id set on a fault.
 */
const struct ste_cfg *ste_lookup_ref(struct smmu *smmu, uint32_t sid,
				     struct ste_cfg *scratch,
				     struct smmu_event *ev, uint64_t *cycles);
/* Decode 64 bytes of STE; false (C_BAD_STE) if V=0 or ILLEGAL. */
bool ste_decode(const struct smmu *smmu, const uint64_t raw[8],
		struct ste_cfg *out);
/*
 * Which rule refused an STE or CD: the field as §5.2 / §5.4 name it and
 * the reason, both static strings. Only the first failing rule, in the
 * order of the spec's SteIllegal() / CdIllegal(), is reported.
 */
struct cfg_illegal {
	const char *field;
	const char *reason;
};
/* Store (field, reason) in *why when why is not NULL; returns true. */
bool cfg_flag_illegal(struct cfg_illegal *why, const char *field,
		      const char *reason);
/* ste_decode() that also says why it refused the STE (why may be NULL;
 * untouched on success). */
bool ste_decode_why(const struct smmu *smmu, const uint64_t raw[8],
		    struct ste_cfg *out, struct cfg_illegal *why);
/*
 * The stream table walk with explicit STRTAB_BASE / STRTAB_BASE_CFG
 * values (facts §3.1), without the configuration cache:
 * strtab_locate() gives the STE address (fetching the L1STD for a
 * 2-level table); strtab_lookup_at() also fetches and decodes the STE.
 * Both fail with ev->id = C_BAD_STREAMID, F_STE_FETCH (fetch_addr set)
 * or, for the lookup, C_BAD_STE.
 */
bool strtab_locate(struct smmu *smmu, uint64_t base_reg, uint32_t base_cfg,
		   uint32_t sid, uint64_t *ste_addr, struct smmu_event *ev,
		   uint64_t *cycles);
bool strtab_lookup_at(struct smmu *smmu, uint64_t base_reg,
		      uint32_t base_cfg, uint32_t sid, struct ste_cfg *out,
		      struct smmu_event *ev, uint64_t *cycles);

/* --- cd.c ----------------------------------------------------------- */
/*
 * Find and decode the CD for (ste, ssv, ssid). Handles S1CDMax, S1DSS,
 * S1Fmt and 2-level tables; fetches through stage 2 when ste->s2_en.
 * Returns 1 with *out filled, 0 when S1DSS says "bypass stage 1" (no CD),
 * or -1 with ev->id set (C_BAD_SUBSTREAMID, F_STREAM_DISABLED,
 * F_CD_FETCH, C_BAD_CD, or a stage-2 fault with CLASS=CD).
 */
int cd_lookup(struct smmu *smmu, uint32_t sid, const struct ste_cfg *ste,
	      bool ssv, uint32_t ssid, struct cd_cfg *out,
	      struct smmu_event *ev, uint64_t *cycles);
/*
 * As cd_lookup(), but *out points at the cached CD on a hit (valid until
 * the next cfgcache change) or at `scratch` after a fetch.
 */
int cd_lookup_ref(struct smmu *smmu, uint32_t sid, const struct ste_cfg *ste,
		  bool ssv, uint32_t ssid, struct cd_cfg *scratch,
		  const struct cd_cfg **out, struct smmu_event *ev,
		  uint64_t *cycles);
bool cd_decode(const struct smmu *smmu, const struct ste_cfg *ste,
	       const uint64_t raw[8], struct cd_cfg *out);
/* cd_decode() that also says why it refused the CD (see cfg_illegal). */
bool cd_decode_why(const struct smmu *smmu, const struct ste_cfg *ste,
		   const uint64_t raw[8], struct cd_cfg *out,
		   struct cfg_illegal *why);
/*
 * The address (PA, or IPA when ste->s2_en) of CD `ssid` of a decoded
 * stage-1 STE, fetching the L1CD of a 2-level table. `substreams` is
 * S1CDMax != 0 with IDR1.SSIDSIZE != 0 (else the one CD at
 * S1ContextPtr). False with ev->id = C_BAD_STE, C_BAD_SUBSTREAMID, or a
 * fetch fault (F_CD_FETCH, stage-2 fault CLASS=CD).
 */
bool cd_locate(struct smmu *smmu, const struct ste_cfg *ste,
	       bool substreams, uint32_t ssid, uint64_t *addr,
	       struct smmu_event *ev, uint64_t *cycles);

/* --- cfgcache.c ----------------------------------------------------- */
struct smmu_cfgcache *cfgcache_create(struct smmu *smmu);
void cfgcache_destroy(struct smmu_cfgcache *c);
bool cfgcache_get_ste(struct smmu *smmu, uint32_t sid, struct ste_cfg *out);
/* The cached STE itself, pinned against eviction by fills until the next
 * cfgcache_ref_ste(); valid until an invalidation. */
const struct ste_cfg *cfgcache_ref_ste(struct smmu *smmu, uint32_t sid);
/* Record a use of a cached STE / CD obtained from cfgcache_ref_* (the
 * same replacement-state update and pinning a lookup hit makes). */
void cfgcache_touch_ste(struct smmu *smmu, const struct ste_cfg *ste);
void cfgcache_touch_cd(struct smmu *smmu, const struct cd_cfg *cd);
/* cfgcache_touch_ste(ste), then cfgcache_touch_cd(cd) unless cd is NULL. */
void cfgcache_touch_both(struct smmu *smmu, const struct ste_cfg *ste,
			 const struct cd_cfg *cd);
/* Changes with every fill and invalidation: while it is unchanged, a
 * lookup finds what it found before (and the cached entry is the same). */
uint64_t cfgcache_gen(const struct smmu *smmu);
void cfgcache_put_ste(struct smmu *smmu, uint32_t sid,
		      const struct ste_cfg *ste);
bool cfgcache_get_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid,
		     struct cd_cfg *out);
/* The cached CD itself: valid until the next cfgcache insert or
 * invalidation (the hot path reads it in place instead of copying). */
const struct cd_cfg *cfgcache_ref_cd(struct smmu *smmu, uint32_t sid,
				     uint32_t ssid);
void cfgcache_put_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid,
		     const struct cd_cfg *cd);
/* CFGI_STE (with its CDs), CFGI_STE_RANGE, CFGI_CD, CFGI_CD_ALL, CFGI_ALL.
 * Each returns the number of entries scanned (for timing). */
uint64_t cfgcache_inv_ste(struct smmu *smmu, uint32_t sid, uint32_t range);
uint64_t cfgcache_inv_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid);
uint64_t cfgcache_inv_cd_all(struct smmu *smmu, uint32_t sid);
uint64_t cfgcache_inv_all(struct smmu *smmu);

/* --- walk.c --------------------------------------------------------- */
/*
 * Translate `ia` for `acc` through stage 1 (`s1`, may be NULL = bypass)
 * and stage 2 (`s2`, may be NULL = bypass). With both, every stage-1
 * table address and the final IPA go through stage 2 (nested).
 * Performs the walk-time checks in spec order (range, per-level fetch
 * abort / invalid / address size, access flag, permission) including
 * hardware AF/dirty updates. Returns true with *out filled, or false with
 * ev->id, s2, class_, ipa, fetch_addr, ttrnw set.
 * Uses the walk cache; does not consult or fill the TLB.
 */
bool walk_translate(struct smmu *smmu, const struct walk_regime *s1,
		    const struct walk_regime *s2, uint64_t ia,
		    const struct access *acc, struct walk_result *out,
		    struct smmu_event *ev, uint64_t *cycles);
/*
 * Stage-2 translation of an IPA used for a structure fetch (CD, L1CD):
 * read access, faults reported with CLASS=`cls`.
 */
bool walk_s2_fetch(struct smmu *smmu, const struct walk_regime *s2,
		   uint64_t ipa, uint8_t cls, uint64_t *pa,
		   struct smmu_event *ev, uint64_t *cycles);
/* Check an access against the permissions of a (cached) result. */
bool walk_permits(const struct walk_result *r, const struct access *acc);

/* --- walkcache.c / tlb.c / inval.c --------------------------------- */

/* A TLB tag: what an entry was translated under. */
struct tlb_tag {
	uint8_t world;      /* enum stream_world */
	bool s1, s2;        /* stages that translated */
	uint16_t vmid;      /* when s2 or NS-EL1 with S2P */
	uint16_t asid;      /* stage-1 ASID */
};

struct tlb_entry {
	struct tlb_tag tag;
	bool global;         /* nG = 0: matches any ASID */
	uint64_t ia;         /* input address, aligned to 1 << size_shift */
	uint8_t size_shift;
	uint8_t level;       /* leaf level, for TTL-hinted invalidation */
	uint8_t granule_shift;
	struct walk_result res;
	uint64_t fill;       /* set by tlb_insert: its fill number */
};

struct smmu_tlb *tlb_create(struct smmu *smmu);
void tlb_destroy(struct smmu_tlb *t);
bool tlb_lookup(struct smmu *smmu, const struct tlb_tag *tag, uint64_t ia,
		struct tlb_entry *out);
void tlb_insert(struct smmu *smmu, const struct tlb_entry *e);
/* The cached entry itself, valid until the next TLB insert or
 * invalidation; NULL on a miss. */
const struct tlb_entry *tlb_lookup_ref(struct smmu *smmu,
				       const struct tlb_tag *tag, uint64_t ia);
/* Another entry than `hit` also translates ia (a multi-match). */
bool tlb_conflict(struct smmu *smmu, const struct tlb_tag *tag, uint64_t ia,
		  const struct tlb_entry *hit);
/* Record a use of an entry from tlb_lookup_ref (replacement state). */
void tlb_touch(struct smmu *smmu, const struct tlb_entry *e);
/* The TLB holds entries (false: tlb_insert does nothing). */
bool tlb_active(const struct smmu *smmu);
/* An entry from tlb_lookup_ref by position, valid as long as the entry:
 * tlb_touch_index(smmu, tlb_index(smmu, e)) is tlb_touch(smmu, e). */
size_t tlb_index(const struct smmu *smmu, const struct tlb_entry *e);
void tlb_touch_index(struct smmu *smmu, size_t i);

struct smmu_walkcache *walkcache_create(struct smmu *smmu);
void walkcache_destroy(struct smmu_walkcache *w);

/* An invalidation request, decoded from a TLBI_* command (facts §5.3). */
enum inval_kind {
	INV_NH_ALL,     /* VMID */
	INV_NH_ASID,    /* VMID, ASID */
	INV_NH_VA,      /* VMID, ASID, VA range */
	INV_NH_VAA,     /* VMID, VA range, any ASID */
	INV_EL2_ALL,
	INV_EL2_ASID,
	INV_EL2_VA,
	INV_EL2_VAA,
	INV_S12_VMALL,  /* VMID: stage 1 and stage 2 */
	INV_S2_IPA,     /* VMID, IPA range */
	INV_NSNH_ALL,   /* every NS non-EL2 entry */
	INV_EL3_ALL,
	INV_EL3_VA,
	INV_ALL,        /* everything (SMMUEN transitions, tests) */
};

struct inval_req {
	enum inval_kind kind;
	uint16_t vmid, asid;
	bool use_asid;      /* EL2_VA with E2H: ASID matched */
	uint64_t addr;      /* start (VA or IPA), page aligned */
	uint64_t size;      /* bytes covered; 0 = one page of any size at addr */
	bool leaf;          /* only last-level entries */
	uint8_t ttl;        /* 0 any, 1..3 level hint */
	uint8_t tg_shift;   /* 0 none, else 12/14/16 */
};

/* Apply to TLB and walk cache; returns entries scanned (timing). */
uint64_t smmu_invalidate(struct smmu *smmu, const struct inval_req *req);
uint64_t tlb_invalidate(struct smmu *smmu, const struct inval_req *req);
uint64_t walkcache_invalidate(struct smmu *smmu, const struct inval_req *req);

/* --- timing.c ------------------------------------------------------- */
/*
 * Contended resources are counting semaphores of N slots, each slot free
 * from some cycle on. acquire() takes the slot that frees first, starts
 * the work at max(ready, slot free), holds the slot for `hold` cycles and
 * returns the start cycle.
 */
enum smmu_resource {
	RES_TRANSLATION, /* translations in flight (impl.max_translations) */
	RES_WALK,        /* page-table walks in flight (impl.max_walks) */
	RES_COUNT,
};

struct smmu_timing *timing_create(struct smmu *smmu);
void timing_destroy(struct smmu_timing *t);
uint64_t timing_acquire(struct smmu *smmu, enum smmu_resource r,
			uint64_t ready, uint64_t hold);
/* Cycle at which the last slot of r becomes free (drain point for SYNC). */
uint64_t timing_drain_time(const struct smmu *smmu, enum smmu_resource r);

/* --- translate.c ---------------------------------------------------- */
/* Stalled transactions (CMD_RESUME / CMD_STALL_TERM). */
/* Retry (ac=true) or terminate (abort=true: abort, else RAZ/WI). Returns
 * false if no stalled transaction matches (sid, stag). */
bool smmu_resume(struct smmu *smmu, uint32_t sid, uint16_t stag, bool retry,
		 bool abort);
/* CMD_STALL_TERM: abort every stalled transaction of sid now. */
void smmu_stall_term(struct smmu *smmu, uint32_t sid);
/* SMMUEN 1->0: every stalled transaction is aborted. */
void smmu_stall_abort_all(struct smmu *smmu);
/* Free transactions still in flight when the SMMU is destroyed. */
void translate_destroy_pending(struct smmu *smmu);

#endif
