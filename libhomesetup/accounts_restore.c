/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore of what hs_accounts_remove_user() removed, from its undo record (see accounts_edit.c for the
 * record). Only the four account files are ever written, whatever paths a record names. A file exactly as the
 * removal left it (its SHA-256 is the record's "after") gets its original bytes back, rebuilt from the record and
 * checked against "before"; a file already as before is left alone; a file edited since gets each removed line
 * back after the line that preceded it (or after the line re-inserted just before it, or at the end), and the user
 * back into the member lists it was taken from. A line already there is not added twice; an entry of the same
 * name with other fields is a conflict (-EEXIST) and nothing is written.
 */
#include "homesetupP.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#define UNDO_FORMAT "homesetup-accounts-undo"
#define UNDO_VERSION 1

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

static bool line_is(const hs_acct_file *f, const hs_acct_line *l, const char *s, size_t n)
{
	/* equal, ignoring the '\n' at the end of either */
	if (n > 0 && s[n - 1] == '\n')
		n--;
	return l->len == n && memcmp(f->data + l->off, s, n) == 0;
}

static int hex_val(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Text @key (or "<key>_hex") of @o, malloc'd into *out (NULL when absent). 0, -EINVAL, -ENOMEM. */
static int get_text(struct json_object *o, const char *key, char **out, size_t *len)
{
	struct json_object *v;
	char hkey[32];

	*out = NULL;
	*len = 0;
	if (json_object_object_get_ex(o, key, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		*len = (size_t)json_object_get_string_len(v);
		*out = hs_strndup(json_object_get_string(v), *len);
		return *out ? 0 : -ENOMEM;
	}
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	if (json_object_object_get_ex(o, hkey, &v)) {
		const char *h = json_object_get_string(v);
		size_t hl = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : 1;

		if (hl % 2)
			return -EINVAL;
		*out = malloc(hl / 2 + 1);
		if (!*out)
			return -ENOMEM;
		for (size_t i = 0; i < hl / 2; i++) {
			int hi = hex_val(h[2 * i]), lo = hex_val(h[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				free(*out);
				*out = NULL;
				return -EINVAL;
			}
			(*out)[i] = (char)(hi << 4 | lo);
		}
		(*out)[hl / 2] = '\0';
		*len = hl / 2;
	}
	return 0;
}

static int get_hash(struct json_object *o, const char *key, uint8_t out[32])
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strlen(s) != 7 + 64 || strncmp(s, "sha256:", 7) != 0)
		return -EINVAL;
	for (unsigned i = 0; i < 32; i++) {
		int hi = hex_val(s[7 + 2 * i]), lo = hex_val(s[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A line's text is one line: no '\n' but at its end, and no NUL (which no entry holds). */
static bool one_line(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return len > 0 && (!nl || nl == s + len - 1) && !memchr(s, '\0', len);
}

static int bad_record(hs_ctx *ctx, const char *why)
{
	return hs_ctx_set_error(ctx, -EINVAL, "account undo record: %s", why);
}

/* Read the undo record into @p (changes only; no edits yet) and the user name. */
static int parse_record(hs_ctx *ctx, const char *undo, hs_acct_plan *p, char **user)
{
	_cleanup_(json_putp) struct json_object *root = NULL;
	struct json_object *v, *files;
	size_t ulen;
	int r;

	root = undo ? json_tokener_parse(undo) : NULL;
	if (!root || !json_object_is_type(root, json_type_object))
		return bad_record(ctx, "not a JSON object");
	if (!json_object_object_get_ex(root, "format", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), UNDO_FORMAT) != 0)
		return bad_record(ctx, "\"format\" is not \"" UNDO_FORMAT "\"");
	if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != UNDO_VERSION)
		return bad_record(ctx, "unknown \"version\" (this homesetup reads version 1)");
	r = get_text(root, "user", user, &ulen);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !*user || !hs_acct_valid_user_name(*user) || strlen(*user) != ulen)
		return bad_record(ctx, "no valid \"user\"");
	if (!json_object_object_get_ex(root, "files", &files) || !json_object_is_type(files, json_type_array))
		return bad_record(ctx, "no \"files\" array");
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *fo = json_object_array_get_idx(files, i), *cv;
		_cleanup_free_ char *path = NULL;
		hs_acct_file_change *fc = NULL;
		size_t plen;

		if (!json_object_is_type(fo, json_type_object))
			return bad_record(ctx, "an entry of \"files\" is not an object");
		if ((r = get_text(fo, "path", &path, &plen)) == -ENOMEM)
			return r;
		for (unsigned w = 0; path && w < HS_ACCT__N; w++)
			if (strcmp(path, (const char *[]){ "/etc/passwd", "/etc/shadow", "/etc/group",
							   "/etc/gshadow" }[w]) == 0)
				fc = &p->f[w];
		/* never a path the record names: only the four account files */
		if (!fc || fc->present)
			return bad_record(ctx, "a \"path\" that is not one of /etc/{passwd,shadow,group,gshadow} once");
		fc->present = true;
		if (get_hash(fo, "before", fc->before) < 0 || get_hash(fo, "after", fc->after) < 0)
			return bad_record(ctx, "\"before\"/\"after\" are not sha256:<64 hex digits>");
		if (!json_object_object_get_ex(fo, "changes", &cv) || !json_object_is_type(cv, json_type_array))
			return bad_record(ctx, "no \"changes\" array");
		for (size_t k = 0; k < json_object_array_length(cv); k++) {
			struct json_object *co = json_object_array_get_idx(cv, k), *ln;
			hs_acct_change *c;

			if (fc->n == fc->cap) {
				size_t cap = fc->cap ? fc->cap * 2 : 8;
				hs_acct_change *nv = realloc(fc->v, cap * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				fc->v = nv;
				fc->cap = cap;
			}
			c = &fc->v[fc->n];
			*c = (hs_acct_change){ 0 };
			fc->n++;
			if (!json_object_is_type(co, json_type_object) || !json_object_object_get_ex(co, "line", &ln) ||
			    !json_object_is_type(ln, json_type_int) || json_object_get_int64(ln) < 1 ||
			    json_object_get_int64(ln) > UINT32_MAX)
				return bad_record(ctx, "a change without a valid \"line\"");
			c->line = (unsigned)json_object_get_int64(ln);
			if ((r = get_text(co, "old", &c->old, &c->old_len)) < 0 ||
			    (r = get_text(co, "new", &c->repl, &c->repl_len)) < 0 ||
			    (r = get_text(co, "prev", &c->prev, &c->prev_len)) < 0)
				return r == -ENOMEM ? r : bad_record(ctx, "a change with a text that is not a string");
			/* (a preceding line may be anything kept as is, a NUL included) */
			if (!c->old || !one_line(c->old, c->old_len) || (c->repl && !one_line(c->repl, c->repl_len)) ||
			    (c->prev && (c->prev_len == 0 || memchr(c->prev, '\n', c->prev_len - 1))) ||
			    (c->line > 1) != (c->prev != NULL) || (k > 0 && c->line <= fc->v[fc->n - 2].line))
				return bad_record(ctx, "a change whose texts are not single lines in order");
		}
	}
	return 0;
}

/* The original bytes from the file the removal left and its changes; -EINVAL when they do not fit together. */
static int rebuild(const hs_acct_file *f, const hs_acct_file_change *fc, hs_buf *out)
{
	size_t pos = 0, ci = 0;
	int r = hs_buf_puts(out, "");

	for (unsigned k = 1; r >= 0 && (ci < fc->n || pos < f->len); k++) {
		const char *s = f->data + pos, *nl = memchr(s, '\n', f->len - pos);
		size_t n = nl ? (size_t)(nl - s) + 1 : f->len - pos;

		if (ci < fc->n && fc->v[ci].line == k) {
			const hs_acct_change *c = &fc->v[ci++];

			r = hs_buf_append(out, c->old, c->old_len);
			if (c->repl) {
				if (n != c->repl_len || memcmp(s, c->repl, n) != 0)
					return -EINVAL;
				pos += n;
			}
		} else if (pos < f->len) {
			r = hs_buf_append(out, s, n);
			pos += n;
		} else {
			return -EINVAL; /* a change past the end */
		}
	}
	return r;
}

/* The first line of @f equal to s[0..n) (the '\n' aside) and not taken (@taken may be NULL), or NULL. */
static const hs_acct_line *find_line(const hs_acct_file *f, const bool *taken, const char *s, size_t n)
{
	for (size_t i = 0; i < f->n; i++)
		if (!(taken && taken[i]) && line_is(f, &f->lines[i], s, n))
			return &f->lines[i];
	return NULL;
}

/* The first field of a line. */
static size_t name_len(const char *s, size_t n)
{
	const char *c = memchr(s, ':', n);

	return c ? (size_t)(c - s) : n;
}

static const hs_acct_line *find_named(const hs_acct_file *f, const bool *taken, const char *s, size_t n)
{
	size_t nl = name_len(s, n);

	for (size_t i = 0; i < f->n; i++) {
		const hs_acct_line *l = &f->lines[i];

		if (!(taken && taken[i]) && l->entry && l->f_len[0] == nl && memcmp(f->data + l->off, s, nl) == 0)
			return l;
	}
	return NULL;
}

/* @l with @user added back to the list fields where @old had it. */
static int readd_member(const hs_acct_file *f, const hs_acct_line *l, unsigned which, const char *user,
			const char *old, size_t old_len, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	size_t of_off[HS_ACCT_MAX_FIELDS] = { 0 }, of_len[HS_ACCT_MAX_FIELDS] = { 0 }, nf = 0, start = 0;
	int r = 0;

	if (old_len > 0 && old[old_len - 1] == '\n')
		old_len--;
	for (size_t i = 0; i <= old_len && nf < HS_ACCT_MAX_FIELDS; i++)
		if (i == old_len || old[i] == ':') {
			of_off[nf] = start;
			of_len[nf++] = i - start;
			start = i + 1;
		}
	for (unsigned k = 0; k < l->nf && r >= 0; k++) {
		bool list = hs_acct_is_list_field(which, k);
		const char *cur = f->data + l->f_off[k];

		if (k > 0)
			r = hs_buf_putc(&b, ':');
		if (r >= 0)
			r = hs_buf_append(&b, cur, l->f_len[k]);
		if (r >= 0 && list && k < nf && hs_acct_list_has(old + of_off[k], of_len[k], user) &&
		    !hs_acct_list_has(cur, l->f_len[k], user)) {
			if (l->f_len[k] > 0)
				r = hs_buf_putc(&b, ',');
			if (r >= 0)
				r = hs_buf_puts(&b, user);
		}
	}
	if (r >= 0 && l->end > l->off + l->len)
		r = hs_buf_putc(&b, '\n');
	if (r < 0)
		return r;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* Put each change back into a file edited since the removal. */
static int merge(hs_ctx *ctx, hs_acct_file_change *fc, const hs_acct_file *f, unsigned which, const char *user)
{
	_cleanup_free_ bool *taken = calloc(f->n + 1, sizeof(*taken));
	unsigned last_line = 0; /* the change before, and where a line following it goes */
	size_t last_off = 0;
	bool end_nl = f->len == 0 || f->data[f->len - 1] == '\n';
	int r;

	if (!taken)
		return -ENOMEM;
	for (size_t i = 0; i < fc->n; i++) {
		const hs_acct_change *c = &fc->v[i];
		const hs_acct_line *l = find_line(f, taken, c->old, c->old_len), *at;
		_cleanup_buf_ hs_buf text = {0};
		int nlen = (int)name_len(c->old, c->old_len);
		size_t off;

		if (l) { /* there already */
			taken[l - f->lines] = true;
			last_line = c->line;
			last_off = l->end;
			continue;
		}
		if (c->repl) {
			_cleanup_free_ char *line = NULL;

			bool as_left = (l = find_line(f, taken, c->repl, c->repl_len)) != NULL;

			if (!l)
				l = find_named(f, taken, c->old, c->old_len);
			if (!l) {
				r = hs_ctx_add_warning(ctx, "%s: '%.*s' is gone; '%s' is not put back into it", f->path,
						       nlen, c->old, user);
				if (r < 0)
					return r;
				continue;
			}
			taken[l - f->lines] = true;
			/* the line as the removal left it gets its old text; one edited since gets the user back */
			if (as_left)
				r = asprintf(&line, "%.*s%s", (int)(c->old_len - (c->old[c->old_len - 1] == '\n')), c->old,
					     l->end > l->off + l->len ? "\n" : "") < 0 ? -ENOMEM : 0;
			else
				r = readd_member(f, l, which, user, c->old, c->old_len, &line);
			if (r < 0)
				line = NULL;
			if (r >= 0)
				r = hs_edit_replace(fc->edit, l->off, l->end - l->off, line);
			if (r < 0)
				return r;
			last_line = c->line;
			last_off = l->end;
			continue;
		}
		l = find_named(f, NULL, c->old, c->old_len);
		if (l)
			return hs_ctx_set_error(ctx, -EEXIST, "%s:%u: '%.*s' is there again with other fields; the "
						"removed line was not put back and no account file was written", f->path,
						l->lineno, nlen, c->old);
		if (last_line > 0 && c->line == last_line + 1) {
			off = last_off; /* after the line just handled (an insertion there goes after earlier ones) */
		} else if (!c->prev) {
			off = 0;
		} else if ((at = find_line(f, NULL, c->prev, c->prev_len)) != NULL) {
			off = at->end;
		} else {
			off = f->len;
			r = hs_ctx_add_warning(ctx, "%s: the line that preceded '%.*s' is gone; it is put back at the end",
					       f->path, nlen, c->old);
			if (r < 0)
				return r;
		}
		r = 0;
		if (off == f->len && !end_nl) {
			r = hs_buf_putc(&text, '\n');
			end_nl = true;
		}
		if (r >= 0)
			r = hs_buf_append(&text, c->old, c->old_len);
		if (r >= 0 && c->old[c->old_len - 1] != '\n') {
			if (off < f->len || i + 1 < fc->n)
				r = hs_buf_putc(&text, '\n');
			else
				end_nl = false;
		}
		if (r >= 0)
			r = hs_edit_insert(fc->edit, off, text.p);
		if (r < 0)
			return r;
		last_line = c->line;
		last_off = off;
	}
	return 0;
}

int hs_accounts_restore(hs_ctx *ctx, hs_accounts_lock *lock, const char *undo)
{
	static const unsigned order[HS_ACCT__N] = { HS_ACCT_PASSWD, HS_ACCT_SHADOW, HS_ACCT_GROUP, HS_ACCT_GSHADOW };
	_cleanup_(hs_accounts_lock_releasep) hs_accounts_lock *own = NULL;
	_cleanup_(hs_accounts_freep) hs_accounts *a = NULL;
	_cleanup_(hs_acct_plan_done) hs_acct_plan p = {0};
	_cleanup_free_ char *user = NULL;
	int r;

	r = parse_record(ctx, undo, &p, &user);
	if (r < 0)
		return r;
	if (!lock) {
		r = hs_accounts_lock_take(ctx, &own, HS_ACCOUNTS_LOCK_TIMEOUT_MS);
		if (r < 0)
			return r;
	}
	r = hs_accounts_load(ctx, &a);
	for (unsigned w = 0; r >= 0 && w < HS_ACCT__N; w++) {
		const hs_acct_file *f = hs_accounts_file(a, w);
		hs_acct_file_change *fc = &p.f[w];
		_cleanup_buf_ hs_buf orig = {0};
		uint8_t now[32], got[32];

		if (!fc->present)
			continue;
		hs_sha256(f->data, f->len, now);
		if (memcmp(now, fc->before, 32) == 0) {
			fc->present = false; /* as before the removal already */
			continue;
		}
		r = hs_edit_new_from_buf(ctx, &fc->edit, HS_EDIT_ROOT, f->path, f->exists ? f->data : NULL, f->len);
		if (r < 0)
			break;
		/* a file removed since is created again, the shadow files readable by root only */
		hs_edit_set_create_mode(fc->edit, w == HS_ACCT_SHADOW || w == HS_ACCT_GSHADOW ? 0600 : 0644);
		/* exactly as the removal left it: the original bytes, if the record rebuilds them (and they hold no
		 * NUL, which an edit's text cannot) */
		if (memcmp(now, fc->after, 32) == 0 && rebuild(f, fc, &orig) >= 0) {
			hs_sha256(orig.p ? orig.p : "", orig.len, got);
			if (memcmp(got, fc->before, 32) == 0 && !memchr(orig.p ? orig.p : "", '\0', orig.len)) {
				r = hs_edit_replace(fc->edit, 0, f->len, orig.p ? orig.p : "");
				continue;
			}
			r = hs_ctx_add_warning(ctx, "%s: the undo record does not rebuild the file; the removed lines "
					       "are put back one by one", f->path);
		} else {
			r = hs_ctx_add_warning(ctx, "%s: changed since '%s' was removed; the removed lines are put back "
					       "one by one", f->path, user);
		}
		if (r >= 0)
			r = merge(ctx, fc, f, w, user);
	}
	if (r >= 0)
		r = hs_acct_plan_commit(ctx, &p, a, order);
	return r;
}
