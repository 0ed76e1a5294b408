/* SPDX-License-Identifier: MIT */
/*
 * Invalidation dispatch: a decoded TLBI request reaches every cache that
 * may hold a translation for it, the TLB and the walk cache (§3.17).
 */
#include "smmu/smmu_internal.h"

uint64_t smmu_invalidate(struct smmu *smmu, const struct inval_req *req)
{
	return tlb_invalidate(smmu, req) + walkcache_invalidate(smmu, req);
}
