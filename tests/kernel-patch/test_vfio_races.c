/* SPDX-License-Identifier: MIT */
/*
 * Races in the VFIO bind patch: threads binding and unbinding while a
 * bound process exits, a group is detached and attached again, or the
 * container is released; and the exit that makes a bond defunct racing
 * with VFIO_IOMMU_UNBIND by PASID and with the container's release. Run
 * under ThreadSanitizer by ./dev.sh test (label "threads"), and under
 * ASan with the rest of the suite.
 *
 * Each round starts the threads together on a barrier and lets the
 * disturbing thread act after a round-dependent number of spins, so the
 * rounds cover different interleavings. Every result must be one the
 * uapi comment allows, and at the end nothing is bound, SVA is off on
 * every device, and nothing leaks.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "kshim.h"
#include "kvfio.h"
#include "vfio_bind_uapi.h"

#define ROUNDS 24
#define LOOPS 40

struct world {
	struct kshim *k;
	struct device *d1, *d2;
	struct task_struct *root, *me, *victim;
	int c, g1, g2;
	pthread_barrier_t start;
	unsigned delay, delay2;
	uint32_t pasid;          /* the victim's, for unbind by PASID */
	atomic_uint bound, unbound;
	atomic_int bad_errno; /* first unexpected result seen by a thread */
};

/* cmocka may not fail from another thread: keep the first bad result. */
static void report(struct world *w, int r)
{
	int zero = 0;

	atomic_compare_exchange_strong(&w->bad_errno, &zero, r ? r : -1);
}

static int xioctl(int fd, unsigned long req, unsigned long arg)
{
	return kvfio_ioctl(fd, req, arg) < 0 ? errno : 0;
}

static int bind_pid(struct world *w, unsigned long req, struct task_struct *t)
{
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = VFIO_IOMMU_BIND_PID,
		.pid = kshim_task_pid(t),
	};

	return xioctl(w->c, req, (unsigned long)&b);
}

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n * 500; i++)
		;
}

static void world_create_n(struct world *w, unsigned delay, unsigned nthreads)
{
	struct kshim_config cfg = { .preset = "full" };
	struct sva_dev_params p1 = { .sid = 0x10, .pasid_bits = 20,
				     .flags = SVA_DEV_PRI };
	struct sva_dev_params p2 = { .sid = 0x11, .pasid_bits = 20,
				     .flags = SVA_DEV_STALL };

	memset(w, 0, sizeof(*w));
	w->delay = delay;
	w->k = kshim_create(&cfg);
	assert_non_null(w->k);
	kvfio_init(w->k);
	w->d1 = kshim_add_device(w->k, &p1, kshim_group_create(w->k, 1));
	w->d2 = kshim_add_device(w->k, &p2, kshim_group_create(w->k, 2));
	assert_non_null(w->d2);
	w->root = kshim_spawn(w->k, 0);
	w->me = kshim_spawn(w->k, 1000);
	w->victim = kshim_spawn(w->k, 1000);
	assert_non_null(w->victim);
	kshim_set_current(w->root);
	w->c = kvfio_open("/dev/vfio/vfio", O_RDWR);
	w->g1 = kvfio_open("/dev/vfio/1", O_RDWR);
	w->g2 = kvfio_open("/dev/vfio/2", O_RDWR);
	assert_true(w->c >= 0 && w->g1 >= 0 && w->g2 >= 0);
	assert_int_equal(xioctl(w->g1, VFIO_GROUP_SET_CONTAINER,
				(unsigned long)&w->c), 0);
	assert_int_equal(xioctl(w->g2, VFIO_GROUP_SET_CONTAINER,
				(unsigned long)&w->c), 0);
	assert_int_equal(xioctl(w->c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(pthread_barrier_init(&w->start, NULL, nthreads), 0);
}

static void world_create(struct world *w, unsigned delay)
{
	world_create_n(w, delay, 2);
}

/* Nothing bound, SVA off, nothing leaked. */
static void world_check_and_destroy(struct world *w)
{
	struct kshim_counts c;

	kshim_set_current(w->root);
	kvfio_reset();
	kshim_flush_work();
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(w->d1)), 0);
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(w->d2)), 0);
	assert_int_equal(sva_dev_features(kshim_device_sva(w->d1)), 0);
	assert_int_equal(sva_dev_features(kshim_device_sva(w->d2)), 0);
	kshim_counts(&c);
	assert_int_equal(c.notifiers, 0);
	assert_int_equal(c.pending_frees, 0);
	assert_int_equal(c.sva_handles, 0);
	assert_int_equal(c.warnings, 0);
	pthread_barrier_destroy(&w->start);
	put_task_struct(w->root);
	put_task_struct(w->me);
	put_task_struct(w->victim);
	kshim_set_current(NULL);
	kshim_destroy(w->k);
}

/* Bind and unbind the victim by PID until it is gone. */
static void *binder(void *arg)
{
	struct world *w = arg;

	kshim_set_current(w->root);
	pthread_barrier_wait(&w->start);
	for (unsigned i = 0; i < LOOPS; i++) {
		int r = bind_pid(w, VFIO_IOMMU_BIND, w->victim);

		/* ESRCH once it is a zombie; ENODEV between the last
		 * group's detach and the container's release (driver
		 * ioctls take no core lock, as in 6.1); EINVAL once the
		 * container has no IOMMU driver left (released) */
		if (r != 0 && r != ESRCH && r != EINVAL && r != ENODEV)
			report(w, r);
		if (r == 0)
			atomic_fetch_add(&w->bound, 1);
		r = bind_pid(w, VFIO_IOMMU_UNBIND, w->victim);
		if (r != 0 && r != ESRCH && r != EINVAL)
			report(w, r);
		if (r == 0)
			atomic_fetch_add(&w->unbound, 1);
	}
	return NULL;
}

static void *exiter(void *arg)
{
	struct world *w = arg;

	kshim_set_current(w->victim);
	pthread_barrier_wait(&w->start);
	spin(w->delay);
	kshim_exit(w->victim);
	kshim_set_current(NULL);
	return NULL;
}

static void *detacher(void *arg)
{
	struct world *w = arg;

	kshim_set_current(w->root);
	pthread_barrier_wait(&w->start);
	for (unsigned i = 0; i < 6; i++) {
		int r;

		spin(w->delay);
		r = xioctl(w->g2, VFIO_GROUP_UNSET_CONTAINER, 0);
		if (r)
			report(w, r);
		spin(w->delay);
		r = xioctl(w->g2, VFIO_GROUP_SET_CONTAINER,
			   (unsigned long)&w->c);
		if (r)
			report(w, r);
	}
	return NULL;
}

static void *releaser(void *arg)
{
	struct world *w = arg;

	kshim_set_current(w->root);
	pthread_barrier_wait(&w->start);
	spin(w->delay);
	/* the last two groups leave: the container's IOMMU data goes */
	if (xioctl(w->g2, VFIO_GROUP_UNSET_CONTAINER, 0) ||
	    xioctl(w->g1, VFIO_GROUP_UNSET_CONTAINER, 0))
		report(w, errno);
	return NULL;
}

/* Unbind the victim's bond by PASID once, after delay2 spins: whether
 * the bond is still live or already defunct, it is there until this or
 * the container's release removes it. A second call finds nothing. */
static void *pasid_unbinder(void *arg)
{
	struct world *w = arg;
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = VFIO_IOMMU_BIND_PASID,
		.pasid = w->pasid,
	};
	int r;

	kshim_set_current(w->me);
	pthread_barrier_wait(&w->start);
	spin(w->delay2);
	r = xioctl(w->c, VFIO_IOMMU_UNBIND, (unsigned long)&b);
	/* ESRCH or EINVAL: the container's release came first (its bonds
	 * removed, then its IOMMU driver gone) */
	if (r != 0 && r != ESRCH && r != EINVAL)
		report(w, r);
	if (r == 0)
		atomic_fetch_add(&w->unbound, 1);
	r = xioctl(w->c, VFIO_IOMMU_UNBIND, (unsigned long)&b);
	if (r != ESRCH && r != EINVAL)
		report(w, r ? r : -2);
	return NULL;
}

static void run_three(struct world *w, void *(*a)(void *), void *(*b)(void *),
		      void *(*c)(void *))
{
	pthread_t ta, tb, tc;

	assert_int_equal(pthread_create(&ta, NULL, a, w), 0);
	assert_int_equal(pthread_create(&tb, NULL, b, w), 0);
	assert_int_equal(pthread_create(&tc, NULL, c, w), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(pthread_join(tc, NULL), 0);
	assert_int_equal(atomic_load(&w->bad_errno), 0);
}

static bool pasid_used(struct world *w, uint32_t pasid)
{
	bool used;

	kshim_model_lock();
	used = pasid_in_use(kshim_pasids(w->k), pasid);
	kshim_model_unlock();
	return used;
}

static void run_pair(struct world *w, void *(*a)(void *), void *(*b)(void *))
{
	pthread_t ta, tb;

	assert_int_equal(pthread_create(&ta, NULL, a, w), 0);
	assert_int_equal(pthread_create(&tb, NULL, b, w), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(atomic_load(&w->bad_errno), 0);
}

/* bind/unbind against the bound process's exit */
static void test_bind_vs_exit(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct world w;

		world_create(&w, r * 7);
		run_pair(&w, binder, exiter);
		/* whatever was bound last went at the exit or the unbind */
		kshim_flush_work();
		assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(w.d1)), 0);
		assert_true(atomic_load(&w.bound) >= atomic_load(&w.unbound));
		world_check_and_destroy(&w);
	}
}

/*
 * The bound process exits at every step of a bind: at the n-th kernel
 * call the bind makes (the fail-nth points), an exit starts on another
 * thread; the binder waits briefly for it (it may finish at once, or
 * block on a lock the bind holds and finish after), then goes on. Either
 * way the bind returns 0 or ESRCH, the exit leaves the devices unbound,
 * the bond (if made) is defunct and can be unbound by PASID, and the
 * teardown finds nothing leaked.
 */
struct exit_at {
	struct world *w;
	pthread_t t;
	atomic_bool started, done;
};

static void *exit_victim(void *arg)
{
	struct exit_at *e = arg;

	kshim_set_current(e->w->victim);
	kshim_exit(e->w->victim);
	kshim_set_current(NULL);
	atomic_store(&e->done, true);
	return NULL;
}

static void start_exit(void *ctx)
{
	struct exit_at *e = ctx;
	struct timespec ms = { 0, 1000000 };

	if (atomic_exchange(&e->started, true))
		return;
	if (pthread_create(&e->t, NULL, exit_victim, e)) {
		atomic_store(&e->started, false);
		return;
	}
	for (unsigned i = 0; i < 20 && !atomic_load(&e->done); i++)
		nanosleep(&ms, NULL);
}

static void test_exit_at_every_bind_step(void **state)
{
	struct world w;
	unsigned points, results[2] = { 0, 0 };

	(void)state;
	/* how many injectable calls a bind of another process makes */
	world_create(&w, 0);
	kshim_fail_nth(0);
	assert_int_equal(bind_pid(&w, VFIO_IOMMU_BIND, w.victim), 0);
	points = kshim_fault_points();
	assert_true(points > 4);
	assert_int_equal(bind_pid(&w, VFIO_IOMMU_UNBIND, w.victim), 0);
	world_check_and_destroy(&w);

	for (unsigned n = 1; n <= points; n++) {
		struct exit_at e = { .w = &w };
		int r;

		struct vfio_iommu_type1_bind bb = {
			.argsz = sizeof(bb), .flags = VFIO_IOMMU_BIND_PID,
		};

		world_create(&w, 0);
		bb.pid = kshim_task_pid(w.victim);
		kshim_hook_nth(n, start_exit, &e);
		r = xioctl(w.c, VFIO_IOMMU_BIND, (unsigned long)&bb);
		kshim_hook_nth(0, NULL, NULL);
		if (r != 0 && r != ESRCH)
			fail_msg("step %u: bind returned %d", n, r);
		results[r == 0]++;
		assert_true(atomic_load(&e.started));
		assert_int_equal(pthread_join(e.t, NULL), 0);
		kshim_flush_work();
		/* the exit unbound the devices whatever the bind did */
		assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(w.d1)), 0);
		assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(w.d2)), 0);
		if (r == 0) {
			/* a defunct bond: named by PASID, it goes */
			struct vfio_iommu_type1_bind b = {
				.argsz = sizeof(b),
				.flags = VFIO_IOMMU_BIND_PASID,
			};

			b.pasid = bb.pasid;
			assert_int_equal(xioctl(w.c, VFIO_IOMMU_UNBIND,
						(unsigned long)&b), 0);
		}
		/* the victim is a zombie now: binding it again is ESRCH */
		assert_int_equal(bind_pid(&w, VFIO_IOMMU_BIND, w.victim),
				 ESRCH);
		world_check_and_destroy(&w);
	}
	/* an exit at the first step beats the bind's mm lookup; one at a
	 * later step finds the bind holding the mm, so the bond is made and
	 * goes defunct */
	print_message("exit at each of %u bind steps: %u ESRCH, %u bound "
		      "then defunct\n", points, results[0], results[1]);
	assert_true(results[0] > 0);
	assert_true(results[1] > 0);
}

/* bind/unbind against group detach and re-attach */
static void test_bind_vs_detach(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS / 2; r++) {
		struct world w;

		world_create(&w, r * 5);
		run_pair(&w, binder, detacher);
		/* a detach or attach never makes a bind or unbind fail */
		assert_int_equal(atomic_load(&w.bound), LOOPS);
		assert_int_equal(atomic_load(&w.unbound), LOOPS);
		world_check_and_destroy(&w);
	}
}

/* bind/unbind against container release */
static void test_bind_vs_release(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct world w;

		world_create(&w, r * 9);
		run_pair(&w, binder, releaser);
		world_check_and_destroy(&w);
	}
}

/* a bound process exits while the container is released */
static void test_exit_vs_release(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct world w;

		world_create(&w, r * 3);
		assert_int_equal(bind_pid(&w, VFIO_IOMMU_BIND, w.victim), 0);
		assert_int_equal(bind_pid(&w, VFIO_IOMMU_BIND, w.me), 0);
		run_pair(&w, exiter, releaser);
		world_check_and_destroy(&w);
	}
}

/* Bind the victim (its PASID is 1) as the container's only bond. */
static void bind_victim(struct world *w)
{
	struct vfio_iommu_type1_bind b = {
		.argsz = sizeof(b), .flags = VFIO_IOMMU_BIND_PID,
		.pid = kshim_task_pid(w->victim),
	};

	assert_int_equal(xioctl(w->c, VFIO_IOMMU_BIND, (unsigned long)&b), 0);
	assert_int_equal(b.pasid, 1);
	w->pasid = b.pasid;
}

/* the exit that makes the bond defunct against UNBIND by PASID: exactly
 * one unbind succeeds, whichever state it finds, and once both are done
 * and the grace period is over the PASID is free */
static void test_defunct_vs_unbind_pasid(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct world w;

		world_create(&w, r * 7);
		w.delay2 = (ROUNDS - r) * 5;
		bind_victim(&w);
		run_pair(&w, exiter, pasid_unbinder);
		assert_int_equal(atomic_load(&w.unbound), 1);
		kshim_flush_work();
		assert_false(pasid_used(&w, w.pasid));
		world_check_and_destroy(&w);
	}
}

/* the same, with the container released meanwhile: the bond is removed
 * exactly once (by the unbind or by the release), nothing leaks, and the
 * PASID is free at the end */
static void test_defunct_vs_unbind_pasid_vs_release(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct world w;

		world_create_n(&w, r * 3, 3);
		w.delay2 = (r % 6) * 11;
		bind_victim(&w);
		run_three(&w, exiter, pasid_unbinder, releaser);
		assert_true(atomic_load(&w.unbound) <= 1);
		kshim_flush_work();
		assert_false(pasid_used(&w, w.pasid));
		world_check_and_destroy(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_vs_exit),
		cmocka_unit_test(test_exit_at_every_bind_step),
		cmocka_unit_test(test_bind_vs_detach),
		cmocka_unit_test(test_bind_vs_release),
		cmocka_unit_test(test_exit_vs_release),
		cmocka_unit_test(test_defunct_vs_unbind_pasid),
		cmocka_unit_test(test_defunct_vs_unbind_pasid_vs_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
