/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Comparing two manifests (hs_manifest_compare): what `homesetup verify` and the migration's verify step
 * report.
 *
 * Both lists are in tree order, so one merge walk finds every path that is missing, extra or in both; for a
 * path in both, each attribute rsync -aHAX preserves is compared: type, permission bits (not of symlinks,
 * whose mode Linux fixes at 0777), owner, size (regular files; a directory's st_size is the file system's
 * business), mtime (every type: rsync -a sets them on symlinks and directories too), content hash (when both
 * sides have one), symlink target, hardlink structure (the group a file belongs to, named by its first path,
 * and the group's size: a structure that differs shows at every path whose group changed), each xattr, both
 * ACLs, device numbers. Link counts, allocated sizes and atimes are never compared (they differ across file
 * systems, or change by reading).
 *
 * Expected differences are named, not hidden: homed's `.identity` in the new tree (or any path the caller
 * names), an ownership shift the caller announces (also inside ACL entries), and with ignore_top everything
 * about "." itself (a homed home's top directory is the image's mount point, whose metadata homed sets).
 */
#include "homesetupP.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

struct hs_verify_result {
	hs_verify_diff *v;
	size_t n, cap;
	size_t unexpected;
	hs_arena arena;
};

static const char *const default_extra[] = { ".identity", NULL };

void hs_verify_result_free(hs_verify_result *res)
{
	if (!res)
		return;
	free(res->v);
	hs_arena_free(&res->arena);
	free(res);
}

size_t hs_verify_result_count(const hs_verify_result *res)
{
	return res ? res->n : 0;
}

const hs_verify_diff *hs_verify_result_get(const hs_verify_result *res, size_t i)
{
	return res && i < res->n ? &res->v[i] : NULL;
}

size_t hs_verify_result_unexpected(const hs_verify_result *res)
{
	return res ? res->unexpected : 0;
}

/* ---- building the list ------------------------------------------------------------------------------------ */

typedef struct cmp {
	hs_verify_result *res;
	const hs_verify_options *o;
	const char *const *extra;
	const hs_manifest *a, *b;
	size_t *akey, *asize, *bkey, *bsize; /* hardlink groups: key index per entry, group size per key */
	bool oom;                            /* a value text could not be made */
} cmp;

static const char *dup_str(cmp *C, const char *s)
{
	return s ? hs_arena_strndup(&C->res->arena, s, strlen(s)) : NULL;
}

_printf_(2, 3) static const char *fmt(cmp *C, const char *f, ...)
{
	va_list ap;
	char *tmp = NULL;
	const char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&tmp, f, ap);
	va_end(ap);
	if (n < 0) {
		C->oom = true;
		return NULL;
	}
	s = hs_arena_strndup(&C->res->arena, tmp, (size_t)n);
	free(tmp);
	if (!s)
		C->oom = true;
	return s;
}

/* Add a difference; values NULL are allowed (absent). reason non-NULL makes it expected. */
static int add(cmp *C, const char *path, const char *what, const char *old_value, const char *new_value,
	       const char *reason)
{
	hs_verify_result *R = C->res;
	hs_verify_diff *d;

	if (R->n == R->cap) {
		size_t cap = R->cap ? 2 * R->cap : 32;
		hs_verify_diff *nv = realloc(R->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		R->v = nv;
		R->cap = cap;
	}
	d = &R->v[R->n];
	*d = (hs_verify_diff){ .what = what, .expected = reason != NULL };
	d->path = dup_str(C, path);
	if (!d->path || (old_value && !(d->old_value = dup_str(C, old_value))) ||
	    (new_value && !(d->new_value = dup_str(C, new_value))) || (reason && !(d->reason = dup_str(C, reason))))
		return -ENOMEM;
	R->n++;
	if (!reason)
		R->unexpected++;
	return 0;
}

/* ---- value texts ------------------------------------------------------------------------------------------- */

static const char *type_name(const hs_manifest_entry *e)
{
	if (e->mountpoint)
		return "mount point";
	switch (e->mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	}
	return "unknown";
}

static const char *mtime_text(cmp *C, const hs_manifest_entry *e)
{
	struct tm tm;
	time_t t = (time_t)e->mtime_sec;

	if (!gmtime_r(&t, &tm))
		return fmt(C, "%" PRId64 ".%09u", e->mtime_sec, e->mtime_nsec);
	return fmt(C, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		   tm.tm_min, tm.tm_sec, e->mtime_nsec);
}

/* ---- expected differences ---------------------------------------------------------------------------------- */

static const char *extra_reason(cmp *C, const char *path)
{
	for (const char *const *p = C->extra; *p; p++) {
		size_t l = strlen(*p);

		if (strcmp(path, *p) == 0 || (strncmp(path, *p, l) == 0 && path[l] == '/'))
			return strcmp(*p, ".identity") == 0 ?
			       "homed's copy of the user record (~/.identity), written by homectl" :
			       "named as an expected difference";
	}
	return NULL;
}

static bool shifted(int64_t from, int64_t to, uint32_t a, uint32_t b)
{
	return a == b || (from >= 0 && to >= 0 && a == (uint64_t)from && b == (uint64_t)to);
}

static const char *shift_reason(cmp *C)
{
	const hs_verify_options *o = C->o;

	if (o->uid_from >= 0 && o->uid_to >= 0 && o->gid_from >= 0 && o->gid_to >= 0)
		return fmt(C, "the announced ownership shift (uid %" PRId64 " -> %" PRId64 ", gid %" PRId64 " -> %" PRId64 ")",
			   o->uid_from, o->uid_to, o->gid_from, o->gid_to);
	if (o->uid_from >= 0 && o->uid_to >= 0)
		return fmt(C, "the announced ownership shift (uid %" PRId64 " -> %" PRId64 ")", o->uid_from, o->uid_to);
	return fmt(C, "the announced ownership shift (gid %" PRId64 " -> %" PRId64 ")", o->gid_from, o->gid_to);
}

/* [s, end) is the decimal number v. */
static bool id_is(const char *s, const char *end, uint64_t v)
{
	uint64_t x = 0;

	if (s == end || (s[0] == '0' && end - s > 1))
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || x > UINT32_MAX)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	return x == v;
}

/* The ACL text @old with the announced shift applied to named user/group entries (malloc'd), or NULL. */
static char *acl_shift(const hs_verify_options *o, const char *old)
{
	_cleanup_buf_ hs_buf b = {0};
	const char *p = old;

	while (*p) {
		const char *end = strchr(p, ','), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool user = strncmp(p, "user:", 5) == 0, group = strncmp(p, "group:", 6) == 0;
		int64_t from = user ? o->uid_from : o->gid_from, to = user ? o->uid_to : o->gid_to;
		const char *id = p + (user ? 5 : 6);
		int r;

		colon = (user || group) && len > (size_t)(id - p) ? memchr(id, ':', len - (size_t)(id - p)) : NULL;
		if (colon && colon > id && from >= 0 && to >= 0 && id_is(id, colon, (uint64_t)from))
			r = hs_buf_printf(&b, "%s%" PRId64 "%.*s", user ? "user:" : "group:", to, (int)(len - (size_t)(colon - p)),
					  colon);
		else
			r = hs_buf_append(&b, p, len);
		if (r < 0 || (end && hs_buf_putc(&b, ',') < 0))
			return NULL;
		p = end ? end + 1 : p + len;
	}
	return hs_buf_steal(&b);
}

/* ---- attribute comparisons ---------------------------------------------------------------------------------- */

static const char *group_text(cmp *C, const hs_manifest *m, const size_t *key, const size_t *size, size_t i)
{
	if (key[i] == SIZE_MAX)
		return "not hardlinked within the tree";
	return fmt(C, "one of %zu hardlinked paths, the first %s", size[key[i]], m->v[key[i]]->e.path);
}

static int compare_hardlinks(cmp *C, size_t i, size_t j, const char *path, const char *why)
{
	size_t ka = C->akey[i], kb = C->bkey[j];
	bool same;

	if (ka == SIZE_MAX || kb == SIZE_MAX)
		same = ka == kb;
	else
		same = C->asize[ka] == C->bsize[kb] &&
		       hs_manifest_path_cmp(C->a->v[ka]->e.path, C->b->v[kb]->e.path) == 0;
	if (same)
		return 0;
	return add(C, path, "hardlink", group_text(C, C->a, C->akey, C->asize, i),
		   group_text(C, C->b, C->bkey, C->bsize, j), why);
}

/* The next "name=hex" line of an xattr text at *p: [*line, *line + *len), the name's length in *nlen. */
static bool next_xattr(const char **p, const char **line, size_t *len, size_t *nlen)
{
	const char *s = *p, *nl, *eq;

	if (!s || !*s)
		return false;
	nl = strchr(s, '\n');
	*line = s;
	*len = nl ? (size_t)(nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + *len;
	eq = NULL;
	for (const char *q = s; q < s + *len; q++)
		if (*q == '=')
			eq = q;
	*nlen = eq ? (size_t)(eq - s) : *len;
	return true;
}

static int compare_xattrs(cmp *C, const char *path, const char *xa, const char *xb, const char *why)
{
	const char *pa = xa, *pb = xb, *la = NULL, *lb = NULL;
	size_t lena = 0, lenb = 0, na = 0, nb = 0;
	bool ha = next_xattr(&pa, &la, &lena, &na), hb = next_xattr(&pb, &lb, &lenb, &nb);
	int r = 0;

	while (r >= 0 && (ha || hb)) {
		int c = !ha ? 1 : !hb ? -1 : hs_bytes_cmp(la, na, lb, nb);
		_cleanup_free_ char *va = NULL, *vb = NULL;

		if (c <= 0 && !(va = hs_strndup(la, lena)))
			return -ENOMEM;
		if (c >= 0 && !(vb = hs_strndup(lb, lenb)))
			return -ENOMEM;
		if (c != 0 || lena != lenb || memcmp(la, lb, lena) != 0)
			r = add(C, path, "xattr", va, vb, why);
		if (c <= 0)
			ha = next_xattr(&pa, &la, &lena, &na);
		if (c >= 0)
			hb = next_xattr(&pb, &lb, &lenb, &nb);
	}
	return r;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* A default ACL's text in setfacl's syntax: every entry prefixed "default:" (malloc'd, NULL on ENOMEM). */
static char *default_text(const char *acl)
{
	_cleanup_buf_ hs_buf b = {0};

	for (const char *p = acl;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (hs_buf_puts(&b, "default:") < 0 || hs_buf_append(&b, p, len) < 0)
			return NULL;
		if (!end)
			break;
		if (hs_buf_putc(&b, ',') < 0)
			return NULL;
		p = end + 1;
	}
	return hs_buf_steal(&b);
}

static int compare_acl(cmp *C, const char *path, const char *oa, const char *ob, bool def, const char *why)
{
	_cleanup_free_ char *shifted_old = NULL, *ta = NULL, *tb = NULL;
	const char *reason = why;

	if (str_eq(oa, ob))
		return 0;
	if (!reason && oa && ob && (C->o->uid_from >= 0 || C->o->gid_from >= 0)) {
		shifted_old = acl_shift(C->o, oa);
		if (!shifted_old)
			return -ENOMEM;
		if (strcmp(shifted_old, ob) == 0)
			reason = shift_reason(C);
	}
	if (def && ((oa && !(ta = default_text(oa))) || (ob && !(tb = default_text(ob)))))
		return -ENOMEM;
	return add(C, path, "acl", def ? ta : oa, def ? tb : ob, reason);
}

/* The top directory's mtime changes when a file the caller expects (homed's .identity) is written into it. */
static const char *top_mtime_reason(cmp *C)
{
	for (const char *const *p = C->extra; *p; p++)
		if (!strchr(*p, '/') && hs_manifest_index(C->b, *p) != (size_t)-1)
			return fmt(C, "the top directory's mtime changes when %s is written into it%s", *p,
				   strcmp(*p, ".identity") == 0 ? " (homed does on activation)" : "");
	return NULL;
}

static int compare_entry(cmp *C, size_t i, size_t j)
{
	const hs_manifest_entry *a = &C->a->v[i]->e, *b = &C->b->v[j]->e;
	const char *path = a->path, *why = extra_reason(C, path);
	bool top = strcmp(path, ".") == 0;
	int r = 0;

	if (top && C->o->ignore_top)
		why = "the top directory itself is not compared (ignore_top: it is the mount point of the new home, "
		      "whose metadata homed sets)";
	if ((a->mode & S_IFMT) != (b->mode & S_IFMT) || a->mountpoint != b->mountpoint)
		return add(C, path, "type", type_name(a), type_name(b), why);
	if (a->mountpoint)
		return 0; /* neither side's contents were scanned */

	if (!S_ISLNK(a->mode) && (a->mode & 07777) != (b->mode & 07777))
		r = add(C, path, "mode", fmt(C, "%04o", a->mode & 07777), fmt(C, "%04o", b->mode & 07777), why);
	if (r >= 0 && (a->uid != b->uid || a->gid != b->gid)) {
		const char *reason = why;

		if (!reason && shifted(C->o->uid_from, C->o->uid_to, a->uid, b->uid) &&
		    shifted(C->o->gid_from, C->o->gid_to, a->gid, b->gid))
			reason = shift_reason(C);
		r = add(C, path, "owner", fmt(C, "%" PRIu32 ":%" PRIu32, a->uid, a->gid),
			fmt(C, "%" PRIu32 ":%" PRIu32, b->uid, b->gid), reason);
	}
	if (r >= 0 && S_ISREG(a->mode) && a->size != b->size)
		r = add(C, path, "size", fmt(C, "%" PRIu64, a->size), fmt(C, "%" PRIu64, b->size), why);
	if (r >= 0 && (a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec))
		r = add(C, path, "mtime", mtime_text(C, a), mtime_text(C, b),
			why ? why : top ? top_mtime_reason(C) : NULL);
	if (r >= 0 && S_ISREG(a->mode) && a->hash && b->hash && strcmp(a->hash, b->hash) != 0)
		r = add(C, path, "content", a->hash, b->hash, why);
	if (r >= 0 && S_ISLNK(a->mode) && !str_eq(a->link_target, b->link_target))
		r = add(C, path, "link", a->link_target, b->link_target, why);
	if (r >= 0 && S_ISREG(a->mode))
		r = compare_hardlinks(C, i, j, path, why);
	if (r >= 0 && !str_eq(a->xattrs, b->xattrs))
		r = compare_xattrs(C, path, a->xattrs, b->xattrs, why);
	if (r >= 0)
		r = compare_acl(C, path, a->acl_access, b->acl_access, false, why);
	if (r >= 0)
		r = compare_acl(C, path, a->acl_default, b->acl_default, true, why);
	if (r >= 0 && (S_ISCHR(a->mode) || S_ISBLK(a->mode)) && a->rdev != b->rdev)
		r = add(C, path, "rdev", fmt(C, "%u:%u", major(a->rdev), minor(a->rdev)),
			fmt(C, "%u:%u", major(b->rdev), minor(b->rdev)), why);
	return r;
}

/* key[i]: the index of entry i's hardlink group's first path (itself for that one), SIZE_MAX when it is not
 * in a group of two or more within the tree; size[k]: the group's size. */
static int groups(const hs_manifest *m, size_t **key_out, size_t **size_out)
{
	size_t n = m->n ? m->n : 1;
	size_t *key = malloc(n * sizeof(*key)), *size = calloc(n, sizeof(*size));

	if (!key || !size) {
		free(key);
		free(size);
		return -ENOMEM;
	}
	memset(key, 0xff, n * sizeof(*key));
	for (size_t i = 0; i < m->n; i++) {
		size_t k;

		if (!m->v[i]->e.hardlink_of)
			continue;
		k = hs_manifest_index(m, m->v[i]->e.hardlink_of);
		if (k == (size_t)-1)
			continue;
		if (key[k] == SIZE_MAX) {
			key[k] = k;
			size[k] = 1;
		}
		key[i] = k;
		size[k]++;
	}
	*key_out = key;
	*size_out = size;
	return 0;
}

int hs_manifest_compare(hs_ctx *ctx, const hs_manifest *old_tree, const hs_manifest *new_tree,
			const hs_verify_options *opts, hs_verify_result **out)
{
	static const hs_verify_options defaults = { .uid_from = -1, .uid_to = -1, .gid_from = -1, .gid_to = -1 };
	_cleanup_(hs_verify_result_freep) hs_verify_result *res = NULL;
	cmp C = { .o = opts ? opts : &defaults, .a = old_tree, .b = new_tree };
	size_t i = 0, j = 0;
	int r;

	*out = NULL;
	if (!old_tree || !new_tree)
		return hs_ctx_set_error(ctx, -EINVAL, "compare: a manifest is missing");
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	C.res = res;
	C.extra = C.o->expected_extra ? C.o->expected_extra : default_extra;
	r = groups(old_tree, &C.akey, &C.asize);
	if (r >= 0)
		r = groups(new_tree, &C.bkey, &C.bsize);
	while (r >= 0 && (i < old_tree->n || j < new_tree->n)) {
		int c = i == old_tree->n ? 1 : j == new_tree->n ? -1 :
			hs_manifest_path_cmp(old_tree->v[i]->e.path, new_tree->v[j]->e.path);

		if (c < 0) {
			const hs_manifest_entry *a = &old_tree->v[i++]->e;
			r = add(&C, a->path, "missing", type_name(a), NULL, NULL);
		} else if (c > 0) {
			const hs_manifest_entry *b = &new_tree->v[j++]->e;

			r = add(&C, b->path, "extra", NULL, type_name(b), extra_reason(&C, b->path));
		} else {
			r = compare_entry(&C, i++, j++);
		}
	}
	free(C.akey);
	free(C.asize);
	free(C.bkey);
	free(C.bsize);
	if (r >= 0 && C.oom)
		r = -ENOMEM;
	if (r < 0)
		return hs_ctx_set_error(ctx, r, "compare: %s", strerror(-r));
	*out = TAKE_PTR(res);
	return 0;
}
