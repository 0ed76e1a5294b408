/* SPDX-License-Identifier: MIT */
/*
 * Named bit fields: every structure field (STE, CD, command, event record,
 * register) is defined once as (64-bit word, high bit, low bit) and read or
 * written only through these helpers. No shifting by magic numbers in the
 * logic.
 *
 *   #define STE_CONFIG FLD(0, 3, 1)      // STE DW0[3:1]
 *   uint64_t cfg = fget(ste, STE_CONFIG);
 *   fset(ste, STE_CONFIG, 5);
 */
#ifndef SMMUSIM_SMMU_FIELDS_H
#define SMMUSIM_SMMU_FIELDS_H

#include <stdint.h>

struct fld {
	uint8_t dw, hi, lo;
};

#define FLD(dw_, hi_, lo_) ((struct fld){ .dw = (dw_), .hi = (hi_), .lo = (lo_) })

static inline uint64_t fld_mask(struct fld f)
{
	unsigned w = (unsigned)f.hi - f.lo + 1;

	return (w >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << w) - 1)) << f.lo;
}

static inline uint64_t fget(const uint64_t *dw, struct fld f)
{
	return (dw[f.dw] & fld_mask(f)) >> f.lo;
}

static inline void fset(uint64_t *dw, struct fld f, uint64_t v)
{
	uint64_t m = fld_mask(f);

	dw[f.dw] = (dw[f.dw] & ~m) | ((v << f.lo) & m);
}

/* The field's bits kept in place (for address fields like ADDR[55:6]). */
static inline uint64_t fget_inplace(const uint64_t *dw, struct fld f)
{
	return dw[f.dw] & fld_mask(f);
}

/* 32-bit register fields: a single word, bit range only. */
struct rfld {
	uint8_t hi, lo;
};

#define RFLD(hi_, lo_) ((struct rfld){ .hi = (hi_), .lo = (lo_) })

static inline uint64_t rmask(struct rfld f)
{
	unsigned w = (unsigned)f.hi - f.lo + 1;

	return (w >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << w) - 1)) << f.lo;
}

static inline uint64_t rget(uint64_t reg, struct rfld f)
{
	return (reg & rmask(f)) >> f.lo;
}

static inline uint64_t rset(uint64_t reg, struct rfld f, uint64_t v)
{
	return (reg & ~rmask(f)) | ((v << f.lo) & rmask(f));
}

/* Sign-extend / bit helpers used by the walkers. */
static inline uint64_t bits_mask(unsigned n)
{
	return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

#endif
