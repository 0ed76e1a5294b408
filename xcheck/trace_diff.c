/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace diff: compare two traces (docs/trace-format.md,
 * "Comparing traces").
 *
 * How records are paired. Each compared record goes to a lane: its kind
 * (MMIO_R and MMIO_W share one lane, so register accesses keep their
 * order); with --reorder, a translation result or event goes to the lane
 * of its kind and StreamID instead. Within a lane, the n-th record of A is
 * the counterpart of the n-th record of B, except that a short look-ahead
 * (LOOKAHEAD records) re-aligns the lane when one side has records the
 * other has not (a poll read more, an event less), so that one missing
 * record is counted as missing rather than shifting every later pair.
 * How the lanes interleave is not compared.
 *
 * Windows. With --reorder, the synchronisation records (SYNC, MMIO_R,
 * MMIO_W, when compared) cut each trace into windows, numbered from 0 on
 * each side. A translation or event of A window w can only pair with one
 * of B window w: the architecture lets translations of different
 * StreamIDs complete in either order between two synchronisation points,
 * not across one.
 *
 * Memory. The two files are read in lock step, one compared record from
 * each in turn. A record stays in memory only while it waits for its
 * counterpart: a pair that agrees is dropped at once, so identical traces
 * hold a record or two whatever their size. What waits is bounded per
 * side by PENDING_MAX records: past that the oldest waiting record is
 * decided with what has been read (paired as differing, or counted as
 * missing). With --reorder, a window's waiting records are decided as
 * soon as both sides have read past the window, so a window holds at
 * most its unpaired records, and at most PENDING_MAX of those.
 *
 * Divergences are discovered out of file order (a lane waits for its
 * look-ahead); the o->max first ones in file order are kept in a heap and
 * printed at the end, before the summary.
 */
#define _POSIX_C_SOURCE 200809L
#include "xcheck/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOOKAHEAD 32
#define PENDING_MAX 100000u
#define SWEEP_EVERY 1024u

enum kind_class {
	KC_UNKNOWN,	/* compared as text */
	KC_PLAIN,
	KC_SYNC,	/* delimits --reorder windows */
	KC_REORDER,	/* may be reordered across StreamIDs */
};

static const struct {
	const char *name;
	enum kind_class cls;
} known_kinds[] = {
	{ "MMIO_R", KC_SYNC },	   { "MMIO_W", KC_SYNC },
	{ "CMD", KC_PLAIN },	   { "CMD_ERR", KC_PLAIN },
	{ "SYNC", KC_SYNC },	   { "EVT", KC_REORDER },
	{ "EVT_LOST", KC_REORDER }, { "PPR", KC_PLAIN },
	{ "PRI", KC_PLAIN },	   { "PRI_LOST", KC_PLAIN },
	{ "PRG_RESP", KC_PLAIN },  { "IRQ", KC_PLAIN },
	{ "MSI", KC_PLAIN },	   { "GERROR", KC_PLAIN },
	{ "SEV", KC_PLAIN },	   { "XLATE", KC_REORDER },
	{ "ATS_REQ", KC_REORDER }, { "ATS_CPL", KC_REORDER },
	{ "XLATE_TR", KC_REORDER }, { "ATC_INV", KC_PLAIN },
	{ "ATC_INV_CPL", KC_PLAIN }, { "MEM_W", KC_PLAIN },
	{ "MEM_FILL", KC_PLAIN },  { "MEM_MAP", KC_PLAIN },
	{ "STALL", KC_REORDER },
};

static enum kind_class classify(const char *kind)
{
	for (size_t i = 0; i < sizeof(known_kinds) / sizeof(known_kinds[0]);
	     i++)
		if (!strcmp(known_kinds[i].name, kind))
			return known_kinds[i].cls;
	return KC_UNKNOWN;
}

/* --- small helpers ----------------------------------------------------- */

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 128;
		char *s;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
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

/* A comma-separated list split into strings. */
struct list {
	char **v;
	unsigned n;
};

static void list_free(struct list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool list_has(const struct list *l, const char *s)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* Split text at commas; check each item with ok(). */
static bool list_parse(const char *opt, const char *text, bool (*ok)(char),
		       bool (*first_ok)(char), const char *what,
		       struct list *l, char *err, size_t errlen)
{
	const char *p = text;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool good = n > 0 && first_ok(p[0]);
		char **v;

		for (size_t i = 1; i < n && good; i++)
			good = ok(p[i]);
		if (!good) {
			snprintf(err, errlen, "%s: '%.*s' is not %s", opt,
				 (int)n, p, what);
			list_free(l);
			return false;
		}
		v = realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			goto oom;
		l->v = v;
		l->v[l->n] = strndup(p, n);
		if (!l->v[l->n])
			goto oom;
		l->n++;
		if (!e)
			return true;
		p = e + 1;
	}
oom:
	snprintf(err, errlen, "out of memory");
	list_free(l);
	return false;
}

static bool kind_first(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool kind_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* --- state ------------------------------------------------------------- */

struct kstat {
	struct kstat *next;	/* hash chain */
	struct trace_diff_count c;
};

struct lane;

/* A record waiting for its counterpart. */
struct prec {
	struct prec *lnext;		/* lane queue, same side */
	struct prec *gprev, *gnext;	/* the side's waiting list */
	struct lane *lane;
	struct kstat *ks;
	uint64_t seq;			/* index among the side's records */
	uint64_t win;			/* --reorder window; 0 if none */
	unsigned line;
	bool has_time;
	uint64_t time;
	bool known;
	unsigned nfields;
	struct trace_field *fields;
	char *kind;
	char *text;
};

struct lane {
	struct lane *next;	/* hash chain */
	char *key;
	bool windowed;
	struct prec *head[2], *tail[2];
	unsigned len[2];
};

struct side {
	struct trace_reader *r;
	bool eof;
	uint64_t seq;		/* compared records read */
	uint64_t win;		/* current window */
	struct prec *ghead, *gtail;
	unsigned npending;
};

/* A divergence kept for printing. */
struct divg {
	uint64_t seq;
	int side;
	char *msg;	/* everything after "first divergence: " */
};

struct table {
	void **b;	/* buckets; the chained structs start with next */
	size_t nb, n;
};

struct diff {
	const struct trace_diff_opts *o;
	struct list only, ignore, fields;
	struct side s[2];
	struct table lanes, kinds;
	struct divg *heap;
	unsigned nheap, heapcap, maxheap;
	uint64_t since_sweep;
	bool oom;
};

static const char *const label[2] = { "A", "B" };

/* Hash tables of struct lane / struct kstat, chained through next. */
static void *table_find(struct table *t, const char *key, bool lane)
{
	size_t i;

	if (!t->nb)
		return NULL;
	i = hash_str(key) & (t->nb - 1);
	for (void *p = t->b[i]; p;) {
		if (lane) {
			struct lane *l = p;

			if (!strcmp(l->key, key))
				return l;
			p = l->next;
		} else {
			struct kstat *k = p;

			if (!strcmp(k->c.kind, key))
				return k;
			p = k->next;
		}
	}
	return NULL;
}

static bool table_add(struct table *t, void *item, const char *key,
		      bool lane)
{
	size_t i;

	if (t->n + 1 > t->nb * 2) {
		size_t nb = t->nb ? t->nb * 4 : 64;
		void **b = calloc(nb, sizeof(*b));

		if (!b)
			return false;
		for (size_t j = 0; j < t->nb; j++) {
			void *p = t->b[j];

			while (p) {
				void *next;
				const char *k;

				if (lane) {
					next = ((struct lane *)p)->next;
					k = ((struct lane *)p)->key;
				} else {
					next = ((struct kstat *)p)->next;
					k = ((struct kstat *)p)->c.kind;
				}
				i = hash_str(k) & (nb - 1);
				if (lane)
					((struct lane *)p)->next = b[i];
				else
					((struct kstat *)p)->next = b[i];
				b[i] = p;
				p = next;
			}
		}
		free(t->b);
		t->b = b;
		t->nb = nb;
	}
	i = hash_str(key) & (t->nb - 1);
	if (lane)
		((struct lane *)item)->next = t->b[i];
	else
		((struct kstat *)item)->next = t->b[i];
	t->b[i] = item;
	t->n++;
	return true;
}

static struct kstat *get_kstat(struct diff *d, const char *kind)
{
	struct kstat *k = table_find(&d->kinds, kind, false);

	if (k)
		return k;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->c.kind = strdup(kind);
	if (!k->c.kind || !table_add(&d->kinds, k, kind, false)) {
		free(k->c.kind);
		free(k);
		return NULL;
	}
	return k;
}

static struct lane *get_lane(struct diff *d, const char *key, bool windowed)
{
	struct lane *l = table_find(&d->lanes, key, true);

	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->key = strdup(key);
	l->windowed = windowed;
	if (!l->key || !table_add(&d->lanes, l, key, true)) {
		free(l->key);
		free(l);
		return NULL;
	}
	return l;
}

/* --- comparing two records --------------------------------------------- */

static bool field_ignored(const struct diff *d, const char *name)
{
	if (d->o->ignore_time && !strcmp(name, "latency"))
		return true;
	return list_has(&d->fields, name);
}

static const char *prec_get(const struct prec *p, const char *name)
{
	for (unsigned i = 0; i < p->nfields; i++)
		if (!strcmp(p->fields[i].name, name))
			return p->fields[i].value;
	return NULL;
}

/* One number or ':'-separated part; false if not a number. */
static bool part_num(const char *s, size_t n, uint64_t *v)
{
	char buf[72];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return trace_parse_u64(buf, v);
}

/*
 * Values of a known kind: equal as text, or as numbers (0x10 == 16),
 * part by part for ':'-separated words (rec); data is hex bytes, equal
 * whatever the case of the digits.
 */
static bool value_equal(const char *name, const char *x, const char *y,
			bool known)
{
	if (!strcmp(x, y))
		return true;
	if (!known)
		return false;
	if (!strcmp(name, "data"))
		return !strcasecmp(x, y);
	for (;;) {
		const char *ex = strchr(x, ':'), *ey = strchr(y, ':');
		size_t nx = ex ? (size_t)(ex - x) : strlen(x);
		size_t ny = ey ? (size_t)(ey - y) : strlen(y);
		uint64_t vx, vy;

		if (!ex != !ey)
			return false;
		if (part_num(x, nx, &vx) && part_num(y, ny, &vy)) {
			if (vx != vy)
				return false;
		} else if (nx != ny || memcmp(x, y, nx)) {
			return false;
		}
		if (!ex)
			return true;
		x = ex + 1;
		y = ey + 1;
	}
}

/*
 * Compare a with b (same lane). True if they agree; otherwise, with desc,
 * describe how: "time: 1 vs 2; field oa: 0x1 vs 0x2".
 */
static bool compare(const struct diff *d, const struct prec *a,
		    const struct prec *b, struct strbuf *desc)
{
	bool strict = d->o->strict || !a->known;
	bool same = true;
	const char *sep = "";

	if (strcmp(a->kind, b->kind)) {
		if (desc)
			sb_printf(desc, "kind %s vs %s", a->kind, b->kind);
		return false;
	}
	if (!d->o->ignore_time) {
		bool differ;

		if (a->has_time && b->has_time)
			differ = a->time != b->time;
		else
			differ = strict && a->has_time != b->has_time;
		if (differ) {
			same = false;
			if (!desc)
				return false;
			if (a->has_time)
				sb_printf(desc, "time: %" PRIu64 " vs ",
					  a->time);
			else
				sb_printf(desc, "time: - vs ");
			if (b->has_time)
				sb_printf(desc, "%" PRIu64, b->time);
			else
				sb_printf(desc, "-");
			sep = "; ";
		}
	}
	for (unsigned i = 0; i < a->nfields; i++) {
		const char *n = a->fields[i].name, *va = a->fields[i].value;
		const char *vb;

		if (field_ignored(d, n))
			continue;
		vb = prec_get(b, n);
		if (vb ? value_equal(n, va, vb, a->known) : !strict)
			continue;
		same = false;
		if (!desc)
			return false;
		sb_printf(desc, "%sfield %s: %s vs %s", sep, n, va,
			  vb ? vb : "absent");
		sep = "; ";
	}
	if (!strict)
		return same;
	for (unsigned i = 0; i < b->nfields; i++) {
		const char *n = b->fields[i].name;

		if (field_ignored(d, n) || prec_get(a, n))
			continue;
		same = false;
		if (!desc)
			return false;
		sb_printf(desc, "%sfield %s: absent vs %s", sep, n,
			  b->fields[i].value);
		sep = "; ";
	}
	return same;
}

/* --- divergences ------------------------------------------------------- */

static bool divg_before(const struct divg *x, const struct divg *y)
{
	if (x->seq != y->seq)
		return x->seq < y->seq;
	return x->side < y->side;
}

static void heap_swap(struct divg *h, unsigned i, unsigned j)
{
	struct divg t = h[i];

	h[i] = h[j];
	h[j] = t;
}

/* Max-heap on file order: the root is the latest kept divergence. */
static void heap_up(struct divg *h, unsigned i)
{
	while (i) {
		unsigned p = (i - 1) / 2;

		if (!divg_before(&h[p], &h[i]))
			break;
		heap_swap(h, p, i);
		i = p;
	}
}

static void heap_down(struct divg *h, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && divg_before(&h[m], &h[l]))
			m = l;
		if (r < n && divg_before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

/* Would a divergence at (seq, side) be among the o->max first so far? */
static bool wanted(const struct diff *d, uint64_t seq, int side)
{
	struct divg v = { seq, side, NULL };

	if (!d->maxheap)
		return false;
	return d->nheap < d->maxheap || divg_before(&v, &d->heap[0]);
}

/* Keep a divergence that wanted() asked for; msg is consumed. */
static void keep_divergence(struct diff *d, uint64_t seq, int side,
			    struct strbuf *msg)
{
	struct divg v = { seq, side, msg->s };

	msg->s = NULL;
	if (msg->oom) {
		d->oom = true;
		free(v.msg);
		return;
	}
	if (d->nheap < d->maxheap) {
		if (d->nheap == d->heapcap) {
			unsigned cap = d->heapcap ? d->heapcap * 2 : 16;
			struct divg *h;

			if (cap > d->maxheap)
				cap = d->maxheap;
			h = realloc(d->heap, cap * sizeof(*h));
			if (!h) {
				d->oom = true;
				free(v.msg);
				return;
			}
			d->heap = h;
			d->heapcap = cap;
		}
		d->heap[d->nheap] = v;
		heap_up(d->heap, d->nheap++);
		return;
	}
	if (divg_before(&v, &d->heap[0])) {
		free(d->heap[0].msg);
		d->heap[0] = v;
		heap_down(d->heap, d->nheap, 0);
	} else {
		free(v.msg);
	}
}

static void put_line(struct strbuf *m, int side, const struct prec *p)
{
	sb_printf(m, "\n  %s:%u: %s", label[side], p->line, p->text);
}

/* --- pending records --------------------------------------------------- */

static void prec_free(struct prec *p)
{
	free(p);
}

/* Take the head of its lane queue off the waiting lists and free it. */
static void pop(struct diff *d, int side, struct prec *p)
{
	struct lane *l = p->lane;
	struct side *s = &d->s[side];

	l->head[side] = p->lnext;
	if (!l->head[side])
		l->tail[side] = NULL;
	l->len[side]--;
	if (p->gprev)
		p->gprev->gnext = p->gnext;
	else
		s->ghead = p->gnext;
	if (p->gnext)
		p->gnext->gprev = p->gprev;
	else
		s->gtail = p->gprev;
	s->npending--;
	prec_free(p);
}

static void unmatched(struct diff *d, int side, struct prec *p)
{
	struct strbuf m = { 0 };

	if (side == 0)
		p->ks->c.only_a++;
	else
		p->ks->c.only_b++;
	if (wanted(d, p->seq, side)) {
		sb_printf(&m, "%s:%u: %s only in %s", label[side], p->line,
			  p->kind, label[side]);
		put_line(&m, side, p);
		keep_divergence(d, p->seq, side, &m);
	}
	pop(d, side, p);
}

static void paired(struct diff *d, struct prec *a, struct prec *b,
		   bool same)
{
	if (same) {
		a->ks->c.matched++;
	} else {
		uint64_t seq = a->seq < b->seq ? a->seq : b->seq;
		struct strbuf m = { 0 };

		a->ks->c.differing++;
		if (wanted(d, seq, 0)) {
			sb_printf(&m, "A:%u vs B:%u: %s ", a->line, b->line,
				  a->kind);
			compare(d, a, b, &m);
			put_line(&m, 0, a);
			put_line(&m, 1, b);
			keep_divergence(d, seq, 0, &m);
		}
	}
	pop(d, 0, a);
	pop(d, 1, b);
}

/* Side has read everything that could still pair with window win. */
static bool finalized(const struct diff *d, int side, const struct lane *l,
		      uint64_t win)
{
	return d->s[side].eof || (l->windowed && d->s[side].win > win);
}

/*
 * Look for the head of the other side further down this side's queue, in
 * the same window: its position (1..), 0 if not found.
 */
static unsigned find_ahead(const struct diff *d, const struct prec *q,
			   const struct prec *want, bool want_is_a)
{
	unsigned i = 0;

	for (q = q->lnext, i = 1; q && i <= LOOKAHEAD; q = q->lnext, i++) {
		if (q->win != want->win)
			break;
		if (want_is_a ? compare(d, want, q, NULL) :
				compare(d, q, want, NULL))
			return i;
	}
	return 0;
}

/*
 * Pair what can be paired in a lane. With until set, decide without
 * waiting until that record has been dealt with.
 */
static void resolve(struct diff *d, struct lane *l, const struct prec *until)
{
	for (;;) {
		struct prec *a = l->head[0], *b = l->head[1];
		bool force = until != NULL;
		unsigned i, j;

		if (d->oom)
			return;
		if (!a && !b)
			return;
		if (!a || !b) {
			int side = a ? 0 : 1;
			struct prec *x = a ? a : b;

			if (!force && !finalized(d, !side, l, x->win))
				return;
			if (x == until)
				until = NULL;
			unmatched(d, side, x);
			continue;
		}
		if (a->win != b->win) {
			int side = a->win < b->win ? 0 : 1;
			struct prec *x = side ? b : a;

			if (x == until)
				until = NULL;
			unmatched(d, side, x);
			continue;
		}
		if (compare(d, a, b, NULL)) {
			if (a == until || b == until)
				until = NULL;
			paired(d, a, b, true);
			continue;
		}
		/* A record more on one side? Re-align on the nearest. */
		i = find_ahead(d, a, b, false);
		j = find_ahead(d, b, a, true);
		if (i && (!j || i <= j)) {
			while (i--) {
				if (l->head[0] == until)
					until = NULL;
				unmatched(d, 0, l->head[0]);
			}
			continue;
		}
		if (j) {
			while (j--) {
				if (l->head[1] == until)
					until = NULL;
				unmatched(d, 1, l->head[1]);
			}
			continue;
		}
		if (!force && l->len[0] <= LOOKAHEAD &&
		    l->len[1] <= LOOKAHEAD &&
		    !(finalized(d, 0, l, a->win) && finalized(d, 1, l, a->win)))
			return;
		if (a == until || b == until)
			until = NULL;
		if (strcmp(a->kind, b->kind)) {
			/* MMIO_R against MMIO_W: neither has a counterpart */
			unmatched(d, 0, a);
			unmatched(d, 1, b);
		} else {
			paired(d, a, b, false);
		}
	}
}

static void resolve_all(struct diff *d, bool windowed_only)
{
	for (size_t i = 0; i < d->lanes.nb; i++)
		for (struct lane *l = d->lanes.b[i]; l; l = l->next)
			if ((l->head[0] || l->head[1]) &&
			    (!windowed_only || l->windowed))
				resolve(d, l, NULL);
}

/* The lane of a record: its kind, or kind and StreamID with --reorder. */
static struct lane *lane_of(struct diff *d, const struct trace_rec *rec,
			    enum kind_class cls)
{
	char key[160];
	const char *sid;
	uint64_t v;

	if (!strcmp(rec->kind, "MMIO_R") || !strcmp(rec->kind, "MMIO_W"))
		return get_lane(d, "MMIO", false);
	if (!d->o->reorder || cls != KC_REORDER)
		return get_lane(d, rec->kind, false);
	sid = trace_rec_get(rec, "sid");
	if (!sid)
		snprintf(key, sizeof(key), "%s", rec->kind);
	else if (trace_parse_u64(sid, &v))
		snprintf(key, sizeof(key), "%s#%" PRIx64, rec->kind, v);
	else
		snprintf(key, sizeof(key), "%s#?%.64s", rec->kind, sid);
	return get_lane(d, key, true);
}

static struct prec *prec_new(const struct trace_rec *rec)
{
	size_t size = sizeof(struct prec) +
		      rec->nfields * sizeof(struct trace_field);
	size_t tlen = strlen(rec->text) + 1, klen = strlen(rec->kind) + 1;
	struct prec *p;
	char *s;

	size += tlen + klen;
	for (unsigned i = 0; i < rec->nfields; i++)
		size += strlen(rec->fields[i].name) +
			strlen(rec->fields[i].value) + 2;
	p = calloc(1, size);
	if (!p)
		return NULL;
	p->fields = (struct trace_field *)(p + 1);
	s = (char *)(p->fields + rec->nfields);
	p->text = memcpy(s, rec->text, tlen);
	s += tlen;
	p->kind = memcpy(s, rec->kind, klen);
	s += klen;
	for (unsigned i = 0; i < rec->nfields; i++) {
		size_t n = strlen(rec->fields[i].name) + 1;
		size_t v = strlen(rec->fields[i].value) + 1;

		p->fields[i].name = memcpy(s, rec->fields[i].name, n);
		s += n;
		p->fields[i].value = memcpy(s, rec->fields[i].value, v);
		s += v;
		p->fields[i].col = rec->fields[i].col;
	}
	p->nfields = rec->nfields;
	p->line = rec->line;
	p->has_time = rec->has_time;
	p->time = rec->time;
	return p;
}

static bool compared(const struct diff *d, const char *kind)
{
	if (d->only.n && !list_has(&d->only, kind))
		return false;
	return !list_has(&d->ignore, kind);
}

/*
 * Read the next compared record of a side into its lane: 1 done, 0 end of
 * the trace, -1 error.
 */
static int read_one(struct diff *d, int side, char *err, size_t errlen)
{
	struct side *s = &d->s[side];
	struct trace_rec rec;
	enum kind_class cls;
	struct lane *l;
	struct prec *p;
	int rc;

	do {
		rc = trace_reader_next(s->r, &rec, err, errlen);
		if (rc <= 0)
			return rc;
	} while (!compared(d, rec.kind));
	cls = classify(rec.kind);
	p = prec_new(&rec);
	l = p ? lane_of(d, &rec, cls) : NULL;
	if (p)
		p->ks = get_kstat(d, rec.kind);
	if (!p || !l || !p->ks) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (side == 0)
		p->ks->c.a++;
	else
		p->ks->c.b++;
	p->known = cls != KC_UNKNOWN;
	p->lane = l;
	p->seq = s->seq++;
	p->win = l->windowed ? s->win : 0;
	if (d->o->reorder && cls == KC_SYNC)
		s->win++;
	if (l->tail[side])
		l->tail[side]->lnext = p;
	else
		l->head[side] = p;
	l->tail[side] = p;
	l->len[side]++;
	p->gprev = s->gtail;
	if (s->gtail)
		s->gtail->gnext = p;
	else
		s->ghead = p;
	s->gtail = p;
	s->npending++;
	resolve(d, l, NULL);
	/* too much waiting: decide the oldest */
	while (s->npending > PENDING_MAX && !d->oom)
		resolve(d, s->ghead->lane, s->ghead);
	if (d->o->reorder && ++d->since_sweep >= SWEEP_EVERY) {
		d->since_sweep = 0;
		resolve_all(d, true);
	}
	return 1;
}

/* --- output ------------------------------------------------------------ */

static int cmp_count(const void *x, const void *y)
{
	const struct trace_diff_count *a = x, *b = y;

	return strcmp(a->kind, b->kind);
}

static bool build_summary(struct diff *d, struct trace_diff_summary *sum)
{
	unsigned n = 0;

	memset(sum, 0, sizeof(*sum));
	sum->kinds = calloc(d->kinds.n ? d->kinds.n : 1, sizeof(*sum->kinds));
	if (!sum->kinds)
		return false;
	for (size_t i = 0; i < d->kinds.nb; i++) {
		for (struct kstat *k = d->kinds.b[i]; k; k = k->next) {
			struct trace_diff_count *c = &sum->kinds[n++];

			*c = k->c;
			c->kind = k->c.kind;
			k->c.kind = NULL; /* moved */
			sum->total.a += c->a;
			sum->total.b += c->b;
			sum->total.matched += c->matched;
			sum->total.differing += c->differing;
			sum->total.only_a += c->only_a;
			sum->total.only_b += c->only_b;
		}
	}
	sum->nkinds = n;
	if (n)
		qsort(sum->kinds, n, sizeof(*sum->kinds), cmp_count);
	sum->divergences = sum->total.differing + sum->total.only_a +
			   sum->total.only_b;
	return true;
}

static int cmp_divg(const void *x, const void *y)
{
	const struct divg *a = x, *b = y;

	return divg_before(a, b) ? -1 : divg_before(b, a);
}

static void put_row(FILE *out, int w, const char *name,
		    const struct trace_diff_count *c)
{
	fprintf(out, "%-*s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10"
		     PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
		w, name, c->a, c->b, c->matched, c->differing, c->only_a,
		c->only_b);
}

static void print_report(struct diff *d, FILE *out,
			 const struct trace_diff_summary *sum)
{
	int w = 11; /* ATC_INV_CPL */

	if (d->nheap)
		qsort(d->heap, d->nheap, sizeof(*d->heap), cmp_divg);
	for (unsigned i = 0; i < d->nheap; i++) {
		if (i == 0)
			fprintf(out, "first divergence: %s\n", d->heap[i].msg);
		else
			fprintf(out, "divergence %u: %s\n", i + 1,
				d->heap[i].msg);
	}
	if (sum->divergences > d->nheap)
		fprintf(out, "(%" PRIu64 " more divergence%s not shown: "
			     "--max N shows more)\n",
			sum->divergences - d->nheap,
			sum->divergences - d->nheap == 1 ? "" : "s");
	if (d->nheap || sum->divergences)
		fputc('\n', out);
	fprintf(out, "A: %s\nB: %s\n", trace_reader_name(d->s[0].r),
		trace_reader_name(d->s[1].r));
	for (unsigned i = 0; i < sum->nkinds; i++)
		if ((int)strlen(sum->kinds[i].kind) > w)
			w = (int)strlen(sum->kinds[i].kind);
	fprintf(out, "%-*s %10s %10s %10s %10s %10s %10s\n", w, "kind", "A",
		"B", "matched", "differing", "only A", "only B");
	for (unsigned i = 0; i < sum->nkinds; i++)
		put_row(out, w, sum->kinds[i].kind, &sum->kinds[i]);
	put_row(out, w, "total", &sum->total);
	if (sum->divergences)
		fprintf(out, "traces differ: %" PRIu64 " divergence%s\n",
			sum->divergences, sum->divergences == 1 ? "" : "s");
	else
		fprintf(out, "traces agree\n");
}

/* --- entry points ------------------------------------------------------ */

static bool parse_opts(const struct trace_diff_opts *o, struct list *only,
		       struct list *ignore, struct list *fields, char *err,
		       size_t errlen)
{
	if (o->only && !list_parse("--only", o->only, kind_char, kind_first,
				   "a record kind ([A-Z][A-Z0-9_]*)", only,
				   err, errlen))
		return false;
	if (o->ignore && !list_parse("--ignore", o->ignore, kind_char,
				     kind_first,
				     "a record kind ([A-Z][A-Z0-9_]*)",
				     ignore, err, errlen))
		goto fail;
	if (o->ignore_fields &&
	    !list_parse("--ignore-field", o->ignore_fields, field_char,
			field_char, "a field name ([a-z0-9_]+)", fields, err,
			errlen))
		goto fail;
	return true;
fail:
	list_free(only);
	list_free(ignore);
	return false;
}

bool trace_diff_check_opts(const struct trace_diff_opts *o, char *err,
			   size_t errlen)
{
	struct list a = { 0 }, b = { 0 }, c = { 0 };

	if (!parse_opts(o, &a, &b, &c, err, errlen))
		return false;
	list_free(&a);
	list_free(&b);
	list_free(&c);
	return true;
}

static void diff_free(struct diff *d)
{
	for (size_t i = 0; i < d->lanes.nb; i++) {
		struct lane *l = d->lanes.b[i];

		while (l) {
			struct lane *next = l->next;

			free(l->key);
			free(l);
			l = next;
		}
	}
	for (int s = 0; s < 2; s++) {
		struct prec *p = d->s[s].ghead;

		while (p) {
			struct prec *next = p->gnext;

			prec_free(p);
			p = next;
		}
	}
	for (size_t i = 0; i < d->kinds.nb; i++) {
		struct kstat *k = d->kinds.b[i];

		while (k) {
			struct kstat *next = k->next;

			free(k->c.kind);
			free(k);
			k = next;
		}
	}
	free(d->lanes.b);
	free(d->kinds.b);
	for (unsigned i = 0; i < d->nheap; i++)
		free(d->heap[i].msg);
	free(d->heap);
	list_free(&d->only);
	list_free(&d->ignore);
	list_free(&d->fields);
}

int trace_diff(struct trace_reader *a, struct trace_reader *b,
	       const struct trace_diff_opts *o, FILE *out,
	       struct trace_diff_summary *sum, char *err, size_t errlen)
{
	struct diff d = { .o = o };
	struct trace_diff_summary local;
	int ret = -1;

	if (sum)
		memset(sum, 0, sizeof(*sum));
	if (!parse_opts(o, &d.only, &d.ignore, &d.fields, err, errlen))
		return -1;
	d.s[0].r = a;
	d.s[1].r = b;
	d.maxheap = o->max;
	while (!d.s[0].eof || !d.s[1].eof) {
		for (int side = 0; side < 2; side++) {
			int rc;

			if (d.s[side].eof)
				continue;
			rc = read_one(&d, side, err, errlen);
			if (rc < 0)
				goto out;
			if (rc == 0) {
				d.s[side].eof = true;
				resolve_all(&d, false);
			}
			if (d.oom)
				goto oom;
		}
	}
	resolve_all(&d, false);
	if (d.oom)
		goto oom;
	if (!build_summary(&d, &local))
		goto oom;
	if (out)
		print_report(&d, out, &local);
	ret = local.divergences ? 1 : 0;
	if (sum)
		*sum = local;
	else
		trace_diff_summary_free(&local);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	ret = -1;
out:
	diff_free(&d);
	return ret;
}

void trace_diff_summary_free(struct trace_diff_summary *sum)
{
	if (!sum)
		return;
	for (unsigned i = 0; i < sum->nkinds; i++)
		free(sum->kinds[i].kind);
	free(sum->kinds);
	memset(sum, 0, sizeof(*sum));
}
