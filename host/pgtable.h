/* SPDX-License-Identifier: MIT */
/*
 * AArch64 (VMSAv8-64) translation tables built in simulated memory, as a
 * CPU's OS would build them: stage 1 (a process's address space) or
 * stage 2 (a VM's IPA space). 4K, 16K and 64K granules. The SMMU model
 * walks these tables with no knowledge of this code.
 */
#ifndef SMMUSIM_HOST_PGTABLE_H
#define SMMUSIM_HOST_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "host/hostmem.h"

/* Mapping flags */
enum {
	PT_R = 1u << 0,      /* readable (always, for stage 1) */
	PT_W = 1u << 1,      /* writable */
	PT_X = 1u << 2,      /* executable */
	PT_USER = 1u << 3,   /* stage 1: accessible unprivileged (EL0) */
	PT_NG = 1u << 4,     /* stage 1: not global (ASID-tagged) */
	PT_NOAF = 1u << 5,   /* leave the access flag clear */
	PT_DBM = 1u << 6,    /* dirty bit modifier: writable-clean if !PT_W */
	PT_BLOCK = 1u << 7,  /* allow block descriptors where aligned */
	PT_DEVICE = 1u << 8, /* device memory (MAIR attr 1 / S2 Device) */
};

struct pgtable {
	struct hostmem *hm;
	struct pmem *mem;
	uint8_t stage;          /* 1 or 2 */
	uint8_t granule_shift;  /* 12, 14, 16 */
	uint8_t ia_bits;        /* input address bits: 64 - TnSZ */
	int start_level;
	uint64_t root;          /* PA of the start-level table */
	uint64_t root_size;
	uint64_t tables;        /* tables allocated, root included */
};

/* Create an empty table tree. Returns false on bad geometry or no memory. */
bool pgtable_init(struct pgtable *pt, struct hostmem *hm, uint8_t stage,
		  uint8_t granule_shift, uint8_t ia_bits);
/* Free every table. */
void pgtable_destroy(struct pgtable *pt);
/* Map [ia, ia + size) to [pa, ...). ia, pa, size granule aligned. */
bool pgtable_map(struct pgtable *pt, uint64_t ia, uint64_t pa, uint64_t size,
		 unsigned flags);
/* Make [ia, ia + size) invalid (tables are kept). */
bool pgtable_unmap(struct pgtable *pt, uint64_t ia, uint64_t size);
/* Software walk: the PA of ia, false if unmapped. Also the leaf's PA. */
bool pgtable_lookup(struct pgtable *pt, uint64_t ia, uint64_t *pa,
		    uint64_t *leaf_addr);
/* The TnSZ / S2T0SZ value for this tree, and the S2SL0 encoding. */
uint8_t pgtable_tsz(const struct pgtable *pt);
uint8_t pgtable_s2sl0(const struct pgtable *pt);
/* The TG0 / S2TG encoding of the granule (00 4K, 01 64K, 10 16K). */
uint8_t pgtable_tg0(const struct pgtable *pt);

/* Visit every valid leaf (page or block descriptor) that overlaps
 * [ia, ia + size), in ascending address order, skipping absent tables.
 * `ia` is the first address the leaf maps, `leaf_addr` its PA, `desc`
 * its value. The callback may rewrite or clear the leaf. */
typedef void (*pgtable_leaf_fn)(void *ctx, uint64_t ia, uint64_t leaf_addr,
				uint64_t desc);
void pgtable_walk_leaves(struct pgtable *pt, uint64_t ia, uint64_t size,
			 pgtable_leaf_fn fn, void *ctx);
/* The PT_* flags a valid leaf descriptor grants (the inverse of the
 * flags pgtable_map was given, PT_BLOCK aside). */
unsigned pgtable_leaf_flags(const struct pgtable *pt, uint64_t desc);

/* The MAIR value pgtable's stage-1 attribute indexes assume. */
#define PGTABLE_MAIR UINT64_C(0x04FF) /* attr0 Normal WB, attr1 Device-nGnRE */

#endif
