/* SPDX-License-Identifier: MIT */
/*
 * smmusim command-line tool: shared definitions for the subcommands.
 *
 * Exit codes (docs/cli.md):
 *   0  success
 *   1  an expected outcome did not hold (a check or scenario failed)
 *   2  usage or input error
 */
#ifndef SMMUSIM_CLI_H
#define SMMUSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
};

struct cli_command {
	const char *name;
	const char *summary;
	const char *usage; /* full --help text */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Report a usage error for `cmd` and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parse an unsigned number (decimal or 0x hex) for option `opt`. */
bool cli_parse_u64(const char *cmd, const char *opt, const char *text,
		   uint64_t *out);
struct smmu_impl;
/*
 * A preset by name, or a preset file (a name with '/' or '.'), for
 * command `cmd`; false after reporting the error (an unknown name is a
 * usage error, a bad file its file:line:col message).
 */
bool cli_load_preset(const char *cmd, const char *name,
		     struct smmu_impl *impl);
/* True if argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

int cmd_demo(int argc, char **argv);
extern const char cmd_demo_usage[];
int cmd_presets(int argc, char **argv);
extern const char cmd_presets_usage[];
int cmd_run(int argc, char **argv);
extern const char cmd_run_usage[];
int cmd_campaign(int argc, char **argv);
extern const char cmd_campaign_usage[];
int cmd_inspect(int argc, char **argv);
extern const char cmd_inspect_usage[];
int cmd_translate(int argc, char **argv);
extern const char cmd_translate_usage[];
/* smmusim trace diff | from-qemu | to-perfetto (cli/trace.c) */
int cmd_trace(int argc, char **argv);
extern const char cmd_trace_usage[];
/* smmusim trace from-qemu (cli/trace_qemu.c); argv[0] is "from-qemu" */
int cmd_trace_from_qemu(int argc, char **argv);
extern const char cmd_trace_from_qemu_usage[];
/* smmusim replay (cli/replay.c) */
int cmd_replay(int argc, char **argv);
extern const char cmd_replay_usage[];

#endif
