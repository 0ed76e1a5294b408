/* SPDX-License-Identifier: MIT */
/*
 * The raw TLB structure (smmu/tlb.c): nanoseconds per tlb_lookup, with
 * thousands of entries present, outside the translation pipeline (the
 * full-pipeline figure is bench_smmu's).
 *
 * The TLB of the `full` preset (512 sets x 4 ways) is filled with 4K
 * pages over several ASIDs and VMIDs, and, for the mixed cases, some 2M
 * blocks, so a lookup probes one set per size present. The addresses
 * looked up are the entries that survived filling, in a random order.
 * Cases:
 *   tlb_lookup_raw          hits, 4K pages + 2M blocks (two sizes probed)
 *   tlb_lookup_raw_4k       hits, 4K pages only (one size probed)
 *   tlb_lookup_raw_miss     misses, 4K pages + 2M blocks present
 *   tlb_lookup_raw_hot      one translation looked up again and again:
 *                           the fixed cost, with no host cache misses
 * Each figure is the median of REPS passes over NLOOK lookups.
 */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "smmu/smmu_internal.h"

#define REPS 7
#define NLOOK (1u << 20)
#define NFILL 4096u
#define NBLOCKS 256u
#define NCTX 8u

struct probe {
	struct tlb_tag tag;
	uint64_t ia;
};

static volatile uint64_t sink;

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_tlb: out of memory\n");
		exit(1);
	}
	return p;
}

static struct tlb_tag ctx_tag(unsigned c)
{
	struct tlb_tag t = {
		.world = WORLD_NS_EL1, .s1 = true, .s2 = true,
		.vmid = (uint16_t)(1 + c % 4), .asid = (uint16_t)(10 + c),
	};

	return t;
}

static void insert(struct smmu *smmu, const struct tlb_tag *tag, uint64_t ia,
		   unsigned shift)
{
	struct tlb_entry e;

	memset(&e, 0, sizeof(e));
	e.tag = *tag;
	e.ia = ia;
	e.size_shift = (uint8_t)shift;
	e.level = shift == 12 ? 3 : 2;
	e.granule_shift = 12;
	e.res.oa = ia ^ UINT64_C(0x800000000);
	e.res.size_shift = (uint8_t)shift;
	e.res.pr = e.res.pw = e.res.ur = e.res.uw = true;
	tlb_insert(smmu, &e);
}

/* Fill; returns how many of the inserted translations still hit. */
static unsigned fill(struct smmu *smmu, struct sim_prng *rng, bool blocks,
		     struct probe *hits)
{
	struct probe *all = xcalloc(NFILL + NBLOCKS, sizeof(*all));
	unsigned n = 0, nh = 0;
	struct tlb_entry out;

	for (unsigned i = 0; i < NFILL; i++, n++) {
		all[n].tag = ctx_tag(i % NCTX);
		all[n].ia = UINT64_C(0x10000000) +
			    (sim_prng_below(rng, 1u << 20) << 12);
		insert(smmu, &all[n].tag, all[n].ia, 12);
	}
	for (unsigned i = 0; blocks && i < NBLOCKS; i++, n++) {
		all[n].tag = ctx_tag(i % NCTX);
		all[n].ia = UINT64_C(0x8000000000) +
			    (sim_prng_below(rng, 1u << 12) << 21) +
			    (sim_prng_below(rng, 1u << 9) << 12);
		insert(smmu, &all[n].tag, all[n].ia & ~bits_mask(21), 21);
	}
	for (unsigned i = 0; i < n; i++)
		if (tlb_lookup(smmu, &all[i].tag, all[i].ia, &out))
			hits[nh++] = all[i];
	free(all);
	return nh;
}

static double time_pass(struct smmu *smmu, const struct probe *p,
			const uint32_t *order, bool want_hit)
{
	struct tlb_entry out;
	uint64_t t0, t1, acc = 0;
	unsigned got = 0;

	t0 = bench_now_ns();
	for (unsigned i = 0; i < NLOOK; i++) {
		const struct probe *q = &p[order[i]];

		if (tlb_lookup(smmu, &q->tag, q->ia, &out)) {
			acc += out.res.oa;
			got++;
		}
	}
	t1 = bench_now_ns();
	sink ^= acc;
	if (got != (want_hit ? NLOOK : 0u)) {
		fprintf(stderr, "bench_tlb: %u of %u lookups hit\n", got,
			NLOOK);
		exit(1);
	}
	return (double)(t1 - t0) / NLOOK;
}

static void run_case(const char *name, bool blocks, bool miss, bool hot)
{
	struct sim *sim = sim_create(1);
	struct pmem *mem = pmem_create();
	struct smmu_impl impl;
	struct smmu *smmu;
	struct sim_prng rng;
	struct probe *hits = xcalloc(NFILL + NBLOCKS, sizeof(*hits));
	uint32_t *order = xcalloc(NLOOK, sizeof(*order));
	unsigned nh;
	double t[REPS];
	char extra[160];

	if (!sim || !mem || pmem_add_ram(mem, 0, UINT64_C(1) << 32) < 0 ||
	    !smmu_impl_preset("full", &impl)) {
		fprintf(stderr, "bench_tlb: set-up failed\n");
		exit(1);
	}
	smmu = smmu_create(sim, mem, &impl);
	if (!smmu) {
		fprintf(stderr, "bench_tlb: smmu_create failed\n");
		exit(1);
	}
	sim_prng_seed(&rng, 0x7157);
	nh = fill(smmu, &rng, blocks, hits);
	if (miss)	/* same contexts, addresses no entry maps */
		for (unsigned i = 0; i < nh; i++)
			hits[i].ia += UINT64_C(1) << 44;
	for (unsigned i = 0; i < NLOOK; i++)
		order[i] = hot ? 0 : (uint32_t)sim_prng_below(&rng, nh);
	time_pass(smmu, hits, order, !miss);	/* warm up */
	for (unsigned r = 0; r < REPS; r++)
		t[r] = time_pass(smmu, hits, order, !miss);
	snprintf(extra, sizeof(extra),
		 ", \"entries\": %u, \"sets\": %u, \"ways\": %u, "
		 "\"sizes\": \"%s\"",
		 nh, impl.tlb.sets, impl.tlb.ways, blocks ? "4K+2M" : "4K");
	bench_report(name, bench_median(t, REPS), NLOOK, impl.name, extra);
	free(order);
	free(hits);
	smmu_destroy(smmu);
	pmem_destroy(mem);
	sim_destroy(sim);
}

int main(void)
{
	run_case("tlb_lookup_raw", true, false, false);
	run_case("tlb_lookup_raw_4k", false, false, false);
	run_case("tlb_lookup_raw_miss", true, true, false);
	run_case("tlb_lookup_raw_hot", true, false, true);
	return 0;
}
