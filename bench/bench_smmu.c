/* SPDX-License-Identifier: MIT */
/*
 * Translation benchmarks through the whole model (docs/performance.md):
 *   tlb_hit            a DMA read whose translation hits the TLB
 *                      (smmu_translate: the caller owns delivery)
 *   tlb_hit_submit     the same through smmu_submit and an engine event
 *   walk_s1_4k_4level  a cold 4-level stage-1 walk: TLB and walk cache
 *                      disabled, configuration cache warm
 *   walk_nested_4k     a cold nested walk, stage 1 and stage 2 both 4K
 *                      granule and 4 levels: every stage-1 descriptor
 *                      address is itself translated by a stage-2 walk,
 *                      then the output IPA (4 x (4 + 1) + 4 = 24
 *                      descriptor reads); TLB and walk cache disabled,
 *                      configuration cache warm
 * Each result is the median of several repetitions, printed as one JSON
 * object per line. Host speed only: simulated cycles are not affected.
 * Arguments: benchmark names to run only those, --quick for a smoke run.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "host/asid.h"
#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"

#define SID 1u
#define VA UINT64_C(0x0000400000000000)
#define REPS 7
#define QUICK_REPS 3
/* walk_nested_4k: stage 2 maps this much RAM from its start, IPA == PA */
#define S2_WINDOW (UINT64_C(64) << 20)

static const char prog[] = "bench_smmu";
static uint64_t completed;

static void done(void *ctx, const struct smmu_txn *t,
		 const struct smmu_txn_result *r)
{
	(void)ctx;
	(void)t;
	if (r->resp == SMMU_RESP_OK)
		completed++;
}

struct fixture {
	struct platform p;
	struct pgtable s1;
	struct pgtable s2;   /* walk_nested_4k only */
};

/* A buffer of `pages` pages mapped at VA by a stage-1 table, its CD. */
static bool setup_s1(struct fixture *f, const struct smmu_impl *impl,
		     uint64_t pages, uint64_t *cdt)
{
	char err[256];
	uint64_t cd[8];

	if (!platform_create(&f->p, impl, 1, 8, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return false;
	}
	uint64_t buf = hostmem_alloc(f->p.hm, pages * 4096, 4096);

	*cdt = hostmem_alloc(f->p.hm, 64, 64);
	if (!buf || !*cdt || !pgtable_init(&f->s1, f->p.hm, 1, 12, 48) ||
	    !pgtable_map(&f->s1, VA, buf, pages * 4096,
			 PT_R | PT_W | PT_USER | PT_NG))
		return false;
	hsmmu_cd_from_pgtable(cd, &f->s1, 1, impl->oas);
	for (int i = 0; i < 8; i++)
		pmem_write64(f->p.mem, *cdt + 8 * (uint64_t)i, cd[i], NULL);
	return true;
}

static bool setup(struct fixture *f, const struct smmu_impl *impl,
		  uint64_t pages)
{
	uint64_t cdt, ste[8];

	if (!setup_s1(f, impl, pages, &cdt))
		return false;
	hsmmu_ste_s1(ste, cdt, 0);
	return hsmmu_install_ste(f->p.drv, SID, ste) == 0;
}

/*
 * Nested: the stage-1 set-up of setup(), every address of which (CD
 * table, stage-1 tables, buffer) is an IPA that a 4-level, 4K stage-2
 * table maps to the same PA with 4K pages (no blocks), so each stage-1
 * descriptor fetch and the output need a full stage-2 walk.
 */
static bool setup_nested(struct fixture *f, const struct smmu_impl *impl,
			 uint64_t pages)
{
	uint64_t cdt, s1ste[8], s2ste[8], ste[8];
	int vmid;

	if (!setup_s1(f, impl, pages, &cdt))
		return false;
	if (hostmem_used(f->p.hm) > S2_WINDOW / 2) {
		fprintf(stderr, "%s: stage-1 set-up outgrows the stage-2 "
			"window\n", prog);
		return false;
	}
	vmid = vmid_alloc(hsmmu_vmids(f->p.drv));
	if (vmid <= 0 || !pgtable_init(&f->s2, f->p.hm, 2, 12, 48) ||
	    !pgtable_map(&f->s2, PLAT_RAM_BASE, PLAT_RAM_BASE, S2_WINDOW,
			 PT_R | PT_W))
		return false;
	hsmmu_ste_s1(s1ste, cdt, 0);
	hsmmu_ste_s2(s2ste, &f->s2, (uint16_t)vmid, impl->oas);
	/* The stage-1 fields live in words 0-1, the stage-2 ones in 2-3. */
	for (int i = 0; i < 8; i++)
		ste[i] = s1ste[i] | s2ste[i];
	fset(ste, STE_CONFIG, STE_CFG_NESTED);
	return hsmmu_install_ste(f->p.drv, SID, ste) == 0;
}

static void teardown(struct fixture *f)
{
	if (f->s2.root)
		pgtable_destroy(&f->s2);
	pgtable_destroy(&f->s1);
	platform_destroy(&f->p);
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

	if (ok != n)
		bench_die(prog, "%llu of %llu translations failed",
			  (unsigned long long)(n - ok), (unsigned long long)n);
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

	if (completed != n)
		bench_die(prog, "%llu of %llu translations failed",
			  (unsigned long long)(n - completed),
			  (unsigned long long)n);
	return (double)ns / (double)n;
}

enum kind { K_HIT, K_SUBMIT, K_WALK, K_NESTED };

static void bench(const struct bench_args *a, const char *name,
		  const struct smmu_impl *impl, uint64_t pages, uint64_t n,
		  enum kind k)
{
	struct fixture f;
	struct smmu_stats s0, s1;
	struct bench_extra x;
	unsigned reps = a->quick ? QUICK_REPS : REPS;
	double v[REPS];
	bool ok;

	if (!bench_wanted(a, name))
		return;
	memset(&f, 0, sizeof(f));
	ok = k == K_NESTED ? setup_nested(&f, impl, pages)
			   : setup(&f, impl, pages);
	if (!ok)
		bench_die(prog, "%s: set-up failed", name);
	run_sync(&f.p, pages, pages); /* warm the config cache (and TLB) */
	smmu_get_stats(f.p.smmu, &s0);
	for (unsigned r = 0; r < reps; r++)
		v[r] = k == K_SUBMIT ? run_submit(&f.p, n, pages)
				     : run_sync(&f.p, n, pages);
	smmu_get_stats(f.p.smmu, &s1);
	bench_extra_init(&x, a);
	if (k == K_WALK || k == K_NESTED) {
		uint64_t walks = s1.walks - s0.walks;

		/* cold: every translation walked */
		if (walks != (uint64_t)reps * n)
			bench_die(prog, "%s: %llu walks for %llu translations",
				  name, (unsigned long long)walks,
				  (unsigned long long)reps * n);
		bench_extra_str(&x, "tlb", "off");
		bench_extra_str(&x, "walkcache", "off");
		bench_extra_u64(&x, "reads_per_walk",
				(s1.walk_reads - s0.walk_reads) / walks);
	} else if (s1.tlb_hits - s0.tlb_hits != (uint64_t)reps * n) {
		bench_die(prog, "%s: not every translation hit the TLB", name);
	}
	bench_report(name, bench_median(v, reps), n, impl->name, x.buf);
	teardown(&f);
}

/* Every benchmark of this program, in the order they run. */
static const char *const names[] = {
	"tlb_hit",
	"tlb_hit_submit",
	"walk_s1_4k_4level",
	"walk_nested_4k",
	NULL,
};

int main(int argc, char **argv)
{
	struct bench_args a;
	struct smmu_impl impl;

	if (!bench_args_parse(&a, prog, names, argc, argv))
		return 2;
	uint64_t hit_n = a.quick ? 20000 : 2000000;
	uint64_t walk_n = a.quick ? 4096 : 500000;
	uint64_t nested_n = a.quick ? 4096 : 200000;

	smmu_impl_preset("full", &impl);
	bench(&a, "tlb_hit", &impl, 16, hit_n, K_HIT);
	bench(&a, "tlb_hit_submit", &impl, 16, hit_n, K_SUBMIT);

	smmu_impl_preset("full", &impl);
	impl.tlb.ways = 0;
	impl.walkcache.ways = 0;
	bench(&a, "walk_s1_4k_4level", &impl, 4096, walk_n, K_WALK);
	bench(&a, "walk_nested_4k", &impl, 4096, nested_n, K_NESTED);
	return 0;
}
