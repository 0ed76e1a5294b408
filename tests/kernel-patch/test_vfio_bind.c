/* SPDX-License-Identifier: MIT */
/*
 * The VFIO bind patch, driven as a userspace program drives it: open the
 * container and group files, VFIO_SET_IOMMU, VFIO_IOMMU_BIND and
 * VFIO_IOMMU_UNBIND through the uapi header as the patch defines it
 * (vfio_bind_uapi.h, extracted from the patch at build time), with the
 * kernel side being the patch's own code (type1_shim.c) over the model.
 * Devices then DMA with the returned PASID through the SMMU model.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "host/smmu_drv.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pasid/sva_linux.h"
#include "kshim.h"
#include "kvfio.h"
#include "type1_shim.h"
#include "vfio_bind_uapi.h"

#define PAGE UINT64_C(0x1000)
enum { EVID_C_BAD_CD = 0x0A };

struct fx {
	struct kshim *k;
	struct kshim_counts base;
	struct smmu_txn_result last;
	unsigned done;
};

static struct fx *F;

static int setup(void **state)
{
	struct kshim_config cfg = { .preset = "full", .pasid_bits = 20 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->k = kshim_create(&cfg);
	assert_non_null(f->k);
	kvfio_init(f->k);
	kshim_counts(&f->base);
	F = f;
	*state = f;
	return 0;
}

/* Everything the patch allocated or referenced is gone. */
static void assert_no_leak(struct fx *f)
{
	struct kshim_counts c;

	kshim_flush_work();
	kshim_counts(&c);
	assert_int_equal(c.allocs, f->base.allocs);
	assert_int_equal(c.notifiers, 0);
	assert_int_equal(c.pending_frees, 0);
	assert_int_equal(c.pending_work, 0);
	assert_int_equal(c.sva_handles, 0);
	assert_int_equal(c.device_refs, f->base.device_refs);
	assert_int_equal(c.warnings, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	kvfio_reset();
	assert_no_leak(f);
	kshim_set_current(NULL);
	kshim_destroy(f->k);
	free(f);
	return 0;
}

/* --- the program's side --- */

static int xioctl(int fd, unsigned long req, unsigned long arg)
{
	return kvfio_ioctl(fd, req, arg) < 0 ? errno : 0;
}

static int open_container(void)
{
	int fd = kvfio_open("/dev/vfio/vfio", O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(kvfio_ioctl(fd, VFIO_GET_API_VERSION, 0),
			 VFIO_API_VERSION);
	assert_int_equal(kvfio_ioctl(fd, VFIO_CHECK_EXTENSION,
				     VFIO_TYPE1v2_IOMMU), 1);
	return fd;
}

/* Open group `id` and put it in the container; 0 or errno. */
static int add_group(int container, int id, int *gfd)
{
	char path[32];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	fd = kvfio_open(path, O_RDWR);
	assert_true(fd >= 0);
	ret = xioctl(fd, VFIO_GROUP_SET_CONTAINER, (unsigned long)&container);
	*gfd = fd;
	return ret;
}

static void set_iommu(int container)
{
	assert_int_equal(xioctl(container, VFIO_SET_IOMMU,
				VFIO_TYPE1v2_IOMMU), 0);
}

static int do_bind(int container, unsigned long req, uint32_t flags,
		   int32_t pid, uint32_t *pasid)
{
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = flags, .pid = pid,
		.pasid = 0xdeadbeef,
	};
	int ret = xioctl(container, req, (unsigned long)&b);

	if (pasid)
		*pasid = b.pasid;
	return ret;
}

static int bind_self(int c, uint32_t *pasid)
{
	return do_bind(c, VFIO_IOMMU_BIND, 0, 0, pasid);
}

static int bind_pid(int c, int pid, uint32_t *pasid)
{
	return do_bind(c, VFIO_IOMMU_BIND, VFIO_IOMMU_BIND_PID, pid, pasid);
}

static int unbind_self(int c)
{
	return do_bind(c, VFIO_IOMMU_UNBIND, 0, 0, NULL);
}

static int unbind_pid(int c, int pid)
{
	return do_bind(c, VFIO_IOMMU_UNBIND, VFIO_IOMMU_BIND_PID, pid, NULL);
}

/* VFIO_IOMMU_UNBIND naming the bond by its PASID; @pasid must not be
 * written back. */
static int unbind_pasid(int c, uint32_t pasid)
{
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = VFIO_IOMMU_BIND_PASID,
		.pasid = pasid,
	};
	int ret = xioctl(c, VFIO_IOMMU_UNBIND, (unsigned long)&b);

	assert_int_equal(b.pasid, pasid);
	return ret;
}

/* The container's state (type1_shim.c's description). */
static const char *describe(int c)
{
	static char buf[512];

	kpatch_type1_describe(kvfio_iommu_data(c), buf, sizeof(buf));
	return buf;
}

static bool pasid_used(uint32_t pasid)
{
	bool used;

	kshim_model_lock();
	used = pasid_in_use(kshim_pasids(F->k), pasid);
	kshim_model_unlock();
	return used;
}

/* --- the machine's side --- */

static struct device *add_dev(uint32_t sid, unsigned bits, unsigned flags,
			      struct iommu_group *g)
{
	struct sva_dev_params p = { .sid = sid, .pasid_bits = bits,
				    .flags = flags };
	struct device *d = kshim_add_device(F->k, &p, g);

	assert_non_null(d);
	return d;
}

/* A device alone in a new group `id`. */
static struct device *dev_in_group(int id, uint32_t sid, unsigned flags)
{
	struct iommu_group *g = kshim_group_create(F->k, id);

	assert_non_null(g);
	return add_dev(sid, 20, flags, g);
}

static struct task_struct *spawn(uint32_t uid)
{
	struct task_struct *t = kshim_spawn(F->k, uid);

	assert_non_null(t);
	return t;
}

/* The program's malloc: n pages of RW memory it has written `fill` to. */
static uint64_t user_buf(struct task_struct *t, unsigned pages, int fill)
{
	uint8_t buf[PAGE];
	uint64_t va = 0;

	kshim_model_lock();
	assert_int_equal(hos_mmap(kshim_task_hproc(t), 0, pages * PAGE,
				  HPROT_READ | HPROT_WRITE,
				  HMAP_PRIVATE | HMAP_ANONYMOUS, &va), 0);
	memset(buf, fill, sizeof(buf));
	for (unsigned i = 0; i < pages; i++)
		assert_int_equal(hproc_write(kshim_task_hproc(t), va + i * PAGE,
					     buf, PAGE), 0);
	kshim_model_unlock();
	return va;
}

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct fx *f = ctx;

	(void)t;
	f->last = *r;
	f->done++;
}

/* The device writes len bytes (within a page) at va with the PASID. */
static struct smmu_txn_result dev_write(uint32_t sid, uint32_t pasid,
					uint64_t va, const void *buf,
					size_t len)
{
	struct platform *p = kshim_platform(F->k);
	struct smmu_txn t = { .sid = sid, .ssid = pasid, .ssv = true,
			      .addr = va, .len = (uint32_t)len, .write = true };
	unsigned before = F->done;

	kshim_model_lock();
	assert_true(smmu_submit(p->smmu, &t, on_done, F));
	sim_run_to_idle(p->sim, 0);
	assert_int_equal(F->done, before + 1);
	if (F->last.resp == SMMU_RESP_OK)
		assert_int_equal(pmem_write(p->mem, F->last.oa, buf, len, NULL),
				 MEM_OK);
	kshim_model_unlock();
	return F->last;
}

static void cpu_read(struct task_struct *t, uint64_t va, void *buf,
		     size_t len)
{
	kshim_model_lock();
	assert_int_equal(hproc_read(kshim_task_hproc(t), va, buf, len), 0);
	kshim_model_unlock();
}

static void cpu_write(struct task_struct *t, uint64_t va, int fill)
{
	uint8_t buf[64];

	memset(buf, fill, sizeof(buf));
	kshim_model_lock();
	assert_int_equal(hproc_write(kshim_task_hproc(t), va, buf,
				     sizeof(buf)), 0);
	kshim_model_unlock();
}

/* The device writes a pattern and the process reads it back. */
static void assert_dma_reaches(uint32_t sid, uint32_t pasid,
			       struct task_struct *t, uint64_t va)
{
	uint8_t out[64], in[64];

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(pasid * 7 + sid + i);
	assert_int_equal(dev_write(sid, pasid, va, out, sizeof(out)).resp,
			 SMMU_RESP_OK);
	cpu_read(t, va, in, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
}

static void assert_dma_faults(uint32_t sid, uint32_t pasid, uint64_t va)
{
	uint8_t out[8] = { 0xEE };
	struct smmu_txn_result r = dev_write(sid, pasid, va, out, sizeof(out));

	assert_int_equal(r.resp, SMMU_RESP_ABORT);
}

static unsigned features(struct device *d)
{
	return sva_dev_features(kshim_device_sva(d));
}

static unsigned nr_bonds(struct device *d)
{
	return sva_dev_nr_bonds(kshim_device_sva(d));
}

static void log_now(char *buf, size_t len)
{
	kshim_log_get(buf, len);
	kshim_log_reset();
}

/* The teardown a setup log calls for: the same calls, last first, each
 * undone ("x+" -> "x-", "bind" -> "unbind"). */
static void reverse_of(const char *setup, char *out, size_t len)
{
	char copy[1024], *items[64], *save = NULL;
	unsigned n = 0;
	size_t used = 0;

	snprintf(copy, sizeof(copy), "%s", setup);
	for (char *t = strtok_r(copy, " ", &save); t && n < 64;
	     t = strtok_r(NULL, " ", &save))
		items[n++] = t;
	out[0] = '\0';
	while (n--) {
		char item[64], *plus;

		if (strncmp(items[n], "bind:", 5) == 0) {
			snprintf(item, sizeof(item), "un%s", items[n]);
		} else {
			snprintf(item, sizeof(item), "%s", items[n]);
			plus = strchr(item, '+');
			if (plus)
				*plus = '-';
		}
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 used ? " " : "", item);
	}
}

/* --- tests --- */

/* Deliver 4: a program binds itself and a foreign process, programs the
 * device with each PASID, DMAs into its malloc'd buffers, unbinds. */
static void test_client_end_to_end(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct device *d = dev_in_group(1, 0x10, SVA_DEV_PRI);
	uint32_t mine = 0, theirs = 0;
	uint64_t va_me, va_other;
	int c, g;

	(void)state;
	kshim_set_current(me);
	c = open_container();
	assert_int_equal(add_group(c, 1, &g), 0);
	set_iommu(c);
	assert_int_equal(features(d), 0); /* SVA only while bound */

	va_me = user_buf(me, 4, 0x11);
	va_other = user_buf(other, 2, 0x22);

	assert_int_equal(bind_self(c, &mine), 0);
	assert_int_equal(mine, 1); /* the lowest free PASID */
	assert_int_equal(features(d), SVA_FEAT_SVA | SVA_FEAT_IOPF);
	assert_int_equal(bind_pid(c, kshim_task_pid(other), &theirs), 0);
	assert_int_equal(theirs, 2);
	assert_int_equal(nr_bonds(d), 2);

	assert_dma_reaches(0x10, mine, me, va_me + 3 * PAGE + 128);
	assert_dma_reaches(0x10, theirs, other, va_other + 8);

	assert_int_equal(unbind_pid(c, kshim_task_pid(other)), 0);
	assert_int_equal(nr_bonds(d), 1);
	assert_dma_faults(0x10, theirs, va_other);
	assert_dma_reaches(0x10, mine, me, va_me);
	assert_int_equal(unbind_self(c), 0);
	assert_int_equal(nr_bonds(d), 0);
	assert_int_equal(features(d), 0);
	assert_dma_faults(0x10, mine, va_me);
	assert_int_equal(F->last.event_id, EVID_C_BAD_CD);

	assert_int_equal(kvfio_close(g), 0);
	assert_int_equal(kvfio_close(c), 0);
	put_task_struct(me);
	put_task_struct(other);
}

/* A container with group 1 (device 0x10, PRI) and the IOMMU set. */
struct box {
	int c, g;
	struct device *d;
};

static void box_open(struct box *b)
{
	b->d = dev_in_group(1, 0x10, SVA_DEV_PRI);
	b->c = open_container();
	assert_int_equal(add_group(b->c, 1, &b->g), 0);
	set_iommu(b->c);
}

static void box_close(struct box *b)
{
	assert_int_equal(kvfio_close(b->g), 0);
	assert_int_equal(kvfio_close(b->c), 0);
}

/* 5: binding the same process twice gives the same PASID, one bond. */
static void test_bind_twice_same_pasid(void **state)
{
	struct task_struct *me = spawn(1000);
	uint32_t p1 = 0, p2 = 0, p3 = 0;
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, &p1), 0);
	assert_int_equal(bind_self(b.c, &p2), 0);
	/* by PID, the same address space */
	assert_int_equal(bind_pid(b.c, kshim_task_pid(me), &p3), 0);
	assert_int_equal(p1, 1);
	assert_int_equal(p2, p1);
	assert_int_equal(p3, p1);
	assert_int_equal(nr_bonds(b.d), 1);
	{
		struct kshim_counts c;

		kshim_counts(&c); /* one iommu_sva handle, not three */
		assert_int_equal(c.sva_handles, 1);
	}
	assert_int_equal(unbind_self(b.c), 0);
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(unbind_self(b.c), ESRCH);
	box_close(&b);
	put_task_struct(me);
}

/* 5: a foreign process needs ptrace rights: other uid refused, root and
 * the same uid allowed. */
static void test_foreign_needs_ptrace(void **state)
{
	struct task_struct *me = spawn(1000), *stranger = spawn(2000);
	struct task_struct *root = spawn(0);
	uint32_t pasid = 77;
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(stranger), &pasid),
			 EPERM);
	assert_int_equal(pasid, 0xdeadbeef); /* not written */
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(features(b.d), 0);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(stranger)), EPERM);

	kshim_set_current(root);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(stranger), &pasid), 0);
	assert_int_equal(pasid, 1);
	kshim_set_current(me);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(stranger)), EPERM);
	kshim_set_current(root);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(stranger)), 0);
	kshim_set_current(me);
	box_close(&b);
	put_task_struct(me);
	put_task_struct(stranger);
	put_task_struct(root);
}

/* 5: argsz rules. */
static void test_argsz(void **state)
{
	struct task_struct *me = spawn(1000);
	struct {
		struct vfio_iommu_type1_bind b;
		uint8_t extra[48];
	} big;
	struct vfio_iommu_type1_bind b;
	struct box bx;

	(void)state;
	kshim_set_current(me);
	box_open(&bx);
	for (uint32_t sz = 0; sz < 16; sz++) {
		memset(&b, 0, sizeof(b));
		b.argsz = sz;
		assert_int_equal(xioctl(bx.c, VFIO_IOMMU_BIND, (unsigned long)&b),
				 EINVAL);
		assert_int_equal(xioctl(bx.c, VFIO_IOMMU_UNBIND,
					(unsigned long)&b), EINVAL);
	}
	assert_int_equal(nr_bonds(bx.d), 0);
	assert_int_equal(offsetofend(struct vfio_iommu_type1_bind, pid), 16);

	memset(&big, 0xA5, sizeof(big));
	big.b.argsz = sizeof(big);
	big.b.flags = 0;
	big.b.pid = 0;
	assert_int_equal(xioctl(bx.c, VFIO_IOMMU_BIND, (unsigned long)&big), 0);
	assert_int_equal(big.b.pasid, 1);
	for (unsigned i = 0; i < sizeof(big.extra); i++)
		assert_int_equal(big.extra[i], 0xA5); /* beyond pid: untouched */

	/* an unreadable argument */
	assert_int_equal(xioctl(bx.c, VFIO_IOMMU_BIND, 0), EFAULT);
	assert_int_equal(xioctl(bx.c, VFIO_IOMMU_UNBIND, 8), EFAULT);
	assert_int_equal(unbind_self(bx.c), 0);
	box_close(&bx);
	put_task_struct(me);
}

/* 5: unknown flags, and pid rules. */
static void test_flags(void **state)
{
	struct task_struct *me = spawn(1000);
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	for (unsigned bit = 1; bit < 32; bit++) {
		assert_int_equal(do_bind(b.c, VFIO_IOMMU_BIND, 1u << bit, 0,
					 NULL), EINVAL);
		assert_int_equal(do_bind(b.c, VFIO_IOMMU_UNBIND,
					 VFIO_IOMMU_BIND_PID | 1u << bit,
					 kshim_task_pid(me), NULL), EINVAL);
	}
	/* pid without the flag, and non-positive pids with it */
	assert_int_equal(do_bind(b.c, VFIO_IOMMU_BIND, 0,
				 kshim_task_pid(me), NULL), EINVAL);
	assert_int_equal(bind_pid(b.c, 0, NULL), EINVAL);
	assert_int_equal(bind_pid(b.c, -1, NULL), EINVAL);
	/* a PID nobody has */
	assert_int_equal(bind_pid(b.c, 30000, NULL), ESRCH);
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(features(b.d), 0);
	box_close(&b);
	put_task_struct(me);
}

/* 5: no SVA-capable device. A device that can take no I/O page fault
 * (neither PRI nor stall) fails IOMMU_DEV_FEAT_IOPF: -EINVAL. A type1
 * container with no IOMMU-backed group: -ENODEV. */
static void test_no_sva_device(void **state)
{
	struct task_struct *me = spawn(1000);
	struct device *d = dev_in_group(5, 0x50, 0);
	void *iommu;
	struct vfio_iommu_type1_bind arg = { .argsz = sizeof(arg) };
	int c, g;

	(void)state;
	kshim_set_current(me);
	c = open_container();
	assert_int_equal(add_group(c, 5, &g), 0);
	set_iommu(c);
	assert_int_equal(bind_self(c, NULL), EINVAL);
	assert_int_equal(features(d), 0);
	assert_int_equal(kvfio_close(g), 0);
	assert_int_equal(kvfio_close(c), 0);

	/* the driver alone, as the core would hold it with only emulated
	 * (mdev) groups */
	iommu = kvfio_type1_ops.open(VFIO_TYPE1v2_IOMMU);
	assert_false(IS_ERR(iommu));
	assert_int_equal(kvfio_type1_ops.ioctl(iommu, VFIO_IOMMU_BIND,
					       (unsigned long)&arg), -ENODEV);
	assert_int_equal(kvfio_type1_ops.ioctl(iommu, VFIO_IOMMU_UNBIND,
					       (unsigned long)&arg), -ESRCH);
	kvfio_type1_ops.release(iommu);
	put_task_struct(me);
}

/* 5: a group attached to a container with bonds gets them at once. */
static void test_attach_replays_bonds(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct device *d2 = dev_in_group(2, 0x11, SVA_DEV_STALL);
	uint32_t pm = 0, po = 0;
	uint64_t va_me = user_buf(me, 1, 1), va_o = user_buf(other, 1, 2);
	struct box b;
	int g2;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, &pm), 0);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(other), &po), 0);
	assert_int_equal(features(d2), 0);

	assert_int_equal(add_group(b.c, 2, &g2), 0);
	assert_int_equal(features(d2), SVA_FEAT_SVA | SVA_FEAT_IOPF);
	assert_int_equal(nr_bonds(d2), 2);
	assert_dma_reaches(0x11, pm, me, va_me);
	assert_dma_reaches(0x11, po, other, va_o);

	/* unbinding reaches the new group too */
	assert_int_equal(unbind_self(b.c), 0);
	assert_int_equal(nr_bonds(d2), 1);
	assert_dma_faults(0x11, pm, va_me);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(other)), 0);
	assert_int_equal(features(d2), 0);
	assert_int_equal(features(b.d), 0);
	assert_int_equal(kvfio_close(g2), 0);
	box_close(&b);
	put_task_struct(me);
	put_task_struct(other);
}

/* 5: replay failures roll the attach back: a device that cannot take
 * faults, and one too narrow for the PASID in use. */
static void test_attach_rollback(void **state)
{
	struct task_struct *me = spawn(1000);
	struct iommu_group *g4 = kshim_group_create(F->k, 4);
	struct device *d3 = dev_in_group(3, 0x12, 0);
	struct device *d4;
	uint32_t pm = 0, filler = 0;
	struct task_struct *t[4];
	struct box b;
	int g, status;

	(void)state;
	assert_non_null(g4);
	d4 = add_dev(0x13, 1, SVA_DEV_PRI, g4); /* PASIDs 1 only */
	kshim_set_current(me);
	box_open(&b);
	/* make this container's PASID 2: another process holds PASID 1 */
	t[0] = spawn(1000);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(t[0]), &filler), 0);
	assert_int_equal(filler, 1);
	assert_int_equal(bind_self(b.c, &pm), 0);
	assert_int_equal(pm, 2);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(t[0])), 0);

	assert_int_equal(add_group(b.c, 3, &g), EINVAL);
	assert_int_equal(features(d3), 0);
	status = xioctl(g, VFIO_GROUP_GET_STATUS, 0);
	assert_int_equal(status, EFAULT);
	{
		struct vfio_group_status st = { .argsz = sizeof(st) };

		assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS,
					(unsigned long)&st), 0);
		assert_int_equal(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET, 0);
	}
	assert_int_equal(kvfio_close(g), 0);

	assert_int_equal(add_group(b.c, 4, &g), EOVERFLOW);
	assert_int_equal(features(d4), 0);
	assert_int_equal(nr_bonds(d4), 0);
	assert_int_equal(kvfio_close(g), 0);

	/* the container's own bonds are intact */
	assert_int_equal(nr_bonds(b.d), 1);
	assert_int_equal(bind_self(b.c, &filler), 0);
	assert_int_equal(filler, pm);
	assert_int_equal(unbind_self(b.c), 0);
	box_close(&b);
	put_task_struct(t[0]);
	put_task_struct(me);
}

/* 5: detaching a group unbinds it and disables its SVA, and only its. */
static void test_detach_unbinds(void **state)
{
	struct task_struct *me = spawn(1000);
	struct device *d2 = dev_in_group(2, 0x11, SVA_DEV_PRI);
	uint64_t va = user_buf(me, 1, 3);
	uint32_t pm = 0;
	struct box b;
	int g2;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(add_group(b.c, 2, &g2), 0);
	assert_int_equal(bind_self(b.c, &pm), 0);
	assert_int_equal(nr_bonds(d2), 1);

	assert_int_equal(xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_int_equal(nr_bonds(d2), 0);
	assert_int_equal(features(d2), 0);
	assert_dma_faults(0x11, pm, va);
	assert_dma_reaches(0x10, pm, me, va);
	assert_int_equal(features(b.d), SVA_FEAT_SVA | SVA_FEAT_IOPF);

	/* and back: the bond is replayed */
	assert_int_equal(xioctl(g2, VFIO_GROUP_SET_CONTAINER,
				(unsigned long)&b.c), 0);
	assert_dma_reaches(0x11, pm, me, va);
	assert_int_equal(kvfio_close(g2), 0);
	assert_int_equal(nr_bonds(d2), 0);
	assert_int_equal(unbind_self(b.c), 0);
	box_close(&b);
	put_task_struct(me);
}

/* 5: container release with bonds still live frees everything and
 * leaves no bond in the SVA layer. */
static void test_release_with_bonds(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct device *d2 = dev_in_group(2, 0x11, SVA_DEV_PRI);
	struct kshim_counts c;
	struct box b;
	int g2;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(add_group(b.c, 2, &g2), 0);
	assert_int_equal(bind_self(b.c, NULL), 0);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(other), NULL), 0);
	kshim_counts(&c);
	assert_int_equal(c.notifiers, 2);
	assert_int_equal(c.sva_handles, 4);

	/* the container fd first: the groups keep it alive */
	assert_int_equal(kvfio_close(b.c), 0);
	assert_int_equal(nr_bonds(b.d), 2);
	assert_int_equal(kvfio_close(g2), 0);
	assert_int_equal(nr_bonds(d2), 0);
	assert_int_equal(kvfio_close(b.g), 0); /* the last group: release */
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(features(b.d), 0);
	assert_int_equal(features(d2), 0);
	assert_no_leak(F);
	/* both processes still have their PASIDs (6.1: for the mm's life) */
	assert_int_equal(pasid_count(kshim_pasids(F->k)), 2);
	kshim_exit(me);
	kshim_exit(other);
	kshim_flush_work();
	assert_int_equal(pasid_count(kshim_pasids(F->k)), 0);
	put_task_struct(me);
	put_task_struct(other);
}

/* 5, review point 6: exit while bound. The exit notification (found
 * through the bond's notifier) unbinds the devices, so DMA after exit
 * cannot reach the freed or reused pages; the bond stays, defunct, with
 * its PASID; unbinding the dead PID is -ESRCH; unbinding the PASID
 * frees it; nothing leaks. */
static void test_exit_while_bound(void **state)
{
	struct task_struct *me = spawn(1000), *victim = spawn(1000), *next;
	uint64_t va = user_buf(victim, 2, 0x5A), va2;
	uint32_t pv = 0, pm = 0;
	uint8_t page[PAGE], zero[PAGE];
	int pid, tries = 0;
	struct box b;

	(void)state;
	kshim_set_current(me);
	assert_true(hos_set_pid_max(kshim_os(F->k), 16));
	box_open(&b);
	assert_int_equal(bind_self(b.c, &pm), 0);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(victim), &pv), 0);
	assert_dma_reaches(0x10, pv, victim, va);

	pid = kshim_task_pid(victim);
	kshim_exit(victim);
	/* release() ran at the last mmput: the bond is gone from the
	 * device, the other bond untouched; the container keeps it,
	 * defunct, and with it the PASID */
	assert_int_equal(nr_bonds(b.d), 1);
	assert_dma_faults(0x10, pv, va);
	assert_int_equal(F->last.event_id, EVID_C_BAD_CD);
	kshim_flush_work();
	assert_true(pasid_used(pv));
	assert_string_equal(describe(b.c),
			    "domain: g1; sva g1: 0x10; bond mm1 pasid 1: 0x10; "
			    "defunct mm2 pasid 2;");

	assert_int_equal(unbind_pid(b.c, pid), ESRCH); /* zombie */
	assert_int_equal(kshim_reap(victim), 0);
	put_task_struct(victim);
	assert_int_equal(unbind_pid(b.c, pid), ESRCH); /* no such pid */

	/* a new process takes the PID and, likely, the freed pages */
	do {
		next = spawn(1000);
		if (kshim_task_pid(next) == pid)
			break;
		kshim_exit(next);
		kshim_flush_work();
		assert_int_equal(kshim_reap(next), 0);
		put_task_struct(next);
		next = NULL;
	} while (++tries < 32);
	assert_non_null(next);
	va2 = user_buf(next, 2, 0);
	assert_int_equal(unbind_pid(b.c, pid), ESRCH); /* not bound */
	assert_dma_faults(0x10, pv, va2);
	assert_dma_faults(0x10, pv, va);
	memset(zero, 0, sizeof(zero));
	cpu_read(next, va2, page, sizeof(page));
	assert_memory_equal(page, zero, sizeof(page));

	/* only the PASID names the defunct bond */
	assert_int_equal(unbind_pasid(b.c, pv), 0);
	assert_false(pasid_used(pv));
	assert_int_equal(unbind_pasid(b.c, pv), ESRCH);
	assert_int_equal(unbind_self(b.c), 0);
	box_close(&b);
	kshim_exit(next);
	kshim_flush_work();
	assert_int_equal(kshim_reap(next), 0);
	put_task_struct(next);
	put_task_struct(me);
}

/* Container release with its groups still attached (the core does this
 * when VFIO_SET_IOMMU fails part-way): every bond, last first, then SVA,
 * last group first. */
static void test_release_order_with_groups(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct iommu_group *g1 = kshim_group_create(F->k, 1);
	struct iommu_group *g2 = kshim_group_create(F->k, 2);
	struct vfio_iommu_type1_bind arg = { .argsz = sizeof(arg) };
	char log[1024];
	void *iommu;

	(void)state;
	add_dev(0x10, 20, SVA_DEV_PRI, g1);
	add_dev(0x11, 20, SVA_DEV_PRI, g2);
	kshim_set_current(me);
	iommu = kvfio_type1_ops.open(VFIO_TYPE1v2_IOMMU);
	assert_false(IS_ERR(iommu));
	assert_int_equal(kvfio_type1_ops.attach_group(iommu, g1), 0);
	assert_int_equal(kvfio_type1_ops.attach_group(iommu, g2), 0);
	assert_int_equal(kvfio_type1_ops.ioctl(iommu, VFIO_IOMMU_BIND,
					       (unsigned long)&arg), 0);
	arg.flags = VFIO_IOMMU_BIND_PID;
	arg.pid = kshim_task_pid(other);
	assert_int_equal(kvfio_type1_ops.ioctl(iommu, VFIO_IOMMU_BIND,
					       (unsigned long)&arg), 0);
	kshim_log_reset();
	kvfio_type1_ops.release(iommu);
	log_now(log, sizeof(log));
	assert_string_equal(log, "unbind:10 unbind:11 mn- unbind:10 unbind:11 "
				 "mn- sva-:10 iopf-:10 sva-:11 iopf-:11");
	put_task_struct(me);
	put_task_struct(other);
}

/* A container whose bonds were all unbound still waits, at release, for
 * notifier callbacks that may be about to take its lock: the grace
 * period runs (the pending bond frees complete) without any flush. */
static void test_release_waits_after_unbind(void **state)
{
	struct kshim_counts c;
	struct task_struct *me = spawn(1000);
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, NULL), 0);
	assert_int_equal(unbind_self(b.c), 0);
	kshim_counts(&c);
	assert_int_equal(c.pending_frees, 1); /* freed after a grace period */
	assert_int_equal(kvfio_close(b.c), 0);
	assert_int_equal(kvfio_close(b.g), 0); /* the last group: release */
	kshim_counts(&c);
	assert_int_equal(c.pending_frees, 0);
	assert_int_equal(c.notifiers, 0);
	put_task_struct(me);
}

/* The last live bond going defunct at exit disables SVA on the devices;
 * the defunct bond keeps its notifier (and the mm_struct) until the
 * container's release, which frees it and the PASID. */
static void test_exit_last_bond_disables(void **state)
{
	struct task_struct *me = spawn(1000);
	struct kshim_counts c;
	char log[256];
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, NULL), 0);
	kshim_set_current(NULL);
	kshim_log_reset();
	kshim_exit(me);
	log_now(log, sizeof(log));
	/* release(): the devices, then SVA; no notifier put */
	assert_string_equal(log, "unbind:10 sva-:10 iopf-:10");
	assert_int_equal(features(b.d), 0);
	kshim_flush_work();
	kshim_counts(&c);
	assert_int_equal(c.notifiers, 1);
	assert_int_equal(c.mm_structs, 1); /* the exited process's */
	assert_int_equal(c.sva_handles, 0);
	assert_true(pasid_used(1));
	assert_string_equal(describe(b.c), "domain: g1; defunct mm1 pasid 1;");
	kshim_log_reset();
	box_close(&b);
	log_now(log, sizeof(log));
	assert_string_equal(log, "mn-");
	kshim_counts(&c);
	assert_int_equal(c.notifiers, 0);
	assert_int_equal(c.mm_structs, 0);
	assert_false(pasid_used(1));
	put_task_struct(me);
}

/* 5: fork, as the uapi comment documents it. The child holds the
 * container and reaches the parent's bound address space through the
 * parent's PASID; its own address space is not bound until it binds. */
static void test_fork(void **state)
{
	struct task_struct *parent = spawn(1000), *child;
	uint64_t va = user_buf(parent, 1, 0x10);
	uint32_t pp = 0, pc = 0;
	uint8_t buf[8];
	struct box b;

	(void)state;
	kshim_set_current(parent);
	box_open(&b);
	assert_int_equal(bind_self(b.c, &pp), 0);
	child = kshim_fork(parent);
	assert_non_null(child);

	/* fork made the private pages copy-on-write: with no I/O page
	 * fault handler in this test, each side writes its page first */
	cpu_write(parent, va, 0x20);
	cpu_write(child, va, 0x30);

	kshim_set_current(child);
	/* the same fd number works in the child (a shared file) */
	assert_int_equal(unbind_self(b.c), ESRCH); /* its mm is not bound */
	assert_dma_reaches(0x10, pp, parent, va); /* the parent's memory */
	cpu_read(child, va, buf, sizeof(buf));    /* the child's own copy */
	assert_int_equal(buf[0], 0x30);
	assert_int_equal(bind_self(b.c, &pc), 0);
	assert_true(pc != pp);
	assert_dma_reaches(0x10, pc, child, va);
	assert_int_equal(nr_bonds(b.d), 2);
	assert_int_equal(unbind_self(b.c), 0);
	assert_int_equal(nr_bonds(b.d), 1);

	kshim_set_current(parent);
	assert_int_equal(unbind_self(b.c), 0);
	box_close(&b);
	kshim_exit(child);
	kshim_flush_work();
	assert_int_equal(kshim_reap(child), 0);
	put_task_struct(child);
	put_task_struct(parent);
}

/* 5: exec replaces the address space: the old one's bond goes as on
 * exit, and the new image must bind again. */
static void test_exec(void **state)
{
	struct task_struct *me = spawn(1000);
	uint64_t va = user_buf(me, 1, 1);
	uint32_t before = 0, after = 0;
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, &before), 0);
	assert_dma_reaches(0x10, before, me, va);
	assert_int_equal(kshim_exec(me), 0);
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(features(b.d), 0);
	assert_dma_faults(0x10, before, va);
	assert_int_equal(unbind_self(b.c), ESRCH);

	va = user_buf(me, 1, 2);
	assert_int_equal(bind_self(b.c, &after), 0);
	/* the old image's bond is defunct and keeps its PASID */
	assert_int_equal(before, 1);
	assert_int_equal(after, 2);
	assert_dma_reaches(0x10, after, me, va);
	assert_string_equal(describe(b.c), "domain: g1; sva g1: 0x10; "
			    "bond mm2 pasid 2: 0x10; defunct mm1 pasid 1;");
	assert_int_equal(unbind_self(b.c), 0);
	assert_int_equal(unbind_pasid(b.c, before), 0);
	assert_false(pasid_used(before));
	assert_true(pasid_used(after)); /* the live mm's, for its life */
	box_close(&b);
	put_task_struct(me);
}

/* 5: UNBIND of a process that never bound. */
static void test_unbind_never_bound(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct box b;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(unbind_self(b.c), ESRCH);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(other)), ESRCH);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(other), NULL), 0);
	assert_int_equal(unbind_self(b.c), ESRCH); /* me: still not bound */
	assert_int_equal(nr_bonds(b.d), 1);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(other)), 0);
	box_close(&b);
	put_task_struct(me);
	put_task_struct(other);
}

/* Review point 1: teardown is the exact reverse of setup, on unbind, on
 * group detach and on container release. */
static void test_teardown_reverses_setup(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	char setup_log[1024], down[1024], want[1024];
	struct box b;
	int g2;

	(void)state;
	dev_in_group(2, 0x11, SVA_DEV_STALL);
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(add_group(b.c, 2, &g2), 0);

	kshim_log_reset();
	assert_int_equal(bind_self(b.c, NULL), 0);
	log_now(setup_log, sizeof(setup_log));
	/* groups in the domain's list order (type1 adds at the head) */
	assert_string_equal(setup_log, "iopf+:11 sva+:11 iopf+:10 sva+:10 "
					"mn+ bind:11 bind:10");
	assert_int_equal(unbind_self(b.c), 0);
	log_now(down, sizeof(down));
	reverse_of(setup_log, want, sizeof(want));
	assert_string_equal(down, want);
	assert_string_equal(down, "unbind:10 unbind:11 mn- sva-:10 iopf-:10 "
				  "sva-:11 iopf-:11");

	/* a second bond adds no enabling and removes none */
	assert_int_equal(bind_self(b.c, NULL), 0);
	kshim_log_reset();
	assert_int_equal(bind_pid(b.c, kshim_task_pid(other), NULL), 0);
	log_now(setup_log, sizeof(setup_log));
	assert_string_equal(setup_log, "mn+ bind:11 bind:10");
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(other)), 0);
	log_now(down, sizeof(down));
	assert_string_equal(down, "unbind:10 unbind:11 mn-");
	assert_int_equal(bind_pid(b.c, kshim_task_pid(other), NULL), 0);

	/* detach: the group's devices, last bond first, then its SVA */
	kshim_log_reset();
	assert_int_equal(xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	log_now(down, sizeof(down));
	assert_string_equal(down, "unbind:11 unbind:11 sva-:11 iopf-:11");

	/* closing the last group: the core detaches it (its devices, last
	 * bond first, then its SVA), then releases the container, which
	 * drops the bonds' notifiers, last bond first */
	assert_int_equal(kvfio_close(b.c), 0);
	assert_int_equal(kvfio_close(g2), 0);
	kshim_log_reset();
	assert_int_equal(kvfio_close(b.g), 0);
	log_now(down, sizeof(down));
	assert_string_equal(down, "unbind:10 unbind:10 sva-:10 iopf-:10 "
				  "mn- mn-");
	put_task_struct(me);
	put_task_struct(other);
}

/* Review point 2: a failure part-way through enabling SVA on a group's
 * devices undoes those that succeeded; so does a failed bind. */
static void test_partial_enable_rolls_back(void **state)
{
	struct task_struct *me = spawn(1000);
	struct iommu_group *g7 = kshim_group_create(F->k, 7);
	struct iommu_group *g8 = kshim_group_create(F->k, 8);
	struct device *a, *bdev, *c, *d;
	char log[1024];
	int fd, g;

	(void)state;
	a = add_dev(0x20, 20, SVA_DEV_PRI, g7);
	bdev = add_dev(0x21, 20, 0, g7); /* no PRI, no stall */
	c = add_dev(0x22, 20, SVA_DEV_PRI, g8);
	d = add_dev(0x23, 20, SVA_DEV_STALL, g8);
	kshim_set_current(me);

	fd = open_container();
	assert_int_equal(add_group(fd, 7, &g), 0);
	set_iommu(fd);
	kshim_log_reset();
	assert_int_equal(bind_self(fd, NULL), EINVAL);
	log_now(log, sizeof(log));
	assert_string_equal(log, "iopf+:20 sva+:20 sva-:20 iopf-:20");
	assert_int_equal(features(a), 0);
	assert_int_equal(features(bdev), 0);
	assert_int_equal(kvfio_close(g), 0);
	assert_int_equal(kvfio_close(fd), 0);

	/* both capable, but 6.1 binds only a device alone in its group */
	fd = open_container();
	assert_int_equal(add_group(fd, 8, &g), 0);
	set_iommu(fd);
	assert_int_equal(bind_self(fd, NULL), EINVAL);
	log_now(log, sizeof(log));
	assert_string_equal(log, "iopf+:22 sva+:22 iopf+:23 sva+:23 mn+ mn- "
				 "sva-:23 iopf-:23 sva-:22 iopf-:22");
	assert_int_equal(features(c), 0);
	assert_int_equal(features(d), 0);
	assert_int_equal(kvfio_close(g), 0);
	assert_int_equal(kvfio_close(fd), 0);
	put_task_struct(me);
}

/* --- issue 10: PASIDs outlive their address space --- */

/* Drop the event records nobody consumed yet. */
static void events_drain(void)
{
	uint64_t rec[4];

	kshim_model_lock();
	while (hsmmu_pop_event(kshim_platform(F->k)->drv, rec))
		;
	kshim_model_unlock();
}

/* The next event record; false if there is none. */
static bool event_pop(uint64_t rec[4])
{
	bool got;

	kshim_model_lock();
	got = hsmmu_pop_event(kshim_platform(F->k)->drv, rec);
	kshim_model_unlock();
	return got;
}

/* Issue 10: A exits while bound; B, binding next, gets another PASID;
 * the device, which nobody stopped, keeps writing with A's PASID at the
 * very VA where B's buffer now is: C_BAD_CD for SubstreamID p, and B's
 * memory is untouched. Once the container unbinds A's PASID, the next
 * process may get it. */
static void test_pasid_not_reused_after_exit(void **state)
{
	struct task_struct *me = spawn(1000), *a = spawn(1000), *b, *c;
	uint64_t va_a = user_buf(a, 1, 0xA1), va_b, va_c, rec[4];
	uint8_t page[PAGE], want[PAGE], out[64];
	uint32_t pa = 0, pb = 0, pc = 0;
	struct smmu_txn_result r;
	struct box bx;

	(void)state;
	kshim_set_current(me);
	box_open(&bx);
	assert_int_equal(bind_pid(bx.c, kshim_task_pid(a), &pa), 0);
	assert_int_equal(pa, 1);
	assert_dma_reaches(0x10, pa, a, va_a);

	kshim_exit(a);
	assert_int_equal(kshim_reap(a), 0);
	put_task_struct(a);
	kshim_flush_work();
	assert_int_equal(nr_bonds(bx.d), 0);
	assert_true(pasid_used(pa));
	assert_string_equal(describe(bx.c), "domain: g1; defunct mm2 pasid 1;");

	b = spawn(1000);
	va_b = user_buf(b, 1, 0xB2);
	assert_int_equal(va_b, va_a);
	assert_int_equal(bind_pid(bx.c, kshim_task_pid(b), &pb), 0);
	assert_int_equal(pb, 2);

	events_drain();
	memset(out, 0xEE, sizeof(out));
	r = dev_write(0x10, pa, va_b, out, sizeof(out));
	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.event_id, EVID_C_BAD_CD);
	assert_true(r.event_recorded);
	assert_true(event_pop(rec));
	/* StreamID 0x10, SubstreamID pa, SSV, C_BAD_CD */
	assert_int_equal(rec[0], UINT64_C(0x10) << 32 | (uint64_t)pa << 12 |
				 1u << 11 | EVID_C_BAD_CD);
	assert_int_equal(rec[1], 0);
	assert_int_equal(rec[2], 0);
	assert_int_equal(rec[3], 0);
	assert_false(event_pop(rec));
	memset(want, 0xB2, sizeof(want));
	cpu_read(b, va_b, page, sizeof(page));
	assert_memory_equal(page, want, sizeof(page));
	assert_dma_reaches(0x10, pb, b, va_b + 128);

	/* the container gives A's PASID back: the next bind may get it */
	assert_int_equal(unbind_pasid(bx.c, pa), 0);
	assert_false(pasid_used(pa));
	assert_string_equal(describe(bx.c), "domain: g1; sva g1: 0x10; "
			    "bond mm3 pasid 2: 0x10;");
	c = spawn(1000);
	va_c = user_buf(c, 1, 0xC3);
	assert_int_equal(bind_pid(bx.c, kshim_task_pid(c), &pc), 0);
	assert_int_equal(pc, pa);
	assert_dma_reaches(0x10, pc, c, va_c);
	cpu_read(b, va_b, page, sizeof(page));
	assert_memory_equal(page, want, 128);

	assert_int_equal(unbind_pid(bx.c, kshim_task_pid(b)), 0);
	assert_int_equal(unbind_pid(bx.c, kshim_task_pid(c)), 0);
	box_close(&bx);
	put_task_struct(b);
	put_task_struct(c);
	put_task_struct(me);
}

/* Issue 10: exhaustion. A device of 2 PASID bits can use PASIDs 1..3;
 * three processes take them all. Their exit gives none back (the bonds
 * are defunct), so every new process still gets -ENOSPC until the
 * container unbinds a PASID: the next bind gets exactly that one. The
 * container's release gives back the rest. */
static void test_pasid_exhaustion(void **state)
{
	struct iommu_group *g = kshim_group_create(F->k, 1);
	struct task_struct *me = spawn(1000), *t[3], *late, *later;
	struct device *d;
	uint32_t p;
	int c, gfd;

	(void)state;
	assert_non_null(g);
	d = add_dev(0x10, 2, SVA_DEV_PRI, g);
	kshim_set_current(me);
	c = open_container();
	assert_int_equal(add_group(c, 1, &gfd), 0);
	set_iommu(c);
	for (unsigned i = 0; i < 3; i++) {
		t[i] = spawn(1000);
		assert_int_equal(bind_pid(c, kshim_task_pid(t[i]), &p), 0);
		assert_int_equal(p, i + 1);
	}
	late = spawn(1000);
	assert_int_equal(bind_pid(c, kshim_task_pid(late), &p), ENOSPC);
	assert_int_equal(p, 0xdeadbeef);

	for (unsigned i = 0; i < 3; i++) {
		kshim_exit(t[i]);
		assert_int_equal(kshim_reap(t[i]), 0);
		put_task_struct(t[i]);
	}
	kshim_flush_work();
	assert_int_equal(nr_bonds(d), 0);
	assert_int_equal(features(d), 0); /* no live bond */
	assert_int_equal(pasid_count(kshim_pasids(F->k)), 3);
	assert_string_equal(describe(c), "domain: g1; defunct mm2 pasid 1; "
			    "defunct mm3 pasid 2; defunct mm4 pasid 3;");
	assert_int_equal(bind_pid(c, kshim_task_pid(late), &p), ENOSPC);
	assert_int_equal(bind_self(c, &p), ENOSPC);
	assert_int_equal(features(d), 0); /* the failed binds undid it */

	assert_int_equal(unbind_pasid(c, 2), 0);
	assert_int_equal(bind_pid(c, kshim_task_pid(late), &p), 0);
	assert_int_equal(p, 2);
	assert_int_equal(nr_bonds(d), 1);
	later = spawn(1000);
	assert_int_equal(bind_pid(c, kshim_task_pid(later), &p), ENOSPC);
	assert_string_equal(describe(c), "domain: g1; sva g1: 0x10; "
			    "bond mm5 pasid 2: 0x10; defunct mm2 pasid 1; "
			    "defunct mm4 pasid 3;");

	assert_int_equal(kvfio_close(gfd), 0);
	assert_int_equal(kvfio_close(c), 0);
	/* only the live process keeps its PASID (6.1: for its mm's life) */
	assert_int_equal(pasid_count(kshim_pasids(F->k)), 1);
	assert_true(pasid_used(2));
	put_task_struct(late);
	put_task_struct(later);
	put_task_struct(me);
}

/* Issue 10: VFIO_IOMMU_UNBIND by PASID. A PASID that names no bond of
 * this container (another container's, 0, never allocated, out of
 * range) is -ESRCH; VFIO_IOMMU_BIND_PASID with VFIO_IOMMU_BIND_PID or a
 * PID, with an unknown bit, or on VFIO_IOMMU_BIND is -EINVAL; nothing
 * changes then. A live bond may be unbound by PASID, with no ptrace
 * check; its mm keeps the PASID, so binding it again returns the same. */
static void test_unbind_by_pasid(void **state)
{
	struct task_struct *me = spawn(1000), *other = spawn(1000);
	struct task_struct *stranger = spawn(2000), *root = spawn(0);
	struct device *d2 = dev_in_group(2, 0x11, SVA_DEV_PRI);
	uint64_t va = user_buf(me, 1, 0x33);
	struct vfio_iommu_type1_bind raw;
	uint32_t pm = 0, po = 0, ps = 0, p = 0;
	char before[512];
	struct box b;
	int c2, g2;

	(void)state;
	kshim_set_current(me);
	box_open(&b);
	assert_int_equal(bind_self(b.c, &pm), 0);
	assert_int_equal(pm, 1);
	c2 = open_container();
	assert_int_equal(add_group(c2, 2, &g2), 0);
	set_iommu(c2);
	assert_int_equal(bind_pid(c2, kshim_task_pid(other), &po), 0);
	assert_int_equal(po, 2);
	snprintf(before, sizeof(before), "%s", describe(b.c));
	assert_string_equal(before, "domain: g1; sva g1: 0x10; "
				    "bond mm1 pasid 1: 0x10;");

	assert_int_equal(unbind_pasid(b.c, po), ESRCH); /* c2's */
	assert_int_equal(unbind_pasid(b.c, 0), ESRCH);
	assert_int_equal(unbind_pasid(b.c, 3), ESRCH);
	assert_int_equal(unbind_pasid(b.c, IOMMU_PASID_INVALID), ESRCH);

	assert_int_equal(do_bind(b.c, VFIO_IOMMU_UNBIND, VFIO_IOMMU_BIND_PASID |
				 VFIO_IOMMU_BIND_PID, kshim_task_pid(me), NULL),
			 EINVAL);
	raw = (struct vfio_iommu_type1_bind){ .argsz = sizeof(raw),
		.flags = VFIO_IOMMU_BIND_PASID, .pasid = pm,
		.pid = kshim_task_pid(me) };
	assert_int_equal(xioctl(b.c, VFIO_IOMMU_UNBIND, (unsigned long)&raw),
			 EINVAL);
	raw.flags = VFIO_IOMMU_BIND_PASID | VFIO_IOMMU_BIND_PID;
	raw.pid = 0;
	assert_int_equal(xioctl(b.c, VFIO_IOMMU_UNBIND, (unsigned long)&raw),
			 EINVAL);
	raw.flags = VFIO_IOMMU_BIND_PASID | 1u << 2;
	assert_int_equal(xioctl(b.c, VFIO_IOMMU_UNBIND, (unsigned long)&raw),
			 EINVAL);
	raw.flags = VFIO_IOMMU_BIND_PASID;
	raw.argsz = 15;
	assert_int_equal(xioctl(b.c, VFIO_IOMMU_UNBIND, (unsigned long)&raw),
			 EINVAL);
	/* the flag belongs to UNBIND only */
	assert_int_equal(do_bind(b.c, VFIO_IOMMU_BIND, VFIO_IOMMU_BIND_PASID,
				 0, &p), EINVAL);
	assert_int_equal(p, 0xdeadbeef);
	assert_int_equal(do_bind(c2, VFIO_IOMMU_BIND, VFIO_IOMMU_BIND_PASID,
				 0, &p), EINVAL);
	assert_int_equal(xioctl(b.c, VFIO_IOMMU_UNBIND, 8), EFAULT);
	assert_string_equal(describe(b.c), before);
	assert_int_equal(nr_bonds(b.d), 1);
	assert_int_equal(nr_bonds(d2), 1);

	/* a live bond, by PASID: unbound, the PASID stays with the mm */
	assert_int_equal(unbind_pasid(b.c, pm), 0);
	assert_int_equal(nr_bonds(b.d), 0);
	assert_int_equal(features(b.d), 0);
	assert_dma_faults(0x10, pm, va);
	assert_true(pasid_used(pm));
	assert_int_equal(unbind_pasid(b.c, pm), ESRCH);
	assert_int_equal(unbind_self(b.c), ESRCH);
	assert_int_equal(bind_self(b.c, &p), 0);
	assert_int_equal(p, pm);
	assert_dma_reaches(0x10, pm, me, va);

	/* no ptrace check: the bond is the container's */
	kshim_set_current(root);
	assert_int_equal(bind_pid(b.c, kshim_task_pid(stranger), &ps), 0);
	assert_int_equal(ps, 3);
	kshim_set_current(me);
	assert_int_equal(unbind_pid(b.c, kshim_task_pid(stranger)), EPERM);
	assert_int_equal(unbind_pasid(b.c, ps), 0);
	assert_int_equal(nr_bonds(b.d), 1);

	assert_int_equal(unbind_pasid(c2, po), 0);
	assert_int_equal(nr_bonds(d2), 0);
	assert_int_equal(unbind_self(b.c), 0);
	assert_int_equal(kvfio_close(g2), 0);
	assert_int_equal(kvfio_close(c2), 0);
	box_close(&b);
	put_task_struct(me);
	put_task_struct(other);
	put_task_struct(stranger);
	put_task_struct(root);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_client_end_to_end),
		T(test_bind_twice_same_pasid),
		T(test_foreign_needs_ptrace),
		T(test_argsz),
		T(test_flags),
		T(test_no_sva_device),
		T(test_attach_replays_bonds),
		T(test_attach_rollback),
		T(test_detach_unbinds),
		T(test_release_with_bonds),
		T(test_exit_while_bound),
		T(test_exit_last_bond_disables),
		T(test_fork),
		T(test_exec),
		T(test_unbind_never_bound),
		T(test_teardown_reverses_setup),
		T(test_partial_enable_rolls_back),
		T(test_release_order_with_groups),
		T(test_release_waits_after_unbind),
		T(test_pasid_not_reused_after_exit),
		T(test_pasid_exhaustion),
		T(test_unbind_by_pasid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
