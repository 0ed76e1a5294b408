/* SPDX-License-Identifier: MIT */
/*
 * Scenario campaigns (docs/performance.md): the command-line tool's
 * `smmusim campaign -j 2 -q` timed from the outside, wall clock, fork
 * and exec included.
 *
 *   campaign_scenarios       the bundled library (scenarios/library),
 *                            every file expanded into its instances
 *   campaign_scenarios_1000  one sweep template, written to a temporary
 *                            directory, whose parameter I = 1..1000 gives
 *                            1,000 instances of a small SVA scenario
 *                            (bind, 16 DMA writes, one expectation)
 *
 * One operation is one scenario instance: ns_per_op is the campaign's
 * wall time divided by its instances (with 2 workers). Extra fields:
 * "instances" and "passed" (from the campaign's summary line),
 * "scenarios_per_s", "wall_s", "jobs".
 *
 * The tool: $SMMUSIM_CLI if set, else the path CMake compiled in
 * (SMMUSIM_CLI_PATH), else ../smmusim next to this program. The library:
 * $SMMUSIM_SCENARIOS if set, else SMMUSIM_LIBRARY_DIR.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

#ifndef SMMUSIM_CLI_PATH
#define SMMUSIM_CLI_PATH ""
#endif
#ifndef SMMUSIM_LIBRARY_DIR
#define SMMUSIM_LIBRARY_DIR "scenarios/library"
#endif

#define REPS 5
#define REPS_1000 3
#define JOBS "2"

static const char prog[] = "bench_campaign";

static bool executable(const char *path)
{
	return path && path[0] && access(path, X_OK) == 0;
}

/* The CLI's path into buf. */
static void find_cli(char *buf, size_t len)
{
	const char *env = getenv("SMMUSIM_CLI");
	char self[4096];
	ssize_t n;

	if (env && env[0]) {
		snprintf(buf, len, "%s", env);
		return;
	}
	if (executable(SMMUSIM_CLI_PATH)) {
		snprintf(buf, len, "%s", SMMUSIM_CLI_PATH);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/../smmusim", self);
			if (executable(buf))
				return;
		}
	}
	bench_die(prog, "cannot find the smmusim tool (set SMMUSIM_CLI)");
}

struct outcome {
	unsigned instances, passed, failed, errors;
	double wall_ns;
};

/* Run `cli campaign -j 2 -q dir`; time it and parse its summary. */
static void campaign(const char *cli, const char *dir, struct outcome *o)
{
	char out[65536];
	size_t used = 0;
	int fd[2], status;
	uint64_t start;
	pid_t pid;
	bool found = false;

	if (pipe(fd))
		bench_die(prog, "pipe: %s", strerror(errno));
	start = bench_now_ns();
	pid = fork();
	if (pid < 0)
		bench_die(prog, "fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { (char *)cli, "campaign", "-j", JOBS, "-q",
				 (char *)dir, NULL };

		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(cli, argv);
		fprintf(stderr, "%s: exec %s: %s\n", prog, cli,
			strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		ssize_t n = read(fd[0], out + used, sizeof(out) - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == sizeof(out) - 1) /* keep the tail only */
			used = 0;
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die(prog, "waitpid: %s", strerror(errno));
	o->wall_ns = (double)(bench_now_ns() - start);
	out[used] = '\0';
	/* exit 0: all passed, 1: a scenario failed; anything else is an
	 * error the figure must not hide */
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		bench_die(prog, "%s campaign %s failed (status %d)", cli, dir,
			  status);
	for (char *line = strtok(out, "\n"); line;
	     line = strtok(NULL, "\n"))
		if (sscanf(line, "%u instances: %u passed, %u failed, %u errors",
			   &o->instances, &o->passed, &o->failed,
			   &o->errors) == 4)
			found = true;
	if (!found || o->instances == 0)
		bench_die(prog, "no summary line from %s campaign %s", cli,
			  dir);
}

static void bench(const struct bench_args *a, const char *name,
		  const char *cli, const char *dir, unsigned reps)
{
	struct outcome o[REPS];
	struct bench_extra x;
	double ns[REPS], wall[REPS], med;

	for (unsigned r = 0; r < reps; r++) {
		campaign(cli, dir, &o[r]);
		if (o[r].instances != o[0].instances)
			bench_die(prog, "%s: %u instances, then %u", name,
				  o[0].instances, o[r].instances);
		ns[r] = o[r].wall_ns / o[r].instances;
		wall[r] = o[r].wall_ns / 1e9;
	}
	med = bench_median(ns, reps);
	bench_extra_init(&x, a);
	bench_extra_u64(&x, "instances", o[0].instances);
	bench_extra_u64(&x, "passed", o[0].passed);
	bench_extra_f64(&x, "scenarios_per_s", med > 0 ? 1e9 / med : 0);
	bench_extra_f64(&x, "wall_s", bench_median(wall, reps));
	bench_extra_u64(&x, "jobs", 2);
	bench_report(name, med, o[0].instances, "-", x.buf);
}

/* The sweep template of campaign_scenarios_1000, `n` instances. */
static void write_sweep(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bench_die(prog, "%s: %s", path, strerror(errno));
	fprintf(f,
		"# bench_campaign: %u instances of one small SVA scenario\n"
		"param I = 1..%u step 1\n"
		"scenario \"bench sweep ${I}\"\n"
		"device nic sid=0x10 pri\n"
		"process app\n"
		"map app buf size=64K\n"
		"container c devices=nic\n"
		"bind c app\n"
		"dma d nic app write buf size=64 count=16 stride=4K "
		"pattern=0x5a\n"
		"expect dma d all-ok\n",
		n, n);
	if (fclose(f))
		bench_die(prog, "%s: %s", path, strerror(errno));
}

/* Every benchmark of this program, in the order they run. */
static const char *const names[] = {
	"campaign_scenarios",
	"campaign_scenarios_1000",
	NULL,
};

int main(int argc, char **argv)
{
	struct bench_args a;
	char cli[4096];
	const char *lib = getenv("SMMUSIM_SCENARIOS");

	if (!bench_args_parse(&a, prog, names, argc, argv))
		return 2;
	if (!lib || !lib[0])
		lib = SMMUSIM_LIBRARY_DIR;
	find_cli(cli, sizeof(cli));
	if (bench_wanted(&a, "campaign_scenarios"))
		bench(&a, "campaign_scenarios", cli, lib, a.quick ? 1 : REPS);
	if (bench_wanted(&a, "campaign_scenarios_1000")) {
		char dir[] = "/tmp/smmusim-bench-XXXXXX";
		char path[sizeof(dir) + 16];

		if (!mkdtemp(dir))
			bench_die(prog, "mkdtemp: %s", strerror(errno));
		snprintf(path, sizeof(path), "%s/sweep.scn", dir);
		write_sweep(path, a.quick ? 10 : 1000);
		bench(&a, "campaign_scenarios_1000", cli, dir,
		      a.quick ? 1 : REPS_1000);
		unlink(path);
		rmdir(dir);
	}
	return 0;
}
