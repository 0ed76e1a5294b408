/* SPDX-License-Identifier: MIT */
/* Implementation description: presets, ID register images, preset files. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smmusim/smmu_impl.h"

struct idr_row {
	const char *preset;
	uint32_t idr0, idr1, idr3, idr5;
	uint8_t arch_minor;
};

/* Expected values worked out by hand from facts §1.3-1.5. */
static const struct idr_row idr_rows[] = {
	{ "full", 0x080F769B, 0x02739D20, 0x00000404, 0x01000075, 3 },
	{ "qemu-7.2", 0x0D40101A, 0x02730010, 0x00000400, 0x00000074, 1 },
	{ "mmu-600-like", 0x080F76BB, 0x02739D18, 0x00000404, 0x00800072, 1 },
};

static void test_preset_idrs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(idr_rows) / sizeof(idr_rows[0]); i++) {
		const struct idr_row *r = &idr_rows[i];
		struct smmu_impl p;

		assert_true(smmu_impl_preset(r->preset, &p));
		assert_true(smmu_impl_validate(&p, NULL, 0));
		assert_string_equal(p.name, r->preset);
		expect_field(i, r->preset, "IDR0", smmu_impl_idr0(&p), r->idr0);
		expect_field(i, r->preset, "IDR1", smmu_impl_idr1(&p), r->idr1);
		expect_field(i, r->preset, "IDR3", smmu_impl_idr3(&p), r->idr3);
		expect_field(i, r->preset, "IDR5", smmu_impl_idr5(&p), r->idr5);
		expect_field(i, r->preset, "arch_minor", p.arch_minor,
			     r->arch_minor);
	}
}

static void test_preset_list(void **state)
{
	struct smmu_impl p;

	(void)state;
	assert_int_equal(smmu_impl_preset_count(), 3);
	for (size_t i = 0; i < smmu_impl_preset_count(); i++)
		assert_true(smmu_impl_preset(smmu_impl_preset_name(i), &p));
	assert_null(smmu_impl_preset_name(3));
	assert_false(smmu_impl_preset("mmu-700", &p));
}

static void test_oas_bits(void **state)
{
	static const unsigned want[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	(void)state;
	for (uint8_t e = 0; e < 8; e++)
		assert_int_equal(smmu_oas_bits(e), want[e]);
}

struct set_row {
	const char *key, *value;
	bool ok;
	const char *err;
};

static const struct set_row set_rows[] = {
	{ "sidsize", "16", true, NULL },
	{ "sidsize", "0x10", true, NULL },
	{ "sidsize", "33", false, "sidsize: 33 is out of range (max 32)" },
	{ "sidsize", "-1", false, "sidsize: '-1' is not a number" },
	{ "sidsize", "12abc", false, "sidsize: '12abc' is not a number" },
	{ "ats", "yes", true, NULL },
	{ "ats", "maybe", false,
	  "ats: 'maybe' is not a boolean (0/1, true/false)" },
	{ "tlb.policy", "fifo", true, NULL },
	{ "tlb.policy", "mru", false, "tlb.policy: 'mru' is not lru, fifo or random" },
	{ "frobs", "1", false, "unknown setting 'frobs'" },
};

static void test_impl_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(set_rows) / sizeof(set_rows[0]); i++) {
		const struct set_row *r = &set_rows[i];
		struct smmu_impl p;
		char err[128] = "";

		smmu_impl_preset("full", &p);
		bool ok = smmu_impl_set(&p, r->key, r->value, err, sizeof(err));

		expect_field(i, r->key, "ok", ok, r->ok);
		if (!r->ok && strcmp(err, r->err))
			fail_msg("row %zu: error '%s', expected '%s'", i, err,
				 r->err);
	}
	struct smmu_impl p;

	smmu_impl_preset("full", &p);
	assert_true(smmu_impl_set(&p, "sidsize", "0x10", NULL, 0));
	assert_int_equal(p.sidsize, 16);
	assert_true(smmu_impl_set(&p, "tlb.policy", "random", NULL, 0));
	assert_int_equal(p.tlb.policy, SMMU_REPL_RANDOM);
	assert_true(smmu_impl_set(&p, "lat.sync", "40", NULL, 0));
	assert_int_equal(p.lat.sync, 40);
}

static char *write_tmp(const char *text)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/smmusim-impl-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

struct file_row {
	const char *text;
	bool ok;
	const char *err_suffix; /* after "path" */
};

static const struct file_row file_rows[] = {
	{ "preset = qemu-7.2\n# comment\n  sidsize = 8  # trailing\n", true,
	  NULL },
	{ "preset = nope\n", false, ":1:10: unknown preset 'nope'" },
	{ "sidsize = 8\npreset = full\n", false,
	  ":2:1: 'preset' must come before other settings" },
	{ "\n\n   oas 5\n", false, ":3:4: expected 'key = value'" },
	{ "ats = \n", false, ":1:6: 'ats' has no value" },
	{ "  bogus = 1\n", false, ":1:3: unknown setting 'bogus'" },
	{ "st_level = 0\nsidsize = 16\n", false,
	  ": sidsize >= 7 requires st_level = 1 (§6.3.2)" },
	{ "ats = 0\n", false,
	  ": pri requires ats (IDR0.PRI is RES0 without ATS)" },
};

static void test_impl_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(file_rows) / sizeof(file_rows[0]); i++) {
		const struct file_row *r = &file_rows[i];
		char *path = write_tmp(r->text);
		struct smmu_impl p;
		char err[256] = "", want[256];
		bool ok = smmu_impl_load_file(path, &p, err, sizeof(err));

		expect_field(i, r->text, "ok", ok, r->ok);
		if (r->ok) {
			assert_string_equal(p.name, "qemu-7.2");
			assert_int_equal(p.sidsize, 8);
		} else {
			snprintf(want, sizeof(want), "%s%s", path,
				 r->err_suffix);
			if (strcmp(err, want))
				fail_msg("row %zu: error '%s', expected '%s'",
					 i, err, want);
		}
		unlink(path);
	}
	char err[256];
	struct smmu_impl p;

	assert_false(smmu_impl_load_file("/nonexistent/x.preset", &p, err,
					 sizeof(err)));
	assert_string_equal(err,
			    "/nonexistent/x.preset: cannot open: No such file or directory");
}

static void test_validate(void **state)
{
	struct smmu_impl p;
	char err[128];

	(void)state;
	smmu_impl_preset("full", &p);
	p.s1p = p.s2p = false;
	assert_false(smmu_impl_validate(&p, err, sizeof(err)));
	assert_string_equal(err, "at least one of s1p and s2p must be set");
	smmu_impl_preset("full", &p);
	p.tlb.sets = 3;
	assert_false(smmu_impl_validate(&p, err, sizeof(err)));
	assert_string_equal(err, "tlb.sets must be a power of two");
	smmu_impl_preset("full", &p);
	p.oas = 6;
	assert_false(smmu_impl_validate(&p, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset_idrs),
		cmocka_unit_test(test_preset_list),
		cmocka_unit_test(test_oas_bits),
		cmocka_unit_test(test_impl_set),
		cmocka_unit_test(test_impl_file),
		cmocka_unit_test(test_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
