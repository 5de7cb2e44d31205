/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manifest.c, manifest_io.c, verify.c: the scan of every entry type (files, directories, symlinks that must not
 * be followed, FIFOs, sockets, device nodes, hardlinks, sparse files, xattrs, ACLs, names that are not UTF-8 or
 * hold a newline), the same result on 1 and 4 threads and on the fallbacks for kernels without
 * listxattrat/openat2, progress and cancellation, a file changed between the passes, mount points, the text
 * format's round trip and its errors with line numbers, and the comparison: each kind of difference found
 * once, expected ones named, and nothing reported that rsync -aHAX does not preserve.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "homesetupP.h"
#include "helpers/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct fixture {
	char dir[512];
	hs_ctx *ctx;
	int fd;
	bool have_dev;
	int sock;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tree_mkdtemp(f->dir, sizeof(f->dir), "hs-manifest.XXXXXX");
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	f->sock = -1;
	hs_manifest_threads = 0;
	hs_manifest_test_no_xattrat = hs_manifest_test_no_openat2 = false;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_manifest_threads = 0;
	hs_manifest_test_no_xattrat = hs_manifest_test_no_openat2 = false;
	if (f->sock >= 0)
		close(f->sock);
	close(f->fd);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->dir);
	free(f);
	return 0;
}

static const char *at(const fixture *f, const char *rel)
{
	static char buf[4][4096];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", f->dir, rel);
	return buf[k];
}

static void put(const fixture *f, const char *rel, const char *data, size_t len, mode_t mode)
{
	int fd = open(at(f, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(at(f, rel), mode), 0);
}

static void hash_of(const void *data, size_t len, char out[HS_MANIFEST_HASH_LEN + 1])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
	strcpy(out, HS_MANIFEST_HASH_PREFIX);
	for (size_t i = 0; i < sizeof(c.digest); i++)
		sprintf(out + strlen(out), "%02x", c.digest[i]);
}

/* A posix_acl_xattr value: version 2, then (tag, perm, id) triples. */
static size_t acl_value(unsigned char *buf, const unsigned (*ent)[3], size_t n)
{
	size_t len = 4;

	buf[0] = 2;
	buf[1] = buf[2] = buf[3] = 0;
	for (size_t i = 0; i < n; i++, len += 8) {
		unsigned char *p = buf + len;

		p[0] = (unsigned char)ent[i][0];
		p[1] = 0;
		p[2] = (unsigned char)ent[i][1];
		p[3] = 0;
		p[4] = (unsigned char)(ent[i][2] & 0xff);
		p[5] = (unsigned char)(ent[i][2] >> 8 & 0xff);
		p[6] = (unsigned char)(ent[i][2] >> 16 & 0xff);
		p[7] = (unsigned char)(ent[i][2] >> 24 & 0xff);
	}
	return len;
}

#define SPARSE_SIZE (8u << 20)

/* Every kind of entry the scan must tell apart. */
static void build_tree(fixture *f)
{
	static const unsigned access[][3] = {
		{ 0x01, 6, UINT32_MAX }, { 0x02, 4, 1001 }, { 0x04, 4, UINT32_MAX }, { 0x10, 4, UINT32_MAX },
		{ 0x20, 4, UINT32_MAX },
	};
	static const unsigned deflt[][3] = { { 0x01, 7, UINT32_MAX }, { 0x04, 5, UINT32_MAX }, { 0x20, 5, UINT32_MAX } };
	unsigned char acl[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_int_equal(mkdir(at(f, "d"), 0750), 0);
	put(f, "d/f", "hello", 5, 0640);
	put(f, "empty", "", 0, 0600);
	assert_int_equal(mkfifo(at(f, "fifo"), 0620), 0);
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->sock >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at(f, "sock"));
	assert_int_equal(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	f->have_dev = mknod(at(f, "null"), S_IFCHR | 0666, makedev(1, 3)) == 0;
	assert_int_equal(symlink("loop", at(f, "loop")), 0);
	assert_int_equal(symlink("/", at(f, "root")), 0);
	assert_int_equal(symlink("d", at(f, "dlink")), 0);
	put(f, "h1", "same", 4, 0644);
	assert_int_equal(link(at(f, "h1"), at(f, "h2")), 0);
	assert_int_equal(link(at(f, "h1"), at(f, "d/h3")), 0);
	fd = open(at(f, "sparse"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, SPARSE_SIZE - 1), 1);
	close(fd);
	put(f, "bad\xff\xfe", "b", 1, 0644);
	put(f, "new\nline", "n", 1, 0644);
	put(f, "with space", "s", 1, 0644);
	assert_int_equal(setxattr(at(f, "d/f"), "user.note", "v1", 2, 0), 0);
	assert_int_equal(setxattr(at(f, "d/f"), "user.bin", "\0\001", 2, 0), 0);
	put(f, "acl", "a", 1, 0644);
	assert_int_equal(setxattr(at(f, "acl"), "system.posix_acl_access", acl, acl_value(acl, access, 5), 0), 0);
	assert_int_equal(setxattr(at(f, "d"), "system.posix_acl_default", acl, acl_value(acl, deflt, 3), 0), 0);
}

static const hs_manifest_entry *must_find(const hs_manifest *m, const char *path)
{
	const hs_manifest_entry *e = hs_manifest_find(m, path);

	if (!e)
		fail_msg("no entry '%s'", path);
	return e;
}

static void check_tree(const fixture *f, const hs_manifest *m, bool hashed)
{
	const hs_manifest_entry *e;
	char want[HS_MANIFEST_HASH_LEN + 1];

	/* ., d, d/f, d/h3, empty, fifo, sock, [null], loop, root, dlink, h1, h2, sparse, bad, new\nline,
	 * with space, acl */
	assert_int_equal(hs_manifest_count(m), f->have_dev ? 18 : 17);
	for (size_t i = 1; i < hs_manifest_count(m); i++)
		assert_true(hs_manifest_path_cmp(hs_manifest_get(m, i - 1)->path, hs_manifest_get(m, i)->path) < 0);
	assert_string_equal(hs_manifest_get(m, 0)->path, ".");
	assert_null(hs_manifest_get(m, hs_manifest_count(m)));

	e = must_find(m, "d");
	assert_true(S_ISDIR(e->mode));
	assert_int_equal(e->mode & 07777, 0750);
	assert_string_equal(e->acl_default, "user::rwx,group::r-x,other::r-x");
	assert_null(e->acl_access);
	assert_null(e->xattrs);
	e = must_find(m, "d/f");
	assert_true(S_ISREG(e->mode));
	assert_int_equal(e->mode & 07777, 0640);
	assert_int_equal(e->size, 5);
	assert_int_equal(e->uid, getuid());
	assert_string_equal(e->xattrs, "user.bin=0001\nuser.note=7631");
	hash_of("hello", 5, want);
	if (hashed)
		assert_string_equal(e->hash, want);
	else
		assert_null(e->hash);
	e = must_find(m, "empty");
	hash_of("", 0, want);
	if (hashed)
		assert_string_equal(e->hash, want);
	assert_true(S_ISFIFO(must_find(m, "fifo")->mode));
	assert_null(must_find(m, "fifo")->hash);
	assert_true(S_ISSOCK(must_find(m, "sock")->mode));
	if (f->have_dev) {
		e = must_find(m, "null");
		assert_true(S_ISCHR(e->mode));
		assert_int_equal(e->rdev, makedev(1, 3));
	}
	e = must_find(m, "loop");
	assert_true(S_ISLNK(e->mode));
	assert_string_equal(e->link_target, "loop");
	e = must_find(m, "root");
	assert_string_equal(e->link_target, "/");
	assert_null(hs_manifest_find(m, "root/etc"));
	assert_string_equal(must_find(m, "dlink")->link_target, "d");
	assert_null(hs_manifest_find(m, "dlink/f"));

	/* hardlinks: the first path in tree order heads the group */
	e = must_find(m, "d/h3");
	assert_null(e->hardlink_of);
	assert_int_equal(e->nlink, 3);
	assert_string_equal(must_find(m, "h1")->hardlink_of, "d/h3");
	assert_string_equal(must_find(m, "h2")->hardlink_of, "d/h3");
	if (hashed) {
		assert_string_equal(must_find(m, "h2")->hash, e->hash);
		hash_of("same", 4, want);
		assert_string_equal(e->hash, want);
	}

	e = must_find(m, "sparse");
	assert_int_equal(e->size, SPARSE_SIZE);
	assert_true(e->alloc < e->size);
	assert_non_null(must_find(m, "bad\xff\xfe"));
	assert_non_null(must_find(m, "new\nline"));
	assert_non_null(must_find(m, "with space"));
	e = must_find(m, "acl");
	assert_string_equal(e->acl_access, "user::rw-,user:1001:r--,group::r--,mask::r--,other::r--");
	assert_null(e->xattrs);
	/* 5 + 0 + 4 (the hardlink group once) + sparse + 1 + 1 + 1 + 1 */
	assert_int_equal(hs_manifest_total_bytes(m), 5 + 0 + 4 + SPARSE_SIZE + 4);
	if (hashed)
		assert_string_equal(hs_manifest_hash_algorithm(m), "xxh3-128");
	else
		assert_null(hs_manifest_hash_algorithm(m));
}

static void test_scan_types(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL, *n = NULL;

	build_tree(f);
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, NULL, NULL), 0);
	check_tree(f, m, true);
	assert_int_equal(hs_manifest_scan(f->ctx, &n, f->fd, HS_MANIFEST_NO_HASH, NULL, NULL), 0);
	check_tree(f, n, false);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
}

/* The same bytes from 1 and 4 threads, and from the fallbacks. */
static void test_scan_threads_and_fallbacks(void **state)
{
	fixture *f = *state;
	_cleanup_buf_ hs_buf ref = {0};
	char rel[64];

	build_tree(f);
	for (int d = 0; d < 20; d++) {
		snprintf(rel, sizeof(rel), "many/%02d/sub", d);
		tree_mkdir(f->dir, rel);
		for (int i = 0; i < 40; i++) {
			snprintf(rel, sizeof(rel), "many/%02d/%c%d", d, i % 2 ? 'a' : 'B', i);
			put(f, rel, rel, strlen(rel), 0644);
			snprintf(rel, sizeof(rel), "many/%02d/sub/%d", d, i);
			put(f, rel, rel, strlen(rel) / 2, 0600);
		}
	}
	for (int round = 0; round < 4; round++) {
		_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
		_cleanup_buf_ hs_buf text = {0};

		hs_manifest_threads = round == 0 ? 1 : 4;
		hs_manifest_test_no_xattrat = round == 2;
		hs_manifest_test_no_openat2 = round >= 2;
		assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, NULL, NULL), 0);
		assert_int_equal(hs_manifest_count(m), (f->have_dev ? 18 : 17) + 1 + 20 * 2 + 20 * 80);
		assert_int_equal(hs_manifest_format(m, &text), 0);
		if (round == 0)
			assert_int_equal(hs_buf_append(&ref, text.p, text.len), 0);
		else
			assert_memory_equal(text.p, ref.p, ref.len < text.len ? ref.len : text.len);
		assert_int_equal(text.len, ref.len);
	}
}

/* A name list and a value longer than the first buffer the scan offers the kernel (the retry with the exact
 * size), on both the *xattrat system calls and the /proc/self/fd fallback, on a file and a directory. */
static void test_scan_big_xattrs(void **state)
{
	fixture *f = *state;
	_cleanup_buf_ hs_buf want = {0};
	char value[2000], name[64];

	memset(value, 'v', sizeof(value));
	put(f, "x", "x", 1, 0644);
	tree_mkdir(f->dir, "xd");
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user.a-rather-long-attribute-name-%02d", i);
		assert_int_equal(setxattr(at(f, "x"), name, "1", 1, 0), 0);
		assert_int_equal(setxattr(at(f, "xd"), name, "1", 1, 0), 0);
		assert_int_equal(hs_buf_printf(&want, "%s=31\n", name), 0);
	}
	assert_int_equal(setxattr(at(f, "x"), "user.big", value, sizeof(value), 0), 0);
	assert_int_equal(setxattr(at(f, "xd"), "user.big", value, sizeof(value), 0), 0);
	assert_int_equal(hs_buf_puts(&want, "user.big="), 0);
	for (size_t i = 0; i < sizeof(value); i++)
		assert_int_equal(hs_buf_puts(&want, "76"), 0);
	for (int round = 0; round < 2; round++) {
		_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;

		hs_manifest_test_no_xattrat = round == 1;
		assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, HS_MANIFEST_NO_HASH, NULL, NULL), 0);
		assert_string_equal(must_find(m, "x")->xattrs, want.p);
		assert_string_equal(must_find(m, "xd")->xattrs, want.p);
	}
}

typedef struct progress_log {
	unsigned calls, cancel_after;
	uint64_t files_total, bytes_total, files_done, bytes_done;
	const char *touch; /* appended to at the first hashing report */
} progress_log;

static int on_progress(const hs_progress *p, void *userdata)
{
	progress_log *l = userdata;

	l->calls++;
	assert_true(p->files_total == 0 || p->files_done <= p->files_total);
	assert_true(p->bytes_total == 0 || p->bytes_done <= p->bytes_total);
	if (p->files_total) {
		l->files_total = p->files_total;
		l->bytes_total = p->bytes_total;
		if (l->touch) {
			int fd = open(l->touch, O_WRONLY | O_APPEND | O_CLOEXEC);

			assert_true(fd >= 0);
			assert_int_equal(write(fd, "!", 1), 1);
			close(fd);
			l->touch = NULL;
		}
	}
	l->files_done = p->files_done;
	l->bytes_done = p->bytes_done;
	return l->cancel_after && l->calls >= l->cancel_after;
}

static void test_progress_cancel_changed(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	progress_log l = {0};

	build_tree(f);
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, on_progress, &l), 0);
	/* regular files, the hardlink group once: d/f empty h1-group sparse bad new with acl */
	assert_int_equal(l.files_total, 8);
	assert_int_equal(l.bytes_total, hs_manifest_total_bytes(m));
	assert_int_equal(l.files_done, l.files_total);
	assert_int_equal(l.bytes_done, l.bytes_total);

	hs_manifest_free(m);
	m = NULL;
	l = (progress_log){ .cancel_after = 1 };
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, on_progress, &l), -ECANCELED);
	assert_int_equal(hs_ctx_last_errno(f->ctx), -ECANCELED);

	/* a file that grows between the metadata and the content pass: its hash would describe neither state */
	hs_manifest_threads = 1;
	l = (progress_log){ .touch = at(f, "d/f") };
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, on_progress, &l), -EBUSY);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "./d/f: changed during the scan"));
}

static void test_mountpoint(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	const hs_manifest_entry *e;

	tree_mkdir(f->dir, "mnt");
	put(f, "z", "z", 1, 0644);
	if (mount("hs-test", at(f, "mnt"), "tmpfs", 0, "size=1m") < 0)
		skip();
	put(f, "mnt/inside", "i", 1, 0644);
	/* a bind mount of the same file system: the same st_dev, a mount all the same */
	tree_mkdir(f->dir, "bind");
	tree_mkdir(f->dir, "src");
	put(f, "src/s", "s", 1, 0644);
	if (mount(at(f, "src"), at(f, "bind"), NULL, MS_BIND, NULL) < 0) {
		umount2(at(f, "mnt"), MNT_DETACH);
		skip();
	}
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, NULL, NULL), 0);
	umount2(at(f, "mnt"), MNT_DETACH);
	umount2(at(f, "bind"), MNT_DETACH);
	e = must_find(m, "mnt");
	assert_true(e->mountpoint);
	assert_true(S_ISDIR(e->mode));
	assert_null(e->hash);
	assert_null(hs_manifest_find(m, "mnt/inside"));
	assert_true(must_find(m, "bind")->mountpoint);
	assert_null(hs_manifest_find(m, "bind/s"));
	assert_false(must_find(m, "src")->mountpoint);
	assert_non_null(hs_manifest_find(m, "src/s"));
	assert_int_equal(hs_manifest_count(m), 6);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 2);
	assert_non_null(strstr(hs_ctx_warning(f->ctx, 0), "./bind: another file system is mounted here"));
	assert_non_null(strstr(hs_ctx_warning(f->ctx, 1), "./mnt: another file system is mounted here"));
}

static void test_round_trip(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL, *back = NULL, *back2 = NULL;
	_cleanup_buf_ hs_buf a = {0}, b = {0};
	char out[600], out2[640];
	struct stat st;
	DIR *d;
	struct dirent *de;
	int files = 0;
	size_t len;
	_cleanup_free_ char *text = NULL, *text2 = NULL;

	build_tree(f);
	snprintf(out, sizeof(out), "%s.out", f->dir);
	assert_int_equal(mkdir(out, 0700), 0);
	strcat(out, "/m.txt");
	snprintf(out2, sizeof(out2), "%s2", out);
	assert_int_equal(hs_manifest_scan(f->ctx, &m, f->fd, 0, NULL, NULL), 0);
	assert_int_equal(hs_manifest_save(f->ctx, m, out), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(hs_manifest_load(f->ctx, &back, out), 0);
	check_tree(f, back, true);
	assert_int_equal(hs_manifest_format(m, &a), 0);
	assert_int_equal(hs_manifest_format(back, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	/* names are escaped: one line per entry, whatever bytes they hold */
	assert_non_null(strstr(a.p, "\nnew\\x0aline f "));
	assert_non_null(strstr(a.p, "\nbad\\xff\\xfe f "));
	assert_non_null(strstr(a.p, "\nwith\\x20space f "));
	assert_non_null(strstr(a.p, " xattr=user.bin=0001\\x0auser.note=7631\n"));
	assert_int_equal(strncmp(a.p, "homesetup-manifest 1 xxh3-128\n. d ", 34), 0);

	/* saving what was loaded writes the same bytes */
	assert_int_equal(hs_manifest_save(f->ctx, back, out2), 0);
	assert_int_equal(hs_manifest_load(f->ctx, &back2, out2), 0);
	assert_int_equal(hs_manifest_count(back2), hs_manifest_count(m));
	{
		FILE *x = fopen(out, "r"), *y = fopen(out2, "r");

		assert_non_null(x);
		assert_non_null(y);
		assert_true(getdelim(&text, &len, '\0', x) > 0);
		assert_true(getdelim(&text2, &len, '\0', y) > 0);
		fclose(x);
		fclose(y);
		assert_string_equal(text, text2);
	}
	/* nothing but the two files is left beside them */
	*strrchr(out, '/') = '\0';
	d = opendir(out);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			files++;
		else
			assert_true(!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]));
	closedir(d);
	assert_int_equal(files, 2);
	tree_rm_rf(out);

	/* a directory that does not exist */
	hs_manifest_free(back);
	back = NULL;
	assert_int_equal(hs_manifest_save(f->ctx, m, "/nonexistent-dir-hs/m.txt"), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/nonexistent-dir-hs/m.txt: cannot open its directory"));
	assert_int_equal(hs_manifest_load(f->ctx, &back, "/nonexistent-dir-hs/m.txt"), -ENOENT);
	assert_null(back);
}

#define HDR "homesetup-manifest 1 xxh3-128\n"
#define HDR0 "homesetup-manifest 1 none\n"
#define TOP ". d 0755 0 0 4096 4096 1700000000.000000000 2\n"
#define H0 "hash=xxh3-128:00000000000000000000000000000000"
#define F(name) name " f 0644 0 0 1 4096 1700000000.000000000 1 " H0 "\n"

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "", "m:1: empty file" },
		{ "homesetup-manifest 1 xxh3-128", "m:1: the last line does not end with a newline" },
		{ "hello\n", "m:1: not a homesetup manifest" },
		{ "homesetup-manifest 2 none\n" TOP, "m:1: this format version is not supported" },
		{ "homesetup-manifest 1 md5\n" TOP, "m:1: unknown hash algorithm" },
		{ HDR0, "m:2: no entries" },
		{ HDR F("a"), "m:2: the first entry must be the tree itself" },
		{ HDR ". f 0644 0 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:2: the tree itself must be a directory" },
		{ HDR0 TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:3: hash= in a manifest whose header says 'none'" },
		{ HDR TOP "a f 644 0 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:3: the mode is not 4 octal digits" },
		{ HDR TOP "a f 0648 0 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:3: the mode is not 4 octal digits" },
		{ HDR TOP F("b") F("a"), "m:4: out of order or repeated" },
		{ HDR TOP F("a") F("a"), "m:4: out of order or repeated" },
		{ HDR TOP F("a/b"), "m:3: its directory is not in the manifest" },
		{ HDR TOP F("a") F("a/b"), "m:4: its directory is not in the manifest" },
		{ HDR TOP F("a//b"), "m:3: not a path inside the tree" },
		{ HDR TOP F("a/../b"), "m:3: not a path inside the tree" },
		{ HDR TOP F("a\\x2"), "m:3: the path: a backslash must start \\xHH" },
		{ HDR TOP F("a\\x00"), "m:3: the path: a NUL byte" },
		{ HDR TOP "a\rb f 0644 0 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:3: the path: control byte 0x0d" },
		{ HDR TOP "a f 0644 0 0 01 4096 1700000000.000000000 1 " H0 "\n", "m:3: the size is not a decimal number" },
		{ HDR TOP "a f 0644 4294967296 0 1 4096 1700000000.000000000 1 " H0 "\n", "m:3: the uid is out of range" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.5 1 " H0 "\n", "m:3: the mtime is not SECONDS.NANOSECONDS" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000\n", "m:3: the link count is missing" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 " H0 " \n", "m:3: a space at the end of the line" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000  1 " H0 "\n", "m:3: the link count is empty" },
		{ HDR TOP "a l 0777 0 0 1 0 1700000000.000000000 1\n", "m:3: a symlink without target=" },
		{ HDR TOP "a c 0600 0 0 0 0 1700000000.000000000 1\n", "m:3: a device without rdev=" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 rdev=1:3 " H0 "\n", "m:3: rdev= on an entry that is not a device" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 2 link=b " H0 "\n", "m:3: link= does not name an earlier regular file" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 foo=1 " H0 "\n", "m:3: unknown field" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 " H0 " target=x\n", "m:3: field repeated or out of order" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 " H0 " " H0 "\n", "m:3: field repeated or out of order" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 hash=md5:00\n", "m:3: the hash is not" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1\n", "m:3: a regular file without hash=" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 1 xattr=\n", "m:3: the field 'xattr' is empty" },
		{ HDR TOP "a d 0755 0 0 1 4096 1700000000.000000000 1 mount=1 xattr=u=00\n", "m:3: field repeated or out of order" },
		{ HDR TOP "a d 0755 0 0 1 4096 1700000000.000000000 1 xattr=u=00 mount=1\n", "m:3: a mount point with contents" },
		{ HDR TOP F("a") "\n", "m:4: an empty line" },
		{ HDR TOP "a f 0644 0 0 1 4096 1700000000.000000000 2 " H0 "\n"
		      "b f 0644 0 0 1 4096 1700000000.000000000 2 link=a hash=xxh3-128:00000000000000000000000000000001\n",
		  "m:4: the hash differs from that of its hardlink group's first file" },
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_manifest *m = NULL;
		int r = hs_manifest_parse(ctx, &m, "m", cases[i].text, strlen(cases[i].text));

		if (r != -EINVAL || !strstr(hs_ctx_last_error(ctx), cases[i].error))
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, hs_ctx_last_error(ctx), cases[i].error);
		assert_null(m);
	}
	/* and what is valid: negative mtimes, escapes, devices, links, a mount point, a dir's contents after it */
	{
		static const char ok[] = HDR TOP
			"a d 0755 0 0 1 4096 -5.000000001 2\n"
			"a/x f 0644 0 0 1 4096 0.000000000 2 " H0 "\n"
			"a-b f 0644 0 0 1 4096 0.000000000 2 link=a/x " H0 "\n"
			"c c 0600 0 0 0 0 0.000000000 1 rdev=4294967295:7\n"
			"m d 0755 0 0 1 4096 0.000000000 1 mount=1\n"
			"n\\x0a\\xff\xc3\xa9 l 0777 0 0 1 0 0.000000000 1 target=/\n";
		_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
		_cleanup_buf_ hs_buf b = {0};

		assert_int_equal(hs_manifest_parse(ctx, &m, "m", ok, sizeof(ok) - 1), 0);
		assert_int_equal(hs_manifest_count(m), 7);
		assert_int_equal(must_find(m, "a")->mtime_sec, -5);
		assert_int_equal(must_find(m, "a")->mtime_nsec, 1);
		assert_string_equal(must_find(m, "a-b")->hardlink_of, "a/x");
		assert_int_equal(major(must_find(m, "c")->rdev), 4294967295u);
		assert_true(must_find(m, "m")->mountpoint);
		assert_string_equal(must_find(m, "n\n\xff\xc3\xa9")->link_target, "/");
		assert_int_equal(hs_manifest_total_bytes(m), 1);
		assert_int_equal(hs_manifest_format(m, &b), 0);
		assert_string_equal(b.p, ok);
	}
	hs_ctx_free(ctx);
}

/* ---- comparison ---------------------------------------------------------------------------------------- */

static const char *const base[] = {
	"homesetup-manifest 1 xxh3-128",
	". d 0755 1000 1000 4096 4096 1700000000.000000000 3",
	"a f 0644 1000 1000 5 4096 1700000000.000000001 2 hash=xxh3-128:00000000000000000000000000000001 xattr=user.a=31",
	"b f 0644 1000 1000 5 4096 1700000000.000000001 2 link=a hash=xxh3-128:00000000000000000000000000000001",
	"c f 0640 1000 1000 3 4096 1700000000.000000002 1 hash=xxh3-128:00000000000000000000000000000002 "
	"acl=user::rw-,user:1000:r--,group::r--,mask::r--,other::---",
	"dev c 0600 0 0 0 0 1700000000.000000003 1 rdev=1:3",
	"dir d 0755 1000 1000 4096 4096 1700000000.000000004 2 dacl=user::rwx,group::r-x,other::r-x",
	"dir/x f 0644 1000 1000 0 0 1700000000.000000005 1 hash=xxh3-128:00000000000000000000000000000000",
	"fifo p 0644 1000 1000 0 0 1700000000.000000006 1",
	"sym l 0777 1000 1000 1 0 1700000000.000000007 1 target=a",
};

/* @text with every @from replaced by @to (malloc'd); *count gets the number of replacements. */
static char *replace_all(const char *text, const char *from, const char *to, size_t *count)
{
	_cleanup_buf_ hs_buf b = {0};
	const char *p = text, *q;
	size_t n = 0;

	while ((q = strstr(p, from))) {
		assert_int_equal(hs_buf_append(&b, p, (size_t)(q - p)), 0);
		assert_int_equal(hs_buf_puts(&b, to), 0);
		p = q + strlen(from);
		n++;
	}
	assert_int_equal(hs_buf_puts(&b, p), 0);
	if (count)
		*count = n;
	return hs_buf_steal(&b);
}

/* The base text with line @idx replaced by @line (NULL: deleted), or @line inserted before it. */
static char *variant(size_t idx, const char *line, bool insert)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; i < ELEMENTSOF(base); i++) {
		if (i == idx && line) {
			assert_int_equal(hs_buf_puts(&b, line), 0);
			assert_int_equal(hs_buf_putc(&b, '\n'), 0);
		}
		if (i == idx && !insert)
			continue;
		assert_int_equal(hs_buf_puts(&b, base[i]), 0);
		assert_int_equal(hs_buf_putc(&b, '\n'), 0);
	}
	return hs_buf_steal(&b);
}

static hs_manifest *parse_text(hs_ctx *ctx, const char *text)
{
	hs_manifest *m = NULL;

	if (hs_manifest_parse(ctx, &m, "t", text, strlen(text)) < 0)
		fail_msg("%s", hs_ctx_last_error(ctx));
	return m;
}

static hs_verify_result *diff(hs_ctx *ctx, const char *old_text, const char *new_text, const hs_verify_options *o)
{
	_cleanup_(hs_manifest_freep) hs_manifest *a = parse_text(ctx, old_text), *b = parse_text(ctx, new_text);
	hs_verify_result *res = NULL;

	assert_int_equal(hs_manifest_compare(ctx, a, b, o, &res), 0);
	return res;
}

static void test_compare_kinds(void **state)
{
	static const struct {
		size_t line;
		const char *text;
		bool insert;
		const char *path, *what, *old_value, *new_value;
		unsigned count; /* differences expected in all (0: 1) */
	} cases[] = {
		{ 8, NULL, false, "fifo", "missing", "fifo", NULL, 0 },
		{ 8, "e p 0644 1000 1000 0 0 1700000000.000000006 1", true, "e", "extra", NULL, "fifo", 0 },
		{ 8, "fifo s 0644 1000 1000 0 0 1700000000.000000006 1", false, "fifo", "type", "fifo", "socket", 0 },
		{ 4, "c f 0600 1000 1000 3 4096 1700000000.000000002 1 hash=xxh3-128:00000000000000000000000000000002 "
		     "acl=user::rw-,user:1000:r--,group::r--,mask::r--,other::---", false, "c", "mode", "0640", "0600", 0 },
		{ 7, "dir/x f 0644 1001 1000 0 0 1700000000.000000005 1 hash=xxh3-128:00000000000000000000000000000000",
		  false, "dir/x", "owner", "1000:1000", "1001:1000", 0 },
		{ 7, "dir/x f 0644 1000 1000 1 0 1700000000.000000005 1 hash=xxh3-128:00000000000000000000000000000000",
		  false, "dir/x", "size", "0", "1", 0 },
		{ 9, "sym l 0777 1000 1000 1 0 1700000001.000000007 1 target=a", false, "sym", "mtime",
		  "2023-11-14T22:13:20.000000007Z", "2023-11-14T22:13:21.000000007Z", 0 },
		{ 4, "c f 0640 1000 1000 3 4096 1700000000.000000002 1 hash=xxh3-128:00000000000000000000000000000003 "
		     "acl=user::rw-,user:1000:r--,group::r--,mask::r--,other::---", false, "c", "content",
		  "xxh3-128:00000000000000000000000000000002", "xxh3-128:00000000000000000000000000000003", 0 },
		{ 9, "sym l 0777 1000 1000 1 0 1700000000.000000007 1 target=b", false, "sym", "link", "a", "b", 0 },
		{ 3, "b f 0644 1000 1000 5 4096 1700000000.000000001 1 hash=xxh3-128:00000000000000000000000000000001",
		  false, "a", "hardlink", "one of 2 hardlinked paths, the first a", "not hardlinked within the tree", 2 },
		{ 2, "a f 0644 1000 1000 5 4096 1700000000.000000001 2 hash=xxh3-128:00000000000000000000000000000001 "
		     "xattr=user.a=32", false, "a", "xattr", "user.a=31", "user.a=32", 0 },
		{ 2, "a f 0644 1000 1000 5 4096 1700000000.000000001 2 hash=xxh3-128:00000000000000000000000000000001 "
		     "xattr=user.a=31\\x0auser.b=", false, "a", "xattr", NULL, "user.b=", 0 },
		{ 4, "c f 0640 1000 1000 3 4096 1700000000.000000002 1 hash=xxh3-128:00000000000000000000000000000002 "
		     "acl=user::rw-,user:1000:r--,group::r--,mask::r--,other::r--", false, "c", "acl",
		  "user::rw-,user:1000:r--,group::r--,mask::r--,other::---",
		  "user::rw-,user:1000:r--,group::r--,mask::r--,other::r--", 0 },
		{ 4, "c f 0640 1000 1000 3 4096 1700000000.000000002 1 hash=xxh3-128:00000000000000000000000000000002",
		  false, "c", "acl", "user::rw-,user:1000:r--,group::r--,mask::r--,other::---", NULL, 0 },
		{ 6, "dir d 0755 1000 1000 4096 4096 1700000000.000000004 2 dacl=user::rwx,group::r-x,other::---", false,
		  "dir", "acl", "default:user::rwx,default:group::r-x,default:other::r-x",
		  "default:user::rwx,default:group::r-x,default:other::---", 0 },
		{ 5, "dev c 0600 0 0 0 0 1700000000.000000003 1 rdev=1:5", false, "dev", "rdev", "1:3", "1:5", 0 },
		{ 5, "dev b 0600 0 0 0 0 1700000000.000000003 1 rdev=1:3", false, "dev", "type", "character device",
		  "block device", 0 },
	};
	hs_ctx *ctx = NULL;
	_cleanup_free_ char *same = variant(SIZE_MAX, NULL, false);
	_cleanup_free_ char *mount_step = variant(6, "dir d 0755 1000 1000 4096 4096 1700000000.000000004 2 mount=1", false);
	_cleanup_free_ char *mount = replace_all(mount_step, "dir/x f 0644 1000 1000 0 0 1700000000.000000005 1 "
						 "hash=xxh3-128:00000000000000000000000000000000\n", "", NULL);

	assert_int_equal(hs_ctx_new(&ctx), 0);
	{
		hs_verify_result *res = diff(ctx, same, mount, NULL);

		/* a directory that became a mount point: its contents were not scanned, and are missing */
		assert_int_equal(hs_verify_result_count(res), 2);
		assert_string_equal(hs_verify_result_get(res, 0)->what, "type");
		assert_string_equal(hs_verify_result_get(res, 0)->new_value, "mount point");
		assert_string_equal(hs_verify_result_get(res, 1)->what, "missing");
		assert_string_equal(hs_verify_result_get(res, 1)->path, "dir/x");
		hs_verify_result_free(res);
	}
	{
		hs_verify_result *res = diff(ctx, same, same, NULL);

		assert_int_equal(hs_verify_result_count(res), 0);
		assert_int_equal(hs_verify_result_unexpected(res), 0);
		assert_null(hs_verify_result_get(res, 0));
		hs_verify_result_free(res);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = variant(cases[i].line, cases[i].text, cases[i].insert);
		hs_verify_result *res = diff(ctx, same, text, NULL);
		unsigned want = cases[i].count ? cases[i].count : 1;
		const hs_verify_diff *d = hs_verify_result_get(res, 0);

		if (hs_verify_result_count(res) != want || !d || strcmp(d->path, cases[i].path) != 0 ||
		    strcmp(d->what, cases[i].what) != 0)
			fail_msg("case %zu (%s): %zu differences, the first %s %s", i, cases[i].what,
				 hs_verify_result_count(res), d ? d->path : "-", d ? d->what : "-");
		assert_int_equal(hs_verify_result_unexpected(res), want);
		if (cases[i].old_value)
			assert_string_equal(d->old_value, cases[i].old_value);
		else
			assert_null(d->old_value);
		if (cases[i].new_value)
			assert_string_equal(d->new_value, cases[i].new_value);
		else
			assert_null(d->new_value);
		assert_false(d->expected);
		assert_null(d->reason);
		hs_verify_result_free(res);
	}
	hs_ctx_free(ctx);
}

/* What rsync -aHAX does not preserve, or a different file system changes, is not a difference. */
static void test_compare_not_more(void **state)
{
	static const struct {
		size_t line;
		const char *text;
	} cases[] = {
		{ 9, "sym l 0755 1000 1000 1 0 1700000000.000000007 1 target=a" },     /* a symlink's mode */
		{ 6, "dir d 0755 1000 1000 12 0 1700000000.000000004 7 dacl=user::rwx,group::r-x,other::r-x" }, /* st_size, blocks, nlink */
		{ 7, "dir/x f 0644 1000 1000 0 8192 1700000000.000000005 1 hash=xxh3-128:00000000000000000000000000000000" },
		{ 8, "fifo p 0644 1000 1000 7 0 1700000000.000000006 1" },
		{ 2, "a f 0644 1000 1000 5 4096 1700000000.000000001 3 hash=xxh3-128:00000000000000000000000000000001 xattr=user.a=31" },
	};
	hs_ctx *ctx = NULL;
	_cleanup_free_ char *same = variant(SIZE_MAX, NULL, false);

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = variant(cases[i].line, cases[i].text, false);
		hs_verify_result *res = diff(ctx, same, text, NULL);

		if (hs_verify_result_count(res) != 0)
			fail_msg("case %zu: %s %s reported", i, hs_verify_result_get(res, 0)->path,
				 hs_verify_result_get(res, 0)->what);
		hs_verify_result_free(res);
	}
	/* a manifest without hashes: contents are not compared (and the rest is) */
	{
		_cleanup_buf_ hs_buf b = {0};
		hs_verify_result *res;

		assert_int_equal(hs_buf_puts(&b, "homesetup-manifest 1 none\n"), 0);
		for (size_t i = 1; i < ELEMENTSOF(base); i++) {
			const char *h = strstr(base[i], " hash=");

			assert_int_equal(hs_buf_append(&b, base[i], h ? (size_t)(h - base[i]) : strlen(base[i])), 0);
			if (h && strchr(h + 1, ' '))
				assert_int_equal(hs_buf_puts(&b, strchr(h + 1, ' ')), 0);
			assert_int_equal(hs_buf_putc(&b, '\n'), 0);
		}
		res = diff(ctx, same, b.p, NULL);
		assert_int_equal(hs_verify_result_count(res), 0);
		hs_verify_result_free(res);
	}
	hs_ctx_free(ctx);
}

static void test_compare_expected(void **state)
{
	hs_ctx *ctx = NULL;
	_cleanup_free_ char *same = variant(SIZE_MAX, NULL, false);
	_cleanup_free_ char *identity = variant(2, ".identity f 0600 1000 1000 10 4096 1700000000.000000000 1 "
						"hash=xxh3-128:00000000000000000000000000000009", true);
	_cleanup_free_ char *top = variant(1, ". d 0700 1000 1000 4096 4096 1700000009.000000000 3", false);
	hs_verify_result *res;
	const hs_verify_diff *d;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* homed's .identity: expected by default, and named */
	res = diff(ctx, same, identity, NULL);
	assert_int_equal(hs_verify_result_count(res), 1);
	assert_int_equal(hs_verify_result_unexpected(res), 0);
	d = hs_verify_result_get(res, 0);
	assert_string_equal(d->path, ".identity");
	assert_string_equal(d->what, "extra");
	assert_true(d->expected);
	assert_non_null(strstr(d->reason, "~/.identity"));
	hs_verify_result_free(res);
	/* writing it changed the top directory's mtime: expected too, and said why; a mode change is not */
	{
		_cleanup_free_ char *both = replace_all(identity, ". d 0755 1000 1000 4096 4096 1700000000.000000000 3",
							". d 0755 1000 1000 4096 4096 1700000077.000000000 3", NULL);
		_cleanup_free_ char *mode = replace_all(both, ". d 0755", ". d 0711", NULL);

		res = diff(ctx, same, both, NULL);
		assert_int_equal(hs_verify_result_count(res), 2);
		assert_int_equal(hs_verify_result_unexpected(res), 0);
		d = hs_verify_result_get(res, 0);
		assert_string_equal(d->what, "mtime");
		assert_string_equal(d->path, ".");
		assert_non_null(strstr(d->reason, "mtime changes when .identity is written into it"));
		hs_verify_result_free(res);
		res = diff(ctx, same, mode, NULL);
		assert_int_equal(hs_verify_result_count(res), 3);
		assert_int_equal(hs_verify_result_unexpected(res), 1);
		assert_string_equal(hs_verify_result_get(res, 0)->what, "mode");
		hs_verify_result_free(res);
		/* without .identity in the new tree, the same mtime is unexpected */
		_cleanup_free_ char *alone = replace_all(same, "1700000000.000000000 3", "1700000077.000000000 3", NULL);
		res = diff(ctx, same, alone, NULL);
		assert_int_equal(hs_verify_result_unexpected(res), 1);
		hs_verify_result_free(res);
	}
	/* ... unless the caller names other paths */
	{
		static const char *const none[] = { NULL };
		static const char *const dir[] = { "dir", NULL };
		hs_verify_options o = { .expected_extra = none, .uid_from = -1, .uid_to = -1, .gid_from = -1, .gid_to = -1 };

		res = diff(ctx, same, identity, &o);
		assert_int_equal(hs_verify_result_unexpected(res), 1);
		hs_verify_result_free(res);
		o.expected_extra = dir;
		_cleanup_free_ char *more = variant(8, "dir/y f 0600 1000 1000 0 0 1700000000.000000000 1 "
						    "hash=xxh3-128:00000000000000000000000000000000", true);
		res = diff(ctx, same, more, &o);
		assert_int_equal(hs_verify_result_count(res), 1);
		assert_int_equal(hs_verify_result_unexpected(res), 0);
		assert_string_equal(hs_verify_result_get(res, 0)->path, "dir/y");
		hs_verify_result_free(res);
	}

	/* the top directory: compared, unless ignore_top, and then named */
	res = diff(ctx, same, top, NULL);
	assert_int_equal(hs_verify_result_count(res), 2);
	assert_int_equal(hs_verify_result_unexpected(res), 2);
	assert_string_equal(hs_verify_result_get(res, 0)->what, "mode");
	assert_string_equal(hs_verify_result_get(res, 1)->what, "mtime");
	hs_verify_result_free(res);
	{
		hs_verify_options o = { .ignore_top = true, .uid_from = -1, .uid_to = -1, .gid_from = -1, .gid_to = -1 };

		res = diff(ctx, same, top, &o);
		assert_int_equal(hs_verify_result_count(res), 2);
		assert_int_equal(hs_verify_result_unexpected(res), 0);
		assert_non_null(strstr(hs_verify_result_get(res, 0)->reason, "top directory"));
		hs_verify_result_free(res);
	}

	/* an announced ownership shift, ACL entries included; other owners stay unexpected */
	{
		hs_verify_options o = { .uid_from = 1000, .uid_to = 60001, .gid_from = 1000, .gid_to = 60001 };
		size_t owners = 0;
		_cleanup_free_ char *step = replace_all(same, " 1000 1000 ", " 60001 60001 ", &owners);
		_cleanup_free_ char *text = replace_all(step, "user:1000:", "user:60001:", NULL);

		assert_int_equal(owners, 8);
		res = diff(ctx, same, text, &o);
		assert_int_equal(hs_verify_result_count(res), owners + 1);
		assert_int_equal(hs_verify_result_unexpected(res), 0);
		for (size_t i = 0; i < hs_verify_result_count(res); i++) {
			d = hs_verify_result_get(res, i);
			assert_true(strcmp(d->what, "owner") == 0 || strcmp(d->what, "acl") == 0);
			assert_non_null(strstr(d->reason, "uid 1000 -> 60001, gid 1000 -> 60001"));
		}
		hs_verify_result_free(res);
		/* without the announcement every one of them is unexpected */
		res = diff(ctx, same, text, NULL);
		assert_int_equal(hs_verify_result_unexpected(res), owners + 1);
		hs_verify_result_free(res);
		/* a shift to another uid than announced is not the announced one */
		o.uid_to = 60002;
		res = diff(ctx, same, text, &o);
		assert_int_equal(hs_verify_result_unexpected(res), owners + 1);
		hs_verify_result_free(res);
	}
	hs_ctx_free(ctx);
}

/* Two scanned trees: a copy is clean; one change of each kind is found. */
static void test_compare_trees(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_manifest_freep) hs_manifest *a = NULL, *b = NULL;
	hs_verify_result *res = NULL;
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
	struct stat st;
	int fd;

	build_tree(f);
	assert_int_equal(hs_manifest_scan(f->ctx, &a, f->fd, 0, NULL, NULL), 0);
	assert_int_equal(hs_manifest_scan(f->ctx, &b, f->fd, 0, NULL, NULL), 0);
	assert_int_equal(hs_manifest_compare(f->ctx, a, b, NULL, &res), 0);
	assert_int_equal(hs_verify_result_count(res), 0);
	hs_verify_result_free(res);
	hs_manifest_free(b);
	b = NULL;

	/* same size, same mtime, one byte different: only the hash can tell */
	assert_int_equal(stat(at(f, "d/f"), &st), 0);
	fd = open(at(f, "d/f"), O_WRONLY | O_CLOEXEC);
	assert_int_equal(pwrite(fd, "j", 1, 0), 1);
	ts[1] = st.st_mtim;
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(hs_manifest_scan(f->ctx, &b, f->fd, 0, NULL, NULL), 0);
	assert_int_equal(hs_manifest_compare(f->ctx, a, b, NULL, &res), 0);
	assert_int_equal(hs_verify_result_count(res), 1);
	assert_string_equal(hs_verify_result_get(res, 0)->what, "content");
	assert_string_equal(hs_verify_result_get(res, 0)->path, "d/f");
	hs_verify_result_free(res);
}

static void test_escape_and_order(void **state)
{
	_cleanup_free_ char *e = hs_manifest_escape("a b\\c\n\t\x7f\xff\xc3\xa9\xc2\x85\xed\xa0\x80z");

	assert_string_equal(e, "a b\\x5cc\\x0a\\x09\\x7f\\xffé\\xc2\\x85\\xed\\xa0\\x80z");
	assert_null(hs_manifest_escape(NULL));
	assert_true(hs_manifest_path_cmp(".", "-") < 0);
	assert_true(hs_manifest_path_cmp("a", "a/x") < 0);
	assert_true(hs_manifest_path_cmp("a/x", "a-b") < 0);
	assert_true(hs_manifest_path_cmp("a/x/y", "a-b") < 0);
	assert_true(hs_manifest_path_cmp("ab/c", "a/x") > 0);
	assert_true(hs_manifest_path_cmp("a\xff", "b") < 0);
	assert_true(hs_manifest_path_cmp("d/f", "d") > 0);
	assert_true(hs_manifest_path_cmp("d", "d/f") < 0);
	assert_int_equal(hs_manifest_path_cmp("a/b", "a/b"), 0);
	assert_int_equal(hs_manifest_count(NULL), 0);
	assert_null(hs_manifest_get(NULL, 0));
	assert_null(hs_manifest_find(NULL, "."));
	hs_manifest_free(NULL);
	hs_verify_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_threads_and_fallbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_big_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_cancel_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mountpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_compare_kinds),
		cmocka_unit_test(test_compare_not_more),
		cmocka_unit_test(test_compare_expected),
		cmocka_unit_test_setup_teardown(test_compare_trees, setup, teardown),
		cmocka_unit_test(test_escape_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
