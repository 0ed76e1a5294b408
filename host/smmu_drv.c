/* SPDX-License-Identifier: MIT */
/*
 * Host SMMUv3 driver, first layer (see smmu_drv.h). Programming sequence
 * from IHI 0070 §3.3 / §6.3: disable, program the table and queue bases,
 * enable the queues, invalidate everything, then set SMMUEN.
 */
#include "host/smmu_drv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cdtab.h"
#include "host/pgtable.h"
#include "host/asid.h"
#include "host/smmu_regs.h"
#include "host/ste_cd_writer.h"

#define POLL_STEP 4u          /* cycles between register polls */
#define POLL_LIMIT 1000000u   /* cycles before giving up */
#define L2_SPLIT 8u           /* 2-level: 256 STEs per level-2 table */
#define PRIQ_ENT_BYTES 16u    /* PRI queue record */

struct hq {
	uint64_t base;
	unsigned log2;
	uint32_t prod, cons; /* driver's shadow copies, wrap bit included */
};

/* A stream's CD table */
struct stream_cd {
	uint32_t sid;
	struct cdtab ct;
};

struct hsmmu {
	struct sim *sim;
	struct pmem *mem;
	struct hostmem *hm;
	uint64_t mmio;
	uint32_t idr[6];
	unsigned sid_bits;
	bool two_level;
	uint64_t strtab;
	uint64_t strtab_size;
	uint64_t *l2;        /* PA of each level-2 table, 0 = absent */
	uint32_t nl1;
	struct hq cmdq, evtq;
	struct hq priq;             /* base 0 until hsmmu_priq_alloc */
	bool priq_ovack;            /* PRIQ_CONS.OVACKFLG as written */
	uint32_t cmd_error;
	uint64_t syncs;             /* CMD_SYNCs issued */
	enum hsmmu_sync_wait sync_wait;
	uint64_t msi_pa;            /* CMD_SYNC MSI target word */
	uint32_t msi_seq;           /* MSIData of the last CMD_SYNC */
	hsmmu_write_observer_fn observer;
	void *observer_ctx;
	struct stream_cd *cds;      /* CD tables, by stream */
	unsigned ncds;
	struct idspace *asids;      /* the driver's ASIDs (IDR0.ASID16) */
	struct idspace *vmids;      /* and VMIDs (IDR0.VMID16) */
};

static void errf(char *err, unsigned len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, unsigned len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

uint32_t hsmmu_read32(struct hsmmu *h, uint64_t off)
{
	uint32_t v = 0;

	pmem_read32(h->mem, h->mmio + off, &v, NULL);
	return v;
}

uint64_t hsmmu_read64(struct hsmmu *h, uint64_t off)
{
	uint64_t v = 0;

	pmem_read64(h->mem, h->mmio + off, &v, NULL);
	return v;
}

void hsmmu_write32(struct hsmmu *h, uint64_t off, uint32_t v)
{
	pmem_write32(h->mem, h->mmio + off, v, NULL);
}

void hsmmu_write64(struct hsmmu *h, uint64_t off, uint64_t v)
{
	pmem_write64(h->mem, h->mmio + off, v, NULL);
}

/* Let simulated time pass while the driver polls. */
static void poll_wait(struct hsmmu *h)
{
	sim_run_until(h->sim, sim_now(h->sim) + POLL_STEP);
}

/* Write CR0 and wait for CR0ACK to match (§6.3.9). */
static int write_cr0(struct hsmmu *h, uint32_t v)
{
	hsmmu_write32(h, R_CR0, v);
	for (unsigned t = 0; t < POLL_LIMIT; t += POLL_STEP) {
		if (hsmmu_read32(h, R_CR0ACK) == v)
			return 0;
		poll_wait(h);
	}
	return -ETIMEDOUT;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static bool alloc_queue(struct hsmmu *h, struct hq *q, unsigned log2,
			unsigned entry_bytes)
{
	uint64_t bytes = ((uint64_t)1 << log2) * entry_bytes;

	if (bytes < 32)
		bytes = 32;
	q->log2 = log2;
	q->base = hostmem_alloc(h->hm, bytes, bytes);
	q->prod = q->cons = 0;
	return q->base != 0;
}

static uint64_t queue_base_reg(const struct hq *q)
{
	return rset(rset(0, Q_BASE_ADDR, q->base >> 5), Q_BASE_LOG2SIZE,
		    q->log2);
}

struct hsmmu *hsmmu_probe(struct sim *sim, struct hostmem *hm,
			  const struct hsmmu_params *p, char *err,
			  unsigned errlen)
{
	struct hsmmu *h = calloc(1, sizeof(*h));

	if (!h) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	h->sim = sim;
	h->hm = hm;
	h->mem = hostmem_pmem(hm);
	h->mmio = p->mmio_base;
	for (unsigned i = 0; i < 6; i++)
		h->idr[i] = hsmmu_read32(h, R_IDR0 + 4 * i);
	h->asids = asid_space_create(rget(h->idr[0], IDR0_ASID16));
	h->vmids = vmid_space_create(rget(h->idr[0], IDR0_VMID16));
	if (!h->asids || !h->vmids) {
		errf(err, errlen, "out of memory");
		idspace_destroy(h->asids);
		idspace_destroy(h->vmids);
		free(h);
		return NULL;
	}

	unsigned sidsize = (unsigned)rget(h->idr[1], IDR1_SIDSIZE);

	h->sid_bits = min_u(p->sid_bits, sidsize);
	h->two_level = !p->force_linear &&
		       rget(h->idr[0], IDR0_ST_LEVEL) == 1 &&
		       h->sid_bits > L2_SPLIT;
	if (!h->two_level && h->sid_bits > 16) {
		errf(err, errlen, "%u StreamID bits need a 2-level stream "
		     "table, which this SMMU does not have", h->sid_bits);
		free(h);
		return NULL;
	}

	if (write_cr0(h, 0)) {
		errf(err, errlen, "CR0ACK did not acknowledge CR0=0");
		free(h);
		return NULL;
	}

	/* Stream table (§3.3.1, §3.3.2) */
	uint32_t cfg = rset(0, STRTAB_CFG_LOG2SIZE, h->sid_bits);

	if (h->two_level) {
		h->nl1 = 1u << (h->sid_bits - L2_SPLIT);
		h->strtab_size = (uint64_t)h->nl1 * 8;
		cfg = rset(cfg, STRTAB_CFG_FMT, 1);
		cfg = rset(cfg, STRTAB_CFG_SPLIT, L2_SPLIT);
		h->l2 = calloc(h->nl1, sizeof(*h->l2));
	} else {
		h->strtab_size = ((uint64_t)1 << h->sid_bits) * 64;
	}
	uint64_t align = h->strtab_size < 64 ? 64 : h->strtab_size;

	h->strtab = hostmem_alloc(hm, h->strtab_size, align);
	unsigned cq = min_u(p->cmdq_log2 ? p->cmdq_log2 : 8,
			    (unsigned)rget(h->idr[1], IDR1_CMDQS));
	unsigned eq = min_u(p->evtq_log2 ? p->evtq_log2 : 8,
			    (unsigned)rget(h->idr[1], IDR1_EVENTQS));

	if (!h->strtab || (h->two_level && !h->l2) ||
	    !alloc_queue(h, &h->cmdq, cq, 16) ||
	    !alloc_queue(h, &h->evtq, eq, 32)) {
		errf(err, errlen, "out of simulated memory for SMMU tables");
		hsmmu_remove(h);
		return NULL;
	}
	hsmmu_write64(h, R_STRTAB_BASE, h->strtab);
	hsmmu_write32(h, R_STRTAB_BASE_CFG, cfg);
	hsmmu_write64(h, R_CMDQ_BASE, queue_base_reg(&h->cmdq));
	hsmmu_write32(h, R_CMDQ_PROD, 0);
	hsmmu_write32(h, R_CMDQ_CONS, 0);
	hsmmu_write64(h, R_EVENTQ_BASE, queue_base_reg(&h->evtq));
	hsmmu_write32(h, R_EVENTQ_PROD, 0);
	hsmmu_write32(h, R_EVENTQ_CONS, 0);
	/* CR1: tables and queues inner-shareable write-back */
	hsmmu_write32(h, R_CR1, 0xD75);
	hsmmu_write32(h, R_CR2, (uint32_t)rset(0, CR2_RECINVSID, 1));

	uint32_t cr0 = (uint32_t)rset(rset(0, CR0_CMDQEN, 1), CR0_EVENTQEN, 1);

	if (write_cr0(h, cr0)) {
		errf(err, errlen, "CR0ACK did not acknowledge the queues");
		hsmmu_remove(h);
		return NULL;
	}
	/* Invalidate anything cached before enabling (§3.3.4). */
	uint64_t cmd[2] = { 0, 0 };

	fset(cmd, CMD_OPCODE, OP_CFGI_STE_RANGE);
	fset(cmd, CMD_RANGE, 31);
	hsmmu_cmd(h, cmd);
	memset(cmd, 0, sizeof(cmd));
	fset(cmd, CMD_OPCODE, OP_TLBI_NSNH_ALL);
	hsmmu_cmd(h, cmd);
	if (hsmmu_sync(h)) {
		errf(err, errlen, "initial invalidation failed: CERROR %u",
		     h->cmd_error);
		hsmmu_remove(h);
		return NULL;
	}
	if (write_cr0(h, cr0 | (uint32_t)rset(0, CR0_SMMUEN, 1))) {
		errf(err, errlen, "CR0ACK did not acknowledge SMMUEN");
		hsmmu_remove(h);
		return NULL;
	}
	return h;
}

/* PRI queue records are 16 bytes (§8); alloc_queue's 32-byte minimum */
static uint64_t priq_bytes(const struct hq *q)
{
	uint64_t bytes = ((uint64_t)1 << q->log2) * PRIQ_ENT_BYTES;

	return bytes < 32 ? 32 : bytes;
}

void hsmmu_remove(struct hsmmu *h)
{
	if (!h)
		return;
	write_cr0(h, 0);
	idspace_destroy(h->asids);
	idspace_destroy(h->vmids);
	for (unsigned i = 0; i < h->ncds; i++)
		cdtab_destroy(&h->cds[i].ct, h->hm);
	free(h->cds);
	if (h->msi_pa)
		hostmem_free(h->hm, h->msi_pa, 8);
	for (uint32_t i = 0; h->l2 && i < h->nl1; i++)
		if (h->l2[i])
			hostmem_free(h->hm, h->l2[i],
				     ((uint64_t)1 << L2_SPLIT) * 64);
	free(h->l2);
	if (h->strtab)
		hostmem_free(h->hm, h->strtab, h->strtab_size);
	if (h->cmdq.base)
		hostmem_free(h->hm, h->cmdq.base,
			     ((uint64_t)1 << h->cmdq.log2) * 16);
	if (h->evtq.base)
		hostmem_free(h->hm, h->evtq.base,
			     ((uint64_t)1 << h->evtq.log2) * 32);
	if (h->priq.base)
		hostmem_free(h->hm, h->priq.base, priq_bytes(&h->priq));
	free(h);
}

uint64_t hsmmu_ste_pa(struct hsmmu *h, uint32_t sid)
{
	if (h->sid_bits < 32 && (sid >> h->sid_bits))
		return 0;
	if (!h->two_level)
		return h->strtab + (uint64_t)sid * 64;
	uint32_t i = sid >> L2_SPLIT;

	if (!h->l2[i]) {
		uint64_t sz = ((uint64_t)1 << L2_SPLIT) * 64;
		uint64_t l2 = hostmem_alloc(h->hm, sz, sz);

		if (!l2)
			return 0;
		h->l2[i] = l2;
		/* Span = SPLIT + 1 covers the whole level-2 table. */
		uint64_t d = rset(rset(0, L1STD_SPAN, L2_SPLIT + 1),
				  L1STD_L2PTR, l2 >> 6);

		pmem_write64(h->mem, h->strtab + (uint64_t)i * 8, d, NULL);
		uint64_t cmd[2] = { 0, 0 };

		fset(cmd, CMD_OPCODE, OP_CFGI_STE);
		fset(cmd, CMD_SID, sid);
		hsmmu_cmd(h, cmd);
		hsmmu_sync(h);
	}
	return h->l2[i] + (uint64_t)(sid & ((1u << L2_SPLIT) - 1)) * 64;
}

static uint32_t q_inc(const struct hq *q, uint32_t p)
{
	return (p + 1) & ((2u << q->log2) - 1);
}

static bool q_full(const struct hq *q)
{
	uint32_t m = (1u << q->log2) - 1;

	return (q->prod & m) == (q->cons & m) && q->prod != q->cons;
}

/* Read CONS; false if a command error is active (GERROR.CMDQ_ERR). */
static bool refresh_cons(struct hsmmu *h)
{
	uint32_t cons = hsmmu_read32(h, R_CMDQ_CONS);

	h->cmdq.cons = cons & ((2u << h->cmdq.log2) - 1);
	if ((hsmmu_read32(h, R_GERROR) ^ hsmmu_read32(h, R_GERRORN)) & 1) {
		h->cmd_error = (uint32_t)rget(cons, Q_CONS_ERR);
		return false;
	}
	return true;
}

int hsmmu_cmd(struct hsmmu *h, const uint64_t cmd[2])
{
	unsigned t = 0;

	while (q_full(&h->cmdq)) {
		if (!refresh_cons(h))
			return -EIO;
		if (!q_full(&h->cmdq))
			break;
		if ((t += POLL_STEP) > POLL_LIMIT)
			return -ETIMEDOUT;
		poll_wait(h);
	}
	uint64_t slot = h->cmdq.base +
			(uint64_t)(h->cmdq.prod & ((1u << h->cmdq.log2) - 1)) *
				16;

	pmem_write64(h->mem, slot, cmd[0], NULL);
	pmem_write64(h->mem, slot + 8, cmd[1], NULL);
	h->cmdq.prod = q_inc(&h->cmdq, h->cmdq.prod);
	hsmmu_write32(h, R_CMDQ_PROD, h->cmdq.prod);
	return 0;
}

/* Wait until CONS passes `target`, the index after our CMD_SYNC. */
static int wait_cons(struct hsmmu *h, uint32_t target)
{
	for (unsigned t = 0; t < POLL_LIMIT; t += POLL_STEP) {
		if (!refresh_cons(h))
			return -EIO;
		if (h->cmdq.cons == target)
			return 0;
		poll_wait(h);
	}
	return -ETIMEDOUT;
}

/*
 * Wait for the CMD_SYNC's MSI (§4.7.3 CS=SIG_IRQ): the SMMU writes
 * MSIData to MSIAddr once every earlier command has completed. A command
 * error stops the queue before the sync, so watch GERROR.CMDQ_ERR too.
 */
static int wait_msi(struct hsmmu *h, uint32_t target)
{
	for (unsigned t = 0; t < POLL_LIMIT; t += POLL_STEP) {
		uint32_t v = 0;

		pmem_read32(h->mem, h->msi_pa, &v, NULL);
		if (v == h->msi_seq) {
			h->cmdq.cons = target;
			return 0;
		}
		if (rget(hsmmu_read32(h, R_GERROR) ^
			 hsmmu_read32(h, R_GERRORN), GERROR_F_CMDQ_ERR)) {
			refresh_cons(h);
			return -EIO;
		}
		poll_wait(h);
	}
	return -ETIMEDOUT;
}

/* Queue a CMD_SYNC after whatever is queued and wait for it. */
static int sync_and_wait(struct hsmmu *h)
{
	uint64_t cmd[2] = { 0, 0 };
	bool msi = h->sync_wait == HSMMU_SYNC_MSI;

	fset(cmd, CMD_OPCODE, OP_CMD_SYNC);
	if (msi) {
		/* never 0, the value of the word before the first MSI */
		if (++h->msi_seq == 0)
			h->msi_seq = 1;
		fset(cmd, CMD_SYNC_CS, CMD_SYNC_CS_IRQ);
		fset(cmd, CMD_SYNC_MSH, CMD_SYNC_MSH_ISH);
		fset(cmd, CMD_SYNC_MSIATTR, CMD_SYNC_MSIATTR_WB);
		fset(cmd, CMD_SYNC_MSIDATA, h->msi_seq);
		fset(cmd, CMD_SYNC_MSIADDR, h->msi_pa >> 2);
	}
	if (hsmmu_cmd(h, cmd))
		return -EIO;
	h->syncs++;
	return msi ? wait_msi(h, h->cmdq.prod) : wait_cons(h, h->cmdq.prod);
}

int hsmmu_sync(struct hsmmu *h)
{
	return sync_and_wait(h);
}

int hsmmu_cmd_batch(struct hsmmu *h, const uint64_t (*cmds)[2], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (hsmmu_cmd(h, cmds[i]))
			return -EIO;
	return sync_and_wait(h);
}

int hsmmu_set_sync_wait(struct hsmmu *h, enum hsmmu_sync_wait mode)
{
	if (mode == HSMMU_SYNC_MSI) {
		if (!rget(h->idr[0], IDR0_MSI))
			return -ENOTSUP;
		if (!h->msi_pa) {
			h->msi_pa = hostmem_alloc(h->hm, 8, 8);
			if (!h->msi_pa)
				return -ENOMEM;
			h->msi_seq = 0;
		}
	}
	h->sync_wait = mode;
	return 0;
}

uint64_t hsmmu_sync_msi_pa(const struct hsmmu *h)
{
	return h->sync_wait == HSMMU_SYNC_MSI ? h->msi_pa : 0;
}

uint64_t hsmmu_sync_count(const struct hsmmu *h)
{
	return h->syncs;
}

struct idspace *hsmmu_asids(struct hsmmu *h)
{
	return h->asids;
}

struct idspace *hsmmu_vmids(struct hsmmu *h)
{
	return h->vmids;
}

uint32_t hsmmu_cmd_error(const struct hsmmu *h)
{
	return h->cmd_error;
}

void hsmmu_ack_cmd_error(struct hsmmu *h)
{
	uint32_t gn = hsmmu_read32(h, R_GERRORN);

	hsmmu_write32(h, R_GERRORN, gn ^ 1);
	h->cmd_error = 0;
}

bool hsmmu_pop_event(struct hsmmu *h, uint64_t rec[4])
{
	uint32_t prod = hsmmu_read32(h, R_EVENTQ_PROD);
	uint32_t mask = (2u << h->evtq.log2) - 1;

	if ((prod & mask) == (h->evtq.cons & mask))
		return false;
	uint64_t slot = h->evtq.base +
			(uint64_t)(h->evtq.cons & ((1u << h->evtq.log2) - 1)) *
				32;

	for (int i = 0; i < 4; i++)
		pmem_read64(h->mem, slot + 8 * (uint64_t)i, &rec[i], NULL);
	h->evtq.cons = q_inc(&h->evtq, h->evtq.cons);
	/* Acknowledge any overflow along with the new read index. */
	hsmmu_write32(h, R_EVENTQ_CONS,
		      h->evtq.cons | (prod & 0x80000000u));
	return true;
}

/* --- PRI queue -------------------------------------------------------- */

bool hsmmu_has_pri(const struct hsmmu *h)
{
	return rget(h->idr[0], IDR0_PRI) != 0;
}

int hsmmu_priq_alloc(struct hsmmu *h, unsigned log2)
{
	if (!hsmmu_has_pri(h))
		return -ENOTSUP;
	if (h->priq.base)
		return -EEXIST;
	log2 = min_u(log2 ? log2 : 8, (unsigned)rget(h->idr[1], IDR1_PRIQS));
	if (!alloc_queue(h, &h->priq, log2, PRIQ_ENT_BYTES))
		return -ENOMEM;
	h->priq_ovack = false;
	/* §6.3.33, §6.3.97: base and indices while PRIQEN is 0 */
	hsmmu_write64(h, R_PRIQ_BASE, queue_base_reg(&h->priq));
	hsmmu_write32(h, R_PRIQ_PROD, 0);
	hsmmu_write32(h, R_PRIQ_CONS, 0);
	return 0;
}

int hsmmu_priq_enable(struct hsmmu *h, bool on)
{
	uint32_t cr0 = hsmmu_read32(h, R_CR0);

	if (!h->priq.base)
		return -ENOENT;
	return write_cr0(h, (uint32_t)rset(cr0, CR0_PRIQEN, on));
}

bool hsmmu_priq_enabled(struct hsmmu *h)
{
	return h->priq.base &&
	       rget(hsmmu_read32(h, R_CR0ACK), CR0_PRIQEN) != 0;
}

uint64_t hsmmu_priq_base(const struct hsmmu *h)
{
	return h->priq.base;
}

unsigned hsmmu_priq_log2(const struct hsmmu *h)
{
	return h->priq.base ? h->priq.log2 : 0;
}

static uint32_t priq_cons_reg(const struct hsmmu *h)
{
	return (uint32_t)rset(h->priq.cons, Q_OVFLG, h->priq_ovack);
}

bool hsmmu_pop_pri(struct hsmmu *h, uint64_t rec[2])
{
	uint32_t prod, mask = (2u << h->priq.log2) - 1;
	uint64_t slot;

	if (!h->priq.base)
		return false;
	prod = hsmmu_read32(h, R_PRIQ_PROD);
	if ((prod & mask) == (h->priq.cons & mask))
		return false;
	slot = h->priq.base +
	       (uint64_t)(h->priq.cons & ((1u << h->priq.log2) - 1)) *
		       PRIQ_ENT_BYTES;
	for (int i = 0; i < 2; i++)
		pmem_read64(h->mem, slot + 8 * (uint64_t)i, &rec[i], NULL);
	h->priq.cons = q_inc(&h->priq, h->priq.cons);
	hsmmu_write32(h, R_PRIQ_CONS, priq_cons_reg(h));
	return true;
}

bool hsmmu_priq_overflow(struct hsmmu *h)
{
	if (!h->priq.base)
		return false;
	return rget(hsmmu_read32(h, R_PRIQ_PROD), Q_OVFLG) != h->priq_ovack;
}

void hsmmu_priq_ack_overflow(struct hsmmu *h)
{
	if (!h->priq.base)
		return;
	h->priq_ovack = rget(hsmmu_read32(h, R_PRIQ_PROD), Q_OVFLG) != 0;
	hsmmu_write32(h, R_PRIQ_CONS, priq_cons_reg(h));
}

void hsmmu_ste_s1(uint64_t ste[8], uint64_t cd_table_pa, unsigned s1cdmax)
{
	memset(ste, 0, 8 * sizeof(*ste));
	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, STE_CFG_S1);
	fset(ste, STE_S1FMT, 0);
	fset(ste, STE_S1CONTEXTPTR, cd_table_pa >> 6);
	fset(ste, STE_S1CDMAX, s1cdmax);
	fset(ste, STE_S1DSS, 2); /* no-PASID traffic uses CD 0 */
	fset(ste, STE_S1CIR, 1);
	fset(ste, STE_S1COR, 1);
	fset(ste, STE_S1CSH, 3);
}

void hsmmu_cd_from_pgtable(uint64_t cd[8], const struct pgtable *pt,
			   uint16_t asid, unsigned ips)
{
	memset(cd, 0, 8 * sizeof(*cd));
	fset(cd, CD_T0SZ, pgtable_tsz(pt));
	fset(cd, CD_TG0, pgtable_tg0(pt));
	fset(cd, CD_IR0, 1);
	fset(cd, CD_OR0, 1);
	fset(cd, CD_SH0, 3);
	fset(cd, CD_EPD1, 1);
	fset(cd, CD_V, 1);
	fset(cd, CD_IPS, ips);
	fset(cd, CD_AA64, 1);
	fset(cd, CD_R, 1);
	fset(cd, CD_A, 1);
	fset(cd, CD_ASET, 0);
	fset(cd, CD_ASID, asid);
	fset(cd, CD_TTB0, pt->root >> 4);
	fset(cd, CD_MAIR, PGTABLE_MAIR);
}

/* --- hitless STE / CD writes ------------------------------------------ */

void hsmmu_set_write_observer(struct hsmmu *h, hsmmu_write_observer_fn fn,
			      void *ctx)
{
	h->observer = fn;
	h->observer_ctx = ctx;
}

struct live_entry {
	struct hsmmu *h;
	enum hsmmu_entry_kind kind;
	uint64_t pa;
	uint64_t inval[2];  /* CMD_CFGI_STE or CMD_CFGI_CD */
};

static void live_write(void *ctx, unsigned i, uint64_t v)
{
	struct live_entry *e = ctx;

	pmem_write64(e->h->mem, e->pa + 8 * (uint64_t)i, v, NULL);
	if (e->h->observer)
		e->h->observer(e->h->observer_ctx, e->kind, e->pa, i);
}

static int live_sync(void *ctx)
{
	struct live_entry *e = ctx;

	return hsmmu_cmd_batch(e->h, (const uint64_t (*)[2])&e->inval, 1);
}

static int write_entry(struct live_entry *e, const uint64_t target[8])
{
	struct entry_writer w = {
		.used = e->kind == HSMMU_ENTRY_STE ? ste_used_bits
						   : cd_used_bits,
		.write = live_write,
		.sync = live_sync,
		.ctx = e,
	};
	uint64_t cur[ENTRY_WORDS];

	for (unsigned i = 0; i < ENTRY_WORDS; i++) {
		cur[i] = 0;
		if (pmem_read64(e->h->mem, e->pa + 8 * (uint64_t)i, &cur[i],
				NULL) != MEM_OK)
			return -EFAULT;
	}
	return entry_write(&w, cur, target);
}

int hsmmu_write_ste(struct hsmmu *h, uint32_t sid, const uint64_t target[8])
{
	struct live_entry e = { .h = h, .kind = HSMMU_ENTRY_STE };

	e.pa = hsmmu_ste_pa(h, sid);
	if (!e.pa)
		return -EINVAL;
	/* §4.3.1 CFGI_STE, Leaf: the STE only, not the L1STD */
	fset(e.inval, CMD_OPCODE, OP_CFGI_STE);
	fset(e.inval, CMD_SID, sid);
	fset(e.inval, CMD_LEAF, 1);
	return write_entry(&e, target);
}

int hsmmu_install_ste(struct hsmmu *h, uint32_t sid, const uint64_t ste[8])
{
	return hsmmu_write_ste(h, sid, ste);
}

static void cfgi_cd_cmd(uint64_t cmd[2], uint32_t sid, uint32_t ssid,
			bool leaf)
{
	cmd[0] = cmd[1] = 0;
	fset(cmd, CMD_OPCODE, OP_CFGI_CD);
	fset(cmd, CMD_SID, sid);
	fset(cmd, CMD_SSID, ssid);
	fset(cmd, CMD_LEAF, leaf);
}

int hsmmu_write_cd_at(struct hsmmu *h, uint32_t sid, uint32_t ssid,
		      uint64_t cd_pa, const uint64_t target[8])
{
	struct live_entry e = { .h = h, .kind = HSMMU_ENTRY_CD, .pa = cd_pa };

	cfgi_cd_cmd(e.inval, sid, ssid, true);
	return write_entry(&e, target);
}

/* --- CD tables ------------------------------------------------------- */

static struct stream_cd *find_cd(const struct hsmmu *h, uint32_t sid)
{
	for (unsigned i = 0; i < h->ncds; i++)
		if (h->cds[i].sid == sid)
			return &h->cds[i];
	return NULL;
}

int hsmmu_cdtab_alloc(struct hsmmu *h, uint32_t sid, unsigned ssid_bits)
{
	unsigned ssidsize = (unsigned)rget(h->idr[1], IDR1_SSIDSIZE);
	unsigned bits = min_u(ssid_bits, ssidsize);
	struct stream_cd *n;

	if (find_cd(h, sid))
		return -EEXIST;
	n = realloc(h->cds, (h->ncds + 1) * sizeof(*h->cds));
	if (!n)
		return -ENOMEM;
	h->cds = n;
	n = &h->cds[h->ncds];
	n->sid = sid;
	/* 2-level only where it saves memory: more CDs than one leaf */
	if (!cdtab_init(&n->ct, h->hm, bits,
			rget(h->idr[0], IDR0_CD2L) != 0))
		return -ENOMEM;
	h->ncds++;
	return 0;
}

void hsmmu_cdtab_free(struct hsmmu *h, uint32_t sid)
{
	struct stream_cd *c = find_cd(h, sid);

	if (!c)
		return;
	cdtab_destroy(&c->ct, h->hm);
	*c = h->cds[--h->ncds];
}

uint64_t hsmmu_cd_pa(struct hsmmu *h, uint32_t sid, uint32_t ssid)
{
	struct stream_cd *c = find_cd(h, sid);
	bool new_l1;
	uint64_t pa, cmd[2];

	if (!c)
		return 0;
	pa = cdtab_cd_pa(&c->ct, h->hm, ssid, &new_l1);
	if (pa && new_l1) {
		/* §3.21.3: any change to a structure, even an invalid one,
		 * is followed by its invalidation; Leaf=0 takes the L1CD */
		cfgi_cd_cmd(cmd, sid, ssid, false);
		if (hsmmu_cmd_batch(h, (const uint64_t (*)[2])&cmd, 1))
			return 0;
	}
	return pa;
}

struct pmem *hsmmu_pmem(const struct hsmmu *h)
{
	return h->mem;
}

uint64_t hsmmu_cd_l1_pa(const struct hsmmu *h, uint32_t sid, uint32_t ssid)
{
	const struct stream_cd *c = find_cd(h, sid);

	return c ? cdtab_l1_pa(&c->ct, ssid) : 0;
}

bool hsmmu_cdtab_info(const struct hsmmu *h, uint32_t sid,
		      struct hsmmu_cdtab_info *out)
{
	const struct stream_cd *c = find_cd(h, sid);

	if (!c)
		return false;
	out->base = c->ct.base;
	out->s1fmt = c->ct.s1fmt;
	out->s1cdmax = c->ct.s1cdmax;
	out->l1_entries = c->ct.nl1;
	return true;
}

int hsmmu_write_cd(struct hsmmu *h, uint32_t sid, uint32_t ssid,
		   const uint64_t target[8])
{
	const struct stream_cd *c = find_cd(h, sid);
	uint64_t pa;

	if (!c)
		return -ENOENT;
	if (c->ct.s1cdmax < 32 && (ssid >> c->ct.s1cdmax))
		return -ERANGE;
	pa = hsmmu_cd_pa(h, sid, ssid);
	if (!pa)
		return -ENOMEM;
	return hsmmu_write_cd_at(h, sid, ssid, pa, target);
}

int hsmmu_ste_s1_cdtab(const struct hsmmu *h, uint32_t sid, unsigned s1dss,
		       uint64_t ste[8])
{
	const struct stream_cd *c = find_cd(h, sid);

	if (!c)
		return -ENOENT;
	hsmmu_ste_s1_cd(ste, c->ct.base, c->ct.s1fmt, c->ct.s1cdmax, s1dss);
	return 0;
}

/* --- STE / CD builders ------------------------------------------------ */

void hsmmu_ste_abort(uint64_t ste[8])
{
	memset(ste, 0, 8 * sizeof(*ste));
	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, STE_CFG_ABORT);
}

void hsmmu_ste_bypass(uint64_t ste[8])
{
	memset(ste, 0, 8 * sizeof(*ste));
	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, STE_CFG_BYPASS);
	fset(ste, STE_SHCFG, STE_SHCFG_INCOMING);
}

void hsmmu_ste_s1_cd(uint64_t ste[8], uint64_t s1ctxptr, unsigned s1fmt,
		     unsigned s1cdmax, unsigned s1dss)
{
	memset(ste, 0, 8 * sizeof(*ste));
	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, STE_CFG_S1);
	fset(ste, STE_S1CONTEXTPTR, s1ctxptr >> 6);
	fset(ste, STE_S1CDMAX, s1cdmax);
	/* §5.2: S1Fmt and S1DSS mean something only with substreams */
	if (s1cdmax) {
		fset(ste, STE_S1FMT, s1fmt);
		fset(ste, STE_S1DSS, s1dss);
		if (s1dss == STE_S1DSS_BYPASS)
			fset(ste, STE_SHCFG, STE_SHCFG_INCOMING);
	}
	fset(ste, STE_S1CIR, 1);
	fset(ste, STE_S1COR, 1);
	fset(ste, STE_S1CSH, 3);
}

void hsmmu_ste_s2(uint64_t ste[8], const struct pgtable *pt, uint16_t vmid,
		  unsigned s2ps)
{
	memset(ste, 0, 8 * sizeof(*ste));
	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, STE_CFG_S2);
	fset(ste, STE_SHCFG, STE_SHCFG_INCOMING);
	fset(ste, STE_S2VMID, vmid);
	fset(ste, STE_S2T0SZ, pgtable_tsz(pt));
	fset(ste, STE_S2SL0, pgtable_s2sl0(pt));
	fset(ste, STE_S2IR0, 1);
	fset(ste, STE_S2OR0, 1);
	fset(ste, STE_S2SH0, 3);
	fset(ste, STE_S2TG, pgtable_tg0(pt));
	fset(ste, STE_S2PS, s2ps);
	fset(ste, STE_S2AA64, 1);
	fset(ste, STE_S2R, 1);
	fset(ste, STE_S2TTB, pt->root >> 4);
}

void hsmmu_cd_quiet(uint64_t cd[8], uint16_t asid, unsigned ips)
{
	memset(cd, 0, 8 * sizeof(*cd));
	fset(cd, CD_EPD0, 1);
	fset(cd, CD_EPD1, 1);
	fset(cd, CD_V, 1);
	fset(cd, CD_IPS, ips);
	fset(cd, CD_AA64, 1);
	fset(cd, CD_R, 0);
	fset(cd, CD_A, 1);
	fset(cd, CD_S, 0);
	fset(cd, CD_ASID, asid);
	fset(cd, CD_MAIR, PGTABLE_MAIR);
}
