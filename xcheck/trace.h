/* SPDX-License-Identifier: MIT */
/*
 * Trace tools: read, compare and draw smmusim traces (docs/trace-format.md).
 *
 * The reader streams: it holds one line at a time (at most 1 MiB), so a
 * trace of any size can be read. Every error is one line, no newline, in
 * the form "FILE:LINE:COL: message" ("FILE: message" when the file cannot
 * be opened or read). Nothing here exits or aborts on bad input.
 */
#ifndef SMMUSIM_TRACE_H
#define SMMUSIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The newest format version this reader knows. */
#define TRACE_VERSION 1
/* Longest line accepted, in bytes, without its line end. */
#define TRACE_LINE_MAX (1024u * 1024u)

/* --- reading ----------------------------------------------------------- */

struct trace_field {
	const char *name;
	const char *value;
	unsigned col;		/* 1-based column of the name */
};

struct trace_rec {
	unsigned line;		/* 1-based line number in the file */
	bool has_time;		/* false for TIME "-" */
	uint64_t time;
	const char *kind;
	unsigned nfields;
	const struct trace_field *fields;
	const char *text;	/* the whole line, no newline */
	const char *file;	/* the name used in messages */
};

struct trace_reader;

/*
 * Open a trace; path "-" is stdin (named "<stdin>" in messages). Checks
 * the "# smmusim-trace N" header (N <= TRACE_VERSION) and reads the
 * "# key: value" header comments up to the first record. NULL and err
 * set on failure.
 */
struct trace_reader *trace_reader_open(const char *path, char *err,
				       size_t errlen);
/* The same over text in memory (not copied: it must outlive the reader). */
struct trace_reader *trace_reader_open_mem(const char *text, size_t len,
					   const char *name, char *err,
					   size_t errlen);
/*
 * Next record. 1: *rec filled, valid until the next call; 0: end of the
 * trace; -1: error in err ("FILE:LINE:COL: message"). After an error every
 * further call fails the same way.
 */
int trace_reader_next(struct trace_reader *r, struct trace_rec *rec,
		      char *err, size_t errlen);
unsigned trace_reader_version(const struct trace_reader *r);
/* The name used in messages: the path, or "<stdin>", or the mem name. */
const char *trace_reader_name(const struct trace_reader *r);
/* "# key: value" comments before the first record; NULL if absent. */
const char *trace_reader_header(const struct trace_reader *r,
				const char *key);
/* Line of that header comment; 0 if absent. */
unsigned trace_reader_header_line(const struct trace_reader *r,
				  const char *key);
void trace_reader_close(struct trace_reader *r);

/* A field's value; NULL if absent. */
const char *trace_rec_get(const struct trace_rec *rec, const char *name);
/* The field itself; NULL if absent. */
const struct trace_field *trace_rec_field(const struct trace_rec *rec,
					  const char *name);
/*
 * A number field (0x hex or decimal). False if absent, "-" or malformed;
 * trace_rec_num() tells these apart.
 */
bool trace_rec_u64(const struct trace_rec *rec, const char *name,
		   uint64_t *v);
/*
 * 1: *v set; 0: the field is absent or "-"; -1: the value is not a number
 * that fits 64 bits, err = "FILE:LINE:COL: field 'NAME': 'VALUE' is not a
 * number" with COL the value's column.
 */
int trace_rec_num(const struct trace_rec *rec, const char *name,
		  uint64_t *v, char *err, size_t errlen);
/* Parse a whole string as 0x hex or decimal, fitting 64 bits. */
bool trace_parse_u64(const char *s, uint64_t *v);

/* --- comparing (smmusim trace diff) ------------------------------------ */

struct trace_diff_opts {
	bool ignore_time;	/* ignore TIME and the latency field */
	bool reorder;		/* allow what the architecture allows */
	bool strict;		/* a field in one record only diverges */
	unsigned max;		/* divergences printed in detail */
	const char *only;	/* comma-separated kinds; NULL: every kind */
	const char *ignore;	/* comma-separated kinds left out */
	const char *ignore_fields; /* comma-separated field names */
};

/* Counts for one record kind (or all of them). */
struct trace_diff_count {
	char *kind;
	uint64_t a, b;		/* records of the kind on each side */
	uint64_t matched;	/* pairs that agree */
	uint64_t differing;	/* pairs that do not */
	uint64_t only_a, only_b; /* records with no counterpart */
};

struct trace_diff_summary {
	unsigned nkinds;
	struct trace_diff_count *kinds;	/* sorted by kind name */
	struct trace_diff_count total;	/* kind is NULL */
	uint64_t divergences;		/* differing + only_a + only_b */
};

/* Check the kind and field lists of o: false and err for a bad one. */
bool trace_diff_check_opts(const struct trace_diff_opts *o, char *err,
			   size_t errlen);
/*
 * Compare trace a with trace b. Writes the first o->max divergences in
 * detail, then the summary table, to out (if not NULL); fills sum (if not
 * NULL; free it with trace_diff_summary_free()). Returns 0 when the traces
 * agree, 1 when they diverge, -1 on an error (err: a bad option, or a
 * reader's "FILE:LINE:COL: message").
 */
int trace_diff(struct trace_reader *a, struct trace_reader *b,
	       const struct trace_diff_opts *o, FILE *out,
	       struct trace_diff_summary *sum, char *err, size_t errlen);
void trace_diff_summary_free(struct trace_diff_summary *sum);

/* --- drawing (smmusim trace to-perfetto) ------------------------------- */

struct trace_perfetto_stats {
	uint64_t records;	/* records read */
	uint64_t slices;	/* "X" events written */
	uint64_t instants;	/* "i" events written */
	uint64_t counters;	/* "C" events written */
	uint64_t untimed;	/* records with TIME "-": not drawn */
};

/*
 * Write Chrome trace-event JSON for the trace to out, streaming. The clock
 * is the header's clock-hz (default 1 GHz): one cycle is 1e6 / clock-hz
 * microseconds. 0 on success, -1 and err on a reader error, a bad clock-hz
 * or a write error.
 */
int trace_to_perfetto(struct trace_reader *r, FILE *out,
		      struct trace_perfetto_stats *st, char *err,
		      size_t errlen);

#endif
