/* SPDX-License-Identifier: MIT */
/*
 * ATS, PRI and stalls end to end: a process (host/os.h), SVA bonds
 * (pasid/sva.h), the I/O page-fault handler (pri/iopf.h) and PCIe
 * endpoints (sim/pcie_ep) connected to the SMMU with
 * pcie_ep_connect_smmu(). Host code reaches the SMMU only through the
 * driver (MMIO and simulated memory); the endpoints only through the
 * SMMU's public boundary.
 *
 * The platform's RAM costs 100 + 8 per 64-byte line, so the 8-byte
 * accesses here spend exactly 108 cycles in memory (lat_mem).
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "pri/iopf.h"
#include "smmusim/pcie_ep.h"

#define SID_ATS 0x31u   /* PRI + ATS endpoint */
#define SID_STALL 0x32u /* stall-capable endpoint, no ATS */
#define PAGE UINT64_C(0x1000)
#define BUF UINT64_C(0x10000000)  /* RW mapping, 4 pages, never touched */
#define RO UINT64_C(0x20000000)   /* read-only mapping, 1 page */
#define MEM_LAT 108u              /* one 8-byte access to RAM */
#define RUN 400000u               /* cycles iopf_run gives a scenario */

#define MAX_DONE 16
/* CMDQ_CONS/PROD: RD/WR with the wrap bit, below ERR[30:24] */
#define CMDQ_IDX_MASK 0x00FFFFFFu

struct dlog {
	unsigned n;
	uint64_t tag[MAX_DONE];
	struct pcie_ep_result r[MAX_DONE];
};

struct fx {
	struct platform p;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io;
	struct iopf *pf;
	struct hproc *proc;
	struct hmm *mm;
	struct pcie_ep *ep;
	struct sva_dev *dev;
	struct sva_bond *bond;
	uint32_t pasid;
	struct dlog d;
	unsigned atc_errs;
	uint32_t atc_err_sid, atc_err_pasid;
};

static void on_done(void *ctx, const struct pcie_ep_access *a,
		    const struct pcie_ep_result *r)
{
	struct dlog *d = ctx;

	assert_true(d->n < MAX_DONE);
	d->tag[d->n] = a->tag;
	d->r[d->n] = *r;
	d->r[d->n].data = NULL;
	d->n++;
}

static const struct pcie_ep_result *done_of(struct fx *f, uint64_t tag)
{
	for (unsigned i = 0; i < f->d.n; i++)
		if (f->d.tag[i] == tag)
			return &f->d.r[i];
	fail_msg("access %llu did not complete", (unsigned long long)tag);
	return NULL;
}

static void on_atc_err(void *ctx, uint32_t sid, uint32_t pasid)
{
	struct fx *f = ctx;

	f->atc_errs++;
	f->atc_err_sid = sid;
	f->atc_err_pasid = pasid;
}

static struct fx *fx_create(uint8_t eventqs)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;
	char err[128];
	uint64_t va;

	smmu_impl_preset("full", &impl);
	if (eventqs)
		impl.eventqs = eventqs;
	assert_true(platform_create(&f->p, &impl, 1, 16, err, sizeof(err)));
	f->os = hos_create(f->p.hm);
	f->ps = pasid_space_create(20);
	f->sys = sva_system_create(f->ps);
	f->io = sva_iommu_create(f->sys, f->p.drv);
	assert_non_null(f->io);
	sva_iommu_set_atc_error_fn(f->io, on_atc_err, f);
	assert_int_equal(iopf_create(f->p.sim, f->p.drv, NULL, &f->pf), 0);
	f->proc = hos_spawn(f->os, 1000, NULL);
	assert_non_null(f->proc);
	f->mm = hproc_mm(f->proc);
	assert_int_equal(hos_mmap(f->proc, BUF, 4 * PAGE,
				  HPROT_READ | HPROT_WRITE,
				  HMAP_PRIVATE | HMAP_FIXED, &va), 0);
	assert_int_equal(hos_mmap(f->proc, RO, PAGE, HPROT_READ,
				  HMAP_PRIVATE | HMAP_FIXED, &va), 0);
	return f;
}

/* An endpoint and its SVA device, bound to the process. */
static void dev_create(struct fx *f, bool ats, unsigned flags,
		       unsigned max_outstanding, bool iopf_bond)
{
	struct pcie_ep_config cfg = {
		.sid = ats ? SID_ATS : SID_STALL,
		.max_outstanding = max_outstanding,
		.ats = ats,
		.atc_entries = ats ? 8 : 0,
		.inv_delay = 50,
		.pri = ats,
		.pri_capacity = 16,
		.prg_pages = 1,
	};
	struct sva_dev_params dp = { .sid = cfg.sid, .pasid_bits = 8,
				     .flags = flags };

	f->ep = pcie_ep_create(f->p.sim, f->p.mem, &cfg, NULL);
	assert_non_null(f->ep);
	assert_true(pcie_ep_connect_smmu(f->ep, f->p.smmu));
	if (ats) {
		pcie_ep_pri_set_alloc(f->ep, 16);
		pcie_ep_pri_enable(f->ep, true);
	}
	assert_int_equal(sva_dev_add(f->io, &dp, &f->dev), 0);
	assert_int_equal(sva_bind(f->dev, f->mm, &f->bond), 0);
	f->pasid = sva_bond_pasid(f->bond);
	assert_int_equal(f->pasid, 1);
	if (iopf_bond)
		assert_int_equal(iopf_bond_add_sva(f->pf, f->bond), 0);
}

static void fx_destroy(struct fx *f)
{
	sim_run_to_idle(f->p.sim, 0);
	if (f->ep)
		pcie_ep_destroy(f->ep);
	if (f->dev)
		sva_dev_remove(f->dev);
	iopf_destroy(f->pf);
	assert_int_equal(hsmmu_cmd_error(f->p.drv), 0);
	sva_iommu_destroy(f->io);
	sva_system_destroy(f->sys);
	hos_destroy(f->os);
	pasid_space_destroy(f->ps);
	platform_destroy(&f->p);
	free(f);
}

/* Queue a DMA of 8 bytes with the bond's PASID, starting now. */
static void dma(struct fx *f, uint64_t va, bool write, uint64_t val,
		uint64_t tag)
{
	struct pcie_ep_access a = { .addr = va, .len = 8, .write = write,
				    .pasid_valid = true, .pasid = f->pasid,
				    .wdata = &val, .tag = tag };

	assert_int_equal(pcie_ep_dma(f->ep, sim_now(f->p.sim), &a, on_done,
				     &f->d), 0);
}

static void expect_breakdown_sums(const struct pcie_ep_result *r)
{
	assert_int_equal(r->latency, r->completed_at - r->issued_at);
	assert_int_equal(r->lat_queue + r->lat_xlate + r->lat_pri +
				 r->lat_retry + r->lat_data + r->lat_mem,
			 r->latency);
	assert_int_equal(r->lat_queue, r->started_at - r->issued_at);
}

static uint64_t read_cd0(struct fx *f)
{
	uint64_t w = 0;

	pmem_read64(f->p.mem, sva_dev_cd_pa(f->dev, f->pasid), &w, NULL);
	return w;
}

/* (a) Demand-paged SVA DMA through PRI. */
static void test_pri_demand_paging(void **state)
{
	struct fx *f = fx_create(0);
	const uint64_t val = 0x1122334455667788ull;
	const struct pcie_ep_result *r;
	struct pcie_ep_atc_entry e;
	struct iopf_stats st;
	uint64_t ste[2], got = 0;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, true);
	/* the STE answers Translation Requests (EATS=01) */
	pmem_read64(f->p.mem, sva_dev_ste_pa(f->dev) + 8, &ste[1], NULL);
	ste[0] = 0;
	assert_int_equal(fget(ste, STE_EATS), 1);
	assert_int_equal(hmm_rss(f->mm), 0);
	dma(f, BUF + 0x18, true, val, 1);
	iopf_run(f->pf, RUN);
	assert_int_equal(f->d.n, 1);
	r = done_of(f, 1);
	assert_int_equal(r->status, PCIE_EP_OK);
	assert_false(r->atc_hit);
	assert_int_equal(r->treqs, 2);   /* granted nothing, then the page */
	assert_int_equal(r->prgs, 1);
	/* the breakdown: every stage used, summing exactly to the total */
	expect_breakdown_sums(r);
	assert_int_equal(r->lat_queue, 0);
	/*
	 * Exact, for the "full" preset and a handler polling every 16
	 * cycles: the first Translation Request (a walk that finds no
	 * page), the group's trip through the PRI queue, the handler and
	 * CMD_PRI_RESP, the second Translation Request; the Translated
	 * write is answered at once (lat_data 0).
	 */
	assert_int_equal(r->lat_xlate, 450);
	assert_int_equal(r->lat_pri, 126);
	assert_int_equal(r->lat_retry, 448);
	assert_int_equal(r->lat_data, 0);
	assert_int_equal(r->latency, 1132);
	assert_int_equal(r->lat_mem, MEM_LAT);
	/* the process sees the device's data in its page */
	assert_int_equal(hmm_rss(f->mm), 1);
	assert_int_equal(hproc_read(f->proc, BUF + 0x18, &got, 8), 0);
	assert_int_equal(got, val);
	/* the ATC holds the page's translation now */
	assert_true(pcie_ep_atc_find(f->ep, true, f->pasid, false, BUF, &e));
	assert_int_equal(e.pa, r->oa & ~(PAGE - 1));
	assert_true(e.w);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.pprs, 1);
	assert_int_equal(st.groups, 1);
	assert_int_equal(st.resp_success, 1);
	assert_int_equal(st.faults_ok, 1);
	assert_int_equal(pcie_ep_pri_credits(f->ep), 16);
	/* a second access hits the ATC: only data and memory */
	dma(f, BUF + 0x20, false, 0, 2);
	iopf_run(f->pf, RUN);
	r = done_of(f, 2);
	assert_int_equal(r->status, PCIE_EP_OK);
	assert_true(r->atc_hit);
	expect_breakdown_sums(r);
	assert_int_equal(r->lat_xlate + r->lat_pri + r->lat_retry, 0);
	assert_int_equal(r->lat_mem, MEM_LAT);
	assert_int_equal(r->latency, MEM_LAT);
	assert_int_equal(sva_iommu_cmd_failures(f->io), 0);
	fx_destroy(f);
}

/* (b) The same through a stall, and (g) CMD_RESUME abort. */
static void test_stall_demand_paging(void **state)
{
	struct fx *f = fx_create(0);
	const uint64_t val = 0xa5a5a5a55a5a5a5aull;
	const struct pcie_ep_result *r;
	struct iopf_stats st;
	uint64_t w0[1], got = 0;

	(void)state;
	dev_create(f, false, SVA_DEV_STALL | SVA_DEV_IOPF, 1, true);
	w0[0] = read_cd0(f);
	assert_int_equal(fget(w0, CD_S), 1);
	dma(f, BUF + PAGE + 8, true, val, 1);
	iopf_run(f->pf, RUN);
	r = done_of(f, 1);
	assert_int_equal(r->status, PCIE_EP_OK);
	assert_int_equal(r->treqs, 0);
	assert_int_equal(r->prgs, 0);
	expect_breakdown_sums(r);
	/* the stall is inside the data transaction */
	assert_int_equal(r->lat_xlate + r->lat_pri + r->lat_retry, 0);
	assert_true(r->lat_data > 0);
	assert_int_equal(r->lat_mem, MEM_LAT);
	assert_int_equal(hproc_read(f->proc, BUF + PAGE + 8, &got, 8), 0);
	assert_int_equal(got, val);

	/* (g) a write to the read-only mapping: resumed with an abort */
	dma(f, RO + 0x10, true, val, 2);
	iopf_run(f->pf, RUN);
	r = done_of(f, 2);
	assert_int_equal(r->status, PCIE_EP_ABORT);
	assert_int_equal(r->smmu_resp, SMMU_RESP_ABORT);
	expect_breakdown_sums(r);
	assert_int_equal(r->lat_mem, 0);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.stalls, 2);
	assert_int_equal(st.resume_retry, 1);
	assert_int_equal(st.resume_abort, 1);
	assert_int_equal(st.faults_ok, 1);
	assert_int_equal(st.faults_failed, 1);
	assert_int_equal(st.events_kept, 0);

	/* the process exits: the quiet CD stalls no more (S=0) */
	assert_int_equal(iopf_bond_del_sva(f->pf, f->bond), 0);
	hos_exit(f->proc, 0);
	w0[0] = read_cd0(f);
	assert_int_equal(fget(w0, CD_S), 0);
	assert_int_equal(fget(w0, CD_EPD0), 1);
	assert_int_equal(sva_iommu_cmd_failures(f->io), 0);
	fx_destroy(f);
}

/* Fill the ATC with the page at BUF (the process touched it). */
static void fill_atc(struct fx *f, uint64_t tag)
{
	uint64_t v = 7;

	assert_int_equal(hproc_write(f->proc, BUF, &v, 8), 0);
	dma(f, BUF, false, 0, tag);
	iopf_run(f->pf, RUN);
	assert_int_equal(done_of(f, tag)->status, PCIE_EP_OK);
	assert_int_equal(done_of(f, tag)->prgs, 0);
	assert_true(pcie_ep_atc_find(f->ep, true, f->pasid, false, BUF,
				     NULL));
}

/* The command `back` slots before CMDQ_PROD, read from the queue. */
static void cmdq_peek(struct fx *f, unsigned back, uint64_t cmd[2])
{
	uint64_t base = hsmmu_read64(f->p.drv, R_CMDQ_BASE);
	uint64_t addr = rget(base, Q_BASE_ADDR) << 5;
	unsigned log2 = (unsigned)rget(base, Q_BASE_LOG2SIZE);
	uint32_t prod = hsmmu_read32(f->p.drv, R_CMDQ_PROD);
	uint32_t idx = (prod - back) & ((1u << log2) - 1);

	pmem_read64(f->p.mem, addr + 16 * (uint64_t)idx, &cmd[0], NULL);
	pmem_read64(f->p.mem, addr + 16 * (uint64_t)idx + 8, &cmd[1], NULL);
}

/* CMD_ATC_INV fields (§4.5.1): Global DW0[9], Size DW1[5:0] */
#define T_ATC_GLOBAL FLD(0, 9, 9)
#define T_ATC_SIZE FLD(1, 5, 0)

static void expect_atc_inv(struct fx *f, unsigned back, uint64_t addr,
			   unsigned size)
{
	uint64_t c[2];

	cmdq_peek(f, back, c);
	assert_int_equal(fget(c, CMD_OPCODE), OP_ATC_INV);
	assert_int_equal(fget(c, CMD_SID), SID_ATS);
	assert_int_equal(fget(c, CMD_SSV), 1);
	assert_int_equal(fget(c, CMD_SSID), f->pasid);
	assert_int_equal(fget(c, T_ATC_GLOBAL), 0);
	assert_int_equal(fget(c, T_ATC_SIZE), size);
	assert_int_equal(fget(c, CMD_ADDR), addr >> 12);
}

/* (c) munmap invalidates the ATC, ordered by CMD_SYNC. */
static void test_munmap_atc_inv(void **state)
{
	struct fx *f = fx_create(0);
	const struct pcie_ep_result *r;
	struct pcie_ep_stats st;
	uint64_t syncs;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, true);
	fill_atc(f, 1);
	syncs = hsmmu_sync_count(f->p.drv);
	assert_int_equal(hos_munmap(f->proc, BUF, PAGE), 0);
	/* TLBI + CMD_SYNC, then ATC_INV + CMD_SYNC, all done on return */
	assert_int_equal(hsmmu_sync_count(f->p.drv), syncs + 2);
	/* in the queue: TLBI_NH_VA, CMD_SYNC, CMD_ATC_INV, CMD_SYNC */
	{
		uint64_t c[2];

		cmdq_peek(f, 4, c);
		assert_int_equal(fget(c, CMD_OPCODE), OP_TLBI_NH_VA);
		assert_int_equal(fget(c, CMD_ADDR), BUF >> 12);
		cmdq_peek(f, 3, c);
		assert_int_equal(fget(c, CMD_OPCODE), OP_CMD_SYNC);
		expect_atc_inv(f, 2, BUF, 0);
		cmdq_peek(f, 1, c);
		assert_int_equal(fget(c, CMD_OPCODE), OP_CMD_SYNC);
	}
	assert_false(pcie_ep_atc_find(f->ep, true, f->pasid, false, BUF,
				      NULL));
	pcie_ep_get_stats(f->ep, &st);
	assert_int_equal(st.inv_requests, 1);
	assert_int_equal(st.inv_entries, 1);
	assert_int_equal(st.inv_completions, 1);
	/* a later access misses; the page is gone: Invalid Request */
	dma(f, BUF + 8, false, 0, 2);
	iopf_run(f->pf, RUN);
	r = done_of(f, 2);
	assert_false(r->atc_hit);
	assert_int_equal(r->treqs, 1);
	assert_int_equal(r->status, PCIE_EP_PRI_INVALID);
	expect_breakdown_sums(r);
	/* three resident pages [BUF+1, BUF+4): one 16 KiB span (Size 2)
	 * at BUF */
	for (unsigned i = 1; i < 4; i++)
		assert_int_equal(hproc_write(f->proc, BUF + i * PAGE, &i,
					     sizeof(i)), 0);
	assert_int_equal(hos_munmap(f->proc, BUF + PAGE, 3 * PAGE), 0);
	expect_atc_inv(f, 2, BUF, 2);
	/* unbind: after the CD is invalidated, every address of the PASID
	 * (Size 52) and a CMD_SYNC; then the ASID, no longer used, is
	 * flushed: ..., ATC_INV, SYNC, TLBI_NH_ASID, SYNC */
	iopf_bond_del_sva(f->pf, f->bond);
	sva_unbind(f->bond);
	f->bond = NULL;
	expect_atc_inv(f, 4, 0, 52);
	{
		uint64_t c[2];

		cmdq_peek(f, 3, c);
		assert_int_equal(fget(c, CMD_OPCODE), OP_CMD_SYNC);
		cmdq_peek(f, 2, c);
		assert_int_equal(fget(c, CMD_OPCODE), OP_TLBI_NH_ASID);
	}
		assert_int_equal(sva_iommu_atc_inv_timeouts(f->io), 0);
	assert_int_equal(sva_iommu_cmd_failures(f->io), 0);
	fx_destroy(f);
}

/* (d) An endpoint that never completes the invalidation. */
static void test_atc_inv_timeout(void **state)
{
	struct fx *f = fx_create(0);
	uint64_t t0, t1;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, true);
	fill_atc(f, 1);
	pcie_ep_set_inv_mode(f->ep, PCIE_EP_INV_NEVER, 0);
	t0 = sim_now(f->p.sim);
	assert_int_equal(hos_munmap(f->proc, BUF, PAGE), 0);
	t1 = sim_now(f->p.sim);
	/* reported after the SMMU's timeout, not hung */
	assert_true(t1 - t0 >= 100000);
	assert_true(t1 - t0 < 1000000);
	assert_int_equal(sva_iommu_atc_inv_timeouts(f->io), 1);
	assert_int_equal(f->atc_errs, 1);
	assert_int_equal(f->atc_err_sid, SID_ATS);
	assert_int_equal(f->atc_err_pasid, f->pasid);
	assert_int_equal(sva_iommu_cmd_failures(f->io), 1);
	/* acknowledged: no error is pending at the driver */
	assert_int_equal(hsmmu_cmd_error(f->p.drv), 0);
	/* the endpoint's entry is gone all the same */
	assert_false(pcie_ep_atc_find(f->ep, true, f->pasid, false, BUF,
				      NULL));
	/* the platform isolates the endpoint; the repeated CMD_SYNC then
	 * completes and the queue is empty */
	iopf_bond_del_sva(f->pf, f->bond);
	pcie_ep_destroy(f->ep);
	f->ep = NULL;
	sim_run_until(f->p.sim, sim_now(f->p.sim) + 1000);
	/* (CONS.ERR keeps its last value; only RD matters, §6.3.27) */
	assert_int_equal(hsmmu_read32(f->p.drv, R_CMDQ_CONS) & CMDQ_IDX_MASK,
			 hsmmu_read32(f->p.drv, R_CMDQ_PROD));
	assert_int_equal(rget(hsmmu_read32(f->p.drv, R_GERROR) ^
			      hsmmu_read32(f->p.drv, R_GERRORN),
			      GERROR_F_CMDQ_ERR), 0);
	assert_int_equal(hsmmu_sync(f->p.drv), 0);
	fx_destroy(f);
}

/* (e) No bond at the handler: Response Failure, PRI dead (RF). */
static void test_response_failure(void **state)
{
	struct fx *f = fx_create(0);
	const struct pcie_ep_result *r;
	struct iopf_stats st;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, false);
	dma(f, BUF, true, 1, 1);
	iopf_run(f->pf, RUN);
	r = done_of(f, 1);
	assert_int_equal(r->status, PCIE_EP_PRI_FAILURE);
	assert_int_equal(r->prgs, 1);
	expect_breakdown_sums(r);
	assert_true(r->lat_pri > 0);
	assert_int_equal(r->lat_retry + r->lat_data + r->lat_mem, 0);
	assert_int_equal(pcie_ep_pri_status(f->ep), PCIE_PRI_STATUS_RF);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.resp_failure, 1);
	assert_int_equal(hmm_rss(f->mm), 0);
	/* nothing more is requested until software resets PRI */
	dma(f, BUF + PAGE, true, 1, 2);
	iopf_run(f->pf, RUN);
	assert_int_equal(done_of(f, 2)->status, PCIE_EP_NO_ACCESS);
	assert_int_equal(done_of(f, 2)->prgs, 0);
	fx_destroy(f);
}

/* (f) The stop marker on unbind ends iopf_pasid_stop's wait. */
static void test_stop_marker(void **state)
{
	struct fx *f = fx_create(0);
	struct iopf_stats st;
	uint64_t t0;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, true);
	dma(f, BUF, true, 1, 1);
	iopf_run(f->pf, RUN);
	assert_int_equal(done_of(f, 1)->status, PCIE_EP_OK);
	/* unbind: the device stops the PASID, the handler waits for it */
	pcie_ep_pri_stop_marker(f->ep, f->pasid);
	t0 = sim_now(f->p.sim);
	assert_int_equal(iopf_pasid_stop(f->pf, SID_ATS, f->pasid, true,
					 100000), 0);
	assert_true(sim_now(f->p.sim) > t0);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.stop_markers, 1);
	assert_int_equal(iopf_partial_groups(f->pf), 0);
	assert_int_equal(iopf_bond_del_sva(f->pf, f->bond), 0);
	sva_unbind(f->bond);
	/* the PASID stopped at the device: a fault cannot be requested */
	dma(f, BUF + PAGE, true, 1, 2);
	iopf_run(f->pf, RUN);
	assert_int_not_equal(done_of(f, 2)->status, PCIE_EP_OK);
	/* a second wait finds no marker: times out, no hang */
	assert_int_equal(iopf_pasid_stop(f->pf, SID_ATS, f->pasid, true,
					 1000), -ETIMEDOUT);
	fx_destroy(f);
}

/* (h) A 2-entry event queue and four stalled faults. */
static void test_stalls_evtq_overflow(void **state)
{
	struct fx *f = fx_create(1);
	struct iopf_stats st;
	uint64_t got;

	(void)state;
	dev_create(f, false, SVA_DEV_STALL | SVA_DEV_IOPF, 4, true);
	for (unsigned i = 0; i < 4; i++)
		dma(f, BUF + i * PAGE, true, 0x100 + i, 1 + i);
	sim_run_until(f->p.sim, sim_now(f->p.sim) + 20000);
	assert_int_equal(f->d.n, 0); /* all four held */
	iopf_run(f->pf, RUN);
	assert_int_equal(f->d.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		const struct pcie_ep_result *r = done_of(f, 1 + i);

		assert_int_equal(r->status, PCIE_EP_OK);
		expect_breakdown_sums(r);
		assert_int_equal(hproc_read(f->proc, BUF + i * PAGE, &got, 8),
				 0);
		assert_int_equal(got, 0x100 + i);
	}
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.stalls, 4);
	assert_int_equal(st.resume_retry, 4);
	fx_destroy(f);
}

/* (i) A PPR reusing a PRG index the device still has outstanding. */
static void test_prgi_reuse(void **state)
{
	struct fx *f = fx_create(0);
	struct smmu_page_request pr = { .sid = SID_ATS, .ssv = true,
					.read = true, .write = true,
					.last = true, .prgi = 0, .addr = RO };
	struct pcie_ep_stats es;
	struct iopf_stats st;

	(void)state;
	dev_create(f, true, SVA_DEV_PRI | SVA_DEV_ATS, 1, true);
	dma(f, BUF, true, 1, 1);
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(pcie_ep_pri_groups(f->ep), 1); /* PRGI 0 */
	pr.ssid = f->pasid;
	smmu_pri_request(f->p.smmu, &pr);
	sim_run_to_idle(f->p.sim, 0);
	iopf_run(f->pf, RUN);
	/*
	 * Outcome: the handler answers each Last=1 record as its own group
	 * (BUF: Success, then RO write: Invalid Request, both PRGI 0). The
	 * device retries on the first and completes; the second names a
	 * group no longer outstanding: Unexpected PRG Index at the device.
	 */
	assert_int_equal(done_of(f, 1)->status, PCIE_EP_OK);
	iopf_get_stats(f->pf, &st);
	assert_int_equal(st.groups, 2);
	assert_int_equal(st.resp_success, 1);
	assert_int_equal(st.resp_invalid, 1);
	pcie_ep_get_stats(f->ep, &es);
	assert_int_equal(es.prg_responses, 2);
	assert_int_equal(es.prg_unexpected, 1);
	assert_int_equal(pcie_ep_pri_status(f->ep), PCIE_PRI_STATUS_UPRGI);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pri_demand_paging),
		cmocka_unit_test(test_stall_demand_paging),
		cmocka_unit_test(test_munmap_atc_inv),
		cmocka_unit_test(test_atc_inv_timeout),
		cmocka_unit_test(test_response_failure),
		cmocka_unit_test(test_stop_marker),
		cmocka_unit_test(test_stalls_evtq_overflow),
		cmocka_unit_test(test_prgi_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
