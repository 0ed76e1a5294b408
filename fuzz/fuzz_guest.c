/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: guest-controlled state. The input is a program run
 * against a freshly probed SMMU: bytes written into live STEs, CDs and
 * page-table entries, commands (legal or not), register writes, and
 * transactions with any StreamID, SubstreamID, address, size and
 * attributes. Whatever software writes, the model must answer with
 * architected outcomes: no crash, no access outside simulated memory
 * (ASan), no hang (bounded runs), every response a defined one, and
 * every transaction answered unless it is stalled waiting for software,
 * and every invariant of smmu_check_invariants() holding at the end
 * (checked as the model runs: no TLB entry survives a TLBI + CMD_SYNC).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmu/smmu_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 200000u /* per run: bounds every simulation step */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static unsigned answered;

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	(void)ctx;
	(void)t;
	if (r->resp > SMMU_RESP_CA)
		abort();
	answered++;
}

static void sync_or_ack(struct hsmmu *drv)
{
	if (hsmmu_sync(drv) == -EIO)
		hsmmu_ack_cmd_error(drv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t regs[] = {
		R_GBPA, R_IRQ_CTRL, R_GERRORN, R_CR2, R_EVENTQ_CONS,
		R_STRTAB_BASE_CFG, 0x0FFC, 0x10000, R_CMDQ_BASE, R_CR1,
	};
	struct in in = { data, size };
	struct platform p;
	struct pgtable pt;
	struct smmu_impl impl;
	uint64_t ste[8], cd[8], buf, cdt, rec[4];
	unsigned submitted = 0;
	struct smmu_stats st;
	char err[128];

	if (size > 2048)
		return 0;
	smmu_impl_preset("full", &impl);
	if (!platform_create(&p, &impl, 3, 8, err, sizeof(err)))
		abort();
	smmu_set_checks(p.smmu, true);
	buf = hostmem_alloc(p.hm, 16 * 4096, 4096);
	cdt = hostmem_alloc(p.hm, 64 * 64, 4096);
	if (!pgtable_init(&pt, p.hm, 1, 12, 48) ||
	    !pgtable_map(&pt, 0x10000, buf, 16 * 4096, PT_R | PT_W | PT_USER))
		abort();
	/* a working stream 0..3 to start from: stage 1, one CD */
	hsmmu_cd_from_pgtable(cd, &pt, 1, 5);
	hsmmu_ste_s1(ste, cdt, 0);
	for (uint32_t sid = 0; sid < 4; sid++)
		for (int i = 0; i < 8; i++)
			pmem_write64(p.mem, hsmmu_ste_pa(p.drv, sid) + 8u * i,
				     ste[i], NULL);
	for (int i = 0; i < 8; i++)
		pmem_write64(p.mem, cdt + 8u * i, cd[i], NULL);

	answered = 0;
	while (in.n) {
		unsigned op = (unsigned)take(&in, 1);
		uint64_t c[2] = { 0, 0 };

		switch (op % 8) {
		case 0: /* a word of a live STE */
			pmem_write64(p.mem, hsmmu_ste_pa(p.drv, op >> 6) +
					    8 * take(&in, 1) % 64,
				     take(&in, 8), NULL);
			break;
		case 1: /* a word of the CD */
			pmem_write64(p.mem, cdt + 8 * (take(&in, 1) % 8),
				     take(&in, 8), NULL);
			break;
		case 2: { /* a leaf descriptor */
			uint64_t leaf;

			if (pgtable_lookup(&pt, 0x10000 + 4096 * (take(&in, 1) %
								   16),
					   NULL, &leaf))
				pmem_write64(p.mem, leaf, take(&in, 8), NULL);
			break;
		}
		case 3: /* a command, then CMD_SYNC */
			c[0] = take(&in, 8);
			c[1] = take(&in, 8);
			hsmmu_cmd(p.drv, c);
			sync_or_ack(p.drv);
			break;
		case 4: /* a register (not CR0: keep the SMMU on) */
			pmem_write32(p.mem,
				     PLAT_SMMU_BASE +
					     regs[take(&in, 1) % (sizeof(regs) /
								 sizeof(regs[0]))],
				     (uint32_t)take(&in, 4), NULL);
			break;
		case 5: { /* a transaction */
			uint64_t f = take(&in, 4);
			struct smmu_txn txn = {
				.sid = (uint32_t)(f & 3) | (f & 0x80 ?
					(uint32_t)take(&in, 2) : 0),
				.ssid = (uint32_t)take(&in, 3) & 0xFFFFF,
				.ssv = f & 4,
				.addr = f & 8 ? take(&in, 8) :
						0x10000 + take(&in, 2),
				.len = 1u << ((f >> 4) & 7),
				.write = f & 0x100,
				.instr = f & 0x200,
				.priv = f & 0x400,
			};

			if (smmu_submit(p.smmu, &txn, on_done, NULL))
				submitted++;
			break;
		}
		case 6:
			sim_run_to_idle(p.sim, MAX_EVENTS);
			break;
		default: /* make the SMMU read everything again */
			fset(c, CMD_OPCODE, OP_CFGI_STE_RANGE);
			fset(c, CMD_RANGE, 31);
			hsmmu_cmd(p.drv, c);
			memset(c, 0, sizeof(c));
			fset(c, CMD_OPCODE, OP_TLBI_NSNH_ALL);
			hsmmu_cmd(p.drv, c);
			sync_or_ack(p.drv);
			break;
		}
		while (hsmmu_pop_event(p.drv, rec))
			if ((rec[0] & 0xFF) == 0)
				abort(); /* no event has ID 0 */
	}
	sim_run_to_idle(p.sim, MAX_EVENTS);
	smmu_get_stats(p.smmu, &st);
	if (answered > submitted || submitted - answered > st.stalls)
		abort();
	/* queues, stalls, and no TLB entry surviving a TLBI + CMD_SYNC */
	if (!smmu_check_invariants(p.smmu, err, sizeof(err))) {
		fprintf(stderr, "invariant: %s\n", err);
		abort();
	}
	pgtable_destroy(&pt);
	platform_destroy(&p);
	return 0;
}
