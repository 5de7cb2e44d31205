/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One package's USE, stacked as Portage's config.regenerate() does for each USE_ORDER layer (USE tokens with
 * `-*`, `-flag`, `-prefix_*`, `prefix_*`; USE_EXPAND and USE_EXPAND_UNPREFIXED variables), and its use.mask /
 * use.force as UseManager stacks them, remembering for every flag the layer, file, line and token that set it
 * last. effective.c drives it.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void hs_flagmap_free(hs_flagmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m->idx);
	*m = (hs_flagmap){0};
}

hs_flagstate *hs_flagmap_find(const hs_flagmap *m, const char *name)
{
	uint32_t h = hash_str(name);

	if (!m->icap)
		return NULL;
	for (size_t s = h & (m->icap - 1);; s = (s + 1) & (m->icap - 1)) {
		uint32_t e = m->idx[s];

		if (!e)
			return NULL;
		if (m->v[e - 1].hash == h && strcmp(m->v[e - 1].name, name) == 0)
			return &m->v[e - 1];
	}
}

static int flagmap_reindex(hs_flagmap *m)
{
	size_t cap = 64;
	uint32_t *idx;

	while (cap <= 2 * (m->n + 1))
		cap *= 2;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		size_t s = m->v[i].hash & (cap - 1);

		while (idx[s])
			s = (s + 1) & (cap - 1);
		idx[s] = (uint32_t)(i + 1);
	}
	free(m->idx);
	m->idx = idx;
	m->icap = cap;
	return 0;
}

int hs_flagmap_get(hs_flagmap *m, const char *name, hs_flagstate **out)
{
	hs_flagstate *f = hs_flagmap_find(m, name);
	int r;

	if (f) {
		*out = f;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 128;
		hs_flagstate *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n] = (hs_flagstate){ .name = strdup(name), .hash = hash_str(name) };
	if (!m->v[m->n].name)
		return -ENOMEM;
	m->n++;
	if (2 * (m->n + 1) >= m->icap) {
		if ((r = flagmap_reindex(m)) < 0)
			return r;
	} else {
		size_t s = m->v[m->n - 1].hash & (m->icap - 1);

		while (m->idx[s])
			s = (s + 1) & (m->icap - 1);
		m->idx[s] = (uint32_t)m->n;
	}
	*out = &m->v[m->n - 1];
	return 0;
}

void hs_usestack_free(hs_usestack *st)
{
	hs_flagmap_free(&st->flags);
	for (size_t i = 0; i < st->n_clears; i++)
		free(st->clears[i].prefix);
	free(st->clears);
	for (size_t i = 0; i < st->n_strs; i++)
		free(st->strs[i]);
	free(st->strs);
}

/* Keep a made-up string for the computation's lifetime. */
static const char *keep(hs_usestack *st, char *s)
{
	char **v;

	if (!s)
		return NULL;
	v = realloc(st->strs, (st->n_strs + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return NULL;
	}
	st->strs = v;
	st->strs[st->n_strs++] = s;
	return s;
}

const char *hs_usestack_keepf(hs_usestack *st, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(st, s);
}

static int set_flag(hs_usestack *st, const char *name, bool on, const hs_use_origin *o)
{
	hs_flagstate *f;
	int r = hs_flagmap_get(&st->flags, name, &f);

	if (r < 0)
		return r;
	f->on = on;
	f->o = *o;
	f->set = true;
	return 0;
}

/* Turn off every flag (prefix NULL) or every flag starting with @prefix; remember it for unset flags. */
static int clear_flags(hs_usestack *st, const char *prefix, size_t plen, const hs_use_origin *o)
{
	hs_use_clear *v;

	for (size_t i = 0; i < st->flags.n; i++) {
		hs_flagstate *f = &st->flags.v[i];

		if (prefix && strncmp(f->name, prefix, plen) != 0)
			continue;
		f->on = false;
		f->o = *o;
		f->set = true;
	}
	v = realloc(st->clears, (st->n_clears + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->clears = v;
	st->clears[st->n_clears] = (hs_use_clear){ .o = *o };
	if (prefix && !(st->clears[st->n_clears].prefix = hs_strndup(prefix, plen)))
		return -ENOMEM;
	st->n_clears++;
	return 0;
}

char *hs_lower_dup(const char *s)
{
	char *l = strdup(s);

	for (char *c = l; c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return l;
}

/* One USE token of a layer, as config.regenerate() applies it. */
static int apply_use_token(hs_usestack *st, const char *layer, const hs_flagtok *t)
{
	const char *x = t->tok;
	size_t len;
	hs_use_origin o = { .layer = layer, .path = t->path, .line = t->line, .tok = t->written ? t->written : t->tok };
	int r;

	if (strcmp(x, "-*") == 0)
		return clear_flags(st, NULL, 0, &o);
	if (x[0] == '+') {
		r = hs_ctx_add_warning(st->p->ctx, "USE flags should not start with a '+': %s", x);
		if (r < 0)
			return r;
		x++;
		if (!*x)
			return 0;
	}
	len = strlen(x);
	if (x[0] == '-') {
		if (len >= 3 && x[len - 2] == '_' && x[len - 1] == '*' &&
		    (r = clear_flags(st, x + 1, len - 2, &o)) < 0)
			return r;
		return set_flag(st, x + 1, false, &o);
	}
	if (st->iuse && len >= 2 && x[len - 2] == '_' && x[len - 1] == '*') {
		/* expand against IUSE, so that USE="linguas_* -linguas_en_US" works */
		bool any = false;

		for (size_t i = 0; i < hs_useset_count(st->iuse); i++) {
			const char *y = hs_useset_get(st->iuse, i);

			if (strncmp(y, x, len - 1) == 0) {
				any = true;
				if ((r = set_flag(st, y, true, &o)) < 0)
					return r;
			}
		}
		if (any)
			return 0;
	}
	return set_flag(st, x, true, &o);
}


int hs_split_words(const char *s, char ***out)
{
	char **v = NULL;

	for (const char *p = s ? s : ""; *p;) {
		size_t n;
		int r;

		p += strspn(p, " \t\n\r\f\v");
		n = strcspn(p, " \t\n\r\f\v");
		if (!n)
			break;
		if ((r = hs_strv_push(&v, p, n)) < 0) {
			hs_strv_free(v);
			return r;
		}
		p += n;
	}
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	*out = v;
	return 0;
}

int hs_usestack_layer(hs_usestack *st, const hs_use_layer *L)
{
	hs_portage *p = st->p;
	bool any_expand = false;
	int r;

	/* USE_EXPAND_UNPREFIXED (ARCH): its values are flags as they are */
	for (char **k = p->use_expand_unprefixed; L->vars && *k; k++) {
		const char *v = hs_vars_get(L->vars, *k), *path = NULL;
		_cleanup_(hs_strv_freep) char **words = NULL;
		unsigned line = 0;

		if (!v)
			continue;
		hs_vars_origin(L->vars, *k, &path, &line);
		if ((r = hs_split_words(v, &words)) < 0)
			return r;
		for (char **w = words; *w; w++) {
			hs_use_origin o = { .layer = L->name, .path = path, .line = line, .tok = hs_usestack_keepf(st, "%s=%s", *k, *w) };

			if (!o.tok)
				return -ENOMEM;
			if ((*w)[0] == '-')
				r = set_flag(st, *w + 1, false, &o);
			else
				r = set_flag(st, *w, true, &o);
			if (r < 0)
				return r;
		}
	}

	for (char **k = p->use_expand; L->vars && *k && !any_expand; k++)
		any_expand = hs_vars_get(L->vars, *k) != NULL;
	if ((!L->toks || L->toks->n == 0) && !any_expand)
		return 0;
	for (size_t i = 0; L->toks && i < L->toks->n; i++)
		if ((r = apply_use_token(st, L->name, &L->toks->v[i])) < 0)
			return r;
	/* make.defaults' USE_EXPAND variables were turned into flags per profile node already */
	if (L->is_defaults)
		return 0;

	for (char **k = p->use_expand; L->vars && *k; k++) {
		const char *v = hs_vars_get(L->vars, *k), *path = NULL;
		_cleanup_(hs_strv_freep) char **words = NULL;
		_cleanup_free_ char *lower = NULL;
		bool not_incremental = !hs_portage_incremental(*k);
		unsigned line = 0;
		size_t plen;

		if (!v)
			continue;
		hs_vars_origin(L->vars, *k, &path, &line);
		if (!(lower = hs_lower_dup(*k)) || (r = hs_split_words(v, &words)) < 0)
			return lower ? r : -ENOMEM;
		plen = strlen(lower);
		if (not_incremental) {
			/* the variable replaces its whole group */
			_cleanup_free_ char *prefix = NULL;
			hs_use_origin o = { .layer = L->name, .path = path, .line = line, .tok = hs_usestack_keepf(st, "%s=\"%s\"", *k, v) };

			if (!o.tok || asprintf(&prefix, "%s_", lower) < 0)
				return -ENOMEM;
			if ((r = clear_flags(st, prefix, plen + 1, &o)) < 0)
				return r;
		}
		for (char **w = words; *w; w++) {
			const char *x = *w;
			hs_use_origin o = { .layer = L->name, .path = path, .line = line, .tok = hs_usestack_keepf(st, "%s=%s", *k, x) };

			if (!o.tok)
				return -ENOMEM;
			if (x[0] == '+') {
				r = hs_ctx_add_warning(p->ctx, "Invalid '+' operator in %s variable '%s': '%s'",
						       not_incremental ? "non-incremental" : "incremental", *k, x);
				if (r < 0)
					return r;
				if (not_incremental)
					continue;
				x++;
			}
			if (x[0] == '-') {
				if (not_incremental) {
					r = hs_ctx_add_warning(p->ctx, "Invalid '-' operator in non-incremental variable '%s': '%s'",
							       *k, x);
					if (r < 0)
						return r;
					continue;
				}
				r = set_flag(st, hs_usestack_keepf(st, "%s_%s", lower, x + 1), false, &o);
			} else
				r = set_flag(st, hs_usestack_keepf(st, "%s_%s", lower, x), true, &o);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- use.mask / use.force for one package (UseManager.getUseMask / getUseForce) -------------------------- */

static int stack_flaglist(hs_usestack *st, hs_flagmap *m, const hs_flagtoks *toks)
{
	(void)st;
	for (size_t i = 0; i < toks->n; i++) {
		const hs_flagtok *t = &toks->v[i];
		hs_flagstate *f;
		int r;

		if (strcmp(t->tok, "-*") == 0) {
			for (size_t j = 0; j < m->n; j++)
				m->v[j].on = false;
			continue;
		}
		if (t->tok[0] == '-') {
			f = hs_flagmap_find(m, t->tok + 1);
			if (f)
				f->on = false;
			continue;
		}
		if ((r = hs_flagmap_get(m, t->tok, &f)) < 0)
			return r;
		f->on = true;
		f->o = (hs_use_origin){ .path = t->path, .line = t->line, .tok = t->tok };
	}
	return 0;
}

static int stack_node(hs_usestack *st, hs_flagmap *m, const hs_profile_node *n, const hs_pkg_info *pkg, const char *cp,
		      bool stable, bool force)
{
	_cleanup_(hs_flagtoks_free) hs_flagtoks pkgm = {0}, pkgsm = {0};
	int r;

	if ((r = stack_flaglist(st, m, force ? &n->use_force.toks : &n->use_mask.toks)) < 0)
		return r;
	if (stable && (r = stack_flaglist(st, m, force ? &n->use_stable_force.toks : &n->use_stable_mask.toks)) < 0)
		return r;
	if ((r = hs_atomfile_match(st->p->ctx, force ? &n->pkg_use_force : &n->pkg_use_mask, pkg, cp, false, NULL,
				   &pkgm)) < 0 ||
	    (r = stack_flaglist(st, m, &pkgm)) < 0)
		return r;
	if (stable &&
	    ((r = hs_atomfile_match(st->p->ctx, force ? &n->pkg_use_stable_force : &n->pkg_use_stable_mask, pkg, cp,
				    false, NULL, &pkgsm)) < 0 ||
	     (r = stack_flaglist(st, m, &pkgsm)) < 0))
		return r;
	return 0;
}

/* The repositories whose profiles/ apply to a package of @repo: its masters, then itself. */
size_t hs_portage_package_repos(hs_portage *p, const hs_repo *repo, const hs_profile_node **out, size_t max)
{
	size_t n = 0;

	if (!repo)
		return 0;
	for (char **m = repo->masters; m && *m && n + 1 < max; m++) {
		const hs_profile_node *rn = hs_portage_repo_profile(p, *m);

		if (rn)
			out[n++] = rn;
	}
	if (hs_portage_repo_profile(p, repo->name))
		out[n++] = hs_portage_repo_profile(p, repo->name);
	return n;
}

int hs_usestack_profile_flags(hs_usestack *st, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, bool stable,
			 bool force, hs_flagmap *out)
{
	const hs_profile_node *repos[16];
	size_t n = hs_portage_package_repos(st->p, e->repo, repos, ELEMENTSOF(repos));
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = stack_node(st, out, repos[i], pkg, cp, stable, force)) < 0)
			return r;
	for (size_t i = 0; i < st->p->profile.n; i++)
		if ((r = stack_node(st, out, &st->p->profile.v[i], pkg, cp, stable, force)) < 0)
			return r;
	return 0;
}

/* The origin of @flag: its own last token, else the last `-*` / `-prefix_*` that covers it. */
hs_use_origin hs_usestack_origin(const hs_usestack *st, const char *flag, const hs_flagstate *f)
{
	if (f && f->set)
		return f->o;
	for (size_t i = st->n_clears; i-- > 0;) {
		const hs_use_clear *c = &st->clears[i];

		if (!c->prefix || strncmp(flag, c->prefix, strlen(c->prefix)) == 0)
			return c->o;
	}
	return (hs_use_origin){ .layer = "none" };
}
