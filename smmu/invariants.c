/* SPDX-License-Identifier: MIT */
/*
 * Invariants of the model, for tests and fuzzers (docs/robustness.md):
 * what must hold whatever software wrote. smmu_check_invariants() returns
 * false with one line naming the first violation.
 *
 *   Queues (§3.5, §6.3.26): while a queue is enabled, the index the SMMU
 *   owns (CMDQ_CONS.RD, EVENTQ_PROD.WR, PRIQ_PROD.WR) has no bit above
 *   LOG2SIZE + 1 (wrap bit included). (How far it is from software's
 *   index is software's business: a CONS written past PROD is
 *   UNPREDICTABLE, not a model error; the queues never write a full
 *   queue, which evtq.c and priq.c check before every write.)
 *   Stalls (§3.12.2): every transaction that stalled is answered exactly
 *   once: stalls started = stalls answered + stalls still held.
 *   Invalidation (§3.17, §4.4): no TLB entry filled before a TLBI that
 *   covers it survives the TLBI and the CMD_SYNC after it (checked when
 *   each CMD_SYNC retires while smmu_set_checks() is on; the first
 *   violation is kept here).
 */
#include "smmu/queue.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLBIs executed since the last CMD_SYNC, checked when it retires. */
#define CHECK_PENDING_MAX 64u

struct smmu_checks {
	struct inval_req pending[CHECK_PENDING_MAX];
	uint64_t fills[CHECK_PENDING_MAX]; /* TLB fills when executed */
	unsigned npending;
	uint64_t violations;
	char first[256];
};

void smmu_set_checks(struct smmu *smmu, bool on)
{
	if (on && !smmu->check)
		smmu->check = calloc(1, sizeof(*smmu->check));
	else if (!on)
		checks_destroy(smmu);
}

void checks_destroy(struct smmu *smmu)
{
	free(smmu->check);
	smmu->check = NULL;
}

static const char *const inval_names[] = {
	[INV_NH_ALL] = "TLBI_NH_ALL", [INV_NH_ASID] = "TLBI_NH_ASID",
	[INV_NH_VA] = "TLBI_NH_VA", [INV_NH_VAA] = "TLBI_NH_VAA",
	[INV_EL2_ALL] = "TLBI_EL2_ALL", [INV_EL2_ASID] = "TLBI_EL2_ASID",
	[INV_EL2_VA] = "TLBI_EL2_VA", [INV_EL2_VAA] = "TLBI_EL2_VAA",
	[INV_S12_VMALL] = "TLBI_S12_VMALL", [INV_S2_IPA] = "TLBI_S2_IPA",
	[INV_NSNH_ALL] = "TLBI_NSNH_ALL", [INV_EL3_ALL] = "TLBI_EL3_ALL",
	[INV_EL3_VA] = "TLBI_EL3_VA", [INV_ALL] = "invalidate-all",
};

static void check_one(struct smmu *smmu, const struct inval_req *req,
		      uint64_t upto)
{
	struct smmu_checks *c = smmu->check;
	uint64_t n = tlb_count_covered(smmu, req, upto);

	if (!n)
		return;
	if (!c->violations++)
		snprintf(c->first, sizeof(c->first),
			 "%" PRIu64 " TLB entries survive %s (ASID 0x%x, VMID "
			 "0x%x, address 0x%" PRIx64 ", size 0x%" PRIx64 ") and "
			 "CMD_SYNC", n,
			 (unsigned)req->kind < sizeof(inval_names) /
						   sizeof(inval_names[0]) &&
			 inval_names[req->kind] ? inval_names[req->kind] : "?",
			 req->asid, req->vmid, req->addr, req->size);
}

void check_tlbi_executed(struct smmu *smmu, const struct inval_req *req)
{
	struct smmu_checks *c = smmu->check;

	if (c->npending == CHECK_PENDING_MAX) {
		/* a long batch: check now what the oldest covered */
		check_one(smmu, &c->pending[0], c->fills[0]);
		memmove(&c->pending[0], &c->pending[1],
			(CHECK_PENDING_MAX - 1) * sizeof(c->pending[0]));
		memmove(&c->fills[0], &c->fills[1],
			(CHECK_PENDING_MAX - 1) * sizeof(c->fills[0]));
		c->npending--;
	}
	c->pending[c->npending] = *req;
	c->fills[c->npending] = tlb_fills(smmu);
	c->npending++;
}

void check_sync_retired(struct smmu *smmu)
{
	struct smmu_checks *c = smmu->check;

	/* Entries filled after a TLBI (by translations racing the batch)
	 * are new and legitimate; older covered ones must be gone. */
	for (unsigned i = 0; i < c->npending; i++)
		check_one(smmu, &c->pending[i], c->fills[i]);
	c->npending = 0;
}

struct queue_check {
	const char *name;
	enum reg_id base, prod, cons;
	bool smmu_produces;     /* else the SMMU consumes */
	bool (*enabled)(const struct smmu *smmu);
};

static const struct queue_check queues[] = {
	{ "command queue", R_CMDQ_BASE, R_CMDQ_PROD, R_CMDQ_CONS, false,
	  smmu_cmdq_enabled },
	{ "event queue", R_EVENTQ_BASE, R_EVENTQ_PROD, R_EVENTQ_CONS, true,
	  smmu_eventq_enabled },
	{ "PRI queue", R_PRIQ_BASE, R_PRIQ_PROD, R_PRIQ_CONS, true,
	  smmu_priq_enabled },
};

static bool check_queue(struct smmu *smmu, const struct queue_check *q,
			char *err, size_t len)
{
	unsigned qs = regs_queue_log2size(smmu, q->base);
	uint32_t prod = (uint32_t)rget(regs_get(smmu, q->prod), Q_WR);
	uint32_t cons = (uint32_t)rget(regs_get(smmu, q->cons), Q_RD);
	uint32_t mine = q->smmu_produces ? prod : cons;

	if (!q->enabled(smmu))
		return true;
	if (mine >> (qs + 1)) {
		snprintf(err, len, "%s: the SMMU's index 0x%" PRIx32 " has bits "
			 "above LOG2SIZE + 1 = %u", q->name, mine, qs + 1);
		return false;
	}
	return true;
}

bool smmu_check_invariants(struct smmu *smmu, char *err, size_t len)
{
	char dummy[1];

	if (!err || !len) {
		err = dummy;
		len = sizeof(dummy);
	}
	for (size_t i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		if (!check_queue(smmu, &queues[i], err, len))
			return false;
	if (smmu->stats.stalls != smmu->stats.stall_ends +
				  translate_stalls_held(smmu)) {
		snprintf(err, len, "stalls: %" PRIu64 " started, %" PRIu64
			 " answered, %" PRIu32 " held", smmu->stats.stalls,
			 smmu->stats.stall_ends, translate_stalls_held(smmu));
		return false;
	}
	if (smmu->check && smmu->check->violations) {
		snprintf(err, len, "%s", smmu->check->first);
		return false;
	}
	return true;
}
