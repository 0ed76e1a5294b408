/* SPDX-License-Identifier: MIT */
/*
 * Implementation description: presets, the preset-file parser, the
 * architectural consistency checks and the ID register images
 * (IHI 0070 §6.3.1-6.3.6; facts §1.3-1.5).
 */
#include "smmusim/smmu_impl.h"
#include "smmu/fields.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default per-step latencies (docs/timing.md explains each). */
static const struct smmu_latency default_latency = {
	.tlb_lookup = 2,
	.cfg_lookup = 2,
	.walkcache_lookup = 1,
	.ste_decode = 4,
	.cd_decode = 4,
	.walk_step = 2,
	.perm_check = 1,
	.cmd_fetch = 2,
	.cmd_exec = 4,
	.tlbi_per_entry = 0,
	.sync = 16,
	.evt_write = 4,
	.cr0_ack = 8,
	.gbpa_update = 8,
	.atc_inv_timeout = 100000,
};

static void preset_full(struct smmu_impl *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "full");
	p->arch_minor = 3;
	p->iidr = 0x0000043B; /* Implementer 0x43B (Arm), product 0 */
	p->s1p = p->s2p = true;
	p->ttf = 2;
	p->cohacc = true;
	p->httu = 2;
	p->hyp = true;
	p->ats = true;
	p->asid16 = p->vmid16 = true;
	p->msi = p->sev = p->pri = p->vmw = p->cd2l = true;
	p->ttendian = 0;
	p->stall_model = 0;
	p->term_model = false;
	p->st_level = 1;
	p->cmdqs = 19;
	p->eventqs = 19;
	p->priqs = 19;
	p->ssidsize = 20;
	p->sidsize = 32;
	p->had = true;
	p->ril = true;
	p->stall_max = 256;
	p->gran4k = p->gran16k = p->gran64k = true;
	p->oas = 5; /* 48 bits */
	p->tlb = (struct smmu_cache_geom){ 512, 4, SMMU_REPL_LRU };
	p->walkcache = (struct smmu_cache_geom){ 64, 4, SMMU_REPL_LRU };
	p->cfgcache = (struct smmu_cache_geom){ 64, 4, SMMU_REPL_LRU };
	p->max_translations = 32;
	p->max_walks = 8;
	p->lat = default_latency;
}

/* What QEMU 7.2's smmuv3 device advertises in its ID registers. */
static void preset_qemu72(struct smmu_impl *p)
{
	preset_full(p);
	snprintf(p->name, sizeof(p->name), "qemu-7.2");
	p->arch_minor = 1;
	p->iidr = 0;
	p->s2p = false;
	p->httu = 0;
	p->hyp = false;
	p->ats = false;
	p->pri = false;
	p->vmid16 = false;
	p->msi = false;
	p->sev = false;
	p->vmw = false;
	p->cd2l = false;
	p->ttendian = 2;
	p->stall_model = 1;
	p->term_model = true;
	p->priqs = 0;
	p->ssidsize = 0;
	p->sidsize = 16;
	p->had = false;
	p->stall_max = 0;
	p->oas = 4; /* 44 bits */
	/* QEMU has an unbounded IOTLB and no timing; keep a large cache. */
	p->tlb = (struct smmu_cache_geom){ 1024, 4, SMMU_REPL_LRU };
}

/*
 * An MMU-600 as one SoC integrates it: the TCU build parameters and
 * configuration straps published in Intel's Agilex 5 HPS Technical
 * Reference Manual (doc 814346, §4.3.4.4.1 and §4.3.5.1). docs/presets.md
 * says which value comes from where and which are our own estimates.
 */
static void preset_mmu600(struct smmu_impl *p)
{
	preset_full(p);
	snprintf(p->name, sizeof(p->name), "mmu-600-like");
	p->arch_minor = 1;
	p->iidr = 0x0483043B; /* ProductID 0x483, Arm */
	p->btm = true;        /* sup_btm = 1 */
	p->sev = true;        /* sup_sev = 1 */
	p->cohacc = true;     /* sup_cohacc = 1 */
	p->oas = 2;           /* sup_oas = 0b010: 40 bits */
	p->sidsize = 24;
	p->ssidsize = 20;
	p->stall_max = 128;
	/* TCUCFG_CC_DEPTH = 256 */
	p->cfgcache = (struct smmu_cache_geom){ 64, 4, SMMU_REPL_LRU };
	/* TCUCFG_WCS{1,2}L{0..3}_DEPTH = 256 each: 8 x 256 in one cache */
	p->walkcache = (struct smmu_cache_geom){ 512, 4, SMMU_REPL_LRU };
	/* our estimate: the excerpt gives no TLB depth */
	p->tlb = (struct smmu_cache_geom){ 512, 4, SMMU_REPL_LRU };
	p->max_translations = 64; /* TCUCFG_XLATE_SLOTS = 64 */
	p->max_walks = 8;         /* our estimate (TCUCFG_PTW_SLOTS) */
	p->lat.tlb_lookup = 3;
	p->lat.cfg_lookup = 3;
	p->lat.walkcache_lookup = 2;
}

struct preset {
	const char *name;
	void (*fill)(struct smmu_impl *);
};

static const struct preset presets[] = {
	{ "full", preset_full },
	{ "qemu-7.2", preset_qemu72 },
	{ "mmu-600-like", preset_mmu600 },
};

size_t smmu_impl_preset_count(void)
{
	return sizeof(presets) / sizeof(presets[0]);
}

const char *smmu_impl_preset_name(size_t i)
{
	return i < smmu_impl_preset_count() ? presets[i].name : NULL;
}

bool smmu_impl_preset(const char *name, struct smmu_impl *out)
{
	for (size_t i = 0; i < smmu_impl_preset_count(); i++) {
		if (!strcmp(presets[i].name, name)) {
			presets[i].fill(out);
			return true;
		}
	}
	return false;
}

/* --- key = value settings ------------------------------------------ */

enum kty { K_BOOL, K_U8, K_U16, K_U32, K_POLICY };

struct key {
	const char *name;
	enum kty type;
	size_t off;
	uint64_t max;
};

#define KB(n, f) { n, K_BOOL, offsetof(struct smmu_impl, f), 1 }
#define K8(n, f, m) { n, K_U8, offsetof(struct smmu_impl, f), m }
#define K16(n, f, m) { n, K_U16, offsetof(struct smmu_impl, f), m }
#define K32(n, f, m) { n, K_U32, offsetof(struct smmu_impl, f), m }
#define KP(n, f) { n, K_POLICY, offsetof(struct smmu_impl, f), 2 }

static const struct key keys[] = {
	K8("aidr.arch_minor", arch_minor, 3),
	K32("iidr", iidr, UINT32_MAX),
	KB("s1p", s1p), KB("s2p", s2p), K8("ttf", ttf, 3),
	KB("cohacc", cohacc), KB("btm", btm), K8("httu", httu, 2),
	KB("dormhint", dormhint), KB("hyp", hyp), KB("ats", ats),
	KB("ns1ats", ns1ats), KB("asid16", asid16), KB("msi", msi),
	KB("sev", sev), KB("atos", atos), KB("pri", pri), KB("vmw", vmw),
	KB("vmid16", vmid16), KB("cd2l", cd2l), KB("vatos", vatos),
	K8("ttendian", ttendian, 3), KB("atsrecerr", atsrecerr),
	K8("stall_model", stall_model, 2), KB("term_model", term_model),
	K8("st_level", st_level, 1),
	KB("tables_preset", tables_preset), KB("queues_preset", queues_preset),
	KB("rel", rel),
	K8("cmdqs", cmdqs, 19), K8("eventqs", eventqs, 19),
	K8("priqs", priqs, 19), K8("ssidsize", ssidsize, 20),
	K8("sidsize", sidsize, 32),
	KB("had", had), KB("pbha", pbha), KB("xnx", xnx), KB("pps", pps),
	KB("fwb", fwb), KB("stt", stt), KB("ril", ril), KB("e0pd", e0pd),
	K8("bbml", bbml, 2),
	K16("stall_max", stall_max, UINT16_MAX), K8("vax", vax, 1),
	KB("gran4k", gran4k), KB("gran16k", gran16k), KB("gran64k", gran64k),
	K8("oas", oas, 6),
	K32("tlb.sets", tlb.sets, 1u << 20), K32("tlb.ways", tlb.ways, 64),
	KP("tlb.policy", tlb.policy),
	K32("walkcache.sets", walkcache.sets, 1u << 20),
	K32("walkcache.ways", walkcache.ways, 64),
	KP("walkcache.policy", walkcache.policy),
	K32("cfgcache.sets", cfgcache.sets, 1u << 20),
	K32("cfgcache.ways", cfgcache.ways, 64),
	KP("cfgcache.policy", cfgcache.policy),
	K32("max_translations", max_translations, 4096),
	K32("max_walks", max_walks, 4096),
	K32("lat.tlb_lookup", lat.tlb_lookup, 1u << 20),
	K32("lat.cfg_lookup", lat.cfg_lookup, 1u << 20),
	K32("lat.walkcache_lookup", lat.walkcache_lookup, 1u << 20),
	K32("lat.ste_decode", lat.ste_decode, 1u << 20),
	K32("lat.cd_decode", lat.cd_decode, 1u << 20),
	K32("lat.walk_step", lat.walk_step, 1u << 20),
	K32("lat.perm_check", lat.perm_check, 1u << 20),
	K32("lat.cmd_fetch", lat.cmd_fetch, 1u << 20),
	K32("lat.cmd_exec", lat.cmd_exec, 1u << 20),
	K32("lat.tlbi_per_entry", lat.tlbi_per_entry, 1u << 20),
	K32("lat.sync", lat.sync, 1u << 20),
	K32("lat.evt_write", lat.evt_write, 1u << 20),
	K32("lat.cr0_ack", lat.cr0_ack, 1u << 20),
	K32("lat.gbpa_update", lat.gbpa_update, 1u << 20),
	K32("lat.atc_inv_timeout", lat.atc_inv_timeout, UINT32_MAX),
};

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

static bool parse_value(const struct key *k, const char *value, uint64_t *v,
			char *err, size_t errlen)
{
	if (k->type == K_BOOL) {
		if (!strcmp(value, "1") || !strcmp(value, "true") ||
		    !strcmp(value, "on") || !strcmp(value, "yes")) {
			*v = 1;
			return true;
		}
		if (!strcmp(value, "0") || !strcmp(value, "false") ||
		    !strcmp(value, "off") || !strcmp(value, "no")) {
			*v = 0;
			return true;
		}
		errf(err, errlen, "%s: '%s' is not a boolean (0/1, true/false)",
		     k->name, value);
		return false;
	}
	if (k->type == K_POLICY) {
		static const char *const names[] = { "lru", "fifo", "random" };

		for (uint64_t i = 0; i < 3; i++) {
			if (!strcmp(value, names[i])) {
				*v = i;
				return true;
			}
		}
		errf(err, errlen, "%s: '%s' is not lru, fifo or random",
		     k->name, value);
		return false;
	}
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)value[0])) {
		errf(err, errlen, "%s: '%s' is not a number", k->name, value);
		return false;
	}
	unsigned long long x = strtoull(value, &end, 0);

	if (errno || *end) {
		errf(err, errlen, "%s: '%s' is not a number", k->name, value);
		return false;
	}
	if (x > k->max) {
		errf(err, errlen, "%s: %llu is out of range (max %llu)",
		     k->name, x, (unsigned long long)k->max);
		return false;
	}
	*v = x;
	return true;
}

bool smmu_impl_set(struct smmu_impl *impl, const char *key, const char *value,
		   char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		uint64_t v;

		if (strcmp(k->name, key))
			continue;
		if (!parse_value(k, value, &v, err, errlen))
			return false;
		char *base = (char *)impl + k->off;

		switch (k->type) {
		case K_BOOL:
			*(bool *)base = v != 0;
			break;
		case K_U8:
			*(uint8_t *)base = (uint8_t)v;
			break;
		case K_U16:
			*(uint16_t *)base = (uint16_t)v;
			break;
		case K_U32:
			*(uint32_t *)base = (uint32_t)v;
			break;
		case K_POLICY:
			*(enum smmu_repl_policy *)base =
				(enum smmu_repl_policy)v;
			break;
		}
		return true;
	}
	errf(err, errlen, "unknown setting '%s'", key);
	return false;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);

	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

bool smmu_impl_load_file(const char *path, struct smmu_impl *out, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], msg[256];
	unsigned lineno = 0;
	bool have_setting = false;

	if (!f) {
		errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	preset_full(out);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');

		if (hash)
			*hash = 0;
		char *s = trim(line);

		if (!*s)
			continue;
		char *eq = strchr(s, '=');

		if (!eq) {
			errf(err, errlen, "%s:%u:%d: expected 'key = value'",
			     path, lineno, (int)(s - line) + 1);
			fclose(f);
			return false;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		int col = (int)(key - line) + 1;

		if (!*val) {
			errf(err, errlen, "%s:%u:%d: '%s' has no value", path,
			     lineno, (int)(eq - line) + 2, key);
			fclose(f);
			return false;
		}
		if (!strcmp(key, "preset")) {
			if (have_setting) {
				errf(err, errlen,
				     "%s:%u:%d: 'preset' must come before "
				     "other settings", path, lineno, col);
				fclose(f);
				return false;
			}
			if (!smmu_impl_preset(val, out)) {
				errf(err, errlen,
				     "%s:%u:%d: unknown preset '%s'", path,
				     lineno, (int)(val - line) + 1, val);
				fclose(f);
				return false;
			}
			continue;
		}
		if (!smmu_impl_set(out, key, val, msg, sizeof(msg))) {
			errf(err, errlen, "%s:%u:%d: %s", path, lineno, col,
			     msg);
			fclose(f);
			return false;
		}
		have_setting = true;
	}
	fclose(f);
	if (!smmu_impl_validate(out, msg, sizeof(msg))) {
		errf(err, errlen, "%s: %s", path, msg);
		return false;
	}
	return true;
}

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

bool smmu_impl_validate(const struct smmu_impl *p, char *err, size_t errlen)
{
	if (!p->s1p && !p->s2p) {
		errf(err, errlen, "at least one of s1p and s2p must be set");
		return false;
	}
	if (!(p->ttf & 2)) {
		errf(err, errlen, "ttf must include AArch64 tables (2 or 3)");
		return false;
	}
	if (p->sidsize >= 7 && p->st_level == 0) {
		errf(err, errlen, "sidsize >= 7 requires st_level = 1 (§6.3.2)");
		return false;
	}
	if (p->pri && !p->ats) {
		errf(err, errlen, "pri requires ats (IDR0.PRI is RES0 without ATS)");
		return false;
	}
	if (p->stall_model > 2 || p->ttendian == 1) {
		errf(err, errlen, "stall_model 3 and ttendian 1 are reserved");
		return false;
	}
	if (!p->gran4k && !p->gran16k && !p->gran64k) {
		errf(err, errlen, "at least one granule must be supported");
		return false;
	}
	if (p->oas > 5) {
		errf(err, errlen, "oas above 48 bits (52-bit PA) is not modelled");
		return false;
	}
	if (p->ssidsize && !p->s1p) {
		errf(err, errlen, "ssidsize needs stage 1 (s1p)");
		return false;
	}
	const struct smmu_cache_geom *g[3] = { &p->tlb, &p->walkcache,
					       &p->cfgcache };
	static const char *const gn[3] = { "tlb", "walkcache", "cfgcache" };

	for (int i = 0; i < 3; i++) {
		if (g[i]->ways && !pow2(g[i]->sets)) {
			errf(err, errlen, "%s.sets must be a power of two",
			     gn[i]);
			return false;
		}
	}
	if (!p->max_translations || !p->max_walks) {
		errf(err, errlen, "max_translations and max_walks must be >= 1");
		return false;
	}
	return true;
}

unsigned smmu_oas_bits(uint8_t enc)
{
	static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	return bits[enc & 7];
}

/* IDR0 (§6.3.1) */
uint32_t smmu_impl_idr0(const struct smmu_impl *p)
{
	uint64_t r = 0;

	r = rset(r, RFLD(0, 0), p->s2p);
	r = rset(r, RFLD(1, 1), p->s1p);
	r = rset(r, RFLD(3, 2), p->ttf);
	r = rset(r, RFLD(4, 4), p->cohacc);
	r = rset(r, RFLD(5, 5), p->btm);
	r = rset(r, RFLD(7, 6), p->httu);
	r = rset(r, RFLD(8, 8), p->dormhint);
	r = rset(r, RFLD(9, 9), p->hyp);
	r = rset(r, RFLD(10, 10), p->ats);
	r = rset(r, RFLD(11, 11), p->ns1ats);
	r = rset(r, RFLD(12, 12), p->asid16);
	r = rset(r, RFLD(13, 13), p->msi);
	r = rset(r, RFLD(14, 14), p->sev);
	r = rset(r, RFLD(15, 15), p->atos);
	r = rset(r, RFLD(16, 16), p->pri && p->ats);
	r = rset(r, RFLD(17, 17), p->vmw);
	r = rset(r, RFLD(18, 18), p->vmid16);
	r = rset(r, RFLD(19, 19), p->cd2l);
	r = rset(r, RFLD(20, 20), p->vatos);
	r = rset(r, RFLD(22, 21), p->ttendian);
	r = rset(r, RFLD(23, 23), p->atsrecerr);
	r = rset(r, RFLD(25, 24), p->stall_model);
	r = rset(r, RFLD(26, 26), p->term_model);
	r = rset(r, RFLD(28, 27), p->st_level);
	return (uint32_t)r;
}

/* IDR1 (§6.3.2) */
uint32_t smmu_impl_idr1(const struct smmu_impl *p)
{
	uint64_t r = 0;

	r = rset(r, RFLD(5, 0), p->sidsize);
	r = rset(r, RFLD(10, 6), p->ssidsize);
	r = rset(r, RFLD(15, 11), p->priqs);
	r = rset(r, RFLD(20, 16), p->eventqs);
	r = rset(r, RFLD(25, 21), p->cmdqs);
	r = rset(r, RFLD(28, 28), p->rel);
	r = rset(r, RFLD(29, 29), p->queues_preset);
	r = rset(r, RFLD(30, 30), p->tables_preset);
	return (uint32_t)r;
}

/* IDR3 (§6.3.4) */
uint32_t smmu_impl_idr3(const struct smmu_impl *p)
{
	uint64_t r = 0;

	r = rset(r, RFLD(2, 2), p->had);
	r = rset(r, RFLD(3, 3), p->pbha);
	r = rset(r, RFLD(4, 4), p->xnx);
	r = rset(r, RFLD(5, 5), p->pps);
	r = rset(r, RFLD(8, 8), p->fwb);
	r = rset(r, RFLD(9, 9), p->stt);
	r = rset(r, RFLD(10, 10), p->ril);
	r = rset(r, RFLD(12, 11), p->bbml);
	r = rset(r, RFLD(13, 13), p->e0pd);
	return (uint32_t)r;
}

/* IDR5 (§6.3.6) */
uint32_t smmu_impl_idr5(const struct smmu_impl *p)
{
	uint64_t r = 0;

	r = rset(r, RFLD(2, 0), p->oas);
	r = rset(r, RFLD(4, 4), p->gran4k);
	r = rset(r, RFLD(5, 5), p->gran16k);
	r = rset(r, RFLD(6, 6), p->gran64k);
	r = rset(r, RFLD(11, 10), p->vax);
	r = rset(r, RFLD(31, 16), p->stall_max);
	return (uint32_t)r;
}
