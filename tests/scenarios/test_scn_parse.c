/* SPDX-License-Identifier: MIT */
/* The scenario language's syntax and sweep expansion (scenarios/parse.c,
 * scenarios/expand.c): statements, arguments, locations, errors. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static struct scn *parse_ok(const char *text)
{
	char err[256];
	struct scn *s = scn_parse_text("t.scn", text, err, sizeof(err));

	if (!s)
		fail_msg("unexpected parse error: %s", err);
	return s;
}

static void parse_err(const char *text, const char *want)
{
	char err[256];
	struct scn *s = scn_parse_text("t.scn", text, err, sizeof(err));

	assert_null(s);
	assert_string_equal(err, want);
}

static void test_statements(void **state)
{
	struct scn *s;
	const struct scn_stmt *st;

	(void)state;
	s = parse_ok("# header\n"
		     "scenario \"two words\"\n"
		     "\n"
		     "device nic sid=0x10 pri ats  # trailing comment\n"
		     "  dma w nic app write buf+0x40 size=4K \\\n"
		     "      pattern=inc\n"
		     "at 1500 fault kill app\n"
		     "on event F_TRANSLATION fault iopf stop\n"
		     "expect mem app buf size=8 == 0x5a\n"
		     "map app x fill=\"a \\\"q\\\" \\\\ b\"\n");
	assert_string_equal(s->name, "two words");
	assert_int_equal(s->nstmts, 6);

	st = &s->stmts[0];
	assert_string_equal(st->verb, "device");
	assert_int_equal(st->loc.line, 4);
	assert_int_equal(st->loc.col, 1);
	assert_int_equal(st->nargs, 4);
	assert_null(st->args[0].key);
	assert_string_equal(st->args[0].value, "nic");
	assert_string_equal(st->args[1].key, "sid");
	assert_string_equal(st->args[1].value, "0x10");
	assert_int_equal(st->args[1].loc.col, 12);
	assert_int_equal(st->args[1].vloc.col, 16);
	assert_string_equal(st->args[3].value, "ats");

	st = &s->stmts[1];
	assert_string_equal(st->verb, "dma");
	assert_int_equal(st->loc.line, 5);
	assert_int_equal(st->loc.col, 3);
	assert_int_equal(st->nargs, 7);
	assert_string_equal(st->args[6].key, "pattern");
	assert_string_equal(st->args[6].value, "inc");
	assert_int_equal(st->args[6].loc.line, 6); /* after the '\' */
	assert_int_equal(st->args[6].loc.col, 7);

	st = &s->stmts[2];
	assert_true(st->has_at);
	assert_int_equal(st->at, 1500);
	assert_string_equal(st->verb, "fault");
	assert_int_equal(st->loc.col, 9);
	assert_null(st->on_event);

	st = &s->stmts[3];
	assert_false(st->has_at);
	assert_string_equal(st->on_event, "F_TRANSLATION");
	assert_string_equal(st->verb, "fault");

	st = &s->stmts[4];
	assert_int_equal(st->nargs, 6);
	assert_string_equal(st->args[4].value, "==");
	assert_null(st->args[4].key);

	st = &s->stmts[5];
	assert_string_equal(st->args[2].key, "fill");
	assert_string_equal(st->args[2].value, "a \"q\" \\ b");
	scn_free(s);

	/* a backslash before a lone CR is part of a word (found by
	 * fuzz_scenario_parse: it used to loop for ever) */
	s = parse_ok("map a\\\rb c\n");
	assert_int_equal(s->nstmts, 1);
	assert_int_equal(s->stmts[0].nargs, 3); /* a\\, b, c: CR is a blank */
	assert_string_equal(s->stmts[0].args[0].value, "a\\");
	assert_string_equal(s->stmts[0].args[1].value, "b");
	scn_free(s);

	s = parse_ok("seed 3\n");
	assert_string_equal(s->name, "t"); /* the file's base name */
	scn_free(s);
}

static void test_errors(void **state)
{
	(void)state;
	parse_err("device nic\nmap app \"buf size=4\n",
		  "t.scn:2:9: unterminated string");
	parse_err("sid=1 device\n", "t.scn:1:1: expected a statement, found "
				    "'sid=1'");
	parse_err("at soon fault kill app\n",
		  "t.scn:1:4: 'at' needs a time in cycles");
	parse_err("on F_TRANSLATION fault kill\n",
		  "t.scn:1:1: expected 'on event TYPE STATEMENT'");
	parse_err("  at 10\n", "t.scn:1:6: a statement must follow 'at CYCLES'");
	parse_err("map a b fill=\"x\\n\"\n",
		  "t.scn:1:16: unknown escape '\\n' (only \\\" and \\\\)");
	parse_err("map a b fill=\n", "t.scn:1:9: 'fill=' has no value");
	parse_err("map a\"b\n",
		  "t.scn:1:6: a quote inside a word (put blanks around "
		  "strings)");
	parse_err("param X = 1\n",
		  "t.scn:1:1: 'param' makes this file a sweep template: expand "
		  "it first (smmusim run and campaign do)");
	parse_err("scenario a b\n", "t.scn:1:1: expected scenario \"NAME\"");
}

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "0", true, 0 },          { "42", true, 42 },
		{ "0x1F", true, 31 },      { "0b101", true, 5 },
		{ "4K", true, 4096 },      { "2M", true, 2u << 20 },
		{ "1G", true, 1u << 30 },  { "0x10K", true, 16384 },
		{ "", false, 0 },          { "0x", false, 0 },
		{ "12x", false, 0 },       { "0b102", false, 0 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "17179869184G", false, 0 }, { "K", false, 0 },
		{ "16777216G", true, UINT64_C(1) << 54 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		assert_int_equal(scn_parse_u64(cases[i].text, &v), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_expand(void **state)
{
	struct scn_expansion e;
	char err[256];

	(void)state;
	assert_int_equal(scn_expand("t.scn",
				    "param A = 1, 2\n"
				    "param T = 100..300 step 100  # times\n"
				    "smmu tlb.sets=${A}\n"
				    "at ${T} fault kill app\n",
				    &e, err, sizeof(err)), 0);
	assert_int_equal(e.n, 6);
	assert_string_equal(e.labels[0], "A=1,T=100");
	assert_string_equal(e.labels[1], "A=1,T=200");
	assert_string_equal(e.labels[5], "A=2,T=300");
	assert_string_equal(e.texts[4], "# param\n# param\n"
					"smmu tlb.sets=2\nat 200 fault kill app\n");
	scn_expansion_free(&e);

	assert_int_equal(scn_expand("t.scn", "seed 1\n", &e, err, sizeof(err)),
			 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.labels[0], "");
	assert_string_equal(e.texts[0], "seed 1\n");
	scn_expansion_free(&e);

	assert_int_equal(scn_expand("t.scn", "dma ${X}\nparam X = 1\n", &e, err,
				    sizeof(err)), -1);
	assert_string_equal(err, "t.scn:1:5: unknown parameter 'X' (declare it "
				 "with 'param' on an earlier line)");
	assert_int_equal(scn_expand("t.scn", "param X = 5..1\n", &e, err,
				    sizeof(err)), -1);
	assert_string_equal(err, "t.scn:1:11: expected 'A..B step S' with A "
				 "<= B, S > 0");
	assert_int_equal(scn_expand("t.scn", "param X = 1,,2\n", &e, err,
				    sizeof(err)), -1);
	assert_string_equal(err, "t.scn:1:11: empty value in the list");
	assert_int_equal(scn_expand("t.scn", "param X = 1\nparam X = 2\n", &e,
				    err, sizeof(err)), -1);
	assert_string_equal(err, "t.scn:2:7: parameter 'X' declared twice");
	assert_int_equal(scn_expand("t.scn", "param = 1\n", &e, err,
				    sizeof(err)), -1);
	assert_string_equal(err, "t.scn:1:7: expected 'param NAME = values'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
