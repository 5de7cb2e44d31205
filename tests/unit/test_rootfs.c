/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

/* ---- a Gentoo-shaped tree in /tmp ------------------------------------------------------------------------ */

static char tree[64];

static void mkdirs(const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	for (char *s = p + strlen(tree) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void put(const char *rel, const char *content)
{
	char p[512];
	FILE *f;
	char *slash;

	snprintf(p, sizeof(p), "%s", rel);
	slash = strrchr(p, '/');
	if (slash) {
		*slash = '\0';
		mkdirs(p);
	}
	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void link_to(const char *rel, const char *target)
{
	char p[1400];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	unlink(p);
	assert_int_equal(symlink(target, p), 0);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup_tree(void **state)
{
	strcpy(tree, "/tmp/hs-rootfs-XXXXXX");
	assert_non_null(mkdtemp(tree));
	/* the host's own file must never be what we read */
	put("etc/passwd", "inside\n");
	put("etc/portage/real.conf", "USE=\"real\"\n");
	link_to("etc/portage/make.conf", "../../../../../../../../etc/passwd");
	link_to("etc/portage/abs.conf", "/etc/passwd");
	link_to("up", "../../..");
	link_to("etc/portage/chain1", "chain2");
	link_to("etc/portage/chain2", "/up/up/etc/portage/real.conf");
	link_to("loop-a", "loop-b");
	link_to("loop-b", "loop-a");
	mkdirs("var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd");
	link_to("etc/portage/make.profile", "../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd");
	link_to("etc/portage/abs-profile", "/var/db/repos/gentoo/profiles/./default/linux/../linux/amd64/23.0/systemd");
	/* a chain of 40 links resolves, 41 do not */
	put("hop/target", "t\n");
	for (int i = 0; i <= 41; i++) {
		char name[32], target[32];

		snprintf(name, sizeof(name), "hop/l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "target");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		link_to(name, target);
	}
	return 0;
}

static int teardown_tree(void **state)
{
	hs_rootfs_force_fallback(false);
	nftw(tree, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static hs_ctx *new_ctx(void)
{
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tree), 0);
	return ctx;
}

static char *read_in_root(hs_ctx *ctx, const char *path, int *err)
{
	char *data = NULL;
	size_t len = 0;

	*err = hs_root_read_file(ctx, HS_ROOT_SYS, path, 1 << 20, &data, &len);
	if (*err == 0)
		assert_int_equal(strlen(data), len);
	return data;
}

/* Both resolvers must give the same confined answers. */
static void check_confinement(void)
{
	hs_ctx *ctx = new_ctx();
	char *s;
	int r;

	/* a relative link that climbs far above the tree lands on the tree's /etc/passwd */
	s = read_in_root(ctx, "/etc/portage/make.conf", &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "inside\n");
	free(s);
	/* an absolute link restarts at the tree's root */
	s = read_in_root(ctx, "/etc/portage/abs.conf", &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "inside\n");
	free(s);
	/* a directory link to ../../.. stays at the root however often it is crossed */
	s = read_in_root(ctx, "/up/up/up/etc/passwd", &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "inside\n");
	free(s);
	/* ".." in the path itself stops at the root too */
	s = read_in_root(ctx, "/../../../etc/./passwd", &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "inside\n");
	free(s);
	s = read_in_root(ctx, "/etc/portage/chain1", &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "USE=\"real\"\n");
	free(s);
	/* loops and the hop limit */
	hs_ctx_clear_error(ctx);
	s = read_in_root(ctx, "/loop-a", &r);
	assert_null(s);
	assert_int_equal(r, -ELOOP);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "/loop-a"));
	s = read_in_root(ctx, "/hop/l39", &r); /* 40 links */
	assert_int_equal(r, 0);
	free(s);
	s = read_in_root(ctx, "/hop/l40", &r); /* 41 links */
	assert_int_equal(r, -ELOOP);
	/* missing: -ENOENT without a message */
	hs_ctx_clear_error(ctx);
	s = read_in_root(ctx, "/etc/portage/nope", &r);
	assert_int_equal(r, -ENOENT);
	assert_string_equal(hs_ctx_last_error(ctx), "");
	/* a file used as a directory */
	assert_int_equal(hs_root_open(ctx, HS_ROOT_SYS, "/etc/passwd/x", O_RDONLY), -ENOTDIR);
	hs_ctx_free(ctx);
}

static void test_confinement_openat2(void **state)
{
	hs_rootfs_force_fallback(false);
	check_confinement();
}

static void test_confinement_walk(void **state)
{
	hs_rootfs_force_fallback(true);
	check_confinement();
	hs_rootfs_force_fallback(false);
}

static void check_create(const char *name)
{
	hs_ctx *ctx = new_ctx();
	char p[1200], host[512];
	int fd;

	/* O_CREAT through an escaping link creates the file inside the tree */
	snprintf(p, sizeof(p), "created-%s", name);
	snprintf(host, sizeof(host), "/tmp/hs-rootfs-escape-%s-%d", name, (int)getpid());
	unlink(host);
	{
		char rel[600];

		snprintf(rel, sizeof(rel), "../../../../../..%s", host);
		link_to(p, rel);
	}
	snprintf(p, sizeof(p), "/created-%s", name);
	fd = hs_root_open(ctx, HS_ROOT_SYS, p, O_WRONLY | O_CREAT | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(host, F_OK), -1);
	snprintf(p, sizeof(p), "%s%s", tree, host);
	assert_int_equal(access(p, F_OK), 0);
	/* O_EXCL does not follow the final link */
	snprintf(p, sizeof(p), "/created-%s", name);
	assert_int_equal(hs_root_open(ctx, HS_ROOT_SYS, p, O_WRONLY | O_CREAT | O_EXCL), -EEXIST);
	hs_ctx_free(ctx);
}

static void test_create_inside(void **state)
{
	mkdirs("tmp");
	hs_rootfs_force_fallback(false);
	check_create("openat2");
	hs_rootfs_force_fallback(true);
	check_create("walk");
	hs_rootfs_force_fallback(false);
}

static void test_realpath(void **state)
{
	hs_ctx *ctx = new_ctx();
	char *p = NULL;

	for (int fb = 0; fb < 2; fb++) {
		hs_rootfs_force_fallback(fb);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/portage/make.profile", &p), 0);
		assert_string_equal(p, "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/portage/abs-profile", &p), 0);
		assert_string_equal(p, "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/portage/make.conf", &p), 0);
		assert_string_equal(p, "/etc/passwd");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/up/etc/portage/chain1", &p), 0);
		assert_string_equal(p, "/etc/portage/real.conf");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/", &p), 0);
		assert_string_equal(p, "/");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/up/..", &p), 0);
		assert_string_equal(p, "/");
		free(p);
		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/portage/missing", &p), -ENOENT);
	}
	hs_rootfs_force_fallback(false);
	hs_ctx_free(ctx);

	/* a root reached through a symlink gives the same in-root names */
	{
		char alias[128];

		snprintf(alias, sizeof(alias), "%s-alias", tree);
		unlink(alias);
		assert_int_equal(symlink(tree, alias), 0);
		assert_int_equal(hs_ctx_new(&ctx), 0);
		assert_int_equal(hs_ctx_set_root(ctx, alias), 0);
		for (int fb = 0; fb < 2; fb++) {
			hs_rootfs_force_fallback(fb);
			assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/portage/make.profile", &p), 0);
			assert_string_equal(p, "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd");
			free(p);
		}
		hs_rootfs_force_fallback(false);
		hs_ctx_free(ctx);
		unlink(alias);
	}
}

static void test_config_root_and_stat(void **state)
{
	hs_ctx *ctx = new_ctx();
	char cfg[128];
	struct stat st;

	/* PORTAGE_CONFIGROOT is a root of its own */
	snprintf(cfg, sizeof(cfg), "%s/var", tree);
	assert_int_equal(hs_ctx_set_config_root(ctx, cfg), 0);
	assert_int_equal(hs_root_stat(ctx, HS_ROOT_CONFIG, "/db/repos/gentoo/profiles", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(hs_root_stat(ctx, HS_ROOT_CONFIG, "/etc/passwd", &st), -ENOENT);
	assert_int_equal(hs_root_stat(ctx, HS_ROOT_SYS, "/etc/passwd", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 7);
	/* a root that does not exist is reported */
	assert_int_equal(hs_ctx_set_config_root(ctx, "/nonexistent-hs-root"), 0);
	assert_int_equal(hs_root_stat(ctx, HS_ROOT_CONFIG, "/etc", &st), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "config root '/nonexistent-hs-root'"));
	hs_ctx_free(ctx);
}

static void test_read_file_limits(void **state)
{
	hs_ctx *ctx = new_ctx();
	char p[512];
	char *data = NULL;
	size_t len = 0;
	int fd;

	put("big/file", "0123456789");
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big/file", 10, &data, &len), 0);
	assert_int_equal(len, 10);
	free(data);
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big/file", 9, &data, &len), -EFBIG);
	assert_string_equal(hs_ctx_last_error(ctx), "/big/file: file too large (10 bytes, limit 9)");
	/* a 100 MB sparse file is refused from its size, without reading it */
	snprintf(p, sizeof(p), "%s/big/sparse", tree);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100 << 20), 0);
	close(fd);
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big/sparse", 16 << 20, &data, &len), -EFBIG);
	/* directories and FIFOs are refused (and a FIFO does not block) */
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big", 100, &data, &len), -EISDIR);
	snprintf(p, sizeof(p), "%s/big/fifo", tree);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big/fifo", 100, &data, &len), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "/big/fifo: not a regular file");
	/* an empty file */
	put("big/empty", "");
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_SYS, "/big/empty", 100, &data, NULL), 0);
	assert_string_equal(data, "");
	free(data);
	hs_ctx_free(ctx);
}

static void expect_list(hs_ctx *ctx, const char *path, const char *const *want)
{
	char **got = NULL;
	size_t i;

	assert_int_equal(hs_root_list_config(ctx, HS_ROOT_SYS, path, &got), 0);
	assert_non_null(got);
	for (i = 0; want[i]; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
	hs_strv_free(got);
}

static void test_list_config(void **state)
{
	hs_ctx *ctx = new_ctx();
	static const char *const names[] = { "b", "a", "A", "_z", "10", "9", "x~", ".y", "sub/c", ".hidden/h",
					     "CVS/v", ".git/g", "sub/SCCS/s", "sub/d~/e", "sub/é" };
	char p[512];
	char **got = NULL;

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		snprintf(p, sizeof(p), "etc/portage/package.use/%s", names[i]);
		put(p, "x\n");
	}
	/* the verified order: code-point order, files and directories interleaved, depth first */
	expect_list(ctx, "/etc/portage/package.use",
		    (const char *const[]){ "/etc/portage/package.use/10", "/etc/portage/package.use/9",
					   "/etc/portage/package.use/A", "/etc/portage/package.use/_z",
					   "/etc/portage/package.use/a", "/etc/portage/package.use/b",
					   "/etc/portage/package.use/sub/c", "/etc/portage/package.use/sub/é",
					   NULL });
	/* a file is its own list; filtered names are not read even when named directly */
	expect_list(ctx, "/etc/portage/package.use/a", (const char *const[]){ "/etc/portage/package.use/a", NULL });
	expect_list(ctx, "/etc/portage/package.use/x~", (const char *const[]){ NULL });
	expect_list(ctx, "/etc/portage/nothing-here", (const char *const[]){ NULL });
	/* a trailing slash keeps Python's join */
	expect_list(ctx, "/etc/portage/package.use/sub/",
		    (const char *const[]){ "/etc/portage/package.use/sub/c", "/etc/portage/package.use/sub/é",
					   NULL });
	/* symlinks are followed, inside the root; special files are skipped */
	put("srv/shared/z-shared", "y\n");
	link_to("etc/portage/package.use/linked", "/srv/shared");
	link_to("etc/portage/package.use/linkfile", "../../../srv/shared/z-shared");
	link_to("etc/portage/package.use/dangling", "/nowhere");
	snprintf(p, sizeof(p), "%s/etc/portage/package.use/fifo", tree);
	assert_int_equal(mkfifo(p, 0644), 0);
	expect_list(ctx, "/etc/portage/package.use",
		    (const char *const[]){ "/etc/portage/package.use/10", "/etc/portage/package.use/9",
					   "/etc/portage/package.use/A", "/etc/portage/package.use/_z",
					   "/etc/portage/package.use/a", "/etc/portage/package.use/b",
					   "/etc/portage/package.use/linked/z-shared",
					   "/etc/portage/package.use/linkfile", "/etc/portage/package.use/sub/c",
					   "/etc/portage/package.use/sub/é", NULL });
	/* a directory loop through a symlink is an error, not an endless walk */
	link_to("etc/portage/package.use/sub/again", "..");
	for (int fb = 0; fb < 2; fb++) {
		hs_rootfs_force_fallback(fb);
		assert_int_equal(hs_root_list_config(ctx, HS_ROOT_SYS, "/etc/portage/package.use", &got), -ELOOP);
		assert_null(got);
		assert_non_null(strstr(hs_ctx_last_error(ctx), "/etc/portage/package.use/sub/again: directory loop"));
	}
	hs_rootfs_force_fallback(false);
	hs_ctx_free(ctx);
}

static void test_list_root_confined(void **state)
{
	hs_ctx *ctx = new_ctx();

	/* a directory link pointing at the host's /etc lists the tree's /etc instead */
	mkdirs("conf/env");
	put("etc/env.d/50x", "X=1\n");
	link_to("conf/env/d", "/etc/env.d");
	expect_list(ctx, "/conf/env", (const char *const[]){ "/conf/env/d/50x", NULL });
	hs_ctx_free(ctx);
}

static void test_path_join(void **state)
{
	static const struct {
		const char *dir, *rel, *want;
	} cases[] = {
		{ "/a/b", "../c", "/a/c" },
		{ "/a/b", "c/./d/", "/a/b/c/d" },
		{ "/a", "../../../x", "/x" },
		{ "/", "..", "/" },
		{ "/a/b", "/abs/../x", "/abs/../x" },
		{ "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/no-multilib/hardened/selinux",
		  "../../../../../../../features/selinux", "/var/db/repos/gentoo/profiles/features/selinux" },
		{ "a/b", "../../..", ".." },
		{ "a", "..", "." },
		{ "", "x//y", "x/y" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *p = hs_path_join(cases[i].dir, cases[i].rel);

		assert_non_null(p);
		assert_string_equal(p, cases[i].want);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confinement_openat2),
		cmocka_unit_test(test_confinement_walk),
		cmocka_unit_test(test_create_inside),
		cmocka_unit_test(test_realpath),
		cmocka_unit_test(test_config_root_and_stat),
		cmocka_unit_test(test_read_file_limits),
		cmocka_unit_test(test_list_config),
		cmocka_unit_test(test_list_root_confined),
		cmocka_unit_test(test_path_join),
	};
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
