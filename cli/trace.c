/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace diff | from-qemu | to-perfetto: compare, convert and draw
 * traces (docs/trace-format.md). from-qemu lives in cli/trace_qemu.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcheck/trace.h"

#define DIFF_USAGE \
	"usage: smmusim trace diff [options] A B\n" \
	"\n" \
	"Compare trace A with trace B ('-': stdin), kind by kind and field\n" \
	"by field; numbers compare by value (0x10 == 16). Prints the first\n" \
	"divergence with both records and their lines, then records per\n" \
	"kind: on each side, matched, differing, only in A, only in B.\n" \
	"\n" \
	"  --ignore-time        ignore TIME and the latency field\n" \
	"  --reorder            translations and events of different\n" \
	"                       StreamIDs may complete in either order\n" \
	"                       between sync points (SYNC, MMIO_R, MMIO_W)\n" \
	"  --only KINDS         compare only these kinds (CMD,EVT,XLATE)\n" \
	"  --ignore KINDS       leave these kinds out\n" \
	"  --ignore-field F,... leave these fields out (rec,idx)\n" \
	"  --strict             a field in only one of two records diverges\n" \
	"  --max N              show up to N divergences (default 1)\n" \
	"\n" \
	"Exit status: 0 the traces agree, 1 they diverge, 2 an error.\n"

#define PERFETTO_USAGE \
	"usage: smmusim trace to-perfetto [-o OUT.json] TRACE\n" \
	"\n" \
	"Write Chrome trace-event JSON (Perfetto, chrome://tracing) to\n" \
	"OUT.json, or stdout: a track per StreamID with a slice per\n" \
	"translation (TIME, latency), the command queue (CMD_SYNC to its\n" \
	"SYNC), event queue, PRI queue, interrupt and register tracks, and\n" \
	"a counter of outstanding translations. One cycle is 1e6 / clock-hz\n" \
	"microseconds (header clock-hz, default 1 GHz).\n"

static const char diff_usage[] = DIFF_USAGE;
static const char perfetto_usage[] = PERFETTO_USAGE;

const char cmd_trace_usage[] =
	"usage: smmusim trace diff [options] A B\n"
	"       smmusim trace from-qemu [-o OUT] [-v] [--clock-hz HZ] LOG\n"
	"       smmusim trace to-perfetto [-o OUT.json] TRACE\n"
	"       smmusim trace help diff|from-qemu|to-perfetto\n"
	"\n"
	"Compare, convert and draw SMMU traces (docs/trace-format.md).\n"
	"\n"
	"  diff         compare two traces: first divergence, summary\n"
	"  from-qemu    convert a QEMU SMMUv3 trace log into a trace\n"
	"  to-perfetto  draw a trace as Chrome trace-event JSON\n"
	"\n" DIFF_USAGE "\n" PERFETTO_USAGE;

/* Value of an option at argv[*i]; NULL (after the message) if missing. */
static const char *opt_value(const char *cmd, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		cli_usage_error(cmd, "%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int trace_diff_cmd(int argc, char **argv)
{
	static const char cmd[] = "trace diff";
	struct trace_diff_opts o = { .max = 1 };
	struct trace_reader *ra = NULL, *rb = NULL;
	const char *files[2];
	unsigned nfiles = 0;
	bool opts_done = false;
	char err[1024];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (opts_done || a[0] != '-' || !strcmp(a, "-")) {
			if (nfiles == 2)
				return cli_usage_error(cmd, "too many traces: "
						       "'%s'", a);
			files[nfiles++] = a;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--ignore-time")) {
			o.ignore_time = true;
		} else if (!strcmp(a, "--reorder")) {
			o.reorder = true;
		} else if (!strcmp(a, "--strict")) {
			o.strict = true;
		} else if (!strcmp(a, "--only")) {
			slot = &o.only;
		} else if (!strcmp(a, "--ignore")) {
			slot = &o.ignore;
		} else if (!strcmp(a, "--ignore-field")) {
			slot = &o.ignore_fields;
		} else if (!strcmp(a, "--max")) {
			const char *v = opt_value(cmd, argc, argv, &i);
			uint64_t n;

			if (!v || !cli_parse_u64(cmd, "--max", v, &n))
				return EXIT_USAGE;
			if (n > UINT_MAX)
				return cli_usage_error(cmd, "--max: '%s' is "
						       "too large", v);
			o.max = (unsigned)n;
		} else {
			return cli_usage_error(cmd, "unknown option '%s'", a);
		}
		if (slot) {
			*slot = opt_value(cmd, argc, argv, &i);
			if (!*slot)
				return EXIT_USAGE;
		}
	}
	if (nfiles != 2)
		return cli_usage_error(cmd, "give two traces, A and B");
	if (!strcmp(files[0], "-") && !strcmp(files[1], "-"))
		return cli_usage_error(cmd, "only one of A and B can be '-'");
	if (!trace_diff_check_opts(&o, err, sizeof(err)))
		return cli_usage_error(cmd, "%s", err);
	ra = trace_reader_open(files[0], err, sizeof(err));
	if (ra)
		rb = trace_reader_open(files[1], err, sizeof(err));
	if (!ra || !rb) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		trace_reader_close(ra);
		return EXIT_USAGE;
	}
	rc = trace_diff(ra, rb, &o, stdout, NULL, err, sizeof(err));
	trace_reader_close(ra);
	trace_reader_close(rb);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "smmusim %s: write error\n", cmd);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	return rc ? EXIT_FAILED : EXIT_OK;
}

static int trace_perfetto_cmd(int argc, char **argv)
{
	static const char cmd[] = "trace to-perfetto";
	struct trace_perfetto_stats st;
	const char *in = NULL, *outpath = NULL;
	struct trace_reader *r;
	FILE *out = stdout;
	char err[1024];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			outpath = opt_value(cmd, argc, argv, &i);
			if (!outpath)
				return EXIT_USAGE;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error(cmd, "unknown option '%s'", a);
		} else if (in) {
			return cli_usage_error(cmd, "too many traces: '%s'", a);
		} else {
			in = a;
		}
	}
	if (!in)
		return cli_usage_error(cmd, "no trace given");
	r = trace_reader_open(in, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	if (outpath && strcmp(outpath, "-")) {
		out = fopen(outpath, "w");
		if (!out) {
			fprintf(stderr, "smmusim %s: %s: %s\n", cmd, outpath,
				strerror(errno));
			trace_reader_close(r);
			return EXIT_USAGE;
		}
	}
	rc = trace_to_perfetto(r, out, &st, err, sizeof(err));
	trace_reader_close(r);
	if (out != stdout) {
		if (fclose(out) && !rc) {
			snprintf(err, sizeof(err), "%s: %s", outpath,
				 strerror(errno));
			rc = -1;
		}
		if (rc)
			remove(outpath);
	}
	if (rc) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	if (st.untimed)
		fprintf(stderr, "smmusim %s: %llu record%s with TIME '-' not "
			"drawn\n", cmd, (unsigned long long)st.untimed,
			st.untimed == 1 ? "" : "s");
	if (out != stdout)
		printf("%s: %llu records: %llu slices, %llu instants, %llu "
		       "counter events\n", outpath,
		       (unsigned long long)st.records,
		       (unsigned long long)st.slices,
		       (unsigned long long)st.instants,
		       (unsigned long long)st.counters);
	return EXIT_OK;
}

static const char *sub_usage(const char *sub)
{
	if (!strcmp(sub, "diff"))
		return diff_usage;
	if (!strcmp(sub, "to-perfetto"))
		return perfetto_usage;
	if (!strcmp(sub, "from-qemu"))
		return cmd_trace_from_qemu_usage;
	return NULL;
}

int cmd_trace(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cli_usage_error("trace", "no subcommand: diff, "
				       "from-qemu or to-perfetto");
	if (!strcmp(sub, "help") || !strcmp(sub, "--help") ||
	    !strcmp(sub, "-h")) {
		const char *u = argc > 2 ? sub_usage(argv[2]) : cmd_trace_usage;

		if (!u)
			return cli_usage_error("trace", "unknown subcommand "
					       "'%s'", argv[2]);
		fputs(u, stdout);
		return EXIT_OK;
	}
	if (!sub_usage(sub))
		return cli_usage_error("trace", "unknown subcommand '%s'", sub);
	if (cli_wants_help(argc - 1, argv + 1)) {
		fputs(sub_usage(sub), stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "diff"))
		return trace_diff_cmd(argc - 1, argv + 1);
	if (!strcmp(sub, "to-perfetto"))
		return trace_perfetto_cmd(argc - 1, argv + 1);
	return cmd_trace_from_qemu(argc - 1, argv + 1);
}
