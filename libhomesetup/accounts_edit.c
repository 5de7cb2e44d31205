/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Edits of the account files: removal of one user's lines with its undo record (the restore is in
 * accounts_restore.c), and backups.
 *
 * A removal works on one snapshot (accounts.c) read under the lckpwdf lock. Each file's change is a set of whole
 * lines removed or rewritten (a member list without the user), made through the edit engine (edit.c: owner, mode,
 * SELinux label and ACL kept, fsync, rename, directory fsync; -ESTALE when the file is not what was read).
 * Before anything is written every file is read again and compared, and if writing one of them fails, those
 * already written are put back. The files are written gshadow, group, shadow and passwd last: a removal cut short
 * leaves the user in passwd, and calling it again finishes it.
 *
 * The undo record (JSON) holds, per file changed, the SHA-256 of the file before and after, and each changed line:
 * its number before, its old text, its new text (absent when removed) and the text of the line before it. A
 * restore finding a file exactly as the removal left it rebuilds the original bytes (and checks them against the
 * hash); a file edited since gets each line back after the line that preceded it, a member back into its list.
 * Texts that are not UTF-8 are stored as "<key>_hex".
 */
#include "homesetupP.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UNDO_FORMAT "homesetup-accounts-undo"
#define UNDO_VERSION 1

/* The order files are written in by a removal (passwd last). */
static const unsigned write_order[HS_ACCT__N] = { HS_ACCT_GSHADOW, HS_ACCT_GROUP, HS_ACCT_SHADOW, HS_ACCT_PASSWD };

void hs_acct_plan_done(hs_acct_plan *p)
{
	for (unsigned w = 0; w < HS_ACCT__N; w++) {
		for (size_t i = 0; i < p->f[w].n; i++) {
			free(p->f[w].v[i].old);
			free(p->f[w].v[i].repl);
			free(p->f[w].v[i].prev);
		}
		free(p->f[w].v);
		hs_edit_free(p->f[w].edit);
	}
}

bool hs_acct_is_list_field(unsigned which, unsigned k)
{
	return (which == HS_ACCT_GROUP && k == 3) || (which == HS_ACCT_GSHADOW && (k == 2 || k == 3));
}

static bool field_is(const hs_acct_file *f, const hs_acct_line *l, unsigned i, const char *s)
{
	return l->entry && l->nf > i && l->f_len[i] == strlen(s) && memcmp(f->data + l->f_off[i], s, l->f_len[i]) == 0;
}

/* ---- planning a removal --------------------------------------------------------------------------------- */

static int add_change(hs_acct_file_change *fc, const hs_acct_file *f, const hs_acct_line *l, const char *repl)
{
	hs_acct_change *c;

	for (size_t i = 0; i < fc->n; i++)
		if (fc->v[i].line == l->lineno)
			return 0; /* once per line */
	if (fc->n == fc->cap) {
		size_t cap = fc->cap ? fc->cap * 2 : 8;
		hs_acct_change *nv = realloc(fc->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		fc->v = nv;
		fc->cap = cap;
	}
	c = &fc->v[fc->n];
	*c = (hs_acct_change){ .line = l->lineno, .old_len = l->end - l->off };
	c->old = hs_strndup(f->data + l->off, c->old_len);
	if (repl) {
		c->repl_len = strlen(repl);
		c->repl = strdup(repl);
	}
	if (l->lineno > 1) {
		const hs_acct_line *p = l - 1;

		c->prev_len = p->end - p->off;
		c->prev = hs_strndup(f->data + p->off, c->prev_len);
	}
	fc->n++;
	if (!c->old || (repl && !c->repl) || (l->lineno > 1 && !c->prev))
		return -ENOMEM;
	return 0;
}

/* The line @l with @user dropped from its list fields; NULL in *out when it is not in any. */
static int without_member(const hs_acct_file *f, const hs_acct_line *l, unsigned which, const char *user, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	bool found = false;
	int r = 0;

	*out = NULL;
	for (unsigned k = 0; k < l->nf && r >= 0; k++) {
		bool list = hs_acct_is_list_field(which, k);

		if (k > 0)
			r = hs_buf_putc(&b, ':');
		if (r >= 0 && list && hs_acct_list_has(f->data + l->f_off[k], l->f_len[k], user)) {
			_cleanup_free_ char *s = hs_acct_list_without(f->data + l->f_off[k], l->f_len[k], user);

			found = true;
			r = s ? hs_buf_puts(&b, s) : -ENOMEM;
		} else if (r >= 0) {
			r = hs_buf_append(&b, f->data + l->f_off[k], l->f_len[k]);
		}
	}
	if (r >= 0 && l->end > l->off + l->len)
		r = hs_buf_putc(&b, '\n');
	if (r < 0)
		return r;
	if (found && !(*out = hs_buf_steal(&b)))
		return -ENOMEM;
	return 0;
}

/* Remove every entry line of @which named @name (its first field). */
static int remove_named(hs_acct_plan *p, const hs_accounts *a, unsigned which, const char *name)
{
	const hs_acct_file *f = hs_accounts_file(a, which);
	int r;

	for (size_t i = 0; i < f->n; i++)
		if (field_is(f, &f->lines[i], 0, name) && (r = add_change(&p->f[which], f, &f->lines[i], NULL)) < 0)
			return r;
	return 0;
}

/* Drop @user from the lists of the entry lines of @which named @group. */
static int drop_member(hs_acct_plan *p, const hs_accounts *a, unsigned which, const char *group, const char *user)
{
	const hs_acct_file *f = hs_accounts_file(a, which);
	int r;

	for (size_t i = 0; i < f->n; i++) {
		_cleanup_free_ char *repl = NULL;

		if (!field_is(f, &f->lines[i], 0, group))
			continue;
		r = without_member(f, &f->lines[i], which, user, &repl);
		if (r >= 0 && repl)
			r = add_change(&p->f[which], f, &f->lines[i], repl);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Is the private group of @pw one the removal may take: GID == UID, named after the user, nobody else's
 * primary group, no other member? NULL when so, else why not (static). */
static const char *private_group_kept(const hs_accounts *a, const hs_passwd_entry *pw, const hs_group_entry *g,
				      const hs_passwd_entry **other)
{
	*other = NULL;
	if (pw->gid != pw->uid)
		return "the user's GID differs from its UID";
	if (!g)
		return "there is no group named after the user";
	if (g->gid != pw->gid)
		return "the group named after the user is not the user's primary group";
	for (size_t i = 0; i < hs_accounts_user_count(a); i++) {
		const hs_passwd_entry *u = hs_accounts_user_at(a, i);

		if (u->gid == g->gid && strcmp(u->name, pw->name) != 0) {
			*other = u;
			return "it is also the primary group of";
		}
	}
	for (size_t i = 0; g->members[i]; i++)
		if (strcmp(g->members[i], pw->name) != 0)
			return "it has other members";
	return NULL;
}

static int plan_removal(hs_ctx *ctx, hs_acct_plan *p, const hs_accounts *a, const char *user, const char *const *member_of,
			unsigned flags)
{
	const hs_passwd_entry *pw = hs_accounts_user(a, user);
	const char *removed_group = NULL;
	int r;

	if (!pw)
		return 0;
	if ((r = remove_named(p, a, HS_ACCT_PASSWD, user)) < 0 || (r = remove_named(p, a, HS_ACCT_SHADOW, user)) < 0)
		return r;
	if (p->f[HS_ACCT_PASSWD].n > 1 &&
	    (r = hs_ctx_add_warning(ctx, "/etc/passwd: '%s' has %zu lines; all of them are removed", user,
				    p->f[HS_ACCT_PASSWD].n)) < 0)
		return r;
	if (flags & HS_ACCOUNTS_REMOVE_PRIVATE_GROUP) {
		const hs_group_entry *g = hs_accounts_group(a, user);
		const hs_passwd_entry *other;
		const char *why = private_group_kept(a, pw, g, &other);

		if (!why) {
			removed_group = g->name;
			if ((r = remove_named(p, a, HS_ACCT_GROUP, user)) < 0 ||
			    (r = remove_named(p, a, HS_ACCT_GSHADOW, user)) < 0)
				return r;
		} else if (g || pw->gid == pw->uid) {
			r = hs_ctx_add_warning(ctx, "/etc/group: the group '%s' is kept: %s%s%s", user, why,
					       other ? " " : "", other ? other->name : "");
			if (r < 0)
				return r;
		}
	}
	if (flags & HS_ACCOUNTS_REMOVE_MEMBERSHIPS)
		for (size_t i = 0; member_of && member_of[i]; i++) {
			if (removed_group && strcmp(member_of[i], removed_group) == 0)
				continue;
			if (!hs_accounts_group(a, member_of[i])) {
				r = hs_ctx_add_warning(ctx, "/etc/group: no group '%s'; nothing to remove '%s' from",
						       member_of[i], user);
				if (r < 0)
					return r;
				continue;
			}
			if ((r = drop_member(p, a, HS_ACCT_GROUP, member_of[i], user)) < 0 ||
			    (r = drop_member(p, a, HS_ACCT_GSHADOW, member_of[i], user)) < 0)
				return r;
		}
	return 0;
}

static int change_cmp(const void *x, const void *y)
{
	const hs_acct_change *a = x, *b = y;

	return (a->line > b->line) - (a->line < b->line);
}

/* Turn the changes into edits and hash the results. */
static int plan_edits(hs_ctx *ctx, hs_acct_plan *p, const hs_accounts *a)
{
	for (unsigned w = 0; w < HS_ACCT__N; w++) {
		const hs_acct_file *f = hs_accounts_file(a, w);
		hs_acct_file_change *fc = &p->f[w];
		_cleanup_free_ char *res = NULL;
		size_t res_len = 0;
		int r;

		if (fc->n == 0)
			continue;
		qsort(fc->v, fc->n, sizeof(*fc->v), change_cmp);
		fc->present = true;
		r = hs_edit_new_from_buf(ctx, &fc->edit, HS_EDIT_ROOT, f->path, f->exists ? f->data : NULL, f->len);
		for (size_t i = 0; r >= 0 && i < fc->n; i++) {
			const hs_acct_line *l = &f->lines[fc->v[i].line - 1];

			r = hs_edit_replace(fc->edit, l->off, l->end - l->off, fc->v[i].repl ? fc->v[i].repl : "");
		}
		if (r >= 0)
			r = hs_edit_result(fc->edit, &res, &res_len);
		if (r < 0)
			return r;
		hs_sha256(f->data, f->len, fc->before);
		hs_sha256(res ? res : "", res_len, fc->after);
	}
	return 0;
}

/* ---- the undo record ------------------------------------------------------------------------------------ */

static bool is_utf8_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = hs_utf8_next(s + i, len - i, &cp);

		if (k <= 0 || cp == 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

static int put_text(struct json_object *o, const char *key, const char *s, size_t len)
{
	struct json_object *v;
	char hkey[32];

	if (is_utf8_text(s, len)) {
		v = json_object_new_string_len(s, (int)len);
		return v && json_object_object_add(o, key, v) == 0 ? 0 : -ENOMEM;
	}
	{
		_cleanup_free_ char *hex = malloc(2 * len + 1);

		if (!hex)
			return -ENOMEM;
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)s[i]);
		hex[2 * len] = '\0';
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		v = json_object_new_string(hex);
	}
	return v && json_object_object_add(o, hkey, v) == 0 ? 0 : -ENOMEM;
}

static int put_hash(struct json_object *o, const char *key, const uint8_t h[32])
{
	char text[7 + 65] = "sha256:";
	struct json_object *v;

	for (unsigned i = 0; i < 32; i++)
		snprintf(text + 7 + 2 * i, 3, "%02x", h[i]);
	v = json_object_new_string(text);
	return v && json_object_object_add(o, key, v) == 0 ? 0 : -ENOMEM;
}

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

static int undo_text(const hs_acct_plan *p, const hs_accounts *a, const char *user, char **out)
{
	_cleanup_(json_putp) struct json_object *root = json_object_new_object();
	struct json_object *files = json_object_new_array();
	int r = 0;

	if (!root || !files || json_object_object_add(root, "files", files) < 0) {
		json_object_put(files);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "format", json_object_new_string(UNDO_FORMAT)) < 0 ||
	    json_object_object_add(root, "version", json_object_new_int(UNDO_VERSION)) < 0)
		return -ENOMEM;
	r = put_text(root, "user", user, strlen(user));
	for (unsigned w = 0; r >= 0 && w < HS_ACCT__N; w++) {
		const hs_acct_file_change *fc = &p->f[w];
		struct json_object *fo, *cv;

		if (!fc->present)
			continue;
		fo = json_object_new_object();
		cv = json_object_new_array();
		if (!fo || json_object_array_add(files, fo) < 0 || !cv || json_object_object_add(fo, "changes", cv) < 0) {
			json_object_put(fo);
			json_object_put(cv);
			return -ENOMEM;
		}
		r = put_text(fo, "path", hs_accounts_file(a, w)->path, strlen(hs_accounts_file(a, w)->path));
		if (r >= 0)
			r = put_hash(fo, "before", fc->before);
		if (r >= 0)
			r = put_hash(fo, "after", fc->after);
		for (size_t i = 0; r >= 0 && i < fc->n; i++) {
			const hs_acct_change *c = &fc->v[i];
			struct json_object *co = json_object_new_object();

			if (!co || json_object_array_add(cv, co) < 0) {
				json_object_put(co);
				return -ENOMEM;
			}
			r = json_object_object_add(co, "line", json_object_new_int64(c->line)) == 0 ? 0 : -ENOMEM;
			if (r >= 0)
				r = put_text(co, "old", c->old, c->old_len);
			if (r >= 0 && c->repl)
				r = put_text(co, "new", c->repl, c->repl_len);
			if (r >= 0 && c->prev)
				r = put_text(co, "prev", c->prev, c->prev_len);
		}
	}
	if (r < 0)
		return r;
	*out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return *out ? 0 : -ENOMEM;
}

/* The diff of every file, hash fields of shadow and gshadow masked: a diff is for showing. */
static int mask_hashes(const char *buf, size_t len, hs_buf *out)
{
	size_t pos = 0;
	int r = 0;

	while (pos < len && r >= 0) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) + 1 : len - pos;
		const char *c1 = memchr(s, ':', n), *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s)) : NULL;

		if (c1 && c2 && s[0] != '#' && c2 - c1 - 1 > 2) {
			r = hs_buf_append(out, s, (size_t)(c1 - s) + 1);
			if (r >= 0)
				r = hs_buf_puts(out, "<hash>");
			if (r >= 0)
				r = hs_buf_append(out, c2, n - (size_t)(c2 - s));
		} else {
			r = hs_buf_append(out, s, n);
		}
		pos += n;
	}
	return r;
}

static int diff_text(const hs_acct_plan *p, const hs_accounts *a, char **out)
{
	_cleanup_buf_ hs_buf all = {0};
	int r = hs_buf_puts(&all, "");

	for (unsigned w = 0; r >= 0 && w < HS_ACCT__N; w++) {
		const hs_acct_file *f = hs_accounts_file(a, w);
		_cleanup_free_ char *res = NULL, *d = NULL;
		char la[32], lb[32];
		_cleanup_buf_ hs_buf x = {0};
		_cleanup_buf_ hs_buf y = {0};
		size_t res_len = 0;

		if (!p->f[w].present)
			continue;
		r = hs_edit_result(p->f[w].edit, &res, &res_len);
		if (r < 0)
			return r;
		if (w == HS_ACCT_SHADOW || w == HS_ACCT_GSHADOW) {
			if ((r = mask_hashes(f->data, f->len, &x)) < 0 || (r = mask_hashes(res ? res : "", res_len, &y)) < 0)
				return r;
		} else if ((r = hs_buf_append(&x, f->data, f->len)) < 0 ||
			   (r = hs_buf_append(&y, res ? res : "", res_len)) < 0) {
			return r;
		}
		/* labelled as hs_edit_diff() does: a/etc/passwd, b/etc/passwd */
		snprintf(la, sizeof(la), "a%s", f->path);
		snprintf(lb, sizeof(lb), "b%s", f->path);
		r = hs_diff_unified(x.p ? x.p : "", x.len, y.p ? y.p : "", y.len, la, lb, 3, &d);
		if (r >= 0)
			r = hs_buf_puts(&all, d);
	}
	if (r < 0)
		return r;
	*out = hs_buf_steal(&all);
	return *out ? 0 : -ENOMEM;
}

/* ---- writing -------------------------------------------------------------------------------------------- */

/* Write the edits of @p in @order; refuse (-ESTALE, nothing written) when a file is no longer what was read; put
 * back the files already written when a later one fails. */
int hs_acct_plan_commit(hs_ctx *ctx, hs_acct_plan *p, const hs_accounts *a, const unsigned order[HS_ACCT__N])
{
	unsigned done[HS_ACCT__N], n_done = 0;
	_cleanup_free_ char *msg = NULL;
	int r = 0;

	for (unsigned w = 0; w < HS_ACCT__N; w++) {
		const hs_acct_file *f = hs_accounts_file(a, w);
		_cleanup_free_ char *now = NULL;
		size_t len = 0;

		if (!p->f[w].present)
			continue;
		r = hs_root_read_file(ctx, HS_ROOT_SYS, f->path, HS_ACCT_MAX_FILE, &now, &len);
		if (r == -ENOENT ? f->exists : r >= 0 && (len != f->len || memcmp(now, f->data, len) != 0))
			return hs_ctx_set_error(ctx, -ESTALE, "%s: changed since it was read; no account file was "
						"written", f->path);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	for (unsigned i = 0; i < HS_ACCT__N; i++) {
		unsigned w = order[i];

		if (!p->f[w].present)
			continue;
		r = hs_edit_commit(p->f[w].edit, 0);
		if (r < 0)
			break;
		done[n_done++] = w;
	}
	if (r >= 0)
		return 0;
	msg = strdup(hs_ctx_last_error(ctx));
	while (n_done > 0) {
		unsigned w = done[--n_done];
		const hs_acct_file *f = hs_accounts_file(a, w);
		_cleanup_free_ char *res = NULL;
		size_t res_len = 0;
		hs_atomic_expect expect = { .exists = true };
		int q = hs_edit_result(p->f[w].edit, &res, &res_len);

		expect.data = res;
		expect.len = res_len;
		if (q >= 0)
			q = hs_atomic_replace(ctx, HS_ROOT_SYS, f->path, f->data, f->len, 0, 0, &expect, NULL);
		if (q < 0)
			return hs_ctx_set_error(ctx, r, "%s; and %s could not be put back: %s", msg ? msg : "",
						f->path, hs_ctx_last_error(ctx));
	}
	return hs_ctx_set_error(ctx, r, "%s (the account files written before it were put back)", msg ? msg : "");
}

/* ---- removal -------------------------------------------------------------------------------------------- */

bool hs_acct_valid_user_name(const char *s)
{
	if (!s || !*s || s[0] == '+' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (*s == ':' || *s == ',' || *s == '\n' || *s == '/' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int hs_accounts_remove_user(hs_ctx *ctx, hs_accounts_lock *lock, const char *user, const char *const *member_of,
			    unsigned flags, char **undo, char **diff)
{
	_cleanup_(hs_accounts_lock_releasep) hs_accounts_lock *own = NULL;
	_cleanup_(hs_accounts_freep) hs_accounts *a = NULL;
	_cleanup_(hs_acct_plan_done) hs_acct_plan p = {0};
	_cleanup_free_ char *u = NULL, *d = NULL;
	int r;

	if (!hs_acct_valid_user_name(user))
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': not a user name", user ? user : "");
	if (!lock && !(flags & HS_ACCOUNTS_PRETEND)) {
		r = hs_accounts_lock_take(ctx, &own, HS_ACCOUNTS_LOCK_TIMEOUT_MS);
		if (r < 0)
			return r;
	}
	r = hs_accounts_load(ctx, &a);
	if (r >= 0)
		r = plan_removal(ctx, &p, a, user, member_of, flags);
	if (r >= 0)
		r = plan_edits(ctx, &p, a);
	if (r >= 0 && undo)
		r = undo_text(&p, a, user, &u);
	if (r >= 0 && diff)
		r = diff_text(&p, a, &d);
	if (r >= 0 && !(flags & HS_ACCOUNTS_PRETEND))
		r = hs_acct_plan_commit(ctx, &p, a, write_order);
	if (r < 0)
		return r;
	if (undo)
		*undo = TAKE_PTR(u);
	if (diff)
		*diff = TAKE_PTR(d);
	return 0;
}

/* ---- backups -------------------------------------------------------------------------------------------- */

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write @name in @dirfd with @mode: a hidden temporary file, fsync'd, then linked to its name (never over an
 * existing one) so that a crash leaves no half-written backup under the final name. */
static int backup_one(hs_ctx *ctx, int dirfd, const char *dir, const char *name, const char *buf, size_t len,
		      unsigned mode)
{
	_cleanup_(closep) int fd = -1;
	char tmp[64];
	int r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", name, (long)getpid());
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return hs_ctx_set_error(ctx, -errno, "%s/%s: cannot create: %s", dir, tmp, strerror(errno));
	if (fchmod(fd, mode) < 0 || (geteuid() == 0 && fchown(fd, 0, 0) < 0))
		r = -errno;
	if (r >= 0)
		r = write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && linkat(dirfd, tmp, dirfd, name, 0) < 0)
		r = -errno;
	(void)unlinkat(dirfd, tmp, 0);
	if (r < 0)
		return hs_ctx_set_error(ctx, r, "%s/%s: cannot write the backup: %s", dir, name, strerror(-r));
	return 0;
}

int hs_accounts_backup(hs_ctx *ctx, const char *dir, char **stamp)
{
	static const unsigned modes[HS_ACCT__N] = { 0644, 0600, 0644, 0600 };
	static const char *const names[HS_ACCT__N] = { "passwd", "shadow", "group", "gshadow" };
	_cleanup_(closep) int dirfd = -1;
	_cleanup_free_ char *probe = NULL;
	char st[32], made[HS_ACCT__N][64];
	unsigned n_made = 0;
	struct tm tm;
	time_t t = time(NULL);
	int r = 0;

	if (!dir || dir[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': the backup directory must be an absolute path",
					dir ? dir : "");
	if (!gmtime_r(&t, &tm) || strftime(st, sizeof(st), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return hs_ctx_set_error(ctx, -EINVAL, "cannot format the current time");
	if (asprintf(&probe, "%s/x", dir) < 0) {
		probe = NULL;
		return -ENOMEM;
	}
	r = hs_root_mkdir_parents(ctx, HS_ROOT_SYS, probe, 0700);
	if (r < 0)
		return r;
	dirfd = hs_root_open(ctx, HS_ROOT_SYS, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return dirfd == -ENOENT || dirfd == -ENOTDIR ? hs_ctx_set_error(ctx, dirfd, "%s: %s", dir, strerror(-dirfd))
							     : dirfd;
	for (unsigned w = 0; w < HS_ACCT__N && r >= 0; w++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;

		r = hs_root_read_file(ctx, HS_ROOT_SYS, (const char *[]){ "/etc/passwd", "/etc/shadow", "/etc/group",
									 "/etc/gshadow" }[w],
				      HS_ACCT_MAX_FILE, &buf, &len);
		if (r == -ENOENT && w != HS_ACCT_PASSWD) {
			r = 0; /* nothing to keep */
			continue;
		}
		if (r == -ENOENT)
			r = hs_ctx_set_error(ctx, r, "/etc/%s: does not exist under ROOT '%s'", names[w],
					     hs_ctx_get_root(ctx) ? hs_ctx_get_root(ctx) : "/");
		if (r < 0)
			break;
		snprintf(made[n_made], sizeof(made[n_made]), "%s.%s", names[w], st);
		r = backup_one(ctx, dirfd, dir, made[n_made], buf, len, modes[w]);
		if (r >= 0)
			n_made++;
	}
	if (r >= 0 && fsync(dirfd) < 0)
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot sync the directory: %s", dir, strerror(errno));
	if (r < 0) {
		while (n_made > 0)
			(void)unlinkat(dirfd, made[--n_made], 0);
		return r;
	}
	if (stamp && !(*stamp = strdup(st)))
		return -ENOMEM;
	return 0;
}
