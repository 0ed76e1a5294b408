/* SPDX-License-Identifier: MIT */
/*
 * The Linux 6.1 SVA API shape over the SVA core (pasid/sva.h), so that
 * code written against the kernel's interface (the VFIO bind patch in
 * kernel-patch/) runs against the model with the same calls:
 *
 *   Linux 6.1                               here
 *   iommu_dev_enable_feature(dev, f)        sva_dev_enable_feature
 *   iommu_dev_disable_feature(dev, f)       sva_dev_disable_feature
 *   iommu_sva_bind_device(dev, mm, drvdata) sva_bind_device
 *   iommu_sva_get_pasid(handle)             sva_get_pasid
 *   iommu_sva_unbind_device(handle)         sva_unbind_device
 *   mmu_notifier_register(mn, mm)           sva_mmu_notifier_register
 *   mmu_notifier_unregister(mn, mm)         sva_mmu_notifier_unregister
 *
 * Features: IOPF first, then SVA; disable in the reverse order.
 *   enable IOPF   -EINVAL if the device can neither stall nor issue PRI
 *                 (nothing could deliver its faults), -EBUSY if enabled
 *   enable SVA    -EINVAL without IOPF enabled, -EBUSY if enabled
 *   disable SVA   -EINVAL if not enabled, -EBUSY while bonds remain
 *   disable IOPF  -EINVAL if not enabled, -EBUSY while SVA is enabled
 *
 * Errors of sva_bind_device come back as an error pointer, as the kernel
 * returns them: a handle h with SVA_IS_ERR(h) carries -errno in
 * SVA_PTR_ERR(h) (the last 4095 addresses, never a valid object).
 * -ENODEV when SVA is not enabled on the device, otherwise the errors of
 * sva_bind(). Binding the same device and address space twice returns
 * the same handle; each bind needs an unbind.
 */
#ifndef SMMUSIM_PASID_SVA_LINUX_H
#define SMMUSIM_PASID_SVA_LINUX_H

#include <stdbool.h>
#include <stdint.h>

#include "pasid/sva.h"

#define SVA_MAX_ERRNO 4095
#define SVA_PASID_INVALID UINT32_MAX /* IOMMU_PASID_INVALID */

static inline void *SVA_ERR_PTR(long err)
{
	return (void *)(intptr_t)err;
}

static inline long SVA_PTR_ERR(const void *p)
{
	return (long)(intptr_t)p;
}

static inline bool SVA_IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-SVA_MAX_ERRNO;
}

/* enum iommu_dev_features */
enum sva_dev_feature {
	SVA_FEAT_SVA = 1,
	SVA_FEAT_IOPF = 2,
};

int sva_dev_enable_feature(struct sva_dev *dev, enum sva_dev_feature f);
int sva_dev_disable_feature(struct sva_dev *dev, enum sva_dev_feature f);
bool sva_dev_feature_enabled(const struct sva_dev *dev,
			     enum sva_dev_feature f);

/* The handle is the bond (struct iommu_sva). */
struct sva_bond *sva_bind_device(struct sva_dev *dev, struct hmm *mm,
				 void *drvdata);
void sva_unbind_device(struct sva_bond *handle);
/* The handle's PASID; SVA_PASID_INVALID for an error pointer or NULL. */
uint32_t sva_get_pasid(const struct sva_bond *handle);

/* struct mmu_notifier: set ops, then register. */
struct sva_mmu_notifier;

struct sva_mmu_notifier_ops {
	void (*release)(struct sva_mmu_notifier *mn, struct hmm *mm);
	void (*invalidate_range)(struct sva_mmu_notifier *mn, struct hmm *mm,
				 uint64_t start, uint64_t end);
};

struct sva_mmu_notifier {
	const struct sva_mmu_notifier_ops *ops;
	struct hmm *mm;          /* private */
	struct hmm_notifier hn;  /* private */
};

/* Register on mm, keeping the struct alive (hmm_get) until unregister.
 * 0, -EINVAL (no ops), -ESRCH (torn down), -EBUSY (registered). */
int sva_mmu_notifier_register(struct sva_mmu_notifier *mn, struct hmm *mm);
void sva_mmu_notifier_unregister(struct sva_mmu_notifier *mn,
				 struct hmm *mm);

#endif
