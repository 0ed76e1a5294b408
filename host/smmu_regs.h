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
#define IDR0_ASID16 RFLD(12, 12)
#define IDR0_VMID16 RFLD(18, 18)
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
/* CMDQ_CONS.ERR values (§7.1) */
enum {
	CMDQ_CERROR_NONE = 0x00,
	CMDQ_CERROR_ILL = 0x01,
	CMDQ_CERROR_ABT = 0x02,
	CMDQ_CERROR_ATC_INV_SYNC = 0x03,
};
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
#define STE_EATS_FULL 1u /* Translation Requests through every stage */
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

/* The rest of the STE, as the hitless writer needs to know which bits
 * each configuration uses (§5.2; facts §3.2). */
#define STE_S2HWU FLD(1, 11, 8)
#define STE_DRE FLD(1, 12, 12)
#define STE_CONT FLD(1, 16, 13)
#define STE_DCP FLD(1, 17, 17)
#define STE_PPAR FLD(1, 18, 18)
#define STE_MEV FLD(1, 19, 19)
#define STE_S1PIE FLD(1, 24, 24)
#define STE_S2FWB FLD(1, 25, 25)
#define STE_S1MPAM FLD(1, 26, 26)
#define STE_S1STALLD FLD(1, 27, 27)
#define STE_MEMATTR FLD(1, 35, 32)
#define STE_MTCFG FLD(1, 36, 36)
#define STE_ALLOCCFG FLD(1, 40, 37)
#define STE_NSCFG FLD(1, 47, 46)
#define STE_PRIVCFG FLD(1, 49, 48)
#define STE_INSTCFG FLD(1, 51, 50)
#define STE_IMPDEF1 FLD(1, 63, 52)
#define STE_S2ENDI FLD(2, 52, 52)
#define STE_S2AFFD FLD(2, 53, 53)
#define STE_S2PTW FLD(2, 54, 54)
#define STE_S2HD FLD(2, 55, 55)
#define STE_S2HA FLD(2, 56, 56)
#define STE_S2S FLD(2, 57, 57)
#define STE_S2HAFT FLD(2, 59, 59)
#define STE_S2PIE FLD(2, 60, 60)
#define STE_S2POE FLD(2, 61, 61)
#define STE_DPT_VMATCH FLD(2, 63, 62)
#define STE_S2NSW FLD(3, 0, 0)
#define STE_S2NSA FLD(3, 1, 1)
#define STE_S2SL0_2 FLD(3, 2, 2)
#define STE_S2DS FLD(3, 3, 3)
#define STE_S2TTB_ALL FLD(3, 55, 4)  /* S2TTB at its widest (v3.4+) */
#define STE_S2SKL FLD(3, 62, 61)
#define STE_IMPDEF4 FLD(4, 15, 0)
#define STE_PARTID FLD(4, 31, 16)
#define STE_MECID FLD(4, 63, 48)
#define STE_PMG FLD(5, 7, 0)
#define STE_MPAM_NS FLD(5, 8, 8)
#define STE_VMSPTR FLD(5, 55, 12)
#define STE_S2POI FLD(7, 63, 0)

enum { STE_CFG_ABORT = 0, STE_CFG_BYPASS = 4, STE_CFG_S1 = 5,
       STE_CFG_S2 = 6, STE_CFG_NESTED = 7 };
/* Config bits (§5.2 Config): 1xx translate-or-bypass, xx1 S1, x1x S2 */
#define STE_CFG_NOT_ABORT 4u
#define STE_CFG_S1_BIT 1u
#define STE_CFG_S2_BIT 2u
/* S1Fmt, S1DSS and STRW encodings */
enum { STE_S1FMT_LINEAR = 0, STE_S1FMT_2L_4K = 1, STE_S1FMT_2L_64K = 2 };
enum { STE_S1DSS_TERMINATE = 0, STE_S1DSS_BYPASS = 1, STE_S1DSS_SSID0 = 2 };
enum { STE_STRW_NSEL1 = 0, STE_STRW_EL2 = 2 };
/* SHCFG: use the incoming shareability */
#define STE_SHCFG_INCOMING 1u

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
#define CD_ENDI FLD(0, 15, 15)
#define CD_T1SZ FLD(0, 21, 16)
#define CD_TG1 FLD(0, 23, 22)
#define CD_IR1 FLD(0, 25, 24)
#define CD_OR1 FLD(0, 27, 26)
#define CD_SH1 FLD(0, 29, 28)
#define CD_WXN FLD(0, 36, 36)
#define CD_UWXN FLD(0, 37, 37)
#define CD_TBI0 FLD(0, 38, 38)
#define CD_TBI1 FLD(0, 39, 39)
#define CD_PAN FLD(0, 40, 40)
#define CD_HD FLD(0, 42, 42)
#define CD_HA FLD(0, 43, 43)
#define CD_S FLD(0, 44, 44)
#define CD_NSCFG0 FLD(1, 0, 0)
#define CD_HAD0 FLD(1, 1, 1)
#define CD_E0PD0 FLD(1, 2, 2)
#define CD_HAFT FLD(1, 3, 3)
#define CD_TTB0_ALL FLD(1, 55, 4)   /* TTB0 at its widest (v3.4+) */
#define CD_PNCH FLD(1, 58, 58)
#define CD_EPAN FLD(1, 59, 59)
#define CD_HWU0 FLD(1, 63, 60)
#define CD_NSCFG1 FLD(2, 0, 0)
#define CD_HAD1 FLD(2, 1, 1)
#define CD_E0PD1 FLD(2, 2, 2)
#define CD_AIE FLD(2, 3, 3)
#define CD_TTB1 FLD(2, 55, 4)
#define CD_DS FLD(2, 58, 58)
#define CD_PIE FLD(2, 59, 59)
#define CD_HWU1 FLD(2, 63, 60)
#define CD_AMAIR FLD(4, 63, 0)
#define CD_IMPDEF FLD(5, 31, 0)
#define CD_PARTID FLD(5, 47, 32)
#define CD_PMG FLD(5, 55, 48)
#define CD_PIIU FLD(6, 47, 0)
#define CD_PIIP FLD(7, 47, 0)

/* L1 CD descriptor (§5.3; facts §4.2) */
#define L1CD_DESC_V RFLD(0, 0)
#define L1CD_DESC_L2PTR RFLD(55, 12)

/* Commands (§4; facts §5) */
#define CMD_OPCODE FLD(0, 7, 0)
#define CMD_SSV FLD(0, 11, 11)
/* CMD_ATC_INV (§4.5.1): Global DW0[9], Size DW1[5:0] (span 4 KiB << Size,
 * 52 = everything) */
#define CMD_ATC_INV_GLOBAL FLD(0, 9, 9)
#define CMD_ATC_INV_SIZE FLD(1, 5, 0)
#define CMD_ATC_INV_SIZE_ALL 52u
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
/* CMD_SYNC.CS and MSH encodings (§4.7.3) */
enum { CMD_SYNC_CS_NONE = 0, CMD_SYNC_CS_IRQ = 1, CMD_SYNC_CS_SEV = 2 };
enum { CMD_SYNC_MSH_NSH = 0, CMD_SYNC_MSH_OSH = 2, CMD_SYNC_MSH_ISH = 3 };
/* MSIAttr: STE.MemAttr encoding, Normal inner/outer write-back */
#define CMD_SYNC_MSIATTR_WB 0xFu
/* GERROR.CMDQ_ERR */
#define GERROR_F_CMDQ_ERR RFLD(0, 0)

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
