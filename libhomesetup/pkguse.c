/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atom-keyed configuration files (package.use, package.use.mask, package.accept_keywords …), profile flag
 * lists (use.mask, use.force …) and package.mask-style lists, read the way Portage reads them
 * (portage.util.grabdict_package, grabfile, stack_lists; UseManager; helper.ordered_by_atom_specificity).
 *
 * Files are kept as lines; atoms are parsed when a package is matched, and only on the lines that can name
 * it, so that the large profile files cost one tokenising pass. User files are checked in full at load time
 * because Portage warns about every invalid line there.
 */
#include "homesetupP.h"

#include <ctype.h>
#include <stdio.h>

/* ---- token lists ------------------------------------------------------------------------------------ */

static int flagtoks_push(hs_flagtoks *t, const char *tok, size_t len, const char *written, const char *path,
			 unsigned line)
{
	char *copy, *w = NULL;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		hs_flagtok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	copy = hs_strndup(tok, len);
	if (!copy)
		return -ENOMEM;
	if (written && !(w = strdup(written))) {
		free(copy);
		return -ENOMEM;
	}
	t->v[t->n++] = (hs_flagtok){ .tok = copy, .written = w, .path = path, .line = line };
	return 0;
}

int hs_flagtoks_push(hs_flagtoks *t, const char *tok, size_t len, const char *path, unsigned line)
{
	return flagtoks_push(t, tok, len, NULL, path, line);
}

int hs_flagtoks_push_written(hs_flagtoks *t, const char *tok, const char *written, const char *path, unsigned line)
{
	return flagtoks_push(t, tok, strlen(tok), written, path, line);
}

int hs_flagtoks_push_words(hs_flagtoks *t, const char *s, const char *path, unsigned line)
{
	const char *p = s;

	while (*p) {
		size_t n;
		int r;

		p += strspn(p, " \t\n\r\f\v");
		n = strcspn(p, " \t\n\r\f\v");
		if (!n)
			break;
		r = hs_flagtoks_push(t, p, n, path, line);
		if (r < 0)
			return r;
		p += n;
	}
	return 0;
}

int hs_flagtoks_append(hs_flagtoks *t, const hs_flagtoks *from)
{
	for (size_t i = 0; i < from->n; i++) {
		int r = flagtoks_push(t, from->v[i].tok, strlen(from->v[i].tok), from->v[i].written,
				      from->v[i].path, from->v[i].line);

		if (r < 0)
			return r;
	}
	return 0;
}

void hs_flagtoks_free(hs_flagtoks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].tok);
		free(t->v[i].written);
	}
	free(t->v);
	*t = (hs_flagtoks){0};
}

/* Does @value begin with exactly the words of @toks, followed by whitespace or its end? */
static bool starts_with_words(const char *value, const hs_flagtoks *toks, const char **rest)
{
	const char *p = value;

	for (size_t i = 0; i < toks->n; i++) {
		size_t n, want = strlen(toks->v[i].tok);

		p += strspn(p, " \t\n\r\f\v");
		n = strcspn(p, " \t\n\r\f\v");
		if (n != want || memcmp(p, toks->v[i].tok, n) != 0)
			return false;
		p += n;
	}
	*rest = p;
	return true;
}

int hs_flagtoks_from_assigns(hs_flagtoks *out, const hs_assigns *a, const char *name)
{
	hs_flagtoks cur = {0};
	int r = 0;

	for (size_t i = 0; a && i < a->n; i++) {
		const hs_assign *as = &a->v[i];
		hs_flagtoks next = {0};
		const char *rest = as->value;

		if (strcmp(as->name, name) != 0)
			continue;
		/* `USE="${USE} x"`: the words carried over keep the line that first wrote them. */
		if (cur.n && starts_with_words(as->value, &cur, &rest)) {
			r = hs_flagtoks_append(&next, &cur);
		} else
			rest = as->value;
		if (r >= 0)
			r = hs_flagtoks_push_words(&next, rest, as->path, as->line);
		hs_flagtoks_free(&cur);
		cur = next;
		if (r < 0)
			break;
	}
	if (r >= 0)
		r = hs_flagtoks_append(out, &cur);
	hs_flagtoks_free(&cur);
	return r;
}

/* ---- atom files ------------------------------------------------------------------------------------- */

static bool flag_valid(const char *flag, bool dots)
{
	if (!*flag || !isalnum((unsigned char)flag[0]))
		return false;
	for (const char *p = flag + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+_@-", *p) && !(dots && *p == '.'))
			return false;
	return true;
}

static unsigned atom_parse_flags(unsigned flags)
{
	unsigned af = HS_ATOM_NO_BLOCKER;

	if (flags & (HS_ATOMFILE_ALLOW_REPO | HS_ATOMFILE_WILDCARD))
		af |= HS_ATOM_ALLOW_REPO;
	if (flags & HS_ATOMFILE_WILDCARD)
		af |= HS_ATOM_ALLOW_WILDCARD;
	return af;
}

enum { KEY_OK = 0, KEY_INVALID = 1, KEY_HAS_USE = 2 };

/* Parse @key with grabdict_package's checks: KEY_OK (*out set), KEY_INVALID, KEY_HAS_USE or -ENOMEM. */
static int check_key(const char *key, unsigned flags, hs_atom **out)
{
	_cleanup_(hs_atom_freep) hs_atom *atom = NULL;
	int r = hs_atom_parse(NULL, &atom, key, strlen(key), atom_parse_flags(flags));

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return KEY_INVALID;
	if (hs_atom_usedep_count(atom) > 0)
		return KEY_HAS_USE;
	*out = TAKE_PTR(atom);
	return KEY_OK;
}

static int warn_key(hs_ctx *ctx, int why, const char *path, const char *key)
{
	if (why == KEY_HAS_USE)
		return hs_ctx_add_warning(ctx, "--- Atom is not allowed to have USE flag(s) in %s: %s", path, key);
	return hs_ctx_add_warning(ctx, "--- Invalid atom in %s: %s", path, key);
}

/* check_key() with Portage's warning when the key is rejected; -EINVAL then. */
static int parse_key(hs_ctx *ctx, const char *key, const char *path, unsigned flags, hs_atom **out)
{
	int r = check_key(key, flags, out);

	if (r <= 0)
		return r;
	r = warn_key(ctx, r, path, key);
	return r < 0 ? r : -EINVAL;
}

int hs_atomfile_load(hs_ctx *ctx, hs_atomfile *f, hs_root_kind kind, const char *path, bool recursive,
		     unsigned flags)
{
	int r;

	*f = (hs_atomfile){ .flags = flags };
	r = hs_conflines_read(ctx, kind, path, recursive, &f->lines);
	if (r < 0)
		return r;
	if (!(flags & HS_ATOMFILE_CHECK_AT_LOAD) || f->lines.n == 0)
		return 0;

	f->bad = calloc(f->lines.n, 1);
	if (!f->bad)
		return -ENOMEM;
	for (size_t i = 0; i < f->lines.n; i++) {
		const hs_confline *l = &f->lines.v[i];
		_cleanup_(hs_atom_freep) hs_atom *atom = NULL;
		bool seen = false;

		r = check_key(l->tokens[0], flags, &atom);
		if (r < 0)
			return r;
		if (r == KEY_OK)
			continue;
		f->bad[i] = 1;
		/* grabdict_package checks each distinct key once per file: one warning per key and file */
		for (size_t j = i; j-- > 0 && !seen;) {
			if (f->lines.v[j].path != l->path && strcmp(f->lines.v[j].path, l->path) != 0)
				break;
			seen = f->bad[j] && strcmp(f->lines.v[j].tokens[0], l->tokens[0]) == 0;
		}
		if (!seen && (r = warn_key(ctx, r, l->path, l->tokens[0])) < 0)
			return r;
	}
	return 0;
}

void hs_atomfile_free(hs_atomfile *f)
{
	hs_conflines_free(&f->lines);
	free(f->bad);
	*f = (hs_atomfile){0};
}

/* One distinct key of the atom files that can name the package being matched. */
typedef struct key_group {
	const char *key;
	const hs_atomfile *file;       /* the file the key first appeared in (its flags apply) */
	hs_atom *atom;
	const hs_confline **lines;     /* every line with this key, in order */
	size_t n_lines;
	size_t cp_rank;                /* ExtendedAtomDict order: exact keys, then wildcard cps by first appearance */
	bool wildcard;
} key_group;

static void key_groups_free(key_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hs_atom_free(g[i].atom);
		free(g[i].lines);
	}
	free(g);
}

static bool key_can_name(const char *key, const char *cp, unsigned flags)
{
	if (strstr(key, cp))
		return true;
	return (flags & HS_ATOMFILE_WILDCARD) && strchr(key, '*');
}

static int group_add_line(key_group *g, const hs_confline *l)
{
	const hs_confline **nl = realloc(g->lines, (g->n_lines + 1) * sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	g->lines = nl;
	g->lines[g->n_lines++] = l;
	return 0;
}

/* Collect the distinct keys that can name @cp (or exactly @only_key), in first-appearance order over the
 * files, as grabdict_package()'s dict and the dict merges of KeywordsManager keep them. */
static int collect_groups(const hs_atomfile *const *files, size_t n_files, const char *cp, const char *only_key,
			  bool skip_global, key_group **out, size_t *n_out)
{
	key_group *g = NULL;
	size_t n = 0, cap = 0;

	for (size_t fi = 0; fi < n_files; fi++) {
		const hs_atomfile *f = files[fi];

		for (size_t i = 0; i < f->lines.n; i++) {
			const char *key = f->lines.v[i].tokens[0];
			size_t j;

			if (f->bad && f->bad[i])
				continue;
			if (only_key ? strcmp(key, only_key) != 0 : !key_can_name(key, cp, f->flags))
				continue;
			if (skip_global && strcmp(key, "*/*") == 0)
				continue;
			for (j = 0; j < n; j++)
				if (strcmp(g[j].key, key) == 0)
					break;
			if (j == n) {
				if (n == cap) {
					size_t c = cap ? cap * 2 : 8;
					key_group *ng = realloc(g, c * sizeof(*ng));

					if (!ng)
						goto oom;
					g = ng;
					cap = c;
				}
				g[n++] = (key_group){ .key = key, .file = f };
			}
			if (group_add_line(&g[j], &f->lines.v[i]) < 0)
				goto oom;
		}
	}
	*out = g;
	*n_out = n;
	return 0;
oom:
	key_groups_free(g, n);
	return -ENOMEM;
}

/* Portage's best_match_to_list() among @cand[0..n) (indexes into @g, in dict order); -1 if none. The values
 * are hs_atom_specificity()'s; the first of equally specific atoms wins, except that among > >= < <= atoms the
 * one whose version is closest to the package's does. */
static ssize_t best_match(const key_group *g, const size_t *cand, size_t n, const hs_pkg_info *pkg)
{
	ssize_t best = -1;
	int maxv = -99;

	for (size_t k = 0; k < n; k++) {
		const hs_atom *x = g[cand[k]].atom;
		int v = hs_atom_specificity(x);

		if (v > maxv) {
			maxv = v;
			best = (ssize_t)k;
		} else if (v == maxv && v == 2 && !g[cand[k]].wildcard) {
			const hs_version *bv = hs_atom_version(g[cand[best]].atom), *xv = hs_atom_version(x);
			const hs_version *pv = pkg->version;
			const hs_version *sorted[3] = { bv, pv, xv };

			if (strcmp(hs_version_str(bv), hs_version_str(pv)) == 0 ||
			    strcmp(hs_version_str(bv), hs_version_str(xv)) == 0)
				continue;
			if (strcmp(hs_version_str(xv), hs_version_str(pv)) == 0) {
				best = (ssize_t)k;
				continue;
			}
			/* a stable sort of the three, as Python's list.sort() */
			for (int a = 1; a < 3; a++)
				for (int b = a; b > 0 && hs_version_compare(sorted[b - 1], sorted[b]) > 0; b--) {
					const hs_version *t = sorted[b];

					sorted[b] = sorted[b - 1];
					sorted[b - 1] = t;
				}
			/* the package in the middle is a case Portage leaves alone (its source marks it as unresolved) */
			if ((sorted[0] == pv || sorted[2] == pv) && sorted[1] == xv)
				best = (ssize_t)k;
		}
	}
	return best;
}

static int push_entry_tokens(hs_ctx *ctx, const key_group *g, const char *empty_default, hs_flagtoks *out)
{
	unsigned flags = g->file->flags;
	size_t before = out->n;
	int r;

	for (size_t li = 0; li < g->n_lines; li++) {
		const hs_confline *l = g->lines[li];
		_cleanup_free_ char *prefix = NULL;
		const char *prefix_tok = NULL;

		for (char **t = l->tokens + 1; *t; t++) {
			const char *tok = *t;
			size_t len = strlen(tok);
			_cleanup_free_ char *full = NULL, *written = NULL;

			if ((flags & HS_ATOMFILE_PREFIXES) && len > 0 && tok[len - 1] == ':') {
				/* `PYTHON_TARGETS:` prefixes the rest of the line (lower-cased, with '_') */
				free(prefix);
				prefix = malloc(len + 1);
				if (!prefix)
					return -ENOMEM;
				for (size_t i = 0; i + 1 < len; i++)
					prefix[i] = (char)tolower((unsigned char)tok[i]);
				prefix[len - 1] = '_';
				prefix[len] = '\0';
				prefix_tok = tok;
				continue;
			}
			if (prefix) {
				bool neg = tok[0] == '-';

				if (asprintf(&full, "%s%s%s", neg ? "-" : "", prefix, tok + neg) < 0) {
					full = NULL;
					return -ENOMEM;
				}
				if (asprintf(&written, "%s %s", prefix_tok, tok) < 0) {
					written = NULL;
					return -ENOMEM;
				}
				tok = full;
			}
			if ((flags & HS_ATOMFILE_CHECK_FLAGS) &&
			    !flag_valid(tok + (tok[0] == '-'), flags & HS_ATOMFILE_DOTS)) {
				r = hs_ctx_add_warning(ctx, "--- Invalid USE flag for '%s' in '%s': '%s'", g->key,
						       l->path, tok);
				if (r < 0)
					return r;
				continue;
			}
			r = flagtoks_push(out, tok, strlen(tok), written, l->path, l->line);
			if (r < 0)
				return r;
		}
	}
	if (out->n == before && empty_default)
		return hs_flagtoks_push_words(out, empty_default, g->lines[0]->path, g->lines[0]->line);
	return 0;
}

int hs_atomfile_match_n(hs_ctx *ctx, const hs_atomfile *const *files, size_t n_files, const hs_pkg_info *pkg,
			const char *cp, bool skip_global, const char *empty_default, hs_flagtoks *out)
{
	key_group *g = NULL;
	size_t n = 0, n_cand = 0, n_order = 0, n_picked = 0;
	_cleanup_free_ size_t *cand = NULL, *order = NULL, *picked = NULL;
	int r;

	r = collect_groups(files, n_files, cp, NULL, skip_global, &g, &n);
	if (r < 0 || n == 0)
		goto out;
	cand = calloc(n, sizeof(*cand));
	order = calloc(n, sizeof(*order));
	picked = calloc(n, sizeof(*picked));
	if (!cand || !order || !picked) {
		r = -ENOMEM;
		goto out;
	}
	/* Parse and match; keys that do not parse are dropped (profile files are checked only here). */
	for (size_t i = 0; i < n; i++) {
		unsigned flags = g[i].file->flags;

		r = parse_key(flags & HS_ATOMFILE_CHECK_AT_LOAD ? NULL : ctx, g[i].key, g[i].lines[0]->path, flags,
			      &g[i].atom);
		if (r == -ENOMEM)
			goto out;
		r = 0;
		if (!g[i].atom)
			continue;
		g[i].wildcard = hs_atom_is_wildcard(g[i].atom);
		if (hs_atom_match(g[i].atom, pkg) == 1)
			cand[n_cand++] = i;
	}

	/* ExtendedAtomDict.get(cp): the exact keys first, then the keys of each wildcard cp, the cps in the order
	 * they first appeared. */
	for (size_t i = 0; i < n; i++) {
		if (!g[i].atom || !g[i].wildcard)
			continue;
		g[i].cp_rank = i;
		for (size_t j = 0; j < i; j++)
			if (g[j].atom && g[j].wildcard &&
			    strcmp(hs_atom_category(g[j].atom), hs_atom_category(g[i].atom)) == 0 &&
			    strcmp(hs_atom_package(g[j].atom), hs_atom_package(g[i].atom)) == 0) {
				g[i].cp_rank = g[j].cp_rank;
				break;
			}
	}
	for (size_t i = 0; i < n_cand; i++)
		if (!g[cand[i]].wildcard)
			order[n_order++] = cand[i];
	for (size_t rank = 0; rank < n; rank++)
		for (size_t i = 0; i < n_cand; i++)
			if (g[cand[i]].wildcard && g[cand[i]].cp_rank == rank)
				order[n_order++] = cand[i];

	/* ordered_by_atom_specificity(): take the best match until none is left, then reverse. */
	while (n_order > 0) {
		ssize_t b = best_match(g, order, n_order, pkg);

		if (b < 0)
			break;
		picked[n_picked++] = order[b];
		memmove(order + b, order + b + 1, (n_order - (size_t)b - 1) * sizeof(*order));
		n_order--;
	}
	for (size_t i = n_picked; i-- > 0;) {
		r = push_entry_tokens(ctx, &g[picked[i]], empty_default, out);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	key_groups_free(g, n);
	return r;
}

int hs_atomfile_match(hs_ctx *ctx, const hs_atomfile *f, const hs_pkg_info *pkg, const char *cp, bool skip_global,
		      const char *empty_default, hs_flagtoks *out)
{
	const hs_atomfile *const files[] = { f };

	return hs_atomfile_match_n(ctx, files, 1, pkg, cp, skip_global, empty_default, out);
}

int hs_atomfile_global(hs_ctx *ctx, const hs_atomfile *f, hs_flagtoks *out)
{
	const hs_atomfile *const files[] = { f };
	key_group *g = NULL;
	size_t n = 0;
	int r;

	r = collect_groups(files, 1, NULL, "*/*", false, &g, &n);
	if (r >= 0 && n > 0)
		r = push_entry_tokens(ctx, &g[0], NULL, out);
	key_groups_free(g, n);
	return r;
}

/* ---- flag lists ------------------------------------------------------------------------------------- */

/* grabfile(): one entry per line, the line's words joined by single spaces. */
static char *join_line(char **tokens)
{
	_cleanup_buf_ hs_buf b = {0};

	for (char **t = tokens; *t; t++)
		if ((t != tokens && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, *t) < 0)
			return NULL;
	return hs_buf_steal(&b);
}

int hs_flaglist_load(hs_ctx *ctx, hs_flaglist *out, hs_root_kind kind, const char *path, bool recursive, bool dots)
{
	int r;

	*out = (hs_flaglist){0};
	r = hs_conflines_read(ctx, kind, path, recursive, &out->lines);
	for (size_t i = 0; r >= 0 && i < out->lines.n; i++) {
		_cleanup_free_ char *entry = join_line(out->lines.v[i].tokens);

		if (!entry)
			return -ENOMEM;
		if (!flag_valid(entry + (entry[0] == '-'), dots)) {
			r = hs_ctx_add_warning(ctx, "--- Invalid USE flag in '%s': '%s'", out->lines.v[i].path, entry);
			continue;
		}
		r = hs_flagtoks_push(&out->toks, entry, strlen(entry), out->lines.v[i].path, out->lines.v[i].line);
	}
	return r < 0 ? r : 0;
}

void hs_flaglist_free(hs_flaglist *l)
{
	hs_flagtoks_free(&l->toks);
	hs_conflines_free(&l->lines);
}

/* ---- package.mask-style lists ----------------------------------------------------------------------- */

static int maskents_push(hs_masklist *m, const char *text, size_t len, const char *path, unsigned line, bool neg)
{
	char *copy;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		hs_maskent *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	copy = hs_strndup(text, len);
	if (!copy)
		return -ENOMEM;
	m->v[m->n++] = (hs_maskent){ .text = copy, .path = path, .line = line, .neg = neg };
	return 0;
}

int hs_masklist_load(hs_ctx *ctx, hs_masklist *out, hs_root_kind kind, const char *path, bool recursive)
{
	int r;

	*out = (hs_masklist){0};
	r = hs_conflines_read(ctx, kind, path, recursive, &out->lines);
	for (size_t i = 0; r >= 0 && i < out->lines.n; i++) {
		_cleanup_free_ char *entry = join_line(out->lines.v[i].tokens);
		bool neg;

		if (!entry)
			return -ENOMEM;
		neg = entry[0] == '-';
		r = maskents_push(out, entry + neg, strlen(entry + neg), out->lines.v[i].path, out->lines.v[i].line,
				  neg);
	}
	return r < 0 ? r : 0;
}

void hs_masklist_free(hs_masklist *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].text);
	free(m->v);
	hs_conflines_free(&m->lines);
	*m = (hs_masklist){0};
}

/* @a equals @b, or @a is `@b::repo` (stack_lists ignore_repo). */
static bool same_atom(const char *a, const char *b, bool ignore_repo)
{
	size_t n;

	if (strcmp(a, b) == 0)
		return true;
	if (!ignore_repo || strstr(b, "::"))
		return false;
	n = strlen(b);
	return strncmp(a, b, n) == 0 && a[n] == ':' && a[n + 1] == ':';
}

int hs_masklist_stack(const hs_masklist *const *lists, size_t n, const char *cp, bool wildcards, bool ignore_repo,
		      const char *add_repo, hs_masklist *out)
{
	int r;

	*out = (hs_masklist){0};
	for (size_t k = 0; k < n; k++) {
		const hs_masklist *m = lists[k];

		for (size_t i = 0; m && i < m->n; i++) {
			const hs_maskent *e = &m->v[i];

			if (!strstr(e->text, cp) && !(wildcards && strchr(e->text, '*')))
				continue;
			if (e->neg) {
				/* remove the earlier identical atoms; an unmatched removal is silently ignored */
				size_t w = 0;

				for (size_t j = 0; j < out->n; j++) {
					if (same_atom(out->v[j].text, e->text, ignore_repo))
						free(out->v[j].text);
					else
						out->v[w++] = out->v[j];
				}
				out->n = w;
				continue;
			}
			/* a dict in Portage: re-adding moves nothing, the first position is kept */
			for (size_t j = 0; j < out->n; j++)
				if (strcmp(out->v[j].text, e->text) == 0)
					goto next;
			r = maskents_push(out, e->text, strlen(e->text), e->path, e->line, false);
			if (r < 0)
				return r;
next:;
		}
	}
	if (add_repo) {
		for (size_t j = 0; j < out->n; j++) {
			char *t;

			if (strstr(out->v[j].text, "::"))
				continue;
			if (asprintf(&t, "%s::%s", out->v[j].text, add_repo) < 0)
				return -ENOMEM;
			free(out->v[j].text);
			out->v[j].text = t;
		}
	}
	return 0;
}

const hs_maskent *hs_masklist_find(hs_ctx *ctx, const hs_masklist *m, const hs_pkg_info *pkg, unsigned atom_flags)
{
	for (size_t i = 0; i < m->n; i++) {
		_cleanup_(hs_atom_freep) hs_atom *atom = NULL;

		if (hs_atom_parse(NULL, &atom, m->v[i].text, strlen(m->v[i].text), atom_flags) < 0) {
			(void)hs_ctx_add_warning(ctx, "--- Invalid atom in %s: %s", m->v[i].path, m->v[i].text);
			continue;
		}
		if (hs_atom_match(atom, pkg) == 1)
			return &m->v[i];
	}
	return NULL;
}
