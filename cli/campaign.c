/* SPDX-License-Identifier: MIT */
/*
 * smmusim campaign: run many scenarios in parallel worker processes
 * (docs/scenarios.md "Campaigns").
 *
 * The parent collects the .scn files, expands sweeps into instances
 * (numbered in sorted file order, so every shard of a campaign agrees on
 * the numbering), keeps its shard, and forks one child per instance, at
 * most -j at a time. A child runs its scenario, writes its timeline
 * (--report) and sends a fixed-size record (struct wire) back through a
 * pipe; the parent only ever reads pipes and reaps children, so a child
 * that crashes becomes an error result and the campaign goes on. Results
 * are kept by instance, so every output is in instance order whatever
 * the completion order.
 */
#define _GNU_SOURCE /* sched_getaffinity: the CPUs we may use (Slurm) */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "scenarios/scenario.h"

const char cmd_campaign_usage[] =
	"usage: smmusim campaign [-j N] [--shard K/N] [--junit FILE]\n"
	"                        [--tap FILE] [--report DIR] [--seed N] [-q]\n"
	"                        DIR|FILE...\n"
	"\n"
	"Run every .scn file under each DIR (recursively, in sorted order)\n"
	"and each FILE, a sweep template once per combination, in parallel\n"
	"worker processes. Prints a summary table in instance order.\n"
	"\n"
	"  -j N          worker processes (default: the CPUs this process may\n"
	"                use)\n"
	"  --shard K/N   run only instances i with i mod N = K-1 (K from 1):\n"
	"                N machines each running one K cover the campaign\n"
	"  --junit FILE  write JUnit XML ('-': stdout)\n"
	"  --tap FILE    write TAP version 13 ('-': stdout)\n"
	"  --report DIR  write DIR/index.html (results, latency histograms)\n"
	"                and a Perfetto timeline DIR/<instance>.json per run\n"
	"  --seed N      seed for every scenario (overrides `seed` lines)\n"
	"  -q            no progress line; the table lists only failures\n"
	"\n"
	"exit status: 0 all passed, 1 a scenario failed, 2 usage or input\n"
	"error, or a scenario could not run (invalid, or its worker crashed)\n";

/* --- collecting files --- */

struct src_file {
	char *path;
	size_t rel;          /* path + rel: the part below the DIR argument */
	struct scn_expansion e;
	bool expanded;
	char err[1024];      /* read or expand error, "" if none */
};

struct campaign {
	/* options */
	unsigned jobs;
	unsigned shard_k, shard_n;
	const char *junit, *tap, *report;
	bool quiet;
	bool seed_set;
	uint64_t seed;
	/* the campaign */
	struct src_file *files;
	unsigned nfiles, files_cap;
	unsigned total;           /* instances in all shards */
	struct inst *v;           /* this shard's instances */
	unsigned n;
	struct campaign_info info;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int add_file(struct campaign *c, const char *path, size_t rel)
{
	if (c->nfiles == c->files_cap) {
		unsigned cap = c->files_cap ? c->files_cap * 2 : 64;
		struct src_file *f = realloc(c->files, cap * sizeof(*f));

		if (!f)
			return -1;
		c->files = f;
		c->files_cap = cap;
	}
	memset(&c->files[c->nfiles], 0, sizeof(c->files[0]));
	c->files[c->nfiles].path = strdup(path);
	if (!c->files[c->nfiles].path)
		return -1;
	c->files[c->nfiles].rel = rel;
	c->nfiles++;
	return 0;
}

/* Every *.scn below dir. Hidden entries are skipped, and so are symbolic
 * links to directories (no loops); links to files are followed. */
static int walk(struct campaign *c, const char *dir, size_t rel)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		fprintf(stderr, "smmusim campaign: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		struct stat st;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = malloc(len);
		if (!p) {
			ret = -1;
			break;
		}
		snprintf(p, len, "%s%s%s", dir, has_suffix(dir, "/") ? "" : "/",
			 de->d_name);
		if (lstat(p, &st)) {
			fprintf(stderr, "smmusim campaign: %s: %s\n", p,
				strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = walk(c, p, rel);
		} else if (has_suffix(p, ".scn") &&
			   (S_ISREG(st.st_mode) ||
			    (S_ISLNK(st.st_mode) && !stat(p, &st) &&
			     S_ISREG(st.st_mode)))) {
			ret = add_file(c, p, rel);
			if (ret)
				fprintf(stderr,
					"smmusim campaign: out of memory\n");
		}
		free(p);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

static int collect(struct campaign *c, const char *arg)
{
	struct stat st;

	if (stat(arg, &st)) {
		fprintf(stderr, "smmusim campaign: %s: %s\n", arg,
			strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t rel = strlen(arg);

		while (rel && arg[rel - 1] == '/')
			rel--;
		/* below "dir": skip "dir/"; below "/": skip "/" */
		return walk(c, arg, rel + 1);
	}
	/* a file named explicitly is taken whatever its name */
	const char *base = strrchr(arg, '/');

	if (add_file(c, arg, base ? (size_t)(base + 1 - arg) : 0)) {
		fprintf(stderr, "smmusim campaign: out of memory\n");
		return -1;
	}
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct src_file *)a)->path,
		      ((const struct src_file *)b)->path);
}

/* Sort and drop files named twice: the instance numbering (and so the
 * shards) must not depend on the order of the arguments. */
static void sort_files(struct campaign *c)
{
	unsigned w = 0;

	qsort(c->files, c->nfiles, sizeof(*c->files), file_cmp);
	for (unsigned i = 0; i < c->nfiles; i++) {
		if (w && !strcmp(c->files[w - 1].path, c->files[i].path)) {
			free(c->files[i].path);
			continue;
		}
		c->files[w++] = c->files[i];
	}
	c->nfiles = w;
}

static void expand_file(struct src_file *f)
{
	char *text;
	size_t len;

	if (scn_read_file(f->path, &text, &len, f->err, sizeof(f->err)))
		return;
	if (memchr(text, '\0', len))
		snprintf(f->err, sizeof(f->err),
			 "%s: not a text file (NUL byte)", f->path);
	else if (!scn_expand(f->path, text, &f->e, f->err, sizeof(f->err)))
		f->expanded = true;
	free(text);
}

/* --- instances --- */

static void set_message(struct inst *t, const char *m)
{
	size_t n = strnlen(m, sizeof(t->message) - 1);

	memcpy(t->message, m, n);
	t->message[n] = '\0';
}

/* File-name-safe form: [A-Za-z0-9.=-] kept, anything else '_'. */
static void put_safe(char *out, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool keep = (ch >= 'a' && ch <= 'z') ||
			    (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '.' ||
			    ch == '=' || ch == '-';

		out[(*o)++] = keep ? ch : '_';
	}
}

static char *make_id(const struct src_file *f, const char *label)
{
	const char *rel = f->path + f->rel;
	size_t n = strlen(rel), o = 0;
	char *id;

	if (has_suffix(rel, ".scn") && n > 4)
		n -= 4;
	id = malloc(n + strlen(label) + 2);
	if (!id)
		return NULL;
	put_safe(id, &o, rel, n);
	if (*label) {
		id[o++] = '_';
		put_safe(id, &o, label, strlen(label));
	}
	id[o] = '\0';
	return id;
}

struct id_ref {
	char *id;
	unsigned index;
};

static int id_cmp(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Make ids unique over the whole campaign (not just this shard, so that
 * the shards' report files never collide): the second "x" becomes "x~2"
 * ('~' is never in a sanitised id). */
static int unique_ids(char **ids, unsigned n)
{
	struct id_ref *r = malloc((n ? n : 1) * sizeof(*r));

	if (!r)
		return -1;
	for (unsigned i = 0; i < n; i++)
		r[i] = (struct id_ref){ ids[i], i };
	qsort(r, n, sizeof(*r), id_cmp);
	for (unsigned i = 1, dup = 1; i < n; i++) {
		size_t len;
		char *id;

		if (strcmp(r[i].id, r[i - 1].id)) {
			dup = 1;
			continue;
		}
		dup++;
		len = strlen(r[i].id) + 16;
		id = malloc(len);
		if (!id) {
			free(r);
			return -1;
		}
		snprintf(id, len, "%s~%u", r[i].id, dup);
		ids[r[i].index] = id;
		/* r[i].id is still compared with r[i + 1]: free it later */
	}
	for (unsigned i = 0; i < n; i++)
		if (ids[r[i].index] != r[i].id)
			free(r[i].id);
	free(r);
	return 0;
}

/* Number every instance of the campaign, keep this shard's. */
static int build_instances(struct campaign *c)
{
	unsigned total = 0, k = 0, sel = 0;
	char **ids;

	for (unsigned i = 0; i < c->nfiles; i++) {
		unsigned n = c->files[i].expanded ? c->files[i].e.n : 1;

		if (total > UINT32_MAX - n) {
			fprintf(stderr,
				"smmusim campaign: too many instances\n");
			return -1;
		}
		total += n;
	}
	c->total = total;
	ids = calloc(total ? total : 1, sizeof(*ids));
	c->v = calloc(total / c->shard_n + 1, sizeof(*c->v));
	if (!ids || !c->v)
		goto oom;
	for (unsigned i = 0; i < c->nfiles; i++) {
		struct src_file *f = &c->files[i];
		unsigned n = f->expanded ? f->e.n : 1;

		for (unsigned j = 0; j < n; j++, k++) {
			ids[k] = make_id(f, f->expanded ? f->e.labels[j] : "");
			if (!ids[k])
				goto oom;
		}
	}
	if (unique_ids(ids, total))
		goto oom;
	k = 0;
	for (unsigned i = 0; i < c->nfiles; i++) {
		struct src_file *f = &c->files[i];
		unsigned n = f->expanded ? f->e.n : 1;

		for (unsigned j = 0; j < n; j++, k++) {
			struct inst *t;

			if (k % c->shard_n != c->shard_k - 1) {
				free(ids[k]);
				continue;
			}
			t = &c->v[sel++];
			t->index = k;
			t->file = f->path;
			t->label = f->expanded ? f->e.labels[j] : "";
			t->text = f->expanded ? f->e.texts[j] : NULL;
			t->id = ids[k];
			t->seed = c->seed;
			if (!f->expanded) {
				t->status = INST_ERROR;
				set_message(t, f->err);
			}
		}
	}
	c->n = sel;
	free(ids);
	return 0;
oom:
	if (ids)
		for (unsigned i = 0; i < total; i++)
			free(ids[i]);
	free(ids);
	fprintf(stderr, "smmusim campaign: out of memory\n");
	return -1;
}

/* --- workers --- */

#define WIRE_MAGIC 0x736d6d75u /* "smmu" */

/* What a child sends back. Parent and child are the same program, so
 * the record is the struct's bytes. */
struct wire {
	uint32_t magic;
	uint8_t pass, error, timeline;
	int32_t timeline_errno;
	char message[512];
	uint32_t expectations, expectations_passed;
	uint64_t cycles, seed;
	struct scn_lat_stats lat[SCN_KIND_NR];
	struct lat_hist hist[SCN_KIND_NR];
};

struct slot {
	pid_t pid;
	int fd;
	struct inst *t;
	struct wire w;
	size_t got;
	bool overflow;
	struct timespec t0;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void timeline_path(const struct campaign *c, const struct inst *t,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s.json", c->report,
		 has_suffix(c->report, "/") ? "" : "/", t->id);
}

/* The child: run, write the timeline, report, exit. Never returns. */
static void __attribute__((noreturn))
child_main(const struct campaign *c, struct inst *t, const struct scn *s,
	   int fd)
{
	struct scn_run_opts opts = { .seed = c->seed, .seed_set = c->seed_set };
	static struct wire w;
	struct scn_result res;

	memset(&res, 0, sizeof(res));
	scn_run(s, &opts, &res);
	memset(&w, 0, sizeof(w));
	w.magic = WIRE_MAGIC;
	w.pass = res.pass;
	w.error = res.error;
	snprintf(w.message, sizeof(w.message), "%s", res.message);
	w.expectations = res.expectations;
	w.expectations_passed = res.expectations_passed;
	w.cycles = res.cycles;
	w.seed = res.seed;
	for (unsigned k = 0; k < SCN_KIND_NR; k++)
		scn_latency(&res, (enum scn_kind)k, &w.lat[k]);
	lat_hist_add_result(w.hist, &res);
	if (c->report && !res.error) {
		size_t len = strlen(c->report) + strlen(t->id) + 8;
		char *path = malloc(len);

		if (path) {
			timeline_path(c, t, path, len);
			if (report_write_timeline(path, t->index + 1, t->name,
						  t->file, res.seed, &res))
				w.timeline_errno = errno;
			else
				w.timeline = 1;
		} else {
			w.timeline_errno = ENOMEM;
		}
	}
	/* no cleanup: the process ends here, and _exit skips the parent's
	 * stdio buffers and atexit handlers it inherited */
	_exit(write_all(fd, &w, sizeof(w)) ? 3 : 0);
}

/* Parse the instance and fork its child. false: the instance is already
 * finished (syntax error, fork failure). */
static bool start(struct campaign *c, struct slot *sl, struct slot *slots,
		  unsigned nslots, struct inst *t)
{
	char err[1024];
	struct scn *s;
	int p[2];

	s = scn_parse_text(t->file, t->text, err, sizeof(err));
	if (!s) {
		t->status = INST_ERROR;
		set_message(t, err);
		t->name = inst_display_name(t->file, t->label);
		return false;
	}
	t->name = inst_display_name(s->name, t->label);
	if (pipe(p)) {
		t->status = INST_ERROR;
		snprintf(t->message, sizeof(t->message), "pipe: %s",
			 strerror(errno));
		scn_free(s);
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	memset(sl, 0, sizeof(*sl));
	clock_gettime(CLOCK_MONOTONIC, &sl->t0);
	sl->pid = fork();
	if (sl->pid < 0) {
		t->status = INST_ERROR;
		snprintf(t->message, sizeof(t->message), "fork: %s",
			 strerror(errno));
		close(p[0]);
		close(p[1]);
		scn_free(s);
		return false;
	}
	if (sl->pid == 0) {
		close(p[0]);
		for (unsigned i = 0; i < nslots; i++)
			if (slots[i].t && &slots[i] != sl)
				close(slots[i].fd);
		child_main(c, t, s, p[1]);
	}
	close(p[1]);
	sl->fd = p[0];
	sl->t = t;
	scn_free(s);
	return true;
}

/* Collect a child that closed its pipe; returns the instance's status. */
static enum inst_status finish(struct campaign *c, struct slot *sl)
{
	struct inst *t = sl->t;
	struct timespec t1;
	int st = 0;
	bool complete = !sl->overflow && sl->got == sizeof(sl->w) &&
			sl->w.magic == WIRE_MAGIC;

	close(sl->fd);
	while (waitpid(sl->pid, &st, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->wall_ms = (double)(t1.tv_sec - sl->t0.tv_sec) * 1e3 +
		     (double)(t1.tv_nsec - sl->t0.tv_nsec) / 1e6;
	if (complete) {
		const struct wire *w = &sl->w;

		t->status = w->error ? INST_ERROR :
			    w->pass  ? INST_PASS :
				       INST_FAIL;
		snprintf(t->message, sizeof(t->message), "%.*s",
			 (int)sizeof(w->message) - 1, w->message);
		t->expectations = w->expectations;
		t->expectations_passed = w->expectations_passed;
		t->cycles = w->cycles;
		t->seed = w->seed;
		memcpy(t->lat, w->lat, sizeof(t->lat));
		t->timeline = w->timeline;
		if (w->timeline_errno)
			fprintf(stderr, "smmusim campaign: %s: timeline: %s\n",
				t->name, strerror(w->timeline_errno));
		for (unsigned k = 0; k < SCN_KIND_NR; k++) {
			struct campaign_info *ci = &c->info;
			const struct scn_lat_stats *l = &w->lat[k];

			for (unsigned b = 0; b < LAT_BUCKETS; b++) {
				uint64_t sum = (uint64_t)ci->hist[k].count[b] +
					       w->hist[k].count[b];

				ci->hist[k].count[b] = sum > UINT32_MAX ?
							       UINT32_MAX :
							       (uint32_t)sum;
			}
			if (!l->n)
				continue;
			if (!ci->lat_n[k] || l->min < ci->lat_min[k])
				ci->lat_min[k] = l->min;
			if (l->max > ci->lat_max[k])
				ci->lat_max[k] = l->max;
			ci->lat_n[k] += l->n;
			ci->lat_sum[k] += l->mean * l->n;
		}
	}
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);

		char seed[40] = "";

		if (c->seed_set)
			snprintf(seed, sizeof(seed), "--seed %" PRIu64 " ",
				 c->seed);
		t->status = INST_ERROR;
		snprintf(t->message, sizeof(t->message),
			 "crashed: signal %d (%s); reproduce with: smmusim run "
			 "%s%s",
			 sig, strsignal(sig), seed, t->file);
	} else if (!complete || WEXITSTATUS(st)) {
		t->status = INST_ERROR;
		snprintf(t->message, sizeof(t->message),
			 "worker exited with status %d %s", WEXITSTATUS(st),
			 complete ? "after its result" : "without a result");
	}
	sl->t = NULL;
	return t->status;
}

static void progress(const struct campaign *c, unsigned done,
		     unsigned failed, unsigned errors)
{
	int w = snprintf(NULL, 0, "%u", c->n);

	fprintf(stderr, "\r[%*u/%u] %u failed", w, done, c->n, failed);
	if (errors)
		fprintf(stderr, ", %u error%s", errors, errors == 1 ? "" : "s");
	fputs("\033[K", stderr);
}

static unsigned default_jobs(void)
{
	cpu_set_t set;
	long n;

	/* the CPUs we may run on: under Slurm or taskset, fewer than are
	 * online */
	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int run_all(struct campaign *c)
{
	unsigned nslots = c->jobs < c->n ? c->jobs : c->n;
	struct slot *slots = calloc(nslots ? nslots : 1, sizeof(*slots));
	struct pollfd *pfd = calloc(nslots ? nslots : 1, sizeof(*pfd));
	unsigned *pidx = calloc(nslots ? nslots : 1, sizeof(*pidx));
	bool tty = !c->quiet && isatty(STDERR_FILENO);
	unsigned next = 0, done = 0, running = 0, failed = 0, errors = 0;

	if (!slots || !pfd || !pidx) {
		free(slots);
		free(pfd);
		free(pidx);
		fprintf(stderr, "smmusim campaign: out of memory\n");
		return -1;
	}
	/* a child's pipe may close on a parent that has stopped reading */
	signal(SIGPIPE, SIG_IGN);
	if (tty)
		progress(c, 0, 0, 0);
	while (done < c->n) {
		unsigned np = 0;

		while (running < nslots && next < c->n) {
			struct inst *t = &c->v[next++];
			struct slot *sl = NULL;

			if (t->status == INST_ERROR) { /* did not expand */
				t->name = inst_display_name(t->file, "");
			} else {
				for (unsigned i = 0; i < nslots; i++)
					if (!slots[i].t)
						sl = &slots[i];
				if (start(c, sl, slots, nslots, t)) {
					running++;
					continue;
				}
			}
			done++;
			errors++;
			if (tty)
				progress(c, done, failed, errors);
		}
		for (unsigned i = 0; i < nslots; i++) {
			if (!slots[i].t)
				continue;
			pfd[np] = (struct pollfd){ .fd = slots[i].fd,
						   .events = POLLIN };
			pidx[np++] = i;
		}
		if (!np)
			continue;
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("smmusim campaign: poll");
			break;
		}
		for (unsigned i = 0; i < np; i++) {
			struct slot *sl = &slots[pidx[i]];
			char *dst = (char *)&sl->w;
			char sink[256];
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (sl->got < sizeof(sl->w))
				r = read(sl->fd, dst + sl->got,
					 sizeof(sl->w) - sl->got);
			else
				r = read(sl->fd, sink, sizeof(sink));
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0) {
				if (sl->got < sizeof(sl->w))
					sl->got += (size_t)r;
				else
					sl->overflow = true;
				continue;
			}
			/* EOF (or a read error): the child is done */
			switch (finish(c, sl)) {
			case INST_FAIL:
				failed++;
				break;
			case INST_ERROR:
				errors++;
				break;
			default:
				break;
			}
			running--;
			done++;
			if (tty)
				progress(c, done, failed, errors);
		}
	}
	if (tty)
		fputs("\r\033[K", stderr);
	free(slots);
	free(pfd);
	free(pidx);
	return done == c->n ? 0 : -1;
}

/* --- output --- */

static void print_summary(FILE *f, const struct campaign *c)
{
	unsigned pass = 0, fail = 0, err = 0, ex = 0, exp = 0;
	uint64_t cycles = 0;
	int w = 8;
	bool header = false;

	for (unsigned i = 0; i < c->n; i++) {
		int len = (int)strlen(c->v[i].name);

		if (len > w && len <= 72)
			w = len;
	}
	for (unsigned i = 0; i < c->n; i++) {
		const struct inst *t = &c->v[i];

		pass += t->status == INST_PASS;
		fail += t->status == INST_FAIL;
		err += t->status == INST_ERROR;
		ex += t->expectations;
		exp += t->expectations_passed;
		cycles += t->cycles;
		if (c->quiet && t->status == INST_PASS)
			continue;
		if (!header) {
			fprintf(f, "%-*s  %-6s  %12s  %12s  %9s\n", w,
				"scenario", "result", "expectations", "cycles",
				"wall ms");
			header = true;
		}
		fprintf(f, "%-*s  %-6s  %5u/%-6u  %12" PRIu64 "  %9.1f\n", w,
		       t->name, inst_status_name(t->status),
		       t->expectations_passed, t->expectations, t->cycles,
		       t->wall_ms);
		if (t->status != INST_PASS)
			fprintf(f, "    %s\n", t->message);
	}
	if (c->shard_n > 1)
		fprintf(f, "shard %u/%u: ", c->shard_k, c->shard_n);
	fprintf(f, "%u instance%s", c->n, c->n == 1 ? "" : "s");
	if (c->shard_n > 1)
		fprintf(f, " of %u", c->total);
	fprintf(f, ": %u passed, %u failed, %u error%s; expectations %u/%u; "
	       "%" PRIu64 " cycles; %.2f s with -j %u\n",
	       pass, fail, err, err == 1 ? "" : "s", exp, ex, cycles,
	       c->info.wall_s, c->jobs);
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);

	if (!p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0777) && errno != EEXIST) {
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static bool parse_shard(const char *s, unsigned *k, unsigned *n)
{
	char *end;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || !b || !a || a > b || b > 1000000)
		return false;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return true;
}

static void free_campaign(struct campaign *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].id);
	}
	free(c->v);
	for (unsigned i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		if (c->files[i].expanded)
			scn_expansion_free(&c->files[i].e);
	}
	free(c->files);
}

int cmd_campaign(int argc, char **argv)
{
	struct campaign c = { .shard_k = 1, .shard_n = 1, .seed = 1 };
	bool opts_done = false, any_arg = false;
	int status = EXIT_OK;
	double t0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t num;

		if (opts_done || a[0] != '-' || !a[1]) {
			any_arg = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			c.quiet = true;
			continue;
		}
		if (!strncmp(a, "-j", 2) && a[2]) {
			val = a + 2; /* -j4 */
			i--;
		} else if (strcmp(a, "-j") && strcmp(a, "--jobs") &&
			   strcmp(a, "--shard") && strcmp(a, "--junit") &&
			   strcmp(a, "--tap") && strcmp(a, "--report") &&
			   strcmp(a, "--seed")) {
			return cli_usage_error("campaign",
					       "unknown option '%s'", a);
		}
		if (!val)
			return cli_usage_error("campaign", "%s needs a value",
					       a);
		i++;
		if (!strncmp(a, "-j", 2) || !strcmp(a, "--jobs")) {
			if (!cli_parse_u64("campaign", "-j", val, &num))
				return EXIT_USAGE;
			if (num < 1 || num > 4096)
				return cli_usage_error("campaign",
					"-j: '%s' is not in 1..4096", val);
			c.jobs = (unsigned)num;
		} else if (!strcmp(a, "--shard")) {
			if (!parse_shard(val, &c.shard_k, &c.shard_n))
				return cli_usage_error("campaign",
					"--shard: '%s' is not K/N with "
					"1 <= K <= N", val);
		} else if (!strcmp(a, "--junit")) {
			c.junit = val;
		} else if (!strcmp(a, "--tap")) {
			c.tap = val;
		} else if (!strcmp(a, "--report")) {
			c.report = val;
		} else {
			if (!cli_parse_u64("campaign", "--seed", val, &c.seed))
				return EXIT_USAGE;
			c.seed_set = true;
		}
	}
	if (!any_arg)
		return cli_usage_error("campaign",
				       "no scenario directory or file given");
	if (!c.jobs)
		c.jobs = default_jobs();

	opts_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--"))
				opts_done = true;
			else if (strcmp(a, "-q") && strcmp(a, "--quiet") &&
				 !(!strncmp(a, "-j", 2) && a[2]))
				i++; /* its value */
			continue;
		}
		if (collect(&c, a)) {
			free_campaign(&c);
			return EXIT_USAGE;
		}
	}
	if (!c.nfiles) {
		fprintf(stderr, "smmusim campaign: no .scn files found\n");
		free_campaign(&c);
		return EXIT_USAGE;
	}
	sort_files(&c);
	for (unsigned i = 0; i < c.nfiles; i++)
		expand_file(&c.files[i]);
	if (build_instances(&c)) {
		free_campaign(&c);
		return EXIT_USAGE;
	}
	if (c.report && mkdir_p(c.report)) {
		fprintf(stderr, "smmusim campaign: %s: %s\n", c.report,
			strerror(errno));
		free_campaign(&c);
		return EXIT_USAGE;
	}

	t0 = now_s();
	if (run_all(&c)) {
		free_campaign(&c);
		return EXIT_USAGE;
	}
	c.info.wall_s = now_s() - t0;
	c.info.shard_k = c.shard_k;
	c.info.shard_n = c.shard_n;
	c.info.total = c.total;
	c.info.jobs = c.jobs;
	c.info.seed_set = c.seed_set;
	c.info.seed = c.seed;

	for (unsigned i = 0; i < c.n; i++) {
		if (c.v[i].status == INST_ERROR)
			status = EXIT_USAGE;
		else if (c.v[i].status == INST_FAIL && status == EXIT_OK)
			status = EXIT_FAILED;
	}
	/* the table goes to stderr when stdout carries JUnit or TAP */
	print_summary((c.junit && !strcmp(c.junit, "-")) ||
				      (c.tap && !strcmp(c.tap, "-")) ?
			      stderr :
			      stdout,
		      &c);
	fflush(stdout);
	if (c.junit && report_write_junit(c.junit, &c.info, c.v, c.n)) {
		fprintf(stderr, "smmusim campaign: %s: %s\n", c.junit,
			strerror(errno));
		status = EXIT_USAGE;
	}
	if (c.tap && report_write_tap(c.tap, &c.info, c.v, c.n)) {
		fprintf(stderr, "smmusim campaign: %s: %s\n", c.tap,
			strerror(errno));
		status = EXIT_USAGE;
	}
	if (c.report && report_write_index(c.report, &c.info, c.v, c.n)) {
		fprintf(stderr, "smmusim campaign: %s/index.html: %s\n",
			c.report, strerror(errno));
		status = EXIT_USAGE;
	}
	free_campaign(&c);
	return status;
}
