/* SPDX-License-Identifier: MIT */
/*
 * The register file of the Non-secure programming interface (IHI 0070
 * §6.2, §6.3; facts §1): access rules, the CR0/CR0ACK and IRQ_CTRL/ACK
 * Update protocol, GBPA, GERROR/GERRORN, *_IRQ_CFG and the interrupts
 * (MSIs or wired lines) they configure.
 *
 * Two tables describe the registers: reg_table gives every register's
 * offset, width, access kind and the feature it needs; field_table lists
 * every software-writable field with the feature it needs and the enable
 * that guards it. A write changes exactly the listed fields that are
 * present and not guarded; everything else is RES0 or read-only.
 *
 * Choices where the architecture leaves one (docs to mention):
 *  - GBPA resets to SHCFG=0b01 (use incoming), all else 0: bypass.
 *  - AGBPA and STATUSR read as zero; GATOS/VATOS/ECMDQ/Secure pages and
 *    the page-0 aliases of EVENTQ/PRIQ PROD/CONS are RAZ/WI.
 *  - Undefined locations are RAZ/WI; a 64-bit access that overlaps a
 *    32-bit register (or half of one) is refused (external abort).
 *  - A write to a CR0/IRQ_CTRL field still in transition is ignored
 *    (the v3.2+ behaviour, §6.3.9): each field has at most one Update in
 *    flight, acknowledged lat.cr0_ack cycles after the write.
 */
#include "smmu/regs.h"
#include "smmu/queue.h"

#include <stdlib.h>
#include <string.h>

#define AIDR_ARCH_MINOR RFLD(3, 0)
#define GERRORN_BITS RFLD(8, 0)
#define GERROR_RESERVED_BIT 1u
#define REG_HIGH_HALF RFLD(63, 32)
#define REG_LOW_HALF RFLD(31, 0)

/* Features a register or field depends on (ID register bits). */
enum feature {
	FEAT_ALWAYS,
	FEAT_MSI,            /* IDR0.MSI */
	FEAT_PRI,            /* IDR0.PRI */
	FEAT_PRI_MSI,        /* IDR0.PRI and IDR0.MSI */
	FEAT_ATS,            /* IDR0.ATS */
	FEAT_VMW,            /* IDR0.VMW */
	FEAT_HYP,            /* IDR0.Hyp */
	FEAT_BTM,            /* IDR0.BTM */
	FEAT_ATSRECERR,      /* IDR0.ATSRECERR */
	FEAT_TABLES_RW,      /* IDR1.TABLES_PRESET == 0 */
	FEAT_QUEUES_RW,      /* IDR1.QUEUES_PRESET == 0 */
	FEAT_PRI_QUEUES_RW,  /* PRI and QUEUES_PRESET == 0 */
};

/* What makes a field read-only for a while. */
enum guard {
	G_NONE,
	G_SMMUEN,       /* CR0.SMMUEN or CR0ACK.SMMUEN */
	G_CMDQEN,
	G_EVENTQEN,
	G_PRIQEN,       /* the actual PRIQEN, not the effective (§6.3.9.5) */
	G_ALL_QUEUES,   /* any of CMDQEN, EVENTQEN, PRIQEN */
	G_GERROR_IRQEN, /* IRQ_CTRL or IRQ_CTRLACK .GERROR_IRQEN */
	G_EVENTQ_IRQEN,
	G_PRIQ_IRQEN,
	G_IN_UPDATE,    /* CR0/IRQ_CTRL field differs from its ACK */
	G_GBPA,         /* GBPA: Update=1 pending, or written Update=0 */
	G_COUNT,
};

enum reg_kind {
	REG_RO,
	REG_RW,
};

struct reg_desc {
	uint32_t off;
	const char *name;
	uint8_t width;        /* bytes: 4 or 8 */
	enum reg_kind kind;
	enum feature need;    /* absent registers are RAZ/WI */
	/* Side effect of a software write, after the fields changed. */
	void (*on_write)(struct smmu *smmu, enum reg_id id, uint64_t old);
};

struct reg_field {
	enum reg_id reg;
	struct rfld f;
	enum feature need;
	enum guard guard;
};

/* A pending CR0 / IRQ_CTRL Update: which fields it acknowledges. */
#define ACK_SLOTS 8

struct ack_chan {
	struct smmu *smmu;
	enum reg_id reg, ack;
	uint64_t mask[ACK_SLOTS];
	sim_event_id ev[ACK_SLOTS];
	unsigned head, n;
};

_Static_assert(R_COUNT <= 127, "register ids must fit in int8_t");

/* The register index covers the first REG_WINDOW bytes of each page. */
#define REG_WINDOW 0x100u
#define REG_PAGES (SMMU_MMIO_SIZE >> 16)

struct smmu_regs {
	uint64_t val[R_COUNT];
	uint32_t gbpa_eff;      /* GBPA in effect (Update completed) */
	sim_event_id gbpa_ev;
	struct ack_chan cr0, irq;
	/*
	 * Which register holds each 32-bit word of the index window of
	 * each page (-1: none), so that an MMIO access does not search
	 * reg_table; `indexed` is false if some register lies outside the
	 * windows (the search is used then).
	 */
	bool indexed;
	int8_t word[REG_PAGES][REG_WINDOW / 4];
};

static void on_cr_write(struct smmu *smmu, enum reg_id id, uint64_t old);
static void on_gbpa_write(struct smmu *smmu, enum reg_id id, uint64_t old);
static void on_gerrorn_write(struct smmu *smmu, enum reg_id id,
			     uint64_t old);
static void on_index_write(struct smmu *smmu, enum reg_id id, uint64_t old);

/* §6.2 register map (facts §1.2). */
static const struct reg_desc reg_table[R_COUNT] = {
	[R_IDR0] = { SMMU_IDR0_OFF, "IDR0", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IDR1] = { SMMU_IDR1_OFF, "IDR1", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IDR2] = { SMMU_IDR2_OFF, "IDR2", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IDR3] = { SMMU_IDR3_OFF, "IDR3", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IDR4] = { SMMU_IDR4_OFF, "IDR4", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IDR5] = { SMMU_IDR5_OFF, "IDR5", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IIDR] = { SMMU_IIDR_OFF, "IIDR", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_AIDR] = { SMMU_AIDR_OFF, "AIDR", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_CR0] = { SMMU_CR0_OFF, "CR0", 4, REG_RW, FEAT_ALWAYS,
		    on_cr_write },
	[R_CR0ACK] = { SMMU_CR0ACK_OFF, "CR0ACK", 4, REG_RO, FEAT_ALWAYS,
		       NULL },
	[R_CR1] = { SMMU_CR1_OFF, "CR1", 4, REG_RW, FEAT_ALWAYS, NULL },
	[R_CR2] = { SMMU_CR2_OFF, "CR2", 4, REG_RW, FEAT_ALWAYS, NULL },
	[R_STATUSR] = { SMMU_STATUSR_OFF, "STATUSR", 4, REG_RO, FEAT_ALWAYS,
			NULL },
	[R_GBPA] = { SMMU_GBPA_OFF, "GBPA", 4, REG_RW, FEAT_ALWAYS,
		     on_gbpa_write },
	[R_AGBPA] = { SMMU_AGBPA_OFF, "AGBPA", 4, REG_RO, FEAT_ALWAYS, NULL },
	[R_IRQ_CTRL] = { SMMU_IRQ_CTRL_OFF, "IRQ_CTRL", 4, REG_RW,
			 FEAT_ALWAYS, on_cr_write },
	[R_IRQ_CTRLACK] = { SMMU_IRQ_CTRLACK_OFF, "IRQ_CTRLACK", 4, REG_RO,
			    FEAT_ALWAYS, NULL },
	[R_GERROR] = { SMMU_GERROR_OFF, "GERROR", 4, REG_RO, FEAT_ALWAYS,
		       NULL },
	[R_GERRORN] = { SMMU_GERRORN_OFF, "GERRORN", 4, REG_RW, FEAT_ALWAYS,
			on_gerrorn_write },
	[R_GERROR_IRQ_CFG0] = { SMMU_GERROR_IRQ_CFG0_OFF, "GERROR_IRQ_CFG0",
				8, REG_RW, FEAT_MSI, NULL },
	[R_GERROR_IRQ_CFG1] = { SMMU_GERROR_IRQ_CFG1_OFF, "GERROR_IRQ_CFG1",
				4, REG_RW, FEAT_MSI, NULL },
	[R_GERROR_IRQ_CFG2] = { SMMU_GERROR_IRQ_CFG2_OFF, "GERROR_IRQ_CFG2",
				4, REG_RW, FEAT_MSI, NULL },
	[R_STRTAB_BASE] = { SMMU_STRTAB_BASE_OFF, "STRTAB_BASE", 8, REG_RW,
			    FEAT_ALWAYS, NULL },
	[R_STRTAB_BASE_CFG] = { SMMU_STRTAB_BASE_CFG_OFF, "STRTAB_BASE_CFG",
				4, REG_RW, FEAT_ALWAYS, NULL },
	[R_CMDQ_BASE] = { SMMU_CMDQ_BASE_OFF, "CMDQ_BASE", 8, REG_RW,
			  FEAT_ALWAYS, NULL },
	[R_CMDQ_PROD] = { SMMU_CMDQ_PROD_OFF, "CMDQ_PROD", 4, REG_RW,
			  FEAT_ALWAYS, on_index_write },
	[R_CMDQ_CONS] = { SMMU_CMDQ_CONS_OFF, "CMDQ_CONS", 4, REG_RW,
			  FEAT_ALWAYS, on_index_write },
	[R_EVENTQ_BASE] = { SMMU_EVENTQ_BASE_OFF, "EVENTQ_BASE", 8, REG_RW,
			    FEAT_ALWAYS, NULL },
	[R_EVENTQ_IRQ_CFG0] = { SMMU_EVENTQ_IRQ_CFG0_OFF, "EVENTQ_IRQ_CFG0",
				8, REG_RW, FEAT_MSI, NULL },
	[R_EVENTQ_IRQ_CFG1] = { SMMU_EVENTQ_IRQ_CFG1_OFF, "EVENTQ_IRQ_CFG1",
				4, REG_RW, FEAT_MSI, NULL },
	[R_EVENTQ_IRQ_CFG2] = { SMMU_EVENTQ_IRQ_CFG2_OFF, "EVENTQ_IRQ_CFG2",
				4, REG_RW, FEAT_MSI, NULL },
	[R_PRIQ_BASE] = { SMMU_PRIQ_BASE_OFF, "PRIQ_BASE", 8, REG_RW,
			  FEAT_PRI, NULL },
	[R_PRIQ_IRQ_CFG0] = { SMMU_PRIQ_IRQ_CFG0_OFF, "PRIQ_IRQ_CFG0", 8,
			      REG_RW, FEAT_PRI_MSI, NULL },
	[R_PRIQ_IRQ_CFG1] = { SMMU_PRIQ_IRQ_CFG1_OFF, "PRIQ_IRQ_CFG1", 4,
			      REG_RW, FEAT_PRI_MSI, NULL },
	[R_PRIQ_IRQ_CFG2] = { SMMU_PRIQ_IRQ_CFG2_OFF, "PRIQ_IRQ_CFG2", 4,
			      REG_RW, FEAT_PRI, NULL },
	[R_EVENTQ_PROD] = { SMMU_EVENTQ_PROD_OFF, "EVENTQ_PROD", 4, REG_RW,
			    FEAT_ALWAYS, on_index_write },
	[R_EVENTQ_CONS] = { SMMU_EVENTQ_CONS_OFF, "EVENTQ_CONS", 4, REG_RW,
			    FEAT_ALWAYS, on_index_write },
	[R_PRIQ_PROD] = { SMMU_PRIQ_PROD_OFF, "PRIQ_PROD", 4, REG_RW, FEAT_PRI,
			  on_index_write },
	[R_PRIQ_CONS] = { SMMU_PRIQ_CONS_OFF, "PRIQ_CONS", 4, REG_RW, FEAT_PRI,
			  on_index_write },
};

/* Every software-writable field, its feature and its guard (§6.3.x). */
static const struct reg_field field_table[] = {
	{ R_CR0, CR0_SMMUEN, FEAT_ALWAYS, G_IN_UPDATE },
	{ R_CR0, CR0_PRIQEN, FEAT_PRI, G_IN_UPDATE },
	{ R_CR0, CR0_EVENTQEN, FEAT_ALWAYS, G_IN_UPDATE },
	{ R_CR0, CR0_CMDQEN, FEAT_ALWAYS, G_IN_UPDATE },
	{ R_CR0, CR0_ATSCHK, FEAT_ATS, G_IN_UPDATE },
	{ R_CR0, CR0_VMW, FEAT_VMW, G_IN_UPDATE },
	/* §6.3.11: TABLE_* guarded by SMMUEN, QUEUE_* by every queue */
	{ R_CR1, CR1_QUEUE_IC, FEAT_ALWAYS, G_ALL_QUEUES },
	{ R_CR1, CR1_QUEUE_OC, FEAT_ALWAYS, G_ALL_QUEUES },
	{ R_CR1, CR1_QUEUE_SH, FEAT_ALWAYS, G_ALL_QUEUES },
	{ R_CR1, CR1_TABLE_IC, FEAT_ALWAYS, G_SMMUEN },
	{ R_CR1, CR1_TABLE_OC, FEAT_ALWAYS, G_SMMUEN },
	{ R_CR1, CR1_TABLE_SH, FEAT_ALWAYS, G_SMMUEN },
	/* §6.3.12: CR2 is read-only once SMMUEN is set */
	{ R_CR2, CR2_E2H, FEAT_HYP, G_SMMUEN },
	{ R_CR2, CR2_RECINVSID, FEAT_ALWAYS, G_SMMUEN },
	{ R_CR2, CR2_PTM, FEAT_BTM, G_SMMUEN },
	{ R_CR2, CR2_REC_CFG_ATS, FEAT_ATSRECERR, G_SMMUEN },
	/* §6.3.14 */
	{ R_GBPA, GBPA_MEMATTR, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_MTCFG, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_ALLOCCFG, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_SHCFG, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_PRIVCFG, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_INSTCFG, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_ABORT, FEAT_ALWAYS, G_GBPA },
	{ R_GBPA, GBPA_UPDATE, FEAT_ALWAYS, G_GBPA },
	/* §6.3.16 */
	{ R_IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN, FEAT_ALWAYS, G_IN_UPDATE },
	{ R_IRQ_CTRL, IRQ_CTRL_PRIQ_IRQEN, FEAT_PRI, G_IN_UPDATE },
	{ R_IRQ_CTRL, IRQ_CTRL_EVENTQ_IRQEN, FEAT_ALWAYS, G_IN_UPDATE },
	/* §6.3.19: bits 0, 2..8 (bit 1 reserved) */
	{ R_GERRORN, GERRORN_BITS, FEAT_ALWAYS, G_NONE },
	/* §6.3.20-22 */
	{ R_GERROR_IRQ_CFG0, IRQ_CFG0_ADDR, FEAT_MSI, G_GERROR_IRQEN },
	{ R_GERROR_IRQ_CFG1, IRQ_CFG1_DATA, FEAT_MSI, G_GERROR_IRQEN },
	{ R_GERROR_IRQ_CFG2, IRQ_CFG2_MEMATTR, FEAT_MSI, G_GERROR_IRQEN },
	{ R_GERROR_IRQ_CFG2, IRQ_CFG2_SH, FEAT_MSI, G_GERROR_IRQEN },
	/* §6.3.24-25 */
	{ R_STRTAB_BASE, STRTAB_BASE_ADDR, FEAT_TABLES_RW, G_SMMUEN },
	{ R_STRTAB_BASE, STRTAB_BASE_RA, FEAT_TABLES_RW, G_SMMUEN },
	{ R_STRTAB_BASE_CFG, STRTAB_BASE_CFG_LOG2SIZE, FEAT_TABLES_RW,
	  G_SMMUEN },
	{ R_STRTAB_BASE_CFG, STRTAB_BASE_CFG_SPLIT, FEAT_TABLES_RW, G_SMMUEN },
	{ R_STRTAB_BASE_CFG, STRTAB_BASE_CFG_FMT, FEAT_TABLES_RW, G_SMMUEN },
	/* §6.3.26-28 */
	{ R_CMDQ_BASE, Q_BASE_LOG2SIZE, FEAT_QUEUES_RW, G_CMDQEN },
	{ R_CMDQ_BASE, Q_BASE_ADDR, FEAT_QUEUES_RW, G_CMDQEN },
	{ R_CMDQ_BASE, Q_BASE_RA_WA, FEAT_QUEUES_RW, G_CMDQEN },
	{ R_CMDQ_PROD, Q_WR, FEAT_ALWAYS, G_NONE },
	{ R_CMDQ_CONS, Q_RD, FEAT_ALWAYS, G_CMDQEN },
	{ R_CMDQ_CONS, CMDQ_CONS_ERR, FEAT_ALWAYS, G_CMDQEN },
	/* §6.3.29-32 */
	{ R_EVENTQ_BASE, Q_BASE_LOG2SIZE, FEAT_QUEUES_RW, G_EVENTQEN },
	{ R_EVENTQ_BASE, Q_BASE_ADDR, FEAT_QUEUES_RW, G_EVENTQEN },
	{ R_EVENTQ_BASE, Q_BASE_RA_WA, FEAT_QUEUES_RW, G_EVENTQEN },
	{ R_EVENTQ_PROD, Q_WR, FEAT_ALWAYS, G_EVENTQEN },
	{ R_EVENTQ_PROD, Q_PROD_OVFLG, FEAT_ALWAYS, G_EVENTQEN },
	{ R_EVENTQ_CONS, Q_RD, FEAT_ALWAYS, G_NONE },
	{ R_EVENTQ_CONS, Q_CONS_OVACKFLG, FEAT_ALWAYS, G_NONE },
	{ R_EVENTQ_IRQ_CFG0, IRQ_CFG0_ADDR, FEAT_MSI, G_EVENTQ_IRQEN },
	{ R_EVENTQ_IRQ_CFG1, IRQ_CFG1_DATA, FEAT_MSI, G_EVENTQ_IRQEN },
	{ R_EVENTQ_IRQ_CFG2, IRQ_CFG2_MEMATTR, FEAT_MSI, G_EVENTQ_IRQEN },
	{ R_EVENTQ_IRQ_CFG2, IRQ_CFG2_SH, FEAT_MSI, G_EVENTQ_IRQEN },
	/* §6.3.33-38 */
	{ R_PRIQ_BASE, Q_BASE_LOG2SIZE, FEAT_PRI_QUEUES_RW, G_PRIQEN },
	{ R_PRIQ_BASE, Q_BASE_ADDR, FEAT_PRI_QUEUES_RW, G_PRIQEN },
	{ R_PRIQ_BASE, Q_BASE_RA_WA, FEAT_PRI_QUEUES_RW, G_PRIQEN },
	{ R_PRIQ_PROD, Q_WR, FEAT_PRI, G_PRIQEN },
	{ R_PRIQ_PROD, Q_PROD_OVFLG, FEAT_PRI, G_PRIQEN },
	{ R_PRIQ_CONS, Q_RD, FEAT_PRI, G_NONE },
	{ R_PRIQ_CONS, Q_CONS_OVACKFLG, FEAT_PRI, G_NONE },
	{ R_PRIQ_IRQ_CFG0, IRQ_CFG0_ADDR, FEAT_PRI_MSI, G_PRIQ_IRQEN },
	{ R_PRIQ_IRQ_CFG1, IRQ_CFG1_DATA, FEAT_PRI_MSI, G_PRIQ_IRQEN },
	{ R_PRIQ_IRQ_CFG2, IRQ_CFG2_MEMATTR, FEAT_PRI_MSI, G_PRIQ_IRQEN },
	{ R_PRIQ_IRQ_CFG2, IRQ_CFG2_SH, FEAT_PRI_MSI, G_PRIQ_IRQEN },
	{ R_PRIQ_IRQ_CFG2, PRIQ_IRQ_CFG2_LO, FEAT_PRI, G_PRIQ_IRQEN },
};

/* Guards on an enable bit: the field is read-only while the enable is 1
 * in the register or its ACK (v3.2+: such writes are IGNORED). */
struct guard_desc {
	enum reg_id reg, ack;
	struct rfld en[3];
	unsigned n;
};

static const struct guard_desc guard_table[G_COUNT] = {
	[G_SMMUEN] = { R_CR0, R_CR0ACK, { CR0_SMMUEN }, 1 },
	[G_CMDQEN] = { R_CR0, R_CR0ACK, { CR0_CMDQEN }, 1 },
	[G_EVENTQEN] = { R_CR0, R_CR0ACK, { CR0_EVENTQEN }, 1 },
	[G_PRIQEN] = { R_CR0, R_CR0ACK, { CR0_PRIQEN }, 1 },
	[G_ALL_QUEUES] = { R_CR0, R_CR0ACK,
			   { CR0_CMDQEN, CR0_EVENTQEN, CR0_PRIQEN }, 3 },
	[G_GERROR_IRQEN] = { R_IRQ_CTRL, R_IRQ_CTRLACK,
			     { IRQ_CTRL_GERROR_IRQEN }, 1 },
	[G_EVENTQ_IRQEN] = { R_IRQ_CTRL, R_IRQ_CTRLACK,
			     { IRQ_CTRL_EVENTQ_IRQEN }, 1 },
	[G_PRIQ_IRQEN] = { R_IRQ_CTRL, R_IRQ_CTRLACK,
			   { IRQ_CTRL_PRIQ_IRQEN }, 1 },
};

/* --- helpers -------------------------------------------------------- */

static bool have(const struct smmu *smmu, enum feature f)
{
	const struct smmu_impl *p = &smmu->impl;

	switch (f) {
	case FEAT_ALWAYS:
		return true;
	case FEAT_MSI:
		return p->msi;
	case FEAT_PRI:
		return p->pri && p->ats;
	case FEAT_PRI_MSI:
		return p->pri && p->ats && p->msi;
	case FEAT_ATS:
		return p->ats;
	case FEAT_VMW:
		return p->vmw;
	case FEAT_HYP:
		return p->hyp;
	case FEAT_BTM:
		return p->btm;
	case FEAT_ATSRECERR:
		return p->atsrecerr;
	case FEAT_TABLES_RW:
		return !p->tables_preset;
	case FEAT_QUEUES_RW:
		return !p->queues_preset;
	case FEAT_PRI_QUEUES_RW:
		return p->pri && p->ats && !p->queues_preset;
	}
	return false;
}

static uint64_t *val(struct smmu *smmu, enum reg_id id)
{
	return &smmu->regs->val[id];
}

static uint64_t get(const struct smmu *smmu, enum reg_id id)
{
	return smmu->regs->val[id];
}

static bool field_in(const struct smmu *smmu, enum reg_id id, struct rfld f)
{
	return rget(get(smmu, id), f) != 0;
}

static bool guarded(const struct smmu *smmu, const struct reg_field *rf,
		    uint64_t written)
{
	const struct guard_desc *g = &guard_table[rf->guard];

	switch (rf->guard) {
	case G_NONE:
		return false;
	case G_IN_UPDATE: {
		/* §6.3.9: a field mid-Update ignores new values (v3.2+) */
		enum reg_id ack = rf->reg == R_CR0 ? R_CR0ACK : R_IRQ_CTRLACK;

		return rget(get(smmu, rf->reg), rf->f) !=
		       rget(get(smmu, ack), rf->f);
	}
	case G_GBPA:
		/* §6.3.14: only a write with Update=1, and not while an
		 * earlier Update is still in progress */
		return field_in(smmu, R_GBPA, GBPA_UPDATE) ||
		       !rget(written, GBPA_UPDATE);
	default:
		break;
	}
	for (unsigned i = 0; i < g->n; i++)
		if (field_in(smmu, g->reg, g->en[i]) ||
		    field_in(smmu, g->ack, g->en[i]))
			return true;
	return false;
}

uint64_t regs_get(const struct smmu *smmu, enum reg_id id)
{
	return get(smmu, id);
}

void regs_set(struct smmu *smmu, enum reg_id id, uint64_t v)
{
	*val(smmu, id) = v;
}

uint32_t regs_offset(enum reg_id id)
{
	return reg_table[id].off;
}

const char *regs_name(enum reg_id id)
{
	return reg_table[id].name;
}

static int find_reg(uint64_t off, bool *high);

const char *regs_name_at(uint64_t off, unsigned size, bool *high)
{
	bool hi = false;
	int id = find_reg(off, &hi);

	if (high)
		*high = id >= 0 && size == 4 && hi;
	return id >= 0 ? reg_table[id].name : NULL;
}

unsigned regs_queue_log2size(const struct smmu *smmu, enum reg_id base)
{
	unsigned cap = 0;
	unsigned l2 = (unsigned)rget(get(smmu, base), Q_BASE_LOG2SIZE);

	if (base == R_CMDQ_BASE)
		cap = smmu->impl.cmdqs;
	else if (base == R_EVENTQ_BASE)
		cap = smmu->impl.eventqs;
	else if (base == R_PRIQ_BASE)
		cap = smmu->impl.priqs;
	return l2 < cap ? l2 : cap;
}

/* --- CR0 / IRQ_CTRL Update protocol (§6.3.9, §6.3.16) --------------- */

static void cr0_acked(struct smmu *smmu, uint64_t old, uint64_t now)
{
	/* §6.3.9.6: SMMUEN 1->0 completes with every stalled transaction
	 * terminated with abort. */
	if (rget(old, CR0_SMMUEN) && !rget(now, CR0_SMMUEN))
		smmu_stall_abort_all(smmu);
	/* §6.3.9.3: processing begins once CMDQEN is Updated to 1. */
	if (!rget(old, CR0_CMDQEN) && rget(now, CR0_CMDQEN))
		cmdq_kick(smmu);
	if (rget(old, CR0_EVENTQEN) != rget(now, CR0_EVENTQEN))
		evtq_kick(smmu);
}

static void ack_fire(struct sim *sim, void *arg)
{
	struct ack_chan *c = arg;
	struct smmu *smmu = c->smmu;
	uint64_t mask = c->mask[c->head];
	uint64_t old = get(smmu, c->ack);
	uint64_t now = (old & ~mask) | (get(smmu, c->reg) & mask);

	(void)sim;
	c->ev[c->head] = 0;
	c->head = (c->head + 1) % ACK_SLOTS;
	c->n--;
	*val(smmu, c->ack) = now;
	if (c->reg == R_CR0)
		cr0_acked(smmu, old, now);
}

static void ack_start(struct smmu *smmu, struct ack_chan *c, uint64_t mask)
{
	unsigned slot;

	if (!mask)
		return;
	if (c->n == ACK_SLOTS) {
		/* Cannot happen: one Update per field at a time. */
		*val(smmu, c->ack) = (get(smmu, c->ack) & ~mask) |
				     (get(smmu, c->reg) & mask);
		return;
	}
	slot = (c->head + c->n) % ACK_SLOTS;
	c->mask[slot] = mask;
	c->n++;
	c->ev[slot] = sim_schedule(smmu->sim, smmu->impl.lat.cr0_ack,
				   ack_fire, c);
}

static void on_cr_write(struct smmu *smmu, enum reg_id id, uint64_t old)
{
	struct ack_chan *c = id == R_CR0 ? &smmu->regs->cr0 : &smmu->regs->irq;
	uint64_t ack = get(smmu, c->ack);
	uint64_t now = get(smmu, id);

	/* Fields that were settled and now differ from their ACK. */
	ack_start(smmu, c, (now ^ ack) & ~(old ^ ack));
}

/* --- GBPA (§6.3.14) ------------------------------------------------- */

static void gbpa_done(struct sim *sim, void *arg)
{
	struct smmu *smmu = arg;
	uint64_t v = rset(get(smmu, R_GBPA), GBPA_UPDATE, 0);

	(void)sim;
	smmu->regs->gbpa_ev = 0;
	*val(smmu, R_GBPA) = v;
	smmu->regs->gbpa_eff = (uint32_t)v;
}

static void on_gbpa_write(struct smmu *smmu, enum reg_id id, uint64_t old)
{
	(void)id;
	if (rget(old, GBPA_UPDATE) || !field_in(smmu, R_GBPA, GBPA_UPDATE))
		return;
	smmu->regs->gbpa_ev = sim_schedule(smmu->sim,
					   smmu->impl.lat.gbpa_update,
					   gbpa_done, smmu);
}

/* --- GERROR / GERRORN (§6.3.18, §6.3.19; facts §2.5) ---------------- */

bool smmu_gerror_active(const struct smmu *smmu, unsigned bit)
{
	struct rfld b = RFLD(bit, bit);

	if (bit > GERRORN_BITS.hi)
		return false;
	return rget(get(smmu, R_GERROR), b) != rget(get(smmu, R_GERRORN), b);
}

void smmu_gerror_raise(struct smmu *smmu, unsigned bit)
{
	struct rfld b = RFLD(bit, bit);

	if (bit > GERRORN_BITS.hi || bit == GERROR_RESERVED_BIT ||
	    smmu_gerror_active(smmu, bit))
		return;
	*val(smmu, R_GERROR) = rset(get(smmu, R_GERROR), b,
				    !rget(get(smmu, R_GERROR), b));
	if (trace_on(smmu))
		trace_gerror(smmu, bit);
	/* An aborted GERROR MSI does not itself signal GERROR. */
	if (bit != GERROR_MSI_GERROR_ABT_ERR)
		smmu_signal_irq(smmu, SMMU_IRQ_GERROR);
}

static void on_gerrorn_write(struct smmu *smmu, enum reg_id id,
			     uint64_t old)
{
	struct rfld b = RFLD(GERROR_CMDQ_ERR, GERROR_CMDQ_ERR);
	uint64_t gerror = get(smmu, R_GERROR);

	(void)id;
	*val(smmu, R_GERRORN) = rset(get(smmu, R_GERRORN),
				     RFLD(GERROR_RESERVED_BIT,
					  GERROR_RESERVED_BIT), 0);
	/* §7.1: acknowledging CMDQ_ERR resumes command consumption. */
	if (rget(old, b) != rget(gerror, b) &&
	    rget(get(smmu, R_GERRORN), b) == rget(gerror, b))
		cmdq_kick(smmu);
}

/* --- PROD / CONS ---------------------------------------------------- */

static enum reg_id index_base(enum reg_id id)
{
	if (id == R_CMDQ_PROD || id == R_CMDQ_CONS)
		return R_CMDQ_BASE;
	if (id == R_EVENTQ_PROD || id == R_EVENTQ_CONS)
		return R_EVENTQ_BASE;
	return R_PRIQ_BASE;
}

static void on_index_write(struct smmu *smmu, enum reg_id id, uint64_t old)
{
	unsigned qs = regs_queue_log2size(smmu, index_base(id));
	uint64_t v = get(smmu, id);

	/* §6.3.27: bits [19:QS+1] of the index are RAZ. */
	*val(smmu, id) = rset(v, Q_WR, q_ptr((uint32_t)rget(v, Q_WR), qs));
	if (get(smmu, id) == old)
		return;
	if (id == R_CMDQ_PROD)
		cmdq_kick(smmu);
	else if (id == R_EVENTQ_CONS)
		evtq_kick(smmu);
}

/* --- interrupts (§3.18) --------------------------------------------- */

bool smmu_msi_write(struct smmu *smmu, uint64_t addr, uint32_t data,
		    unsigned abt_gerror_bit)
{
	uint8_t b[4] = { (uint8_t)data, (uint8_t)(data >> 8),
			 (uint8_t)(data >> 16), (uint8_t)(data >> 24) };
	bool ok = smmu_mem_write(smmu, addr, b, sizeof(b), NULL) == MEM_OK;

	if (trace_on(smmu)) {
		enum smmu_irq_line src =
			abt_gerror_bit == GERROR_MSI_CMDQ_ABT_ERR ?
				SMMU_IRQ_CMD_SYNC :
			abt_gerror_bit == GERROR_MSI_EVENTQ_ABT_ERR ?
				SMMU_IRQ_EVTQ :
			abt_gerror_bit == GERROR_MSI_PRIQ_ABT_ERR ?
				SMMU_IRQ_PRIQ : SMMU_IRQ_GERROR;

		trace_msi(smmu, src, addr, data, ok);
	}
	if (!ok)
		smmu_gerror_raise(smmu, abt_gerror_bit);
	return ok;
}

struct irq_src {
	struct rfld en;        /* IRQ_CTRLACK enable */
	enum reg_id cfg0, cfg1;
	unsigned abt_bit;      /* GERROR bit for an aborted MSI */
};

static const struct irq_src irq_srcs[] = {
	[SMMU_IRQ_EVTQ] = { IRQ_CTRL_EVENTQ_IRQEN, R_EVENTQ_IRQ_CFG0,
			    R_EVENTQ_IRQ_CFG1, GERROR_MSI_EVENTQ_ABT_ERR },
	[SMMU_IRQ_PRIQ] = { IRQ_CTRL_PRIQ_IRQEN, R_PRIQ_IRQ_CFG0,
			    R_PRIQ_IRQ_CFG1, GERROR_MSI_PRIQ_ABT_ERR },
	[SMMU_IRQ_GERROR] = { IRQ_CTRL_GERROR_IRQEN, R_GERROR_IRQ_CFG0,
			      R_GERROR_IRQ_CFG1, GERROR_MSI_GERROR_ABT_ERR },
};

void smmu_signal_irq(struct smmu *smmu, enum smmu_irq_line line)
{
	if (line == SMMU_IRQ_CMD_SYNC) {
		if (trace_on(smmu))
			trace_irq(smmu, line);
		if (smmu->irq.irq)
			smmu->irq.irq(smmu->irq.ctx, line);
		return;
	}
	if ((unsigned)line >= sizeof(irq_srcs) / sizeof(irq_srcs[0]))
		return;

	const struct irq_src *s = &irq_srcs[line];
	/* ADDR[55:2] in place: the MSI target physical address */
	uint64_t addr = get(smmu, s->cfg0) & rmask(IRQ_CFG0_ADDR);

	if (!field_in(smmu, R_IRQ_CTRLACK, s->en))
		return;
	if (smmu->impl.msi && addr) {
		smmu_msi_write(smmu, addr,
			       (uint32_t)rget(get(smmu, s->cfg1),
					      IRQ_CFG1_DATA),
			       s->abt_bit);
		return;
	}
	if (trace_on(smmu))
		trace_irq(smmu, line);
	if (smmu->irq.irq)
		smmu->irq.irq(smmu->irq.ctx, line);
}

/* --- effective state ------------------------------------------------ */

bool smmu_enabled(const struct smmu *smmu)
{
	return field_in(smmu, R_CR0ACK, CR0_SMMUEN);
}

bool smmu_eventq_enabled(const struct smmu *smmu)
{
	return field_in(smmu, R_CR0ACK, CR0_EVENTQEN);
}

/* §6.3.9.5: effective PRIQEN = PRIQEN && SMMUEN */
bool smmu_priq_enabled(const struct smmu *smmu)
{
	return field_in(smmu, R_CR0ACK, CR0_PRIQEN) && smmu_enabled(smmu);
}

bool smmu_cmdq_enabled(const struct smmu *smmu)
{
	return field_in(smmu, R_CR0ACK, CR0_CMDQEN);
}

bool smmu_atschk(const struct smmu *smmu)
{
	return field_in(smmu, R_CR0ACK, CR0_ATSCHK);
}

/* CR2 can change only while SMMUEN is 0 in CR0 and CR0ACK, so the
 * register value is the one in effect whenever it matters. */
uint32_t smmu_cr2(const struct smmu *smmu)
{
	return (uint32_t)get(smmu, R_CR2);
}

uint32_t smmu_gbpa(const struct smmu *smmu)
{
	return smmu->regs->gbpa_eff;
}

/* Raw values: strtab.c applies the SIDSIZE cap (§6.3.25). */
uint64_t smmu_strtab_base(const struct smmu *smmu)
{
	return get(smmu, R_STRTAB_BASE);
}

uint32_t smmu_strtab_base_cfg(const struct smmu *smmu)
{
	return (uint32_t)get(smmu, R_STRTAB_BASE_CFG);
}

/* --- MMIO access ---------------------------------------------------- */

/* The register holding byte `off`, and whether off is its upper half. */
static int find_reg(uint64_t off, bool *high)
{
	for (int i = 0; i < R_COUNT; i++) {
		const struct reg_desc *d = &reg_table[i];

		if (off >= d->off && off < (uint64_t)d->off + d->width) {
			*high = off >= (uint64_t)d->off + 4;
			return i;
		}
	}
	return -1;
}

static bool present(const struct smmu *smmu, int id)
{
	return id >= 0 && have(smmu, reg_table[id].need);
}

/* find_reg() of a 4-byte aligned offset inside the MMIO pages, through
 * the index of r when there is one. */
static int find_reg_in(const struct smmu_regs *r, uint64_t off, bool *high)
{
	uint64_t in = off & 0xFFFF;
	int id;

	*high = false;
	if (!r || !r->indexed)
		return find_reg(off, high);
	if (in >= REG_WINDOW)
		return -1;
	id = r->word[off >> 16][in / 4];
	if (id >= 0)
		*high = off >= (uint64_t)reg_table[id].off + 4;
	return id;
}

/*
 * Classify an access: returns false if refused (bad size, misaligned,
 * outside the two pages, or a 64-bit access not matching a 64-bit
 * register). *id is -1 for a RAZ/WI location. r: the register index to
 * use, or NULL.
 */
static bool decode(const struct smmu_regs *r, uint64_t off, unsigned size,
		   int *id, bool *high)
{
	if ((size != 4 && size != 8) || off % size ||
	    off + size > SMMU_MMIO_SIZE)
		return false;
	*id = find_reg_in(r, off, high);
	if (size == 4)
		return true;

	bool high2;
	int id2 = find_reg_in(r, off + 4, &high2);

	if (*id < 0 && id2 < 0)
		return true;
	return *id >= 0 && *id == id2 && reg_table[*id].width == 8 && !*high;
}

bool regs_access_ok(uint64_t off, unsigned size)
{
	int id;
	bool high;

	return decode(NULL, off, size, &id, &high);
}

bool regs_read(struct smmu *smmu, uint64_t off, unsigned size, uint64_t *v)
{
	int id;
	bool high;

	if (!v)
		return false;
	*v = 0;
	if (!decode(smmu->regs, off, size, &id, &high))
		return false;
	if (!present(smmu, id))
		return true;
	uint64_t r = get(smmu, id);

	if (size == 8)
		*v = r;
	else
		*v = high ? rget(r, REG_HIGH_HALF) : rget(r, REG_LOW_HALF);
	return true;
}

bool regs_write(struct smmu *smmu, uint64_t off, unsigned size, uint64_t v)
{
	int id;
	bool high;

	if (!decode(smmu->regs, off, size, &id, &high))
		return false;
	if (!present(smmu, id) || reg_table[id].kind == REG_RO)
		return true;

	uint64_t old = get(smmu, id);
	uint64_t written = v;
	uint64_t now = old;

	/* §6.2: the halves of a 64-bit register are written independently */
	if (size == 4)
		written = high ? rset(old, REG_HIGH_HALF, v)
			       : rset(old, REG_LOW_HALF, v);
	for (size_t i = 0; i < sizeof(field_table) / sizeof(field_table[0]);
	     i++) {
		const struct reg_field *rf = &field_table[i];

		if (rf->reg != (enum reg_id)id || !have(smmu, rf->need) ||
		    guarded(smmu, rf, written))
			continue;
		now = rset(now, rf->f, rget(written, rf->f));
	}
	*val(smmu, id) = now;
	if (reg_table[id].on_write)
		reg_table[id].on_write(smmu, id, old);
	return true;
}

/* --- life cycle ----------------------------------------------------- */

/* Reset state (§6.3): every RW register resets to 0 except GBPA. */
struct smmu_regs *regs_create(struct smmu *smmu)
{
	struct smmu_regs *r = calloc(1, sizeof(*r));
	const struct smmu_impl *p = &smmu->impl;

	if (!r)
		return NULL;
	r->val[R_IDR0] = smmu_impl_idr0(p);
	r->val[R_IDR1] = smmu_impl_idr1(p);
	r->val[R_IDR3] = smmu_impl_idr3(p);
	r->val[R_IDR5] = smmu_impl_idr5(p);
	r->val[R_IIDR] = p->iidr;
	r->val[R_AIDR] = rset(0, AIDR_ARCH_MINOR, p->arch_minor);
	/* IMPLEMENTATION DEFINED reset: bypass, shareability incoming. */
	r->val[R_GBPA] = rset(0, GBPA_SHCFG, 1);
	r->gbpa_eff = (uint32_t)r->val[R_GBPA];
	r->cr0 = (struct ack_chan){ .smmu = smmu, .reg = R_CR0,
				    .ack = R_CR0ACK };
	r->irq = (struct ack_chan){ .smmu = smmu, .reg = R_IRQ_CTRL,
				    .ack = R_IRQ_CTRLACK };
	memset(r->word, -1, sizeof(r->word));
	r->indexed = true;
	for (int i = 0; i < R_COUNT && r->indexed; i++) {
		const struct reg_desc *d = &reg_table[i];
		uint64_t in = d->off & 0xFFFF;

		if ((d->off >> 16) >= REG_PAGES || in + d->width > REG_WINDOW ||
		    d->off % 4 || d->width % 4) {
			r->indexed = false;
			break;
		}
		for (unsigned w = 0; w < d->width / 4; w++)
			r->word[d->off >> 16][in / 4 + w] = (int8_t)i;
	}
	return r;
}

static void ack_cancel(struct sim *sim, struct ack_chan *c)
{
	for (unsigned i = 0; i < ACK_SLOTS; i++)
		if (c->ev[i])
			sim_cancel(sim, c->ev[i]);
}

void regs_destroy(struct smmu_regs *r)
{
	if (!r)
		return;
	struct sim *sim = r->cr0.smmu->sim;

	ack_cancel(sim, &r->cr0);
	ack_cancel(sim, &r->irq);
	if (r->gbpa_ev)
		sim_cancel(sim, r->gbpa_ev);
	free(r);
}
