/* SPDX-License-Identifier: MIT */
/*
 * Shared virtual addressing: a device issues DMA with a PASID and the
 * SMMU translates it through a process's own page tables.
 *
 * Objects:
 *   struct sva_system  the system-wide state: the PASID space (borrowed,
 *                      see pasid/pasid.h) and one record per address
 *                      space that has a PASID.
 *   struct sva_iommu   the SVA side of one SMMU driver instance: its
 *                      devices and, per bound address space, its ASID.
 *   struct sva_dev     a device as the IOMMU layer sees it: StreamID,
 *                      PASID width, capability flags, and its STE set to
 *                      stage 1 with a CD table of
 *                      2^min(PASID width, SMMU_IDR1.SSIDSIZE) entries.
 *   struct sva_bond    a device bound to an address space; refcounted.
 *
 * Lifetimes and rules:
 *   - One PASID per address space for the whole life of the address
 *     space: allocated at its first bind from the system-wide space in
 *     [1, 2^min(device width, SSIDSIZE) - 1] (-ENOSPC when that range is
 *     exhausted); binding it to a narrower device that cannot emit that
 *     PASID fails with -EOVERFLOW. The PASID is returned to the
 *     allocator only once the address space has been torn down (process
 *     exit or exec) AND its last bond is unbound, so a PASID can never be
 *     recycled while a device may still emit it.
 *   - One ASID per (SMMU, address space), shared by every bond of that
 *     address space on that SMMU; freed after a TLBI by ASID when the
 *     last of those bonds is unbound.
 *   - Binding the same device to the same address space again returns
 *     the same bond with one more reference; each bind needs an unbind.
 *   - Each address space with a PASID has one hmm notifier, holding an
 *     hmm_get reference, from its first bind until its PASID is freed.
 *     invalidate_range issues, on every SMMU it is bound through,
 *     TLBI_NH_VA per page (TLBI_NH_ASID above SVA_TLBI_MAX_PAGES pages)
 *     and CMD_SYNC, then, for every bond of an SVA_DEV_ATS device,
 *     CMD_ATC_INV of the range with the bond's PASID and another
 *     CMD_SYNC (§4.5.1, facts §8.5), and returns only once the SMMUs
 *     have completed them (or reported an ATS invalidation timeout).
 *   - release (the address space is torn down while bound): each bond's
 *     CD is switched in one 64-bit store to the quiet form (EPD0=1: every
 *     walk faults; R=0: no event record; A=1: abort; S=0 unless the SMMU
 *     forces stalls) with CFGI_CD and CMD_SYNC, then TLBI_NH_ASID and
 *     CMD_SYNC, before the page tables are freed. DMA on the PASID then
 *     aborts silently until the device is unbound. ATS devices' ATCs
 *     are invalidated (all addresses of the PASID) after the TLBI, and
 *     again when a bond is unbound.
 *   - CD.S (§5.4): 1 when the SMMU forces stalls (STALL_MODEL 10) or the
 *     device is added with SVA_DEV_STALL | SVA_DEV_IOPF (the handler in
 *     pri/iopf.h answers its stalls with CMD_RESUME); otherwise 0.
 *   - CDs are written by the driver's hitless writer (hsmmu_write_cd): a
 *     new CD body first and word 0 (V=1) last, unbind V=0 first; each
 *     step followed by CFGI_CD and CMD_SYNC.
 *
 * Non-PASID traffic (no SubstreamID) of an SVA device: STE.S1DSS selects
 * terminate (abort, F_STREAM_DISABLED recorded) by default, the setting
 * Linux uses when the device's RID is blocked, i.e. a device used only
 * through PASIDs; SVA_DEV_RID_BYPASS selects S1DSS=bypass, Linux's choice
 * when the RID is attached to an identity domain. CD 0 is never written
 * (PASID 0 is reserved), so SubstreamID 0 gets C_BAD_CD.
 *
 * The host reaches the SMMU only through the driver (MMIO and simulated
 * memory).
 */
#ifndef SMMUSIM_PASID_SVA_H
#define SMMUSIM_PASID_SVA_H

#include <stdbool.h>
#include <stdint.h>

#include "host/os.h"
#include "host/smmu_drv.h"
#include "pasid/pasid.h"

struct sva_system;
struct sva_iommu;
struct sva_dev;
struct sva_bond;

/* Above this many pages, an invalidation is one TLBI_NH_ASID. */
#define SVA_TLBI_MAX_PAGES 64u

/* --- the system --- */

/* Use `ps` (owned by the caller, outliving the system) for PASIDs. */
struct sva_system *sva_system_create(struct pasid_space *ps);
/* Every sva_iommu must be destroyed first; address-space records still
 * held (bonds gone, process alive) are dropped and their PASIDs freed. */
void sva_system_destroy(struct sva_system *sys);
struct pasid_space *sva_system_pasids(const struct sva_system *sys);
/* The PASID of an address space, 0 if it has none. */
uint32_t sva_mm_pasid(const struct sva_system *sys, const struct hmm *mm);

/* --- one SMMU --- */

/* The SVA layer over a probed driver; reads the ID registers. NULL if the
 * SMMU has no stage 1 or no SubstreamIDs, or out of memory. */
struct sva_iommu *sva_iommu_create(struct sva_system *sys, struct hsmmu *drv);
/* Remove every device (unbinding its bonds) and free. */
void sva_iommu_destroy(struct sva_iommu *io);
/* SMMU_IDR1.SSIDSIZE. */
unsigned sva_iommu_ssidsize(const struct sva_iommu *io);
/* ASIDs this SMMU's SVA contexts hold now. */
uint32_t sva_iommu_asids_used(const struct sva_iommu *io);
/* Driver calls that failed (command errors, timeouts) in paths that
 * cannot return an error: notifiers, unbind, device removal. */
unsigned sva_iommu_cmd_failures(const struct sva_iommu *io);
/*
 * ATS Invalidation Completion timeouts: CMD_SYNCs after CMD_ATC_INV that
 * reported CERROR_ATC_INV_SYNC (§3.9.1.4). Each is acknowledged (the
 * SMMU then executes the CMD_SYNC again) and counted, and `fn`, if set,
 * is told the StreamID and PASID of the last ATC_INV of that batch. The
 * invalidation did not complete: the endpoint must be isolated; until it
 * is, a CMD_SYNC issued later reports the timeout again.
 */
unsigned sva_iommu_atc_inv_timeouts(const struct sva_iommu *io);
typedef void (*sva_atc_error_fn)(void *ctx, uint32_t sid, uint32_t pasid);
void sva_iommu_set_atc_error_fn(struct sva_iommu *io, sva_atc_error_fn fn,
				void *ctx);

/* --- devices --- */

enum {
	SVA_DEV_STALL = 1u << 0,      /* can be stalled (platform device) */
	SVA_DEV_PRI = 1u << 1,        /* PCIe PRI */
	SVA_DEV_RID_BYPASS = 1u << 2, /* S1DSS=bypass, not terminate */
	SVA_DEV_ATS = 1u << 3,        /* PCIe ATS: STE.EATS=01, ATC_INV */
	SVA_DEV_IOPF = 1u << 4,       /* an I/O page-fault handler serves
				       * it: with SVA_DEV_STALL its bonds'
				       * CDs stall on faults (CD.S=1) */
};

struct sva_dev_params {
	uint32_t sid;
	unsigned pasid_bits; /* the device's PASID width, 1..20 */
	unsigned flags;      /* SVA_DEV_* */
};

/*
 * Add a device: a CD table of 2^min(pasid_bits, SSIDSIZE) CDs, 2-level
 * (64 KiB leaves) when IDR0.CD2L is set and it has more than 1024 CDs,
 * and its STE (Config=S1, S1DSS as above, S1STALLD=1 when the SMMU could
 * stall but the device cannot). 0 and *out, -EINVAL (no PASIDs, bad
 * StreamID), -EEXIST (StreamID already added), -ENOMEM, -EIO.
 */
int sva_dev_add(struct sva_iommu *io, const struct sva_dev_params *p,
		struct sva_dev **out);
/* Unbind what is still bound, set the STE to abort and free. */
void sva_dev_remove(struct sva_dev *dev);
uint32_t sva_dev_sid(const struct sva_dev *dev);
unsigned sva_dev_flags(const struct sva_dev *dev);
/* log2 of the CD table's entries (STE.S1CDMax). */
unsigned sva_dev_s1cdmax(const struct sva_dev *dev);
/* Largest PASID the device can use: 2^S1CDMax - 1. */
uint32_t sva_dev_pasid_max(const struct sva_dev *dev);
/* PA of the device's STE and of CD `ssid` (0 if absent), to inspect. */
uint64_t sva_dev_ste_pa(const struct sva_dev *dev);
uint64_t sva_dev_cd_pa(const struct sva_dev *dev, uint32_t ssid);
/* A word kept for the API layer (sva_linux.h: enabled features). */
unsigned sva_dev_features(const struct sva_dev *dev);
/* Whether an I/O page-fault handler serves this device (SVA_DEV_IOPF):
 * bonds made afterwards stall on faults when the device can stall. */
void sva_dev_set_iopf(struct sva_dev *dev, bool on);
void sva_dev_set_features(struct sva_dev *dev, unsigned features);
/* Bonds of the device (distinct address spaces). */
unsigned sva_dev_nr_bonds(const struct sva_dev *dev);

/* --- bonds --- */

/*
 * Bind `mm` to `dev`. 0 and *out (the same bond as before if already
 * bound, one more reference), -ESRCH (address space torn down),
 * -ENOSPC (no PASID or ASID left), -EOVERFLOW (the address space's PASID
 * is beyond this device's width), -ENOMEM, -EIO (command error).
 */
int sva_bind(struct sva_dev *dev, struct hmm *mm, struct sva_bond **out);
/* Drop one reference; the last one clears the CD and, if the address
 * space is gone and this was its last bond, frees the PASID. */
void sva_unbind(struct sva_bond *b);

uint32_t sva_bond_pasid(const struct sva_bond *b);
uint16_t sva_bond_asid(const struct sva_bond *b);
unsigned sva_bond_refs(const struct sva_bond *b);
struct sva_dev *sva_bond_dev(const struct sva_bond *b);
struct hmm *sva_bond_mm(const struct sva_bond *b);
/* Whether the CD has been made quiet (the address space is gone). */
bool sva_bond_quiet(const struct sva_bond *b);
/* The driver's private data (Linux 6.1 API: drvdata of the bind). */
void *sva_bond_drvdata(const struct sva_bond *b);
void sva_bond_set_drvdata(struct sva_bond *b, void *drvdata);

/*
 * Invariants, for tests and fuzzers (docs/robustness.md). Each returns
 * false with one line in err at the first violation.
 *   sva_system_check: every address space with a PASID holds a distinct,
 *     allocated PASID.
 *   sva_iommu_check: on every device, the CD of each bound PASID is valid
 *     in the memory the SMMU reads, and no other CD (SSID >= 1) is valid:
 *     no CD of an unbound PASID can translate.
 */
bool sva_system_check(const struct sva_system *sys, char *err, size_t len);
/* The system an SMMU's SVA side belongs to. */
struct sva_system *sva_iommu_system(const struct sva_iommu *io);
bool sva_iommu_check(struct sva_iommu *io, char *err, size_t len);

#endif
