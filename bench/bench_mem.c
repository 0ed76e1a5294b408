/* SPDX-License-Identifier: MIT */
/*
 * Choosing pmem's page store by measurement.
 *
 * Two candidate page stores are implemented here as bare stores (a page
 * lookup and an 8-byte little-endian load or store, nothing else):
 *   radix   a 4-level radix tree, 11 bits of page frame number per level,
 *           2048-pointer (16 KiB) nodes, each 4 KiB page allocated
 *           separately, no page cache;
 *   uthash  a uthash table keyed by page frame number, one allocation per
 *           page holding the key, the hash handle and the 4 KiB of data
 *           (the shape sim/mem.c uses).
 * A third structure, "pmem", is the project's real access path
 * (pmem_read64/pmem_write64: region lookup, bounds check, statistics,
 * the 64-entry page cache, then sim/mem.c's uthash store), so the
 * end-to-end cost can be quoted next to the bare stores.
 *
 * Cases, for N touched pages (1k, 64k, 1M) spread uniformly over the
 * 44-bit page frame number space ("sparse") or consecutive ("dense"):
 *   mem_populate_<structure>_<n>[_dense]     first write to each page of
 *                                            an empty store
 *   mem_read_random_<structure>_<n>[_dense]  random aligned 64-bit reads
 *   mem_read_seq_<structure>_<n>[_dense]     every word of up to 2048
 *                                            pages, in address order
 *   mem_read_hot_<structure>                 64-bit reads of one page:
 *                                            the fixed cost of the path
 * Each read's address depends on the previous read's value, so the
 * figures are latencies (as in a table walk), not overlapped throughput.
 * Every figure is the median of 5 runs ("reps"), except populating 1M
 * pages: 3 runs, each ~1.2 s, to keep the program under a minute on a
 * busy 2-core machine. The heap is grown and backed once at start, so no
 * figure includes the host's first-touch page faults.
 *
 * Each line carries "bytes_per_page": host bytes per backed page,
 * counted from the sizes of the allocations (radix: nodes + pages;
 * uthash: entries + bucket array + table header; pmem: pmem_host_bytes),
 * and, with glibc, "heap_bytes_per_page": the growth of malloc's in-use
 * bytes, which adds malloc's own per-chunk overhead.
 *
 * A case whose store would need more than MEM_BUDGET bytes of host memory
 * (or 3/4 of the memory free at start) is not run: its lines say
 * "skipped" and give the computed byte count instead. With sparse pages
 * that is the radix tree at 1M pages (about two 16 KiB index nodes per
 * page, ~32 GiB).
 */
#define _DEFAULT_SOURCE /* madvise */
#include "benchutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uthash.h>

#ifdef __GLIBC__
#include <malloc.h>
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
#define HAVE_MALLINFO2 1
#endif
#endif

#include "smmusim/mem.h"
#include "smmusim/sim.h"

#define REPS 5
#define REPS_POPULATE_1M 3 /* see the top of the file */
#define NREADS (1u << 16)
#define SEQ_PAGES 2048u
#define WORDS_PER_PAGE ((unsigned)(PMEM_PAGE_SIZE / 8))
#define PFN_BITS (PMEM_ADDR_BITS - PMEM_PAGE_SHIFT)
#define DENSE_BASE_PFN UINT64_C(0x100000)
#define MEM_BUDGET (UINT64_C(5) << 30)
#define PREFAULT_BLOCK ((size_t)16 << 20)
#define PREFAULT_SLACK (UINT64_C(64) << 20)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* largest first, so later cases reuse memory already backed */
static const unsigned sizes[] = { 1u << 20, 1u << 16, 1u << 10 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static volatile uint64_t sink;
static volatile uint64_t dep_mask; /* always 0 */
static uint64_t mem_budget;

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_mem: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t le_load64(const uint8_t *b)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void le_store64(uint8_t *b, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* --- candidate 1: 4-level radix tree --- */

#define RX_BITS 11
#define RX_LEVELS 4
#define RX_FANOUT (1u << RX_BITS)
#define RX_MASK (RX_FANOUT - 1)

_Static_assert(RX_BITS * RX_LEVELS >= PFN_BITS,
	       "radix tree must cover the page frame number");

struct rx_node {
	void *slot[RX_FANOUT]; /* next-level node, or page in the last */
};

struct rx_store {
	struct rx_node *root;
	uint64_t nodes, pages;
};

/* Index into a node at `level` (0 = root). */
static unsigned rx_index(uint64_t pfn, unsigned level)
{
	return (unsigned)(pfn >> ((RX_LEVELS - 1 - level) * RX_BITS)) &
	       RX_MASK;
}

static void rx_init(struct rx_store *s)
{
	s->root = xcalloc(1, sizeof(*s->root));
	s->nodes = 1;
	s->pages = 0;
}

static uint8_t *rx_get(const struct rx_store *s, uint64_t pfn)
{
	const struct rx_node *n = s->root;

	for (unsigned level = 0; level < RX_LEVELS - 1; level++) {
		n = n->slot[rx_index(pfn, level)];
		if (!n)
			return NULL;
	}
	return n->slot[rx_index(pfn, RX_LEVELS - 1)];
}

static uint8_t *rx_get_or_create(struct rx_store *s, uint64_t pfn)
{
	struct rx_node *n = s->root;
	void **leaf;

	for (unsigned level = 0; level < RX_LEVELS - 1; level++) {
		void **slot = &n->slot[rx_index(pfn, level)];

		if (!*slot) {
			*slot = xcalloc(1, sizeof(struct rx_node));
			s->nodes++;
		}
		n = *slot;
	}
	leaf = &n->slot[rx_index(pfn, RX_LEVELS - 1)];
	if (!*leaf) {
		*leaf = xcalloc(1, PMEM_PAGE_SIZE);
		s->pages++;
	}
	return *leaf;
}

static void rx_free_node(struct rx_node *n, unsigned level)
{
	for (unsigned i = 0; i < RX_FANOUT; i++) {
		if (!n->slot[i])
			continue;
		if (level == RX_LEVELS - 1)
			free(n->slot[i]);
		else
			rx_free_node(n->slot[i], level + 1);
	}
	free(n);
}

static void rx_destroy(struct rx_store *s)
{
	rx_free_node(s->root, 0);
	s->root = NULL;
}

static uint64_t rx_host_bytes(const struct rx_store *s)
{
	return s->nodes * sizeof(struct rx_node) + s->pages * PMEM_PAGE_SIZE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Exact node count the tree needs for a pfn set: the root plus, below
 * each level, one node per distinct prefix.
 */
static uint64_t rx_nodes_needed(const uint64_t *pfn, unsigned n)
{
	uint64_t *tmp = xcalloc(n, sizeof(*tmp));
	uint64_t nodes = 1;

	for (unsigned level = 1; level < RX_LEVELS; level++) {
		unsigned shift = (RX_LEVELS - level) * RX_BITS;

		for (unsigned i = 0; i < n; i++)
			tmp[i] = pfn[i] >> shift;
		qsort(tmp, n, sizeof(*tmp), cmp_u64);
		for (unsigned i = 0; i < n; i++)
			if (i == 0 || tmp[i] != tmp[i - 1])
				nodes++;
	}
	free(tmp);
	return nodes;
}

/* --- candidate 2: uthash table --- */

struct uh_page {
	uint64_t pfn;
	UT_hash_handle hh;
	uint8_t data[PMEM_PAGE_SIZE];
};

struct uh_store {
	struct uh_page *head;
	uint64_t pages;
};

static uint8_t *uh_get(const struct uh_store *s, uint64_t pfn)
{
	struct uh_page *p;

	HASH_FIND(hh, s->head, &pfn, sizeof(pfn), p);
	return p ? p->data : NULL;
}

static uint8_t *uh_get_or_create(struct uh_store *s, uint64_t pfn)
{
	struct uh_page *p;

	HASH_FIND(hh, s->head, &pfn, sizeof(pfn), p);
	if (p)
		return p->data;
	p = xcalloc(1, sizeof(*p));
	p->pfn = pfn;
	HASH_ADD(hh, s->head, pfn, sizeof(p->pfn), p);
	s->pages++;
	return p->data;
}

/* Drops the table first, then frees the entries along the item list. */
static void uh_destroy(struct uh_store *s)
{
	struct uh_page *p = s->head, *next;

	HASH_CLEAR(hh, s->head);
	for (; p; p = next) {
		next = p->hh.next;
		free(p);
	}
	s->pages = 0;
}

static uint64_t uh_host_bytes(const struct uh_store *s)
{
	uint64_t b = s->pages * sizeof(struct uh_page);

	if (s->head)
		b += HASH_OVERHEAD(hh, s->head);
	return b;
}

/* --- the three structures behind one interface --- */

enum structure { RADIX, UTHASH, PMEM, NSTRUCT };

static const char *const struct_name[NSTRUCT] = { "radix", "uthash",
						  "pmem" };

struct store {
	enum structure kind;
	struct rx_store rx;
	struct uh_store uh;
	struct pmem *pm;
};

static void store_init(struct store *s, enum structure kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (kind == RADIX) {
		rx_init(&s->rx);
	} else if (kind == PMEM) {
		s->pm = pmem_create();
		if (!s->pm || pmem_add_ram(s->pm, 0, PMEM_ADDR_LIMIT) < 0) {
			fprintf(stderr, "bench_mem: pmem set-up failed\n");
			exit(1);
		}
	}
}

static void store_fini(struct store *s)
{
	if (s->kind == RADIX)
		rx_destroy(&s->rx);
	else if (s->kind == UTHASH)
		uh_destroy(&s->uh);
	else
		pmem_destroy(s->pm);
}

/* One 64-bit write to the first word of each page: backs the page. */
static void store_populate(struct store *s, const uint64_t *pfn, unsigned n)
{
	switch (s->kind) {
	case RADIX:
		for (unsigned i = 0; i < n; i++)
			le_store64(rx_get_or_create(&s->rx, pfn[i]), pfn[i]);
		break;
	case UTHASH:
		for (unsigned i = 0; i < n; i++)
			le_store64(uh_get_or_create(&s->uh, pfn[i]), pfn[i]);
		break;
	default:
		for (unsigned i = 0; i < n; i++)
			if (pmem_write64(s->pm, pfn[i] << PMEM_PAGE_SHIFT,
					 pfn[i], NULL) != MEM_OK) {
				fprintf(stderr, "bench_mem: write aborted\n");
				exit(1);
			}
		break;
	}
}

static uint64_t store_pages(const struct store *s)
{
	struct pmem_stats st;

	if (s->kind == RADIX)
		return s->rx.pages;
	if (s->kind == UTHASH)
		return s->uh.pages;
	pmem_get_stats(s->pm, &st);
	return st.pages_backed;
}

static uint64_t store_bytes(const struct store *s)
{
	if (s->kind == RADIX)
		return rx_host_bytes(&s->rx);
	if (s->kind == UTHASH)
		return uh_host_bytes(&s->uh);
	return pmem_host_bytes(s->pm);
}

/* Host bytes a store for this pfn set would need (an upper bound). */
static uint64_t store_bytes_needed(enum structure kind, const uint64_t *pfn,
				   unsigned n)
{
	if (kind == RADIX)
		return rx_nodes_needed(pfn, n) * sizeof(struct rx_node) +
		       (uint64_t)n * PMEM_PAGE_SIZE;
	/* entry + generously the table: one bucket per entry */
	return (uint64_t)n * (sizeof(struct uh_page) + sizeof(UT_hash_bucket));
}

static uint64_t page_off(uint64_t addr)
{
	return addr & (PMEM_PAGE_SIZE - 1);
}

/* Bytes malloc has handed out and not had back (0 without glibc). */
static uint64_t heap_in_use(void)
{
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
#else
	return 0;
#endif
}

/*
 * Time one pass of reads over `addr`; returns ns per read. Each read's
 * address is made to depend on the previous read's value (through
 * dep_mask, zero at run time but unknown to the compiler), so reads do
 * not overlap in the host CPU: this is latency, as in a table walk, and
 * a longer access path cannot hide behind fewer overlapping misses.
 */
static double time_reads(const struct store *s, const uint64_t *addr,
			 unsigned n)
{
	uint64_t t0, t1, v = 0, a, acc = 0, mask = dep_mask;
	const uint8_t *page;

	t0 = bench_now_ns();
	switch (s->kind) {
	case RADIX:
		for (unsigned i = 0; i < n; i++) {
			a = addr[i] ^ (v & mask);
			page = rx_get(&s->rx, a >> PMEM_PAGE_SHIFT);
			v = page ? le_load64(page + page_off(a)) : 0;
			acc += v;
		}
		break;
	case UTHASH:
		for (unsigned i = 0; i < n; i++) {
			a = addr[i] ^ (v & mask);
			page = uh_get(&s->uh, a >> PMEM_PAGE_SHIFT);
			v = page ? le_load64(page + page_off(a)) : 0;
			acc += v;
		}
		break;
	default:
		for (unsigned i = 0; i < n; i++) {
			a = addr[i] ^ (v & mask);
			pmem_read64(s->pm, a, &v, NULL);
			acc += v;
		}
		break;
	}
	t1 = bench_now_ns();
	sink ^= acc;
	return (double)(t1 - t0) / n;
}

static double median_reads(const struct store *s, const uint64_t *addr,
			   unsigned n)
{
	double t[REPS];

	for (unsigned r = 0; r < REPS; r++)
		t[r] = time_reads(s, addr, n);
	return bench_median(t, REPS);
}

/* --- cases --- */

static uint64_t *make_pfns(unsigned n, bool dense, struct sim_prng *rng)
{
	uint64_t *pfn = xcalloc(n, sizeof(*pfn));

	for (unsigned i = 0; i < n; i++)
		pfn[i] = dense ? DENSE_BASE_PFN + i :
				 sim_prng_below(rng, UINT64_C(1) << PFN_BITS);
	return pfn;
}

/* The same page set, and read addresses after it, for every structure. */
static uint64_t *case_pfns(unsigned n, bool dense, struct sim_prng *rng)
{
	sim_prng_seed(rng, UINT64_C(0x5eed) + n + dense);
	return make_pfns(n, dense, rng);
}

static void size_label(char *buf, size_t len, unsigned n, bool dense)
{
	if (n >= (1u << 20))
		snprintf(buf, len, "%um%s", n >> 20, dense ? "_dense" : "");
	else
		snprintf(buf, len, "%uk%s", n >> 10, dense ? "_dense" : "");
}

static void report_skipped(const char *label, enum structure kind,
			   unsigned n, uint64_t need)
{
	static const char *const what[] = { "populate", "read_random",
					    "read_seq" };

	for (unsigned i = 0; i < 3; i++)
		printf("{\"name\": \"mem_%s_%s_%s\", \"skipped\": "
		       "\"needs %llu host bytes, budget %llu\", "
		       "\"structure\": \"%s\", \"pages\": %u, "
		       "\"bytes\": %llu, \"bytes_per_page\": %.1f}\n",
		       what[i], struct_name[kind], label,
		       (unsigned long long)need,
		       (unsigned long long)mem_budget, struct_name[kind], n,
		       (unsigned long long)need, (double)need / n);
	fflush(stdout);
}

static void run_case(unsigned n, bool dense, enum structure kind,
		     uint64_t *raddr, uint64_t *saddr)
{
	struct sim_prng rng;
	struct store s;
	uint64_t *pfn, *sorted, need, heap0, heap = 0;
	unsigned nseq = n < SEQ_PAGES ? n : SEQ_PAGES;
	char label[32], name[96], extra[256];
	double t[REPS];
	unsigned reps = n >= (1u << 20) ? REPS_POPULATE_1M : REPS;
	size_t l;

	size_label(label, sizeof(label), n, dense);
	pfn = case_pfns(n, dense, &rng);

	need = store_bytes_needed(kind, pfn, n);
	if (need > mem_budget) {
		report_skipped(label, kind, n, need);
		free(pfn);
		return;
	}

	/* first writes into an empty store; the last store is kept */
	for (unsigned r = 0; r < reps; r++) {
		uint64_t t0;

		store_init(&s, kind);
		heap0 = heap_in_use();
		t0 = bench_now_ns();
		store_populate(&s, pfn, n);
		t[r] = (double)(bench_now_ns() - t0) / n;
		heap = heap_in_use() - heap0;
		if (r < reps - 1)
			store_fini(&s);
	}

	l = (size_t)snprintf(extra, sizeof(extra),
			     ", \"structure\": \"%s\", \"layout\": \"%s\", "
			     "\"pages\": %llu, \"bytes_per_page\": %.1f",
			     struct_name[kind], dense ? "dense" : "sparse",
			     (unsigned long long)store_pages(&s),
			     (double)store_bytes(&s) /
				     (double)store_pages(&s));
#ifdef HAVE_MALLINFO2
	snprintf(extra + l, sizeof(extra) - l,
		 ", \"heap_bytes_per_page\": %.1f",
		 (double)heap / (double)store_pages(&s));
#else
	(void)heap;
#endif
	snprintf(name, sizeof(name), "mem_populate_%s_%s", struct_name[kind],
		 label);
	l = strlen(extra);
	snprintf(extra + l, sizeof(extra) - l, ", \"reps\": %u", reps);
	bench_report(name, bench_median(t, reps), n, "-", extra);
	snprintf(extra + l, sizeof(extra) - l, ", \"reps\": %u", REPS);

	for (unsigned i = 0; i < NREADS; i++)
		raddr[i] = (pfn[sim_prng_below(&rng, n)] << PMEM_PAGE_SHIFT) |
			   (sim_prng_below(&rng, WORDS_PER_PAGE) * 8);
	snprintf(name, sizeof(name), "mem_read_random_%s_%s",
		 struct_name[kind], label);
	bench_report(name, median_reads(&s, raddr, NREADS), NREADS, "-",
		     extra);

	sorted = xcalloc(n, sizeof(*sorted));
	memcpy(sorted, pfn, (size_t)n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (unsigned p = 0; p < nseq; p++)
		for (unsigned w = 0; w < WORDS_PER_PAGE; w++)
			saddr[p * WORDS_PER_PAGE + w] =
				(sorted[p] << PMEM_PAGE_SHIFT) + 8 * w;
	snprintf(name, sizeof(name), "mem_read_seq_%s_%s", struct_name[kind],
		 label);
	bench_report(name, median_reads(&s, saddr, nseq * WORDS_PER_PAGE),
		     nseq * WORDS_PER_PAGE, "-", extra);

	free(sorted);
	free(pfn);
	store_fini(&s);
}

static void run_hot(enum structure kind, uint64_t *addr)
{
	struct store s;
	uint64_t pfn = UINT64_C(0x123456);
	char name[64], extra[64];

	store_init(&s, kind);
	store_populate(&s, &pfn, 1);
	for (unsigned i = 0; i < NREADS; i++)
		addr[i] = (pfn << PMEM_PAGE_SHIFT) + 8 * (i % WORDS_PER_PAGE);
	snprintf(name, sizeof(name), "mem_read_hot_%s", struct_name[kind]);
	snprintf(extra, sizeof(extra), ", \"structure\": \"%s\", \"reps\": %u",
		 struct_name[kind], REPS);
	bench_report(name, median_reads(&s, addr, NREADS), NREADS, "-", extra);
	store_fini(&s);
}

/* Host bytes of the largest store that fits the budget. */
static uint64_t largest_need(void)
{
	struct sim_prng rng;
	uint64_t max = 0, need, *pfn;

	for (unsigned i = 0; i < NSIZES; i++) {
		for (unsigned d = 0; d < 2; d++) {
			pfn = case_pfns(sizes[i], d, &rng);
			for (int k = 0; k < NSTRUCT; k++) {
				need = store_bytes_needed((enum structure)k,
							  pfn, sizes[i]);
				if (need <= mem_budget && need > max)
					max = need;
			}
			free(pfn);
		}
	}
	return max;
}

/*
 * Grow malloc's heap to `bytes`, have the kernel back it in one call,
 * then give it back to malloc, which keeps it (trimming is off). On
 * virtual machines where each first-touch page fault costs ~15 us this
 * turns ~20 s of faults during the first large case into well under a
 * second, and keeps fault costs out of every figure. Best effort: if the
 * kernel lacks MADV_POPULATE_WRITE pages fault in on first use instead.
 */
static void heap_prefault(uint64_t bytes)
{
#if defined(__GLIBC__) && defined(__linux__)
	const size_t block = PREFAULT_BLOCK;
	size_t n = (size_t)(bytes / block) + 1, page = PMEM_PAGE_SIZE;
	void **blk = xcalloc(n, sizeof(*blk));

	mallopt(M_MMAP_THRESHOLD, 2 * PREFAULT_BLOCK);
	for (size_t i = 0; i < n; i++) {
		uintptr_t lo, hi;

		blk[i] = malloc(block);
		if (!blk[i])
			break;
		lo = ((uintptr_t)blk[i] + page - 1) & ~(uintptr_t)(page - 1);
		hi = ((uintptr_t)blk[i] + block) & ~(uintptr_t)(page - 1);
		if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0)
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(blk[i]);
	free(blk);
#else
	(void)bytes;
#endif
}

int main(void)
{
	uint64_t *raddr = xcalloc(NREADS, sizeof(*raddr));
	uint64_t *saddr = xcalloc(SEQ_PAGES * WORDS_PER_PAGE, sizeof(*saddr));
	long avail = sysconf(_SC_AVPHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t t0;

	mem_budget = MEM_BUDGET;
	if (avail > 0 && psize > 0 &&
	    (uint64_t)avail * (uint64_t)psize / 4 * 3 < mem_budget)
		mem_budget = (uint64_t)avail * (uint64_t)psize / 4 * 3;
#ifdef __GLIBC__
	/*
	 * Keep freed memory in the process: first-touch page faults are
	 * slow on virtual machines and cost the same for every structure,
	 * so they should be paid once, not once per case.
	 */
	mallopt(M_TRIM_THRESHOLD, -1);
#endif
	t0 = bench_now_ns();
	heap_prefault(largest_need() + PREFAULT_SLACK);
	for (int k = 0; k < NSTRUCT; k++)
		run_hot((enum structure)k, raddr);
	for (unsigned i = 0; i < NSIZES; i++)
		for (unsigned d = 0; d < 2; d++)
			for (int k = 0; k < NSTRUCT; k++)
				run_case(sizes[i], d, (enum structure)k,
					 raddr, saddr);
	fprintf(stderr, "bench_mem: %.1f s (checksum %llx)\n",
		(double)(bench_now_ns() - t0) / 1e9, (unsigned long long)sink);
	free(raddr);
	free(saddr);
	return 0;
}
