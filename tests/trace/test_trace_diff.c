/* SPDX-License-Identifier: MIT */
/* trace diff: pairing, every option, the report's exact text. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xcheck/trace.h"

#define H "# smmusim-trace 1\n"

struct res {
	int rc;
	char *out;
	struct trace_diff_summary sum;
	char err[512];
};

static void run(const char *a, size_t alen, const char *b, size_t blen,
		const struct trace_diff_opts *o, struct res *res)
{
	struct trace_diff_opts def = { .max = 1 };
	struct trace_reader *ra, *rb;
	size_t len;
	FILE *f;

	memset(res, 0, sizeof(*res));
	ra = trace_reader_open_mem(a, alen, "a", res->err, sizeof(res->err));
	assert_non_null(ra);
	rb = trace_reader_open_mem(b, blen, "b", res->err, sizeof(res->err));
	assert_non_null(rb);
	f = open_memstream(&res->out, &len);
	assert_non_null(f);
	res->rc = trace_diff(ra, rb, o ? o : &def, f, &res->sum, res->err,
			     sizeof(res->err));
	fclose(f);
	trace_reader_close(ra);
	trace_reader_close(rb);
}

static int diff(const char *a, const char *b,
		const struct trace_diff_opts *o, struct res *res)
{
	run(a, strlen(a), b, strlen(b), o, res);
	return res->rc;
}

static void done(struct res *res)
{
	free(res->out);
	trace_diff_summary_free(&res->sum);
}

/* Counts of one kind: a b matched differing only_a only_b. */
static void expect_kind(const struct res *res, const char *kind, uint64_t a,
			uint64_t b, uint64_t matched, uint64_t differing,
			uint64_t only_a, uint64_t only_b)
{
	const struct trace_diff_count *c = NULL;

	for (unsigned i = 0; i < res->sum.nkinds; i++)
		if (!strcmp(res->sum.kinds[i].kind, kind))
			c = &res->sum.kinds[i];
	if (!c)
		fail_msg("no kind %s in the summary", kind);
	assert_int_equal(c->a, a);
	assert_int_equal(c->b, b);
	assert_int_equal(c->matched, matched);
	assert_int_equal(c->differing, differing);
	assert_int_equal(c->only_a, only_a);
	assert_int_equal(c->only_b, only_b);
}

/* The line of out that starts with prefix, or NULL. */
static const char *line_starting(const char *out, const char *prefix)
{
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p,
		     '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
	return NULL;
}

static const char base[] =
	H "# source: smmusim 0.1\n"
	"100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1\n"
	"150 CMD idx=0 op=CMD_CFGI_STE w0=0x1000000003 w1=0x1 sid=0x10\n"
	"1000 XLATE sid=0x10 ssid=- iova=0x1000 access=r result=OK "
	"oa=0x80004010 latency=200\n"
	"1200 EVT type=F_TRANSLATION sid=0x10 ssid=- idx=0 "
	"rec=0x10:0x10:0x7f00:0x0\n"
	"1200 XLATE sid=0x10 ssid=- iova=0x2000 access=w result=ABORT oa=- "
	"event=F_TRANSLATION latency=310\n";

static void test_identical(void **state)
{
	struct res r;

	(void)state;
	assert_int_equal(diff(base, base, NULL, &r), 0);
	assert_string_equal(r.out,
		"A: a\n"
		"B: b\n"
		"kind                 A          B    matched"
		"  differing     only A"
		"     only B\n"
		"CMD                  1          1          1"
		"          0          0"
		"          0\n"
		"EVT                  1          1          1"
		"          0          0"
		"          0\n"
		"MMIO_W               1          1          1"
		"          0          0"
		"          0\n"
		"XLATE                2          2          2"
		"          0          0"
		"          0\n"
		"total                5          5          5"
		"          0          0"
		"          0\n"
		"traces agree\n");
	assert_int_equal(r.sum.nkinds, 4);
	assert_int_equal(r.sum.divergences, 0);
	assert_int_equal(r.sum.total.matched, 5);
	done(&r);
}

/* Numbers by value, any field order, header and comments do not count. */
static void test_numbers_by_value(void **state)
{
	static const char b[] =
		H "# source: qemu\n\n"
		"100 MMIO_W reg=CMDQ_PROD off=152 size=0x4 val=1\n"
		"# comment\n"
		"150 CMD idx=0 op=CMD_CFGI_STE w0=0x001000000003 w1=1 sid=16\n"
		"1000 XLATE sid=0x10 ssid=- iova=0X1000 access=r result=OK "
		"oa=0x80004010 latency=200\n"
		"1200 EVT type=F_TRANSLATION sid=0x10 ssid=- idx=0 "
		"rec=16:0x10:0x7F00:0\n"
		"0x4b0 XLATE sid=0x10 ssid=- iova=0x2000 access=w "
		"result=ABORT oa=- event=F_TRANSLATION latency=0x136\n";
	struct res r;

	(void)state;
	assert_int_equal(diff(base, b, NULL, &r), 0);
	done(&r);
}

static void test_names_case_sensitive(void **state)
{
	static const char a[] = H "1 MMIO_W reg=CR0 val=0xd\n";
	static const char b[] = H "1 MMIO_W reg=cr0 val=0xD\n";
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	assert_string_equal(strstr(r.out, "first") ? r.out : "",
		"first divergence: A:2 vs B:2: MMIO_W field reg: CR0 vs cr0\n"
		"  A:2: 1 MMIO_W reg=CR0 val=0xd\n"
		"  B:2: 1 MMIO_W reg=cr0 val=0xD\n"
		"\n"
		"A: a\n"
		"B: b\n"
		"kind                 A          B    matched"
		"  differing     only A"
		"     only B\n"
		"MMIO_W               1          1          0"
		"          1          0"
		"          0\n"
		"total                1          1          0"
		"          1          0"
		"          0\n"
		"traces differ: 1 divergence\n");
	done(&r);
}

static void test_field_divergence(void **state)
{
	static const char a[] =
		H "1200 XLATE sid=0x10 iova=0x1000 oa=0x80004010 perm=rw-\n";
	static const char b[] =
		H "1200 XLATE sid=0x10 iova=0x1000 oa=0x80005010 perm=r--\n";
	static const char c[] =
		H "1300 XLATE sid=0x10 iova=0x1000 oa=0x80004010 perm=rw-\n";
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	assert_string_equal(line_starting(r.out, "first"),
		"first divergence: A:2 vs B:2: XLATE field oa: 0x80004010 vs "
		"0x80005010; field perm: rw- vs r--\n"
		"  A:2: 1200 XLATE sid=0x10 iova=0x1000 oa=0x80004010 "
		"perm=rw-\n"
		"  B:2: 1200 XLATE sid=0x10 iova=0x1000 oa=0x80005010 "
		"perm=r--\n"
		"\n"
		"A: a\n"
		"B: b\n"
		"kind                 A          B    matched"
		"  differing     only A"
		"     only B\n"
		"XLATE                1          1          0"
		"          1          0"
		"          0\n"
		"total                1          1          0"
		"          1          0"
		"          0\n"
		"traces differ: 1 divergence\n");
	done(&r);
	assert_int_equal(diff(a, c, NULL, &r), 1);
	assert_non_null(strstr(r.out, "first divergence: A:2 vs B:2: XLATE "
				      "time: 1200 vs 1300\n"));
	done(&r);
}

static void test_ignore_time(void **state)
{
	static const char a[] =
		H "100 XLATE sid=0x10 iova=0x1000 oa=0x1000 latency=200\n"
		  "200 EVT type=F_PERMISSION sid=0x10\n";
	static const char b[] =
		H "130 XLATE sid=0x10 iova=0x1000 oa=0x1000 latency=20\n"
		  "- EVT type=F_PERMISSION sid=0x10\n";
	static const char c[] =
		H "130 XLATE sid=0x10 iova=0x1000 oa=0x2000 latency=20\n"
		  "- EVT type=F_PERMISSION sid=0x10\n";
	struct trace_diff_opts o = { .max = 1, .ignore_time = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	assert_non_null(strstr(r.out, "first divergence: A:2 vs B:2: XLATE "
				      "time: 100 vs 130; field latency: 200 "
				      "vs 20\n"));
	/* TIME "-" is not compared */
	expect_kind(&r, "EVT", 1, 1, 1, 0, 0, 0);
	done(&r);
	assert_int_equal(diff(a, b, &o, &r), 0);
	done(&r);
	/* other fields still count */
	assert_int_equal(diff(a, c, &o, &r), 1);
	assert_non_null(strstr(r.out, "XLATE field oa: 0x1000 vs 0x2000\n"));
	done(&r);
}

/* Translations of two StreamIDs in the other order, between syncs. */
static const char swap_a[] =
	H "10 MMIO_W reg=CMDQ_PROD val=0x1\n"
	"20 SYNC idx=0 cs=NONE\n"
	"100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
	"100 XLATE sid=0x11 iova=0x1000 oa=0x91000\n"
	"100 XLATE sid=0x10 iova=0x2000 oa=0x82000\n"
	"100 EVT type=F_TRANSLATION sid=0x12\n"
	"100 EVT type=F_PERMISSION sid=0x13\n"
	"200 MMIO_R reg=EVENTQ_PROD val=0x2\n";

static const char swap_b[] =
	H "10 MMIO_W reg=CMDQ_PROD val=0x1\n"
	"20 SYNC idx=0 cs=NONE\n"
	"100 XLATE sid=0x11 iova=0x1000 oa=0x91000\n"
	"100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
	"100 EVT type=F_PERMISSION sid=0x13\n"
	"100 XLATE sid=0x10 iova=0x2000 oa=0x82000\n"
	"100 EVT type=F_TRANSLATION sid=0x12\n"
	"200 MMIO_R reg=EVENTQ_PROD val=0x2\n";

static void test_reorder_sids(void **state)
{
	struct trace_diff_opts o = { .max = 1, .reorder = true };
	struct res r;

	(void)state;
	/* without: a record moved is one missing on each side */
	assert_int_equal(diff(swap_a, swap_b, NULL, &r), 1);
	assert_non_null(strstr(r.out,
		"first divergence: A:4: XLATE only in A\n"
		"  A:4: 100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"));
	expect_kind(&r, "XLATE", 3, 3, 2, 0, 1, 1);
	expect_kind(&r, "EVT", 2, 2, 1, 0, 1, 1);
	done(&r);
	assert_int_equal(diff(swap_a, swap_b, &o, &r), 0);
	expect_kind(&r, "XLATE", 3, 3, 3, 0, 0, 0);
	expect_kind(&r, "EVT", 2, 2, 2, 0, 0, 0);
	expect_kind(&r, "SYNC", 1, 1, 1, 0, 0, 0);
	done(&r);
}

/* Records of one StreamID keep their order even with --reorder. */
static void test_reorder_same_sid(void **state)
{
	static const char a[] =
		H "100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
		  "100 XLATE sid=0x10 iova=0x2000 oa=0x82000\n";
	static const char b[] =
		H "100 XLATE sid=0x10 iova=0x2000 oa=0x82000\n"
		  "100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n";
	struct trace_diff_opts o = { .max = 2, .reorder = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_non_null(strstr(r.out,
		"first divergence: A:2: XLATE only in A\n"
		"  A:2: 100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
		"divergence 2: B:3: XLATE only in B\n"));
	expect_kind(&r, "XLATE", 2, 2, 1, 0, 1, 1);
	done(&r);
}

/* ... nor across a synchronisation point. */
static void test_reorder_across_sync(void **state)
{
	static const char a[] =
		H "100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
		  "110 MMIO_R reg=CR0ACK val=0x1\n"
		  "120 XLATE sid=0x11 iova=0x1000 oa=0x91000\n";
	static const char b[] =
		H "100 XLATE sid=0x11 iova=0x1000 oa=0x91000\n"
		  "110 MMIO_R reg=CR0ACK val=0x1\n"
		  "120 XLATE sid=0x10 iova=0x1000 oa=0x81000\n";
	struct trace_diff_opts o = { .max = 4, .reorder = true,
				     .ignore_time = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, &o, &r), 1);
	expect_kind(&r, "XLATE", 2, 2, 0, 0, 2, 2);
	expect_kind(&r, "MMIO_R", 1, 1, 1, 0, 0, 0);
	assert_non_null(strstr(r.out,
		"first divergence: A:2: XLATE only in A\n"
		"  A:2: 100 XLATE sid=0x10 iova=0x1000 oa=0x81000\n"
		"divergence 2: B:2: XLATE only in B\n"
		"  B:2: 100 XLATE sid=0x11 iova=0x1000 oa=0x91000\n"
		"divergence 3: A:4: XLATE only in A\n"
		"  A:4: 120 XLATE sid=0x11 iova=0x1000 oa=0x91000\n"
		"divergence 4: B:4: XLATE only in B\n"
		"  B:4: 120 XLATE sid=0x10 iova=0x1000 oa=0x81000\n\n"));
	done(&r);
	/* without the sync point between them, the same swap is allowed */
	o.ignore = "MMIO_R";
	assert_int_equal(diff(a, b, &o, &r), 0);
	expect_kind(&r, "XLATE", 2, 2, 2, 0, 0, 0);
	done(&r);
}

static void test_only_and_ignore(void **state)
{
	static const char b[] =
		H "100 MMIO_W off=0x98 reg=CMDQ_PROD size=4 val=0x1\n"
		"150 CMD idx=0 op=CMD_CFGI_STE w0=0x1000000003 w1=0x1 "
		"sid=0x10\n"
		"1000 XLATE sid=0x10 ssid=- iova=0x1000 access=r result=OK "
		"oa=0x80004010 latency=200\n"
		"1200 EVT type=F_PERMISSION sid=0x10 ssid=- idx=0 "
		"rec=0x13:0x10:0x7f00:0x0\n"
		"1200 XLATE sid=0x10 ssid=- iova=0x2000 access=w result=ABORT "
		"oa=- event=F_TRANSLATION latency=310\n";
	struct trace_diff_opts o = { .max = 1 };
	struct res r;

	(void)state;
	assert_int_equal(diff(base, b, &o, &r), 1);
	assert_non_null(strstr(r.out, "first divergence: A:6 vs B:5: EVT "
				      "field type: F_TRANSLATION vs "
				      "F_PERMISSION; field rec: "
				      "0x10:0x10:0x7f00:0x0 vs "
				      "0x13:0x10:0x7f00:0x0\n"));
	done(&r);
	o.only = "XLATE,CMD";
	assert_int_equal(diff(base, b, &o, &r), 0);
	assert_int_equal(r.sum.nkinds, 2);
	expect_kind(&r, "XLATE", 2, 2, 2, 0, 0, 0);
	expect_kind(&r, "CMD", 1, 1, 1, 0, 0, 0);
	done(&r);
	o.only = "EVT";
	assert_int_equal(diff(base, b, &o, &r), 1);
	assert_int_equal(r.sum.nkinds, 1);
	done(&r);
	o.only = NULL;
	o.ignore = "EVT";
	assert_int_equal(diff(base, b, &o, &r), 0);
	assert_int_equal(r.sum.nkinds, 3);
	assert_null(strstr(r.out, "EVT"));
	done(&r);
	/* --only and --ignore together */
	o.only = "EVT,XLATE";
	assert_int_equal(diff(base, b, &o, &r), 0);
	assert_int_equal(r.sum.nkinds, 1);
	done(&r);
}

static void test_ignore_field(void **state)
{
	static const char a[] =
		H "1200 EVT type=F_TRANSLATION sid=0x10 idx=0 rec=0x10:0x10\n"
		  "1300 EVT type=F_TRANSLATION sid=0x10 idx=1 rec=0x10:0x10\n";
	static const char b[] =
		H "1200 EVT type=F_TRANSLATION sid=0x10 idx=4 rec=0x10:0x11\n"
		  "1300 EVT type=F_TRANSLATION sid=0x10 idx=5 rec=0x10:0x11\n";
	struct trace_diff_opts o = { .max = 1, .ignore_fields = "rec" };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	expect_kind(&r, "EVT", 2, 2, 0, 2, 0, 0);
	done(&r);
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_non_null(strstr(r.out, "first divergence: A:2 vs B:2: EVT "
				      "field idx: 0 vs 4\n"));
	done(&r);
	o.ignore_fields = "rec,idx";
	assert_int_equal(diff(a, b, &o, &r), 0);
	expect_kind(&r, "EVT", 2, 2, 2, 0, 0, 0);
	done(&r);
}

static void test_strict(void **state)
{
	static const char a[] =
		H "- XLATE sid=0x10 iova=0x1000 oa=0x81000 perm=rw-\n";
	static const char b[] =
		H "5 XLATE sid=0x10 iova=0x1000 oa=0x81000 stalled=0\n";
	struct trace_diff_opts o = { .max = 1, .strict = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 0);
	done(&r);
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_non_null(strstr(r.out, "first divergence: A:2 vs B:2: XLATE "
				      "time: - vs 5; field perm: rw- vs "
				      "absent; field stalled: absent vs 0\n"));
	done(&r);
	o.ignore_time = true;
	o.ignore_fields = "perm,stalled";
	assert_int_equal(diff(a, b, &o, &r), 0);
	done(&r);
}

/* Kinds this version does not know are compared as text. */
static void test_unknown_kind(void **state)
{
	static const char a[] = H "1 FUTURE_THING x=0x10 y=1\n";
	static const char b[] = H "1 FUTURE_THING x=16 y=1\n";
	static const char c[] = H "1 FUTURE_THING x=0x10\n";
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	assert_non_null(strstr(r.out, "FUTURE_THING field x: 0x10 vs 16\n"));
	done(&r);
	assert_int_equal(diff(a, c, NULL, &r), 1);
	assert_non_null(strstr(r.out, "FUTURE_THING field y: 1 vs absent\n"));
	done(&r);
	assert_int_equal(diff(a, a, NULL, &r), 0);
	done(&r);
}

/* Kinds added to the format since: numbers by value, STALL reorders. */
static void test_newer_kinds(void **state)
{
	static const char a[] =
		H "1 MEM_MAP op=add kind=ram addr=0x1000 size=0x1000\n"
		  "2 STALL sid=0x1 iova=0x1000 stag=0x0\n"
		  "2 STALL sid=0x2 iova=0x1000 stag=0x1\n";
	static const char b[] =
		H "1 MEM_MAP op=add kind=ram addr=4096 size=4096\n"
		  "2 STALL sid=0x2 iova=0x1000 stag=0x1\n"
		  "2 STALL sid=0x1 iova=0x1000 stag=0x0\n";
	struct trace_diff_opts o = { .max = 1, .reorder = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	expect_kind(&r, "MEM_MAP", 1, 1, 1, 0, 0, 0);
	expect_kind(&r, "STALL", 2, 2, 1, 0, 1, 1);
	done(&r);
	assert_int_equal(diff(a, b, &o, &r), 0);
	expect_kind(&r, "STALL", 2, 2, 2, 0, 0, 0);
	done(&r);
}

static void test_max(void **state)
{
	static const char a[] =
		H "1 CMD idx=0 op=CMD_SYNC\n2 CMD idx=1 op=CMD_SYNC\n"
		  "3 CMD idx=2 op=CMD_SYNC\n4 CMD idx=3 op=CMD_SYNC\n";
	static const char b[] =
		H "1 CMD idx=0 op=CMD_SYNC\n2 CMD idx=1 op=CMD_TLBI_ALL\n"
		  "3 CMD idx=2 op=CMD_TLBI_ALL\n4 CMD idx=3 op=CMD_TLBI_ALL\n";
	struct trace_diff_opts o = { .max = 2 };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, NULL, &r), 1);
	assert_non_null(strstr(r.out,
		"first divergence: A:3 vs B:3: CMD field op: CMD_SYNC vs "
		"CMD_TLBI_ALL\n"
		"  A:3: 2 CMD idx=1 op=CMD_SYNC\n"
		"  B:3: 2 CMD idx=1 op=CMD_TLBI_ALL\n"
		"(2 more divergences not shown: --max N shows more)\n\n"));
	assert_null(strstr(r.out, "divergence 2"));
	done(&r);
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_non_null(strstr(r.out,
		"  B:3: 2 CMD idx=1 op=CMD_TLBI_ALL\n"
		"divergence 2: A:4 vs B:4: CMD field op: CMD_SYNC vs "
		"CMD_TLBI_ALL\n"
		"  A:4: 3 CMD idx=2 op=CMD_SYNC\n"
		"  B:4: 3 CMD idx=2 op=CMD_TLBI_ALL\n"
		"(1 more divergence not shown: --max N shows more)\n"));
	done(&r);
	o.max = 0;
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_true(!strncmp(r.out, "(3 more divergences not shown", 29));
	assert_int_equal(r.sum.divergences, 3);
	done(&r);
	o.max = 100;
	assert_int_equal(diff(a, b, &o, &r), 1);
	assert_non_null(strstr(r.out, "divergence 3: A:5 vs B:5"));
	assert_null(strstr(r.out, "more divergence"));
	done(&r);
}

/* A record missing on one side is counted, the rest still pair up. */
static void test_missing_records(void **state)
{
	static const char a[] =
		H "100 EVT type=F_TRANSLATION sid=0x10 idx=0\n"
		  "110 EVT type=F_TRANSLATION sid=0x11 idx=1\n"
		  "120 EVT type=F_TRANSLATION sid=0x12 idx=2\n"
		  "130 EVT type=F_TRANSLATION sid=0x13 idx=3\n"
		  "140 MMIO_R reg=CMDQ_CONS val=0x0\n"
		  "150 MMIO_R reg=CMDQ_CONS val=0x1\n"
		  "160 CMD idx=0 op=CMD_SYNC\n";
	static const char b[] =
		H "100 EVT type=F_TRANSLATION sid=0x10 idx=0\n"
		  "120 EVT type=F_TRANSLATION sid=0x12 idx=1\n"
		  "130 EVT type=F_TRANSLATION sid=0x13 idx=2\n"
		  "140 MMIO_R reg=CMDQ_CONS val=0x0\n"
		  "145 MMIO_R reg=CMDQ_CONS val=0x0\n"
		  "150 MMIO_R reg=CMDQ_CONS val=0x1\n"
		  "160 CMD idx=0 op=CMD_SYNC\n"
		  "170 CMD idx=1 op=CMD_SYNC\n";
	struct trace_diff_opts o = { .max = 10, .ignore_fields = "idx" };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, &o, &r), 1);
	expect_kind(&r, "EVT", 4, 3, 3, 0, 1, 0);
	expect_kind(&r, "MMIO_R", 2, 3, 2, 0, 0, 1);
	expect_kind(&r, "CMD", 1, 2, 1, 0, 0, 1);
	assert_int_equal(r.sum.total.only_a, 1);
	assert_int_equal(r.sum.total.only_b, 2);
	assert_int_equal(r.sum.divergences, 3);
	assert_non_null(strstr(r.out,
		"first divergence: A:3: EVT only in A\n"
		"  A:3: 110 EVT type=F_TRANSLATION sid=0x11 idx=1\n"
		"divergence 2: B:6: MMIO_R only in B\n"
		"  B:6: 145 MMIO_R reg=CMDQ_CONS val=0x0\n"
		"divergence 3: B:9: CMD only in B\n"
		"  B:9: 170 CMD idx=1 op=CMD_SYNC\n"));
	assert_non_null(strstr(r.out,
		"total                7          8          6"
		"          0          1"
		"          2\ntraces differ: 3 divergences\n"));
	done(&r);
	/* a whole kind missing on one side */
	assert_int_equal(diff(a, H, &o, &r), 1);
	expect_kind(&r, "EVT", 4, 0, 0, 0, 4, 0);
	assert_int_equal(r.sum.total.only_a, 7);
	done(&r);
}

/* Register accesses are one sequence: a read for a write diverges. */
static void test_register_order(void **state)
{
	static const char a[] =
		H "1 MMIO_W reg=CR0 val=0x1\n2 MMIO_R reg=CR0ACK val=0x1\n";
	static const char b[] =
		H "1 MMIO_R reg=CR0ACK val=0x1\n2 MMIO_W reg=CR0 val=0x1\n";
	struct trace_diff_opts o = { .max = 1, .ignore_time = true };
	struct res r;

	(void)state;
	assert_int_equal(diff(a, b, &o, &r), 1);
	/* the read pairs up; the write is out of place on both sides */
	expect_kind(&r, "MMIO_W", 1, 1, 0, 0, 1, 1);
	expect_kind(&r, "MMIO_R", 1, 1, 1, 0, 0, 0);
	done(&r);
}

static void test_errors(void **state)
{
	static const char bad[] = H "1 SEV\n2 SEV\n1 SEV\n";
	struct trace_diff_opts o = { .max = 1 };
	char err[512];
	struct res r;

	(void)state;
	assert_int_equal(diff(base, bad, NULL, &r), -1);
	assert_string_equal(r.err, "b:4:1: TIME 1 is before the previous "
				   "record's 2 (line 3)");
	done(&r);
	o.only = "XLATE,xlate";
	assert_false(trace_diff_check_opts(&o, err, sizeof(err)));
	assert_string_equal(err, "--only: 'xlate' is not a record kind "
				 "([A-Z][A-Z0-9_]*)");
	assert_int_equal(diff(base, base, &o, &r), -1);
	assert_string_equal(r.err, "--only: 'xlate' is not a record kind "
				   "([A-Z][A-Z0-9_]*)");
	done(&r);
	o.only = NULL;
	o.ignore = "EVT,,CMD";
	assert_false(trace_diff_check_opts(&o, err, sizeof(err)));
	assert_string_equal(err, "--ignore: '' is not a record kind "
				 "([A-Z][A-Z0-9_]*)");
	o.ignore = NULL;
	o.ignore_fields = "rec,Idx";
	assert_false(trace_diff_check_opts(&o, err, sizeof(err)));
	assert_string_equal(err, "--ignore-field: 'Idx' is not a field name "
				 "([a-z0-9_]+)");
	o.ignore_fields = "rec,idx";
	assert_true(trace_diff_check_opts(&o, err, sizeof(err)));
}

/* Big traces: identical ones stream; a difference deep inside is found. */
static char *gen(unsigned n, unsigned bad_at, unsigned skip, size_t *len)
{
	size_t cap = (size_t)n * 80 + 64, l = 0;
	char *t = malloc(cap);

	l += (size_t)snprintf(t, cap, H);
	for (unsigned i = 0; i < n; i++) {
		if (i == skip)
			continue;
		l += (size_t)snprintf(t + l, cap - l,
				      "%u XLATE sid=0x%x iova=0x%x oa=0x%x\n",
				      i, i % 5, i * 64, i == bad_at ? 1 : i);
	}
	*len = l;
	return t;
}

static char *repeat(const char *head, const char *line1, unsigned n1,
		    const char *line2, unsigned n2, size_t *len)
{
	size_t l1 = strlen(line1), l2 = strlen(line2), hl = strlen(head);
	char *t = malloc(hl + l1 * n1 + l2 * n2 + 1), *p = t;

	memcpy(p, head, hl);
	p += hl;
	for (unsigned i = 0; i < n1; i++, p += l1)
		memcpy(p, line1, l1);
	for (unsigned i = 0; i < n2; i++, p += l2)
		memcpy(p, line2, l2);
	*p = '\0';
	*len = (size_t)(p - t);
	return t;
}

static void test_big(void **state)
{
	static const char evt[] = "1 EVT type=F_TRANSLATION sid=0x1\n";
	static const char rd[] = "1 MMIO_R reg=CR0 val=0x0\n";
	size_t la, lb;
	char *a = gen(200000, ~0u, ~0u, &la);
	char *b = gen(200000, 150000, ~0u, &lb);
	struct res r;

	(void)state;
	run(a, la, b, lb, NULL, &r);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.out, "first divergence: A:150002 vs "
				      "B:150002: XLATE field oa: 0x249f0 vs "
				      "0x1\n"));
	expect_kind(&r, "XLATE", 200000, 200000, 199999, 1, 0, 0);
	done(&r);
	free(b);
	/* one record missing early in B */
	b = gen(200000, ~0u, 100, &lb);
	run(a, la, b, lb, NULL, &r);
	assert_int_equal(r.rc, 1);
	expect_kind(&r, "XLATE", 200000, 199999, 199999, 0, 1, 0);
	assert_non_null(strstr(r.out, "first divergence: A:102: XLATE only "
				      "in A\n"));
	done(&r);
	free(a);
	free(b);
	/*
	 * B has 120000 register reads A lacks before its events: each side
	 * waits with at most 100000 records, then the oldest are decided
	 * (counted as missing), so 20000 events of each side go unpaired.
	 */
	a = repeat(H, evt, 120000, "", 0, &la);
	b = repeat(H, rd, 120000, evt, 120000, &lb);
	run(a, la, b, lb, NULL, &r);
	assert_int_equal(r.rc, 1);
	expect_kind(&r, "MMIO_R", 0, 120000, 0, 0, 0, 120000);
	expect_kind(&r, "EVT", 120000, 120000, 100000, 0, 20000, 20000);
	done(&r);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_numbers_by_value),
		cmocka_unit_test(test_names_case_sensitive),
		cmocka_unit_test(test_field_divergence),
		cmocka_unit_test(test_ignore_time),
		cmocka_unit_test(test_reorder_sids),
		cmocka_unit_test(test_reorder_same_sid),
		cmocka_unit_test(test_reorder_across_sync),
		cmocka_unit_test(test_only_and_ignore),
		cmocka_unit_test(test_ignore_field),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_newer_kinds),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_missing_records),
		cmocka_unit_test(test_register_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
