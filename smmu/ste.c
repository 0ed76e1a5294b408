/* SPDX-License-Identifier: MIT */
/*
 * Stream Table Entry decode and ILLEGAL checks (IHI 0070 §5.2 and the
 * SteIllegal() pseudocode there; facts §3.2 - §3.5, §8.2, §9.4).
 *
 * The model is a Non-secure SMMU without RME, DPT, D128, DS, S1PI/S2PI or
 * S2PO, so the rules for Secure and Realm STEs, VMSAv9-128 and the
 * permission-indirection fields never apply. VMSAv8-32 LPAE tables are not
 * modelled: an STE selecting them at stage 2 is treated as ILLEGAL even
 * when IDR0.TTF[0] would allow it (the presets only offer AArch64).
 */
#include "smmu/ste.h"
#include "smmu/regs.h"

#include <string.h>

/* --- helpers shared with cd.c --------------------------------------- */

unsigned tg0_granule_shift(unsigned tg)
{
	switch (tg) {
	case TG0_4K:
		return 12;
	case TG0_64K:
		return 16;
	case TG0_16K:
		return 14;
	default:
		return 0;
	}
}

unsigned tg1_granule_shift(unsigned tg)
{
	switch (tg) {
	case TG1_4K:
		return 12;
	case TG1_64K:
		return 16;
	case TG1_16K:
		return 14;
	default:
		return 0;
	}
}

bool granule_supported(const struct smmu_impl *impl, unsigned shift)
{
	switch (shift) {
	case 12:
		return impl->gran4k;
	case 14:
		return impl->gran16k;
	case 16:
		return impl->gran64k;
	default:
		return false;
	}
}

unsigned smmu_ias_bits(const struct smmu_impl *impl)
{
	unsigned oas = smmu_oas_bits(impl->oas);
	unsigned ias = 0;

	if (impl->ttf & 1u)
		ias = 40;
	if ((impl->ttf & 2u) && oas > ias)
		ias = oas;
	return ias;
}

unsigned txsz_max(const struct smmu_impl *impl, unsigned gshift)
{
	if (!impl->stt)
		return 39;
	return gshift == 16 ? 47 : 48;
}

unsigned level_shift(unsigned gshift, int level)
{
	return gshift + (unsigned)(3 - level) * (gshift - 3);
}

/* --- stage 2 regime ------------------------------------------------- */

/*
 * Start level from S2SL0 (facts §9.4, without DS): -1 when the encoding
 * is reserved for the granule (4K SL0=11 needs IDR3.STT, 16K SL0=11
 * needs DS, 64K SL0=11 is reserved).
 */
static int s2_start_level(const struct smmu_impl *impl, unsigned gshift,
			  unsigned sl0)
{
	static const int l4k[4] = { 2, 1, 0, 3 };
	static const int l16k64k[4] = { 3, 2, 1, -1 };

	if (gshift == 12)
		return (sl0 == 3 && !impl->stt) ? -1 : l4k[sl0];
	return l16k64k[sl0];
}

/* §5.2 S2T0SZ / STES2T0SZInvalid(): the architected range. */
static bool s2t0sz_invalid(const struct smmu_impl *impl, unsigned tsz,
			   unsigned gshift)
{
	unsigned ias = smmu_ias_bits(impl);
	unsigned min;

	if (impl->arch_minor == 0)
		min = 64 - ias;
	else if (gshift == 16)
		min = 64 - ias > 12 ? 64 - ias : 12;
	else
		min = 64 - ias > 16 ? 64 - ias : 16;
	return tsz < min || tsz > txsz_max(impl, gshift);
}

/*
 * S2T0SZ / S2SL0 / S2TG consistency (§5.2 S2SL0, facts §9.4): the start
 * level must resolve at least one IA bit and at most the bits of 16
 * concatenated tables. Returns the number of concatenated tables, or 0
 * when inconsistent.
 */
static unsigned s2_concat(unsigned tsz, unsigned gshift, int start)
{
	unsigned ia_bits = 64 - tsz;
	unsigned shift = level_shift(gshift, start);
	unsigned stride = gshift - 3;
	unsigned n;

	if (ia_bits <= shift)
		return 0;
	n = ia_bits - shift; /* index bits at the start level */
	if (n > stride + 4)  /* §9.4: at most 16 concatenated tables */
		return 0;
	return n > stride ? 1u << (n - stride) : 1u;
}

/* Start-level table alignment (bytes): entries * 8, 64 B minimum for a
 * 52-bit output (§5.2 S2TTB, §5.4 TTB0). Bits below are treated as 0. */
uint64_t start_table_align(unsigned tsz, unsigned gshift, int start,
			   unsigned oas_bits)
{
	unsigned n = 64 - tsz - level_shift(gshift, start);
	uint64_t size = UINT64_C(8) << n;

	if (oas_bits >= 52 && size < 64)
		size = 64;
	return size < 16 ? 16 : size;
}

static void fill_s2(const struct smmu *smmu, const uint64_t *raw,
		    struct ste_cfg *o, unsigned gshift, int start,
		    unsigned concat)
{
	const struct smmu_impl *impl = &smmu->impl;
	struct walk_regime *r = &o->s2;
	unsigned ps = smmu_oas_bits((uint8_t)fget(raw, STE_S2PS));
	unsigned oas = smmu_oas_bits(impl->oas);
	uint64_t ttb = fget_inplace(raw, STE_S2TTB_V8);

	r->stage = 2;
	r->granule_shift = (uint8_t)gshift;
	r->tsz = (uint8_t)fget(raw, STE_S2T0SZ);
	r->start_level = (int8_t)start;
	r->concat = (uint8_t)concat;
	r->oas_bits = (uint8_t)(ps < oas ? ps : oas);
	r->ttb = ttb & ~(start_table_align(r->tsz, gshift, start,
					   r->oas_bits) - 1);
	r->endi = fget(raw, STE_S2ENDI);
	r->affd = fget(raw, STE_S2AFFD);
	/* {S2HA,S2HD} = 01 is reserved and behaves as 00 (§5.2 S2HD) */
	r->ha = fget(raw, STE_S2HA);
	r->hd = r->ha && fget(raw, STE_S2HD);
	r->ptw = fget(raw, STE_S2PTW);
	r->fwb = impl->fwb && fget(raw, STE_S2FWB);
	r->ir = (uint8_t)fget(raw, STE_S2IR0);
	r->or_ = (uint8_t)fget(raw, STE_S2OR0);
	r->sh = (uint8_t)fget(raw, STE_S2SH0);
	o->s2s = fget(raw, STE_S2S);
	o->s2r = fget(raw, STE_S2R);
}

/* --- ILLEGAL checks ------------------------------------------------- */

/* Note which rule refused the entry (for inspect tools); always true so
 * the *_illegal() checks can return it. */
bool cfg_flag_illegal(struct cfg_illegal *why, const char *field,
		      const char *reason)
{
	if (why) {
		why->field = field;
		why->reason = reason;
	}
	return true;
}

/* IgnoreSTESTRW() for a Non-secure STE (§5.2, facts §3.4) */
static bool strw_unused(const struct smmu_impl *impl, unsigned config)
{
	return !impl->s1p || !impl->hyp || (config & STE_CONFIG_S2) ||
	       config == STE_CONFIG_BYPASS;
}

/* §5.2 EATS: the ATS checks, NS STE, IDR0.ATS=1, Config != x00 */
static bool eats_illegal(const struct smmu_impl *impl, const uint64_t *raw,
			 unsigned config, struct cfg_illegal *why)
{
	unsigned eats = (unsigned)fget(raw, STE_EATS);
	bool s2s = fget(raw, STE_S2S);

	if (!impl->ats || !(config & (STE_CONFIG_S1 | STE_CONFIG_S2)))
		return false;
	/* Split-stage needs Config=111, S2S=0 and NS1ATS=0 */
	if (eats == EATS_SPLIT &&
	    (config != STE_CONFIG_NESTED || s2s || impl->ns1ats))
		return cfg_flag_illegal(why, "EATS",
			"split-stage ATS (0b10) needs Config=0b111, S2S=0 "
			"and IDR0.NS1ATS=0");
	/* Full ATS with stage-2 stall; SMMUv3.0 may also apply it to 10x,
	 * the model follows the recommendation (11x only). */
	if (eats == EATS_FULL && s2s && (config & STE_CONFIG_S2))
		return cfg_flag_illegal(why, "EATS",
			"full ATS (0b01) with stage-2 stalls (S2S=1)");
	/* EATS=11 is reserved (behaves as 00) without IDR3.DPT. */
	return false;
}

/* Stage 1 rules (Config=1x1), §5.2 S1STALLD, S1CDMax, S1Fmt,
 * S1ContextPtr. */
static bool s1_illegal(const struct smmu_impl *impl, const uint64_t *raw,
		       unsigned config, struct cfg_illegal *why)
{
	unsigned cdmax = (unsigned)fget(raw, STE_S1CDMAX);
	unsigned fmt = (unsigned)fget(raw, STE_S1FMT);
	uint64_t ptr = fget_inplace(raw, STE_S1CONTEXTPTR);
	unsigned range;

	/* §5.2: S1STALLD=1 only with STALL_MODEL=00 */
	if (fget(raw, STE_S1STALLD) && impl->stall_model != 0)
		return cfg_flag_illegal(why, "S1STALLD",
			"1 needs IDR0.STALL_MODEL=0b00");
	/* §5.2: S1CDMax > SSIDSIZE is ILLEGAL */
	if (impl->ssidsize != 0 && cdmax > impl->ssidsize)
		return cfg_flag_illegal(why, "S1CDMax",
					"greater than IDR1.SSIDSIZE");
	/* §5.2 S1Fmt: 2-level CD tables need IDR0.CD2L */
	if (impl->ssidsize != 0 && cdmax != 0 && !impl->cd2l &&
	    (fmt == S1FMT_2L_4K || fmt == S1FMT_2L_64K))
		return cfg_flag_illegal(why, "S1Fmt",
			"2-level CD table without IDR0.CD2L");
	/* §5.2 S1ContextPtr, §3.4.3: IPA within IAS when stage 2 is on,
	 * else PA within OAS (v3.1+ C_BAD_STE; the model does the same
	 * for v3.0, one of its permitted behaviours). */
	range = (config & STE_CONFIG_S2) ? smmu_ias_bits(impl)
					 : smmu_oas_bits(impl->oas);
	if ((ptr >> range) != 0)
		return cfg_flag_illegal(why, "S1ContextPtr",
			(config & STE_CONFIG_S2) ? "IPA beyond the IAS"
						 : "PA beyond the OAS");
	return false;
}

/* Stage 2 rules (Config=11x); on success fills the regime. */
static bool s2_illegal(const struct smmu *smmu, const uint64_t *raw,
		       struct ste_cfg *o, struct cfg_illegal *why)
{
	const struct smmu_impl *impl = &smmu->impl;
	bool s2s = fget(raw, STE_S2S);
	bool ha = fget(raw, STE_S2HA), hd = fget(raw, STE_S2HD);
	unsigned gshift = tg0_granule_shift((unsigned)fget(raw, STE_S2TG));
	unsigned tsz = (unsigned)fget(raw, STE_S2T0SZ);
	unsigned ps, oas, concat;
	uint64_t ttb = fget_inplace(raw, STE_S2TTB);
	int start;

	/* §5.2 S2S vs IDR0.STALL_MODEL */
	if (s2s && impl->stall_model == 1)
		return cfg_flag_illegal(why, "S2S",
			"1 with IDR0.STALL_MODEL=0b01 (no stalls)");
	if (!s2s && impl->stall_model == 2)
		return cfg_flag_illegal(why, "S2S",
			"0 with IDR0.STALL_MODEL=0b10 (stalls forced)");
	/* §5.2 S2AA64: the format must be in IDR0.TTF (VMSAv8-32 LPAE is
	 * not modelled, see the top of the file). */
	if (!fget(raw, STE_S2AA64) || !(impl->ttf & 2u))
		return cfg_flag_illegal(why, "S2AA64",
			"VMSAv8-32 LPAE tables (S2AA64=0) or no AArch64 "
			"in IDR0.TTF");
	/* §5.2 S2HA/S2HD/S2HAFT vs IDR0.HTTU */
	if ((ha || hd) && impl->httu == 0)
		return cfg_flag_illegal(why, "S2HA/S2HD",
					"set with IDR0.HTTU=0b00");
	if (hd && impl->httu == 1)
		return cfg_flag_illegal(why, "S2HD",
					"set with IDR0.HTTU=0b01 (AF only)");
	if (fget(raw, STE_S2HAFT) && !ha && impl->httu == 3)
		return cfg_flag_illegal(why, "S2HAFT", "1 with S2HA=0");
	/* §5.2 S2TG: granule supported by IDR5, not reserved */
	if (!gshift)
		return cfg_flag_illegal(why, "S2TG", "reserved encoding");
	if (!granule_supported(impl, gshift))
		return cfg_flag_illegal(why, "S2TG",
			"granule not supported (IDR5.GRAN4K/16K/64K)");
	/* §5.2 S2TTB: within the effective S2PS, and within 48 bits with
	 * 4K/16K granules (no DS) */
	ps = smmu_oas_bits((uint8_t)fget(raw, STE_S2PS));
	oas = smmu_oas_bits(impl->oas);
	if (ps > oas)
		ps = oas;
	if ((ttb >> ps) != 0)
		return cfg_flag_illegal(why, "S2TTB",
			"beyond the effective S2PS (min(S2PS, OAS))");
	if (gshift != 16 && (ttb >> 48) != 0)
		return cfg_flag_illegal(why, "S2TTB",
			"beyond 48 bits with a 4K or 16K granule");
	/* §5.2 S2T0SZ: architected range (always ILLEGAL from v3.1; the
	 * model takes the ILLEGAL choice for v3.0 too) */
	if (s2t0sz_invalid(impl, tsz, gshift))
		return cfg_flag_illegal(why, "S2T0SZ",
			"outside the architected range for the IAS and "
			"granule");
	/* §5.2 S2SL0: consistent with S2T0SZ and S2TG */
	start = s2_start_level(impl, gshift,
			       (unsigned)fget(raw, STE_S2SL0));
	if (start < 0)
		return cfg_flag_illegal(why, "S2SL0",
			"reserved start level for the granule");
	concat = s2_concat(tsz, gshift, start);
	if (!concat)
		return cfg_flag_illegal(why, "S2SL0",
			"inconsistent with S2T0SZ (no IA bit at the start "
			"level, or more than 16 concatenated tables)");
	/* §5.2 S2ENDI vs IDR0.TTENDIAN */
	if (impl->ttendian == 2 && fget(raw, STE_S2ENDI))
		return cfg_flag_illegal(why, "S2ENDI",
			"big-endian with IDR0.TTENDIAN=0b10 (LE only)");
	if (impl->ttendian == 3 && !fget(raw, STE_S2ENDI))
		return cfg_flag_illegal(why, "S2ENDI",
			"little-endian with IDR0.TTENDIAN=0b11 (BE only)");
	fill_s2(smmu, raw, o, gshift, start, concat);
	return false;
}

/* IgnoreSTES2VMID() for a Non-secure STE */
static bool s2vmid_ignored(const struct smmu_impl *impl, unsigned config,
			   unsigned strw)
{
	if (!(config & STE_CONFIG_TRANSLATE) || !impl->s2p ||
	    config == STE_CONFIG_BYPASS)
		return true;
	return strw != STRW_EL1 && !strw_unused(impl, config);
}

static enum stream_world ste_world(const struct smmu *smmu,
				   unsigned config, unsigned strw)
{
	if (strw_unused(&smmu->impl, config) || strw == STRW_EL1)
		return WORLD_NS_EL1;
	/* STRW=10: EL2, or EL2-E2H with CR2.E2H (§5.2 STRW) */
	return rget(smmu_cr2(smmu), CR2_E2H) ? WORLD_NS_EL2_E2H
					    : WORLD_NS_EL2;
}

/* Effective EATS (§5.2 EATS, facts §8.2) */
static uint8_t ste_eats(const struct smmu *smmu, const uint64_t *raw,
			unsigned config)
{
	unsigned eats = (unsigned)fget(raw, STE_EATS);

	if (!smmu->impl.ats || config == STE_CONFIG_BYPASS ||
	    !(config & STE_CONFIG_TRANSLATE))
		return EATS_OFF;
	if (eats == EATS_DPT) /* reserved without IDR3.DPT: as 00 */
		return EATS_OFF;
	if (eats == EATS_SPLIT && !smmu_atschk(smmu))
		return EATS_OFF;
	return (uint8_t)eats;
}

bool ste_decode(const struct smmu *smmu, const uint64_t raw[8],
		struct ste_cfg *out)
{
	return ste_decode_why(smmu, raw, out, NULL);
}

bool ste_decode_why(const struct smmu *smmu, const uint64_t raw[8],
		    struct ste_cfg *out, struct cfg_illegal *why)
{
	const struct smmu_impl *impl = &smmu->impl;
	unsigned config, strw;

	memset(out, 0, sizeof(*out));
	memcpy(out->raw, raw, sizeof(out->raw));
	/* §5.2 V: an invalid STE is C_BAD_STE */
	if (!fget(raw, STE_V))
		return !cfg_flag_illegal(why, "V", "0: the STE is not valid");
	config = (unsigned)fget(raw, STE_CONFIG);
	strw = (unsigned)fget(raw, STE_STRW);
	out->config = (uint8_t)config;
	out->world = WORLD_NS_EL1;
	/* §5.2 Config 0b0xx: abort, nothing else is checked */
	if (!(config & STE_CONFIG_TRANSLATE)) {
		out->abort = true;
		return true;
	}
	out->bypass = config == STE_CONFIG_BYPASS;
	out->s1_en = config & STE_CONFIG_S1;
	out->s2_en = config & STE_CONFIG_S2;

	/* §5.2 Config: a stage that is not implemented */
	if (out->s1_en && !impl->s1p)
		return !cfg_flag_illegal(why, "Config",
			"stage 1 enabled without IDR0.S1P");
	if (out->s2_en && !impl->s2p)
		return !cfg_flag_illegal(why, "Config",
			"stage 2 enabled without IDR0.S2P");
	if (eats_illegal(impl, raw, config, why))
		return false;
	/* §5.2 STRW: 0bx1 reserved for NS STEs when STRW is used */
	if (!strw_unused(impl, config) && (strw & STRW_RESERVED_BIT))
		return !cfg_flag_illegal(why, "STRW",
			"reserved encoding 0bx1 for a Non-secure stream");
	if (out->s1_en && s1_illegal(impl, raw, config, why))
		return false;
	if (out->s2_en && s2_illegal(smmu, raw, out, why))
		return false;
	/* §5.2 S2VMID: VMID[15:8] must be 0 without IDR0.VMID16 */
	if (!s2vmid_ignored(impl, config, strw) && !impl->vmid16 &&
	    fget(raw, STE_S2VMID_HI) != 0)
		return !cfg_flag_illegal(why, "S2VMID",
			"bits [15:8] set without IDR0.VMID16");

	/* Stage 1 / CD fetch fields (IGNORED when Config=1x0) */
	if (out->s1_en) {
		out->s1fmt = (uint8_t)fget(raw, STE_S1FMT);
		if (out->s1fmt == 3) /* 0b11 behaves as 0b00 */
			out->s1fmt = S1FMT_LINEAR;
		out->s1ctxptr = fget_inplace(raw, STE_S1CONTEXTPTR);
		out->s1cdmax = (uint8_t)fget(raw, STE_S1CDMAX);
		out->s1dss = (uint8_t)fget(raw, STE_S1DSS);
		if (out->s1dss == 3) /* 0b11 behaves as 0b00 */
			out->s1dss = S1DSS_TERMINATE;
		out->s1cir = (uint8_t)fget(raw, STE_S1CIR);
		out->s1cor = (uint8_t)fget(raw, STE_S1COR);
		out->s1csh = (uint8_t)fget(raw, STE_S1CSH);
		out->s1stalld = fget(raw, STE_S1STALLD);
	}
	out->eats = ste_eats(smmu, raw, config);
	out->strw = (uint8_t)strw;
	out->world = ste_world(smmu, config, strw);
	out->mev = fget(raw, STE_MEV);
	out->ppar = fget(raw, STE_PPAR);
	out->dcp = fget(raw, STE_DCP);
	out->memattr = (uint8_t)fget(raw, STE_MEMATTR);
	out->mtcfg = fget(raw, STE_MTCFG);
	out->alloccfg = (uint8_t)fget(raw, STE_ALLOCCFG);
	out->shcfg = (uint8_t)fget(raw, STE_SHCFG);
	out->nscfg = (uint8_t)fget(raw, STE_NSCFG);
	out->privcfg = (uint8_t)fget(raw, STE_PRIVCFG);
	out->instcfg = (uint8_t)fget(raw, STE_INSTCFG);
	/* S2VMID tags stage-1 and stage-2 entries of the EL1 world
	 * (§5.2 S2VMID); it is IGNORED otherwise. */
	if (!s2vmid_ignored(impl, config, strw))
		out->s2.vmid = (uint16_t)fget(raw, STE_S2VMID);
	return true;
}
