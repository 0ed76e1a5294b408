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
 * allocated. The sweep accepts it only if it is this process's: once the
 * process has exited, the bond the repeated call made holds it (defunct)
 * and VFIO_IOMMU_UNBIND by PASID frees it. The variant where the process
 * already has its PASID requires the allocator to be exactly unchanged.
 *
 * Paths with defunct bonds (a bound process exited: its devices are
 * unbound, the bond keeps the PASID) are swept too: unbind by PASID of a
 * live and of a defunct bond, a first live bond beside a defunct one, a
 * group attach (defunct bonds are not replayed), and, as teardown paths,
 * detach, container release, and the exit that makes the last live bond
 * defunct. Each successful path must also leave the exact container
 * state listed in after_success[].
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
	OP_EXIT,            /* a bound process exits: its bond goes defunct */
	OP_UNBIND_PASID,    /* unbind a live bond by PASID */
	OP_UNBIND_DEFUNCT,  /* unbind a defunct bond by PASID */
	OP_BIND_DEFUNCT,    /* first live bond beside a defunct one */
	OP_ATTACH_DEFUNCT,  /* group attach, two live bonds and a defunct */
	OP_DETACH_DEFUNCT,  /* group detach, a live and a defunct bond */
	OP_RELEASE_DEFUNCT, /* container release, a live and a defunct bond */
	OP_EXIT_LAST,       /* the last live bond goes defunct */
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"bind (first bond, fresh mm)", "bind (first bond, mm has a PASID)",
	"bind (second bond)", "bind (foreign pid)", "unbind", "group attach",
	"group detach", "container release", "process exit",
	"unbind by PASID (live)", "unbind by PASID (defunct)",
	"bind (beside a defunct bond)", "group attach (with a defunct bond)",
	"group detach (with a defunct bond)",
	"container release (with a defunct bond)",
	"process exit (last live bond)",
};

/*
 * The container after the path succeeded, when the path is about defunct
 * bonds. me is mm1, other mm2, third mm3; other's PASID is 1, me's 2,
 * third's 3 (bound in that order).
 */
static const char *const after_success[OP_NR] = {
	[OP_EXIT] = "domain: g1 g2; sva g1: 0x10; sva g2: 0x11; "
		    "bond mm1 pasid 2: 0x10 0x11; defunct mm2 pasid 1;",
	[OP_UNBIND_PASID] = "domain: g1 g2; sva g1: 0x10; sva g2: 0x11; "
			    "bond mm2 pasid 1: 0x10 0x11;",
	[OP_UNBIND_DEFUNCT] = "domain: g1 g2; sva g1: 0x10; sva g2: 0x11; "
			      "bond mm1 pasid 2: 0x10 0x11;",
	[OP_BIND_DEFUNCT] = "domain: g1 g2; sva g1: 0x10; sva g2: 0x11; "
			    "bond mm1 pasid 2: 0x10 0x11; "
			    "defunct mm2 pasid 1;",
	[OP_ATTACH_DEFUNCT] = "domain: g3 g1 g2; sva g1: 0x10; sva g2: 0x11; "
			      "sva g3: 0x12; bond mm2 pasid 1: 0x10 0x11 0x12; "
			      "bond mm1 pasid 2: 0x10 0x11 0x12; "
			      "defunct mm3 pasid 3;",
	[OP_DETACH_DEFUNCT] = "domain: g1; sva g1: 0x10; "
			      "bond mm1 pasid 2: 0x10; defunct mm2 pasid 1;",
	[OP_RELEASE_DEFUNCT] = "(no iommu)",
	[OP_EXIT_LAST] = "domain: g1 g2; defunct mm2 pasid 1;",
};

/* And the PASIDs 1..3 allocated right after it returned (bit n: PASID
 * n), before any grace period: a defunct bond's is, until it is unbound
 * or the container released. */
static const unsigned pasids_after[OP_NR] = {
	[OP_EXIT] = 0x6,
	[OP_UNBIND_PASID] = 0x6,    /* the live mm keeps its PASID */
	[OP_UNBIND_DEFUNCT] = 0x4,  /* free when the call returns */
	[OP_BIND_DEFUNCT] = 0x6,
	[OP_ATTACH_DEFUNCT] = 0xe,
	[OP_DETACH_DEFUNCT] = 0x6,
	[OP_RELEASE_DEFUNCT] = 0x4,
	[OP_EXIT_LAST] = 0x2,
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

static int unbind_pasid(struct world *w, uint32_t pasid)
{
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = VFIO_IOMMU_BIND_PASID,
		.pasid = pasid,
	};

	return xioctl(w->c, VFIO_IOMMU_UNBIND, (unsigned long)&b);
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
	case OP_UNBIND_PASID:
	case OP_UNBIND_DEFUNCT:
	case OP_DETACH_DEFUNCT:
	case OP_RELEASE_DEFUNCT:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->other, true), 0);
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->me, false), 0);
		break;
	case OP_BIND_DEFUNCT:
	case OP_EXIT_LAST:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->other, true), 0);
		break;
	case OP_ATTACH_DEFUNCT:
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->other, true), 0);
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->me, false), 0);
		assert_int_equal(bind_op(w, VFIO_IOMMU_BIND, w->third, true), 0);
		kshim_exit(w->third);
		break;
	default:
		fail();
	}
	/* other's bond goes defunct */
	if (op == OP_UNBIND_DEFUNCT || op == OP_BIND_DEFUNCT ||
	    op == OP_DETACH_DEFUNCT || op == OP_RELEASE_DEFUNCT)
		kshim_exit(w->other);
	if (op == OP_RELEASE || op == OP_RELEASE_DEFUNCT)
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
	case OP_BIND_DEFUNCT:
		ret = bind_op(w, VFIO_IOMMU_BIND, w->me, false);
		break;
	case OP_BIND_FOREIGN:
		ret = bind_op(w, VFIO_IOMMU_BIND, w->third, true);
		break;
	case OP_UNBIND:
		ret = bind_op(w, VFIO_IOMMU_UNBIND, w->me, false);
		break;
	case OP_UNBIND_PASID:
		ret = unbind_pasid(w, 2); /* me's */
		break;
	case OP_UNBIND_DEFUNCT:
		ret = unbind_pasid(w, 1); /* other's */
		break;
	case OP_ATTACH:
	case OP_ATTACH_DEFUNCT:
		ret = set_container(w, 2);
		break;
	case OP_DETACH:
	case OP_DETACH_DEFUNCT:
		ret = xioctl(w->g[1], VFIO_GROUP_UNSET_CONTAINER, 0);
		break;
	case OP_RELEASE:
	case OP_RELEASE_DEFUNCT:
		ret = xioctl(w->g[0], VFIO_GROUP_UNSET_CONTAINER, 0);
		break;
	case OP_EXIT:
	case OP_EXIT_LAST:
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
	case OP_BIND_DEFUNCT:
		return w->me;
	case OP_BIND_FOREIGN:
		return w->third;
	default:
		return NULL;
	}
}

static bool pasid_used(struct world *w, uint32_t pasid)
{
	bool used;

	kshim_model_lock();
	used = pasid_in_use(kshim_pasids(w->k), pasid);
	kshim_model_unlock();
	return used;
}

/* A PASID the failure left must be the bound process's lifetime PASID:
 * after its exit, the bond the repeated call made holds it, defunct, and
 * unbinding that PASID frees it. */
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
	assert_true(pasid_used(w, (uint32_t)extra));
	assert_int_equal(unbind_pasid(w, (uint32_t)extra), 0);
	assert_false(pasid_used(w, (uint32_t)extra));
}

static void assert_after_success(struct world *w, enum op op)
{
	char now[1024];

	if (!after_success[op])
		return;
	for (uint32_t p = 1; p <= 3; p++)
		if (pasid_used(w, p) != !!(pasids_after[op] & 1u << p))
			fail_msg("%s: PASID %u %s after success", op_names[op],
				 p, pasid_used(w, p) ? "allocated" : "free");
	kshim_flush_work();
	kpatch_type1_describe(kvfio_iommu_data(w->c), now, sizeof(now));
	if (strcmp(now, after_success[op]) != 0)
		fail_msg("%s: after success:\n  want %s\n  got  %s",
			 op_names[op], after_success[op], now);
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
			assert_after_success(&w, op);
			world_destroy(&w);
			break;
		}
		fired_total++;
		if (op == OP_DETACH || op == OP_RELEASE || op == OP_EXIT ||
		    op == OP_DETACH_DEFUNCT || op == OP_RELEASE_DEFUNCT ||
		    op == OP_EXIT_LAST) {
			/* void paths: nothing may fail on the way down */
			fail_msg("%s: a teardown path reached a fault point", what);
		}
		/* type1 reports a failed domain allocation as -EIO */
		if (ret != expected_errno(site) &&
		    !((op == OP_ATTACH || op == OP_ATTACH_DEFUNCT) &&
		      site == KSHIM_FAULT_ALLOC && ret == EIO))
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

static void test_unbind_pasid(void **state)
{
	(void)state;
	/* copy_from_user only; removing a defunct bond, and waiting for
	 * its notifier to be freed, has no fault point */
	assert_int_equal(sweep(OP_UNBIND_PASID), 1);
	assert_int_equal(sweep(OP_UNBIND_DEFUNCT), 1);
}

static void test_bind_beside_defunct(void **state)
{
	(void)state;
	/* as the container's first bond: the defunct one enabled nothing */
	assert_int_equal(sweep(OP_BIND_DEFUNCT), 1 + 2 * 4 + 2 + 2 * 2 + 1);
}

static void test_attach_with_defunct(void **state)
{
	(void)state;
	/* as OP_ATTACH: the defunct bond is not replayed */
	assert_int_equal(sweep(OP_ATTACH_DEFUNCT), 1 + 3 + 4 + 2 * 2);
}

static void test_teardown_paths_defunct(void **state)
{
	(void)state;
	assert_int_equal(sweep(OP_DETACH_DEFUNCT), 0);
	assert_int_equal(sweep(OP_RELEASE_DEFUNCT), 0);
	assert_int_equal(sweep(OP_EXIT_LAST), 0);
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
		cmocka_unit_test(test_unbind_pasid),
		cmocka_unit_test(test_bind_beside_defunct),
		cmocka_unit_test(test_attach_with_defunct),
		cmocka_unit_test(test_teardown_paths_defunct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
