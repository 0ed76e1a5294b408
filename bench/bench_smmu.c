/* SPDX-License-Identifier: MIT */
/*
 * Translation benchmarks through the whole model (docs/performance.md):
 *   tlb_hit            a DMA read whose translation hits the TLB
 *                      (smmu_translate: the caller owns delivery)
 *   tlb_hit_submit     the same through smmu_submit and an engine event
 *   walk_s1_4k_4level  a cold 4-level stage-1 walk: TLB and walk cache
 *                      disabled, configuration cache warm
 * Each result is the median of several repetitions, printed as one JSON
 * object per line. Host speed only: simulated cycles are not affected.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "host/pgtable.h"
#include "host/platform.h"

#define SID 1u
#define VA UINT64_C(0x0000400000000000)
#define REPS 7

static uint64_t completed;

static void done(void *ctx, const struct smmu_txn *t,
		 const struct smmu_txn_result *r)
{
	(void)ctx;
	(void)t;
	if (r->resp == SMMU_RESP_OK)
		completed++;
}

static bool setup(struct platform *p, struct pgtable *pt,
		  const struct smmu_impl *impl, uint64_t pages)
{
	char err[256];

	if (!platform_create(p, impl, 1, 8, err, sizeof(err))) {
		fprintf(stderr, "bench_smmu: %s\n", err);
		return false;
	}
	uint64_t buf = hostmem_alloc(p->hm, pages * 4096, 4096);
	uint64_t cdt = hostmem_alloc(p->hm, 64, 64);
	uint64_t ste[8], cd[8];

	if (!buf || !cdt || !pgtable_init(pt, p->hm, 1, 12, 48) ||
	    !pgtable_map(pt, VA, buf, pages * 4096, PT_R | PT_W | PT_USER | PT_NG))
		return false;
	hsmmu_cd_from_pgtable(cd, pt, 1, impl->oas);
	for (int i = 0; i < 8; i++)
		pmem_write64(p->mem, cdt + 8 * (uint64_t)i, cd[i], NULL);
	hsmmu_ste_s1(ste, cdt, 0);
	return hsmmu_install_ste(p->drv, SID, ste) == 0;
}

/* Run `n` reads over `pages` pages through smmu_translate() (the
 * caller owns delivery); return ns per translation. */
static double run_sync(struct platform *p, uint64_t n, uint64_t pages)
{
	struct smmu_txn t = { .sid = SID, .len = 8 };
	struct smmu_txn_result r;
	uint64_t ok = 0, start = bench_now_ns();

	for (uint64_t i = 0; i < n; i++) {
		t.addr = VA + (i % pages) * 4096;
		ok += smmu_translate(p->smmu, &t, &r, done, NULL) &&
		      r.resp == SMMU_RESP_OK;
	}
	uint64_t ns = bench_now_ns() - start;

	if (ok != n) {
		fprintf(stderr, "bench_smmu: %llu of %llu translations failed\n",
			(unsigned long long)(n - ok), (unsigned long long)n);
		exit(1);
	}
	return (double)ns / (double)n;
}

/* The same through smmu_submit(): each response is delivered by an
 * engine event, as devices in a simulation receive it. */
static double run_submit(struct platform *p, uint64_t n, uint64_t pages)
{
	struct smmu_txn t = { .sid = SID, .len = 8 };
	uint64_t start = bench_now_ns();

	completed = 0;
	for (uint64_t i = 0; i < n; i++) {
		t.addr = VA + (i % pages) * 4096;
		smmu_submit(p->smmu, &t, done, NULL);
		if ((i & 63) == 63)
			sim_run_to_idle(p->sim, 0);
	}
	sim_run_to_idle(p->sim, 0);
	uint64_t ns = bench_now_ns() - start;

	if (completed != n) {
		fprintf(stderr, "bench_smmu: %llu of %llu translations failed\n",
			(unsigned long long)(n - completed),
			(unsigned long long)n);
		exit(1);
	}
	return (double)ns / (double)n;
}

static int want_argc;
static char **want_argv;

/* With arguments, run only the benchmarks they name. */
static bool wanted(const char *name)
{
	if (want_argc < 2)
		return true;
	for (int i = 1; i < want_argc; i++)
		if (!strcmp(want_argv[i], name))
			return true;
	return false;
}

static void bench(const char *name, struct smmu_impl *impl, uint64_t pages,
		  uint64_t n, bool submit, const char *extra)
{
	struct platform p;
	struct pgtable pt = { 0 };
	double v[REPS];

	if (!wanted(name))
		return;
	if (!setup(&p, &pt, impl, pages))
		exit(1);
	run_sync(&p, pages, pages); /* warm the config cache (and TLB) */
	for (int r = 0; r < REPS; r++)
		v[r] = submit ? run_submit(&p, n, pages)
			      : run_sync(&p, n, pages);
	bench_report(name, bench_median(v, REPS), n, impl->name, extra);
	pgtable_destroy(&pt);
	platform_destroy(&p);
}

int main(int argc, char **argv)
{
	struct smmu_impl impl;

	want_argc = argc;
	want_argv = argv;
	smmu_impl_preset("full", &impl);
	bench("tlb_hit", &impl, 16, 2000000, false, NULL);
	bench("tlb_hit_submit", &impl, 16, 2000000, true, NULL);

	smmu_impl_preset("full", &impl);
	impl.tlb.ways = 0;
	impl.walkcache.ways = 0;
	bench("walk_s1_4k_4level", &impl, 4096, 500000, false,
	      ", \"tlb\": \"off\", \"walkcache\": \"off\"");
	return 0;
}
