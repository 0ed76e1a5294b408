/* SPDX-License-Identifier: MIT */
/* smmusim: the command-line front end. See docs/cli.md. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_command commands[] = {
	{ "demo", "send DMA through a model SMMU programmed over MMIO",
	  cmd_demo_usage, cmd_demo },
	{ "presets", "list implementation presets, or show one's ID registers",
	  cmd_presets_usage, cmd_presets },
	{ "run", "run scenario files, print PASS or FAIL for each",
	  cmd_run_usage, cmd_run },
	{ "campaign", "run scenarios in parallel: summary, JUnit, TAP, report",
	  cmd_campaign_usage, cmd_campaign },
	{ "inspect", "decode the SMMU structures in a memory image",
	  cmd_inspect_usage, cmd_inspect },
	{ "translate", "predict translations from a memory image",
	  cmd_translate_usage, cmd_translate },
	{ "trace", "compare, convert and draw SMMU traces",
	  cmd_trace_usage, cmd_trace },
	{ "replay", "replay a logged session into the model, check reads",
	  cmd_replay_usage, cmd_replay },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smmusim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'smmusim %s%s--help')\n", cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}

bool cli_parse_u64(const char *cmd, const char *opt, const char *text,
		   uint64_t *out)
{
	char *end;

	errno = 0;
	if (!text || !*text || *text == '-') {
		cli_usage_error(cmd, "%s: '%s' is not a number", opt,
				text ? text : "");
		return false;
	}
	unsigned long long v = strtoull(text, &end, 0);

	if (errno || *end) {
		cli_usage_error(cmd, "%s: '%s' is not a number", opt, text);
		return false;
	}
	*out = v;
	return true;
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static void print_main_usage(FILE *f)
{
	fprintf(f, "usage: smmusim <command> [options]\n"
		   "       smmusim --version | --help | help <command>\n\n"
		   "An Arm SMMUv3 IOMMU simulator for bring-up and testing.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nexit status: 0 success, 1 an expected outcome did not "
		   "hold, 2 usage or input error\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("smmusim %s\n", SMMUSIM_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_main_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			print_main_usage(stdout);
			return EXIT_OK;
		}
		const struct cli_command *c = find_command(argv[2]);

		if (!c)
			return cli_usage_error(NULL, "unknown command '%s'",
					       argv[2]);
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	const struct cli_command *c = find_command(argv[1]);

	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	/* trace has subcommands: it answers --help for each itself */
	if (c->run != cmd_trace && cli_wants_help(argc - 1, argv + 1)) {
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	return c->run(argc - 1, argv + 1);
}
