/* SPDX-License-Identifier: MIT */
/*
 * The SMMU's ATS/PRI port towards PCIe endpoints (IHI 0070 §3.9.1.4,
 * §3.9.1.5, §4.5, §8; facts §5.3, §7.2, §8.5).
 *
 * Endpoints attach for ranges of StreamIDs (StreamID[15:0] is the PCIe
 * RequesterID, §8). Outgoing messages go to the endpoint owning the
 * StreamID and are dropped when there is none: ATS Invalidate Requests
 * (CMD_ATC_INV) and PRG Responses (CMD_PRI_RESP, PRI queue
 * auto-responses).
 *
 * Every Invalidate Request carries a tag, unique for the life of the SMMU
 * and increasing, and stays outstanding until the endpoint returns it with
 * smmu_atc_inv_done(). A CMD_SYNC (cmdq.c) completes only when no request
 * sent before it is outstanding, and reports CERROR_ATC_INV_SYNC when they
 * are not all answered in time.
 *
 * Model choices:
 *  - A request for a StreamID with no endpoint completes at once: there is
 *    no ATC to invalidate. Detaching an endpoint completes its outstanding
 *    requests, as the Unsupported Request a removed function gives
 *    (§3.9.1.5: a UR completes the command without error).
 *  - At most ATS_INV_MAX requests are tracked at a time. A request beyond
 *    that is not sent and counts as timed out: the next CMD_SYNC that waits
 *    for it reports CERROR_ATC_INV_SYNC, after which it is forgotten
 *    (§4.7.3: "has timed out and will never complete").
 */
#include "smmu/smmu_internal.h"

#include <stdlib.h>
#include <string.h>

#define ATS_INV_MAX 65536u

struct endpoint {
	uint32_t first;
	uint32_t count;
	struct smmu_endpoint_ops ops;
};

/* An Invalidate Request waiting for its completion. */
struct ats_inv {
	uint64_t tag;
	uint32_t sid;
};

struct smmu_endpoints {
	struct smmu *smmu;
	struct endpoint *ep;
	uint32_t n_ep, cap_ep;
	/* Outstanding requests, in tag order (tags only increase). */
	struct ats_inv *inv;
	uint32_t n_inv, cap_inv;
	uint64_t last_tag;
	uint64_t lost_tag;   /* latest request not tracked, 0 if none */
};

static bool grow(void **arr, uint32_t *cap, uint32_t n, size_t elem,
		 uint32_t max)
{
	uint32_t c;
	void *p;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 8;
	if (c > max)
		c = max;
	if (c <= n)
		return false;
	p = realloc(*arr, (size_t)c * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

static bool ep_covers(const struct endpoint *e, uint32_t sid)
{
	return sid >= e->first && (uint64_t)sid - e->first < e->count;
}

static const struct endpoint *ep_find(const struct smmu *smmu, uint32_t sid)
{
	const struct smmu_endpoints *eps = smmu->endpoints;

	for (uint32_t i = 0; i < eps->n_ep; i++)
		if (ep_covers(&eps->ep[i], sid))
			return &eps->ep[i];
	return NULL;
}

bool smmu_attach_endpoint(struct smmu *smmu, uint32_t sid_first,
			  uint32_t sid_count,
			  const struct smmu_endpoint_ops *ops)
{
	struct smmu_endpoints *eps;
	uint64_t last;

	if (!smmu || !ops || !sid_count)
		return false;
	eps = smmu->endpoints;
	last = (uint64_t)sid_first + sid_count - 1;
	if (last > UINT32_MAX)
		return false;
	for (uint32_t i = 0; i < eps->n_ep; i++) {
		const struct endpoint *e = &eps->ep[i];
		uint64_t e_last = (uint64_t)e->first + e->count - 1;

		if (sid_first <= e_last && e->first <= last)
			return false;
	}
	if (!grow((void **)&eps->ep, &eps->cap_ep, eps->n_ep,
		  sizeof(*eps->ep), UINT32_MAX))
		return false;
	eps->ep[eps->n_ep++] = (struct endpoint){ .first = sid_first,
						  .count = sid_count,
						  .ops = *ops };
	return true;
}

/* Retire the outstanding request at index i. */
static void inv_retire(struct smmu_endpoints *eps, uint32_t i)
{
	memmove(&eps->inv[i], &eps->inv[i + 1],
		(size_t)(eps->n_inv - i - 1) * sizeof(*eps->inv));
	eps->n_inv--;
}

void smmu_detach_endpoint(struct smmu *smmu, uint32_t sid_first)
{
	struct smmu_endpoints *eps;
	struct endpoint gone;
	bool retired = false;
	uint32_t i;

	if (!smmu)
		return;
	eps = smmu->endpoints;
	for (i = 0; i < eps->n_ep; i++)
		if (eps->ep[i].first == sid_first)
			break;
	if (i == eps->n_ep)
		return;
	gone = eps->ep[i];
	eps->ep[i] = eps->ep[--eps->n_ep];
	/* §3.9.1.5: what it still owes completes as an Unsupported Request */
	for (i = eps->n_inv; i-- > 0;) {
		if (ep_covers(&gone, eps->inv[i].sid)) {
			inv_retire(eps, i);
			retired = true;
		}
	}
	if (retired)
		cmdq_atc_inv_completed(smmu);
}

void ats_inv_send(struct smmu *smmu, struct smmu_atc_inv *req)
{
	struct smmu_endpoints *eps = smmu->endpoints;
	const struct endpoint *e = ep_find(smmu, req->sid);
	struct smmu_endpoint_ops ops;

	req->tag = ++eps->last_tag;
	smmu->stats.atc_invs++;
	if (!e || !e->ops.atc_inv)
		return; /* nothing to invalidate: complete */
	/* Traced only when a request goes out to an endpoint. */
	if (trace_on(smmu))
		trace_atc_inv(smmu, req);
	ops = e->ops;
	if (!grow((void **)&eps->inv, &eps->cap_inv, eps->n_inv,
		  sizeof(*eps->inv), ATS_INV_MAX)) {
		eps->lost_tag = req->tag;
		return;
	}
	/* Outstanding before the endpoint sees it: it may answer at once. */
	eps->inv[eps->n_inv++] = (struct ats_inv){ .tag = req->tag,
						   .sid = req->sid };
	ops.atc_inv(ops.ctx, req);
}

void smmu_atc_inv_done(struct smmu *smmu, uint64_t tag)
{
	struct smmu_endpoints *eps;
	uint32_t lo = 0, hi;

	if (!smmu)
		return;
	eps = smmu->endpoints;
	hi = eps->n_inv;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (eps->inv[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* An unknown or already retired tag is ignored. */
	if (lo == eps->n_inv || eps->inv[lo].tag != tag)
		return;
	if (trace_on(smmu))
		trace_atc_inv_cpl(smmu, eps->inv[lo].sid);
	inv_retire(eps, lo);
	cmdq_atc_inv_completed(smmu);
}

uint64_t ats_inv_mark(const struct smmu *smmu)
{
	return smmu->endpoints->last_tag;
}

bool ats_inv_pending(const struct smmu *smmu, uint64_t mark)
{
	const struct smmu_endpoints *eps = smmu->endpoints;

	if (eps->lost_tag && eps->lost_tag <= mark)
		return true;
	return eps->n_inv && eps->inv[0].tag <= mark;
}

void ats_inv_timed_out(struct smmu *smmu, uint64_t mark)
{
	struct smmu_endpoints *eps = smmu->endpoints;

	if (eps->lost_tag <= mark)
		eps->lost_tag = 0;
}

void endpoint_pri_resp(struct smmu *smmu, const struct smmu_pri_resp *resp)
{
	const struct endpoint *e = ep_find(smmu, resp->sid);
	struct smmu_endpoint_ops ops;

	if (trace_on(smmu))
		trace_prg_resp(smmu, resp);
	if (!e || !e->ops.pri_resp)
		return;
	ops = e->ops;
	ops.pri_resp(ops.ctx, resp);
}

struct smmu_endpoints *endpoints_create(struct smmu *smmu)
{
	struct smmu_endpoints *eps = calloc(1, sizeof(*eps));

	if (eps)
		eps->smmu = smmu;
	return eps;
}

void endpoints_destroy(struct smmu_endpoints *eps)
{
	if (!eps)
		return;
	free(eps->ep);
	free(eps->inv);
	free(eps);
}
