/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the scenario parser and sweep expansion. Any input
 * must give either statements or one "file:line:col: message" error,
 * never a crash, hang or leak; every location must lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_locations(const struct scn *s, unsigned lines)
{
	for (unsigned i = 0; i < s->nstmts; i++) {
		const struct scn_stmt *st = &s->stmts[i];

		if (!st->verb || st->loc.line == 0 || st->loc.line > lines)
			abort();
		for (unsigned k = 0; k < st->nargs; k++)
			if (!st->args[k].value || st->args[k].loc.line == 0 ||
			    st->args[k].loc.line > lines)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scn_expansion e;
	char err[512];
	unsigned lines = 1;
	char *text;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';

	if (scn_expand_max("fuzz.scn", text, 16, &e, err, sizeof(err)) == 0) {
		for (unsigned i = 0; i < e.n; i++) {
			struct scn *s = scn_parse_text("fuzz.scn", e.texts[i],
						       err, sizeof(err));

			if (s) {
				check_locations(s, lines);
				scn_free(s);
			} else if (strncmp(err, "fuzz.scn:", 9) != 0) {
				abort();
			}
		}
		scn_expansion_free(&e);
	} else if (strncmp(err, "fuzz.scn:", 9) != 0) {
		abort();
	}
	free(text);
	return 0;
}
