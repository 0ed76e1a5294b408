/* SPDX-License-Identifier: MIT */
/*
 * `expect ...` statements (docs/scenarios.md "Expectations"). Each is
 * checked when its line is reached, after the host has consumed what is
 * in its queues; a failure names the statement and the actual value.
 */
#define _GNU_SOURCE

#include "scn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "host/smmu_drv.h"
#include "host/smmu_regs.h"
#include "kshim.h"
#include "pasid/sva.h"
#include "pri/iopf.h"
#include "smmusim/smmu.h"

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

static const char *const op_names[] = { "==", "!=", "<", "<=", ">", ">=" };

static int parse_op(struct scn_ctx *c, const struct scn_arg *a, enum op *out)
{
	for (unsigned i = 0; i < 6; i++)
		if (strcmp(a->value, op_names[i]) == 0) {
			*out = (enum op)i;
			return 0;
		}
	return scn_error(c, &a->vloc,
			 "bad comparison '%s' (==, !=, <, <=, >, >=)",
			 a->value);
}

static bool compare(uint64_t x, enum op op, uint64_t n)
{
	switch (op) {
	case OP_EQ:
		return x == n;
	case OP_NE:
		return x != n;
	case OP_LT:
		return x < n;
	case OP_LE:
		return x <= n;
	case OP_GT:
		return x > n;
	default:
		return x >= n;
	}
}

/* "OP N" at positions i, i+1 */
static int parse_cmp(struct scn_ctx *c, const struct scn_stmt *st,
		     unsigned i, enum op *op, uint64_t *n)
{
	const struct scn_arg *o = scn_pos(st, i), *v = scn_pos(st, i + 1);

	if (!o || !v)
		return scn_error(c, &st->loc, "expect: missing OP N");
	if (parse_op(c, o, op))
		return -1;
	return scn_num(c, v, n);
}

static int pass(struct scn_ctx *c)
{
	c->res->expectations_passed++;
	return 0;
}

/* --- event --- */

static int e_event(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "sid", "ssid", "addr", "rnw",
					    "stall", "count", NULL };
	const struct scn_arg *ta = scn_pos(st, 1), *a;
	uint64_t sid = 0, addr = 0, rnw = 0, stall = 0, count = 0;
	bool has_sid, has_ssid, has_addr, has_rnw, has_stall, has_count;
	uint32_t ssid = 0;
	unsigned matches = 0, same_type = 0;
	uint8_t id;

	if (scn_check_args(c, st, 2, 2, keys, NULL))
		return -1;
	ta = scn_pos(st, 1);
	if (!scn_event_id(ta->value, &id))
		return scn_error(c, &ta->vloc, "unknown event '%s'", ta->value);
	has_sid = (a = scn_kv(st, "sid")) != NULL;
	if (a && scn_num(c, a, &sid))
		return -1;
	has_ssid = (a = scn_kv(st, "ssid")) != NULL;
	if (a && scn_pasid(c, a, &ssid))
		return -1;
	has_addr = (a = scn_kv(st, "addr")) != NULL;
	if (a && !scn_parse_u64(a->value, &addr)) {
		/* a region: of the process whose PASID ssid= names, else of
		 * the first process that has it */
		const struct scn_arg *sa = scn_kv(st, "ssid");
		int p = -1;

		for (unsigned i = 0; sa && i < c->nprocs && p < 0; i++) {
			size_t n = strlen(c->procs[i].name);

			if (strncmp(sa->value, c->procs[i].name, n) == 0 &&
			    strcmp(sa->value + n, ".pasid") == 0)
				p = (int)i;
		}
		for (unsigned i = 0; i < c->nregions && p < 0; i++) {
			size_t n = strcspn(a->value, "+");

			if (strlen(c->regions[i].name) == n &&
			    strncmp(c->regions[i].name, a->value, n) == 0)
				p = (int)c->regions[i].proc;
		}
		if (scn_addr(c, p, a, &addr))
			return -1;
	}
	has_rnw = (a = scn_kv(st, "rnw")) != NULL;
	if (a && (scn_num(c, a, &rnw) || rnw > 1))
		return a && rnw > 1 ? scn_error(c, &a->vloc, "rnw is 0 or 1") :
				      -1;
	has_stall = (a = scn_kv(st, "stall")) != NULL;
	if (a && (scn_num(c, a, &stall) || stall > 1))
		return a && stall > 1 ?
			       scn_error(c, &a->vloc, "stall is 0 or 1") :
			       -1;
	has_count = (a = scn_kv(st, "count")) != NULL;
	if (a && scn_num(c, a, &count))
		return -1;
	c->res->expectations++;
	scn_host_poll(c);
	for (unsigned pass_ = 0; pass_ < 2; pass_++) {
		for (unsigned i = 0; i < c->nevents; i++) {
			struct scn_event *e = &c->events[i];
			const uint64_t *r = e->rec;

			if (e->used || fget(r, EVR_ID) != id)
				continue;
			if (!pass_)
				same_type++;
			if (has_sid && fget(r, EVR_SID) != sid)
				continue;
			if (has_ssid && (!fget(r, EVR_SSV) ||
					 fget(r, EVR_SSID) != ssid))
				continue;
			if (has_addr && fget(r, EVR_INPUT) != addr)
				continue;
			if (has_rnw && fget(r, EVR_RNW) != rnw)
				continue;
			if (has_stall && fget(r, EVR_STALL) != stall)
				continue;
			if (!pass_)
				matches++;
			else
				e->used = true;
		}
		if (!pass_ && (has_count ? matches != count : !matches))
			break;
	}
	if (has_count ? matches == count : matches > 0)
		return pass(c);
	/* say what there was instead */
	for (unsigned i = 0; i < c->nevents; i++) {
		const struct scn_event *e = &c->events[i];
		const uint64_t *r = e->rec;
		const char *n = scn_event_name((uint8_t)fget(r, EVR_ID));

		if (e->used)
			continue;
		if (has_count)
			return scn_fail(c, st, "%u matching record%s", matches,
					matches == 1 ? "" : "s");
		if (fget(r, EVR_ID) == id || !same_type)
			return scn_fail(c, st,
					"no match; first unmatched record: %s sid=0x%x ssid=%u%s addr=0x%llx rnw=%u stall=%u",
					n ? n : "?", (unsigned)fget(r, EVR_SID),
					(unsigned)fget(r, EVR_SSID),
					fget(r, EVR_SSV) ? "" : " (no ssv)",
					(unsigned long long)fget(r, EVR_INPUT),
					(unsigned)fget(r, EVR_RNW),
					(unsigned)fget(r, EVR_STALL));
	}
	if (has_count)
		return scn_fail(c, st, "%u matching records", matches);
	return scn_fail(c, st, "no event record left to match");
}

static int e_no_event(struct scn_ctx *c, const struct scn_stmt *st)
{
	if (scn_check_args(c, st, 1, 1, NULL, NULL))
		return -1;
	c->res->expectations++;
	scn_host_poll(c);
	for (unsigned i = 0; i < c->nevents; i++) {
		const uint64_t *r = c->events[i].rec;
		const char *n = scn_event_name((uint8_t)fget(r, EVR_ID));

		if (c->events[i].used)
			continue;
		return scn_fail(c, st,
				"got %s sid=0x%x ssid=%u addr=0x%llx at cycle %llu",
				n ? n : "?", (unsigned)fget(r, EVR_SID),
				(unsigned)fget(r, EVR_SSID),
				(unsigned long long)fget(r, EVR_INPUT),
				(unsigned long long)c->events[i].at);
	}
	if (c->evtq_stopped && c->k) {
		uint32_t prod, cons;

		kshim_model_lock();
		prod = hsmmu_read32(c->plat->drv, R_EVENTQ_PROD);
		cons = hsmmu_read32(c->plat->drv, R_EVENTQ_CONS);
		kshim_model_unlock();
		if ((prod ^ cons) & 0x000FFFFFu)
			return scn_fail(c, st,
					"records wait in the stopped event queue");
	}
	return pass(c);
}

/* --- pasid, mem, dma --- */

static int e_pasid(struct scn_ctx *c, const struct scn_stmt *st)
{
	enum op op;
	uint64_t n;
	int p;

	if (scn_check_args(c, st, 4, 4, NULL, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 1));
	if (p < 0 || parse_cmp(c, st, 2, &op, &n))
		return -1;
	c->res->expectations++;
	if (!c->procs[p].has_pasid)
		return scn_fail(c, st, "%s has no PASID (never bound)",
				c->procs[p].name);
	if (!compare(c->procs[p].pasid, op, n))
		return scn_fail(c, st, "actual %u", c->procs[p].pasid);
	return pass(c);
}

static int e_mem(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "size", NULL };
	struct scn_pattern pat;
	uint64_t va, size;
	uint8_t *buf;
	int p, ret;

	if (scn_check_args(c, st, 5, 5, keys, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 1));
	if (p < 0 || scn_addr(c, p, scn_pos(st, 2), &va))
		return -1;
	if (strcmp(scn_pos(st, 3)->value, "==") != 0)
		return scn_error(c, &scn_pos(st, 3)->vloc,
				 "expect mem: expected '==', not '%s'",
				 scn_pos(st, 3)->value);
	if (scn_pattern(c, scn_pos(st, 4), &pat))
		return -1;
	if (pat.kind == SCN_PAT_RANDOM)
		return scn_error(c, &scn_pos(st, 4)->vloc,
				 "expect mem: a random pattern cannot be checked");
	if (scn_req_num(c, st, "size", &size))
		return -1;
	if (!size || size > (16u << 20))
		return scn_error(c, &scn_kv(st, "size")->vloc,
				 "size must be 1..16M");
	c->res->expectations++;
	buf = malloc(size);
	if (!buf)
		abort();
	kshim_model_lock();
	ret = c->procs[p].exited ? -ESRCH :
	      hproc_read(kshim_task_hproc(c->procs[p].t), va, buf, size);
	kshim_model_unlock();
	if (ret) {
		free(buf);
		return scn_fail(c, st, "the CPU cannot read it: %s",
				scn_errno_name(-ret));
	}
	for (uint64_t i = 0; i < size; i++) {
		uint8_t want = pat.kind == SCN_PAT_INC ? (uint8_t)i : pat.byte;

		if (buf[i] != want) {
			unsigned got = buf[i];

			free(buf);
			return scn_fail(c, st, "byte %llu is 0x%02x",
					(unsigned long long)i, got);
		}
	}
	free(buf);
	return pass(c);
}

static int e_dma(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "ok", NULL };
	static const char *const flags[] = { "all-ok", "abort", "razwi", NULL };
	const struct scn_arg *na = scn_pos(st, 1);
	struct scn_dma *m = NULL;
	uint64_t n = 0;
	bool ok;
	const char *what;

	if (scn_check_args(c, st, 2, 2, keys, flags))
		return -1;
	na = scn_pos(st, 1);
	for (unsigned i = 0; i < c->ndmas; i++)
		if (strcmp(c->dmas[i]->name, na->value) == 0)
			m = c->dmas[i];
	if (!m)
		return scn_error(c, &na->vloc, "unknown DMA '%s'", na->value);
	if (scn_flag(st, "all-ok") + scn_flag(st, "abort") +
	    scn_flag(st, "razwi") + !!scn_kv(st, "ok") > 1)
		return scn_error(c, &st->loc, "expect dma: one outcome only");
	/* `ok` alone is a positional flag-like word */
	if (scn_kv(st, "ok")) {
		if (scn_num(c, scn_kv(st, "ok"), &n))
			return -1;
		what = "ok=";
	} else if (scn_flag(st, "all-ok")) {
		what = "all-ok";
	} else if (scn_flag(st, "abort")) {
		what = "abort";
	} else if (scn_flag(st, "razwi")) {
		what = "razwi";
	} else {
		return scn_error(c, &st->loc,
				 "expect dma: give all-ok, ok, abort, razwi or ok=N");
	}
	c->res->expectations++;
	if (strcmp(what, "all-ok") == 0)
		ok = m->ok == m->count;
	else if (strcmp(what, "abort") == 0)
		ok = m->failed == m->count;
	else if (strcmp(what, "razwi") == 0)
		ok = m->razwi == m->count;
	else
		ok = m->ok == n;
	if (ok)
		return pass(c);
	return scn_fail(c, st,
			"%u of %u completed: %u ok, %u aborted, %u razwi",
			m->done, m->count, m->ok, m->failed, m->razwi);
}

static int e_dma_ok(struct scn_ctx *c, const struct scn_stmt *st,
		    struct scn_dma *m)
{
	c->res->expectations++;
	if (m->ok)
		return pass(c);
	return scn_fail(c, st,
			"%u of %u completed: %u ok, %u aborted, %u razwi",
			m->done, m->count, m->ok, m->failed, m->razwi);
}

/* --- counters and latency --- */

static bool counter(struct scn_ctx *c, const char *name, uint64_t *out)
{
	struct smmu_stats s;
	struct iopf_stats is = { 0 };

	smmu_get_stats(c->plat->smmu, &s);
	if (c->iopf)
		iopf_get_stats(c->iopf, &is);
#define SC(n)                            \
	if (strcmp(name, #n) == 0) {     \
		*out = s.n;              \
		return true;             \
	}
	SC(txns) SC(txn_ok) SC(txn_abort) SC(txn_razwi) SC(tlb_hits)
	SC(tlb_misses) SC(walks) SC(cmds) SC(cmd_errors) SC(syncs) SC(events)
	SC(events_dropped) SC(events_merged) SC(stalls) SC(pri_requests)
	SC(pri_dropped) SC(pri_auto_responses) SC(atc_invs)
	SC(atc_inv_timeouts)
#undef SC
	if (strcmp(name, "iopf_faults") == 0) {
		*out = is.faults_ok + is.faults_failed;
		return true;
	}
	if (strcmp(name, "iopf_success") == 0) {
		*out = is.resp_success + is.resume_retry;
		return true;
	}
	if (strcmp(name, "iopf_invalid") == 0) {
		*out = is.resp_invalid + is.resp_failure + is.resume_abort;
		return true;
	}
	if (strcmp(name, "evtq_overflows") == 0) {
		*out = c->evtq_overflows;
		return true;
	}
	if (strcmp(name, "priq_overflows") == 0) {
		*out = c->priq_overflows;
		return true;
	}
	return false;
}

static int e_counter(struct scn_ctx *c, const struct scn_stmt *st)
{
	const struct scn_arg *na;
	uint64_t n, v;
	enum op op;

	if (scn_check_args(c, st, 4, 4, NULL, NULL))
		return -1;
	na = scn_pos(st, 1);
	if (!counter(c, na->value, &v))
		return scn_error(c, &na->vloc, "unknown counter '%s'",
				 na->value);
	if (parse_cmp(c, st, 2, &op, &n))
		return -1;
	c->res->expectations++;
	scn_host_poll(c);
	counter(c, na->value, &v);
	if (!compare(v, op, n))
		return scn_fail(c, st, "actual %llu", (unsigned long long)v);
	return pass(c);
}

static int e_latency(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const kinds[] = { "read", "write", "ats", "pri" };
	static const char *const stats[] = { "min", "max", "mean",
					     "p50", "p90", "p99" };
	const struct scn_arg *ka, *sa;
	struct scn_lat_stats ls;
	unsigned k, s;
	uint64_t n, v;
	enum op op;

	if (scn_check_args(c, st, 5, 5, NULL, NULL))
		return -1;
	ka = scn_pos(st, 1);
	sa = scn_pos(st, 2);
	for (k = 0; k < 4 && strcmp(kinds[k], ka->value); k++)
		;
	if (k == 4)
		return scn_error(c, &ka->vloc,
				 "unknown latency kind '%s' (read, write, ats, pri)",
				 ka->value);
	for (s = 0; s < 6 && strcmp(stats[s], sa->value); s++)
		;
	if (s == 6)
		return scn_error(c, &sa->vloc,
				 "unknown statistic '%s' (min, max, mean, p50, p90, p99)",
				 sa->value);
	if (parse_cmp(c, st, 3, &op, &n))
		return -1;
	c->res->expectations++;
	scn_latency(c->res, (enum scn_kind)k, &ls);
	if (!ls.n)
		return scn_fail(c, st, "no %s transactions", kinds[k]);
	switch (s) {
	case 0:
		v = ls.min;
		break;
	case 1:
		v = ls.max;
		break;
	case 2:
		v = (uint64_t)(ls.mean + 0.5);
		break;
	case 3:
		v = ls.p50;
		break;
	case 4:
		v = ls.p90;
		break;
	default:
		v = ls.p99;
		break;
	}
	if (!compare(v, op, n))
		return scn_fail(c, st, "actual %llu (over %u)",
				(unsigned long long)v, ls.n);
	return pass(c);
}

/* --- command errors, GERROR, bonds --- */

static int e_cmd_error(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const names[] = { "none", "CERROR_ILL", "CERROR_ABT",
					     "CERROR_ATC_INV_SYNC" };
	const struct scn_arg *a;
	unsigned want;

	if (scn_check_args(c, st, 2, 2, NULL, NULL))
		return -1;
	a = scn_pos(st, 1);
	for (want = 0; want < 4 && strcmp(names[want], a->value); want++)
		;
	if (want == 4)
		return scn_error(c, &a->vloc,
				 "unknown command error '%s' (none, CERROR_ILL, CERROR_ABT, CERROR_ATC_INV_SYNC)",
				 a->value);
	c->res->expectations++;
	scn_note_cmd_errors(c);
	if (c->last_cerror != want)
		return scn_fail(c, st, "actual %s",
				c->last_cerror < 4 ? names[c->last_cerror] :
						     "unknown");
	return pass(c);
}

static int e_gerror(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const struct {
		const char *n;
		unsigned bit;
	} bits[] = {
		{ "CMDQ_ERR", 0 },          { "EVENTQ_ABT_ERR", 2 },
		{ "PRIQ_ABT_ERR", 3 },      { "MSI_CMDQ_ABT_ERR", 4 },
		{ "MSI_EVENTQ_ABT_ERR", 5 }, { "MSI_PRIQ_ABT_ERR", 6 },
		{ "MSI_GERROR_ABT_ERR", 7 }, { "SFM_ERR", 8 },
	};
	const struct scn_arg *a;
	uint32_t active;
	unsigned i;
	char got[200] = "";

	if (scn_check_args(c, st, 2, 2, NULL, NULL))
		return -1;
	a = scn_pos(st, 1);
	for (i = 0; i < 8 && strcmp(bits[i].n, a->value); i++)
		;
	if (i == 8 && strcmp(a->value, "none") != 0)
		return scn_error(c, &a->vloc, "unknown GERROR bit '%s'",
				 a->value);
	c->res->expectations++;
	kshim_model_lock();
	active = hsmmu_read32(c->plat->drv, R_GERROR) ^
		 hsmmu_read32(c->plat->drv, R_GERRORN);
	kshim_model_unlock();
	active &= 0x1FDu;
	/* raised since the last `expect gerror` counts too: the host
	 * acknowledges CMDQ_ERR at once, as Linux does */
	active |= c->gerror_seen & 0x1FDu;
	c->gerror_seen = 0;
	if (i == 8 ? active == 0 : (active >> bits[i].bit) & 1)
		return pass(c);
	for (unsigned j = 0; j < 8; j++)
		if ((active >> bits[j].bit) & 1) {
			size_t n = strlen(got);

			snprintf(got + n, sizeof(got) - n, "%s%s", n ? " " : "",
				 bits[j].n);
		}
	return scn_fail(c, st, "raised: %s", got[0] ? got : "none");
}

static int e_bonds(struct scn_ctx *c, const struct scn_stmt *st)
{
	enum op op;
	uint64_t n;
	unsigned v;
	int di;

	if (scn_check_args(c, st, 4, 4, NULL, NULL))
		return -1;
	di = scn_find_dev(c, scn_pos(st, 1));
	if (di < 0 || parse_cmp(c, st, 2, &op, &n))
		return -1;
	if (!c->devs[di].kdev)
		return scn_error(c, &scn_pos(st, 1)->vloc,
				 "device %s is not an SVA device",
				 c->devs[di].name);
	c->res->expectations++;
	kshim_flush_work();
	kshim_model_lock();
	v = sva_dev_nr_bonds(kshim_device_sva(c->devs[di].kdev));
	kshim_model_unlock();
	if (!compare(v, op, n))
		return scn_fail(c, st, "actual %u", v);
	return pass(c);
}

int scn_do_expect(struct scn_ctx *c, const struct scn_stmt *st)
{
	const struct scn_arg *k = scn_pos(st, 0);
	const char *v;

	if (!k)
		return scn_error(c, &st->loc, "expect: missing what to expect");
	v = k->value;
	if (strcmp(v, "event") == 0)
		return e_event(c, st);
	if (strcmp(v, "no-event") == 0)
		return e_no_event(c, st);
	if (strcmp(v, "pasid") == 0)
		return e_pasid(c, st);
	if (strcmp(v, "mem") == 0)
		return e_mem(c, st);
	if (strcmp(v, "dma") == 0) {
		/* `expect dma NAME ok` (at least one) */
		const struct scn_arg *r = scn_pos(st, 2);

		if (st->nargs == 3 && r && strcmp(r->value, "ok") == 0) {
			for (unsigned i = 0; i < c->ndmas; i++)
				if (strcmp(c->dmas[i]->name,
					   scn_pos(st, 1)->value) == 0)
					return e_dma_ok(c, st, c->dmas[i]);
			return scn_error(c, &scn_pos(st, 1)->vloc,
					 "unknown DMA '%s'",
					 scn_pos(st, 1)->value);
		}
		return e_dma(c, st);
	}
	if (strcmp(v, "counter") == 0)
		return e_counter(c, st);
	if (strcmp(v, "latency") == 0)
		return e_latency(c, st);
	if (strcmp(v, "cmd-error") == 0)
		return e_cmd_error(c, st);
	if (strcmp(v, "gerror") == 0)
		return e_gerror(c, st);
	if (strcmp(v, "bonds") == 0)
		return e_bonds(c, st);
	return scn_error(c, &k->vloc,
			 "expect: unknown expectation '%s' (event, no-event, pasid, mem, dma, counter, latency, cmd-error, gerror, bonds)",
			 v);
}
