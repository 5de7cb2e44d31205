/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree manifests: an entry's xattrs and POSIX ACLs, read without following a symlink: listxattrat/getxattrat
 * with AT_SYMLINK_NOFOLLOW (Linux 6.13), else llistxattr/lgetxattr on "/proc/self/fd/<dir>/<name>" (the
 * directory through its descriptor, the last component never followed). ACL values (the posix_acl_xattr
 * format: version 2, then {le16 tag, le16 perm, le32 id} entries) are decoded here, without libacl, to
 * acl_to_text's short form with numeric ids.
 */
#include "manifest_scan.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

bool hs_manifest_test_no_xattrat;

/* listxattrat/getxattrat (Linux 6.13): the same number on every architecture that numbers new system calls
 * alike (all but alpha and mips); elsewhere the /proc/self/fd fallback is used. */
#if !defined(__NR_listxattrat) && ((defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__) ||      \
				   defined(__aarch64__) || defined(__arm__) || defined(__riscv) ||                \
				   defined(__powerpc__) || defined(__s390__) || defined(__loongarch__))
#define __NR_getxattrat 464
#define __NR_listxattrat 465
#endif

struct xattr_args_compat {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static atomic_bool no_xattrat;

int hs_xattr_reader_init(xattr_reader *x)
{
	*x = (xattr_reader){0};
	x->list = malloc(MSCAN_XLIST_SIZE);
	x->val = malloc(MSCAN_XVAL_SIZE);
	x->names = malloc(MSCAN_XLIST_SIZE / 2 * sizeof(*x->names));
	return x->list && x->val && x->names ? 0 : -ENOMEM;
}

void hs_xattr_reader_done(xattr_reader *x)
{
	free(x->list);
	free(x->val);
	free(x->names);
	hs_buf_free(&x->text);
	hs_buf_free(&x->acl);
}


/* List the xattrs of @name in @dfd (name NULL: of dfd itself). */
static ssize_t xattr_list(int dfd, const char *name, char *buf, size_t size)
{
	char proc[64 + NAME_MAX];
	ssize_t n;

	if (!name) {
		n = flistxattr(dfd, buf, size);
		return n < 0 ? -errno : n;
	}
#ifdef __NR_listxattrat
	if (!hs_manifest_test_no_xattrat && !atomic_load_explicit(&no_xattrat, memory_order_relaxed)) {
		n = syscall(__NR_listxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, buf, size);
		if (n >= 0)
			return n;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		atomic_store_explicit(&no_xattrat, true, memory_order_relaxed);
	}
#endif
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
	n = llistxattr(proc, buf, size);
	return n < 0 ? -errno : n;
}

static ssize_t xattr_get(int dfd, const char *name, const char *attr, char *buf, size_t size)
{
	char proc[64 + NAME_MAX];
	ssize_t n;

	if (!name) {
		n = fgetxattr(dfd, attr, buf, size);
		return n < 0 ? -errno : n;
	}
#ifdef __NR_getxattrat
	if (!hs_manifest_test_no_xattrat && !atomic_load_explicit(&no_xattrat, memory_order_relaxed)) {
		struct xattr_args_compat args = { .value = (uintptr_t)buf, .size = (uint32_t)size };

		n = syscall(__NR_getxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, attr, &args, sizeof(args));
		if (n >= 0)
			return n;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		atomic_store_explicit(&no_xattrat, true, memory_order_relaxed);
	}
#endif
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
	n = lgetxattr(proc, attr, buf, size);
	return n < 0 ? -errno : n;
}

/* The kernel allocates a buffer of the size asked for on every call (64 KiB would cost a page allocation per
 * entry): ask for a small one first, since most entries have no xattrs and most values are short, and for the
 * exact size only when that is too small. */
#define XATTR_FIRST 512

static ssize_t xattr_list_all(int dfd, const char *name, char *buf)
{
	ssize_t n = xattr_list(dfd, name, buf, XATTR_FIRST);

	for (int tries = 0; n == -ERANGE && tries < 4; tries++) {
		n = xattr_list(dfd, name, NULL, 0);
		if (n <= 0)
			return n;
		n = xattr_list(dfd, name, buf, (size_t)n < MSCAN_XLIST_SIZE ? (size_t)n : MSCAN_XLIST_SIZE);
	}
	return n;
}

static ssize_t xattr_get_all(int dfd, const char *name, const char *attr, char *buf)
{
	ssize_t n = xattr_get(dfd, name, attr, buf, XATTR_FIRST);

	for (int tries = 0; n == -ERANGE && tries < 4; tries++) {
		n = xattr_get(dfd, name, attr, NULL, 0);
		if (n <= 0)
			return n;
		n = xattr_get(dfd, name, attr, buf, (size_t)n < MSCAN_XVAL_SIZE ? (size_t)n : MSCAN_XVAL_SIZE);
	}
	return n;
}

static int put_hex(hs_buf *b, const unsigned char *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int r = hs_buf_reserve(b, 2 * len);

	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		b->p[b->len++] = hex[v[i] >> 4];
		b->p[b->len++] = hex[v[i] & 15];
	}
	b->p[b->len] = '\0';
	return 0;
}

/* The posix_acl_xattr value (version 2, then {le16 tag, le16 perm, le32 id} per entry) as acl_to_text's
 * short form with numeric ids; a value that is not one as "raw:" + hex. */
static int acl_text(hs_buf *b, const unsigned char *v, size_t len)
{
	size_t start = b->len;
	int r = 0;

	if (len < 12 || (len - 4) % 8 || (v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24) != 2)
		goto raw;
	for (size_t off = 4; off < len && r >= 0; off += 8) {
		unsigned tag = v[off] | v[off + 1] << 8, perm = v[off + 2] | v[off + 3] << 8;
		uint32_t id = v[off + 4] | v[off + 5] << 8 | v[off + 6] << 16 | (uint32_t)v[off + 7] << 24;
		const char *sep = off > 4 ? "," : "";
		char rwx[4] = { perm & 4 ? 'r' : '-', perm & 2 ? 'w' : '-', perm & 1 ? 'x' : '-', '\0' };

		if (perm & ~7u)
			goto raw;
		switch (tag) {
		case 0x01: r = hs_buf_printf(b, "%suser::%s", sep, rwx); break;
		case 0x02: r = hs_buf_printf(b, "%suser:%" PRIu32 ":%s", sep, id, rwx); break;
		case 0x04: r = hs_buf_printf(b, "%sgroup::%s", sep, rwx); break;
		case 0x08: r = hs_buf_printf(b, "%sgroup:%" PRIu32 ":%s", sep, id, rwx); break;
		case 0x10: r = hs_buf_printf(b, "%smask::%s", sep, rwx); break;
		case 0x20: r = hs_buf_printf(b, "%sother::%s", sep, rwx); break;
		default: goto raw;
		}
	}
	return r;
raw:
	b->len = start;
	r = hs_buf_puts(b, "raw:");
	return r < 0 ? r : put_hex(b, v, len);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Read the xattrs of @name in @dfd (NULL: dfd itself) into @e. 0, 1 when the entry vanished, -errno. */
int hs_xattr_read(xattr_reader *x, hs_arena *arena, int dfd, const char *name, hs_manifest_entry *e)
{
	size_t n = 0;
	ssize_t len = xattr_list_all(dfd, name, x->list);
	int r;

	if (len == -ENOTSUP || len == 0)
		return 0;
	if (len == -ENOENT)
		return 1;
	if (len < 0)
		return (int)len;
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(x->list + i) + 1)
		if (x->list[i])
			x->names[n++] = x->list + i;
	qsort(x->names, n, sizeof(*x->names), name_cmp);
	x->text.len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *attr = x->names[i];
		bool access = strcmp(attr, "system.posix_acl_access") == 0;
		bool def = !access && strcmp(attr, "system.posix_acl_default") == 0;
		ssize_t vlen = xattr_get_all(dfd, name, attr, x->val);

		if (vlen == -ENODATA)
			continue; /* removed since the list was read */
		if (vlen == -ENOENT)
			return 1;
		if (vlen < 0)
			return (int)vlen;
		if (access || def) {
			x->acl.len = 0;
			r = acl_text(&x->acl, (const unsigned char *)x->val, (size_t)vlen);
			if (r < 0)
				return r;
			if (access)
				e->acl_access = hs_arena_strndup(arena, x->acl.p, x->acl.len);
			else
				e->acl_default = hs_arena_strndup(arena, x->acl.p, x->acl.len);
			if (!(access ? e->acl_access : e->acl_default))
				return -ENOMEM;
			continue;
		}
		if ((x->text.len && (r = hs_buf_putc(&x->text, '\n')) < 0) || (r = hs_buf_puts(&x->text, attr)) < 0 ||
		    (r = hs_buf_putc(&x->text, '=')) < 0 ||
		    (r = put_hex(&x->text, (const unsigned char *)x->val, (size_t)vlen)) < 0)
			return r;
	}
	if (x->text.len) {
		e->xattrs = hs_arena_strndup(arena, x->text.p, x->text.len);
		if (!e->xattrs)
			return -ENOMEM;
	}
	return 0;
}

