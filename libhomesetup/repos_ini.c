/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repos.conf as INI: what Python's configparser (as RepoConfigLoader uses it) would hold after reading the
 * built-in defaults and every repos.conf file, read with iniparser, and configparser's BasicInterpolation of
 * the values. repos.c turns the model into repositories.
 *
 * Every byte comes from the caller (read through rootfs.c); nothing here opens a path of the tree.
 */
#include "homesetupP.h"

#include <ctype.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iniparser.h>

#define INTERPOLATION_DEPTH 10 /* configparser.MAX_INTERPOLATION_DEPTH */

static const char default_repos_conf[] = "/usr/share/portage/config/repos.conf";

/* ================================================================================================== */
/* The INI model: what Python's configparser would hold after reading every repos.conf file            */
/* ================================================================================================== */
void hs_repos_ini_free(hs_repos_ini *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		hs_vars_free(m->v[i].opt);
	}
	free(m->v);
	hs_vars_free(m->defaults);
	free(m->error);
	*m = (hs_repos_ini){0};
}

int hs_repos_ini_init(hs_repos_ini *m)
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

static hs_repos_ini_section *ini_model_section(hs_repos_ini *m, const char *name, bool create)
{
	hs_repos_ini_section *nv;

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
	*nv = (hs_repos_ini_section){0};
	nv->name = strdup(name);
	if (!nv->name || hs_vars_new(&nv->opt) < 0) {
		free(nv->name);
		return NULL;
	}
	m->n++;
	return nv;
}

/* Record the first configparser error; later ones are not reached by Portage either. */
static int ini_model_fail(hs_repos_ini *m, const char *fmt, ...) _printf_(2, 3);
static int ini_model_fail(hs_repos_ini *m, const char *fmt, ...)
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

int hs_repos_ini_add_builtin(hs_repos_ini *m)
{
	hs_repos_ini_section *s;
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

void hs_repos_trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* The section headers of one file as written, in order; fails the model like configparser would. */
static int ini_scan_headers(hs_repos_ini *m, const char *path, const char *buf, size_t len, char ***out)
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
		hs_repos_trim(&line, &n);
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && n >= 2 && line[n - 1] == ']') {
			const char *name = line + 1;
			size_t nn = n - 2;

			hs_repos_trim(&name, &nn);
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
static int ini_syntax_error(hs_repos_ini *m, const char *path)
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

int hs_repos_ini_read(hs_ctx *ctx, hs_repos_ini *m, const char *path, const char *buf, size_t len)
{
	_cleanup_(hs_strv_freep) char **headers = NULL;
	dictionary *d;
	hs_repos_ini_section *cur = NULL;
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
static const char *ini_raw(const hs_repos_ini *m, const hs_repos_ini_section *s, const char *key)
{
	const char *v = s ? hs_vars_get(s->opt, key) : NULL;

	return v ? v : hs_vars_get(m->defaults, key);
}

static int interpolate(hs_repos_ini *m, const hs_repos_ini_section *s, const char *option, const char *raw,
		       const char *rest, unsigned depth, hs_buf *acc)
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

int hs_repos_ini_get(hs_repos_ini *m, const hs_repos_ini_section *s, const char *key, char **out)
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
