/* SPDX-License-Identifier: MIT */
/*
 * I/O page-fault handler (see iopf.h): PRI page request groups and
 * stalled transactions, resolved with hos_fault on the bound address
 * space and answered with CMD_PRI_RESP or CMD_RESUME.
 */
#include "pri/iopf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/smmu_regs.h"
#include "pasid/sva.h"

#define DEFAULT_POLL 16u

/* One page of a group, with the access to resolve. */
struct page_req {
	uint64_t addr;
	unsigned access;     /* HFAULT_* */
};

/* A Page Request Group still waiting for its Last=1 PPR. */
struct prg {
	uint32_t sid;
	bool ssv;
	uint32_t pasid;
	uint16_t prgi;
	bool lost;           /* a PPR could not be held */
	struct page_req *pages;
	unsigned n, cap;
};

/* A response waiting for its time. */
struct pending {
	uint64_t due;
	uint64_t cmd[2];
	uint32_t sid;
	bool ssv;
	uint32_t pasid;
};

struct bond_ent {
	uint32_t sid;
	bool ssv;
	uint32_t pasid;
	struct hmm *mm;
};

struct marker {
	uint32_t sid, pasid;
};

struct iopf {
	struct sim *sim;
	struct hsmmu *drv;
	bool pri;                    /* the PRI queue is ours to drain */
	uint64_t delay, poll;
	iopf_lookup_fn lookup;
	void *lookup_ctx;
	struct bond_ent *bonds;
	unsigned nbonds, capbonds;
	struct prg *groups;
	unsigned ngroups, capgroups;
	unsigned held;               /* PPRs in partial groups */
	struct pending *pend;
	unsigned npend, cappend;
	struct marker markers[IOPF_MARKERS_KEPT];
	unsigned nmarkers;
	uint64_t events[IOPF_EVENTS_KEPT][4];
	unsigned ev_head, ev_count;
	iopf_event_fn evfn;
	void *evctx;
	iopf_cmd_fn cmdfn;
	void *cmdctx;
	struct iopf_stats st;
};

/* ------------------------------------------------------------------ */
/* Records                                                            */
/* ------------------------------------------------------------------ */

void iopf_ppr_decode(const uint64_t rec[2], struct iopf_ppr *out)
{
	memset(out, 0, sizeof(*out));
	out->sid = (uint32_t)fget(rec, PPR_SID);
	out->ssv = fget(rec, PPR_SSV);
	/* §8: SubstreamID is UNKNOWN without SSV */
	out->pasid = out->ssv ? (uint32_t)fget(rec, PPR_SSID) : 0;
	out->priv = fget(rec, PPR_PRIV);
	out->exec = fget(rec, PPR_EXEC);
	out->read = fget(rec, PPR_READ);
	out->write = fget(rec, PPR_WRITE);
	out->last = fget(rec, PPR_LAST);
	out->prgi = (uint16_t)fget(rec, PPR_PRGINDEX);
	out->addr = fget_inplace(rec, PPR_ADDR);
}

void iopf_ppr_encode(const struct iopf_ppr *in, uint64_t rec[2])
{
	rec[0] = rec[1] = 0;
	fset(rec, PPR_SID, in->sid);
	fset(rec, PPR_SSV, in->ssv);
	fset(rec, PPR_SSID, in->pasid);
	fset(rec, PPR_PRIV, in->priv);
	fset(rec, PPR_EXEC, in->exec);
	fset(rec, PPR_READ, in->read);
	fset(rec, PPR_WRITE, in->write);
	fset(rec, PPR_LAST, in->last);
	fset(rec, PPR_PRGINDEX, in->prgi);
	rec[1] |= in->addr & fld_mask(PPR_ADDR);
}

bool iopf_ppr_is_stop(const struct iopf_ppr *p)
{
	return p->ssv && p->last && !p->write && !p->read;
}

void iopf_fault_decode(const uint64_t rec[4], struct iopf_fault *out)
{
	memset(out, 0, sizeof(*out));
	out->id = (uint8_t)fget(rec, EVR_ID);
	out->sid = (uint32_t)fget(rec, EVR_SID);
	out->ssv = fget(rec, EVR_SSV);
	out->pasid = out->ssv ? (uint32_t)fget(rec, EVR_SSID) : 0;
	out->stall = fget(rec, EVR_STALL);
	out->stag = (uint16_t)fget(rec, EVR_STAG);
	out->pnu = fget(rec, EVR_PNU);
	out->ind = fget(rec, EVR_IND);
	out->rnw = fget(rec, EVR_RNW);
	out->s2 = fget(rec, EVR_S2);
	out->cls = (uint8_t)fget(rec, EVR_CLASS);
	out->addr = fget(rec, EVR_INPUT);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

/* Make room for `need` elements of `size` bytes in *arr. */
static bool grow(void **arr, unsigned *cap, unsigned need, size_t size)
{
	unsigned ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, (size_t)ncap * size);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

static struct hmm *find_mm(const struct iopf *io, uint32_t sid, bool ssv,
			   uint32_t pasid)
{
	if (!ssv)
		pasid = 0;
	if (io->lookup)
		return io->lookup(io->lookup_ctx, sid, ssv, pasid);
	for (unsigned i = 0; i < io->nbonds; i++) {
		const struct bond_ent *b = &io->bonds[i];

		if (b->sid == sid && b->ssv == ssv && b->pasid == pasid)
			return b->mm;
	}
	return NULL;
}

static int resolve(struct iopf *io, struct hmm *mm, uint64_t va,
		   unsigned access)
{
	int r = hos_fault(mm, va, access);

	if (r)
		io->st.faults_failed++;
	else
		io->st.faults_ok++;
	return r;
}

/* Queue a response for `delay` cycles from now. */
static void respond(struct iopf *io, const uint64_t cmd[2], uint32_t sid,
		    bool ssv, uint32_t pasid)
{
	struct pending *p;

	if (!grow((void **)&io->pend, &io->cappend, io->npend + 1,
		  sizeof(*io->pend))) {
		/* out of host memory: answer now rather than never */
		if (io->cmdfn)
			io->cmdfn(io->cmdctx, cmd);
		if (hsmmu_cmd(io->drv, cmd))
			io->st.cmd_failures++;
		return;
	}
	p = &io->pend[io->npend++];
	p->due = sim_now(io->sim) + io->delay;
	p->cmd[0] = cmd[0];
	p->cmd[1] = cmd[1];
	p->sid = sid;
	p->ssv = ssv;
	p->pasid = pasid;
}

/* ------------------------------------------------------------------ */
/* PRI: page request groups                                           */
/* ------------------------------------------------------------------ */

static unsigned ppr_access(const struct iopf_ppr *p)
{
	unsigned a = HFAULT_READ;

	if (p->write)
		a |= HFAULT_WRITE;
	if (p->exec)
		a |= HFAULT_EXEC;
	return a;
}

static struct prg *group_find(struct iopf *io, const struct iopf_ppr *p)
{
	for (unsigned i = 0; i < io->ngroups; i++) {
		struct prg *g = &io->groups[i];

		if (g->sid == p->sid && g->ssv == p->ssv &&
		    g->pasid == p->pasid && g->prgi == p->prgi)
			return g;
	}
	return NULL;
}

static void group_remove(struct iopf *io, struct prg *g)
{
	io->held -= g->n;
	free(g->pages);
	*g = io->groups[--io->ngroups];
}

/* Drop the partial groups of (sid, pasid), or all of them (all set). */
static void groups_discard(struct iopf *io, bool all, uint32_t sid,
			   uint32_t pasid)
{
	unsigned i = 0;

	while (i < io->ngroups) {
		struct prg *g = &io->groups[i];

		if (all || (g->ssv && g->sid == sid && g->pasid == pasid)) {
			group_remove(io, g);
			io->st.groups_discarded++;
		} else {
			i++;
		}
	}
}

static bool group_add_page(struct iopf *io, struct prg *g,
			   const struct iopf_ppr *p)
{
	if (io->held >= IOPF_PPRS_HELD ||
	    !grow((void **)&g->pages, &g->cap, g->n + 1, sizeof(*g->pages)))
		return false;
	g->pages[g->n].addr = p->addr;
	g->pages[g->n].access = ppr_access(p);
	g->n++;
	io->held++;
	return true;
}

/* §8, §8.3: judge a complete group and queue its CMD_PRI_RESP. */
static void group_answer(struct iopf *io, const struct prg *g)
{
	struct hmm *mm = find_mm(io, g->sid, g->ssv, g->pasid);
	enum iopf_resp resp = IOPF_RESP_SUCCESS;
	uint64_t cmd[2] = { 0, 0 };

	if (!mm) {
		/* nothing to judge the request against */
		resp = IOPF_RESP_FAILURE;
	} else if (g->lost) {
		resp = IOPF_RESP_INVALID;
	} else {
		for (unsigned i = 0; i < g->n; i++) {
			if (resolve(io, mm, g->pages[i].addr,
				    g->pages[i].access)) {
				resp = IOPF_RESP_INVALID;
				break;
			}
		}
	}
	switch (resp) {
	case IOPF_RESP_SUCCESS:
		io->st.resp_success++;
		break;
	case IOPF_RESP_INVALID:
		io->st.resp_invalid++;
		break;
	case IOPF_RESP_FAILURE:
		io->st.resp_failure++;
		break;
	}
	io->st.groups++;
	fset(cmd, IOPF_CMD_OPCODE, OP_PRI_RESP);
	fset(cmd, IOPF_CMD_SID, g->sid);
	if (g->ssv) {
		/* §4.5.2: the response carries the request's PASID */
		fset(cmd, IOPF_CMD_SSV, 1);
		fset(cmd, IOPF_CMD_SSID, g->pasid);
	}
	fset(cmd, IOPF_CMD_PRI_PRGINDEX, g->prgi);
	fset(cmd, IOPF_CMD_PRI_RESP, resp);
	respond(io, cmd, g->sid, g->ssv, g->pasid);
}

static void marker_note(struct iopf *io, uint32_t sid, uint32_t pasid)
{
	if (io->nmarkers == IOPF_MARKERS_KEPT) {
		memmove(&io->markers[0], &io->markers[1],
			(IOPF_MARKERS_KEPT - 1) * sizeof(io->markers[0]));
		io->nmarkers--;
	}
	io->markers[io->nmarkers].sid = sid;
	io->markers[io->nmarkers].pasid = pasid;
	io->nmarkers++;
}

/* Forget a marker of (sid, pasid); true if there was one. */
static bool marker_take(struct iopf *io, uint32_t sid, uint32_t pasid)
{
	for (unsigned i = 0; i < io->nmarkers; i++) {
		if (io->markers[i].sid == sid &&
		    io->markers[i].pasid == pasid) {
			memmove(&io->markers[i], &io->markers[i + 1],
				(io->nmarkers - i - 1) *
					sizeof(io->markers[0]));
			io->nmarkers--;
			return true;
		}
	}
	return false;
}

void iopf_handle_ppr(struct iopf *io, const uint64_t rec[2])
{
	struct iopf_ppr p;
	struct prg *g;

	iopf_ppr_decode(rec, &p);
	if (iopf_ppr_is_stop(&p)) {
		/* §8.2: never answered. Every PPR of the PASID came before
		 * it, so its partial groups can no longer complete. */
		io->st.stop_markers++;
		groups_discard(io, false, p.sid, p.pasid);
		marker_note(io, p.sid, p.pasid);
		return;
	}
	io->st.pprs++;
	g = group_find(io, &p);
	if (!g) {
		if (!grow((void **)&io->groups, &io->capgroups,
			  io->ngroups + 1, sizeof(*io->groups))) {
			io->st.pprs_dropped++;
			if (p.last) {
				/* answer rather than leave the device
				 * waiting */
				struct prg tmp = { .sid = p.sid,
						   .ssv = p.ssv,
						   .pasid = p.pasid,
						   .prgi = p.prgi,
						   .lost = true };

				group_answer(io, &tmp);
			}
			return;
		}
		g = &io->groups[io->ngroups++];
		memset(g, 0, sizeof(*g));
		g->sid = p.sid;
		g->ssv = p.ssv;
		g->pasid = p.pasid;
		g->prgi = p.prgi;
	}
	if (!group_add_page(io, g, &p)) {
		io->st.pprs_dropped++;
		g->lost = true;
	}
	if (p.last) {
		group_answer(io, g);
		group_remove(io, g);
	}
}

/* ------------------------------------------------------------------ */
/* Stalls and other events                                            */
/* ------------------------------------------------------------------ */

static void keep_event(struct iopf *io, const uint64_t rec[4])
{
	uint64_t *slot;

	if (io->evfn) {
		io->evfn(io->evctx, rec);
		return;
	}
	if (io->ev_count == IOPF_EVENTS_KEPT) {
		io->st.events_lost++;
		return;
	}
	slot = io->events[(io->ev_head + io->ev_count) % IOPF_EVENTS_KEPT];
	memcpy(slot, rec, 4 * sizeof(*rec));
	io->ev_count++;
	io->st.events_kept++;
}

/* Faults paging can cure: stage 1 translation, access flag, permission
 * (§7.3.11-§7.3.14). An address-size fault or a stage 2 fault is not the
 * process's. */
static bool pageable(const struct iopf_fault *f)
{
	if (f->s2)
		return false;
	return f->id == IOPF_EVT_F_TRANSLATION ||
	       f->id == IOPF_EVT_F_ACCESS || f->id == IOPF_EVT_F_PERMISSION;
}

void iopf_handle_event(struct iopf *io, const uint64_t rec[4])
{
	struct iopf_fault f;
	uint64_t cmd[2] = { 0, 0 };
	bool ok = false;

	iopf_fault_decode(rec, &f);
	if (!f.stall) {
		keep_event(io, rec);
		return;
	}
	io->st.stalls++;
	if (pageable(&f)) {
		struct hmm *mm = find_mm(io, f.sid, f.ssv, f.pasid);
		/* §7.3: InD=0 whenever RnW=0; writes are data */
		unsigned access = !f.rnw ? HFAULT_WRITE :
				  f.ind ? HFAULT_EXEC : HFAULT_READ;

		ok = mm && !resolve(io, mm, f.addr, access);
	}
	/* §4.7.1: Ac=1 retry; Ac=0 Ab=1 terminate with an abort */
	fset(cmd, IOPF_CMD_OPCODE, OP_RESUME);
	fset(cmd, IOPF_CMD_SID, f.sid);
	fset(cmd, IOPF_CMD_RESUME_AC, ok);
	fset(cmd, IOPF_CMD_RESUME_AB, !ok);
	fset(cmd, IOPF_CMD_RESUME_STAG, f.stag);
	if (ok)
		io->st.resume_retry++;
	else
		io->st.resume_abort++;
	respond(io, cmd, f.sid, f.ssv, f.pasid);
}

bool iopf_pop_event(struct iopf *io, uint64_t rec[4])
{
	if (!io->ev_count)
		return false;
	memcpy(rec, io->events[io->ev_head], 4 * sizeof(*rec));
	io->ev_head = (io->ev_head + 1) % IOPF_EVENTS_KEPT;
	io->ev_count--;
	return true;
}

/* ------------------------------------------------------------------ */
/* Driving                                                            */
/* ------------------------------------------------------------------ */

int iopf_send_due(struct iopf *io)
{
	uint64_t now = sim_now(io->sim);
	unsigned i = 0, sent = 0;
	int ret = 0;

	while (i < io->npend) {
		struct pending *p = &io->pend[i];

		if (p->due > now) {
			i++;
			continue;
		}
		if (io->cmdfn)
			io->cmdfn(io->cmdctx, p->cmd);
		if (hsmmu_cmd(io->drv, p->cmd)) {
			io->st.cmd_failures++;
			ret = -EIO;
		} else {
			sent++;
		}
		/* keep the order of what is left */
		memmove(p, p + 1, (io->npend - i - 1) * sizeof(*p));
		io->npend--;
	}
	if (sent && hsmmu_sync(io->drv)) {
		io->st.cmd_failures++;
		ret = -EIO;
	}
	return ret;
}

unsigned iopf_process(struct iopf *io)
{
	uint64_t rec[4];
	unsigned n = 0;

	if (io->pri) {
		/*
		 * §8.1: read the overflow flag first. While it is set
		 * nothing new is written, so once the queue is empty every
		 * record written before the overflow has been handled, and
		 * what is still partial may have lost PPRs (and had its
		 * Last=1 answered by the SMMU).
		 */
		bool ovf = hsmmu_priq_overflow(io->drv);

		while (hsmmu_pop_pri(io->drv, rec)) {
			iopf_handle_ppr(io, rec);
			n++;
		}
		if (ovf) {
			groups_discard(io, true, 0, 0);
			hsmmu_priq_ack_overflow(io->drv);
			io->st.overflows++;
		}
	}
	while (hsmmu_pop_event(io->drv, rec)) {
		iopf_handle_event(io, rec);
		n++;
	}
	iopf_send_due(io);
	return n;
}

uint64_t iopf_next_due(const struct iopf *io)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < io->npend; i++)
		if (io->pend[i].due < t)
			t = io->pend[i].due;
	return t;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void iopf_run(struct iopf *io, uint64_t cycles)
{
	uint64_t end = add_sat(sim_now(io->sim), cycles);

	for (;;) {
		uint64_t now, next;

		iopf_process(io);
		now = sim_now(io->sim);
		if (now >= end)
			break;
		next = add_sat(now, io->poll);
		if (iopf_next_due(io) < next)
			next = iopf_next_due(io);
		if (next <= now)
			next = now + 1;
		if (next > end)
			next = end;
		sim_run_until(io->sim, next);
	}
}

int iopf_pasid_stop(struct iopf *io, uint32_t sid, uint32_t pasid,
		    bool wait_marker, uint64_t timeout_cycles)
{
	uint64_t start = sim_now(io->sim);
	int ret = 0;

	if (wait_marker && io->pri && hsmmu_priq_enabled(io->drv)) {
		for (;;) {
			uint64_t spent, step;

			iopf_process(io);
			if (marker_take(io, sid, pasid))
				break;
			spent = sim_now(io->sim) - start;
			if (spent >= timeout_cycles) {
				ret = -ETIMEDOUT;
				break;
			}
			step = timeout_cycles - spent;
			if (step > io->poll)
				step = io->poll;
			sim_run_until(io->sim, sim_now(io->sim) + step);
		}
	} else {
		marker_take(io, sid, pasid);
	}
	/* Flush: what is outstanding for the PASID is answered now, what
	 * can no longer complete is dropped. */
	for (unsigned i = 0; i < io->npend; i++) {
		struct pending *p = &io->pend[i];

		if (p->ssv && p->sid == sid && p->pasid == pasid)
			p->due = 0;
	}
	groups_discard(io, false, sid, pasid);
	iopf_send_due(io);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Setup                                                              */
/* ------------------------------------------------------------------ */

int iopf_create(struct sim *sim, struct hsmmu *drv,
		const struct iopf_params *p, struct iopf **out)
{
	struct iopf *io = calloc(1, sizeof(*io));
	int ret;

	if (!io)
		return -ENOMEM;
	io->sim = sim;
	io->drv = drv;
	io->delay = p ? p->resp_delay : 0;
	io->poll = p && p->poll_cycles ? p->poll_cycles : DEFAULT_POLL;
	if (hsmmu_has_pri(drv)) {
		ret = hsmmu_priq_alloc(drv, p ? p->priq_log2 : 0);
		if (ret && ret != -EEXIST) {
			free(io);
			return ret;
		}
		ret = hsmmu_priq_enable(drv, true);
		if (ret) {
			free(io);
			return ret;
		}
		io->pri = true;
	}
	*out = io;
	return 0;
}

void iopf_destroy(struct iopf *io)
{
	if (!io)
		return;
	for (unsigned i = 0; i < io->npend; i++)
		io->pend[i].due = 0;
	iopf_send_due(io);
	groups_discard(io, true, 0, 0);
	for (unsigned i = 0; i < io->nbonds; i++)
		hmm_put(io->bonds[i].mm);
	free(io->bonds);
	free(io->groups);
	free(io->pend);
	free(io);
}

void iopf_set_lookup(struct iopf *io, iopf_lookup_fn fn, void *ctx)
{
	io->lookup = fn;
	io->lookup_ctx = ctx;
}

static struct bond_ent *bond_find(struct iopf *io, uint32_t sid, bool ssv,
				  uint32_t pasid)
{
	for (unsigned i = 0; i < io->nbonds; i++) {
		struct bond_ent *b = &io->bonds[i];

		if (b->sid == sid && b->ssv == ssv && b->pasid == pasid)
			return b;
	}
	return NULL;
}

int iopf_bond_add(struct iopf *io, uint32_t sid, bool ssv, uint32_t pasid,
		  struct hmm *mm)
{
	struct bond_ent *b;

	if (!ssv)
		pasid = 0;
	if (bond_find(io, sid, ssv, pasid))
		return -EEXIST;
	if (!grow((void **)&io->bonds, &io->capbonds, io->nbonds + 1,
		  sizeof(*io->bonds)))
		return -ENOMEM;
	b = &io->bonds[io->nbonds++];
	b->sid = sid;
	b->ssv = ssv;
	b->pasid = pasid;
	b->mm = mm;
	hmm_get(mm);
	return 0;
}

int iopf_bond_del(struct iopf *io, uint32_t sid, bool ssv, uint32_t pasid)
{
	struct bond_ent *b = bond_find(io, sid, ssv, ssv ? pasid : 0);

	if (!b)
		return -ENOENT;
	hmm_put(b->mm);
	*b = io->bonds[--io->nbonds];
	return 0;
}

int iopf_bond_add_sva(struct iopf *io, const struct sva_bond *b)
{
	return iopf_bond_add(io, sva_dev_sid(sva_bond_dev(b)), true,
			     sva_bond_pasid(b), sva_bond_mm(b));
}

int iopf_bond_del_sva(struct iopf *io, const struct sva_bond *b)
{
	return iopf_bond_del(io, sva_dev_sid(sva_bond_dev(b)), true,
			     sva_bond_pasid(b));
}

void iopf_set_event_handler(struct iopf *io, iopf_event_fn fn, void *ctx)
{
	io->evfn = fn;
	io->evctx = ctx;
}

void iopf_set_cmd_observer(struct iopf *io, iopf_cmd_fn fn, void *ctx)
{
	io->cmdfn = fn;
	io->cmdctx = ctx;
}

void iopf_set_resp_delay(struct iopf *io, uint64_t cycles)
{
	io->delay = cycles;
}

unsigned iopf_partial_groups(const struct iopf *io)
{
	return io->ngroups;
}

unsigned iopf_pending_responses(const struct iopf *io)
{
	return io->npend;
}

void iopf_get_stats(const struct iopf *io, struct iopf_stats *out)
{
	*out = io->st;
}
