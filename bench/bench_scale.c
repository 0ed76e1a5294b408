/* SPDX-License-Identifier: MIT */
/*
 * Scale (docs/performance.md): host memory and time with many bound
 * PASIDs and many StreamIDs, and whether a translation's cost grows with
 * configured-but-idle ones.
 *
 *   mem_per_pasid_bytes   host heap bytes per bound PASID beyond
 *                         simulated memory: after a first bind, 4,096
 *                         more processes spawned, then bound through the
 *                         SVA layer (pasid/sva.h) to 16 devices (257 to
 *                         each but the last). Heap growth is
 *                         glibc's mallinfo2() (bytes in use, malloc
 *                         headers included) across the binds, minus the
 *                         growth of the host bytes backing simulated
 *                         memory (pmem_host_bytes(): CD table leaves,
 *                         page tables, queues). Fields: "bytes_per_pasid"
 *                         (the bind alone), "with_process_bytes_per_pasid"
 *                         (spawning the process too), and the simulated
 *                         memory per PASID, "sim_bytes_per_pasid" and
 *                         "with_process_sim_bytes_per_pasid". ns_per_op
 *                         is host time per bind.
 *   tlb_hit_16_pasids     tlb_hit (bench_smmu) with a PASID: a DMA read
 *                         with SubstreamID through smmu_translate(),
 *                         hitting the configuration cache and the TLB,
 *                         16 pages of a bound process. The system: two
 *                         SMMUs, 128 SVA devices on each, and 16
 *                         processes bound to the first device.
 *   scale_pasids_65536    the same system with 65,536 processes bound,
 *                         256 to each of the 256 devices (32,768 per
 *                         SMMU: one SMMU's 16-bit ASID space holds at
 *                         most 65,535 address spaces, ASID 0 being the
 *                         driver's). ns_per_op: host time per PASID to
 *                         spawn and bind; fields "setup_s" (everything:
 *                         SMMUs, devices, processes, binds),
 *                         "first_16th_ns_per_pasid" and
 *                         "last_16th_ns_per_pasid" (spawn and bind of
 *                         the first 4,096 processes, and of the last
 *                         4,096: whether binding slows down as PASIDs
 *                         accumulate), "rss_bytes"
 *                         and "peak_rss_bytes" (the whole process),
 *                         "heap_bytes" (heap growth over the set-up),
 *                         "sim_bytes" (host bytes of simulated memory).
 *   tlb_hit_65536_pasids  tlb_hit_16_pasids on that system, the same
 *                         process and device (PASID 1). Both systems
 *                         exist together and their runs alternate
 *                         (15 pairs); "ratio_to_16" is the median of
 *                         the pairs' ratios.
 *   scale_sids_2to20      a 2-level stream table for 2^20 StreamIDs
 *                         (SPLIT 8: 4,096 level-2 tables, allocated as
 *                         the StreamIDs are configured) with every
 *                         StreamID given a stage-1 STE through the
 *                         driver's hitless writer, all sharing one CD.
 *                         ns_per_op: the median over five StreamIDs
 *                         spread over the space of tlb_hit on each
 *                         ("sid_ns" lists them); fields "setup_s",
 *                         "sids", "rss_bytes", "heap_bytes", "sim_bytes".
 *
 * In --quick mode the counts shrink (512 PASIDs, 4,096 StreamIDs...); the
 * fields give the counts used.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "host/os.h"
#include "host/pgtable.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"

#define PAGE UINT64_C(0x1000)
#define VA UINT64_C(0x10000000)   /* the measured process's 16 pages */
#define PAGES 16u
#define DEV_SID0 0x100u
#define PASID_BITS 17u            /* PASIDs up to 131,071 */
#define SMMU2_BASE UINT64_C(0x0A000000)
#define REPS 7
#define QUICK_REPS 3
#define PAIR_REPS 15
#define MAX_SMMUS 2

static const char prog[] = "bench_scale";

/* Processes bound to SVA devices on one or two SMMUs. */
struct world {
	struct platform p;
	struct smmu *smmu2;
	struct hsmmu *drv2;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io[MAX_SMMUS];
	unsigned nsmmu, ndev;
	struct sva_dev **devs;
	struct hproc **procs;
	unsigned nprocs, nbound;
};

static void world_create(struct world *w, unsigned nsmmu, unsigned ndev,
			 unsigned max_procs)
{
	struct smmu_impl impl;
	char err[256];

	memset(w, 0, sizeof(*w));
	smmu_impl_preset("full", &impl);
	if (!platform_create(&w->p, &impl, 1, 16, err, sizeof(err)))
		bench_die(prog, "%s", err);
	if (nsmmu > 1) {
		struct hsmmu_params hp = { .mmio_base = SMMU2_BASE,
					   .sid_bits = 16 };

		w->smmu2 = smmu_create(w->p.sim, w->p.mem, &impl);
		if (!w->smmu2 || smmu_map_mmio(w->smmu2, SMMU2_BASE) < 0)
			bench_die(prog, "second SMMU: set-up failed");
		w->drv2 = hsmmu_probe(w->p.sim, w->p.hm, &hp, err,
				      sizeof(err));
		if (!w->drv2)
			bench_die(prog, "second SMMU: %s", err);
	}
	w->nsmmu = nsmmu;
	w->os = hos_create(w->p.hm);
	w->ps = pasid_space_create(20);
	w->sys = w->ps ? sva_system_create(w->ps) : NULL;
	if (!w->os || !w->sys ||
	    !hos_set_pid_max(w->os, (int)max_procs + 16))
		bench_die(prog, "host set-up failed");
	for (unsigned i = 0; i < nsmmu; i++) {
		w->io[i] = sva_iommu_create(w->sys, i ? w->drv2 : w->p.drv);
		if (!w->io[i])
			bench_die(prog, "SVA set-up failed");
	}
	w->devs = calloc(ndev, sizeof(*w->devs));
	w->procs = calloc(max_procs, sizeof(*w->procs));
	if (!w->devs || !w->procs)
		bench_die(prog, "out of memory");
	/* devices 0 .. ndev/nsmmu - 1 on the first SMMU, and so on */
	for (unsigned d = 0; d < ndev; d++) {
		struct sva_dev_params dp = { .sid = DEV_SID0 + d,
					     .pasid_bits = PASID_BITS };
		int ret = sva_dev_add(w->io[d / (ndev / nsmmu)], &dp,
				      &w->devs[d]);

		if (ret)
			bench_die(prog, "sva_dev_add(%u): %d", d, ret);
	}
	w->ndev = ndev;
}

/* The first process: 16 resident pages at VA, to translate. */
static void world_spawn_measured(struct world *w)
{
	uint64_t va;

	w->procs[0] = hos_spawn(w->os, 1000, NULL);
	if (!w->procs[0] ||
	    hos_mmap(w->procs[0], VA, PAGES * PAGE, HPROT_READ | HPROT_WRITE,
		     HMAP_PRIVATE | HMAP_FIXED, &va))
		bench_die(prog, "process set-up failed");
	for (unsigned i = 0; i < PAGES; i++) {
		uint64_t v = i;

		if (hproc_write(w->procs[0], VA + i * PAGE, &v, 8))
			bench_die(prog, "process write failed");
	}
	w->nprocs = 1;
}

/* Spawn processes up to `n` in all. */
static void world_spawn(struct world *w, unsigned n)
{
	for (; w->nprocs < n; w->nprocs++) {
		w->procs[w->nprocs] = hos_spawn(w->os, 1000, NULL);
		if (!w->procs[w->nprocs])
			bench_die(prog, "hos_spawn failed at process %u",
				  w->nprocs);
	}
}

/* Bind the spawned processes not yet bound, `per_dev` to each device in
 * turn from the first (process i to device i / per_dev). */
static void world_bind(struct world *w, unsigned per_dev)
{
	for (; w->nbound < w->nprocs; w->nbound++) {
		unsigned d = w->nbound / per_dev;
		struct sva_bond *b;
		int ret;

		if (d >= w->ndev)
			bench_die(prog, "more processes than devices hold");
		ret = sva_bind(w->devs[d], hproc_mm(w->procs[w->nbound]), &b);
		if (ret)
			bench_die(prog, "sva_bind of process %u to device %u: "
				  "%d", w->nbound, d, ret);
	}
}

static void world_destroy(struct world *w)
{
	sim_run_to_idle(w->p.sim, 0);
	for (unsigned d = 0; d < w->ndev; d++)
		sva_dev_remove(w->devs[d]);
	for (unsigned i = 0; i < w->nsmmu; i++)
		sva_iommu_destroy(w->io[i]);
	sva_system_destroy(w->sys);
	hos_destroy(w->os);
	pasid_space_destroy(w->ps);
	if (w->drv2)
		hsmmu_remove(w->drv2);
	smmu_destroy(w->smmu2);
	platform_destroy(&w->p);
	free(w->devs);
	free(w->procs);
	memset(w, 0, sizeof(*w));
}

/* `n` reads with a SubstreamID over 16 pages of stream `sid`; ns each. */
static double run_sync(struct smmu *smmu, uint32_t sid, bool ssv,
		       uint32_t ssid, uint64_t va, uint64_t n)
{
	struct smmu_txn t = { .sid = sid, .ssv = ssv, .ssid = ssid,
			      .len = 8 };
	struct smmu_txn_result r;
	uint64_t ok = 0, start = bench_now_ns();

	for (uint64_t i = 0; i < n; i++) {
		t.addr = va + (i % PAGES) * PAGE;
		ok += smmu_translate(smmu, &t, &r, NULL, NULL) &&
		      r.resp == SMMU_RESP_OK;
	}
	uint64_t ns = bench_now_ns() - start;

	if (ok != n)
		bench_die(prog, "%llu of %llu translations of stream 0x%x "
			  "failed", (unsigned long long)(n - ok),
			  (unsigned long long)n, sid);
	return (double)ns / (double)n;
}

/* Warm, then the median of `reps` runs of `n`, every one a TLB hit. */
static double tlb_hit(struct smmu *smmu, uint32_t sid, bool ssv,
		      uint32_t ssid, uint64_t va, uint64_t n, unsigned reps)
{
	struct smmu_stats s0, s1;
	double v[REPS];

	run_sync(smmu, sid, ssv, ssid, va, PAGES);
	smmu_get_stats(smmu, &s0);
	for (unsigned r = 0; r < reps; r++)
		v[r] = run_sync(smmu, sid, ssv, ssid, va, n);
	smmu_get_stats(smmu, &s1);
	if (s1.tlb_hits - s0.tlb_hits != (uint64_t)reps * n)
		bench_die(prog, "stream 0x%x: not every translation hit the "
			  "TLB", sid);
	return bench_median(v, reps);
}

static double world_tlb_hit(struct world *w, uint64_t n, unsigned reps)
{
	uint32_t pasid = sva_mm_pasid(w->sys, hproc_mm(w->procs[0]));

	return tlb_hit(w->p.smmu, sva_dev_sid(w->devs[0]), true, pasid, VA,
		       n, reps);
}

/* --- mem_per_pasid_bytes --------------------------------------------- */

static void bench_mem_per_pasid(const struct bench_args *a)
{
	const unsigned ndev = 16;
	unsigned n = a->quick ? 256 : 4096, per_dev = n / ndev;
	uint64_t h0, h1, h2, m0, m1, m2, t0;
	struct world w;
	struct bench_extra x;
	double bind_ns;

	if (!bench_wanted(a, "mem_per_pasid_bytes"))
		return;
	world_create(&w, 1, ndev, n + 1);
	/* one bind first, so one-time allocations are not counted */
	world_spawn_measured(&w);
	world_bind(&w, per_dev);
	h0 = bench_heap_bytes();
	m0 = pmem_host_bytes(w.p.mem);
	world_spawn(&w, n + 1);
	h1 = bench_heap_bytes();
	m1 = pmem_host_bytes(w.p.mem);
	t0 = bench_now_ns();
	world_bind(&w, per_dev + 1);
	bind_ns = (double)(bench_now_ns() - t0) / n;
	h2 = bench_heap_bytes();
	m2 = pmem_host_bytes(w.p.mem);
	bench_extra_init(&x, a);
	if (!bench_heap_available()) {
		/* no mallinfo2 (not glibc, or a sanitizer's allocator) */
		bench_extra_str(&x, "heap", "unavailable");
	} else {
		bench_extra_f64(&x, "bytes_per_pasid",
				((double)(h2 - h1) - (double)(m2 - m1)) / n);
		bench_extra_f64(&x, "with_process_bytes_per_pasid",
				((double)(h2 - h0) - (double)(m2 - m0)) / n);
	}
	bench_extra_f64(&x, "sim_bytes_per_pasid", (double)(m2 - m1) / n);
	bench_extra_f64(&x, "with_process_sim_bytes_per_pasid",
			(double)(m2 - m0) / n);
	bench_extra_u64(&x, "pasids", n);
	bench_extra_u64(&x, "devices", ndev);
	bench_report("mem_per_pasid_bytes", bind_ns, n, "full", x.buf);
	world_destroy(&w);
}

/* --- tlb_hit_N_pasids, scale_pasids_65536 ------------------------------ */

static void report_tlb_hit(const struct bench_args *a, const char *name,
			   double ns, uint64_t n, unsigned pasids,
			   double ratio)
{
	struct bench_extra x;

	bench_extra_init(&x, a);
	bench_extra_u64(&x, "pasids", pasids);
	bench_extra_u64(&x, "devices", 256);
	bench_extra_u64(&x, "smmus", 2);
	if (ratio > 0)
		bench_extra_f64(&x, "ratio_to_16", ratio);
	bench_report(name, ns, n, "full", x.buf);
}

static void bench_pasids(const struct bench_args *a)
{
	const unsigned ndev = 256;
	unsigned n = a->quick ? 512 : 65536, per_dev = n / ndev;
	unsigned reps = a->quick ? QUICK_REPS : PAIR_REPS;
	uint64_t hit_n = a->quick ? 20000 : 2000000;
	bool want16 = bench_wanted(a, "tlb_hit_16_pasids");
	bool want_scale = bench_wanted(a, "scale_pasids_65536");
	bool want_big = bench_wanted(a, "tlb_hit_65536_pasids");
	double v16[PAIR_REPS], vbig[PAIR_REPS], ratio[PAIR_REPS];
	struct world big, small;

	if (want_scale || want_big) {
		uint64_t h0 = bench_heap_bytes(), t0 = bench_now_ns(), tb, t1;
		double first_ns = 0, last_ns = 0;

		world_create(&big, 2, ndev, n);
		tb = bench_now_ns();
		world_spawn_measured(&big);
		for (unsigned done = 0; done < n; done += per_dev) {
			uint64_t c0 = bench_now_ns();

			world_spawn(&big, done + per_dev);
			world_bind(&big, per_dev);
			/* the first and the last sixteenth */
			if (done < n / 16)
				first_ns += (double)(bench_now_ns() - c0);
			else if (done >= n - n / 16)
				last_ns += (double)(bench_now_ns() - c0);
		}
		t1 = bench_now_ns();
		if (sva_iommu_asids_used(big.io[0]) +
		    sva_iommu_asids_used(big.io[1]) != n)
			bench_die(prog, "scale_pasids_65536: %u + %u ASIDs in "
				  "use",
				  (unsigned)sva_iommu_asids_used(big.io[0]),
				  (unsigned)sva_iommu_asids_used(big.io[1]));
		if (want_scale) {
			struct bench_extra x;

			bench_extra_init(&x, a);
			bench_extra_u64(&x, "pasids", n);
			bench_extra_u64(&x, "devices", ndev);
			bench_extra_u64(&x, "smmus", 2);
			bench_extra_f64(&x, "setup_s",
					(double)(t1 - t0) / 1e9);
			bench_extra_f64(&x, "first_16th_ns_per_pasid",
					first_ns / (n / 16));
			bench_extra_f64(&x, "last_16th_ns_per_pasid",
					last_ns / (n / 16));
			bench_extra_u64(&x, "rss_bytes", bench_rss_bytes());
			bench_extra_u64(&x, "peak_rss_bytes",
					bench_peak_rss_bytes());
			if (bench_heap_available())
				bench_extra_u64(&x, "heap_bytes",
						bench_heap_bytes() - h0);
			bench_extra_u64(&x, "sim_bytes",
					pmem_host_bytes(big.p.mem));
			bench_report("scale_pasids_65536",
				     (double)(t1 - tb) / n, n, "full", x.buf);
		}
	}
	if (want16 || want_big) {
		world_create(&small, 2, ndev, 16);
		world_spawn_measured(&small);
		world_spawn(&small, 16);
		world_bind(&small, 16);
		/*
		 * Alternate the two systems' runs, so that the machine's
		 * load varies alike for both; the ratio is the median of
		 * each pair's.
		 */
		for (unsigned r = 0; r < reps; r++) {
			v16[r] = world_tlb_hit(&small, hit_n, 1);
			if (want_big) {
				vbig[r] = world_tlb_hit(&big, hit_n, 1);
				ratio[r] = vbig[r] / v16[r];
			}
		}
		if (want16)
			report_tlb_hit(a, "tlb_hit_16_pasids",
				       bench_median(v16, reps), hit_n, 16, 0);
		if (want_big)
			report_tlb_hit(a, "tlb_hit_65536_pasids",
				       bench_median(vbig, reps), hit_n, n,
				       bench_median(ratio, reps));
		world_destroy(&small);
	}
	if (want_scale || want_big)
		world_destroy(&big);
}

/* --- scale_sids_2to20 -------------------------------------------------- */

static void bench_sids(const struct bench_args *a)
{
	const unsigned sid_bits = 20;
	/* quick: every 256th StreamID, one per level-2 table */
	uint32_t stride = a->quick ? 256 : 1, nsids = (1u << sid_bits) / stride;
	uint32_t probe[5] = { 0, 0x33333, 0x80000, 0xCCCCC, 0xFFFFF };
	unsigned reps = a->quick ? QUICK_REPS : REPS;
	uint64_t hit_n = a->quick ? 20000 : 1000000;
	struct smmu_impl impl;
	struct platform p;
	struct pgtable pt;
	struct bench_extra x;
	uint64_t ste[8], cd[8], buf, cdt, h0, t0, t1;
	double ns[5], med[5];
	char err[256];

	if (!bench_wanted(a, "scale_sids_2to20"))
		return;
	h0 = bench_heap_bytes();
	t0 = bench_now_ns();
	smmu_impl_preset("full", &impl);
	if (!platform_create(&p, &impl, 1, sid_bits, err, sizeof(err)))
		bench_die(prog, "%s", err);
	buf = hostmem_alloc(p.hm, PAGES * PAGE, PAGE);
	cdt = hostmem_alloc(p.hm, 64, 64);
	if (!buf || !cdt || !pgtable_init(&pt, p.hm, 1, 12, 48) ||
	    !pgtable_map(&pt, VA, buf, PAGES * PAGE,
			 PT_R | PT_W | PT_USER | PT_NG))
		bench_die(prog, "scale_sids_2to20: set-up failed");
	hsmmu_cd_from_pgtable(cd, &pt, 1, impl.oas);
	for (int i = 0; i < 8; i++)
		pmem_write64(p.mem, cdt + 8 * (uint64_t)i, cd[i], NULL);
	hsmmu_ste_s1(ste, cdt, 0);
	for (uint32_t i = 0; i < nsids; i++) {
		int ret = hsmmu_install_ste(p.drv, i * stride, ste);

		if (ret)
			bench_die(prog, "STE %u: %d", i * stride, ret);
	}
	t1 = bench_now_ns();
	for (unsigned i = 0; i < 5; i++) {
		probe[i] -= probe[i] % stride;
		ns[i] = med[i] = tlb_hit(p.smmu, probe[i], false, 0, VA, hit_n,
					 reps);
	}
	bench_extra_init(&x, a);
	bench_extra_u64(&x, "sids", nsids);
	bench_extra_u64(&x, "sid_bits", sid_bits);
	bench_extra_f64(&x, "setup_s", (double)(t1 - t0) / 1e9);
	bench_extra_f64s(&x, "sid_ns", ns, 5);
	bench_extra_u64(&x, "rss_bytes", bench_rss_bytes());
	if (bench_heap_available())
		bench_extra_u64(&x, "heap_bytes", bench_heap_bytes() - h0);
	bench_extra_u64(&x, "sim_bytes", pmem_host_bytes(p.mem));
	bench_report("scale_sids_2to20", bench_median(med, 5), hit_n, "full",
		     x.buf);
	pgtable_destroy(&pt);
	platform_destroy(&p);
}

/* Every benchmark of this program, in the order they run. */
static const char *const names[] = {
	"mem_per_pasid_bytes",
	"scale_pasids_65536",
	"tlb_hit_16_pasids",
	"tlb_hit_65536_pasids",
	"scale_sids_2to20",
	NULL,
};

int main(int argc, char **argv)
{
	struct bench_args a;

	if (!bench_args_parse(&a, prog, names, argc, argv))
		return 2;
	bench_mem_per_pasid(&a);
	bench_pasids(&a);
	bench_sids(&a);
	return 0;
}
