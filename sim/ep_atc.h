/* SPDX-License-Identifier: MIT */
/*
 * The endpoint's Address Translation Cache (PCIe ATS): a fixed number of
 * slots holding Translation Completions, keyed by (PASID or none,
 * Privileged, untranslated range), with LRU or FIFO replacement. Used by
 * sim/pcie_ep.c.
 */
#ifndef SMMUSIM_SIM_EP_ATC_H
#define SMMUSIM_SIM_EP_ATC_H

#include <stdbool.h>
#include <stdint.h>

#include "smmusim/pcie_ep.h"

struct ep_atc_slot {
	bool valid;
	uint64_t stamp;  /* fill order (FIFO) or last use (LRU) */
	uint64_t fill;   /* its fill number (a->fills when filled) */
	struct pcie_ep_atc_entry e;
};

struct ep_atc {
	struct ep_atc_slot *slot;
	unsigned n;
	enum pcie_ep_atc_policy policy;
	uint64_t clock;  /* source of stamps */
	uint64_t fills, evictions;
};

bool ep_atc_init(struct ep_atc *a, unsigned entries,
		 enum pcie_ep_atc_policy policy);
void ep_atc_fini(struct ep_atc *a);
void ep_atc_clear(struct ep_atc *a);
unsigned ep_atc_count(const struct ep_atc *a);
/* The slot translating addr for the key, or NULL. No LRU update. */
struct ep_atc_slot *ep_atc_lookup(const struct ep_atc *a, bool pasid_valid,
				  uint32_t pasid, bool priv, uint64_t addr);
/* A hit is used: refresh its LRU stamp. */
void ep_atc_touch(struct ep_atc *a, struct ep_atc_slot *s);
/* Insert, replacing entries of the same key that overlap it; else an
 * empty slot, else the policy's victim. No-op with 0 slots. */
void ep_atc_fill(struct ep_atc *a, const struct pcie_ep_atc_entry *e);
/*
 * Whether an Invalidate Request covers a translation of
 * [va, va + 2^size_shift) obtained with (pasid_valid, pasid):
 *   no PASID on the request     entries obtained without a PASID;
 *   PASID, Global Invalidate=0  entries of that PASID;
 *   PASID, Global Invalidate=1  entries of every PASID (only if the
 *                               function supports Global Invalidate,
 *                               else as with G=0).
 * A span below 4 KiB is rounded up to 4 KiB (PCIe allows it); 64 and
 * above is everything.
 */
bool ep_atc_inv_covers(const struct smmu_atc_inv *req, bool global_supported,
		       bool pasid_valid, uint32_t pasid, uint64_t va,
		       uint8_t size_shift);
/* Remove every covered entry; returns how many. */
unsigned ep_atc_invalidate(struct ep_atc *a, const struct smmu_atc_inv *req,
			   bool global_supported);
/* Entries filled at or before fill number `upto` that `req` covers (an
 * invariant check: after the invalidation, there must be none). */
unsigned ep_atc_count_covered(const struct ep_atc *a,
			      const struct smmu_atc_inv *req,
			      bool global_supported, uint64_t upto);

#endif
