/* SPDX-License-Identifier: MIT */
/*
 * Command encodings (IHI 0070 §4; facts §5): opcodes, the fields of the
 * 16-byte command and the command error codes. Used by cmdq.c and by
 * anything that builds commands (tests, the host driver models).
 */
#ifndef SMMUSIM_SMMU_CMDQ_H
#define SMMUSIM_SMMU_CMDQ_H

#include "smmu/smmu_internal.h"

#define CMDQ_ENTRY_BYTES 16u

/* §4.1 opcodes */
enum cmd_op {
	CMD_PREFETCH_CONFIG = 0x01,
	CMD_PREFETCH_ADDR = 0x02,
	CMD_CFGI_STE = 0x03,
	CMD_CFGI_STE_RANGE = 0x04, /* CFGI_ALL = STE_RANGE, Range 31 */
	CMD_CFGI_CD = 0x05,
	CMD_CFGI_CD_ALL = 0x06,
	CMD_CFGI_VMS_PIDM = 0x07,
	CMD_TLBI_NH_ALL = 0x10,
	CMD_TLBI_NH_ASID = 0x11,
	CMD_TLBI_NH_VA = 0x12,
	CMD_TLBI_NH_VAA = 0x13,
	CMD_TLBI_EL3_ALL = 0x18,
	CMD_TLBI_EL3_VA = 0x1A,
	CMD_TLBI_EL2_ALL = 0x20,
	CMD_TLBI_EL2_ASID = 0x21,
	CMD_TLBI_EL2_VA = 0x22,
	CMD_TLBI_EL2_VAA = 0x23,
	CMD_TLBI_S12_VMALL = 0x28,
	CMD_TLBI_S2_IPA = 0x2A,
	CMD_TLBI_NSNH_ALL = 0x30,
	CMD_ATC_INV = 0x40,
	CMD_PRI_RESP = 0x41,
	CMD_RESUME = 0x44,
	CMD_STALL_TERM = 0x45,
	CMD_SYNC = 0x46,
};

/* §7.1 CMDQ_CONS.ERR codes */
enum cmd_error {
	CERROR_NONE = 0x00,
	CERROR_ILL = 0x01,
	CERROR_ABT = 0x02,
	CERROR_ATC_INV_SYNC = 0x03,
};

/* Common fields (§4.1.x; facts §5.1) */
#define CMD_OPCODE FLD(0, 7, 0)
#define CMD_SSEC FLD(0, 10, 10)
#define CMD_SSV FLD(0, 11, 11)
#define CMD_SUBSTREAMID FLD(0, 31, 12)
#define CMD_STREAMID FLD(0, 63, 32)
/* CFGI_* */
#define CMD_CFGI_LEAF FLD(1, 0, 0)
#define CMD_CFGI_RANGE FLD(1, 4, 0)
/* TLBI_* (§4.4) */
#define CMD_TLBI_NUM FLD(0, 16, 12)
#define CMD_TLBI_SCALE FLD(0, 24, 20)
#define CMD_TLBI_VMID FLD(0, 47, 32)
#define CMD_TLBI_ASID FLD(0, 63, 48)
#define CMD_TLBI_LEAF FLD(1, 0, 0)
#define CMD_TLBI_TTL FLD(1, 9, 8)
#define CMD_TLBI_TG FLD(1, 11, 10)
#define CMD_TLBI_VA FLD(1, 63, 12)   /* Address[63:12], used in place */
#define CMD_TLBI_IPA FLD(1, 55, 12)  /* Address[55:12], used in place */
/* ATC_INV (§4.5.1) */
#define CMD_ATC_GLOBAL FLD(0, 9, 9)
#define CMD_ATC_SIZE FLD(1, 5, 0)
#define CMD_ATC_ADDR FLD(1, 63, 12)
/* PRI_RESP (§4.5.2) */
#define CMD_PRI_PRGINDEX FLD(1, 8, 0)
#define CMD_PRI_RESP_CODE FLD(1, 13, 12)
/* RESUME / STALL_TERM (§4.7.1-2) */
#define CMD_RESUME_AC FLD(0, 12, 12)
#define CMD_RESUME_AB FLD(0, 13, 13)
#define CMD_RESUME_STAG FLD(1, 15, 0)
/* CMD_SYNC (§4.7.3) */
#define CMD_SYNC_CS FLD(0, 13, 12)
#define CMD_SYNC_MSH FLD(0, 23, 22)
#define CMD_SYNC_MSIATTR FLD(0, 27, 24)
#define CMD_SYNC_MSIDATA FLD(0, 63, 32)
#define CMD_SYNC_MSIADDR FLD(1, 55, 2) /* used in place */

enum cmd_sync_cs {
	CS_SIG_NONE = 0,
	CS_SIG_IRQ = 1,
	CS_SIG_SEV = 2,
};

/* CFGI_STE_RANGE with this Range invalidates every STE (CFGI_ALL). */
#define CFGI_RANGE_ALL 31u
/* ATC_INV Size 52 = the whole 2^64 space; larger sizes are ILLEGAL here. */
#define ATC_INV_SIZE_MAX 52u

/*
 * Decode a TLBI_* command into an invalidation request (§4.4; facts
 * §5.3). Returns CERROR_NONE, or CERROR_ILL for an opcode that is not a
 * TLBI this SMMU accepts or for an ILLEGAL range encoding.
 */
uint8_t cmdq_tlbi_decode(const struct smmu *smmu, const uint64_t cmd[2],
			 struct inval_req *req);

#endif
