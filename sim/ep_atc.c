/* SPDX-License-Identifier: MIT */
/*
 * Endpoint ATC (PCIe ATS): the cache of Translation Completions and the
 * coverage rules of ATS Invalidate Requests (SMMU §4.5.1; facts §8.5).
 */
#include "sim/ep_atc.h"

#include <stdlib.h>

/* Last byte of [base, base + 2^shift), saturating at the top. */
static uint64_t range_last(uint64_t base, unsigned shift)
{
	uint64_t size_m1 = shift >= 64 ? UINT64_MAX
				       : (UINT64_C(1) << shift) - 1;

	return base > UINT64_MAX - size_m1 ? UINT64_MAX : base + size_m1;
}

static uint64_t align_down(uint64_t addr, unsigned shift)
{
	return shift >= 64 ? 0 : addr & ~((UINT64_C(1) << shift) - 1);
}

bool ep_atc_init(struct ep_atc *a, unsigned entries,
		 enum pcie_ep_atc_policy policy)
{
	a->n = entries;
	a->policy = policy;
	a->clock = 0;
	a->fills = a->evictions = 0;
	a->slot = NULL;
	if (!entries)
		return true;
	a->slot = calloc(entries, sizeof(*a->slot));
	return a->slot != NULL;
}

void ep_atc_fini(struct ep_atc *a)
{
	free(a->slot);
	a->slot = NULL;
	a->n = 0;
}

void ep_atc_clear(struct ep_atc *a)
{
	for (unsigned i = 0; i < a->n; i++)
		a->slot[i].valid = false;
}

unsigned ep_atc_count(const struct ep_atc *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n; i++)
		n += a->slot[i].valid;
	return n;
}

static bool same_key(const struct pcie_ep_atc_entry *e, bool pasid_valid,
		     uint32_t pasid, bool priv)
{
	if (e->pasid_valid != pasid_valid || e->priv != priv)
		return false;
	return !pasid_valid || e->pasid == pasid;
}

struct ep_atc_slot *ep_atc_lookup(const struct ep_atc *a, bool pasid_valid,
				  uint32_t pasid, bool priv, uint64_t addr)
{
	for (unsigned i = 0; i < a->n; i++) {
		struct ep_atc_slot *s = &a->slot[i];

		if (!s->valid || !same_key(&s->e, pasid_valid, pasid, priv))
			continue;
		if (addr >= s->e.va &&
		    addr <= range_last(s->e.va, s->e.size_shift))
			return s;
	}
	return NULL;
}

void ep_atc_touch(struct ep_atc *a, struct ep_atc_slot *s)
{
	if (a->policy == PCIE_EP_ATC_LRU)
		s->stamp = ++a->clock;
}

void ep_atc_fill(struct ep_atc *a, const struct pcie_ep_atc_entry *e)
{
	struct ep_atc_slot *dst = NULL;
	uint64_t last = range_last(e->va, e->size_shift);

	if (!a->n)
		return;
	/* A new completion supersedes what the cache held for its range. */
	for (unsigned i = 0; i < a->n; i++) {
		struct ep_atc_slot *s = &a->slot[i];

		if (!s->valid ||
		    !same_key(&s->e, e->pasid_valid, e->pasid, e->priv))
			continue;
		if (s->e.va <= last &&
		    e->va <= range_last(s->e.va, s->e.size_shift)) {
			s->valid = false;
			if (!dst)
				dst = s;
		}
	}
	for (unsigned i = 0; !dst && i < a->n; i++)
		if (!a->slot[i].valid)
			dst = &a->slot[i];
	if (!dst) {
		/* Full: the smallest stamp is the oldest fill (FIFO) or
		 * the least recently used (LRU). */
		dst = &a->slot[0];
		for (unsigned i = 1; i < a->n; i++)
			if (a->slot[i].stamp < dst->stamp)
				dst = &a->slot[i];
		a->evictions++;
	}
	dst->valid = true;
	dst->e = *e;
	dst->stamp = ++a->clock;
	dst->fill = ++a->fills;
}

bool ep_atc_inv_covers(const struct smmu_atc_inv *req, bool global_supported,
		       bool pasid_valid, uint32_t pasid, uint64_t va,
		       uint8_t size_shift)
{
	unsigned span = req->span_log2 < 12 ? 12 : req->span_log2;
	uint64_t base = align_down(req->addr, span);

	if (!req->ssv) {
		if (pasid_valid)
			return false;
	} else {
		if (!pasid_valid)
			return false;
		if (!(req->global && global_supported) && pasid != req->ssid)
			return false;
	}
	return va <= range_last(base, span) &&
	       base <= range_last(va, size_shift);
}

unsigned ep_atc_count_covered(const struct ep_atc *a,
			      const struct smmu_atc_inv *req,
			      bool global_supported, uint64_t upto)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n; i++) {
		const struct ep_atc_slot *s = &a->slot[i];

		if (s->valid && s->fill <= upto &&
		    ep_atc_inv_covers(req, global_supported,
				      s->e.pasid_valid, s->e.pasid, s->e.va,
				      s->e.size_shift))
			n++;
	}
	return n;
}

unsigned ep_atc_invalidate(struct ep_atc *a, const struct smmu_atc_inv *req,
			   bool global_supported)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n; i++) {
		struct ep_atc_slot *s = &a->slot[i];

		if (s->valid &&
		    ep_atc_inv_covers(req, global_supported,
				      s->e.pasid_valid, s->e.pasid, s->e.va,
				      s->e.size_shift)) {
			s->valid = false;
			n++;
		}
	}
	return n;
}
