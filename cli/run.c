/* SPDX-License-Identifier: MIT */
/*
 * smmusim run: run scenario files one after the other in this process and
 * print PASS or FAIL for each (docs/scenarios.md "Running").
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "scenarios/scenario.h"

const char cmd_run_usage[] =
	"usage: smmusim run [--seed N] [--trace PATH [--trace-mem]]\n"
	"                   [--export PREFIX] [-v] FILE...\n"
	"\n"
	"Run each scenario file (docs/scenarios.md); a sweep template runs\n"
	"once per combination of its parameters, named NAME[P=v,...].\n"
	"Prints PASS NAME or FAIL NAME and, for a failure, the first\n"
	"expectation that did not hold.\n"
	"\n"
	"  --seed N        seed for every scenario (overrides `seed` lines)\n"
	"  --trace PATH    write the SMMU trace (docs/trace-format.md): with\n"
	"                  one scenario instance to the file PATH ('-':\n"
	"                  stdout); with several, PATH is a directory that\n"
	"                  gets N.trace for the Nth instance run (from 1)\n"
	"  --trace-mem     also record software's memory writes, so that the\n"
	"                  trace is a replay log (smmusim replay)\n"
	"  --export PREFIX at the end of the run write the machine's memory\n"
	"                  and SMMU registers as PREFIX.core (ELF) and\n"
	"                  PREFIX.json (docs/cross-checking.md); one instance\n"
	"  -v              also print seed, cycles, expectation counts and\n"
	"                  latency statistics per transaction kind\n"
	"\n"
	"exit status: 0 all passed, 1 a scenario failed, 2 a file could not\n"
	"be read or parsed, or a scenario is invalid\n";

struct run_item {
	struct scn *s;
	char *name;
};

static void print_verbose(const struct scn_result *res)
{
	printf("  seed %" PRIu64 ", %" PRIu64 " cycles, %u/%u expectations, "
	       "%u transactions, %u marks\n",
	       res->seed, res->cycles, res->expectations_passed,
	       res->expectations, res->nspans, res->nmarks);
	for (unsigned k = 0; k < SCN_KIND_NR; k++) {
		struct scn_lat_stats l;

		scn_latency(res, (enum scn_kind)k, &l);
		if (!l.n)
			continue;
		printf("  %-5s n=%u min=%" PRIu64 " mean=%.1f p50=%" PRIu64
		       " p90=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64 "\n",
		       scn_kind_name((enum scn_kind)k), l.n, l.min, l.mean,
		       l.p50, l.p90, l.p99, l.max);
	}
}

/* Read, expand and parse one file, appending its instances to *items.
 * Errors go to stderr; returns false after one. */
static bool load_file(const char *path, struct run_item **items,
		      unsigned *nitems)
{
	struct scn_expansion e;
	char err[1024];
	char *text;
	size_t len;
	bool ok = true;

	if (scn_read_file(path, &text, &len, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	if (memchr(text, '\0', len)) {
		fprintf(stderr, "%s: not a text file (NUL byte)\n", path);
		free(text);
		return false;
	}
	if (scn_expand(path, text, &e, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		free(text);
		return false;
	}
	free(text);
	for (unsigned i = 0; i < e.n; i++) {
		struct scn *s = scn_parse_text(path, e.texts[i], err,
					       sizeof(err));
		struct run_item *grown;

		if (!s) {
			fprintf(stderr, "%s\n", err);
			ok = false;
			/* a template's error repeats in every instance */
			break;
		}
		grown = realloc(*items, (*nitems + 1) * sizeof(**items));
		if (!grown) {
			fprintf(stderr, "smmusim run: out of memory\n");
			scn_free(s);
			ok = false;
			break;
		}
		*items = grown;
		grown[*nitems].s = s;
		grown[*nitems].name = inst_display_name(s->name, e.labels[i]);
		(*nitems)++;
	}
	scn_expansion_free(&e);
	return ok;
}

int cmd_run(int argc, char **argv)
{
	struct scn_run_opts opts = { .seed = 1 };
	const char *trace_path = NULL, *export_prefix = NULL;
	char *export_core = NULL, *export_regs = NULL;
	bool trace_dir = false;
	struct run_item *items = NULL;
	unsigned nitems = 0;
	bool verbose = false, opts_done = false;
	int status = EXIT_OK, nfiles = 0;
	FILE *trace = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			nfiles++;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--seed")) {
			if (i + 1 >= argc)
				return cli_usage_error("run",
						       "--seed needs a value");
			if (!cli_parse_u64("run", "--seed", argv[++i],
					   &opts.seed))
				return EXIT_USAGE;
			opts.seed_set = true;
		} else if (!strcmp(a, "--trace")) {
			if (i + 1 >= argc)
				return cli_usage_error("run",
						       "--trace needs a file");
			trace_path = argv[++i];
		} else if (!strcmp(a, "--trace-mem")) {
			opts.trace_mem = true;
		} else if (!strcmp(a, "--export")) {
			if (i + 1 >= argc)
				return cli_usage_error("run", "--export needs "
						       "a prefix");
			export_prefix = argv[++i];
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = true;
		} else {
			return cli_usage_error("run", "unknown option '%s'", a);
		}
	}
	if (!nfiles)
		return cli_usage_error("run", "no scenario file given");

	/* Every file is parsed before anything runs: input errors show up
	 * at once, before any output of the runs. */
	opts_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--"))
				opts_done = true;
			else if (!strcmp(a, "--seed") ||
				 !strcmp(a, "--trace") ||
				 !strcmp(a, "--export"))
				i++;
			continue;
		}
		if (!load_file(a, &items, &nitems))
			status = EXIT_USAGE;
	}

	if (opts.trace_mem && !trace_path) {
		status = cli_usage_error("run", "--trace-mem needs --trace");
		goto out;
	}
	if (export_prefix) {
		if (nitems != 1) {
			status = cli_usage_error("run", "--export takes one "
						 "scenario instance, not %u",
						 nitems);
			goto out;
		}
		size_t n = strlen(export_prefix) + 8;

		export_core = malloc(n);
		export_regs = malloc(n);
		if (!export_core || !export_regs) {
			fprintf(stderr, "smmusim run: out of memory\n");
			status = EXIT_USAGE;
			goto out;
		}
		snprintf(export_core, n, "%s.core", export_prefix);
		snprintf(export_regs, n, "%s.json", export_prefix);
		opts.export_core = export_core;
		opts.export_regs = export_regs;
	}
	if (trace_path && nitems > 1) {
		if (!strcmp(trace_path, "-")) {
			status = cli_usage_error("run", "--trace -: %u "
						 "instances need a directory",
						 nitems);
			goto out;
		}
		struct stat sb;

		if (mkdir(trace_path, 0777) &&
		    (errno != EEXIST || stat(trace_path, &sb) ||
		     !S_ISDIR(sb.st_mode))) {
			status = cli_usage_error("run", "--trace %s: %u "
						 "instances need a directory, "
						 "and it cannot be made",
						 trace_path, nitems);
			goto out;
		}
		trace_dir = true;
	} else if (trace_path) {
		trace = strcmp(trace_path, "-") ? fopen(trace_path, "w") :
						  stdout;
		if (!trace) {
			perror(trace_path);
			status = EXIT_USAGE;
			goto out;
		}
	}

	for (unsigned i = 0; i < nitems; i++) {
		struct scn_result res;

		if (trace_dir) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%u.trace", trace_path,
				 i + 1);
			trace = fopen(path, "w");
			if (!trace) {
				perror(path);
				status = EXIT_USAGE;
				goto out;
			}
		}
		opts.trace = trace;
		memset(&res, 0, sizeof(res));
		scn_run(items[i].s, &opts, &res);
		if (res.error) {
			printf("ERROR %s\n", items[i].name);
			fflush(stdout);
			fprintf(stderr, "%s\n", res.message);
			status = EXIT_USAGE;
		} else if (res.pass) {
			printf("PASS %s\n", items[i].name);
		} else {
			printf("FAIL %s\n  %s\n", items[i].name, res.message);
			if (status == EXIT_OK)
				status = EXIT_FAILED;
		}
		if (verbose)
			print_verbose(&res);
		fflush(stdout);
		if (trace)
			fflush(trace);
		if (trace_dir) {
			if (fclose(trace)) {
				perror(trace_path);
				status = EXIT_USAGE;
			}
			trace = NULL;
		}
		scn_result_free(&res);
	}

out:
	if (trace && trace != stdout && fclose(trace)) {
		perror(trace_path);
		status = EXIT_USAGE;
	}
	for (unsigned i = 0; i < nitems; i++) {
		scn_free(items[i].s);
		free(items[i].name);
	}
	free(items);
	free(export_core);
	free(export_regs);
	return status;
}
