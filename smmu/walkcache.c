/* SPDX-License-Identifier: MIT */
/*
 * The walk cache: table (non-leaf) descriptors, per level, so that a later
 * walk for a nearby address starts below the root (IHI 0070 §3.4, §3.17;
 * Arm ARM "translation table walk caches").
 *
 * An entry is tagged with everything the walk was made under (stage, VMID,
 * ASID, TTB, granule, TxSZ, start level) and the level of the descriptor,
 * and covers the aligned input-address span that descriptor translates.
 * Only descriptors that were valid tables with an in-range next-level
 * address are inserted, so faulting descriptors are never cached (facts
 * §9.11).
 *
 * Set-associative, geometry impl.walkcache (sets * ways == 0 disables it),
 * LRU / FIFO / RANDOM replacement. Statistics: one hit or one miss per
 * lookup (one lookup per stage walk); latency per level probed.
 */
#include "smmu/walkcache.h"

#include <stdlib.h>

struct wc_entry {
	bool valid;
	struct wc_key key;
	int8_t level;
	uint8_t span_shift;
	uint64_t base;         /* IA aligned to 1 << span_shift */
	struct wc_val val;
	uint64_t stamp;        /* LRU: last use, FIFO: insertion */
};

struct smmu_walkcache {
	uint32_t sets, ways;
	enum smmu_repl_policy policy;
	uint64_t clock;
	struct wc_entry *e;    /* sets * ways */
};

struct smmu_walkcache *walkcache_create(struct smmu *smmu)
{
	struct smmu_walkcache *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->sets = smmu->impl.walkcache.sets;
	w->ways = smmu->impl.walkcache.ways;
	w->policy = smmu->impl.walkcache.policy;
	if (!w->sets || !w->ways) {
		w->sets = w->ways = 0;
		return w;
	}
	w->e = calloc((size_t)w->sets * w->ways, sizeof(*w->e));
	if (!w->e) {
		free(w);
		return NULL;
	}
	return w;
}

void walkcache_destroy(struct smmu_walkcache *w)
{
	if (!w)
		return;
	free(w->e);
	free(w);
}

static bool key_eq(const struct wc_key *a, const struct wc_key *b)
{
	return a->stage == b->stage && a->vmid_valid == b->vmid_valid &&
	       a->vmid == b->vmid && a->asid == b->asid && a->ttb == b->ttb &&
	       a->granule_shift == b->granule_shift && a->tsz == b->tsz &&
	       a->start_level == b->start_level;
}

static uint32_t set_of(const struct smmu_walkcache *w, const struct wc_key *k,
		       int level, uint64_t base, uint8_t span_shift)
{
	uint64_t h = (base >> span_shift) * UINT64_C(0x9E3779B97F4A7C15);

	h ^= (k->ttb >> 12) * UINT64_C(0xC2B2AE3D27D4EB4F);
	h ^= ((uint64_t)k->asid << 16 | k->vmid) * UINT64_C(0x165667B19E3779F9);
	h ^= (uint64_t)(level + 1) << 7 | (uint64_t)k->stage << 3;
	h ^= h >> 29;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	h ^= h >> 32;
	return (uint32_t)(h % w->sets);
}

int walkcache_lookup(struct smmu *smmu, const struct wc_key *k, uint64_t ia,
		     int lo, int hi, const uint8_t shift[4],
		     struct wc_val *v, uint64_t *cycles)
{
	struct smmu_walkcache *w = smmu->walkcache;

	if (!w || !w->sets || lo < 0 || hi > 3)
		return -1;
	for (int level = hi; level >= lo; level--) {
		uint64_t base = ia & ~bits_mask(shift[level]);
		uint32_t set = set_of(w, k, level, base, shift[level]);
		struct wc_entry *s = &w->e[(size_t)set * w->ways];

		if (cycles)
			*cycles += smmu->impl.lat.walkcache_lookup;
		for (uint32_t i = 0; i < w->ways; i++) {
			struct wc_entry *e = &s[i];

			if (!e->valid || e->level != level ||
			    e->span_shift != shift[level] || e->base != base ||
			    !key_eq(&e->key, k))
				continue;
			if (w->policy == SMMU_REPL_LRU)
				e->stamp = ++w->clock;
			*v = e->val;
			smmu->stats.walkcache_hits++;
			return level;
		}
	}
	if (hi >= lo)
		smmu->stats.walkcache_misses++;
	return -1;
}

static struct wc_entry *victim(struct smmu *smmu, struct wc_entry *s)
{
	struct smmu_walkcache *w = smmu->walkcache;
	struct wc_entry *best = NULL;

	for (uint32_t i = 0; i < w->ways; i++)
		if (!s[i].valid)
			return &s[i];
	if (w->policy == SMMU_REPL_RANDOM)
		return &s[sim_rand_below(smmu->sim, w->ways)];
	for (uint32_t i = 0; i < w->ways; i++)
		if (!best || s[i].stamp < best->stamp)
			best = &s[i];
	return best;
}

void walkcache_insert(struct smmu *smmu, const struct wc_key *k, int level,
		      uint64_t ia, uint8_t span_shift, const struct wc_val *v)
{
	struct smmu_walkcache *w = smmu->walkcache;
	uint64_t base = ia & ~bits_mask(span_shift);

	if (!w || !w->sets || level < 0 || level > 3)
		return;
	uint32_t set = set_of(w, k, level, base, span_shift);
	struct wc_entry *s = &w->e[(size_t)set * w->ways];
	struct wc_entry *e = NULL;

	for (uint32_t i = 0; i < w->ways && !e; i++)
		if (s[i].valid && s[i].level == level &&
		    s[i].span_shift == span_shift && s[i].base == base &&
		    key_eq(&s[i].key, k))
			e = &s[i];
	if (!e) {
		e = victim(smmu, s);
		e->stamp = ++w->clock;
	} else if (w->policy == SMMU_REPL_LRU) {
		e->stamp = ++w->clock;
	}
	e->valid = true;
	e->key = *k;
	e->level = (int8_t)level;
	e->span_shift = span_shift;
	e->base = base;
	e->val = *v;
}

bool walkcache_active(const struct smmu *smmu)
{
	const struct smmu_walkcache *w = smmu->walkcache;

	return w && w->sets;
}

unsigned walkcache_count(const struct smmu *smmu)
{
	const struct smmu_walkcache *w = smmu->walkcache;
	unsigned n = 0;

	for (size_t i = 0; w && i < (size_t)w->sets * w->ways; i++)
		n += w->e[i].valid;
	return n;
}

/* --- invalidation (facts §5.3) -------------------------------------- */

/* Stage-1 addresses are compared with the top byte sign-extended from
 * bit 55, as the walker stores them. */
static uint64_t va_norm(uint64_t va)
{
	return (va & (UINT64_C(1) << 55)) ? va | ~bits_mask(56)
					  : va & bits_mask(56);
}

static bool range_hits(const struct wc_entry *e, uint64_t addr, uint64_t size)
{
	uint64_t last = size ? addr + (size - 1) : addr;
	uint64_t elast = e->base + (bits_mask(e->span_shift));

	if (last < addr)
		last = UINT64_MAX;
	return addr <= elast && e->base <= last;
}

/* A stage-1 entry made without stage 2 has no VMID: any VMID matches. */
static bool vmid_hits(const struct wc_entry *e, uint16_t vmid)
{
	return !e->key.vmid_valid || e->key.vmid == vmid;
}

static bool inval_hits(const struct wc_entry *e, const struct inval_req *r)
{
	bool s1 = e->key.stage == 1;

	switch (r->kind) {
	case INV_NH_ALL:
		return s1 && vmid_hits(e, r->vmid);
	case INV_NH_ASID:
		return s1 && vmid_hits(e, r->vmid) && e->key.asid == r->asid;
	case INV_NH_VA:
		return !r->leaf && s1 && vmid_hits(e, r->vmid) &&
		       e->key.asid == r->asid &&
		       range_hits(e, va_norm(r->addr), r->size);
	case INV_NH_VAA:
		return !r->leaf && s1 && vmid_hits(e, r->vmid) &&
		       range_hits(e, va_norm(r->addr), r->size);
	/*
	 * The walk cache does not know the StreamWorld of a stage-1 entry:
	 * EL2 and EL3 invalidations remove every stage-1 entry that matches
	 * otherwise (over-invalidation is always permitted).
	 */
	case INV_EL2_ALL:
	case INV_EL3_ALL:
		return s1;
	case INV_EL2_ASID:
		return s1 && e->key.asid == r->asid;
	case INV_EL2_VA:
		return !r->leaf && s1 &&
		       (!r->use_asid || e->key.asid == r->asid) &&
		       range_hits(e, va_norm(r->addr), r->size);
	case INV_EL2_VAA:
	case INV_EL3_VA:
		return !r->leaf && s1 &&
		       range_hits(e, va_norm(r->addr), r->size);
	case INV_S12_VMALL:
		return vmid_hits(e, r->vmid);
	case INV_S2_IPA:
		return !r->leaf && !s1 && e->key.vmid == r->vmid &&
		       range_hits(e, r->addr, r->size);
	case INV_NSNH_ALL:
	case INV_ALL:
		return true;
	}
	return true;
}

uint64_t walkcache_invalidate(struct smmu *smmu, const struct inval_req *req)
{
	struct smmu_walkcache *w = smmu->walkcache;
	size_t n;

	if (!w || !w->sets || !req)
		return 0;
	n = (size_t)w->sets * w->ways;
	for (size_t i = 0; i < n; i++)
		if (w->e[i].valid && inval_hits(&w->e[i], req))
			w->e[i].valid = false;
	return n;
}
