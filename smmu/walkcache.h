/* SPDX-License-Identifier: MIT */
/*
 * Walk cache interface used by walk.c: table (non-leaf) descriptors per
 * level, so that a walk can start below the root.
 */
#ifndef SMMUSIM_SMMU_WALKCACHE_H
#define SMMUSIM_SMMU_WALKCACHE_H

#include "smmu/smmu_internal.h"

/* What a cached table descriptor was read under. */
struct wc_key {
	uint8_t stage;         /* 1 or 2 */
	bool vmid_valid;       /* stage 1 without stage 2: VMID unknown */
	uint16_t vmid;
	uint16_t asid;         /* stage 1 only */
	uint64_t ttb;
	uint8_t granule_shift;
	uint8_t tsz;
	int8_t start_level;
};

/* The walk state below a table descriptor. */
struct wc_val {
	uint64_t table;        /* next-level table address (IPA if nested) */
	bool ap_nw, ap_nu;     /* hierarchical APTable[1], APTable[0] */
	bool uxn, pxn;         /* hierarchical UXNTable/XNTable, PXNTable */
};

/*
 * Find the deepest cached table descriptor at a level in [lo, hi] whose
 * span covers `ia`. Probes from `hi` down to `lo`, charging
 * impl.lat.walkcache_lookup per probe. Returns the level found, or -1.
 */
int walkcache_lookup(struct smmu *smmu, const struct wc_key *k, uint64_t ia,
		     int lo, int hi, const uint8_t shift[4],
		     struct wc_val *v, uint64_t *cycles);
/* Cache the table descriptor at `level`, spanning 1 << span_shift of IA. */
void walkcache_insert(struct smmu *smmu, const struct wc_key *k, int level,
		      uint64_t ia, uint8_t span_shift, const struct wc_val *v);
/* The walk cache holds entries (false: lookups and inserts do nothing). */
bool walkcache_active(const struct smmu *smmu);
/* Number of valid entries (tests). */
unsigned walkcache_count(const struct smmu *smmu);

#endif
