/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: writing one back as text, and the total order over atoms (pkgcraft's, which its conformance data
 * rests on).
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

/* ---- formatting --------------------------------------------------------------------------------------------- */

/* Appends to a buffer sized beforehand; with p == NULL it only counts. */
struct writer {
	char *p;
	size_t n;
};

static inline void w_mem(struct writer *w, const char *s, size_t n)
{
	if (w->p)
		memcpy(w->p + w->n, s, n);
	w->n += n;
}

static inline void w_str(struct writer *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static inline void w_chr(struct writer *w, char c)
{
	w_mem(w, &c, 1);
}

static void atom_write(const hs_atom *atom, struct writer *w)
{
	static const char *const blk[] = { "", "!", "!!" };
	static const char *const dflt[] = { "", "(+)", "(-)" };

	w_str(w, blk[atom->blocker]);
	w_str(w, hs_atom_op_text[atom->op]);
	w_str(w, atom->category);
	w_chr(w, '/');
	w_str(w, atom->package);
	if (atom->version) {
		w_chr(w, '-');
		w_str(w, hs_version_str(atom->version));
		if (atom->op == HS_OP_GLOB)
			w_chr(w, '*');
	} else if (atom->xver) {
		w_mem(w, "-*", 2);
		w_str(w, atom->xver);
		w_chr(w, '*');
	}
	if (atom->slot || atom->slot_op) {
		w_chr(w, ':');
		if (atom->slot)
			w_str(w, atom->slot);
		if (atom->subslot) {
			w_chr(w, '/');
			w_str(w, atom->subslot);
		}
		if (atom->slot_op)
			w_chr(w, atom->slot_op == HS_SLOT_OP_STAR ? '*' : '=');
	}
	if (atom->repo) {
		w_mem(w, "::", 2);
		w_str(w, atom->repo);
	}
	for (uint32_t i = 0; i < atom->n_use; i++) {
		const hs_usedep *d = &atom->use[i];

		w_chr(w, i == 0 ? '[' : ',');
		if (d->kind == HS_USEDEP_DISABLED)
			w_chr(w, '-');
		else if (d->kind == HS_USEDEP_NOT_EQUAL || d->kind == HS_USEDEP_IF_DISABLED)
			w_chr(w, '!');
		w_str(w, d->flag);
		w_str(w, dflt[d->dflt]);
		if (d->kind == HS_USEDEP_EQUAL || d->kind == HS_USEDEP_NOT_EQUAL)
			w_chr(w, '=');
		else if (d->kind == HS_USEDEP_IF_ENABLED || d->kind == HS_USEDEP_IF_DISABLED)
			w_chr(w, '?');
	}
	if (atom->n_use)
		w_chr(w, ']');
}

int hs_atom_format(const hs_atom *atom, char **out)
{
	struct writer w = {0};

	atom_write(atom, &w);
	w.p = malloc(w.n + 1);
	if (!w.p) {
		*out = NULL;
		return -ENOMEM;
	}
	w.n = 0;
	atom_write(atom, &w);
	w.p[w.n] = '\0';
	*out = w.p;
	return 0;
}

int hs_atom_cp(const hs_atom *atom, char **out)
{
	if (asprintf(out, "%s/%s", atom->category, atom->package) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* USE dependencies: by flag (bytes), then kind, then default. */
int hs_usedep_cmp(const hs_usedep *a, const hs_usedep *b)
{
	int r = (unsigned char)a->flag[0] - (unsigned char)b->flag[0];

	if (r)
		return r;
	r = strcmp(a->flag, b->flag);

	if (r)
		return r;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->dflt != b->dflt)
		return a->dflt < b->dflt ? -1 : 1;
	return 0;
}

/* ---- ordering ----------------------------------------------------------------------------------------------- */

/* NULL (absent) sorts first. */
static int cmp_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_uint(unsigned a, unsigned b)
{
	return (a > b) - (a < b);
}

/*
 * The USE deps of an atom as a set: in hs_usedep_cmp() order, duplicates dropped. Only hs_atom_compare() needs
 * that order, so it is computed here rather than by every parse: sorted on the stack for up to USE_SORT_MAX
 * deps, else walked in O(n) per step (no allocation: comparing cannot fail).
 */
#define USE_SORT_MAX 64

struct usedep_cursor {
	const hs_atom *atom;
	const hs_usedep *prev; /* the dep returned last (NULL: none yet) */
	uint32_t n, i;         /* sorted: n distinct deps in idx, i returned */
	bool walk;
	uint32_t idx[USE_SORT_MAX];
};

static void usedep_cursor_init(struct usedep_cursor *c, const hs_atom *atom)
{
	c->atom = atom;
	c->prev = NULL;
	c->n = c->i = 0;
	c->walk = atom->n_use > USE_SORT_MAX;
	if (c->walk)
		return;
	for (uint32_t k = 0; k < atom->n_use; k++) {
		uint32_t j;

		/* insertion into the sorted, duplicate-free index */
		for (j = c->n; j > 0; j--) {
			int r = hs_usedep_cmp(&atom->use[c->idx[j - 1]], &atom->use[k]);

			if (r == 0)
				goto next;
			if (r < 0)
				break;
		}
		memmove(c->idx + j + 1, c->idx + j, (c->n - j) * sizeof(*c->idx));
		c->idx[j] = k;
		c->n++;
	next:;
	}
}

/* The next USE dep of the set, or NULL after the last. */
static const hs_usedep *usedep_cursor_next(struct usedep_cursor *c)
{
	const hs_usedep *best = NULL;

	if (!c->walk)
		return c->i < c->n ? &c->atom->use[c->idx[c->i++]] : NULL;
	for (uint32_t k = 0; k < c->atom->n_use; k++) {
		const hs_usedep *d = &c->atom->use[k];

		if ((!c->prev || hs_usedep_cmp(d, c->prev) > 0) && (!best || hs_usedep_cmp(d, best) < 0))
			best = d;
	}
	return c->prev = best;
}

int hs_atom_compare(const hs_atom *a, const hs_atom *b)
{
	/* pkgcraft's orders: no blocker < '!!' < '!'; no slot operator < '=' < '*' */
	static const uint8_t blocker_rank[] = { [HS_BLOCK_NONE] = 0, [HS_BLOCK_STRONG] = 1, [HS_BLOCK_WEAK] = 2 };
	static const uint8_t slot_op_rank[] = { [HS_SLOT_OP_NONE] = 0, [HS_SLOT_OP_EQUAL] = 1,
						[HS_SLOT_OP_STAR] = 2 };
	int r;

	r = strcmp(a->category, b->category);
	if (r)
		return r;
	r = strcmp(a->package, b->package);
	if (r)
		return r;
	if (!a->version || !b->version) {
		r = (a->version != NULL) - (b->version != NULL);
		if (r)
			return r;
	} else {
		r = hs_version_compare(a->version, b->version);
		if (r)
			return r;
	}
	r = cmp_opt_str(a->xver, b->xver);
	if (r)
		return r;
	r = cmp_uint(a->op, b->op);
	if (r)
		return r;
	r = cmp_uint(blocker_rank[a->blocker], blocker_rank[b->blocker]);
	if (r)
		return r;
	r = cmp_opt_str(a->slot, b->slot);
	if (r)
		return r;
	r = cmp_opt_str(a->subslot, b->subslot);
	if (r)
		return r;
	r = cmp_uint(slot_op_rank[a->slot_op], slot_op_rank[b->slot_op]);
	if (r)
		return r;
	/* USE deps as a set: no USE deps first, then element-wise over the sorted sets, a prefix first */
	if ((a->n_use == 0) != (b->n_use == 0))
		return a->n_use == 0 ? -1 : 1;
	if (a->n_use) {
		struct usedep_cursor ca, cb;

		usedep_cursor_init(&ca, a);
		usedep_cursor_init(&cb, b);
		for (;;) {
			const hs_usedep *x = usedep_cursor_next(&ca), *y = usedep_cursor_next(&cb);

			if (!x || !y) {
				r = (x != NULL) - (y != NULL);
				if (r)
					return r;
				break;
			}
			r = hs_usedep_cmp(x, y);
			if (r)
				return r;
		}
	}
	r = cmp_opt_str(a->repo, b->repo);
	if (r)
		return r;
	/* what the fields cannot tell apart: extended spellings of the same text (`+a/b`) */
	return cmp_uint(a->extended, b->extended);
}
