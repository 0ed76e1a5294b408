/* SPDX-License-Identifier: MIT */
/*
 * A PCIe endpoint (one function, one StreamID) that does DMA through an
 * SMMU: a DMA engine, an optional ATS Address Translation Cache and an
 * optional PRI (Page Request Interface) capability.
 *
 * DMA engine. pcie_ep_dma() queues an access (address, length, read or
 * write, optional PASID) to start at a simulated time. At most
 * `max_outstanding` accesses are in flight; later ones wait in order.
 * Each access is one request TLP: it may not cross a 4 KiB boundary
 * (PCIe forbids it). Without ATS the access goes to the SMMU as an
 * Untranslated transaction; when the SMMU's response arrives the endpoint
 * reads or writes simulated memory at the output address (the memory's
 * latency is charged before completion), a RAZ/WI termination reads
 * zeros and drops the write, an abort fails the access. The caller learns
 * the outcome through a callback with the status and the latency.
 *
 * PASID prefix semantics: the PASID accompanies every TLP of an access
 * that has one; Execute and Privileged exist only with a PASID (an access
 * without one is a data, unprivileged access).
 *
 * ATS. With ATS enabled the engine looks its ATC up by (PASID or none,
 * Privileged, address). A hit that grants the access's permission sends a
 * Translated transaction at the cached physical address with no
 * Translation Request. A miss sends a Translation Request (NW=1 for reads)
 * and caches the Translation Completion; a completion that does not grant
 * the access fails it, or, with PRI enabled, makes the endpoint send a
 * Page Request Group and retry the translation on Success. The SMMU's
 * ATS Invalidate Requests remove every covered entry and are answered
 * after `inv_delay` cycles (or never, in PCIE_EP_INV_NEVER mode).
 *
 * PRI. The capability (PCIe extended capability 0x0013) is modelled by
 * its Control, Status and Outstanding Page Request Allocation registers;
 * one credit is held per outstanding page request and the group's
 * response returns them. Response Failure sets Status.RF and stops all
 * page requests until software clears Enable and sets it again.
 *
 * The endpoint reaches the SMMU through a `struct pcie_ep_port`: the real
 * SMMU (pcie_ep_connect_smmu()) or a test double.
 *
 * Determinism: nothing here is random; equal inputs give equal runs.
 */
#ifndef SMMUSIM_PCIE_EP_H
#define SMMUSIM_PCIE_EP_H

#include <stdbool.h>
#include <stdint.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pcie_ep;

/* --- PRI extended capability (PCIe; facts §7.4) ---------------------- */

#define PCIE_EXT_CAP_ID_PRI 0x0013u
/* Register offsets from the capability's base */
#define PCIE_PRI_CTRL 0x04u   /* 16-bit Page Request Control */
#define PCIE_PRI_STATUS 0x06u /* 16-bit Page Request Status */
#define PCIE_PRI_CAP 0x08u    /* 32-bit Outstanding Page Request Capacity */
#define PCIE_PRI_ALLOC 0x0Cu  /* 32-bit Outstanding Page Request Allocation */
/* Control */
#define PCIE_PRI_CTRL_ENABLE 0x0001u
#define PCIE_PRI_CTRL_RESET 0x0002u
/* Status (RF and UPRGI are RW1C, Stopped and PASID Required RO) */
#define PCIE_PRI_STATUS_RF 0x0001u
#define PCIE_PRI_STATUS_UPRGI 0x0002u
#define PCIE_PRI_STATUS_STOPPED 0x0100u
#define PCIE_PRI_STATUS_PASID_REQ 0x8000u

/* PRG Response Codes (PCIe) */
#define PCIE_PRG_RESP_SUCCESS 0x0u
#define PCIE_PRG_RESP_INVALID 0x1u
#define PCIE_PRG_RESP_FAILURE 0xFu

/* The PRG Index is 9 bits. */
#define PCIE_PRGI_COUNT 512u

/* --- configuration ---------------------------------------------------- */

enum pcie_ep_atc_policy {
	PCIE_EP_ATC_LRU = 0,  /* evict the least recently used entry */
	PCIE_EP_ATC_FIFO = 1, /* evict the oldest filled entry */
};

enum pcie_ep_inv_mode {
	PCIE_EP_INV_COMPLETE = 0, /* Invalidate Completion after inv_delay */
	PCIE_EP_INV_NEVER = 1,    /* never answer (timeout tests) */
};

struct pcie_ep_config {
	uint32_t sid;             /* the function's StreamID */
	unsigned max_outstanding; /* accesses in flight (0 is taken as 1) */
	/* ATS */
	bool ats;                 /* ATS capability present and enabled */
	unsigned atc_entries;     /* ATC size (0: no caching at all) */
	enum pcie_ep_atc_policy atc_policy;
	bool global_inv;          /* Global Invalidate Supported */
	uint64_t inv_delay;       /* cycles from Invalidate to Completion */
	enum pcie_ep_inv_mode inv_mode;
	/* PRI */
	bool pri;                 /* PRI capability present */
	uint32_t pri_capacity;    /* Outstanding Page Request Capacity */
	bool prg_resp_pasid_req;  /* Status.PRG Response PASID Required */
	unsigned prg_pages;       /* pages per group on a fault (0 is 1):
				   * the faulting page and the following */
	unsigned pri_max_groups;  /* groups one access may send (0 is 1) */
};

/* The endpoint's way to the SMMU. */
struct pcie_ep_port {
	bool (*submit)(void *ctx, const struct smmu_txn *txn,
		       smmu_txn_done_fn done, void *done_ctx);
	void (*page_request)(void *ctx, const struct smmu_page_request *pr);
	void (*inv_done)(void *ctx, uint64_t tag);
	/* Optional: called by pcie_ep_destroy() */
	void (*detach)(void *ctx, uint32_t sid);
	void *ctx;
};

/*
 * Create an endpoint. `mem` is the memory DMA reaches (the SMMU's output
 * addresses), `port` how it reaches the SMMU (copied; may be NULL and
 * set later with pcie_ep_set_port() or pcie_ep_connect_smmu()). PRI
 * starts disabled with an allocation of 0, like a function after reset;
 * ATS is enabled when cfg->ats. NULL on a bad configuration or no memory.
 */
struct pcie_ep *pcie_ep_create(struct sim *sim, struct pmem *mem,
			       const struct pcie_ep_config *cfg,
			       const struct pcie_ep_port *port);
/*
 * Destroy: detaches from the SMMU (port.detach), cancels the endpoint's
 * own events and frees pending accesses without calling their callbacks.
 * Transactions already handed to the SMMU must have completed first (run
 * the engine to idle): their responses would reach a freed endpoint. An
 * endpoint connected with pcie_ep_connect_smmu() goes before its SMMU.
 */
void pcie_ep_destroy(struct pcie_ep *ep);
void pcie_ep_set_port(struct pcie_ep *ep, const struct pcie_ep_port *port);
uint32_t pcie_ep_sid(const struct pcie_ep *ep);
/*
 * Wire the endpoint to a real SMMU: smmu_submit, smmu_pri_request and
 * smmu_atc_inv_done as the port, and smmu_attach_endpoint for the
 * endpoint's StreamID. False if the attach is refused.
 */
bool pcie_ep_connect_smmu(struct pcie_ep *ep, struct smmu *smmu);
/* The endpoint's side of the SMMU boundary (for smmu_attach_endpoint). */
void pcie_ep_endpoint_ops(struct pcie_ep *ep, struct smmu_endpoint_ops *ops);

/* --- DMA --------------------------------------------------------------- */

struct pcie_ep_access {
	uint64_t addr;
	uint32_t len;        /* 1..4096, not crossing a 4 KiB boundary */
	bool write;
	bool pasid_valid;    /* a PASID prefix accompanies the TLPs */
	uint32_t pasid;      /* 20 bits */
	bool exec, priv;     /* only meaningful with a PASID; exec: reads */
	const void *wdata;   /* write data, copied at submission; NULL: 0s */
	void *rbuf;          /* read data lands here at completion; NULL:
			      * discarded (the callback still sees it) */
	uint64_t tag;        /* the caller's */
};

enum pcie_ep_status {
	PCIE_EP_OK = 0,
	PCIE_EP_RAZWI,        /* SMMU terminated it: read zeros, write lost */
	PCIE_EP_ABORT,        /* the SMMU aborted the access */
	PCIE_EP_MEM_ABORT,    /* memory at the output address aborted */
	PCIE_EP_ATS_UR,       /* Translation Request: Unsupported Request */
	PCIE_EP_ATS_CA,       /* Translation Request: Completer Abort */
	PCIE_EP_NO_ACCESS,    /* translation granted too little, no PRI */
	PCIE_EP_PRI_INVALID,  /* PRG response Invalid Request */
	PCIE_EP_PRI_FAILURE,  /* PRG Response Failure (or PRI reset) */
	PCIE_EP_NO_CREDIT,    /* a group larger than the allocation */
	PCIE_EP_PASID_STOPPED, /* needed a page request on a stopped PASID */
	PCIE_EP_SUBMIT_FAILED, /* the SMMU refused the transaction */
};

struct pcie_ep_result {
	enum pcie_ep_status status;
	uint64_t oa;           /* physical address accessed (OK, RAZWI) */
	uint64_t issued_at;    /* the `when` of pcie_ep_dma() */
	uint64_t started_at;   /* got an outstanding slot */
	uint64_t completed_at;
	uint64_t latency;      /* completed_at - issued_at */
	bool atc_hit;          /* the first ATC lookup hit */
	unsigned treqs;        /* Translation Requests it sent */
	unsigned prgs;         /* Page Request Groups it sent */
	enum smmu_resp smmu_resp; /* last SMMU response for the access */
	const uint8_t *data;   /* read data, valid during the callback */
	/*
	 * Latency breakdown: `latency` split by stage, in cycles. The six
	 * add up exactly to `latency`; a stage the access never entered
	 * is 0.
	 *   lat_queue  issued -> an outstanding slot (started_at)
	 *   lat_xlate  ATC lookup and the Translation Requests before the
	 *              first Page Request Group (0 on an ATC hit)
	 *   lat_pri    waiting for PRI credits, and from sending each Page
	 *              Request Group to receiving its PRG Response
	 *   lat_retry  Translation Requests after a PRG Response (Success)
	 *   lat_data   the read/write at the SMMU: submission to response
	 *              (for Untranslated, the translation, walks and any
	 *              stall until CMD_RESUME)
	 *   lat_mem    the memory access at the output address
	 */
	uint64_t lat_queue, lat_xlate, lat_pri, lat_retry, lat_data, lat_mem;
};

typedef void (*pcie_ep_done_fn)(void *ctx, const struct pcie_ep_access *acc,
				const struct pcie_ep_result *res);

/*
 * Queue an access to start at simulated time `when` (now if in the past).
 * 0, or -EINVAL (bad length, crosses 4 KiB, exec write, PASID beyond 20
 * bits), -ENOMEM.
 */
int pcie_ep_dma(struct pcie_ep *ep, uint64_t when,
		const struct pcie_ep_access *acc, pcie_ep_done_fn done,
		void *ctx);
/* Accesses started and not completed / queued and not started. */
unsigned pcie_ep_inflight(const struct pcie_ep *ep);
unsigned pcie_ep_queued(const struct pcie_ep *ep);

/* --- ATS / ATC --------------------------------------------------------- */

struct pcie_ep_atc_entry {
	bool pasid_valid;
	uint32_t pasid;
	bool priv;            /* Priv of the completion (PASID only) */
	uint64_t va;          /* untranslated base, aligned to the size */
	uint64_t pa;
	uint8_t size_shift;   /* log2 bytes */
	bool r, w, x, u;
};

/* ATS Control.Enable; clearing it empties the ATC. */
void pcie_ep_ats_enable(struct pcie_ep *ep, bool enable);
/* Valid entries now. */
unsigned pcie_ep_atc_count(const struct pcie_ep *ep);
/* The entry in slot `i` (0 .. atc_entries-1); false if empty. */
bool pcie_ep_atc_slot(const struct pcie_ep *ep, unsigned i,
		      struct pcie_ep_atc_entry *out);
/* The entry an access would use (no permission check, no LRU touch). */
bool pcie_ep_atc_find(const struct pcie_ep *ep, bool pasid_valid,
		      uint32_t pasid, bool priv, uint64_t addr,
		      struct pcie_ep_atc_entry *out);
/* Put an entry in the ATC as a Translation Completion would. */
void pcie_ep_atc_fill(struct pcie_ep *ep, const struct pcie_ep_atc_entry *e);
void pcie_ep_set_inv_mode(struct pcie_ep *ep, enum pcie_ep_inv_mode mode,
			  uint64_t delay);
/* The SMMU's ATS Invalidate Request (smmu_endpoint_ops.atc_inv). */
void pcie_ep_atc_inv(struct pcie_ep *ep, const struct smmu_atc_inv *req);

/* --- PRI --------------------------------------------------------------- */

/* Configuration space access to the PRI capability (offsets above);
 * size is 2 for Control/Status, 4 for Capacity/Allocation. Unknown
 * offsets read 0 and ignore writes. */
uint32_t pcie_ep_pri_cfg_read(const struct pcie_ep *ep, unsigned off);
void pcie_ep_pri_cfg_write(struct pcie_ep *ep, unsigned off, uint32_t val);
/* Conveniences built on the two above */
void pcie_ep_pri_enable(struct pcie_ep *ep, bool enable);
void pcie_ep_pri_set_alloc(struct pcie_ep *ep, uint32_t alloc);
uint16_t pcie_ep_pri_status(const struct pcie_ep *ep);
/* Credits free now: Allocation - outstanding page requests. */
uint32_t pcie_ep_pri_credits(const struct pcie_ep *ep);
/* Outstanding Page Request Groups. */
unsigned pcie_ep_pri_groups(const struct pcie_ep *ep);
/* A PRG Response (smmu_endpoint_ops.pri_resp). */
void pcie_ep_pri_resp(struct pcie_ep *ep, const struct smmu_pri_resp *resp);
/*
 * Stop using `pasid`: accesses of that PASID waiting for credits fail
 * (PCIE_EP_PASID_STOPPED) without sending their requests, no page request
 * for it is sent any more, and a Stop Marker (SSV=1, Last=1, R=W=0) goes
 * out now, after every page request already sent for it. Until
 * pcie_ep_pasid_start(), an access on it that needs a page request fails.
 */
void pcie_ep_pri_stop_marker(struct pcie_ep *ep, uint32_t pasid);
void pcie_ep_pasid_start(struct pcie_ep *ep, uint32_t pasid);

/* --- counters ---------------------------------------------------------- */

struct pcie_ep_stats {
	uint64_t accesses, ok, razwi, failed;
	uint64_t untranslated, treqs, translated; /* submissions by kind */
	uint64_t atc_hits, atc_misses, atc_fills, atc_evictions;
	uint64_t inv_requests, inv_entries, inv_completions;
	uint64_t prgs, page_requests, stop_markers;
	uint64_t prg_responses, prg_unexpected, credit_waits;
};
void pcie_ep_get_stats(const struct pcie_ep *ep, struct pcie_ep_stats *out);

/*
 * Invariant (docs/robustness.md): when the endpoint completes an ATS
 * invalidation, no ATC entry it covers that was filled before the request
 * arrived remains. Checked at every completion; false with the first
 * violation in err.
 */
bool pcie_ep_check_invariants(const struct pcie_ep *ep, char *err,
			      size_t len);

#ifdef __cplusplus
}
#endif

#endif
