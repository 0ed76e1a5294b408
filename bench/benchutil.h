/* SPDX-License-Identifier: MIT */
/*
 * Benchmark helpers: a monotonic clock, the median of repeated runs, and
 * the one-JSON-object-per-line result format of docs/performance.md.
 */
#ifndef SMMUSIM_BENCHUTIL_H
#define SMMUSIM_BENCHUTIL_H

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

#endif
