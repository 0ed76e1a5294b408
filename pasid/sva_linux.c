/* SPDX-License-Identifier: MIT */
/* The Linux 6.1 SVA API shape over the SVA core (see sva_linux.h). */
#include "pasid/sva_linux.h"

#include <errno.h>
#include <stddef.h>

static unsigned feat_bit(enum sva_dev_feature f)
{
	return f == SVA_FEAT_SVA || f == SVA_FEAT_IOPF ? (unsigned)f : 0;
}

bool sva_dev_feature_enabled(const struct sva_dev *dev,
			     enum sva_dev_feature f)
{
	return dev && (sva_dev_features(dev) & feat_bit(f));
}

int sva_dev_enable_feature(struct sva_dev *dev, enum sva_dev_feature f)
{
	unsigned on, bit = feat_bit(f);

	if (!dev || !bit)
		return -EINVAL;
	on = sva_dev_features(dev);
	if (on & bit)
		return -EBUSY;
	if (f == SVA_FEAT_IOPF &&
	    !(sva_dev_flags(dev) & (SVA_DEV_STALL | SVA_DEV_PRI)))
		return -EINVAL;
	if (f == SVA_FEAT_SVA && !(on & SVA_FEAT_IOPF))
		return -EINVAL;
	sva_dev_set_features(dev, on | bit);
	if (f == SVA_FEAT_IOPF)
		sva_dev_set_iopf(dev, true); /* stall-capable: CD.S=1 */
	return 0;
}

int sva_dev_disable_feature(struct sva_dev *dev, enum sva_dev_feature f)
{
	unsigned on, bit = feat_bit(f);

	if (!dev || !bit)
		return -EINVAL;
	on = sva_dev_features(dev);
	if (!(on & bit))
		return -EINVAL;
	if (f == SVA_FEAT_IOPF && (on & SVA_FEAT_SVA))
		return -EBUSY;
	if (f == SVA_FEAT_SVA && sva_dev_nr_bonds(dev))
		return -EBUSY;
	sva_dev_set_features(dev, on & ~bit);
	if (f == SVA_FEAT_IOPF)
		sva_dev_set_iopf(dev, false);
	return 0;
}

struct sva_bond *sva_bind_device(struct sva_dev *dev, struct hmm *mm,
				 void *drvdata)
{
	struct sva_bond *b;
	int ret;

	if (!dev || !mm)
		return SVA_ERR_PTR(-EINVAL);
	if (!sva_dev_feature_enabled(dev, SVA_FEAT_SVA))
		return SVA_ERR_PTR(-ENODEV);
	ret = sva_bind(dev, mm, &b);
	if (ret)
		return SVA_ERR_PTR(ret);
	sva_bond_set_drvdata(b, drvdata);
	return b;
}

void sva_unbind_device(struct sva_bond *handle)
{
	if (handle && !SVA_IS_ERR(handle))
		sva_unbind(handle);
}

uint32_t sva_get_pasid(const struct sva_bond *handle)
{
	if (!handle || SVA_IS_ERR(handle))
		return SVA_PASID_INVALID;
	return sva_bond_pasid(handle);
}

static void mn_release(void *ctx, struct hmm *mm)
{
	struct sva_mmu_notifier *mn = ctx;

	if (mn->ops->release)
		mn->ops->release(mn, mm);
}

static void mn_invalidate(void *ctx, struct hmm *mm, uint64_t start,
			  uint64_t end)
{
	struct sva_mmu_notifier *mn = ctx;

	if (mn->ops->invalidate_range)
		mn->ops->invalidate_range(mn, mm, start, end);
}

static const struct hmm_notifier_ops mn_ops = {
	.release = mn_release,
	.invalidate_range = mn_invalidate,
};

int sva_mmu_notifier_register(struct sva_mmu_notifier *mn, struct hmm *mm)
{
	int ret;

	if (!mn || !mm || !mn->ops)
		return -EINVAL;
	if (mn->mm)
		return -EBUSY;
	ret = hmm_notifier_register(mm, &mn->hn, &mn_ops, mn);
	if (ret)
		return ret;
	hmm_get(mm);
	mn->mm = mm;
	return 0;
}

void sva_mmu_notifier_unregister(struct sva_mmu_notifier *mn, struct hmm *mm)
{
	if (!mn || !mm || mn->mm != mm)
		return;
	hmm_notifier_unregister(mm, &mn->hn);
	mn->mm = NULL;
	hmm_put(mm);
}
