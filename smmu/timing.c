/* SPDX-License-Identifier: MIT */
/*
 * Timing resources: each contended resource of the SMMU (translation
 * slots, walk slots) is a counting semaphore whose slots remember the cycle
 * at which they become free. A transaction acquires a slot, waits for it,
 * pays its latency and releases it at completion. docs/timing.md.
 * Which slot a transaction takes never matters, only when the earliest
 * one frees, so a resource is just the multiset of its slots' free times,
 * kept sorted (see timing_acquire).
 */
#include "smmu/smmu_internal.h"

#include <stdlib.h>

/*
 * The n free times in ascending order, in a ring of a power-of-two size:
 * free_at[head] frees first, free_at[(head + n - 1) & mask] last.
 */
struct sem {
	uint32_t n;
	uint32_t head;
	uint32_t mask;         /* ring size - 1 */
	uint64_t *free_at;
};

struct smmu_timing {
	struct sem res[RES_COUNT];
};

struct smmu_timing *timing_create(struct smmu *smmu)
{
	struct smmu_timing *t = calloc(1, sizeof(*t));
	uint32_t n[RES_COUNT] = { smmu->impl.max_translations,
				  smmu->impl.max_walks };

	if (!t)
		return NULL;
	for (int i = 0; i < RES_COUNT; i++) {
		uint32_t size = 1;

		t->res[i].n = n[i] ? n[i] : 1;
		while (size < t->res[i].n && size <= UINT32_MAX / 2)
			size *= 2;
		t->res[i].mask = size - 1;
		t->res[i].free_at = size < t->res[i].n ?
					    NULL :
					    calloc(size, sizeof(uint64_t));
		if (!t->res[i].free_at) {
			timing_destroy(t);
			return NULL;
		}
	}
	return t;
}

void timing_destroy(struct smmu_timing *t)
{
	if (!t)
		return;
	for (int i = 0; i < RES_COUNT; i++)
		free(t->res[i].free_at);
	free(t);
}

/*
 * Take the slot that frees first (the head), and put its new free time
 * in order after the others. It usually belongs last (work tends to
 * finish in the order it starts); otherwise later times move up one
 * place each.
 *
 * Always inlined: with link-time optimisation, into the translation
 * path of translate.c.
 */
__attribute__((always_inline)) inline uint64_t
timing_acquire(struct smmu *smmu, enum smmu_resource r, uint64_t ready,
	       uint64_t hold)
{
	struct sem *s = &smmu->timing->res[r];
	uint64_t *a = s->free_at;
	uint32_t m = s->mask, first = (s->head + 1) & m;
	uint32_t j = (s->head + s->n) & m;  /* the new last place */
	uint64_t start = ready > a[s->head] ? ready : a[s->head];
	uint64_t v = start + hold;

	s->head = first;
	while (j != first) {
		uint32_t p = (j - 1) & m;

		if (a[p] <= v)
			break;
		a[j] = a[p];
		j = p;
	}
	a[j] = v;
	return start;
}

uint64_t timing_drain_time(const struct smmu *smmu, enum smmu_resource r)
{
	const struct sem *s = &smmu->timing->res[r];

	return s->free_at[(s->head + s->n - 1) & s->mask];
}
