/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The effective USE of one package version, computed as Portage's config.setcpv() and config.regenerate()
 * do: the USE_ORDER layers from lowest to highest precedence (env.d, repo, features, pkginternal, defaults,
 * conf, pkg, env), each layer's USE tokens (`-*`, `-flag`, `-prefix_*`, `prefix_*`) and USE_EXPAND
 * variables, then use.force, ARCH and use.mask (mask beats force), then the IUSE_EFFECTIVE filter. Every
 * flag remembers the layer, file, line and token that set it last, and the mask or force line that decided.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

/* ---- the result ------------------------------------------------------------------------------------------- */

struct hs_pkg_use {
	char *cpv, *slot, *repo, *eapi, *iuse, *required_use;
	bool stable;
	hs_useset *enabled, *disabled, *portage_use, *iuse_effective, *masked, *forced;
	hs_flag_origin *origins;
	size_t n_origins;
	char **strs;
	size_t n_strs;
	int required_use_ok;
	char *unsat_raw, *unsat_human;
};

void hs_pkg_use_free(hs_pkg_use *u)
{
	if (!u)
		return;
	free(u->cpv);
	free(u->slot);
	free(u->repo);
	free(u->eapi);
	free(u->iuse);
	free(u->required_use);
	hs_useset_free(u->enabled);
	hs_useset_free(u->disabled);
	hs_useset_free(u->portage_use);
	hs_useset_free(u->iuse_effective);
	hs_useset_free(u->masked);
	hs_useset_free(u->forced);
	free(u->origins);
	for (size_t i = 0; i < u->n_strs; i++)
		free(u->strs[i]);
	free(u->strs);
	free(u->unsat_raw);
	free(u->unsat_human);
	free(u);
}

DEFINE_CLEANUP_FUNC(hs_pkg_use, hs_pkg_use_free);

/* A copy owned by the result (NULL stays NULL). */
static int own(hs_pkg_use *u, const char *s, const char **out)
{
	char **v;

	*out = NULL;
	if (!s)
		return 0;
	for (size_t i = u->n_strs; i-- > 0 && i + 8 >= u->n_strs;)
		if (strcmp(u->strs[i], s) == 0) {
			*out = u->strs[i];
			return 0;
		}
	v = realloc(u->strs, (u->n_strs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	u->strs = v;
	if (!(u->strs[u->n_strs] = strdup(s)))
		return -ENOMEM;
	*out = u->strs[u->n_strs++];
	return 0;
}

static bool implicit_match(const hs_portage *p, const hs_useset *implicit, bool eapi5, const char *flag)
{
	if (eapi5)
		return hs_useset_has(implicit, flag, strlen(flag));
	/* before EAPI 5 (config._get_implicit_iuse): ARCH, USE_EXPAND_HIDDEN groups, masked and forced flags,
	 * build and bootstrap */
	if ((p->arch && strcmp(flag, p->arch) == 0) || strcmp(flag, "build") == 0 || strcmp(flag, "bootstrap") == 0 ||
	    hs_useset_has(p->global_mask, flag, strlen(flag)) || hs_useset_has(p->global_force, flag, strlen(flag)))
		return true;
	for (char **h = p->use_expand_hidden; h && *h; h++) {
		size_t n = strlen(*h);

		if (strlen(flag) > n && flag[n] == '_' && strncasecmp(flag, *h, n) == 0)
			return true;
	}
	return false;
}

static int compute(hs_portage *p, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, bool stable,
		   hs_pkg_use *u)
{
	hs_ctx *ctx = p->ctx;
	hs_usestack st = { .p = p };
	hs_flagmap mask = {0}, force = {0};
	hs_flagtoks t_repo = {0}, t_features = {0}, t_internal = {0}, t_defaults = {0}, t_pkg = {0};
	_cleanup_(hs_vars_freep) hs_vars *repo_vars = NULL;
	_cleanup_(hs_iuse_freep) hs_iuse *iuse = NULL;
	_cleanup_(hs_useset_freep) hs_useset *use = NULL;
	const hs_profile_node *repos[16];
	size_t n_repos = hs_portage_package_repos(p, e->repo, repos, ELEMENTSOF(repos));
	const char *iuse_s = hs_vars_get(e->meta, "IUSE");
	bool eapi5 = hs_eapi_num(u->eapi) >= 5; /* IUSE_EFFECTIVE is defined by PMS from EAPI 5 on */
	_cleanup_(hs_strv_freep) char **iuse_words = NULL;
	int r;

	if (!iuse_s)
		iuse_s = "";
	r = hs_iuse_parse(ctx, &iuse, iuse_s, strlen(iuse_s));
	if (r < 0) {
		_cleanup_free_ char *why = strdup(hs_ctx_last_error(ctx));

		r = hs_ctx_set_error(ctx, r, "%s: IUSE: %s", e->path, why ? why : "invalid");
		goto out;
	}
	st.iuse = hs_iuse_flags(iuse);

	/* repo: the repositories' profiles/make.defaults USE and profiles/package.use */
	for (size_t i = 0; i < n_repos; i++) {
		if (repos[i]->vars) {
			if (!repo_vars && (r = hs_vars_new(&repo_vars)) < 0)
				goto out;
			for (size_t j = 0; j < hs_vars_count(repos[i]->vars); j++) {
				const char *name = hs_vars_name(repos[i]->vars, j), *f = NULL;
				unsigned line = 0;

				if (strcmp(name, "USE") == 0)
					continue;
				hs_vars_origin(repos[i]->vars, name, &f, &line);
				if ((r = hs_vars_set(repo_vars, name, hs_vars_get(repos[i]->vars, name), f, line)) < 0)
					goto out;
			}
		}
		if ((r = hs_flagtoks_append(&t_repo, &repos[i]->use)) < 0 ||
		    (r = hs_atomfile_match(ctx, &repos[i]->pkg_use, pkg, cp, false, NULL, &t_repo)) < 0)
			goto out;
	}
	/* features */
	if (p->features_test && (r = hs_flagtoks_push_written(&t_features, "test", "FEATURES=test", NULL, 0)) < 0)
		goto out;
	/* pkginternal: the IUSE defaults */
	if ((r = hs_split_words(iuse_s, &iuse_words)) < 0)
		goto out;
	for (char **w = iuse_words; *w; w++) {
		if ((*w)[0] == '+')
			r = hs_flagtoks_push_written(&t_internal, *w + 1, *w, NULL, 0);
		else if ((*w)[0] == '-')
			r = hs_flagtoks_push(&t_internal, *w, strlen(*w), NULL, 0);
		if (r < 0)
			goto out;
	}
	/* defaults: per profile node, its make.defaults USE then its package.use */
	for (size_t i = 0; i < p->profile.n; i++)
		if ((r = hs_flagtoks_append(&t_defaults, &p->node_use[i])) < 0 ||
		    (r = hs_atomfile_match(ctx, &p->profile.v[i].pkg_use, pkg, cp, false, NULL, &t_defaults)) < 0)
			goto out;
	/* pkg: /etc/portage/package.use */
	if ((r = hs_atomfile_match(ctx, &p->user_use, pkg, cp, true, NULL, &t_pkg)) < 0)
		goto out;

	for (char **l = p->use_order; *l; l++) {
		hs_use_layer L = { .name = *l };

		if (strcmp(*l, "env.d") == 0)
			L = (hs_use_layer){ "env.d", &p->envd_use, p->envd, false };
		else if (strcmp(*l, "repo") == 0)
			L = (hs_use_layer){ "repo", &t_repo, repo_vars, false };
		else if (strcmp(*l, "features") == 0)
			L = (hs_use_layer){ "features", &t_features, NULL, false };
		else if (strcmp(*l, "pkginternal") == 0)
			L = (hs_use_layer){ "pkginternal", &t_internal, NULL, false };
		else if (strcmp(*l, "defaults") == 0)
			L = (hs_use_layer){ "defaults", &t_defaults, p->defaults, true };
		else if (strcmp(*l, "conf") == 0)
			L = (hs_use_layer){ "conf", &p->conf_use, p->conf, false };
		else if (strcmp(*l, "pkg") == 0)
			L = (hs_use_layer){ "pkg", &t_pkg, NULL, false };
		else if (strcmp(*l, "env") == 0)
			L = (hs_use_layer){ "env", &p->env_use, p->env, false };
		else
			continue;
		if ((r = hs_usestack_layer(&st, &L)) < 0)
			goto out;
	}

	/* use.force, ARCH, then use.mask: mask beats force */
	if ((r = hs_usestack_profile_flags(&st, e, pkg, cp, stable, true, &force)) < 0 ||
	    (r = hs_usestack_profile_flags(&st, e, pkg, cp, stable, false, &mask)) < 0)
		goto out;
	for (size_t i = 0; i < force.n; i++) {
		hs_flagstate *f;

		if (!force.v[i].on)
			continue;
		if ((r = hs_flagmap_get(&st.flags, force.v[i].name, &f)) < 0)
			goto out;
		f->on = true;
	}
	if (p->arch) {
		hs_flagstate *f;

		if ((r = hs_flagmap_get(&st.flags, p->arch, &f)) < 0)
			goto out;
		if (!f->on) {
			const char *path = NULL;
			unsigned line = 0;

			hs_vars_origin(p->defaults, "ARCH", &path, &line);
			f->on = true;
			f->set = true;
			f->o = (hs_use_origin){ "defaults", path, line, hs_usestack_keepf(&st, "ARCH=%s", p->arch) };
		}
	}
	for (size_t i = 0; i < mask.n; i++) {
		hs_flagstate *f;

		if (!mask.v[i].on)
			continue;
		if ((r = hs_flagmap_get(&st.flags, mask.v[i].name, &f)) < 0)
			goto out;
		f->on = false;
	}

	/* IUSE_EFFECTIVE and the filter (setcpv) */
	if ((r = hs_useset_dup(&u->iuse_effective, st.iuse)) < 0 || (r = hs_useset_new(&use)) < 0)
		goto out;
	if (eapi5 && (r = hs_useset_union(u->iuse_effective, p->iuse_implicit)) < 0)
		goto out;
	for (size_t i = 0; i < st.flags.n; i++) {
		const hs_flagstate *f = &st.flags.v[i];
		size_t len = strlen(f->name);
		bool wild = len >= 2 && f->name[len - 2] == '_' && f->name[len - 1] == '*';

		if (!f->on)
			continue;
		if (hs_useset_has(st.iuse, f->name, len) || implicit_match(p, p->iuse_implicit, eapi5, f->name) || wild) {
			if ((r = hs_useset_add(use, f->name, len)) < 0)
				goto out;
			if (!eapi5 && !wild && (r = hs_useset_add(u->iuse_effective, f->name, len)) < 0)
				goto out;
		}
	}
	/* a `prefix_*` that matched no IUSE enables the USE_EXPAND group's IUSE_EFFECTIVE members */
	for (char **k = p->use_expand; *k; k++) {
		_cleanup_free_ char *lower = hs_lower_dup(*k), *wild = NULL;
		const hs_flagstate *wf;

		if (!lower || asprintf(&wild, "%s_*", lower) < 0) {
			r = -ENOMEM;
			goto out;
		}
		if (!hs_useset_has(use, wild, strlen(wild)))
			continue;
		wf = hs_flagmap_find(&st.flags, wild);
		for (size_t i = 0; i < hs_useset_count(u->iuse_effective); i++) {
			const char *x = hs_useset_get(u->iuse_effective, i);
			hs_flagstate *f;

			if (strncmp(x, wild, strlen(wild) - 1) != 0)
				continue;
			if ((f = hs_flagmap_find(&mask, x)) && f->on)
				continue;
			if ((r = hs_useset_add(use, x, strlen(x))) < 0 || (r = hs_flagmap_get(&st.flags, x, &f)) < 0)
				goto out;
			wf = hs_flagmap_find(&st.flags, wild);
			f->on = true;
			f->set = true;
			if (wf)
				f->o = wf->o;
		}
	}
	if ((r = hs_useset_new(&u->portage_use)) < 0 || (r = hs_useset_new(&u->enabled)) < 0 ||
	    (r = hs_useset_new(&u->disabled)) < 0 || (r = hs_useset_new(&u->masked)) < 0 ||
	    (r = hs_useset_new(&u->forced)) < 0)
		goto out;
	for (size_t i = 0; i < hs_useset_count(use); i++) {
		const char *x = hs_useset_get(use, i);
		size_t len = strlen(x);

		if (len >= 2 && x[len - 2] == '_' && x[len - 1] == '*')
			continue;
		if ((r = hs_useset_add(u->portage_use, x, len)) < 0)
			goto out;
	}

	/* per IUSE_EFFECTIVE flag: state and provenance */
	u->n_origins = hs_useset_count(u->iuse_effective);
	u->origins = calloc(u->n_origins ? u->n_origins : 1, sizeof(*u->origins));
	if (!u->origins) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < u->n_origins; i++) {
		const char *x = hs_useset_get(u->iuse_effective, i);
		const hs_flagstate *f = hs_flagmap_find(&st.flags, x), *mf = hs_flagmap_find(&mask, x), *ff = hs_flagmap_find(&force, x);
		bool explicit = hs_useset_has(st.iuse, x, strlen(x));
		bool on = hs_useset_has(u->portage_use, x, strlen(x));
		bool masked = mf && mf->on, forced = ff && ff->on && !masked;
		hs_use_origin o = hs_usestack_origin(&st, x, f);
		hs_flag_origin *out = &u->origins[i];

		out->enabled = on;
		out->line = o.line;
		out->masked = masked;
		out->forced = forced;
		if ((r = own(u, x, &out->flag)) < 0 || (r = own(u, o.layer, &out->layer)) < 0 ||
		    (r = own(u, o.path, &out->file)) < 0 || (r = own(u, o.tok, &out->token)) < 0)
			goto out;
		if (masked || forced) {
			const hs_use_origin *mo = masked ? &mf->o : &ff->o;

			out->mask_line = mo->line;
			if ((r = own(u, mo->path, &out->mask_file)) < 0)
				goto out;
		}
		if (!explicit)
			continue;
		if ((r = hs_useset_add(on ? u->enabled : u->disabled, x, strlen(x))) < 0 ||
		    (masked && (r = hs_useset_add(u->masked, x, strlen(x))) < 0) ||
		    (forced && (r = hs_useset_add(u->forced, x, strlen(x))) < 0))
			goto out;
	}

	/* REQUIRED_USE, as emerge checks it */
	u->required_use_ok = 1;
	if (*u->required_use) {
		_cleanup_(hs_requse_freep) hs_requse *req = NULL;
		int eapi = hs_eapi_num(u->eapi);

		r = hs_requse_parse(ctx, &req, u->required_use, strlen(u->required_use), eapi < 0 ? 8 : eapi);
		if (r >= 0)
			r = hs_requse_check(ctx, req, u->portage_use, u->iuse_effective);
		if (r == -ENOMEM)
			goto out;
		u->required_use_ok = r;
		if (r == 0 && ((r = hs_requse_reduce(ctx, req, u->portage_use, u->iuse_effective, HS_REQUSE_RAW,
						     &u->unsat_raw)) < 0 ||
			       (r = hs_requse_reduce(ctx, req, u->portage_use, u->iuse_effective, HS_REQUSE_HUMAN,
						     &u->unsat_human)) < 0)) {
			if (r == -ENOMEM)
				goto out;
			u->required_use_ok = r;
		}
	}
	r = 0;
out:
	hs_usestack_free(&st);
	hs_flagmap_free(&mask);
	hs_flagmap_free(&force);
	hs_flagtoks_free(&t_repo);
	hs_flagtoks_free(&t_features);
	hs_flagtoks_free(&t_internal);
	hs_flagtoks_free(&t_defaults);
	hs_flagtoks_free(&t_pkg);
	return r;
}

int hs_portage_effective_use(hs_portage *p, hs_pkg_use **out, const hs_atom *atom, unsigned flags)
{
	hs_ctx *ctx = p->ctx;
	hs_ebuild **ebuilds = NULL;
	size_t n = 0, n_match = 0;
	_cleanup_(hs_pkg_use_freep) hs_pkg_use *u = NULL;
	_cleanup_buf_ hs_buf why = {0};
	_cleanup_free_ char *cp = NULL;
	const hs_ebuild *chosen = NULL;
	hs_pkg_info chosen_info = {0};
	_cleanup_free_ char *slot = NULL;
	bool stable = false;
	int r;

	if (hs_atom_is_wildcard(atom)) {
		_cleanup_free_ char *s = NULL;

		if (hs_atom_format(atom, &s) < 0)
			s = NULL;
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': name one package, not a wildcard", s ? s : "?");
	}
	if (hs_atom_cp(atom, &cp) < 0)
		return -ENOMEM;
	r = hs_repos_ebuilds(ctx, &p->repos, hs_atom_category(atom), hs_atom_package(atom), &ebuilds, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		r = hs_ctx_set_error(ctx, -ENOENT, "%s: no ebuild of this package in any repository", cp);
		goto out;
	}
	for (size_t i = n; i-- > 0 && !chosen;) {
		const hs_ebuild *e = ebuilds[i];
		const char *s = hs_vars_get(e->meta, "SLOT");
		_cleanup_free_ char *sl = strdup(s ? s : "0");
		char *sub;
		hs_pkg_info info;
		bool visible = true, st_ = false;
		_cleanup_free_ char *reason = NULL;

		if (!sl) {
			r = -ENOMEM;
			goto out;
		}
		sub = strchr(sl, '/');
		if (sub)
			*sub++ = '\0';
		info = (hs_pkg_info){ .category = e->category, .package = e->package, .version = e->version,
				      .slot = sl, .subslot = sub, .repo = e->repo ? e->repo->name : NULL };
		if (hs_atom_match(atom, &info) != 1)
			continue;
		n_match++;
		r = hs_portage_visibility(p, e, &info, cp, &visible, &st_, &reason);
		if (r < 0)
			goto out;
		if (!visible && !(flags & HS_EFFECTIVE_ANY_VISIBLE)) {
			if ((why.len && hs_buf_puts(&why, "; ") < 0) ||
			    hs_buf_printf(&why, "%s/%s: %s", e->category, e->pf, reason) < 0) {
				r = -ENOMEM;
				goto out;
			}
			continue;
		}
		chosen = e;
		chosen_info = info;
		stable = st_;
		slot = TAKE_PTR(sl);
	}
	if (!chosen) {
		_cleanup_free_ char *a = NULL;

		if (hs_atom_format(atom, &a) < 0)
			a = NULL;
		if (n_match == 0)
			r = hs_ctx_set_error(ctx, -ENOENT, "%s: no version matches '%s'", cp, a ? a : cp);
		else
			r = hs_ctx_set_error(ctx, -ENOENT, "%s: no visible version (%s)", a ? a : cp, why.p ? why.p : "");
		goto out;
	}
	chosen_info.slot = slot;

	u = calloc(1, sizeof(*u));
	if (!u) {
		r = -ENOMEM;
		goto out;
	}
	{
		const char *s = hs_vars_get(chosen->meta, "SLOT"), *eapi = hs_vars_get(chosen->meta, "EAPI");
		const char *iuse = hs_vars_get(chosen->meta, "IUSE"), *req = hs_vars_get(chosen->meta, "REQUIRED_USE");

		if (asprintf(&u->cpv, "%s/%s", chosen->category, chosen->pf) < 0) {
			u->cpv = NULL;
			r = -ENOMEM;
			goto out;
		}
		u->slot = strdup(s ? s : "0");
		u->repo = strdup(chosen->repo ? chosen->repo->name : "");
		u->eapi = strdup(eapi ? eapi : "0");
		u->iuse = strdup(iuse ? iuse : "");
		u->required_use = strdup(req ? req : "");
		u->stable = stable;
		if (!u->slot || !u->repo || !u->eapi || !u->iuse || !u->required_use) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = compute(p, chosen, &chosen_info, cp, stable, u);
	if (r < 0)
		goto out;
	*out = TAKE_PTR(u);
	r = 0;
out:
	hs_ebuilds_free(ebuilds, n);
	return r;
}

/* ---- getters ---------------------------------------------------------------------------------------------- */

const char *hs_pkg_use_cpv(const hs_pkg_use *u)
{
	return u->cpv;
}

const char *hs_pkg_use_slot(const hs_pkg_use *u)
{
	return u->slot;
}

const char *hs_pkg_use_repo(const hs_pkg_use *u)
{
	return u->repo;
}

const char *hs_pkg_use_eapi(const hs_pkg_use *u)
{
	return u->eapi;
}

bool hs_pkg_use_stable(const hs_pkg_use *u)
{
	return u->stable;
}

const hs_useset *hs_pkg_use_enabled(const hs_pkg_use *u)
{
	return u->enabled;
}

const hs_useset *hs_pkg_use_disabled(const hs_pkg_use *u)
{
	return u->disabled;
}

const hs_useset *hs_pkg_use_portage_use(const hs_pkg_use *u)
{
	return u->portage_use;
}

const hs_useset *hs_pkg_use_iuse_effective(const hs_pkg_use *u)
{
	return u->iuse_effective;
}

const hs_useset *hs_pkg_use_masked(const hs_pkg_use *u)
{
	return u->masked;
}

const hs_useset *hs_pkg_use_forced(const hs_pkg_use *u)
{
	return u->forced;
}

const char *hs_pkg_use_iuse(const hs_pkg_use *u)
{
	return u->iuse;
}

const char *hs_pkg_use_required_use(const hs_pkg_use *u)
{
	return u->required_use;
}

size_t hs_pkg_use_origin_count(const hs_pkg_use *u)
{
	return u->n_origins;
}

const hs_flag_origin *hs_pkg_use_origin(const hs_pkg_use *u, size_t i)
{
	return i < u->n_origins ? &u->origins[i] : NULL;
}

const hs_flag_origin *hs_pkg_use_origin_of(const hs_pkg_use *u, const char *flag)
{
	size_t lo = 0, hi = u->n_origins;

	/* origins are in byte order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->origins[mid].flag, flag);

		if (c == 0)
			return &u->origins[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int hs_pkg_use_required_use_ok(const hs_pkg_use *u)
{
	return u->required_use_ok;
}

const char *hs_pkg_use_required_use_unsatisfied(const hs_pkg_use *u, hs_requse_style style)
{
	const char *s = style == HS_REQUSE_HUMAN ? u->unsat_human : u->unsat_raw;

	return s ? s : "";
}
