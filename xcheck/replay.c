/* SPDX-License-Identifier: MIT */
/*
 * smmusim replay: feed a replay log into a fresh model (replay.h).
 *
 * Time: an input stamped T is applied once the engine has fired every
 * event due at or before T. Software's inputs (register accesses, memory
 * writes) that share a stamp are applied one after the other with no
 * event in between: the recorded software acted at T after the engine
 * reached T, and the events its actions caused at T fired only when it
 * let time run again. A device's input (a transaction, a Page Request,
 * an Invalidate Completion) came from inside the engine, so what it sets
 * off at T fires at once, before the next input.
 */
#define _POSIX_C_SOURCE 200809L
#include "xcheck/replay.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "smmusim/mem.h"
#include "smmusim/sim.h"
#include "smmusim/smmu.h"
#include "xcheck/trace.h"

/* One ATS Invalidate Request the model sent and the log answers later. */
struct pending_inv {
	uint32_t sid;
	uint64_t tag;
};

struct replay {
	const char *name;
	struct sim *sim;
	struct pmem *mem;
	struct smmu *smmu;
	uint64_t base;
	/* StreamIDs that had ATS invalidations in the log */
	uint32_t *inv_sids;
	size_t n_inv_sids, cap_inv_sids;
	/* invalidations waiting for their ATC_INV_CPL, oldest first */
	struct pending_inv *inv;
	size_t n_inv, cap_inv;
	bool oom;
	char *msg;
	size_t msglen;
};

static int fail(struct replay *r, const struct trace_rec *rec,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct replay *r, const struct trace_rec *rec,
		const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (rec)
		n = snprintf(r->msg, r->msglen, "%s:%u: %s: ", r->name,
			     rec->line, rec->kind);
	if (n < 0 || (size_t)n >= r->msglen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, r->msglen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

static bool has_inv_sid(const struct replay *r, uint32_t sid)
{
	for (size_t i = 0; i < r->n_inv_sids; i++)
		if (r->inv_sids[i] == sid)
			return true;
	return false;
}

/* --- fields ------------------------------------------------------------ */

/* A required number field: 1 ok, -1 error in r->msg. */
static int need_num(struct replay *r, const struct trace_rec *rec,
		    const char *name, uint64_t *v)
{
	int got = trace_rec_num(rec, name, v, r->msg, r->msglen);

	if (got < 0)
		return -1;
	if (got == 0)
		return fail(r, rec, "field '%s' is missing", name);
	return 1;
}

static int opt_flag(struct replay *r, const struct trace_rec *rec,
		    const char *name, bool *v)
{
	uint64_t x = 0;
	int got = trace_rec_num(rec, name, &x, r->msg, r->msglen);

	if (got < 0)
		return -1;
	if (got > 0 && x > 1)
		return fail(r, rec, "field '%s' is not 0 or 1", name);
	*v = x == 1;
	return 1;
}

/* "ssid": a number or "-". */
static int get_ssid(struct replay *r, const struct trace_rec *rec, bool *ssv,
		    uint32_t *ssid)
{
	const char *s = trace_rec_get(rec, "ssid");
	uint64_t v;

	*ssv = false;
	*ssid = 0;
	if (!s || !strcmp(s, "-"))
		return 1;
	if (need_num(r, rec, "ssid", &v) < 0)
		return -1;
	if (v >= (1u << 20))
		return fail(r, rec, "ssid 0x%" PRIx64 " does not fit 20 bits",
			    v);
	*ssv = true;
	*ssid = (uint32_t)v;
	return 1;
}

static int get_sid(struct replay *r, const struct trace_rec *rec,
		   uint32_t *sid)
{
	uint64_t v;

	if (need_num(r, rec, "sid", &v) < 0)
		return -1;
	if (v > UINT32_MAX)
		return fail(r, rec, "sid 0x%" PRIx64 " does not fit 32 bits",
			    v);
	*sid = (uint32_t)v;
	return 1;
}

/* --- register accesses ------------------------------------------------- */

static enum mem_result mmio_access(struct replay *r, bool write, uint64_t off,
				   unsigned size, uint64_t *val)
{
	uint64_t a = r->base + off;
	uint8_t b[8] = { 0 };
	enum mem_result res;

	if (write) {
		for (unsigned i = 0; i < size; i++)
			b[i] = (uint8_t)(*val >> (8 * i));
		return pmem_write(r->mem, a, b, size, NULL);
	}
	res = pmem_read(r->mem, a, b, size, NULL);
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)b[i] << (8 * i);
	return res;
}

/* 0: applied and matched; 1: a read disagreed; -1: error. */
static int do_mmio(struct replay *r, const struct trace_rec *rec, bool write,
		   struct replay_stats *st)
{
	uint64_t off, size, val, got;
	bool abort_rec = false, abort_model;
	const char *reg = trace_rec_get(rec, "reg");

	if (need_num(r, rec, "off", &off) < 0 ||
	    need_num(r, rec, "size", &size) < 0 ||
	    need_num(r, rec, "val", &val) < 0 ||
	    opt_flag(r, rec, "abort", &abort_rec) < 0)
		return -1;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return fail(r, rec, "size %" PRIu64 " is not 1, 2, 4 or 8",
			    size);
	if (off >= SMMU_MMIO_SIZE)
		return fail(r, rec, "offset 0x%" PRIx64 " is outside the "
			    "register pages", off);
	got = val;
	abort_model = mmio_access(r, write, off, (unsigned)size, &got) !=
		      MEM_OK;
	if (write) {
		st->writes++;
	} else {
		st->reads++;
		if (!abort_model && !abort_rec && got != val) {
			snprintf(r->msg, r->msglen,
				 "%s:%u: MMIO_R %s (0x%" PRIx64 "): recorded "
				 "0x%" PRIx64 ", model 0x%" PRIx64, r->name,
				 rec->line, reg ? reg : "?", off, val, got);
			return 1;
		}
	}
	if (abort_model != abort_rec) {
		snprintf(r->msg, r->msglen,
			 "%s:%u: %s %s (0x%" PRIx64 "): recorded %s, model %s",
			 r->name, rec->line, rec->kind, reg ? reg : "?", off,
			 abort_rec ? "an abort" : "no abort",
			 abort_model ? "an abort" : "no abort");
		return 1;
	}
	return 0;
}

/* --- memory writes ----------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int do_mem_write(struct replay *r, const struct trace_rec *rec,
			struct replay_stats *st)
{
	uint64_t addr, size, val;
	const struct trace_field *data = trace_rec_field(rec, "data");
	uint8_t small[8];
	uint8_t *buf = small;
	enum mem_result res;

	if (need_num(r, rec, "addr", &addr) < 0 ||
	    need_num(r, rec, "size", &size) < 0)
		return -1;
	if (size == 0 || size > TRACE_LINE_MAX)
		return fail(r, rec, "size %" PRIu64 " is out of range", size);
	if (data) {
		size_t len = strlen(data->value);

		if (len != 2 * size)
			return fail(r, rec, "data has %zu hex digits, size "
				    "%" PRIu64 " needs %" PRIu64, len, size,
				    2 * size);
		buf = size > sizeof(small) ? malloc(size) : small;
		if (!buf)
			return fail(r, rec, "out of memory");
		for (uint64_t i = 0; i < size; i++) {
			int hi = hex_digit(data->value[2 * i]);
			int lo = hex_digit(data->value[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				if (buf != small)
					free(buf);
				return fail(r, rec, "data: '%c%c' at byte "
					    "%" PRIu64 " is not hex",
					    data->value[2 * i],
					    data->value[2 * i + 1], i);
			}
			buf[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		if (need_num(r, rec, "val", &val) < 0)
			return -1;
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return fail(r, rec, "val= needs size 1, 2, 4 or 8, "
				    "not %" PRIu64 " (use data=)", size);
		for (unsigned i = 0; i < size; i++)
			small[i] = (uint8_t)(val >> (8 * i));
	}
	res = pmem_write(r->mem, addr, buf, (size_t)size, NULL);
	if (buf != small)
		free(buf);
	if (res != MEM_OK)
		return fail(r, rec, "0x%" PRIx64 "+%" PRIu64 " is not RAM of "
			    "the replayed machine (see --ram)", addr, size);
	st->mem_writes++;
	return 0;
}

static int do_mem_fill(struct replay *r, const struct trace_rec *rec,
		       struct replay_stats *st)
{
	uint64_t addr, size, byte;

	if (need_num(r, rec, "addr", &addr) < 0 ||
	    need_num(r, rec, "size", &size) < 0 ||
	    need_num(r, rec, "byte", &byte) < 0)
		return -1;
	if (byte > 0xFF)
		return fail(r, rec, "byte 0x%" PRIx64 " is not a byte", byte);
	/* a hostile log must not make the host allocate gigabytes */
	if (size > REPLAY_FILL_MAX)
		return fail(r, rec, "size %" PRIu64 " is above the %u MiB a "
			    "fill may cover", size, REPLAY_FILL_MAX >> 20);
	if (size > PMEM_ADDR_LIMIT ||
	    pmem_fill(r->mem, addr, (uint8_t)byte, (size_t)size) != MEM_OK)
		return fail(r, rec, "0x%" PRIx64 "+%" PRIu64 " is not RAM of "
			    "the replayed machine (see --ram)", addr, size);
	st->mem_writes++;
	return 0;
}

/* --- what devices send -------------------------------------------------- */

static void response_dropped(void *ctx, const struct smmu_txn *txn,
			     const struct smmu_txn_result *res)
{
	(void)ctx;
	(void)txn;
	(void)res;
}

static int do_request(struct replay *r, const struct trace_rec *rec,
		      enum smmu_txn_kind kind, struct replay_stats *st)
{
	struct smmu_txn t;
	const char *access = trace_rec_get(rec, "access");
	uint64_t iova, size = 1;
	bool priv = false, nw = false;

	memset(&t, 0, sizeof(t));
	if (get_sid(r, rec, &t.sid) < 0 ||
	    get_ssid(r, rec, &t.ssv, &t.ssid) < 0 ||
	    need_num(r, rec, "iova", &iova) < 0 ||
	    opt_flag(r, rec, "priv", &priv) < 0 ||
	    opt_flag(r, rec, "nw", &nw) < 0)
		return -1;
	if (trace_rec_num(rec, "size", &size, r->msg, r->msglen) < 0)
		return -1;
	if (!access || strlen(access) != 1 || !strchr("rwx", access[0]))
		return fail(r, rec, "access '%s' is not r, w or x",
			    access ? access : "");
	if (size > UINT32_MAX)
		return fail(r, rec, "size %" PRIu64 " does not fit 32 bits",
			    size);
	t.addr = iova;
	t.len = (uint32_t)size;
	t.write = access[0] == 'w';
	t.instr = access[0] == 'x';
	t.priv = priv;
	t.no_write = nw;
	t.kind = kind;
	if (!smmu_submit(r->smmu, &t, response_dropped, NULL))
		return fail(r, rec, "the model could not accept it");
	st->requests++;
	return 0;
}

static int do_page_request(struct replay *r, const struct trace_rec *rec,
			   struct replay_stats *st)
{
	struct smmu_page_request m;
	uint64_t addr, grpidx;
	bool last = false, rd = false, wr = false, ex = false, pv = false;

	memset(&m, 0, sizeof(m));
	if (get_sid(r, rec, &m.sid) < 0 ||
	    get_ssid(r, rec, &m.ssv, &m.ssid) < 0 ||
	    need_num(r, rec, "addr", &addr) < 0 ||
	    need_num(r, rec, "grpidx", &grpidx) < 0 ||
	    opt_flag(r, rec, "last", &last) < 0 ||
	    opt_flag(r, rec, "r", &rd) < 0 || opt_flag(r, rec, "w", &wr) < 0 ||
	    opt_flag(r, rec, "x", &ex) < 0 ||
	    opt_flag(r, rec, "priv", &pv) < 0)
		return -1;
	if (grpidx > 0x1FF)
		return fail(r, rec, "grpidx 0x%" PRIx64 " does not fit 9 bits",
			    grpidx);
	m.addr = addr;
	m.prgi = (uint16_t)grpidx;
	m.last = last;
	m.read = rd;
	m.write = wr;
	m.exec = ex;
	m.priv = pv;
	smmu_pri_request(r->smmu, &m);
	st->requests++;
	return 0;
}

static void atc_inv_sent(void *ctx, const struct smmu_atc_inv *req)
{
	struct replay *r = ctx;

	if (!grow((void **)&r->inv, &r->cap_inv, r->n_inv, sizeof(*r->inv))) {
		r->oom = true;
		return;
	}
	r->inv[r->n_inv++] = (struct pending_inv){ .sid = req->sid,
						   .tag = req->tag };
}

static int do_inv_completion(struct replay *r, const struct trace_rec *rec,
			     struct replay_stats *st)
{
	uint32_t sid = 0;
	size_t i;

	if (get_sid(r, rec, &sid) < 0)
		return -1;
	for (i = 0; i < r->n_inv && r->inv[i].sid != sid; i++)
		;
	if (i == r->n_inv) {
		snprintf(r->msg, r->msglen,
			 "%s:%u: ATC_INV_CPL: the model has no ATS invalidation "
			 "outstanding for sid 0x%" PRIx32, r->name, rec->line,
			 sid);
		return 1;
	}
	uint64_t tag = r->inv[i].tag;

	memmove(&r->inv[i], &r->inv[i + 1],
		(r->n_inv - i - 1) * sizeof(*r->inv));
	r->n_inv--;
	smmu_atc_inv_done(r->smmu, tag);
	st->requests++;
	return 0;
}

/* --- the machine --------------------------------------------------------- */

bool replay_parse_ram(const char *s, uint64_t *base, uint64_t *size)
{
	char buf[64];
	const char *colon = strchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	return trace_parse_u64(buf, base) && trace_parse_u64(colon + 1, size);
}

/* "# impl: key=value ...": preset-file settings over the preset. */
static int apply_settings(struct replay *r, struct trace_reader *tr,
			  const char *v, struct smmu_impl *impl)
{
	char *copy = strdup(v), *save = NULL, *tok;
	char err[256];

	if (!copy) {
		snprintf(r->msg, r->msglen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq = '\0';
		if (!eq || !smmu_impl_set(impl, tok, eq + 1, err,
					  sizeof(err))) {
			snprintf(r->msg, r->msglen, "%s:%u: impl: %s", r->name,
				 trace_reader_header_line(tr, "impl"),
				 eq ? err : "a setting is not KEY=VALUE");
			free(copy);
			return -1;
		}
	}
	free(copy);
	return 0;
}

static int build(struct replay *r, struct trace_reader *tr,
		 const struct replay_opts *o)
{
	struct smmu_impl impl;
	uint64_t seed = 1, base = 0, ram_base[REPLAY_RAM_MAX];
	uint64_t ram_size[REPLAY_RAM_MAX];
	unsigned nram = o->nram;
	const char *v;

	if (o->impl) {
		impl = *o->impl;
	} else {
		v = trace_reader_header(tr, "preset");
		if (!v)
			v = "full";
		if (!smmu_impl_preset(v, &impl)) {
			snprintf(r->msg, r->msglen,
				 "%s:%u: preset '%s' is not built in: give "
				 "--preset", r->name,
				 trace_reader_header_line(tr, "preset"), v);
			return -1;
		}
	}
	v = trace_reader_header(tr, "impl");
	if (v && !o->impl && apply_settings(r, tr, v, &impl) < 0)
		return -1;
	v = trace_reader_header(tr, "seed");
	if (v && !trace_parse_u64(v, &seed)) {
		snprintf(r->msg, r->msglen, "%s:%u: seed '%s' is not a number",
			 r->name, trace_reader_header_line(tr, "seed"), v);
		return -1;
	}
	if (o->have_mmio_base) {
		base = o->mmio_base;
	} else {
		v = trace_reader_header(tr, "mmio-base");
		if (!v) {
			snprintf(r->msg, r->msglen, "%s: no '# mmio-base:' "
				 "header: give --mmio-base", r->name);
			return -1;
		}
		if (!trace_parse_u64(v, &base)) {
			snprintf(r->msg, r->msglen, "%s:%u: mmio-base '%s' is "
				 "not a number", r->name,
				 trace_reader_header_line(tr, "mmio-base"), v);
			return -1;
		}
	}
	if (nram) {
		memcpy(ram_base, o->ram_base, sizeof(ram_base));
		memcpy(ram_size, o->ram_size, sizeof(ram_size));
	} else {
		v = trace_reader_header(tr, "ram");
		if (!v) {
			snprintf(r->msg, r->msglen, "%s: no '# ram:' header: "
				 "give --ram BASE:SIZE", r->name);
			return -1;
		}
		if (!replay_parse_ram(v, &ram_base[0], &ram_size[0])) {
			snprintf(r->msg, r->msglen, "%s:%u: ram '%s' is not "
				 "BASE:SIZE", r->name,
				 trace_reader_header_line(tr, "ram"), v);
			return -1;
		}
		nram = 1;
	}
	r->sim = sim_create(seed);
	r->mem = pmem_create();
	if (!r->sim || !r->mem) {
		snprintf(r->msg, r->msglen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < nram; i++) {
		if (pmem_add_ram(r->mem, ram_base[i], ram_size[i]) < 0) {
			snprintf(r->msg, r->msglen, "RAM 0x%" PRIx64 ":0x%"
				 PRIx64 " overlaps another region or is out "
				 "of range", ram_base[i], ram_size[i]);
			return -1;
		}
	}
	r->smmu = smmu_create(r->sim, r->mem, &impl);
	if (!r->smmu) {
		snprintf(r->msg, r->msglen, "the preset is not a valid SMMU");
		return -1;
	}
	if (smmu_map_mmio(r->smmu, base) < 0) {
		snprintf(r->msg, r->msglen, "mmio-base 0x%" PRIx64 ": not 64 "
			 "KiB aligned, or overlaps RAM", base);
		return -1;
	}
	r->base = base;
	for (size_t i = 0; i < r->n_inv_sids; i++) {
		const struct smmu_endpoint_ops ops = { .atc_inv = atc_inv_sent,
						       .ctx = r };

		smmu_attach_endpoint(r->smmu, r->inv_sids[i], 1, &ops);
	}
	if (o->trace) {
		if (!smmu_trace_open(r->smmu, o->trace, SMMU_TRACE_MEM)) {
			snprintf(r->msg, r->msglen, "out of memory");
			return -1;
		}
		fprintf(o->trace, "# replay-of: %s\n# seed: %" PRIu64 "\n"
			"# mmio-base: 0x%" PRIx64 "\n", r->name, seed, base);
		for (unsigned i = 0; i < nram; i++)
			fprintf(o->trace, "# ram: 0x%" PRIx64 ":0x%" PRIx64
				"\n", ram_base[i], ram_size[i]);
	}
	return 0;
}

/* First pass: which StreamIDs had ATS invalidations sent to them. */
static int scan_invalidations(struct replay *r, const char *path)
{
	struct trace_reader *tr = trace_reader_open(path, r->msg, r->msglen);
	struct trace_rec rec;
	int got;

	if (!tr)
		return -1;
	while ((got = trace_reader_next(tr, &rec, r->msg, r->msglen)) > 0) {
		uint32_t sid = 0;

		if (strcmp(rec.kind, "ATC_INV"))
			continue;
		if (get_sid(r, &rec, &sid) < 0) {
			got = -1;
			break;
		}
		if (has_inv_sid(r, sid))
			continue;
		if (!grow((void **)&r->inv_sids, &r->cap_inv_sids,
			  r->n_inv_sids, sizeof(*r->inv_sids))) {
			snprintf(r->msg, r->msglen, "out of memory");
			got = -1;
			break;
		}
		r->inv_sids[r->n_inv_sids++] = sid;
	}
	trace_reader_close(tr);
	return got < 0 ? -1 : 0;
}

static bool refuse_read(void *ctx, uint64_t off, unsigned size,
			uint64_t *val)
{
	(void)ctx;
	(void)off;
	(void)size;
	*val = 0;
	return false;
}

static bool refuse_write(void *ctx, uint64_t off, unsigned size,
			 uint64_t val)
{
	(void)ctx;
	(void)off;
	(void)size;
	(void)val;
	return false;
}

/* The memory map changed: RAM, or a range where every access aborts. */
static int do_mem_map(struct replay *r, const struct trace_rec *rec)
{
	static const struct pmem_mmio_ops refuse = { .read = refuse_read,
						     .write = refuse_write };
	const char *op = trace_rec_get(rec, "op");
	const char *kind = trace_rec_get(rec, "kind");
	uint64_t addr, size;
	int id;

	if (need_num(r, rec, "addr", &addr) < 0 ||
	    need_num(r, rec, "size", &size) < 0)
		return -1;
	if (!kind || (strcmp(kind, "ram") && strcmp(kind, "mmio")))
		return fail(r, rec, "kind '%s' is not ram or mmio",
			    kind ? kind : "");
	if (op && !strcmp(op, "remove")) {
		id = pmem_region_id(r->mem, addr);
		if (id < 0 || (addr >= r->base &&
			       addr - r->base < SMMU_MMIO_SIZE))
			return fail(r, rec, "no region to remove at 0x%"
				    PRIx64, addr);
		pmem_remove_region(r->mem, id);
		return 0;
	}
	if (!op || strcmp(op, "add"))
		return fail(r, rec, "op '%s' is not add or remove",
			    op ? op : "");
	id = !strcmp(kind, "ram") ? pmem_add_ram(r->mem, addr, size)
				  : pmem_add_mmio(r->mem, addr, size, &refuse,
						  NULL);
	if (id < 0)
		return fail(r, rec, "0x%" PRIx64 "+0x%" PRIx64 " overlaps "
			    "another region", addr, size);
	return 0;
}

static bool is_device_input(const char *k)
{
	return !strcmp(k, "XLATE") || !strcmp(k, "STALL") ||
	       !strcmp(k, "XLATE_TR") || !strcmp(k, "ATS_REQ") ||
	       !strcmp(k, "PPR") || !strcmp(k, "ATC_INV_CPL");
}

static int step(struct replay *r, const struct trace_rec *rec,
		struct replay_stats *st)
{
	const char *k = rec->kind;
	bool stalled = false;

	if (!strcmp(k, "MMIO_W"))
		return do_mmio(r, rec, true, st);
	if (!strcmp(k, "MMIO_R"))
		return do_mmio(r, rec, false, st);
	if (!strcmp(k, "MEM_W"))
		return do_mem_write(r, rec, st);
	if (!strcmp(k, "MEM_FILL"))
		return do_mem_fill(r, rec, st);
	if (!strcmp(k, "MEM_MAP"))
		return do_mem_map(r, rec);
	if (!strcmp(k, "XLATE")) {
		/* a stalled one was presented at its STALL record */
		if (opt_flag(r, rec, "stalled", &stalled) < 0)
			return -1;
		return stalled ? 0 : do_request(r, rec, SMMU_TXN_UNTRANSLATED,
						st);
	}
	if (!strcmp(k, "STALL"))
		return do_request(r, rec, SMMU_TXN_UNTRANSLATED, st);
	if (!strcmp(k, "XLATE_TR"))
		return do_request(r, rec, SMMU_TXN_TRANSLATED, st);
	if (!strcmp(k, "ATS_REQ"))
		return do_request(r, rec, SMMU_TXN_ATS_TREQ, st);
	if (!strcmp(k, "PPR"))
		return do_page_request(r, rec, st);
	if (!strcmp(k, "ATC_INV_CPL"))
		return do_inv_completion(r, rec, st);
	return 0; /* an output of the model */
}

int replay_run(const char *path, const struct replay_opts *o,
	       struct replay_stats *st, char *msg, size_t msglen)
{
	struct replay r = { .msg = msg, .msglen = msglen };
	struct trace_reader *tr = NULL;
	struct trace_rec rec;
	int ret = 0, got;

	memset(st, 0, sizeof(*st));
	msg[0] = '\0';
	r.name = path;
	if (strcmp(path, "-") && scan_invalidations(&r, path) < 0) {
		ret = -1;
		goto out;
	}
	tr = trace_reader_open(path, msg, msglen);
	if (!tr) {
		ret = -1;
		goto out;
	}
	r.name = trace_reader_name(tr);
	if (build(&r, tr, o) < 0) {
		ret = -1;
		goto out;
	}
	while ((got = trace_reader_next(tr, &rec, msg, msglen)) > 0) {
		int s;

		st->records++;
		if (!rec.has_time) {
			fail(&r, &rec, "no time ('-'): a replay log needs "
			     "the time of every record");
			ret = -1;
			goto out;
		}
		if (rec.time > sim_now(r.sim))
			sim_run_until(r.sim, rec.time);
		s = step(&r, &rec, st);
		/* A device's message arrived from inside the engine: what it
		 * set off at this time fired before software ran again. */
		if (s == 0 && is_device_input(rec.kind))
			sim_run_until(r.sim, rec.time);
		if (r.oom) {
			fail(&r, &rec, "out of memory");
			s = -1;
		}
		if (s < 0) {
			ret = -1;
			goto out;
		}
		if (s > 0) {
			st->mismatches++;
			ret = 1;
			if (!o->keep_going)
				goto out;
			if (o->report)
				fprintf(o->report, "%s\n", msg);
		}
	}
	if (got < 0)
		ret = -1;
out:
	if (r.sim)
		st->end_time = sim_now(r.sim);
	trace_reader_close(tr);
	if (r.smmu) {
		if (o->trace) {
			smmu_trace_close(r.smmu);
			fflush(o->trace);
		}
		smmu_destroy(r.smmu);
	}
	pmem_destroy(r.mem);
	sim_destroy(r.sim);
	free(r.inv);
	free(r.inv_sids);
	return ret;
}
