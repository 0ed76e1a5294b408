/* SPDX-License-Identifier: MIT */
/* host/: physical page allocator and AArch64 page-table construction. */
#include "testutil.h"

#include <stdlib.h>

#include "host/hostmem.h"
#include "host/pgtable.h"

#define RAM UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(256) << 20)

struct fixture {
	struct pmem *mem;
	struct hostmem *hm;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->mem = pmem_create();
	pmem_add_ram(f->mem, RAM, RAM_SIZE);
	f->hm = hostmem_create(f->mem, RAM, RAM_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hostmem_destroy(f->hm);
	pmem_destroy(f->mem);
	free(f);
	return 0;
}

static void test_hostmem_alloc_free(void **state)
{
	struct fixture *f = *state;
	uint64_t a = hostmem_alloc(f->hm, 100, 64);
	uint64_t b = hostmem_alloc(f->hm, 4096, 4096);
	uint64_t c = hostmem_alloc(f->hm, 8, 8);

	assert_int_equal(a, RAM);
	assert_int_equal(b, RAM + 4096);
	assert_int_equal(c, RAM + 104); /* fills the gap after a */
	assert_int_equal(hostmem_used(f->hm), 104 + 4096 + 8);
	/* allocations come back zeroed even after the memory was used */
	pmem_write64(f->mem, b + 8, 0xdeadbeef, NULL);
	hostmem_free(f->hm, b, 4096);
	uint64_t d = hostmem_alloc(f->hm, 4096, 4096), v = 1;

	assert_int_equal(d, b);
	pmem_read64(f->mem, d + 8, &v, NULL);
	assert_int_equal(v, 0);
	/* bad arguments and exhaustion */
	assert_int_equal(hostmem_alloc(f->hm, 0, 8), 0);
	assert_int_equal(hostmem_alloc(f->hm, 64, 3), 0);
	assert_int_equal(hostmem_alloc(f->hm, RAM_SIZE, 8), 0);
	hostmem_free(f->hm, a, 100);
	hostmem_free(f->hm, c, 8);
	hostmem_free(f->hm, d, 4096);
	assert_int_equal(hostmem_used(f->hm), 0);
	/* everything coalesced back into one span */
	assert_int_equal(hostmem_alloc(f->hm, RAM_SIZE, 4096), RAM);
}

struct geo_row {
	uint8_t stage, gshift, ia_bits;
	int start_level;
	uint64_t root_size;
	uint8_t tsz, sl0, tg0;
};

/* facts §9.2 and §9.4 */
static const struct geo_row geo_rows[] = {
	{ 1, 12, 48, 0, 4096, 16, 2, 0 },
	{ 1, 12, 39, 1, 4096, 25, 1, 0 },
	{ 1, 12, 32, 1, 32, 32, 1, 0 },
	{ 1, 14, 48, 0, 16, 16, 3, 2 },
	{ 1, 14, 47, 1, 16384, 17, 2, 2 },
	{ 1, 16, 48, 1, 512, 16, 2, 1 },
	{ 1, 16, 42, 2, 65536, 22, 1, 1 },
	{ 2, 12, 40, 0, 16, 24, 2, 0 },
	{ 2, 16, 40, 2, 16384, 24, 1, 1 },
};

static void test_pgtable_geometry(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(geo_rows) / sizeof(geo_rows[0]); i++) {
		const struct geo_row *r = &geo_rows[i];
		struct pgtable pt;

		assert_true(pgtable_init(&pt, f->hm, r->stage, r->gshift,
					 r->ia_bits));
		expect_field(i, "geo", "start_level", pt.start_level,
			     r->start_level);
		expect_field(i, "geo", "root_size",
			     pt.root_size < 64 ? 64 : pt.root_size,
			     r->root_size < 64 ? 64 : r->root_size);
		expect_field(i, "geo", "tsz", pgtable_tsz(&pt), r->tsz);
		expect_field(i, "geo", "tg0", pgtable_tg0(&pt), r->tg0);
		if (r->stage == 2)
			expect_field(i, "geo", "s2sl0", pgtable_s2sl0(&pt),
				     r->sl0);
		expect_field(i, "geo", "root aligned",
			     pt.root % pt.root_size, 0);
		pgtable_destroy(&pt);
	}
	assert_int_equal(hostmem_used(f->hm), 0);
	struct pgtable bad;

	assert_false(pgtable_init(&bad, f->hm, 1, 13, 48));
	assert_false(pgtable_init(&bad, f->hm, 3, 12, 48));
	assert_false(pgtable_init(&bad, f->hm, 1, 12, 52));
}

static void test_pgtable_map_lookup(void **state)
{
	struct fixture *f = *state;
	struct pgtable pt;
	uint64_t pa, leaf, d;

	assert_true(pgtable_init(&pt, f->hm, 1, 12, 48));
	assert_true(pgtable_map(&pt, 0x7f0000001000, 0x90000000, 0x2000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_int_equal(pt.tables, 4);
	assert_true(pgtable_lookup(&pt, 0x7f0000001abc, &pa, &leaf));
	assert_int_equal(pa, 0x90000abc);
	pmem_read64(f->mem, leaf, &d, NULL);
	/* page: AF, SH=ISH, AP=01 (RW at EL1 and EL0), nG, PXN (user page),
	 * no UXN (PT_X not given -> UXN=1) */
	assert_int_equal(d, UINT64_C(0x0060000090000F43));
	assert_true(pgtable_lookup(&pt, 0x7f0000002000, &pa, NULL));
	assert_int_equal(pa, 0x90001000);
	assert_false(pgtable_lookup(&pt, 0x7f0000003000, &pa, NULL));
	assert_false(pgtable_lookup(&pt, UINT64_C(1) << 48, &pa, NULL));
	/* misaligned or out-of-range requests are refused */
	assert_false(pgtable_map(&pt, 0x1001, 0x90000000, 0x1000, PT_R));
	assert_false(pgtable_map(&pt, UINT64_C(1) << 48, 0x90000000, 0x1000,
				 PT_R));
	/* unmap invalidates the leaf, keeps the tables */
	assert_true(pgtable_unmap(&pt, 0x7f0000001000, 0x1000));
	assert_false(pgtable_lookup(&pt, 0x7f0000001000, &pa, NULL));
	assert_true(pgtable_lookup(&pt, 0x7f0000002000, &pa, NULL));
	assert_int_equal(pt.tables, 4);
	/* 2 MiB block at level 2 */
	assert_true(pgtable_map(&pt, 0x40000000, 0xA0000000, 0x200000,
				PT_R | PT_BLOCK));
	assert_true(pgtable_lookup(&pt, 0x401234F0, &pa, &leaf));
	assert_int_equal(pa, 0xA01234F0);
	pmem_read64(f->mem, leaf, &d, NULL);
	assert_int_equal(d & 3, 1); /* block descriptor */
	assert_int_equal(d & UINT64_C(0xFFFFFFFFF000), 0xA0000000);
	pgtable_destroy(&pt);
	assert_int_equal(hostmem_used(f->hm), 0);
}

static void test_pgtable_stage2(void **state)
{
	struct fixture *f = *state;
	struct pgtable pt;
	uint64_t pa, leaf, d;

	assert_true(pgtable_init(&pt, f->hm, 2, 16, 40));
	assert_true(pgtable_map(&pt, 0x10000, 0x90010000, 0x10000,
				PT_R | PT_W));
	assert_true(pgtable_lookup(&pt, 0x10008, &pa, &leaf));
	assert_int_equal(pa, 0x90010008);
	pmem_read64(f->mem, leaf, &d, NULL);
	/* page, MemAttr 0xF, S2AP RW, SH ISH, AF, XN */
	assert_int_equal(d, UINT64_C(0x00400000900107FF));
	pgtable_destroy(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostmem_alloc_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_geometry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_map_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_stage2, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
