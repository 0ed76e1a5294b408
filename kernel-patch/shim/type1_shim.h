/* SPDX-License-Identifier: MIT */
/* Test access to the type1 driver built from the patch (type1_shim.c). */
#ifndef SMMUSIM_TYPE1_SHIM_H
#define SMMUSIM_TYPE1_SHIM_H

#include <stddef.h>

/*
 * The container's state as one line of text (like snprintf: the length it
 * needed). iommu_data from kvfio_iommu_data(); NULL gives "(no iommu)".
 */
size_t kpatch_type1_describe(void *iommu_data, char *buf, size_t len);

#endif
