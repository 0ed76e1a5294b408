/* SPDX-License-Identifier: MIT */
/*
 * The TLB: cached leaf translations (IHI 0070 §3.17 tagging, §4.4 TLB
 * invalidation; facts §3.4, §5.3).
 *
 * Tagging (§3.17). An entry is tagged with the StreamWorld it was made
 * in, the stages that translated (stage 1, stage 2 or both), the VMID,
 * the ASID, its aligned input address and its size. The tag is made
 * canonical on insert and lookup so that it carries only what the
 * StreamWorld architecturally tags:
 *   - ASID only in worlds that have ASIDs (NS-EL1, NS-EL2-E2H, Secure)
 *     and only for entries stage 1 made; any-EL2 and EL3 ignore the CD's
 *     ASID, so every CD of such a world shares its entries (§3.17);
 *   - VMID only in NS-EL1 and Secure, and only when stage 2 is
 *     implemented (IDR0.S2P); otherwise the VMID is 0.
 * A global entry (nG = 0) matches a lookup with any ASID of the same
 * world, VMID and stages (§3.17.1). CD.ASET is not modelled.
 *
 * Structure. Set-associative, impl.tlb.sets x impl.tlb.ways, with LRU,
 * FIFO (insertion order) or RANDOM (sim_rand_below) replacement; sets or
 * ways of 0 disable caching. An invalid way is always used before a
 * victim is chosen. Inserting a translation that a lookup would already
 * hit (same tag, or a global entry of the same world/VMID/stages, same
 * address and size) overwrites that way and counts as a new insertion
 * for LRU and FIFO, so repeated walks of one translation do not pile up
 * copies. (Entries of different sizes may still overlap after a table
 * change without invalidation; lookup then returns the smallest.) An entry lives in the set chosen by a hash
 * of (input address >> size, size, VMID, world) -- not the ASID, so that
 * a global entry is found from any ASID, and only address bits [55:0]
 * so that stage-1 entries made with a tagged (TBI) address share a set
 * with the untagged address. A lookup cannot know the size of the entry
 * that maps its address, so it probes once per distinct entry size
 * present: the TLB keeps a count of valid entries per size and a 64-bit
 * bitmap of the sizes with a non-zero count, and lookup walks that
 * bitmap from the smallest size up. With the usual mix (4K pages and 2M
 * blocks) that is two probes of `ways` entries each, with no allocation.
 * The per-way tag words sit in a compact array (`tagv`) separate from
 * the cached results, so a probe touches one or two cache lines.
 *
 * Invalidation (facts §5.3). Every TLBI scope is an exact predicate
 * over an entry (inval_hits()). Scopes with no address scan the whole
 * TLB. Address scopes probe the sets of each (size, page) the range can
 * hold when that is fewer than the number of sets, and otherwise scan
 * everything; either way the result is the same, only the number of
 * entries scanned (the return value, charged per entry by the command
 * queue) differs. Choices where the architecture allows a range:
 *   - Leaf, TTL and TG are hints that only narrow what must be removed;
 *     every entry here is a leaf and the hints are ignored, so an
 *     address invalidation removes every matching entry of any level and
 *     granule (over-invalidation is permitted, §4.4).
 *   - CMD_TLBI_S2_IPA removes stage-2-only entries only; combined
 *     stage 1 + stage 2 entries are tagged by VA, and §4.4.3.1 lets the
 *     command leave them (software pairs it with NH_ALL / NH_VAA or uses
 *     S12_VMALL).
 *   - CMD_TLBI_NH_* remove stage-1 entries (stage 1 only and combined),
 *     not stage-2-only entries (§4.4.2.1: "all stage 1 NS-EL1 entries").
 *   - CMD_TLBI_EL2_VA with E2H (use_asid) removes NS-EL2-E2H entries of
 *     the ASID or global, and also NS-EL2 entries by VA (not required,
 *     §4.4.2.7); without E2H, both EL2 worlds by VA whatever the ASID.
 *     CMD_TLBI_EL2_ASID removes non-global NS-EL2-E2H entries of the
 *     ASID (any ASID when the queue gave none).
 *   - Stage-1 addresses are compared with bits [63:56] replaced by the
 *     sign extension of bit 55, as with TBI the top byte is not part of
 *     the translation; stage-2 (IPA) addresses are compared as given.
 *   - A range whose end overflows 64 bits is clamped at the top of the
 *     address space; size 0 means the one entry (of any size) holding
 *     the address.
 */
#include "smmu/smmu_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * The packed tag word of one way. Lookup compares it in one operation:
 * ((way.key ^ want) & way.amask) == 0, where amask drops the ASID for
 * global entries.
 */
#define TLBK_ASID	RFLD(15, 0)
#define TLBK_VMID	RFLD(31, 16)
#define TLBK_WORLD	RFLD(34, 32)
#define TLBK_S1		RFLD(35, 35)
#define TLBK_S2		RFLD(36, 36)
#define TLBK_SIZE	RFLD(42, 37)	/* log2 of the entry size */
#define TLBK_VALID	RFLD(43, 43)

/* Input addresses: bits [55:0] select the set; bit 55 extends for VAs. */
#define TLB_VA_TOP	55u
#define TLB_SIZE_BITS	64u

/* Fibonacci hashing multiplier (2^64 / golden ratio) */
#define TLB_HASH_MUL	UINT64_C(0x9E3779B97F4A7C15)

struct tlb_way {
	uint64_t ia;     /* aligned input address */
	uint64_t key;    /* TLBK_* fields; 0 = invalid */
	uint64_t amask;  /* bits of key compared on lookup; all when invalid */
	uint64_t stamp;  /* LRU: last use; FIFO: insertion */
};

struct smmu_tlb {
	uint32_t sets, ways;
	enum smmu_repl_policy policy;
	uint64_t clock;
	uint64_t fills;                   /* entries filled so far */
	uint64_t sizes;                   /* bit s: some entry of size 2^s */
	uint32_t count[TLB_SIZE_BITS];    /* valid entries per size */
	struct tlb_way *tagv;             /* sets * ways, way-major per set */
	struct tlb_entry *ent;            /* the cached results, same index */
};

struct smmu_tlb *tlb_create(struct smmu *smmu)
{
	struct smmu_tlb *t = calloc(1, sizeof(*t));
	size_t n;

	if (!t)
		return NULL;
	t->sets = smmu->impl.tlb.sets;
	t->ways = smmu->impl.tlb.ways;
	t->policy = smmu->impl.tlb.policy;
	if (!t->sets || !t->ways) {
		t->sets = t->ways = 0;
		return t;
	}
	n = (size_t)t->sets * t->ways;
	t->tagv = calloc(n, sizeof(*t->tagv));
	t->ent = calloc(n, sizeof(*t->ent));
	if (!t->tagv || !t->ent) {
		free(t->tagv);
		free(t->ent);
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		t->tagv[i].amask = ~UINT64_C(0);
	return t;
}

void tlb_destroy(struct smmu_tlb *t)
{
	if (!t)
		return;
	free(t->tagv);
	free(t->ent);
	free(t);
}

/* --- tags ----------------------------------------------------------- */

/* §3.17 table: which worlds tag ASIDs and VMIDs. */
static bool world_has_asid(unsigned world)
{
	return world == WORLD_NS_EL1 || world == WORLD_NS_EL2_E2H ||
	       world == WORLD_SECURE;
}

static bool world_has_vmid(unsigned world)
{
	return world == WORLD_NS_EL1 || world == WORLD_SECURE;
}

/* The tag as the TLB stores it: only what the world tags (see top). */
static struct tlb_tag tag_canon(const struct smmu *smmu,
				const struct tlb_tag *in)
{
	struct tlb_tag t = *in;

	if (!t.s1 || !world_has_asid(t.world))
		t.asid = 0;
	if (!smmu->impl.s2p || !world_has_vmid(t.world))
		t.vmid = 0;
	return t;
}

static uint64_t tag_key(const struct tlb_tag *t, unsigned size_shift)
{
	uint64_t k = 0;

	k = rset(k, TLBK_ASID, t->asid);
	k = rset(k, TLBK_VMID, t->vmid);
	k = rset(k, TLBK_WORLD, t->world);
	k = rset(k, TLBK_S1, t->s1);
	k = rset(k, TLBK_S2, t->s2);
	k = rset(k, TLBK_SIZE, size_shift);
	return rset(k, TLBK_VALID, 1);
}

/* Global entries match any ASID (§3.17.1). */
static uint64_t key_amask(bool global)
{
	return global ? ~rmask(TLBK_ASID) : ~UINT64_C(0);
}

/* Set of an aligned address of one size under (VMID, world). */
static uint32_t set_of(const struct smmu_tlb *t, uint64_t ia_al,
		       unsigned size_shift, uint64_t key)
{
	uint64_t h = (ia_al & bits_mask(TLB_VA_TOP + 1)) >> size_shift;

	h ^= (uint64_t)size_shift << 58;
	h ^= (key & (rmask(TLBK_VMID) | rmask(TLBK_WORLD))) << 24;
	h *= TLB_HASH_MUL;
	/* multiply-shift range reduction: any number of sets */
	return (uint32_t)(((h >> 32) * t->sets) >> 32);
}

static void size_add(struct smmu_tlb *t, unsigned s)
{
	if (t->count[s]++ == 0)
		t->sizes |= UINT64_C(1) << s;
}

static void size_del(struct smmu_tlb *t, unsigned s)
{
	if (--t->count[s] == 0)
		t->sizes &= ~(UINT64_C(1) << s);
}

static void way_kill(struct smmu_tlb *t, size_t i)
{
	size_del(t, (unsigned)rget(t->tagv[i].key, TLBK_SIZE));
	memset(&t->tagv[i], 0, sizeof(t->tagv[i]));
	/* compares TLBK_VALID: an invalid way never matches */
	t->tagv[i].amask = ~UINT64_C(0);
}

/* --- lookup and insert ---------------------------------------------- */

/*
 * Probe every entry size present for an entry that translates ia under
 * tag, skipping `skip`; the index of the first found, or -1.
 */
static ptrdiff_t tlb_probe(struct smmu *smmu, const struct tlb_tag *tag,
			   uint64_t ia, const struct tlb_entry *skip)
{
	struct smmu_tlb *t = smmu->tlb;
	struct tlb_tag ct;
	uint64_t base, sizes;

	if (!t || !t->sets)
		return -1;
	ct = tag_canon(smmu, tag);
	base = tag_key(&ct, 0);
	sizes = t->sizes;
	while (sizes) {
		unsigned s = (unsigned)__builtin_ctzll(sizes);
		uint64_t ia_al = ia & ~bits_mask(s);
		uint64_t want = rset(base, TLBK_SIZE, s);
		size_t i = (size_t)set_of(t, ia_al, s, want) * t->ways;
		size_t end = i + t->ways;

		sizes &= sizes - 1;
		for (; i < end; i++) {
			const struct tlb_way *w = &t->tagv[i];

			if (w->ia == ia_al && !((w->key ^ want) & w->amask) &&
			    &t->ent[i] != skip)
				return (ptrdiff_t)i;
		}
	}
	return -1;
}

const struct tlb_entry *tlb_lookup_ref(struct smmu *smmu,
				       const struct tlb_tag *tag, uint64_t ia)
{
	struct smmu_tlb *t = smmu->tlb;
	ptrdiff_t i = tlb_probe(smmu, tag, ia, NULL);

	if (i < 0)
		return NULL;
	if (t->policy == SMMU_REPL_LRU)
		t->tagv[i].stamp = ++t->clock;
	return &t->ent[i];
}

/*
 * §3.21.1: a TLB multi-match. Software that changes a mapping's size
 * (block <-> table of pages) without break-before-make can leave two
 * entries of different sizes that both translate `ia` in the same
 * context. Returns true if an entry other than `hit` matches.
 */
bool tlb_conflict(struct smmu *smmu, const struct tlb_tag *tag, uint64_t ia,
		  const struct tlb_entry *hit)
{
	const struct smmu_tlb *t = smmu->tlb;

	if (!t || !(t->sizes & (t->sizes - 1)))
		return false; /* one entry size present: no multi-match */
	return tlb_probe(smmu, tag, ia, hit) >= 0;
}

void tlb_touch(struct smmu *smmu, const struct tlb_entry *e)
{
	struct smmu_tlb *t = smmu->tlb;

	if (t->policy == SMMU_REPL_LRU)
		t->tagv[e - t->ent].stamp = ++t->clock;
}

size_t tlb_index(const struct smmu *smmu, const struct tlb_entry *e)
{
	return (size_t)(e - smmu->tlb->ent);
}

void tlb_touch_index(struct smmu *smmu, size_t i)
{
	struct smmu_tlb *t = smmu->tlb;

	if (t->policy == SMMU_REPL_LRU)
		t->tagv[i].stamp = ++t->clock;
}

bool tlb_active(const struct smmu *smmu)
{
	const struct smmu_tlb *t = smmu->tlb;

	return t && t->sets;
}

bool tlb_lookup(struct smmu *smmu, const struct tlb_tag *tag, uint64_t ia,
		struct tlb_entry *out)
{
	const struct tlb_entry *e = tlb_lookup_ref(smmu, tag, ia);

	if (e)
		*out = *e;
	return e != NULL;
}

static size_t victim(struct smmu *smmu, struct smmu_tlb *t, size_t first)
{
	size_t best = first;

	for (size_t i = first; i < first + t->ways; i++) {
		if (!t->tagv[i].key)
			return i;
		if (t->tagv[i].stamp < t->tagv[best].stamp)
			best = i;
	}
	if (t->policy == SMMU_REPL_RANDOM)
		return first + (size_t)sim_rand_below(smmu->sim, t->ways);
	return best;
}

void tlb_insert(struct smmu *smmu, const struct tlb_entry *e)
{
	struct smmu_tlb *t = smmu->tlb;
	struct tlb_tag ct;
	uint64_t key, ia_al;
	size_t first, i;
	unsigned s;

	if (!t || !t->sets || !e || e->size_shift >= TLB_SIZE_BITS)
		return;
	smmu->cache_epoch++;
	s = e->size_shift;
	ct = tag_canon(smmu, &e->tag);
	key = tag_key(&ct, s);
	ia_al = e->ia & ~bits_mask(s);
	first = (size_t)set_of(t, ia_al, s, key) * t->ways;

	/* An entry this one's lookups would hit is replaced in place. */
	for (i = first; i < first + t->ways; i++) {
		const struct tlb_way *w = &t->tagv[i];

		if (w->key && w->ia == ia_al && !((w->key ^ key) & w->amask))
			break;
	}
	if (i == first + t->ways)
		i = victim(smmu, t, first);
	if (t->tagv[i].key)
		way_kill(t, i);

	t->tagv[i].ia = ia_al;
	t->tagv[i].key = key;
	t->tagv[i].amask = key_amask(e->global);
	t->tagv[i].stamp = ++t->clock;
	t->ent[i] = *e;
	t->ent[i].tag = ct;
	t->ent[i].ia = ia_al;
	t->ent[i].fill = ++t->fills;
	size_add(t, s);
}

/* --- invalidation (facts §5.3, spec §4.4) --------------------------- */

/* Bits [63:56] of a VA as the sign extension of bit 55 (TBI). */
static uint64_t va_norm(uint64_t va)
{
	return (va & (UINT64_C(1) << TLB_VA_TOP)) ?
		       va | ~bits_mask(TLB_VA_TOP + 1) :
		       va & bits_mask(TLB_VA_TOP + 1);
}

/* The request's inclusive address range, normalised as the entries. */
struct inv_range {
	uint64_t first, last;
};

static struct inv_range req_range(const struct inval_req *r)
{
	struct inv_range g;

	g.first = r->kind == INV_S2_IPA ? r->addr : va_norm(r->addr);
	g.last = g.first;
	if (r->size) {
		g.last = g.first + (r->size - 1);
		if (g.last < g.first)
			g.last = UINT64_MAX;
	}
	return g;
}

static bool range_hits(const struct smmu_tlb *t, size_t i,
		       const struct inv_range *g, bool va)
{
	unsigned s = (unsigned)rget(t->tagv[i].key, TLBK_SIZE);
	uint64_t base = va ? va_norm(t->tagv[i].ia) : t->tagv[i].ia;

	return base <= g->last && g->first <= base + bits_mask(s);
}

static bool is_el2(unsigned world)
{
	return world == WORLD_NS_EL2 || world == WORLD_NS_EL2_E2H;
}

/* Does the command `r` cover entry i? */
static bool inval_hits(const struct smmu *smmu, const struct smmu_tlb *t,
		       size_t i, const struct inval_req *r,
		       const struct inv_range *g)
{
	uint64_t k = t->tagv[i].key;
	unsigned world = (unsigned)rget(k, TLBK_WORLD);
	bool s1 = rget(k, TLBK_S1), s2 = rget(k, TLBK_S2);
	bool global = t->tagv[i].amask != ~UINT64_C(0);
	bool asid_eq = rget(k, TLBK_ASID) == r->asid;
	/* §4.4.2: VMID matched only when stage 2 is implemented */
	bool vmid_eq = !smmu->impl.s2p || rget(k, TLBK_VMID) == r->vmid;
	bool nh = world == WORLD_NS_EL1 && s1 && vmid_eq;

	switch (r->kind) {
	case INV_NH_ALL:	/* VMALLE1: global too */
		return nh;
	case INV_NH_ASID:	/* ASIDE1: non-global only */
		return nh && !global && asid_eq;
	case INV_NH_VA:		/* VAE1: ASID, plus global entries */
		return nh && (global || asid_eq) && range_hits(t, i, g, true);
	case INV_NH_VAA:	/* VAAE1: any ASID */
		return nh && range_hits(t, i, g, true);
	case INV_EL2_ALL:	/* ALLE2: with or without ASIDs */
		return is_el2(world);
	case INV_EL2_ASID:	/* ASIDE2 (E2H): non-global by ASID */
		return world == WORLD_NS_EL2_E2H && !global &&
		       (!r->use_asid || asid_eq);
	case INV_EL2_VA:	/* VAE2: ASID only with E2H */
		return is_el2(world) &&
		       (!r->use_asid || world == WORLD_NS_EL2 || global ||
			asid_eq) &&
		       range_hits(t, i, g, true);
	case INV_EL2_VAA:	/* VAAE2 */
		return is_el2(world) && range_hits(t, i, g, true);
	case INV_S12_VMALL:	/* VMALLS12E1: every stage */
		return world == WORLD_NS_EL1 && vmid_eq;
	case INV_S2_IPA:	/* IPAS2E1: stage-2-only entries */
		return world == WORLD_NS_EL1 && !s1 && s2 && vmid_eq &&
		       range_hits(t, i, g, false);
	case INV_NSNH_ALL:	/* ALLE1: NS, not EL2 */
		return world == WORLD_NS_EL1;
	case INV_EL3_ALL:
		return world == WORLD_EL3;
	case INV_EL3_VA:
		return world == WORLD_EL3 && range_hits(t, i, g, true);
	case INV_ALL:
		return true;
	}
	return true;		/* unknown scope: over-invalidate */
}

static bool kind_has_range(enum inval_kind k)
{
	return k == INV_NH_VA || k == INV_NH_VAA || k == INV_EL2_VA ||
	       k == INV_EL2_VAA || k == INV_EL3_VA || k == INV_S2_IPA;
}

/* The (world, VMID) part of the set hash for an address scope. */
static unsigned range_keys(const struct smmu *smmu, const struct inval_req *r,
			   uint64_t keys[2])
{
	struct tlb_tag tg = { .world = WORLD_NS_EL1, .vmid = r->vmid };

	switch (r->kind) {
	case INV_EL2_VA:
	case INV_EL2_VAA:
		tg.vmid = 0;	/* EL2 worlds carry no VMID */
		tg.world = WORLD_NS_EL2;
		keys[0] = tag_key(&tg, 0);
		tg.world = WORLD_NS_EL2_E2H;
		keys[1] = tag_key(&tg, 0);
		return 2;
	case INV_EL3_VA:
		tg.world = WORLD_EL3;
		break;
	default:
		break;
	}
	tg = tag_canon(smmu, &tg);
	keys[0] = tag_key(&tg, 0);
	return 1;
}

/* Whether probing the sets an address scope can hit is cheaper than
 * scanning the whole TLB (fewer probes than sets). */
static bool probing_pays(const struct smmu_tlb *t, const struct inv_range *g,
			 unsigned nkeys)
{
	uint64_t sizes = t->sizes, n = 0;

	while (sizes) {
		unsigned s = (unsigned)__builtin_ctzll(sizes);
		uint64_t pages = (g->last >> s) - (g->first >> s);

		sizes &= sizes - 1;
		if (pages >= t->sets)
			return false;
		n += (pages + 1) * nkeys;
		if (n >= t->sets)
			return false;
	}
	return true;
}

static void inval_set(struct smmu *smmu, struct smmu_tlb *t, size_t first,
		      const struct inval_req *r, const struct inv_range *g)
{
	for (size_t i = first; i < first + t->ways; i++)
		if (t->tagv[i].key && inval_hits(smmu, t, i, r, g))
			way_kill(t, i);
}

/* Apply an address scope to the sets one page of one size can be in. */
static uint64_t inval_page(struct smmu *smmu, struct smmu_tlb *t,
			   const struct inval_req *r,
			   const struct inv_range *g, uint64_t page,
			   unsigned s, const uint64_t *keys, unsigned nkeys)
{
	for (unsigned k = 0; k < nkeys; k++)
		inval_set(smmu, t, (size_t)set_of(t, page, s, keys[k]) *
					   t->ways, r, g);
	return (uint64_t)nkeys * t->ways;
}

uint64_t tlb_invalidate(struct smmu *smmu, const struct inval_req *req)
{
	struct smmu_tlb *t = smmu->tlb;
	struct inv_range g = { 0, UINT64_MAX };
	uint64_t keys[2], scanned = 0;
	unsigned nkeys;

	if (!t || !t->sets || !req)
		return 0;
	smmu->cache_epoch++;
	if (kind_has_range(req->kind)) {
		g = req_range(req);
		nkeys = range_keys(smmu, req, keys);
		if (probing_pays(t, &g, nkeys)) {
			uint64_t sizes = t->sizes;

			while (sizes) {
				unsigned s = (unsigned)__builtin_ctzll(sizes);
				uint64_t p = g.first >> s;
				uint64_t n = (g.last >> s) - p;

				sizes &= sizes - 1;
				for (uint64_t j = 0; j <= n; j++)
					scanned += inval_page(smmu, t, req, &g,
							      (p + j) << s, s,
							      keys, nkeys);
			}
			return scanned;
		}
	}
	for (uint32_t set = 0; set < t->sets; set++)
		inval_set(smmu, t, (size_t)set * t->ways, req, &g);
	return (uint64_t)t->sets * t->ways;
}

/* --- invariant checks (invariants.c) -------------------------------- */

uint64_t tlb_fills(const struct smmu *smmu)
{
	return smmu->tlb ? smmu->tlb->fills : 0;
}

uint64_t tlb_count_covered(const struct smmu *smmu,
			   const struct inval_req *req, uint64_t upto)
{
	const struct smmu_tlb *t = smmu->tlb;
	struct inv_range g = { 0, UINT64_MAX };
	uint64_t n = 0;

	if (!t || !t->sets)
		return 0;
	if (kind_has_range(req->kind))
		g = req_range(req);
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
		if (t->tagv[i].key && t->ent[i].fill <= upto &&
		    inval_hits(smmu, t, i, req, &g))
			n++;
	return n;
}
