/* SPDX-License-Identifier: MIT */
/*
 * kvfio: the VFIO character devices as a userspace program sees them,
 * over kshim. It plays Linux 6.1's VFIO core (drivers/vfio/container.c,
 * group.c) for the type1 IOMMU driver compiled from the patch:
 *
 *   open("/dev/vfio/vfio")            a container
 *   open("/dev/vfio/<N>")             iommu group N (-EBUSY if open)
 *   VFIO_GET_API_VERSION              VFIO_API_VERSION
 *   VFIO_CHECK_EXTENSION              the driver's answer
 *   VFIO_GROUP_GET_STATUS             VIABLE, CONTAINER_SET
 *   VFIO_GROUP_SET_CONTAINER (fd*)    add the group; if the container has
 *                                     an IOMMU driver, attach_group()
 *   VFIO_SET_IOMMU (type)             needs a group: open() the driver,
 *                                     attach every group (undo on error)
 *   VFIO_GROUP_UNSET_CONTAINER        detach_group(); the last group's
 *                                     removal release()s the driver data
 *   close(group fd)                   unsets the container if set
 *   close(container fd)               the container lives on while groups
 *                                     hold it, as in the kernel
 *   any other container ioctl         passed to the driver's ioctl()
 *
 * The calling thread's task (kshim_set_current) is `current` for the
 * driver. Calls return what the system calls return: -1 with errno set on
 * failure.
 */
#ifndef SMMUSIM_KVFIO_H
#define SMMUSIM_KVFIO_H

struct iommu_group;
struct kshim;

/* struct vfio_iommu_driver_ops, the calls the core makes. */
struct kvfio_iommu_driver_ops {
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *iommu_data, struct iommu_group *group);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
};

/* The type1 driver built from the patch (type1_shim.c). */
extern const struct kvfio_iommu_driver_ops kvfio_type1_ops;

/*
 * Set up the device files for k's groups (kvfio_reset first), with the
 * type1 driver as the only IOMMU driver. /dev/vfio/<N> opens k's group N
 * (kshim_find_group), whenever it was created. kvfio_reset closes every
 * fd (as a process exit would) and forgets the groups' file state; k and
 * the drivers stay set, so kvfio_reset must come before kshim_destroy.
 */
void kvfio_init(struct kshim *k);
/* The same with these drivers instead (up to 8), asked in this order by
 * VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU. */
void kvfio_init_drivers(struct kshim *k,
			const struct kvfio_iommu_driver_ops *const *drivers,
			unsigned n);
void kvfio_reset(void);

/*
 * Descriptors are the lowest free from 3. Errors: ENOENT (no such path or
 * group), EBUSY (group already open), EMFILE, ENOMEM; flags are ignored.
 * ioctl: EBADF; container: EINVAL (unknown request without an IOMMU
 * driver, SET_IOMMU without a group or with a driver set), ENODEV (no
 * driver for that type) or the driver's error; group: EFAULT, EBADF
 * (SET_CONTAINER's fd), EINVAL (container already set / not set, fd not a
 * container, GET_STATUS argsz too small), ENOTTY, or the driver's
 * attach_group error. close: EBADF.
 */
int kvfio_open(const char *path, int flags);
/* arg: an integer or a pointer, as ioctl(2) passes it. */
int kvfio_ioctl(int fd, unsigned long request, unsigned long arg);
int kvfio_close(int fd);

/* For tests: the IOMMU driver's data of container fd, NULL when the fd is
 * not a container or the container has no driver. Valid until the
 * container loses its driver; do not race it with VFIO calls. */
void *kvfio_iommu_data(int fd);

#endif
