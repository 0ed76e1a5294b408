/* SPDX-License-Identifier: MIT */
/* trace to-perfetto: the JSON parses, and says exactly what it should. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "xcheck/trace.h"

struct out {
	int rc;
	char *text;
	size_t len;
	struct trace_perfetto_stats st;
	char err[512];
};

static void draw(const char *trace, size_t len, struct out *o)
{
	struct trace_reader *r;
	FILE *f;

	memset(o, 0, sizeof(*o));
	r = trace_reader_open_mem(trace, len, "t", o->err, sizeof(o->err));
	assert_non_null(r);
	f = open_memstream(&o->text, &o->len);
	assert_non_null(f);
	o->rc = trace_to_perfetto(r, f, &o->st, o->err, sizeof(o->err));
	fclose(f);
	trace_reader_close(r);
}

static json_t *parse(const struct out *o)
{
	json_error_t e;
	json_t *j = json_loadb(o->text, o->len, 0, &e);

	if (!j)
		fail_msg("JSON error %d:%d: %s\n%s", e.line, e.column, e.text,
			 o->text);
	return j;
}

/* The n-th (from 0) event with this ph and name; fails if absent. */
static json_t *event(json_t *root, const char *ph, const char *name,
		     unsigned n)
{
	json_t *evs = json_object_get(root, "traceEvents"), *ev;
	size_t i;

	json_array_foreach(evs, i, ev) {
		if (strcmp(json_string_value(json_object_get(ev, "ph")), ph))
			continue;
		if (strcmp(json_string_value(json_object_get(ev, "name")),
			   name))
			continue;
		if (n-- == 0)
			return ev;
	}
	fail_msg("no event ph=%s name=%s", ph, name);
	return NULL;
}

static unsigned count(json_t *root, const char *ph)
{
	json_t *evs = json_object_get(root, "traceEvents"), *ev;
	unsigned n = 0;
	size_t i;

	json_array_foreach(evs, i, ev)
		n += !strcmp(json_string_value(json_object_get(ev, "ph")), ph);
	return n;
}

static double num(json_t *ev, const char *key)
{
	json_t *v = json_object_get(ev, key);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

static const char *thread_name(json_t *root, long tid)
{
	json_t *evs = json_object_get(root, "traceEvents"), *ev;
	size_t i;

	json_array_foreach(evs, i, ev)
		if (!strcmp(json_string_value(json_object_get(ev, "name")),
			    "thread_name") &&
		    json_integer_value(json_object_get(ev, "tid")) == tid)
			return json_string_value(json_object_get(
				json_object_get(ev, "args"), "name"));
	return NULL;
}

static const char *arg(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(json_object_get(ev, "args"),
						 key));
}

static const char trace[] =
	"# smmusim-trace 1\n"
	"# scenario: pf \"test\"\n"
	"# clock-hz: 500000000\n"
	"100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x2\n"
	"110 CMD idx=0 op=CMD_CFGI_STE sid=0x10\n"
	"120 CMD idx=1 op=CMD_SYNC\n"
	"150 SYNC idx=1 cs=IRQ\n"
	"200 XLATE sid=0x10 iova=0x1000 result=OK latency=100\n"
	"250 XLATE sid=16 iova=0x2000 result=ABORT latency=100\n"
	"300 XLATE sid=0x11 iova=0x1000 result=OK latency=0\n"
	"310 EVT type=F_TRANSLATION sid=0x10\n"
	"320 MSI src=EVTQ addr=0x8ff00000 data=0x1\n"
	"330 GERROR bit=CMDQ_ERR\n"
	"- SEV\n"
	"340 MEM_W addr=0x1000 size=4 val=0x1\n"
	"350 FUTURE_KIND x=1\n"
	"360 ATS_REQ sid=0x11 note=a\"b\\c\xff\xc3\xa9\n";

static void test_small_trace(void **state)
{
	struct out o;
	json_t *j, *ev, *other;

	(void)state;
	draw(trace, sizeof(trace) - 1, &o);
	assert_int_equal(o.rc, 0);
	j = parse(&o);

	ev = event(j, "M", "process_name", 0);
	assert_string_equal(arg(ev, "name"), "pf \"test\"");
	assert_string_equal(thread_name(j, 1), "registers");
	assert_string_equal(thread_name(j, 2), "command queue");
	assert_string_equal(thread_name(j, 3), "event queue");
	assert_null(thread_name(j, 4)); /* no PRI records */
	assert_string_equal(thread_name(j, 5), "interrupts");
	assert_string_equal(thread_name(j, 100), "SID 0x10");
	assert_string_equal(thread_name(j, 101), "SID 0x10 (2)");
	assert_string_equal(thread_name(j, 102), "SID 0x11");
	assert_null(thread_name(j, 103));

	/* 500 MHz: a cycle is 0.002 us */
	ev = event(j, "X", "XLATE OK", 0);
	assert_true(num(ev, "ts") == 0.4);
	assert_true(num(ev, "dur") == 0.2);
	assert_int_equal(num(ev, "tid"), 100);
	assert_int_equal(num(ev, "pid"), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "cat")),
			    "XLATE");
	assert_string_equal(arg(ev, "iova"), "0x1000");
	assert_string_equal(arg(ev, "latency"), "100");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(ev, "args"), "trace line")), 8);
	/* overlaps the first on the same StreamID: a second lane */
	ev = event(j, "X", "XLATE ABORT", 0);
	assert_true(num(ev, "ts") == 0.5);
	assert_true(num(ev, "dur") == 0.2);
	assert_int_equal(num(ev, "tid"), 101);
	ev = event(j, "X", "XLATE OK", 1);
	assert_true(num(ev, "ts") == 0.6);
	assert_true(num(ev, "dur") == 0);
	assert_int_equal(num(ev, "tid"), 102);

	ev = event(j, "X", "CMD_CFGI_STE", 0);
	assert_true(num(ev, "ts") == 0.22);
	assert_true(num(ev, "dur") == 0);
	assert_int_equal(num(ev, "tid"), 2);
	ev = event(j, "X", "CMD_SYNC", 0);
	assert_true(num(ev, "ts") == 0.24);
	assert_true(num(ev, "dur") == 0.06);
	assert_int_equal(num(ev, "tid"), 2);
	assert_string_equal(arg(ev, "idx"), "1");

	ev = event(j, "i", "MMIO_W CMDQ_PROD", 0);
	assert_true(num(ev, "ts") == 0.2);
	assert_int_equal(num(ev, "tid"), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "s")), "t");
	ev = event(j, "i", "F_TRANSLATION", 0);
	assert_true(num(ev, "ts") == 0.62);
	assert_int_equal(num(ev, "tid"), 3);
	ev = event(j, "i", "MSI EVTQ", 0);
	assert_true(num(ev, "ts") == 0.64);
	assert_int_equal(num(ev, "tid"), 5);
	ev = event(j, "i", "GERROR CMDQ_ERR", 0);
	assert_true(num(ev, "ts") == 0.66);
	assert_int_equal(num(ev, "tid"), 5);
	/* quotes, backslash, a stray byte, UTF-8 survive as JSON */
	ev = event(j, "i", "ATS_REQ", 0);
	assert_int_equal(num(ev, "tid"), 102);
	assert_string_equal(arg(ev, "note"), "a\"b\\c\xef\xbf\xbd\xc3\xa9");

	/* outstanding translations: up at 200 and 250, down at 300, 350 */
	ev = event(j, "C", "outstanding translations", 0);
	assert_true(num(ev, "ts") == 0.4);
	assert_int_equal(num(json_object_get(ev, "args"), "translations"), 1);
	ev = event(j, "C", "outstanding translations", 1);
	assert_true(num(ev, "ts") == 0.5);
	assert_int_equal(num(json_object_get(ev, "args"), "translations"), 2);
	ev = event(j, "C", "outstanding translations", 2);
	assert_true(num(ev, "ts") == 0.6);
	assert_int_equal(num(json_object_get(ev, "args"), "translations"), 1);
	ev = event(j, "C", "outstanding translations", 3);
	assert_true(num(ev, "ts") == 0.7);
	assert_int_equal(num(json_object_get(ev, "args"), "translations"), 0);

	assert_int_equal(count(j, "X"), 5);
	assert_int_equal(count(j, "i"), 5);
	assert_int_equal(count(j, "C"), 4);
	assert_int_equal(o.st.records, 14);
	assert_int_equal(o.st.slices, 5);
	assert_int_equal(o.st.instants, 5);
	assert_int_equal(o.st.counters, 4);
	assert_int_equal(o.st.untimed, 1);

	other = json_object_get(j, "otherData");
	assert_string_equal(json_string_value(json_object_get(other, "file")),
			    "t");
	assert_int_equal(json_integer_value(json_object_get(other,
							    "clock-hz")),
			 500000000);
	assert_int_equal(json_integer_value(json_object_get(other, "records")),
			 14);
	json_decref(j);
	free(o.text);
}

static void test_clock(void **state)
{
	static const char ghz[] =
		"# smmusim-trace 1\n"
		"1234 XLATE sid=0x1 latency=1\n"
		"18446744073709551615 IRQ src=EVTQ\n";
	static const char three[] =
		"# smmusim-trace 1\n# clock-hz: 3\n1 XLATE sid=0x1 latency=3\n";
	struct out o;

	(void)state;
	draw(ghz, sizeof(ghz) - 1, &o);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.text, "\"ts\":1.234,\"dur\":0.001,"));
	assert_non_null(strstr(o.text, "\"ts\":18446744073709551.615,"));
	assert_non_null(strstr(o.text, "\"clock-hz\":1000000000,"));
	json_decref(parse(&o));
	free(o.text);

	/* exact to the picosecond, truncated */
	draw(three, sizeof(three) - 1, &o);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.text,
			       "\"ts\":333333.333333,\"dur\":1000000,"));
	json_decref(parse(&o));
	free(o.text);
}

static void test_errors(void **state)
{
	static const char bad_clock[] =
		"# smmusim-trace 1\n# source: x\n# clock-hz: fast\n";
	static const char zero_clock[] = "# smmusim-trace 1\n# clock-hz: 0\n";
	static const char bad_line[] =
		"# smmusim-trace 1\n1 SEV\n2 SEV x\n";
	struct out o;

	(void)state;
	draw(bad_clock, sizeof(bad_clock) - 1, &o);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "t:3:1: clock-hz: 'fast' is not a whole "
				   "number of Hz from 1 to 10000000000000");
	free(o.text);
	draw(zero_clock, sizeof(zero_clock) - 1, &o);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "t:2:1: clock-hz: '0' is not a whole "
				   "number of Hz from 1 to 10000000000000");
	free(o.text);
	draw(bad_line, sizeof(bad_line) - 1, &o);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "t:3:7: 'x' is not a field NAME=VALUE");
	assert_int_equal(o.st.records, 1);
	free(o.text);
}

/* A CMD_SYNC whose SYNC never comes is drawn with no length. */
static void test_unfinished_sync(void **state)
{
	static const char t[] =
		"# smmusim-trace 1\n"
		"10 CMD idx=4 op=CMD_SYNC\n"
		"20 CMD idx=5 op=CMD_SYNC\n"
		"30 SYNC idx=5 cs=NONE\n"
		"40 SYNC idx=9 cs=NONE\n";
	struct out o;
	json_t *j, *ev;

	(void)state;
	draw(t, sizeof(t) - 1, &o);
	assert_int_equal(o.rc, 0);
	j = parse(&o);
	ev = event(j, "X", "CMD_SYNC", 0);
	assert_string_equal(arg(ev, "idx"), "5");
	assert_true(num(ev, "ts") == 0.02);
	assert_true(num(ev, "dur") == 0.01);
	assert_int_equal(num(ev, "tid"), 2);
	/* a SYNC without its command: an instant */
	ev = event(j, "i", "SYNC NONE", 0);
	assert_true(num(ev, "ts") == 0.04);
	ev = event(j, "X", "CMD_SYNC", 1);
	assert_string_equal(arg(ev, "idx"), "4");
	assert_true(num(ev, "ts") == 0.01);
	assert_true(num(ev, "dur") == 0);
	/* it overlapped the other one: another lane */
	assert_int_equal(num(ev, "tid"), 100);
	assert_string_equal(thread_name(j, 100), "command queue (2)");
	json_decref(j);
	free(o.text);
}

/* STALL and ATC_INV are instants on their StreamID's track. */
static void test_sid_instants(void **state)
{
	static const char t[] =
		"# smmusim-trace 1\n"
		"5 STALL sid=0x7 iova=0x1000 stag=0x3\n"
		"6 ATC_INV sid=0x8 ssid=- addr=0x0 range=64\n"
		"7 MEM_MAP op=add kind=ram addr=0x0 size=0x1000\n";
	struct out o;
	json_t *j, *ev;

	(void)state;
	draw(t, sizeof(t) - 1, &o);
	assert_int_equal(o.rc, 0);
	j = parse(&o);
	ev = event(j, "i", "STALL", 0);
	assert_true(num(ev, "ts") == 0.005);
	assert_int_equal(num(ev, "tid"), 100);
	assert_string_equal(arg(ev, "stag"), "0x3");
	assert_string_equal(thread_name(j, 100), "SID 0x7");
	ev = event(j, "i", "ATC_INV", 0);
	assert_int_equal(num(ev, "tid"), 101);
	assert_string_equal(thread_name(j, 101), "SID 0x8");
	assert_int_equal(count(j, "i"), 2);
	assert_int_equal(o.st.records, 3);
	json_decref(j);
	free(o.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_trace),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unfinished_sync),
		cmocka_unit_test(test_sid_instants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
