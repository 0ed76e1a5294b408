/* SPDX-License-Identifier: MIT */
/*
 * host/os: PIDs, credentials, address spaces with demand paging, COW
 * fork, exec, exit, reclaim, and the invalidations listeners receive.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"

#define RAM UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(256) << 20)
#define PG UINT64_C(0x1000)
#define TOP UINT64_C(0x800000000000) /* 2^47 */

/* Stage-1 leaf attribute bits pgtable writes for user pages (facts §9.5):
 * valid+page 0x3, AP[2:1] at [7:6], SH=3 [9:8], AF [10], nG [11],
 * PXN [53], UXN [54]. */
#define LEAF_RW UINT64_C(0x0060000000000F43) /* AP=01 */
#define LEAF_RO UINT64_C(0x0060000000000FC3) /* AP=11 */
#define LEAF_RX_RO UINT64_C(0x0020000000000FC3) /* AP=11, UXN=0 */
#define LEAF_AP_SHIFT 6
#define OA_MASK UINT64_C(0x0000FFFFFFFFF000)

struct call {
	char kind; /* 'i' invalidate_range, 'r' release */
	struct hmm *mm;
	uint64_t start, end;
	uint64_t pte;  /* the leaf at `start` when called (0: invalid) */
	uint64_t used; /* hostmem_used when called */
};

struct rec {
	struct call calls[64];
	unsigned n;
	struct hmm_notifier *unreg_on_call; /* unregister this when called */
	struct pmem *mem;                   /* set: record the PTE seen */
	struct hostmem *hm;                 /* set: record hostmem_used */
	struct hmm_notifier self;
};

static void rec_inval(void *ctx, struct hmm *mm, uint64_t start,
		      uint64_t end)
{
	struct rec *r = ctx;
	uint64_t leaf, pte = 0;

	if (r->mem && pgtable_lookup(hmm_pgtable(mm), start, NULL, &leaf))
		pmem_read64(r->mem, leaf, &pte, NULL);
	if (r->n < 64)
		r->calls[r->n++] = (struct call){
			'i', mm, start, end, pte,
			r->hm ? hostmem_used(r->hm) : 0 };
	if (r->unreg_on_call) {
		hmm_notifier_unregister(mm, r->unreg_on_call);
		r->unreg_on_call = NULL;
	}
}

static void rec_release(void *ctx, struct hmm *mm)
{
	struct rec *r = ctx;

	if (r->n < 64)
		r->calls[r->n++] = (struct call){ 'r', mm, 0, 0, 0, 0 };
}

static const struct hmm_notifier_ops rec_ops = {
	.invalidate_range = rec_inval,
	.release = rec_release,
};

static void rec_listen(struct rec *r, struct hmm *mm)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(hmm_notifier_register(mm, &r->self, &rec_ops, r), 0);
}

static void expect_call(const struct rec *r, unsigned i, char kind,
			uint64_t start, uint64_t end)
{
	if (i >= r->n)
		fail_msg("call %u missing (only %u)", i, r->n);
	expect_field(i, "call", "kind", r->calls[i].kind, kind);
	expect_field(i, "call", "start", r->calls[i].start, start);
	expect_field(i, "call", "end", r->calls[i].end, end);
}

struct fixture {
	struct pmem *mem;
	struct hostmem *hm;
	struct hos *os;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->mem = pmem_create();
	pmem_add_ram(f->mem, RAM, RAM_SIZE);
	f->hm = hostmem_create(f->mem, RAM, RAM_SIZE);
	f->os = hos_create(f->hm);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hos_destroy(f->os);
	/* every page and table went back */
	assert_int_equal(hostmem_used(f->hm), 0);
	hostmem_destroy(f->hm);
	pmem_destroy(f->mem);
	free(f);
	return 0;
}

/* The leaf descriptor of va, 0 if there is no valid PTE. */
static uint64_t leaf_of(struct fixture *f, struct hproc *p, uint64_t va)
{
	uint64_t leaf, d = 0;

	if (!pgtable_lookup(hmm_pgtable(hproc_mm(p)), va, NULL, &leaf))
		return 0;
	pmem_read64(f->mem, leaf, &d, NULL);
	return d;
}

static uint64_t mmap_ok(struct hproc *p, uint64_t len, unsigned prot,
			unsigned flags)
{
	uint64_t va = 0;

	assert_int_equal(hos_mmap(p, 0, len, prot, flags, &va), 0);
	return va;
}

static void put64(struct hproc *p, uint64_t va, uint64_t v)
{
	assert_int_equal(hproc_write(p, va, &v, sizeof(v)), 0);
}

static uint64_t get64(struct hproc *p, uint64_t va)
{
	uint64_t v = 0xbad;

	assert_int_equal(hproc_read(p, va, &v, sizeof(v)), 0);
	return v;
}

/* --- PIDs and credentials --- */

static void test_pid_alloc(void **state)
{
	struct fixture *f = *state;
	struct hproc *p1 = hos_spawn(f->os, 100, NULL);
	struct hproc *p2 = hos_spawn(f->os, 100, NULL);
	struct hproc *p3 = hos_spawn(f->os, 0, NULL);
	int st = 0;

	assert_int_equal(hproc_pid(p1), 1);
	assert_int_equal(hproc_pid(p2), 2);
	assert_int_equal(hproc_pid(p3), 3);
	assert_ptr_equal(hos_find(f->os, 2), p2);
	assert_null(hos_find(f->os, 0));
	assert_null(hos_find(f->os, 4));
	assert_null(hos_find(f->os, HOS_PID_MAX_DEFAULT));
	assert_int_equal(hos_nr_procs(f->os), 3);

	/* a live process cannot be reaped; a zombie keeps its PID */
	assert_int_equal(hos_reap(p2, &st), -EINVAL);
	hos_exit(p2, 7);
	assert_true(hproc_is_zombie(p2));
	assert_null(hproc_mm(p2));
	assert_ptr_equal(hos_find(f->os, 2), p2);
	/* no immediate reuse: the next PID follows the last one given */
	struct hproc *p4 = hos_spawn(f->os, 0, NULL);

	assert_int_equal(hproc_pid(p4), 4);
	assert_int_equal(hos_reap(p2, &st), 0);
	assert_int_equal(st, 7);
	assert_null(hos_find(f->os, 2));

	/* wrap-around skips PIDs in use */
	assert_false(hos_set_pid_max(f->os, 4)); /* PID 4 is in use */
	assert_true(hos_set_pid_max(f->os, 6));
	struct hproc *p5 = hos_spawn(f->os, 0, NULL);
	struct hproc *p2b = hos_spawn(f->os, 0, NULL);

	assert_int_equal(hproc_pid(p5), 5);
	assert_int_equal(hproc_pid(p2b), 2); /* 1 is live, 2 was freed */
	assert_null(hos_spawn(f->os, 0, NULL)); /* 1..5 all taken */
	hos_exit(p3, 0);
	assert_null(hos_spawn(f->os, 0, NULL)); /* zombie 3 holds its PID */
	assert_int_equal(hos_reap(p3, NULL), 0);
	assert_int_equal(hproc_pid(hos_spawn(f->os, 0, NULL)), 3);
	assert_int_equal(hos_nr_procs(f->os), 5);

	/* fork: child gets the parent's uid and a PPID */
	assert_true(hos_set_pid_max(f->os, 100));
	struct hproc *c = hos_fork(p1);

	assert_int_equal(hproc_pid(c), 6);
	assert_int_equal(hproc_ppid(c), 1);
	assert_int_equal(hproc_uid(c), 100);
	hos_exit(p1, 0);
	assert_int_equal(hproc_ppid(c), 0); /* orphaned */
}

struct ptrace_row {
	const char *name;
	uint32_t tracer_uid, target_uid;
	bool tracer_dead, target_dead, self;
	bool want;
};

static const struct ptrace_row ptrace_rows[] = {
	{ "same uid", 1000, 1000, false, false, false, true },
	{ "other uid", 1000, 1001, false, false, false, false },
	{ "root tracer", 0, 1001, false, false, false, true },
	{ "root target", 1000, 0, false, false, false, false },
	{ "self", 1000, 1000, false, false, true, true },
	{ "zombie target", 1000, 1000, false, true, false, false },
	{ "zombie target, root", 0, 1000, false, true, false, false },
	{ "zombie tracer", 0, 1000, true, false, false, false },
};

static void test_ptrace(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < sizeof(ptrace_rows) / sizeof(ptrace_rows[0]);
	     i++) {
		const struct ptrace_row *r = &ptrace_rows[i];
		struct hproc *tr = hos_spawn(f->os, r->tracer_uid, NULL);
		struct hproc *tg = r->self ? tr
					   : hos_spawn(f->os, r->target_uid,
						       NULL);

		if (r->target_dead)
			hos_exit(tg, 0);
		if (r->tracer_dead)
			hos_exit(tr, 0);
		expect_field(i, r->name, "may_ptrace",
			     hos_may_ptrace(tr, tg), r->want);
	}
	/* credentials change */
	struct hproc *a = hos_spawn(f->os, 5, NULL);
	struct hproc *b = hos_spawn(f->os, 6, NULL);

	assert_false(hos_may_ptrace(a, b));
	hproc_set_uid(a, 6);
	assert_int_equal(hproc_uid(a), 6);
	assert_true(hos_may_ptrace(a, b));
	assert_false(hos_may_ptrace(a, NULL));
}

/* --- mmap, munmap, mprotect --- */

static void test_mmap_addresses(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	uint64_t a, b, c, d, va = 0;

	a = mmap_ok(p, 0x3000, HPROT_READ | HPROT_WRITE, HMAP_ANONYMOUS);
	b = mmap_ok(p, 0x1000, HPROT_READ, 0);
	c = mmap_ok(p, 1, HPROT_READ, 0); /* rounded up to a page */
	assert_int_equal(a, TOP - 0x3000);
	assert_int_equal(b, TOP - 0x4000);
	assert_int_equal(c, TOP - 0x5000);
	/* a hole at the top is reused by the next mapping that fits */
	assert_int_equal(hos_munmap(p, a, 0x3000), 0);
	d = mmap_ok(p, 0x2000, HPROT_READ, 0);
	assert_int_equal(d, TOP - 0x2000);
	d = mmap_ok(p, 0x2000, HPROT_READ, 0); /* 0x1000 left: too small */
	assert_int_equal(d, TOP - 0x7000);
	/* fixed mapping, replacing part of an existing one */
	assert_int_equal(hos_mmap(p, 0x400000, 0x4000, HPROT_READ,
				  HMAP_FIXED, &va), 0);
	assert_int_equal(va, 0x400000);
	assert_int_equal(hproc_write(p, 0x401000, "x", 1), -EACCES);
	assert_int_equal(hos_mmap(p, 0x401000, 0x1000,
				  HPROT_READ | HPROT_WRITE, HMAP_FIXED, &va),
			 0);
	assert_int_equal(hproc_write(p, 0x401000, "x", 1), 0);
	assert_int_equal(hproc_write(p, 0x402000, "x", 1), -EACCES);
	/* munmap of the middle splits the mapping */
	assert_int_equal(hos_munmap(p, 0x402000, 0x1000), 0);
	assert_int_equal(hproc_read(p, 0x402000, &va, 1), -EFAULT);
	assert_int_equal(hproc_read(p, 0x403000, &va, 1), 0);
	assert_int_equal(hproc_read(p, 0x400000, &va, 1), 0);
	/* munmap over holes is fine */
	assert_int_equal(hos_munmap(p, 0x3ff000, 0x10000), 0);
	assert_int_equal(hproc_read(p, 0x400000, &va, 1), -EFAULT);
}

struct bad_mmap_row {
	const char *name;
	uint64_t addr, len;
	unsigned prot, flags;
	int want;
};

static const struct bad_mmap_row bad_mmap_rows[] = {
	{ "zero length", 0, 0, HPROT_READ, 0, -EINVAL },
	{ "huge length", 0, UINT64_MAX, HPROT_READ, 0, -EINVAL },
	{ "bad prot", 0, PG, 8, 0, -EINVAL },
	{ "bad flag", 0, PG, HPROT_READ, 0x80, -EINVAL },
	{ "fixed unaligned", 0x400800, PG, HPROT_READ, HMAP_FIXED, -EINVAL },
	{ "fixed below min", 0x1000, PG, HPROT_READ, HMAP_FIXED, -EINVAL },
	{ "fixed past VA", UINT64_C(1) << 48, PG, HPROT_READ, HMAP_FIXED,
	  -EINVAL },
	{ "no room", 0, TOP, HPROT_READ, 0, -ENOMEM },
	{ "fits exactly", 0, TOP - 0x10000, HPROT_READ, 0, 0 },
};

static void test_mmap_errors(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < sizeof(bad_mmap_rows) / sizeof(*bad_mmap_rows);
	     i++) {
		const struct bad_mmap_row *r = &bad_mmap_rows[i];
		struct hproc *p = hos_spawn(f->os, 1, NULL);
		uint64_t va = 0xdead;

		expect_field(i, r->name, "rc",
			     (uint64_t)(int64_t)hos_mmap(p, r->addr, r->len,
							 r->prot, r->flags,
							 &va),
			     (uint64_t)(int64_t)r->want);
		expect_field(i, r->name, "va", va,
			     r->want ? 0xdead : HOS_MMAP_MIN);
		hos_exit(p, 0);
	}
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	uint64_t a = mmap_ok(p, 0x2000, HPROT_READ, 0);

	/* mprotect needs the whole range mapped */
	assert_int_equal(hos_mprotect(p, a - PG, 0x2000, HPROT_NONE),
			 -ENOMEM);
	assert_int_equal(hos_mprotect(p, a + 1, PG, HPROT_NONE), -EINVAL);
	assert_int_equal(hos_munmap(p, a + 1, PG), -EINVAL);
	assert_int_equal(hos_munmap(p, a, 0), -EINVAL);
	/* nothing changed */
	assert_int_equal(get64(p, a), 0);
	/* a zombie has no address space */
	hos_exit(p, 0);
	assert_int_equal(hos_mmap(p, 0, PG, HPROT_READ, 0, &a), -ESRCH);
	assert_int_equal(hproc_read(p, a, &a, 1), -ESRCH);
}

/* Demand paging and the exact PTE, for each granule. */
struct geo_row {
	const char *name;
	uint8_t gshift, va_bits;
	uint64_t va;  /* first one-page mmap */
	uint8_t t0sz, tg0;
};

static const struct geo_row geo_rows[] = {
	{ "4K/48", 12, 48, TOP - 0x1000, 16, 0 },
	{ "16K/48", 14, 48, TOP - 0x4000, 16, 2 },
	{ "64K/48", 16, 48, TOP - 0x10000, 16, 1 },
	{ "4K/39", 12, 39, (UINT64_C(1) << 38) - 0x1000, 25, 0 },
	{ "64K/42", 16, 42, (UINT64_C(1) << 41) - 0x10000, 22, 1 },
};

static void test_demand_paging_geometries(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < sizeof(geo_rows) / sizeof(*geo_rows); i++) {
		const struct geo_row *r = &geo_rows[i];
		struct hmm_geom g = { r->gshift, r->va_bits };
		struct hproc *p = hos_spawn(f->os, 1, &g);
		struct hmm *mm = hproc_mm(p);
		uint64_t pg = UINT64_C(1) << r->gshift, pa, d;
		uint64_t va = mmap_ok(p, pg, HPROT_READ | HPROT_WRITE, 0);
		uint64_t before = hostmem_used(f->hm);
		uint8_t buf[16];

		expect_field(i, r->name, "va", va, r->va);
		expect_field(i, r->name, "t0sz", hmm_t0sz(mm), r->t0sz);
		expect_field(i, r->name, "tg0", hmm_tg0(mm), r->tg0);
		expect_field(i, r->name, "page", hmm_page_size(mm), pg);
		expect_field(i, r->name, "ips", hmm_ips(mm), 5);
		expect_field(i, r->name, "mair", hmm_mair(mm), 0x04FF);
		expect_field(i, r->name, "ttb", hmm_ttb(mm),
			     hmm_pgtable(mm)->root);
		/* no PTE before the first touch */
		expect_field(i, r->name, "pte before", leaf_of(f, p, va), 0);
		expect_field(i, r->name, "rss before", hmm_rss(mm), 0);
		/* a read faults a zero page in */
		memset(buf, 0xAA, sizeof(buf));
		assert_int_equal(hproc_read(p, va + pg - 8, buf, 8), 0);
		for (int b = 0; b < 8; b++)
			expect_field(i, r->name, "zero", buf[b], 0);
		d = leaf_of(f, p, va);
		assert_true(pgtable_lookup(hmm_pgtable(mm), va + 0x123, &pa,
					   NULL));
		expect_field(i, r->name, "pte attrs", d & ~OA_MASK, LEAF_RW);
		expect_field(i, r->name, "pte oa", (d & OA_MASK) + 0x123, pa);
		expect_field(i, r->name, "page aligned", pa & (pg - 1), 0x123);
		expect_field(i, r->name, "rss after", hmm_rss(mm), 1);
		/* tables (if new) and exactly one page were allocated */
		assert_true(hostmem_used(f->hm) - before >= pg);
		hos_exit(p, 0);
		hos_reap(p, NULL);
		expect_field(i, r->name, "freed", hostmem_used(f->hm), 0);
	}
}

static void test_pte_exact(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t rw = mmap_ok(p, 0x2000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t ro = mmap_ok(p, 0x1000, HPROT_READ, 0);
	uint64_t rx = mmap_ok(p, 0x1000, HPROT_READ | HPROT_EXEC, 0);

	/* the root is the first allocation; the page, then the L1, L2 and
	 * L3 tables its mapping needs, follow */
	assert_int_equal(hmm_ttb(mm), RAM);
	assert_int_equal(hostmem_used(f->hm), 0x1000);
	assert_int_equal(get64(p, rw), 0);
	assert_int_equal(hostmem_used(f->hm), 0x5000);
	assert_int_equal(leaf_of(f, p, rw), RAM + 0x1000 + LEAF_RW);
	assert_int_equal(leaf_of(f, p, rw + PG), 0); /* untouched page */
	/* the L3 table sits at RAM + 0x4000: the leaf for VA 0x7FFF_FFFF_E000
	 * is its entry 510 */
	uint64_t leaf;

	assert_true(pgtable_lookup(hmm_pgtable(mm), rw, NULL, &leaf));
	assert_int_equal(leaf, RAM + 0x4000 + 510 * 8);
	/* pages of the other mappings share the tables */
	assert_int_equal(get64(p, ro), 0);
	assert_int_equal(get64(p, rx), 0);
	assert_int_equal(leaf_of(f, p, ro), RAM + 0x5000 + LEAF_RO);
	assert_int_equal(leaf_of(f, p, rx), RAM + 0x6000 + LEAF_RX_RO);
	assert_int_equal((leaf_of(f, p, ro) >> LEAF_AP_SHIFT) & 3, 3);
	assert_int_equal((leaf_of(f, p, rw) >> LEAF_AP_SHIFT) & 3, 1);
	assert_int_equal(hostmem_used(f->hm), 0x7000);
	/* a fault on a present, permitted page changes nothing */
	assert_int_equal(hos_fault(mm, rw + 5, HFAULT_WRITE), 0);
	assert_int_equal(leaf_of(f, p, rw), RAM + 0x1000 + LEAF_RW);
	/* hos_fault on an untouched page installs it */
	assert_int_equal(hos_fault(mm, rw + PG, HFAULT_READ), 0);
	assert_int_equal(leaf_of(f, p, rw + PG), RAM + 0x7000 + LEAF_RW);
	assert_int_equal(hos_fault(mm, rx, HFAULT_EXEC), 0);
}

struct fault_row {
	const char *name;
	unsigned prot;
	unsigned access;
	int want;
};

static const struct fault_row fault_rows[] = {
	{ "read R", HPROT_READ, HFAULT_READ, 0 },
	{ "write R", HPROT_READ, HFAULT_WRITE, -EACCES },
	{ "exec R", HPROT_READ, HFAULT_EXEC, -EACCES },
	{ "write RW", HPROT_READ | HPROT_WRITE, HFAULT_WRITE, 0 },
	{ "exec RX", HPROT_READ | HPROT_EXEC, HFAULT_EXEC, 0 },
	{ "read NONE", HPROT_NONE, HFAULT_READ, -EACCES },
	{ "read W-only (implies R)", HPROT_WRITE, HFAULT_READ, 0 },
};

static void test_fault_errors(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint8_t b = 1;

	for (unsigned i = 0; i < sizeof(fault_rows) / sizeof(*fault_rows);
	     i++) {
		const struct fault_row *r = &fault_rows[i];
		uint64_t va = mmap_ok(p, PG, r->prot, 0);

		expect_field(i, r->name, "hos_fault",
			     (uint64_t)(int64_t)hos_fault(mm, va + 8,
							  r->access),
			     (uint64_t)(int64_t)r->want);
		expect_field(i, r->name, "pte", leaf_of(f, p, va) != 0,
			     r->want == 0);
		if (!(r->access & HFAULT_EXEC))
			expect_field(i, r->name, "cpu",
				     (uint64_t)(int64_t)(
					     r->access ? hproc_write(p, va, &b,
								     1)
						       : hproc_read(p, va, &b,
								    1)),
				     (uint64_t)(int64_t)r->want);
	}
	/* unmapped: below, between and above the mappings, past the VA */
	assert_int_equal(hos_fault(mm, 0, HFAULT_READ), -EFAULT);
	assert_int_equal(hos_fault(mm, TOP, HFAULT_READ), -EFAULT);
	assert_int_equal(hos_fault(mm, UINT64_C(1) << 50, HFAULT_READ),
			 -EFAULT);
	assert_int_equal(hproc_read(p, 0x1000, &b, 1), -EFAULT);
	/* the first byte is readable, the second past the top mapping */
	uint16_t two;

	assert_int_equal(hproc_read(p, TOP - 1, &two, 2), -EFAULT);
	assert_int_equal(hos_fault(NULL, 0, 0), -EFAULT);
}

static void test_cpu_round_trip(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	uint64_t va = mmap_ok(p, 0x3000, HPROT_READ | HPROT_WRITE, 0);
	uint8_t out[0x2000], in[0x2000];

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	/* crosses two page boundaries */
	assert_int_equal(hproc_write(p, va + 0xF80, out, sizeof(out)), 0);
	assert_int_equal(hproc_read(p, va + 0xF80, in, sizeof(in)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hmm_rss(hproc_mm(p)), 3);
	/* the bytes are in simulated memory at the PTE's address */
	uint64_t pa;
	uint8_t b;

	assert_true(pgtable_lookup(hmm_pgtable(hproc_mm(p)), va + 0x1000, &pa,
				   NULL));
	pmem_read8(f->mem, pa, &b, NULL);
	assert_int_equal(b, out[0x80]);
	/* the CPU sees a store the device (memory) made */
	pmem_write8(f->mem, pa + 1, 0x5A, NULL);
	assert_int_equal(hproc_read(p, va + 0x1001, &b, 1), 0);
	assert_int_equal(b, 0x5A);
	/* writing past the end stops at the hole, earlier bytes land */
	assert_int_equal(hproc_write(p, va + 0x2FFF, "yz", 2), -EFAULT);
	assert_int_equal(hproc_read(p, va + 0x2FFF, &b, 1), 0);
	assert_int_equal(b, 'y');
}

/* --- invalidations --- */

static void test_notify_munmap(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t va = mmap_ok(p, 0x4000, HPROT_READ | HPROT_WRITE, 0);
	struct rec r;

	rec_listen(&r, mm);
	/* untouched: no PTE changes, no call */
	assert_int_equal(hos_munmap(p, va + 0x3000, 0x1000), 0);
	assert_int_equal(r.n, 0);
	/* installing PTEs is not notified */
	put64(p, va, 1);
	put64(p, va + 0x2000, 2);
	assert_int_equal(r.n, 0);
	uint64_t used = hostmem_used(f->hm);

	/* one call over the whole range, after which the page is freed */
	r.hm = f->hm;
	assert_int_equal(hos_munmap(p, va + 0x1000, 0x2000), 0);
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', va + 0x1000, va + 0x3000);
	assert_int_equal(r.calls[0].used, used);
	assert_ptr_equal(r.calls[0].mm, mm);
	assert_int_equal(leaf_of(f, p, va + 0x2000), 0);
	assert_int_equal(hostmem_used(f->hm), used - PG);
	assert_int_equal(get64(p, va), 1);
	hmm_notifier_unregister(mm, &r.self);
	assert_int_equal(hos_munmap(p, va, 0x1000), 0);
	assert_int_equal(r.n, 1);
	/* a fixed mapping over present pages unmaps them first */
	rec_listen(&r, mm);
	uint64_t b = mmap_ok(p, 0x2000, HPROT_READ | HPROT_WRITE, 0), got;

	put64(p, b + 0x1000, 3);
	assert_int_equal(hos_mmap(p, b, 0x2000, HPROT_READ, HMAP_FIXED, &got),
			 0);
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', b, b + 0x2000);
	assert_int_equal(get64(p, b + 0x1000), 0);
	hmm_notifier_unregister(mm, &r.self);
}

static void test_notify_mprotect(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t va = mmap_ok(p, 0x3000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t pa1, used;
	struct rec r;

	put64(p, va + 0x1000, 0x1111);
	pa1 = leaf_of(f, p, va + 0x1000) & OA_MASK;
	rec_listen(&r, mm);
	/* downgrade of the middle page: AP becomes read-only */
	r.mem = f->mem;
	assert_int_equal(hos_mprotect(p, va + 0x1000, 0x1000, HPROT_READ), 0);
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', va + 0x1000, va + 0x2000);
	assert_int_equal(r.calls[0].pte, pa1 + LEAF_RO); /* after the write */
	assert_int_equal(leaf_of(f, p, va + 0x1000), pa1 + LEAF_RO);
	assert_int_equal(hproc_write(p, va + 0x1000, "x", 1), -EACCES);
	assert_int_equal(hproc_write(p, va, "x", 1), 0); /* split: still RW */
	assert_int_equal(r.n, 1);
	/* upgrade over the whole mapping: only the middle PTE changes, one
	 * call for the requested range */
	assert_int_equal(hos_mprotect(p, va, 0x3000,
				      HPROT_READ | HPROT_WRITE | HPROT_EXEC),
			 0);
	assert_int_equal(r.n, 2);
	expect_call(&r, 1, 'i', va, va + 0x3000);
	assert_int_equal(leaf_of(f, p, va + 0x1000),
			 pa1 + (LEAF_RW & ~(UINT64_C(1) << 54)));
	/* same protection again: nothing changes, no call */
	assert_int_equal(hos_mprotect(p, va, 0x3000,
				      HPROT_READ | HPROT_WRITE | HPROT_EXEC),
			 0);
	assert_int_equal(r.n, 2);
	/* untouched range: no PTE, no call */
	assert_int_equal(hos_mprotect(p, va + 0x2000, 0x1000, HPROT_READ), 0);
	assert_int_equal(r.n, 2);
	/* PROT_NONE clears the PTE but keeps the page and its contents */
	used = hostmem_used(f->hm);
	assert_int_equal(hos_mprotect(p, va + 0x1000, 0x1000, HPROT_NONE), 0);
	assert_int_equal(r.n, 3);
	expect_call(&r, 2, 'i', va + 0x1000, va + 0x2000);
	assert_int_equal(leaf_of(f, p, va + 0x1000), 0);
	assert_int_equal(hostmem_used(f->hm), used);
	assert_int_equal(hproc_read(p, va + 0x1000, &pa1, 8), -EACCES);
	assert_int_equal(hos_fault(mm, va + 0x1000, HFAULT_READ), -EACCES);
	assert_int_equal(hos_reclaim(mm, va + 0x1000), -ENOENT);
	/* back to readable: no PTE to change, no call; contents kept */
	assert_int_equal(hos_mprotect(p, va + 0x1000, 0x1000, HPROT_READ), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(get64(p, va + 0x1000), 0x1111);
	assert_int_equal(leaf_of(f, p, va + 0x1000) & ~OA_MASK, LEAF_RO);
	hmm_notifier_unregister(mm, &r.self);
}

static void test_reclaim(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t va = mmap_ok(p, 0x2000, HPROT_READ | HPROT_WRITE, 0), used;
	struct rec r;

	put64(p, va + 0x1008, 0xC0FFEE);
	rec_listen(&r, mm);
	r.mem = f->mem;
	r.hm = f->hm;
	used = hostmem_used(f->hm);
	assert_int_equal(hos_reclaim(mm, va + 0x1234), 0);
	assert_int_equal(r.calls[0].used, used); /* freed after the call */
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', va + 0x1000, va + 0x2000);
	assert_int_equal(r.calls[0].pte, 0);
	assert_int_equal(leaf_of(f, p, va + 0x1000), 0);
	assert_int_equal(hostmem_used(f->hm), used - PG);
	assert_int_equal(hmm_swapped(mm), 1);
	assert_int_equal(hmm_rss(mm), 0);
	/* not present, unmapped */
	assert_int_equal(hos_reclaim(mm, va + 0x1000), -ENOENT);
	assert_int_equal(hos_reclaim(mm, va), -ENOENT);
	assert_int_equal(hos_reclaim(mm, 0x1000), -EFAULT);
	/* a device fault brings it back with its contents */
	assert_int_equal(hos_fault(mm, va + 0x1008, HFAULT_READ), 0);
	assert_int_equal(hmm_swapped(mm), 0);
	assert_int_equal(hostmem_used(f->hm), used);
	assert_int_equal(leaf_of(f, p, va + 0x1000) & ~OA_MASK, LEAF_RW);
	assert_int_equal(get64(p, va + 0x1008), 0xC0FFEE);
	assert_int_equal(r.n, 1);
	/* reclaim then a CPU write: contents kept around the write */
	assert_int_equal(hos_reclaim(mm, va + 0x1000), 0);
	put64(p, va + 0x1010, 0xBEEF);
	assert_int_equal(get64(p, va + 0x1008), 0xC0FFEE);
	assert_int_equal(get64(p, va + 0x1010), 0xBEEF);
	assert_int_equal(r.n, 2);
	expect_call(&r, 1, 'i', va + 0x1000, va + 0x2000);
	/* a reclaimed page is released by munmap */
	assert_int_equal(hos_reclaim(mm, va + 0x1000), 0);
	assert_int_equal(hos_munmap(p, va, 0x2000), 0);
	assert_int_equal(hmm_swapped(mm), 0);
	assert_int_equal(r.n, 3); /* nothing present: no call */
	hmm_notifier_unregister(mm, &r.self);
}

static void test_fork_cow(void **state)
{
	struct fixture *f = *state;
	struct hproc *par = hos_spawn(f->os, 1, NULL);
	struct hmm *pm = hproc_mm(par), *cm;
	uint64_t va = mmap_ok(par, 0x3000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t ro = mmap_ok(par, 0x1000, HPROT_READ, 0);
	uint64_t pa0, pa1, used;
	struct rec pr, cr;

	put64(par, va, 0xA0);
	put64(par, va + 0x1000, 0xA1);
	assert_int_equal(get64(par, ro), 0);
	pa0 = leaf_of(f, par, va) & OA_MASK;
	pa1 = leaf_of(f, par, va + 0x1000) & OA_MASK;
	rec_listen(&pr, pm);
	used = hostmem_used(f->hm);

	struct hproc *ch = hos_fork(par);

	cm = hproc_mm(ch);
	assert_ptr_not_equal(cm, pm);
	assert_int_not_equal(hmm_ttb(cm), hmm_ttb(pm));
	assert_int_equal(hmm_id(cm), hmm_id(pm) + 1);
	/* the parent's writable PTEs were write-protected: one call for
	 * the writable VMA; the read-only VMA needed none */
	assert_int_equal(pr.n, 1);
	expect_call(&pr, 0, 'i', va, va + 0x3000);
	/* both map the same pages read-only */
	assert_int_equal(leaf_of(f, par, va), pa0 + LEAF_RO);
	assert_int_equal(leaf_of(f, ch, va), pa0 + LEAF_RO);
	assert_int_equal(leaf_of(f, ch, va + 0x1000), pa1 + LEAF_RO);
	assert_int_equal(leaf_of(f, ch, va + 0x2000), 0);
	/* only the child's tables were allocated: root, L1, L2, L3 */
	assert_int_equal(hostmem_used(f->hm), used + 4 * PG);
	used = hostmem_used(f->hm);
	assert_int_equal(get64(ch, va), 0xA0);

	/* the child's first write copies: one call to the child, exact
	 * page, made while the PTE is invalid (break-before-make); the
	 * parent is not told */
	rec_listen(&cr, cm);
	cr.mem = f->mem;
	pr.mem = f->mem;
	put64(ch, va + 8, 0xC0);
	assert_int_equal(cr.n, 1);
	expect_call(&cr, 0, 'i', va, va + 0x1000);
	assert_int_equal(cr.calls[0].pte, 0);
	assert_int_equal(pr.n, 1);
	uint64_t cpa0 = leaf_of(f, ch, va) & OA_MASK;

	assert_int_not_equal(cpa0, pa0);
	assert_int_equal(leaf_of(f, ch, va), cpa0 + LEAF_RW);
	assert_int_equal(hostmem_used(f->hm), used + PG);
	assert_int_equal(get64(ch, va), 0xA0); /* copied */
	assert_int_equal(get64(ch, va + 8), 0xC0);
	assert_int_equal(get64(par, va + 8), 0);
	/* the parent's page is no longer shared: its write upgrades the PTE
	 * in place (same page) and is notified */
	put64(par, va + 8, 0xB0);
	assert_int_equal(pr.n, 2);
	expect_call(&pr, 1, 'i', va, va + 0x1000);
	assert_int_equal(pr.calls[1].pte, pa0 + LEAF_RW); /* after the write */
	assert_int_equal(leaf_of(f, par, va), pa0 + LEAF_RW);
	assert_int_equal(hostmem_used(f->hm), used + PG);
	/* parent writes the still-shared page: it copies */
	put64(par, va + 0x1000, 0xB1);
	assert_int_equal(pr.n, 3);
	expect_call(&pr, 2, 'i', va + 0x1000, va + 0x2000);
	assert_int_equal(pr.calls[2].pte, 0);
	assert_int_not_equal(leaf_of(f, par, va + 0x1000) & OA_MASK, pa1);
	assert_int_equal(leaf_of(f, ch, va + 0x1000), pa1 + LEAF_RO);
	assert_int_equal(hostmem_used(f->hm), used + 2 * PG);
	assert_int_equal(get64(ch, va + 0x1000), 0xA1);
	assert_int_equal(get64(par, va + 0x1000), 0xB1);
	assert_int_equal(get64(par, va + 8), 0xB0);
	assert_int_equal(get64(ch, va + 8), 0xC0);
	/* the read-only page stays shared; freed only when both drop it */
	uint64_t rpa = leaf_of(f, par, ro) & OA_MASK;

	assert_int_equal(leaf_of(f, ch, ro), rpa + LEAF_RO);
	assert_int_equal(hos_munmap(par, ro, PG), 0);
	assert_int_equal(hostmem_used(f->hm), used + 2 * PG);
	assert_int_equal(hos_munmap(ch, ro, PG), 0);
	assert_int_equal(hostmem_used(f->hm), used + PG);
	hmm_notifier_unregister(pm, &pr.self);
	hmm_notifier_unregister(cm, &cr.self);
}

static void test_fork_shared_and_offline(void **state)
{
	struct fixture *f = *state;
	struct hproc *par = hos_spawn(f->os, 1, NULL);
	struct hmm *pm = hproc_mm(par);
	uint64_t sh = mmap_ok(par, 0x2000, HPROT_READ | HPROT_WRITE,
			      HMAP_SHARED | HMAP_ANONYMOUS);
	uint64_t pv = mmap_ok(par, 0x2000, HPROT_READ | HPROT_WRITE, 0);
	struct rec pr;

	put64(par, sh, 0x5);
	put64(par, pv, 0x7);
	put64(par, pv + 0x1000, 0x8);
	assert_int_equal(hos_reclaim(pm, pv), 0); /* swapped */
	assert_int_equal(hos_mprotect(par, pv + 0x1000, 0x1000, HPROT_NONE),
			 0);
	rec_listen(&pr, pm);

	struct hproc *ch = hos_fork(par);

	/* nothing present was writable in private VMAs: no call */
	assert_int_equal(pr.n, 0);
	/* shared: writes are seen both ways, on the same page, RW */
	assert_int_equal(get64(ch, sh), 0x5);
	put64(ch, sh + 0x1000, 0x6);
	assert_int_equal(get64(par, sh + 0x1000), 0x6);
	put64(par, sh, 0x55);
	assert_int_equal(get64(ch, sh), 0x55);
	assert_int_equal(leaf_of(f, par, sh), leaf_of(f, ch, sh));
	assert_int_equal(leaf_of(f, ch, sh) & ~OA_MASK, LEAF_RW);
	assert_int_equal(pr.n, 0);
	/* the swapped page was copied; each side changes its own */
	assert_int_equal(get64(ch, pv), 0x7);
	put64(ch, pv, 0x70);
	assert_int_equal(get64(par, pv), 0x7);
	/* the kept page is COW-shared once access returns */
	assert_int_equal(hos_mprotect(ch, pv + 0x1000, 0x1000,
				      HPROT_READ | HPROT_WRITE), 0);
	assert_int_equal(get64(ch, pv + 0x1000), 0x8);
	assert_int_equal(leaf_of(f, ch, pv + 0x1000) & ~OA_MASK, LEAF_RO);
	put64(ch, pv + 0x1000, 0x80);
	assert_int_equal(hos_mprotect(par, pv + 0x1000, 0x1000, HPROT_READ),
			 0);
	assert_int_equal(get64(par, pv + 0x1000), 0x8);
	/* reclaim of a shared page only unmaps it here */
	assert_int_equal(hos_reclaim(pm, sh), 0);
	assert_int_equal(pr.n, 1);
	expect_call(&pr, 0, 'i', sh, sh + 0x1000);
	assert_int_equal(leaf_of(f, par, sh), 0);
	assert_int_equal(get64(par, sh), 0x55);
	assert_int_equal(leaf_of(f, par, sh), leaf_of(f, ch, sh));
	hmm_notifier_unregister(pm, &pr.self);
	/* exit of the parent leaves the child's shared pages intact */
	hos_exit(par, 0);
	assert_int_equal(get64(ch, sh + 0x1000), 0x6);
}

static void test_exec(void **state)
{
	struct fixture *f = *state;
	struct hmm_geom g = { 14, 48 };
	struct hproc *p = hos_spawn(f->os, 1, &g);
	struct hmm *old = hproc_mm(p), *nw;
	uint64_t va = mmap_ok(p, 0x8000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t vb = mmap_ok(p, 0x4000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t base;
	struct rec r;

	put64(p, va, 1);
	put64(p, vb, 1);
	rec_listen(&r, old);
	hmm_get(old);
	assert_int_equal(hos_exec(p), 0);
	nw = hproc_mm(p);
	assert_ptr_not_equal(nw, old);
	/* release first, then one call per VMA with PTEs, ascending */
	assert_int_equal(r.n, 3);
	expect_call(&r, 0, 'r', 0, 0);
	expect_call(&r, 1, 'i', vb, vb + 0x4000);
	expect_call(&r, 2, 'i', va, va + 0x8000);
	assert_int_equal(hmm_users(old), 0);
	assert_int_equal(hmm_ttb(old), 0);
	assert_int_equal(hos_fault(old, va, HFAULT_READ), -EFAULT);
	assert_int_equal(hos_reclaim(old, va), -EFAULT);
	assert_int_equal(hmm_notifier_register(old, &r.self, &rec_ops, &r),
			 -ESRCH);
	hmm_notifier_unregister(old, &r.self);
	hmm_put(old);
	/* the new space: same geometry, empty, only its root allocated */
	assert_int_equal(hmm_page_size(nw), 0x4000);
	assert_int_equal(hmm_users(nw), 1);
	assert_int_equal(hmm_rss(nw), 0);
	base = hostmem_used(f->hm);
	assert_int_equal(base, 64); /* 16K/48: 2-entry root, 64 bytes */
	assert_int_equal(hproc_read(p, va, &va, 8), -EFAULT);
	assert_int_equal(mmap_ok(p, 0x4000, HPROT_READ, 0), TOP - 0x4000);
}

static void test_exit_teardown(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t a = mmap_ok(p, 0x2000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t b = mmap_ok(p, 0x1000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t c = mmap_ok(p, 0x1000, HPROT_READ | HPROT_WRITE, 0);
	uint64_t d, sh;
	struct rec r, r2;
	int st;

	assert_int_equal(hos_mmap(p, 0x10000000, 0x1000,
				  HPROT_READ | HPROT_WRITE, HMAP_FIXED, &d),
			 0);
	sh = mmap_ok(p, 0x1000, HPROT_READ | HPROT_WRITE, HMAP_SHARED);
	put64(p, a + 0x1000, 1);
	put64(p, b, 2);
	put64(p, c, 3);
	put64(p, d, 4);
	put64(p, sh, 5);
	assert_int_equal(hos_reclaim(mm, c), 0);           /* swapped */
	assert_int_equal(hos_mprotect(p, b, 0x1000, HPROT_NONE), 0); /* kept */
	assert_true(hostmem_used(f->hm) > 0);
	/* two listeners; the first, registered with a reference, unregisters
	 * the second during its first invalidation */
	rec_listen(&r, mm);
	rec_listen(&r2, mm);
	r.unreg_on_call = &r2.self;
	r.mem = f->mem;
	hmm_get(mm);

	hos_exit(p, 3);
	/* everything went back: pages, swap-less tables, root */
	assert_int_equal(hostmem_used(f->hm), 0);
	assert_int_equal(r.n, 4);
	expect_call(&r, 0, 'r', 0, 0);
	expect_call(&r, 1, 'i', d, d + 0x1000);
	expect_call(&r, 2, 'i', sh, sh + 0x1000);
	expect_call(&r, 3, 'i', a, a + 0x2000);
	/* called after the PTEs were cleared, before the pages were freed */
	assert_int_equal(r.calls[1].pte, 0);
	assert_int_equal(r.calls[2].pte, 0);
	/* r2 saw release once and nothing after it was unregistered */
	assert_int_equal(r2.n, 1);
	expect_call(&r2, 0, 'r', 0, 0);
	assert_true(hproc_is_zombie(p));
	assert_ptr_equal(hos_find(f->os, 1), p);
	assert_int_equal(hmm_users(mm), 0);
	assert_int_equal(hmm_rss(mm), 0);
	assert_int_equal(hmm_swapped(mm), 0);
	/* exiting twice does nothing */
	hos_exit(p, 9);
	assert_int_equal(r.n, 4);
	assert_int_equal(hos_reap(p, &st), 0);
	assert_int_equal(st, 3);
	assert_null(hos_find(f->os, 1));
	/* the struct lives until the reference goes (ASan checks the free) */
	assert_int_equal(hmm_t0sz(mm), 16);
	hmm_notifier_unregister(mm, &r.self);
	hmm_put(mm);
}

static void test_exit_shared_mm_last_user(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	uint64_t va = mmap_ok(p, 0x1000, HPROT_READ | HPROT_WRITE, 0);
	struct hproc *c;
	uint64_t base;
	struct rec r;

	put64(p, va, 42);
	c = hos_fork(p);
	base = hostmem_used(f->hm);
	rec_listen(&r, hproc_mm(c));
	/* exec of the parent frees its space; the shared page stays */
	assert_int_equal(hos_exec(p), 0);
	assert_int_equal(hostmem_used(f->hm), base - 4 * PG + PG);
	assert_int_equal(get64(c, va), 42);
	/* now unshared: the child's write upgrades the PTE in place */
	uint64_t pa = leaf_of(f, c, va) & OA_MASK;

	put64(c, va, 43);
	assert_int_equal(leaf_of(f, c, va), pa + LEAF_RW);
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', va, va + 0x1000);
	hos_exit(c, 0);
	hos_exit(p, 0);
	assert_int_equal(r.n, 3);
	expect_call(&r, 1, 'r', 0, 0);
	expect_call(&r, 2, 'i', va, va + 0x1000);
	assert_int_equal(hostmem_used(f->hm), 0);
}

/* --- the pgtable helpers the OS uses --- */

struct leaf_log {
	uint64_t ia[8], desc[8];
	unsigned n;
};

static void log_leaf(void *ctx, uint64_t ia, uint64_t leaf, uint64_t desc)
{
	struct leaf_log *l = ctx;

	(void)leaf;
	if (l->n < 8) {
		l->ia[l->n] = ia;
		l->desc[l->n] = desc;
	}
	l->n++;
}

static void test_pgtable_walk_and_flags(void **state)
{
	struct fixture *f = *state;
	struct pgtable pt, s2;
	struct leaf_log l = { 0 };

	assert_true(pgtable_init(&pt, f->hm, 1, 12, 48));
	/* a page, a 2M block, and a page far away */
	assert_true(pgtable_map(&pt, 0x1000, 0x80100000, 0x1000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_true(pgtable_map(&pt, 0x200000, 0x80200000, 0x200000,
				PT_R | PT_X | PT_BLOCK));
	assert_true(pgtable_map(&pt, UINT64_C(0x7F0000000000), 0x80400000,
				0x1000, PT_R | PT_DEVICE | PT_NOAF | PT_DBM));
	pgtable_walk_leaves(&pt, 0, UINT64_C(1) << 48, log_leaf, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ia[0], 0x1000);
	assert_int_equal(l.ia[1], 0x200000);
	assert_int_equal(l.ia[2], UINT64_C(0x7F0000000000));
	assert_int_equal(pgtable_leaf_flags(&pt, l.desc[0]),
			 PT_R | PT_W | PT_USER | PT_NG);
	assert_int_equal(pgtable_leaf_flags(&pt, l.desc[1]), PT_R | PT_X);
	assert_int_equal(pgtable_leaf_flags(&pt, l.desc[2]),
			 PT_R | PT_DEVICE | PT_NOAF | PT_DBM);
	/* a sub-range: the block overlapping its start is reported */
	l.n = 0;
	pgtable_walk_leaves(&pt, 0x300000, 0x1000, log_leaf, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ia[0], 0x200000);
	/* empty range, past the input size, wrapping size */
	l.n = 0;
	pgtable_walk_leaves(&pt, 0x2000, 0x1000, log_leaf, &l);
	pgtable_walk_leaves(&pt, UINT64_C(1) << 48, 0x1000, log_leaf, &l);
	assert_int_equal(l.n, 0);
	pgtable_walk_leaves(&pt, 0x2000, UINT64_MAX, log_leaf, &l);
	assert_int_equal(l.n, 2);
	pgtable_destroy(&pt);

	/* stage 2 permissions */
	assert_true(pgtable_init(&s2, f->hm, 2, 12, 40));
	assert_true(pgtable_map(&s2, 0x1000, 0x80100000, 0x1000, PT_W));
	assert_true(pgtable_map(&s2, 0x2000, 0x80100000, 0x1000,
				PT_R | PT_X | PT_DEVICE));
	l.n = 0;
	pgtable_walk_leaves(&s2, 0, UINT64_C(1) << 40, log_leaf, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(pgtable_leaf_flags(&s2, l.desc[0]), PT_W);
	assert_int_equal(pgtable_leaf_flags(&s2, l.desc[1]),
			 PT_R | PT_X | PT_DEVICE);
	pgtable_destroy(&s2);
}

/* A big sparse mapping: only touched pages cost anything. */
static void test_large_sparse_mapping(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t gib = UINT64_C(1) << 30;
	uint64_t va = mmap_ok(p, gib, HPROT_READ | HPROT_WRITE, 0);
	struct rec r;

	assert_int_equal(va, TOP - gib);
	put64(p, va, 1);
	put64(p, va + gib / 2, 2);
	put64(p, va + gib - 8, 3);
	assert_int_equal(hmm_rss(mm), 3);
	rec_listen(&r, mm);
	assert_int_equal(hos_mprotect(p, va, gib, HPROT_READ), 0);
	assert_int_equal(r.n, 1);
	expect_call(&r, 0, 'i', va, va + gib);
	assert_int_equal(leaf_of(f, p, va + gib / 2) & ~OA_MASK, LEAF_RO);
	assert_int_equal(hos_munmap(p, va, gib), 0);
	assert_int_equal(r.n, 2);
	expect_call(&r, 1, 'i', va, va + gib);
	assert_int_equal(hmm_rss(mm), 0);
	hmm_notifier_unregister(mm, &r.self);
}

/* Threads share one address space; it goes with its last user. */
static void test_clone_vm(void **state)
{
	struct fixture *f = *state;
	struct hproc *p = hos_spawn(f->os, 1, NULL);
	struct hmm *mm = hproc_mm(p);
	uint64_t va = mmap_ok(p, 0x1000, HPROT_READ | HPROT_WRITE, 0);
	struct hproc *t = hos_clone_vm(p);
	struct rec r;

	assert_ptr_equal(hproc_mm(t), mm);
	assert_int_equal(hmm_users(mm), 2);
	put64(t, va, 9);
	assert_int_equal(get64(p, va), 9);
	rec_listen(&r, mm);
	hos_exit(p, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(hmm_users(mm), 1);
	assert_int_equal(get64(t, va), 9);
	/* exec of the last user tears the old space down */
	assert_int_equal(hos_exec(t), 0);
	assert_int_equal(r.n, 2);
	expect_call(&r, 0, 'r', 0, 0);
	expect_call(&r, 1, 'i', va, va + 0x1000);
	assert_int_equal(hostmem_used(f->hm), PG); /* the new root */
	assert_null(hos_clone_vm(p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pid_alloc),
		T(test_ptrace),
		T(test_mmap_addresses),
		T(test_mmap_errors),
		T(test_demand_paging_geometries),
		T(test_pte_exact),
		T(test_fault_errors),
		T(test_cpu_round_trip),
		T(test_notify_munmap),
		T(test_notify_mprotect),
		T(test_reclaim),
		T(test_fork_cow),
		T(test_fork_shared_and_offline),
		T(test_exec),
		T(test_exit_teardown),
		T(test_exit_shared_mm_last_user),
		T(test_pgtable_walk_and_flags),
		T(test_large_sparse_mapping),
		T(test_clone_vm),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
