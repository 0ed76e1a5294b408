/* SPDX-License-Identifier: MIT */
/*
 * The PRI queue (IHI 0070 §8, §6.3.33-38; facts §2.4, §7).
 *
 * PRI messages from endpoints (smmu_pri_request) wait in arrival order and
 * are handled one at a time from engine events, never inside the call.
 * Handling a message takes
 *
 *   lat.evt_write + memory latency of the 16-byte write   (a record)
 *   the STE lookup                       (overflow auto-response, PPAR)
 *   nothing                              (any other discard)
 *
 * and its outcome — PRIQ_PROD moving past the record and the interrupt,
 * or the automatic PRG Response — happens at the end of that time. What
 * happens to a message is decided as its handling starts:
 *
 *  1. effective PRIQEN == 0 or PRIQ_ABT_ERR active: discarded, Response
 *     Failure without PASID (§8.2);
 *  2. overflow active (PROD.OVFLG != CONS.OVACKFLG): discarded (§8.1);
 *  3. queue full: OVFLG toggled — overflow now active — and discarded;
 *  4. otherwise written; a write abort raises PRIQ_ABT_ERR and answers
 *     Response Failure without PASID (§8.2: the model's aborts are
 *     synchronous).
 *
 * A discard on overflow answers a Page Request with Last == 1 with
 * Success, with or without PASID per IDR3.PPS / STE.PPAR (§8.1). Stop
 * markers and Page Requests with Last == 0 are never answered.
 *
 * Model choice: cases 1 and 4 answer only Page Requests with Last == 1
 * (a PRG Response ends a group), and the endpoint gets at most one
 * response per group.
 */
#include "smmu/queue.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#include <stdlib.h>
#include <string.h>

#define PRIQ_ENTRY_BYTES 16u
#define PRIQ_ENTRY_DWORDS 2u
/* Messages waiting to be handled: far above what PRI credits allow. */
#define PRIQ_INBOX_MAX 65536u
#define PCIE_PASID_BITS 20u
#define PCIE_PRGI_BITS 9u

/* PRI queue record (§8; facts §7.1) */
#define PRIQ_STREAMID FLD(0, 31, 0)
#define PRIQ_SUBSTREAMID FLD(0, 51, 32)
#define PRIQ_PRIV FLD(0, 58, 58)
#define PRIQ_EXEC FLD(0, 59, 59)
#define PRIQ_READ FLD(0, 60, 60)
#define PRIQ_WRITE FLD(0, 61, 61)
#define PRIQ_LAST FLD(0, 62, 62)
#define PRIQ_SSV FLD(0, 63, 63)
#define PRIQ_PRGINDEX FLD(1, 8, 0)
#define PRIQ_ADDR FLD(1, 63, 12)   /* Page address[63:12], in place */

enum priq_outcome {
	PRIQ_OUT_NONE,      /* discarded, nothing to send */
	PRIQ_OUT_WRITTEN,   /* record written: advance PROD */
	PRIQ_OUT_ABORT,     /* the record write aborted */
	PRIQ_OUT_RESPOND,   /* discarded with an automatic response */
};

struct smmu_priq {
	struct smmu *smmu;
	struct smmu_page_request *inbox;
	uint32_t head, n, cap;
	sim_event_id ev;
	bool busy;            /* `cur` is being handled until ev */
	bool running;         /* inside priq_event */
	struct smmu_page_request cur;
	enum priq_outcome out;
	struct smmu_pri_resp resp;
	bool irq;             /* LO == 1: interrupt for an overflow discard */
};

/* §8: a Stop Marker is LWR == 0b100 with a PASID. */
static bool is_stop_marker(const struct smmu_page_request *m)
{
	return m->ssv && m->last && !m->read && !m->write;
}

static void priq_encode(const struct smmu_page_request *m,
			uint64_t rec[PRIQ_ENTRY_DWORDS])
{
	memset(rec, 0, PRIQ_ENTRY_BYTES);
	fset(rec, PRIQ_STREAMID, m->sid);
	fset(rec, PRIQ_SSV, m->ssv);
	/* SubstreamID is UNKNOWN with SSV == 0: written as zero */
	fset(rec, PRIQ_SUBSTREAMID, m->ssid);
	fset(rec, PRIQ_PRIV, m->priv);
	fset(rec, PRIQ_EXEC, m->exec);
	fset(rec, PRIQ_READ, m->read);
	fset(rec, PRIQ_WRITE, m->write);
	fset(rec, PRIQ_LAST, m->last);
	fset(rec, PRIQ_PRGINDEX, m->prgi);
	rec[PRIQ_ADDR.dw] |= m->addr & fld_mask(PRIQ_ADDR);
}

static unsigned priq_qs(const struct smmu *smmu)
{
	return regs_queue_log2size(smmu, R_PRIQ_BASE);
}

/* §6.3.33: base aligned to max(queue size, 32 bytes) */
static uint64_t priq_base(const struct smmu *smmu)
{
	unsigned align = priq_qs(smmu) + 4; /* log2(2^QS * 16 bytes) */

	if (align < Q_BASE_ADDR.lo)
		align = Q_BASE_ADDR.lo;
	return regs_get(smmu, R_PRIQ_BASE) & rmask(Q_BASE_ADDR) &
	       ~bits_mask(align);
}

static uint32_t priq_wr(const struct smmu *smmu)
{
	return (uint32_t)rget(regs_get(smmu, R_PRIQ_PROD), Q_WR);
}

static uint32_t priq_rd(const struct smmu *smmu)
{
	return (uint32_t)rget(regs_get(smmu, R_PRIQ_CONS), Q_RD);
}

/* §8.1: overflow active while PROD.OVFLG != CONS.OVACKFLG */
static bool priq_overflow_active(const struct smmu *smmu)
{
	return rget(regs_get(smmu, R_PRIQ_PROD), Q_PROD_OVFLG) !=
	       rget(regs_get(smmu, R_PRIQ_CONS), Q_CONS_OVACKFLG);
}

static bool priq_last_only(const struct smmu *smmu)
{
	return rget(regs_get(smmu, R_PRIQ_IRQ_CFG2), PRIQ_IRQ_CFG2_LO);
}

/* Prepare the automatic PRG Response for the current message. */
static void respond(struct smmu_priq *q, uint8_t code, bool with_pasid)
{
	q->out = PRIQ_OUT_RESPOND;
	memset(&q->resp, 0, sizeof(q->resp));
	q->resp.sid = q->cur.sid;
	q->resp.prgi = q->cur.prgi;
	q->resp.code = code;
	if (with_pasid) {
		q->resp.ssv = true;
		q->resp.ssid = q->cur.ssid;
	}
}

/* CR2.REC_CFG_ATS: record the STE errors of a PPAR check (§8.1). */
static void ppar_record(struct smmu *smmu, struct smmu_event *ev,
			uint64_t *cycles)
{
	uint32_t cr2 = smmu_cr2(smmu);

	if (!smmu->impl.atsrecerr || !rget(cr2, CR2_REC_CFG_ATS))
		return;
	if (ev->id == EVT_C_BAD_STREAMID && !rget(cr2, CR2_RECINVSID))
		return;
	if (!evtq_record(smmu, ev, cycles))
		smmu->stats.events_dropped++;
}

/*
 * §8.1: the message is discarded because of overflow. A Page Request with
 * Last == 1 gets Success; its PASID is echoed with IDR3.PPS, else per the
 * STE's PPAR, and an STE that cannot be read gives Response Failure.
 */
static uint64_t overflow_discard(struct smmu *smmu)
{
	struct smmu_priq *q = smmu->priq;
	const struct smmu_page_request *m = &q->cur;
	struct smmu_event ev;
	struct ste_cfg ste;
	uint64_t t = 0;

	smmu->stats.pri_dropped++;
	/* §6.3.36: LO == 1 interrupts for an L == 1 message discarded by
	 * overflow */
	q->irq = m->last && priq_last_only(smmu);
	if (!m->last || is_stop_marker(m))
		return 0;
	if (!m->ssv || smmu->impl.pps) {
		respond(q, PRG_RESP_SUCCESS, m->ssv);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.sid = m->sid;
	ev.ssv = m->ssv;
	ev.ssid = m->ssid;
	if (ste_lookup(smmu, m->sid, &ste, &ev, &t)) {
		respond(q, PRG_RESP_SUCCESS, ste.ppar);
	} else {
		respond(q, PRG_RESP_FAILURE, false);
		ppar_record(smmu, &ev, &t);
	}
	return t;
}

/* Write the current message at PROD; returns the cycles it takes. */
static uint64_t priq_write(struct smmu *smmu)
{
	struct smmu_priq *q = smmu->priq;
	unsigned qs = priq_qs(smmu);
	uint64_t addr = priq_base(smmu) +
			(uint64_t)q_idx(priq_wr(smmu), qs) * PRIQ_ENTRY_BYTES;
	uint64_t rec[PRIQ_ENTRY_DWORDS];
	uint8_t buf[PRIQ_ENTRY_BYTES];
	uint64_t t = smmu->impl.lat.evt_write;

	priq_encode(&q->cur, rec);
	/* §8: PRI records are little-endian */
	for (unsigned i = 0; i < PRIQ_ENTRY_BYTES; i++)
		buf[i] = (uint8_t)(rec[i / sizeof(uint64_t)] >>
				   (8 * (i % sizeof(uint64_t))));
	if (smmu_mem_write(smmu, addr, buf, sizeof(buf), &t) == MEM_OK)
		q->out = PRIQ_OUT_WRITTEN;
	else
		q->out = PRIQ_OUT_ABORT;
	return t;
}

/* Decide what happens to the current message; returns its cycles. */
static uint64_t priq_start(struct smmu *smmu)
{
	struct smmu_priq *q = smmu->priq;
	uint64_t prod;

	q->out = PRIQ_OUT_NONE;
	q->irq = false;
	/* §8.2: no entries while PRIQEN is effectively 0 or PRIQ_ABT_ERR is
	 * active; Page Requests are answered Response Failure */
	if (!smmu_priq_enabled(smmu) ||
	    smmu_gerror_active(smmu, GERROR_PRIQ_ABT_ERR)) {
		smmu->stats.pri_dropped++;
		if (trace_on(smmu))
			trace_pri_lost(smmu, &q->cur, smmu_priq_enabled(smmu) ?
				       "abort" : "disabled");
		if (q->cur.last && !is_stop_marker(&q->cur))
			respond(q, PRG_RESP_FAILURE, false);
		return 0;
	}
	/* §8.1: an active overflow inhibits every new entry */
	if (priq_overflow_active(smmu)) {
		if (trace_on(smmu))
			trace_pri_lost(smmu, &q->cur, "overflow");
		return overflow_discard(smmu);
	}
	if (q_full(priq_wr(smmu), priq_rd(smmu), priq_qs(smmu))) {
		prod = regs_get(smmu, R_PRIQ_PROD);
		regs_set(smmu, R_PRIQ_PROD,
			 rset(prod, Q_PROD_OVFLG,
			      !rget(prod, Q_PROD_OVFLG)));
		if (trace_on(smmu))
			trace_pri_lost(smmu, &q->cur, "overflow");
		return overflow_discard(smmu);
	}
	return priq_write(smmu);
}

/* The outcome of the current message, at the end of its handling. */
static void priq_finish(struct smmu *smmu)
{
	struct smmu_priq *q = smmu->priq;
	bool ppr_last = q->cur.last && !is_stop_marker(&q->cur);
	unsigned qs = priq_qs(smmu);
	uint32_t wr, rd;
	bool was_empty;

	switch (q->out) {
	case PRIQ_OUT_NONE:
		break;
	case PRIQ_OUT_WRITTEN:
		if (!smmu_priq_enabled(smmu)) {
			/* disabled while the write was under way: the
			 * record is lost (§8.2 rule 1) */
			smmu->stats.pri_dropped++;
			if (trace_on(smmu))
				trace_pri_lost(smmu, &q->cur, "disabled");
			if (ppr_last)
				respond(q, PRG_RESP_FAILURE, false);
			break;
		}
		wr = priq_wr(smmu);
		rd = priq_rd(smmu);
		was_empty = q_empty(wr, rd, qs);
		regs_set(smmu, R_PRIQ_PROD,
			 rset(regs_get(smmu, R_PRIQ_PROD), Q_WR,
			      q_inc(wr, qs)));
		if (trace_on(smmu)) {
			uint64_t rec[PRIQ_ENTRY_DWORDS];

			priq_encode(&q->cur, rec);
			trace_pri(smmu, &q->cur, q_idx(wr, qs), rec);
		}
		/* §6.3.36 LO: on Last == 1, or on empty -> non-empty; after
		 * the entry is visible */
		if (priq_last_only(smmu) ? q->cur.last : was_empty)
			smmu_signal_irq(smmu, SMMU_IRQ_PRIQ);
		break;
	case PRIQ_OUT_ABORT:
		/* §8.2: synchronous abort: PRIQ_ABT_ERR, PROD not advanced,
		 * Response Failure */
		smmu->stats.pri_dropped++;
		if (trace_on(smmu))
			trace_pri_lost(smmu, &q->cur, "abort");
		smmu_gerror_raise(smmu, GERROR_PRIQ_ABT_ERR);
		if (ppr_last)
			respond(q, PRG_RESP_FAILURE, false);
		break;
	case PRIQ_OUT_RESPOND:
		break;
	}
	if (q->irq)
		smmu_signal_irq(smmu, SMMU_IRQ_PRIQ);
	if (q->out == PRIQ_OUT_RESPOND) {
		smmu->stats.pri_auto_responses++;
		endpoint_pri_resp(smmu, &q->resp);
	}
}

static void priq_event(struct sim *sim, void *arg)
{
	struct smmu *smmu = arg;
	struct smmu_priq *q = smmu->priq;
	uint64_t cost;

	(void)sim;
	q->ev = 0;
	q->running = true;
	if (q->busy) {
		q->busy = false;
		priq_finish(smmu);
	}
	while (q->n) {
		q->cur = q->inbox[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		cost = priq_start(smmu);
		if (cost) {
			q->busy = true;
			q->ev = sim_schedule(smmu->sim, cost, priq_event,
					     smmu);
			break;
		}
		priq_finish(smmu);
	}
	q->running = false;
}

static bool inbox_push(struct smmu_priq *q, const struct smmu_page_request *m)
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 16;
		struct smmu_page_request *b;

		if (cap > PRIQ_INBOX_MAX)
			return false;
		b = calloc(cap, sizeof(*b));
		if (!b)
			return false;
		for (uint32_t i = 0; i < q->n; i++)
			b[i] = q->inbox[(q->head + i) % q->cap];
		free(q->inbox);
		q->inbox = b;
		q->head = 0;
		q->cap = cap;
	}
	q->inbox[(q->head + q->n) % q->cap] = *m;
	q->n++;
	return true;
}

void smmu_pri_request(struct smmu *smmu, const struct smmu_page_request *pr)
{
	struct smmu_priq *q;
	struct smmu_page_request m;

	if (!smmu || !pr)
		return;
	q = smmu->priq;
	smmu->stats.pri_requests++;
	memset(&m, 0, sizeof(m));
	m.sid = pr->sid;
	/* §8: SSV is 0 when the SMMU has no substreams; with SSV == 0, X and
	 * Priv are 0 */
	m.ssv = pr->ssv && smmu->impl.ssidsize;
	if (m.ssv) {
		m.ssid = (uint32_t)(pr->ssid & bits_mask(PCIE_PASID_BITS));
		m.priv = pr->priv;
		m.exec = pr->exec;
	}
	m.read = pr->read;
	m.write = pr->write;
	m.last = pr->last;
	m.prgi = (uint16_t)(pr->prgi & bits_mask(PCIE_PRGI_BITS));
	m.addr = pr->addr & fld_mask(PRIQ_ADDR);
	if (trace_on(smmu))
		trace_ppr(smmu, &m);
	if (!inbox_push(q, &m)) {
		smmu->stats.pri_dropped++;
		if (trace_on(smmu))
			trace_pri_lost(smmu, &m, "inbox");
		return;
	}
	if (!q->ev && !q->busy && !q->running)
		q->ev = sim_schedule(smmu->sim, 0, priq_event, smmu);
}

struct smmu_priq *priq_create(struct smmu *smmu)
{
	struct smmu_priq *q = calloc(1, sizeof(*q));

	if (q)
		q->smmu = smmu;
	return q;
}

void priq_destroy(struct smmu_priq *q)
{
	if (!q)
		return;
	if (q->ev)
		sim_cancel(q->smmu->sim, q->ev);
	free(q->inbox);
	free(q);
}
