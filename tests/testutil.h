/* SPDX-License-Identifier: MIT */
/* Shared helpers for the cmocka tests. */
#ifndef SMMUSIM_TESTUTIL_H
#define SMMUSIM_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * Table-driven checks: compare a value and, on mismatch, fail naming the
 * table row and the field that differed, e.g.
 *   row 3 (4K L1 block) field OA: got 0x40000000, expected 0x40200000
 */
#define expect_field(row, rowname, field, got, want)                          \
	do {                                                                  \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);         \
		if (g_ != w_)                                                 \
			fail_msg("row %d (%s) field %s: got 0x%llx, expected " \
				 "0x%llx",                                    \
				 (int)(row), (rowname), (field),              \
				 (unsigned long long)g_,                      \
				 (unsigned long long)w_);                     \
	} while (0)

#endif
