/* SPDX-License-Identifier: MIT */
/*
 * smmusim demo: a complete round trip through the model, programmed only
 * over MMIO and memory. A process's buffer is mapped by a stage-1 page
 * table; a device with StreamID 0x42 reads it and writes its bitwise
 * complement back through the SMMU; the host checks the data, then the
 * device touches an unmapped page and the host reads the resulting
 * F_TRANSLATION record from the event queue.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"

const char cmd_demo_usage[] =
	"usage: smmusim demo [--preset NAME] [--seed N] [--pages N]\n"
	"\n"
	"Program a model SMMU over MMIO (stream table, CD, stage-1 page\n"
	"table), DMA through it from a device and check the data and the\n"
	"fault event. Prints PASS or FAIL.\n"
	"\n"
	"  --preset NAME  implementation preset (default: full)\n"
	"  --seed N       simulation seed (default: 1)\n"
	"  --pages N      4 KiB pages in the DMA buffer, 1..4096 (default: 16)\n";

#define DEMO_SID 0x42u
#define DEMO_VA UINT64_C(0x00007f0000000000)
#define DEMO_ASID 7u

struct dma_state {
	struct pmem *mem;
	uint64_t done, ok, faults, latency_sum, max_latency;
	uint64_t last_oa;
	enum smmu_resp last_resp;
};

static void dma_done(void *ctx, const struct smmu_txn *txn,
		     const struct smmu_txn_result *res)
{
	struct dma_state *d = ctx;
	uint64_t lat = res->completed_at - res->submitted_at;

	(void)txn;
	d->done++;
	d->latency_sum += lat;
	if (lat > d->max_latency)
		d->max_latency = lat;
	d->last_resp = res->resp;
	d->last_oa = res->oa;
	if (res->resp == SMMU_RESP_OK)
		d->ok++;
	else
		d->faults++;
}

/* One device access of 8 bytes at va: translate, then touch memory. */
static bool dma8(struct platform *p, struct dma_state *d, uint64_t va,
		 bool write, uint64_t *val)
{
	struct smmu_txn t = { .sid = DEMO_SID, .addr = va, .len = 8,
			      .write = write };

	if (!smmu_submit(p->smmu, &t, dma_done, d))
		return false;
	sim_run_to_idle(p->sim, 0);
	if (d->last_resp != SMMU_RESP_OK)
		return false;
	if (write)
		return pmem_write64(p->mem, d->last_oa, *val, NULL) == MEM_OK;
	return pmem_read64(p->mem, d->last_oa, val, NULL) == MEM_OK;
}

int cmd_demo(int argc, char **argv)
{
	const char *preset = "full";
	uint64_t seed = 1, pages = 16;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--preset") && i + 1 < argc) {
			preset = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			if (!cli_parse_u64("demo", "--seed", argv[++i], &seed))
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			if (!cli_parse_u64("demo", "--pages", argv[++i],
					   &pages))
				return EXIT_USAGE;
			if (pages < 1 || pages > 4096)
				return cli_usage_error("demo",
						       "--pages: %" PRIu64
						       " is not in 1..4096",
						       pages);
		} else {
			return cli_usage_error("demo", "unknown option '%s'",
					       argv[i]);
		}
	}
	struct smmu_impl impl;

	if (!smmu_impl_preset(preset, &impl))
		return cli_usage_error("demo", "--preset: unknown preset '%s'",
				       preset);

	struct platform p;
	char err[256];

	if (!platform_create(&p, &impl, seed, 16, err, sizeof(err))) {
		fprintf(stderr, "smmusim demo: %s\n", err);
		return EXIT_FAILED;
	}
	/* The process: a stage-1 4K table with 48-bit VAs and a buffer. */
	struct pgtable pt = { 0 };
	uint64_t bytes = pages * 4096;
	uint64_t buf = hostmem_alloc(p.hm, bytes, 4096);
	uint64_t cd_table = hostmem_alloc(p.hm, 64, 64);
	uint64_t ste[8], cd[8];
	int rc = EXIT_FAILED;

	if (!buf || !cd_table || !pgtable_init(&pt, p.hm, 1, 12, 48) ||
	    !pgtable_map(&pt, DEMO_VA, buf, bytes, PT_R | PT_W | PT_USER | PT_NG)) {
		fprintf(stderr, "smmusim demo: out of simulated memory\n");
		goto out;
	}
	for (uint64_t off = 0; off < bytes; off += 8)
		pmem_write64(p.mem, buf + off, off * 0x0101010101010101ull,
			     NULL);

	/* Program the SMMU: one CD, one stage-1 STE, both through memory. */
	hsmmu_cd_from_pgtable(cd, &pt, DEMO_ASID, (unsigned)impl.oas);
	for (int i = 0; i < 8; i++)
		pmem_write64(p.mem, cd_table + 8 * (uint64_t)i, cd[i], NULL);
	hsmmu_ste_s1(ste, cd_table, 0);
	if (hsmmu_install_ste(p.drv, DEMO_SID, ste)) {
		fprintf(stderr, "smmusim demo: STE install failed (CERROR %u)\n",
			hsmmu_cmd_error(p.drv));
		goto out;
	}

	struct dma_state d = { .mem = p.mem };
	uint64_t t0 = sim_now(p.sim), mismatches = 0;

	/* The device reads every 64-byte line and writes back ~value. */
	for (uint64_t off = 0; off < bytes; off += 64) {
		uint64_t v = 0;

		if (!dma8(&p, &d, DEMO_VA + off, false, &v) ||
		    v != off * 0x0101010101010101ull) {
			mismatches++;
			continue;
		}
		v = ~v;
		if (!dma8(&p, &d, DEMO_VA + off, true, &v))
			mismatches++;
	}
	/* The host (CPU) checks what the device wrote. */
	for (uint64_t off = 0; off < bytes && !mismatches; off += 64) {
		uint64_t v;

		pmem_read64(p.mem, buf + off, &v, NULL);
		if (v != ~(off * 0x0101010101010101ull))
			mismatches++;
	}
	uint64_t good = d.ok;

	printf("demo: preset %s, %" PRIu64 " DMA transactions over %" PRIu64
	       " pages in %" PRIu64 " cycles, mean latency %" PRIu64
	       " cycles, max %" PRIu64 "\n",
	       impl.name, d.done, pages, sim_now(p.sim) - t0,
	       d.done ? d.latency_sum / d.done : 0, d.max_latency);

	/* Now an access beyond the buffer: unmapped, so F_TRANSLATION. */
	uint64_t v = 0, rec[4];
	bool faulted = !dma8(&p, &d, DEMO_VA + bytes, false, &v);
	bool got_event = hsmmu_pop_event(p.drv, rec);
	unsigned evid = (unsigned)(rec[0] & 0xFF);

	if (got_event)
		printf("demo: event 0x%02x (%s) StreamID 0x%" PRIx64
		       " InputAddr 0x%" PRIx64 "\n",
		       evid, evid == 0x10 ? "F_TRANSLATION" : "unexpected",
		       rec[0] >> 32, rec[2]);
	bool pass = mismatches == 0 && good == d.done - 1 && faulted &&
		    got_event && evid == 0x10 && rec[2] == DEMO_VA + bytes &&
		    (rec[0] >> 32) == DEMO_SID;

	printf("demo: %s\n", pass ? "PASS" : "FAIL");
	rc = pass ? EXIT_OK : EXIT_FAILED;
out:
	pgtable_destroy(&pt);
	platform_destroy(&p);
	return rc;
}
