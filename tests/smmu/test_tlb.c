/* SPDX-License-Identifier: MIT */
/*
 * TLB (smmu/tlb.c): tagging and global entries (§3.17), lookups at every
 * page and block size, exactly what each TLBI scope removes (§4.4; facts
 * §5.3) and how many entries it scans, replacement order (LRU, FIFO,
 * RANDOM from the simulation PRNG), disabled TLB.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "smmu/smmu_internal.h"

struct fx {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
};

static struct fx *fx_new_impl(uint32_t sets, uint32_t ways,
			      enum smmu_repl_policy pol, bool s2p,
			      uint64_t seed)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;

	assert_non_null(f);
	f->sim = sim_create(seed);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, UINT64_C(1) << 32) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	impl.tlb.sets = sets;
	impl.tlb.ways = ways;
	impl.tlb.policy = pol;
	impl.s2p = s2p;
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	return f;
}

static struct fx *fx_new(uint32_t sets, uint32_t ways,
			 enum smmu_repl_policy pol)
{
	return fx_new_impl(sets, ways, pol, true, 1);
}

static void fx_free(struct fx *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* One TLB entry as a table row describes it. */
struct ent {
	const char *name;
	uint8_t world;
	bool s1, s2;
	uint16_t vmid, asid;
	bool global;
	uint64_t ia;
	uint8_t size_shift;
};

/* The output address an entry maps its base to: unique per entry. */
static uint64_t ent_oa(unsigned idx, uint8_t size_shift)
{
	return (UINT64_C(0x100) + idx) << (size_shift > 32 ? size_shift : 32);
}

static struct tlb_tag ent_tag(const struct ent *e)
{
	struct tlb_tag t = {
		.world = e->world, .s1 = e->s1, .s2 = e->s2,
		.vmid = e->vmid, .asid = e->asid,
	};

	return t;
}

static void ent_insert(struct fx *f, const struct ent *e, unsigned idx)
{
	struct tlb_entry te;

	memset(&te, 0, sizeof(te));
	te.tag = ent_tag(e);
	te.global = e->global;
	te.ia = e->ia & ~bits_mask(e->size_shift);
	te.size_shift = e->size_shift;
	te.level = 3;
	te.granule_shift = 12;
	te.res.oa = ent_oa(idx, e->size_shift);
	te.res.size_shift = e->size_shift;
	te.res.pr = te.res.pw = true;
	tlb_insert(f->smmu, &te);
}

/* Lookup of `ia` under e's tag: true if it hits e (checked by its OA). */
static bool ent_hits_at(struct fx *f, const struct ent *e, unsigned idx,
			uint64_t ia)
{
	struct tlb_tag t = ent_tag(e);
	struct tlb_entry out;

	if (!tlb_lookup(f->smmu, &t, ia, &out))
		return false;
	return out.res.oa == ent_oa(idx, e->size_shift) &&
	       out.size_shift == e->size_shift;
}

static bool ent_hits(struct fx *f, const struct ent *e, unsigned idx)
{
	return ent_hits_at(f, e, idx, e->ia);
}

/* --- lookups at every size ------------------------------------------ */

static void test_lookup_sizes(void **state)
{
	/* 4K/16K/64K pages, 16K-contiguous 2M/32M/512M, 1G, 64G(4K L1
	 * contiguous), 4T (64K L1 block, 52-bit) */
	static const struct {
		uint8_t shift;
		uint64_t base;
	} rows[] = {
		{ 12, UINT64_C(0x0000000012345000) },
		{ 14, UINT64_C(0x0000000023458000) },
		{ 16, UINT64_C(0x0000000034560000) },
		{ 21, UINT64_C(0x0000000045600000) },
		{ 25, UINT64_C(0x0000000056000000) },
		{ 29, UINT64_C(0x0000000060000000) },
		{ 30, UINT64_C(0x00000000c0000000) },
		{ 36, UINT64_C(0x0000001000000000) },
		{ 42, UINT64_C(0x0000400000000000) },
		{ 12, UINT64_C(0xffff800000001000) },	/* TTB1 */
	};
	struct fx *f = fx_new(512, 4, SMMU_REPL_LRU);
	struct ent e[sizeof(rows) / sizeof(rows[0])];
	unsigned n = sizeof(rows) / sizeof(rows[0]);

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		e[i] = (struct ent){ "row", WORLD_NS_EL1, true, false, 1, 1,
				     false, rows[i].base, rows[i].shift };
		ent_insert(f, &e[i], i);
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t sz = UINT64_C(1) << rows[i].shift;
		struct tlb_tag t = ent_tag(&e[i]);
		struct tlb_entry out;
		uint64_t in[3] = { rows[i].base, rows[i].base + sz / 2 + 8,
				   rows[i].base + sz - 1 };

		for (unsigned k = 0; k < 3; k++) {
			memset(&out, 0xa5, sizeof(out));
			assert_true(tlb_lookup(f->smmu, &t, in[k], &out));
			expect_field(i, "hit", "ia", out.ia, rows[i].base);
			expect_field(i, "hit", "size_shift", out.size_shift,
				     rows[i].shift);
			expect_field(i, "hit", "oa", out.res.oa,
				     ent_oa(i, rows[i].shift));
			expect_field(i, "hit", "world", out.tag.world,
				     WORLD_NS_EL1);
			expect_field(i, "hit", "asid", out.tag.asid, 1);
			expect_field(i, "hit", "vmid", out.tag.vmid, 1);
		}
		/* one byte outside either end: no entry covers it */
		expect_field(i, "below", "hit",
			     tlb_lookup(f->smmu, &t, rows[i].base - 1, &out),
			     false);
		expect_field(i, "above", "hit",
			     tlb_lookup(f->smmu, &t, rows[i].base + sz, &out),
			     false);
	}
	fx_free(f);
}

/* Unaligned ia given to insert is stored aligned. */
static void test_insert_aligns(void **state)
{
	struct fx *f = fx_new(64, 4, SMMU_REPL_LRU);
	struct tlb_tag t = { .world = WORLD_NS_EL1, .s1 = true };
	struct tlb_entry te, out;

	(void)state;
	memset(&te, 0, sizeof(te));
	te.tag = t;
	te.ia = 0x40123456;
	te.size_shift = 21;
	te.res.oa = 0x80000000;
	tlb_insert(f->smmu, &te);
	assert_true(tlb_lookup(f->smmu, &t, 0x401fffff, &out));
	assert_int_equal(out.ia, 0x40000000);
	assert_int_equal(out.res.oa, 0x80000000);
	assert_false(tlb_lookup(f->smmu, &t, 0x40200000, &out));
	fx_free(f);
}

/* --- tag matching ---------------------------------------------------- */

static void test_tag_match(void **state)
{
	static const struct ent base[] = {
		/* 0 */ { "el1 global", WORLD_NS_EL1, true, false, 1, 3,
			  true, 0x40000000, 21 },
		/* 1 */ { "el1 ng", WORLD_NS_EL1, true, false, 1, 1, false,
			  0x10000000, 12 },
		/* 2 */ { "el2", WORLD_NS_EL2, true, false, 0, 0, false,
			  0x20000000, 12 },
		/* 3 */ { "el3", WORLD_EL3, true, false, 0, 0, false,
			  0x30000000, 12 },
	};
	static const struct {
		const char *name;
		unsigned idx;       /* entry inserted */
		struct ent probe;   /* lookup tag and address */
		bool hit;
	} rows[] = {
		{ "global, other ASID", 0,
		  { "", WORLD_NS_EL1, true, false, 1, 77, false, 0x40100000,
		    0 }, true },
		{ "global, other VMID", 0,
		  { "", WORLD_NS_EL1, true, false, 2, 3, false, 0x40100000,
		    0 }, false },
		{ "global, nested lookup", 0,
		  { "", WORLD_NS_EL1, true, true, 1, 3, false, 0x40100000,
		    0 }, false },
		{ "global, E2H world", 0,
		  { "", WORLD_NS_EL2_E2H, true, false, 0, 3, false,
		    0x40100000, 0 }, false },
		{ "global, secure world", 0,
		  { "", WORLD_SECURE, true, false, 1, 3, false, 0x40100000,
		    0 }, false },
		{ "non-global, same ASID", 1,
		  { "", WORLD_NS_EL1, true, false, 1, 1, false, 0x10000abc,
		    0 }, true },
		{ "non-global, other ASID", 1,
		  { "", WORLD_NS_EL1, true, false, 1, 2, false, 0x10000abc,
		    0 }, false },
		{ "non-global, other VMID", 1,
		  { "", WORLD_NS_EL1, true, false, 9, 1, false, 0x10000abc,
		    0 }, false },
		{ "non-global, S2-only lookup", 1,
		  { "", WORLD_NS_EL1, false, true, 1, 1, false, 0x10000abc,
		    0 }, false },
		/* §3.17: EL2 and EL3 have no ASIDs or VMIDs: ignored */
		{ "EL2 ignores ASID", 2,
		  { "", WORLD_NS_EL2, true, false, 0, 55, false, 0x20000010,
		    0 }, true },
		{ "EL2 ignores VMID", 2,
		  { "", WORLD_NS_EL2, true, false, 7, 0, false, 0x20000010,
		    0 }, true },
		{ "EL2 vs E2H", 2,
		  { "", WORLD_NS_EL2_E2H, true, false, 0, 0, false,
		    0x20000010, 0 }, false },
		{ "EL3 ignores ASID", 3,
		  { "", WORLD_EL3, true, false, 0, 4, false, 0x30000ff8, 0 },
		  true },
		{ "EL3 vs EL2", 3,
		  { "", WORLD_NS_EL2, true, false, 0, 0, false, 0x30000ff8,
		    0 }, false },
	};
	struct fx *f = fx_new(64, 4, SMMU_REPL_LRU);

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		ent_insert(f, &base[i], i);
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct tlb_tag t = ent_tag(&rows[r].probe);
		struct tlb_entry out;
		bool hit = tlb_lookup(f->smmu, &t, rows[r].probe.ia, &out);

		expect_field(r, rows[r].name, "hit", hit, rows[r].hit);
		if (hit)
			expect_field(r, rows[r].name, "oa", out.res.oa,
				     ent_oa(rows[r].idx,
					    base[rows[r].idx].size_shift));
	}
	fx_free(f);
}

/* Without stage 2 (IDR0.S2P = 0) no VMID tags entries or commands. */
static void test_no_s2p_vmid(void **state)
{
	struct fx *f = fx_new_impl(64, 4, SMMU_REPL_LRU, false, 1);
	struct ent e = { "s1", WORLD_NS_EL1, true, false, 5, 1, false,
			 0x1000, 12 };
	struct tlb_tag t = { .world = WORLD_NS_EL1, .s1 = true, .asid = 1 };
	struct inval_req r = { .kind = INV_NH_ALL, .vmid = 9 };
	struct tlb_entry out;

	(void)state;
	ent_insert(f, &e, 0);
	assert_true(tlb_lookup(f->smmu, &t, 0x1000, &out));
	assert_int_equal(out.tag.vmid, 0);
	tlb_invalidate(f->smmu, &r);
	assert_false(tlb_lookup(f->smmu, &t, 0x1000, &out));
	fx_free(f);
}

/* --- invalidation ----------------------------------------------------- */

#define G 64u
#define W 4u

static const struct ent pop[] = {
	/* E0 */ { "el1 v1 a1 4K", WORLD_NS_EL1, true, false, 1, 1, false,
		   0x10000000, 12 },
	/* E1 */ { "el1 v1 a2 4K", WORLD_NS_EL1, true, false, 1, 2, false,
		   0x10000000, 12 },
	/* E2 */ { "el1 v1 global 2M", WORLD_NS_EL1, true, false, 1, 3, true,
		   0x40000000, 21 },
	/* E3 */ { "el1 v2 a1 4K", WORLD_NS_EL1, true, false, 2, 1, false,
		   0x10000000, 12 },
	/* E4 */ { "el1 v1 a1 nested 64K", WORLD_NS_EL1, true, true, 1, 1,
		   false, 0x20000000, 16 },
	/* E5 */ { "el1 v1 s2 4K", WORLD_NS_EL1, false, true, 1, 0, false,
		   0x10000000, 12 },
	/* E6 */ { "el1 v2 s2 1G", WORLD_NS_EL1, false, true, 2, 0, false,
		   0x80000000, 30 },
	/* E7 */ { "el2 4K", WORLD_NS_EL2, true, false, 0, 0, false,
		   0x10000000, 12 },
	/* E8 */ { "e2h a1 4K", WORLD_NS_EL2_E2H, true, false, 0, 1, false,
		   0x10000000, 12 },
	/* E9 */ { "e2h global 16K", WORLD_NS_EL2_E2H, true, false, 0, 5,
		   true, 0x30000000, 14 },
	/* E10 */ { "el3 4K", WORLD_EL3, true, false, 0, 0, false,
		    0x10000000, 12 },
	/* E11 */ { "secure a1 4K", WORLD_SECURE, true, false, 0, 1, false,
		    0x10000000, 12 },
	/* E12 */ { "el1 v1 a1 2M", WORLD_NS_EL1, true, false, 1, 1, false,
		    0x40200000, 21 },
	/* E13 */ { "el1 v1 a1 4K tagged", WORLD_NS_EL1, true, false, 1, 1,
		    false, UINT64_C(0x5a00000012340000), 12 },
};

#define NPOP (sizeof(pop) / sizeof(pop[0]))
#define ALL_POP ((1u << NPOP) - 1)
#define B(n) (1u << (n))
#define NS_EL1_SET (B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | \
		    B(12) | B(13))

/*
 * Sizes present in `pop`: 4K, 16K, 64K, 2M, 1G (5). An address scope
 * probes one set per (size, page, world); a scope without an address,
 * or one needing G or more probes, scans all G * W entries.
 */
static void test_invalidate_table(void **state)
{
	static const struct {
		const char *name;
		struct inval_req req;
		uint32_t removed;   /* bit i: pop[i] gone */
		uint64_t scanned;
	} rows[] = {
		{ "NH_ALL vmid1", { .kind = INV_NH_ALL, .vmid = 1 },
		  B(0) | B(1) | B(2) | B(4) | B(12) | B(13), G * W },
		{ "NH_ALL vmid2", { .kind = INV_NH_ALL, .vmid = 2 }, B(3),
		  G * W },
		{ "NH_ASID v1 a1",
		  { .kind = INV_NH_ASID, .vmid = 1, .asid = 1,
		    .use_asid = true },
		  B(0) | B(4) | B(12) | B(13), G * W },
		{ "NH_ASID v1 a3 (global kept)",
		  { .kind = INV_NH_ASID, .vmid = 1, .asid = 3,
		    .use_asid = true },
		  0, G * W },
		{ "NH_ASID v1 a2",
		  { .kind = INV_NH_ASID, .vmid = 1, .asid = 2,
		    .use_asid = true },
		  B(1), G * W },
		{ "NH_VA page",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0x10000000 },
		  B(0), 5 * W },
		{ "NH_VA global by other ASID",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 9, .use_asid = true,
		    .addr = 0x40001000 },
		  B(2), 5 * W },
		{ "NH_VA end of 2M block",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0x401ff000, .size = 0x1000, .leaf = true },
		  B(2), 5 * W },
		/* 4K: 2 pages, 16K: 2, 64K: 2, 2M: 2, 1G: 1 */
		{ "NH_VA across block boundary",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0x401ff000, .size = 0x2000, .tg_shift = 12,
		    .ttl = 3 },
		  B(2) | B(12), 9 * W },
		{ "NH_VA start of next block",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0x40200000 },
		  B(12), 5 * W },
		{ "NH_VA wrong VMID",
		  { .kind = INV_NH_VA, .vmid = 3, .asid = 1, .use_asid = true,
		    .addr = 0x10000000 },
		  0, 5 * W },
		{ "NH_VA untagged hits TBI-tagged",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0x12340000 },
		  B(13), 5 * W },
		{ "NH_VA other tag hits TBI-tagged",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = UINT64_C(0x7700000012340000) },
		  B(13), 5 * W },
		{ "NH_VA 1T range: full scan",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = 0, .size = UINT64_C(1) << 40 },
		  B(0) | B(2) | B(4) | B(12) | B(13), G * W },
		{ "NH_VA range overflowing 2^64",
		  { .kind = INV_NH_VA, .vmid = 1, .asid = 1, .use_asid = true,
		    .addr = UINT64_C(0xfffffffffff00000),
		    .size = UINT64_C(1) << 40 },
		  0, G * W },
		{ "NH_VAA page",
		  { .kind = INV_NH_VAA, .vmid = 1, .addr = 0x10000000 },
		  B(0) | B(1), 5 * W },
		{ "NH_VAA inside nested 64K",
		  { .kind = INV_NH_VAA, .vmid = 1, .addr = 0x2000f000 },
		  B(4), 5 * W },
		{ "EL2_ALL", { .kind = INV_EL2_ALL }, B(7) | B(8) | B(9),
		  G * W },
		{ "EL2_ASID a1",
		  { .kind = INV_EL2_ASID, .asid = 1, .use_asid = true },
		  B(8), G * W },
		{ "EL2_ASID a5 (global kept)",
		  { .kind = INV_EL2_ASID, .asid = 5, .use_asid = true }, 0,
		  G * W },
		{ "EL2_VA E2H a1",
		  { .kind = INV_EL2_VA, .asid = 1, .use_asid = true,
		    .addr = 0x10000000 },
		  B(7) | B(8), 2 * 5 * W },
		{ "EL2_VA E2H a2",
		  { .kind = INV_EL2_VA, .asid = 2, .use_asid = true,
		    .addr = 0x10000000 },
		  B(7), 2 * 5 * W },
		{ "EL2_VA E2H global 16K",
		  { .kind = INV_EL2_VA, .asid = 2, .use_asid = true,
		    .addr = 0x30002000 },
		  B(9), 2 * 5 * W },
		{ "EL2_VA no E2H",
		  { .kind = INV_EL2_VA, .addr = 0x10000000 }, B(7) | B(8),
		  2 * 5 * W },
		/* 4K: 4 pages, 16K/64K/2M/1G: 1 each; two worlds */
		{ "EL2_VAA 16K range",
		  { .kind = INV_EL2_VAA, .addr = 0x30000000,
		    .size = 0x4000 },
		  B(9), 2 * 8 * W },
		{ "S12_VMALL vmid1", { .kind = INV_S12_VMALL, .vmid = 1 },
		  B(0) | B(1) | B(2) | B(4) | B(5) | B(12) | B(13), G * W },
		{ "S12_VMALL vmid2", { .kind = INV_S12_VMALL, .vmid = 2 },
		  B(3) | B(6), G * W },
		/* stage-2-only entries only: E0 (S1) and E4 (nested) stay */
		{ "S2_IPA vmid1",
		  { .kind = INV_S2_IPA, .vmid = 1, .addr = 0x10000000 },
		  B(5), 5 * W },
		{ "S2_IPA vmid1 nested IPA",
		  { .kind = INV_S2_IPA, .vmid = 1, .addr = 0x20000000 }, 0,
		  5 * W },
		{ "S2_IPA end of 1G",
		  { .kind = INV_S2_IPA, .vmid = 2, .addr = 0xbffff000 },
		  B(6), 5 * W },
		{ "S2_IPA after 1G",
		  { .kind = INV_S2_IPA, .vmid = 2, .addr = 0xc0000000 }, 0,
		  5 * W },
		{ "S2_IPA wrong VMID",
		  { .kind = INV_S2_IPA, .vmid = 1, .addr = 0x80000000 }, 0,
		  5 * W },
		{ "NSNH_ALL", { .kind = INV_NSNH_ALL }, NS_EL1_SET, G * W },
		{ "EL3_ALL", { .kind = INV_EL3_ALL }, B(10), G * W },
		{ "EL3_VA", { .kind = INV_EL3_VA, .addr = 0x10000000 },
		  B(10), 5 * W },
		{ "EL3_VA next page",
		  { .kind = INV_EL3_VA, .addr = 0x10001000 }, 0, 5 * W },
		{ "INV_ALL", { .kind = INV_ALL }, ALL_POP, G * W },
	};

	(void)state;
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct fx *f = fx_new(G, W, SMMU_REPL_LRU);
		uint64_t scanned;

		for (unsigned i = 0; i < NPOP; i++)
			ent_insert(f, &pop[i], i);
		/* every entry is present before the command */
		for (unsigned i = 0; i < NPOP; i++)
			expect_field(r, pop[i].name, "present before",
				     ent_hits(f, &pop[i], i), true);
		scanned = tlb_invalidate(f->smmu, &rows[r].req);
		expect_field(r, rows[r].name, "scanned", scanned,
			     rows[r].scanned);
		for (unsigned i = 0; i < NPOP; i++) {
			bool want = !(rows[r].removed & B(i));

			if (ent_hits(f, &pop[i], i) != want)
				fail_msg("row %u (%s): entry E%u (%s) %s", r,
					 rows[r].name, i, pop[i].name,
					 want ? "was removed" :
						"survived");
		}
		fx_free(f);
	}
}

/* Invalidation updates the sizes probed: once all 4K entries are gone,
 * an address scope probes one size fewer. */
static void test_invalidate_sizes_tracked(void **state)
{
	struct fx *f = fx_new(G, W, SMMU_REPL_LRU);
	struct inval_req all = { .kind = INV_ALL };
	struct inval_req va = { .kind = INV_EL3_VA, .addr = 0x1000 };
	struct ent a = { "4K", WORLD_EL3, true, false, 0, 0, false, 0x1000,
			 12 };
	struct ent b = { "2M", WORLD_EL3, true, false, 0, 0, false,
			 0x200000, 21 };

	(void)state;
	assert_int_equal(tlb_invalidate(f->smmu, &va), 0);
	ent_insert(f, &a, 0);
	ent_insert(f, &b, 1);
	assert_int_equal(tlb_invalidate(f->smmu, &va), 2 * W);
	/* the 4K entry was removed: only the 2M size remains */
	assert_int_equal(tlb_invalidate(f->smmu, &va), 1 * W);
	assert_false(ent_hits(f, &a, 0));
	assert_true(ent_hits(f, &b, 1));
	assert_int_equal(tlb_invalidate(f->smmu, &all), G * W);
	assert_int_equal(tlb_invalidate(f->smmu, &va), 0);
	assert_false(ent_hits(f, &b, 1));
	fx_free(f);
}

/* --- replacement ------------------------------------------------------ */

static struct ent page_ent(unsigned i)
{
	struct ent e = { "p", WORLD_NS_EL1, true, false, 1, 1, false,
			 0x100000 + (uint64_t)i * 0x1000, 12 };

	return e;
}

static void test_replacement(void **state)
{
	static const struct {
		const char *name;
		enum smmu_repl_policy pol;
		bool touch_first;   /* look up entry 0 before inserting 2 */
		uint32_t survive;   /* bits of entries 0..2 */
	} rows[] = {
		{ "LRU untouched", SMMU_REPL_LRU, false, B(1) | B(2) },
		{ "LRU touched", SMMU_REPL_LRU, true, B(0) | B(2) },
		{ "FIFO untouched", SMMU_REPL_FIFO, false, B(1) | B(2) },
		{ "FIFO touched", SMMU_REPL_FIFO, true, B(1) | B(2) },
	};

	(void)state;
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct fx *f = fx_new(1, 2, rows[r].pol);
		struct ent e[3];

		for (unsigned i = 0; i < 3; i++)
			e[i] = page_ent(i);
		ent_insert(f, &e[0], 0);
		ent_insert(f, &e[1], 1);
		if (rows[r].touch_first)
			assert_true(ent_hits(f, &e[0], 0));
		ent_insert(f, &e[2], 2);
		for (unsigned i = 0; i < 3; i++)
			expect_field(r, rows[r].name, "survives",
				     ent_hits(f, &e[i], i),
				     !!(rows[r].survive & B(i)));
		fx_free(f);
	}
}

/* LRU order over a longer sequence in one 4-way set. */
static void test_lru_sequence(void **state)
{
	struct fx *f = fx_new(1, 4, SMMU_REPL_LRU);
	struct ent e[6];

	(void)state;
	for (unsigned i = 0; i < 6; i++)
		e[i] = page_ent(i);
	for (unsigned i = 0; i < 4; i++)
		ent_insert(f, &e[i], i);
	/* use order now 0 1 2 3; touch 1 then 0: LRU is 2, then 3 */
	assert_true(ent_hits(f, &e[1], 1));
	assert_true(ent_hits(f, &e[0], 0));
	ent_insert(f, &e[4], 4);
	assert_false(ent_hits(f, &e[2], 2));
	ent_insert(f, &e[5], 5);
	assert_false(ent_hits(f, &e[3], 3));
	assert_true(ent_hits(f, &e[0], 0));
	assert_true(ent_hits(f, &e[1], 1));
	assert_true(ent_hits(f, &e[4], 4));
	assert_true(ent_hits(f, &e[5], 5));
	fx_free(f);
}

/*
 * RANDOM: once the set is full, the victim way is sim_rand_below(sim,
 * ways). Replaying the same draws from a second engine with the same
 * seed predicts exactly which entries survive.
 */
static void test_random(void **state)
{
	enum { WAYS = 4, N = 40 };
	static const uint64_t seeds[] = { 1, 42, 0xdeadbeef };

	(void)state;
	for (unsigned s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		struct fx *f = fx_new_impl(1, WAYS, SMMU_REPL_RANDOM, true,
					   seeds[s]);
		struct sim *ref = sim_create(seeds[s]);
		int slot[WAYS];
		struct ent e[N];

		for (unsigned i = 0; i < N; i++) {
			e[i] = page_ent(i);
			ent_insert(f, &e[i], i);
			if (i < WAYS)
				slot[i] = (int)i;
			else
				slot[sim_rand_below(ref, WAYS)] = (int)i;
		}
		for (unsigned i = 0; i < N; i++) {
			bool want = false;

			for (unsigned w = 0; w < WAYS; w++)
				want |= slot[w] == (int)i;
			expect_field(s, "seed", "survives",
				     ent_hits(f, &e[i], i), want);
		}
		sim_destroy(ref);
		fx_free(f);
	}
}

/* Re-inserting what a lookup would hit replaces it, no duplicate. */
static void test_reinsert_in_place(void **state)
{
	struct fx *f = fx_new(1, 2, SMMU_REPL_LRU);
	struct ent a = page_ent(0), b = page_ent(1);
	struct ent ag = a;
	struct tlb_tag t = ent_tag(&a);
	struct tlb_entry out;

	(void)state;
	ent_insert(f, &a, 0);
	ent_insert(f, &a, 7);      /* same translation, new result */
	ent_insert(f, &b, 1);
	assert_true(tlb_lookup(f->smmu, &t, a.ia, &out));
	assert_int_equal(out.res.oa, ent_oa(7, 12));
	assert_true(ent_hits(f, &b, 1));
	/* a global entry hit from ASID 1 is replaced by a global insert */
	ag.global = true;
	ag.asid = 4;
	ent_insert(f, &ag, 8);     /* new entry: evicts a (LRU) */
	ent_insert(f, &ag, 9);     /* replaces the global one */
	assert_true(ent_hits(f, &b, 1));
	/* ASID 1 and ASID 5 both reach the one global entry */
	assert_true(tlb_lookup(f->smmu, &t, a.ia, &out));
	assert_int_equal(out.res.oa, ent_oa(9, 12));
	t.asid = 5;
	assert_true(tlb_lookup(f->smmu, &t, a.ia, &out));
	assert_int_equal(out.res.oa, ent_oa(9, 12));
	fx_free(f);
}

static void test_disabled(void **state)
{
	static const uint32_t geom[][2] = { { 512, 0 }, { 0, 0 } };
	struct inval_req r = { .kind = INV_ALL };

	(void)state;
	for (unsigned g = 0; g < 2; g++) {
		struct fx *f = fx_new(geom[g][0], geom[g][1], SMMU_REPL_LRU);
		struct ent e = page_ent(0);

		ent_insert(f, &e, 0);
		expect_field(g, "disabled", "hit", ent_hits(f, &e, 0), false);
		expect_field(g, "disabled", "scanned",
			     tlb_invalidate(f->smmu, &r), 0);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_sizes),
		cmocka_unit_test(test_insert_aligns),
		cmocka_unit_test(test_tag_match),
		cmocka_unit_test(test_no_s2p_vmid),
		cmocka_unit_test(test_invalidate_table),
		cmocka_unit_test(test_invalidate_sizes_tracked),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_lru_sequence),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_reinsert_in_place),
		cmocka_unit_test(test_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
