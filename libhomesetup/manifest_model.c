/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree manifests: what holds one (the arena its strings and entries live in), their order, and the accessors.
 * The scan is in manifest.c, the text format in manifest_io.c, the comparison in verify.c.
 */
#include "homesetupP.h"

/* ---- arena -------------------------------------------------------------------------------------------- */

#define ARENA_BLOCK ((size_t)1 << 20)

struct hs_arena_block {
	hs_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

void *hs_arena_alloc(hs_arena *a, size_t size)
{
	hs_arena_block *b = a->head;
	void *p;

	size = (size + 7) & ~(size_t)7;
	if (size == 0)
		size = 8;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK - sizeof(*b);

		if (size > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (a->head && cap == size) {
			/* a large block of its own: keep filling the current one */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

char *hs_arena_strndup(hs_arena *a, const char *s, size_t len)
{
	char *p = len < SIZE_MAX ? hs_arena_alloc(a, len + 1) : NULL;

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void hs_arena_join(hs_arena *into, hs_arena *from)
{
	hs_arena_block *last = from->head;

	if (!last)
		return;
	while (last->next)
		last = last->next;
	/* the joined blocks go behind the current one, which stays the one being filled */
	if (into->head) {
		last->next = into->head->next;
		into->head->next = from->head;
	} else {
		into->head = from->head;
	}
	from->head = NULL;
}

void hs_arena_free(hs_arena *a)
{
	while (a->head) {
		hs_arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* ---- order and accessors ------------------------------------------------------------------------------- */

int hs_manifest_path_cmp(const char *a, const char *b)
{
	bool atop = a[0] == '.' && !a[1], btop = b[0] == '.' && !b[1];

	if (atop || btop)
		return btop - atop;
	for (size_t i = 0;; i++) {
		unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];

		if (ca == cb) {
			if (!ca)
				return 0;
			continue;
		}
		if (!ca)
			return -1;
		if (!cb)
			return 1;
		if (ca == '/')
			return -1;
		if (cb == '/')
			return 1;
		return ca < cb ? -1 : 1;
	}
}

size_t hs_manifest_index(const hs_manifest *m, const char *path)
{
	size_t lo = 0, hi = m ? m->n : 0;

	if (!path)
		return (size_t)-1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = hs_manifest_path_cmp(m->v[mid]->e.path, path);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

void hs_manifest_free(hs_manifest *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->store);
	free(m->text);
	hs_arena_free(&m->arena);
	free(m);
}

size_t hs_manifest_count(const hs_manifest *m)
{
	return m ? m->n : 0;
}

const hs_manifest_entry *hs_manifest_get(const hs_manifest *m, size_t i)
{
	return m && i < m->n ? &m->v[i]->e : NULL;
}

const hs_manifest_entry *hs_manifest_find(const hs_manifest *m, const char *path)
{
	size_t i = hs_manifest_index(m, path);

	return i == (size_t)-1 ? NULL : &m->v[i]->e;
}

uint64_t hs_manifest_total_bytes(const hs_manifest *m)
{
	return m ? m->total_bytes : 0;
}

const char *hs_manifest_hash_algorithm(const hs_manifest *m)
{
	return m && m->hashed ? HS_MANIFEST_HASH_ALGO : NULL;
}

