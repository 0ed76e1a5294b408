/* SPDX-License-Identifier: MIT */
/*
 * Shared virtual addressing over the host SMMU driver (see sva.h).
 *
 * Three records tie an address space to the SMMU:
 *   sva_mm   system-wide, one per address space with a PASID; keeps the
 *            PASID until the address space is torn down and unbound, and
 *            is the address space's one listener (hmm notifier, holding
 *            an hmm_get reference).
 *   sva_ctx  one per (SMMU, address space): the ASID; turns the
 *            listener's calls into that SMMU's invalidations.
 *   sva_bond one per (device, address space): the CD at index PASID in
 *            the device's CD table, refcounted.
 *
 * Everything reaches the SMMU through the driver (host/smmu_drv.h): ID
 * registers by MMIO, the stream's CD table and hitless STE and CD writes,
 * and batches of commands closed by a CMD_SYNC it waits for. Nothing here
 * calls into the model.
 */
#include "pasid/sva.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "host/asid.h"
#include "host/cdtab.h"
#include "host/smmu_regs.h"
#include "host/ste_cd_writer.h"

/* ID register fields host/smmu_regs.h does not define yet (§6.3.1). */

/* IDR0.STALL_MODEL encodings (§6.3.1) */
enum { STALL_MODEL_BOTH = 0, STALL_MODEL_TERM = 1, STALL_MODEL_FORCED = 2 };

/* CD walk attributes for TTB0 (§5.4): inner/outer write-back
 * read/write-allocate, inner shareable, as the CPU's TCR_EL1. */
#define CD_RGN_WBWA 1u
#define CD_SH_INNER 3u

/* ATC invalidation spans are counted from 4 KiB (CMD_ATC_INV.Size). */
#define ATC_INV_GRANULE_SHIFT 12u

struct sva_mm {
	UT_hash_handle hh;
	struct hmm *mm;              /* the hash key; one hmm_get reference */
	struct sva_system *sys;
	uint32_t pasid;
	unsigned nbonds;             /* bonds on every SMMU */
	bool dead;                   /* torn down */
	struct hmm_notifier n;
	struct sva_ctx *ctxs;
};

struct sva_ctx {
	struct sva_iommu *io;
	struct sva_mm *smm;
	uint16_t asid;
	bool released;
	struct sva_bond *bonds;
	struct sva_ctx *next;        /* in smm->ctxs */
};

struct sva_bond {
	struct sva_dev *dev;
	struct sva_ctx *ctx;
	unsigned refs;
	bool quiet;
	void *drvdata;
	uint64_t cd[ENTRY_WORDS];    /* the CD as written */
	struct sva_bond *dev_next, *ctx_next;
};

struct sva_dev {
	struct sva_iommu *io;
	uint32_t sid;
	unsigned pasid_bits, flags, s1cdmax;
	unsigned features;           /* the API layer's (sva_linux.c) */
	struct sva_bond *bonds;
	struct sva_dev *next;
};

struct sva_iommu {
	struct sva_system *sys;
	struct hsmmu *drv;
	unsigned ssidsize, oas, stall_model;
	bool ats;                    /* IDR0.ATS */
	uint32_t atc_last_sid, atc_last_pasid; /* of the last ATC_INV */
	unsigned atc_inv_timeouts;
	sva_atc_error_fn atc_err_fn;
	void *atc_err_ctx;
	/* The SMMU driver's ASID allocator (hsmmu_asids), borrowed. */
	struct idspace *asids;
	struct sva_dev *devs;
	unsigned cmd_failures;
};

struct sva_system {
	struct pasid_space *ps;
	struct sva_mm *mms;
	unsigned niommus;
};

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

/* Queue `n` commands and a CMD_SYNC, and wait for its completion. */
static int cmd_batch(struct sva_iommu *io, const uint64_t (*cmds)[2],
		     unsigned n)
{
	int ret = hsmmu_cmd_batch(io->drv, cmds, n);

	if (ret)
		io->cmd_failures++;
	return ret;
}

/* §4.4.2.2 TLBI_NH_ASID: non-global entries of ASID (VMID 0, no stage 2). */
static void cmd_tlbi_asid(uint64_t cmd[2], uint16_t asid)
{
	cmd[0] = cmd[1] = 0;
	fset(cmd, CMD_OPCODE, OP_TLBI_NH_ASID);
	fset(cmd, CMD_ASID, asid);
}

/*
 * §4.4.2.4 TLBI_NH_VA for one page, with TG=0 (§4.4.1.1: no range, no
 * TTL hint) and Leaf=0: a munmap may free the tables that mapped the
 * page, so cached walks must go too.
 */
static void cmd_tlbi_va(uint64_t cmd[2], uint16_t asid, uint64_t va)
{
	cmd[0] = cmd[1] = 0;
	fset(cmd, CMD_OPCODE, OP_TLBI_NH_VA);
	fset(cmd, CMD_ASID, asid);
	fset(cmd, CMD_LEAF, 0);
	fset(cmd, CMD_ADDR, va >> 12); /* Address[63:12] */
}

/* TLBI_NH_ASID and CMD_SYNC. */
static int flush_asid(struct sva_iommu *io, uint16_t asid)
{
	uint64_t cmd[1][2];

	cmd_tlbi_asid(cmd[0], asid);
	return cmd_batch(io, (const uint64_t (*)[2])cmd, 1);
}

static bool dev_ats(const struct sva_dev *dev)
{
	return dev->io->ats && (dev->flags & SVA_DEV_ATS);
}

/* The Size of the smallest aligned 4 KiB << Size span holding
 * [start, end) (§4.5.1), CMD_ATC_INV_SIZE_ALL when none is smaller. */
static unsigned atc_inv_size(uint64_t start, uint64_t end)
{
	uint64_t first = start >> ATC_INV_GRANULE_SHIFT;
	uint64_t last = (end - 1) >> ATC_INV_GRANULE_SHIFT;
	unsigned size = 0;

	while (first != last && size < CMD_ATC_INV_SIZE_ALL) {
		first >>= 1;
		last >>= 1;
		size++;
	}
	return size;
}

/*
 * §4.5.1: queue CMD_ATC_INV of [start, end) for a bond's PASID (SSV=1,
 * Global=0) when its device uses ATS. §4.5.1 / facts §8.5 order it after
 * the SMMU TLBI and its CMD_SYNC; the caller closes the batch with
 * atc_sync(). Returns whether a command was queued.
 */
static bool atc_inv_range(struct sva_bond *b, uint64_t start, uint64_t end)
{
	struct sva_iommu *io = b->dev->io;
	uint64_t cmd[2] = { 0, 0 };
	unsigned size;

	if (!dev_ats(b->dev) || end <= start)
		return false;
	size = atc_inv_size(start, end);
	fset(cmd, CMD_OPCODE, OP_ATC_INV);
	fset(cmd, CMD_SID, b->dev->sid);
	fset(cmd, CMD_SSV, 1);
	fset(cmd, CMD_SSID, b->ctx->smm->pasid);
	fset(cmd, CMD_ATC_INV_GLOBAL, 0);
	fset(cmd, CMD_ATC_INV_SIZE, size);
	/* Address[11 + Size:0] is ignored: give the span's base */
	if (size < CMD_ATC_INV_SIZE_ALL)
		fset(cmd, CMD_ADDR, (start >> (ATC_INV_GRANULE_SHIFT + size))
					    << size);
	if (hsmmu_cmd(io->drv, cmd)) {
		io->cmd_failures++;
		return false;
	}
	io->atc_last_sid = b->dev->sid;
	io->atc_last_pasid = b->ctx->smm->pasid;
	return true;
}

/*
 * The CMD_SYNC after CMD_ATC_INVs. An ATS Invalidation Completion timeout
 * (CERROR_ATC_INV_SYNC, §3.9.1.4, §7.1) leaves CONS on the CMD_SYNC: it
 * is counted, reported and acknowledged so command processing resumes;
 * nothing waits for the endpoint again here.
 */
static int atc_sync(struct sva_iommu *io)
{
	int ret = hsmmu_cmd_batch(io->drv, NULL, 0);

	if (!ret)
		return 0;
	io->cmd_failures++;
	if (hsmmu_cmd_error(io->drv) == CMDQ_CERROR_ATC_INV_SYNC) {
		io->atc_inv_timeouts++;
		hsmmu_ack_cmd_error(io->drv);
		if (io->atc_err_fn)
			io->atc_err_fn(io->atc_err_ctx, io->atc_last_sid,
				       io->atc_last_pasid);
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* CD table access                                                    */
/* ------------------------------------------------------------------ */

/*
 * The device's CD table belongs to the driver (hsmmu_cdtab_alloc), which
 * updates CDs hitlessly (§3.21.3): a CD written into an invalid slot goes
 * in body first and word 0 last; the switch to the quiet form and back to
 * invalid each change word 0 only, one 64-bit store. Every step is
 * followed by CFGI_CD and CMD_SYNC.
 */
static int cd_write(struct sva_dev *dev, uint32_t ssid,
		    const uint64_t cd[ENTRY_WORDS])
{
	int ret = hsmmu_write_cd(dev->io->drv, dev->sid, ssid, cd);

	if (ret)
		dev->io->cmd_failures++;
	return ret == -EIO || ret == -ETIMEDOUT ? -EIO : ret;
}

/* ------------------------------------------------------------------ */
/* CDs from address spaces                                            */
/* ------------------------------------------------------------------ */

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* §5.4: the live CD of an address space. */
static void cd_build(const struct sva_dev *dev, struct hmm *mm,
		     uint16_t asid, uint64_t cd[ENTRY_WORDS])
{
	const struct sva_iommu *io = dev->io;
	bool stall = (dev->flags & SVA_DEV_STALL) &&
		     (dev->flags & SVA_DEV_IOPF) &&
		     io->stall_model != STALL_MODEL_TERM;

	memset(cd, 0, ENTRY_WORDS * sizeof(*cd));
	fset(cd, CD_T0SZ, hmm_t0sz(mm));
	fset(cd, CD_TG0, hmm_tg0(mm));
	fset(cd, CD_IR0, CD_RGN_WBWA);
	fset(cd, CD_OR0, CD_RGN_WBWA);
	fset(cd, CD_SH0, CD_SH_INNER);
	fset(cd, CD_EPD1, 1);        /* user addresses only: no TTB1 */
	fset(cd, CD_V, 1);
	/* §5.4 IPS: the effective size is min(IPS, OAS); clamp as Linux */
	fset(cd, CD_IPS, min_u(hmm_ips(mm), io->oas));
	fset(cd, CD_AA64, 1);
	fset(cd, CD_R, 1);           /* record faults */
	fset(cd, CD_A, 1);           /* abort, not RAZ/WI */
	/* §5.4: STALL_MODEL=10 makes S=0 ILLEGAL; otherwise stall only a
	 * stall-capable device whose faults a handler resolves. */
	fset(cd, CD_S, io->stall_model == STALL_MODEL_FORCED || stall);
	fset(cd, CD_ASET, 0);        /* ASID shared with the CPU */
	fset(cd, CD_ASID, asid);
	fset(cd, CD_TTB0, hmm_ttb(mm) >> 4);
	fset(cd, CD_MAIR, hmm_mair(mm));
}

/*
 * The quiet form of a live CD, differing in word 0 only: EPD0=1 makes
 * every TTB0 walk an F_TRANSLATION without reading the (freed) tables,
 * R=0 suppresses its record, A=1 aborts the transaction (§5.4, §5.5,
 * §3.12.1).
 */
static uint64_t cd_quiet_word0(const struct sva_iommu *io,
			       const uint64_t cd[ENTRY_WORDS])
{
	uint64_t q[ENTRY_WORDS];

	memcpy(q, cd, sizeof(q));
	fset(q, CD_EPD0, 1);
	fset(q, CD_R, 0);
	fset(q, CD_A, 1);
	fset(q, CD_S, io->stall_model == STALL_MODEL_FORCED);
	return q[0];
}

/* ------------------------------------------------------------------ */
/* Address-space records                                              */
/* ------------------------------------------------------------------ */

static struct sva_mm *smm_find(const struct sva_system *sys,
			       const struct hmm *mm)
{
	struct sva_mm *smm = NULL;

	HASH_FIND(hh, sys->mms, &mm, sizeof(mm), smm);
	return smm;
}

static void smm_free(struct sva_mm *smm)
{
	struct sva_system *sys = smm->sys;

	HASH_DEL(sys->mms, smm);
	pasid_erase_private(sys->ps, smm->pasid);
	pasid_free(sys->ps, smm->pasid);
	hmm_notifier_unregister(smm->mm, &smm->n);
	hmm_put(smm->mm);
	free(smm);
}

static void ctx_invalidate(struct sva_ctx *ctx, struct hmm *mm,
			   uint64_t start, uint64_t end);
static void ctx_release(struct sva_ctx *ctx);

/* A PTE changed: every SMMU's TLB drops it before this returns. */
static void smm_invalidate(void *arg, struct hmm *mm, uint64_t start,
			   uint64_t end)
{
	struct sva_mm *smm = arg;

	for (struct sva_ctx *c = smm->ctxs; c; c = c->next)
		ctx_invalidate(c, mm, start, end);
}

/* The address space is being torn down: quiet every bond. */
static void smm_release(void *arg, struct hmm *mm)
{
	struct sva_mm *smm = arg;

	(void)mm;
	for (struct sva_ctx *c = smm->ctxs; c; c = c->next)
		ctx_release(c);
	smm->dead = true;
	if (!smm->nbonds)
		smm_free(smm);
}

static const struct hmm_notifier_ops smm_ops = {
	.invalidate_range = smm_invalidate,
	.release = smm_release,
};

static int smm_create(struct sva_system *sys, struct hmm *mm, uint32_t max,
		      struct sva_mm **out)
{
	struct sva_mm *smm = calloc(1, sizeof(*smm));
	int pasid;

	if (!smm)
		return -ENOMEM;
	pasid = pasid_alloc(sys->ps, 1, max);
	if (pasid < 0) {
		free(smm);
		return pasid;
	}
	smm->sys = sys;
	smm->mm = mm;
	smm->pasid = (uint32_t)pasid;
	if (pasid_set_private(sys->ps, smm->pasid, smm) ||
	    hmm_notifier_register(mm, &smm->n, &smm_ops, smm)) {
		pasid_erase_private(sys->ps, smm->pasid);
		pasid_free(sys->ps, smm->pasid);
		free(smm);
		return -ENOMEM;
	}
	hmm_get(mm);
	HASH_ADD(hh, sys->mms, mm, sizeof(smm->mm), smm);
	*out = smm;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Per-SMMU contexts: ASID and invalidation                           */
/* ------------------------------------------------------------------ */

static void ctx_invalidate(struct sva_ctx *ctx, struct hmm *mm,
			   uint64_t start, uint64_t end)
{
	struct sva_iommu *io = ctx->io;
	uint64_t pgsz = hmm_page_size(mm);
	uint64_t first, npages, cmds[SVA_TLBI_MAX_PAGES][2];
	bool atc = false;

	/* After release every CD of this context is quiet and its ASID
	 * flushed: no walk can fill the TLB again, nothing to do. */
	if (ctx->released || end <= start)
		return;
	first = start & ~(pgsz - 1);
	npages = (end - first - 1) / pgsz + 1;
	if (npages > SVA_TLBI_MAX_PAGES) {
		flush_asid(io, ctx->asid);
	} else {
		for (uint64_t i = 0; i < npages; i++)
			cmd_tlbi_va(cmds[i], ctx->asid, first + i * pgsz);
		cmd_batch(io, (const uint64_t (*)[2])cmds, (unsigned)npages);
	}
	/* §4.5.1: ATCs after the SMMU's TLB, each step synchronised */
	for (struct sva_bond *b = ctx->bonds; b; b = b->ctx_next)
		atc = atc_inv_range(b, start, end) || atc;
	if (atc)
		atc_sync(io);
}

static void ctx_release(struct sva_ctx *ctx)
{
	struct sva_iommu *io = ctx->io;
	bool atc = false;

	ctx->released = true;
	for (struct sva_bond *b = ctx->bonds; b; b = b->ctx_next) {
		b->cd[0] = cd_quiet_word0(io, b->cd);
		cd_write(b->dev, ctx->smm->pasid, b->cd);
		b->quiet = true;
	}
	flush_asid(io, ctx->asid);
	for (struct sva_bond *b = ctx->bonds; b; b = b->ctx_next)
		atc = atc_inv_range(b, 0, UINT64_MAX) || atc;
	if (atc)
		atc_sync(io);
}

static struct sva_ctx *ctx_find(const struct sva_iommu *io,
				const struct sva_mm *smm)
{
	for (struct sva_ctx *c = smm->ctxs; c; c = c->next)
		if (c->io == io)
			return c;
	return NULL;
}

static int ctx_create(struct sva_iommu *io, struct sva_mm *smm,
		      struct sva_ctx **out)
{
	struct sva_ctx *ctx = calloc(1, sizeof(*ctx));
	int asid;

	if (!ctx)
		return -ENOMEM;
	asid = asid_alloc(io->asids);
	if (asid < 0) {
		free(ctx);
		return asid;
	}
	ctx->io = io;
	ctx->smm = smm;
	ctx->asid = (uint16_t)asid;
	ctx->next = smm->ctxs;
	smm->ctxs = ctx;
	*out = ctx;
	return 0;
}

/* The last bond is gone: flush the ASID before it can be reused. */
static void ctx_free(struct sva_ctx *ctx)
{
	struct sva_iommu *io = ctx->io;
	struct sva_ctx **pp = &ctx->smm->ctxs;

	while (*pp != ctx)
		pp = &(*pp)->next;
	*pp = ctx->next;
	flush_asid(io, ctx->asid);
	idspace_free(io->asids, ctx->asid);
	free(ctx);
}

/* ------------------------------------------------------------------ */
/* The system and the SMMU                                            */
/* ------------------------------------------------------------------ */

struct sva_system *sva_system_create(struct pasid_space *ps)
{
	struct sva_system *sys;

	if (!ps)
		return NULL;
	sys = calloc(1, sizeof(*sys));
	if (sys)
		sys->ps = ps;
	return sys;
}

void sva_system_destroy(struct sva_system *sys)
{
	struct sva_mm *smm, *tmp;

	if (!sys)
		return;
	HASH_ITER(hh, sys->mms, smm, tmp)
		smm_free(smm);
	free(sys);
}

struct pasid_space *sva_system_pasids(const struct sva_system *sys)
{
	return sys->ps;
}

uint32_t sva_mm_pasid(const struct sva_system *sys, const struct hmm *mm)
{
	const struct sva_mm *smm = smm_find(sys, mm);

	return smm ? smm->pasid : 0;
}

struct sva_iommu *sva_iommu_create(struct sva_system *sys, struct hsmmu *drv)
{
	struct sva_iommu *io;
	uint32_t idr0, idr1, idr5;

	if (!sys || !drv)
		return NULL;
	idr0 = hsmmu_read32(drv, R_IDR0);
	idr1 = hsmmu_read32(drv, R_IDR1);
	idr5 = hsmmu_read32(drv, R_IDR5);
	/* SVA needs stage 1 and SubstreamIDs (§6.3.1, §6.3.2). */
	if (!rget(idr0, IDR0_S1P) || !rget(idr1, IDR1_SSIDSIZE))
		return NULL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->sys = sys;
	io->drv = drv;
	io->ssidsize = (unsigned)rget(idr1, IDR1_SSIDSIZE);
	io->oas = (unsigned)rget(idr5, IDR5_OAS);
	io->stall_model = (unsigned)rget(idr0, IDR0_STALL_MODEL);
	io->ats = rget(idr0, IDR0_ATS);
	io->asids = hsmmu_asids(drv); /* the SMMU driver's own allocator */
	sys->niommus++;
	return io;
}

void sva_iommu_destroy(struct sva_iommu *io)
{
	if (!io)
		return;
	while (io->devs)
		sva_dev_remove(io->devs);
	io->sys->niommus--;
	free(io);
}

unsigned sva_iommu_ssidsize(const struct sva_iommu *io)
{
	return io->ssidsize;
}

uint32_t sva_iommu_asids_used(const struct sva_iommu *io)
{
	return idspace_count(io->asids);
}

unsigned sva_iommu_cmd_failures(const struct sva_iommu *io)
{
	return io->cmd_failures;
}

unsigned sva_iommu_atc_inv_timeouts(const struct sva_iommu *io)
{
	return io->atc_inv_timeouts;
}

void sva_iommu_set_atc_error_fn(struct sva_iommu *io, sva_atc_error_fn fn,
				void *ctx)
{
	io->atc_err_fn = fn;
	io->atc_err_ctx = ctx;
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */
/* ------------------------------------------------------------------ */

/* §5.2: stage 1 through the device's CD table (the driver's builder),
 * S1DSS for no-PASID traffic as sva.h explains. */
static int ste_build(const struct sva_dev *dev, uint64_t ste[ENTRY_WORDS])
{
	const struct sva_iommu *io = dev->io;
	unsigned s1dss = (dev->flags & SVA_DEV_RID_BYPASS) ?
			 STE_S1DSS_BYPASS : STE_S1DSS_TERMINATE;
	int ret = hsmmu_ste_s1_cdtab(io->drv, dev->sid, s1dss, ste);

	if (ret)
		return ret;
	/* §5.2 S1STALLD: a device that cannot be stalled opts out where
	 * the SMMU lets software choose (STALL_MODEL 00); setting it
	 * under any other STALL_MODEL is ILLEGAL. */
	fset(ste, STE_S1STALLD, io->stall_model == STALL_MODEL_BOTH &&
		!(dev->flags & SVA_DEV_STALL));
	fset(ste, STE_STRW, STE_STRW_NSEL1);
	/* §5.2 EATS: Translation Requests of an ATS device are answered
	 * through stage 1 (full ATS); 00 answers them UR. */
	if (dev_ats(dev))
		fset(ste, STE_EATS, STE_EATS_FULL);
	return 0;
}

static struct sva_dev *dev_find(const struct sva_iommu *io, uint32_t sid)
{
	for (struct sva_dev *d = io->devs; d; d = d->next)
		if (d->sid == sid)
			return d;
	return NULL;
}

int sva_dev_add(struct sva_iommu *io, const struct sva_dev_params *p,
		struct sva_dev **out)
{
	struct sva_dev *dev;
	uint64_t ste[ENTRY_WORDS];
	unsigned s1cdmax;
	int ret;

	if (!io || !p || !out)
		return -EINVAL;
	s1cdmax = min_u(min_u(p->pasid_bits, PASID_BITS_MAX), io->ssidsize);
	if (!s1cdmax || !hsmmu_ste_pa(io->drv, p->sid))
		return -EINVAL;
	if (dev_find(io, p->sid))
		return -EEXIST;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->io = io;
	dev->sid = p->sid;
	dev->pasid_bits = p->pasid_bits;
	dev->flags = p->flags;
	dev->s1cdmax = s1cdmax;
	ret = hsmmu_cdtab_alloc(io->drv, dev->sid, s1cdmax);
	if (ret) {
		free(dev);
		return ret;
	}
	ret = ste_build(dev, ste);
	if (!ret && hsmmu_write_ste(io->drv, dev->sid, ste))
		ret = -EIO;
	if (ret) {
		hsmmu_cdtab_free(io->drv, dev->sid);
		free(dev);
		return ret;
	}
	dev->next = io->devs;
	io->devs = dev;
	*out = dev;
	return 0;
}

void sva_dev_remove(struct sva_dev *dev)
{
	struct sva_iommu *io;
	struct sva_dev **pp;
	uint64_t ste[ENTRY_WORDS];

	if (!dev)
		return;
	io = dev->io;
	while (dev->bonds) {
		dev->bonds->refs = 1;
		sva_unbind(dev->bonds);
	}
	/* §5.2 Config=000: abort everything from the stream; only then
	 * may the CD table go. */
	hsmmu_ste_abort(ste);
	if (hsmmu_write_ste(io->drv, dev->sid, ste))
		io->cmd_failures++;
	for (pp = &io->devs; *pp != dev; pp = &(*pp)->next)
		;
	*pp = dev->next;
	hsmmu_cdtab_free(io->drv, dev->sid);
	free(dev);
}

uint32_t sva_dev_sid(const struct sva_dev *dev)
{
	return dev->sid;
}

unsigned sva_dev_flags(const struct sva_dev *dev)
{
	return dev->flags;
}

unsigned sva_dev_s1cdmax(const struct sva_dev *dev)
{
	return dev->s1cdmax;
}

uint32_t sva_dev_pasid_max(const struct sva_dev *dev)
{
	return pasid_max_for(dev->pasid_bits, dev->io->ssidsize);
}

uint64_t sva_dev_ste_pa(const struct sva_dev *dev)
{
	return hsmmu_ste_pa(dev->io->drv, dev->sid);
}

uint64_t sva_dev_cd_pa(const struct sva_dev *dev, uint32_t ssid)
{
	if (dev->s1cdmax < 32 && (ssid >> dev->s1cdmax))
		return 0;
	return hsmmu_cd_pa(dev->io->drv, dev->sid, ssid);
}

void sva_dev_set_iopf(struct sva_dev *dev, bool on)
{
	if (on)
		dev->flags |= SVA_DEV_IOPF;
	else
		dev->flags &= ~(unsigned)SVA_DEV_IOPF;
}

unsigned sva_dev_features(const struct sva_dev *dev)
{
	return dev->features;
}

void sva_dev_set_features(struct sva_dev *dev, unsigned features)
{
	dev->features = features;
}

unsigned sva_dev_nr_bonds(const struct sva_dev *dev)
{
	unsigned n = 0;

	for (const struct sva_bond *b = dev->bonds; b; b = b->dev_next)
		n++;
	return n;
}

/* ------------------------------------------------------------------ */
/* Bonds                                                              */
/* ------------------------------------------------------------------ */

static struct sva_bond *bond_find(const struct sva_dev *dev,
				  const struct sva_mm *smm)
{
	for (struct sva_bond *b = dev->bonds; b; b = b->dev_next)
		if (b->ctx->smm == smm)
			return b;
	return NULL;
}

int sva_bind(struct sva_dev *dev, struct hmm *mm, struct sva_bond **out)
{
	struct sva_iommu *io;
	struct sva_system *sys;
	struct sva_mm *smm;
	struct sva_ctx *ctx;
	struct sva_bond *b;
	bool new_smm = false, new_ctx = false;
	int ret;

	if (!dev || !mm || !out)
		return -EINVAL;
	io = dev->io;
	sys = io->sys;
	if (!hmm_users(mm))
		return -ESRCH;
	smm = smm_find(sys, mm);
	if (smm) {
		ret = pasid_check_width(sys->ps, smm->pasid, dev->pasid_bits,
					io->ssidsize);
		if (ret)
			return ret;
		b = bond_find(dev, smm);
		if (b) {
			b->refs++;
			*out = b;
			return 0;
		}
	} else {
		ret = smm_create(sys, mm, sva_dev_pasid_max(dev), &smm);
		if (ret)
			return ret;
		new_smm = true;
	}
	ctx = ctx_find(io, smm);
	if (!ctx) {
		ret = ctx_create(io, smm, &ctx);
		if (ret)
			goto undo;
		new_ctx = true;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		ret = -ENOMEM;
		goto undo;
	}
	b->dev = dev;
	b->ctx = ctx;
	b->refs = 1;
	cd_build(dev, mm, ctx->asid, b->cd);
	ret = cd_write(dev, smm->pasid, b->cd);
	if (ret) {
		free(b);
		goto undo;
	}
	b->dev_next = dev->bonds;
	dev->bonds = b;
	b->ctx_next = ctx->bonds;
	ctx->bonds = b;
	smm->nbonds++;
	*out = b;
	return 0;
undo:
	if (new_ctx)
		ctx_free(ctx);
	if (new_smm)
		smm_free(smm);
	return ret;
}

void sva_unbind(struct sva_bond *b)
{
	struct sva_dev *dev;
	struct sva_ctx *ctx;
	struct sva_mm *smm;
	struct sva_bond **pp;

	if (!b || --b->refs)
		return;
	dev = b->dev;
	ctx = b->ctx;
	smm = ctx->smm;
	/* V=0 (then the rest cleared), each step invalidated and synced:
	 * the device can no longer reach the ASID through this stream. */
	memset(b->cd, 0, sizeof(b->cd));
	cd_write(dev, smm->pasid, b->cd);
	if (atc_inv_range(b, 0, UINT64_MAX))
		atc_sync(dev->io);
	for (pp = &dev->bonds; *pp != b; pp = &(*pp)->dev_next)
		;
	*pp = b->dev_next;
	for (pp = &ctx->bonds; *pp != b; pp = &(*pp)->ctx_next)
		;
	*pp = b->ctx_next;
	free(b);
	if (!ctx->bonds)
		ctx_free(ctx);
	if (!--smm->nbonds && smm->dead)
		smm_free(smm);
}

uint32_t sva_bond_pasid(const struct sva_bond *b)
{
	return b->ctx->smm->pasid;
}

uint16_t sva_bond_asid(const struct sva_bond *b)
{
	return b->ctx->asid;
}

unsigned sva_bond_refs(const struct sva_bond *b)
{
	return b->refs;
}

struct sva_dev *sva_bond_dev(const struct sva_bond *b)
{
	return b->dev;
}

struct hmm *sva_bond_mm(const struct sva_bond *b)
{
	return b->ctx->smm->mm;
}

bool sva_bond_quiet(const struct sva_bond *b)
{
	return b->quiet;
}

void *sva_bond_drvdata(const struct sva_bond *b)
{
	return b->drvdata;
}

void sva_bond_set_drvdata(struct sva_bond *b, void *drvdata)
{
	b->drvdata = drvdata;
}

/* ------------------------------------------------------------------ */
/* Invariants (docs/robustness.md)                                    */
/* ------------------------------------------------------------------ */

#define CHECK_FAIL(err, len, ...)                                      \
	do {                                                           \
		if (err && len)                                        \
			snprintf(err, len, __VA_ARGS__);               \
		return false;                                          \
	} while (0)

struct sva_system *sva_iommu_system(const struct sva_iommu *io)
{
	return io->sys;
}

bool sva_system_check(const struct sva_system *sys, char *err, size_t len)
{
	const struct sva_mm *a, *b;

	for (a = sys->mms; a; a = a->hh.next) {
		if (!pasid_in_use(sys->ps, a->pasid))
			CHECK_FAIL(err, len, "address space with PASID %u: "
				   "the PASID is not allocated", a->pasid);
		for (b = a->hh.next; b; b = b->hh.next)
			if (a->pasid == b->pasid)
				CHECK_FAIL(err, len, "PASID %u held by two "
					   "address spaces", a->pasid);
	}
	return true;
}

static const struct sva_bond *bond_for_pasid(const struct sva_dev *dev,
					     uint32_t pasid)
{
	for (const struct sva_bond *b = dev->bonds; b; b = b->dev_next)
		if (b->ctx->smm->pasid == pasid)
			return b;
	return NULL;
}

/* Every valid CD of `dev` (SSID >= 1) in CD `first` .. `first + n - 1`
 * at `pa` belongs to a bond of that PASID. */
static bool check_cds(const struct sva_dev *dev, struct pmem *mem,
		      uint64_t pa, uint32_t first, uint32_t n, char *err,
		      size_t len)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ssid = first + i;
		uint64_t w0;

		if (!ssid)
			continue;
		if (pmem_read64(mem, pa + (uint64_t)i * CD_BYTES, &w0, NULL) !=
		    MEM_OK)
			CHECK_FAIL(err, len, "SID 0x%x: CD %u at 0x%llx cannot "
				   "be read", dev->sid, ssid,
				   (unsigned long long)(pa + (uint64_t)i *
							CD_BYTES));
		if (fget(&w0, CD_V) && !bond_for_pasid(dev, ssid))
			CHECK_FAIL(err, len, "SID 0x%x: CD %u is valid but no "
				   "address space with PASID %u is bound to "
				   "the device", dev->sid, ssid, ssid);
	}
	return true;
}

/* Where the SMMU finds CD `ssid` (§5.2 S1Fmt 00 / 10); 0 if nowhere. */
static uint64_t cd_addr(struct pmem *mem, const struct hsmmu_cdtab_info *ci,
			uint32_t ssid)
{
	uint64_t desc;

	if (ssid >> ci->s1cdmax)
		return 0;
	if (!ci->l1_entries)
		return ci->base + (uint64_t)ssid * CD_BYTES;
	if (pmem_read64(mem, ci->base + 8ull * (ssid >> CDTAB_L2_LOG2), &desc,
			NULL) != MEM_OK || !rget(desc, L1CD_DESC_V))
		return 0;
	return (desc & rmask(L1CD_DESC_L2PTR)) +
	       (uint64_t)(ssid & ((1u << CDTAB_L2_LOG2) - 1)) * CD_BYTES;
}

bool sva_iommu_check(struct sva_iommu *io, char *err, size_t len)
{
	struct pmem *mem = hsmmu_pmem(io->drv);

	for (const struct sva_dev *d = io->devs; d; d = d->next) {
		struct hsmmu_cdtab_info ci;

		if (!hsmmu_cdtab_info(io->drv, d->sid, &ci)) {
			if (d->bonds)
				CHECK_FAIL(err, len, "SID 0x%x: bound but "
					   "without a CD table", d->sid);
			continue;
		}
		for (const struct sva_bond *b = d->bonds; b; b = b->dev_next) {
			uint64_t pa = cd_addr(mem, &ci, b->ctx->smm->pasid);
			uint64_t w0 = 0;

			if (!pa || pmem_read64(mem, pa, &w0, NULL) != MEM_OK ||
			    !fget(&w0, CD_V))
				CHECK_FAIL(err, len, "SID 0x%x: PASID %u is "
					   "bound but its CD is not valid",
					   d->sid, b->ctx->smm->pasid);
		}
		if (!ci.l1_entries) {
			if (!check_cds(d, mem, ci.base, 0, 1u << ci.s1cdmax,
				       err, len))
				return false;
			continue;
		}
		for (uint32_t l1 = 0; l1 < ci.l1_entries; l1++) {
			uint64_t desc;

			if (pmem_read64(mem, ci.base + 8ull * l1, &desc,
					NULL) != MEM_OK)
				CHECK_FAIL(err, len, "SID 0x%x: L1CD %u cannot "
					   "be read", d->sid, l1);
			if (!rget(desc, L1CD_DESC_V))
				continue;
			if (!check_cds(d, mem,
				       desc & rmask(L1CD_DESC_L2PTR),
				       l1 << CDTAB_L2_LOG2,
				       1u << CDTAB_L2_LOG2, err, len))
				return false;
		}
	}
	return true;
}
