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
#include "helpers/tree.h"

static char tree[64];

static int setup_tree(void **state)
{
	strcpy(tree, "/tmp/hs-lines-XXXXXX");
	assert_non_null(mkdtemp(tree));
	return 0;
}

static int teardown_tree(void **state)
{
	tree_rm_rf(tree);
	return 0;
}

/* Parse from an exact-size heap copy so that a read past @len is caught by ASan. */
static void parse(const char *text, size_t len, hs_conflines *out)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	assert_int_equal(hs_conflines_parse_buf(NULL, "/etc/portage/package.use", copy, len, out), 0);
	free(copy);
}

/* "1:a b|5:c" — line numbers and tokens of every kept line. */
static char *render(const hs_conflines *l)
{
	hs_buf b = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		assert_int_equal(hs_buf_printf(&b, "%s%u:", i ? "|" : "", l->v[i].line), 0);
		for (char **t = l->v[i].tokens; *t; t++)
			assert_int_equal(hs_buf_printf(&b, "%s%s", t == l->v[i].tokens ? "" : " ", *t), 0);
	}
	return hs_buf_steal(&b);
}

static void test_tokenise(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
		const char *want;
	} cases[] = {
		{ "sys-apps/systemd homed cryptsetup\n# comment\n\n  \t\ncat/pkg -foo # inline\nx flag#x a\n", 0,
		  "1:sys-apps/systemd homed cryptsetup|5:cat/pkg -foo|6:x flag#x a" },
		{ "  # indented comment\n#\natom\n", 0, "3:atom" },
		{ "*/* PYTHON_TARGETS: -* python3_12 PYTHON_SINGLE_TARGET: python3_12", 0,
		  "1:*/* PYTHON_TARGETS: -* python3_12 PYTHON_SINGLE_TARGET: python3_12" },
		{ "atom #flag\natom2 -flag#\n", 0, "1:atom|2:atom2 -flag#" },
		/* universal newlines */
		{ "a b\r\nc\rd\n\r\ne", 0, "1:a b|2:c|3:d|5:e" },
		/* str.split() splits on Unicode whitespace too */
		{ "a\xc2\xa0"
		  "b\xe3\x80\x80"
		  "c\x0b"
		  "d\x1c"
		  "e\xc2\x85"
		  "f\xe2\x80\xa8g\x0ch",
		  0, "1:a b c d e f g h" },
		/* invalid UTF-8 becomes U+FFFD (one per maximal invalid sequence), so does NUL */
		{ "a\xff"
		  "b \xe2\x82\n",
		  0, "1:a\xef\xbf\xbd"
		     "b \xef\xbf\xbd" },
		{ "a\0b c", 5, "1:a\xef\xbf\xbd"
			       "b c" },
		{ "", 0, "" },
		{ "\n\n\n", 0, "" },
		{ "last", 0, "1:last" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_conflines l = { 0 };
		char *got;

		parse(cases[i].text, cases[i].len ? cases[i].len : strlen(cases[i].text), &l);
		got = render(&l);
		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
		for (size_t k = 0; k < l.n; k++)
			assert_string_equal(l.v[k].path, "/etc/portage/package.use");
		free(got);
		hs_conflines_free(&l);
	}
	hs_conflines_free(NULL);
}

static void test_utf8_next(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int want;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 1, 'A' },
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xc3", 1, -1, 0 },          /* truncated */
		{ "\xe2\x82", 2, -2, 0 },      /* truncated after a valid prefix: one replacement for both */
		{ "\xe2\x82x", 3, -2, 0 },
		{ "\xc0\xaf", 2, -1, 0 },      /* overlong lead byte */
		{ "\xe0\x80\x80", 3, -1, 0 },  /* overlong: E0 needs A0..BF */
		{ "\xed\xa0\x80", 3, -1, 0 },  /* surrogate */
		{ "\xf4\x90\x80\x80", 4, -1, 0 }, /* above U+10FFFF */
		{ "\xff", 1, -1, 0 },
		{ "\x80", 1, -1, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint32_t cp = 0;
		int k = hs_utf8_next(cases[i].s, cases[i].len, &cp);

		if (k != cases[i].want || (k > 0 && cp != cases[i].cp))
			fail_msg("case %zu: got %d U+%04X", i, k, cp);
	}
}

static void test_read_tree(void **state)
{
	hs_ctx *ctx = NULL;
	hs_conflines l = { 0 };
	char p[512];
	char *got;
	int fd;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_config_root(ctx, tree), 0);
	tree_put(tree, "etc/portage/package.use/b", "cat/b flag\n");
	tree_put(tree, "etc/portage/package.use/A", "# header\n\ncat/A x y\n");
	tree_put(tree, "etc/portage/package.use/sub/c", "cat/c -z\n");
	tree_put(tree, "etc/portage/package.use/b~", "cat/backup flag\n");
	tree_put(tree, "etc/portage/package.use/.git/x", "cat/git flag\n");
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", true, &l), 0);
	got = render(&l);
	assert_string_equal(got, "3:cat/A x y|1:cat/b flag|1:cat/c -z");
	free(got);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].path, "/etc/portage/package.use/A");
	assert_string_equal(l.v[1].path, "/etc/portage/package.use/b");
	assert_string_equal(l.v[2].path, "/etc/portage/package.use/sub/c");
	/* appends; a missing path adds nothing */
	tree_put(tree, "etc/portage/profile/use.mask", "-homed\n");
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/profile/use.mask", false, &l), 0);
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/profile/nothing", false, &l), 0);
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/nothing", true, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[3].tokens[0], "-homed");
	assert_string_equal(l.v[3].path, "/etc/portage/profile/use.mask");
	/* earlier lines' paths stay valid after more files were added */
	assert_string_equal(l.v[0].path, "/etc/portage/package.use/A");
	hs_conflines_free(&l);

	/* a directory where a file is expected, and a file too large */
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", false, &l), -EISDIR);
	assert_string_equal(hs_ctx_last_error(ctx), "/etc/portage/package.use: Is a directory");
	snprintf(p, sizeof(p), "%s/etc/portage/package.use/huge", tree);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100 << 20), 0);
	close(fd);
	assert_int_equal(hs_conflines_read(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", true, &l), -EFBIG);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "/etc/portage/package.use/huge: file too large (104857600 bytes, limit 16777216)");
	hs_conflines_free(&l);
	hs_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenise),
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_read_tree),
	};
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
