/* SPDX-License-Identifier: MIT */
#include "host/cdtab.h"

#include <stdlib.h>
#include <string.h>

#include "host/smmu_regs.h"

#define L1CD_BYTES 8u

static uint64_t leaf_bytes(void)
{
	return (uint64_t)CD_BYTES << CDTAB_L2_LOG2;
}

bool cdtab_init(struct cdtab *ct, struct hostmem *hm, unsigned s1cdmax,
		bool two_level)
{
	memset(ct, 0, sizeof(*ct));
	ct->s1cdmax = (uint8_t)s1cdmax;
	if (two_level && s1cdmax > CDTAB_L2_LOG2) {
		/* §5.2 S1Fmt 10: L1 index SSID[S1CDMax-1:10]; the L1 table
		 * is aligned to its size, 64 bytes at least */
		ct->s1fmt = STE_S1FMT_2L_64K;
		ct->nl1 = 1u << (s1cdmax - CDTAB_L2_LOG2);
		ct->size = (uint64_t)ct->nl1 * L1CD_BYTES;
		ct->l2 = calloc(ct->nl1, sizeof(*ct->l2));
		if (!ct->l2)
			return false;
	} else {
		/* §5.2 S1Fmt 00: CD = S1ContextPtr + SSID * 64, the table
		 * aligned to its size (one CD when S1CDMax = 0) */
		ct->s1fmt = STE_S1FMT_LINEAR;
		ct->size = (uint64_t)CD_BYTES << s1cdmax;
	}
	ct->base = hostmem_alloc(hm, ct->size,
				 ct->size < CD_BYTES ? CD_BYTES : ct->size);
	if (!ct->base) {
		free(ct->l2);
		ct->l2 = NULL;
		return false;
	}
	return true;
}

void cdtab_destroy(struct cdtab *ct, struct hostmem *hm)
{
	for (uint32_t i = 0; ct->l2 && i < ct->nl1; i++)
		if (ct->l2[i])
			hostmem_free(hm, ct->l2[i], leaf_bytes());
	free(ct->l2);
	if (ct->base)
		hostmem_free(hm, ct->base, ct->size);
	memset(ct, 0, sizeof(*ct));
}

uint64_t cdtab_l1_pa(const struct cdtab *ct, uint32_t ssid)
{
	if (ct->s1fmt != STE_S1FMT_2L_64K)
		return 0;
	return ct->base + (uint64_t)(ssid >> CDTAB_L2_LOG2) * L1CD_BYTES;
}

uint64_t cdtab_cd_pa(struct cdtab *ct, struct hostmem *hm, uint32_t ssid,
		     bool *new_l1)
{
	uint32_t i, lo;

	*new_l1 = false;
	if (!ct->base || (ct->s1cdmax < 32 && (ssid >> ct->s1cdmax)))
		return 0;
	if (ct->s1fmt == STE_S1FMT_LINEAR)
		return ct->base + (uint64_t)ssid * CD_BYTES;
	i = ssid >> CDTAB_L2_LOG2;
	lo = ssid & ((1u << CDTAB_L2_LOG2) - 1);
	if (!ct->l2[i]) {
		/* §5.3 L1CD.L2Ptr[15:12] RES0 for 64 KiB leaves */
		uint64_t l2 = hostmem_alloc(hm, leaf_bytes(), leaf_bytes());
		uint64_t d;

		if (!l2)
			return 0;
		ct->l2[i] = l2;
		d = rset(rset(0, L1CD_DESC_L2PTR, l2 >> 12), L1CD_DESC_V, 1);
		pmem_write64(hostmem_pmem(hm), cdtab_l1_pa(ct, ssid), d, NULL);
		*new_l1 = true;
	}
	return ct->l2[i] + (uint64_t)lo * CD_BYTES;
}
