/* SPDX-License-Identifier: MIT */
/*
 * The PCIe endpoint model (include/smmusim/pcie_ep.h): DMA through the
 * real SMMU on a platform, and ATC / invalidation / PRI behaviour against
 * a scripted SMMU double that answers after a fixed delay, records every
 * transaction, page request and invalidation completion.
 *
 * Cycle counts: the platform's RAM costs 100 + 8 per 64-byte line (so an
 * 8-byte access is 108); the SMMU's are those of tests/test_e2e.c. The
 * double answers every transaction FAKE_LAT cycles after submission and
 * its RAM costs 20 + 2 per line (22 for one line).
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmusim/pcie_ep.h"

#define SID 0x42u
#define VA UINT64_C(0x00007f0000000000)

/* --- the SMMU double ------------------------------------------------- */

#define FAKE_LAT 10u
#define FAKE_OFFS UINT64_C(0x40000000) /* PA = IOVA + FAKE_OFFS */
#define MAX_PR 64
#define MAX_MAPPED 16

struct fake {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *real;          /* pass transactions to it if set */
	unsigned kinds[3];          /* submissions by kind */
	struct smmu_txn last_txn;
	enum smmu_resp force;       /* answer every data txn with this */
	bool forcing;
	/* pages (IOVA >> 12, PASID-blind) the double translates, R/W */
	struct { uint64_t page; bool w; } mapped[MAX_MAPPED];
	unsigned nmapped;
	struct smmu_page_request pr[MAX_PR];
	uint64_t pr_at[MAX_PR];
	unsigned npr;
	uint64_t inv_tag[8], inv_at[8];
	unsigned ninv;
};

struct fake_pending {
	struct smmu_txn txn;
	struct smmu_txn_result res;
	smmu_txn_done_fn done;
	void *ctx;
};

static void fake_deliver(struct sim *sim, void *arg)
{
	struct fake_pending *p = arg;

	p->res.completed_at = sim_now(sim);
	p->done(p->ctx, &p->txn, &p->res);
	free(p);
}

static int fake_find(const struct fake *f, uint64_t addr)
{
	for (unsigned i = 0; i < f->nmapped; i++)
		if (f->mapped[i].page == addr >> 12)
			return (int)i;
	return -1;
}

static void fake_map(struct fake *f, uint64_t addr, bool w)
{
	f->mapped[f->nmapped].page = addr >> 12;
	f->mapped[f->nmapped].w = w;
	f->nmapped++;
}

static bool fake_submit(void *ctx, const struct smmu_txn *txn,
			smmu_txn_done_fn done, void *done_ctx)
{
	struct fake *f = ctx;
	struct fake_pending *p;
	int m;

	f->kinds[txn->kind]++;
	f->last_txn = *txn;
	if (f->real)
		return smmu_submit(f->real, txn, done, done_ctx);
	p = calloc(1, sizeof(*p));
	p->txn = *txn;
	p->done = done;
	p->ctx = done_ctx;
	p->res.submitted_at = sim_now(f->sim);
	switch (txn->kind) {
	case SMMU_TXN_UNTRANSLATED:
		p->res.resp = f->forcing ? f->force : SMMU_RESP_OK;
		p->res.oa = txn->addr + FAKE_OFFS;
		break;
	case SMMU_TXN_TRANSLATED:
		p->res.resp = f->forcing ? f->force : SMMU_RESP_OK;
		p->res.oa = txn->addr;
		break;
	case SMMU_TXN_ATS_TREQ:
		m = fake_find(f, txn->addr);
		p->res.resp = SMMU_RESP_OK;
		p->res.ats_size_shift = 12;
		if (m >= 0) {
			p->res.oa = txn->addr + FAKE_OFFS;
			p->res.ats_r = true;
			p->res.ats_w = f->mapped[m].w && !txn->no_write;
		}
		break;
	}
	sim_schedule(f->sim, FAKE_LAT, fake_deliver, p);
	return true;
}

static void fake_page_request(void *ctx, const struct smmu_page_request *pr)
{
	struct fake *f = ctx;

	assert_true(f->npr < MAX_PR);
	f->pr_at[f->npr] = sim_now(f->sim);
	f->pr[f->npr++] = *pr;
}

static void fake_inv_done(void *ctx, uint64_t tag)
{
	struct fake *f = ctx;

	assert_true(f->ninv < 8);
	f->inv_at[f->ninv] = sim_now(f->sim);
	f->inv_tag[f->ninv++] = tag;
}

static const struct pcie_ep_port *fake_port(struct fake *f)
{
	static struct pcie_ep_port port;

	port.submit = fake_submit;
	port.page_request = fake_page_request;
	port.inv_done = fake_inv_done;
	port.detach = NULL;
	port.ctx = f;
	return &port;
}

/* --- completions ------------------------------------------------------ */

#define MAX_DONE 32

struct done_log {
	unsigned n;
	struct pcie_ep_result r[MAX_DONE];
	uint64_t tag[MAX_DONE];
	uint8_t data[MAX_DONE][8];
};

static void on_done(void *ctx, const struct pcie_ep_access *a,
		    const struct pcie_ep_result *r)
{
	struct done_log *d = ctx;

	assert_true(d->n < MAX_DONE);
	d->r[d->n] = *r;
	d->tag[d->n] = a->tag;
	if (r->data)
		memcpy(d->data[d->n], r->data, a->len < 8 ? a->len : 8);
	d->n++;
}

/* Find the completion of the access tagged `tag`. */
static const struct pcie_ep_result *done_of(const struct done_log *d,
					    uint64_t tag)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->tag[i] == tag)
			return &d->r[i];
	fail_msg("no completion for tag %llu", (unsigned long long)tag);
	return NULL;
}

static void dma(struct pcie_ep *ep, uint64_t when, uint64_t addr, bool write,
		bool pv, uint32_t pasid, uint64_t tag, struct done_log *d)
{
	struct pcie_ep_access a = { .addr = addr, .len = 8, .write = write,
				    .pasid_valid = pv, .pasid = pasid,
				    .tag = tag };

	assert_int_equal(pcie_ep_dma(ep, when, &a, on_done, d), 0);
}

/* --- a machine with the double ---------------------------------------- */

struct bench {
	struct sim *sim;
	struct pmem *mem;
	struct fake f;
	struct pcie_ep *ep;
	struct done_log d;
};

static void bench_init(struct bench *b, const struct pcie_ep_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->sim = sim_create(1);
	b->mem = pmem_create();
	pmem_set_default_latency(b->mem, (struct pmem_latency){ 20, 2 });
	assert_true(pmem_add_ram(b->mem, 0, UINT64_C(1) << 32) >= 0);
	b->f.sim = b->sim;
	b->f.mem = b->mem;
	b->ep = pcie_ep_create(b->sim, b->mem, cfg, fake_port(&b->f));
	assert_non_null(b->ep);
}

static void bench_fini(struct bench *b)
{
	sim_run_to_idle(b->sim, 0);
	pcie_ep_destroy(b->ep);
	pmem_destroy(b->mem);
	sim_destroy(b->sim);
}

static struct pcie_ep_config ats_cfg(unsigned entries,
				     enum pcie_ep_atc_policy pol)
{
	struct pcie_ep_config c = {
		.sid = SID, .max_outstanding = 4, .ats = true,
		.atc_entries = entries, .atc_policy = pol,
		.global_inv = true, .inv_delay = 250,
	};

	return c;
}

static struct pcie_ep_config pri_cfg(unsigned prg_pages)
{
	struct pcie_ep_config c = ats_cfg(8, PCIE_EP_ATC_LRU);

	c.pri = true;
	c.pri_capacity = 32;
	c.prg_pages = prg_pages;
	return c;
}

static void pri_on(struct bench *b, uint32_t alloc)
{
	pcie_ep_pri_set_alloc(b->ep, alloc);
	pcie_ep_pri_enable(b->ep, true);
}

/* --- DMA through the real SMMU ----------------------------------------- */

struct real {
	struct platform p;
	struct pgtable pt;
	uint64_t buf, cdt;
	struct fake f;       /* counts submissions, passes them on */
	struct pcie_ep *ep;
	struct done_log d;
};

static struct real *real_create(bool eats)
{
	struct real *r = calloc(1, sizeof(*r));
	struct smmu_impl impl;
	char err[128];
	uint64_t ste[8], cd[8];

	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&r->p, &impl, 1, 16, err, sizeof(err)));
	r->buf = hostmem_alloc(r->p.hm, 0x4000, 0x1000);
	r->cdt = hostmem_alloc(r->p.hm, 64, 64);
	assert_true(pgtable_init(&r->pt, r->p.hm, 1, 12, 48));
	assert_true(pgtable_map(&r->pt, VA, r->buf, 0x2000,
				PT_R | PT_W | PT_USER | PT_NG));
	assert_true(pgtable_map(&r->pt, VA + 0x2000, r->buf + 0x2000, 0x1000,
				PT_R | PT_USER | PT_NG));
	hsmmu_cd_from_pgtable(cd, &r->pt, 5, 5);
	for (int i = 0; i < 8; i++)
		pmem_write64(r->p.mem, r->cdt + 8 * (uint64_t)i, cd[i], NULL);
	hsmmu_ste_s1(ste, r->cdt, 0);
	if (eats)
		fset(ste, STE_EATS, 1);
	assert_int_equal(hsmmu_install_ste(r->p.drv, SID, ste), 0);
	r->f.sim = r->p.sim;
	r->f.mem = r->p.mem;
	r->f.real = r->p.smmu;
	return r;
}

static void real_destroy(struct real *r)
{
	sim_run_to_idle(r->p.sim, 0);
	pcie_ep_destroy(r->ep);
	pgtable_destroy(&r->pt);
	platform_destroy(&r->p);
	free(r);
}

static void test_plain_dma(void **state)
{
	struct real *r = real_create(false);
	struct pcie_ep_config cfg = { .sid = SID, .max_outstanding = 1 };
	const uint8_t wd[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pcie_ep_access w = { .addr = VA + 0x10, .len = 8,
				    .write = true, .wdata = wd, .tag = 1 };
	struct pcie_ep_access rd = { .addr = VA + 0x10, .len = 8, .tag = 2 };
	uint8_t rbuf[8] = { 0 }, got[8];
	const struct pcie_ep_result *res;
	uint64_t t0;

	(void)state;
	r->ep = pcie_ep_create(r->p.sim, r->p.mem, &cfg, fake_port(&r->f));
	assert_non_null(r->ep);
	rd.rbuf = rbuf;
	t0 = sim_now(r->p.sim);
	assert_int_equal(pcie_ep_dma(r->ep, t0 + 10, &w, on_done, &r->d), 0);
	/* issued at the same time, waits for the single outstanding slot */
	assert_int_equal(pcie_ep_dma(r->ep, t0 + 10, &rd, on_done, &r->d), 0);
	/* an unmapped page: the SMMU aborts (CD.A=1) */
	dma(r->ep, t0 + 10, VA + 0x5000, false, false, 0, 3, &r->d);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(r->d.n, 3);

	/* cold write: SMMU 782 (test_e2e), then the RAM write 108 */
	res = done_of(&r->d, 1);
	assert_int_equal(res->status, PCIE_EP_OK);
	assert_int_equal(res->oa, r->buf + 0x10);
	assert_int_equal(res->issued_at, t0 + 10);
	assert_int_equal(res->started_at, t0 + 10);
	assert_int_equal(res->latency, 782 + 108);
	assert_int_equal(pmem_read(r->p.mem, r->buf + 0x10, got, 8, NULL),
			 MEM_OK);
	assert_memory_equal(got, wd, 8);
	/* warm read, started when the write completed: 7 + 108 */
	res = done_of(&r->d, 2);
	assert_int_equal(res->status, PCIE_EP_OK);
	assert_int_equal(res->started_at, t0 + 10 + 890);
	assert_int_equal(res->latency, 890 + 7 + 108);
	assert_memory_equal(rbuf, wd, 8);
	assert_memory_equal(r->d.data[1], wd, 8);
	res = done_of(&r->d, 3);
	assert_int_equal(res->status, PCIE_EP_ABORT);
	assert_int_equal(res->smmu_resp, SMMU_RESP_ABORT);
	assert_int_equal(res->started_at, t0 + 10 + 890 + 115);

	/* every transaction went as Untranslated */
	assert_int_equal(r->f.kinds[SMMU_TXN_UNTRANSLATED], 3);
	assert_int_equal(r->f.kinds[SMMU_TXN_ATS_TREQ], 0);
	struct pcie_ep_stats st;

	pcie_ep_get_stats(r->ep, &st);
	assert_int_equal(st.accesses, 3);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.failed, 1);
	real_destroy(r);
}

/* ATS through the real SMMU: a miss sends one TR, hits send none. */
static void test_ats_real_smmu(void **state)
{
	struct real *r = real_create(true);
	struct pcie_ep_config cfg = ats_cfg(4, PCIE_EP_ATC_LRU);
	struct pcie_ep_atc_entry e;
	struct smmu_stats ss;
	uint64_t t0;

	(void)state;
	cfg.max_outstanding = 1;
	r->ep = pcie_ep_create(r->p.sim, r->p.mem, &cfg, fake_port(&r->f));
	t0 = sim_now(r->p.sim);
	dma(r->ep, t0, VA + 0x10, false, false, 0, 1, &r->d);
	dma(r->ep, t0, VA + 0x18, false, false, 0, 2, &r->d);
	/* a write to the page read with NW=1: needs W, a new TR */
	dma(r->ep, t0, VA + 0x20, true, false, 0, 3, &r->d);
	dma(r->ep, t0, VA + 0x28, true, false, 0, 4, &r->d);
	/* a write to a read-only page: granted R only, no PRI: fails */
	dma(r->ep, t0, VA + 0x2000, true, false, 0, 5, &r->d);
	/* ... but reading it hits the R entry just cached */
	dma(r->ep, t0, VA + 0x2008, false, false, 0, 6, &r->d);
	/* an unmapped page: a completion granting nothing */
	dma(r->ep, t0, VA + 0x7000, false, false, 0, 7, &r->d);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(r->d.n, 7);

	static const struct {
		uint64_t tag;
		enum pcie_ep_status st;
		bool hit;
		unsigned treqs;
		uint64_t oa;
	} rows[] = {
		{ 1, PCIE_EP_OK, false, 1, 0x10 },
		{ 2, PCIE_EP_OK, true, 0, 0x18 },
		{ 3, PCIE_EP_OK, false, 1, 0x20 },
		{ 4, PCIE_EP_OK, true, 0, 0x28 },
		{ 5, PCIE_EP_NO_ACCESS, false, 1, 0 },
		{ 6, PCIE_EP_OK, true, 0, 0x2008 },
		{ 7, PCIE_EP_NO_ACCESS, false, 1, 0 },
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct pcie_ep_result *res = done_of(&r->d, rows[i].tag);

		expect_field(i, "ats", "status", res->status, rows[i].st);
		expect_field(i, "ats", "atc_hit", res->atc_hit, rows[i].hit);
		expect_field(i, "ats", "treqs", res->treqs, rows[i].treqs);
		if (rows[i].st == PCIE_EP_OK)
			expect_field(i, "ats", "oa", res->oa,
				     r->buf + rows[i].oa);
	}
	/* four TRs, five Translated accesses, nothing Untranslated */
	assert_int_equal(r->f.kinds[SMMU_TXN_ATS_TREQ], 4);
	assert_int_equal(r->f.kinds[SMMU_TXN_TRANSLATED], 5);
	assert_int_equal(r->f.kinds[SMMU_TXN_UNTRANSLATED], 0);
	smmu_get_stats(r->p.smmu, &ss);
	assert_int_equal(ss.txns, 9);
	/* the cache: the writable page with W now, the read-only page R */
	assert_true(pcie_ep_atc_find(r->ep, false, 0, false, VA + 0xFF8, &e));
	assert_int_equal(e.va, VA);
	assert_int_equal(e.pa, r->buf);
	assert_int_equal(e.size_shift, 12);
	assert_true(e.r && e.w && !e.x && !e.u);
	assert_true(pcie_ep_atc_find(r->ep, false, 0, false, VA + 0x2000, &e));
	assert_int_equal(e.pa, r->buf + 0x2000);
	assert_true(e.r && !e.w);
	assert_false(pcie_ep_atc_find(r->ep, false, 0, false, VA + 0x7000,
				      NULL));
	assert_int_equal(pcie_ep_atc_count(r->ep), 2);
	real_destroy(r);
}

/* --- ATC capacity and replacement -------------------------------------- */

static void test_atc_replacement(void **state)
{
	/* 3 entries; pages 0,1,2 miss, page 0 hits, page 3 misses and
	 * evicts: LRU loses page 1 (page 0 was used), FIFO page 0. */
	static const struct {
		const char *name;
		enum pcie_ep_atc_policy pol;
		bool present[4];
	} rows[] = {
		{ "LRU", PCIE_EP_ATC_LRU, { true, false, true, true } },
		{ "FIFO", PCIE_EP_ATC_FIFO, { false, true, true, true } },
	};

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct pcie_ep_config cfg = ats_cfg(3, rows[i].pol);
		struct bench b;
		struct pcie_ep_stats st;
		uint64_t t;

		cfg.max_outstanding = 1;
		bench_init(&b, &cfg);
		for (unsigned p = 0; p < 4; p++)
			fake_map(&b.f, 0x10000 + 0x1000 * (uint64_t)p, true);
		static const unsigned seq[] = { 0, 1, 2, 0, 3 };

		for (unsigned k = 0; k < 5; k++) {
			t = sim_now(b.sim);
			dma(b.ep, t, 0x10000 + 0x1000 * (uint64_t)seq[k], false,
			    false, 0, k, &b.d);
			sim_run_to_idle(b.sim, 0);
		}
		for (unsigned p = 0; p < 4; p++)
			expect_field(i, rows[i].name, "present",
				     pcie_ep_atc_find(b.ep, false, 0, false,
						      0x10000 + 0x1000 *
						      (uint64_t)p, NULL),
				     rows[i].present[p]);
		pcie_ep_get_stats(b.ep, &st);
		expect_field(i, rows[i].name, "hits", st.atc_hits, 1);
		expect_field(i, rows[i].name, "misses", st.atc_misses, 4);
		expect_field(i, rows[i].name, "evictions", st.atc_evictions, 1);
		expect_field(i, rows[i].name, "treqs", b.f.kinds[1], 4);
		expect_field(i, rows[i].name, "count", pcie_ep_atc_count(b.ep),
			     3);
		/* a hit: one Translated (FAKE_LAT) and the read (22) */
		expect_field(i, rows[i].name, "hit latency",
			     done_of(&b.d, 3)->latency, FAKE_LAT + 22);
		/* a miss: TR, Translated, read */
		expect_field(i, rows[i].name, "miss latency",
			     done_of(&b.d, 4)->latency, 2 * FAKE_LAT + 22);
		expect_field(i, rows[i].name, "pa",
			     done_of(&b.d, 4)->oa, 0x13000 + FAKE_OFFS);
		bench_fini(&b);
	}
}

/* --- ATC invalidation -------------------------------------------------- */

static const struct pcie_ep_atc_entry inv_set[] = {
	/* 0 */ { .va = 0x1000, .size_shift = 12, .r = true },
	/* 1 */ { .va = 0x2000, .size_shift = 12, .r = true },
	/* 2 */ { .va = 0x200000, .size_shift = 21, .r = true },
	/* 3 */ { .pasid_valid = true, .pasid = 1, .va = 0x1000,
		  .size_shift = 12, .r = true },
	/* 4 */ { .pasid_valid = true, .pasid = 2, .va = 0x1000,
		  .size_shift = 12, .r = true },
	/* 5 */ { .pasid_valid = true, .pasid = 1, .priv = true,
		  .va = 0x5000, .size_shift = 12, .r = true },
	/* 6 */ { .pasid_valid = true, .pasid = 2, .va = 0x40000000,
		  .size_shift = 30, .r = true },
};
#define NINV (sizeof(inv_set) / sizeof(inv_set[0]))

static void test_atc_invalidate(void **state)
{
	static const struct {
		const char *name;
		struct smmu_atc_inv req;
		bool gs;              /* Global Invalidate Supported */
		unsigned removed;     /* bit i: inv_set[i] removed */
	} rows[] = {
		{ "no PASID, one page", { .addr = 0x1000, .span_log2 = 12 },
		  true, 0x01 },
		{ "no PASID, 8 KiB", { .addr = 0x0, .span_log2 = 13 },
		  true, 0x01 },
		{ "no PASID, 16 KiB", { .addr = 0x0, .span_log2 = 14 },
		  true, 0x03 },
		{ "no PASID, a page inside a block",
		  { .addr = 0x3ff000, .span_log2 = 12 }, true, 0x04 },
		{ "no PASID, unaligned addr rounds down",
		  { .addr = 0x2fff, .span_log2 = 12 }, true, 0x02 },
		{ "no PASID, span below STU is a page",
		  { .addr = 0x1000, .span_log2 = 3 }, true, 0x01 },
		{ "no PASID, all", { .addr = 0, .span_log2 = 64 }, true,
		  0x07 },
		{ "PASID 1, page", { .ssv = true, .ssid = 1, .addr = 0x1000,
				     .span_log2 = 12 }, true, 0x08 },
		{ "PASID 1, all", { .ssv = true, .ssid = 1,
				    .span_log2 = 64 }, true, 0x28 },
		{ "PASID 2, 1 GiB", { .ssv = true, .ssid = 2,
				      .addr = 0x40000000,
				      .span_log2 = 30 }, true, 0x40 },
		{ "PASID 3, all", { .ssv = true, .ssid = 3,
				    .span_log2 = 64 }, true, 0x00 },
		{ "Global, page", { .ssv = true, .ssid = 3, .global = true,
				    .addr = 0x1000, .span_log2 = 12 },
		  true, 0x18 },
		{ "Global, all", { .ssv = true, .ssid = 9, .global = true,
				   .span_log2 = 64 }, true, 0x78 },
		{ "Global unsupported", { .ssv = true, .ssid = 1,
					  .global = true, .addr = 0x1000,
					  .span_log2 = 12 }, false, 0x08 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pcie_ep_config cfg = ats_cfg(16, PCIE_EP_ATC_LRU);
		struct pcie_ep_stats st;
		struct smmu_atc_inv req = rows[i].req;
		unsigned want = 0;
		struct bench b;

		cfg.global_inv = rows[i].gs;
		bench_init(&b, &cfg);
		for (unsigned k = 0; k < NINV; k++)
			pcie_ep_atc_fill(b.ep, &inv_set[k]);
		assert_int_equal(pcie_ep_atc_count(b.ep), NINV);
		req.sid = SID;
		req.tag = 100 + i;
		sim_run_until(b.sim, 1000);
		pcie_ep_atc_inv(b.ep, &req);
		for (unsigned k = 0; k < NINV; k++) {
			const struct pcie_ep_atc_entry *e = &inv_set[k];
			bool present = pcie_ep_atc_find(b.ep, e->pasid_valid,
							e->pasid, e->priv,
							e->va, NULL);

			if (!present)
				want |= 1u << k;
		}
		expect_field(i, rows[i].name, "removed", want,
			     rows[i].removed);
		pcie_ep_get_stats(b.ep, &st);
		expect_field(i, rows[i].name, "inv_entries", st.inv_entries,
			     __builtin_popcount(rows[i].removed));
		/* the completion: exactly inv_delay (250) cycles later */
		sim_run_until(b.sim, 1249);
		expect_field(i, rows[i].name, "not yet", b.f.ninv, 0);
		sim_run_until(b.sim, 1250);
		expect_field(i, rows[i].name, "completions", b.f.ninv, 1);
		expect_field(i, rows[i].name, "tag", b.f.inv_tag[0], 100 + i);
		expect_field(i, rows[i].name, "at", b.f.inv_at[0], 1250);
		bench_fini(&b);
	}
}

static void test_inv_modes(void **state)
{
	struct pcie_ep_config cfg = ats_cfg(4, PCIE_EP_ATC_LRU);
	struct smmu_atc_inv req = { .sid = SID, .span_log2 = 64 };
	struct pcie_ep_stats st;
	struct bench b;

	(void)state;
	cfg.inv_mode = PCIE_EP_INV_NEVER;
	bench_init(&b, &cfg);
	pcie_ep_atc_fill(b.ep, &inv_set[0]);
	req.tag = 7;
	pcie_ep_atc_inv(b.ep, &req);
	/* removed, but never answered */
	assert_int_equal(pcie_ep_atc_count(b.ep), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.ninv, 0);
	/* switched to answering after 3 cycles; two requests in a row */
	pcie_ep_set_inv_mode(b.ep, PCIE_EP_INV_COMPLETE, 3);
	sim_run_until(b.sim, 500);
	req.tag = 8;
	pcie_ep_atc_inv(b.ep, &req);
	req.tag = 9;
	pcie_ep_atc_inv(b.ep, &req);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.ninv, 2);
	assert_int_equal(b.f.inv_tag[0], 8);
	assert_int_equal(b.f.inv_tag[1], 9);
	assert_int_equal(b.f.inv_at[0], 503);
	assert_int_equal(b.f.inv_at[1], 503);
	/* delay 0: answered at the same cycle, still from an event */
	pcie_ep_set_inv_mode(b.ep, PCIE_EP_INV_COMPLETE, 0);
	req.tag = 10;
	pcie_ep_atc_inv(b.ep, &req);
	assert_int_equal(b.f.ninv, 2);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.ninv, 3);
	assert_int_equal(b.f.inv_at[2], 503);
	pcie_ep_get_stats(b.ep, &st);
	assert_int_equal(st.inv_requests, 4);
	assert_int_equal(st.inv_completions, 3);
	assert_int_equal(st.inv_entries, 1);
	/* a pending completion is cancelled by destroy (ASan: no leak) */
	pcie_ep_set_inv_mode(b.ep, PCIE_EP_INV_COMPLETE, 100);
	pcie_ep_atc_inv(b.ep, &req);
	pcie_ep_destroy(b.ep);
	b.ep = NULL;
	assert_int_equal(sim_queued(b.sim), 0);
	pmem_destroy(b.mem);
	sim_destroy(b.sim);
}

/* A TR in flight when an invalidation covers its page: the completion
 * is not used, a new TR is sent. */
static void test_inv_during_tr(void **state)
{
	struct pcie_ep_config cfg = ats_cfg(4, PCIE_EP_ATC_LRU);
	struct smmu_atc_inv req = { .sid = SID, .addr = 0x3000,
				    .span_log2 = 12, .tag = 1 };
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	fake_map(&b.f, 0x3000, true);
	fake_map(&b.f, 0x8000, true);
	dma(b.ep, 0, 0x3008, false, false, 0, 1, &b.d);
	dma(b.ep, 0, 0x8008, false, false, 0, 2, &b.d);
	sim_run_until(b.sim, 5); /* both TRs in flight */
	pcie_ep_atc_inv(b.ep, &req);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 1)->status, PCIE_EP_OK);
	assert_int_equal(done_of(&b.d, 1)->treqs, 2);
	assert_int_equal(done_of(&b.d, 1)->latency, 3 * FAKE_LAT + 22);
	assert_int_equal(done_of(&b.d, 2)->treqs, 1);
	assert_int_equal(done_of(&b.d, 2)->latency, 2 * FAKE_LAT + 22);
	assert_int_equal(b.f.kinds[SMMU_TXN_ATS_TREQ], 3);
	bench_fini(&b);
}

/* --- PASID prefix, RAZ/WI, memory abort, argument checks ---------------- */

static void test_prefix_and_terminations(void **state)
{
	struct pcie_ep_config cfg = { .sid = SID, .max_outstanding = 2 };
	struct pcie_ep_access a = { .addr = 0x1000, .len = 4, .exec = true,
				    .priv = true, .tag = 1 };
	const uint32_t pat = 0xA5A5A5A5u;
	uint32_t v;
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	/* without a PASID, Execute and Privileged are not sent */
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_false(b.f.last_txn.ssv);
	assert_false(b.f.last_txn.instr);
	assert_false(b.f.last_txn.priv);
	assert_int_equal(b.f.last_txn.sid, SID);
	assert_int_equal(b.f.last_txn.kind, SMMU_TXN_UNTRANSLATED);
	/* with one they are */
	a.pasid_valid = true;
	a.pasid = 0xFFFFF;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_true(b.f.last_txn.ssv);
	assert_int_equal(b.f.last_txn.ssid, 0xFFFFF);
	assert_true(b.f.last_txn.instr);
	assert_true(b.f.last_txn.priv);
	assert_false(b.f.last_txn.write);

	/* bad requests */
	a.pasid = 0x100000;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), -EINVAL);
	a.pasid = 1;
	a.write = true; /* an instruction fetch cannot write */
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), -EINVAL);
	a.write = false;
	a.addr = 0x1FFE; /* crosses 4 KiB */
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), -EINVAL);
	a.addr = 0x1000;
	a.len = 0;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), -EINVAL);

	/* RAZ/WI: the read returns zeros, the write is dropped */
	pmem_write32(b.mem, 0x2000 + FAKE_OFFS, 0x11223344u, NULL);
	b.f.forcing = true;
	b.f.force = SMMU_RESP_RAZWI;
	struct pcie_ep_access w = { .addr = 0x2000, .len = 4, .write = true,
				    .wdata = &pat, .tag = 10 };
	struct pcie_ep_access r = { .addr = 0x2000, .len = 4, .tag = 11 };
	uint32_t rb = 0xFFFFFFFFu;

	r.rbuf = &rb;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &w, on_done, &b.d), 0);
	assert_int_equal(pcie_ep_dma(b.ep, 0, &r, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 10)->status, PCIE_EP_RAZWI);
	assert_int_equal(done_of(&b.d, 11)->status, PCIE_EP_RAZWI);
	assert_int_equal(done_of(&b.d, 11)->latency, FAKE_LAT);
	assert_int_equal(rb, 0);
	pmem_read32(b.mem, 0x2000 + FAKE_OFFS, &v, NULL);
	assert_int_equal(v, 0x11223344u);
	/* the same pair translated OK */
	b.f.forcing = false;
	w.tag = 12;
	r.tag = 13;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &w, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(pcie_ep_dma(b.ep, 0, &r, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(rb, pat);
	assert_int_equal(done_of(&b.d, 13)->latency, FAKE_LAT + 22);
	/* output beyond RAM: the memory access aborts */
	r.addr = UINT64_C(0x100000000);
	r.tag = 14;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &r, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 14)->status, PCIE_EP_MEM_ABORT);
	/* SMMU abort */
	b.f.forcing = true;
	b.f.force = SMMU_RESP_ABORT;
	r.addr = 0x2000;
	r.tag = 15;
	assert_int_equal(pcie_ep_dma(b.ep, 0, &r, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 15)->status, PCIE_EP_ABORT);
	bench_fini(&b);
}

/* Outstanding limit: 2 slots, 5 accesses issued together. */
static void test_outstanding_limit(void **state)
{
	struct pcie_ep_config cfg = { .sid = SID, .max_outstanding = 2 };
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	for (unsigned i = 0; i < 5; i++)
		dma(b.ep, 100, 0x1000 * (uint64_t)(i + 1), false, false, 0, i,
		    &b.d);
	sim_run_until(b.sim, 100);
	assert_int_equal(pcie_ep_inflight(b.ep), 2);
	assert_int_equal(pcie_ep_queued(b.ep), 3);
	sim_run_to_idle(b.sim, 0);
	/* each takes FAKE_LAT + 22 = 32; pairs start at 100, 132, 164 */
	static const uint64_t start[5] = { 100, 100, 132, 132, 164 };

	for (unsigned i = 0; i < 5; i++) {
		expect_field(i, "slot", "started", done_of(&b.d, i)->started_at,
			     start[i]);
		expect_field(i, "slot", "latency", done_of(&b.d, i)->latency,
			     start[i] - 100 + 32);
	}
	assert_int_equal(pcie_ep_inflight(b.ep), 0);
	bench_fini(&b);
}

/* --- PRI --------------------------------------------------------------- */

static void expect_pr(unsigned row, const struct smmu_page_request *pr,
		      bool ssv, uint32_t ssid, bool rd, bool wr, bool last,
		      uint16_t prgi, uint64_t addr)
{
	expect_field(row, "pr", "sid", pr->sid, SID);
	expect_field(row, "pr", "ssv", pr->ssv, ssv);
	expect_field(row, "pr", "ssid", pr->ssid, ssid);
	expect_field(row, "pr", "read", pr->read, rd);
	expect_field(row, "pr", "write", pr->write, wr);
	expect_field(row, "pr", "last", pr->last, last);
	expect_field(row, "pr", "prgi", pr->prgi, prgi);
	expect_field(row, "pr", "addr", pr->addr, addr);
}

static void respond(struct bench *b, uint16_t prgi, uint8_t code, bool ssv,
		    uint32_t ssid)
{
	struct smmu_pri_resp r = { .sid = SID, .ssv = ssv, .ssid = ssid,
				   .prgi = prgi, .code = code };

	pcie_ep_pri_resp(b->ep, &r);
}

static void test_pri_group_and_success(void **state)
{
	struct pcie_ep_config cfg = pri_cfg(3);
	struct pcie_ep_access a = { .addr = 0x5123, .len = 8, .write = true,
				    .pasid_valid = true, .pasid = 7,
				    .priv = true, .tag = 1 };
	const struct pcie_ep_result *res;
	struct pcie_ep_stats st;
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	pri_on(&b, 8);
	assert_int_equal(pcie_ep_pri_cfg_read(b.ep, PCIE_PRI_CAP), 32);
	assert_int_equal(pcie_ep_pri_cfg_read(b.ep, PCIE_PRI_ALLOC), 8);
	assert_int_equal(pcie_ep_pri_cfg_read(b.ep, PCIE_PRI_CTRL),
			 PCIE_PRI_CTRL_ENABLE);
	assert_int_equal(pcie_ep_dma(b.ep, 0, &a, on_done, &b.d), 0);
	sim_run_to_idle(b.sim, 0);
	/* TR at 0 answered at 10 granting nothing: group at 10 */
	assert_int_equal(b.f.npr, 3);
	for (unsigned i = 0; i < 3; i++) {
		expect_pr(i, &b.f.pr[i], true, 7, false, true, i == 2, 0,
			  0x5000 + 0x1000 * (uint64_t)i);
		expect_field(i, "pr", "priv", b.f.pr[i].priv, 1);
		expect_field(i, "pr", "exec", b.f.pr[i].exec, 0);
		expect_field(i, "pr", "at", b.f.pr_at[i], FAKE_LAT);
	}
	assert_int_equal(b.d.n, 0);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 5);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 1);
	assert_int_equal(pcie_ep_pri_status(b.ep), 0);
	/* software pages it in and answers Success at 300 */
	fake_map(&b.f, 0x5000, true);
	sim_run_until(b.sim, 300);
	respond(&b, 0, PCIE_PRG_RESP_SUCCESS, true, 7);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 8);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 0);
	sim_run_to_idle(b.sim, 0);
	res = done_of(&b.d, 1);
	assert_int_equal(res->status, PCIE_EP_OK);
	assert_int_equal(res->treqs, 2);
	assert_int_equal(res->prgs, 1);
	assert_int_equal(res->oa, 0x5123 + FAKE_OFFS);
	/* retry TR 300..310, Translated 310..320, RAM write 22 */
	assert_int_equal(res->completed_at, 300 + 2 * FAKE_LAT + 22);
	/* the retried TR was a write request: NW=0 */
	pcie_ep_get_stats(b.ep, &st);
	assert_int_equal(st.prgs, 1);
	assert_int_equal(st.page_requests, 3);
	assert_int_equal(st.prg_responses, 1);
	bench_fini(&b);
}

static void test_pri_credits(void **state)
{
	struct pcie_ep_config cfg = pri_cfg(2);
	struct pcie_ep_stats st;
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	pri_on(&b, 4);
	/* three faulting reads without PASID: two groups fit 4 credits */
	dma(b.ep, 0, 0x10000, false, false, 0, 1, &b.d);
	dma(b.ep, 0, 0x20000, false, false, 0, 2, &b.d);
	dma(b.ep, 0, 0x30000, false, false, 0, 3, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 4);
	expect_pr(0, &b.f.pr[0], false, 0, true, false, false, 0, 0x10000);
	expect_pr(1, &b.f.pr[1], false, 0, true, false, true, 0, 0x11000);
	expect_pr(2, &b.f.pr[2], false, 0, true, false, false, 1, 0x20000);
	expect_pr(3, &b.f.pr[3], false, 0, true, false, true, 1, 0x21000);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 0);
	pcie_ep_get_stats(b.ep, &st);
	assert_int_equal(st.credit_waits, 1);
	/* Invalid Request for group 0: access 1 fails, access 3's group
	 * goes out with the returned credits (PRGI 2) */
	sim_run_until(b.sim, 50);
	respond(&b, 0, PCIE_PRG_RESP_INVALID, false, 0);
	assert_int_equal(b.d.n, 1);
	assert_int_equal(done_of(&b.d, 1)->status, PCIE_EP_PRI_INVALID);
	assert_int_equal(done_of(&b.d, 1)->completed_at, 50);
	assert_int_equal(b.f.npr, 6);
	expect_pr(4, &b.f.pr[4], false, 0, true, false, false, 2, 0x30000);
	expect_pr(5, &b.f.pr[5], false, 0, true, false, true, 2, 0x31000);
	assert_int_equal(b.f.pr_at[4], 50);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 0);
	/* Success without paging in: the retry grants nothing again and
	 * the access may send one group only (pri_max_groups 1) */
	respond(&b, 1, PCIE_PRG_RESP_SUCCESS, false, 0);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 2)->status, PCIE_EP_NO_ACCESS);
	assert_int_equal(done_of(&b.d, 2)->treqs, 2);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 2);
	respond(&b, 2, PCIE_PRG_RESP_INVALID, false, 0);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 4);
	assert_int_equal(b.d.n, 3);
	assert_int_equal(pcie_ep_pri_status(b.ep), 0);

	/* a group bigger than the allocation can never be sent */
	pcie_ep_pri_set_alloc(b.ep, 1);
	dma(b.ep, 0, 0x40000, false, false, 0, 4, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 4)->status, PCIE_EP_NO_CREDIT);
	/* PRI disabled: the access fails without a page request */
	pcie_ep_pri_set_alloc(b.ep, 4);
	pcie_ep_pri_enable(b.ep, false);
	dma(b.ep, 0, 0x40000, false, false, 0, 5, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 5)->status, PCIE_EP_NO_ACCESS);
	assert_int_equal(b.f.npr, 6);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_STOPPED);
	bench_fini(&b);
}

static void test_pri_response_failure(void **state)
{
	struct pcie_ep_config cfg = pri_cfg(1);
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	pri_on(&b, 2);
	dma(b.ep, 0, 0x10000, false, false, 0, 1, &b.d);
	dma(b.ep, 0, 0x20000, true, false, 0, 2, &b.d);
	dma(b.ep, 0, 0x30000, false, false, 0, 3, &b.d); /* waits credit */
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 2);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 2);
	/* Response Failure on group 1: RF; every waiting access fails */
	respond(&b, 1, PCIE_PRG_RESP_FAILURE, false, 0);
	assert_int_equal(b.d.n, 3);
	for (uint64_t t = 1; t <= 3; t++)
		expect_field((int)t, "rf", "status", done_of(&b.d, t)->status,
			     PCIE_EP_PRI_FAILURE);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_RF);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 0);
	/* the late response to group 0 is ignored: no UPRGI */
	respond(&b, 0, PCIE_PRG_RESP_SUCCESS, false, 0);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_RF);
	/* no more page requests while RF is set */
	dma(b.ep, 0, 0x40000, false, false, 0, 4, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 4)->status, PCIE_EP_NO_ACCESS);
	assert_int_equal(b.f.npr, 2);
	/* writing 1 to RF would clear it, but software disables first:
	 * Stopped, RF stays until Enable goes 0 -> 1 */
	pcie_ep_pri_enable(b.ep, false);
	assert_int_equal(pcie_ep_pri_status(b.ep),
			 PCIE_PRI_STATUS_RF | PCIE_PRI_STATUS_STOPPED);
	pcie_ep_pri_enable(b.ep, true);
	assert_int_equal(pcie_ep_pri_status(b.ep), 0);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 2);
	dma(b.ep, 0, 0x40000, false, false, 0, 5, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 3);
	expect_pr(2, &b.f.pr[2], false, 0, true, false, true, 2, 0x40000);
	/* a reserved response code is taken as Response Failure */
	respond(&b, 2, 0x5, false, 0);
	assert_int_equal(done_of(&b.d, 5)->status, PCIE_EP_PRI_FAILURE);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_RF);
	/* RF is write-one-to-clear too */
	pcie_ep_pri_cfg_write(b.ep, PCIE_PRI_STATUS, PCIE_PRI_STATUS_RF);
	assert_int_equal(pcie_ep_pri_status(b.ep), 0);
	bench_fini(&b);
}

static void test_pri_uprgi_and_reset(void **state)
{
	struct pcie_ep_config cfg = pri_cfg(1);
	struct pcie_ep_stats st;
	struct bench b;

	(void)state;
	cfg.prg_resp_pasid_req = true;
	bench_init(&b, &cfg);
	/* after reset: disabled, nothing outstanding: Stopped */
	assert_int_equal(pcie_ep_pri_status(b.ep),
			 PCIE_PRI_STATUS_STOPPED | PCIE_PRI_STATUS_PASID_REQ);
	pri_on(&b, 4);
	dma(b.ep, 0, 0x10000, false, true, 9, 1, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 1);
	/* a PRGI not outstanding: UPRGI, nothing else changes */
	respond(&b, 77, PCIE_PRG_RESP_SUCCESS, true, 9);
	assert_int_equal(pcie_ep_pri_status(b.ep),
			 PCIE_PRI_STATUS_UPRGI | PCIE_PRI_STATUS_PASID_REQ);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 1);
	/* PASID Required and the response has the wrong PASID: UPRGI */
	pcie_ep_pri_cfg_write(b.ep, PCIE_PRI_STATUS, PCIE_PRI_STATUS_UPRGI);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_PASID_REQ);
	respond(&b, 0, PCIE_PRG_RESP_SUCCESS, true, 8);
	assert_int_equal(pcie_ep_pri_status(b.ep),
			 PCIE_PRI_STATUS_UPRGI | PCIE_PRI_STATUS_PASID_REQ);
	assert_int_equal(pcie_ep_pri_groups(b.ep), 1);
	assert_int_equal(b.d.n, 0);
	pcie_ep_get_stats(b.ep, &st);
	assert_int_equal(st.prg_unexpected, 2);
	/* disabled with a group outstanding: not Stopped yet */
	pcie_ep_pri_enable(b.ep, false);
	assert_int_equal(pcie_ep_pri_status(b.ep) & PCIE_PRI_STATUS_STOPPED,
			 0);
	/* Reset forgets it: the access fails, credits come back */
	pcie_ep_pri_cfg_write(b.ep, PCIE_PRI_CTRL, PCIE_PRI_CTRL_RESET);
	assert_int_equal(done_of(&b.d, 1)->status, PCIE_EP_PRI_FAILURE);
	assert_int_equal(pcie_ep_pri_status(b.ep) & PCIE_PRI_STATUS_STOPPED,
			 PCIE_PRI_STATUS_STOPPED);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 4);
	/* re-enabling clears UPRGI */
	pcie_ep_pri_enable(b.ep, true);
	assert_int_equal(pcie_ep_pri_status(b.ep), PCIE_PRI_STATUS_PASID_REQ);
	bench_fini(&b);
}

static void test_pri_stop_marker(void **state)
{
	struct pcie_ep_config cfg = pri_cfg(1);
	struct bench b;

	(void)state;
	bench_init(&b, &cfg);
	pri_on(&b, 1);
	dma(b.ep, 0, 0x10000, false, true, 3, 1, &b.d);
	dma(b.ep, 0, 0x20000, false, true, 3, 2, &b.d); /* waits credit */
	dma(b.ep, 0, 0x30000, false, true, 4, 3, &b.d); /* waits credit */
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 1);
	sim_run_until(b.sim, 40);
	pcie_ep_pri_stop_marker(b.ep, 3);
	/* the unsent request of PASID 3 is abandoned, PASID 4 still waits;
	 * the marker follows the request already sent, with no credit */
	assert_int_equal(done_of(&b.d, 2)->status, PCIE_EP_PASID_STOPPED);
	assert_int_equal(b.d.n, 1);
	assert_int_equal(b.f.npr, 2);
	expect_pr(0, &b.f.pr[0], true, 3, true, false, true, 0, 0x10000);
	expect_pr(1, &b.f.pr[1], true, 3, false, false, true, 0, 0);
	assert_int_equal(b.f.pr_at[1], 40);
	assert_int_equal(pcie_ep_pri_credits(b.ep), 0);
	/* group 0 answered Success, nothing paged in: the retry would need
	 * a request for PASID 3, which may not follow the marker */
	respond(&b, 0, PCIE_PRG_RESP_SUCCESS, true, 3);
	/* the credit goes to PASID 4's group */
	assert_int_equal(b.f.npr, 3);
	expect_pr(2, &b.f.pr[2], true, 4, true, false, true, 1, 0x30000);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(done_of(&b.d, 1)->status, PCIE_EP_PASID_STOPPED);
	assert_int_equal(done_of(&b.d, 1)->treqs, 2);
	assert_int_equal(b.f.npr, 3);
	/* PASID 3 reused: page requests again */
	respond(&b, 1, PCIE_PRG_RESP_INVALID, true, 4);
	pcie_ep_pasid_start(b.ep, 3);
	dma(b.ep, 0, 0x50000, false, true, 3, 4, &b.d);
	sim_run_to_idle(b.sim, 0);
	assert_int_equal(b.f.npr, 4);
	expect_pr(3, &b.f.pr[3], true, 3, true, false, true, 2, 0x50000);
	struct pcie_ep_stats st;

	pcie_ep_get_stats(b.ep, &st);
	assert_int_equal(st.stop_markers, 1);
	assert_int_equal(st.page_requests, 3);
	bench_fini(&b);
}

/* --- the real SMMU's endpoint interface ---------------------------------- */

/* CMD_ATC_INV (§4.5.1) and CMD_PRI_RESP (§4.5.2); facts §5.2 */
#define T_CMD_ATC_GLOBAL FLD(0, 9, 9)
#define T_CMD_ATC_SIZE FLD(1, 5, 0)
#define T_CMD_PRI_PRGI FLD(1, 8, 0)
#define T_CMD_PRI_RESP FLD(1, 13, 12)
/* PRI queue record (facts §7.1) */
#define T_PRI_SID FLD(0, 31, 0)
#define T_PRI_SSID FLD(0, 51, 32)
#define T_PRI_PRIV FLD(0, 58, 58)
#define T_PRI_EXEC FLD(0, 59, 59)
#define T_PRI_READ FLD(0, 60, 60)
#define T_PRI_WRITE FLD(0, 61, 61)
#define T_PRI_LAST FLD(0, 62, 62)
#define T_PRI_SSV FLD(0, 63, 63)
#define T_PRI_PRGI FLD(1, 8, 0)
#define T_PRI_ADDR FLD(1, 63, 12)

static int atc_inv_cmd(struct real *r, uint64_t addr, unsigned size)
{
	uint64_t c[2] = { 0, 0 };

	fset(c, CMD_OPCODE, OP_ATC_INV);
	fset(c, CMD_SID, SID);
	fset(c, T_CMD_ATC_SIZE, size);
	fset(c, CMD_ADDR, addr >> 12);
	assert_int_equal(hsmmu_cmd(r->p.drv, c), 0);
	return hsmmu_sync(r->p.drv);
}

static void test_real_atc_inv(void **state)
{
	struct real *r = real_create(true);
	struct pcie_ep_config cfg = ats_cfg(4, PCIE_EP_ATC_LRU);
	struct pcie_ep_stats st;

	(void)state;
	r->ep = pcie_ep_create(r->p.sim, r->p.mem, &cfg, NULL);
	assert_true(pcie_ep_connect_smmu(r->ep, r->p.smmu));
	dma(r->ep, 0, VA + 0x10, false, false, 0, 1, &r->d);
	dma(r->ep, 0, VA + 0x1010, false, false, 0, 2, &r->d);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(pcie_ep_atc_count(r->ep), 2);
	/* CMD_ATC_INV of the first page, CMD_SYNC waits for completion */
	assert_int_equal(atc_inv_cmd(r, VA, 0), 0);
	assert_false(pcie_ep_atc_find(r->ep, false, 0, false, VA, NULL));
	assert_true(pcie_ep_atc_find(r->ep, false, 0, false, VA + 0x1000,
				     NULL));
	pcie_ep_get_stats(r->ep, &st);
	assert_int_equal(st.inv_requests, 1);
	assert_int_equal(st.inv_entries, 1);
	assert_int_equal(st.inv_completions, 1);
	/* the next access misses and sends a new TR */
	dma(r->ep, sim_now(r->p.sim), VA + 0x18, false, false, 0, 3,
	    &r->d);
	sim_run_to_idle(r->p.sim, 0);
	assert_false(done_of(&r->d, 3)->atc_hit);
	assert_int_equal(done_of(&r->d, 3)->treqs, 1);
	/* an endpoint that never answers: the CMD_SYNC fails */
	pcie_ep_set_inv_mode(r->ep, PCIE_EP_INV_NEVER, 0);
	assert_int_not_equal(atc_inv_cmd(r, 0, 52), 0);
	assert_int_equal(pcie_ep_atc_count(r->ep), 0);
	pcie_ep_get_stats(r->ep, &st);
	assert_int_equal(st.inv_requests, 2);
	assert_int_equal(st.inv_completions, 1);
	real_destroy(r);
}

static void test_real_pri(void **state)
{
	struct real *r = real_create(true);
	struct pcie_ep_config cfg = pri_cfg(2);
	const uint32_t pat = 0xC0FFEE11u;
	struct pcie_ep_access w = { .addr = VA + 0x8004, .len = 4,
				    .write = true, .wdata = &pat, .tag = 1 };
	uint64_t rec[2], c[2] = { 0, 0 };
	uint32_t v;
	uint16_t prgi = 0xFFFF;

	(void)state;
	assert_int_equal(hsmmu_priq_alloc(r->p.drv, 4), 0);
	assert_int_equal(hsmmu_priq_enable(r->p.drv, true), 0);
	r->ep = pcie_ep_create(r->p.sim, r->p.mem, &cfg, NULL);
	assert_true(pcie_ep_connect_smmu(r->ep, r->p.smmu));
	pcie_ep_pri_set_alloc(r->ep, 8);
	pcie_ep_pri_enable(r->ep, true);
	assert_int_equal(pcie_ep_dma(r->ep, sim_now(r->p.sim), &w, on_done,
				     &r->d), 0);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(r->d.n, 0);
	/* two page requests of one group in the PRI queue */
	for (unsigned i = 0; i < 2; i++) {
		assert_true(hsmmu_pop_pri(r->p.drv, rec));
		expect_field(i, "priq", "sid", fget(rec, T_PRI_SID), SID);
		expect_field(i, "priq", "ssv", fget(rec, T_PRI_SSV), 0);
		expect_field(i, "priq", "read", fget(rec, T_PRI_READ), 0);
		expect_field(i, "priq", "write", fget(rec, T_PRI_WRITE), 1);
		expect_field(i, "priq", "last", fget(rec, T_PRI_LAST), i);
		expect_field(i, "priq", "prgi", fget(rec, T_PRI_PRGI), 0);
		expect_field(i, "priq", "addr", fget(rec, T_PRI_ADDR) << 12,
			     VA + 0x8000 + 0x1000 * (uint64_t)i);
		prgi = (uint16_t)fget(rec, T_PRI_PRGI);
	}
	assert_false(hsmmu_pop_pri(r->p.drv, rec));
	assert_int_equal(pcie_ep_pri_credits(r->ep), 6);
	/* page it in, answer Success: the endpoint translates again */
	assert_true(pgtable_map(&r->pt, VA + 0x8000, r->buf + 0x3000, 0x1000,
				PT_R | PT_W | PT_USER | PT_NG));
	fset(c, CMD_OPCODE, OP_PRI_RESP);
	fset(c, CMD_SID, SID);
	fset(c, T_CMD_PRI_PRGI, prgi);
	fset(c, T_CMD_PRI_RESP, 2);
	assert_int_equal(hsmmu_cmd(r->p.drv, c), 0);
	assert_int_equal(hsmmu_sync(r->p.drv), 0);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(r->d.n, 1);
	assert_int_equal(done_of(&r->d, 1)->status, PCIE_EP_OK);
	assert_int_equal(done_of(&r->d, 1)->treqs, 2);
	assert_int_equal(done_of(&r->d, 1)->prgs, 1);
	assert_int_equal(done_of(&r->d, 1)->oa, r->buf + 0x3004);
	pmem_read32(r->p.mem, r->buf + 0x3004, &v, NULL);
	assert_int_equal(v, pat);
	assert_int_equal(pcie_ep_pri_credits(r->ep), 8);
	/* CMD_PRI_RESP Resp=00: Response Failure sets RF */
	w.addr = VA + 0xA000;
	w.tag = 2;
	assert_int_equal(pcie_ep_dma(r->ep, sim_now(r->p.sim), &w, on_done,
				     &r->d), 0);
	sim_run_to_idle(r->p.sim, 0);
	assert_true(hsmmu_pop_pri(r->p.drv, rec));
	assert_true(hsmmu_pop_pri(r->p.drv, rec));
	expect_field(0, "priq", "prgi", fget(rec, T_PRI_PRGI), 1);
	fset(c, T_CMD_PRI_PRGI, 1);
	fset(c, T_CMD_PRI_RESP, 0);
	assert_int_equal(hsmmu_cmd(r->p.drv, c), 0);
	assert_int_equal(hsmmu_sync(r->p.drv), 0);
	sim_run_to_idle(r->p.sim, 0);
	assert_int_equal(done_of(&r->d, 2)->status, PCIE_EP_PRI_FAILURE);
	assert_int_equal(pcie_ep_pri_status(r->ep), PCIE_PRI_STATUS_RF);
	real_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_dma),
		cmocka_unit_test(test_ats_real_smmu),
		cmocka_unit_test(test_atc_replacement),
		cmocka_unit_test(test_atc_invalidate),
		cmocka_unit_test(test_inv_modes),
		cmocka_unit_test(test_inv_during_tr),
		cmocka_unit_test(test_prefix_and_terminations),
		cmocka_unit_test(test_outstanding_limit),
		cmocka_unit_test(test_pri_group_and_success),
		cmocka_unit_test(test_pri_credits),
		cmocka_unit_test(test_pri_response_failure),
		cmocka_unit_test(test_pri_uprgi_and_reset),
		cmocka_unit_test(test_pri_stop_marker),
		cmocka_unit_test(test_real_atc_inv),
		cmocka_unit_test(test_real_pri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
