/* SPDX-License-Identifier: MIT */
/*
 * The PRI queue: record layout, timing, overflow and its automatic
 * responses, PRIQEN=0, PRIQ_ABT_ERR, the interrupt per PRIQ_IRQ_CFG2.LO,
 * and CMD_PRI_RESP reaching the endpoint.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmu/cmdq.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"
#include "smmu/ste.h"

#define HOLE 0x200000000ull
#define CMDQ_PA 0x10000ull
#define STRTAB_PA 0x100000ull
#define STRTAB_LOG2 8u
#define PRIQ_PA 0x40000ull
#define T0 100u
/* lat.evt_write 4 + RAM 100 per access + 8 per line (one line) */
#define REC_COST (4 + 108)
/* STE lookup on a miss: lat.cfg_lookup 2 + one line read + ste_decode 4;
 * on a hit: lat.cfg_lookup */
#define STE_MISS (2 + 108 + 4)
#define STE_HIT 2
#define CMD_COST (2 + 108 + 4)

#define CR0_ON 0xBu        /* SMMUEN | PRIQEN | CMDQEN */
#define PRIQ_PROD_OFF 0x100C8
#define PRIQ_CONS_OFF 0x100CC
#define OVFLG (1u << 31)
#define SID(x) ((uint64_t)(x) << 32)

/* StreamIDs of the stream table */
#define SID_PPAR1 5u    /* valid STE, PPAR = 1 */
#define SID_PPAR0 6u    /* valid STE, PPAR = 0 */
#define SID_BAD_STE 7u  /* V = 0 */
#define SID_OUT 0x1000u /* beyond the table: C_BAD_STREAMID */

#define MAX_SEEN 32

struct fix {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	unsigned qs;
	uint32_t cmd_prod;
	struct smmu_pri_resp resp[MAX_SEEN];
	uint64_t resp_at[MAX_SEEN];
	unsigned n_resp;
	uint64_t irq_at[MAX_SEEN];
	unsigned n_irq;
};

static void ep_atc_inv(void *ctx, const struct smmu_atc_inv *req)
{
	(void)ctx;
	(void)req;
	fail_msg("unexpected ATS invalidation");
}

static void ep_pri_resp(void *ctx, const struct smmu_pri_resp *resp)
{
	struct fix *f = ctx;

	if (f->n_resp < MAX_SEEN) {
		f->resp[f->n_resp] = *resp;
		f->resp_at[f->n_resp] = sim_now(f->sim);
	}
	f->n_resp++;
}

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	struct fix *f = ctx;

	if (line != SMMU_IRQ_PRIQ)
		return;
	if (f->n_irq < MAX_SEEN)
		f->irq_at[f->n_irq] = sim_now(f->sim);
	f->n_irq++;
}

static uint64_t rd(struct fix *f, uint64_t off)
{
	uint64_t v = 0;

	assert_true(smmu_reg_read(f->smmu, off, 4, &v));
	return v;
}

static void wr(struct fix *f, uint64_t off, uint64_t v)
{
	assert_true(smmu_reg_write(f->smmu, off, 4, v));
}

static void put_ste(struct fix *f, uint32_t sid, bool valid, bool ppar)
{
	uint64_t ste[STE_DWORDS] = { 0 };

	fset(ste, STE_V, valid);
	fset(ste, STE_CONFIG, STE_CONFIG_BYPASS);
	fset(ste, STE_PPAR, ppar);
	for (unsigned i = 0; i < STE_DWORDS; i++)
		assert_int_equal(pmem_write64(f->mem,
					      STRTAB_PA + sid * STE_SIZE +
						      i * 8,
					      ste[i], NULL),
				 MEM_OK);
}

struct opts {
	const char *preset;
	uint32_t cr0;
	bool lo;
	uint64_t priq_base;
	unsigned qs;
	bool pps;
	bool rec_cfg_ats;
};

/* Everything configured, enables acknowledged; the clock at T0. */
static struct fix *fix_new(const struct opts *o)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;
	struct smmu_irq_ops irq = { on_irq, NULL, NULL };
	struct smmu_endpoint_ops ops = { ep_atc_inv, ep_pri_resp, NULL };

	assert_non_null(f);
	assert_true(smmu_impl_preset(o->preset ? o->preset : "full", &impl));
	impl.pps = o->pps;
	impl.atsrecerr = true;
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, 1ull << 32) >= 0);
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	irq.ctx = f;
	ops.ctx = f;
	smmu_set_irq_ops(f->smmu, &irq);
	assert_true(smmu_attach_endpoint(f->smmu, 0, 1u << 16, &ops));
	f->qs = o->qs;
	put_ste(f, SID_PPAR1, true, true);
	put_ste(f, SID_PPAR0, true, false);
	put_ste(f, SID_BAD_STE, false, true);
	assert_true(smmu_reg_write(f->smmu, 0x80, 8, STRTAB_PA));
	wr(f, 0x88, STRTAB_LOG2);
	assert_true(smmu_reg_write(f->smmu, 0x90, 8, CMDQ_PA | 4));
	assert_true(smmu_reg_write(f->smmu, 0xC0, 8,
				   (o->priq_base ? o->priq_base : PRIQ_PA) |
					   o->qs));
	/* evtq for REC_CFG_ATS records */
	assert_true(smmu_reg_write(f->smmu, 0xA0, 8, 0x80000 | 4));
	if (o->rec_cfg_ats)
		wr(f, 0x2C, 0xA); /* REC_CFG_ATS | RECINVSID */
	if (o->lo)
		wr(f, 0xDC, 1u << 31);
	wr(f, 0x50, 0x2); /* PRIQ_IRQEN */
	wr(f, 0x20, o->cr0 | 0x4);
	sim_run_until(f->sim, T0);
	assert_int_equal(rd(f, 0x24), o->cr0 | 0x4);
	assert_int_equal(rd(f, 0x54), 0x2);
	return f;
}

static void fix_free(struct fix *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

static void req(struct fix *f, const struct smmu_page_request *r)
{
	smmu_pri_request(f->smmu, r);
}

static uint64_t rec_dw(struct fix *f, unsigned idx, unsigned dw)
{
	uint64_t v = 0;

	assert_int_equal(pmem_read64(f->mem, PRIQ_PA + idx * 16 + dw * 8, &v,
				     NULL),
			 MEM_OK);
	return v;
}

static void check_resp(struct fix *f, unsigned i, const char *name,
		       uint32_t sid, uint16_t prgi, uint8_t code, bool ssv,
		       uint32_t ssid)
{
	const struct smmu_pri_resp *r = &f->resp[i];

	expect_field(i, name, "sid", r->sid, sid);
	expect_field(i, name, "prgi", r->prgi, prgi);
	expect_field(i, name, "code", r->code, code);
	expect_field(i, name, "ssv", r->ssv, ssv);
	expect_field(i, name, "ssid", r->ssid, ssid);
}

/* --- record layout and timing ---------------------------------------- */

struct rec_row {
	const char *name;
	struct smmu_page_request in;
	uint64_t dw0, dw1;
};

static const struct rec_row rec_rows[] = {
	{ "every bit",
	  { .sid = 0x12345678, .ssv = true, .ssid = 0xABCDE, .priv = true,
	    .exec = true, .read = true, .write = true, .last = true,
	    .prgi = 0x1FF, .addr = 0xFFFFFFFFFFFFF000ull },
	  0xFC0ABCDE12345678ull, 0xFFFFFFFFFFFFF1FFull },
	{ "no PASID: X, Priv, SubstreamID zero",
	  { .sid = 5, .ssid = 0x77, .priv = true, .exec = true,
	    .read = true, .prgi = 3, .addr = 0x12345678 },
	  0x1000000000000005ull, 0x0000000012345003ull },
	{ "stop marker",
	  { .sid = 6, .ssv = true, .ssid = 0x10, .last = true },
	  0xC000001000000006ull, 0 },
	{ "LWR=100 without PASID",
	  { .sid = 7, .last = true, .prgi = 0x100, .addr = 0x1000 },
	  0x4000000000000007ull, 0x1100 },
	{ "write, wide PRGI and PASID truncated",
	  { .sid = 8, .ssv = true, .ssid = 0x1FFFFF, .write = true,
	    .prgi = 0x3FF, .addr = 0x00007FFFFFFFF000ull },
	  0xA00FFFFF00000008ull, 0x00007FFFFFFFF1FFull },
};

static void test_record_layout(void **state)
{
	struct opts o = { .cr0 = CR0_ON, .qs = 3 };
	struct fix *f = fix_new(&o);
	size_t n = sizeof(rec_rows) / sizeof(rec_rows[0]);
	struct smmu_stats st;

	(void)state;
	for (size_t i = 0; i < n; i++)
		req(f, &rec_rows[i].in);
	/* nothing inside the call */
	assert_int_equal(rd(f, PRIQ_PROD_OFF), 0);
	for (size_t i = 0; i < n; i++) {
		sim_run_until(f->sim, T0 + (i + 1) * REC_COST - 1);
		expect_field(i, rec_rows[i].name, "PROD before",
			     rd(f, PRIQ_PROD_OFF), i);
		sim_run_until(f->sim, T0 + (i + 1) * REC_COST);
		expect_field(i, rec_rows[i].name, "PROD",
			     rd(f, PRIQ_PROD_OFF), i + 1);
	}
	for (size_t i = 0; i < n; i++) {
		expect_field(i, rec_rows[i].name, "DW0", rec_dw(f, i, 0),
			     rec_rows[i].dw0);
		expect_field(i, rec_rows[i].name, "DW1", rec_dw(f, i, 1),
			     rec_rows[i].dw1);
	}
	/* LO = 0: one interrupt, when the first record became visible */
	assert_int_equal(f->n_irq, 1);
	assert_int_equal(f->irq_at[0], T0 + REC_COST);
	assert_int_equal(f->n_resp, 0);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.pri_requests, n);
	assert_int_equal(st.pri_dropped, 0);
	assert_int_equal(st.pri_auto_responses, 0);
	fix_free(f);
}

/* --- overflow --------------------------------------------------------- */

static void test_overflow(void **state)
{
	struct opts o = { .cr0 = CR0_ON, .qs = 1 };
	struct fix *f = fix_new(&o);
	struct smmu_page_request r = { .sid = 9, .read = true };
	struct smmu_stats st;
	uint64_t t;

	(void)state;
	/* two records fill the 2-entry queue */
	r.prgi = 1;
	req(f, &r);
	r.prgi = 2;
	r.last = true;
	req(f, &r);
	sim_run_until(f->sim, T0 + 2 * REC_COST);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), 0x2);

	/* full: OVFLG toggles, the Last=1 request gets Success, no PASID */
	t = 1000;
	sim_run_until(f->sim, t);
	r = (struct smmu_page_request){ .sid = SID_BAD_STE, .read = true,
					.last = true, .prgi = 3 };
	req(f, &r);
	sim_run_until(f->sim, t);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), OVFLG | 0x2);
	assert_int_equal(f->n_resp, 1);
	check_resp(f, 0, "overflow, no PASID", SID_BAD_STE, 3,
		   PRG_RESP_SUCCESS, false, 0);
	assert_int_equal(f->resp_at[0], t);

	/* Last=0 and stop markers: dropped silently */
	r = (struct smmu_page_request){ .sid = SID_PPAR1, .ssv = true,
					.ssid = 4, .read = true, .prgi = 4 };
	req(f, &r);
	r = (struct smmu_page_request){ .sid = SID_PPAR1, .ssv = true,
					.ssid = 4, .last = true };
	req(f, &r);
	/* PASID, PPS = 0: per STE.PPAR; unusable STE: Response Failure */
	r = (struct smmu_page_request){ .sid = SID_PPAR1, .ssv = true,
					.ssid = 0x11, .write = true,
					.last = true, .prgi = 5 };
	req(f, &r);
	r.sid = SID_PPAR0;
	r.prgi = 6;
	req(f, &r);
	r.sid = SID_BAD_STE;
	r.prgi = 7;
	req(f, &r);
	r.sid = SID_OUT;
	r.prgi = 8;
	req(f, &r);
	r.sid = SID_PPAR1; /* STE cached now */
	r.prgi = 9;
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->n_resp, 6);
	check_resp(f, 1, "PPAR=1", SID_PPAR1, 5, PRG_RESP_SUCCESS, true,
		   0x11);
	check_resp(f, 2, "PPAR=0", SID_PPAR0, 6, PRG_RESP_SUCCESS, false, 0);
	check_resp(f, 3, "STE V=0", SID_BAD_STE, 7, PRG_RESP_FAILURE, false,
		   0);
	check_resp(f, 4, "bad StreamID", SID_OUT, 8, PRG_RESP_FAILURE, false,
		   0);
	check_resp(f, 5, "PPAR=1 cached", SID_PPAR1, 9, PRG_RESP_SUCCESS,
		   true, 0x11);
	/* each response after its STE lookup, one message at a time */
	assert_int_equal(f->resp_at[1], t + STE_MISS);
	assert_int_equal(f->resp_at[2], t + 2 * STE_MISS);
	assert_int_equal(f->resp_at[3], t + 3 * STE_MISS);
	assert_int_equal(f->resp_at[4], t + 3 * STE_MISS + 2);
	assert_int_equal(f->resp_at[5], t + 3 * STE_MISS + 2 + STE_HIT);
	/* nothing written, PROD unchanged */
	assert_int_equal(rd(f, PRIQ_PROD_OFF), OVFLG | 0x2);

	/* software consumes without acknowledging: still inhibited even
	 * though the queue has room */
	wr(f, PRIQ_CONS_OFF, 0x2);
	r = (struct smmu_page_request){ .sid = 9, .last = true, .prgi = 10,
					.read = true };
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), OVFLG | 0x2);
	assert_int_equal(f->n_resp, 7);
	check_resp(f, 6, "overflow, room", 9, 10, PRG_RESP_SUCCESS, false,
		   0);

	/* acknowledge: the next request is written at entry 0 */
	t = sim_now(f->sim) + 10;
	sim_run_until(f->sim, t);
	wr(f, PRIQ_CONS_OFF, OVFLG | 0x2);
	r.prgi = 11;
	req(f, &r);
	sim_run_until(f->sim, t + REC_COST);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), OVFLG | 0x3);
	assert_int_equal(rec_dw(f, 0, 1), 11);
	assert_int_equal(f->n_resp, 7);
	/* LO = 0: first record, then the record after the consumption */
	assert_int_equal(f->n_irq, 2);
	assert_int_equal(f->irq_at[1], t + REC_COST);

	/* full again: the overflow can be signalled again */
	r.prgi = 12;
	req(f, &r);
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	/* WR wrapped to 0 with the wrap bit clear; OVFLG back to 0 */
	assert_int_equal(rd(f, PRIQ_PROD_OFF), 0x0);
	assert_int_equal(f->n_resp, 8);

	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.pri_requests, 14);
	assert_int_equal(st.pri_dropped, 10);
	assert_int_equal(st.pri_auto_responses, 8);
	/* REC_CFG_ATS = 0: no event for the failed PPAR checks */
	assert_int_equal(st.events, 0);
	fix_free(f);
}

/* IDR3.PPS = 1: PASID echoed, STE not consulted. REC_CFG_ATS records. */
static void test_overflow_pps_and_events(void **state)
{
	struct opts o = { .cr0 = CR0_ON, .qs = 0, .pps = true };
	struct fix *f = fix_new(&o);
	struct smmu_page_request r = { .sid = SID_BAD_STE, .ssv = true,
				       .ssid = 0x99, .read = true,
				       .last = true, .prgi = 1 };
	struct smmu_stats st;

	(void)state;
	req(f, &r);      /* fills the 1-entry queue */
	req(f, &r);      /* overflow */
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), OVFLG | 0x1);
	assert_int_equal(f->n_resp, 1);
	check_resp(f, 0, "PPS=1", SID_BAD_STE, 1, PRG_RESP_SUCCESS, true,
		   0x99);
	assert_int_equal(f->resp_at[0], T0 + REC_COST);
	fix_free(f);

	o.pps = false;
	o.rec_cfg_ats = true;
	f = fix_new(&o);
	req(f, &r);
	req(f, &r);
	r.sid = SID_OUT;
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->n_resp, 2);
	check_resp(f, 0, "PPS=0 V=0", SID_BAD_STE, 1, PRG_RESP_FAILURE,
		   false, 0);
	check_resp(f, 1, "PPS=0 bad SID", SID_OUT, 1, PRG_RESP_FAILURE,
		   false, 0);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.events, 2);
	/* C_BAD_STE then C_BAD_STREAMID, with the StreamID */
	uint64_t v = 0;

	assert_int_equal(pmem_read64(f->mem, 0x80000, &v, NULL), MEM_OK);
	assert_int_equal(v, SID(SID_BAD_STE) | 0x99ull << 12 | 1u << 11 |
				    EVT_C_BAD_STE);
	assert_int_equal(pmem_read64(f->mem, 0x80020, &v, NULL), MEM_OK);
	assert_int_equal(v, SID(SID_OUT) | 0x99ull << 12 | 1u << 11 |
				    EVT_C_BAD_STREAMID);
	fix_free(f);
}

/* --- PRIQEN = 0 ------------------------------------------------------ */

static void test_priq_disabled(void **state)
{
	static const uint32_t cr0s[] = { 0x9 /* no PRIQEN */,
					 0xA /* no SMMUEN */ };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct opts o = { .cr0 = cr0s[i], .qs = 2 };
		struct fix *f = fix_new(&o);
		struct smmu_page_request r = { .sid = SID_PPAR1, .ssv = true,
					       .ssid = 3, .read = true,
					       .last = true, .prgi = 0x42 };
		struct smmu_stats st;

		req(f, &r);
		r.last = false;
		req(f, &r);
		r.read = false;
		r.last = true; /* stop marker */
		req(f, &r);
		sim_run_until(f->sim, T0);
		expect_field(i, "PRIQEN=0", "responses", f->n_resp, 1);
		check_resp(f, 0, "PRIQEN=0", SID_PPAR1, 0x42,
			   PRG_RESP_FAILURE, false, 0);
		expect_field(i, "PRIQEN=0", "at", f->resp_at[0], T0);
		expect_field(i, "PRIQEN=0", "PROD", rd(f, PRIQ_PROD_OFF), 0);
		expect_field(i, "PRIQEN=0", "record", rec_dw(f, 0, 0), 0);
		expect_field(i, "PRIQEN=0", "irqs", f->n_irq, 0);
		smmu_get_stats(f->smmu, &st);
		expect_field(i, "PRIQEN=0", "dropped", st.pri_dropped, 3);
		expect_field(i, "PRIQEN=0", "auto", st.pri_auto_responses, 1);
		fix_free(f);
	}
}

/* --- PRIQ_ABT_ERR ---------------------------------------------------- */

static void test_abort(void **state)
{
	struct opts o = { .cr0 = CR0_ON, .qs = 2, .priq_base = HOLE };
	struct fix *f = fix_new(&o);
	struct smmu_page_request r = { .sid = 9, .ssv = true, .ssid = 1,
				       .read = true, .last = true,
				       .prgi = 0x10 };

	(void)state;
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x60), 1u << GERROR_PRIQ_ABT_ERR);
	assert_int_equal(rd(f, PRIQ_PROD_OFF), 0);
	assert_int_equal(f->n_resp, 1);
	check_resp(f, 0, "abort", 9, 0x10, PRG_RESP_FAILURE, false, 0);
	assert_true(f->resp_at[0] >= T0 + 4);
	/* while PRIQ_ABT_ERR is active: no write attempted, Failure at once */
	uint64_t t = sim_now(f->sim);

	r.prgi = 0x11;
	req(f, &r);
	r.last = false;
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->n_resp, 2);
	check_resp(f, 1, "ABT_ERR active", 9, 0x11, PRG_RESP_FAILURE, false,
		   0);
	assert_int_equal(f->resp_at[1], t);
	/* acknowledged: the write is tried again (and aborts again) */
	wr(f, 0x64, 1u << GERROR_PRIQ_ABT_ERR);
	r.last = true;
	r.prgi = 0x12;
	req(f, &r);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x60) ^ rd(f, 0x64),
			 1u << GERROR_PRIQ_ABT_ERR);
	assert_int_equal(f->n_resp, 3);
	assert_int_equal(f->n_irq, 0);
	fix_free(f);
}

/* --- interrupts per LO ------------------------------------------------ */

static void test_irq_lo(void **state)
{
	(void)state;
	for (unsigned lo = 0; lo < 2; lo++) {
		struct opts o = { .cr0 = CR0_ON, .qs = 2, .lo = lo };
		struct fix *f = fix_new(&o);
		struct smmu_page_request ppr = { .sid = 9, .read = true };
		struct smmu_page_request stop = { .sid = 9, .ssv = true,
						  .ssid = 2, .last = true };
		const char *name = lo ? "LO=1" : "LO=0";

		/* T0: Last=0, Last=1 (records 0, 1) */
		req(f, &ppr);
		ppr.last = true;
		req(f, &ppr);
		sim_run_until(f->sim, 1000);
		/* 1000: software consumes both; Last=0 then stop marker */
		wr(f, PRIQ_CONS_OFF, 2);
		ppr.last = false;
		req(f, &ppr);
		req(f, &stop);
		sim_run_until(f->sim, 2000);
		/* 2000: fill (records 4, 5 -> entries 0, 1; queue full at
		 * 4 used) then overflow with a stop marker and a Last=1 */
		req(f, &ppr);
		req(f, &ppr);
		req(f, &stop);
		ppr.last = true;
		req(f, &ppr);
		sim_run_to_idle(f->sim, 0);
		expect_field(lo, name, "PROD", rd(f, PRIQ_PROD_OFF),
			     OVFLG | 0x6);
		if (!lo) {
			/* empty -> non-empty only */
			expect_field(lo, name, "irqs", f->n_irq, 2);
			expect_field(lo, name, "irq0", f->irq_at[0],
				     T0 + REC_COST);
			expect_field(lo, name, "irq1", f->irq_at[1],
				     1000 + REC_COST);
		} else {
			/* Last=1 written (T0 record 1, 1000 stop marker) and
			 * Last=1 discarded by overflow (stop marker, PPR) */
			expect_field(lo, name, "irqs", f->n_irq, 4);
			expect_field(lo, name, "irq0", f->irq_at[0],
				     T0 + 2 * REC_COST);
			expect_field(lo, name, "irq1", f->irq_at[1],
				     1000 + 2 * REC_COST);
			expect_field(lo, name, "irq2", f->irq_at[2],
				     2000 + 2 * REC_COST);
			expect_field(lo, name, "irq3", f->irq_at[3],
				     2000 + 2 * REC_COST);
		}
		/* the discarded Last=1 PPR was answered */
		expect_field(lo, name, "responses", f->n_resp, 1);
		fix_free(f);
	}
}

/* --- CMD_PRI_RESP ---------------------------------------------------- */

static void push_cmd(struct fix *f, uint64_t dw0, uint64_t dw1)
{
	uint64_t pa = CMDQ_PA + (uint64_t)(f->cmd_prod & 15) * 16;

	assert_int_equal(pmem_write64(f->mem, pa, dw0, NULL), MEM_OK);
	assert_int_equal(pmem_write64(f->mem, pa + 8, dw1, NULL), MEM_OK);
	f->cmd_prod = (f->cmd_prod + 1) & 31;
	wr(f, 0x98, f->cmd_prod);
}

struct resp_row {
	const char *name;
	uint64_t dw0, dw1;
	bool delivered;
	uint32_t sid;
	uint16_t prgi;
	uint8_t code;
	bool ssv;
	uint32_t ssid;
};

#define PRI_RESP(sid, ssv, ssid) \
	(CMD_PRI_RESP | SID(sid) | ((uint64_t)(ssv) << 11) | \
	 ((uint64_t)(ssid) << 12))
#define RESP(prgi, resp) ((uint64_t)(prgi) | ((uint64_t)(resp) << 12))

static const struct resp_row resp_rows[] = {
	{ "Success + PASID", PRI_RESP(3, 1, 0xFFFFF), RESP(0x1FF, 2), true,
	  3, 0x1FF, PRG_RESP_SUCCESS, true, 0xFFFFF },
	{ "Invalid Request", PRI_RESP(0xFFFF, 0, 0x55), RESP(0, 1), true,
	  0xFFFF, 0, PRG_RESP_INVALID_REQUEST, false, 0 },
	{ "Response Failure + PASID 0", PRI_RESP(4, 1, 0), RESP(0x80, 0),
	  true, 4, 0x80, PRG_RESP_FAILURE, true, 0 },
	{ "no endpoint", PRI_RESP(0x10000, 0, 0), RESP(1, 2), false, 0, 0,
	  0, false, 0 },
};

static void test_pri_resp_cmd(void **state)
{
	struct opts o = { .cr0 = CR0_ON, .qs = 2 };
	struct fix *f = fix_new(&o);
	size_t n = sizeof(resp_rows) / sizeof(resp_rows[0]);
	unsigned k = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		push_cmd(f, resp_rows[i].dw0, resp_rows[i].dw1);
	/* each delivered as its command executes */
	sim_run_until(f->sim, T0 + n * CMD_COST);
	assert_int_equal(rd(f, 0x9C), n);
	for (size_t i = 0; i < n; i++) {
		const struct resp_row *r = &resp_rows[i];

		if (!r->delivered)
			continue;
		check_resp(f, k, r->name, r->sid, r->prgi, r->code, r->ssv,
			   r->ssid);
		expect_field(i, r->name, "at", f->resp_at[k],
			     T0 + i * CMD_COST);
		k++;
	}
	assert_int_equal(f->n_resp, k);
	/* Resp 0b11 is ILLEGAL */
	push_cmd(f, PRI_RESP(3, 0, 0), RESP(1, 3));
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), n | (CERROR_ILL << 24));
	assert_int_equal(f->n_resp, k);
	fix_free(f);
}

/* SMMUEN = 0: CMD_PRI_RESP is IGNORED. */
static void test_pri_resp_smmuen_off(void **state)
{
	struct opts o = { .cr0 = 0xA, .qs = 2 };
	struct fix *f = fix_new(&o);

	(void)state;
	push_cmd(f, PRI_RESP(3, 1, 5), RESP(1, 2));
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), 1);
	assert_int_equal(f->n_resp, 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_overflow_pps_and_events),
		cmocka_unit_test(test_priq_disabled),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_irq_lo),
		cmocka_unit_test(test_pri_resp_cmd),
		cmocka_unit_test(test_pri_resp_smmuen_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
