/* SPDX-License-Identifier: MIT */
/*
 * Sparse physical memory.
 *
 * Backing store: a uthash table of 4 KiB pages keyed by page frame number,
 * each page one allocation with its hash handle, and a small direct-mapped
 * cache of recently used pages in front of it. bench/bench_mem.c measured
 * this against a 4-level radix tree (11 bits per level): the radix tree
 * was faster only for dense memory and cost ~9x the host memory per page
 * for sparse memory (docs/performance.md has the figures), and sparse is
 * what large StreamID/PASID scale runs produce.
 *
 * Regions are kept sorted by base in a small array and found by binary
 * search, with the last region used remembered.
 */
#include "smmusim/mem.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#define PCACHE_SIZE 64u

struct page {
	uint64_t pfn;
	UT_hash_handle hh;
	uint8_t data[PMEM_PAGE_SIZE];
};

struct region {
	uint64_t base, size;
	enum pmem_region_kind kind;
	struct pmem_latency lat;
	struct pmem_mmio_ops ops;
	void *ctx;
	int id;
};

struct pcache_ent {
	uint64_t pfn; /* UINT64_MAX = empty */
	uint8_t *page;
	/* The RAM region holding the whole page, or NULL (the page is
	 * shared by regions). Region pointers move when regions are added
	 * or removed: both flush the cache. */
	const struct region *ram;
};

struct pmem {
	struct region *regions;
	unsigned nregions, cap_regions;
	int next_region_id;
	unsigned last_region;
	struct pmem_latency default_ram_lat;

	struct page *pages; /* uthash head */
	struct pcache_ent pcache[PCACHE_SIZE];

	struct pmem_stats stats;

	enum pmem_agent agent;
	struct pmem_observer obs;
};

static const struct pmem_latency default_ram = { .per_access = 100,
						 .per_line = 8 };
static const struct pmem_latency default_mmio = { .per_access = 20,
						  .per_line = 0 };

struct pmem *pmem_create(void)
{
	struct pmem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->default_ram_lat = default_ram;
	for (unsigned i = 0; i < PCACHE_SIZE; i++)
		m->pcache[i].pfn = UINT64_MAX;
	return m;
}

static void pages_free_all(struct pmem *m)
{
	struct page *p, *tmp;

	HASH_ITER(hh, m->pages, p, tmp) {
		HASH_DEL(m->pages, p);
		free(p);
	}
}

void pmem_destroy(struct pmem *m)
{
	if (!m)
		return;
	pages_free_all(m);
	free(m->regions);
	free(m);
}

void pmem_set_default_latency(struct pmem *m, struct pmem_latency lat)
{
	m->default_ram_lat = lat;
}

/* --- page store --- */

static struct region *region_find(struct pmem *m, uint64_t addr);

/* The page cache missed: the hash table, and a new page if `create`. */
static __attribute__((noinline)) uint8_t *
page_lookup_slow(struct pmem *m, struct pcache_ent *pc, uint64_t pfn,
		 bool create)
{
	struct page *p;

	HASH_FIND(hh, m->pages, &pfn, sizeof(pfn), p);
	if (!p) {
		if (!create)
			return NULL;
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->pfn = pfn;
		HASH_ADD(hh, m->pages, pfn, sizeof(p->pfn), p);
		m->stats.pages_backed++;
	}
	const struct region *r = region_find(m, pfn << PMEM_PAGE_SHIFT);

	pc->pfn = pfn;
	pc->page = p->data;
	pc->ram = r && r->kind == PMEM_RAM &&
			  r->size - ((pfn << PMEM_PAGE_SHIFT) - r->base) >=
				  PMEM_PAGE_SIZE ?
		  r :
		  NULL;
	return p->data;
}

/* The host copy of page `pfn`; NULL if never written and not `create`. */
static inline uint8_t *page_lookup(struct pmem *m, uint64_t pfn, bool create)
{
	struct pcache_ent *pc = &m->pcache[pfn % PCACHE_SIZE];

	if (pc->pfn == pfn)
		return pc->page;
	return page_lookup_slow(m, pc, pfn, create);
}

static void pcache_flush(struct pmem *m)
{
	for (unsigned i = 0; i < PCACHE_SIZE; i++)
		m->pcache[i].pfn = UINT64_MAX;
}

/* --- regions --- */

static struct region *region_find(struct pmem *m, uint64_t addr)
{
	if (m->last_region < m->nregions) {
		struct region *r = &m->regions[m->last_region];

		if (addr >= r->base && addr - r->base < r->size)
			return r;
	}
	unsigned lo = 0, hi = m->nregions;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		struct region *r = &m->regions[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->size) {
			lo = mid + 1;
		} else {
			m->last_region = mid;
			return r;
		}
	}
	return NULL;
}

static int region_add(struct pmem *m, struct region nr)
{
	if (nr.size == 0 || nr.base >= PMEM_ADDR_LIMIT ||
	    nr.size > PMEM_ADDR_LIMIT - nr.base)
		return -1;
	unsigned pos = 0;

	while (pos < m->nregions && m->regions[pos].base < nr.base)
		pos++;
	if (pos > 0) {
		struct region *p = &m->regions[pos - 1];

		if (p->base + p->size > nr.base)
			return -1;
	}
	if (pos < m->nregions && nr.base + nr.size > m->regions[pos].base)
		return -1;
	if (m->nregions == m->cap_regions) {
		unsigned ncap = m->cap_regions ? m->cap_regions * 2 : 8;
		struct region *n = realloc(m->regions, ncap * sizeof(*n));

		if (!n)
			return -1;
		m->regions = n;
		m->cap_regions = ncap;
	}
	memmove(&m->regions[pos + 1], &m->regions[pos],
		(m->nregions - pos) * sizeof(*m->regions));
	nr.id = m->next_region_id++;
	m->regions[pos] = nr;
	m->nregions++;
	m->last_region = 0;
	pcache_flush(m);
	if (m->obs.region)
		m->obs.region(m->obs.ctx, true, nr.kind, nr.base, nr.size);
	return nr.id;
}

int pmem_add_ram(struct pmem *m, uint64_t base, uint64_t size)
{
	struct region r = { .base = base, .size = size, .kind = PMEM_RAM,
			    .lat = m->default_ram_lat };

	return region_add(m, r);
}

int pmem_add_mmio(struct pmem *m, uint64_t base, uint64_t size,
		  const struct pmem_mmio_ops *ops, void *ctx)
{
	if (!ops || !ops->read || !ops->write)
		return -1;
	struct region r = { .base = base, .size = size, .kind = PMEM_MMIO,
			    .lat = default_mmio, .ops = *ops, .ctx = ctx };

	return region_add(m, r);
}

static struct region *region_by_id(struct pmem *m, int id)
{
	for (unsigned i = 0; i < m->nregions; i++)
		if (m->regions[i].id == id)
			return &m->regions[i];
	return NULL;
}

bool pmem_set_region_latency(struct pmem *m, int id, struct pmem_latency lat)
{
	struct region *r = region_by_id(m, id);

	if (!r)
		return false;
	r->lat = lat;
	return true;
}

/* Free every backed page with pfn in [lo, hi]. */
static void pages_drop(struct pmem *m, uint64_t lo, uint64_t hi)
{
	struct page *p, *tmp;

	HASH_ITER(hh, m->pages, p, tmp) {
		if (p->pfn < lo || p->pfn > hi)
			continue;
		HASH_DEL(m->pages, p);
		free(p);
		m->stats.pages_backed--;
	}
}

/* True if a RAM region other than `skip` has bytes in page `pfn`. */
static bool page_shared(const struct pmem *m, const struct region *skip,
			uint64_t pfn)
{
	uint64_t lo = pfn << PMEM_PAGE_SHIFT, hi = lo + PMEM_PAGE_SIZE;

	for (unsigned i = 0; i < m->nregions; i++) {
		const struct region *r = &m->regions[i];

		if (r != skip && r->kind == PMEM_RAM && r->base < hi &&
		    lo < r->base + r->size)
			return true;
	}
	return false;
}

/* Zero the part of page `pfn` that lies inside region `r`. */
static void page_zero_part(struct pmem *m, uint64_t pfn,
			   const struct region *r)
{
	uint64_t pa = pfn << PMEM_PAGE_SHIFT;
	uint64_t lo = r->base > pa ? r->base : pa;
	uint64_t end = r->base + r->size;
	uint64_t hi = end < pa + PMEM_PAGE_SIZE ? end : pa + PMEM_PAGE_SIZE;
	uint8_t *page = page_lookup(m, pfn, false);

	if (page)
		memset(page + (lo - pa), 0, (size_t)(hi - lo));
}

bool pmem_remove_region(struct pmem *m, int id)
{
	struct region *r = region_by_id(m, id);

	if (!r)
		return false;
	if (m->obs.region)
		m->obs.region(m->obs.ctx, false, r->kind, r->base, r->size);
	if (r->kind == PMEM_RAM && m->pages) {
		uint64_t lo = r->base >> PMEM_PAGE_SHIFT;
		uint64_t end = ((r->base + r->size - 1) >> PMEM_PAGE_SHIFT) + 1;

		/*
		 * A page the region shares with another RAM region (neither
		 * is page aligned) keeps the neighbour's bytes: only the
		 * region's own part is cleared, the page is not freed.
		 */
		if (page_shared(m, r, lo)) {
			page_zero_part(m, lo, r);
			lo++;
		}
		if (lo < end && page_shared(m, r, end - 1)) {
			page_zero_part(m, end - 1, r);
			end--;
		}
		if (lo < end)
			pages_drop(m, lo, end - 1);
	}
	pcache_flush(m);
	unsigned pos = (unsigned)(r - m->regions);

	memmove(&m->regions[pos], &m->regions[pos + 1],
		(m->nregions - pos - 1) * sizeof(*m->regions));
	m->nregions--;
	m->last_region = 0;
	return true;
}

int pmem_region_id(const struct pmem *m, uint64_t addr)
{
	for (unsigned i = 0; i < m->nregions; i++)
		if (addr >= m->regions[i].base &&
		    addr - m->regions[i].base < m->regions[i].size)
			return m->regions[i].id;
	return -1;
}

bool pmem_region_at(const struct pmem *m, uint64_t addr,
		    enum pmem_region_kind *kind, uint64_t *base, uint64_t *size)
{
	struct region *r = region_find((struct pmem *)m, addr);

	if (!r)
		return false;
	if (kind)
		*kind = r->kind;
	if (base)
		*base = r->base;
	if (size)
		*size = r->size;
	return true;
}

/* --- access path --- */

static void charge(struct pmem *m, const struct region *r, uint64_t addr,
		   size_t len, uint64_t *cycles)
{
	uint64_t first = addr / PMEM_LINE_SIZE;
	uint64_t last = (addr + (len ? len - 1 : 0)) / PMEM_LINE_SIZE;
	uint64_t c = r->lat.per_access + r->lat.per_line * (last - first + 1);

	m->stats.cycles += c;
	if (cycles)
		*cycles += c;
}

/*
 * Find the region for [addr, addr+len); abort if it is a hole or the
 * access runs past the region's end.
 */
static struct region *check(struct pmem *m, uint64_t addr, size_t len)
{
	if (len == 0 || addr >= PMEM_ADDR_LIMIT)
		return NULL;
	struct region *r = region_find(m, addr);

	if (!r || len > r->size - (addr - r->base))
		return NULL;
	return r;
}

static enum mem_result abort_access(struct pmem *m)
{
	m->stats.aborts++;
	return MEM_ABORT;
}

static bool mmio_size_ok(uint64_t addr, size_t len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       (addr & (len - 1)) == 0;
}

static inline uint64_t le_load(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* one load when len is a constant */
	memcpy(&v, p, len);
#else
	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
#endif
	return v;
}

static inline void le_store(uint8_t *p, uint64_t v, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, len);
#else
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
}

enum mem_result pmem_read(struct pmem *m, uint64_t addr, void *buf, size_t len,
			  uint64_t *cycles)
{
	struct region *r = check(m, addr, len);

	if (!r)
		return abort_access(m);
	if (r->kind == PMEM_MMIO) {
		uint64_t v = 0;

		if (!mmio_size_ok(addr, len) ||
		    !r->ops.read(r->ctx, addr - r->base, (unsigned)len, &v))
			return abort_access(m);
		le_store(buf, v, len);
	} else {
		uint8_t *out = buf;
		uint64_t a = addr;
		size_t left = len;

		while (left) {
			uint64_t off = a & (PMEM_PAGE_SIZE - 1);
			size_t n = (size_t)(PMEM_PAGE_SIZE - off);
			uint8_t *page = page_lookup(m, a >> PMEM_PAGE_SHIFT,
						    false);

			if (n > left)
				n = left;
			if (page)
				memcpy(out, page + off, n);
			else
				memset(out, 0, n);
			out += n;
			a += n;
			left -= n;
		}
	}
	charge(m, r, addr, len, cycles);
	m->stats.reads++;
	m->stats.bytes_read += len;
	return MEM_OK;
}

enum mem_result pmem_write(struct pmem *m, uint64_t addr, const void *buf,
			   size_t len, uint64_t *cycles)
{
	struct region *r = check(m, addr, len);

	if (!r)
		return abort_access(m);
	if (r->kind == PMEM_MMIO) {
		if (!mmio_size_ok(addr, len) ||
		    !r->ops.write(r->ctx, addr - r->base, (unsigned)len,
				  le_load(buf, len)))
			return abort_access(m);
	} else {
		const uint8_t *in = buf;
		uint64_t a = addr;
		size_t left = len;

		while (left) {
			uint64_t off = a & (PMEM_PAGE_SIZE - 1);
			size_t n = (size_t)(PMEM_PAGE_SIZE - off);
			uint8_t *page = page_lookup(m, a >> PMEM_PAGE_SHIFT,
						    true);

			if (!page)
				return abort_access(m); /* host out of memory */
			if (n > left)
				n = left;
			memcpy(page + off, in, n);
			in += n;
			a += n;
			left -= n;
		}
		if (m->obs.write)
			m->obs.write(m->obs.ctx, m->agent, addr, buf, len);
	}
	charge(m, r, addr, len, cycles);
	m->stats.writes++;
	m->stats.bytes_written += len;
	return MEM_OK;
}

/* charge() of an aligned scalar access: it lies in one line. */
static inline void charge_scalar(struct pmem *m, const struct region *r,
				 uint64_t *cycles)
{
	uint64_t c = (uint64_t)r->lat.per_access + r->lat.per_line;

	m->stats.cycles += c;
	if (cycles)
		*cycles += c;
}

/*
 * Scalar accessors. The common case, an aligned read of a backed RAM
 * page that is in the page cache, is served from the cache entry (which
 * names the region holding the whole page); everything else (MMIO,
 * holes, unbacked or uncached pages, pages shared by regions) takes the
 * general path. Both charge and count identically.
 *
 * The general path is out of line, so that the fast path saves no
 * registers; the fast path is always inlined, so that builds with
 * link-time optimisation inline it into the callers in other files
 * (the table walker reads every descriptor through pmem_read64).
 */
#define SCALAR_INLINE __attribute__((always_inline)) inline

#define DEFINE_SCALAR(bits)                                                   \
	static __attribute__((noinline)) enum mem_result                      \
	read##bits##_slow(struct pmem *m, uint64_t addr, uint##bits##_t *v,   \
			  uint64_t *cycles)                                   \
	{                                                                     \
		uint8_t b[bits / 8];                                          \
		enum mem_result res = pmem_read(m, addr, b, sizeof(b), cycles); \
		*v = res == MEM_OK ? (uint##bits##_t)le_load(b, sizeof(b)) : 0; \
		return res;                                                   \
	}                                                                     \
	SCALAR_INLINE enum mem_result                                         \
	pmem_read##bits(struct pmem *m, uint64_t addr, uint##bits##_t *v,     \
			uint64_t *cycles)                                     \
	{                                                                     \
		uint64_t pfn = addr >> PMEM_PAGE_SHIFT;                       \
		uint64_t off = addr & (PMEM_PAGE_SIZE - 1);                   \
		const struct pcache_ent *pc = &m->pcache[pfn % PCACHE_SIZE];  \
                                                                              \
		if ((addr & (bits / 8 - 1)) || pc->pfn != pfn || !pc->ram)    \
			return read##bits##_slow(m, addr, v, cycles);         \
		*v = (uint##bits##_t)le_load(pc->page + off, bits / 8);       \
		charge_scalar(m, pc->ram, cycles);                            \
		m->stats.reads++;                                             \
		m->stats.bytes_read += bits / 8;                              \
		return MEM_OK;                                                \
	}                                                                     \
	enum mem_result pmem_write##bits(struct pmem *m, uint64_t addr,      \
					 uint##bits##_t v, uint64_t *cycles) \
	{                                                                     \
		uint8_t b[bits / 8];                                          \
		le_store(b, v, sizeof(b));                                    \
		return pmem_write(m, addr, b, sizeof(b), cycles);             \
	}

DEFINE_SCALAR(8)
DEFINE_SCALAR(16)
DEFINE_SCALAR(32)
DEFINE_SCALAR(64)

/*
 * One locked read-modify-write: counted as one read, plus one write when
 * the store happens, and charged the latency of a single 8-byte access.
 */
enum mem_result pmem_cas64(struct pmem *m, uint64_t addr, uint64_t expect,
			   uint64_t desired, uint64_t *old, uint64_t *cycles)
{
	struct region *r = check(m, addr, 8);
	uint64_t pfn = addr >> PMEM_PAGE_SHIFT;
	uint64_t off = addr & (PMEM_PAGE_SIZE - 1);
	uint8_t *page;
	uint64_t cur;

	if (!r || r->kind != PMEM_RAM || (addr & 7))
		return abort_access(m);
	page = page_lookup(m, pfn, false);
	cur = page ? le_load(page + off, 8) : 0;
	if (cur == expect) {
		if (!page)
			page = page_lookup(m, pfn, true);
		if (!page)
			return abort_access(m); /* host out of memory */
		le_store(page + off, desired, 8);
		m->stats.writes++;
		m->stats.bytes_written += 8;
	}
	if (old)
		*old = cur;
	m->stats.reads++;
	m->stats.bytes_read += 8;
	charge(m, r, addr, 8, cycles);
	return MEM_OK;
}

/*
 * Counted as one write of `len` bytes (latency into stats.cycles only).
 * Filling with zero never backs a page: untouched RAM already reads zero.
 */
enum mem_result pmem_fill(struct pmem *m, uint64_t addr, uint8_t byte,
			  size_t len)
{
	struct region *r = check(m, addr, len);
	uint64_t a = addr;
	size_t left = len;

	if (!r || r->kind != PMEM_RAM)
		return abort_access(m);
	while (left) {
		uint64_t off = a & (PMEM_PAGE_SIZE - 1);
		size_t n = (size_t)(PMEM_PAGE_SIZE - off);
		uint8_t *page = page_lookup(m, a >> PMEM_PAGE_SHIFT,
					    byte != 0);

		if (n > left)
			n = left;
		if (page)
			memset(page + off, byte, n);
		else if (byte)
			return abort_access(m); /* host out of memory */
		a += n;
		left -= n;
	}
	if (m->obs.fill)
		m->obs.fill(m->obs.ctx, m->agent, addr, byte, len);
	charge(m, r, addr, len, NULL);
	m->stats.writes++;
	m->stats.bytes_written += len;
	return MEM_OK;
}

enum pmem_agent pmem_set_agent(struct pmem *m, enum pmem_agent a)
{
	enum pmem_agent old = m->agent;

	m->agent = a;
	return old;
}

void pmem_set_observer(struct pmem *m, const struct pmem_observer *o)
{
	if (o)
		m->obs = *o;
	else
		memset(&m->obs, 0, sizeof(m->obs));
}

void pmem_get_stats(const struct pmem *m, struct pmem_stats *out)
{
	*out = m->stats;
}

uint64_t pmem_host_bytes(const struct pmem *m)
{
	uint64_t table = m->pages ? HASH_OVERHEAD(hh, m->pages) : 0;

	return m->stats.pages_backed * sizeof(struct page) + table +
	       m->cap_regions * sizeof(struct region) + sizeof(*m);
}

static int cmp_page(const void *a, const void *b)
{
	const struct page *x = *(struct page *const *)a;
	const struct page *y = *(struct page *const *)b;

	return (x->pfn > y->pfn) - (x->pfn < y->pfn);
}

void pmem_for_each_page(const struct pmem *m, pmem_page_fn fn, void *ctx)
{
	unsigned n = HASH_COUNT(m->pages), i = 0;
	struct page **v, *p, *tmp;

	if (!n)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	HASH_ITER(hh, m->pages, p, tmp)
		v[i++] = p;
	qsort(v, n, sizeof(*v), cmp_page);
	for (i = 0; i < n; i++)
		fn(ctx, v[i]->pfn << PMEM_PAGE_SHIFT, v[i]->data);
	free(v);
}
