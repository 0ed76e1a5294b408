/* SPDX-License-Identifier: MIT */
/*
 * The scenario runner's shared state (run.c: machine, statements, time;
 * faults.c: `fault ...`; expect.c: `expect ...`). Private to scenarios/.
 *
 * Every statement handler returns 0 to go on, or -1 to stop the scenario:
 * then ctx->res holds either an input error (res->error) or a failed
 * expectation, with its "file:line:col: " prefix.
 */
#ifndef SMMUSIM_SCN_INTERNAL_H
#define SMMUSIM_SCN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"
#include "smmusim/sim.h"
#include "smmusim/smmu_impl.h"

struct kshim;
struct platform;
struct task_struct;
struct device;
struct pcie_ep;
struct iopf;

#define SCN_NAME_MAX 24
#define SCN_MAX_DEVS 64

enum scn_dev_mode {
	SCN_MODE_SVA,
	SCN_MODE_BYPASS,
	SCN_MODE_ABORT,
	SCN_MODE_INVALID,
};

/* A recent SMMU response of a device, to attribute events and stalls to
 * the DMA access that caused them. */
struct scn_recent {
	uint64_t page;
	uint32_t ssid;
	bool ssv, stalled, write;
	uint8_t event_id;
};

#define SCN_RECENT 64

struct scn_dev {
	char name[SCN_NAME_MAX];
	uint32_t sid;
	unsigned pasid_bits;
	bool ats, pri, stall;
	unsigned atc;
	enum scn_dev_mode mode;
	struct device *kdev;      /* SVA mode only */
	int group;                /* IOMMU group number, -1 without */
	int gfd;                  /* open group file, -1 when closed */
	int container;            /* index of the container holding it, -1 */
	struct pcie_ep *ep;
	bool ats_on;              /* ATS Enable of the endpoint now */
	struct scn_recent recent[SCN_RECENT];
	unsigned nrecent;         /* ring position */
	struct scn_ctx *ctx;
};

struct scn_region {
	char name[48];
	unsigned proc;
	uint64_t va, size;
};

struct scn_proc {
	char name[SCN_NAME_MAX];
	struct task_struct *t;
	uint32_t uid;
	bool has_pasid;
	uint32_t pasid;
	bool exited;
};

struct scn_container {
	char name[SCN_NAME_MAX];
	int fd;
	bool closed;
};

enum scn_pattern_kind { SCN_PAT_BYTE, SCN_PAT_INC, SCN_PAT_RANDOM };

struct scn_pattern {
	enum scn_pattern_kind kind;
	uint8_t byte;
};

struct scn_dma {
	char name[SCN_NAME_MAX];
	unsigned dev;
	uint64_t addr, stride;
	uint32_t size;
	unsigned count, concurrency;
	bool write, pasid_valid, ats;
	uint32_t pasid;
	struct scn_pattern pat;
	struct sim_prng prng;
	unsigned issued, done, ok, razwi, failed;
	struct scn_ctx *ctx;
};

/* A statement to run later: `at` (time) or `on event` (trigger). */
struct scn_pending {
	const struct scn_stmt *st;
	uint64_t at;
	uint64_t seq;
	uint8_t event_id;        /* on event */
	bool done;
};

struct scn_event {
	uint64_t rec[4];
	uint64_t at;
	bool used;               /* by an `expect event` */
};

struct scn_held {
	bool ppr;
	uint64_t rec[4];
};

struct scn_wrap;

struct scn_saved_page {
	uint64_t pa;
	uint8_t data[4096];
};

struct scn_ctx {
	const struct scn *s;
	const struct scn_run_opts *opts;
	struct scn_result *res;
	uint64_t seed;
	/* the machine, built at the first statement that needs it */
	bool built;
	bool tearing;             /* endpoints gone: drop late responses */
	struct smmu_impl *impl;
	bool smmu_seen;
	const struct scn_stmt *smmu_st; /* the smmu statement, if any */
	struct kshim *k;
	struct platform *plat;
	struct iopf *iopf;
	/* objects, by name */
	struct scn_dev *devs;
	unsigned ndevs;
	struct scn_proc *procs;
	unsigned nprocs;
	struct scn_region *regions;
	unsigned nregions;
	struct scn_container *conts;
	unsigned nconts;
	struct scn_dma **dmas;
	unsigned ndmas;
	/* scheduled statements */
	struct scn_pending *pend;
	unsigned npend;
	uint64_t pend_seq;
	unsigned depth;
	/* the host's view of the queues */
	struct scn_event *events;
	unsigned nevents, events_cap;
	struct scn_held *held;
	unsigned nheld;
	bool evtq_stopped, priq_stopped, iopf_stopped;
	uint64_t evtq_overflows, priq_overflows;
	uint32_t last_cerror;
	uint32_t gerror_seen;     /* GERROR bits raised, for expect gerror */
	unsigned atc_timeouts_seen;
	uint64_t cmd_errors_seen;
	/* transaction wrappers (the endpoint port) */
	struct scn_wrap *wraps, *free_wraps;
	/* arrays grown in the result */
	unsigned spans_cap, marks_cap;
	/* fault mem-abort: RAM pieces and aborting MMIO regions */
	struct scn_mreg {
		int id;
		uint64_t base, size;
		bool ram;
		/* pages overlapping an aborting range: its contents, put
		 * back when it becomes RAM again */
		struct scn_saved_page *keep;
		unsigned nkeep;
	} mregs[64];
	unsigned nmregs;
	/* a fault changed memory software owns (STE, CD, PTE, an aborting
	 * range, a command, CR0): its structures need not be consistent */
	bool corrupted;
	/* fault pte: descriptors overwritten, restored before teardown so
	 * the OS frees what it mapped */
	struct scn_pte_undo {
		uint64_t pa, old, new_;
	} *pte_undo;
	unsigned npte_undo;
};

/* --- run.c --- */
int scn_error(struct scn_ctx *c, const struct scn_loc *loc, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));
/* A failed expectation or action of statement st: "loc: TEXT: detail". */
int scn_fail(struct scn_ctx *c, const struct scn_stmt *st, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));
void scn_stmt_text(const struct scn_stmt *st, char *buf, size_t len);
void scn_mark(struct scn_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Argument helpers. allowed: "key=" for key=value, "word" for a flag;
 * positional arguments are counted by the caller. */
const struct scn_arg *scn_kv(const struct scn_stmt *st, const char *key);
bool scn_flag(const struct scn_stmt *st, const char *flag);
/* The i-th positional argument, NULL if absent. */
const struct scn_arg *scn_pos(const struct scn_stmt *st, unsigned i);
unsigned scn_npos(const struct scn_stmt *st);
/* Check every argument is known; flags lists flags, keys lists keys
 * (NULL-terminated), npos_min..npos_max positional arguments. */
int scn_check_args(struct scn_ctx *c, const struct scn_stmt *st,
		   unsigned npos_min, unsigned npos_max,
		   const char *const *keys, const char *const *flags);
int scn_num(struct scn_ctx *c, const struct scn_arg *a, uint64_t *out);
/* A required key=value number. */
int scn_req_num(struct scn_ctx *c, const struct scn_stmt *st,
		const char *key, uint64_t *out);

int scn_find_dev(struct scn_ctx *c, const struct scn_arg *a);
int scn_find_proc(struct scn_ctx *c, const struct scn_arg *a);
/* An address in process p (REGION, REGION+OFF, number); proc -1: only a
 * number. */
int scn_addr(struct scn_ctx *c, int proc, const struct scn_arg *a,
	     uint64_t *out);
/* A PASID: number or PROC.pasid. */
int scn_pasid(struct scn_ctx *c, const struct scn_arg *a, uint32_t *out);
int scn_pattern(struct scn_ctx *c, const struct scn_arg *a,
		struct scn_pattern *out);
int scn_prot(struct scn_ctx *c, const struct scn_arg *a, unsigned *out);

/* Drain the event and PRI queues as the host does. */
void scn_host_poll(struct scn_ctx *c);
/* Commands errors the driver saw since last time, into last_cerror. */
void scn_note_cmd_errors(struct scn_ctx *c);

/* Event names (docs/events.md). */
bool scn_event_id(const char *s, uint8_t *out);
const char *scn_errno_name(int e);

/* --- faults.c --- */
int scn_do_fault(struct scn_ctx *c, const struct scn_stmt *st);
/* Undo what fault injection changed in memory (before teardown). */
void scn_faults_cleanup(struct scn_ctx *c);

/* --- expect.c --- */
int scn_do_expect(struct scn_ctx *c, const struct scn_stmt *st);

#endif
