/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: smmusim replay on hostile logs (docs/trace-format.md).
 * The input is a log; the machine is fixed (RAM at 0x80000000, 4 GiB;
 * the SMMU at 0x09000000) whatever its header says, so that every record
 * reaches the model. Any bytes give 0 (every read matched), 1 (a
 * mismatch, reported as "LOG:LINE: ...") or -1 (an error naming the log),
 * never a crash, hang or leak.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xcheck/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_opts o = {
		.have_mmio_base = true,
		.mmio_base = 0x09000000,
		.nram = 1,
		.ram_base = { 0x80000000 },
		.ram_size = { UINT64_C(1) << 32 },
	};
	struct smmu_impl impl;
	struct replay_stats st;
	char msg[1024], path[64];
	size_t plen;
	int fd, r;

	if (size > (256u << 10))
		return 0;
	fd = memfd_create("fuzz-log", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	plen = strlen(path);
	smmu_impl_preset("full", &impl);
	o.impl = &impl;
	r = replay_run(path, &o, &st, msg, sizeof(msg));
	close(fd);
	if (r < -1 || r > 1)
		abort();
	/* every message names the log (a machine error cannot happen here) */
	if (r != 0 && strncmp(msg, path, plen))
		abort();
	if (r == 1 && !st.mismatches)
		abort();
	return 0;
}
