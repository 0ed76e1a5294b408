/* SPDX-License-Identifier: MIT */
/*
 * smmusim discrete-event engine.
 *
 * Simulated time is a count of cycles (uint64_t). Events are kept in a
 * binary heap ordered by (time, sequence): two events due at the same cycle
 * fire in the order they were scheduled, so a run is a pure function of its
 * inputs and the seed of the simulation's own PRNG.
 */
#ifndef SMMUSIM_SIM_H
#define SMMUSIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim;

/* Callback run when an event fires. `sim_now()` equals the event's time. */
typedef void (*sim_event_fn)(struct sim *sim, void *arg);

/*
 * Handle of a scheduled event. 0 is never a valid handle. A handle stays
 * unique for the life of the engine, so cancelling an event that already
 * fired (or was cancelled) is detected and refused.
 */
typedef uint64_t sim_event_id;

struct sim *sim_create(uint64_t seed);
void sim_destroy(struct sim *sim);

uint64_t sim_now(const struct sim *sim);

/* Schedule `fn(sim, arg)` to run `delay` cycles from now. */
sim_event_id sim_schedule(struct sim *sim, uint64_t delay, sim_event_fn fn,
			  void *arg);
/* Schedule at an absolute time; a time in the past is treated as now. */
sim_event_id sim_schedule_at(struct sim *sim, uint64_t when, sim_event_fn fn,
			     void *arg);
/* Remove a pending event. Returns false if it already fired or is unknown. */
bool sim_cancel(struct sim *sim, sim_event_id id);
/* True while the event is still pending. */
bool sim_pending(const struct sim *sim, sim_event_id id);

/* Number of events waiting. */
uint64_t sim_queued(const struct sim *sim);
/* Events fired since creation. */
uint64_t sim_fired(const struct sim *sim);

/*
 * Fire every event due at or before `until`, then set the clock to `until`.
 * Returns the number of events fired.
 */
uint64_t sim_run_until(struct sim *sim, uint64_t until);
/*
 * Fire events until none is left or `max_events` have fired (0 = no limit).
 * Returns the number fired. The clock stays at the last event's time.
 */
uint64_t sim_run_to_idle(struct sim *sim, uint64_t max_events);
/* Fire the single earliest event; false if the queue is empty. */
bool sim_step(struct sim *sim);

/*
 * The simulation's PRNG (xoshiro256**, seeded through splitmix64). Every
 * random choice in a run comes from here, never from rand().
 */
uint64_t sim_rand_u64(struct sim *sim);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sim_rand_below(struct sim *sim, uint64_t bound);
uint64_t sim_seed(const struct sim *sim);

/* A standalone PRNG with the same algorithm, for code that has no engine. */
struct sim_prng {
	uint64_t s[4];
};
void sim_prng_seed(struct sim_prng *p, uint64_t seed);
uint64_t sim_prng_next(struct sim_prng *p);
uint64_t sim_prng_below(struct sim_prng *p, uint64_t bound);

#ifdef __cplusplus
}
#endif

#endif
