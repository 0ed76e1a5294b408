/* SPDX-License-Identifier: MIT */
/* pasid/: the system-wide PASID space and its per-PASID private pointers. */
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pasid/pasid.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define ERR(e) ((uint64_t)(int64_t)(e))

static void test_create(void **state)
{
	static const struct {
		unsigned int bits;
		bool ok;
	} rows[] = {
		{ 0, false }, { 1, true }, { 20, true }, { 21, false },
	};

	(void)state;
	for (unsigned r = 0; r < NROWS(rows); r++) {
		struct pasid_space *ps = pasid_space_create(rows[r].bits);

		expect_field(r, "create", "ok", ps != NULL, rows[r].ok);
		pasid_space_destroy(ps);
	}
}

/* 2^min(device width, SSIDSIZE) - 1, capped at 20 bits. */
static void test_max_for(void **state)
{
	static const struct {
		unsigned int dev, ssid;
		uint32_t want;
	} rows[] = {
		{ 0, 20, 0 },      { 20, 0, 0 },     { 1, 20, 1 },
		{ 5, 20, 31 },     { 20, 5, 31 },    { 10, 10, 0x3ff },
		{ 16, 20, 0xffff }, { 20, 16, 0xffff }, { 20, 20, 0xfffff },
		{ 24, 32, 0xfffff },
	};

	(void)state;
	for (unsigned r = 0; r < NROWS(rows); r++)
		expect_field(r, "max_for", "max",
			     pasid_max_for(rows[r].dev, rows[r].ssid),
			     rows[r].want);
}

static void test_order_and_reuse(void **state)
{
	struct pasid_space *ps = pasid_space_create(20);
	static const uint32_t freed[] = { 9, 2, 17 };
	static const int want[] = { 2, 9, 17, 21, 22 };

	(void)state;
	for (int i = 1; i <= 20; i++)
		assert_int_equal(pasid_alloc(ps, 0, PASID_MAX), i);
	assert_false(pasid_in_use(ps, 0));
	for (unsigned i = 0; i < NROWS(freed); i++)
		assert_int_equal(pasid_free(ps, freed[i]), 0);
	assert_int_equal(pasid_count(ps), 17);
	for (unsigned i = 0; i < NROWS(want); i++)
		expect_field(i, "reuse", "pasid",
			     pasid_alloc(ps, 1, PASID_MAX), want[i]);
	assert_int_equal(pasid_count(ps), 22);
	pasid_space_destroy(ps);
}

/*
 * Each row: a device width and SSIDSIZE and a minimum; allocating until
 * -ENOSPC must give exactly min, min + 1, ..., max, and touch nothing
 * outside the range.
 */
static void test_range_limits(void **state)
{
	static const struct {
		const char *name;
		unsigned int dev, ssid;
		uint32_t min, want_max;
	} rows[] = {
		{ "width 0", 0, 20, 1, 0 },
		{ "width 1", 1, 20, 1, 1 },
		{ "width 5", 5, 8, 1, 31 },
		{ "width 5 min 17", 20, 5, 17, 31 },
		{ "width 10", 10, 10, 1, 0x3ff },
		{ "width 10 min 1023", 10, 12, 1023, 0x3ff },
		{ "width 16", 20, 16, 1, 0xffff },
		{ "width 16 min 0x8000", 16, 16, 0x8000, 0xffff },
		{ "width 20", 20, 20, 1, 0xfffff },
		{ "width 20 min 0xfff00", 20, 20, 0xfff00, 0xfffff },
		{ "width 24 clamps", 24, 32, 0xffff0, 0xfffff },
	};
	struct pasid_space *ps = pasid_space_create(20);

	(void)state;
	for (unsigned r = 0; r < NROWS(rows); r++) {
		uint32_t max = pasid_max_for(rows[r].dev, rows[r].ssid);
		uint32_t n = 0;
		int got;

		expect_field(r, rows[r].name, "max", max, rows[r].want_max);
		while ((got = pasid_alloc(ps, rows[r].min, max)) > 0) {
			expect_field(r, rows[r].name, "pasid", got,
				     rows[r].min + n);
			n++;
		}
		expect_field(r, rows[r].name, "end", ERR(got), ERR(-ENOSPC));
		expect_field(r, rows[r].name, "n", n,
			     max >= rows[r].min ? max - rows[r].min + 1 : 0);
		expect_field(r, rows[r].name, "count", pasid_count(ps), n);
		/* Nothing below min or above max was taken. */
		if (rows[r].min > 1)
			expect_field(r, rows[r].name, "below",
				     pasid_in_use(ps, rows[r].min - 1), 0);
		if (max < PASID_MAX)
			expect_field(r, rows[r].name, "above",
				     pasid_in_use(ps, max + 1), 0);
		for (uint32_t i = 0; i < n; i++)
			expect_field(r, rows[r].name, "free",
				     pasid_free(ps, rows[r].min + i), 0);
		expect_field(r, rows[r].name, "empty", pasid_count(ps), 0);
	}
	pasid_space_destroy(ps);
}

/* A 10-bit space: -ENOSPC exactly when all 1023 PASIDs are taken. */
static void test_exhaustion(void **state)
{
	struct pasid_space *ps = pasid_space_create(10);

	(void)state;
	for (int i = 1; i <= 1023; i++)
		assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), i);
	assert_int_equal(pasid_count(ps), 1023);
	assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), -ENOSPC);
	assert_int_equal(pasid_alloc(ps, 1024, PASID_MAX), -ENOSPC);
	assert_int_equal(pasid_free(ps, 1024), -EINVAL);
	assert_int_equal(pasid_free(ps, 512), 0);
	assert_int_equal(pasid_alloc(ps, 513, 1023), -ENOSPC);
	assert_int_equal(pasid_alloc(ps, 1, 511), -ENOSPC);
	assert_int_equal(pasid_alloc(ps, 1, 1023), 512);
	assert_int_equal(pasid_alloc(ps, 1, 1023), -ENOSPC);
	assert_int_equal(pasid_count(ps), 1023);
	pasid_space_destroy(ps);
}

/* An mm keeping its PASID when bound to a narrower device. */
static void test_check_width(void **state)
{
	static const struct {
		const char *name;
		uint32_t pasid;
		unsigned int dev, ssid;
		int want;
	} rows[] = {
		{ "31 fits 5 bits", 31, 5, 20, 0 },
		{ "32 overflows 5 bits", 32, 5, 20, -EOVERFLOW },
		{ "32 fits 6 bits", 32, 6, 20, 0 },
		{ "40 vs SSIDSIZE 5", 40, 20, 5, -EOVERFLOW },
		{ "1 vs width 1", 1, 1, 1, 0 },
		{ "2 vs width 1", 2, 1, 20, -EOVERFLOW },
		{ "1 vs width 0", 1, 0, 20, -EOVERFLOW },
		{ "40 vs 20 bits", 40, 20, 20, 0 },
		{ "not allocated", 41, 20, 20, -EINVAL },
		{ "reserved 0", 0, 20, 20, -EINVAL },
	};
	struct pasid_space *ps = pasid_space_create(20);

	(void)state;
	for (int i = 1; i <= 40; i++)
		assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), i);
	for (unsigned r = 0; r < NROWS(rows); r++)
		expect_field(r, rows[r].name, "ret",
			     ERR(pasid_check_width(ps, rows[r].pasid,
						   rows[r].dev, rows[r].ssid)),
			     ERR(rows[r].want));
	pasid_space_destroy(ps);
}

/* Refused frees return -EINVAL and change nothing, pointers included. */
static void test_bad_free(void **state)
{
	static const struct {
		const char *name;
		uint32_t pasid;
	} rows[] = {
		{ "reserved 0", 0 },
		{ "double free", 3 },
		{ "never allocated", 6 },
		{ "beyond 20 bits", 1u << 20 },
		{ "huge", 0xffffffff },
	};
	struct pasid_space *ps = pasid_space_create(20);
	int tag[6];

	(void)state;
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), i);
		assert_int_equal(pasid_set_private(ps, i, &tag[i]), 0);
	}
	assert_int_equal(pasid_free(ps, 3), 0);
	for (unsigned r = 0; r < NROWS(rows); r++) {
		expect_field(r, rows[r].name, "ret",
			     ERR(pasid_free(ps, rows[r].pasid)), ERR(-EINVAL));
		expect_field(r, rows[r].name, "count", pasid_count(ps), 4);
		for (uint32_t i = 0; i <= 6; i++) {
			bool live = i >= 1 && i <= 5 && i != 3;

			expect_field(r, rows[r].name, "in_use",
				     pasid_in_use(ps, i), live);
			expect_field(r, rows[r].name, "private",
				     (uintptr_t)pasid_get_private(ps, i),
				     live ? (uintptr_t)&tag[i] : 0);
		}
	}
	assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), 3);
	assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), 6);
	pasid_space_destroy(ps);
}

static void test_private(void **state)
{
	struct pasid_space *ps = pasid_space_create(20);
	size_t base = pasid_space_mem_bytes(ps);
	int a, b;

	(void)state;
	assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), 1);
	assert_int_equal(pasid_alloc(ps, 1000, PASID_MAX), 1000);
	/* Only allocated PASIDs carry pointers. */
	assert_int_equal(pasid_set_private(ps, 0, &a), -EINVAL);
	assert_int_equal(pasid_set_private(ps, 2, &a), -EINVAL);
	assert_int_equal(pasid_set_private(ps, 1u << 20, &a), -EINVAL);
	assert_null(pasid_get_private(ps, 2));
	assert_null(pasid_erase_private(ps, 2));
	assert_int_equal(pasid_space_mem_bytes(ps), base);

	assert_null(pasid_get_private(ps, 1));
	assert_int_equal(pasid_set_private(ps, 1, &a), 0);
	assert_int_equal(pasid_set_private(ps, 1000, &b), 0);
	assert_ptr_equal(pasid_get_private(ps, 1), &a);
	assert_ptr_equal(pasid_get_private(ps, 1000), &b);
	/* Overwrite, then erase returns what was there. */
	assert_int_equal(pasid_set_private(ps, 1, &b), 0);
	assert_ptr_equal(pasid_get_private(ps, 1), &b);
	assert_ptr_equal(pasid_erase_private(ps, 1), &b);
	assert_null(pasid_get_private(ps, 1));
	assert_null(pasid_erase_private(ps, 1));
	assert_true(pasid_in_use(ps, 1));
	/* Storing NULL erases. */
	assert_int_equal(pasid_set_private(ps, 1000, NULL), 0);
	assert_null(pasid_get_private(ps, 1000));
	assert_int_equal(pasid_space_mem_bytes(ps), base);
	/* Free drops the pointer: the number comes back without one. */
	assert_int_equal(pasid_set_private(ps, 1000, &a), 0);
	assert_int_equal(pasid_free(ps, 1000), 0);
	assert_null(pasid_get_private(ps, 1000));
	assert_int_equal(pasid_space_mem_bytes(ps), base);
	assert_int_equal(pasid_alloc(ps, 1000, 1000), 1000);
	assert_null(pasid_get_private(ps, 1000));
	pasid_space_destroy(ps);
}

/*
 * 65,536 live PASIDs each with a bond pointer: all distinct, each finds
 * its own pointer, about 8 host bytes each, and freeing them all leaves
 * the space as it started. (Speed is for bench/, not for tests.)
 */
static void test_65536(void **state)
{
	enum { N = 65536 };
	struct pasid_space *ps = pasid_space_create(20);
	size_t base = pasid_space_mem_bytes(ps);
	int *pasid = calloc(N, sizeof(*pasid));
	bool *seen = calloc(PASID_MAX + 1, sizeof(*seen));
	uint32_t *bond = calloc(N, sizeof(*bond));

	(void)state;
	for (int i = 0; i < N; i++) {
		pasid[i] = pasid_alloc(ps, 1, PASID_MAX);
		assert_true(pasid[i] >= 1 && pasid[i] <= (int)PASID_MAX);
		assert_false(seen[pasid[i]]);
		seen[pasid[i]] = true;
		assert_int_equal(pasid_set_private(ps, pasid[i], &bond[i]), 0);
	}
	/* Lowest-first: exactly 1..N. */
	assert_int_equal(pasid[0], 1);
	assert_int_equal(pasid[N - 1], N);
	assert_int_equal(pasid_count(ps), N);
	assert_true(pasid_space_mem_bytes(ps) - base <= (size_t)N * 9);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(pasid_get_private(ps, pasid[i]), &bond[i]);
	for (int i = N - 1; i >= 0; i--)
		assert_int_equal(pasid_free(ps, pasid[i]), 0);
	assert_int_equal(pasid_count(ps), 0);
	assert_int_equal(pasid_space_mem_bytes(ps), base);
	assert_int_equal(pasid_alloc(ps, 1, PASID_MAX), 1);
	free(pasid);
	free(seen);
	free(bond);
	pasid_space_destroy(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_max_for),
		cmocka_unit_test(test_order_and_reuse),
		cmocka_unit_test(test_range_limits),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_check_width),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_private),
		cmocka_unit_test(test_65536),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
