/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The profile stack as Portage's LocationsManager builds it: ${PORTAGE_CONFIGROOT}/etc/portage/make.profile
 * (or the deprecated /etc/make.profile), its `parent` files depth-first with parents before the node, and
 * /etc/portage/profile last; then each node's make.defaults and USE/keyword/mask files (UseManager,
 * KeywordsManager, MaskManager). Everything is read under the configuration root.
 */
#include "homesetupP.h"

#include <ctype.h>
#include <stdio.h>
#include <sys/stat.h>

#define PROFILE_MAX_DEPTH 64
#define SMALL_FILE_MAX (64u * 1024u)

/* What metadata/layout.conf says about a repository's profiles. */
typedef struct hs_repo_layout {
	const hs_repo *repo;
	char *prefix;           /* location + "/" */
	char *eapi;             /* profile_eapi_when_unspecified (profile-default-eapi), else "0" */
	bool parent_colon;      /* portage-2 */
	bool allow_dirs;        /* portage-1-compat, portage-1, portage-2 (or an EAPI allowing them) */
	bool repo_deps;         /* profile-repo-deps */
} repo_layout;

typedef struct loader {
	hs_ctx *ctx;
	const hs_repos *repos;
	repo_layout *layouts;
	size_t n_layouts;
	const char *stack[PROFILE_MAX_DEPTH];
	size_t depth;
	hs_profile *out;
} loader;

/* ---- EAPI --------------------------------------------------------------------------------------------- */

bool hs_eapi_supported(const char *eapi)
{
	static const char *const extra[] = { "4-python", "4-slot-abi", "5-progress", "5-hdepend" };

	if (!eapi)
		return true;
	if (eapi[0] >= '0' && eapi[0] <= '8' && eapi[1] == '\0')
		return true;
	for (size_t i = 0; i < ELEMENTSOF(extra); i++)
		if (strcmp(eapi, extra[i]) == 0)
			return true;
	return false;
}

int hs_eapi_num(const char *eapi)
{
	int n = 0;

	if (!eapi || !isdigit((unsigned char)eapi[0]))
		return -1;
	for (const char *p = eapi; isdigit((unsigned char)*p) && n < 1000; p++)
		n = n * 10 + (*p - '0');
	return n;
}

/* eapi_supports_stable_use_forcing_and_masking (NULL: no EAPI known, everything allowed). */
static bool eapi_has_stable_files(const char *eapi)
{
	static const char *const old[] = { "0", "1", "2", "3", "4", "4-python", "4-slot-abi" };

	if (!eapi)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(old); i++)
		if (strcmp(eapi, old[i]) == 0)
			return false;
	return true;
}

static bool eapi_allows_dirs(const char *eapi)
{
	return eapi && (strcmp(eapi, "4-python") == 0 || strcmp(eapi, "5-progress") == 0);
}

/* ---- small helpers ------------------------------------------------------------------------------------ */

static char *path_cat(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name) < 0)
		return NULL;
	return p;
}

/* Lexical normalisation of @rel against @dir (os.path.join + normalize_path). */
static char *path_resolve(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return hs_path_join("/", rel + strspn(rel, "/"));
	return hs_path_join(dir, rel);
}

static int path_exists(hs_ctx *ctx, const char *path, bool *is_dir)
{
	struct stat st;
	int r = hs_root_stat(ctx, HS_ROOT_CONFIG, path, &st);

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	if (is_dir)
		*is_dir = S_ISDIR(st.st_mode);
	return 1;
}

/* The first line of a small file, stripped; *out NULL when the file does not exist. */
static int read_first_line(hs_ctx *ctx, const char *path, char **out, size_t *n_lines)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, start, end;
	int r;

	*out = NULL;
	r = hs_root_read_file(ctx, HS_ROOT_CONFIG, path, SMALL_FILE_MAX, &buf, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	if (n_lines) {
		*n_lines = 0;
		for (size_t i = 0; i < len; i++)
			if (buf[i] == '\n' || i + 1 == len)
				(*n_lines)++;
	}
	end = strcspn(buf, "\n");
	for (start = 0; start < end && isspace((unsigned char)buf[start]); start++)
		;
	while (end > start && isspace((unsigned char)buf[end - 1]))
		end--;
	*out = hs_strndup(buf + start, end - start);
	return *out ? 1 : -ENOMEM;
}

/* ---- metadata/layout.conf ----------------------------------------------------------------------------- */

static void trim(char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || isspace((unsigned char)p[-1])) && (p[n] == '\0' || isspace((unsigned char)p[n])))
			return true;
	return false;
}

static int layout_read(hs_ctx *ctx, const hs_repo *repo, repo_layout *out)
{
	_cleanup_free_ char *path = path_cat(repo->location, "metadata/layout.conf");
	_cleanup_free_ char *buf = NULL, *formats = NULL, *eapi = NULL;
	size_t len = 0;
	int r;

	*out = (repo_layout){ .repo = repo };
	if (!path)
		return -ENOMEM;
	r = hs_root_read_file(ctx, HS_ROOT_CONFIG, path, SMALL_FILE_MAX, &buf, &len);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR)
		return r;
	for (char *line = buf; line && line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t l = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		char *eq, *k = line, *v;
		size_t kl, vl;

		line = nl ? nl + 1 : buf + len;
		trim(&k, &l);
		if (!l || k[0] == '#' || !(eq = memchr(k, '=', l)))
			continue;
		kl = (size_t)(eq - k);
		v = eq + 1;
		vl = l - kl - 1;
		trim(&k, &kl);
		trim(&v, &vl);
		if (kl == 15 && memcmp(k, "profile-formats", 15) == 0) {
			free(formats);
			formats = hs_strndup(v, vl);
			if (!formats)
				return -ENOMEM;
		} else if (kl == 29 && memcmp(k, "profile_eapi_when_unspecified", 29) == 0) {
			free(eapi);
			eapi = hs_strndup(v, vl);
			if (!eapi)
				return -ENOMEM;
		}
	}
	if (formats && (has_word(formats, "portage-1") || has_word(formats, "portage-2") ||
			has_word(formats, "portage-1-compat")))
		out->allow_dirs = true;
	if (!formats) /* the default, portage-1-compat, allows directories */
		out->allow_dirs = true;
	out->parent_colon = formats && has_word(formats, "portage-2");
	out->repo_deps = formats && has_word(formats, "profile-repo-deps");
	if (eapi && formats && has_word(formats, "profile-default-eapi"))
		out->eapi = TAKE_PTR(eapi);
	else
		out->eapi = strdup("0");
	if (!out->eapi)
		return -ENOMEM;
	if (eapi_allows_dirs(out->eapi))
		out->allow_dirs = true;
	out->prefix = path_cat(repo->location, "");
	return out->prefix ? 0 : -ENOMEM;
}

static void layouts_free(repo_layout *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].prefix);
		free(l[i].eapi);
	}
	free(l);
}

/* The repository a profile directory lives in (longest location prefix), or NULL. */
static const repo_layout *layout_for(const loader *ld, const char *path)
{
	const repo_layout *best = NULL;

	for (size_t i = 0; i < ld->n_layouts; i++) {
		const repo_layout *l = &ld->layouts[i];

		if (strncmp(path, l->prefix, strlen(l->prefix)) == 0 &&
		    (!best || strlen(l->prefix) > strlen(best->prefix)))
			best = l;
	}
	return best;
}

/* ---- the stack ---------------------------------------------------------------------------------------- */

static int nodes_push(hs_profile *p, hs_profile_node *n)
{
	hs_profile_node *v = realloc(p->v, (p->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->v = v;
	p->v[p->n++] = *n;
	*n = (hs_profile_node){0};
	return 0;
}

/* _expand_parent_colon: `repo:path` and `:path` name <repo location>/profiles/path. */
static int expand_parent_colon(loader *ld, const char *parents_file, const char *parent, const repo_layout *lay,
			       char **out)
{
	const char *colon = strchr(parent, ':');
	const char *loc;
	_cleanup_free_ char *name = NULL, *rel = NULL;

	*out = NULL;
	if (!colon)
		return 0;
	if (colon == parent) {
		if (!lay)
			return hs_ctx_set_error(ld->ctx, -EINVAL, "Parent '%s' not found: '%s'", parent, parents_file);
		loc = lay->repo->location;
	} else {
		const hs_repo *r;

		name = hs_strndup(parent, (size_t)(colon - parent));
		if (!name)
			return -ENOMEM;
		r = hs_repos_find(ld->repos, name);
		if (!r)
			return hs_ctx_set_error(ld->ctx, -EINVAL, "Parent '%s' not found: '%s'", parent, parents_file);
		loc = r->location;
	}
	if (asprintf(&rel, "%s/profiles/%s", loc, colon + 1) < 0)
		return -ENOMEM;
	*out = path_resolve("/", rel);
	return *out ? 1 : -ENOMEM;
}

static int add_profile(loader *ld, const char *path)
{
	hs_ctx *ctx = ld->ctx;
	const repo_layout *lay = layout_for(ld, path);
	_cleanup_free_ char *eapi_file = path_cat(path, "eapi");
	_cleanup_free_ char *parents_file = path_cat(path, "parent");
	_cleanup_free_ char *eapi = NULL;
	hs_conflines parents = {0};
	hs_profile_node node = {0};
	bool allow_colon = lay ? lay->parent_colon : true;
	int r;

	if (!eapi_file || !parents_file)
		return -ENOMEM;
	for (size_t i = 0; i < ld->depth; i++)
		if (strcmp(ld->stack[i], path) == 0)
			return hs_ctx_set_error(ctx, -ELOOP, "profile '%s' is its own parent (a loop in the 'parent' files of '%s')",
						path, ld->stack[ld->depth - 1]);
	if (ld->depth >= PROFILE_MAX_DEPTH)
		return hs_ctx_set_error(ctx, -ELOOP, "profile '%s': 'parent' files nested deeper than %d levels",
					path, PROFILE_MAX_DEPTH);

	r = read_first_line(ctx, eapi_file, &eapi, NULL);
	if (r < 0)
		return r;
	if (r == 0) {
		eapi = strdup(lay ? lay->eapi : "0");
		if (!eapi)
			return -ENOMEM;
	} else if (!hs_eapi_supported(eapi)) {
		_cleanup_free_ char *real = NULL;

		if (hs_root_realpath(ctx, HS_ROOT_CONFIG, eapi_file, &real) < 0)
			real = NULL;
		return hs_ctx_set_error(ctx, -EINVAL, "Profile contains unsupported EAPI '%s': '%s'", eapi,
					real ? real : eapi_file);
	}

	r = path_exists(ctx, parents_file, NULL);
	if (r < 0)
		return r;
	if (r > 0) {
		r = hs_conflines_read(ctx, HS_ROOT_CONFIG, parents_file, false, &parents);
		if (r < 0)
			goto out;
		if (parents.n == 0) {
			r = hs_ctx_set_error(ctx, -EINVAL, "Empty parent file: '%s'", parents_file);
			goto out;
		}
		ld->stack[ld->depth++] = path;
		for (size_t i = 0; i < parents.n; i++) {
			/* grabfile: the whole line is one entry */
			_cleanup_buf_ hs_buf line = {0};
			_cleanup_free_ char *expanded = NULL, *pp = NULL;
			bool abs_parent;

			for (char **t = parents.v[i].tokens; *t; t++)
				if ((t != parents.v[i].tokens && hs_buf_putc(&line, ' ') < 0) || hs_buf_puts(&line, *t) < 0) {
					r = -ENOMEM;
					goto pop;
				}
			abs_parent = line.p[0] == '/';
			if (!abs_parent && allow_colon) {
				r = expand_parent_colon(ld, parents_file, line.p, lay, &expanded);
				if (r < 0)
					goto pop;
			}
			pp = path_resolve(path, expanded ? expanded : line.p);
			if (!pp) {
				r = -ENOMEM;
				goto pop;
			}
			if (abs_parent || !lay || strncmp(pp, lay->prefix, strlen(lay->prefix)) != 0) {
				/* it may point outside the repository: resolve symlinks (inside the root) */
				_cleanup_free_ char *real = NULL;

				r = hs_root_realpath(ctx, HS_ROOT_CONFIG, pp, &real);
				if (r >= 0) {
					free(pp);
					pp = TAKE_PTR(real);
				} else if (r != -ENOENT && r != -ENOTDIR)
					goto pop;
			}
			r = path_exists(ctx, pp, NULL);
			if (r < 0)
				goto pop;
			if (r == 0) {
				r = hs_ctx_set_error(ctx, -EINVAL, "Parent '%s' not found: '%s'", pp, parents_file);
				goto pop;
			}
			r = add_profile(ld, pp);
			if (r < 0)
				goto pop;
		}
		r = 0;
pop:
		ld->depth--;
		if (r < 0)
			goto out;
	}

	node.path = strdup(path);
	node.eapi = TAKE_PTR(eapi);
	node.repo = lay ? strdup(lay->repo->name) : NULL;
	if (!node.path || (lay && !node.repo)) {
		r = -ENOMEM;
		goto out;
	}
	node.allow_dirs = lay ? lay->allow_dirs || eapi_allows_dirs(node.eapi) : true;
	node.allow_repo_deps = lay && lay->repo_deps;
	node.stable_files = eapi_has_stable_files(node.eapi);
	r = nodes_push(ld->out, &node);
out:
	hs_profile_node_free(&node);
	hs_conflines_free(&parents);
	return r;
}

int hs_profile_load(hs_ctx *ctx, const hs_repos *repos, hs_profile *out)
{
	loader ld = { .ctx = ctx, .repos = repos, .out = out };
	const char *const prof = "/etc/portage/make.profile", *const old = "/etc/make.profile";
	_cleanup_free_ char *top = NULL;
	bool is_dir = false, old_dir = false;
	int r;

	*out = (hs_profile){0};
	ld.layouts = calloc(repos->n ? repos->n : 1, sizeof(*ld.layouts));
	if (!ld.layouts)
		return -ENOMEM;
	for (size_t i = 0; i < repos->n; i++) {
		r = layout_read(ctx, &repos->v[i], &ld.layouts[ld.n_layouts]);
		ld.n_layouts++;
		if (r < 0)
			goto out;
	}

	r = path_exists(ctx, prof, &is_dir);
	if (r < 0)
		goto out;
	if (r > 0 && is_dir) {
		out->profile_path = strdup(prof);
		r = path_exists(ctx, old, &old_dir);
		if (r < 0)
			goto out;
		if (r > 0 && old_dir) {
			_cleanup_free_ char *a = NULL, *b = NULL;

			if (hs_root_realpath(ctx, HS_ROOT_CONFIG, prof, &a) >= 0 &&
			    hs_root_realpath(ctx, HS_ROOT_CONFIG, old, &b) >= 0 && strcmp(a, b) != 0) {
				r = hs_ctx_add_warning(ctx, "!!! Found 2 make.profile dirs: using '%s', ignoring '%s'",
						       prof, old);
				if (r < 0)
					goto out;
			}
		}
	} else {
		r = path_exists(ctx, old, &old_dir);
		if (r < 0)
			goto out;
		if (r == 0 || !old_dir) {
			r = hs_ctx_set_error(ctx, -ENOENT,
					     "no profile: '%s' is missing or not a directory (it should be a symlink into a repository's profiles/ directory, see eselect profile)",
					     prof);
			goto out;
		}
		out->profile_path = strdup(old);
	}
	if (!out->profile_path) {
		r = -ENOMEM;
		goto out;
	}
	r = hs_root_realpath(ctx, HS_ROOT_CONFIG, out->profile_path, &top);
	if (r < 0)
		goto out;

	r = add_profile(&ld, top);
	if (r == -EINVAL) {
		/* Portage: "!!! Unable to parse profile: '…'" then "!!! ParseError: …" */
		_cleanup_free_ char *why = strdup(hs_ctx_last_error(ctx));

		r = hs_ctx_set_error(ctx, -EINVAL, "Unable to parse profile: '%s': %s", out->profile_path,
				     why ? why : "parse error");
		goto out;
	}
	if (r < 0)
		goto out;

	/* /etc/portage/profile: the user's own node, last, when it exists at all */
	r = path_exists(ctx, "/etc/portage/profile", NULL);
	if (r < 0)
		goto out;
	if (r > 0) {
		hs_profile_node node = { .user = true, .allow_dirs = true };
		size_t n_lines = 0;

		r = read_first_line(ctx, "/etc/portage/profile/eapi", &node.eapi, &n_lines);
		if (r >= 0 && node.eapi && n_lines != 1) {
			r = hs_ctx_add_warning(ctx, "--- Invalid 'eapi' file (doesn't contain exactly one line): %s",
					       "/etc/portage/profile/eapi");
			free(node.eapi);
			node.eapi = NULL;
		}
		if (r >= 0) {
			node.path = strdup("/etc/portage/profile");
			node.stable_files = eapi_has_stable_files(node.eapi);
			r = node.path ? nodes_push(out, &node) : -ENOMEM;
		}
		hs_profile_node_free(&node);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	if (r < 0) {
		layouts_free(ld.layouts, ld.n_layouts);
		hs_profile_free(out);
	} else {
		out->layouts = ld.layouts;
		out->n_layouts = ld.n_layouts;
	}
	return r;
}

void hs_profile_node_free(hs_profile_node *n)
{
	free(n->path);
	free(n->eapi);
	free(n->repo);
	hs_assigns_free(&n->assigns);
	hs_vars_free(n->vars);
	hs_flagtoks_free(&n->use);
	hs_flaglist_free(&n->use_mask);
	hs_flaglist_free(&n->use_force);
	hs_flaglist_free(&n->use_stable_mask);
	hs_flaglist_free(&n->use_stable_force);
	hs_atomfile_free(&n->pkg_use);
	hs_atomfile_free(&n->pkg_use_mask);
	hs_atomfile_free(&n->pkg_use_force);
	hs_atomfile_free(&n->pkg_use_stable_mask);
	hs_atomfile_free(&n->pkg_use_stable_force);
	hs_atomfile_free(&n->pkg_keywords);
	hs_atomfile_free(&n->pkg_accept_keywords);
	hs_masklist_free(&n->pkg_mask);
	hs_masklist_free(&n->pkg_unmask);
	*n = (hs_profile_node){0};
}

void hs_profile_free(hs_profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		hs_profile_node_free(&p->v[i]);
	free(p->v);
	free(p->profile_path);
	layouts_free(p->layouts, p->n_layouts);
	*p = (hs_profile){0};
}

/* ---- per-node files ----------------------------------------------------------------------------------- */

/* A use.stable.* file in an EAPI without them: Portage warns when it has content and ignores it. */
static int unsupported_stable(hs_ctx *ctx, const hs_profile_node *n, const char *name, size_t entries)
{
	_cleanup_free_ char *path = NULL;

	if (!entries)
		return 0;
	path = path_cat(n->path, name);
	if (!path)
		return -ENOMEM;
	return hs_ctx_add_warning(ctx, "--- EAPI '%s' does not support '%s': '%s'", n->eapi ? n->eapi : "", name, path);
}

static int read_flaglist(hs_ctx *ctx, hs_profile_node *n, const char *name, bool stable, bool recursive,
			 hs_flaglist *out)
{
	_cleanup_free_ char *path = path_cat(n->path, name);
	int r;

	if (!path)
		return -ENOMEM;
	r = hs_flaglist_load(ctx, out, HS_ROOT_CONFIG, path, recursive, !n->eapi);
	if (r < 0 || !stable || n->stable_files)
		return r;
	r = unsupported_stable(ctx, n, name, out->lines.n);
	hs_flaglist_free(out);
	return r;
}

static int read_atomfile(hs_ctx *ctx, hs_profile_node *n, const char *name, bool stable, bool use_flags,
			 bool recursive, hs_atomfile *out)
{
	_cleanup_free_ char *path = path_cat(n->path, name);
	unsigned flags = 0;
	int r;

	if (!path)
		return -ENOMEM;
	if (n->allow_repo_deps)
		flags |= HS_ATOMFILE_ALLOW_REPO;
	if (use_flags)
		flags |= HS_ATOMFILE_CHECK_FLAGS;
	if (!n->eapi) {
		/* extended syntax: the user profile without an eapi file */
		flags |= HS_ATOMFILE_DOTS;
		if (n->user)
			flags |= HS_ATOMFILE_WILDCARD | HS_ATOMFILE_ALLOW_REPO | (use_flags ? HS_ATOMFILE_PREFIXES : 0);
	}
	r = hs_atomfile_load(ctx, out, HS_ROOT_CONFIG, path, recursive, flags);
	if (r < 0 || !stable || n->stable_files)
		return r;
	r = unsupported_stable(ctx, n, name, out->lines.n);
	hs_atomfile_free(out);
	return r;
}

static int read_masklist(hs_ctx *ctx, hs_profile_node *n, const char *name, bool recursive, hs_masklist *out)
{
	_cleanup_free_ char *path = path_cat(n->path, name);

	if (!path)
		return -ENOMEM;
	return hs_masklist_load(ctx, out, HS_ROOT_CONFIG, path, recursive);
}

static int read_files(hs_ctx *ctx, hs_profile_node *n, bool repo_level)
{
	/* repository-level files are always read recursively (UseManager's defaults) */
	bool rec = repo_level || n->allow_dirs;
	int r;

	if ((r = read_flaglist(ctx, n, "use.mask", false, rec, &n->use_mask)) < 0 ||
	    (r = read_flaglist(ctx, n, "use.force", false, rec, &n->use_force)) < 0 ||
	    (r = read_flaglist(ctx, n, "use.stable.mask", true, rec, &n->use_stable_mask)) < 0 ||
	    (r = read_flaglist(ctx, n, "use.stable.force", true, rec, &n->use_stable_force)) < 0 ||
	    (r = read_atomfile(ctx, n, "package.use", false, true, rec, &n->pkg_use)) < 0 ||
	    (r = read_atomfile(ctx, n, "package.use.mask", false, true, rec, &n->pkg_use_mask)) < 0 ||
	    (r = read_atomfile(ctx, n, "package.use.force", false, true, rec, &n->pkg_use_force)) < 0 ||
	    (r = read_atomfile(ctx, n, "package.use.stable.mask", true, true, rec, &n->pkg_use_stable_mask)) < 0 ||
	    (r = read_atomfile(ctx, n, "package.use.stable.force", true, true, rec, &n->pkg_use_stable_force)) < 0)
		return r;
	if (!repo_level) {
		/* KeywordsManager reads these from profile nodes only */
		if ((r = read_atomfile(ctx, n, "package.keywords", false, false, n->allow_dirs, &n->pkg_keywords)) < 0 ||
		    (r = read_atomfile(ctx, n, "package.accept_keywords", false, false, n->allow_dirs,
				       &n->pkg_accept_keywords)) < 0)
			return r;
	}
	if ((r = read_masklist(ctx, n, "package.mask", n->allow_dirs, &n->pkg_mask)) < 0)
		return r;
	/* package.unmask is read only where directories are allowed (portage-1 and later) */
	if (n->allow_dirs && (r = read_masklist(ctx, n, "package.unmask", true, &n->pkg_unmask)) < 0)
		return r;
	return 0;
}

int hs_profile_node_read_files(hs_ctx *ctx, hs_profile_node *n)
{
	return read_files(ctx, n, false);
}

int hs_profile_node_read_defaults(hs_ctx *ctx, hs_profile_node *n, hs_vars *expand)
{
	_cleanup_free_ char *path = path_cat(n->path, "make.defaults");
	size_t first;
	int r;

	if (!path)
		return -ENOMEM;
	first = n->assigns.n;
	r = hs_getconfig_path(ctx, HS_ROOT_CONFIG, path, expand, &n->assigns, HS_GETCONFIG_EXPAND);
	if (r < 0)
		return r;
	if (n->assigns.n == first)
		return 0;
	if (!n->vars && (r = hs_vars_new(&n->vars)) < 0)
		return r;
	for (size_t i = first; i < n->assigns.n; i++) {
		const hs_assign *a = &n->assigns.v[i];

		r = hs_vars_set(n->vars, a->name, a->value, a->path, a->line);
		if (r < 0)
			return r;
	}
	hs_flagtoks_free(&n->use);
	return hs_flagtoks_from_assigns(&n->use, &n->assigns, "USE");
}

int hs_profile_repo_node(hs_ctx *ctx, const hs_profile *p, const hs_repo *repo, hs_profile_node *out)
{
	repo_layout lay = {0};
	const repo_layout *known = NULL;
	_cleanup_free_ char *eapi = NULL, *eapi_file = NULL;
	int r = 0;

	*out = (hs_profile_node){0};
	for (size_t i = 0; p && i < p->n_layouts && !known; i++)
		if (strcmp(p->layouts[i].repo->name, repo->name) == 0)
			known = &p->layouts[i];
	if (known) {
		lay.allow_dirs = known->allow_dirs;
		lay.repo_deps = known->repo_deps;
		lay.eapi = strdup(known->eapi);
		if (!lay.eapi)
			r = -ENOMEM;
	} else
		r = layout_read(ctx, repo, &lay);
	if (r < 0)
		goto out;
	out->path = path_cat(repo->location, "profiles");
	out->repo = strdup(repo->name);
	eapi_file = path_cat(repo->location, "profiles/eapi");
	if (!out->path || !out->repo || !eapi_file) {
		r = -ENOMEM;
		goto out;
	}
	/* read_corresponding_eapi_file(profiles/…, default=repo.eapi) */
	r = read_first_line(ctx, eapi_file, &eapi, NULL);
	if (r < 0)
		goto out;
	out->eapi = eapi ? TAKE_PTR(eapi) : strdup(lay.eapi);
	if (!out->eapi) {
		r = -ENOMEM;
		goto out;
	}
	out->allow_dirs = lay.allow_dirs || eapi_allows_dirs(out->eapi);
	out->allow_repo_deps = lay.repo_deps;
	out->stable_files = eapi_has_stable_files(out->eapi);
	r = read_files(ctx, out, true);
out:
	free(lay.prefix);
	free(lay.eapi);
	if (r < 0)
		hs_profile_node_free(out);
	return r;
}
