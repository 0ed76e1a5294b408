/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 model's boundary (IHI 0070).
 *
 * Inputs:  MMIO accesses to the register pages, upstream transactions
 *          (StreamID, SubstreamID, address, size, attributes), the clock.
 * Outputs: accesses to simulated memory (tables, queues, MSIs), wired
 *          interrupt lines (callbacks), transaction responses.
 *
 * Nothing else: software programs the model only as it would program
 * hardware, through registers and structures in memory.
 */
#ifndef SMMUSIM_SMMU_H
#define SMMUSIM_SMMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu_impl.h"

#ifdef __cplusplus
extern "C" {
#endif

struct smmu;

/* Size of the register space: page 0 and page 1. */
#define SMMU_MMIO_SIZE 0x20000u

/* Wired interrupt lines (used when the *_IRQ_CFG0 MSI address is 0). */
enum smmu_irq_line {
	SMMU_IRQ_EVTQ = 0,
	SMMU_IRQ_PRIQ = 1,
	SMMU_IRQ_GERROR = 2,
	SMMU_IRQ_CMD_SYNC = 3,
};

struct smmu_irq_ops {
	/* A pulse on a wired interrupt line. */
	void (*irq)(void *ctx, enum smmu_irq_line line);
	/* A WFE wake-up event (IDR0.SEV, CMD_SYNC CS=SEV). */
	void (*sev)(void *ctx);
	void *ctx;
};

struct smmu *smmu_create(struct sim *sim, struct pmem *mem,
			 const struct smmu_impl *impl);
void smmu_destroy(struct smmu *smmu);
void smmu_set_irq_ops(struct smmu *smmu, const struct smmu_irq_ops *ops);

/*
 * Map the two register pages into physical memory at `base` (64 KiB
 * aligned), so software reaches them with ordinary pmem accesses.
 * Returns the pmem region id or -1.
 */
int smmu_map_mmio(struct smmu *smmu, uint64_t base);

/*
 * Direct register access at an offset from page 0. size is 4 or 8 and the
 * offset aligned to it. Returns false for an access the model refuses
 * (misaligned, bad size): the bus answers with an external abort.
 */
bool smmu_reg_read(struct smmu *smmu, uint64_t offset, unsigned size,
		   uint64_t *val);
bool smmu_reg_write(struct smmu *smmu, uint64_t offset, unsigned size,
		    uint64_t val);

/* --- upstream transactions --- */

enum smmu_txn_kind {
	SMMU_TXN_UNTRANSLATED = 0, /* ordinary DMA, translated by the SMMU */
	SMMU_TXN_ATS_TREQ = 1,     /* PCIe ATS Translation Request */
	SMMU_TXN_TRANSLATED = 2,   /* ATS Translated (address is a PA) */
};

struct smmu_txn {
	uint32_t sid;
	uint32_t ssid;
	bool ssv;           /* a SubstreamID (PASID) accompanies the txn */
	uint64_t addr;
	uint32_t len;       /* bytes; the model translates addr's page */
	bool write;         /* RnW = !write */
	bool instr;         /* InD: instruction fetch (reads only) */
	bool priv;          /* PnU: privileged */
	bool no_write;      /* ATS TR: NW, no write permission requested */
	enum smmu_txn_kind kind;
	uint64_t cookie;    /* the caller's, returned untouched */
};

enum smmu_resp {
	SMMU_RESP_OK = 0,     /* translated; oa is valid */
	SMMU_RESP_ABORT = 1,  /* aborted back to the client */
	SMMU_RESP_RAZWI = 2,  /* terminated: reads as zero, write ignored */
	SMMU_RESP_UR = 3,     /* ATS: Unsupported Request */
	SMMU_RESP_CA = 4,     /* ATS: Completer Abort */
};

struct smmu_txn_result {
	enum smmu_resp resp;
	uint64_t oa;          /* output address of txn.addr */
	/* ATS Translation Completion (kind == SMMU_TXN_ATS_TREQ) */
	bool ats_r, ats_w, ats_x, ats_priv, ats_u;
	uint8_t ats_size_shift; /* log2 bytes covered by the completion */
	/* Diagnostics, not architectural: the event type this transaction
	 * raised (0 if none) and whether a record was written for it. */
	uint8_t event_id;
	bool event_recorded;
	/* SMMU_PERM_*: what the translation grants the requester (at its
	 * privilege) when resp is OK. */
	uint8_t perm;
	bool stalled;         /* was held stalled before this response */
	uint64_t submitted_at;
	uint64_t completed_at;
};

#define SMMU_PERM_R 0x1u
#define SMMU_PERM_W 0x2u
#define SMMU_PERM_X 0x4u

typedef void (*smmu_txn_done_fn)(void *ctx, const struct smmu_txn *txn,
				 const struct smmu_txn_result *res);

/*
 * Present a transaction at the current simulated time. The response is
 * delivered through `done` when the engine reaches the completion time
 * (never from inside this call). Returns false if the model cannot accept
 * it (host out of memory).
 */
bool smmu_submit(struct smmu *smmu, const struct smmu_txn *txn,
		 smmu_txn_done_fn done, void *ctx);

/*
 * Translate a transaction now, without scheduling its delivery: for
 * callers that run their own event loop. Returns true with *res filled;
 * res->completed_at is when the response leaves the SMMU, and the caller
 * acts on it at that time. Returns false if the transaction stalled (or
 * an argument is NULL): the response then arrives through `done` when
 * software resumes or terminates it. Model state and simulated cycles are
 * exactly those of smmu_submit().
 */
bool smmu_translate(struct smmu *smmu, const struct smmu_txn *txn,
		    struct smmu_txn_result *res, smmu_txn_done_fn done,
		    void *ctx);

/* --- PCIe endpoints: ATS invalidation and PRI (§3.9, §8) ---------------
 *
 * The root complex side of the SMMU. An endpoint (sim/pcie_ep.h) attaches
 * for a range of StreamIDs; the SMMU sends it ATS Invalidate Requests
 * (from CMD_ATC_INV) and PRI Page Request Group Responses (from
 * CMD_PRI_RESP and the PRI queue's automatic responses); the endpoint
 * sends Page Requests and Invalidate Completions back.
 */

/* An ATS Invalidate Request (PCIe), from CMD_ATC_INV. */
struct smmu_atc_inv {
	uint32_t sid;
	bool ssv;          /* a PASID accompanies the request */
	uint32_t ssid;
	bool global;       /* Global Invalidate (with a PASID) */
	uint64_t addr;     /* aligned to the span */
	uint8_t span_log2; /* bytes = 2^span_log2 (12 .. 64; 64 = all) */
	uint64_t tag;      /* give back to smmu_atc_inv_done() */
};

/* A Page Request Group Response (PCIe PRI). */
struct smmu_pri_resp {
	uint32_t sid;
	bool ssv;          /* the response carries a PASID */
	uint32_t ssid;
	uint16_t prgi;     /* Page Request Group Index */
	uint8_t code;      /* PCIe Response Code: 0 Success, 1 Invalid
			    * Request, 0xF Response Failure */
};

struct smmu_endpoint_ops {
	/* Must be answered, now or later, by smmu_atc_inv_done(tag) —
	 * or never, to model an endpoint that times out. */
	void (*atc_inv)(void *ctx, const struct smmu_atc_inv *req);
	void (*pri_resp)(void *ctx, const struct smmu_pri_resp *resp);
	void *ctx;
};

/* Route ATS/PRI messages for StreamIDs [first, first + count) to ops.
 * Returns false if the range overlaps one already attached. */
bool smmu_attach_endpoint(struct smmu *smmu, uint32_t sid_first,
			  uint32_t sid_count,
			  const struct smmu_endpoint_ops *ops);
void smmu_detach_endpoint(struct smmu *smmu, uint32_t sid_first);
/* An Invalidate Completion for the request that carried `tag`. */
void smmu_atc_inv_done(struct smmu *smmu, uint64_t tag);

/* A PRI Page Request message (a stop marker is ssv=1, last=1, read=0,
 * write=0). */
struct smmu_page_request {
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool priv, exec, read, write, last;
	uint16_t prgi;
	uint64_t addr;     /* page address */
};
void smmu_pri_request(struct smmu *smmu, const struct smmu_page_request *pr);

/* Counters, for tests, traces and campaigns. */
struct smmu_stats {
	uint64_t txns, txn_ok, txn_abort, txn_razwi;
	uint64_t tlb_hits, tlb_misses;
	uint64_t cfg_hits, cfg_misses;
	uint64_t walkcache_hits, walkcache_misses;
	uint64_t walks, walk_reads;
	uint64_t cmds, cmd_errors, syncs;
	uint64_t events, events_dropped, events_merged;
	uint64_t stalls;      /* transactions that stalled */
	uint64_t stall_ends;  /* stalled transactions answered (resumed,
			       * terminated or aborted) */
	/* PRI: messages received (stop markers included), discarded
	 * instead of written, automatic PRG Responses sent (§8.1, §8.2) */
	uint64_t pri_requests, pri_dropped, pri_auto_responses;
	/* ATS Invalidate Requests sent; CMD_SYNCs that timed out on them */
	uint64_t atc_invs, atc_inv_timeouts;
};
void smmu_get_stats(const struct smmu *smmu, struct smmu_stats *out);

const struct smmu_impl *smmu_get_impl(const struct smmu *smmu);

/* --- invariants (docs/robustness.md) ------------------------------- */

/*
 * What must hold whatever software wrote: queue indices, stalls answered
 * exactly once, and (while smmu_set_checks(smmu, true)) no TLB entry
 * surviving a completed invalidation that covers it, checked at every
 * CMD_SYNC. False with one line in err at the first violation.
 */
bool smmu_check_invariants(struct smmu *smmu, char *err, size_t len);
/* Turn on the checks made as the model runs (they cost host time). */
void smmu_set_checks(struct smmu *smmu, bool on);

/* --- trace (docs/trace-format.md) ----------------------------------- */

/* Also record software's memory writes (MEM_W, MEM_FILL): a replay log. */
#define SMMU_TRACE_MEM 0x1u
/* The caller has written the "# smmusim-trace 1" header itself. */
#define SMMU_TRACE_NO_HEADER 0x2u

/*
 * Write this SMMU's trace to `f`, starting with the header lines; more
 * "# key: value" header lines may be written to f before the model runs
 * again. With SMMU_TRACE_MEM the trace installs itself as the write
 * observer of the SMMU's memory (pmem_set_observer). `f` stays the
 * caller's; it must stay open until smmu_trace_close() or
 * smmu_destroy(). Opening again replaces the previous trace.
 */
bool smmu_trace_open(struct smmu *smmu, FILE *f, unsigned flags);
void smmu_trace_close(struct smmu *smmu);

/* §7.3 name of an event type ("F_TRANSLATION"); NULL if it has none. */
const char *smmu_event_name(uint8_t id);

#ifdef __cplusplus
}
#endif

#endif
