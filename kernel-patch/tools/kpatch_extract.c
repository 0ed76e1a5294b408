/* SPDX-License-Identifier: MIT */
/*
 * kpatch_extract: make the kernel patch the one source of the code the
 * userspace build compiles, and fail the build if the two drift apart.
 *
 *   kpatch_extract --hooks HOOKS --out-c GEN.c --out-h GEN.h PATCH...
 *
 * Every added ('+') line of every patch is accounted for:
 *
 *   - a run of consecutive added lines in drivers/vfio/vfio_iommu_type1.c
 *     that is not a listed hook is new file-scope code: it goes to GEN.c,
 *     under a #line directive naming the patch, so a compiler message
 *     points into the patch itself;
 *   - every run in include/uapi/linux/vfio.h goes to GEN.h, after the
 *     system's <linux/vfio.h> (the unpatched uapi);
 *   - every other run must be a hook listed in HOOKS: lines that land
 *     inside existing kernel code (a struct member, a call in
 *     attach_group) or outside C (Kconfig), each with the file of the
 *     userspace build that carries the same lines verbatim, or "-" and a
 *     reason when none can.
 *
 * HOOKS format, '#' comments and blank lines aside:
 *
 *   hook PATCHED-FILE CARRIER-FILE|- REASON...
 *   <the added lines, exactly as in the patch without the '+'>
 *   end
 *
 * The check fails (exit 1, "file:line: message" on stderr) when a run of
 * the patch matches no hook and is not extractable, when a hook matches
 * no run (stale list), or when a carrier file does not contain the hook's
 * lines in order and contiguously (leading and trailing blanks ignored).
 * CARRIER-FILE paths are relative to the directory of HOOKS unless
 * absolute.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE1 "drivers/vfio/vfio_iommu_type1.c"
#define UAPI "include/uapi/linux/vfio.h"

struct lines {
	char **v;
	unsigned n, cap;
};

struct run {
	const char *patch;  /* patch file */
	const char *target; /* patched file */
	unsigned line;      /* patch line of the first added line */
	struct lines text;  /* without the '+' */
	bool used;          /* matched a hook */
};

struct hook {
	const char *hooks_file;
	unsigned line;
	char *target;
	char *carrier;
	struct lines text;
	bool used;
};

static int errors;
static struct lines targets; /* patched-file names, owned here */

static void fail(const char *file, unsigned line, const char *fmt,
		 const char *arg)
{
	fprintf(stderr, "%s:%u: ", file, line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	errors++;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q) {
		fprintf(stderr, "kpatch_extract: out of memory\n");
		exit(2);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

static void lines_push(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(s);
}

static void lines_free(struct lines *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Read a whole file as lines, without their newlines. */
static bool read_lines(const char *path, struct lines *out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		lines_push(out, buf);
	}
	free(buf);
	fclose(f);
	return true;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* s without leading and trailing blanks, into buf. */
static const char *trim(const char *s, char *buf, size_t cap)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static bool same_trimmed(const char *a, const char *b)
{
	char ba[1024], bb[1024];

	return strcmp(trim(a, ba, sizeof(ba)), trim(b, bb, sizeof(bb))) == 0;
}

/* Split a patch into runs of added lines per patched file. */
static void parse_patch(const char *path, struct run **runs, unsigned *nruns)
{
	struct lines l = { 0 };
	const char *target = NULL;
	bool in_hunk = false;
	struct run *cur = NULL;

	if (!read_lines(path, &l)) {
		errors++;
		return;
	}
	for (unsigned i = 0; i < l.n; i++) {
		const char *s = l.v[i];

		if (starts_with(s, "diff --git ")) {
			const char *b = strstr(s, " b/");

			target = NULL;
			if (b) {
				lines_push(&targets, b + 3);
				target = targets.v[targets.n - 1];
			}
			in_hunk = false;
			cur = NULL;
			continue;
		}
		if (starts_with(s, "@@ ")) {
			in_hunk = target != NULL;
			cur = NULL;
			continue;
		}
		if (!in_hunk)
			continue;
		if (starts_with(s, "-- ") && s[3] == '\0') {
			in_hunk = false; /* the signature of git format-patch */
			continue;
		}
		if (s[0] != '+') {
			cur = NULL;
			if (s[0] != ' ' && s[0] != '-' && s[0] != '\\' && s[0])
				in_hunk = false;
			continue;
		}
		if (!cur) {
			*runs = xrealloc(*runs, (*nruns + 1) * sizeof(**runs));
			cur = &(*runs)[(*nruns)++];
			memset(cur, 0, sizeof(*cur));
			cur->patch = path;
			cur->target = target;
			cur->line = i + 1;
		}
		lines_push(&cur->text, s + 1);
	}
	lines_free(&l);
}

static void parse_hooks(const char *path, struct hook **hooks, unsigned *n)
{
	struct lines l = { 0 };
	struct hook *cur = NULL;

	if (!read_lines(path, &l)) {
		errors++;
		return;
	}
	for (unsigned i = 0; i < l.n; i++) {
		const char *s = l.v[i];
		char target[512], carrier[512];
		int used = 0;

		if (cur) {
			if (strcmp(s, "end") == 0)
				cur = NULL;
			else
				lines_push(&cur->text, s);
			continue;
		}
		if (s[0] == '#' || s[0] == '\0')
			continue;
		if (sscanf(s, "hook %511s %511s %n", target, carrier, &used) != 2 ||
		    s[used] == '\0') {
			fail(path, i + 1, "expected 'hook FILE CARRIER REASON'%s",
			     "");
			continue;
		}
		*hooks = xrealloc(*hooks, (*n + 1) * sizeof(**hooks));
		cur = &(*hooks)[(*n)++];
		memset(cur, 0, sizeof(*cur));
		cur->hooks_file = path;
		cur->line = i + 1;
		cur->target = xstrdup(target);
		cur->carrier = xstrdup(carrier);
	}
	if (cur)
		fail(path, cur->line, "hook has no 'end'%s", "");
	lines_free(&l);
}

static bool run_matches(const struct run *r, const struct hook *h)
{
	if (strcmp(r->target, h->target) != 0 || r->text.n != h->text.n)
		return false;
	for (unsigned i = 0; i < r->text.n; i++)
		if (strcmp(r->text.v[i], h->text.v[i]) != 0)
			return false;
	return true;
}

/* Whether the carrier holds the hook's lines contiguously. */
static void check_carrier(const struct hook *h, const char *dir)
{
	struct lines c = { 0 };
	char *path;
	bool found = false;

	if (strcmp(h->carrier, "-") == 0)
		return;
	path = xrealloc(NULL, strlen(dir) + strlen(h->carrier) + 2);
	if (h->carrier[0] == '/')
		strcpy(path, h->carrier);
	else
		sprintf(path, "%s/%s", dir, h->carrier);
	if (!read_lines(path, &c)) {
		fail(h->hooks_file, h->line, "carrier file '%s' unreadable",
		     h->carrier);
		free(path);
		return;
	}
	free(path);
	for (unsigned i = 0; !found && i + h->text.n <= c.n; i++) {
		unsigned k = 0;

		while (k < h->text.n && same_trimmed(c.v[i + k], h->text.v[k]))
			k++;
		found = k == h->text.n;
	}
	if (!found)
		fail(h->hooks_file, h->line,
		     "the hook's lines are not in %s (the patch and the "
		     "userspace build have drifted)", h->carrier);
	lines_free(&c);
}

static void emit_run(FILE *f, const struct run *r)
{
	fprintf(f, "#line %u \"%s\"\n", r->line, r->patch);
	for (unsigned i = 0; i < r->text.n; i++)
		fprintf(f, "%s\n", r->text.v[i]);
}

static void usage(void)
{
	fprintf(stderr, "usage: kpatch_extract --hooks FILE --out-c FILE "
			"--out-h FILE PATCH...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *hooks_path = NULL, *out_c = NULL, *out_h = NULL;
	struct run *runs = NULL;
	struct hook *hooks = NULL;
	unsigned nruns = 0, nhooks = 0, compiled = 0, hooked = 0;
	char dir[1024];
	const char *slash;
	FILE *fc, *fh;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--hooks") == 0)
			hooks_path = argv[i + 1];
		else if (strcmp(argv[i], "--out-c") == 0)
			out_c = argv[i + 1];
		else if (strcmp(argv[i], "--out-h") == 0)
			out_h = argv[i + 1];
		else
			usage();
	}
	if (!hooks_path || !out_c || !out_h || i >= argc)
		usage();
	for (; i < argc; i++)
		parse_patch(argv[i], &runs, &nruns);
	parse_hooks(hooks_path, &hooks, &nhooks);
	if (errors)
		return 1;

	slash = strrchr(hooks_path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
		 slash ? (int)(slash - hooks_path) : 1,
		 slash ? hooks_path : ".");

	for (unsigned r = 0; r < nruns; r++) {
		for (unsigned h = 0; h < nhooks; h++) {
			if (!hooks[h].used && run_matches(&runs[r], &hooks[h])) {
				runs[r].used = hooks[h].used = true;
				hooked += runs[r].text.n;
				break;
			}
		}
		if (runs[r].used)
			continue;
		if (strcmp(runs[r].target, TYPE1) != 0 &&
		    strcmp(runs[r].target, UAPI) != 0)
			fail(runs[r].patch, runs[r].line,
			     "added lines in %s are neither compiled nor a "
			     "listed hook", runs[r].target);
	}
	for (unsigned h = 0; h < nhooks; h++) {
		if (!hooks[h].used)
			fail(hooks[h].hooks_file, hooks[h].line,
			     "hook for %s matches no added lines of the patch",
			     hooks[h].target);
		check_carrier(&hooks[h], dir);
	}
	if (errors)
		return 1;

	fc = fopen(out_c, "w");
	fh = fopen(out_h, "w");
	if (!fc || !fh) {
		fprintf(stderr, "kpatch_extract: cannot write outputs\n");
		return 2;
	}
	fprintf(fc, "/* Generated by kpatch_extract from the patch: the code "
		    "it adds to " TYPE1 ". */\n");
	fprintf(fh, "/* Generated by kpatch_extract: the system's uapi "
		    "<linux/vfio.h> plus what the patch adds to it. */\n"
		    "#ifndef KPATCH_UAPI_VFIO_H\n#define KPATCH_UAPI_VFIO_H\n"
		    "#include <linux/vfio.h>\n");
	for (unsigned r = 0; r < nruns; r++) {
		if (runs[r].used)
			continue;
		emit_run(strcmp(runs[r].target, UAPI) == 0 ? fh : fc, &runs[r]);
		compiled += runs[r].text.n;
	}
	fprintf(fh, "#endif\n");
	fclose(fc);
	fclose(fh);
	printf("kpatch_extract: %u added lines compiled, %u in %u listed hooks\n",
	       compiled, hooked, nhooks);

	for (unsigned r = 0; r < nruns; r++)
		lines_free(&runs[r].text);
	for (unsigned h = 0; h < nhooks; h++) {
		lines_free(&hooks[h].text);
		free(hooks[h].target);
		free(hooks[h].carrier);
	}
	free(runs);
	free(hooks);
	lines_free(&targets);
	return 0;
}
