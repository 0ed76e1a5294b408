/* SPDX-License-Identifier: MIT */
/*
 * An endpoint wired to a real SMMU model: the port is the SMMU's public
 * boundary (smmu_submit, smmu_pri_request, smmu_atc_inv_done) and the
 * SMMU reaches the endpoint through smmu_attach_endpoint(). Kept apart
 * from pcie_ep.c so that an endpoint used with a test double does not
 * need the SMMU's endpoint interface at link time.
 */
#include "smmusim/pcie_ep.h"

static bool port_submit(void *ctx, const struct smmu_txn *txn,
			smmu_txn_done_fn done, void *done_ctx)
{
	return smmu_submit(ctx, txn, done, done_ctx);
}

static void port_page_request(void *ctx, const struct smmu_page_request *pr)
{
	smmu_pri_request(ctx, pr);
}

static void port_inv_done(void *ctx, uint64_t tag)
{
	smmu_atc_inv_done(ctx, tag);
}

static void port_detach(void *ctx, uint32_t sid)
{
	smmu_detach_endpoint(ctx, sid);
}

bool pcie_ep_connect_smmu(struct pcie_ep *ep, struct smmu *smmu)
{
	struct smmu_endpoint_ops ops;
	struct pcie_ep_port port = {
		.submit = port_submit,
		.page_request = port_page_request,
		.inv_done = port_inv_done,
		.detach = port_detach,
		.ctx = smmu,
	};

	pcie_ep_endpoint_ops(ep, &ops);
	if (!smmu_attach_endpoint(smmu, pcie_ep_sid(ep), 1, &ops))
		return false;
	pcie_ep_set_port(ep, &port);
	return true;
}
