/* SPDX-License-Identifier: MIT */
/*
 * Event records and the event queue (IHI 0070 §7.2, §7.3, §7.4; facts
 * §2.3, §6).
 *
 * evtq_encode()/evtq_decode() lay out the 32-byte record. Which fields a
 * record carries depends on its type (§7.3.x figures): evt_layout[]
 * lists them, and fields a type does not carry are written as zero.
 *
 * The queue is writable when EVENTQEN is acknowledged, it is not full and
 * EVENTQ_ABT_ERR is not active. Otherwise an ordinary record is discarded
 * (toggling EVENTQ_PROD.OVFLG when the cause is a full, enabled queue and
 * no overflow is already pending), and a stall record (Stall=1) is held
 * in a FIFO here until evtq_kick() finds the queue writable again.
 *
 * Merging (§7.3.1): a record identical to the last one written, which
 * software has not consumed yet, is merged into it when STE.MEV=1 or the
 * type always allows it (evtq_merge).
 */
#include "smmu/queue.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#include <stdlib.h>
#include <string.h>

#define EVTQ_ENTRY_BYTES 32u
#define EVTQ_ENTRY_DWORDS 4u
/* Bound on held stall records: far above any STALL_MAX a preset uses. */
#define EVTQ_HELD_MAX 65536u

/* Common fields (§7.3; facts §6.1) */
#define EVT_ID FLD(0, 7, 0)
#define EVT_SSV FLD(0, 11, 11)
#define EVT_SUBSTREAMID FLD(0, 31, 12)
#define EVT_STREAMID FLD(0, 63, 32)
#define EVT_STAG FLD(1, 15, 0)
#define EVT_REASON FLD(1, 31, 16)  /* IMPDEF Reason, non-stall types */
#define EVT_STALL FLD(1, 31, 31)
#define EVT_PNU FLD(1, 33, 33)
#define EVT_IND FLD(1, 34, 34)
#define EVT_RNW FLD(1, 35, 35)
#define EVT_S2 FLD(1, 39, 39)
#define EVT_CLASS FLD(1, 41, 40)
#define EVT_TTRNW FLD(1, 44, 44)
#define EVT_INPUTADDR FLD(2, 63, 0)
#define EVT_IPA FLD(3, 55, 12)        /* in place */
#define EVT_FETCHADDR FLD(3, 55, 3)   /* in place */
/* E_PAGE_REQUEST (§7.3.19) */
#define EVT_PR_UX FLD(1, 33, 33)
#define EVT_PR_UW FLD(1, 34, 34)
#define EVT_PR_UR FLD(1, 35, 35)
#define EVT_PR_PX FLD(1, 37, 37)
#define EVT_PR_PW FLD(1, 38, 38)
#define EVT_PR_PR FLD(1, 39, 39)
#define EVT_PR_SPAN FLD(1, 51, 44)
#define EVT_PR_ADDR FLD(2, 63, 12)    /* in place */

/* Field groups a record type carries. */
enum {
	EF_ATTR = 1u << 0,   /* PnU, InD, RnW */
	EF_INADDR = 1u << 1, /* InputAddr */
	EF_STALL = 1u << 2,  /* Stall, STAG */
	EF_STAGE = 1u << 3,  /* S2, CLASS */
	EF_IPA = 1u << 4,
	EF_FETCH = 1u << 5,  /* FetchAddr */
	EF_REASON = 1u << 6,
	EF_TTRNW = 1u << 7,
	EF_PAGEREQ = 1u << 8,
};

#define EF_XLATE (EF_ATTR | EF_INADDR | EF_STALL | EF_STAGE | EF_IPA)

static const uint16_t evt_layout[256] = {
	[EVT_F_UUT] = EF_ATTR | EF_INADDR | EF_REASON,
	[EVT_C_BAD_STREAMID] = 0,
	[EVT_F_STE_FETCH] = EF_FETCH | EF_REASON,
	[EVT_C_BAD_STE] = 0,
	[EVT_F_BAD_ATS_TREQ] = EF_ATTR | EF_INADDR,
	[EVT_F_STREAM_DISABLED] = 0,
	[EVT_F_TRANSL_FORBIDDEN] = EF_ATTR | EF_INADDR,
	[EVT_C_BAD_SUBSTREAMID] = 0,
	[EVT_F_CD_FETCH] = EF_FETCH | EF_REASON,
	[EVT_C_BAD_CD] = 0,
	[EVT_F_WALK_EABT] = EF_ATTR | EF_INADDR | EF_STAGE | EF_FETCH |
			    EF_REASON,
	[EVT_F_TRANSLATION] = EF_XLATE,
	[EVT_F_ADDR_SIZE] = EF_XLATE,
	[EVT_F_ACCESS] = EF_XLATE,
	[EVT_F_PERMISSION] = EF_XLATE | EF_TTRNW,
	[EVT_F_TLB_CONFLICT] = EF_ATTR | EF_INADDR | EF_STAGE | EF_IPA |
			       EF_REASON,
	[EVT_F_CFG_CONFLICT] = EF_REASON,
	[EVT_E_PAGE_REQUEST] = EF_PAGEREQ,
	[EVT_F_VMS_FETCH] = EF_FETCH | EF_REASON,
};

void evtq_encode(const struct smmu_event *ev, uint64_t rec[4])
{
	unsigned l = evt_layout[ev->id];

	memset(rec, 0, EVTQ_ENTRY_BYTES);
	fset(rec, EVT_ID, ev->id);
	fset(rec, EVT_SSV, ev->ssv);
	fset(rec, EVT_SUBSTREAMID, ev->ssid);
	fset(rec, EVT_STREAMID, ev->sid);
	if (l & EF_REASON)
		fset(rec, EVT_REASON, ev->reason);
	if ((l & EF_STALL) && ev->stall) {
		fset(rec, EVT_STALL, 1);
		fset(rec, EVT_STAG, ev->stag);
	}
	if (l & EF_ATTR) {
		fset(rec, EVT_PNU, ev->pnu);
		/* §7.3: InD is 0 for writes */
		fset(rec, EVT_IND, ev->ind && ev->rnw);
		fset(rec, EVT_RNW, ev->rnw);
	}
	if (l & EF_STAGE) {
		fset(rec, EVT_S2, ev->s2);
		fset(rec, EVT_CLASS, ev->class_);
	}
	if (l & EF_TTRNW)
		fset(rec, EVT_TTRNW, ev->ttrnw);
	if (l & EF_INADDR)
		fset(rec, EVT_INPUTADDR, ev->input_addr);
	if (l & EF_IPA)
		rec[EVT_IPA.dw] |= ev->ipa & fld_mask(EVT_IPA);
	if (l & EF_FETCH)
		rec[EVT_FETCHADDR.dw] |= ev->fetch_addr &
					 fld_mask(EVT_FETCHADDR);
	if (l & EF_PAGEREQ) {
		fset(rec, EVT_PR_SPAN, ev->span);
		fset(rec, EVT_PR_PR, ev->pr);
		fset(rec, EVT_PR_PW, ev->pw);
		fset(rec, EVT_PR_PX, ev->px);
		fset(rec, EVT_PR_UR, ev->ur);
		fset(rec, EVT_PR_UW, ev->uw);
		fset(rec, EVT_PR_UX, ev->ux);
		rec[EVT_PR_ADDR.dw] |= ev->input_addr & fld_mask(EVT_PR_ADDR);
	}
}

void evtq_decode(const uint64_t rec[4], struct smmu_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = (uint8_t)fget(rec, EVT_ID);

	unsigned l = evt_layout[ev->id];

	ev->ssv = fget(rec, EVT_SSV);
	ev->ssid = (uint32_t)fget(rec, EVT_SUBSTREAMID);
	ev->sid = (uint32_t)fget(rec, EVT_STREAMID);
	if (l & EF_REASON)
		ev->reason = (uint8_t)fget(rec, EVT_REASON);
	if (l & EF_STALL) {
		ev->stall = fget(rec, EVT_STALL);
		ev->stag = (uint16_t)fget(rec, EVT_STAG);
	}
	if (l & EF_ATTR) {
		ev->pnu = fget(rec, EVT_PNU);
		ev->ind = fget(rec, EVT_IND);
		ev->rnw = fget(rec, EVT_RNW);
	}
	if (l & EF_STAGE) {
		ev->s2 = fget(rec, EVT_S2);
		ev->class_ = (uint8_t)fget(rec, EVT_CLASS);
	}
	if (l & EF_TTRNW)
		ev->ttrnw = fget(rec, EVT_TTRNW);
	if (l & EF_INADDR)
		ev->input_addr = fget(rec, EVT_INPUTADDR);
	if (l & EF_IPA)
		ev->ipa = fget_inplace(rec, EVT_IPA);
	if (l & EF_FETCH)
		ev->fetch_addr = fget_inplace(rec, EVT_FETCHADDR);
	if (l & EF_PAGEREQ) {
		ev->span = (uint8_t)fget(rec, EVT_PR_SPAN);
		ev->pr = fget(rec, EVT_PR_PR);
		ev->pw = fget(rec, EVT_PR_PW);
		ev->px = fget(rec, EVT_PR_PX);
		ev->ur = fget(rec, EVT_PR_UR);
		ev->uw = fget(rec, EVT_PR_UW);
		ev->ux = fget(rec, EVT_PR_UX);
		ev->input_addr = fget_inplace(rec, EVT_PR_ADDR);
	}
}

bool evtq_has_input_addr(uint8_t id)
{
	return evt_layout[id] & (EF_INADDR | EF_PAGEREQ);
}

/* §7.3 event names (docs/events.md) */
static const char *const evt_names[256] = {
	[EVT_F_UUT] = "F_UUT",
	[EVT_C_BAD_STREAMID] = "C_BAD_STREAMID",
	[EVT_F_STE_FETCH] = "F_STE_FETCH",
	[EVT_C_BAD_STE] = "C_BAD_STE",
	[EVT_F_BAD_ATS_TREQ] = "F_BAD_ATS_TREQ",
	[EVT_F_STREAM_DISABLED] = "F_STREAM_DISABLED",
	[EVT_F_TRANSL_FORBIDDEN] = "F_TRANSL_FORBIDDEN",
	[EVT_C_BAD_SUBSTREAMID] = "C_BAD_SUBSTREAMID",
	[EVT_F_CD_FETCH] = "F_CD_FETCH",
	[EVT_C_BAD_CD] = "C_BAD_CD",
	[EVT_F_WALK_EABT] = "F_WALK_EABT",
	[EVT_F_TRANSLATION] = "F_TRANSLATION",
	[EVT_F_ADDR_SIZE] = "F_ADDR_SIZE",
	[EVT_F_ACCESS] = "F_ACCESS",
	[EVT_F_PERMISSION] = "F_PERMISSION",
	[EVT_F_TLB_CONFLICT] = "F_TLB_CONFLICT",
	[EVT_F_CFG_CONFLICT] = "F_CFG_CONFLICT",
	[EVT_E_PAGE_REQUEST] = "E_PAGE_REQUEST",
	[EVT_F_VMS_FETCH] = "F_VMS_FETCH",
};

const char *smmu_event_name(uint8_t id)
{
	return evt_names[id];
}

/* --- the queue ------------------------------------------------------ */

struct smmu_evtq {
	struct smmu *smmu;
	/* Stall records waiting for a writable queue, oldest first. */
	uint64_t (*held)[EVTQ_ENTRY_DWORDS];
	uint32_t head, n, cap;
	/* The last record written and the PROD value that follows it, for
	 * merging (§7.3.1). */
	uint64_t last[EVTQ_ENTRY_DWORDS];
	uint32_t last_next_wr;
	bool have_last;
};

static unsigned evtq_qs(const struct smmu *smmu)
{
	return regs_queue_log2size(smmu, R_EVENTQ_BASE);
}

/* §6.3.29: base aligned to max(queue size, 32 bytes) */
static uint64_t evtq_base(const struct smmu *smmu)
{
	unsigned align = evtq_qs(smmu) + Q_BASE_ADDR.lo; /* 2^QS * 32 B */

	return regs_get(smmu, R_EVENTQ_BASE) & rmask(Q_BASE_ADDR) &
	       ~bits_mask(align);
}

static uint32_t evtq_prod(const struct smmu *smmu)
{
	return (uint32_t)regs_get(smmu, R_EVENTQ_PROD);
}

static uint32_t evtq_cons(const struct smmu *smmu)
{
	return (uint32_t)regs_get(smmu, R_EVENTQ_CONS);
}

static bool evtq_full(const struct smmu *smmu)
{
	return q_full((uint32_t)rget(evtq_prod(smmu), Q_WR),
		      (uint32_t)rget(evtq_cons(smmu), Q_RD), evtq_qs(smmu));
}

/* §7.2: writable = enabled, not full, no EVENTQ_ABT_ERR */
static bool evtq_writable(const struct smmu *smmu)
{
	return smmu_eventq_enabled(smmu) && !evtq_full(smmu) &&
	       !smmu_gerror_active(smmu, GERROR_EVENTQ_ABT_ERR);
}

/* Write one record at PROD; false (and EVENTQ_ABT_ERR) on abort. */
static bool evtq_write(struct smmu *smmu, const uint64_t rec[4],
		       uint64_t *cycles)
{
	unsigned qs = evtq_qs(smmu);
	uint64_t prod = evtq_prod(smmu);
	uint32_t wr = (uint32_t)rget(prod, Q_WR);
	uint32_t rd = (uint32_t)rget(evtq_cons(smmu), Q_RD);
	uint64_t addr = evtq_base(smmu) +
			(uint64_t)q_idx(wr, qs) * EVTQ_ENTRY_BYTES;
	uint8_t buf[EVTQ_ENTRY_BYTES];
	uint64_t t = smmu->impl.lat.evt_write;

	/* Records are little-endian (§7.3) */
	for (unsigned i = 0; i < EVTQ_ENTRY_BYTES; i++)
		buf[i] = (uint8_t)(rec[i / sizeof(uint64_t)] >>
				   (8 * (i % sizeof(uint64_t))));
	enum mem_result r = smmu_mem_write(smmu, addr, buf, sizeof(buf), &t);

	if (cycles)
		*cycles += t;
	if (r != MEM_OK) {
		/* §7.2: PROD is not advanced past the failing record */
		smmu_gerror_raise(smmu, GERROR_EVENTQ_ABT_ERR);
		return false;
	}
	bool was_empty = q_empty(wr, rd, qs);

	regs_set(smmu, R_EVENTQ_PROD, rset(prod, Q_WR, q_inc(wr, qs)));
	if (trace_on(smmu))
		trace_evt(smmu, q_idx(wr, qs), rec);
	smmu->stats.events++;
	memcpy(smmu->evtq->last, rec, sizeof(smmu->evtq->last));
	smmu->evtq->last_next_wr = q_inc(wr, qs);
	smmu->evtq->have_last = true;
	/* §7.2: interrupt on the empty -> non-empty transition */
	if (was_empty)
		smmu_signal_irq(smmu, SMMU_IRQ_EVTQ);
	return true;
}

static bool held_push(struct smmu_evtq *q, const uint64_t rec[4])
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 16;

		if (cap > EVTQ_HELD_MAX)
			return false;
		uint64_t(*h)[EVTQ_ENTRY_DWORDS] = calloc(cap, sizeof(*h));

		if (!h)
			return false;
		for (uint32_t i = 0; i < q->n; i++)
			memcpy(h[i], q->held[(q->head + i) % q->cap],
			       sizeof(*h));
		free(q->held);
		q->held = h;
		q->head = 0;
		q->cap = cap;
	}
	memcpy(q->held[(q->head + q->n) % q->cap], rec, sizeof(*q->held));
	q->n++;
	return true;
}

/* Write held stall records, oldest first, while the queue is writable. */
static void evtq_flush(struct smmu *smmu, uint64_t *cycles)
{
	struct smmu_evtq *q = smmu->evtq;

	while (q->n && evtq_writable(smmu)) {
		if (!evtq_write(smmu, q->held[q->head], cycles))
			return;
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
}

/* §7.4: overflow of a full, enabled queue */
static void evtq_overflow(struct smmu *smmu)
{
	uint64_t prod = evtq_prod(smmu);

	if (!smmu_eventq_enabled(smmu) || !evtq_full(smmu))
		return;
	if (rget(prod, Q_PROD_OVFLG) != rget(evtq_cons(smmu), Q_CONS_OVACKFLG))
		return; /* an overflow is already pending */
	regs_set(smmu, R_EVENTQ_PROD,
		 rset(prod, Q_PROD_OVFLG, !rget(prod, Q_PROD_OVFLG)));
}

/*
 * §7.3.1: an event may be merged into an identical earlier record that
 * software has not consumed yet. Merging is allowed for any type when
 * STE.MEV=1 and always for F_UUT, C_BAD_STREAMID, F_STE_FETCH and
 * C_BAD_STE; never for stall records. The model merges into the most
 * recent record only, while PROD still points just past it and CONS has
 * not reached it.
 */
static bool evtq_merge(struct smmu *smmu, const struct smmu_event *ev,
		       const uint64_t rec[EVTQ_ENTRY_DWORDS])
{
	struct smmu_evtq *q = smmu->evtq;
	unsigned qs = evtq_qs(smmu);
	uint32_t wr = (uint32_t)rget(evtq_prod(smmu), Q_WR);
	uint32_t rd = (uint32_t)rget(evtq_cons(smmu), Q_RD);
	bool always = ev->id == EVT_F_UUT || ev->id == EVT_C_BAD_STREAMID ||
		      ev->id == EVT_F_STE_FETCH || ev->id == EVT_C_BAD_STE;

	if (ev->stall || !(ev->mev || always) || !q->have_last ||
	    wr != q->last_next_wr || q_empty(wr, rd, qs) ||
	    memcmp(q->last, rec, sizeof(q->last)))
		return false;
	smmu->stats.events_merged++;
	return true;
}

bool evtq_record(struct smmu *smmu, const struct smmu_event *ev,
		 uint64_t *cycles)
{
	struct smmu_evtq *q = smmu->evtq;
	uint64_t rec[EVTQ_ENTRY_DWORDS];

	evtq_encode(ev, rec);
	evtq_flush(smmu, cycles);
	if (q->n == 0 && evtq_writable(smmu) && evtq_merge(smmu, ev, rec))
		return true;
	if (q->n == 0 && evtq_writable(smmu) && evtq_write(smmu, rec, cycles))
		return true;
	if (ev->stall) {
		/* §7.2: stall records are never discarded */
		held_push(q, rec);
		return false;
	}
	if (trace_on(smmu))
		trace_evt_lost(smmu, ev, !smmu_eventq_enabled(smmu) ? "disabled"
				 : evtq_full(smmu) ? "overflow" : "abort");
	evtq_overflow(smmu);
	return false;
}

void evtq_kick(struct smmu *smmu)
{
	if (smmu->evtq)
		evtq_flush(smmu, NULL);
}

struct smmu_evtq *evtq_create(struct smmu *smmu)
{
	struct smmu_evtq *q = calloc(1, sizeof(*q));

	if (q)
		q->smmu = smmu;
	return q;
}

void evtq_destroy(struct smmu_evtq *q)
{
	if (!q)
		return;
	free(q->held);
	free(q);
}
