/* SPDX-License-Identifier: MIT */
/*
 * fail-nth sweep over the VFIO bind patch: on every path (bind, unbind,
 * group attach and detach, container release, process exit), make each
 * allocation, user copy, feature enable, SVA bind and notifier
 * registration fail in turn, n = 1, 2, ... until the path runs through
 * without reaching an n-th injectable call. After each failure:
 *
 *   - the call reports the injected error (-ENOMEM, -EFAULT, -ENODEV);
 *   - the container's state (kpatch_type1_describe), every device's SVA
 *     features, bonds, STE and CDs (raw bytes in simulated memory), the
 *     PASID allocator and the shim's counters (allocations, notifiers,
 *     SVA handles, device references, mm and task structs) equal their
 *     values before the call;
 *   - the container still works: the call, repeated without a failure,
 *     succeeds.
 *
 * One exception, from Linux 6.1 itself: the first bind of an address
 * space gives it a PASID for the rest of its life (mm->pasid, freed with
 * the mm), so a failure after that point may leave that one PASID
 * allocated. The sweep accepts it only if it is this process's and is
 * freed when the process exits. The variant where the process already
 * has its PASID requires the allocator to be exactly unchanged.
 *
 * Under ASan (./dev.sh test) every failure path is also checked for
 * leaks and use-after-free.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pasid/sva_linux.h"
#include "kshim.h"
#include "kvfio.h"
#include "type1_shim.h"
#include "vfio_bind_uapi.h"

#define PAGE UINT64_C(0x1000)
#define NDEV 3
#define MAX_SSID 8

enum op {
	OP_BIND_FIRST,      /* first bond of the container, fresh mm */
	OP_BIND_FIRST_HELD, /* first bond, the mm already has a PASID */
	OP_BIND_SECOND,     /* a second address space */
	OP_BIND_FOREIGN,    /* by PID */
	OP_UNBIND,
	OP_ATTACH,          /* a group joins a container with two bonds */
	OP_DETACH,          /* a group with bonds leaves */
	OP_RELEASE,         /* the last group leaves: container release */
	OP_EXIT,            /* a bound process exits */
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"bind (first bond, fresh mm)", "bind (first bond, mm has a PASID)",
	"bind (second bond)", "bind (foreign pid)", "unbind", "group attach",
	"group detach", "container release", "process exit",
};

struct world {
	struct kshim *k;
	struct device *dev[NDEV];
	struct task_struct *me, *other, *third;
	int c, g[NDEV];
};

struct snap {
	char container[1024];
	unsigned features[NDEV], bonds[NDEV];
	uint8_t ste[NDEV][64];
	uint8_t cd[NDEV][MAX_SSID][64];
	bool pasid[MAX_SSID];
	uint32_t pasids;
	struct kshim_counts counts;
	bool group_set[NDEV];
};

static int xioctl(int fd, unsigned long req, unsigned long arg)
{
	return kvfio_ioctl(fd, req, arg) < 0 ? errno : 0;
}

static int bind_op(struct world *w, unsigned long req, struct task_struct *t,
		   bool by_pid)
{
	struct vfio_iommu_type1_bind b = { .argsz = sizeof(b) };

	if (by_pid) {
		b.flags = VFIO_IOMMU_BIND_PID;
		b.pid = kshim_task_pid(t);
	} else {
		kshim_set_current(t);
	}
	return xioctl(w->c, req, (unsigned long)&b);
}

static int set_container(struct world *w, int i)
{
	return xioctl(w->g[i], VFIO_GROUP_SET_CONTAINER, (unsigned long)&w->c);
}

/* Devices 0x10 (PRI), 0x11 (stall), 0x12 (PRI) in groups 1..3; groups
 * 1 and 2 in the container; three processes of uid 1000. */
static void world_create(struct world *w)
{
	struct kshim_config cfg = { .preset = "full", .pasid_bits = 20 };
	static const unsigned flags[NDEV] = { SVA_DEV_PRI, SVA_DEV_STALL,
					      SVA_DEV_PRI };
	char path[32];

	memset(w, 0, sizeof(*w));
	w->k = kshim_create(&cfg);
	assert_non_null(w->k);
	kvfio_init(w->k);
	for (int i = 0; i < NDEV; i++) {
		struct sva_dev_params p = { .sid = 0x10u + (uint32_t)i,
					    .pasid_bits = 20,
					    .flags = flags[i] };
		struct iommu_group *g = kshim_group_create(w->k, i + 1);

		assert_non_null(g);
		w->dev[i] = kshim_add_device(w->k, &p, g);
		assert_non_null(w->dev[i]);
	}
	w->me = kshim_spawn(w->k, 1000);
	w->other = kshim_spawn(w->k, 1000);
	w->third = kshim_spawn(w->k, 1000);
	assert_non_null(w->third);
	kshim_set_current(w->me);
	w->c = kvfio_open("/dev/vfio/vfio", O_RDWR);
	assert_true(w->c >= 0);
	for (int i = 0; i < NDEV; i++) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", i + 1);
		w->g[i] = kvfio_open(path, O_RDWR);
		assert_true(w->g[i] >= 0);
	}
	assert_int_equal(set_container(w, 0), 0);
	assert_int_equal(set_container(w, 1), 0);
	assert_int_equal(xioctl(w->c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
}

static void world_destroy(struct world *w)
{
	kvfio_reset();
	kshim_flush_work();
	put_task_struct(w->me);
	put_task_struct(w->other);
	put_task_struct(w->third);
	kshim_set_current(NULL);
	kshim_destroy(w->k);
}

static void read_bytes(struct kshim *k, uint64_t pa, uint8_t out[64])
{
	memset(out, 0, 64);
	if (pa)
		assert_int_equal(pmem_read(kshim_platform(k)->mem, pa, out, 64,
					   NULL), MEM_OK);
}

static void snapshot(struct world *w, struct snap *s)
{
	struct pasid_space *ps = kshim_pasids(w->k);

	memset(s, 0, sizeof(*s));
	kshim_flush_work();
	kpatch_type1_describe(kvfio_iommu_data(w->c), s->container,
			      sizeof(s->container));
	kshim_model_lock();
	for (int i = 0; i < NDEV; i++) {
		struct sva_dev *d = kshim_device_sva(w->dev[i]);
		struct vfio_group_status st = { .argsz = sizeof(st) };

		s->features[i] = sva_dev_features(d);
		s->bonds[i] = sva_dev_nr_bonds(d);
		read_bytes(w->k, sva_dev_ste_pa(d), s->ste[i]);
		for (uint32_t ssid = 0; ssid < MAX_SSID; ssid++)
			read_bytes(w->k, sva_dev_cd_pa(d, ssid), s->cd[i][ssid]);
		assert_int_equal(xioctl(w->g[i], VFIO_GROUP_GET_STATUS,
					(unsigned long)&st), 0);
		s->group_set[i] = st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET;
	}
	for (uint32_t p = 0; p < MAX_SSID; p++)
		s->pasid[p] = pasid_in_use(ps, p);
	s->pasids = pasid_count(ps);
	kshim_model_unlock();
	kshim_counts(&s->counts);
}

/* The state the path starts from (no fault armed). */
static void prepare(struct world *w, enum op op)
{
	switch (op) {
	case OP_BIND_FIRST:
		break;
	case OP_BIND_FIRST_HELD:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->me, false), 0);
		assert_int_equal(bind_op(w, VFIO_IOMMU_UNBIND, w->me, false), 0);
		break;
	case OP_BIND_SECOND:
	case OP_BIND_FOREIGN:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->other, true), 0);
		break;
	case OP_UNBIND:
	case OP_ATTACH:
	case OP_DETACH:
	case OP_RELEASE:
	case OP_EXIT:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->other, true), 0);
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->me, false), 0);
		break;
	default:
		fail();
	}
	if (op == OP_RELEASE)
		assert_int_equal(xioctl(w->g[1], VFIO_GROUP_UNSET_CONTAINER, 0),
				 0);
	kshim_set_current(w->me);
}

/* Run the path; 0 or the errno it failed with. */
static int run(struct world *w, enum op op)
{
	int ret = 0;

	switch (op) {
	case OP_BIND_FIRST:
	case OP_BIND_FIRST_HELD:
	case OP_BIND_SECOND:
		ret = bind_op(w, VFIO_IOMMU_BIND, w->me, false);
		break;
	case OP_BIND_FOREIGN:
		ret = bind_op(w, VFIO_IOMMU_BIND, w->third, true);
		break;
	case OP_UNBIND:
		ret = bind_op(w, VFIO_IOMMU_UNBIND, w->me, false);
		break;
	case OP_ATTACH:
		ret = set_container(w, 2);
		break;
	case OP_DETACH:
		ret = xioctl(w->g[1], VFIO_GROUP_UNSET_CONTAINER, 0);
		break;
	case OP_RELEASE:
		ret = xioctl(w->g[0], VFIO_GROUP_UNSET_CONTAINER, 0);
		break;
	case OP_EXIT:
		kshim_exit(w->other);
		break;
	default:
		fail();
	}
	kshim_set_current(w->me);
	return ret;
}

static int expected_errno(enum kshim_fault_site site)
{
	switch (site) {
	case KSHIM_FAULT_COPY_FROM:
	case KSHIM_FAULT_COPY_TO:
		return EFAULT;
	case KSHIM_FAULT_FEATURE:
		return ENODEV;
	default:
		return ENOMEM;
	}
}

static void assert_same(const struct snap *a, const struct snap *b,
			bool pasid_may_grow, const char *what)
{
	if (strcmp(a->container, b->container) != 0)
		fail_msg("%s: container changed:\n  before %s\n  after  %s",
			 what, a->container, b->container);
	for (int i = 0; i < NDEV; i++) {
		assert_int_equal(a->features[i], b->features[i]);
		assert_int_equal(a->bonds[i], b->bonds[i]);
		assert_int_equal(a->group_set[i], b->group_set[i]);
		assert_memory_equal(a->ste[i], b->ste[i], 64);
		for (int s = 0; s < MAX_SSID; s++)
			if (memcmp(a->cd[i][s], b->cd[i][s], 64) != 0)
				fail_msg("%s: CD %d of device %#x changed", what,
					 s, 0x10 + i);
	}
	if (!pasid_may_grow) {
		assert_int_equal(a->pasids, b->pasids);
		assert_memory_equal(a->pasid, b->pasid, sizeof(a->pasid));
	} else {
		assert_true(b->pasids - a->pasids <= 1);
		for (int p = 0; p < MAX_SSID; p++)
			assert_true(!a->pasid[p] || b->pasid[p]);
	}
	assert_int_equal(a->counts.allocs, b->counts.allocs);
	assert_int_equal(a->counts.notifiers, b->counts.notifiers);
	assert_int_equal(a->counts.sva_handles, b->counts.sva_handles);
	assert_int_equal(a->counts.device_refs, b->counts.device_refs);
	assert_int_equal(a->counts.mm_structs, b->counts.mm_structs);
	assert_int_equal(a->counts.tasks, b->counts.tasks);
	assert_int_equal(b->counts.warnings, 0);
}

/* The process a bind path binds, whose first bind gives it a PASID. */
static struct task_struct *bound_task(struct world *w, enum op op)
{
	switch (op) {
	case OP_BIND_FIRST:
	case OP_BIND_SECOND:
		return w->me;
	case OP_BIND_FOREIGN:
		return w->third;
	default:
		return NULL;
	}
}

/* A PASID the failure left must be the bound process's lifetime PASID:
 * its exit frees it. */
static void assert_extra_pasid_is_its(struct world *w, struct task_struct *t,
				      const struct snap *a,
				      const struct snap *b)
{
	int extra = -1;

	for (int p = 0; p < MAX_SSID; p++)
		if (b->pasid[p] && !a->pasid[p])
			extra = p;
	if (extra < 0)
		return;
	kshim_exit(t);
	kshim_flush_work();
	assert_false(pasid_in_use(kshim_pasids(w->k), (uint32_t)extra));
}

static unsigned sweep(enum op op)
{
	unsigned n, fired_total = 0;

	for (n = 1;; n++) {
		struct world w;
		struct snap before, after;
		enum kshim_fault_site site = KSHIM_FAULT_NR;
		char what[96];
		bool fired;
		int ret;

		world_create(&w);
		prepare(&w, op);
		snapshot(&w, &before);
		kshim_fail_nth(n);
		ret = run(&w, op);
		fired = kshim_fault_fired(&site);
		kshim_fail_nth(0);
		snprintf(what, sizeof(what), "%s, failure %u (%s)", op_names[op],
			 n, fired ? kshim_fault_site_name(site) : "none");
		if (!fired) {
			assert_int_equal(ret, 0);
			world_destroy(&w);
			break;
		}
		fired_total++;
		if (op == OP_DETACH || op == OP_RELEASE || op == OP_EXIT) {
			/* void paths: nothing may fail on the way down */
			fail_msg("%s: a teardown path reached a fault point", what);
		}
		/* type1 reports a failed domain allocation as -EIO */
		if (ret != expected_errno(site) &&
		    !(op == OP_ATTACH && site == KSHIM_FAULT_ALLOC &&
		      ret == EIO))
			fail_msg("%s: returned %d, expected %d", what, ret,
				 expected_errno(site));
		snapshot(&w, &after);
		assert_same(&before, &after, bound_task(&w, op) != NULL, what);
		/* and it still works */
		assert_int_equal(run(&w, op), 0);
		if (bound_task(&w, op))
			assert_extra_pasid_is_its(&w, bound_task(&w, op),
						  &before, &after);
		world_destroy(&w);
	}
	print_message("%s: %u fault points, each failed once\n", op_names[op],
		      fired_total);
	return fired_total;
}

static void test_bind_first(void **state)
{
	(void)state;
	/* copy_from_user; per device of 2 groups: group and device
	 * records, IOPF, SVA; the bond, its notifier; per device: handle
	 * and SVA bind; copy_to_user */
	assert_int_equal(sweep(OP_BIND_FIRST), 1 + 2 * 4 + 2 + 2 * 2 + 1);
}

static void test_bind_first_pasid_held(void **state)
{
	(void)state;
	assert_int_equal(sweep(OP_BIND_FIRST_HELD), 1 + 2 * 4 + 2 + 2 * 2 + 1);
}

static void test_bind_second(void **state)
{
	(void)state;
	/* SVA is on already: copy in, bond, notifier, per device (two):
	 * handle and SVA bind, copy out */
	assert_int_equal(sweep(OP_BIND_SECOND), 1 + 2 + 2 * 2 + 1);
}

static void test_bind_foreign(void **state)
{
	(void)state;
	assert_int_equal(sweep(OP_BIND_FOREIGN), 1 + 2 + 2 * 2 + 1);
}

static void test_unbind(void **state)
{
	(void)state;
	assert_int_equal(sweep(OP_UNBIND), 1); /* copy_from_user only */
}

static void test_attach(void **state)
{
	(void)state;
	/* the core's copy of the container fd; type1: group, domain
	 * record, IOMMU domain; SVA on the group: group and device records,
	 * IOPF, SVA; per bond (two): handle and SVA bind */
	assert_int_equal(sweep(OP_ATTACH), 1 + 3 + 4 + 2 * 2);
}

static void test_teardown_paths(void **state)
{
	(void)state;
	assert_int_equal(sweep(OP_DETACH), 0);
	assert_int_equal(sweep(OP_RELEASE), 0);
	assert_int_equal(sweep(OP_EXIT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_first),
		cmocka_unit_test(test_bind_first_pasid_held),
		cmocka_unit_test(test_bind_second),
		cmocka_unit_test(test_bind_foreign),
		cmocka_unit_test(test_unbind),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_teardown_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
