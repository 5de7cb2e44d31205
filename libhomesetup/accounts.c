/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The account files under ROOT: /etc/passwd (7 fields), /etc/shadow (9), /etc/group (4), /etc/gshadow (4),
 * parsed into a snapshot that keeps the bytes read, so that edits (accounts_edit.c) change exactly the lines they
 * mean to and refuse when a file changed since. Blank lines, comments, NIS compat lines ('+'/'-') and malformed
 * lines are not entries but stay in the file as they are; all but the first two are reported as warnings with
 * file and line. Lookups answer with the first entry of a name or id, as nss_files does.
 *
 * Also here: the lckpwdf(3) lock (ROOT/etc/.pwd.lock, a write lock taken with fcntl, which shadow-utils and
 * glibc honour) and the check of a password against the shadow hash with crypt(3) from libxcrypt.
 */
#include "homesetupP.h"

#include <crypt.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

unsigned hs_accounts_lock_poll_ms = 20;

static const struct acct_kind {
	const char *path;
	const char *what;     /* an entry of this file is a … */
	unsigned nf;
	bool required;
} kinds[HS_ACCT__N] = {
	[HS_ACCT_PASSWD] = { "/etc/passwd", "user", 7, true },
	[HS_ACCT_SHADOW] = { "/etc/shadow", "user", 9, false },
	[HS_ACCT_GROUP] = { "/etc/group", "group", 4, false },
	[HS_ACCT_GSHADOW] = { "/etc/gshadow", "group", 4, false },
};

typedef struct shadow_entry {
	const char *name, *hash;
	unsigned line;
} shadow_entry;

struct hs_accounts {
	hs_acct_file f[HS_ACCT__N];
	char *copy[HS_ACCT__N];         /* the parse copies: fields NUL-terminated in place */
	hs_passwd_entry *users;
	size_t n_users, cap_users;
	hs_group_entry *groups;
	size_t n_groups, cap_groups;
	shadow_entry *shadow;
	size_t n_shadow, cap_shadow;
	hs_gshadow_entry *gshadow;
	size_t n_gshadow, cap_gshadow;
};

static const char *const empty_list[] = { NULL };

/* ---- helpers -------------------------------------------------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 32;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* A decimal uint32: digits only (no sign, blanks or base prefix), no overflow. */
static bool parse_id32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool hs_acct_list_has(const char *s, size_t len, const char *name)
{
	size_t nl = strlen(name), start = 0;

	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == ',') {
			if (i - start == nl && memcmp(s + start, name, nl) == 0)
				return true;
			start = i + 1;
		}
	return false;
}

char *hs_acct_list_without(const char *s, size_t len, const char *name)
{
	_cleanup_buf_ hs_buf b = {0};
	size_t nl = strlen(name), start = 0;
	bool first = true;

	if (hs_buf_reserve(&b, len + 1) < 0)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == ',') {
			if (!(i - start == nl && memcmp(s + start, name, nl) == 0)) {
				if ((!first && hs_buf_putc(&b, ',') < 0) || hs_buf_append(&b, s + start, i - start) < 0)
					return NULL;
				first = false;
			}
			start = i + 1;
		}
	return hs_buf_steal(&b);
}

/* Split the list field at copy[off..off+len) in place into a NULL-terminated vector (empty elements dropped). */
static int split_list(char *copy, size_t off, size_t len, const char *const **out)
{
	size_t n = 1, k = 0, start = off;
	char **v;

	if (len == 0) {
		*out = empty_list;
		return 0;
	}
	for (size_t i = off; i < off + len; i++)
		n += copy[i] == ',';
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = off; i <= off + len; i++)
		if (i == off + len || copy[i] == ',') {
			copy[i] = '\0';
			if (i > start)
				v[k++] = copy + start;
			start = i + 1;
		}
	*out = (const char *const *)v;
	return 0;
}

static void free_list(const char *const *v)
{
	if (v && v != empty_list)
		free((void *)v);
}

/* ---- parsing -------------------------------------------------------------------------------------------- */

static int warn_line(hs_ctx *ctx, const hs_acct_file *f, const hs_acct_line *l, const char *msg)
{
	return hs_ctx_add_warning(ctx, "%s:%u: %s", f->path, l->lineno, msg);
}

/* Cut f->data into lines and each line into fields; mark those that have the file's number of fields. */
static int split_lines(hs_ctx *ctx, hs_acct_file *f, const struct acct_kind *k)
{
	size_t n = 0, pos = 0;
	int r;

	for (size_t i = 0; i < f->len; i++)
		n += f->data[i] == '\n';
	n += f->len > 0 && f->data[f->len - 1] != '\n';
	f->lines = calloc(n ? n : 1, sizeof(*f->lines));
	if (!f->lines)
		return -ENOMEM;
	while (pos < f->len) {
		const char *s = f->data + pos, *nl = memchr(s, '\n', f->len - pos);
		size_t len = nl ? (size_t)(nl - s) : f->len - pos, colons = 0, start = 0;
		hs_acct_line *l = &f->lines[f->n];

		*l = (hs_acct_line){ .off = pos, .len = len, .end = pos + len + (nl ? 1 : 0), .lineno = (unsigned)f->n + 1 };
		f->n++;
		pos = l->end;
		if (len == 0 || s[0] == '#')
			continue;
		if (s[0] == '+' || s[0] == '-') {
			const char *colon = memchr(s, ':', len);
			_cleanup_free_ char *e = hs_escape(s, colon ? (size_t)(colon - s) : len, 64);

			if (!e)
				return -ENOMEM;
			r = hs_ctx_add_warning(ctx, "%s:%u: NIS compat entry '%s' kept as is; homesetup does not look it up",
					       f->path, l->lineno, e);
			if (r < 0)
				return r;
			continue;
		}
		if (memchr(s, '\0', len)) {
			r = warn_line(ctx, f, l, "line ignored: it contains a NUL byte");
			if (r < 0)
				return r;
			continue;
		}
		for (size_t i = 0; i < len; i++)
			colons += s[i] == ':';
		if (colons + 1 != k->nf) {
			char found[32];

			snprintf(found, sizeof(found), "%zu", colons + 1);
			r = hs_ctx_add_warning(ctx, "%s:%u: line ignored: expected %u fields separated by ':', found %s",
					       f->path, l->lineno, k->nf, found);
			if (r < 0)
				return r;
			continue;
		}
		for (size_t i = 0; i <= len; i++)
			if (i == len || s[i] == ':') {
				l->f_off[l->nf] = l->off + start;
				l->f_len[l->nf++] = i - start;
				start = i + 1;
			}
		if (l->f_len[0] == 0) {
			r = hs_ctx_add_warning(ctx, "%s:%u: line ignored: the %s name is empty", f->path, l->lineno,
					       k->what);
			if (r < 0)
				return r;
			continue;
		}
		l->entry = true;
	}
	return 0;
}

static int bad_id(hs_ctx *ctx, const hs_acct_file *f, hs_acct_line *l, unsigned field, const char *what)
{
	_cleanup_free_ char *e = hs_escape(f->data + l->f_off[field], l->f_len[field], 64);

	l->entry = false;
	if (!e)
		return -ENOMEM;
	return hs_ctx_add_warning(ctx, "%s:%u: line ignored: invalid %s '%s' at column %zu", f->path, l->lineno, what,
				  e, l->f_off[field] - l->off + 1);
}

static int warn_duplicate(hs_ctx *ctx, const hs_acct_file *f, const hs_acct_line *l, const char *what,
			  const char *name, unsigned first)
{
	_cleanup_free_ char *e = hs_escape(name, strlen(name), 64);

	if (!e)
		return -ENOMEM;
	return hs_ctx_add_warning(ctx, "%s:%u: %s '%s' appears again (first at line %u); the first entry counts",
				  f->path, l->lineno, what, e, first);
}

static int add_passwd(hs_ctx *ctx, hs_accounts *a, hs_acct_line *l)
{
	const hs_acct_file *f = &a->f[HS_ACCT_PASSWD];
	char *c = a->copy[HS_ACCT_PASSWD];
	const hs_passwd_entry *dup;
	uint32_t uid, gid;
	int r;

	if (!parse_id32(f->data + l->f_off[2], l->f_len[2], &uid))
		return bad_id(ctx, f, l, 2, "UID");
	if (!parse_id32(f->data + l->f_off[3], l->f_len[3], &gid))
		return bad_id(ctx, f, l, 3, "GID");
	dup = hs_accounts_user(a, c + l->f_off[0]);
	if (dup)
		return warn_duplicate(ctx, f, l, "user", dup->name, dup->line);
	r = grow((void **)&a->users, &a->cap_users, a->n_users, sizeof(*a->users));
	if (r < 0)
		return r;
	a->users[a->n_users++] = (hs_passwd_entry){
		.name = c + l->f_off[0], .passwd = c + l->f_off[1], .gecos = c + l->f_off[4], .home = c + l->f_off[5],
		.shell = c + l->f_off[6], .uid = uid, .gid = gid, .line = l->lineno,
	};
	return 0;
}

static int add_group(hs_ctx *ctx, hs_accounts *a, hs_acct_line *l)
{
	const hs_acct_file *f = &a->f[HS_ACCT_GROUP];
	char *c = a->copy[HS_ACCT_GROUP];
	const hs_group_entry *dup;
	uint32_t gid;
	int r;

	if (!parse_id32(f->data + l->f_off[2], l->f_len[2], &gid))
		return bad_id(ctx, f, l, 2, "GID");
	dup = hs_accounts_group(a, c + l->f_off[0]);
	if (dup)
		return warn_duplicate(ctx, f, l, "group", dup->name, dup->line);
	r = grow((void **)&a->groups, &a->cap_groups, a->n_groups, sizeof(*a->groups));
	if (r < 0)
		return r;
	a->groups[a->n_groups] = (hs_group_entry){
		.name = c + l->f_off[0], .passwd = c + l->f_off[1], .gid = gid, .members = empty_list, .line = l->lineno,
	};
	r = split_list(c, l->f_off[3], l->f_len[3], &a->groups[a->n_groups].members);
	if (r < 0)
		return r;
	a->n_groups++;
	return 0;
}

static int add_shadow(hs_ctx *ctx, hs_accounts *a, hs_acct_line *l)
{
	const hs_acct_file *f = &a->f[HS_ACCT_SHADOW];
	char *c = a->copy[HS_ACCT_SHADOW];
	int r;

	if (hs_accounts_shadow_line(a, c + l->f_off[0]) > 0)
		return warn_duplicate(ctx, f, l, "user", c + l->f_off[0], hs_accounts_shadow_line(a, c + l->f_off[0]));
	r = grow((void **)&a->shadow, &a->cap_shadow, a->n_shadow, sizeof(*a->shadow));
	if (r < 0)
		return r;
	a->shadow[a->n_shadow++] = (shadow_entry){ .name = c + l->f_off[0], .hash = c + l->f_off[1], .line = l->lineno };
	return 0;
}

static int add_gshadow(hs_ctx *ctx, hs_accounts *a, hs_acct_line *l)
{
	const hs_acct_file *f = &a->f[HS_ACCT_GSHADOW];
	char *c = a->copy[HS_ACCT_GSHADOW];
	const hs_gshadow_entry *dup = hs_accounts_gshadow(a, c + l->f_off[0]);
	hs_gshadow_entry *g;
	int r;

	if (dup)
		return warn_duplicate(ctx, f, l, "group", dup->name, dup->line);
	r = grow((void **)&a->gshadow, &a->cap_gshadow, a->n_gshadow, sizeof(*a->gshadow));
	if (r < 0)
		return r;
	g = &a->gshadow[a->n_gshadow];
	*g = (hs_gshadow_entry){ .name = c + l->f_off[0], .passwd = c + l->f_off[1], .admins = empty_list,
				 .members = empty_list, .line = l->lineno };
	r = split_list(c, l->f_off[2], l->f_len[2], &g->admins);
	if (r >= 0)
		r = split_list(c, l->f_off[3], l->f_len[3], &g->members);
	if (r < 0) {
		free_list(g->admins);
		return r;
	}
	a->n_gshadow++;
	return 0;
}

static int parse_one(hs_ctx *ctx, hs_accounts *a, unsigned which)
{
	static int (*const add[HS_ACCT__N])(hs_ctx *, hs_accounts *, hs_acct_line *) = {
		[HS_ACCT_PASSWD] = add_passwd, [HS_ACCT_SHADOW] = add_shadow,
		[HS_ACCT_GROUP] = add_group, [HS_ACCT_GSHADOW] = add_gshadow,
	};
	hs_acct_file *f = &a->f[which];
	int r = split_lines(ctx, f, &kinds[which]);

	if (r < 0)
		return r;
	a->copy[which] = hs_strndup(f->data, f->len);
	if (!a->copy[which])
		return -ENOMEM;
	/* Cut the copy at the end of every field of every entry: the entries' strings point into it. */
	for (size_t i = 0; i < f->n; i++) {
		const hs_acct_line *l = &f->lines[i];

		if (l->entry)
			for (unsigned k = 0; k < l->nf; k++)
				a->copy[which][l->f_off[k] + l->f_len[k]] = '\0';
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->lines[i].entry && (r = add[which](ctx, a, &f->lines[i])) < 0)
			return r;
	return 0;
}

int hs_accounts_parse(hs_ctx *ctx, hs_accounts **out, const char *const bufs[HS_ACCT__N],
		      const size_t lens[HS_ACCT__N])
{
	hs_accounts *a = calloc(1, sizeof(*a));
	int r = 0;

	if (!a)
		return -ENOMEM;
	for (unsigned i = 0; i < HS_ACCT__N && r >= 0; i++) {
		a->f[i].path = kinds[i].path;
		a->f[i].exists = bufs[i] != NULL;
		a->f[i].len = bufs[i] ? lens[i] : 0;
		a->f[i].data = hs_strndup(bufs[i] ? bufs[i] : "", a->f[i].len);
		if (!a->f[i].data)
			r = -ENOMEM;
		else if (!bufs[i] && kinds[i].required)
			r = hs_ctx_set_error(ctx, -ENOENT, "%s: does not exist under ROOT '%s'", kinds[i].path,
					     hs_ctx_get_root(ctx) ? hs_ctx_get_root(ctx) : "/");
		else
			r = parse_one(ctx, a, i);
	}
	if (r < 0) {
		hs_accounts_free(a);
		return r;
	}
	*out = a;
	return 0;
}

int hs_accounts_load(hs_ctx *ctx, hs_accounts **out)
{
	char *bufs[HS_ACCT__N] = { NULL };
	size_t lens[HS_ACCT__N] = { 0 };
	int r = 0;

	for (unsigned i = 0; i < HS_ACCT__N && r >= 0; i++) {
		r = hs_root_read_file(ctx, HS_ROOT_SYS, kinds[i].path, HS_ACCT_MAX_FILE, &bufs[i], &lens[i]);
		if (r == -ENOENT) {
			bufs[i] = NULL;
			r = 0;
		} else if (r < 0 && !*hs_ctx_last_error(ctx)) {
			r = hs_ctx_set_error(ctx, r, "%s: cannot read: %s", kinds[i].path, strerror(-r));
		}
	}
	if (r >= 0)
		r = hs_accounts_parse(ctx, out, (const char *const *)bufs, lens);
	for (unsigned i = 0; i < HS_ACCT__N; i++)
		free(bufs[i]);
	return r;
}

void hs_accounts_free(hs_accounts *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_groups; i++)
		free_list(a->groups[i].members);
	for (size_t i = 0; i < a->n_gshadow; i++) {
		free_list(a->gshadow[i].admins);
		free_list(a->gshadow[i].members);
	}
	for (unsigned i = 0; i < HS_ACCT__N; i++) {
		free(a->f[i].data);
		free(a->f[i].lines);
		free(a->copy[i]);
	}
	free(a->users);
	free(a->groups);
	free(a->shadow);
	free(a->gshadow);
	free(a);
}

/* ---- lookups -------------------------------------------------------------------------------------------- */

const hs_acct_file *hs_accounts_file(const hs_accounts *a, unsigned which)
{
	return which < HS_ACCT__N ? &a->f[which] : NULL;
}

const hs_passwd_entry *hs_accounts_user(const hs_accounts *a, const char *name)
{
	for (size_t i = 0; a && name && i < a->n_users; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

const hs_passwd_entry *hs_accounts_user_by_uid(const hs_accounts *a, uint32_t uid)
{
	for (size_t i = 0; a && i < a->n_users; i++)
		if (a->users[i].uid == uid)
			return &a->users[i];
	return NULL;
}

size_t hs_accounts_user_count(const hs_accounts *a)
{
	return a ? a->n_users : 0;
}

const hs_passwd_entry *hs_accounts_user_at(const hs_accounts *a, size_t i)
{
	return a && i < a->n_users ? &a->users[i] : NULL;
}

const hs_group_entry *hs_accounts_group(const hs_accounts *a, const char *name)
{
	for (size_t i = 0; a && name && i < a->n_groups; i++)
		if (strcmp(a->groups[i].name, name) == 0)
			return &a->groups[i];
	return NULL;
}

const hs_group_entry *hs_accounts_group_by_gid(const hs_accounts *a, uint32_t gid)
{
	for (size_t i = 0; a && i < a->n_groups; i++)
		if (a->groups[i].gid == gid)
			return &a->groups[i];
	return NULL;
}

size_t hs_accounts_group_count(const hs_accounts *a)
{
	return a ? a->n_groups : 0;
}

const hs_group_entry *hs_accounts_group_at(const hs_accounts *a, size_t i)
{
	return a && i < a->n_groups ? &a->groups[i] : NULL;
}

const char *hs_accounts_shadow_hash(const hs_accounts *a, const char *user)
{
	for (size_t i = 0; a && user && i < a->n_shadow; i++)
		if (strcmp(a->shadow[i].name, user) == 0)
			return a->shadow[i].hash;
	return NULL;
}

unsigned hs_accounts_shadow_line(const hs_accounts *a, const char *user)
{
	for (size_t i = 0; a && user && i < a->n_shadow; i++)
		if (strcmp(a->shadow[i].name, user) == 0)
			return a->shadow[i].line;
	return 0;
}

const hs_gshadow_entry *hs_accounts_gshadow(const hs_accounts *a, const char *name)
{
	for (size_t i = 0; a && name && i < a->n_gshadow; i++)
		if (strcmp(a->gshadow[i].name, name) == 0)
			return &a->gshadow[i];
	return NULL;
}

/* ---- passwords ------------------------------------------------------------------------------------------ */

/* Equal strings, in time that depends on the lengths only. */
static bool equal_consttime(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
	return d == 0;
}

/* "$6$", "$y$", "$2b$" … or the first two characters (DES): what names the method of @hash, for messages. */
static char *hash_prefix(const char *hash)
{
	size_t n = 2;

	if (hash[0] == '$') {
		const char *end = strchr(hash + 1, '$');

		n = end ? (size_t)(end - hash) + 1 : strlen(hash);
	}
	if (n > 16)
		n = 16;
	return hs_escape(hash, strnlen(hash, n), 16);
}

int hs_accounts_check_password(hs_ctx *ctx, const hs_accounts *a, const char *user, const char *password)
{
	const hs_passwd_entry *pw = hs_accounts_user(a, user);
	const char *hash, *where;
	struct crypt_data *cd;
	const char *res;
	unsigned line;
	int ok;

	if (!password)
		return hs_ctx_set_error(ctx, -EINVAL, "no password given to check");
	if (!pw)
		return hs_ctx_set_error(ctx, -ENOENT, "/etc/passwd: no user '%s'", user ? user : "");
	hash = hs_accounts_shadow_hash(a, user);
	if (hash) {
		where = "/etc/shadow";
		line = hs_accounts_shadow_line(a, user);
	} else {
		hash = pw->passwd;
		where = "/etc/passwd";
		line = pw->line;
		if (strcmp(hash, "x") == 0)
			return hs_ctx_set_error(ctx, -EPERM,
						"%s:%u: the password of '%s' is kept in /etc/shadow, which has no line for "
						"this user", where, line, user);
	}
	if (hash[0] == '\0')
		return hs_ctx_set_error(ctx, -EPERM, "%s:%u: '%s' has an empty password (no password is needed to "
					"log in); set one with passwd(1) first", where, line, user);
	if (hash[0] == '!' || hash[0] == '*')
		return hs_ctx_set_error(ctx, -EPERM, "%s:%u: the password of '%s' is locked ('%c'); unlock it or set "
					"one with passwd(1) first", where, line, user, hash[0]);
	ok = crypt_checksalt(hash);
	if (ok == CRYPT_SALT_INVALID || ok == CRYPT_SALT_METHOD_DISABLED) {
		_cleanup_free_ char *prefix = hash_prefix(hash);

		if (!prefix)
			return -ENOMEM;
		return hs_ctx_set_error(ctx, -EINVAL, "%s:%u: the password hash of '%s' uses a method crypt(3) does "
					"not support here ('%s')", where, line, user, prefix);
	}
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	res = crypt_rn(password, hash, cd, sizeof(*cd));
	if (!res || res[0] == '*') {
		_cleanup_free_ char *prefix = hash_prefix(hash);
		int e = errno;

		explicit_bzero(cd, sizeof(*cd));
		free(cd);
		if (!prefix || e == ENOMEM)
			return -ENOMEM;
		return hs_ctx_set_error(ctx, -EINVAL, "%s:%u: the password hash of '%s' cannot be checked by crypt(3) "
					"('%s': %s)", where, line, user, prefix, strerror(e ? e : EINVAL));
	}
	/* One method always yields hashes of one length: a stored text of another length is not a hash of it
	 * (e.g. "x" or a note where shadow(5) expects a hash), which no password can match. */
	if (strlen(res) != strlen(hash)) {
		_cleanup_free_ char *prefix = hash_prefix(hash);

		explicit_bzero(cd, sizeof(*cd));
		free(cd);
		if (!prefix)
			return -ENOMEM;
		return hs_ctx_set_error(ctx, -EINVAL, "%s:%u: the password field of '%s' is not a hash crypt(3) can "
					"check (it starts with '%s'); no password can match it", where, line, user,
					prefix);
	}
	ok = equal_consttime(res, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	if (!ok)
		return hs_ctx_set_error(ctx, -EACCES, "the password does not match the one of '%s' (%s:%u)", user, where,
					line);
	return 0;
}

/* ---- the lckpwdf(3) lock -------------------------------------------------------------------------------- */

struct hs_accounts_lock {
	int fd;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * glibc's lckpwdf() opens /etc/.pwd.lock (O_WRONLY|O_CREAT, 0600) and takes a write lock over the whole file
 * with fcntl(F_SETLKW), for at most 15 s. shadow-utils and the PAM modules go through it. An open-file-
 * description lock (F_OFD_SETLK) conflicts with those process-associated locks both ways, and unlike them is
 * not dropped when this process happens to close another descriptor of the same file; it is polled so that
 * the wait can end at a deadline without alarm(2).
 */
int hs_accounts_lock_take(hs_ctx *ctx, hs_accounts_lock **out, unsigned timeout_ms)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	uint64_t deadline = now_ms() + timeout_ms;
	hs_accounts_lock *lock;
	int dirfd, fd;

	dirfd = hs_root_open(ctx, HS_ROOT_SYS, "/etc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return dirfd == -ENOENT || dirfd == -ENOTDIR
			       ? hs_ctx_set_error(ctx, dirfd, "/etc: %s under ROOT '%s'", strerror(-dirfd),
						  hs_ctx_get_root(ctx) ? hs_ctx_get_root(ctx) : "/")
			       : dirfd;
	fd = openat(dirfd, ".pwd.lock", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;

		close(dirfd);
		return hs_ctx_set_error(ctx, -e, "/etc/.pwd.lock: cannot open the account-file lock: %s", strerror(e));
	}
	close(dirfd);
	for (;;) {
		struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		uint64_t t;

		fl.l_pid = 0;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			break;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			int e = errno;

			close(fd);
			return hs_ctx_set_error(ctx, -e, "/etc/.pwd.lock: cannot lock: %s", strerror(e));
		}
		t = now_ms();
		if (t >= deadline) {
			char holder[48] = "";

			if (fcntl(fd, F_OFD_GETLK, &who) == 0 && who.l_type != F_UNLCK && who.l_pid > 0)
				snprintf(holder, sizeof(holder), " (process %ld)", (long)who.l_pid);
			close(fd);
			return hs_ctx_set_error(ctx, -EWOULDBLOCK,
						"/etc/.pwd.lock: another program%s is changing the account files (useradd, "
						"passwd, vipw … hold this lock); gave up after %u ms",
						holder, timeout_ms);
		}
		{
			uint64_t wait = deadline - t < hs_accounts_lock_poll_ms ? deadline - t : hs_accounts_lock_poll_ms;
			struct timespec ts = { .tv_sec = (time_t)(wait / 1000), .tv_nsec = (long)(wait % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	lock = calloc(1, sizeof(*lock));
	if (!lock) {
		close(fd);
		return -ENOMEM;
	}
	lock->fd = fd;
	*out = lock;
	return 0;
}

void hs_accounts_lock_release(hs_accounts_lock *lock)
{
	if (!lock)
		return;
	/* Closing the only descriptor of the open file description drops the lock; the file stays, as with
	 * ulckpwdf(). */
	close(lock->fd);
	free(lock);
}
