/* SPDX-License-Identifier: MIT */
/*
 * The translation fast path is a host-speed shortcut only: a random
 * workload run twice, with and without it, must give identical
 * responses, completion cycles, events, counters and final memory.
 * Small caches make replacement decisions matter.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmu/smmu_internal.h"

#define VA UINT64_C(0x0000100000000000)
#define PAGES 24u
#define NSID 3u
#define STEPS 6000u

struct run {
	struct platform p;
	struct pgtable pt;
	uint64_t buf, cdt[NSID];
	struct smmu_txn_result last;
	uint64_t hash;
	unsigned done;
};

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct run *x = ctx;
	uint64_t v[5] = { r->resp, r->oa, r->completed_at, r->event_id,
			  t->cookie };

	for (int i = 0; i < 5; i++)
		x->hash = (x->hash ^ v[i]) * UINT64_C(0x100000001B3);
	x->last = *r;
	x->done++;
}

struct geom {
	struct smmu_cache_geom tlb, cfg;
	unsigned hot;        /* pages in the hot set */
	bool commands;       /* interleave invalidations and PTE changes */
};

static void build(struct run *x, bool fast, const struct geom *g)
{
	struct smmu_impl impl;
	char err[128];

	smmu_impl_preset("full", &impl);
	impl.tlb = g->tlb;
	impl.cfgcache = g->cfg;
	impl.walkcache = (struct smmu_cache_geom){ 2, 2, SMMU_REPL_FIFO };
	memset(x, 0, sizeof(*x));
	x->hash = UINT64_C(0xCBF29CE484222325);
	assert_true(platform_create(&x->p, &impl, 7, 8, err, sizeof(err)));
	x->p.smmu->no_fast_path = !fast;
	x->buf = hostmem_alloc(x->p.hm, PAGES * 4096, 4096);
	assert_true(pgtable_init(&x->pt, x->p.hm, 1, 12, 48));
	for (unsigned i = 0; i < PAGES; i++) {
		unsigned fl = PT_R | PT_USER | PT_NG;

		if (i % 3 != 2)
			fl |= PT_W; /* every third page read-only */
		if (i % 7 == 6)
			continue;   /* and some unmapped */
		assert_true(pgtable_map(&x->pt, VA + i * 4096ull,
					x->buf + i * 4096ull, 4096, fl));
	}
	for (unsigned s = 0; s < NSID; s++) {
		uint64_t cd[8], ste[8];

		x->cdt[s] = hostmem_alloc(x->p.hm, 64, 64);
		hsmmu_cd_from_pgtable(cd, &x->pt, (uint16_t)(s + 1), 5);
		for (int i = 0; i < 8; i++)
			pmem_write64(x->p.mem, x->cdt[s] + 8 * (uint64_t)i,
				     cd[i], NULL);
		hsmmu_ste_s1(ste, x->cdt[s], 0);
		assert_int_equal(hsmmu_install_ste(x->p.drv, s, ste), 0);
	}
}

static void destroy(struct run *x)
{
	pgtable_destroy(&x->pt);
	platform_destroy(&x->p);
}

/* One step of the workload, chosen by the shared PRNG draw r. */
static void step(struct run *x, uint64_t r, unsigned i, const struct geom *g)
{
	uint64_t kind = g->commands ? r % 100 : 0;

	if (kind < 90) {
		struct smmu_txn t = {
			.sid = (uint32_t)((r >> 8) % NSID),
			/* mostly the hot set, sometimes any page */
			.addr = VA + ((r >> 16) % ((r >> 44) % 8 ? g->hot : PAGES)) *
					     4096 +
				((r >> 24) % 64) * 8,
			.len = 8,
			.write = (r >> 32) & 1,
			.priv = ((r >> 33) % 8) == 0,
			.cookie = i,
		};

		assert_true(smmu_submit(x->p.smmu, &t, on_done, x));
		if ((r >> 40) % 4 == 0)
			sim_run_to_idle(x->p.sim, 0);
	} else if (kind < 94) {
		uint64_t c[2] = { 0, 0 };

		fset(c, CMD_OPCODE, OP_TLBI_NH_ASID);
		fset(c, CMD_ASID, 1 + (r >> 8) % NSID);
		hsmmu_cmd(x->p.drv, c);
		hsmmu_sync(x->p.drv);
	} else if (kind < 97) {
		uint64_t c[2] = { 0, 0 };

		fset(c, CMD_OPCODE, OP_CFGI_STE);
		fset(c, CMD_SID, (r >> 8) % NSID);
		hsmmu_cmd(x->p.drv, c);
		hsmmu_sync(x->p.drv);
	} else {
		/* flip one page between read-only and writable, then
		 * invalidate it as software must */
		unsigned pg = (unsigned)((r >> 8) % PAGES);
		uint64_t leaf, d, c[2] = { 0, 0 };

		if (pgtable_lookup(&x->pt, VA + pg * 4096ull, NULL, &leaf)) {
			pmem_read64(x->p.mem, leaf, &d, NULL);
			pmem_write64(x->p.mem, leaf, d ^ (UINT64_C(1) << 7),
				     NULL);
		}
		fset(c, CMD_OPCODE, OP_TLBI_NH_VAA);
		fset(c, CMD_ADDR, (VA + pg * 4096ull) >> 12);
		hsmmu_cmd(x->p.drv, c);
		hsmmu_sync(x->p.drv);
	}
}

/*
 * Rows: cache geometries and workloads. Tiny LRU caches make every
 * replacement-state update the fast path must repeat (TLB, STE and CD
 * touches) decide later hits and misses.
 */
static const struct geom geoms[] = {
	{ { 1, 8, SMMU_REPL_LRU }, { 1, 3, SMMU_REPL_LRU }, 2, true },
	{ { 1, 2, SMMU_REPL_LRU }, { 4, 4, SMMU_REPL_LRU }, 2, false },
	{ { 64, 4, SMMU_REPL_LRU }, { 1, 3, SMMU_REPL_LRU }, 1, false },
	{ { 1, 3, SMMU_REPL_FIFO }, { 1, 4, SMMU_REPL_RANDOM }, 3, true },
};

static void run_pair(const struct geom *g)
{
	struct run a, b;
	struct sim_prng rng;
	struct smmu_stats sa, sb;

	build(&a, true, g);
	build(&b, false, g);
	sim_prng_seed(&rng, 42);
	for (unsigned i = 0; i < STEPS; i++) {
		uint64_t r = sim_prng_next(&rng);

		step(&a, r, i, g);
		step(&b, r, i, g);
	}
	sim_run_to_idle(a.p.sim, 0);
	sim_run_to_idle(b.p.sim, 0);
	assert_int_equal(a.done, b.done);
	assert_int_equal(a.hash, b.hash);
	assert_int_equal(sim_now(a.p.sim), sim_now(b.p.sim));
	smmu_get_stats(a.p.smmu, &sa);
	smmu_get_stats(b.p.smmu, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	/* the workload exercised hits, misses and faults */
	assert_true(sa.tlb_hits > 500);
	assert_true(sa.tlb_misses > 100);
	assert_true(sa.txn_abort > 100);
	/* the event queues hold the same records */
	uint64_t ra[4], rb[4];
	unsigned n = 0;

	while (hsmmu_pop_event(a.p.drv, ra)) {
		assert_true(hsmmu_pop_event(b.p.drv, rb));
		assert_memory_equal(ra, rb, sizeof(ra));
		n++;
	}
	assert_false(hsmmu_pop_event(b.p.drv, rb));
	assert_true(n > 0);
	destroy(&a);
	destroy(&b);
}

static void test_fast_path_is_invisible(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++)
		run_pair(&geoms[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path_is_invisible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
