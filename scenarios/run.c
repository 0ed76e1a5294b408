/* SPDX-License-Identifier: MIT */
/*
 * The scenario runner (docs/scenarios.md): builds the machine through the
 * kernel-patch shim (kshim: platform, OS, SVA layer, I/O page-fault
 * handler; kvfio: the VFIO files and the patch's bind ioctls), runs the
 * statements in order on the engine's clock and records what happened.
 *
 * Time. Statements run between engine steps, never from inside an engine
 * callback: `at` statements and `on event` triggers are kept in a list
 * and run by the drive loop, which advances the engine to the next poll
 * point, the next `at` time or the next due page-fault response, then
 * lets the host consume its queues. So a statement never runs in the
 * middle of a driver call that is itself waiting on the engine.
 *
 * Devices are PCIe endpoints (include/smmusim/pcie_ep.h) whose port to
 * the SMMU is wrapped here, to see every SMMU response (ATS spans, and
 * the event or stall of each access).
 */
#define _GNU_SOURCE

#include "scn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/os.h"
#include "host/platform.h"
#include "host/smmu_drv.h"
#include "host/smmu_regs.h"
#include "kshim.h"
#include "kvfio.h"
#include "pasid/sva.h"
#include "pri/iopf.h"
#include "smmusim/pcie_ep.h"
#include "smmusim/smmu.h"
#include "vfio_bind_uapi.h"
#include "xcheck/xcheck.h"

#define PAGE UINT64_C(0x1000)
/* The host looks at its queues this often while the engine runs. */
#define POLL_CYCLES 16u
/* Nested statements (`on event` running `dma` running `at` ...) */
#define MAX_DEPTH 8u
/* A DMA or `run` waits at most this long for completion */
#define SCN_WAIT_LIMIT UINT64_C(2000000)
/* Where ET_DYN executables are loaded (below 2^47, as mmap hands out) */
#define SCN_ET_DYN_BASE UINT64_C(0x555555554000)

struct scn_wrap {
	smmu_txn_done_fn done;
	void *done_ctx;
	struct scn_dev *dev;
	struct scn_wrap *next;     /* in ctx->wraps (all) */
	struct scn_wrap *next_free;
	bool busy;
};

/* ------------------------------------------------------------------ */
/* messages                                                           */

static void vmsg(struct scn_ctx *c, const struct scn_loc *loc,
		 const char *prefix, const char *fmt, va_list ap)
{
	char *m = c->res->message;
	size_t len = sizeof(c->res->message);
	int n = snprintf(m, len, "%s:%u:%u: %s", loc->file ? loc->file : "?",
			 loc->line, loc->col, prefix ? prefix : "");

	if (n < 0 || (size_t)n >= len)
		return;
	vsnprintf(m + n, len - (size_t)n, fmt, ap);
}

int scn_error(struct scn_ctx *c, const struct scn_loc *loc, const char *fmt,
	      ...)
{
	va_list ap;

	c->res->error = true;
	c->res->pass = false;
	va_start(ap, fmt);
	vmsg(c, loc, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

void scn_stmt_text(const struct scn_stmt *st, char *buf, size_t len)
{
	size_t n = 0;
	int w;

	w = snprintf(buf, len, "%s", st->verb);
	n = w > 0 ? (size_t)w : 0;
	for (unsigned i = 0; i < st->nargs && n < len; i++) {
		const struct scn_arg *a = &st->args[i];
		bool q = strpbrk(a->value, " \t#\"") != NULL || !a->value[0];

		if (a->key)
			w = snprintf(buf + n, len - n, q ? " %s=\"%s\"" : " %s=%s",
				     a->key, a->value);
		else
			w = snprintf(buf + n, len - n, q ? " \"%s\"" : " %s",
				     a->value);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int scn_fail(struct scn_ctx *c, const struct scn_stmt *st, const char *fmt,
	     ...)
{
	char text[200], prefix[224];
	va_list ap;

	c->res->pass = false;
	scn_stmt_text(st, text, sizeof(text));
	snprintf(prefix, sizeof(prefix), "%s: ", text);
	va_start(ap, fmt);
	vmsg(c, &st->loc, prefix, fmt, ap);
	va_end(ap);
	return -1;
}

static void *grow(void *p, unsigned *cap, unsigned need, size_t size)
{
	if (need <= *cap)
		return p;
	unsigned ncap = *cap ? *cap * 2 : 16;

	while (ncap < need)
		ncap *= 2;
	p = realloc(p, (size_t)ncap * size);
	if (!p)
		abort();
	*cap = ncap;
	return p;
}

static uint64_t now(const struct scn_ctx *c)
{
	return c->plat ? sim_now(c->plat->sim) : 0;
}

void scn_mark(struct scn_ctx *c, const char *fmt, ...)
{
	struct scn_result *r = c->res;
	struct scn_mark *m;
	va_list ap;

	r->marks = grow(r->marks, &c->marks_cap, r->nmarks + 1,
			sizeof(*r->marks));
	m = &r->marks[r->nmarks++];
	memset(m, 0, sizeof(*m));
	m->at = now(c);
	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
	if (c->opts && c->opts->trace)
		fprintf(c->opts->trace, "# @%llu %s\n",
			(unsigned long long)m->at, m->what);
}

static struct scn_span *add_span(struct scn_ctx *c)
{
	struct scn_result *r = c->res;
	struct scn_span *s;

	r->spans = grow(r->spans, &c->spans_cap, r->nspans + 1,
			sizeof(*r->spans));
	s = &r->spans[r->nspans++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* ------------------------------------------------------------------ */
/* names                                                              */

/* Event names are the model's (smmu_event_name, §7.3). */
const char *scn_event_name(uint8_t id)
{
	return id ? smmu_event_name(id) : NULL;
}

bool scn_event_id(const char *s, uint8_t *out)
{
	uint64_t v;

	for (unsigned id = 1; id <= 0xFF; id++) {
		const char *n = smmu_event_name((uint8_t)id);

		if (n && strcmp(n, s) == 0) {
			*out = (uint8_t)id;
			return true;
		}
	}
	if (scn_parse_u64(s, &v) && v > 0 && v <= 0xFF) {
		*out = (uint8_t)v;
		return true;
	}
	return false;
}

static const struct {
	int e;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EBADF, "EBADF" },   { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
	{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
	{ ENOTTY, "ENOTTY" }, { EMFILE, "EMFILE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EIO, "EIO" },       { EOVERFLOW, "EOVERFLOW" },
	{ ERANGE, "ERANGE" }, { EAGAIN, "EAGAIN" }, { EDEADLK, "EDEADLK" },
	{ ENXIO, "ENXIO" },   { E2BIG, "E2BIG" },   { ETIMEDOUT, "ETIMEDOUT" },
};

const char *scn_errno_name(int e)
{
	static char buf[24];

	if (e == 0)
		return "success";
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]);
	     i++)
		if (errno_names[i].e == e)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static bool errno_of(const char *s, int *out)
{
	if (strcmp(s, "0") == 0 || strcasecmp(s, "ok") == 0 ||
	    strcmp(s, "success") == 0) {
		*out = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]);
	     i++)
		if (strcmp(errno_names[i].name, s) == 0) {
			*out = errno_names[i].e;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------ */
/* arguments                                                          */

const struct scn_arg *scn_kv(const struct scn_stmt *st, const char *key)
{
	for (unsigned i = 0; i < st->nargs; i++)
		if (st->args[i].key && strcmp(st->args[i].key, key) == 0)
			return &st->args[i];
	return NULL;
}

static bool in_list(const char *const *l, const char *w)
{
	for (; l && *l; l++)
		if (strcmp(*l, w) == 0)
			return true;
	return false;
}

/*
 * Positional arguments: the non-key words, in order, up to the
 * statement's maximum; once its minimum is reached, a word that is one of
 * its flags is a flag (so `map p lazy size=4K lazy` names a region
 * "lazy"). scn_check_args works this out and remembers it per statement
 * for scn_pos (a few statements may be in progress at once: `on event`).
 */
#define POS_CACHE 16
#define POS_MAX 8

static struct pos_entry {
	const struct scn_stmt *st;
	unsigned n;
	unsigned idx[POS_MAX];
} pos_cache[POS_CACHE];
static unsigned pos_next;

static struct pos_entry *pos_find(const struct scn_stmt *st)
{
	for (unsigned i = 0; i < POS_CACHE; i++)
		if (pos_cache[i].st == st)
			return &pos_cache[i];
	return NULL;
}

const struct scn_arg *scn_pos(const struct scn_stmt *st, unsigned i)
{
	struct pos_entry *e = pos_find(st);
	unsigned n = 0;

	if (e)
		return i < e->n ? &st->args[e->idx[i]] : NULL;
	/* not checked: every non-key word */
	for (unsigned j = 0; j < st->nargs; j++)
		if (!st->args[j].key && n++ == i)
			return &st->args[j];
	return NULL;
}

unsigned scn_npos(const struct scn_stmt *st)
{
	unsigned n = 0;

	while (scn_pos(st, n))
		n++;
	return n;
}

int scn_check_args(struct scn_ctx *c, const struct scn_stmt *st,
		   unsigned npos_min, unsigned npos_max,
		   const char *const *keys, const char *const *flags)
{
	struct pos_entry *e = pos_find(st);
	unsigned npos = 0;

	if (!e) {
		e = &pos_cache[pos_next++ % POS_CACHE];
		e->st = st;
	}
	e->n = 0;
	for (unsigned i = 0; i < st->nargs; i++) {
		const struct scn_arg *a = &st->args[i];

		if (a->key) {
			if (!in_list(keys, a->key))
				return scn_error(c, &a->loc,
						 "%s: unknown argument '%s'",
						 st->verb, a->key);
			for (unsigned j = 0; j < i; j++)
				if (st->args[j].key &&
				    strcmp(st->args[j].key, a->key) == 0)
					return scn_error(c, &a->loc,
							 "%s: '%s' given twice",
							 st->verb, a->key);
			continue;
		}
		if (npos >= npos_min && in_list(flags, a->value))
			continue;
		if (npos >= npos_max || npos >= POS_MAX)
			return scn_error(c, &a->loc,
					 "%s: unexpected argument '%s'",
					 st->verb, a->value);
		e->idx[npos++] = i;
		e->n = npos;
	}
	if (npos < npos_min)
		return scn_error(c, &st->loc, "%s: missing argument%s",
				 st->verb, npos_min - npos > 1 ? "s" : "");
	return 0;
}

static bool is_pos(const struct scn_stmt *st, unsigned i)
{
	const struct pos_entry *e = pos_find(st);

	for (unsigned j = 0; e && j < e->n; j++)
		if (e->idx[j] == i)
			return true;
	return false;
}

bool scn_flag(const struct scn_stmt *st, const char *flag)
{
	for (unsigned i = 0; i < st->nargs; i++)
		if (!st->args[i].key && strcmp(st->args[i].value, flag) == 0 &&
		    !is_pos(st, i))
			return true;
	return false;
}

int scn_num(struct scn_ctx *c, const struct scn_arg *a, uint64_t *out)
{
	if (!scn_parse_u64(a->value, out))
		return scn_error(c, &a->vloc, "bad number '%s'", a->value);
	return 0;
}

int scn_req_num(struct scn_ctx *c, const struct scn_stmt *st,
		const char *key, uint64_t *out)
{
	const struct scn_arg *a = scn_kv(st, key);

	if (!a)
		return scn_error(c, &st->loc, "%s: missing %s=", st->verb, key);
	return scn_num(c, a, out);
}

static int opt_num(struct scn_ctx *c, const struct scn_stmt *st,
		   const char *key, uint64_t def, uint64_t *out)
{
	const struct scn_arg *a = scn_kv(st, key);

	*out = def;
	return a ? scn_num(c, a, out) : 0;
}

int scn_find_dev(struct scn_ctx *c, const struct scn_arg *a)
{
	for (unsigned i = 0; i < c->ndevs; i++)
		if (strcmp(c->devs[i].name, a->value) == 0)
			return (int)i;
	return scn_error(c, &a->vloc, "unknown device '%s'", a->value);
}

int scn_find_proc(struct scn_ctx *c, const struct scn_arg *a)
{
	for (unsigned i = 0; i < c->nprocs; i++)
		if (strcmp(c->procs[i].name, a->value) == 0)
			return (int)i;
	return scn_error(c, &a->vloc, "unknown process '%s'", a->value);
}

static int find_cont(struct scn_ctx *c, const struct scn_arg *a)
{
	for (unsigned i = 0; i < c->nconts; i++)
		if (strcmp(c->conts[i].name, a->value) == 0)
			return (int)i;
	return scn_error(c, &a->vloc, "unknown container '%s'", a->value);
}

static struct scn_region *find_region(struct scn_ctx *c, unsigned proc,
				      const char *name, size_t len)
{
	/* the latest definition wins (a region may be mapped again) */
	for (unsigned i = c->nregions; i-- > 0;)
		if (c->regions[i].proc == proc &&
		    strlen(c->regions[i].name) == len &&
		    strncmp(c->regions[i].name, name, len) == 0)
			return &c->regions[i];
	return NULL;
}

int scn_addr(struct scn_ctx *c, int proc, const struct scn_arg *a,
	     uint64_t *out)
{
	const char *v = a->value, *plus;
	struct scn_region *r;
	uint64_t off = 0;
	size_t len;

	if (scn_parse_u64(v, out))
		return 0;
	if (proc < 0)
		return scn_error(c, &a->vloc, "bad address '%s'", v);
	/* Region names may contain '.', as in elf.0; '+' separates. */
	plus = strchr(v, '+');
	len = plus ? (size_t)(plus - v) : strlen(v);
	if (plus && !scn_parse_u64(plus + 1, &off))
		return scn_error(c, &a->vloc, "bad offset '%s'", plus + 1);
	r = find_region(c, (unsigned)proc, v, len);
	if (!r)
		return scn_error(c, &a->vloc,
				 "unknown region '%.*s' of process %s",
				 (int)len, v, c->procs[proc].name);
	*out = r->va + off;
	return 0;
}

int scn_pasid(struct scn_ctx *c, const struct scn_arg *a, uint32_t *out)
{
	const char *v = a->value;
	const char *dot = strrchr(v, '.');
	uint64_t n;

	if (scn_parse_u64(v, &n)) {
		if (n >= (1u << 20))
			return scn_error(c, &a->vloc,
					 "PASID %s is beyond 20 bits", v);
		*out = (uint32_t)n;
		return 0;
	}
	if (!dot || strcmp(dot, ".pasid") != 0)
		return scn_error(c, &a->vloc,
				 "bad PASID '%s' (a number or PROC.pasid)", v);
	for (unsigned i = 0; i < c->nprocs; i++) {
		struct scn_proc *p = &c->procs[i];

		if (strlen(p->name) != (size_t)(dot - v) ||
		    strncmp(p->name, v, (size_t)(dot - v)) != 0)
			continue;
		if (!p->has_pasid)
			return scn_error(c, &a->vloc,
					 "%s has no PASID: it was never bound",
					 p->name);
		*out = p->pasid;
		return 0;
	}
	return scn_error(c, &a->vloc, "unknown process '%.*s'",
			 (int)(dot - v), v);
}

int scn_pattern(struct scn_ctx *c, const struct scn_arg *a,
		struct scn_pattern *out)
{
	uint64_t b;

	if (strcmp(a->value, "inc") == 0) {
		out->kind = SCN_PAT_INC;
	} else if (strcmp(a->value, "random") == 0) {
		out->kind = SCN_PAT_RANDOM;
	} else if (scn_parse_u64(a->value, &b) && b <= 0xFF) {
		out->kind = SCN_PAT_BYTE;
		out->byte = (uint8_t)b;
	} else {
		return scn_error(c, &a->vloc,
				 "bad pattern '%s' (a byte, inc or random)",
				 a->value);
	}
	return 0;
}

int scn_prot(struct scn_ctx *c, const struct scn_arg *a, unsigned *out)
{
	static const struct {
		const char *n;
		unsigned p;
	} t[] = {
		{ "none", HPROT_NONE },
		{ "r", HPROT_READ },
		{ "rw", HPROT_READ | HPROT_WRITE },
		{ "rx", HPROT_READ | HPROT_EXEC },
		{ "rwx", HPROT_READ | HPROT_WRITE | HPROT_EXEC },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(a->value, t[i].n) == 0) {
			*out = t[i].p;
			return 0;
		}
	return scn_error(c, &a->vloc,
			 "bad protection '%s' (none, r, rw, rx, rwx)",
			 a->value);
}

static int check_name(struct scn_ctx *c, const struct scn_arg *a)
{
	size_t n = strlen(a->value);

	if (!n || n >= SCN_NAME_MAX)
		return scn_error(c, &a->vloc,
				 "name '%s' must have 1 to %d characters",
				 a->value, SCN_NAME_MAX - 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* events and the host's queues                                       */

static void on_event_consumed(struct scn_ctx *c, const uint64_t rec[4])
{
	uint8_t id = (uint8_t)fget(rec, EVR_ID);
	const char *name = scn_event_name(id);
	struct scn_event *e;

	c->events = grow(c->events, &c->events_cap, c->nevents + 1,
			 sizeof(*c->events));
	e = &c->events[c->nevents++];
	memcpy(e->rec, rec, sizeof(e->rec));
	e->at = now(c);
	e->used = false;
	if (name)
		scn_mark(c, "event %s sid=0x%x ssid=%u%s addr=0x%llx rnw=%u%s",
			 name, (unsigned)fget(rec, EVR_SID),
			 (unsigned)fget(rec, EVR_SSID),
			 fget(rec, EVR_SSV) ? "" : " (no ssv)",
			 (unsigned long long)fget(rec, EVR_INPUT),
			 (unsigned)fget(rec, EVR_RNW),
			 fget(rec, EVR_STALL) ? " stall=1" : "");
	else
		scn_mark(c, "event 0x%02x sid=0x%x", id,
			 (unsigned)fget(rec, EVR_SID));
	for (unsigned i = 0; i < c->npend; i++) {
		struct scn_pending *p = &c->pend[i];

		if (!p->done && p->st->on_event && p->event_id == id &&
		    p->at == UINT64_MAX) {
			/* fire now: run by the drive loop */
			p->at = now(c);
		}
	}
}

static void hold(struct scn_ctx *c, bool ppr, const uint64_t *rec)
{
	c->held = realloc(c->held, (c->nheld + 1) * sizeof(*c->held));
	if (!c->held)
		abort();
	memset(&c->held[c->nheld], 0, sizeof(c->held[0]));
	c->held[c->nheld].ppr = ppr;
	memcpy(c->held[c->nheld].rec, rec, (ppr ? 2 : 4) * sizeof(uint64_t));
	c->nheld++;
}

void scn_note_cmd_errors(struct scn_ctx *c)
{
	static const char *const names[] = { "none", "CERROR_ILL",
					     "CERROR_ABT",
					     "CERROR_ATC_INV_SYNC" };
	unsigned t;
	uint32_t e;

	if (!c->k)
		return;
	t = sva_iommu_atc_inv_timeouts(kshim_sva_iommu(c->k));
	e = hsmmu_cmd_error(c->plat->drv);
	if (t != c->atc_timeouts_seen) {
		c->atc_timeouts_seen = t;
		e = 3;
	}
	if (e && e != c->last_cerror) {
		c->last_cerror = e;
		scn_mark(c, "cmd-error %s", e < 4 ? names[e] : "unknown");
	} else if (e) {
		c->last_cerror = e;
	}
}

void scn_host_poll(struct scn_ctx *c)
{
	struct hsmmu *drv;
	uint64_t rec[4];

	if (!c->k)
		return;
	drv = c->plat->drv;
	kshim_model_lock();
	c->gerror_seen |= hsmmu_read32(drv, R_GERROR) ^
			  hsmmu_read32(drv, R_GERRORN);
	if (!c->evtq_stopped) {
		uint32_t prod = hsmmu_read32(drv, R_EVENTQ_PROD);
		uint32_t cons = hsmmu_read32(drv, R_EVENTQ_CONS);

		if ((prod ^ cons) & 0x80000000u)
			c->evtq_overflows++;
		while (hsmmu_pop_event(drv, rec)) {
			on_event_consumed(c, rec);
			if (!c->iopf || !fget(rec, EVR_STALL))
				continue;
			if (c->iopf_stopped)
				hold(c, false, rec);
			else
				iopf_handle_event(c->iopf, rec);
		}
	}
	if (c->iopf && !c->priq_stopped && hsmmu_priq_enabled(drv)) {
		bool ovf = hsmmu_priq_overflow(drv);

		while (hsmmu_pop_pri(drv, rec)) {
			if (c->iopf_stopped)
				hold(c, true, rec);
			else
				iopf_handle_ppr(c->iopf, rec);
		}
		if (ovf) {
			hsmmu_priq_ack_overflow(drv);
			c->priq_overflows++;
		}
	}
	if (c->iopf && !c->iopf_stopped) {
		for (unsigned i = 0; i < c->nheld; i++) {
			if (c->held[i].ppr)
				iopf_handle_ppr(c->iopf, c->held[i].rec);
			else
				iopf_handle_event(c->iopf, c->held[i].rec);
		}
		c->nheld = 0;
		iopf_send_due(c->iopf);
	}
	kshim_model_unlock();
	scn_note_cmd_errors(c);
}

/* ------------------------------------------------------------------ */
/* the endpoint port: every SMMU response passes here                 */

static const char *resp_name(int r)
{
	static const char *const n[] = { "ok", "abort", "razwi", "ur", "ca" };

	return r >= 0 && r < 5 ? n[r] : "?";
}

static void wrap_done(void *ctx, const struct smmu_txn *t,
		      const struct smmu_txn_result *r)
{
	struct scn_wrap *w = ctx;
	struct scn_dev *d = w->dev;
	struct scn_ctx *c = d->ctx;
	smmu_txn_done_fn done = w->done;
	void *done_ctx = w->done_ctx;

	if (c->tearing) {
		/* a stalled transaction ended by the teardown: its
		 * endpoint is gone */
		w->busy = false;
		w->next_free = c->free_wraps;
		c->free_wraps = w;
		return;
	}

	if (t->kind != SMMU_TXN_TRANSLATED && (r->event_id || r->stalled)) {
		struct scn_recent *e = &d->recent[d->nrecent++ % SCN_RECENT];

		e->page = t->addr >> 12;
		e->ssv = t->ssv;
		e->ssid = t->ssid;
		e->stalled = r->stalled;
		e->write = t->write;
		e->event_id = r->event_id;
	}
	if (t->kind == SMMU_TXN_ATS_TREQ) {
		struct scn_span *s = add_span(c);

		s->start = r->submitted_at;
		s->end = r->completed_at;
		s->kind = SCN_KIND_ATS;
		s->sid = t->sid;
		s->ssid = t->ssid;
		s->ssv = t->ssv;
		s->addr = t->addr;
		s->oa = r->oa;
		s->resp = (int)r->resp;
		s->event_id = r->event_id;
		snprintf(s->track, sizeof(s->track), "%s", d->name);
		if (c->opts && c->opts->trace)
			fprintf(c->opts->trace,
				"# @%llu ats dev=%s sid=0x%x ssid=%u addr=0x%llx resp=%s oa=0x%llx lat=%llu\n",
				(unsigned long long)s->end, d->name, t->sid,
				t->ssv ? t->ssid : 0,
				(unsigned long long)t->addr, resp_name(s->resp),
				(unsigned long long)r->oa,
				(unsigned long long)(s->end - s->start));
	}
	w->busy = false;
	w->next_free = c->free_wraps;
	c->free_wraps = w;
	done(done_ctx, t, r);
}

static bool port_submit(void *ctx, const struct smmu_txn *txn,
			smmu_txn_done_fn done, void *done_ctx)
{
	struct scn_dev *d = ctx;
	struct scn_ctx *c = d->ctx;
	struct scn_wrap *w = c->free_wraps;

	if (w) {
		c->free_wraps = w->next_free;
	} else {
		w = calloc(1, sizeof(*w));
		if (!w)
			return false;
		w->next = c->wraps;
		c->wraps = w;
	}
	w->done = done;
	w->done_ctx = done_ctx;
	w->dev = d;
	w->busy = true;
	if (!smmu_submit(c->plat->smmu, txn, wrap_done, w)) {
		w->busy = false;
		w->next_free = c->free_wraps;
		c->free_wraps = w;
		return false;
	}
	return true;
}

static void port_page_request(void *ctx, const struct smmu_page_request *pr)
{
	struct scn_dev *d = ctx;

	smmu_pri_request(d->ctx->plat->smmu, pr);
}

static void port_inv_done(void *ctx, uint64_t tag)
{
	struct scn_dev *d = ctx;

	smmu_atc_inv_done(d->ctx->plat->smmu, tag);
}

static void port_detach(void *ctx, uint32_t sid)
{
	struct scn_dev *d = ctx;

	smmu_detach_endpoint(d->ctx->plat->smmu, sid);
}

/* ------------------------------------------------------------------ */
/* DMA                                                                */

static const char *ep_status_name(enum pcie_ep_status s)
{
	static const char *const n[] = {
		"ok", "razwi", "abort", "mem-abort", "ats-ur", "ats-ca",
		"no-access", "pri-invalid", "pri-failure", "no-credit",
		"pasid-stopped", "submit-failed",
	};

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static int dma_issue(struct scn_dma *m);

static void dma_done(void *ctx, const struct pcie_ep_access *a,
		     const struct pcie_ep_result *r)
{
	struct scn_dma *m = ctx;
	struct scn_ctx *c = m->ctx;
	struct scn_dev *d = &c->devs[m->dev];
	struct scn_span *s;
	uint8_t ev = 0;
	bool stalled = false;

	/* the latest SMMU response with an event for this access's page */
	for (unsigned i = 0; i < SCN_RECENT && i < d->nrecent; i++) {
		struct scn_recent *e =
			&d->recent[(d->nrecent - 1 - i) % SCN_RECENT];

		if (e->page == a->addr >> 12 && e->ssv == a->pasid_valid &&
		    (!e->ssv || e->ssid == a->pasid) && e->page != UINT64_MAX) {
			ev = e->event_id;
			stalled = e->stalled;
			e->page = UINT64_MAX;
			break;
		}
	}
	s = add_span(c);
	s->start = r->issued_at;
	s->end = r->completed_at;
	s->kind = (r->prgs || stalled) ? SCN_KIND_PRI :
		  a->write ? SCN_KIND_DMA_WRITE : SCN_KIND_DMA_READ;
	s->sid = d->sid;
	s->ssv = a->pasid_valid;
	s->ssid = a->pasid_valid ? a->pasid : 0;
	s->addr = a->addr;
	s->oa = r->oa;
	s->resp = r->status == PCIE_EP_OK ? SMMU_RESP_OK :
		  r->status == PCIE_EP_RAZWI ? SMMU_RESP_RAZWI :
		  r->smmu_resp == SMMU_RESP_OK ? SMMU_RESP_ABORT :
						 (int)r->smmu_resp;
	s->event_id = ev;
	snprintf(s->track, sizeof(s->track), "%s", d->name);
	if (c->opts && c->opts->trace)
		fprintf(c->opts->trace,
			"# @%llu txn dev=%s sid=0x%x ssid=%u addr=0x%llx %s size=%u resp=%s oa=0x%llx lat=%llu%s\n",
			(unsigned long long)r->completed_at, d->name, d->sid,
			s->ssid, (unsigned long long)a->addr,
			a->write ? "write" : "read", a->len,
			ep_status_name(r->status), (unsigned long long)r->oa,
			(unsigned long long)r->latency,
			r->prgs ? " pri" : stalled ? " stall" : "");
	m->done++;
	if (r->status == PCIE_EP_OK)
		m->ok++;
	else if (r->status == PCIE_EP_RAZWI)
		m->razwi++;
	else
		m->failed++;
	if (m->issued < m->count)
		dma_issue(m);
}

static uint8_t pattern_byte(struct scn_dma *m, uint64_t i)
{
	switch (m->pat.kind) {
	case SCN_PAT_INC:
		return (uint8_t)i;
	case SCN_PAT_RANDOM:
		return (uint8_t)sim_prng_next(&m->prng);
	default:
		return m->pat.byte;
	}
}

static int dma_issue(struct scn_dma *m)
{
	struct scn_ctx *c = m->ctx;
	struct scn_dev *d = &c->devs[m->dev];
	uint8_t buf[4096];
	uint64_t addr = m->addr + (uint64_t)m->issued * m->stride;
	uint32_t len = m->size;
	struct pcie_ep_access a = { 0 };

	if (len > PAGE - (addr & (PAGE - 1)))
		len = (uint32_t)(PAGE - (addr & (PAGE - 1)));
	for (uint32_t j = 0; m->write && j < len; j++)
		buf[j] = pattern_byte(m, (uint64_t)m->issued * m->size + j);
	a.addr = addr;
	a.len = len;
	a.write = m->write;
	a.pasid_valid = m->pasid_valid;
	a.pasid = m->pasid;
	a.wdata = m->write ? buf : NULL;
	a.tag = m->issued;
	m->issued++;
	if (pcie_ep_dma(d->ep, now(c), &a, dma_done, m)) {
		m->done++;
		m->failed++;
		return -1;
	}
	return 0;
}

static bool dma_complete(const struct scn_dma *m)
{
	return m->done >= m->count;
}

/* ------------------------------------------------------------------ */
/* the drive loop                                                     */

static int exec_stmt(struct scn_ctx *c, const struct scn_stmt *st);

/* Run scheduled statements that are due. -1 if one failed. */
static int run_due(struct scn_ctx *c)
{
	if (c->depth >= MAX_DEPTH)
		return 0;
	for (;;) {
		struct scn_pending *best = NULL;
		uint64_t t = now(c);

		for (unsigned i = 0; i < c->npend; i++) {
			struct scn_pending *p = &c->pend[i];

			if (p->done || p->at > t)
				continue;
			if (!best || p->at < best->at ||
			    (p->at == best->at && p->seq < best->seq))
				best = p;
		}
		if (!best)
			return 0;
		best->done = true;
		c->depth++;
		int ret = exec_stmt(c, best->st);

		c->depth--;
		if (ret)
			return ret;
	}
}

static uint64_t next_at(const struct scn_ctx *c)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < c->npend; i++)
		if (!c->pend[i].done && c->pend[i].at < t)
			t = c->pend[i].at;
	return t;
}

enum drive_goal { GOAL_DMA, GOAL_IDLE, GOAL_TIME };

static bool all_dma_complete(const struct scn_ctx *c)
{
	for (unsigned i = 0; i < c->ndmas; i++)
		if (!dma_complete(c->dmas[i]))
			return false;
	return true;
}

/*
 * Advance the engine, with the host polling, until the goal: a DMA has
 * completed, everything is idle, or time `until`. Stops early when
 * nothing can make progress any more (a stalled transaction nobody will
 * resume). -1 if a scheduled statement failed.
 */
static int drive(struct scn_ctx *c, enum drive_goal goal,
		 const struct scn_dma *m, uint64_t until)
{
	struct sim *sim = c->plat->sim;
	uint64_t give_up = sim_now(sim) + SCN_WAIT_LIMIT;

	for (;;) {
		uint64_t t, next, due;
		unsigned before = c->nevents;

		if (run_due(c))
			return -1;
		scn_host_poll(c);
		if (run_due(c))
			return -1;
		t = sim_now(sim);
		if (goal == GOAL_DMA && dma_complete(m))
			return 0;
		if (goal == GOAL_TIME && t >= until)
			return 0;
		if (goal != GOAL_TIME && t >= give_up) {
			/* a fault that repeats forever (a stall retried
			 * into the same fault): stop waiting */
			scn_mark(c, "gave up waiting after %llu cycles",
				 (unsigned long long)SCN_WAIT_LIMIT);
			return 0;
		}
		if (goal == GOAL_IDLE && sim_queued(sim) == 0 &&
		    all_dma_complete(c) &&
		    (!c->iopf || iopf_next_due(c->iopf) == UINT64_MAX) &&
		    c->nevents == before)
			return 0;
		next = t + POLL_CYCLES;
		due = next_at(c);
		if (due < next)
			next = due > t ? due : t + 1;
		if (c->iopf && !c->iopf_stopped) {
			due = iopf_next_due(c->iopf);
			if (due < next)
				next = due > t ? due : t + 1;
		}
		if (goal == GOAL_TIME && next > until)
			next = until;
		if (sim_queued(sim) == 0 && c->nevents == before &&
		    (!c->iopf || c->iopf_stopped ||
		     iopf_next_due(c->iopf) == UINT64_MAX)) {
			/* Nothing will happen by itself: jump to the next
			 * scheduled statement or the goal time, or stop. */
			due = next_at(c);
			if (goal == GOAL_TIME)
				next = due < until ? due : until;
			else if (due != UINT64_MAX)
				next = due;
			else
				return 0;
		}
		kshim_model_lock();
		sim_run_until(sim, next);
		kshim_model_unlock();
	}
}

/* ------------------------------------------------------------------ */
/* the machine                                                        */

static int build(struct scn_ctx *c, const struct scn_stmt *st)
{
	struct kshim_config cfg = { 0 };
	char err[200];

	if (c->built)
		return 0;
	if (!smmu_impl_validate(c->impl, err, sizeof(err)))
		return scn_error(c, &st->loc, "smmu: %s", err);
	cfg.impl = c->impl;
	cfg.seed = c->seed;
	cfg.sid_bits = 16;
	if (c->opts && c->opts->trace) {
		fprintf(c->opts->trace, "# seed: %llu\n",
			(unsigned long long)c->seed);
		if (c->impl->name[0])
			fprintf(c->opts->trace, "# preset: %s\n",
				c->impl->name);
		/* the smmu statement's settings, for smmusim replay */
		if (c->smmu_st && c->smmu_st->nargs > 0) {
			fputs("# impl:", c->opts->trace);
			for (unsigned i = 0; i < c->smmu_st->nargs; i++) {
				const struct scn_arg *a = &c->smmu_st->args[i];

				if (strcmp(a->key, "preset"))
					fprintf(c->opts->trace, " %s=%s",
						a->key, a->value);
			}
			fputc('\n', c->opts->trace);
		}
		cfg.trace = c->opts->trace;
		cfg.trace_flags = SMMU_TRACE_NO_HEADER |
				  (c->opts->trace_mem ? SMMU_TRACE_MEM : 0);
	}
	c->k = kshim_create(&cfg);
	if (!c->k)
		return scn_error(c, &st->loc,
				 "cannot build the machine (see stderr)");
	c->built = true;
	kvfio_init(c->k);
	c->plat = kshim_platform(c->k);
	c->iopf = kshim_iopf(c->k);
	/* the run-time invariant checks: every TLBI + CMD_SYNC verified */
	smmu_set_checks(c->plat->smmu, true);
	return 0;
}

/*
 * Every run ends with the invariant checks (docs/robustness.md): the
 * model's (queues, stalls answered once, TLBIs done), the endpoints' (no
 * ATC entry survives an invalidation it completed) and the SVA layer's
 * (distinct PASIDs; valid CDs exactly for bound PASIDs, unless a fault
 * corrupted software's structures on purpose). A violation is a run
 * error: whatever a scenario does, they must hold.
 */
static void check_invariants(struct scn_ctx *c)
{
	struct sva_iommu *io = kshim_sva_iommu(c->k);
	char err[256];
	bool ok;

	kshim_model_lock();
	ok = smmu_check_invariants(c->plat->smmu, err, sizeof(err)) &&
	     (!io || (sva_system_check(sva_iommu_system(io), err,
				       sizeof(err)) &&
		      (c->corrupted ||
		       sva_iommu_check(io, err, sizeof(err)))));
	for (unsigned i = 0; ok && i < c->ndevs; i++)
		if (c->devs[i].ep)
			ok = pcie_ep_check_invariants(c->devs[i].ep, err,
						      sizeof(err));
	kshim_model_unlock();
	if (!ok) {
		c->res->error = true;
		c->res->pass = false;
		snprintf(c->res->message, sizeof(c->res->message),
			 "invariant: %.400s", err);
	}
}

/* The machine's memory and registers as they are at the end of the run
 * (docs/cross-checking.md): what inspect and translate read. */
static void export_image(struct scn_ctx *c, const struct scn_run_opts *o)
{
	char err[512];
	bool ok;

	if (!c->built) {
		c->res->error = true;
		c->res->pass = false;
		snprintf(c->res->message, sizeof(c->res->message),
			 "export: the scenario built no machine");
		return;
	}
	kshim_model_lock();
	ok = xc_export(c->plat->smmu, c->plat->mem, o->export_core,
		       o->export_regs, err, sizeof(err));
	kshim_model_unlock();
	if (!ok) {
		c->res->error = true;
		c->res->pass = false;
		snprintf(c->res->message, sizeof(c->res->message),
			 "export: %.400s", err);
	}
}

static void teardown(struct scn_ctx *c)
{
	if (!c->k)
		return;
	scn_faults_cleanup(c);
	kshim_set_current(NULL);
	kvfio_reset();
	kshim_model_lock();
	/* endpoints go before the SMMU; responses to what is still stalled
	 * are dropped */
	sim_run_until(c->plat->sim, sim_now(c->plat->sim));
	c->tearing = true;
	for (unsigned i = 0; i < c->ndevs; i++)
		if (c->devs[i].ep)
			pcie_ep_destroy(c->devs[i].ep);
	kshim_model_unlock();
	for (unsigned i = 0; i < c->nprocs; i++)
		if (c->procs[i].t)
			put_task_struct(c->procs[i].t);
	kshim_destroy(c->k);
	c->k = NULL;
}

/* ------------------------------------------------------------------ */
/* statements: system                                                 */

static int st_seed(struct scn_ctx *c, const struct scn_stmt *st)
{
	uint64_t v;

	if (scn_check_args(c, st, 1, 1, NULL, NULL))
		return -1;
	if (scn_num(c, scn_pos(st, 0), &v))
		return -1;
	if (c->built)
		return scn_error(c, &st->loc,
				 "seed must come before the system is built");
	if (!c->opts || !c->opts->seed_set)
		c->seed = v;
	return 0;
}

static int st_smmu(struct scn_ctx *c, const struct scn_stmt *st)
{
	char err[200];

	if (c->built)
		return scn_error(c, &st->loc,
				 "smmu must come before device, process and container");
	if (c->smmu_seen)
		return scn_error(c, &st->loc, "smmu given twice");
	c->smmu_seen = true;
	c->smmu_st = st;
	for (unsigned i = 0; i < st->nargs; i++) {
		const struct scn_arg *a = &st->args[i];

		if (!a->key)
			return scn_error(c, &a->loc,
					 "smmu: unexpected argument '%s' (KEY=VALUE)",
					 a->value);
		if (strcmp(a->key, "preset") == 0) {
			if (i != 0)
				return scn_error(c, &a->loc,
						 "smmu: preset= must come first");
			if (!smmu_impl_preset(a->value, c->impl))
				return scn_error(c, &a->vloc,
						 "smmu: unknown preset '%s'",
						 a->value);
			continue;
		}
		if (!smmu_impl_set(c->impl, a->key, a->value, err,
				   sizeof(err)))
			return scn_error(c, &a->loc, "smmu: %s", err);
	}
	return 0;
}

static int st_device(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "sid", "pasid-bits", "atc", "mode",
					    NULL };
	static const char *const flags[] = { "ats", "pri", "stall", NULL };
	struct scn_dev d = { 0 };
	struct pcie_ep_config ec = { 0 };
	struct pcie_ep_port port;
	struct smmu_endpoint_ops eops;
	const struct scn_arg *a;
	uint64_t v;

	if (scn_check_args(c, st, 1, 1, keys, flags))
		return -1;
	a = scn_pos(st, 0);
	if (check_name(c, a))
		return -1;
	for (unsigned i = 0; i < c->ndevs; i++)
		if (strcmp(c->devs[i].name, a->value) == 0)
			return scn_error(c, &a->vloc,
					 "device '%s' already declared",
					 a->value);
	snprintf(d.name, sizeof(d.name), "%s", a->value);
	if (scn_req_num(c, st, "sid", &v))
		return -1;
	if (v > UINT32_MAX)
		return scn_error(c, &scn_kv(st, "sid")->vloc,
				 "sid %s is beyond 32 bits",
				 scn_kv(st, "sid")->value);
	d.sid = (uint32_t)v;
	for (unsigned i = 0; i < c->ndevs; i++)
		if (c->devs[i].sid == d.sid)
			return scn_error(c, &scn_kv(st, "sid")->vloc,
					 "sid 0x%x is already device %s's",
					 d.sid, c->devs[i].name);
	if (opt_num(c, st, "pasid-bits", 20, &v))
		return -1;
	if (v < 1 || v > 20)
		return scn_error(c, &scn_kv(st, "pasid-bits")->vloc,
				 "pasid-bits must be 1..20");
	d.pasid_bits = (unsigned)v;
	if (opt_num(c, st, "atc", 16, &v))
		return -1;
	if (v > 4096)
		return scn_error(c, &scn_kv(st, "atc")->vloc,
				 "atc must be at most 4096");
	d.atc = (unsigned)v;
	d.ats = scn_flag(st, "ats");
	d.pri = scn_flag(st, "pri");
	d.stall = scn_flag(st, "stall");
	/* PCIe PRI works only with ATS: pri implies it */
	if (d.pri)
		d.ats = true;
	d.mode = SCN_MODE_SVA;
	a = scn_kv(st, "mode");
	if (a) {
		if (strcmp(a->value, "sva") == 0)
			d.mode = SCN_MODE_SVA;
		else if (strcmp(a->value, "bypass") == 0)
			d.mode = SCN_MODE_BYPASS;
		else if (strcmp(a->value, "abort") == 0)
			d.mode = SCN_MODE_ABORT;
		else if (strcmp(a->value, "invalid") == 0)
			d.mode = SCN_MODE_INVALID;
		else
			return scn_error(c, &a->vloc,
					 "bad mode '%s' (sva, bypass, abort, invalid)",
					 a->value);
	}
	if (build(c, st))
		return -1;
	d.group = -1;
	d.gfd = -1;
	d.container = -1;
	d.ctx = c;
	/* endpoints keep pointers to their entry: the array never moves */
	if (c->ndevs >= SCN_MAX_DEVS)
		return scn_error(c, &st->loc, "at most %d devices",
				 SCN_MAX_DEVS);
	if (!c->devs) {
		c->devs = calloc(SCN_MAX_DEVS, sizeof(*c->devs));
		if (!c->devs)
			abort();
	}
	c->devs[c->ndevs] = d;
	struct scn_dev *dp = &c->devs[c->ndevs];

	if (d.mode == SCN_MODE_SVA) {
		struct sva_dev_params p = {
			.sid = d.sid, .pasid_bits = d.pasid_bits,
			.flags = (d.stall ? SVA_DEV_STALL : 0) |
				 (d.pri ? SVA_DEV_PRI : 0) |
				 (d.ats ? SVA_DEV_ATS : 0),
		};

		dp->kdev = kshim_add_device(c->k, &p, NULL);
		if (!dp->kdev)
			return scn_error(c, &st->loc,
					 "device %s: the SVA layer refused it (sid 0x%x)",
					 d.name, d.sid);
		dp->group = kshim_group_id(kshim_device_group(dp->kdev));
	} else if (d.mode == SCN_MODE_INVALID) {
		/* an STE of zeros (V=0) where the stream table has room */
		kshim_model_lock();
		hsmmu_ste_pa(c->plat->drv, d.sid);
		kshim_model_unlock();
	} else {
		uint64_t ste[8];
		int ret;

		if (d.mode == SCN_MODE_BYPASS)
			hsmmu_ste_bypass(ste);
		else
			hsmmu_ste_abort(ste);
		kshim_model_lock();
		ret = hsmmu_write_ste(c->plat->drv, d.sid, ste);
		kshim_model_unlock();
		if (ret)
			return scn_error(c, &st->loc,
					 "device %s: cannot write its STE (sid 0x%x): %s",
					 d.name, d.sid, scn_errno_name(-ret));
	}
	ec.sid = d.sid;
	ec.max_outstanding = 64;
	ec.ats = d.ats;
	ec.atc_entries = d.ats ? d.atc : 0;
	ec.inv_delay = 50;
	ec.pri = d.pri;
	ec.pri_capacity = 32;
	ec.prg_pages = 1;
	port = (struct pcie_ep_port){ .submit = port_submit,
				      .page_request = port_page_request,
				      .inv_done = port_inv_done,
				      .detach = port_detach,
				      .ctx = dp };
	kshim_model_lock();
	dp->ep = pcie_ep_create(c->plat->sim, c->plat->mem, &ec, &port);
	if (dp->ep) {
		pcie_ep_endpoint_ops(dp->ep, &eops);
		if (!smmu_attach_endpoint(c->plat->smmu, d.sid, 1, &eops)) {
			pcie_ep_set_port(dp->ep, &(struct pcie_ep_port){
				.submit = port_submit,
				.page_request = port_page_request,
				.inv_done = port_inv_done, .ctx = dp });
		}
		if (d.pri) {
			pcie_ep_pri_set_alloc(dp->ep, 32);
			pcie_ep_pri_enable(dp->ep, true);
		}
		/* ATS is used by `dma ... ats` only (ATS Enable toggled) */
		if (d.ats)
			pcie_ep_ats_enable(dp->ep, false);
	}
	kshim_model_unlock();
	if (!dp->ep)
		return scn_error(c, &st->loc, "device %s: bad endpoint", d.name);
	c->ndevs++;
	return 0;
}

static int st_process(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "uid", NULL };
	const struct scn_arg *a;
	struct scn_proc p = { 0 };
	uint64_t uid;

	if (scn_check_args(c, st, 1, 1, keys, NULL))
		return -1;
	a = scn_pos(st, 0);
	if (check_name(c, a))
		return -1;
	for (unsigned i = 0; i < c->nprocs; i++)
		if (strcmp(c->procs[i].name, a->value) == 0)
			return scn_error(c, &a->vloc,
					 "process '%s' already declared",
					 a->value);
	if (opt_num(c, st, "uid", 1000, &uid))
		return -1;
	if (uid > UINT32_MAX)
		return scn_error(c, &scn_kv(st, "uid")->vloc, "bad uid");
	if (build(c, st))
		return -1;
	snprintf(p.name, sizeof(p.name), "%s", a->value);
	p.uid = (uint32_t)uid;
	p.t = kshim_spawn(c->k, p.uid);
	if (!p.t)
		return scn_error(c, &st->loc, "process %s: out of PIDs",
				 p.name);
	c->procs = realloc(c->procs, (c->nprocs + 1) * sizeof(*c->procs));
	if (!c->procs)
		abort();
	c->procs[c->nprocs++] = p;
	return 0;
}

static void add_region(struct scn_ctx *c, unsigned proc, const char *name,
		       uint64_t va, uint64_t size)
{
	struct scn_region *r;

	c->regions = realloc(c->regions,
			     (c->nregions + 1) * sizeof(*c->regions));
	if (!c->regions)
		abort();
	r = &c->regions[c->nregions++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->proc = proc;
	r->va = va;
	r->size = size;
}

static struct hproc *proc_h(struct scn_ctx *c, unsigned i)
{
	return kshim_task_hproc(c->procs[i].t);
}

static int st_map(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "size", "prot", "fill", NULL };
	static const char *const flags[] = { "shared", "lazy", NULL };
	uint64_t size, fill, va = 0;
	unsigned prot = HPROT_READ | HPROT_WRITE;
	const struct scn_arg *a;
	int p, ret;

	if (scn_check_args(c, st, 2, 2, keys, flags))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 0));
	if (p < 0)
		return -1;
	a = scn_pos(st, 1);
	if (strlen(a->value) >= sizeof(c->regions[0].name) ||
	    strchr(a->value, '+'))
		return scn_error(c, &a->vloc, "bad region name '%s'",
				 a->value);
	if (scn_req_num(c, st, "size", &size))
		return -1;
	if (!size)
		return scn_error(c, &scn_kv(st, "size")->vloc,
				 "size must not be 0");
	if (opt_num(c, st, "fill", 0, &fill))
		return -1;
	if (fill > 0xFF)
		return scn_error(c, &scn_kv(st, "fill")->vloc,
				 "fill must be a byte");
	if (scn_kv(st, "prot") && scn_prot(c, scn_kv(st, "prot"), &prot))
		return -1;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	kshim_model_lock();
	ret = hos_mmap(proc_h(c, (unsigned)p), 0, size,
		       HPROT_READ | HPROT_WRITE,
		       HMAP_ANONYMOUS |
			       (scn_flag(st, "shared") ? HMAP_SHARED : 0),
		       &va);
	if (!ret && !scn_flag(st, "lazy")) {
		uint8_t buf[4096];

		memset(buf, (int)fill, sizeof(buf));
		for (uint64_t o = 0; o < size && !ret; o += PAGE)
			ret = hproc_write(proc_h(c, (unsigned)p), va + o, buf,
					  PAGE);
	}
	if (!ret && prot != (HPROT_READ | HPROT_WRITE))
		ret = hos_mprotect(proc_h(c, (unsigned)p), va, size, prot);
	kshim_model_unlock();
	if (ret)
		return scn_fail(c, st, "mmap failed: %s", scn_errno_name(-ret));
	add_region(c, (unsigned)p, a->value, va, size);
	return 0;
}

static unsigned elf_prot(uint32_t f)
{
	unsigned p = 0;

	if (f & PF_R)
		p |= HPROT_READ;
	if (f & PF_W)
		p |= HPROT_WRITE | HPROT_READ;
	if (f & PF_X)
		p |= HPROT_EXEC | HPROT_READ;
	return p;
}

static int st_load(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "as", NULL };
	const struct scn_arg *pa, *asa;
	char path[1024], rname[48];
	const char *as = "elf";
	size_t nph = 0;
	Elf *e = NULL;
	int p, fd, ret = 0;
	unsigned seg = 0;

	if (scn_check_args(c, st, 2, 2, keys, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 0));
	if (p < 0)
		return -1;
	pa = scn_pos(st, 1);
	asa = scn_kv(st, "as");
	if (asa) {
		if (!asa->value[0] || strlen(asa->value) > 32)
			return scn_error(c, &asa->vloc, "bad name '%s'",
					 asa->value);
		as = asa->value;
	}
	/* relative to the scenario file's directory */
	if (pa->value[0] == '/' || !strchr(c->s->file, '/')) {
		snprintf(path, sizeof(path), "%s", pa->value);
	} else {
		const char *slash = strrchr(c->s->file, '/');

		snprintf(path, sizeof(path), "%.*s/%s",
			 (int)(slash - c->s->file), c->s->file, pa->value);
	}
	if (elf_version(EV_CURRENT) == EV_NONE)
		return scn_error(c, &pa->vloc, "libelf is unusable");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return scn_error(c, &pa->vloc, "cannot open '%s': %s", path,
				 strerror(errno));
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &nph)) {
		if (e)
			elf_end(e);
		close(fd);
		return scn_error(c, &pa->vloc, "'%s' is not an ELF file",
				 path);
	}
	GElf_Ehdr eh;
	/* position-independent executables go where Linux on arm64 puts
	 * them (ELF_ET_DYN_BASE) */
	uint64_t bias = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN ?
				SCN_ET_DYN_BASE : 0;

	kshim_model_lock();
	for (size_t i = 0; i < nph && !ret; i++) {
		GElf_Phdr ph;
		uint64_t start, end, va;
		size_t fsize = 0;
		char *file = elf_rawfile(e, &fsize);

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		ph.p_vaddr += bias;
		start = ph.p_vaddr & ~(PAGE - 1);
		end = (ph.p_vaddr + ph.p_memsz + PAGE - 1) & ~(PAGE - 1);
		if (end <= start)
			continue;
		ret = hos_mmap(proc_h(c, (unsigned)p), start, end - start,
			       HPROT_READ | HPROT_WRITE,
			       HMAP_FIXED | HMAP_ANONYMOUS, &va);
		if (!ret && ph.p_filesz) {
			if (!file || ph.p_offset + ph.p_filesz > fsize)
				ret = -EINVAL;
			else
				ret = hproc_write(proc_h(c, (unsigned)p),
						  ph.p_vaddr,
						  file + ph.p_offset,
						  ph.p_filesz);
		}
		if (!ret)
			ret = hos_mprotect(proc_h(c, (unsigned)p), start,
					   end - start, elf_prot(ph.p_flags));
		if (!ret) {
			snprintf(rname, sizeof(rname), "%s.%u", as, seg++);
			add_region(c, (unsigned)p, rname, start, end - start);
		}
	}
	kshim_model_unlock();
	elf_end(e);
	close(fd);
	if (ret)
		return scn_fail(c, st, "loading segment %u failed: %s", seg,
				scn_errno_name(-ret));
	if (!seg)
		return scn_fail(c, st, "no PT_LOAD segment in '%s'", path);
	return 0;
}

static int st_fork(struct scn_ctx *c, const struct scn_stmt *st)
{
	struct scn_proc child = { 0 };
	const struct scn_arg *a;
	int p;
	unsigned n;

	if (scn_check_args(c, st, 2, 2, NULL, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 0));
	if (p < 0)
		return -1;
	a = scn_pos(st, 1);
	if (check_name(c, a))
		return -1;
	for (unsigned i = 0; i < c->nprocs; i++)
		if (strcmp(c->procs[i].name, a->value) == 0)
			return scn_error(c, &a->vloc,
					 "process '%s' already declared",
					 a->value);
	if (c->procs[p].exited)
		return scn_fail(c, st, "%s has exited", c->procs[p].name);
	child.t = kshim_fork(c->procs[p].t);
	if (!child.t)
		return scn_fail(c, st, "fork failed");
	snprintf(child.name, sizeof(child.name), "%s", a->value);
	child.uid = c->procs[p].uid;
	c->procs = realloc(c->procs, (c->nprocs + 1) * sizeof(*c->procs));
	if (!c->procs)
		abort();
	c->procs[c->nprocs++] = child;
	/* the child has the parent's regions at the same addresses */
	n = c->nregions;
	for (unsigned i = 0; i < n; i++)
		if (c->regions[i].proc == (unsigned)p) {
			struct scn_region r = c->regions[i];

			add_region(c, c->nprocs - 1, r.name, r.va, r.size);
		}
	scn_mark(c, "fork %s %s pid=%d", c->procs[p].name, a->value,
		 kshim_task_pid(child.t));
	return 0;
}

static void forget_regions(struct scn_ctx *c, unsigned p)
{
	unsigned j = 0;

	for (unsigned i = 0; i < c->nregions; i++)
		if (c->regions[i].proc != p)
			c->regions[j++] = c->regions[i];
	c->nregions = j;
}

static int st_exec(struct scn_ctx *c, const struct scn_stmt *st)
{
	int p, ret;

	if (scn_check_args(c, st, 1, 1, NULL, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 0));
	if (p < 0)
		return -1;
	ret = kshim_exec(c->procs[p].t);
	if (ret)
		return scn_fail(c, st, "exec failed: %s", scn_errno_name(-ret));
	forget_regions(c, (unsigned)p);
	scn_mark(c, "exec %s", c->procs[p].name);
	return 0;
}

static int st_exit(struct scn_ctx *c, const struct scn_stmt *st)
{
	int p;

	if (scn_check_args(c, st, 1, 1, NULL, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 0));
	if (p < 0)
		return -1;
	kshim_exit(c->procs[p].t);
	c->procs[p].exited = true;
	kshim_flush_work();
	scn_mark(c, "exit %s", c->procs[p].name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* statements: VFIO                                                   */

static int group_attach(struct scn_ctx *c, const struct scn_stmt *st,
			unsigned ci, unsigned di, int want)
{
	struct scn_dev *d = &c->devs[di];
	char path[32];
	int fd = c->conts[ci].fd, got;

	if (d->mode != SCN_MODE_SVA)
		return scn_fail(c, st, "device %s is not an SVA device",
				d->name);
	if (d->container >= 0)
		return scn_fail(c, st, "device %s is already in container %s",
				d->name, c->conts[d->container].name);
	if (d->gfd < 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
		d->gfd = kvfio_open(path, O_RDWR);
		if (d->gfd < 0)
			return scn_fail(c, st, "open %s: %s", path,
					scn_errno_name(errno));
	}
	got = kvfio_ioctl(d->gfd, VFIO_GROUP_SET_CONTAINER,
			  (unsigned long)&fd) ? errno : 0;
	kshim_flush_work();
	if (got != want) {
		if (got)
			kvfio_close(d->gfd);
		if (got)
			d->gfd = -1;
		else
			d->container = (int)ci;
		if (want)
			return scn_fail(c, st, "expected %s, got %s",
					scn_errno_name(want),
					scn_errno_name(got));
		return scn_fail(c, st,
				"VFIO_GROUP_SET_CONTAINER for %s: %s",
				d->name, scn_errno_name(got));
	}
	if (got) {
		/* the failed attach leaves the group out: close it */
		kvfio_close(d->gfd);
		d->gfd = -1;
		return 0;
	}
	d->container = (int)ci;
	return 0;
}

static int st_container(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "devices", NULL };
	const struct scn_arg *a, *devs;
	struct scn_container ct = { 0 };
	char list[256], *save = NULL, *tok;
	unsigned ci;
	unsigned idx[64], n = 0;

	if (scn_check_args(c, st, 1, 1, keys, NULL))
		return -1;
	a = scn_pos(st, 0);
	if (check_name(c, a))
		return -1;
	for (unsigned i = 0; i < c->nconts; i++)
		if (strcmp(c->conts[i].name, a->value) == 0)
			return scn_error(c, &a->vloc,
					 "container '%s' already declared",
					 a->value);
	devs = scn_kv(st, "devices");
	if (!devs)
		return scn_error(c, &st->loc, "container: missing devices=");
	snprintf(list, sizeof(list), "%s", devs->value);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct scn_arg t = *devs;
		int d;

		t.value = tok;
		d = scn_find_dev(c, &t);
		if (d < 0)
			return -1;
		if (n < 64)
			idx[n++] = (unsigned)d;
	}
	if (!n)
		return scn_error(c, &devs->vloc, "container: no device");
	if (build(c, st))
		return -1;
	snprintf(ct.name, sizeof(ct.name), "%s", a->value);
	ct.fd = kvfio_open("/dev/vfio/vfio", O_RDWR);
	if (ct.fd < 0)
		return scn_fail(c, st, "open /dev/vfio/vfio: %s",
				scn_errno_name(errno));
	c->conts = realloc(c->conts, (c->nconts + 1) * sizeof(*c->conts));
	if (!c->conts)
		abort();
	ci = c->nconts;
	c->conts[c->nconts++] = ct;
	for (unsigned i = 0; i < n; i++)
		if (group_attach(c, st, ci, idx[i], 0))
			return -1;
	if (kvfio_ioctl(ct.fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return scn_fail(c, st, "VFIO_SET_IOMMU: %s",
				scn_errno_name(errno));
	return 0;
}

static int st_attach(struct scn_ctx *c, const struct scn_stmt *st,
		     bool attach)
{
	static const char *const keys[] = { "expect", NULL };
	const struct scn_arg *ea;
	int ci, di, want = 0, got, ret;
	struct scn_dev *d;

	if (scn_check_args(c, st, 2, 2, keys, NULL))
		return -1;
	ci = find_cont(c, scn_pos(st, 0));
	if (ci < 0)
		return -1;
	di = scn_find_dev(c, scn_pos(st, 1));
	if (di < 0)
		return -1;
	ea = scn_kv(st, "expect");
	if (ea && !errno_of(ea->value, &want))
		return scn_error(c, &ea->vloc, "unknown errno name '%s'",
				 ea->value);
	if (ea)
		c->res->expectations++;
	if (attach) {
		ret = group_attach(c, st, (unsigned)ci, (unsigned)di, want);
		/* a container whose last group left lost its IOMMU driver:
		 * set it again, as a program would */
		if (!ret && !want && !kvfio_iommu_data(c->conts[ci].fd) &&
		    kvfio_ioctl(c->conts[ci].fd, VFIO_SET_IOMMU,
				VFIO_TYPE1v2_IOMMU))
			return scn_fail(c, st, "VFIO_SET_IOMMU: %s",
					scn_errno_name(errno));
		if (!ret && ea)
			c->res->expectations_passed++;
		return ret;
	}
	d = &c->devs[di];
	if (d->container != ci)
		return scn_fail(c, st, "device %s is not in container %s",
				d->name, c->conts[ci].name);
	got = kvfio_ioctl(d->gfd, VFIO_GROUP_UNSET_CONTAINER, 0) ? errno : 0;
	if (got != want)
		return scn_fail(c, st, "expected %s, got %s",
				scn_errno_name(want), scn_errno_name(got));
	if (ea)
		c->res->expectations_passed++;
	if (got)
		return 0;
	kvfio_close(d->gfd);
	d->gfd = -1;
	d->container = -1;
	kshim_flush_work();
	return 0;
}

static int st_close(struct scn_ctx *c, const struct scn_stmt *st)
{
	int ci;

	if (scn_check_args(c, st, 1, 1, NULL, NULL))
		return -1;
	ci = find_cont(c, scn_pos(st, 0));
	if (ci < 0)
		return -1;
	if (c->conts[ci].closed)
		return scn_fail(c, st, "container %s is already closed",
				c->conts[ci].name);
	for (unsigned i = 0; i < c->ndevs; i++)
		if (c->devs[i].container == ci) {
			kvfio_close(c->devs[i].gfd);
			c->devs[i].gfd = -1;
			c->devs[i].container = -1;
		}
	kvfio_close(c->conts[ci].fd);
	c->conts[ci].closed = true;
	kshim_flush_work();
	scn_mark(c, "close %s", c->conts[ci].name);
	return 0;
}

/* One bind/unbind ioctl as `caller`; 0 or errno. */
static int do_bind_ioctl(struct scn_ctx *c, int fd, bool bind,
			 struct vfio_iommu_type1_bind *b, int caller)
{
	int ret;

	kshim_set_current(caller >= 0 ? c->procs[caller].t : NULL);
	ret = kvfio_ioctl(fd, bind ? VFIO_IOMMU_BIND : VFIO_IOMMU_UNBIND,
			  (unsigned long)b);
	ret = ret < 0 ? errno : 0;
	kshim_set_current(NULL);
	kshim_flush_work();
	return ret;
}

/* The process that makes a call nobody named: the first one declared. */
static int default_caller(struct scn_ctx *c, const struct scn_stmt *st)
{
	if (scn_kv(st, "by"))
		return scn_find_proc(c, scn_kv(st, "by"));
	if (c->nprocs)
		return 0;
	return scn_error(c, &st->loc,
			 "%s: no process to make the call (declare one or give by=)",
			 st->verb);
}

/* unbind CONTAINER pasid=X: VFIO_IOMMU_UNBIND naming the bond by PASID. */
static int st_unbind_pasid(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "by", "expect", "pasid", NULL };
	struct vfio_iommu_type1_bind b = { .argsz = sizeof(b),
					   .flags = VFIO_IOMMU_BIND_PASID };
	const struct scn_arg *ea;
	int ci, caller, want = 0, got;

	if (scn_check_args(c, st, 1, 1, keys, NULL))
		return -1;
	ci = find_cont(c, scn_pos(st, 0));
	if (ci < 0)
		return -1;
	if (scn_pasid(c, scn_kv(st, "pasid"), &b.pasid))
		return -1;
	caller = default_caller(c, st);
	if (caller < 0)
		return -1;
	ea = scn_kv(st, "expect");
	if (ea && !errno_of(ea->value, &want))
		return scn_error(c, &ea->vloc, "unknown errno name '%s'",
				 ea->value);
	if (ea)
		c->res->expectations++;
	got = do_bind_ioctl(c, c->conts[ci].fd, false, &b, caller);
	if (!got)
		scn_mark(c, "unbind %s pasid=%u", c->conts[ci].name, b.pasid);
	else
		scn_mark(c, "unbind %s pasid=%u failed %s", c->conts[ci].name,
			 b.pasid, scn_errno_name(got));
	if (got != want) {
		if (!want)
			return scn_fail(c, st, "failed with %s",
					scn_errno_name(got));
		return scn_fail(c, st, "expected %s, got %s",
				scn_errno_name(want), scn_errno_name(got));
	}
	if (ea)
		c->res->expectations_passed++;
	return 0;
}

static int st_bind(struct scn_ctx *c, const struct scn_stmt *st, bool bind)
{
	static const char *const keys[] = { "by", "expect", NULL };
	struct vfio_iommu_type1_bind b = { .argsz = sizeof(b) };
	const struct scn_arg *ea;
	int ci, p, caller, want = 0, got;

	if (!bind && scn_kv(st, "pasid"))
		return st_unbind_pasid(c, st);
	if (scn_check_args(c, st, 2, 2, keys, NULL))
		return -1;
	ci = find_cont(c, scn_pos(st, 0));
	if (ci < 0)
		return -1;
	p = scn_find_proc(c, scn_pos(st, 1));
	if (p < 0)
		return -1;
	caller = p;
	if (scn_kv(st, "by")) {
		caller = scn_find_proc(c, scn_kv(st, "by"));
		if (caller < 0)
			return -1;
	}
	ea = scn_kv(st, "expect");
	if (ea && !errno_of(ea->value, &want))
		return scn_error(c, &ea->vloc, "unknown errno name '%s'",
				 ea->value);
	if (caller != p) {
		b.flags = VFIO_IOMMU_BIND_PID;
		b.pid = kshim_task_pid(c->procs[p].t);
	}
	b.pasid = 0xFFFFFFFFu;
	if (ea)
		c->res->expectations++;
	got = do_bind_ioctl(c, c->conts[ci].fd, bind, &b, caller);
	if (!got && bind) {
		c->procs[p].has_pasid = true;
		c->procs[p].pasid = b.pasid;
		scn_mark(c, "bind %s %s pasid=%u", c->conts[ci].name,
			 c->procs[p].name, b.pasid);
	} else if (!got) {
		scn_mark(c, "unbind %s %s", c->conts[ci].name,
			 c->procs[p].name);
	} else {
		scn_mark(c, "%s %s %s failed %s", bind ? "bind" : "unbind",
			 c->conts[ci].name, c->procs[p].name,
			 scn_errno_name(got));
	}
	if (got != want) {
		if (!want)
			return scn_fail(c, st, "failed with %s",
					scn_errno_name(got));
		if (!got && bind)
			return scn_fail(c, st,
					"expected %s, got success (PASID %u)",
					scn_errno_name(want), b.pasid);
		return scn_fail(c, st, "expected %s, got %s",
				scn_errno_name(want), scn_errno_name(got));
	}
	if (ea)
		c->res->expectations_passed++;
	return 0;
}

static int st_ioctl(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "argsz", "flags", "pid", "pasid",
					    "by", "expect", NULL };
	struct vfio_iommu_type1_bind b = { 0 };
	const struct scn_arg *op, *ea, *pa;
	uint64_t argsz, flags, pid, pasid = 0;
	int ci, caller = -1, want, got;
	bool bind;

	if (scn_check_args(c, st, 2, 2, keys, NULL))
		return -1;
	ci = find_cont(c, scn_pos(st, 0));
	if (ci < 0)
		return -1;
	op = scn_pos(st, 1);
	if (strcmp(op->value, "bind") == 0)
		bind = true;
	else if (strcmp(op->value, "unbind") == 0)
		bind = false;
	else
		return scn_error(c, &op->vloc,
				 "ioctl: '%s' is not bind or unbind",
				 op->value);
	if (scn_req_num(c, st, "argsz", &argsz) ||
	    scn_req_num(c, st, "flags", &flags))
		return -1;
	if (scn_kv(st, "pid") && scn_kv(st, "pid")->value[0] == '-') {
		/* a negative PID, as a hostile caller may pass */
		struct scn_arg t = *scn_kv(st, "pid");

		t.value++;
		if (scn_num(c, &t, &pid))
			return -1;
		if (pid > 0x80000000ull)
			return scn_error(c, &t.vloc, "pid out of range");
		pid = (uint64_t)-(int64_t)pid;
	} else if (opt_num(c, st, "pid", 0, &pid)) {
		return -1;
	}
	/* the input PASID: any 32-bit number, or PROC.pasid */
	pa = scn_kv(st, "pasid");
	if (pa && scn_parse_u64(pa->value, &pasid)) {
		if (pasid > 0xFFFFFFFFull)
			return scn_error(c, &pa->vloc,
					 "pasid out of range (32 bits)");
	} else if (pa) {
		uint32_t p32;

		if (scn_pasid(c, pa, &p32))
			return -1;
		pasid = p32;
	}
	ea = scn_kv(st, "expect");
	if (!ea)
		return scn_error(c, &st->loc, "ioctl: missing expect=");
	if (!errno_of(ea->value, &want))
		return scn_error(c, &ea->vloc, "unknown errno name '%s'",
				 ea->value);
	if (scn_kv(st, "by")) {
		caller = scn_find_proc(c, scn_kv(st, "by"));
		if (caller < 0)
			return -1;
	} else if (c->nprocs) {
		/* a program makes the call: the first process declared */
		caller = 0;
	} else {
		return scn_error(c, &st->loc,
				 "ioctl: no process to make the call (declare one or give by=)");
	}
	b.argsz = (uint32_t)argsz;
	b.flags = (uint32_t)flags;
	b.pid = (int32_t)pid;
	b.pasid = (uint32_t)pasid;
	c->res->expectations++;
	got = do_bind_ioctl(c, c->conts[ci].fd, bind, &b, caller);
	scn_mark(c, "ioctl %s %s -> %s", c->conts[ci].name, op->value,
		 scn_errno_name(got));
	if (got != want)
		return scn_fail(c, st, "expected %s, got %s",
				scn_errno_name(want), scn_errno_name(got));
	c->res->expectations_passed++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* statements: traffic                                                */

static int st_dma(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "size", "count", "stride",
					    "pattern", "concurrency", "pasid",
					    NULL };
	static const char *const flags[] = { "read", "write", "nopasid",
					     "ats", "async", NULL };
	const struct scn_arg *na, *ta, *dir, *aa;
	struct scn_dma *m;
	uint64_t v;
	int di, p = -1;

	if (scn_check_args(c, st, 5, 5, keys, flags + 2))
		return -1;
	na = scn_pos(st, 0);
	if (check_name(c, na))
		return -1;
	for (unsigned i = 0; i < c->ndmas; i++)
		if (strcmp(c->dmas[i]->name, na->value) == 0)
			return scn_error(c, &na->vloc,
					 "DMA '%s' already declared",
					 na->value);
	di = scn_find_dev(c, scn_pos(st, 1));
	if (di < 0)
		return -1;
	ta = scn_pos(st, 2);
	if (strcmp(ta->value, "-") != 0) {
		p = scn_find_proc(c, ta);
		if (p < 0)
			return -1;
	}
	dir = scn_pos(st, 3);
	aa = scn_pos(st, 4);
	if (strcmp(dir->value, "read") && strcmp(dir->value, "write"))
		return scn_error(c, &dir->vloc,
				 "dma: expected read or write, not '%s'",
				 dir->value);
	if (!aa)
		return scn_error(c, &st->loc, "dma: missing address");
	m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	c->dmas = realloc(c->dmas, (c->ndmas + 1) * sizeof(*c->dmas));
	if (!c->dmas)
		abort();
	c->dmas[c->ndmas++] = m;
	snprintf(m->name, sizeof(m->name), "%s", na->value);
	m->ctx = c;
	m->dev = (unsigned)di;
	m->write = strcmp(dir->value, "write") == 0;
	m->pat.kind = SCN_PAT_BYTE;
	m->pat.byte = 0xA5;
	if (scn_addr(c, p, aa, &m->addr))
		return -1;
	if (opt_num(c, st, "size", 8, &v))
		return -1;
	if (!v || v > PAGE)
		return scn_error(c, &scn_kv(st, "size")->vloc,
				 "size must be 1..4096");
	m->size = (uint32_t)v;
	if (opt_num(c, st, "count", 1, &v))
		return -1;
	if (!v || v > 1000000)
		return scn_error(c, &scn_kv(st, "count")->vloc,
				 "count must be 1..1000000");
	m->count = (unsigned)v;
	if (opt_num(c, st, "stride", m->size, &m->stride))
		return -1;
	if (opt_num(c, st, "concurrency", 1, &v))
		return -1;
	if (!v || v > 64)
		return scn_error(c, &scn_kv(st, "concurrency")->vloc,
				 "concurrency must be 1..64");
	m->concurrency = (unsigned)v;
	if (scn_kv(st, "pattern") && scn_pattern(c, scn_kv(st, "pattern"),
						 &m->pat))
		return -1;
	if (scn_kv(st, "pasid") && scn_flag(st, "nopasid"))
		return scn_error(c, &scn_kv(st, "pasid")->loc,
				 "dma: pasid= and nopasid together");
	if (scn_kv(st, "pasid")) {
		if (scn_pasid(c, scn_kv(st, "pasid"), &m->pasid))
			return -1;
		m->pasid_valid = true;
	} else if (p >= 0 && !scn_flag(st, "nopasid")) {
		if (!c->procs[p].has_pasid)
			return scn_error(c, &ta->vloc,
					 "%s has no PASID: bind it first, or give pasid= or nopasid",
					 c->procs[p].name);
		m->pasid = c->procs[p].pasid;
		m->pasid_valid = true;
	}
	m->ats = scn_flag(st, "ats");
	if (m->ats && !c->devs[di].ats)
		return scn_error(c, &st->loc, "dma: device %s has no ATS",
				 c->devs[di].name);
	sim_prng_seed(&m->prng, c->seed ^ (0x9E3779B97F4A7C15ull *
					   (uint64_t)c->ndmas));

	struct scn_dev *d = &c->devs[di];

	kshim_model_lock();
	if (d->ats && d->ats_on != m->ats) {
		pcie_ep_ats_enable(d->ep, m->ats);
		d->ats_on = m->ats;
	}
	for (unsigned i = 0; i < m->concurrency && m->issued < m->count; i++)
		dma_issue(m);
	kshim_model_unlock();
	if (scn_flag(st, "async"))
		return 0;
	if (drive(c, GOAL_DMA, m, 0))
		return -1;
	return 0;
}

static int st_run(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "for", "until", NULL };
	uint64_t v;

	if (scn_check_args(c, st, 0, 0, keys, NULL))
		return -1;
	if (scn_kv(st, "for") && scn_kv(st, "until"))
		return scn_error(c, &scn_kv(st, "until")->loc,
				 "run: for= and until= together");
	if (build(c, st))
		return -1;
	if (scn_kv(st, "for")) {
		if (scn_num(c, scn_kv(st, "for"), &v))
			return -1;
		return drive(c, GOAL_TIME, NULL, now(c) + v);
	}
	if (scn_kv(st, "until")) {
		if (scn_num(c, scn_kv(st, "until"), &v))
			return -1;
		return drive(c, GOAL_TIME, NULL, v);
	}
	return drive(c, GOAL_IDLE, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* dispatch                                                           */

static int exec_stmt(struct scn_ctx *c, const struct scn_stmt *st)
{
	const char *v = st->verb;
	int ret;

	if (strcmp(v, "seed") == 0)
		return st_seed(c, st);
	if (strcmp(v, "smmu") == 0)
		return st_smmu(c, st);
	if (strcmp(v, "device") == 0)
		return st_device(c, st);
	if (strcmp(v, "process") == 0)
		return st_process(c, st);
	if (strcmp(v, "scenario") == 0)
		return 0;
	/* everything below needs the machine */
	if (build(c, st))
		return -1;
	if (strcmp(v, "map") == 0)
		ret = st_map(c, st);
	else if (strcmp(v, "load") == 0)
		ret = st_load(c, st);
	else if (strcmp(v, "fork") == 0)
		ret = st_fork(c, st);
	else if (strcmp(v, "exec") == 0)
		ret = st_exec(c, st);
	else if (strcmp(v, "exit") == 0)
		ret = st_exit(c, st);
	else if (strcmp(v, "container") == 0)
		ret = st_container(c, st);
	else if (strcmp(v, "attach") == 0)
		ret = st_attach(c, st, true);
	else if (strcmp(v, "detach") == 0)
		ret = st_attach(c, st, false);
	else if (strcmp(v, "bind") == 0)
		ret = st_bind(c, st, true);
	else if (strcmp(v, "unbind") == 0)
		ret = st_bind(c, st, false);
	else if (strcmp(v, "ioctl") == 0)
		ret = st_ioctl(c, st);
	else if (strcmp(v, "close") == 0)
		ret = st_close(c, st);
	else if (strcmp(v, "dma") == 0)
		ret = st_dma(c, st);
	else if (strcmp(v, "run") == 0)
		ret = st_run(c, st);
	else if (strcmp(v, "fault") == 0)
		ret = scn_do_fault(c, st);
	else if (strcmp(v, "expect") == 0)
		ret = scn_do_expect(c, st);
	else
		return scn_error(c, &st->loc, "unknown statement '%s'", v);
	if (!ret)
		scn_note_cmd_errors(c);
	return ret;
}

/* Check what can be checked before the statement's time comes. */
static int schedule(struct scn_ctx *c, const struct scn_stmt *st)
{
	struct scn_pending *p;
	uint8_t id = 0;

	if (st->on_event && !scn_event_id(st->on_event, &id))
		return scn_error(c, &st->loc, "on event: unknown event '%s'",
				 st->on_event);
	if (strcmp(st->verb, "smmu") == 0 || strcmp(st->verb, "seed") == 0 ||
	    strcmp(st->verb, "device") == 0)
		return scn_error(c, &st->loc,
				 "%s cannot be scheduled with at/on event",
				 st->verb);
	if (st->has_at && st->at <= now(c) && c->built)
		return exec_stmt(c, st);
	if (build(c, st))
		return -1;
	c->pend = realloc(c->pend, (c->npend + 1) * sizeof(*c->pend));
	if (!c->pend)
		abort();
	p = &c->pend[c->npend++];
	memset(p, 0, sizeof(*p));
	p->st = st;
	p->at = st->has_at ? st->at : UINT64_MAX;
	p->seq = c->pend_seq++;
	p->event_id = id;
	return 0;
}

/*
 * Before anything runs: every verb, fault kind, expectation kind, `on
 * event` name and key=value name must be known, so a typo late in a file
 * is reported without running the scenario. Values are checked when the
 * statement runs (they may name things made before it).
 */
struct known {
	const char *verb, *sub;   /* sub: first word for fault/expect */
	const char *keys;         /* space-separated; NULL: any key */
};

static const struct known known[] = {
	{ "scenario", NULL, "" },
	{ "seed", NULL, "" },
	{ "smmu", NULL, NULL },
	{ "device", NULL, "sid pasid-bits atc mode" },
	{ "process", NULL, "uid" },
	{ "map", NULL, "size prot fill" },
	{ "load", NULL, "as" },
	{ "fork", NULL, "" },
	{ "exec", NULL, "" },
	{ "exit", NULL, "" },
	{ "container", NULL, "devices" },
	{ "attach", NULL, "expect" },
	{ "detach", NULL, "expect" },
	{ "bind", NULL, "by expect" },
	{ "unbind", NULL, "by expect pasid" },
	{ "ioctl", NULL, "argsz flags pid pasid by expect" },
	{ "close", NULL, "" },
	{ "dma", NULL, "size count stride pattern concurrency pasid" },
	{ "run", NULL, "for until" },
	{ "fault", "ste", NULL },
	{ "fault", "cd", NULL },
	{ "fault", "pte", NULL },
	{ "fault", "cr0", NULL },
	{ "fault", "unmap", "size" },
	{ "fault", "mprotect", "size prot" },
	{ "fault", "reclaim", "" },
	{ "fault", "kill", "" },
	{ "fault", "evtq", "" },
	{ "fault", "priq", "" },
	{ "fault", "iopf", "delay" },
	{ "fault", "atc-inv", "delay" },
	{ "fault", "mem-abort", "pa size ste cd page table" },
	{ "fault", "command", "" },
	{ "expect", "event", "sid ssid addr rnw stall count" },
	{ "expect", "no-event", "" },
	{ "expect", "pasid", "" },
	{ "expect", "mem", "size" },
	{ "expect", "dma", "ok" },
	{ "expect", "counter", "" },
	{ "expect", "latency", "" },
	{ "expect", "cmd-error", "" },
	{ "expect", "gerror", "" },
	{ "expect", "bonds", "" },
};

static bool key_in(const char *keys, const char *k)
{
	size_t n = strlen(k);

	for (const char *p = keys; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, k, n) == 0)
			return true;
		p = e ? e + 1 : p + len;
	}
	return false;
}

static int precheck(struct scn_ctx *c)
{
	for (unsigned i = 0; i < c->s->nstmts; i++) {
		const struct scn_stmt *st = &c->s->stmts[i];
		const struct known *k = NULL;
		const char *sub = st->nargs && !st->args[0].key ?
					  st->args[0].value : NULL;
		bool verb_known = false;
		uint8_t id;

		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++) {
			if (strcmp(known[j].verb, st->verb) != 0)
				continue;
			verb_known = true;
			if (!known[j].sub ||
			    (sub && strcmp(known[j].sub, sub) == 0)) {
				k = &known[j];
				break;
			}
		}
		if (!verb_known)
			return scn_error(c, &st->loc,
					 "unknown statement '%s'", st->verb);
		if (st->on_event && !scn_event_id(st->on_event, &id))
			return scn_error(c, &st->loc,
					 "on event: unknown event '%s'",
					 st->on_event);
		if (!k)
			continue; /* reported with its list when it runs */
		for (unsigned j = 0; k->keys && j < st->nargs; j++) {
			const struct scn_arg *a = &st->args[j];

			if (a->key && !key_in(k->keys, a->key))
				return scn_error(c, &a->loc,
						 "%s: unknown argument '%s'",
						 st->verb, a->key);
		}
	}
	return 0;
}

bool scn_run(const struct scn *s, const struct scn_run_opts *opts,
	     struct scn_result *res)
{
	struct scn_ctx c = { 0 };
	struct smmu_impl impl;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	c.s = s;
	c.opts = opts;
	c.res = res;
	c.seed = opts && opts->seed_set ? opts->seed : 1;
	if (opts && !opts->seed_set && opts->seed)
		c.seed = opts->seed;
	smmu_impl_preset("full", &impl);
	c.impl = &impl;
	res->pass = true;
	if (opts && opts->trace)
		fprintf(opts->trace,
			"# smmusim-trace 1\n# source: smmusim %s\n"
			"# scenario: %s\n", SMMUSIM_VERSION,
			s->name ? s->name : "");
	ret = precheck(&c);
	for (unsigned i = 0; i < s->nstmts && !ret; i++) {
		const struct scn_stmt *st = &s->stmts[i];

		if (st->has_at || st->on_event)
			ret = schedule(&c, st);
		else
			ret = exec_stmt(&c, st);
		if (!ret && c.built && c.depth == 0)
			ret = run_due(&c);
	}
	res->seed = c.seed;
	res->cycles = now(&c);
	if (ret)
		res->pass = false;
	if (!ret && opts && (opts->export_core || opts->export_regs))
		export_image(&c, opts);
	if (!ret && c.built)
		check_invariants(&c);
	teardown(&c);
	for (unsigned i = 0; i < c.ndmas; i++)
		free(c.dmas[i]);
	free(c.dmas);
	while (c.wraps) {
		struct scn_wrap *w = c.wraps;

		c.wraps = w->next;
		free(w);
	}
	free(c.devs);
	free(c.procs);
	free(c.regions);
	free(c.conts);
	free(c.pend);
	free(c.events);
	free(c.held);
	return res->pass;
}

void scn_result_free(struct scn_result *res)
{
	if (!res)
		return;
	free(res->spans);
	free(res->marks);
	res->spans = NULL;
	res->marks = NULL;
	res->nspans = res->nmarks = 0;
}

/* ------------------------------------------------------------------ */
/* latency                                                            */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void scn_latency(const struct scn_result *res, enum scn_kind kind,
		 struct scn_lat_stats *out)
{
	uint64_t *v, sum = 0;
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	if (!res || !res->nspans)
		return;
	v = malloc(res->nspans * sizeof(*v));
	if (!v)
		abort();
	for (unsigned i = 0; i < res->nspans; i++)
		if (res->spans[i].kind == kind)
			v[n++] = res->spans[i].end - res->spans[i].start;
	if (n) {
		qsort(v, n, sizeof(*v), cmp_u64);
		for (unsigned i = 0; i < n; i++)
			sum += v[i];
		out->n = n;
		out->min = v[0];
		out->max = v[n - 1];
		/* nearest rank */
		out->p50 = v[(n * 50 + 99) / 100 - 1];
		out->p90 = v[(n * 90 + 99) / 100 - 1];
		out->p99 = v[(n * 99 + 99) / 100 - 1];
		out->mean = (double)sum / n;
	}
	free(v);
}

const char *scn_kind_name(enum scn_kind kind)
{
	switch (kind) {
	case SCN_KIND_DMA_READ:
		return "read";
	case SCN_KIND_DMA_WRITE:
		return "write";
	case SCN_KIND_ATS:
		return "ats";
	case SCN_KIND_PRI:
		return "pri";
	default:
		return "?";
	}
}
