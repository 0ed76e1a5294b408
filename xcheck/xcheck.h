/* SPDX-License-Identifier: MIT */
/*
 * Cross-checking silicon: memory images, register files, prediction.
 *
 * A memory image is an ELF core file (ET_CORE) whose PT_LOAD segments
 * hold physical memory at p_paddr: QEMU's dump-guest-memory output, a
 * Linux kdump or /proc/vmcore, or what xc_core_save() writes. A register
 * file is a JSON object mapping SMMU register names, without the SMMU_
 * prefix ("CR0", "STRTAB_BASE", "IDR0", ...), to hex strings.
 *
 * xc_image_open() turns the two into a model instance: RAM loaded from
 * the core, the ID registers from the file (absent ones from a preset),
 * and the other registers programmed through the register interface as
 * a driver would (GBPA, CR1, CR2, STRTAB_BASE/_CFG, queues, then CR0).
 * xc_translate() asks that instance, so a prediction is the model's own
 * architecture implementation. docs/cross-checking.md is the user guide.
 *
 * Errors: every function that can fail returns false and writes one
 * line (no newline) into err; file errors start with "FILE:" and, where
 * a position is known, "FILE:LINE:COL:". Nothing here exits or aborts on
 * bad input.
 */
#ifndef SMMUSIM_XCHECK_H
#define SMMUSIM_XCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "smmusim/smmu.h"

/* --- register files ---------------------------------------------------- */

/* Every register of page 0 and page 1 the model implements. */
#define XC_REGS_MAX 64

struct xc_regs {
	bool present[XC_REGS_MAX];
	uint64_t val[XC_REGS_MAX];
};

/* Number of known registers; name and width (4 or 8 bytes) of one. */
unsigned xc_reg_count(void);
const char *xc_reg_name(unsigned i);
unsigned xc_reg_width(unsigned i);
/* Index of a register by name ("CR0" or "SMMU_CR0"); -1 if unknown. */
int xc_reg_index(const char *name);

/* Set / get by name; false for an unknown name or an absent value. */
bool xc_regs_set(struct xc_regs *r, const char *name, uint64_t v);
bool xc_regs_get(const struct xc_regs *r, const char *name, uint64_t *v);

/*
 * Parse a register file. JSON syntax errors are "FILE:LINE:COL: ...";
 * an unknown register, a value that is not a hex string or does not fit
 * the register are "FILE: "NAME": ...". `name` is used in messages.
 */
bool xc_regs_load(const char *path, struct xc_regs *r, char *err,
		  size_t errlen);
bool xc_regs_parse(const char *text, size_t len, const char *name,
		   struct xc_regs *r, char *err, size_t errlen);
/* Write the present registers as a JSON object, in register order. */
bool xc_regs_save(const char *path, const struct xc_regs *r, char *err,
		  size_t errlen);
/* Read every register of a live SMMU (smmu_reg_read). */
void xc_regs_from_smmu(struct smmu *smmu, struct xc_regs *r);

/* --- ELF core images --------------------------------------------------- */

struct xc_core_info {
	unsigned segments;       /* PT_LOAD segments used */
	unsigned regions;        /* RAM regions after merging adjacent ones */
	uint64_t file_bytes;     /* bytes copied from the file */
	uint64_t mem_bytes;      /* physical memory described */
};

/*
 * Add one RAM region per run of adjacent PT_LOAD segments to `mem` and
 * copy the file contents in (p_memsz beyond p_filesz reads as zero).
 * Refuses: not ELF, not ET_CORE, segments that overlap, run past the end
 * of the file, have p_filesz > p_memsz, or lie beyond 56 bits, a core
 * without PT_LOAD. `info` may be NULL.
 */
bool xc_core_load(const char *path, struct pmem *mem,
		  struct xc_core_info *info, char *err, size_t errlen);
/*
 * Write `mem`'s RAM as an ELF64 little-endian ET_CORE (EM_AARCH64): for
 * every RAM region holding at least one backed page, one PT_LOAD per
 * contiguous run of backed pages (p_paddr = p_vaddr = its address) and
 * one zero-fill PT_LOAD (p_filesz = 0) per unbacked gap, so reading it
 * back gives RAM where the model had RAM. RAM regions never written are
 * left out (they read back as holes). MMIO is never written.
 */
bool xc_core_save(const char *path, struct pmem *mem,
		  struct xc_core_info *info, char *err, size_t errlen);

/* --- model instances from images --------------------------------------- */

struct xc_image {
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	struct smmu_impl impl;
	struct xc_regs regs;
	struct xc_core_info core;
};

/*
 * Override the ID-register fields of `impl` (a preset) with IDR0, IDR1,
 * IDR3, IDR5, IIDR and AIDR from `r` where present, and validate.
 */
bool xc_impl_from_regs(struct smmu_impl *impl, const struct xc_regs *r,
		       char *err, size_t errlen);

/*
 * Build a model from a core and a register file. `preset` supplies what
 * the register file does not (caches, latencies, absent IDRs); NULL is
 * "full". CR0.CMDQEN is never set: commands left in the queue are not
 * executed. On success the caller owns img (xc_image_close); on failure
 * nothing is left allocated.
 */
bool xc_image_open(struct xc_image *img, const char *core_path,
		   const char *regs_path, const struct smmu_impl *preset,
		   char *err, size_t errlen);
/* The same from a register set already in memory and a loaded pmem
 * (img takes ownership of mem, also on failure). */
bool xc_image_open_mem(struct xc_image *img, struct pmem *mem,
		       const struct xc_regs *regs,
		       const struct smmu_impl *preset, char *err,
		       size_t errlen);
void xc_image_close(struct xc_image *img);

/*
 * Export a live model: its memory as a core and its registers (every
 * one, the ID registers included) as a register file. Either path may
 * be NULL to skip that file.
 */
bool xc_export(struct smmu *smmu, struct pmem *mem, const char *core_path,
	       const char *regs_path, char *err, size_t errlen);

/* --- translation prediction -------------------------------------------- */

enum xc_access { XC_READ, XC_WRITE, XC_EXEC };

struct xc_request {
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	uint64_t iova;
	enum xc_access access;
	bool priv;
};

enum xc_outcome {
	XC_OK,      /* translated: pa is the output address */
	XC_BYPASS,  /* passed untranslated (GBPA, STE bypass, S1DSS bypass) */
	XC_ABORT,   /* terminated with no event (STE abort, GBPA.ABORT, ...) */
	XC_FAULT,   /* terminated (or stalled) with an event */
};

struct xc_result {
	enum xc_outcome outcome;
	uint64_t pa;           /* XC_OK / XC_BYPASS */
	uint8_t event_id;      /* 0: none */
	bool stalled;          /* the fault stalled; it was then terminated */
};

/*
 * Present one untranslated 1-byte transaction to `smmu` now and classify
 * the response. A transaction that stalls is terminated at once (as
 * CMD_STALL_TERM would) so no state outlives the request other than what
 * hardware keeps anyway: cached configuration and translations, which
 * for an unchanging image give the same answers as fresh walks, and
 * hardware access-flag / dirty-state updates written to memory.
 */
void xc_translate(struct smmu *smmu, const struct xc_request *rq,
		  struct xc_result *out);

const char *xc_outcome_name(enum xc_outcome o);
/* docs/events.md name ("F_TRANSLATION"); NULL for 0 or an unknown id. */
const char *xc_event_name(uint8_t id);
/* "sid ssid iova access outcome pa event\n" (tabs between). */
void xc_print_result(FILE *f, const struct xc_request *rq,
		     const struct xc_result *res);

/*
 * One line of a batch file: "sid ssid iova access" separated by tabs or
 * spaces, ssid "-" for none, numbers decimal or 0x hex, access r, w or
 * x with an optional p suffix (privileged), "#" to end of line a comment.
 * Returns 1 with *rq filled, 0 for a blank or comment line, -1 with
 * "FILE:LINE:COL: message" in err.
 */
int xc_parse_request(const char *file, unsigned line, const char *text,
		     struct xc_request *rq, char *err, size_t errlen);

/* --- inspect ----------------------------------------------------------- */

struct xc_inspect_opts {
	bool one_sid;        /* only `sid` */
	uint32_t sid;
	bool json;
	/* caps against hostile tables: entries scanned per table, page-table
	 * descriptors per tree (0: defaults 1 << 20, 1 << 20) */
	uint64_t max_entries;
	uint64_t max_descs;
};

/*
 * Decode what software left for the SMMU: global state, the stream
 * table, every valid STE (or the one asked for, valid or not), its CD
 * table and CDs, and the stage-1 / stage-2 page tables as runs of
 * mappings, with every ILLEGAL STE or CD flagged with the field and the
 * rule. Text (an indented outline) or JSON. Returns the number of
 * entries found ILLEGAL or unreadable in *problems.
 */
bool xc_inspect(struct smmu *smmu, FILE *out,
		const struct xc_inspect_opts *o, unsigned *problems,
		char *err, size_t errlen);

#endif
