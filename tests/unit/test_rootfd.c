/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The context's root directory descriptors (ctx.c hs_ctx_root_fd, used by rootfs.c): opened once and kept, yet
 * every read sees what the root's path names at that moment, as when the root was opened for each file: setting
 * the root or the config root again, removing the tree and making it again, or renaming another tree over it, all
 * read the new tree. No descriptor is leaked, and hs_ctx_free closes what it kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

static char base[256];

static int group_setup(void **state)
{
	tree_mkdtemp(base, sizeof(base), "/tmp/hs-test-rootfd-XXXXXX");
	return 0;
}

static int group_teardown(void **state)
{
	tree_rm_rf(base);
	return 0;
}

static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static char *dir_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", base, name) > 0);
	return p;
}

/* The content of /etc/x under @kind's root, or "-errno". */
static char *read_x(hs_ctx *ctx, hs_root_kind kind)
{
	char *buf = NULL;
	int r = hs_root_read_file(ctx, kind, "/etc/x", 4096, &buf, NULL);

	if (r < 0)
		assert_true(asprintf(&buf, "%d", r) > 0);
	return buf;
}

#define assert_x(ctx, kind, want)                      \
	do {                                           \
		char *got_ = read_x(ctx, kind);        \
		assert_string_equal(got_, want);       \
		free(got_);                            \
	} while (0)

static void test_kept_and_released(void **state)
{
	char *a = dir_in("keep");
	size_t before = open_fds();
	hs_ctx *ctx = NULL;
	int fd;

	tree_put(a, "etc/x", "A");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, a), 0);
	assert_x(ctx, HS_ROOT_SYS, "A");
	fd = hs_ctx_root_fd(ctx, HS_ROOT_SYS);
	assert_true(fd >= 0);
	/* the same descriptor every time, one in all, however many files are read */
	for (int i = 0; i < 200; i++)
		assert_x(ctx, HS_ROOT_SYS, "A");
	assert_int_equal(hs_ctx_root_fd(ctx, HS_ROOT_SYS), fd);
	/* the config root is the root while it was never set */
	assert_int_equal(hs_ctx_root_fd(ctx, HS_ROOT_CONFIG), fd);
	assert_int_equal(open_fds(), before + 1);
	hs_ctx_free(ctx);
	assert_int_equal(open_fds(), before);
	free(a);
}

static void test_set_again(void **state)
{
	char *a = dir_in("set-a"), *b = dir_in("set-b"), *c = dir_in("set-c");
	size_t before = open_fds();
	hs_ctx *ctx = NULL;

	tree_put(a, "etc/x", "A");
	tree_put(b, "etc/x", "B");
	tree_put(c, "etc/x", "C");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, a), 0);
	assert_x(ctx, HS_ROOT_SYS, "A");
	assert_x(ctx, HS_ROOT_CONFIG, "A");
	assert_int_equal(hs_ctx_set_root(ctx, b), 0);
	assert_x(ctx, HS_ROOT_SYS, "B");
	assert_x(ctx, HS_ROOT_CONFIG, "B");
	assert_int_equal(hs_ctx_set_config_root(ctx, c), 0);
	assert_x(ctx, HS_ROOT_SYS, "B");
	assert_x(ctx, HS_ROOT_CONFIG, "C");
	assert_true(hs_ctx_root_fd(ctx, HS_ROOT_CONFIG) != hs_ctx_root_fd(ctx, HS_ROOT_SYS));
	/* setting ROOT again leaves the config root alone */
	assert_int_equal(hs_ctx_set_root(ctx, a), 0);
	assert_x(ctx, HS_ROOT_SYS, "A");
	assert_x(ctx, HS_ROOT_CONFIG, "C");
	assert_int_equal(open_fds(), before + 2);
	hs_ctx_free(ctx);
	assert_int_equal(open_fds(), before);
	free(a);
	free(b);
	free(c);
}

static void test_replaced_tree(void **state)
{
	char *a = dir_in("repl-a"), *b = dir_in("repl-b");
	size_t before = open_fds();
	hs_ctx *ctx = NULL;

	tree_put(a, "etc/x", "A");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, a), 0);
	assert_x(ctx, HS_ROOT_SYS, "A");
	/* removed: the root is missing, with the message an unusable root has always had */
	tree_rm_rf(a);
	assert_x(ctx, HS_ROOT_SYS, "-2");
	assert_non_null(strstr(hs_ctx_last_error(ctx), "root '"));
	assert_non_null(strstr(hs_ctx_last_error(ctx), "repl-a': No such file or directory"));
	/* made again under the same name */
	tree_put(a, "etc/x", "A2");
	assert_x(ctx, HS_ROOT_SYS, "A2");
	/* another tree renamed over it */
	tree_put(b, "etc/x", "B");
	tree_rm_rf(a);
	assert_int_equal(rename(b, a), 0);
	assert_x(ctx, HS_ROOT_SYS, "B");
	/* a canonical path through the kept descriptor */
	{
		char *canon = NULL;

		assert_int_equal(hs_root_realpath(ctx, HS_ROOT_SYS, "/etc/../etc/x", &canon), 0);
		assert_string_equal(canon, "/etc/x");
		free(canon);
	}
	assert_int_equal(open_fds(), before + 1);
	hs_ctx_free(ctx);
	assert_int_equal(open_fds(), before);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_and_released),
		cmocka_unit_test(test_set_again),
		cmocka_unit_test(test_replaced_tree),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
