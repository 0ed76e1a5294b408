/* SPDX-License-Identifier: MIT */
/*
 * Export -> image -> translate / inspect, with exact expected values: a
 * platform with one stream of each kind (stage 1, stage 2 with 16K
 * granule, nested with a 64K stage 2, bypass, abort, an ILLEGAL STE, a
 * linear CD table), exported as an ELF core and a register file, read
 * back and asked. Also: SMMUEN=0 with GBPA, IDRs from the preset, the
 * core's segment layout.
 *
 * Run as `test_xcheck_roundtrip --write-fixture PREFIX` it only writes
 * PREFIX.core and PREFIX.json for the CLI tests (tests/CMakeLists.txt).
 */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "xcheck/xcheck.h"

#define VA UINT64_C(0x00007f0000000000)
#define IPA UINT64_C(0x40000000)
#define SID_S1 0x10u
#define SID_S2 0x11u
#define SID_NESTED 0x12u
#define SID_BYPASS 0x13u
#define SID_ABORT 0x14u
#define SID_ILLEGAL 0x15u
#define SID_CDTAB 0x16u

struct fx {
	struct platform p;
	struct pgtable s1, s2, ns1, ns2;
	uint64_t buf, s2buf, nbuf;
	char core[256], regs[256];
	uint64_t pages_at_export;
};

static void put_cd(struct fx *f, uint64_t pa, const uint64_t cd[8])
{
	for (unsigned i = 0; i < 8; i++)
		pmem_write64(f->p.mem, pa + 8 * i, cd[i], NULL);
}

static void build(struct fx *f)
{
	struct smmu_impl impl;
	char err[256];
	uint64_t ste[8], s2ste[8], cd[8], cdpa;

	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&f->p, &impl, 3, 16, err, sizeof(err)));
	f->buf = hostmem_alloc(f->p.hm, 0x4000, 0x1000);
	f->s2buf = hostmem_alloc(f->p.hm, 0x8000, 0x4000);
	f->nbuf = hostmem_alloc(f->p.hm, 0x2000, 0x1000);

	/* stage 1, one CD, 4K granule, 48-bit VA */
	assert_true(pgtable_init(&f->s1, f->p.hm, 1, 12, 48));
	assert_true(pgtable_map(&f->s1, VA, f->buf, 0x2000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_true(pgtable_map(&f->s1, VA + 0x2000, f->buf + 0x2000, 0x1000,
				PT_R | PT_USER | PT_NG));
	cdpa = hostmem_alloc(f->p.hm, 64, 64);
	hsmmu_cd_from_pgtable(cd, &f->s1, 5, 5);
	put_cd(f, cdpa, cd);
	hsmmu_ste_s1(ste, cdpa, 0);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_S1, ste), 0);

	/* stage 2, 16K granule, 36-bit IPA */
	assert_true(pgtable_init(&f->s2, f->p.hm, 2, 14, 36));
	assert_true(pgtable_map(&f->s2, IPA, f->s2buf, 0x8000,
				PT_R | PT_W));
	hsmmu_ste_s2(ste, &f->s2, 7, 5);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_S2, ste), 0);

	/* nested: stage 2 (64K) maps RAM IPA == PA, stage 1 (4K) maps VA */
	assert_true(pgtable_init(&f->ns2, f->p.hm, 2, 16, 40));
	assert_true(pgtable_map(&f->ns2, PLAT_RAM_BASE, PLAT_RAM_BASE,
				PLAT_RAM_SIZE, PT_R | PT_W | PT_BLOCK));
	assert_true(pgtable_init(&f->ns1, f->p.hm, 1, 12, 39));
	assert_true(pgtable_map(&f->ns1, VA >> 9, f->nbuf, 0x1000,
				PT_R | PT_W | PT_USER));
	cdpa = hostmem_alloc(f->p.hm, 64, 64);
	hsmmu_cd_from_pgtable(cd, &f->ns1, 6, 5);
	put_cd(f, cdpa, cd);
	hsmmu_ste_s1(ste, cdpa, 0);
	hsmmu_ste_s2(s2ste, &f->ns2, 8, 5);
	ste[2] = s2ste[2];
	ste[3] = s2ste[3];
	fset(ste, STE_CONFIG, 7);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_NESTED, ste), 0);

	hsmmu_ste_bypass(ste);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_BYPASS, ste), 0);
	hsmmu_ste_abort(ste);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_ABORT, ste), 0);

	/* ILLEGAL: S2TG = 0b11 is reserved */
	hsmmu_ste_s2(ste, &f->s2, 9, 5);
	fset(ste, STE_S2TG, 3);
	pmem_write(f->p.mem, hsmmu_ste_pa(f->p.drv, SID_ILLEGAL), ste, 64,
		   NULL);

	/* a linear CD table of 4 CDs: SSID 1 valid, the rest V=0 */
	assert_int_equal(hsmmu_cdtab_alloc(f->p.drv, SID_CDTAB, 2), 0);
	hsmmu_cd_from_pgtable(cd, &f->s1, 9, 5);
	assert_int_equal(hsmmu_write_cd(f->p.drv, SID_CDTAB, 1, cd), 0);
	assert_int_equal(hsmmu_ste_s1_cdtab(f->p.drv, SID_CDTAB, 0, ste), 0);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID_CDTAB, ste), 0);
}

static void teardown_fx(struct fx *f)
{
	pgtable_destroy(&f->s1);
	pgtable_destroy(&f->s2);
	pgtable_destroy(&f->ns1);
	pgtable_destroy(&f->ns2);
	platform_destroy(&f->p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *dir = getenv("TMPDIR");
	char err[256];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(f->core, sizeof(f->core), "%s/xcheck-rt-%d.core", dir,
		 (int)getpid());
	snprintf(f->regs, sizeof(f->regs), "%s/xcheck-rt-%d.json", dir,
		 (int)getpid());
	build(f);
	if (!xc_export(f->p.smmu, f->p.mem, f->core, f->regs, err,
		       sizeof(err)))
		fail_msg("export: %s", err);
	{
		struct pmem_stats st;

		pmem_get_stats(f->p.mem, &st);
		f->pages_at_export = st.pages_backed;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->core);
	unlink(f->regs);
	teardown_fx(f);
	free(f);
	return 0;
}

struct expect {
	struct xc_request rq;
	enum xc_outcome outcome;
	uint64_t pa;     /* offset from a base chosen per row */
	int base;        /* 0 none, 1 buf, 2 s2buf, 3 nbuf */
	uint8_t event;
	const char *name;
};

static void test_translate_exact(void **state)
{
	struct fx *f = *state;
	const struct expect rows[] = {
		{ { SID_S1, false, 0, VA + 0x10, XC_READ, false }, XC_OK,
		  0x10, 1, 0, "s1 read" },
		{ { SID_S1, false, 0, VA + 0x1008, XC_WRITE, false }, XC_OK,
		  0x1008, 1, 0, "s1 write" },
		{ { SID_S1, false, 0, VA + 0x2000, XC_WRITE, false }, XC_FAULT,
		  0, 0, 0x13, "s1 write read-only" },
		{ { SID_S1, false, 0, VA + 0x3000, XC_READ, false }, XC_FAULT,
		  0, 0, 0x10, "s1 unmapped" },
		{ { SID_S1, true, 1, VA, XC_READ, false }, XC_FAULT, 0, 0,
		  0x08, "s1 ssid without substreams" },
		{ { SID_S2, false, 0, IPA + 0x4321, XC_WRITE, false }, XC_OK,
		  0x4321, 2, 0, "s2 write" },
		{ { SID_S2, false, 0, IPA + 0x8000, XC_READ, false }, XC_FAULT,
		  0, 0, 0x10, "s2 unmapped" },
		{ { SID_NESTED, false, 0, (VA >> 9) + 0x77, XC_READ, false },
		  XC_OK, 0x77, 3, 0, "nested" },
		{ { SID_BYPASS, false, 0, 0x12345678, XC_WRITE, false },
		  XC_BYPASS, 0x12345678, 0, 0, "bypass" },
		{ { SID_ABORT, false, 0, 0x1000, XC_READ, false }, XC_ABORT, 0,
		  0, 0, "abort" },
		{ { SID_ILLEGAL, false, 0, 0x1000, XC_READ, false }, XC_FAULT,
		  0, 0, 0x04, "illegal STE" },
		{ { 0x20, false, 0, 0x1000, XC_READ, false }, XC_FAULT, 0, 0,
		  0x04, "V=0 STE" },
		{ { SID_CDTAB, true, 1, VA + 0x20, XC_READ, true }, XC_OK,
		  0x20, 1, 0, "cd table ssid 1" },
		{ { SID_CDTAB, true, 2, VA, XC_READ, false }, XC_FAULT, 0, 0,
		  0x0A, "cd table ssid 2 V=0" },
		{ { SID_CDTAB, true, 4, VA, XC_READ, false }, XC_FAULT, 0, 0,
		  0x08, "cd table ssid beyond S1CDMax" },
		{ { SID_CDTAB, false, 0, VA, XC_READ, false }, XC_FAULT, 0, 0,
		  0x06, "cd table no ssid, S1DSS terminate" },
	};
	struct xc_image img;
	char err[256];

	if (!xc_image_open(&img, f->core, f->regs, NULL, err, sizeof(err)))
		fail_msg("open: %s", err);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct expect *e = &rows[i];
		const uint64_t base[4] = { 0, f->buf, f->s2buf, f->nbuf };
		struct xc_result live, pred;

		xc_translate(img.smmu, &e->rq, &pred);
		xc_translate(f->p.smmu, &e->rq, &live);
		expect_field(i, e->name, "outcome", pred.outcome, e->outcome);
		expect_field(i, e->name, "event", pred.event_id, e->event);
		if (e->outcome == XC_OK || e->outcome == XC_BYPASS)
			expect_field(i, e->name, "pa", pred.pa,
				     base[e->base] + e->pa);
		expect_field(i, e->name, "live outcome", live.outcome,
			     pred.outcome);
		expect_field(i, e->name, "live pa", live.pa, pred.pa);
		expect_field(i, e->name, "live event", live.event_id,
			     pred.event_id);
	}
	xc_image_close(&img);
}

static void test_core_layout(void **state)
{
	struct fx *f = *state;
	struct xc_core_info info;
	struct pmem *m = pmem_create();
	char err[256];
	uint64_t a, b, base, size;
	enum pmem_region_kind kind;

	assert_true(xc_core_load(f->core, m, &info, err, sizeof(err)));
	/* the platform's one RAM region comes back whole, as one region */
	assert_int_equal(info.regions, 1);
	assert_int_equal(info.mem_bytes, PLAT_RAM_SIZE);
	assert_true(pmem_region_at(m, PLAT_RAM_BASE + PLAT_RAM_SIZE - 1,
				   &kind, &base, &size));
	assert_int_equal(kind, PMEM_RAM);
	assert_int_equal(base, PLAT_RAM_BASE);
	assert_int_equal(size, PLAT_RAM_SIZE);
	/* no MMIO: the SMMU's registers are in the register file */
	assert_false(pmem_region_at(m, PLAT_SMMU_BASE, &kind, &base, &size));
	/* contents match, e.g. the stage-1 root table */
	for (uint64_t off = 0; off < 4096; off += 8) {
		pmem_read64(m, f->s1.root + off, &a, NULL);
		pmem_read64(f->p.mem, f->s1.root + off, &b, NULL);
		assert_int_equal(a, b);
	}
	/* the file holds only the pages backed at export */
	assert_int_equal(info.file_bytes, f->pages_at_export * 4096);
	pmem_destroy(m);
}

static void test_regs_file(void **state)
{
	struct fx *f = *state;
	struct xc_regs r;
	char err[256];
	uint64_t v, live;

	assert_true(xc_regs_load(f->regs, &r, err, sizeof(err)));
	assert_true(xc_regs_get(&r, "IDR0", &v));
	assert_true(smmu_reg_read(f->p.smmu, 0x0, 4, &live));
	assert_int_equal(v, live);
	assert_true(xc_regs_get(&r, "STRTAB_BASE", &v));
	assert_true(smmu_reg_read(f->p.smmu, 0x80, 8, &live));
	assert_int_equal(v, live);
	assert_true(xc_regs_get(&r, "CR0", &v));
	assert_int_equal(v & 1, 1);
	assert_true(xc_regs_get(&r, "SMMU_GBPA", &v));
	assert_int_equal(xc_reg_index("NOPE"), -1);
}

/* SMMUEN=0: GBPA decides, no events. IDRs absent: the preset's. */
static void test_gbpa(void **state)
{
	struct fx *f = *state;
	struct xc_request rq = { 0x10, false, 0, 0x80001234, XC_WRITE, false };
	struct xc_regs r;
	struct xc_image img;
	struct xc_result res;
	struct pmem *m;
	char err[256];

	memset(&r, 0, sizeof(r));
	xc_regs_set(&r, "CR0", 0);
	xc_regs_set(&r, "GBPA", 0);
	m = pmem_create();
	assert_true(xc_core_load(f->core, m, NULL, err, sizeof(err)));
	assert_true(xc_image_open_mem(&img, m, &r, NULL, err, sizeof(err)));
	assert_int_equal(img.impl.sidsize, 32); /* "full" */
	xc_translate(img.smmu, &rq, &res);
	assert_int_equal(res.outcome, XC_BYPASS);
	assert_int_equal(res.pa, 0x80001234);
	assert_int_equal(res.event_id, 0);
	xc_image_close(&img);

	xc_regs_set(&r, "GBPA", 1u << 20); /* ABORT */
	m = pmem_create();
	assert_true(xc_core_load(f->core, m, NULL, err, sizeof(err)));
	assert_true(xc_image_open_mem(&img, m, &r, NULL, err, sizeof(err)));
	xc_translate(img.smmu, &rq, &res);
	assert_int_equal(res.outcome, XC_ABORT);
	assert_int_equal(res.event_id, 0);
	xc_image_close(&img);
}

static char *inspect_text(struct fx *f, bool json, bool one, uint32_t sid)
{
	struct xc_inspect_opts o = { .json = json, .one_sid = one,
				     .sid = sid };
	struct xc_image img;
	char *buf = NULL, err[256];
	size_t len = 0;
	unsigned problems;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (!xc_image_open(&img, f->core, f->regs, NULL, err, sizeof(err)))
		fail_msg("open: %s", err);
	assert_true(xc_inspect(img.smmu, out, &o, &problems, err,
			       sizeof(err)));
	fclose(out);
	xc_image_close(&img);
	return buf;
}

static void test_inspect_text(void **state)
{
	struct fx *f = *state;
	char *t = inspect_text(f, false, false, 0);

	assert_non_null(strstr(t, "SID: 0x15\n"));
	assert_non_null(strstr(t, "status: ILLEGAL (C_BAD_STE)\n"));
	assert_non_null(strstr(t, "field: S2TG\n"));
	assert_non_null(strstr(t, "reason: reserved encoding\n"));
	assert_non_null(strstr(t, "Config: 0b111: nested (stage 1 + stage 2)"));
	assert_non_null(strstr(t, "Config: 0b100: bypass"));
	assert_non_null(strstr(t, "Config: 0b000: abort"));
	/* stage-1 mappings of SID 0x10 as runs */
	{
		char want[160];

		snprintf(want, sizeof(want), "- 0x7f0000000000-0x7f0000001fff"
			 " -> 0x%llx  4K page x2  rw el0 nG PXN UXN attr0 sh3",
			 (unsigned long long)f->buf);
		assert_non_null(strstr(t, want));
		snprintf(want, sizeof(want), "- 0x7f0000002000-0x7f0000002fff"
			 " -> 0x%llx  4K page x1  ro el0 nG PXN UXN attr0 sh3",
			 (unsigned long long)f->buf + 0x2000);
		assert_non_null(strstr(t, want));
		/* stage 2 of SID 0x11, 16K granule */
		snprintf(want, sizeof(want), "- 0x40000000-0x40007fff -> 0x%llx"
			 "  16K page x2  s2ap=rw xn=2 memattr=0xf sh3\n",
			 (unsigned long long)f->s2buf);
		assert_non_null(strstr(t, want));
	}
	assert_non_null(strstr(t, "STEs: 7\n"));
	assert_non_null(strstr(t, "ILLEGAL: 1\n"));
	free(t);
}

static void test_inspect_json(void **state)
{
	struct fx *f = *state;
	char *t = inspect_text(f, true, true, SID_CDTAB);
	json_error_t je;
	json_t *root = json_loads(t, 0, &je), *s, *cds, *cd;

	assert_non_null(root);
	s = json_array_get(json_object_get(root, "streams"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "SID")),
			    "0x16");
	assert_string_equal(json_string_value(json_object_get(s, "S1Fmt")),
			    "linear");
	assert_int_equal(json_integer_value(json_object_get(s, "S1CDMax")),
			 2);
	cds = json_object_get(s, "CDs");
	/* only the valid CD is listed in a table scan */
	assert_int_equal(json_array_size(cds), 1);
	cd = json_array_get(cds, 0);
	assert_string_equal(json_string_value(json_object_get(cd, "SSID")),
			    "0x1");
	assert_string_equal(json_string_value(json_object_get(cd, "ASID")),
			    "0x9");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(cd, "TTB1"), "disabled")),
		"EPD=1: any access faults (F_TRANSLATION)");
	json_decref(root);
	free(t);

	/* an explicit SID that is V=0 is shown as such */
	t = inspect_text(f, true, true, 0x20);
	root = json_loads(t, 0, &je);
	assert_non_null(root);
	s = json_array_get(json_object_get(root, "streams"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "status")),
			    "invalid: V=0 (C_BAD_STE)");
	json_decref(root);
	free(t);
}

static int write_fixture(const char *prefix)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	int rc = 0;

	snprintf(f->core, sizeof(f->core), "%s.core", prefix);
	snprintf(f->regs, sizeof(f->regs), "%s.json", prefix);
	build(f);
	if (!xc_export(f->p.smmu, f->p.mem, f->core, f->regs, err,
		       sizeof(err))) {
		fprintf(stderr, "export: %s\n", err);
		rc = 1;
	}
	teardown_fx(f);
	free(f);
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_exact),
		cmocka_unit_test(test_core_layout),
		cmocka_unit_test(test_regs_file),
		cmocka_unit_test(test_gbpa),
		cmocka_unit_test(test_inspect_text),
		cmocka_unit_test(test_inspect_json),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-fixture"))
		return write_fixture(argv[2]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
