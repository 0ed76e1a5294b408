/* SPDX-License-Identifier: MIT */
/*
 * Walk cache (smmu/walkcache.c): hits shorten walks, invalidation by
 * every TLBI scope removes exactly the entries it covers, replacement
 * policies, faulting descriptors never cached.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "smmu/smmu_internal.h"
#include "smmu/walkcache.h"

#define D_VALID UINT64_C(1)
#define D_TABLE UINT64_C(2)
#define D_AF (UINT64_C(1) << 10)
#define D_AP_RW_ALL (UINT64_C(1) << 6)
#define D_S2AP_RW (UINT64_C(3) << 6)

struct fx {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	uint64_t next;
};

static struct fx *fx_new_geom(uint32_t sets, uint32_t ways,
			      enum smmu_repl_policy pol)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, UINT64_C(1) << 32) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	impl.walkcache.sets = sets;
	impl.walkcache.ways = ways;
	impl.walkcache.policy = pol;
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	f->next = 0x10000000;
	return f;
}

static struct fx *fx_new(void)
{
	return fx_new_geom(64, 4, SMMU_REPL_LRU);
}

static void fx_free(struct fx *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* 4K granule, 48-bit input, start level 0. */
static uint64_t pt_new_table(struct fx *f)
{
	uint64_t a = f->next;

	f->next += 0x1000;
	assert_int_equal(pmem_fill(f->mem, a, 0, 0x1000), MEM_OK);
	return a;
}

static void pt_map(struct fx *f, uint64_t root, uint64_t ia, uint64_t oa,
		   uint64_t bits)
{
	uint64_t table = root;

	for (int l = 0; l < 3; l++) {
		uint64_t slot = table + ((ia >> (39 - 9 * l)) & 0x1FF) * 8;
		uint64_t d;

		assert_int_equal(pmem_read64(f->mem, slot, &d, NULL), MEM_OK);
		if (!(d & D_VALID)) {
			d = pt_new_table(f) | D_VALID | D_TABLE;
			assert_int_equal(pmem_write64(f->mem, slot, d, NULL),
					 MEM_OK);
		}
		table = d & 0x0000FFFFFFFFF000ull;
	}
	assert_int_equal(pmem_write64(f->mem,
				      table + ((ia >> 12) & 0x1FF) * 8,
				      oa | bits | D_VALID | D_TABLE, NULL),
			 MEM_OK);
}

static struct walk_regime regime(int stage, uint64_t ttb, uint16_t asid,
				 uint16_t vmid)
{
	struct walk_regime r;

	memset(&r, 0, sizeof(r));
	r.stage = (uint8_t)stage;
	r.granule_shift = 12;
	r.tsz = 16;
	r.start_level = 0;
	r.ttb = ttb;
	r.oas_bits = 48;
	r.asid = asid;
	r.vmid = vmid;
	r.concat = 1;
	return r;
}

static const struct access RD = { .priv = true };

/* Walk and return the number of descriptor reads it took. */
static uint64_t walk_reads(struct fx *f, const struct walk_regime *s1,
			   const struct walk_regime *s2, uint64_t ia,
			   uint64_t want_oa)
{
	uint64_t before = f->smmu->stats.walk_reads;
	struct walk_result res;
	struct smmu_event ev = { 0 };

	assert_true(walk_translate(f->smmu, s1, s2, ia, &RD, &res, &ev, NULL));
	assert_int_equal(res.oa, want_oa);
	return f->smmu->stats.walk_reads - before;
}

static void test_hits_reduce_reads(void **state)
{
	struct fx *f = fx_new();
	uint64_t root = pt_new_table(f);
	struct walk_regime r = regime(1, root, 5, 0);
	uint64_t cyc = 0;
	struct walk_result res;
	struct smmu_event ev = { 0 };

	(void)state;
	pt_map(f, root, 0x7F0000001000ull, 0x1000, D_AF | D_AP_RW_ALL);
	pt_map(f, root, 0x7F0000002000ull, 0x2000, D_AF | D_AP_RW_ALL);
	pt_map(f, root, 0x7F0000200000ull, 0x3000, D_AF | D_AP_RW_ALL);
	assert_int_equal(walk_reads(f, &r, NULL, 0x7F0000001000ull, 0x1000),
			 4);
	assert_int_equal(walkcache_count(f->smmu), 3);
	/* same L3 table: start at level 3 */
	assert_int_equal(walk_reads(f, &r, NULL, 0x7F0000002000ull, 0x2000),
			 1);
	/* other L3 table under the same L2 table: start at level 2 */
	assert_true(walk_translate(f->smmu, &r, NULL, 0x7F0000200000ull, &RD,
				   &res, &ev, &cyc));
	assert_int_equal(res.oa, 0x3000);
	/* probes L2 (miss), L1 (hit) = 2, then 2 reads of 110 */
	assert_int_equal(cyc, 2 + 2 * 110);
	assert_int_equal(f->smmu->stats.walkcache_hits, 2);
	assert_int_equal(f->smmu->stats.walkcache_misses, 1);
	assert_int_equal(walkcache_count(f->smmu), 4);
	/* another ASID does not hit: a full walk */
	struct walk_regime r2 = regime(1, root, 6, 0);

	assert_int_equal(walk_reads(f, &r2, NULL, 0x7F0000001000ull, 0x1000),
			 4);
	fx_free(f);
}

/* Invalidations: which entries of a populated cache survive. */
struct inv_row {
	const char *name;
	struct inval_req req;
	/* reads of the next walk of each of: S1 asid 5 (vmid unknown),
	 * S1 asid 9 nested under vmid 3, S2 vmid 3, S2 vmid 4 */
	unsigned want_s1a, want_s1n, want_s2a, want_s2b;
};

/*
 * Reads per walk. S1 alone: 4 cold, 1 warm. Nested, cold: the first S1
 * descriptor's S2 walk takes 4 reads and caches the S2 tables over the S1
 * table pages, so later ones take 1: (4 + 1) + 3 * (1 + 1), then the
 * final IPA (another 1 GB, so only the S2 L0 entry hits) 3 = 14. Nested
 * with S2 cached but S1 not: 4 * (1 + 1) + 1 = 9. Nested warm: 3. S2
 * alone: 4 cold, 1 warm. The four walks after the invalidation run in
 * the order of the columns, so a later one can profit from an earlier.
 */
static const struct inv_row inv_rows[] = {
	{ "none (leaf NH_VA)", { .kind = INV_NH_VA, .vmid = 3, .asid = 9,
				.addr = 0x7F0000001000ull, .leaf = true },
	  1, 3, 1, 1 },
	{ "NH_ALL vmid 3", { .kind = INV_NH_ALL, .vmid = 3 }, 4, 9, 1, 1 },
	{ "NH_ASID 9 vmid 3", { .kind = INV_NH_ASID, .vmid = 3, .asid = 9 },
	  1, 9, 1, 1 },
	{ "NH_ASID 5 vmid 7", { .kind = INV_NH_ASID, .vmid = 7, .asid = 5 },
	  4, 3, 1, 1 },
	{ "NH_VA asid 5 in range", { .kind = INV_NH_VA, .vmid = 1, .asid = 5,
				     .addr = 0x7F0000001000ull },
	  4, 3, 1, 1 },
	{ "NH_VAA far range", { .kind = INV_NH_VAA, .vmid = 3,
				.addr = 0x100000000000ull, .size = 0x1000 },
	  1, 3, 1, 1 },
	{ "S2_IPA vmid 3", { .kind = INV_S2_IPA, .vmid = 3,
			     .addr = 0x5000, .size = 0x1000 },
	  1, 1 + 1 + 4, 1, 1 },
	{ "S12_VMALL vmid 4", { .kind = INV_S12_VMALL, .vmid = 4 },
	  4, 3, 1, 4 },
	{ "NSNH_ALL", { .kind = INV_NSNH_ALL }, 4, 14, 1, 4 },
	{ "ALL", { .kind = INV_ALL }, 4, 14, 1, 4 },
};

static void test_invalidate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inv_rows) / sizeof(inv_rows[0]); i++) {
		const struct inv_row *row = &inv_rows[i];
		struct fx *f = fx_new();
		uint64_t s1root = pt_new_table(f);
		uint64_t s1nroot = pt_new_table(f);
		uint64_t s2a = pt_new_table(f);
		uint64_t s2b = pt_new_table(f);
		struct walk_regime r1 = regime(1, s1root, 5, 0);
		struct walk_regime r1n = regime(1, s1nroot, 9, 0);
		struct walk_regime r2a = regime(2, s2a, 0, 3);
		struct walk_regime r2b = regime(2, s2b, 0, 4);
		uint64_t va = 0x7F0000001000ull;

		pt_map(f, s1root, va, 0x1000, D_AF | D_AP_RW_ALL);
		pt_map(f, s2b, 0x5000, 0x6000, D_AF | D_S2AP_RW);
		/* Nested: S1 tables at IPA = PA + 0x40000000 (S2 vmid 3
		 * maps each table page and the data page). */
		pt_map(f, s1nroot, va, 0x5000, D_AF | D_AP_RW_ALL);
		for (uint64_t p = s1root; p < f->next + 0x4000; p += 0x1000)
			pt_map(f, s2a, p + 0x40000000, p, D_AF | D_S2AP_RW);
		pt_map(f, s2a, 0x5000, 0x7000, D_AF | D_S2AP_RW);
		/* re-point the nested S1 tables at IPAs */
		{
			uint64_t t = s1nroot;

			for (int l = 0; l < 3; l++) {
				uint64_t slot = t + ((va >> (39 - 9 * l)) &
						     0x1FF) * 8;
				uint64_t d;

				pmem_read64(f->mem, slot, &d, NULL);
				t = d & 0x0000FFFFFFFFF000ull;
				pmem_write64(f->mem, slot,
					     (t + 0x40000000) | 3, NULL);
			}
		}
		r1n.ttb = s1nroot + 0x40000000;

		expect_field(i, row->name, "cold s1", walk_reads(f, &r1, NULL,
								  va, 0x1000),
			     4);
		expect_field(i, row->name, "cold nested",
			     walk_reads(f, &r1n, &r2a, va, 0x7000), 14);
		expect_field(i, row->name, "cold s2b",
			     walk_reads(f, NULL, &r2b, 0x5000, 0x6000), 4);
		expect_field(i, row->name, "warm s1", walk_reads(f, &r1, NULL,
								  va, 0x1000),
			     1);
		expect_field(i, row->name, "warm nested",
			     walk_reads(f, &r1n, &r2a, va, 0x7000), 3);
		expect_field(i, row->name, "scanned",
			     walkcache_invalidate(f->smmu, &row->req), 256);
		expect_field(i, row->name, "s1",
			     walk_reads(f, &r1, NULL, va, 0x1000),
			     row->want_s1a);
		expect_field(i, row->name, "nested",
			     walk_reads(f, &r1n, &r2a, va, 0x7000),
			     row->want_s1n);
		expect_field(i, row->name, "s2 vmid 3",
			     walk_reads(f, NULL, &r2a, 0x5000, 0x7000),
			     row->want_s2a);
		expect_field(i, row->name, "s2 vmid 4",
			     walk_reads(f, NULL, &r2b, 0x5000, 0x6000),
			     row->want_s2b);
		fx_free(f);
	}
}

/* Range invalidation removes only entries whose span intersects. */
static void test_range_spans(void **state)
{
	struct fx *f = fx_new();
	uint64_t root = pt_new_table(f);
	struct walk_regime r = regime(1, root, 5, 0);
	struct inval_req req = { .kind = INV_NH_VA, .asid = 5 };

	(void)state;
	pt_map(f, root, 0x7F0000001000ull, 0x1000, D_AF | D_AP_RW_ALL);
	walk_reads(f, &r, NULL, 0x7F0000001000ull, 0x1000);
	assert_int_equal(walkcache_count(f->smmu), 3);
	/* another 1 GB region under the same L0 entry: only L0 (512 GB) */
	req.addr = 0x7F4000000000ull;
	req.size = 0x2000;
	walkcache_invalidate(f->smmu, &req);
	assert_int_equal(walkcache_count(f->smmu), 2);
	/* same 1 GB, other 2 MB: L1 entry (1 GB span) goes */
	req.addr = 0x7F0000400000ull;
	walkcache_invalidate(f->smmu, &req);
	assert_int_equal(walkcache_count(f->smmu), 1);
	/* a range that ends just below the 2 MB span keeps the L2 entry */
	req.addr = 0x7EFFFFFFF000ull;
	req.size = 0x1000;
	walkcache_invalidate(f->smmu, &req);
	assert_int_equal(walkcache_count(f->smmu), 1);
	req.size = 0x1001;
	walkcache_invalidate(f->smmu, &req);
	assert_int_equal(walkcache_count(f->smmu), 0);
	fx_free(f);
}

/* Faulting descriptors are never cached. */
static void test_fault_not_cached(void **state)
{
	struct fx *f = fx_new();
	uint64_t root = pt_new_table(f);
	struct walk_regime r = regime(1, root, 5, 0);
	struct walk_result res;
	struct smmu_event ev = { 0 };
	uint64_t l0;

	(void)state;
	pt_map(f, root, 0x1000, 0x1000, D_AF | D_AP_RW_ALL);
	/* L1 descriptor pointing above the 40-bit OAS */
	assert_int_equal(pmem_read64(f->mem, root, &l0, NULL), MEM_OK);
	pmem_write64(f->mem, (l0 & ~0xFFFull) + 8,
		     (UINT64_C(1) << 44) | 3, NULL);
	r.oas_bits = 40;
	assert_false(walk_translate(f->smmu, &r, NULL, 0x40000000, &RD, &res,
				    &ev, NULL));
	assert_int_equal(ev.id, EVT_F_ADDR_SIZE);
	assert_int_equal(walkcache_count(f->smmu), 1); /* the L0 table */
	fx_free(f);
}

/* Replacement: one set of two ways. */
static void fill3(struct fx *f, struct wc_val *v, int *hits)
{
	struct wc_key k[3];
	const uint8_t shift[4] = { 39, 30, 21, 12 };

	for (int i = 0; i < 3; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		k[i].stage = 1;
		k[i].ttb = 0x1000 * (uint64_t)(i + 1);
		k[i].granule_shift = 12;
		k[i].tsz = 16;
	}
	v->table = 0x9000;
	walkcache_insert(f->smmu, &k[0], 0, 0, 39, v);
	walkcache_insert(f->smmu, &k[1], 0, 0, 39, v);
	/* use A */
	assert_int_equal(walkcache_lookup(f->smmu, &k[0], 0, 0, 0, shift, v,
					  NULL), 0);
	walkcache_insert(f->smmu, &k[2], 0, 0, 39, v);
	for (int i = 0; i < 3; i++)
		hits[i] = walkcache_lookup(f->smmu, &k[i], 0, 0, 0, shift, v,
					   NULL) == 0;
}

static void test_replacement(void **state)
{
	struct wc_val v = { 0 };
	int hits[3];
	struct fx *f;

	(void)state;
	f = fx_new_geom(1, 2, SMMU_REPL_LRU);
	fill3(f, &v, hits);
	/* LRU: B (least recently used) evicted */
	assert_int_equal(hits[0] << 2 | hits[1] << 1 | hits[2], 0x5);
	fx_free(f);

	f = fx_new_geom(1, 2, SMMU_REPL_FIFO);
	fill3(f, &v, hits);
	/* FIFO: A (first in) evicted despite its use */
	assert_int_equal(hits[0] << 2 | hits[1] << 1 | hits[2], 0x3);
	fx_free(f);

	f = fx_new_geom(1, 2, SMMU_REPL_RANDOM);
	fill3(f, &v, hits);
	/* RANDOM: C present, exactly one of A and B */
	assert_int_equal(hits[2], 1);
	assert_int_equal(hits[0] + hits[1], 1);
	fx_free(f);

	/* Disabled cache: nothing cached, nothing charged */
	f = fx_new_geom(0, 0, SMMU_REPL_LRU);
	uint64_t root = pt_new_table(f);
	struct walk_regime r = regime(1, root, 5, 0);
	uint64_t cyc = 0;
	struct walk_result res;
	struct smmu_event ev = { 0 };

	pt_map(f, root, 0x1000, 0x1000, D_AF | D_AP_RW_ALL);
	assert_true(walk_translate(f->smmu, &r, NULL, 0x1000, &RD, &res, &ev,
				   &cyc));
	assert_true(walk_translate(f->smmu, &r, NULL, 0x1000, &RD, &res, &ev,
				   &cyc));
	assert_int_equal(f->smmu->stats.walk_reads, 8);
	assert_int_equal(cyc, 8 * 110);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hits_reduce_reads),
		cmocka_unit_test(test_invalidate),
		cmocka_unit_test(test_range_spans),
		cmocka_unit_test(test_fault_not_cached),
		cmocka_unit_test(test_replacement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
