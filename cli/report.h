/* SPDX-License-Identifier: MIT */
/*
 * Results of scenario runs and the files written from them: the campaign's
 * JUnit XML and TAP 13 streams, its HTML report (pass/fail table and SVG
 * latency histograms), and one Chrome trace-event JSON timeline per
 * scenario (docs/scenarios.md "Campaigns"). Shared by cli/run.c,
 * cli/campaign.c and cli/report.c; private to the CLI.
 */
#ifndef SMMUSIM_CLI_REPORT_H
#define SMMUSIM_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenarios/scenario.h"

/*
 * Latency histograms with log-linear buckets, so that one fixed array
 * covers a TLB hit (tens of cycles) and a page request served by a slow
 * host (millions) at a relative resolution of 1/8: values below 16 have
 * a bucket each, and every power of two from 16 up is split into 8
 * equal buckets.
 */
#define LAT_EXACT 16u
#define LAT_SUB 8u
#define LAT_BUCKETS (LAT_EXACT + (64u - 4u) * LAT_SUB)

struct lat_hist {
	uint32_t count[LAT_BUCKETS];
};

unsigned lat_bucket(uint64_t v);
/* The values of bucket i are [lat_bucket_low(i), lat_bucket_low(i + 1)). */
uint64_t lat_bucket_low(unsigned i);
/* Add every span of res to hist[kind]. */
void lat_hist_add_result(struct lat_hist hist[SCN_KIND_NR],
			 const struct scn_result *res);

enum inst_status {
	INST_PENDING,
	INST_PASS,
	INST_FAIL,
	INST_ERROR, /* bad input, or the run crashed */
};

const char *inst_status_name(enum inst_status st); /* PASS, FAIL, ERROR */
/* A scenario's display name: its name, with "[label]" for a sweep
 * instance. malloc'd (aborts when out of memory). */
char *inst_display_name(const char *name, const char *label);

/* One scenario instance of a campaign: a file, or one combination of a
 * sweep template, and its result once run. */
struct inst {
	unsigned index;     /* position in the whole campaign (all shards) */
	const char *file;   /* path of the .scn file (owned by the campaign) */
	const char *label;  /* sweep label, "" for a plain file (same) */
	const char *text;   /* the expanded text, NULL after an expand error */
	char *name;         /* scenario name, with "[label]" when swept */
	char *id;           /* unique and file-name safe: DIR/<id>.json */
	enum inst_status status;
	char message[512];  /* failure or error, "" on a pass */
	unsigned expectations, expectations_passed;
	uint64_t cycles, seed;
	double wall_ms;
	struct scn_lat_stats lat[SCN_KIND_NR];
	bool timeline;      /* DIR/<id>.json was written */
};

/* Campaign-wide figures for the headers of the report files. */
struct campaign_info {
	unsigned shard_k, shard_n;  /* 1/1 when not sharded */
	unsigned total;             /* instances in all shards */
	unsigned jobs;
	bool seed_set;
	uint64_t seed;
	double wall_s;
	/* per kind, over every span of every scenario run */
	struct lat_hist hist[SCN_KIND_NR];
	uint64_t lat_n[SCN_KIND_NR], lat_min[SCN_KIND_NR], lat_max[SCN_KIND_NR];
	double lat_sum[SCN_KIND_NR];
};

/* Escaped text. JSON: a quoted string with \" \\ \n \t \r escapes; other
 * control characters become U+FFFD (Perfetto reads no \u escapes).
 * XML/HTML: &amp; &lt; &gt; &quot; &apos;, and characters XML 1.0 forbids
 * become U+FFFD. Both replace bytes that are not valid UTF-8 with U+FFFD,
 * so the file stays well-formed whatever a scenario is named. */
void json_put_string(FILE *f, const char *s);
void xml_put_text(FILE *f, const char *s);

/*
 * Write res as a Chrome trace-event JSON timeline (Perfetto opens it):
 * an "X" event per span, ts/dur in microseconds at an assumed 1 GHz
 * (1 cycle = 1 ns), pid = pid, one tid per device (more when a device's
 * transactions overlap), an "i" event per mark. 0, or -1 with errno set.
 */
int report_write_timeline(const char *path, unsigned pid, const char *name,
			  const char *file, uint64_t seed,
			  const struct scn_result *res);

/* The campaign's files, from n instances in campaign order. 0, or -1
 * with errno set (the file may then be partly written). */
int report_write_junit(const char *path, const struct campaign_info *ci,
		       const struct inst *v, unsigned n);
int report_write_tap(const char *path, const struct campaign_info *ci,
		     const struct inst *v, unsigned n);
/* DIR/index.html; DIR exists. */
int report_write_index(const char *dir, const struct campaign_info *ci,
		       const struct inst *v, unsigned n);

#endif
