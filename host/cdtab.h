/* SPDX-License-Identifier: MIT */
/*
 * Context descriptor tables in simulated memory (IHI 0070 §3.4.3, §5.3,
 * §5.4; facts §4.2): one CD, a linear table (S1Fmt 00) or a 2-level table
 * with 64 KiB leaves (S1Fmt 10), whose leaves are allocated on demand.
 * This layer only manages memory; the driver invalidates.
 */
#ifndef SMMUSIM_HOST_CDTAB_H
#define SMMUSIM_HOST_CDTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "host/hostmem.h"

#define CD_BYTES 64u
#define CDTAB_L2_LOG2 10u /* S1Fmt 10: 1024 CDs per leaf table */

struct cdtab {
	uint64_t base;      /* STE.S1ContextPtr: the CDs or the L1 table */
	uint64_t size;      /* bytes at base */
	uint8_t s1fmt;      /* STE.S1Fmt encoding */
	uint8_t s1cdmax;    /* STE.S1CDMax: log2 of the number of CDs */
	uint32_t nl1;       /* L1 descriptors (2-level only) */
	uint64_t *l2;       /* PA of each leaf table, 0 = absent */
};

/* Lay out 2^s1cdmax CDs, 2-level (S1Fmt 10) if two_level. */
bool cdtab_init(struct cdtab *ct, struct hostmem *hm, unsigned s1cdmax,
		bool two_level);
void cdtab_destroy(struct cdtab *ct, struct hostmem *hm);
/* PA of CD `ssid`, allocating its leaf and writing the L1 descriptor if
 * needed (*new_l1 set then). 0 if out of range or out of memory. */
uint64_t cdtab_cd_pa(struct cdtab *ct, struct hostmem *hm, uint32_t ssid,
		     bool *new_l1);
/* PA of the L1 descriptor covering `ssid`; 0 for a linear table. */
uint64_t cdtab_l1_pa(const struct cdtab *ct, uint32_t ssid);

#endif
