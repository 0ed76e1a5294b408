/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace from-qemu (xcheck/trace_qemu.c): hand-written QEMU SMMUv3
 * logs (tests/data/trace_qemu/) in the 7.2 format without timestamps, the
 * 9.1 format with "TID@SEC.USEC:" prefixes and the ISO 8601 prefix of
 * QEMU after 10.0
 * convert to exactly the expected trace; bad, truncated and binary input
 * is reported with its line, never crashes.
 */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu/regs.h"
#include "xcheck/trace.h"
#include "xcheck/trace_qemu.h"

#define HEADER "# smmusim-trace 1\n# source: qemu\n# clock-hz: 1000000000\n"

/* tests/data/trace_qemu/NAME, found from this file's own path. */
static void data_path(const char *name, char *out, size_t n)
{
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');
	size_t dir = 0;

	/* strip "trace_qemu/test_trace_qemu.c" */
	if (slash) {
		const char *p = slash;

		while (p > here && p[-1] != '/')
			p--;
		dir = (size_t)(p - here);
	}
	snprintf(out, n, "%.*sdata/trace_qemu/%s", (int)dir, here, name);
}

struct run {
	bool ok;
	char *text;		/* the trace written */
	size_t len;
	char err[512];
	struct trace_qemu_stats st;
};

static void convert(FILE *in, const char *name,
		    const struct trace_qemu_opts *o, struct run *r)
{
	FILE *out = open_memstream(&r->text, &r->len);

	assert_non_null(out);
	r->err[0] = '\0';
	r->ok = trace_from_qemu(in, name, out, o, &r->st, r->err,
				sizeof(r->err));
	assert_int_equal(fclose(out), 0);
}

static void convert_file(const char *file, const struct trace_qemu_opts *o,
			 struct run *r)
{
	char path[1024];
	FILE *in;

	data_path(file, path, sizeof(path));
	in = fopen(path, "rb");
	if (!in)
		fail_msg("cannot open %s", path);
	convert(in, file, o, r);
	fclose(in);
}

static void convert_text(const char *text, size_t len, const char *name,
			 const struct trace_qemu_opts *o, struct run *r)
{
	FILE *in = fmemopen((void *)text, len, "r");

	assert_non_null(in);
	convert(in, name, o, r);
	fclose(in);
}

static void run_free(struct run *r)
{
	free(r->text);
	trace_qemu_stats_free(&r->st);
}

static uint64_t skipped(const struct run *r, const char *name)
{
	for (unsigned i = 0; i < r->st.nskipped; i++)
		if (!strcmp(r->st.skipped_by_name[i].name, name))
			return r->st.skipped_by_name[i].count;
	return 0;
}

/* A field every record of the kind from-qemu writes carries. */
static const char *key_field(const char *kind)
{
	static const char *const keys[][2] = {
		{ "MMIO_R", "reg" }, { "MMIO_W", "reg" }, { "CMD", "op" },
		{ "CMD_ERR", "cerror" }, { "EVT", "type" },
		{ "XLATE", "result" }, { "IRQ", "src" }, { "GERROR", "bit" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(kind, keys[i][0]))
			return keys[i][1];
	return NULL;
}

/* The trace parses with the trace reader, record for record. */
static void check_reader(const struct run *r, unsigned nrecords,
			 bool timed)
{
	char err[512];
	struct trace_reader *rd = trace_reader_open_mem(r->text, r->len,
							"conv", err,
							sizeof(err));
	struct trace_rec rec;
	unsigned n = 0;
	int rc;

	if (!rd)
		fail_msg("reader refused the trace: %s", err);
	assert_string_equal(trace_reader_header(rd, "source"), "qemu");
	while ((rc = trace_reader_next(rd, &rec, err, sizeof(err))) == 1) {
		const char *key = key_field(rec.kind);

		assert_int_equal(rec.has_time, timed);
		if (!key || !trace_rec_get(&rec, key))
			fail_msg("line %u: %s", rec.line, rec.text);
		n++;
	}
	if (rc < 0)
		fail_msg("reader: %s", err);
	assert_int_equal(n, nrecords);
	trace_reader_close(rd);
}

static const char qemu72_trace[] = HEADER
	"- MMIO_R off=0x0 reg=IDR0 size=4 val=0xd40101a\n"
	"- MMIO_R off=0x4 reg=IDR1 size=4 val=0x2730010\n"
	"- MMIO_W off=0x80 reg=STRTAB_BASE size=8 val=0x80000000\n"
	"- MMIO_W off=0x88 reg=STRTAB_BASE_CFG size=4 val=0x6\n"
	"- MMIO_W off=0x90 reg=CMDQ_BASE size=4 val=0x80010005\n"
	"- MMIO_W off=0x94 reg=CMDQ_BASE_HI size=4 val=0x0\n"
	"- MMIO_W off=0xa0 reg=EVENTQ_BASE size=8 val=0x80020005\n"
	"- MMIO_W off=0x100a8 reg=EVENTQ_PROD size=4 val=0x0\n"
	"- MMIO_W off=0x100ac reg=EVENTQ_CONS size=4 val=0x0\n"
	"- MMIO_W off=0x50 reg=IRQ_CTRL size=4 val=0x5\n"
	"- MMIO_W off=0x20 reg=CR0 size=4 val=0xd\n"
	"- MMIO_R off=0x24 reg=CR0ACK size=4 val=0xd\n"
	"- MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x3\n"
	"- CMD idx=0 op=CMD_CFGI_STE sid=0x8\n"
	"- CMD idx=1 op=CMD_TLBI_NH_VA asid=0x1 vmid=0x0 addr=0x7f0000001000\n"
	"- CMD idx=2 op=CMD_SYNC\n"
	"- IRQ src=CMD_SYNC\n"
	"- MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x3\n"
	"- XLATE sid=0x8 iova=0x7f0000001040 result=OK oa=0x80051040 perm=rw- "
	"event=-\n"
	"- XLATE sid=0x10 iova=0x2000 result=ABORT oa=- perm=--- event=-\n"
	"- EVT type=F_TRANSLATION sid=0x8\n"
	"- IRQ src=EVTQ\n"
	"- XLATE sid=0x8 iova=0x7f0000009000 result=ABORT oa=- perm=--- "
	"event=F_TRANSLATION\n"
	"- MMIO_R off=0x100a8 reg=EVENTQ_PROD size=4 val=0x1\n"
	"- MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x4\n"
	"- CMD idx=3 op=CMD_0x0f\n"
	"- CMD_ERR idx=3 op=CMD_0x0f cerror=CERROR_ILL\n"
	"- GERROR bit=CMDQ_ERR\n"
	"- IRQ src=GERROR\n"
	"- MMIO_R off=0x60 reg=GERROR size=4 val=0x1\n"
	"- MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x1000003\n"
	"- MMIO_W off=0x64 reg=GERRORN size=4 val=0x1\n"
	"- CMD idx=3 op=CMD_SYNC\n";

/* QEMU 7.2, no timestamps: every record has TIME "-". */
static void test_qemu72(void **state)
{
	struct run r = { 0 };

	(void)state;
	convert_file("qemu-7.2.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, qemu72_trace);
	assert_int_equal(r.st.lines, 59);
	assert_int_equal(r.st.events, 54);
	assert_int_equal(r.st.converted, 39);
	assert_int_equal(r.st.skipped, 15);
	assert_int_equal(r.st.other, 5);
	assert_int_equal(r.st.records, 33);
	assert_int_equal(r.st.backwards, 0);
	assert_int_equal(r.st.unresolved, 0);
	assert_int_equal(r.st.truncated, 0);
	assert_int_equal(r.st.nskipped, 11);
	assert_string_equal(r.st.skipped_by_name[0].name, "smmu_add_mr");
	assert_int_equal(skipped(&r, "smmu_add_mr"), 2);
	assert_int_equal(skipped(&r, "smmuv3_cmdq_consume_out"), 4);
	assert_int_equal(skipped(&r, "smmuv3_write_gerrorn"), 1);
	assert_string_equal(r.st.skipped_by_name[10].name,
			    "smmuv3_write_gerrorn");
	check_reader(&r, 33, false);
	run_free(&r);
}

static const char qemu91_trace[] = HEADER
	"0 XLATE sid=0x0 iova=0x40001000 result=OK oa=0x40001000 event=-\n"
	"50000 MMIO_R off=0x0 reg=IDR0 size=4 val=0xd40101b\n"
	"100000 MMIO_W off=0x90 reg=CMDQ_BASE size=4 val=0x80010008\n"
	"101000 MMIO_W off=0x94 reg=CMDQ_BASE_HI size=4 val=0x0\n"
	"150000 MMIO_W off=0x20 reg=CR0 size=4 val=0xd\n"
	"901000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x8\n"
	"901000 CMD idx=0 op=CMD_CFGI_STE_RANGE sid=0x0\n"
	"905000 CMD idx=1 op=CMD_CFGI_CD sid=0x8\n"
	"908000 CMD idx=2 op=CMD_TLBI_NH_ALL vmid=0x3\n"
	"912000 CMD idx=3 op=CMD_TLBI_S12_VMALL vmid=0x3\n"
	"915000 CMD idx=4 op=CMD_TLBI_NH_VA asid=0x5 vmid=0x3 "
	"addr=0x7f0000003000\n"
	"919000 CMD idx=5 op=CMD_TLBI_NSNH_ALL\n"
	"922000 CMD idx=6 op=CMD_ATC_INV\n"
	"925000 CMD idx=7 op=CMD_SYNC\n"
	"1900000 XLATE sid=0x8 iova=0x7f0000003010 result=OK oa=0x90003010 "
	"perm=r-- event=-\n"
	"1900000 MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x8\n"
	"2400000 XLATE sid=0x10 iova=0x5000 result=OK oa=0x5000 event=-\n"
	"2900000 EVT type=F_PERMISSION sid=0x8\n"
	"2901000 IRQ src=EVTQ\n"
	"2901000 XLATE sid=0x8 iova=0x7f0000003020 result=ABORT oa=- "
	"perm=--- event=F_PERMISSION\n"
	"3400000 EVT type=C_BAD_STE sid=0x18\n"
	"3900000 MMIO_R off=0x100a8 reg=EVENTQ_PROD size=4 val=0x2\n"
	"4000000 MMIO_W off=0x100ac reg=EVENTQ_CONS size=4 val=0x2\n"
	"4901000 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x9\n"
	"4901000 CMD_ERR idx=8 op=- cerror=CERROR_ABT\n"
	"4902000 GERROR bit=CMDQ_ERR\n"
	"4903000 IRQ src=GERROR\n";

/*
 * QEMU 9.1 with -msg timestamp=on: TIME in cycles at 1 GHz from the first
 * line; the CMDQ_PROD write goes before the commands it made QEMU
 * consume; one line goes back in time and is held at the previous time.
 */
static void test_qemu91_timestamps(void **state)
{
	struct run r = { 0 };

	(void)state;
	convert_file("qemu-9.1-timestamps.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, qemu91_trace);
	assert_int_equal(r.st.lines, 51);
	assert_int_equal(r.st.events, 49);
	assert_int_equal(r.st.converted, 43);
	assert_int_equal(r.st.skipped, 6);
	assert_int_equal(r.st.other, 2);
	assert_int_equal(r.st.records, 27);
	assert_int_equal(r.st.backwards, 1);
	assert_int_equal(r.st.nskipped, 4);
	assert_int_equal(skipped(&r, "smmu_iotlb_lookup_hit"), 1);
	assert_int_equal(skipped(&r, "smmuv3_cmdq_consume_out"), 3);
	check_reader(&r, 27, true);
	run_free(&r);
}

/* --clock-hz 1 MHz: one cycle per microsecond. */
static void test_qemu91_clock(void **state)
{
	struct trace_qemu_opts o = { .clock_hz = 1000000 };
	struct run r = { 0 };

	(void)state;
	convert_file("qemu-9.1-timestamps.log", &o, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_non_null(strstr(r.text, "# clock-hz: 1000000\n0 XLATE sid=0x0 "
				       "iova=0x40001000 "));
	assert_non_null(strstr(r.text, "\n50 MMIO_R off=0x0 reg=IDR0 "));
	assert_non_null(strstr(r.text, "\n901 MMIO_W off=0x98 reg=CMDQ_PROD "
				       "size=4 val=0x8\n901 CMD idx=0 "));
	assert_non_null(strstr(r.text, "\n4903 IRQ src=GERROR\n"));
	run_free(&r);
}

static const char qemu_iso_trace[] = HEADER
	"0 MMIO_W off=0x20 reg=CR0 size=4 val=0xd\n"
	"18000 MMIO_R off=0x24 reg=CR0ACK size=4 val=0xd\n"
	"910203000 XLATE sid=0x8 iova=0x1000 result=OK oa=0x80001000 "
	"perm=rw- event=-\n"
	"18991910202000 MMIO_R off=0x9c reg=CMDQ_CONS size=4 val=0x0\n"
	"18991910204000 XLATE sid=0x8 iova=0x2000 result=ABORT oa=- "
	"perm=---\n"
	"18991910205000 MMIO_R off=0x60 reg=GERROR size=4 val=0x0\n";

/*
 * ISO 8601 prefixes (QEMU after 10.0), with and without the fraction and the
 * "(TID)" context, across midnight; a failure whose event QEMU did not
 * record gets its StreamID from the earlier translation of the region.
 */
static void test_qemu_iso8601(void **state)
{
	struct run r = { 0 };

	(void)state;
	convert_file("qemu-iso8601.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, qemu_iso_trace);
	assert_int_equal(r.st.events, 5);
	assert_int_equal(r.st.other, 1);
	assert_int_equal(r.st.records, 6);
	check_reader(&r, 6, true);
	run_free(&r);
}

/* The offset -> name table agrees with the model's register file. */
static void test_reg_names(void **state)
{
	uint64_t off;
	bool hi;

	(void)state;
	for (int id = 0; id < R_COUNT; id++) {
		uint32_t o = regs_offset((enum reg_id)id);
		/* QEMU logs page-1 offsets with bit 16 cleared */
		const char *n = trace_qemu_reg(o & ~0x10000u, 4, &off, &hi);

		if (!n || strcmp(n, regs_name((enum reg_id)id)) || off != o ||
		    hi)
			fail_msg("register %s at 0x%x: got %s at 0x%llx%s",
				 regs_name((enum reg_id)id), o, n ? n : "NULL",
				 (unsigned long long)off, hi ? " (high)" : "");
	}
	assert_string_equal(trace_qemu_reg(0x84, 4, &off, &hi), "STRTAB_BASE");
	assert_true(hi);
	assert_int_equal(off, 0x84);
	assert_string_equal(trace_qemu_reg(0x80, 8, &off, &hi), "STRTAB_BASE");
	assert_false(hi);
	assert_string_equal(trace_qemu_reg(0xd4, 4, &off, &hi),
			    "PRIQ_IRQ_CFG0");
	assert_true(hi);
	assert_string_equal(trace_qemu_reg(0xcc, 4, &off, &hi), "PRIQ_CONS");
	assert_int_equal(off, 0x100cc);
	assert_null(trace_qemu_reg(0xfd0, 4, &off, &hi));
	assert_int_equal(off, 0xfd0);
	assert_null(trace_qemu_reg(0x30, 4, &off, &hi));
}

/* A known event whose arguments do not parse: LOG:LINE, event, field. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *line;
		const char *err;
	} cases[] = {
		{ "smmuv3_write_mmio addr: 0x20 val:zz size: 0x4(0)",
		  "mem.log:2: smmuv3_write_mmio: cannot parse 'val'" },
		{ "smmuv3_read_mmio val:0x1 size: 0x4(0)",
		  "mem.log:2: smmuv3_read_mmio: cannot parse 'addr'" },
		{ "smmuv3_read_mmio addr: 0x20 val:0x1 size: 0x4(x)",
		  "mem.log:2: smmuv3_read_mmio: cannot parse 'size'" },
		{ "smmuv3_cmdq_opcode SMMU_CMD_SYNC",
		  "mem.log:2: smmuv3_cmdq_opcode: cannot parse 'opcode'" },
		{ "smmuv3_cmdq_consume_error Error on SMMU_CMD_SYNC command "
		  "execution: x",
		  "mem.log:2: smmuv3_cmdq_consume_error: cannot parse "
		  "'cmd_error'" },
		{ "smmuv3_cmdq_consume_error Failed",
		  "mem.log:2: smmuv3_cmdq_consume_error: cannot parse "
		  "'cmd_name'" },
		{ "smmuv3_translate_success smmuv3-iommu-memory-region-8-0 "
		  "sid=0x8 iova=0x1000 perm=0x3",
		  "mem.log:2: smmuv3_translate_success: cannot parse "
		  "'translated'" },
		{ "smmuv3_translate_abort smmuv3-iommu-memory-region-8-0 "
		  "sid=0x100000000 abort on iova:0x1000 is_write=0",
		  "mem.log:2: smmuv3_translate_abort: cannot parse 'sid'" },
		{ "smmuv3_translate_bypass ",
		  "mem.log:2: smmuv3_translate_bypass: cannot parse 'n'" },
		{ "smmuv3_record_event SMMU_EVT_C_BAD_STE",
		  "mem.log:2: smmuv3_record_event: cannot parse 'sid'" },
		{ "smmuv3_cmdq_cfgi_ste streamid=",
		  "mem.log:2: smmuv3_cmdq_cfgi_ste: cannot parse 'streamid'" },
		{ "smmuv3_range_inval vmid=1 asid=2 addr=0xfffffffffffffffff",
		  "mem.log:2: smmuv3_range_inval: cannot parse 'addr'" },
		{ "smmuv3_cmdq_consume prod=1",
		  "mem.log:2: smmuv3_cmdq_consume: cannot parse 'cons'" },
		{ "smmuv3_trigger_irq irq=-1",
		  "mem.log:2: smmuv3_trigger_irq: cannot parse 'irq'" },
		{ "1@2.000003:smmuv3_write_gerror toggled=0x1g",
		  "mem.log:2: smmuv3_write_gerror: cannot parse 'toggled'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		struct run r = { 0 };

		snprintf(text, sizeof(text),
			 "smmu_add_mr smmuv3-iommu-memory-region-8-0\n%s\n"
			 "smmuv3_read_mmio addr: 0x0 val:0x0 size: 0x4(0)\n",
			 cases[i].line);
		convert_text(text, strlen(text), "mem.log", NULL, &r);
		if (r.ok)
			fail_msg("case %zu accepted: %s", i, cases[i].line);
		assert_string_equal(r.err, cases[i].err);
		run_free(&r);
	}
}

/*
 * The last line cut short (no line end) is skipped with a warning; the
 * same line with a line end is an error.
 */
static void test_truncated(void **state)
{
	static const char cut[] =
		"smmuv3_write_mmio addr: 0x20 val:0xd size: 0x4(0)\n"
		"smmuv3_read_mmio addr: 0x24 val:0xd size: 0x4(0)\n"
		"smmuv3_write_mmio addr: 0x98 val:0x1 si";
	struct run r = { 0 };

	(void)state;
	convert_text(cut, strlen(cut), "cut.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, HEADER
			    "- MMIO_W off=0x20 reg=CR0 size=4 val=0xd\n"
			    "- MMIO_R off=0x24 reg=CR0ACK size=4 val=0xd\n");
	assert_int_equal(r.st.truncated, 1);
	assert_string_equal(r.st.warning,
			    "cut.log:3: smmuv3_write_mmio: cannot parse "
			    "'size' (truncated last line, skipped)");
	assert_int_equal(skipped(&r, "smmuv3_write_mmio"), 1);
	run_free(&r);

	/* the data file the CLI test uses is the same */
	convert_file("truncated.log", NULL, &r);
	assert_true(r.ok);
	assert_int_equal(r.st.truncated, 1);
	assert_int_equal(r.st.records, 2);
	run_free(&r);

	char whole[sizeof(cut) + 1];

	snprintf(whole, sizeof(whole), "%s\n", cut);
	convert_text(whole, strlen(whole), "cut.log", NULL, &r);
	assert_false(r.ok);
	assert_string_equal(r.err, "cut.log:3: smmuv3_write_mmio: cannot "
				   "parse 'size'");
	run_free(&r);
}

/* Binary garbage: refused, no crash; garbage lines in a log are skipped. */
static void test_garbage(void **state)
{
	unsigned char bin[4096];
	uint32_t x = 12345;
	struct run r = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++) {
		x = x * 1103515245u + 12345u;
		bin[i] = (unsigned char)(x >> 16);
	}
	convert_text((const char *)bin, sizeof(bin), "noise.bin", NULL, &r);
	assert_false(r.ok);
	assert_string_equal(r.err, "noise.bin: no QEMU trace events found "
				   "(expected lines such as "
				   "'smmuv3_write_mmio addr: ...' from QEMU's "
				   "log trace backend)");
	assert_int_equal(r.st.events, 0);
	run_free(&r);

	convert_file("garbage.bin", NULL, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.err, "garbage.bin: no QEMU trace events"));
	run_free(&r);

	/* an empty log */
	convert_text("", 0, "empty.log", NULL, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.err, "empty.log: no QEMU trace events"));
	run_free(&r);

	/* NUL bytes, a line over the limit, control characters */
	size_t big = TRACE_QEMU_LINE_MAX + 100, n = 0;
	char *text = malloc(big + 512);

	assert_non_null(text);
	n += (size_t)sprintf(text + n, "smmuv3_read_mmio addr: 0x0 val:0x1 "
				       "size: 0x4(0)\n");
	memcpy(text + n, "smmuv3_read_mmio addr: 0x0\0 val", 32);
	n += 32;
	text[n++] = '\n';
	memset(text + n, 'a', big);
	memcpy(text + n, "smmuv3_x ", 9);
	n += big;
	text[n++] = '\n';
	n += (size_t)sprintf(text + n, "\x01\x02\xff\xfe smmu\r\n"
				       "smmuv3_write_mmio addr: 0x64 val:0x1 "
				       "size: 0x4(0)\r\n");
	convert_text(text, n, "mixed.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, HEADER
			    "- MMIO_R off=0x0 reg=IDR0 size=4 val=0x1\n"
			    "- MMIO_W off=0x64 reg=GERRORN size=4 val=0x1\n");
	assert_int_equal(r.st.lines, 5);
	assert_int_equal(r.st.other, 3);
	assert_int_equal(r.st.events, 2);
	free(text);
	run_free(&r);
}

/* An access QEMU refused (MemTxResult != 0) is abort=1; odd offsets "?". */
static void test_mmio_abort(void **state)
{
	static const char log[] =
		"smmuv3_read_mmio addr: 0x8000 val:0x0 size: 0x4(1)\n"
		"smmuv3_write_mmio addr: 0xfd0 val:0x0 size: 0x8(2)\n";
	struct run r = { 0 };

	(void)state;
	convert_text(log, strlen(log), "abort.log", NULL, &r);
	assert_true(r.ok);
	assert_string_equal(r.text, HEADER
			    "- MMIO_R off=0x8000 reg=? size=4 val=0x0 "
			    "abort=1\n"
			    "- MMIO_W off=0xfd0 reg=? size=8 val=0x0 "
			    "abort=1\n");
	run_free(&r);
}

/*
 * The first event decides: a log whose first event has no timestamp is
 * untimed throughout, even if later lines have one.
 */
static void test_untimed_first(void **state)
{
	static const char log[] =
		"smmuv3_read_mmio addr: 0x0 val:0x1 size: 0x4(0)\n"
		"7@1.000005:smmuv3_read_mmio addr: 0x4 val:0x2 size: 0x4(0)\n";
	struct run r = { 0 };

	(void)state;
	convert_text(log, strlen(log), "u.log", NULL, &r);
	assert_true(r.ok);
	assert_string_equal(r.text, HEADER
			    "- MMIO_R off=0x0 reg=IDR0 size=4 val=0x1\n"
			    "- MMIO_R off=0x4 reg=IDR1 size=4 val=0x2\n");
	run_free(&r);
}

/* Rounding to the nearest cycle, and a clock that overflows. */
static void test_clock(void **state)
{
	static const char log[] =
		"1@100.000000:smmuv3_read_mmio addr: 0x0 val:0x1 size: "
		"0x4(0)\n"
		"1@100.000001:smmuv3_read_mmio addr: 0x0 val:0x1 size: "
		"0x4(0)\n"
		"1@100.000003:smmuv3_read_mmio addr: 0x0 val:0x1 size: "
		"0x4(0)\n";
	static const char far[] =
		"1@100.000000:smmuv3_read_mmio addr: 0x0 val:0x1 size: "
		"0x4(0)\n"
		"1@30000100.000000:smmuv3_read_mmio addr: 0x0 val:0x1 size: "
		"0x4(0)\n";
	struct trace_qemu_opts o = { .clock_hz = 333333 };
	struct run r = { 0 };

	(void)state;
	/* 1 us at 333333 Hz is 0.333 cycles -> 0; 3 us is 0.999 -> 1 */
	convert_text(log, strlen(log), "c.log", &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.text,
			    "# smmusim-trace 1\n# source: qemu\n"
			    "# clock-hz: 333333\n"
			    "0 MMIO_R off=0x0 reg=IDR0 size=4 val=0x1\n"
			    "0 MMIO_R off=0x0 reg=IDR0 size=4 val=0x1\n"
			    "1 MMIO_R off=0x0 reg=IDR0 size=4 val=0x1\n");
	run_free(&r);

	o.clock_hz = TRACE_QEMU_CLOCK_MAX;
	convert_text(far, strlen(far), "far.log", &o, &r);
	assert_false(r.ok);
	assert_string_equal(r.err, "far.log:2: timestamp too far from the "
				   "first one for --clock-hz 1000000000000");
	run_free(&r);

	o.clock_hz = TRACE_QEMU_CLOCK_MAX + 1;
	convert_text(log, strlen(log), "c.log", &o, &r);
	assert_false(r.ok);
	assert_string_equal(r.err, "clock 1000000000001 Hz is above "
				   "1000000000000 Hz");
	run_free(&r);
}

/*
 * A failure with no StreamID anywhere is left out and counted; detail
 * events with no command before them are skipped; QEMU's odd command and
 * event names map to the architecture's.
 */
static void test_names_and_orphans(void **state)
{
	static const char log[] =
		"smmuv3_cmdq_cfgi_ste streamid= 0x8\n"
		"smmuv3_translate_bypass smmuv3-iommu-memory-region-0-3 "
		"sid=0x3 STE bypass iova:0x10 is_write=1\n"
		"smmuv3-iommu-memory-region-0-3 translation failed for "
		"iova=0x10(SMMU_EVT_F_TRANSLATION)\n"
		"smmuv3_cmdq_opcode <--- SMMU_CMD_CFGI_ALL\n"
		"smmuv3_cmdq_consume_error Error on SMMU_CMD_CFGI_ALL command "
		"execution: 1\n"
		"smmuv3_cmdq_opcode <--- INVALID\n"
		"smmuv3_unhandled_cmd Unhandled command type=0\n"
		"smmuv3_cmdq_opcode <--- SMMU_CMD_TLBI_NH_VAA\n"
		"smmuv3_s1_range_inval vmid=-1 asid=-1 addr=0x5000 tg=0 "
		"num_pages=0x1 ttl=0 leaf=0\n"
		"smmuv3_record_event SMMU_EVT_F_TRANS_FORBIDDEN sid=0x1\n"
		"smmuv3_propagate_event SMMU_EVT_E_PAGE_REQ sid=0x2\n"
		"smmuv3_record_event UNKNOWN sid=0x3\n"
		"smmuv3_trigger_irq irq=7\n"
		"smmuv3_write_gerror toggled=0x202, new GERROR=0x202\n"
		"smmuv3_cmdq_consume_error Error on UNKNOWN command execution: "
		"9\n";
	struct run r = { 0 };

	(void)state;
	convert_text(log, strlen(log), "n.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(r.text, HEADER
			    "- XLATE sid=0x3 iova=0x10 result=OK oa=0x10 "
			    "event=-\n"
			    "- XLATE sid=0x3 iova=0x10 result=ABORT oa=- "
			    "perm=--- event=F_TRANSLATION\n"
			    "- CMD op=CMD_CFGI_VMS_PIDM\n"
			    "- CMD_ERR op=CMD_CFGI_VMS_PIDM cerror=CERROR_ILL\n"
			    "- CMD op=CMD_0x00\n"
			    "- CMD op=CMD_TLBI_NH_VAA addr=0x5000\n"
			    "- EVT type=F_TRANSL_FORBIDDEN sid=0x1\n"
			    "- EVT type=E_PAGE_REQUEST sid=0x2\n"
			    "- EVT type=? sid=0x3\n"
			    "- GERROR bit=1\n"
			    "- GERROR bit=9\n"
			    "- CMD_ERR op=CMD_TLBI_NH_VAA cerror=0x9\n");
	assert_int_equal(r.st.unresolved, 0);
	assert_int_equal(skipped(&r, "smmuv3_cmdq_cfgi_ste"), 1);
	assert_int_equal(skipped(&r, "smmuv3_trigger_irq"), 1);
	run_free(&r);

	static const char lost[] =
		"smmuv3_read_mmio addr: 0x0 val:0x1 size: 0x4(0)\n"
		"smmuv3-iommu-memory-region-0-3 translation failed for "
		"iova=0x10 (SMMU_EVT_C_BAD_STE)\n"
		"smmuv3_read_mmio addr: 0x4 val:0x1 size: 0x4(0)\n";

	convert_text(lost, strlen(lost), "lost.log", NULL, &r);
	assert_true(r.ok);
	assert_int_equal(r.st.unresolved, 1);
	assert_int_equal(r.st.records, 2);
	run_free(&r);
}

/*
 * Commands held for the write behind them are bounded: past the limit
 * they go out in log order and the write follows the rest.
 */
static void test_hold_limit(void **state)
{
	const unsigned ncmd = 5000;
	size_t cap = (size_t)ncmd * 40 + 128, n = 0;
	char *log = malloc(cap), *line;
	struct run r = { 0 };
	unsigned lineno = 0;

	(void)state;
	assert_non_null(log);
	for (unsigned i = 0; i < ncmd; i++)
		n += (size_t)sprintf(log + n,
				     "smmuv3_cmdq_opcode <--- SMMU_CMD_SYNC\n");
	n += (size_t)sprintf(log + n, "smmuv3_write_mmio addr: 0x98 "
				      "val:0x1388 size: 0x4(0)\n");
	convert_text(log, n, "many.log", NULL, &r);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_int_equal(r.st.records, ncmd + 1);
	/* header 3 lines, 4096 commands, then the write */
	for (line = r.text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!*line)
			break;
		lineno++;
		if (lineno == 3 + 4096 + 1)
			break;
	}
	assert_non_null(line);
	static const char write_then_cmd[] =
		"- MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1388\n"
		"- CMD op=CMD_SYNC\n";
	static const char cmd_before[] = "\n- CMD op=CMD_SYNC\n";

	assert_true(!strncmp(line, write_then_cmd, strlen(write_then_cmd)));
	assert_true(!strncmp(line - strlen(cmd_before), cmd_before,
			     strlen(cmd_before)));
	free(log);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu72),
		cmocka_unit_test(test_qemu91_timestamps),
		cmocka_unit_test(test_qemu91_clock),
		cmocka_unit_test(test_qemu_iso8601),
		cmocka_unit_test(test_reg_names),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_mmio_abort),
		cmocka_unit_test(test_untimed_first),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_names_and_orphans),
		cmocka_unit_test(test_hold_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
