/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the kernel patch's ioctl surface. Each input is a
 * program of operations on one machine — VFIO_IOMMU_BIND/UNBIND with any
 * argsz, flags (VFIO_IOMMU_BIND_PID, VFIO_IOMMU_BIND_PASID, or any bits),
 * pid and PASID, by any caller; group detach and re-attach; fork, exit
 * and reap; exec; container close — decoded from the bytes. After every
 * input the machine is torn down and the shim's counters must show
 * nothing left: no allocation, notifier, SVA handle or device reference.
 * Every ioctl must return 0 or an errno the uapi comment documents for
 * it (fewer for an unbind by PASID), and after every step no two bonds of
 * the container, live or defunct, may share a PASID: a PASID a process
 * left behind is never handed to another.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pasid/sva.h"
#include "kshim.h"
#include "kvfio.h"
#include "type1_shim.h"
#include "vfio_bind_uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPROC 4
#define NDEV 3

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct in *in, unsigned bytes)
{
	unsigned v = 0;

	while (bytes--) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static bool documented(int err)
{
	switch (err) {
	case 0: case EFAULT: case EINVAL: case ESRCH: case EPERM:
	case ENODEV: case ENOMEM: case ENOSPC: case EBUSY: case EOVERFLOW:
	case EINTR: case ENOTTY:
		return true;
	default:
		return false;
	}
}

/* VFIO_IOMMU_UNBIND with VFIO_IOMMU_BIND_PASID: no process lookup, no
 * allocation; EINVAL also when the container has no IOMMU driver. */
static bool documented_unbind_pasid(int err)
{
	return err == 0 || err == EFAULT || err == EINVAL || err == ESRCH;
}

/* No two bonds of the container (live or defunct) have the same PASID. */
static bool pasids_distinct(int cfd)
{
	char desc[2048];
	uint32_t seen[64];
	unsigned n = 0;
	const char *p = desc;

	if (kpatch_type1_describe(kvfio_iommu_data(cfd), desc, sizeof(desc)) >=
	    sizeof(desc))
		return true; /* cut short: cannot tell */
	while ((p = strstr(p, " pasid ")) != NULL) {
		uint32_t v = (uint32_t)strtoul(p + 7, NULL, 10);

		for (unsigned i = 0; i < n; i++)
			if (seen[i] == v)
				return false;
		if (n < 64)
			seen[n++] = v;
		p += 7;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[NDEV] = { SVA_DEV_PRI, SVA_DEV_STALL, 0 };
	struct kshim_config cfg = { .preset = "full", .pasid_bits = 4 };
	struct task_struct *t[NPROC] = { 0 };
	struct in in = { data, size };
	struct kshim_counts base, c;
	int cfd, gfd[NDEV], attached[NDEV];
	struct kshim *k;

	if (size > 4096)
		return 0;
	k = kshim_create(&cfg);
	if (!k)
		abort();
	kvfio_init(k);
	for (int i = 0; i < NDEV; i++) {
		struct sva_dev_params p = { .sid = 0x10u + (uint32_t)i,
					    .pasid_bits = 1 + take(&in, 1) % 20,
					    .flags = flags[i] };

		if (!kshim_add_device(k, &p, kshim_group_create(k, i + 1)))
			abort();
	}
	for (int i = 0; i < NPROC; i++)
		t[i] = kshim_spawn(k, i == 3 ? 0 : 1000 + (take(&in, 1) & 1));
	kshim_set_current(t[0]);
	kshim_counts(&base);
	cfd = kvfio_open("/dev/vfio/vfio", O_RDWR);
	for (int i = 0; i < NDEV; i++) {
		char path[16] = "/dev/vfio/1";

		path[10] = (char)('1' + i);
		gfd[i] = kvfio_open(path, O_RDWR);
		attached[i] = i < 2 && kvfio_ioctl(gfd[i], VFIO_GROUP_SET_CONTAINER,
						   (unsigned long)&cfd) == 0;
	}
	kvfio_ioctl(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);

	while (in.n) {
		unsigned op = take(&in, 1), who = take(&in, 1) % NPROC, sel;
		struct vfio_iommu_type1_bind b;
		int r, dev;

		switch (op % 8) {
		case 0:
		case 1:
		case 2: /* BIND or UNBIND with fuzzed fields */
			memset(&b, 0, sizeof(b));
			b.argsz = take(&in, 1) % 40;
			sel = take(&in, 1);
			b.flags = sel & 1 ? VFIO_IOMMU_BIND_PID :
				  sel & 2 ? VFIO_IOMMU_BIND_PASID :
				  take(&in, 4);
			b.pid = take(&in, 1) & 1 ?
				kshim_task_pid(t[take(&in, 1) % NPROC]) :
				(int32_t)take(&in, 4);
			/* the input PASID: mostly small (the space has 15) */
			if (b.flags & VFIO_IOMMU_BIND_PASID) {
				sel = take(&in, 1);
				b.pasid = sel & 0x80 ? take(&in, 4) : sel & 0xF;
			}
			kshim_set_current(t[who]);
			r = kvfio_ioctl(cfd, op % 8 == 2 ? VFIO_IOMMU_UNBIND :
					VFIO_IOMMU_BIND, (unsigned long)&b) < 0 ?
				errno : 0;
			if (!documented(r))
				abort();
			if (op % 8 == 2 && b.argsz >= 16 &&
			    (b.flags & VFIO_IOMMU_BIND_PASID) &&
			    !documented_unbind_pasid(r))
				abort();
			/* the flag is UNBIND's only */
			if (op % 8 != 2 && (b.flags & VFIO_IOMMU_BIND_PASID) &&
			    r == 0)
				abort();
			break;
		case 3: /* detach or re-attach a group */
			dev = (int)(take(&in, 1) % NDEV);
			kshim_set_current(t[0]);
			if (attached[dev]) {
				if (kvfio_ioctl(gfd[dev], VFIO_GROUP_UNSET_CONTAINER,
						0) == 0)
					attached[dev] = 0;
			} else if (kvfio_ioctl(gfd[dev], VFIO_GROUP_SET_CONTAINER,
					       (unsigned long)&cfd) == 0) {
				attached[dev] = 1;
			} else if (!documented(errno)) {
				abort();
			}
			break;
		case 4: /* exit, reap and respawn */
			if (who == 0)
				break;
			kshim_exit(t[who]);
			kshim_flush_work();
			kshim_reap(t[who]);
			put_task_struct(t[who]);
			t[who] = kshim_spawn(k, 1000);
			break;
		case 5: /* fork a child over a process */
			if (who == 0)
				break;
			{
				struct task_struct *child =
					kshim_fork(t[take(&in, 1) % NPROC]);

				if (!child)
					break;
				kshim_exit(t[who]);
				kshim_flush_work();
				kshim_reap(t[who]);
				put_task_struct(t[who]);
				t[who] = child;
			}
			break;
		case 6:
			kshim_flush_work();
			break;
		default: /* exec */
			if (who)
				kshim_exec(t[who]);
			break;
		}
		if (!pasids_distinct(cfd))
			abort();
	}

	kshim_set_current(t[0]);
	kvfio_reset(); /* closes everything: the container is released */
	kshim_flush_work();
	kshim_counts(&c);
	if (c.allocs != base.allocs || c.notifiers || c.sva_handles ||
	    c.device_refs != base.device_refs || c.pending_frees ||
	    c.pending_work || c.warnings)
		abort();
	for (int i = 0; i < NPROC; i++)
		put_task_struct(t[i]);
	kshim_set_current(NULL);
	kshim_destroy(k);
	return 0;
}
