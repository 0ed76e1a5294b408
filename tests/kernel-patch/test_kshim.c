/* SPDX-License-Identifier: MIT */
/*
 * The kernel-API shim itself (kernel-patch/shim/kshim.h, kvfio.h): task
 * and mm lifetimes, the ptrace rule of mm_access, PIDs, mmu_notifier
 * release and free ordering, fault injection, the 6.1 SVA calls and the
 * VFIO core's file rules (with a fake IOMMU driver, not type1).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vfio.h>

#include "host/os.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pasid/sva_linux.h"
#include "pri/iopf.h"
#include "kshim.h"
#include "kvfio.h"

struct fx {
	struct kshim *k;
	struct kshim_counts base;
};

static struct fx F;

static int setup(void **state)
{
	struct kshim_config cfg = { .preset = "full", .seed = 1 };

	(void)state;
	F.k = kshim_create(&cfg);
	assert_non_null(F.k);
	kshim_counts(&F.base);
	return 0;
}

static int teardown(void **state)
{
	struct kshim_counts c;

	(void)state;
	kvfio_reset();
	kshim_flush_work();
	kshim_counts(&c);
	assert_int_equal(c.allocs, 0);
	assert_int_equal(c.notifiers, 0);
	assert_int_equal(c.pending_frees, 0);
	assert_int_equal(c.pending_work, 0);
	assert_int_equal(c.device_refs, 0);
	assert_int_equal(c.sva_handles, 0);
	assert_int_equal(c.warnings, 0);
	kshim_fail_nth(0);
	kshim_set_current(NULL);
	kshim_destroy(F.k);
	F.k = NULL;
	return 0;
}

static struct task_struct *spawn(uint32_t uid)
{
	struct task_struct *t = kshim_spawn(F.k, uid);

	assert_non_null(t);
	return t;
}

static void exit_reap_put(struct task_struct *t)
{
	kshim_exit(t);
	assert_int_equal(kshim_reap(t), 0);
	put_task_struct(t);
}

static struct kshim_counts counts(void)
{
	struct kshim_counts c;

	kshim_counts(&c);
	return c;
}

static uint64_t ttb(struct mm_struct *mm)
{
	uint64_t v;

	kshim_model_lock();
	v = hmm_ttb(kshim_mm_hmm(mm));
	kshim_model_unlock();
	return v;
}

/* --- a test notifier --- */

struct tn {
	struct mmu_notifier mn;
	atomic_int releases;
	atomic_int frees;
	bool put_in_release;
	uint64_t ttb_at_release;
	int users_at_release;
	int order;
};

static atomic_int tn_seq;

static void tn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct tn *t = container_of(mn, struct tn, mn);

	atomic_fetch_add(&t->releases, 1);
	assert_ptr_equal(mn->mm, mm);
	t->ttb_at_release = ttb(mm);
	t->users_at_release = (int)kshim_mm_users(mm);
	t->order = atomic_fetch_add(&tn_seq, 1) + 1;
	if (t->put_in_release)
		mmu_notifier_put(mn);
}

static void tn_free(struct mmu_notifier *mn)
{
	struct tn *t = container_of(mn, struct tn, mn);

	atomic_fetch_add(&t->frees, 1);
}

static const struct mmu_notifier_ops tn_ops = {
	.release = tn_release,
	.free_notifier = tn_free,
};

static struct tn *tn_new(void)
{
	struct tn *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->mn.ops = &tn_ops;
	return t;
}

/* --- tasks and mms --- */

static void test_task_lifecycle(void **state)
{
	struct task_struct *t;
	struct mm_struct *mm, *m2;

	(void)state;
	t = spawn(1000);
	assert_int_equal(kshim_task_pid(t), 1);
	assert_int_equal(counts().tasks, 1);
	assert_int_equal(counts().mm_structs, 1);
	mm = kshim_task_mm(t);
	assert_non_null(mm);
	assert_int_equal(kshim_mm_users(mm), 1);
	assert_non_null(kshim_mm_hmm(mm));
	assert_ptr_equal(kshim_mm_hmm(mm), hproc_mm(kshim_task_hproc(t)));

	m2 = get_task_mm(t);
	assert_ptr_equal(m2, mm);
	assert_int_equal(kshim_mm_users(mm), 2);
	assert_true(mmget_not_zero(mm));
	assert_int_equal(kshim_mm_users(mm), 3);
	mmput(mm);
	mmput(mm);
	assert_int_equal(kshim_mm_users(mm), 1);

	get_task_struct(t);
	put_task_struct(t);
	assert_int_equal(counts().tasks, 1);

	assert_int_equal(kshim_reap(t), -EINVAL); /* not a zombie */
	kshim_exit(t);
	assert_null(kshim_task_mm(t));
	assert_null(get_task_mm(t));
	assert_int_equal(counts().mm_structs, 0);
	assert_int_equal(kshim_exec(t), -ESRCH);
	kshim_exit(t); /* twice: nothing */
	assert_non_null(kshim_task_hproc(t));
	assert_int_equal(kshim_reap(t), 0);
	assert_null(kshim_task_hproc(t));
	assert_int_equal(kshim_reap(t), -EINVAL);
	assert_int_equal(counts().tasks, 1); /* the caller's reference */
	put_task_struct(t);
	assert_int_equal(counts().tasks, 0);
	assert_int_equal(hos_nr_procs(kshim_os(F.k)), 0);
}

static void test_fork_clone_exec(void **state)
{
	struct task_struct *p, *child, *thr;
	struct mm_struct *pm, *cm, *nm;

	(void)state;
	p = spawn(1000);
	pm = kshim_task_mm(p);
	child = kshim_fork(p);
	assert_non_null(child);
	assert_int_equal(kshim_task_pid(child), 2);
	cm = kshim_task_mm(child);
	assert_ptr_not_equal(cm, pm);
	assert_int_equal(kshim_mm_users(cm), 1);
	assert_int_equal(hproc_ppid(kshim_task_hproc(child)), 1);

	thr = kshim_clone_vm(p);
	assert_non_null(thr);
	assert_int_equal(kshim_task_pid(thr), 3);
	assert_ptr_equal(kshim_task_mm(thr), pm);
	assert_int_equal(kshim_mm_users(pm), 2);
	assert_int_equal(counts().mm_structs, 2);

	/* exec in the thread: a new mm for it, the old one loses a user */
	assert_int_equal(kshim_exec(thr), 0);
	nm = kshim_task_mm(thr);
	assert_ptr_not_equal(nm, pm);
	assert_int_equal(kshim_mm_users(nm), 1);
	assert_int_equal(kshim_mm_users(pm), 1);
	assert_int_equal(counts().mm_structs, 3);
	kshim_model_lock();
	assert_int_equal(hmm_users(kshim_mm_hmm(pm)), 1);
	kshim_model_unlock();

	/* exec in the last user: the old mm goes */
	assert_int_equal(kshim_exec(p), 0);
	assert_int_equal(counts().mm_structs, 3);
	assert_ptr_not_equal(kshim_task_mm(p), pm);

	exit_reap_put(thr);
	exit_reap_put(child);
	exit_reap_put(p);
	assert_int_equal(counts().mm_structs, 0);
	assert_int_equal(counts().tasks, 0);

	/* an exited task forks and clones nothing */
	p = spawn(1);
	kshim_exit(p);
	assert_null(kshim_fork(p));
	assert_null(kshim_clone_vm(p));
	assert_int_equal(kshim_reap(p), 0);
	put_task_struct(p);
}

static void test_mm_access(void **state)
{
	struct task_struct *a = spawn(1000), *b = spawn(1000), *c = spawn(2000);
	struct task_struct *root = spawn(0), *thr;
	struct mm_struct *mm;

	(void)state;
	/* no current: no credentials to pass the check */
	mm = mm_access(b, PTRACE_MODE_ATTACH_REALCREDS);
	assert_int_equal(PTR_ERR(mm), -EACCES);

	kshim_set_current(a);
	assert_ptr_equal(kshim_get_current(), a);
	mm = mm_access(b, PTRACE_MODE_ATTACH_REALCREDS); /* same uid */
	assert_false(IS_ERR(mm));
	assert_ptr_equal(mm, kshim_task_mm(b));
	assert_int_equal(kshim_mm_users(mm), 2);
	mmput(mm);

	mm = mm_access(c, PTRACE_MODE_ATTACH_REALCREDS); /* other uid */
	assert_true(IS_ERR(mm));
	assert_int_equal(PTR_ERR(mm), -EACCES);
	assert_int_equal(kshim_mm_users(kshim_task_mm(c)), 1);

	kshim_set_current(root); /* uid 0 */
	mm = mm_access(c, PTRACE_MODE_ATTACH_REALCREDS);
	assert_false(IS_ERR(mm));
	mmput(mm);

	/* own mm: always, even where the uid check would fail */
	thr = kshim_clone_vm(a);
	assert_non_null(thr);
	kshim_model_lock();
	hproc_set_uid(kshim_task_hproc(thr), 3000);
	kshim_model_unlock();
	kshim_set_current(a);
	mm = mm_access(thr, PTRACE_MODE_ATTACH_REALCREDS);
	assert_ptr_equal(mm, kshim_task_mm(a));
	mmput(mm);
	mm = mm_access(a, PTRACE_MODE_ATTACH_REALCREDS);
	assert_ptr_equal(mm, kshim_task_mm(a));
	mmput(mm);

	/* a zombie has no mm */
	kshim_exit(b);
	mm = mm_access(b, PTRACE_MODE_ATTACH_REALCREDS);
	assert_int_equal(PTR_ERR(mm), -ESRCH);
	kshim_set_current(root);
	mm = mm_access(b, PTRACE_MODE_ATTACH_REALCREDS);
	assert_int_equal(PTR_ERR(mm), -ESRCH);

	/* an exited current passes no check */
	kshim_exit(root);
	kshim_set_current(root);
	mm = mm_access(c, PTRACE_MODE_ATTACH_REALCREDS);
	assert_int_equal(PTR_ERR(mm), -EACCES);
	kshim_set_current(NULL);

	assert_int_equal(kshim_reap(b), 0);
	put_task_struct(b);
	assert_int_equal(kshim_reap(root), 0);
	put_task_struct(root);
	exit_reap_put(thr);
	exit_reap_put(a);
	exit_reap_put(c);
}

static void test_pids(void **state)
{
	struct task_struct *a = spawn(1000), *b = spawn(1000), *c, *t;
	struct pid *pa, *pa2, *pc;

	(void)state;
	assert_null(find_get_pid(0));
	assert_null(find_get_pid(77));
	assert_null(get_pid_task(NULL, PIDTYPE_PID));
	put_pid(NULL);

	/* live */
	pa = find_get_pid(1);
	assert_non_null(pa);
	pa2 = find_get_pid(1);
	assert_ptr_equal(pa, pa2);
	put_pid(pa2);
	t = get_pid_task(pa, PIDTYPE_PID);
	assert_ptr_equal(t, a);
	put_task_struct(t);

	/* zombie: still found */
	kshim_exit(a);
	t = get_pid_task(pa, PIDTYPE_PID);
	assert_ptr_equal(t, a);
	put_task_struct(t);
	pa2 = find_get_pid(1);
	assert_ptr_equal(pa2, pa);
	put_pid(pa2);

	/* reaped: gone, though the struct pid lives on */
	assert_int_equal(kshim_reap(a), 0);
	put_task_struct(a);
	assert_int_equal(counts().tasks, 1);
	assert_null(get_pid_task(pa, PIDTYPE_PID));
	assert_null(find_get_pid(1));

	/* reused: the number names the new task, the old pid nothing */
	kshim_model_lock();
	assert_true(hos_set_pid_max(kshim_os(F.k), 3));
	kshim_model_unlock();
	c = spawn(1000);
	assert_int_equal(kshim_task_pid(c), 1);
	assert_null(get_pid_task(pa, PIDTYPE_PID));
	pc = find_get_pid(1);
	assert_non_null(pc);
	assert_ptr_not_equal(pc, pa);
	t = get_pid_task(pc, PIDTYPE_PID);
	assert_ptr_equal(t, c);
	put_task_struct(t);
	put_pid(pc);
	put_pid(pa);

	/* out of PIDs */
	assert_null(kshim_spawn(F.k, 1000));
	exit_reap_put(b);
	exit_reap_put(c);
}

/* --- mmu_notifier --- */

static void test_release_at_exit(void **state)
{
	struct task_struct *t = spawn(1000);
	struct tn *a = tn_new(), *b = tn_new();
	struct mm_struct *mm = get_task_mm(t);

	(void)state;
	atomic_store(&tn_seq, 0);
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	assert_int_equal(mmu_notifier_register(&b->mn, mm), 0);
	assert_ptr_equal(a->mn.mm, mm);
	assert_int_equal(counts().notifiers, 2);
	b->put_in_release = true;
	mmput(mm);

	kshim_exit(t);
	/* once each, in registration order, before the teardown */
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_equal(atomic_load(&b->releases), 1);
	assert_int_equal(a->order, 1);
	assert_int_equal(b->order, 2);
	assert_int_not_equal(a->ttb_at_release, 0);
	assert_int_not_equal(b->ttb_at_release, 0);
	assert_int_equal(a->users_at_release, 0);
	/* now torn down; the notifiers keep the mm_struct */
	assert_int_equal(ttb(mm), 0);
	assert_int_equal(counts().mm_structs, 1);
	/* b's put in release(): freed only after a grace period */
	assert_int_equal(counts().pending_frees, 1);
	assert_int_equal(atomic_load(&b->frees), 0);
	kshim_flush_work();
	assert_int_equal(atomic_load(&b->frees), 1);
	assert_int_equal(counts().notifiers, 1);

	/* a put after the release: no second release(), freed at sync */
	mmu_notifier_put(&a->mn);
	assert_int_equal(atomic_load(&a->frees), 0);
	mmu_notifier_synchronize();
	assert_int_equal(atomic_load(&a->frees), 1);
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_equal(counts().notifiers, 0);
	assert_int_equal(counts().mm_structs, 0);
	assert_int_equal(kshim_reap(t), 0);
	put_task_struct(t);
	free(a);
	free(b);
}

/* A temporary reference outlives the exit: release() at the last mmput. */
static void test_release_at_last_mmput(void **state)
{
	struct task_struct *t = spawn(1000);
	struct tn *a = tn_new();
	struct mm_struct *mm = get_task_mm(t);
	int nr = kshim_task_pid(t);

	(void)state;
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	kshim_exit(t);
	assert_null(get_task_mm(t));
	assert_int_equal(atomic_load(&a->releases), 0);
	assert_int_equal(kshim_mm_users(mm), 1);
	assert_int_not_equal(ttb(mm), 0); /* the model waits too */

	/* reaped meanwhile: gone from the PID table at once */
	assert_int_equal(kshim_reap(t), 0);
	assert_null(find_get_pid(nr));
	kshim_model_lock();
	assert_non_null(hos_find(kshim_os(F.k), nr)); /* number still held */
	kshim_model_unlock();

	mmput(mm);
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_not_equal(a->ttb_at_release, 0);
	assert_int_equal(ttb(mm), 0);
	kshim_model_lock();
	assert_null(hos_find(kshim_os(F.k), nr));
	kshim_model_unlock();

	mmu_notifier_put(&a->mn);
	kshim_flush_work();
	assert_int_equal(atomic_load(&a->frees), 1);
	put_task_struct(t);
	free(a);
}

/* Zombie first, last mmput after: the model process is reaped by reap. */
static void test_last_mmput_before_reap(void **state)
{
	struct task_struct *t = spawn(1000);
	struct mm_struct *mm = get_task_mm(t);
	int nr = kshim_task_pid(t);

	(void)state;
	kshim_exit(t);
	mmput(mm);
	kshim_model_lock();
	assert_non_null(hos_find(kshim_os(F.k), nr));
	assert_true(hproc_is_zombie(hos_find(kshim_os(F.k), nr)));
	kshim_model_unlock();
	assert_int_equal(kshim_reap(t), 0);
	kshim_model_lock();
	assert_null(hos_find(kshim_os(F.k), nr));
	kshim_model_unlock();
	put_task_struct(t);
}

static void test_mmput_async(void **state)
{
	struct task_struct *t = spawn(1000);
	struct tn *a = tn_new();
	struct mm_struct *mm = get_task_mm(t);

	(void)state;
	a->put_in_release = true;
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	mmput_async(mm); /* not the last: nothing queued */
	assert_int_equal(counts().pending_work, 0);
	mm = get_task_mm(t);
	kshim_exit(t);
	mmput_async(mm); /* the last */
	assert_int_equal(counts().pending_work, 1);
	assert_int_equal(atomic_load(&a->releases), 0);
	assert_int_not_equal(ttb(mm), 0);
	kshim_flush_work();
	assert_int_equal(counts().pending_work, 0);
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_not_equal(a->ttb_at_release, 0);
	assert_int_equal(atomic_load(&a->frees), 1);
	assert_int_equal(counts().mm_structs, 0);
	assert_int_equal(kshim_reap(t), 0);
	put_task_struct(t);
	free(a);
}

static void test_put_before_exit(void **state)
{
	struct task_struct *t = spawn(1000);
	struct tn *a = tn_new(), *b = tn_new();
	struct mm_struct *mm = get_task_mm(t);

	(void)state;
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	assert_int_equal(mmu_notifier_register(&b->mn, mm), 0);
	mmu_notifier_put(&a->mn);
	assert_int_equal(counts().pending_frees, 1);
	assert_int_equal(atomic_load(&a->frees), 0);
	mmu_notifier_synchronize();
	assert_int_equal(atomic_load(&a->frees), 1);
	assert_int_equal(counts().notifiers, 1);
	mmput(mm);
	exit_reap_put(t);
	assert_int_equal(atomic_load(&a->releases), 0); /* unsubscribed */
	assert_int_equal(atomic_load(&b->releases), 1);
	mmu_notifier_put(&b->mn);
	kshim_flush_work();
	assert_int_equal(atomic_load(&b->frees), 1);
	free(a);
	free(b);
}

static void test_exec_release(void **state)
{
	struct task_struct *t = spawn(1000);
	struct tn *a = tn_new(), *b = tn_new();
	struct mm_struct *mm = get_task_mm(t), *old;

	(void)state;
	a->put_in_release = true;
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	mmput(mm);
	assert_int_equal(kshim_exec(t), 0);
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_not_equal(a->ttb_at_release, 0); /* before the teardown */
	assert_ptr_not_equal(kshim_task_mm(t), mm);
	kshim_flush_work();
	assert_int_equal(atomic_load(&a->frees), 1);

	/* A temporary reference across exec: release() at its mmput, after
	 * the model already tore the address space down (the limitation
	 * kshim_exec documents). */
	b->put_in_release = true;
	old = get_task_mm(t);
	assert_int_equal(mmu_notifier_register(&b->mn, old), 0);
	assert_int_equal(kshim_exec(t), 0);
	assert_int_equal(atomic_load(&b->releases), 0);
	assert_int_equal(ttb(old), 0);
	mmput(old);
	assert_int_equal(atomic_load(&b->releases), 1);
	assert_int_equal(b->ttb_at_release, 0);
	kshim_flush_work();
	assert_int_equal(atomic_load(&b->frees), 1);
	exit_reap_put(t);
	assert_int_equal(counts().mm_structs, 0);
	free(a);
	free(b);
}

/* Threads (CLONE_VM): the mm goes with the last of them. */
static void test_clone_exit(void **state)
{
	struct task_struct *p = spawn(1000), *thr;
	struct tn *a = tn_new();
	struct mm_struct *mm;

	(void)state;
	a->put_in_release = true;
	thr = kshim_clone_vm(p);
	mm = get_task_mm(thr);
	assert_int_equal(mmu_notifier_register(&a->mn, mm), 0);
	mmput(mm);
	exit_reap_put(p);
	assert_int_equal(atomic_load(&a->releases), 0);
	assert_int_equal(kshim_mm_users(mm), 1);
	kshim_model_lock();
	assert_int_equal(hmm_users(kshim_mm_hmm(mm)), 1);
	kshim_model_unlock();
	kshim_exit(thr);
	assert_int_equal(atomic_load(&a->releases), 1);
	assert_int_not_equal(a->ttb_at_release, 0);
	assert_int_equal(kshim_reap(thr), 0);
	put_task_struct(thr);
	kshim_flush_work();
	assert_int_equal(atomic_load(&a->frees), 1);
	free(a);
}

/* --- fault injection, memory, user copies --- */

static void test_fail_nth(void **state)
{
	static const enum kshim_fault_site want[] = {
		KSHIM_FAULT_ALLOC, KSHIM_FAULT_COPY_FROM, KSHIM_FAULT_COPY_TO,
		KSHIM_FAULT_NOTIFIER, KSHIM_FAULT_FEATURE,
		KSHIM_FAULT_SVA_BIND, KSHIM_FAULT_ALLOC,
	};
	struct sva_dev_params p = { .sid = 0x20, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct task_struct *t = spawn(1000);
	struct device *dev = kshim_add_device(F.k, &p, NULL);
	struct mm_struct *mm = get_task_mm(t);
	enum kshim_fault_site site;
	unsigned n;

	(void)state;
	assert_non_null(dev);
	assert_int_equal(iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA), 0);

	for (n = 0; n <= 8; n++) {
		struct iommu_domain *dom;
		struct iommu_sva *h;
		struct tn *a = tn_new();
		char in[4] = "abc", out[4] = { 0 };
		int ret;
		bool failed[7];

		kshim_fail_nth(n);
		void *blk = kzalloc(8, GFP_KERNEL);

		failed[0] = !blk;
		failed[1] = copy_from_user(out, in, 4) == 4;
		failed[2] = copy_to_user(out, in, 4) == 4;
		ret = mmu_notifier_register(&a->mn, mm);
		failed[3] = ret == -ENOMEM;
		ret = iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA);
		failed[4] = ret == -ENODEV; /* otherwise -EBUSY: enabled */
		assert_true(ret == -ENODEV || ret == -EBUSY);
		h = iommu_sva_bind_device(dev, mm, NULL);
		failed[5] = IS_ERR(h);
		if (IS_ERR(h))
			assert_int_equal(PTR_ERR(h), -ENOMEM);
		else
			assert_int_equal(iommu_sva_get_pasid(h), 1);
		dom = iommu_domain_alloc_group(kshim_device_group(dev));
		failed[6] = !dom;

		assert_int_equal(kshim_fault_points(), 7);
		for (unsigned i = 0; i < 7; i++)
			assert_int_equal(failed[i], n == i + 1);
		if (n >= 1 && n <= 7) {
			assert_true(kshim_fault_fired(&site));
			assert_int_equal(site, want[n - 1]);
		} else {
			assert_false(kshim_fault_fired(&site));
		}
		iommu_domain_free(dom);
		if (!IS_ERR(h))
			iommu_sva_unbind_device(h);
		if (!failed[3])
			mmu_notifier_put(&a->mn);
		kfree(blk);
		kshim_fail_nth(0);
		kshim_flush_work();
		free(a);
	}
	assert_string_equal(kshim_fault_site_name(KSHIM_FAULT_ALLOC), "alloc");
	assert_string_equal(kshim_fault_site_name(KSHIM_FAULT_SVA_BIND),
			    "sva_bind");
	assert_string_equal(kshim_fault_site_name(KSHIM_FAULT_NR), "?");

	assert_int_equal(iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_SVA), 0);
	assert_int_equal(iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_IOPF),
			 0);
	mmput(mm);
	exit_reap_put(t);
}

static void test_memory_and_copies(void **state)
{
	char src[16] = "0123456789", dst[16] = { 0 };
	void *a, *b;

	(void)state;
	a = kzalloc(32, GFP_KERNEL);
	b = kzalloc(0, GFP_KERNEL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(((unsigned char *)a)[31], 0);
	assert_int_equal(counts().allocs, 2);
	kfree(a);
	kfree(b);
	kfree(NULL);
	assert_int_equal(counts().allocs, 0);

	assert_int_equal(copy_from_user(dst, src, 10), 0);
	assert_memory_equal(dst, src, 10);
	assert_int_equal(copy_from_user(dst, NULL, 10), 10);
	assert_int_equal(copy_from_user(dst, (void *)(uintptr_t)4095, 3), 3);
	assert_int_equal(copy_to_user((void *)(uintptr_t)8, src, 4), 4);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(copy_to_user(dst, src, 5), 0);
	assert_memory_equal(dst, "01234", 5);

	assert_false(WARN_ON(0));
	assert_int_equal(counts().warnings, 0);
	assert_true(WARN_ON(1 + 1 == 2));
	assert_int_equal(counts().warnings, 1);
	kshim_counts(&F.base);
	/* teardown expects no warning: this one was wanted */
	kshim_destroy(F.k);
	F.k = kshim_create(NULL);
	assert_non_null(F.k);
	assert_int_equal(counts().warnings, 0);
}

/* --- devices, groups, SVA --- */

static int collect(struct device *dev, void *data)
{
	char *s = data;
	char buf[16];

	snprintf(buf, sizeof(buf), "%x ", sva_dev_sid(kshim_device_sva(dev)));
	strcat(s, buf);
	return sva_dev_sid(kshim_device_sva(dev)) == 0x32 ? 7 : 0;
}

static void test_groups(void **state)
{
	struct sva_dev_params p = { .sid = 0x30, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct iommu_group *g5, *g;
	struct device *d0, *d1, *d2, *d3;
	char seen[64] = "";

	(void)state;
	g5 = kshim_group_create(F.k, 5);
	assert_non_null(g5);
	assert_null(kshim_group_create(F.k, 5));
	assert_null(kshim_group_create(F.k, -1));
	assert_int_equal(kshim_group_id(g5), 5);
	assert_int_equal(kshim_group_nr_devices(g5), 0);
	assert_ptr_equal(kshim_find_group(F.k, 5), g5);
	assert_null(kshim_find_group(F.k, 6));

	d0 = kshim_add_device(F.k, &p, NULL); /* own group, lowest free id */
	assert_non_null(d0);
	g = kshim_device_group(d0);
	assert_int_equal(kshim_group_id(g), 0);
	assert_int_equal(kshim_group_nr_devices(g), 1);
	assert_null(kshim_add_device(F.k, &p, NULL)); /* SID taken */

	p.sid = 0x31;
	d1 = kshim_add_device(F.k, &p, g5);
	p.sid = 0x32;
	d2 = kshim_add_device(F.k, &p, g5);
	p.sid = 0x33;
	d3 = kshim_add_device(F.k, &p, g5);
	assert_non_null(d1);
	assert_non_null(d2);
	assert_non_null(d3);
	assert_ptr_equal(kshim_device_group(d2), g5);
	assert_int_equal(kshim_group_nr_devices(g5), 3);
	assert_int_equal(sva_dev_sid(kshim_device_sva(d3)), 0x33);

	/* in add order, stopping at the first non-zero */
	assert_int_equal(iommu_group_for_each_dev(g5, seen, collect), 7);
	assert_string_equal(seen, "31 32 ");

	assert_ptr_equal(get_device(d1), d1);
	get_device(d1);
	assert_int_equal(counts().device_refs, 2);
	put_device(d1);
	put_device(d1);
	assert_int_equal(counts().device_refs, 0);
	assert_null(get_device(NULL));
	put_device(NULL);
}

static void test_sva(void **state)
{
	struct sva_dev_params p = { .sid = 0x40, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct task_struct *t = spawn(1000), *u = spawn(1000);
	struct iommu_group *g2;
	struct device *d, *m1, *m2;
	struct mm_struct *mm = get_task_mm(t), *mu = get_task_mm(u);
	struct iommu_sva *h, *h2, *hu;

	(void)state;
	d = kshim_add_device(F.k, &p, NULL);
	assert_non_null(d);
	/* SVA needs IOPF first (the model's rule) */
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_SVA),
			 -EINVAL);
	h = iommu_sva_bind_device(d, mm, NULL);
	assert_int_equal(PTR_ERR(h), -ENODEV); /* SVA not enabled */
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_SVA), 0);
	assert_int_equal(sva_dev_features(kshim_device_sva(d)),
			 SVA_FEAT_SVA | SVA_FEAT_IOPF);

	h = iommu_sva_bind_device(d, mm, &p);
	assert_false(IS_ERR(h));
	assert_int_equal(iommu_sva_get_pasid(h), 1);
	h2 = iommu_sva_bind_device(d, mm, &p);
	assert_false(IS_ERR(h2));
	assert_int_equal(iommu_sva_get_pasid(h2), 1);
	hu = iommu_sva_bind_device(d, mu, NULL);
	assert_int_equal(iommu_sva_get_pasid(hu), 2);
	assert_int_equal(counts().sva_handles, 3);
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(d)), 2);
	assert_int_equal(iommu_sva_get_pasid(ERR_PTR(-EINVAL)),
			 IOMMU_PASID_INVALID);

	/* the I/O page-fault handler finds the bond's address space */
	assert_non_null(kshim_iopf(F.k));

	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_SVA),
			 -EBUSY);
	iommu_sva_unbind_device(h2);
	iommu_sva_unbind_device(h);
	iommu_sva_unbind_device(hu);
	iommu_sva_unbind_device(NULL);
	assert_int_equal(counts().sva_handles, 0);
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(d)), 0);
	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_IOPF),
			 -EBUSY);
	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_SVA), 0);
	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);

	/* 6.1: no SVA for a device that shares its group */
	g2 = kshim_group_create(F.k, 9);
	p.sid = 0x41;
	m1 = kshim_add_device(F.k, &p, g2);
	p.sid = 0x42;
	m2 = kshim_add_device(F.k, &p, g2);
	assert_non_null(m1);
	assert_non_null(m2);
	assert_int_equal(iommu_dev_enable_feature(m1, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(m1, IOMMU_DEV_FEAT_SVA), 0);
	kshim_fail_nth(1); /* the group rule comes before the bind site */
	h = iommu_sva_bind_device(m1, mm, NULL);
	assert_int_equal(PTR_ERR(h), -EINVAL);
	assert_int_equal(kshim_fault_points(), 0);
	kshim_fail_nth(0);
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(m1)), 0);
	assert_int_equal(counts().sva_handles, 0);
	iommu_dev_disable_feature(m1, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(m1, IOMMU_DEV_FEAT_IOPF);

	mmput(mm);
	mmput(mu);
	exit_reap_put(t);
	exit_reap_put(u);
}

static bool pasid_used(uint32_t pasid)
{
	bool used;

	kshim_model_lock();
	used = pasid_in_use(kshim_pasids(F.k), pasid);
	kshim_model_unlock();
	return used;
}

/*
 * 6.1's PASID lifetime: mm->pasid is freed with the mm_struct (the last
 * mmdrop), not when the address space is torn down. Whoever holds
 * mm_count keeps the PASID from every other mm: after the exit (the
 * teardown, with no bond left), and after the last unbind of a bond that
 * outlived the teardown.
 */
static void test_pasid_lives_with_mm_struct(void **state)
{
	struct sva_dev_params p = { .sid = 0x48, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct task_struct *t = spawn(1000), *u = spawn(1000), *v;
	struct mm_struct *mm = get_task_mm(t), *mu = get_task_mm(u), *mv;
	struct iommu_sva *h, *hu, *hv;
	struct device *d;

	(void)state;
	d = kshim_add_device(F.k, &p, NULL);
	assert_non_null(d);
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_SVA), 0);

	/* t: bound and unbound while alive, then exits; mm_count held */
	h = iommu_sva_bind_device(d, mm, NULL);
	assert_int_equal(iommu_sva_get_pasid(h), 1);
	iommu_sva_unbind_device(h);
	assert_true(pasid_used(1)); /* the live mm's */
	mmgrab(mm);
	mmput(mm);
	exit_reap_put(t);
	assert_int_equal(counts().mm_structs, 2);
	assert_true(pasid_used(1)); /* torn down, but the mm_struct lives */

	/* u: still bound when it exits; the unbind comes after teardown */
	hu = iommu_sva_bind_device(d, mu, NULL);
	assert_int_equal(iommu_sva_get_pasid(hu), 2);
	mmgrab(mu);
	mmput(mu);
	exit_reap_put(u);
	iommu_sva_unbind_device(hu);
	assert_true(pasid_used(2));

	/* a new mm gets neither */
	v = spawn(1000);
	mv = get_task_mm(v);
	hv = iommu_sva_bind_device(d, mv, NULL);
	assert_int_equal(iommu_sva_get_pasid(hv), 3);

	/* the last mmdrop frees each */
	mmdrop(mm);
	assert_false(pasid_used(1));
	assert_true(pasid_used(2));
	mmdrop(mu);
	assert_false(pasid_used(2));
	assert_int_equal(counts().mm_structs, 1);

	iommu_sva_unbind_device(hv);
	mmput(mv);
	exit_reap_put(v);
	assert_false(pasid_used(3));
	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_SVA), 0);
	assert_int_equal(iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);
}

struct dma_done {
	unsigned n;
	struct smmu_txn_result r;
};

static void on_dma(void *ctx, const struct smmu_txn *t,
		   const struct smmu_txn_result *r)
{
	struct dma_done *d = ctx;

	(void)t;
	d->n++;
	d->r = *r;
}

/* The fault handler finds a bond's address space through the handles:
 * a stalled DMA to a page never touched is faulted in and retried. */
static void test_iopf_lookup(void **state)
{
	struct sva_dev_params p = { .sid = 0x44, .pasid_bits = 8,
				    .flags = SVA_DEV_STALL };
	struct platform *plat = kshim_platform(F.k);
	struct task_struct *t = spawn(1000);
	struct device *d = kshim_add_device(F.k, &p, NULL);
	struct mm_struct *mm = get_task_mm(t);
	struct dma_done done = { 0 };
	struct iopf_stats st;
	struct iommu_sva *h;
	uint64_t va = 0, got = 0, data = 0x1122334455667788ull;
	struct smmu_txn txn = { .sid = 0x44, .ssv = true, .len = 8 };

	(void)state;
	assert_non_null(kshim_iopf(F.k));
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_SVA), 0);
	h = iommu_sva_bind_device(d, mm, NULL);
	assert_false(IS_ERR(h));
	txn.ssid = iommu_sva_get_pasid(h);
	assert_int_equal(txn.ssid, 1);

	kshim_model_lock();
	assert_int_equal(hos_mmap(kshim_task_hproc(t), 0, 0x1000,
				  HPROT_READ | HPROT_WRITE, HMAP_PRIVATE, &va),
			 0);
	txn.addr = va + 0x20;
	txn.write = true;
	assert_true(smmu_submit(plat->smmu, &txn, on_dma, &done));
	sim_run_to_idle(plat->sim, 0);
	assert_int_equal(done.n, 0); /* stalled */
	assert_int_equal(iopf_process(kshim_iopf(F.k)), 1);
	sim_run_to_idle(plat->sim, 0);
	assert_int_equal(done.n, 1);
	assert_int_equal(done.r.resp, SMMU_RESP_OK);
	assert_true(done.r.stalled);
	assert_int_equal(pmem_write64(plat->mem, done.r.oa, data, NULL),
			 MEM_OK);
	assert_int_equal(hproc_read(kshim_task_hproc(t), va + 0x20, &got, 8),
			 0);
	assert_int_equal(got, data);
	iopf_get_stats(kshim_iopf(F.k), &st);
	assert_int_equal(st.stalls, 1);
	assert_int_equal(st.faults_ok, 1);
	assert_int_equal(st.resume_retry, 1);
	kshim_model_unlock();

	iommu_sva_unbind_device(h);
	iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(d, IOMMU_DEV_FEAT_IOPF);
	mmput(mm);
	exit_reap_put(t);
}

static void test_domains(void **state)
{
	struct sva_dev_params p = { .sid = 0x50, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct device *d = kshim_add_device(F.k, &p, NULL);
	struct iommu_group *g = kshim_device_group(d);
	struct iommu_domain *a, *b;

	(void)state;
	a = iommu_domain_alloc_group(g);
	b = iommu_domain_alloc_group(g);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(counts().allocs, 2);
	assert_int_equal(iommu_attach_group(a, g), 0);
	assert_int_equal(iommu_attach_group(a, g), 0);
	assert_int_equal(iommu_attach_group(b, g), -EBUSY);
	iommu_detach_group(a, g);
	assert_int_equal(iommu_attach_group(b, g), 0);
	iommu_detach_group(b, g);
	iommu_domain_free(a);
	iommu_domain_free(b);
	iommu_domain_free(NULL);
	assert_int_equal(counts().allocs, 0);
	kshim_fail_nth(1);
	assert_null(iommu_domain_alloc_group(g));
	kshim_fail_nth(0);
}

/* --- kvfio over a fake IOMMU driver --- */

#define FAKE_TYPE 0x70UL     /* the extension the fake driver serves */
#define FAKE_TYPE_BAD 0x71UL /* claimed, but open() fails */
#define FAKE_CMD _IO(VFIO_TYPE, VFIO_BASE + 60)

static char drvlog[512];
static int fake_fail_attach = -1;

static void logf_(const char *fmt, ...)
{
	size_t n = strlen(drvlog);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(drvlog + n, sizeof(drvlog) - n, fmt, ap);
	va_end(ap);
}

static void *fake_open(unsigned long arg)
{
	void *d;

	if (arg == FAKE_TYPE_BAD) {
		logf_("open-fail ");
		return ERR_PTR(-EBUSY);
	}
	d = kzalloc(16, GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	logf_("open ");
	return d;
}

static void fake_release(void *data)
{
	logf_("release ");
	kfree(data);
}

static long fake_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == FAKE_TYPE || arg == FAKE_TYPE_BAD;
	if (cmd == FAKE_CMD) {
		logf_("ioctl:%lu ", arg);
		return data ? 42 : -EIO;
	}
	return -ENOTTY;
}

static int fake_attach(void *data, struct iommu_group *g)
{
	int id = kshim_group_id(g);

	(void)data;
	if (id == fake_fail_attach) {
		logf_("attach-fail:%d ", id);
		return -EXDEV;
	}
	logf_("attach:%d ", id);
	return 0;
}

static void fake_detach(void *data, struct iommu_group *g)
{
	(void)data;
	logf_("detach:%d ", kshim_group_id(g));
}

static const struct kvfio_iommu_driver_ops fake_ops = {
	.open = fake_open,
	.release = fake_release,
	.ioctl = fake_ioctl,
	.attach_group = fake_attach,
	.detach_group = fake_detach,
};

static void kvfio_fake_init(void)
{
	static const struct kvfio_iommu_driver_ops *const drivers[] = {
		&fake_ops,
	};

	kvfio_init_drivers(F.k, drivers, 1);
	drvlog[0] = 0;
	fake_fail_attach = -1;
}

static void group_with_dev(int id, uint32_t sid)
{
	struct sva_dev_params p = { .sid = sid, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct iommu_group *g = kshim_group_create(F.k, id);

	assert_non_null(g);
	assert_non_null(kshim_add_device(F.k, &p, g));
}

/* -1 and errno as the error, else the result */
#define IOCTL_ERR(fd, req, arg) \
	(kvfio_ioctl((fd), (req), (unsigned long)(arg)) < 0 ? errno : 0)

static int open_err(const char *path)
{
	errno = 0;
	assert_int_equal(kvfio_open(path, O_RDWR), -1);
	return errno;
}

static unsigned group_flags(int fd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	assert_int_equal(kvfio_ioctl(fd, VFIO_GROUP_GET_STATUS,
				     (unsigned long)&st), 0);
	return st.flags;
}

static void test_kvfio_rules(void **state)
{
	struct vfio_group_status st = { .argsz = 4 };
	int c, g5, g6, bad = 99;

	(void)state;
	kvfio_fake_init();
	group_with_dev(5, 0x60);
	group_with_dev(6, 0x61);

	c = kvfio_open("/dev/vfio/vfio", O_RDWR);
	assert_int_equal(c, 3);
	assert_int_equal(kvfio_ioctl(c, VFIO_GET_API_VERSION, 0),
			 VFIO_API_VERSION);
	assert_int_equal(kvfio_ioctl(c, VFIO_CHECK_EXTENSION, FAKE_TYPE), 1);
	assert_int_equal(kvfio_ioctl(c, VFIO_CHECK_EXTENSION,
				     VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), EINVAL);
	assert_int_equal(IOCTL_ERR(c, FAKE_CMD, 0), EINVAL); /* no driver */

	assert_int_equal(open_err("/dev/vfio/7"), ENOENT);
	assert_int_equal(open_err("/dev/vfio/"), ENOENT);
	assert_int_equal(open_err("/dev/vfio/5x"), ENOENT);
	assert_int_equal(open_err("/dev/vfio/-5"), ENOENT);
	assert_int_equal(open_err("/dev/null"), ENOENT);
	assert_int_equal(open_err(NULL), EFAULT);

	g5 = kvfio_open("/dev/vfio/5", O_RDWR);
	assert_int_equal(g5, 4);
	assert_int_equal(open_err("/dev/vfio/5"), EBUSY);
	assert_int_equal(group_flags(g5), VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_GET_STATUS, 16), EFAULT);
	assert_int_equal(IOCTL_ERR(g5, FAKE_CMD, 0), ENOTTY);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_UNSET_CONTAINER, 0), EINVAL);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, 8), EFAULT);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, &bad), EBADF);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, &g5), EINVAL);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(group_flags(g5), VFIO_GROUP_FLAGS_VIABLE |
					  VFIO_GROUP_FLAGS_CONTAINER_SET);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, &c), EINVAL);

	g6 = kvfio_open("/dev/vfio/6", O_RDWR);
	assert_int_equal(g6, 5);
	assert_int_equal(IOCTL_ERR(g6, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_string_equal(drvlog, "");

	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, 0x55), ENODEV);
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE_BAD), EBUSY);
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), 0);
	/* the groups, newest first as the core keeps them */
	assert_string_equal(drvlog, "open-fail open attach:6 attach:5 ");
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), EINVAL);
	assert_int_equal(kvfio_ioctl(c, FAKE_CMD, 7), 42);
	assert_int_equal(kvfio_ioctl(c, VFIO_CHECK_EXTENSION, FAKE_TYPE), 1);
	assert_int_equal(counts().allocs, 1);

	/* the container outlives its fd while groups hold it */
	assert_int_equal(kvfio_close(c), 0);
	assert_int_equal(IOCTL_ERR(c, VFIO_GET_API_VERSION, 0), EBADF);
	assert_int_equal(group_flags(g6), VFIO_GROUP_FLAGS_VIABLE |
					  VFIO_GROUP_FLAGS_CONTAINER_SET);
	drvlog[0] = 0;
	assert_int_equal(IOCTL_ERR(g6, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_string_equal(drvlog, "detach:6 ");
	assert_int_equal(group_flags(g6), VFIO_GROUP_FLAGS_VIABLE);
	/* closing the last group's file takes the driver with it */
	assert_int_equal(kvfio_close(g5), 0);
	assert_string_equal(drvlog, "detach:6 detach:5 release ");
	assert_int_equal(counts().allocs, 0);

	/* the fd is free again, and the group can be reopened */
	g5 = kvfio_open("/dev/vfio/5", O_RDWR);
	assert_int_equal(g5, 3);
	assert_int_equal(kvfio_close(g5), 0);
	assert_int_equal(kvfio_close(g6), 0);
	errno = 0;
	assert_int_equal(kvfio_close(g6), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(IOCTL_ERR(-1, VFIO_GET_API_VERSION, 0), EBADF);
	assert_int_equal(IOCTL_ERR(100000, VFIO_GET_API_VERSION, 0), EBADF);
}

static void test_kvfio_attach_failures(void **state)
{
	int c, g5, g6, g7;

	(void)state;
	kvfio_fake_init();
	group_with_dev(5, 0x60);
	group_with_dev(6, 0x61);
	group_with_dev(7, 0x62);

	c = kvfio_open("/dev/vfio/vfio", 0);
	g6 = kvfio_open("/dev/vfio/6", 0);
	g5 = kvfio_open("/dev/vfio/5", 0);
	assert_int_equal(IOCTL_ERR(g6, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(IOCTL_ERR(g5, VFIO_GROUP_SET_CONTAINER, &c), 0);

	/* SET_IOMMU: a failing group undoes the ones attached before it */
	fake_fail_attach = 6;
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), EXDEV);
	assert_string_equal(drvlog,
			    "open attach:5 attach-fail:6 detach:5 release ");
	assert_int_equal(IOCTL_ERR(c, FAKE_CMD, 0), EINVAL);
	assert_int_equal(counts().allocs, 0);

	fake_fail_attach = -1;
	drvlog[0] = 0;
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), 0);
	assert_string_equal(drvlog, "open attach:5 attach:6 ");

	/* a group joining a container with a driver: attach_group() */
	fake_fail_attach = 7;
	drvlog[0] = 0;
	g7 = kvfio_open("/dev/vfio/7", 0);
	assert_int_equal(IOCTL_ERR(g7, VFIO_GROUP_SET_CONTAINER, &c), EXDEV);
	assert_string_equal(drvlog, "attach-fail:7 ");
	assert_int_equal(group_flags(g7), VFIO_GROUP_FLAGS_VIABLE);
	fake_fail_attach = -1;
	assert_int_equal(IOCTL_ERR(g7, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_string_equal(drvlog, "attach-fail:7 attach:7 ");

	/* kvfio_reset: every fd closed, in fd order; the last group out
	 * releases the driver */
	drvlog[0] = 0;
	kvfio_reset();
	assert_string_equal(drvlog, "detach:6 detach:5 detach:7 release ");
	assert_int_equal(counts().allocs, 0);
	assert_int_equal(kvfio_open("/dev/vfio/vfio", 0), 3);
	kvfio_reset();
}

/* The VFIO core copies with the kernel's copy_*_user: injectable. */
static void test_kvfio_fault_injection(void **state)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c, g;

	(void)state;
	kvfio_fake_init();
	group_with_dev(2, 0x70);
	c = kvfio_open("/dev/vfio/vfio", 0);
	g = kvfio_open("/dev/vfio/2", 0);
	kshim_fail_nth(1);
	assert_int_equal(IOCTL_ERR(g, VFIO_GROUP_SET_CONTAINER, &c), EFAULT);
	kshim_fail_nth(2);
	assert_int_equal(IOCTL_ERR(g, VFIO_GROUP_GET_STATUS, &st), EFAULT);
	assert_int_equal(kshim_fault_points(), 2);
	kshim_fail_nth(0);
	assert_int_equal(IOCTL_ERR(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	kshim_fail_nth(1); /* the fake's open allocates */
	assert_int_equal(IOCTL_ERR(c, VFIO_SET_IOMMU, FAKE_TYPE), ENOMEM);
	kshim_fail_nth(0);
}

/* --- threads (run under ThreadSanitizer too) --- */

#define NTHREADS 3
#define ITERS 200

struct worker {
	pthread_t th;
	struct task_struct *target, *self;
	struct device *dev;
	struct tn *tns[ITERS];
	bool kept[ITERS];
	atomic_int *errors;
	atomic_int done; /* iterations finished */
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int nr = kshim_task_pid(w->target);

	kshim_set_current(w->self);
	for (int i = 0; i < ITERS; i++) {
		struct mm_struct *mm = get_task_mm(w->target);
		struct task_struct *t;
		struct pid *pid;

		if (mm) {
			struct tn *n = calloc(1, sizeof(*n));

			n->mn.ops = &tn_ops;
			if (mmu_notifier_register(&n->mn, mm))
				atomic_fetch_add(w->errors, 1);
			w->tns[i] = n;
			w->kept[i] = i % 2 == 0;
			if (!w->kept[i])
				mmu_notifier_put(&n->mn);
			if (i % 5 == 0) {
				/* mm_users held: the address space is there,
				 * whether the task exited or not */
				struct iommu_sva *h =
					iommu_sva_bind_device(w->dev, mm, NULL);

				if (IS_ERR(h))
					atomic_fetch_add(w->errors, 1);
				else
					iommu_sva_unbind_device(h);
			}
			if (i % 3 == 0)
				mmput_async(mm);
			else
				mmput(mm);
		}
		pid = find_get_pid(nr);
		t = get_pid_task(pid, PIDTYPE_PID);
		put_pid(pid);
		if (t) {
			mm = mm_access(t, PTRACE_MODE_ATTACH_REALCREDS);
			if (!IS_ERR(mm))
				mmput(mm);
			else if (PTR_ERR(mm) != -ESRCH)
				atomic_fetch_add(w->errors, 1);
			put_task_struct(t);
		}
		if (i % 40 == 0)
			kshim_flush_work();
		atomic_fetch_add(&w->done, 1);
	}
	kshim_set_current(NULL);
	return NULL;
}

static void test_threads(void **state)
{
	struct sva_dev_params p = { .sid = 0x80, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct task_struct *target = spawn(1000), *self = spawn(1000);
	struct device *dev = kshim_add_device(F.k, &p, NULL);
	struct worker *w = calloc(NTHREADS, sizeof(*w));
	atomic_int errors = 0;

	(void)state;
	assert_non_null(w);
	assert_non_null(dev);
	assert_int_equal(iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA), 0);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].target = target;
		w[i].self = self;
		w[i].dev = dev;
		w[i].errors = &errors;
		assert_int_equal(pthread_create(&w[i].th, NULL, worker_fn,
						&w[i]), 0);
	}
	/* exit and reap while the workers use the task: once each has
	 * subscribed a few times, so that some releases are certain */
	for (int i = 0; i < NTHREADS; i++)
		while (atomic_load(&w[i].done) < 20)
			sched_yield();
	kshim_exit(target);
	assert_int_equal(kshim_reap(target), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
	kshim_flush_work();
	assert_int_equal(atomic_load(&errors), 0);
	assert_int_equal(counts().pending_work, 0);

	/* Every subscription still registered at the last mmput was
	 * released exactly once, before the teardown; none twice. */
	int kept = 0;

	for (int i = 0; i < NTHREADS; i++) {
		for (int j = 0; j < ITERS; j++) {
			struct tn *n = w[i].tns[j];

			if (!n)
				continue;
			if (w[i].kept[j]) {
				kept++;
				assert_int_equal(atomic_load(&n->releases), 1);
				mmu_notifier_put(&n->mn);
			} else {
				assert_true(atomic_load(&n->releases) <= 1);
			}
			if (atomic_load(&n->releases))
				assert_int_not_equal(n->ttb_at_release, 0);
		}
	}
	assert_true(kept >= NTHREADS * 10);
	kshim_flush_work();
	for (int i = 0; i < NTHREADS; i++) {
		for (int j = 0; j < ITERS; j++) {
			if (!w[i].tns[j])
				continue;
			assert_int_equal(atomic_load(&w[i].tns[j]->frees), 1);
			free(w[i].tns[j]);
		}
	}
	assert_int_equal(counts().notifiers, 0);
	assert_int_equal(counts().sva_handles, 0);
	assert_int_equal(sva_dev_nr_bonds(kshim_device_sva(dev)), 0);
	assert_int_equal(iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_SVA), 0);
	assert_int_equal(iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_IOPF),
			 0);
	put_task_struct(target);
	exit_reap_put(self);
	assert_int_equal(counts().tasks, 0);
	assert_int_equal(counts().mm_structs, 0);
	free(w);
}

/* kshim_destroy cleans up what is left: tasks, bonds, leaked refs. */
static void test_destroy_leftovers(void **state)
{
	struct sva_dev_params p = { .sid = 0x90, .pasid_bits = 20,
				    .flags = SVA_DEV_PRI };
	struct task_struct *t = spawn(1000), *z = spawn(1000);
	struct device *d = kshim_add_device(F.k, &p, NULL);
	struct mm_struct *mm;
	struct iommu_sva *h;

	(void)state;
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_IOPF), 0);
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_SVA), 0);
	mm = get_task_mm(t);
	h = iommu_sva_bind_device(d, mm, NULL);
	assert_false(IS_ERR(h));
	mmput(mm);
	kshim_exit(z);
	(void)find_get_pid(kshim_task_pid(z)); /* a leaked pid reference */
	(void)get_task_mm(t);                  /* a leaked mm reference */
	put_task_struct(t);
	put_task_struct(z);
	/* no unbind, no reap: kshim_destroy (teardown) frees it all */
	kshim_destroy(F.k);
	F.k = kshim_create(NULL);
	assert_non_null(F.k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_task_lifecycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fork_clone_exec, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mm_access, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_at_exit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_at_last_mmput,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_mmput_before_reap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmput_async, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_before_exit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clone_exit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fail_nth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_and_copies, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sva, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pasid_lives_with_mm_struct,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_iopf_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvfio_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kvfio_attach_failures,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvfio_fault_injection,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_leftovers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
