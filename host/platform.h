/* SPDX-License-Identifier: MIT */
/*
 * A simulated machine: the engine, physical memory (RAM and a hole-filled
 * address map), an SMMUv3 model at its MMIO address, a host memory
 * allocator, and the host driver probed and enabled. Used by the CLI,
 * the benchmarks and end-to-end tests. After creation, host code talks to
 * the SMMU only through MMIO and memory; devices present transactions to
 * it with smmu_submit() as a PCIe root complex would.
 */
#ifndef SMMUSIM_HOST_PLATFORM_H
#define SMMUSIM_HOST_PLATFORM_H

#include "host/hostmem.h"
#include "host/smmu_drv.h"
#include "smmusim/smmu.h"

/* The address map */
#define PLAT_SMMU_BASE UINT64_C(0x09000000)
#define PLAT_RAM_BASE UINT64_C(0x80000000)
#define PLAT_RAM_SIZE (UINT64_C(4) << 30)

struct platform {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	struct hostmem *hm;
	struct hsmmu *drv;
};

/* Build the machine with `impl` and probe the driver for `sid_bits`
 * StreamIDs. Returns false with a message in err. */
bool platform_create(struct platform *p, const struct smmu_impl *impl,
		     uint64_t seed, unsigned sid_bits, char *err,
		     unsigned errlen);
/*
 * The same, tracing the SMMU into `trace` (docs/trace-format.md) from
 * before the driver's first access, with smmu_trace_open() `flags`. The
 * header names the platform's layout ("# mmio-base:", "# ram:") so that
 * smmusim replay can rebuild it.
 */
bool platform_create_traced(struct platform *p, const struct smmu_impl *impl,
			    uint64_t seed, unsigned sid_bits, FILE *trace,
			    unsigned flags, char *err, unsigned errlen);
void platform_destroy(struct platform *p);

#endif
