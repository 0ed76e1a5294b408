/* SPDX-License-Identifier: MIT */
/*
 * The simulated OS: processes and their address spaces, as a kernel has
 * them, so that a device bound to a process (SVA) walks the very page
 * tables the CPU uses.
 *
 *   struct hos    the kernel: a PID table and the pages it lends out.
 *   struct hproc  a process: PID, parent, uid, state, address space.
 *   struct hmm    an address space (Linux's mm_struct): VMAs and real
 *                 AArch64 stage-1 tables in simulated memory (host/pgtable),
 *                 built lazily by demand paging, with listeners (the MMU
 *                 notifier equivalent) told of every PTE change.
 *
 * Pages come from the hostmem allocator, zeroed. A mapped page has no PTE
 * until the CPU touches it (hproc_read/hproc_write) or someone faults it in
 * (hos_fault: what an I/O page-fault handler calls for a device fault).
 * fork shares private pages copy-on-write; reclaim moves a page's contents
 * to a swap copy in host memory and a later fault brings it back.
 *
 * Invalidation rule: every write that changes or clears a VALID PTE is
 * followed (after the write, before any page it mapped is freed) by
 * invalidate_range(start, end) with `end` exclusive:
 *
 *   munmap(a, len)     once, [a, a + len) rounded to pages, if any PTE was
 *                      cleared
 *   mprotect(a, len)   once, [a, a + len) rounded to pages, if any PTE
 *                      changed (downgrade or upgrade)
 *   write fault on a read-only PTE (COW break, or upgrade of a page no
 *                      longer shared): [page, page + granule)
 *   hos_reclaim        [page, page + granule)
 *   fork               once per private VMA of the parent in which a
 *                      writable PTE was made read-only: [vm_start, vm_end)
 *   teardown           once per VMA with present PTEs, [vm_start, vm_end),
 *                      in ascending order, after release
 *
 * Installing a PTE where there was none is not notified (no TLB can hold
 * an invalid entry). Teardown happens when the last process using the
 * address space exits or execs: listeners get release() once, then the
 * PTEs are cleared with the invalidations above, then pages and tables
 * are freed. The struct hmm itself lives on while references taken with
 * hmm_get remain (an SVA bond holds one), answering hos_fault with
 * -EFAULT and hmm_ttb with 0.
 *
 * Simplifications: no VMA merging; the mmap address hint is ignored
 * without HMAP_FIXED; any protection other than HPROT_NONE implies
 * HPROT_READ (as AArch64 stage 1 cannot express write- or execute-only
 * user pages); pages of HMAP_SHARED mappings are owned by their shared
 * object, so reclaim only unmaps them from the given address space.
 *
 * Callbacks must not change the PTEs of the address space that is
 * notifying them; they may unregister any listener.
 */
#ifndef SMMUSIM_HOST_OS_H
#define SMMUSIM_HOST_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/hostmem.h"
#include "host/pgtable.h"

struct hos;
struct hproc;
struct hmm;

/* Protections (mmap, mprotect) */
enum {
	HPROT_NONE = 0,
	HPROT_READ = 1u << 0,
	HPROT_WRITE = 1u << 1,
	HPROT_EXEC = 1u << 2,
};

/* mmap flags. Mappings are always anonymous; private unless HMAP_SHARED. */
enum {
	HMAP_PRIVATE = 0,
	HMAP_SHARED = 1u << 0,    /* shared with fork children, not COW */
	HMAP_ANONYMOUS = 1u << 1, /* accepted, implied */
	HMAP_FIXED = 1u << 2,     /* at exactly addr, replacing what is there */
};

/* hos_fault access type (a mask; 0 is a read). */
enum {
	HFAULT_READ = 0,
	HFAULT_WRITE = 1u << 0,
	HFAULT_EXEC = 1u << 1,
};

#define HOS_PID_MAX_DEFAULT 32768
/* The lowest address mmap hands out or accepts (like mmap_min_addr). */
#define HOS_MMAP_MIN UINT64_C(0x10000)

/* Address-space geometry chosen when it is created. */
struct hmm_geom {
	uint8_t granule_shift; /* 12, 14 or 16 (page size = granule) */
	uint8_t va_bits;       /* 25..48: T0SZ = 64 - va_bits */
};

/* 4K granule, 48-bit VA */
#define HMM_GEOM_DEFAULT ((struct hmm_geom){ 12, 48 })

/* --- the OS --- */

struct hos *hos_create(struct hostmem *hm);
/* Exit and reap every process. hmm structs still referenced through
 * hmm_get stay valid (torn down) until their last hmm_put. */
void hos_destroy(struct hos *os);
struct hostmem *hos_hostmem(const struct hos *os);
/* PIDs are 1 .. pid_max - 1, handed out cyclically after the last one
 * given, skipping PIDs held by live or zombie processes. Only allowed
 * (returns true) while every PID in use is below the new maximum. */
bool hos_set_pid_max(struct hos *os, int pid_max);
/* The process with this PID (live or zombie), or NULL. */
struct hproc *hos_find(const struct hos *os, int pid);
unsigned hos_nr_procs(const struct hos *os);

/* --- processes --- */

/* A new process (parent PID 0) with credentials uid and an empty address
 * space of geometry geo (NULL: HMM_GEOM_DEFAULT). NULL when out of PIDs
 * or memory, or for a bad geometry. */
struct hproc *hos_spawn(struct hos *os, uint32_t uid,
			const struct hmm_geom *geo);
/* A child with the parent's uid and a NEW address space: the parent's
 * VMAs, private pages shared copy-on-write, shared mappings shared. */
struct hproc *hos_fork(struct hproc *parent);
/* A child sharing the parent's address space (a thread: CLONE_VM), which
 * gains a user. */
struct hproc *hos_clone_vm(struct hproc *parent);
/* Replace the address space with a new empty one of the same geometry;
 * the old one loses a user (torn down if it was the last). 0, -ENOMEM,
 * -ESRCH for a zombie. */
int hos_exec(struct hproc *p);
/* The process drops its address space and becomes a zombie. */
void hos_exit(struct hproc *p, int status);
/* Free a zombie and its PID; its exit status in *status. 0, or -EINVAL
 * if p is not a zombie (p is then untouched). */
int hos_reap(struct hproc *p, int *status);

int hproc_pid(const struct hproc *p);
int hproc_ppid(const struct hproc *p);
uint32_t hproc_uid(const struct hproc *p);
void hproc_set_uid(struct hproc *p, uint32_t uid);
bool hproc_is_zombie(const struct hproc *p);
/* The process's address space; NULL for a zombie. */
struct hmm *hproc_mm(const struct hproc *p);

/* ptrace-style access check: both alive, and the tracer has uid 0 or the
 * target's uid. */
bool hos_may_ptrace(const struct hproc *tracer, const struct hproc *target);

/* --- memory syscalls (on the process's address space) --- */

/* Map len bytes (rounded up to pages) of zero-fill memory. Without
 * HMAP_FIXED the VA is the highest free range below 2^(va_bits - 1)
 * (2^47 by default) and at or above HOS_MMAP_MIN; with it, addr (page
 * aligned) and anything mapped there is unmapped first. 0 and *va, or
 * -EINVAL (bad length, flags, prot or fixed address), -ENOMEM (no room),
 * -ESRCH (zombie). */
int hos_mmap(struct hproc *p, uint64_t addr, uint64_t len, unsigned prot,
	     unsigned flags, uint64_t *va);
/* Unmap [addr, addr + len) (len rounded up to pages; holes allowed). */
int hos_munmap(struct hproc *p, uint64_t addr, uint64_t len);
/* Change the protection of [addr, addr + len), which must be mapped
 * without holes (else -ENOMEM, nothing changed). Present PTEs are
 * rewritten at once; HPROT_NONE clears them, keeping the pages. */
int hos_mprotect(struct hproc *p, uint64_t addr, uint64_t len,
		 unsigned prot);

/* CPU accesses through the process's page tables, faulting pages in as
 * needed (a write breaks COW). 0, -EFAULT (unmapped), -EACCES (not
 * permitted), -ENOMEM, -ESRCH (zombie). Bytes before a failing page were
 * transferred. */
int hproc_read(struct hproc *p, uint64_t va, void *buf, size_t len);
int hproc_write(struct hproc *p, uint64_t va, const void *buf, size_t len);

/* Resolve a fault on va with access (HFAULT_*), as the CPU's or an I/O
 * page-fault handler does: 0 when a PTE permitting the access is in place
 * on return, -EFAULT (no VMA, or the address space is torn down),
 * -EACCES (the VMA forbids the access), -ENOMEM. */
int hos_fault(struct hmm *mm, uint64_t va, unsigned access);
/* Reclaim the page holding va: its PTE is cleared (invalidate_range) and,
 * for a private page, its contents kept in a swap copy in host memory and
 * the page dropped. The next fault brings the contents back. 0, -EFAULT
 * (no VMA), -ENOENT (no present page there). */
int hos_reclaim(struct hmm *mm, uint64_t va);

/* --- address spaces --- */

struct hmm_notifier_ops {
	void (*invalidate_range)(void *ctx, struct hmm *mm, uint64_t start,
				 uint64_t end);
	void (*release)(void *ctx, struct hmm *mm);
};

/* A listener, embedded in its owner's structure; fields are private. */
struct hmm_notifier {
	const struct hmm_notifier_ops *ops;
	void *ctx;
	struct hmm_notifier *next;
};

/* Listeners are called in registration order. Registering does not take
 * a reference: a listener that may outlive the address space's users
 * takes one with hmm_get and drops it after unregistering. -ESRCH if the
 * address space is already torn down. */
int hmm_notifier_register(struct hmm *mm, struct hmm_notifier *n,
			  const struct hmm_notifier_ops *ops, void *ctx);
void hmm_notifier_unregister(struct hmm *mm, struct hmm_notifier *n);

/* Keep the struct (not the pages) alive. */
void hmm_get(struct hmm *mm);
void hmm_put(struct hmm *mm);
/* Processes using the address space; 0 once torn down. */
unsigned hmm_users(const struct hmm *mm);
/* A number unique to this address space within its OS (from 1). */
uint64_t hmm_id(const struct hmm *mm);

/* What a context descriptor needs: TTB0 (the root table's PA, 0 once
 * torn down), T0SZ, TG0, IPS (48-bit PAs: 0b101; the driver clamps it to
 * the SMMU's OAS), MAIR. */
uint64_t hmm_ttb(const struct hmm *mm);
uint8_t hmm_t0sz(const struct hmm *mm);
uint8_t hmm_tg0(const struct hmm *mm);
uint8_t hmm_ips(const struct hmm *mm);
uint64_t hmm_mair(const struct hmm *mm);
uint64_t hmm_page_size(const struct hmm *mm);
struct hmm_geom hmm_geom(const struct hmm *mm);
/* The page tables, for inspection (pgtable_lookup). */
struct pgtable *hmm_pgtable(struct hmm *mm);
/* Pages the address space currently holds a reference on (present PTEs
 * and pages kept under HPROT_NONE), and swap copies it holds. */
uint64_t hmm_rss(const struct hmm *mm);
uint64_t hmm_swapped(const struct hmm *mm);

#endif
