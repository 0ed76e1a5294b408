/* SPDX-License-Identifier: MIT */
/*
 * The scenario language's syntax (docs/scenarios.md "Syntax"): lines of
 * blank-separated words, quoted strings and key=value arguments, '#'
 * comments, '\' continuations, and the "at CYCLES" / "on event TYPE"
 * prefixes. Meaning is checked by the runner.
 */
#define _POSIX_C_SOURCE 200809L

#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	const char *file;
	const char *p;      /* next character */
	unsigned line, col; /* of *p */
	char *err;
	size_t errlen;
	bool failed;
};

static void lex_error(struct lexer *lx, unsigned line, unsigned col,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void lex_error(struct lexer *lx, unsigned line, unsigned col,
		      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (lx->failed)
		return;
	lx->failed = true;
	n = snprintf(lx->err, lx->errlen, "%s:%u:%u: ", lx->file, line, col);
	if (n < 0 || (size_t)n >= lx->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xcalloc(n + 1, 1);

	memcpy(d, s, n);
	return d;
}

static void advance(struct lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

/* Skip blanks and continuations; stop at a newline, '#' or a token. */
static void skip_blanks(struct lexer *lx)
{
	for (;;) {
		if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r') {
			advance(lx);
		} else if (*lx->p == '\\' &&
			   (lx->p[1] == '\n' ||
			    (lx->p[1] == '\r' && lx->p[2] == '\n'))) {
			advance(lx);
			if (*lx->p == '\r')
				advance(lx);
			advance(lx);
		} else {
			return;
		}
	}
}

static bool at_word_end(const struct lexer *lx)
{
	char c = *lx->p;

	/* exactly the continuations skip_blanks consumes */
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '#' ||
	       (c == '\\' && (lx->p[1] == '\n' ||
			      (lx->p[1] == '\r' && lx->p[2] == '\n')));
}

/* A quoted string starting at '"'; returns the unescaped text. */
static char *lex_quoted(struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;
	size_t cap = 16, n = 0;
	char *out = xcalloc(cap, 1);

	advance(lx); /* the opening quote */
	for (;;) {
		char c = *lx->p;

		if (c == '\0' || c == '\n') {
			lex_error(lx, line, col, "unterminated string");
			free(out);
			return NULL;
		}
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c == '\\') {
			char e = lx->p[1];

			if (e != '"' && e != '\\') {
				lex_error(lx, lx->line, lx->col,
					  "unknown escape '\\%c' (only \\\" and "
					  "\\\\)", e ? e : ' ');
				free(out);
				return NULL;
			}
			advance(lx);
			c = e;
		}
		if (n + 2 > cap) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		out[n++] = c;
		out[n] = '\0';
		advance(lx);
	}
	if (!at_word_end(lx)) {
		lex_error(lx, lx->line, lx->col,
			  "expected a blank after the closing quote");
		free(out);
		return NULL;
	}
	return out;
}

static char *lex_bare(struct lexer *lx)
{
	const char *start = lx->p;

	while (!at_word_end(lx) && *lx->p != '"')
		advance(lx);
	if (*lx->p == '"') {
		lex_error(lx, lx->line, lx->col,
			  "a quote inside a word (put blanks around strings)");
		return NULL;
	}
	return xstrndup(start, (size_t)(lx->p - start));
}

static bool is_key_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

/* Length of "key=" at p (key chars then '=' not followed by '='), or 0. */
static size_t key_len(const char *p)
{
	size_t n = 0;

	if (!is_key_char(p[0], true))
		return 0;
	while (is_key_char(p[n], n == 0))
		n++;
	if (p[n] != '=' || p[n + 1] == '=')
		return 0;
	return n;
}

/* One argument at the current position (not at a line end). */
static bool lex_arg(struct lexer *lx, struct scn_arg *a)
{
	size_t klen = key_len(lx->p);

	memset(a, 0, sizeof(*a));
	a->loc = (struct scn_loc){ lx->file, lx->line, lx->col };
	if (klen) {
		a->key = xstrndup(lx->p, klen);
		for (size_t i = 0; i <= klen; i++)
			advance(lx);
	}
	a->vloc = (struct scn_loc){ lx->file, lx->line, lx->col };
	if (*lx->p == '"')
		a->value = lex_quoted(lx);
	else
		a->value = lex_bare(lx);
	if (!a->value) {
		free(a->key);
		a->key = NULL;
		return false;
	}
	if (a->key && !a->value[0] && a->vloc.col == lx->col &&
	    a->vloc.line == lx->line) {
		lex_error(lx, a->loc.line, a->loc.col, "'%s=' has no value",
			  a->key);
		free(a->key);
		free(a->value);
		a->key = a->value = NULL;
		return false;
	}
	return true;
}

static void free_args(struct scn_arg *args, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(args[i].key);
		free(args[i].value);
	}
	free(args);
}

bool scn_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	unsigned base = 10;
	const char *p = s;
	size_t n = strlen(s);

	if (!n)
		return false;
	switch (s[n - 1]) {
	case 'K':
		mul = UINT64_C(1) << 10;
		n--;
		break;
	case 'M':
		mul = UINT64_C(1) << 20;
		n--;
		break;
	case 'G':
		mul = UINT64_C(1) << 30;
		n--;
		break;
	default:
		break;
	}
	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		n -= 2;
	} else if (n > 2 && p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
		n -= 2;
	}
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char c = p[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a') + 10;
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A') + 10;
		else
			return false;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static void push_stmt(struct scn *s, struct scn_stmt *st)
{
	s->stmts = xrealloc(s->stmts, (s->nstmts + 1) * sizeof(*s->stmts));
	s->stmts[s->nstmts++] = *st;
}

static void free_stmt(struct scn_stmt *st)
{
	free(st->verb);
	free(st->on_event);
	free_args(st->args, st->nargs);
}

/* Read one line's arguments into args; false on an error. */
static bool lex_line(struct lexer *lx, struct scn_arg **args, unsigned *n)
{
	*args = NULL;
	*n = 0;
	for (;;) {
		struct scn_arg a;

		skip_blanks(lx);
		if (*lx->p == '#')
			while (*lx->p && *lx->p != '\n')
				advance(lx);
		if (*lx->p == '\0' || *lx->p == '\n')
			return true;
		if (!lex_arg(lx, &a)) {
			free_args(*args, *n);
			*args = NULL;
			*n = 0;
			return false;
		}
		*args = xrealloc(*args, (*n + 1) * sizeof(**args));
		(*args)[(*n)++] = a;
	}
}

/* Turn one line's arguments into a statement (prefixes resolved). */
static bool make_stmt(struct lexer *lx, struct scn_arg *args, unsigned n,
		      struct scn_stmt *st)
{
	unsigned i = 0;

	memset(st, 0, sizeof(*st));
	st->loc = args[0].loc;
	for (;;) {
		if (args[i].key) {
			lex_error(lx, args[i].loc.line, args[i].loc.col,
				  "expected a statement, found '%s=%s'",
				  args[i].key, args[i].value);
			return false;
		}
		if (strcmp(args[i].value, "at") == 0 && !st->has_at &&
		    !st->on_event) {
			if (i + 1 >= n || args[i + 1].key ||
			    !scn_parse_u64(args[i + 1].value, &st->at)) {
				const struct scn_loc *l = i + 1 < n ?
					&args[i + 1].loc : &args[i].loc;

				lex_error(lx, l->line, l->col,
					  "'at' needs a time in cycles");
				return false;
			}
			st->has_at = true;
			i += 2;
		} else if (strcmp(args[i].value, "on") == 0 && !st->has_at &&
			   !st->on_event) {
			if (i + 2 >= n || args[i + 1].key || args[i + 2].key ||
			    strcmp(args[i + 1].value, "event") != 0) {
				lex_error(lx, args[i].loc.line, args[i].loc.col,
					  "expected 'on event TYPE STATEMENT'");
				return false;
			}
			st->on_event = strdup(args[i + 2].value);
			i += 3;
		} else {
			break;
		}
		if (i >= n) {
			lex_error(lx, args[i - 1].loc.line, args[i - 1].loc.col,
				  "a statement must follow '%s'",
				  st->has_at ? "at CYCLES" : "on event TYPE");
			return false;
		}
	}
	st->loc = args[i].loc;
	st->verb = args[i].value;
	args[i].value = NULL;
	st->nargs = n - i - 1;
	st->args = xcalloc(st->nargs, sizeof(*st->args));
	memcpy(st->args, args + i + 1, st->nargs * sizeof(*st->args));
	for (unsigned k = i + 1; k < n; k++)
		args[k].key = args[k].value = NULL;
	return true;
}

static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	const char *dot;

	b = b ? b + 1 : path;
	dot = strrchr(b, '.');
	return xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

struct scn *scn_parse_text(const char *file, const char *text, char *err,
			   size_t errlen)
{
	struct scn *s = xcalloc(1, sizeof(*s));
	struct lexer lx = { .p = text, .line = 1, .col = 1, .err = err,
			    .errlen = errlen };

	s->file = strdup(file ? file : "<text>");
	lx.file = s->file;
	if (errlen)
		err[0] = '\0';
	while (*lx.p) {
		struct scn_arg *args;
		struct scn_stmt st;
		unsigned n;

		if (!lex_line(&lx, &args, &n))
			goto fail;
		if (*lx.p == '\n')
			advance(&lx);
		if (!n)
			continue;
		if (!make_stmt(&lx, args, n, &st)) {
			free_args(args, n);
			goto fail;
		}
		free_args(args, n);
		if (strcmp(st.verb, "param") == 0) {
			lex_error(&lx, st.loc.line, st.loc.col,
				  "'param' makes this file a sweep template: "
				  "expand it first (smmusim run and campaign "
				  "do)");
			free_stmt(&st);
			goto fail;
		}
		if (strcmp(st.verb, "scenario") == 0 && !st.has_at &&
		    !st.on_event) {
			if (st.nargs != 1 || st.args[0].key) {
				lex_error(&lx, st.loc.line, st.loc.col,
					  "expected scenario \"NAME\"");
				free_stmt(&st);
				goto fail;
			}
			free(s->name);
			s->name = strdup(st.args[0].value);
			free_stmt(&st);
			continue;
		}
		push_stmt(s, &st);
	}
	if (!s->name)
		s->name = base_name(s->file);
	return s;
fail:
	scn_free(s);
	return NULL;
}

struct scn *scn_parse_file(const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	struct scn *s;

	if (scn_read_file(path, &text, &len, err, errlen))
		return NULL;
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
		free(text);
		return NULL;
	}
	s = scn_parse_text(path, text, err, errlen);
	free(text);
	return s;
}

int scn_read_file(const char *path, char **text, size_t *len, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xcalloc(cap, 1);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n + 1 < cap)
			break;
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

void scn_free(struct scn *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nstmts; i++)
		free_stmt(&s->stmts[i]);
	free(s->stmts);
	free(s->file);
	free(s->name);
	free(s);
}
