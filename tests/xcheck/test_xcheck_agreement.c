/* SPDX-License-Identifier: MIT */
/*
 * Randomized agreement: thousands of random stream-table / CD / page-table
 * setups built by the host driver in a live model are exported (ELF core
 * + register file), opened as an image, and every random request gets the
 * same outcome, output address and event from the image as from the live
 * model. Setups cover linear and 2-level stream tables, single CDs,
 * linear and 2-level (4K and 64K leaf) CD tables, stage 1, stage 2 and
 * nested with every granule, abort / bypass / invalid STEs, and random
 * bit flips in STEs and CDs (ILLEGAL entries). Requests hit mapped pages
 * with every access kind and privilege, unmapped addresses, bad
 * StreamIDs and SubstreamIDs.
 *
 * Export happens before any request, then the same request sequence goes
 * to both models, so hardware access-flag / dirty updates evolve alike.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_regs.h"
#include "smmu/smmu_internal.h"
#include "xcheck/xcheck.h"

#define ROUNDS 300
#define STREAMS 14       /* per round: 4200 setups in all */
#define REQUESTS 96      /* per round */
#define MAX_RANGES 6

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: the test's own generator, seeded per round */
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

struct range {
	uint64_t ia, size;
};

struct stream {
	uint32_t sid;
	unsigned ssid_bits;      /* 0: no substreams */
	uint32_t ssids[4];       /* SubstreamIDs given a CD */
	struct range r[MAX_RANGES];
	unsigned nr;
};

struct round {
	struct rng rng;
	struct platform p;
	struct smmu_impl impl;
	struct pgtable pts[STREAMS * 4];
	unsigned npts;
	struct stream st[STREAMS];
	unsigned nst;
	uint16_t next_id;
};

static unsigned pick_granule(struct round *rd)
{
	unsigned g[3] = { 12, 12, 12 }, n = 0;

	if (rd->impl.gran4k)
		g[n++] = 12;
	if (rd->impl.gran16k)
		g[n++] = 14;
	if (rd->impl.gran64k)
		g[n++] = 16;
	return g[below(&rd->rng, n)];
}

static struct pgtable *new_pt(struct round *rd, unsigned stage, unsigned g,
			      unsigned ia_bits)
{
	struct pgtable *pt = &rd->pts[rd->npts];

	assert_true(rd->npts < sizeof(rd->pts) / sizeof(rd->pts[0]));
	assert_true(pgtable_init(pt, rd->p.hm, (uint8_t)stage, (uint8_t)g,
				 (uint8_t)ia_bits));
	rd->npts++;
	return pt;
}

static unsigned rand_flags(struct round *rd)
{
	unsigned f = PT_R;

	if (below(&rd->rng, 3))
		f |= PT_W;
	if (below(&rd->rng, 2))
		f |= PT_X;
	if (below(&rd->rng, 2))
		f |= PT_USER;
	if (below(&rd->rng, 2))
		f |= PT_NG;
	if (!below(&rd->rng, 8))
		f |= PT_NOAF;
	if (!below(&rd->rng, 6))
		f |= PT_DBM;
	if (below(&rd->rng, 2))
		f |= PT_BLOCK;
	return f;
}

/* Random mappings; OAs anywhere in RAM (or, for nested stage 1, maybe in
 * the IPA window stage 2 maps sparsely). */
static void fill(struct round *rd, struct pgtable *pt, struct stream *s,
		 bool nested_s1)
{
	unsigned g = pt->granule_shift;
	uint64_t gran = UINT64_C(1) << g;
	unsigned n = 1 + (unsigned)below(&rd->rng, 3);

	for (unsigned i = 0; i < n && s->nr < MAX_RANGES; i++) {
		uint64_t pages = 1 + below(&rd->rng, 4);
		uint64_t size = pages * gran;
		uint64_t ia = below(&rd->rng, (UINT64_C(1) << pt->ia_bits) /
						      gran - pages) * gran;
		uint64_t pa;

		if (!below(&rd->rng, 4)) {
			/* a large aligned range: blocks when PT_BLOCK */
			uint64_t big = gran << (g - 3);

			if (big * 2 < (UINT64_C(1) << pt->ia_bits)) {
				size = big;
				ia &= ~(big - 1);
			}
		}
		pa = PLAT_RAM_BASE + (below(&rd->rng, (PLAT_RAM_SIZE - size) /
						      size) * size);
		if (nested_s1 && !below(&rd->rng, 3))
			pa = UINT64_C(0x200000000) +
			     below(&rd->rng, 64) * (UINT64_C(1) << 16);
		if (pt->stage == 2 && ia >= PLAT_RAM_BASE &&
		    ia < PLAT_RAM_BASE + PLAT_RAM_SIZE)
			continue; /* keep the identity window of nested S2 */
		if (!pgtable_map(pt, ia, pa, size, rand_flags(rd)))
			continue;
		s->r[s->nr++] = (struct range){ ia, size };
	}
}

static void flip_bits(struct round *rd, uint64_t pa, unsigned nwords)
{
	unsigned flips = 1 + (unsigned)below(&rd->rng, 2);

	for (unsigned i = 0; i < flips; i++) {
		uint64_t w = pa + 8 * below(&rd->rng, nwords), v;

		pmem_read64(rd->p.mem, w, &v, NULL);
		v ^= UINT64_C(1) << below(&rd->rng, 64);
		pmem_write64(rd->p.mem, w, v, NULL);
	}
}

/* Stage 2 for nested streams: the RAM window mapped IPA == PA (so
 * structure and table addresses work), plus sparse pages above it. */
static struct pgtable *nested_s2(struct round *rd, struct stream *s)
{
	unsigned g = pick_granule(rd);
	unsigned bits = 36 + (unsigned)below(&rd->rng, 5);
	struct pgtable *pt;

	if (bits > smmu_oas_bits(rd->impl.oas))
		bits = smmu_oas_bits(rd->impl.oas);
	pt = new_pt(rd, 2, g, bits);
	assert_true(pgtable_map(pt, PLAT_RAM_BASE, PLAT_RAM_BASE,
				PLAT_RAM_SIZE, PT_R | PT_W | PT_X | PT_BLOCK));
	for (unsigned i = 0; i < 8; i++) {
		uint64_t ia = UINT64_C(0x200000000) +
			      below(&rd->rng, 64) * (UINT64_C(1) << 16);
		uint64_t pa = PLAT_RAM_BASE +
			      below(&rd->rng, PLAT_RAM_SIZE >> 16) *
				      (UINT64_C(1) << 16);

		pgtable_map(pt, ia & ~((UINT64_C(1) << g) - 1), pa,
			    UINT64_C(1) << g, rand_flags(rd));
	}
	(void)s;
	return pt;
}

static void make_cd(struct round *rd, uint64_t cd[8], struct pgtable *pt,
		    unsigned ips)
{
	hsmmu_cd_from_pgtable(cd, pt, (uint16_t)(1 + rd->next_id++ % 200),
			      ips);
	if (!below(&rd->rng, 5))
		fset(cd, CD_R, 0);
	if (!below(&rd->rng, 5))
		fset(cd, CD_A, 0);
	if (!below(&rd->rng, 10))
		fset(cd, CD_EPD0, 1);
}

/* A 2-level CD table with 4K leaves (S1Fmt=01), built by hand: the
 * driver only makes 64K leaves. Returns the L1 table's address. */
static uint64_t cdtab_4k(struct round *rd, unsigned bits, uint64_t cds[][8],
			 const uint32_t *ssids, unsigned n)
{
	uint64_t nl1 = UINT64_C(1) << (bits - 6);
	uint64_t l1 = hostmem_alloc(rd->p.hm, nl1 * 8 < 64 ? 64 : nl1 * 8,
				    nl1 * 8 < 64 ? 64 : nl1 * 8);

	assert_true(l1 != 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t slot = l1 + 8 * (ssids[i] >> 6), d, leaf;

		pmem_read64(rd->p.mem, slot, &d, NULL);
		if (!(d & 1)) {
			leaf = hostmem_alloc(rd->p.hm, 4096, 4096);
			assert_true(leaf != 0);
			pmem_write64(rd->p.mem, slot, leaf | 1, NULL);
		} else {
			leaf = d & ~UINT64_C(0xfff);
		}
		for (unsigned w = 0; w < 8; w++)
			pmem_write64(rd->p.mem,
				     leaf + 64 * (ssids[i] & 63) + 8 * w,
				     cds[i][w], NULL);
	}
	return l1;
}

static void make_stream(struct round *rd, struct stream *s)
{
	struct hsmmu *drv = rd->p.drv;
	unsigned kind = (unsigned)below(&rd->rng, 12);
	unsigned ips = rd->impl.oas;
	uint64_t ste[8], s2ste[8];
	struct pgtable *s2 = NULL;
	bool nested;

	if (kind == 0) {
		return; /* V=0 */
	} else if (kind == 1) {
		hsmmu_ste_abort(ste);
	} else if (kind == 2) {
		hsmmu_ste_bypass(ste);
	} else if (kind == 3 && rd->impl.s2p) {
		unsigned g = pick_granule(rd);
		unsigned bits = 32 + (unsigned)below(&rd->rng, 9);
		struct pgtable *pt;

		if (bits > smmu_oas_bits(rd->impl.oas))
			bits = smmu_oas_bits(rd->impl.oas);
		pt = new_pt(rd, 2, g, bits);
		fill(rd, pt, s, false);
		hsmmu_ste_s2(ste, pt, (uint16_t)(1 + rd->next_id++ % 200),
			     ips);
	} else {
		/* stage 1, nested when stage 2 exists and the dice say so */
		unsigned g = pick_granule(rd);
		unsigned bits = 32 + (unsigned)below(&rd->rng, 17);
		unsigned maxbits = rd->impl.ssidsize < 13 ? rd->impl.ssidsize
							  : 13;
		unsigned layout = (unsigned)below(&rd->rng, 4);
		struct pgtable *pt;
		uint64_t cd[8];

		nested = rd->impl.s2p && !below(&rd->rng, 3);
		if (nested)
			s2 = nested_s2(rd, s);
		pt = new_pt(rd, 1, g, bits);
		fill(rd, pt, s, nested);
		if (layout == 0 || !maxbits) {
			/* one CD */
			uint64_t cdpa = hostmem_alloc(rd->p.hm, 64, 64);

			make_cd(rd, cd, pt, ips);
			for (unsigned w = 0; w < 8; w++)
				pmem_write64(rd->p.mem, cdpa + 8 * w, cd[w],
					     NULL);
			hsmmu_ste_s1(ste, cdpa, 0);
			if (!below(&rd->rng, 6))
				flip_bits(rd, cdpa, 2);
		} else if (layout == 3 && rd->impl.cd2l && maxbits > 6) {
			uint64_t cds[4][8];
			uint32_t ssids[4];
			unsigned bits_ = 7 + (unsigned)below(&rd->rng,
							     maxbits - 6);
			uint64_t l1;

			s->ssid_bits = bits_;
			for (unsigned i = 0; i < 4; i++) {
				ssids[i] = (uint32_t)below(&rd->rng,
							   1u << bits_);
				s->ssids[i] = ssids[i];
				make_cd(rd, cds[i], pt, ips);
			}
			l1 = cdtab_4k(rd, bits_, cds, ssids, 4);
			hsmmu_ste_s1_cd(ste, l1, 1, bits_,
					(unsigned)below(&rd->rng, 3));
		} else {
			unsigned bits_ = 1 + (unsigned)below(&rd->rng,
							     maxbits);

			assert_int_equal(hsmmu_cdtab_alloc(drv, s->sid, bits_),
					 0);
			s->ssid_bits = bits_;
			for (unsigned i = 0; i < 4; i++) {
				uint32_t ssid = (uint32_t)below(&rd->rng,
								1u << bits_);

				s->ssids[i] = ssid;

				make_cd(rd, cd, pt, ips);
				assert_int_equal(hsmmu_write_cd(drv, s->sid,
								ssid, cd), 0);
				if (!below(&rd->rng, 10))
					flip_bits(rd, hsmmu_cd_pa(drv, s->sid,
								  ssid), 2);
			}
			assert_int_equal(hsmmu_ste_s1_cdtab(drv, s->sid,
				(unsigned)below(&rd->rng, 3), ste), 0);
		}
		if (nested) {
			hsmmu_ste_s2(s2ste, s2,
				     (uint16_t)(1 + rd->next_id++ % 200), ips);
			ste[2] = s2ste[2];
			ste[3] = s2ste[3];
			fset(ste, STE_CONFIG, 7);
		}
	}
	assert_int_equal(hsmmu_install_ste(drv, s->sid, ste), 0);
	if (!below(&rd->rng, 8))
		flip_bits(rd, hsmmu_ste_pa(drv, s->sid), 4);
}

static void rand_request(struct round *rd, struct xc_request *rq)
{
	struct stream *s = &rd->st[below(&rd->rng, rd->nst)];

	memset(rq, 0, sizeof(*rq));
	rq->sid = below(&rd->rng, 16) ? s->sid
				     : (uint32_t)below(&rd->rng, 1u << 17);
	if (s->ssid_bits ? below(&rd->rng, 5) != 0 : !below(&rd->rng, 10)) {
		rq->ssv = true;
		rq->ssid = below(&rd->rng, 4)
			? s->ssids[below(&rd->rng, 4)]
			: (uint32_t)below(&rd->rng,
					  (UINT64_C(1) << s->ssid_bits) + 2);
	}
	if (s->nr && below(&rd->rng, 8)) {
		struct range *r = &s->r[below(&rd->rng, s->nr)];

		rq->iova = r->ia + below(&rd->rng, r->size + r->size / 8);
	} else if (below(&rd->rng, 2)) {
		rq->iova = PLAT_RAM_BASE + below(&rd->rng, PLAT_RAM_SIZE);
	} else {
		rq->iova = rnd(&rd->rng) >> below(&rd->rng, 64);
	}
	rq->access = (enum xc_access)below(&rd->rng, 3);
	rq->priv = below(&rd->rng, 2);
}

static void tmp_paths(char *core, char *regs, size_t n)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(core, n, "%s/xcheck-agree-%d.core", dir, (int)getpid());
	snprintf(regs, n, "%s/xcheck-agree-%d.json", dir, (int)getpid());
}

static const char *const presets[] = { "full", "mmu-600-like", "qemu-7.2" };

static unsigned evhist[256];

static unsigned run_round(unsigned seed, const char *core, const char *regs,
			  unsigned hist[4])
{
	struct round *rd = calloc(1, sizeof(*rd));
	char err[512];
	struct xc_image img;
	unsigned checked = 0;

	assert_non_null(rd);
	rd->rng.s = seed * UINT64_C(0x100000001B3) + 7;
	assert_true(smmu_impl_preset(presets[seed % 3], &rd->impl));
	unsigned sid_bits = 6 + (unsigned)below(&rd->rng, 11);

	if (sid_bits > rd->impl.sidsize)
		sid_bits = rd->impl.sidsize;
	assert_true(platform_create(&rd->p, &rd->impl, seed, sid_bits, err,
				    sizeof(err)));
	rd->nst = STREAMS;
	for (unsigned i = 0; i < STREAMS; i++) {
		struct stream *s = &rd->st[i];
		bool dup;

		do {
			s->sid = (uint32_t)below(&rd->rng, 1u << sid_bits);
			dup = false;
			for (unsigned j = 0; j < i; j++)
				dup |= rd->st[j].sid == s->sid;
		} while (dup);
		make_stream(rd, s);
	}
	if (!xc_export(rd->p.smmu, rd->p.mem, core, regs, err, sizeof(err)))
		fail_msg("round %u: export: %s", seed, err);
	if (!xc_image_open(&img, core, regs, &rd->impl, err, sizeof(err)))
		fail_msg("round %u: open: %s", seed, err);
	for (unsigned i = 0; i < REQUESTS; i++) {
		struct xc_request rq;
		struct xc_result live, pred;

		rand_request(rd, &rq);
		xc_translate(rd->p.smmu, &rq, &live);
		xc_translate(img.smmu, &rq, &pred);
		if (live.outcome != pred.outcome || live.pa != pred.pa ||
		    live.event_id != pred.event_id) {
			fprintf(stderr, "live: ");
			xc_print_result(stderr, &rq, &live);
			fprintf(stderr, "image: ");
			xc_print_result(stderr, &rq, &pred);
			fail_msg("round %u (preset %s) request %u disagrees",
				 seed, presets[seed % 3], i);
		}
		hist[live.outcome]++;
		evhist[live.event_id]++;
		checked++;
	}
	xc_image_close(&img);
	for (unsigned i = 0; i < rd->npts; i++)
		pgtable_destroy(&rd->pts[i]);
	platform_destroy(&rd->p);
	free(rd);
	return checked;
}

static void test_random_agreement(void **state)
{
	char core[256], regs[256];
	unsigned hist[4] = { 0 }, total = 0;

	(void)state;
	tmp_paths(core, regs, sizeof(core));
	for (unsigned seed = 1; seed <= ROUNDS; seed++)
		total += run_round(seed, core, regs, hist);
	unlink(core);
	unlink(regs);
	printf("agreement: %u requests over %u setups: ok %u, bypass %u, "
	       "abort %u, fault %u\n", total, ROUNDS * STREAMS, hist[XC_OK],
	       hist[XC_BYPASS], hist[XC_ABORT], hist[XC_FAULT]);
	for (unsigned i = 1; i < 256; i++)
		if (evhist[i])
			printf("  %-20s %u\n", xc_event_name((uint8_t)i),
			       evhist[i]);
	assert_int_equal(total, ROUNDS * REQUESTS);
	/* the mix is worth something: every outcome occurs, often */
	for (unsigned i = 0; i < 4; i++)
		assert_true(hist[i] > total / 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_agreement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
