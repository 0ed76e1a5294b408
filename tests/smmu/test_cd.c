/* SPDX-License-Identifier: MIT */
/*
 * CD table lookup, S1DSS / SubstreamID handling, CD decode and ILLEGAL
 * rules (facts §4.1 - §4.4, §9.2).
 */
#include "testutil.h"

#include <string.h>

#include "smmu/smmu_internal.h"
#include "smmu/cd.h"
#include "smmu/ste.h"

#define RAM_SIZE (UINT64_C(1) << 32)
#define HOLE UINT64_C(0x100000000)
#define MEM_ACCESS 10u
#define MEM_LINE 1u

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

#define TTB0 UINT64_C(0x600000)
#define TTB1 UINT64_C(0x700000)

/* A valid CD: TTB0 4K 48-bit (level 0), TTB1 64K 42-bit (level 2). */
static void base_cd(uint64_t *cd)
{
	memset(cd, 0, 64);
	fset(cd, CD_T0SZ, 16);
	fset(cd, CD_TG0, TG0_4K);
	fset(cd, CD_IR0, 1);
	fset(cd, CD_OR0, 2);
	fset(cd, CD_SH0, 3);
	fset(cd, CD_T1SZ, 22);
	fset(cd, CD_TG1, TG1_64K);
	fset(cd, CD_IR1, 3);
	fset(cd, CD_OR1, 1);
	fset(cd, CD_SH1, 2);
	fset(cd, CD_V, 1);
	fset(cd, CD_IPS, 5);
	fset(cd, CD_AFFD, 1);
	fset(cd, CD_WXN, 1);
	fset(cd, CD_TBI0, 1);
	fset(cd, CD_PAN, 1);
	fset(cd, CD_AA64, 1);
	fset(cd, CD_HA, 1);
	fset(cd, CD_HD, 1);
	fset(cd, CD_R, 1);
	fset(cd, CD_A, 1);
	fset(cd, CD_ASET, 1);
	fset(cd, CD_ASID, 0x1234);
	fset(cd, CD_HAD0, 1);
	fset(cd, CD_TTB0, TTB0 >> 4);
	fset(cd, CD_TTB1, TTB1 >> 4);
	fset(cd, CD_MAIR, UINT64_C(0x0000000000FF4400));
}

/* An S1-only STE decoded for the tests, CD table at ptr. */
static void make_ste(struct env *e, struct ste_cfg *s, unsigned config,
		     unsigned strw, unsigned fmt, unsigned cdmax,
		     unsigned dss, uint64_t ptr)
{
	uint64_t raw[8] = { 0 };

	fset(raw, STE_V, 1);
	fset(raw, STE_CONFIG, config);
	fset(raw, STE_STRW, strw);
	fset(raw, STE_S1FMT, fmt);
	fset(raw, STE_S1CDMAX, cdmax);
	fset(raw, STE_S1DSS, dss);
	fset(raw, STE_S1CONTEXTPTR, ptr >> 6);
	/* stage 2 for nested rows: 4K, 40-bit IPA, level 1 */
	fset(raw, STE_S2T0SZ, 24);
	fset(raw, STE_S2SL0, 1);
	fset(raw, STE_S2PS, 5);
	fset(raw, STE_S2AA64, 1);
	fset(raw, STE_S2TTB, UINT64_C(0x500000) >> 4);
	assert_true(ste_decode(e->smmu, raw, s));
}

static void test_cd_decode_valid(void **state)
{
	struct env e;
	struct ste_cfg ste;
	struct cd_cfg c;
	uint64_t cd[8];

	(void)state;
	env_init(&e);
	make_ste(&e, &ste, 5, 0, 0, 0, 0, 0x400000);
	base_cd(cd);
	fset(cd, CD_TTB0, (TTB0 + 0xFF0) >> 4); /* aligned to 4 KB table */
	assert_true(cd_decode(e.smmu, &ste, cd, &c));
	assert_memory_equal(c.raw, cd, sizeof(cd));
	struct {
		const char *n;
		uint64_t got, want;
	} f[] = {
		{ "asid", c.asid, 0x1234 },
		{ "aset", c.aset, 1 },
		{ "a", c.a, 1 },
		{ "r", c.r, 1 },
		{ "s", c.s, 0 },
		{ "aa64", c.aa64, 1 },
		{ "tt0.stage", c.tt[0].stage, 1 },
		{ "tt0.granule", c.tt[0].granule_shift, 12 },
		{ "tt0.tsz", c.tt[0].tsz, 16 },
		{ "tt0.start", (uint64_t)c.tt[0].start_level, 0 },
		{ "tt0.ttb", c.tt[0].ttb, TTB0 },
		{ "tt0.oas", c.tt[0].oas_bits, 48 },
		{ "tt0.disabled", c.tt[0].disabled, 0 },
		{ "tt0.affd", c.tt[0].affd, 1 },
		{ "tt0.ha", c.tt[0].ha, 1 },
		{ "tt0.hd", c.tt[0].hd, 1 },
		{ "tt0.tbi", c.tt[0].tbi, 1 },
		{ "tt0.wxn", c.tt[0].wxn, 1 },
		{ "tt0.pan", c.tt[0].pan, 1 },
		{ "tt0.had", c.tt[0].had, 1 },
		{ "tt0.one_priv", c.tt[0].one_priv, 0 },
		{ "tt0.mair", c.tt[0].mair, 0xFF4400 },
		{ "tt0.asid", c.tt[0].asid, 0x1234 },
		{ "tt0.ir", c.tt[0].ir, 1 },
		{ "tt0.or", c.tt[0].or_, 2 },
		{ "tt0.sh", c.tt[0].sh, 3 },
		{ "tt1.granule", c.tt[1].granule_shift, 16 },
		{ "tt1.tsz", c.tt[1].tsz, 22 },
		{ "tt1.start", (uint64_t)c.tt[1].start_level, 2 },
		{ "tt1.ttb", c.tt[1].ttb, TTB1 },
		{ "tt1.tbi", c.tt[1].tbi, 0 },
		{ "tt1.had", c.tt[1].had, 0 },
		{ "tt1.ir", c.tt[1].ir, 3 },
		{ "tt1.or", c.tt[1].or_, 1 },
		{ "tt1.sh", c.tt[1].sh, 2 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		expect_field(i, "valid CD", f[i].n, f[i].got, f[i].want);

	/* EL2 world: one privilege level, no ASID, EPD ignored, TTB1
	 * unused (its fields may be anything) */
	make_ste(&e, &ste, 5, 2, 0, 0, 0, 0x400000);
	assert_int_equal(ste.world, WORLD_NS_EL2);
	base_cd(cd);
	fset(cd, CD_EPD0, 1);
	fset(cd, CD_TG1, TG1_RSVD);
	assert_true(cd_decode(e.smmu, &ste, cd, &c));
	assert_false(c.tt[0].disabled);
	assert_true(c.tt[1].disabled);
	assert_true(c.tt[0].one_priv);
	assert_false(c.tt[0].pan);
	assert_int_equal(c.asid, 0);
	env_fini(&e);
}

struct cd_row {
	const char *name;
	struct {
		struct fld f;
		uint64_t v;
		bool used;
	} set[4];
	void (*impl)(struct smmu_impl *impl);
	bool s1stalld, el2;
	bool ok;
};

#define F(name, val) { name, val, true }
#define NOSET { { { 0, 0, 0 }, 0, false } }

static void impl_term(struct smmu_impl *p) { p->term_model = true; }
static void impl_stall1(struct smmu_impl *p) { p->stall_model = 1; }
static void impl_stall2(struct smmu_impl *p) { p->stall_model = 2; }
static void impl_le(struct smmu_impl *p) { p->ttendian = 2; }
static void impl_be(struct smmu_impl *p) { p->ttendian = 3; }
static void impl_httu0(struct smmu_impl *p) { p->httu = 0; }
static void impl_httu1(struct smmu_impl *p) { p->httu = 1; }
static void impl_httu3(struct smmu_impl *p) { p->httu = 3; }
static void impl_asid8(struct smmu_impl *p) { p->asid16 = false; }
static void impl_stt(struct smmu_impl *p) { p->stt = true; }
static void impl_vax1(struct smmu_impl *p) { p->vax = 1; }
static void impl_no16k(struct smmu_impl *p) { p->gran16k = false; }
static void impl_oas52(struct smmu_impl *p) { p->oas = 6; }

static const struct cd_row cd_rows[] = {
	{ "V=0", { F(CD_V, 0) }, NULL, 0, 0, 0 },
	{ "S with STE.S1STALLD", { F(CD_S, 1) }, NULL, 1, 0, 0 },
	{ "S without S1STALLD", { F(CD_S, 1) }, NULL, 0, 0, 1 },
	{ "A=0 with TERM_MODEL", { F(CD_A, 0) }, impl_term, 0, 0, 0 },
	{ "A=0 without TERM_MODEL", { F(CD_A, 0) }, NULL, 0, 0, 1 },
	{ "S=1 with STALL_MODEL 01", { F(CD_S, 1) }, impl_stall1, 0, 0, 0 },
	{ "S=0 with STALL_MODEL 10", NOSET, impl_stall2, 0, 0, 0 },
	{ "S=1 with STALL_MODEL 10", { F(CD_S, 1) }, impl_stall2, 0, 0, 1 },
	{ "ENDI=1 with LE only", { F(CD_ENDI, 1) }, impl_le, 0, 0, 0 },
	{ "ENDI=0 with BE only", NOSET, impl_be, 0, 0, 0 },
	{ "ENDI=1 LE only, both EPD", { F(CD_ENDI, 1), F(CD_EPD0, 1),
	  F(CD_EPD1, 1) }, impl_le, 0, 0, 1 },
	{ "AA64=0", { F(CD_AA64, 0) }, NULL, 0, 0, 0 },
	{ "HA with HTTU 00", { F(CD_HD, 0) }, impl_httu0, 0, 0, 0 },
	{ "HD with HTTU 00", { F(CD_HA, 0) }, impl_httu0, 0, 0, 0 },
	{ "HD with HTTU 01", NOSET, impl_httu1, 0, 0, 0 },
	{ "HA with HTTU 01", { F(CD_HD, 0) }, impl_httu1, 0, 0, 1 },
	{ "HAFT without HA, HTTU 11", { F(CD_HAFT, 1), F(CD_HA, 0),
	  F(CD_HD, 0) }, impl_httu3, 0, 0, 0 },
	{ "ASID[15:8] without ASID16", NOSET, impl_asid8, 0, 0, 0 },
	{ "8-bit ASID without ASID16", { F(CD_ASID, 0x34) }, impl_asid8, 0,
	  0, 1 },
	{ "ASID[15:8] EL2 world", NOSET, impl_asid8, 0, 1, 1 },
	{ "T0SZ 15 < 16", { F(CD_T0SZ, 15) }, NULL, 0, 0, 0 },
	{ "T0SZ 40 > 39", { F(CD_T0SZ, 40) }, NULL, 0, 0, 0 },
	{ "T0SZ 40 with STT", { F(CD_T0SZ, 40) }, impl_stt, 0, 0, 1 },
	{ "T0SZ 49 with STT", { F(CD_T0SZ, 49) }, impl_stt, 0, 0, 0 },
	{ "T1SZ 48 64K with STT", { F(CD_T1SZ, 48) }, impl_stt, 0, 0, 0 },
	{ "T0SZ 40 with EPD0", { F(CD_T0SZ, 40), F(CD_EPD0, 1) }, NULL, 0, 0,
	  1 },
	{ "T1SZ 12 64K with VAX 01", { F(CD_T1SZ, 12) }, impl_vax1, 0, 0, 1 },
	{ "T1SZ 12 64K without VAX", { F(CD_T1SZ, 12) }, NULL, 0, 0, 0 },
	{ "T0SZ 12 4K with VAX 01", { F(CD_T0SZ, 12) }, impl_vax1, 0, 0, 0 },
	{ "TG0 reserved", { F(CD_TG0, TG0_RSVD) }, NULL, 0, 0, 0 },
	{ "TG1 00 reserved", { F(CD_TG1, TG1_RSVD) }, NULL, 0, 0, 0 },
	{ "TG1 reserved with EPD1", { F(CD_TG1, TG1_RSVD), F(CD_EPD1, 1) },
	  NULL, 0, 0, 1 },
	{ "TG0 16K unsupported", { F(CD_TG0, TG0_16K), F(CD_T0SZ, 17) },
	  impl_no16k, 0, 0, 0 },
	{ "TG0 16K supported", { F(CD_TG0, TG0_16K), F(CD_T0SZ, 17) }, NULL,
	  0, 0, 1 },
	{ "TTB0 beyond IPS", { F(CD_IPS, 2), F(CD_TTB0, (UINT64_C(1) << 40)
						      >> 4) }, NULL, 0, 0, 0 },
	{ "TTB1 beyond OAS (IPS capped)", { F(CD_IPS, 6),
	  F(CD_TTB1, (UINT64_C(1) << 48) >> 4) }, NULL, 0, 0, 0 },
	{ "TTB0 > 48 bits with 4K", { F(CD_IPS, 6),
	  F(CD_TTB0, (UINT64_C(1) << 49) >> 4) }, impl_oas52, 0, 0, 0 },
	{ "TTB1 > 48 bits with 64K", { F(CD_IPS, 6),
	  F(CD_TTB1, (UINT64_C(1) << 49) >> 4) }, impl_oas52, 0, 0, 1 },
	{ "TTB0 beyond IPS with EPD0", { F(CD_IPS, 2), F(CD_EPD0, 1),
	  F(CD_TTB0, (UINT64_C(1) << 40) >> 4) }, NULL, 0, 0, 1 },
};

static void test_cd_illegal(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cd_rows) / sizeof(cd_rows[0]); i++) {
		const struct cd_row *r = &cd_rows[i];
		struct env e;
		struct ste_cfg ste;
		struct cd_cfg c;
		uint64_t cd[8];

		env_init(&e);
		make_ste(&e, &ste, 5, r->el2 ? 2 : 0, 0, 0, 0, 0x400000);
		ste.s1stalld = r->s1stalld;
		if (r->impl)
			r->impl(&e.smmu->impl);
		base_cd(cd);
		for (unsigned k = 0; k < 4; k++)
			if (r->set[k].used)
				fset(cd, r->set[k].f, r->set[k].v);
		expect_field(i, r->name, "valid", cd_decode(e.smmu, &ste, cd, &c),
			     r->ok);
		env_fini(&e);
	}
}

/* --- lookup --------------------------------------------------------- */

static void put_cd(struct pmem *mem, uint64_t addr, uint16_t asid, bool v)
{
	uint64_t cd[8];

	base_cd(cd);
	fset(cd, CD_ASID, asid);
	fset(cd, CD_V, v);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(pmem_write64(mem, addr + 8 * i, cd[i], NULL),
				 MEM_OK);
}

static void put_l1(struct pmem *mem, uint64_t addr, uint64_t l2, bool v)
{
	uint64_t d = l2;

	fset(&d, L1CD_V, v);
	assert_int_equal(pmem_write64(mem, addr, d, NULL), MEM_OK);
}

#define NOSSID 0xFFFFFFFFu

struct look_row {
	const char *name;
	unsigned config, fmt, cdmax, dss;
	uint64_t ptr;
	uint8_t ssidsize;     /* 0: preset */
	uint32_t ssid;        /* NOSSID: no SubstreamID */
	int ret;
	uint8_t ev;
	uint16_t asid;        /* identifies the CD found */
	uint64_t fetch_addr;
};

#define LIN UINT64_C(0x400000)
#define L1_4K UINT64_C(0x800000)
#define L1_64K UINT64_C(0xB00000)

static const struct look_row look_rows[] = {
	/* facts §4.3 */
	{ "CDMax 0, no SSID", 5, 0, 0, 0, LIN, 0, NOSSID, 1, 0, 0x100, 0 },
	{ "CDMax 0, SSID", 5, 0, 0, 0, LIN, 0, 0, -1, EVT_C_BAD_SUBSTREAMID,
	  0, 0 },
	{ "SSIDSIZE 0, CDMax 4, no SSID", 5, 0, 4, 0, LIN, 0xFF, NOSSID, 1, 0,
	  0x100, 0 },
	{ "SSIDSIZE 0, SSID", 5, 0, 4, 0, LIN, 0xFF, 1, -1,
	  EVT_C_BAD_SUBSTREAMID, 0, 0 },
	{ "SSID >= 2^CDMax", 5, 0, 4, 0, LIN, 0, 16, -1,
	  EVT_C_BAD_SUBSTREAMID, 0, 0 },
	{ "no SSID, S1DSS 00", 5, 0, 4, 0, LIN, 0, NOSSID, -1,
	  EVT_F_STREAM_DISABLED, 0, 0 },
	{ "no SSID, S1DSS 11 = 00", 5, 0, 4, 3, LIN, 0, NOSSID, -1,
	  EVT_F_STREAM_DISABLED, 0, 0 },
	{ "no SSID, S1DSS 01 bypass", 5, 0, 4, 1, LIN, 0, NOSSID, 0, 0, 0,
	  0 },
	{ "no SSID, S1DSS 10 CD 0", 5, 0, 4, 2, LIN, 0, NOSSID, 1, 0, 0x100,
	  0 },
	{ "SSID 0, S1DSS 10", 5, 0, 4, 2, LIN, 0, 0, -1,
	  EVT_F_STREAM_DISABLED, 0, 0 },
	{ "SSID 0, S1DSS 00", 5, 0, 4, 0, LIN, 0, 0, 1, 0, 0x100, 0 },
	{ "SSID 3, S1DSS 10", 5, 0, 4, 2, LIN, 0, 3, 1, 0, 0x103, 0 },
	{ "SSID 15 last", 5, 0, 4, 1, LIN, 0, 15, 1, 0, 0x10F, 0 },
	{ "invalid CD 6", 5, 0, 4, 0, LIN, 0, 6, -1, EVT_C_BAD_CD, 0, 0 },
	{ "nested, stage-2 fetch", 7, 0, 4, 0, LIN, 0, 3, 1, 0, 0x103, 0 },
	{ "nested, stage-2 fault", 7, 0, 4, 0, UINT64_C(0x40000000), 0, 3,
	  -1, EVT_F_TRANSLATION, 0, 0 },
	/* 2-level, 4 KB leaves */
	{ "4K leaves SSID 0x45", 5, 1, 8, 0, L1_4K, 0, 0x45, 1, 0, 0x205, 0 },
	{ "4K leaves L1CD V=0", 5, 1, 8, 0, L1_4K, 0, 0x85, -1,
	  EVT_C_BAD_SUBSTREAMID, 0, 0 },
	{ "4K leaves L2 in a hole", 5, 1, 8, 0, L1_4K, 0, 0xC5, -1,
	  EVT_F_CD_FETCH, 0, HOLE + 5 * 64 },
	{ "4K leaves L2Ptr beyond OAS", 5, 1, 9, 0, L1_4K, 0, 0x105, -1,
	  EVT_C_BAD_SUBSTREAMID, 0, 0 },
	{ "4K leaves CDMax 6 uses L1[0]", 5, 1, 6, 0, L1_4K, 0, 0x05, 1, 0,
	  0x305, 0 },
	{ "L1 table in a hole", 5, 1, 8, 0, HOLE, 0, 0x45, -1, EVT_F_CD_FETCH,
	  0, HOLE + 8 },
	/* 2-level, 64 KB leaves */
	{ "64K leaves SSID 0x405", 5, 2, 12, 0, L1_64K, 0, 0x405, 1, 0,
	  0x405, 0 },
	{ "CD table in a hole", 5, 0, 4, 0, HOLE, 0, 2, -1, EVT_F_CD_FETCH, 0,
	  HOLE + 128 },
};

/* Stage 2 of the nested rows: IPA [0, 1 GiB) identity-mapped by a
 * level-1 block (S2AP RW, AF, Normal WB), [1 GiB, 2 GiB) unmapped. */
#define S2_BLOCK_RW_AF UINT64_C(0x7FD)

static void lookup_mem(struct pmem *mem)
{
	assert_int_equal(pmem_write64(mem, 0x500000, S2_BLOCK_RW_AF, NULL),
			 MEM_OK);
	/* linear table of 16 CDs, ASID 0x100 + index; CD 6 invalid */
	for (unsigned i = 0; i < 16; i++)
		put_cd(mem, LIN + 64 * i, (uint16_t)(0x100 + i), i != 6);
	/* 4K leaves: L1[0] -> 0x980000, L1[1] -> 0x900000, L1[2] invalid,
	 * L1[3] -> hole, L1[4] -> beyond the OAS */
	put_l1(mem, L1_4K, 0x980000, true);
	put_l1(mem, L1_4K + 8, 0x900000, true);
	put_l1(mem, L1_4K + 16, 0x900000, false);
	put_l1(mem, L1_4K + 24, HOLE, true);
	put_l1(mem, L1_4K + 32, UINT64_C(1) << 50, true);
	put_cd(mem, 0x900000 + 5 * 64, 0x205, true);
	put_cd(mem, 0x980000 + 5 * 64, 0x305, true);
	/* 64K leaves: L1[1] -> 0xA00000 (L2Ptr[15:12] RES0, ignored) */
	put_l1(mem, L1_64K + 8, 0xA0F000, true);
	put_cd(mem, 0xA00000 + 5 * 64, 0x405, true);
}

static void test_cd_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(look_rows) / sizeof(look_rows[0]);
	     i++) {
		const struct look_row *r = &look_rows[i];
		struct env e;
		struct ste_cfg ste;
		struct cd_cfg c;
		struct smmu_event ev;
		uint64_t cycles = 0;
		int ret;

		env_init(&e);
		lookup_mem(e.mem);
		if (r->ssidsize)
			e.smmu->impl.ssidsize = r->ssidsize == 0xFF
							? 0
							: r->ssidsize;
		make_ste(&e, &ste, r->config, 0, r->fmt, r->cdmax, r->dss,
			 r->ptr);
		memset(&ev, 0, sizeof(ev));
		memset(&c, 0, sizeof(c));
		ret = cd_lookup(e.smmu, 7, &ste, r->ssid != NOSSID,
				r->ssid == NOSSID ? 0 : r->ssid, &c, &ev,
				&cycles);
		expect_field(i, r->name, "ret", (int64_t)ret, (int64_t)r->ret);
		expect_field(i, r->name, "event", ev.id, r->ev);
		if (ret > 0)
			expect_field(i, r->name, "asid", c.asid, r->asid);
		if (r->ev == EVT_F_CD_FETCH)
			expect_field(i, r->name, "fetch_addr", ev.fetch_addr,
				     r->fetch_addr);
		if (r->ev == EVT_F_TRANSLATION) {
			expect_field(i, r->name, "s2", ev.s2, 1);
			expect_field(i, r->name, "class", ev.class_,
				     EVT_CLASS_CD);
			expect_field(i, r->name, "ipa", ev.ipa,
				     r->ptr + 3 * 64);
		}
		env_fini(&e);
	}
}

/* Cycles and the configuration cache on the CD path. */
static void test_cd_lookup_cycles(void **state)
{
	struct env e;
	struct ste_cfg ste;
	struct cd_cfg c;
	struct smmu_event ev;
	uint64_t cycles = 0;
	const struct smmu_latency *lat;

	(void)state;
	env_init(&e);
	lat = &e.smmu->impl.lat;
	lookup_mem(e.mem);
	make_ste(&e, &ste, 5, 0, 1, 8, 0, L1_4K);
	memset(&ev, 0, sizeof(ev));
	/* miss: probe + L1CD read + CD read + decode */
	assert_int_equal(cd_lookup(e.smmu, 7, &ste, true, 0x45, &c, &ev,
				   &cycles), 1);
	assert_int_equal(cycles, lat->cfg_lookup + 2 * (MEM_ACCESS + MEM_LINE) +
					 lat->cd_decode);
	assert_int_equal(e.smmu->stats.cfg_misses, 1);
	/* hit: probe only, even after the memory changed (stale) */
	put_cd(e.mem, 0x900000 + 5 * 64, 0x999, true);
	cycles = 0;
	assert_int_equal(cd_lookup(e.smmu, 7, &ste, true, 0x45, &c, &ev,
				   &cycles), 1);
	assert_int_equal(cycles, lat->cfg_lookup);
	assert_int_equal(c.asid, 0x205);
	assert_int_equal(e.smmu->stats.cfg_hits, 1);
	/* CFGI_CD: refetched */
	cfgcache_inv_cd(e.smmu, 7, 0x45);
	assert_int_equal(cd_lookup(e.smmu, 7, &ste, true, 0x45, &c, &ev,
				   &cycles), 1);
	assert_int_equal(c.asid, 0x999);
	/* an ILLEGAL CD is not cached: both lookups miss */
	put_cd(e.mem, 0x900000 + 6 * 64, 0x206, false);
	assert_int_equal(cd_lookup(e.smmu, 7, &ste, true, 0x46, &c, &ev,
				   &cycles), -1);
	assert_int_equal(cd_lookup(e.smmu, 7, &ste, true, 0x46, &c, &ev,
				   &cycles), -1);
	assert_int_equal(ev.id, EVT_C_BAD_CD);
	assert_int_equal(e.smmu->stats.cfg_misses, 4);
	assert_int_equal(e.smmu->stats.cfg_hits, 1);
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cd_decode_valid),
		cmocka_unit_test(test_cd_illegal),
		cmocka_unit_test(test_cd_lookup),
		cmocka_unit_test(test_cd_lookup_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
