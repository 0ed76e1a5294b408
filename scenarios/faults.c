/* SPDX-License-Identifier: MIT */
/*
 * `fault ...` statements (docs/scenarios.md "Injected faults"): what a
 * buggy driver, a hostile OS or broken hardware would do to the machine.
 * Structure corruptions write simulated memory directly and then issue
 * the invalidation a driver would (STE, CD) or none at all (PTE), so the
 * SMMU sees exactly the bytes a real one would.
 *
 * External aborts: physical memory is one RAM region; an aborting range
 * is made by splitting it around an MMIO region whose accesses fail,
 * keeping the contents of the RAM around it.
 */
#define _GNU_SOURCE

#include "scn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/os.h"
#include "host/pgtable.h"
#include "host/platform.h"
#include "host/smmu_drv.h"
#include "host/smmu_regs.h"
#include "kshim.h"
#include "pasid/sva.h"
#include "pri/iopf.h"
#include "smmusim/pcie_ep.h"

#define PAGE UINT64_C(0x1000)

struct field {
	const char *name;
	struct fld f;
	bool addr; /* the value is an address kept in place */
};

static const struct field ste_fields[] = {
	{ "V", STE_V, false },
	{ "Config", STE_CONFIG, false },
	{ "S1Fmt", STE_S1FMT, false },
	{ "S1ContextPtr", STE_S1CONTEXTPTR, true },
	{ "S1CDMax", STE_S1CDMAX, false },
	{ "S1DSS", STE_S1DSS, false },
	{ "EATS", STE_EATS, false },
	{ "STRW", STE_STRW, false },
	{ "S2VMID", STE_S2VMID, false },
	{ "S2T0SZ", STE_S2T0SZ, false },
	{ "S2SL0", STE_S2SL0, false },
	{ "S2TG", STE_S2TG, false },
	{ "S2PS", STE_S2PS, false },
	{ "S2AA64", STE_S2AA64, false },
	{ "S2TTB", STE_S2TTB_ALL, true },
	{ "S1STALLD", STE_S1STALLD, false },
	{ "MEV", STE_MEV, false },
	{ NULL, { 0, 0, 0 }, false },
};

static const struct field cd_fields[] = {
	{ "V", CD_V, false },
	{ "T0SZ", CD_T0SZ, false },
	{ "TG0", CD_TG0, false },
	{ "EPD0", CD_EPD0, false },
	{ "EPD1", CD_EPD1, false },
	{ "IPS", CD_IPS, false },
	{ "AA64", CD_AA64, false },
	{ "ASID", CD_ASID, false },
	{ "TTB0", CD_TTB0_ALL, true },
	{ "R", CD_R, false },
	{ "A", CD_A, false },
	{ "S", CD_S, false },
	{ "AFFD", CD_AFFD, false },
	{ "HA", CD_HA, false },
	{ "HD", CD_HD, false },
	{ NULL, { 0, 0, 0 }, false },
};

/* AArch64 stage-1 page/block descriptor fields */
static const struct field pte_fields[] = {
	{ "valid", FLD(0, 0, 0), false },
	{ "table", FLD(0, 1, 1), false },
	{ "AttrIndx", FLD(0, 4, 2), false },
	{ "AP", FLD(0, 7, 6), false },
	{ "AF", FLD(0, 10, 10), false },
	{ "nG", FLD(0, 11, 11), false },
	{ "OA", FLD(0, 47, 12), true },
	{ "PXN", FLD(0, 53, 53), false },
	{ "UXN", FLD(0, 54, 54), false },
	{ NULL, { 0, 0, 0 }, false },
};

/* SMMU_CR0 */
static const struct field cr0_fields[] = {
	{ "SMMUEN", FLD(0, 0, 0), false },
	{ "PRIQEN", FLD(0, 1, 1), false },
	{ "EVENTQEN", FLD(0, 2, 2), false },
	{ "CMDQEN", FLD(0, 3, 3), false },
	{ "ATSCHK", FLD(0, 4, 4), false },
	{ NULL, { 0, 0, 0 }, false },
};

static const char *field_list(const struct field *t, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (; t->name && n + 1 < len; t++) {
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				 t->name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

/*
 * Apply the FIELD=VALUE arguments of st to the words (already read);
 * every key=value argument is a field.
 */
static int apply_fields(struct scn_ctx *c, const struct scn_stmt *st,
			const struct field *table, const char *what,
			uint64_t *w)
{
	unsigned nf = 0;

	for (unsigned i = 0; i < st->nargs; i++) {
		const struct scn_arg *a = &st->args[i];
		const struct field *f;
		uint64_t v, m;
		char list[400];

		if (!a->key || (table == pte_fields &&
				strcmp(a->key, "level") == 0))
			continue;
		for (f = table; f->name; f++)
			if (strcmp(f->name, a->key) == 0)
				break;
		if (!f->name)
			return scn_error(c, &a->loc,
					 "fault %s: unknown field '%s' (%s)",
					 what, a->key,
					 field_list(table, list, sizeof(list)));
		if (scn_num(c, a, &v))
			return -1;
		m = fld_mask(f->f);
		if (f->addr) {
			if (v & ~m)
				return scn_error(c, &a->vloc,
						 "fault %s: %s=%s does not fit bits [%u:%u]",
						 what, f->name, a->value,
						 f->f.hi, f->f.lo);
			w[f->f.dw] = (w[f->f.dw] & ~m) | v;
		} else {
			if (v > (m >> f->f.lo))
				return scn_error(c, &a->vloc,
						 "fault %s: %s=%s is wider than %u bits",
						 what, f->name, a->value,
						 f->f.hi - f->f.lo + 1);
			fset(w, f->f, v);
		}
		nf++;
	}
	if (!nf)
		return scn_error(c, &st->loc, "fault %s: no FIELD=VALUE given",
				 what);
	return 0;
}

/* Only positional arguments (FIELD=VALUE are checked by apply_fields). */
static int check_pos(struct scn_ctx *c, const struct scn_stmt *st,
		     unsigned n)
{
	unsigned got = 0;

	for (unsigned i = 0; i < st->nargs; i++) {
		if (st->args[i].key)
			continue;
		if (got++ >= n)
			return scn_error(c, &st->args[i].loc,
					 "fault %s: unexpected argument '%s'",
					 st->args[0].value, st->args[i].value);
	}
	if (got < n)
		return scn_error(c, &st->loc, "fault %s: missing argument",
				 st->args[0].value);
	return 0;
}

static const struct scn_arg *posn(const struct scn_stmt *st, unsigned i)
{
	unsigned n = 0;

	for (unsigned j = 0; j < st->nargs; j++)
		if (!st->args[j].key && n++ == i)
			return &st->args[j];
	return NULL;
}

/* Make the driver continue after a command error, as Linux does: the
 * failing command becomes a CMD_SYNC, then the error is acknowledged. */
static void recover_cmdq(struct scn_ctx *c)
{
	struct hsmmu *drv = c->plat->drv;
	uint64_t base = hsmmu_read64(drv, R_CMDQ_BASE);
	unsigned log2 = (unsigned)(base & 0x1F);
	uint64_t qpa = base & (((UINT64_C(1) << 56) - 1) & ~UINT64_C(0x1F));
	uint32_t cons = hsmmu_read32(drv, R_CMDQ_CONS);
	uint64_t slot = qpa + (uint64_t)(cons & ((1u << log2) - 1)) * 16;
	uint32_t e = hsmmu_cmd_error(drv);

	if (e) {
		c->last_cerror = e;
		scn_mark(c, "cmd-error %s",
			 e == 1 ? "CERROR_ILL" : e == 2 ? "CERROR_ABT" :
			 e == 3 ? "CERROR_ATC_INV_SYNC" : "unknown");
	}
	c->gerror_seen |= hsmmu_read32(drv, R_GERROR) ^
			  hsmmu_read32(drv, R_GERRORN);
	pmem_write64(c->plat->mem, slot, OP_CMD_SYNC, NULL);
	pmem_write64(c->plat->mem, slot + 8, 0, NULL);
	hsmmu_ack_cmd_error(drv);
	hsmmu_sync(drv);
}

static int issue(struct scn_ctx *c, const uint64_t cmd[2])
{
	struct hsmmu *drv = c->plat->drv;
	int ret = hsmmu_cmd(drv, cmd);

	if (!ret)
		ret = hsmmu_sync(drv);
	if (ret == -EIO)
		recover_cmdq(c);
	return ret;
}

static struct sva_dev *sdev_of(struct scn_dev *d)
{
	return d->kdev ? kshim_device_sva(d->kdev) : NULL;
}

static uint64_t ste_pa(struct scn_ctx *c, struct scn_dev *d)
{
	if (d->kdev)
		return sva_dev_ste_pa(sdev_of(d));
	return hsmmu_ste_pa(c->plat->drv, d->sid);
}

static int rw_entry(struct scn_ctx *c, uint64_t pa, uint64_t *w, bool write)
{
	for (unsigned i = 0; i < 8; i++) {
		enum mem_result r =
			write ? pmem_write64(c->plat->mem, pa + 8 * i, w[i], NULL) :
				pmem_read64(c->plat->mem, pa + 8 * i, &w[i], NULL);

		if (r != MEM_OK)
			return -1;
	}
	return 0;
}

static int f_ste(struct scn_ctx *c, const struct scn_stmt *st)
{
	uint64_t w[8], pa, cmd[2] = { 0, 0 };
	struct scn_dev *d;
	int di;

	if (check_pos(c, st, 2))
		return -1;
	di = scn_find_dev(c, posn(st, 1));
	if (di < 0)
		return -1;
	d = &c->devs[di];
	kshim_model_lock();
	pa = ste_pa(c, d);
	kshim_model_unlock();
	if (!pa)
		return scn_fail(c, st, "device %s has no STE (sid 0x%x)",
				d->name, d->sid);
	kshim_model_lock();
	if (rw_entry(c, pa, w, false)) {
		kshim_model_unlock();
		return scn_fail(c, st, "cannot read the STE at 0x%llx",
				(unsigned long long)pa);
	}
	kshim_model_unlock();
	if (apply_fields(c, st, ste_fields, "ste", w))
		return -1;
	kshim_model_lock();
	rw_entry(c, pa, w, true);
	fset(cmd, CMD_OPCODE, OP_CFGI_STE);
	fset(cmd, CMD_SID, d->sid);
	fset(cmd, CMD_LEAF, 1);
	issue(c, cmd);
	kshim_model_unlock();
	scn_mark(c, "fault ste %s", d->name);
	return 0;
}

static int f_cd(struct scn_ctx *c, const struct scn_stmt *st)
{
	uint64_t w[8], pa, cmd[2] = { 0, 0 };
	struct scn_dev *d;
	uint32_t pasid;
	int di;

	if (check_pos(c, st, 3))
		return -1;
	di = scn_find_dev(c, posn(st, 1));
	if (di < 0)
		return -1;
	d = &c->devs[di];
	if (scn_pasid(c, posn(st, 2), &pasid))
		return -1;
	if (!d->kdev)
		return scn_fail(c, st, "device %s has no CD table (not mode=sva)",
				d->name);
	kshim_model_lock();
	pa = sva_dev_cd_pa(sdev_of(d), pasid);
	if (pa && rw_entry(c, pa, w, false))
		pa = 0;
	kshim_model_unlock();
	if (!pa)
		return scn_fail(c, st, "device %s has no CD for PASID %u",
				d->name, pasid);
	if (apply_fields(c, st, cd_fields, "cd", w))
		return -1;
	kshim_model_lock();
	rw_entry(c, pa, w, true);
	fset(cmd, CMD_OPCODE, OP_CFGI_CD);
	fset(cmd, CMD_SID, d->sid);
	fset(cmd, CMD_SSID, pasid);
	fset(cmd, CMD_LEAF, 1);
	issue(c, cmd);
	kshim_model_unlock();
	scn_mark(c, "fault cd %s %u", d->name, pasid);
	return 0;
}

static struct hmm *mm_of(struct scn_ctx *c, int p)
{
	struct hproc *h = kshim_task_hproc(c->procs[p].t);

	return h ? hproc_mm(h) : NULL;
}

/* The PA of the descriptor at `level` on the walk for va (0 if the walk
 * ends before it), 4 KiB granule. */
static uint64_t desc_pa(struct scn_ctx *c, struct hmm *mm, uint64_t va,
			int level)
{
	struct pgtable *pt = hmm_pgtable(mm);
	uint64_t tbl = pt->root;

	if (pt->granule_shift != 12)
		return 0;
	for (int l = pt->start_level; l <= 3; l++) {
		unsigned shift = 12 + 9 * (unsigned)(3 - l);
		uint64_t pa = tbl + ((va >> shift) & 511) * 8, desc;

		if (l == level)
			return pa;
		if (pmem_read64(c->plat->mem, pa, &desc, NULL) != MEM_OK ||
		    (desc & 3) != 3 || l == 3)
			return 0;
		tbl = desc & UINT64_C(0x0000FFFFFFFFF000);
	}
	return 0;
}

static int f_pte(struct scn_ctx *c, const struct scn_stmt *st)
{
	uint64_t va, pa, leaf = 0, desc, level = 4;
	const struct scn_arg *la = scn_kv(st, "level");
	struct hmm *mm;
	int p;
	bool ok;

	if (check_pos(c, st, 3))
		return -1;
	p = scn_find_proc(c, posn(st, 1));
	if (p < 0 || scn_addr(c, p, posn(st, 2), &va))
		return -1;
	if (la && (scn_num(c, la, &level) || level > 3))
		return level > 3 ? scn_error(c, &la->vloc,
					     "level must be 0..3") : -1;
	kshim_model_lock();
	mm = mm_of(c, p);
	ok = mm && hmm_ttb(mm);
	if (ok && la)
		ok = (leaf = desc_pa(c, mm, va, (int)level)) != 0;
	else if (ok)
		ok = pgtable_lookup(hmm_pgtable(mm), va, &pa, &leaf) && leaf;
	if (ok)
		ok = pmem_read64(c->plat->mem, leaf, &desc, NULL) == MEM_OK;
	kshim_model_unlock();
	if (!ok)
		return scn_fail(c, st,
				la ? "the walk for 0x%llx in %s does not reach that level" :
				     "no valid leaf descriptor maps 0x%llx in %s",
				(unsigned long long)va, c->procs[p].name);
	if (apply_fields(c, st, pte_fields, "pte", &desc))
		return -1;
	kshim_model_lock();
	{
		uint64_t old = 0;
		struct scn_pte_undo *u;

		pmem_read64(c->plat->mem, leaf, &old, NULL);
		c->pte_undo = realloc(c->pte_undo, (c->npte_undo + 1) *
						   sizeof(*c->pte_undo));
		if (!c->pte_undo)
			abort();
		u = &c->pte_undo[c->npte_undo++];
		u->pa = leaf;
		u->old = old;
		u->new_ = desc;
	}
	pmem_write64(c->plat->mem, leaf, desc, NULL);
	kshim_model_unlock();
	scn_mark(c, "fault pte %s 0x%llx desc=0x%llx", c->procs[p].name,
		 (unsigned long long)va, (unsigned long long)desc);
	return 0;
}

static int f_cr0(struct scn_ctx *c, const struct scn_stmt *st)
{
	struct hsmmu *drv = c->plat->drv;
	uint64_t v;
	unsigned t;

	if (check_pos(c, st, 1))
		return -1;
	kshim_model_lock();
	v = hsmmu_read32(drv, R_CR0);
	kshim_model_unlock();
	if (apply_fields(c, st, cr0_fields, "cr0", &v))
		return -1;
	kshim_model_lock();
	hsmmu_write32(drv, R_CR0, (uint32_t)v);
	for (t = 0; t < 100000 && hsmmu_read32(drv, R_CR0ACK) != v; t += 16)
		sim_run_until(c->plat->sim, sim_now(c->plat->sim) + 16);
	kshim_model_unlock();
	if (t >= 100000)
		return scn_fail(c, st, "CR0ACK did not follow");
	scn_mark(c, "fault cr0 0x%x", (unsigned)v);
	return 0;
}

static int f_vm(struct scn_ctx *c, const struct scn_stmt *st,
		const char *kind)
{
	static const char *const k_unmap[] = { "size", NULL };
	static const char *const k_mprot[] = { "size", "prot", NULL };
	uint64_t va, size = PAGE;
	unsigned prot = 0;
	int p, ret;
	bool reclaim = strcmp(kind, "reclaim") == 0;
	bool mprot = strcmp(kind, "mprotect") == 0;

	if (scn_check_args(c, st, 3, 3, reclaim ? NULL :
				   mprot ? k_mprot : k_unmap, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 1));
	if (p < 0 || scn_addr(c, p, scn_pos(st, 2), &va))
		return -1;
	if (!reclaim && scn_req_num(c, st, "size", &size))
		return -1;
	if (mprot) {
		if (!scn_kv(st, "prot"))
			return scn_error(c, &st->loc,
					 "fault mprotect: missing prot=");
		if (scn_prot(c, scn_kv(st, "prot"), &prot))
			return -1;
	}
	kshim_model_lock();
	if (reclaim) {
		struct hmm *mm = mm_of(c, p);

		ret = mm ? hos_reclaim(mm, va) : -ESRCH;
	} else if (mprot) {
		ret = hos_mprotect(kshim_task_hproc(c->procs[p].t),
				   va & ~(PAGE - 1), size, prot);
	} else {
		ret = hos_munmap(kshim_task_hproc(c->procs[p].t),
				 va & ~(PAGE - 1), size);
	}
	kshim_model_unlock();
	if (ret)
		return scn_fail(c, st, "%s failed: %s", kind,
				scn_errno_name(-ret));
	scn_mark(c, "fault %s %s 0x%llx", kind, c->procs[p].name,
		 (unsigned long long)va);
	return 0;
}

static int f_kill(struct scn_ctx *c, const struct scn_stmt *st)
{
	int p;

	if (scn_check_args(c, st, 2, 2, NULL, NULL))
		return -1;
	p = scn_find_proc(c, scn_pos(st, 1));
	if (p < 0)
		return -1;
	scn_mark(c, "fault kill %s", c->procs[p].name);
	kshim_exit(c->procs[p].t);
	c->procs[p].exited = true;
	kshim_flush_work();
	return 0;
}

static int f_queue(struct scn_ctx *c, const struct scn_stmt *st, bool *flag,
		   const char *q)
{
	const struct scn_arg *a;

	if (scn_check_args(c, st, 2, 2, NULL, NULL))
		return -1;
	a = scn_pos(st, 1);
	if (strcmp(a->value, "stop") == 0)
		*flag = true;
	else if (strcmp(a->value, "resume") == 0)
		*flag = false;
	else
		return scn_error(c, &a->vloc,
				 "fault %s: expected stop or resume, not '%s'",
				 q, a->value);
	scn_mark(c, "fault %s %s", q, a->value);
	return 0;
}

static int f_iopf(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "delay", NULL };
	const struct scn_arg *a;
	uint64_t v;

	if (scn_check_args(c, st, 1, 2, keys, NULL))
		return -1;
	if (!c->iopf)
		return scn_fail(c, st, "there is no I/O page-fault handler");
	a = scn_pos(st, 1);
	if (a && scn_kv(st, "delay"))
		return scn_error(c, &a->vloc,
				 "fault iopf: delay= or stop/resume, not both");
	if (!a) {
		if (scn_req_num(c, st, "delay", &v))
			return -1;
		kshim_model_lock();
		iopf_set_resp_delay(c->iopf, v);
		kshim_model_unlock();
		scn_mark(c, "fault iopf delay=%llu", (unsigned long long)v);
		return 0;
	}
	return f_queue(c, st, &c->iopf_stopped, "iopf");
}

static int f_atc_inv(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "delay", NULL };
	static const char *const flags[] = { "drop", "normal", NULL };
	struct scn_dev *d;
	uint64_t v = 50;
	int di;
	enum pcie_ep_inv_mode mode = PCIE_EP_INV_COMPLETE;

	if (scn_check_args(c, st, 2, 2, keys, flags))
		return -1;
	di = scn_find_dev(c, scn_pos(st, 1));
	if (di < 0)
		return -1;
	d = &c->devs[di];
	if (!d->ats)
		return scn_error(c, &scn_pos(st, 1)->vloc,
				 "fault atc-inv: device %s has no ATS",
				 d->name);
	if (scn_flag(st, "drop") + scn_flag(st, "normal") +
	    !!scn_kv(st, "delay") != 1)
		return scn_error(c, &st->loc,
				 "fault atc-inv: give one of delay=CYCLES, drop, normal");
	if (scn_kv(st, "delay") && scn_num(c, scn_kv(st, "delay"), &v))
		return -1;
	if (scn_flag(st, "drop"))
		mode = PCIE_EP_INV_NEVER;
	kshim_model_lock();
	pcie_ep_set_inv_mode(d->ep, mode, v);
	kshim_model_unlock();
	scn_mark(c, "fault atc-inv %s %s", d->name,
		 scn_flag(st, "drop") ? "drop" :
		 scn_flag(st, "normal") ? "normal" : "delay");
	return 0;
}

/* --- external aborts --- */

struct ram_piece {
	int id;
	uint64_t base, size;
};

static bool no_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	(void)ctx;
	(void)off;
	(void)size;
	*val = 0;
	return false;
}

static bool no_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	(void)ctx;
	(void)off;
	(void)size;
	(void)val;
	return false;
}

struct save_ctx {
	uint64_t lo, hi;
	struct scn_saved_page *v;
	unsigned n, cap;
};

static void save_page(void *ctx, uint64_t pa, const uint8_t *page)
{
	struct save_ctx *s = ctx;

	if (pa + PAGE <= s->lo || pa >= s->hi)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n].pa = pa;
	memcpy(s->v[s->n].data, page, PAGE);
	s->n++;
}

static struct scn_mreg *mreg_add(struct scn_ctx *c, int id, uint64_t base,
				 uint64_t size, bool ram)
{
	struct scn_mreg *r;

	if (id < 0 || c->nmregs >= sizeof(c->mregs) / sizeof(c->mregs[0]))
		return NULL;
	r = &c->mregs[c->nmregs++];
	r->id = id;
	r->base = base;
	r->size = size;
	r->ram = ram;
	r->keep = NULL;
	r->nkeep = 0;
	return r;
}

/* Make [a, a + n) abort: split the RAM piece holding it around an MMIO
 * region that refuses every access. 0, -ERANGE, -ENOSPC. */
static int mem_abort_range(struct scn_ctx *c, uint64_t a, uint64_t n)
{
	static const struct pmem_mmio_ops ops = { .read = no_read,
						  .write = no_write };
	struct pmem *m = c->plat->mem;
	struct save_ctx s = { 0 };
	struct scn_mreg piece;
	unsigned i;
	int id;

	if (!c->nmregs)
		mreg_add(c, 0, PLAT_RAM_BASE, PLAT_RAM_SIZE, true);
	if (c->nmregs + 3 > sizeof(c->mregs) / sizeof(c->mregs[0]))
		return -ENOSPC;
	for (i = 0; i < c->nmregs; i++)
		if (c->mregs[i].ram && a >= c->mregs[i].base &&
		    a + n <= c->mregs[i].base + c->mregs[i].size &&
		    a + n > a)
			break;
	if (i == c->nmregs)
		return -ERANGE;
	piece = c->mregs[i];
	c->mregs[i] = c->mregs[--c->nmregs];
	s.lo = piece.base;
	s.hi = piece.base + piece.size;
	pmem_for_each_page(m, save_page, &s);
	pmem_remove_region(m, piece.id);
	if (a > piece.base)
		mreg_add(c, pmem_add_ram(m, piece.base, a - piece.base),
			 piece.base, a - piece.base, true);
	if (a + n < s.hi)
		mreg_add(c, pmem_add_ram(m, a + n, s.hi - (a + n)), a + n,
			 s.hi - (a + n), true);
	id = pmem_add_mmio(m, a, n, &ops, NULL);
	struct scn_mreg *mr = mreg_add(c, id, a, n, false);

	for (unsigned j = 0; mr && j < s.n; j++) {
		if (s.v[j].pa + PAGE <= a || s.v[j].pa >= a + n)
			continue;
		mr->keep = realloc(mr->keep, (mr->nkeep + 1) *
						     sizeof(*mr->keep));
		if (!mr->keep)
			abort();
		mr->keep[mr->nkeep++] = s.v[j];
	}
	for (unsigned j = 0; j < s.n; j++) {
		uint64_t pa = s.v[j].pa;

		for (uint64_t off = 0; off < PAGE; off += 8) {
			uint64_t x = pa + off, w;

			if ((x >= a && x < a + n) || x < s.lo || x >= s.hi)
				continue;
			memcpy(&w, &s.v[j].data[off], 8);
			if (w)
				pmem_write64(m, x, w, NULL);
		}
	}
	free(s.v);
	return id < 0 ? -ENOMEM : 0;
}

/* The aborting range at base becomes RAM again (zero-filled). */
static void mem_abort_clear(struct scn_ctx *c, uint64_t base)
{
	for (unsigned i = 0; i < c->nmregs; i++) {
		struct scn_mreg *r = &c->mregs[i];

		if (r->ram || r->base != base)
			continue;
		pmem_remove_region(c->plat->mem, r->id);
		r->id = pmem_add_ram(c->plat->mem, r->base, r->size);
		r->ram = true;
		for (unsigned j = 0; j < r->nkeep; j++) {
			uint64_t pa = r->keep[j].pa;

			for (uint64_t off = 0; off < PAGE; off += 8) {
				uint64_t x = pa + off, w;

				if (x < r->base || x >= r->base + r->size)
					continue;
				memcpy(&w, &r->keep[j].data[off], 8);
				if (w)
					pmem_write64(c->plat->mem, x, w, NULL);
			}
		}
		free(r->keep);
		r->keep = NULL;
		r->nkeep = 0;
		return;
	}
}

static int parse_dev_pasid(struct scn_ctx *c, const struct scn_arg *a,
			   const char *v, int *di, uint32_t *pasid)
{
	const char *colon = strchr(v, ':');
	struct scn_arg t = *a;
	char name[64];

	if (!colon || (size_t)(colon - v) >= sizeof(name))
		return scn_error(c, &a->vloc, "expected DEV:PASID, not '%s'",
				 v);
	snprintf(name, sizeof(name), "%.*s", (int)(colon - v), v);
	t.value = name;
	*di = scn_find_dev(c, &t);
	if (*di < 0)
		return -1;
	t.value = (char *)(colon + 1);
	return scn_pasid(c, &t, pasid);
}

/* The PA of the level-`level` table used to translate va. */
static uint64_t table_pa(struct scn_ctx *c, struct hmm *mm, uint64_t va,
			 int level)
{
	uint64_t d = desc_pa(c, mm, va, level);

	return d & ~(PAGE - 1);
}

static int f_mem_abort(struct scn_ctx *c, const struct scn_stmt *st)
{
	static const char *const keys[] = { "pa", "size", "ste", "cd", "page",
					    "table", NULL };
	const struct scn_arg *a;
	uint64_t base = 0, size = 0;
	int ret;

	if (scn_check_args(c, st, 1, 1, keys, NULL))
		return -1;
	if ((a = scn_kv(st, "pa"))) {
		if (scn_num(c, a, &base) || scn_req_num(c, st, "size", &size))
			return -1;
	} else if ((a = scn_kv(st, "ste"))) {
		int di = scn_find_dev(c, a);

		if (di < 0)
			return -1;
		kshim_model_lock();
		base = ste_pa(c, &c->devs[di]);
		kshim_model_unlock();
		size = 64;
	} else if ((a = scn_kv(st, "cd"))) {
		int di = -1;
		uint32_t pasid = 0;

		if (parse_dev_pasid(c, a, a->value, &di, &pasid))
			return -1;
		if (!c->devs[di].kdev)
			return scn_fail(c, st, "device %s has no CD table",
					c->devs[di].name);
		kshim_model_lock();
		base = sva_dev_cd_pa(sdev_of(&c->devs[di]), pasid);
		kshim_model_unlock();
		size = 64;
	} else if ((a = scn_kv(st, "page")) || (a = scn_kv(st, "table"))) {
		bool table = strcmp(a->key, "table") == 0;
		char buf[128], *p1, *p2 = NULL;
		struct scn_arg t = *a;
		uint64_t va, pa, leaf, lvl = 0;
		int p;

		snprintf(buf, sizeof(buf), "%s", a->value);
		p1 = strchr(buf, ':');
		if (p1)
			*p1++ = 0;
		if (p1 && table) {
			p2 = strrchr(p1, ':');
			if (p2)
				*p2++ = 0;
		}
		if (!p1 || (table && !p2))
			return scn_error(c, &a->vloc,
					 table ? "expected PROC:ADDR:LEVEL, not '%s'" :
						 "expected PROC:ADDR, not '%s'",
					 a->value);
		t.value = buf;
		p = scn_find_proc(c, &t);
		if (p < 0)
			return -1;
		t.value = p1;
		if (scn_addr(c, p, &t, &va))
			return -1;
		if (table && (!scn_parse_u64(p2, &lvl) || lvl > 3))
			return scn_error(c, &a->vloc,
					 "bad table level '%s' (0..3)", p2);
		kshim_model_lock();
		struct hmm *mm = mm_of(c, p);

		if (!mm || !hmm_ttb(mm)) {
			base = 0;
		} else if (table) {
			base = table_pa(c, mm, va, (int)lvl);
			size = PAGE;
		} else if (pgtable_lookup(hmm_pgtable(mm), va, &pa, &leaf)) {
			base = pa & ~(PAGE - 1);
			size = PAGE;
		}
		kshim_model_unlock();
		if (!base)
			return scn_fail(c, st, "nothing maps 0x%llx in %s",
					(unsigned long long)va,
					c->procs[p].name);
	} else {
		return scn_error(c, &st->loc,
				 "fault mem-abort: give pa= size=, ste=, cd=, page= or table=");
	}
	if (!base || !size)
		return scn_fail(c, st, "no such structure in memory");
	kshim_model_lock();
	ret = mem_abort_range(c, base, size);
	kshim_model_unlock();
	if (ret)
		return scn_fail(c, st,
				"cannot make [0x%llx, +0x%llx) abort: not within RAM",
				(unsigned long long)base,
				(unsigned long long)size);
	scn_mark(c, "fault mem-abort pa=0x%llx size=0x%llx",
		 (unsigned long long)base, (unsigned long long)size);
	return 0;
}

static int f_command(struct scn_ctx *c, const struct scn_stmt *st)
{
	uint64_t cmd[2] = { 0, 0 };
	const struct scn_arg *a;

	if (scn_check_args(c, st, 2, 3, NULL, NULL))
		return -1;
	a = scn_pos(st, 1);
	if (strcmp(a->value, "illegal") == 0) {
		if (scn_pos(st, 2))
			return scn_error(c, &scn_pos(st, 2)->vloc,
					 "fault command illegal: unexpected argument");
		cmd[0] = 0xFF; /* no such opcode */
	} else if (strcmp(a->value, "abort") == 0) {
		struct hsmmu *drv = c->plat->drv;
		uint64_t base, qpa, slot;
		unsigned log2;
		uint32_t prod;
		int ret;

		if (scn_pos(st, 2))
			return scn_error(c, &scn_pos(st, 2)->vloc,
					 "fault command abort: unexpected argument");
		kshim_model_lock();
		base = hsmmu_read64(drv, R_CMDQ_BASE);
		log2 = (unsigned)(base & 0x1F);
		qpa = base & (((UINT64_C(1) << 56) - 1) & ~UINT64_C(0x1F));
		prod = hsmmu_read32(drv, R_CMDQ_PROD);
		slot = qpa + (uint64_t)(prod & ((1u << log2) - 1)) * 16;
		/* the next command's slot aborts while it is fetched */
		ret = mem_abort_range(c, slot, 16);
		if (!ret) {
			hsmmu_sync(drv);
			mem_abort_clear(c, slot);
			recover_cmdq(c);
		}
		kshim_model_unlock();
		if (ret)
			return scn_fail(c, st, "cannot make the queue abort");
		scn_mark(c, "fault command abort");
		return 0;
	} else {
		if (!scn_pos(st, 2))
			return scn_error(c, &st->loc,
					 "fault command: expected W0 W1, illegal or abort");
		if (scn_num(c, a, &cmd[0]) || scn_num(c, scn_pos(st, 2), &cmd[1]))
			return -1;
	}
	kshim_model_lock();
	issue(c, cmd);
	kshim_model_unlock();
	scn_mark(c, "fault command 0x%016llx 0x%016llx",
		 (unsigned long long)cmd[0], (unsigned long long)cmd[1]);
	return 0;
}

int scn_do_fault(struct scn_ctx *c, const struct scn_stmt *st)
{
	const struct scn_arg *k = st->nargs ? &st->args[0] : NULL;
	const char *v;

	if (!k || k->key)
		return scn_error(c, &st->loc, "fault: missing fault kind");
	v = k->value;
	if (!strcmp(v, "ste") || !strcmp(v, "cd") || !strcmp(v, "pte") ||
	    !strcmp(v, "cr0") || !strcmp(v, "mem-abort") ||
	    !strcmp(v, "command"))
		c->corrupted = true;
	if (strcmp(v, "ste") == 0)
		return f_ste(c, st);
	if (strcmp(v, "cd") == 0)
		return f_cd(c, st);
	if (strcmp(v, "pte") == 0)
		return f_pte(c, st);
	if (strcmp(v, "unmap") == 0 || strcmp(v, "mprotect") == 0 ||
	    strcmp(v, "reclaim") == 0)
		return f_vm(c, st, v);
	if (strcmp(v, "kill") == 0)
		return f_kill(c, st);
	if (strcmp(v, "cr0") == 0)
		return f_cr0(c, st);
	if (strcmp(v, "evtq") == 0)
		return f_queue(c, st, &c->evtq_stopped, "evtq");
	if (strcmp(v, "priq") == 0)
		return f_queue(c, st, &c->priq_stopped, "priq");
	if (strcmp(v, "iopf") == 0)
		return f_iopf(c, st);
	if (strcmp(v, "atc-inv") == 0)
		return f_atc_inv(c, st);
	if (strcmp(v, "mem-abort") == 0)
		return f_mem_abort(c, st);
	if (strcmp(v, "command") == 0)
		return f_command(c, st);
	return scn_error(c, &k->vloc,
			 "fault: unknown kind '%s' (ste, cd, pte, cr0, unmap, mprotect, reclaim, kill, evtq, priq, iopf, atc-inv, mem-abort, command)",
			 v);
}

void scn_faults_cleanup(struct scn_ctx *c)
{
	/* Aborting ranges become RAM again, so teardown can write there. */
	kshim_model_lock();
	for (unsigned i = 0; i < c->nmregs; i++)
		if (!c->mregs[i].ram)
			mem_abort_clear(c, c->mregs[i].base);
	/* Descriptors we changed and nobody changed since get their old
	 * value back, newest first, so the OS finds its pages and tables. */
	for (unsigned i = c->npte_undo; i-- > 0;) {
		struct scn_pte_undo *u = &c->pte_undo[i];
		uint64_t cur = 0;

		if (pmem_read64(c->plat->mem, u->pa, &cur, NULL) == MEM_OK &&
		    cur == u->new_)
			pmem_write64(c->plat->mem, u->pa, u->old, NULL);
	}
	free(c->pte_undo);
	c->pte_undo = NULL;
	c->npte_undo = 0;
	kshim_model_unlock();
}
