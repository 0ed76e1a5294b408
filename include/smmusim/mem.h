/* SPDX-License-Identifier: MIT */
/*
 * smmusim physical memory.
 *
 * A 56-bit physical address space made of regions: RAM (sparse, a 4 KiB
 * page is backed on its first write; untouched RAM reads as zero), MMIO
 * (callbacks, used for the SMMU's register pages and device BARs) and holes
 * (everything not covered by a region). An access that touches a hole, runs
 * off the end of a region, or is refused by an MMIO callback returns
 * MEM_ABORT: the caller turns that into the architected outcome (an SMMU
 * walk becomes F_WALK_EABT, a command fetch CERROR_ABT, and so on).
 *
 * All multi-byte accessors are little-endian, whatever the host.
 *
 * Every accessor takes an optional `uint64_t *cycles` to which it adds the
 * access's latency under the memory's latency model (see docs/timing.md):
 * a fixed cost per access plus a cost per 64-byte line touched. Pass NULL
 * when time does not matter (loading images, test set-up).
 */
#ifndef SMMUSIM_MEM_H
#define SMMUSIM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMEM_ADDR_BITS 56
#define PMEM_ADDR_LIMIT (UINT64_C(1) << PMEM_ADDR_BITS)
#define PMEM_PAGE_SHIFT 12
#define PMEM_PAGE_SIZE (UINT64_C(1) << PMEM_PAGE_SHIFT)
#define PMEM_LINE_SIZE 64u

enum mem_result {
	MEM_OK = 0,
	MEM_ABORT = 1, /* external abort: hole, region overrun, MMIO refusal */
};

enum pmem_region_kind {
	PMEM_RAM,
	PMEM_MMIO,
};

/*
 * MMIO callbacks. `offset` is relative to the region base; `size` is 1, 2,
 * 4 or 8. Return false to signal an external abort on the access.
 */
struct pmem_mmio_ops {
	bool (*read)(void *ctx, uint64_t offset, unsigned size, uint64_t *val);
	bool (*write)(void *ctx, uint64_t offset, unsigned size, uint64_t val);
};

/* Cycles charged for one access: per_access + per_line * lines touched. */
struct pmem_latency {
	uint32_t per_access;
	uint32_t per_line;
};

struct pmem;

struct pmem_stats {
	uint64_t reads, writes;       /* accesses that succeeded */
	uint64_t aborts;              /* accesses that returned MEM_ABORT */
	uint64_t bytes_read, bytes_written;
	uint64_t pages_backed;        /* RAM pages allocated so far */
	uint64_t cycles;              /* latency charged in total */
};

struct pmem *pmem_create(void);
void pmem_destroy(struct pmem *m);

/* Default latency of RAM regions added after this call. */
void pmem_set_default_latency(struct pmem *m, struct pmem_latency lat);

/*
 * Add a region. Regions must not overlap, and must lie below 2^56; returns
 * a region index >= 0, or -1 on overlap/out of range/zero size.
 */
int pmem_add_ram(struct pmem *m, uint64_t base, uint64_t size);
int pmem_add_mmio(struct pmem *m, uint64_t base, uint64_t size,
		  const struct pmem_mmio_ops *ops, void *ctx);
/* Override one region's latency. Returns false for a bad index. */
bool pmem_set_region_latency(struct pmem *m, int region,
			     struct pmem_latency lat);
/* Remove a region (its RAM contents are discarded). */
bool pmem_remove_region(struct pmem *m, int region);

/* Id of the region holding addr; -1 for a hole. */
int pmem_region_id(const struct pmem *m, uint64_t addr);
/* Region lookup: kind of the region holding addr; false for a hole. */
bool pmem_region_at(const struct pmem *m, uint64_t addr,
		    enum pmem_region_kind *kind, uint64_t *base, uint64_t *size);

enum mem_result pmem_read(struct pmem *m, uint64_t addr, void *buf,
			  size_t len, uint64_t *cycles);
enum mem_result pmem_write(struct pmem *m, uint64_t addr, const void *buf,
			   size_t len, uint64_t *cycles);

enum mem_result pmem_read8(struct pmem *m, uint64_t addr, uint8_t *v,
			   uint64_t *cycles);
enum mem_result pmem_read16(struct pmem *m, uint64_t addr, uint16_t *v,
			    uint64_t *cycles);
enum mem_result pmem_read32(struct pmem *m, uint64_t addr, uint32_t *v,
			    uint64_t *cycles);
enum mem_result pmem_read64(struct pmem *m, uint64_t addr, uint64_t *v,
			    uint64_t *cycles);
enum mem_result pmem_write8(struct pmem *m, uint64_t addr, uint8_t v,
			    uint64_t *cycles);
enum mem_result pmem_write16(struct pmem *m, uint64_t addr, uint16_t v,
			     uint64_t *cycles);
enum mem_result pmem_write32(struct pmem *m, uint64_t addr, uint32_t v,
			     uint64_t *cycles);
enum mem_result pmem_write64(struct pmem *m, uint64_t addr, uint64_t v,
			     uint64_t *cycles);

/*
 * Atomic compare-and-swap of a 64-bit RAM word (hardware AF/dirty updates).
 * On MEM_OK, *old holds the value found; the store happened iff it equalled
 * `expect`. Counted as one read, plus one write if the store happened, and
 * charged once as one 8-byte access.
 */
enum mem_result pmem_cas64(struct pmem *m, uint64_t addr, uint64_t expect,
			   uint64_t desired, uint64_t *old, uint64_t *cycles);

/*
 * Fill RAM with a byte value (MEM_ABORT if any part is not RAM). Counted
 * as one write of `len` bytes (its latency counts only in the stats, there
 * is no cycles argument); filling with zero backs no
 * new pages (untouched RAM already reads as zero).
 */
enum mem_result pmem_fill(struct pmem *m, uint64_t addr, uint8_t byte,
			  size_t len);

/*
 * Who is writing: software on a CPU (the default), the SMMU (queue
 * records, MSIs, access-flag updates) or a device (DMA). Code acting for
 * the SMMU or a device sets its agent around its writes and restores the
 * previous one; the write observer sees the agent of every write.
 */
enum pmem_agent {
	PMEM_AGENT_CPU = 0,
	PMEM_AGENT_SMMU = 1,
	PMEM_AGENT_DEVICE = 2,
};

/* Set the current agent; returns the previous one. */
enum pmem_agent pmem_set_agent(struct pmem *m, enum pmem_agent a);

/*
 * A write observer (traces, replay logs) sees every successful write to
 * RAM after it happened: pmem_write and the scalar writes through
 * `write`, pmem_fill through `fill`, and changes to the memory map
 * through `region`. pmem_cas64 (hardware updates) and
 * writes to MMIO regions are not reported. One observer per memory;
 * NULL removes it.
 */
struct pmem_observer {
	void (*write)(void *ctx, enum pmem_agent agent, uint64_t addr,
		      const void *buf, size_t len);
	void (*fill)(void *ctx, enum pmem_agent agent, uint64_t addr,
		     uint8_t byte, size_t len);
	/* A region was added (before the call returns) or is about to be
	 * removed. */
	void (*region)(void *ctx, bool added, enum pmem_region_kind kind,
		       uint64_t base, uint64_t size);
	void *ctx;
};

void pmem_set_observer(struct pmem *m, const struct pmem_observer *o);

void pmem_get_stats(const struct pmem *m, struct pmem_stats *out);
/* Bytes of host memory used for backing pages and index. */
uint64_t pmem_host_bytes(const struct pmem *m);

/* Iterate over backed RAM pages in address order (for dumps). */
typedef void (*pmem_page_fn)(void *ctx, uint64_t pa, const uint8_t *page);
void pmem_for_each_page(const struct pmem *m, pmem_page_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
