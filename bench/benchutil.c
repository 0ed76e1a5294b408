/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
