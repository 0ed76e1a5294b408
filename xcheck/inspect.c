/* SPDX-License-Identifier: MIT */
/*
 * inspect: decode the structures software left for the SMMU in memory.
 *
 * Everything is decoded by the model's own code: the stream table walk
 * (strtab_locate), STE and CD decode with their ILLEGAL rules
 * (ste_decode_why, cd_decode_why), CD location (cd_locate) and stage-2
 * translation of structure addresses (walk_s2_fetch). Only the listing
 * of page tables is done here, as a walk over every entry rather than
 * the translation of one address. The result is built as a JSON tree
 * and printed as JSON or as an indented outline.
 */
#include "xcheck/xcheck.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#include "smmu/cd.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"
#include "smmu/ste.h"
#include "smmu/walk.h"

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

struct ictx {
	struct smmu *smmu;
	const struct xc_inspect_opts *o;
	uint64_t max_entries, max_descs;
	unsigned problems;
	unsigned valid_stes, illegal;
	bool truncated;
};

static json_t *hex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return json_string(b);
}

static json_t *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *strf(const char *fmt, ...)
{
	char b[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	return json_string(b);
}

static void put(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
}

static const char *evname(uint8_t id)
{
	const char *n = xc_event_name(id);

	return n ? n : "fault";
}

static json_t *words(const uint64_t *w, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		char b[24];

		snprintf(b, sizeof(b), "0x%016llx", (unsigned long long)w[i]);
		json_array_append_new(a, json_string(b));
	}
	return a;
}

static void add_illegal(json_t *o, const struct cfg_illegal *why)
{
	json_t *i = json_object();

	put(i, "field", json_string(why->field ? why->field : "?"));
	put(i, "reason", json_string(why->reason ? why->reason : "?"));
	put(o, "ILLEGAL", i);
}

/* Read a structure at `addr`: a PA, or an IPA through stage 2 (CLASS
 * `cls` for a fault). False with ev set. */
static bool fetch(struct ictx *c, const struct walk_regime *s2,
		  uint64_t addr, uint64_t *w, unsigned nwords, uint8_t cls,
		  struct smmu_event *ev, uint64_t *pa_out)
{
	uint64_t pa = addr, cycles = 0;

	if (s2 && !walk_s2_fetch(c->smmu, s2, addr, cls, &pa, ev, &cycles))
		return false;
	if (pa_out)
		*pa_out = pa;
	for (unsigned i = 0; i < nwords; i++) {
		if (pmem_read64(c->smmu->mem, pa + 8u * i, &w[i], NULL) !=
		    MEM_OK) {
			ev->id = cls == EVT_CLASS_CD ? EVT_F_CD_FETCH
						     : EVT_F_WALK_EABT;
			ev->fetch_addr = pa + 8u * i;
			return false;
		}
	}
	return true;
}

/* --- page tables ---------------------------------------------------------- */

struct ptw {
	struct ictx *c;
	const struct walk_regime *r;
	const struct walk_regime *s2;  /* nested: table addresses are IPAs */
	json_t *maps, *notes;
	uint64_t descs;
	bool truncated;
	/* the run being accumulated */
	bool have;
	uint64_t ia, oa, size, attrs, leaf;
	int level;
};

static const char *gname(unsigned g)
{
	return g == 12 ? "4K" : g == 14 ? "16K" : g == 16 ? "64K" : "?";
}

static void attr_text(const struct ptw *w, uint64_t d, char *b, size_t n)
{
	if (w->r->stage == 1) {
		snprintf(b, n, "%s%s%s%s%s%s attr%u sh%u%s",
			 fget(&d, S1_AP2) ? "ro" : "rw",
			 fget(&d, S1_AP1) ? " el0" : "",
			 fget(&d, LEAF_AF) ? "" : " !AF",
			 fget(&d, S1_NG) ? " nG" : "",
			 fget(&d, S1_PXN) ? " PXN" : "",
			 fget(&d, S1_UXN) ? (w->r->one_priv ? " XN" : " UXN")
					  : "",
			 (unsigned)fget(&d, S1_ATTRINDX),
			 (unsigned)fget(&d, LEAF_SH),
			 fget(&d, LEAF_DBM) ? " DBM" : "");
	} else {
		snprintf(b, n, "s2ap=%c%c%s xn=%u memattr=0x%x sh%u%s",
			 fget(&d, S2_S2AP_R) ? 'r' : '-',
			 fget(&d, S2_S2AP_W) ? 'w' : '-',
			 fget(&d, LEAF_AF) ? "" : " !AF",
			 (unsigned)fget(&d, S2_XN),
			 (unsigned)fget(&d, S2_MEMATTR),
			 (unsigned)fget(&d, LEAF_SH),
			 fget(&d, LEAF_DBM) ? " DBM" : "");
	}
}

static void size_text(uint64_t sz, char *b, size_t n)
{
	if (sz >= (UINT64_C(1) << 30))
		snprintf(b, n, "%lluG", (unsigned long long)(sz >> 30));
	else if (sz >= (UINT64_C(1) << 20))
		snprintf(b, n, "%lluM", (unsigned long long)(sz >> 20));
	else
		snprintf(b, n, "%lluK", (unsigned long long)(sz >> 10));
}

static void flush_run(struct ptw *w)
{
	char attrs[160], sz[16];

	if (!w->have)
		return;
	attr_text(w, w->attrs, attrs, sizeof(attrs));
	size_text(w->leaf, sz, sizeof(sz));
	json_array_append_new(w->maps, strf("0x%llx-0x%llx -> 0x%llx  %s %s "
		"x%llu  %s", (unsigned long long)w->ia,
		(unsigned long long)(w->ia + w->size - 1),
		(unsigned long long)w->oa, sz,
		w->level == 3 ? "page" : "block",
		(unsigned long long)(w->size / w->leaf), attrs));
	w->have = false;
}

static void note(struct ptw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct ptw *w, const char *fmt, ...)
{
	char b[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	json_array_append_new(w->notes, json_string(b));
}

static void leaf(struct ptw *w, uint64_t ia, uint64_t d, int level,
		 unsigned shift)
{
	uint64_t size = UINT64_C(1) << shift;
	uint64_t oa = fget_inplace(&d, LEAF_OA) & ~(size - 1);
	/* what distinguishes two leaves besides their addresses */
	uint64_t attrs = d & ~rmask(RFLD(49, 12)) & ~UINT64_C(3);

	if (w->have && w->level == level && w->attrs == attrs &&
	    w->ia + w->size == ia && w->oa + w->size == oa) {
		w->size += size;
		return;
	}
	flush_run(w);
	w->have = true;
	w->ia = ia;
	w->oa = oa;
	w->size = size;
	w->leaf = size;
	w->attrs = attrs;
	w->level = level;
}

static bool block_allowed(unsigned g, int level)
{
	if (g == 12)
		return level == 1 || level == 2;
	return level == 2; /* 16K, 64K without 52-bit VA/PA (no DS) */
}

static void walk_table(struct ptw *w, uint64_t table, int level,
		       uint64_t ia_base, uint64_t n)
{
	unsigned g = w->r->granule_shift;
	unsigned shift = level_shift(g, level);

	for (uint64_t i = 0; i < n; i++) {
		struct smmu_event ev = { 0 };
		uint64_t d, ia = ia_base + (i << shift);

		if (w->descs++ >= w->c->max_descs) {
			w->truncated = true;
			return;
		}
		if (!fetch(w->c, w->s2, table + 8 * i, &d, 1, EVT_CLASS_TT,
			   &ev, NULL)) {
			flush_run(w);
			note(w, "level %d table at 0x%llx: %s reading it", level,
			     (unsigned long long)table, evname(ev.id));
			w->c->problems++;
			return;
		}
		if (w->r->endi)
			d = __builtin_bswap64(d);
		if (!fget(&d, DESC_VALID))
			continue;
		if (level < 3 && fget(&d, DESC_TYPE)) {
			uint64_t next = fget_inplace(&d, TBL_NLTA) &
					~((UINT64_C(1) << g) - 1);

			walk_table(w, next, level + 1, ia,
				   UINT64_C(1) << (g - 3));
			if (w->truncated)
				return;
			continue;
		}
		if (level == 3 && !fget(&d, DESC_TYPE)) {
			flush_run(w);
			note(w, "0x%llx: reserved level-3 descriptor 0x%llx "
			     "(F_TRANSLATION)", (unsigned long long)ia,
			     (unsigned long long)d);
			continue;
		}
		if (level < 3 && !block_allowed(g, level)) {
			flush_run(w);
			note(w, "0x%llx: block descriptor 0x%llx not allowed at "
			     "level %d with a %s granule (F_TRANSLATION)",
			     (unsigned long long)ia, (unsigned long long)d,
			     level, gname(g));
			continue;
		}
		leaf(w, ia, d, level, shift);
	}
}

/* Describe a regime and list its mappings. `ttb1`: the TTB1 half, whose
 * addresses are the top of the 64-bit space. */
static json_t *regime(struct ictx *c, const struct walk_regime *r,
		      const struct walk_regime *s2, bool ttb1)
{
	json_t *o = json_object();
	struct ptw w = { 0 };
	unsigned ia_bits, top;
	uint64_t n, base = 0;

	if (r->disabled) {
		put(o, "disabled", json_string("EPD=1: any access faults "
					       "(F_TRANSLATION)"));
		return o;
	}
	ia_bits = 64u - r->tsz;
	put(o, "granule", json_string(gname(r->granule_shift)));
	put(o, "input_bits", json_integer(ia_bits));
	put(o, "start_level", json_integer(r->start_level));
	if (r->stage == 2)
		put(o, "concatenated", json_integer(r->concat));
	put(o, r->stage == 2 ? "S2TTB" : "TTB", hex(r->ttb));
	if (s2)
		put(o, "ttb_is", json_string("IPA (nested: table addresses "
					     "go through stage 2)"));
	put(o, "output_bits", json_integer(r->oas_bits));
	if (r->stage == 1)
		put(o, "ASID", hex(r->asid));
	else
		put(o, "VMID", hex(r->vmid));
	put(o, "HA/HD", strf("%u/%u", r->ha, r->hd));
	if (r->endi)
		put(o, "endianness", json_string("big"));
	top = level_shift(r->granule_shift, r->start_level);
	if (ia_bits <= top || ia_bits - top > r->granule_shift + 1u) {
		put(o, "error", json_string("inconsistent geometry"));
		return o;
	}
	n = UINT64_C(1) << (ia_bits - top);
	if (ttb1)
		base = ~UINT64_C(0) << ia_bits;
	w.c = c;
	w.r = r;
	w.s2 = s2;
	w.maps = json_array();
	w.notes = json_array();
	walk_table(&w, r->ttb, r->start_level, base, n);
	flush_run(&w);
	put(o, "mappings", w.maps);
	if (json_array_size(w.notes))
		put(o, "problems", w.notes);
	else
		json_decref(w.notes);
	if (w.truncated) {
		put(o, "truncated", strf("more than %llu descriptors",
					 (unsigned long long)c->max_descs));
		c->truncated = true;
	}
	return o;
}

/* --- CDs ------------------------------------------------------------------ */

static const char *s1fmt_name(unsigned f)
{
	return f == S1FMT_2L_4K ? "2-level, 4K leaves" :
	       f == S1FMT_2L_64K ? "2-level, 64K leaves" : "linear";
}

static const char *s1dss_name(unsigned d)
{
	return d == S1DSS_BYPASS ? "bypass" : d == S1DSS_SSID0 ? "substream 0"
							       : "terminate";
}

/* One CD at `addr` (PA, or IPA with stage 2); NULL when V=0 and not
 * asked for explicitly. */
static json_t *one_cd(struct ictx *c, const struct ste_cfg *ste,
		      bool substreams, uint32_t ssid, uint64_t addr,
		      bool show_invalid)
{
	const struct walk_regime *s2 = ste->s2_en ? &ste->s2 : NULL;
	struct smmu_event ev = { 0 };
	struct cfg_illegal why = { 0 };
	uint64_t raw[CD_DWORDS], pa;
	struct cd_cfg cd;
	json_t *o;

	if (!fetch(c, s2, addr, raw, CD_DWORDS, EVT_CLASS_CD, &ev, &pa)) {
		o = json_object();
		if (substreams)
			put(o, "SSID", hex(ssid));
		put(o, "address", hex(addr));
		put(o, "status", strf("%s fetching the CD", evname(ev.id)));
		c->problems++;
		return o;
	}
	if (!fget(raw, CD_V) && !show_invalid)
		return NULL;
	o = json_object();
	if (substreams)
		put(o, "SSID", hex(ssid));
	put(o, "address", hex(addr));
	if (s2)
		put(o, "pa", hex(pa));
	put(o, "words", words(raw, CD_DWORDS));
	if (!cd_decode_why(c->smmu, ste, raw, &cd, &why)) {
		put(o, "status", json_string(fget(raw, CD_V) ? "ILLEGAL (C_BAD_CD)"
						  : "invalid: V=0 (C_BAD_CD)"));
		if (fget(raw, CD_V)) {
			add_illegal(o, &why);
			c->illegal++;
		}
		c->problems++;
		return o;
	}
	put(o, "status", json_string("valid"));
	put(o, "ASID", hex(cd.asid));
	put(o, "faults", strf("A=%u R=%u S=%u", cd.a, cd.r, cd.s));
	put(o, "TTB0", regime(c, &cd.tt[0], s2, false));
	put(o, "TTB1", regime(c, &cd.tt[1], s2, true));
	return o;
}

static json_t *cd_table(struct ictx *c, const struct ste_cfg *ste)
{
	bool substreams = ste->s1cdmax != 0 && c->smmu->impl.ssidsize != 0;
	json_t *a = json_array();
	uint64_t n, step, cycles = 0;

	if (!substreams) {
		json_t *cd = one_cd(c, ste, false, 0, ste->s1ctxptr, true);

		json_array_append_new(a, cd);
		return a;
	}
	n = ste->s1cdmax >= 32 ? UINT64_C(1) << 32
			       : UINT64_C(1) << ste->s1cdmax;
	/* 2-level: probe each leaf through its first SSID; an invalid L1CD
	 * (C_BAD_SUBSTREAMID) skips the leaf */
	step = ste->s1fmt == S1FMT_LINEAR ? n
	       : UINT64_C(1) << (ste->s1fmt == S1FMT_2L_4K ? CD_LEAF_BITS_4K
							   : CD_LEAF_BITS_64K);
	for (uint64_t first = 0; first < n; first += step) {
		for (uint64_t s = first; s < first + step && s < n; s++) {
			struct smmu_event ev = { 0 };
			uint64_t addr;
			json_t *cd;

			if (s >= c->max_entries) {
				c->truncated = true;
				return a;
			}
			if (!cd_locate(c->smmu, ste, true, (uint32_t)s, &addr,
				       &ev, &cycles)) {
				if (ev.id != EVT_C_BAD_SUBSTREAMID) {
					json_t *o = json_object();

					put(o, "SSID", hex(s));
					put(o, "status", strf("%s locating the "
						"CD", evname(ev.id)));
					json_array_append_new(a, o);
					c->problems++;
				}
				break; /* the rest of this leaf likewise */
			}
			cd = one_cd(c, ste, true, (uint32_t)s, addr, false);
			if (cd)
				json_array_append_new(a, cd);
		}
	}
	return a;
}

/* --- STEs ----------------------------------------------------------------- */

static const char *config_name(const struct ste_cfg *s)
{
	if (s->abort)
		return "abort";
	if (s->bypass)
		return "bypass";
	if (s->s1_en && s->s2_en)
		return "nested (stage 1 + stage 2)";
	return s->s1_en ? "stage 1" : "stage 2";
}

/* One stream; NULL if it is not worth listing (V=0 in a scan). */
static json_t *stream(struct ictx *c, uint32_t sid, bool explicit)
{
	struct smmu *smmu = c->smmu;
	struct smmu_event ev = { 0 };
	struct cfg_illegal why = { 0 };
	uint64_t addr, raw[STE_DWORDS], cycles = 0;
	struct ste_cfg ste;
	json_t *o;

	if (!strtab_locate(smmu, smmu_strtab_base(smmu),
			   smmu_strtab_base_cfg(smmu), sid, &addr, &ev,
			   &cycles)) {
		if (!explicit)
			return NULL;
		o = json_object();
		put(o, "SID", hex(sid));
		put(o, "status", strf("%s locating the STE", evname(ev.id)));
		if (ev.id == EVT_F_STE_FETCH)
			put(o, "fetch_address", hex(ev.fetch_addr));
		c->problems++;
		return o;
	}
	for (unsigned i = 0; i < STE_DWORDS; i++) {
		if (pmem_read64(smmu->mem, addr + 8u * i, &raw[i], NULL) !=
		    MEM_OK) {
			o = json_object();
			put(o, "SID", hex(sid));
			put(o, "address", hex(addr));
			put(o, "status", json_string("F_STE_FETCH reading the "
						     "STE"));
			c->problems++;
			return o;
		}
	}
	if (!fget(raw, STE_V) && !explicit)
		return NULL;
	o = json_object();
	put(o, "SID", hex(sid));
	put(o, "address", hex(addr));
	put(o, "words", words(raw, STE_DWORDS));
	if (!ste_decode_why(smmu, raw, &ste, &why)) {
		put(o, "status", json_string(fget(raw, STE_V)
			? "ILLEGAL (C_BAD_STE)" : "invalid: V=0 (C_BAD_STE)"));
		if (fget(raw, STE_V)) {
			add_illegal(o, &why);
			c->illegal++;
			c->valid_stes++;
		}
		c->problems++;
		return o;
	}
	c->valid_stes++;
	put(o, "status", json_string("valid"));
	put(o, "Config", strf("0b%u%u%u: %s", (ste.config >> 2) & 1,
			      (ste.config >> 1) & 1, ste.config & 1,
			      config_name(&ste)));
	if (ste.abort || ste.bypass)
		return o;
	if (ste.s2_en) {
		put(o, "S2VMID", hex(ste.s2.vmid));
		put(o, "S2R/S2S", strf("%u/%u", ste.s2r, ste.s2s));
		put(o, "stage2", regime(c, &ste.s2, NULL, false));
	}
	if (ste.s1_en) {
		put(o, "S1Fmt", json_string(s1fmt_name(ste.s1fmt)));
		put(o, "S1CDMax", json_integer(ste.s1cdmax));
		if (ste.s1cdmax)
			put(o, "S1DSS", json_string(s1dss_name(ste.s1dss)));
		put(o, "S1ContextPtr", hex(ste.s1ctxptr));
		put(o, "CDs", cd_table(c, &ste));
	}
	return o;
}

static json_t *global(struct ictx *c)
{
	struct smmu *smmu = c->smmu;
	json_t *o = json_object();
	uint32_t cfg = smmu_strtab_base_cfg(smmu);
	unsigned log2size = (unsigned)rget(cfg, STRTAB_BASE_CFG_LOG2SIZE);
	uint64_t v;

	put(o, "SMMUEN", json_boolean(smmu_enabled(smmu)));
	if (smmu_reg_read(smmu, SMMU_CR0ACK_OFF, 4, &v))
		put(o, "CR0ACK", hex(v));
	put(o, "CR2", hex(smmu_cr2(smmu)));
	put(o, "GBPA", hex(smmu_gbpa(smmu)));
	if (!smmu_enabled(smmu))
		put(o, "incoming", json_string(rget(smmu_gbpa(smmu), GBPA_ABORT)
			? "aborted (GBPA.ABORT=1)" : "bypass (GBPA.ABORT=0)"));
	put(o, "OAS_bits", json_integer(smmu_oas_bits(smmu->impl.oas)));
	put(o, "IAS_bits", json_integer(smmu_ias_bits(&smmu->impl)));
	put(o, "STRTAB_BASE", hex(smmu_strtab_base(smmu)));
	put(o, "STRTAB_BASE_CFG", hex(cfg));
	if (log2size > smmu->impl.sidsize)
		log2size = smmu->impl.sidsize;
	put(o, "stream_table", strf("%s, %u StreamID bits (LOG2SIZE capped "
		"by IDR1.SIDSIZE)",
		rget(cfg, STRTAB_BASE_CFG_FMT) == 1 && smmu->impl.st_level
			? "2-level" : "linear", log2size));
	return o;
}

static void scan(struct ictx *c, json_t *streams)
{
	struct smmu *smmu = c->smmu;
	uint32_t cfg = smmu_strtab_base_cfg(smmu);
	unsigned log2size = (unsigned)rget(cfg, STRTAB_BASE_CFG_LOG2SIZE);
	bool two = rget(cfg, STRTAB_BASE_CFG_FMT) == 1 && smmu->impl.st_level;
	unsigned split = (unsigned)rget(cfg, STRTAB_BASE_CFG_SPLIT);
	uint64_t n, step, visited = 0;

	if (log2size > smmu->impl.sidsize)
		log2size = smmu->impl.sidsize;
	if (split != 6 && split != 8 && split != 10)
		split = 6;
	n = UINT64_C(1) << log2size;
	step = two && log2size > split ? UINT64_C(1) << split : n;
	for (uint64_t first = 0; first < n; first += step) {
		for (uint64_t sid = first; sid < first + step && sid < n;
		     sid++) {
			struct smmu_event ev = { 0 };
			uint64_t addr, cycles = 0;
			json_t *s;

			if (visited++ >= c->max_entries) {
				c->truncated = true;
				return;
			}
			/* a 2-level group ends at its L1STD's span */
			if (!strtab_locate(smmu, smmu_strtab_base(smmu), cfg,
					   (uint32_t)sid, &addr, &ev, &cycles)) {
				if (ev.id == EVT_F_STE_FETCH) {
					json_t *o = json_object();

					put(o, "SIDs", strf("0x%llx-0x%llx",
						(unsigned long long)first,
						(unsigned long long)(first +
							step - 1)));
					put(o, "status", strf("F_STE_FETCH at "
						"0x%llx (L1STD)",
						(unsigned long long)
							ev.fetch_addr));
					json_array_append_new(streams, o);
					c->problems++;
				}
				break;
			}
			s = stream(c, (uint32_t)sid, false);
			if (s)
				json_array_append_new(streams, s);
		}
	}
}

/* --- the text outline ------------------------------------------------------ */

static void render(FILE *f, json_t *v, int indent, const char *key);

static bool flat_array(json_t *a)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (!json_is_string(e) || strchr(json_string_value(e), ' '))
			return false;
	return true;
}

static void scalar(FILE *f, json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
	else
		fputs("-", f);
}

static void render_object(FILE *f, json_t *o, int indent, bool dash)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(o, k, v) {
		int ind = indent;

		if (dash && first)
			fprintf(f, "%*s- ", indent - 2, "");
		else
			fprintf(f, "%*s", ind, "");
		first = false;
		render(f, v, indent, k);
	}
}

static void render(FILE *f, json_t *v, int indent, const char *key)
{
	size_t i;
	json_t *e;

	if (json_is_object(v)) {
		fprintf(f, "%s:\n", key);
		render_object(f, v, indent + 2, false);
	} else if (json_is_array(v)) {
		if (flat_array(v)) {
			fprintf(f, "%s:", key);
			json_array_foreach(v, i, e)
				fprintf(f, " %s", json_string_value(e));
			fputc('\n', f);
			return;
		}
		fprintf(f, "%s:%s\n", key, json_array_size(v) ? "" : " none");
		json_array_foreach(v, i, e) {
			if (json_is_object(e)) {
				render_object(f, e, indent + 4, true);
			} else {
				fprintf(f, "%*s- ", indent + 2, "");
				scalar(f, e);
				fputc('\n', f);
			}
		}
	} else {
		fprintf(f, "%s: ", key);
		scalar(f, v);
		fputc('\n', f);
	}
}

bool xc_inspect(struct smmu *smmu, FILE *out,
		const struct xc_inspect_opts *o, unsigned *problems,
		char *err, size_t errlen)
{
	struct ictx c = { .smmu = smmu, .o = o };
	json_t *root = json_object(), *streams = json_array(), *sum;

	if (!root || !streams) {
		json_decref(root);
		json_decref(streams);
		errf(err, errlen, "out of memory");
		return false;
	}
	c.max_entries = o->max_entries ? o->max_entries : UINT64_C(1) << 20;
	c.max_descs = o->max_descs ? o->max_descs : UINT64_C(1) << 20;
	put(root, "smmu", global(&c));
	if (o->one_sid) {
		json_array_append_new(streams, stream(&c, o->sid, true));
	} else {
		scan(&c, streams);
	}
	put(root, "streams", streams);
	sum = json_object();
	put(sum, "STEs", json_integer(c.valid_stes));
	put(sum, "ILLEGAL", json_integer(c.illegal));
	put(sum, "problems", json_integer(c.problems));
	if (c.truncated)
		put(sum, "truncated", json_string("limits reached: not every "
			"entry or descriptor was listed"));
	put(root, "summary", sum);
	if (o->json) {
		json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
	} else {
		const char *k;
		json_t *v;

		json_object_foreach(root, k, v)
			render(out, v, 0, k);
	}
	json_decref(root);
	if (problems)
		*problems = c.problems;
	return true;
}
