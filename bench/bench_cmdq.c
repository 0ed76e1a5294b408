/* SPDX-License-Identifier: MIT */
/*
 * The command queue (docs/performance.md): commands per second through
 * the host driver and the model's command consumer, CMD_SYNC included.
 *
 *   cmdq_tlbi_sync         batches of BATCH TLBI_NH_VA (one page each,
 *                          Leaf=1, the ASID of a live context) and one
 *                          CMD_SYNC, queued by hsmmu_cmd_batch() and
 *                          waited for by polling CMDQ_CONS
 *   cmdq_tlbi_sync_1       the same with one TLBI per CMD_SYNC
 *   cmdq_tlbi_sync_msi     as cmdq_tlbi_sync, the driver waiting for the
 *                          CMD_SYNC's MSI write to memory instead of
 *                          polling CMDQ_CONS
 *   cmdq_tlbi_sync_raw     the same commands written straight into the
 *                          queue's memory, PROD written once per batch
 *                          and the engine run to idle: the model's
 *                          command consumer alone, no host driver
 *
 * One operation is one command: a batch of BATCH TLBIs counts BATCH + 1.
 * Through the driver the host time covers everything it does: MMIO
 * writes of PROD and polling (CMDQ_CONS by MMIO, or the MSI word in
 * memory) every 4 simulated cycles, each poll running the engine, and
 * the model fetching, decoding and executing every command. The
 * context's 16 pages are in the TLB before each repetition; the TLBIs of
 * a repetition then find them, or (after the first pass) find nothing.
 * Extra fields: "batch" (TLBIs per CMD_SYNC), "cmds_per_s".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"

#define SID 1u
#define ASID 1u
#define VA UINT64_C(0x0000400000000000)
#define PAGES 16u
#define REPS 7
#define QUICK_REPS 3
#define BATCH_MAX 64u

static const char prog[] = "bench_cmdq";

struct fixture {
	struct platform p;
	struct pgtable pt;
};

static void setup(struct fixture *f, const struct smmu_impl *impl)
{
	char err[256];
	uint64_t ste[8], cd[8], buf, cdt;

	memset(f, 0, sizeof(*f));
	if (!platform_create(&f->p, impl, 1, 8, err, sizeof(err)))
		bench_die(prog, "%s", err);
	buf = hostmem_alloc(f->p.hm, PAGES * 4096, 4096);
	cdt = hostmem_alloc(f->p.hm, 64, 64);
	if (!buf || !cdt || !pgtable_init(&f->pt, f->p.hm, 1, 12, 48) ||
	    !pgtable_map(&f->pt, VA, buf, PAGES * 4096,
			 PT_R | PT_W | PT_USER | PT_NG))
		bench_die(prog, "set-up failed");
	hsmmu_cd_from_pgtable(cd, &f->pt, ASID, impl->oas);
	for (int i = 0; i < 8; i++)
		pmem_write64(f->p.mem, cdt + 8 * (uint64_t)i, cd[i], NULL);
	hsmmu_ste_s1(ste, cdt, 0);
	if (hsmmu_install_ste(f->p.drv, SID, ste))
		bench_die(prog, "STE install failed");
}

/* Translate every page once, so the TLB holds the context's entries. */
static void warm_tlb(struct fixture *f)
{
	struct smmu_txn t = { .sid = SID, .len = 8 };
	struct smmu_txn_result r;

	for (unsigned i = 0; i < PAGES; i++) {
		t.addr = VA + (uint64_t)i * 4096;
		if (!smmu_translate(f->p.smmu, &t, &r, NULL, NULL) ||
		    r.resp != SMMU_RESP_OK)
			bench_die(prog, "warm-up translation failed");
	}
}

static void make_tlbis(uint64_t (*cmds)[2], unsigned batch)
{
	for (unsigned i = 0; i < batch; i++) {
		cmds[i][0] = cmds[i][1] = 0;
		fset(cmds[i], CMD_OPCODE, OP_TLBI_NH_VA);
		fset(cmds[i], CMD_ASID, ASID);
		fset(cmds[i], CMD_LEAF, 1);
		fset(cmds[i], CMD_ADDR, (VA >> 12) + i % PAGES);
	}
}

/* `batches` batches of `batch` TLBIs and a CMD_SYNC through the
 * driver; ns per command. */
static double run(struct fixture *f, uint64_t batches, unsigned batch)
{
	uint64_t cmds[BATCH_MAX][2];
	uint64_t start, ns;

	make_tlbis(cmds, batch);
	start = bench_now_ns();
	for (uint64_t b = 0; b < batches; b++)
		if (hsmmu_cmd_batch(f->p.drv, (const uint64_t (*)[2])cmds,
				    batch))
			bench_die(prog, "command batch failed (CERROR %u)",
				  (unsigned)hsmmu_cmd_error(f->p.drv));
	ns = bench_now_ns() - start;
	return (double)ns / (double)(batches * (batch + 1));
}

/*
 * The same written into the queue directly: the queue's base and size
 * from CMDQ_BASE, the batch and a CMD_SYNC (CS=none) at PROD, PROD
 * written, the engine run to idle, CONS checked. The driver's own copy
 * of PROD goes stale: nothing may use the driver's queue afterwards
 * (hsmmu_remove issues no command).
 */
static double run_raw(struct fixture *f, uint64_t batches, unsigned batch)
{
	uint64_t cmds[BATCH_MAX + 1][2];
	uint64_t base_reg = hsmmu_read64(f->p.drv, R_CMDQ_BASE);
	uint64_t base = rget(base_reg, Q_BASE_ADDR) << 5;
	unsigned log2 = (unsigned)rget(base_reg, Q_BASE_LOG2SIZE);
	uint32_t idx_mask = (2u << log2) - 1; /* index and wrap bit */
	uint32_t prod = hsmmu_read32(f->p.drv, R_CMDQ_PROD) & idx_mask;
	uint64_t start, ns;

	if ((1u << log2) < batch + 1)
		bench_die(prog, "command queue of %u entries too small",
			  1u << log2);
	make_tlbis(cmds, batch);
	cmds[batch][0] = cmds[batch][1] = 0;
	fset(cmds[batch], CMD_OPCODE, OP_CMD_SYNC);
	start = bench_now_ns();
	for (uint64_t b = 0; b < batches; b++) {
		for (unsigned i = 0; i <= batch; i++) {
			uint64_t slot = base +
				(uint64_t)(prod & ((1u << log2) - 1)) * 16;

			pmem_write64(f->p.mem, slot, cmds[i][0], NULL);
			pmem_write64(f->p.mem, slot + 8, cmds[i][1], NULL);
			prod = (prod + 1) & idx_mask;
		}
		hsmmu_write32(f->p.drv, R_CMDQ_PROD, prod);
		sim_run_to_idle(f->p.sim, 0);
	}
	ns = bench_now_ns() - start;
	if ((hsmmu_read32(f->p.drv, R_CMDQ_CONS) & idx_mask) != prod)
		bench_die(prog, "the SMMU did not consume every command");
	return (double)ns / (double)(batches * (batch + 1));
}

enum mode { M_POLL, M_MSI, M_RAW };

static void bench(const struct bench_args *a, const char *name,
		  unsigned batch, enum mode m, uint64_t cmds_per_rep)
{
	struct smmu_impl impl;
	struct fixture f;
	struct smmu_stats s0, s1;
	struct bench_extra x;
	unsigned reps = a->quick ? QUICK_REPS : REPS;
	uint64_t batches = cmds_per_rep / (batch + 1);
	double v[REPS], med;

	if (!bench_wanted(a, name))
		return;
	if (batches == 0)
		batches = 1;
	smmu_impl_preset("full", &impl);
	setup(&f, &impl);
	if (m == M_MSI && hsmmu_set_sync_wait(f.p.drv, HSMMU_SYNC_MSI))
		bench_die(prog, "no CMD_SYNC MSI");
	smmu_get_stats(f.p.smmu, &s0);
	for (unsigned r = 0; r < reps; r++) {
		warm_tlb(&f);
		v[r] = m == M_RAW ? run_raw(&f, batches, batch)
				  : run(&f, batches, batch);
	}
	smmu_get_stats(f.p.smmu, &s1);
	/* every command reached the SMMU and none failed */
	if (s1.cmds - s0.cmds != (uint64_t)reps * batches * (batch + 1) ||
	    s1.cmd_errors != s0.cmd_errors ||
	    s1.syncs - s0.syncs != (uint64_t)reps * batches)
		bench_die(prog, "%s: %llu commands, %llu CMD_SYNCs, %llu "
			  "errors seen by the SMMU", name,
			  (unsigned long long)(s1.cmds - s0.cmds),
			  (unsigned long long)(s1.syncs - s0.syncs),
			  (unsigned long long)(s1.cmd_errors - s0.cmd_errors));
	med = bench_median(v, reps);
	bench_extra_init(&x, a);
	bench_extra_u64(&x, "batch", batch);
	bench_extra_str(&x, "wait", m == M_POLL ? "poll-cons" :
				    m == M_MSI ? "msi" : "none (raw queue)");
	bench_extra_u64(&x, "cmds_per_s",
			med > 0 ? (uint64_t)(1e9 / med) : 0);
	bench_report(name, med, batches * (batch + 1), impl.name, x.buf);
	pgtable_destroy(&f.pt);
	platform_destroy(&f.p);
}

/* Every benchmark of this program, in the order they run. */
static const char *const names[] = {
	"cmdq_tlbi_sync",
	"cmdq_tlbi_sync_1",
	"cmdq_tlbi_sync_msi",
	"cmdq_tlbi_sync_raw",
	NULL,
};

int main(int argc, char **argv)
{
	struct bench_args a;

	if (!bench_args_parse(&a, prog, names, argc, argv))
		return 2;
	uint64_t n = a.quick ? 2000 : 100000;

	bench(&a, "cmdq_tlbi_sync", 32, M_POLL, n);
	bench(&a, "cmdq_tlbi_sync_1", 1, M_POLL, n);
	bench(&a, "cmdq_tlbi_sync_msi", 32, M_MSI, n);
	bench(&a, "cmdq_tlbi_sync_raw", 32, M_RAW, n);
	return 0;
}
