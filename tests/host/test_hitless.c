/* SPDX-License-Identifier: MIT */
/*
 * Hitless STE and CD updates by the host driver (host/ste_cd_writer.h).
 *
 * Every transition of the table runs on a machine whose configuration
 * cache is disabled, so the model reads the STE and CD from memory for
 * every transaction. After each 64-bit store the driver makes, an
 * observer (1) reads the entry back and checks it equals the old or the
 * new configuration on every bit that configuration uses, and (2) sends a
 * DMA through the model and checks it behaves as the old or the new
 * configuration. Break-before-make rows may also show V=0 (C_BAD_STE /
 * C_BAD_CD). Each row states the exact number of CMD_SYNCs. The table runs
 * a second time with the configuration cache on, where the DMA after the
 * update must show the new behaviour.
 */
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "host/ste_cd_writer.h"

#define SID 0x42u
#define VA UINT64_C(0x00007f0000000000)
#define OFF UINT64_C(0x18)
#define IPS 5u /* 48 bits */

/* Event IDs (IHI 0070 §7.3; facts §6.2) */
#define EV_C_BAD_STE 0x04
#define EV_C_BAD_CD 0x0A
#define EV_F_TRANSLATION 0x10

enum cfg {
	C_NONE,           /* STE all zero (V=0) */
	C_ABORT,
	C_BYPASS,
	C_S1,             /* one CD (S1CDMax 0), VMID 0 */
	C_S1_VMID3,       /* one CD, S2VMID 3 */
	C_S1_TAB_SSID0,   /* CD table 1, S1DSS = use CD 0 */
	C_S1_TAB_BYPASS,  /* CD table 1, S1DSS = bypass */
	C_S1_TAB2_SSID0,  /* CD table 2, S1DSS = use CD 0 */
	C_S1_TAB2_BYPASS, /* CD table 2, S1DSS = bypass */
	C_S2_VMID3,
	C_NESTED_VMID3,   /* stage 1 over stage 2, one CD at an IPA */
};

enum cdcfg {
	D_INVALID,  /* all zero */
	D_SVA,      /* TTB0 = pt1, ASID 5 */
	D_SVA_ASID9,
	D_QUIET,    /* EPD0=EPD1=1, A=1, R=0, S=0, ASID 5 */
};

struct behaviour {
	enum smmu_resp resp;
	uint64_t oa;        /* when resp == OK */
	uint8_t event_id;
};

struct fx {
	struct platform p;
	struct pgtable pt1, pt1b, pt2;
	uint64_t buf_a, buf_b, buf_c;
	uint64_t cd_single;  /* one CD for C_S1 */
	uint64_t cdt2;       /* second CD table (16 CDs), not managed */
	/* observer state */
	bool is_cd;
	uint64_t old_ent[8], new_ent[8];
	struct behaviour old_b, new_b;
	bool allow_invalid;
	unsigned writes, invalid_seen;
	bool failed;
	char why[160];
	struct smmu_txn_result last;
	unsigned done;
};

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct fx *f = ctx;

	(void)t;
	f->last = *r;
	f->done++;
}

static struct behaviour dma(struct fx *f)
{
	struct smmu_txn t = { .sid = SID, .addr = VA + OFF, .len = 8 };
	struct behaviour b;
	uint64_t rec[4];
	unsigned before = f->done;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, before + 1);
	b.resp = f->last.resp;
	b.oa = b.resp == SMMU_RESP_OK ? f->last.oa : 0;
	b.event_id = f->last.event_id;
	while (hsmmu_pop_event(f->p.drv, rec))
		;
	return b;
}

static bool same_b(const struct behaviour *a, const struct behaviour *b)
{
	return a->resp == b->resp && a->oa == b->oa &&
	       a->event_id == b->event_id;
}

static void write_raw(struct fx *f, uint64_t pa, const uint64_t e[8])
{
	for (int i = 0; i < 8; i++)
		pmem_write64(f->p.mem, pa + 8 * (uint64_t)i, e[i], NULL);
}

static void make_cd(struct fx *f, enum cdcfg c, uint64_t cd[8])
{
	switch (c) {
	case D_INVALID:
		memset(cd, 0, 8 * sizeof(*cd));
		break;
	case D_SVA:
		hsmmu_cd_from_pgtable(cd, &f->pt1, 5, IPS);
		break;
	case D_SVA_ASID9:
		hsmmu_cd_from_pgtable(cd, &f->pt1, 9, IPS);
		break;
	case D_QUIET:
		hsmmu_cd_quiet(cd, 5, IPS);
		break;
	}
}

static void make_ste(struct fx *f, enum cfg c, uint64_t ste[8])
{
	struct hsmmu_cdtab_info ci;

	switch (c) {
	case C_NONE:
		memset(ste, 0, 8 * sizeof(*ste));
		break;
	case C_ABORT:
		hsmmu_ste_abort(ste);
		break;
	case C_BYPASS:
		hsmmu_ste_bypass(ste);
		break;
	case C_S1:
	case C_S1_VMID3:
		hsmmu_ste_s1_cd(ste, f->cd_single, 0, 0, 0);
		if (c == C_S1_VMID3)
			fset(ste, STE_S2VMID, 3);
		break;
	case C_S1_TAB_SSID0:
	case C_S1_TAB_BYPASS:
		assert_int_equal(hsmmu_ste_s1_cdtab(f->p.drv, SID,
				c == C_S1_TAB_SSID0 ? STE_S1DSS_SSID0
						    : STE_S1DSS_BYPASS, ste),
				 0);
		assert_true(hsmmu_cdtab_info(f->p.drv, SID, &ci));
		break;
	case C_S1_TAB2_SSID0:
	case C_S1_TAB2_BYPASS:
		hsmmu_ste_s1_cd(ste, f->cdt2, STE_S1FMT_LINEAR, 4,
				c == C_S1_TAB2_SSID0 ? STE_S1DSS_SSID0
						     : STE_S1DSS_BYPASS);
		break;
	case C_S2_VMID3:
		hsmmu_ste_s2(ste, &f->pt2, 3, IPS);
		break;
	case C_NESTED_VMID3:
		/* stage 2 maps RAM one to one, so the CD, the stage-1
		 * tables and buf_a keep their addresses as IPAs */
		hsmmu_ste_s2(ste, &f->pt2, 3, IPS);
		fset(ste, STE_CONFIG, STE_CFG_NESTED);
		fset(ste, STE_S1CONTEXTPTR, f->cd_single >> 6);
		fset(ste, STE_S1CIR, 1);
		fset(ste, STE_S1COR, 1);
		fset(ste, STE_S1CSH, 3);
		fset(ste, STE_SHCFG, 0);
		break;
	}
}

static void fx_create(struct fx *f, bool cfgcache)
{
	struct smmu_impl impl;
	char err[128];
	uint64_t cd[8];

	memset(f, 0, sizeof(*f));
	smmu_impl_preset("full", &impl);
	if (!cfgcache)
		impl.cfgcache.ways = 0; /* no configuration cache */
	assert_true(platform_create(&f->p, &impl, 1, 16, err, sizeof(err)));
	f->buf_a = hostmem_alloc(f->p.hm, 0x1000, 0x1000);
	f->buf_b = hostmem_alloc(f->p.hm, 0x1000, 0x1000);
	f->buf_c = hostmem_alloc(f->p.hm, 0x1000, 0x1000);
	f->cd_single = hostmem_alloc(f->p.hm, 64, 64);
	f->cdt2 = hostmem_alloc(f->p.hm, 16 * 64, 16 * 64);
	assert_true(pgtable_init(&f->pt1, f->p.hm, 1, 12, 48));
	assert_true(pgtable_init(&f->pt1b, f->p.hm, 1, 12, 48));
	assert_true(pgtable_init(&f->pt2, f->p.hm, 2, 12, 48));
	assert_true(pgtable_map(&f->pt1, VA, f->buf_a, 0x1000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_true(pgtable_map(&f->pt1b, VA, f->buf_c, 0x1000,
				PT_R | PT_W | PT_USER | PT_NG));
	/* stage 2: VA as an IPA -> buf_b; RAM one to one (for nesting) */
	assert_true(pgtable_map(&f->pt2, VA, f->buf_b, 0x1000, PT_R | PT_W));
	assert_true(pgtable_map(&f->pt2, PLAT_RAM_BASE, PLAT_RAM_BASE,
				PLAT_RAM_SIZE, PT_R | PT_W | PT_BLOCK));
	hsmmu_cd_from_pgtable(cd, &f->pt1, 5, IPS);
	write_raw(f, f->cd_single, cd);
	hsmmu_cd_from_pgtable(cd, &f->pt1b, 6, IPS);
	write_raw(f, f->cdt2, cd);
	/* CD table 1: 16 CDs, CD 0 -> pt1 */
	assert_int_equal(hsmmu_cdtab_alloc(f->p.drv, SID, 4), 0);
	hsmmu_cd_from_pgtable(cd, &f->pt1, 5, IPS);
	assert_int_equal(hsmmu_write_cd(f->p.drv, SID, 0, cd), 0);
}

static void fx_destroy(struct fx *f)
{
	pgtable_destroy(&f->pt1);
	pgtable_destroy(&f->pt1b);
	pgtable_destroy(&f->pt2);
	platform_destroy(&f->p);
}

static bool equal_on_used(const uint64_t *mem, const uint64_t *ent,
			  bool is_cd)
{
	uint64_t used[8];

	if (is_cd)
		cd_used_bits(ent, used);
	else
		ste_used_bits(ent, used);
	for (int i = 0; i < 8; i++)
		if ((mem[i] ^ ent[i]) & used[i])
			return false;
	return true;
}

static void fail_once(struct fx *f, const char *why)
{
	if (!f->failed) {
		f->failed = true;
		snprintf(f->why, sizeof(f->why), "write %u: %s", f->writes,
			 why);
	}
}

/* After every store the driver makes to the entry. */
static void observer(void *ctx, enum hsmmu_entry_kind kind, uint64_t pa,
		     unsigned word)
{
	struct fx *f = ctx;
	uint64_t mem[8];
	struct behaviour b;
	bool v;

	(void)word;
	if ((kind == HSMMU_ENTRY_CD) != f->is_cd) {
		fail_once(f, "write to the wrong kind of entry");
		return;
	}
	f->writes++;
	for (int i = 0; i < 8; i++)
		pmem_read64(f->p.mem, pa + 8 * (uint64_t)i, &mem[i], NULL);
	v = f->is_cd ? fget(mem, CD_V) : fget(mem, STE_V);
	if (!v && fget(f->old_ent, f->is_cd ? CD_V : STE_V) &&
	    fget(f->new_ent, f->is_cd ? CD_V : STE_V)) {
		f->invalid_seen++;
		if (!f->allow_invalid)
			fail_once(f, "entry made invalid in a hitless update");
		return;
	}
	if (!equal_on_used(mem, f->old_ent, f->is_cd) &&
	    !equal_on_used(mem, f->new_ent, f->is_cd))
		fail_once(f, "state is neither old nor new on used bits");
	b = dma(f);
	if (!same_b(&b, &f->old_b) && !same_b(&b, &f->new_b))
		fail_once(f, "DMA behaves as neither old nor new");
}

struct ste_row {
	const char *name;
	enum cfg from, to;
	unsigned syncs;
	bool breaking;     /* takes the V=0 path */
	struct behaviour from_b, to_b;
};

#define OK_A { SMMU_RESP_OK, 0xA, 0 }
#define OK_B { SMMU_RESP_OK, 0xB, 0 }
#define OK_C { SMMU_RESP_OK, 0xC, 0 }
#define OK_BYP { SMMU_RESP_OK, VA + OFF, 0 }
#define ABORT_SILENT { SMMU_RESP_ABORT, 0, 0 }
/* a translation fault, aborted without a record (CD.R=0) */
#define QUIET { SMMU_RESP_ABORT, 0, EV_F_TRANSLATION }

static const struct ste_row ste_rows[] = {
	{ "abort->bypass", C_ABORT, C_BYPASS, 2, false,
	  ABORT_SILENT, OK_BYP },
	{ "bypass->abort", C_BYPASS, C_ABORT, 2, false,
	  OK_BYP, ABORT_SILENT },
	{ "abort->S1 CD table", C_ABORT, C_S1_TAB_SSID0, 2, false,
	  ABORT_SILENT, OK_A },
	{ "S1 CD table->abort", C_S1_TAB_SSID0, C_ABORT, 2, false,
	  OK_A, ABORT_SILENT },
	{ "bypass->S1", C_BYPASS, C_S1, 3, false, OK_BYP, OK_A },
	{ "S1->bypass", C_S1, C_BYPASS, 3, false, OK_A, OK_BYP },
	{ "S1 S1DSS=CD0->bypass", C_S1_TAB_SSID0, C_BYPASS, 3, false,
	  OK_A, OK_BYP },
	{ "bypass->S1 S1DSS=CD0", C_BYPASS, C_S1_TAB_SSID0, 3, false,
	  OK_BYP, OK_A },
	{ "S1 S1DSS=bypass->bypass", C_S1_TAB_BYPASS, C_BYPASS, 2, false,
	  OK_BYP, OK_BYP },
	{ "bypass->S1 S1DSS=bypass", C_BYPASS, C_S1_TAB_BYPASS, 2, false,
	  OK_BYP, OK_BYP },
	{ "S2->abort", C_S2_VMID3, C_ABORT, 2, false, OK_B, ABORT_SILENT },
	{ "abort->S2", C_ABORT, C_S2_VMID3, 2, false, ABORT_SILENT, OK_B },
	{ "S2->bypass", C_S2_VMID3, C_BYPASS, 2, false, OK_B, OK_BYP },
	{ "bypass->S2", C_BYPASS, C_S2_VMID3, 2, false, OK_BYP, OK_B },
	{ "S1->S2 same VMID", C_S1_VMID3, C_S2_VMID3, 3, false, OK_A, OK_B },
	{ "S2->S1 same VMID", C_S2_VMID3, C_S1_VMID3, 3, false, OK_B, OK_A },
	/* S1 uses S2VMID too (NS-EL1): word 0 and word 2 both change */
	{ "S1 VMID0->S2 VMID3", C_S1, C_S2_VMID3, 3, true, OK_A, OK_B },
	{ "CD table ptr only", C_S1_TAB_SSID0, C_S1_TAB2_SSID0, 1, false,
	  OK_A, OK_C },
	{ "CD table ptr and S1DSS", C_S1_TAB_SSID0, C_S1_TAB2_BYPASS, 3, true,
	  OK_A, OK_BYP },
	{ "S2->nested", C_S2_VMID3, C_NESTED_VMID3, 3, false, OK_B, OK_A },
	{ "nested->abort", C_NESTED_VMID3, C_ABORT, 2, false,
	  OK_A, ABORT_SILENT },
	{ "V=0->bypass", C_NONE, C_BYPASS, 2, false,
	  { SMMU_RESP_ABORT, 0, EV_C_BAD_STE }, OK_BYP },
};

static uint64_t resolve_oa(const struct fx *f, uint64_t oa)
{
	if (oa == 0xA)
		return f->buf_a + OFF;
	if (oa == 0xB)
		return f->buf_b + OFF;
	if (oa == 0xC)
		return f->buf_c + OFF;
	return oa;
}

static void run_ste_table(bool cfgcache)
{
	for (unsigned r = 0; r < sizeof(ste_rows) / sizeof(ste_rows[0]);
	     r++) {
		const struct ste_row *row = &ste_rows[r];
		struct fx *f = calloc(1, sizeof(*f));
		uint64_t from[8], to[8], mem[8];
		struct behaviour b;
		uint64_t s0;

		fx_create(f, cfgcache);
		make_ste(f, row->from, from);
		make_ste(f, row->to, to);
		assert_int_equal(hsmmu_write_ste(f->p.drv, SID, from), 0);
		f->old_b = row->from_b;
		f->old_b.oa = resolve_oa(f, f->old_b.oa);
		f->new_b = row->to_b;
		f->new_b.oa = resolve_oa(f, f->new_b.oa);
		b = dma(f);
		expect_field(r, row->name, "old resp", b.resp, f->old_b.resp);
		expect_field(r, row->name, "old oa", b.oa, f->old_b.oa);
		expect_field(r, row->name, "old event", b.event_id,
			     f->old_b.event_id);

		memcpy(f->old_ent, from, sizeof(from));
		memcpy(f->new_ent, to, sizeof(to));
		f->is_cd = false;
		f->allow_invalid = row->breaking;
		if (!cfgcache)
			hsmmu_set_write_observer(f->p.drv, observer, f);
		s0 = hsmmu_sync_count(f->p.drv);
		assert_int_equal(hsmmu_write_ste(f->p.drv, SID, to), 0);
		hsmmu_set_write_observer(f->p.drv, NULL, NULL);
		if (f->failed)
			fail_msg("row %u (%s): %s", r, row->name, f->why);
		expect_field(r, row->name, "syncs",
			     hsmmu_sync_count(f->p.drv) - s0, row->syncs);
		if (!cfgcache)
			expect_field(r, row->name, "V=0 states seen",
				     f->invalid_seen != 0, row->breaking);
		uint64_t ste_pa = hsmmu_ste_pa(f->p.drv, SID);

		for (int i = 0; i < 8; i++)
			pmem_read64(f->p.mem, ste_pa + 8 * (uint64_t)i,
				    &mem[i], NULL);
		for (int i = 0; i < 8; i++)
			expect_field(r, row->name, "final word", mem[i], to[i]);
		b = dma(f);
		expect_field(r, row->name, "new resp", b.resp, f->new_b.resp);
		expect_field(r, row->name, "new oa", b.oa, f->new_b.oa);
		expect_field(r, row->name, "new event", b.event_id,
			     f->new_b.event_id);
		fx_destroy(f);
		free(f);
	}
}

static void test_ste_transitions_live(void **state)
{
	(void)state;
	run_ste_table(false);
}

static void test_ste_transitions_cached(void **state)
{
	(void)state;
	run_ste_table(true);
}

struct cd_row {
	const char *name;
	enum cdcfg from, to;
	unsigned syncs;
	struct behaviour from_b, to_b;
	bool tlbi;  /* the change needs TLBI_NH_ASID 5 afterwards (§5.4) */
};

static const struct cd_row cd_rows[] = {
	{ "ASID change", D_SVA, D_SVA_ASID9, 1, OK_A, OK_A, false },
	{ "CD set", D_INVALID, D_SVA, 2,
	  { SMMU_RESP_ABORT, 0, EV_C_BAD_CD }, OK_A, false },
	{ "CD clear", D_SVA, D_INVALID, 2,
	  OK_A, { SMMU_RESP_ABORT, 0, EV_C_BAD_CD }, true },
	/* the TLB keeps ASID 5's translation until invalidated */
	{ "SVA->quiet", D_SVA, D_QUIET, 2, OK_A, QUIET, true },
	{ "quiet->SVA", D_QUIET, D_SVA, 2, QUIET, OK_A, false },
};

static void tlbi_asid5(struct fx *f)
{
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, OP_TLBI_NH_ASID);
	fset(c, CMD_ASID, 5);
	assert_int_equal(hsmmu_cmd_batch(f->p.drv,
					 (const uint64_t (*)[2])&c, 1), 0);
}

static void test_cd_transitions(void **state)
{
	(void)state;
	for (unsigned pass = 0; pass < 2; pass++) {
		bool cfgcache = pass == 1;

		for (unsigned r = 0; r < sizeof(cd_rows) / sizeof(cd_rows[0]);
		     r++) {
			const struct cd_row *row = &cd_rows[r];
			struct fx *f = calloc(1, sizeof(*f));
			uint64_t from[8], to[8], ste[8], mem[8];
			struct behaviour b;
			uint64_t s0, pa;

			fx_create(f, cfgcache);
			make_cd(f, row->from, from);
			make_cd(f, row->to, to);
			assert_int_equal(hsmmu_write_cd(f->p.drv, SID, 0, from),
					 0);
			make_ste(f, C_S1_TAB_SSID0, ste);
			assert_int_equal(hsmmu_write_ste(f->p.drv, SID, ste),
					 0);
			f->old_b = row->from_b;
			f->old_b.oa = resolve_oa(f, f->old_b.oa);
			f->new_b = row->to_b;
			f->new_b.oa = resolve_oa(f, f->new_b.oa);
			b = dma(f);
			expect_field(r, row->name, "old resp", b.resp,
				     f->old_b.resp);
			expect_field(r, row->name, "old oa", b.oa,
				     f->old_b.oa);
			expect_field(r, row->name, "old event", b.event_id,
				     f->old_b.event_id);

			memcpy(f->old_ent, from, sizeof(from));
			memcpy(f->new_ent, to, sizeof(to));
			f->is_cd = true;
			if (!cfgcache)
				hsmmu_set_write_observer(f->p.drv, observer,
							 f);
			s0 = hsmmu_sync_count(f->p.drv);
			assert_int_equal(hsmmu_write_cd(f->p.drv, SID, 0, to),
					 0);
			hsmmu_set_write_observer(f->p.drv, NULL, NULL);
			if (f->failed)
				fail_msg("row %u (%s): %s", r, row->name,
					 f->why);
			expect_field(r, row->name, "syncs",
				     hsmmu_sync_count(f->p.drv) - s0,
				     row->syncs);
			expect_field(r, row->name, "V=0 states seen",
				     f->invalid_seen, 0);
			if (row->tlbi)
				tlbi_asid5(f);
			pa = hsmmu_cd_pa(f->p.drv, SID, 0);
			for (int i = 0; i < 8; i++)
				pmem_read64(f->p.mem, pa + 8 * (uint64_t)i,
					    &mem[i], NULL);
			for (int i = 0; i < 8; i++)
				expect_field(r, row->name, "final word",
					     mem[i], to[i]);
			b = dma(f);
			expect_field(r, row->name, "new resp", b.resp,
				     f->new_b.resp);
			expect_field(r, row->name, "new oa", b.oa,
				     f->new_b.oa);
			expect_field(r, row->name, "new event", b.event_id,
				     f->new_b.event_id);
			fx_destroy(f);
			free(f);
		}
	}
}

/* Exact used-bit masks for representative entries. */
struct used_row {
	const char *name;
	bool is_cd;
	enum cfg ste;
	enum cdcfg cd;
	uint64_t used[8];
};

#define W_STREAM1 UINT64_C(0xFFFF0000000FF000) /* DRE..MEV, PRIV/INST, IMPDEF */
#define W_OVR1 UINT64_C(0x0000F1FF00000000)    /* MemAttr..ALLOCCFG, SH/NSCFG */
#define W4 UINT64_C(0xFFFF0000FFFFFFFF)        /* IMPDEF, PARTID, MECID */
#define W5 UINT64_C(0x00FFFFFFFFFFF1FF)        /* PMG, MPAM_NS, VMSPtr */

static const struct used_row used_rows[] = {
	{ "STE V=0", false, C_NONE, 0, { 1, 0, 0, 0, 0, 0, 0, 0 } },
	{ "STE abort", false, C_ABORT, 0, { 0xF, 0, 0, 0, 0, 0, 0, 0 } },
	{ "STE bypass", false, C_BYPASS, 0,
	  { 0xF, W_STREAM1 | W_OVR1, 0, 0, W4, W5, 0, 0 } },
	/* one CD: S1Fmt and S1DSS ignored; STRW=NS-EL1 uses S2VMID */
	{ "STE S1 one CD", false, C_S1, 0,
	  { UINT64_C(0xF8FFFFFFFFFFFFCF),
	    W_STREAM1 | UINT64_C(0xFD0000FC), 0xFFFF, 0, W4, W5, 0, 0 } },
	{ "STE S1 S1DSS=bypass", false, C_S1_TAB_BYPASS, 0,
	  { UINT64_C(0xF8FFFFFFFFFFFFFF),
	    W_STREAM1 | W_OVR1 | UINT64_C(0xFD0000FF), 0xFFFF, 0, W4, W5, 0,
	    0 } },
	{ "STE S1 S1DSS=CD0", false, C_S1_TAB_SSID0, 0,
	  { UINT64_C(0xF8FFFFFFFFFFFFFF),
	    W_STREAM1 | UINT64_C(0xFD0000FF), 0xFFFF, 0, W4, W5, 0, 0 } },
	{ "STE S2", false, C_S2_VMID3, 0,
	  { 0xF, W_STREAM1 | W_OVR1 | UINT64_C(0x32000F00),
	    UINT64_C(0xFFFFFFFF0000FFFF), UINT64_C(0x60FFFFFFFFFFFFFF), W4,
	    W5, 0, ~UINT64_C(0) } },
	{ "STE nested", false, C_NESTED_VMID3, 0,
	  { UINT64_C(0xF8FFFFFFFFFFFFCF),
	    W_STREAM1 | UINT64_C(0x3F000FFC), UINT64_C(0xFFFFFFFF0000FFFF),
	    UINT64_C(0x60FFFFFFFFFFFFFF), W4, W5, 0, ~UINT64_C(0) } },
	{ "CD V=0", true, 0, D_INVALID, { 1u << 31, 0, 0, 0, 0, 0, 0, 0 } },
	{ "CD TTB0 only", true, 0, D_SVA,
	  { UINT64_C(0xFFFFFFFFC000FFFF), UINT64_C(0xFCFFFFFFFFFFFFFF),
	    UINT64_C(0x0C00000000000008), ~UINT64_C(0), ~UINT64_C(0),
	    UINT64_C(0x00FFFFFFFFFFFFFF), UINT64_C(0x0000FFFFFFFFFFFF),
	    UINT64_C(0x0000FFFFFFFFFFFF) } },
	{ "CD quiet", true, 0, D_QUIET,
	  { UINT64_C(0xFFFFFFFFC000C000), UINT64_C(0x0C00000000000008),
	    UINT64_C(0x0C00000000000008), ~UINT64_C(0), ~UINT64_C(0),
	    UINT64_C(0x00FFFFFFFFFFFFFF), UINT64_C(0x0000FFFFFFFFFFFF),
	    UINT64_C(0x0000FFFFFFFFFFFF) } },
};

static void test_used_bits(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	(void)state;
	fx_create(f, true);
	for (unsigned r = 0; r < sizeof(used_rows) / sizeof(used_rows[0]);
	     r++) {
		const struct used_row *row = &used_rows[r];
		uint64_t ent[8], used[8];
		static const char *const wn[8] = {
			"used[0]", "used[1]", "used[2]", "used[3]",
			"used[4]", "used[5]", "used[6]", "used[7]",
		};

		if (row->is_cd) {
			make_cd(f, row->cd, ent);
			cd_used_bits(ent, used);
		} else {
			make_ste(f, row->ste, ent);
			ste_used_bits(ent, used);
		}
		for (int i = 0; i < 8; i++)
			expect_field(r, row->name, wn[i], used[i],
				     row->used[i]);
		/* builders leave no bit set that is not used */
		for (int i = 0; i < 8; i++)
			expect_field(r, row->name, "unused bit set",
				     ent[i] & ~used[i], 0);
	}
	fx_destroy(f);
	free(f);
}

/* entry_plan: which words are critical. */
static void test_plan(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const struct {
		enum cfg from, to;
		unsigned mask;
	} rows[] = {
		{ C_ABORT, C_BYPASS, 0x1 },
		{ C_BYPASS, C_S1, 0x1 },
		{ C_S1, C_S2_VMID3, 0x5 },
		{ C_S1_VMID3, C_S2_VMID3, 0x1 },
		{ C_S1_TAB_SSID0, C_S1_TAB2_BYPASS, 0x3 },
		{ C_S1_TAB_SSID0, C_S1_TAB_SSID0, 0x0 },
	};

	(void)state;
	fx_create(f, true);
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		uint64_t a[8], b[8], upd[8];

		make_ste(f, rows[r].from, a);
		make_ste(f, rows[r].to, b);
		expect_field(r, "plan", "critical words",
			     entry_plan(ste_used_bits, a, b, upd),
			     rows[r].mask);
	}
	fx_destroy(f);
	free(f);
}

/* The observer sees exactly the driver's stores, each with its word. */
struct wlog {
	unsigned n;
	unsigned words[32];
	uint64_t pa;
};

static void log_writes(void *ctx, enum hsmmu_entry_kind kind, uint64_t pa,
		       unsigned word)
{
	struct wlog *l = ctx;

	assert_int_equal(kind, HSMMU_ENTRY_STE);
	l->pa = pa;
	if (l->n < 32)
		l->words[l->n] = word;
	l->n++;
}

static void test_write_order(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wlog l = { 0 };
	uint64_t a[8], b[8];

	(void)state;
	fx_create(f, true);
	make_ste(f, C_S1_TAB_SSID0, a);
	make_ste(f, C_S1_TAB2_BYPASS, b);
	assert_int_equal(hsmmu_write_ste(f->p.drv, SID, a), 0);
	hsmmu_set_write_observer(f->p.drv, log_writes, &l);
	/* break-before-make: word 0 (V=0), words 1 (S1DSS, SHCFG), word 0 */
	assert_int_equal(hsmmu_write_ste(f->p.drv, SID, b), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.words[0], 0);
	assert_int_equal(l.words[1], 1);
	assert_int_equal(l.words[2], 0);
	assert_int_equal(l.pa, hsmmu_ste_pa(f->p.drv, SID));
	/* writing the same STE again stores nothing and syncs nothing */
	l.n = 0;
	uint64_t s0 = hsmmu_sync_count(f->p.drv);

	assert_int_equal(hsmmu_write_ste(f->p.drv, SID, b), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(hsmmu_sync_count(f->p.drv), s0);
	/* hsmmu_install_ste is the hitless writer: bypass->abort is one
	 * critical store of word 0, then cleanup of word 1 */
	make_ste(f, C_BYPASS, a);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID, a), 0);
	make_ste(f, C_ABORT, b);
	l.n = 0;
	s0 = hsmmu_sync_count(f->p.drv);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID, b), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.words[0], 0);
	assert_int_equal(l.words[1], 1);
	assert_int_equal(hsmmu_sync_count(f->p.drv) - s0, 2);
	hsmmu_set_write_observer(f->p.drv, NULL, NULL);
	fx_destroy(f);
	free(f);
}

/* Batches: n commands, one CMD_SYNC, one wait. */
static void test_cmd_batch(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint64_t cmds[3][2];
	struct smmu_stats st0, st1;
	uint64_t s0;
	uint32_t cons0;

	(void)state;
	fx_create(f, true);
	memset(cmds, 0, sizeof(cmds));
	for (int i = 0; i < 3; i++) {
		fset(cmds[i], CMD_OPCODE, OP_CFGI_STE);
		fset(cmds[i], CMD_SID, (uint64_t)i);
		fset(cmds[i], CMD_LEAF, 1);
	}
	smmu_get_stats(f->p.smmu, &st0);
	s0 = hsmmu_sync_count(f->p.drv);
	cons0 = hsmmu_read32(f->p.drv, R_CMDQ_CONS);
	assert_int_equal(hsmmu_cmd_batch(f->p.drv,
					 (const uint64_t (*)[2])cmds, 3), 0);
	smmu_get_stats(f->p.smmu, &st1);
	assert_int_equal(hsmmu_sync_count(f->p.drv) - s0, 1);
	assert_int_equal(st1.cmds - st0.cmds, 4);
	assert_int_equal(st1.syncs - st0.syncs, 1);
	assert_int_equal(hsmmu_read32(f->p.drv, R_CMDQ_CONS) - cons0, 4);
	fx_destroy(f);
	free(f);
}

/* CMD_SYNC completion by MSI instead of polling CMDQ_CONS. */
static void test_sync_msi(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint64_t a[8], b[8], s0, s_mode, msi, qbase, slot, c[2];
	uint32_t v = 0, cons;
	struct behaviour r;

	(void)state;
	fx_create(f, true);
	assert_int_equal(hsmmu_sync_msi_pa(f->p.drv), 0);
	s_mode = hsmmu_sync_count(f->p.drv);
	assert_int_equal(hsmmu_set_sync_wait(f->p.drv, HSMMU_SYNC_MSI), 0);
	msi = hsmmu_sync_msi_pa(f->p.drv);
	assert_true(msi != 0);
	make_ste(f, C_BYPASS, a);
	make_ste(f, C_S1, b);
	assert_int_equal(hsmmu_write_ste(f->p.drv, SID, a), 0);
	s0 = hsmmu_sync_count(f->p.drv);
	assert_int_equal(hsmmu_write_ste(f->p.drv, SID, b), 0);
	assert_int_equal(hsmmu_sync_count(f->p.drv) - s0, 3);
	/* the MSI word holds the sequence number of the last CMD_SYNC: one
	 * for the level-2 stream table, two for the bypass install (from
	 * V=0), three for bypass->S1 */
	pmem_read32(f->p.mem, msi, &v, NULL);
	assert_int_equal(v, 6);
	assert_int_equal(hsmmu_sync_count(f->p.drv) - s_mode, 6);
	r = dma(f);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, f->buf_a + OFF);
	/* the last command consumed is a CMD_SYNC with CS=SIG_IRQ, the MSI
	 * address and data */
	qbase = hsmmu_read64(f->p.drv, R_CMDQ_BASE);
	cons = hsmmu_read32(f->p.drv, R_CMDQ_CONS);
	unsigned log2 = (unsigned)rget(qbase, Q_BASE_LOG2SIZE);

	slot = rget(qbase, Q_BASE_ADDR) << 5;
	slot += (uint64_t)(((cons & ((2u << log2) - 1)) - 1) &
			   ((1u << log2) - 1)) * 16;
	pmem_read64(f->p.mem, slot, &c[0], NULL);
	pmem_read64(f->p.mem, slot + 8, &c[1], NULL);
	assert_int_equal(fget(c, CMD_OPCODE), OP_CMD_SYNC);
	assert_int_equal(fget(c, CMD_SYNC_CS), CMD_SYNC_CS_IRQ);
	assert_int_equal(fget(c, CMD_SYNC_MSIDATA), 6);
	assert_int_equal(fget(c, CMD_SYNC_MSIADDR) << 2, msi);
	/* back to polling */
	assert_int_equal(hsmmu_set_sync_wait(f->p.drv, HSMMU_SYNC_POLL_CONS),
			 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	pmem_read32(f->p.mem, msi, &v, NULL);
	assert_int_equal(v, 6);
	fx_destroy(f);
	free(f);
}

/* Without IDR0.MSI the driver keeps polling. */
static void test_sync_msi_unsupported(void **state)
{
	struct platform p;
	struct smmu_impl impl;
	char err[128];

	(void)state;
	smmu_impl_preset("full", &impl);
	impl.msi = false;
	assert_true(platform_create(&p, &impl, 1, 8, err, sizeof(err)));
	assert_int_equal(hsmmu_set_sync_wait(p.drv, HSMMU_SYNC_MSI),
			 -ENOTSUP);
	assert_int_equal(hsmmu_sync_msi_pa(p.drv), 0);
	assert_int_equal(hsmmu_sync(p.drv), 0);
	platform_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_used_bits),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_ste_transitions_live),
		cmocka_unit_test(test_ste_transitions_cached),
		cmocka_unit_test(test_cd_transitions),
		cmocka_unit_test(test_write_order),
		cmocka_unit_test(test_cmd_batch),
		cmocka_unit_test(test_sync_msi),
		cmocka_unit_test(test_sync_msi_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
