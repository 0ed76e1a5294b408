/* SPDX-License-Identifier: MIT */
/*
 * The driver's view of the SMMUv3 programming interface: register offsets
 * and the structure fields it writes (IHI 0070 §6.3, §5.2, §5.4, §4;
 * facts §1, §3.2, §4.1, §5). Architectural facts, defined for host
 * software independently of the model's own definitions, as a real
 * driver would have them.
 */
#ifndef SMMUSIM_HOST_SMMU_REGS_H
#define SMMUSIM_HOST_SMMU_REGS_H

#include "smmu/fields.h"

/* Register offsets (page 0 unless noted) */
enum {
	R_IDR0 = 0x000, R_IDR1 = 0x004, R_IDR2 = 0x008, R_IDR3 = 0x00C,
	R_IDR4 = 0x010, R_IDR5 = 0x014, R_IIDR = 0x018, R_AIDR = 0x01C,
	R_CR0 = 0x020, R_CR0ACK = 0x024, R_CR1 = 0x028, R_CR2 = 0x02C,
	R_STATUSR = 0x040, R_GBPA = 0x044, R_AGBPA = 0x048,
	R_IRQ_CTRL = 0x050, R_IRQ_CTRLACK = 0x054,
	R_GERROR = 0x060, R_GERRORN = 0x064,
	R_GERROR_IRQ_CFG0 = 0x068, R_GERROR_IRQ_CFG1 = 0x070,
	R_GERROR_IRQ_CFG2 = 0x074,
	R_STRTAB_BASE = 0x080, R_STRTAB_BASE_CFG = 0x088,
	R_CMDQ_BASE = 0x090, R_CMDQ_PROD = 0x098, R_CMDQ_CONS = 0x09C,
	R_EVENTQ_BASE = 0x0A0,
	R_EVENTQ_IRQ_CFG0 = 0x0B0, R_EVENTQ_IRQ_CFG1 = 0x0B8,
	R_EVENTQ_IRQ_CFG2 = 0x0BC,
	R_PRIQ_BASE = 0x0C0,
	R_PRIQ_IRQ_CFG0 = 0x0D0, R_PRIQ_IRQ_CFG1 = 0x0D8,
	R_PRIQ_IRQ_CFG2 = 0x0DC,
	R_EVENTQ_PROD = 0x100A8, R_EVENTQ_CONS = 0x100AC,
	R_PRIQ_PROD = 0x100C8, R_PRIQ_CONS = 0x100CC,
};

/* CR0 / CR0ACK */
#define CR0_SMMUEN RFLD(0, 0)
#define CR0_PRIQEN RFLD(1, 1)
#define CR0_EVENTQEN RFLD(2, 2)
#define CR0_CMDQEN RFLD(3, 3)
#define CR0_ATSCHK RFLD(4, 4)
/* CR2 */
#define CR2_E2H RFLD(0, 0)
#define CR2_RECINVSID RFLD(1, 1)
#define CR2_PTM RFLD(2, 2)
/* IDR0 / IDR1 / IDR5 fields the driver reads */
#define IDR0_S2P RFLD(0, 0)
#define IDR0_S1P RFLD(1, 1)
#define IDR0_ATS RFLD(10, 10)
#define IDR0_MSI RFLD(13, 13)
#define IDR0_PRI RFLD(16, 16)
#define IDR0_CD2L RFLD(19, 19)
#define IDR0_STALL_MODEL RFLD(25, 24)
#define IDR0_ST_LEVEL RFLD(28, 27)
#define IDR1_SIDSIZE RFLD(5, 0)
#define IDR1_SSIDSIZE RFLD(10, 6)
#define IDR1_PRIQS RFLD(15, 11)
#define IDR1_EVENTQS RFLD(20, 16)
#define IDR1_CMDQS RFLD(25, 21)
#define IDR5_OAS RFLD(2, 0)
/* STRTAB_BASE_CFG */
#define STRTAB_CFG_LOG2SIZE RFLD(5, 0)
#define STRTAB_CFG_SPLIT RFLD(10, 6)
#define STRTAB_CFG_FMT RFLD(17, 16)
/* Queue base / index */
#define Q_BASE_LOG2SIZE RFLD(4, 0)
#define Q_BASE_ADDR RFLD(55, 5)
#define Q_IDX_WR RFLD(19, 0)
#define Q_CONS_ERR RFLD(30, 24)
#define Q_OVFLG RFLD(31, 31)

/* L1 stream table descriptor */
#define L1STD_SPAN RFLD(4, 0)
#define L1STD_L2PTR RFLD(55, 6)

/* STE (§5.2) */
#define STE_V FLD(0, 0, 0)
#define STE_CONFIG FLD(0, 3, 1)
#define STE_S1FMT FLD(0, 5, 4)
#define STE_S1CONTEXTPTR FLD(0, 55, 6)
#define STE_S1CDMAX FLD(0, 63, 59)
#define STE_S1DSS FLD(1, 1, 0)
#define STE_S1CIR FLD(1, 3, 2)
#define STE_S1COR FLD(1, 5, 4)
#define STE_S1CSH FLD(1, 7, 6)
#define STE_EATS FLD(1, 29, 28)
#define STE_STRW FLD(1, 31, 30)
#define STE_SHCFG FLD(1, 45, 44)
#define STE_S2VMID FLD(2, 15, 0)
#define STE_S2T0SZ FLD(2, 37, 32)
#define STE_S2SL0 FLD(2, 39, 38)
#define STE_S2IR0 FLD(2, 41, 40)
#define STE_S2OR0 FLD(2, 43, 42)
#define STE_S2SH0 FLD(2, 45, 44)
#define STE_S2TG FLD(2, 47, 46)
#define STE_S2PS FLD(2, 50, 48)
#define STE_S2AA64 FLD(2, 51, 51)
#define STE_S2R FLD(2, 58, 58)
#define STE_S2TTB FLD(3, 51, 4)

enum { STE_CFG_ABORT = 0, STE_CFG_BYPASS = 4, STE_CFG_S1 = 5,
       STE_CFG_S2 = 6, STE_CFG_NESTED = 7 };

/* CD (§5.4) */
#define CD_T0SZ FLD(0, 5, 0)
#define CD_TG0 FLD(0, 7, 6)
#define CD_IR0 FLD(0, 9, 8)
#define CD_OR0 FLD(0, 11, 10)
#define CD_SH0 FLD(0, 13, 12)
#define CD_EPD0 FLD(0, 14, 14)
#define CD_EPD1 FLD(0, 30, 30)
#define CD_V FLD(0, 31, 31)
#define CD_IPS FLD(0, 34, 32)
#define CD_AFFD FLD(0, 35, 35)
#define CD_AA64 FLD(0, 41, 41)
#define CD_R FLD(0, 45, 45)
#define CD_A FLD(0, 46, 46)
#define CD_ASET FLD(0, 47, 47)
#define CD_ASID FLD(0, 63, 48)
#define CD_TTB0 FLD(1, 51, 4)
#define CD_MAIR FLD(3, 63, 0)

/* Commands (§4; facts §5) */
#define CMD_OPCODE FLD(0, 7, 0)
#define CMD_SSV FLD(0, 11, 11)
#define CMD_SSID FLD(0, 31, 12)
#define CMD_SID FLD(0, 63, 32)
#define CMD_VMID FLD(0, 47, 32)
#define CMD_ASID FLD(0, 63, 48)
#define CMD_LEAF FLD(1, 0, 0)
#define CMD_RANGE FLD(1, 4, 0)
#define CMD_ADDR FLD(1, 63, 12)
#define CMD_SYNC_CS FLD(0, 13, 12)
#define CMD_SYNC_MSH FLD(0, 23, 22)
#define CMD_SYNC_MSIATTR FLD(0, 27, 24)
#define CMD_SYNC_MSIDATA FLD(0, 63, 32)
#define CMD_SYNC_MSIADDR FLD(1, 55, 2)

enum {
	OP_PREFETCH_CONFIG = 0x01, OP_PREFETCH_ADDR = 0x02,
	OP_CFGI_STE = 0x03, OP_CFGI_STE_RANGE = 0x04, OP_CFGI_CD = 0x05,
	OP_CFGI_CD_ALL = 0x06, OP_TLBI_NH_ALL = 0x10, OP_TLBI_NH_ASID = 0x11,
	OP_TLBI_NH_VA = 0x12, OP_TLBI_NH_VAA = 0x13, OP_TLBI_EL2_ALL = 0x20,
	OP_TLBI_S12_VMALL = 0x28, OP_TLBI_S2_IPA = 0x2A,
	OP_TLBI_NSNH_ALL = 0x30, OP_ATC_INV = 0x40, OP_PRI_RESP = 0x41,
	OP_RESUME = 0x44, OP_STALL_TERM = 0x45, OP_CMD_SYNC = 0x46,
};

#endif
