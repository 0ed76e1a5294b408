/* SPDX-License-Identifier: MIT */
/* Command queue: consumption timing, every error, wrap, CMD_SYNC, TLBI. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmu/cmdq.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#define HOLE 0x200000000ull
#define CMDQ_PA 0x10000ull
/* Default RAM latency: 100 per access + 8 per line; a command read is one
 * line. Default lat.cmd_fetch 2, cmd_exec 4, sync 16, cr0_ack 8. */
#define CMD_COST (2 + 108 + 4)
#define SYNC_COST (CMD_COST + 16)

struct fix {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	unsigned irqs[4];
	unsigned sevs;
	unsigned qs;
	uint32_t prod;
};

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	((struct fix *)ctx)->irqs[line]++;
}

static void on_sev(void *ctx)
{
	((struct fix *)ctx)->sevs++;
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

/* SMMU with a 2^qs-entry command queue at `base`, CMDQEN acknowledged
 * at cycle 8. */
static struct fix *fix_new_impl(const struct smmu_impl *impl, unsigned qs,
				uint64_t base)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_true(pmem_add_ram(f->mem, 0, 1ull << 32) >= 0);
	f->smmu = smmu_create(f->sim, f->mem, impl);
	assert_non_null(f->smmu);
	struct smmu_irq_ops ops = { on_irq, on_sev, f };

	smmu_set_irq_ops(f->smmu, &ops);
	f->qs = qs;
	wr(f, 0x90, 8, base | qs);
	wr(f, 0x20, 4, 0x8); /* CMDQEN */
	sim_run_until(f->sim, 8);
	assert_int_equal(rd(f, 0x24), 0x8);
	return f;
}

static struct fix *fix_new(const char *preset, unsigned qs)
{
	struct smmu_impl impl;

	assert_true(smmu_impl_preset(preset, &impl));
	return fix_new_impl(&impl, qs, CMDQ_PA);
}

static void fix_free(struct fix *f)
{
	smmu_destroy(f->smmu);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* Write a command at PROD (no PROD update). */
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
	wr(f, 0x98, 4, f->prod);
}

/* --- timing --------------------------------------------------------- */

static void test_consume_timing(void **state)
{
	struct fix *f = fix_new("full", 4);

	(void)state;
	sim_run_until(f->sim, 100);
	put(f, CMD_PREFETCH_CONFIG, 0);
	push(f, CMD_CFGI_STE | (5ull << 32), 0);
	/* nothing happens inside the PROD write */
	assert_int_equal(rd(f, 0x9C), 0);
	sim_run_until(f->sim, 100 + CMD_COST - 1);
	assert_int_equal(rd(f, 0x9C), 0);
	sim_run_until(f->sim, 100 + CMD_COST);
	assert_int_equal(rd(f, 0x9C), 1);
	sim_run_until(f->sim, 100 + 2 * CMD_COST - 1);
	assert_int_equal(rd(f, 0x9C), 1);
	sim_run_until(f->sim, 100 + 2 * CMD_COST);
	assert_int_equal(rd(f, 0x9C), 2);
	struct smmu_stats st;

	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.cmds, 2);
	assert_int_equal(st.cmd_errors, 0);
	fix_free(f);
}

/* Commands wait for CMDQEN to be acknowledged. */
static void test_cmdqen_gates(void **state)
{
	struct fix *f = fix_new("full", 4);

	(void)state;
	wr(f, 0x20, 4, 0);
	sim_run_until(f->sim, 16);
	push(f, CMD_PREFETCH_CONFIG, 0);
	sim_run_until(f->sim, 1000);
	assert_int_equal(rd(f, 0x9C), 0);
	wr(f, 0x20, 4, 0x8);
	sim_run_until(f->sim, 1008 + CMD_COST - 1);
	assert_int_equal(rd(f, 0x9C), 0);
	sim_run_until(f->sim, 1008 + CMD_COST);
	assert_int_equal(rd(f, 0x9C), 1);
	fix_free(f);
}

/* --- legal and illegal commands ------------------------------------- */

struct ill_row {
	const char *name;
	const char *preset;
	bool no_s1;       /* stage-2-only variant of the preset */
	uint64_t dw0, dw1;
	uint8_t err;      /* 0: consumed */
};

#define SID(x) ((uint64_t)(x) << 32)
#define TG(x) ((uint64_t)(x) << 10)
#define TTL(x) ((uint64_t)(x) << 8)
#define NUM(x) ((uint64_t)(x) << 12)
#define SCALE(x) ((uint64_t)(x) << 20)

static const struct ill_row ill_rows[] = {
	{ "opcode 0", "full", false, 0x00, 0, CERROR_ILL },
	{ "opcode 0xFF", "full", false, 0xFF, 0, CERROR_ILL },
	{ "IMPDEF 0x80", "full", false, 0x80, 0, CERROR_ILL },
	{ "CFGI_VMS_PIDM", "full", false, CMD_CFGI_VMS_PIDM, 0, CERROR_ILL },
	{ "TLBI_EL3_ALL", "full", false, CMD_TLBI_EL3_ALL, 0, CERROR_ILL },
	{ "TLBI_EL3_VA", "full", false, CMD_TLBI_EL3_VA, 0, CERROR_ILL },
	{ "TLBI_S_EL2_ALL", "full", false, 0x50, 0, CERROR_ILL },
	{ "TLBI_SNH_ALL", "full", false, 0x60, 0, CERROR_ILL },
	{ "DPTI_ALL", "full", false, 0x70, 0, CERROR_ILL },
	{ "CFGI_STE SSec", "full", false, CMD_CFGI_STE | (1u << 10), 0,
	  CERROR_ILL },
	{ "CFGI_STE", "full", false, CMD_CFGI_STE | SID(3), 1, 0 },
	{ "CFGI_STE_RANGE", "full", false, CMD_CFGI_STE_RANGE, 4, 0 },
	{ "CFGI_ALL", "full", false, CMD_CFGI_STE_RANGE, 31, 0 },
	{ "CFGI_CD", "full", false, CMD_CFGI_CD, 0, 0 },
	{ "CFGI_CD_ALL", "full", false, CMD_CFGI_CD_ALL, 0, 0 },
	{ "PREFETCH_ADDR", "full", false, CMD_PREFETCH_ADDR, 0x1000, 0 },
	{ "SYNC CS=0", "full", false, CMD_SYNC, 0, 0 },
	{ "SYNC CS=3", "full", false, CMD_SYNC | (3u << 12), 0, CERROR_ILL },
	{ "NH_VA TG=0", "full", false, CMD_TLBI_NH_VA, 0x1000, 0 },
	{ "NH_VA range 0/0/0", "full", false, CMD_TLBI_NH_VA, TG(1) | 0x1000,
	  CERROR_ILL },
	{ "NH_VA range TTL=3", "full", false, CMD_TLBI_NH_VA,
	  TG(1) | TTL(3) | 0x1000, 0 },
	{ "NH_VA range NUM=1", "full", false, CMD_TLBI_NH_VA | NUM(1),
	  TG(1) | 0x1000, 0 },
	{ "NH_VA 16K TTL=1", "full", false, CMD_TLBI_NH_VA,
	  TG(2) | TTL(1) | 0x4000, CERROR_ILL },
	{ "S2_IPA range 0/0/0", "full", false, CMD_TLBI_S2_IPA,
	  TG(3) | 0x10000, CERROR_ILL },
	{ "EL2_ALL", "full", false, CMD_TLBI_EL2_ALL, 0, 0 },
	{ "S12_VMALL", "full", false, CMD_TLBI_S12_VMALL, 0, 0 },
	{ "NSNH_ALL", "full", false, CMD_TLBI_NSNH_ALL, 0, 0 },
	{ "ATC_INV", "full", false, CMD_ATC_INV, 52, 0 },
	{ "ATC_INV Size 53", "full", false, CMD_ATC_INV, 53, CERROR_ILL },
	{ "PRI_RESP success", "full", false, CMD_PRI_RESP, 2u << 12, 0 },
	{ "PRI_RESP Resp=3", "full", false, CMD_PRI_RESP, 3u << 12,
	  CERROR_ILL },
	{ "RESUME unknown", "full", false, CMD_RESUME | (1u << 12), 7, 0 },
	{ "STALL_TERM", "full", false, CMD_STALL_TERM, 0, 0 },
	{ "S12_VMALL no S2", "qemu-7.2", false, CMD_TLBI_S12_VMALL, 0,
	  CERROR_ILL },
	{ "S2_IPA no S2", "qemu-7.2", false, CMD_TLBI_S2_IPA, 0x1000,
	  CERROR_ILL },
	{ "EL2_ALL no Hyp", "qemu-7.2", false, CMD_TLBI_EL2_ALL, 0,
	  CERROR_ILL },
	{ "EL2_VA no Hyp", "qemu-7.2", false, CMD_TLBI_EL2_VA, 0x1000,
	  CERROR_ILL },
	{ "ATC_INV no ATS", "qemu-7.2", false, CMD_ATC_INV, 0, CERROR_ILL },
	{ "PRI_RESP no PRI", "qemu-7.2", false, CMD_PRI_RESP, 0, CERROR_ILL },
	{ "RESUME STALL_MODEL=01", "qemu-7.2", false, CMD_RESUME, 0,
	  CERROR_ILL },
	{ "STALL_TERM STALL_MODEL=01", "qemu-7.2", false, CMD_STALL_TERM, 0,
	  CERROR_ILL },
	{ "NH_ALL qemu", "qemu-7.2", false, CMD_TLBI_NH_ALL, 0, 0 },
	{ "CFGI_CD no S1", "full", true, CMD_CFGI_CD, 0, CERROR_ILL },
	{ "CFGI_CD_ALL no S1", "full", true, CMD_CFGI_CD_ALL, 0, CERROR_ILL },
	{ "NH_ALL no S1", "full", true, CMD_TLBI_NH_ALL, 0, CERROR_ILL },
	{ "NH_VAA no S1", "full", true, CMD_TLBI_NH_VAA, 0, CERROR_ILL },
	{ "S2_IPA S2 only", "full", true, CMD_TLBI_S2_IPA, 0x1000, 0 },
};

static void test_commands(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ill_rows) / sizeof(ill_rows[0]); i++) {
		const struct ill_row *r = &ill_rows[i];
		struct smmu_impl impl;
		struct smmu_stats st;

		assert_true(smmu_impl_preset(r->preset, &impl));
		if (r->no_s1) {
			impl.s1p = false;
			impl.ssidsize = 0;
		}
		struct fix *f = fix_new_impl(&impl, 3, CMDQ_PA);

		put(f, r->dw0, r->dw1);
		push(f, CMD_PREFETCH_CONFIG, 0);
		sim_run_to_idle(f->sim, 0);
		smmu_get_stats(f->smmu, &st);
		if (r->err) {
			expect_field(i, r->name, "CONS", rd(f, 0x9C),
				     (uint64_t)r->err << 24);
			expect_field(i, r->name, "GERROR", rd(f, 0x60), 1);
			expect_field(i, r->name, "cmds", st.cmds, 0);
			expect_field(i, r->name, "errors", st.cmd_errors, 1);
			/* fix the command, acknowledge: consumption resumes */
			assert_int_equal(pmem_write64(f->mem, CMDQ_PA,
						      CMD_PREFETCH_CONFIG,
						      NULL),
					 MEM_OK);
			wr(f, 0x64, 4, 1);
			sim_run_to_idle(f->sim, 0);
			smmu_get_stats(f->smmu, &st);
		}
		expect_field(i, r->name, "CONS after",
			     rd(f, 0x9C) & 0xFFFFF, 2);
		expect_field(i, r->name, "cmds after", st.cmds, 2);
		expect_field(i, r->name, "GERROR active",
			     smmu_gerror_active(f->smmu, GERROR_CMDQ_ERR), 0);
		fix_free(f);
	}
}

/* Error in the middle: older commands consumed, RD on the bad one. */
static void test_error_position(void **state)
{
	struct fix *f = fix_new("full", 3);

	(void)state;
	wr(f, 0x68, 8, 0x3000); /* GERROR MSI */
	wr(f, 0x70, 4, 0xE44);
	wr(f, 0x50, 4, 0x1);
	put(f, CMD_PREFETCH_CONFIG, 0);
	put(f, CMD_PREFETCH_CONFIG, 0);
	put(f, 0x3F, 0);
	push(f, CMD_PREFETCH_CONFIG, 0);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), (CERROR_ILL << 24) | 2);
	assert_int_equal(rd(f, 0x60), 1);
	uint32_t v = 0;

	assert_int_equal(pmem_read32(f->mem, 0x3000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0xE44);
	/* PROD rewound to CONS while CMDQ_ERR is active, then ack */
	wr(f, 0x98, 4, 2);
	wr(f, 0x64, 4, 1);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C) & 0xFFFFF, 2);
	fix_free(f);
}

static void test_fetch_abort(void **state)
{
	struct smmu_impl impl;

	(void)state;
	assert_true(smmu_impl_preset("full", &impl));
	struct fix *f = fix_new_impl(&impl, 2, HOLE);

	wr(f, 0x98, 4, 1);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), CERROR_ABT << 24);
	assert_int_equal(rd(f, 0x60), 1);
	fix_free(f);
}

/* --- wrap ----------------------------------------------------------- */

static void test_wrap(void **state)
{
	struct fix *f = fix_new("full", 2);
	struct smmu_stats st;

	(void)state;
	for (unsigned i = 0; i < 37; i++) {
		put(f, CMD_CFGI_STE | SID(i), 0);
		if (i % 3 == 2 || i == 36) {
			wr(f, 0x98, 4, f->prod);
			sim_run_to_idle(f->sim, 0);
			assert_int_equal(rd(f, 0x9C), f->prod);
		}
	}
	/* 37 commands in a 4-entry queue: PROD = CONS = wrap 1, index 1 */
	assert_int_equal(f->prod, 0x5);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.cmds, 37);
	assert_int_equal(f->sevs, 0);

	/* a full queue becoming non-full: one SEV */
	for (unsigned i = 0; i < 4; i++)
		put(f, CMD_PREFETCH_CONFIG, 0);
	wr(f, 0x98, 4, f->prod);
	assert_int_equal(f->prod, 0x1);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), 0x1);
	assert_int_equal(f->sevs, 1);
	fix_free(f);
}

/* --- CMD_SYNC ------------------------------------------------------- */

static uint64_t sync_dw0(unsigned cs, uint32_t data)
{
	return CMD_SYNC | ((uint64_t)cs << 12) | ((uint64_t)data << 32);
}

static void test_sync_msi(void **state)
{
	struct fix *f = fix_new("full", 3);
	struct smmu_stats st;
	uint32_t v = 0;

	(void)state;
	sim_run_until(f->sim, 50);
	push(f, sync_dw0(CS_SIG_IRQ, 0xABCD1234), 0x7000);
	sim_run_until(f->sim, 50 + SYNC_COST - 1);
	assert_int_equal(rd(f, 0x9C), 0);
	assert_int_equal(pmem_read32(f->mem, 0x7000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0);
	sim_run_until(f->sim, 50 + SYNC_COST);
	assert_int_equal(rd(f, 0x9C), 1);
	assert_int_equal(pmem_read32(f->mem, 0x7000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0xABCD1234);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 0);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.syncs, 1);

	/* MSIAddr 0: the wired line; SEV; none */
	push(f, sync_dw0(CS_SIG_IRQ, 1), 0);
	push(f, sync_dw0(CS_SIG_SEV, 1), 0x7000);
	push(f, sync_dw0(CS_SIG_NONE, 1), 0x7000);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), 4);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 1);
	assert_int_equal(f->sevs, 1);
	assert_int_equal(pmem_read32(f->mem, 0x7000, &v, NULL), MEM_OK);
	assert_int_equal(v, 0xABCD1234);

	/* MSI to a hole: MSI_CMDQ_ABT_ERR, the SYNC still completes */
	push(f, sync_dw0(CS_SIG_IRQ, 1), HOLE);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(rd(f, 0x9C), 5);
	assert_int_equal(rd(f, 0x60), 1u << GERROR_MSI_CMDQ_ABT_ERR);
	fix_free(f);
}

/* A SYNC completes no earlier than the drain of translations in flight. */
static void test_sync_drain(void **state)
{
	struct fix *f = fix_new("full", 3);

	(void)state;
	sim_run_until(f->sim, 20);
	/* a translation holding a slot until cycle 20 + 1000 */
	timing_acquire(f->smmu, RES_TRANSLATION, 20, 1000);
	push(f, CMD_PREFETCH_CONFIG, 0);
	push(f, sync_dw0(CS_SIG_IRQ, 0x55), 0x7100);
	sim_run_until(f->sim, 20 + CMD_COST);
	assert_int_equal(rd(f, 0x9C), 1);
	sim_run_until(f->sim, 1019);
	assert_int_equal(rd(f, 0x9C), 1);
	sim_run_until(f->sim, 1020);
	assert_int_equal(rd(f, 0x9C), 2);
	uint32_t v = 0;

	assert_int_equal(pmem_read32(f->mem, 0x7100, &v, NULL), MEM_OK);
	assert_int_equal(v, 0x55);
	fix_free(f);
}

/* --- TLBI decoding -------------------------------------------------- */

struct tlbi_row {
	const char *name;
	const char *preset;
	uint64_t dw0, dw1;
	uint8_t err;
	struct inval_req want;
};

#define VMID(x) ((uint64_t)(x) << 32)
#define ASID(x) ((uint64_t)(x) << 48)

static const struct tlbi_row tlbi_rows[] = {
	{ "NH_ALL", "full", CMD_TLBI_NH_ALL | VMID(0x1234), 0, 0,
	  { .kind = INV_NH_ALL, .vmid = 0x1234 } },
	{ "NH_ALL 8-bit VMID", "qemu-7.2", CMD_TLBI_NH_ALL | VMID(0x1234), 0,
	  0, { .kind = INV_NH_ALL, .vmid = 0 } },
	{ "NH_ASID", "full", CMD_TLBI_NH_ASID | VMID(7) | ASID(0xBEEF), 0, 0,
	  { .kind = INV_NH_ASID, .vmid = 7, .asid = 0xBEEF,
	    .use_asid = true } },
	{ "NH_VA page", "full", CMD_TLBI_NH_VA | VMID(1) | ASID(2),
	  0xFFFF800012345001ull, 0,
	  { .kind = INV_NH_VA, .vmid = 1, .asid = 2, .use_asid = true,
	    .addr = 0xFFFF800012345000ull, .leaf = true } },
	{ "NH_VA range 4K", "full",
	  CMD_TLBI_NH_VA | ASID(3) | NUM(3) | SCALE(2),
	  0x40000000 | TG(1) | TTL(3), 0,
	  { .kind = INV_NH_VA, .asid = 3, .use_asid = true,
	    .addr = 0x40000000, .size = 4 * 4 * 4096, .ttl = 3,
	    .tg_shift = 12 } },
	{ "NH_VAA range 64K", "full", CMD_TLBI_NH_VAA | NUM(31) | SCALE(31),
	  0x10000 | TG(3) | TTL(2) | 1, 0,
	  { .kind = INV_NH_VAA, .addr = 0x10000,
	    .size = 32ull << (31 + 16), .ttl = 2, .tg_shift = 16,
	    .leaf = true } },
	{ "NH_VA 16K TTL=1 NUM=1", "full", CMD_TLBI_NH_VA | NUM(1),
	  0x8000 | TG(2) | TTL(1), 0,
	  { .kind = INV_NH_VA, .use_asid = true, .addr = 0x8000,
	    .size = 2 * 16384, .ttl = 0, .tg_shift = 14 } },
	{ "NH_VA qemu range", "qemu-7.2", CMD_TLBI_NH_VA | NUM(3),
	  0x5000 | TG(1) | TTL(3), 0,
	  { .kind = INV_NH_VA, .use_asid = true, .addr = 0x5000,
	    .size = 4 * 4096, .ttl = 3, .tg_shift = 12 } },
	{ "S2_IPA", "full", CMD_TLBI_S2_IPA | VMID(9),
	  0xFF00000000123000ull | TG(1) | TTL(3) | 1, 0,
	  { .kind = INV_S2_IPA, .vmid = 9, .addr = 0x0000000000123000ull,
	    .size = 4096, .ttl = 3, .tg_shift = 12, .leaf = true } },
	{ "EL2_VA no E2H", "full", CMD_TLBI_EL2_VA | ASID(5), 0x2000, 0,
	  { .kind = INV_EL2_VA, .addr = 0x2000 } },
	{ "EL2_VAA", "full", CMD_TLBI_EL2_VAA, 0x3000, 0,
	  { .kind = INV_EL2_VAA, .addr = 0x3000 } },
	{ "S12_VMALL", "full", CMD_TLBI_S12_VMALL | VMID(0x77), 0, 0,
	  { .kind = INV_S12_VMALL, .vmid = 0x77 } },
	{ "NSNH_ALL", "full", CMD_TLBI_NSNH_ALL, 0, 0,
	  { .kind = INV_NSNH_ALL } },
	{ "not a TLBI", "full", CMD_CFGI_STE, 0, CERROR_ILL, { 0 } },
	{ "ILL range", "full", CMD_TLBI_NH_VAA, TG(1), CERROR_ILL, { 0 } },
};

static void test_tlbi_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tlbi_rows) / sizeof(tlbi_rows[0]);
	     i++) {
		const struct tlbi_row *r = &tlbi_rows[i];
		struct smmu_impl impl;
		struct inval_req req;
		struct sim *sim = sim_create(1);
		struct pmem *mem = pmem_create();

		assert_true(smmu_impl_preset(r->preset, &impl));
		struct smmu *smmu = smmu_create(sim, mem, &impl);
		uint64_t cmd[2] = { r->dw0, r->dw1 };

		expect_field(i, r->name, "err",
			     cmdq_tlbi_decode(smmu, cmd, &req), r->err);
		if (!r->err) {
			expect_field(i, r->name, "kind", req.kind,
				     r->want.kind);
			expect_field(i, r->name, "vmid", req.vmid,
				     r->want.vmid);
			expect_field(i, r->name, "asid", req.asid,
				     r->want.asid);
			expect_field(i, r->name, "use_asid", req.use_asid,
				     r->want.use_asid);
			expect_field(i, r->name, "addr", req.addr,
				     r->want.addr);
			expect_field(i, r->name, "size", req.size,
				     r->want.size);
			expect_field(i, r->name, "leaf", req.leaf,
				     r->want.leaf);
			expect_field(i, r->name, "ttl", req.ttl, r->want.ttl);
			expect_field(i, r->name, "tg_shift", req.tg_shift,
				     r->want.tg_shift);
		}
		smmu_destroy(smmu);
		pmem_destroy(mem);
		sim_destroy(sim);
	}
}

/* EL2_VA with CR2.E2H = 1 matches the ASID. */
static void test_tlbi_e2h(void **state)
{
	struct fix *f = fix_new("full", 2);
	struct inval_req req;
	uint64_t cmd[2] = { CMD_TLBI_EL2_VA | ASID(5), 0x2000 };

	(void)state;
	wr(f, 0x2C, 4, 0x1);
	assert_int_equal(cmdq_tlbi_decode(f->smmu, cmd, &req), 0);
	assert_true(req.use_asid);
	assert_int_equal(req.asid, 5);
	fix_free(f);
}

/* --- ATC_INV / PRI_RESP reach the endpoint ------------------------- */

static struct smmu_atc_inv seen_atc;
static struct smmu_pri_resp seen_pri;
static unsigned n_atc, n_pri;

static void ep_atc(void *ctx, const struct smmu_atc_inv *req)
{
	struct fix *f = ctx;

	seen_atc = *req;
	n_atc++;
	smmu_atc_inv_done(f->smmu, req->tag);
}

static void ep_pri(void *ctx, const struct smmu_pri_resp *resp)
{
	(void)ctx;
	seen_pri = *resp;
	n_pri++;
}

static void test_endpoint_commands(void **state)
{
	struct fix *f = fix_new("full", 3);
	struct smmu_endpoint_ops ops = { ep_atc, ep_pri, f };

	(void)state;
	n_atc = n_pri = 0;
	assert_true(smmu_attach_endpoint(f->smmu, 4, 3, &ops));
	/* SMMUEN = 0: IGNORED */
	push(f, CMD_ATC_INV | SID(4), 0x12345000 | 3);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(n_atc, 0);
	wr(f, 0x20, 4, 0x9);
	sim_run_to_idle(f->sim, 0);
	push(f, CMD_ATC_INV | SID(4) | (1u << 11) | (0x55ull << 12) |
			(1u << 9),
	     0x12345000 | 3);
	push(f, CMD_PRI_RESP | SID(6) | (1u << 11) | (0x9ull << 12),
	     0x1FF | (1u << 12));
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(n_atc, 1);
	assert_int_equal(seen_atc.sid, 4);
	assert_true(seen_atc.ssv);
	assert_int_equal(seen_atc.ssid, 0x55);
	assert_true(seen_atc.global);
	assert_int_equal(seen_atc.span_log2, 15);
	assert_int_equal(seen_atc.addr, 0x12340000); /* Address[14:0] = 0 */
	assert_int_equal(n_pri, 1);
	assert_int_equal(seen_pri.sid, 6);
	assert_true(seen_pri.ssv);
	assert_int_equal(seen_pri.ssid, 9);
	assert_int_equal(seen_pri.prgi, 0x1FF);
	assert_int_equal(seen_pri.code, 1); /* Invalid Request */
	assert_int_equal(rd(f, 0x9C), 3);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consume_timing),
		cmocka_unit_test(test_cmdqen_gates),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_fetch_abort),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_sync_msi),
		cmocka_unit_test(test_sync_drain),
		cmocka_unit_test(test_tlbi_decode),
		cmocka_unit_test(test_tlbi_e2h),
		cmocka_unit_test(test_endpoint_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
