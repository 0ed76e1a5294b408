/* SPDX-License-Identifier: MIT */
/*
 * smmusim trace from-qemu: a QEMU SMMUv3 trace log in, an smmusim trace
 * (format version 1, docs/trace-format.md) out.
 *
 * What this relies on about QEMU, checked against QEMU's own sources
 * (hw/arm/trace-events, hw/arm/smmuv3.c, hw/arm/smmuv3-internal.h,
 * hw/arm/smmu-common.c, include/exec/memory.h, include/hw/arm/smmuv3.h,
 * scripts/tracetool/backend/log.py, util/log.c) and the qemu-devel patches
 * that changed them. "7.2" below means 6.0 up to 8.0: nothing these events
 * print changed in between.
 *
 * Line shape (log backend). Each event is one line: the event name, one
 * space, then the event's format string expanded ("NAME MESSAGE"); an event
 * with an empty format leaves "NAME " with a trailing space. With
 * "-msg timestamp=on" QEMU 7.2 to 10.0 prefix "TID@SECONDS.MICROSECONDS:"
 * with no space before the name, TID being qemu_get_thread_id() (the
 * thread, not the process) and the microseconds printed as six digits.
 * A July 2025 change (after 10.0) moved the timestamp into qemu_log()
 * itself: an ISO 8601 UTC time and a space on every line
 * ("2025-07-21T18:43:28.089815Z NAME ..."); the change just before it
 * printed "(TID) " after the time. Lines of qemu_log_mask() messages
 * (-d guest_errors, -d unimp) share the file; before that change they
 * carry no timestamp.
 *
 * The events used (format strings as of 7.2 unless noted):
 *  smmuv3_read_mmio / smmuv3_write_mmio
 *      "addr: 0x%x val:0x%x size: 0x%x(%d)": the offset, the value, the
 *      access size in hex and, in parentheses, the MemTxResult (0 OK,
 *      non-zero an error). Traced after the access was handled, with the
 *      offset's bit 16 already cleared: QEMU makes page 1 an alias of
 *      page 0, so EVENTQ_PROD shows as 0xa8. A write to CMDQ_PROD, CR0 or
 *      GERRORN consumes commands inside the handler, so the commands it
 *      made the SMMU consume appear in the log before the write.
 *  smmuv3_cmdq_consume "prod=%d cons=%d prod.wrap=%d cons.wrap=%d",
 *      printed before each command is read: cons is the index (no wrap
 *      bit) of the command about to be read.
 *  smmuv3_cmdq_opcode "<--- %s": the command read, named by QEMU's table
 *      as "SMMU_CMD_CFGI_STE" etc. (our name with an SMMU_ prefix);
 *      "UNKNOWN" for a hole in the table, "INVALID" for 0 or beyond
 *      CMD_SYNC. QEMU's "SMMU_CMD_CFGI_ALL" is opcode 0x07, which the
 *      architecture calls CMD_CFGI_VMS_PIDM (CFGI_ALL is 0x04, printed as
 *      SMMU_CMD_CFGI_STE_RANGE).
 *  smmuv3_cmdq_consume_error "Error on %s command execution: %d": the
 *      command's name as above and CERROR (1 ILL, 2 ABT, 3 ATC_INV_SYNC).
 *      After a failed command read (ABT) the name is stale (the previous
 *      command's, or INVALID), so the op is not known.
 *  smmuv3_cmdq_consume_out: end of a consume pass.
 *  Details printed right after their command's opcode:
 *      smmuv3_cmdq_cfgi_ste "streamid= 0x%x"; smmuv3_cmdq_cfgi_ste_range
 *      "start=0x%x - end=0x%x" (the range already aligned: start is the
 *      StreamID with its low Range+1 bits cleared); smmuv3_cmdq_cfgi_cd
 *      "sid=0x%x" (CFGI_CD and CFGI_CD_ALL); smmuv3_cmdq_tlbi_nh_asid
 *      "asid=%d"; smmuv3_cmdq_tlbi_nh "" (9.1 and later: "vmid=%d", and
 *      smmuv3_cmdq_tlbi_nsnh "" for NSNH_ALL); smmuv3_s1_range_inval
 *      "vmid=%d asid=%d addr=0x%x tg=%d num_pages=0x%x ttl=%d leaf=%d"
 *      (8.1 renamed it smmuv3_range_inval, 9.1 appended " stage=%d"; -1
 *      stands for no ASID / no VMID; a range is split in power-of-two
 *      pieces, one event each, the first at the command's address);
 *      smmuv3_cmdq_tlbi_s12_vmid "vmid=%d" (8.1 and later);
 *      smmuv3_unhandled_cmd "Unhandled command type=%d" (commands QEMU
 *      accepts and ignores). QEMU prints the cfgi events only when a
 *      device sits behind the StreamID.
 *      The guest-error line "Illegal command type: %d" gives the opcode of
 *      a command QEMU refused.
 *  smmuv3_record_event "%s sid=0x%x": an event record about to be written
 *      to the event queue (only when the queue is enabled), its type named
 *      "SMMU_EVT_F_TRANSLATION" etc.; QEMU's names differ from the
 *      architecture's for two: SMMU_EVT_F_TRANS_FORBIDDEN and
 *      SMMU_EVT_E_PAGE_REQ. Patches of November 2025 rename the event
 *      smmuv3_propagate_event with the same format.
 *  smmuv3_translate_success "%s sid=0x%x iova=0x%x translated=0x%x
 *      perm=0x%x" (9.1 appended " stage=%d"): the first word is the IOMMU
 *      memory region's name ("smmuv3-iommu-memory-region-DEVFN-INDEX",
 *      INDEX a creation counter, so the StreamID cannot be read from it);
 *      translated is the output address; perm is QEMU's IOMMUAccessFlags
 *      (bit 0 read, bit 1 write; QEMU has no execute permission).
 *  smmuv3_translate_abort "%s sid=0x%x abort on iova:0x%x is_write=%d"
 *      (STE.Config abort, or SMMUEN=0 with GBPA.ABORT=1);
 *      smmuv3_translate_bypass "%s sid=0x%x STE bypass iova:0x%x
 *      is_write=%d"; smmuv3_translate_disable "%s sid=0x%x bypass (smmu
 *      disabled) iova:0x%x is_write=%d". is_write is the access flags
 *      converted to bool (always 1 for bypass, 0 for abort): useless.
 *  A translation fault has no trace event: QEMU prints the guest-error
 *      line "NAME translation failed for iova=0x%x (%s)" (no space before
 *      the parenthesis before 7.0) with the event name, "no recorded
 *      event" when the fault is not recorded, then smmuv3_record_event.
 *  smmuv3_trigger_irq "irq=%d": a pulse of the wired interrupt (0 EVTQ,
 *      1 PRIQ, 2 CMD_SYNC, 3 GERROR). smmuv3_write_gerror "toggled=0x%x,
 *      new GERROR=0x%x": the GERROR bits that became active.
 * Every other event (the smmu_* walk and TLB events, config cache, STE and
 * CD fetches, notifiers) says nothing an SMMU shows outside and is skipped.
 */
#include "xcheck/trace_qemu.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Records held during one command-queue pass, at most. */
#define HOLD_MAX 4096u
#define NAME_LEN 48
#define MR_NAME_LEN 96
#define EVENT_NAME_LEN 128

/* --- text helpers ----------------------------------------------------- */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int hex_val(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool is_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

static bool is_upper(char ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static bool is_ident(char ch)
{
	return is_digit(ch) || is_lower(ch) || is_upper(ch) || ch == '_';
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * A number at s: "0x" hex or decimal, optionally negative, not followed
 * by a letter, digit or '_'. *end (if not NULL) is set past it.
 */
static bool parse_num(const char *s, bool *neg, uint64_t *v,
		      const char **end)
{
	uint64_t x = 0;
	unsigned digits = 0;

	*neg = *s == '-';
	if (*neg)
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		for (; hex_val(*s) >= 0; s++, digits++) {
			if (x >> 60)
				return false;
			x = x << 4 | (uint64_t)hex_val(*s);
		}
	} else {
		for (; is_digit(*s); s++, digits++) {
			uint64_t d = (uint64_t)(*s - '0');

			if (x > (UINT64_MAX - d) / 10)
				return false;
			x = x * 10 + d;
		}
	}
	if (!digits || is_ident(*s))
		return false;
	*v = x;
	if (end)
		*end = s;
	return true;
}

/*
 * The value of "key: value" or "key=value" (spaces allowed around the
 * separator) in msg, key starting a word; NULL if absent.
 */
static const char *find_kv(const char *msg, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = strstr(msg, key); p; p = strstr(p + 1, key)) {
		const char *q = p + klen;

		if (p > msg && is_ident(p[-1]))
			continue;
		q = skip_spaces(q);
		if (*q != ':' && *q != '=')
			continue;
		return skip_spaces(q + 1);
	}
	return NULL;
}

/* A non-negative number after key; false if absent or malformed. */
static bool kv_u64(const char *msg, const char *key, uint64_t *v,
		   const char **end)
{
	const char *p = find_kv(msg, key);
	bool neg;

	return p && parse_num(p, &neg, v, end) && !neg;
}

/*
 * A signed number after key (QEMU prints -1 for "none"): *set is false
 * for a negative value.
 */
static bool kv_opt(const char *msg, const char *key, uint64_t *v, bool *set)
{
	const char *p = find_kv(msg, key);
	bool neg;

	if (!p || !parse_num(p, &neg, v, NULL))
		return false;
	*set = !neg;
	return true;
}

/* Copy the word at s (up to a space) into out; false if empty. */
static bool word(const char *s, char *out, size_t n, const char **end)
{
	size_t len = 0;

	while (s[len] && s[len] != ' ' && s[len] != '\t')
		len++;
	if (!len)
		return false;
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	if (end) {
		while (*s && *s != ' ' && *s != '\t')
			s++;
		*end = s;
	}
	return true;
}

static bool all_name_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_upper(*s) && !is_digit(*s) && *s != '_')
			return false;
	return true;
}

/* --- registers --------------------------------------------------------- */

/* The register map (IHI 0070 §6.2), names as the model's trace writes. */
static const struct qreg {
	uint32_t off;
	uint8_t width;
	const char *name;
} qregs[] = {
	{ 0x000, 4, "IDR0" },
	{ 0x004, 4, "IDR1" },
	{ 0x008, 4, "IDR2" },
	{ 0x00C, 4, "IDR3" },
	{ 0x010, 4, "IDR4" },
	{ 0x014, 4, "IDR5" },
	{ 0x018, 4, "IIDR" },
	{ 0x01C, 4, "AIDR" },
	{ 0x020, 4, "CR0" },
	{ 0x024, 4, "CR0ACK" },
	{ 0x028, 4, "CR1" },
	{ 0x02C, 4, "CR2" },
	{ 0x040, 4, "STATUSR" },
	{ 0x044, 4, "GBPA" },
	{ 0x048, 4, "AGBPA" },
	{ 0x050, 4, "IRQ_CTRL" },
	{ 0x054, 4, "IRQ_CTRLACK" },
	{ 0x060, 4, "GERROR" },
	{ 0x064, 4, "GERRORN" },
	{ 0x068, 8, "GERROR_IRQ_CFG0" },
	{ 0x070, 4, "GERROR_IRQ_CFG1" },
	{ 0x074, 4, "GERROR_IRQ_CFG2" },
	{ 0x080, 8, "STRTAB_BASE" },
	{ 0x088, 4, "STRTAB_BASE_CFG" },
	{ 0x090, 8, "CMDQ_BASE" },
	{ 0x098, 4, "CMDQ_PROD" },
	{ 0x09C, 4, "CMDQ_CONS" },
	{ 0x0A0, 8, "EVENTQ_BASE" },
	{ 0x0B0, 8, "EVENTQ_IRQ_CFG0" },
	{ 0x0B8, 4, "EVENTQ_IRQ_CFG1" },
	{ 0x0BC, 4, "EVENTQ_IRQ_CFG2" },
	{ 0x0C0, 8, "PRIQ_BASE" },
	{ 0x0D0, 8, "PRIQ_IRQ_CFG0" },
	{ 0x0D8, 4, "PRIQ_IRQ_CFG1" },
	{ 0x0DC, 4, "PRIQ_IRQ_CFG2" },
	{ 0x100A8, 4, "EVENTQ_PROD" },
	{ 0x100AC, 4, "EVENTQ_CONS" },
	{ 0x100C8, 4, "PRIQ_PROD" },
	{ 0x100CC, 4, "PRIQ_CONS" },
};

#define NQREGS (sizeof(qregs) / sizeof(qregs[0]))

const char *trace_qemu_reg(uint64_t qemu_off, unsigned size, uint64_t *off,
			   bool *high)
{
	uint64_t o = qemu_off;

	/* QEMU's page-0 copies of the page-1 queue pointers */
	if (o == 0xA8 || o == 0xAC || o == 0xC8 || o == 0xCC)
		o |= 0x10000;
	if (off)
		*off = o;
	if (high)
		*high = false;
	for (size_t i = 0; i < NQREGS; i++) {
		if (o < qregs[i].off || o >= (uint64_t)qregs[i].off +
						     qregs[i].width)
			continue;
		if (high)
			*high = size == 4 && o >= (uint64_t)qregs[i].off + 4;
		return qregs[i].name;
	}
	return NULL;
}

/* --- names ------------------------------------------------------------- */

/* Our command name for QEMU's; "?" when QEMU did not know it. */
static void cmd_name(const char *q, char *out, size_t n)
{
	if (!strcmp(q, "SMMU_CMD_CFGI_ALL"))
		q = "CMD_CFGI_VMS_PIDM";	/* QEMU's 0x07 */
	else if (starts_with(q, "SMMU_CMD_"))
		q += strlen("SMMU_");
	if (!starts_with(q, "CMD_") || !all_name_chars(q))
		q = "?";
	snprintf(out, n, "%s", q);
}

/* Our event name for QEMU's; "?" when QEMU did not know it. */
static void evt_name(const char *q, char *out, size_t n)
{
	if (starts_with(q, "SMMU_EVT_"))
		q += strlen("SMMU_EVT_");
	if (!strcmp(q, "F_TRANS_FORBIDDEN"))
		q = "F_TRANSL_FORBIDDEN";
	else if (!strcmp(q, "E_PAGE_REQ"))
		q = "E_PAGE_REQUEST";
	if (!strcmp(q, "UNKNOWN") || !strcmp(q, "INVALID") ||
	    !all_name_chars(q))
		q = "?";
	snprintf(out, n, "%s", q);
}

static const char *const irq_src[] = { "EVTQ", "PRIQ", "CMD_SYNC",
				       "GERROR" };

static const char *const gerror_bits[] = {
	[0] = "CMDQ_ERR",
	[2] = "EVENTQ_ABT_ERR",
	[3] = "PRIQ_ABT_ERR",
	[4] = "MSI_CMDQ_ABT_ERR",
	[5] = "MSI_EVENTQ_ABT_ERR",
	[6] = "MSI_PRIQ_ABT_ERR",
	[7] = "MSI_GERROR_ABT_ERR",
	[8] = "SFM_ERR",
};

static const char *const cerrors[] = { "CERROR_NONE", "CERROR_ILL",
				       "CERROR_ABT", "CERROR_ATC_INV_SYNC" };

/* --- records ----------------------------------------------------------- */

enum qkind { K_MMIO_R, K_MMIO_W, K_CMD, K_CMD_ERR, K_EVT, K_XLATE, K_IRQ,
	     K_GERROR };

enum {
	HAS_IDX = 1 << 0,
	HAS_SID = 1 << 1,
	HAS_ASID = 1 << 2,
	HAS_VMID = 1 << 3,
	HAS_ADDR = 1 << 4,
	HAS_OA = 1 << 5,
	HAS_PERM = 1 << 6,
	HAS_EVENT = 1 << 7,
};

struct qrec {
	enum qkind kind;
	unsigned has;
	uint64_t time;
	uint64_t off, val;	/* MMIO */
	uint64_t iova, oa;	/* XLATE */
	uint64_t addr;		/* CMD */
	uint32_t sid, idx, asid, vmid;
	unsigned size;		/* MMIO */
	bool abort;		/* MMIO: refused; XLATE: result=ABORT */
	char name[NAME_LEN];	/* reg, op, type, src or bit */
	char extra[NAME_LEN];	/* CMD_ERR cerror, XLATE event */
	char perm[4];
};

struct mr_sid {
	char name[MR_NAME_LEN];
	uint32_t sid;
};

struct conv {
	FILE *out;
	const char *lname;
	struct trace_qemu_stats *st;
	char *err;
	size_t errlen;
	uint64_t hz;
	unsigned line;

	int timed;		/* -1 not known yet, 0 no timestamps, 1 yes */
	bool have_t0;
	uint64_t t0_us, last_us;
	uint64_t now;		/* cycles of the latest timestamp */
	uint64_t last_out;	/* TIME of the last record written */

	/* records held from a pass's first command to the write behind it */
	struct qrec *hold;
	size_t nhold, holdcap;
	long open_cmd;		/* hold index of the CMD details go to */
	bool have_cons;
	uint32_t cons;		/* index of the command being consumed */
	char pass_op[NAME_LEN];	/* op of the pass's latest command */

	/* a translation failure, waiting for its event record */
	bool fault;
	bool fault_evt;		/* its event record came */
	struct qrec fault_rec;
	char fault_mr[MR_NAME_LEN];

	struct mr_sid *mrs;	/* memory region name -> StreamID */
	size_t nmrs, mrcap;
};

static bool fail(struct conv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct conv *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return false;
}

static bool write_rec(struct conv *c, const struct qrec *r)
{
	static const char *const kinds[] = {
		[K_MMIO_R] = "MMIO_R", [K_MMIO_W] = "MMIO_W", [K_CMD] = "CMD",
		[K_CMD_ERR] = "CMD_ERR", [K_EVT] = "EVT", [K_XLATE] = "XLATE",
		[K_IRQ] = "IRQ", [K_GERROR] = "GERROR",
	};
	FILE *f = c->out;

	if (c->timed == 1) {
		if (r->time > c->last_out)
			c->last_out = r->time;
		fprintf(f, "%" PRIu64 " ", c->last_out);
	} else {
		fputs("- ", f);
	}
	fputs(kinds[r->kind], f);
	switch (r->kind) {
	case K_MMIO_R:
	case K_MMIO_W:
		fprintf(f, " off=0x%" PRIx64 " reg=%s size=%u val=0x%" PRIx64,
			r->off, r->name, r->size, r->val);
		if (r->abort)
			fputs(" abort=1", f);
		break;
	case K_CMD:
	case K_CMD_ERR:
		if (r->has & HAS_IDX)
			fprintf(f, " idx=%" PRIu32, r->idx);
		fprintf(f, " op=%s", r->name);
		if (r->kind == K_CMD_ERR) {
			fprintf(f, " cerror=%s", r->extra);
			break;
		}
		if (r->has & HAS_SID)
			fprintf(f, " sid=0x%" PRIx32, r->sid);
		if (r->has & HAS_ASID)
			fprintf(f, " asid=0x%" PRIx32, r->asid);
		if (r->has & HAS_VMID)
			fprintf(f, " vmid=0x%" PRIx32, r->vmid);
		if (r->has & HAS_ADDR)
			fprintf(f, " addr=0x%" PRIx64, r->addr);
		break;
	case K_EVT:
		fprintf(f, " type=%s sid=0x%" PRIx32, r->name, r->sid);
		break;
	case K_XLATE:
		fprintf(f, " sid=0x%" PRIx32 " iova=0x%" PRIx64 " result=%s",
			r->sid, r->iova, r->abort ? "ABORT" : "OK");
		if (r->has & HAS_OA)
			fprintf(f, " oa=0x%" PRIx64, r->oa);
		else
			fputs(" oa=-", f);
		if (r->has & HAS_PERM)
			fprintf(f, " perm=%s", r->perm);
		if (r->has & HAS_EVENT)
			fprintf(f, " event=%s", r->extra);
		break;
	case K_IRQ:
		fprintf(f, " src=%s", r->name);
		break;
	case K_GERROR:
		fprintf(f, " bit=%s", r->name);
		break;
	}
	fputc('\n', f);
	c->st->records++;
	return true;
}

static bool flush_hold(struct conv *c)
{
	for (size_t i = 0; i < c->nhold; i++)
		if (!write_rec(c, &c->hold[i]))
			return false;
	c->nhold = 0;
	c->open_cmd = -1;
	return true;
}

/* A 32-bit write whose handler makes QEMU consume commands. */
static bool kicks_cmdq(const struct qrec *r)
{
	return r->kind == K_MMIO_W && r->size == 4 &&
	       (r->off == 0x98 || r->off == 0x20 || r->off == 0x64);
}

static bool place(struct conv *c, const struct qrec *r)
{
	if (r->kind == K_MMIO_R || r->kind == K_MMIO_W) {
		if (c->nhold && kicks_cmdq(r)) {
			/* the write came first: it made QEMU consume them */
			struct qrec w = *r;

			w.time = c->hold[0].time;
			if (!write_rec(c, &w))
				return false;
			return flush_hold(c);
		}
		return flush_hold(c) && write_rec(c, r);
	}
	if (c->nhold >= HOLD_MAX && !flush_hold(c))
		return false;
	if (!c->nhold && r->kind != K_CMD && r->kind != K_CMD_ERR)
		return write_rec(c, r);
	if (c->nhold == c->holdcap) {
		size_t n = c->holdcap ? c->holdcap * 2 : 16;
		struct qrec *h = realloc(c->hold, n * sizeof(*h));

		if (!h)
			return fail(c, "%s: out of memory", c->lname);
		c->hold = h;
		c->holdcap = n;
	}
	c->hold[c->nhold] = *r;
	if (r->kind == K_CMD)
		c->open_cmd = (long)c->nhold;
	else if (r->kind == K_CMD_ERR)
		c->open_cmd = -1;
	c->nhold++;
	return true;
}

static bool mr_learn(struct conv *c, const char *name, uint32_t sid)
{
	for (size_t i = 0; i < c->nmrs; i++) {
		if (!strcmp(c->mrs[i].name, name)) {
			c->mrs[i].sid = sid;
			return true;
		}
	}
	if (c->nmrs == c->mrcap) {
		size_t n = c->mrcap ? c->mrcap * 2 : 8;
		struct mr_sid *m = realloc(c->mrs, n * sizeof(*m));

		if (!m)
			return fail(c, "%s: out of memory", c->lname);
		c->mrs = m;
		c->mrcap = n;
	}
	snprintf(c->mrs[c->nmrs].name, MR_NAME_LEN, "%s", name);
	c->mrs[c->nmrs++].sid = sid;
	return true;
}

static bool mr_find(const struct conv *c, const char *name, uint32_t *sid)
{
	for (size_t i = 0; i < c->nmrs; i++) {
		if (!strcmp(c->mrs[i].name, name)) {
			*sid = c->mrs[i].sid;
			return true;
		}
	}
	return false;
}

/* Write the pending translation failure (dropped if its SID is unknown). */
static bool push_fault(struct conv *c)
{
	struct qrec *r = &c->fault_rec;

	c->fault = false;
	if (!(r->has & HAS_SID) && mr_find(c, c->fault_mr, &r->sid))
		r->has |= HAS_SID;
	if (!(r->has & HAS_SID)) {
		c->st->unresolved++;
		return true;
	}
	return place(c, r);
}

/*
 * Place a record. A pending translation failure goes out first, unless
 * this is its event record (the first EVT after it) or an interrupt: the
 * SMMU writes the record and signals before it answers the transaction.
 */
static bool add_rec(struct conv *c, const struct qrec *r)
{
	if (c->fault) {
		bool keep = r->kind == K_IRQ || r->kind == K_GERROR ||
			    (r->kind == K_EVT && !c->fault_evt);

		if (!keep && !push_fault(c))
			return false;
	}
	return place(c, r);
}

static void new_rec(const struct conv *c, struct qrec *r, enum qkind k)
{
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->time = c->now;
}

/* --- events ------------------------------------------------------------ */

/*
 * An event handler: 1 the event went into the output, 0 it did not
 * (skipped), -1 its message does not parse (*bad names the field). A
 * handler changes nothing before its message has parsed. false from
 * add_rec() (out of memory) is reported as -2.
 */
typedef int (*event_fn)(struct conv *c, const char *msg, const char **bad);

static int added(bool ok)
{
	return ok ? 1 : -2;
}

static int mmio(struct conv *c, const char *msg, const char **bad, bool w)
{
	uint64_t addr, val, size, res = 0;
	const char *end;
	struct qrec r;
	bool hi, neg;
	const char *name;

	if (!kv_u64(msg, "addr", &addr, NULL))
		return *bad = "addr", -1;
	if (!kv_u64(msg, "val", &val, NULL))
		return *bad = "val", -1;
	if (!kv_u64(msg, "size", &size, &end) || size > 64)
		return *bad = "size", -1;
	if (*end == '(') {
		if (!parse_num(end + 1, &neg, &res, &end) || *end != ')')
			return *bad = "size", -1;
	}
	new_rec(c, &r, w ? K_MMIO_W : K_MMIO_R);
	name = trace_qemu_reg(addr, (unsigned)size, &r.off, &hi);
	snprintf(r.name, sizeof(r.name), "%s%s", name ? name : "?",
		 hi ? "_HI" : "");
	r.size = (unsigned)size;
	r.val = val;
	r.abort = res != 0;
	return added(add_rec(c, &r));
}

static int ev_read_mmio(struct conv *c, const char *msg, const char **bad)
{
	return mmio(c, msg, bad, false);
}

static int ev_write_mmio(struct conv *c, const char *msg, const char **bad)
{
	return mmio(c, msg, bad, true);
}

static int ev_cmdq_consume(struct conv *c, const char *msg, const char **bad)
{
	uint64_t cons;

	if (!kv_u64(msg, "cons", &cons, NULL) || cons > UINT32_MAX)
		return *bad = "cons", -1;
	c->have_cons = true;
	c->cons = (uint32_t)cons;
	return 1;
}

static int ev_cmdq_consume_out(struct conv *c, const char *msg,
			       const char **bad)
{
	(void)msg;
	(void)bad;
	c->open_cmd = -1;
	c->have_cons = false;
	c->pass_op[0] = '\0';
	return 0;
}

static int ev_cmdq_opcode(struct conv *c, const char *msg, const char **bad)
{
	char q[NAME_LEN];
	struct qrec r;

	msg = skip_spaces(msg);
	if (!starts_with(msg, "<---") ||
	    !word(skip_spaces(msg + 4), q, sizeof(q), NULL))
		return *bad = "opcode", -1;
	new_rec(c, &r, K_CMD);
	cmd_name(q, r.name, sizeof(r.name));
	if (c->have_cons) {
		r.has |= HAS_IDX;
		r.idx = c->cons;
	}
	snprintf(c->pass_op, sizeof(c->pass_op), "%s", r.name);
	return added(add_rec(c, &r));
}

static int ev_cmdq_consume_error(struct conv *c, const char *msg,
				 const char **bad)
{
	char q[NAME_LEN];
	const char *p, *end;
	uint64_t e;
	struct qrec r;
	bool neg;

	msg = skip_spaces(msg);
	if (!starts_with(msg, "Error on ") ||
	    !word(msg + strlen("Error on "), q, sizeof(q), &end) ||
	    !starts_with(end, " command execution"))
		return *bad = "cmd_name", -1;
	p = find_kv(end, "execution");
	if (!p || !parse_num(p, &neg, &e, NULL) || neg)
		return *bad = "cmd_error", -1;
	new_rec(c, &r, K_CMD_ERR);
	if (e == 2) {
		/* the read aborted: QEMU's name is a stale one */
		snprintf(r.name, sizeof(r.name), "-");
	} else {
		cmd_name(q, r.name, sizeof(r.name));
		if (!strcmp(r.name, "?") && c->pass_op[0])
			snprintf(r.name, sizeof(r.name), "%s", c->pass_op);
	}
	if (e < sizeof(cerrors) / sizeof(cerrors[0]))
		snprintf(r.extra, sizeof(r.extra), "%s", cerrors[e]);
	else
		snprintf(r.extra, sizeof(r.extra), "0x%" PRIx64, e);
	if (c->have_cons) {
		r.has |= HAS_IDX;
		r.idx = c->cons;
	}
	return added(add_rec(c, &r));
}

/* The CMD the detail events of the current command fill; NULL if none. */
static struct qrec *open_cmd(struct conv *c)
{
	return c->open_cmd >= 0 ? &c->hold[c->open_cmd] : NULL;
}

static void fill(struct qrec *r, unsigned what, uint64_t v)
{
	if (r->has & what)
		return;	/* the first piece of a split range wins */
	r->has |= what;
	switch (what) {
	case HAS_SID:
		r->sid = (uint32_t)v;
		break;
	case HAS_ASID:
		r->asid = (uint32_t)v;
		break;
	case HAS_VMID:
		r->vmid = (uint32_t)v;
		break;
	case HAS_ADDR:
		r->addr = v;
		break;
	}
}

/* A detail carrying one StreamID under key. */
static int detail_sid(struct conv *c, const char *msg, const char **bad,
		      const char *key)
{
	uint64_t sid;
	struct qrec *r;

	if (!kv_u64(msg, key, &sid, NULL) || sid > UINT32_MAX)
		return *bad = key, -1;
	r = open_cmd(c);
	if (!r)
		return 0;
	fill(r, HAS_SID, sid);
	return 1;
}

static int ev_cfgi_ste(struct conv *c, const char *msg, const char **bad)
{
	return detail_sid(c, msg, bad, "streamid");
}

static int ev_cfgi_ste_range(struct conv *c, const char *msg,
			     const char **bad)
{
	return detail_sid(c, msg, bad, "start");
}

static int ev_cfgi_cd(struct conv *c, const char *msg, const char **bad)
{
	return detail_sid(c, msg, bad, "sid");
}

/*
 * A TLBI detail: the keys present in want must parse ("vmid", "asid",
 * "addr"); optional ones may be missing. Negative values mean none.
 */
enum { T_VMID = 1, T_ASID = 2, T_ADDR = 4 };

static int detail_tlbi(struct conv *c, const char *msg, const char **bad,
		       unsigned want, unsigned optional)
{
	static const struct {
		unsigned bit;
		const char *key;
		unsigned has;
	} keys[] = {
		{ T_VMID, "vmid", HAS_VMID },
		{ T_ASID, "asid", HAS_ASID },
		{ T_ADDR, "addr", HAS_ADDR },
	};
	uint64_t v[3] = { 0 };
	bool set[3] = { false };
	struct qrec *r;

	for (unsigned i = 0; i < 3; i++) {
		if (!((want | optional) & keys[i].bit))
			continue;
		if (!find_kv(msg, keys[i].key) && (optional & keys[i].bit))
			continue;
		if (!kv_opt(msg, keys[i].key, &v[i], &set[i]) ||
		    (keys[i].bit != T_ADDR && v[i] > UINT32_MAX))
			return *bad = keys[i].key, -1;
	}
	r = open_cmd(c);
	if (!r)
		return 0;
	for (unsigned i = 0; i < 3; i++)
		if (set[i])
			fill(r, keys[i].has, v[i]);
	return 1;
}

static int ev_tlbi_nh_asid(struct conv *c, const char *msg, const char **bad)
{
	return detail_tlbi(c, msg, bad, T_ASID, 0);
}

static int ev_tlbi_nh(struct conv *c, const char *msg, const char **bad)
{
	return detail_tlbi(c, msg, bad, 0, T_VMID);
}

static int ev_tlbi_vmid(struct conv *c, const char *msg, const char **bad)
{
	return detail_tlbi(c, msg, bad, T_VMID, 0);
}

static int ev_range_inval(struct conv *c, const char *msg, const char **bad)
{
	return detail_tlbi(c, msg, bad, T_VMID | T_ASID | T_ADDR, 0);
}

static int ev_tlbi_nh_vaa(struct conv *c, const char *msg, const char **bad)
{
	return detail_tlbi(c, msg, bad, T_VMID | T_ADDR, 0);
}

static int ev_unhandled_cmd(struct conv *c, const char *msg,
			    const char **bad)
{
	uint64_t type;
	struct qrec *r;

	if (!kv_u64(msg, "type", &type, NULL) || type > 0xFF)
		return *bad = "type", -1;
	r = open_cmd(c);
	if (!r)
		return 0;
	if (!strcmp(r->name, "?")) {
		snprintf(r->name, sizeof(r->name), "CMD_0x%02x",
			 (unsigned)type);
		snprintf(c->pass_op, sizeof(c->pass_op), "%s", r->name);
	}
	return 1;
}

static int ev_record_event(struct conv *c, const char *msg, const char **bad)
{
	char q[NAME_LEN];
	const char *end;
	uint64_t sid;
	struct qrec r;

	if (!word(skip_spaces(msg), q, sizeof(q), &end))
		return *bad = "type", -1;
	if (!kv_u64(end, "sid", &sid, NULL) || sid > UINT32_MAX)
		return *bad = "sid", -1;
	new_rec(c, &r, K_EVT);
	evt_name(q, r.name, sizeof(r.name));
	r.has = HAS_SID;
	r.sid = (uint32_t)sid;
	if (!add_rec(c, &r))
		return -2;
	if (c->fault && !c->fault_evt) {
		/* the failure's own record: it names the StreamID */
		c->fault_evt = true;
		if (!(c->fault_rec.has & HAS_SID)) {
			c->fault_rec.has |= HAS_SID;
			c->fault_rec.sid = r.sid;
			if (!mr_learn(c, c->fault_mr, r.sid))
				return -2;
		}
	}
	return 1;
}

enum xlate_how { X_OK, X_ABORT, X_BYPASS };

static int xlate(struct conv *c, const char *msg, const char **bad,
		 enum xlate_how how)
{
	char mr[MR_NAME_LEN];
	const char *rest;
	uint64_t sid, iova, oa = 0, perm = 0;
	struct qrec r;

	if (!word(skip_spaces(msg), mr, sizeof(mr), &rest))
		return *bad = "n", -1;
	if (!kv_u64(rest, "sid", &sid, NULL) || sid > UINT32_MAX)
		return *bad = "sid", -1;
	if (!kv_u64(rest, "iova", &iova, NULL))
		return *bad = "iova", -1;
	if (how == X_OK) {
		if (!kv_u64(rest, "translated", &oa, NULL))
			return *bad = "translated", -1;
		if (!kv_u64(rest, "perm", &perm, NULL))
			return *bad = "perm", -1;
	}
	if (!mr_learn(c, mr, (uint32_t)sid))
		return -2;
	new_rec(c, &r, K_XLATE);
	r.has = HAS_SID | HAS_EVENT;
	r.sid = (uint32_t)sid;
	r.iova = iova;
	snprintf(r.extra, sizeof(r.extra), "-");
	switch (how) {
	case X_OK:
		r.has |= HAS_OA | HAS_PERM;
		r.oa = oa;
		r.perm[0] = perm & 1 ? 'r' : '-';
		r.perm[1] = perm & 2 ? 'w' : '-';
		r.perm[2] = perm & 4 ? 'x' : '-';
		break;
	case X_ABORT:
		r.abort = true;
		r.has |= HAS_PERM;
		snprintf(r.perm, sizeof(r.perm), "---");
		break;
	case X_BYPASS:
		r.has |= HAS_OA;
		r.oa = iova;
		break;
	}
	return added(add_rec(c, &r));
}

static int ev_translate_success(struct conv *c, const char *msg,
				const char **bad)
{
	return xlate(c, msg, bad, X_OK);
}

static int ev_translate_abort(struct conv *c, const char *msg,
			      const char **bad)
{
	return xlate(c, msg, bad, X_ABORT);
}

static int ev_translate_bypass(struct conv *c, const char *msg,
			       const char **bad)
{
	return xlate(c, msg, bad, X_BYPASS);
}

static int ev_trigger_irq(struct conv *c, const char *msg, const char **bad)
{
	uint64_t irq;
	struct qrec r;

	if (!kv_u64(msg, "irq", &irq, NULL))
		return *bad = "irq", -1;
	if (irq >= sizeof(irq_src) / sizeof(irq_src[0]))
		return 0;
	new_rec(c, &r, K_IRQ);
	snprintf(r.name, sizeof(r.name), "%s", irq_src[irq]);
	return added(add_rec(c, &r));
}

static int ev_write_gerror(struct conv *c, const char *msg, const char **bad)
{
	uint64_t toggled;
	struct qrec r;

	if (!kv_u64(msg, "toggled", &toggled, NULL) || toggled > UINT32_MAX)
		return *bad = "toggled", -1;
	if (!toggled)
		return 0;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(toggled >> bit & 1))
			continue;
		new_rec(c, &r, K_GERROR);
		if (bit < sizeof(gerror_bits) / sizeof(gerror_bits[0]) &&
		    gerror_bits[bit])
			snprintf(r.name, sizeof(r.name), "%s",
				 gerror_bits[bit]);
		else
			snprintf(r.name, sizeof(r.name), "%u", bit);
		if (!add_rec(c, &r))
			return -2;
	}
	return 1;
}

static const struct event {
	const char *name;
	event_fn fn;
} events[] = {
	{ "smmuv3_read_mmio", ev_read_mmio },
	{ "smmuv3_write_mmio", ev_write_mmio },
	{ "smmuv3_cmdq_consume", ev_cmdq_consume },
	{ "smmuv3_cmdq_consume_out", ev_cmdq_consume_out },
	{ "smmuv3_cmdq_opcode", ev_cmdq_opcode },
	{ "smmuv3_cmdq_consume_error", ev_cmdq_consume_error },
	{ "smmuv3_cmdq_cfgi_ste", ev_cfgi_ste },
	{ "smmuv3_cmdq_cfgi_ste_range", ev_cfgi_ste_range },
	{ "smmuv3_cmdq_cfgi_cd", ev_cfgi_cd },
	{ "smmuv3_cmdq_tlbi_nh_asid", ev_tlbi_nh_asid },
	{ "smmuv3_cmdq_tlbi_nh", ev_tlbi_nh },
	{ "smmuv3_cmdq_tlbi_nsnh", ev_tlbi_nh },
	{ "smmuv3_cmdq_tlbi_s12_vmid", ev_tlbi_vmid },
	{ "smmuv3_s1_range_inval", ev_range_inval },
	{ "smmuv3_range_inval", ev_range_inval },
	{ "smmuv3_cmdq_tlbi_nh_va", ev_range_inval },	/* before 6.0 */
	{ "smmuv3_cmdq_tlbi_nh_vaa", ev_tlbi_nh_vaa },	/* before 6.0 */
	{ "smmuv3_unhandled_cmd", ev_unhandled_cmd },
	{ "smmuv3_record_event", ev_record_event },
	{ "smmuv3_propagate_event", ev_record_event },
	{ "smmuv3_translate_success", ev_translate_success },
	{ "smmuv3_translate_abort", ev_translate_abort },
	{ "smmuv3_translate_bypass", ev_translate_bypass },
	{ "smmuv3_translate_disable", ev_translate_bypass },
	{ "smmuv3_trigger_irq", ev_trigger_irq },
	{ "smmuv3_write_gerror", ev_write_gerror },
};

static event_fn find_event(const char *name)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(events[i].name, name))
			return events[i].fn;
	return NULL;
}

/* --- guest-error lines ------------------------------------------------- */

/* "Illegal command type: N": the opcode of the command QEMU refused. */
static void illegal_cmd(struct conv *c, const char *s)
{
	uint64_t type;
	bool neg;
	struct qrec *r = open_cmd(c);

	if (!parse_num(skip_spaces(s), &neg, &type, NULL) || neg ||
	    type > 0xFF || !r || strcmp(r->name, "?"))
		return;
	snprintf(r->name, sizeof(r->name), "CMD_0x%02x", (unsigned)type);
	snprintf(c->pass_op, sizeof(c->pass_op), "%s", r->name);
}

/* "NAME translation failed for iova=0x... (SMMU_EVT_...)" */
static bool translation_failed(struct conv *c, const char *s)
{
	char mr[MR_NAME_LEN];
	const char *rest, *open, *close;
	uint64_t iova;
	struct qrec *r = &c->fault_rec;
	char q[NAME_LEN];
	size_t len;

	if (!word(s, mr, sizeof(mr), &rest) ||
	    !starts_with(rest, " translation failed for ") ||
	    !kv_u64(rest, "iova", &iova, NULL))
		return true;	/* some other message */
	if (c->fault && !push_fault(c))
		return false;
	new_rec(c, r, K_XLATE);
	snprintf(c->fault_mr, sizeof(c->fault_mr), "%s", mr);
	r->abort = true;
	r->iova = iova;
	r->has = HAS_PERM;
	snprintf(r->perm, sizeof(r->perm), "---");
	if (mr_find(c, mr, &r->sid))
		r->has |= HAS_SID;
	open = strchr(rest, '(');
	close = open ? strrchr(open, ')') : NULL;
	len = close ? (size_t)(close - open - 1) : 0;
	if (len && len < sizeof(q)) {
		memcpy(q, open + 1, len);
		q[len] = '\0';
		/* "no recorded event": a fault whose event is not known */
		evt_name(q, r->extra, sizeof(r->extra));
		if (strcmp(r->extra, "?"))
			r->has |= HAS_EVENT;
	}
	c->fault = true;
	c->fault_evt = false;
	return true;
}

/* --- time -------------------------------------------------------------- */

/* Leap years from year 1 up to and including year y. */
static int64_t leaps_through(int64_t y)
{
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to the first of January of year y (y >= 1970). */
static int64_t days_to_year(int64_t y)
{
	return (y - 1970) * 365 + leaps_through(y - 1) - leaps_through(1969);
}

static bool digits(const char *s, unsigned n, unsigned *v)
{
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* Up to 9 fraction digits as microseconds; *end past all of them. */
static uint64_t fraction_us(const char *s, const char **end)
{
	uint64_t us = 0;
	unsigned n = 0;

	for (; is_digit(*s); s++, n++)
		if (n < 6)
			us = us * 10 + (uint64_t)(*s - '0');
	for (; n < 6; n++)
		us *= 10;
	*end = s;
	return us;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" at s (QEMU after 10.0). */
static bool iso_time(const char *s, const char **end, uint64_t *us)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };
	unsigned y, mo, d, h, mi, sec;
	uint64_t frac = 0;
	int64_t days;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return false;
	s += 19;
	if (*s == '.' && is_digit(s[1]))
		frac = fraction_us(s + 1, &s);
	if (*s != 'Z' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60)
		return false;
	days = days_to_year(y);
	for (unsigned m = 1; m < mo; m++)
		days += mdays[m - 1] + (m == 2 && y % 4 == 0 &&
					(y % 100 != 0 || y % 400 == 0));
	days += d - 1;
	*us = (((uint64_t)days * 24 + h) * 60 + mi) * 60 + sec;
	*us = *us * 1000000 + frac;
	*end = s + 1;
	return true;
}

/*
 * Strip a line's timestamp prefix: "TID@SEC.USEC:" (QEMU 7.2 to 10.0) or
 * "ISO-8601Z " with an optional "(TID) " (after 10.0). Returns the
 * rest of the line; *has_t tells whether a time was found.
 */
static const char *strip_prefix(const char *s, bool *has_t, uint64_t *us)
{
	const char *p = s;
	uint64_t sec = 0;

	*has_t = false;
	if (is_digit(*p)) {
		while (is_digit(*p))
			p++;
		if (*p == '@' && is_digit(p[1])) {
			p++;
			/* at most 12 digits: the microseconds fit 64 bits */
			for (unsigned n = 0; is_digit(*p); p++, n++) {
				if (n == 12)
					return s;
				sec = sec * 10 + (uint64_t)(*p - '0');
			}
			if (*p == '.' && is_digit(p[1])) {
				uint64_t frac = fraction_us(p + 1, &p);

				if (*p == ':') {
					*us = sec * 1000000 + frac;
					*has_t = true;
					return p + 1;
				}
			}
		}
	}
	if (iso_time(s, &p, us) && *p == ' ') {
		*has_t = true;
		p++;
		if (*p == '(' && is_digit(p[1])) {
			const char *q = p + 1;

			while (is_digit(*q))
				q++;
			if (q[0] == ')' && q[1] == ' ')
				p = q + 2;
		}
		return p;
	}
	return s;
}

/* Cycles for d microseconds at c->hz, rounded to nearest; false: overflow */
static bool us_to_cycles(const struct conv *c, uint64_t d, uint64_t *cyc)
{
	uint64_t q = d / 1000000, r = d % 1000000;
	uint64_t frac = (r * c->hz + 500000) / 1000000;

	if (q && c->hz > (UINT64_MAX - frac) / q)
		return false;
	*cyc = q * c->hz + frac;
	return true;
}

static bool set_time(struct conv *c, uint64_t us)
{
	if (!c->have_t0) {
		c->have_t0 = true;
		c->t0_us = c->last_us = us;
	}
	if (us < c->last_us) {
		c->st->backwards++;
		us = c->last_us;
	}
	c->last_us = us;
	if (!us_to_cycles(c, us - c->t0_us, &c->now))
		return fail(c, "%s:%u: timestamp too far from the first one "
			    "for --clock-hz %" PRIu64, c->lname, c->line,
			    c->hz);
	return true;
}

/* --- statistics -------------------------------------------------------- */

static bool count_skipped(struct conv *c, const char *name)
{
	struct trace_qemu_stats *st = c->st;
	unsigned lo = 0, hi = st->nskipped;
	struct trace_qemu_count *n;

	st->skipped++;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int cmp = strcmp(st->skipped_by_name[mid].name, name);

		if (!cmp) {
			st->skipped_by_name[mid].count++;
			return true;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	n = realloc(st->skipped_by_name,
		    (st->nskipped + 1) * sizeof(*st->skipped_by_name));
	if (!n)
		return fail(c, "%s: out of memory", c->lname);
	st->skipped_by_name = n;
	memmove(&n[lo + 1], &n[lo], (st->nskipped - lo) * sizeof(*n));
	n[lo].name = malloc(strlen(name) + 1);
	if (!n[lo].name) {
		memmove(&n[lo], &n[lo + 1], (st->nskipped - lo) * sizeof(*n));
		return fail(c, "%s: out of memory", c->lname);
	}
	strcpy(n[lo].name, name);
	n[lo].count = 1;
	st->nskipped++;
	return true;
}

void trace_qemu_stats_free(struct trace_qemu_stats *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->nskipped; i++)
		free(st->skipped_by_name[i].name);
	free(st->skipped_by_name);
	st->skipped_by_name = NULL;
	st->nskipped = 0;
}

/* --- lines ------------------------------------------------------------- */

/*
 * The event name at s: lower case, digits and '_' with at least one '_',
 * then a space or the end of the line. Its length; 0 if there is none.
 */
static size_t event_name(const char *s)
{
	size_t n = 0;
	bool underscore = false;

	if (!is_lower(*s))
		return 0;
	for (; is_lower(s[n]) || is_digit(s[n]) || s[n] == '_'; n++)
		underscore |= s[n] == '_';
	if (!underscore || (s[n] != ' ' && s[n] != '\0') ||
	    n >= EVENT_NAME_LEN)
		return 0;
	return n;
}

/*
 * One line (no line end). last: it is the file's last line and had no
 * line end, so it may have been cut short.
 */
static bool do_line(struct conv *c, char *s, bool last)
{
	char name[EVENT_NAME_LEN];
	const char *rest, *msg, *bad = NULL;
	bool has_t;
	uint64_t us = 0;
	size_t n;
	event_fn fn;
	int rc;

	rest = strip_prefix(s, &has_t, &us);
	n = event_name(rest);
	if (!n) {
		c->st->other++;
		if (c->timed != 1 && c->timed != 0)
			return true;	/* before any event: ignored */
		if (has_t && c->timed == 1 && !set_time(c, us))
			return false;
		if (starts_with(rest, "Illegal command type:")) {
			illegal_cmd(c, rest + strlen("Illegal command type:"));
			return true;
		}
		return translation_failed(c, rest);
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	msg = rest[n] ? rest + n + 1 : rest + n;
	c->st->events++;
	if (c->timed < 0)
		c->timed = has_t ? 1 : 0;
	if (has_t && c->timed == 1 && !set_time(c, us))
		return false;
	fn = find_event(name);
	rc = fn ? fn(c, msg, &bad) : 0;
	if (rc == -2)
		return false;
	if (rc == -1) {
		if (!last)
			return fail(c, "%s:%u: %s: cannot parse '%s'",
				    c->lname, c->line, name, bad);
		snprintf(c->st->warning, sizeof(c->st->warning),
			 "%s:%u: %s: cannot parse '%s' (truncated last line, "
			 "skipped)", c->lname, c->line, name, bad);
		c->st->truncated++;
		rc = 0;
	}
	if (rc == 1) {
		c->st->converted++;
		return true;
	}
	return count_skipped(c, name);
}

/*
 * Read one line into buf (at most TRACE_QEMU_LINE_MAX bytes kept).
 * Returns -1 at the end of the input with nothing read. *nl: a line end
 * ended it; *bin: it held a NUL byte or was longer than the limit.
 */
static int read_line(FILE *in, char *buf, size_t *len, bool *nl, bool *bin)
{
	size_t n = 0;
	int ch;

	*nl = false;
	*bin = false;
	while ((ch = getc(in)) != EOF) {
		if (ch == '\n') {
			*nl = true;
			break;
		}
		if (ch == '\0')
			*bin = true;
		if (n < TRACE_QEMU_LINE_MAX)
			buf[n++] = (char)ch;
		else
			*bin = true;
	}
	if (ch == EOF && !n && !*bin)
		return -1;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

bool trace_from_qemu(FILE *in, const char *in_name, FILE *out,
		     const struct trace_qemu_opts *o,
		     struct trace_qemu_stats *st, char *err, size_t errlen)
{
	struct trace_qemu_stats local;
	struct conv c = {
		.out = out,
		.lname = in_name ? in_name : "<log>",
		.st = st ? st : &local,
		.err = err,
		.errlen = errlen,
		.hz = o && o->clock_hz ? o->clock_hz : TRACE_QEMU_CLOCK_HZ,
		.timed = -1,
		.open_cmd = -1,
	};
	char *buf = NULL;
	bool ok = false;

	memset(c.st, 0, sizeof(*c.st));
	if (!in || !out) {
		fail(&c, "%s: no input or output", c.lname);
		goto out;
	}
	if (c.hz > TRACE_QEMU_CLOCK_MAX) {
		fail(&c, "clock %" PRIu64 " Hz is above %llu Hz", c.hz,
		     (unsigned long long)TRACE_QEMU_CLOCK_MAX);
		goto out;
	}
	buf = malloc(TRACE_QEMU_LINE_MAX + 1);
	if (!buf) {
		fail(&c, "%s: out of memory", c.lname);
		goto out;
	}
	fprintf(out, "# smmusim-trace 1\n# source: qemu\n# clock-hz: %" PRIu64
		"\n", c.hz);
	for (;;) {
		size_t len;
		bool nl, bin;

		if (read_line(in, buf, &len, &nl, &bin) < 0)
			break;
		c.line++;
		c.st->lines++;
		if (bin || strlen(buf) != len) {
			c.st->other++;
			continue;
		}
		if (!do_line(&c, buf, !nl))
			goto out;
	}
	if (ferror(in)) {
		fail(&c, "%s: read error: %s", c.lname, strerror(errno));
		goto out;
	}
	if (c.fault && !push_fault(&c))
		goto out;
	if (!flush_hold(&c))
		goto out;
	if (!c.st->events) {
		fail(&c, "%s: no QEMU trace events found (expected lines such "
		     "as 'smmuv3_write_mmio addr: ...' from QEMU's log trace "
		     "backend)", c.lname);
		goto out;
	}
	if (fflush(out) || ferror(out)) {
		fail(&c, "cannot write the trace: %s", strerror(errno));
		goto out;
	}
	ok = true;
out:
	free(buf);
	free(c.hold);
	free(c.mrs);
	if (!st)
		trace_qemu_stats_free(&local);
	return ok;
}
