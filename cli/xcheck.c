/* SPDX-License-Identifier: MIT */
/*
 * smmusim inspect / translate: decode and predict from a memory image
 * (ELF core) and a register file. docs/cross-checking.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcheck/xcheck.h"

const char cmd_inspect_usage[] =
	"usage: smmusim inspect --core FILE --regs FILE [--sid N] [--json]\n"
	"                       [--preset P]\n"
	"\n"
	"Decode the stream table, STEs, CD tables, CDs and stage-1 / stage-2\n"
	"page tables that software left in a memory image, flagging every\n"
	"ILLEGAL STE or CD with the field and the rule (IHI 0070 §5.2, §5.4).\n"
	"\n"
	"  --core FILE   ELF core: PT_LOAD segments are physical memory\n"
	"  --regs FILE   register file: JSON of register names to hex strings\n"
	"  --sid N       only StreamID N (shown even if invalid)\n"
	"  --json        JSON instead of the text outline\n"
	"  --preset P    preset name or preset file for what the register\n"
	"                file does not give (absent IDRs); default full\n"
	"\n"
	"See docs/cross-checking.md.\n";

const char cmd_translate_usage[] =
	"usage: smmusim translate --core FILE --regs FILE [--preset P]\n"
	"           (--sid N [--ssid M] --iova ADDR --access r|w|x [--priv]\n"
	"            | --batch FILE)\n"
	"\n"
	"Predict what the SMMU does for a request, from a memory image and a\n"
	"register file. One TSV line per request:\n"
	"  sid ssid iova access outcome pa event\n"
	"outcome ok, bypass, abort or fault; pa the output address or -;\n"
	"event the event the SMMU records (docs/events.md) or -.\n"
	"\n"
	"A batch file has one request per line, 'sid ssid iova access',\n"
	"ssid - for none, numbers decimal or 0x hex, access r, w or x (rp,\n"
	"wp, xp: privileged), # comments.\n"
	"\n"
	"See docs/cross-checking.md.\n";

struct common {
	const char *core, *regs, *preset;
};

/* Consume a common option at argv[*i]: 1 taken, 0 not ours, -1 error. */
static int common_opt(const char *cmd, int argc, char **argv, int *i,
		      struct common *c)
{
	const char **slot = NULL;

	if (!strcmp(argv[*i], "--core"))
		slot = &c->core;
	else if (!strcmp(argv[*i], "--regs"))
		slot = &c->regs;
	else if (!strcmp(argv[*i], "--preset"))
		slot = &c->preset;
	else
		return 0;
	if (*i + 1 >= argc) {
		cli_usage_error(cmd, "%s needs a value", argv[*i]);
		return -1;
	}
	*slot = argv[++*i];
	return 1;
}

static bool open_image(const char *cmd, const struct common *c,
		       struct xc_image *img)
{
	struct smmu_impl impl;
	char err[512];

	if (!c->core || !c->regs) {
		cli_usage_error(cmd, "--core and --regs are required");
		return false;
	}
	if (!cli_load_preset(cmd, c->preset ? c->preset : "full", &impl))
		return false;
	if (!xc_image_open(img, c->core, c->regs, &impl, err, sizeof(err))) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		return false;
	}
	return true;
}

int cmd_inspect(int argc, char **argv)
{
	struct xc_inspect_opts o = { 0 };
	struct common c = { 0 };
	struct xc_image img;
	unsigned problems = 0;
	char err[512];
	bool ok;

	for (int i = 1; i < argc; i++) {
		int r = common_opt("inspect", argc, argv, &i, &c);
		uint64_t v;

		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--sid")) {
			if (i + 1 >= argc)
				return cli_usage_error("inspect",
						       "--sid needs a value");
			if (!cli_parse_u64("inspect", "--sid", argv[++i], &v))
				return EXIT_USAGE;
			if (v > UINT32_MAX)
				return cli_usage_error("inspect", "--sid: '%s' "
					"does not fit 32 bits", argv[i]);
			o.one_sid = true;
			o.sid = (uint32_t)v;
		} else {
			return cli_usage_error("inspect", "unknown option '%s'",
					       argv[i]);
		}
	}
	if (!open_image("inspect", &c, &img))
		return EXIT_USAGE;
	ok = xc_inspect(img.smmu, stdout, &o, &problems, err, sizeof(err));
	xc_image_close(&img);
	if (!ok) {
		fprintf(stderr, "smmusim inspect: %s\n", err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Parse the whole batch first: an error leaves no partial output. */
static int read_batch(const char *path, struct xc_request **out, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct xc_request *v = NULL;
	size_t cap = 0, len = 0, lcap = 0;
	char *line = NULL;
	unsigned lineno = 0;
	int rc = EXIT_OK;

	if (!f) {
		fprintf(stderr, "smmusim translate: %s: %s\n", path,
			strerror(errno));
		return EXIT_USAGE;
	}
	while (getline(&line, &lcap, f) >= 0) {
		struct xc_request rq;
		char err[512];
		int r = xc_parse_request(path, ++lineno, line, &rq, err,
					 sizeof(err));

		if (r < 0) {
			fprintf(stderr, "smmusim translate: %s\n", err);
			rc = EXIT_USAGE;
			break;
		}
		if (r == 0)
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct xc_request *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				fprintf(stderr, "smmusim translate: out of "
					"memory\n");
				rc = EXIT_USAGE;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[len++] = rq;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc != EXIT_OK) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return EXIT_OK;
}

int cmd_translate(int argc, char **argv)
{
	struct xc_request rq = { 0 };
	struct common c = { 0 };
	const char *batch = NULL;
	bool have_sid = false, have_iova = false, have_access = false;
	bool single = false;
	struct xc_image img;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		int r = common_opt("translate", argc, argv, &i, &c);
		const char *opt = argv[i];
		uint64_t v;

		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(opt, "--priv")) {
			rq.priv = true;
			single = true;
			continue;
		}
		if (strcmp(opt, "--sid") && strcmp(opt, "--ssid") &&
		    strcmp(opt, "--iova") && strcmp(opt, "--access") &&
		    strcmp(opt, "--batch"))
			return cli_usage_error("translate",
					       "unknown option '%s'", opt);
		if (i + 1 >= argc)
			return cli_usage_error("translate", "%s needs a value",
					       opt);
		const char *val = argv[++i];

		if (!strcmp(opt, "--batch")) {
			batch = val;
			continue;
		}
		single = true;
		if (!strcmp(opt, "--access")) {
			if (strlen(val) != 1 || !strchr("rwx", val[0]))
				return cli_usage_error("translate", "--access: "
					"'%s' is not r, w or x", val);
			rq.access = val[0] == 'r' ? XC_READ
				  : val[0] == 'w' ? XC_WRITE : XC_EXEC;
			have_access = true;
			continue;
		}
		if (!cli_parse_u64("translate", opt, val, &v))
			return EXIT_USAGE;
		if (!strcmp(opt, "--sid")) {
			if (v > UINT32_MAX)
				return cli_usage_error("translate", "--sid: "
					"'%s' does not fit 32 bits", val);
			rq.sid = (uint32_t)v;
			have_sid = true;
		} else if (!strcmp(opt, "--ssid")) {
			if (v >= (1u << 20))
				return cli_usage_error("translate", "--ssid: "
					"'%s' does not fit 20 bits", val);
			rq.ssid = (uint32_t)v;
			rq.ssv = true;
		} else {
			rq.iova = v;
			have_iova = true;
		}
	}
	if (batch && single)
		return cli_usage_error("translate", "--batch and a single "
				       "request (--sid ...) exclude each other");
	if (!batch && !(have_sid && have_iova && have_access))
		return cli_usage_error("translate", "give --sid, --iova and "
				       "--access, or --batch FILE");
	struct xc_request *reqs = NULL;
	size_t nreqs = 0;

	if (batch) {
		rc = read_batch(batch, &reqs, &nreqs);
		if (rc != EXIT_OK)
			return rc;
	}
	if (!open_image("translate", &c, &img)) {
		free(reqs);
		return EXIT_USAGE;
	}
	if (batch) {
		for (size_t k = 0; k < nreqs; k++) {
			struct xc_result res;

			xc_translate(img.smmu, &reqs[k], &res);
			xc_print_result(stdout, &reqs[k], &res);
		}
		free(reqs);
	} else {
		struct xc_result res;

		xc_translate(img.smmu, &rq, &res);
		xc_print_result(stdout, &rq, &res);
	}
	xc_image_close(&img);
	return rc;
}
