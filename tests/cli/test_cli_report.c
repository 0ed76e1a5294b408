/* SPDX-License-Identifier: MIT */
/* The campaign's output files (cli/report.c): latency buckets, JSON and
 * XML escaping, timeline lanes, TAP and JUnit text. */
#include "cli/report.c" /* its static helpers too; defines the feature macro */

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The scenario library is not linked into tests/cli: the two functions
 * report.c takes from it. */
const char *scn_kind_name(enum scn_kind kind)
{
	static const char *const n[] = { "read", "write", "ats", "pri" };

	return (unsigned)kind < SCN_KIND_NR ? n[kind] : "?";
}

const char *scn_event_name(uint8_t id)
{
	return id == 0x10 ? "F_TRANSLATION" : NULL;
}

struct memfile {
	FILE *f;
	char *buf;
	size_t len;
};

static void mem_open(struct memfile *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static const char *mem_text(struct memfile *m)
{
	assert_int_equal(fclose(m->f), 0);
	return m->buf;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_buckets(void **state)
{
	static const struct {
		uint64_t v;
		unsigned bucket;
	} rows[] = {
		{ 0, 0 },     { 15, 15 },   { 16, 16 },  { 17, 16 },
		{ 18, 17 },   { 31, 23 },   { 32, 24 },  { 35, 24 },
		{ 36, 25 },   { 1023, 63 }, { 1024, 64 }, { 1152, 65 },
		{ UINT64_MAX, LAT_BUCKETS - 1 },
	};

	(void)state;
	assert_int_equal(LAT_BUCKETS, 496);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_field(i, "bucket", "index", lat_bucket(rows[i].v),
			     rows[i].bucket);
	assert_int_equal(lat_bucket_low(16), 16);
	assert_int_equal(lat_bucket_low(17), 18);
	assert_int_equal(lat_bucket_low(64), 1024);
	assert_int_equal(lat_bucket_low(65), 1152);
	assert_true(lat_bucket_low(LAT_BUCKETS - 1) == UINT64_C(15) << 60);
	assert_true(lat_bucket_low(LAT_BUCKETS) == UINT64_MAX);
	/* every value lies in its bucket's range */
	for (uint64_t v = 0; v < 70000; v += 7) {
		unsigned b = lat_bucket(v);

		assert_true(lat_bucket_low(b) <= v);
		assert_true(v < lat_bucket_low(b + 1));
	}
}

static void test_hist_add(void **state)
{
	struct scn_span sp[3] = {
		{ .start = 100, .end = 110, .kind = SCN_KIND_DMA_READ },
		{ .start = 100, .end = 1124, .kind = SCN_KIND_DMA_READ },
		{ .start = 50, .end = 40, .kind = SCN_KIND_PRI }, /* clamps */
	};
	struct scn_result res = { .spans = sp, .nspans = 3 };
	struct lat_hist h[SCN_KIND_NR];

	(void)state;
	memset(h, 0, sizeof(h));
	lat_hist_add_result(h, &res);
	assert_int_equal(h[SCN_KIND_DMA_READ].count[10], 1);
	assert_int_equal(h[SCN_KIND_DMA_READ].count[64], 1);
	assert_int_equal(h[SCN_KIND_PRI].count[0], 1);
	assert_int_equal(h[SCN_KIND_DMA_WRITE].count[10], 0);
}

static void test_json_escape(void **state)
{
	struct memfile m;

	(void)state;
	mem_open(&m);
	json_put_string(m.f, "a\"b\\c\nd\te\r\x01\x7f \xc3\xa9 \xff\xc3");
	/* \x01, DEL and the bad bytes become U+FFFD; é stays */
	assert_string_equal(mem_text(&m),
			    "\"a\\\"b\\\\c\\nd\\te\\r" REPLACEMENT REPLACEMENT
			    " \xc3\xa9 " REPLACEMENT REPLACEMENT "\"");
	free(m.buf);
	mem_open(&m);
	json_put_string(m.f, NULL);
	assert_string_equal(mem_text(&m), "\"\"");
	free(m.buf);
}

static void test_xml_escape(void **state)
{
	struct memfile m;

	(void)state;
	mem_open(&m);
	/* overlong '/', a surrogate, U+FFFF: all not well-formed in XML */
	xml_put_text(m.f, "<a href='x'>&\"\t\x02\xc0\xaf\xed\xa0\x80\xef\xbf\xbf"
			  "\xe2\x82\xac");
	assert_string_equal(mem_text(&m),
			    "&lt;a href=&apos;x&apos;&gt;&amp;&quot;\t"
			    /* \x02; \xc0 and \xaf; \xed \xa0 \x80; U+FFFF */
			    REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT
			    REPLACEMENT REPLACEMENT REPLACEMENT
			    "\xe2\x82\xac");
	free(m.buf);
}

static void test_timeline_lanes(void **state)
{
	/* three spans of one device: A and B overlap, C starts as A ends */
	struct scn_span sp[3] = {
		{ .start = 100, .end = 200, .kind = SCN_KIND_DMA_WRITE,
		  .sid = 0x10, .ssid = 1, .ssv = true, .addr = 0x1000,
		  .oa = 0x80001000, .resp = 0, .track = "nic" },
		{ .start = 150, .end = 1150, .kind = SCN_KIND_PRI, .sid = 0x10,
		  .addr = 0x2000, .resp = 1, .event_id = 0x10, .track = "nic" },
		{ .start = 200, .end = 300, .kind = SCN_KIND_ATS, .sid = 0x11,
		  .track = "nic" },
	};
	struct scn_mark mk = { .at = 2500, .what = "fault kill \"app\"" };
	struct scn_result res = { .pass = true, .cycles = 3000, .spans = sp,
				  .nspans = 3, .marks = &mk, .nmarks = 1 };
	char path[] = "/tmp/test_cli_report_XXXXXX";
	int fd = mkstemp(path);
	char *text;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(report_write_timeline(path, 7, "s <1>", "a.scn", 5,
					       &res),
			 0);
	text = slurp(path);
	unlink(path);
	assert_non_null(strstr(text, "{\"ph\":\"M\",\"name\":\"thread_name\","
				     "\"pid\":7,\"tid\":2,\"args\":{\"name\":"
				     "\"nic\"}}"));
	assert_non_null(strstr(text, "{\"ph\":\"M\",\"name\":\"thread_name\","
				     "\"pid\":7,\"tid\":3,\"args\":{\"name\":"
				     "\"nic (2)\"}}"));
	assert_non_null(strstr(
		text, "{\"ph\":\"X\",\"name\":\"write\",\"cat\":\"write\","
		      "\"pid\":7,\"tid\":2,\"ts\":0.100,\"dur\":0.100,"
		      "\"args\":{\"sid\":\"0x10\",\"ssid\":1,\"addr\":\"0x1000\","
		      "\"oa\":\"0x80001000\",\"resp\":\"ok\",\"event\":\"none\","
		      "\"cycles\":100}}"));
	assert_non_null(strstr(
		text, "{\"ph\":\"X\",\"name\":\"pri\",\"cat\":\"pri\","
		      "\"pid\":7,\"tid\":3,\"ts\":0.150,\"dur\":1.000,"
		      "\"args\":{\"sid\":\"0x10\",\"ssid\":\"none\","
		      "\"addr\":\"0x2000\",\"oa\":\"0x0\",\"resp\":\"abort\","
		      "\"event\":\"F_TRANSLATION\",\"cycles\":1000}}"));
	/* C reuses A's lane: A ended when C started */
	assert_non_null(strstr(text, "\"name\":\"ats\",\"cat\":\"ats\","
				     "\"pid\":7,\"tid\":2,\"ts\":0.200,"));
	assert_non_null(strstr(text, "{\"ph\":\"i\",\"s\":\"t\",\"name\":"
				     "\"fault kill \\\"app\\\"\",\"cat\":"
				     "\"mark\",\"pid\":7,\"tid\":1,\"ts\":"
				     "2.500,"));
	assert_null(strstr(text, "displayTimeUnit"));
	assert_int_equal(strncmp(text, "{\"traceEvents\":[\n", 16), 0);
	assert_non_null(strstr(text, "\n],\n\"otherData\":{\"clock\":"));
	assert_non_null(strstr(text, "\"scenario\":\"s <1>\",\"file\":"
				     "\"a.scn\",\"seed\":5,\"result\":\"pass\","
				     "\"cycles\":3000,\"message\":\"\"}}\n"));
	free(text);
}

static struct inst two_insts[2] = {
	{ .index = 4, .file = "lib/a.scn", .label = "", .name = "a # one",
	  .status = INST_PASS, .expectations = 2, .expectations_passed = 2 },
	{ .index = 6, .file = "./lib/sub/b.scn", .label = "N=1",
	  .name = "b<x>[N=1]", .status = INST_FAIL,
	  .message = "b.scn:3:1: expect \"x\" & y", .expectations = 3,
	  .expectations_passed = 1, .cycles = 99, .seed = 5 },
};

static void test_tap(void **state)
{
	struct campaign_info ci = { .shard_k = 2, .shard_n = 3, .total = 8 };
	char path[] = "/tmp/test_cli_tap_XXXXXX";
	int fd = mkstemp(path);
	char *text;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(report_write_tap(path, &ci, two_insts, 2), 0);
	text = slurp(path);
	unlink(path);
	assert_string_equal(text,
			    "TAP version 13\n"
			    "1..2\n"
			    "ok 1 - a \\# one\n"
			    "not ok 2 - b<x>[N=1]\n"
			    "  ---\n"
			    "  message: \"b.scn:3:1: expect \\\"x\\\" & y\"\n"
			    "  severity: fail\n"
			    "  file: \"./lib/sub/b.scn\"\n"
			    "  index: 6\n"
			    "  expectations: 3\n"
			    "  expectations_passed: 1\n"
			    "  cycles: 99\n"
			    "  seed: 5\n"
			    "  ...\n"
			    "# shard 2/3: 2 of 8 instances\n");
	free(text);
}

static void test_junit(void **state)
{
	struct campaign_info ci = { .shard_k = 1, .shard_n = 1, .total = 2 };
	char path[] = "/tmp/test_cli_junit_XXXXXX";
	int fd = mkstemp(path);
	char *text;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(report_write_junit(path, &ci, two_insts, 2), 0);
	text = slurp(path);
	unlink(path);
	assert_non_null(strstr(text, "<testsuites name=\"smmusim campaign\" "
				     "tests=\"2\" failures=\"1\" errors=\"0\""));
	assert_non_null(strstr(text, "\n<testsuite name=\"smmusim campaign "
				     "shard 1/1\" tests=\"2\""));
	assert_non_null(strstr(text, "  <testcase classname=\"lib.a\" "
				     "name=\"a # one\" time=\"0.000\"/>\n"));
	assert_non_null(strstr(
		text, "  <testcase classname=\"lib.sub.b\" "
		      "name=\"b&lt;x&gt;[N=1]\" time=\"0.000\">\n"
		      "    <failure message=\"b.scn:3:1: expect &quot;x&quot; "
		      "&amp; y\" type=\"expectation\">"));
	assert_non_null(strstr(text, "\n</testsuite>\n</testsuites>\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_hist_add),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_timeline_lanes),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_junit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
