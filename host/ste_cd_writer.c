/* SPDX-License-Identifier: MIT */
/*
 * Hitless STE / CD writer (see ste_cd_writer.h). The used-bit rules come
 * from the IGNORED clauses of IHI 0070 §5.2 (STE) and §5.4 (CD). Where the
 * spec leaves a choice, a field is counted as used: counting too many bits
 * can only turn a hitless update into a break-before-make one, never make
 * a hitless one unsafe. Every bit that decides whether another bit is used
 * is itself used, so writing unused bits never changes the used set.
 */
#include "host/ste_cd_writer.h"

#include <stdbool.h>
#include <string.h>

#include "host/smmu_regs.h"

static void use(uint64_t used[ENTRY_WORDS], struct fld f)
{
	used[f.dw] |= fld_mask(f);
}

/* STE fields of any stream that is not aborted (Config = 1xx). */
static void ste_used_stream(uint64_t used[ENTRY_WORDS])
{
	use(used, STE_DRE);
	use(used, STE_CONT);
	use(used, STE_DCP);
	use(used, STE_PPAR);
	use(used, STE_MEV);
	/* §5.2 PRIVCFG / INSTCFG shape the incoming access that the
	 * permission checks of an enabled stage see. */
	use(used, STE_PRIVCFG);
	use(used, STE_INSTCFG);
	use(used, STE_IMPDEF1);
	use(used, STE_IMPDEF4);
	use(used, STE_PARTID);
	use(used, STE_MECID);
	use(used, STE_PMG);
	use(used, STE_MPAM_NS);
	use(used, STE_VMSPTR);
}

/* §5.2 MTCFG / MemAttr / ALLOCCFG / SHCFG / NSCFG override the incoming
 * attributes; stage 1 translation replaces them, so they matter only for
 * traffic that bypasses stage 1. */
static void ste_used_overrides(uint64_t used[ENTRY_WORDS])
{
	use(used, STE_MEMATTR);
	use(used, STE_MTCFG);
	use(used, STE_ALLOCCFG);
	use(used, STE_SHCFG);
	use(used, STE_NSCFG);
}

static void ste_used_s1(const uint64_t ste[ENTRY_WORDS],
			uint64_t used[ENTRY_WORDS])
{
	use(used, STE_S1CONTEXTPTR);
	use(used, STE_S1CDMAX);
	use(used, STE_S1CIR);
	use(used, STE_S1COR);
	use(used, STE_S1CSH);
	use(used, STE_S1STALLD);
	use(used, STE_S1PIE);
	use(used, STE_S1MPAM);
	/* §5.2 S1Fmt, S1DSS: IGNORED when S1CDMax == 0 (one CD) */
	if (fget(ste, STE_S1CDMAX)) {
		use(used, STE_S1FMT);
		use(used, STE_S1DSS);
	}
}

static void ste_used_s2(uint64_t used[ENTRY_WORDS])
{
	use(used, STE_S2HWU);
	use(used, STE_S2FWB);
	use(used, STE_S2T0SZ);
	use(used, STE_S2SL0);
	use(used, STE_S2IR0);
	use(used, STE_S2OR0);
	use(used, STE_S2SH0);
	use(used, STE_S2TG);
	use(used, STE_S2PS);
	use(used, STE_S2AA64);
	use(used, STE_S2ENDI);
	use(used, STE_S2AFFD);
	use(used, STE_S2PTW);
	use(used, STE_S2HD);
	use(used, STE_S2HA);
	use(used, STE_S2S);
	use(used, STE_S2R);
	use(used, STE_S2HAFT);
	use(used, STE_S2PIE);
	use(used, STE_S2POE);
	use(used, STE_DPT_VMATCH);
	use(used, STE_S2NSW);
	use(used, STE_S2NSA);
	use(used, STE_S2SL0_2);
	use(used, STE_S2DS);
	use(used, STE_S2TTB_ALL);
	use(used, STE_S2SKL);
	use(used, STE_S2POI);
}

void ste_used_bits(const uint64_t ste[ENTRY_WORDS],
		   uint64_t used[ENTRY_WORDS])
{
	unsigned cfg;
	bool s1, s2, s1_bypassed;

	memset(used, 0, ENTRY_WORDS * sizeof(*used));
	/* §5.2 V == 0: other STE fields are IGNORED */
	use(used, STE_V);
	if (!fget(ste, STE_V))
		return;
	use(used, STE_CONFIG);
	cfg = (unsigned)fget(ste, STE_CONFIG);
	/* §5.2 Config 0b0xx: abort, nothing else is looked at */
	if (!(cfg & STE_CFG_NOT_ABORT))
		return;
	s1 = cfg & STE_CFG_S1_BIT;
	s2 = cfg & STE_CFG_S2_BIT;
	ste_used_stream(used);
	/* §5.2: S1-prefixed fields IGNORED when Config = 1x0, S2-prefixed
	 * ones (but S2VMID) when Config = 10x */
	if (s1)
		ste_used_s1(ste, used);
	if (s2)
		ste_used_s2(used);
	/* Traffic without a SubstreamID bypasses stage 1 with S1DSS=01. */
	s1_bypassed = !s1 || (fget(ste, STE_S1CDMAX) &&
			      fget(ste, STE_S1DSS) == STE_S1DSS_BYPASS);
	if (s1_bypassed)
		ste_used_overrides(used);
	/* §5.2 EATS: IGNORED for Config = 100; its check may read S2S even
	 * with stage 2 in bypass. */
	if (cfg != STE_CFG_BYPASS) {
		use(used, STE_EATS);
		if (fget(ste, STE_EATS))
			use(used, STE_S2S);
	}
	/* §5.2 STRW: used only with stage 1 alone (Config = 101) */
	if (cfg == STE_CFG_S1)
		use(used, STE_STRW);
	/* §5.2 S2VMID: tags NS-EL1 translations of stage 1 or stage 2 */
	if (s2 || (cfg == STE_CFG_S1 &&
		   fget(ste, STE_STRW) == STE_STRW_NSEL1))
		use(used, STE_S2VMID);
}

/* The fields of one translation table base, TTB0 or TTB1. */
static void cd_used_ttb(uint64_t used[ENTRY_WORDS], bool ttb1)
{
	if (!ttb1) {
		use(used, CD_T0SZ);
		use(used, CD_TG0);
		use(used, CD_IR0);
		use(used, CD_OR0);
		use(used, CD_SH0);
		use(used, CD_NSCFG0);
		use(used, CD_HAD0);
		use(used, CD_E0PD0);
		use(used, CD_TTB0_ALL);
		use(used, CD_HWU0);
	} else {
		use(used, CD_T1SZ);
		use(used, CD_TG1);
		use(used, CD_IR1);
		use(used, CD_OR1);
		use(used, CD_SH1);
		use(used, CD_NSCFG1);
		use(used, CD_HAD1);
		use(used, CD_E0PD1);
		use(used, CD_TTB1);
		use(used, CD_HWU1);
	}
}

void cd_used_bits(const uint64_t cd[ENTRY_WORDS], uint64_t used[ENTRY_WORDS])
{
	memset(used, 0, ENTRY_WORDS * sizeof(*used));
	/* §5.4 V == 0: the CD is invalid, nothing else is looked at */
	use(used, CD_V);
	if (!fget(cd, CD_V))
		return;
	use(used, CD_EPD0);
	use(used, CD_ENDI);
	use(used, CD_EPD1);
	use(used, CD_IPS);
	use(used, CD_AFFD);
	use(used, CD_WXN);
	use(used, CD_UWXN);
	use(used, CD_TBI0);
	use(used, CD_TBI1);
	use(used, CD_PAN);
	use(used, CD_AA64);
	use(used, CD_HD);
	use(used, CD_HA);
	use(used, CD_S);
	use(used, CD_R);
	use(used, CD_A);
	use(used, CD_ASET);
	use(used, CD_ASID);
	use(used, CD_HAFT);
	use(used, CD_PNCH);
	use(used, CD_EPAN);
	use(used, CD_AIE);
	use(used, CD_DS);
	use(used, CD_PIE);
	use(used, CD_MAIR);
	use(used, CD_AMAIR);
	use(used, CD_IMPDEF);
	use(used, CD_PARTID);
	use(used, CD_PMG);
	use(used, CD_PIIU);
	use(used, CD_PIIP);
	/* §5.4 EPDx == 1: walks through TTBx fault; its fields are not
	 * used (facts §4.5) */
	if (!fget(cd, CD_EPD0))
		cd_used_ttb(used, false);
	if (!fget(cd, CD_EPD1))
		cd_used_ttb(used, true);
}

unsigned entry_plan(entry_used_fn used_fn, const uint64_t cur[ENTRY_WORDS],
		    const uint64_t target[ENTRY_WORDS],
		    uint64_t unused_update[ENTRY_WORDS])
{
	uint64_t cur_used[ENTRY_WORDS], tgt_used[ENTRY_WORDS];
	unsigned diff = 0;

	used_fn(cur, cur_used);
	used_fn(target, tgt_used);
	for (unsigned i = 0; i < ENTRY_WORDS; i++) {
		unused_update[i] = (cur[i] & cur_used[i]) |
				   (target[i] & ~cur_used[i]);
		/*
		 * Bits only the current configuration uses may keep their
		 * old value until the switch: afterwards nothing reads them.
		 */
		if ((unused_update[i] ^ target[i]) & tgt_used[i])
			diff |= 1u << i;
	}
	return diff;
}

/* Write the words of `want` that differ from `cur`, then sync if any
 * was written. */
static int write_words(const struct entry_writer *w,
		       uint64_t cur[ENTRY_WORDS],
		       const uint64_t want[ENTRY_WORDS], unsigned first,
		       unsigned count)
{
	bool wrote = false;

	for (unsigned i = first; i < first + count; i++) {
		if (cur[i] == want[i])
			continue;
		w->write(w->ctx, i, want[i]);
		cur[i] = want[i];
		wrote = true;
	}
	return wrote ? w->sync(w->ctx) : 0;
}

static unsigned popcount8(unsigned m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

static unsigned lowest_bit(unsigned m)
{
	unsigned i = 0;

	while (!(m & (1u << i)))
		i++;
	return i;
}

int entry_write(const struct entry_writer *w, uint64_t cur[ENTRY_WORDS],
		const uint64_t target[ENTRY_WORDS])
{
	uint64_t step[ENTRY_WORDS];
	unsigned diff = entry_plan(w->used, cur, target, step);
	int r;

	if (popcount8(diff) <= 1) {
		if (diff) {
			unsigned crit = lowest_bit(diff);

			/* (a) the unused bits, leaving the critical word for
			 * its single store */
			step[crit] = cur[crit];
			r = write_words(w, cur, step, 0, ENTRY_WORDS);
			if (r)
				return r;
			/* (b) the switch: one 64-bit store */
			memcpy(step, cur, sizeof(step));
			step[crit] = target[crit];
			r = write_words(w, cur, step, 0, ENTRY_WORDS);
		} else {
			r = write_words(w, cur, step, 0, ENTRY_WORDS);
		}
		if (r)
			return r;
		/* (c) clear what the target does not use */
		return write_words(w, cur, target, 0, ENTRY_WORDS);
	}
	/* §3.21.3.1 break-before-make: invalid, body, then word 0 */
	memcpy(step, cur, sizeof(step));
	step[0] = 0;
	r = write_words(w, cur, step, 0, 1);
	if (!r)
		r = write_words(w, cur, target, 1, ENTRY_WORDS - 1);
	if (!r)
		r = write_words(w, cur, target, 0, 1);
	return r;
}
