/* SPDX-License-Identifier: MIT */
/*
 * Scenarios: a system, its faults and the outcomes that must hold, in a
 * plain-text file (docs/scenarios.md), run against the model.
 *
 *   parse      scn_parse_file / scn_parse_text: text -> struct scn (a list
 *              of statements with file:line:column locations). Sweep
 *              parameters (`param NAME = ...`) are expanded by
 *              scn_expand into one scenario text per combination.
 *   run        scn_run: build the machine (kshim: platform, OS, SVA,
 *              VFIO), execute the statements in order on the simulated
 *              clock, check every expectation, and fill a struct
 *              scn_result. Deterministic for a given seed.
 *
 * Errors in a file are reported as "file:line:column: message".
 */
#ifndef SMMUSIM_SCENARIO_H
#define SMMUSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- parsed form --- */

struct scn_loc {
	const char *file; /* owned by the struct scn */
	unsigned line, col;
};

/* One argument: a bare word or string ("pos"), or key=value. */
struct scn_arg {
	char *key;        /* NULL for a positional argument */
	char *value;
	struct scn_loc loc; /* of the key (or of the value when positional) */
	struct scn_loc vloc; /* of the value */
};

struct scn_stmt {
	char *verb;            /* first word: "device", "dma", "expect", ... */
	struct scn_arg *args;
	unsigned nargs;
	struct scn_loc loc;
	/* timing prefix: "at CYCLES <stmt>" or "on event TYPE <stmt>" */
	bool has_at;
	uint64_t at;
	char *on_event;        /* event name for "on event", else NULL */
};

struct scn {
	char *file;            /* path or "<text>" */
	char *name;            /* `scenario "name"`, else the file's base name */
	struct scn_stmt *stmts;
	unsigned nstmts;
};

/*
 * Parse. On a syntax error: NULL, and "file:line:col: message" in err.
 * Only syntax is checked here; what each statement means (and whether its
 * arguments are valid) is checked by scn_run, with the same location
 * format. `scenario "NAME"` lines set s->name and are not kept as
 * statements; a `param` line is an error (expand the text first).
 */
struct scn *scn_parse_text(const char *file, const char *text, char *err,
			   size_t errlen);
struct scn *scn_parse_file(const char *path, char *err, size_t errlen);
void scn_free(struct scn *s);
/* Read a whole file (NUL-terminated, *len without it). 0, or -1 with
 * "path: reason" in err. */
int scn_read_file(const char *path, char **text, size_t *len, char *err,
		  size_t errlen);

/* A number as the language writes it: decimal, 0x hex or 0b binary, with
 * an optional K/M/G suffix (x1024^n). false if malformed or too big. */
bool scn_parse_u64(const char *s, uint64_t *out);

/*
 * Sweeps. A file may declare parameters:
 *     param TLB_SETS = 1, 2, 4, 8
 *     param T = 100..1000 step 300
 * and use them as ${TLB_SETS} anywhere later. scn_expand returns one
 * text per combination of values (the cartesian product, the first
 * parameter varying slowest), with `param` lines removed, the values
 * substituted, and a label "NAME=v,NAME=v" for each. A file without
 * parameters expands to itself with an empty label. 0 and the arrays
 * (free with scn_expansion_free), or -1 with "file:line:col: message".
 */
struct scn_expansion {
	unsigned n;
	char **texts;
	char **labels;
};
int scn_expand(const char *file, const char *text, struct scn_expansion *out,
	       char *err, size_t errlen);
/* The same with at most `max` combinations (scn_expand: 100000). */
int scn_expand_max(const char *file, const char *text, unsigned max,
		   struct scn_expansion *out, char *err, size_t errlen);
void scn_expansion_free(struct scn_expansion *e);

/* --- running --- */

/* Transaction kinds for latency statistics. */
enum scn_kind {
	SCN_KIND_DMA_READ,
	SCN_KIND_DMA_WRITE,
	SCN_KIND_ATS,       /* ATS translation requests */
	SCN_KIND_PRI,       /* DMA that needed a page request (PRI or stall) */
	SCN_KIND_NR
};

/* One entry of the run's timeline (for traces and Perfetto timelines). */
struct scn_span {
	uint64_t start, end;  /* cycles */
	enum scn_kind kind;
	uint32_t sid, ssid;
	bool ssv;
	uint64_t addr, oa;
	int resp;             /* enum smmu_resp */
	uint8_t event_id;     /* event raised, 0 if none */
	char track[24];       /* device name */
};

/* A point on the timeline: an event record, a fault injected, a bind. */
struct scn_mark {
	uint64_t at;
	char what[96];
};

struct scn_result {
	bool pass;
	bool error;             /* the scenario could not run (bad input) */
	char message[512];      /* first failed expectation or the error,
				 * "file:line:col: ..." */
	unsigned expectations, expectations_passed;
	uint64_t cycles;        /* simulated time at the end */
	uint64_t seed;
	/* every transaction, in completion order */
	struct scn_span *spans;
	unsigned nspans;
	struct scn_mark *marks;
	unsigned nmarks;
};

struct scn_run_opts {
	uint64_t seed;          /* used unless the file sets `seed` */
	bool seed_set;          /* a command-line --seed overrides the file */
	FILE *trace;            /* if set, the trace (docs/trace-format.md) */
	bool trace_mem;         /* with software memory writes: a replay log */
	/* If set, the model's memory and registers are exported at the end
	 * of the run as an ELF core and a register file
	 * (docs/cross-checking.md); a failure is a run error. */
	const char *export_core, *export_regs;
};

/* Run a parsed scenario. Returns res->pass. One run at a time per
 * process (the machine is built on the kernel shim, which has one
 * instance); res is filled from scratch (free it with scn_result_free),
 * also on an error. */
bool scn_run(const struct scn *s, const struct scn_run_opts *opts,
	     struct scn_result *res);
void scn_result_free(struct scn_result *res);

/* Latency statistics of one kind over a result (0 when none). */
struct scn_lat_stats {
	unsigned n;
	uint64_t min, max, p50, p90, p99;
	double mean;
};
void scn_latency(const struct scn_result *res, enum scn_kind kind,
		 struct scn_lat_stats *out);
const char *scn_kind_name(enum scn_kind kind);
/* The event type's name (docs/events.md), or NULL for an unknown ID. */
const char *scn_event_name(uint8_t id);

#endif
