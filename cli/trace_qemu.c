/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace from-qemu: convert a QEMU SMMUv3 trace log into an
 * smmusim trace (docs/trace-format.md, "Converting QEMU logs").
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xcheck/trace_qemu.h"

#define CMD "trace from-qemu"

const char cmd_trace_from_qemu_usage[] =
	"usage: smmusim trace from-qemu [-o OUT] [-v] [--clock-hz HZ] LOG\n"
	"\n"
	"Convert a QEMU SMMUv3 trace log into an smmusim trace. LOG is what\n"
	"QEMU 7.2 or later writes with the log trace backend, e.g.\n"
	"  -trace 'smmuv3_*' -D qemu.log [-msg timestamp=on]\n"
	"(- reads standard input). Register accesses, commands, event\n"
	"records, interrupts and translations become records; other lines\n"
	"are skipped.\n"
	"\n"
	"  -o OUT         write the trace to OUT (default standard output)\n"
	"  -v             report lines, events and the skipped events by name\n"
	"                 on standard error\n"
	"  --clock-hz HZ  cycles per second for TIME when the log has\n"
	"                 timestamps (default 1000000000)\n"
	"\n"
	"Exit status 0, or 2 for an unreadable log or an event whose\n"
	"arguments do not parse (LOG:LINE: event: cannot parse 'field').\n"
	"See docs/trace-format.md, \"Converting QEMU logs\".\n";

static void report(const char *log, const struct trace_qemu_stats *st)
{
	fprintf(stderr,
		"%s: %" PRIu64 " lines: %" PRIu64 " trace events (%" PRIu64
		" converted, %" PRIu64 " skipped), %" PRIu64
		" other lines; %" PRIu64 " records\n",
		log, st->lines, st->events, st->converted, st->skipped,
		st->other, st->records);
	if (!st->nskipped)
		return;
	fprintf(stderr, "skipped events:\n");
	for (unsigned i = 0; i < st->nskipped; i++)
		fprintf(stderr, "  %s %" PRIu64 "\n",
			st->skipped_by_name[i].name,
			st->skipped_by_name[i].count);
}

static void warnings(const char *log, const struct trace_qemu_stats *st)
{
	if (st->truncated)
		fprintf(stderr, "smmusim " CMD ": warning: %s\n", st->warning);
	if (st->backwards)
		fprintf(stderr,
			"smmusim " CMD ": warning: %s: %" PRIu64
			" timestamps went backwards; TIME held at the "
			"previous value\n",
			log, st->backwards);
	if (st->unresolved)
		fprintf(stderr,
			"smmusim " CMD ": warning: %s: %" PRIu64
			" translation failures left out: their StreamID is "
			"not in the log\n",
			log, st->unresolved);
}

int cmd_trace_from_qemu(int argc, char **argv)
{
	struct trace_qemu_opts o = { .clock_hz = TRACE_QEMU_CLOCK_HZ };
	struct trace_qemu_stats st;
	const char *log = NULL, *outpath = NULL, *name;
	bool verbose = false, ok;
	FILE *in, *out;
	char err[512];

	if (cli_wants_help(argc, argv)) {
		fputs(cmd_trace_from_qemu_usage, stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-o") || !strcmp(a, "--clock-hz")) {
			if (i + 1 >= argc)
				return cli_usage_error(CMD, "%s needs a value",
						       a);
			if (!strcmp(a, "-o")) {
				outpath = argv[++i];
				continue;
			}
			if (!cli_parse_u64(CMD, a, argv[++i], &o.clock_hz))
				return EXIT_USAGE;
			if (!o.clock_hz || o.clock_hz > TRACE_QEMU_CLOCK_MAX)
				return cli_usage_error(
					CMD, "--clock-hz: '%s' is not between "
					"1 and %llu", argv[i],
					(unsigned long long)
						TRACE_QEMU_CLOCK_MAX);
		} else if (!strcmp(a, "-v")) {
			verbose = true;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error(CMD, "unknown option '%s'", a);
		} else if (log) {
			return cli_usage_error(CMD, "more than one LOG: '%s'",
					       a);
		} else {
			log = a;
		}
	}
	if (!log)
		return cli_usage_error(CMD, "no QEMU log given");

	if (!strcmp(log, "-")) {
		in = stdin;
		name = "<stdin>";
	} else {
		in = fopen(log, "r");
		name = log;
		if (!in) {
			fprintf(stderr, "smmusim " CMD ": %s: %s\n", log,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (!outpath || !strcmp(outpath, "-")) {
		out = stdout;
		outpath = NULL;
	} else {
		out = fopen(outpath, "w");
		if (!out) {
			fprintf(stderr, "smmusim " CMD ": %s: %s\n", outpath,
				strerror(errno));
			if (in != stdin)
				fclose(in);
			return EXIT_USAGE;
		}
	}

	ok = trace_from_qemu(in, name, out, &o, &st, err, sizeof(err));
	if (in != stdin)
		fclose(in);
	if (outpath && fclose(out) && ok) {
		snprintf(err, sizeof(err), "%s: %s", outpath, strerror(errno));
		ok = false;
	}
	if (ok) {
		warnings(name, &st);
		if (verbose)
			report(name, &st);
	} else {
		fprintf(stderr, "smmusim " CMD ": %s\n", err);
		if (outpath)
			remove(outpath);
	}
	trace_qemu_stats_free(&st);
	return ok ? EXIT_OK : EXIT_USAGE;
}
