/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include "benchutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define BENCH_HAVE_MALLINFO2 1
#endif

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_report(const char *name, double ns_per_op, uint64_t ops,
		  const char *preset, const char *extra)
{
	printf("{\"name\": \"%s\", \"ns_per_op\": %.2f, \"ops\": %llu, "
	       "\"preset\": \"%s\"%s}\n",
	       name, ns_per_op, (unsigned long long)ops, preset ? preset : "",
	       extra ? extra : "");
	fflush(stdout);
}

static bool known_name(const char *const *known, const char *name)
{
	for (; *known; known++)
		if (!strcmp(*known, name))
			return true;
	return false;
}

bool bench_args_parse(struct bench_args *a, const char *prog,
		      const char *const *known, int argc, char **argv)
{
	a->argc = 0;
	a->argv = argv;
	a->quick = false;
	/* Names are compacted to the front of argv[1..]. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			a->quick = true;
			continue;
		}
		if (argv[i][0] == '-')
			fprintf(stderr, "%s: unknown option '%s'\n", prog,
				argv[i]);
		else if (!known_name(known, argv[i]))
			fprintf(stderr, "%s: unknown benchmark '%s'\n", prog,
				argv[i]);
		else {
			argv[1 + a->argc++] = argv[i];
			continue;
		}
		fprintf(stderr, "usage: %s [--quick] [BENCHMARK...]\n"
			"benchmarks:", prog);
		for (; *known; known++)
			fprintf(stderr, " %s", *known);
		fputc('\n', stderr);
		return false;
	}
	return true;
}

bool bench_wanted(const struct bench_args *a, const char *name)
{
	if (a->argc == 0)
		return true;
	for (int i = 1; i <= a->argc; i++)
		if (!strcmp(a->argv[i], name))
			return true;
	return false;
}

static void extra_add(struct bench_extra *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void extra_add(struct bench_extra *x, const char *fmt, ...)
{
	size_t room = sizeof(x->buf) - x->len;
	va_list ap;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->buf + x->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	x->len += (size_t)n < room ? (size_t)n : room - 1;
}

void bench_extra_init(struct bench_extra *x, const struct bench_args *a)
{
	x->buf[0] = '\0';
	x->len = 0;
	if (a && a->quick)
		extra_add(x, ", \"quick\": true");
}

void bench_extra_u64(struct bench_extra *x, const char *key, uint64_t v)
{
	extra_add(x, ", \"%s\": %llu", key, (unsigned long long)v);
}

void bench_extra_f64(struct bench_extra *x, const char *key, double v)
{
	extra_add(x, ", \"%s\": %.2f", key, v);
}

void bench_extra_str(struct bench_extra *x, const char *key, const char *v)
{
	extra_add(x, ", \"%s\": \"%s\"", key, v);
}

void bench_extra_f64s(struct bench_extra *x, const char *key,
		      const double *v, unsigned n)
{
	extra_add(x, ", \"%s\": [", key);
	for (unsigned i = 0; i < n; i++)
		extra_add(x, "%s%.2f", i ? ", " : "", v[i]);
	extra_add(x, "]");
}

uint64_t bench_heap_bytes(void)
{
#ifdef BENCH_HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
#else
	return 0;
#endif
}

bool bench_heap_available(void)
{
	uint64_t before = bench_heap_bytes();
	void *volatile p = malloc(4096);
	bool grew = bench_heap_bytes() > before;

	free(p);
	return grew;
}

/* A "Key:   N kB" line of /proc/self/status, in bytes. */
static uint64_t proc_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t klen = strlen(key);
	char line[256];
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10) * 1024u;
			break;
		}
	}
	fclose(f);
	return v;
}

uint64_t bench_rss_bytes(void)
{
	return proc_status_kb("VmRSS");
}

uint64_t bench_peak_rss_bytes(void)
{
	return proc_status_kb("VmHWM");
}

void bench_die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}
