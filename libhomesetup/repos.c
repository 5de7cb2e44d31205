/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Repositories as Portage configures them (lib/portage/repository/config.py, RepoConfigLoader): the built-in
 * defaults of /usr/share/portage/config/repos.conf, then ${PORTAGE_CONFIGROOT}/etc/portage/repos.conf (a file or
 * a directory), PORTDIR/PORTDIR_OVERLAY for compatibility, each repository's profiles/repo_name and
 * metadata/layout.conf; and the ebuild metadata of metadata/md5-cache.
 *
 * Every location is a path inside PORTAGE_CONFIGROOT and every byte is read through rootfs.c. The INI side of
 * repos.conf (configparser's model and interpolation) is in repos_ini.c, metadata/md5-cache in md5cache.c.
 */
#include "homesetupP.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#define REPOS_CONF_MAX ((size_t)1 << 20)   /* one repos.conf file */
#define SMALL_FILE_MAX ((size_t)64 << 10)  /* repo_name, layout.conf */

static const char user_repos_conf[] = "/etc/portage/repos.conf";

/* ================================================================================================== */
/* Repositories                                                                                         */
/* ================================================================================================== */
typedef struct prepo {
	char *key;             /* prepos key: the section name (or the repo name for PORTDIR entries) */
	char *name;
	char *location;        /* NULL: none */
	char **masters;        /* NULL: unset (Portage's None) */
	char **masters_layout; /* layout.conf masters, NULL: unset */
	int priority;
	bool has_priority;
	bool missing_repo_name;
	bool dropped;
} prepo;

typedef struct prepos {
	prepo *v;
	size_t n;
	char *main_repo;         /* DEFAULT main-repo */
	char **default_masters;  /* DEFAULT masters */
} prepos;

static void prepo_clear(prepo *p)
{
	free(p->key);
	free(p->name);
	free(p->location);
	hs_strv_free(p->masters);
	hs_strv_free(p->masters_layout);
	*p = (prepo){0};
}

static void prepos_free(prepos *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		prepo_clear(&ps->v[i]);
	free(ps->v);
	free(ps->main_repo);
	hs_strv_free(ps->default_masters);
	*ps = (prepos){0};
}

static prepo *prepos_get(prepos *ps, const char *key)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!ps->v[i].dropped && strcmp(ps->v[i].key, key) == 0)
			return &ps->v[i];
	return NULL;
}

static int split_words(const char *s, char ***out)
{
	_cleanup_(hs_strv_freep) char **v = calloc(1, sizeof(char *));
	int r;

	if (!v)
		return -ENOMEM;
	while (s && *s) {
		size_t n;

		while (*s && isspace((unsigned char)*s))
			s++;
		n = 0;
		while (s[n] && !isspace((unsigned char)s[n]))
			n++;
		if (n) {
			r = hs_strv_push(&v, s, n);
			if (r < 0)
				return r;
		}
		s += n;
	}
	*out = TAKE_PTR(v);
	return 0;
}

/* Python's int() on a priority: surrounding whitespace, a sign, digits with single '_' between them. */
static bool parse_priority(const char *s, int *out)
{
	long long v = 0;
	bool neg = false, digit = false;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '_' && digit && isdigit((unsigned char)s[1]))
			continue;
		if (!isdigit((unsigned char)*s))
			break;
		digit = true;
		if (v < (long long)INT_MAX + 1)
			v = v * 10 + (*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!digit || *s)
		return false;
	if (neg)
		v = -v;
	*out = v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
	return true;
}

/* _gen_valid_repo: characters outside [A-Za-z0-9_-] become separators, runs are joined with '-', leading
 * '-' stripped. Bytes >= 0x80 are kept (Python's \w accepts non-ASCII letters). NULL in *out if nothing is left. */
static int gen_valid_repo(const char *s, size_t len, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	bool pending = false;
	int r = 0;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '_' || c == '-' || c >= 0x80) {
			if (pending && b.len)
				r = hs_buf_putc(&b, '-');
			pending = false;
			if (r >= 0 && !(c == '-' && b.len == 0))
				r = hs_buf_putc(&b, (char)c);
		} else {
			pending = true;
		}
		if (r < 0)
			return r;
	}
	if (b.len == 0)
		return 0;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

static bool root_isdir(hs_ctx *ctx, const char *path)
{
	struct stat st;

	return hs_root_stat(ctx, HS_ROOT_CONFIG, path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static const char *path_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* os.path.normpath for an absolute path inside the root (relative paths are taken from "/"). */
static char *normalize_path(const char *p)
{
	return hs_path_join("/", p[0] == '/' ? p + 1 : p);
}

/* RepoConfig.__init__ for what we need: location, name (repo_name, layout.conf repo-name), masters. */
static int prepo_init(hs_ctx *ctx, prepo *p, const char *name, const char *location, const char *masters,
		      const char *priority)
{
	int r;

	if (masters) {
		r = split_words(masters, &p->masters);
		if (r < 0)
			return r;
	}
	if (priority)
		p->has_priority = parse_priority(priority, &p->priority);
	if (location) {
		const char *l = location;
		size_t ln = strlen(l);

		hs_repos_trim(&l, &ln);
		if (ln == 0)
			location = NULL;
	}
	if (location) {
		_cleanup_free_ char *norm = normalize_path(location);

		if (!norm)
			return -ENOMEM;
		if (root_isdir(ctx, norm)) {
			r = hs_root_realpath(ctx, HS_ROOT_CONFIG, norm, &p->location);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				p->location = TAKE_PTR(norm);
		} else {
			p->location = TAKE_PTR(norm);
		}
	}

	p->missing_repo_name = true;
	if (p->location) {
		_cleanup_free_ char *rn_path = hs_path_join(p->location, "profiles/repo_name");
		_cleanup_free_ char *lc_path = hs_path_join(p->location, "metadata/layout.conf");
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;

		if (!rn_path || !lc_path)
			return -ENOMEM;
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, rn_path, SMALL_FILE_MAX, &buf, &len);
		if (r == -ENOMEM)
			return r;
		if (r >= 0) {
			const char *line = buf;
			size_t n = strcspn(buf, "\n");

			if (n > len)
				n = len;
			hs_repos_trim(&line, &n);
			p->missing_repo_name = false;
			r = gen_valid_repo(line, n, &p->name);
		} else {
			_cleanup_free_ char *x = NULL;

			if (asprintf(&x, "x-%s", path_basename(p->location)) < 0)
				return -ENOMEM;
			r = gen_valid_repo(x, strlen(x), &p->name);
		}
		if (r < 0)
			return r;
		if (!p->name && (p->name = strdup("x-")) == NULL)
			return -ENOMEM;
		if (p->missing_repo_name && name) {
			free(p->name);
			if ((p->name = strdup(name)) == NULL)
				return -ENOMEM;
		}

		/* metadata/layout.conf (KeyValuePairFileLoader: "key = value", '#' comments, bad lines ignored) */
		free(buf);
		buf = NULL;
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, lc_path, SMALL_FILE_MAX, &buf, &len);
		if (r == -ENOMEM)
			return r;
		for (size_t pos = 0; r >= 0 && pos < len;) {
			const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *eq, *k, *v;
			size_t n = nl ? (size_t)(nl - line) : len - pos, kn, vn;

			pos += n + (nl ? 1 : 0);
			hs_repos_trim(&line, &n);
			if (n == 0 || line[0] == '#' || !(eq = memchr(line, '=', n)))
				continue;
			k = line;
			kn = (size_t)(eq - line);
			v = eq + 1;
			vn = n - kn - 1;
			hs_repos_trim(&k, &kn);
			hs_repos_trim(&v, &vn);
			if (kn == 7 && memcmp(k, "masters", 7) == 0) {
				_cleanup_free_ char *val = hs_strndup(v, vn);

				hs_strv_free(p->masters_layout);
				p->masters_layout = NULL;
				if (!val || split_words(val, &p->masters_layout) < 0)
					return -ENOMEM;
			} else if (kn == 9 && memcmp(k, "repo-name", 9) == 0) {
				_cleanup_free_ char *rn = NULL;

				if (gen_valid_repo(v, vn, &rn) < 0)
					return -ENOMEM;
				if (rn) {
					free(p->name);
					p->name = TAKE_PTR(rn);
					p->missing_repo_name = false;
				}
			}
		}
		if (!p->masters && p->masters_layout) {
			for (size_t i = 0; p->masters_layout[i]; i++)
				if (hs_strv_push(&p->masters, p->masters_layout[i], strlen(p->masters_layout[i])) < 0)
					return -ENOMEM;
			if (!p->masters && !(p->masters = calloc(1, sizeof(char *))))
				return -ENOMEM;
		}
	} else if (name && (p->name = strdup(name)) == NULL) {
		return -ENOMEM;
	}
	return 0;
}

/* Append, or replace in place (a Python dict keeps the position of a replaced key). */
static int prepos_put(prepos *ps, prepo *p)
{
	prepo *slot = prepos_get(ps, p->key), *nv;

	if (slot) {
		prepo_clear(slot);
		*slot = *p;
		*p = (prepo){0};
		return 0;
	}
	nv = realloc(ps->v, (ps->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	ps->v = nv;
	ps->v[ps->n++] = *p;
	*p = (prepo){0};
	return 0;
}

/* RepoConfigLoader._parse: one RepoConfig per section, options interpolated. */
static int prepos_from_model(hs_ctx *ctx, hs_repos_ini *m, prepos *ps)
{
	/* RepoConfig("DEFAULT", parser.defaults()): raw values, not interpolated */
	const char *main_repo = hs_vars_get(m->defaults, "main-repo");
	const char *dm = hs_vars_get(m->defaults, "masters");
	int r;

	if (main_repo && !(ps->main_repo = strdup(main_repo)))
		return -ENOMEM;
	if (dm && (r = split_words(dm, &ps->default_masters)) < 0)
		return r;
	for (size_t i = 0; i < m->n && !m->error; i++) {
		hs_repos_ini_section *s = &m->v[i];
		_cleanup_free_ char *loc = NULL, *masters = NULL, *prio = NULL;
		prepo p = {0};

		/* configparser's get() interpolates every option of the section (defaults included): a bad '%'
		 * anywhere makes Portage drop the whole repos.conf. */
		for (size_t k = 0; k < hs_vars_count(s->opt) + hs_vars_count(m->defaults) && !m->error; k++) {
			const char *key = k < hs_vars_count(s->opt) ? hs_vars_name(s->opt, k)
								    : hs_vars_name(m->defaults, k - hs_vars_count(s->opt));
			_cleanup_free_ char *v = NULL;

			r = hs_repos_ini_get(m, s, key, &v);
			if (r < 0)
				return r;
		}
		if (m->error)
			break;
		if ((r = hs_repos_ini_get(m, s, "location", &loc)) < 0 || (r = hs_repos_ini_get(m, s, "masters", &masters)) < 0 ||
		    (r = hs_repos_ini_get(m, s, "priority", &prio)) < 0)
			return r;
		p.key = strdup(s->name);
		if (!p.key)
			return -ENOMEM;
		r = prepo_init(ctx, &p, s->name, loc, masters, prio);
		if (r >= 0)
			r = prepos_put(ps, &p);
		prepo_clear(&p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* shlex.split for PORTDIR_OVERLAY: whitespace-separated words, '…' and "…" quoting, backslash escapes. */
static int shlex_split(hs_ctx *ctx, const char *s, char ***out)
{
	_cleanup_(hs_strv_freep) char **v = calloc(1, sizeof(char *));
	_cleanup_buf_ hs_buf w = {0};
	const char *orig = s;
	bool in_word = false;
	char q = 0;
	int r = 0;

	if (!v)
		return -ENOMEM;
	for (; *s; s++) {
		char c = *s;

		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				r = hs_buf_putc(&w, c);
		} else if (q == '"') {
			if (c == '"')
				q = 0;
			else if (c == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$'))
				r = hs_buf_putc(&w, *++s);
			else
				r = hs_buf_putc(&w, c);
		} else if (c == '\'' || c == '"') {
			q = c;
			in_word = true;
		} else if (c == '\\' && s[1]) {
			r = hs_buf_putc(&w, *++s);
			in_word = true;
		} else if (isspace((unsigned char)c)) {
			if (in_word) {
				r = hs_strv_push(&v, w.p ? w.p : "", w.len);
				w.len = 0;
				in_word = false;
			}
		} else {
			r = hs_buf_putc(&w, c);
			in_word = true;
		}
		if (r < 0)
			return r;
	}
	if (q)
		return hs_ctx_add_warning(ctx, "!!! Invalid PORTDIR_OVERLAY: No closing quotation: %s", orig) < 0
			       ? -ENOMEM : 1;
	if (in_word && (r = hs_strv_push(&v, w.p ? w.p : "", w.len)) < 0)
		return r;
	*out = TAKE_PTR(v);
	return 0;
}

/* RepoConfigLoader._add_repositories: PORTDIR and PORTDIR_OVERLAY as repositories. Returns the (possibly
 * replaced) PORTDIR in *portdir_io. */
static int add_portdir_repos(hs_ctx *ctx, prepos *ps, char **portdir_io, const char *portdir_overlay)
{
	_cleanup_(hs_strv_freep) char **overlays = NULL, **ov_words = NULL;
	_cleanup_free_ char *default_masters = NULL;
	const char *portdir_orig = NULL;
	const char *default_portdir = "/usr/portage";
	int base_priority = 0, r;
	size_t first_overlay = 0;

	for (size_t i = 0; i < ps->n; i++)
		if (!ps->v[i].dropped && ps->v[i].location && strcmp(ps->v[i].location, "/var/db/repos/gentoo") == 0)
			default_portdir = "/var/db/repos/gentoo";

	if (*portdir_io && **portdir_io) {
		char *n = normalize_path(*portdir_io);

		if (!n)
			return -ENOMEM;
		free(*portdir_io);
		*portdir_io = n;
		r = hs_strv_push(&overlays, n, strlen(n));
		if (r < 0)
			return r;
		portdir_orig = overlays[0];
		first_overlay = 1;
	}
	if (portdir_overlay && *portdir_overlay) {
		r = shlex_split(ctx, portdir_overlay, &ov_words);
		if (r < 0)
			return r;
		for (size_t i = 0; ov_words && ov_words[i]; i++) {
			_cleanup_free_ char *n = normalize_path(ov_words[i]);

			if (!n || hs_strv_push(&overlays, n, strlen(n)) < 0)
				return -ENOMEM;
		}
	}
	if (ps->default_masters) {
		_cleanup_buf_ hs_buf b = {0};

		for (size_t i = 0; ps->default_masters[i]; i++)
			if ((i && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, ps->default_masters[i]) < 0)
				return -ENOMEM;
		default_masters = hs_buf_steal(&b);
		if (!default_masters)
			return -ENOMEM;
	}

	for (size_t i = 0; overlays && overlays[i]; i++) {
		const char *ov = overlays[i];
		bool is_portdir = i < first_overlay;
		prepo p = {0};
		prepo *conf;

		if (!root_isdir(ctx, ov) && !(base_priority == 0 && is_portdir)) {
			r = hs_ctx_add_warning(ctx, "!!! Invalid PORTDIR_OVERLAY (not a dir): '%s'", ov);
			if (r < 0)
				return r;
			continue;
		}
		r = prepo_init(ctx, &p, is_portdir ? ps->main_repo : NULL, ov, default_masters, NULL);
		if (r >= 0 && !p.name && !(p.name = strdup("x-")))
			r = -ENOMEM;
		if (r >= 0 && !(p.key = strdup(p.name)))
			r = -ENOMEM;
		if (r < 0) {
			prepo_clear(&p);
			return r;
		}
		/* repos.conf may still set priority and masters for this repository */
		conf = prepos_get(ps, p.name);
		if (conf) {
			if (conf->has_priority) {
				p.priority = conf->priority;
				p.has_priority = true;
			}
			if (conf->masters) {
				hs_strv_free(p.masters);
				p.masters = NULL;
				for (size_t k = 0; conf->masters[k]; k++)
					if (hs_strv_push(&p.masters, conf->masters[k], strlen(conf->masters[k])) < 0)
						r = -ENOMEM;
				if (r >= 0 && !p.masters && !(p.masters = calloc(1, sizeof(char *))))
					r = -ENOMEM;
			}
			/* An overlay replacing the repository PORTDIR points at becomes PORTDIR (silently so when
			 * PORTDIR overrides the default location of the built-in repos.conf, bug #478544). */
			if (r >= 0 && conf->location && strcmp(conf->location, p.location) != 0 &&
			    !(base_priority == 0 && strcmp(conf->location, default_portdir) == 0) && *portdir_io &&
			    strcmp(conf->location, *portdir_io) == 0) {
				char *np = strdup(p.location);

				if (!np) {
					r = -ENOMEM;
				} else {
					free(*portdir_io);
					*portdir_io = np;
				}
			}
		}
		if (r >= 0 && !p.has_priority && !(base_priority == 0 && portdir_orig && strcmp(ov, portdir_orig) == 0)) {
			p.priority = base_priority++;
			p.has_priority = true;
		}
		if (r >= 0)
			r = prepos_put(ps, &p);
		prepo_clear(&p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int repo_cmp(const void *a, const void *b)
{
	const hs_repo *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

void hs_repos_free(hs_repos *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].location);
		hs_strv_free(r->v[i].masters);
	}
	free(r->v);
	free(r->main_repo);
	*r = (hs_repos){0};
}

const hs_repo *hs_repos_find(const hs_repos *r, const char *name)
{
	for (size_t i = 0; r && name && i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

const hs_repo *hs_repos_main(const hs_repos *r)
{
	return r ? hs_repos_find(r, r->main_repo) : NULL;
}

/* Read the INI sources: PORTAGE_REPOSITORIES when set, else the built-in defaults and the user's files. */
static int load_model(hs_ctx *ctx, const hs_vars *vars, hs_repos_ini *m)
{
	_cleanup_(hs_strv_freep) char **files = NULL;
	const char *env = vars ? hs_vars_get(vars, "PORTAGE_REPOSITORIES") : NULL;
	int r;

	r = hs_repos_ini_init(m);
	if (r < 0)
		return r;
	if (env)
		return hs_repos_ini_read(ctx, m, "<PORTAGE_REPOSITORIES>", env, strlen(env));

	r = hs_repos_ini_add_builtin(m);
	if (r < 0)
		return r;
	r = hs_root_list_config(ctx, HS_ROOT_CONFIG, user_repos_conf, &files);
	if (r < 0)
		return r;
	for (size_t i = 0; files && files[i] && !m->error; i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;

		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, files[i], REPOS_CONF_MAX, &buf, &len);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			/* read_configs() skips files it cannot open */
			if (r != -ENOENT && hs_ctx_add_warning(ctx, "%s: cannot be read (%s); skipped as Portage does",
							       files[i], strerror(-r)) < 0)
				return -ENOMEM;
			continue;
		}
		r = hs_repos_ini_read(ctx, m, files[i], buf, len);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_repos_load(hs_ctx *ctx, const hs_vars *vars, hs_repos *out)
{
	_cleanup_free_ char *portdir = NULL;
	hs_repos_ini m = {0};
	prepos ps = {0};
	hs_repos res = {0};
	const char *portdir_overlay = NULL;
	const char *main_name = NULL;
	size_t nvalid = 0;
	int r;

	*out = (hs_repos){0};
	r = load_model(ctx, vars, &m);
	if (r < 0)
		goto out;
	if (!m.error) {
		r = prepos_from_model(ctx, &m, &ps);
		if (r < 0)
			goto out;
	}
	if (m.error) {
		/* RepoConfigLoader: "The configparser state is unreliable … after it has thrown an error, so use empty
		 * config and try to fall back to PORTDIR{,_OVERLAY}." */
		r = hs_ctx_add_warning(ctx, "!!! Error while reading repo config file: %s", m.error);
		if (r < 0)
			goto out;
		prepos_free(&ps);
	}

	if (vars && !hs_vars_get(vars, "PORTAGE_REPOSITORIES")) {
		const char *pd = hs_vars_get(vars, "PORTDIR");

		portdir_overlay = hs_vars_get(vars, "PORTDIR_OVERLAY");
		if (pd && !(portdir = strdup(pd))) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = add_portdir_repos(ctx, &ps, &portdir, portdir_overlay);
	if (r < 0)
		goto out;
	if (portdir && *portdir) {
		char *real = NULL;
		const char *p = portdir;
		size_t pn = strlen(p);

		hs_repos_trim(&p, &pn);
		if (pn && root_isdir(ctx, portdir) && hs_root_realpath(ctx, HS_ROOT_CONFIG, portdir, &real) >= 0) {
			free(portdir);
			portdir = real;
		}
	}

	/* Validation, in prepos order, with Portage's messages. */
	for (size_t i = 0; i < ps.n; i++) {
		prepo *p = &ps.v[i];

		r = 0;
		if (p->dropped)
			continue;
		if (!p->location) {
			r = hs_ctx_add_warning(ctx, "!!! Section '%s' in repos.conf is missing location attribute",
					       p->name ? p->name : p->key);
			p->dropped = true;
		} else if (!root_isdir(ctx, p->location)) {
			r = hs_ctx_add_warning(ctx, "!!! Section '%s' in repos.conf has location attribute set to "
					       "nonexistent directory: '%s'", p->key, p->location);
			/* "Ignore missing directory for 'gentoo' so that first sync with emerge-webrsync is possible." */
			if (strcmp(p->name, "gentoo") != 0)
				p->dropped = true;
		}
		if (r < 0)
			goto out;
		if (p->dropped)
			continue;
		if (p->missing_repo_name && strcmp(p->name, p->key) != 0) {
			r = hs_ctx_add_warning(ctx, "!!! Section '%s' in repos.conf refers to repository without "
					       "repository name set in '%s/profiles/repo_name'", p->key, p->location);
			p->dropped = true;
		} else if (strcmp(p->name, p->key) != 0) {
			r = hs_ctx_add_warning(ctx, "!!! Section '%s' in repos.conf has name different from repository "
					       "name '%s' set inside repository", p->key, p->name);
			p->dropped = true;
		}
		if (r < 0)
			goto out;
	}

	/* main-repo: [DEFAULT] main-repo, else the repository at PORTDIR */
	if (ps.main_repo && prepos_get(&ps, ps.main_repo)) {
		main_name = ps.main_repo;
	} else {
		for (size_t i = 0; portdir && i < ps.n; i++)
			if (!ps.v[i].dropped && strcmp(ps.v[i].location, portdir) == 0) {
				main_name = ps.v[i].key;
				break;
			}
		if (!main_name && portdir && *portdir) {
			r = hs_ctx_add_warning(ctx, "!!! main-repo not set in DEFAULT and PORTDIR is empty.");
			if (r < 0)
				goto out;
		}
	}
	if (main_name) {
		prepo *mp = prepos_get(&ps, main_name);

		if (!mp->has_priority) {
			mp->priority = -1000;
			mp->has_priority = true;
		}
		res.main_repo = strdup(main_name);
		if (!res.main_repo) {
			r = -ENOMEM;
			goto out;
		}
	}

	for (size_t i = 0; i < ps.n; i++)
		nvalid += !ps.v[i].dropped;
	res.v = calloc(nvalid ? nvalid : 1, sizeof(*res.v));
	if (!res.v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ps.n; i++) {
		prepo *p = &ps.v[i];
		hs_repo *h;
		char **masters;
		_cleanup_free_ char *layout = NULL;

		if (p->dropped)
			continue;
		h = &res.v[res.n++];
		h->name = TAKE_PTR(p->name);
		h->location = TAKE_PTR(p->location);
		h->priority = p->has_priority ? p->priority : 0;
		h->masters = calloc(1, sizeof(char *));
		if (!h->masters) {
			r = -ENOMEM;
			goto out;
		}
		layout = hs_path_join(h->location, "metadata/layout.conf");
		if (!layout) {
			r = -ENOMEM;
			goto out;
		}
		/* masters: names that exist, else Portage's "Unavailable repository" error (and the name dropped) */
		if (!p->masters) {
			if (main_name && strcmp(h->name, main_name) != 0)
				r = hs_strv_push(&h->masters, main_name, strlen(main_name));
		} else {
			masters = p->masters;
			for (size_t k = 0; r >= 0 && masters[k]; k++) {
				if (prepos_get(&ps, masters[k]))
					r = hs_strv_push(&h->masters, masters[k], strlen(masters[k]));
				else
					r = hs_ctx_add_warning(ctx, "Unavailable repository '%s' referenced by masters "
							       "entry in '%s'", masters[k], layout);
			}
		}
		if (r >= 0 && !p->masters_layout && main_name && strcmp(h->name, main_name) != 0)
			r = hs_ctx_add_warning(ctx, "!!! Repository '%s' is missing masters attribute in '%s'. Set "
					       "'masters = %s' in this file for future compatibility", h->name, layout,
					       main_name);
		if (r < 0)
			goto out;
	}
	/* prepos_order: by (priority, name) */
	qsort(res.v, res.n, sizeof(*res.v), repo_cmp);
	*out = res;
	res = (hs_repos){0};
	r = 0;
out:
	hs_repos_free(&res);
	prepos_free(&ps);
	hs_repos_ini_free(&m);
	return r;
}
