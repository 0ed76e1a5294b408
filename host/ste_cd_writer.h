/* SPDX-License-Identifier: MIT */
/*
 * Hitless updates of live STEs and CDs (IHI 0070 §3.21.3).
 *
 * The SMMU may fetch an entry's eight 64-bit words at any time, in any
 * order, each word single-copy atomically, and cache what it read until
 * the entry is invalidated. Software may therefore change a valid entry
 * without making it invalid only if every state the SMMU can observe in
 * between behaves as the old or as the new entry.
 *
 * "Used bits" say which bits of each word a configuration depends on. The
 * writer first fills in the bits the current configuration ignores, then,
 * if a single word still differs in bits the target uses, switches to the
 * target with one 64-bit store of that word and finally clears the bits
 * the target ignores. When two or more words must change together it
 * falls back to break-before-make: V=0, body, word 0.
 */
#ifndef SMMUSIM_HOST_STE_CD_WRITER_H
#define SMMUSIM_HOST_STE_CD_WRITER_H

#include <stdint.h>

#define ENTRY_WORDS 8

/* The bits of each word that the SMMU uses for this STE / CD. */
void ste_used_bits(const uint64_t ste[ENTRY_WORDS],
		   uint64_t used[ENTRY_WORDS]);
void cd_used_bits(const uint64_t cd[ENTRY_WORDS], uint64_t used[ENTRY_WORDS]);

typedef void (*entry_used_fn)(const uint64_t ent[ENTRY_WORDS],
			      uint64_t used[ENTRY_WORDS]);

/*
 * Plan an update of `cur` to `target`. Fills `unused_update` with `cur`
 * where cur uses the bits and `target` elsewhere, and returns a mask of
 * the words that still differ from target in bits the target uses.
 */
unsigned entry_plan(entry_used_fn used, const uint64_t cur[ENTRY_WORDS],
		    const uint64_t target[ENTRY_WORDS],
		    uint64_t unused_update[ENTRY_WORDS]);

struct entry_writer {
	entry_used_fn used;
	/* Store word i of the live entry in one 64-bit write. */
	void (*write)(void *ctx, unsigned i, uint64_t v);
	/* Invalidate the entry and wait for a CMD_SYNC: 0 or -errno. */
	int (*sync)(void *ctx);
	void *ctx;
};

/*
 * Make the live entry, whose words are `cur` (updated as words are
 * written), equal to `target`. Returns 0 or the first sync's error.
 */
int entry_write(const struct entry_writer *w, uint64_t cur[ENTRY_WORDS],
		const uint64_t target[ENTRY_WORDS]);

#endif
