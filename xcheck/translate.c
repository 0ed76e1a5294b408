/* SPDX-License-Identifier: MIT */
/*
 * Translation prediction: one request through a model instance, the
 * outcome classified; and the batch file's line syntax.
 */
#include "xcheck/xcheck.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "smmu/smmu_internal.h"
#include "smmu/ste.h"

static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* The model's own names (§7.3), so predictions and traces agree. */
const char *xc_event_name(uint8_t id)
{
	return id ? smmu_event_name(id) : NULL;
}

const char *xc_outcome_name(enum xc_outcome o)
{
	switch (o) {
	case XC_OK:
		return "ok";
	case XC_BYPASS:
		return "bypass";
	case XC_ABORT:
		return "abort";
	case XC_FAULT:
		return "fault";
	}
	return "?";
}

/*
 * Did an OK response pass untranslated? SMMUEN=0 (GBPA), STE bypass, or
 * stage 1 skipped by S1DSS with stage 2 off. The STE is read again from
 * memory without the configuration cache (strtab_lookup_at), which
 * leaves the model's caches as they were.
 */
static bool was_bypass(struct smmu *smmu, const struct xc_request *rq)
{
	struct smmu_event ev = { 0 };
	struct ste_cfg ste;
	uint64_t cycles = 0;

	if (!smmu_enabled(smmu))
		return true;
	if (!strtab_lookup_at(smmu, smmu_strtab_base(smmu),
			      smmu_strtab_base_cfg(smmu), rq->sid, &ste, &ev,
			      &cycles))
		return false;
	if (ste.bypass)
		return true;
	return ste.s1_en && !ste.s2_en && !rq->ssv &&
	       ste.s1cdmax != 0 && smmu->impl.ssidsize != 0 &&
	       ste.s1dss == S1DSS_BYPASS;
}

static void ignore_done(void *ctx, const struct smmu_txn *txn,
			const struct smmu_txn_result *res)
{
	(void)ctx;
	(void)txn;
	(void)res;
}

void xc_translate(struct smmu *smmu, const struct xc_request *rq,
		  struct xc_result *out)
{
	struct smmu_txn txn = {
		.sid = rq->sid,
		.ssid = rq->ssv ? rq->ssid : 0,
		.ssv = rq->ssv,
		.addr = rq->iova,
		.len = 1,
		.write = rq->access == XC_WRITE,
		.instr = rq->access == XC_EXEC,
		.priv = rq->priv,
	};
	struct smmu_txn_result res;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	if (!smmu_translate(smmu, &txn, &res, ignore_done, NULL)) {
		/* Stalled: end it as CMD_STALL_TERM would, so it holds no
		 * STAG or STALL_MAX slot for later requests. */
		smmu_stall_term(smmu, rq->sid);
		sim_run_to_idle(smmu->sim, 0);
		out->outcome = XC_FAULT;
		out->event_id = res.event_id;
		out->stalled = true;
		return;
	}
	out->event_id = res.event_id;
	if (res.resp == SMMU_RESP_OK) {
		out->pa = res.oa;
		out->outcome = was_bypass(smmu, rq) ? XC_BYPASS : XC_OK;
	} else {
		out->outcome = res.event_id ? XC_FAULT : XC_ABORT;
	}
}

void xc_print_result(FILE *f, const struct xc_request *rq,
		     const struct xc_result *res)
{
	static const char acc[] = { 'r', 'w', 'x' };
	const char *ev = xc_event_name(res->event_id);

	fprintf(f, "0x%x\t", rq->sid);
	if (rq->ssv)
		fprintf(f, "0x%x\t", rq->ssid);
	else
		fputs("-\t", f);
	fprintf(f, "0x%llx\t%c%s\t%s\t", (unsigned long long)rq->iova,
		acc[rq->access], rq->priv ? "p" : "",
		xc_outcome_name(res->outcome));
	if (res->outcome == XC_OK || res->outcome == XC_BYPASS)
		fprintf(f, "0x%llx\t", (unsigned long long)res->pa);
	else
		fputs("-\t", f);
	if (ev)
		fprintf(f, "%s\n", ev);
	else if (res->event_id)
		fprintf(f, "0x%02x\n", res->event_id);
	else
		fputs("-\n", f);
}

/* --- batch lines --------------------------------------------------------- */

static bool parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	char buf[32];
	char *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

int xc_parse_request(const char *file, unsigned line, const char *text,
		     struct xc_request *rq, char *err, size_t errlen)
{
	static const char *const what[4] = { "StreamID", "SubstreamID",
					     "IOVA", "access" };
	const char *f[5];
	size_t flen[5];
	unsigned n = 0;
	const char *p = text;

	memset(rq, 0, sizeof(*rq));
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '\n' || *p == '#')
			break;
		if (n == 4) {
			errf(err, errlen, "%s:%u:%u: unexpected field: a "
			     "request is 'sid ssid iova access'", file, line,
			     (unsigned)(p - text) + 1);
			return -1;
		}
		f[n] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n' && *p != '#')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	if (n == 0)
		return 0;
	if (n < 4) {
		errf(err, errlen, "%s:%u:%u: missing %s: a request is 'sid "
		     "ssid iova access'", file, line,
		     (unsigned)(p - text) + 1, what[n]);
		return -1;
	}
	uint64_t v;

	if (!parse_num(f[0], flen[0], UINT32_MAX, &v)) {
		errf(err, errlen, "%s:%u:%u: StreamID '%.*s' is not a number "
		     "below 2^32", file, line, (unsigned)(f[0] - text) + 1,
		     (int)(flen[0] > 40 ? 40 : flen[0]), f[0]);
		return -1;
	}
	rq->sid = (uint32_t)v;
	if (flen[1] == 1 && f[1][0] == '-') {
		rq->ssv = false;
	} else if (parse_num(f[1], flen[1], (1u << 20) - 1, &v)) {
		rq->ssv = true;
		rq->ssid = (uint32_t)v;
	} else {
		errf(err, errlen, "%s:%u:%u: SubstreamID '%.*s' is not '-' or "
		     "a number below 2^20", file, line,
		     (unsigned)(f[1] - text) + 1,
		     (int)(flen[1] > 40 ? 40 : flen[1]), f[1]);
		return -1;
	}
	if (!parse_num(f[2], flen[2], UINT64_MAX, &rq->iova)) {
		errf(err, errlen, "%s:%u:%u: IOVA '%.*s' is not a 64-bit "
		     "number", file, line, (unsigned)(f[2] - text) + 1,
		     (int)(flen[2] > 40 ? 40 : flen[2]), f[2]);
		return -1;
	}
	if ((flen[3] == 1 || (flen[3] == 2 && f[3][1] == 'p')) &&
	    (f[3][0] == 'r' || f[3][0] == 'w' || f[3][0] == 'x')) {
		rq->access = f[3][0] == 'r' ? XC_READ
			   : f[3][0] == 'w' ? XC_WRITE : XC_EXEC;
		rq->priv = flen[3] == 2;
	} else {
		errf(err, errlen, "%s:%u:%u: access '%.*s' is not r, w or x "
		     "(with p for privileged: rp, wp, xp)", file, line,
		     (unsigned)(f[3] - text) + 1,
		     (int)(flen[3] > 40 ? 40 : flen[3]), f[3]);
		return -1;
	}
	return 1;
}
