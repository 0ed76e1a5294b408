/* SPDX-License-Identifier: MIT */
/*
 * Discrete-event engine: a binary min-heap of event slots keyed by
 * (time, sequence number). Sequence numbers increase with every schedule
 * call, so equal-time events fire first-scheduled first.
 *
 * Slots live in one array and are recycled through a free list; each slot
 * remembers its heap position so cancellation is O(log n).
 */
#include "smmusim/sim.h"

#include <stdlib.h>
#include <string.h>

struct ev_slot {
	uint64_t when;
	uint64_t seq;      /* scheduling order, breaks ties between equal times */
	sim_event_fn fn;
	void *arg;
	uint32_t gen;      /* bumped on every reuse; part of the handle */
	uint32_t heap_pos; /* index in sim->heap while pending, else NOT_QUEUED */
	uint32_t next_free;
};

struct sim {
	uint64_t now;
	uint64_t next_seq;
	uint64_t fired;
	uint64_t seed;
	struct sim_prng rng;

	struct ev_slot *slots;
	uint32_t nslots, cap_slots;
	uint32_t free_head; /* NO_SLOT when empty */

	uint32_t *heap;     /* slot indices */
	uint32_t heap_len;
};

#define NO_SLOT UINT32_MAX
#define NOT_QUEUED UINT32_MAX

/*
 * A handle is (generation << 32) | (slot + 1): never 0, and a stale handle
 * (its slot reused since) no longer matches the slot's generation.
 */
static sim_event_id make_id(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)gen << 32) | ((uint64_t)slot + 1);
}

static struct ev_slot *slot_of(const struct sim *s, sim_event_id id)
{
	uint64_t low = id & UINT32_MAX;

	if (low == 0 || low > s->nslots)
		return NULL;
	struct ev_slot *e = &s->slots[low - 1];

	if (e->gen != (uint32_t)(id >> 32) || e->heap_pos == NOT_QUEUED)
		return NULL;
	return e;
}

static bool ev_before(const struct sim *s, uint32_t a, uint32_t b)
{
	const struct ev_slot *x = &s->slots[a], *y = &s->slots[b];

	if (x->when != y->when)
		return x->when < y->when;
	return x->seq < y->seq;
}

static void heap_set(struct sim *s, uint32_t pos, uint32_t slot)
{
	s->heap[pos] = slot;
	s->slots[slot].heap_pos = pos;
}

static void sift_up(struct sim *s, uint32_t pos)
{
	uint32_t slot = s->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!ev_before(s, slot, s->heap[parent]))
			break;
		heap_set(s, pos, s->heap[parent]);
		pos = parent;
	}
	heap_set(s, pos, slot);
}

static void sift_down(struct sim *s, uint32_t pos)
{
	uint32_t slot = s->heap[pos];

	for (;;) {
		uint32_t l = 2 * pos + 1, r = l + 1, best = pos;
		uint32_t best_slot = slot;

		if (l < s->heap_len && ev_before(s, s->heap[l], best_slot)) {
			best = l;
			best_slot = s->heap[l];
		}
		if (r < s->heap_len && ev_before(s, s->heap[r], best_slot)) {
			best = r;
			best_slot = s->heap[r];
		}
		if (best == pos)
			break;
		heap_set(s, pos, best_slot);
		pos = best;
	}
	heap_set(s, pos, slot);
}

static void heap_remove_at(struct sim *s, uint32_t pos)
{
	uint32_t last = s->heap[--s->heap_len];

	if (pos == s->heap_len)
		return;
	heap_set(s, pos, last);
	if (pos > 0 && ev_before(s, last, s->heap[(pos - 1) / 2]))
		sift_up(s, pos);
	else
		sift_down(s, pos);
}

static void slot_release(struct sim *s, uint32_t slot)
{
	struct ev_slot *e = &s->slots[slot];

	e->heap_pos = NOT_QUEUED;
	/*
	 * A slot whose generation would wrap is retired instead of reused:
	 * a handle must never be issued twice (sim.h), so a stale handle
	 * kept across 2^32 reuses cannot cancel an unrelated event.
	 */
	if (e->gen == UINT32_MAX)
		return;
	e->gen++;
	e->next_free = s->free_head;
	s->free_head = slot;
}

struct sim *sim_create(uint64_t seed)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->free_head = NO_SLOT;
	s->seed = seed;
	sim_prng_seed(&s->rng, seed);
	return s;
}

void sim_destroy(struct sim *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->heap);
	free(s);
}

uint64_t sim_now(const struct sim *s)
{
	return s->now;
}

uint64_t sim_queued(const struct sim *s)
{
	return s->heap_len;
}

uint64_t sim_fired(const struct sim *s)
{
	return s->fired;
}

uint64_t sim_seed(const struct sim *s)
{
	return s->seed;
}

static uint32_t slot_alloc(struct sim *s)
{
	if (s->free_head != NO_SLOT) {
		uint32_t slot = s->free_head;

		s->free_head = s->slots[slot].next_free;
		return slot;
	}
	if (s->nslots == s->cap_slots) {
		uint32_t ncap = s->cap_slots ? s->cap_slots * 2 : 64;
		struct ev_slot *ns;
		uint32_t *nh;

		if (ncap >= NO_SLOT / 2)
			return NO_SLOT;
		ns = realloc(s->slots, (size_t)ncap * sizeof(*ns));
		if (!ns)
			return NO_SLOT;
		s->slots = ns;
		nh = realloc(s->heap, (size_t)ncap * sizeof(*nh));
		if (!nh)
			return NO_SLOT;
		s->heap = nh;
		s->cap_slots = ncap;
	}
	s->slots[s->nslots].gen = 0;
	s->slots[s->nslots].heap_pos = NOT_QUEUED;
	return s->nslots++;
}

sim_event_id sim_schedule_at(struct sim *s, uint64_t when, sim_event_fn fn,
			     void *arg)
{
	uint32_t slot;

	if (!fn)
		return 0;
	if (when < s->now)
		when = s->now;
	slot = slot_alloc(s);
	if (slot == NO_SLOT)
		return 0;
	struct ev_slot *e = &s->slots[slot];

	e->when = when;
	e->seq = s->next_seq++;
	e->fn = fn;
	e->arg = arg;
	s->heap[s->heap_len] = slot;
	e->heap_pos = s->heap_len++;
	sift_up(s, e->heap_pos);
	return make_id(slot, e->gen);
}

sim_event_id sim_schedule(struct sim *s, uint64_t delay, sim_event_fn fn,
			  void *arg)
{
	uint64_t when = s->now + delay;

	if (when < s->now) /* saturate instead of wrapping into the past */
		when = UINT64_MAX;
	return sim_schedule_at(s, when, fn, arg);
}

bool sim_pending(const struct sim *s, sim_event_id id)
{
	return slot_of(s, id) != NULL;
}

bool sim_cancel(struct sim *s, sim_event_id id)
{
	struct ev_slot *e = slot_of(s, id);

	if (!e)
		return false;
	heap_remove_at(s, e->heap_pos);
	slot_release(s, (uint32_t)(e - s->slots));
	return true;
}

bool sim_step(struct sim *s)
{
	if (s->heap_len == 0)
		return false;
	uint32_t slot = s->heap[0];
	struct ev_slot *e = &s->slots[slot];
	sim_event_fn fn = e->fn;
	void *arg = e->arg;

	s->now = e->when;
	heap_remove_at(s, 0);
	slot_release(s, slot);
	s->fired++;
	fn(s, arg);
	return true;
}

uint64_t sim_run_until(struct sim *s, uint64_t until)
{
	uint64_t n = 0;

	while (s->heap_len > 0 && s->slots[s->heap[0]].when <= until) {
		sim_step(s);
		n++;
	}
	if (until > s->now)
		s->now = until;
	return n;
}

uint64_t sim_run_to_idle(struct sim *s, uint64_t max_events)
{
	uint64_t n = 0;

	while ((max_events == 0 || n < max_events) && sim_step(s))
		n++;
	return n;
}

/* --- PRNG: splitmix64 seeding xoshiro256** --- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void sim_prng_seed(struct sim_prng *p, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&x);
}

uint64_t sim_prng_next(struct sim_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_prng_below(struct sim_prng *p, uint64_t bound)
{
	if (bound == 0)
		return 0;
	/* Reject the top partial range so every value is equally likely. */
	uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
	uint64_t x;

	do {
		x = sim_prng_next(p);
	} while (x >= limit);
	return x % bound;
}

uint64_t sim_rand_u64(struct sim *s)
{
	return sim_prng_next(&s->rng);
}

uint64_t sim_rand_below(struct sim *s, uint64_t bound)
{
	return sim_prng_below(&s->rng, bound);
}
