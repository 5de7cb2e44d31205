/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hs_portage_load(): Portage's configuration as portage.package.ebuild.config builds it, in the same order:
 * /etc/profile.env, make.globals, make.conf (a first pass for the repositories), repos.conf, the profile
 * stack with each node's make.defaults (USE removed from the expansion map before each node), make.conf
 * again expanding against the profiles, the repositories' own profiles/ files, the user's package.use,
 * package.accept_keywords, package.mask and package.unmask, and the incremental variables stacked.
 */
#include "homesetupP.h"

#include <stdio.h>

extern char **environ;

/* cnf/make.globals, the parts that matter here (FEATURES has no `test`). */
static const struct {
	const char *name, *value;
} make_globals[] = {
	{ "ACCEPT_LICENSE", "-* @FREE" },
	{ "ACCEPT_PROPERTIES", "*" },
	{ "ACCEPT_RESTRICT", "*" },
	{ "CONFIG_PROTECT", "/etc" },
	{ "CONFIG_PROTECT_MASK", "/etc/env.d" },
	{ "FEATURES", "assume-digests binpkg-docompress binpkg-dostrip binpkg-logs binpkg-multi-instance "
		      "buildpkg-live config-protect-if-modified distlocks ebuild-locks fixlafiles ipc-sandbox "
		      "merge-sync merge-wait multilib-strict network-sandbox news parallel-fetch pid-sandbox "
		      "preserve-libs protect-owned qa-unresolved-soname-deps sandbox sfperms strict "
		      "unknown-features-warn unmerge-logs unmerge-orphans userfetch userpriv usersandbox usersync" },
	{ "PORTAGE_TMPDIR", "/var/tmp" },
	{ "USE_ORDER", "env:pkg:conf:defaults:pkginternal:features:repo:env.d" },
};

/* The expansion map's fixed entries: every path is seen from inside the roots. */
static const struct {
	const char *name, *value;
} fixed_vars[] = {
	{ "BROOT", "" }, { "EPREFIX", "" }, { "EROOT", "/" }, { "ESYSROOT", "/" },
	{ "PORTAGE_CONFIGROOT", "/" }, { "ROOT", "/" }, { "SYSROOT", "/" },
};

static const char *const incrementals[] = {
	"ACCEPT_KEYWORDS", "CONFIG_PROTECT", "CONFIG_PROTECT_MASK", "ENV_UNSET", "FEATURES", "IUSE_IMPLICIT",
	"PRELINK_PATH", "PRELINK_PATH_MASK", "PROFILE_ONLY_VARIABLES", "USE", "USE_EXPAND", "USE_EXPAND_HIDDEN",
	"USE_EXPAND_IMPLICIT", "USE_EXPAND_UNPREFIXED",
};

bool hs_portage_incremental(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(incrementals); i++)
		if (strcmp(name, incrementals[i]) == 0)
			return true;
	return false;
}

const hs_profile_node *hs_portage_repo_profile(const hs_portage *p, const char *name)
{
	for (size_t i = 0; name && i < p->repos.n; i++)
		if (strcmp(p->repos.v[i].name, name) == 0)
			return &p->repo_nodes[i];
	return NULL;
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* stack_dicts(): incremental variables are joined with a space, the others replaced. */
static int stack_into(hs_vars *dst, const hs_vars *src)
{
	for (size_t i = 0; i < hs_vars_count(src); i++) {
		const char *name = hs_vars_name(src, i), *value = hs_vars_get(src, name), *old, *file = NULL;
		unsigned line = 0;
		int r;

		hs_vars_origin(src, name, &file, &line);
		old = hs_vars_get(dst, name);
		if (old && hs_portage_incremental(name)) {
			_cleanup_free_ char *joined = NULL;

			if (asprintf(&joined, "%s %s", old, value) < 0)
				return -ENOMEM;
			r = hs_vars_set(dst, name, joined, file, line);
		} else
			r = hs_vars_set(dst, name, value, file, line);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Values of the last assignment of each name in @a (from index @first on), minus @drop and `__` locals. */
static int vars_from_assigns(const hs_assigns *a, size_t first, char **drop, hs_vars *out)
{
	for (size_t i = first; i < a->n; i++) {
		const hs_assign *as = &a->v[i];
		int r;

		if (strncmp(as->name, "__", 2) == 0 || strv_has(drop, as->name))
			continue;
		r = hs_vars_set(out, as->name, as->value, as->path, as->line);
		if (r < 0)
			return r;
	}
	return 0;
}

/* config.regenerate() for one incremental variable over @dbs (lowest first). */
static int incremental_value(hs_ctx *ctx, const hs_vars *const *dbs, size_t n, const char *name, char **out,
			     bool *present)
{
	_cleanup_(hs_useset_freep) hs_useset *set = NULL;
	int r = hs_useset_new(&set);

	*present = false;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *v = hs_vars_get(dbs[i], name);
		_cleanup_(hs_strv_freep) char **words = NULL;

		if (!v)
			continue;
		*present = true;
		r = hs_split_words(v, &words);
		if (r < 0)
			return r;
		for (char **w = words; *w; w++) {
			const char *x = *w;

			if (strcmp(x, "-*") == 0) {
				hs_useset_clear(set);
				continue;
			}
			if (x[0] == '+') {
				r = hs_ctx_add_warning(ctx, "%s values should not start with a '+': %s", name, x);
				if (r < 0)
					return r;
				if (!*++x)
					continue;
			}
			if (x[0] == '-')
				hs_useset_remove(set, x + 1, strlen(x + 1));
			else if ((r = hs_useset_add(set, x, strlen(x))) < 0)
				return r;
		}
	}
	return hs_useset_join(set, out);
}

/* The make_defaults_use of one node (config.regenerate): its USE_EXPAND_UNPREFIXED values, its USE_EXPAND
 * values as prefixed flags, then its USE. */
static int node_defaults_use(hs_portage *p, const hs_profile_node *n, hs_flagtoks *out)
{
	int r;

	if (!n->vars)
		return 0;
	for (char **k = p->use_expand_unprefixed; *k; k++) {
		const char *v = hs_vars_get(n->vars, *k), *file = NULL;
		_cleanup_(hs_strv_freep) char **words = NULL;
		unsigned line = 0;

		if (!v)
			continue;
		hs_vars_origin(n->vars, *k, &file, &line);
		if ((r = hs_split_words(v, &words)) < 0)
			return r;
		for (char **w = words; *w; w++) {
			_cleanup_free_ char *written = NULL;

			if (asprintf(&written, "%s=%s", *k, *w) < 0)
				return -ENOMEM;
			if ((r = hs_flagtoks_push_written(out, *w, written, file, line)) < 0)
				return r;
		}
	}
	for (char **k = p->use_expand; *k; k++) {
		const char *v = hs_vars_get(n->vars, *k), *file = NULL;
		_cleanup_(hs_strv_freep) char **words = NULL;
		unsigned line = 0;

		if (!v || !hs_vars_get(p->final, *k))
			continue;
		hs_vars_origin(n->vars, *k, &file, &line);
		if ((r = hs_split_words(v, &words)) < 0)
			return r;
		for (char **w = words; *w; w++) {
			_cleanup_free_ char *flag = NULL, *written = NULL, *lower = hs_lower_dup(*k);
			bool neg = (*w)[0] == '-';

			if (!lower)
				return -ENOMEM;
			if (asprintf(&flag, "%s%s_%s", neg ? "-" : "", lower, *w + neg) < 0 ||
			    asprintf(&written, "%s=%s", *k, *w) < 0)
				return -ENOMEM;
			if ((r = hs_flagtoks_push_written(out, flag, written, file, line)) < 0)
				return r;
		}
	}
	return hs_flagtoks_append(out, &n->use);
}

/* The environment's USE-related variables (config's "env" layer). */
static int load_env(hs_portage *p, char **profile_only)
{
	static const char *const names[] = { "USE", "USE_ORDER", "ARCH" };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(incrementals) + ELEMENTSOF(names); i++) {
		const char *name = i < ELEMENTSOF(incrementals) ? incrementals[i] : names[i - ELEMENTSOF(incrementals)];
		const char *v = getenv(name);

		if (!v || strv_has(profile_only, name))
			continue;
		if ((r = hs_vars_set(p->env, name, v, NULL, 0)) < 0)
			return r;
	}
	return 0;
}

static int load_env_expand(hs_portage *p, char **profile_only)
{
	int r;

	for (int pass = 0; pass < 2; pass++)
		for (char **k = pass ? p->use_expand_unprefixed : p->use_expand; *k; k++) {
			const char *v = getenv(*k);

			if (!v || strv_has(profile_only, *k))
				continue;
			if ((r = hs_vars_set(p->env, *k, v, NULL, 0)) < 0)
				return r;
		}
	return 0;
}

/* The final view: the layers from lowest to highest, then the incremental variables stacked. */
static int build_final(hs_portage *p)
{
	const hs_vars *const dbs[] = { p->envd, p->globals, p->defaults, p->conf, p->env };
	int r;

	hs_vars_free(p->final);
	p->final = NULL;
	if ((r = hs_vars_new(&p->final)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(dbs); i++)
		if ((r = stack_into(p->final, dbs[i])) < 0)
			return r;
	for (size_t i = 0; i < ELEMENTSOF(incrementals); i++) {
		_cleanup_free_ char *v = NULL;
		bool present;

		if (strcmp(incrementals[i], "USE") == 0)
			continue;
		r = incremental_value(p->ctx, dbs, ELEMENTSOF(dbs), incrementals[i], &v, &present);
		if (r < 0)
			return r;
		if ((present || *v) && (r = hs_vars_set(p->final, incrementals[i], v, NULL, 0)) < 0)
			return r;
	}
	return 0;
}

static int read_user_files(hs_portage *p)
{
	hs_ctx *ctx = p->ctx;
	int r;

	if ((r = hs_atomfile_load(ctx, &p->user_use, HS_ROOT_CONFIG, "/etc/portage/package.use", true,
				  HS_ATOMFILE_USER_USE)) < 0 ||
	    (r = hs_atomfile_load(ctx, &p->user_keywords, HS_ROOT_CONFIG, "/etc/portage/package.keywords", true,
				  HS_ATOMFILE_USER_KEYWORDS)) < 0 ||
	    (r = hs_atomfile_load(ctx, &p->user_accept_keywords, HS_ROOT_CONFIG,
				  "/etc/portage/package.accept_keywords", true, HS_ATOMFILE_USER_KEYWORDS)) < 0 ||
	    (r = hs_masklist_load(ctx, &p->user_mask, HS_ROOT_CONFIG, "/etc/portage/package.mask", true)) < 0 ||
	    (r = hs_masklist_load(ctx, &p->user_unmask, HS_ROOT_CONFIG, "/etc/portage/package.unmask", true)) < 0)
		return r;
	return 0;
}

/* USE_ORDER, lowest precedence first. */
static int parse_use_order(hs_portage *p)
{
	const char *v = hs_vars_get(p->final, "USE_ORDER");
	_cleanup_(hs_strv_freep) char **parts = NULL;
	size_t n;

	for (const char *s = v ? v : ""; *s;) {
		size_t len = strcspn(s, ":");
		int r;

		if (len && (r = hs_strv_push(&parts, s, len)) < 0)
			return r;
		s += len;
		s += *s == ':';
	}
	n = hs_strv_length(parts);
	p->use_order = calloc(n + 1, sizeof(char *));
	if (!p->use_order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p->use_order[i] = TAKE_PTR(parts[n - 1 - i]);
	return 0;
}

/* IUSE_EFFECTIVE without IUSE (config._calc_iuse_effective). */
static int calc_iuse_implicit(hs_portage *p)
{
	_cleanup_(hs_strv_freep) char **implicit = NULL, **uei = NULL;
	int r;

	if ((r = hs_useset_new(&p->iuse_implicit)) < 0 ||
	    (r = hs_split_words(hs_vars_get(p->final, "IUSE_IMPLICIT"), &implicit)) < 0 ||
	    (r = hs_split_words(hs_vars_get(p->final, "USE_EXPAND_IMPLICIT"), &uei)) < 0)
		return r;
	for (char **x = implicit; *x; x++)
		if ((r = hs_useset_add(p->iuse_implicit, *x, strlen(*x))) < 0)
			return r;
	for (char **v = p->use_expand_unprefixed; *v; v++) {
		_cleanup_free_ char *key = NULL;
		_cleanup_(hs_strv_freep) char **vals = NULL;

		if (!strv_has(uei, *v))
			continue;
		if (asprintf(&key, "USE_EXPAND_VALUES_%s", *v) < 0)
			return -ENOMEM;
		if ((r = hs_split_words(hs_vars_get(p->final, key), &vals)) < 0)
			return r;
		for (char **x = vals; *x; x++)
			if ((r = hs_useset_add(p->iuse_implicit, *x, strlen(*x))) < 0)
				return r;
	}
	for (char **v = uei; *v; v++) {
		_cleanup_free_ char *key = NULL;
		_cleanup_(hs_strv_freep) char **vals = NULL;

		if (!strv_has(p->use_expand, *v))
			continue;
		if (asprintf(&key, "USE_EXPAND_VALUES_%s", *v) < 0)
			return -ENOMEM;
		if ((r = hs_split_words(hs_vars_get(p->final, key), &vals)) < 0)
			return r;
		for (char **x = vals; *x; x++) {
			_cleanup_free_ char *flag = NULL;

			if (asprintf(&flag, "%s_%s", *v, *x) < 0)
				return -ENOMEM;
			/* lower-case the variable part only: "ELIBC_glibc" → "elibc_glibc" */
			for (size_t i = 0; i < strlen(*v); i++)
				flag[i] = (char)(flag[i] >= 'A' && flag[i] <= 'Z' ? flag[i] - 'A' + 'a' : flag[i]);
			if ((r = hs_useset_add(p->iuse_implicit, flag, strlen(flag))) < 0)
				return r;
		}
	}
	return 0;
}

/* getUseMask()/getUseForce() without a package: the profile nodes' use.mask / use.force. */
static int global_flags(hs_portage *p, bool force, hs_useset **out)
{
	int r = hs_useset_new(out);

	for (size_t i = 0; r >= 0 && i < p->profile.n; i++) {
		const hs_flaglist *l = force ? &p->profile.v[i].use_force : &p->profile.v[i].use_mask;

		for (size_t j = 0; r >= 0 && j < l->toks.n; j++) {
			const char *t = l->toks.v[j].tok;

			if (t[0] == '-')
				hs_useset_remove(*out, t + 1, strlen(t + 1));
			else
				r = hs_useset_add(*out, t, strlen(t));
		}
	}
	return r < 0 ? r : 0;
}

/* A scratch context on the same roots, for the first make.conf pass (its messages come again later). */
static int scratch_ctx(hs_ctx *ctx, hs_ctx **out)
{
	_cleanup_(hs_ctx_freep) hs_ctx *c = NULL;
	int r;

	if ((r = hs_ctx_new(&c)) < 0 || (r = hs_ctx_set_root(c, hs_ctx_get_root(ctx))) < 0 ||
	    (r = hs_ctx_set_config_root(c, hs_ctx_get_config_root(ctx))) < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

static int load(hs_portage *p)
{
	hs_ctx *ctx = p->ctx;
	_cleanup_(hs_strv_freep) char **profile_only = NULL;
	int r;

	if ((r = hs_vars_new(&p->envd)) < 0 || (r = hs_vars_new(&p->globals)) < 0 ||
	    (r = hs_vars_new(&p->defaults)) < 0 || (r = hs_vars_new(&p->conf)) < 0 || (r = hs_vars_new(&p->env)) < 0)
		return r;

	/* env.d: ${EROOT}/etc/profile.env, not expanded */
	r = hs_getconfig_path(ctx, HS_ROOT_SYS, "/etc/profile.env", p->envd, &p->envd_assigns, HS_GETCONFIG_TOLERANT);
	if (r < 0)
		return r;
	if ((r = hs_vars_dup(&p->expand, p->envd)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(fixed_vars); i++)
		if ((r = hs_vars_set(p->expand, fixed_vars[i].name, fixed_vars[i].value, NULL, 0)) < 0)
			return r;
	for (size_t i = 0; i < ELEMENTSOF(make_globals); i++)
		if ((r = hs_vars_set(p->globals, make_globals[i].name, make_globals[i].value, NULL, 0)) < 0 ||
		    (r = hs_vars_set(p->expand, make_globals[i].name, make_globals[i].value, NULL, 0)) < 0)
			return r;

	/* Repositories: Portage reads make.conf once on its own for PORTDIR & co. first. */
	{
		_cleanup_(hs_ctx_freep) hs_ctx *scratch = NULL;
		_cleanup_(hs_vars_freep) hs_vars *first = NULL;

		if ((r = scratch_ctx(ctx, &scratch)) < 0 || (r = hs_vars_new(&first)) < 0)
			return r;
		(void)hs_makeconf_load(scratch, first, NULL);
		if ((r = hs_repos_load(ctx, first, &p->repos)) < 0)
			return r;
	}

	r = hs_profile_load(ctx, &p->repos, &p->profile);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->profile.n; i++) {
		hs_profile_node *n = &p->profile.v[i];

		/* USE="${USE} x" in make.defaults sees only its own file */
		if ((r = hs_vars_unset(p->expand, "USE")) < 0 ||
		    (r = hs_profile_node_read_defaults(ctx, n, p->expand)) < 0 ||
		    (r = hs_profile_node_read_files(ctx, n)) < 0)
			return r;
		if (n->vars && (r = stack_into(p->defaults, n->vars)) < 0)
			return r;
	}
	{
		const hs_vars *const only[] = { p->defaults };
		_cleanup_free_ char *v = NULL;
		bool present;

		r = incremental_value(ctx, only, 1, "PROFILE_ONLY_VARIABLES", &v, &present);
		if (r < 0 || (r = hs_split_words(v, &profile_only)) < 0)
			return r;
	}

	/* make.conf, expanding against the profiles' variables */
	r = hs_makeconf_load(ctx, p->expand, &p->conf_assigns);
	if (r < 0)
		return r;
	if ((r = vars_from_assigns(&p->conf_assigns, 0, profile_only, p->conf)) < 0)
		return r;
	for (char **k = profile_only; *k; k++)
		if ((r = hs_vars_unset(p->envd, *k)) < 0)
			return r;

	/* the repositories' own profiles/ directories */
	p->repo_nodes = calloc(p->repos.n ? p->repos.n : 1, sizeof(*p->repo_nodes));
	if (!p->repo_nodes)
		return -ENOMEM;
	for (size_t i = 0; i < p->repos.n; i++) {
		hs_profile_node *n = &p->repo_nodes[i];
		_cleanup_(hs_vars_freep) hs_vars *expand = NULL;

		if ((r = hs_profile_repo_node(ctx, &p->profile, &p->repos.v[i], n)) < 0 ||
		    (r = hs_vars_dup(&expand, p->globals)) < 0 ||
		    (r = hs_profile_node_read_defaults(ctx, n, expand)) < 0)
			return r;
		for (char **k = profile_only; n->vars && *k; k++)
			if ((r = hs_vars_unset(n->vars, *k)) < 0)
				return r;
	}

	if ((r = read_user_files(p)) < 0)
		return r;
	/* make.conf USE, then the "* / *" lines of package.use (extract_global_USE_changes) */
	if ((r = hs_flagtoks_from_assigns(&p->conf_use, &p->conf_assigns, "USE")) < 0 ||
	    (r = hs_atomfile_global(ctx, &p->user_use, &p->conf_use)) < 0 ||
	    (r = hs_flagtoks_from_assigns(&p->envd_use, &p->envd_assigns, "USE")) < 0)
		return r;

	if (p->use_env && (r = load_env(p, profile_only)) < 0)
		return r;
	if ((r = build_final(p)) < 0)
		return r;
	if ((r = hs_split_words(hs_vars_get(p->final, "USE_EXPAND"), &p->use_expand)) < 0 ||
	    (r = hs_split_words(hs_vars_get(p->final, "USE_EXPAND_UNPREFIXED"), &p->use_expand_unprefixed)) < 0 ||
	    (r = hs_split_words(hs_vars_get(p->final, "USE_EXPAND_HIDDEN"), &p->use_expand_hidden)) < 0)
		return r;
	if (p->use_env) {
		if ((r = load_env_expand(p, profile_only)) < 0 || (r = build_final(p)) < 0)
			return r;
		if (getenv("USE") && (r = hs_flagtoks_push_words(&p->env_use, getenv("USE"), NULL, 0)) < 0)
			return r;
		if (getenv("ACCEPT_KEYWORDS") && !(p->env_accept_keywords = strdup(getenv("ACCEPT_KEYWORDS"))))
			return -ENOMEM;
	}
	/* what hs_portage_var("USE") answers: the make.conf layer */
	{
		_cleanup_buf_ hs_buf b = {0};

		for (size_t i = 0; i < p->conf_use.n; i++)
			if ((i && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, p->conf_use.v[i].tok) < 0)
				return -ENOMEM;
		/* Portage always sets it (extract_global_USE_changes), "" when make.conf has none */
		if ((r = hs_vars_set(p->final, "USE", b.p ? b.p : "", NULL, 0)) < 0)
			return r;
	}
	if ((r = parse_use_order(p)) < 0)
		return r;

	p->node_use = calloc(p->profile.n ? p->profile.n : 1, sizeof(*p->node_use));
	if (!p->node_use)
		return -ENOMEM;
	for (size_t i = 0; i < p->profile.n; i++)
		if ((r = node_defaults_use(p, &p->profile.v[i], &p->node_use[i])) < 0)
			return r;

	if ((r = calc_iuse_implicit(p)) < 0 || (r = global_flags(p, false, &p->global_mask)) < 0 ||
	    (r = global_flags(p, true, &p->global_force)) < 0)
		return r;
	if (hs_vars_get(p->defaults, "ARCH") && !(p->arch = strdup(hs_vars_get(p->defaults, "ARCH"))))
		return -ENOMEM;
	if (!(p->accept_keywords = strdup(hs_vars_get(p->final, "ACCEPT_KEYWORDS") ?: "")))
		return -ENOMEM;
	{
		_cleanup_(hs_strv_freep) char **features = NULL;

		if ((r = hs_split_words(hs_vars_get(p->final, "FEATURES"), &features)) < 0)
			return r;
		p->features_test = strv_has(features, "test");
	}
	return 0;
}

int hs_portage_load(hs_ctx *ctx, hs_portage **out, bool use_env)
{
	hs_portage *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->use_env = use_env;
	r = load(p);
	if (r < 0) {
		if (r == -ENOMEM && !*hs_ctx_last_error(ctx))
			hs_ctx_set_error(ctx, r, "out of memory while reading Portage's configuration");
		hs_portage_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void hs_portage_free(hs_portage *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->repo_nodes && i < p->repos.n; i++)
		hs_profile_node_free(&p->repo_nodes[i]);
	free(p->repo_nodes);
	for (size_t i = 0; p->node_use && i < p->profile.n; i++)
		hs_flagtoks_free(&p->node_use[i]);
	free(p->node_use);
	hs_profile_free(&p->profile);
	hs_repos_free(&p->repos);
	hs_vars_free(p->expand);
	hs_vars_free(p->envd);
	hs_vars_free(p->globals);
	hs_vars_free(p->defaults);
	hs_vars_free(p->conf);
	hs_vars_free(p->env);
	hs_vars_free(p->final);
	hs_assigns_free(&p->envd_assigns);
	hs_assigns_free(&p->conf_assigns);
	hs_flagtoks_free(&p->envd_use);
	hs_flagtoks_free(&p->conf_use);
	hs_flagtoks_free(&p->env_use);
	hs_atomfile_free(&p->user_use);
	hs_atomfile_free(&p->user_keywords);
	hs_atomfile_free(&p->user_accept_keywords);
	hs_masklist_free(&p->user_mask);
	hs_masklist_free(&p->user_unmask);
	hs_strv_free(p->use_order);
	hs_strv_free(p->use_expand);
	hs_strv_free(p->use_expand_unprefixed);
	hs_strv_free(p->use_expand_hidden);
	hs_useset_free(p->iuse_implicit);
	hs_useset_free(p->global_mask);
	hs_useset_free(p->global_force);
	free(p->arch);
	free(p->accept_keywords);
	free(p->env_accept_keywords);
	free(p);
}

size_t hs_portage_profile_count(const hs_portage *p)
{
	return p ? p->profile.n : 0;
}

const char *hs_portage_profile(const hs_portage *p, size_t i)
{
	return p && i < p->profile.n ? p->profile.v[i].path : NULL;
}

const char *hs_portage_var(const hs_portage *p, const char *name)
{
	return p && name ? hs_vars_get(p->final, name) : NULL;
}
