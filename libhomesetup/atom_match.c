/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms against each other and against packages: Portage's wildcard (extended) matching, intersection (the
 * decision table of pkgcraft's Version::intersects), matching a package description as match_from_list() does,
 * and the specificity best_match_to_list() orders package.use entries by.
 */
#include "homesetupP.h"

#include <assert.h>
#include <stdint.h>

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- wildcards ---------------------------------------------------------------------------------------------- */

/* Portage's extended_cp_match for one name: `*` matches any run of bytes (names hold no '/'). */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*
 * Is there a name both patterns match? D[i][j] ("p from i and q from j share a string") is filled backwards,
 * one row at a time: a '*' either matches nothing, or swallows the other side's next byte or star.
 */
static bool glob_intersects(const char *p, const char *q)
{
	size_t n = strlen(p), m = strlen(q);
	bool stack[2][130], *next, *cur, result;
	_cleanup_free_ bool *heap = NULL;

	if (!memchr(p, '*', n))
		return glob_match(q, p);
	if (!memchr(q, '*', m))
		return glob_match(p, q);
	if (m + 1 <= ELEMENTSOF(stack[0])) {
		next = stack[0];
		cur = stack[1];
	} else {
		heap = malloc(2 * (m + 1) * sizeof(bool));
		if (!heap)
			return true; /* cannot tell: say "maybe" */
		next = heap;
		cur = heap + m + 1;
	}
	for (size_t ii = n + 1; ii-- > 0;) {
		for (size_t jj = m + 1; jj-- > 0;) {
			bool v;

			if (ii == n && jj == m)
				v = true;
			else if (ii < n && p[ii] == '*')
				v = next[jj] || (jj < m && cur[jj + 1]);
			else if (jj < m && q[jj] == '*')
				v = cur[jj + 1] || (ii < n && next[jj]);
			else
				v = ii < n && jj < m && p[ii] == q[jj] && next[jj + 1];
			cur[jj] = v;
		}
		result = cur[0];
		{
			bool *t = next;

			next = cur;
			cur = t;
		}
	}
	return result;
}

/* ---- intersection ------------------------------------------------------------------------------------------- */

/* The version text as `=ver*` compares it: the first number without its leading zeros (one digit kept). */
static const char *glob_text(const hs_version *v)
{
	const char *t = hs_version_str(v);

	while (t[0] == '0' && is_digit(t[1]))
		t++;
	return t;
}

/* pkgcraft's Version::starts_with, which its intersection data rests on: a plain textual prefix. */
static bool starts_with(const hs_version *v, const hs_version *prefix)
{
	const char *t = glob_text(v), *p = glob_text(prefix);

	return strncmp(t, p, strlen(p)) == 0;
}

static bool revision_is_zero(const hs_version *v)
{
	const char *r = hs_version_revision(v);

	while (*r == '0')
		r++;
	return *r == '\0';
}

/* Does the exact version x satisfy `op v`? */
static bool satisfies(hs_atom_op op, const hs_version *v, const hs_version *x)
{
	switch (op) {
	case HS_OP_LT:
		return hs_version_compare(x, v) < 0;
	case HS_OP_LE:
		return hs_version_compare(x, v) <= 0;
	case HS_OP_EQ:
		return hs_version_compare(x, v) == 0;
	case HS_OP_GLOB:
		return starts_with(x, v);
	case HS_OP_APPROX:
		return hs_version_compare_norev(x, v) == 0;
	case HS_OP_GE:
		return hs_version_compare(x, v) >= 0;
	case HS_OP_GT:
		return hs_version_compare(x, v) > 0;
	default:
		return true;
	}
}

static inline bool is_unbounded(hs_atom_op op)
{
	return op == HS_OP_LT || op == HS_OP_LE || op == HS_OP_GT || op == HS_OP_GE;
}

static inline bool is_upper(hs_atom_op op)
{
	return op == HS_OP_LT || op == HS_OP_LE;
}

/* A range (`<`, `<=`, `>`, `>=` rv) against `~ov` or `=ov*`. */
static bool ranged_intersects(hs_atom_op rop, const hs_version *rv, hs_atom_op oop, const hs_version *ov)
{
	if (satisfies(rop, rv, ov))
		return true;
	if (oop == HS_OP_APPROX)
		/* >1-r1 and ~1 share 1-r2 */
		return !is_upper(rop) && hs_version_compare_norev(ov, rv) == 0;
	/* =ov*: the range's own version may still lie below the glob's other members */
	if (is_upper(rop) && !revision_is_zero(ov))
		return false;
	return starts_with(rv, ov);
}

/* The same decision table as pkgcraft's Version::intersects (crates/pkgcraft/src/dep/version.rs). */
static bool versions_intersect(hs_atom_op aop, const hs_version *a, hs_atom_op bop, const hs_version *b)
{
	if (is_unbounded(aop) && is_unbounded(bop)) {
		if (is_upper(aop) == is_upper(bop))
			return true;
		return satisfies(aop, a, b) && satisfies(bop, b, a);
	}
	if (aop == HS_OP_APPROX && bop == HS_OP_APPROX)
		return hs_version_compare(a, b) == 0;
	if (bop == HS_OP_EQ)
		return satisfies(aop, a, b);
	if (aop == HS_OP_EQ)
		return satisfies(bop, b, a);
	if (aop == HS_OP_GLOB && bop == HS_OP_GLOB)
		return starts_with(a, b) || starts_with(b, a);
	if (aop == HS_OP_GLOB && bop == HS_OP_APPROX)
		return starts_with(b, a);
	if (aop == HS_OP_APPROX && bop == HS_OP_GLOB)
		return starts_with(a, b);
	if (is_unbounded(aop))
		return ranged_intersects(aop, a, bop, b);
	return ranged_intersects(bop, b, aop, a);
}

/*
 * Two unconditional USE deps on one flag conflict unless one says `flag(+)` and the other `-flag(-)`: a package
 * without the flag in IUSE satisfies both.
 */
static bool usedeps_conflict(const hs_usedep *x, const hs_usedep *y)
{
	const hs_usedep *en, *dis;

	if (x->kind == HS_USEDEP_ENABLED && y->kind == HS_USEDEP_DISABLED) {
		en = x;
		dis = y;
	} else if (x->kind == HS_USEDEP_DISABLED && y->kind == HS_USEDEP_ENABLED) {
		en = y;
		dis = x;
	} else
		return false;
	if (strcmp(x->flag, y->flag) != 0)
		return false;
	return !(en->dflt == HS_USEDEP_DEFAULT_ON && dis->dflt == HS_USEDEP_DEFAULT_OFF);
}

static bool use_conflicts(const hs_atom *a, const hs_atom *b)
{
	for (uint32_t i = 0; i < a->n_use; i++)
		for (uint32_t j = 0; j < b->n_use; j++)
			if (usedeps_conflict(&a->use[i], &b->use[j]))
				return true;
	return false;
}

bool hs_atom_intersects(const hs_atom *a, const hs_atom *b)
{
	if (a->extended || b->extended) {
		if (!glob_intersects(a->category, b->category) || !glob_intersects(a->package, b->package))
			return false;
	} else if (strcmp(a->category, b->category) != 0 || strcmp(a->package, b->package) != 0)
		return false;
	if (a->slot && b->slot && strcmp(a->slot, b->slot) != 0)
		return false;
	if (a->subslot && b->subslot && strcmp(a->subslot, b->subslot) != 0)
		return false;
	if (a->repo && b->repo && strcmp(a->repo, b->repo) != 0)
		return false;
	/* contradictions between the two atoms, and within each (nothing matches `[u,-u]`) */
	if (use_conflicts(a, b) || use_conflicts(a, a) || use_conflicts(b, b))
		return false;
	if (a->version && b->version)
		return versions_intersect(a->op, a->version, b->op, b->version);
	/* `=*\/\*-*TEXT*` against an exact version: does the version contain TEXT? */
	if (a->xver && b->version && b->op == HS_OP_EQ)
		return strstr(hs_version_str(b->version), a->xver) != NULL;
	if (b->xver && a->version && a->op == HS_OP_EQ)
		return strstr(hs_version_str(a->version), b->xver) != NULL;
	return true;
}

/* ---- matching ----------------------------------------------------------------------------------------------- */

static bool in_set(const hs_useset *set, const char *flag)
{
	return hs_useset_has(set, flag, strlen(flag));
}

int hs_atom_match(const hs_atom *atom, const hs_pkg_info *pkg)
{
	assert(pkg && pkg->category && pkg->package);

	if (atom->extended) {
		if (!glob_match(atom->category, pkg->category) || !glob_match(atom->package, pkg->package))
			return 0;
	} else if (strcmp(atom->category, pkg->category) != 0 || strcmp(atom->package, pkg->package) != 0)
		return 0;

	if (atom->version) {
		const hs_version *v = pkg->version;

		if (!v)
			return 0;
		switch (atom->op) {
		case HS_OP_GLOB:
			if (!hs_version_match_glob(atom->version, v))
				return 0;
			break;
		case HS_OP_APPROX:
			/* Portage (match_from_list) compares the version text without the revision, so
			 * ~a/b-1.0 matches 1.0-r3 but not 1.00 */
			if (strcmp(hs_version_str_norev(v), hs_version_str_norev(atom->version)) != 0)
				return 0;
			break;
		default:
			if (!satisfies(atom->op, atom->version, v))
				return 0;
		}
	} else if (atom->xver) {
		/* Portage: `ver in x.version` */
		if (!pkg->version || !strstr(hs_version_str(pkg->version), atom->xver))
			return 0;
	}

	if (atom->slot) {
		const char *sub = pkg->subslot ? pkg->subslot : pkg->slot;

		if (!pkg->slot || strcmp(atom->slot, pkg->slot) != 0)
			return 0;
		if (atom->subslot && strcmp(atom->subslot, sub) != 0)
			return 0;
	}
	if (atom->repo && (!pkg->repo || strcmp(atom->repo, pkg->repo) != 0))
		return 0;

	if (pkg->use) {
		for (uint32_t i = 0; i < atom->n_use; i++) {
			const hs_usedep *d = &atom->use[i];
			bool in_iuse, on;

			if (d->kind != HS_USEDEP_ENABLED && d->kind != HS_USEDEP_DISABLED)
				continue;
			in_iuse = !pkg->iuse || in_set(pkg->iuse, d->flag);
			if (in_iuse)
				on = in_set(pkg->use, d->flag);
			else if (d->dflt == HS_USEDEP_DEFAULT_NONE)
				return 0; /* Portage: a flag without a default must be in IUSE */
			else
				on = d->dflt == HS_USEDEP_DEFAULT_ON;
			if (on != (d->kind == HS_USEDEP_ENABLED))
				return 0;
		}
	}
	return 1;
}

/* ---- specificity -------------------------------------------------------------------------------------------- */

int hs_atom_specificity(const hs_atom *atom)
{
	static const int8_t op_value[] = {
		[HS_OP_NONE] = 1, [HS_OP_LT] = 2, [HS_OP_LE] = 2, [HS_OP_EQ] = 6,
		[HS_OP_GLOB] = 4, [HS_OP_APPROX] = 5, [HS_OP_GE] = 2, [HS_OP_GT] = 2,
	};
	int v;

	if (atom->extended) {
		if (atom->op == HS_OP_GLOB)
			return 0;
		return atom->slot ? -1 : -2;
	}
	v = op_value[atom->op];
	if (atom->slot && v < 3)
		v = 3;
	return v;
}
