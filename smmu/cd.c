/* SPDX-License-Identifier: MIT */
/*
 * Context descriptors: CD table lookup (linear and 2-level), substream
 * handling with S1DSS, CD decode and the CdIllegal() rules (IHI 0070
 * §3.4.3, §5.3, §5.4; facts §4.1 - §4.4, §9.2).
 *
 * As in ste.c the model is a Non-secure SMMU without D128, DS, S1PI or
 * HAFT-in-CD support; VMSAv8-32 LPAE (CD.AA64=0) is not modelled and is
 * treated as ILLEGAL.
 *
 * Timing: cd_lookup() charges lat.cfg_lookup for the configuration cache
 * probe (when the cache exists); a miss adds the memory latency of the
 * L1CD and CD reads (and of the stage-2 walks of their IPAs) and
 * lat.cd_decode once a CD was fetched.
 */
#include "smmu/cd.h"
#include "smmu/ste.h"

#include <string.h>

/* --- decode --------------------------------------------------------- */

/* §5.4 T0SZ / CDTxSZInvalid() without D128 or DS */
static bool cd_txsz_invalid(const struct smmu_impl *impl, unsigned tsz,
			    unsigned gshift)
{
	unsigned min = 16;

	if (impl->vax >= 1 && gshift == 16)
		min = 12; /* 52-bit VA with 64 KB granules */
	return tsz < min || tsz > txsz_max(impl, gshift);
}

/* Start level from TxSZ (facts §9.2): 3 - floor((IA-1-G)/(G-3)). */
static int s1_start_level(unsigned tsz, unsigned gshift)
{
	int ia = 64 - (int)tsz;
	int num = ia - 1 - (int)gshift;

	if (num < 0)
		return 3;
	return 3 - num / (int)(gshift - 3);
}

struct tt_fields {
	struct fld tsz, ir, or_, sh, ttb, ttb_v8, tbi, had, e0pd;
	bool tg1;
};

static const struct tt_fields tt_flds[2] = {
	{ CD_T0SZ, CD_IR0, CD_OR0, CD_SH0, CD_TTB0, CD_TTB0_V8, CD_TBI0,
	  CD_HAD0, CD_E0PD0, false },
	{ CD_T1SZ, CD_IR1, CD_OR1, CD_SH1, CD_TTB1, CD_TTB1_V8, CD_TBI1,
	  CD_HAD1, CD_E0PD1, true },
};

static unsigned tt_granule(const uint64_t *raw, unsigned i)
{
	return i ? tg1_granule_shift((unsigned)fget(raw, CD_TG1))
		 : tg0_granule_shift((unsigned)fget(raw, CD_TG0));
}

/*
 * §5.4 TxSZ / TGx / TTBx checks of one enabled translation table:
 * true if ILLEGAL.
 */
static bool tt_illegal(const struct smmu_impl *impl, const uint64_t *raw,
		       unsigned i, unsigned ips_bits, struct cfg_illegal *why)
{
	static const char *const tg[2] = { "TG0", "TG1" };
	static const char *const tsz[2] = { "T0SZ", "T1SZ" };
	static const char *const tt[2] = { "TTB0", "TTB1" };
	const struct tt_fields *f = &tt_flds[i];
	unsigned gshift = tt_granule(raw, i);
	uint64_t ttb = fget_inplace(raw, f->ttb);

	/* §5.4 TGx: supported granule, not reserved */
	if (!gshift)
		return cfg_flag_illegal(why, tg[i], "reserved encoding");
	if (!granule_supported(impl, gshift))
		return cfg_flag_illegal(why, tg[i],
			"granule not supported (IDR5.GRAN4K/16K/64K)");
	/* §5.4 TxSZ: out of range is ILLEGAL in v3.1+ (the model takes
	 * the same choice for v3.0) */
	if (cd_txsz_invalid(impl, (unsigned)fget(raw, f->tsz), gshift))
		return cfg_flag_illegal(why, tsz[i],
			"outside the architected range for the granule");
	/* §5.4 TTBx: within the effective IPS, and 48 bits for 4K/16K */
	if ((ttb >> ips_bits) != 0)
		return cfg_flag_illegal(why, tt[i],
			"beyond the effective IPS (min(IPS, OAS))");
	if (gshift != 16 && (ttb >> 48) != 0)
		return cfg_flag_illegal(why, tt[i],
			"beyond 48 bits with a 4K or 16K granule");
	return false;
}

static void fill_tt(const struct smmu *smmu, const struct ste_cfg *ste,
		    const uint64_t *raw, unsigned i, bool disabled,
		    unsigned ips_bits, struct walk_regime *r)
{
	const struct smmu_impl *impl = &smmu->impl;
	const struct tt_fields *f = &tt_flds[i];
	bool one_priv = ste->world == WORLD_NS_EL2 ||
			ste->world == WORLD_EL3;

	r->stage = 1;
	r->disabled = disabled;
	r->one_priv = one_priv;
	r->mair = fget(raw, CD_MAIR);
	r->asid = one_priv ? 0 : (uint16_t)fget(raw, CD_ASID);
	r->endi = fget(raw, CD_ENDI);
	if (disabled)
		return;
	r->granule_shift = (uint8_t)tt_granule(raw, i);
	r->tsz = (uint8_t)fget(raw, f->tsz);
	r->start_level = (int8_t)s1_start_level(r->tsz, r->granule_shift);
	r->concat = 1;
	r->oas_bits = (uint8_t)ips_bits;
	r->ttb = fget_inplace(raw, f->ttb_v8) &
		 ~(start_table_align(r->tsz, r->granule_shift,
				     r->start_level, ips_bits) - 1);
	r->affd = fget(raw, CD_AFFD);
	/* {HD,HA} = 10 is reserved and behaves as 00 (§5.4 HD) */
	r->ha = fget(raw, CD_HA);
	r->hd = r->ha && fget(raw, CD_HD);
	r->tbi = fget(raw, f->tbi);
	r->wxn = fget(raw, CD_WXN);
	/* PAN applies to regimes with an unprivileged level */
	r->pan = !one_priv && fget(raw, CD_PAN);
	r->had = impl->had && fget(raw, f->had);
	r->e0pd = impl->e0pd && !one_priv && fget(raw, f->e0pd);
	r->ir = (uint8_t)fget(raw, f->ir);
	r->or_ = (uint8_t)fget(raw, f->or_);
	r->sh = (uint8_t)fget(raw, f->sh);
}

bool cd_decode(const struct smmu *smmu, const struct ste_cfg *ste,
	       const uint64_t raw[8], struct cd_cfg *out)
{
	return cd_decode_why(smmu, ste, raw, out, NULL);
}

bool cd_decode_why(const struct smmu *smmu, const struct ste_cfg *ste,
		   const uint64_t raw[8], struct cd_cfg *out,
		   struct cfg_illegal *why)
{
	const struct smmu_impl *impl = &smmu->impl;
	bool s = fget(raw, CD_S), a = fget(raw, CD_A);
	bool ha = fget(raw, CD_HA), hd = fget(raw, CD_HD);
	bool el2 = ste->world == WORLD_NS_EL2 || ste->world == WORLD_EL3;
	bool off[2];
	unsigned ips, oas;

	memset(out, 0, sizeof(*out));
	memcpy(out->raw, raw, sizeof(out->raw));
	/* §5.4 EPD0/EPD1: IGNORED (effective 0) in any-EL2 and EL3
	 * worlds, where only TTB0 exists (TTB1 fields are RES0). */
	off[0] = !el2 && fget(raw, CD_EPD0);
	off[1] = el2 || fget(raw, CD_EPD1);

	/* §5.4.2 CdIllegal() */
	if (!fget(raw, CD_V))
		return !cfg_flag_illegal(why, "V", "0: the CD is not valid");
	if (ste->s1stalld && s)  /* stalls disabled for the stream */
		return !cfg_flag_illegal(why, "S",
					 "1 with STE.S1STALLD=1");
	if (impl->term_model && !a) /* RAZ/WI termination unsupported */
		return !cfg_flag_illegal(why, "A",
					 "0 with IDR0.TERM_MODEL=1");
	if (impl->stall_model == 1 && s)
		return !cfg_flag_illegal(why, "S",
			"1 with IDR0.STALL_MODEL=0b01 (no stalls)");
	if (impl->stall_model == 2 && !s)
		return !cfg_flag_illegal(why, "S",
			"0 with IDR0.STALL_MODEL=0b10 (stalls forced)");
	/* §5.4 ENDI vs IDR0.TTENDIAN, unless both tables are disabled */
	if (!(off[0] && off[1]) &&
	    ((impl->ttendian == 2 && fget(raw, CD_ENDI)) ||
	     (impl->ttendian == 3 && !fget(raw, CD_ENDI))))
		return !cfg_flag_illegal(why, "ENDI",
			"endianness not supported (IDR0.TTENDIAN)");
	/* §5.4 AA64: VMSAv8-64 needs TTF[1] (and a VMSAv8-64 stage 2,
	 * which ste.c already requires); VMSAv8-32 is not modelled (see
	 * the top of the file). */
	if (!fget(raw, CD_AA64) || !(impl->ttf & 2u))
		return !cfg_flag_illegal(why, "AA64",
			"VMSAv8-32 LPAE tables (AA64=0) or no AArch64 in "
			"IDR0.TTF");
	/* §5.4 HA/HD vs IDR0.HTTU (HAFT only exists with HTTU=11) */
	if ((ha || hd) && impl->httu == 0)
		return !cfg_flag_illegal(why, "HA/HD",
					 "set with IDR0.HTTU=0b00");
	if (hd && impl->httu == 1)
		return !cfg_flag_illegal(why, "HD",
			"set with IDR0.HTTU=0b01 (AF only)");
	if (impl->httu == 3 && fget(raw, CD_HAFT) && !ha)
		return !cfg_flag_illegal(why, "HAFT", "1 with HA=0");
	/* §5.4 ASID: [15:8] must be 0 without IDR0.ASID16 in the worlds
	 * that use an ASID */
	if ((ste->world == WORLD_NS_EL1 || ste->world == WORLD_NS_EL2_E2H) &&
	    !impl->asid16 && fget(raw, CD_ASID_HI) != 0)
		return !cfg_flag_illegal(why, "ASID",
			"bits [15:8] set without IDR0.ASID16");
	/* §5.4 IPS: effective output size min(IPS, OAS) */
	ips = smmu_oas_bits((uint8_t)fget(raw, CD_IPS));
	oas = smmu_oas_bits(impl->oas);
	if (ips > oas)
		ips = oas;
	for (unsigned i = 0; i < 2; i++)
		if (!off[i] && tt_illegal(impl, raw, i, ips, why))
			return false;

	for (unsigned i = 0; i < 2; i++)
		fill_tt(smmu, ste, raw, i, off[i], ips, &out->tt[i]);
	out->asid = out->tt[0].asid;
	out->aset = fget(raw, CD_ASET);
	out->a = a;
	out->r = fget(raw, CD_R);
	out->s = s;
	out->aa64 = true;
	return true;
}

/* --- lookup --------------------------------------------------------- */

/* Read `len` bytes of a structure as little-endian words. */
static bool fetch_words(struct smmu *smmu, uint64_t pa, uint64_t *w,
			unsigned nwords, uint64_t *cycles)
{
	uint8_t buf[CD_SIZE];

	if (pmem_read(smmu->mem, pa, buf, nwords * 8u, cycles) != MEM_OK)
		return false;
	for (unsigned i = 0; i < nwords; i++) {
		w[i] = 0;
		for (unsigned b = 0; b < 8; b++)
			w[i] |= (uint64_t)buf[i * 8 + b] << (8 * b);
	}
	return true;
}

/*
 * Fetch a CD-table structure at `addr` (a PA, or an IPA when stage 2 is
 * on). Returns false with ev set: the stage-2 fault as reported by the
 * walker (CLASS=CD), or F_CD_FETCH for an abort on the PA read.
 */
static bool cd_fetch(struct smmu *smmu, const struct ste_cfg *ste,
		     uint64_t addr, uint64_t *w, unsigned nwords,
		     struct smmu_event *ev, uint64_t *cycles)
{
	uint64_t pa = addr;
	unsigned oas = smmu_oas_bits(smmu->impl.oas);

	if (ste->s2_en &&
	    !walk_s2_fetch(smmu, &ste->s2, addr, EVT_CLASS_CD, &pa, ev,
			   cycles))
		return false;
	if (((pa + nwords * 8u - 1) >> oas) != 0 ||
	    !fetch_words(smmu, pa, w, nwords, cycles)) {
		ev->id = EVT_F_CD_FETCH;
		ev->fetch_addr = pa;
		return false;
	}
	return true;
}

/*
 * §3.4.3: the address range of CD-table pointers: the IAS for an IPA
 * (stage 2 on), the OAS for a PA.
 */
static bool addr_beyond(const struct smmu *smmu, const struct ste_cfg *ste,
			uint64_t addr, uint64_t len)
{
	unsigned bits = ste->s2_en ? smmu_ias_bits(&smmu->impl)
				   : smmu_oas_bits(smmu->impl.oas);

	return ((addr + len - 1) >> bits) != 0;
}

/*
 * The CD address (PA or IPA) of substream `ssid`, fetching the L1CD of
 * a 2-level table (§5.2 S1Fmt, §5.3, facts §4.2). Returns false with ev
 * set.
 */
bool cd_locate(struct smmu *smmu, const struct ste_cfg *ste,
	       bool substreams, uint32_t ssid, uint64_t *addr,
	       struct smmu_event *ev, uint64_t *cycles)
{
	unsigned cdmax = ste->s1cdmax;
	unsigned leaf_bits;
	uint64_t base = ste->s1ctxptr, l1addr, l1cd, l2ptr;

	if (!substreams) {
		*addr = base; /* one CD */
		return true;
	}
	if (ste->s1fmt == S1FMT_LINEAR) {
		/* RES0 pointer bits below the table size are treated as 0 */
		base &= ~bits_mask(cdmax + 6);
		*addr = base + (uint64_t)ssid * CD_SIZE;
		if (addr_beyond(smmu, ste, *addr, CD_SIZE)) {
			ev->id = EVT_C_BAD_STE; /* §3.4.3 case 1/2 */
			return false;
		}
		return true;
	}
	leaf_bits = ste->s1fmt == S1FMT_2L_4K ? CD_LEAF_BITS_4K
					      : CD_LEAF_BITS_64K;
	/* L1 table aligned to max(its size, 64 B) */
	if (cdmax > leaf_bits && cdmax - leaf_bits + 3 > 6)
		base &= ~bits_mask(cdmax - leaf_bits + 3);
	l1addr = base + (uint64_t)(ssid >> leaf_bits) * L1CD_SIZE;
	if (addr_beyond(smmu, ste, l1addr, L1CD_SIZE)) {
		ev->id = EVT_C_BAD_STE;
		return false;
	}
	if (!cd_fetch(smmu, ste, l1addr, &l1cd, 1, ev, cycles))
		return false;
	/* §5.3: an invalid L1CD is C_BAD_SUBSTREAMID */
	if (!fget(&l1cd, L1CD_V)) {
		ev->id = EVT_C_BAD_SUBSTREAMID;
		return false;
	}
	/* 64 KB leaves: L2Ptr[15:12] RES0, treated as 0 */
	l2ptr = fget_inplace(&l1cd, L1CD_L2PTR) &
		~bits_mask(leaf_bits + 6);
	*addr = l2ptr + (uint64_t)(ssid & bits_mask(leaf_bits)) * CD_SIZE;
	/* §3.4.3 cases 3/4: L2Ptr out of range is C_BAD_SUBSTREAMID */
	if (addr_beyond(smmu, ste, *addr, CD_SIZE)) {
		ev->id = EVT_C_BAD_SUBSTREAMID;
		return false;
	}
	return true;
}

int cd_lookup_ref(struct smmu *smmu, uint32_t sid, const struct ste_cfg *ste,
		  bool ssv, uint32_t ssid, struct cd_cfg *out,
		  const struct cd_cfg **ref, struct smmu_event *ev,
		  uint64_t *cycles)
{
	const struct smmu_cache_geom *g = &smmu->impl.cfgcache;
	bool substreams = ste->s1cdmax != 0 && smmu->impl.ssidsize != 0;
	uint64_t addr, raw[CD_DWORDS];

	/* §3.4 / facts §4.3: substreams and S1DSS */
	if (!substreams) {
		if (ssv) {
			ev->id = EVT_C_BAD_SUBSTREAMID;
			return -1;
		}
		ssid = 0;
	} else if (!ssv) {
		switch (ste->s1dss) {
		case S1DSS_BYPASS:
			return 0;
		case S1DSS_SSID0:
			ssid = 0;
			break;
		default:
			ev->id = EVT_F_STREAM_DISABLED;
			return -1;
		}
	} else {
		if (ste->s1cdmax < 32 && (ssid >> ste->s1cdmax) != 0) {
			ev->id = EVT_C_BAD_SUBSTREAMID;
			return -1;
		}
		/* SSID 0 is reserved for non-substream traffic */
		if (ssid == 0 && ste->s1dss == S1DSS_SSID0) {
			ev->id = EVT_F_STREAM_DISABLED;
			return -1;
		}
	}

	if (g->sets * g->ways != 0) {
		*cycles += smmu->impl.lat.cfg_lookup;
		*ref = cfgcache_ref_cd(smmu, sid, ssid);
		if (*ref) {
			smmu->stats.cfg_hits++;
			return 1;
		}
		smmu->stats.cfg_misses++;
	}
	if (!cd_locate(smmu, ste, substreams, ssid, &addr, ev, cycles))
		return -1;
	if (!cd_fetch(smmu, ste, addr, raw, CD_DWORDS, ev, cycles))
		return -1;
	*cycles += smmu->impl.lat.cd_decode;
	if (!cd_decode(smmu, ste, raw, out)) {
		ev->id = EVT_C_BAD_CD;
		return -1;
	}
	cfgcache_put_cd(smmu, sid, ssid, out);
	*ref = out;
	return 1;
}

int cd_lookup(struct smmu *smmu, uint32_t sid, const struct ste_cfg *ste,
	      bool ssv, uint32_t ssid, struct cd_cfg *out,
	      struct smmu_event *ev, uint64_t *cycles)
{
	const struct cd_cfg *ref = NULL;
	int r = cd_lookup_ref(smmu, sid, ste, ssv, ssid, out, &ref, ev,
			      cycles);

	if (r > 0 && ref != out)
		*out = *ref;
	return r;
}
