/* SPDX-License-Identifier: MIT */
/* Event records and the event queue: layout, overflow, stalls, aborts. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmu/smmu_internal.h"

#define HOLE 0x200000000ull
#define EVTQ_PA 0x40000ull
/* lat.evt_write 4 + RAM 100 per access + 8 per line (one line) */
#define EVT_COST (4 + 108)

/* --- record layout -------------------------------------------------- */

struct rec_row {
	const char *name;
	struct smmu_event in;
	uint64_t rec[4];
	bool lossy;              /* `in` has fields the type does not carry */
	struct smmu_event out;   /* decode of rec when lossy */
};

static const struct rec_row rec_rows[] = {
	{ "F_TRANSLATION stall",
	  { .id = EVT_F_TRANSLATION, .sid = 0x12345678, .ssv = true,
	    .ssid = 0xABCDE, .stall = true, .stag = 0x1234, .pnu = true,
	    .ind = true, .rnw = true, .s2 = true, .class_ = EVT_CLASS_TT,
	    .input_addr = 0xFFFF0000DEADB000ull,
	    .ipa = 0x0000123456789000ull },
	  { 0x12345678ABCDE810ull, 0x0000018E80001234ull,
	    0xFFFF0000DEADB000ull, 0x0000123456789000ull },
	  false, { 0 } },
	{ "F_PERMISSION TTRnW",
	  { .id = EVT_F_PERMISSION, .sid = 7, .class_ = EVT_CLASS_IN,
	    .ttrnw = true, .input_addr = 0x1000, .ipa = 0xABC000 },
	  { 0x0000000700000013ull, 0x0000120000000000ull, 0x1000,
	    0xABC000 },
	  false, { 0 } },
	{ "F_PERMISSION write with InD",
	  { .id = EVT_F_PERMISSION, .sid = 7, .ind = true, .rnw = false,
	    .input_addr = 0x1000 },
	  { 0x0000000700000013ull, 0, 0x1000, 0 },
	  true, { .id = EVT_F_PERMISSION, .sid = 7, .input_addr = 0x1000 } },
	{ "F_WALK_EABT",
	  { .id = EVT_F_WALK_EABT, .sid = 1, .s2 = true,
	    .class_ = EVT_CLASS_CD, .fetch_addr = 0x0000FEDCBA987658ull,
	    .reason = 0x5A, .rnw = true, .pnu = true, .input_addr = 0x4000 },
	  { 0x000000010000000Bull, 0x0000008A005A0000ull, 0x4000,
	    0x0000FEDCBA987658ull },
	  false, { 0 } },
	{ "E_PAGE_REQUEST",
	  { .id = EVT_E_PAGE_REQUEST, .sid = 3, .ssv = true, .ssid = 0x42,
	    .span = 0xFF, .pr = true, .px = true, .uw = true, .ux = true,
	    .input_addr = 0x00007FFF12345000ull },
	  { 0x0000000300042824ull, 0x000FF0A600000000ull,
	    0x00007FFF12345000ull, 0 },
	  false, { 0 } },
	{ "F_UUT",
	  { .id = EVT_F_UUT, .sid = 9, .reason = 7, .pnu = true, .ind = true,
	    .rnw = true, .input_addr = 0x8000 },
	  { 0x0000000900000001ull, 0x0000000E00070000ull, 0x8000, 0 },
	  false, { 0 } },
	{ "F_STE_FETCH",
	  { .id = EVT_F_STE_FETCH, .sid = 0x20, .fetch_addr = 0x1000040,
	    .input_addr = 0x999, .rnw = true },
	  { 0x0000002000000003ull, 0, 0, 0x1000040 },
	  true, { .id = EVT_F_STE_FETCH, .sid = 0x20,
		  .fetch_addr = 0x1000040 } },
	{ "C_BAD_STREAMID",
	  { .id = EVT_C_BAD_STREAMID, .sid = 0xFFFFFFFF, .rnw = true,
	    .input_addr = 0x5000 },
	  { 0xFFFFFFFF00000002ull, 0, 0, 0 },
	  true, { .id = EVT_C_BAD_STREAMID, .sid = 0xFFFFFFFF } },
	{ "C_BAD_SUBSTREAMID",
	  { .id = EVT_C_BAD_SUBSTREAMID, .sid = 2, .ssv = true,
	    .ssid = 0xFFFFF },
	  { 0x00000002FFFFF808ull, 0, 0, 0 },
	  false, { 0 } },
	{ "F_ADDR_SIZE IN",
	  { .id = EVT_F_ADDR_SIZE, .sid = 4, .class_ = EVT_CLASS_IN,
	    .rnw = true, .input_addr = 0x0001000000000000ull },
	  { 0x0000000400000011ull, 0x0000020800000000ull,
	    0x0001000000000000ull, 0 },
	  false, { 0 } },
};

static void check_event(int row, const char *name,
			const struct smmu_event *g, const struct smmu_event *w)
{
	expect_field(row, name, "id", g->id, w->id);
	expect_field(row, name, "sid", g->sid, w->sid);
	expect_field(row, name, "ssv", g->ssv, w->ssv);
	expect_field(row, name, "ssid", g->ssid, w->ssid);
	expect_field(row, name, "stall", g->stall, w->stall);
	expect_field(row, name, "stag", g->stag, w->stag);
	expect_field(row, name, "pnu", g->pnu, w->pnu);
	expect_field(row, name, "ind", g->ind, w->ind);
	expect_field(row, name, "rnw", g->rnw, w->rnw);
	expect_field(row, name, "s2", g->s2, w->s2);
	expect_field(row, name, "class", g->class_, w->class_);
	expect_field(row, name, "ttrnw", g->ttrnw, w->ttrnw);
	expect_field(row, name, "input_addr", g->input_addr, w->input_addr);
	expect_field(row, name, "ipa", g->ipa, w->ipa);
	expect_field(row, name, "fetch_addr", g->fetch_addr, w->fetch_addr);
	expect_field(row, name, "reason", g->reason, w->reason);
	expect_field(row, name, "span", g->span, w->span);
	expect_field(row, name, "pr", g->pr, w->pr);
	expect_field(row, name, "pw", g->pw, w->pw);
	expect_field(row, name, "px", g->px, w->px);
	expect_field(row, name, "ur", g->ur, w->ur);
	expect_field(row, name, "uw", g->uw, w->uw);
	expect_field(row, name, "ux", g->ux, w->ux);
}

static void test_encode_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rec_rows) / sizeof(rec_rows[0]); i++) {
		const struct rec_row *r = &rec_rows[i];
		uint64_t rec[4];
		struct smmu_event ev;
		static const char *const dw[4] = { "DW0", "DW1", "DW2",
						    "DW3" };

		evtq_encode(&r->in, rec);
		for (int d = 0; d < 4; d++)
			expect_field(i, r->name, dw[d], rec[d], r->rec[d]);
		evtq_decode(r->rec, &ev);
		check_event(i, r->name, &ev, r->lossy ? &r->out : &r->in);
	}
}

/* --- the queue ------------------------------------------------------ */

struct fix {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	unsigned irqs[4];
};

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	((struct fix *)ctx)->irqs[line]++;
}

static uint64_t rd(struct fix *f, uint64_t off)
{
	uint64_t v = 0;

	assert_true(smmu_reg_read(f->smmu, off, 4, &v));
	return v;
}

static void wr(struct fix *f, uint64_t off, unsigned size, uint64_t v)
{
	assert_true(smmu_reg_write(f->smmu, off, size, v));
}

/* A 2^qs-entry event queue at `base`, EVENTQEN and EVENTQ_IRQEN
 * acknowledged at cycle 8 when `enable`. */
static struct fix *fix_new(unsigned qs, uint64_t base, bool enable)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, 1ull << 32) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	struct smmu_irq_ops ops = { on_irq, NULL, f };

	smmu_set_irq_ops(f->smmu, &ops);
	wr(f, 0xA0, 8, base | qs);
	wr(f, 0x50, 4, 0x4);
	if (enable)
		wr(f, 0x20, 4, 0x4);
	sim_run_until(f->sim, 8);
	return f;
}

static void fix_free(struct fix *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

static void read_event(struct fix *f, unsigned idx, struct smmu_event *ev)
{
	uint64_t rec[4];

	for (int d = 0; d < 4; d++)
		assert_int_equal(pmem_read64(f->mem, EVTQ_PA + idx * 32 + d * 8,
					     &rec[d], NULL),
				 MEM_OK);
	evtq_decode(rec, ev);
}

static struct smmu_event mk(uint32_t sid, bool stall)
{
	struct smmu_event ev = { .id = EVT_F_TRANSLATION, .sid = sid,
				 .stall = stall, .stag = stall ? 0x33 : 0,
				 .rnw = true, .input_addr = 0x1000 * sid };

	return ev;
}

static void test_write_and_overflow(void **state)
{
	struct fix *f = fix_new(1, EVTQ_PA, true);
	struct smmu_event ev, got;
	struct smmu_stats st;
	uint64_t cyc = 0;

	(void)state;
	ev = mk(1, false);
	assert_true(evtq_record(f->smmu, &ev, &cyc));
	assert_int_equal(cyc, EVT_COST);
	assert_int_equal(rd(f, 0x100A8), 1);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 1);
	read_event(f, 0, &got);
	check_event(0, "first", &got, &ev);

	ev = mk(2, false);
	assert_true(evtq_record(f->smmu, &ev, &cyc));
	assert_int_equal(rd(f, 0x100A8), 2); /* full: wrap 1, index 0 */
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 1);

	/* full: discarded, overflow signalled once */
	ev = mk(3, false);
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000002);
	ev = mk(4, false);
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000002);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.events, 2);

	/* consume one entry without acknowledging: records still written */
	wr(f, 0x100AC, 4, 1);
	ev = mk(5, false);
	assert_true(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000003);
	read_event(f, 0, &got);
	check_event(1, "after overflow", &got, &ev);
	/* full again: overflow still pending, no toggle */
	ev = mk(6, false);
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000003);

	/* acknowledge and drain, then overflow again: OVFLG toggles to 0 */
	wr(f, 0x100AC, 4, 0x80000003);
	ev = mk(7, false);
	assert_true(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000000);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 2);
	ev = mk(8, false);
	assert_true(evtq_record(f->smmu, &ev, NULL));
	ev = mk(9, false);
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x00000001);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.events, 5);
	fix_free(f);
}

/* §7.3.1 merging: into the last unconsumed identical record only. */
struct merge_row {
	const char *name;
	uint8_t id;
	bool mev, stall, differ, consumed;
	bool merged;
};

static const struct merge_row merge_rows[] = {
	{ "MEV=1 identical", EVT_F_TRANSLATION, true, false, false, false, true },
	{ "MEV=0 identical", EVT_F_TRANSLATION, false, false, false, false, false },
	{ "MEV=1 other address", EVT_F_TRANSLATION, true, false, true, false, false },
	{ "MEV=1 already consumed", EVT_F_TRANSLATION, true, false, false, true, false },
	{ "stall records never", EVT_F_TRANSLATION, true, true, false, false, false },
	{ "C_BAD_STE always", EVT_C_BAD_STE, false, false, false, false, true },
	{ "F_UUT always", EVT_F_UUT, false, false, false, false, true },
};

static void test_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(merge_rows) / sizeof(merge_rows[0]); i++) {
		const struct merge_row *r = &merge_rows[i];
		struct fix *f = fix_new(3, EVTQ_PA, true);
		struct smmu_event a = mk(1, r->stall), b;
		struct smmu_stats st;

		a.id = r->id;
		a.mev = r->mev;
		b = a;
		if (r->differ)
			b.input_addr += 0x1000;
		assert_true(evtq_record(f->smmu, &a, NULL));
		if (r->consumed)
			wr(f, 0x100AC, 4, 1);
		bool written = evtq_record(f->smmu, &b, NULL);

		smmu_get_stats(f->smmu, &st);
		expect_field(i, r->name, "reported", written, true);
		expect_field(i, r->name, "PROD", rd(f, 0x100A8),
			     r->merged ? 1 : 2);
		expect_field(i, r->name, "merged", st.events_merged,
			     r->merged ? 1 : 0);
		fix_free(f);
	}
}

static void test_stall_held(void **state)
{
	struct fix *f = fix_new(1, EVTQ_PA, true);
	struct smmu_event ev, stall, got;

	(void)state;
	ev = mk(1, false);
	assert_true(evtq_record(f->smmu, &ev, NULL));
	assert_true(evtq_record(f->smmu, &ev, NULL));
	/* full: the stall record is held, no overflow */
	stall = mk(0x77, true);
	assert_false(evtq_record(f->smmu, &stall, NULL));
	assert_int_equal(rd(f, 0x100A8), 2);
	/* a later ordinary record overflows */
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_int_equal(rd(f, 0x100A8), 0x80000002);
	/* space frees: the held record is written */
	wr(f, 0x100AC, 4, 1);
	assert_int_equal(rd(f, 0x100A8), 0x80000003);
	read_event(f, 0, &got);
	check_event(0, "held stall", &got, &stall);
	assert_true(got.stall);
	assert_int_equal(got.stag, 0x33);
	fix_free(f);
}

static void test_disabled(void **state)
{
	struct fix *f = fix_new(2, EVTQ_PA, false);
	struct smmu_event ev = mk(1, false), stall = mk(2, true), got;
	struct smmu_stats st;

	(void)state;
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_false(evtq_record(f->smmu, &stall, NULL));
	assert_int_equal(rd(f, 0x100A8), 0); /* no overflow when disabled */
	wr(f, 0x20, 4, 0x4);
	sim_run_until(f->sim, 15);
	assert_int_equal(rd(f, 0x100A8), 0);
	sim_run_until(f->sim, 16); /* EVENTQEN acknowledged: flushed */
	assert_int_equal(rd(f, 0x100A8), 1);
	read_event(f, 0, &got);
	check_event(0, "held while disabled", &got, &stall);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 1);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.events, 1);
	fix_free(f);
}

static void test_abort(void **state)
{
	struct fix *f = fix_new(2, HOLE, true);
	struct smmu_event ev = mk(1, false), stall = mk(2, true);
	uint64_t cyc = 0;

	(void)state;
	assert_false(evtq_record(f->smmu, &ev, &cyc));
	assert_int_equal(rd(f, 0x60), 1u << GERROR_EVENTQ_ABT_ERR);
	assert_int_equal(rd(f, 0x100A8), 0);
	assert_true(cyc >= 4);
	/* unwritable while EVENTQ_ABT_ERR is active; no overflow */
	assert_false(evtq_record(f->smmu, &ev, NULL));
	assert_false(evtq_record(f->smmu, &stall, NULL));
	assert_int_equal(rd(f, 0x100A8), 0);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_write_and_overflow),
		cmocka_unit_test(test_stall_held),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
