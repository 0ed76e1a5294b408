/* SPDX-License-Identifier: MIT */
/*
 * Bounded ID allocators for host software.
 *
 * An idspace hands out integer IDs in [1, max_id]; ID 0 is always
 * reserved (the SMMU driver keeps ASID 0 and VMID 0 for its own use, and
 * PASID 0 means "no PASID"). Allocation returns the lowest free ID of a
 * caller's range, so IDs are reused lowest-first after a free and the
 * sequence is a pure function of the calls made.
 *
 * Representation: a hierarchy of bitmaps. Level 0 has one bit per ID (1 =
 * in use); bit j of level k + 1 is set exactly when 64-bit word j of
 * level k is full. A search for the lowest free ID >= n looks at one word
 * per level going up and one per level coming down, so
 *   alloc, free:  O(L) word operations, L = ceil(log64(max_id + 1))
 *                 (L = 3 for 16-bit ASIDs, 4 for 20-bit PASIDs)
 *   in_use, count: O(1)
 *   memory:       about (max_id + 1) / 8 * (1 + 1/64 + ...) bytes, i.e.
 *                 8 KiB for 16-bit ASIDs, 130 KiB for 20-bit PASIDs.
 *
 * The SMMU driver owns two instances (§6.3.1 SMMU_IDR0):
 *   ASIDs: 16 bits when IDR0.ASID16 == 1, else 8 bits.
 *   VMIDs: 16 bits when IDR0.VMID16 == 1, else 8 bits.
 * pasid/ builds the system-wide PASID space on the same allocator.
 */
#ifndef SMMUSIM_HOST_ASID_H
#define SMMUSIM_HOST_ASID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest max_id an idspace accepts (IDs are returned in an int). */
#define IDSPACE_MAX_ID ((uint32_t)INT32_MAX)

#define ASID_MAX_8BIT	((uint32_t)UINT8_MAX)
#define ASID_MAX_16BIT	((uint32_t)UINT16_MAX)
#define VMID_MAX_8BIT	((uint32_t)UINT8_MAX)
#define VMID_MAX_16BIT	((uint32_t)UINT16_MAX)

struct idspace;

/* IDs [1, max_id] (max_id in [1, IDSPACE_MAX_ID]); NULL on bad max_id or
 * out of memory. */
struct idspace *idspace_create(uint32_t max_id);
void idspace_destroy(struct idspace *ids);

/*
 * Allocate the lowest free ID in [min, max] (min 0 counts as 1, max is
 * clipped to max_id). Returns the ID, or -ENOSPC if every ID of the range
 * is in use or the range is empty (min > max, min > max_id).
 */
int idspace_alloc(struct idspace *ids, uint32_t min, uint32_t max);
/*
 * Release an ID. Returns 0, or -EINVAL (nothing changed) for ID 0, an ID
 * beyond max_id or an ID that is not allocated.
 */
int idspace_free(struct idspace *ids, uint32_t id);
/* Whether `id` is allocated (false for 0 and out-of-range IDs). */
bool idspace_in_use(const struct idspace *ids, uint32_t id);
/* IDs allocated now (the reserved ID 0 is not counted). */
uint32_t idspace_count(const struct idspace *ids);
uint32_t idspace_max(const struct idspace *ids);
/* Host bytes the allocator occupies. */
size_t idspace_mem_bytes(const struct idspace *ids);

/*
 * The driver's ASID space: max ASID_MAX_16BIT when SMMU_IDR0.ASID16 is
 * set, else ASID_MAX_8BIT. ASID 0 stays reserved for the driver.
 */
struct idspace *asid_space_create(bool asid16);
/* The driver's VMID space, sized by SMMU_IDR0.VMID16; VMID 0 reserved. */
struct idspace *vmid_space_create(bool vmid16);
/* Lowest free ID of the whole space, or -ENOSPC. */
int asid_alloc(struct idspace *asids);
int vmid_alloc(struct idspace *vmids);

#endif
