/* SPDX-License-Identifier: MIT */
/*
 * Configuration cache: hits/misses through ste_lookup(), replacement
 * policies and the exact effect of each CFGI invalidation.
 */
#include "testutil.h"

#include <string.h>

#include "smmu/smmu_internal.h"
#include "smmu/regs.h"
#include "smmu/ste.h"

struct env {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
};

static void env_init(struct env *e, uint32_t sets, uint32_t ways,
		     enum smmu_repl_policy pol)
{
	struct smmu_impl impl;

	e->sim = sim_create(1);
	e->mem = pmem_create();
	pmem_set_default_latency(e->mem, (struct pmem_latency){ 10, 1 });
	assert_true(pmem_add_ram(e->mem, 0, UINT64_C(1) << 32) >= 0);
	assert_true(smmu_impl_preset("full", &impl));
	impl.cfgcache = (struct smmu_cache_geom){ sets, ways, pol };
	e->smmu = smmu_create(e->sim, e->mem, &impl);
	assert_non_null(e->smmu);
}

static void env_fini(struct env *e)
{
	smmu_destroy(e->smmu);
	pmem_destroy(e->mem);
	sim_destroy(e->sim);
}

/* A recognisable decoded STE: privcfg/memattr carry a tag. */
static struct ste_cfg tagged_ste(unsigned tag)
{
	struct ste_cfg s;

	memset(&s, 0, sizeof(s));
	s.memattr = (uint8_t)tag;
	return s;
}

static struct cd_cfg tagged_cd(unsigned tag)
{
	struct cd_cfg c;

	memset(&c, 0, sizeof(c));
	c.asid = (uint16_t)tag;
	return c;
}

static bool has_ste(struct env *e, uint32_t sid)
{
	struct ste_cfg s;

	return cfgcache_get_ste(e->smmu, sid, &s) && s.memattr == (sid & 0xFF);
}

static bool has_cd(struct env *e, uint32_t sid, uint32_t ssid)
{
	struct cd_cfg c;

	return cfgcache_get_cd(e->smmu, sid, ssid, &c) &&
	       c.asid == (uint16_t)(sid * 16 + ssid);
}

static void put(struct env *e, uint32_t sid)
{
	struct ste_cfg s = tagged_ste(sid & 0xFF);

	cfgcache_put_ste(e->smmu, sid, &s);
}

static void put_cd(struct env *e, uint32_t sid, uint32_t ssid)
{
	struct cd_cfg c = tagged_cd(sid * 16 + ssid);

	cfgcache_put_cd(e->smmu, sid, ssid, &c);
}

/* --- replacement ---------------------------------------------------- */

/* A CD fill never evicts the STE its translation is reading through
 * (cfgcache_ref_ste pins it); STE fills are not affected. */
static void test_pinned_ste(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, 1, 2, SMMU_REPL_FIFO);
	put(&e, 1);
	put_cd(&e, 1, 0);
	assert_non_null(cfgcache_ref_ste(e.smmu, 1));
	put_cd(&e, 1, 1);              /* FIFO victim would be STE 1 */
	assert_true(has_ste(&e, 1));
	assert_false(has_cd(&e, 1, 0));
	assert_true(has_cd(&e, 1, 1));
	put(&e, 2);                    /* an STE fill may take it */
	assert_false(has_ste(&e, 1));
	env_fini(&e);

	/* one way: the CD of a pinned STE's set is simply not cached */
	env_init(&e, 1, 1, SMMU_REPL_LRU);
	put(&e, 1);
	assert_non_null(cfgcache_ref_ste(e.smmu, 1));
	put_cd(&e, 1, 0);
	assert_true(has_ste(&e, 1));
	assert_false(has_cd(&e, 1, 0));
	env_fini(&e);
}

static void test_replacement(void **state)
{
	struct env e;

	(void)state;
	/* LRU: 1 set of 2 ways; touching 1 makes 2 the victim */
	env_init(&e, 1, 2, SMMU_REPL_LRU);
	put(&e, 1);
	put(&e, 2);
	assert_true(has_ste(&e, 1));
	put(&e, 3);
	assert_true(has_ste(&e, 1));
	assert_false(has_ste(&e, 2));
	assert_true(has_ste(&e, 3));
	env_fini(&e);

	/* FIFO: the oldest insertion goes, whatever was used */
	env_init(&e, 1, 2, SMMU_REPL_FIFO);
	put(&e, 1);
	put(&e, 2);
	assert_true(has_ste(&e, 1));
	put(&e, 3);
	assert_false(has_ste(&e, 1));
	assert_true(has_ste(&e, 2));
	assert_true(has_ste(&e, 3));
	/* re-putting a present key replaces in place */
	put(&e, 3);
	assert_true(has_ste(&e, 2));
	env_fini(&e);

	/* RANDOM: exactly one of the two old entries goes */
	env_init(&e, 1, 2, SMMU_REPL_RANDOM);
	put(&e, 1);
	put(&e, 2);
	put(&e, 3);
	assert_int_equal(has_ste(&e, 1) + has_ste(&e, 2), 1);
	assert_true(has_ste(&e, 3));
	env_fini(&e);

	/* STE and CD entries with the same numbers do not alias */
	env_init(&e, 1, 4, SMMU_REPL_LRU);
	put(&e, 1);
	put_cd(&e, 1, 0);
	assert_true(has_ste(&e, 1));
	assert_true(has_cd(&e, 1, 0));
	env_fini(&e);
}

static void test_disabled(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, 1, 0, SMMU_REPL_LRU); /* ways 0: no cache */
	put(&e, 1);
	put_cd(&e, 1, 1);
	assert_false(has_ste(&e, 1));
	assert_false(has_cd(&e, 1, 1));
	assert_int_equal(cfgcache_inv_all(e.smmu), 0);
	assert_int_equal(cfgcache_inv_ste(e.smmu, 1, 0), 0);
	assert_int_equal(cfgcache_inv_cd(e.smmu, 1, 1), 0);
	assert_int_equal(cfgcache_inv_cd_all(e.smmu, 1), 0);
	env_fini(&e);
}

/* --- invalidation --------------------------------------------------- */

static void fill_all(struct env *e)
{
	for (uint32_t sid = 0; sid < 8; sid++) {
		put(e, sid);
		put_cd(e, sid, 0);
		put_cd(e, sid, 1);
	}
}

struct inv_row {
	const char *name;
	int kind;            /* 0 STE/range, 1 CD, 2 CD_ALL, 3 ALL */
	uint32_t sid, arg;
	uint64_t scanned;
	uint8_t ste_gone;    /* bit per SID 0..7 */
	uint8_t cd0_gone, cd1_gone;
};

static const struct inv_row inv_rows[] = {
	{ "CFGI_STE 4 with its CDs", 0, 4, 0, 32, 0x10, 0x10, 0x10 },
	{ "CFGI_STE_RANGE 4 SIDs at 0", 0, 2, 2, 32, 0x0F, 0x0F, 0x0F },
	{ "CFGI_STE_RANGE 2 SIDs at 6", 0, 7, 1, 32, 0xC0, 0xC0, 0xC0 },
	{ "CFGI_STE range 32 = all", 0, 0, 32, 32, 0xFF, 0xFF, 0xFF },
	{ "CFGI_CD (4, 1)", 1, 4, 1, 32, 0x00, 0x00, 0x10 },
	{ "CFGI_CD_ALL 5", 2, 5, 0, 32, 0x00, 0x20, 0x20 },
	{ "CFGI_ALL", 3, 0, 0, 32, 0xFF, 0xFF, 0xFF },
};

static void test_invalidation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inv_rows) / sizeof(inv_rows[0]); i++) {
		const struct inv_row *r = &inv_rows[i];
		struct env e;
		uint64_t n = 0;

		/* one set of 32 ways: 24 entries fit without eviction */
		env_init(&e, 1, 32, SMMU_REPL_LRU);
		fill_all(&e);
		switch (r->kind) {
		case 0:
			n = cfgcache_inv_ste(e.smmu, r->sid, r->arg);
			break;
		case 1:
			n = cfgcache_inv_cd(e.smmu, r->sid, r->arg);
			break;
		case 2:
			n = cfgcache_inv_cd_all(e.smmu, r->sid);
			break;
		default:
			n = cfgcache_inv_all(e.smmu);
			break;
		}
		expect_field(i, r->name, "scanned", n, r->scanned);
		for (uint32_t sid = 0; sid < 8; sid++) {
			expect_field(i, r->name, "ste present",
				     has_ste(&e, sid),
				     !((r->ste_gone >> sid) & 1));
			expect_field(i, r->name, "cd0 present",
				     has_cd(&e, sid, 0),
				     !((r->cd0_gone >> sid) & 1));
			expect_field(i, r->name, "cd1 present",
				     has_cd(&e, sid, 1),
				     !((r->cd1_gone >> sid) & 1));
		}
		env_fini(&e);
	}
}

/* --- ste_lookup through the registers ------------------------------- */

static void test_ste_lookup_cached(void **state)
{
	struct env e;
	struct ste_cfg s;
	struct smmu_event ev;
	uint64_t cycles = 0, raw[8] = { 0 };
	const struct smmu_latency *lat;
	uint64_t cfg = 0;

	(void)state;
	env_init(&e, 16, 2, SMMU_REPL_LRU);
	lat = &e.smmu->impl.lat;
	cfg = rset(cfg, STRTAB_BASE_CFG_LOG2SIZE, 8);
	assert_true(regs_write(e.smmu, SMMU_STRTAB_BASE_OFF, 8, 0x100000));
	assert_true(regs_write(e.smmu, SMMU_STRTAB_BASE_CFG_OFF, 4, cfg));
	fset(raw, STE_V, 1);
	fset(raw, STE_CONFIG, STE_CONFIG_BYPASS);
	fset(raw, STE_MEMATTR, 5);
	for (unsigned i = 0; i < 8; i++)
		pmem_write64(e.mem, 0x100000 + 3 * 64 + 8 * i, raw[i], NULL);

	memset(&ev, 0, sizeof(ev));
	assert_true(ste_lookup(e.smmu, 3, &s, &ev, &cycles));
	assert_int_equal(s.memattr, 5);
	assert_int_equal(cycles, lat->cfg_lookup + 11 + lat->ste_decode);
	assert_int_equal(e.smmu->stats.cfg_misses, 1);
	assert_int_equal(e.smmu->stats.cfg_hits, 0);

	/* change the STE in memory: the cached copy is still used */
	fset(raw, STE_MEMATTR, 6);
	pmem_write64(e.mem, 0x100000 + 3 * 64 + 8, raw[1], NULL);
	cycles = 0;
	assert_true(ste_lookup(e.smmu, 3, &s, &ev, &cycles));
	assert_int_equal(s.memattr, 5);
	assert_int_equal(cycles, lat->cfg_lookup);
	assert_int_equal(e.smmu->stats.cfg_hits, 1);

	/* CFGI_STE: refetched */
	assert_int_equal(cfgcache_inv_ste(e.smmu, 3, 0), 32);
	assert_true(ste_lookup(e.smmu, 3, &s, &ev, &cycles));
	assert_int_equal(s.memattr, 6);
	assert_int_equal(e.smmu->stats.cfg_misses, 2);

	/* a bad STE (V=0 at SID 4) and a bad SID are never cached */
	for (int k = 0; k < 2; k++) {
		memset(&ev, 0, sizeof(ev));
		assert_false(ste_lookup(e.smmu, 4, &s, &ev, &cycles));
		assert_int_equal(ev.id, EVT_C_BAD_STE);
		memset(&ev, 0, sizeof(ev));
		assert_false(ste_lookup(e.smmu, 256, &s, &ev, &cycles));
		assert_int_equal(ev.id, EVT_C_BAD_STREAMID);
	}
	assert_int_equal(e.smmu->stats.cfg_misses, 6);
	assert_int_equal(e.smmu->stats.cfg_hits, 1);
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_pinned_ste),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_invalidation),
		cmocka_unit_test(test_ste_lookup_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
