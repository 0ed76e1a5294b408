/* SPDX-License-Identifier: MIT */
/*
 * Host SMMUv3 driver: programs the model exactly as an OS driver programs
 * hardware — MMIO register accesses through the physical address space
 * and structures in simulated memory. It never calls into smmu/.
 *
 * Probe, stream table (linear or 2-level), command and event queues,
 * enable through CR0/CR0ACK, command submission with CMD_SYNC completion
 * by polling CMDQ_CONS or by a CMD_SYNC MSI, event consumption, hitless
 * STE and CD updates (host/ste_cd_writer.h) and per-stream CD tables
 * (host/cdtab.h).
 */
#ifndef SMMUSIM_HOST_SMMU_DRV_H
#define SMMUSIM_HOST_SMMU_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "host/hostmem.h"
#include "smmusim/sim.h"

struct hsmmu;

struct hsmmu_params {
	uint64_t mmio_base;   /* where the register pages are mapped */
	unsigned sid_bits;    /* StreamIDs the platform uses (<= SIDSIZE) */
	unsigned cmdq_log2;   /* command queue entries (capped by CMDQS) */
	unsigned evtq_log2;   /* event queue entries (capped by EVENTQS) */
	bool force_linear;    /* linear stream table even if 2-level exists */
};

/* Probe and enable. Returns NULL with a message in err on failure. */
struct hsmmu *hsmmu_probe(struct sim *sim, struct hostmem *hm,
			  const struct hsmmu_params *p, char *err,
			  unsigned errlen);
/* Disable the SMMU and free its tables and queues. */
void hsmmu_remove(struct hsmmu *h);
/* The memory the driver writes its structures into (for checkers). */
struct pmem *hsmmu_pmem(const struct hsmmu *h);

uint32_t hsmmu_read32(struct hsmmu *h, uint64_t off);
uint64_t hsmmu_read64(struct hsmmu *h, uint64_t off);
void hsmmu_write32(struct hsmmu *h, uint64_t off, uint32_t v);
void hsmmu_write64(struct hsmmu *h, uint64_t off, uint64_t v);

/* PA of STE `sid`, allocating its level-2 table on demand; 0 if out of
 * range. */
uint64_t hsmmu_ste_pa(struct hsmmu *h, uint32_t sid);
/* Install an STE: the same as hsmmu_write_ste. */
int hsmmu_install_ste(struct hsmmu *h, uint32_t sid, const uint64_t ste[8]);

/*
 * Hitless update of STE `sid` to `target` (ste_cd_writer.h): the SMMU sees
 * the old or the new configuration at every step, or, when two words must
 * change together, V=0 in between. Each step is followed by CMD_CFGI_STE
 * (Leaf) and a CMD_SYNC. 0, -EINVAL (bad SID) or -EIO/-ETIMEDOUT.
 */
int hsmmu_write_ste(struct hsmmu *h, uint32_t sid, const uint64_t target[8]);
/* The same for CD `ssid` of the CD table of stream `sid` (see
 * hsmmu_cdtab_alloc), with CMD_CFGI_CD. -ENOENT without a CD table,
 * -ERANGE if ssid is out of it. */
int hsmmu_write_cd(struct hsmmu *h, uint32_t sid, uint32_t ssid,
		   const uint64_t target[8]);
/* The same for a CD at `cd_pa` that software placed itself (a single CD
 * the STE points at directly, say); invalidated as (sid, ssid). */
int hsmmu_write_cd_at(struct hsmmu *h, uint32_t sid, uint32_t ssid,
		      uint64_t cd_pa, const uint64_t target[8]);

/* Observability: called after every 64-bit store the driver makes to an
 * STE or a CD, with the entry's PA and the word index written. */
enum hsmmu_entry_kind { HSMMU_ENTRY_STE, HSMMU_ENTRY_CD };
typedef void (*hsmmu_write_observer_fn)(void *ctx,
					enum hsmmu_entry_kind kind,
					uint64_t entry_pa, unsigned word);
void hsmmu_set_write_observer(struct hsmmu *h, hsmmu_write_observer_fn fn,
			      void *ctx);
/* CMD_SYNCs the driver has issued since probe (probe's included). */
uint64_t hsmmu_sync_count(const struct hsmmu *h);

/*
 * CD tables. hsmmu_cdtab_alloc gives stream `sid` a table for
 * min(ssid_bits, IDR1.SSIDSIZE) SubstreamID bits: one CD for 0 bits, a
 * linear table up to 10 bits or without IDR0.CD2L, else a 2-level table
 * with 64 KiB leaves (S1Fmt 10) whose leaves are allocated on demand.
 * 0, -EEXIST, -ENOMEM. Free it only once no STE points at it.
 */
int hsmmu_cdtab_alloc(struct hsmmu *h, uint32_t sid, unsigned ssid_bits);
void hsmmu_cdtab_free(struct hsmmu *h, uint32_t sid);
/* PA of CD `ssid` of stream `sid`, allocating its leaf table and writing
 * (and invalidating) the L1 descriptor on demand; 0 if none. */
uint64_t hsmmu_cd_pa(struct hsmmu *h, uint32_t sid, uint32_t ssid);
struct hsmmu_cdtab_info {
	uint64_t base;      /* S1ContextPtr */
	unsigned s1fmt;
	unsigned s1cdmax;
	uint32_t l1_entries; /* 0 for a linear table */
};
bool hsmmu_cdtab_info(const struct hsmmu *h, uint32_t sid,
		      struct hsmmu_cdtab_info *out);
/* PA of the L1 descriptor for `ssid` (0 if linear or no table). */
uint64_t hsmmu_cd_l1_pa(const struct hsmmu *h, uint32_t sid, uint32_t ssid);
/* Build the stage-1 STE for stream `sid`'s CD table with S1DSS `s1dss`.
 * -ENOENT without a CD table. */
int hsmmu_ste_s1_cdtab(const struct hsmmu *h, uint32_t sid, unsigned s1dss,
		       uint64_t ste[8]);

/* Batches: queue `n` commands and one CMD_SYNC, and wait once. */
int hsmmu_cmd_batch(struct hsmmu *h, const uint64_t (*cmds)[2], unsigned n);

/* How the driver waits for a CMD_SYNC to complete. */
enum hsmmu_sync_wait {
	HSMMU_SYNC_POLL_CONS,  /* poll CMDQ_CONS (default) */
	HSMMU_SYNC_MSI,        /* CS=SIG_IRQ with an MSI to memory */
};
/* -ENOTSUP for MSI without IDR0.MSI, -ENOMEM. */
int hsmmu_set_sync_wait(struct hsmmu *h, enum hsmmu_sync_wait mode);
/* PA of the word CMD_SYNC MSIs write, 0 in polling mode. */
uint64_t hsmmu_sync_msi_pa(const struct hsmmu *h);

/* Queue one command, waiting for space. 0 or -EIO on a command error. */
int hsmmu_cmd(struct hsmmu *h, const uint64_t cmd[2]);
/* CMD_SYNC and poll until consumed: 0, or -EIO with *cerror set. */
int hsmmu_sync(struct hsmmu *h);
/* The driver's own ASID and VMID allocators (host/asid.h), sized from
 * IDR0.ASID16 / VMID16: whoever writes CDs or S2 STEs takes IDs here. */
struct idspace;
struct idspace *hsmmu_asids(struct hsmmu *h);
struct idspace *hsmmu_vmids(struct hsmmu *h);

/* Last command error (CMDQ_CONS.ERR) seen, 0 if none. */
uint32_t hsmmu_cmd_error(const struct hsmmu *h);
/* Acknowledge a command error so consumption resumes (after fixing it). */
void hsmmu_ack_cmd_error(struct hsmmu *h);

/* Pop one event record; returns true if there was one. */
bool hsmmu_pop_event(struct hsmmu *h, uint64_t rec[4]);

/*
 * PRI queue (§8; facts §2.4, §7; IDR0.PRI). The driver allocates it
 * on request only, as not every user wants page requests.
 *
 * hsmmu_priq_alloc: a queue of 2^min(log2 ? log2 : 8, IDR1.PRIQS) 16-byte
 * records, PRIQ_BASE programmed, PROD = CONS = 0, PRIQEN left as it is
 * (0). -ENOTSUP without IDR0.PRI, -EEXIST if allocated, -ENOMEM.
 * hsmmu_priq_enable: set or clear CR0.PRIQEN and wait for CR0ACK; -ENOENT
 * without a queue, -ETIMEDOUT. Software may write PRIQ_PROD only while
 * PRIQEN is 0 (§6.3.97).
 * hsmmu_pop_pri: one record, CONS advanced (the overflow acknowledge flag
 * kept as it was: overflow is acknowledged only explicitly).
 * hsmmu_priq_overflow: PRIQ_PROD.OVFLG != PRIQ_CONS.OVACKFLG.
 * hsmmu_priq_ack_overflow: write CONS with OVACKFLG = OVFLG.
 */
int hsmmu_priq_alloc(struct hsmmu *h, unsigned log2);
int hsmmu_priq_enable(struct hsmmu *h, bool on);
bool hsmmu_has_pri(const struct hsmmu *h);
bool hsmmu_priq_enabled(struct hsmmu *h);
/* PA and log2 entries of the PRI queue (0, 0 if none). */
uint64_t hsmmu_priq_base(const struct hsmmu *h);
unsigned hsmmu_priq_log2(const struct hsmmu *h);
bool hsmmu_pop_pri(struct hsmmu *h, uint64_t rec[2]);
bool hsmmu_priq_overflow(struct hsmmu *h);
void hsmmu_priq_ack_overflow(struct hsmmu *h);

/* Build an STE for stage 1 via a linear CD table (S1Fmt 0). */
void hsmmu_ste_s1(uint64_t ste[8], uint64_t cd_table_pa, unsigned s1cdmax);
/* Build an STE for stage 1 through any CD table layout. Overrides keep
 * the incoming attributes when S1DSS bypasses stage 1. */
void hsmmu_ste_s1_cd(uint64_t ste[8], uint64_t s1ctxptr, unsigned s1fmt,
		     unsigned s1cdmax, unsigned s1dss);
/* An STE that aborts all traffic silently (V=1, Config=000). */
void hsmmu_ste_abort(uint64_t ste[8]);
/* An STE that bypasses both stages with the incoming attributes. */
void hsmmu_ste_bypass(uint64_t ste[8]);
/* Build a stage-1 CD from a page table (TTB0 only, EPD1=1). */
struct pgtable;
void hsmmu_cd_from_pgtable(uint64_t cd[8], const struct pgtable *pt,
			   uint16_t asid, unsigned ips);
/* A stage-2-only STE from a stage-2 page table. */
void hsmmu_ste_s2(uint64_t ste[8], const struct pgtable *pt, uint16_t vmid,
		  unsigned s2ps);
/* A valid CD that translates nothing and reports nothing: both TTBs
 * disabled, faults abort silently (EPD0=EPD1=1, A=1, R=0, S=0). */
void hsmmu_cd_quiet(uint64_t cd[8], uint16_t asid, unsigned ips);

#endif
