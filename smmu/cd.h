/* SPDX-License-Identifier: MIT */
/*
 * Context descriptor structures (IHI 0070 §5.3, §5.4; facts §4.1, §4.2):
 * the Level-1 CD table descriptor and the 64-byte Context Descriptor.
 */
#ifndef SMMUSIM_SMMU_CD_H
#define SMMUSIM_SMMU_CD_H

#include "smmu/fields.h"

/* --- L1CD (§5.3, 8 bytes) ------------------------------------------- */
#define L1CD_V FLD(0, 0, 0)
#define L1CD_L2PTR FLD(0, 55, 12)

#define L1CD_SIZE 8u
#define CD_SIZE 64u
#define CD_DWORDS 8u
/* SSID bits indexing one leaf table (§5.2 S1Fmt) */
#define CD_LEAF_BITS_4K 6u   /* 4 KB leaves of 64 CDs */
#define CD_LEAF_BITS_64K 10u /* 64 KB leaves of 1024 CDs */

/* --- CD (§5.4, 64 bytes) -------------------------------------------- */
/* DW0 */
#define CD_T0SZ FLD(0, 5, 0)
#define CD_TG0 FLD(0, 7, 6)
#define CD_IR0 FLD(0, 9, 8)
#define CD_OR0 FLD(0, 11, 10)
#define CD_SH0 FLD(0, 13, 12)
#define CD_EPD0 FLD(0, 14, 14)
#define CD_ENDI FLD(0, 15, 15)
#define CD_T1SZ FLD(0, 21, 16)
#define CD_TG1 FLD(0, 23, 22)
#define CD_IR1 FLD(0, 25, 24)
#define CD_OR1 FLD(0, 27, 26)
#define CD_SH1 FLD(0, 29, 28)
#define CD_EPD1 FLD(0, 30, 30)
#define CD_V FLD(0, 31, 31)
#define CD_IPS FLD(0, 34, 32)
#define CD_AFFD FLD(0, 35, 35)
#define CD_WXN FLD(0, 36, 36)
#define CD_UWXN FLD(0, 37, 37)
#define CD_TBI0 FLD(0, 38, 38)
#define CD_TBI1 FLD(0, 39, 39)
#define CD_PAN FLD(0, 40, 40)
#define CD_AA64 FLD(0, 41, 41)
#define CD_HD FLD(0, 42, 42)
#define CD_HA FLD(0, 43, 43)
#define CD_S FLD(0, 44, 44)
#define CD_R FLD(0, 45, 45)
#define CD_A FLD(0, 46, 46)
#define CD_ASET FLD(0, 47, 47)
#define CD_ASID FLD(0, 63, 48)
#define CD_ASID_HI FLD(0, 63, 56)   /* must be 0 without ASID16 */
/* DW1 */
#define CD_NSCFG0 FLD(1, 0, 0)
#define CD_HAD0 FLD(1, 1, 1)
#define CD_E0PD0 FLD(1, 2, 2)
#define CD_HAFT FLD(1, 3, 3)
#define CD_TTB0 FLD(1, 55, 4)
#define CD_TTB0_V8 FLD(1, 51, 4)    /* VMSAv8-64 table base (v3.1+) */
#define CD_PNCH FLD(1, 58, 58)
#define CD_EPAN FLD(1, 59, 59)
#define CD_HWU0 FLD(1, 63, 60)
/* DW2 */
#define CD_NSCFG1 FLD(2, 0, 0)
#define CD_HAD1 FLD(2, 1, 1)
#define CD_E0PD1 FLD(2, 2, 2)
#define CD_AIE FLD(2, 3, 3)
#define CD_TTB1 FLD(2, 55, 4)
#define CD_TTB1_V8 FLD(2, 51, 4)
#define CD_DS FLD(2, 58, 58)
#define CD_PIE FLD(2, 59, 59)
#define CD_HWU1 FLD(2, 63, 60)
/* DW3 */
#define CD_MAIR FLD(3, 63, 0)
#define CD_MAIR0 FLD(3, 31, 0)
#define CD_MAIR1 FLD(3, 63, 32)
/* DW4 */
#define CD_AMAIR0 FLD(4, 31, 0)
#define CD_AMAIR1 FLD(4, 63, 32)

#endif
