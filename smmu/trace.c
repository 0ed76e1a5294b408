/* SPDX-License-Identifier: MIT */
/*
 * The SMMU's trace: one line per architecturally visible action, in the
 * format of docs/trace-format.md (version 1). The concept files call the
 * trace_*() functions below at the point where the action becomes visible
 * (a register access completes, a command is consumed, a record is
 * written, an interrupt is signalled, a response is decided), guarded by
 * trace_on() so an untraced model pays one test per site.
 *
 * Every record is stamped with the simulated time at which it is written,
 * so a trace is in time order by construction.
 */
#include "smmu/cmdq.h"
#include "smmu/regs.h"
#include "smmu/smmu_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct smmu_trace {
	FILE *f;
	unsigned flags;
};

#define X64(v) ((unsigned long long)(v))

static void rec_begin(struct smmu *smmu, const char *kind)
{
	fprintf(smmu->trace->f, "%" PRIu64 " %s", sim_now(smmu->sim), kind);
}

static void rec_end(struct smmu *smmu)
{
	fputc('\n', smmu->trace->f);
}

static void field(struct smmu *smmu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void field(struct smmu *smmu, const char *fmt, ...)
{
	va_list ap;

	fputc(' ', smmu->trace->f);
	va_start(ap, fmt);
	vfprintf(smmu->trace->f, fmt, ap);
	va_end(ap);
}

static void field_ssid(struct smmu *smmu, bool ssv, uint32_t ssid)
{
	if (ssv)
		field(smmu, "ssid=0x%" PRIx32, ssid);
	else
		field(smmu, "ssid=-");
}

/* --- memory writes by software (MEM_W, MEM_FILL) ---------------------- */

static void mem_write_seen(void *ctx, enum pmem_agent agent, uint64_t addr,
			   const void *buf, size_t len)
{
	struct smmu *smmu = ctx;
	const uint8_t *b = buf;

	if (agent != PMEM_AGENT_CPU || !smmu->trace)
		return;
	rec_begin(smmu, "MEM_W");
	field(smmu, "addr=0x%llx", X64(addr));
	field(smmu, "size=%zu", len);
	if (len == 1 || len == 2 || len == 4 || len == 8) {
		uint64_t v = 0;

		for (size_t i = 0; i < len; i++)
			v |= (uint64_t)b[i] << (8 * i);
		field(smmu, "val=0x%llx", X64(v));
	} else {
		fputs(" data=", smmu->trace->f);
		for (size_t i = 0; i < len; i++)
			fprintf(smmu->trace->f, "%02x", b[i]);
	}
	rec_end(smmu);
}

static void mem_fill_seen(void *ctx, enum pmem_agent agent, uint64_t addr,
			  uint8_t byte, size_t len)
{
	struct smmu *smmu = ctx;

	if (agent != PMEM_AGENT_CPU || !smmu->trace)
		return;
	rec_begin(smmu, "MEM_FILL");
	field(smmu, "addr=0x%llx", X64(addr));
	field(smmu, "size=%zu", len);
	field(smmu, "byte=0x%x", byte);
	rec_end(smmu);
}

static void region_seen(void *ctx, bool added, enum pmem_region_kind kind,
			uint64_t base, uint64_t size)
{
	struct smmu *smmu = ctx;

	if (!smmu->trace)
		return;
	rec_begin(smmu, "MEM_MAP");
	field(smmu, "op=%s", added ? "add" : "remove");
	field(smmu, "kind=%s", kind == PMEM_RAM ? "ram" : "mmio");
	field(smmu, "addr=0x%llx", X64(base));
	field(smmu, "size=0x%llx", X64(size));
	rec_end(smmu);
}

/* --- starting and stopping -------------------------------------------- */

bool smmu_trace_open(struct smmu *smmu, FILE *f, unsigned flags)
{
	struct smmu_trace *t;

	if (!smmu || !f)
		return false;
	smmu_trace_close(smmu);
	t = calloc(1, sizeof(*t));
	if (!t)
		return false;
	t->f = f;
	t->flags = flags;
	smmu->trace = t;
	if (!(flags & SMMU_TRACE_NO_HEADER)) {
		fprintf(f, "# smmusim-trace 1\n# source: smmusim %s\n",
			SMMUSIM_VERSION);
		if (smmu->impl.name[0])
			fprintf(f, "# preset: %s\n", smmu->impl.name);
	}
	if (flags & SMMU_TRACE_MEM) {
		const struct pmem_observer o = { .write = mem_write_seen,
						 .fill = mem_fill_seen,
						 .region = region_seen,
						 .ctx = smmu };

		pmem_set_observer(smmu->mem, &o);
	}
	return true;
}

void smmu_trace_close(struct smmu *smmu)
{
	if (!smmu || !smmu->trace)
		return;
	if (smmu->trace->flags & SMMU_TRACE_MEM)
		pmem_set_observer(smmu->mem, NULL);
	fflush(smmu->trace->f);
	free(smmu->trace);
	smmu->trace = NULL;
}

/* --- registers (§6) --------------------------------------------------- */

void trace_mmio(struct smmu *smmu, bool write, uint64_t off, unsigned size,
		uint64_t val, bool ok)
{
	bool hi = false;
	const char *name = regs_name_at(off, size, &hi);

	rec_begin(smmu, write ? "MMIO_W" : "MMIO_R");
	field(smmu, "off=0x%llx", X64(off));
	field(smmu, "reg=%s%s", name ? name : "?", hi ? "_HI" : "");
	field(smmu, "size=%u", size);
	field(smmu, "val=0x%llx", X64(val));
	if (!ok)
		field(smmu, "abort=1");
	rec_end(smmu);
}

/* --- commands (§4) ---------------------------------------------------- */

static const char *const cerror_names[] = {
	[CERROR_NONE] = "CERROR_NONE",
	[CERROR_ILL] = "CERROR_ILL",
	[CERROR_ABT] = "CERROR_ABT",
	[CERROR_ATC_INV_SYNC] = "CERROR_ATC_INV_SYNC",
};

static void field_op(struct smmu *smmu, const uint64_t *cmd)
{
	const char *name = cmd ? cmdq_op_name(cmd) : NULL;

	if (!cmd)
		field(smmu, "op=-");
	else if (name)
		field(smmu, "op=%s", name);
	else
		field(smmu, "op=CMD_0x%02x", (unsigned)(cmd[0] & 0xFF));
}

void trace_cmd(struct smmu *smmu, uint32_t idx, const uint64_t cmd[2])
{
	struct cmd_args a;

	rec_begin(smmu, "CMD");
	field(smmu, "idx=%" PRIu32, idx);
	field_op(smmu, cmd);
	field(smmu, "w0=0x%llx", X64(cmd[0]));
	field(smmu, "w1=0x%llx", X64(cmd[1]));
	cmdq_args(smmu, cmd, &a);
	if (a.has_sid)
		field(smmu, "sid=0x%" PRIx32, a.sid);
	if (a.has_ssid)
		field(smmu, "ssid=0x%" PRIx32, a.ssid);
	if (a.has_asid)
		field(smmu, "asid=0x%x", a.asid);
	if (a.has_vmid)
		field(smmu, "vmid=0x%x", a.vmid);
	if (a.has_addr)
		field(smmu, "addr=0x%llx", X64(a.addr));
	rec_end(smmu);
}

void trace_cmd_err(struct smmu *smmu, uint32_t idx, const uint64_t *cmd,
		   uint8_t cerror)
{
	rec_begin(smmu, "CMD_ERR");
	field(smmu, "idx=%" PRIu32, idx);
	field_op(smmu, cmd);
	if (cerror < sizeof(cerror_names) / sizeof(cerror_names[0]) &&
	    cerror_names[cerror])
		field(smmu, "cerror=%s", cerror_names[cerror]);
	else
		field(smmu, "cerror=0x%x", cerror);
	rec_end(smmu);
}

void trace_sync(struct smmu *smmu, uint32_t idx, unsigned cs)
{
	static const char *const cs_names[] = { "NONE", "IRQ", "SEV" };

	rec_begin(smmu, "SYNC");
	field(smmu, "idx=%" PRIu32, idx);
	field(smmu, "cs=%s", cs < 3 ? cs_names[cs] : "RESERVED");
	rec_end(smmu);
}

/* --- event queue (§7) ------------------------------------------------- */

static void field_type(struct smmu *smmu, uint8_t id)
{
	const char *name = smmu_event_name(id);

	if (name)
		field(smmu, "type=%s", name);
	else
		field(smmu, "type=EVT_0x%02x", id);
}

static void event_fields(struct smmu *smmu, const struct smmu_event *ev)
{
	field_type(smmu, ev->id);
	field(smmu, "sid=0x%" PRIx32, ev->sid);
	field_ssid(smmu, ev->ssv, ev->ssid);
	if (evtq_has_input_addr(ev->id))
		field(smmu, "addr=0x%llx", X64(ev->input_addr));
	if (ev->stall) {
		field(smmu, "stall=1");
		field(smmu, "stag=0x%x", ev->stag);
	}
}

void trace_evt(struct smmu *smmu, uint32_t idx, const uint64_t rec[4])
{
	struct smmu_event ev;

	evtq_decode(rec, &ev);
	rec_begin(smmu, "EVT");
	event_fields(smmu, &ev);
	field(smmu, "idx=%" PRIu32, idx);
	field(smmu, "rec=0x%llx:0x%llx:0x%llx:0x%llx", X64(rec[0]),
	      X64(rec[1]), X64(rec[2]), X64(rec[3]));
	rec_end(smmu);
}

void trace_evt_lost(struct smmu *smmu, const struct smmu_event *ev,
		    const char *reason)
{
	rec_begin(smmu, "EVT_LOST");
	event_fields(smmu, ev);
	field(smmu, "reason=%s", reason);
	rec_end(smmu);
}

/* --- PRI (§8) ------------------------------------------------------ */

static void page_request_fields(struct smmu *smmu,
				const struct smmu_page_request *m)
{
	field(smmu, "sid=0x%" PRIx32, m->sid);
	field_ssid(smmu, m->ssv, m->ssid);
	field(smmu, "addr=0x%llx", X64(m->addr));
	field(smmu, "grpidx=0x%x", m->prgi);
	field(smmu, "last=%d", m->last);
	field(smmu, "r=%d", m->read);
	field(smmu, "w=%d", m->write);
	field(smmu, "x=%d", m->exec);
	field(smmu, "priv=%d", m->priv);
}

void trace_ppr(struct smmu *smmu, const struct smmu_page_request *m)
{
	rec_begin(smmu, "PPR");
	page_request_fields(smmu, m);
	rec_end(smmu);
}

void trace_pri(struct smmu *smmu, const struct smmu_page_request *m,
	       uint32_t idx, const uint64_t rec[2])
{
	rec_begin(smmu, "PRI");
	page_request_fields(smmu, m);
	field(smmu, "idx=%" PRIu32, idx);
	field(smmu, "rec=0x%llx:0x%llx", X64(rec[0]), X64(rec[1]));
	rec_end(smmu);
}

void trace_pri_lost(struct smmu *smmu, const struct smmu_page_request *m,
		    const char *reason)
{
	rec_begin(smmu, "PRI_LOST");
	page_request_fields(smmu, m);
	field(smmu, "reason=%s", reason);
	rec_end(smmu);
}

void trace_prg_resp(struct smmu *smmu, const struct smmu_pri_resp *r)
{
	rec_begin(smmu, "PRG_RESP");
	field(smmu, "sid=0x%" PRIx32, r->sid);
	field_ssid(smmu, r->ssv, r->ssid);
	field(smmu, "grpidx=0x%x", r->prgi);
	switch (r->code) {
	case 0x0:
		field(smmu, "resp=SUCCESS");
		break;
	case 0x1:
		field(smmu, "resp=INVALID");
		break;
	case 0xF:
		field(smmu, "resp=FAILURE");
		break;
	default:
		field(smmu, "resp=0x%x", r->code);
		break;
	}
	rec_end(smmu);
}

/* --- interrupts (§3.18) --------------------------------------------- */

static const char *const irq_names[] = {
	[SMMU_IRQ_EVTQ] = "EVTQ",
	[SMMU_IRQ_PRIQ] = "PRIQ",
	[SMMU_IRQ_GERROR] = "GERROR",
	[SMMU_IRQ_CMD_SYNC] = "CMD_SYNC",
};

void trace_irq(struct smmu *smmu, enum smmu_irq_line line)
{
	rec_begin(smmu, "IRQ");
	field(smmu, "src=%s", irq_names[line]);
	rec_end(smmu);
}

void trace_msi(struct smmu *smmu, enum smmu_irq_line src, uint64_t addr,
	       uint32_t data, bool ok)
{
	rec_begin(smmu, "MSI");
	field(smmu, "src=%s", irq_names[src]);
	field(smmu, "addr=0x%llx", X64(addr));
	field(smmu, "data=0x%" PRIx32, data);
	if (!ok)
		field(smmu, "abort=1");
	rec_end(smmu);
}

void trace_gerror(struct smmu *smmu, unsigned bit)
{
	static const char *const names[] = {
		[GERROR_CMDQ_ERR] = "CMDQ_ERR",
		[GERROR_EVENTQ_ABT_ERR] = "EVENTQ_ABT_ERR",
		[GERROR_PRIQ_ABT_ERR] = "PRIQ_ABT_ERR",
		[GERROR_MSI_CMDQ_ABT_ERR] = "MSI_CMDQ_ABT_ERR",
		[GERROR_MSI_EVENTQ_ABT_ERR] = "MSI_EVENTQ_ABT_ERR",
		[GERROR_MSI_PRIQ_ABT_ERR] = "MSI_PRIQ_ABT_ERR",
		[GERROR_MSI_GERROR_ABT_ERR] = "MSI_GERROR_ABT_ERR",
		[GERROR_SFM_ERR] = "SFM_ERR",
	};

	rec_begin(smmu, "GERROR");
	if (bit < sizeof(names) / sizeof(names[0]) && names[bit])
		field(smmu, "bit=%s", names[bit]);
	else
		field(smmu, "bit=%u", bit);
	rec_end(smmu);
}

void trace_sev(struct smmu *smmu)
{
	rec_begin(smmu, "SEV");
	rec_end(smmu);
}

/* --- translations (§3, §13.1) --------------------------------------- */

static const char *const resp_names[] = {
	[SMMU_RESP_OK] = "OK",
	[SMMU_RESP_ABORT] = "ABORT",
	[SMMU_RESP_RAZWI] = "RAZWI",
	[SMMU_RESP_UR] = "UR",
	[SMMU_RESP_CA] = "CA",
};

static void request_fields(struct smmu *smmu, const struct smmu_txn *txn)
{
	field(smmu, "sid=0x%" PRIx32, txn->sid);
	field_ssid(smmu, txn->ssv, txn->ssid);
	field(smmu, "iova=0x%llx", X64(txn->addr));
	field(smmu, "access=%c", txn->write ? 'w' : txn->instr ? 'x' : 'r');
	field(smmu, "priv=%d", txn->priv);
}

static void field_perm(struct smmu *smmu, bool r, bool w, bool x)
{
	field(smmu, "perm=%c%c%c", r ? 'r' : '-', w ? 'w' : '-',
	      x ? 'x' : '-');
}

static void field_event(struct smmu *smmu, uint8_t id)
{
	const char *name = smmu_event_name(id);

	if (!id)
		field(smmu, "event=-");
	else if (name)
		field(smmu, "event=%s", name);
	else
		field(smmu, "event=EVT_0x%02x", id);
}

void trace_ats_req(struct smmu *smmu, const struct smmu_txn *txn)
{
	rec_begin(smmu, "ATS_REQ");
	request_fields(smmu, txn);
	field(smmu, "nw=%d", txn->no_write);
	rec_end(smmu);
}

void trace_txn(struct smmu *smmu, const struct smmu_txn *txn,
	       const struct smmu_txn_result *res)
{
	bool ok = res->resp == SMMU_RESP_OK;
	bool ats = txn->kind == SMMU_TXN_ATS_TREQ;

	rec_begin(smmu, ats ? "ATS_CPL"
		  : txn->kind == SMMU_TXN_TRANSLATED ? "XLATE_TR" : "XLATE");
	request_fields(smmu, txn);
	if (ats)
		field(smmu, "nw=%d", txn->no_write);
	else
		field(smmu, "size=%" PRIu32, txn->len);
	field(smmu, "result=%s", resp_names[res->resp]);
	if (ok)
		field(smmu, "oa=0x%llx", X64(res->oa));
	else
		field(smmu, "oa=-");
	if (ats) {
		field_perm(smmu, ok && res->ats_r, ok && res->ats_w,
			   ok && res->ats_x);
		field(smmu, "u=%d", ok && res->ats_u);
		field(smmu, "priv_cpl=%d", ok && res->ats_priv);
		field(smmu, "range=%u", ok ? res->ats_size_shift : 0);
	} else {
		field_perm(smmu, ok && (res->perm & SMMU_PERM_R),
			   ok && (res->perm & SMMU_PERM_W),
			   ok && (res->perm & SMMU_PERM_X));
	}
	field_event(smmu, res->event_id);
	field(smmu, "stalled=%d", res->stalled);
	field(smmu, "latency=%llu",
	      X64(res->completed_at - res->submitted_at));
	rec_end(smmu);
}

void trace_stall(struct smmu *smmu, const struct smmu_txn *txn,
		 uint16_t stag)
{
	rec_begin(smmu, "STALL");
	request_fields(smmu, txn);
	field(smmu, "size=%" PRIu32, txn->len);
	field(smmu, "stag=0x%x", stag);
	rec_end(smmu);
}

/* --- ATS invalidation (§3.9.1) ------------------------------------- */

void trace_atc_inv(struct smmu *smmu, const struct smmu_atc_inv *req)
{
	rec_begin(smmu, "ATC_INV");
	field(smmu, "sid=0x%" PRIx32, req->sid);
	field_ssid(smmu, req->ssv, req->ssid);
	field(smmu, "addr=0x%llx", X64(req->addr));
	field(smmu, "range=%u", req->span_log2);
	if (req->global)
		field(smmu, "g=1");
	rec_end(smmu);
}

void trace_atc_inv_cpl(struct smmu *smmu, uint32_t sid)
{
	rec_begin(smmu, "ATC_INV_CPL");
	field(smmu, "sid=0x%" PRIx32, sid);
	rec_end(smmu);
}
