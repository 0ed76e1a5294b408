/* SPDX-License-Identifier: MIT */
/*
 * The implementation description: everything that distinguishes one SMMUv3
 * implementation from another — the ID register contents, queue and table
 * limits, cache geometry and latencies. One struct; presets fill it
 * (`full`, `qemu-7.2`, `mmu-600-like`) and a preset file can override any
 * field (docs/presets.md).
 */
#ifndef SMMUSIM_SMMU_IMPL_H
#define SMMUSIM_SMMU_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smmu_repl_policy {
	SMMU_REPL_LRU = 0,
	SMMU_REPL_FIFO = 1,
	SMMU_REPL_RANDOM = 2,
};

struct smmu_cache_geom {
	uint32_t sets;   /* power of two, >= 1 */
	uint32_t ways;   /* >= 1; sets * ways == 0 disables the cache */
	enum smmu_repl_policy policy;
};

/* Per-step costs in SMMU cycles; see docs/timing.md for each default. */
struct smmu_latency {
	uint32_t tlb_lookup;      /* TLB lookup, hit or miss */
	uint32_t cfg_lookup;      /* configuration cache lookup */
	uint32_t walkcache_lookup;/* walk cache lookup, per level probed */
	uint32_t ste_decode;      /* decode/check a fetched STE */
	uint32_t cd_decode;       /* decode/check a fetched CD */
	uint32_t walk_step;       /* per descriptor, on top of the memory read */
	uint32_t perm_check;      /* permission and attribute resolution */
	uint32_t cmd_fetch;       /* per command consumed, on top of memory */
	uint32_t cmd_exec;        /* per command executed */
	uint32_t tlbi_per_entry;  /* per cache entry scanned by an invalidation */
	uint32_t sync;            /* CMD_SYNC completion, on top of draining */
	uint32_t evt_write;       /* per event/PRI record written */
	uint32_t cr0_ack;         /* CR0 -> CR0ACK, IRQ_CTRL -> IRQ_CTRLACK */
	uint32_t gbpa_update;     /* GBPA.Update clear */
	uint32_t atc_inv_timeout; /* CMD_SYNC gives up waiting for ATS
				   * Invalidate Completions (§3.9.1.4) */
};

struct smmu_impl {
	char name[32];

	/* Architecture revision: AIDR.ArchMinorRev 0..3 = SMMUv3.0..v3.3 */
	uint8_t arch_minor;
	uint32_t iidr;

	/* IDR0 */
	bool s1p, s2p;
	uint8_t ttf;          /* 2 = AArch64 only, 3 = AArch32 + AArch64 */
	bool cohacc, btm;
	uint8_t httu;         /* 0 none, 1 AF, 2 AF+dirty */
	bool dormhint, hyp, ats, ns1ats, asid16, msi, sev, atos, pri, vmw;
	bool vmid16, cd2l, vatos;
	uint8_t ttendian;     /* 0 mixed, 2 LE only, 3 BE only */
	bool atsrecerr;
	uint8_t stall_model;  /* 0 stall+terminate, 1 terminate, 2 stall forced */
	bool term_model;
	uint8_t st_level;     /* 0 linear only, 1 linear + 2-level */

	/* IDR1 */
	bool tables_preset, queues_preset, rel;
	uint8_t cmdqs, eventqs, priqs; /* log2 max entries, <= 19 */
	uint8_t ssidsize;     /* 0..20 */
	uint8_t sidsize;      /* 0..32 */

	/* IDR3 */
	bool had, pbha, xnx, pps, fwb, stt, ril, e0pd;
	uint8_t bbml;         /* break-before-make level 0..2 (§3.21.1) */

	/* IDR5 */
	uint16_t stall_max;
	uint8_t vax;
	bool gran4k, gran16k, gran64k;
	uint8_t oas;          /* IDR5.OAS encoding: 0=32 .. 5=48, 6=52 */

	/* Caches */
	struct smmu_cache_geom tlb;
	struct smmu_cache_geom walkcache;  /* per level */
	struct smmu_cache_geom cfgcache;   /* STE and CD entries */

	/* Concurrency: bounded outstanding work (counting semaphores) */
	uint32_t max_translations;  /* translations in flight */
	uint32_t max_walks;         /* page-table walks in flight */

	struct smmu_latency lat;
};

/* Number of presets, and access by index or name. */
size_t smmu_impl_preset_count(void);
const char *smmu_impl_preset_name(size_t i);
/* Fill *out with a preset; false if the name is unknown. */
bool smmu_impl_preset(const char *name, struct smmu_impl *out);

/*
 * Apply one "key = value" setting (the preset file syntax) to *impl.
 * Returns false and writes a message into err (if non-NULL) when the key
 * is unknown or the value does not fit the field.
 */
bool smmu_impl_set(struct smmu_impl *impl, const char *key, const char *value,
		   char *err, size_t errlen);
/*
 * Load a preset file: `preset = NAME` first (optional, default `full`),
 * then one `key = value` per line, `#` comments. On error returns false
 * with "file:line:column: message" in err.
 */
bool smmu_impl_load_file(const char *path, struct smmu_impl *out, char *err,
			 size_t errlen);
/*
 * Check an implementation description for consistency with the
 * architecture (e.g. SIDSIZE >= 7 needs ST_LEVEL=1, PRI needs ATS).
 */
bool smmu_impl_validate(const struct smmu_impl *impl, char *err,
			size_t errlen);

/* OAS encoding <-> bits (32, 36, 40, 42, 44, 48, 52, 56). */
unsigned smmu_oas_bits(uint8_t enc);

/* The ID register values an implementation presents. */
uint32_t smmu_impl_idr0(const struct smmu_impl *impl);
uint32_t smmu_impl_idr1(const struct smmu_impl *impl);
uint32_t smmu_impl_idr3(const struct smmu_impl *impl);
uint32_t smmu_impl_idr5(const struct smmu_impl *impl);

#ifdef __cplusplus
}
#endif

#endif
