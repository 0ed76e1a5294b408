/* SPDX-License-Identifier: MIT */
/*
 * CMD_ATC_INV and the endpoint port: the ATS Invalidate Request fields,
 * routing by StreamID, CMD_SYNC waiting for Invalidate Completions and
 * CERROR_ATC_INV_SYNC on a timeout.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmu/cmdq.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#define CMDQ_PA 0x10000ull
/* RAM: 100 per access + 8 per line; lat.cmd_fetch 2, cmd_exec 4, sync 16,
 * cr0_ack 8 (defaults). */
#define CMD_COST (2 + 108 + 4)
#define SYNC_COST (CMD_COST + 16)
#define T0 100u  /* commands are pushed at this cycle */
#define SID(x) ((uint64_t)(x) << 32)
#define SSID(x) ((uint64_t)(x) << 12)
#define SSV (1ull << 11)
#define GLOBAL (1ull << 9)

#define MAX_SEEN 16

/* A fake endpoint: records every request, answers when told. */
struct fake_ep {
	struct smmu *smmu;
	struct smmu_atc_inv seen[MAX_SEEN];
	unsigned n;
	bool answer_now;
};

struct fix {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	unsigned sync_irqs;
	unsigned qs;
	uint32_t prod;
	struct fake_ep ep, ep2;
};

static void ep_atc_inv(void *ctx, const struct smmu_atc_inv *req)
{
	struct fake_ep *e = ctx;

	if (e->n < MAX_SEEN)
		e->seen[e->n] = *req;
	e->n++;
	if (e->answer_now)
		smmu_atc_inv_done(e->smmu, req->tag);
}

static void ep_pri_resp(void *ctx, const struct smmu_pri_resp *resp)
{
	(void)ctx;
	(void)resp;
	fail_msg("unexpected PRG response");
}

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	if (line == SMMU_IRQ_CMD_SYNC)
		((struct fix *)ctx)->sync_irqs++;
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

/* CMDQEN (+ SMMUEN if `enable`) acknowledged; the clock at T0. */
static struct fix *fix_new_impl(const struct smmu_impl *impl, bool enable)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct smmu_irq_ops irq = { on_irq, NULL, NULL };
	struct smmu_endpoint_ops ops = { ep_atc_inv, ep_pri_resp, NULL };

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, 1ull << 32) >= 0);
	f->smmu = smmu_create(f->sim, f->mem, impl);
	assert_non_null(f->smmu);
	irq.ctx = f;
	smmu_set_irq_ops(f->smmu, &irq);
	f->ep.smmu = f->ep2.smmu = f->smmu;
	ops.ctx = &f->ep;
	assert_true(smmu_attach_endpoint(f->smmu, 0x100, 0x10, &ops));
	ops.ctx = &f->ep2;
	assert_true(smmu_attach_endpoint(f->smmu, 0x200, 1, &ops));
	f->qs = 4;
	assert_true(smmu_reg_write(f->smmu, 0x90, 8, CMDQ_PA | f->qs));
	wr(f, 0x20, enable ? 0x9 : 0x8);
	sim_run_until(f->sim, T0);
	assert_int_equal(rd(f, 0x24), enable ? 0x9 : 0x8);
	return f;
}

static struct fix *fix_new(bool enable)
{
	struct smmu_impl impl;

	assert_true(smmu_impl_preset("full", &impl));
	return fix_new_impl(&impl, enable);
}

static void fix_free(struct fix *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

static void put(struct fix *f, uint64_t dw0, uint64_t dw1)
{
	uint64_t pa = CMDQ_PA + (uint64_t)(f->prod & ((1u << f->qs) - 1)) *
					CMDQ_ENTRY_BYTES;

	assert_int_equal(pmem_write64(f->mem, pa, dw0, NULL), MEM_OK);
	assert_int_equal(pmem_write64(f->mem, pa + 8, dw1, NULL), MEM_OK);
	f->prod = (f->prod + 1) & ((2u << f->qs) - 1);
}

static void push(struct fix *f, uint64_t dw0, uint64_t dw1)
{
	put(f, dw0, dw1);
	wr(f, 0x98, f->prod);
}

/* CMD_SYNC with CS = SIG_IRQ, no MSI address: the wired pulse. */
static void push_sync(struct fix *f)
{
	push(f, CMD_SYNC | ((uint64_t)CS_SIG_IRQ << 12), 0);
}

/* --- request fields ------------------------------------------------- */

struct field_row {
	const char *name;
	uint64_t dw0, dw1;       /* opcode and SID added */
	bool ssv, global;
	uint32_t ssid;
	uint64_t addr;
	uint8_t span_log2;
};

static const struct field_row field_rows[] = {
	{ "4K, G ignored without SSV", GLOBAL, 0x12345FFF & ~0xFFFull,
	  false, false, 0, 0x12345000, 12 },
	{ "Size 3: Address[14:0] zero", 0, 0x12345000 | 3, false, false, 0,
	  0x12340000, 15 },
	{ "Size 9 top of VA", 0, 0xFFFFFFFFFFFFF000ull | 9, false, false, 0,
	  0xFFFFFFFFFFE00000ull, 21 },
	{ "Size 51", 0, 0xC000000000001000ull | 51, false, false, 0,
	  0x8000000000000000ull, 63 },
	{ "Size 52 = everything", 0, 0xFFFFFFFFFFFFF000ull | 52, false,
	  false, 0, 0, 64 },
	{ "SSV, not global", SSV | SSID(0xFFFFF), 0x7000 | 1, true, false,
	  0xFFFFF, 0x6000, 13 },
	{ "SSV, global", SSV | SSID(0x42) | GLOBAL, 0xABCDE000ull | 4, true,
	  true, 0x42, 0xABCD0000ull, 16 },
	{ "SSID ignored without SSV", SSID(0x42), 0x1000, false, false, 0,
	  0x1000, 12 },
};

static void test_request_fields(void **state)
{
	struct fix *f = fix_new(true);
	size_t n = sizeof(field_rows) / sizeof(field_rows[0]);
	struct smmu_stats st;

	(void)state;
	f->ep.answer_now = true;
	for (size_t i = 0; i < n; i++)
		push(f, CMD_ATC_INV | SID(0x10F) | field_rows[i].dw0,
		     field_rows[i].dw1);
	push_sync(f);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->ep.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct field_row *r = &field_rows[i];
		const struct smmu_atc_inv *s = &f->ep.seen[i];

		expect_field(i, r->name, "sid", s->sid, 0x10F);
		expect_field(i, r->name, "ssv", s->ssv, r->ssv);
		expect_field(i, r->name, "ssid", s->ssid, r->ssid);
		expect_field(i, r->name, "global", s->global, r->global);
		expect_field(i, r->name, "addr", s->addr, r->addr);
		expect_field(i, r->name, "span_log2", s->span_log2,
			     r->span_log2);
		/* tags are unique and increasing */
		if (i)
			expect_field(i, r->name, "tag order",
				     s->tag > f->ep.seen[i - 1].tag, 1);
	}
	/* every command and the SYNC consumed, no error */
	assert_int_equal(rd(f, 0x9C), n + 1);
	assert_int_equal(f->sync_irqs, 1);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.atc_invs, n);
	assert_int_equal(st.atc_inv_timeouts, 0);
	fix_free(f);
}

/* Size 53 is ILLEGAL; without substreams SSV acts as 0. */
static void test_size_ill_and_no_ssid(void **state)
{
	struct smmu_impl impl;
	struct fix *f = fix_new(true);

	(void)state;
	push(f, CMD_ATC_INV | SID(0x100), 53);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), CERROR_ILL << 24);
	assert_int_equal(f->ep.n, 0);
	fix_free(f);

	assert_true(smmu_impl_preset("full", &impl));
	impl.ssidsize = 0;
	f = fix_new_impl(&impl, true);
	f->ep.answer_now = true;
	push(f, CMD_ATC_INV | SID(0x100) | SSV | SSID(7) | GLOBAL, 0x3000);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->ep.n, 1);
	assert_false(f->ep.seen[0].ssv);
	assert_int_equal(f->ep.seen[0].ssid, 0);
	assert_false(f->ep.seen[0].global);
	assert_int_equal(f->ep.seen[0].addr, 0x3000);
	fix_free(f);
}

/* Messages go to the endpoint owning the StreamID; overlaps refused. */
static void test_routing(void **state)
{
	struct fix *f = fix_new(true);
	struct smmu_endpoint_ops ops = { ep_atc_inv, ep_pri_resp, &f->ep };

	(void)state;
	f->ep.answer_now = f->ep2.answer_now = true;
	assert_false(smmu_attach_endpoint(f->smmu, 0x10F, 2, &ops));
	assert_false(smmu_attach_endpoint(f->smmu, 0xF0, 0x11, &ops));
	assert_false(smmu_attach_endpoint(f->smmu, 0x200, 1, &ops));
	assert_false(smmu_attach_endpoint(f->smmu, 0xFFFFFFFF, 2, &ops));
	assert_false(smmu_attach_endpoint(f->smmu, 0x300, 0, &ops));
	push(f, CMD_ATC_INV | SID(0x200), 0x1000);
	push(f, CMD_ATC_INV | SID(0x100), 0x2000);
	push(f, CMD_ATC_INV | SID(0x110), 0x3000); /* nobody */
	push(f, CMD_ATC_INV | SID(0x1FF), 0x4000); /* nobody */
	push_sync(f);
	sim_run_until(f->sim, T0 + 4 * CMD_COST + SYNC_COST);
	assert_int_equal(rd(f, 0x9C), 5);
	assert_int_equal(f->ep2.n, 1);
	assert_int_equal(f->ep2.seen[0].addr, 0x1000);
	assert_int_equal(f->ep.n, 1);
	assert_int_equal(f->ep.seen[0].addr, 0x2000);
	/* detached: its StreamIDs have nobody */
	smmu_detach_endpoint(f->smmu, 0x200);
	push(f, CMD_ATC_INV | SID(0x200), 0x1000);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->ep2.n, 1);
	fix_free(f);
}

/* --- CMD_SYNC waits for the completions ------------------------------ */

struct late {
	struct fix *f;
	struct fake_ep *ep;
	unsigned idx;
};

static void answer_event(struct sim *sim, void *arg)
{
	struct late *l = arg;

	(void)sim;
	smmu_atc_inv_done(l->f->smmu, l->ep->seen[l->idx].tag);
}

/*
 * ATC_INV executes at T0 and retires at T0 + CMD_COST; the SYNC executes
 * (and starts waiting) at T0 + 2 * CMD_COST and would retire lat.sync
 * later. Each row: when the completion arrives, when CONS passes the SYNC.
 */
struct wait_row {
	const char *name;
	uint64_t answer_at;   /* 0: answered inside the request */
	uint64_t passes_at;
};

static const struct wait_row wait_rows[] = {
	{ "answered at once", 0, T0 + CMD_COST + SYNC_COST },
	{ "answered before the SYNC", T0 + 50, T0 + CMD_COST + SYNC_COST },
	{ "answered while the SYNC executes", T0 + 2 * CMD_COST + 3,
	  T0 + CMD_COST + SYNC_COST },
	{ "answered late", T0 + 5000, T0 + 5000 },
	{ "answered just before the timeout",
	  T0 + 2 * CMD_COST + 100000 - 1, T0 + 2 * CMD_COST + 100000 - 1 },
};

static void test_sync_waits(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wait_rows) / sizeof(wait_rows[0]);
	     i++) {
		const struct wait_row *r = &wait_rows[i];
		struct fix *f = fix_new(true);
		struct late l = { f, &f->ep, 0 };

		f->ep.answer_now = r->answer_at == 0;
		push(f, CMD_ATC_INV | SID(0x105), 0x5000);
		push_sync(f);
		if (r->answer_at)
			sim_schedule_at(f->sim, r->answer_at, answer_event,
					&l);
		sim_run_until(f->sim, r->passes_at - 1);
		expect_field(i, r->name, "CONS before", rd(f, 0x9C), 1);
		expect_field(i, r->name, "irq before", f->sync_irqs, 0);
		sim_run_until(f->sim, r->passes_at);
		expect_field(i, r->name, "CONS", rd(f, 0x9C), 2);
		expect_field(i, r->name, "irq", f->sync_irqs, 1);
		expect_field(i, r->name, "GERROR", rd(f, 0x60), 0);
		fix_free(f);
	}
}

/* A SYNC waits for every earlier ATC_INV, not only the last one. */
static void test_sync_waits_for_all(void **state)
{
	struct fix *f = fix_new(true);
	struct late a = { f, &f->ep, 0 }, b = { f, &f->ep2, 0 };

	(void)state;
	push(f, CMD_ATC_INV | SID(0x100), 0x1000);
	push(f, CMD_ATC_INV | SID(0x200), 0x2000);
	push_sync(f);
	sim_schedule_at(f->sim, 3000, answer_event, &b);
	sim_schedule_at(f->sim, 4000, answer_event, &a);
	sim_run_until(f->sim, 3999);
	assert_int_equal(rd(f, 0x9C), 2);
	sim_run_until(f->sim, 4000);
	assert_int_equal(rd(f, 0x9C), 3);
	/* a later SYNC has nothing to wait for */
	push_sync(f);
	sim_run_until(f->sim, 4000 + SYNC_COST);
	assert_int_equal(rd(f, 0x9C), 4);
	assert_int_equal(f->sync_irqs, 2);
	fix_free(f);
}

/*
 * A never-answering endpoint: CERROR_ATC_INV_SYNC with RD on the SYNC,
 * GERROR.CMDQ_ERR; after the ack the SYNC waits again (and times out
 * again); a late completion lets the re-fetched SYNC complete.
 */
static void test_timeout(void **state)
{
	struct smmu_impl impl;
	struct fix *f;
	struct late l;
	struct smmu_stats st;
	const uint64_t to = 1000;
	uint64_t t1, t2;

	(void)state;
	assert_true(smmu_impl_preset("full", &impl));
	assert_true(smmu_impl_set(&impl, "lat.atc_inv_timeout", "1000",
				  NULL, 0));
	f = fix_new_impl(&impl, true);
	l = (struct late){ f, &f->ep, 0 };
	push(f, CMD_ATC_INV | SID(0x101), 0x9000);
	push_sync(f);
	push(f, CMD_CFGI_STE | SID(1), 0);
	t1 = T0 + 2 * CMD_COST + to;
	sim_run_until(f->sim, t1 - 1);
	assert_int_equal(rd(f, 0x9C), 1);
	assert_int_equal(rd(f, 0x60), 0);
	sim_run_until(f->sim, t1);
	assert_int_equal(rd(f, 0x9C), 1 | (CERROR_ATC_INV_SYNC << 24));
	assert_int_equal(rd(f, 0x60), 1);
	assert_int_equal(f->sync_irqs, 0);
	sim_run_until(f->sim, 5000);
	assert_int_equal(rd(f, 0x9C), 1 | (CERROR_ATC_INV_SYNC << 24));

	/* ack without the completion: waits again, times out again */
	wr(f, 0x64, 1);
	t2 = 5000 + CMD_COST + to;
	sim_run_until(f->sim, t2 - 1);
	assert_int_equal(rd(f, 0x60) ^ rd(f, 0x64), 0);
	sim_run_until(f->sim, t2);
	assert_int_equal(rd(f, 0x9C), 1 | (CERROR_ATC_INV_SYNC << 24));
	assert_int_equal(rd(f, 0x60) ^ rd(f, 0x64), 1);

	/* the completion arrives late, then the ack: the SYNC and the
	 * command after it complete */
	sim_schedule_at(f->sim, 8000, answer_event, &l);
	sim_run_until(f->sim, 9000);
	assert_int_equal(rd(f, 0x9C), 1 | (CERROR_ATC_INV_SYNC << 24));
	wr(f, 0x64, 0);
	sim_run_until(f->sim, 9000 + SYNC_COST - 1);
	assert_int_equal(rd(f, 0x9C) & 0xFFFFF, 1);
	sim_run_until(f->sim, 9000 + SYNC_COST);
	assert_int_equal(rd(f, 0x9C) & 0xFFFFF, 2);
	assert_int_equal(f->sync_irqs, 1);
	sim_run_until(f->sim, 9000 + SYNC_COST + CMD_COST);
	assert_int_equal(rd(f, 0x9C) & 0xFFFFF, 3);
	assert_int_equal(rd(f, 0x60) ^ rd(f, 0x64), 0);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.atc_inv_timeouts, 2);
	fix_free(f);
}

/* Detaching an endpoint completes what it still owes. */
static void test_detach_completes(void **state)
{
	struct fix *f = fix_new(true);

	(void)state;
	push(f, CMD_ATC_INV | SID(0x200), 0x1000);
	push_sync(f);
	sim_run_until(f->sim, 1000);
	assert_int_equal(rd(f, 0x9C), 1);
	smmu_detach_endpoint(f->smmu, 0x200);
	sim_run_until(f->sim, 1000);
	assert_int_equal(rd(f, 0x9C), 2);
	/* a completion for the retired tag is ignored */
	smmu_atc_inv_done(f->smmu, f->ep2.seen[0].tag);
	smmu_atc_inv_done(f->smmu, 12345);
	assert_int_equal(f->sync_irqs, 1);
	fix_free(f);
}

/* SMMUEN = 0: CMD_ATC_INV is IGNORED, the SYNC does not wait. */
static void test_smmuen_off(void **state)
{
	struct fix *f = fix_new(false);
	struct smmu_stats st;

	(void)state;
	push(f, CMD_ATC_INV | SID(0x100), 0x1000);
	push_sync(f);
	sim_run_until(f->sim, T0 + CMD_COST + SYNC_COST);
	assert_int_equal(rd(f, 0x9C), 2);
	assert_int_equal(f->ep.n, 0);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.atc_invs, 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_fields),
		cmocka_unit_test(test_size_ill_and_no_ssid),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_sync_waits),
		cmocka_unit_test(test_sync_waits_for_all),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_detach_completes),
		cmocka_unit_test(test_smmuen_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
