/* SPDX-License-Identifier: MIT */
/*
 * kshim: the kernel API of kshim.h over the model (host/, pasid/, pri/).
 *
 * Locks, outermost first (a lock may be taken while holding one above it,
 * never the other way round):
 *
 *   task->life        serialises exec/exit/reap/fork/clone of one task
 *   kernel mutexes    the driver's (iommu->lock), group->mutex
 *   flush_lock        one grace-period batch at a time
 *   model_lock        recursive; every call into host/, pasid/, pri/
 *   table_lock        task, PID, group and leftover-object lists
 *   task->lock, mm->nlock, work_lock, free_lock, alloc_lock   leaves
 *
 * Callbacks into the driver (release, free_notifier) run with none of the
 * shim's locks held except task->life (exec, exit) and flush_lock, since
 * they take kernel mutexes and then call back into the model.
 *
 * srcu (a reader-preferring rwlock) stands for the mmu_notifier SRCU: the
 * release phase holds its read side, a grace period is taking and
 * dropping its write side. A notifier unlinked from its mm keeps its
 * kshim_next so that a release phase walking the list can step past it;
 * its memory stays valid until the grace period after its last put.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pasid/sva_linux.h"
#include "pri/iopf.h"
#include "smmusim/smmu_impl.h"

#include "kshim.h"

/* The model headers come first; here `current` is only ever a call. */
#undef current

/* --- objects --- */

struct pid {
	atomic_int count;
	int nr;
	struct task_struct *task; /* table_lock; NULL once reaped */
	struct list_head all;     /* leftovers, table_lock */
};

struct task_struct {
	atomic_int usage;
	pthread_mutex_t life;
	pthread_mutex_t lock;     /* task_lock(): mm */
	struct mm_struct *mm;     /* NULL once exited */
	struct hproc *hproc;      /* model_lock; NULL once reaped */
	struct pid *pid;
	int nr;
	bool exited, reaped;      /* model_lock */
	uint32_t exit_uid;        /* model_lock: credentials kept at exit */
	/* The mm whose last mmput performs this task's model exit (it
	 * holds a task reference meanwhile); NULL once that is done. */
	struct mm_struct *exit_mm; /* model_lock */
	struct list_head node;    /* ks->tasks while not reaped */
	struct list_head all;     /* leftovers */
};

struct mm_struct {
	atomic_int users;
	atomic_int count;
	struct hmm *hmm;          /* hmm_get reference */
	pthread_mutex_t nlock;    /* the notifier list */
	struct mmu_notifier *notifiers;
	/* A task whose model exit (hos_exit) waits for the last mmput: it
	 * exited while the mm was the model's last user. */
	struct task_struct *deferred; /* model_lock, a task reference */
	struct hproc *deferred_hp;    /* model_lock */
	bool deferred_reaped;     /* model_lock: its task was reaped */
	/* Linux 6.1's mm->pasid: given by the first SVA bind, freed only
	 * with the mm_struct (model_lock). pasid_held: the model freed it
	 * (torn down and unbound) and the shim holds it until mm_free. */
	u32 pasid;
	bool pasid_held;
	struct mm_struct *work_next; /* mmput_async queue */
	struct list_head all;
};

struct iommu_group {
	int id;
	struct mutex mutex;
	struct list_head devices;  /* struct device, in add order */
	unsigned nr_devices;       /* mutex */
	struct iommu_domain *domain; /* mutex */
	struct list_head node;     /* ks->groups */
};

struct device {
	struct sva_dev *sdev;
	struct iommu_group *group;
	atomic_int refs;
	struct list_head group_node;
};

struct iommu_sva {
	struct sva_bond *bond;
	struct device *dev;
	struct list_head node;     /* ks->handles, model_lock */
};

struct iommu_domain {
	atomic_int groups;         /* attached groups */
};

/* A kzalloc'd block: the header keeps it on the leftover list. */
struct kblock {
	struct list_head node;
	size_t size;
};

union kblock_hdr {
	struct kblock b;
	max_align_t align;
};

struct kshim {
	struct platform plat;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io;
	struct iopf *iopf;
	struct list_head tasks;    /* not reaped, table_lock */
	struct list_head all_tasks, all_pids, all_mms; /* table_lock */
	struct list_head groups;   /* table_lock */
	struct list_head handles;  /* model_lock */
};

/* --- globals --- */

static struct kshim *ks;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t model_lock;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t srcu = PTHREAD_RWLOCK_INITIALIZER;
static LIST_HEAD(kblocks);               /* alloc_lock */
static struct mm_struct *work_queue;     /* work_lock, LIFO */
static struct mmu_notifier *free_queue;  /* free_lock, LIFO */
static _Thread_local struct task_struct *cur_task;

static struct {
	atomic_long allocs, notifiers, pending_frees, pending_work,
		device_refs, sva_handles, mm_structs, tasks, warnings;
} cnt;

static atomic_uint fault_armed, fault_calls;
static atomic_bool fault_fired;
static atomic_int fault_site;

static void init_once(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&model_lock, &a);
	pthread_mutexattr_destroy(&a);
}

static void *xzalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p) {
		fprintf(stderr, "kshim: out of memory\n");
		abort();
	}
	return p;
}

static void plock(pthread_mutex_t *m)
{
	int ret = pthread_mutex_lock(m);

	if (ret) {
		/* A kernel mutex taken twice would hang the kernel. */
		fprintf(stderr, "kshim: mutex_lock: %s\n", strerror(ret));
		abort();
	}
}

static void punlock(pthread_mutex_t *m)
{
	int ret = pthread_mutex_unlock(m);

	if (ret) {
		fprintf(stderr, "kshim: mutex_unlock: %s\n", strerror(ret));
		abort();
	}
}

void kshim_model_lock(void)
{
	pthread_once(&once, init_once);
	plock(&model_lock);
}

void kshim_model_unlock(void)
{
	punlock(&model_lock);
}

bool kshim_warn_on(bool cond, const char *file, int line)
{
	if (cond) {
		atomic_fetch_add(&cnt.warnings, 1);
		fprintf(stderr, "kshim: WARNING at %s:%d\n", file, line);
	}
	return cond;
}

/* --- fault injection --- */

/* kshim_hook_nth(): something to run at the n-th injectable call */
static atomic_uint hook_armed, hook_calls;
static void (*_Atomic hook_fn)(void *ctx);
static void *_Atomic hook_ctx;

static bool should_fail(enum kshim_fault_site site)
{
	unsigned n = atomic_fetch_add(&fault_calls, 1) + 1;
	unsigned h = atomic_fetch_add(&hook_calls, 1) + 1;

	if (h == atomic_load(&hook_armed)) {
		void (*fn)(void *ctx) = atomic_load(&hook_fn);

		if (fn)
			fn(atomic_load(&hook_ctx));
	}

	if (n != atomic_load(&fault_armed))
		return false;
	atomic_store(&fault_site, (int)site);
	atomic_store(&fault_fired, true);
	return true;
}

/* --- call log --- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char call_log[4096];
static size_t call_log_len;

static void log_call(const char *op, const struct device *dev)
{
	char item[48];
	int n;

	if (dev)
		n = snprintf(item, sizeof(item), " %s:%x", op,
			     sva_dev_sid(dev->sdev));
	else
		n = snprintf(item, sizeof(item), " %s", op);
	pthread_mutex_lock(&log_lock);
	/* no separator before the first item */
	if (!call_log_len)
		memmove(item, item + 1, (size_t)n--);
	if (n > 0 && call_log_len + (size_t)n < sizeof(call_log)) {
		memcpy(call_log + call_log_len, item, (size_t)n + 1);
		call_log_len += (size_t)n;
	}
	pthread_mutex_unlock(&log_lock);
}

void kshim_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	call_log[0] = '\0';
	call_log_len = 0;
	pthread_mutex_unlock(&log_lock);
}

void kshim_log_get(char *buf, size_t len)
{
	pthread_mutex_lock(&log_lock);
	snprintf(buf, len, "%s", call_log);
	pthread_mutex_unlock(&log_lock);
}

void kshim_fail_nth(unsigned n)
{
	atomic_store(&fault_armed, 0);
	atomic_store(&fault_fired, false);
	atomic_store(&fault_calls, 0);
	atomic_store(&fault_armed, n);
}

void kshim_hook_nth(unsigned n, void (*fn)(void *ctx), void *ctx)
{
	atomic_store(&hook_armed, 0);
	atomic_store(&hook_calls, 0);
	atomic_store(&hook_fn, fn);
	atomic_store(&hook_ctx, ctx);
	atomic_store(&hook_armed, n);
}

unsigned kshim_fault_points(void)
{
	return atomic_load(&fault_calls);
}

bool kshim_fault_fired(enum kshim_fault_site *site)
{
	if (!atomic_load(&fault_fired))
		return false;
	if (site)
		*site = (enum kshim_fault_site)atomic_load(&fault_site);
	return true;
}

const char *kshim_fault_site_name(enum kshim_fault_site site)
{
	static const char *const names[KSHIM_FAULT_NR] = {
		[KSHIM_FAULT_ALLOC] = "alloc",
		[KSHIM_FAULT_COPY_FROM] = "copy_from_user",
		[KSHIM_FAULT_COPY_TO] = "copy_to_user",
		[KSHIM_FAULT_FEATURE] = "feature",
		[KSHIM_FAULT_SVA_BIND] = "sva_bind",
		[KSHIM_FAULT_NOTIFIER] = "notifier",
	};

	if ((unsigned)site >= KSHIM_FAULT_NR)
		return "?";
	return names[site];
}

void kshim_counts(struct kshim_counts *out)
{
	out->allocs = atomic_load(&cnt.allocs);
	out->notifiers = atomic_load(&cnt.notifiers);
	out->pending_frees = atomic_load(&cnt.pending_frees);
	out->pending_work = atomic_load(&cnt.pending_work);
	out->device_refs = atomic_load(&cnt.device_refs);
	out->sva_handles = atomic_load(&cnt.sva_handles);
	out->mm_structs = atomic_load(&cnt.mm_structs);
	out->tasks = atomic_load(&cnt.tasks);
	out->warnings = atomic_load(&cnt.warnings);
}

static void counts_reset(void)
{
	atomic_store(&cnt.allocs, 0);
	atomic_store(&cnt.notifiers, 0);
	atomic_store(&cnt.pending_frees, 0);
	atomic_store(&cnt.pending_work, 0);
	atomic_store(&cnt.device_refs, 0);
	atomic_store(&cnt.sva_handles, 0);
	atomic_store(&cnt.mm_structs, 0);
	atomic_store(&cnt.tasks, 0);
	atomic_store(&cnt.warnings, 0);
}

/* --- locks --- */

void mutex_init(struct mutex *m)
{
	pthread_mutexattr_t a;

	/* Error-checking, so that a recursive lock aborts instead of
	 * hanging (the kernel would deadlock). */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m->m, &a);
	pthread_mutexattr_destroy(&a);
}

void mutex_destroy(struct mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

void mutex_lock(struct mutex *m)
{
	plock(&m->m);
}

void mutex_unlock(struct mutex *m)
{
	punlock(&m->m);
}

void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
}

void spin_lock(spinlock_t *l)
{
	plock(&l->m);
}

void spin_unlock(spinlock_t *l)
{
	punlock(&l->m);
}

/* --- memory --- */

void *kzalloc(size_t size, unsigned gfp)
{
	union kblock_hdr *h;

	(void)gfp;
	if (should_fail(KSHIM_FAULT_ALLOC))
		return NULL;
	h = calloc(1, sizeof(*h) + size);
	if (!h)
		return NULL;
	h->b.size = size;
	plock(&alloc_lock);
	list_add_tail(&h->b.node, &kblocks);
	punlock(&alloc_lock);
	atomic_fetch_add(&cnt.allocs, 1);
	return h + 1;
}

void kfree(const void *p)
{
	union kblock_hdr *h;

	if (!p)
		return;
	h = (union kblock_hdr *)p - 1;
	plock(&alloc_lock);
	list_del(&h->b.node);
	punlock(&alloc_lock);
	atomic_fetch_sub(&cnt.allocs, 1);
	free(h);
}

static bool user_ptr_bad(const void *p)
{
	return (uintptr_t)p < 4096;
}

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n)
{
	if (should_fail(KSHIM_FAULT_COPY_FROM) || user_ptr_bad(from))
		return n;
	memcpy(to, from, n);
	return 0;
}

unsigned long copy_to_user(void __user *to, const void *from,
			   unsigned long n)
{
	if (should_fail(KSHIM_FAULT_COPY_TO) || user_ptr_bad(to))
		return n;
	memcpy(to, from, n);
	return 0;
}

/* --- mm_struct --- */

static struct mm_struct *mm_new(struct hmm *hmm)
{
	struct mm_struct *mm = xzalloc(sizeof(*mm));

	atomic_init(&mm->users, 1);
	atomic_init(&mm->count, 1); /* held by the users collectively */
	pthread_mutex_init(&mm->nlock, NULL);
	hmm_get(hmm); /* caller holds the model lock */
	mm->hmm = hmm;
	plock(&table_lock);
	list_add_tail(&mm->all, &ks->all_mms);
	punlock(&table_lock);
	atomic_fetch_add(&cnt.mm_structs, 1);
	return mm;
}

/*
 * Linux frees mm->pasid with the mm_struct (__mmdrop), so a PASID names
 * its address space for as long as anyone holds mm_count, an exited
 * process's included. The model frees an address space's PASID once it
 * is torn down and unbound. After every model call that may do that
 * (teardown in exit and exec, SVA unbind), the shim allocates again the
 * PASID of each mm_struct still alive whose PASID the model let go:
 * nothing ran in between (model lock held), so it gets the same number,
 * and keeps it until mm_free.
 */
static void mm_pasids_keep(void)
{
	struct mm_struct *mm;

	plock(&table_lock);
	list_for_each_entry(mm, &ks->all_mms, all) {
		if (!mm->pasid || mm->pasid_held ||
		    pasid_in_use(ks->ps, mm->pasid))
			continue;
		if (!WARN_ON(pasid_alloc(ks->ps, mm->pasid, mm->pasid) !=
			     (int)mm->pasid))
			mm->pasid_held = true;
	}
	punlock(&table_lock);
}

static void mm_free(struct mm_struct *mm)
{
	kshim_model_lock();
	if (mm->pasid_held)
		pasid_free(ks->ps, mm->pasid);
	mm->pasid = 0;
	mm->pasid_held = false;
	hmm_put(mm->hmm);
	kshim_model_unlock();
	plock(&table_lock);
	list_del(&mm->all);
	punlock(&table_lock);
	pthread_mutex_destroy(&mm->nlock);
	free(mm);
	atomic_fetch_sub(&cnt.mm_structs, 1);
}

void mmgrab(struct mm_struct *mm)
{
	atomic_fetch_add(&mm->count, 1);
}

void mmdrop(struct mm_struct *mm)
{
	int old = atomic_fetch_sub(&mm->count, 1);

	if (WARN_ON(old <= 0))
		return;
	if (old == 1)
		mm_free(mm);
}

bool mmget_not_zero(struct mm_struct *mm)
{
	int u = atomic_load(&mm->users);

	while (u > 0)
		if (atomic_compare_exchange_weak(&mm->users, &u, u + 1))
			return true;
	return false;
}

/*
 * The release phase of exit_mmap: every subscription's release(), in
 * registration order, under the SRCU read side, then all of them
 * unhashed so that none is released twice. mm_users is 0: nobody can
 * register now.
 */
static void mm_release_notifiers(struct mm_struct *mm)
{
	struct mmu_notifier *mn, *next;

	pthread_rwlock_rdlock(&srcu);
	plock(&mm->nlock);
	mn = mm->notifiers;
	punlock(&mm->nlock);
	while (mn) {
		if (mn->ops && mn->ops->release)
			mn->ops->release(mn, mm);
		plock(&mm->nlock);
		mn = mn->kshim_next;
		punlock(&mm->nlock);
	}
	plock(&mm->nlock);
	for (mn = mm->notifiers; mn; mn = next) {
		next = mn->kshim_next;
		mn->hashed = false;
	}
	mm->notifiers = NULL;
	punlock(&mm->nlock);
	pthread_rwlock_unlock(&srcu);
}

/* mm_users reached 0: exit_mmap, then drop the users' mm_count. */
static void mm_exit(struct mm_struct *mm)
{
	struct task_struct *t;

	mm_release_notifiers(mm);
	kshim_model_lock();
	t = mm->deferred;
	if (t) {
		/* The model tears the address space down only now, after
		 * every release() has run. */
		hos_exit(mm->deferred_hp, 0);
		if (mm->deferred_reaped)
			hos_reap(mm->deferred_hp, NULL);
		else
			t->exit_mm = NULL; /* kshim_reap reaps it */
		mm->deferred = NULL;
		mm->deferred_hp = NULL;
		mm_pasids_keep();
	}
	kshim_model_unlock();
	if (t)
		put_task_struct(t);
	mmdrop(mm);
}

void mmput(struct mm_struct *mm)
{
	int old = atomic_fetch_sub(&mm->users, 1);

	if (WARN_ON(old <= 0))
		return;
	if (old == 1)
		mm_exit(mm);
}

void mmput_async(struct mm_struct *mm)
{
	int old = atomic_fetch_sub(&mm->users, 1);

	if (WARN_ON(old <= 0))
		return;
	if (old != 1)
		return;
	plock(&work_lock);
	mm->work_next = work_queue;
	work_queue = mm;
	punlock(&work_lock);
	atomic_fetch_add(&cnt.pending_work, 1);
}

struct hmm *kshim_mm_hmm(const struct mm_struct *mm)
{
	return mm->hmm;
}

unsigned kshim_mm_users(const struct mm_struct *mm)
{
	return (unsigned)atomic_load(&((struct mm_struct *)mm)->users);
}

/* --- mmu_notifier --- */

int mmu_notifier_register(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mmu_notifier **pp;

	if (should_fail(KSHIM_FAULT_NOTIFIER))
		return -ENOMEM;
	WARN_ON(atomic_load(&mm->users) <= 0);
	mmgrab(mm);
	mn->mm = mm;
	mn->users = 1;
	mn->hashed = true;
	mn->kshim_next = NULL;
	mn->kshim_free_next = NULL;
	plock(&mm->nlock);
	for (pp = &mm->notifiers; *pp; pp = &(*pp)->kshim_next)
		;
	*pp = mn;
	punlock(&mm->nlock);
	atomic_fetch_add(&cnt.notifiers, 1);
	log_call("mn+", NULL);
	return 0;
}

void mmu_notifier_put(struct mmu_notifier *mn)
{
	struct mm_struct *mm = mn->mm;
	struct mmu_notifier **pp;

	plock(&mm->nlock);
	if (WARN_ON(!mn->users) || --mn->users) {
		punlock(&mm->nlock);
		return;
	}
	if (mn->hashed) {
		/* Unlinked, but mn->kshim_next stays for walkers. */
		for (pp = &mm->notifiers; *pp; pp = &(*pp)->kshim_next) {
			if (*pp == mn) {
				*pp = mn->kshim_next;
				break;
			}
		}
		mn->hashed = false;
	}
	punlock(&mm->nlock);
	log_call("mn-", NULL);

	plock(&free_lock);
	mn->kshim_free_next = free_queue;
	free_queue = mn;
	punlock(&free_lock);
	atomic_fetch_add(&cnt.pending_frees, 1);
}

void mmu_notifier_synchronize(void)
{
	struct mmu_notifier *batch, *mn, *next;
	struct mm_struct *mm;

	plock(&flush_lock);
	plock(&free_lock);
	batch = free_queue;
	free_queue = NULL;
	punlock(&free_lock);
	/* Grace period: no release phase that might see these is left. */
	pthread_rwlock_wrlock(&srcu);
	pthread_rwlock_unlock(&srcu);
	for (mn = batch; mn; mn = next) {
		next = mn->kshim_free_next;
		mm = mn->mm;
		if (mn->ops && mn->ops->free_notifier)
			mn->ops->free_notifier(mn);
		mmdrop(mm);
		atomic_fetch_sub(&cnt.notifiers, 1);
		atomic_fetch_sub(&cnt.pending_frees, 1);
	}
	punlock(&flush_lock);
}

void kshim_flush_work(void)
{
	struct mm_struct *mm;

	for (;;) {
		plock(&work_lock);
		mm = work_queue;
		if (mm)
			work_queue = mm->work_next;
		punlock(&work_lock);
		if (!mm)
			break;
		atomic_fetch_sub(&cnt.pending_work, 1);
		mm_exit(mm);
	}
	mmu_notifier_synchronize();
}

/* --- tasks and PIDs --- */

struct task_struct *kshim_get_current(void)
{
	return cur_task;
}

void kshim_set_current(struct task_struct *t)
{
	cur_task = t;
}

/* A task for hp (model lock held) using mm (a users reference it takes
 * over): one reference for the system (dropped at reap), one for the
 * caller. */
static struct task_struct *task_new(struct hproc *hp, struct mm_struct *mm)
{
	struct task_struct *t = xzalloc(sizeof(*t));
	struct pid *pid = xzalloc(sizeof(*pid));

	atomic_init(&t->usage, 2);
	pthread_mutex_init(&t->life, NULL);
	pthread_mutex_init(&t->lock, NULL);
	t->hproc = hp;
	t->mm = mm;
	t->nr = hproc_pid(hp);
	t->pid = pid;
	atomic_init(&pid->count, 1);
	pid->nr = t->nr;
	pid->task = t;
	plock(&table_lock);
	list_add_tail(&t->node, &ks->tasks);
	list_add_tail(&t->all, &ks->all_tasks);
	list_add_tail(&pid->all, &ks->all_pids);
	punlock(&table_lock);
	atomic_fetch_add(&cnt.tasks, 1);
	return t;
}

struct pid *find_get_pid(int nr)
{
	struct task_struct *t;
	struct pid *pid = NULL;

	plock(&table_lock);
	if (ks) {
		list_for_each_entry(t, &ks->tasks, node) {
			if (t->nr == nr) {
				pid = t->pid;
				atomic_fetch_add(&pid->count, 1);
				break;
			}
		}
	}
	punlock(&table_lock);
	return pid;
}

void put_pid(struct pid *pid)
{
	if (!pid)
		return;
	if (atomic_fetch_sub(&pid->count, 1) != 1)
		return;
	plock(&table_lock);
	list_del(&pid->all);
	punlock(&table_lock);
	free(pid);
}

struct task_struct *get_pid_task(struct pid *pid, enum pid_type type)
{
	struct task_struct *t;

	(void)type;
	if (!pid)
		return NULL;
	plock(&table_lock);
	t = pid->task;
	if (t)
		atomic_fetch_add(&t->usage, 1);
	punlock(&table_lock);
	return t;
}

void get_task_struct(struct task_struct *t)
{
	atomic_fetch_add(&t->usage, 1);
}

void put_task_struct(struct task_struct *t)
{
	int old = atomic_fetch_sub(&t->usage, 1);

	if (WARN_ON(old <= 0) || old != 1)
		return;
	plock(&table_lock);
	list_del(&t->all);
	punlock(&table_lock);
	put_pid(t->pid);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->life);
	free(t);
	atomic_fetch_sub(&cnt.tasks, 1);
}

struct mm_struct *get_task_mm(struct task_struct *t)
{
	struct mm_struct *mm;

	plock(&t->lock);
	mm = t->mm;
	/* Not zero except while exec tears the old mm down. */
	if (mm && !mmget_not_zero(mm))
		mm = NULL;
	punlock(&t->lock);
	return mm;
}

struct mm_struct *kshim_task_mm(const struct task_struct *t)
{
	struct task_struct *w = (struct task_struct *)t;
	struct mm_struct *mm;

	plock(&w->lock);
	mm = w->mm;
	punlock(&w->lock);
	return mm;
}

/* The task's uid; a task that exited keeps the one it had. */
static uint32_t task_uid(const struct task_struct *t)
{
	return t->exited ? t->exit_uid : hproc_uid(t->hproc);
}

struct mm_struct *mm_access(struct task_struct *t, unsigned mode)
{
	struct task_struct *me = kshim_get_current();
	struct mm_struct *mm = get_task_mm(t);
	bool ok;

	(void)mode;
	if (!mm)
		return ERR_PTR(-ESRCH);
	if (me && mm == kshim_task_mm(me))
		return mm;
	/*
	 * hos_may_ptrace's rule on credentials, which a task keeps when it
	 * exits: the target may exit (even be reaped) after get_task_mm
	 * found its mm, and the kernel's check still passes then.
	 */
	kshim_model_lock();
	ok = me && !me->exited &&
	     (hproc_uid(me->hproc) == 0 ||
	      hproc_uid(me->hproc) == task_uid(t));
	kshim_model_unlock();
	if (!ok) {
		mmput(mm);
		return ERR_PTR(-EACCES);
	}
	return mm;
}

struct task_struct *kshim_spawn(struct kshim *k, uint32_t uid)
{
	struct task_struct *t = NULL;
	struct hproc *hp;

	kshim_model_lock();
	hp = hos_spawn(k->os, uid, NULL);
	if (hp)
		t = task_new(hp, mm_new(hproc_mm(hp)));
	kshim_model_unlock();
	return t;
}

struct task_struct *kshim_fork(struct task_struct *parent)
{
	struct task_struct *t = NULL;
	struct hproc *hp;

	plock(&parent->life);
	kshim_model_lock();
	if (!parent->exited) {
		hp = hos_fork(parent->hproc);
		if (hp)
			t = task_new(hp, mm_new(hproc_mm(hp)));
	}
	kshim_model_unlock();
	punlock(&parent->life);
	return t;
}

struct task_struct *kshim_clone_vm(struct task_struct *parent)
{
	struct task_struct *t = NULL;
	struct mm_struct *mm;
	struct hproc *hp;

	plock(&parent->life);
	kshim_model_lock();
	mm = parent->exited ? NULL : get_task_mm(parent);
	if (mm) {
		hp = hos_clone_vm(parent->hproc);
		if (hp)
			t = task_new(hp, mm); /* takes over the reference */
	}
	kshim_model_unlock();
	if (mm && !t)
		mmput(mm);
	punlock(&parent->life);
	return t;
}

/*
 * exec: the last mm_users reference (this task's, claimed by 1 -> 0 so no
 * mmget_not_zero can revive it) runs the release phase before hos_exec
 * frees the old page tables. If someone else holds a reference, hos_exec
 * tears the model's address space down at once and release() runs later,
 * at the last mmput, on an address space already gone (hmm_ttb 0): the
 * model keeps an address space only while a process uses it.
 */
int kshim_exec(struct task_struct *t)
{
	struct mm_struct *old, *mm;
	bool claimed;
	int one = 1, ret;

	plock(&t->life);
	plock(&t->lock);
	old = t->mm;
	punlock(&t->lock);
	if (!old) {
		punlock(&t->life);
		return -ESRCH;
	}
	claimed = atomic_compare_exchange_strong(&old->users, &one, 0);
	if (claimed)
		mm_release_notifiers(old);

	kshim_model_lock();
	ret = hos_exec(t->hproc);
	if (ret) {
		kshim_model_unlock();
		/* Past the point of no return when claimed: the notifiers
		 * are gone, the old mm stays the task's. */
		if (claimed)
			atomic_store(&old->users, 1);
		punlock(&t->life);
		return ret;
	}
	mm_pasids_keep(); /* hos_exec tore the old address space down */
	mm = mm_new(hproc_mm(t->hproc));
	kshim_model_unlock();

	plock(&t->lock);
	t->mm = mm;
	punlock(&t->lock);
	if (claimed)
		mmdrop(old);
	else
		mmput(old);
	punlock(&t->life);
	return 0;
}

void kshim_exit(struct task_struct *t)
{
	struct mm_struct *mm;

	plock(&t->life);
	plock(&t->lock);
	mm = t->mm;
	t->mm = NULL;
	punlock(&t->lock);
	if (!mm) {
		punlock(&t->life);
		return;
	}
	kshim_model_lock();
	t->exit_uid = hproc_uid(t->hproc);
	t->exited = true;
	if (hmm_users(mm->hmm) > 1) {
		/* Other processes keep the address space. */
		hos_exit(t->hproc, 0);
	} else {
		/* The model would tear it down now: wait for the last
		 * mmput, which runs release() first. */
		get_task_struct(t);
		mm->deferred = t;
		mm->deferred_hp = t->hproc;
		mm->deferred_reaped = false;
		t->exit_mm = mm;
	}
	kshim_model_unlock();
	mmput(mm);
	punlock(&t->life);
}

/*
 * Reap: the task leaves the PID table at once. If its model exit still
 * waits for the last mmput of its mm (someone holds mm_users), the model
 * process is reaped then; its PID number stays taken in the model until
 * that point, so it is not reused early.
 */
int kshim_reap(struct task_struct *t)
{

	plock(&t->life);
	kshim_model_lock();
	if (!t->exited || t->reaped) {
		kshim_model_unlock();
		punlock(&t->life);
		return -EINVAL;
	}
	t->reaped = true;
	plock(&table_lock);
	list_del(&t->node);
	t->pid->task = NULL;
	punlock(&table_lock);
	if (t->exit_mm)
		t->exit_mm->deferred_reaped = true; /* mm_exit reaps it */
	else
		hos_reap(t->hproc, NULL);
	t->exit_mm = NULL;
	t->hproc = NULL;
	kshim_model_unlock();
	punlock(&t->life);
	put_task_struct(t); /* the system's reference */
	return 0;
}

int kshim_task_pid(const struct task_struct *t)
{
	return t->nr;
}

struct hproc *kshim_task_hproc(const struct task_struct *t)
{
	struct hproc *hp;

	kshim_model_lock();
	hp = t->hproc;
	kshim_model_unlock();
	return hp;
}

/* --- devices and groups --- */

struct device *get_device(struct device *dev)
{
	if (dev) {
		atomic_fetch_add(&dev->refs, 1);
		atomic_fetch_add(&cnt.device_refs, 1);
	}
	return dev;
}

void put_device(struct device *dev)
{
	if (!dev)
		return;
	WARN_ON(atomic_fetch_sub(&dev->refs, 1) <= 0);
	atomic_fetch_sub(&cnt.device_refs, 1);
}

static struct iommu_group *group_find_locked(struct kshim *k, int id)
{
	struct iommu_group *g;

	list_for_each_entry(g, &k->groups, node)
		if (g->id == id)
			return g;
	return NULL;
}

/* A new group numbered id, or the lowest free number if id < 0. */
static struct iommu_group *group_new(struct kshim *k, int id)
{
	struct iommu_group *g = NULL;

	plock(&table_lock);
	if (id < 0)
		for (id = 0; group_find_locked(k, id); id++)
			;
	else if (group_find_locked(k, id))
		goto out;
	g = xzalloc(sizeof(*g));
	g->id = id;
	mutex_init(&g->mutex);
	INIT_LIST_HEAD(&g->devices);
	list_add_tail(&g->node, &k->groups);
out:
	punlock(&table_lock);
	return g;
}

struct iommu_group *kshim_group_create(struct kshim *k, int id)
{
	if (id < 0)
		return NULL;
	return group_new(k, id);
}

struct iommu_group *kshim_find_group(struct kshim *k, int id)
{
	struct iommu_group *g = NULL;

	plock(&table_lock);
	if (k && k == ks)
		g = group_find_locked(k, id);
	punlock(&table_lock);
	return g;
}

struct device *kshim_add_device(struct kshim *k,
				const struct sva_dev_params *p,
				struct iommu_group *group)
{
	struct sva_dev *sdev = NULL;
	struct device *dev;
	int ret;

	kshim_model_lock();
	ret = sva_dev_add(k->io, p, &sdev);
	kshim_model_unlock();
	if (ret)
		return NULL;
	if (!group)
		group = group_new(k, -1);
	dev = xzalloc(sizeof(*dev));
	dev->sdev = sdev;
	dev->group = group;
	mutex_lock(&group->mutex);
	list_add_tail(&dev->group_node, &group->devices);
	group->nr_devices++;
	mutex_unlock(&group->mutex);
	return dev;
}

struct iommu_group *kshim_device_group(const struct device *dev)
{
	return dev->group;
}

struct sva_dev *kshim_device_sva(const struct device *dev)
{
	return dev->sdev;
}

int kshim_group_id(const struct iommu_group *g)
{
	return g->id;
}

unsigned kshim_group_nr_devices(const struct iommu_group *g)
{
	struct iommu_group *w = (struct iommu_group *)g;
	unsigned n;

	mutex_lock(&w->mutex);
	n = w->nr_devices;
	mutex_unlock(&w->mutex);
	return n;
}

int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *, void *))
{
	struct device *dev;
	int ret = 0;

	mutex_lock(&group->mutex);
	list_for_each_entry(dev, &group->devices, group_node) {
		ret = fn(dev, data);
		if (ret)
			break;
	}
	mutex_unlock(&group->mutex);
	return ret;
}

static enum sva_dev_feature feat_of(enum iommu_dev_features f)
{
	return f == IOMMU_DEV_FEAT_SVA ? SVA_FEAT_SVA : SVA_FEAT_IOPF;
}

int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features f)
{
	int ret;

	if (should_fail(KSHIM_FAULT_FEATURE))
		return -ENODEV;
	if (f != IOMMU_DEV_FEAT_SVA && f != IOMMU_DEV_FEAT_IOPF)
		return -EINVAL;
	kshim_model_lock();
	ret = sva_dev_enable_feature(dev->sdev, feat_of(f));
	if (!ret)
		log_call(f == IOMMU_DEV_FEAT_SVA ? "sva+" : "iopf+", dev);
	kshim_model_unlock();
	return ret;
}

int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features f)
{
	int ret;

	if (f != IOMMU_DEV_FEAT_SVA && f != IOMMU_DEV_FEAT_IOPF)
		return -EINVAL;
	kshim_model_lock();
	ret = sva_dev_disable_feature(dev->sdev, feat_of(f));
	if (!ret)
		log_call(f == IOMMU_DEV_FEAT_SVA ? "sva-" : "iopf-", dev);
	kshim_model_unlock();
	return ret;
}

struct iommu_sva *iommu_sva_bind_device(struct device *dev,
					struct mm_struct *mm, void *drvdata)
{
	struct iommu_group *g = dev->group;
	struct iommu_sva *h = ERR_PTR(-EINVAL);
	struct sva_bond *b;

	mutex_lock(&g->mutex);
	/* 6.1: SVA only for a device alone in its group */
	if (g->nr_devices != 1)
		goto out;
	h = ERR_PTR(-ENOMEM);
	if (should_fail(KSHIM_FAULT_SVA_BIND))
		goto out;
	kshim_model_lock();
	b = sva_bind_device(dev->sdev, mm->hmm, drvdata);
	if (SVA_IS_ERR(b)) {
		h = ERR_PTR(SVA_PTR_ERR(b));
	} else {
		if (!mm->pasid)
			mm->pasid = sva_bond_pasid(b);
		h = xzalloc(sizeof(*h));
		h->bond = b;
		h->dev = dev;
		list_add_tail(&h->node, &ks->handles);
		atomic_fetch_add(&cnt.sva_handles, 1);
		log_call("bind", dev);
	}
	kshim_model_unlock();
out:
	mutex_unlock(&g->mutex);
	return h;
}

void iommu_sva_unbind_device(struct iommu_sva *handle)
{
	struct iommu_group *g;

	if (!handle || IS_ERR(handle))
		return;
	g = handle->dev->group;
	mutex_lock(&g->mutex);
	kshim_model_lock();
	sva_unbind_device(handle->bond);
	mm_pasids_keep(); /* its address space may be gone already */
	log_call("unbind", handle->dev);
	list_del(&handle->node);
	kshim_model_unlock();
	mutex_unlock(&g->mutex);
	free(handle);
	atomic_fetch_sub(&cnt.sva_handles, 1);
}

u32 iommu_sva_get_pasid(struct iommu_sva *handle)
{
	u32 pasid;

	if (!handle || IS_ERR(handle))
		return IOMMU_PASID_INVALID;
	kshim_model_lock();
	pasid = sva_get_pasid(handle->bond);
	kshim_model_unlock();
	return pasid;
}

struct iommu_domain *iommu_domain_alloc_group(struct iommu_group *group)
{
	(void)group;
	return kzalloc(sizeof(struct iommu_domain), GFP_KERNEL);
}

void iommu_domain_free(struct iommu_domain *domain)
{
	if (!domain)
		return;
	WARN_ON(atomic_load(&domain->groups));
	kfree(domain);
}

int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *g)
{
	int ret = 0;

	mutex_lock(&g->mutex);
	if (g->domain && g->domain != domain)
		ret = -EBUSY; /* detach from the other domain first */
	else if (!g->domain) {
		g->domain = domain;
		atomic_fetch_add(&domain->groups, 1);
	}
	mutex_unlock(&g->mutex);
	return ret;
}

void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *g)
{
	mutex_lock(&g->mutex);
	if (!WARN_ON(g->domain != domain)) {
		g->domain = NULL;
		atomic_fetch_sub(&domain->groups, 1);
	}
	mutex_unlock(&g->mutex);
}

/* --- the I/O page-fault handler's view of the bonds --- */

static struct hmm *iopf_lookup(void *ctx, uint32_t sid, bool ssv,
			       uint32_t pasid)
{
	struct kshim *k = ctx;
	struct iommu_sva *h;

	/* Called from iopf_process, under the model lock. */
	if (!ssv)
		return NULL;
	list_for_each_entry(h, &k->handles, node)
		if (sva_dev_sid(sva_bond_dev(h->bond)) == sid &&
		    sva_bond_pasid(h->bond) == pasid)
			return sva_bond_mm(h->bond);
	return NULL;
}

/* --- the instance --- */

struct kshim *kshim_create(const struct kshim_config *cfg)
{
	struct kshim_config c = cfg ? *cfg : (struct kshim_config){ 0 };
	struct smmu_impl impl;
	struct kshim *k;
	char err[160];

	pthread_once(&once, init_once);
	if (!c.preset)
		c.preset = "full";
	if (!c.sid_bits)
		c.sid_bits = 16;
	if (!c.pasid_bits)
		c.pasid_bits = 20;
	plock(&table_lock);
	if (ks) {
		punlock(&table_lock);
		fprintf(stderr, "kshim: one instance at a time\n");
		return NULL;
	}
	punlock(&table_lock);
	if (c.impl) {
		impl = *c.impl;
	} else if (!smmu_impl_preset(c.preset, &impl)) {
		fprintf(stderr, "kshim: unknown preset '%s'\n", c.preset);
		return NULL;
	}
	k = xzalloc(sizeof(*k));
	INIT_LIST_HEAD(&k->tasks);
	INIT_LIST_HEAD(&k->all_tasks);
	INIT_LIST_HEAD(&k->all_pids);
	INIT_LIST_HEAD(&k->all_mms);
	INIT_LIST_HEAD(&k->groups);
	INIT_LIST_HEAD(&k->handles);
	kshim_model_lock();
	if (!platform_create_traced(&k->plat, &impl, c.seed, c.sid_bits,
				    c.trace, c.trace_flags, err,
				    sizeof(err))) {
		kshim_model_unlock();
		fprintf(stderr, "kshim: platform: %s\n", err);
		free(k);
		return NULL;
	}
	k->os = hos_create(k->plat.hm);
	k->ps = pasid_space_create(c.pasid_bits);
	k->sys = k->ps ? sva_system_create(k->ps) : NULL;
	k->io = k->sys ? sva_iommu_create(k->sys, k->plat.drv) : NULL;
	if (!k->os || !k->io) {
		fprintf(stderr, "kshim: cannot create the OS or SVA layer\n");
		if (k->sys)
			sva_system_destroy(k->sys);
		if (k->ps)
			pasid_space_destroy(k->ps);
		hos_destroy(k->os);
		platform_destroy(&k->plat);
		kshim_model_unlock();
		free(k);
		return NULL;
	}
	/* Optional: without it bonds work, only faults go unanswered. */
	if (iopf_create(k->plat.sim, k->plat.drv, NULL, &k->iopf))
		k->iopf = NULL;
	else
		iopf_set_lookup(k->iopf, iopf_lookup, k);
	kshim_model_unlock();

	counts_reset();
	kshim_fail_nth(0);
	plock(&table_lock);
	ks = k;
	punlock(&table_lock);
	return k;
}

void kshim_destroy(struct kshim *k)
{
	struct task_struct *t, *tn;
	struct mm_struct *mm, *mn;
	struct pid *pid, *pn;
	struct iommu_sva *h, *hn;
	struct iommu_group *g, *gn;
	struct device *d, *dn;
	struct kblock *b, *bn;

	if (!k)
		return;
	kshim_flush_work();
	/* Every task exits and is reaped, as hos_destroy would do. */
	for (;;) {
		plock(&table_lock);
		t = list_empty(&k->tasks) ? NULL :
			list_first_entry(&k->tasks, struct task_struct, node);
		if (t)
			get_task_struct(t);
		punlock(&table_lock);
		if (!t)
			break;
		kshim_exit(t);
		kshim_reap(t);
		put_task_struct(t);
	}
	kshim_flush_work();

	kshim_model_lock();
	list_for_each_entry_safe(h, hn, &k->handles, node) {
		sva_unbind_device(h->bond);
		list_del(&h->node);
		free(h);
		atomic_fetch_sub(&cnt.sva_handles, 1);
	}
	list_for_each_entry_safe(g, gn, &k->groups, node) {
		list_for_each_entry_safe(d, dn, &g->devices, group_node) {
			sva_dev_remove(d->sdev);
			free(d);
		}
		mutex_destroy(&g->mutex);
		free(g);
	}
	INIT_LIST_HEAD(&k->groups);
	if (k->iopf)
		iopf_destroy(k->iopf);
	sva_iommu_destroy(k->io);
	sva_system_destroy(k->sys);
	/* Exits and reaps what leaked references kept deferred. */
	hos_destroy(k->os);
	kshim_model_unlock();

	/* Objects the caller leaked: freed so the program ends clean. */
	plock(&table_lock);
	ks = NULL;
	punlock(&table_lock);
	list_for_each_entry_safe(mm, mn, &k->all_mms, all) {
		kshim_model_lock();
		hmm_put(mm->hmm);
		kshim_model_unlock();
		pthread_mutex_destroy(&mm->nlock);
		free(mm);
	}
	list_for_each_entry_safe(t, tn, &k->all_tasks, all) {
		pthread_mutex_destroy(&t->lock);
		pthread_mutex_destroy(&t->life);
		free(t);
	}
	list_for_each_entry_safe(pid, pn, &k->all_pids, all)
		free(pid);

	kshim_model_lock();
	pasid_space_destroy(k->ps);
	platform_destroy(&k->plat);
	kshim_model_unlock();

	plock(&alloc_lock);
	list_for_each_entry_safe(b, bn, &kblocks, node)
		free(container_of(b, union kblock_hdr, b));
	INIT_LIST_HEAD(&kblocks);
	punlock(&alloc_lock);
	plock(&work_lock);
	work_queue = NULL;
	punlock(&work_lock);
	plock(&free_lock);
	free_queue = NULL;
	punlock(&free_lock);
	free(k);
}

struct platform *kshim_platform(struct kshim *k)
{
	return &k->plat;
}

struct hos *kshim_os(struct kshim *k)
{
	return k->os;
}

struct pasid_space *kshim_pasids(struct kshim *k)
{
	return k->ps;
}

struct sva_iommu *kshim_sva_iommu(struct kshim *k)
{
	return k->io;
}

struct iopf *kshim_iopf(struct kshim *k)
{
	return k->iopf;
}
