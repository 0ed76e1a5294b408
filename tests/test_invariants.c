/* SPDX-License-Identifier: MIT */
/*
 * The invariant checks (smmu_check_invariants, sva_system_check,
 * sva_iommu_check; docs/robustness.md): they hold through ordinary use
 * (binds, DMA, stalls, invalidations), and each reports the violation it
 * is for, with its exact message, when the state is broken on purpose.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/os.h"
#include "host/platform.h"
#include "pasid/pasid.h"
#include "pasid/sva.h"
#include "sim/ep_atc.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#define PAGE 4096u
#define SID 0x21u

struct fx {
	struct platform p;
	struct hos *os;
	struct pasid_space *ps;
	struct sva_system *sys;
	struct sva_iommu *io;
	struct sva_dev *dev;
	unsigned done;
	struct smmu_txn_result last;
};

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	struct fx *f = ctx;

	(void)t;
	f->done++;
	f->last = *r;
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sva_dev_params dp = { .sid = SID, .pasid_bits = 12 };
	struct smmu_impl impl;
	char err[128];

	assert_non_null(f);
	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&f->p, &impl, 1, 16, err, sizeof(err)));
	smmu_set_checks(f->p.smmu, true);
	f->os = hos_create(f->p.hm);
	f->ps = pasid_space_create(20);
	f->sys = sva_system_create(f->ps);
	f->io = sva_iommu_create(f->sys, f->p.drv);
	assert_non_null(f->io);
	assert_int_equal(sva_dev_add(f->io, &dp, &f->dev), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	sva_dev_remove(f->dev);
	sva_iommu_destroy(f->io);
	sva_system_destroy(f->sys);
	hos_destroy(f->os);
	pasid_space_destroy(f->ps);
	platform_destroy(&f->p);
	free(f);
}

static struct hproc *spawn(struct fx *f, uint64_t *va)
{
	struct hproc *p = hos_spawn(f->os, 1000, NULL);
	uint8_t b = 0x5A;

	assert_non_null(p);
	assert_int_equal(hos_mmap(p, 0, 4 * PAGE, HPROT_READ | HPROT_WRITE,
				  HMAP_PRIVATE | HMAP_ANONYMOUS, va), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(hproc_write(p, *va + i * PAGE, &b, 1), 0);
	return p;
}

static enum smmu_resp dma(struct fx *f, uint32_t pasid, uint64_t va)
{
	struct smmu_txn t = { .sid = SID, .ssv = true, .ssid = pasid,
			      .addr = va, .len = 8 };
	unsigned before = f->done;

	assert_true(smmu_submit(f->p.smmu, &t, on_done, f));
	sim_run_to_idle(f->p.sim, 0);
	assert_int_equal(f->done, before + 1);
	return f->last.resp;
}

static void all_hold(struct fx *f)
{
	char err[256] = "";

	if (!smmu_check_invariants(f->p.smmu, err, sizeof(err)) ||
	    !sva_system_check(f->sys, err, sizeof(err)) ||
	    !sva_iommu_check(f->io, err, sizeof(err)))
		fail_msg("invariant broken: %s", err);
}

/* Binds, DMA that fills the TLB, unmaps (TLBI + CMD_SYNC), unbinds. */
static void test_hold_in_use(void **state)
{
	struct fx *f = fx_new();
	struct sva_bond *b1, *b2;
	struct hproc *p1, *p2;
	uint64_t va1, va2;

	(void)state;
	all_hold(f);
	p1 = spawn(f, &va1);
	p2 = spawn(f, &va2);
	assert_int_equal(sva_bind(f->dev, hproc_mm(p1), &b1), 0);
	assert_int_equal(sva_bind(f->dev, hproc_mm(p2), &b2), 0);
	all_hold(f);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(dma(f, 1, va1 + i * PAGE), SMMU_RESP_OK);
		assert_int_equal(dma(f, 2, va2 + i * PAGE), SMMU_RESP_OK);
	}
	all_hold(f);
	/* munmap: TLBI_NH_VA per page and CMD_SYNC, checked at the SYNC */
	assert_int_equal(hos_munmap(p1, va1, 2 * PAGE), 0);
	all_hold(f);
	assert_int_equal(dma(f, 1, va1), SMMU_RESP_ABORT);
	assert_int_equal(dma(f, 1, va1 + 2 * PAGE), SMMU_RESP_OK);
	sva_unbind(b1);
	all_hold(f);
	sva_unbind(b2);
	hos_exit(p1, 0);
	hos_exit(p2, 0);
	all_hold(f);
	fx_free(f);
}

/* A CD made valid for a PASID nobody bound; a bound PASID's CD cleared. */
static void test_cd_violations(void **state)
{
	struct fx *f = fx_new();
	struct pmem *mem = f->p.mem;
	struct sva_bond *b;
	struct hproc *p;
	uint64_t va, pa, w0;
	char err[256];

	(void)state;
	p = spawn(f, &va);
	assert_int_equal(sva_bind(f->dev, hproc_mm(p), &b), 0);
	all_hold(f);

	/* CD 7: copy CD 1 (valid) there, as a stale CD would be */
	pa = hsmmu_cd_pa(f->p.drv, SID, 1);
	assert_int_equal(pmem_read64(mem, pa, &w0, NULL), MEM_OK);
	assert_int_equal(pmem_write64(mem, pa + 6 * 64, w0, NULL), MEM_OK);
	assert_false(sva_iommu_check(f->io, err, sizeof(err)));
	assert_string_equal(err, "SID 0x21: CD 7 is valid but no address "
			    "space with PASID 7 is bound to the device");
	assert_int_equal(pmem_write64(mem, pa + 6 * 64, 0, NULL), MEM_OK);
	all_hold(f);

	/* the bound PASID's CD made invalid behind the layer's back */
	assert_int_equal(pmem_write64(mem, pa, w0 & ~(UINT64_C(1) << 31),
				      NULL), MEM_OK);
	assert_false(sva_iommu_check(f->io, err, sizeof(err)));
	assert_string_equal(err, "SID 0x21: PASID 1 is bound but its CD is "
			    "not valid");
	assert_int_equal(pmem_write64(mem, pa, w0, NULL), MEM_OK);
	all_hold(f);

	/* a PASID freed under a live address space */
	assert_int_equal(pasid_free(f->ps, 1), 0);
	assert_false(sva_system_check(f->sys, err, sizeof(err)));
	assert_string_equal(err, "address space with PASID 1: the PASID is "
			    "not allocated");
	assert_int_equal(pasid_alloc(f->ps, 1, 1), 1);
	all_hold(f);

	sva_unbind(b);
	hos_exit(p, 0);
	all_hold(f);
	fx_free(f);
}

/* The SMMU's own index broken; a stall counted but never answered. */
static void test_smmu_violations(void **state)
{
	struct fx *f = fx_new();
	struct smmu *s = f->p.smmu;
	unsigned qs = regs_queue_log2size(s, R_EVENTQ_BASE);
	uint64_t prod = regs_get(s, R_EVENTQ_PROD);
	char err[256];

	(void)state;
	all_hold(f);
	regs_set(s, R_EVENTQ_PROD, 4u << qs); /* a bit above LOG2SIZE + 1 */
	assert_false(smmu_check_invariants(s, err, sizeof(err)));
	{
		char want[160];

		snprintf(want, sizeof(want), "event queue: the SMMU's index "
			 "0x%x has bits above LOG2SIZE + 1 = %u", 4u << qs,
			 qs + 1);
		assert_string_equal(err, want);
	}
	regs_set(s, R_EVENTQ_PROD, prod);
	all_hold(f);

	s->stats.stalls++;
	assert_false(smmu_check_invariants(s, err, sizeof(err)));
	assert_string_equal(err, "stalls: 1 started, 0 answered, 0 held");
	s->stats.stalls--;
	all_hold(f);
	fx_free(f);
}

/* A TLBI the model "forgot" to apply is caught at the CMD_SYNC. */
static void test_tlbi_violation(void **state)
{
	struct fx *f = fx_new();
	struct smmu *s = f->p.smmu;
	struct inval_req req = { .kind = INV_NH_ALL };
	struct sva_bond *b;
	struct hproc *p;
	uint64_t va;
	char err[256];

	(void)state;
	p = spawn(f, &va);
	assert_int_equal(sva_bind(f->dev, hproc_mm(p), &b), 0);
	assert_int_equal(dma(f, 1, va), SMMU_RESP_OK);
	assert_int_equal(dma(f, 1, va + PAGE), SMMU_RESP_OK);
	all_hold(f);

	/* the TLBI as executed, but its entries left in place */
	check_tlbi_executed(s, &req);
	check_sync_retired(s);
	assert_false(smmu_check_invariants(s, err, sizeof(err)));
	{
		assert_string_equal(err, "2 TLB entries survive TLBI_NH_ALL "
				    "(ASID 0x0, VMID 0x0, address 0x0, size "
				    "0x0) and CMD_SYNC");
	}
	sva_unbind(b);
	hos_exit(p, 0);
	fx_free(f);
}

/* The ATC check counts entries an invalidation covers, filled before it. */
static void test_atc_covered(void **state)
{
	struct ep_atc a;
	struct pcie_ep_atc_entry e = { .pasid_valid = true, .pasid = 3,
				       .va = 0x10000, .pa = 0x80000000,
				       .size_shift = 12, .r = true };
	struct smmu_atc_inv inv = { .sid = 1, .ssv = true, .ssid = 3,
				    .addr = 0x10000, .span_log2 = 13 };
	uint64_t before;

	(void)state;
	assert_true(ep_atc_init(&a, 8, PCIE_EP_ATC_FIFO));
	ep_atc_fill(&a, &e);                 /* 0x10000: covered */
	e.va = 0x11000;
	ep_atc_fill(&a, &e);                 /* 0x11000: covered */
	e.va = 0x12000;
	ep_atc_fill(&a, &e);                 /* 0x12000: beyond the span */
	e.va = 0x10000;
	e.pasid = 4;
	ep_atc_fill(&a, &e);                 /* another PASID */
	before = a.fills;
	assert_int_equal(ep_atc_count_covered(&a, &inv, false, before), 2);
	/* refilled after the request arrived: legitimate, not counted */
	assert_int_equal(ep_atc_invalidate(&a, &inv, false), 2);
	e.pasid = 3;
	ep_atc_fill(&a, &e);
	assert_int_equal(ep_atc_count_covered(&a, &inv, false, before), 0);
	assert_int_equal(ep_atc_count_covered(&a, &inv, false, a.fills), 1);
	/* a global invalidation covers every PASID when supported */
	inv.global = true;
	assert_int_equal(ep_atc_count_covered(&a, &inv, true, a.fills), 2);
	assert_int_equal(ep_atc_count_covered(&a, &inv, false, a.fills), 1);
	ep_atc_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_in_use),
		cmocka_unit_test(test_cd_violations),
		cmocka_unit_test(test_smmu_violations),
		cmocka_unit_test(test_tlbi_violation),
		cmocka_unit_test(test_atc_covered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
