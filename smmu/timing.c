/* SPDX-License-Identifier: MIT */
/*
 * Timing resources: each contended resource of the SMMU (translation
 * slots, walk slots) is a counting semaphore whose slots remember the cycle
 * at which they become free. A transaction acquires a slot, waits for it,
 * pays its latency and releases it at completion. docs/timing.md.
 * Which slot a transaction takes never matters, only when the earliest
 * one frees, so the slots are a min-heap of free times.
 */
#include "smmu/smmu_internal.h"

#include <stdlib.h>

struct sem {
	uint32_t n;
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
		t->res[i].n = n[i] ? n[i] : 1;
		t->res[i].free_at = calloc(t->res[i].n, sizeof(uint64_t));
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
 * The slots are kept as a binary min-heap of free times, so the slot that
 * frees first is the root: acquiring is a root update and one sift-down.
 */
uint64_t timing_acquire(struct smmu *smmu, enum smmu_resource r,
			uint64_t ready, uint64_t hold)
{
	struct sem *s = &smmu->timing->res[r];
	uint64_t *h = s->free_at;
	uint64_t start = ready > h[0] ? ready : h[0];
	uint64_t v = start + hold;
	uint32_t i = 0;

	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < s->n && h[l] < v)
			m = l;
		if (l + 1 < s->n && h[l + 1] < (m == i ? v : h[m]))
			m = l + 1;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = v;
	return start;
}

uint64_t timing_drain_time(const struct smmu *smmu, enum smmu_resource r)
{
	const struct sem *s = &smmu->timing->res[r];
	uint64_t t = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->free_at[i] > t)
			t = s->free_at[i];
	return t;
}
