/* SPDX-License-Identifier: MIT */
/*
 * Host physical memory allocator: hands out naturally aligned blocks of
 * simulated RAM to host software (page tables, stream tables, queues,
 * DMA buffers). A simple first-fit free list over one RAM window; freed
 * blocks are zeroed so that stale table contents never leak into a
 * later allocation.
 */
#ifndef SMMUSIM_HOST_HOSTMEM_H
#define SMMUSIM_HOST_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "smmusim/mem.h"

struct hostmem;

/* Manage [base, base + size) of `mem`, which must be RAM. */
struct hostmem *hostmem_create(struct pmem *mem, uint64_t base, uint64_t size);
void hostmem_destroy(struct hostmem *hm);
struct pmem *hostmem_pmem(const struct hostmem *hm);
/* Allocate `size` bytes aligned to `align` (a power of two), zeroed.
 * Returns 0 when out of memory. */
uint64_t hostmem_alloc(struct hostmem *hm, uint64_t size, uint64_t align);
void hostmem_free(struct hostmem *hm, uint64_t pa, uint64_t size);
uint64_t hostmem_used(const struct hostmem *hm);

#endif
