/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 walks (smmu/walk.c): every granule and start level at both
 * stages, blocks, pages, concatenated stage-2 tables, nested walks, every
 * walk fault with its event fields, HTTU, permissions and cycle counts.
 * Page tables are built in simulated memory by the helpers below.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "smmu/smmu_internal.h"

/* Descriptor bits as the tests write them (Arm ARM D8.3). */
#define D_VALID (UINT64_C(1) << 0)
#define D_TABLE (UINT64_C(1) << 1)
#define D_AF (UINT64_C(1) << 10)
#define D_NG (UINT64_C(1) << 11)
#define D_DBM (UINT64_C(1) << 51)
#define D_PXN (UINT64_C(1) << 53)
#define D_UXN (UINT64_C(1) << 54)
#define D_XN0 (UINT64_C(1) << 53)
#define D_AP(x) ((uint64_t)(x) << 6)     /* AP[2:1] / S2AP[1:0] */
#define D_ATTR(x) ((uint64_t)(x) << 2)   /* AttrIndx / MemAttr */
#define D_SH(x) ((uint64_t)(x) << 8)
#define T_PXN (UINT64_C(1) << 59)
#define T_UXN (UINT64_C(1) << 60)
#define T_AP(x) ((uint64_t)(x) << 61)

#define HOLE UINT64_C(0x200000000) /* RAM is [0, 4 GB) */
#define MAIR_TEST UINT64_C(0x000000000004FF44) /* 0 NC, 1 WB, 2 Dev-nGnRE */

struct fx {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	uint64_t next;        /* page-table page allocator */
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, UINT64_C(1) << 32) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	f->next = 0x10000000;
	return f;
}

static void fx_free(struct fx *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* A page-table builder for one regime. Tables are allocated at PAs; the
 * addresses written into descriptors are PA - delta (delta != 0 builds
 * stage-1 tables that live in IPA space under a stage-2 mapping). */
struct pt {
	struct fx *f;
	unsigned g, iasize;
	int start;
	bool be;
	uint64_t delta;
	uint64_t root;        /* PA */
	uint64_t pool;        /* own table allocator, 0: the fixture's */
	uint64_t tbl_bits;    /* extra bits for new table descriptors */
};

static unsigned shift_of(unsigned g, int l)
{
	return g + (unsigned)(3 - l) * (g - 3);
}

static uint64_t alloc(struct fx *f, uint64_t size)
{
	uint64_t a = (f->next + size - 1) & ~(size - 1);

	f->next = a + size;
	assert_int_equal(pmem_fill(f->mem, a, 0, size), MEM_OK);
	return a;
}

static uint64_t swap64(uint64_t v)
{
	uint64_t o = 0;

	for (int i = 0; i < 8; i++) {
		o = (o << 8) | (v & 0xff);
		v >>= 8;
	}
	return o;
}

static void wr(const struct pt *t, uint64_t pa, uint64_t d)
{
	assert_int_equal(pmem_write64(t->f->mem, pa, t->be ? swap64(d) : d,
				      NULL), MEM_OK);
}

static uint64_t rd(const struct pt *t, uint64_t pa)
{
	uint64_t d;

	assert_int_equal(pmem_read64(t->f->mem, pa, &d, NULL), MEM_OK);
	return t->be ? swap64(d) : d;
}

static void pt_init(struct pt *t, struct fx *f, unsigned g, unsigned tsz,
		    int start)
{
	unsigned width;

	memset(t, 0, sizeof(*t));
	t->f = f;
	t->g = g;
	t->iasize = 64 - tsz;
	t->start = start;
	width = t->iasize - shift_of(g, start);
	t->root = alloc(f, (UINT64_C(8) << width) < (UINT64_C(1) << g)
				   ? (UINT64_C(1) << g)
				   : (UINT64_C(8) << width));
}

/* PA of the descriptor for ia at `level`, creating tables above it. */
static uint64_t pt_slot(struct pt *t, uint64_t ia, int level)
{
	uint64_t table = t->root;

	for (int l = t->start;; l++) {
		unsigned w = l == t->start ? t->iasize - shift_of(t->g, l)
					   : t->g - 3;
		uint64_t idx = (ia >> shift_of(t->g, l)) &
			       ((UINT64_C(1) << w) - 1);
		uint64_t slot = table + idx * 8;

		if (l == level)
			return slot;
		uint64_t d = rd(t, slot);

		if (!(d & D_VALID)) {
			uint64_t n = alloc(t->f, UINT64_C(1) << t->g);

			if (t->pool) {
				n = t->pool;
				t->pool += UINT64_C(1) << t->g;
				assert_int_equal(pmem_fill(t->f->mem, n, 0,
							   1u << t->g),
						 MEM_OK);
			}

			d = (n - t->delta) | D_VALID | D_TABLE | t->tbl_bits;
			wr(t, slot, d);
		}
		table = (d & 0x0000FFFFFFFFF000ull &
			 ~((UINT64_C(1) << t->g) - 1)) + t->delta;
	}
}

/* Map ia -> oa with a leaf at `level`; returns the leaf's PA. */
static uint64_t pt_map(struct pt *t, uint64_t ia, int level, uint64_t oa,
		       uint64_t bits)
{
	uint64_t slot = pt_slot(t, ia, level);

	wr(t, slot, oa | bits | D_VALID | (level == 3 ? D_TABLE : 0));
	return slot;
}

static struct walk_regime s1_reg(const struct pt *t, unsigned tsz)
{
	struct walk_regime r;

	memset(&r, 0, sizeof(r));
	r.stage = 1;
	r.granule_shift = (uint8_t)t->g;
	r.tsz = (uint8_t)tsz;
	r.start_level = (int8_t)t->start;
	r.ttb = t->root - t->delta;
	r.oas_bits = 48;
	r.endi = t->be;
	r.mair = MAIR_TEST;
	r.asid = 7;
	return r;
}

static struct walk_regime s2_reg(const struct pt *t, unsigned tsz)
{
	struct walk_regime r;

	memset(&r, 0, sizeof(r));
	r.stage = 2;
	r.granule_shift = (uint8_t)t->g;
	r.tsz = (uint8_t)tsz;
	r.start_level = (int8_t)t->start;
	r.concat = 1;
	r.ttb = t->root;
	r.oas_bits = 48;
	r.vmid = 3;
	return r;
}

static const struct access RD_PRIV = { .priv = true };

/* ------------------------------------------------------------------ */

struct geo_row {
	const char *name;
	unsigned g, tsz;
	int start, leaf;
	uint64_t ia, oa_base;  /* oa_base aligned to the leaf size */
	uint64_t want_oa;
	unsigned want_shift;
	unsigned want_reads;
	uint8_t concat;        /* stage 2 rows: tables at the start level */
};

static const struct geo_row s1_rows[] = {
	{ "4K L0 page", 12, 16, 0, 3, 0x0000412345678ABCull, 0x40001000,
	  0x40001ABC, 12, 4, 1 },
	{ "4K L0 2M block", 12, 16, 0, 2, 0x0000412345678ABCull, 0x40200000,
	  0x40278ABC, 21, 3, 1 },
	{ "4K L0 1G block", 12, 16, 0, 1, 0x0000412345678ABCull, 0x80000000,
	  0x85678ABC, 30, 2, 1 },
	{ "4K L1 page", 12, 25, 1, 3, 0x0000002512345FEDull, 0x7654000,
	  0x7654FED, 12, 3, 1 },
	{ "4K L1 1G block TTB1", 12, 25, 1, 1, 0xFFFFFFC012345FEDull,
	  0xC0000000, 0xD2345FED, 30, 1, 1 },
	/* bit IAsize-1 (38) is an address bit, not a sign bit */
	{ "4K L1 page, VA bit 38 set", 12, 25, 1, 3, 0x0000004012345FEDull,
	  0x7654000, 0x7654FED, 12, 3, 1 },
	{ "4K L1 1G block TTB1, VA bit 38 clear", 12, 25, 1, 1,
	  0xFFFFFF8012345FEDull, 0xC0000000, 0xD2345FED, 30, 1, 1 },
	{ "4K L2 page", 12, 34, 2, 3, 0x1ABCDEF1ull, 0x1000, 0x1EF1, 12, 2,
	  1 },
	{ "4K L2 block", 12, 34, 2, 2, 0x1ABCDEF1ull, 0xFFE00000, 0xFFFCDEF1,
	  21, 1, 1 },
	{ "4K L3 start", 12, 44, 3, 3, 0x7BCDEull, 0x3000, 0x3CDE, 12, 1, 1 },
	{ "16K L0 page", 14, 16, 0, 3, 0x0000412345678ABCull, 0x40004000,
	  0x40004ABC, 14, 4, 1 },
	{ "16K L0 32M block", 14, 16, 0, 2, 0x0000412345678ABCull,
	  0x42000000, 0x43678ABC, 25, 3, 1 },
	{ "16K L1 page", 14, 17, 1, 3, 0x0000212345678ABCull, 0x8000,
	  0x8ABC, 14, 3, 1 },
	{ "16K L2 page", 14, 28, 2, 3, 0x412345678ull, 0xC000, 0xD678, 14, 2,
	  1 },
	{ "16K L2 block", 14, 28, 2, 2, 0x412345678ull, 0x6000000,
	  0x6345678, 25, 1, 1 },
	{ "16K L3 start", 14, 39, 3, 3, 0x0A34567ull, 0x10000, 0x10567, 14, 1,
	  1 },
	{ "64K L1 page", 16, 16, 1, 3, 0x0000412345678ABCull, 0x50000,
	  0x58ABC, 16, 3, 1 },
	{ "64K L1 512M block", 16, 16, 1, 2, 0x0000412345678ABCull,
	  0x20000000, 0x25678ABC, 29, 2, 1 },
	{ "64K L2 page", 16, 22, 2, 3, 0x1BCDEF12345ull, 0x90000, 0x92345,
	  16, 2, 1 },
	{ "64K L2 block", 16, 22, 2, 2, 0x1BCDEF12345ull, 0xE0000000,
	  0xFEF12345, 29, 1, 1 },
	{ "64K L3 start", 16, 35, 3, 3, 0x02345678ull, 0xA0000, 0xA5678, 16,
	  1, 1 },
};

/* Stage 2: start levels from SL0, including concatenated tables. */
static const struct geo_row s2_rows[] = {
	{ "4K SL L0", 12, 16, 0, 3, 0x812345678ABCull, 0x41000, 0x41ABC, 12,
	  4, 1 },
	{ "4K SL L1", 12, 25, 1, 2, 0x4512345678ull, 0x600000, 0x745678, 21,
	  2, 1 },
	{ "4K SL L1 concat 8", 12, 22, 1, 1, 0x2D512345678ull, 0x40000000,
	  0x52345678, 30, 1, 8 },
	{ "4K SL L2 concat 16", 12, 30, 2, 3, 0x3ABCDE123ull, 0x5000,
	  0x5123, 12, 2, 16 },
	{ "4K SL L3", 12, 44, 3, 3, 0xABCDEull, 0x3000, 0x3CDE, 12, 1, 1 },
	{ "16K SL L1 concat 2", 14, 16, 1, 3, 0x812345678ABCull, 0x44000,
	  0x44ABC, 14, 3, 2 },
	{ "16K SL L2", 14, 28, 2, 2, 0x812345678ull, 0x6000000, 0x6345678,
	  25, 1, 1 },
	{ "16K SL L3", 14, 39, 3, 3, 0x1234567ull, 0x10000, 0x10567, 14, 1,
	  1 },
	{ "64K SL L1", 16, 16, 1, 3, 0x812345678ABCull, 0x50000, 0x58ABC, 16,
	  3, 1 },
	{ "64K SL L2 concat 16", 16, 18, 2, 2, 0x2F12345678ABull, 0x60000000,
	  0x745678AB, 29, 1, 16 },
	{ "64K SL L3 concat 16", 16, 31, 3, 3, 0x1ABCDEF12ull, 0x70000,
	  0x7EF12, 16, 1, 16 },
};

static void run_geo(const struct geo_row *rows, size_t n, int stage)
{
	for (size_t i = 0; i < n; i++) {
		const struct geo_row *r = &rows[i];
		struct fx *f = fx_new();
		struct pt t;
		struct walk_regime reg;
		struct walk_result res;
		struct smmu_event ev;
		uint64_t cyc = 0;

		pt_init(&t, f, r->g, r->tsz, r->start);
		pt_map(&t, r->ia, r->leaf, r->oa_base,
		       D_AF | D_AP(stage == 1 ? 1 : 3));
		reg = stage == 1 ? s1_reg(&t, r->tsz) : s2_reg(&t, r->tsz);
		reg.concat = r->concat;
		memset(&ev, 0, sizeof(ev));
		bool ok = stage == 1 ? walk_translate(f->smmu, &reg, NULL,
						      r->ia, &RD_PRIV, &res,
						      &ev, &cyc)
				     : walk_translate(f->smmu, NULL, &reg,
						      r->ia, &RD_PRIV, &res,
						      &ev, &cyc);
		expect_field(i, r->name, "ok", ok, 1);
		expect_field(i, r->name, "oa", res.oa, r->want_oa);
		expect_field(i, r->name, "size_shift", res.size_shift,
			     r->want_shift);
		expect_field(i, r->name, "level", res.level, r->leaf);
		expect_field(i, r->name, "walk_reads",
			     f->smmu->stats.walk_reads, r->want_reads);
		fx_free(f);
	}
}

static void test_s1_geometry(void **state)
{
	(void)state;
	run_geo(s1_rows, sizeof(s1_rows) / sizeof(s1_rows[0]), 1);
}

static void test_s2_geometry(void **state)
{
	(void)state;
	run_geo(s2_rows, sizeof(s2_rows) / sizeof(s2_rows[0]), 2);
}

/* Big-endian descriptors (CD.ENDI / STE.S2ENDI). */
static void test_big_endian(void **state)
{
	struct fx *f = fx_new();
	struct pt t;
	struct walk_regime reg;
	struct walk_result res;
	struct smmu_event ev = { 0 };
	uint64_t leaf, raw;

	(void)state;
	pt_init(&t, f, 12, 25, 1);
	t.be = true;
	leaf = pt_map(&t, 0x12345000, 3, 0x98765000, D_AP(0));
	reg = s1_reg(&t, 25);
	reg.ha = true;
	assert_true(walk_translate(f->smmu, &reg, NULL, 0x12345678, &RD_PRIV,
				   &res, &ev, NULL));
	assert_int_equal(res.oa, 0x98765678);
	/* AF set by HTTU, written back big-endian */
	assert_int_equal(pmem_read64(f->mem, leaf, &raw, NULL), MEM_OK);
	assert_int_equal(raw, swap64(0x98765000 | D_AP(0) | D_AF | 3));
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Faults: exact event fields. Stage 1 4K, TxSZ 25, start level 1. */

enum fsetup {
	FS_NONE,
	FS_RANGE_TTB0,   /* VA bit 39 set, bit 55 clear */
	FS_RANGE_TBI,    /* top byte non-zero: TBI=0 faults, TBI=1 works */
	FS_TBI_OK,
	FS_EPD,
	FS_INVALID_L2,
	FS_RESERVED_L3,  /* L3 descriptor with bit 1 clear */
	FS_TBL_ADDR_SIZE,
	FS_LEAF_ADDR_SIZE,
	FS_AF,
	FS_AF_AFFD,
	FS_EABT,
	FS_L0_BLOCK,     /* 4K start level 0 with a level-0 block */
	FS_E0PD,
	FS_64K_L1_BLOCK,
};

struct fault_row {
	const char *name;
	enum fsetup setup;
	uint64_t va;
	uint8_t want_id;     /* EVT_NONE: success */
	uint8_t want_class;
	uint64_t want_fetch; /* 0, or offset from the hole */
};

static const struct fault_row fault_rows[] = {
	{ "ok", FS_NONE, 0x12345678, EVT_NONE, 0, 0 },
	{ "VA beyond TTB0 range", FS_RANGE_TTB0, 0x8012345678ull,
	  EVT_F_TRANSLATION, EVT_CLASS_IN, 0 },
	{ "top byte, TBI=0", FS_RANGE_TBI, 0x5A00000012345678ull,
	  EVT_F_TRANSLATION, EVT_CLASS_IN, 0 },
	{ "top byte, TBI=1", FS_TBI_OK, 0x5A00000012345678ull, EVT_NONE, 0,
	  0 },
	{ "EPD", FS_EPD, 0x12345678, EVT_F_TRANSLATION, EVT_CLASS_IN, 0 },
	{ "invalid L2", FS_INVALID_L2, 0x12345678, EVT_F_TRANSLATION,
	  EVT_CLASS_IN, 0 },
	{ "reserved L3", FS_RESERVED_L3, 0x12345678, EVT_F_TRANSLATION,
	  EVT_CLASS_IN, 0 },
	{ "table above OAS", FS_TBL_ADDR_SIZE, 0x12345678, EVT_F_ADDR_SIZE,
	  EVT_CLASS_IN, 0 },
	{ "leaf above OAS", FS_LEAF_ADDR_SIZE, 0x12345678, EVT_F_ADDR_SIZE,
	  EVT_CLASS_IN, 0 },
	{ "AF=0", FS_AF, 0x12345678, EVT_F_ACCESS, EVT_CLASS_IN, 0 },
	{ "AF=0 AFFD", FS_AF_AFFD, 0x12345678, EVT_NONE, 0, 0 },
	{ "table into hole", FS_EABT, 0x12345678, EVT_F_WALK_EABT,
	  EVT_CLASS_TT, 0x145 * 8 },
	{ "4K L0 block", FS_L0_BLOCK, 0x12345678, EVT_F_TRANSLATION,
	  EVT_CLASS_IN, 0 },
	{ "E0PD unprivileged", FS_E0PD, 0x12345678, EVT_F_TRANSLATION,
	  EVT_CLASS_IN, 0 },
	{ "64K L1 block", FS_64K_L1_BLOCK, 0x12345678, EVT_F_TRANSLATION,
	  EVT_CLASS_IN, 0 },
};

static void test_s1_faults(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fault_rows) / sizeof(fault_rows[0]);
	     i++) {
		const struct fault_row *r = &fault_rows[i];
		struct fx *f = fx_new();
		struct pt t;
		struct walk_regime reg;
		struct walk_result res;
		struct smmu_event ev;
		struct access acc = RD_PRIV;
		unsigned tsz = 25;
		uint64_t bits = D_AF | D_AP(0);

		if (r->setup == FS_L0_BLOCK) {
			tsz = 16;
			pt_init(&t, f, 12, 16, 0);
			pt_map(&t, 0, 0, 0, bits);
		} else if (r->setup == FS_64K_L1_BLOCK) {
			tsz = 16;
			pt_init(&t, f, 16, 16, 1);
			pt_map(&t, 0, 1, 0, bits);
		} else {
			pt_init(&t, f, 12, 25, 1);
			if (r->setup == FS_AF || r->setup == FS_AF_AFFD)
				bits &= ~D_AF;
			uint64_t leaf = pt_map(&t, 0x12345000, 3, 0x55555000,
					       bits);

			switch (r->setup) {
			case FS_INVALID_L2:
				wr(&t, pt_slot(&t, 0x12345000, 2), 0x2);
				break;
			case FS_RESERVED_L3:
				wr(&t, leaf, rd(&t, leaf) & ~D_TABLE);
				break;
			case FS_TBL_ADDR_SIZE:
				wr(&t, pt_slot(&t, 0x12345000, 2),
				   (UINT64_C(1) << 40) | 3);
				break;
			case FS_LEAF_ADDR_SIZE:
				wr(&t, leaf, rd(&t, leaf) |
						     (UINT64_C(1) << 41));
				break;
			case FS_EABT:
				wr(&t, pt_slot(&t, 0x12345000, 2), HOLE | 3);
				break;
			default:
				break;
			}
		}
		reg = s1_reg(&t, tsz);
		reg.oas_bits = 40;
		reg.affd = r->setup == FS_AF_AFFD;
		reg.tbi = r->setup == FS_TBI_OK;
		reg.disabled = r->setup == FS_EPD;
		if (r->setup == FS_E0PD) {
			reg.e0pd = true;
			acc.priv = false;
		}
		memset(&ev, 0, sizeof(ev));
		bool ok = walk_translate(f->smmu, &reg, NULL, r->va, &acc,
					 &res, &ev, NULL);

		expect_field(i, r->name, "ok", ok, r->want_id == EVT_NONE);
		expect_field(i, r->name, "id", ev.id, r->want_id);
		if (r->want_id != EVT_NONE) {
			expect_field(i, r->name, "s2", ev.s2, 0);
			expect_field(i, r->name, "class", ev.class_,
				     r->want_class);
			expect_field(i, r->name, "fetch_addr", ev.fetch_addr,
				     r->want_fetch ? HOLE + r->want_fetch : 0);
		} else {
			expect_field(i, r->name, "oa", res.oa, 0x55555678);
		}
		fx_free(f);
	}
}

/* Stage-2 faults: S2=1, CLASS=IN, IPA = the input. */
static void test_s2_faults(void **state)
{
	struct fx *f = fx_new();
	struct pt t;
	struct walk_regime reg;
	struct walk_result res;
	struct smmu_event ev = { 0 };
	uint64_t cyc = 0;

	(void)state;
	pt_init(&t, f, 12, 25, 1);
	pt_map(&t, 0x1000, 3, 0x2000, D_AP(1)); /* read-only, AF=0 */
	wr(&t, pt_slot(&t, 0x40000000, 1), HOLE | 3);
	reg = s2_reg(&t, 25);

	/* IPA >= 2^39 */
	assert_false(walk_translate(f->smmu, NULL, &reg, 0x8000000000ull,
				    &RD_PRIV, &res, &ev, &cyc));
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_int_equal(ev.ipa, 0x8000000000ull);
	assert_int_equal(cyc, 0);

	/* walk abort: FetchAddr = the L2 descriptor in the hole */
	assert_false(walk_translate(f->smmu, NULL, &reg, 0x40603000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_WALK_EABT);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_int_equal(ev.ipa, 0x40603000);
	assert_int_equal(ev.fetch_addr, HOLE + 3 * 8);

	/* AF=0 */
	assert_false(walk_translate(f->smmu, NULL, &reg, 0x1234, &RD_PRIV,
				    &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_ACCESS);
	assert_int_equal(ev.ipa, 0x1234);

	/* S2AP=01 read-only: write is a permission fault */
	reg.affd = true;
	const struct access w = { .write = true, .priv = true };

	assert_false(walk_translate(f->smmu, NULL, &reg, 0x1234, &w, &res,
				    &ev, NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_int_equal(ev.ipa, 0x1234);
	assert_false(ev.ttrnw);
	/* address size at stage 2 */
	reg.oas_bits = 32;
	pt_map(&t, 0x3000, 3, UINT64_C(0x100000000), D_AF | D_AP(3));
	assert_false(walk_translate(f->smmu, NULL, &reg, 0x3000, &RD_PRIV,
				    &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_ADDR_SIZE);
	assert_true(ev.s2);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Permissions */

struct perm_row {
	const char *name;
	int stage;
	uint64_t leaf_bits;   /* AP/XN bits of the leaf */
	uint64_t tbl_bits;    /* APTable etc. on every table */
	bool wxn, pan, had, one_priv, xnx;
	uint8_t want;         /* pr pw px ur uw ux as bits 5..0 */
};

#define P(pr, pw, px, ur, uw, ux)                                            \
	(uint8_t)((pr) << 5 | (pw) << 4 | (px) << 3 | (ur) << 2 | (uw) << 1 | \
		  (ux))

static const struct perm_row perm_rows[] = {
	{ "AP00", 1, D_AP(0), 0, 0, 0, 0, 0, 0, P(1, 1, 1, 0, 0, 1) },
	{ "AP01", 1, D_AP(1), 0, 0, 0, 0, 0, 0, P(1, 1, 0, 1, 1, 1) },
	{ "AP10", 1, D_AP(2), 0, 0, 0, 0, 0, 0, P(1, 0, 1, 0, 0, 1) },
	{ "AP11", 1, D_AP(3), 0, 0, 0, 0, 0, 0, P(1, 0, 1, 1, 0, 1) },
	{ "AP00 PXN", 1, D_AP(0) | D_PXN, 0, 0, 0, 0, 0, 0,
	  P(1, 1, 0, 0, 0, 1) },
	{ "AP11 UXN", 1, D_AP(3) | D_UXN, 0, 0, 0, 0, 0, 0,
	  P(1, 0, 1, 1, 0, 0) },
	{ "AP00 WXN", 1, D_AP(0), 0, 1, 0, 0, 0, 0, P(1, 1, 0, 0, 0, 1) },
	{ "AP01 WXN", 1, D_AP(1), 0, 1, 0, 0, 0, 0, P(1, 1, 0, 1, 1, 0) },
	{ "AP10 WXN", 1, D_AP(2), 0, 1, 0, 0, 0, 0, P(1, 0, 1, 0, 0, 1) },
	{ "AP01 PAN", 1, D_AP(1), 0, 0, 1, 0, 0, 0, P(0, 0, 0, 1, 1, 1) },
	{ "AP11 PAN", 1, D_AP(3), 0, 0, 1, 0, 0, 0, P(0, 0, 1, 1, 0, 1) },
	{ "AP00 PAN", 1, D_AP(0), 0, 0, 1, 0, 0, 0, P(1, 1, 1, 0, 0, 1) },
	{ "APTable 10", 1, D_AP(1), T_AP(2), 0, 0, 0, 0, 0,
	  P(1, 0, 1, 1, 0, 1) },
	{ "APTable 01", 1, D_AP(1), T_AP(1), 0, 0, 0, 0, 0,
	  P(1, 1, 1, 0, 0, 1) },
	{ "APTable 11", 1, D_AP(1), T_AP(3), 0, 0, 0, 0, 0,
	  P(1, 0, 1, 0, 0, 1) },
	{ "XNTables", 1, D_AP(3), T_UXN | T_PXN, 0, 0, 0, 0, 0,
	  P(1, 0, 0, 1, 0, 0) },
	{ "HAD ignores tables", 1, D_AP(3), T_AP(3) | T_UXN | T_PXN, 0, 0,
	  1, 0, 0, P(1, 0, 1, 1, 0, 1) },
	{ "1-priv AP00", 1, D_AP(0), 0, 0, 0, 0, 1, 0, P(1, 1, 1, 1, 1, 1) },
	{ "1-priv AP10 XN", 1, D_AP(2) | D_UXN, 0, 0, 0, 0, 1, 0,
	  P(1, 0, 0, 1, 0, 0) },
	{ "1-priv WXN", 1, D_AP(0), 0, 1, 0, 0, 1, 0, P(1, 1, 0, 1, 1, 0) },
	{ "S2AP00", 2, D_AP(0), 0, 0, 0, 0, 0, 0, P(0, 0, 1, 0, 0, 1) },
	{ "S2AP01", 2, D_AP(1), 0, 0, 0, 0, 0, 0, P(1, 0, 1, 1, 0, 1) },
	{ "S2AP10", 2, D_AP(2), 0, 0, 0, 0, 0, 0, P(0, 1, 1, 0, 1, 1) },
	{ "S2AP11 XN", 2, D_AP(3) | D_UXN, 0, 0, 0, 0, 0, 0,
	  P(1, 1, 0, 1, 1, 0) },
	{ "XNX 01", 2, D_AP(3) | D_XN0, 0, 0, 0, 0, 0, 1,
	  P(1, 1, 0, 1, 1, 1) },
	{ "XNX 10", 2, D_AP(3) | D_UXN, 0, 0, 0, 0, 0, 1,
	  P(1, 1, 0, 1, 1, 0) },
	{ "XNX 11", 2, D_AP(3) | D_UXN | D_XN0, 0, 0, 0, 0, 0, 1,
	  P(1, 1, 1, 1, 1, 0) },
};

static void test_permissions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(perm_rows) / sizeof(perm_rows[0]); i++) {
		const struct perm_row *r = &perm_rows[i];
		struct fx *f = fx_new();
		struct pt t;
		struct walk_regime reg;

		pt_init(&t, f, 12, 25, 1);
		t.tbl_bits = r->tbl_bits;
		pt_map(&t, 0x12345000, 3, 0x66666000, D_AF | r->leaf_bits);
		reg = r->stage == 1 ? s1_reg(&t, 25) : s2_reg(&t, 25);
		reg.wxn = r->wxn;
		reg.pan = r->pan;
		reg.had = r->had;
		reg.one_priv = r->one_priv;
		reg.xnx = r->xnx;
		/* every access type: priv x (read, write, instr) */
		for (int a = 0; a < 6; a++) {
			struct access acc = {
				.priv = a < 3,
				.write = a % 3 == 1,
				.instr = a % 3 == 2,
			};
			struct walk_result res;
			struct smmu_event ev = { 0 };
			bool want = (r->want >> (5 - a)) & 1;
			const struct walk_regime *s1 = r->stage == 1 ? &reg
								     : NULL;
			const struct walk_regime *s2 = r->stage == 2 ? &reg
								     : NULL;
			bool ok = walk_translate(f->smmu, s1, s2, 0x12345008,
						 &acc, &res, &ev, NULL);

			expect_field(i, r->name, "access allowed",
				     ok << 4 | a, want << 4 | a);
			if (!ok) {
				expect_field(i, r->name, "id", ev.id,
					     EVT_F_PERMISSION);
				expect_field(i, r->name, "s2", ev.s2,
					     r->stage == 2);
				expect_field(i, r->name, "class", ev.class_,
					     EVT_CLASS_IN);
				continue;
			}
			uint8_t got = P(res.pr, res.pw, res.px, res.ur, res.uw,
					res.ux);

			expect_field(i, r->name, "perms", got, r->want);
			expect_field(i, r->name, "permits",
				     walk_permits(&res, &acc), 1);
			expect_field(i, r->name, "oa", res.oa, 0x66666008);
		}
		fx_free(f);
	}
}

/* ------------------------------------------------------------------ */
/* HTTU: AF and dirty state, both stages */

static void test_httu(void **state)
{
	struct fx *f = fx_new();
	struct pt t;
	struct walk_regime reg;
	struct walk_result res;
	struct smmu_event ev = { 0 };
	const struct access w = { .write = true, .priv = true };
	uint64_t leaf;

	(void)state;
	/* Stage 1: AF=0, DBM=1, AP=10 (writable-clean) */
	pt_init(&t, f, 12, 25, 1);
	leaf = pt_map(&t, 0x5000, 3, 0x7000, D_AP(2) | D_DBM);
	reg = s1_reg(&t, 25);

	/* without HA/HD: access fault first, then permission fault */
	assert_false(walk_translate(f->smmu, &reg, NULL, 0x5000, &w, &res,
				    &ev, NULL));
	assert_int_equal(ev.id, EVT_F_ACCESS);
	reg.affd = true;
	assert_false(walk_translate(f->smmu, &reg, NULL, 0x5000, &w, &res,
				    &ev, NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_int_equal(rd(&t, leaf), 0x7000 | D_AP(2) | D_DBM | 3);

	/* HA+HD, read: AF set, still clean, a write must walk */
	reg.affd = false;
	reg.ha = reg.hd = true;
	assert_true(walk_translate(f->smmu, &reg, NULL, 0x5010, &RD_PRIV,
				   &res, &ev, NULL));
	assert_int_equal(rd(&t, leaf), 0x7000 | D_AP(2) | D_DBM | D_AF | 3);
	assert_false(res.pw);
	assert_true(res.write_needs_walk);
	assert_true(res.pr);
	/* writable-clean counts as writable for WXN-free PXN: AP[1]=0 so
	 * privileged execute stays */
	assert_true(res.px);

	/* write: AP[2] cleared atomically */
	uint64_t cyc = 0;

	assert_true(walk_translate(f->smmu, &reg, NULL, 0x5010, &w, &res,
				   &ev, &cyc));
	assert_int_equal(rd(&t, leaf), 0x7000 | D_AP(0) | D_DBM | D_AF | 3);
	assert_true(res.pw);
	assert_false(res.write_needs_walk);
	assert_int_equal(res.oa, 0x7010);
	/* 1 probe hit (L2) + L3 read (108 + 2) + CAS (108) */
	assert_int_equal(cyc, 1 + 110 + 108);

	/* Stage 2: S2AP=01, DBM=1 */
	struct pt t2;
	struct walk_regime r2;

	pt_init(&t2, f, 12, 25, 1);
	leaf = pt_map(&t2, 0x9000, 3, 0xB000, D_AP(1) | D_DBM);
	r2 = s2_reg(&t2, 25);
	r2.ha = true;
	assert_false(walk_translate(f->smmu, NULL, &r2, 0x9000, &w, &res, &ev,
				    NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_true(ev.s2);
	r2.hd = true;
	assert_true(walk_translate(f->smmu, NULL, &r2, 0x9000, &RD_PRIV, &res,
				   &ev, NULL));
	assert_true(res.write_needs_walk);
	assert_false(res.uw);
	assert_int_equal(rd(&t2, leaf), 0xB000 | D_AP(1) | D_DBM | D_AF | 3);
	assert_true(walk_translate(f->smmu, NULL, &r2, 0x9000, &w, &res, &ev,
				   NULL));
	assert_int_equal(rd(&t2, leaf), 0xB000 | D_AP(3) | D_DBM | D_AF | 3);
	assert_true(res.uw);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* Nested: S1 tables live at IPA [1G, 2G) = PA [2G, 3G). */

#define N_IPA_TBL UINT64_C(0x40000000)
#define N_PA_TBL UINT64_C(0x80000000)

struct nested {
	struct fx *f;
	struct pt t1, t2;
	struct walk_regime s1, s2;
	uint64_t s2_tbl_leaf;   /* S2 L1 block mapping the S1 tables */
};

static void nested_init(struct nested *n, uint64_t s2_tbl_bits)
{
	memset(n, 0, sizeof(*n));
	n->f = fx_new();
	pt_init(&n->t2, n->f, 12, 25, 1);
	n->s2_tbl_leaf = pt_map(&n->t2, N_IPA_TBL, 1, N_PA_TBL, s2_tbl_bits);
	n->f->next = N_PA_TBL;
	pt_init(&n->t1, n->f, 12, 25, 1);
	n->t1.delta = N_PA_TBL - N_IPA_TBL;
	n->t1.pool = n->f->next;
	n->s1 = s1_reg(&n->t1, 25);
	n->s2 = s2_reg(&n->t2, 25);
	n->f->next = 0x10000000 + 0x100000;
}

static void test_nested(void **state)
{
	struct nested n;
	struct walk_result res;
	struct smmu_event ev = { 0 };
	uint64_t cyc = 0;
	const struct access w = { .write = true, .priv = true };

	(void)state;
	nested_init(&n, D_AF | D_AP(3) | D_ATTR(0xF));
	/* VA 0x12345000 -> IPA 0x23456000 (S1 page, RW all, WB) */
	pt_map(&n.t1, 0x12345000, 3, 0x23456000, D_AF | D_AP(1) |
		D_ATTR(1) | D_SH(3) | D_NG);
	/* IPA 0x23456000 -> PA 0xC0056000 via an S2 2M block, read-only */
	pt_map(&n.t2, 0x23456000, 2, 0xC0000000 | 0x200000 * 0,
	       D_AF | D_AP(1) | D_ATTR(0xF) | D_SH(3));
	assert_true(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12345ABC,
				   &RD_PRIV, &res, &ev, &cyc));
	assert_int_equal(res.oa, 0xC0056ABC);
	assert_int_equal(res.ipa, 0x23456ABC);
	assert_int_equal(res.size_shift, 12);
	assert_int_equal(res.level, 2);
	assert_true(res.ng);
	assert_int_equal(P(res.pr, res.pw, res.px, res.ur, res.uw, res.ux),
			 P(1, 0, 0, 1, 0, 1));
	assert_int_equal(res.attr, 0xFF);
	assert_int_equal(res.sh, 3);
	/* S1 L1, L2, L3 each behind one S2 read (L1 block), then the final
	 * IPA: S2 L1 table + L2 block = 3 * 2 + 2 */
	assert_int_equal(n.f->smmu->stats.walk_reads, 8);
	/* walk-cache probes (L2, L1) for every walk: S1, 3 S2 walks for
	 * the S1 descriptors and the final S2 = 5 * 2; reads 8 * 110 */
	assert_int_equal(cyc, 10 + 8 * 110);

	/* write: S2 read-only, stage-2 permission fault on the final IPA */
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12345ABC, &w,
				    &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_int_equal(ev.ipa, 0x23456ABC);

	/* final IPA unmapped at stage 2 */
	pt_map(&n.t1, 0x12346000, 3, 0x33456000, D_AF | D_AP(1));
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12346000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_int_equal(ev.ipa, 0x33456000);

	/* S1 L2 table pointing at an IPA that stage 2 does not map:
	 * S2 fault CLASS=TT with the descriptor's IPA */
	uint64_t l2 = pt_slot(&n.t1, 0x52345000, 2);

	wr(&n.t1, l2, 0x3000000 | 3);
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x52345000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_TT);
	assert_int_equal(ev.ipa, 0x3000000 + 0x145 * 8);

	/* S1-only fault within nested: AF=0 */
	pt_map(&n.t1, 0x12347000, 3, 0x23457000, D_AP(1));
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12347000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_ACCESS);
	assert_false(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);

	/* S1 HA update needs stage-2 write: tables mapped read-only */
	uint64_t leaf1 = pt_slot(&n.t1, 0x12347000, 3);

	n.s1.ha = true;
	wr(&n.t2, n.s2_tbl_leaf, N_PA_TBL | D_AF | D_AP(1) | 1);
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12347000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_TT);
	assert_false(ev.ttrnw);
	assert_int_equal(ev.ipa, leaf1 - N_PA_TBL + N_IPA_TBL);
	/* ... and with write permission the S1 AF is set */
	wr(&n.t2, n.s2_tbl_leaf, N_PA_TBL | D_AF | D_AP(3) | 1);
	assert_true(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12347000,
				   &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(rd(&n.t1, leaf1), 0x23457000 | D_AP(1) | D_AF | 3);

	/* S2PTW: tables in stage-2 Device memory */
	n.s2.ptw = true;
	wr(&n.t2, n.s2_tbl_leaf, N_PA_TBL | D_AF | D_AP(3) | D_ATTR(1) | 1);
	assert_false(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x12345000,
				    &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_TT);
	assert_true(ev.ttrnw);
	fx_free(n.f);
}

/* Combined sizes: min over stages; S1 1G block over S2 2M block. */
static void test_nested_sizes(void **state)
{
	struct nested n;
	struct walk_result res;
	struct smmu_event ev = { 0 };

	(void)state;
	nested_init(&n, D_AF | D_AP(3) | D_ATTR(0xF));
	pt_map(&n.t1, 0x40000000, 1, 0x00000000, D_AF | D_AP(0) |
		D_ATTR(2));
	pt_map(&n.t2, 0x00200000, 2, 0xC0200000, D_AF | D_AP(3) |
		D_ATTR(0xF));
	assert_true(walk_translate(n.f->smmu, &n.s1, &n.s2, 0x40212345,
				   &RD_PRIV, &res, &ev, NULL));
	assert_int_equal(res.oa, 0xC0212345);
	assert_int_equal(res.size_shift, 21);
	assert_int_equal(res.level, 2);
	/* S1 Device-nGnRE wins over S2 WB, always OSH */
	assert_int_equal(res.attr, 0x04);
	assert_int_equal(res.sh, 2);
	fx_free(n.f);
}

/* ------------------------------------------------------------------ */
/* Cycles: a cold 4-level 4K walk under `full`: 3 walk-cache probes
 * (L2, L1, L0) at 1 cycle, 4 reads of (100 + 8) + walk_step 2. */

static void test_cycles(void **state)
{
	struct fx *f = fx_new();
	struct pt t;
	struct walk_regime reg;
	struct walk_result res;
	struct smmu_event ev = { 0 };
	uint64_t cyc = 0;

	(void)state;
	pt_init(&t, f, 12, 16, 0);
	pt_map(&t, 0x0000412345678000ull, 3, 0x1000, D_AF);
	pt_map(&t, 0x0000412345679000ull, 3, 0x2000, D_AF);
	reg = s1_reg(&t, 16);
	assert_true(walk_translate(f->smmu, &reg, NULL, 0x0000412345678000ull,
				   &RD_PRIV, &res, &ev, &cyc));
	assert_int_equal(cyc, 3 * 1 + 4 * (100 + 8 + 2));
	assert_int_equal(f->smmu->stats.walk_reads, 4);
	assert_int_equal(f->smmu->stats.walkcache_misses, 1);
	/* warm: the L2 table descriptor is cached, one probe, one read */
	cyc = 0;
	assert_true(walk_translate(f->smmu, &reg, NULL, 0x0000412345679000ull,
				   &RD_PRIV, &res, &ev, &cyc));
	assert_int_equal(res.oa, 0x2000);
	assert_int_equal(cyc, 1 + 110);
	assert_int_equal(f->smmu->stats.walk_reads, 5);
	assert_int_equal(f->smmu->stats.walkcache_hits, 1);
	fx_free(f);
}

/* walk_s2_fetch: CD fetch through stage 2, faults with the given CLASS */
static void test_s2_fetch(void **state)
{
	struct fx *f = fx_new();
	struct pt t;
	struct walk_regime reg;
	struct smmu_event ev = { 0 };
	uint64_t pa = 0;

	(void)state;
	pt_init(&t, f, 12, 25, 1);
	pt_map(&t, 0x8000, 3, 0x3000000, D_AF | D_AP(1));
	reg = s2_reg(&t, 25);
	assert_true(walk_s2_fetch(f->smmu, &reg, 0x8040, EVT_CLASS_CD, &pa,
				  &ev, NULL));
	assert_int_equal(pa, 0x3000040);
	assert_false(walk_s2_fetch(f->smmu, &reg, 0x9040, EVT_CLASS_CD, &pa,
				   &ev, NULL));
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_true(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_CD);
	assert_int_equal(ev.ipa, 0x9040);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s1_geometry),
		cmocka_unit_test(test_s2_geometry),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_s1_faults),
		cmocka_unit_test(test_s2_faults),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_httu),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_sizes),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_s2_fetch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
