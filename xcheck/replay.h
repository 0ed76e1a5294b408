/* SPDX-License-Identifier: MIT */
/*
 * Replaying a logged session into the model (docs/trace-format.md,
 * "Replaying logs"; smmusim replay).
 *
 * A replay log is a trace whose inputs are complete: register accesses
 * (MMIO_R, MMIO_W), software's memory writes (MEM_W, MEM_FILL) and what
 * devices sent (XLATE, XLATE_TR, STALL, ATS_REQ, PPR, ATC_INV_CPL). The
 * replay builds a fresh machine (RAM regions, the SMMU's register window,
 * a preset), feeds every input at its TIME, and checks every register
 * read against the value recorded. Output records in the log (CMD, EVT,
 * ...) are the model's business: with a trace written, `smmusim trace
 * diff LOG OUT` compares them.
 */
#ifndef SMMUSIM_XCHECK_REPLAY_H
#define SMMUSIM_XCHECK_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "smmusim/smmu_impl.h"

#define REPLAY_RAM_MAX 16
/* Largest MEM_FILL replayed (bytes). */
#define REPLAY_FILL_MAX (64u << 20)

struct replay_opts {
	/* The SMMU; NULL: the log's "# preset:" (a built-in name), else
	 * "full". */
	const struct smmu_impl *impl;
	/* Register page 0; without it the log's "# mmio-base:". */
	bool have_mmio_base;
	uint64_t mmio_base;
	/* RAM regions; none: the log's "# ram: BASE:SIZE". */
	unsigned nram;
	uint64_t ram_base[REPLAY_RAM_MAX], ram_size[REPLAY_RAM_MAX];
	/* If set, the replayed model's trace, software's memory writes
	 * included, so that it compares record for record with the log. */
	FILE *trace;
	/* Keep going after a mismatching read (count them all), writing
	 * each mismatch as a line to `report` if set. */
	bool keep_going;
	FILE *report;
};

struct replay_stats {
	uint64_t records;     /* records read */
	uint64_t reads;       /* MMIO_R checked */
	uint64_t writes;      /* MMIO_W applied */
	uint64_t mem_writes;  /* MEM_W and MEM_FILL applied */
	uint64_t requests;    /* transactions and messages presented */
	uint64_t mismatches;  /* reads that disagreed */
	uint64_t end_time;    /* the model's clock at the end */
};

/*
 * Replay the log at `path` ("-": stdin, read once; a file is read twice,
 * the first pass to find the StreamIDs that had ATS invalidations).
 * Returns 0 when every read matched, 1 at the first mismatch (or, with
 * keep_going, after the log when there were any), with
 * "LOG:LINE: MMIO_R REG (OFF): recorded V, model W" in msg; -1 on an
 * error (a log that is not a trace, a record that cannot be replayed, a
 * machine that cannot be built), with "LOG:LINE:COL: message" in msg.
 */
/* "BASE:SIZE", each 0x hex or decimal (a --ram option, a "# ram:"
 * header). */
bool replay_parse_ram(const char *s, uint64_t *base, uint64_t *size);

int replay_run(const char *path, const struct replay_opts *o,
	       struct replay_stats *st, char *msg, size_t msglen);

#endif
