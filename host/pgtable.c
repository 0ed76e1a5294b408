/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 table construction (Arm ARM D8.2-D8.4; facts §9). Level
 * shift(l) = G + (3 - l) * (G - 3); the start level is the lowest whose
 * table covers the input size.
 */
#include "host/pgtable.h"

#include "smmu/fields.h"

/* Descriptor fields (facts §9.5-9.6) */
#define D_VALID RFLD(0, 0)
#define D_TABLE RFLD(1, 1)
#define D_ATTRINDX RFLD(4, 2)
#define D_S2_MEMATTR RFLD(5, 2)
#define D_AP RFLD(7, 6)       /* stage 1 AP[2:1]; stage 2 S2AP */
#define D_SH RFLD(9, 8)
#define D_AF RFLD(10, 10)
#define D_NG RFLD(11, 11)
#define D_DBM RFLD(51, 51)
#define D_PXN RFLD(53, 53)
#define D_UXN RFLD(54, 54)    /* stage 2: XN */

static unsigned level_shift(const struct pgtable *pt, int level)
{
	unsigned g = pt->granule_shift;

	return g + (unsigned)(3 - level) * (g - 3);
}

static uint64_t oa_mask(const struct pgtable *pt)
{
	/* next-level / output address bits [47:G] */
	return bits_mask(48) & ~bits_mask(pt->granule_shift);
}

bool pgtable_init(struct pgtable *pt, struct hostmem *hm, uint8_t stage,
		  uint8_t granule_shift, uint8_t ia_bits)
{
	if ((granule_shift != 12 && granule_shift != 14 &&
	     granule_shift != 16) ||
	    ia_bits < 25 || ia_bits > 48 || (stage != 1 && stage != 2))
		return false;
	pt->hm = hm;
	pt->mem = hostmem_pmem(hm);
	pt->stage = stage;
	pt->granule_shift = granule_shift;
	pt->ia_bits = ia_bits;
	/* facts §9.2: start = 3 - floor((ia - 1 - G) / (G - 3)) */
	pt->start_level = 3 - (int)((ia_bits - 1 - granule_shift) /
				    (granule_shift - 3));
	unsigned top = ia_bits - level_shift(pt, pt->start_level);

	pt->root_size = (UINT64_C(1) << top) * 8;
	if (pt->root_size < 64)
		pt->root_size = 64;
	pt->root = hostmem_alloc(hm, pt->root_size, pt->root_size);
	pt->tables = 1;
	return pt->root != 0;
}

static void free_level(struct pgtable *pt, uint64_t table, int level,
		       uint64_t entries)
{
	for (uint64_t i = 0; i < entries && level < 3; i++) {
		uint64_t d;

		pmem_read64(pt->mem, table + i * 8, &d, NULL);
		if (rget(d, D_VALID) && rget(d, D_TABLE)) {
			uint64_t next = d & oa_mask(pt);

			free_level(pt, next, level + 1,
				   UINT64_C(1) << (pt->granule_shift - 3));
			hostmem_free(pt->hm, next,
				     UINT64_C(1) << pt->granule_shift);
		}
	}
}

void pgtable_destroy(struct pgtable *pt)
{
	if (!pt->root)
		return;
	free_level(pt, pt->root, pt->start_level, pt->root_size / 8);
	hostmem_free(pt->hm, pt->root, pt->root_size);
	pt->root = 0;
}

static uint64_t index_of(const struct pgtable *pt, uint64_t ia, int level)
{
	unsigned shift = level_shift(pt, level);
	unsigned bits = level == pt->start_level
				? pt->ia_bits - shift
				: pt->granule_shift - 3u;

	return (ia >> shift) & bits_mask(bits);
}

static uint64_t leaf_bits(const struct pgtable *pt, unsigned flags)
{
	uint64_t d = 0;

	d = rset(d, D_AF, !(flags & PT_NOAF));
	d = rset(d, D_SH, 3);
	if (pt->stage == 1) {
		unsigned ap = (flags & PT_USER) ? 1 : 0; /* AP[1] */

		if (!(flags & PT_W))
			ap |= 2; /* AP[2]: read-only */
		d = rset(d, D_AP, ap);
		d = rset(d, D_ATTRINDX, (flags & PT_DEVICE) ? 1 : 0);
		d = rset(d, D_NG, !!(flags & PT_NG));
		d = rset(d, D_UXN, !(flags & PT_X) || !(flags & PT_USER));
		d = rset(d, D_PXN, !(flags & PT_X) || (flags & PT_USER));
	} else {
		unsigned s2ap = ((flags & PT_R) ? 1 : 0) |
				((flags & PT_W) ? 2 : 0);

		d = rset(d, D_AP, s2ap);
		d = rset(d, D_S2_MEMATTR, (flags & PT_DEVICE) ? 0x1 : 0xF);
		d = rset(d, D_UXN, !(flags & PT_X));
	}
	d = rset(d, D_DBM, !!(flags & PT_DBM));
	return d;
}

/* Find or create the table at `level` for ia; returns its PA or 0. */
static uint64_t table_for(struct pgtable *pt, uint64_t ia, int level,
			  bool create)
{
	uint64_t table = pt->root;

	for (int l = pt->start_level; l < level; l++) {
		uint64_t slot = table + index_of(pt, ia, l) * 8, d;

		pmem_read64(pt->mem, slot, &d, NULL);
		if (rget(d, D_VALID) && rget(d, D_TABLE)) {
			table = d & oa_mask(pt);
			continue;
		}
		if (rget(d, D_VALID) || !create)
			return 0; /* a block is in the way, or absent */
		uint64_t gsz = UINT64_C(1) << pt->granule_shift;
		uint64_t next = hostmem_alloc(pt->hm, gsz, gsz);

		if (!next)
			return 0;
		pt->tables++;
		d = next | 3;
		pmem_write64(pt->mem, slot, d, NULL);
		table = next;
	}
	return table;
}

bool pgtable_map(struct pgtable *pt, uint64_t ia, uint64_t pa, uint64_t size,
		 unsigned flags)
{
	uint64_t gmask = bits_mask(pt->granule_shift);

	if ((ia | pa | size) & gmask || (ia + size - 1) >> pt->ia_bits)
		return false;
	while (size) {
		int level = 3;

		/* Use the largest block this level allows (4K: L1/L2,
		 * 16K/64K: L2) where alignment and size permit. */
		if (flags & PT_BLOCK) {
			int min_block = pt->granule_shift == 12 ? 1 : 2;

			for (int l = min_block; l < 3; l++) {
				uint64_t bsz = UINT64_C(1) << level_shift(pt, l);

				if (l >= pt->start_level &&
				    !((ia | pa) & (bsz - 1)) && size >= bsz) {
					level = l;
					break;
				}
			}
		}
		uint64_t table = table_for(pt, ia, level, true);

		if (!table)
			return false;
		uint64_t d = (pa & oa_mask(pt)) | leaf_bits(pt, flags) |
			     (level == 3 ? 3 : 1);

		pmem_write64(pt->mem, table + index_of(pt, ia, level) * 8, d,
			     NULL);
		uint64_t step = UINT64_C(1) << level_shift(pt, level);

		ia += step;
		pa += step;
		size -= step;
	}
	return true;
}

bool pgtable_unmap(struct pgtable *pt, uint64_t ia, uint64_t size)
{
	uint64_t gsz = UINT64_C(1) << pt->granule_shift;

	if ((ia | size) & (gsz - 1))
		return false;
	for (uint64_t off = 0; off < size; off += gsz) {
		uint64_t leaf;

		if (pgtable_lookup(pt, ia + off, NULL, &leaf))
			pmem_write64(pt->mem, leaf, 0, NULL);
	}
	return true;
}

bool pgtable_lookup(struct pgtable *pt, uint64_t ia, uint64_t *pa,
		    uint64_t *leaf_addr)
{
	uint64_t table = pt->root;

	if (ia >> pt->ia_bits)
		return false;
	for (int l = pt->start_level; l <= 3; l++) {
		uint64_t slot = table + index_of(pt, ia, l) * 8, d;

		pmem_read64(pt->mem, slot, &d, NULL);
		if (!rget(d, D_VALID))
			return false;
		if (l < 3 && rget(d, D_TABLE)) {
			table = d & oa_mask(pt);
			continue;
		}
		unsigned shift = level_shift(pt, l);

		if (pa)
			*pa = (d & oa_mask(pt) & ~bits_mask(shift)) |
			      (ia & bits_mask(shift));
		if (leaf_addr)
			*leaf_addr = slot;
		return true;
	}
	return false;
}

uint8_t pgtable_tsz(const struct pgtable *pt)
{
	return (uint8_t)(64 - pt->ia_bits);
}

/* facts §9.4: S2SL0 encodes the start level per granule */
uint8_t pgtable_s2sl0(const struct pgtable *pt)
{
	if (pt->granule_shift == 12)
		return (uint8_t)(2 - pt->start_level); /* L2=0, L1=1, L0=2 */
	return (uint8_t)(3 - pt->start_level);         /* L3=0, L2=1, L1=2 */
}

uint8_t pgtable_tg0(const struct pgtable *pt)
{
	return pt->granule_shift == 12 ? 0 : pt->granule_shift == 16 ? 1 : 2;
}

static void walk_level(struct pgtable *pt, uint64_t table, int level,
		       uint64_t base, uint64_t lo, uint64_t hi,
		       pgtable_leaf_fn fn, void *ctx)
{
	unsigned shift = level_shift(pt, level);
	uint64_t first = index_of(pt, lo, level);
	uint64_t last = index_of(pt, hi, level);

	for (uint64_t i = first; i <= last; i++) {
		uint64_t slot = table + i * 8, d;
		uint64_t ia = base + (i << shift);

		pmem_read64(pt->mem, slot, &d, NULL);
		if (!rget(d, D_VALID))
			continue;
		if (level < 3 && rget(d, D_TABLE)) {
			uint64_t end = ia + bits_mask(shift);

			walk_level(pt, d & oa_mask(pt), level + 1, ia,
				   lo > ia ? lo : ia, hi < end ? hi : end, fn,
				   ctx);
			continue;
		}
		fn(ctx, ia, slot, d);
	}
}

void pgtable_walk_leaves(struct pgtable *pt, uint64_t ia, uint64_t size,
			 pgtable_leaf_fn fn, void *ctx)
{
	uint64_t limit = bits_mask(pt->ia_bits);
	uint64_t hi = ia + size - 1;

	if (!pt->root || !size || ia > limit)
		return;
	if (hi < ia || hi > limit)
		hi = limit;
	walk_level(pt, pt->root, pt->start_level, 0, ia, hi, fn, ctx);
}

unsigned pgtable_leaf_flags(const struct pgtable *pt, uint64_t desc)
{
	unsigned f = 0;

	if (!rget(desc, D_AF))
		f |= PT_NOAF;
	if (rget(desc, D_DBM))
		f |= PT_DBM;
	if (pt->stage == 1) {
		unsigned ap = (unsigned)rget(desc, D_AP);

		f |= PT_R;
		if (!(ap & 2))
			f |= PT_W;
		if (ap & 1)
			f |= PT_USER;
		if (rget(desc, D_NG))
			f |= PT_NG;
		if ((ap & 1) ? !rget(desc, D_UXN) : !rget(desc, D_PXN))
			f |= PT_X;
		if (rget(desc, D_ATTRINDX) == 1)
			f |= PT_DEVICE;
	} else {
		unsigned s2ap = (unsigned)rget(desc, D_AP);

		if (s2ap & 1)
			f |= PT_R;
		if (s2ap & 2)
			f |= PT_W;
		if (!rget(desc, D_UXN))
			f |= PT_X;
		if (rget(desc, D_S2_MEMATTR) == 0x1)
			f |= PT_DEVICE;
	}
	return f;
}
