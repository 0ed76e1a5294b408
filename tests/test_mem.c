/* SPDX-License-Identifier: MIT */
/*
 * Tests of sparse physical memory (sim/mem.c): page backing, holes and
 * overruns, the 56-bit limit, byte order, MMIO dispatch, region removal,
 * latency accounting, compare-and-swap, fill and page iteration.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"

#define TOP (PMEM_ADDR_LIMIT - 1)

static uint64_t backed(const struct pmem *m)
{
	struct pmem_stats st;

	pmem_get_stats(m, &st);
	return st.pages_backed;
}

static uint64_t aborts(const struct pmem *m)
{
	struct pmem_stats st;

	pmem_get_stats(m, &st);
	return st.aborts;
}

/* --- sparse backing --- */

static void test_sparse_pages(void **state)
{
	struct pmem *m = pmem_create();
	uint64_t v = 1, host0;
	uint8_t buf[64];

	(void)state;
	assert_true(pmem_add_ram(m, 0, UINT64_C(1) << 40) >= 0);
	host0 = pmem_host_bytes(m);

	/* untouched RAM reads zero and backs nothing */
	static const uint64_t probes[] = {
		0, 0x1000, 0xfff8, UINT64_C(0x3456789000),
		(UINT64_C(1) << 40) - 8,
	};
	for (unsigned i = 0; i < 5; i++) {
		v = ~UINT64_C(0);
		assert_int_equal(pmem_read64(m, probes[i], &v, NULL), MEM_OK);
		expect_field(i, "untouched", "value", v, 0);
	}
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(pmem_read(m, 0x7fe0, buf, 64, NULL), MEM_OK);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(backed(m), 0);
	assert_int_equal(pmem_host_bytes(m), host0);

	/* one write backs exactly one page */
	assert_int_equal(pmem_write8(m, 0x5123, 0xab, NULL), MEM_OK);
	assert_int_equal(backed(m), 1);
	assert_int_equal(pmem_write64(m, 0x5ff8, 7, NULL), MEM_OK);
	assert_int_equal(backed(m), 1); /* same page */
	/* the rest of the page still reads zero */
	assert_int_equal(pmem_read64(m, 0x5000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0);
	assert_int_equal(pmem_read64(m, 0x5120, &v, NULL), MEM_OK);
	assert_int_equal(v, UINT64_C(0xab) << 24);

	/* a write spanning a page boundary backs two */
	assert_int_equal(pmem_write64(m, 0x9ffc, UINT64_C(0x1122334455667788),
				      NULL), MEM_OK);
	assert_int_equal(backed(m), 3);
	assert_int_equal(pmem_read64(m, 0x9ffc, &v, NULL), MEM_OK);
	assert_int_equal(v, UINT64_C(0x1122334455667788));
	/* a large write backs every page it covers */
	static uint8_t big[3 * 4096 + 2];

	memset(big, 0x3c, sizeof(big));
	assert_int_equal(pmem_write(m, 0x20fff, big, sizeof(big), NULL),
			 MEM_OK);
	assert_int_equal(backed(m), 3 + 5); /* 0x20..0x24 */
	pmem_destroy(m);
}

/* --- holes, overruns, 56-bit limit --- */

static void test_holes_and_overruns(void **state)
{
	struct pmem *m = pmem_create();
	uint64_t v = 0x55;
	uint32_t v32 = 0x55;
	uint8_t buf[16];
	struct pmem_stats st;

	(void)state;
	assert_true(pmem_add_ram(m, 0x10000, 0x1000) >= 0);
	assert_true(pmem_add_ram(m, 0x11000, 0x1000) >= 0); /* adjacent */

	/* holes */
	assert_int_equal(pmem_read64(m, 0x0, &v, NULL), MEM_ABORT);
	assert_int_equal(v, 0);
	assert_int_equal(pmem_read64(m, 0xfff8, &v, NULL), MEM_ABORT);
	assert_int_equal(pmem_write64(m, 0x12000, 1, NULL), MEM_ABORT);
	assert_int_equal(pmem_write8(m, 0xffff, 1, NULL), MEM_ABORT);
	assert_int_equal(aborts(m), 4);
	assert_int_equal(backed(m), 0);

	/* starting in a hole and running into RAM */
	assert_int_equal(pmem_read64(m, 0xfffc, &v, NULL), MEM_ABORT);
	/* running off the end of a region into a hole */
	assert_int_equal(pmem_read64(m, 0x11ffc, &v, NULL), MEM_ABORT);
	assert_int_equal(pmem_write32(m, 0x11ffe, 1, NULL), MEM_ABORT);
	/* an access must lie in one region, even if the next is adjacent */
	assert_int_equal(pmem_read32(m, 0x10ffe, &v32, NULL), MEM_ABORT);
	assert_int_equal(pmem_write(m, 0x10ff8, buf, 16, NULL), MEM_ABORT);
	assert_int_equal(aborts(m), 9);
	assert_int_equal(backed(m), 0); /* aborted writes back nothing */

	/* the last bytes of each region are fine */
	assert_int_equal(pmem_write64(m, 0x10ff8, 1, NULL), MEM_OK);
	assert_int_equal(pmem_write64(m, 0x11ff8, 2, NULL), MEM_OK);
	assert_int_equal(pmem_read64(m, 0x10ff8, &v, NULL), MEM_OK);
	assert_int_equal(v, 1);

	pmem_get_stats(m, &st);
	assert_int_equal(st.aborts, 9);
	assert_int_equal(st.reads, 1);
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.bytes_read, 8);
	assert_int_equal(st.bytes_written, 16);
	pmem_destroy(m);
}

static void test_add_region_rules(void **state)
{
	static const struct {
		uint64_t base, size;
		bool ok;
		const char *what;
	} rows[] = {
		{ 0x10000, 0x10000, true, "first" },
		{ 0x18000, 0x10000, false, "overlaps end" },
		{ 0x8000, 0x8001, false, "overlaps start" },
		{ 0x11000, 0x100, false, "inside" },
		{ 0x0, 0x100000, false, "encloses" },
		{ 0x10000, 0x10000, false, "identical" },
		{ 0x8000, 0x8000, true, "adjacent below" },
		{ 0x20000, 0x1000, true, "adjacent above" },
		{ 0x30000, 0, false, "zero size" },
		{ PMEM_ADDR_LIMIT, 0x1000, false, "base at 2^56" },
		{ PMEM_ADDR_LIMIT - 0x1000, 0x1001, false, "end past 2^56" },
		{ UINT64_MAX - 0xfff, 0x1000, false, "top of 64-bit" },
		{ 0x40000, UINT64_MAX, false, "huge size" },
		{ PMEM_ADDR_LIMIT - 0x1000, 0x1000, true, "end at 2^56" },
	};
	static const struct pmem_mmio_ops no_ops = { 0 };
	struct pmem *m = pmem_create();
	enum pmem_region_kind kind;
	uint64_t base, size;

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int id = pmem_add_ram(m, rows[i].base, rows[i].size);

		expect_field(i, rows[i].what, "accepted", id >= 0, rows[i].ok);
	}
	/* MMIO needs both callbacks */
	assert_int_equal(pmem_add_mmio(m, 0x50000, 0x1000, &no_ops, NULL), -1);
	assert_int_equal(pmem_add_mmio(m, 0x50000, 0x1000, NULL, NULL), -1);

	assert_true(pmem_region_at(m, 0x1ffff, &kind, &base, &size));
	assert_int_equal(kind, PMEM_RAM);
	assert_int_equal(base, 0x10000);
	assert_int_equal(size, 0x10000);
	assert_true(pmem_region_at(m, 0x8000, NULL, &base, NULL));
	assert_int_equal(base, 0x8000);
	assert_false(pmem_region_at(m, 0x7fff, &kind, &base, &size));
	assert_false(pmem_region_at(m, 0x21000, NULL, NULL, NULL));
	assert_true(pmem_region_at(m, TOP, NULL, &base, NULL));
	assert_int_equal(base, PMEM_ADDR_LIMIT - 0x1000);
	assert_false(pmem_region_at(m, PMEM_ADDR_LIMIT, NULL, NULL, NULL));
	pmem_destroy(m);
}

static void test_56bit_limit(void **state)
{
	struct pmem *m = pmem_create();
	uint64_t v = 0;
	uint8_t b = 0;

	(void)state;
	assert_true(pmem_add_ram(m, PMEM_ADDR_LIMIT - (1u << 20), 1u << 20)
		    >= 0);
	assert_int_equal(pmem_write64(m, TOP - 7, UINT64_C(0xfeedface12345678),
				      NULL), MEM_OK);
	assert_int_equal(pmem_read64(m, TOP - 7, &v, NULL), MEM_OK);
	assert_int_equal(v, UINT64_C(0xfeedface12345678));
	assert_int_equal(pmem_write8(m, TOP, 0x9a, NULL), MEM_OK);
	assert_int_equal(pmem_read8(m, TOP, &b, NULL), MEM_OK);
	assert_int_equal(b, 0x9a);
	assert_int_equal(backed(m), 1);

	/* crossing or beyond 2^56 aborts */
	assert_int_equal(pmem_read64(m, TOP - 3, &v, NULL), MEM_ABORT);
	assert_int_equal(pmem_read8(m, PMEM_ADDR_LIMIT, &b, NULL), MEM_ABORT);
	assert_int_equal(pmem_write8(m, PMEM_ADDR_LIMIT, 1, NULL), MEM_ABORT);
	assert_int_equal(pmem_read64(m, UINT64_C(1) << 63, &v, NULL),
			 MEM_ABORT);
	assert_int_equal(pmem_read64(m, UINT64_MAX - 7, &v, NULL), MEM_ABORT);
	assert_int_equal(pmem_write64(m, UINT64_MAX, 0, NULL), MEM_ABORT);
	/* the same page offset with high bits set must not alias */
	assert_int_equal(pmem_read64(m, (UINT64_C(1) << 60) | (TOP - 7), &v,
				     NULL), MEM_ABORT);
	assert_int_equal(aborts(m), 7);
	assert_int_equal(backed(m), 1);
	pmem_destroy(m);
}

/* A region covering the whole 56-bit space: scattered pages, in order. */
struct page_seen {
	unsigned n;
	uint64_t pa[16];
	uint8_t first[16];
};

static void page_cb(void *ctx, uint64_t pa, const uint8_t *page)
{
	struct page_seen *ps = ctx;

	assert_true(ps->n < 16);
	ps->pa[ps->n] = pa;
	ps->first[ps->n] = page[pa >> 52 & 0xff]; /* see writes below */
	ps->n++;
}

static void test_for_each_page_order(void **state)
{
	static const uint64_t pages[] = {
		UINT64_C(0xfffffffffff000), UINT64_C(0x5000),
		UINT64_C(0x123456789000), UINT64_C(0x80000000000000),
		UINT64_C(0x0), UINT64_C(0x7ff000), UINT64_C(0x800000),
		UINT64_C(0x4000),
	};
	static const uint64_t sorted[] = {
		UINT64_C(0x0), UINT64_C(0x4000), UINT64_C(0x5000),
		UINT64_C(0x7ff000), UINT64_C(0x800000),
		UINT64_C(0x123456789000), UINT64_C(0x80000000000000),
		UINT64_C(0xfffffffffff000),
	};
	struct pmem *m = pmem_create();
	struct page_seen ps = { 0 };

	(void)state;
	assert_true(pmem_add_ram(m, 0, PMEM_ADDR_LIMIT) >= 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(pmem_write8(m, pages[i] + (pages[i] >> 52),
					     (uint8_t)(0x40 + (pages[i] >> 12 &
							       0x3f)), NULL),
				 MEM_OK);
	assert_int_equal(backed(m), 8);
	pmem_for_each_page(m, page_cb, &ps);
	assert_int_equal(ps.n, 8);
	for (unsigned i = 0; i < 8; i++) {
		expect_field(i, "pages", "pa", ps.pa[i], sorted[i]);
		expect_field(i, "pages", "byte", ps.first[i],
			     0x40 + (sorted[i] >> 12 & 0x3f));
	}

	/* an empty memory calls nothing */
	struct pmem *e = pmem_create();

	ps.n = 0;
	pmem_for_each_page(e, page_cb, &ps);
	assert_int_equal(ps.n, 0);
	pmem_destroy(e);
	pmem_destroy(m);
}

/* --- byte order --- */

static void test_little_endian(void **state)
{
	struct pmem *m = pmem_create();
	uint8_t b[8];
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	uint8_t v8;

	(void)state;
	pmem_add_ram(m, 0, 0x10000);
	assert_int_equal(pmem_write64(m, 0x100, UINT64_C(0x0102030405060708),
				      NULL), MEM_OK);
	assert_int_equal(pmem_read(m, 0x100, b, 8, NULL), MEM_OK);
	for (unsigned i = 0; i < 8; i++)
		expect_field(i, "le64", "byte", b[i], 8 - i);
	assert_int_equal(pmem_read16(m, 0x100, &v16, NULL), MEM_OK);
	assert_int_equal(v16, 0x0708);
	assert_int_equal(pmem_read16(m, 0x103, &v16, NULL), MEM_OK);
	assert_int_equal(v16, 0x0405);
	assert_int_equal(pmem_read32(m, 0x104, &v32, NULL), MEM_OK);
	assert_int_equal(v32, 0x01020304);
	assert_int_equal(pmem_read32(m, 0x101, &v32, NULL), MEM_OK);
	assert_int_equal(v32, 0x04050607);
	assert_int_equal(pmem_read8(m, 0x107, &v8, NULL), MEM_OK);
	assert_int_equal(v8, 0x01);

	assert_int_equal(pmem_write16(m, 0x201, 0xaabb, NULL), MEM_OK);
	assert_int_equal(pmem_write32(m, 0x204, 0x11223344, NULL), MEM_OK);
	assert_int_equal(pmem_read(m, 0x200, b, 8, NULL), MEM_OK);
	static const uint8_t want[8] = { 0, 0xbb, 0xaa, 0, 0x44, 0x33, 0x22,
					 0x11 };
	for (unsigned i = 0; i < 8; i++)
		expect_field(i, "le16/32", "byte", b[i], want[i]);
	assert_int_equal(pmem_read64(m, 0x200, &v64, NULL), MEM_OK);
	assert_int_equal(v64, UINT64_C(0x1122334400aabb00));

	/* raw bytes in, scalar out */
	static const uint8_t raw[8] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45,
					0x23, 0x01 };
	assert_int_equal(pmem_write(m, 0x300, raw, 8, NULL), MEM_OK);
	assert_int_equal(pmem_read64(m, 0x300, &v64, NULL), MEM_OK);
	assert_int_equal(v64, UINT64_C(0x0123456789abcdef));
	pmem_destroy(m);
}

/* --- MMIO --- */

struct mock_dev {
	unsigned reads, writes;
	uint64_t offset;
	unsigned size;
	uint64_t value;      /* last written value */
	uint64_t read_value; /* what reads return */
	bool refuse;
};

static bool mock_read(void *ctx, uint64_t offset, unsigned size,
		      uint64_t *val)
{
	struct mock_dev *d = ctx;

	d->reads++;
	d->offset = offset;
	d->size = size;
	*val = d->read_value;
	return !d->refuse;
}

static bool mock_write(void *ctx, uint64_t offset, unsigned size,
		       uint64_t val)
{
	struct mock_dev *d = ctx;

	d->writes++;
	d->offset = offset;
	d->size = size;
	d->value = val;
	return !d->refuse;
}

static const struct pmem_mmio_ops mock_ops = { mock_read, mock_write };

static void test_mmio_dispatch(void **state)
{
	struct pmem *m = pmem_create();
	struct mock_dev d = { .read_value = UINT64_C(0x8877665544332211) };
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64, cyc = 0;
	enum pmem_region_kind kind;

	(void)state;
	assert_true(pmem_add_mmio(m, 0x40000000, 0x10000, &mock_ops, &d) >=
		    0);
	/* MMIO obeys the same overlap rule as RAM */
	assert_int_equal(pmem_add_ram(m, 0x4000f000, 0x2000), -1);
	assert_int_equal(pmem_add_mmio(m, 0x40008000, 0x1000, &mock_ops, &d),
			 -1);
	assert_true(pmem_add_ram(m, 0x3fff0000, 0x10000) >= 0);
	assert_true(pmem_region_at(m, 0x40000010, &kind, NULL, NULL));
	assert_int_equal(kind, PMEM_MMIO);

	assert_int_equal(pmem_read64(m, 0x40000018, &v64, &cyc), MEM_OK);
	assert_int_equal(v64, UINT64_C(0x8877665544332211));
	assert_int_equal(d.offset, 0x18);
	assert_int_equal(d.size, 8);
	assert_int_equal(pmem_read32(m, 0x40000104, &v32, &cyc), MEM_OK);
	assert_int_equal(v32, 0x44332211);
	assert_int_equal(d.offset, 0x104);
	assert_int_equal(d.size, 4);
	assert_int_equal(pmem_read16(m, 0x4000fffe, &v16, &cyc), MEM_OK);
	assert_int_equal(v16, 0x2211);
	assert_int_equal(d.offset, 0xfffe);
	assert_int_equal(d.size, 2);
	assert_int_equal(pmem_read8(m, 0x40000007, &v8, &cyc), MEM_OK);
	assert_int_equal(v8, 0x11);
	assert_int_equal(d.offset, 7);
	assert_int_equal(d.size, 1);
	assert_int_equal(d.reads, 4);

	assert_int_equal(pmem_write64(m, 0x40000020,
				      UINT64_C(0xdeadbeefcafef00d), &cyc),
			 MEM_OK);
	assert_int_equal(d.value, UINT64_C(0xdeadbeefcafef00d));
	assert_int_equal(d.offset, 0x20);
	assert_int_equal(d.size, 8);
	assert_int_equal(pmem_write16(m, 0x40000032, 0xbeef, &cyc), MEM_OK);
	assert_int_equal(d.value, 0xbeef);
	assert_int_equal(d.size, 2);
	static const uint8_t raw[4] = { 0x78, 0x56, 0x34, 0x12 };

	assert_int_equal(pmem_write(m, 0x40000040, raw, 4, &cyc), MEM_OK);
	assert_int_equal(d.value, 0x12345678);
	assert_int_equal(d.offset, 0x40);
	assert_int_equal(d.size, 4);
	assert_int_equal(pmem_write8(m, 0x40000003, 0x5a, &cyc), MEM_OK);
	assert_int_equal(d.value, 0x5a);
	assert_int_equal(d.writes, 4);
	/* MMIO default latency: 20 per access, nothing per line */
	assert_int_equal(cyc, 8 * 20);
	assert_int_equal(backed(m), 0);
	pmem_destroy(m);
}

static void test_mmio_refusals(void **state)
{
	static const struct {
		uint64_t off;
		size_t len;
		const char *what;
	} bad[] = {
		{ 0x2, 4, "unaligned 4" },
		{ 0x4, 8, "unaligned 8" },
		{ 0x1, 2, "unaligned 2" },
		{ 0x0, 3, "size 3" },
		{ 0x0, 16, "size 16" },
		{ 0x8, 6, "size 6" },
		{ 0xfffc, 8, "overrun" },
	};
	struct pmem *m = pmem_create();
	struct mock_dev d = { .read_value = 0x1234 };
	uint8_t buf[16];
	uint64_t v64 = 7, cyc = 0;
	unsigned i;

	(void)state;
	pmem_add_mmio(m, 0x40000000, 0x10000, &mock_ops, &d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_field(i, bad[i].what, "read",
			     pmem_read(m, 0x40000000 + bad[i].off, buf,
				       bad[i].len, &cyc), MEM_ABORT);
		expect_field(i, bad[i].what, "write",
			     pmem_write(m, 0x40000000 + bad[i].off, buf,
					bad[i].len, &cyc), MEM_ABORT);
	}
	/* refused accesses never reach the device */
	assert_int_equal(d.reads, 0);
	assert_int_equal(d.writes, 0);
	assert_int_equal(aborts(m), 2 * i);
	assert_int_equal(cyc, 0); /* aborts are not charged */

	/* the device refusing aborts the access */
	d.refuse = true;
	assert_int_equal(pmem_read64(m, 0x40000008, &v64, &cyc), MEM_ABORT);
	assert_int_equal(v64, 0);
	assert_int_equal(pmem_write32(m, 0x40000010, 5, &cyc), MEM_ABORT);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.offset, 0x10);
	assert_int_equal(aborts(m), 2 * i + 2);
	assert_int_equal(cyc, 0);

	/* CAS and fill are RAM-only */
	d.refuse = false;
	assert_int_equal(pmem_cas64(m, 0x40000000, 0, 1, &v64, &cyc),
			 MEM_ABORT);
	assert_int_equal(pmem_fill(m, 0x40000000, 0, 8), MEM_ABORT);
	assert_int_equal(d.reads + d.writes, 2);
	pmem_destroy(m);
}

/* --- region removal --- */

static void test_remove_region(void **state)
{
	struct pmem *m = pmem_create();
	struct mock_dev d = { 0 };
	uint64_t v = 0;
	int keep, gone, io;

	(void)state;
	keep = pmem_add_ram(m, 0x0, 0x10000);
	gone = pmem_add_ram(m, 0x100000, 0x100000);
	io = pmem_add_mmio(m, 0x40000000, 0x1000, &mock_ops, &d);
	assert_true(keep >= 0 && gone >= 0 && io >= 0);
	assert_true(keep != gone && gone != io && keep != io);

	pmem_write64(m, 0x8, 0x1111, NULL);
	for (uint64_t a = 0x100000; a < 0x200000; a += 0x10000)
		pmem_write64(m, a + 0x10, a, NULL);
	assert_int_equal(backed(m), 1 + 16);
	/* read once so the page cache holds the page being dropped */
	assert_int_equal(pmem_read64(m, 0x100010, &v, NULL), MEM_OK);
	assert_int_equal(v, 0x100000);

	assert_true(pmem_remove_region(m, gone));
	assert_int_equal(backed(m), 1);
	assert_int_equal(pmem_read64(m, 0x100010, &v, NULL), MEM_ABORT);
	assert_false(pmem_region_at(m, 0x100010, NULL, NULL, NULL));
	assert_false(pmem_remove_region(m, gone)); /* twice */
	assert_false(pmem_remove_region(m, 12345));
	assert_false(pmem_set_region_latency(m, gone,
					     (struct pmem_latency){ 1, 1 }));

	/* re-adding the range gives fresh zeroed RAM */
	assert_true(pmem_add_ram(m, 0x100000, 0x100000) >= 0);
	assert_int_equal(pmem_read64(m, 0x100010, &v, NULL), MEM_OK);
	assert_int_equal(v, 0);
	assert_int_equal(backed(m), 1);
	/* the other region is untouched */
	assert_int_equal(pmem_read64(m, 0x8, &v, NULL), MEM_OK);
	assert_int_equal(v, 0x1111);

	assert_true(pmem_remove_region(m, io));
	assert_int_equal(pmem_read64(m, 0x40000000, &v, NULL), MEM_ABORT);
	assert_int_equal(d.reads, 0);
	pmem_destroy(m);
}

/* Two RAM regions sharing one 4 KiB page: removing one keeps the other. */
static void test_remove_region_shared_page(void **state)
{
	struct pmem *m = pmem_create();
	uint64_t v;
	int a, b;

	(void)state;
	a = pmem_add_ram(m, 0x10000, 0x1800); /* ends mid-page 0x11 */
	b = pmem_add_ram(m, 0x11800, 0x1000); /* starts mid-page 0x11 */
	assert_true(a >= 0 && b >= 0);
	pmem_write64(m, 0x10000, 0xa0, NULL);
	pmem_write64(m, 0x117f8, 0xa1, NULL);
	pmem_write64(m, 0x11800, 0xb0, NULL);
	pmem_write64(m, 0x12000, 0xb1, NULL);
	assert_int_equal(backed(m), 3);

	assert_true(pmem_remove_region(m, a));
	assert_int_equal(backed(m), 2); /* page 0x10 freed, 0x11 kept */
	assert_int_equal(pmem_read64(m, 0x11800, &v, NULL), MEM_OK);
	assert_int_equal(v, 0xb0);
	assert_int_equal(pmem_read64(m, 0x12000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0xb1);
	assert_int_equal(pmem_read64(m, 0x117f8, &v, NULL), MEM_ABORT);

	/* a's part of the shared page was cleared */
	a = pmem_add_ram(m, 0x11000, 0x800);
	assert_true(a >= 0);
	assert_int_equal(pmem_read64(m, 0x117f8, &v, NULL), MEM_OK);
	assert_int_equal(v, 0);

	assert_true(pmem_remove_region(m, b));
	assert_int_equal(backed(m), 1); /* 0x11 still shared with new a */
	assert_true(pmem_remove_region(m, a));
	assert_int_equal(backed(m), 0);
	pmem_destroy(m);
}

/* --- latency --- */

static void test_latency(void **state)
{
	static const struct {
		uint64_t addr;
		size_t len;
		unsigned lines;
	} acc[] = {
		{ 0x1000, 8, 1 },   { 0x1038, 8, 1 },   { 0x103c, 8, 2 },
		{ 0x1000, 64, 1 },  { 0x1001, 64, 2 },  { 0x1000, 128, 2 },
		{ 0x1000, 129, 3 }, { 0x103f, 66, 3 },  { 0x103f, 1, 1 },
		{ 0x1ff8, 16, 2 },
	};
	static uint8_t buf[256];
	struct pmem *m = pmem_create();
	const struct pmem_latency custom = { .per_access = 7, .per_line = 3 };
	const struct pmem_latency dflt2 = { .per_access = 50, .per_line = 1 };
	struct pmem_stats st;
	uint64_t total = 0;
	int r0, r1, r2;

	(void)state;
	r0 = pmem_add_ram(m, 0x0, 0x100000);
	r1 = pmem_add_ram(m, 0x100000, 0x100000);
	pmem_set_default_latency(m, dflt2);
	r2 = pmem_add_ram(m, 0x200000, 0x100000); /* takes the new default */
	assert_true(r0 >= 0 && r1 >= 0 && r2 >= 0);
	assert_true(pmem_set_region_latency(m, r1, custom));
	assert_false(pmem_set_region_latency(m, 99, custom));
	assert_false(pmem_set_region_latency(m, -1, custom));

	for (unsigned i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		static const struct {
			uint64_t base, per_access, per_line;
		} reg[] = {
			{ 0x0, 100, 8 },      /* built-in RAM default */
			{ 0x100000, 7, 3 },   /* per-region override */
			{ 0x200000, 50, 1 },  /* changed default */
		};
		for (unsigned k = 0; k < 3; k++) {
			uint64_t want = reg[k].per_access +
					reg[k].per_line * acc[i].lines;
			uint64_t c = 5;

			assert_int_equal(pmem_read(m, reg[k].base + acc[i].addr,
						   buf, acc[i].len, &c),
					 MEM_OK);
			expect_field(i, "read", "cycles", c - 5, want);
			c = 0;
			assert_int_equal(pmem_write(m, reg[k].base +
						    acc[i].addr, buf,
						    acc[i].len, &c), MEM_OK);
			expect_field(i, "write", "cycles", c, want);
			total += 2 * want;
		}
	}
	/* scalar accessors charge the same way */
	uint64_t c = 0;
	uint64_t v;
	uint16_t v16;
	uint8_t v8;

	pmem_read64(m, 0x103c, &v, &c);        /* 2 lines, default */
	pmem_write32(m, 0x10103e, 1, &c);      /* 2 lines, custom */
	pmem_read16(m, 0x20003f, &v16, &c);    /* 2 lines, dflt2 */
	pmem_read8(m, 0x0, &v8, &c);           /* 1 line, default */
	assert_int_equal(c, 116 + 13 + 52 + 108);
	total += c;

	/* an aborted access is not charged */
	c = 0;
	assert_int_equal(pmem_read64(m, 0x300000, &v, &c), MEM_ABORT);
	assert_int_equal(pmem_read64(m, 0xffffc, &v, &c), MEM_ABORT);
	assert_int_equal(c, 0);

	/* NULL cycles: still counted in the total */
	pmem_read64(m, 0x0, &v, NULL);
	total += 108;
	pmem_get_stats(m, &st);
	assert_int_equal(st.cycles, total);
	pmem_destroy(m);
}

/* --- compare-and-swap --- */

static void test_cas64(void **state)
{
	struct pmem *m = pmem_create();
	struct pmem_stats st0, st1;
	uint64_t old = 1, v, c = 0;

	(void)state;
	pmem_add_ram(m, 0x0, 0x100000);

	/* untouched word reads 0: failing CAS backs nothing */
	assert_int_equal(pmem_cas64(m, 0x2000, 5, 6, &old, &c), MEM_OK);
	assert_int_equal(old, 0);
	assert_int_equal(backed(m), 0);
	assert_int_equal(c, 108);
	/* succeeding on untouched RAM stores */
	assert_int_equal(pmem_cas64(m, 0x2000, 0, 0x77, &old, &c), MEM_OK);
	assert_int_equal(old, 0);
	assert_int_equal(backed(m), 1);
	pmem_read64(m, 0x2000, &v, NULL);
	assert_int_equal(v, 0x77);

	pmem_write64(m, 0x3008, UINT64_C(0x8000000000000003), NULL);
	pmem_get_stats(m, &st0);
	c = 0;
	/* success: e.g. setting AF in a descriptor */
	assert_int_equal(pmem_cas64(m, 0x3008, UINT64_C(0x8000000000000003),
				    UINT64_C(0x8000000000000003) | 0x400,
				    &old, &c), MEM_OK);
	assert_int_equal(old, UINT64_C(0x8000000000000003));
	pmem_read64(m, 0x3008, &v, NULL);
	assert_int_equal(v, UINT64_C(0x8000000000000003) | 0x400);
	/* failure: value unchanged, *old tells what was there */
	assert_int_equal(pmem_cas64(m, 0x3008, UINT64_C(0x8000000000000003),
				    0, &old, &c), MEM_OK);
	assert_int_equal(old, UINT64_C(0x8000000000000003) | 0x400);
	pmem_read64(m, 0x3008, &v, NULL);
	assert_int_equal(v, UINT64_C(0x8000000000000003) | 0x400);
	/* old may be NULL */
	assert_int_equal(pmem_cas64(m, 0x3008, v, 9, NULL, &c), MEM_OK);
	assert_int_equal(c, 3 * 108);
	pmem_get_stats(m, &st1);
	/* 3 CAS + 2 plain reads; each CAS is one access of latency 108 */
	assert_int_equal(st1.cycles - st0.cycles, 3 * 108 + 2 * 108);
	assert_int_equal(st1.reads - st0.reads, 3 + 2);
	assert_int_equal(st1.writes - st0.writes, 2);
	assert_int_equal(st1.bytes_read - st0.bytes_read, 5 * 8);
	assert_int_equal(st1.bytes_written - st0.bytes_written, 2 * 8);

	/* unaligned, hole, overrun: abort, nothing charged */
	c = 0;
	assert_int_equal(pmem_cas64(m, 0x3004, 0, 1, &old, &c), MEM_ABORT);
	assert_int_equal(pmem_cas64(m, 0x3001, 0, 1, &old, &c), MEM_ABORT);
	assert_int_equal(pmem_cas64(m, 0x100000, 0, 1, &old, &c), MEM_ABORT);
	assert_int_equal(pmem_cas64(m, PMEM_ADDR_LIMIT, 0, 1, &old, &c),
			 MEM_ABORT);
	assert_int_equal(c, 0);
	pmem_get_stats(m, &st0);
	assert_int_equal(st0.aborts, 4);
	pmem_destroy(m);
}

/* --- fill --- */

static void test_fill(void **state)
{
	struct pmem *m = pmem_create();
	static uint8_t buf[0x400];
	struct pmem_stats st;

	(void)state;
	pmem_add_ram(m, 0x0, 0x100000);
	pmem_write8(m, 0x1eff, 0x11, NULL);
	pmem_write8(m, 0x2200, 0x22, NULL);
	assert_int_equal(pmem_fill(m, 0x1f00, 0x5a, 0x300), MEM_OK);
	assert_int_equal(backed(m), 2);
	assert_int_equal(pmem_read(m, 0x1e00, buf, 0x400, NULL), MEM_OK);
	for (unsigned i = 0; i < 0x400; i++) {
		uint8_t want = i < 0xff ? 0 : i == 0xff ? 0x11 : 0x5a;

		expect_field(i, "fill", "byte", buf[i], want);
	}
	assert_int_equal(pmem_read(m, 0x2200, buf, 2, NULL), MEM_OK);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(buf[1], 0);

	/* zero fill of untouched RAM backs nothing; of backed RAM clears */
	assert_int_equal(pmem_fill(m, 0x10000, 0, 0x8000), MEM_OK);
	assert_int_equal(backed(m), 2);
	assert_int_equal(pmem_fill(m, 0x1000, 0, 0x2000), MEM_OK);
	assert_int_equal(pmem_read(m, 0x1e00, buf, 0x400, NULL), MEM_OK);
	for (unsigned i = 0; i < 0x400; i++)
		expect_field(i, "zero fill", "byte", buf[i], 0);

	/* hole, overrun */
	assert_int_equal(pmem_fill(m, 0x100000, 1, 1), MEM_ABORT);
	assert_int_equal(pmem_fill(m, 0xfff00, 1, 0x101), MEM_ABORT);
	pmem_get_stats(m, &st);
	assert_int_equal(st.aborts, 2);
	/* fill counts as one write of len bytes each */
	assert_int_equal(st.writes, 2 + 3);
	assert_int_equal(st.bytes_written, 2 + 0x300 + 0x8000 + 0x2000);
	pmem_destroy(m);
}

/* --- host memory accounting --- */

static void test_host_bytes(void **state)
{
	struct pmem *m = pmem_create();
	uint64_t h0, h1, h2, h3;

	(void)state;
	pmem_add_ram(m, 0, PMEM_ADDR_LIMIT);
	h0 = pmem_host_bytes(m);
	assert_true(h0 > 0);
	pmem_write8(m, 0x1000, 1, NULL);
	h1 = pmem_host_bytes(m);
	assert_true(h1 >= h0 + PMEM_PAGE_SIZE);
	/* a neighbouring page costs one page plus a small fixed overhead
	 * (its hash handle and key) */
	pmem_write8(m, 0x2000, 1, NULL);
	h2 = pmem_host_bytes(m);
	uint64_t per_page = h2 - h1;

	assert_true(per_page >= PMEM_PAGE_SIZE);
	assert_true(per_page <= PMEM_PAGE_SIZE + 128);
	/* rewriting a backed page costs nothing */
	pmem_write8(m, 0x2001, 1, NULL);
	assert_int_equal(pmem_host_bytes(m), h2);
	/* a far-away page costs the same: sparse memory has no index cost
	 * beyond the per-page overhead */
	pmem_write8(m, UINT64_C(0x80000000000000), 1, NULL);
	h3 = pmem_host_bytes(m);
	assert_int_equal(h3, h2 + per_page);
	/* many pages: grows at least a page per page */
	for (uint64_t i = 0; i < 100; i++)
		pmem_write8(m, UINT64_C(0x40000000) + i * PMEM_PAGE_SIZE, 1,
			    NULL);
	assert_true(pmem_host_bytes(m) >= h3 + 100 * PMEM_PAGE_SIZE);
	assert_int_equal(backed(m), 103);
	pmem_destroy(m);
}

/* --- random model check: many accesses against a flat shadow --- */

static void test_random_shadow(void **state)
{
	enum { SPAN = 64 * 1024 };
	static uint8_t shadow[SPAN], buf[300];
	struct pmem *m = pmem_create();
	uint64_t rng = 12345;

	(void)state;
	const uint64_t base = UINT64_C(0xabc00000000000);

	pmem_add_ram(m, base, SPAN);
	for (unsigned op = 0; op < 50000; op++) {
		uint64_t off, len;

		rng = rng * UINT64_C(6364136223846793005) +
		      UINT64_C(1442695040888963407);
		off = (rng >> 20) % SPAN;
		len = 1 + (rng >> 45) % 300;
		if (off + len > SPAN)
			len = SPAN - off;
		if (rng >> 63) {
			for (unsigned i = 0; i < len; i++)
				buf[i] = (uint8_t)(rng >> (i % 56));
			assert_int_equal(pmem_write(m, base + off, buf, len,
						    NULL), MEM_OK);
			memcpy(shadow + off, buf, len);
		} else {
			assert_int_equal(pmem_read(m, base + off, buf, len,
						   NULL), MEM_OK);
			if (memcmp(buf, shadow + off, len))
				fail_msg("op %u: read mismatch at %llx", op,
					 (unsigned long long)off);
		}
	}
	pmem_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_pages),
		cmocka_unit_test(test_holes_and_overruns),
		cmocka_unit_test(test_add_region_rules),
		cmocka_unit_test(test_56bit_limit),
		cmocka_unit_test(test_for_each_page_order),
		cmocka_unit_test(test_little_endian),
		cmocka_unit_test(test_mmio_dispatch),
		cmocka_unit_test(test_mmio_refusals),
		cmocka_unit_test(test_remove_region),
		cmocka_unit_test(test_remove_region_shared_page),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_cas64),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_host_bytes),
		cmocka_unit_test(test_random_shadow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
