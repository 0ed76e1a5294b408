/* SPDX-License-Identifier: MIT */
/*
 * The SMMU object: creation, the MMIO window, and the public entry points
 * that forward to the concept files (regs.c, translate.c, ...).
 */
#include "smmu/smmu_internal.h"

#include <stdlib.h>
#include <string.h>

struct smmu *smmu_create(struct sim *sim, struct pmem *mem,
			 const struct smmu_impl *impl)
{
	if (!sim || !mem || !impl || !smmu_impl_validate(impl, NULL, 0))
		return NULL;
	struct smmu *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sim = sim;
	s->mem = mem;
	s->impl = *impl;
	s->mmio_region = -1;
	s->timing = timing_create(s);
	s->regs = regs_create(s);
	s->cmdq = cmdq_create(s);
	s->evtq = evtq_create(s);
	s->cfgcache = cfgcache_create(s);
	s->tlb = tlb_create(s);
	s->walkcache = walkcache_create(s);
	s->endpoints = endpoints_create(s);
	s->priq = priq_create(s);
	if (!s->timing || !s->regs || !s->cmdq || !s->evtq || !s->cfgcache ||
	    !s->tlb || !s->walkcache || !s->endpoints || !s->priq) {
		smmu_destroy(s);
		return NULL;
	}
	return s;
}

void smmu_destroy(struct smmu *s)
{
	if (!s)
		return;
	smmu_trace_close(s);
	checks_destroy(s);
	if (s->mmio_region >= 0)
		pmem_remove_region(s->mem, s->mmio_region);
	translate_destroy_pending(s);
	priq_destroy(s->priq);
	walkcache_destroy(s->walkcache);
	tlb_destroy(s->tlb);
	cfgcache_destroy(s->cfgcache);
	evtq_destroy(s->evtq);
	cmdq_destroy(s->cmdq);
	endpoints_destroy(s->endpoints);
	regs_destroy(s->regs);
	timing_destroy(s->timing);
	free(s);
}

void smmu_set_irq_ops(struct smmu *s, const struct smmu_irq_ops *ops)
{
	if (ops)
		s->irq = *ops;
	else
		memset(&s->irq, 0, sizeof(s->irq));
}

/* Every register access, from the bus or the direct interface, is one
 * MMIO_R / MMIO_W trace record. */
static bool reg_read(struct smmu *s, uint64_t off, unsigned size,
		     uint64_t *val)
{
	bool ok = regs_read(s, off, size, val);

	if (trace_on(s))
		trace_mmio(s, false, off, size, val ? *val : 0, ok);
	return ok;
}

static bool reg_write(struct smmu *s, uint64_t off, unsigned size,
		      uint64_t val)
{
	bool ok;

	/* Recorded before its effects (a CMDQ_PROD write's commands). */
	if (trace_on(s))
		trace_mmio(s, true, off, size, val, regs_access_ok(off, size));
	ok = regs_write(s, off, size, val);
	return ok;
}

static bool mmio_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return reg_read(ctx, off, size, val);
}

static bool mmio_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return reg_write(ctx, off, size, val);
}

int smmu_map_mmio(struct smmu *s, uint64_t base)
{
	static const struct pmem_mmio_ops ops = { .read = mmio_read,
						  .write = mmio_write };

	if (s->mmio_region >= 0 || (base & 0xFFFF))
		return -1;
	s->mmio_region = pmem_add_mmio(s->mem, base, SMMU_MMIO_SIZE, &ops, s);
	return s->mmio_region;
}

bool smmu_reg_read(struct smmu *s, uint64_t off, unsigned size, uint64_t *val)
{
	return reg_read(s, off, size, val);
}

bool smmu_reg_write(struct smmu *s, uint64_t off, unsigned size, uint64_t val)
{
	return reg_write(s, off, size, val);
}

enum mem_result smmu_mem_write(struct smmu *s, uint64_t addr, const void *buf,
			       size_t len, uint64_t *cycles)
{
	enum pmem_agent was = pmem_set_agent(s->mem, PMEM_AGENT_SMMU);
	enum mem_result r = pmem_write(s->mem, addr, buf, len, cycles);

	pmem_set_agent(s->mem, was);
	return r;
}

void smmu_get_stats(const struct smmu *s, struct smmu_stats *out)
{
	*out = s->stats;
}

const struct smmu_impl *smmu_get_impl(const struct smmu *s)
{
	return &s->impl;
}
