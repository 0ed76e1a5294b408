/* SPDX-License-Identifier: MIT */
/*
 * Per-stream CD tables of the host driver: layout (linear or 2-level with
 * 64 KiB leaves), CD addresses, L1 descriptors, and the model finding the
 * right CD for DMA with a SubstreamID.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"

#define SID 0x21u
#define VA UINT64_C(0x0000400000000000)

#define EV_C_BAD_SUBSTREAMID 0x08
#define EV_C_BAD_CD 0x0A

struct layout_row {
	const char *name;
	bool cd2l;
	unsigned ssidsize;   /* IDR1.SSIDSIZE */
	unsigned ssid_bits;  /* the device's */
	unsigned s1fmt, s1cdmax, l1_entries;
	uint64_t align;      /* of S1ContextPtr */
};

static const struct layout_row layout_rows[] = {
	{ "one CD", true, 20, 0, STE_S1FMT_LINEAR, 0, 0, 64 },
	{ "linear 4 bits", true, 20, 4, STE_S1FMT_LINEAR, 4, 0, 1024 },
	{ "linear 10 bits", true, 20, 10, STE_S1FMT_LINEAR, 10, 0, 65536 },
	{ "2-level 11 bits", true, 20, 11, STE_S1FMT_2L_64K, 11, 2, 64 },
	{ "2-level 16 bits", true, 20, 16, STE_S1FMT_2L_64K, 16, 64, 512 },
	{ "2-level 20 bits", true, 20, 20, STE_S1FMT_2L_64K, 20, 1024, 8192 },
	{ "capped by SSIDSIZE", true, 8, 16, STE_S1FMT_LINEAR, 8, 0,
	  16384 },
	{ "no CD2L: linear", false, 20, 12, STE_S1FMT_LINEAR, 12, 0,
	  262144 },
};

static void make_platform(struct platform *p, bool cd2l, unsigned ssidsize)
{
	struct smmu_impl impl;
	char err[128];

	smmu_impl_preset("full", &impl);
	impl.cd2l = cd2l;
	impl.ssidsize = (uint8_t)ssidsize;
	assert_true(platform_create(p, &impl, 1, 8, err, sizeof(err)));
}

static void test_layouts(void **state)
{
	(void)state;
	for (unsigned r = 0;
	     r < sizeof(layout_rows) / sizeof(layout_rows[0]); r++) {
		const struct layout_row *row = &layout_rows[r];
		struct platform p;
		struct hsmmu_cdtab_info ci;
		uint32_t last = (1u << row->s1cdmax) - 1;
		uint64_t ste[8];

		make_platform(&p, row->cd2l, row->ssidsize);
		assert_int_equal(hsmmu_cdtab_alloc(p.drv, SID, row->ssid_bits),
				 0);
		assert_int_equal(hsmmu_cdtab_alloc(p.drv, SID, 1), -EEXIST);
		assert_true(hsmmu_cdtab_info(p.drv, SID, &ci));
		expect_field(r, row->name, "S1Fmt", ci.s1fmt, row->s1fmt);
		expect_field(r, row->name, "S1CDMax", ci.s1cdmax,
			     row->s1cdmax);
		expect_field(r, row->name, "L1 entries", ci.l1_entries,
			     row->l1_entries);
		expect_field(r, row->name, "alignment",
			     ci.base & (row->align - 1), 0);
		if (row->s1fmt == STE_S1FMT_LINEAR) {
			expect_field(r, row->name, "CD 0",
				     hsmmu_cd_pa(p.drv, SID, 0), ci.base);
			expect_field(r, row->name, "CD last",
				     hsmmu_cd_pa(p.drv, SID, last),
				     ci.base + 64 * (uint64_t)last);
			expect_field(r, row->name, "L1 pa",
				     hsmmu_cd_l1_pa(p.drv, SID, 0), 0);
		}
		/* one past the table */
		expect_field(r, row->name, "CD beyond",
			     hsmmu_cd_pa(p.drv, SID, last + 1), 0);
		/* the STE built for it */
		assert_int_equal(hsmmu_ste_s1_cdtab(p.drv, SID,
						    STE_S1DSS_SSID0, ste), 0);
		expect_field(r, row->name, "STE.S1ContextPtr",
			     fget_inplace(ste, STE_S1CONTEXTPTR), ci.base);
		expect_field(r, row->name, "STE.S1CDMax",
			     fget(ste, STE_S1CDMAX), row->s1cdmax);
		expect_field(r, row->name, "STE.S1Fmt", fget(ste, STE_S1FMT),
			     row->s1cdmax ? row->s1fmt : 0);
		expect_field(r, row->name, "STE.S1DSS", fget(ste, STE_S1DSS),
			     row->s1cdmax ? STE_S1DSS_SSID0 : 0);
		expect_field(r, row->name, "STE.Config",
			     fget(ste, STE_CONFIG), STE_CFG_S1);
		hsmmu_cdtab_free(p.drv, SID);
		assert_false(hsmmu_cdtab_info(p.drv, SID, &ci));
		platform_destroy(&p);
	}
}

/* 2-level: leaves on demand, L1 descriptors written and invalidated. */
static void test_two_level_l1(void **state)
{
	struct platform p;
	struct hsmmu_cdtab_info ci;
	uint64_t d, pa0, pa5, pa1027, pa_last, s0, l2;
	static const struct {
		uint32_t ssid;
		unsigned l1;
	} untouched[] = { { 2048, 2 }, { 30000, 29 }, { 64511, 62 } };

	(void)state;
	make_platform(&p, true, 20);
	assert_int_equal(hsmmu_cdtab_alloc(p.drv, SID, 16), 0);
	assert_true(hsmmu_cdtab_info(p.drv, SID, &ci));
	/* nothing allocated yet: every L1 descriptor is invalid */
	for (unsigned i = 0; i < ci.l1_entries; i++) {
		pmem_read64(p.mem, ci.base + 8 * (uint64_t)i, &d, NULL);
		assert_int_equal(d, 0);
	}
	s0 = hsmmu_sync_count(p.drv);
	pa0 = hsmmu_cd_pa(p.drv, SID, 0);
	assert_int_equal(hsmmu_sync_count(p.drv) - s0, 1); /* CFGI_CD L1 */
	assert_true(pa0 != 0);
	assert_int_equal(pa0 & 0xFFFF, 0); /* 64 KiB leaf, L2Ptr[15:12]=0 */
	pmem_read64(p.mem, ci.base, &d, NULL);
	assert_int_equal(d, pa0 | 1); /* L2Ptr, V */
	assert_int_equal(hsmmu_cd_l1_pa(p.drv, SID, 5), ci.base);
	/* same leaf: no new L1 descriptor, no sync */
	s0 = hsmmu_sync_count(p.drv);
	pa5 = hsmmu_cd_pa(p.drv, SID, 5);
	assert_int_equal(pa5, pa0 + 5 * 64);
	assert_int_equal(hsmmu_cd_pa(p.drv, SID, 1023), pa0 + 1023 * 64);
	assert_int_equal(hsmmu_sync_count(p.drv), s0);
	/* SSID 1027: L1 index 1, CD 3 of its leaf */
	pa1027 = hsmmu_cd_pa(p.drv, SID, 1027);
	pmem_read64(p.mem, ci.base + 8, &d, NULL);
	l2 = d & ~UINT64_C(1);
	assert_int_equal(d & 1, 1);
	assert_int_equal(pa1027, l2 + 3 * 64);
	assert_true(l2 != pa0);
	/* the last SSID: L1 index 63, CD 1023 */
	pa_last = hsmmu_cd_pa(p.drv, SID, 65535);
	pmem_read64(p.mem, ci.base + 63 * 8, &d, NULL);
	assert_int_equal(pa_last, (d & ~UINT64_C(1)) + 1023 * 64);
	assert_int_equal(hsmmu_cd_l1_pa(p.drv, SID, 65535), ci.base + 63 * 8);
	for (unsigned i = 0; i < sizeof(untouched) / sizeof(untouched[0]);
	     i++) {
		pmem_read64(p.mem, ci.base + 8 * (uint64_t)untouched[i].l1,
			    &d, NULL);
		expect_field(i, "untouched", "L1 descriptor", d, 0);
	}
	platform_destroy(&p);
}

struct dma_fx {
	struct smmu_txn_result last;
	unsigned done;
};

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct dma_fx *d = ctx;

	(void)t;
	d->last = *r;
	d->done++;
}

static struct smmu_txn_result dma(struct platform *p, bool ssv,
				  uint32_t ssid)
{
	struct dma_fx d = { 0 };
	struct smmu_txn t = { .sid = SID, .ssv = ssv, .ssid = ssid,
			      .addr = VA + 0x40, .len = 8 };
	uint64_t rec[4];

	assert_true(smmu_submit(p->smmu, &t, on_done, &d));
	sim_run_to_idle(p->sim, 0);
	assert_int_equal(d.done, 1);
	while (hsmmu_pop_event(p->drv, rec))
		;
	return d.last;
}

/* The model finds each SSID's CD through the driver's tables. */
struct lookup_row {
	bool ssv;
	uint32_t ssid;
	int map;            /* index of the page table, -1: none */
	enum smmu_resp resp;
	uint8_t event_id;
};

static void run_lookups(bool cd2l, unsigned ssid_bits,
			const uint32_t *cd_ssids, unsigned ncd,
			const struct lookup_row *rows, unsigned nrows)
{
	struct platform p;
	struct pgtable pt[3];
	uint64_t buf[3], cd[8], ste[8];

	make_platform(&p, cd2l, 20);
	for (int i = 0; i < 3; i++) {
		buf[i] = hostmem_alloc(p.hm, 0x1000, 0x1000);
		assert_true(pgtable_init(&pt[i], p.hm, 1, 12, 48));
		assert_true(pgtable_map(&pt[i], VA, buf[i], 0x1000,
					PT_R | PT_W | PT_USER | PT_NG));
	}
	assert_int_equal(hsmmu_cdtab_alloc(p.drv, SID, ssid_bits), 0);
	for (unsigned i = 0; i < ncd; i++) {
		hsmmu_cd_from_pgtable(cd, &pt[i], (uint16_t)(10 + i), 5);
		assert_int_equal(hsmmu_write_cd(p.drv, SID, cd_ssids[i], cd),
				 0);
	}
	assert_int_equal(hsmmu_write_cd(p.drv, SID, 1u << ssid_bits, cd),
			 -ERANGE);
	assert_int_equal(hsmmu_write_cd(p.drv, SID + 1, 0, cd), -ENOENT);
	assert_int_equal(hsmmu_ste_s1_cdtab(p.drv, SID, STE_S1DSS_SSID0, ste),
			 0);
	assert_int_equal(hsmmu_write_ste(p.drv, SID, ste), 0);
	for (unsigned r = 0; r < nrows; r++) {
		struct smmu_txn_result res = dma(&p, rows[r].ssv,
						 rows[r].ssid);

		expect_field(r, "lookup", "resp", res.resp, rows[r].resp);
		expect_field(r, "lookup", "event", res.event_id,
			     rows[r].event_id);
		if (rows[r].map >= 0)
			expect_field(r, "lookup", "oa", res.oa,
				     buf[rows[r].map] + 0x40);
	}
	for (int i = 0; i < 3; i++)
		pgtable_destroy(&pt[i]);
	platform_destroy(&p);
}

static void test_lookup_linear(void **state)
{
	static const uint32_t ssids[] = { 1, 7, 15 };
	static const struct lookup_row rows[] = {
		{ true, 1, 0, SMMU_RESP_OK, 0 },
		{ true, 7, 1, SMMU_RESP_OK, 0 },
		{ true, 15, 2, SMMU_RESP_OK, 0 },
		{ true, 3, -1, SMMU_RESP_ABORT, EV_C_BAD_CD },
		{ true, 16, -1, SMMU_RESP_ABORT, EV_C_BAD_SUBSTREAMID },
	};

	(void)state;
	run_lookups(true, 4, ssids, 3, rows, 5);
}

static void test_lookup_two_level(void **state)
{
	static const uint32_t ssids[] = { 3, 1027, 65535 };
	static const struct lookup_row rows[] = {
		{ true, 3, 0, SMMU_RESP_OK, 0 },
		{ true, 1027, 1, SMMU_RESP_OK, 0 },
		{ true, 65535, 2, SMMU_RESP_OK, 0 },
		/* leaf present, CD invalid */
		{ true, 4, -1, SMMU_RESP_ABORT, EV_C_BAD_CD },
		/* L1 descriptor 2 invalid */
		{ true, 2048, -1, SMMU_RESP_ABORT, EV_C_BAD_SUBSTREAMID },
		{ true, 65536, -1, SMMU_RESP_ABORT, EV_C_BAD_SUBSTREAMID },
	};

	(void)state;
	run_lookups(true, 16, ssids, 3, rows, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_two_level_l1),
		cmocka_unit_test(test_lookup_linear),
		cmocka_unit_test(test_lookup_two_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
