/* SPDX-License-Identifier: MIT */
/*
 * Stream table lookup: linear and 2-level tables (IHI 0070 §3.3, §5.1,
 * §6.3.24, §6.3.25; facts §1.11, §3.1).
 *
 * Timing: ste_lookup() charges lat.cfg_lookup for the configuration
 * cache probe (when the cache exists); a miss adds the memory latency of
 * the L1STD and STE reads and lat.ste_decode once an STE was fetched.
 */
#include "smmu/ste.h"
#include "smmu/regs.h"

#include <string.h>

#define SPLIT_DEFAULT 6u /* §6.3.25: SPLIT other than 6/8/10 acts as 6 */
#define STRTAB_FMT_2LVL 1u

static void ste_fetch_fault(struct smmu_event *ev, uint64_t addr)
{
	ev->id = EVT_F_STE_FETCH;
	ev->fetch_addr = addr;
}

/* §3.4.3: an STE/L1STD address beyond the OAS gives F_STE_FETCH (the
 * model's choice among the permitted behaviours). */
static bool beyond_oas(const struct smmu *smmu, uint64_t addr,
		       uint64_t len)
{
	unsigned oas = smmu_oas_bits(smmu->impl.oas);

	return ((addr + len - 1) >> oas) != 0 || addr + len - 1 < addr;
}

static bool read_l1std(struct smmu *smmu, uint64_t addr, uint64_t *desc,
		       uint64_t *cycles)
{
	if (beyond_oas(smmu, addr, L1STD_SIZE))
		return false;
	return pmem_read64(smmu->mem, addr, desc, cycles) == MEM_OK;
}

bool strtab_locate(struct smmu *smmu, uint64_t base_reg, uint32_t base_cfg,
		   uint32_t sid, uint64_t *ste_addr, struct smmu_event *ev,
		   uint64_t *cycles)
{
	const struct smmu_impl *impl = &smmu->impl;
	unsigned log2size = (unsigned)rget(base_cfg, STRTAB_BASE_CFG_LOG2SIZE);
	unsigned split = (unsigned)rget(base_cfg, STRTAB_BASE_CFG_SPLIT);
	unsigned fmt = (unsigned)rget(base_cfg, STRTAB_BASE_CFG_FMT);
	uint64_t base = base_reg & rmask(STRTAB_BASE_ADDR);
	uint64_t l1addr, l1std = 0, l2ptr, idx;
	unsigned span;

	/* §6.3.25: effective LOG2SIZE is capped by IDR1.SIDSIZE */
	if (log2size > impl->sidsize)
		log2size = impl->sidsize;
	/* §3.3: StreamID beyond the table is C_BAD_STREAMID */
	if (log2size < 32 && (sid >> log2size) != 0) {
		ev->id = EVT_C_BAD_STREAMID;
		return false;
	}
	/* FMT values other than 01 (or 01 without IDR0.ST_LEVEL) are
	 * linear (§6.3.25). */
	if (fmt != STRTAB_FMT_2LVL || impl->st_level == 0) {
		/* §6.3.24: the base is aligned to the table size */
		base &= ~bits_mask(log2size + 6);
		*ste_addr = base + (uint64_t)sid * STE_SIZE;
		return true;
	}

	if (split != 6 && split != 8 && split != 10)
		split = SPLIT_DEFAULT;
	/* §6.3.24: 2-level base aligned to max(64 B, L1 table size) */
	if (log2size > split)
		base &= ~bits_mask(log2size - split + 3 > 6
					   ? log2size - split + 3
					   : 6);
	l1addr = base + (uint64_t)(sid >> split) * L1STD_SIZE;
	if (!read_l1std(smmu, l1addr, &l1std, cycles)) {
		ste_fetch_fault(ev, l1addr);
		return false;
	}
	/* §5.1 L1STD.Span: 0 invalid, 12..31 reserved, at most SPLIT+1,
	 * and the SID must fall inside the 2^(Span-1) STEs */
	span = (unsigned)fget(&l1std, L1STD_SPAN);
	idx = sid & bits_mask(split);
	if (span == 0 || span > L1STD_SPAN_MAX || span > split + 1 ||
	    (idx >> (span - 1)) != 0) {
		ev->id = EVT_C_BAD_STREAMID;
		return false;
	}
	/* L2Ptr aligned to the array size: bits [5+Span-1:0] ignored */
	l2ptr = fget_inplace(&l1std, L1STD_L2PTR) & ~bits_mask(span + 5);
	*ste_addr = l2ptr + idx * STE_SIZE;
	return true;
}

/* Read the 64-byte STE (little-endian words) in one access. */
static bool fetch_ste(struct smmu *smmu, uint64_t addr, uint64_t raw[8],
		      uint64_t *cycles)
{
	uint8_t buf[STE_SIZE];

	if (beyond_oas(smmu, addr, STE_SIZE))
		return false;
	if (pmem_read(smmu->mem, addr, buf, sizeof(buf), cycles) != MEM_OK)
		return false;
	for (unsigned i = 0; i < STE_DWORDS; i++) {
		raw[i] = 0;
		for (unsigned b = 0; b < 8; b++)
			raw[i] |= (uint64_t)buf[i * 8 + b] << (8 * b);
	}
	return true;
}

bool strtab_lookup_at(struct smmu *smmu, uint64_t base_reg,
		      uint32_t base_cfg, uint32_t sid, struct ste_cfg *out,
		      struct smmu_event *ev, uint64_t *cycles)
{
	uint64_t addr, raw[STE_DWORDS];

	if (!strtab_locate(smmu, base_reg, base_cfg, sid, &addr, ev, cycles))
		return false;
	if (!fetch_ste(smmu, addr, raw, cycles)) {
		ste_fetch_fault(ev, addr);
		return false;
	}
	*cycles += smmu->impl.lat.ste_decode;
	/* §5.2: V=0 or ILLEGAL is C_BAD_STE */
	if (!ste_decode(smmu, raw, out)) {
		ev->id = EVT_C_BAD_STE;
		return false;
	}
	return true;
}

const struct ste_cfg *ste_lookup_ref(struct smmu *smmu, uint32_t sid,
				     struct ste_cfg *scratch,
				     struct smmu_event *ev, uint64_t *cycles)
{
	const struct smmu_cache_geom *g = &smmu->impl.cfgcache;

	if (g->sets * g->ways != 0) {
		const struct ste_cfg *hit;

		*cycles += smmu->impl.lat.cfg_lookup;
		hit = cfgcache_ref_ste(smmu, sid);
		if (hit) {
			smmu->stats.cfg_hits++;
			return hit;
		}
		smmu->stats.cfg_misses++;
	}
	if (!strtab_lookup_at(smmu, smmu_strtab_base(smmu),
			      smmu_strtab_base_cfg(smmu), sid, scratch, ev,
			      cycles))
		return NULL; /* failed fetches and bad STEs are not cached */
	cfgcache_put_ste(smmu, sid, scratch);
	return scratch;
}

bool ste_lookup(struct smmu *smmu, uint32_t sid, struct ste_cfg *out,
		struct smmu_event *ev, uint64_t *cycles)
{
	const struct ste_cfg *ste = ste_lookup_ref(smmu, sid, out, ev, cycles);

	if (ste && ste != out)
		*out = *ste;
	return ste != NULL;
}
