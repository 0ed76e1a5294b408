/* SPDX-License-Identifier: MIT */
/*
 * Benchmark helpers: a monotonic clock, the median of repeated runs, the
 * one-JSON-object-per-line result format of docs/performance.md, the
 * common command line (benchmark names, --quick) and host memory
 * figures.
 */
#ifndef SMMUSIM_BENCHUTIL_H
#define SMMUSIM_BENCHUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t bench_now_ns(void);
/* Median of n samples (sorts the array in place). */
double bench_median(double *v, unsigned n);
/*
 * Print {"name":..,"ns_per_op":..,"ops":..,"preset":..<extra>} on one line.
 * `extra` is either NULL or a string of further ,"key":value pairs
 * starting with a comma.
 */
void bench_report(const char *name, double ns_per_op, uint64_t ops,
		  const char *preset, const char *extra);

/*
 * The command line every program accepts: benchmark names (run only
 * those; none: all) and --quick (a smoke run with few operations, which
 * adds "quick": true to every result line). `known` lists the program's
 * benchmark names, NULL-terminated. An unknown option or name is an
 * error: bench_args_parse prints it and a usage line naming `prog` on
 * stderr and returns false (the program then exits with status 2).
 */
struct bench_args {
	int argc;
	char **argv;
	bool quick;
};

bool bench_args_parse(struct bench_args *a, const char *prog,
		      const char *const *known, int argc, char **argv);
/* Whether the benchmark `name` was asked for. */
bool bench_wanted(const struct bench_args *a, const char *name);

/*
 * A growing string of extra JSON fields for bench_report (each added
 * with a leading comma). Overlong text is cut, never overrun.
 */
struct bench_extra {
	char buf[512];
	size_t len;
};

void bench_extra_init(struct bench_extra *x, const struct bench_args *a);
void bench_extra_u64(struct bench_extra *x, const char *key, uint64_t v);
void bench_extra_f64(struct bench_extra *x, const char *key, double v);
void bench_extra_str(struct bench_extra *x, const char *key, const char *v);
/* A JSON array of numbers. */
void bench_extra_f64s(struct bench_extra *x, const char *key,
		      const double *v, unsigned n);

/*
 * Host memory. bench_heap_bytes: bytes the C library's allocator has
 * handed out and not taken back (glibc mallinfo2: arena chunks in use
 * plus mmap'ed chunks, malloc's own headers included), 0 where not
 * available. bench_rss_bytes / bench_peak_rss_bytes: the process's
 * resident set now and at its peak (VmRSS, VmHWM of /proc/self/status),
 * 0 where not available.
 */
uint64_t bench_heap_bytes(void);
/* Whether bench_heap_bytes() counts (not under a sanitizer's allocator,
 * for one): a malloc must make it grow. */
bool bench_heap_available(void);
uint64_t bench_rss_bytes(void);
uint64_t bench_peak_rss_bytes(void);

/* Print "prog: message" on stderr and exit(1): a benchmark whose set-up
 * or checks fail must not print a figure. */
void bench_die(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
