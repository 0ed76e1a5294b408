/* SPDX-License-Identifier: MIT */
#include "host/hostmem.h"

#include <stdlib.h>

struct span {
	uint64_t base, size;
	struct span *next;
};

struct hostmem {
	struct pmem *mem;
	struct span *free; /* sorted by base, coalesced */
	uint64_t used;
};

struct hostmem *hostmem_create(struct pmem *mem, uint64_t base, uint64_t size)
{
	struct hostmem *hm = calloc(1, sizeof(*hm));
	struct span *s = calloc(1, sizeof(*s));

	if (!hm || !s || !size) {
		free(hm);
		free(s);
		return NULL;
	}
	s->base = base;
	s->size = size;
	hm->mem = mem;
	hm->free = s;
	return hm;
}

void hostmem_destroy(struct hostmem *hm)
{
	if (!hm)
		return;
	while (hm->free) {
		struct span *s = hm->free;

		hm->free = s->next;
		free(s);
	}
	free(hm);
}

struct pmem *hostmem_pmem(const struct hostmem *hm)
{
	return hm->mem;
}

uint64_t hostmem_alloc(struct hostmem *hm, uint64_t size, uint64_t align)
{
	if (!size || (align & (align - 1)))
		return 0;
	if (align < 8)
		align = 8;
	size = (size + 7) & ~UINT64_C(7);
	for (struct span **pp = &hm->free; *pp; pp = &(*pp)->next) {
		struct span *s = *pp;
		uint64_t start = (s->base + align - 1) & ~(align - 1);

		if (start < s->base || start - s->base > s->size ||
		    s->size - (start - s->base) < size)
			continue;
		uint64_t head = start - s->base;
		uint64_t tail = s->size - head - size;

		if (head && tail) {
			struct span *t = calloc(1, sizeof(*t));

			if (!t)
				return 0;
			t->base = start + size;
			t->size = tail;
			t->next = s->next;
			s->next = t;
			s->size = head;
		} else if (head) {
			s->size = head;
		} else if (tail) {
			s->base = start + size;
			s->size = tail;
		} else {
			*pp = s->next;
			free(s);
		}
		hm->used += size;
		pmem_fill(hm->mem, start, 0, size);
		return start;
	}
	return 0;
}

void hostmem_free(struct hostmem *hm, uint64_t pa, uint64_t size)
{
	size = (size + 7) & ~UINT64_C(7);
	if (!pa || !size)
		return;
	pmem_fill(hm->mem, pa, 0, size);
	struct span **pp = &hm->free;

	while (*pp && (*pp)->base < pa)
		pp = &(*pp)->next;
	struct span *n = calloc(1, sizeof(*n));

	if (!n)
		return;
	n->base = pa;
	n->size = size;
	n->next = *pp;
	*pp = n;
	hm->used -= size;
	/* coalesce with the next and the previous span */
	if (n->next && n->base + n->size == n->next->base) {
		struct span *x = n->next;

		n->size += x->size;
		n->next = x->next;
		free(x);
	}
	for (struct span *p = hm->free; p && p != n; p = p->next) {
		if (p->next == n && p->base + p->size == n->base) {
			p->size += n->size;
			p->next = n->next;
			free(n);
			break;
		}
	}
}

uint64_t hostmem_used(const struct hostmem *hm)
{
	return hm->used;
}
