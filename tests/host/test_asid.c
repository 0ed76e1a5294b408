/* SPDX-License-Identifier: MIT */
/* host/asid: the bounded ID allocator and the driver's ASID/VMID spaces. */
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "host/asid.h"

static void test_create_limits(void **state)
{
	struct idspace *ids;

	(void)state;
	assert_null(idspace_create(0));
	assert_null(idspace_create(IDSPACE_MAX_ID + 1));
	ids = idspace_create(1);
	assert_non_null(ids);
	assert_int_equal(idspace_max(ids), 1);
	assert_int_equal(idspace_count(ids), 0);
	assert_false(idspace_in_use(ids, 0));
	assert_int_equal(idspace_alloc(ids, 0, 100), 1);
	assert_int_equal(idspace_alloc(ids, 0, 100), -ENOSPC);
	assert_int_equal(idspace_free(ids, 1), 0);
	assert_int_equal(idspace_alloc(ids, 1, 1), 1);
	idspace_destroy(ids);
	idspace_destroy(NULL);
}

/* ASIDs: 8 bits without IDR0.ASID16, 16 with; 0 never handed out. */
static void test_asid_width(void **state)
{
	static const struct {
		const char *name;
		bool wide;
		uint32_t want_max;
	} rows[] = {
		{ "ASID16=0", false, 0xff },
		{ "ASID16=1", true, 0xffff },
	};

	(void)state;
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct idspace *a = asid_space_create(rows[r].wide);

		assert_non_null(a);
		expect_field(r, rows[r].name, "max", idspace_max(a),
			     rows[r].want_max);
		/* Exactly 1, 2, ..., max, then -ENOSPC. */
		for (uint32_t want = 1; want <= rows[r].want_max; want++)
			expect_field(r, rows[r].name, "asid", asid_alloc(a),
				     want);
		expect_field(r, rows[r].name, "full", asid_alloc(a),
			     (uint64_t)(int64_t)-ENOSPC);
		expect_field(r, rows[r].name, "count", idspace_count(a),
			     rows[r].want_max);
		expect_field(r, rows[r].name, "in_use(0)",
			     idspace_in_use(a, 0), 0);
		expect_field(r, rows[r].name, "in_use(max)",
			     idspace_in_use(a, rows[r].want_max), 1);
		expect_field(r, rows[r].name, "in_use(max+1)",
			     idspace_in_use(a, rows[r].want_max + 1), 0);
		expect_field(r, rows[r].name, "free(0)", idspace_free(a, 0),
			     (uint64_t)(int64_t)-EINVAL);
		expect_field(r, rows[r].name, "free(max+1)",
			     idspace_free(a, rows[r].want_max + 1),
			     (uint64_t)(int64_t)-EINVAL);
		/* Freeing the last one makes exactly that one available. */
		expect_field(r, rows[r].name, "free(max)",
			     idspace_free(a, rows[r].want_max), 0);
		expect_field(r, rows[r].name, "realloc", asid_alloc(a),
			     rows[r].want_max);
		expect_field(r, rows[r].name, "full again", asid_alloc(a),
			     (uint64_t)(int64_t)-ENOSPC);
		idspace_destroy(a);
	}
}

static void test_lowest_free_reuse(void **state)
{
	struct idspace *a = asid_space_create(true);
	static const uint32_t freed[] = { 70, 3, 64, 7, 5, 63 };
	static const int want[] = { 3, 5, 7, 63, 64, 70, 101, 102 };

	(void)state;
	for (int i = 1; i <= 100; i++)
		assert_int_equal(asid_alloc(a), i);
	for (unsigned i = 0; i < sizeof(freed) / sizeof(freed[0]); i++)
		assert_int_equal(idspace_free(a, freed[i]), 0);
	assert_int_equal(idspace_count(a), 94);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_field(i, "reuse", "asid", asid_alloc(a), want[i]);
	assert_int_equal(idspace_count(a), 102);
	idspace_destroy(a);
}

/* Misuse is refused with -EINVAL and leaves the state as it was. */
static void test_bad_free(void **state)
{
	struct idspace *a = asid_space_create(false);
	static const struct {
		const char *name;
		uint32_t id;
	} rows[] = {
		{ "reserved 0", 0 },
		{ "double free", 4 },
		{ "never allocated", 9 },
		{ "beyond 8-bit", 0x100 },
		{ "huge", 0xffffffff },
	};

	(void)state;
	for (int i = 1; i <= 8; i++)
		assert_int_equal(asid_alloc(a), i);
	assert_int_equal(idspace_free(a, 4), 0);
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		expect_field(r, rows[r].name, "ret",
			     idspace_free(a, rows[r].id),
			     (uint64_t)(int64_t)-EINVAL);
		expect_field(r, rows[r].name, "count", idspace_count(a), 7);
		for (uint32_t id = 0; id <= 0x100; id++)
			expect_field(r, rows[r].name, "in_use",
				     idspace_in_use(a, id),
				     id >= 1 && id <= 8 && id != 4);
	}
	assert_int_equal(asid_alloc(a), 4);
	assert_int_equal(asid_alloc(a), 9);
	idspace_destroy(a);
}

/* idspace_alloc(min, max): exact result for each range. */
static void test_ranges(void **state)
{
	static const struct {
		const char *name;
		uint32_t min, max;
		int want;
	} rows[] = {
		/* 1..10 and 64..127 are taken before the table runs. */
		{ "whole space", 0, 1000, 11 },
		{ "min 0 is 1", 0, 5, -ENOSPC },
		{ "inside taken block", 3, 9, -ENOSPC },
		{ "min above block", 20, 30, 20 },
		{ "word boundary", 63, 200, 63 },
		{ "crosses full word", 64, 200, 128 },
		{ "single id", 500, 500, 500 },
		{ "single id taken", 500, 500, -ENOSPC },
		{ "max clipped", 999, 0xffffffff, 999 },
		{ "last id", 1000, 5000, 1000 },
		{ "beyond space", 1001, 5000, -ENOSPC },
		{ "min > max", 40, 39, -ENOSPC },
		{ "next lowest", 1, 1000, 12 },
	};
	struct idspace *ids = idspace_create(1000);

	(void)state;
	for (uint32_t i = 1; i <= 10; i++)
		assert_int_equal(idspace_alloc(ids, i, i), (int)i);
	for (uint32_t i = 64; i <= 127; i++)
		assert_int_equal(idspace_alloc(ids, i, 1000), (int)i);
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		expect_field(r, rows[r].name, "id",
			     (int64_t)idspace_alloc(ids, rows[r].min,
						    rows[r].max),
			     (int64_t)rows[r].want);
	assert_int_equal(idspace_count(ids), 10 + 64 + 8);
	idspace_destroy(ids);
}

/* VMIDs are a second instance: nothing is shared with the ASIDs. */
static void test_vmid_independent(void **state)
{
	struct idspace *asids = asid_space_create(true);
	struct idspace *vmids = vmid_space_create(false);

	(void)state;
	assert_int_equal(idspace_max(vmids), 0xff);
	assert_int_equal(asid_alloc(asids), 1);
	assert_int_equal(asid_alloc(asids), 2);
	assert_int_equal(asid_alloc(asids), 3);
	assert_int_equal(vmid_alloc(vmids), 1);
	assert_int_equal(idspace_count(asids), 3);
	assert_int_equal(idspace_count(vmids), 1);
	assert_int_equal(idspace_free(asids, 1), 0);
	assert_true(idspace_in_use(vmids, 1));
	assert_int_equal(idspace_free(vmids, 2), -EINVAL);
	assert_true(idspace_in_use(asids, 2));
	/* Fill the 8-bit VMIDs; ASIDs keep allocating. */
	for (int i = 2; i <= 0xff; i++)
		assert_int_equal(vmid_alloc(vmids), i);
	assert_int_equal(vmid_alloc(vmids), -ENOSPC);
	assert_int_equal(asid_alloc(asids), 1);
	assert_int_equal(asid_alloc(asids), 4);
	assert_int_equal(idspace_count(asids), 4);
	assert_int_equal(idspace_count(vmids), 0xff);
	idspace_destroy(asids);
	idspace_destroy(vmids);
	vmids = vmid_space_create(true);
	assert_int_equal(idspace_max(vmids), 0xffff);
	idspace_destroy(vmids);
}

/* Deterministic 64-bit LCG for the model comparison below. */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *s >> 33;
}

/*
 * Random allocations in random ranges and random frees against a plain
 * array: every answer must be the lowest free ID of the range. The space
 * (5000 IDs) has three bitmap levels.
 */
static void test_against_model(void **state)
{
	enum { MAX = 5000, OPS = 200000 };
	struct idspace *ids = idspace_create(MAX);
	bool *used = calloc(MAX + 1, sizeof(*used));
	uint32_t count = 0;
	uint64_t seed = 42;

	(void)state;
	for (int op = 0; op < OPS; op++) {
		uint32_t a = (uint32_t)(lcg(&seed) % (MAX + 2));
		uint32_t b = (uint32_t)(lcg(&seed) % (MAX + 2));

		/* Bias towards allocation so the space fills up. */
		if (lcg(&seed) % 8 < 5) {
			uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
			int want = -ENOSPC;

			for (uint32_t i = lo ? lo : 1; i <= hi && i <= MAX;
			     i++) {
				if (!used[i]) {
					want = (int)i;
					break;
				}
			}
			expect_field(op, "alloc", "id",
				     (int64_t)idspace_alloc(ids, lo, hi),
				     (int64_t)want);
			if (want > 0) {
				used[want] = true;
				count++;
			}
		} else {
			bool ok = a >= 1 && a <= MAX && used[a];

			expect_field(op, "free", "ret",
				     (int64_t)idspace_free(ids, a),
				     ok ? 0 : (int64_t)-EINVAL);
			if (ok) {
				used[a] = false;
				count--;
			}
		}
		expect_field(op, "op", "count", idspace_count(ids), count);
	}
	for (uint32_t i = 0; i <= MAX + 1; i++)
		expect_field(i, "final", "in_use", idspace_in_use(ids, i),
			     i <= MAX && used[i]);
	free(used);
	idspace_destroy(ids);
}

/* One bit per ID plus summaries: 1024 + 16 + 1 words for 16 bits. */
static void test_memory(void **state)
{
	struct idspace *a = asid_space_create(true);
	struct idspace *b = asid_space_create(false);
	size_t wide = idspace_mem_bytes(a), narrow = idspace_mem_bytes(b);

	(void)state;
	/* 8-bit: 4 + 1 words; the fixed part is the same in both. */
	assert_int_equal(wide - narrow, (1024 + 16 + 1 - 4 - 1) * 8);
	assert_true(narrow - 5 * 8 < 256);
	idspace_destroy(a);
	idspace_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_asid_width),
		cmocka_unit_test(test_lowest_free_reuse),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_vmid_independent),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
