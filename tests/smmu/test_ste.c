/* SPDX-License-Identifier: MIT */
/*
 * Stream table lookup (linear, 2-level) and STE decode / ILLEGAL rules
 * (facts §3.1 - §3.5, §9.4).
 */
#include "testutil.h"

#include <string.h>

#include "smmu/smmu_internal.h"
#include "smmu/ste.h"
#include "smmu/regs.h"

#define RAM_SIZE (UINT64_C(1) << 32) /* RAM [0, 4 GiB); above is a hole */
#define HOLE UINT64_C(0x100000000)
#define MEM_ACCESS 10u               /* per access */
#define MEM_LINE 1u                  /* per 64-byte line */

struct env {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
};

static void env_init(struct env *e)
{
	struct smmu_impl impl;

	e->sim = sim_create(1);
	e->mem = pmem_create();
	pmem_set_default_latency(e->mem, (struct pmem_latency){ MEM_ACCESS,
								MEM_LINE });
	assert_true(pmem_add_ram(e->mem, 0, RAM_SIZE) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	e->smmu = smmu_create(e->sim, e->mem, &impl);
	assert_non_null(e->smmu);
}

static void env_fini(struct env *e)
{
	smmu_destroy(e->smmu);
	pmem_destroy(e->mem);
	sim_destroy(e->sim);
}

static void write_ste(struct pmem *mem, uint64_t addr, const uint64_t *raw)
{
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(pmem_write64(mem, addr + 8 * i, raw[i], NULL),
				 MEM_OK);
}

static uint32_t cfg_reg(unsigned fmt, unsigned split, unsigned log2size)
{
	uint64_t v = 0;

	v = rset(v, STRTAB_BASE_CFG_FMT, fmt);
	v = rset(v, STRTAB_BASE_CFG_SPLIT, split);
	v = rset(v, STRTAB_BASE_CFG_LOG2SIZE, log2size);
	return (uint32_t)v;
}

/* --- stream table lookup -------------------------------------------- */

struct l1_init {
	uint64_t addr;
	unsigned span;
	uint64_t l2ptr;
};

struct loc_row {
	const char *name;
	uint64_t base;
	unsigned fmt, split, log2size;
	uint8_t sidsize;         /* 0: preset (32) */
	uint32_t sid;
	struct l1_init l1;       /* L1STD to write (addr 0: none) */
	uint8_t ev;              /* EVT_NONE: success */
	uint64_t addr;           /* STE address, or fetch_addr */
	uint64_t cycles;
};

#define L1CYC (MEM_ACCESS + MEM_LINE)

static const struct loc_row loc_rows[] = {
	{ "linear sid 5", 0x100000, 0, 0, 8, 0, 5, { 0 }, EVT_NONE,
	  0x100140, 0 },
	{ "linear last sid", 0x100000, 0, 0, 8, 0, 255, { 0 }, EVT_NONE,
	  0x103FC0, 0 },
	{ "linear base aligned to table", 0x100FC0, 0, 0, 8, 0, 1, { 0 },
	  EVT_NONE, 0x100040, 0 },
	{ "linear sid beyond LOG2SIZE", 0x100000, 0, 0, 8, 0, 256, { 0 },
	  EVT_C_BAD_STREAMID, 0, 0 },
	{ "LOG2SIZE capped by SIDSIZE", 0x100000, 0, 0, 20, 16, 0x10000,
	  { 0 }, EVT_C_BAD_STREAMID, 0, 0 },
	{ "LOG2SIZE capped, last sid", 0x400000, 0, 0, 20, 16, 0xFFFF,
	  { 0 }, EVT_NONE, 0x400000 + 0xFFFFull * 64, 0 },
	{ "reserved FMT=10 is linear", 0x100000, 2, 8, 8, 0, 7, { 0 },
	  EVT_NONE, 0x1001C0, 0 },
	{ "linear table beyond OAS (fetch faults)", UINT64_C(1) << 50, 0, 0,
	  8, 0, 2, { 0 }, EVT_NONE, (UINT64_C(1) << 50) + 128, 0 },
	{ "2-level split 8", 0x200000, 1, 8, 16, 0, 0x0105,
	  { 0x200008, 9, 0x300000 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level L2Ptr aligned to span", 0x200000, 1, 8, 16, 0, 0x0105,
	  { 0x200008, 9, 0x303FC0 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level base aligned to L1 size", 0x200100, 1, 8, 16, 0, 0x0105,
	  { 0x200008, 9, 0x300000 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level split 6", 0x200000, 1, 6, 16, 0, 0x0085,
	  { 0x200010, 7, 0x300000 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level split 10", 0x200000, 1, 10, 16, 0, 0x0C05,
	  { 0x200018, 11, 0x300000 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level split 7 acts as 6", 0x200000, 1, 7, 16, 0, 0x0045,
	  { 0x200008, 7, 0x300000 }, EVT_NONE, 0x300140, L1CYC },
	{ "2-level span 0", 0x200000, 1, 8, 16, 0, 0x0105,
	  { 0x200008, 0, 0x300000 }, EVT_C_BAD_STREAMID, 0, L1CYC },
	{ "2-level span 12 reserved", 0x200000, 1, 10, 16, 0, 0x0405,
	  { 0x200008, 12, 0x300000 }, EVT_C_BAD_STREAMID, 0, L1CYC },
	{ "2-level span > split+1", 0x200000, 1, 8, 16, 0, 0x0105,
	  { 0x200008, 10, 0x300000 }, EVT_C_BAD_STREAMID, 0, L1CYC },
	{ "2-level sid beyond span", 0x200000, 1, 8, 16, 0, 0x0104,
	  { 0x200008, 3, 0x300000 }, EVT_C_BAD_STREAMID, 0, L1CYC },
	{ "2-level last sid in span", 0x200000, 1, 8, 16, 0, 0x0103,
	  { 0x200008, 3, 0x300000 }, EVT_NONE, 0x3000C0, L1CYC },
	{ "2-level sid beyond LOG2SIZE", 0x200000, 1, 8, 16, 0, 0x10000,
	  { 0 }, EVT_C_BAD_STREAMID, 0, 0 },
	{ "2-level L1STD in a hole", HOLE, 1, 8, 16, 0, 0x0305, { 0 },
	  EVT_F_STE_FETCH, HOLE + 0x18, 0 },
	{ "2-level L1 beyond OAS", UINT64_C(1) << 49, 1, 8, 16, 0, 0x0105,
	  { 0 }, EVT_F_STE_FETCH, (UINT64_C(1) << 49) + 8, 0 },
};

static void test_strtab_locate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(loc_rows) / sizeof(loc_rows[0]); i++) {
		const struct loc_row *r = &loc_rows[i];
		struct smmu_event ev;
		struct env e;
		uint64_t addr = 0, cycles = 0;
		bool ok;

		env_init(&e);
		if (r->sidsize)
			e.smmu->impl.sidsize = r->sidsize;
		if (r->l1.addr) {
			uint64_t d = 0;

			fset(&d, L1STD_SPAN, r->l1.span);
			d |= r->l1.l2ptr;
			assert_int_equal(pmem_write64(e.mem, r->l1.addr, d,
						      NULL), MEM_OK);
		}
		memset(&ev, 0, sizeof(ev));
		ok = strtab_locate(e.smmu, r->base,
				   cfg_reg(r->fmt, r->split, r->log2size),
				   r->sid, &addr, &ev, &cycles);
		expect_field(i, r->name, "ok", ok, r->ev == EVT_NONE);
		expect_field(i, r->name, "event", ev.id, r->ev);
		if (r->ev == EVT_NONE)
			expect_field(i, r->name, "ste addr", addr, r->addr);
		if (r->ev == EVT_F_STE_FETCH)
			expect_field(i, r->name, "fetch_addr", ev.fetch_addr,
				     r->addr);
		expect_field(i, r->name, "cycles", cycles, r->cycles);
		env_fini(&e);
	}
}

/* --- full lookup: fetch + decode ------------------------------------ */

static void test_strtab_lookup_at(void **state)
{
	struct env e;
	struct smmu_event ev;
	struct ste_cfg ste;
	uint64_t raw[8] = { 0 }, cycles = 0, d = 0;
	uint32_t lin = cfg_reg(0, 0, 8), two = cfg_reg(1, 8, 16);

	(void)state;
	env_init(&e);
	/* bypass STE at linear SID 3 */
	fset(raw, STE_V, 1);
	fset(raw, STE_CONFIG, STE_CONFIG_BYPASS);
	fset(raw, STE_PRIVCFG, 3);
	write_ste(e.mem, 0x100000 + 3 * 64, raw);
	memset(&ev, 0, sizeof(ev));
	assert_true(strtab_lookup_at(e.smmu, 0x100000, lin, 3, &ste, &ev,
				     &cycles));
	assert_true(ste.bypass);
	assert_int_equal(ste.privcfg, 3);
	assert_int_equal(cycles, MEM_ACCESS + MEM_LINE +
					 e.smmu->impl.lat.ste_decode);

	/* V=0 at SID 4: C_BAD_STE, the decode is charged */
	cycles = 0;
	assert_false(strtab_lookup_at(e.smmu, 0x100000, lin, 4, &ste, &ev,
				      &cycles));
	assert_int_equal(ev.id, EVT_C_BAD_STE);
	assert_int_equal(cycles, MEM_ACCESS + MEM_LINE +
					 e.smmu->impl.lat.ste_decode);

	/* linear STE beyond the 48-bit OAS: F_STE_FETCH, no access */
	cycles = 0;
	memset(&ev, 0, sizeof(ev));
	assert_false(strtab_lookup_at(e.smmu, UINT64_C(1) << 50, lin, 2,
				      &ste, &ev, &cycles));
	assert_int_equal(ev.id, EVT_F_STE_FETCH);
	assert_int_equal(ev.fetch_addr, (UINT64_C(1) << 50) + 128);
	assert_int_equal(cycles, 0);

	/* linear STE in a hole */
	memset(&ev, 0, sizeof(ev));
	assert_false(strtab_lookup_at(e.smmu, HOLE, lin, 9, &ste, &ev,
				      &cycles));
	assert_int_equal(ev.id, EVT_F_STE_FETCH);
	assert_int_equal(ev.fetch_addr, HOLE + 9 * 64);

	/* 2-level: L2 array in a hole gives F_STE_FETCH at the STE */
	fset(&d, L1STD_SPAN, 9);
	d |= HOLE + 0x10000;
	assert_int_equal(pmem_write64(e.mem, 0x200000 + 8, d, NULL), MEM_OK);
	cycles = 0;
	memset(&ev, 0, sizeof(ev));
	assert_false(strtab_lookup_at(e.smmu, 0x200000, two, 0x107, &ste,
				      &ev, &cycles));
	assert_int_equal(ev.id, EVT_F_STE_FETCH);
	assert_int_equal(ev.fetch_addr, HOLE + 0x10000 + 7 * 64);
	/* an aborted access costs nothing */
	assert_int_equal(cycles, MEM_ACCESS + MEM_LINE);

	/* Hostile L1 descriptors: L1STD[1] points its L2 array at the L1
	 * table itself, so SID 0x100's "STE" is L1STD[0..7]. With L1STD[0]
	 * zero that STE has V=0: C_BAD_STE. */
	d = 0;
	fset(&d, L1STD_SPAN, 9);
	d |= 0x200000;
	assert_int_equal(pmem_write64(e.mem, 0x200000 + 8, d, NULL), MEM_OK);
	memset(&ev, 0, sizeof(ev));
	assert_false(strtab_lookup_at(e.smmu, 0x200000, two, 0x100, &ste,
				      &ev, &cycles));
	assert_int_equal(ev.id, EVT_C_BAD_STE);
	/* L1STD[0] pointing back at the table too (the two point at each
	 * other's array): SID 0x100's STE word 0 is now 0x200009, V=1 and
	 * Config 0b100 (bypass), word 1 the same bits: decoded as any STE,
	 * no recursion (an L2 pointer is never followed twice). */
	assert_int_equal(pmem_write64(e.mem, 0x200000, d, NULL), MEM_OK);
	memset(&ev, 0, sizeof(ev));
	cycles = 0;
	assert_true(strtab_lookup_at(e.smmu, 0x200000, two, 0x100, &ste, &ev,
				     &cycles));
	assert_true(ste.bypass);
	assert_int_equal(cycles, 2 * (MEM_ACCESS + MEM_LINE) +
					 e.smmu->impl.lat.ste_decode);
	/* and SID 0x001 through L1STD[0]: the STE at 0x200040 (L1STD[8..15],
	 * zero): C_BAD_STE */
	memset(&ev, 0, sizeof(ev));
	assert_false(strtab_lookup_at(e.smmu, 0x200000, two, 0x001, &ste,
				      &ev, &cycles));
	assert_int_equal(ev.id, EVT_C_BAD_STE);
	/* an L2 pointer beyond the 48-bit OAS: F_STE_FETCH, no access */
	d = 0;
	fset(&d, L1STD_SPAN, 9);
	d |= UINT64_C(1) << 50;
	assert_int_equal(pmem_write64(e.mem, 0x200000 + 16, d, NULL), MEM_OK);
	memset(&ev, 0, sizeof(ev));
	cycles = 0;
	assert_false(strtab_lookup_at(e.smmu, 0x200000, two, 0x203, &ste,
				      &ev, &cycles));
	assert_int_equal(ev.id, EVT_F_STE_FETCH);
	assert_int_equal(ev.fetch_addr, (UINT64_C(1) << 50) + 3 * 64);
	assert_int_equal(cycles, MEM_ACCESS + MEM_LINE);
	env_fini(&e);
}

/* --- STE decode ----------------------------------------------------- */

#define PTR_S1 UINT64_C(0x400000)
#define TTB_S2 UINT64_C(0x500000)

/* A valid nested STE using most fields. */
static void base_nested(uint64_t *raw)
{
	memset(raw, 0, 64);
	fset(raw, STE_V, 1);
	fset(raw, STE_CONFIG, STE_CONFIG_NESTED);
	fset(raw, STE_S1FMT, S1FMT_LINEAR);
	raw[0] |= PTR_S1;
	fset(raw, STE_S1CDMAX, 4);
	fset(raw, STE_S1DSS, S1DSS_SSID0);
	fset(raw, STE_S1CIR, 1);
	fset(raw, STE_S1COR, 2);
	fset(raw, STE_S1CSH, 3);
	fset(raw, STE_MEV, 1);
	fset(raw, STE_EATS, EATS_FULL);
	fset(raw, STE_MEMATTR, 0xF);
	fset(raw, STE_MTCFG, 1);
	fset(raw, STE_ALLOCCFG, 0xA);
	fset(raw, STE_SHCFG, 1);
	fset(raw, STE_PRIVCFG, 2);
	fset(raw, STE_INSTCFG, 3);
	fset(raw, STE_S2VMID, 0x1234);
	fset(raw, STE_S2T0SZ, 24);   /* 40-bit IPA */
	fset(raw, STE_S2SL0, 1);     /* 4K: level 1, 2 tables */
	fset(raw, STE_S2IR0, 1);
	fset(raw, STE_S2OR0, 3);
	fset(raw, STE_S2SH0, 2);
	fset(raw, STE_S2TG, TG0_4K);
	fset(raw, STE_S2PS, 5);      /* 48 bits */
	fset(raw, STE_S2AA64, 1);
	fset(raw, STE_S2AFFD, 1);
	fset(raw, STE_S2PTW, 1);
	fset(raw, STE_S2HA, 1);
	fset(raw, STE_S2HD, 1);
	fset(raw, STE_S2R, 1);
	raw[3] |= TTB_S2;
}

static void base_s1(uint64_t *raw)
{
	base_nested(raw);
	fset(raw, STE_CONFIG, 5);
}

static void test_ste_decode_valid(void **state)
{
	struct env e;
	struct ste_cfg s;
	uint64_t raw[8];

	(void)state;
	env_init(&e);
	base_nested(raw);
	assert_true(ste_decode(e.smmu, raw, &s));
	assert_memory_equal(s.raw, raw, sizeof(raw));
	expect_field(0, "nested", "config", s.config, 7);
	expect_field(0, "nested", "abort", s.abort, 0);
	expect_field(0, "nested", "bypass", s.bypass, 0);
	expect_field(0, "nested", "s1_en", s.s1_en, 1);
	expect_field(0, "nested", "s2_en", s.s2_en, 1);
	expect_field(0, "nested", "s1fmt", s.s1fmt, 0);
	expect_field(0, "nested", "s1ctxptr", s.s1ctxptr, PTR_S1);
	expect_field(0, "nested", "s1cdmax", s.s1cdmax, 4);
	expect_field(0, "nested", "s1dss", s.s1dss, 2);
	expect_field(0, "nested", "s1cir", s.s1cir, 1);
	expect_field(0, "nested", "s1cor", s.s1cor, 2);
	expect_field(0, "nested", "s1csh", s.s1csh, 3);
	expect_field(0, "nested", "eats", s.eats, 1);
	expect_field(0, "nested", "world", s.world, WORLD_NS_EL1);
	expect_field(0, "nested", "mev", s.mev, 1);
	expect_field(0, "nested", "memattr", s.memattr, 0xF);
	expect_field(0, "nested", "mtcfg", s.mtcfg, 1);
	expect_field(0, "nested", "alloccfg", s.alloccfg, 0xA);
	expect_field(0, "nested", "shcfg", s.shcfg, 1);
	expect_field(0, "nested", "privcfg", s.privcfg, 2);
	expect_field(0, "nested", "instcfg", s.instcfg, 3);
	expect_field(0, "nested", "s2.stage", s.s2.stage, 2);
	expect_field(0, "nested", "s2.granule", s.s2.granule_shift, 12);
	expect_field(0, "nested", "s2.tsz", s.s2.tsz, 24);
	expect_field(0, "nested", "s2.start", s.s2.start_level, 1);
	expect_field(0, "nested", "s2.concat", s.s2.concat, 2);
	expect_field(0, "nested", "s2.ttb", s.s2.ttb, TTB_S2);
	expect_field(0, "nested", "s2.oas", s.s2.oas_bits, 48);
	expect_field(0, "nested", "s2.endi", s.s2.endi, 0);
	expect_field(0, "nested", "s2.affd", s.s2.affd, 1);
	expect_field(0, "nested", "s2.ha", s.s2.ha, 1);
	expect_field(0, "nested", "s2.hd", s.s2.hd, 1);
	expect_field(0, "nested", "s2.ptw", s.s2.ptw, 1);
	expect_field(0, "nested", "s2.fwb", s.s2.fwb, 0);
	expect_field(0, "nested", "s2.vmid", s.s2.vmid, 0x1234);
	expect_field(0, "nested", "s2.ir", s.s2.ir, 1);
	expect_field(0, "nested", "s2.or", s.s2.or_, 3);
	expect_field(0, "nested", "s2.sh", s.s2.sh, 2);
	expect_field(0, "nested", "s2s", s.s2s, 0);
	expect_field(0, "nested", "s2r", s.s2r, 1);
	env_fini(&e);
}

/* Variants that decode: exact derived values. */
struct var_row {
	const char *name;
	void (*base)(uint64_t *raw);
	struct {
		struct fld f;
		uint64_t v;
		bool used;
	} set[4];
	void (*impl)(struct smmu_impl *impl);
	bool e2h;
	/* expected */
	bool abort, bypass, s1, s2;
	uint8_t world, eats, start, concat, granule, oas;
	uint64_t ttb;
	uint16_t vmid;
	bool hd;
};

#define F(name, val) { name, val, true }
#define NOSET { { { 0, 0, 0 }, 0, false } }

static void impl_oas40(struct smmu_impl *p) { p->oas = 2; }
static void impl_oas52(struct smmu_impl *p) { p->oas = 6; }
static void impl_stt(struct smmu_impl *p) { p->stt = true; }
static void impl_oas52_stt(struct smmu_impl *p)
{
	p->oas = 6;
	p->stt = true;
}

static void set_rows(uint64_t *raw, const struct var_row *r)
{
	for (unsigned k = 0; k < 4; k++)
		if (r->set[k].used)
			fset(raw, r->set[k].f, r->set[k].v);
}

static const struct var_row var_rows[] = {
	{ "S1-only, EL1", base_s1, NOSET, NULL, false,
	  0, 0, 1, 0, WORLD_NS_EL1, 1, 0, 0, 0, 0, 0, 0x1234, 0 },
	{ "S1-only STRW=EL2", base_s1, { F(STE_STRW, 2) }, NULL, false,
	  0, 0, 1, 0, WORLD_NS_EL2, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "S1-only STRW=EL2 E2H", base_s1, { F(STE_STRW, 2) }, NULL, true,
	  0, 0, 1, 0, WORLD_NS_EL2_E2H, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "nested STRW=01 unused", base_nested, { F(STE_STRW, 1) }, NULL,
	  false, 0, 0, 1, 1, WORLD_NS_EL1, 1, 1, 2, 12, 48, TTB_S2, 0x1234,
	  1 },
	{ "Config 000 ignores the rest", base_nested,
	  { F(STE_CONFIG, 0), F(STE_S2TG, 3), F(STE_STRW, 3) }, NULL, false,
	  1, 0, 0, 0, WORLD_NS_EL1, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "Config 011 reserved = abort", base_nested,
	  { F(STE_CONFIG, 3) }, NULL, false,
	  1, 0, 0, 0, WORLD_NS_EL1, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "bypass ignores S1/S2, EATS 0", base_nested,
	  { F(STE_CONFIG, 4), F(STE_S2TG, 3), F(STE_S1CDMAX, 31) }, NULL,
	  false, 0, 1, 0, 0, WORLD_NS_EL1, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "S2-only 64K L2", base_nested,
	  { F(STE_CONFIG, 6), F(STE_S2TG, TG0_64K), F(STE_S2T0SZ, 22),
	    F(STE_S2SL0, 1) }, NULL, false,
	  0, 0, 0, 1, WORLD_NS_EL1, 1, 2, 1, 16, 48, TTB_S2, 0x1234, 1 },
	{ "4K L1 16 tables", base_nested, { F(STE_S2T0SZ, 21) }, NULL,
	  false, 0, 0, 1, 1, WORLD_NS_EL1, 1, 1, 16, 12, 48, TTB_S2, 0x1234,
	  1 },
	{ "4K L0 2 entries", base_nested,
	  { F(STE_S2T0SZ, 24), F(STE_S2SL0, 2) }, NULL, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 1, 0, 1, 12, 48, TTB_S2, 0x1234, 1 },
	{ "16K L3 8 tables", base_nested,
	  { F(STE_S2TG, TG0_16K), F(STE_S2T0SZ, 36), F(STE_S2SL0, 0) }, NULL,
	  false, 0, 0, 1, 1, WORLD_NS_EL1, 1, 3, 8, 14, 48, TTB_S2, 0x1234,
	  1 },
	{ "4K L3 with STT", base_nested,
	  { F(STE_S2T0SZ, 44), F(STE_S2SL0, 3) }, impl_stt, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 1, 3, 1, 12, 48, TTB_S2, 0x1234, 1 },
	{ "S2PS capped by OAS", base_nested, { F(STE_S2PS, 6) }, impl_oas40,
	  false, 0, 0, 1, 1, WORLD_NS_EL1, 1, 1, 2, 12, 40, TTB_S2, 0x1234,
	  1 },
	{ "S2TTB aligned to 2 tables", base_nested,
	  { F(STE_S2TTB, (TTB_S2 + 0x1FF0) >> 4) }, NULL, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 1, 1, 2, 12, 48, TTB_S2, 0x1234, 1 },
	{ "S2TTB 64B-aligned at 52 bits", base_nested,
	  { F(STE_S2PS, 6), F(STE_S2T0SZ, 41), F(STE_S2SL0, 0),
	    F(STE_S2TTB, (TTB_S2 + 0x30) >> 4) }, impl_oas52_stt, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 1, 2, 1, 12, 52, TTB_S2, 0x1234, 1 },
	{ "S2HD without S2HA is off", base_nested, { F(STE_S2HA, 0) }, NULL,
	  false, 0, 0, 1, 1, WORLD_NS_EL1, 1, 1, 2, 12, 48, TTB_S2, 0x1234,
	  0 },
	{ "EATS=11 without DPT acts as 00", base_nested,
	  { F(STE_EATS, 3) }, NULL, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 0, 1, 2, 12, 48, TTB_S2, 0x1234, 1 },
	{ "EATS=10 with ATSCHK=0 acts as 00", base_nested,
	  { F(STE_EATS, 2) }, NULL, false,
	  0, 0, 1, 1, WORLD_NS_EL1, 0, 1, 2, 12, 48, TTB_S2, 0x1234, 1 },
};

static void test_ste_decode_variants(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(var_rows) / sizeof(var_rows[0]); i++) {
		const struct var_row *r = &var_rows[i];
		struct env e;
		struct ste_cfg s;
		uint64_t raw[8];

		env_init(&e);
		if (r->impl)
			r->impl(&e.smmu->impl);
		if (r->e2h)
			assert_true(regs_write(e.smmu, SMMU_CR2_OFF, 4, 1));
		r->base(raw);
		set_rows(raw, r);
		expect_field(i, r->name, "decode", ste_decode(e.smmu, raw, &s),
			     1);
		expect_field(i, r->name, "abort", s.abort, r->abort);
		expect_field(i, r->name, "bypass", s.bypass, r->bypass);
		expect_field(i, r->name, "s1_en", s.s1_en, r->s1);
		expect_field(i, r->name, "s2_en", s.s2_en, r->s2);
		expect_field(i, r->name, "world", s.world, r->world);
		expect_field(i, r->name, "eats", s.eats, r->eats);
		expect_field(i, r->name, "vmid", s.s2.vmid, r->vmid);
		if (r->s2) {
			expect_field(i, r->name, "start", s.s2.start_level,
				     r->start);
			expect_field(i, r->name, "concat", s.s2.concat,
				     r->concat);
			expect_field(i, r->name, "granule",
				     s.s2.granule_shift, r->granule);
			expect_field(i, r->name, "oas", s.s2.oas_bits, r->oas);
			expect_field(i, r->name, "ttb", s.s2.ttb, r->ttb);
			expect_field(i, r->name, "hd", s.s2.hd, r->hd);
		}
		env_fini(&e);
	}
}

/* ILLEGAL rules (facts §3.5): a valid base plus a change -> C_BAD_STE.
 * Rows marked ok=1 are the neighbouring legal configuration. */
struct ill_row {
	const char *name;
	void (*base)(uint64_t *raw);
	struct {
		struct fld f;
		uint64_t v;
		bool used;
	} set[4];
	void (*impl)(struct smmu_impl *impl);
	bool ok;
};

static void impl_no_s1p(struct smmu_impl *p) { p->s1p = false; }
static void impl_no_s2p(struct smmu_impl *p) { p->s2p = false; }
static void impl_ns1ats(struct smmu_impl *p) { p->ns1ats = true; }
static void impl_no_ats(struct smmu_impl *p) { p->ats = false; }
static void impl_no_hyp(struct smmu_impl *p) { p->hyp = false; }
static void impl_stall1(struct smmu_impl *p) { p->stall_model = 1; }
static void impl_stall2(struct smmu_impl *p) { p->stall_model = 2; }
static void impl_ssid4(struct smmu_impl *p) { p->ssidsize = 4; }
static void impl_ssid0(struct smmu_impl *p) { p->ssidsize = 0; }
static void impl_no_cd2l(struct smmu_impl *p) { p->cd2l = false; }
static void impl_httu0(struct smmu_impl *p) { p->httu = 0; }
static void impl_httu1(struct smmu_impl *p) { p->httu = 1; }
static void impl_httu3(struct smmu_impl *p) { p->httu = 3; }
static void impl_no64k(struct smmu_impl *p) { p->gran64k = false; }
static void impl_le(struct smmu_impl *p) { p->ttendian = 2; }
static void impl_be(struct smmu_impl *p) { p->ttendian = 3; }
static void impl_vmid8(struct smmu_impl *p) { p->vmid16 = false; }
static void impl_v30(struct smmu_impl *p) { p->arch_minor = 0; }

static const struct ill_row ill_rows[] = {
	{ "V=0", base_nested, { F(STE_V, 0) }, NULL, 0 },
	{ "V=0 Config 000", base_nested, { F(STE_V, 0), F(STE_CONFIG, 0) },
	  NULL, 0 },
	/* 1. stages not implemented */
	{ "S1 without S1P", base_s1, NOSET, impl_no_s1p, 0 },
	{ "S2 without S2P", base_nested, { F(STE_CONFIG, 6) }, impl_no_s2p,
	  0 },
	{ "bypass without S1P/S2P", base_nested, { F(STE_CONFIG, 4) },
	  impl_no_s2p, 1 },
	/* 2. ATS */
	{ "EATS=10 with S1 only", base_s1, { F(STE_EATS, 2) }, NULL, 0 },
	{ "EATS=10 with S2 only", base_nested,
	  { F(STE_EATS, 2), F(STE_CONFIG, 6) }, NULL, 0 },
	{ "EATS=10 with S2S", base_nested,
	  { F(STE_EATS, 2), F(STE_S2S, 1) }, NULL, 0 },
	{ "EATS=10 with NS1ATS", base_nested, { F(STE_EATS, 2) },
	  impl_ns1ats, 0 },
	{ "EATS=10 nested", base_nested, { F(STE_EATS, 2) }, NULL, 1 },
	{ "EATS=10 without ATS", base_s1, { F(STE_EATS, 2) }, impl_no_ats,
	  1 },
	{ "EATS=01 S2S nested", base_nested, { F(STE_S2S, 1) }, NULL, 0 },
	{ "EATS=01 S2S S1-only", base_s1, { F(STE_S2S, 1) }, NULL, 1 },
	{ "EATS=10 bypass", base_nested,
	  { F(STE_EATS, 2), F(STE_CONFIG, 4) }, NULL, 1 },
	/* 3. STRW */
	{ "STRW=01 S1-only", base_s1, { F(STE_STRW, 1) }, NULL, 0 },
	{ "STRW=11 S1-only", base_s1, { F(STE_STRW, 3) }, NULL, 0 },
	{ "STRW=01 without Hyp", base_s1, { F(STE_STRW, 1) }, impl_no_hyp,
	  1 },
	{ "STRW=11 bypass", base_nested,
	  { F(STE_STRW, 3), F(STE_CONFIG, 4) }, NULL, 1 },
	/* 4. stage 1 */
	{ "S1STALLD with STALL_MODEL 01", base_s1,
	  { F(STE_S1STALLD, 1), F(STE_S2S, 0) }, impl_stall1, 0 },
	{ "S1STALLD with STALL_MODEL 00", base_s1, { F(STE_S1STALLD, 1) },
	  NULL, 1 },
	{ "S1CDMax > SSIDSIZE", base_s1, { F(STE_S1CDMAX, 21) }, NULL, 0 },
	{ "S1CDMax 5 > SSIDSIZE 4", base_s1, { F(STE_S1CDMAX, 5) },
	  impl_ssid4, 0 },
	{ "S1CDMax 4 = SSIDSIZE 4", base_s1, NOSET, impl_ssid4, 1 },
	{ "S1CDMax ignored SSIDSIZE 0", base_s1, { F(STE_S1CDMAX, 31) },
	  impl_ssid0, 1 },
	{ "S1Fmt 01 without CD2L", base_s1, { F(STE_S1FMT, 1) },
	  impl_no_cd2l, 0 },
	{ "S1Fmt 10 without CD2L", base_s1, { F(STE_S1FMT, 2) },
	  impl_no_cd2l, 0 },
	{ "S1Fmt 11 without CD2L", base_s1, { F(STE_S1FMT, 3) },
	  impl_no_cd2l, 1 },
	{ "S1Fmt 01 no substreams", base_s1,
	  { F(STE_S1FMT, 1), F(STE_S1CDMAX, 0) }, impl_no_cd2l, 1 },
	{ "S1ContextPtr beyond OAS", base_s1,
	  { F(STE_S1CONTEXTPTR, (UINT64_C(1) << 48) >> 6) }, NULL, 0 },
	{ "S1ContextPtr beyond OAS 40", base_s1,
	  { F(STE_S1CONTEXTPTR, (UINT64_C(1) << 40) >> 6) }, impl_oas40, 0 },
	{ "S1ContextPtr top of OAS", base_s1,
	  { F(STE_S1CONTEXTPTR, ((UINT64_C(1) << 48) - 64) >> 6) }, NULL,
	  1 },
	{ "S1ContextPtr IPA beyond IAS", base_nested,
	  { F(STE_S1CONTEXTPTR, (UINT64_C(1) << 48) >> 6) }, NULL, 0 },
	{ "S1ContextPtr ignored S2-only", base_nested,
	  { F(STE_CONFIG, 6), F(STE_S1CONTEXTPTR, (UINT64_C(1) << 50) >> 6) },
	  NULL, 1 },
	/* 5. stage 2 */
	{ "S2S with STALL_MODEL 01", base_nested,
	  { F(STE_S2S, 1), F(STE_EATS, 0) }, impl_stall1, 0 },
	{ "S2S=0 with STALL_MODEL 10", base_nested, NOSET, impl_stall2, 0 },
	{ "S2S=1 with STALL_MODEL 10", base_nested,
	  { F(STE_S2S, 1), F(STE_EATS, 0) }, impl_stall2, 1 },
	{ "S2AA64=0", base_nested, { F(STE_S2AA64, 0) }, NULL, 0 },
	{ "S2HA with HTTU 00", base_nested, { F(STE_S2HD, 0) }, impl_httu0,
	  0 },
	{ "S2HD with HTTU 00", base_nested, { F(STE_S2HA, 0) }, impl_httu0,
	  0 },
	{ "S2HD with HTTU 01", base_nested, NOSET, impl_httu1, 0 },
	{ "S2HA with HTTU 01", base_nested, { F(STE_S2HD, 0) }, impl_httu1,
	  1 },
	{ "S2HAFT without S2HA, HTTU 11", base_nested,
	  { F(STE_S2HAFT, 1), F(STE_S2HA, 0), F(STE_S2HD, 0) }, impl_httu3,
	  0 },
	{ "S2HAFT with S2HA, HTTU 11", base_nested, { F(STE_S2HAFT, 1) },
	  impl_httu3, 1 },
	{ "S2TG reserved", base_nested, { F(STE_S2TG, 3) }, NULL, 0 },
	{ "S2TG 64K unsupported", base_nested,
	  { F(STE_S2TG, TG0_64K), F(STE_S2T0SZ, 22), F(STE_S2SL0, 1) },
	  impl_no64k, 0 },
	{ "S2TTB beyond S2PS", base_nested,
	  { F(STE_S2PS, 2), F(STE_S2TTB, (UINT64_C(1) << 40) >> 4) }, NULL,
	  0 },
	{ "S2TTB within S2PS", base_nested,
	  { F(STE_S2PS, 2), F(STE_S2TTB, ((UINT64_C(1) << 40) - 0x2000) >> 4) },
	  NULL, 1 },
	{ "S2TTB beyond OAS (S2PS capped)", base_nested,
	  { F(STE_S2TTB, (UINT64_C(1) << 40) >> 4) }, impl_oas40, 0 },
	{ "S2TTB > 48 bits with 4K", base_nested,
	  { F(STE_S2PS, 6), F(STE_S2TTB, (UINT64_C(1) << 49) >> 4) },
	  impl_oas52, 0 },
	{ "S2TTB > 48 bits with 64K", base_nested,
	  { F(STE_S2PS, 6), F(STE_S2TTB, (UINT64_C(1) << 49) >> 4),
	    F(STE_S2TG, TG0_64K), F(STE_S2SL0, 1) }, impl_oas52, 1 },
	{ "S2T0SZ 15 < 16", base_nested,
	  { F(STE_S2T0SZ, 15), F(STE_S2SL0, 2) }, NULL, 0 },
	{ "S2T0SZ 16 L0", base_nested,
	  { F(STE_S2T0SZ, 16), F(STE_S2SL0, 2) }, NULL, 1 },
	{ "S2T0SZ 16 < 64-IAS (OAS 40)", base_nested,
	  { F(STE_S2T0SZ, 16), F(STE_S2SL0, 2) }, impl_oas40, 0 },
	{ "S2T0SZ 24 = 64-IAS (OAS 40)", base_nested,
	  { F(STE_S2T0SZ, 24), F(STE_S2SL0, 1) }, impl_oas40, 1 },
	{ "S2T0SZ 40 > 39 without STT", base_nested,
	  { F(STE_S2T0SZ, 40), F(STE_S2SL0, 0) }, NULL, 0 },
	{ "S2T0SZ 40 with STT", base_nested,
	  { F(STE_S2T0SZ, 40), F(STE_S2SL0, 0) }, impl_stt, 1 },
	{ "S2T0SZ 49 > 48 with STT", base_nested,
	  { F(STE_S2T0SZ, 49), F(STE_S2SL0, 3) }, impl_stt, 0 },
	{ "S2T0SZ 48 64K > 47 with STT", base_nested,
	  { F(STE_S2T0SZ, 48), F(STE_S2SL0, 0), F(STE_S2TG, TG0_64K) },
	  impl_stt, 0 },
	{ "S2T0SZ 15 v3.0 IAS 48", base_nested,
	  { F(STE_S2T0SZ, 15), F(STE_S2SL0, 2) }, impl_v30, 0 },
	{ "SL0 L2 too shallow for 40-bit", base_nested,
	  { F(STE_S2SL0, 0) }, NULL, 0 },
	{ "SL0 L0 too deep for 33-bit", base_nested,
	  { F(STE_S2T0SZ, 31), F(STE_S2SL0, 2) }, NULL, 0 },
	{ "SL0 L1 32 tables", base_nested,
	  { F(STE_S2T0SZ, 20) }, NULL, 0 },
	{ "SL0 11 4K without STT", base_nested,
	  { F(STE_S2T0SZ, 39), F(STE_S2SL0, 3) }, NULL, 0 },
	{ "SL0 11 16K needs DS", base_nested,
	  { F(STE_S2TG, TG0_16K), F(STE_S2T0SZ, 16), F(STE_S2SL0, 3) }, NULL,
	  0 },
	{ "SL0 11 64K reserved", base_nested,
	  { F(STE_S2TG, TG0_64K), F(STE_S2T0SZ, 16), F(STE_S2SL0, 3) }, NULL,
	  0 },
	{ "S2ENDI=1 with LE only", base_nested, { F(STE_S2ENDI, 1) },
	  impl_le, 0 },
	{ "S2ENDI=0 with BE only", base_nested, NOSET, impl_be, 0 },
	{ "S2ENDI=1 with BE only", base_nested, { F(STE_S2ENDI, 1) },
	  impl_be, 1 },
	{ "S2 fields ignored S1-only", base_s1,
	  { F(STE_S2TG, 3), F(STE_S2AA64, 0), F(STE_S2T0SZ, 0) }, NULL, 1 },
	/* 6. VMID16 */
	{ "S2VMID[15:8] without VMID16", base_nested, NOSET, impl_vmid8, 0 },
	{ "S2VMID[15:8] S1-only EL1", base_s1, NOSET, impl_vmid8, 0 },
	{ "S2VMID[15:8] S1-only EL2", base_s1, { F(STE_STRW, 2) },
	  impl_vmid8, 1 },
	{ "S2VMID 8-bit without VMID16", base_nested, { F(STE_S2VMID, 0x34) },
	  impl_vmid8, 1 },
};

static void test_ste_illegal(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ill_rows) / sizeof(ill_rows[0]); i++) {
		const struct ill_row *r = &ill_rows[i];
		struct env e;
		struct ste_cfg s;
		uint64_t raw[8];

		env_init(&e);
		if (r->impl)
			r->impl(&e.smmu->impl);
		r->base(raw);
		for (unsigned k = 0; k < 4; k++)
			if (r->set[k].used)
				fset(raw, r->set[k].f, r->set[k].v);
		expect_field(i, r->name, "valid", ste_decode(e.smmu, raw, &s),
			     r->ok);
		env_fini(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtab_locate),
		cmocka_unit_test(test_strtab_lookup_at),
		cmocka_unit_test(test_ste_decode_valid),
		cmocka_unit_test(test_ste_decode_variants),
		cmocka_unit_test(test_ste_illegal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
