/* SPDX-License-Identifier: MIT */
/*
 * The I/O page-fault handler (pri/iopf.h): record decoding, PRI group
 * collection and responses, PRI queue overflow, stop markers, and the
 * stall path end to end (a process's page faulted in while the device's
 * transaction is held, then resumed).
 *
 * Host code reaches the SMMU only through the driver; the test acts as
 * the device with smmu_submit and, for PRI, either hands records to the
 * handler directly or writes them into the PRI queue while PRIQEN is 0
 * (software may then write PRIQ_PROD, §6.3.97), as the SMMU would.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pri/iopf.h"

#define SID 0x21u
#define SID2 0x22u
#define PAGE UINT64_C(0x1000)
#define BUF UINT64_C(0x10000000)     /* RW mapping, 4 pages */
#define RO UINT64_C(0x20000000)      /* read-only mapping, 1 page */
#define HOLE UINT64_C(0x30000000)    /* nothing mapped */

#define MAX_CMDS 64

struct fx {
	struct platform p;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io;
	struct iopf *pf;
	struct hproc *proc;
	struct hmm *mm;
	uint64_t cmds[MAX_CMDS][2];
	uint64_t cmd_at[MAX_CMDS];
	unsigned ncmds;
	struct smmu_txn_result last;
	unsigned done;
};

static void on_cmd(void *ctx, const uint64_t cmd[2])
{
	struct fx *f = ctx;

	assert_true(f->ncmds < MAX_CMDS);
	f->cmds[f->ncmds][0] = cmd[0];
	f->cmds[f->ncmds][1] = cmd[1];
	f->cmd_at[f->ncmds] = sim_now(f->p.sim);
	f->ncmds++;
}

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct fx *f = ctx;

	(void)t;
	f->last = *r;
	f->done++;
}

static int setup(void **state)
{
	const struct iopf_params *params = *state;
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;
	char err[128];
	uint64_t va;

	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&f->p, &impl, 1, 16, err, sizeof(err)));
	f->os = hos_create(f->p.hm);
	f->ps = pasid_space_create(20);
	f->sys = sva_system_create(f->ps);
	f->io = sva_iommu_create(f->sys, f->p.drv);
	assert_non_null(f->io);
	assert_int_equal(iopf_create(f->p.sim, f->p.drv, params, &f->pf),
			 0);
	iopf_set_cmd_observer(f->pf, on_cmd, f);
	f->proc = hos_spawn(f->os, 1000, NULL);
	assert_non_null(f->proc);
	f->mm = hproc_mm(f->proc);
	assert_int_equal(hos_mmap(f->proc, BUF, 4 * PAGE,
				  HPROT_READ | HPROT_WRITE,
				  HMAP_PRIVATE | HMAP_FIXED, &va), 0);
	assert_int_equal(va, BUF);
	assert_int_equal(hos_mmap(f->proc, RO, PAGE, HPROT_READ,
				  HMAP_PRIVATE | HMAP_FIXED, &va), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	iopf_destroy(f->pf);
	assert_int_equal(hsmmu_cmd_error(f->p.drv), 0);
	sva_iommu_destroy(f->io);
	sva_system_destroy(f->sys);
	hos_destroy(f->os);
	pasid_space_destroy(f->ps);
	platform_destroy(&f->p);
	free(f);
	return 0;
}

/* --- helpers ------------------------------------------------------- */

static void feed(struct fx *f, uint32_t sid, bool ssv, uint32_t pasid,
		 uint16_t prgi, uint64_t addr, bool w, bool last)
{
	struct iopf_ppr p = { .sid = sid, .ssv = ssv, .pasid = pasid,
			      .read = true, .write = w, .last = last,
			      .prgi = prgi, .addr = addr };
	uint64_t rec[2];

	iopf_ppr_encode(&p, rec);
	iopf_handle_ppr(f->pf, rec);
}

/* The CMD_PRI_RESP the handler must send. */
static void pri_resp(uint64_t cmd[2], uint32_t sid, bool ssv, uint32_t pasid,
		     uint16_t prgi, unsigned resp)
{
	cmd[0] = cmd[1] = 0;
	fset(cmd, IOPF_CMD_OPCODE, OP_PRI_RESP);
	fset(cmd, IOPF_CMD_SID, sid);
	fset(cmd, IOPF_CMD_SSV, ssv);
	fset(cmd, IOPF_CMD_SSID, pasid);
	fset(cmd, IOPF_CMD_PRI_PRGINDEX, prgi);
	fset(cmd, IOPF_CMD_PRI_RESP, resp);
}

static void expect_cmd(struct fx *f, unsigned i, const uint64_t want[2])
{
	assert_true(i < f->ncmds);
	expect_field(i, "cmd", "DW0", f->cmds[i][0], want[0]);
	expect_field(i, "cmd", "DW1", f->cmds[i][1], want[1]);
}

static void expect_pri_resp(struct fx *f, unsigned i, uint32_t sid,
			    bool ssv, uint32_t pasid, uint16_t prgi,
			    unsigned resp)
{
	uint64_t want[2];

	pri_resp(want, sid, ssv, pasid, prgi, resp);
	expect_cmd(f, i, want);
}

static void resume_cmd(uint64_t cmd[2], uint32_t sid, uint16_t stag,
		       bool retry)
{
	cmd[0] = cmd[1] = 0;
	fset(cmd, IOPF_CMD_OPCODE, OP_RESUME);
	fset(cmd, IOPF_CMD_SID, sid);
	fset(cmd, IOPF_CMD_RESUME_AC, retry);
	fset(cmd, IOPF_CMD_RESUME_AB, !retry);
	fset(cmd, IOPF_CMD_RESUME_STAG, stag);
}

/*
 * Write records into the PRI queue as the SMMU would: PRIQEN off, the
 * records after PROD, PROD advanced (with OVFLG toggled if `overflow`),
 * PRIQEN on again.
 */
static void priq_inject(struct fx *f, const uint64_t (*recs)[2], unsigned n,
			bool overflow)
{
	struct hsmmu *d = f->p.drv;
	uint64_t base = hsmmu_priq_base(d);
	unsigned log2 = hsmmu_priq_log2(d);
	uint32_t prod, wr;

	assert_int_equal(hsmmu_priq_enable(d, false), 0);
	prod = hsmmu_read32(d, R_PRIQ_PROD);
	wr = (uint32_t)rget(prod, Q_IDX_WR);
	for (unsigned i = 0; i < n; i++) {
		uint64_t slot = base + (uint64_t)(wr & ((1u << log2) - 1)) * 16;

		pmem_write64(f->p.mem, slot, recs[i][0], NULL);
		pmem_write64(f->p.mem, slot + 8, recs[i][1], NULL);
		wr = (wr + 1) & ((2u << log2) - 1);
	}
	prod = (uint32_t)rset(prod, Q_IDX_WR, wr);
	if (overflow)
		prod = (uint32_t)rset(prod, Q_OVFLG, !rget(prod, Q_OVFLG));
	hsmmu_write32(d, R_PRIQ_PROD, prod);
	assert_int_equal(hsmmu_read32(d, R_PRIQ_PROD), prod);
	assert_int_equal(hsmmu_priq_enable(d, true), 0);
}

static void rec_of(uint64_t rec[2], uint32_t sid, bool ssv, uint32_t pasid,
		   uint16_t prgi, uint64_t addr, bool r, bool w, bool last)
{
	struct iopf_ppr p = { .sid = sid, .ssv = ssv, .pasid = pasid,
			      .read = r, .write = w, .last = last,
			      .prgi = prgi, .addr = addr };

	iopf_ppr_encode(&p, rec);
}

/* --- record decoding ------------------------------------------------ */

static void test_ppr_decode(void **state)
{
	static const struct {
		const char *name;
		uint64_t dw0, dw1;
		struct iopf_ppr want;
		bool stop;
	} rows[] = {
		{ "StreamID", UINT64_C(0x00000000deadbeef), 0,
		  { .sid = 0xdeadbeef }, false },
		{ "SSV+PASID", UINT64_C(0x800fffff00000001), 0,
		  { .sid = 1, .ssv = true, .pasid = 0xfffff }, false },
		{ "PASID without SSV is UNKNOWN", UINT64_C(0x0001234500000001),
		  0, { .sid = 1 }, false },
		{ "Priv", UINT64_C(0x8400000100000000), 0,
		  { .ssv = true, .pasid = 1, .priv = true }, false },
		{ "Exec", UINT64_C(0x8800000100000000), 0,
		  { .ssv = true, .pasid = 1, .exec = true }, false },
		{ "Read", UINT64_C(0x1000000000000000), 0,
		  { .read = true }, false },
		{ "Write", UINT64_C(0x2000000000000000), 0,
		  { .write = true }, false },
		{ "Last (no PASID: a request)", UINT64_C(0x4000000000000000),
		  0, { .last = true }, false },
		{ "stop marker", UINT64_C(0xc000000700000009), 0,
		  { .sid = 9, .ssv = true, .pasid = 7, .last = true }, true },
		{ "Last+Read with PASID", UINT64_C(0xd000000700000009), 0,
		  { .sid = 9, .ssv = true, .pasid = 7, .last = true,
		    .read = true }, false },
		{ "PRGIndex", 0, UINT64_C(0x00000000000001ff),
		  { .prgi = 0x1ff }, false },
		{ "address, bits [11:0] ignored",
		  0, UINT64_C(0xfedcba9876543e00),
		  { .addr = UINT64_C(0xfedcba9876543000), .prgi = 0 }, false },
		{ "address and PRGIndex", 0, UINT64_C(0x00007f0000012085),
		  { .addr = UINT64_C(0x00007f0000012000), .prgi = 0x85 },
		  false },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t rec[2] = { rows[i].dw0, rows[i].dw1 }, back[2];
		const struct iopf_ppr *w = &rows[i].want;
		struct iopf_ppr p;

		iopf_ppr_decode(rec, &p);
		expect_field(i, rows[i].name, "sid", p.sid, w->sid);
		expect_field(i, rows[i].name, "ssv", p.ssv, w->ssv);
		expect_field(i, rows[i].name, "pasid", p.pasid, w->pasid);
		expect_field(i, rows[i].name, "priv", p.priv, w->priv);
		expect_field(i, rows[i].name, "exec", p.exec, w->exec);
		expect_field(i, rows[i].name, "read", p.read, w->read);
		expect_field(i, rows[i].name, "write", p.write, w->write);
		expect_field(i, rows[i].name, "last", p.last, w->last);
		expect_field(i, rows[i].name, "prgi", p.prgi, w->prgi);
		expect_field(i, rows[i].name, "addr", p.addr, w->addr);
		expect_field(i, rows[i].name, "stop", iopf_ppr_is_stop(&p),
			     rows[i].stop);
		/* the encoder gives back the record, minus ignored bits */
		iopf_ppr_encode(&p, back);
		expect_field(i, rows[i].name, "enc DW0", back[0],
			     p.ssv ? rows[i].dw0 :
				     rows[i].dw0 & ~fld_mask(PPR_SSID));
		expect_field(i, rows[i].name, "enc DW1", back[1],
			     rows[i].dw1 & ~UINT64_C(0xe00));
	}
}

static void test_fault_decode(void **state)
{
	/* F_PERMISSION, SSV, SSID 0x12345, SID 0x21; STAG 0xbeef, Stall,
	 * PnU, InD, RnW, S2=0, CLASS=IN; InputAddr */
	uint64_t rec[4] = {
		UINT64_C(0x0000002112345813),
		UINT64_C(0x0000020e8000beef),
		UINT64_C(0x00007f0000001234),
		0,
	};
	struct iopf_fault e;

	(void)state;
	iopf_fault_decode(rec, &e);
	assert_int_equal(e.id, 0x13);
	assert_true(e.ssv);
	assert_int_equal(e.pasid, 0x12345);
	assert_int_equal(e.sid, 0x21);
	assert_int_equal(e.stag, 0xbeef);
	assert_true(e.stall);
	assert_true(e.pnu);
	assert_true(e.ind);
	assert_true(e.rnw);
	assert_false(e.s2);
	assert_int_equal(e.cls, 2);
	assert_int_equal(e.addr, UINT64_C(0x00007f0000001234));
	/* S2 and no SSV: PASID reads 0 */
	rec[0] = UINT64_C(0x0000002112345010);
	rec[1] = UINT64_C(0x0000008000000000);
	iopf_fault_decode(rec, &e);
	assert_false(e.ssv);
	assert_int_equal(e.pasid, 0);
	assert_true(e.s2);
	assert_false(e.stall);
	assert_false(e.rnw);
	assert_int_equal(e.cls, 0);
}

/* --- groups ---------------------------------------------------------- */

static void test_groups_interleaved(void **state)
{
	struct fx *f = *state;
	struct iopf_stats st;

	assert_int_equal(iopf_bond_add(f->pf, SID, true, 5, f->mm), 0);
	assert_int_equal(iopf_bond_add(f->pf, SID2, true, 5, f->mm), 0);
	assert_int_equal(iopf_bond_add(f->pf, SID, true, 5, f->mm), -EEXIST);
	/* A = (SID, 5, 1), B = (SID, 5, 2), C = (SID2, 5, 1),
	 * D = (SID, 6, 1): same PRGIndex as A, other PASID */
	feed(f, SID, true, 5, 1, BUF, false, false);          /* A */
	feed(f, SID, true, 5, 2, BUF + PAGE, true, false);    /* B */
	feed(f, SID2, true, 5, 1, BUF + 2 * PAGE, false, false); /* C */
	feed(f, SID, true, 6, 1, BUF, false, false);          /* D */
	assert_int_equal(iopf_partial_groups(f->pf), 4);
	feed(f, SID, true, 5, 2, BUF + 3 * PAGE, true, true); /* B ends */
	assert_int_equal(iopf_partial_groups(f->pf), 3);
	feed(f, SID, true, 5, 1, HOLE, false, false);         /* A: bad page */
	feed(f, SID2, true, 5, 1, BUF + 3 * PAGE, false, true); /* C ends */
	feed(f, SID, true, 5, 1, BUF + PAGE, false, true);    /* A ends */
	assert_int_equal(iopf_partial_groups(f->pf), 1);      /* D */
	assert_int_equal(iopf_pending_responses(f->pf), 3);
	assert_int_equal(f->ncmds, 0);
	assert_int_equal(iopf_send_due(f->pf), 0);
	assert_int_equal(f->ncmds, 3);
	expect_pri_resp(f, 0, SID, true, 5, 2, IOPF_RESP_SUCCESS);
	expect_pri_resp(f, 1, SID2, true, 5, 1, IOPF_RESP_SUCCESS);
	expect_pri_resp(f, 2, SID, true, 5, 1, IOPF_RESP_INVALID);
	/* B wrote both its pages in, C read BUF+2 and BUF+3, A stopped at
	 * the hole after BUF */
	assert_int_equal(hmm_rss(f->mm), 4);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.pprs, 8);
	assert_int_equal(st.groups, 3);
	assert_int_equal(st.resp_success, 2);
	assert_int_equal(st.resp_invalid, 1);
	assert_int_equal(st.resp_failure, 0);
	assert_int_equal(st.faults_ok, 5);
	assert_int_equal(st.faults_failed, 1);
	/* D without PASID 6 bound: Response Failure, with its PASID */
	feed(f, SID, true, 6, 1, BUF, false, true);
	iopf_send_due(f->pf);
	expect_pri_resp(f, 3, SID, true, 6, 1, IOPF_RESP_FAILURE);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(hsmmu_cmd_error(f->p.drv), 0);
}

/* Success / Invalid Request per page state and access */
static void test_resp_per_page(void **state)
{
	struct fx *f = *state;
	uint64_t v = 0x1122334455667788ull;
	static const struct {
		const char *name;
		uint64_t addr;
		bool write, exec;
		unsigned resp;
		uint64_t rss_after;  /* pages present afterwards */
	} rows[] = {
		{ "present, read", BUF, false, false, IOPF_RESP_SUCCESS, 1 },
		{ "present, write", BUF, true, false, IOPF_RESP_SUCCESS, 1 },
		{ "not yet present, read", BUF + PAGE, false, false,
		  IOPF_RESP_SUCCESS, 2 },
		{ "not yet present, write", BUF + 2 * PAGE, true, false,
		  IOPF_RESP_SUCCESS, 3 },
		{ "read-only, read", RO, false, false, IOPF_RESP_SUCCESS, 4 },
		{ "read-only, write", RO, true, false, IOPF_RESP_INVALID, 4 },
		{ "no exec, exec", BUF + 3 * PAGE, false, true,
		  IOPF_RESP_INVALID, 4 },
		{ "unmapped, read", HOLE, false, false, IOPF_RESP_INVALID, 4 },
		{ "unmapped, write", HOLE + PAGE, true, false,
		  IOPF_RESP_INVALID, 4 },
		{ "beyond the VA space", UINT64_C(1) << 48, false, false,
		  IOPF_RESP_INVALID, 4 },
	};

	assert_int_equal(hproc_write(f->proc, BUF, &v, sizeof(v)), 0);
	assert_int_equal(hmm_rss(f->mm), 1);
	assert_int_equal(iopf_bond_add(f->pf, SID, true, 3, f->mm), 0);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct iopf_ppr p = { .sid = SID, .ssv = true, .pasid = 3,
				      .read = true, .write = rows[i].write,
				      .exec = rows[i].exec, .last = true,
				      .prgi = (uint16_t)i,
				      .addr = rows[i].addr };
		uint64_t rec[2], want[2];

		iopf_ppr_encode(&p, rec);
		iopf_handle_ppr(f->pf, rec);
		assert_int_equal(iopf_send_due(f->pf), 0);
		assert_int_equal(f->ncmds, i + 1);
		pri_resp(want, SID, true, 3, (uint16_t)i, rows[i].resp);
		expect_field(i, rows[i].name, "DW0", f->cmds[i][0], want[0]);
		expect_field(i, rows[i].name, "DW1", f->cmds[i][1], want[1]);
		expect_field(i, rows[i].name, "rss", hmm_rss(f->mm),
			     rows[i].rss_after);
	}
	/* the process still sees its data */
	uint64_t back = 0;

	assert_int_equal(hproc_read(f->proc, BUF, &back, sizeof(back)), 0);
	assert_int_equal(back, v);
}

/* Response Failure only when there is nothing to judge against. */
static void test_failure_only_without_bond(void **state)
{
	struct fx *f = *state;
	struct iopf_stats st;

	/* nothing bound at all, with and without PASID */
	feed(f, SID, true, 9, 4, BUF, false, true);
	feed(f, SID, false, 0, 5, BUF, false, true);
	/* the RID (no PASID) bound: judged, a hole is Invalid Request */
	assert_int_equal(iopf_bond_add(f->pf, SID, false, 0, f->mm), 0);
	feed(f, SID, false, 0, 6, HOLE, false, true);
	feed(f, SID, false, 0, 7, BUF, true, true);
	/* a PASID bound, an unknown PASID on the same stream */
	assert_int_equal(iopf_bond_add(f->pf, SID, true, 9, f->mm), 0);
	feed(f, SID, true, 9, 8, HOLE, true, true);
	feed(f, SID, true, 10, 9, BUF, false, true);
	assert_int_equal(iopf_send_due(f->pf), 0);
	assert_int_equal(f->ncmds, 6);
	expect_pri_resp(f, 0, SID, true, 9, 4, IOPF_RESP_FAILURE);
	expect_pri_resp(f, 1, SID, false, 0, 5, IOPF_RESP_FAILURE);
	expect_pri_resp(f, 2, SID, false, 0, 6, IOPF_RESP_INVALID);
	expect_pri_resp(f, 3, SID, false, 0, 7, IOPF_RESP_SUCCESS);
	expect_pri_resp(f, 4, SID, true, 9, 8, IOPF_RESP_INVALID);
	expect_pri_resp(f, 5, SID, true, 10, 9, IOPF_RESP_FAILURE);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.resp_failure, 3);
	assert_int_equal(st.resp_invalid, 2);
	assert_int_equal(st.resp_success, 1);
	/* deleting the bond makes the stream unknown again */
	assert_int_equal(iopf_bond_del(f->pf, SID, true, 9), 0);
	assert_int_equal(iopf_bond_del(f->pf, SID, true, 9), -ENOENT);
	feed(f, SID, true, 9, 10, BUF, false, true);
	iopf_send_due(f->pf);
	expect_pri_resp(f, 6, SID, true, 9, 10, IOPF_RESP_FAILURE);
}

/* A lookup hook replaces the table. */
struct hook_ctx {
	struct hmm *mm;
	unsigned calls;
	uint32_t sid, pasid;
	bool ssv;
};

static struct hmm *hook(void *ctx, uint32_t sid, bool ssv, uint32_t pasid)
{
	struct hook_ctx *h = ctx;

	h->calls++;
	h->sid = sid;
	h->ssv = ssv;
	h->pasid = pasid;
	return pasid == 0x77 ? h->mm : NULL;
}

static void test_lookup_hook(void **state)
{
	struct fx *f = *state;
	struct hook_ctx h = { .mm = f->mm };

	iopf_set_lookup(f->pf, hook, &h);
	feed(f, SID2, true, 0x77, 3, BUF, true, true);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.sid, SID2);
	assert_true(h.ssv);
	assert_int_equal(h.pasid, 0x77);
	feed(f, SID2, true, 0x78, 3, BUF, true, true);
	iopf_send_due(f->pf);
	expect_pri_resp(f, 0, SID2, true, 0x77, 3, IOPF_RESP_SUCCESS);
	expect_pri_resp(f, 1, SID2, true, 0x78, 3, IOPF_RESP_FAILURE);
	iopf_set_lookup(f->pf, NULL, NULL);
}

/* --- the PRI queue ----------------------------------------------------- */

static void test_priq_drain(void **state)
{
	struct fx *f = *state;
	uint64_t recs[3][2];

	assert_true(hsmmu_has_pri(f->p.drv));
	assert_true(hsmmu_priq_enabled(f->p.drv));
	assert_int_equal(hsmmu_priq_log2(f->p.drv), 8);
	assert_int_equal(iopf_bond_add(f->pf, SID, true, 4, f->mm), 0);
	rec_of(recs[0], SID, true, 4, 0x1a, BUF, true, false, false);
	rec_of(recs[1], SID, true, 4, 0x1b, RO, true, true, true);
	rec_of(recs[2], SID, true, 4, 0x1a, BUF + PAGE, true, false, true);
	priq_inject(f, recs, 3, false);
	assert_int_equal(iopf_process(f->pf), 3);
	/* consumed: CONS = PROD, no overflow acknowledged */
	assert_int_equal(hsmmu_read32(f->p.drv, R_PRIQ_CONS), 3);
	assert_int_equal(f->ncmds, 2);
	expect_pri_resp(f, 0, SID, true, 4, 0x1b, IOPF_RESP_INVALID);
	expect_pri_resp(f, 1, SID, true, 4, 0x1a, IOPF_RESP_SUCCESS);
	assert_int_equal(iopf_process(f->pf), 0);
	assert_int_equal(hsmmu_cmd_error(f->p.drv), 0);
}

static void test_priq_overflow(void **state)
{
	struct fx *f = *state;
	uint64_t recs[4][2];
	struct iopf_stats st;

	assert_int_equal(iopf_bond_add(f->pf, SID, true, 4, f->mm), 0);
	/* a partial group from before */
	feed(f, SID, true, 4, 0x30, BUF, false, false);
	/* written before the overflow: X partial, Y complete, Z partial */
	rec_of(recs[0], SID, true, 4, 0x31, BUF, true, false, false);
	rec_of(recs[1], SID, true, 4, 0x32, BUF + PAGE, true, false, false);
	rec_of(recs[2], SID, true, 4, 0x32, BUF + 2 * PAGE, true, false,
	       true);
	rec_of(recs[3], SID2, false, 0, 0x33, BUF, true, false, false);
	priq_inject(f, recs, 4, true);
	assert_true(hsmmu_priq_overflow(f->p.drv));
	assert_int_equal(iopf_process(f->pf), 4);
	assert_false(hsmmu_priq_overflow(f->p.drv));
	/* CONS: RD 4, OVACKFLG = OVFLG = 1 */
	assert_int_equal(hsmmu_read32(f->p.drv, R_PRIQ_CONS), 0x80000004u);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(f->ncmds, 1);
	expect_pri_resp(f, 0, SID, true, 4, 0x32, IOPF_RESP_SUCCESS);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.overflows, 1);
	assert_int_equal(st.groups_discarded, 3);
	/* the Last=1 of a discarded group after the overflow is a new,
	 * one-page group */
	rec_of(recs[0], SID, true, 4, 0x31, BUF + 3 * PAGE, true, false,
	       true);
	priq_inject(f, recs, 1, false);
	assert_int_equal(iopf_process(f->pf), 1);
	assert_int_equal(hsmmu_read32(f->p.drv, R_PRIQ_CONS), 0x80000005u);
	expect_pri_resp(f, 1, SID, true, 4, 0x31, IOPF_RESP_SUCCESS);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.overflows, 1);
}

/* Stop marker: partial groups of the PASID dropped, iopf_pasid_stop
 * waits for it and flushes the PASID's delayed responses. */
static void test_stop_marker(void **state)
{
	struct fx *f = *state;
	uint64_t recs[2][2], t0;
	struct iopf_stats st;

	assert_int_equal(iopf_bond_add(f->pf, SID, true, 4, f->mm), 0);
	assert_int_equal(iopf_bond_add(f->pf, SID, true, 8, f->mm), 0);
	iopf_set_resp_delay(f->pf, 5000);
	t0 = sim_now(f->p.sim);
	feed(f, SID, true, 4, 1, BUF, false, true);   /* answered later */
	feed(f, SID, true, 8, 2, BUF, false, true);   /* other PASID */
	feed(f, SID, true, 4, 3, BUF, false, false);  /* partial */
	feed(f, SID, true, 8, 3, BUF, false, false);  /* partial, PASID 8 */
	assert_int_equal(iopf_pending_responses(f->pf), 2);
	assert_int_equal(iopf_next_due(f->pf), t0 + 5000);
	assert_int_equal(iopf_send_due(f->pf), 0);
	assert_int_equal(f->ncmds, 0);

	/* no marker yet: waits exactly the timeout, then flushes */
	assert_int_equal(iopf_pasid_stop(f->pf, SID, 4, true, 800),
			 -ETIMEDOUT);
	assert_int_equal(f->ncmds, 1);
	/* sent when the wait ended, not at its due time */
	assert_int_equal(f->cmd_at[0], t0 + 800);
	expect_pri_resp(f, 0, SID, true, 4, 1, IOPF_RESP_SUCCESS);
	assert_int_equal(iopf_partial_groups(f->pf), 1);  /* PASID 8's */
	assert_int_equal(iopf_pending_responses(f->pf), 1);

	/* the device stops PASID 8: marker in the queue after a PPR */
	rec_of(recs[0], SID, true, 8, 5, BUF + PAGE, true, false, false);
	rec_of(recs[1], SID, true, 8, 0, 0, false, false, true);
	priq_inject(f, recs, 2, false);
	t0 = sim_now(f->p.sim);
	assert_int_equal(iopf_pasid_stop(f->pf, SID, 8, true, 100000), 0);
	/* found at the first poll: no waiting */
	assert_int_equal(sim_now(f->p.sim) - t0 < 5000, true);
	assert_int_equal(f->ncmds, 2);
	expect_pri_resp(f, 1, SID, true, 8, 2, IOPF_RESP_SUCCESS);
	assert_true(f->cmd_at[1] < f->cmd_at[0] + 5000);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(iopf_pending_responses(f->pf), 0);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.stop_markers, 1);
	/* PASID 4's partial by the flush, PASID 8's two by the marker */
	assert_int_equal(st.groups_discarded, 3);
	/* the marker was taken: waiting again times out */
	assert_int_equal(iopf_pasid_stop(f->pf, SID, 8, true, 64),
			 -ETIMEDOUT);
	/* no waiting asked: returns at once */
	t0 = sim_now(f->p.sim);
	assert_int_equal(iopf_pasid_stop(f->pf, SID, 8, false, 64), 0);
	assert_int_equal(sim_now(f->p.sim), t0);
}

/* --- stalls end to end ------------------------------------------------ */

struct stall_fx {
	struct sva_dev *dev;
	struct sva_bond *bond;
	uint32_t pasid;
};

/* An SVA device that can stall, bound to the process, its CD made to
 * stall (CD.S=1, §5.4) with a hitless update. */
static void stall_setup(struct fx *f, struct stall_fx *s)
{
	struct sva_dev_params p = { .sid = SID, .pasid_bits = 8,
				    .flags = SVA_DEV_STALL };
	uint64_t cd[8];
	uint64_t pa;

	assert_int_equal(sva_dev_add(f->io, &p, &s->dev), 0);
	assert_int_equal(sva_bind(s->dev, f->mm, &s->bond), 0);
	s->pasid = sva_bond_pasid(s->bond);
	assert_int_equal(s->pasid, 1);
	pa = sva_dev_cd_pa(s->dev, s->pasid);
	for (int i = 0; i < 8; i++)
		pmem_read64(f->p.mem, pa + 8 * (uint64_t)i, &cd[i], NULL);
	assert_int_equal(fget(cd, CD_S), 0);
	fset(cd, CD_S, 1);
	assert_int_equal(hsmmu_write_cd(f->p.drv, SID, s->pasid, cd), 0);
	assert_int_equal(iopf_bond_add_sva(f->pf, s->bond), 0);
}

static void stall_teardown(struct fx *f, struct stall_fx *s)
{
	assert_int_equal(iopf_pasid_stop(f->pf, SID, s->pasid, false, 0), 0);
	assert_int_equal(iopf_bond_del_sva(f->pf, s->bond), 0);
	sva_unbind(s->bond);
	sva_dev_remove(s->dev);
	assert_int_equal(sva_iommu_cmd_failures(f->io), 0);
}

/* Present one DMA; true if it completed without the handler. */
static bool dma(struct fx *f, uint32_t pasid, uint64_t va, bool write)
{
	struct smmu_txn t = { .sid = SID, .ssv = true, .ssid = pasid,
			      .addr = va, .len = 8, .write = write };
	unsigned before = f->done;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	return f->done != before;
}

static void test_stall_e2e(void **state)
{
	struct fx *f = *state;
	struct stall_fx s;
	uint64_t want[2], data = 0xfeedfacecafebeefull, got = 0;
	struct iopf_stats st;
	unsigned n;

	stall_setup(f, &s);
	/* a page with data, reclaimed: its PTE is gone, its contents in
	 * swap */
	assert_int_equal(hproc_write(f->proc, BUF + 0x40, &data, 8), 0);
	assert_int_equal(hos_reclaim(f->mm, BUF), 0);
	assert_int_equal(hmm_rss(f->mm), 0);

	/* read: stalls; the handler faults the page back, retries */
	assert_false(dma(f, s.pasid, BUF + 0x40, false));
	n = f->done;
	assert_int_equal(iopf_process(f->pf), 1);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, n + 1);
	assert_int_equal(f->last.resp, SMMU_RESP_OK);
	assert_true(f->last.stalled);
	pmem_read64(f->p.mem, f->last.oa, &got, NULL);
	assert_int_equal(got, data);
	assert_int_equal(f->ncmds, 1);
	resume_cmd(want, SID, 0, true);
	expect_cmd(f, 0, want);

	/* write to a page never touched: faulted in for writing; the
	 * device's data is what the process then reads */
	assert_false(dma(f, s.pasid, BUF + 2 * PAGE + 8, true));
	iopf_process(f->pf);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->last.resp, SMMU_RESP_OK);
	pmem_write64(f->p.mem, f->last.oa, data ^ 1, NULL);
	assert_int_equal(hproc_read(f->proc, BUF + 2 * PAGE + 8, &got, 8), 0);
	assert_int_equal(got, data ^ 1);
	resume_cmd(want, SID, 1, true);
	expect_cmd(f, 1, want);

	/* write to the read-only VMA: stalls, aborted */
	assert_false(dma(f, s.pasid, RO + 0x10, true));
	n = f->done;
	iopf_process(f->pf);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, n + 1);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);
	resume_cmd(want, SID, 2, false);
	expect_cmd(f, 2, want);

	/* unmapped: stalls, aborted */
	assert_false(dma(f, s.pasid, HOLE, false));
	iopf_process(f->pf);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);
	resume_cmd(want, SID, 3, false);
	expect_cmd(f, 3, want);
	assert_int_equal(f->ncmds, 4);

	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.stalls, 4);
	assert_int_equal(st.resume_retry, 2);
	assert_int_equal(st.resume_abort, 2);
	assert_int_equal(st.faults_ok, 2);
	assert_int_equal(st.faults_failed, 2);
	assert_int_equal(st.events_kept, 0);
	stall_teardown(f, &s);
}

/* A slow handler: the RESUME goes out resp_delay cycles later. */
static void test_stall_delay(void **state)
{
	struct fx *f = *state;
	struct stall_fx s;
	uint64_t t0;
	unsigned n;

	stall_setup(f, &s);
	iopf_set_resp_delay(f->pf, 500);
	assert_false(dma(f, s.pasid, BUF, false));
	n = f->done;
	t0 = sim_now(f->p.sim);
	iopf_process(f->pf);
	assert_int_equal(f->ncmds, 0);
	assert_int_equal(iopf_pending_responses(f->pf), 1);
	assert_int_equal(iopf_next_due(f->pf), t0 + 500);
	iopf_run(f->pf, 499);
	assert_int_equal(f->ncmds, 0);
	assert_int_equal(f->done, n);
	iopf_run(f->pf, 1);
	assert_int_equal(f->ncmds, 1);
	assert_int_equal(f->cmd_at[0], t0 + 500);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, n + 1);
	assert_int_equal(f->last.resp, SMMU_RESP_OK);
	iopf_set_resp_delay(f->pf, 0);
	stall_teardown(f, &s);
}

/* Events that are not stalls are kept for the caller, or passed on. */
struct ev_ctx {
	unsigned n;
	uint64_t rec[4];
};

static void on_event(void *ctx, const uint64_t rec[4])
{
	struct ev_ctx *e = ctx;

	e->n++;
	memcpy(e->rec, rec, sizeof(e->rec));
}

static void test_other_events_kept(void **state)
{
	struct fx *f = *state;
	struct stall_fx s;
	struct ev_ctx e = { 0 };
	uint64_t rec[4];
	struct smmu_txn t = { .sid = SID, .addr = BUF, .len = 8 };

	stall_setup(f, &s);
	/* no PASID: S1DSS=terminate, F_STREAM_DISABLED (no stall) */
	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->last.resp, SMMU_RESP_ABORT);
	assert_int_equal(iopf_process(f->pf), 1);
	assert_int_equal(f->ncmds, 0);
	assert_true(iopf_pop_event(f->pf, rec));
	assert_int_equal(fget(rec, EVR_ID), 0x06);
	assert_int_equal(fget(rec, EVR_SID), SID);
	assert_int_equal(fget(rec, EVR_SSV), 0);
	assert_int_equal(fget(rec, EVR_STALL), 0);
	assert_false(iopf_pop_event(f->pf, rec));

	/* with a callback: handed over, not kept */
	iopf_set_event_handler(f->pf, on_event, &e);
	t.ssv = true;
	t.ssid = 2;  /* a PASID with no CD: C_BAD_CD */
	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(iopf_process(f->pf), 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(fget(e.rec, EVR_ID), 0x0A);
	assert_int_equal(fget(e.rec, EVR_SSID), 2);
	assert_false(iopf_pop_event(f->pf, rec));
	iopf_set_event_handler(f->pf, NULL, NULL);
	stall_teardown(f, &s);
}

/* --- PRI end to end: smmu_pri_request -> PRI queue -> handler ->
 * CMD_PRI_RESP -> the endpoint's PRG Response ---------------------------- */

#define EP_MAX 16

struct ep_log {
	struct sim *sim;
	unsigned n;
	struct smmu_pri_resp r[EP_MAX];
	uint64_t at[EP_MAX];
};

static void ep_pri_resp(void *ctx, const struct smmu_pri_resp *r)
{
	struct ep_log *l = ctx;

	assert_true(l->n < EP_MAX);
	l->at[l->n] = sim_now(l->sim);
	l->r[l->n++] = *r;
}

static void expect_prg_resp(const struct ep_log *l, unsigned i, uint32_t sid,
			    bool ssv, uint32_t ssid, uint16_t prgi,
			    uint8_t code)
{
	assert_true(i < l->n);
	expect_field(i, "PRG response", "sid", l->r[i].sid, sid);
	expect_field(i, "PRG response", "ssv", l->r[i].ssv, ssv);
	expect_field(i, "PRG response", "ssid", l->r[i].ssid, ssid);
	expect_field(i, "PRG response", "prgi", l->r[i].prgi, prgi);
	expect_field(i, "PRG response", "code", l->r[i].code, code);
}

static void attach_ep(struct fx *f, struct ep_log *l)
{
	struct smmu_endpoint_ops ops = { .pri_resp = ep_pri_resp, .ctx = l };

	memset(l, 0, sizeof(*l));
	l->sim = f->p.sim;
	assert_true(smmu_attach_endpoint(f->p.smmu, SID, 2, &ops));
}

static void ppr(struct fx *f, bool ssv, uint32_t pasid, uint16_t prgi,
		uint64_t addr, bool r, bool w, bool last)
{
	struct smmu_page_request m = { .sid = SID, .ssv = ssv, .ssid = pasid,
				       .read = r, .write = w, .last = last,
				       .prgi = prgi, .addr = addr };

	smmu_pri_request(f->p.smmu, &m);
}

/* PCIe PRG Response codes */
enum { PRG_SUCCESS = 0x0, PRG_INVALID = 0x1, PRG_FAILURE = 0xF };

static void test_pri_e2e(void **state)
{
	struct fx *f = *state;
	struct sva_dev_params p = { .sid = SID, .pasid_bits = 8,
				    .flags = SVA_DEV_PRI };
	struct sva_dev *dev;
	struct sva_bond *b;
	struct ep_log l;
	uint32_t pasid;
	struct iopf_stats st;

	attach_ep(f, &l);
	assert_int_equal(sva_dev_add(f->io, &p, &dev), 0);
	assert_int_equal(sva_bind(dev, f->mm, &b), 0);
	pasid = sva_bond_pasid(b);
	assert_int_equal(iopf_bond_add_sva(f->pf, b), 0);

	/* a group of three pages, interleaved with a one-page group */
	ppr(f, true, pasid, 7, BUF, true, false, false);
	ppr(f, true, pasid, 8, RO, true, true, true);
	ppr(f, true, pasid, 7, BUF + PAGE, true, true, false);
	ppr(f, true, pasid, 7, BUF + 2 * PAGE, true, false, true);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(iopf_process(f->pf), 4);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(l.n, 2);
	expect_prg_resp(&l, 0, SID, true, pasid, 8, PRG_INVALID);
	expect_prg_resp(&l, 1, SID, true, pasid, 7, PRG_SUCCESS);
	assert_int_equal(f->ncmds, 2);
	expect_pri_resp(f, 0, SID, true, pasid, 8, IOPF_RESP_INVALID);
	expect_pri_resp(f, 1, SID, true, pasid, 7, IOPF_RESP_SUCCESS);
	assert_int_equal(hmm_rss(f->mm), 3);

	/* unbind: the device stops the PASID; the marker ends the wait */
	ppr(f, true, pasid, 9, BUF + 3 * PAGE, true, false, false);
	ppr(f, true, pasid, 0, 0, false, false, true);
	assert_int_equal(iopf_pasid_stop(f->pf, SID, pasid, true, 100000), 0);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(iopf_bond_del_sva(f->pf, b), 0);
	sva_unbind(b);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(l.n, 2); /* stop markers are never answered */

	/* nothing bound any more: Response Failure, with the PASID */
	ppr(f, true, pasid, 10, BUF, true, false, true);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(iopf_process(f->pf), 1);
	sim_run_to_idle(f->p.sim, 0);
	expect_prg_resp(&l, 2, SID, true, pasid, 10, PRG_FAILURE);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.pprs, 6);
	assert_int_equal(st.stop_markers, 1);
	assert_int_equal(st.groups, 3);
	assert_int_equal(st.groups_discarded, 1);
	sva_dev_remove(dev);
	smmu_detach_endpoint(f->p.smmu, SID);
}

/* A 2-entry PRI queue overflows: the SMMU answers the dropped Last=1
 * requests itself, the handler discards what it collected of them and
 * acknowledges. */
static void test_pri_e2e_overflow(void **state)
{
	struct fx *f = *state;
	struct ep_log l;
	struct iopf_stats st;

	assert_int_equal(hsmmu_priq_log2(f->p.drv), 1);
	attach_ep(f, &l);
	assert_int_equal(iopf_bond_add(f->pf, SID, false, 0, f->mm), 0);
	ppr(f, false, 0, 1, BUF, true, false, false);
	ppr(f, false, 0, 1, BUF + PAGE, true, false, false);
	ppr(f, false, 0, 1, BUF + 2 * PAGE, true, false, true); /* full */
	ppr(f, false, 0, 2, BUF, true, false, true);            /* dropped */
	sim_run_to_idle(f->p.sim, 0);
	assert_true(hsmmu_priq_overflow(f->p.drv));
	/* the SMMU's own responses: Success, no PASID */
	assert_int_equal(l.n, 2);
	expect_prg_resp(&l, 0, SID, false, 0, 1, PRG_SUCCESS);
	expect_prg_resp(&l, 1, SID, false, 0, 2, PRG_SUCCESS);

	assert_int_equal(iopf_process(f->pf), 2);
	assert_false(hsmmu_priq_overflow(f->p.drv));
	/* RD 2 with the wrap bit of a 2-entry queue, OVACKFLG set */
	assert_int_equal(hsmmu_read32(f->p.drv, R_PRIQ_CONS), 0x80000002u);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(f->ncmds, 0);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.overflows, 1);
	assert_int_equal(st.groups_discarded, 1);
	assert_int_equal(hmm_rss(f->mm), 0); /* nothing resolved */

	/* after the acknowledgement the queue takes requests again */
	ppr(f, false, 0, 3, BUF, true, true, true);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(iopf_process(f->pf), 1);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(l.n, 3);
	expect_prg_resp(&l, 2, SID, false, 0, 3, PRG_SUCCESS);
	expect_pri_resp(f, 0, SID, false, 0, 3, IOPF_RESP_SUCCESS);
	smmu_detach_endpoint(f->p.smmu, SID);
}

static const struct iopf_params small_priq = { .priq_log2 = 1 };

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppr_decode),
		cmocka_unit_test(test_fault_decode),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_groups_interleaved),
		T(test_resp_per_page),
		T(test_failure_only_without_bond),
		T(test_lookup_hook),
		T(test_priq_drain),
		T(test_priq_overflow),
		T(test_stop_marker),
		T(test_stall_e2e),
		T(test_stall_delay),
		T(test_other_events_kept),
		T(test_pri_e2e),
		cmocka_unit_test_prestate_setup_teardown(
			test_pri_e2e_overflow, setup, teardown,
			(void *)&small_priq),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
