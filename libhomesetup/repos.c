/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Repositories as Portage configures them (lib/portage/repository/config.py, RepoConfigLoader): the built-in
 * defaults of /usr/share/portage/config/repos.conf, then ${PORTAGE_CONFIGROOT}/etc/portage/repos.conf (a file or
 * a directory), PORTDIR/PORTDIR_OVERLAY for compatibility, each repository's profiles/repo_name and
 * metadata/layout.conf; and the ebuild metadata of metadata/md5-cache.
 *
 * Every location is a path inside PORTAGE_CONFIGROOT and every byte is read through rootfs.c.
 */
#include "homesetupP.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#define REPOS_CONF_MAX ((size_t)1 << 20)   /* one repos.conf file */
#define SMALL_FILE_MAX ((size_t)64 << 10)  /* repo_name, layout.conf */
#define MD5CACHE_MAX ((size_t)4 << 20)     /* one md5-cache entry (real ones are < 20 KiB) */
#define INTERPOLATION_DEPTH 10             /* configparser.MAX_INTERPOLATION_DEPTH */

static const char default_repos_conf[] = "/usr/share/portage/config/repos.conf";
static const char user_repos_conf[] = "/etc/portage/repos.conf";

/* ================================================================================================== */
/* The INI model: what Python's configparser would hold after reading every repos.conf file            */
/* ================================================================================================== */
typedef struct ini_section {
	char *name;   /* as written (configparser section names are case-sensitive) */
	hs_vars *opt; /* option names lower-cased (configparser's optionxform), raw values */
} ini_section;

typedef struct ini_model {
	ini_section *v;
	size_t n;
	hs_vars *defaults; /* [DEFAULT] plus the defaults RepoConfigLoader passes (EPREFIX, ROOT …) */
	char *error;       /* set when configparser would have raised: Portage then drops all of repos.conf */
} ini_model;

static void ini_model_free(ini_model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		hs_vars_free(m->v[i].opt);
	}
	free(m->v);
	hs_vars_free(m->defaults);
	free(m->error);
	*m = (ini_model){0};
}

static int ini_model_init(ini_model *m)
{
	/* RepoConfigLoader's default_opts, seen from inside PORTAGE_CONFIGROOT: ROOT and the config root are "/". */
	static const char *const builtin[][2] = {
		{"eprefix", ""}, {"eroot", "/"}, {"portage_configroot", "/"}, {"root", "/"},
		{"sync-rsync-extra-opts", ""},
	};
	int r = hs_vars_new(&m->defaults);

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(builtin); i++)
		r = hs_vars_set(m->defaults, builtin[i][0], builtin[i][1], NULL, 0);
	return r;
}

static ini_section *ini_model_section(ini_model *m, const char *name, bool create)
{
	ini_section *nv;

	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	if (!create)
		return NULL;
	nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	m->v = nv;
	nv = &m->v[m->n];
	*nv = (ini_section){0};
	nv->name = strdup(name);
	if (!nv->name || hs_vars_new(&nv->opt) < 0) {
		free(nv->name);
		return NULL;
	}
	m->n++;
	return nv;
}

/* Record the first configparser error; later ones are not reached by Portage either. */
static int ini_model_fail(ini_model *m, const char *fmt, ...) _printf_(2, 3);
static int ini_model_fail(ini_model *m, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (m->error)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&m->error, fmt, ap);
	va_end(ap);
	if (r < 0) {
		m->error = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The built-in cnf/repos.conf of Portage (gentoo/portage a20ef27a), the keys that matter here. */
static int ini_model_add_builtin(ini_model *m)
{
	ini_section *s;
	int r;

	r = hs_vars_set(m->defaults, "main-repo", "gentoo", default_repos_conf, 2);
	if (r < 0)
		return r;
	s = ini_model_section(m, "gentoo", true);
	if (!s)
		return -ENOMEM;
	r = hs_vars_set(s->opt, "location", "/var/db/repos/gentoo", default_repos_conf, 5);
	if (r >= 0)
		r = hs_vars_set(s->opt, "sync-type", "rsync", default_repos_conf, 6);
	if (r >= 0)
		r = hs_vars_set(s->opt, "sync-uri", "rsync://rsync.gentoo.org/gentoo-portage", default_repos_conf, 7);
	if (r >= 0)
		r = hs_vars_set(s->opt, "auto-sync", "yes", default_repos_conf, 8);
	return r;
}

/* ---- feeding iniparser ------------------------------------------------------------------------------ */
/*
 * iniparser 4.1 (what Debian, Ubuntu and Gentoo ship as dev-libs/iniparser-4.1) can only load a *path*
 * (iniparser_load); iniparser >= 4.2 adds iniparser_load_file(FILE *, name). Every byte we parse must have come
 * through rootfs.c (so that a symlink in the tree cannot lead out of the root), never from a path iniparser opens
 * by itself. So: when the running library has iniparser_load_file (found at run time through a weak reference),
 * the bytes go in through fmemopen(); with 4.1 they are copied into an anonymous memfd that iniparser opens as
 * /proc/self/fd/N. Neither writes a temporary file or names anything outside the root.
 *
 * iniparser's dialect differs from Python's configparser in a few corners; those that change results are
 * handled here: section names are lower-cased by iniparser (we restore the spelling from the text), a duplicate
 * section in one file or an option before the first section header is an error for configparser (we detect both
 * in the text). Left as iniparser reads them: "key: value" lines (configparser accepts ':' as a delimiter;
 * iniparser reports a syntax error), indented continuation lines, text after a section header's ']', inline
 * "; …"/"# …" comments and surrounding quotes (iniparser strips them, configparser keeps them), lines over 1024
 * bytes (a syntax error in iniparser). A syntax error drops the whole of repos.conf, as configparser's do in
 * Portage.
 */
extern dictionary *iniparser_load_file(FILE *in, const char *ininame) __attribute__((weak));

static __thread char *ini_errmsg;

static int ini_error_cb(const char *fmt, ...) _printf_(1, 2);
static int ini_error_cb(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (ini_errmsg)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	ini_errmsg = s;
	return 0;
}

static dictionary *ini_load_bytes(hs_ctx *ctx, const char *path, const char *buf, size_t len, int *err)
{
	dictionary *d = NULL;
	char fdpath[64];
	int fd;

	*err = 0;
	if (iniparser_load_file) {
		FILE *f = fmemopen((void *)buf, len ? len : 1, "r");

		if (!f) {
			*err = hs_ctx_set_error(ctx, -errno, "%s: cannot open the bytes read as a stream: %s", path,
						strerror(errno));
			return NULL;
		}
		if (len == 0) /* fmemopen wants a size > 0; an empty file is one NUL that iniparser sees as EOF */
			(void)fgetc(f);
		d = iniparser_load_file(f, path);
		fclose(f);
		return d;
	}

	fd = memfd_create("homesetup-repos.conf", MFD_CLOEXEC);
	if (fd < 0) {
		*err = hs_ctx_set_error(ctx, -errno, "%s: cannot hand the file to iniparser (memfd_create: %s)", path,
					strerror(errno));
		return NULL;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			*err = hs_ctx_set_error(ctx, -errno, "%s: cannot hand the file to iniparser (write: %s)", path,
						strerror(errno));
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (access(fdpath, R_OK) < 0) {
		*err = hs_ctx_set_error(ctx, -EIO, "%s: cannot hand the file to iniparser: %s is not readable (%s); "
					"is /proc mounted?", path, fdpath, strerror(errno));
		close(fd);
		return NULL;
	}
	d = iniparser_load(fdpath);
	close(fd);
	return d;
}

/* Strip ASCII whitespace from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* The section headers of one file as written, in order; fails the model like configparser would. */
static int ini_scan_headers(ini_model *m, const char *path, const char *buf, size_t len, char ***out)
{
	_cleanup_(hs_strv_freep) char **names = NULL;
	unsigned lineno = 0;
	bool seen_header = false;
	int r;

	for (size_t pos = 0; pos < len;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		trim(&line, &n);
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && n >= 2 && line[n - 1] == ']') {
			const char *name = line + 1;
			size_t nn = n - 2;

			trim(&name, &nn);
			seen_header = true;
			for (size_t i = 0; names && names[i]; i++) {
				if (strlen(names[i]) == nn && memcmp(names[i], name, nn) == 0 &&
				    !(nn == 7 && memcmp(name, "DEFAULT", 7) == 0)) {
					_cleanup_free_ char *q = hs_escape(name, nn, 200);

					return ini_model_fail(m, "While reading from '%s' [line %2u]: section '%s' already "
							      "exists", path, lineno, q ? q : "?");
				}
			}
			r = hs_strv_push(&names, name, nn);
			if (r < 0)
				return r;
			continue;
		}
		if (!seen_header) {
			_cleanup_free_ char *q = hs_escape(line, n, 200);

			return ini_model_fail(m, "File contains no section headers. file: '%s', line: %u: '%s'", path,
					      lineno, q ? q : "?");
		}
	}
	*out = TAKE_PTR(names);
	if (!*out)
		*out = calloc(1, sizeof(char *));
	return *out ? 0 : -ENOMEM;
}

/* The spelling in the text of a section iniparser reports lower-cased. */
static const char *ini_original_name(char **headers, const char *lower)
{
	const char *found = NULL;

	for (size_t i = 0; headers && headers[i]; i++) {
		if (strcasecmp(headers[i], lower) != 0)
			continue;
		if (strcmp(headers[i], "DEFAULT") == 0)
			return headers[i];
		if (!found)
			found = headers[i];
	}
	return found ? found : lower;
}

/* iniparser 4.1's message is "iniparser: syntax error in FILE (LINE):\n-> TEXT\n"; keep LINE and TEXT. */
static int ini_syntax_error(ini_model *m, const char *path)
{
	const char *msg = ini_errmsg ? ini_errmsg : "";
	const char *open = strstr(msg, "syntax error in "), *arrow = strstr(msg, "-> ");
	unsigned line = 0;

	if (open) {
		const char *paren = strstr(open, " (");

		if (paren)
			line = (unsigned)strtoul(paren + 2, NULL, 10);
	}
	if (line && arrow) {
		const char *text = arrow + 3;
		size_t n = strcspn(text, "\n");
		_cleanup_free_ char *q = hs_escape(text, n, 200);

		return ini_model_fail(m, "Source contains parsing errors: '%s' [line %2u]: '%s'", path, line,
				      q ? q : "?");
	}
	if (strstr(msg, "too long"))
		return ini_model_fail(m, "Source contains parsing errors: '%s': a line is longer than 1024 bytes, which "
				      "iniparser (the INI reader homesetup uses) cannot read, although Portage would",
				      path);
	return ini_model_fail(m, "Source contains parsing errors: '%s'", path);
}

/* Read one INI text into the model (configparser.read_file semantics: later files override keys). */
static int ini_model_read(hs_ctx *ctx, ini_model *m, const char *path, const char *buf, size_t len)
{
	_cleanup_(hs_strv_freep) char **headers = NULL;
	dictionary *d;
	ini_section *cur = NULL;
	int r, err;

	if (memchr(buf, '\0', len))
		return ini_model_fail(m, "Source contains parsing errors: '%s': binary data (NUL byte)", path);
	r = ini_scan_headers(m, path, buf, len, &headers);
	if (r < 0 || m->error)
		return r;

	free(ini_errmsg);
	ini_errmsg = NULL;
	iniparser_set_error_callback(ini_error_cb);
	d = ini_load_bytes(ctx, path, buf, len, &err);
	if (!d) {
		r = err < 0 ? err : ini_syntax_error(m, path);
		goto out;
	}
	/* iniparser keeps entries in insertion order: a section is an entry with a NULL value ("name"), an option
	 * "section:key". A section opened again later gets its keys appended under the same prefix. */
	for (ssize_t i = 0; i < d->size; i++) {
		const char *key = d->key[i], *val = d->val[i];
		hs_vars *target;
		const char *sec = NULL, *opt = NULL;

		if (!key)
			continue;
		if (!val) {
			const char *orig = ini_original_name(headers, key);

			if (strcmp(orig, "DEFAULT") == 0) {
				cur = NULL;
				continue;
			}
			cur = ini_model_section(m, orig, true);
			if (!cur) {
				r = -ENOMEM;
				goto out;
			}
			continue;
		}
		/* Find the section this option belongs to: the longest section name followed by ':'. */
		for (ssize_t j = 0; j < d->size; j++) {
			size_t sl;

			if (d->val[j] || !d->key[j])
				continue;
			sl = strlen(d->key[j]);
			if (strncmp(key, d->key[j], sl) == 0 && key[sl] == ':' && (!sec || sl > strlen(sec))) {
				sec = d->key[j];
				opt = key + sl + 1;
			}
		}
		if (!sec)
			continue; /* an option before any section: already reported by ini_scan_headers */
		{
			const char *orig = ini_original_name(headers, sec);

			if (strcmp(orig, "DEFAULT") == 0) {
				target = m->defaults;
			} else {
				cur = ini_model_section(m, orig, true);
				if (!cur) {
					r = -ENOMEM;
					goto out;
				}
				target = cur->opt;
			}
		}
		r = hs_vars_set(target, opt, val, path, 0);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	if (d)
		iniparser_freedict(d);
	free(ini_errmsg);
	ini_errmsg = NULL;
	return r;
}

/* ---- configparser's BasicInterpolation -------------------------------------------------------------- */
static const char *ini_raw(const ini_model *m, const ini_section *s, const char *key)
{
	const char *v = s ? hs_vars_get(s->opt, key) : NULL;

	return v ? v : hs_vars_get(m->defaults, key);
}

static int interpolate(ini_model *m, const ini_section *s, const char *option, const char *raw, const char *rest,
		       unsigned depth, hs_buf *acc)
{
	const char *secname = s ? s->name : "DEFAULT";
	int r;

	if (depth > INTERPOLATION_DEPTH)
		return ini_model_fail(m, "Recursion limit exceeded in value substitution: option '%s' in section "
				      "'%s' contains an interpolation key which cannot be substituted in %d steps. Raw "
				      "value: '%s'", option, secname, INTERPOLATION_DEPTH, raw);
	while (*rest) {
		const char *p = strchr(rest, '%');

		if (!p)
			return hs_buf_puts(acc, rest);
		r = hs_buf_append(acc, rest, (size_t)(p - rest));
		if (r < 0)
			return r;
		if (p[1] == '%') {
			r = hs_buf_putc(acc, '%');
			if (r < 0)
				return r;
			rest = p + 2;
		} else if (p[1] == '(') {
			const char *close = strchr(p + 2, ')');
			_cleanup_free_ char *var = NULL;
			const char *v;

			if (!close || close == p + 2 || close[1] != 's')
				return ini_model_fail(m, "bad interpolation variable reference '%s' (option '%s' in "
						      "section '%s')", p, option, secname);
			var = hs_strndup(p + 2, (size_t)(close - p - 2));
			if (!var)
				return -ENOMEM;
			for (char *c = var; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			v = ini_raw(m, s, var);
			if (!v)
				return ini_model_fail(m, "Bad value substitution: option '%s' in section '%s' contains an "
						      "interpolation key '%s' which is not a valid option name. Raw "
						      "value: '%s'", option, secname, var, raw);
			rest = close + 2;
			r = strchr(v, '%') ? interpolate(m, s, option, raw, v, depth + 1, acc) : hs_buf_puts(acc, v);
			if (r < 0 || m->error)
				return r;
		} else {
			return ini_model_fail(m, "'%%' must be followed by '%%' or '(', found: '%s' (option '%s' in "
					      "section '%s')", p, option, secname);
		}
	}
	return 0;
}

/* parser.get(section, key): the interpolated value, NULL in *out when unset. Errors land in m->error. */
static int ini_get(ini_model *m, const ini_section *s, const char *key, char **out)
{
	_cleanup_buf_ hs_buf acc = {0};
	const char *raw = ini_raw(m, s, key);
	int r;

	*out = NULL;
	if (!raw)
		return 0;
	r = interpolate(m, s, key, raw, raw, 1, &acc);
	if (r < 0 || m->error)
		return r;
	*out = hs_buf_steal(&acc);
	return *out ? 0 : -ENOMEM;
}

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

		trim(&l, &ln);
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
			trim(&line, &n);
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
			trim(&line, &n);
			if (n == 0 || line[0] == '#' || !(eq = memchr(line, '=', n)))
				continue;
			k = line;
			kn = (size_t)(eq - line);
			v = eq + 1;
			vn = n - kn - 1;
			trim(&k, &kn);
			trim(&v, &vn);
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
static int prepos_from_model(hs_ctx *ctx, ini_model *m, prepos *ps)
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
		ini_section *s = &m->v[i];
		_cleanup_free_ char *loc = NULL, *masters = NULL, *prio = NULL;
		prepo p = {0};

		/* configparser's get() interpolates every option of the section (defaults included): a bad '%'
		 * anywhere makes Portage drop the whole repos.conf. */
		for (size_t k = 0; k < hs_vars_count(s->opt) + hs_vars_count(m->defaults) && !m->error; k++) {
			const char *key = k < hs_vars_count(s->opt) ? hs_vars_name(s->opt, k)
								    : hs_vars_name(m->defaults, k - hs_vars_count(s->opt));
			_cleanup_free_ char *v = NULL;

			r = ini_get(m, s, key, &v);
			if (r < 0)
				return r;
		}
		if (m->error)
			break;
		if ((r = ini_get(m, s, "location", &loc)) < 0 || (r = ini_get(m, s, "masters", &masters)) < 0 ||
		    (r = ini_get(m, s, "priority", &prio)) < 0)
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
static int load_model(hs_ctx *ctx, const hs_vars *vars, ini_model *m)
{
	_cleanup_(hs_strv_freep) char **files = NULL;
	const char *env = vars ? hs_vars_get(vars, "PORTAGE_REPOSITORIES") : NULL;
	int r;

	r = ini_model_init(m);
	if (r < 0)
		return r;
	if (env)
		return ini_model_read(ctx, m, "<PORTAGE_REPOSITORIES>", env, strlen(env));

	r = ini_model_add_builtin(m);
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
		r = ini_model_read(ctx, m, files[i], buf, len);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_repos_load(hs_ctx *ctx, const hs_vars *vars, hs_repos *out)
{
	_cleanup_free_ char *portdir = NULL;
	ini_model m = {0};
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

		trim(&p, &pn);
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
	ini_model_free(&m);
	return r;
}

/* ================================================================================================== */
/* metadata/md5-cache                                                                                   */
/* ================================================================================================== */
int hs_md5cache_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_vars *out)
{
	const char *nul = memchr(buf, '\0', len);
	unsigned lineno = 0;
	int r;

	if (nul) {
		size_t off = (size_t)(nul - buf), line = 1, col = 1;

		for (size_t i = 0; i < off; i++) {
			col++;
			if (buf[i] == '\n') {
				line++;
				col = 1;
			}
		}
		return hs_ctx_set_error(ctx, -EINVAL, "%s:%zu: binary data (a NUL byte at column %zu); not an "
					"md5-cache entry", path, line, col);
	}
	for (size_t pos = 0; pos < len;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		_cleanup_free_ char *key = NULL, *val = NULL;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		eq = memchr(line, '=', n);
		if (!eq || eq == line) {
			_cleanup_free_ char *q = hs_escape(line, n, 80);

			r = hs_ctx_add_warning(ctx, "%s:%u: %s: '%s'; line ignored", path, lineno,
					       eq ? "empty key" : "malformed md5-cache line (no '=')", q ? q : "?");
			if (r < 0)
				return r;
			continue;
		}
		/* "empty values may be omitted": an empty value is the same as no key */
		if ((size_t)(eq - line) + 1 == n) {
			key = hs_strndup(line, (size_t)(eq - line));
			if (!key)
				return -ENOMEM;
			r = hs_vars_unset(out, key);
			if (r < 0 && r != -ENOENT)
				return r;
			continue;
		}
		key = hs_strndup(line, (size_t)(eq - line));
		val = hs_strndup(eq + 1, n - (size_t)(eq - line) - 1);
		if (!key || !val)
			return -ENOMEM;
		r = hs_vars_set(out, key, val, path, lineno);
		if (r < 0)
			return r;
	}
	return 0;
}

void hs_ebuild_free(hs_ebuild *e)
{
	if (!e)
		return;
	free(e->category);
	free(e->package);
	free(e->pf);
	hs_version_free(e->version);
	hs_vars_free(e->meta);
	free(e->path);
	free(e);
}

void hs_ebuilds_free(hs_ebuild **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		hs_ebuild_free(v[i]);
	free(v);
}

typedef struct ebuild_slot {
	hs_ebuild *e;
	size_t repo; /* index in hs_repos: priority ascending */
} ebuild_slot;

/* By version; equal versions ("1.0", "01.0" …) by repository priority, then by name for a stable order. */
static int ebuild_slot_cmp(const void *a, const void *b)
{
	const ebuild_slot *x = a, *y = b;
	int c = hs_version_compare(x->e->version, y->e->version);

	if (c)
		return c;
	if (x->repo != y->repo)
		return x->repo < y->repo ? -1 : 1;
	return strcmp(x->e->pf, y->e->pf);
}

/* One repository's md5-cache entries of category/package. */
static int repo_ebuilds(hs_ctx *ctx, const hs_repo *repo, size_t repo_index, const char *category,
			const char *package, ebuild_slot **v, size_t *n, size_t *cap)
{
	_cleanup_free_ char *dirpath = NULL;
	size_t plen = strlen(package);
	DIR *dir;
	struct dirent *de;
	int fd, r = 0;

	if (asprintf(&dirpath, "%s/metadata/md5-cache/%s", repo->location, category) < 0)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_CONFIG, dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: %s", dirpath, strerror(-r));
	}
	while ((errno = 0, de = readdir(dir))) {
		const char *name = de->d_name, *ver;
		_cleanup_(hs_version_freep) hs_version *version = NULL;
		_cleanup_free_ char *path = NULL, *buf = NULL;
		hs_ebuild *e;
		size_t len = 0;

		/* "<package>-<valid version>": "pkg-foo-1.0" belongs to package pkg-foo, not pkg */
		if (strncmp(name, package, plen) != 0 || name[plen] != '-')
			continue;
		ver = name + plen + 1;
		if (hs_version_parse(NULL, &version, ver, strlen(ver)) < 0)
			continue;
		if (asprintf(&path, "%s/%s", dirpath, name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, path, MD5CACHE_MAX, &buf, &len);
		if (r == -ENOENT || r == -EISDIR) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		e = calloc(1, sizeof(*e));
		if (!e) {
			r = -ENOMEM;
			break;
		}
		e->repo = repo;
		e->version = TAKE_PTR(version);
		e->category = strdup(category);
		e->package = strdup(package);
		e->pf = strdup(name);
		e->path = TAKE_PTR(path);
		if (!e->category || !e->package || !e->pf || hs_vars_new(&e->meta) < 0) {
			hs_ebuild_free(e);
			r = -ENOMEM;
			break;
		}
		r = hs_md5cache_parse(ctx, e->path, buf, len, e->meta);
		if (r < 0) {
			hs_ebuild_free(e);
			if (r == -ENOMEM)
				break;
			/* a corrupt entry is skipped (Portage: CacheCorruption), with the reason as a warning */
			r = hs_ctx_add_warning(ctx, "%s", hs_ctx_last_error(ctx));
			if (r < 0)
				break;
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			ebuild_slot *nv = realloc(*v, nc * sizeof(*nv));

			if (!nv) {
				hs_ebuild_free(e);
				r = -ENOMEM;
				break;
			}
			*v = nv;
			*cap = nc;
		}
		(*v)[*n] = (ebuild_slot){.e = e, .repo = repo_index};
		(*n)++;
	}
	if (r == 0 && errno) {
		r = -errno;
		hs_ctx_set_error(ctx, r, "%s: %s", dirpath, strerror(-r));
	}
	closedir(dir);
	return r;
}

int hs_repos_ebuilds(hs_ctx *ctx, const hs_repos *repos, const char *category, const char *package,
		     hs_ebuild ***out, size_t *n_out)
{
	ebuild_slot *v = NULL;
	hs_ebuild **res = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	/* a category or package with '/' or a leading '.' would name some other directory */
	if (!category || !package || !*category || !*package || strchr(category, '/') || strchr(package, '/') ||
	    category[0] == '.' || package[0] == '.')
		return hs_ctx_set_error(ctx, -EINVAL, "invalid package name '%s/%s'", category ? category : "",
					package ? package : "");
	for (size_t i = 0; repos && i < repos->n; i++) {
		r = repo_ebuilds(ctx, &repos->v[i], i, category, package, &v, &n, &cap);
		if (r < 0)
			goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), ebuild_slot_cmp);
	res = calloc(n ? n : 1, sizeof(*res));
	if (!res) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		res[i] = v[i].e;
		v[i].e = NULL;
	}
	*out = res;
	*n_out = n;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		hs_ebuild_free(v[i].e);
	free(v);
	return r;
}
