/* SPDX-License-Identifier: MIT */
/* The trace reader: header, records, every syntax error with its place. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xcheck/trace.h"

static struct trace_reader *open_str(const char *text, char *err)
{
	return trace_reader_open_mem(text, strlen(text), "t", err, 512);
}

/* Open text and read records until the first error; return its message. */
static const char *first_error(const char *text, char *err)
{
	struct trace_reader *r = open_str(text, err);
	struct trace_rec rec;
	int rc;

	if (!r)
		return err;
	while ((rc = trace_reader_next(r, &rec, err, 512)) > 0)
		;
	trace_reader_close(r);
	if (rc == 0)
		snprintf(err, 512, "(no error)");
	return err;
}

static void test_records(void **state)
{
	static const char text[] =
		"\r\n"
		"# smmusim-trace 1\r\n"
		"# source: smmusim 0.1\r\n"
		"#preset:full  \r\n"
		"# a comment that is not a key\r\n"
		"# clock-hz: 500000000\r\n"
		"\r\n"
		"120 MMIO_W off=0x80 reg=STRTAB_BASE size=8 val=0x80000000\r\n"
		"   \t\r\n"
		"# later: not a header key\n"
		"130\tXLATE   latency=310\tsid=16 ssid=- iova=0x7F00\n"
		"- SEV\n"
		"130 MY_KIND2 x=a=b";
	struct trace_reader *r;
	struct trace_rec rec;
	char err[512];
	uint64_t v;

	(void)state;
	r = open_str(text, err);
	assert_non_null(r);
	assert_int_equal(trace_reader_version(r), 1);
	assert_string_equal(trace_reader_name(r), "t");
	assert_string_equal(trace_reader_header(r, "source"), "smmusim 0.1");
	assert_string_equal(trace_reader_header(r, "preset"), "full");
	assert_string_equal(trace_reader_header(r, "clock-hz"), "500000000");
	assert_int_equal(trace_reader_header_line(r, "clock-hz"), 6);
	assert_null(trace_reader_header(r, "later"));
	assert_null(trace_reader_header(r, "a"));
	assert_int_equal(trace_reader_header_line(r, "seed"), 0);

	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 8);
	assert_true(rec.has_time);
	assert_int_equal(rec.time, 120);
	assert_string_equal(rec.kind, "MMIO_W");
	assert_string_equal(rec.text, "120 MMIO_W off=0x80 reg=STRTAB_BASE "
				      "size=8 val=0x80000000");
	assert_string_equal(rec.file, "t");
	assert_int_equal(rec.nfields, 4);
	assert_string_equal(rec.fields[0].name, "off");
	assert_string_equal(rec.fields[0].value, "0x80");
	assert_int_equal(rec.fields[0].col, 12);
	assert_string_equal(rec.fields[3].name, "val");
	assert_string_equal(rec.fields[3].value, "0x80000000");
	assert_string_equal(trace_rec_get(&rec, "reg"), "STRTAB_BASE");
	assert_null(trace_rec_get(&rec, "sid"));
	assert_true(trace_rec_u64(&rec, "size", &v));
	assert_int_equal(v, 8);
	assert_true(trace_rec_u64(&rec, "val", &v));
	assert_int_equal(v, 0x80000000u);
	assert_false(trace_rec_u64(&rec, "reg", &v));
	assert_false(trace_rec_u64(&rec, "nope", &v));

	/* tabs, several spaces, fields in any order */
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 11);
	assert_string_equal(rec.kind, "XLATE");
	assert_int_equal(rec.nfields, 4);
	assert_string_equal(rec.fields[0].name, "latency");
	assert_int_equal(rec.fields[1].col, 25);
	assert_true(trace_rec_u64(&rec, "sid", &v));
	assert_int_equal(v, 16);
	assert_true(trace_rec_u64(&rec, "iova", &v));
	assert_int_equal(v, 0x7f00);
	assert_true(trace_rec_u64(&rec, "latency", &v));
	assert_int_equal(v, 310);
	assert_string_equal(trace_rec_get(&rec, "ssid"), "-");
	assert_false(trace_rec_u64(&rec, "ssid", &v));
	assert_int_equal(trace_rec_num(&rec, "ssid", &v, err, sizeof(err)),
			 0);

	/* TIME "-", no fields */
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 12);
	assert_false(rec.has_time);
	assert_string_equal(rec.kind, "SEV");
	assert_int_equal(rec.nfields, 0);
	assert_string_equal(rec.text, "- SEV");

	/* a kind the reader does not know; '=' inside a value; no newline */
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 13);
	assert_int_equal(rec.time, 130);
	assert_string_equal(rec.kind, "MY_KIND2");
	assert_string_equal(trace_rec_get(&rec, "x"), "a=b");

	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 0);
	trace_reader_close(r);
}

static void test_version0_and_empty_trace(void **state)
{
	struct trace_reader *r;
	struct trace_rec rec;
	char err[512];

	(void)state;
	r = open_str("# smmusim-trace 0\n", err);
	assert_non_null(r);
	assert_int_equal(trace_reader_version(r), 0);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 0);
	trace_reader_close(r);

	r = open_str("  #smmusim-trace\t1   ", err);
	assert_non_null(r);
	assert_int_equal(trace_reader_version(r), 1);
	trace_reader_close(r);
}

static void test_header_errors(void **state)
{
	char err[512];

	(void)state;
	assert_null(open_str("", err));
	assert_string_equal(err, "t:1:1: empty file: no '# smmusim-trace N' "
				 "header");
	assert_null(open_str("\n\n", err));
	assert_string_equal(err, "t:3:1: empty file: no '# smmusim-trace N' "
				 "header");
	assert_null(open_str("\n100 XLATE sid=1\n", err));
	assert_string_equal(err, "t:2:1: not a smmusim trace: the first line "
				 "is not '# smmusim-trace N'");
	assert_null(open_str("# source: smmusim\n# smmusim-trace 1\n", err));
	assert_string_equal(err, "t:1:1: not a smmusim trace: the first line "
				 "is not '# smmusim-trace N'");
	assert_null(open_str("# smmusim-trace\n", err));
	assert_string_equal(err, "t:1:1: not a smmusim trace: the first line "
				 "is not '# smmusim-trace N'");
	assert_null(open_str("# smmusim-tracer 1\n", err));
	assert_string_equal(err, "t:1:1: not a smmusim trace: the first line "
				 "is not '# smmusim-trace N'");
	assert_null(open_str("# smmusim-trace one\n", err));
	assert_string_equal(err, "t:1:17: bad trace format version 'one'");
	assert_null(open_str("# smmusim-trace 1x\n", err));
	assert_string_equal(err, "t:1:17: bad trace format version '1x'");
	assert_null(open_str("# smmusim-trace 1 2\n", err));
	assert_string_equal(err, "t:1:17: bad trace format version '1'");
	assert_null(open_str("# smmusim-trace 2\n", err));
	assert_string_equal(err, "t:1:17: trace format version 2 is newer "
				 "than this reader knows (1)");
	assert_null(open_str("\r\n# smmusim-trace 99999999999999999999\r\n",
			     err));
	assert_string_equal(err, "t:2:17: trace format version "
				 "99999999999999999999 is newer than this "
				 "reader knows (1)");
}

#define H "# smmusim-trace 1\n"

static void test_record_errors(void **state)
{
	char err[512];

	(void)state;
	assert_string_equal(first_error(H "12x XLATE sid=1\n", err),
			    "t:2:1: TIME '12x' is not a number or '-'");
	assert_string_equal(first_error(H "  -1 XLATE\n", err),
			    "t:2:3: TIME '-1' is not a number or '-'");
	assert_string_equal(first_error(H "99999999999999999999 SEV\n", err),
			    "t:2:1: TIME '99999999999999999999' is not a "
			    "number or '-'");
	assert_string_equal(first_error(H "10 SEV\n- SEV\n\n# c\n9 SEV\n",
					err),
			    "t:6:1: TIME 9 is before the previous record's "
			    "10 (line 2)");
	assert_string_equal(first_error(H "10 SEV\n10 SEV\n0x10 SEV\n",
					err),
			    "(no error)");
	assert_string_equal(first_error(H "10 xlate sid=1\n", err),
			    "t:2:4: bad record kind 'xlate': must be "
			    "[A-Z][A-Z0-9_]*");
	assert_string_equal(first_error(H "10 1XLATE\n", err),
			    "t:2:4: bad record kind '1XLATE': must be "
			    "[A-Z][A-Z0-9_]*");
	assert_string_equal(first_error(H "10 XLATE-TR\n", err),
			    "t:2:4: bad record kind 'XLATE-TR': must be "
			    "[A-Z][A-Z0-9_]*");
	assert_string_equal(first_error(H "10 sid=1\n", err),
			    "t:2:4: bad record kind 'sid=1': must be "
			    "[A-Z][A-Z0-9_]*");
	assert_string_equal(first_error(H "10  \n", err),
			    "t:2:5: record has no kind");
	assert_string_equal(first_error(H "10 XLATE sid=1 stalled\n", err),
			    "t:2:16: 'stalled' is not a field NAME=VALUE");
	assert_string_equal(first_error(H "10 XLATE Sid=1\n", err),
			    "t:2:10: bad field name 'Sid': must be "
			    "[a-z0-9_]+");
	assert_string_equal(first_error(H "10 XLATE s-id=1\n", err),
			    "t:2:10: bad field name 's-id': must be "
			    "[a-z0-9_]+");
	assert_string_equal(first_error(H "10 XLATE =1\n", err),
			    "t:2:10: bad field name '': must be [a-z0-9_]+");
	assert_string_equal(first_error(H "10 XLATE sid=\n", err),
			    "t:2:14: field 'sid' has an empty value");
	assert_string_equal(first_error(H "10 XLATE sid=1 iova=2 sid=3\n",
					err),
			    "t:2:23: duplicate field 'sid' (also at column "
			    "10)");
}

/* More than 16 fields take the sorting path of the duplicate check. */
static void test_duplicate_many_fields(void **state)
{
	char text[1024], err[512];
	size_t n = (size_t)snprintf(text, sizeof(text), H "5 MANY");

	(void)state;
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " f%02d=%d",
				      i, i);
	/*
	 * "5 MANY " then f00=0 .. f09=9 (6 columns each), f10=10 .. f29=29
	 * (7 each): f07 is at column 8 + 7 * 6 = 50, the second f07 at
	 * 8 + 10 * 6 + 20 * 7 = 208; the later f03 is not the first.
	 */
	snprintf(text + n, sizeof(text) - n, " f07=x f03=y\n");
	assert_string_equal(first_error(text, err),
			    "t:2:208: duplicate field 'f07' (also at column "
			    "50)");
	/* no duplicate: all 30 fields read */
	text[n] = '\n';
	text[n + 1] = '\0';
	assert_string_equal(first_error(text, err), "(no error)");
}

static void test_nul_byte(void **state)
{
	static const char text[] = H "10 SEV\n20 XLATE s\0d=1\n";
	struct trace_reader *r;
	struct trace_rec rec;
	char err[512];

	(void)state;
	r = trace_reader_open_mem(text, sizeof(text) - 1, "t", err,
				  sizeof(err));
	assert_non_null(r);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), -1);
	assert_string_equal(err, "t:3:11: NUL byte in line");
	/* errors are sticky */
	err[0] = '\0';
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), -1);
	assert_string_equal(err, "t:3:11: NUL byte in line");
	trace_reader_close(r);
}

static char *long_line_trace(size_t len, const char *end, size_t *total)
{
	size_t hl = strlen(H), el = strlen(end);
	char *t = malloc(hl + len + el + 32);

	memcpy(t, H, hl);
	memcpy(t + hl, "1 LONG x=", 9);
	memset(t + hl + 9, 'a', len - 9);
	memcpy(t + hl + len, end, el);
	memcpy(t + hl + len + el, "2 SEV\n", 7);
	*total = hl + len + el + 6;
	return t;
}

static void test_long_lines(void **state)
{
	struct trace_reader *r;
	struct trace_rec rec;
	size_t total;
	char err[512], *t;

	(void)state;
	/* exactly 1 MiB, with "\r\n": accepted */
	t = long_line_trace(TRACE_LINE_MAX, "\r\n", &total);
	r = trace_reader_open_mem(t, total, "t", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(strlen(rec.text), TRACE_LINE_MAX);
	assert_int_equal(strlen(trace_rec_get(&rec, "x")),
			 TRACE_LINE_MAX - 9);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_string_equal(rec.kind, "SEV");
	assert_int_equal(rec.line, 3);
	trace_reader_close(r);
	free(t);

	/* one byte more: refused, even as the first record (read ahead) */
	t = long_line_trace(TRACE_LINE_MAX + 1, "\n", &total);
	r = trace_reader_open_mem(t, total, "t", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:1048577: line longer than 1 MiB "
				 "(1048576 bytes)");
	trace_reader_close(r);
	free(t);

	/* far longer, with "\r\n" */
	t = long_line_trace(3 * TRACE_LINE_MAX, "\r\n", &total);
	r = trace_reader_open_mem(t, total, "t", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:1048577: line longer than 1 MiB "
				 "(1048576 bytes)");
	trace_reader_close(r);
	free(t);
}

static void test_number_fields(void **state)
{
	static const char text[] =
		H "1 X a=0x10 b=16 c=0xzz d=18446744073709551616 "
		  "e=0xffffffffffffffff f=0x g=- h=1e3\n";
	struct trace_rec rec;
	char err[512];
	struct trace_reader *r = open_str(text, err);
	uint64_t v = 7;

	(void)state;
	assert_non_null(r);
	assert_int_equal(trace_reader_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(trace_rec_num(&rec, "a", &v, err, sizeof(err)), 1);
	assert_int_equal(v, 16);
	assert_int_equal(trace_rec_num(&rec, "b", &v, err, sizeof(err)), 1);
	assert_int_equal(v, 16);
	assert_int_equal(trace_rec_num(&rec, "c", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:19: field 'c': '0xzz' is not a number");
	assert_false(trace_rec_u64(&rec, "c", &v));
	assert_int_equal(trace_rec_num(&rec, "d", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:26: field 'd': '18446744073709551616' "
				 "is not a number");
	assert_int_equal(trace_rec_num(&rec, "e", &v, err, sizeof(err)), 1);
	assert_true(v == UINT64_MAX);
	assert_int_equal(trace_rec_num(&rec, "f", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:70: field 'f': '0x' is not a number");
	assert_int_equal(trace_rec_num(&rec, "g", &v, err, sizeof(err)), 0);
	assert_int_equal(trace_rec_num(&rec, "z", &v, err, sizeof(err)), 0);
	assert_int_equal(trace_rec_num(&rec, "h", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2:79: field 'h': '1e3' is not a number");
	trace_reader_close(r);
}

/* A real file, streamed through the 64 KiB buffer: lines cross it. */
static void test_file(void **state)
{
	char path[] = "/tmp/test_trace_read_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct trace_reader *r;
	struct trace_rec rec;
	char err[512];
	unsigned n = 0;
	uint64_t v;
	int rc;

	(void)state;
	assert_non_null(f);
	fprintf(f, "# smmusim-trace 1\r\n# seed: 42\r\n");
	for (unsigned i = 0; i < 20000; i++)
		fprintf(f, "%u XLATE sid=0x%x iova=0x%x result=OK\r\n", i * 3,
			i % 7, i * 4096);
	fclose(f);
	r = trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(trace_reader_header(r, "seed"), "42");
	assert_string_equal(trace_reader_name(r), path);
	while ((rc = trace_reader_next(r, &rec, err, sizeof(err))) > 0) {
		assert_int_equal(rec.line, n + 3);
		assert_int_equal(rec.time, n * 3);
		assert_true(trace_rec_u64(&rec, "iova", &v));
		assert_int_equal(v, (uint64_t)n * 4096);
		assert_string_equal(trace_rec_get(&rec, "result"), "OK");
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 20000);
	trace_reader_close(r);
	unlink(path);

	assert_null(trace_reader_open("/nonexistent/x.trace", err,
				      sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.trace: No such file or "
				 "directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_version0_and_empty_trace),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_duplicate_many_fields),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_number_fields),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
