/* SPDX-License-Identifier: MIT */
/*
 * Configuration cache: decoded STEs keyed by StreamID and decoded CDs
 * keyed by (StreamID, SubstreamID), in one set-associative array with the
 * geometry of impl.cfgcache (IHI 0070 §3.6, §4.3; facts §3.6).
 *
 * Only successfully decoded structures are cached: failed fetches and
 * ILLEGAL structures are looked up again each time.
 *
 * Invalidation (CMD_CFGI_*) scans the entries that can hold a match and
 * returns how many it scanned, for the command's timing: one set for a
 * single CD, the whole array otherwise (a StreamID's CDs are spread over
 * every set).
 */
#include "smmu/smmu_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum cfg_kind { CFG_STE, CFG_CD };

struct cfg_entry {
	bool valid;
	uint8_t kind;       /* enum cfg_kind */
	uint32_t sid, ssid;
	uint64_t stamp;     /* LRU: last use; FIFO: insertion */
	union {
		struct ste_cfg ste;
		struct cd_cfg cd;
	} u;
};

struct smmu_cfgcache {
	uint32_t sets, ways;
	enum smmu_repl_policy policy;
	uint64_t clock;
	struct cfg_entry *e; /* sets * ways, set-major */
	/*
	 * The STE of the translation in progress (cfgcache_ref_ste): it is
	 * never chosen as a victim, so the CD fill of the same translation
	 * cannot evict the STE it is being read through.
	 */
	const struct cfg_entry *pinned;
	/* Bumped by every fill and invalidation (see cfgcache_gen). */
	uint64_t gen;
};

struct smmu_cfgcache *cfgcache_create(struct smmu *smmu)
{
	struct smmu_cfgcache *c = calloc(1, sizeof(*c));
	const struct smmu_cache_geom *g = &smmu->impl.cfgcache;

	if (!c)
		return NULL;
	c->policy = g->policy;
	if (g->sets && g->ways) {
		c->e = calloc((size_t)g->sets * g->ways, sizeof(*c->e));
		if (!c->e) {
			free(c);
			return NULL;
		}
		c->sets = g->sets;
		c->ways = g->ways;
	}
	return c;
}

void cfgcache_destroy(struct smmu_cfgcache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

/* Set index: a mix of the key, so that neighbouring SIDs and SSIDs
 * spread over the sets. */
static uint32_t set_of(const struct smmu_cfgcache *c, uint8_t kind,
		       uint32_t sid, uint32_t ssid)
{
	uint64_t h = ((uint64_t)sid << 21) ^ ssid ^ ((uint64_t)kind << 53);

	h ^= h >> 31;
	h *= UINT64_C(0x9E3779B97F4A7C15);
	h ^= h >> 29;
	return (uint32_t)h & (c->sets - 1); /* sets is a power of two */
}

static struct cfg_entry *find(struct smmu_cfgcache *c, uint8_t kind,
			      uint32_t sid, uint32_t ssid)
{
	struct cfg_entry *set;

	if (!c || !c->e)
		return NULL;
	set = &c->e[(size_t)set_of(c, kind, sid, ssid) * c->ways];
	for (uint32_t w = 0; w < c->ways; w++)
		if (set[w].valid && set[w].kind == kind && set[w].sid == sid &&
		    set[w].ssid == ssid)
			return &set[w];
	return NULL;
}

/* The way to fill: the existing entry for the key, a free way, or the
 * policy's victim. */
static struct cfg_entry *victim(struct smmu *smmu, uint8_t kind,
				uint32_t sid, uint32_t ssid)
{
	struct smmu_cfgcache *c = smmu->cfgcache;
	struct cfg_entry *set, *v;

	if (!c || !c->e)
		return NULL;
	v = find(c, kind, sid, ssid);
	if (v)
		return v;
	set = &c->e[(size_t)set_of(c, kind, sid, ssid) * c->ways];
	for (uint32_t w = 0; w < c->ways; w++)
		if (!set[w].valid)
			return &set[w];
	/* Only a CD fill must spare the pinned STE (its own translation's). */
	const struct cfg_entry *pin = kind == CFG_CD ? c->pinned : NULL;

	if (c->policy == SMMU_REPL_RANDOM) {
		v = &set[sim_rand_below(smmu->sim, c->ways)];
		if (v != pin)
			return v;
		/* the pinned way was drawn: take the next one */
		return c->ways > 1 ? &set[(v - set + 1) % c->ways] : NULL;
	}
	v = NULL;
	for (uint32_t w = 0; w < c->ways; w++)
		if (&set[w] != pin && (!v || set[w].stamp < v->stamp))
			v = &set[w];
	return v; /* NULL only for a 1-way set holding the pinned STE */
}

static void touch(struct smmu_cfgcache *c, struct cfg_entry *e)
{
	if (c->policy == SMMU_REPL_LRU)
		e->stamp = ++c->clock;
}

static struct cfg_entry *fill(struct smmu *smmu, uint8_t kind, uint32_t sid,
			      uint32_t ssid)
{
	struct cfg_entry *e = victim(smmu, kind, sid, ssid);

	if (!e)
		return NULL;
	smmu->cache_epoch++;
	smmu->cfgcache->gen++;
	if (!(e->valid && e->kind == kind && e->sid == sid &&
	      e->ssid == ssid))
		e->stamp = ++smmu->cfgcache->clock; /* new entry */
	else
		touch(smmu->cfgcache, e);
	e->valid = true;
	e->kind = kind;
	e->sid = sid;
	e->ssid = ssid;
	return e;
}

const struct ste_cfg *cfgcache_ref_ste(struct smmu *smmu, uint32_t sid)
{
	struct cfg_entry *e = find(smmu->cfgcache, CFG_STE, sid, 0);

	if (smmu->cfgcache)
		smmu->cfgcache->pinned = e;
	if (!e)
		return NULL;
	touch(smmu->cfgcache, e);
	return &e->u.ste;
}

static struct cfg_entry *entry_of_ste(const struct ste_cfg *ste)
{
	return (struct cfg_entry *)((const char *)ste -
				    offsetof(struct cfg_entry, u.ste));
}

static struct cfg_entry *entry_of_cd(const struct cd_cfg *cd)
{
	return (struct cfg_entry *)((const char *)cd -
				    offsetof(struct cfg_entry, u.cd));
}

void cfgcache_touch_ste(struct smmu *smmu, const struct ste_cfg *ste)
{
	struct cfg_entry *e = entry_of_ste(ste);

	smmu->cfgcache->pinned = e;
	touch(smmu->cfgcache, e);
}

void cfgcache_touch_cd(struct smmu *smmu, const struct cd_cfg *cd)
{
	touch(smmu->cfgcache, entry_of_cd(cd));
}

void cfgcache_touch_both(struct smmu *smmu, const struct ste_cfg *ste,
			 const struct cd_cfg *cd)
{
	struct smmu_cfgcache *c = smmu->cfgcache;
	struct cfg_entry *e = entry_of_ste(ste);

	c->pinned = e;
	if (c->policy != SMMU_REPL_LRU)
		return;
	/* the clock read once: the stamp stores cannot change it */
	uint64_t clock = c->clock;

	e->stamp = ++clock;
	if (cd)
		entry_of_cd(cd)->stamp = ++clock;
	c->clock = clock;
}

bool cfgcache_get_ste(struct smmu *smmu, uint32_t sid, struct ste_cfg *out)
{
	const struct ste_cfg *ste = cfgcache_ref_ste(smmu, sid);

	if (ste)
		*out = *ste;
	return ste != NULL;
}

void cfgcache_put_ste(struct smmu *smmu, uint32_t sid,
		      const struct ste_cfg *ste)
{
	struct cfg_entry *e = fill(smmu, CFG_STE, sid, 0);

	if (e)
		e->u.ste = *ste;
}

const struct cd_cfg *cfgcache_ref_cd(struct smmu *smmu, uint32_t sid,
				     uint32_t ssid)
{
	struct cfg_entry *e = find(smmu->cfgcache, CFG_CD, sid, ssid);

	if (!e)
		return NULL;
	touch(smmu->cfgcache, e);
	return &e->u.cd;
}

bool cfgcache_get_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid,
		     struct cd_cfg *out)
{
	const struct cd_cfg *cd = cfgcache_ref_cd(smmu, sid, ssid);

	if (cd)
		*out = *cd;
	return cd != NULL;
}

void cfgcache_put_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid,
		     const struct cd_cfg *cd)
{
	struct cfg_entry *e = fill(smmu, CFG_CD, sid, ssid);

	if (e)
		e->u.cd = *cd;
}

uint64_t cfgcache_gen(const struct smmu *smmu)
{
	return smmu->cfgcache ? smmu->cfgcache->gen : 0;
}

/* --- invalidation (§4.3) -------------------------------------------- */

static void gen_bump(struct smmu *smmu)
{
	if (smmu->cfgcache)
		smmu->cfgcache->gen++;
}

/* Drop every entry matching the predicate; returns entries scanned. */
static uint64_t scan_all(struct smmu_cfgcache *c,
			 bool (*match)(const struct cfg_entry *, uint32_t,
				       uint32_t),
			 uint32_t a, uint32_t b)
{
	uint64_t n;

	if (!c || !c->e)
		return 0;
	n = (uint64_t)c->sets * c->ways;
	for (uint64_t i = 0; i < n; i++)
		if (c->e[i].valid && match(&c->e[i], a, b))
			c->e[i].valid = false;
	return n;
}

/* a = first SID, b = log2 of the number of SIDs */
static bool match_sid_range(const struct cfg_entry *e, uint32_t a,
			    uint32_t b)
{
	if (b >= 32)
		return true;
	return (e->sid >> b) == (a >> b);
}

static bool match_cds_of(const struct cfg_entry *e, uint32_t sid,
			 uint32_t unused)
{
	(void)unused;
	return e->kind == CFG_CD && e->sid == sid;
}

static bool match_any(const struct cfg_entry *e, uint32_t a, uint32_t b)
{
	(void)e;
	(void)a;
	(void)b;
	return true;
}

/*
 * CFGI_STE (range = 0) and CFGI_STE_RANGE: the STEs of the 2^range
 * StreamIDs aligned around sid (range >= 32: all), and every CD
 * fetched through them (§4.3.1, §4.3.2). cmdq.c passes Range + 1.
 */
uint64_t cfgcache_inv_ste(struct smmu *smmu, uint32_t sid, uint32_t range)
{
	smmu->cache_epoch++;
	gen_bump(smmu);
	return scan_all(smmu->cfgcache, match_sid_range, sid, range);
}

/* CFGI_CD: one (StreamID, SubstreamID) CD (§4.3.3) */
uint64_t cfgcache_inv_cd(struct smmu *smmu, uint32_t sid, uint32_t ssid)
{
	struct smmu_cfgcache *c = smmu->cfgcache;
	struct cfg_entry *e;

	smmu->cache_epoch++;
	gen_bump(smmu);
	if (!c || !c->e)
		return 0;
	e = find(c, CFG_CD, sid, ssid);
	if (e)
		e->valid = false;
	return c->ways;
}

/* CFGI_CD_ALL: every CD of a StreamID, the STE stays (§4.3.4) */
uint64_t cfgcache_inv_cd_all(struct smmu *smmu, uint32_t sid)
{
	smmu->cache_epoch++;
	gen_bump(smmu);
	return scan_all(smmu->cfgcache, match_cds_of, sid, 0);
}

/* CFGI_ALL (§4.3.5) */
uint64_t cfgcache_inv_all(struct smmu *smmu)
{
	smmu->cache_epoch++;
	gen_bump(smmu);
	return scan_all(smmu->cfgcache, match_any, 0, 0);
}
