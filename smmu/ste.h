/* SPDX-License-Identifier: MIT */
/*
 * Stream table structures (IHI 0070 §5.1, §5.2; facts §3.1, §3.2): the
 * Level-1 stream table descriptor and the Stream Table Entry, plus the
 * helpers ste.c and cd.c share for translation-regime checks.
 */
#ifndef SMMUSIM_SMMU_STE_H
#define SMMUSIM_SMMU_STE_H

#include "smmu/smmu_internal.h"

/* --- L1STD (§5.1, 8 bytes) ------------------------------------------ */
#define L1STD_SPAN FLD(0, 4, 0)
#define L1STD_L2PTR FLD(0, 55, 6)

#define L1STD_SPAN_MAX 11       /* 12..31 reserved (§5.1) */
#define STE_SIZE 64u
#define STE_DWORDS 8u
#define L1STD_SIZE 8u

/* --- STE (§5.2, 64 bytes) ------------------------------------------- */
/* DW0 */
#define STE_V FLD(0, 0, 0)
#define STE_CONFIG FLD(0, 3, 1)
#define STE_S1FMT FLD(0, 5, 4)
#define STE_S1CONTEXTPTR FLD(0, 55, 6)
#define STE_S1CDMAX FLD(0, 63, 59)
/* DW1 */
#define STE_S1DSS FLD(1, 1, 0)
#define STE_S1CIR FLD(1, 3, 2)
#define STE_S1COR FLD(1, 5, 4)
#define STE_S1CSH FLD(1, 7, 6)
#define STE_S2HWU FLD(1, 11, 8)
#define STE_DRE FLD(1, 12, 12)
#define STE_CONT FLD(1, 16, 13)
#define STE_DCP FLD(1, 17, 17)
#define STE_PPAR FLD(1, 18, 18)
#define STE_MEV FLD(1, 19, 19)
#define STE_SW_RESERVED FLD(1, 23, 20)
#define STE_S1PIE FLD(1, 24, 24)
#define STE_S2FWB FLD(1, 25, 25)
#define STE_S1MPAM FLD(1, 26, 26)
#define STE_S1STALLD FLD(1, 27, 27)
#define STE_EATS FLD(1, 29, 28)
#define STE_STRW FLD(1, 31, 30)
#define STE_MEMATTR FLD(1, 35, 32)
#define STE_MTCFG FLD(1, 36, 36)
#define STE_ALLOCCFG FLD(1, 40, 37)
#define STE_SHCFG FLD(1, 45, 44)
#define STE_NSCFG FLD(1, 47, 46)
#define STE_PRIVCFG FLD(1, 49, 48)
#define STE_INSTCFG FLD(1, 51, 50)
/* DW2 */
#define STE_S2VMID FLD(2, 15, 0)
#define STE_S2VMID_HI FLD(2, 15, 8)   /* must be 0 without VMID16 */
#define STE_S2T0SZ FLD(2, 37, 32)
#define STE_S2SL0 FLD(2, 39, 38)
#define STE_S2IR0 FLD(2, 41, 40)
#define STE_S2OR0 FLD(2, 43, 42)
#define STE_S2SH0 FLD(2, 45, 44)
#define STE_S2TG FLD(2, 47, 46)
#define STE_S2PS FLD(2, 50, 48)
#define STE_S2AA64 FLD(2, 51, 51)
#define STE_S2ENDI FLD(2, 52, 52)
#define STE_S2AFFD FLD(2, 53, 53)
#define STE_S2PTW FLD(2, 54, 54)
#define STE_S2HD FLD(2, 55, 55)
#define STE_S2HA FLD(2, 56, 56)
#define STE_S2S FLD(2, 57, 57)
#define STE_S2R FLD(2, 58, 58)
#define STE_S2HAFT FLD(2, 59, 59)
#define STE_S2PIE FLD(2, 60, 60)
#define STE_S2POE FLD(2, 61, 61)
/* DW3 */
#define STE_S2SL0_2 FLD(3, 2, 2)
#define STE_S2DS FLD(3, 3, 3)
#define STE_S2TTB FLD(3, 55, 4)
#define STE_S2TTB_V8 FLD(3, 51, 4)    /* VMSAv8-64 table base (v3.1+) */

/* STE.Config (§5.2, facts §3.3): bit 2 translate, bit 1 S2, bit 0 S1 */
#define STE_CONFIG_TRANSLATE 0x4u
#define STE_CONFIG_S2 0x2u
#define STE_CONFIG_S1 0x1u
#define STE_CONFIG_BYPASS 0x4u
#define STE_CONFIG_NESTED 0x7u

enum { S1FMT_LINEAR = 0, S1FMT_2L_4K = 1, S1FMT_2L_64K = 2 };
enum { S1DSS_TERMINATE = 0, S1DSS_BYPASS = 1, S1DSS_SSID0 = 2 };
enum { EATS_OFF = 0, EATS_FULL = 1, EATS_SPLIT = 2, EATS_DPT = 3 };
enum { STRW_EL1 = 0, STRW_EL2 = 2 };
#define STRW_RESERVED_BIT 0x1u        /* NS STRW 0bx1 is reserved */

/* TG0 / S2TG encoding (§5.2 S2TG, §5.4 TG0) and TG1 (§5.4 TG1) */
enum { TG0_4K = 0, TG0_64K = 1, TG0_16K = 2, TG0_RSVD = 3 };
enum { TG1_RSVD = 0, TG1_16K = 1, TG1_4K = 2, TG1_64K = 3 };

/* --- helpers shared by ste.c and cd.c ------------------------------- */
/* Granule shift (12/14/16) from a TG0-style / TG1-style encoding; 0 for
 * reserved. */
unsigned tg0_granule_shift(unsigned tg);
unsigned tg1_granule_shift(unsigned tg);
/* IDR5.GRAN4K/16K/64K */
bool granule_supported(const struct smmu_impl *impl, unsigned shift);
/* IAS = max(TTF[0] ? 40 : 0, TTF[1] ? OAS : 0) (§3.4, facts §1.5) */
unsigned smmu_ias_bits(const struct smmu_impl *impl);
/* Largest TxSZ / S2T0SZ for a granule: 39, or 48 (4K/16K) / 47 (64K)
 * with IDR3.STT (§5.2 S2T0SZ, §5.4 T0SZ). */
unsigned txsz_max(const struct smmu_impl *impl, unsigned gshift);
/* Level shift of a granule: G + (3 - level) * (G - 3) (facts §9.1). */
unsigned level_shift(unsigned gshift, int level);
/* Alignment in bytes of a start-level table (all concatenated tables):
 * bits below it in a TTB are treated as zero (§5.2 S2TTB, §5.4 TTB0). */
uint64_t start_table_align(unsigned tsz, unsigned gshift, int start,
			   unsigned oas_bits);

#endif
