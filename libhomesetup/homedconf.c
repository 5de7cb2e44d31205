/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homed.conf as systemd-homed reads it, and the `homed-conf` checks. (The helpers the probe modules share are in
 * probe_util.c.)
 *
 * Which files: the first of /etc, /run, /usr/local/lib, /usr/lib "systemd/homed.conf" (homed.conf(5)), then
 * every "*.conf" of the "systemd/homed.conf.d" directories under the same four, a name in an earlier directory
 * masking the same name in a later one, read in file-name order, later assignments overriding earlier ones.
 *
 * How: systemd's conf-parser (src/shared/conf-parser.c), not a generic INI reader, decides what homed sees:
 * keys are case-sensitive, a value is everything after the '=' (quotes and "# …" stay part of it), a line ending
 * in an unescaped backslash continues, comment lines start with '#' or ';'. Some lines make the parser give up on
 * the file, and homed.conf is parsed in manager_new(), so systemd-homed then does not start: an unterminated
 * section header, a header with quotes, backslashes or control characters, a line that is not UTF-8 (fatal
 * cases). The scanner below reproduces that, with the line of each assignment. iniparser reads the same bytes
 * (through fmemopen or a memfd, never by path, so nothing outside the root is read) and its value for each key is
 * compared with systemd's: where an INI reader would strip quotes or a trailing comment, the report says so,
 * which is the usual reason a value "does not take".
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "homesetupP.h"

/* ---- systemd's conf-parser, for homed.conf ----------------------------------------------------------- */

static const char *const homed_conf_dirs[] = { "/etc", "/run", "/usr/local/lib", "/usr/lib", NULL };

/* user_storage_table of src/shared/user-record.c ("classic" parses, but homed cannot create such homes). */
static const char *const storages[] = { "luks", "fscrypt", "directory", "subvolume", "cifs", NULL };
/* supported_fstype() */
static const char *const fstypes[] = { "btrfs", "ext4", "xfs", NULL };

static bool in_set(const char *const *set, const char *s)
{
	for (size_t i = 0; set[i]; i++)
		if (strcmp(set[i], s) == 0)
			return true;
	return false;
}

void hs_homed_conf_free(hs_homed_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_issues; i++) {
		free(conf->issues[i].path);
		free(conf->issues[i].message);
		free(conf->issues[i].text);
	}
	free(conf->issues);
	free(conf->storage);
	free(conf->storage_path);
	free(conf->fstype);
	free(conf->fstype_path);
	hs_strv_free(conf->files);
	free(conf);
}

int hs_homed_conf_new(hs_homed_conf **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

const char *hs_homed_conf_storage(const hs_homed_conf *conf)
{
	return conf && conf->storage ? conf->storage : "luks";
}

const char *hs_homed_conf_fstype(const hs_homed_conf *conf)
{
	return conf && conf->fstype ? conf->fstype : "btrfs";
}

static int add_issue(hs_homed_conf *conf, hs_check_status st, const char *path, unsigned line, const char *text,
		     size_t text_len, const char *fix, const char *fmt, ...) _printf_(8, 9);
static int add_issue(hs_homed_conf *conf, hs_check_status st, const char *path, unsigned line, const char *text,
		     size_t text_len, const char *fix, const char *fmt, ...)
{
	hs_homed_conf_issue *nv, *is;
	va_list ap;
	int n;

	nv = realloc(conf->issues, (conf->n_issues + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	conf->issues = nv;
	is = &conf->issues[conf->n_issues];
	*is = (hs_homed_conf_issue){ .status = st, .line = line, .fix = fix };
	va_start(ap, fmt);
	n = vasprintf(&is->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	is->path = strdup(path);
	is->text = text ? hs_probe_quote(text, text_len) : NULL;
	if (!is->path || (text && !is->text)) {
		free(is->message);
		free(is->path);
		free(is->text);
		return -ENOMEM;
	}
	conf->n_issues++;
	if (st == HS_CHECK_FAIL)
		conf->n_fail++;
	else if (st == HS_CHECK_WARN)
		conf->n_warn++;
	return 0;
}

#define WS " \t\n\r"

static void strip(const char **s, size_t *n)
{
	while (*n && strchr(WS, **s) && **s)
		(*s)++, (*n)--;
	while (*n && (*s)[*n - 1] && strchr(WS, (*s)[*n - 1]))
		(*n)--;
}

static bool utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int k = hs_utf8_next(s + i, n - i, &cp);

		if (k <= 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

/* string_is_safe(): no control characters, quotes or backslashes. */
static bool string_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\')
			return false;
	}
	return true;
}

typedef struct scan_state {
	hs_homed_conf *conf;
	const char *path;
	bool in_home;          /* the current section is [Home] */
	bool in_ignored;       /* an unknown (or X-) section is current */
	bool seen_section;
	/* what this file assigned last to each key, for the comparison with iniparser */
	char *last_storage, *last_fstype;
	unsigned last_storage_line, last_fstype_line;
} scan_state;

static int set_value(char **dst, char **dst_path, unsigned *dst_line, const char *v, size_t n, const char *path,
		     unsigned line)
{
	char *nv = NULL, *np = NULL;

	if (v) {
		nv = hs_strndup(v, n);
		np = strdup(path);
		if (!nv || !np) {
			free(nv);
			free(np);
			return -ENOMEM;
		}
	}
	free(*dst);
	free(*dst_path);
	*dst = nv;
	*dst_path = np;
	*dst_line = v ? line : 0;
	return 0;
}

static int remember(char **last, unsigned *last_line, const char *v, size_t n, unsigned line)
{
	char *c = hs_strndup(v, n);

	if (!c)
		return -ENOMEM;
	free(*last);
	*last = c;
	*last_line = line;
	return 0;
}

/* One logical line (continuations joined), as parse_line() sees it. 1: the parser gives up on the file. */
static int scan_line(scan_state *S, unsigned line, const char *l, size_t n)
{
	hs_homed_conf *conf = S->conf;
	const char *eq, *key, *val;
	size_t kn, vn;
	int r;

	strip(&l, &n);
	if (n == 0)
		return 0;
	if (!utf8_valid(l, n)) {
		r = add_issue(conf, HS_CHECK_FAIL, S->path, line, l, n, "re-type the line in plain ASCII",
			      "the line is not valid UTF-8: systemd stops "
			      "reading the file here and systemd-homed does not start");
		return r < 0 ? r : 1;
	}
	if (l[0] == '[') {
		const char *name = l + 1;
		size_t nn = n >= 2 ? n - 2 : 0;

		if (n < 2 || l[n - 1] != ']') {
			r = add_issue(conf, HS_CHECK_FAIL, S->path, line, l, n, "write the section header as [Home]",
				      "invalid section header (no closing "
				      "']'): systemd stops reading the file here and systemd-homed does not start");
			return r < 0 ? r : 1;
		}
		if (!string_safe(name, nn)) {
			r = add_issue(conf, HS_CHECK_FAIL, S->path, line, l, n, "write the section header as [Home]",
				      "bad characters in section header "
				      "(quotes, backslashes or control characters): systemd stops reading the file here and "
				      "systemd-homed does not start");
			return r < 0 ? r : 1;
		}
		S->seen_section = true;
		if (nn == 4 && memcmp(name, "Home", 4) == 0) {
			S->in_home = true;
			S->in_ignored = false;
			return 0;
		}
		S->in_home = false;
		S->in_ignored = true;
		if (nn >= 2 && memcmp(name, "X-", 2) == 0)
			return 0;
		{
			_cleanup_free_ char *q = hs_escape(name, nn, 100);

			if (!q)
				return -ENOMEM;
			return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "rename the section to [Home] or delete it",
					 "unknown section '%s', ignored%s", q,
					 nn == 4 && strncasecmp(name, "Home", 4) == 0 ?
					 " (section names are case-sensitive: the section is [Home])" : "");
		}
	}
	if (!S->in_home) {
		if (S->in_ignored)
			return 0;
		return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "move the line below the [Home] header",
				 "assignment outside of a section, ignored (it belongs under [Home])");
	}
	eq = memchr(l, '=', n);
	if (!eq)
		return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "write it as Key=value, or delete it",
				 "missing '=', line ignored");
	if (eq == l)
		return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "write it as Key=value, or delete it",
				 "missing key name before '=', line ignored");
	key = l;
	kn = (size_t)(eq - l);
	val = eq + 1;
	vn = n - kn - 1;
	strip(&key, &kn);
	strip(&val, &vn);

	if (kn == 14 && memcmp(key, "DefaultStorage", 14) == 0) {
		_cleanup_free_ char *v = hs_strndup(val, vn);

		if (!v)
			return -ENOMEM;
		r = remember(&S->last_storage, &S->last_storage_line, val, vn, line);
		if (r < 0)
			return r;
		if (vn == 0)
			return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "delete the line",
					 "DefaultStorage= with an empty value "
					 "is rejected and ignored by systemd-homed (the earlier setting, or automatic "
					 "detection, stays); delete the line instead");
		if (!in_set(storages, v)) {
			_cleanup_free_ char *q = hs_escape(val, vn, 100);

			if (!q)
				return -ENOMEM;
			return add_issue(conf, HS_CHECK_FAIL, S->path, line, l, n, "write DefaultStorage=luks (or fscrypt, "
					 "directory, subvolume, cifs) with nothing after the value",
					 "invalid DefaultStorage= value '%s' "
					 "(column %zu), ignored by systemd-homed%s: use one of luks, fscrypt, directory, "
					 "subvolume, cifs", q, (size_t)(val - l) + 1,
					 strcmp(v, "classic") == 0 ? " (\"classic\" homes cannot be created)" : "");
		}
		return set_value(&conf->storage, &conf->storage_path, &conf->storage_line, val, vn, S->path, line);
	}
	if (kn == 21 && memcmp(key, "DefaultFileSystemType", 21) == 0) {
		_cleanup_free_ char *v = hs_strndup(val, vn);

		if (!v)
			return -ENOMEM;
		r = remember(&S->last_fstype, &S->last_fstype_line, val, vn, line);
		if (r < 0)
			return r;
		if (vn == 0) /* config_parse_default_file_system_type(): empty resets to the default */
			return set_value(&conf->fstype, &conf->fstype_path, &conf->fstype_line, NULL, 0, S->path,
					 line);
		if (!in_set(fstypes, v)) {
			_cleanup_free_ char *q = hs_escape(val, vn, 100);

			if (!q)
				return -ENOMEM;
			return add_issue(conf, HS_CHECK_FAIL, S->path, line, l, n, "write DefaultFileSystemType=btrfs (or "
					 "ext4, xfs) with nothing after the value", "unsupported DefaultFileSystemType= "
					 "value '%s' (column %zu), ignored by systemd-homed: use one of btrfs, ext4, xfs",
					 q, (size_t)(val - l) + 1);
		}
		return set_value(&conf->fstype, &conf->fstype_path, &conf->fstype_line, val, vn, S->path, line);
	}
	if (kn >= 2 && memcmp(key, "X-", 2) == 0)
		return 0;
	{
		_cleanup_free_ char *q = hs_escape(key, kn, 100);
		const char *hint = "";

		if (!q)
			return -ENOMEM;
		if (kn == 14 && strncasecmp(key, "DefaultStorage", 14) == 0)
			hint = " (key names are case-sensitive: DefaultStorage)";
		else if (kn == 21 && strncasecmp(key, "DefaultFileSystemType", 21) == 0)
			hint = " (key names are case-sensitive: DefaultFileSystemType)";
		return add_issue(conf, HS_CHECK_WARN, S->path, line, l, n, "correct the key name or delete the line",
				 "unknown key '%s' in section [Home], ignored%s; homed.conf knows DefaultStorage= and "
				 "DefaultFileSystemType=", q, hint);
	}
}

/* Where an INI reader and systemd disagree about a refused value, say what the INI reading would have been: the
 * usual reason is quotes or a trailing comment, which systemd keeps as part of the value. */
static int compare_with_ini(scan_state *S, const char *buf, size_t len)
{
	const struct {
		const char *ini_key, *last;
		unsigned line;
	} keys[] = {
		{ "home:defaultstorage", S->last_storage, S->last_storage_line },
		{ "home:defaultfilesystemtype", S->last_fstype, S->last_fstype_line },
	};
	_cleanup_free_ char *errmsg = NULL;
	dictionary *d;
	int err, r = 0;

	if (!S->last_storage && !S->last_fstype)
		return 0;
	d = hs_ini_load_bytes(NULL, S->path, buf, len, &errmsg, &err);
	if (!d)
		return err == -ENOMEM ? err : 0; /* an INI syntax error says nothing about what systemd reads */
	for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++) {
		const char *ini = iniparser_getstring(d, keys[i].ini_key, NULL);

		if (!keys[i].last || !ini || strcmp(keys[i].last, ini) == 0)
			continue;
		for (size_t k = 0; k < S->conf->n_issues; k++) {
			hs_homed_conf_issue *is = &S->conf->issues[k];
			_cleanup_free_ char *q = NULL;
			char *m = NULL;

			if (is->line != keys[i].line || strcmp(is->path, S->path) != 0)
				continue;
			q = hs_escape(ini, strlen(ini), 100);
			if (!q || asprintf(&m, "%s; systemd takes everything after '=' literally (an INI reader would "
					   "have read '%s': quotes and trailing comments are not removed)",
					   is->message, q) < 0) {
				r = -ENOMEM;
				break;
			}
			free(is->message);
			is->message = m;
			break;
		}
	}
	iniparser_freedict(d);
	return r;
}

int hs_homed_conf_parse(hs_ctx *ctx, hs_homed_conf *conf, const char *path, const char *buf, size_t len)
{
	scan_state S = { .conf = conf, .path = path };
	_cleanup_buf_ hs_buf cont = {0};
	bool have_cont = false, bom_seen = false, stopped = false;
	unsigned line = 0;
	int r = 0;

	for (size_t pos = 0; pos < len && !stopped;) {
		const char *l = buf + pos;
		size_t n = 0;

		/* read_line(): "\n", "\r", "\r\n" and NUL end a line */
		while (pos + n < len && l[n] != '\n' && l[n] != '\r' && l[n] != '\0')
			n++;
		pos += n;
		if (pos < len) {
			if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')
				pos += 2;
			else
				pos++;
		}
		line++;
		if (n > (1u << 20)) {
			r = add_issue(conf, HS_CHECK_FAIL, path, line, NULL, 0, "shorten the line", "line longer than 1 MiB: "
				      "systemd stops "
				      "reading the file here and systemd-homed does not start");
			stopped = true;
			break;
		}
		{
			const char *t = l;
			size_t tn = n;

			while (tn && strchr(" \t", *t))
				t++, tn--;
			if (tn && (*t == '#' || *t == ';'))
				continue; /* comment lines are dropped even inside a continuation */
		}
		if (!bom_seen && n >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
			bom_seen = true;
			l += 3;
			n -= 3;
		}
		if (have_cont) {
			r = hs_buf_append(&cont, l, n);
			if (r < 0)
				goto out;
		}
		{
			const char *p = have_cont ? cont.p : l;
			size_t pn = have_cont ? cont.len : n;
			bool escaped = false;

			for (size_t i = 0; i < pn; i++)
				escaped = escaped ? false : p[i] == '\\';
			if (escaped) {
				if (!have_cont) {
					r = hs_buf_append(&cont, l, n);
					if (r < 0)
						goto out;
					have_cont = true;
				}
				cont.p[cont.len - 1] = ' ';
				continue;
			}
			r = scan_line(&S, line, p, pn);
		}
		if (have_cont) {
			hs_buf_free(&cont);
			have_cont = false;
		}
		if (r < 0)
			goto out;
		if (r > 0)
			stopped = true;
	}
	if (!stopped && have_cont) {
		r = scan_line(&S, ++line, cont.p, cont.len);
		if (r < 0)
			goto out;
		stopped = r > 0;
	}
	if (stopped)
		conf->fatal = true;
	r = compare_with_ini(&S, buf, len);
out:
	free(S.last_storage);
	free(S.last_fstype);
	if (r == -ENOMEM)
		return r;
	return r < 0 ? hs_ctx_set_error(ctx, r, "%s: %s", path, strerror(-r)) : 0;
}

static int cmp_basename(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

/* conf_files_list_strv(".conf"): every "*.conf" of the directories, a name in an earlier directory masking the
 * same name later, sorted by file name. */
static int list_dropins(hs_ctx *ctx, char ***out)
{
	_cleanup_(hs_strv_freep) char **files = calloc(1, sizeof(char *));
	int r;

	if (!files)
		return -ENOMEM;
	for (size_t i = 0; homed_conf_dirs[i]; i++) {
		_cleanup_free_ char *dir = NULL;
		struct dirent *de;
		DIR *d;
		int fd;

		if (asprintf(&dir, "%s/systemd/homed.conf.d", homed_conf_dirs[i]) < 0)
			return -ENOMEM;
		fd = hs_root_open(ctx, HS_ROOT_SYS, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -ENOENT || fd == -ENOTDIR)
			continue;
		if (fd < 0)
			return fd;
		d = fdopendir(fd);
		if (!d) {
			r = -errno;
			close(fd);
			return hs_ctx_set_error(ctx, r, "%s: %s", dir, strerror(-r));
		}
		r = 0;
		while ((errno = 0, de = readdir(d))) {
			size_t nl = strlen(de->d_name);
			bool masked = false;
			_cleanup_free_ char *p = NULL;

			if (de->d_name[0] == '.' || nl <= 5 || strcmp(de->d_name + nl - 5, ".conf") != 0)
				continue;
			for (size_t k = 0; files[k] && !masked; k++)
				masked = strcmp(strrchr(files[k], '/') + 1, de->d_name) == 0;
			if (masked)
				continue;
			if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
				r = -ENOMEM;
				break;
			}
			r = hs_strv_push(&files, p, strlen(p));
			if (r < 0)
				break;
		}
		if (r == 0 && errno)
			r = hs_ctx_set_error(ctx, -errno, "%s: %s", dir, strerror(errno));
		closedir(d);
		if (r < 0)
			return r;
	}
	qsort(files, hs_strv_length(files), sizeof(char *), cmp_basename);
	*out = TAKE_PTR(files);
	return 0;
}

static int read_one(hs_ctx *ctx, hs_homed_conf *conf, const char *path, bool *found)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	*found = false;
	r = hs_root_read_file(ctx, HS_ROOT_SYS, path, 4u << 20, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		/* unreadable: homed (root) may well read it; we cannot say what it holds */
		const char *msg = hs_ctx_last_error(ctx);

		if (r == -ENOMEM)
			return r;
		*found = true;
		conf->unreadable = true;
		return add_issue(conf, HS_CHECK_SKIP, path, 0, NULL, 0, NULL, "%s", *msg ? msg : strerror(-r));
	}
	*found = true;
	r = hs_strv_push(&conf->files, path, strlen(path));
	if (r < 0)
		return r;
	return hs_homed_conf_parse(ctx, conf, path, buf, len);
}

int hs_homed_conf_load(hs_ctx *ctx, hs_homed_conf **out)
{
	_cleanup_(hs_homed_conf_freep) hs_homed_conf *conf = NULL;
	_cleanup_(hs_strv_freep) char **dropins = NULL;
	int r;

	r = hs_homed_conf_new(&conf);
	if (r < 0)
		return r;
	conf->files = calloc(1, sizeof(char *));
	if (!conf->files)
		return -ENOMEM;
	for (size_t i = 0; homed_conf_dirs[i]; i++) {
		_cleanup_free_ char *p = NULL;
		bool found;

		if (asprintf(&p, "%s/systemd/homed.conf", homed_conf_dirs[i]) < 0)
			return -ENOMEM;
		r = read_one(ctx, conf, p, &found);
		if (r < 0)
			return r;
		if (found)
			break;
	}
	r = list_dropins(ctx, &dropins);
	if (r < 0)
		return r;
	for (size_t i = 0; dropins[i]; i++) {
		bool found;

		r = read_one(ctx, conf, dropins[i], &found);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(conf);
	return 0;
}

/* ---- the homed-conf checks ----------------------------------------------------------------------------- */

typedef struct conf_cache {
	hs_homed_conf *conf;
	int r;
	char *error;
} conf_cache;

static void conf_cache_free(void *p)
{
	conf_cache *cc = p;

	if (!cc)
		return;
	hs_homed_conf_free(cc->conf);
	free(cc->error);
	free(cc);
}

int hs_homed_conf_get(hs_checker *c, const hs_homed_conf **out)
{
	static const char key[] = "homed-conf";
	hs_ctx *ctx = hs_checker_ctx(c);
	conf_cache *cc = hs_checker_get_data(c, key);
	int r;

	*out = NULL;
	if (!cc) {
		cc = calloc(1, sizeof(*cc));
		if (!cc)
			return -ENOMEM;
		r = hs_checker_set_data(c, key, cc, conf_cache_free);
		if (r < 0)
			return r;
		hs_ctx_clear_error(ctx);
		cc->r = hs_homed_conf_load(ctx, &cc->conf);
		if (cc->r == -ENOMEM)
			return cc->r;
		if (cc->r < 0) {
			cc->error = strdup(*hs_ctx_last_error(ctx) ? hs_ctx_last_error(ctx) : strerror(-cc->r));
			if (!cc->error)
				return -ENOMEM;
		}
	}
	if (cc->r < 0)
		return hs_ctx_set_error(ctx, cc->r, "%s", cc->error);
	*out = cc->conf;
	return 0;
}

/* "DefaultStorage=luks (/etc/systemd/homed.conf:3)" or "DefaultStorage not set: luks (automatic)" */
static int describe_setting(hs_buf *b, const char *name, const char *value, const char *path, unsigned line,
			    const char *dflt, const char *dflt_why)
{
	if (value)
		return hs_buf_printf(b, "%s=%s (%s:%u)", name, value, path, line);
	return hs_buf_printf(b, "%s not set: %s (%s)", name, dflt, dflt_why);
}

static int run_parse(hs_checker *c, const hs_homed_conf *conf, const char *default_fs, const char *default_fs_why)
{
	_cleanup_buf_ hs_buf detail = {0}, fix = {0}, summary = {0};
	const hs_homed_conf_issue *first = NULL;
	hs_check_status st = HS_CHECK_OK;
	int r;

	if (conf->n_fail)
		st = HS_CHECK_FAIL;
	else if (conf->n_warn)
		st = HS_CHECK_WARN;
	else if (conf->unreadable)
		st = HS_CHECK_SKIP;

	r = hs_buf_puts(&detail, "read: ");
	for (size_t i = 0; r >= 0 && conf->files[i]; i++)
		r = hs_buf_printf(&detail, "%s%s", i ? ", " : "", conf->files[i]);
	if (r >= 0 && !conf->files[0])
		r = hs_buf_puts(&detail, "nothing (no homed.conf and no drop-ins: the built-in defaults apply)");
	for (size_t i = 0; r >= 0 && i < conf->n_issues; i++) {
		const hs_homed_conf_issue *is = &conf->issues[i];

		if (is->status == HS_CHECK_SKIP) {
			r = hs_buf_printf(&detail, "\ncannot read %s", is->message);
			continue;
		}
		r = hs_buf_printf(&detail, "\n%s:%u: %s", is->path, is->line, is->message);
		if (r >= 0 && is->text)
			r = hs_buf_printf(&detail, "\n    %s", is->text);
		if (r < 0 || is->status != st)
			continue;
		if (!first)
			first = is;
		if (is->fix)
			r = hs_buf_printf(&fix, "%s%s line %u: %s", fix.len ? "\n" : "", is->path, is->line, is->fix);
	}
	if (r < 0)
		return r;

	if (st == HS_CHECK_FAIL && conf->fatal)
		r = hs_buf_printf(&summary, "systemd-homed will not start: %s:%u cannot be parsed", first->path,
				  first->line);
	else if (st == HS_CHECK_FAIL)
		r = hs_buf_printf(&summary, "homed.conf: invalid setting at %s:%u (%zu in all); systemd-homed ignores it",
				  first->path, first->line, conf->n_fail);
	else if (st == HS_CHECK_SKIP)
		r = hs_buf_puts(&summary, "homed.conf could not be read completely");
	else {
		if (st == HS_CHECK_WARN)
			r = hs_buf_printf(&summary, "homed.conf: %zu line%s ignored by systemd-homed (%s:%u); ",
					  conf->n_warn, conf->n_warn == 1 ? "" : "s", first->path, first->line);
		else
			r = hs_buf_puts(&summary, "homed.conf: ");
		if (r >= 0)
			r = describe_setting(&summary, "DefaultStorage", conf->storage, conf->storage_path,
					     conf->storage_line, "luks", "automatic");
		if (r >= 0)
			r = hs_buf_puts(&summary, ", ");
		if (r >= 0)
			r = describe_setting(&summary, "DefaultFileSystemType", conf->fstype, conf->fstype_path,
					     conf->fstype_line, default_fs, default_fs_why);
	}
	if (r < 0)
		return r;
	return hs_checker_add(c, "homed-conf.parse", st, fix.len ? fix.p : NULL, detail.p, "%s", summary.p);
}

/* The built-in DefaultFileSystemType: btrfs since systemd 247 (systemd/systemd#16772), ext4 before. */
int hs_homed_default_fstype(hs_checker *c, const char **fs, const char **why)
{
	const hs_installed *sd = NULL;
	_cleanup_(hs_version_freep) hs_version *v247 = NULL;
	int r;

	*fs = "btrfs";
	*why = "default";
	r = hs_probe_installed(c, "sys-apps/systemd", &sd);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !sd)
		return 0;
	r = hs_version_parse(NULL, &v247, "247", 3);
	if (r < 0)
		return r;
	if (hs_version_compare(hs_installed_version(sd), v247) < 0) {
		*fs = "ext4";
		*why = "default before systemd 247";
	}
	return 0;
}

/* Is the block device @maj:@min (live system only) dm-crypt, directly or below LVM/RAID (its "slaves")? homed's
 * automatic DefaultStorage does not pick luks when /home is already encrypted. */
static bool dev_encrypted(hs_ctx *ctx, unsigned maj, unsigned min, unsigned depth)
{
	_cleanup_free_ char *uuid = NULL, *p = NULL;
	struct dirent *de;
	bool found = false;
	DIR *d;
	int fd;

	if (depth > 8)
		return false;
	if (asprintf(&p, "/sys/dev/block/%u:%u/dm/uuid", maj, min) < 0)
		return false;
	if (hs_root_read_file(ctx, HS_ROOT_SYS, p, 4096, &uuid, NULL) == 0 && strncmp(uuid, "CRYPT-", 6) == 0)
		return true;
	free(p);
	if (asprintf(&p, "/sys/dev/block/%u:%u/slaves", maj, min) < 0)
		return false;
	fd = hs_root_open(ctx, HS_ROOT_SYS, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		_cleanup_free_ char *dev = NULL, *q = NULL;
		unsigned a, b;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&q, "%s/%s/dev", p, de->d_name) < 0)
			break;
		if (hs_root_read_file(ctx, HS_ROOT_SYS, q, 64, &dev, NULL) == 0 && sscanf(dev, "%u:%u", &a, &b) == 2)
			found = dev_encrypted(ctx, a, b, depth + 1);
	}
	closedir(d);
	return found;
}

static int run_storage(hs_checker *c, const hs_homed_conf *conf, const char *fstype)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const char *storage = hs_homed_conf_storage(conf);
	_cleanup_free_ char *where = NULL;
	bool home_known = false;
	long home_type = 0;
	struct stat home_st;
	int fd;

	if (asprintf(&where, " (%s:%u)", conf->storage_path ? conf->storage_path : "", conf->storage_line) < 0)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_SYS, "/home", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		home_known = hs_probe_fstype(fd, &home_type) == 0 && fstat(fd, &home_st) == 0;
		close(fd);
	}
	if (strcmp(storage, "luks") == 0) {
		if (!conf->storage && home_known && hs_probe_live(ctx) &&
		    dev_encrypted(ctx, major(home_st.st_dev), minor(home_st.st_dev), 0))
			return hs_checker_add(c, "homed-conf.storage", HS_CHECK_WARN,
					      "to get LUKS images anyway, add 'DefaultStorage=luks' under [Home] in "
					      "/etc/systemd/homed.conf (or pass --storage=luks to homectl create)",
					      "DefaultStorage is not set, and homed's automatic choice is not luks when "
					      "/home itself is on an encrypted device",
					      "/home is already encrypted: homed will create %s homes, not LUKS images",
					      home_type == HS_FS_BTRFS ? "btrfs subvolume" : "directory");
		return hs_checker_add(c, "homed-conf.storage", HS_CHECK_OK, NULL,
				      "LUKS images need dm-crypt and loop devices in the kernel, the file system inside "
				      "the image and its mkfs tool: see the kernel checks",
				      "homes will be LUKS2 images with %s inside%s", fstype,
				      conf->storage ? where : " (automatic default)");
	}
	if (strcmp(storage, "subvolume") == 0) {
		if (home_known && home_type != HS_FS_BTRFS)
			return hs_checker_add(c, "homed-conf.storage", HS_CHECK_FAIL,
					      "set DefaultStorage=luks (or directory) in /etc/systemd/homed.conf, or put "
					      "/home on btrfs", NULL,
					      "DefaultStorage=subvolume%s, but /home is not on btrfs: homectl create will "
					      "fail", where);
		return hs_checker_add(c, "homed-conf.storage", home_known ? HS_CHECK_OK : HS_CHECK_WARN, NULL,
				      home_known ? NULL : "the file system of /home could not be determined",
				      "homes will be btrfs subvolumes of /home%s, not encrypted", where);
	}
	if (strcmp(storage, "directory") == 0)
		return hs_checker_add(c, "homed-conf.storage", HS_CHECK_WARN,
				      "for encrypted homes set DefaultStorage=luks in /etc/systemd/homed.conf (or pass "
				      "--storage=luks to homectl create)", NULL,
				      "DefaultStorage=directory%s: homes will be plain directories, not encrypted", where);
	if (strcmp(storage, "fscrypt") == 0)
		return hs_checker_add(c, "homed-conf.storage", HS_CHECK_WARN,
				      "make sure /home is ext4 or f2fs with the encrypt feature (tune2fs -O encrypt) on a "
				      "kernel with CONFIG_FS_ENCRYPTION=y, or set DefaultStorage=luks", NULL,
				      "DefaultStorage=fscrypt%s: needs fscrypt on the /home file system (not checked "
				      "here)", where);
	return hs_checker_add(c, "homed-conf.storage", HS_CHECK_WARN,
			      "have the CIFS server and mount.cifs (emerge --ask net-fs/cifs-utils) ready, or set "
			      "DefaultStorage=luks", NULL,
			      "DefaultStorage=%s%s: homes live on a network share (not checked here)", storage, where);
}

int hs_check_group_homed_conf(hs_checker *c)
{
	const hs_homed_conf *conf = NULL;
	const char *default_fs, *default_fs_why;
	int r = hs_homed_conf_get(c, &conf);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		const char *msg = hs_ctx_last_error(hs_checker_ctx(c));

		r = hs_checker_add(c, "homed-conf.parse", HS_CHECK_SKIP, NULL, msg, "homed.conf could not be read");
		if (r >= 0)
			r = hs_checker_add(c, "homed-conf.storage", HS_CHECK_SKIP, NULL, msg,
					   "homed.conf could not be read");
		return r;
	}
	r = hs_homed_default_fstype(c, &default_fs, &default_fs_why);
	if (r < 0)
		return r;
	if (hs_checker_wants(c, "homed-conf.parse")) {
		r = run_parse(c, conf, default_fs, default_fs_why);
		if (r < 0)
			return r;
	}
	if (hs_checker_wants(c, "homed-conf.storage"))
		return run_storage(c, conf, conf->fstype ? conf->fstype : default_fs);
	return 0;
}
