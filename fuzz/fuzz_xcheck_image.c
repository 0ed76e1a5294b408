/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: memory images and register files (docs/
 * cross-checking.md). The input is a 4-byte little-endian length N, N
 * bytes of ELF core, then a register file (JSON). Whatever the bytes,
 * loading gives a model or one error line naming the file, never a crash,
 * hang or leak; a model that loads is then inspected and asked a few
 * translations (addresses from the input's last bytes), which must give
 * one of the four outcomes with an output address only when it says so.
 *
 * The core goes through the real path-based loader via a memfd.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xcheck/xcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void ask(struct xc_image *img, const uint8_t *tail, size_t n)
{
	/* up to 8 requests of 16 bytes: sid, ssid, iova, flags */
	for (size_t k = 0; k + 16 <= n && k < 8 * 16; k += 16) {
		struct xc_request rq = {
			.sid = (uint32_t)le(tail + k, 2),
			.ssv = tail[k + 2] & 1,
			.ssid = (uint32_t)le(tail + k + 3, 3) & 0xFFFFF,
			.iova = le(tail + k + 6, 8),
			.access = (enum xc_access)(tail[k + 14] % 3),
			.priv = tail[k + 15] & 1,
		};
		struct xc_result res;

		xc_translate(img->smmu, &rq, &res);
		if (res.outcome != XC_OK && res.outcome != XC_BYPASS &&
		    res.outcome != XC_ABORT && res.outcome != XC_FAULT)
			abort();
		if (res.outcome == XC_FAULT && !res.event_id && !res.stalled)
			abort();
		if (res.outcome == XC_ABORT && res.event_id)
			abort();
		if (res.outcome != XC_OK && res.outcome != XC_BYPASS &&
		    res.pa)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smmu_impl impl;
	struct xc_image img;
	struct xc_regs regs;
	struct pmem *mem;
	char err[512], path[64];
	unsigned problems = 0;
	struct xc_inspect_opts o = { .max_entries = 4096, .max_descs = 4096 };
	size_t n, rest;
	int fd;

	if (size < 4 || size > (1u << 20))
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	n = (size_t)le(data, 4);
	if (n > size - 4)
		n = size - 4;
	rest = size - 4 - n;

	memset(&regs, 0, sizeof(regs));
	if (!xc_regs_parse((const char *)data + 4 + n, rest, "fuzz.json",
			   &regs, err, sizeof(err))) {
		if (strncmp(err, "fuzz.json", 9))
			abort();
		return 0;
	}
	fd = memfd_create("fuzz-core", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 4, n) != (ssize_t)n) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mem = pmem_create();
	if (!xc_core_load(path, mem, NULL, err, sizeof(err))) {
		if (strncmp(err, path, strlen(path)))
			abort();
		pmem_destroy(mem);
		close(fd);
		return 0;
	}
	close(fd);
	smmu_impl_preset("full", &impl);
	if (!xc_image_open_mem(&img, mem, &regs, &impl, err, sizeof(err)))
		return 0; /* mem is the image's, freed on failure */
	o.one_sid = rest > 0 && (data[size - 1] & 1);
	o.sid = rest > 2 ? (uint32_t)le(data + size - 3, 2) : 0;
	o.json = rest > 3 && (data[size - 4] & 1);
	if (!xc_inspect(img.smmu, devnull, &o, &problems, err, sizeof(err)))
		abort();
	ask(&img, data + 4 + n, rest);
	xc_image_close(&img);
	return 0;
}
