/* SPDX-License-Identifier: MIT */
#include "host/platform.h"

#include <stdio.h>
#include <string.h>

bool platform_create(struct platform *p, const struct smmu_impl *impl,
		     uint64_t seed, unsigned sid_bits, char *err,
		     unsigned errlen)
{
	return platform_create_traced(p, impl, seed, sid_bits, NULL, 0, err,
				      errlen);
}

bool platform_create_traced(struct platform *p, const struct smmu_impl *impl,
			    uint64_t seed, unsigned sid_bits, FILE *trace,
			    unsigned flags, char *err, unsigned errlen)
{
	memset(p, 0, sizeof(*p));
	p->sim = sim_create(seed);
	p->mem = pmem_create();
	if (!p->sim || !p->mem ||
	    pmem_add_ram(p->mem, PLAT_RAM_BASE, PLAT_RAM_SIZE) < 0)
		goto fail;
	p->smmu = smmu_create(p->sim, p->mem, impl);
	if (!p->smmu) {
		snprintf(err, errlen, "invalid SMMU implementation description");
		platform_destroy(p);
		return false;
	}
	if (smmu_map_mmio(p->smmu, PLAT_SMMU_BASE) < 0)
		goto fail;
	if (trace) {
		if (!smmu_trace_open(p->smmu, trace, flags))
			goto fail;
		fprintf(trace, "# mmio-base: 0x%llx\n# ram: 0x%llx:0x%llx\n",
			(unsigned long long)PLAT_SMMU_BASE,
			(unsigned long long)PLAT_RAM_BASE,
			(unsigned long long)PLAT_RAM_SIZE);
	}
	p->hm = hostmem_create(p->mem, PLAT_RAM_BASE, PLAT_RAM_SIZE);
	if (!p->hm)
		goto fail;
	struct hsmmu_params hp = { .mmio_base = PLAT_SMMU_BASE,
				   .sid_bits = sid_bits };

	p->drv = hsmmu_probe(p->sim, p->hm, &hp, err, errlen);
	if (!p->drv) {
		platform_destroy(p);
		return false;
	}
	return true;
fail:
	snprintf(err, errlen, "out of host memory building the platform");
	platform_destroy(p);
	return false;
}

void platform_destroy(struct platform *p)
{
	if (p->drv)
		hsmmu_remove(p->drv);
	hostmem_destroy(p->hm);
	smmu_destroy(p->smmu);
	pmem_destroy(p->mem);
	sim_destroy(p->sim);
	memset(p, 0, sizeof(*p));
}
