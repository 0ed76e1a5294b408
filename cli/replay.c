/* SPDX-License-Identifier: MIT */
/*
 * smmusim replay: feed a replay log into the model and check every
 * register read (docs/trace-format.md, "Replaying logs").
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcheck/replay.h"
#include "xcheck/trace.h"

const char cmd_replay_usage[] =
	"usage: smmusim replay [--preset P] [--mmio-base ADDR]\n"
	"                      [--ram BASE:SIZE]... [--trace OUT]\n"
	"                      [--check-outputs] [--keep-going] LOG\n"
	"\n"
	"Replay a logged session (a trace with memory writes, e.g. from\n"
	"smmusim run --trace FILE --trace-mem) into a fresh model: register\n"
	"writes, memory writes and device requests at their times. Every\n"
	"register read is checked against the recorded value; the first\n"
	"mismatch is reported as LOG:LINE: MMIO_R REG (OFF): recorded V,\n"
	"model W.\n"
	"\n"
	"  --preset P        preset name or file (default: the log's\n"
	"                    '# preset:', else full)\n"
	"  --mmio-base ADDR  register page 0 (default: '# mmio-base:')\n"
	"  --ram BASE:SIZE   a RAM region, repeatable (default: '# ram:')\n"
	"  --trace OUT       write the replayed model's trace ('-': stdout)\n"
	"  --check-outputs   also compare every record the model wrote with\n"
	"                    the log's (as smmusim trace diff LOG OUT)\n"
	"  --keep-going      report every mismatching read, not just the\n"
	"                    first\n"
	"\n"
	"exit status: 0 everything matched, 1 a mismatch, 2 an error\n";

/* Compare the log with the replayed trace, as trace diff would. */
static int check_outputs(const char *log, FILE *out)
{
	struct trace_diff_opts o = { .max = 1 };
	struct trace_reader *a, *b;
	char err[512];
	char *text = NULL;
	size_t len = 0;
	long end;
	int r;

	if (fflush(out) || (end = ftell(out)) < 0 || fseek(out, 0, SEEK_SET)) {
		fprintf(stderr, "smmusim replay: cannot read the trace back: "
			"%s\n", strerror(errno));
		return EXIT_USAGE;
	}
	len = (size_t)end;
	text = malloc(len + 1);
	if (!text || fread(text, 1, len, out) != len) {
		fprintf(stderr, "smmusim replay: cannot read the trace back\n");
		free(text);
		return EXIT_USAGE;
	}
	text[len] = '\0';
	a = trace_reader_open(log, err, sizeof(err));
	b = a ? trace_reader_open_mem(text, len, "replayed", err, sizeof(err))
	      : NULL;
	if (!a || !b) {
		fprintf(stderr, "smmusim replay: %s\n", err);
		trace_reader_close(a);
		free(text);
		return EXIT_USAGE;
	}
	r = trace_diff(a, b, &o, stdout, NULL, err, sizeof(err));
	trace_reader_close(a);
	trace_reader_close(b);
	free(text);
	if (r < 0) {
		fprintf(stderr, "smmusim replay: %s\n", err);
		return EXIT_USAGE;
	}
	return r ? EXIT_FAILED : EXIT_OK;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { 0 };
	struct replay_stats st;
	struct smmu_impl impl;
	const char *log = NULL, *trace_path = NULL;
	bool check = false;
	FILE *trace = NULL;
	char msg[1024];
	int r, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--check-outputs")) {
			check = true;
			continue;
		}
		if (!strcmp(a, "--keep-going")) {
			o.keep_going = true;
			continue;
		}
		if (a[0] != '-' || !strcmp(a, "-")) {
			if (log)
				return cli_usage_error("replay", "one log only "
						       "('%s' and '%s')", log,
						       a);
			log = a;
			continue;
		}
		if (strcmp(a, "--preset") && strcmp(a, "--mmio-base") &&
		    strcmp(a, "--ram") && strcmp(a, "--trace"))
			return cli_usage_error("replay", "unknown option '%s'",
					       a);
		if (!v)
			return cli_usage_error("replay", "%s needs a value", a);
		i++;
		if (!strcmp(a, "--preset")) {
			if (!cli_load_preset("replay", v, &impl))
				return EXIT_USAGE;
			o.impl = &impl;
		} else if (!strcmp(a, "--mmio-base")) {
			if (!cli_parse_u64("replay", a, v, &o.mmio_base))
				return EXIT_USAGE;
			o.have_mmio_base = true;
		} else if (!strcmp(a, "--ram")) {
			if (o.nram == REPLAY_RAM_MAX)
				return cli_usage_error("replay", "at most %d "
						       "--ram regions",
						       REPLAY_RAM_MAX);
			if (!replay_parse_ram(v, &o.ram_base[o.nram],
					      &o.ram_size[o.nram]) ||
			    !o.ram_size[o.nram])
				return cli_usage_error("replay", "--ram: '%s' "
						       "is not BASE:SIZE", v);
			o.nram++;
		} else {
			trace_path = v;
		}
	}
	if (!log)
		return cli_usage_error("replay", "no log given");
	if (check && trace_path && !strcmp(trace_path, "-"))
		return cli_usage_error("replay", "--check-outputs needs --trace "
				       "to a file (or no --trace)");
	if (trace_path) {
		trace = strcmp(trace_path, "-") ?
			fopen(trace_path, check ? "w+" : "w") : stdout;
		if (!trace) {
			fprintf(stderr, "smmusim replay: %s: %s\n", trace_path,
				strerror(errno));
			return EXIT_USAGE;
		}
	} else if (check) {
		trace = tmpfile();
		if (!trace) {
			fprintf(stderr, "smmusim replay: temporary file: %s\n",
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	o.trace = trace;
	o.report = stdout;
	r = replay_run(log, &o, &st, msg, sizeof(msg));
	if (r < 0) {
		fprintf(stderr, "smmusim replay: %s\n", msg);
		rc = EXIT_USAGE;
	} else {
		if (r > 0)
			printf("%s\n", msg);
		printf("replayed %" PRIu64 " records to cycle %" PRIu64 ": %"
		       PRIu64 " register reads checked, %" PRIu64 " writes, %"
		       PRIu64 " memory writes, %" PRIu64 " requests; %" PRIu64
		       " mismatches\n", st.records, st.end_time, st.reads,
		       st.writes, st.mem_writes, st.requests, st.mismatches);
		rc = r ? EXIT_FAILED : EXIT_OK;
		if (rc == EXIT_OK && check)
			rc = check_outputs(log, trace);
	}
	if (trace && trace != stdout && fclose(trace) && rc == EXIT_OK) {
		fprintf(stderr, "smmusim replay: %s: %s\n", trace_path,
			strerror(errno));
		rc = EXIT_USAGE;
	}
	return rc;
}
