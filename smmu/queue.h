/* SPDX-License-Identifier: MIT */
/*
 * Queue index arithmetic shared by the command, event and PRI queues
 * (IHI 0070 §3.5; facts §2.1).
 *
 * A PROD/CONS index register holds, for a queue of 2^QS entries, the entry
 * index in bits [QS-1:0] and the wrap flag in bit QS. The queue is empty
 * when index and wrap are both equal, full when the indexes are equal and
 * the wrap flags differ. Incrementing carries out of the index into the
 * wrap flag.
 */
#ifndef SMMUSIM_SMMU_QUEUE_H
#define SMMUSIM_SMMU_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "smmu/fields.h"

/* Index of the entry a pointer designates. */
static inline uint32_t q_idx(uint32_t p, unsigned qs)
{
	return (uint32_t)(p & bits_mask(qs));
}

/* Wrap flag, bit QS. */
static inline uint32_t q_wrap(uint32_t p, unsigned qs)
{
	return (uint32_t)rget(p, RFLD(qs, qs));
}

/* {wrap, index}: the bits of a PROD/CONS field that are in use. */
static inline uint32_t q_ptr(uint32_t p, unsigned qs)
{
	return (uint32_t)(p & bits_mask(qs + 1));
}

static inline bool q_empty(uint32_t prod, uint32_t cons, unsigned qs)
{
	return q_ptr(prod, qs) == q_ptr(cons, qs);
}

static inline bool q_full(uint32_t prod, uint32_t cons, unsigned qs)
{
	return q_idx(prod, qs) == q_idx(cons, qs) &&
	       q_wrap(prod, qs) != q_wrap(cons, qs);
}

/* §3.5: the carry out of the index flips the wrap flag. */
static inline uint32_t q_inc(uint32_t p, unsigned qs)
{
	return q_ptr(p + 1, qs);
}

/* Entries between cons and prod (0 .. 2^QS). */
static inline uint32_t q_used(uint32_t prod, uint32_t cons, unsigned qs)
{
	return q_ptr(prod - cons, qs);
}

#endif
