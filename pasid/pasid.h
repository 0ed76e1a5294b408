/* SPDX-License-Identifier: MIT */
/*
 * The system-wide PASID space.
 *
 * One PASID names one address space for the whole system, whichever
 * devices it is bound to, so PASIDs come from a single allocator rather
 * than one per device or per SMMU. PASID 0 is reserved and never handed
 * out; the space covers at most [1, 2^20 - 1] (PCIe PASIDs and SMMU
 * SubstreamIDs are at most 20 bits, §6.3.2 SMMU_IDR1.SSIDSIZE).
 *
 * A device can use PASIDs below 2^min(device PASID width, SSIDSIZE); the
 * caller passes that limit (pasid_max_for()) to pasid_alloc(). An address
 * space that already has a PASID keeps it when bound to another device,
 * which must then be wide enough (pasid_check_width()).
 *
 * Each allocated PASID carries one private pointer (the SVA layer's bond
 * or mm for that PASID).
 *
 * Costs (N = PASIDs in the space, 2^20 at most):
 *   pasid_alloc, pasid_free: O(log64 N) word operations (4 for 2^20);
 *     the allocator is the hierarchical bitmap of host/asid.h
 *   pasid_in_use, private pointer get/set/erase: O(1)
 *   memory: 1 bit per PASID of the space plus its summaries (130 KiB for
 *     2^20), a directory of N / 512 pointers (16 KiB), and one 4 KiB
 *     block of 512 pointer slots for each group of 512 PASIDs that holds
 *     a private pointer (freed when its last pointer is erased), i.e.
 *     about 8 bytes per live PASID when PASIDs are dense, which
 *     lowest-first allocation keeps them.
 */
#ifndef SMMUSIM_PASID_PASID_H
#define SMMUSIM_PASID_PASID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASID_BITS_MAX	20u
#define PASID_MAX	((UINT32_C(1) << PASID_BITS_MAX) - 1)

struct pasid_space;

/* PASIDs [1, 2^bits - 1], bits in [1, PASID_BITS_MAX]; NULL otherwise or
 * when out of memory. */
struct pasid_space *pasid_space_create(unsigned int bits);
void pasid_space_destroy(struct pasid_space *ps);

/*
 * Largest PASID a device may use: 2^min(dev_bits, ssidsize) - 1, widths
 * above PASID_BITS_MAX counting as PASID_BITS_MAX. 0 when either width
 * is 0 (no PASIDs at all).
 */
uint32_t pasid_max_for(unsigned int dev_bits, unsigned int ssidsize);

/*
 * Allocate the lowest free PASID in [min, max] (min 0 counts as 1, max is
 * clipped to the space). Returns the PASID, or -ENOSPC when the range is
 * exhausted or empty.
 */
int pasid_alloc(struct pasid_space *ps, uint32_t min, uint32_t max);
/*
 * Release a PASID; its private pointer is dropped with it, so a later
 * allocation of the same number starts with none. Returns 0, or -EINVAL
 * (nothing changed) for PASID 0 or a PASID that is not allocated.
 */
int pasid_free(struct pasid_space *ps, uint32_t pasid);
bool pasid_in_use(const struct pasid_space *ps, uint32_t pasid);
/* PASIDs allocated now (not counting the reserved PASID 0). */
uint32_t pasid_count(const struct pasid_space *ps);

/*
 * An allocated PASID against a device's width: 0 if it is at most
 * pasid_max_for(dev_bits, ssidsize), -EOVERFLOW if not, -EINVAL if the
 * PASID is not allocated.
 */
int pasid_check_width(const struct pasid_space *ps, uint32_t pasid,
		      unsigned int dev_bits, unsigned int ssidsize);

/*
 * Private pointer of an allocated PASID. set stores `p` (NULL erases)
 * and returns 0, -EINVAL if the PASID is not allocated, -ENOMEM.
 * get returns the pointer, NULL if none or not allocated. erase removes
 * it and returns what was stored (NULL if nothing).
 */
int pasid_set_private(struct pasid_space *ps, uint32_t pasid, void *p);
void *pasid_get_private(const struct pasid_space *ps, uint32_t pasid);
void *pasid_erase_private(struct pasid_space *ps, uint32_t pasid);

/* Host bytes the PASID space occupies, private pointer blocks included. */
size_t pasid_space_mem_bytes(const struct pasid_space *ps);

#endif
