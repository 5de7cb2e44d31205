/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "homesetupP.h"

static void test_roots(void **state)
{
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_string_equal(hs_ctx_get_root(ctx), "/");
	assert_string_equal(hs_ctx_get_config_root(ctx), "/");
	assert_int_equal(hs_ctx_set_root(ctx, "/mnt//gentoo///"), 0);
	assert_string_equal(hs_ctx_get_root(ctx), "/mnt/gentoo");
	/* config root follows root until set */
	assert_string_equal(hs_ctx_get_config_root(ctx), "/mnt/gentoo");
	assert_int_equal(hs_ctx_set_config_root(ctx, "/cfg/"), 0);
	assert_string_equal(hs_ctx_get_config_root(ctx), "/cfg");
	assert_int_equal(hs_ctx_set_root(ctx, ""), 0);
	assert_string_equal(hs_ctx_get_root(ctx), "/");
	hs_ctx_free(ctx);
}

static void test_relative_root(void **state)
{
	hs_ctx *ctx = NULL;
	char *cwd = getcwd(NULL, 0);
	char want[4096];

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, "sub/dir/"), 0);
	snprintf(want, sizeof(want), "%s/sub/dir", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(hs_ctx_get_root(ctx), want);
	free(cwd);
	hs_ctx_free(ctx);
}

static void test_errors_and_warnings(void **state)
{
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_string_equal(hs_ctx_last_error(ctx), "");
	assert_int_equal(hs_ctx_set_error(ctx, -EINVAL, "%s:%u: bad '%s'", "f", 3u, "x"), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "f:3: bad 'x'");
	assert_int_equal(hs_ctx_last_errno(ctx), -EINVAL);
	hs_ctx_clear_error(ctx);
	assert_string_equal(hs_ctx_last_error(ctx), "");
	assert_int_equal(hs_ctx_add_warning(ctx, "w%d", 1), 0);
	assert_int_equal(hs_ctx_add_warning(ctx, "w%d", 2), 0);
	assert_int_equal(hs_ctx_warning_count(ctx), 2);
	assert_string_equal(hs_ctx_warning(ctx, 1), "w2");
	assert_null(hs_ctx_warning(ctx, 2));
	hs_ctx_clear_warnings(ctx);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	/* NULL contexts are accepted everywhere errors are reported */
	assert_int_equal(hs_ctx_set_error(NULL, -ENOENT, "x"), -ENOENT);
	assert_string_equal(hs_ctx_last_error(NULL), "");
	hs_ctx_free(ctx);
	hs_ctx_free(NULL);
}

static void test_buf_and_escape(void **state)
{
	hs_buf b = {0};
	char *s;

	assert_int_equal(hs_buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_int_equal(hs_buf_append(&b, "yz", 2), 0);
	assert_string_equal(b.p, "42-xyz");
	s = hs_buf_steal(&b);
	assert_string_equal(s, "42-xyz");
	free(s);
	s = hs_buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	s = hs_escape("a\nb\\c", 5, 100);
	assert_string_equal(s, "a\\x0ab\\\\c");
	free(s);
	s = hs_escape("abcdef", 6, 3);
	assert_string_equal(s, "abc...");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_relative_root),
		cmocka_unit_test(test_errors_and_warnings),
		cmocka_unit_test(test_buf_and_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
