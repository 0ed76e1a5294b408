/* SPDX-License-Identifier: MIT */
/*
 * The system-wide PASID space: numbers from the hierarchical bitmap of
 * host/asid.h, private pointers in a two-level table whose leaf blocks
 * exist only while they hold a pointer (costs in pasid/pasid.h).
 */
#include "pasid/pasid.h"

#include <errno.h>
#include <stdlib.h>

#include "host/asid.h"

#define LEAF_SLOTS	512u

struct pasid_leaf {
	void *slot[LEAF_SLOTS];
	uint32_t used;		/* non-NULL slots */
};

struct pasid_space {
	struct idspace *ids;
	struct pasid_leaf **dir;	/* one per LEAF_SLOTS PASIDs */
	uint32_t nleaves;
	uint32_t leaves_live;
};

struct pasid_space *pasid_space_create(unsigned int bits)
{
	struct pasid_space *ps;
	uint32_t max_id;

	if (bits < 1 || bits > PASID_BITS_MAX)
		return NULL;
	max_id = (UINT32_C(1) << bits) - 1;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->ids = idspace_create(max_id);
	ps->nleaves = max_id / LEAF_SLOTS + 1;
	ps->dir = calloc(ps->nleaves, sizeof(*ps->dir));
	if (!ps->ids || !ps->dir) {
		pasid_space_destroy(ps);
		return NULL;
	}
	return ps;
}

void pasid_space_destroy(struct pasid_space *ps)
{
	if (!ps)
		return;
	if (ps->dir) {
		for (uint32_t i = 0; i < ps->nleaves; i++)
			free(ps->dir[i]);
		free(ps->dir);
	}
	idspace_destroy(ps->ids);
	free(ps);
}

uint32_t pasid_max_for(unsigned int dev_bits, unsigned int ssidsize)
{
	unsigned int bits = dev_bits < ssidsize ? dev_bits : ssidsize;

	if (bits > PASID_BITS_MAX)
		bits = PASID_BITS_MAX;
	return (UINT32_C(1) << bits) - 1;
}

int pasid_alloc(struct pasid_space *ps, uint32_t min, uint32_t max)
{
	return idspace_alloc(ps->ids, min, max);
}

bool pasid_in_use(const struct pasid_space *ps, uint32_t pasid)
{
	return idspace_in_use(ps->ids, pasid);
}

uint32_t pasid_count(const struct pasid_space *ps)
{
	return idspace_count(ps->ids);
}

int pasid_free(struct pasid_space *ps, uint32_t pasid)
{
	if (!pasid_in_use(ps, pasid))
		return -EINVAL;
	pasid_erase_private(ps, pasid);
	return idspace_free(ps->ids, pasid);
}

int pasid_check_width(const struct pasid_space *ps, uint32_t pasid,
		      unsigned int dev_bits, unsigned int ssidsize)
{
	if (!pasid_in_use(ps, pasid))
		return -EINVAL;
	if (pasid > pasid_max_for(dev_bits, ssidsize))
		return -EOVERFLOW;
	return 0;
}

int pasid_set_private(struct pasid_space *ps, uint32_t pasid, void *p)
{
	struct pasid_leaf **leaf;
	void **slot;

	if (!pasid_in_use(ps, pasid))
		return -EINVAL;
	if (!p) {
		pasid_erase_private(ps, pasid);
		return 0;
	}
	leaf = &ps->dir[pasid / LEAF_SLOTS];
	if (!*leaf) {
		*leaf = calloc(1, sizeof(**leaf));
		if (!*leaf)
			return -ENOMEM;
		ps->leaves_live++;
	}
	slot = &(*leaf)->slot[pasid % LEAF_SLOTS];
	if (!*slot)
		(*leaf)->used++;
	*slot = p;
	return 0;
}

void *pasid_get_private(const struct pasid_space *ps, uint32_t pasid)
{
	const struct pasid_leaf *leaf;

	if (!pasid_in_use(ps, pasid))
		return NULL;
	leaf = ps->dir[pasid / LEAF_SLOTS];
	return leaf ? leaf->slot[pasid % LEAF_SLOTS] : NULL;
}

void *pasid_erase_private(struct pasid_space *ps, uint32_t pasid)
{
	struct pasid_leaf **leaf;
	void *old;

	if (!pasid_in_use(ps, pasid))
		return NULL;
	leaf = &ps->dir[pasid / LEAF_SLOTS];
	if (!*leaf)
		return NULL;
	old = (*leaf)->slot[pasid % LEAF_SLOTS];
	if (!old)
		return NULL;
	(*leaf)->slot[pasid % LEAF_SLOTS] = NULL;
	if (--(*leaf)->used == 0) {
		free(*leaf);
		*leaf = NULL;
		ps->leaves_live--;
	}
	return old;
}

size_t pasid_space_mem_bytes(const struct pasid_space *ps)
{
	return sizeof(*ps) + idspace_mem_bytes(ps->ids) +
	       (size_t)ps->nleaves * sizeof(*ps->dir) +
	       (size_t)ps->leaves_live * sizeof(struct pasid_leaf);
}
