/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace to-perfetto: Chrome trace-event JSON for Perfetto and
 * chrome://tracing (docs/trace-format.md, "Drawing traces").
 *
 * The output is streamed: a record becomes its events as it is read. What
 * is held is per track (the end of each lane), the translations still
 * outstanding (for the counter) and the CMD_SYNCs waiting for their SYNC.
 * Slices that overlap on one track go to extra lanes ("SID 0x10 (2)"),
 * since trace-event slices on one thread must nest.
 */
#define _POSIX_C_SOURCE 200809L
#include "xcheck/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PID 1
#define MAX_LANES 64
#define FIRST_SID_TID 100
#define CLOCK_HZ_MAX UINT64_C(10000000000000) /* 10 THz */

enum {
	TID_REGS = 1,
	TID_CMDQ,
	TID_EVTQ,
	TID_PRIQ,
	TID_IRQ,
};

struct track {
	char name[80];
	unsigned base_tid;	/* lane 0's tid */
	unsigned sort;		/* lane 0's sort index; lane n's is + n */
	unsigned nlanes;
	uint64_t lane_end[MAX_LANES];
	unsigned lane_tid[MAX_LANES];
};

/* A CMD_SYNC waiting for its SYNC. */
struct pending_sync {
	uint64_t time;
	bool has_idx;
	uint64_t idx;
	char *args;	/* its JSON args object */
};

struct pf {
	FILE *out;
	struct trace_reader *r;
	uint64_t hz;
	unsigned next_tid;
	struct track fixed[TID_IRQ + 1];
	struct track **sids;	/* SID tracks, in order of appearance */
	unsigned nsids, sidcap;
	unsigned *sidx;		/* open-addressing index into sids */
	unsigned sidxcap;
	uint64_t *ends;		/* min-heap: ends of outstanding translations */
	unsigned nends, endcap;
	struct pending_sync *syncs;
	unsigned nsyncs, synccap;
	struct trace_perfetto_stats st;
	bool oom;
};

/* --- JSON -------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static unsigned utf8_len(const unsigned char *s)
{
	unsigned n, cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		unsigned n;

		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
			continue;
		}
		if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		n = utf8_len(p);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* cycles as microseconds: cycles * 1e6 / hz, exact to the picosecond. */
static void put_us(FILE *f, uint64_t hz, uint64_t cycles)
{
	uint64_t q = cycles / hz, r = cycles % hz;
	uint64_t x = r * 1000000u / hz, rem = r * 1000000u % hz;
	uint64_t frac = rem * 1000000u / hz;
	char fs[8];
	int n;

	if (q)
		fprintf(f, "%" PRIu64 "%06" PRIu64, q, x);
	else
		fprintf(f, "%" PRIu64, x);
	if (!frac)
		return;
	n = snprintf(fs, sizeof(fs), "%06" PRIu64, frac);
	while (n > 0 && fs[n - 1] == '0')
		fs[--n] = '\0';
	fprintf(f, ".%s", fs);
}

static void put_meta(struct pf *p, unsigned tid, const char *what,
		     const char *name, unsigned sort)
{
	fprintf(p->out, ",\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,"
			"\"tid\":%u,\"args\":{",
		what, PID, tid);
	if (name) {
		fputs("\"name\":", p->out);
		put_str(p->out, name);
	} else {
		fprintf(p->out, "\"sort_index\":%u", sort);
	}
	fputs("}}", p->out);
}

static void name_thread(struct pf *p, unsigned tid, const char *name,
			unsigned sort)
{
	put_meta(p, tid, "thread_name", name, 0);
	put_meta(p, tid, "thread_sort_index", NULL, sort);
}

/* The record's fields as a JSON object, with its line. */
static char *args_json(const struct trace_rec *rec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "{\"trace line\":%u", rec->line);
	for (unsigned i = 0; i < rec->nfields; i++) {
		fputc(',', f);
		put_str(f, rec->fields[i].name);
		fputc(':', f);
		put_str(f, rec->fields[i].value);
	}
	fputc('}', f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --- tracks ------------------------------------------------------------ */

/* Lane 0 of t (named on first use): where instants go. */
static unsigned first_lane(struct pf *p, struct track *t)
{
	if (!t->nlanes) {
		t->lane_tid[0] = t->base_tid;
		t->lane_end[0] = 0;
		t->nlanes = 1;
		name_thread(p, t->base_tid, t->name, t->sort);
	}
	return t->base_tid;
}

/* A lane of t free from start (or the least busy one): its tid. */
static unsigned take_lane(struct pf *p, struct track *t, uint64_t start,
			  uint64_t end)
{
	unsigned lane = 0;

	first_lane(p, t);
	while (lane < t->nlanes && t->lane_end[lane] > start)
		lane++;
	if (lane == t->nlanes && t->nlanes < MAX_LANES) {
		char name[96];

		t->lane_tid[lane] = p->next_tid++;
		t->lane_end[lane] = 0;
		t->nlanes++;
		snprintf(name, sizeof(name), "%s (%u)", t->name, lane + 1);
		name_thread(p, t->lane_tid[lane], name, t->sort + lane);
	} else if (lane == t->nlanes) {
		lane = 0;
		for (unsigned i = 1; i < t->nlanes; i++)
			if (t->lane_end[i] < t->lane_end[lane])
				lane = i;
	}
	if (end > t->lane_end[lane])
		t->lane_end[lane] = end;
	return t->lane_tid[lane];
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static void sid_index_put(unsigned *ix, unsigned cap, struct track **sids,
			  unsigned i)
{
	size_t h = hash_str(sids[i]->name) & (cap - 1);

	while (ix[h])
		h = (h + 1) & (cap - 1);
	ix[h] = i + 1;
}

/* The track of a record's StreamID ("SID 0x10"). */
static struct track *sid_track(struct pf *p, const struct trace_rec *rec)
{
	const char *sid = trace_rec_get(rec, "sid");
	struct track *t;
	char name[sizeof(((struct track *)0)->name)];
	uint64_t v;
	size_t h;

	if (!sid)
		snprintf(name, sizeof(name), "SID ?");
	else if (trace_parse_u64(sid, &v))
		snprintf(name, sizeof(name), "SID 0x%" PRIx64, v);
	else
		snprintf(name, sizeof(name), "SID %.64s", sid);
	if (p->sidxcap) {
		h = hash_str(name) & (p->sidxcap - 1);
		for (; p->sidx[h]; h = (h + 1) & (p->sidxcap - 1))
			if (!strcmp(p->sids[p->sidx[h] - 1]->name, name))
				return p->sids[p->sidx[h] - 1];
	}
	if (p->nsids == p->sidcap) {
		unsigned cap = p->sidcap ? p->sidcap * 2 : 16;
		struct track **s = realloc(p->sids, cap * sizeof(*s));

		if (!s)
			return NULL;
		p->sids = s;
		p->sidcap = cap;
	}
	if ((p->nsids + 1) * 2 > p->sidxcap) {
		unsigned cap = p->sidxcap ? p->sidxcap * 2 : 64;
		unsigned *ix = calloc(cap, sizeof(*ix));

		if (!ix)
			return NULL;
		for (unsigned i = 0; i < p->nsids; i++)
			sid_index_put(ix, cap, p->sids, i);
		free(p->sidx);
		p->sidx = ix;
		p->sidxcap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->base_tid = p->next_tid++;
	t->sort = (TID_IRQ + 1 + p->nsids) * MAX_LANES;
	p->sids[p->nsids] = t;
	sid_index_put(p->sidx, p->sidxcap, p->sids, p->nsids++);
	return t;
}

/* --- events ------------------------------------------------------------ */

static void put_slice(struct pf *p, unsigned tid, const char *name,
		      const char *cat, uint64_t start, uint64_t dur,
		      const char *args)
{
	fputs(",\n{\"ph\":\"X\",\"name\":", p->out);
	put_str(p->out, name);
	fputs(",\"cat\":", p->out);
	put_str(p->out, cat);
	fprintf(p->out, ",\"pid\":%d,\"tid\":%u,\"ts\":", PID, tid);
	put_us(p->out, p->hz, start);
	fputs(",\"dur\":", p->out);
	put_us(p->out, p->hz, dur);
	fprintf(p->out, ",\"args\":%s}", args);
	p->st.slices++;
}

static void put_instant(struct pf *p, unsigned tid, const char *name,
			const char *cat, uint64_t at, const char *args)
{
	fputs(",\n{\"ph\":\"i\",\"s\":\"t\",\"name\":", p->out);
	put_str(p->out, name);
	fputs(",\"cat\":", p->out);
	put_str(p->out, cat);
	fprintf(p->out, ",\"pid\":%d,\"tid\":%u,\"ts\":", PID, tid);
	put_us(p->out, p->hz, at);
	fprintf(p->out, ",\"args\":%s}", args);
	p->st.instants++;
}

static void put_counter(struct pf *p, uint64_t at)
{
	fputs(",\n{\"ph\":\"C\",\"name\":\"outstanding translations\","
	      "\"pid\":1,\"ts\":", p->out);
	put_us(p->out, p->hz, at);
	fprintf(p->out, ",\"args\":{\"translations\":%u}}", p->nends);
	p->st.counters++;
}

static void end_push(struct pf *p, uint64_t end)
{
	unsigned i;

	if (p->nends == p->endcap) {
		unsigned cap = p->endcap ? p->endcap * 2 : 64;
		uint64_t *e = realloc(p->ends, cap * sizeof(*e));

		if (!e) {
			p->oom = true;
			return;
		}
		p->ends = e;
		p->endcap = cap;
	}
	i = p->nends++;
	while (i && p->ends[(i - 1) / 2] > end) {
		p->ends[i] = p->ends[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	p->ends[i] = end;
}

static uint64_t end_pop(struct pf *p)
{
	uint64_t top = p->ends[0], last = p->ends[--p->nends];
	unsigned i = 0;

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= p->nends)
			break;
		if (c + 1 < p->nends && p->ends[c + 1] < p->ends[c])
			c++;
		if (p->ends[c] >= last)
			break;
		p->ends[i] = p->ends[c];
		i = c;
	}
	if (p->nends)
		p->ends[i] = last;
	return top;
}

/* Translations that ended by `now` leave the counter. */
static void retire(struct pf *p, uint64_t now)
{
	while (p->nends && p->ends[0] <= now) {
		uint64_t at = end_pop(p);

		/* one counter event per instant */
		while (p->nends && p->ends[0] == at)
			end_pop(p);
		put_counter(p, at);
	}
}

/* "KIND" or "KIND VALUE" with the field that tells records apart. */
static void event_name(const struct trace_rec *rec, const char *field,
		       char *buf, size_t len)
{
	const char *v = field ? trace_rec_get(rec, field) : NULL;

	if (v)
		snprintf(buf, len, "%s %s", rec->kind, v);
	else
		snprintf(buf, len, "%s", rec->kind);
}

static bool is_translation(const char *kind)
{
	return !strcmp(kind, "XLATE") || !strcmp(kind, "XLATE_TR") ||
	       !strcmp(kind, "ATS_CPL");
}

static void emit_sync_slice(struct pf *p, const struct pending_sync *s,
			    uint64_t end)
{
	unsigned tid = take_lane(p, &p->fixed[TID_CMDQ], s->time, end);

	put_slice(p, tid, "CMD_SYNC", "CMD", s->time, end - s->time,
		  s->args);
}

static void cmd_sync_start(struct pf *p, const struct trace_rec *rec,
			   char *args)
{
	struct pending_sync *s;

	if (p->nsyncs == p->synccap) {
		unsigned cap = p->synccap ? p->synccap * 2 : 8;

		s = realloc(p->syncs, cap * sizeof(*s));
		if (!s) {
			free(args);
			p->oom = true;
			return;
		}
		p->syncs = s;
		p->synccap = cap;
	}
	s = &p->syncs[p->nsyncs++];
	s->time = rec->time;
	s->has_idx = trace_rec_u64(rec, "idx", &s->idx);
	s->args = args;
}

/* A SYNC ends the CMD_SYNC of its idx (or the oldest one). */
static bool cmd_sync_end(struct pf *p, const struct trace_rec *rec)
{
	uint64_t idx;
	bool has_idx = trace_rec_u64(rec, "idx", &idx);
	unsigned i;

	for (i = 0; i < p->nsyncs; i++)
		if (!has_idx || !p->syncs[i].has_idx ||
		    p->syncs[i].idx == idx)
			break;
	if (i == p->nsyncs)
		return false;
	emit_sync_slice(p, &p->syncs[i], rec->time);
	free(p->syncs[i].args);
	memmove(&p->syncs[i], &p->syncs[i + 1],
		(p->nsyncs - i - 1) * sizeof(*p->syncs));
	p->nsyncs--;
	return true;
}

static void draw(struct pf *p, const struct trace_rec *rec)
{
	const char *k = rec->kind;
	struct track *t = NULL;
	const char *field = NULL;
	char name[160];
	char *args;

	retire(p, rec->time);
	if (is_translation(k)) {
		uint64_t lat = 0;
		unsigned tid;

		t = sid_track(p, rec);
		args = t ? args_json(rec) : NULL;
		if (!args) {
			p->oom = true;
			return;
		}
		trace_rec_u64(rec, "latency", &lat);
		if (lat > UINT64_MAX - rec->time)
			lat = UINT64_MAX - rec->time;
		tid = take_lane(p, t, rec->time, rec->time + lat);
		event_name(rec, "result", name, sizeof(name));
		put_slice(p, tid, name, k, rec->time, lat, args);
		free(args);
		if (lat) {
			end_push(p, rec->time + lat);
			put_counter(p, rec->time);
		}
		return;
	}
	if (!strcmp(k, "CMD")) {
		const char *op = trace_rec_get(rec, "op");

		args = args_json(rec);
		if (!args) {
			p->oom = true;
			return;
		}
		if (op && !strcmp(op, "CMD_SYNC")) {
			cmd_sync_start(p, rec, args);
			return;
		}
		put_slice(p, take_lane(p, &p->fixed[TID_CMDQ], rec->time,
				       rec->time),
			  op ? op : "CMD", "CMD", rec->time, 0, args);
		free(args);
		return;
	}
	if (!strcmp(k, "SYNC") && cmd_sync_end(p, rec))
		return;
	if (!strcmp(k, "MMIO_R") || !strcmp(k, "MMIO_W")) {
		t = &p->fixed[TID_REGS];
		field = "reg";
	} else if (!strcmp(k, "CMD_ERR") || !strcmp(k, "SYNC")) {
		t = &p->fixed[TID_CMDQ];
		field = !strcmp(k, "SYNC") ? "cs" : "cerror";
	} else if (!strcmp(k, "EVT") || !strcmp(k, "EVT_LOST")) {
		t = &p->fixed[TID_EVTQ];
		field = "type";
	} else if (!strcmp(k, "PRI") || !strcmp(k, "PRI_LOST") ||
		   !strcmp(k, "PPR") || !strcmp(k, "PRG_RESP")) {
		t = &p->fixed[TID_PRIQ];
		field = !strcmp(k, "PRG_RESP") ? "resp" : NULL;
	} else if (!strcmp(k, "IRQ") || !strcmp(k, "MSI")) {
		t = &p->fixed[TID_IRQ];
		field = "src";
	} else if (!strcmp(k, "GERROR")) {
		t = &p->fixed[TID_IRQ];
		field = "bit";
	} else if (!strcmp(k, "SEV")) {
		t = &p->fixed[TID_IRQ];
	} else if (!strcmp(k, "ATS_REQ") || !strcmp(k, "STALL") ||
		   !strcmp(k, "ATC_INV") || !strcmp(k, "ATC_INV_CPL")) {
		t = sid_track(p, rec);
		if (!t) {
			p->oom = true;
			return;
		}
	} else {
		return; /* MEM_*, kinds this version does not know */
	}
	args = args_json(rec);
	if (!args) {
		p->oom = true;
		return;
	}
	if (!strcmp(k, "EVT") && trace_rec_get(rec, "type"))
		snprintf(name, sizeof(name), "%s", trace_rec_get(rec, "type"));
	else
		event_name(rec, field, name, sizeof(name));
	put_instant(p, first_lane(p, t), name, k, rec->time, args);
	free(args);
}

static void pf_free(struct pf *p)
{
	for (unsigned i = 0; i < p->nsids; i++)
		free(p->sids[i]);
	free(p->sids);
	free(p->sidx);
	free(p->ends);
	for (unsigned i = 0; i < p->nsyncs; i++)
		free(p->syncs[i].args);
	free(p->syncs);
}

/* clock-hz from the header: 1 Hz to 10 THz, default 1 GHz. */
static bool get_clock(struct trace_reader *r, uint64_t *hz, char *err,
		      size_t errlen)
{
	const char *v = trace_reader_header(r, "clock-hz");

	*hz = 1000000000u;
	if (!v)
		return true;
	if (trace_parse_u64(v, hz) && *hz && *hz <= CLOCK_HZ_MAX)
		return true;
	snprintf(err, errlen, "%s:%u:1: clock-hz: '%s' is not a whole "
		 "number of Hz from 1 to 10000000000000",
		 trace_reader_name(r), trace_reader_header_line(r, "clock-hz"),
		 v);
	return false;
}

int trace_to_perfetto(struct trace_reader *r, FILE *out,
		      struct trace_perfetto_stats *st, char *err,
		      size_t errlen)
{
	static const char *const fixed_names[] = {
		[TID_REGS] = "registers",
		[TID_CMDQ] = "command queue",
		[TID_EVTQ] = "event queue",
		[TID_PRIQ] = "PRI queue",
		[TID_IRQ] = "interrupts",
	};
	struct pf p = { .out = out, .r = r, .next_tid = FIRST_SID_TID };
	const char *title = trace_reader_header(r, "scenario");
	struct trace_rec rec;
	int rc, ret = -1;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!get_clock(r, &p.hz, err, errlen))
		return -1;
	for (unsigned i = TID_REGS; i <= TID_IRQ; i++) {
		snprintf(p.fixed[i].name, sizeof(p.fixed[i].name), "%s",
			 fixed_names[i]);
		p.fixed[i].base_tid = i;
		p.fixed[i].sort = i * MAX_LANES;
	}
	if (!title)
		title = trace_reader_name(r);
	/* traceEvents first, so a reader that stops early has the events */
	fprintf(out, "{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":"
		     "\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{"
		     "\"name\":", PID);
	put_str(out, title);
	fputs("}}", out);
	while ((rc = trace_reader_next(r, &rec, err, errlen)) > 0) {
		p.st.records++;
		if (!rec.has_time) {
			p.st.untimed++;
			continue;
		}
		draw(&p, &rec);
		if (p.oom)
			break;
	}
	if (rc < 0)
		goto out;
	if (p.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* a CMD_SYNC that never completed: a slice of no length */
	for (unsigned i = 0; i < p.nsyncs; i++)
		emit_sync_slice(&p, &p.syncs[i], p.syncs[i].time);
	retire(&p, UINT64_MAX);
	fputs("\n],\n\"otherData\":{\"file\":", out);
	put_str(out, trace_reader_name(r));
	fprintf(out, ",\"clock-hz\":%" PRIu64, p.hz);
	if (trace_reader_header(r, "source")) {
		fputs(",\"source\":", out);
		put_str(out, trace_reader_header(r, "source"));
	}
	fprintf(out, ",\"records\":%" PRIu64 ",\"untimed\":%" PRIu64 "}}\n",
		p.st.records, p.st.untimed);
	if (fflush(out) || ferror(out)) {
		snprintf(err, errlen, "write error: %s",
			 strerror(errno ? errno : EIO));
		goto out;
	}
	ret = 0;
out:
	if (st)
		*st = p.st;
	pf_free(&p);
	return ret;
}
