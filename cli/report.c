/* SPDX-License-Identifier: MIT */
/*
 * Files written from scenario results: Chrome trace-event timelines,
 * JUnit XML, TAP 13 and the campaign's HTML page with SVG histograms.
 * Formats: docs/scenarios.md "Campaigns".
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "smmusim/smmu.h"

/* --- latency histograms --- */

unsigned lat_bucket(uint64_t v)
{
	unsigned e;

	if (v < LAT_EXACT)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	return LAT_EXACT + (e - 4u) * LAT_SUB +
	       (unsigned)((v >> (e - 3u)) & (LAT_SUB - 1u));
}

uint64_t lat_bucket_low(unsigned i)
{
	unsigned e, sub;

	if (i < LAT_EXACT)
		return i;
	if (i >= LAT_BUCKETS)
		return UINT64_MAX; /* the end of the last bucket, 2^64 */
	e = 4u + (i - LAT_EXACT) / LAT_SUB;
	sub = (i - LAT_EXACT) % LAT_SUB;
	return (uint64_t)(LAT_SUB + sub) << (e - 3u);
}

void lat_hist_add_result(struct lat_hist hist[SCN_KIND_NR],
			 const struct scn_result *res)
{
	for (unsigned i = 0; i < res->nspans; i++) {
		const struct scn_span *sp = &res->spans[i];
		uint64_t lat = sp->end >= sp->start ? sp->end - sp->start : 0;
		uint32_t *c;

		if ((unsigned)sp->kind >= SCN_KIND_NR)
			continue;
		c = &hist[sp->kind].count[lat_bucket(lat)];
		if (*c != UINT32_MAX)
			(*c)++;
	}
}

const char *inst_status_name(enum inst_status st)
{
	switch (st) {
	case INST_PASS:
		return "PASS";
	case INST_FAIL:
		return "FAIL";
	case INST_ERROR:
		return "ERROR";
	default:
		return "PENDING";
	}
}

char *inst_display_name(const char *name, const char *label)
{
	size_t len = strlen(name) + strlen(label) + 3;
	char *s = malloc(len);

	if (!s)
		abort(); /* as the scenario library does when out of memory */
	if (*label)
		snprintf(s, len, "%s[%s]", name, label);
	else
		snprintf(s, len, "%s", name);
	return s;
}

/* --- escaping --- */

/* Length of the well-formed UTF-8 sequence at s (1..4), 0 when the bytes
 * there are not one; *cp gets the code point. Stops at a NUL. */
static unsigned utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1fu;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
		return 0;
	if (n == 4 && (c < 0x10000 || c > 0x10ffff))
		return 0;
	*cp = c;
	return n;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void json_put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', f);
	while (*s) {
		uint32_t cp;
		unsigned n = utf8_seq(s, &cp);

		if (!n) {
			fputs(REPLACEMENT, f);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp < 0x20 || cp == 0x7f)
			/* Perfetto's JSON reader takes no \\u escapes and
			 * rejects raw control characters (DEL included) */
			fputs(REPLACEMENT, f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

void xml_put_text(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		uint32_t cp;
		unsigned n = utf8_seq(s, &cp);

		if (!n) {
			fputs(REPLACEMENT, f);
			s++;
			continue;
		}
		switch (cp) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* XML 1.0 has no way to write other C0 controls,
			 * U+FFFE or U+FFFF, not even as references. */
			if ((cp < 0x20 && cp != '\t' && cp != '\n' &&
			     cp != '\r') ||
			    cp == 0xfffe || cp == 0xffff)
				fputs(REPLACEMENT, f);
			else
				fwrite(s, 1, n, f);
		}
		s += n;
	}
}

/* --- Chrome trace-event timeline --- */

static const char *resp_name(int resp)
{
	switch (resp) {
	case SMMU_RESP_OK:
		return "ok";
	case SMMU_RESP_ABORT:
		return "abort";
	case SMMU_RESP_RAZWI:
		return "razwi";
	case SMMU_RESP_UR:
		return "ur";
	case SMMU_RESP_CA:
		return "ca";
	default:
		return "unknown";
	}
}

/* Microseconds at 1 GHz: cycles / 1000, written exactly. */
static void put_us(FILE *f, uint64_t cycles)
{
	fprintf(f, "%" PRIu64 ".%03u", cycles / 1000,
		(unsigned)(cycles % 1000));
}

/* A device's spans go to lanes (tids) so that slices on one tid never
 * overlap: the JSON importers expect a thread's slices to nest. */
struct lane_track {
	char name[sizeof(((struct scn_span *)0)->track) + 1];
	unsigned nlanes;
	uint64_t *lane_end;
	unsigned *lane_tid;
};

/* Marks' tid; devices' follow. Not 0: importers take tid 0 as the idle
 * thread. */
#define MARK_TID 1u

static const struct scn_span *sort_spans;

static int span_cmp(const void *a, const void *b)
{
	const struct scn_span *x = &sort_spans[*(const unsigned *)a];
	const struct scn_span *y = &sort_spans[*(const unsigned *)b];

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	/* completion order breaks ties: deterministic */
	return *(const unsigned *)a < *(const unsigned *)b ? -1 : 1;
}

static void put_meta(FILE *f, unsigned pid, unsigned tid, const char *what,
		     const char *key, const char *sval, unsigned nval)
{
	fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,"
		   "\"args\":{\"%s\":",
		what, pid, tid, key);
	if (sval)
		json_put_string(f, sval);
	else
		fprintf(f, "%u", nval);
	fputs("}}", f);
}

static int assign_lanes(const struct scn_result *res, unsigned *order,
			unsigned *tid_of, struct lane_track **tracks_out,
			unsigned *ntracks_out)
{
	struct lane_track *tracks = NULL;
	unsigned ntracks = 0, next_tid = MARK_TID + 1;

	for (unsigned i = 0; i < res->nspans; i++)
		order[i] = i;
	sort_spans = res->spans;
	qsort(order, res->nspans, sizeof(*order), span_cmp);
	for (unsigned k = 0; k < res->nspans; k++) {
		const struct scn_span *sp = &res->spans[order[k]];
		char name[sizeof(tracks->name)];
		struct lane_track *t = NULL;
		unsigned lane;

		snprintf(name, sizeof(name), "%.*s",
			 (int)strnlen(sp->track, sizeof(sp->track)), sp->track);
		for (unsigned i = 0; i < ntracks; i++)
			if (!strcmp(tracks[i].name, name))
				t = &tracks[i];
		if (!t) {
			void *nt = realloc(tracks, (ntracks + 1) * sizeof(*t));

			if (!nt)
				goto fail;
			tracks = nt;
			t = &tracks[ntracks++];
			memset(t, 0, sizeof(*t));
			strcpy(t->name, name);
		}
		for (lane = 0; lane < t->nlanes; lane++)
			if (t->lane_end[lane] <= sp->start)
				break;
		if (lane == t->nlanes) {
			uint64_t *e = realloc(t->lane_end,
					      (lane + 1) * sizeof(*e));
			unsigned *tid;

			if (!e)
				goto fail;
			t->lane_end = e;
			tid = realloc(t->lane_tid, (lane + 1) * sizeof(*tid));
			if (!tid)
				goto fail;
			t->lane_tid = tid;
			t->lane_tid[lane] = next_tid++;
			t->nlanes++;
		}
		t->lane_end[lane] = sp->end > sp->start ? sp->end : sp->start;
		tid_of[order[k]] = t->lane_tid[lane];
	}
	*tracks_out = tracks;
	*ntracks_out = ntracks;
	return 0;
fail:
	for (unsigned i = 0; i < ntracks; i++) {
		free(tracks[i].lane_end);
		free(tracks[i].lane_tid);
	}
	free(tracks);
	errno = ENOMEM;
	return -1;
}

int report_write_timeline(const char *path, unsigned pid, const char *name,
			  const char *file, uint64_t seed,
			  const struct scn_result *res)
{
	unsigned n = res->nspans;
	unsigned *order = malloc((n ? n : 1) * sizeof(*order));
	unsigned *tid_of = malloc((n ? n : 1) * sizeof(*tid_of));
	struct lane_track *tracks = NULL;
	unsigned ntracks = 0;
	int ret = -1, saved;
	FILE *f = NULL;

	if (!order || !tid_of) {
		errno = ENOMEM;
		goto out;
	}
	if (assign_lanes(res, order, tid_of, &tracks, &ntracks))
		goto out;
	f = fopen(path, "w");
	if (!f)
		goto out;

	/* traceEvents first: an importer that does not know a later key
	 * has read the events by then. No displayTimeUnit: Perfetto takes
	 * it as the unit of ts. */
	fputs("{\"traceEvents\":[\n", f);
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,"
		   "\"tid\":%u,\"args\":{\"name\":",
		pid, MARK_TID);
	json_put_string(f, name);
	fputs("}}", f);
	if (res->nmarks) {
		put_meta(f, pid, MARK_TID, "thread_name", "name", "marks", 0);
		put_meta(f, pid, MARK_TID, "thread_sort_index", "sort_index",
			 NULL, MARK_TID);
	}
	for (unsigned t = 0; t < ntracks; t++) {
		for (unsigned l = 0; l < tracks[t].nlanes; l++) {
			char tn[64];

			if (l)
				snprintf(tn, sizeof(tn), "%s (%u)",
					 tracks[t].name, l + 1);
			else
				snprintf(tn, sizeof(tn), "%s", tracks[t].name);
			put_meta(f, pid, tracks[t].lane_tid[l], "thread_name",
				 "name", tn, 0);
			put_meta(f, pid, tracks[t].lane_tid[l],
				 "thread_sort_index", "sort_index", NULL,
				 tracks[t].lane_tid[l]);
		}
	}

	for (unsigned k = 0; k < n; k++) {
		const struct scn_span *sp = &res->spans[order[k]];
		const char *kind = scn_kind_name(sp->kind);

		fprintf(f, ",\n{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\","
			   "\"pid\":%u,\"tid\":%u,\"ts\":",
			kind, kind, pid, tid_of[order[k]]);
		put_us(f, sp->start);
		fputs(",\"dur\":", f);
		put_us(f, sp->end >= sp->start ? sp->end - sp->start : 0);
		fprintf(f, ",\"args\":{\"sid\":\"0x%" PRIx32 "\",", sp->sid);
		if (sp->ssv)
			fprintf(f, "\"ssid\":%" PRIu32 ",", sp->ssid);
		else
			fputs("\"ssid\":\"none\",", f);
		fprintf(f, "\"addr\":\"0x%" PRIx64 "\",\"oa\":\"0x%" PRIx64
			   "\",\"resp\":\"%s\",",
			sp->addr, sp->oa, resp_name(sp->resp));
		if (sp->event_id && scn_event_name(sp->event_id))
			fprintf(f, "\"event\":\"%s\",",
				scn_event_name(sp->event_id));
		else if (sp->event_id)
			fprintf(f, "\"event\":\"0x%02x\",", sp->event_id);
		else
			fputs("\"event\":\"none\",", f);
		fprintf(f, "\"cycles\":%" PRIu64 "}}",
			sp->end >= sp->start ? sp->end - sp->start : 0);
	}
	for (unsigned m = 0; m < res->nmarks; m++) {
		const struct scn_mark *mk = &res->marks[m];
		char what[sizeof(mk->what) + 1];

		snprintf(what, sizeof(what), "%.*s",
			 (int)strnlen(mk->what, sizeof(mk->what)), mk->what);
		fprintf(f, ",\n{\"ph\":\"i\",\"s\":\"t\",\"name\":");
		json_put_string(f, what);
		fprintf(f, ",\"cat\":\"mark\",\"pid\":%u,\"tid\":%u,\"ts\":",
			pid, MARK_TID);
		put_us(f, mk->at);
		fprintf(f, ",\"args\":{\"cycle\":%" PRIu64 "}}", mk->at);
	}
	fputs("\n],\n\"otherData\":{\"clock\":"
	      "\"1 GHz assumed: 1 cycle = 1 ns; ts and dur are cycles / 1000\","
	      "\"scenario\":",
	      f);
	json_put_string(f, name);
	fputs(",\"file\":", f);
	json_put_string(f, file);
	fprintf(f, ",\"seed\":%" PRIu64 ",\"result\":\"%s\",\"cycles\":%" PRIu64
		   ",\"message\":",
		seed, res->error ? "error" : res->pass ? "pass" : "fail",
		res->cycles);
	json_put_string(f, res->message);
	fputs("}}\n", f);
	ret = 0;
out:
	saved = errno;
	if (f) {
		bool bad = ferror(f);

		if ((fclose(f) || bad) && !ret) {
			saved = errno ? errno : EIO;
			ret = -1;
		}
	}
	for (unsigned i = 0; i < ntracks; i++) {
		free(tracks[i].lane_end);
		free(tracks[i].lane_tid);
	}
	free(tracks);
	free(order);
	free(tid_of);
	errno = saved;
	return ret;
}

/* --- JUnit XML --- */

static void count_status(const struct inst *v, unsigned n, unsigned *pass,
			 unsigned *fail, unsigned *err)
{
	*pass = *fail = *err = 0;
	for (unsigned i = 0; i < n; i++) {
		if (v[i].status == INST_PASS)
			(*pass)++;
		else if (v[i].status == INST_FAIL)
			(*fail)++;
		else
			(*err)++;
	}
}

/* "dir/sub/name.scn" -> "dir.sub.name": JUnit viewers split a classname
 * at its dots into package and class. */
static void put_classname(FILE *f, const char *file)
{
	size_t len = strlen(file);
	char *c;

	while (!strncmp(file, "./", 2)) {
		file += 2;
		len -= 2;
	}
	if (len > 4 && !strcmp(file + len - 4, ".scn"))
		len -= 4;
	c = malloc(len + 1);
	if (!c) {
		xml_put_text(f, file);
		return;
	}
	for (size_t i = 0; i < len; i++)
		c[i] = file[i] == '/' ? '.' : file[i];
	c[len] = '\0';
	xml_put_text(f, c);
	free(c);
}

static int finish_file(FILE *f)
{
	int bad = ferror(f);

	if (fclose(f) || bad) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static FILE *open_out(const char *path)
{
	return strcmp(path, "-") ? fopen(path, "w") : stdout;
}

static int close_out(FILE *f)
{
	if (f == stdout)
		return fflush(f) ? -1 : 0;
	return finish_file(f);
}

int report_write_junit(const char *path, const struct campaign_info *ci,
		       const struct inst *v, unsigned n)
{
	unsigned pass, fail, err;
	FILE *f = open_out(path);

	if (!f)
		return -1;
	count_status(v, n, &pass, &fail, &err);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"smmusim campaign\" tests=\"%u\" "
		   "failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n",
		n, fail, err, ci->wall_s);
	/* One testsuite per shard, its start and end tags on lines of
	 * their own so shards' files can be merged with sed (docs). */
	fprintf(f, "<testsuite name=\"smmusim campaign shard %u/%u\" "
		   "tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\" "
		   "time=\"%.3f\">\n",
		ci->shard_k, ci->shard_n, n, fail, err, ci->wall_s);
	fprintf(f, "  <properties>\n"
		   "    <property name=\"shard\" value=\"%u/%u\"/>\n"
		   "    <property name=\"instances_in_all_shards\" "
		   "value=\"%u\"/>\n",
		ci->shard_k, ci->shard_n, ci->total);
	if (ci->seed_set)
		fprintf(f, "    <property name=\"seed\" value=\"%" PRIu64
			   "\"/>\n",
			ci->seed);
	fputs("  </properties>\n", f);
	for (unsigned i = 0; i < n; i++) {
		const struct inst *t = &v[i];

		fputs("  <testcase classname=\"", f);
		put_classname(f, t->file);
		fputs("\" name=\"", f);
		xml_put_text(f, t->name);
		fprintf(f, "\" time=\"%.3f\"", t->wall_ms / 1000.0);
		if (t->status == INST_PASS) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		fprintf(f, "    <%s message=\"",
			t->status == INST_FAIL ? "failure" : "error");
		xml_put_text(f, t->message);
		fprintf(f, "\" type=\"%s\">",
			t->status == INST_FAIL ? "expectation" : "error");
		xml_put_text(f, t->message);
		fprintf(f, "</%s>\n",
			t->status == INST_FAIL ? "failure" : "error");
		fputs("    <system-out>file ", f);
		xml_put_text(f, t->file);
		fprintf(f, ", expectations %u/%u, cycles %" PRIu64
			   ", seed %" PRIu64 "</system-out>\n",
			t->expectations_passed, t->expectations, t->cycles,
			t->seed);
		fputs("  </testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	return close_out(f);
}

/* --- TAP 13 --- */

/* A test description: one line, and '#' would start a directive. */
static void tap_put_desc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

int report_write_tap(const char *path, const struct campaign_info *ci,
		     const struct inst *v, unsigned n)
{
	FILE *f = open_out(path);

	if (!f)
		return -1;
	fprintf(f, "TAP version 13\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		const struct inst *t = &v[i];

		fprintf(f, "%sok %u - ", t->status == INST_PASS ? "" : "not ",
			i + 1);
		tap_put_desc(f, t->name);
		fputc('\n', f);
		if (t->status == INST_PASS)
			continue;
		/* YAML: JSON strings are valid YAML double-quoted scalars */
		fputs("  ---\n  message: ", f);
		json_put_string(f, t->message);
		fprintf(f, "\n  severity: %s\n  file: ",
			t->status == INST_FAIL ? "fail" : "error");
		json_put_string(f, t->file);
		fprintf(f, "\n  index: %u\n  expectations: %u\n"
			   "  expectations_passed: %u\n  cycles: %" PRIu64
			   "\n  seed: %" PRIu64 "\n  ...\n",
			t->index, t->expectations, t->expectations_passed,
			t->cycles, t->seed);
	}
	if (ci->shard_n > 1)
		fprintf(f, "# shard %u/%u: %u of %u instances\n", ci->shard_k,
			ci->shard_n, n, ci->total);
	return close_out(f);
}

/* --- HTML report --- */

static void put_cycles_label(FILE *f, uint64_t v)
{
	if (v < 10000)
		fprintf(f, "%" PRIu64, v);
	else if (v % (1u << 20) == 0)
		fprintf(f, "%" PRIu64 "M", v >> 20);
	else if (v % 1024 == 0)
		fprintf(f, "%" PRIu64 "K", v >> 10);
	else if (v < (1u << 20))
		fprintf(f, "%.1fK", (double)v / 1024.0);
	else
		fprintf(f, "%.1fM", (double)v / (1024.0 * 1024.0));
}

#define SVG_W 780
#define SVG_H 280
#define SVG_L 64
#define SVG_R 36
#define SVG_T 20
#define SVG_B 56
#define SVG_LABEL_GAP 44.0 /* px between x labels */

/* Self-contained SVG: presentation attributes rather than the page's CSS,
 * so a histogram copied out of the page still renders. */
#define SVG_TEXT "font-family=\"sans-serif\" fill=\"#333\""
#define SVG_AXIS "stroke=\"#333\" stroke-width=\"1\""

static void put_x_label(FILE *f, double x, uint64_t v)
{
	fprintf(f, "<line x1=\"%.2f\" y1=\"%u\" x2=\"%.2f\" y2=\"%u\" "
		   SVG_AXIS "/>\n<text x=\"%.2f\" y=\"%u\" font-size=\"11\" "
		   "text-anchor=\"middle\" " SVG_TEXT ">",
		x, SVG_H - SVG_B, x, SVG_H - SVG_B + 5, x, SVG_H - SVG_B + 18);
	put_cycles_label(f, v);
	fputs("</text>\n", f);
}

/* Which bucket boundaries b0..b1+1 get an x label: all when there are
 * few; else the powers of two (every LAT_SUB-th boundary), thinned to at
 * most about 12, plus both ends when there is room. */
static void choose_x_labels(unsigned b0, unsigned b1, double bw, bool *lab)
{
	unsigned nb = b1 - b0 + 1, pstep = 1, npow = (nb + 1) / LAT_SUB + 2;

	if (nb + 1 <= 13) {
		for (unsigned i = 0; i <= nb; i++)
			lab[i] = true;
		return;
	}
	while (npow / pstep > 12)
		pstep *= 2;
	for (unsigned i = b0; i <= b1 + 1; i++) {
		uint64_t low = lat_bucket_low(i);
		unsigned e = low ? 63u - (unsigned)__builtin_clzll(low) : 0;

		lab[i - b0] = i < LAT_BUCKETS &&
			      (!low ||
			       ((low & (low - 1)) == 0 && e % pstep == 0));
	}
	for (unsigned end = 0; end < 2; end++) {
		unsigned at = end ? nb : 0;
		bool room = b0 + at < LAT_BUCKETS;

		for (unsigned j = 0; j <= nb && room; j++)
			if (lab[j] && j != at &&
			    (j > at ? j - at : at - j) * bw < SVG_LABEL_GAP)
				room = false;
		if (room)
			lab[at] = true;
	}
}

static void put_histogram(FILE *f, const struct campaign_info *ci,
			  enum scn_kind k)
{
	const struct lat_hist *h = &ci->hist[k];
	unsigned b0 = LAT_BUCKETS, b1 = 0, nb;
	uint32_t maxc = 0;
	uint64_t step, top;
	double pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B, bw;
	bool lab[LAT_BUCKETS + 1];

	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		if (!h->count[i])
			continue;
		if (b0 == LAT_BUCKETS)
			b0 = i;
		b1 = i;
		if (h->count[i] > maxc)
			maxc = h->count[i];
	}
	fprintf(f, "<h3>%s</h3>\n", scn_kind_name(k));
	if (!maxc) {
		fputs("<p class=\"none\">no transactions of this kind</p>\n",
		      f);
		return;
	}
	fprintf(f, "<p>%" PRIu64 " transactions; min %" PRIu64 ", mean %.1f, "
		   "max %" PRIu64 " cycles</p>\n",
		ci->lat_n[k], ci->lat_min[k],
		ci->lat_n[k] ? ci->lat_sum[k] / (double)ci->lat_n[k] : 0.0,
		ci->lat_max[k]);
	nb = b1 - b0 + 1;
	bw = pw / nb;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		   "height=\"%u\" viewBox=\"0 0 %u %u\" role=\"img\" "
		   "aria-label=\"%s latency histogram\">\n"
		   "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n",
		SVG_W, SVG_H, SVG_W, SVG_H, scn_kind_name(k), SVG_W, SVG_H);
	/* y axis: counts, ticks at a 1/2/5 x 10^n step, top rounded up */
	fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" " SVG_AXIS
		   "/>\n",
		SVG_L, SVG_T, SVG_L, SVG_H - SVG_B);
	/* the smallest step of 1, 2 or 5 x 10^n with at most 5 intervals */
	for (uint64_t base = 1;; base *= 10) {
		static const unsigned mult[] = { 1, 2, 5 };
		bool found = false;

		for (unsigned m = 0; m < 3 && !found; m++) {
			step = base * mult[m];
			found = step * 5 >= maxc;
		}
		if (found)
			break;
	}
	top = (maxc + step - 1) / step * step;
	for (uint64_t c = 0; c <= top; c += step) {
		double y = SVG_T + ph - ph * (double)c / (double)top;

		fprintf(f, "<line x1=\"%u\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\" "
			   "stroke=\"#ddd\" stroke-width=\"1\"/>\n"
			   "<text x=\"%u\" y=\"%.1f\" font-size=\"11\" "
			   "text-anchor=\"end\" " SVG_TEXT ">%" PRIu64
			   "</text>\n",
			SVG_L - 4, y, SVG_W - SVG_R, y, SVG_L - 7, y + 4, c);
	}
	fprintf(f, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" "
		   "text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\" "
		   SVG_TEXT ">transactions</text>\n",
		SVG_T + ph / 2, SVG_T + ph / 2);
	/* bars, one per bucket (so the x axis is logarithmic) */
	for (unsigned i = b0; i <= b1; i++) {
		uint32_t c = h->count[i];
		double x = SVG_L + (i - b0) * bw, bh = ph * c / (double)top;

		if (!c)
			continue;
		if (bh < 1)
			bh = 1; /* a single sample stays visible */
		fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			   "height=\"%.2f\" fill=\"#4a7ab5\"><title>",
			x + 0.5, SVG_T + ph - bh, bw > 2 ? bw - 1 : bw, bh);
		fprintf(f, "%" PRIu64 "..%" PRIu64 " cycles: %" PRIu32
			   "</title></rect>\n",
			lat_bucket_low(i), lat_bucket_low(i + 1) - 1, c);
		if (bw >= 18)
			fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" "
				   "font-size=\"9\" text-anchor=\"middle\" "
				   SVG_TEXT ">%" PRIu32 "</text>\n",
				x + bw / 2, SVG_T + ph - bh - 3, c);
	}
	/* x axis: cycles at bucket boundaries */
	fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" " SVG_AXIS
		   "/>\n",
		SVG_L, SVG_H - SVG_B, SVG_W - SVG_R, SVG_H - SVG_B);
	choose_x_labels(b0, b1, bw, lab);
	for (unsigned i = b0; i <= b1 + 1; i++)
		if (lab[i - b0])
			put_x_label(f, SVG_L + (i - b0) * bw,
				    lat_bucket_low(i));
	fprintf(f, "<text x=\"%.1f\" y=\"%u\" font-size=\"12\" "
		   "text-anchor=\"middle\" " SVG_TEXT ">latency in cycles "
		   "(log scale: each power of two is split into %u bars)"
		   "</text>\n",
		SVG_L + pw / 2, SVG_H - 14, LAT_SUB);
	fputs("</svg>\n", f);
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	"<meta charset=\"utf-8\"/>\n"
	"<title>smmusim campaign</title>\n<style>\n"
	"body{font-family:sans-serif;margin:1.5em;color:#222}\n"
	"table{border-collapse:collapse;font-size:90%}\n"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;"
	"vertical-align:top}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".PASS{background:#dfd}.FAIL{background:#fdd}.ERROR{background:#fc9}\n"
	".msg{font-family:monospace;white-space:pre-wrap}\n"
	".file{color:#777;font-size:85%}\n"
	".none{color:#777}\n"
	"</style>\n</head>\n<body>\n";

static void put_lat_cell(FILE *f, const struct inst *t)
{
	bool any = false;

	for (unsigned k = 0; k < SCN_KIND_NR; k++) {
		const struct scn_lat_stats *l = &t->lat[k];

		if (!l->n)
			continue;
		fprintf(f, "%s%s: n=%u p50=%" PRIu64 " p99=%" PRIu64
			   " max=%" PRIu64,
			any ? "<br/>" : "", scn_kind_name((enum scn_kind)k),
			l->n, l->p50, l->p99, l->max);
		any = true;
	}
}

int report_write_index(const char *dir, const struct campaign_info *ci,
		       const struct inst *v, unsigned n)
{
	unsigned pass, fail, err;
	size_t len = strlen(dir) + sizeof("/index.html");
	char *path = malloc(len);
	FILE *f;

	if (!path) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(path, len, "%s/index.html", dir);
	f = fopen(path, "w");
	free(path);
	if (!f)
		return -1;
	count_status(v, n, &pass, &fail, &err);
	fputs(html_head, f);
	fputs("<h1>smmusim campaign</h1>\n", f);
	fprintf(f, "<p>%u scenario instances", n);
	if (ci->shard_n > 1)
		fprintf(f, " (shard %u/%u of %u)", ci->shard_k, ci->shard_n,
			ci->total);
	fprintf(f, ": <b>%u passed</b>, <b>%u failed</b>, <b>%u errors</b>; "
		   "%u parallel jobs, %.2f s",
		pass, fail, err, ci->jobs, ci->wall_s);
	if (ci->seed_set)
		fprintf(f, "; seed %" PRIu64 " for every scenario", ci->seed);
	fputs(".</p>\n", f);
	fputs("<p>Each scenario's timeline is a Chrome trace-event JSON file: "
	      "open <a href=\"https://ui.perfetto.dev\">ui.perfetto.dev</a> "
	      "and drop it there (or use chrome://tracing). Time assumes a "
	      "1 GHz clock: 1 cycle is shown as 1 ns.</p>\n",
	      f);

	fputs("<h2>Latency per transaction kind</h2>\n", f);
	for (unsigned k = 0; k < SCN_KIND_NR; k++)
		put_histogram(f, ci, (enum scn_kind)k);

	fputs("<h2>Scenarios</h2>\n<table>\n<tr><th>#</th><th>scenario</th>"
	      "<th>result</th><th>expectations</th><th>cycles</th>"
	      "<th>wall ms</th><th>latency (cycles)</th><th>message</th>"
	      "</tr>\n",
	      f);
	for (unsigned i = 0; i < n; i++) {
		const struct inst *t = &v[i];
		const char *st = inst_status_name(t->status);

		fprintf(f, "<tr class=\"%s\"><td class=\"num\">%u</td><td>", st,
			t->index + 1);
		if (t->timeline) {
			/* ids are made of [A-Za-z0-9._=-]: no escaping */
			fprintf(f, "<a href=\"%s.json\">", t->id);
			xml_put_text(f, t->name);
			fputs("</a>", f);
		} else {
			xml_put_text(f, t->name);
		}
		fputs("<br/><span class=\"file\">", f);
		xml_put_text(f, t->file);
		fprintf(f, "</span></td><td>%s</td><td class=\"num\">%u/%u</td>"
			   "<td class=\"num\">%" PRIu64 "</td>"
			   "<td class=\"num\">%.1f</td><td>",
			st, t->expectations_passed, t->expectations, t->cycles,
			t->wall_ms);
		put_lat_cell(f, t);
		fputs("</td><td class=\"msg\">", f);
		xml_put_text(f, t->message);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</body>\n</html>\n", f);
	return finish_file(f);
}
