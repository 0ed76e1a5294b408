/* SPDX-License-Identifier: MIT */
/*
 * Corrupt, truncated and hostile memory images, register files and batch
 * lines: every one is refused with a clear message (with its location
 * where one exists) and none crashes (this runs under ASan/UBSan too).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/pgtable.h"
#include "host/platform.h"
#include "xcheck/xcheck.h"

struct fx {
	char dir[200];
	char good[256];    /* a valid exported core */
	char regs[256];    /* its register file */
	char path[256];    /* scratch */
	uint8_t *img;      /* the valid core's bytes */
	size_t len;
};

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *dir = getenv("TMPDIR");
	struct platform p;
	struct smmu_impl impl;
	struct pgtable pt;
	char err[256];
	uint64_t ste[8];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(f->good, sizeof(f->good), "%s/xcheck-h-%d.core", dir,
		 (int)getpid());
	snprintf(f->regs, sizeof(f->regs), "%s/xcheck-h-%d.json", dir,
		 (int)getpid());
	snprintf(f->path, sizeof(f->path), "%s/xcheck-h-%d.tmp", dir,
		 (int)getpid());
	smmu_impl_preset("full", &impl);
	assert_true(platform_create(&p, &impl, 1, 8, err, sizeof(err)));
	/* two RAM regions far apart, so the core has several segments */
	assert_true(pmem_add_ram(p.mem, UINT64_C(0x400000000), 0x100000) >= 0);
	pmem_write64(p.mem, UINT64_C(0x400010000), 0x1122334455667788ull,
		     NULL);
	assert_true(pgtable_init(&pt, p.hm, 1, 12, 39));
	assert_true(pgtable_map(&pt, 0x1000, PLAT_RAM_BASE + 0x100000, 0x1000,
				PT_R));
	hsmmu_ste_bypass(ste);
	assert_int_equal(hsmmu_install_ste(p.drv, 3, ste), 0);
	assert_true(xc_export(p.smmu, p.mem, f->good, f->regs, err,
			      sizeof(err)));
	pgtable_destroy(&pt);
	platform_destroy(&p);
	f->img = read_file(f->good, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->good);
	unlink(f->regs);
	unlink(f->path);
	free(f->img);
	free(f);
	return 0;
}

/* Load `path`; return the error (empty string on success). */
static const char *load(const char *path, bool *ok)
{
	static char err[512];
	struct pmem *m = pmem_create();

	err[0] = '\0';
	*ok = xc_core_load(path, m, NULL, err, sizeof(err));
	pmem_destroy(m);
	return err;
}

static void expect_core_error(const char *path, const char *want)
{
	bool ok;
	const char *e = load(path, &ok);

	assert_false(ok);
	if (!strstr(e, want))
		fail_msg("error '%s' lacks '%s'", e, want);
	/* every message names the file */
	assert_true(strncmp(e, path, strlen(path)) == 0);
}

static void test_good_core_loads(void **state)
{
	struct fx *f = *state;
	struct xc_core_info info;
	struct pmem *m = pmem_create();
	char err[256];
	uint64_t v;

	assert_true(xc_core_load(f->good, m, &info, err, sizeof(err)));
	assert_int_equal(info.regions, 2);
	assert_int_equal(info.mem_bytes, PLAT_RAM_SIZE + 0x100000);
	assert_int_equal(pmem_read64(m, UINT64_C(0x400010000), &v, NULL),
			 MEM_OK);
	assert_int_equal(v, 0x1122334455667788ull);
	/* a hole stays a hole */
	assert_int_equal(pmem_read64(m, UINT64_C(0x300000000), &v, NULL),
			 MEM_ABORT);
	pmem_destroy(m);
}

static void test_not_elf(void **state)
{
	struct fx *f = *state;
	bool ok;

	write_file(f->path, "", 0);
	expect_core_error(f->path, "not an ELF file");
	write_file(f->path, "hello, world\n", 13);
	expect_core_error(f->path, "not an ELF file");
	write_file(f->path, "\177ELF", 4);
	load(f->path, &ok);
	assert_false(ok);
	expect_core_error("/no/such/core", "No such file or directory");
	expect_core_error("/", "not a regular file");
}

static void test_not_core(void **state)
{
	(void)state;
	/* this test program is ET_EXEC or ET_DYN */
	expect_core_error("/proc/self/exe", "not an ELF core file (e_type ");
}

/* ELF64 little-endian field access in the copy */
static uint64_t get(const uint8_t *b, size_t off, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[off + i] << (8 * i);
	return v;
}

static void set(uint8_t *b, size_t off, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Offset of program header i's field (ELF64 layout). */
enum { P_TYPE = 0, P_OFFSET = 8, P_PADDR = 24, P_FILESZ = 32,
       P_MEMSZ = 40 };

static size_t ph(const struct fx *f, unsigned i, unsigned field)
{
	return (size_t)get(f->img, 32, 8) + 56u * i + field;
}

/* Index of the first PT_LOAD with file bytes. */
static unsigned first_filled(const struct fx *f)
{
	unsigned n = (unsigned)get(f->img, 56, 2);

	for (unsigned i = 0; i < n; i++)
		if (get(f->img, ph(f, i, P_FILESZ), 8))
			return i;
	fail_msg("no filled segment");
	return 0;
}

static void with_patch(struct fx *f, size_t off, unsigned n, uint64_t v,
		       const char *want)
{
	uint8_t *b = malloc(f->len);

	memcpy(b, f->img, f->len);
	set(b, off, n, v);
	write_file(f->path, b, f->len);
	free(b);
	expect_core_error(f->path, want);
}

static void test_bad_segments(void **state)
{
	struct fx *f = *state;
	unsigned n = (unsigned)get(f->img, 56, 2), i = first_filled(f);
	uint64_t filesz = get(f->img, ph(f, i, P_FILESZ), 8);

	assert_true(n >= 3);
	/* e_type ET_EXEC */
	with_patch(f, 16, 2, 2, "not an ELF core file (e_type 2, expected "
				"ET_CORE 4)");
	/* segment 1 placed over segment 0 */
	with_patch(f, ph(f, 1, P_PADDR), 8, get(f->img, ph(f, 0, P_PADDR), 8),
		   "overlap at physical address");
	/* more file bytes than memory */
	with_patch(f, ph(f, i, P_MEMSZ), 8, filesz - 1,
		   "exceeds p_memsz");
	/* data beyond the end of the file */
	with_patch(f, ph(f, i, P_OFFSET), 8, f->len - filesz + 1,
		   "runs past the end of the file");
	with_patch(f, ph(f, i, P_OFFSET), 8, UINT64_MAX - 8,
		   "runs past the end of the file");
	/* beyond 56 bits, and wrapping around */
	with_patch(f, ph(f, i, P_PADDR), 8, UINT64_C(1) << 56,
		   "beyond 56 bits");
	with_patch(f, ph(f, i, P_PADDR), 8, UINT64_MAX - 0xfff,
		   "beyond 56 bits");
	/* a huge phnum */
	{
		bool ok;
		uint8_t *b = malloc(f->len);

		memcpy(b, f->img, f->len);
		set(b, 56, 2, 0xfffe);
		write_file(f->path, b, f->len);
		free(b);
		load(f->path, &ok);
		assert_false(ok);
	}
	/* no PT_LOAD at all */
	{
		uint8_t *b = malloc(f->len);

		memcpy(b, f->img, f->len);
		for (unsigned k = 0; k < n; k++)
			set(b, ph(f, k, P_TYPE), 4, 4 /* PT_NOTE */);
		write_file(f->path, b, f->len);
		free(b);
		expect_core_error(f->path, "no PT_LOAD segment");
	}
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	unsigned n = (unsigned)get(f->img, 56, 2);
	size_t end = 0;

	/* where the segments' data ends (the section headers follow) */
	for (unsigned i = 0; i < n; i++) {
		size_t e = (size_t)(get(f->img, ph(f, i, P_OFFSET), 8) +
				    get(f->img, ph(f, i, P_FILESZ), 8));

		if (get(f->img, ph(f, i, P_FILESZ), 8) && e > end)
			end = e;
	}
	assert_true(end > 4097 && end < f->len);
	size_t cuts[] = { 1, 16, 52, 63, 64, 65, 100, 64 + 56, 200, 4095, 4096,
			  4097, end / 2, end - 1 };

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		bool ok;
		const char *e;

		write_file(f->path, f->img, cuts[k]);
		e = load(f->path, &ok);
		if (ok)
			fail_msg("a core cut at %zu bytes loaded", cuts[k]);
		assert_true(strlen(e) > 0);
	}
	write_file(f->path, f->img, end - 1);
	expect_core_error(f->path, "truncated?");
	/* without its section headers the memory is all there: it loads */
	{
		bool ok;

		write_file(f->path, f->img, end);
		load(f->path, &ok);
		assert_true(ok);
	}
}

/* Random byte damage in the headers: refused or loaded, never a crash. */
static void test_fuzzed_headers(void **state)
{
	struct fx *f = *state;
	uint8_t *b = malloc(f->len);
	uint64_t s = 12345;
	unsigned refused = 0;
	size_t hdr = (size_t)get(f->img, 32, 8) +
		     56u * (size_t)get(f->img, 56, 2);

	for (unsigned it = 0; it < 600; it++) {
		unsigned n;
		bool ok;

		memcpy(b, f->img, f->len);
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (unsigned)(s >> 60);
		for (unsigned k = 0; k < n; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			b[(s >> 33) % hdr] ^= (uint8_t)(1u << ((s >> 20) & 7));
		}
		write_file(f->path, b, f->len);
		load(f->path, &ok);
		refused += !ok;
	}
	free(b);
	assert_true(refused > 0);
}

static void regs_error(const char *text, const char *want)
{
	struct xc_regs r;
	char err[512];

	if (xc_regs_parse(text, strlen(text), "r.json", &r, err, sizeof(err)))
		fail_msg("'%s' parsed", text);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_bad_register_files(void **state)
{
	struct xc_regs r;
	char err[256];
	char *deep;

	(void)state;
	regs_error("", "r.json:1:");
	regs_error("{\n  \"CR0\": \"0x1\",,\n}", "r.json:2:");
	regs_error("{\"CR0\": \"0x1\", \"CR0\": \"0x1\"}", "r.json:1:");
	regs_error("[1, 2]", "r.json: the register file must be a JSON object");
	regs_error("{\"FOO\": \"0x1\"}", "r.json: \"FOO\": unknown register");
	regs_error("{\"CR0\": 1}", "r.json: \"CR0\": the value must be a hex "
				   "string");
	regs_error("{\"CR0\": \"0xzz\"}", "\"CR0\": \"0xzz\" is not a hex");
	regs_error("{\"CR0\": \"\"}", "is not a hex number");
	regs_error("{\"CR0\": \"0x\"}", "is not a hex number");
	regs_error("{\"CR0\": \"0x1\\u0000\"}", "r.json:1:");
	regs_error("{\"STRTAB_BASE\": \"0x12345678123456789\"}",
		   "is not a hex number");
	regs_error("{\"CR0\": \"0x100000000\"}",
		   "0x100000000 does not fit a 32-bit register");
	deep = malloc(200002);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = '\0';
	regs_error(deep, "r.json:1:");
	free(deep);
	/* good: prefixes, case of hex digits, 64-bit values */
	{
		const char *good = "{\"SMMU_CR0\": \"0x1\", \"STRTAB_BASE\": "
				   "\"FFFFFFFFFFFFFFFF\", \"CR2\": \"aB\"}";

		assert_true(xc_regs_parse(good, strlen(good), "r.json", &r, err,
					  sizeof(err)));
	}
	{
		uint64_t v;

		assert_true(xc_regs_get(&r, "STRTAB_BASE", &v));
		assert_int_equal(v, UINT64_MAX);
		assert_true(xc_regs_get(&r, "CR2", &v));
		assert_int_equal(v, 0xab);
	}
	/* missing file */
	assert_false(xc_regs_load("/no/such/regs.json", &r, err, sizeof(err)));
	assert_non_null(strstr(err, "/no/such/regs.json: "));
}

static void test_bad_idrs(void **state)
{
	struct fx *f = *state;
	struct xc_regs r;
	struct xc_image img;
	char err[512];
	struct pmem *m;

	memset(&r, 0, sizeof(r));
	/* 16 StreamID bits need a 2-level stream table (IDR0.ST_LEVEL) */
	xc_regs_set(&r, "IDR0", 0xB);
	xc_regs_set(&r, "IDR1", 16);
	m = pmem_create();
	assert_true(xc_core_load(f->good, m, NULL, err, sizeof(err)));
	assert_false(xc_image_open_mem(&img, m, &r, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "the ID registers describe an SMMU"));
	/* the open failed cleanly: img holds nothing */
	assert_null(img.smmu);
	assert_null(img.mem);
}

/* An image whose tables point anywhere: inspect and translate survive. */
static void test_hostile_tables(void **state)
{
	struct xc_regs r;
	struct xc_image img;
	struct xc_inspect_opts o = { .max_entries = 4096, .max_descs = 20000 };
	char err[512];
	struct pmem *m = pmem_create();
	FILE *out = fopen("/dev/null", "w");
	uint64_t base = PLAT_RAM_BASE;
	unsigned problems;

	(void)state;
	/* a linear stream table of 256 STEs full of junk, every table
	 * pointer aiming back at the stream table itself */
	assert_true(pmem_add_ram(m, base, 0x100000) >= 0);
	for (uint64_t a = 0; a < 256 * 64; a += 8) {
		uint64_t v = (a & 0x38) == 0 ? 0x8000000fULL | base
					     : (a * 0x9E3779B97F4A7C15ull);

		pmem_write64(m, base + a, v, NULL);
	}
	memset(&r, 0, sizeof(r));
	xc_regs_set(&r, "STRTAB_BASE", base);
	xc_regs_set(&r, "STRTAB_BASE_CFG", 8);
	xc_regs_set(&r, "CR0", 1);
	assert_true(xc_image_open_mem(&img, m, &r, NULL, err, sizeof(err)));
	assert_true(xc_inspect(img.smmu, out, &o, &problems, err,
			       sizeof(err)));
	assert_true(problems > 0);
	for (uint32_t sid = 0; sid < 300; sid++) {
		struct xc_request rq = { sid, sid & 1, sid * 7, sid * 4096ull,
					 (enum xc_access)(sid % 3), sid & 2 };
		struct xc_result res;

		xc_translate(img.smmu, &rq, &res);
		assert_true(res.outcome <= XC_FAULT);
	}
	xc_image_close(&img);
	fclose(out);
}

static void batch_error(const char *line, const char *want)
{
	struct xc_request rq;
	char err[512];

	assert_int_equal(xc_parse_request("b.tsv", 7, line, &rq, err,
					  sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_batch_lines(void **state)
{
	struct xc_request rq;
	char err[256];

	(void)state;
	assert_int_equal(xc_parse_request("b", 1, "", &rq, err, sizeof(err)),
			 0);
	assert_int_equal(xc_parse_request("b", 1, "   # x\n", &rq, err,
					  sizeof(err)), 0);
	assert_int_equal(xc_parse_request("b", 1, "0x10\t-\t0x1000\tw\n", &rq,
					  err, sizeof(err)), 1);
	assert_int_equal(rq.sid, 0x10);
	assert_false(rq.ssv);
	assert_int_equal(rq.iova, 0x1000);
	assert_int_equal(rq.access, XC_WRITE);
	assert_false(rq.priv);
	assert_int_equal(xc_parse_request("b", 1, "16 0xfffff 4096 xp # c",
					  &rq, err, sizeof(err)), 1);
	assert_int_equal(rq.sid, 16);
	assert_true(rq.ssv);
	assert_int_equal(rq.ssid, 0xfffff);
	assert_int_equal(rq.access, XC_EXEC);
	assert_true(rq.priv);
	batch_error("0x10 - 0x1000", "b.tsv:7:14: missing access");
	batch_error("0x10", "b.tsv:7:5: missing SubstreamID");
	batch_error("zz - 0 r", "b.tsv:7:1: StreamID 'zz' is not a number");
	batch_error("-1 - 0 r", "b.tsv:7:1: StreamID '-1'");
	batch_error("0x100000000 - 0 r", "b.tsv:7:1: StreamID");
	batch_error("1 0x100000 0 r", "b.tsv:7:3: SubstreamID '0x100000'");
	batch_error("1 -- 0 r", "b.tsv:7:3: SubstreamID '--'");
	batch_error("1 - 99999999999999999999 r", "b.tsv:7:5: IOVA");
	batch_error("1 - 0x1g r", "b.tsv:7:5: IOVA '0x1g'");
	batch_error("1 - 0 q", "b.tsv:7:7: access 'q'");
	batch_error("1 - 0 rw", "b.tsv:7:7: access 'rw'");
	batch_error("1 - 0 r extra", "b.tsv:7:9: unexpected field");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_core_loads),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_not_core),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fuzzed_headers),
		cmocka_unit_test(test_bad_register_files),
		cmocka_unit_test(test_bad_idrs),
		cmocka_unit_test(test_hostile_tables),
		cmocka_unit_test(test_batch_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
