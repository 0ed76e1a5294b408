/* SPDX-License-Identifier: MIT */
/*
 * kvfio: the VFIO core's container and group files over kshim (see
 * kvfio.h for the contract).
 *
 * Locks, outermost first: group->lock (vfio_group.group_lock), then
 * container->group_lock (write for membership and driver changes, read
 * for calls into the driver), then drivers_lock; kv.lock (the fd table
 * and the group list) is a leaf. Files are refcounted so that an ioctl
 * racing with close() works on a file that stays valid, and the release
 * runs when the last of them is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vfio.h>

#include "kshim.h"
#include "kvfio.h"

#define KVFIO_FD_FIRST 3
#define KVFIO_MAX_FDS 1024
#define KVFIO_MAX_DRIVERS 8

struct kvfio_container {
	atomic_int refs;
	pthread_rwlock_t group_lock;
	/* driver and iommu_data: written under both locks (group_lock
	 * first); driver ioctls hold only data_lock's read side, so that,
	 * as in 6.1 where they take no core lock at all, they run
	 * concurrently with group attach and detach, while the release of
	 * the driver data still waits for them */
	pthread_rwlock_t data_lock;
	struct list_head groups; /* kvfio_group.container_next, newest first */
	const struct kvfio_iommu_driver_ops *driver;
	void *iommu_data;
};

struct kvfio_group {
	struct iommu_group *iommu_group;
	pthread_mutex_t lock;            /* group_lock */
	struct kvfio_container *container;
	bool opened;                     /* kv.lock */
	struct list_head container_next;
	struct list_head node;           /* kv.groups */
};

enum kvfio_file_type { KF_CONTAINER, KF_GROUP };

struct kvfio_file {
	atomic_int refs;
	enum kvfio_file_type type;
	void *priv;
};

static struct {
	pthread_mutex_t lock;
	struct kshim *k;
	struct kvfio_file *fds[KVFIO_MAX_FDS];
	struct list_head groups;
	pthread_mutex_t drivers_lock;
	const struct kvfio_iommu_driver_ops *drivers[KVFIO_MAX_DRIVERS];
	unsigned nr_drivers;
} kv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.groups = LIST_HEAD_INIT(kv.groups),
	.drivers_lock = PTHREAD_MUTEX_INITIALIZER,
};

static int fail(long err)
{
	errno = (int)-err;
	return -1;
}

/* --- containers --- */

static struct kvfio_container *container_new(void)
{
	struct kvfio_container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	pthread_rwlock_init(&c->group_lock, NULL);
	pthread_rwlock_init(&c->data_lock, NULL);
	INIT_LIST_HEAD(&c->groups);
	return c;
}

static void container_get(struct kvfio_container *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void container_put(struct kvfio_container *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	WARN_ON(c->driver || !list_empty(&c->groups));
	pthread_rwlock_destroy(&c->group_lock);
	pthread_rwlock_destroy(&c->data_lock);
	free(c);
}

/* The group joins the container (group->lock held). */
static int container_attach_group(struct kvfio_container *c,
				  struct kvfio_group *g)
{
	int ret = 0;

	pthread_rwlock_wrlock(&c->group_lock);
	if (c->driver) {
		ret = c->driver->attach_group(c->iommu_data, g->iommu_group);
		if (ret)
			goto out;
	}
	g->container = c;
	list_add(&g->container_next, &c->groups);
	container_get(c);
out:
	pthread_rwlock_unlock(&c->group_lock);
	return ret;
}

/* The group leaves its container (group->lock held); the last group
 * takes the IOMMU driver with it. */
static void group_detach_container(struct kvfio_group *g)
{
	struct kvfio_container *c = g->container;
	const struct kvfio_iommu_driver_ops *d;

	pthread_rwlock_wrlock(&c->group_lock);
	d = c->driver;
	if (d)
		d->detach_group(c->iommu_data, g->iommu_group);
	g->container = NULL;
	list_del(&g->container_next);
	if (d && list_empty(&c->groups)) {
		pthread_rwlock_wrlock(&c->data_lock);
		d->release(c->iommu_data);
		c->driver = NULL;
		c->iommu_data = NULL;
		pthread_rwlock_unlock(&c->data_lock);
	}
	pthread_rwlock_unlock(&c->group_lock);
	container_put(c);
}

/* Attach every group of the container to a driver's new data; on
 * failure the groups attached so far are detached again. */
static int container_attach_groups(struct kvfio_container *c,
				   const struct kvfio_iommu_driver_ops *d,
				   void *data)
{
	struct kvfio_group *g;
	int ret;

	list_for_each_entry(g, &c->groups, container_next) {
		ret = d->attach_group(data, g->iommu_group);
		if (ret) {
			list_for_each_entry_continue_reverse(g, &c->groups,
							     container_next)
				d->detach_group(data, g->iommu_group);
			return ret;
		}
	}
	return 0;
}

static long container_check_extension(struct kvfio_container *c,
				      unsigned long arg)
{
	long ret = 0;

	pthread_rwlock_rdlock(&c->group_lock);
	if (c->driver) {
		ret = c->driver->ioctl(c->iommu_data, VFIO_CHECK_EXTENSION,
				       arg);
	} else {
		/* No driver yet: any driver that could be set. */
		pthread_mutex_lock(&kv.drivers_lock);
		for (unsigned i = 0; i < kv.nr_drivers; i++) {
			ret = kv.drivers[i]->ioctl(NULL, VFIO_CHECK_EXTENSION,
						   arg);
			if (ret > 0)
				break;
		}
		pthread_mutex_unlock(&kv.drivers_lock);
	}
	pthread_rwlock_unlock(&c->group_lock);
	return ret;
}

static long container_set_iommu(struct kvfio_container *c,
				unsigned long arg)
{
	const struct kvfio_iommu_driver_ops *d;
	long ret = -ENODEV;
	void *data;

	pthread_rwlock_wrlock(&c->group_lock);
	/* A container gains an IOMMU only through a group, and only once. */
	if (list_empty(&c->groups) || c->driver) {
		pthread_rwlock_unlock(&c->group_lock);
		return -EINVAL;
	}
	pthread_mutex_lock(&kv.drivers_lock);
	for (unsigned i = 0; i < kv.nr_drivers; i++) {
		d = kv.drivers[i];
		/* SET_IOMMU's argument is the extension the driver names */
		if (d->ioctl(NULL, VFIO_CHECK_EXTENSION, arg) <= 0)
			continue;
		data = d->open(arg);
		if (IS_ERR(data)) {
			ret = PTR_ERR(data);
			continue;
		}
		ret = container_attach_groups(c, d, data);
		if (ret) {
			d->release(data);
			continue;
		}
		pthread_rwlock_wrlock(&c->data_lock);
		c->driver = d;
		c->iommu_data = data;
		pthread_rwlock_unlock(&c->data_lock);
		break;
	}
	pthread_mutex_unlock(&kv.drivers_lock);
	pthread_rwlock_unlock(&c->group_lock);
	return ret;
}

static long container_ioctl(struct kvfio_container *c, unsigned int cmd,
			    unsigned long arg)
{
	long ret = -EINVAL;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return container_check_extension(c, arg);
	case VFIO_SET_IOMMU:
		return container_set_iommu(c, arg);
	default:
		/* Everything else is the driver's, concurrently with group
		 * attach and detach; the release waits (data_lock). */
		pthread_rwlock_rdlock(&c->data_lock);
		if (c->driver)
			ret = c->driver->ioctl(c->iommu_data, cmd, arg);
		pthread_rwlock_unlock(&c->data_lock);
		return ret;
	}
}

/* --- files --- */

static struct kvfio_file *fget(int fd)
{
	struct kvfio_file *f = NULL;

	pthread_mutex_lock(&kv.lock);
	if (fd >= 0 && fd < KVFIO_MAX_FDS) {
		f = kv.fds[fd];
		if (f)
			atomic_fetch_add(&f->refs, 1);
	}
	pthread_mutex_unlock(&kv.lock);
	return f;
}

static void group_release(struct kvfio_group *g)
{
	pthread_mutex_lock(&g->lock);
	if (g->container)
		group_detach_container(g);
	pthread_mutex_unlock(&g->lock);
	pthread_mutex_lock(&kv.lock);
	g->opened = false;
	pthread_mutex_unlock(&kv.lock);
}

static void fput(struct kvfio_file *f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	if (f->type == KF_CONTAINER)
		container_put(f->priv);
	else
		group_release(f->priv);
	free(f);
}

/* Install f at the lowest free descriptor. */
static int fd_install(struct kvfio_file *f)
{
	int fd = -EMFILE;

	pthread_mutex_lock(&kv.lock);
	for (int i = KVFIO_FD_FIRST; i < KVFIO_MAX_FDS; i++) {
		if (!kv.fds[i]) {
			kv.fds[i] = f;
			fd = i;
			break;
		}
	}
	pthread_mutex_unlock(&kv.lock);
	return fd;
}

/* --- groups --- */

static long group_get_status(struct kvfio_group *g, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status st;

	if (copy_from_user(&st, (void __user *)arg, minsz))
		return -EFAULT;
	if (st.argsz < minsz)
		return -EINVAL;
	st.flags = VFIO_GROUP_FLAGS_VIABLE; /* nothing else owns our groups */
	pthread_mutex_lock(&g->lock);
	if (g->container)
		st.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	pthread_mutex_unlock(&g->lock);
	if (copy_to_user((void __user *)arg, &st, minsz))
		return -EFAULT;
	return 0;
}

static long group_set_container(struct kvfio_group *g, unsigned long arg)
{
	struct kvfio_file *cf;
	long ret = -EINVAL;
	int32_t fd;

	if (copy_from_user(&fd, (void __user *)arg, sizeof(fd)))
		return -EFAULT;
	cf = fget(fd);
	if (!cf)
		return -EBADF;
	pthread_mutex_lock(&g->lock);
	if (!g->container && cf->type == KF_CONTAINER)
		ret = container_attach_group(cf->priv, g);
	pthread_mutex_unlock(&g->lock);
	fput(cf);
	return ret;
}

static long group_unset_container(struct kvfio_group *g)
{
	long ret = -EINVAL;

	pthread_mutex_lock(&g->lock);
	if (g->container) {
		group_detach_container(g);
		ret = 0;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static long group_ioctl(struct kvfio_group *g, unsigned int cmd,
			unsigned long arg)
{
	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return group_get_status(g, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return group_set_container(g, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return group_unset_container(g);
	default:
		return -ENOTTY;
	}
}

/* The group file state of iommu group `id`, marked open; or -errno. */
static struct kvfio_group *group_open(int id, long *err)
{
	struct iommu_group *ig;
	struct kvfio_group *g;

	pthread_mutex_lock(&kv.lock);
	ig = kv.k ? kshim_find_group(kv.k, id) : NULL;
	if (!ig) {
		*err = -ENOENT;
		g = NULL;
		goto out;
	}
	list_for_each_entry(g, &kv.groups, node)
		if (g->iommu_group == ig)
			goto found;
	g = calloc(1, sizeof(*g));
	if (!g) {
		*err = -ENOMEM;
		goto out;
	}
	g->iommu_group = ig;
	pthread_mutex_init(&g->lock, NULL);
	list_add_tail(&g->node, &kv.groups);
found:
	if (g->opened) {
		*err = -EBUSY;
		g = NULL;
	} else {
		g->opened = true;
	}
out:
	pthread_mutex_unlock(&kv.lock);
	return g;
}

/* "/dev/vfio/<decimal>" -> the number, or -1. */
static int group_path_id(const char *path)
{
	static const char prefix[] = "/dev/vfio/";
	const char *s;
	long id = 0;

	if (strncmp(path, prefix, sizeof(prefix) - 1))
		return -1;
	s = path + sizeof(prefix) - 1;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		id = id * 10 + (*s - '0');
		if (id > INT_MAX)
			return -1;
	}
	return (int)id;
}

/* --- the system calls --- */

int kvfio_open(const char *path, int flags)
{
	struct kvfio_file *f;
	long err = 0;
	int fd, id;

	(void)flags;
	if (!path)
		return fail(-EFAULT);
	f = calloc(1, sizeof(*f));
	if (!f)
		return fail(-ENOMEM);
	atomic_init(&f->refs, 1);
	if (!strcmp(path, "/dev/vfio/vfio")) {
		f->type = KF_CONTAINER;
		f->priv = container_new();
		if (!f->priv)
			err = -ENOMEM;
	} else if ((id = group_path_id(path)) >= 0) {
		f->type = KF_GROUP;
		f->priv = group_open(id, &err);
	} else {
		err = -ENOENT;
	}
	if (err) {
		free(f);
		return fail(err);
	}
	fd = fd_install(f);
	if (fd < 0) {
		fput(f);
		return fail(fd);
	}
	return fd;
}

int kvfio_ioctl(int fd, unsigned long request, unsigned long arg)
{
	struct kvfio_file *f = fget(fd);
	unsigned int cmd = (unsigned int)request;
	long ret;

	if (!f)
		return fail(-EBADF);
	if (f->type == KF_CONTAINER)
		ret = container_ioctl(f->priv, cmd, arg);
	else
		ret = group_ioctl(f->priv, cmd, arg);
	fput(f);
	if (ret < 0)
		return fail(ret);
	return ret > INT_MAX ? INT_MAX : (int)ret;
}

int kvfio_close(int fd)
{
	struct kvfio_file *f = NULL;

	pthread_mutex_lock(&kv.lock);
	if (fd >= 0 && fd < KVFIO_MAX_FDS) {
		f = kv.fds[fd];
		kv.fds[fd] = NULL;
	}
	pthread_mutex_unlock(&kv.lock);
	if (!f)
		return fail(-EBADF);
	fput(f);
	return 0;
}

void *kvfio_iommu_data(int fd)
{
	struct kvfio_file *f = fget(fd);
	struct kvfio_container *c;
	void *data = NULL;

	if (!f)
		return NULL;
	if (f->type == KF_CONTAINER) {
		c = f->priv;
		pthread_rwlock_rdlock(&c->group_lock);
		data = c->driver ? c->iommu_data : NULL;
		pthread_rwlock_unlock(&c->group_lock);
	}
	fput(f);
	return data;
}

/* --- setup --- */

void kvfio_init_drivers(struct kshim *k,
			const struct kvfio_iommu_driver_ops *const *drivers,
			unsigned n)
{
	kvfio_reset();
	pthread_mutex_lock(&kv.lock);
	kv.k = k;
	pthread_mutex_unlock(&kv.lock);
	pthread_mutex_lock(&kv.drivers_lock);
	if (n > KVFIO_MAX_DRIVERS)
		n = KVFIO_MAX_DRIVERS;
	for (unsigned i = 0; i < n; i++)
		kv.drivers[i] = drivers[i];
	kv.nr_drivers = n;
	pthread_mutex_unlock(&kv.drivers_lock);
}

void kvfio_init(struct kshim *k)
{
	static const struct kvfio_iommu_driver_ops *const type1[] = {
		&kvfio_type1_ops,
	};

	kvfio_init_drivers(k, type1, 1);
}

void kvfio_reset(void)
{
	struct kvfio_group *g, *tmp;
	LIST_HEAD(gone);

	for (int fd = 0; fd < KVFIO_MAX_FDS; fd++) {
		pthread_mutex_lock(&kv.lock);
		if (!kv.fds[fd]) {
			pthread_mutex_unlock(&kv.lock);
			continue;
		}
		pthread_mutex_unlock(&kv.lock);
		kvfio_close(fd);
	}
	/* Group states of files nobody holds any more. */
	pthread_mutex_lock(&kv.lock);
	list_for_each_entry_safe(g, tmp, &kv.groups, node) {
		if (g->opened)
			continue;
		list_del(&g->node);
		list_add_tail(&g->node, &gone);
	}
	pthread_mutex_unlock(&kv.lock);
	list_for_each_entry_safe(g, tmp, &gone, node) {
		pthread_mutex_destroy(&g->lock);
		free(g);
	}
}
