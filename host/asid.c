/* SPDX-License-Identifier: MIT */
/*
 * Bounded ID allocators: a hierarchy of bitmaps (see host/asid.h for the
 * representation and its costs).
 */
#include "host/asid.h"

#include <errno.h>
#include <stdlib.h>

#define WORD_BITS	64u
#define WORD_FULL	(~UINT64_C(0))
/* 2^31 IDs need 6 levels: 2^25, 2^19, 2^13, 2^7, 2 words, 1 word. */
#define MAX_LEVELS	6

struct level {
	uint64_t *word;
	uint32_t nbits;		/* meaningful bits; the rest read as 1 */
	uint32_t nwords;
};

struct idspace {
	uint32_t max_id;
	uint32_t count;
	unsigned nlevels;
	struct level lvl[MAX_LEVELS];
};

static uint32_t word_of(uint32_t bit)
{
	return bit / WORD_BITS;
}

static uint64_t bit_mask(uint32_t bit)
{
	return UINT64_C(1) << (bit % WORD_BITS);
}

/* Bits at positions >= (bit % 64) of a word. */
static uint64_t mask_from(uint32_t bit)
{
	return WORD_FULL << (bit % WORD_BITS);
}

static unsigned lowest_set(uint64_t w)
{
	return (unsigned)__builtin_ctzll(w);
}

/*
 * Mark bit `bit` of level 0 used; a word that becomes full is recorded
 * one level up, and so on.
 */
static void mark_used(struct idspace *ids, uint32_t bit)
{
	for (unsigned k = 0; k < ids->nlevels; k++) {
		uint64_t *w = &ids->lvl[k].word[word_of(bit)];

		*w |= bit_mask(bit);
		if (*w != WORD_FULL)
			return;
		bit = word_of(bit);
	}
}

/* Mark bit `bit` of level 0 free; a word that was full stops being so. */
static void mark_free(struct idspace *ids, uint32_t bit)
{
	for (unsigned k = 0; k < ids->nlevels; k++) {
		uint64_t *w = &ids->lvl[k].word[word_of(bit)];
		bool was_full = *w == WORD_FULL;

		*w &= ~bit_mask(bit);
		if (!was_full)
			return;
		bit = word_of(bit);
	}
}

/*
 * Lowest clear bit >= `from` in level k, or -1. The word of `from` is
 * tried first; failing that, level k + 1 names the first non-full word
 * after it, whose lowest clear bit is the answer.
 */
static int64_t find_free(const struct idspace *ids, unsigned k,
			 uint32_t from)
{
	const struct level *l = &ids->lvl[k];
	uint32_t w = word_of(from);
	uint64_t avail;
	int64_t next;

	if (from >= l->nbits)
		return -1;
	avail = ~l->word[w] & mask_from(from);
	if (avail)	/* padding bits are set, so this is < nbits */
		return (int64_t)w * WORD_BITS + lowest_set(avail);
	if (k + 1 == ids->nlevels)
		return -1;
	next = find_free(ids, k + 1, w + 1);
	if (next < 0)
		return -1;
	return next * WORD_BITS + lowest_set(~l->word[next]);
}

struct idspace *idspace_create(uint32_t max_id)
{
	struct idspace *ids;
	uint32_t nbits;

	if (max_id < 1 || max_id > IDSPACE_MAX_ID)
		return NULL;
	ids = calloc(1, sizeof(*ids));
	if (!ids)
		return NULL;
	ids->max_id = max_id;
	nbits = max_id + 1;
	for (;;) {
		struct level *l = &ids->lvl[ids->nlevels++];

		l->nbits = nbits;
		l->nwords = (nbits + WORD_BITS - 1) / WORD_BITS;
		l->word = calloc(l->nwords, sizeof(*l->word));
		if (!l->word) {
			idspace_destroy(ids);
			return NULL;
		}
		/* Bits past nbits never become free. */
		if (nbits % WORD_BITS)
			l->word[l->nwords - 1] = mask_from(nbits);
		if (l->nwords == 1)
			break;
		nbits = l->nwords;
	}
	/* ID 0 is reserved: used from the start, never freed, not counted. */
	mark_used(ids, 0);
	return ids;
}

void idspace_destroy(struct idspace *ids)
{
	if (!ids)
		return;
	for (unsigned k = 0; k < ids->nlevels; k++)
		free(ids->lvl[k].word);
	free(ids);
}

int idspace_alloc(struct idspace *ids, uint32_t min, uint32_t max)
{
	int64_t id;

	if (min < 1)
		min = 1;
	if (max > ids->max_id)
		max = ids->max_id;
	if (min > max)
		return -ENOSPC;
	id = find_free(ids, 0, min);
	if (id < 0 || id > max)
		return -ENOSPC;
	mark_used(ids, (uint32_t)id);
	ids->count++;
	return (int)id;
}

bool idspace_in_use(const struct idspace *ids, uint32_t id)
{
	if (id < 1 || id > ids->max_id)
		return false;
	return ids->lvl[0].word[word_of(id)] & bit_mask(id);
}

int idspace_free(struct idspace *ids, uint32_t id)
{
	if (!idspace_in_use(ids, id))
		return -EINVAL;
	mark_free(ids, id);
	ids->count--;
	return 0;
}

uint32_t idspace_count(const struct idspace *ids)
{
	return ids->count;
}

uint32_t idspace_max(const struct idspace *ids)
{
	return ids->max_id;
}

size_t idspace_mem_bytes(const struct idspace *ids)
{
	size_t n = sizeof(*ids);

	for (unsigned k = 0; k < ids->nlevels; k++)
		n += (size_t)ids->lvl[k].nwords * sizeof(uint64_t);
	return n;
}

/* §6.3.1 SMMU_IDR0.ASID16: 16-bit ASIDs supported, else 8-bit. */
struct idspace *asid_space_create(bool asid16)
{
	return idspace_create(asid16 ? ASID_MAX_16BIT : ASID_MAX_8BIT);
}

/* §6.3.1 SMMU_IDR0.VMID16: 16-bit VMIDs supported, else 8-bit. */
struct idspace *vmid_space_create(bool vmid16)
{
	return idspace_create(vmid16 ? VMID_MAX_16BIT : VMID_MAX_8BIT);
}

int asid_alloc(struct idspace *asids)
{
	return idspace_alloc(asids, 1, idspace_max(asids));
}

int vmid_alloc(struct idspace *vmids)
{
	return idspace_alloc(vmids, 1, idspace_max(vmids));
}
