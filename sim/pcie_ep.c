/* SPDX-License-Identifier: MIT */
/*
 * A PCIe endpoint doing DMA through an SMMU, with an optional ATC (ATS)
 * and an optional PRI capability. See include/smmusim/pcie_ep.h.
 *
 * Life of an access:
 *
 *   WAIT_TIME --(its time)--> QUEUED --(a slot)--> started:
 *     no ATS:    DATA (Untranslated) ------------------------+
 *     ATC hit:   DATA (Translated at the cached PA) ---------+
 *     ATC miss:  XLATE (Translation Request)                 |
 *                  granted  -> fill ATC, DATA (Translated) --+
 *                  nothing  -> CREDIT_WAIT -> PRG_WAIT       |
 *                              Success -> XLATE again        |
 *                  UR / CA / Invalid Request -> failed       |
 *   DATA response: OK -> memory access -> MEM -> completed <-+
 *                  RAZ/WI -> completed, abort -> failed
 */
#include "smmusim/pcie_ep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/ep_atc.h"

#define EP_PAGE_SHIFT 12u
#define EP_PAGE_SIZE (UINT32_C(1) << EP_PAGE_SHIFT)
#define EP_PAGE_MASK ((uint64_t)EP_PAGE_SIZE - 1)
#define EP_PASID_MAX ((UINT32_C(1) << 20) - 1) /* PASIDs are 20 bits */

enum acc_state {
	AS_WAIT_TIME,   /* before its issue time */
	AS_QUEUED,      /* waiting for an outstanding slot */
	AS_XLATE,       /* Translation Request in flight */
	AS_CREDIT_WAIT, /* needs a page request, waiting for credits */
	AS_PRG_WAIT,    /* Page Request Group sent, waiting for response */
	AS_DATA,        /* the read or write is at the SMMU */
	AS_MEM,         /* memory touched, completing after its latency */
};

/* The stages of the latency breakdown (pcie_ep_result.lat_*). */
enum lat_stage {
	LS_QUEUE,
	LS_XLATE,
	LS_PRI,
	LS_RETRY,
	LS_DATA,
	LS_MEM,
};

struct ep_acc {
	struct pcie_ep *ep;
	struct pcie_ep_access a;  /* exec/priv masked by the PASID */
	uint8_t *data;            /* len bytes: write data or read data */
	pcie_ep_done_fn done;
	void *ctx;
	enum acc_state st;
	bool started;             /* holds an outstanding slot */
	bool tr_stale;            /* an invalidation covered the TR */
	unsigned groups;          /* PRGs sent for it */
	uint16_t prgi;
	sim_event_id ev;          /* its pending engine event, if any */
	enum lat_stage stage;     /* the stage being timed */
	uint64_t stage_at;        /* when it began */
	struct pcie_ep_result res;
	struct ep_acc *prev, *next; /* every access of the endpoint */
	struct ep_acc *qnext;       /* slot queue or credit queue */
};

struct ep_queue {
	struct ep_acc *head, *tail;
};

struct ep_prg {
	bool used;
	struct ep_acc *acc;
	unsigned pages;
	bool pasid_valid;
	uint32_t pasid;
};

struct ep_inv {
	struct pcie_ep *ep;
	uint64_t tag;
	struct smmu_atc_inv req;  /* for the invariant check */
	uint64_t fills;           /* ATC fills when it arrived */
	sim_event_id ev;
	struct ep_inv *prev, *next;
};

struct pcie_ep {
	struct sim *sim;
	struct pmem *mem;
	struct pcie_ep_config cfg;
	struct pcie_ep_port port;

	struct ep_acc *all;       /* list of every access */
	struct ep_queue slotq;    /* QUEUED, in arrival order */
	struct ep_queue creditq;  /* CREDIT_WAIT, in arrival order */
	unsigned inflight, queued;

	/* ATS */
	bool ats_enabled;
	struct ep_atc atc;
	struct ep_inv *invs;      /* completions not yet sent */

	/* PRI capability */
	uint16_t pri_ctrl;
	uint16_t pri_status;      /* RF and UPRGI; Stopped is computed */
	uint32_t pri_alloc;
	uint32_t pri_used;        /* outstanding page requests */
	unsigned pri_ngroups;
	uint16_t prgi_next;
	struct ep_prg prg[PCIE_PRGI_COUNT];
	uint32_t *stopped;        /* PASIDs with a Stop Marker sent */
	unsigned nstopped, cap_stopped;

	struct pcie_ep_stats stats;
	/* invariant violations seen (docs/robustness.md), the first one */
	uint64_t inv_violations;
	char inv_violation[200];
};

/* --- queues and lists --- */

static void q_push(struct ep_queue *q, struct ep_acc *a)
{
	a->qnext = NULL;
	if (q->tail)
		q->tail->qnext = a;
	else
		q->head = a;
	q->tail = a;
}

static struct ep_acc *q_pop(struct ep_queue *q)
{
	struct ep_acc *a = q->head;

	if (a) {
		q->head = a->qnext;
		if (!q->head)
			q->tail = NULL;
		a->qnext = NULL;
	}
	return a;
}

static void q_remove(struct ep_queue *q, struct ep_acc *a)
{
	struct ep_acc *prev = NULL;

	for (struct ep_acc *p = q->head; p; prev = p, p = p->qnext) {
		if (p != a)
			continue;
		if (prev)
			prev->qnext = p->qnext;
		else
			q->head = p->qnext;
		if (q->tail == p)
			q->tail = prev;
		p->qnext = NULL;
		return;
	}
}

static void list_del(struct pcie_ep *ep, struct ep_acc *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		ep->all = a->next;
	if (a->next)
		a->next->prev = a->prev;
}

/* --- latency breakdown --- */

static uint64_t *stage_slot(struct pcie_ep_result *r, enum lat_stage s)
{
	switch (s) {
	case LS_QUEUE:
		return &r->lat_queue;
	case LS_XLATE:
		return &r->lat_xlate;
	case LS_PRI:
		return &r->lat_pri;
	case LS_RETRY:
		return &r->lat_retry;
	case LS_DATA:
		return &r->lat_data;
	case LS_MEM:
	default:
		return &r->lat_mem;
	}
}

/* Charge the time since the current stage began to it; enter `next`. */
static void stage_enter(struct ep_acc *acc, enum lat_stage next)
{
	uint64_t now = sim_now(acc->ep->sim);

	*stage_slot(&acc->res, acc->stage) += now - acc->stage_at;
	acc->stage = next;
	acc->stage_at = now;
}

/* --- completion --- */

static void pump(struct pcie_ep *ep);
static void send_tr(struct ep_acc *acc);
static void need_page(struct ep_acc *acc);

static void prg_release(struct pcie_ep *ep, uint16_t prgi)
{
	struct ep_prg *g = &ep->prg[prgi];

	if (!g->used)
		return;
	ep->pri_used -= g->pages;
	ep->pri_ngroups--;
	g->used = false;
	g->acc = NULL;
}

/* Take the access out of every list and queue, release what it holds. */
static void acc_unlink(struct pcie_ep *ep, struct ep_acc *acc)
{
	if (acc->st == AS_QUEUED) {
		q_remove(&ep->slotq, acc);
		ep->queued--;
	} else if (acc->st == AS_CREDIT_WAIT) {
		q_remove(&ep->creditq, acc);
	} else if (acc->st == AS_PRG_WAIT) {
		prg_release(ep, acc->prgi);
	}
	if (acc->ev) {
		sim_cancel(ep->sim, acc->ev);
		acc->ev = 0;
	}
	if (acc->started) {
		ep->inflight--;
		acc->started = false;
	}
	list_del(ep, acc);
}

/* Report the outcome, free the access, let a queued one start. */
static void finish(struct ep_acc *acc, enum pcie_ep_status status)
{
	struct pcie_ep *ep = acc->ep;
	struct pcie_ep_result *r = &acc->res;

	acc_unlink(ep, acc);
	stage_enter(acc, acc->stage);
	r->status = status;
	r->completed_at = sim_now(ep->sim);
	r->latency = r->completed_at - r->issued_at;
	if (!acc->a.write && (status == PCIE_EP_OK ||
			      status == PCIE_EP_RAZWI)) {
		r->data = acc->data;
		if (acc->a.rbuf)
			memcpy(acc->a.rbuf, acc->data, acc->a.len);
	}
	if (status == PCIE_EP_OK)
		ep->stats.ok++;
	else if (status == PCIE_EP_RAZWI)
		ep->stats.razwi++;
	else
		ep->stats.failed++;
	if (acc->done)
		acc->done(acc->ctx, &acc->a, r);
	free(acc->data);
	free(acc);
	pump(ep);
}

static void ev_mem_done(struct sim *sim, void *arg)
{
	struct ep_acc *acc = arg;

	(void)sim;
	acc->ev = 0;
	finish(acc, PCIE_EP_OK);
}

/* --- the data transaction --- */

static void on_data(void *ctx, const struct smmu_txn *txn,
		    const struct smmu_txn_result *r)
{
	struct ep_acc *acc = ctx;
	struct pcie_ep *ep = acc->ep;
	uint64_t cycles = 0;
	enum mem_result mr;

	(void)txn;
	acc->res.smmu_resp = r->resp;
	switch (r->resp) {
	case SMMU_RESP_OK:
		acc->res.oa = r->oa;
		if (acc->a.write) {
			enum pmem_agent was = pmem_set_agent(ep->mem,
							     PMEM_AGENT_DEVICE);

			mr = pmem_write(ep->mem, r->oa, acc->data, acc->a.len,
					&cycles);
			pmem_set_agent(ep->mem, was);
		} else
			mr = pmem_read(ep->mem, r->oa, acc->data, acc->a.len,
				       &cycles);
		if (mr != MEM_OK) {
			finish(acc, PCIE_EP_MEM_ABORT);
			return;
		}
		/* The memory's latency is part of the access. */
		stage_enter(acc, LS_MEM);
		acc->st = AS_MEM;
		acc->ev = sim_schedule(ep->sim, cycles, ev_mem_done, acc);
		return;
	case SMMU_RESP_RAZWI:
		/* Terminated: reads return zeros, writes are dropped. */
		acc->res.oa = r->oa;
		if (!acc->a.write)
			memset(acc->data, 0, acc->a.len);
		finish(acc, PCIE_EP_RAZWI);
		return;
	default:
		finish(acc, PCIE_EP_ABORT);
		return;
	}
}

static void send_data(struct ep_acc *acc, enum smmu_txn_kind kind,
		      uint64_t addr)
{
	struct pcie_ep *ep = acc->ep;
	struct smmu_txn t = {
		.sid = ep->cfg.sid,
		.ssv = acc->a.pasid_valid,
		.ssid = acc->a.pasid_valid ? acc->a.pasid : 0,
		.addr = addr,
		.len = acc->a.len,
		.write = acc->a.write,
		.instr = acc->a.exec,
		.priv = acc->a.priv,
		.kind = kind,
		.cookie = acc->a.tag,
	};

	stage_enter(acc, LS_DATA);
	if (kind == SMMU_TXN_TRANSLATED)
		ep->stats.translated++;
	else
		ep->stats.untranslated++;
	acc->st = AS_DATA;
	if (!ep->port.submit ||
	    !ep->port.submit(ep->port.ctx, &t, on_data, acc))
		finish(acc, PCIE_EP_SUBMIT_FAILED);
}

/* --- ATS --- */

/* The permission the access needs (an Execute request also reads). */
static bool grants(const struct pcie_ep_atc_entry *e, const struct ep_acc *acc)
{
	if (acc->a.exec)
		return e->r && e->x;
	return acc->a.write ? e->w : e->r;
}

/* Use a translation: Translated at the PA, or Untranslated when the
 * completion said U (the range must be accessed untranslated). */
static void send_with(struct ep_acc *acc, const struct pcie_ep_atc_entry *e)
{
	if (e->u)
		send_data(acc, SMMU_TXN_UNTRANSLATED, acc->a.addr);
	else
		send_data(acc, SMMU_TXN_TRANSLATED,
			  e->pa + (acc->a.addr - e->va));
}

static void on_tr(void *ctx, const struct smmu_txn *txn,
		  const struct smmu_txn_result *r)
{
	struct ep_acc *acc = ctx;
	struct pcie_ep *ep = acc->ep;
	struct pcie_ep_atc_entry e;
	unsigned shift;

	acc->res.smmu_resp = r->resp;
	if (acc->tr_stale) {
		/* Requested before an Invalidate Request that covers it:
		 * the completion may be stale, ask again. */
		send_tr(acc);
		return;
	}
	if (r->resp == SMMU_RESP_UR) {
		finish(acc, PCIE_EP_ATS_UR);
		return;
	}
	if (r->resp == SMMU_RESP_CA) {
		finish(acc, PCIE_EP_ATS_CA);
		return;
	}
	if (r->resp != SMMU_RESP_OK) {
		finish(acc, PCIE_EP_ABORT);
		return;
	}
	/* A translation covers at least one page and at most 2^63 bytes */
	shift = r->ats_size_shift;
	if (shift < EP_PAGE_SHIFT)
		shift = EP_PAGE_SHIFT;
	if (shift > 63)
		shift = 63;
	memset(&e, 0, sizeof(e));
	e.pasid_valid = acc->a.pasid_valid;
	e.pasid = acc->a.pasid_valid ? acc->a.pasid : 0;
	e.priv = acc->a.priv;
	e.va = txn->addr & ~((UINT64_C(1) << shift) - 1);
	e.pa = r->oa - (txn->addr - e.va);
	e.size_shift = (uint8_t)shift;
	e.r = r->ats_r;
	e.w = r->ats_w;
	e.x = r->ats_x;
	e.u = r->ats_u;
	if (e.r || e.w || e.x || e.u)
		ep_atc_fill(&ep->atc, &e);
	if (e.u || grants(&e, acc)) {
		send_with(acc, &e);
		return;
	}
	need_page(acc);
}

static void send_tr(struct ep_acc *acc)
{
	struct pcie_ep *ep = acc->ep;
	struct smmu_txn t = {
		.sid = ep->cfg.sid,
		.ssv = acc->a.pasid_valid,
		.ssid = acc->a.pasid_valid ? acc->a.pasid : 0,
		.addr = acc->a.addr & ~EP_PAGE_MASK,
		.len = EP_PAGE_SIZE,
		.instr = acc->a.exec,
		.priv = acc->a.priv,
		.no_write = !acc->a.write,
		.kind = SMMU_TXN_ATS_TREQ,
		.cookie = acc->a.tag,
	};

	stage_enter(acc, acc->groups ? LS_RETRY : LS_XLATE);
	ep->stats.treqs++;
	acc->res.treqs++;
	acc->tr_stale = false;
	acc->st = AS_XLATE;
	if (!ep->port.submit ||
	    !ep->port.submit(ep->port.ctx, &t, on_tr, acc))
		finish(acc, PCIE_EP_SUBMIT_FAILED);
}

/* An access got its outstanding slot. */
static void start(struct ep_acc *acc)
{
	struct pcie_ep *ep = acc->ep;
	struct ep_atc_slot *s;

	acc->started = true;
	ep->inflight++;
	acc->res.started_at = sim_now(ep->sim);
	stage_enter(acc, LS_XLATE);
	if (!ep->ats_enabled) {
		send_data(acc, SMMU_TXN_UNTRANSLATED, acc->a.addr);
		return;
	}
	s = ep_atc_lookup(&ep->atc, acc->a.pasid_valid, acc->a.pasid,
			  acc->a.priv, acc->a.addr);
	if (s && (s->e.u || grants(&s->e, acc))) {
		ep_atc_touch(&ep->atc, s);
		ep->stats.atc_hits++;
		acc->res.atc_hit = true;
		send_with(acc, &s->e);
		return;
	}
	ep->stats.atc_misses++;
	send_tr(acc);
}

static void pump(struct pcie_ep *ep)
{
	unsigned max = ep->cfg.max_outstanding ? ep->cfg.max_outstanding : 1;

	while (ep->inflight < max && ep->slotq.head) {
		struct ep_acc *acc = q_pop(&ep->slotq);

		ep->queued--;
		start(acc);
	}
}

static void ev_arrive(struct sim *sim, void *arg)
{
	struct ep_acc *acc = arg;
	struct pcie_ep *ep = acc->ep;

	(void)sim;
	acc->ev = 0;
	acc->st = AS_QUEUED;
	q_push(&ep->slotq, acc);
	ep->queued++;
	pump(ep);
}

int pcie_ep_dma(struct pcie_ep *ep, uint64_t when,
		const struct pcie_ep_access *in, pcie_ep_done_fn done,
		void *ctx)
{
	struct ep_acc *acc;

	if (!ep || !in || in->len == 0 || in->len > EP_PAGE_SIZE ||
	    (in->addr & EP_PAGE_MASK) + in->len > EP_PAGE_SIZE ||
	    (in->pasid_valid && in->pasid > EP_PASID_MAX) ||
	    (in->pasid_valid && in->exec && in->write))
		return -EINVAL;
	acc = calloc(1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	acc->data = calloc(1, in->len);
	if (!acc->data) {
		free(acc);
		return -ENOMEM;
	}
	acc->ep = ep;
	acc->a = *in;
	/* Execute and Privileged travel only in a PASID prefix. */
	if (!in->pasid_valid) {
		acc->a.pasid = 0;
		acc->a.exec = false;
		acc->a.priv = false;
	}
	if (in->write && in->wdata)
		memcpy(acc->data, in->wdata, in->len);
	acc->a.wdata = NULL;
	acc->done = done;
	acc->ctx = ctx;
	acc->st = AS_WAIT_TIME;
	if (when < sim_now(ep->sim))
		when = sim_now(ep->sim);
	acc->res.issued_at = when;
	acc->stage = LS_QUEUE;
	acc->stage_at = when;
	acc->next = ep->all;
	if (ep->all)
		ep->all->prev = acc;
	ep->all = acc;
	ep->stats.accesses++;
	acc->ev = sim_schedule_at(ep->sim, when, ev_arrive, acc);
	return 0;
}

unsigned pcie_ep_inflight(const struct pcie_ep *ep)
{
	return ep->inflight;
}

unsigned pcie_ep_queued(const struct pcie_ep *ep)
{
	return ep->queued;
}

/* --- PRI --- */

static bool pri_enabled(const struct pcie_ep *ep)
{
	return ep->cfg.pri && (ep->pri_ctrl & PCIE_PRI_CTRL_ENABLE) &&
	       !(ep->pri_status & PCIE_PRI_STATUS_RF);
}

static bool pasid_stopped(const struct pcie_ep *ep, uint32_t pasid)
{
	for (unsigned i = 0; i < ep->nstopped; i++)
		if (ep->stopped[i] == pasid)
			return true;
	return false;
}

static unsigned prg_pages(const struct pcie_ep *ep)
{
	return ep->cfg.prg_pages ? ep->cfg.prg_pages : 1;
}

/* A free PRG Index, round robin; -1 if all 512 are outstanding. */
static int prgi_alloc(struct pcie_ep *ep)
{
	for (unsigned i = 0; i < PCIE_PRGI_COUNT; i++) {
		unsigned idx = (ep->prgi_next + i) % PCIE_PRGI_COUNT;

		if (!ep->prg[idx].used) {
			ep->prgi_next = (uint16_t)((idx + 1) %
						   PCIE_PRGI_COUNT);
			return (int)idx;
		}
	}
	return -1;
}

/*
 * Send the access's Page Request Group: the faulting page and the pages
 * after it, one credit each, the last with Last=1. The SMMU may answer
 * from inside the request (an automatic response), so everything is set
 * up first and the access is not touched after the first request.
 */
static void send_prg(struct ep_acc *acc, int prgi)
{
	struct pcie_ep *ep = acc->ep;
	struct ep_prg *g = &ep->prg[prgi];
	unsigned pages = prg_pages(ep);
	struct smmu_page_request pr = {
		.sid = ep->cfg.sid,
		.ssv = acc->a.pasid_valid,
		.ssid = acc->a.pasid_valid ? acc->a.pasid : 0,
		.priv = acc->a.priv,
		.exec = acc->a.exec,
		.read = !acc->a.write,
		.write = acc->a.write,
		.prgi = (uint16_t)prgi,
	};
	uint64_t page = acc->a.addr & ~EP_PAGE_MASK;

	g->used = true;
	g->acc = acc;
	g->pages = pages;
	g->pasid_valid = acc->a.pasid_valid;
	g->pasid = pr.ssid;
	ep->pri_used += pages;
	ep->pri_ngroups++;
	ep->stats.prgs++;
	acc->prgi = (uint16_t)prgi;
	acc->groups++;
	acc->res.prgs++;
	acc->st = AS_PRG_WAIT;
	for (unsigned i = 0; i < pages; i++) {
		pr.addr = page + (uint64_t)i * EP_PAGE_SIZE;
		pr.last = i + 1 == pages;
		ep->stats.page_requests++;
		if (ep->port.page_request)
			ep->port.page_request(ep->port.ctx, &pr);
	}
}

/* Send the groups waiting for credits, in order, while credits last. */
static void credit_pump(struct pcie_ep *ep)
{
	while (ep->creditq.head && pri_enabled(ep) &&
	       ep->pri_used + prg_pages(ep) <= ep->pri_alloc) {
		int prgi = prgi_alloc(ep);

		if (prgi < 0)
			return;
		send_prg(q_pop(&ep->creditq), prgi);
	}
}

/* The translation did not grant the access: page request or failure. */
static void need_page(struct ep_acc *acc)
{
	struct pcie_ep *ep = acc->ep;
	unsigned max = ep->cfg.pri_max_groups ? ep->cfg.pri_max_groups : 1;
	int prgi;

	if (!pri_enabled(ep)) {
		finish(acc, PCIE_EP_NO_ACCESS);
		return;
	}
	if (acc->a.pasid_valid && pasid_stopped(ep, acc->a.pasid)) {
		finish(acc, PCIE_EP_PASID_STOPPED);
		return;
	}
	if (acc->groups >= max) {
		finish(acc, PCIE_EP_NO_ACCESS);
		return;
	}
	if (prg_pages(ep) > ep->pri_alloc) {
		finish(acc, PCIE_EP_NO_CREDIT);
		return;
	}
	stage_enter(acc, LS_PRI);
	prgi = -1;
	if (!ep->creditq.head &&
	    ep->pri_used + prg_pages(ep) <= ep->pri_alloc)
		prgi = prgi_alloc(ep);
	if (prgi < 0) {
		acc->st = AS_CREDIT_WAIT;
		q_push(&ep->creditq, acc);
		ep->stats.credit_waits++;
		return;
	}
	send_prg(acc, prgi);
}

/* Fail every access waiting for credits (that matches the PASID filter). */
static void fail_credit_waiters(struct pcie_ep *ep, bool any_pasid,
				uint32_t pasid, enum pcie_ep_status st)
{
	struct ep_acc *a = ep->creditq.head;

	while (a) {
		struct ep_acc *next = a->qnext;

		if (any_pasid || (a->a.pasid_valid && a->a.pasid == pasid))
			finish(a, st);
		a = next;
	}
}

/* Forget every outstanding group; their accesses fail. */
static void drop_groups(struct pcie_ep *ep, enum pcie_ep_status st)
{
	for (unsigned i = 0; i < PCIE_PRGI_COUNT; i++) {
		struct ep_prg *g = &ep->prg[i];

		if (!g->used)
			continue;
		if (g->acc)
			finish(g->acc, st); /* releases the group */
		else
			prg_release(ep, (uint16_t)i);
	}
}

void pcie_ep_pri_resp(struct pcie_ep *ep, const struct smmu_pri_resp *resp)
{
	struct ep_prg *g;
	struct ep_acc *acc;

	ep->stats.prg_responses++;
	if (!ep->cfg.pri)
		return;
	/* After a Response Failure every response is ignored (facts §7.4) */
	if (ep->pri_status & PCIE_PRI_STATUS_RF)
		return;
	g = resp->prgi < PCIE_PRGI_COUNT ? &ep->prg[resp->prgi] : NULL;
	if (!g || !g->used ||
	    (ep->cfg.prg_resp_pasid_req && g->pasid_valid &&
	     (!resp->ssv || resp->ssid != g->pasid))) {
		/* No such group outstanding: Unexpected PRG Index. */
		ep->pri_status |= PCIE_PRI_STATUS_UPRGI;
		ep->stats.prg_unexpected++;
		return;
	}
	acc = g->acc;
	prg_release(ep, resp->prgi);
	if (acc)
		acc->st = AS_XLATE; /* no longer holds the group */
	switch (resp->code) {
	case PCIE_PRG_RESP_SUCCESS:
		/* The pages are resident: translate again. */
		if (acc)
			send_tr(acc);
		break;
	case PCIE_PRG_RESP_INVALID:
		if (acc)
			finish(acc, PCIE_EP_PRI_INVALID);
		break;
	default:
		/*
		 * Response Failure (and, the model's choice, the reserved
		 * codes): PRI is dead until software disables and enables
		 * it again; nothing more is requested or awaited.
		 */
		ep->pri_status |= PCIE_PRI_STATUS_RF;
		if (acc)
			finish(acc, PCIE_EP_PRI_FAILURE);
		drop_groups(ep, PCIE_EP_PRI_FAILURE);
		fail_credit_waiters(ep, true, 0, PCIE_EP_PRI_FAILURE);
		return;
	}
	credit_pump(ep);
}

uint32_t pcie_ep_pri_cfg_read(const struct pcie_ep *ep, unsigned off)
{
	uint32_t v;

	if (!ep->cfg.pri)
		return 0;
	switch (off) {
	case PCIE_PRI_CTRL:
		return ep->pri_ctrl & PCIE_PRI_CTRL_ENABLE; /* Reset reads 0 */
	case PCIE_PRI_STATUS:
		v = ep->pri_status;
		/* Stopped: disabled with no request outstanding */
		if (!(ep->pri_ctrl & PCIE_PRI_CTRL_ENABLE) && !ep->pri_ngroups)
			v |= PCIE_PRI_STATUS_STOPPED;
		if (ep->cfg.prg_resp_pasid_req)
			v |= PCIE_PRI_STATUS_PASID_REQ;
		return v;
	case PCIE_PRI_CAP:
		return ep->cfg.pri_capacity;
	case PCIE_PRI_ALLOC:
		return ep->pri_alloc;
	default:
		return 0;
	}
}

void pcie_ep_pri_cfg_write(struct pcie_ep *ep, unsigned off, uint32_t val)
{
	bool was, now;

	if (!ep->cfg.pri)
		return;
	switch (off) {
	case PCIE_PRI_CTRL:
		was = ep->pri_ctrl & PCIE_PRI_CTRL_ENABLE;
		now = val & PCIE_PRI_CTRL_ENABLE;
		ep->pri_ctrl = now ? PCIE_PRI_CTRL_ENABLE : 0;
		if (!was && now) {
			/* Enable 0 -> 1 clears the error flags */
			ep->pri_status &= (uint16_t)~(PCIE_PRI_STATUS_RF |
						      PCIE_PRI_STATUS_UPRGI);
		}
		if (was && !now) {
			/* Disabled: requests not yet sent are never sent */
			fail_credit_waiters(ep, true, 0, PCIE_EP_NO_ACCESS);
		}
		if (!now && (val & PCIE_PRI_CTRL_RESET)) {
			/* Reset (only while disabled): forget outstanding
			 * requests and their credits. */
			drop_groups(ep, PCIE_EP_PRI_FAILURE);
		}
		if (now)
			credit_pump(ep);
		return;
	case PCIE_PRI_STATUS:
		/* RF and UPRGI are write-one-to-clear */
		ep->pri_status &= (uint16_t)~(val & (PCIE_PRI_STATUS_RF |
						     PCIE_PRI_STATUS_UPRGI));
		return;
	case PCIE_PRI_ALLOC:
		ep->pri_alloc = val;
		credit_pump(ep);
		return;
	default:
		return;
	}
}

void pcie_ep_pri_enable(struct pcie_ep *ep, bool enable)
{
	pcie_ep_pri_cfg_write(ep, PCIE_PRI_CTRL,
			      enable ? PCIE_PRI_CTRL_ENABLE : 0);
}

void pcie_ep_pri_set_alloc(struct pcie_ep *ep, uint32_t alloc)
{
	pcie_ep_pri_cfg_write(ep, PCIE_PRI_ALLOC, alloc);
}

uint16_t pcie_ep_pri_status(const struct pcie_ep *ep)
{
	return (uint16_t)pcie_ep_pri_cfg_read(ep, PCIE_PRI_STATUS);
}

uint32_t pcie_ep_pri_credits(const struct pcie_ep *ep)
{
	return ep->pri_used >= ep->pri_alloc ? 0
					     : ep->pri_alloc - ep->pri_used;
}

unsigned pcie_ep_pri_groups(const struct pcie_ep *ep)
{
	return ep->pri_ngroups;
}

void pcie_ep_pri_stop_marker(struct pcie_ep *ep, uint32_t pasid)
{
	struct smmu_page_request pr = {
		.sid = ep->cfg.sid,
		.ssv = true,
		.ssid = pasid & EP_PASID_MAX,
		.last = true,
	};

	pasid &= EP_PASID_MAX;
	if (!pasid_stopped(ep, pasid)) {
		if (ep->nstopped == ep->cap_stopped) {
			unsigned cap = ep->cap_stopped ? 2 * ep->cap_stopped
						       : 8;
			uint32_t *n = realloc(ep->stopped, cap * sizeof(*n));

			if (!n)
				return;
			ep->stopped = n;
			ep->cap_stopped = cap;
		}
		ep->stopped[ep->nstopped++] = pasid;
	}
	/* Requests not yet sent for the PASID are abandoned. */
	fail_credit_waiters(ep, false, pasid, PCIE_EP_PASID_STOPPED);
	if (!pri_enabled(ep))
		return; /* a disabled function sends no page request message */
	/* Every request already sent precedes the marker, and none for the
	 * PASID can follow it. Stop Markers use no credit. */
	ep->stats.stop_markers++;
	if (ep->port.page_request)
		ep->port.page_request(ep->port.ctx, &pr);
}

void pcie_ep_pasid_start(struct pcie_ep *ep, uint32_t pasid)
{
	for (unsigned i = 0; i < ep->nstopped; i++) {
		if (ep->stopped[i] == pasid) {
			ep->stopped[i] = ep->stopped[--ep->nstopped];
			return;
		}
	}
}

/* --- ATC maintenance --- */

void pcie_ep_ats_enable(struct pcie_ep *ep, bool enable)
{
	ep->ats_enabled = enable;
	if (!enable)
		ep_atc_clear(&ep->atc);
}

unsigned pcie_ep_atc_count(const struct pcie_ep *ep)
{
	return ep_atc_count(&ep->atc);
}

bool pcie_ep_atc_slot(const struct pcie_ep *ep, unsigned i,
		      struct pcie_ep_atc_entry *out)
{
	if (i >= ep->atc.n || !ep->atc.slot[i].valid)
		return false;
	if (out)
		*out = ep->atc.slot[i].e;
	return true;
}

bool pcie_ep_atc_find(const struct pcie_ep *ep, bool pasid_valid,
		      uint32_t pasid, bool priv, uint64_t addr,
		      struct pcie_ep_atc_entry *out)
{
	const struct ep_atc_slot *s =
		ep_atc_lookup(&ep->atc, pasid_valid, pasid_valid ? pasid : 0,
			      pasid_valid && priv, addr);

	if (!s)
		return false;
	if (out)
		*out = s->e;
	return true;
}

void pcie_ep_atc_fill(struct pcie_ep *ep, const struct pcie_ep_atc_entry *e)
{
	ep_atc_fill(&ep->atc, e);
}

void pcie_ep_set_inv_mode(struct pcie_ep *ep, enum pcie_ep_inv_mode mode,
			  uint64_t delay)
{
	ep->cfg.inv_mode = mode;
	ep->cfg.inv_delay = delay;
}

static void ev_inv_done(struct sim *sim, void *arg)
{
	struct ep_inv *inv = arg;
	struct pcie_ep *ep = inv->ep;
	uint64_t tag = inv->tag;
	unsigned stale = ep_atc_count_covered(&ep->atc, &inv->req,
					      ep->cfg.global_inv, inv->fills);

	(void)sim;
	/* Invariant: completing the invalidation, nothing it covered that
	 * was cached before it arrived may remain. */
	if (stale && !ep->inv_violations++)
		snprintf(ep->inv_violation, sizeof(ep->inv_violation),
			 "SID 0x%x: %u ATC entries survive the ATS invalidation "
			 "of 0x%llx (2^%u bytes, PASID %s%u) at its completion",
			 ep->cfg.sid, stale,
			 (unsigned long long)inv->req.addr,
			 inv->req.span_log2, inv->req.ssv ? "" : "none ",
			 inv->req.ssv ? inv->req.ssid : 0);
	if (inv->prev)
		inv->prev->next = inv->next;
	else
		ep->invs = inv->next;
	if (inv->next)
		inv->next->prev = inv->prev;
	free(inv);
	ep->stats.inv_completions++;
	if (ep->port.inv_done)
		ep->port.inv_done(ep->port.ctx, tag);
}

void pcie_ep_atc_inv(struct pcie_ep *ep, const struct smmu_atc_inv *req)
{
	struct ep_inv *inv;

	ep->stats.inv_requests++;
	ep->stats.inv_entries +=
		ep_atc_invalidate(&ep->atc, req, ep->cfg.global_inv);
	/* A Translation Request in flight for a covered page may bring a
	 * completion computed before the invalidation: not to be used. */
	for (struct ep_acc *a = ep->all; a; a = a->next)
		if (a->st == AS_XLATE &&
		    ep_atc_inv_covers(req, ep->cfg.global_inv,
				      a->a.pasid_valid, a->a.pasid,
				      a->a.addr & ~EP_PAGE_MASK,
				      EP_PAGE_SHIFT))
			a->tr_stale = true;
	if (ep->cfg.inv_mode == PCIE_EP_INV_NEVER)
		return;
	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return; /* host out of memory: as if never answered */
	inv->ep = ep;
	inv->tag = req->tag;
	inv->req = *req;
	inv->fills = ep->atc.fills;
	inv->next = ep->invs;
	if (inv->next)
		inv->next->prev = inv;
	ep->invs = inv;
	inv->ev = sim_schedule(ep->sim, ep->cfg.inv_delay, ev_inv_done, inv);
}

/* --- the SMMU boundary --- */

static void ops_atc_inv(void *ctx, const struct smmu_atc_inv *req)
{
	pcie_ep_atc_inv(ctx, req);
}

static void ops_pri_resp(void *ctx, const struct smmu_pri_resp *resp)
{
	pcie_ep_pri_resp(ctx, resp);
}

void pcie_ep_endpoint_ops(struct pcie_ep *ep, struct smmu_endpoint_ops *ops)
{
	ops->atc_inv = ops_atc_inv;
	ops->pri_resp = ops_pri_resp;
	ops->ctx = ep;
}

/* --- life --- */

struct pcie_ep *pcie_ep_create(struct sim *sim, struct pmem *mem,
			       const struct pcie_ep_config *cfg,
			       const struct pcie_ep_port *port)
{
	struct pcie_ep *ep;

	if (!sim || !mem || !cfg)
		return NULL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->sim = sim;
	ep->mem = mem;
	ep->cfg = *cfg;
	if (port)
		ep->port = *port;
	ep->ats_enabled = cfg->ats;
	if (!ep_atc_init(&ep->atc, cfg->ats ? cfg->atc_entries : 0,
			 cfg->atc_policy)) {
		free(ep);
		return NULL;
	}
	return ep;
}

void pcie_ep_destroy(struct pcie_ep *ep)
{
	if (!ep)
		return;
	if (ep->port.detach)
		ep->port.detach(ep->port.ctx, ep->cfg.sid);
	while (ep->all) {
		struct ep_acc *a = ep->all;

		acc_unlink(ep, a);
		free(a->data);
		free(a);
	}
	while (ep->invs) {
		struct ep_inv *inv = ep->invs;

		ep->invs = inv->next;
		sim_cancel(ep->sim, inv->ev);
		free(inv);
	}
	ep_atc_fini(&ep->atc);
	free(ep->stopped);
	free(ep);
}

void pcie_ep_set_port(struct pcie_ep *ep, const struct pcie_ep_port *port)
{
	memset(&ep->port, 0, sizeof(ep->port));
	if (port)
		ep->port = *port;
}

uint32_t pcie_ep_sid(const struct pcie_ep *ep)
{
	return ep->cfg.sid;
}

void pcie_ep_get_stats(const struct pcie_ep *ep, struct pcie_ep_stats *out)
{
	*out = ep->stats;
	out->atc_fills = ep->atc.fills;
	out->atc_evictions = ep->atc.evictions;
}

bool pcie_ep_check_invariants(const struct pcie_ep *ep, char *err,
			      size_t len)
{
	if (!ep->inv_violations)
		return true;
	if (err && len)
		snprintf(err, len, "%s", ep->inv_violation);
	return false;
}
