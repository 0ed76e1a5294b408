/* SPDX-License-Identifier: MIT */
/*
 * Tests of the discrete-event engine (sim/engine.c): ordering, FIFO among
 * equal times, cancellation, run_until / run_to_idle / step, counters,
 * determinism, the PRNG against an independent reference, and a heap
 * stress test against a sorted-array model.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "smmusim/sim.h"

/* --- a log of fired events: (tag, time) pairs --- */

#define LOG_MAX 4096

struct fire_log {
	unsigned n;
	uint64_t tag[LOG_MAX];
	uint64_t when[LOG_MAX];
};

static struct fire_log flog;

static void log_reset(void)
{
	memset(&flog, 0, sizeof(flog));
}

static void log_fn(struct sim *sim, void *arg)
{
	assert_true(flog.n < LOG_MAX);
	flog.tag[flog.n] = (uint64_t)(uintptr_t)arg;
	flog.when[flog.n] = sim_now(sim);
	flog.n++;
}

#define TAG(x) ((void *)(uintptr_t)(x))

/* --- ordering --- */

static void test_order_by_time(void **state)
{
	static const uint64_t times[] = { 50, 10, 30, 0, 20, 40, 1000000 };
	static const uint64_t want_tag[] = { 3, 1, 4, 2, 5, 0, 6 };
	struct sim *s = sim_create(1);

	(void)state;
	log_reset();
	for (unsigned i = 0; i < 7; i++)
		assert_int_not_equal(sim_schedule(s, times[i], log_fn, TAG(i)),
				     0);
	assert_int_equal(sim_queued(s), 7);
	assert_int_equal(sim_run_to_idle(s, 0), 7);
	assert_int_equal(flog.n, 7);
	for (unsigned i = 0; i < 7; i++) {
		expect_field(i, "order", "tag", flog.tag[i], want_tag[i]);
		expect_field(i, "order", "time", flog.when[i],
			     times[want_tag[i]]);
	}
	assert_int_equal(sim_now(s), 1000000);
	assert_int_equal(sim_queued(s), 0);
	assert_int_equal(sim_fired(s), 7);
	sim_destroy(s);
}

static void test_fifo_equal_times(void **state)
{
	struct sim *s = sim_create(2);

	(void)state;
	log_reset();
	for (unsigned i = 0; i < 100; i++)
		sim_schedule_at(s, 777, log_fn, TAG(i));
	assert_int_equal(sim_run_to_idle(s, 0), 100);
	assert_int_equal(flog.n, 100);
	for (unsigned i = 0; i < 100; i++) {
		expect_field(i, "fifo", "tag", flog.tag[i], i);
		expect_field(i, "fifo", "time", flog.when[i], 777);
	}
	sim_destroy(s);
}

/* Equal-time groups interleaved in scheduling: (time, order) sorted. */
static void test_fifo_interleaved(void **state)
{
	struct sim *s = sim_create(3);
	unsigned k = 0;

	(void)state;
	log_reset();
	/* tag i at time (i % 3) * 10: fire order 0,3,6,..,1,4,7,..,2,5,8.. */
	for (unsigned i = 0; i < 30; i++)
		sim_schedule(s, (i % 3) * 10, log_fn, TAG(i));
	sim_run_to_idle(s, 0);
	assert_int_equal(flog.n, 30);
	for (unsigned grp = 0; grp < 3; grp++)
		for (unsigned i = grp; i < 30; i += 3, k++) {
			expect_field(k, "interleave", "tag", flog.tag[k], i);
			expect_field(k, "interleave", "time", flog.when[k],
				     grp * 10);
		}
	sim_destroy(s);
}

static void test_schedule_in_past(void **state)
{
	struct sim *s = sim_create(4);

	(void)state;
	log_reset();
	assert_int_equal(sim_run_until(s, 100), 0);
	assert_int_equal(sim_now(s), 100);
	sim_schedule_at(s, 100, log_fn, TAG(1));
	sim_schedule_at(s, 5, log_fn, TAG(2));   /* past: treated as 100 */
	sim_schedule_at(s, 0, log_fn, TAG(3));   /* past: treated as 100 */
	sim_schedule_at(s, 101, log_fn, TAG(4));
	assert_int_equal(sim_run_until(s, 100), 3);
	assert_int_equal(flog.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		expect_field(i, "past", "tag", flog.tag[i], i + 1);
		expect_field(i, "past", "time", flog.when[i], 100);
	}
	assert_int_equal(sim_queued(s), 1);
	assert_int_equal(sim_run_to_idle(s, 0), 1);
	assert_int_equal(flog.when[3], 101);
	sim_destroy(s);
}

static void test_schedule_saturates_and_rejects_null(void **state)
{
	struct sim *s = sim_create(5);

	(void)state;
	log_reset();
	sim_run_until(s, 10);
	assert_int_equal(sim_schedule(s, 1, NULL, NULL), 0);
	assert_int_equal(sim_schedule_at(s, 1, NULL, NULL), 0);
	assert_int_equal(sim_queued(s), 0);
	/* now + delay would wrap: saturates at UINT64_MAX, not the past */
	sim_schedule(s, UINT64_MAX - 5, log_fn, TAG(9));
	assert_int_equal(sim_run_until(s, UINT64_MAX - 1), 0);
	assert_int_equal(sim_now(s), UINT64_MAX - 1);
	assert_true(sim_step(s));
	assert_int_equal(flog.n, 1);
	assert_int_equal(flog.when[0], UINT64_MAX);
	assert_int_equal(sim_now(s), UINT64_MAX);
	sim_destroy(s);
}

/* --- cancellation --- */

static void test_cancel_basic(void **state)
{
	struct sim *s = sim_create(6);
	sim_event_id a, b, c;

	(void)state;
	log_reset();
	a = sim_schedule(s, 10, log_fn, TAG(1));
	b = sim_schedule(s, 20, log_fn, TAG(2));
	c = sim_schedule(s, 30, log_fn, TAG(3));
	assert_true(a != 0 && b != 0 && c != 0);
	assert_true(a != b && b != c && a != c);
	assert_true(sim_pending(s, b));
	assert_true(sim_cancel(s, b));
	assert_false(sim_pending(s, b));
	assert_false(sim_cancel(s, b)); /* double cancel */
	assert_int_equal(sim_queued(s), 2);

	assert_true(sim_step(s)); /* a fires */
	assert_false(sim_pending(s, a));
	assert_false(sim_cancel(s, a)); /* already fired */
	assert_int_equal(sim_run_to_idle(s, 0), 1);
	assert_int_equal(flog.n, 2);
	assert_int_equal(flog.tag[0], 1);
	assert_int_equal(flog.tag[1], 3);
	assert_int_equal(sim_fired(s), 2);

	/* never-valid and made-up handles */
	assert_false(sim_cancel(s, 0));
	assert_false(sim_pending(s, 0));
	assert_false(sim_cancel(s, UINT64_MAX));
	assert_false(sim_cancel(s, 0x12345678ull << 32 | 1));
	assert_false(sim_cancel(s, 1000000));
	sim_destroy(s);
}

static void test_cancel_stale_after_reuse(void **state)
{
	struct sim *s = sim_create(7);
	sim_event_id a, b, f, g;

	(void)state;
	log_reset();
	a = sim_schedule(s, 10, log_fn, TAG(1));
	assert_true(sim_cancel(s, a));
	b = sim_schedule(s, 10, log_fn, TAG(2)); /* reuses a's slot */
	assert_true(b != a);
	assert_true((b & UINT32_MAX) == (a & UINT32_MAX)); /* same slot */
	assert_false(sim_pending(s, a));
	assert_false(sim_cancel(s, a)); /* stale: must not hit b */
	assert_true(sim_pending(s, b));
	assert_int_equal(sim_queued(s), 1);

	/* same through firing: f fires, g reuses its slot */
	f = b;
	assert_true(sim_step(s));
	g = sim_schedule(s, 5, log_fn, TAG(3));
	assert_true(g != f);
	assert_false(sim_cancel(s, f));
	assert_true(sim_pending(s, g));
	assert_int_equal(sim_run_to_idle(s, 0), 1);
	assert_int_equal(flog.n, 2);
	assert_int_equal(flog.tag[0], 2);
	assert_int_equal(flog.tag[1], 3);
	assert_int_equal(flog.when[1], 15);
	sim_destroy(s);
}

struct canceller {
	sim_event_id victim[3];
	sim_event_id self;
	bool result[3];
	bool self_result;
	bool self_pending;
};

static void cancel_fn(struct sim *sim, void *arg)
{
	struct canceller *c = arg;

	log_fn(sim, TAG(100));
	for (unsigned i = 0; i < 3; i++)
		c->result[i] = sim_cancel(sim, c->victim[i]);
	c->self_pending = sim_pending(sim, c->self);
	c->self_result = sim_cancel(sim, c->self);
}

static void test_cancel_from_callback(void **state)
{
	struct sim *s = sim_create(8);
	struct canceller c;

	(void)state;
	log_reset();
	memset(&c, 0, sizeof(c));
	sim_schedule(s, 10, log_fn, TAG(1));
	c.self = sim_schedule(s, 10, cancel_fn, &c);
	c.victim[0] = sim_schedule(s, 10, log_fn, TAG(2)); /* same time */
	c.victim[1] = sim_schedule(s, 50, log_fn, TAG(3)); /* later */
	c.victim[2] = sim_schedule(s, 5, log_fn, TAG(4));  /* fired first */
	sim_schedule(s, 60, log_fn, TAG(5));
	assert_int_equal(sim_run_to_idle(s, 0), 4);
	assert_true(c.result[0]);
	assert_true(c.result[1]);
	assert_false(c.result[2]);
	assert_false(c.self_pending); /* a firing event is no longer pending */
	assert_false(c.self_result);
	assert_int_equal(flog.n, 4);
	static const uint64_t want[] = { 4, 1, 100, 5 };

	for (unsigned i = 0; i < 4; i++)
		expect_field(i, "cancel-cb", "tag", flog.tag[i], want[i]);
	assert_int_equal(sim_fired(s), 4);
	assert_int_equal(sim_queued(s), 0);
	sim_destroy(s);
}

/* --- scheduling from callbacks --- */

struct chain {
	unsigned left;
	uint64_t delay;
};

static void chain_fn(struct sim *sim, void *arg)
{
	struct chain *c = arg;

	log_fn(sim, TAG(c->left));
	if (c->left--)
		sim_schedule(sim, c->delay, chain_fn, c);
}

static void test_schedule_from_callback(void **state)
{
	struct sim *s = sim_create(9);
	struct chain c = { .left = 5, .delay = 7 };

	(void)state;
	log_reset();
	sim_schedule(s, 3, chain_fn, &c);
	assert_int_equal(sim_run_to_idle(s, 0), 6);
	assert_int_equal(flog.n, 6);
	for (unsigned i = 0; i < 6; i++) {
		expect_field(i, "chain", "tag", flog.tag[i], 5 - i);
		expect_field(i, "chain", "time", flog.when[i], 3 + 7 * i);
	}
	assert_int_equal(sim_now(s), 38);
	sim_destroy(s);
}

static void zero_delay_fn(struct sim *sim, void *arg)
{
	log_fn(sim, arg);
	/* delay 0 from a callback: after everything already due now */
	sim_schedule(sim, 0, log_fn, TAG(99));
}

static void test_zero_delay_from_callback_is_fifo(void **state)
{
	struct sim *s = sim_create(10);

	(void)state;
	log_reset();
	sim_schedule(s, 4, zero_delay_fn, TAG(1));
	sim_schedule(s, 4, log_fn, TAG(2));
	sim_schedule(s, 4, log_fn, TAG(3));
	sim_schedule(s, 5, log_fn, TAG(4));
	assert_int_equal(sim_run_until(s, 4), 4);
	static const uint64_t want[] = { 1, 2, 3, 99 };

	for (unsigned i = 0; i < 4; i++) {
		expect_field(i, "zero", "tag", flog.tag[i], want[i]);
		expect_field(i, "zero", "time", flog.when[i], 4);
	}
	assert_int_equal(sim_queued(s), 1);
	sim_destroy(s);
}

/* --- run_until, run_to_idle, step, counters --- */

static void late_fn(struct sim *sim, void *arg)
{
	log_fn(sim, arg);
	sim_schedule(sim, 1, log_fn, TAG(50));  /* at 21: after until */
	sim_schedule(sim, 0, log_fn, TAG(51));  /* at 20: inside */
}

static void test_run_until(void **state)
{
	struct sim *s = sim_create(11);

	(void)state;
	log_reset();
	sim_schedule_at(s, 10, log_fn, TAG(1));
	sim_schedule_at(s, 20, late_fn, TAG(2));
	sim_schedule_at(s, 30, log_fn, TAG(3));
	sim_schedule_at(s, 31, log_fn, TAG(4));

	assert_int_equal(sim_run_until(s, 9), 0);
	assert_int_equal(sim_now(s), 9);
	assert_int_equal(sim_run_until(s, 20), 3);
	assert_int_equal(sim_now(s), 20);
	assert_int_equal(sim_queued(s), 3);
	assert_int_equal(flog.n, 3);
	assert_int_equal(flog.tag[2], 51);

	/* until in the past: nothing fires and the clock never goes back */
	assert_int_equal(sim_run_until(s, 15), 0);
	assert_int_equal(sim_now(s), 20);

	assert_int_equal(sim_run_until(s, 30), 2);
	assert_int_equal(sim_now(s), 30);
	assert_int_equal(flog.tag[3], 50);
	assert_int_equal(flog.when[3], 21);
	assert_int_equal(flog.tag[4], 3);

	/* empty queue past the last event: clock goes to until */
	assert_int_equal(sim_run_until(s, 1000), 1);
	assert_int_equal(sim_now(s), 1000);
	assert_int_equal(sim_run_until(s, 2000), 0);
	assert_int_equal(sim_now(s), 2000);
	assert_int_equal(sim_fired(s), 6);
	sim_destroy(s);
}

static void test_run_to_idle_max(void **state)
{
	struct sim *s = sim_create(12);

	(void)state;
	log_reset();
	for (unsigned i = 0; i < 10; i++)
		sim_schedule(s, 100 + 10 * i, log_fn, TAG(i));
	assert_int_equal(sim_run_to_idle(s, 3), 3);
	assert_int_equal(sim_now(s), 120); /* last fired event's time */
	assert_int_equal(sim_queued(s), 7);
	assert_int_equal(sim_fired(s), 3);
	assert_int_equal(sim_run_to_idle(s, 1), 1);
	assert_int_equal(sim_now(s), 130);
	assert_int_equal(sim_run_to_idle(s, 0), 6);
	assert_int_equal(sim_now(s), 190);
	assert_int_equal(sim_run_to_idle(s, 0), 0);
	assert_int_equal(sim_run_to_idle(s, 5), 0);
	assert_int_equal(sim_now(s), 190);
	assert_int_equal(sim_fired(s), 10);
	for (unsigned i = 0; i < 10; i++)
		expect_field(i, "idle", "tag", flog.tag[i], i);
	sim_destroy(s);
}

static void test_step_and_counts(void **state)
{
	struct sim *s = sim_create(13);
	sim_event_id id;

	(void)state;
	log_reset();
	assert_false(sim_step(s));
	assert_int_equal(sim_fired(s), 0);
	assert_int_equal(sim_queued(s), 0);
	assert_int_equal(sim_now(s), 0);
	assert_int_equal(sim_seed(s), 13);

	sim_schedule(s, 8, log_fn, TAG(1));
	id = sim_schedule(s, 4, log_fn, TAG(2));
	sim_schedule(s, 6, log_fn, TAG(3));
	assert_int_equal(sim_queued(s), 3);
	assert_true(sim_step(s));
	assert_int_equal(sim_now(s), 4);
	assert_int_equal(flog.tag[0], 2);
	assert_int_equal(sim_fired(s), 1);
	assert_int_equal(sim_queued(s), 2);
	assert_false(sim_cancel(s, id));
	assert_true(sim_step(s));
	assert_true(sim_step(s));
	assert_int_equal(sim_now(s), 8);
	assert_false(sim_step(s));
	assert_int_equal(sim_now(s), 8);
	assert_int_equal(sim_fired(s), 3);
	assert_int_equal(sim_queued(s), 0);
	/* cancelled events count as neither fired nor queued */
	id = sim_schedule(s, 1, log_fn, TAG(4));
	assert_int_equal(sim_queued(s), 1);
	assert_true(sim_cancel(s, id));
	assert_int_equal(sim_queued(s), 0);
	assert_int_equal(sim_fired(s), 3);
	sim_destroy(s);
}

/* --- determinism --- */

struct det_run {
	uint64_t hash;
	uint64_t last_time;
	unsigned fired;
	unsigned children;
	bool monotonic;
};

static void fnv_mix(uint64_t *h, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		*h ^= (v >> (8 * i)) & 0xff;
		*h *= UINT64_C(0x100000001b3);
	}
}

static struct det_run *det_cur;

static void det_fn(struct sim *sim, void *arg)
{
	struct det_run *d = det_cur;
	uint64_t tag = (uint64_t)(uintptr_t)arg;

	if (sim_now(sim) < d->last_time)
		d->monotonic = false;
	d->last_time = sim_now(sim);
	fnv_mix(&d->hash, tag);
	fnv_mix(&d->hash, sim_now(sim));
	d->fired++;
	/* Some events spawn a child at a random future time. */
	if (d->children < 2000 && sim_rand_below(sim, 4) == 0) {
		d->children++;
		sim_schedule(sim, sim_rand_below(sim, 300), det_fn,
			     TAG(1000000 + d->children));
	}
}

static void det_run(uint64_t seed, struct det_run *d)
{
	struct sim *s = sim_create(seed);
	sim_event_id ids[10000];

	memset(d, 0, sizeof(*d));
	d->hash = UINT64_C(0xcbf29ce484222325);
	d->monotonic = true;
	det_cur = d;
	for (unsigned i = 0; i < 10000; i++)
		ids[i] = sim_schedule(s, sim_rand_below(s, 5000), det_fn,
				      TAG(i));
	/* cancel a random tenth of them */
	for (unsigned i = 0; i < 1000; i++)
		sim_cancel(s, ids[sim_rand_below(s, 10000)]);
	sim_run_to_idle(s, 0);
	assert_int_equal(sim_queued(s), 0);
	assert_int_equal(sim_fired(s), d->fired);
	sim_destroy(s);
	det_cur = NULL;
}

static void test_determinism(void **state)
{
	struct det_run a, b, c;

	(void)state;
	det_run(42, &a);
	det_run(42, &b);
	det_run(43, &c);
	assert_true(a.monotonic && b.monotonic && c.monotonic);
	assert_true(a.fired > 9000); /* at most 1000 cancelled */
	assert_true(a.children > 0);
	assert_int_equal(a.hash, b.hash);
	assert_int_equal(a.fired, b.fired);
	assert_int_equal(a.last_time, b.last_time);
	assert_int_not_equal(a.hash, c.hash);
}

/* --- PRNG --- */

/*
 * Reference PRNG written from the published definitions (Vigna):
 * splitmix64 fills the four words of xoshiro256** state; each output is
 * rotl(s1 * 5, 7) * 9 followed by the xorshift state update.
 */
struct ref_rng {
	uint64_t w[4];
};

static uint64_t ref_rotl(uint64_t v, unsigned k)
{
	return (v << k) | (v >> (64 - k));
}

static void ref_seed(struct ref_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (unsigned i = 0; i < 4; i++) {
		uint64_t z;

		x += UINT64_C(0x9e3779b97f4a7c15);
		z = x;
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		r->w[i] = z ^ (z >> 31);
	}
}

static uint64_t ref_next(struct ref_rng *r)
{
	uint64_t out = ref_rotl(r->w[1] * 5, 7) * 9;
	uint64_t t = r->w[1] << 17;

	r->w[2] ^= r->w[0];
	r->w[3] ^= r->w[1];
	r->w[1] ^= r->w[2];
	r->w[0] ^= r->w[3];
	r->w[2] ^= t;
	r->w[3] = ref_rotl(r->w[3], 45);
	return out;
}

static void test_prng_reference(void **state)
{
	/* First outputs, computed by a separate (Python) implementation. */
	static const uint64_t want[2][6] = {
		{ UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
		  UINT64_C(0x1a5f849d4933e6e0), UINT64_C(0x6aa594f1262d2d2c),
		  UINT64_C(0xbba5ad4a1f842e59), UINT64_C(0xffef8375d9ebcaca) },
		{ UINT64_C(0xb3f2af6d0fc710c5), UINT64_C(0x853b559647364cea),
		  UINT64_C(0x92f89756082a4514), UINT64_C(0x642e1c7bc266a3a7),
		  UINT64_C(0xb27a48e29a233673), UINT64_C(0x24c123126ffda722) },
	};
	struct ref_rng r;
	struct sim_prng p;

	(void)state;
	/* splitmix64(0) published first output */
	ref_seed(&r, 0);
	assert_int_equal(r.w[0], UINT64_C(0xe220a8397b1dcdaf));

	for (uint64_t seed = 0; seed < 2; seed++) {
		struct sim *s = sim_create(seed);

		ref_seed(&r, seed);
		sim_prng_seed(&p, seed);
		for (unsigned i = 0; i < 6; i++) {
			uint64_t v = sim_prng_next(&p);

			expect_field(i, seed ? "seed1" : "seed0", "ref",
				     ref_next(&r), want[seed][i]);
			expect_field(i, seed ? "seed1" : "seed0", "prng", v,
				     want[seed][i]);
			expect_field(i, seed ? "seed1" : "seed0", "sim",
				     sim_rand_u64(s), want[seed][i]);
		}
		sim_destroy(s);
	}
	/* longer agreement for a few more seeds */
	static const uint64_t seeds[] = { 2, 0xdeadbeef, UINT64_MAX };

	for (unsigned k = 0; k < 3; k++) {
		ref_seed(&r, seeds[k]);
		sim_prng_seed(&p, seeds[k]);
		for (unsigned i = 0; i < 10000; i++)
			expect_field(i, "long", "value", sim_prng_next(&p),
				     ref_next(&r));
	}
}

static void test_prng_below(void **state)
{
	static const uint64_t bounds[] = {
		1, 2, 3, 5, 7, 10, 1000, (UINT64_C(1) << 32) + 1,
		UINT64_C(1) << 63, (UINT64_C(1) << 63) + 1, UINT64_MAX - 1,
		UINT64_MAX,
	};
	struct sim_prng p;
	unsigned counts[3] = { 0 };

	(void)state;
	sim_prng_seed(&p, 77);
	for (unsigned b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++)
		for (unsigned i = 0; i < 20000; i++) {
			uint64_t v = sim_prng_below(&p, bounds[b]);

			if (v >= bounds[b])
				fail_msg("bound %llu gave %llu",
					 (unsigned long long)bounds[b],
					 (unsigned long long)v);
		}
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(sim_prng_below(&p, 0), 0);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(sim_prng_below(&p, 1), 0);
	/* rough uniformity: each of 3 values within 3% of 1/3 */
	for (unsigned i = 0; i < 90000; i++)
		counts[sim_prng_below(&p, 3)]++;
	for (unsigned i = 0; i < 3; i++)
		assert_in_range(counts[i], 29100, 30900);

	/* sim_rand_below draws from the engine's stream the same way */
	struct sim *s = sim_create(5);

	sim_prng_seed(&p, 5);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(sim_rand_below(s, 1000 + i),
				 sim_prng_below(&p, 1000 + i));
	assert_int_equal(sim_rand_below(s, 0), 0);
	sim_destroy(s);
}

/* --- heap stress against a sorted-array model --- */

struct model_ev {
	uint64_t when, order, tag;
	sim_event_id id;
};

struct model {
	struct model_ev *v;
	unsigned n, cap;
};

static bool model_before(const struct model_ev *a, const struct model_ev *b)
{
	return a->when != b->when ? a->when < b->when : a->order < b->order;
}

static void model_insert(struct model *m, struct model_ev e)
{
	unsigned lo = 0, hi = m->n;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		assert_non_null(m->v);
	}
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (model_before(&m->v[mid], &e))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&m->v[lo + 1], &m->v[lo], (m->n - lo) * sizeof(*m->v));
	m->v[lo] = e;
	m->n++;
}

static void model_remove(struct model *m, unsigned i)
{
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
}

static uint64_t stress_last_tag;
static uint64_t stress_fires;

static void stress_fn(struct sim *sim, void *arg)
{
	(void)sim;
	stress_last_tag = (uint64_t)(uintptr_t)arg;
	stress_fires++;
}

#define DEAD_MAX 1024

static void test_heap_stress(void **state)
{
	struct sim *s = sim_create(99);
	struct sim_prng r;
	struct model m = { 0 };
	sim_event_id dead[DEAD_MAX];
	unsigned ndead = 0;
	uint64_t order = 0, tag = 1, expect_fired = 0;

	(void)state;
	sim_prng_seed(&r, 1234);
	stress_fires = 0;
	for (unsigned op = 0; op < 100000; op++) {
		uint64_t dice = sim_prng_below(&r, 100);

		if (dice < 45 || m.n == 0) {
			/* schedule; small range of delays forces ties */
			struct model_ev e;
			uint64_t delay = sim_prng_below(&r, 2) ?
					 sim_prng_below(&r, 16) :
					 sim_prng_below(&r, 100000);

			e.when = sim_now(s) + delay;
			e.order = order++;
			e.tag = tag++;
			e.id = sim_schedule(s, delay, stress_fn,
					    TAG(e.tag));
			assert_int_not_equal(e.id, 0);
			model_insert(&m, e);
		} else if (dice < 70) {
			/* cancel a random live event */
			unsigned i = (unsigned)sim_prng_below(&r, m.n);

			assert_true(sim_pending(s, m.v[i].id));
			assert_true(sim_cancel(s, m.v[i].id));
			dead[ndead++ % DEAD_MAX] = m.v[i].id;
			model_remove(&m, i);
		} else if (dice < 78 && ndead) {
			/* cancel a dead handle: refused */
			sim_event_id id = dead[sim_prng_below(
				&r, ndead < DEAD_MAX ? ndead : DEAD_MAX)];

			assert_false(sim_pending(s, id));
			assert_false(sim_cancel(s, id));
		} else if (dice < 95) {
			/* fire the earliest: must be the model's head */
			assert_true(sim_step(s));
			expect_fired++;
			if (stress_last_tag != m.v[0].tag)
				fail_msg("op %u: fired tag %llu, model %llu",
					 op,
					 (unsigned long long)stress_last_tag,
					 (unsigned long long)m.v[0].tag);
			assert_int_equal(sim_now(s), m.v[0].when);
			dead[ndead++ % DEAD_MAX] = m.v[0].id;
			model_remove(&m, 0);
		} else {
			/* run_until a bit ahead: fires the model's prefix */
			uint64_t until = sim_now(s) + sim_prng_below(&r, 64);
			unsigned k = 0;

			while (k < m.n && m.v[k].when <= until)
				k++;
			assert_int_equal(sim_run_until(s, until), k);
			expect_fired += k;
			if (k)
				assert_int_equal(stress_last_tag,
						 m.v[k - 1].tag);
			for (unsigned i = 0; i < k; i++)
				dead[ndead++ % DEAD_MAX] = m.v[i].id;
			memmove(&m.v[0], &m.v[k], (m.n - k) * sizeof(*m.v));
			m.n -= k;
			assert_int_equal(sim_now(s), until);
		}
		if (sim_queued(s) != m.n)
			fail_msg("op %u: queued %llu, model %u", op,
				 (unsigned long long)sim_queued(s), m.n);
	}
	assert_int_equal(sim_fired(s), expect_fired);
	assert_int_equal(stress_fires, expect_fired);
	/* drain: the rest fires in model order */
	for (unsigned i = 0; i < m.n; i++) {
		assert_true(sim_step(s));
		expect_field(i, "drain", "tag", stress_last_tag, m.v[i].tag);
		expect_field(i, "drain", "time", sim_now(s), m.v[i].when);
	}
	assert_false(sim_step(s));
	free(m.v);
	sim_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_by_time),
		cmocka_unit_test(test_fifo_equal_times),
		cmocka_unit_test(test_fifo_interleaved),
		cmocka_unit_test(test_schedule_in_past),
		cmocka_unit_test(test_schedule_saturates_and_rejects_null),
		cmocka_unit_test(test_cancel_basic),
		cmocka_unit_test(test_cancel_stale_after_reuse),
		cmocka_unit_test(test_cancel_from_callback),
		cmocka_unit_test(test_schedule_from_callback),
		cmocka_unit_test(test_zero_delay_from_callback_is_fifo),
		cmocka_unit_test(test_run_until),
		cmocka_unit_test(test_run_to_idle_max),
		cmocka_unit_test(test_step_and_counts),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_prng_reference),
		cmocka_unit_test(test_prng_below),
		cmocka_unit_test(test_heap_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
