/* SPDX-License-Identifier: MIT */
/*
 * ATS and PRI end to end (docs/performance.md): a PCIe endpoint
 * (smmusim/pcie_ep.h) with an ATC and PRI, connected to the SMMU, doing
 * DMA with the PASID of a host process bound to it through the SVA layer
 * (pasid/sva.h); the I/O page-fault handler (pri/iopf.h) serves its page
 * requests. The set-up of tests/test_iopf_e2e.c.
 *
 *   ats_atc_hit          an 8-byte DMA read whose translation hits the
 *                        ATC: a Translated transaction through the SMMU
 *                        (STE.EATS=01 lets it through), then the memory
 *                        read. Accesses are queued 64 at a time (8 in
 *                        flight) and the engine run to idle: one
 *                        operation is one access, issue to completion
 *                        callback, all engine events included.
 *   pri_fault_roundtrip  an 8-byte DMA write to a page of the process
 *                        that is not resident: ATC miss, Translation
 *                        Request (no permission), Page Request Group
 *                        through the PRI queue, the host handler
 *                        (hos_fault makes the page resident) and
 *                        CMD_PRI_RESP with CMD_SYNC, PRG Response, a
 *                        second Translation Request, the Translated
 *                        write. One access at a time; the handler polls
 *                        the queues every 16 simulated cycles, as
 *                        iopf_run does. One operation is one round trip.
 *                        Extra field "cycles": its simulated latency.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "host/os.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pri/iopf.h"
#include "smmusim/pcie_ep.h"

#define SID 0x31u
#define PAGE UINT64_C(0x1000)
#define HOT UINT64_C(0x10000000)   /* resident pages, ATC-hit accesses */
#define HOT_PAGES 16u
#define COLD UINT64_C(0x40000000)  /* never touched by the process */
#define REPS 7
#define QUICK_REPS 3
#define BATCH 64u
#define POLL_STEP 64u              /* cycles per iopf_run call */
#define MAX_CYCLES 1000000u        /* one round trip at most */

static const char prog[] = "bench_ats";

struct fixture {
	struct platform p;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io;
	struct iopf *pf;
	struct hproc *proc;
	struct pcie_ep *ep;
	struct sva_dev *dev;
	struct sva_bond *bond;
	uint32_t pasid;
	/* completions */
	uint64_t done, ok, atc_hits, prgs, treqs, last_latency;
};

static void on_done(void *ctx, const struct pcie_ep_access *acc,
		    const struct pcie_ep_result *res)
{
	struct fixture *f = ctx;

	(void)acc;
	f->done++;
	f->ok += res->status == PCIE_EP_OK;
	f->atc_hits += res->atc_hit;
	f->prgs += res->prgs;
	f->treqs += res->treqs;
	f->last_latency = res->latency;
}

static void setup(struct fixture *f, uint64_t cold_pages)
{
	struct smmu_impl impl;
	struct pcie_ep_config cfg = {
		.sid = SID,
		.max_outstanding = 8,
		.ats = true,
		.atc_entries = 32,
		.inv_delay = 50,
		.pri = true,
		.pri_capacity = 16,
		.prg_pages = 1,
	};
	struct sva_dev_params dp = { .sid = SID, .pasid_bits = 8,
				     .flags = SVA_DEV_PRI | SVA_DEV_ATS };
	char err[256];
	uint64_t va;

	memset(f, 0, sizeof(*f));
	smmu_impl_preset("full", &impl);
	if (!platform_create(&f->p, &impl, 1, 16, err, sizeof(err)))
		bench_die(prog, "%s", err);
	f->os = hos_create(f->p.hm);
	f->ps = pasid_space_create(20);
	f->sys = f->ps ? sva_system_create(f->ps) : NULL;
	f->io = f->sys ? sva_iommu_create(f->sys, f->p.drv) : NULL;
	if (!f->os || !f->io || iopf_create(f->p.sim, f->p.drv, NULL, &f->pf))
		bench_die(prog, "host set-up failed");
	f->proc = hos_spawn(f->os, 1000, NULL);
	if (!f->proc ||
	    hos_mmap(f->proc, HOT, HOT_PAGES * PAGE, HPROT_READ | HPROT_WRITE,
		     HMAP_PRIVATE | HMAP_FIXED, &va) ||
	    hos_mmap(f->proc, COLD, cold_pages * PAGE,
		     HPROT_READ | HPROT_WRITE, HMAP_PRIVATE | HMAP_FIXED, &va))
		bench_die(prog, "process set-up failed");
	/* the hot pages are resident: the process wrote them */
	for (unsigned i = 0; i < HOT_PAGES; i++) {
		uint64_t v = i;

		if (hproc_write(f->proc, HOT + i * PAGE, &v, 8))
			bench_die(prog, "process write failed");
	}
	f->ep = pcie_ep_create(f->p.sim, f->p.mem, &cfg, NULL);
	if (!f->ep || !pcie_ep_connect_smmu(f->ep, f->p.smmu))
		bench_die(prog, "endpoint set-up failed");
	pcie_ep_pri_set_alloc(f->ep, 16);
	pcie_ep_pri_enable(f->ep, true);
	if (sva_dev_add(f->io, &dp, &f->dev) ||
	    sva_bind(f->dev, hproc_mm(f->proc), &f->bond) ||
	    iopf_bond_add_sva(f->pf, f->bond))
		bench_die(prog, "bind failed");
	f->pasid = sva_bond_pasid(f->bond);
}

static void teardown(struct fixture *f)
{
	sim_run_to_idle(f->p.sim, 0);
	pcie_ep_destroy(f->ep);
	sva_dev_remove(f->dev);
	iopf_destroy(f->pf);
	sva_iommu_destroy(f->io);
	sva_system_destroy(f->sys);
	hos_destroy(f->os);
	pasid_space_destroy(f->ps);
	platform_destroy(&f->p);
}

static void dma(struct fixture *f, uint64_t va, bool write)
{
	static const uint64_t val = 0x5a5a5a5a5a5a5a5aull;
	struct pcie_ep_access acc = { .addr = va, .len = 8, .write = write,
				      .pasid_valid = true, .pasid = f->pasid,
				      .wdata = &val };

	if (pcie_ep_dma(f->ep, sim_now(f->p.sim), &acc, on_done, f))
		bench_die(prog, "pcie_ep_dma refused an access");
}

/* `n` ATC-hit reads over the hot pages; ns per access. */
static double run_hits(struct fixture *f, uint64_t n)
{
	uint64_t start, ns, done0 = f->done, ok0 = f->ok, hit0 = f->atc_hits;

	start = bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		dma(f, HOT + (i % HOT_PAGES) * PAGE + 8 * (i / HOT_PAGES % 8),
		    false);
		if (i % BATCH == BATCH - 1)
			sim_run_to_idle(f->p.sim, 0);
	}
	sim_run_to_idle(f->p.sim, 0);
	ns = bench_now_ns() - start;
	if (f->done - done0 != n || f->ok - ok0 != n ||
	    f->atc_hits - hit0 != n)
		bench_die(prog, "ats_atc_hit: %llu done, %llu ok, %llu ATC "
			  "hits of %llu", (unsigned long long)(f->done - done0),
			  (unsigned long long)(f->ok - ok0),
			  (unsigned long long)(f->atc_hits - hit0),
			  (unsigned long long)n);
	return (double)ns / (double)n;
}

static void bench_atc_hit(const struct bench_args *a, uint64_t n)
{
	struct fixture f;
	struct pcie_ep_stats st;
	struct bench_extra x;
	unsigned reps = a->quick ? QUICK_REPS : REPS;
	double v[REPS];

	if (!bench_wanted(a, "ats_atc_hit"))
		return;
	setup(&f, 1);
	/* fill the ATC: one Translation Request per hot page */
	for (unsigned i = 0; i < HOT_PAGES; i++)
		dma(&f, HOT + i * PAGE, false);
	sim_run_to_idle(f.p.sim, 0);
	if (f.ok != HOT_PAGES || f.treqs != HOT_PAGES)
		bench_die(prog, "ats_atc_hit: filling the ATC failed");
	for (unsigned r = 0; r < reps; r++)
		v[r] = run_hits(&f, n);
	pcie_ep_get_stats(f.ep, &st);
	if (st.translated != (uint64_t)reps * n + HOT_PAGES)
		bench_die(prog, "ats_atc_hit: %llu Translated transactions",
			  (unsigned long long)st.translated);
	bench_extra_init(&x, a);
	bench_extra_u64(&x, "atc_entries", 32);
	bench_extra_u64(&x, "pages", HOT_PAGES);
	bench_report("ats_atc_hit", bench_median(v, reps), n, "full", x.buf);
	teardown(&f);
}

/* One demand fault on page `page` of the cold range, to completion. */
static void roundtrip(struct fixture *f, uint64_t page)
{
	uint64_t done0 = f->done, start = sim_now(f->p.sim);

	dma(f, COLD + page * PAGE + 0x18, true);
	while (f->done == done0) {
		if (sim_now(f->p.sim) - start > MAX_CYCLES)
			bench_die(prog, "pri_fault_roundtrip: no completion "
				  "after %u cycles", MAX_CYCLES);
		iopf_run(f->pf, POLL_STEP);
	}
}

static void bench_pri(const struct bench_args *a, uint64_t n)
{
	struct fixture f;
	struct iopf_stats st;
	struct bench_extra x;
	unsigned reps = a->quick ? QUICK_REPS : REPS;
	double v[REPS];
	uint64_t page = 0;

	if (!bench_wanted(a, "pri_fault_roundtrip"))
		return;
	setup(&f, (reps + 1) * n);
	/* warm-up pass (host caches, allocator) */
	for (uint64_t i = 0; i < n; i++)
		roundtrip(&f, page++);
	for (unsigned r = 0; r < reps; r++) {
		uint64_t ok0 = f.ok, prgs0 = f.prgs, treqs0 = f.treqs;
		uint64_t start = bench_now_ns();

		for (uint64_t i = 0; i < n; i++)
			roundtrip(&f, page++);
		v[r] = (double)(bench_now_ns() - start) / (double)n;
		/* each: 1 group, 2 Translation Requests, success */
		if (f.ok - ok0 != n || f.prgs - prgs0 != n ||
		    f.treqs - treqs0 != 2 * n)
			bench_die(prog, "pri_fault_roundtrip: %llu ok, %llu "
				  "groups, %llu requests of %llu",
				  (unsigned long long)(f.ok - ok0),
				  (unsigned long long)(f.prgs - prgs0),
				  (unsigned long long)(f.treqs - treqs0),
				  (unsigned long long)n);
	}
	iopf_get_stats(f.pf, &st);
	if (st.resp_success != (reps + 1) * n || st.faults_ok != (reps + 1) * n)
		bench_die(prog, "pri_fault_roundtrip: %llu Success responses",
			  (unsigned long long)st.resp_success);
	bench_extra_init(&x, a);
	bench_extra_u64(&x, "cycles", f.last_latency);
	bench_report("pri_fault_roundtrip", bench_median(v, reps), n, "full",
		     x.buf);
	teardown(&f);
}

/* Every benchmark of this program, in the order they run. */
static const char *const names[] = {
	"ats_atc_hit",
	"pri_fault_roundtrip",
	NULL,
};

int main(int argc, char **argv)
{
	struct bench_args a;

	if (!bench_args_parse(&a, prog, names, argc, argv))
		return 2;
	bench_atc_hit(&a, a.quick ? 2000 : 1000000);
	bench_pri(&a, a.quick ? 20 : 2000);
	return 0;
}
