/* SPDX-License-Identifier: MIT */
/* Register file: reset values, access rules, CR0/ACK, GBPA, GERROR, IRQs. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#define HOLE 0x200000000ull /* above the 4 GiB of RAM: aborts */

struct fix {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	unsigned irqs[4];
	unsigned sevs;
};

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	((struct fix *)ctx)->irqs[line]++;
}

static void on_sev(void *ctx)
{
	((struct fix *)ctx)->sevs++;
}

static struct fix *fix_new(const char *preset)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, 1ull << 32) >= 0);
	assert_true(smmu_impl_preset(preset, &impl));
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	struct smmu_irq_ops ops = { on_irq, on_sev, f };

	smmu_set_irq_ops(f->smmu, &ops);
	return f;
}

static void fix_free(struct fix *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

static uint64_t rd(struct fix *f, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_true(smmu_reg_read(f->smmu, off, size, &v));
	return v;
}

static void wr(struct fix *f, uint64_t off, unsigned size, uint64_t v)
{
	assert_true(smmu_reg_write(f->smmu, off, size, v));
}

/* Write and wait for the CR0 / IRQ_CTRL acknowledgement. */
static void wr_ack(struct fix *f, uint64_t off, uint64_t v)
{
	wr(f, off, 4, v);
	sim_run_until(f->sim, sim_now(f->sim) + 8);
}

/* --- reset values --------------------------------------------------- */

struct reset_row {
	const char *preset;
	uint64_t off;
	unsigned size;
	uint64_t want;
};

static const struct reset_row reset_rows[] = {
	{ "full", 0x000, 4, 0x080F769B },   /* IDR0 */
	{ "full", 0x004, 4, 0x02739D20 },   /* IDR1 */
	{ "full", 0x008, 4, 0 },            /* IDR2 */
	{ "full", 0x00C, 4, 0x00000404 },   /* IDR3 */
	{ "full", 0x010, 4, 0 },            /* IDR4 */
	{ "full", 0x014, 4, 0x01000075 },   /* IDR5 */
	{ "full", 0x018, 4, 0x0000043B },   /* IIDR */
	{ "full", 0x01C, 4, 3 },            /* AIDR: v3.3 */
	{ "mmu-600-like", 0x018, 4, 0x0483043B },
	{ "mmu-600-like", 0x01C, 4, 1 },
	{ "qemu-7.2", 0x000, 4, 0x0D40101A },
	{ "full", 0x020, 4, 0 },            /* CR0 */
	{ "full", 0x024, 4, 0 },            /* CR0ACK */
	{ "full", 0x028, 4, 0 },            /* CR1 */
	{ "full", 0x02C, 4, 0 },            /* CR2 */
	{ "full", 0x040, 4, 0 },            /* STATUSR */
	{ "full", 0x044, 4, 0x00001000 },   /* GBPA: SHCFG=incoming */
	{ "full", 0x048, 4, 0 },            /* AGBPA */
	{ "full", 0x050, 4, 0 },            /* IRQ_CTRL */
	{ "full", 0x054, 4, 0 },            /* IRQ_CTRLACK */
	{ "full", 0x060, 4, 0 },            /* GERROR */
	{ "full", 0x064, 4, 0 },            /* GERRORN */
	{ "full", 0x068, 8, 0 },
	{ "full", 0x080, 8, 0 },
	{ "full", 0x088, 4, 0 },
	{ "full", 0x090, 8, 0 },
	{ "full", 0x098, 4, 0 },
	{ "full", 0x09C, 4, 0 },
	{ "full", 0x0A0, 8, 0 },
	{ "full", 0x0C0, 8, 0 },
	{ "full", 0x100A8, 4, 0 },
	{ "full", 0x100AC, 4, 0 },
	{ "full", 0x100C8, 4, 0 },
	{ "full", 0x100CC, 4, 0 },
};

static void test_reset_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reset_rows) / sizeof(reset_rows[0]);
	     i++) {
		const struct reset_row *r = &reset_rows[i];
		struct fix *f = fix_new(r->preset);

		expect_field(i, r->preset, "value", rd(f, r->off, r->size),
			     r->want);
		fix_free(f);
	}
}

/* --- access rules --------------------------------------------------- */

struct access_row {
	const char *name;
	const char *preset;
	uint64_t off;
	unsigned size;
	uint64_t val;      /* written */
	bool ok;           /* access accepted */
	uint64_t want;     /* read back at the same offset and size */
};

static const struct access_row access_rows[] = {
	{ "IDR0 RO", "full", 0x000, 4, 0xFFFFFFFF, true, 0x080F769B },
	{ "IDR5 RO", "full", 0x014, 4, 0, true, 0x01000075 },
	{ "CR0ACK RO", "full", 0x024, 4, 0xFFFFFFFF, true, 0 },
	{ "CR0 fields", "full", 0x020, 4, 0xFFFFFFFF, true, 0x1DF },
	{ "CR0 qemu", "qemu-7.2", 0x020, 4, 0xFFFFFFFF, true, 0x00D },
	{ "CR1", "full", 0x028, 4, 0xFFFFFFFF, true, 0xFFF },
	{ "CR2 full", "full", 0x02C, 4, 0xFFFFFFFF, true, 0x3 },
	{ "CR2 qemu", "qemu-7.2", 0x02C, 4, 0xFFFFFFFF, true, 0x2 },
	{ "STATUSR RO", "full", 0x040, 4, 0xFFFFFFFF, true, 0 },
	{ "IRQ_CTRL", "full", 0x050, 4, 0xFFFFFFFF, true, 0x7 },
	{ "IRQ_CTRL qemu", "qemu-7.2", 0x050, 4, 0xFFFFFFFF, true, 0x5 },
	{ "GERROR RO", "full", 0x060, 4, 0xFFFFFFFF, true, 0 },
	{ "GERRORN", "full", 0x064, 4, 0xFFFFFFFF, true, 0x1FD },
	{ "GERROR_IRQ_CFG0", "full", 0x068, 8, ~0ull, true,
	  0x00FFFFFFFFFFFFFC },
	{ "GERROR_IRQ_CFG0 lo", "full", 0x068, 4, ~0ull, true, 0xFFFFFFFC },
	{ "GERROR_IRQ_CFG0 hi", "full", 0x06C, 4, ~0ull, true, 0x00FFFFFF },
	{ "GERROR_IRQ_CFG1", "full", 0x070, 4, 0xFFFFFFFF, true, 0xFFFFFFFF },
	{ "GERROR_IRQ_CFG2", "full", 0x074, 4, 0xFFFFFFFF, true, 0x3F },
	{ "GERROR_IRQ_CFG0 no MSI", "qemu-7.2", 0x068, 8, ~0ull, true, 0 },
	{ "STRTAB_BASE", "full", 0x080, 8, ~0ull, true, 0x40FFFFFFFFFFFFC0 },
	{ "STRTAB_BASE lo", "full", 0x080, 4, ~0ull, true, 0xFFFFFFC0 },
	{ "STRTAB_BASE hi", "full", 0x084, 4, ~0ull, true, 0x40FFFFFF },
	{ "STRTAB_BASE_CFG", "full", 0x088, 4, 0xFFFFFFFF, true, 0x307FF },
	{ "CMDQ_BASE", "full", 0x090, 8, ~0ull, true, 0x40FFFFFFFFFFFFFF },
	{ "CMDQ_PROD QS=0", "full", 0x098, 4, 0xFFFFFFFF, true, 0x1 },
	{ "CMDQ_CONS QS=0", "full", 0x09C, 4, 0xFFFFFFFF, true, 0x7F000001 },
	{ "EVENTQ_BASE", "full", 0x0A0, 8, ~0ull, true, 0x40FFFFFFFFFFFFFF },
	{ "EVENTQ_PROD alias RAZ/WI", "full", 0x0A8, 4, 0xFFFFFFFF, true, 0 },
	{ "EVENTQ_CONS alias RAZ/WI", "full", 0x0AC, 4, 0xFFFFFFFF, true, 0 },
	{ "EVENTQ_IRQ_CFG2", "full", 0x0BC, 4, 0xFFFFFFFF, true, 0x3F },
	{ "PRIQ_BASE", "full", 0x0C0, 8, ~0ull, true, 0x40FFFFFFFFFFFFFF },
	{ "PRIQ_BASE no PRI", "qemu-7.2", 0x0C0, 8, ~0ull, true, 0 },
	{ "PRIQ_IRQ_CFG2", "full", 0x0DC, 4, 0xFFFFFFFF, true, 0x8000003F },
	{ "EVENTQ_PROD QS=0", "full", 0x100A8, 4, 0xFFFFFFFF, true,
	  0x80000001 },
	{ "EVENTQ_CONS QS=0", "full", 0x100AC, 4, 0xFFFFFFFF, true,
	  0x80000001 },
	{ "PRIQ_CONS", "full", 0x100CC, 4, 0xFFFFFFFF, true, 0x80000001 },
	{ "PRIQ_CONS no PRI", "qemu-7.2", 0x100CC, 4, 0xFFFFFFFF, true, 0 },
	{ "undefined page 0", "full", 0x0F0, 4, 0xFFFFFFFF, true, 0 },
	{ "undefined 64-bit", "full", 0x200, 8, ~0ull, true, 0 },
	{ "undefined page 1", "full", 0x10000, 4, 0xFFFFFFFF, true, 0 },
	{ "GATOS absent", "full", 0x100, 4, 0xFFFFFFFF, true, 0 },
	{ "misaligned", "full", 0x022, 4, 0, false, 0 },
	{ "64-bit misaligned", "full", 0x084, 8, 0, false, 0 },
	{ "byte access", "full", 0x020, 1, 0, false, 0 },
	{ "halfword access", "full", 0x020, 2, 0, false, 0 },
	{ "64-bit on CR0", "full", 0x020, 8, 0, false, 0 },
	{ "64-bit on GERROR pair", "full", 0x060, 8, 0, false, 0 },
	{ "64-bit CFG1/CFG2", "full", 0x070, 8, 0, false, 0 },
	{ "beyond page 1", "full", 0x20000, 4, 0, false, 0 },
};

static void test_access_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(access_rows) / sizeof(access_rows[0]);
	     i++) {
		const struct access_row *r = &access_rows[i];
		struct fix *f = fix_new(r->preset);
		uint64_t v = 0x1234;
		bool okw = smmu_reg_write(f->smmu, r->off, r->size, r->val);
		bool okr = smmu_reg_read(f->smmu, r->off, r->size, &v);

		expect_field(i, r->name, "write ok", okw, r->ok);
		expect_field(i, r->name, "read ok", okr, r->ok);
		if (r->ok)
			expect_field(i, r->name, "value", v, r->want);
		fix_free(f);
	}
}

/* The halves of a 64-bit register are written independently. */
static void test_halves(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	wr(f, 0x90, 8, 0x0000123456789AE5ull);
	wr(f, 0x94, 4, 0x00004321);
	assert_int_equal(rd(f, 0x90, 8), 0x0000432156789AE5ull);
	wr(f, 0x90, 4, 0x00000020);
	assert_int_equal(rd(f, 0x90, 8), 0x0000432100000020ull);
	assert_int_equal(rd(f, 0x94, 4), 0x4321);
	fix_free(f);
}

/* --- guarded fields ------------------------------------------------- */

struct guard_row {
	const char *name;
	uint64_t en_off;   /* CR0 or IRQ_CTRL */
	uint32_t en;       /* enable written there */
	uint64_t off;
	unsigned size;
	uint64_t val;
	uint64_t want_guarded; /* read back while guarded (from reset) */
};

static const struct guard_row guard_rows[] = {
	{ "STRTAB_BASE/SMMUEN", 0x20, 0x1, 0x80, 8, 0x1000, 0 },
	{ "STRTAB_BASE_CFG/SMMUEN", 0x20, 0x1, 0x88, 4, 0x10008, 0 },
	{ "CR2/SMMUEN", 0x20, 0x1, 0x2C, 4, 0x3, 0 },
	{ "CR1 table/SMMUEN", 0x20, 0x1, 0x28, 4, 0xFFF, 0x03F },
	{ "CR1 queue/CMDQEN", 0x20, 0x8, 0x28, 4, 0xFFF, 0xFC0 },
	{ "CR1 queue/EVENTQEN", 0x20, 0x4, 0x28, 4, 0xFFF, 0xFC0 },
	{ "CR1 queue/PRIQEN", 0x20, 0x2, 0x28, 4, 0xFFF, 0xFC0 },
	{ "CMDQ_BASE/CMDQEN", 0x20, 0x8, 0x90, 8, 0x10004, 0 },
	{ "CMDQ_CONS/CMDQEN", 0x20, 0x8, 0x9C, 4, 0x1, 0 },
	{ "CMDQ_PROD not guarded", 0x20, 0x8, 0x98, 4, 0x1, 0x1 },
	{ "EVENTQ_BASE/EVENTQEN", 0x20, 0x4, 0xA0, 8, 0x20004, 0 },
	{ "EVENTQ_PROD/EVENTQEN", 0x20, 0x4, 0x100A8, 4, 0x1, 0 },
	{ "EVENTQ_CONS not guarded", 0x20, 0x4, 0x100AC, 4, 0x1, 0x1 },
	{ "PRIQ_BASE/PRIQEN", 0x20, 0x2, 0xC0, 8, 0x30004, 0 },
	{ "PRIQ_PROD/PRIQEN", 0x20, 0x2, 0x100C8, 4, 0x1, 0 },
	{ "GERROR_IRQ_CFG0/IRQEN", 0x50, 0x1, 0x68, 8, 0x4000, 0 },
	{ "GERROR_IRQ_CFG1/IRQEN", 0x50, 0x1, 0x70, 4, 0x55, 0 },
	{ "GERROR_IRQ_CFG2/IRQEN", 0x50, 0x1, 0x74, 4, 0x11, 0 },
	{ "EVENTQ_IRQ_CFG0/IRQEN", 0x50, 0x4, 0xB0, 8, 0x4000, 0 },
	{ "EVENTQ_IRQ_CFG1 other IRQEN", 0x50, 0x1, 0xB8, 4, 0x55, 0x55 },
	{ "PRIQ_IRQ_CFG1/IRQEN", 0x50, 0x2, 0xD8, 4, 0x55, 0 },
};

static void test_guarded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(guard_rows) / sizeof(guard_rows[0]);
	     i++) {
		const struct guard_row *r = &guard_rows[i];
		struct fix *f = fix_new("full");

		/* written, not yet acknowledged: already guarded */
		wr(f, r->en_off, 4, r->en);
		wr(f, r->off, r->size, r->val);
		expect_field(i, r->name, "before ack", rd(f, r->off, r->size),
			     r->want_guarded);
		sim_run_until(f->sim, 8);
		wr(f, r->off, r->size, r->val);
		expect_field(i, r->name, "after ack", rd(f, r->off, r->size),
			     r->want_guarded);
		/* cleared but not acknowledged: still guarded */
		wr(f, r->en_off, 4, 0);
		wr(f, r->off, r->size, r->val);
		expect_field(i, r->name, "clearing", rd(f, r->off, r->size),
			     r->want_guarded);
		sim_run_until(f->sim, 16);
		wr(f, r->off, r->size, r->val);
		expect_field(i, r->name, "disabled", rd(f, r->off, r->size),
			     r->val);
		fix_free(f);
	}
}

/* --- CR0 / IRQ_CTRL acknowledgement --------------------------------- */

static void test_cr0_ack_timing(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	wr(f, 0x20, 4, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x20, 4), 0x1DF);
	sim_run_until(f->sim, 7);
	assert_int_equal(rd(f, 0x24, 4), 0);
	assert_false(smmu_enabled(f->smmu));
	sim_run_until(f->sim, 8);
	/* reserved bits are not reflected */
	assert_int_equal(rd(f, 0x24, 4), 0x1DF);
	assert_true(smmu_enabled(f->smmu));
	assert_true(smmu_cmdq_enabled(f->smmu));
	assert_true(smmu_eventq_enabled(f->smmu));
	assert_true(smmu_priq_enabled(f->smmu));
	assert_true(smmu_atschk(f->smmu));

	/* t=10: clear SMMUEN; t=12: try to set it again mid-transition and
	 * clear EVENTQEN; SMMUEN acks at 18, EVENTQEN at 20 */
	sim_run_until(f->sim, 10);
	wr(f, 0x20, 4, 0x1DE);
	sim_run_until(f->sim, 12);
	wr(f, 0x20, 4, 0x1DB);
	assert_int_equal(rd(f, 0x20, 4), 0x1DA);
	sim_run_until(f->sim, 17);
	assert_int_equal(rd(f, 0x24, 4), 0x1DF);
	sim_run_until(f->sim, 18);
	assert_int_equal(rd(f, 0x24, 4), 0x1DE);
	assert_false(smmu_enabled(f->smmu));
	assert_false(smmu_priq_enabled(f->smmu)); /* PRIQEN && SMMUEN */
	sim_run_until(f->sim, 19);
	assert_int_equal(rd(f, 0x24, 4), 0x1DE);
	sim_run_until(f->sim, 20);
	assert_int_equal(rd(f, 0x24, 4), 0x1DA);
	assert_false(smmu_eventq_enabled(f->smmu));

	/* IRQ_CTRL -> IRQ_CTRLACK */
	wr(f, 0x50, 4, 0xFFFFFFFF);
	sim_run_until(f->sim, 27);
	assert_int_equal(rd(f, 0x54, 4), 0);
	sim_run_until(f->sim, 28);
	assert_int_equal(rd(f, 0x54, 4), 0x7);
	fix_free(f);
}

/* --- GBPA ----------------------------------------------------------- */

static void test_gbpa(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	/* without Update: ignored */
	wr(f, 0x44, 4, 0x00100000);
	assert_int_equal(rd(f, 0x44, 4), 0x1000);
	/* with Update: new value readable at once, in effect on clear */
	wr(f, 0x44, 4, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x44, 4), 0x801F3F1F);
	assert_int_equal(smmu_gbpa(f->smmu), 0x1000);
	sim_run_until(f->sim, 3);
	/* while Update=1: ignored */
	wr(f, 0x44, 4, 0x80000000);
	assert_int_equal(rd(f, 0x44, 4), 0x801F3F1F);
	sim_run_until(f->sim, 7);
	assert_int_equal(rd(f, 0x44, 4), 0x801F3F1F);
	sim_run_until(f->sim, 8);
	assert_int_equal(rd(f, 0x44, 4), 0x001F3F1F);
	assert_int_equal(smmu_gbpa(f->smmu), 0x001F3F1F);
	wr(f, 0x44, 4, 0x80000000);
	sim_run_until(f->sim, 16);
	assert_int_equal(rd(f, 0x44, 4), 0);
	assert_int_equal(smmu_gbpa(f->smmu), 0);
	fix_free(f);
}

/* --- GERROR --------------------------------------------------------- */

struct gerror_row {
	unsigned bit;
	unsigned want_irqs; /* wired GERROR pulses on activation */
};

static const struct gerror_row gerror_rows[] = {
	{ GERROR_CMDQ_ERR, 1 },
	{ GERROR_EVENTQ_ABT_ERR, 1 },
	{ GERROR_PRIQ_ABT_ERR, 1 },
	{ GERROR_MSI_CMDQ_ABT_ERR, 1 },
	{ GERROR_MSI_EVENTQ_ABT_ERR, 1 },
	{ GERROR_MSI_PRIQ_ABT_ERR, 1 },
	{ GERROR_MSI_GERROR_ABT_ERR, 0 },
	{ GERROR_SFM_ERR, 1 },
};

static void test_gerror_toggle(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gerror_rows) / sizeof(gerror_rows[0]);
	     i++) {
		const struct gerror_row *r = &gerror_rows[i];
		struct fix *f = fix_new("full");
		uint32_t b = 1u << r->bit;

		wr_ack(f, 0x50, 0x1); /* GERROR_IRQEN */
		smmu_gerror_raise(f->smmu, r->bit);
		expect_field(i, "raise", "GERROR", rd(f, 0x60, 4), b);
		expect_field(i, "raise", "active",
			     smmu_gerror_active(f->smmu, r->bit), 1);
		expect_field(i, "raise", "irqs", f->irqs[SMMU_IRQ_GERROR],
			     r->want_irqs);
		/* while active, further occurrences are not logged */
		smmu_gerror_raise(f->smmu, r->bit);
		expect_field(i, "again", "GERROR", rd(f, 0x60, 4), b);
		expect_field(i, "again", "irqs", f->irqs[SMMU_IRQ_GERROR],
			     r->want_irqs);
		/* acknowledge: GERRORN toggled to match */
		wr(f, 0x64, 4, b);
		expect_field(i, "ack", "active",
			     smmu_gerror_active(f->smmu, r->bit), 0);
		/* next activation toggles GERROR back to 0 */
		smmu_gerror_raise(f->smmu, r->bit);
		expect_field(i, "second", "GERROR", rd(f, 0x60, 4), 0);
		expect_field(i, "second", "active",
			     smmu_gerror_active(f->smmu, r->bit), 1);
		expect_field(i, "second", "irqs", f->irqs[SMMU_IRQ_GERROR],
			     2 * r->want_irqs);
		fix_free(f);
	}
}

static void test_gerror_irq_disabled(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	smmu_gerror_raise(f->smmu, GERROR_SFM_ERR);
	assert_int_equal(rd(f, 0x60, 4), 0x100);
	assert_int_equal(f->irqs[SMMU_IRQ_GERROR], 0);
	/* reserved bit 1 cannot be raised */
	smmu_gerror_raise(f->smmu, 1);
	assert_int_equal(rd(f, 0x60, 4), 0x100);
	fix_free(f);
}

/* --- MSIs and wired interrupts -------------------------------------- */

static uint32_t mem32(struct fix *f, uint64_t pa)
{
	uint32_t v = 0;

	assert_int_equal(pmem_read32(f->mem, pa, &v, NULL), MEM_OK);
	return v;
}

static void test_msi(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	/* GERROR MSI to 0x1000, EVTQ MSI to 0x2000 */
	wr(f, 0x68, 8, 0x1000);
	wr(f, 0x70, 4, 0xCAFEF00D);
	wr(f, 0xB0, 8, 0x2000);
	wr(f, 0xB8, 4, 0x12345678);
	wr_ack(f, 0x50, 0x5);
	smmu_signal_irq(f->smmu, SMMU_IRQ_EVTQ);
	assert_int_equal(mem32(f, 0x2000), 0x12345678);
	smmu_gerror_raise(f->smmu, GERROR_SFM_ERR);
	assert_int_equal(mem32(f, 0x1000), 0xCAFEF00D);
	assert_int_equal(f->irqs[SMMU_IRQ_GERROR], 0);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 0);
	fix_free(f);
}

static void test_msi_abort(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	/* EVTQ MSI to a hole: MSI_EVENTQ_ABT_ERR, whose GERROR MSI also
	 * aborts: MSI_GERROR_ABT_ERR, which signals nothing further */
	wr(f, 0x68, 8, HOLE);
	wr(f, 0xB0, 8, HOLE + 0x40);
	wr_ack(f, 0x50, 0x5);
	smmu_signal_irq(f->smmu, SMMU_IRQ_EVTQ);
	assert_int_equal(rd(f, 0x60, 4), (1u << 5) | (1u << 7));
	assert_int_equal(f->irqs[SMMU_IRQ_GERROR], 0);

	/* an aborted GERROR MSI with a good EVTQ MSI */
	struct fix *g = fix_new("full");

	wr(g, 0x68, 8, HOLE);
	wr_ack(g, 0x50, 0x1);
	smmu_gerror_raise(g->smmu, GERROR_EVENTQ_ABT_ERR);
	assert_int_equal(rd(g, 0x60, 4), (1u << 2) | (1u << 7));
	fix_free(g);
	fix_free(f);
}

static void test_wired(void **state)
{
	struct fix *f = fix_new("full");
	struct fix *q = fix_new("qemu-7.2"); /* no MSI: always wired */

	(void)state;
	smmu_signal_irq(f->smmu, SMMU_IRQ_EVTQ); /* disabled */
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 0);
	wr_ack(f, 0x50, 0x7);
	smmu_signal_irq(f->smmu, SMMU_IRQ_EVTQ);
	smmu_signal_irq(f->smmu, SMMU_IRQ_EVTQ);
	smmu_signal_irq(f->smmu, SMMU_IRQ_PRIQ);
	smmu_signal_irq(f->smmu, SMMU_IRQ_GERROR);
	smmu_signal_irq(f->smmu, SMMU_IRQ_CMD_SYNC);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 2);
	assert_int_equal(f->irqs[SMMU_IRQ_PRIQ], 1);
	assert_int_equal(f->irqs[SMMU_IRQ_GERROR], 1);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 1);

	wr(q, 0xB0, 8, 0x2000); /* RAZ/WI without MSI */
	wr_ack(q, 0x50, 0x4);
	smmu_signal_irq(q->smmu, SMMU_IRQ_EVTQ);
	assert_int_equal(q->irqs[SMMU_IRQ_EVTQ], 1);
	assert_int_equal(mem32(q, 0x2000), 0);
	fix_free(q);
	fix_free(f);
}

/* SMMUEN 1 -> 0 and CR2/STRTAB accessors */
static void test_effective_state(void **state)
{
	struct fix *f = fix_new("full");

	(void)state;
	wr(f, 0x2C, 4, 0x3);
	wr(f, 0x80, 8, 0x80000);
	wr(f, 0x88, 4, 0x1000A);
	assert_int_equal(smmu_cr2(f->smmu), 0x3);
	assert_int_equal(smmu_strtab_base(f->smmu), 0x80000);
	assert_int_equal(smmu_strtab_base_cfg(f->smmu), 0x1000A);
	/* LOG2SIZE reads back as written even above SIDSIZE */
	wr(f, 0x88, 4, 0x3F);
	assert_int_equal(rd(f, 0x88, 4), 0x3F);
	/* queue LOG2SIZE capped at use, read back as written */
	wr(f, 0x90, 8, 0x1F);
	assert_int_equal(rd(f, 0x90, 8), 0x1F);
	assert_int_equal(regs_queue_log2size(f->smmu, R_CMDQ_BASE), 19);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_access_rules),
		cmocka_unit_test(test_halves),
		cmocka_unit_test(test_guarded),
		cmocka_unit_test(test_cr0_ack_timing),
		cmocka_unit_test(test_gbpa),
		cmocka_unit_test(test_gerror_toggle),
		cmocka_unit_test(test_gerror_irq_disabled),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_msi_abort),
		cmocka_unit_test(test_wired),
		cmocka_unit_test(test_effective_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
