/* SPDX-License-Identifier: MIT */
/*
 * End to end: the host driver programs the model over MMIO and memory,
 * a device presents transactions, and the test checks responses, exact
 * latencies, event records and the effect of invalidation commands.
 *
 * Cycle counts are derived from docs/timing.md under the `full` preset:
 * RAM access 100 + 8 per 64-byte line; cfg_lookup 2, ste_decode 4,
 * cd_decode 4, tlb_lookup 2, walkcache_lookup 1 per probe, walk_step 2,
 * perm_check 1.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmu/smmu_internal.h"

#define SID 0x42u
#define VA UINT64_C(0x00007f0000000000)

struct fx {
	struct platform p;
	struct pgtable pt;
	uint64_t buf, cdt;
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

static void write_cd(struct fx *f, uint16_t asid)
{
	uint64_t cd[8];

	hsmmu_cd_from_pgtable(cd, &f->pt, asid, 5);
	for (int i = 0; i < 8; i++)
		pmem_write64(f->p.mem, f->cdt + 8 * (uint64_t)i, cd[i], NULL);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;
	char err[128];
	uint64_t ste[8];

	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&f->p, &impl, 1, 16, err, sizeof(err)));
	f->buf = hostmem_alloc(f->p.hm, 0x4000, 0x1000);
	f->cdt = hostmem_alloc(f->p.hm, 64, 64);
	assert_true(pgtable_init(&f->pt, f->p.hm, 1, 12, 48));
	assert_true(pgtable_map(&f->pt, VA, f->buf, 0x2000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_true(pgtable_map(&f->pt, VA + 0x2000, f->buf + 0x2000, 0x1000,
				PT_R | PT_USER | PT_NG)); /* read-only */
	write_cd(f, 5);
	hsmmu_ste_s1(ste, f->cdt, 0);
	assert_int_equal(hsmmu_install_ste(f->p.drv, SID, ste), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pgtable_destroy(&f->pt);
	platform_destroy(&f->p);
	free(f);
	return 0;
}

/* Present one transaction and run the engine until it completes. */
static struct smmu_txn_result dma(struct fx *f, uint32_t sid, uint64_t va,
				  bool write)
{
	struct smmu_txn t = { .sid = sid, .addr = va, .len = 8,
			      .write = write };
	unsigned before = f->done;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, before + 1);
	return f->last;
}

static uint64_t latency(const struct smmu_txn_result *r)
{
	return r->completed_at - r->submitted_at;
}

static void test_cold_and_warm_latency(void **state)
{
	struct fx *f = *state;
	struct smmu_txn_result r;

	/*
	 * Cold: STE via a 2-level table (cfg_lookup 2 + L1STD 108 + STE 108
	 * + decode 4), CD (2 + 108 + 4), TLB miss (2), 4-level walk with
	 * three walk-cache probes (3 + 4 * (108 + 2)), permission check (1).
	 */
	r = dma(f, SID, VA + 0x10, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, f->buf + 0x10);
	assert_int_equal(latency(&r), 222 + 114 + 2 + 443 + 1);
	/* Warm: both configuration lookups hit, the TLB hits. */
	r = dma(f, SID, VA + 0x18, true);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, f->buf + 0x18);
	assert_int_equal(latency(&r), 2 + 2 + 2 + 1);
	/* Next page: TLB miss, the walk cache supplies the level-3 table:
	 * one probe (1) and one descriptor read (108 + 2). */
	r = dma(f, SID, VA + 0x1008, false);
	assert_int_equal(r.oa, f->buf + 0x1008);
	assert_int_equal(latency(&r), 2 + 2 + 2 + 111 + 1);

	struct smmu_stats st;

	smmu_get_stats(f->p.smmu, &st);
	assert_int_equal(st.tlb_hits, 1);
	assert_int_equal(st.tlb_misses, 2);
}

static void test_translation_fault_record(void **state)
{
	struct fx *f = *state;
	uint64_t rec[4];
	struct smmu_event ev;

	struct smmu_txn_result r = dma(f, SID, VA + 0x5000, false);

	assert_int_equal(r.resp, SMMU_RESP_ABORT); /* CD.A = 1 */
	assert_int_equal(r.event_id, EVT_F_TRANSLATION);
	assert_true(r.event_recorded);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_int_equal(ev.sid, SID);
	assert_false(ev.ssv);
	assert_int_equal(ev.input_addr, VA + 0x5000);
	assert_true(ev.rnw);
	assert_false(ev.s2);
	assert_int_equal(ev.class_, EVT_CLASS_IN);
	assert_false(hsmmu_pop_event(f->p.drv, rec));
}

static void test_permission_fault_on_read_only(void **state)
{
	struct fx *f = *state;
	uint64_t rec[4];
	struct smmu_event ev;

	assert_int_equal(dma(f, SID, VA + 0x2000, false).resp, SMMU_RESP_OK);
	struct smmu_txn_result r = dma(f, SID, VA + 0x2000, true);

	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.event_id, EVT_F_PERMISSION);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_PERMISSION);
	assert_false(ev.rnw);
	assert_int_equal(ev.input_addr, VA + 0x2000);
}

static void cmd(struct fx *f, uint8_t op, uint32_t sid, uint16_t asid,
		uint64_t addr)
{
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, op);
	if (op == OP_CFGI_STE || op == OP_CFGI_CD_ALL)
		fset(c, CMD_SID, sid);
	if (op == OP_TLBI_NH_VA || op == OP_TLBI_NH_ASID)
		fset(c, CMD_ASID, asid);
	if (op == OP_TLBI_NH_VA)
		fset(c, CMD_ADDR, addr >> 12);
	assert_int_equal(hsmmu_cmd(f->p.drv, c), 0);
}

/* A stale TLB entry survives an unmap until TLBI + CMD_SYNC. */
static void test_unmap_needs_tlbi(void **state)
{
	struct fx *f = *state;

	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	pgtable_unmap(&f->pt, VA, 0x1000);
	/* architecturally allowed: the TLB still holds the translation */
	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	cmd(f, OP_TLBI_NH_VA, 0, 5, VA);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	struct smmu_txn_result r = dma(f, SID, VA, false);

	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.event_id, EVT_F_TRANSLATION);
	/* the neighbouring page is still translated (no over-reach) */
	assert_int_equal(dma(f, SID, VA + 0x1000, false).resp, SMMU_RESP_OK);
}

/* A cached STE survives a change in memory until CFGI_STE + CMD_SYNC. */
static void test_ste_change_needs_cfgi(void **state)
{
	struct fx *f = *state;
	uint64_t ste_pa = hsmmu_ste_pa(f->p.drv, SID), w0;

	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	pmem_read64(f->p.mem, ste_pa, &w0, NULL);
	fset(&w0, STE_CONFIG, STE_CFG_ABORT);
	pmem_write64(f->p.mem, ste_pa, w0, NULL);
	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	cmd(f, OP_CFGI_STE, SID, 0, 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	struct smmu_txn_result r = dma(f, SID, VA, false);

	/* Config = abort: aborted, and no event is recorded */
	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.event_id, 0);
	uint64_t rec[4];

	assert_false(hsmmu_pop_event(f->p.drv, rec));
}

/* A CD change (new ASID) needs CFGI_CD_ALL; old-ASID entries are gone
 * from the translation's point of view once the CD says otherwise. */
static void test_cd_asid_change(void **state)
{
	struct fx *f = *state;
	struct smmu_stats st;

	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	write_cd(f, 9);
	cmd(f, OP_CFGI_CD_ALL, SID, 0, 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	smmu_get_stats(f->p.smmu, &st);
	uint64_t misses = st.tlb_misses;

	assert_int_equal(dma(f, SID, VA, false).resp, SMMU_RESP_OK);
	smmu_get_stats(f->p.smmu, &st);
	assert_int_equal(st.tlb_misses, misses + 1); /* ASID 9: new walk */
}

/* A StreamID beyond the stream table: C_BAD_STREAMID (CR2.RECINVSID=1). */
static void test_bad_streamid(void **state)
{
	struct fx *f = *state;
	uint64_t rec[4];
	struct smmu_event ev;
	struct smmu_txn_result r = dma(f, 0x10000, VA, false);

	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_C_BAD_STREAMID);
	assert_int_equal(ev.sid, 0x10000);
	/* A StreamID in range whose level-2 table is absent (L1STD Span 0)
	 * is also C_BAD_STREAMID. */
	r = dma(f, 0x9000, VA, false);
	assert_int_equal(r.event_id, EVT_C_BAD_STREAMID);
}

/* F_UUT: a transaction crossing a 4 KiB boundary. */
static void test_unsupported_txn(void **state)
{
	struct fx *f = *state;
	struct smmu_txn t = { .sid = SID, .addr = VA + 0xFFC, .len = 8 };
	uint64_t rec[4];
	struct smmu_event ev;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_UUT);
	assert_int_equal(ev.reason, 1);
	assert_int_equal(ev.input_addr, VA + 0xFFC);
}

/*
 * Break-before-make violated (§3.21.1): software replaces a level-2 table
 * of 4 KiB pages by an equivalent 2 MiB block and invalidates only one
 * page of the range. The TLB then holds a 4 KiB and a 2 MiB entry for the
 * same address: with BBML 0 the SMMU reports F_TLB_CONFLICT (Reason 1).
 */
static void test_tlb_conflict(void **state)
{
	struct fx *f = *state;
	uint64_t blk_va = VA + 0x40000000, blk_pa, l2slot = 0, d, rec[4];
	struct smmu_event ev;

	blk_pa = hostmem_alloc(f->p.hm, 0x200000, 0x200000);
	assert_true(pgtable_map(&f->pt, blk_va, blk_pa, 0x200000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_int_equal(dma(f, SID, blk_va + 0x1000, false).resp,
			 SMMU_RESP_OK);
	/* find the level-2 slot by walking the 4 KiB tables by hand */
	uint64_t t = f->pt.root;

	for (int l = f->pt.start_level; l <= 2; l++) {
		unsigned sh = 12 + 9 * (unsigned)(3 - l);

		l2slot = t + ((blk_va >> sh) & 0x1FF) * 8;
		pmem_read64(f->p.mem, l2slot, &d, NULL);
		t = d & UINT64_C(0xFFFFFFFFF000);
	}
	/* same output, now one block: AF, SH=ISH, AP=01, nG, PXN/UXN */
	pmem_write64(f->p.mem, l2slot,
		     blk_pa | UINT64_C(0x0060000000000F41), NULL);
	cmd(f, OP_TLBI_NH_VA, 0, 5, blk_va + 0x5000); /* Leaf = 0 */
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	/* another page of the range: TLB miss, walk caches a 2 MiB entry */
	assert_int_equal(dma(f, SID, blk_va + 0x5000, false).resp,
			 SMMU_RESP_OK);
	/* the first page: both entries match */
	struct smmu_txn_result r = dma(f, SID, blk_va + 0x1008, false);

	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.event_id, EVT_F_TLB_CONFLICT);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_TLB_CONFLICT);
	assert_int_equal(ev.reason, 1);
	assert_int_equal(ev.input_addr, blk_va + 0x1008);
	assert_int_equal(ev.sid, SID);
	assert_true(ev.rnw);
	/* software recovers with an invalidation of the range */
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, OP_TLBI_NH_ASID);
	fset(c, CMD_ASID, 5);
	assert_int_equal(hsmmu_cmd(f->p.drv, c), 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	r = dma(f, SID, blk_va + 0x1008, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, blk_pa + 0x1008);
}

/* CD.S (§5.4): stall instead of terminating on translation faults */
#define T_CD_S FLD(0, 44, 44)
/* CMD_RESUME (§4.7.1): Ac/Ab in DW0[13:12] as 1 retry / 2 abort;
 * STAG in DW1[15:0] */
#define T_CMD_RESUME_ACTION FLD(0, 13, 12)
#define T_CMD_RESUME_STAG FLD(1, 15, 0)

static void stall_cd(struct fx *f)
{
	uint64_t w0;

	pmem_read64(f->p.mem, f->cdt, &w0, NULL);
	fset(&w0, T_CD_S, 1);
	pmem_write64(f->p.mem, f->cdt, w0, NULL);
	cmd(f, OP_CFGI_CD_ALL, SID, 0, 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
}

/* Present a transaction that will stall; return its STAG. */
static uint16_t stall_one(struct fx *f, uint64_t va)
{
	struct smmu_txn t = { .sid = SID, .addr = va, .len = 8 };
	uint64_t rec[4];
	struct smmu_event ev;
	unsigned before = f->done;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, before); /* no response: stalled */
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_TRANSLATION);
	assert_true(ev.stall);
	assert_int_equal(ev.input_addr, va);
	return ev.stag;
}

static void resume(struct fx *f, uint16_t stag, unsigned action)
{
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, OP_RESUME);
	fset(c, CMD_SID, SID);
	fset(c, T_CMD_RESUME_ACTION, action);
	fset(c, T_CMD_RESUME_STAG, stag);
	assert_int_equal(hsmmu_cmd(f->p.drv, c), 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	sim_run_to_idle(f->p.sim, 0);
}

static void test_stall_resume(void **state)
{
	struct fx *f = *state;
	uint64_t va = VA + 0x8000;
	unsigned n;

	stall_cd(f);
	/* fault, stall; software maps the page and retries */
	uint16_t stag = stall_one(f, va);

	assert_true(pgtable_map(&f->pt, va, f->buf + 0x3000, 0x1000,
				PT_R | PT_W | PT_USER | PT_NG));
	n = f->done;
	resume(f, stag, 1);
	assert_int_equal(f->done, n + 1);
	assert_int_equal(f->last.resp, SMMU_RESP_OK);
	assert_int_equal(f->last.oa, f->buf + 0x3000);
	assert_true(f->last.stalled);

	/* stall, then terminate with abort */
	stag = stall_one(f, VA + 0x9000);
	n = f->done;
	resume(f, stag, 2);
	assert_int_equal(f->done, n + 1);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);

	/* stall, then terminate without abort: RAZ/WI (TERM_MODEL 0) */
	stag = stall_one(f, VA + 0x9000);
	resume(f, stag, 0);
	assert_int_equal(f->last.resp, SMMU_RESP_RAZWI);

	/* a RESUME for an unknown STAG is a no-op */
	n = f->done;
	resume(f, (uint16_t)(stag + 100), 1);
	assert_int_equal(f->done, n);

	/* two stalls, then CMD_STALL_TERM aborts both on consumption */
	stall_one(f, VA + 0x9000);
	stall_one(f, VA + 0xA000);
	n = f->done;
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, OP_STALL_TERM);
	fset(c, CMD_SID, SID);
	assert_int_equal(hsmmu_cmd(f->p.drv, c), 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, n + 2);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);

	struct smmu_stats st;

	smmu_get_stats(f->p.smmu, &st);
	assert_int_equal(st.stalls, 5);
}

/* STE.EATS (§5.2): 01 = full ATS */
#define T_STE_EATS FLD(1, 29, 28)

static void set_eats(struct fx *f, unsigned eats)
{
	uint64_t pa = hsmmu_ste_pa(f->p.drv, SID), w[2];

	pmem_read64(f->p.mem, pa + 8, &w[1], NULL);
	fset(w, T_STE_EATS, eats);
	pmem_write64(f->p.mem, pa + 8, w[1], NULL);
	cmd(f, OP_CFGI_STE, SID, 0, 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
}

static struct smmu_txn_result ats(struct fx *f, enum smmu_txn_kind kind,
				  uint64_t addr, bool no_write)
{
	struct smmu_txn t = { .sid = SID, .addr = addr, .len = 8,
			      .kind = kind, .no_write = no_write };

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	return f->last;
}

/* ATS Translation Requests and Translated transactions (§3.9). */
static void test_ats(void **state)
{
	struct fx *f = *state;
	struct smmu_txn_result r;
	uint64_t rec[4];
	struct smmu_event ev;

	/* EATS=00: UR and F_BAD_ATS_TREQ */
	r = ats(f, SMMU_TXN_ATS_TREQ, VA, false);
	assert_int_equal(r.resp, SMMU_RESP_UR);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_BAD_ATS_TREQ);
	assert_int_equal(ev.input_addr, VA);

	set_eats(f, 1);
	/* a writable page: R and W, one 4 KiB page, the PA */
	r = ats(f, SMMU_TXN_ATS_TREQ, VA + 0x1000, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, f->buf + 0x1000);
	assert_true(r.ats_r);
	assert_true(r.ats_w);
	assert_false(r.ats_x);
	assert_false(r.ats_priv);
	assert_int_equal(r.ats_size_shift, 12);
	/* NW=1: no write permission requested, none granted */
	r = ats(f, SMMU_TXN_ATS_TREQ, VA + 0x1000, true);
	assert_true(r.ats_r);
	assert_false(r.ats_w);
	/* read-only page: R only */
	r = ats(f, SMMU_TXN_ATS_TREQ, VA + 0x2000, false);
	assert_true(r.ats_r);
	assert_false(r.ats_w);
	/* unmapped: Success granting nothing, and no event */
	r = ats(f, SMMU_TXN_ATS_TREQ, VA + 0x7000, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_false(r.ats_r);
	assert_false(r.ats_w);
	assert_false(hsmmu_pop_event(f->p.drv, rec));

	/* Translated transactions with ATSCHK=0 pass untranslated */
	r = ats(f, SMMU_TXN_TRANSLATED, f->buf + 0x1008, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.oa, f->buf + 0x1008);

	/* ATSCHK=1 and EATS=00: F_TRANSL_FORBIDDEN */
	hsmmu_write32(f->p.drv, R_CR0, 0x1D); /* SMMUEN|EVTQ|CMDQ|ATSCHK */
	sim_run_until(f->p.sim, sim_now(f->p.sim) + 100);
	assert_int_equal(hsmmu_read32(f->p.drv, R_CR0ACK), 0x1D);
	set_eats(f, 0);
	r = ats(f, SMMU_TXN_TRANSLATED, f->buf + 0x1008, true);
	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_true(hsmmu_pop_event(f->p.drv, rec));
	evtq_decode(rec, &ev);
	assert_int_equal(ev.id, EVT_F_TRANSL_FORBIDDEN);
	assert_true(ev.rnw); /* a read */
	/* ATSCHK=1 and EATS=01: allowed */
	set_eats(f, 1);
	r = ats(f, SMMU_TXN_TRANSLATED, f->buf + 0x1008, false);
	assert_int_equal(r.resp, SMMU_RESP_OK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cold_and_warm_latency),
		T(test_translation_fault_record),
		T(test_permission_fault_on_read_only),
		T(test_unmap_needs_tlbi),
		T(test_ste_change_needs_cfgi),
		T(test_cd_asid_change),
		T(test_bad_streamid),
		T(test_unsupported_txn),
		T(test_tlb_conflict),
		T(test_stall_resume),
		T(test_ats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
