/* SPDX-License-Identifier: MIT */
/*
 * I/O page-fault handling on the host: what an OS does when a device
 * touches a page of a process that is not (yet) mapped.
 *
 * Two ways a fault reaches the host (IHI 0070 §3.9, §3.12.2, §8):
 *
 *   PRI (PCIe devices with ATS): the device sends Page Requests (PPRs),
 *       which the SMMU writes to the PRI queue. PPRs with one Page Request
 *       Group index (PRGIndex) form a group, ended by the PPR with Last=1;
 *       groups may interleave. The host makes every page of a group
 *       resident and answers the group once with CMD_PRI_RESP:
 *         Success            every page resolved;
 *         Invalid Request    some page could not be resolved (no VMA,
 *                            or the VMA forbids the access);
 *         Response Failure   the host cannot judge the request at all:
 *                            no address space bound to the StreamID
 *                            (and PASID). The device's PRI is then dead
 *                            until software resets it, so it is used for
 *                            nothing else.
 *       The response carries the PRG index, and the PASID when the
 *       request had one.
 *
 *   Stalls (CD.S=1): a faulting transaction is held and an event record
 *       with Stall=1 and a STAG is written to the event queue. The host
 *       resolves the fault with the access from the record (RnW, InD) and
 *       answers CMD_RESUME: retry on success, terminate with abort on
 *       failure (or for a fault paging cannot cure: stage 2, address
 *       size).
 *
 * Resolving means hos_fault(mm, page, access) on the address space bound
 * to (StreamID, PASID). The handler finds it through a lookup hook (set
 * with iopf_set_lookup) or, without one, its own table of bonds
 * (iopf_bond_add, or iopf_bond_add_sva for an SVA bond). Access: a PPR's
 * W and X (HFAULT_WRITE, HFAULT_EXEC; a PPR with neither, R or not, is a
 * read); a stall's RnW and InD. Priv / PnU are not distinguished: hos
 * address spaces hold user pages only and hos_fault has no privilege.
 *
 * Event records that are not stalls are not the handler's: they are
 * passed to an event callback, or kept (up to IOPF_EVENTS_KEPT, the
 * oldest kept) for iopf_pop_event.
 *
 * PRI queue overflow (§8.1; facts §2.4): while PRIQ_PROD.OVFLG differs
 * from PRIQ_CONS.OVACKFLG the SMMU drops every new PPR and answers a
 * dropped Last=1 PPR itself. So once the records written before the
 * overflow are drained, every group still partial may have lost PPRs and
 * has been answered already: it is discarded without a response, and the
 * overflow acknowledged.
 *
 * Stop markers (PPR with PASID, L=1, R=W=0): the device will send nothing
 * more for that PASID. Partial groups of that PASID can never complete
 * and are dropped; the marker is remembered for iopf_pasid_stop, which
 * the SVA layer calls before it frees a PASID.
 *
 * Responses: resolved at once, answered resp_delay cycles later (0: at
 * once). All responses due in one iopf_process are queued together and
 * followed by one CMD_SYNC. PPR records are consumed (PRIQ_CONS moved)
 * before their group is answered, as credits require (§8).
 *
 * The handler reaches the SMMU only through the driver (MMIO and memory).
 * It is driven by polling: iopf_process drains the queues once;
 * iopf_run runs the simulation and polls for a number of cycles.
 */
#ifndef SMMUSIM_PRI_IOPF_H
#define SMMUSIM_PRI_IOPF_H

#include <stdbool.h>
#include <stdint.h>

#include "host/os.h"
#include "host/smmu_drv.h"
#include "smmu/fields.h"
#include "smmusim/sim.h"

struct iopf;
struct sva_bond;

/* --- record and command layouts (host side definitions) --- */

/* PRI queue record, 16 bytes (§8; facts §7.1) */
#define PPR_SID FLD(0, 31, 0)
#define PPR_SSID FLD(0, 51, 32)
#define PPR_PRIV FLD(0, 58, 58)
#define PPR_EXEC FLD(0, 59, 59)
#define PPR_READ FLD(0, 60, 60)
#define PPR_WRITE FLD(0, 61, 61)
#define PPR_LAST FLD(0, 62, 62)
#define PPR_SSV FLD(0, 63, 63)
#define PPR_PRGINDEX FLD(1, 8, 0)
#define PPR_ADDR FLD(1, 63, 12)

/* Event record fields the handler reads (§7.3; facts §6.1) */
#define EVR_ID FLD(0, 7, 0)
#define EVR_SSV FLD(0, 11, 11)
#define EVR_SSID FLD(0, 31, 12)
#define EVR_SID FLD(0, 63, 32)
#define EVR_STAG FLD(1, 15, 0)
#define EVR_STALL FLD(1, 31, 31)
#define EVR_PNU FLD(1, 33, 33)
#define EVR_IND FLD(1, 34, 34)
#define EVR_RNW FLD(1, 35, 35)
#define EVR_S2 FLD(1, 39, 39)
#define EVR_CLASS FLD(1, 41, 40)
#define EVR_INPUT FLD(2, 63, 0)

/* Event IDs a stall can carry (§7.3; facts §6.2) */
enum {
	IOPF_EVT_F_TRANSLATION = 0x10,
	IOPF_EVT_F_ADDR_SIZE = 0x11,
	IOPF_EVT_F_ACCESS = 0x12,
	IOPF_EVT_F_PERMISSION = 0x13,
};

/* CMD_PRI_RESP (§4.5.2) and CMD_RESUME (§4.7.1) fields */
#define IOPF_CMD_OPCODE FLD(0, 7, 0)
#define IOPF_CMD_SSV FLD(0, 11, 11)
#define IOPF_CMD_SSID FLD(0, 31, 12)
#define IOPF_CMD_SID FLD(0, 63, 32)
#define IOPF_CMD_PRI_PRGINDEX FLD(1, 8, 0)
#define IOPF_CMD_PRI_RESP FLD(1, 13, 12)
#define IOPF_CMD_RESUME_AC FLD(0, 12, 12)
#define IOPF_CMD_RESUME_AB FLD(0, 13, 13)
#define IOPF_CMD_RESUME_STAG FLD(1, 15, 0)

/* CMD_PRI_RESP.Resp encodings (§4.5.2; facts §7.2) */
enum iopf_resp {
	IOPF_RESP_FAILURE = 0, /* PCIe Response Failure (1111) */
	IOPF_RESP_INVALID = 1, /* PCIe Invalid Request (0001) */
	IOPF_RESP_SUCCESS = 2, /* PCIe Success (0000) */
};

/* A PRI queue record, decoded. */
struct iopf_ppr {
	uint32_t sid;
	bool ssv;
	uint32_t pasid;     /* 0 when ssv is clear (UNKNOWN in the record) */
	bool priv, exec, read, write, last;
	uint16_t prgi;
	uint64_t addr;      /* page address (bits [11:0] zero) */
};

void iopf_ppr_decode(const uint64_t rec[2], struct iopf_ppr *out);
void iopf_ppr_encode(const struct iopf_ppr *in, uint64_t rec[2]);
/* §8: with a PASID, L=1 and R=W=0 is a stop marker, not a request. */
bool iopf_ppr_is_stop(const struct iopf_ppr *p);

/* A fault event record, decoded (the fields the handler uses). */
struct iopf_fault {
	uint8_t id;
	uint32_t sid;
	bool ssv;
	uint32_t pasid;
	bool stall;
	uint16_t stag;
	bool pnu, ind, rnw, s2;
	uint8_t cls;
	uint64_t addr;
};

void iopf_fault_decode(const uint64_t rec[4], struct iopf_fault *out);

/* --- the handler --- */

struct iopf_params {
	unsigned priq_log2;   /* PRI queue entries, log2 (0: 8; capped) */
	uint64_t resp_delay;  /* cycles between resolving and answering */
	uint64_t poll_cycles; /* iopf_run's polling interval (0: 16) */
};

/* Events kept for iopf_pop_event without an event callback. */
#define IOPF_EVENTS_KEPT 256u
/* PPRs held in partial groups at most; more are dropped and their group
 * answered Invalid Request. */
#define IOPF_PPRS_HELD 4096u
/* Stop markers remembered for iopf_pasid_stop at most (oldest dropped). */
#define IOPF_MARKERS_KEPT 64u

/*
 * A handler for the SMMU behind `drv`. When the SMMU has PRI (IDR0.PRI),
 * allocates its PRI queue if the driver has none and enables it. 0 and
 * *out, -ENOMEM, -ETIMEDOUT (PRIQEN not acknowledged).
 */
int iopf_create(struct sim *sim, struct hsmmu *drv,
		const struct iopf_params *p, struct iopf **out);
/* Answer every pending response now, drop partial groups, free. The PRI
 * queue stays with the driver. */
void iopf_destroy(struct iopf *io);

/* The address space bound to (sid, PASID) — ssv clear: the stream's
 * own, without PASID — or NULL when there is none. */
typedef struct hmm *(*iopf_lookup_fn)(void *ctx, uint32_t sid, bool ssv,
				      uint32_t pasid);
/* Use `fn` instead of the handler's own table (NULL: the table again). */
void iopf_set_lookup(struct iopf *io, iopf_lookup_fn fn, void *ctx);

/* The handler's own table; it holds an hmm_get reference per entry.
 * add: 0, -EEXIST, -ENOMEM. del: 0, -ENOENT. */
int iopf_bond_add(struct iopf *io, uint32_t sid, bool ssv, uint32_t pasid,
		  struct hmm *mm);
int iopf_bond_del(struct iopf *io, uint32_t sid, bool ssv, uint32_t pasid);
/* The same for an SVA bond: (device StreamID, bond PASID, mm). */
int iopf_bond_add_sva(struct iopf *io, const struct sva_bond *b);
int iopf_bond_del_sva(struct iopf *io, const struct sva_bond *b);

/* Non-stall event records: to `fn` (called from iopf_process), or kept
 * for iopf_pop_event when fn is NULL. */
typedef void (*iopf_event_fn)(void *ctx, const uint64_t rec[4]);
void iopf_set_event_handler(struct iopf *io, iopf_event_fn fn, void *ctx);
bool iopf_pop_event(struct iopf *io, uint64_t rec[4]);

/* Observability: every command the handler queues (not the CMD_SYNCs). */
typedef void (*iopf_cmd_fn)(void *ctx, const uint64_t cmd[2]);
void iopf_set_cmd_observer(struct iopf *io, iopf_cmd_fn fn, void *ctx);

/* Fault injection: answer `cycles` after resolving (a slow handler). */
void iopf_set_resp_delay(struct iopf *io, uint64_t cycles);

/*
 * Drain the PRI queue and the event queue once, handle every record,
 * acknowledge a PRI queue overflow, and send the responses that are due.
 * Returns the records consumed from both queues.
 */
unsigned iopf_process(struct iopf *io);
/* Handle one PRI record or one event record as iopf_process does (for
 * callers with their own queue), without sending responses. */
void iopf_handle_ppr(struct iopf *io, const uint64_t rec[2]);
void iopf_handle_event(struct iopf *io, const uint64_t rec[4]);
/* Send the responses that are due now: 0, or -EIO (a command failed). */
int iopf_send_due(struct iopf *io);
/* Run the simulation for `cycles`, processing every poll interval and
 * when a response falls due. */
void iopf_run(struct iopf *io, uint64_t cycles);
/* The time the next delayed response is due, UINT64_MAX if none. */
uint64_t iopf_next_due(const struct iopf *io);

/*
 * Before a PASID of stream `sid` is torn down: when wait_marker is set
 * and the PRI queue is enabled, run the simulation (processing the
 * queues) until the device's stop marker for the PASID has been seen, at
 * most timeout_cycles; then flush: answer now every pending response for
 * (sid, pasid) and drop its partial groups. 0, or -ETIMEDOUT (no marker
 * in time; flushed all the same).
 */
int iopf_pasid_stop(struct iopf *io, uint32_t sid, uint32_t pasid,
		    bool wait_marker, uint64_t timeout_cycles);

/* Partial groups held, and responses waiting for their time. */
unsigned iopf_partial_groups(const struct iopf *io);
unsigned iopf_pending_responses(const struct iopf *io);

struct iopf_stats {
	uint64_t pprs;             /* page requests received */
	uint64_t pprs_dropped;     /* beyond IOPF_PPRS_HELD */
	uint64_t stop_markers;
	uint64_t groups;           /* groups completed (Last=1 seen) */
	uint64_t groups_discarded; /* partial groups dropped */
	uint64_t resp_success, resp_invalid, resp_failure;
	uint64_t overflows;        /* PRI queue overflows acknowledged */
	uint64_t stalls;           /* stall events */
	uint64_t resume_retry, resume_abort;
	uint64_t faults_ok, faults_failed; /* hos_fault results */
	uint64_t events_kept, events_lost; /* non-stall events */
	uint64_t cmd_failures;
};
void iopf_get_stats(const struct iopf *io, struct iopf_stats *out);

#endif
