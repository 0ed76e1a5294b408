/* SPDX-License-Identifier: MIT */
/*
 * The trace reader (docs/trace-format.md, "Lines"): a streaming line
 * reader over a FILE or a block of memory, the header check and the
 * record tokenizer.
 */
#define _POSIX_C_SOURCE 200809L
#include "xcheck/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define IOBUF_SIZE (64u * 1024u)
#define ERR_SIZE 1024

struct trace_hdr {
	char *key;
	char *value;
	unsigned line;
};

struct trace_reader {
	char *name;
	FILE *f;		/* NULL for memory */
	bool own_f;
	/* input block: the FILE's buffer or the caller's memory */
	const char *in;
	size_t inpos, inlen;
	char *iobuf;
	bool eof;
	/* the current line and its tokenized copy */
	char *line, *work;
	size_t linecap, linelen;
	unsigned lineno;
	bool pending;		/* line holds a record read ahead by open */
	struct trace_field *fields;
	unsigned fieldcap;
	unsigned version;
	struct trace_hdr *hdrs;
	unsigned nhdrs;
	bool have_time;
	uint64_t last_time;
	unsigned last_time_line;
	bool failed;
	char err[ERR_SIZE];
};

static void set_err(struct trace_reader *r, unsigned col, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/* "NAME:LINE:COL: message", or "NAME: message" for col 0. Sticky. */
static void set_err(struct trace_reader *r, unsigned col, const char *fmt,
		    ...)
{
	va_list ap;
	int n;

	if (col)
		n = snprintf(r->err, sizeof(r->err), "%s:%u:%u: ", r->name,
			     r->lineno, col);
	else
		n = snprintf(r->err, sizeof(r->err), "%s: ", r->name);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->failed = true;
}

static void copy_err(char *dst, size_t len, const char *src)
{
	if (len)
		snprintf(dst, len, "%s", src);
}

bool trace_parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (x > (UINT64_MAX - d) / base)
			return false;
		x = x * base + d;
	}
	*v = x;
	return true;
}

/* Refill the input block: 1 more input, 0 end of input, -1 read error. */
static int fill(struct trace_reader *r)
{
	size_t n;

	if (!r->f || r->eof)
		return 0;
	n = fread(r->iobuf, 1, IOBUF_SIZE, r->f);
	r->in = r->iobuf;
	r->inpos = 0;
	r->inlen = n;
	if (n)
		return 1;
	if (ferror(r->f)) {
		set_err(r, 0, "read error: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	r->eof = true;
	return 0;
}

static bool grow_line(struct trace_reader *r, size_t need)
{
	size_t cap = r->linecap ? r->linecap : 256;
	char *l, *w;

	if (need <= r->linecap)
		return true;
	while (cap < need)
		cap *= 2;
	l = realloc(r->line, cap);
	if (!l)
		goto oom;
	r->line = l;
	w = realloc(r->work, cap);
	if (!w)
		goto oom;
	r->work = w;
	r->linecap = cap;
	return true;
oom:
	set_err(r, 0, "out of memory");
	return false;
}

/*
 * Read the next line into r->line (NUL-terminated, without "\n" or
 * "\r\n"): 1 a line, 0 end of input, -1 error (set in r->err).
 */
static int read_line(struct trace_reader *r)
{
	size_t len = 0;
	bool any = false;

	for (;;) {
		const char *s, *nl;
		size_t avail, n;

		if (r->inpos == r->inlen) {
			int f = fill(r);

			if (f < 0)
				return -1;
			if (f == 0) {
				if (!any)
					return 0;
				break;
			}
		}
		s = r->in + r->inpos;
		avail = r->inlen - r->inpos;
		nl = memchr(s, '\n', avail);
		n = nl ? (size_t)(nl - s) : avail;
		any = true;
		/* room for a '\r' before the '\n' */
		if (len + n > TRACE_LINE_MAX + 1) {
			r->lineno++;
			set_err(r, TRACE_LINE_MAX + 1,
				"line longer than 1 MiB (%u bytes)",
				TRACE_LINE_MAX);
			return -1;
		}
		if (!grow_line(r, len + n + 1))
			return -1;
		memcpy(r->line + len, s, n);
		len += n;
		r->inpos += n + (nl ? 1 : 0);
		if (nl)
			break;
	}
	r->lineno++;
	if (len && r->line[len - 1] == '\r')
		len--;
	if (len > TRACE_LINE_MAX) {
		set_err(r, TRACE_LINE_MAX + 1,
			"line longer than 1 MiB (%u bytes)", TRACE_LINE_MAX);
		return -1;
	}
	r->line[len] = '\0';
	r->linelen = len;
	if (memchr(r->line, '\0', len)) {
		set_err(r, (unsigned)strlen(r->line) + 1, "NUL byte in line");
		return -1;
	}
	return 1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static bool is_blank(const char *p)
{
	return !*skip_space(p);
}

static bool is_comment(const char *p)
{
	return *skip_space(p) == '#';
}

static unsigned col_of(const struct trace_reader *r, const char *p)
{
	return (unsigned)(p - r->line) + 1;
}

/* The first non-empty line: "# smmusim-trace N". */
static bool check_header(struct trace_reader *r)
{
	static const char magic[] = "smmusim-trace";
	const char *p = skip_space(r->line), *v;
	unsigned long n = 0;

	if (*p != '#')
		goto bad;
	p = skip_space(p + 1);
	if (strncmp(p, magic, sizeof(magic) - 1))
		goto bad;
	p += sizeof(magic) - 1;
	if (!is_space(*p))
		goto bad;
	v = skip_space(p);
	for (p = v; *p >= '0' && *p <= '9'; p++)
		if (n < 1000000)
			n = n * 10 + (unsigned long)(*p - '0');
	if (p == v || !is_blank(p)) {
		const char *e = v;

		while (*e && !is_space(*e))
			e++;
		set_err(r, col_of(r, v), "bad trace format version '%.*s'",
			(int)(e - v), v);
		return false;
	}
	if (n > TRACE_VERSION) {
		set_err(r, col_of(r, v),
			"trace format version %.*s is newer than this reader "
			"knows (%u)", (int)(p - v), v, TRACE_VERSION);
		return false;
	}
	r->version = (unsigned)n;
	return true;
bad:
	set_err(r, 1, "not a smmusim trace: the first line is not "
		      "'# smmusim-trace N'");
	return false;
}

/* "# key: value" before the first record; other comments are ignored. */
static bool add_header(struct trace_reader *r)
{
	const char *p = skip_space(skip_space(r->line) + 1), *k = p, *v, *e;
	struct trace_hdr *h;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
		p++;
	if (p == k || *p != ':')
		return true;
	v = skip_space(p + 1);
	e = v + strlen(v);
	while (e > v && is_space(e[-1]))
		e--;
	h = realloc(r->hdrs, (r->nhdrs + 1) * sizeof(*h));
	if (!h)
		goto oom;
	r->hdrs = h;
	h += r->nhdrs;
	h->key = strndup(k, (size_t)(p - k));
	h->value = strndup(v, (size_t)(e - v));
	h->line = r->lineno;
	if (!h->key || !h->value) {
		free(h->key);
		free(h->value);
		goto oom;
	}
	r->nhdrs++;
	return true;
oom:
	set_err(r, 0, "out of memory");
	return false;
}

static struct trace_reader *reader_new(const char *name, char *err,
				       size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->name = strdup(name);
	if (!r || !r->name) {
		free(r);
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	return r;
}

/* Header, header comments, and read ahead to the first record. */
static struct trace_reader *reader_start(struct trace_reader *r, char *err,
					 size_t errlen)
{
	int rc;

	for (;;) {
		rc = read_line(r);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			r->lineno++;
			set_err(r, 1, "empty file: no '# smmusim-trace N' "
				      "header");
			goto fail;
		}
		if (!is_blank(r->line))
			break;
	}
	if (!check_header(r))
		goto fail;
	/* Errors past the header are left for trace_reader_next(). */
	while ((rc = read_line(r)) > 0) {
		if (is_blank(r->line))
			continue;
		if (!is_comment(r->line)) {
			r->pending = true;
			break;
		}
		if (!add_header(r))
			break;
	}
	return r;
fail:
	copy_err(err, errlen, r->err);
	trace_reader_close(r);
	return NULL;
}

struct trace_reader *trace_reader_open(const char *path, char *err,
				       size_t errlen)
{
	bool std = !strcmp(path, "-");
	struct trace_reader *r = reader_new(std ? "<stdin>" : path, err,
					    errlen);

	if (!r)
		return NULL;
	r->iobuf = malloc(IOBUF_SIZE);
	if (!r->iobuf) {
		copy_err(err, errlen, "out of memory");
		trace_reader_close(r);
		return NULL;
	}
	if (std) {
		r->f = stdin;
	} else {
		r->f = fopen(path, "rb");
		if (!r->f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			trace_reader_close(r);
			return NULL;
		}
		r->own_f = true;
	}
	return reader_start(r, err, errlen);
}

struct trace_reader *trace_reader_open_mem(const char *text, size_t len,
					   const char *name, char *err,
					   size_t errlen)
{
	struct trace_reader *r = reader_new(name ? name : "<memory>", err,
					    errlen);

	if (!r)
		return NULL;
	r->in = text;
	r->inlen = len;
	return reader_start(r, err, errlen);
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_f)
		fclose(r->f);
	for (unsigned i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].key);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	free(r->fields);
	free(r->line);
	free(r->work);
	free(r->iobuf);
	free(r->name);
	free(r);
}

unsigned trace_reader_version(const struct trace_reader *r)
{
	return r->version;
}

const char *trace_reader_name(const struct trace_reader *r)
{
	return r->name;
}

static const struct trace_hdr *find_hdr(const struct trace_reader *r,
					const char *key)
{
	for (unsigned i = 0; i < r->nhdrs; i++)
		if (!strcmp(r->hdrs[i].key, key))
			return &r->hdrs[i];
	return NULL;
}

const char *trace_reader_header(const struct trace_reader *r,
				const char *key)
{
	const struct trace_hdr *h = find_hdr(r, key);

	return h ? h->value : NULL;
}

unsigned trace_reader_header_line(const struct trace_reader *r,
				  const char *key)
{
	const struct trace_hdr *h = find_hdr(r, key);

	return h ? h->line : 0;
}

/* --- records ----------------------------------------------------------- */

static bool valid_kind(const char *k)
{
	if (!(*k >= 'A' && *k <= 'Z'))
		return false;
	for (k++; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
		      *k == '_'))
			return false;
	return true;
}

static bool valid_field_name(const char *n)
{
	if (!*n)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') ||
		      *n == '_'))
			return false;
	return true;
}

static int cmp_field_name(const void *x, const void *y)
{
	const struct trace_field *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->col < b->col ? -1 : a->col > b->col;
}

/*
 * The first field (in line order) whose name an earlier field has: its
 * index, with *first the earlier one's column; -1 if none. Sorting keeps
 * long lines from costing n^2.
 */
static int find_duplicate(struct trace_reader *r, unsigned n,
			  unsigned *first)
{
	struct trace_field *s;
	unsigned best_col = 0;
	int best = -1;

	if (n <= 16) {
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = 0; j < i; j++)
				if (!strcmp(r->fields[i].name,
					    r->fields[j].name)) {
					*first = r->fields[j].col;
					return (int)i;
				}
		return -1;
	}
	s = malloc(n * sizeof(*s));
	if (!s)
		return -2;
	memcpy(s, r->fields, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_field_name);
	for (unsigned i = 1; i < n; i++) {
		/* s[i-1] starts a group when it differs from s[i-2] */
		if (strcmp(s[i].name, s[i - 1].name))
			continue;
		if (i >= 2 && !strcmp(s[i - 1].name, s[i - 2].name))
			continue;
		if (best < 0 || s[i].col < best_col) {
			best_col = s[i].col;
			*first = s[i - 1].col;
			best = 0;
		}
	}
	free(s);
	if (best < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (r->fields[i].col == best_col)
			return (int)i;
	return -1;
}

/* Tokenize r->line into rec. false and r->err on a syntax error. */
static bool parse_record(struct trace_reader *r, struct trace_rec *rec)
{
	char *w = r->work, *p, *tok;
	unsigned n = 0, first = 0;
	int dup;

	memcpy(w, r->line, r->linelen + 1);
	memset(rec, 0, sizeof(*rec));
	rec->line = r->lineno;
	rec->text = r->line;
	rec->file = r->name;

	/* TIME */
	p = w;
	while (is_space(*p))
		p++;
	tok = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	if (!strcmp(tok, "-")) {
		rec->has_time = false;
	} else if (!trace_parse_u64(tok, &rec->time)) {
		set_err(r, (unsigned)(tok - w) + 1,
			"TIME '%s' is not a number or '-'", tok);
		return false;
	} else {
		rec->has_time = true;
		if (r->have_time && rec->time < r->last_time) {
			set_err(r, (unsigned)(tok - w) + 1,
				"TIME %" PRIu64 " is before the previous "
				"record's %" PRIu64 " (line %u)", rec->time,
				r->last_time, r->last_time_line);
			return false;
		}
		r->have_time = true;
		r->last_time = rec->time;
		r->last_time_line = r->lineno;
	}

	/* KIND */
	while (is_space(*p))
		p++;
	if (!*p) {
		set_err(r, (unsigned)(p - w) + 1, "record has no kind");
		return false;
	}
	tok = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	if (!valid_kind(tok)) {
		set_err(r, (unsigned)(tok - w) + 1,
			"bad record kind '%s': must be [A-Z][A-Z0-9_]*", tok);
		return false;
	}
	rec->kind = tok;

	/* FIELD=VALUE ... */
	for (;;) {
		char *eq;
		unsigned col;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		col = (unsigned)(tok - w) + 1;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
		eq = strchr(tok, '=');
		if (!eq) {
			set_err(r, col, "'%s' is not a field NAME=VALUE", tok);
			return false;
		}
		*eq = '\0';
		if (!valid_field_name(tok)) {
			set_err(r, col, "bad field name '%s': must be "
					"[a-z0-9_]+", tok);
			return false;
		}
		if (!eq[1]) {
			set_err(r, (unsigned)(eq + 1 - w) + 1,
				"field '%s' has an empty value", tok);
			return false;
		}
		if (n == r->fieldcap) {
			unsigned cap = r->fieldcap ? r->fieldcap * 2 : 16;
			struct trace_field *f = realloc(r->fields,
							cap * sizeof(*f));

			if (!f) {
				set_err(r, 0, "out of memory");
				return false;
			}
			r->fields = f;
			r->fieldcap = cap;
		}
		r->fields[n].name = tok;
		r->fields[n].value = eq + 1;
		r->fields[n].col = col;
		n++;
	}
	dup = find_duplicate(r, n, &first);
	if (dup == -2) {
		set_err(r, 0, "out of memory");
		return false;
	}
	if (dup >= 0) {
		set_err(r, r->fields[dup].col,
			"duplicate field '%s' (also at column %u)",
			r->fields[dup].name, first);
		return false;
	}
	rec->nfields = n;
	rec->fields = r->fields;
	return true;
}

int trace_reader_next(struct trace_reader *r, struct trace_rec *rec,
		      char *err, size_t errlen)
{
	for (;;) {
		if (r->failed) {
			copy_err(err, errlen, r->err);
			return -1;
		}
		if (r->pending) {
			r->pending = false;
		} else {
			int rc = read_line(r);

			if (rc < 0)
				continue;
			if (rc == 0)
				return 0;
		}
		if (is_blank(r->line) || is_comment(r->line))
			continue;
		if (parse_record(r, rec))
			return 1;
	}
}

const struct trace_field *trace_rec_field(const struct trace_rec *rec,
					  const char *name)
{
	for (unsigned i = 0; i < rec->nfields; i++)
		if (!strcmp(rec->fields[i].name, name))
			return &rec->fields[i];
	return NULL;
}

const char *trace_rec_get(const struct trace_rec *rec, const char *name)
{
	const struct trace_field *f = trace_rec_field(rec, name);

	return f ? f->value : NULL;
}

int trace_rec_num(const struct trace_rec *rec, const char *name,
		  uint64_t *v, char *err, size_t errlen)
{
	const struct trace_field *f = trace_rec_field(rec, name);

	if (!f || !strcmp(f->value, "-"))
		return 0;
	if (trace_parse_u64(f->value, v))
		return 1;
	if (errlen)
		snprintf(err, errlen, "%s:%u:%u: field '%s': '%s' is not a "
			 "number", rec->file ? rec->file : "?", rec->line,
			 f->col + (unsigned)strlen(f->name) + 1, name,
			 f->value);
	return -1;
}

bool trace_rec_u64(const struct trace_rec *rec, const char *name,
		   uint64_t *v)
{
	return trace_rec_num(rec, name, v, NULL, 0) == 1;
}
