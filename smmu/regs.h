/* SPDX-License-Identifier: MIT */
/*
 * Register file internals shared by the queue owners (cmdq.c, evtq.c and
 * the PRI queue): register identities, the fields of the queue registers,
 * and raw access for the SMMU-owned registers (CMDQ_CONS, EVENTQ_PROD,
 * PRIQ_PROD). Software accesses go through regs_read()/regs_write() in
 * smmu_internal.h, which apply the access rules; these helpers do not.
 */
#ifndef SMMUSIM_SMMU_REGS_H
#define SMMUSIM_SMMU_REGS_H

#include "smmu/smmu_internal.h"

enum reg_id {
	R_IDR0, R_IDR1, R_IDR2, R_IDR3, R_IDR4, R_IDR5, R_IIDR, R_AIDR,
	R_CR0, R_CR0ACK, R_CR1, R_CR2, R_STATUSR, R_GBPA, R_AGBPA,
	R_IRQ_CTRL, R_IRQ_CTRLACK, R_GERROR, R_GERRORN,
	R_GERROR_IRQ_CFG0, R_GERROR_IRQ_CFG1, R_GERROR_IRQ_CFG2,
	R_STRTAB_BASE, R_STRTAB_BASE_CFG,
	R_CMDQ_BASE, R_CMDQ_PROD, R_CMDQ_CONS,
	R_EVENTQ_BASE, R_EVENTQ_IRQ_CFG0, R_EVENTQ_IRQ_CFG1,
	R_EVENTQ_IRQ_CFG2,
	R_PRIQ_BASE, R_PRIQ_IRQ_CFG0, R_PRIQ_IRQ_CFG1, R_PRIQ_IRQ_CFG2,
	R_EVENTQ_PROD, R_EVENTQ_CONS, R_PRIQ_PROD, R_PRIQ_CONS,
	R_COUNT,
};

/* Register offsets from page 0 (§6.2; facts §1.2). */
#define SMMU_IDR0_OFF 0x000
#define SMMU_IDR1_OFF 0x004
#define SMMU_IDR2_OFF 0x008
#define SMMU_IDR3_OFF 0x00C
#define SMMU_IDR4_OFF 0x010
#define SMMU_IDR5_OFF 0x014
#define SMMU_IIDR_OFF 0x018
#define SMMU_AIDR_OFF 0x01C
#define SMMU_CR0_OFF 0x020
#define SMMU_CR0ACK_OFF 0x024
#define SMMU_CR1_OFF 0x028
#define SMMU_CR2_OFF 0x02C
#define SMMU_STATUSR_OFF 0x040
#define SMMU_GBPA_OFF 0x044
#define SMMU_AGBPA_OFF 0x048
#define SMMU_IRQ_CTRL_OFF 0x050
#define SMMU_IRQ_CTRLACK_OFF 0x054
#define SMMU_GERROR_OFF 0x060
#define SMMU_GERRORN_OFF 0x064
#define SMMU_GERROR_IRQ_CFG0_OFF 0x068
#define SMMU_GERROR_IRQ_CFG1_OFF 0x070
#define SMMU_GERROR_IRQ_CFG2_OFF 0x074
#define SMMU_STRTAB_BASE_OFF 0x080
#define SMMU_STRTAB_BASE_CFG_OFF 0x088
#define SMMU_CMDQ_BASE_OFF 0x090
#define SMMU_CMDQ_PROD_OFF 0x098
#define SMMU_CMDQ_CONS_OFF 0x09C
#define SMMU_EVENTQ_BASE_OFF 0x0A0
#define SMMU_EVENTQ_IRQ_CFG0_OFF 0x0B0
#define SMMU_EVENTQ_IRQ_CFG1_OFF 0x0B8
#define SMMU_EVENTQ_IRQ_CFG2_OFF 0x0BC
#define SMMU_PRIQ_BASE_OFF 0x0C0
#define SMMU_PRIQ_IRQ_CFG0_OFF 0x0D0
#define SMMU_PRIQ_IRQ_CFG1_OFF 0x0D8
#define SMMU_PRIQ_IRQ_CFG2_OFF 0x0DC
#define SMMU_EVENTQ_PROD_OFF 0x100A8
#define SMMU_EVENTQ_CONS_OFF 0x100AC
#define SMMU_PRIQ_PROD_OFF 0x100C8
#define SMMU_PRIQ_CONS_OFF 0x100CC

/* CR0 / CR0ACK (§6.3.9, §6.3.10) */
#define CR0_SMMUEN RFLD(0, 0)
#define CR0_PRIQEN RFLD(1, 1)
#define CR0_EVENTQEN RFLD(2, 2)
#define CR0_CMDQEN RFLD(3, 3)
#define CR0_ATSCHK RFLD(4, 4)
#define CR0_VMW RFLD(8, 6)

/* CR1 (§6.3.11) */
#define CR1_QUEUE_IC RFLD(1, 0)
#define CR1_QUEUE_OC RFLD(3, 2)
#define CR1_QUEUE_SH RFLD(5, 4)
#define CR1_TABLE_IC RFLD(7, 6)
#define CR1_TABLE_OC RFLD(9, 8)
#define CR1_TABLE_SH RFLD(11, 10)

/* CR2 (§6.3.12) */
#define CR2_E2H RFLD(0, 0)
#define CR2_RECINVSID RFLD(1, 1)
#define CR2_PTM RFLD(2, 2)
#define CR2_REC_CFG_ATS RFLD(3, 3)

/* GBPA (§6.3.14) */
#define GBPA_MEMATTR RFLD(3, 0)
#define GBPA_MTCFG RFLD(4, 4)
#define GBPA_ALLOCCFG RFLD(11, 8)
#define GBPA_SHCFG RFLD(13, 12)
#define GBPA_PRIVCFG RFLD(17, 16)
#define GBPA_INSTCFG RFLD(19, 18)
#define GBPA_ABORT RFLD(20, 20)
#define GBPA_UPDATE RFLD(31, 31)

/* IRQ_CTRL / IRQ_CTRLACK (§6.3.16, §6.3.17) */
#define IRQ_CTRL_GERROR_IRQEN RFLD(0, 0)
#define IRQ_CTRL_PRIQ_IRQEN RFLD(1, 1)
#define IRQ_CTRL_EVENTQ_IRQEN RFLD(2, 2)

/* *_IRQ_CFG0/1/2 (§6.3.20-22 and the EVENTQ/PRIQ copies) */
#define IRQ_CFG0_ADDR RFLD(55, 2)
#define IRQ_CFG1_DATA RFLD(31, 0)
#define IRQ_CFG2_MEMATTR RFLD(3, 0)
#define IRQ_CFG2_SH RFLD(5, 4)
#define PRIQ_IRQ_CFG2_LO RFLD(31, 31)

/* STRTAB_BASE / STRTAB_BASE_CFG (§6.3.24, §6.3.25) */
#define STRTAB_BASE_ADDR RFLD(55, 6)
#define STRTAB_BASE_RA RFLD(62, 62)
#define STRTAB_BASE_CFG_LOG2SIZE RFLD(5, 0)
#define STRTAB_BASE_CFG_SPLIT RFLD(10, 6)
#define STRTAB_BASE_CFG_FMT RFLD(17, 16)

/* CMDQ_BASE, EVENTQ_BASE, PRIQ_BASE (§6.3.26, §6.3.29, §6.3.33) */
#define Q_BASE_LOG2SIZE RFLD(4, 0)
#define Q_BASE_ADDR RFLD(55, 5)
#define Q_BASE_RA_WA RFLD(62, 62)

/* PROD / CONS (§6.3.27, §6.3.28, §6.3.30-31, §6.3.34-35) */
#define Q_WR RFLD(19, 0)
#define Q_RD RFLD(19, 0)
#define Q_PROD_OVFLG RFLD(31, 31)
#define Q_CONS_OVACKFLG RFLD(31, 31)
#define CMDQ_CONS_ERR RFLD(30, 24)

/* Raw value of a register (no access rules; RAZ parts read as stored). */
uint64_t regs_get(const struct smmu *smmu, enum reg_id id);
/* SMMU-side update of a register it owns (CMDQ_CONS, EVENTQ_PROD, ...). */
void regs_set(struct smmu *smmu, enum reg_id id, uint64_t v);
/*
 * Effective LOG2SIZE of a queue given its *_BASE register id: the
 * written value capped at IDR1.CMDQS/EVENTQS/PRIQS (§6.3.26).
 */
unsigned regs_queue_log2size(const struct smmu *smmu, enum reg_id base);
/* Offset and name of a register, for traces and tests. */
uint32_t regs_offset(enum reg_id id);
const char *regs_name(enum reg_id id);
/* Name of the register holding offset `off` (NULL: none); *high is set
 * for a 32-bit access to the upper half of a 64-bit register. */
const char *regs_name_at(uint64_t off, unsigned size, bool *high);

#endif
