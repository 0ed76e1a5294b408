/* SPDX-License-Identifier: MIT */
/*
 * The scenario runner (scenarios/run.c, faults.c, expect.c): scenarios
 * given as text, run on the machine built through the kernel-patch shim,
 * with exact outcomes (events and their fields, PASIDs, counters, cycles)
 * and exact "file:line:col: message" errors.
 */
#define _GNU_SOURCE

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

struct run {
	struct scn *s;
	struct scn_result r;
	bool pass;
};

/* Parse (must succeed) and run; the result is freed by run_free. */
static void run_text(struct run *x, const char *text, FILE *trace)
{
	char err[256];
	struct scn_run_opts o = { .trace = trace };

	x->s = scn_parse_text("t.scn", text, err, sizeof(err));
	if (!x->s)
		fail_msg("parse error: %s", err);
	x->pass = scn_run(x->s, &o, &x->r);
}

static void run_free(struct run *x)
{
	scn_result_free(&x->r);
	scn_free(x->s);
}

static void expect_pass(const char *text)
{
	struct run x;

	run_text(&x, text, NULL);
	if (!x.pass)
		fail_msg("scenario failed: %s", x.r.message);
	assert_false(x.r.error);
	assert_int_equal(x.r.expectations, x.r.expectations_passed);
	run_free(&x);
}

/* The scenario stops with message `want` (an error or a failure). */
static void expect_msg(const char *text, bool error, const char *want)
{
	struct run x;

	run_text(&x, text, NULL);
	assert_false(x.pass);
	assert_int_equal(x.r.error, error);
	assert_string_equal(x.r.message, want);
	run_free(&x);
}

#define SVA_SETUP                                 \
	"device nic sid=0x10 pri\n"               \
	"process app\n"                           \
	"map app buf size=16K fill=0x00\n"        \
	"container c devices=nic\n"               \
	"bind c app\n"

/* --- the documented example, exact and deterministic --- */

static const char doc_example[] =
	"scenario \"sva: bind, DMA, unbind\"\n"
	"seed 7\n"
	"smmu preset=full\n"
	"device nic sid=0x10 pri ats\n"
	"process app uid=1000\n"
	"map app buf size=16K prot=rw fill=0x00\n"
	"container c devices=nic\n"
	"bind c app\n"
	"expect pasid app == 1\n"
	"dma w nic app write buf size=64 count=4 stride=4K pattern=0x5a\n"
	"expect dma w all-ok\n"
	"expect mem app buf+0x3000 size=64 == 0x5a\n"
	"expect no-event\n"
	"unbind c app\n"
	"dma late nic app write buf size=8\n"
	"expect dma late abort\n"
	"expect event C_BAD_CD sid=0x10 ssid=app.pasid\n";

static char *run_with_trace(struct run *x, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	run_text(x, text, f);
	fclose(f);
	return buf;
}

static void test_doc_example(void **state)
{
	struct run a, b;
	char *ta, *tb;

	(void)state;
	ta = run_with_trace(&a, doc_example);
	if (!a.pass)
		fail_msg("%s", a.r.message);
	assert_int_equal(a.r.expectations, 6);
	assert_int_equal(a.r.expectations_passed, 6);
	assert_int_equal(a.r.seed, 7);
	assert_int_equal(a.r.cycles, 4840);
	/* four writes and the late one, in completion order */
	assert_int_equal(a.r.nspans, 5);
	assert_int_equal(a.r.spans[0].kind, SCN_KIND_DMA_WRITE);
	assert_int_equal(a.r.spans[0].sid, 0x10);
	assert_int_equal(a.r.spans[0].ssid, 1);
	assert_true(a.r.spans[0].ssv);
	assert_int_equal(a.r.spans[0].resp, 0);
	assert_string_equal(a.r.spans[0].track, "nic");
	assert_int_equal(a.r.spans[3].addr - a.r.spans[0].addr, 0x3000);
	assert_int_equal(a.r.spans[4].resp, 1); /* abort */
	assert_int_equal(a.r.spans[4].event_id, 0x0A);
	assert_non_null(strstr(ta, "# smmusim-trace 1\n"));
	assert_non_null(strstr(ta, "# @1848 bind c app pasid=1\n"));
	assert_non_null(strstr(ta, "# @4520 event C_BAD_CD sid=0x10 ssid=1"));
	assert_non_null(strstr(ta, " txn dev=nic sid=0x10 ssid=1 addr="));
	/* the model's own records (docs/trace-format.md) */
	assert_non_null(strstr(ta, "\n1848 XLATE sid=0x10 ssid=0x1 "
			       "iova=0x7fffffffc000 access=w priv=0 size=64 "
			       "result=OK oa=0x8000c000 perm=rw- event=- "
			       "stalled=0 latency=890\n"));
	assert_non_null(strstr(ta, "\n4504 EVT type=C_BAD_CD sid=0x10 "
			       "ssid=0x1 idx=0 rec=0x100000180a:0x0:0x0:0x0\n"
			       "4504 XLATE sid=0x10 ssid=0x1 "
			       "iova=0x7fffffffc000 access=w priv=0 size=8 "
			       "result=ABORT oa=- perm=--- event=C_BAD_CD "
			       "stalled=0 latency=336\n"));
	/* same text, same seed: the same result and trace */
	tb = run_with_trace(&b, doc_example);
	assert_string_equal(ta, tb);
	assert_int_equal(a.r.nspans, b.r.nspans);
	assert_memory_equal(a.r.spans, b.r.spans,
			    a.r.nspans * sizeof(a.r.spans[0]));
	assert_int_equal(a.r.nmarks, b.r.nmarks);
	free(ta);
	free(tb);
	run_free(&a);
	run_free(&b);
}

/* --- input errors: located at the statement or the argument --- */

static void test_errors(void **state)
{
	(void)state;
	expect_msg("frob x\n", true, "t.scn:1:1: unknown statement 'frob'");
	/* found before anything runs: no cycle has passed */
	{
		struct run x;

		run_text(&x, "device d sid=1 mode=bypass\nrun for=100\n"
			     "dma x d - read 0x1000 sise=8\n", NULL);
		assert_true(x.r.error);
		assert_string_equal(x.r.message,
				    "t.scn:3:23: dma: unknown argument 'sise'");
		assert_int_equal(x.r.cycles, 0);
		run_free(&x);
	}
	expect_msg("device d sid=0x10 bogus=1\n", true,
		   "t.scn:1:19: device: unknown argument 'bogus'");
	expect_msg("device d pri\n", true, "t.scn:1:1: device: missing sid=");
	expect_msg("device d sid=zz\n", true, "t.scn:1:14: bad number 'zz'");
	expect_msg("device d sid=1 mode=odd\n", true,
		   "t.scn:1:21: bad mode 'odd' (sva, bypass, abort, invalid)");
	expect_msg("process p\nmap q buf size=4K\n", true,
		   "t.scn:2:5: unknown process 'q'");
	expect_msg("process p\nmap p buf size=4K prot=wx\n", true,
		   "t.scn:2:24: bad protection 'wx' (none, r, rw, rx, rwx)");
	expect_msg("device d sid=1\nprocess p\nmap p buf size=4K\n"
		   "dma x e p read buf\n", true,
		   "t.scn:4:7: unknown device 'e'");
	expect_msg(SVA_SETUP "dma x nic app read nobuf+4\n", true,
		   "t.scn:6:20: unknown region 'nobuf' of process app");
	expect_msg(SVA_SETUP "dma x nic app sideways buf\n", true,
		   "t.scn:6:15: dma: expected read or write, not 'sideways'");
	expect_msg("device d sid=1\nprocess p\nmap p buf size=4K\n"
		   "dma x d p read buf\n", true,
		   "t.scn:4:9: p has no PASID: bind it first, or give pasid= or nopasid");
	expect_msg(SVA_SETUP "expect counter nope == 1\n", true,
		   "t.scn:6:16: unknown counter 'nope'");
	expect_msg(SVA_SETUP "expect counter txns ~ 1\n", true,
		   "t.scn:6:21: bad comparison '~' (==, !=, <, <=, >, >=)");
	expect_msg(SVA_SETUP "expect event F_NOPE\n", true,
		   "t.scn:6:14: unknown event 'F_NOPE'");
	expect_msg(SVA_SETUP "expect sky blue\n", true,
		   "t.scn:6:8: expect: unknown expectation 'sky' (event, no-event, pasid, mem, dma, counter, latency, cmd-error, gerror, bonds)");
	expect_msg(SVA_SETUP "fault ste nic Colour=1\n", true,
		   "t.scn:6:15: fault ste: unknown field 'Colour' (V, Config, S1Fmt, S1ContextPtr, S1CDMax, S1DSS, EATS, STRW, S2VMID, S2T0SZ, S2SL0, S2TG, S2PS, S2AA64, S2TTB, S1STALLD, MEV)");
	expect_msg(SVA_SETUP "fault cd nic 1 ASID=0x10000\n", true,
		   "t.scn:6:21: fault cd: ASID=0x10000 is wider than 16 bits");
	expect_msg(SVA_SETUP "fault sneeze\n", true,
		   "t.scn:6:7: fault: unknown kind 'sneeze' (ste, cd, pte, cr0, unmap, mprotect, reclaim, kill, evtq, priq, iopf, atc-inv, mem-abort, command)");
	expect_msg(SVA_SETUP "bind c app expect=EWHAT\n", true,
		   "t.scn:6:19: unknown errno name 'EWHAT'");
	expect_msg("device d sid=1\nsmmu preset=full\n", true,
		   "t.scn:2:1: smmu must come before device, process and container");
	expect_msg("smmu preset=nosuch\n", true,
		   "t.scn:1:13: smmu: unknown preset 'nosuch'");
	expect_msg("smmu tlb.frobs=3\n", true,
		   "t.scn:1:6: smmu: unknown setting 'tlb.frobs'");
	/* located at the statement the prefix schedules */
	expect_msg("on event F_NOPE fault evtq stop\n", true,
		   "t.scn:1:17: on event: unknown event 'F_NOPE'");
	expect_msg("process p\nexpect mem p 0x1000 size=4 == random\n", true,
		   "t.scn:2:31: expect mem: a random pattern cannot be checked");
}

/* --- expectations that fail say what they saw --- */

static void test_failures(void **state)
{
	(void)state;
	expect_msg(SVA_SETUP
		   "dma w nic app write buf count=3 stride=4K\n"
		   "expect counter txn_ok == 4\n",
		   false, "t.scn:7:1: expect counter txn_ok == 4: actual 3");
	expect_msg(SVA_SETUP "expect pasid app == 2\n", false,
		   "t.scn:6:1: expect pasid app == 2: actual 1");
	expect_msg(SVA_SETUP
		   "dma w nic app write buf+0x10 size=4 pattern=0x5a\n"
		   "expect mem app buf size=32 == 0x00\n",
		   false,
		   "t.scn:7:1: expect mem app buf size=32 == 0x00: byte 16 is 0x5a");
	expect_msg(SVA_SETUP "dma r nic app read 0x1000\n"
		   "expect dma r all-ok\n",
		   false,
		   "t.scn:7:1: expect dma r all-ok: 1 of 1 completed: 0 ok, 1 aborted, 0 razwi");
	expect_msg(SVA_SETUP "dma r nic app read 0x1000\n"
		   "expect no-event\n",
		   false,
		   "t.scn:7:1: expect no-event: got F_TRANSLATION sid=0x10 ssid=1 addr=0x1000 at cycle 1864");
	expect_msg(SVA_SETUP "dma r nic app read 0x1000\n"
		   "expect event F_TRANSLATION sid=0x10 rnw=0\n",
		   false,
		   "t.scn:7:1: expect event F_TRANSLATION sid=0x10 rnw=0: no match; first unmatched record: F_TRANSLATION sid=0x10 ssid=1 addr=0x1000 rnw=1 stall=0");
	expect_msg(SVA_SETUP "bind c app by=app expect=EPERM\n", false,
		   "t.scn:6:1: bind c app by=app expect=EPERM: expected EPERM, got success (PASID 1)");
	expect_msg(SVA_SETUP "expect cmd-error CERROR_ILL\n", false,
		   "t.scn:6:1: expect cmd-error CERROR_ILL: actual none");
	expect_msg(SVA_SETUP "expect bonds nic == 0\n", false,
		   "t.scn:6:1: expect bonds nic == 0: actual 1");
	expect_msg(SVA_SETUP "expect latency read max < 5\n", false,
		   "t.scn:6:1: expect latency read max < 5: no read transactions");
}

/* --- events: exact records --- */

static void test_events(void **state)
{
	(void)state;
	/* an STE left invalid */
	expect_pass("device d sid=0x31 mode=invalid\n"
		    "dma t d - write 0x170000000\n"
		    "expect dma t abort\n"
		    "expect event C_BAD_STE sid=0x31 rnw=0 count=1\n"
		    "expect no-event\n");
	/* a translation fault names the input address; the match is used
	 * up, so a second expectation of it fails */
	expect_msg(SVA_SETUP
		   "dma r nic app read 0x1000 size=4\n"
		   "expect event 0x10 sid=0x10 ssid=app.pasid addr=0x1000 rnw=1 stall=0 count=1\n"
		   "expect event F_TRANSLATION\n",
		   false,
		   "t.scn:8:1: expect event F_TRANSLATION: no event record left to match");
	/* bypass and abort STEs written by the driver */
	expect_pass("device b sid=0x20 mode=bypass\n"
		    "device a sid=0x21 mode=abort\n"
		    "dma ok b - write 0x170000000 pattern=inc size=16\n"
		    "dma no a - write 0x170000000\n"
		    "expect dma ok all-ok\n"
		    "expect dma no abort\n"
		    "expect counter txn_ok == 1\n"
		    "expect counter txn_abort == 1\n"
		    "expect no-event\n");
	/* a PASID the device was not given */
	expect_pass(SVA_SETUP
		    "dma rogue nic - read 0x1000 pasid=9\n"
		    "expect dma rogue abort\n"
		    "expect event C_BAD_CD sid=0x10 ssid=9 count=1\n");
}

/* --- VFIO: binds through the patch's ioctls --- */

static void test_vfio(void **state)
{
	(void)state;
	expect_pass("device nic sid=0x10 pri\n"
		    "process app uid=1000\n"
		    "process other uid=1001\n"
		    "process root uid=0\n"
		    "container c devices=nic\n"
		    "bind c app by=other expect=EPERM\n"
		    "bind c app by=root\n"
		    "expect pasid app == 1\n"
		    "bind c other\n"
		    "expect pasid other == 2\n"
		    "expect bonds nic == 2\n"
		    "ioctl c bind argsz=8 flags=0 expect=EINVAL\n"
		    "ioctl c bind argsz=16 flags=2 pid=0 by=app expect=EINVAL\n"
		    "ioctl c unbind argsz=16 flags=1 pid=-3 by=app expect=EINVAL\n"
		    "unbind c other\n"
		    "expect bonds nic == 1\n"
		    "detach c nic\n"
		    "expect bonds nic == 0\n"
		    /* the last group's removal released the container's
		     * IOMMU and its bonds; attach sets it up again */
		    "attach c nic\n"
		    "expect bonds nic == 0\n"
		    "bind c app\n"
		    "expect pasid app == 1\n"
		    "expect bonds nic == 1\n"
		    "close c\n"
		    "expect bonds nic == 0\n");
	/* process lifecycle */
	expect_pass(SVA_SETUP
		    "fork app child\n"
		    "unbind c child expect=ESRCH\n"
		    "bind c child\n"
		    "expect pasid child == 2\n"
		    "exec child\n"
		    "exit app\n"
		    "expect bonds nic == 0\n");
}

/* --- time: at, on event, run --- */

static void test_time(void **state)
{
	struct run x;
	unsigned i;

	(void)state;
	/* the kill lands in the middle of the DMA: later writes abort */
	run_text(&x, SVA_SETUP
		 "at 3000 fault kill app\n"
		 "dma w nic app write buf count=8 stride=1K\n"
		 "expect dma w ok=3\n"
		 "expect bonds nic == 0\n", NULL);
	if (!x.pass)
		fail_msg("%s", x.r.message);
	for (i = 0; i < x.r.nmarks; i++)
		if (strcmp(x.r.marks[i].what, "fault kill app") == 0)
			break;
	assert_true(i < x.r.nmarks);
	assert_int_equal(x.r.marks[i].at, 3000);
	assert_string_equal(x.r.marks[0].what, "bind c app pasid=1");
	run_free(&x);
	/* on event runs once, when the host consumes the record */
	expect_pass(SVA_SETUP
		    "map app late size=4K\n"
		    "on event F_TRANSLATION fault unmap app late size=4K\n"
		    "dma r nic app read 0x1000\n"
		    "dma w nic app write late\n"
		    "expect dma w abort\n"
		    "expect event F_TRANSLATION count=2\n");
	/* run for= and until= move the clock exactly */
	run_text(&x, "device d sid=1 mode=bypass\nrun until=5000\nrun for=7\n",
		 NULL);
	assert_true(x.pass);
	assert_int_equal(x.r.cycles, 5007);
	run_free(&x);
	/* async DMA overlaps the statements after it */
	expect_pass(SVA_SETUP
		    "dma a nic app write buf count=4 stride=4K async\n"
		    "expect dma a ok=0\n"
		    "run\n"
		    "expect dma a all-ok\n");
}

/* --- injected faults --- */

static void test_faults(void **state)
{
	(void)state;
	/* event queue stopped: it fills and overflows */
	expect_pass(SVA_SETUP
		    "fault evtq stop\n"
		    "dma f nic app read 0x20000000 count=300 stride=4K\n"
		    "fault evtq resume\n"
		    "run\n"
		    "expect counter evtq_overflows == 1\n"
		    "expect counter events_dropped > 0\n"
		    "expect dma f abort\n");
	/* demand paging through PRI, a stopped and a slow handler */
	expect_pass(SVA_SETUP
		    "map app lazy size=8K lazy\n"
		    "dma p nic app write lazy size=16 count=2 stride=4K ats\n"
		    "expect dma p all-ok\n"
		    "expect counter iopf_faults == 2\n"
		    "expect counter iopf_success == 2\n"
		    "expect latency pri max > 0\n"
		    "fault iopf stop\n"
		    "map app b2 size=4K lazy\n"
		    "dma q nic app write b2 size=8 ats async\n"
		    "run for=20000\n"
		    "expect dma q ok=0\n"
		    "fault iopf resume\n"
		    "run\n"
		    "expect dma q all-ok\n"
		    "fault iopf delay=10000\n"
		    "map app b3 size=4K lazy\n"
		    "dma r nic app write b3 size=8 ats\n"
		    "expect latency pri max > 10000\n");
	/* PTE corruption without invalidation is seen only after a miss */
	expect_pass(SVA_SETUP
		    "fault pte app buf+0x1000 valid=0\n"
		    "dma r nic app read buf+0x1000\n"
		    "expect dma r abort\n"
		    "expect event F_TRANSLATION addr=buf+0x1000 count=1\n");
	/* the OS's own changes invalidate */
	expect_pass(SVA_SETUP
		    "dma a nic app write buf\n"
		    "fault mprotect app buf size=4K prot=r\n"
		    "dma b nic app write buf\n"
		    "expect dma b abort\n"
		    "expect event F_PERMISSION count=1\n"
		    "fault unmap app buf size=4K\n"
		    "dma c nic app read buf\n"
		    "expect dma c abort\n"
		    "expect event F_TRANSLATION count=1\n"
		    "fault reclaim app buf+0x2000\n"
		    "dma d nic app read buf+0x2000\n"
		    "expect dma d abort\n"
		    "expect event F_TRANSLATION addr=buf+0x2000\n");
	/* CD corruption with the driver's invalidation */
	expect_pass(SVA_SETUP
		    "fault cd nic app.pasid V=0\n"
		    "dma r nic app read buf\n"
		    "expect event C_BAD_CD ssid=1 count=1\n");
	/* an external abort on the page behind an address */
	expect_pass(SVA_SETUP
		    "fault mem-abort page=app:buf\n"
		    "dma r nic app read buf\n"
		    "expect dma r abort\n"
		    "expect counter txn_ok == 1\n"
		    "expect no-event\n");
	/* raw and illegal commands */
	expect_pass("device d sid=1 mode=bypass\n"
		    "fault command illegal\n"
		    "expect cmd-error CERROR_ILL\n"
		    "expect gerror CMDQ_ERR\n"
		    "expect gerror none\n"
		    "fault command 0x46 0\n"
		    "expect counter cmd_errors == 1\n");
	/* a stall retried into the same fault forever: the DMA gives up
	 * after the wait limit, and the teardown with a transaction still
	 * stalled is clean */
	expect_msg("smmu preset=full httu=0\n"
		   "device dsp sid=0x11 stall\n"
		   "process app\n"
		   "map app buf size=4K\n"
		   "container c devices=dsp\n"
		   "bind c app\n"
		   "fault pte app buf AF=0\n"
		   "dma t dsp app read buf\n"
		   "expect dma t abort\n",
		   false,
		   "t.scn:9:1: expect dma t abort: 0 of 1 completed: 0 ok, 0 aborted, 0 razwi");
	expect_pass("device dsp sid=0x11 stall\n"
		    "process app\n"
		    "map app buf size=4K lazy\n"
		    "container c devices=dsp\n"
		    "bind c app\n"
		    "fault iopf stop\n"
		    "dma t dsp app write buf async\n"
		    "run for=5000\n"
		    "expect event F_TRANSLATION stall=1 rnw=0 count=1\n"
		    "expect counter stalls == 1\n"
		    "expect dma t ok=0\n");
	/* ATS invalidation completions delayed */
	expect_pass(SVA_SETUP
		    "fault atc-inv nic delay=3000\n"
		    "dma a nic app read buf ats\n"
		    "unbind c app\n"
		    "expect counter atc_inv_timeouts == 0\n"
		    "expect cmd-error none\n");
}

/* --- latency statistics --- */

static void test_latency(void **state)
{
	struct scn_result r = { 0 };
	struct scn_span sp[5] = { 0 };
	struct scn_lat_stats ls;
	const uint64_t lat[5] = { 50, 10, 40, 20, 30 };

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		sp[i].start = 100;
		sp[i].end = 100 + lat[i];
		sp[i].kind = i == 4 ? SCN_KIND_ATS : SCN_KIND_DMA_READ;
	}
	r.spans = sp;
	r.nspans = 5;
	scn_latency(&r, SCN_KIND_DMA_READ, &ls);
	assert_int_equal(ls.n, 4);
	assert_int_equal(ls.min, 10);
	assert_int_equal(ls.max, 50);
	assert_int_equal(ls.p50, 20);
	assert_int_equal(ls.p90, 50);
	assert_int_equal(ls.p99, 50);
	assert_true(ls.mean > 29.99 && ls.mean < 30.01);
	scn_latency(&r, SCN_KIND_PRI, &ls);
	assert_int_equal(ls.n, 0);
	assert_int_equal(ls.max, 0);
	assert_string_equal(scn_kind_name(SCN_KIND_DMA_READ), "read");
	assert_string_equal(scn_kind_name(SCN_KIND_DMA_WRITE), "write");
	assert_string_equal(scn_kind_name(SCN_KIND_ATS), "ats");
	assert_string_equal(scn_kind_name(SCN_KIND_PRI), "pri");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_vfio),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_latency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
