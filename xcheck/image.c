/* SPDX-License-Identifier: MIT */
/*
 * A model instance from a memory image and a register file, programmed
 * the way a driver programs hardware; and the export of a live model.
 */
#include "xcheck/xcheck.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "smmu/regs.h"

static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static bool reg(const struct xc_regs *r, enum reg_id id, uint64_t *v)
{
	if (!r->present[id])
		return false;
	*v = r->val[id];
	return true;
}

#define BIT(v, n) ((bool)(((v) >> (n)) & 1u))
#define BITS(v, hi, lo) \
	((uint8_t)(((v) >> (lo)) & ((UINT64_C(1) << ((hi) - (lo) + 1)) - 1)))

/* The inverse of smmu_impl_idr0/1/3/5 (smmu/impl.c), §6.3.1 - §6.3.6. */
bool xc_impl_from_regs(struct smmu_impl *p, const struct xc_regs *r,
		       char *err, size_t errlen)
{
	char msg[256];
	uint64_t v;

	if (reg(r, R_IDR0, &v)) {
		p->s2p = BIT(v, 0);
		p->s1p = BIT(v, 1);
		p->ttf = BITS(v, 3, 2);
		p->cohacc = BIT(v, 4);
		p->btm = BIT(v, 5);
		p->httu = BITS(v, 7, 6);
		p->dormhint = BIT(v, 8);
		p->hyp = BIT(v, 9);
		p->ats = BIT(v, 10);
		p->ns1ats = BIT(v, 11);
		p->asid16 = BIT(v, 12);
		p->msi = BIT(v, 13);
		p->sev = BIT(v, 14);
		p->atos = BIT(v, 15);
		p->pri = BIT(v, 16);
		p->vmw = BIT(v, 17);
		p->vmid16 = BIT(v, 18);
		p->cd2l = BIT(v, 19);
		p->vatos = BIT(v, 20);
		p->ttendian = BITS(v, 22, 21);
		p->atsrecerr = BIT(v, 23);
		p->stall_model = BITS(v, 25, 24);
		p->term_model = BIT(v, 26);
		p->st_level = BITS(v, 28, 27);
	}
	if (reg(r, R_IDR1, &v)) {
		p->sidsize = BITS(v, 5, 0);
		p->ssidsize = BITS(v, 10, 6);
		p->priqs = BITS(v, 15, 11);
		p->eventqs = BITS(v, 20, 16);
		p->cmdqs = BITS(v, 25, 21);
		p->rel = BIT(v, 28);
		p->queues_preset = BIT(v, 29);
		p->tables_preset = BIT(v, 30);
	}
	if (reg(r, R_IDR3, &v)) {
		p->had = BIT(v, 2);
		p->pbha = BIT(v, 3);
		p->xnx = BIT(v, 4);
		p->pps = BIT(v, 5);
		p->fwb = BIT(v, 8);
		p->stt = BIT(v, 9);
		p->ril = BIT(v, 10);
		p->bbml = BITS(v, 12, 11);
		p->e0pd = BIT(v, 13);
	}
	if (reg(r, R_IDR5, &v)) {
		p->oas = BITS(v, 2, 0);
		p->gran4k = BIT(v, 4);
		p->gran16k = BIT(v, 5);
		p->gran64k = BIT(v, 6);
		p->vax = BITS(v, 11, 10);
		p->stall_max = (uint16_t)(v >> 16);
	}
	if (reg(r, R_IIDR, &v))
		p->iidr = (uint32_t)v;
	if (reg(r, R_AIDR, &v))
		p->arch_minor = BITS(v, 3, 0);
	if (!smmu_impl_validate(p, msg, sizeof(msg))) {
		errf(err, errlen, "the ID registers describe an SMMU the model "
		     "cannot be: %s", msg);
		return false;
	}
	return true;
}

/* Run the engine until CR0ACK / GBPA.Update settle. */
static void settle(struct xc_image *img)
{
	sim_run_to_idle(img->sim, 0);
}

static bool wr(struct xc_image *img, enum reg_id id, uint64_t v, char *err,
	       size_t errlen)
{
	unsigned width = xc_reg_width(id);

	if (!smmu_reg_write(img->smmu, regs_offset(id), width, v)) {
		errf(err, errlen, "register %s: the SMMU refused the write of "
		     "0x%llx", regs_name(id), (unsigned long long)v);
		return false;
	}
	return true;
}

/* Registers software programs before CR0, in a driver's order. */
static const enum reg_id program_order[] = {
	R_CR1, R_CR2, R_STRTAB_BASE, R_STRTAB_BASE_CFG,
	R_CMDQ_BASE, R_CMDQ_PROD, R_EVENTQ_BASE, R_EVENTQ_CONS,
	R_PRIQ_BASE, R_PRIQ_CONS,
	R_GERROR_IRQ_CFG0, R_GERROR_IRQ_CFG1, R_GERROR_IRQ_CFG2,
	R_EVENTQ_IRQ_CFG0, R_EVENTQ_IRQ_CFG1, R_EVENTQ_IRQ_CFG2,
	R_PRIQ_IRQ_CFG0, R_PRIQ_IRQ_CFG1, R_PRIQ_IRQ_CFG2,
};

/* Queue indexes the SMMU owns: restored as the hardware state they are. */
static const enum reg_id smmu_owned[] = {
	R_CMDQ_CONS, R_EVENTQ_PROD, R_PRIQ_PROD,
};

static bool program(struct xc_image *img, char *err, size_t errlen)
{
	const struct xc_regs *r = &img->regs;
	uint64_t v, cr0 = 0, ack;

	/* GBPA first: it decides what happens with SMMUEN=0 */
	if (reg(r, R_GBPA, &v)) {
		if (!wr(img, R_GBPA, (v & ~rmask(GBPA_UPDATE)) |
				      rmask(GBPA_UPDATE), err, errlen))
			return false;
		settle(img);
	}
	for (size_t i = 0; i < sizeof(program_order) / sizeof(*program_order);
	     i++) {
		enum reg_id id = program_order[i];

		if (reg(r, id, &v) && !wr(img, id, v, err, errlen))
			return false;
	}
	for (size_t i = 0; i < sizeof(smmu_owned) / sizeof(*smmu_owned); i++)
		if (reg(r, smmu_owned[i], &v))
			regs_set(img->smmu, smmu_owned[i], v);
	if (reg(r, R_IRQ_CTRL, &v)) {
		if (!wr(img, R_IRQ_CTRL, v, err, errlen))
			return false;
		settle(img);
	}
	/* CR0 last, without CMDQEN: the image's pending commands stay
	 * unexecuted (docs/cross-checking.md). */
	if (reg(r, R_CR0, &cr0)) {
		cr0 &= ~rmask(CR0_CMDQEN);
		if (!wr(img, R_CR0, cr0, err, errlen))
			return false;
		settle(img);
	}
	if (!smmu_reg_read(img->smmu, SMMU_CR0ACK_OFF, 4, &ack) ||
	    (ack & rmask(CR0_SMMUEN)) != (cr0 & rmask(CR0_SMMUEN))) {
		errf(err, errlen, "CR0 0x%08llx: the SMMU did not acknowledge "
		     "SMMUEN (CR0ACK 0x%08llx)", (unsigned long long)cr0,
		     (unsigned long long)ack);
		return false;
	}
	return true;
}

bool xc_image_open_mem(struct xc_image *img, struct pmem *mem,
		       const struct xc_regs *regs,
		       const struct smmu_impl *preset, char *err,
		       size_t errlen)
{
	memset(img, 0, sizeof(*img));
	img->mem = mem;
	img->regs = *regs;
	if (preset)
		img->impl = *preset;
	else
		smmu_impl_preset("full", &img->impl);
	if (!xc_impl_from_regs(&img->impl, regs, err, errlen))
		goto fail;
	img->sim = sim_create(1);
	if (!img->sim) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	img->smmu = smmu_create(img->sim, img->mem, &img->impl);
	if (!img->smmu) {
		errf(err, errlen, "the model refused the implementation");
		goto fail;
	}
	if (!program(img, err, errlen))
		goto fail;
	return true;
fail:
	xc_image_close(img);
	return false;
}

bool xc_image_open(struct xc_image *img, const char *core_path,
		   const char *regs_path, const struct smmu_impl *preset,
		   char *err, size_t errlen)
{
	struct xc_core_info info;
	struct xc_regs *regs = calloc(1, sizeof(*regs));
	struct pmem *mem = pmem_create();
	bool ok;

	memset(img, 0, sizeof(*img));
	if (!regs || !mem) {
		errf(err, errlen, "out of memory");
		free(regs);
		pmem_destroy(mem);
		return false;
	}
	if (!xc_regs_load(regs_path, regs, err, errlen) ||
	    !xc_core_load(core_path, mem, &info, err, errlen)) {
		free(regs);
		pmem_destroy(mem);
		return false;
	}
	ok = xc_image_open_mem(img, mem, regs, preset, err, errlen);
	if (ok)
		img->core = info;
	free(regs);
	return ok;
}

void xc_image_close(struct xc_image *img)
{
	/* stalled transactions die with the SMMU; run nothing after */
	smmu_destroy(img->smmu);
	pmem_destroy(img->mem);
	sim_destroy(img->sim);
	memset(img, 0, sizeof(*img));
}

bool xc_export(struct smmu *smmu, struct pmem *mem, const char *core_path,
	       const char *regs_path, char *err, size_t errlen)
{
	if (core_path && !xc_core_save(core_path, mem, NULL, err, errlen))
		return false;
	if (regs_path) {
		struct xc_regs *r = calloc(1, sizeof(*r));
		bool ok;

		if (!r) {
			errf(err, errlen, "out of memory");
			return false;
		}
		xc_regs_from_smmu(smmu, r);
		ok = xc_regs_save(regs_path, r, err, errlen);
		free(r);
		return ok;
	}
	return true;
}
