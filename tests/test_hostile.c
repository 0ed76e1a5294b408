/* SPDX-License-Identifier: MIT */
/*
 * Hostile software: random bytes in the stream table, CD tables, page
 * tables and command queue, random register writes, random transactions.
 * Whatever software writes, the model must answer with architected
 * outcomes — never crash, hang or touch memory outside the simulation
 * (AddressSanitizer watches the last part). Every transaction is
 * answered exactly once, unless it is stalled waiting for software.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmu/smmu_internal.h"

#define ROUNDS 2000u
#define TXNS 40u

static unsigned answered;

static void on_done(void *ctx, const struct smmu_txn *t,
		    const struct smmu_txn_result *r)
{
	(void)ctx;
	(void)t;
	assert_true(r->resp <= SMMU_RESP_CA);
	answered++;
}

/* A 64-bit word that is random, but often a plausible field mix. */
static uint64_t rnd_word(struct sim_prng *g, uint64_t plausible)
{
	switch (sim_prng_below(g, 4)) {
	case 0:
		return sim_prng_next(g);
	case 1:
		return plausible ^ (UINT64_C(1) << sim_prng_below(g, 64));
	case 2:
		return plausible;
	default:
		return sim_prng_next(g) & sim_prng_next(g);
	}
}

static void test_random_structures(void **state)
{
	struct platform p;
	struct pgtable pt;
	struct smmu_impl impl;
	struct sim_prng g;
	char err[128];
	uint64_t ste[8], cd[8];

	(void)state;
	sim_prng_seed(&g, 2024);
	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&p, &impl, 3, 8, err, sizeof(err)));
	uint64_t buf = hostmem_alloc(p.hm, 16 * 4096, 4096);
	uint64_t cdt = hostmem_alloc(p.hm, 64 * 64, 4096);

	assert_true(pgtable_init(&pt, p.hm, 1, 12, 48));
	assert_true(pgtable_map(&pt, 0x10000, buf, 16 * 4096,
				PT_R | PT_W | PT_USER));
	hsmmu_cd_from_pgtable(cd, &pt, 1, 5);
	hsmmu_ste_s1(ste, cdt, 0);

	unsigned submitted = 0;

	answered = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint32_t sid = (uint32_t)sim_prng_below(&g, 4);
		uint64_t ste_pa = hsmmu_ste_pa(p.drv, sid);

		/*
		 * The STE and CD: valid, one bit flipped, one word random, or
		 * all garbage (one mode per round).
		 */
		uint64_t sw[8], cw[8];
		unsigned mode = (unsigned)sim_prng_below(&g, 4);

		memcpy(sw, ste, sizeof(sw));
		memcpy(cw, cd, sizeof(cw));
		if (mode == 1) {
			uint64_t *w = sim_prng_below(&g, 2) ? sw : cw;

			w[sim_prng_below(&g, 4)] ^= UINT64_C(1)
						    << sim_prng_below(&g, 64);
		} else if (mode == 2) {
			uint64_t *w = sim_prng_below(&g, 2) ? sw : cw;

			w[sim_prng_below(&g, 4)] = sim_prng_next(&g);
		} else if (mode == 3) {
			for (int i = 0; i < 8; i++) {
				sw[i] = rnd_word(&g, ste[i]);
				cw[i] = rnd_word(&g, cd[i]);
			}
		}
		for (int i = 0; i < 8; i++) {
			pmem_write64(p.mem, ste_pa + 8 * (uint64_t)i, sw[i],
				     NULL);
			pmem_write64(p.mem, cdt + 8 * (uint64_t)i, cw[i], NULL);
		}
		/* garbage in a page-table page now and then */
		if (sim_prng_below(&g, 4) == 0) {
			uint64_t leaf;

			if (pgtable_lookup(&pt, 0x10000 + 4096 *
					   sim_prng_below(&g, 16), NULL, &leaf))
				pmem_write64(p.mem, leaf,
					     sim_prng_next(&g), NULL);
		}
		/* random commands, some of them illegal */
		for (unsigned k = sim_prng_below(&g, 4); k > 0; k--) {
			uint64_t c[2] = { sim_prng_next(&g), sim_prng_next(&g) };

			if (sim_prng_below(&g, 2))
				c[0] &= ~UINT64_C(0x4C00); /* SSec=0, CS<3 */
			hsmmu_cmd(p.drv, c);
		}
		if (hsmmu_sync(p.drv) == -EIO)
			hsmmu_ack_cmd_error(p.drv); /* CERROR: skip it */
		/* a random register write (not CR0: keep the SMMU on) */
		if (sim_prng_below(&g, 8) == 0) {
			static const uint32_t regs[] = {
				R_GBPA, R_IRQ_CTRL, R_GERRORN, R_CR2,
				R_EVENTQ_CONS, R_STRTAB_BASE_CFG, 0x0FFC,
				0x10000, R_CMDQ_BASE,
			};
			uint32_t off = regs[sim_prng_below(&g, 9)];

			pmem_write32(p.mem, PLAT_SMMU_BASE + off,
				     (uint32_t)sim_prng_next(&g), NULL);
		}
		/* CFGI everything so the garbage is actually read */
		uint64_t c[2] = { 0, 0 };

		fset(c, CMD_OPCODE, OP_CFGI_STE_RANGE);
		fset(c, CMD_RANGE, 31);
		hsmmu_cmd(p.drv, c);
		memset(c, 0, sizeof(c));
		fset(c, CMD_OPCODE, OP_TLBI_NSNH_ALL);
		hsmmu_cmd(p.drv, c);
		if (hsmmu_sync(p.drv) == -EIO)
			hsmmu_ack_cmd_error(p.drv);

		for (unsigned t = 0; t < TXNS; t++) {
			struct smmu_txn txn = {
				.sid = sim_prng_below(&g, 4) ? sid :
					(uint32_t)sim_prng_below(&g, 300),
				.ssid = (uint32_t)sim_prng_below(&g, 1u << 20),
				.ssv = sim_prng_below(&g, 6) == 0,
				.addr = sim_prng_below(&g, 2) ?
						0x10000 + sim_prng_below(&g, 0x10000) :
						sim_prng_next(&g),
				.len = 1u << sim_prng_below(&g, 4),
				.write = sim_prng_below(&g, 2),
				.instr = sim_prng_below(&g, 5) == 0,
				.priv = sim_prng_below(&g, 2),
			};

			assert_true(smmu_submit(p.smmu, &txn, on_done, NULL));
			submitted++;
		}
		sim_run_to_idle(p.sim, 0);
		/* drain events so the queue keeps accepting */
		uint64_t rec[4];

		while (hsmmu_pop_event(p.drv, rec))
			assert_true((rec[0] & 0xFF) != 0);
	}
	/* every transaction answered, or stalled for software */
	struct smmu_stats st;

	smmu_get_stats(p.smmu, &st);
	/* for the log: what the run exercised */
	print_message("%u txns, %u answered, %llu stalls, %llu events, "
		      "%llu command errors, %llu ok, %llu aborts\n",
		      submitted, answered, (unsigned long long)st.stalls,
		      (unsigned long long)st.events,
		      (unsigned long long)st.cmd_errors,
		      (unsigned long long)st.txn_ok,
		      (unsigned long long)st.txn_abort);
	assert_true(answered <= submitted);
	assert_true(submitted - answered <= st.stalls);
	assert_true(st.cmd_errors > 0);  /* the garbage was exercised */
	assert_true(st.events > 100);
	assert_true(st.txn_ok > 1000);    /* and so were working paths */
	pgtable_destroy(&pt);
	platform_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_structures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
