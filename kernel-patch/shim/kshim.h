/* SPDX-License-Identifier: MIT */
/*
 * kshim: the slice of the Linux 6.1 kernel API that the VFIO bind patch
 * (kernel-patch/0002-*.patch) uses, in userspace, routed into the model:
 *
 *   kernel                     here
 *   struct mm_struct           an address space of the simulated OS
 *                              (struct hmm), with mm_users / mm_count
 *   mm->pasid                  given by the first SVA bind of the mm and
 *                              freed only when the mm_struct is (the last
 *                              mmdrop), as in 6.1: while anyone holds
 *                              mm_count, no other mm can get the PASID
 *   struct task_struct, pids   a process of the simulated OS (struct hproc)
 *   current                    the task set with kshim_set_current(), per
 *                              thread
 *   mm_access() ptrace check   hos_may_ptrace()'s rule: same uid or 0
 *   mmu_notifier               kept here, per mm: release() runs when the
 *                              last mm_users reference goes, before the
 *                              model tears the address space down
 *   struct device, iommu_group a device of the SVA layer (struct sva_dev)
 *                              and a group of such devices
 *   iommu_dev_*_feature,       pasid/sva_linux.h on the model's SMMU,
 *   iommu_sva_*                including Linux 6.1's rule that SVA binds
 *                              only devices alone in their group
 *   kzalloc, copy_*_user       malloc and memcpy, counted
 *
 * Every call that can fail in the kernel can be made to fail here: see
 * kshim_fail_nth(). Everything that must be released is counted: see
 * struct kshim_counts.
 *
 * Threads: the kernel-side code may run on several threads at once, as in
 * the kernel. Mutexes and spinlocks are real (pthread) locks. The model
 * (platform, OS, SVA layer) is single-threaded: every call into it takes
 * one recursive lock, kshim_model_lock(), which the shim's own functions
 * take for the caller. Do not hold it across a kernel-API call that may
 * call back into a driver (mmput, kshim_exit, kshim_flush_work, ...):
 * callbacks take kernel mutexes, which rank above it.
 *
 * struct mutex is error-checking: locking one the thread already holds
 * aborts with a message (the kernel would deadlock). The shim's own
 * allocations abort when memory runs out; kzalloc returns NULL.
 */
#ifndef SMMUSIM_KSHIM_H
#define SMMUSIM_KSHIM_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <linux/types.h> /* __u32 and friends, as the uapi header uses */

struct platform;
struct hos;
struct hproc;
struct hmm;
struct pasid_space;
struct sva_iommu;
struct sva_dev;
struct sva_dev_params;
struct smmu_impl;
struct iopf;

/* --- compiler and types --- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef int pid_t_k;

#define __user
#define GFP_KERNEL 0u

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

#define MAX_ERRNO 4095
static inline void *ERR_PTR(long err)
{
	return (void *)(intptr_t)err;
}

static inline long PTR_ERR(const void *p)
{
	return (long)(intptr_t)p;
}

static inline bool IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-MAX_ERRNO;
}

/* Counted in kshim_counts.warnings; the condition's value. */
#define WARN_ON(cond) kshim_warn_on(!!(cond), __FILE__, __LINE__)
bool kshim_warn_on(bool cond, const char *file, int line);

/* --- lists (include/linux/list.h semantics) --- */

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void kshim_list_insert(struct list_head *n,
				     struct list_head *prev,
				     struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *head)
{
	kshim_list_insert(n, head, head->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	kshim_list_insert(n, head->prev, head);
}

/* Poisoned like the kernel's, so a use after list_del faults. */
#define KSHIM_LIST_POISON1 ((struct list_head *)(uintptr_t)0x100)
#define KSHIM_LIST_POISON2 ((struct list_head *)(uintptr_t)0x122)

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = KSHIM_LIST_POISON1;
	e->prev = KSHIM_LIST_POISON2;
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

/* Unlink e and add it at the tail of head. */
static inline void list_move_tail(struct list_head *e, struct list_head *head)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	list_add_tail(e, head);
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

static inline bool list_is_singular(const struct list_head *head)
{
	return !list_empty(head) && head->next == head->prev;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) \
	list_entry((ptr)->prev, type, member)
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_prev_entry(pos, member) \
	list_entry((pos)->member.prev, __typeof__(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))

#define list_for_each_entry(pos, head, member)                          \
	for (pos = list_first_entry(head, __typeof__(*pos), member);    \
	     !list_entry_is_head(pos, head, member);                    \
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_reverse(pos, head, member)                  \
	for (pos = list_last_entry(head, __typeof__(*pos), member);     \
	     !list_entry_is_head(pos, head, member);                    \
	     pos = list_prev_entry(pos, member))

#define list_for_each_entry_safe(pos, n, head, member)                  \
	for (pos = list_first_entry(head, __typeof__(*pos), member),    \
	     n = list_next_entry(pos, member);                          \
	     !list_entry_is_head(pos, head, member);                    \
	     pos = n, n = list_next_entry(n, member))

#define list_for_each_entry_safe_reverse(pos, n, head, member)          \
	for (pos = list_last_entry(head, __typeof__(*pos), member),     \
	     n = list_prev_entry(pos, member);                          \
	     !list_entry_is_head(pos, head, member);                    \
	     pos = n, n = list_prev_entry(n, member))

/* From the entry before pos back to the head (pos itself excluded). */
#define list_for_each_entry_continue_reverse(pos, head, member)         \
	for (pos = list_prev_entry(pos, member);                        \
	     !list_entry_is_head(pos, head, member);                    \
	     pos = list_prev_entry(pos, member))

/* --- locks --- */

struct mutex {
	pthread_mutex_t m;
};

void mutex_init(struct mutex *m);
void mutex_destroy(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

typedef struct {
	pthread_mutex_t m;
} spinlock_t;

void spin_lock_init(spinlock_t *l);
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);

/* --- memory (fault site KSHIM_FAULT_ALLOC) --- */

void *kzalloc(size_t size, unsigned gfp);
void kfree(const void *p);

/*
 * User copies (fault sites KSHIM_FAULT_COPY_FROM / _TO). "User" memory
 * is the calling program's own memory; NULL or an address below 4096
 * faults. Returns the number of bytes NOT copied, as the kernel does.
 */
unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from,
			   unsigned long n);

/* --- tasks, PIDs, address spaces --- */

struct task_struct;
struct mm_struct;
struct pid;

enum pid_type { PIDTYPE_PID };

/* Only the mode the patch uses. */
#define PTRACE_MODE_ATTACH_REALCREDS 0x12u

struct task_struct *kshim_get_current(void);
#define current (kshim_get_current())

struct pid *find_get_pid(int nr);
void put_pid(struct pid *pid);
struct task_struct *get_pid_task(struct pid *pid, enum pid_type type);
void get_task_struct(struct task_struct *t);
void put_task_struct(struct task_struct *t);

/* mm_users reference on the task's mm, or NULL (exited, zombie). */
struct mm_struct *get_task_mm(struct task_struct *t);
/*
 * Linux 6.1's mm_access(): the task's mm with an mm_users reference,
 * ERR_PTR(-ESRCH) if it has none, ERR_PTR(-EACCES) if the mm is not
 * current's and current may not ptrace the task (same uid, or current
 * has uid 0; a task that exits keeps its uid, so the check also holds
 * for a target exiting meanwhile). No current, or an exited one, passes
 * no check.
 */
struct mm_struct *mm_access(struct task_struct *t, unsigned mode);
bool mmget_not_zero(struct mm_struct *mm);
/* The last mm_users reference runs exit_mmap: notifier release(), then
 * the model's teardown. mmput_async defers that to kshim_flush_work(). */
void mmput(struct mm_struct *mm);
void mmput_async(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);

/* --- mmu_notifier (subscriptions with release and free_notifier) --- */

struct mmu_notifier;

struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *mn, struct mm_struct *mm);
	void (*free_notifier)(struct mmu_notifier *mn);
};

struct mmu_notifier {
	const struct mmu_notifier_ops *ops; /* set by the owner */
	struct mm_struct *mm;               /* set by register */
	/* private */
	unsigned users;
	bool hashed;
	struct mmu_notifier *kshim_next;
	struct mmu_notifier *kshim_free_next; /* queued for free_notifier */
};

/*
 * Subscribe to mm (the caller holds mm_users; fault site
 * KSHIM_FAULT_NOTIFIER: -ENOMEM). Takes mm_count, users = 1. release()
 * calls run in registration order, each at most once.
 */
int mmu_notifier_register(struct mmu_notifier *mn, struct mm_struct *mm);
/* Drop a reference; the last unsubscribes at once and calls
 * ops->free_notifier after a grace period (no release() running), then
 * drops mm_count. Never blocks; allowed inside release(). */
void mmu_notifier_put(struct mmu_notifier *mn);
/* Wait until every free_notifier queued so far has run. Not from inside
 * release() (the grace period would wait for itself, as in the kernel). */
void mmu_notifier_synchronize(void);

/* --- devices, groups, the 6.1 SVA API --- */

struct device;
struct iommu_group;
struct iommu_sva;
struct iommu_domain;

#define IOMMU_PASID_INVALID ((u32)-1)

enum iommu_dev_features {
	IOMMU_DEV_FEAT_SVA,
	IOMMU_DEV_FEAT_IOPF,
};

struct device *get_device(struct device *dev);
void put_device(struct device *dev);
/* Calls fn on each device of the group in the order added, holding the
 * group's mutex; stops at and returns the first non-zero result. */
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *, void *));

/* Fault site KSHIM_FAULT_FEATURE (enable only): -ENODEV. */
int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features f);
int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features f);

/* Fault site KSHIM_FAULT_SVA_BIND: ERR_PTR(-ENOMEM). -EINVAL when the
 * device's group holds more than one device (6.1; checked first, so such
 * a call is no fault point), else the errors of sva_bind_device. Each
 * successful call returns a new handle (one unbind each), also for the
 * same device and mm; the model counts the bond's references. */
struct iommu_sva *iommu_sva_bind_device(struct device *dev,
					struct mm_struct *mm, void *drvdata);
void iommu_sva_unbind_device(struct iommu_sva *handle);
u32 iommu_sva_get_pasid(struct iommu_sva *handle);

/* The type1 skeleton's domain calls (fault site KSHIM_FAULT_ALLOC for
 * the allocation; a kzalloc block). Bookkeeping only, with the kernel's
 * rules: attach is -EBUSY while the group is attached to another domain
 * (again to the same: 0); detach from a domain the group is not attached
 * to, and freeing a domain with groups attached, WARN. */
struct iommu_domain *iommu_domain_alloc_group(struct iommu_group *group);
void iommu_domain_free(struct iommu_domain *domain);
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *g);
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *g);

/* ====================== the test-facing side ====================== */

struct kshim_config {
	const char *preset;      /* SMMU preset, NULL: "full" */
	unsigned sid_bits;       /* 0: 16 */
	unsigned pasid_bits;     /* system PASID space, 0: 20 */
	uint64_t seed;
	/* If set, this implementation instead of the preset (copied). */
	const struct smmu_impl *impl;
	/* If set, the SMMU's trace goes here from the start
	 * (platform_create_traced, smmu_trace_open flags). */
	FILE *trace;
	unsigned trace_flags;
};

/*
 * One "kernel": a platform (engine, memory, SMMU, driver), the OS, the
 * PASID space, the SVA layer on the SMMU, and the shim's own tables.
 * One at a time per program (the kernel API has no context argument).
 * NULL on failure, with the reason on stderr.
 */
struct kshim *kshim_create(const struct kshim_config *cfg);
/* Every task, device and group must be gone or is torn down here: queued
 * work is flushed, every task left exits and is reaped (release()
 * callbacks run: reset kvfio first), bonds are unbound, and objects the
 * caller leaked (task, pid and mm references, kzalloc blocks, handles)
 * are freed without callbacks, so the program ends leak-free. */
void kshim_destroy(struct kshim *k);

struct platform *kshim_platform(struct kshim *k);
struct hos *kshim_os(struct kshim *k);
struct pasid_space *kshim_pasids(struct kshim *k);
struct sva_iommu *kshim_sva_iommu(struct kshim *k);
/*
 * The I/O page-fault handler (pri/iopf.h) on the SMMU's PRI and event
 * queues, or NULL if it could not be created. It finds the address space
 * of (StreamID, PASID) among the live iommu_sva handles. Drive it
 * (iopf_process, iopf_run) with the model lock held.
 */
struct iopf *kshim_iopf(struct kshim *k);

/* The model lock (recursive); shim functions take it themselves. */
void kshim_model_lock(void);
void kshim_model_unlock(void);

/* --- tasks --- */

/* A new process (uid) with a fresh address space; one task reference
 * for the caller, dropped with put_task_struct (the task also holds one
 * for itself until it is reaped). NULL when out of PIDs. */
struct task_struct *kshim_spawn(struct kshim *k, uint32_t uid);
/* fork(): a child with a copy-on-write copy of the parent's mm. */
struct task_struct *kshim_fork(struct task_struct *parent);
/* clone(CLONE_VM): a thread sharing the parent's mm (mm_users + 1). */
struct task_struct *kshim_clone_vm(struct task_struct *parent);
/*
 * execve(): a new empty mm; the old one loses this task's mm_users
 * reference. If that was the last, release() runs first, then the model
 * frees the old page tables; meanwhile get_task_mm(t) returns NULL.
 * Limitation: if someone else holds an mm_users reference, the model
 * tears the old address space down at once (it keeps one only while a
 * process uses it) and release() runs at that reference's mmput, seeing
 * hmm_ttb() == 0. 0, -ESRCH (exited), -ENOMEM (the model could not make
 * the new mm; if release() had run, the task keeps its old mm without
 * subscriptions, as a failed exec past the point of no return).
 */
int kshim_exec(struct task_struct *t);
/*
 * do_exit(): the task drops its mm (mmput) and becomes a zombie; its
 * PID stays until kshim_reap. When the task was the model's last user of
 * the address space, the model process's exit (hos_exit, which frees the
 * page tables) waits for the mm's last mmput, so that release() always
 * runs first; until then the model still counts the process as alive.
 * A second call does nothing.
 */
void kshim_exit(struct task_struct *t);
/*
 * Reap a zombie: it leaves the PID table at once (find_get_pid and
 * get_pid_task no longer see it) and drops its own task reference. If
 * its model exit still waits for a last mmput, the model process is
 * reaped by that mmput, and its PID number stays in use in the model
 * until then. 0, or -EINVAL (not exited, or already reaped).
 */
int kshim_reap(struct task_struct *t);

/* Per thread; takes no reference: keep t alive while it is current. */
void kshim_set_current(struct task_struct *t);
int kshim_task_pid(const struct task_struct *t);
struct hproc *kshim_task_hproc(const struct task_struct *t);
/* The task's mm without a reference (NULL for a zombie), to compare. */
struct mm_struct *kshim_task_mm(const struct task_struct *t);
struct hmm *kshim_mm_hmm(const struct mm_struct *mm);
unsigned kshim_mm_users(const struct mm_struct *mm);

/* --- devices and groups --- */

/* A device of the SVA layer (sva_dev_add) in a new group of its own
 * (numbered with the lowest free id from 0) or, if group is not NULL,
 * added to that group. NULL if sva_dev_add fails. Devices and groups
 * live until kshim_destroy. */
struct device *kshim_add_device(struct kshim *k,
				const struct sva_dev_params *p,
				struct iommu_group *group);
/* A group numbered id (its /dev/vfio/<id>), with no device yet; NULL if
 * id is negative or taken. */
struct iommu_group *kshim_group_create(struct kshim *k, int id);
struct iommu_group *kshim_device_group(const struct device *dev);
struct sva_dev *kshim_device_sva(const struct device *dev);
int kshim_group_id(const struct iommu_group *g);
unsigned kshim_group_nr_devices(const struct iommu_group *g);
/* NULL if there is none, or k is not the live instance. */
struct iommu_group *kshim_find_group(struct kshim *k, int id);

/* --- deferred work --- */

/* Run queued mmput_async work and pending free_notifier calls (after a
 * grace period). Call with no kernel-side lock held. */
void kshim_flush_work(void);

/* --- fault injection --- */

enum kshim_fault_site {
	KSHIM_FAULT_ALLOC,
	KSHIM_FAULT_COPY_FROM,
	KSHIM_FAULT_COPY_TO,
	KSHIM_FAULT_FEATURE,
	KSHIM_FAULT_SVA_BIND,
	KSHIM_FAULT_NOTIFIER,
	KSHIM_FAULT_NR
};

/*
 * Arm: the n-th (from 1) injectable call made from now on, on any
 * thread, fails; 0 disarms. Counting restarts at every call.
 */
void kshim_fail_nth(unsigned n);
/*
 * Arm: at the n-th injectable call made from now on (the same points as
 * kshim_fail_nth), run fn(ctx) on the thread making it, which then goes
 * on normally; 0 disarms. For sweeps of an event (a process exit) at
 * every step of an operation.
 */
void kshim_hook_nth(unsigned n, void (*fn)(void *ctx), void *ctx);
/* Injectable calls made since the last kshim_fail_nth(). */
unsigned kshim_fault_points(void);
/* Whether the armed failure happened, and at which site. */
bool kshim_fault_fired(enum kshim_fault_site *site);
const char *kshim_fault_site_name(enum kshim_fault_site site);

/* --- call log --- */

/*
 * The IOMMU-layer calls that took effect, in order, space-separated:
 * "iopf+:SID", "sva+:SID" (feature enabled), "sva-:SID", "iopf-:SID"
 * (disabled), "bind:SID", "unbind:SID" (iommu_sva handles), "mn+"
 * (notifier registered), "mn-" (its last reference put). SID in hex.
 * Up to 4 KiB; later calls are dropped.
 */
void kshim_log_reset(void);
void kshim_log_get(char *buf, size_t len);

/* --- accounting --- */

struct kshim_counts {
	long allocs;        /* kzalloc'd blocks not yet kfree'd */
	long notifiers;     /* registered subscriptions not yet freed */
	long pending_frees; /* free_notifier calls waiting for a grace */
	long pending_work;  /* queued mmput_async */
	long device_refs;   /* get_device minus put_device */
	long sva_handles;   /* iommu_sva handles not unbound */
	long mm_structs;    /* mm_structs not yet freed (mm_count > 0) */
	long tasks;         /* task_structs not yet freed */
	long warnings;      /* WARN_ON that fired */
};

void kshim_counts(struct kshim_counts *out);

#endif
