/* SPDX-License-Identifier: MIT */
/*
 * Host SMMUv3 driver: programs the model exactly as an OS driver programs
 * hardware — MMIO register accesses through the physical address space
 * and structures in simulated memory. It never calls into smmu/.
 *
 * This is the driver's first layer: probe, stream table (linear or
 * 2-level), command and event queues, enable through CR0/CR0ACK, command
 * submission with CMD_SYNC polling, event consumption, and STE
 * installation. Hitless STE/CD updates, PRI and MSIs come with the host
 * issue (docs/architecture.md).
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

uint32_t hsmmu_read32(struct hsmmu *h, uint64_t off);
uint64_t hsmmu_read64(struct hsmmu *h, uint64_t off);
void hsmmu_write32(struct hsmmu *h, uint64_t off, uint32_t v);
void hsmmu_write64(struct hsmmu *h, uint64_t off, uint64_t v);

/* PA of STE `sid`, allocating its level-2 table on demand; 0 if out of
 * range. */
uint64_t hsmmu_ste_pa(struct hsmmu *h, uint32_t sid);
/* Write an STE (V=0 first, body, then word 0) and invalidate it. */
int hsmmu_install_ste(struct hsmmu *h, uint32_t sid, const uint64_t ste[8]);

/* Queue one command, waiting for space. 0 or -EIO on a command error. */
int hsmmu_cmd(struct hsmmu *h, const uint64_t cmd[2]);
/* CMD_SYNC and poll until consumed: 0, or -EIO with *cerror set. */
int hsmmu_sync(struct hsmmu *h);
/* Last command error (CMDQ_CONS.ERR) seen, 0 if none. */
uint32_t hsmmu_cmd_error(const struct hsmmu *h);
/* Acknowledge a command error so consumption resumes (after fixing it). */
void hsmmu_ack_cmd_error(struct hsmmu *h);

/* Pop one event record; returns true if there was one. */
bool hsmmu_pop_event(struct hsmmu *h, uint64_t rec[4]);

/* Build an STE for stage 1 via a linear CD table (S1Fmt 0). */
void hsmmu_ste_s1(uint64_t ste[8], uint64_t cd_table_pa, unsigned s1cdmax);
/* Build a stage-1 CD from a page table (TTB0 only, EPD1=1). */
struct pgtable;
void hsmmu_cd_from_pgtable(uint64_t cd[8], const struct pgtable *pt,
			   uint16_t asid, unsigned ips);

#endif
