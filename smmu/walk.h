/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 translation table descriptor fields (Arm ARM D8.3; facts
 * §9.3, §9.5, §9.6). A descriptor is one 64-bit word, so every field is
 * word 0 of a one-element array: fget(&desc, DESC_AF).
 */
#ifndef SMMUSIM_SMMU_WALK_H
#define SMMUSIM_SMMU_WALK_H

#include "smmu/fields.h"
#include "smmu/walkcache.h"

/* Descriptor type, facts §9.3 */
#define DESC_VALID FLD(0, 0, 0)
#define DESC_TYPE FLD(0, 1, 1)       /* 1: table (L<3) / page (L3) */

/* Table descriptor, facts §9.5 */
#define TBL_NSTABLE FLD(0, 63, 63)
#define TBL_APTABLE FLD(0, 62, 61)
#define TBL_APTABLE_NW FLD(0, 62, 62) /* APTable[1]: no writes */
#define TBL_APTABLE_NU FLD(0, 61, 61) /* APTable[0]: no unprivileged */
#define TBL_UXNTABLE FLD(0, 60, 60)   /* XNTable in 1-privilege regimes */
#define TBL_PXNTABLE FLD(0, 59, 59)
#define TBL_NLTA FLD(0, 47, 12)       /* bits below the granule RES0 */

/* Block / page descriptor, stage 1, facts §9.6 */
#define S1_ATTRINDX FLD(0, 4, 2)
#define S1_NS FLD(0, 5, 5)
#define S1_AP FLD(0, 7, 6)
#define S1_AP1 FLD(0, 6, 6)           /* AP[1]: unprivileged access */
#define S1_AP2 FLD(0, 7, 7)           /* AP[2]: read-only */
#define S1_NG FLD(0, 11, 11)
#define S1_PXN FLD(0, 53, 53)
#define S1_UXN FLD(0, 54, 54)         /* XN in 1-privilege regimes */

/* Block / page descriptor, stage 2 */
#define S2_MEMATTR FLD(0, 5, 2)
#define S2_S2AP FLD(0, 7, 6)
#define S2_S2AP_R FLD(0, 6, 6)        /* S2AP[0]: read */
#define S2_S2AP_W FLD(0, 7, 7)        /* S2AP[1]: write */
#define S2_XN FLD(0, 54, 53)          /* XN[1:0] with XNX */
#define S2_XN1 FLD(0, 54, 54)         /* XN without XNX */

/* Both stages */
#define LEAF_SH FLD(0, 9, 8)
#define LEAF_AF FLD(0, 10, 10)
#define LEAF_OA FLD(0, 47, 12)        /* bits below the block size RES0 */
#define LEAF_DBM FLD(0, 51, 51)
#define LEAF_CONT FLD(0, 52, 52)

/* Shareability encodings (facts §9.8) */
enum {
	SH_NSH = 0,
	SH_OSH = 2,
	SH_ISH = 3,
};

/* Stage-2 MemAttr[3:0] (FWB=0): [3:2] outer, [1:0] inner, 00dd Device */
#define S2MA_OUTER FLD(0, 3, 2)
#define S2MA_INNER FLD(0, 1, 0)
#define S2MA_DEVTYPE FLD(0, 1, 0)
/* FWB=1 encoding: MemAttr[2] = 0 Device, else [1:0] selects Normal kind */
#define S2MA_FWB_NORMAL FLD(0, 2, 2)
#define S2MA_FWB_KIND FLD(0, 1, 0)

/*
 * A translation regime as every walk of it starts (walk_prepare): its
 * geometry checked, the start-level table and masks computed. Valid
 * while the regime, the walk cache geometry and nested_s2 are unchanged:
 * translate.c keeps the regimes of cached STEs and CDs prepared, and a
 * nested walk prepares stage 2 once for its up to five stage-2 walks.
 */
struct walk_prep {
	const struct walk_regime *r;
	bool bad;              /* geometry no walk accepts: F_TRANSLATION */
	bool table_oor;        /* start table beyond the OAS: F_ADDR_SIZE */
	bool wc;               /* the walk cache is in use */
	int level;             /* start level */
	unsigned g, stride;    /* granule shift, index bits per level */
	unsigned oas, iasize;
	unsigned sh, width;    /* start level: shift and index bits */
	uint64_t table;        /* start table */
	uint64_t nlta;         /* next-level table address bits */
	uint64_t hmask;        /* hierarchical controls gathered (§9.5) */
	struct wc_key key;     /* when wc */
};

/*
 * Prepare r for the walks of a translation whose stage-1 table
 * addresses go through nested_s2 (the stage-2 regime of a nested
 * translation, for both of its regimes; else NULL).
 */
void walk_prepare(struct smmu *smmu, const struct walk_regime *r,
		  const struct walk_regime *nested_s2, struct walk_prep *p);
/* walk_translate() of prepared regimes (NULL: that stage bypassed). */
bool walk_translate_prep(struct smmu *smmu, const struct walk_prep *s1,
			 const struct walk_prep *s2, uint64_t ia,
			 const struct access *acc, struct walk_result *out,
			 struct smmu_event *ev, uint64_t *cycles);

#endif
