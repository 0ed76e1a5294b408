/* SPDX-License-Identifier: MIT */
/*
 * The model's trace emitter (smmu/trace.c) against docs/trace-format.md:
 * a bare model programmed through its MMIO window, its trace written to
 * an open_memstream() buffer, and every record kind checked as exact
 * lines, in order, with the values computed from what the test set up.
 *
 * Memory map: RAM [0, 4 GiB), the SMMU's register pages at 4 GiB, a hole
 * above. RAM costs 100 cycles per access + 8 per 64-byte line (the pmem
 * default) and the SMMU has the `full` preset's default latencies, so:
 *   a command takes cmd_fetch 2 + 108 (one line) + cmd_exec 4 = 114,
 *   a CMD_SYNC 114 + sync 16 = 130,
 *   an event or PRI record write evt_write 4 + 108 = 112,
 *   CR0/IRQ_CTRL acknowledge after cr0_ack 8.
 * Translation latencies are taken from the smmu_txn_result the model
 * returns (completed_at - submitted_at), except where pinned and
 * explained.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu/cd.h"
#include "smmu/smmu_internal.h"
#include "smmu/ste.h"
#include "smmu/walk.h"

/* --- the machine ------------------------------------------------------ */

#define RAM_SIZE (UINT64_C(1) << 32)
#define MMIO UINT64_C(0x100000000)
#define HOLE UINT64_C(0x200000000)

#define CMDQ_PA UINT64_C(0x10000)    /* 16 entries */
#define CMDQ_LOG2 4u
#define EVTQ_PA UINT64_C(0x40000)    /* 8 entries, or 1 */
#define PRIQ_PA UINT64_C(0x60000)    /* 8 entries, or 1 */
#define MSI_EVTQ UINT64_C(0x8000)    /* MSI targets, in RAM */
#define MSI_GERROR UINT64_C(0x8200)
#define MSI_SYNC UINT64_C(0x8100)
#define STRTAB_PA UINT64_C(0x100000) /* linear, 256 STEs */
#define STRTAB_LOG2 8u
#define CD_PA UINT64_C(0x200000)     /* SID_S1's CD */
#define CD_STALL_PA UINT64_C(0x200040) /* SID_STALL's CD: S=1 */
#define PT_L1 UINT64_C(0x300000)
#define PT_L2 UINT64_C(0x301000)
#define PT_L3 UINT64_C(0x302000)

/* StreamIDs */
#define SID_S1 0x10u     /* stage 1, EATS=01 */
#define SID_BYP 0x11u    /* Config=100 bypass */
#define SID_STALL 0x12u  /* stage 1, CD.S=1 */

/*
 * Stage 1: 4K granule, T0SZ=25 (39-bit VA), start level 1. VA[38:30] =
 * 0xFC indexes L1, VA[29:21] = 0 L2, VA[20:12] L3:
 *   VA + 0x0000  -> PA + 0x0000, AP=01 (read/write at EL0), UXN=PXN=1
 *   VA + 0x1000  -> PA + 0x1000, AP=11 (read-only at EL0), UXN=PXN=1
 *   VA + 0x2000  unmapped
 *   VA + 0x3000  unmapped, mapped by the stall test to PA + 0x3000
 *   VA + 0x4000  unmapped
 */
#define VA UINT64_C(0x3f00000000)
#define PA UINT64_C(0x40000000)
#define ASID 0x5u
#define T0 100u          /* the clock when a test starts tracing */

#define CMD_COST 114u
#define SYNC_COST 130u
#define REC_COST 112u

/* Register offsets (§6.2), written out so the expected lines are
 * independent of the model's tables. */
#define CR0 0x20u
#define IRQ_CTRL 0x50u
#define GERROR 0x60u
#define GERRORN 0x64u
#define GERROR_IRQ_CFG0 0x68u
#define GERROR_IRQ_CFG1 0x70u
#define STRTAB_BASE 0x80u
#define STRTAB_BASE_CFG 0x88u
#define CMDQ_BASE 0x90u
#define CMDQ_PROD 0x98u
#define CMDQ_CONS 0x9Cu
#define EVENTQ_BASE 0xA0u
#define EVENTQ_IRQ_CFG0 0xB0u
#define EVENTQ_IRQ_CFG1 0xB8u
#define PRIQ_BASE 0xC0u
#define EVENTQ_PROD 0x100A8u
#define EVENTQ_CONS 0x100ACu

#define CR0_SMMUEN 0x1u
#define CR0_PRIQEN 0x2u
#define CR0_EVENTQEN 0x4u
#define CR0_CMDQEN 0x8u
#define IRQ_GERROR 0x1u
#define IRQ_PRIQ 0x2u
#define IRQ_EVTQ 0x4u

/* Stage-1 descriptors (VMSAv8-64): table, and page with AF, Inner
 * Shareable, AttrIndx 0, UXN and PXN. */
#define TABLE(pa) ((pa) | 0x3u)
#define PAGE(pa, ap)                                                      \
	((pa) | 0x3u | (UINT64_C(1) << 10) | (UINT64_C(3) << 8) |          \
	 ((uint64_t)(ap) << 6) | (UINT64_C(1) << 53) | (UINT64_C(1) << 54))
#define AP_RW_EL0 1u
#define AP_RO_EL0 3u

/* Event record DW1 bits for stage-1 faults (§7.3.12): CLASS=IN (0b10) at
 * [41:40], RnW [35], Stall [31]. */
#define EVT_DW1_CLASS_IN (UINT64_C(2) << 40)
#define EVT_DW1_RNW (UINT64_C(1) << 35)
#define EVT_DW1_STALL (UINT64_C(1) << 31)

struct opts {
	uint32_t cr0;          /* enables; 0 leaves the SMMU off */
	uint32_t irq_ctrl;
	bool evtq_one;         /* 1-entry event queue (else 8) */
	bool priq_one;         /* 1-entry PRI queue (else 8) */
	uint64_t cmdq_base;    /* 0: CMDQ_PA */
	uint64_t evtq_base;    /* 0: EVTQ_PA */
	uint64_t evtq_msi;     /* EVENTQ_IRQ_CFG0 (0: wired) */
	uint64_t gerror_msi;   /* GERROR_IRQ_CFG0 (0: wired) */
	bool ep_answer_now;    /* the endpoint completes ATC_INVs at once */
	bool no_preset_name;
};

#define MAX_SEEN 16

struct fx {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	FILE *f;
	char *buf;
	size_t len;
	size_t mark;           /* first byte not yet checked */
	unsigned line;         /* lines before mark */
	uint32_t cmd_prod;
	unsigned irqs[4], sevs;
	bool answer_now;
	struct smmu_atc_inv inv[MAX_SEEN];
	unsigned ninv;
	struct smmu_pri_resp resp[MAX_SEEN];
	unsigned nresp;
	struct smmu_txn_result res[MAX_SEEN];
	unsigned nres;
};

static void on_irq(void *ctx, enum smmu_irq_line line)
{
	((struct fx *)ctx)->irqs[line]++;
}

static void on_sev(void *ctx)
{
	((struct fx *)ctx)->sevs++;
}

static void ep_atc_inv(void *ctx, const struct smmu_atc_inv *req)
{
	struct fx *f = ctx;

	if (f->ninv < MAX_SEEN)
		f->inv[f->ninv] = *req;
	f->ninv++;
	if (f->answer_now)
		smmu_atc_inv_done(f->smmu, req->tag);
}

static void ep_pri_resp(void *ctx, const struct smmu_pri_resp *resp)
{
	struct fx *f = ctx;

	if (f->nresp < MAX_SEEN)
		f->resp[f->nresp] = *resp;
	f->nresp++;
}

static void on_done(void *ctx, const struct smmu_txn *txn,
		    const struct smmu_txn_result *res)
{
	struct fx *f = ctx;

	(void)txn;
	if (f->nres < MAX_SEEN)
		f->res[f->nres] = *res;
	f->nres++;
}

/* Register accesses through the bus (the MMIO window). */
static void mw32(struct fx *f, uint32_t off, uint32_t v)
{
	assert_int_equal(pmem_write32(f->mem, MMIO + off, v, NULL), MEM_OK);
}

static void mw64(struct fx *f, uint32_t off, uint64_t v)
{
	assert_int_equal(pmem_write64(f->mem, MMIO + off, v, NULL), MEM_OK);
}

static uint32_t mr32(struct fx *f, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(pmem_read32(f->mem, MMIO + off, &v, NULL), MEM_OK);
	return v;
}

static void put64(struct fx *f, uint64_t pa, uint64_t v)
{
	assert_int_equal(pmem_write64(f->mem, pa, v, NULL), MEM_OK);
}

static uint64_t get64(struct fx *f, uint64_t pa)
{
	uint64_t v = 0;

	assert_int_equal(pmem_read64(f->mem, pa, &v, NULL), MEM_OK);
	return v;
}

static void put_words(struct fx *f, uint64_t pa, const uint64_t *w,
		      unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put64(f, pa + 8u * i, w[i]);
}

static void put_cd(struct fx *f, uint64_t pa, bool stall)
{
	uint64_t cd[CD_DWORDS] = { 0 };

	fset(cd, CD_T0SZ, 25);
	fset(cd, CD_TG0, TG0_4K);
	fset(cd, CD_IR0, 1);
	fset(cd, CD_OR0, 1);
	fset(cd, CD_SH0, SH_ISH);
	fset(cd, CD_EPD1, 1);
	fset(cd, CD_V, 1);
	fset(cd, CD_IPS, 5);          /* 48 bits */
	fset(cd, CD_AA64, 1);
	fset(cd, CD_R, 1);
	fset(cd, CD_A, 1);
	fset(cd, CD_S, stall);
	fset(cd, CD_ASID, ASID);
	fset(cd, CD_TTB0, PT_L1 >> 4);
	fset(cd, CD_MAIR, 0xFF);      /* Attr0: Normal write-back */
	put_words(f, pa, cd, CD_DWORDS);
}

static void put_ste(struct fx *f, uint32_t sid, unsigned config,
		    uint64_t cd_pa, unsigned eats)
{
	uint64_t ste[STE_DWORDS] = { 0 };

	fset(ste, STE_V, 1);
	fset(ste, STE_CONFIG, config);
	if (cd_pa)
		fset(ste, STE_S1CONTEXTPTR, cd_pa >> 6);
	fset(ste, STE_EATS, eats);
	put_words(f, STRTAB_PA + (uint64_t)sid * STE_SIZE, ste, STE_DWORDS);
}

static void build_tables(struct fx *f)
{
	put_ste(f, SID_S1, STE_CONFIG_TRANSLATE | STE_CONFIG_S1, CD_PA,
		EATS_FULL);
	put_ste(f, SID_BYP, STE_CONFIG_BYPASS, 0, EATS_OFF);
	put_ste(f, SID_STALL, STE_CONFIG_TRANSLATE | STE_CONFIG_S1,
		CD_STALL_PA, EATS_OFF);
	put_cd(f, CD_PA, false);
	put_cd(f, CD_STALL_PA, true);
	put64(f, PT_L1 + 0xFCu * 8, TABLE(PT_L2));
	put64(f, PT_L2, TABLE(PT_L3));
	put64(f, PT_L3 + 0 * 8, PAGE(PA, AP_RW_EL0));
	put64(f, PT_L3 + 1 * 8, PAGE(PA + 0x1000, AP_RO_EL0));
}

/*
 * A model with its tables in RAM and its queue bases programmed; with
 * o->cr0, enabled and acknowledged. The clock is at T0 on return.
 */
static struct fx *fx_new(const struct opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smmu_impl impl;
	struct smmu_irq_ops irq = { on_irq, on_sev, NULL };
	struct smmu_endpoint_ops ep = { ep_atc_inv, ep_pri_resp, NULL };

	assert_non_null(f);
	assert_true(smmu_impl_preset("full", &impl));
	if (o->no_preset_name)
		impl.name[0] = '\0';
	f->sim = sim_create(1);
	f->mem = pmem_create();
	assert_non_null(f->sim);
	assert_non_null(f->mem);
	assert_true(pmem_add_ram(f->mem, 0, RAM_SIZE) >= 0);
	f->smmu = smmu_create(f->sim, f->mem, &impl);
	assert_non_null(f->smmu);
	assert_true(smmu_map_mmio(f->smmu, MMIO) >= 0);
	irq.ctx = f;
	ep.ctx = f;
	smmu_set_irq_ops(f->smmu, &irq);
	assert_true(smmu_attach_endpoint(f->smmu, 0x10, 0x10, &ep));
	f->answer_now = o->ep_answer_now;
	build_tables(f);

	mw64(f, STRTAB_BASE, STRTAB_PA);
	mw32(f, STRTAB_BASE_CFG, STRTAB_LOG2);
	mw64(f, CMDQ_BASE, (o->cmdq_base ? o->cmdq_base : CMDQ_PA) |
				   CMDQ_LOG2);
	mw64(f, EVENTQ_BASE, (o->evtq_base ? o->evtq_base : EVTQ_PA) |
				     (o->evtq_one ? 0 : 3));
	mw64(f, PRIQ_BASE, PRIQ_PA | (o->priq_one ? 0 : 3));
	if (o->evtq_msi) {
		mw64(f, EVENTQ_IRQ_CFG0, o->evtq_msi);
		mw32(f, EVENTQ_IRQ_CFG1, 0x1234);
	}
	if (o->gerror_msi) {
		mw64(f, GERROR_IRQ_CFG0, o->gerror_msi);
		mw32(f, GERROR_IRQ_CFG1, 0x77);
	}
	if (o->irq_ctrl)
		mw32(f, IRQ_CTRL, o->irq_ctrl);
	if (o->cr0)
		mw32(f, CR0, o->cr0);
	sim_run_until(f->sim, T0);
	if (o->cr0)
		assert_int_equal(mr32(f, 0x24), o->cr0);
	return f;
}

/* Start tracing into a fresh memory stream. */
static void fx_trace(struct fx *f, unsigned flags)
{
	f->f = open_memstream(&f->buf, &f->len);
	assert_non_null(f->f);
	assert_true(smmu_trace_open(f->smmu, f->f, flags));
}

/* --- reading the trace ------------------------------------------------ */

#define MAX_WANT 48
#define WANT_LEN 320

struct want {
	unsigned n;
	char l[MAX_WANT][WANT_LEN];
};

static void wl(struct want *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wl(struct want *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert_true(w->n < MAX_WANT);
	va_start(ap, fmt);
	n = vsnprintf(w->l[w->n], WANT_LEN, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < WANT_LEN);
	w->n++;
}

/*
 * The trace written since the last check is exactly w's lines: each
 * mismatch names the checking line of this file, the line of the trace
 * (from 1) and both texts.
 */
#define check(f, w) check_at((f), (w), __LINE__)

static void check_at(struct fx *f, struct want *w, int at)
{
	const char *p, *end;
	unsigned i = 0;

	assert_int_equal(fflush(f->f), 0);
	p = f->buf + f->mark;
	end = f->buf + f->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int n;

		if (!nl)
			fail_msg("line %d: trace line %u: no newline after "
				 "'%.*s'", at, f->line + i + 1,
				 (int)(end - p), p);
		n = (int)(nl - p);
		if (i >= w->n)
			fail_msg("line %d: trace line %u: unexpected '%.*s'",
				 at, f->line + i + 1, n, p);
		if ((size_t)n != strlen(w->l[i]) ||
		    memcmp(p, w->l[i], (size_t)n))
			fail_msg("line %d: trace line %u: got '%.*s', "
				 "expected '%s'",
				 at, f->line + i + 1, n, p, w->l[i]);
		i++;
		p = nl + 1;
	}
	if (i < w->n)
		fail_msg("line %d: trace line %u: missing '%s'", at,
			 f->line + i + 1, w->l[i]);
	f->line += i;
	f->mark = f->len;
	w->n = 0;
}

/* Nothing was written since the last check. */
#define check_none(f) check_at((f), &(struct want){ .n = 0 }, __LINE__)

/*
 * Every record's TIME (the first token) is a decimal number and the
 * sequence never decreases; comments are skipped. Returns the number of
 * records.
 */
static unsigned check_time_order(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned long long prev = 0;
	unsigned line = 0, records = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		unsigned long long t = 0;

		line++;
		if (!nl)
			fail_msg("trace line %u: no newline", line);
		if (*p != '#') {
			if (q == nl || *q < '0' || *q > '9')
				fail_msg("trace line %u: TIME is not a "
					 "number: '%.*s'",
					 line, (int)(nl - p), p);
			while (q < nl && *q >= '0' && *q <= '9')
				t = t * 10 + (unsigned long long)(*q++ - '0');
			if (q == nl || *q != ' ')
				fail_msg("trace line %u: no space after TIME",
					 line);
			if (t < prev)
				fail_msg("trace line %u: TIME %llu after %llu",
					 line, t, prev);
			prev = t;
			records++;
		}
		p = nl + 1;
	}
	return records;
}

static void fx_free(struct fx *f)
{
	smmu_destroy(f->smmu);
	if (f->f) {
		assert_int_equal(fclose(f->f), 0);
		check_time_order(f->buf, f->len);
		free(f->buf);
	}
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* --- commands --------------------------------------------------------- */

/* Write a command at the next CMDQ slot (not yet visible to the SMMU). */
static void put_cmd(struct fx *f, uint64_t w0, uint64_t w1)
{
	uint64_t pa = CMDQ_PA + (uint64_t)(f->cmd_prod & 15u) * 16;

	put64(f, pa, w0);
	put64(f, pa + 8, w1);
	f->cmd_prod = (f->cmd_prod + 1) & 31u;
}

/* Publish the commands written so far: CMDQ_PROD through the bus. */
static void publish(struct fx *f)
{
	mw32(f, CMDQ_PROD, f->cmd_prod);
}

#define OP_CFGI_STE 0x03u
#define OP_CFGI_CD 0x05u
#define OP_TLBI_NH_VA 0x12u
#define OP_ATC_INV 0x40u
#define OP_PRI_RESP 0x41u
#define OP_RESUME 0x44u
#define OP_SYNC 0x46u
#define W0_SID(s) ((uint64_t)(s) << 32)
#define W0_SSID(s) ((uint64_t)(s) << 12)
#define W0_SSV (UINT64_C(1) << 11)
#define W0_GLOBAL (UINT64_C(1) << 9)
#define SYNC_CS(cs) ((uint64_t)(cs) << 12)
#define CS_NONE 0u
#define CS_IRQ 1u
#define CS_SEV 2u

/* --- transactions ----------------------------------------------------- */

static struct smmu_txn txn(uint32_t sid, uint64_t addr, bool write,
			   enum smmu_txn_kind kind)
{
	struct smmu_txn t = { .sid = sid, .addr = addr, .len = 8,
			      .write = write, .kind = kind };

	return t;
}

/* Translate now; the result is returned (the transaction must not stall). */
static struct smmu_txn_result xlate(struct fx *f, const struct smmu_txn *t)
{
	struct smmu_txn_result r;

	memset(&r, 0, sizeof(r));
	assert_true(smmu_translate(f->smmu, t, &r, on_done, f));
	return r;
}

static unsigned long long lat(const struct smmu_txn_result *r)
{
	return (unsigned long long)(r->completed_at - r->submitted_at);
}

/* ======================================================================
 * Header lines
 * ==================================================================== */

/* "# source: smmusim X.Y.Z": the prefix exactly, then a dotted number. */
static void check_source_line(const char *line, size_t n)
{
	static const char prefix[] = "# source: smmusim ";
	size_t k = sizeof(prefix) - 1, dots = 0;

	if (n <= k || memcmp(line, prefix, k))
		fail_msg("source line: '%.*s'", (int)n, line);
	for (size_t i = k; i < n; i++) {
		char c = line[i];

		if (c == '.') {
			if (i == k || i == n - 1 || line[i - 1] == '.')
				fail_msg("source line: bad version '%.*s'",
					 (int)n, line);
			dots++;
		} else if (c < '0' || c > '9') {
			fail_msg("source line: bad version '%.*s'", (int)n,
				 line);
		}
	}
	assert_int_equal(dots, 2);
}

static void test_header(void **state)
{
	struct opts o = { 0 };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	const char *nl1, *nl2;

	(void)state;
	fx_trace(f, 0);
	assert_int_equal(fflush(f->f), 0);
	/* three lines: version, source, preset */
	nl1 = strchr(f->buf, '\n');
	assert_non_null(nl1);
	nl2 = strchr(nl1 + 1, '\n');
	assert_non_null(nl2);
	check_source_line(nl1 + 1, (size_t)(nl2 - nl1 - 1));
	f->mark = (size_t)(nl2 + 1 - f->buf);
	f->line = 2;
	assert_memory_equal(f->buf, "# smmusim-trace 1\n", 18);
	wl(&w, "# preset: full");
	check(f, &w);
	/* a record follows the header */
	assert_int_equal(mr32(f, CMDQ_CONS), 0);
	wl(&w, "%u MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x0", T0);
	check(f, &w);
	fx_free(f);

	/* SMMU_TRACE_NO_HEADER: the caller wrote it; records only */
	f = fx_new(&o);
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	check_none(f);
	assert_int_equal(mr32(f, CMDQ_CONS), 0);
	wl(&w, "%u MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x0", T0);
	check(f, &w);
	assert_int_equal(f->buf[0], '1'); /* no comment line at all */
	fx_free(f);

	/* an implementation without a name: no preset line */
	o.no_preset_name = true;
	f = fx_new(&o);
	fx_trace(f, 0);
	assert_int_equal(fflush(f->f), 0);
	assert_int_equal(check_time_order(f->buf, f->len), 0);
	assert_null(strstr(f->buf, "# preset:"));
	assert_non_null(strstr(f->buf, "# source: smmusim "));
	fx_free(f);
}

/* ======================================================================
 * MMIO_R / MMIO_W
 * ==================================================================== */

static void test_mmio(void **state)
{
	struct opts o = { 0 };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;
	struct smmu_impl impl;

	(void)state;
	assert_true(smmu_impl_preset("full", &impl));
	fx_trace(f, SMMU_TRACE_NO_HEADER);

	/* a 64-bit register: whole, then as two 32-bit halves */
	mw64(f, STRTAB_BASE, UINT64_C(0x123456780));
	assert_int_equal(pmem_read64(f->mem, MMIO + STRTAB_BASE, &v64, NULL),
			 MEM_OK);
	assert_int_equal(v64, UINT64_C(0x123456780));
	mw32(f, STRTAB_BASE + 4, 0x2);
	assert_int_equal(mr32(f, STRTAB_BASE + 4), 0x2);
	assert_int_equal(mr32(f, STRTAB_BASE), 0x23456780);
	wl(&w, "100 MMIO_W off=0x80 reg=STRTAB_BASE size=8 val=0x123456780");
	wl(&w, "100 MMIO_R off=0x80 reg=STRTAB_BASE size=8 val=0x123456780");
	wl(&w, "100 MMIO_W off=0x84 reg=STRTAB_BASE_HI size=4 val=0x2");
	wl(&w, "100 MMIO_R off=0x84 reg=STRTAB_BASE_HI size=4 val=0x2");
	wl(&w, "100 MMIO_R off=0x80 reg=STRTAB_BASE size=4 val=0x23456780");
	check(f, &w);

	/* ID register; page-1 register */
	sim_run_until(f->sim, 150);
	assert_int_equal(mr32(f, 0x0), smmu_impl_idr0(&impl));
	mw32(f, EVENTQ_CONS, 0);
	wl(&w, "150 MMIO_R off=0x0 reg=IDR0 size=4 val=0x%x",
	   smmu_impl_idr0(&impl));
	wl(&w, "150 MMIO_W off=0x100ac reg=EVENTQ_CONS size=4 val=0x0");
	check(f, &w);

	/* offsets the model does not implement: RAZ/WI, reg=? */
	assert_int_equal(mr32(f, 0x30), 0);
	mw32(f, 0x30, 0xFFFFFFFF);
	assert_int_equal(pmem_read64(f->mem, MMIO + 0x30, &v64, NULL),
			 MEM_OK);
	assert_int_equal(v64, 0);
	assert_int_equal(mr32(f, 0x10030), 0);
	wl(&w, "150 MMIO_R off=0x30 reg=? size=4 val=0x0");
	wl(&w, "150 MMIO_W off=0x30 reg=? size=4 val=0xffffffff");
	wl(&w, "150 MMIO_R off=0x30 reg=? size=8 val=0x0");
	wl(&w, "150 MMIO_R off=0x10030 reg=? size=4 val=0x0");
	check(f, &w);

	/* refused accesses: size 2 (bus), misaligned and out of the pages
	 * (direct interface), 8 bytes over two 32-bit registers */
	assert_int_equal(pmem_write16(f->mem, MMIO + CR0, 1, NULL), MEM_ABORT);
	assert_int_equal(pmem_read16(f->mem, MMIO + 0x24, &v16, NULL),
			 MEM_ABORT);
	assert_false(smmu_reg_read(f->smmu, 0x26, 4, &v64));
	assert_false(smmu_reg_write(f->smmu, 0x82, 4, 5));
	assert_false(smmu_reg_write(f->smmu, 0x20000, 4, 1));
	assert_false(smmu_reg_read(f->smmu, CR0, 8, &v64));
	wl(&w, "150 MMIO_W off=0x20 reg=CR0 size=2 val=0x1 abort=1");
	wl(&w, "150 MMIO_R off=0x24 reg=CR0ACK size=2 val=0x0 abort=1");
	wl(&w, "150 MMIO_R off=0x26 reg=CR0ACK size=4 val=0x0 abort=1");
	wl(&w, "150 MMIO_W off=0x82 reg=STRTAB_BASE size=4 val=0x5 abort=1");
	wl(&w, "150 MMIO_W off=0x20000 reg=? size=4 val=0x1 abort=1");
	wl(&w, "150 MMIO_R off=0x20 reg=CR0 size=8 val=0x0 abort=1");
	check(f, &w);

	/*
	 * An 8-byte write over CR0/CR0ACK is refused (a 64-bit access must
	 * match one 64-bit register), and its record, written before the
	 * write's effects, says so.
	 */
	assert_false(smmu_reg_write(f->smmu, CR0, 8, 0x1));
	assert_int_equal(mr32(f, CR0), 0); /* not written */
	wl(&w, "150 MMIO_W off=0x20 reg=CR0 size=8 val=0x1 abort=1");
	wl(&w, "150 MMIO_R off=0x20 reg=CR0 size=4 val=0x0");
	check(f, &w);

	/* A misaligned access on the bus is refused by pmem before it
	 * reaches the SMMU: no record. */
	assert_int_equal(pmem_write32(f->mem, MMIO + 0x22, 1, NULL),
			 MEM_ABORT);
	assert_int_equal(pmem_read32(f->mem, MMIO + 0x26, &v32, NULL),
			 MEM_ABORT);
	check_none(f);
	fx_free(f);
}

/* ======================================================================
 * CMD: decoded fields; SYNC with its signal
 * ==================================================================== */

static void test_cmd_fields_and_sync(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN,
			  .ep_answer_now = true };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	/* VMID [47:32], ASID [63:48] */
	const uint64_t tlbi0 = OP_TLBI_NH_VA | (UINT64_C(0x56) << 32) |
			       (UINT64_C(0x1234) << 48);
	const uint64_t atc0 = OP_ATC_INV | W0_SSV | W0_SSID(0x42) |
			      W0_SID(SID_BYP);
	uint64_t t = T0;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	put_cmd(f, OP_CFGI_STE | W0_SID(SID_S1), 1);
	put_cmd(f, OP_CFGI_CD | W0_SSID(0x3) | W0_SID(SID_S1), 1);
	/* VMID 0x56, ASID 0x1234, VA[63:12] with Leaf */
	put_cmd(f, tlbi0, (VA + 0x1000) | 1);
	/* SSV, SubstreamID 0x42, Size 3: 32 KiB at 0x12340000 */
	put_cmd(f, atc0, UINT64_C(0x12345000) | 3);
	put_cmd(f, OP_SYNC | SYNC_CS(CS_IRQ), 0);
	publish(f);
	sim_run_to_idle(f->sim, 0);

	wl(&w, "%llu MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x5",
	   (unsigned long long)t);
	wl(&w, "%llu CMD idx=0 op=CMD_CFGI_STE w0=0x1000000003 w1=0x1 "
	   "sid=0x10", (unsigned long long)t);
	t += CMD_COST;
	wl(&w, "%llu CMD idx=1 op=CMD_CFGI_CD w0=0x1000003005 w1=0x1 "
	   "sid=0x10 ssid=0x3", (unsigned long long)t);
	t += CMD_COST;
	wl(&w, "%llu CMD idx=2 op=CMD_TLBI_NH_VA w0=0x%llx w1=0x3f00001001 "
	   "asid=0x1234 vmid=0x56 addr=0x3f00001000",
	   (unsigned long long)t, (unsigned long long)tlbi0);
	t += CMD_COST;
	/* the CMD carries Address[63:12] as written; the request the span
	 * aligned address */
	wl(&w, "%llu CMD idx=3 op=CMD_ATC_INV w0=0x%llx w1=0x12345003 "
	   "sid=0x11 ssid=0x42 addr=0x12345000",
	   (unsigned long long)t, (unsigned long long)atc0);
	wl(&w, "%llu ATC_INV sid=0x11 ssid=0x42 addr=0x12340000 range=15",
	   (unsigned long long)t);
	wl(&w, "%llu ATC_INV_CPL sid=0x11", (unsigned long long)t);
	t += CMD_COST;
	wl(&w, "%llu CMD idx=4 op=CMD_SYNC w0=0x1046 w1=0x0",
	   (unsigned long long)t);
	t += SYNC_COST;
	wl(&w, "%llu SYNC idx=4 cs=IRQ", (unsigned long long)t);
	wl(&w, "%llu IRQ src=CMD_SYNC", (unsigned long long)t);
	check(f, &w);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 1);
	assert_int_equal(f->ninv, 1);

	/* CS=IRQ with an MSI address: the MSI replaces the wired pulse;
	 * CS=SEV: the wake-up event; CS=NONE: nothing after the SYNC */
	sim_run_until(f->sim, 1000);
	put_cmd(f, OP_SYNC | SYNC_CS(CS_IRQ) | (UINT64_C(0xabcd) << 32),
		MSI_SYNC);
	put_cmd(f, OP_SYNC | SYNC_CS(CS_SEV), 0);
	put_cmd(f, OP_SYNC | SYNC_CS(CS_NONE), 0);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	t = 1000;
	wl(&w, "1000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x8");
	wl(&w, "1000 CMD idx=5 op=CMD_SYNC w0=0xabcd00001046 w1=0x8100");
	t += SYNC_COST;
	wl(&w, "%llu SYNC idx=5 cs=IRQ", (unsigned long long)t);
	wl(&w, "%llu MSI src=CMD_SYNC addr=0x8100 data=0xabcd",
	   (unsigned long long)t);
	wl(&w, "%llu CMD idx=6 op=CMD_SYNC w0=0x2046 w1=0x0",
	   (unsigned long long)t);
	t += SYNC_COST;
	wl(&w, "%llu SYNC idx=6 cs=SEV", (unsigned long long)t);
	wl(&w, "%llu SEV", (unsigned long long)t);
	wl(&w, "%llu CMD idx=7 op=CMD_SYNC w0=0x46 w1=0x0",
	   (unsigned long long)t);
	t += SYNC_COST;
	wl(&w, "%llu SYNC idx=7 cs=NONE", (unsigned long long)t);
	check(f, &w);
	assert_int_equal(get64(f, MSI_SYNC) & 0xFFFFFFFF, 0xabcd);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 1);
	assert_int_equal(f->sevs, 1);
	fx_free(f);
}

/* ======================================================================
 * CMD_ERR and GERROR
 * ==================================================================== */

static void test_cmd_err_illegal(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_GERROR };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	const unsigned t1 = T0 + CMD_COST;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	/* opcode 0x7F is not defined (§4.1) */
	put_cmd(f, 0x7F | W0_SID(0x99), 0x5);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	/* the command is read (CMD), then fails when it retires; RD stays
	 * on it, ERR then GERROR.CMDQ_ERR (§7.1), the wired GERROR pulse */
	wl(&w, "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "100 CMD idx=0 op=CMD_0x7f w0=0x990000007f w1=0x5");
	wl(&w, "%u CMD_ERR idx=0 op=CMD_0x7f cerror=CERROR_ILL", t1);
	wl(&w, "%u GERROR bit=CMDQ_ERR", t1);
	wl(&w, "%u IRQ src=GERROR", t1);
	check(f, &w);
	assert_int_equal(mr32(f, CMDQ_CONS), 0x01000000);
	assert_int_equal(mr32(f, GERROR), 0x1);
	wl(&w, "%u MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x1000000", t1);
	wl(&w, "%u MMIO_R off=0x60 reg=GERROR size=4 val=0x1", t1);
	check(f, &w);

	/* software replaces it with a CMD_SYNC whose CS is reserved (a
	 * defined opcode, ILLEGAL: op keeps its name) and acknowledges */
	sim_run_until(f->sim, 1000);
	put64(f, CMDQ_PA, OP_SYNC | SYNC_CS(3));
	put64(f, CMDQ_PA + 8, 0);
	mw32(f, GERRORN, 0x1);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "1000 MMIO_W off=0x64 reg=GERRORN size=4 val=0x1");
	wl(&w, "1000 CMD idx=0 op=CMD_SYNC w0=0x3046 w1=0x0");
	wl(&w, "%u CMD_ERR idx=0 op=CMD_SYNC cerror=CERROR_ILL",
	   1000 + CMD_COST);
	wl(&w, "%u GERROR bit=CMDQ_ERR", 1000 + CMD_COST);
	wl(&w, "%u IRQ src=GERROR", 1000 + CMD_COST);
	check(f, &w);

	/* fixed and acknowledged: consumed */
	sim_run_until(f->sim, 2000);
	put64(f, CMDQ_PA, OP_SYNC);
	mw32(f, GERRORN, 0x0);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "2000 MMIO_W off=0x64 reg=GERRORN size=4 val=0x0");
	wl(&w, "2000 CMD idx=0 op=CMD_SYNC w0=0x46 w1=0x0");
	wl(&w, "%u SYNC idx=0 cs=NONE", 2000 + SYNC_COST);
	check(f, &w);
	assert_int_equal(f->irqs[SMMU_IRQ_GERROR], 2);
	fx_free(f);
}

/*
 * CMD_TLBI_EL3_ALL (0x18) is defined (§4.4) but not on the Non-secure
 * queue: it keeps its name and fails with CERROR_ILL.
 */
static void test_cmd_err_defined_but_refused(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	const char *name = "CMD_TLBI_EL3_ALL";

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	put_cmd(f, 0x18, 0);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "100 CMD idx=0 op=%s w0=0x18 w1=0x0", name);
	wl(&w, "%u CMD_ERR idx=0 op=%s cerror=CERROR_ILL", T0 + CMD_COST,
	   name);
	wl(&w, "%u GERROR bit=CMDQ_ERR", T0 + CMD_COST);
	check(f, &w);
	fx_free(f);
}

static void test_cmd_err_abort(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_GERROR, .cmdq_base = HOLE,
			  .gerror_msi = MSI_GERROR };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	/* cmd_fetch 2; an aborted pmem access charges no cycles */
	const unsigned t1 = T0 + 2;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	mw32(f, CMDQ_PROD, 1);
	sim_run_to_idle(f->sim, 0);
	/* nothing could be read: no CMD, op=- */
	wl(&w, "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "%u CMD_ERR idx=0 op=- cerror=CERROR_ABT", t1);
	wl(&w, "%u GERROR bit=CMDQ_ERR", t1);
	wl(&w, "%u MSI src=GERROR addr=0x8200 data=0x77", t1);
	check(f, &w);
	assert_int_equal(mr32(f, CMDQ_CONS), 0x02000000);
	assert_int_equal(get64(f, MSI_GERROR) & 0xFFFFFFFF, 0x77);
	wl(&w, "%u MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x2000000", t1);
	check(f, &w);
	fx_free(f);
}

/* ======================================================================
 * EVT, EVT_LOST, IRQ / MSI src=EVTQ, XLATE with an event
 * ==================================================================== */

static void test_evt_irq(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x2000, true,
				SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;
	/* DW0 StreamID and type, DW1 CLASS=IN (write: RnW=0), DW2 the
	 * input address, DW3 no IPA (stage 1) */
	const uint64_t rec0[4] = { W0_SID(SID_S1) | EVT_F_TRANSLATION,
				   EVT_DW1_CLASS_IN, VA + 0x2000, 0 };
	const uint64_t rec1[4] = { W0_SID(SID_S1) | EVT_F_TRANSLATION,
				   EVT_DW1_CLASS_IN | EVT_DW1_RNW,
				   VA + 0x2ff8, 0 };

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	assert_int_equal(r.resp, SMMU_RESP_ABORT);
	assert_int_equal(r.submitted_at, T0);
	/* the record, the wired interrupt (EVENTQ_IRQ_CFG0 = 0, IRQ_CTRL
	 * EVENTQ_IRQEN), then the response, all at the arrival */
	wl(&w, "100 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00002000 "
	   "idx=0 rec=0x%llx:0x%llx:0x%llx:0x%llx",
	   (unsigned long long)rec0[0], (unsigned long long)rec0[1],
	   (unsigned long long)rec0[2], (unsigned long long)rec0[3]);
	wl(&w, "100 IRQ src=EVTQ");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	for (unsigned i = 0; i < 4; i++)
		expect_field(0, "record in memory", "DW",
			     get64(f, EVTQ_PA + 8 * i), rec0[i]);

	/* a second fault (a read): the next index, no interrupt (the
	 * queue was not empty) */
	sim_run_until(f->sim, 500);
	t = txn(SID_S1, VA + 0x2ff8, false, SMMU_TXN_UNTRANSLATED);
	r = xlate(f, &t);
	wl(&w, "500 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00002ff8 "
	   "idx=1 rec=0x%llx:0x%llx:0x%llx:0x%llx",
	   (unsigned long long)rec1[0], (unsigned long long)rec1[1],
	   (unsigned long long)rec1[2], (unsigned long long)rec1[3]);
	wl(&w, "500 XLATE sid=0x10 ssid=- iova=0x3f00002ff8 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	for (unsigned i = 0; i < 4; i++)
		expect_field(1, "record in memory", "DW",
			     get64(f, EVTQ_PA + 32 + 8 * i), rec1[i]);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 1);
	fx_free(f);
}

static void test_evt_msi(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ, .evtq_msi = MSI_EVTQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x4000, false,
				SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	wl(&w, "100 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00004000 "
	   "idx=0 rec=0x1000000010:0x%llx:0x3f00004000:0x0",
	   (unsigned long long)(EVT_DW1_CLASS_IN | EVT_DW1_RNW));
	wl(&w, "100 MSI src=EVTQ addr=0x8000 data=0x1234");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00004000 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	assert_int_equal(get64(f, MSI_EVTQ) & 0xFFFFFFFF, 0x1234);
	assert_int_equal(f->irqs[SMMU_IRQ_EVTQ], 0);
	fx_free(f);
}

static void test_evt_lost(void **state)
{
	/* EVENTQEN = 0 */
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x2000, false,
				SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	/* the event still shows on the response */
	wl(&w, "100 EVT_LOST type=F_TRANSLATION sid=0x10 ssid=- "
	   "addr=0x3f00002000 reason=disabled");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	assert_false(r.event_recorded);
	fx_free(f);

	/* a 1-entry queue: the second event overflows, OVFLG toggles */
	o.cr0 |= CR0_EVENTQEN;
	o.evtq_one = true;
	f = fx_new(&o);
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	wl(&w, "100 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00002000 "
	   "idx=0 rec=0x1000000010:0x%llx:0x3f00002000:0x0",
	   (unsigned long long)(EVT_DW1_CLASS_IN | EVT_DW1_RNW));
	wl(&w, "100 IRQ src=EVTQ");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	sim_run_until(f->sim, 300);
	t.addr = VA + 0x4000;
	r = xlate(f, &t);
	assert_int_equal(mr32(f, EVENTQ_PROD), 0x80000001);
	wl(&w, "300 EVT_LOST type=F_TRANSLATION sid=0x10 ssid=- "
	   "addr=0x3f00004000 reason=overflow");
	wl(&w, "300 XLATE sid=0x10 ssid=- iova=0x3f00004000 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	wl(&w, "300 MMIO_R off=0x100a8 reg=EVENTQ_PROD size=4 val=0x80000001");
	check(f, &w);
	fx_free(f);
}

/*
 * Events without an input address (no addr field), with a SubstreamID
 * (ssid=0x..), and a merged event (§7.3.1), which writes no record.
 */
static void test_evt_fields(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_BYP, 0x1000, false, SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;
	struct smmu_stats st;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	/* a SubstreamID on a stream without stage 1 */
	t.ssv = true;
	t.ssid = 0x7;
	r = xlate(f, &t);
	wl(&w, "100 EVT type=C_BAD_SUBSTREAMID sid=0x11 ssid=0x7 idx=0 "
	   "rec=0x%llx:0x0:0x0:0x0",
	   (unsigned long long)(W0_SID(SID_BYP) | W0_SSID(0x7) | W0_SSV |
				EVT_C_BAD_SUBSTREAMID));
	wl(&w, "100 XLATE sid=0x11 ssid=0x7 iova=0x1000 access=r priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=C_BAD_SUBSTREAMID "
	   "stalled=0 latency=%llu", lat(&r));
	check(f, &w);

	/*
	 * An invalid STE (StreamID 0x20, all zero): C_BAD_STE; the same
	 * event again merges into the unconsumed record (always allowed for
	 * C_BAD_STE): no EVT and no EVT_LOST, only the response says it.
	 * The format does not say what a merged event shows; this is what
	 * the model does.
	 */
	t = txn(0x20, 0x1000, true, SMMU_TXN_UNTRANSLATED);
	r = xlate(f, &t);
	wl(&w, "100 EVT type=C_BAD_STE sid=0x20 ssid=- idx=1 "
	   "rec=0x2000000004:0x0:0x0:0x0");
	wl(&w, "100 XLATE sid=0x20 ssid=- iova=0x1000 access=w priv=0 size=8 "
	   "result=ABORT oa=- perm=--- event=C_BAD_STE stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	r = xlate(f, &t);
	assert_int_equal(r.event_id, EVT_C_BAD_STE);
	assert_true(r.event_recorded); /* merged counts as recorded */
	wl(&w, "100 XLATE sid=0x20 ssid=- iova=0x1000 access=w priv=0 size=8 "
	   "result=ABORT oa=- perm=--- event=C_BAD_STE stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	assert_int_equal(mr32(f, EVENTQ_PROD), 2);
	smmu_get_stats(f->smmu, &st);
	assert_int_equal(st.events_merged, 1);
	fx_free(f);
}

/* Aborted writes: an MSI into a hole, the event queue in a hole. */
static void test_evt_aborts(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ | IRQ_GERROR,
			  .evtq_msi = HOLE };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x2000, true,
				SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	/* the MSI aborts: abort=1, then GERROR.MSI_EVENTQ_ABT_ERR and its
	 * (wired) interrupt */
	wl(&w, "100 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00002000 "
	   "idx=0 rec=0x1000000010:0x%llx:0x3f00002000:0x0",
	   (unsigned long long)EVT_DW1_CLASS_IN);
	wl(&w, "100 MSI src=EVTQ addr=0x200000000 data=0x1234 abort=1");
	wl(&w, "100 GERROR bit=MSI_EVENTQ_ABT_ERR");
	wl(&w, "100 IRQ src=GERROR");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	fx_free(f);

	/* the queue itself in a hole: EVENTQ_ABT_ERR, the record lost;
	 * then lost again while the error is active */
	o.evtq_msi = 0;
	o.evtq_base = HOLE;
	f = fx_new(&o);
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	r = xlate(f, &t);
	wl(&w, "100 GERROR bit=EVENTQ_ABT_ERR");
	wl(&w, "100 IRQ src=GERROR");
	wl(&w, "100 EVT_LOST type=F_TRANSLATION sid=0x10 ssid=- "
	   "addr=0x3f00002000 reason=abort");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	r = xlate(f, &t);
	wl(&w, "100 EVT_LOST type=F_TRANSLATION sid=0x10 ssid=- "
	   "addr=0x3f00002000 reason=abort");
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	fx_free(f);
}

/* ======================================================================
 * XLATE: OK with permissions, bypass, ATS translated
 * ==================================================================== */

static void test_xlate(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t;
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	/* read/write page, unprivileged read */
	t = txn(SID_S1, VA + 0x10, false, SMMU_TXN_UNTRANSLATED);
	r = xlate(f, &t);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	assert_int_equal(r.submitted_at, T0);
	assert_true(r.completed_at > r.submitted_at);
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00000010 access=r priv=0 "
	   "size=8 result=OK oa=0x40000010 perm=rw- event=- stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);

	/* read-only page, unprivileged read: r-- */
	sim_run_until(f->sim, 200);
	t = txn(SID_S1, VA + 0x1008, false, SMMU_TXN_UNTRANSLATED);
	r = xlate(f, &t);
	wl(&w, "200 XLATE sid=0x10 ssid=- iova=0x3f00001008 access=r priv=0 "
	   "size=8 result=OK oa=0x40001008 perm=r-- event=- stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);

	/* privileged write to the read/write page: PXN, so rw- */
	t = txn(SID_S1, VA + 0x20, true, SMMU_TXN_UNTRANSLATED);
	t.priv = true;
	r = xlate(f, &t);
	wl(&w, "200 XLATE sid=0x10 ssid=- iova=0x3f00000020 access=w priv=1 "
	   "size=8 result=OK oa=0x40000020 perm=rw- event=- stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);

	/*
	 * Bypass STE: everything granted. Latency pinned: the STE misses
	 * the configuration cache, cfg_lookup 2 + one 64-byte line read
	 * 108 + ste_decode 4 = 114, and bypass needs nothing else.
	 */
	sim_run_until(f->sim, 300);
	t = txn(SID_BYP, UINT64_C(0x12345678), false, SMMU_TXN_UNTRANSLATED);
	r = xlate(f, &t);
	assert_int_equal(lat(&r), 114);
	wl(&w, "300 XLATE sid=0x11 ssid=- iova=0x12345678 access=r priv=0 "
	   "size=8 result=OK oa=0x12345678 perm=rwx event=- stalled=0 "
	   "latency=114");
	check(f, &w);

	/* an instruction fetch shows access=x (the page is XN: F_PERMISSION
	 * with R=1, recorded) */
	sim_run_until(f->sim, 400);
	t = txn(SID_S1, VA + 0x40, false, SMMU_TXN_UNTRANSLATED);
	t.instr = true;
	r = xlate(f, &t);
	assert_int_equal(r.event_id, EVT_F_PERMISSION);
	wl(&w, "400 EVT type=F_PERMISSION sid=0x10 ssid=- addr=0x3f00000040 "
	   "idx=0 rec=0x1000000013:0x%llx:0x3f00000040:0x0",
	   (unsigned long long)get64(f, EVTQ_PA + 8));
	wl(&w, "400 XLATE sid=0x10 ssid=- iova=0x3f00000040 access=x priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_PERMISSION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	/* InD [34], RnW [35], CLASS=IN (TTRnW is for CLASS=TT only) */
	assert_int_equal(get64(f, EVTQ_PA + 8),
			 EVT_DW1_CLASS_IN | EVT_DW1_RNW | (UINT64_C(1) << 34));

	/*
	 * An ATS Translated transaction (CR0.ATSCHK = 0: not checked).
	 * Unchecked traffic is granted everything, like a bypass (rwx).
	 */
	sim_run_until(f->sim, 500);
	t = txn(SID_S1, PA + 0x18, true, SMMU_TXN_TRANSLATED);
	r = xlate(f, &t);
	assert_int_equal(r.resp, SMMU_RESP_OK);
	wl(&w, "500 XLATE_TR sid=0x10 ssid=- iova=0x40000018 access=w priv=0 "
	   "size=8 result=OK oa=0x40000018 perm=%s event=- stalled=0 "
	   "latency=%llu", "rwx", lat(&r));
	check(f, &w);
	fx_free(f);
}

/* smmu_submit traces the same response as smmu_translate, at arrival. */
static void test_xlate_submit(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x1010, false,
				SMMU_TXN_UNTRANSLATED);

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	t.ssv = false;
	assert_true(smmu_submit(f->smmu, &t, on_done, f));
	/* traced when presented, delivered later */
	assert_int_equal(f->nres, 0);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->nres, 1);
	assert_int_equal(f->res[0].submitted_at, T0);
	assert_int_equal(sim_now(f->sim), f->res[0].completed_at);
	wl(&w, "100 XLATE sid=0x10 ssid=- iova=0x3f00001010 access=r priv=0 "
	   "size=8 result=OK oa=0x40001010 perm=r-- event=- stalled=0 "
	   "latency=%llu", lat(&f->res[0]));
	check(f, &w);
	fx_free(f);
}

/* ======================================================================
 * STALL, the stall record, CMD_RESUME and the stalled XLATE
 * ==================================================================== */

static void test_stall_resume(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_STALL, VA + 0x3008, false,
				SMMU_TXN_UNTRANSLATED);
	const uint64_t resume0 = OP_RESUME | (UINT64_C(1) << 12) /* Ac */ |
				 W0_SID(SID_STALL);
	const uint64_t term0 = OP_RESUME | (UINT64_C(1) << 13) /* Ab */ |
			       W0_SID(SID_STALL);
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	assert_false(smmu_translate(f->smmu, &t, &r, on_done, f));
	/* STALL first, then its record with Stall=1 and STAG 0 */
	wl(&w, "100 STALL sid=0x12 ssid=- iova=0x3f00003008 access=r priv=0 "
	   "size=8 stag=0x0");
	wl(&w, "100 EVT type=F_TRANSLATION sid=0x12 ssid=- addr=0x3f00003008 "
	   "stall=1 stag=0x0 idx=0 rec=0x1200000010:0x%llx:0x3f00003008:0x0",
	   (unsigned long long)(EVT_DW1_CLASS_IN | EVT_DW1_RNW |
				EVT_DW1_STALL));
	wl(&w, "100 IRQ src=EVTQ");
	check(f, &w);

	/* software maps the page and retries at 1000 */
	sim_run_until(f->sim, 1000);
	put64(f, PT_L3 + 3 * 8, PAGE(PA + 0x3000, AP_RW_EL0));
	put_cmd(f, resume0, 0x0);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->nres, 1);
	assert_int_equal(f->res[0].resp, SMMU_RESP_OK);
	assert_true(f->res[0].stalled);
	/* latency still counts from the arrival */
	assert_int_equal(f->res[0].submitted_at, T0);
	assert_true(lat(&f->res[0]) > 1000 - T0);
	wl(&w, "1000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "1000 CMD idx=0 op=CMD_RESUME w0=0x%llx w1=0x0 sid=0x12",
	   (unsigned long long)resume0);
	wl(&w, "1000 XLATE sid=0x12 ssid=- iova=0x3f00003008 access=r priv=0 "
	   "size=8 result=OK oa=0x40003008 perm=rw- event=- stalled=1 "
	   "latency=%llu", lat(&f->res[0]));
	check(f, &w);

	/* a second stall (STAG 1), terminated with abort at 2000 */
	sim_run_until(f->sim, 1500);
	t.addr = VA + 0x4000;
	t.write = true;
	assert_true(smmu_submit(f->smmu, &t, on_done, f));
	wl(&w, "1500 STALL sid=0x12 ssid=- iova=0x3f00004000 access=w priv=0 "
	   "size=8 stag=0x1");
	wl(&w, "1500 EVT type=F_TRANSLATION sid=0x12 ssid=- addr=0x3f00004000 "
	   "stall=1 stag=0x1 idx=1 rec=0x1200000010:0x%llx:0x3f00004000:0x0",
	   (unsigned long long)(EVT_DW1_CLASS_IN | EVT_DW1_STALL | 1));
	check(f, &w);
	sim_run_until(f->sim, 2000);
	put_cmd(f, term0, 0x1);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->nres, 2);
	assert_int_equal(f->res[1].resp, SMMU_RESP_ABORT);
	assert_int_equal(f->res[1].submitted_at, 1500);
	wl(&w, "2000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x2");
	wl(&w, "2000 CMD idx=1 op=CMD_RESUME w0=0x%llx w1=0x1 sid=0x12",
	   (unsigned long long)term0);
	/*
	 * A terminated stalled transaction: its fault is in its stall record
	 * above; the XLATE that ends it has event=- (no retry faulted).
	 */
	wl(&w, "2000 XLATE sid=0x12 ssid=- iova=0x3f00004000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=%s stalled=1 "
	   "latency=%llu", "-",
	   lat(&f->res[1]));
	check(f, &w);
	fx_free(f);
}

/* ======================================================================
 * ATS: ATS_REQ / ATS_CPL, ATC_INV / ATC_INV_CPL
 * ==================================================================== */

static void test_ats_request(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x0, false, SMMU_TXN_ATS_TREQ);
	struct smmu_txn_result r;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	/* read/write page: R and W granted, 4 KiB */
	r = xlate(f, &t);
	assert_true(r.ats_r && r.ats_w && !r.ats_x);
	wl(&w, "100 ATS_REQ sid=0x10 ssid=- iova=0x3f00000000 access=r "
	   "priv=0 nw=0");
	wl(&w, "100 ATS_CPL sid=0x10 ssid=- iova=0x3f00000000 access=r "
	   "priv=0 nw=0 result=OK oa=0x40000000 perm=rw- u=0 priv_cpl=0 "
	   "range=12 event=- stalled=0 latency=%llu", lat(&r));
	check(f, &w);

	/* No Write requested: W not granted */
	sim_run_until(f->sim, 200);
	t.no_write = true;
	r = xlate(f, &t);
	wl(&w, "200 ATS_REQ sid=0x10 ssid=- iova=0x3f00000000 access=r "
	   "priv=0 nw=1");
	wl(&w, "200 ATS_CPL sid=0x10 ssid=- iova=0x3f00000000 access=r "
	   "priv=0 nw=1 result=OK oa=0x40000000 perm=r-- u=0 priv_cpl=0 "
	   "range=12 event=- stalled=0 latency=%llu", lat(&r));
	check(f, &w);

	/* read-only page */
	t.no_write = false;
	t.addr = VA + 0x1000;
	r = xlate(f, &t);
	wl(&w, "200 ATS_REQ sid=0x10 ssid=- iova=0x3f00001000 access=r "
	   "priv=0 nw=0");
	wl(&w, "200 ATS_CPL sid=0x10 ssid=- iova=0x3f00001000 access=r "
	   "priv=0 nw=0 result=OK oa=0x40001000 perm=r-- u=0 priv_cpl=0 "
	   "range=12 event=- stalled=0 latency=%llu", lat(&r));
	check(f, &w);

	/* EATS=00 (the bypass STE): UR with F_BAD_ATS_TREQ, recorded */
	sim_run_until(f->sim, 300);
	t.sid = SID_BYP;
	r = xlate(f, &t);
	assert_int_equal(r.resp, SMMU_RESP_UR);
	wl(&w, "300 ATS_REQ sid=0x11 ssid=- iova=0x3f00001000 access=r "
	   "priv=0 nw=0");
	wl(&w, "300 EVT type=F_BAD_ATS_TREQ sid=0x11 ssid=- "
	   "addr=0x3f00001000 idx=0 rec=0x1100000005:0x%llx:0x3f00001000:0x0",
	   (unsigned long long)EVT_DW1_RNW);
	wl(&w, "300 ATS_CPL sid=0x11 ssid=- iova=0x3f00001000 access=r "
	   "priv=0 nw=0 result=UR oa=- perm=--- u=0 priv_cpl=0 range=0 "
	   "event=F_BAD_ATS_TREQ stalled=0 latency=%llu", lat(&r));
	check(f, &w);
	fx_free(f);
}

static void test_atc_inv(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	const uint64_t g0 = OP_ATC_INV | W0_SID(SID_S1) | W0_SSV |
			    W0_SSID(0x42) | W0_GLOBAL;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	/* one page, no PASID; then Global with PASID 0x42, Size 52 (all);
	 * the SYNC waits for both completions */
	put_cmd(f, OP_ATC_INV | W0_SID(SID_S1), VA);
	put_cmd(f, g0, 52);
	put_cmd(f, OP_SYNC, 0);
	publish(f);
	sim_run_until(f->sim, 3000);
	assert_int_equal(f->ninv, 2);
	wl(&w, "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x3");
	wl(&w, "100 CMD idx=0 op=CMD_ATC_INV w0=0x1000000040 w1=0x3f00000000 "
	   "sid=0x10 addr=0x3f00000000");
	wl(&w, "100 ATC_INV sid=0x10 ssid=- addr=0x3f00000000 range=12");
	wl(&w, "%u CMD idx=1 op=CMD_ATC_INV w0=0x%llx w1=0x34 sid=0x10 "
	   "ssid=0x42 addr=0x0", T0 + CMD_COST, (unsigned long long)g0);
	wl(&w, "%u ATC_INV sid=0x10 ssid=0x42 addr=0x0 range=64 g=1",
	   T0 + CMD_COST);
	wl(&w, "%u CMD idx=2 op=CMD_SYNC w0=0x46 w1=0x0", T0 + 2 * CMD_COST);
	check(f, &w);

	/* the endpoint answers the second at 3000 (the SYNC still waits)
	 * and the first at 4000: the SYNC completes then */
	smmu_atc_inv_done(f->smmu, f->inv[1].tag);
	sim_run_until(f->sim, 4000);
	smmu_atc_inv_done(f->smmu, f->inv[0].tag);
	smmu_atc_inv_done(f->smmu, f->inv[0].tag); /* retired: ignored */
	sim_run_to_idle(f->sim, 0);
	wl(&w, "3000 ATC_INV_CPL sid=0x10");
	wl(&w, "4000 ATC_INV_CPL sid=0x10");
	wl(&w, "4000 SYNC idx=2 cs=NONE");
	check(f, &w);
	fx_free(f);
}

/* ======================================================================
 * PRI: PPR, PRI, PRG_RESP, PRI_LOST
 * ==================================================================== */

/* PRI record (§8.1): DW0 StreamID [31:0], SubstreamID [51:32], Priv
 * [58], Exec [59], Read [60], Write [61], Last [62], SSV [63]; DW1 the
 * page address with the PRG index in [8:0]. */
#define PRI_PRIV (UINT64_C(1) << 58)
#define PRI_READ (UINT64_C(1) << 60)
#define PRI_WRITE (UINT64_C(1) << 61)
#define PRI_LAST (UINT64_C(1) << 62)
#define PRI_SSV (UINT64_C(1) << 63)

static void test_pri(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_PRIQEN | CR0_EVENTQEN |
				 CR0_CMDQEN,
			  .irq_ctrl = IRQ_PRIQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	struct smmu_page_request pr = { .sid = SID_S1, .ssv = true,
					.ssid = 0x5, .priv = true,
					.read = true, .write = true,
					.last = true, .prgi = 0x7,
					.addr = VA + 0x5000 };
	const uint64_t dw0 = SID_S1 | (UINT64_C(0x5) << 32) | PRI_PRIV |
			     PRI_READ | PRI_WRITE | PRI_LAST | PRI_SSV;
	const uint64_t dw1 = (VA + 0x5000) | 0x7;
	const uint64_t resp0 = OP_PRI_RESP | W0_SSV | W0_SSID(0x5) |
			       W0_SID(SID_S1);

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	smmu_pri_request(f->smmu, &pr);
	sim_run_to_idle(f->sim, 0);
	/* the request as it arrives; the record once written (REC_COST
	 * later), then the interrupt */
	wl(&w, "100 PPR sid=0x10 ssid=0x5 addr=0x3f00005000 grpidx=0x7 "
	   "last=1 r=1 w=1 x=0 priv=1");
	wl(&w, "%u PRI sid=0x10 ssid=0x5 addr=0x3f00005000 grpidx=0x7 last=1 "
	   "r=1 w=1 x=0 priv=1 idx=0 rec=0x%llx:0x%llx", T0 + REC_COST,
	   (unsigned long long)dw0, (unsigned long long)dw1);
	wl(&w, "%u IRQ src=PRIQ", T0 + REC_COST);
	check(f, &w);
	assert_int_equal(get64(f, PRIQ_PA), dw0);
	assert_int_equal(get64(f, PRIQ_PA + 8), dw1);

	/* software answers with CMD_PRI_RESP, Resp 0b10 = Success */
	sim_run_until(f->sim, 1000);
	put_cmd(f, resp0, 0x7 | (UINT64_C(2) << 12));
	publish(f);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "1000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "1000 CMD idx=0 op=CMD_PRI_RESP w0=0x%llx w1=0x2007 sid=0x10 "
	   "ssid=0x5", (unsigned long long)resp0);
	wl(&w, "1000 PRG_RESP sid=0x10 ssid=0x5 grpidx=0x7 resp=SUCCESS");
	check(f, &w);
	assert_int_equal(f->nresp, 1);
	assert_int_equal(f->resp[0].code, PRG_RESP_SUCCESS);
	fx_free(f);

	/* a 1-entry queue: the second Last=1 request overflows and is
	 * answered Success automatically (§8.1) */
	o.priq_one = true;
	f = fx_new(&o);
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	pr = (struct smmu_page_request){ .sid = SID_S1, .read = true,
					 .last = true, .prgi = 0x1,
					 .addr = VA };
	smmu_pri_request(f->smmu, &pr);
	pr.prgi = 0x2;
	smmu_pri_request(f->smmu, &pr);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "100 PPR sid=0x10 ssid=- addr=0x3f00000000 grpidx=0x1 last=1 "
	   "r=1 w=0 x=0 priv=0");
	wl(&w, "100 PPR sid=0x10 ssid=- addr=0x3f00000000 grpidx=0x2 last=1 "
	   "r=1 w=0 x=0 priv=0");
	wl(&w, "%u PRI sid=0x10 ssid=- addr=0x3f00000000 grpidx=0x1 last=1 "
	   "r=1 w=0 x=0 priv=0 idx=0 rec=0x%llx:0x3f00000001", T0 + REC_COST,
	   (unsigned long long)(SID_S1 | PRI_READ | PRI_LAST));
	wl(&w, "%u IRQ src=PRIQ", T0 + REC_COST);
	wl(&w, "%u PRI_LOST sid=0x10 ssid=- addr=0x3f00000000 grpidx=0x2 "
	   "last=1 r=1 w=0 x=0 priv=0 reason=overflow", T0 + REC_COST);
	wl(&w, "%u PRG_RESP sid=0x10 ssid=- grpidx=0x2 resp=SUCCESS",
	   T0 + REC_COST);
	check(f, &w);
	fx_free(f);

	/* PRIQEN = 0: discarded, Response Failure at once */
	o.cr0 &= ~CR0_PRIQEN;
	o.priq_one = false;
	f = fx_new(&o);
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	pr = (struct smmu_page_request){ .sid = SID_S1, .read = true,
					 .last = true, .prgi = 0x8,
					 .addr = VA + 0x6000 };
	smmu_pri_request(f->smmu, &pr);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "100 PPR sid=0x10 ssid=- addr=0x3f00006000 grpidx=0x8 last=1 "
	   "r=1 w=0 x=0 priv=0");
	wl(&w, "100 PRI_LOST sid=0x10 ssid=- addr=0x3f00006000 grpidx=0x8 "
	   "last=1 r=1 w=0 x=0 priv=0 reason=disabled");
	wl(&w, "100 PRG_RESP sid=0x10 ssid=- grpidx=0x8 resp=FAILURE");
	check(f, &w);
	assert_int_equal(f->nresp, 1);
	assert_int_equal(f->resp[0].code, PRG_RESP_FAILURE);
	fx_free(f);
}

/* ======================================================================
 * MEM_W / MEM_FILL / MEM_MAP (SMMU_TRACE_MEM)
 * ==================================================================== */

static void test_mem(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ, .evtq_msi = MSI_EVTQ };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	static const uint8_t b16[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
					 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
					 0x0c, 0x0d, 0x0e, 0x0f };
	static const uint8_t b3[3] = { 0xaa, 0xbb, 0xcc };
	/* CMD_CFGI_STE SID 0x10 Leaf as 16 bytes, little-endian */
	static const uint8_t cfgi[16] = { 0x03, 0, 0, 0, 0x10, 0, 0, 0,
					  0x01, 0, 0, 0, 0, 0, 0, 0 };
	struct smmu_txn t = txn(SID_S1, VA + 0x2000, true,
				SMMU_TXN_UNTRANSLATED);
	struct smmu_txn_result r;
	int id;

	(void)state;
	fx_trace(f, SMMU_TRACE_NO_HEADER | SMMU_TRACE_MEM);
	/* sizes 1, 2, 4, 8: val= (little-endian value) */
	put64(f, 0x500000, UINT64_C(0x1122334455667788));
	assert_int_equal(pmem_write32(f->mem, 0x500008, 0xdeadbeef, NULL),
			 MEM_OK);
	assert_int_equal(pmem_write16(f->mem, 0x50000c, 0xbeef, NULL),
			 MEM_OK);
	assert_int_equal(pmem_write8(f->mem, 0x50000e, 0x7, NULL), MEM_OK);
	/* other sizes: data= bytes in address order */
	assert_int_equal(pmem_write(f->mem, 0x500010, b16, 16, NULL), MEM_OK);
	assert_int_equal(pmem_write(f->mem, 0x500021, b3, 3, NULL), MEM_OK);
	assert_int_equal(pmem_fill(f->mem, 0x501000, 0xa5, 4096), MEM_OK);
	wl(&w, "100 MEM_W addr=0x500000 size=8 val=0x1122334455667788");
	wl(&w, "100 MEM_W addr=0x500008 size=4 val=0xdeadbeef");
	wl(&w, "100 MEM_W addr=0x50000c size=2 val=0xbeef");
	wl(&w, "100 MEM_W addr=0x50000e size=1 val=0x7");
	wl(&w, "100 MEM_W addr=0x500010 size=16 "
	   "data=000102030405060708090a0b0c0d0e0f");
	wl(&w, "100 MEM_W addr=0x500021 size=3 data=aabbcc");
	wl(&w, "100 MEM_FILL addr=0x501000 size=4096 byte=0xa5");
	check(f, &w);

	/* changes to the memory map (sizes in hex) */
	id = pmem_add_ram(f->mem, HOLE, 0x10000);
	assert_true(id >= 0);
	assert_true(pmem_remove_region(f->mem, id));
	wl(&w, "100 MEM_MAP op=add kind=ram addr=0x200000000 size=0x10000");
	wl(&w, "100 MEM_MAP op=remove kind=ram addr=0x200000000 "
	   "size=0x10000");
	check(f, &w);

	/* a device's (DMA) and the SMMU's writes are outputs, not inputs;
	 * a write into a hole writes nothing */
	assert_int_equal(pmem_set_agent(f->mem, PMEM_AGENT_DEVICE),
			 PMEM_AGENT_CPU);
	put64(f, 0x502000, 1);
	assert_int_equal(pmem_write(f->mem, 0x502010, b16, 16, NULL), MEM_OK);
	assert_int_equal(pmem_fill(f->mem, 0x503000, 0x5a, 64), MEM_OK);
	assert_int_equal(pmem_set_agent(f->mem, PMEM_AGENT_SMMU),
			 PMEM_AGENT_DEVICE);
	put64(f, 0x502008, 2);
	assert_int_equal(pmem_set_agent(f->mem, PMEM_AGENT_CPU),
			 PMEM_AGENT_SMMU);
	assert_int_equal(pmem_write64(f->mem, HOLE, 1, NULL), MEM_ABORT);
	check_none(f);

	/* the command as one 16-byte write, then the doorbell: MEM_W,
	 * MMIO_W (a register write is not a memory write), CMD */
	assert_int_equal(pmem_write(f->mem, CMDQ_PA, cfgi, 16, NULL), MEM_OK);
	mw32(f, CMDQ_PROD, 1);
	sim_run_to_idle(f->sim, 0);
	wl(&w, "100 MEM_W addr=0x10000 size=16 "
	   "data=03000000100000000100000000000000");
	wl(&w, "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1");
	wl(&w, "100 CMD idx=0 op=CMD_CFGI_STE w0=0x1000000003 w1=0x1 "
	   "sid=0x10");
	check(f, &w);

	/* the SMMU's event record and MSI writes: no MEM_W */
	sim_run_until(f->sim, 1000);
	r = xlate(f, &t);
	wl(&w, "1000 EVT type=F_TRANSLATION sid=0x10 ssid=- addr=0x3f00002000 "
	   "idx=0 rec=0x1000000010:0x%llx:0x3f00002000:0x0",
	   (unsigned long long)EVT_DW1_CLASS_IN);
	wl(&w, "1000 MSI src=EVTQ addr=0x8000 data=0x1234");
	wl(&w, "1000 XLATE sid=0x10 ssid=- iova=0x3f00002000 access=w priv=0 "
	   "size=8 result=ABORT oa=- perm=--- event=F_TRANSLATION stalled=0 "
	   "latency=%llu", lat(&r));
	check(f, &w);
	assert_int_equal(get64(f, EVTQ_PA), W0_SID(SID_S1) | EVT_F_TRANSLATION);

	/* closed: the observer is gone, nothing more is written */
	smmu_trace_close(f->smmu);
	put64(f, 0x500000, 2);
	assert_int_equal(pmem_fill(f->mem, 0x501000, 0, 64), MEM_OK);
	assert_int_equal(mr32(f, CMDQ_CONS), 1);
	check_none(f);

	/* without SMMU_TRACE_MEM: no memory records */
	assert_true(smmu_trace_open(f->smmu, f->f, SMMU_TRACE_NO_HEADER));
	put64(f, 0x500000, 3);
	assert_int_equal(pmem_fill(f->mem, 0x501000, 1, 64), MEM_OK);
	check_none(f);
	fx_free(f);
}

/* ======================================================================
 * Opening, closing, destroying
 * ==================================================================== */

static void test_close_and_reopen(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	struct want w = { 0 };
	char *buf2 = NULL;
	size_t len2 = 0;
	FILE *f2;

	(void)state;
	assert_false(smmu_trace_open(NULL, stderr, 0));
	assert_false(smmu_trace_open(f->smmu, NULL, 0));
	fx_trace(f, SMMU_TRACE_NO_HEADER);
	assert_int_equal(mr32(f, CR0), 0x9);
	wl(&w, "100 MMIO_R off=0x20 reg=CR0 size=4 val=0x9");
	check(f, &w);

	/* closed: no more records, from any source */
	smmu_trace_close(f->smmu);
	smmu_trace_close(f->smmu); /* twice is harmless */
	assert_int_equal(mr32(f, CR0), 0x9);
	put_cmd(f, OP_SYNC | SYNC_CS(CS_IRQ), 0);
	publish(f);
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(f->irqs[SMMU_IRQ_CMD_SYNC], 1);
	check_none(f);

	/* opening again replaces the previous trace: the first stream
	 * gets nothing more */
	assert_true(smmu_trace_open(f->smmu, f->f, SMMU_TRACE_NO_HEADER));
	f2 = open_memstream(&buf2, &len2);
	assert_non_null(f2);
	assert_true(smmu_trace_open(f->smmu, f2, 0));
	sim_run_until(f->sim, 1000);
	assert_int_equal(mr32(f, CMDQ_CONS), 1);
	check_none(f);
	smmu_trace_close(f->smmu);
	assert_int_equal(fclose(f2), 0);
	assert_non_null(strstr(buf2, "# smmusim-trace 1\n"));
	assert_non_null(strstr(buf2,
			       "\n# preset: full\n"
			       "1000 MMIO_R off=0x9c reg=CMDQ_CONS size=4 "
			       "val=0x1\n"));
	assert_int_equal(check_time_order(buf2, len2), 1);
	free(buf2);
	fx_free(f);
}

/*
 * smmu_destroy() with the trace still open: it closes the trace (the
 * buffered record reaches the stream, nothing leaks under ASan) and
 * removes the memory observer, so later writes to the memory, which
 * outlives the SMMU, do not reach freed state.
 */
static void test_destroy_with_open_trace(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_CMDQEN };
	struct fx *f = fx_new(&o);
	char *buf = NULL;
	size_t len = 0;
	FILE *s = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(s);
	assert_true(smmu_trace_open(f->smmu, s, SMMU_TRACE_MEM |
					       SMMU_TRACE_NO_HEADER));
	put64(f, 0x500000, 0x42);
	smmu_destroy(f->smmu);
	f->smmu = NULL;
	put64(f, 0x500008, 0x43);
	assert_int_equal(pmem_fill(f->mem, 0x501000, 0x1, 16), MEM_OK);
	assert_int_equal(fclose(s), 0);
	assert_string_equal(buf, "100 MEM_W addr=0x500000 size=8 val=0x42\n");
	free(buf);
	pmem_destroy(f->mem);
	sim_destroy(f->sim);
	free(f);
}

/* ======================================================================
 * TIME through a whole run
 * ==================================================================== */

/*
 * A run mixing every source of records (registers, memory writes,
 * commands, events, stalls, ATS, PRI), then the whole trace checked:
 * every record's TIME is a number, never decreasing, and the run really
 * spans time (several distinct times) and every kind.
 */
static void test_time_order(void **state)
{
	struct opts o = { .cr0 = CR0_SMMUEN | CR0_PRIQEN | CR0_EVENTQEN |
				 CR0_CMDQEN,
			  .irq_ctrl = IRQ_EVTQ | IRQ_PRIQ | IRQ_GERROR };
	struct fx *f = fx_new(&o);
	static const char *const kinds[] = {
		"MMIO_W", "MMIO_R", "MEM_W", "CMD", "CMD_ERR", "SYNC", "EVT",
		"IRQ", "GERROR", "XLATE", "STALL", "ATS_REQ", "ATS_CPL",
		"ATC_INV", "ATC_INV_CPL", "PPR", "PRI", "PRG_RESP",
	};
	struct smmu_page_request pr = { .sid = SID_S1, .read = true,
					.last = true, .prgi = 3,
					.addr = VA };
	struct smmu_txn t;
	struct smmu_txn_result r;
	char key[32];
	unsigned records, distinct = 0;
	unsigned long long last = ~0ull;

	(void)state;
	fx_trace(f, SMMU_TRACE_MEM);
	for (unsigned i = 0; i < 6; i++) {
		uint64_t now = sim_now(f->sim);

		/* translations: OK, fault, ATS, a stall every other round */
		t = txn(SID_S1, VA + 0x1000 * (i % 3), i & 1,
			SMMU_TXN_UNTRANSLATED);
		assert_true(smmu_submit(f->smmu, &t, on_done, f));
		t = txn(SID_S1, VA, false, SMMU_TXN_ATS_TREQ);
		r = xlate(f, &t);
		assert_int_equal(r.resp, SMMU_RESP_OK);
		if (!(i & 1)) {
			t = txn(SID_STALL, VA + 0x4000, false,
				SMMU_TXN_UNTRANSLATED);
			assert_true(smmu_submit(f->smmu, &t, on_done, f));
		}
		smmu_pri_request(f->smmu, &pr);
		/* commands: invalidation, resume, a bad opcode once */
		put_cmd(f, OP_ATC_INV | W0_SID(SID_S1), VA);
		put_cmd(f, OP_PRI_RESP | W0_SID(SID_S1),
			3 | (UINT64_C(2) << 12));
		if (!(i & 1))
			put_cmd(f, OP_RESUME | W0_SID(SID_STALL),
				(uint64_t)(i / 2));
		if (i == 3)
			put_cmd(f, 0x7F, 0);
		put_cmd(f, OP_SYNC | SYNC_CS(CS_IRQ), 0);
		publish(f);
		sim_run_until(f->sim, now + 300);
		while (f->ninv) {
			f->ninv--;
			smmu_atc_inv_done(f->smmu, f->inv[f->ninv].tag);
		}
		sim_run_until(f->sim, now + 600);
		if (mr32(f, GERROR) != mr32(f, GERRORN)) {
			/* skip the bad command: CONS past it, ack */
			uint32_t cons = mr32(f, CMDQ_CONS) & 0x1F;

			put64(f, CMDQ_PA + (cons & 15u) * 16, OP_SYNC);
			mw32(f, GERRORN, mr32(f, GERROR));
		}
		mw32(f, EVENTQ_CONS, mr32(f, EVENTQ_PROD));
		sim_run_until(f->sim, now + 1000);
	}
	sim_run_to_idle(f->sim, 0);
	assert_int_equal(fflush(f->f), 0);
	records = check_time_order(f->buf, f->len);
	assert_true(records > 100);
	for (const char *p = f->buf; (p = strchr(p, '\n')) && p[1]; p++) {
		unsigned long long tm = strtoull(p + 1, NULL, 10);

		if (p[1] != '#' && tm != last) {
			distinct++;
			last = tm;
		}
	}
	assert_true(distinct > 20);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		snprintf(key, sizeof(key), " %s ", kinds[k]);
		if (!strstr(f->buf, key))
			fail_msg("no %s record in the run", kinds[k]);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_cmd_fields_and_sync),
		cmocka_unit_test(test_cmd_err_illegal),
		cmocka_unit_test(test_cmd_err_defined_but_refused),
		cmocka_unit_test(test_cmd_err_abort),
		cmocka_unit_test(test_evt_irq),
		cmocka_unit_test(test_evt_msi),
		cmocka_unit_test(test_evt_lost),
		cmocka_unit_test(test_evt_fields),
		cmocka_unit_test(test_evt_aborts),
		cmocka_unit_test(test_xlate),
		cmocka_unit_test(test_xlate_submit),
		cmocka_unit_test(test_stall_resume),
		cmocka_unit_test(test_ats_request),
		cmocka_unit_test(test_atc_inv),
		cmocka_unit_test(test_pri),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_close_and_reopen),
		cmocka_unit_test(test_destroy_with_open_trace),
		cmocka_unit_test(test_time_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
