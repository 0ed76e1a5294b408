/* SPDX-License-Identifier: MIT */
/*
 * The simulated OS: PID table, credentials, address spaces with demand
 * paging, copy-on-write fork, reclaim, and the listeners told of every PTE
 * change (see os.h for the rules). Linux is the model of the semantics.
 *
 * State of a page of a VMA, per address space:
 *   - absent: no PTE, nothing kept (a fault allocates a zero page, or for
 *     a shared mapping takes the shared object's page);
 *   - present: a valid PTE; the address space holds one reference on the
 *     physical page;
 *   - offline (struct hoff): no PTE but the contents are kept, either the
 *     page itself (under HPROT_NONE, reference held) or a swap copy in
 *     host memory (after reclaim).
 * A private page with more than one reference is shared copy-on-write and
 * mapped read-only everywhere; the first write copies it (or, once it is
 * no longer shared, just makes the PTE writable).
 */
#include "host/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

/* A physical page lent to process memory: references are present PTEs,
 * offline entries holding the page, and a shared object owning it. */
struct hpage {
	uint64_t pa;
	uint64_t size;
	unsigned refs;
	UT_hash_handle hh;
};

/* The memory behind an HMAP_SHARED mapping: one page per page index,
 * allocated on first fault. */
struct hshm {
	unsigned refs; /* VMAs using it */
	uint64_t npages;
	uint64_t *pa;  /* 0: not yet allocated */
};

struct hvma {
	uint64_t start, end; /* [start, end), page aligned */
	unsigned prot, flags;
	struct hshm *shm;    /* HMAP_SHARED */
	uint64_t shm_pgoff;  /* page index of start within shm */
	struct hvma *next;   /* ascending */
};

/* A page of a VMA with no PTE whose contents are kept. */
struct hoff {
	uint64_t va;
	uint64_t pa;  /* the page itself (reference held), or 0 */
	void *swap;   /* its swap copy when pa == 0 */
	UT_hash_handle hh;
};

struct hmm {
	struct hos *os;
	uint64_t id;
	unsigned users; /* processes */
	unsigned refs;  /* hmm_get, plus one while users > 0 */
	bool dead;      /* torn down */
	struct hmm_geom geo;
	uint64_t gsz;
	struct pgtable pt;
	struct hvma *vmas;
	struct hoff *off;
	struct hmm_notifier *notifiers;
	struct hmm_notifier *cursor; /* next listener to call */
};

struct hproc {
	struct hos *os;
	int pid, ppid;
	uint32_t uid;
	bool zombie;
	int status;
	struct hmm *mm;
};

struct hos {
	struct hostmem *hm;
	struct pmem *mem;
	struct hproc **pids; /* pid_max slots */
	int pid_max;
	int last_pid;
	unsigned nr_procs;
	struct hpage *pages;
	uint64_t last_mm_id;
};

/* --- physical pages --- */

static struct hpage *page_find(struct hos *os, uint64_t pa)
{
	struct hpage *pg;

	HASH_FIND(hh, os->pages, &pa, sizeof(pa), pg);
	return pg;
}

/* A zeroed page with one reference, or 0. */
static uint64_t page_alloc(struct hos *os, uint64_t size)
{
	struct hpage *pg = calloc(1, sizeof(*pg));

	if (!pg)
		return 0;
	pg->pa = hostmem_alloc(os->hm, size, size);
	if (!pg->pa) {
		free(pg);
		return 0;
	}
	pg->size = size;
	pg->refs = 1;
	HASH_ADD(hh, os->pages, pa, sizeof(pg->pa), pg);
	return pg->pa;
}

static void page_get(struct hos *os, uint64_t pa)
{
	page_find(os, pa)->refs++;
}

static unsigned page_refs(struct hos *os, uint64_t pa)
{
	struct hpage *pg = page_find(os, pa);

	return pg ? pg->refs : 0;
}

static void page_put(struct hos *os, uint64_t pa)
{
	struct hpage *pg = page_find(os, pa);

	if (!pg || --pg->refs)
		return;
	HASH_DEL(os->pages, pg);
	hostmem_free(os->hm, pg->pa, pg->size);
	free(pg);
}

/* A copy of the page at pa with one reference, or 0. */
static uint64_t page_copy(struct hos *os, uint64_t pa, uint64_t size)
{
	void *buf = malloc(size);
	uint64_t npa = buf ? page_alloc(os, size) : 0;

	if (npa) {
		pmem_read(os->mem, pa, buf, size, NULL);
		pmem_write(os->mem, npa, buf, size, NULL);
	}
	free(buf);
	return npa;
}

/* Pages whose references are dropped only after the invalidation. */
struct pagevec {
	uint64_t *pa;
	size_t n, cap;
};

static void pagevec_add(struct hos *os, struct pagevec *pv, uint64_t pa)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;
		uint64_t *n = realloc(pv->pa, cap * sizeof(*n));

		if (!n) {
			/* out of host memory: drop it now rather than leak */
			page_put(os, pa);
			return;
		}
		pv->pa = n;
		pv->cap = cap;
	}
	pv->pa[pv->n++] = pa;
}

static void pagevec_release(struct hos *os, struct pagevec *pv)
{
	for (size_t i = 0; i < pv->n; i++)
		page_put(os, pv->pa[i]);
	free(pv->pa);
	pv->pa = NULL;
	pv->n = pv->cap = 0;
}

/* --- shared objects --- */

static struct hshm *shm_create(uint64_t npages)
{
	struct hshm *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pa = calloc(npages, sizeof(*s->pa));
	if (!s->pa) {
		free(s);
		return NULL;
	}
	s->refs = 1;
	s->npages = npages;
	return s;
}

static void shm_put(struct hos *os, struct hshm *s)
{
	if (!s || --s->refs)
		return;
	for (uint64_t i = 0; i < s->npages; i++)
		if (s->pa[i])
			page_put(os, s->pa[i]);
	free(s->pa);
	free(s);
}

/* --- listeners --- */

static void notify_invalidate(struct hmm *mm, uint64_t start, uint64_t end)
{
	for (struct hmm_notifier *n = mm->notifiers; n; n = mm->cursor) {
		mm->cursor = n->next;
		if (n->ops->invalidate_range)
			n->ops->invalidate_range(n->ctx, mm, start, end);
	}
	mm->cursor = NULL;
}

static void notify_release(struct hmm *mm)
{
	for (struct hmm_notifier *n = mm->notifiers; n; n = mm->cursor) {
		mm->cursor = n->next;
		if (n->ops->release)
			n->ops->release(n->ctx, mm);
	}
	mm->cursor = NULL;
}

int hmm_notifier_register(struct hmm *mm, struct hmm_notifier *n,
			  const struct hmm_notifier_ops *ops, void *ctx)
{
	struct hmm_notifier **pp = &mm->notifiers;

	if (mm->dead)
		return -ESRCH;
	n->ops = ops;
	n->ctx = ctx;
	n->next = NULL;
	while (*pp)
		pp = &(*pp)->next;
	*pp = n;
	return 0;
}

void hmm_notifier_unregister(struct hmm *mm, struct hmm_notifier *n)
{
	for (struct hmm_notifier **pp = &mm->notifiers; *pp;
	     pp = &(*pp)->next) {
		if (*pp != n)
			continue;
		if (mm->cursor == n)
			mm->cursor = n->next;
		*pp = n->next;
		n->next = NULL;
		return;
	}
}

/* --- VMAs --- */

static struct hvma *vma_find(struct hmm *mm, uint64_t va)
{
	for (struct hvma *v = mm->vmas; v && v->start <= va; v = v->next)
		if (va < v->end)
			return v;
	return NULL;
}

static void vma_insert(struct hmm *mm, struct hvma *nv)
{
	struct hvma **pp = &mm->vmas;

	while (*pp && (*pp)->start < nv->start)
		pp = &(*pp)->next;
	nv->next = *pp;
	*pp = nv;
}

/* Make addr a VMA boundary if a VMA straddles it. */
static int vma_split(struct hmm *mm, uint64_t addr)
{
	struct hvma *v = vma_find(mm, addr), *nv;

	if (!v || v->start == addr)
		return 0;
	nv = malloc(sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*nv = *v;
	nv->start = addr;
	if (nv->shm) {
		nv->shm->refs++;
		nv->shm_pgoff += (addr - v->start) / mm->gsz;
	}
	v->end = addr;
	v->next = nv;
	return 0;
}

static void vma_free(struct hmm *mm, struct hvma *v)
{
	shm_put(mm->os, v->shm);
	free(v);
}

/* The PTE flags for a page of v. */
static unsigned vma_pte_flags(const struct hvma *v, bool writable)
{
	unsigned f = PT_R | PT_USER | PT_NG;

	if (writable)
		f |= PT_W;
	if (v->prot & HPROT_EXEC)
		f |= PT_X;
	return f;
}

static bool vma_shared(const struct hvma *v)
{
	return v->flags & HMAP_SHARED;
}

/* --- offline pages --- */

static struct hoff *off_find(struct hmm *mm, uint64_t va)
{
	struct hoff *o;

	HASH_FIND(hh, mm->off, &va, sizeof(va), o);
	return o;
}

static int off_add(struct hmm *mm, uint64_t va, uint64_t pa, void *swap)
{
	struct hoff *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->va = va;
	o->pa = pa;
	o->swap = swap;
	HASH_ADD(hh, mm->off, va, sizeof(o->va), o);
	return 0;
}

/* Forget the offline pages in [start, end); their pages go to pv. */
static void off_drop_range(struct hmm *mm, uint64_t start, uint64_t end,
			   struct pagevec *pv)
{
	struct hoff *o, *tmp;

	HASH_ITER(hh, mm->off, o, tmp) {
		if (o->va < start || o->va >= end)
			continue;
		HASH_DEL(mm->off, o);
		if (o->pa)
			pagevec_add(mm->os, pv, o->pa);
		free(o->swap);
		free(o);
	}
}

/* --- address-space lifetime --- */

static struct hmm *mm_create(struct hos *os, const struct hmm_geom *geo)
{
	struct hmm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	if (!pgtable_init(&mm->pt, os->hm, 1, geo->granule_shift,
			  geo->va_bits)) {
		if (mm->pt.root)
			pgtable_destroy(&mm->pt);
		free(mm);
		return NULL;
	}
	mm->os = os;
	mm->id = ++os->last_mm_id;
	mm->users = 1;
	mm->refs = 1;
	mm->geo = *geo;
	mm->gsz = UINT64_C(1) << geo->granule_shift;
	return mm;
}

struct clear_ctx {
	struct hmm *mm;
	struct pagevec *pv;
	bool cleared;
};

static void clear_leaf(void *ctx, uint64_t ia, uint64_t leaf, uint64_t desc)
{
	struct clear_ctx *c = ctx;
	uint64_t pa;

	(void)desc;
	if (!pgtable_lookup(&c->mm->pt, ia, &pa, NULL))
		return;
	pmem_write64(c->mm->pt.mem, leaf, 0, NULL);
	pagevec_add(c->mm->os, c->pv, pa);
	c->cleared = true;
}

/* Clear the PTEs of [start, end), collecting their pages in pv. */
static bool clear_range(struct hmm *mm, uint64_t start, uint64_t end,
			struct pagevec *pv)
{
	struct clear_ctx c = { mm, pv, false };

	pgtable_walk_leaves(&mm->pt, start, end - start, clear_leaf, &c);
	return c.cleared;
}

/* The last user is gone: release, clear PTEs, free pages and tables. */
static void mm_teardown(struct hmm *mm)
{
	struct pagevec pv = { 0 };

	mm->dead = true;
	notify_release(mm);
	for (struct hvma *v = mm->vmas; v; v = v->next)
		if (clear_range(mm, v->start, v->end, &pv))
			notify_invalidate(mm, v->start, v->end);
	off_drop_range(mm, 0, UINT64_MAX, &pv);
	pagevec_release(mm->os, &pv);
	while (mm->vmas) {
		struct hvma *v = mm->vmas;

		mm->vmas = v->next;
		vma_free(mm, v);
	}
	pgtable_destroy(&mm->pt);
}

static void mm_drop_user(struct hmm *mm)
{
	if (--mm->users)
		return;
	mm_teardown(mm);
	hmm_put(mm);
}

void hmm_get(struct hmm *mm)
{
	mm->refs++;
}

void hmm_put(struct hmm *mm)
{
	if (!mm || --mm->refs)
		return;
	free(mm);
}

unsigned hmm_users(const struct hmm *mm)
{
	return mm->users;
}

uint64_t hmm_id(const struct hmm *mm)
{
	return mm->id;
}

uint64_t hmm_ttb(const struct hmm *mm)
{
	return mm->dead ? 0 : mm->pt.root;
}

uint8_t hmm_t0sz(const struct hmm *mm)
{
	return pgtable_tsz(&mm->pt);
}

uint8_t hmm_tg0(const struct hmm *mm)
{
	return pgtable_tg0(&mm->pt);
}

uint8_t hmm_ips(const struct hmm *mm)
{
	(void)mm;
	return 5; /* 0b101: 48-bit PA, what pgtable's descriptors hold */
}

uint64_t hmm_mair(const struct hmm *mm)
{
	(void)mm;
	return PGTABLE_MAIR;
}

uint64_t hmm_page_size(const struct hmm *mm)
{
	return mm->gsz;
}

struct hmm_geom hmm_geom(const struct hmm *mm)
{
	return mm->geo;
}

struct pgtable *hmm_pgtable(struct hmm *mm)
{
	return &mm->pt;
}

static void count_leaf(void *ctx, uint64_t ia, uint64_t leaf, uint64_t desc)
{
	(void)ia;
	(void)leaf;
	(void)desc;
	(*(uint64_t *)ctx)++;
}

uint64_t hmm_rss(const struct hmm *mm)
{
	struct hmm *m = (struct hmm *)mm;
	uint64_t n = 0;
	struct hoff *o, *tmp;

	if (mm->dead)
		return 0;
	pgtable_walk_leaves(&m->pt, 0, UINT64_C(1) << mm->geo.va_bits,
			    count_leaf, &n);
	HASH_ITER(hh, m->off, o, tmp)
		n += o->pa != 0;
	return n;
}

uint64_t hmm_swapped(const struct hmm *mm)
{
	struct hoff *o, *tmp;
	uint64_t n = 0;

	HASH_ITER(hh, ((struct hmm *)mm)->off, o, tmp)
		n += o->swap != NULL;
	return n;
}

/* --- faults --- */

/* Map page_va to pa (one reference held for the PTE, or transferred to
 * it). A shared private page is mapped read-only, or copied for a
 * write. Returns 0 or -ENOMEM (the reference is then dropped). */
static int install(struct hmm *mm, struct hvma *v, uint64_t page_va,
		   uint64_t pa, bool write)
{
	bool w = v->prot & HPROT_WRITE;

	if (w && !vma_shared(v) && page_refs(mm->os, pa) > 1) {
		if (write) {
			uint64_t npa = page_copy(mm->os, pa, mm->gsz);

			page_put(mm->os, pa);
			if (!npa)
				return -ENOMEM;
			pa = npa;
		} else {
			w = false;
		}
	}
	if (!pgtable_map(&mm->pt, page_va, pa, mm->gsz,
			 vma_pte_flags(v, w))) {
		page_put(mm->os, pa);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Write to a present read-only PTE of a writable VMA. A page no longer
 * shared just becomes writable (a permission change, allowed in place).
 * A shared one is copied; its output address changes, so the PTE goes
 * through break-before-make (Arm ARM, translation table updates):
 * cleared, invalidated, then written with the copy.
 */
static int break_cow(struct hmm *mm, struct hvma *v, uint64_t page_va,
		     uint64_t pa, uint64_t leaf)
{
	uint64_t npa = pa;

	if (page_refs(mm->os, pa) > 1) {
		npa = page_copy(mm->os, pa, mm->gsz);
		if (!npa)
			return -ENOMEM;
		pmem_write64(mm->pt.mem, leaf, 0, NULL);
	}
	/* (re)writing a leaf whose tables exist allocates nothing */
	if (npa == pa)
		pgtable_map(&mm->pt, page_va, npa, mm->gsz,
			    vma_pte_flags(v, true));
	notify_invalidate(mm, page_va, page_va + mm->gsz);
	if (npa != pa) {
		pgtable_map(&mm->pt, page_va, npa, mm->gsz,
			    vma_pte_flags(v, true));
		page_put(mm->os, pa);
	}
	return 0;
}

static int fault_absent(struct hmm *mm, struct hvma *v, uint64_t page_va,
			bool write)
{
	struct hoff *o = off_find(mm, page_va);
	uint64_t pa;

	if (o) {
		if (o->pa) {
			pa = o->pa;
		} else {
			pa = page_alloc(mm->os, mm->gsz);
			if (!pa)
				return -ENOMEM;
			pmem_write(mm->os->mem, pa, o->swap, mm->gsz, NULL);
		}
		HASH_DEL(mm->off, o);
		free(o->swap);
		free(o);
	} else if (vma_shared(v)) {
		uint64_t idx = v->shm_pgoff + (page_va - v->start) / mm->gsz;

		if (!v->shm->pa[idx]) {
			v->shm->pa[idx] = page_alloc(mm->os, mm->gsz);
			if (!v->shm->pa[idx])
				return -ENOMEM;
		}
		pa = v->shm->pa[idx];
		page_get(mm->os, pa);
	} else {
		pa = page_alloc(mm->os, mm->gsz);
		if (!pa)
			return -ENOMEM;
	}
	return install(mm, v, page_va, pa, write);
}

int hos_fault(struct hmm *mm, uint64_t va, unsigned access)
{
	struct hvma *v;
	uint64_t page_va, pa, leaf, desc;
	bool write = access & HFAULT_WRITE;

	if (!mm || mm->dead)
		return -EFAULT;
	v = vma_find(mm, va);
	if (!v)
		return -EFAULT;
	if (v->prot == HPROT_NONE || (write && !(v->prot & HPROT_WRITE)) ||
	    ((access & HFAULT_EXEC) && !(v->prot & HPROT_EXEC)))
		return -EACCES;
	page_va = va & ~(mm->gsz - 1);
	if (!pgtable_lookup(&mm->pt, page_va, &pa, &leaf))
		return fault_absent(mm, v, page_va, write);
	pmem_read64(mm->pt.mem, leaf, &desc, NULL);
	if (!write || (pgtable_leaf_flags(&mm->pt, desc) & PT_W))
		return 0; /* already permitted */
	return break_cow(mm, v, page_va, pa, leaf);
}

int hos_reclaim(struct hmm *mm, uint64_t va)
{
	struct hvma *v;
	uint64_t page_va, pa, leaf;
	void *swap = NULL;

	if (!mm || mm->dead)
		return -EFAULT;
	v = vma_find(mm, va);
	if (!v)
		return -EFAULT;
	page_va = va & ~(mm->gsz - 1);
	if (!pgtable_lookup(&mm->pt, page_va, &pa, &leaf))
		return -ENOENT;
	if (!vma_shared(v)) {
		swap = malloc(mm->gsz);
		if (!swap || off_add(mm, page_va, 0, swap)) {
			free(swap);
			return -ENOMEM;
		}
		pmem_read(mm->os->mem, pa, swap, mm->gsz, NULL);
	}
	pmem_write64(mm->pt.mem, leaf, 0, NULL);
	notify_invalidate(mm, page_va, page_va + mm->gsz);
	page_put(mm->os, pa);
	return 0;
}

/* --- CPU accesses --- */

/* The PA of va for a CPU access, faulting as the CPU would. */
static int cpu_translate(struct hmm *mm, uint64_t va, bool write,
			 uint64_t *pa)
{
	for (int tries = 0; tries < 2; tries++) {
		uint64_t leaf, desc;
		int r;

		if (pgtable_lookup(&mm->pt, va, pa, &leaf)) {
			pmem_read64(mm->pt.mem, leaf, &desc, NULL);
			if (!write ||
			    (pgtable_leaf_flags(&mm->pt, desc) & PT_W))
				return 0;
		}
		r = hos_fault(mm, va, write ? HFAULT_WRITE : HFAULT_READ);
		if (r)
			return r;
	}
	return -EFAULT; /* the fault handler left no usable PTE */
}

static int cpu_access(struct hproc *p, uint64_t va, void *rbuf,
		      const void *wbuf, size_t len)
{
	struct hmm *mm = p->mm;
	size_t done = 0;

	if (!mm)
		return -ESRCH;
	while (done < len) {
		uint64_t cur = va + done, pa;
		uint64_t in_page = mm->gsz - (cur & (mm->gsz - 1));
		size_t n = len - done < in_page ? len - done : (size_t)in_page;
		int r;

		if (cur < va)
			return -EFAULT; /* wrapped */
		r = cpu_translate(mm, cur, wbuf != NULL, &pa);
		if (r)
			return r;
		if (wbuf)
			pmem_write(mm->os->mem, pa,
				   (const uint8_t *)wbuf + done, n, NULL);
		else
			pmem_read(mm->os->mem, pa, (uint8_t *)rbuf + done, n,
				  NULL);
		done += n;
	}
	return 0;
}

int hproc_read(struct hproc *p, uint64_t va, void *buf, size_t len)
{
	return cpu_access(p, va, buf, NULL, len);
}

int hproc_write(struct hproc *p, uint64_t va, const void *buf, size_t len)
{
	return cpu_access(p, va, NULL, buf, len);
}

/* --- mmap, munmap, mprotect --- */

static unsigned prot_normalize(unsigned prot)
{
	return prot ? prot | HPROT_READ : prot;
}

/* Round len up to pages; 0 on overflow or zero length. */
static uint64_t page_len(const struct hmm *mm, uint64_t len)
{
	uint64_t r = (len + mm->gsz - 1) & ~(mm->gsz - 1);

	return r < len ? 0 : r;
}

static bool range_ok(const struct hmm *mm, uint64_t addr, uint64_t len)
{
	uint64_t limit = UINT64_C(1) << mm->geo.va_bits;

	return len && !(addr & (mm->gsz - 1)) && addr <= limit &&
	       len <= limit - addr;
}

static int mm_unmap(struct hmm *mm, uint64_t start, uint64_t end)
{
	struct pagevec pv = { 0 };
	struct hvma **pp = &mm->vmas, *gone = NULL;
	bool cleared;
	int r;

	r = vma_split(mm, start);
	if (!r)
		r = vma_split(mm, end);
	if (r)
		return r;
	/* unlink the VMAs inside [start, end) */
	while (*pp) {
		struct hvma *v = *pp;

		if (v->start >= start && v->end <= end) {
			*pp = v->next;
			v->next = gone;
			gone = v;
		} else {
			pp = &v->next;
		}
	}
	cleared = clear_range(mm, start, end, &pv);
	off_drop_range(mm, start, end, &pv);
	if (cleared)
		notify_invalidate(mm, start, end);
	pagevec_release(mm->os, &pv);
	while (gone) {
		struct hvma *v = gone;

		gone = v->next;
		vma_free(mm, v);
	}
	return 0;
}

/* The highest free [va, va + len) below the mmap top, or 0. */
static uint64_t get_unmapped_area(struct hmm *mm, uint64_t len)
{
	uint64_t top = UINT64_C(1) << (mm->geo.va_bits - 1);
	uint64_t lo = HOS_MMAP_MIN, best = 0;

	for (struct hvma *v = mm->vmas;; v = v->next) {
		uint64_t hi = v && v->start < top ? v->start : top;

		if (hi > lo && hi - lo >= len)
			best = hi - len;
		if (!v || v->end >= top)
			break;
		if (v->end > lo)
			lo = v->end;
	}
	return best;
}

int hos_mmap(struct hproc *p, uint64_t addr, uint64_t len, unsigned prot,
	     unsigned flags, uint64_t *va)
{
	struct hmm *mm = p->mm;
	struct hvma *v;
	uint64_t plen;

	if (!mm)
		return -ESRCH;
	plen = page_len(mm, len);
	if (!plen ||
	    (prot & ~(unsigned)(HPROT_READ | HPROT_WRITE | HPROT_EXEC)) ||
	    (flags & ~(unsigned)(HMAP_SHARED | HMAP_ANONYMOUS | HMAP_FIXED)))
		return -EINVAL;
	if (flags & HMAP_FIXED) {
		if (!range_ok(mm, addr, plen) || addr < HOS_MMAP_MIN)
			return -EINVAL;
	} else {
		addr = get_unmapped_area(mm, plen);
		if (!addr)
			return -ENOMEM;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->start = addr;
	v->end = addr + plen;
	v->prot = prot_normalize(prot);
	v->flags = flags & HMAP_SHARED;
	if (v->flags & HMAP_SHARED) {
		v->shm = shm_create(plen / mm->gsz);
		if (!v->shm) {
			free(v);
			return -ENOMEM;
		}
	}
	if ((flags & HMAP_FIXED) && mm_unmap(mm, v->start, v->end)) {
		vma_free(mm, v);
		return -ENOMEM;
	}
	vma_insert(mm, v);
	*va = addr;
	return 0;
}

int hos_munmap(struct hproc *p, uint64_t addr, uint64_t len)
{
	struct hmm *mm = p->mm;
	uint64_t plen;

	if (!mm)
		return -ESRCH;
	plen = page_len(mm, len);
	if (!plen || !range_ok(mm, addr, plen))
		return -EINVAL;
	return mm_unmap(mm, addr, addr + plen);
}

struct prot_ctx {
	struct hmm *mm;
	struct hvma *v;
	bool changed;
	int err;
};

static void prot_leaf(void *ctx, uint64_t ia, uint64_t leaf, uint64_t desc)
{
	struct prot_ctx *c = ctx;
	struct hmm *mm = c->mm;
	uint64_t pa, now;
	bool w;

	if (!pgtable_lookup(&mm->pt, ia, &pa, NULL))
		return;
	if (c->v->prot == HPROT_NONE) {
		/* keep the page, offline, until access is allowed again */
		if (off_add(mm, ia, pa, NULL)) {
			c->err = -ENOMEM;
			return;
		}
		pmem_write64(mm->pt.mem, leaf, 0, NULL);
		c->changed = true;
		return;
	}
	w = (c->v->prot & HPROT_WRITE) &&
	    (vma_shared(c->v) || page_refs(mm->os, pa) == 1);
	pgtable_map(&mm->pt, ia, pa, mm->gsz, vma_pte_flags(c->v, w));
	pmem_read64(mm->pt.mem, leaf, &now, NULL);
	if (now != desc)
		c->changed = true;
}

int hos_mprotect(struct hproc *p, uint64_t addr, uint64_t len,
		 unsigned prot)
{
	struct hmm *mm = p->mm;
	struct prot_ctx c = { 0 };
	uint64_t plen, end, cur;
	int r;

	if (!mm)
		return -ESRCH;
	plen = page_len(mm, len);
	if (!plen || !range_ok(mm, addr, plen) ||
	    (prot & ~(unsigned)(HPROT_READ | HPROT_WRITE | HPROT_EXEC)))
		return -EINVAL;
	end = addr + plen;
	for (cur = addr; cur < end;) {
		struct hvma *v = vma_find(mm, cur);

		if (!v)
			return -ENOMEM;
		cur = v->end;
	}
	r = vma_split(mm, addr);
	if (!r)
		r = vma_split(mm, end);
	if (r)
		return r;
	c.mm = mm;
	for (struct hvma *v = vma_find(mm, addr); v && v->start < end;
	     v = v->next) {
		v->prot = prot_normalize(prot);
		c.v = v;
		pgtable_walk_leaves(&mm->pt, v->start, v->end - v->start,
				    prot_leaf, &c);
	}
	if (c.changed)
		notify_invalidate(mm, addr, end);
	return c.err;
}

/* --- fork --- */

struct fork_ctx {
	struct hmm *parent, *child;
	struct hvma *v;
	bool wrprotected;
	int err;
};

static void fork_leaf(void *ctx, uint64_t ia, uint64_t leaf, uint64_t desc)
{
	struct fork_ctx *c = ctx;
	struct hmm *pm = c->parent;
	uint64_t pa;

	if (c->err || !pgtable_lookup(&pm->pt, ia, &pa, NULL))
		return;
	if (!pgtable_map(&c->child->pt, ia, pa, pm->gsz,
			 vma_pte_flags(c->v, false))) {
		c->err = -ENOMEM;
		return;
	}
	page_get(pm->os, pa);
	if (pgtable_leaf_flags(&pm->pt, desc) & PT_W) {
		pgtable_map(&pm->pt, ia, pa, pm->gsz,
			    vma_pte_flags(c->v, false));
		c->wrprotected = true;
	}
	(void)leaf;
}

static int fork_offline(struct hmm *pm, struct hmm *cm)
{
	struct hoff *o, *tmp;

	HASH_ITER(hh, pm->off, o, tmp) {
		void *swap = NULL;

		if (o->swap) {
			swap = malloc(pm->gsz);
			if (!swap)
				return -ENOMEM;
			memcpy(swap, o->swap, pm->gsz);
		}
		if (off_add(cm, o->va, o->pa, swap)) {
			free(swap);
			return -ENOMEM;
		}
		if (o->pa)
			page_get(pm->os, o->pa);
	}
	return 0;
}

static int fork_mm(struct hmm *pm, struct hmm *cm)
{
	struct hvma **tail = &cm->vmas;
	struct fork_ctx c = { pm, cm, NULL, false, 0 };

	for (struct hvma *v = pm->vmas; v; v = v->next) {
		struct hvma *nv = malloc(sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*nv = *v;
		nv->next = NULL;
		if (nv->shm)
			nv->shm->refs++;
		*tail = nv;
		tail = &nv->next;
		if (vma_shared(v))
			continue; /* the child faults in the shared pages */
		c.v = v;
		c.wrprotected = false;
		pgtable_walk_leaves(&pm->pt, v->start, v->end - v->start,
				    fork_leaf, &c);
		if (c.wrprotected)
			notify_invalidate(pm, v->start, v->end);
		if (c.err)
			return c.err;
	}
	return fork_offline(pm, cm);
}

/* --- processes --- */

struct hos *hos_create(struct hostmem *hm)
{
	struct hos *os = calloc(1, sizeof(*os));

	if (!os)
		return NULL;
	os->pids = calloc(HOS_PID_MAX_DEFAULT, sizeof(*os->pids));
	if (!os->pids) {
		free(os);
		return NULL;
	}
	os->hm = hm;
	os->mem = hostmem_pmem(hm);
	os->pid_max = HOS_PID_MAX_DEFAULT;
	return os;
}

void hos_destroy(struct hos *os)
{
	if (!os)
		return;
	for (int pid = 1; pid < os->pid_max; pid++) {
		struct hproc *p = os->pids[pid];

		if (!p)
			continue;
		hos_exit(p, 0);
		hos_reap(p, NULL);
	}
	free(os->pids);
	free(os);
}

struct hostmem *hos_hostmem(const struct hos *os)
{
	return os->hm;
}

bool hos_set_pid_max(struct hos *os, int pid_max)
{
	struct hproc **n;

	if (pid_max < 2)
		return false;
	for (int pid = pid_max; pid < os->pid_max; pid++)
		if (os->pids[pid])
			return false;
	n = realloc(os->pids, (size_t)pid_max * sizeof(*n));
	if (!n)
		return false;
	for (int pid = os->pid_max; pid < pid_max; pid++)
		n[pid] = NULL;
	os->pids = n;
	os->pid_max = pid_max;
	if (os->last_pid >= pid_max)
		os->last_pid = 0;
	return true;
}

struct hproc *hos_find(const struct hos *os, int pid)
{
	if (pid < 1 || pid >= os->pid_max)
		return NULL;
	return os->pids[pid];
}

unsigned hos_nr_procs(const struct hos *os)
{
	return os->nr_procs;
}

/* A free PID after the last one handed out, wrapping; 0 if none. */
static int pid_alloc(struct hos *os)
{
	int pid = os->last_pid;

	for (int i = 1; i < os->pid_max; i++) {
		pid = pid + 1 >= os->pid_max ? 1 : pid + 1;
		if (!os->pids[pid]) {
			os->last_pid = pid;
			return pid;
		}
	}
	return 0;
}

static struct hproc *proc_new(struct hos *os, uint32_t uid, int ppid,
			      struct hmm *mm)
{
	struct hproc *p;
	int pid = pid_alloc(os);

	if (!pid)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->os = os;
	p->pid = pid;
	p->ppid = ppid;
	p->uid = uid;
	p->mm = mm;
	os->pids[pid] = p;
	os->nr_procs++;
	return p;
}

static bool geom_ok(const struct hmm_geom *g)
{
	return (g->granule_shift == 12 || g->granule_shift == 14 ||
		g->granule_shift == 16) &&
	       g->va_bits >= 25 && g->va_bits <= 48 &&
	       (UINT64_C(1) << (g->va_bits - 1)) > HOS_MMAP_MIN;
}

struct hproc *hos_spawn(struct hos *os, uint32_t uid,
			const struct hmm_geom *geo)
{
	struct hmm_geom g = geo ? *geo : HMM_GEOM_DEFAULT;
	struct hmm *mm;
	struct hproc *p;

	if (!geom_ok(&g))
		return NULL;
	mm = mm_create(os, &g);
	if (!mm)
		return NULL;
	p = proc_new(os, uid, 0, mm);
	if (!p)
		mm_drop_user(mm);
	return p;
}

struct hproc *hos_fork(struct hproc *parent)
{
	struct hos *os = parent->os;
	struct hmm *mm;
	struct hproc *p;

	if (!parent->mm)
		return NULL;
	mm = mm_create(os, &parent->mm->geo);
	if (!mm)
		return NULL;
	if (fork_mm(parent->mm, mm)) {
		mm_drop_user(mm);
		return NULL;
	}
	p = proc_new(os, parent->uid, parent->pid, mm);
	if (!p)
		mm_drop_user(mm);
	return p;
}

struct hproc *hos_clone_vm(struct hproc *parent)
{
	struct hproc *p;

	if (!parent->mm)
		return NULL;
	p = proc_new(parent->os, parent->uid, parent->pid, parent->mm);
	if (p)
		parent->mm->users++;
	return p;
}

int hos_exec(struct hproc *p)
{
	struct hmm *mm, *old = p->mm;

	if (!old)
		return -ESRCH;
	mm = mm_create(p->os, &old->geo);
	if (!mm)
		return -ENOMEM;
	p->mm = mm;
	mm_drop_user(old);
	return 0;
}

void hos_exit(struct hproc *p, int status)
{
	struct hos *os = p->os;

	if (p->zombie)
		return;
	p->zombie = true;
	p->status = status;
	if (p->mm) {
		struct hmm *mm = p->mm;

		p->mm = NULL;
		mm_drop_user(mm);
	}
	/* orphans are left with no parent */
	for (int pid = 1; pid < os->pid_max; pid++)
		if (os->pids[pid] && os->pids[pid]->ppid == p->pid)
			os->pids[pid]->ppid = 0;
}

int hos_reap(struct hproc *p, int *status)
{
	if (!p->zombie)
		return -EINVAL;
	if (status)
		*status = p->status;
	p->os->pids[p->pid] = NULL;
	p->os->nr_procs--;
	free(p);
	return 0;
}

int hproc_pid(const struct hproc *p)
{
	return p->pid;
}

int hproc_ppid(const struct hproc *p)
{
	return p->ppid;
}

uint32_t hproc_uid(const struct hproc *p)
{
	return p->uid;
}

void hproc_set_uid(struct hproc *p, uint32_t uid)
{
	p->uid = uid;
}

bool hproc_is_zombie(const struct hproc *p)
{
	return p->zombie;
}

struct hmm *hproc_mm(const struct hproc *p)
{
	return p->mm;
}

bool hos_may_ptrace(const struct hproc *tracer, const struct hproc *target)
{
	if (!tracer || !target || tracer->zombie || target->zombie)
		return false;
	return tracer->uid == 0 || tracer->uid == target->uid;
}
