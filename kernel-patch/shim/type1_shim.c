/* SPDX-License-Identifier: MIT */
/*
 * The VFIO type1 IOMMU driver as the patch leaves it, compiled in
 * userspace over kshim.
 *
 * The code the patch adds is not here: it is extracted from
 * kernel-patch/0002-*.patch at build time (vfio_bind_gen.c, with the
 * patch's additions to the uapi header in vfio_bind_uapi.h) and included
 * below, so that what runs in the tests is, line for line, what the patch
 * puts in the kernel.
 *
 * This file is the surrounding Linux 6.1 type1 code that the patch hooks
 * into, cut down to what SVA binding touches: containers (open, release),
 * groups attached to IOMMU domains (attach_group, detach_group, with
 * groups sharing a compatible domain as type1 does), and the ioctl
 * switch. DMA mapping (MAP_DMA, pinning, dirty tracking, iova ranges,
 * reserved regions, MSI) is left out: no patched line depends on it. The
 * lines the patch adds inside these functions and structures appear here
 * verbatim; kernel-patch/hooks.txt lists them and the build checks them.
 * Error paths follow the kernel's: a failed attach leaves the container
 * unchanged.
 */
#include <stdio.h>

#include "host/os.h"
#include "pasid/sva.h"

#include "kshim.h"
#include "kvfio.h"
#include "type1_shim.h"
#include "vfio_bind_uapi.h"

struct vfio_iommu {
	struct list_head	domain_list;
	struct mutex		lock;
	bool			v2;
	bool			nesting;
	struct list_head	sva_groups;
	struct list_head	sva_bonds;
	struct list_head	sva_defunct;
	bool			sva_used;
};

struct vfio_domain {
	struct iommu_domain	*domain;
	struct list_head	next;
	struct list_head	group_list;
};

struct vfio_iommu_group {
	struct iommu_group	*iommu_group;
	struct list_head	next;
};

/* The patch's code: kernel-patch/0002-*.patch, extracted at build time. */
#include "vfio_bind_gen.c"

static struct vfio_iommu_group *
vfio_iommu_find_iommu_group(struct vfio_iommu *iommu,
			    struct iommu_group *iommu_group)
{
	struct vfio_domain *domain;
	struct vfio_iommu_group *group;

	list_for_each_entry(domain, &iommu->domain_list, next)
		list_for_each_entry(group, &domain->group_list, next)
			if (group->iommu_group == iommu_group)
				return group;
	return NULL;
}

static int vfio_iommu_type1_attach_group(void *iommu_data,
					 struct iommu_group *iommu_group)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_iommu_group *group;
	struct vfio_domain *domain, *d;
	int ret;

	mutex_lock(&iommu->lock);

	ret = -EINVAL;
	if (vfio_iommu_find_iommu_group(iommu, iommu_group))
		goto out_unlock;

	ret = -ENOMEM;
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group)
		goto out_unlock;
	group->iommu_group = iommu_group;

	domain = kzalloc(sizeof(*domain), GFP_KERNEL);
	if (!domain)
		goto out_free_group;

	ret = -EIO;
	domain->domain = iommu_domain_alloc_group(iommu_group);
	if (!domain->domain)
		goto out_free_domain;

	ret = iommu_attach_group(domain->domain, group->iommu_group);
	if (ret)
		goto out_domain;

	INIT_LIST_HEAD(&domain->group_list);

	/* Every domain of the model's one SMMU is compatible: join the
	 * first, as type1 joins a domain with the same iommu_ops. */
	list_for_each_entry(d, &iommu->domain_list, next) {
		iommu_detach_group(domain->domain, group->iommu_group);
		if (!iommu_attach_group(d->domain, group->iommu_group)) {
			list_add(&group->next, &d->group_list);
			iommu_domain_free(domain->domain);
			kfree(domain);
			goto done;
		}
		ret = iommu_attach_group(domain->domain, group->iommu_group);
		if (ret)
			goto out_domain;
	}

	list_add(&group->next, &domain->group_list);
	list_add(&domain->next, &iommu->domain_list);
done:
	mutex_unlock(&iommu->lock);

	ret = vfio_sva_attach_group(iommu, iommu_group);
	if (ret)
		vfio_iommu_type1_detach_group(iommu, iommu_group);
	return ret;

out_domain:
	iommu_domain_free(domain->domain);
out_free_domain:
	kfree(domain);
out_free_group:
	kfree(group);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

static void vfio_iommu_type1_detach_group(void *iommu_data,
					  struct iommu_group *iommu_group)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_domain *domain;
	struct vfio_iommu_group *group, *g;

	mutex_lock(&iommu->lock);
	vfio_sva_detach_group(iommu, iommu_group);
	list_for_each_entry(domain, &iommu->domain_list, next) {
		group = NULL;
		list_for_each_entry(g, &domain->group_list, next) {
			if (g->iommu_group == iommu_group) {
				group = g;
				break;
			}
		}
		if (!group)
			continue;

		iommu_detach_group(domain->domain, group->iommu_group);
		list_del(&group->next);
		kfree(group);
		if (list_empty(&domain->group_list)) {
			iommu_domain_free(domain->domain);
			list_del(&domain->next);
			kfree(domain);
		}
		break;
	}
	mutex_unlock(&iommu->lock);
}

static void *vfio_iommu_type1_open(unsigned long arg)
{
	struct vfio_iommu *iommu;

	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL);
	if (!iommu)
		return ERR_PTR(-ENOMEM);

	switch (arg) {
	case VFIO_TYPE1_IOMMU:
		break;
	case VFIO_TYPE1_NESTING_IOMMU:
		iommu->nesting = true;
		iommu->v2 = true;
		break;
	case VFIO_TYPE1v2_IOMMU:
		iommu->v2 = true;
		break;
	default:
		kfree(iommu);
		return ERR_PTR(-EINVAL);
	}

	INIT_LIST_HEAD(&iommu->domain_list);
	mutex_init(&iommu->lock);
	INIT_LIST_HEAD(&iommu->sva_groups);
	INIT_LIST_HEAD(&iommu->sva_bonds);
	INIT_LIST_HEAD(&iommu->sva_defunct);

	return iommu;
}

static void vfio_iommu_type1_release(void *iommu_data)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_domain *domain, *domain_tmp;
	struct vfio_iommu_group *group, *group_tmp;

	vfio_sva_release(iommu);

	list_for_each_entry_safe(domain, domain_tmp, &iommu->domain_list,
				 next) {
		list_for_each_entry_safe(group, group_tmp, &domain->group_list,
					 next) {
			iommu_detach_group(domain->domain, group->iommu_group);
			list_del(&group->next);
			kfree(group);
		}
		iommu_domain_free(domain->domain);
		list_del(&domain->next);
		kfree(domain);
	}
	mutex_destroy(&iommu->lock);
	kfree(iommu);
}

static long vfio_iommu_type1_check_extension(unsigned long arg)
{
	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_TYPE1_NESTING_IOMMU:
		return 1;
	default:
		return 0;
	}
}

static long vfio_iommu_type1_ioctl(void *iommu_data, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_iommu *iommu = iommu_data;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return vfio_iommu_type1_check_extension(arg);
	case VFIO_IOMMU_BIND:
		return vfio_iommu_type1_bind(iommu, arg);
	case VFIO_IOMMU_UNBIND:
		return vfio_iommu_type1_unbind(iommu, arg);
	default:
		return -ENOTTY;
	}
}

/*
 * The container's state as text, for tests that must show a failed call
 * changed nothing: the groups per domain, the SVA-enabled groups with
 * their devices in enable order, the live bonds in creation order with
 * their PASID, address space and bound devices in bind order, and the
 * defunct bonds (address space gone, PASID kept) in the order they went
 * defunct.
 */
size_t kpatch_type1_describe(void *iommu_data, char *buf, size_t len)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_domain *domain;
	struct vfio_iommu_group *group;
	struct vfio_sva_group *sgroup;
	struct vfio_sva_device *sdev;
	struct vfio_sva_bond *bond;
	struct vfio_sva_handle *h;
	size_t n = 0;

#define OUT(...) (n += (size_t)snprintf(buf + (n < len ? n : len), \
					n < len ? len - n : 0, __VA_ARGS__))
	if (!iommu)
		return (size_t)snprintf(buf, len, "(no iommu)");
	mutex_lock(&iommu->lock);
	list_for_each_entry(domain, &iommu->domain_list, next) {
		OUT("domain:");
		list_for_each_entry(group, &domain->group_list, next)
			OUT(" g%d", kshim_group_id(group->iommu_group));
		OUT(";");
	}
	list_for_each_entry(sgroup, &iommu->sva_groups, next) {
		OUT(" sva g%d:", kshim_group_id(sgroup->iommu_group));
		list_for_each_entry(sdev, &sgroup->devices, next)
			OUT(" %#x", sva_dev_sid(kshim_device_sva(sdev->dev)));
		OUT(";");
	}
	list_for_each_entry(bond, &iommu->sva_bonds, next) {
		OUT(" bond mm%llu pasid %u:",
		    (unsigned long long)hmm_id(kshim_mm_hmm(bond->mn.mm)),
		    bond->pasid);
		list_for_each_entry(h, &bond->handles, next)
			OUT(" %#x", sva_dev_sid(kshim_device_sva(h->sdev->dev)));
		OUT(";");
	}
	list_for_each_entry(bond, &iommu->sva_defunct, next)
		OUT(" defunct mm%llu pasid %u;",
		    (unsigned long long)hmm_id(kshim_mm_hmm(bond->mn.mm)),
		    bond->pasid);
	mutex_unlock(&iommu->lock);
#undef OUT
	return n;
}

const struct kvfio_iommu_driver_ops kvfio_type1_ops = {
	.open = vfio_iommu_type1_open,
	.release = vfio_iommu_type1_release,
	.ioctl = vfio_iommu_type1_ioctl,
	.attach_group = vfio_iommu_type1_attach_group,
	.detach_group = vfio_iommu_type1_detach_group,
};
