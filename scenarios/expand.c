/* SPDX-License-Identifier: MIT */
/*
 * Sweeps (docs/scenarios.md "Sweeps"): `param NAME = v1, v2, ...` or
 * `param NAME = A..B step S` lines make a file a template; each
 * combination of values becomes one scenario text with ${NAME}
 * substituted. Param lines become blank lines so that every location in
 * an expanded text is the location in the template.
 */
#include "scenario.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 8
#define MAX_VALUES 1024
#define MAX_COMBINATIONS 100000u
#define MAX_EXPANDED_BYTES (UINT64_C(256) << 20)

struct param {
	char name[64];
	unsigned line;      /* where it is declared */
	char **values;
	unsigned nvalues;
};

static void xerr(char *err, size_t errlen, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void xerr(char *err, size_t errlen, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s:%u:%u: ", file, line, col);

	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void add_value(struct param *p, const char *s, size_t n)
{
	p->values = realloc(p->values, (p->nvalues + 1) * sizeof(*p->values));
	if (!p->values)
		abort();
	p->values[p->nvalues++] = dupn(s, n);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse the part after "param" on a line [p, end). */
static int parse_param(const char *file, unsigned line, const char *bol,
		       const char *p, const char *end, struct param *out,
		       char *err, size_t errlen)
{
	const char *name = skip_ws(p), *q = name;
	char buf[256];
	size_t len;

	memset(out, 0, sizeof(*out));
	out->line = line;
	while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
			   (*q >= '0' && *q <= '9') || *q == '_'))
		q++;
	if (q == name || (size_t)(q - name) >= sizeof(out->name)) {
		xerr(err, errlen, file, line, (unsigned)(name - bol) + 1,
		     "expected 'param NAME = values'");
		return -1;
	}
	memcpy(out->name, name, (size_t)(q - name));
	q = skip_ws(q);
	if (q >= end || *q != '=') {
		xerr(err, errlen, file, line, (unsigned)(q - bol) + 1,
		     "expected '=' after the parameter name");
		return -1;
	}
	q = skip_ws(q + 1);
	len = (size_t)(end - q);
	while (len && (q[len - 1] == ' ' || q[len - 1] == '\t' ||
		       q[len - 1] == '\r'))
		len--;
	{
		const char *hash = memchr(q, '#', len);

		if (hash) {
			len = (size_t)(hash - q);
			while (len && (q[len - 1] == ' ' || q[len - 1] == '\t'))
				len--;
		}
	}
	if (!len || len >= sizeof(buf)) {
		xerr(err, errlen, file, line, (unsigned)(q - bol) + 1,
		     len ? "value list too long" : "no values");
		return -1;
	}
	memcpy(buf, q, len);
	buf[len] = '\0';

	/* A..B step S */
	{
		char *dots = strstr(buf, "..");

		if (dots) {
			char *step = strstr(dots, " step ");
			uint64_t a, b, s = 1;

			*dots = '\0';
			if (step) {
				*step = '\0';
				step += 6;
			}
			if (!scn_parse_u64(buf, &a) ||
			    !scn_parse_u64(dots + 2, &b) ||
			    (step && (!scn_parse_u64(skip_ws(step), &s) || !s)) ||
			    b < a) {
				xerr(err, errlen, file, line,
				     (unsigned)(q - bol) + 1,
				     "expected 'A..B step S' with A <= B, S > 0");
				return -1;
			}
			if ((b - a) / s + 1 > MAX_VALUES) {
				xerr(err, errlen, file, line,
				     (unsigned)(q - bol) + 1,
				     "more than %u values", MAX_VALUES);
				return -1;
			}
			for (uint64_t v = a;; v += s) {
				char num[32];
				int n = snprintf(num, sizeof(num), "%llu",
						 (unsigned long long)v);

				add_value(out, num, (size_t)n);
				if (b - v < s)
					break;
			}
			return 0;
		}
	}
	/* v1, v2, ... */
	for (char *tok = buf; tok;) {
		char *comma = strchr(tok, ',');
		const char *v;
		size_t n;

		if (comma)
			*comma = '\0';
		v = skip_ws(tok);
		n = strlen(v);
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (!n) {
			xerr(err, errlen, file, line, (unsigned)(q - bol) + 1,
			     "empty value in the list");
			return -1;
		}
		if (out->nvalues >= MAX_VALUES) {
			xerr(err, errlen, file, line, (unsigned)(q - bol) + 1,
			     "more than %u values", MAX_VALUES);
			return -1;
		}
		add_value(out, v, n);
		tok = comma ? comma + 1 : NULL;
	}
	return 0;
}

static void free_params(struct param *ps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < ps[i].nvalues; k++)
			free(ps[i].values[k]);
		free(ps[i].values);
	}
}

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* Substitute one combination (idx[i] = value index of param i). */
static int substitute(const char *file, const char *text,
		      const struct param *ps, unsigned np, const unsigned *idx,
		      struct sbuf *out, char *err, size_t errlen)
{
	unsigned line = 1;
	const char *bol = text;

	for (const char *p = text; *p;) {
		if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p + 2, '}');
			unsigned i;

			if (!close || memchr(p, '\n', (size_t)(close - p))) {
				xerr(err, errlen, file, line,
				     (unsigned)(p - bol) + 1, "unterminated '${'");
				return -1;
			}
			for (i = 0; i < np; i++)
				if (strlen(ps[i].name) == (size_t)(close - p - 2) &&
				    !memcmp(ps[i].name, p + 2,
					    (size_t)(close - p - 2)) &&
				    ps[i].line < line)
					break;
			if (i == np) {
				xerr(err, errlen, file, line,
				     (unsigned)(p - bol) + 1,
				     "unknown parameter '%.*s' (declare it with "
				     "'param' on an earlier line)",
				     (int)(close - p - 2), p + 2);
				return -1;
			}
			sb_add(out, ps[i].values[idx[i]],
			       strlen(ps[i].values[idx[i]]));
			p = close + 1;
			continue;
		}
		if (*p == '\n') {
			line++;
			bol = p + 1;
		}
		sb_add(out, p, 1);
		p++;
	}
	return 0;
}

int scn_expand(const char *file, const char *text, struct scn_expansion *out,
	       char *err, size_t errlen)
{
	return scn_expand_max(file, text, MAX_COMBINATIONS, out, err, errlen);
}

int scn_expand_max(const char *file, const char *text, unsigned max,
		   struct scn_expansion *out, char *err, size_t errlen)
{
	struct param ps[MAX_PARAMS];
	unsigned np = 0, total = 1, line = 1;
	struct sbuf stripped = { 0 };
	unsigned idx[MAX_PARAMS] = { 0 };

	memset(out, 0, sizeof(*out));
	if (!file)
		file = "<text>";
	/* find the params; blank their lines */
	for (const char *p = text; *p; line++) {
		const char *end = strchr(p, '\n');
		const char *w = skip_ws(p);

		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - w) > 5 && !strncmp(w, "param", 5) &&
		    (w[5] == ' ' || w[5] == '\t')) {
			if (np == MAX_PARAMS) {
				xerr(err, errlen, file, line, 1,
				     "more than %u parameters", MAX_PARAMS);
				goto fail;
			}
			if (parse_param(file, line, p, w + 5, end, &ps[np], err,
					errlen)) {
				np++;
				goto fail;
			}
			for (unsigned k = 0; k < np; k++)
				if (!strcmp(ps[k].name, ps[np].name)) {
					xerr(err, errlen, file, line,
					     (unsigned)(w - p) + 7,
					     "parameter '%s' declared twice",
					     ps[np].name);
					np++;
					goto fail;
				}
			if (total > max / ps[np].nvalues) {
				xerr(err, errlen, file, line, 1,
				     "more than %u combinations", max);
				np++;
				goto fail;
			}
			total *= ps[np].nvalues;
			np++;
			sb_add(&stripped, "# param\n", *end ? 8 : 7);
		} else {
			sb_add(&stripped, p, (size_t)(end - p) + (*end ? 1 : 0));
		}
		p = *end ? end + 1 : end;
	}
	if (!stripped.s)
		sb_add(&stripped, "", 0);

	if ((uint64_t)total * (stripped.n + 1) > MAX_EXPANDED_BYTES) {
		xerr(err, errlen, file, 1, 1,
		     "the sweep expands to more than %u MiB of scenarios",
		     (unsigned)(MAX_EXPANDED_BYTES >> 20));
		goto fail;
	}
	out->texts = calloc(total, sizeof(*out->texts));
	out->labels = calloc(total, sizeof(*out->labels));
	if (!out->texts || !out->labels)
		abort();
	for (unsigned c = 0; c < total; c++) {
		struct sbuf t = { 0 }, label = { 0 };
		unsigned rem = c;

		/* the first parameter varies slowest */
		for (unsigned i = np; i-- > 0;) {
			idx[i] = rem % ps[i].nvalues;
			rem /= ps[i].nvalues;
		}
		if (substitute(file, stripped.s, ps, np, idx, &t, err, errlen)) {
			free(t.s);
			out->n = c;
			scn_expansion_free(out);
			goto fail;
		}
		sb_add(&label, "", 0);
		for (unsigned i = 0; i < np; i++) {
			if (i)
				sb_add(&label, ",", 1);
			sb_add(&label, ps[i].name, strlen(ps[i].name));
			sb_add(&label, "=", 1);
			sb_add(&label, ps[i].values[idx[i]],
			       strlen(ps[i].values[idx[i]]));
		}
		out->texts[c] = t.s ? t.s : calloc(1, 1);
		out->labels[c] = label.s;
	}
	out->n = total;
	free(stripped.s);
	free_params(ps, np);
	return 0;
fail:
	free(stripped.s);
	free_params(ps, np);
	return -1;
}

void scn_expansion_free(struct scn_expansion *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		free(e->texts[i]);
		free(e->labels[i]);
	}
	free(e->texts);
	free(e->labels);
	memset(e, 0, sizeof(*e));
}
