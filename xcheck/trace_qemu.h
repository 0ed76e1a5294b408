/* SPDX-License-Identifier: MIT */
/*
 * Convert a QEMU SMMUv3 trace log (the "log" trace backend, QEMU 7.2 and
 * later) into an smmusim trace, format version 1 (docs/trace-format.md,
 * "Converting QEMU logs").
 *
 * The converter streams: it holds one line of the log and, at most, the
 * records of one command-queue pass, so a log of any size converts in
 * bounded memory. Nothing here exits, aborts or prints: errors come back
 * in err as one line, "LOG:LINE: message" or "LOG: message".
 */
#ifndef SMMUSIM_TRACE_QEMU_H
#define SMMUSIM_TRACE_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Default clock for TIME when the log has timestamps: 1 GHz. */
#define TRACE_QEMU_CLOCK_HZ 1000000000ull
/* Largest accepted clock, 1 THz (keeps the cycle arithmetic in 64 bits). */
#define TRACE_QEMU_CLOCK_MAX 1000000000000ull
/* Longest log line looked at; longer lines are counted as other lines. */
#define TRACE_QEMU_LINE_MAX (64u * 1024u)

struct trace_qemu_opts {
	uint64_t clock_hz;	/* cycles per second for TIME; 0: default */
};

/* A trace event that produced nothing, and how often it occurred. */
struct trace_qemu_count {
	char *name;
	uint64_t count;
};

struct trace_qemu_stats {
	uint64_t lines;		/* lines read */
	uint64_t events;	/* lines that are trace events */
	uint64_t converted;	/* events that went into the output */
	uint64_t skipped;	/* events that did not */
	uint64_t other;		/* lines that are not trace events */
	uint64_t records;	/* records written */
	uint64_t backwards;	/* timestamps earlier than the one before */
	uint64_t unresolved;	/* translation failures, StreamID unknown */
	uint64_t truncated;	/* unparsable last line without a line end */
	char warning[256];	/* the message for a truncated last line */
	unsigned nskipped;	/* entries in skipped_by_name */
	struct trace_qemu_count *skipped_by_name; /* sorted by name */
};

/*
 * Convert the log read from in (named in_name in messages) and write the
 * trace to out. o may be NULL (defaults). st may be NULL; if not, it is
 * zeroed first and must be released with trace_qemu_stats_free() whatever
 * the result. Returns false with err set ("LOG:LINE: smmuv3_xxx: cannot
 * parse 'field'", "LOG: no QEMU trace events found", a write error...);
 * what was written to out by then is incomplete.
 */
bool trace_from_qemu(FILE *in, const char *in_name, FILE *out,
		     const struct trace_qemu_opts *o,
		     struct trace_qemu_stats *st, char *err, size_t errlen);
void trace_qemu_stats_free(struct trace_qemu_stats *st);

/*
 * The register a QEMU SMMUv3 MMIO trace names. QEMU logs the offset with
 * bit 16 cleared (it aliases page 1 onto page 0), so 0xa8 is EVENTQ_PROD:
 * *off receives the architectural offset (0x100a8). Returns the register
 * name without the SMMU_ prefix, NULL for an offset with no register;
 * *high is set for a 4-byte access to the upper half of a 64-bit register.
 */
const char *trace_qemu_reg(uint64_t qemu_off, unsigned size, uint64_t *off,
			   bool *high);

#endif
