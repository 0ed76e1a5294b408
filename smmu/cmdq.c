/* SPDX-License-Identifier: MIT */
/*
 * The command queue (IHI 0070 §3.5, §4, §7.1; facts §2.1, §2.2, §5).
 *
 * Commands are consumed one at a time from engine events, so CMDQ_CONS
 * advances in simulated time. Each command is fetched and executed when
 * its turn comes (its effect is immediate) and retired — CONS moved past
 * it, or CONS.ERR and GERROR.CMDQ_ERR set — after its cost:
 *
 *   lat.cmd_fetch + memory latency of the 16-byte read
 *   + lat.cmd_exec + lat.tlbi_per_entry * entries scanned
 *
 * A CMD_SYNC retires no earlier than lat.sync after that, and no earlier
 * than the drain point of the translations in flight (timing.c), then
 * sends its completion signal.
 *
 * CMD_ATC_INV sends its ATS Invalidate Request as it executes
 * (endpoint.c). A CMD_SYNC also waits for the completion of every request
 * sent before it: from its execution on, it waits up to
 * lat.atc_inv_timeout cycles, retiring as soon as the last one arrives
 * (or at its normal time if that is later). If they are not all answered
 * by then it is not consumed: CONS.ERR = CERROR_ATC_INV_SYNC and
 * GERROR.CMDQ_ERR (§3.9.1.4, §4.7.3). Once the error is acknowledged the
 * SYNC is fetched again and waits again for what is still outstanding.
 *
 * Reserved fields: only SSec (DW0[10]) is checked, on every opcode; other
 * non-zero reserved fields are ignored (§4.1.3 allows either).
 */
#include "smmu/cmdq.h"
#include "smmu/queue.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#include <stdlib.h>
#include <string.h>

/* The feature an opcode needs; without it the opcode is ILLEGAL. */
enum cmd_need {
	NEED_NONE,
	NEED_S1P,    /* IDR0.S1P */
	NEED_S2P,    /* IDR0.S2P */
	NEED_HYP,    /* IDR0.Hyp */
	NEED_ATS,    /* IDR0.ATS */
	NEED_PRI,    /* IDR0.PRI */
	NEED_STALL,  /* IDR0.STALL_MODEL != 0b01 */
};

/* TLBI parameters a command carries. */
enum {
	TA_VMID = 1u << 0,
	TA_ASID = 1u << 1,
	TA_RANGE = 1u << 2,  /* NUM, SCALE, Leaf, TTL, TG, Address */
	TA_IPA = 1u << 3,    /* Address is an IPA ([55:12]) */
	TA_E2H_ASID = 1u << 4, /* ASID used only when CR2.E2H == 1 */
};

struct cmd_ctx {
	struct smmu *smmu;
	const uint64_t *cmd;
	uint64_t scanned;     /* cache entries scanned, for timing */
};

struct cmd_desc {
	const char *name;
	enum cmd_need need;
	uint8_t (*exec)(struct cmd_ctx *c, const struct cmd_desc *d);
	enum inval_kind kind; /* TLBI_* */
	unsigned targs;       /* TLBI_* parameters (TA_*) */
};

struct smmu_cmdq {
	struct smmu *smmu;
	sim_event_id ev;
	bool busy;            /* a command awaits retirement at ev */
	uint8_t err;          /* its outcome: CERROR_* */
	bool sync;            /* it is a CMD_SYNC: signal on retirement */
	uint8_t cs;
	uint64_t msi_addr;
	uint32_t msi_data;
	/* A CMD_SYNC waiting for ATS Invalidate Completions */
	bool atc_wait;
	uint64_t atc_mark;    /* the last request it waits for */
	uint64_t sync_done;   /* when it retires if nothing is outstanding */
	/* the command being executed, for the trace */
	uint64_t cur[2];
	bool cur_read;        /* cur holds it (the read did not abort) */
	uint32_t cur_idx;
};

/* --- commands ------------------------------------------------------- */

static uint8_t cmd_nop(struct cmd_ctx *c, const struct cmd_desc *d)
{
	/* §4.2: prefetches never report errors and may do nothing. */
	(void)c;
	(void)d;
	return CERROR_NONE;
}

static uint32_t cmd_sid(const struct cmd_ctx *c)
{
	return (uint32_t)fget(c->cmd, CMD_STREAMID);
}

static uint8_t cmd_cfgi_ste(struct cmd_ctx *c, const struct cmd_desc *d)
{
	(void)d;
	/* §4.3.1: the STE of one StreamID (and its CDs) */
	c->scanned += cfgcache_inv_ste(c->smmu, cmd_sid(c), 0);
	return CERROR_NONE;
}

static uint8_t cmd_cfgi_ste_range(struct cmd_ctx *c,
				  const struct cmd_desc *d)
{
	unsigned range = (unsigned)fget(c->cmd, CMD_CFGI_RANGE);

	(void)d;
	/* §4.3.2: 2^(Range+1) StreamIDs, the low Range+1 SID bits
	 * ignored; Range 31 is CFGI_ALL. cfgcache_inv_ste() takes the
	 * log2 of the number of StreamIDs. */
	if (range == CFGI_RANGE_ALL) {
		c->scanned += cfgcache_inv_all(c->smmu);
		return CERROR_NONE;
	}
	uint32_t sid = (uint32_t)(cmd_sid(c) & ~bits_mask(range + 1));

	c->scanned += cfgcache_inv_ste(c->smmu, sid, range + 1);
	return CERROR_NONE;
}

static uint8_t cmd_cfgi_cd(struct cmd_ctx *c, const struct cmd_desc *d)
{
	(void)d;
	c->scanned += cfgcache_inv_cd(c->smmu, cmd_sid(c),
				      (uint32_t)fget(c->cmd, CMD_SUBSTREAMID));
	return CERROR_NONE;
}

static uint8_t cmd_cfgi_cd_all(struct cmd_ctx *c, const struct cmd_desc *d)
{
	(void)d;
	c->scanned += cfgcache_inv_cd_all(c->smmu, cmd_sid(c));
	return CERROR_NONE;
}

/* Granule shift for TG (§4.4.1): 01 4K, 10 16K, 11 64K. */
static const uint8_t tg_granule_shift[4] = { 0, 12, 14, 16 };
#define TG_16K 2u
#define TTL_LEVEL1 1u

static uint8_t cmd_tlbi(struct cmd_ctx *c, const struct cmd_desc *d)
{
	struct inval_req req;
	uint8_t err = cmdq_tlbi_decode(c->smmu, c->cmd, &req);

	(void)d;
	if (err == CERROR_NONE) {
		c->scanned += smmu_invalidate(c->smmu, &req);
		if (c->smmu->check)
			check_tlbi_executed(c->smmu, &req);
	}
	return err;
}

static uint8_t cmd_atc_inv(struct cmd_ctx *c, const struct cmd_desc *d)
{
	struct smmu_atc_inv a;
	unsigned size = (unsigned)fget(c->cmd, CMD_ATC_SIZE);

	(void)d;
	if (size > ATC_INV_SIZE_MAX)
		return CERROR_ILL;
	/* §4.5.1: IGNORED while SMMUEN == 0 */
	if (!smmu_enabled(c->smmu))
		return CERROR_NONE;
	memset(&a, 0, sizeof(a));
	a.sid = cmd_sid(c);
	/* §4.5.1: without substreams SSV == 1 acts as SSV == 0 (one of the
	 * CONSTRAINED UNPREDICTABLE choices); Global is IGNORED without
	 * SSV. */
	a.ssv = fget(c->cmd, CMD_SSV) && c->smmu->impl.ssidsize;
	if (a.ssv) {
		a.ssid = (uint32_t)fget(c->cmd, CMD_SUBSTREAMID);
		a.global = fget(c->cmd, CMD_ATC_GLOBAL);
	}
	/* span 4096 * 2^Size; Address[11 + Size:0] taken as zero */
	a.span_log2 = (uint8_t)(PMEM_PAGE_SHIFT + size);
	a.addr = fget_inplace(c->cmd, CMD_ATC_ADDR) &
		 ~bits_mask(a.span_log2);
	ats_inv_send(c->smmu, &a);
	return CERROR_NONE;
}

#define PRI_RESP_RESERVED 3u

/* §4.5.2 Resp -> PCIe PRG Response Code (§8.3; facts §7.2) */
static const uint8_t pri_resp_code[PRI_RESP_RESERVED] = {
	[0] = PRG_RESP_FAILURE,         /* ResponseFailure */
	[1] = PRG_RESP_INVALID_REQUEST, /* InvalidRequest */
	[2] = PRG_RESP_SUCCESS,         /* Success */
};

static uint8_t cmd_pri_resp(struct cmd_ctx *c, const struct cmd_desc *d)
{
	unsigned resp = (unsigned)fget(c->cmd, CMD_PRI_RESP_CODE);
	struct smmu_pri_resp r;

	(void)d;
	if (resp == PRI_RESP_RESERVED)
		return CERROR_ILL;
	/* §4.5.2: IGNORED while SMMUEN == 0 */
	if (!smmu_enabled(c->smmu))
		return CERROR_NONE;
	memset(&r, 0, sizeof(r));
	r.sid = cmd_sid(c);
	/* §4.5.2: SSV == 1 puts a PASID prefix on the response; without
	 * substreams it acts as SSV == 0 */
	r.ssv = fget(c->cmd, CMD_SSV) && c->smmu->impl.ssidsize;
	if (r.ssv)
		r.ssid = (uint32_t)fget(c->cmd, CMD_SUBSTREAMID);
	r.prgi = (uint16_t)fget(c->cmd, CMD_PRI_PRGINDEX);
	r.code = pri_resp_code[resp];
	endpoint_pri_resp(c->smmu, &r);
	return CERROR_NONE;
}

static uint8_t cmd_resume(struct cmd_ctx *c, const struct cmd_desc *d)
{
	(void)d;
	/* §4.7.1: an unknown StreamID/STAG pair is a no-op */
	smmu_resume(c->smmu, cmd_sid(c),
		    (uint16_t)fget(c->cmd, CMD_RESUME_STAG),
		    fget(c->cmd, CMD_RESUME_AC), fget(c->cmd, CMD_RESUME_AB));
	return CERROR_NONE;
}

static uint8_t cmd_stall_term(struct cmd_ctx *c, const struct cmd_desc *d)
{
	(void)d;
	smmu_stall_term(c->smmu, cmd_sid(c));
	return CERROR_NONE;
}

static uint8_t cmd_sync(struct cmd_ctx *c, const struct cmd_desc *d)
{
	struct smmu_cmdq *q = c->smmu->cmdq;
	uint8_t cs = (uint8_t)fget(c->cmd, CMD_SYNC_CS);

	(void)d;
	if (cs > CS_SIG_SEV) /* §4.7.3: CS == 0b11 is reserved */
		return CERROR_ILL;
	q->sync = true;
	q->cs = cs;
	q->msi_addr = fget_inplace(c->cmd, CMD_SYNC_MSIADDR);
	q->msi_data = (uint32_t)fget(c->cmd, CMD_SYNC_MSIDATA);
	return CERROR_NONE;
}

/*
 * §4.1 opcode table for the Non-secure Command queue. Opcodes absent from
 * it are reserved or not applicable and raise CERROR_ILL: TLBI_EL3_* and
 * the TLBI_S_* family (Secure queue only), CFGI_VMS_PIDM (no MPAM),
 * DPTI_* (no DPT) and the IMPLEMENTATION DEFINED range.
 */
#define CMD(name_, need_, exec_) \
	{ .name = (name_), .need = (need_), .exec = (exec_) }
#define TLBI(name_, need_, kind_, targs_)                              \
	{ .name = (name_), .need = (need_), .exec = cmd_tlbi,          \
	  .kind = (kind_), .targs = (targs_) }

static const struct cmd_desc cmd_table[256] = {
	[CMD_PREFETCH_CONFIG] = CMD("CMD_PREFETCH_CONFIG", NEED_NONE, cmd_nop),
	[CMD_PREFETCH_ADDR] = CMD("CMD_PREFETCH_ADDR", NEED_NONE, cmd_nop),
	[CMD_CFGI_STE] = CMD("CMD_CFGI_STE", NEED_NONE, cmd_cfgi_ste),
	[CMD_CFGI_STE_RANGE] = CMD("CMD_CFGI_STE_RANGE", NEED_NONE,
				   cmd_cfgi_ste_range),
	[CMD_CFGI_CD] = CMD("CMD_CFGI_CD", NEED_S1P, cmd_cfgi_cd),
	[CMD_CFGI_CD_ALL] = CMD("CMD_CFGI_CD_ALL", NEED_S1P, cmd_cfgi_cd_all),
	[CMD_TLBI_NH_ALL] = TLBI("CMD_TLBI_NH_ALL", NEED_S1P, INV_NH_ALL,
				 TA_VMID),
	[CMD_TLBI_NH_ASID] = TLBI("CMD_TLBI_NH_ASID", NEED_S1P, INV_NH_ASID,
				  TA_VMID | TA_ASID),
	[CMD_TLBI_NH_VA] = TLBI("CMD_TLBI_NH_VA", NEED_S1P, INV_NH_VA,
				TA_VMID | TA_ASID | TA_RANGE),
	[CMD_TLBI_NH_VAA] = TLBI("CMD_TLBI_NH_VAA", NEED_S1P, INV_NH_VAA,
				 TA_VMID | TA_RANGE),
	[CMD_TLBI_EL2_ALL] = TLBI("CMD_TLBI_EL2_ALL", NEED_HYP, INV_EL2_ALL, 0),
	[CMD_TLBI_EL2_ASID] = TLBI("CMD_TLBI_EL2_ASID", NEED_HYP, INV_EL2_ASID,
				   TA_ASID | TA_E2H_ASID),
	[CMD_TLBI_EL2_VA] = TLBI("CMD_TLBI_EL2_VA", NEED_HYP, INV_EL2_VA,
				 TA_ASID | TA_E2H_ASID | TA_RANGE),
	[CMD_TLBI_EL2_VAA] = TLBI("CMD_TLBI_EL2_VAA", NEED_HYP, INV_EL2_VAA,
				  TA_RANGE),
	[CMD_TLBI_S12_VMALL] = TLBI("CMD_TLBI_S12_VMALL", NEED_S2P,
				    INV_S12_VMALL, TA_VMID),
	[CMD_TLBI_S2_IPA] = TLBI("CMD_TLBI_S2_IPA", NEED_S2P, INV_S2_IPA,
				 TA_VMID | TA_RANGE | TA_IPA),
	[CMD_TLBI_NSNH_ALL] = TLBI("CMD_TLBI_NSNH_ALL", NEED_NONE, INV_NSNH_ALL,
				   0),
	[CMD_ATC_INV] = CMD("CMD_ATC_INV", NEED_ATS, cmd_atc_inv),
	[CMD_PRI_RESP] = CMD("CMD_PRI_RESP", NEED_PRI, cmd_pri_resp),
	[CMD_RESUME] = CMD("CMD_RESUME", NEED_STALL, cmd_resume),
	[CMD_STALL_TERM] = CMD("CMD_STALL_TERM", NEED_STALL, cmd_stall_term),
	[CMD_SYNC] = CMD("CMD_SYNC", NEED_NONE, cmd_sync),
	/* Defined by the architecture for other queues or features, named
	 * for traces; CERROR_ILL here (no exec). */
	[0x07] = CMD("CMD_CFGI_VMS_PIDM", NEED_NONE, NULL),
	[0x18] = CMD("CMD_TLBI_EL3_ALL", NEED_NONE, NULL),
	[0x1A] = CMD("CMD_TLBI_EL3_VA", NEED_NONE, NULL),
	[0x50] = CMD("CMD_TLBI_S_EL2_ALL", NEED_NONE, NULL),
	[0x51] = CMD("CMD_TLBI_S_EL2_ASID", NEED_NONE, NULL),
	[0x52] = CMD("CMD_TLBI_S_EL2_VA", NEED_NONE, NULL),
	[0x53] = CMD("CMD_TLBI_S_EL2_VAA", NEED_NONE, NULL),
	[0x58] = CMD("CMD_TLBI_S_S12_VMALL", NEED_NONE, NULL),
	[0x5A] = CMD("CMD_TLBI_S_S2_IPA", NEED_NONE, NULL),
	[0x60] = CMD("CMD_TLBI_SNH_ALL", NEED_NONE, NULL),
	[0x70] = CMD("CMD_DPTI_ALL", NEED_NONE, NULL),
	[0x73] = CMD("CMD_DPTI_PA", NEED_NONE, NULL),
};

#define STALL_MODEL_TERMINATE 1u

static bool cmd_supported(const struct smmu *smmu, enum cmd_need need)
{
	const struct smmu_impl *p = &smmu->impl;

	switch (need) {
	case NEED_NONE:
		return true;
	case NEED_S1P:
		return p->s1p;
	case NEED_S2P:
		return p->s2p;
	case NEED_HYP:
		return p->hyp;
	case NEED_ATS:
		return p->ats;
	case NEED_PRI:
		return p->pri && p->ats;
	case NEED_STALL:
		return p->stall_model != STALL_MODEL_TERMINATE;
	}
	return false;
}

/*
 * Range and TTL of a TLBI_*VA / S2_IPA (§4.4.1; facts §5.3). Returns
 * false for the reserved NUM == SCALE == TTL == 0 combination.
 */
static bool tlbi_range(const struct smmu *smmu, const uint64_t *cmd,
		       const struct cmd_desc *d, struct inval_req *req)
{
	unsigned tg = (unsigned)fget(cmd, CMD_TLBI_TG);
	unsigned ttl = (unsigned)fget(cmd, CMD_TLBI_TTL);
	uint64_t num = fget(cmd, CMD_TLBI_NUM);
	unsigned scale = (unsigned)fget(cmd, CMD_TLBI_SCALE);

	req->addr = fget_inplace(cmd, d->targs & TA_IPA ? CMD_TLBI_IPA
						       : CMD_TLBI_VA);
	req->leaf = fget(cmd, CMD_TLBI_LEAF);
	/* Without IDR3.RIL, or with TG == 0: one page, no TTL hint. */
	if (!smmu->impl.ril || tg == 0)
		return true;
	/* 16K with TTL == 01 is treated as 00 when IDR5.DS == 0 */
	if (tg == TG_16K && ttl == TTL_LEVEL1)
		ttl = 0;
	if (num == 0 && scale == 0 && ttl == 0)
		return false;
	req->tg_shift = tg_granule_shift[tg];
	req->ttl = (uint8_t)ttl;
	/* Range = (NUM + 1) * 2^SCALE * granule */
	req->size = (num + 1) << (scale + req->tg_shift);
	return true;
}

uint8_t cmdq_tlbi_decode(const struct smmu *smmu, const uint64_t cmd[2],
			 struct inval_req *req)
{
	const struct cmd_desc *d = &cmd_table[fget(cmd, CMD_OPCODE)];
	const struct smmu_impl *p = &smmu->impl;

	memset(req, 0, sizeof(*req));
	if (d->exec != cmd_tlbi || !cmd_supported(smmu, d->need) ||
	    fget(cmd, CMD_SSEC))
		return CERROR_ILL;
	req->kind = d->kind;
	/* §4.4: VMID is RES0 without stage 2; the upper halves of VMID and
	 * ASID are RES0 with 8-bit VMIDs / ASIDs. */
	if ((d->targs & TA_VMID) && p->s2p)
		req->vmid = (uint16_t)(fget(cmd, CMD_TLBI_VMID) &
				       bits_mask(p->vmid16 ? 16 : 8));
	if (d->targs & TA_ASID) {
		req->asid = (uint16_t)(fget(cmd, CMD_TLBI_ASID) &
				       bits_mask(p->asid16 ? 16 : 8));
		req->use_asid = !(d->targs & TA_E2H_ASID) ||
				rget(smmu_cr2(smmu), CR2_E2H);
		if (!req->use_asid)
			req->asid = 0;
	}
	if ((d->targs & TA_RANGE) && !tlbi_range(smmu, cmd, d, req))
		return CERROR_ILL;
	return CERROR_NONE;
}

const char *cmdq_op_name(const uint64_t cmd[2])
{
	return cmd_table[fget(cmd, CMD_OPCODE)].name;
}

/* The arguments a trace shows for a command (docs/trace-format.md). */
void cmdq_args(const struct smmu *smmu, const uint64_t cmd[2],
	       struct cmd_args *a)
{
	unsigned op = (unsigned)fget(cmd, CMD_OPCODE);
	const struct cmd_desc *d = &cmd_table[op];
	bool ssv = fget(cmd, CMD_SSV) && smmu->impl.ssidsize;

	memset(a, 0, sizeof(*a));
	switch (op) {
	case CMD_CFGI_CD:
		a->has_ssid = true;
		a->ssid = (uint32_t)fget(cmd, CMD_SUBSTREAMID);
		/* fall through */
	case CMD_CFGI_STE:
	case CMD_CFGI_STE_RANGE:
	case CMD_CFGI_CD_ALL:
	case CMD_RESUME:
	case CMD_STALL_TERM:
		a->has_sid = true;
		break;
	case CMD_PREFETCH_ADDR:
		a->has_addr = true;
		a->addr = fget_inplace(cmd, CMD_TLBI_VA);
		/* fall through */
	case CMD_PREFETCH_CONFIG:
	case CMD_ATC_INV:
	case CMD_PRI_RESP:
		a->has_sid = true;
		a->has_ssid = ssv;
		a->ssid = (uint32_t)fget(cmd, CMD_SUBSTREAMID);
		if (op == CMD_ATC_INV) {
			a->has_addr = true;
			a->addr = fget_inplace(cmd, CMD_ATC_ADDR);
		}
		break;
	default:
		if (d->exec != cmd_tlbi)
			break;
		a->has_vmid = d->targs & TA_VMID;
		a->vmid = (uint16_t)fget(cmd, CMD_TLBI_VMID);
		a->has_asid = d->targs & TA_ASID;
		a->asid = (uint16_t)fget(cmd, CMD_TLBI_ASID);
		a->has_addr = d->targs & TA_RANGE;
		a->addr = fget_inplace(cmd, (d->targs & TA_IPA) ? CMD_TLBI_IPA
							       : CMD_TLBI_VA);
		break;
	}
	a->sid = (uint32_t)fget(cmd, CMD_STREAMID);
}

/* Validate and execute one command; returns its CERROR_* outcome. */
static uint8_t cmd_execute(struct smmu *smmu, const uint64_t cmd[2],
			   uint64_t *scanned)
{
	const struct cmd_desc *d = &cmd_table[fget(cmd, CMD_OPCODE)];
	struct cmd_ctx c = { .smmu = smmu, .cmd = cmd };
	uint8_t err;

	if (!d->exec || !cmd_supported(smmu, d->need))
		return CERROR_ILL;
	/* §4.1.6: SSec == 1 is ILLEGAL on the Non-secure queue */
	if (fget(cmd, CMD_SSEC))
		return CERROR_ILL;
	err = d->exec(&c, d);
	*scanned = c.scanned;
	return err;
}

/* --- the queue ------------------------------------------------------ */

static void cmdq_event(struct sim *sim, void *arg);

static unsigned cmdq_qs(const struct smmu *smmu)
{
	return regs_queue_log2size(smmu, R_CMDQ_BASE);
}

/* §6.3.26: base aligned to max(queue size, 32 bytes) */
static uint64_t cmdq_base(const struct smmu *smmu)
{
	unsigned align = cmdq_qs(smmu) + 4; /* log2(2^QS * 16 bytes) */

	if (align < Q_BASE_ADDR.lo)
		align = Q_BASE_ADDR.lo;
	return regs_get(smmu, R_CMDQ_BASE) & rmask(Q_BASE_ADDR) &
	       ~bits_mask(align);
}

static bool cmdq_can_consume(const struct smmu *smmu)
{
	unsigned qs = cmdq_qs(smmu);

	return smmu_cmdq_enabled(smmu) &&
	       !smmu_gerror_active(smmu, GERROR_CMDQ_ERR) &&
	       !q_empty((uint32_t)rget(regs_get(smmu, R_CMDQ_PROD), Q_WR),
			(uint32_t)rget(regs_get(smmu, R_CMDQ_CONS), Q_RD), qs);
}

static void le_words(const uint8_t *b, uint64_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		w[i] = 0;
		for (unsigned j = 0; j < sizeof(uint64_t); j++)
			w[i] |= (uint64_t)b[i * sizeof(uint64_t) + j]
				<< (j * 8);
	}
}

/* Fetch and execute the command at CONS; schedule its retirement. */
static void cmdq_start(struct smmu *smmu)
{
	struct smmu_cmdq *q = smmu->cmdq;
	const struct smmu_latency *lat = &smmu->impl.lat;
	unsigned qs = cmdq_qs(smmu);
	uint32_t rd = (uint32_t)rget(regs_get(smmu, R_CMDQ_CONS), Q_RD);
	uint64_t addr = cmdq_base(smmu) +
			(uint64_t)q_idx(rd, qs) * CMDQ_ENTRY_BYTES;
	uint64_t now = sim_now(smmu->sim);
	uint64_t t = 0, scanned = 0, done;
	uint8_t buf[CMDQ_ENTRY_BYTES];
	uint64_t cmd[2];

	if (!cmdq_can_consume(smmu))
		return;
	q->cur_idx = q_idx(rd, qs);
	q->sync = false;
	q->atc_wait = false;
	if (pmem_read(smmu->mem, addr, buf, sizeof(buf), &t) != MEM_OK) {
		/* §7.1: external abort on the command read */
		q->err = CERROR_ABT;
		q->cur_read = false;
		done = now + lat->cmd_fetch + t;
	} else {
		le_words(buf, cmd, 2);
		q->cur[0] = cmd[0];
		q->cur[1] = cmd[1];
		q->cur_read = true;
		if (trace_on(smmu))
			trace_cmd(smmu, q_idx(rd, qs), cmd);
		q->err = cmd_execute(smmu, cmd, &scanned);
		done = now + lat->cmd_fetch + t + lat->cmd_exec +
		       (uint64_t)lat->tlbi_per_entry * scanned;
	}
	if (q->sync && q->err == CERROR_NONE) {
		/* §4.7.3: completes after every prior command and every
		 * translation in flight */
		uint64_t drain = timing_drain_time(smmu, RES_TRANSLATION);

		/* §3.9.1.4: and after the ATS invalidations sent before it,
		 * waiting from its execution (`done` so far) on */
		uint64_t deadline = done + lat->atc_inv_timeout;

		done += lat->sync;
		if (drain > done)
			done = drain;
		q->atc_mark = ats_inv_mark(smmu);
		if (ats_inv_pending(smmu, q->atc_mark)) {
			q->atc_wait = true;
			q->sync_done = done;
			if (deadline > done)
				done = deadline;
		}
	}
	q->busy = true;
	q->ev = sim_schedule_at(smmu->sim, done, cmdq_event, smmu);
}

void cmdq_atc_inv_completed(struct smmu *smmu)
{
	struct smmu_cmdq *q = smmu->cmdq;
	uint64_t now = sim_now(smmu->sim);

	if (!q || !q->busy || !q->atc_wait ||
	    ats_inv_pending(smmu, q->atc_mark))
		return;
	/* The last one arrived: retire at the normal time, or now. */
	q->atc_wait = false;
	if (q->ev)
		sim_cancel(smmu->sim, q->ev);
	q->ev = sim_schedule_at(smmu->sim,
				q->sync_done > now ? q->sync_done : now,
				cmdq_event, smmu);
}

static void sync_signal(struct smmu *smmu)
{
	struct smmu_cmdq *q = smmu->cmdq;

	smmu->stats.syncs++;
	if (q->cs == CS_SIG_IRQ) {
		if (smmu->impl.msi && q->msi_addr)
			smmu_msi_write(smmu, q->msi_addr, q->msi_data,
				       GERROR_MSI_CMDQ_ABT_ERR);
		else
			smmu_signal_irq(smmu, SMMU_IRQ_CMD_SYNC);
	} else if (q->cs == CS_SIG_SEV && smmu->impl.sev && smmu->irq.sev) {
		if (trace_on(smmu))
			trace_sev(smmu);
		smmu->irq.sev(smmu->irq.ctx);
	}
}

/* Move CONS past the command, or stop on it with an error. */
static void cmdq_retire(struct smmu *smmu)
{
	struct smmu_cmdq *q = smmu->cmdq;
	unsigned qs = cmdq_qs(smmu);
	uint64_t cons = regs_get(smmu, R_CMDQ_CONS);
	uint32_t rd = (uint32_t)rget(cons, Q_RD);
	uint32_t wr = (uint32_t)rget(regs_get(smmu, R_CMDQ_PROD), Q_WR);

	if (q->err != CERROR_NONE) {
		/* §7.1: RD stays on the command, ERR is written before
		 * GERROR.CMDQ_ERR is activated */
		smmu->stats.cmd_errors++;
		if (trace_on(smmu))
			trace_cmd_err(smmu, q->cur_idx,
				      q->cur_read ? q->cur : NULL, q->err);
		regs_set(smmu, R_CMDQ_CONS, rset(cons, CMDQ_CONS_ERR, q->err));
		smmu_gerror_raise(smmu, GERROR_CMDQ_ERR);
		return;
	}
	bool was_full = q_full(wr, rd, qs);

	smmu->stats.cmds++;
	regs_set(smmu, R_CMDQ_CONS, rset(cons, Q_RD, q_inc(rd, qs)));
	if (q->sync) {
		if (smmu->check)
			check_sync_retired(smmu);
		if (trace_on(smmu))
			trace_sync(smmu, q->cur_idx, q->cs);
		sync_signal(smmu);
	}
	/* §3.5.3: WFE wake-up when a full queue becomes non-full */
	if (was_full && smmu->impl.sev && smmu->irq.sev) {
		if (trace_on(smmu))
			trace_sev(smmu);
		smmu->irq.sev(smmu->irq.ctx);
	}
}

static void cmdq_event(struct sim *sim, void *arg)
{
	struct smmu *smmu = arg;
	struct smmu_cmdq *q = smmu->cmdq;

	(void)sim;
	q->ev = 0;
	if (q->busy) {
		q->busy = false;
		if (q->atc_wait && ats_inv_pending(smmu, q->atc_mark)) {
			/* §4.7.3: timed out; RD stays on the CMD_SYNC */
			q->err = CERROR_ATC_INV_SYNC;
			smmu->stats.atc_inv_timeouts++;
			ats_inv_timed_out(smmu, q->atc_mark);
		}
		q->atc_wait = false;
		cmdq_retire(smmu);
	}
	cmdq_start(smmu);
}

void cmdq_kick(struct smmu *smmu)
{
	struct smmu_cmdq *q = smmu->cmdq;

	if (!q || q->ev || !cmdq_can_consume(smmu))
		return;
	q->ev = sim_schedule(smmu->sim, 0, cmdq_event, smmu);
}

struct smmu_cmdq *cmdq_create(struct smmu *smmu)
{
	struct smmu_cmdq *q = calloc(1, sizeof(*q));

	if (q)
		q->smmu = smmu;
	return q;
}

void cmdq_destroy(struct smmu_cmdq *q)
{
	if (!q)
		return;
	if (q->ev)
		sim_cancel(q->smmu->sim, q->ev);
	free(q);
}
