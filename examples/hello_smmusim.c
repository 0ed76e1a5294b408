/* SPDX-License-Identifier: MIT */
/*
 * The smallest program against an installed libsmmusim: a simulated
 * machine with 1 MiB of RAM, one timed store and load, and an event that
 * fires when the load's latency has elapsed.
 */
#include <inttypes.h>
#include <stdio.h>

#include <smmusim/mem.h>
#include <smmusim/sim.h>

struct done {
	uint64_t value;
	int fired;
};

static void on_done(struct sim *sim, void *arg)
{
	struct done *d = arg;

	d->fired = 1;
	printf("cycle %" PRIu64 ": read back 0x%016" PRIx64 "\n", sim_now(sim),
	       d->value);
}

int main(void)
{
	struct sim *sim = sim_create(1);
	struct pmem *mem = pmem_create();
	struct done d = { 0 };
	uint64_t cycles = 0;

	if (!sim || !mem || pmem_add_ram(mem, 0x80000000, 1 << 20) < 0)
		return 1;
	if (pmem_write64(mem, 0x80001000, 0x1122334455667788, &cycles) ||
	    pmem_read64(mem, 0x80001000, &d.value, &cycles))
		return 1;
	sim_schedule(sim, cycles, on_done, &d);
	sim_run_to_idle(sim, 0);
	pmem_destroy(mem);
	sim_destroy(sim);
	return d.fired ? 0 : 1;
}
