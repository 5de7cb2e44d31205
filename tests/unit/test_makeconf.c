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
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

#define MC "/etc/portage/make.conf"

/* ---- helpers ----------------------------------------------------------------------------------------------- */

static char tree[64];

static int setup_tree(void **state)
{
	strcpy(tree, "/tmp/hs-makeconf-XXXXXX");
	assert_non_null(mkdtemp(tree));
	return 0;
}

static int teardown_tree(void **state)
{
	tree_rm_rf(tree);
	return 0;
}

/* A fresh, empty configuration root for each test. */
static hs_ctx *new_root(void)
{
	hs_ctx *ctx = NULL;

	tree_rm_rf(tree);
	assert_int_equal(mkdir(tree, 0755), 0);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, "/nonexistent-sys-root"), 0);
	assert_int_equal(hs_ctx_set_config_root(ctx, tree), 0);
	return ctx;
}

/* Parse @text from an exact-size heap copy (no NUL after it: ASan catches any read past len). */
static int parse(hs_ctx *ctx, const char *text, size_t len, unsigned flags, hs_vars *vars, hs_assigns *a)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = hs_getconfig_buf(ctx, HS_ROOT_CONFIG, MC, copy, len, vars, a, flags);
	free(copy);
	return r;
}

#define X (HS_GETCONFIG_EXPAND)
#define XS (HS_GETCONFIG_EXPAND | HS_GETCONFIG_ALLOW_SOURCE)
#define XT (HS_GETCONFIG_EXPAND | HS_GETCONFIG_TOLERANT)

static bool has_warning(hs_ctx *ctx, const char *text)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		if (strcmp(hs_ctx_warning(ctx, i), text) == 0)
			return true;
	return false;
}

/* ---- vars ---------------------------------------------------------------------------------------------- */

static void test_vars(void **state)
{
	hs_vars *v = NULL, *d = NULL;
	const char *file = NULL;
	unsigned line = 0;
	char name[32], val[32];

	assert_int_equal(hs_vars_new(&v), 0);
	assert_null(hs_vars_get(v, "USE"));
	assert_false(hs_vars_origin(v, "USE", &file, &line));
	assert_int_equal(hs_vars_set(v, "USE", "a", "/f", 3), 0);
	assert_int_equal(hs_vars_set(v, "ARCH", "amd64", NULL, 0), 0);
	assert_int_equal(hs_vars_set(v, "USE", "b", "/g", 7), 0);
	assert_string_equal(hs_vars_get(v, "USE"), "b");
	assert_true(hs_vars_origin(v, "USE", &file, &line));
	assert_string_equal(file, "/g");
	assert_int_equal(line, 7);
	assert_true(hs_vars_origin(v, "ARCH", &file, &line));
	assert_null(file);
	/* first-assignment order */
	assert_int_equal(hs_vars_count(v), 2);
	assert_string_equal(hs_vars_name(v, 0), "USE");
	assert_string_equal(hs_vars_name(v, 1), "ARCH");
	assert_null(hs_vars_name(v, 2));
	/* many names: the index must keep working through growth and removals */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "V%d", i);
		snprintf(val, sizeof(val), "%d", i * 3);
		assert_int_equal(hs_vars_set(v, name, val, "/many", (unsigned)i), 0);
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(name, sizeof(name), "V%d", i);
		assert_int_equal(hs_vars_unset(v, name), 0);
	}
	assert_int_equal(hs_vars_unset(v, "never-set"), 0);
	assert_int_equal(hs_vars_count(v), 2 + 2500);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "V%d", i);
		snprintf(val, sizeof(val), "%d", i * 3);
		if (i % 2)
			assert_string_equal(hs_vars_get(v, name), val);
		else
			assert_null(hs_vars_get(v, name));
	}
	assert_string_equal(hs_vars_name(v, 2), "V1");
	assert_int_equal(hs_vars_dup(&d, v), 0);
	assert_int_equal(hs_vars_set(v, "USE", "changed", NULL, 0), 0);
	assert_string_equal(hs_vars_get(d, "USE"), "b");
	assert_string_equal(hs_vars_get(d, "V4999"), "14997");
	assert_true(hs_vars_origin(d, "V4999", &file, &line));
	assert_string_equal(file, "/many");
	assert_int_equal(line, 4999);
	assert_int_equal(hs_vars_count(d), hs_vars_count(v));
	assert_int_equal(hs_vars_set(v, "X", NULL, NULL, 0), -EINVAL);
	hs_vars_free(d);
	hs_vars_free(v);
	hs_vars_free(NULL);
}

/* ---- values -------------------------------------------------------------------------------------------- */

static const struct {
	const char *text;
	unsigned flags;
	const char *name, *want;
} values[] = {
	/* portage-facts §2.4, verified against the real getconfig */
	{ "USE=\"a \\\n  b\"\n", X, "USE", "a   b" },
	{ "USE=a\\\nb\n", X, "USE", "a b" },
	{ "BAR=1 FOO='${BAR} x'\n", X, "FOO", "1 x" },
	{ "USE=\"a\"\nUSE=\"${USE} homed\"\n", X, "USE", "a homed" },
	{ "FOO=a#b\n", X, "FOO", "a" },
	{ "FOO=x;\n", X, "FOO", "x;" },
	{ "USE=\"a\nb\"\n", X, "USE", "a b" },
	/* comments and quoting */
	{ "# USE=\"no\"\nUSE=\"yes\" # trailing\n", X, "USE", "yes" },
	{ "FOO=\"#not a comment\"\n", X, "FOO", "#not a comment" },
	{ "FOO=a\\#b\n", X, "FOO", "a#b" },
	{ "FOO=\"a\"#b\n", X, "FOO", "a" },
	{ "FOO=a\"b c\"'d e'f\n", X, "FOO", "ab cd ef" },
	{ "  A   =   1  \n", X, "A", "1" },
	{ "export A=1\n", X, "A", "1" },
	{ "export\tA=\"x\"\n", X, "A", "x" },
	{ "FOO=\"\"\n", X, "FOO", "" },
	{ "FOO=''\n", X, "FOO", "" },
	{ "FOO=\\\nbar\n", X, "FOO", " bar" },
	{ "FOO=\"a\\\"b\"\n", X, "FOO", "a\"b" },
	{ "FOO=no-final-newline", X, "FOO", "no-final-newline" },
	/* expansion (varexpand) */
	{ "X=${UNDEFINED}y\n", X, "X", "y" },
	{ "A=1\nB=$A_x\n", X, "B", "" },
	{ "A=1 B=$A$A C=${A}${B}\n", X, "C", "111" },
	{ "A=1\nX=\"\\$A\"\n", X, "X", "$A" },
	{ "A=1\nX=\"it's $A\"\n", X, "X", "it's $A" },
	{ "X=\"cost 5$\"\n", X, "X", "cost 5$" },
	{ "A=v\nX=\"${A}\"\n", 0, "X", "${A}" },
	/* Portage's test_varExpand backslash table, fed through single quotes (shlex keeps them literally) */
	{ "X='\\'\n", X, "X", "\\" },
	{ "X='\\\\'\n", X, "X", "\\" },
	{ "X='\\\\\\'\n", X, "X", "\\\\" },
	{ "X='\\\\\\\\'\n", X, "X", "\\\\" },
	{ "X='\\$'\n", X, "X", "$" },
	{ "X='\\\\$'\n", X, "X", "\\$" },
	{ "X='\\a'\n", X, "X", "\\a" },
	{ "X='\\n'\n", X, "X", "\\n" },
	{ "X='\\\n'\n", X, "X", "" },
	{ "X=\"\\\\'\"\n", X, "X", "\\'" },
	/* Portage's test_getconfig cases */
	{ "FETCHCOMMAND=\"wget -t 3 -T 60 --passive-ftp -O \\\"\\${DISTDIR}/\\${FILE}\\\" \\\"\\${URI}\\\"\"\n", X,
	  "FETCHCOMMAND", "wget -t 3 -T 60 --passive-ftp -O \"${DISTDIR}/${FILE}\" \"${URI}\"" },
	{ "PORTAGE_ELOG_MAILSUBJECT=\"[portage] ebuild log for \\${PACKAGE} on \\${HOST}\"\n", X,
	  "PORTAGE_ELOG_MAILSUBJECT", "[portage] ebuild log for ${PACKAGE} on ${HOST}" },
	{ "export LESS_TERMCAP_mb=$'\\E[01;31m'\n", 0, "LESS_TERMCAP_mb", "$\\E[01;31m" },
	/* line ends and encodings */
	{ "USE=\"a\"\r\nV=1\r\n", X, "V", "1" },
	{ "USE=\"a\r\nb\"\r\n", X, "USE", "a b" },
	{ "A=1\rB=2\r", X, "B", "2" },
	{ "X=\"\xff\xe2\x82\"\n", X, "X", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "X=\"caf\xc3\xa9\"\n", X, "X", "caf\xc3\xa9" },
};

static void test_values(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		hs_ctx *ctx = NULL;
		hs_vars *v = NULL;
		int r;

		assert_int_equal(hs_ctx_new(&ctx), 0);
		assert_int_equal(hs_vars_new(&v), 0);
		r = parse(ctx, values[i].text, strlen(values[i].text), values[i].flags, v, NULL);
		if (r != 0 || !hs_vars_get(v, values[i].name) || strcmp(hs_vars_get(v, values[i].name), values[i].want))
			fail_msg("case %zu %s: r=%d '%s' (want '%s') %s", i, values[i].text, r,
				 hs_vars_get(v, values[i].name) ? hs_vars_get(v, values[i].name) : "(unset)",
				 values[i].want, hs_ctx_last_error(ctx));
		hs_vars_free(v);
		hs_ctx_free(ctx);
	}
}

static void test_expansion_warnings(void **state)
{
	static const struct {
		const char *text, *warning;
	} cases[] = {
		{ "A=1\nX=\"${A:-x}\"\n", MC ":2: unexpected EOF while looking for matching `}' (column 3)" },
		{ "X=\"a ${A\"\n", MC ":1: unexpected EOF while looking for matching `}' (column 3)" },
		{ "X=\"a ${\"\n", MC ":1: unexpected EOF while looking for matching `}' (column 3)" },
		{ "X=\"$/\"\n", MC ":1: $: bad substitution (column 3)" },
		{ "X=\"${}\"\n", MC ":1: ${}: bad substitution (column 3)" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_ctx *ctx = NULL;
		hs_vars *v = NULL;
		hs_assigns a = { 0 };

		assert_int_equal(hs_ctx_new(&ctx), 0);
		assert_int_equal(hs_vars_new(&v), 0);
		assert_int_equal(parse(ctx, cases[i].text, strlen(cases[i].text), X, v, &a), 0);
		/* Portage warns and the whole value becomes empty */
		assert_string_equal(hs_vars_get(v, "X"), "");
		assert_int_equal(hs_ctx_warning_count(ctx), 1);
		assert_string_equal(hs_ctx_warning(ctx, 0), cases[i].warning);
		assert_true(a.v[a.n - 1].expanded);
		hs_assigns_free(&a);
		hs_vars_free(v);
		hs_ctx_free(ctx);
	}
}

static void test_crlf_warning(void **state)
{
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(parse(ctx, "USE=\"a b\"\r\n", 11, X, v, NULL), 0);
	assert_string_equal(hs_vars_get(v, "USE"), "a b");
	assert_int_equal(hs_ctx_warning_count(ctx), 1);
	assert_string_equal(hs_ctx_warning(ctx, 0),
			    "!!! Please use dos2unix to convert line endings in config file: '" MC "'");
	hs_ctx_clear_warnings(ctx);
	assert_int_equal(parse(ctx, "USE=\"a b\"\n", 10, X, v, NULL), 0);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

/* ---- errors -------------------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "USE+=\"x\"\n", MC ":1: Invalid variable name 'USE+' (column 1)" },
		{ "A=1\n1A=x\n", MC ":2: Invalid variable name '1A' (column 1)" },
		{ "A-B=x\n", MC ":1: Invalid variable name 'A-B' (column 1)" },
		{ "FOO=\n", MC ":1: Unexpected end of config file: variable 'FOO' (column 1)" },
		{ "FOO=\nBAR=1\n", MC ":2: Invalid token '1' (not '=') (column 5)" },
		{ "A=1\nFOO\n", MC ":2: Unexpected EOF after 'FOO' (column 1)" },
		{ "FOO bar=1\n", MC ":1: Invalid token 'bar' (not '=') (column 5)" },
		{ "X=1\n\n\n  Y z\n", MC ":4: Invalid token 'z' (not '=') (column 5)" },
		{ "USE=\"abc\n", MC ":1: No closing quotation (column 5)" },
		{ "A=1\nB='x\n\n", MC ":2: No closing quotation (column 3)" },
		{ "source x\n", MC ":1: Invalid token 'x' (not '=') (column 8)" }, /* no ALLOW_SOURCE */
		{ "X=a\0b\n", MC ":1: NUL byte in a token (column 4): this is binary data, not a config file" },
		{ "A\xc3\xa9=1\n", MC ":1: Invalid token '\xc3\xa9' (not '=') (column 2)" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_ctx *ctx = NULL;
		hs_vars *v = NULL;
		size_t len = strlen(cases[i].text);

		if (i == 11)
			len = 7; /* contains a NUL */
		assert_int_equal(hs_ctx_new(&ctx), 0);
		assert_int_equal(hs_vars_new(&v), 0);
		assert_int_equal(parse(ctx, cases[i].text, len, X, v, NULL), -EINVAL);
		if (strcmp(hs_ctx_last_error(ctx), cases[i].error))
			fail_msg("case %zu: got '%s', want '%s'", i, hs_ctx_last_error(ctx), cases[i].error);
		hs_vars_free(v);
		hs_ctx_free(ctx);
	}
}

static void test_tolerant(void **state)
{
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;
	const char *t1 = "A=1\nUSE+=x\nB=2\n";
	const char *t2 = "A=1\nFOO\nB=2\n";

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	/* an invalid name only skips that assignment */
	assert_int_equal(parse(ctx, t1, strlen(t1), XT, v, NULL), 0);
	assert_string_equal(hs_vars_get(v, "A"), "1");
	assert_string_equal(hs_vars_get(v, "B"), "2");
	assert_null(hs_vars_get(v, "USE+"));
	assert_true(has_warning(ctx, MC ":2: Invalid variable name 'USE+' (column 1)"));
	hs_vars_free(v);
	/* any other parse error ends the file, keeping what came before */
	hs_ctx_clear_warnings(ctx);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(parse(ctx, t2, strlen(t2), XT, v, NULL), 0);
	assert_string_equal(hs_vars_get(v, "A"), "1");
	assert_null(hs_vars_get(v, "B"));
	assert_true(has_warning(ctx, MC ":3: Invalid token 'B' (not '=') (column 1)"));
	/* but an unclosed quote stays fatal, as in Portage */
	assert_int_equal(parse(ctx, "X=\"", 3, XT, v, NULL), -EINVAL);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

/* ---- positions ----------------------------------------------------------------------------------------- */

static void expect_assign(const char *buf, const hs_assign *a, const char *name, const char *value, unsigned line,
			  unsigned col, const char *raw, char quote, bool exported)
{
	assert_string_equal(a->name, name);
	assert_string_equal(a->value, value);
	assert_string_equal(a->path, MC);
	assert_int_equal(a->line, line);
	assert_int_equal(a->column, col);
	assert_memory_equal(buf + a->name_off, name, strlen(name));
	assert_int_equal(a->value_len, strlen(raw));
	assert_memory_equal(buf + a->value_off, raw, strlen(raw));
	assert_int_equal(a->quote, quote);
	assert_int_equal(a->exported, exported);
	assert_int_equal(a->source_depth, 0);
}

static void test_positions(void **state)
{
	static const char text[] = "# make.conf\n"
				   "USE=\"a b\"\n"
				   "export  FOO='x'   # c\n"
				   "BAR=a\\\nb\"c\"\n"
				   "E=\"\"\n"
				   "C=a#b\n"
				   "  M = \"multi\n line\"\r\n"
				   "W=$USE\n"
				   "L=last";
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;
	hs_assigns a = { 0 };

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(parse(ctx, text, sizeof(text) - 1, X, v, &a), 0);
	assert_int_equal(a.n, 8);
	expect_assign(text, &a.v[0], "USE", "a b", 2, 1, "\"a b\"", '"', false);
	expect_assign(text, &a.v[1], "FOO", "x", 3, 9, "'x'", '\'', true);
	expect_assign(text, &a.v[2], "BAR", "a bc", 4, 1, "a\\\nb\"c\"", 0, false);
	expect_assign(text, &a.v[3], "E", "", 6, 1, "\"\"", '"', false);
	expect_assign(text, &a.v[4], "C", "a", 7, 1, "a", 0, false);
	expect_assign(text, &a.v[5], "M", "multi  line", 8, 3, "\"multi\n line\"", '"', false);
	expect_assign(text, &a.v[6], "W", "a b", 10, 1, "$USE", 0, false);
	expect_assign(text, &a.v[7], "L", "last", 11, 1, "last", 0, false);
	assert_false(a.v[0].expanded);
	assert_true(a.v[6].expanded);
	/* the map remembers where each value was set */
	{
		const char *file = NULL;
		unsigned line = 0;

		assert_true(hs_vars_origin(v, "M", &file, &line));
		assert_string_equal(file, MC);
		assert_int_equal(line, 8);
	}
	hs_assigns_free(&a);
	hs_assigns_free(&a);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

/* ---- source -------------------------------------------------------------------------------------------- */

static void test_source(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;
	hs_assigns a = { 0 };

	tree_put(tree, "etc/portage/make.conf", "source inc.conf\n"
				     "USE=\"${USE} b\"\n"
				     "DIR=/etc/portage/sub\n"
				     "source \"${DIR}/one\"\n"
				     "source /etc/portage/abs.conf\n");
	tree_put(tree, "etc/portage/inc.conf", "USE=\"a\"\n");
	tree_put(tree, "etc/portage/sub/one", "ONE=1\nsource two\n");
	tree_put(tree, "etc/portage/sub/two", "TWO=\"${ONE}2\"");
	tree_put(tree, "etc/portage/abs.conf", "ABS=yes\n");
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, &a, XS), 0);
	assert_string_equal(hs_vars_get(v, "USE"), "a b");
	assert_string_equal(hs_vars_get(v, "TWO"), "12");
	assert_string_equal(hs_vars_get(v, "ABS"), "yes");
	assert_int_equal(a.n, 6);
	assert_string_equal(a.v[0].path, "/etc/portage/inc.conf");
	assert_int_equal(a.v[0].source_depth, 1);
	assert_int_equal(a.v[0].line, 1);
	assert_string_equal(a.v[1].path, MC);
	assert_int_equal(a.v[1].source_depth, 0);
	assert_int_equal(a.v[1].line, 2);
	assert_string_equal(a.v[4].name, "TWO");
	assert_string_equal(a.v[4].path, "/etc/portage/sub/two");
	assert_int_equal(a.v[4].source_depth, 2);
	assert_int_equal(a.v[4].value_off, 4);
	assert_int_equal(a.v[4].value_len, 9);
	hs_assigns_free(&a);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_source_errors(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;

	assert_int_equal(hs_vars_new(&v), 0);
	/* a loop */
	tree_put(tree, "etc/portage/make.conf", "A=1\nsource a\n");
	tree_put(tree, "etc/portage/a", "source b\n");
	tree_put(tree, "etc/portage/b", "B=1\n  source a\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -ELOOP);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "/etc/portage/b:2: source loop: '/etc/portage/a' is already being read (column 10)");
	/* a file that sources itself through different spellings hits the depth limit */
	tree_put(tree, "etc/portage/make.conf", "source ./make.conf\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -ELOOP);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "nests deeper than 16 files"));
	/* a missing file: Portage's ParseError, or its warning in tolerant mode */
	tree_put(tree, "etc/portage/make.conf", "A=1\nsource missing.conf\nB=2\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx),
			    MC ":2: /etc/portage/missing.conf: No such file or directory (column 8)");
	hs_vars_free(v);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS | HS_GETCONFIG_TOLERANT), 0);
	assert_string_equal(hs_vars_get(v, "B"), "2");
	assert_true(has_warning(ctx, MC ":2: /etc/portage/missing.conf: No such file or directory (column 8)"));
	/* the empty expand map of Portage's own test: "${DIR}/x" becomes "/x" */
	tree_put(tree, "etc/portage/make.conf", "source \"${DIR}/sourced_file\"\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), MC ":1: /sourced_file: No such file or directory (column 8)");
	tree_put(tree, "sourced_file", "PASSES_SOURCING_TEST=\"True\"\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), 0);
	assert_string_equal(hs_vars_get(v, "PASSES_SOURCING_TEST"), "True");
	/* a directory, a file name missing, a sourced file that is not UTF-8 */
	tree_put(tree, "etc/portage/make.conf", "source /etc\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EISDIR);
	assert_string_equal(hs_ctx_last_error(ctx), MC ":1: source: /etc: Is a directory");
	tree_put(tree, "etc/portage/make.conf", "A=1 source");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), MC ":1: 'source' without a file name (column 5)");
	tree_put(tree, "etc/portage/make.conf", "source latin1\n");
	tree_put(tree, "etc/portage/latin1", "A=1\nX=\"caf\xe9\"\n");
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "/etc/portage/latin1:2: invalid UTF-8 (byte 0xe9 at column 7): "
						    "a sourced file must be UTF-8");
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

/* ---- make.conf as Portage loads it --------------------------------------------------------------------- */

static void test_makeconf_dir(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;
	hs_assigns a = { 0 };

	/* portage-facts §2.4's verified directory example */
	tree_put(tree, "etc/portage/make.conf/02-a", "USE=\"a\"\n");
	tree_put(tree, "etc/portage/make.conf/10-b", "USE=\"b\" V=1\n");
	tree_put(tree, "etc/portage/make.conf/20-c", "USE=\"${USE} c ${V}\"\n");
	tree_put(tree, "etc/portage/make.conf/99~", "USE=\"backup\"\n");
	tree_put(tree, "etc/portage/make.conf/.h", "USE=\"hidden\"\n");
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_makeconf_load(ctx, v, &a), 0);
	assert_int_equal(hs_vars_count(v), 2);
	assert_string_equal(hs_vars_get(v, "USE"), "b c 1");
	assert_string_equal(hs_vars_get(v, "V"), "1");
	assert_int_equal(a.n, 4);
	assert_string_equal(a.v[3].path, "/etc/portage/make.conf/20-c");
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	hs_assigns_free(&a);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_makeconf_two_files(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;
	hs_assigns a = { 0 };
	char p[256];

	tree_put(tree, "etc/make.conf", "USE=\"old\"\n__LOCAL=\"from-old\"\n");
	tree_put(tree, "etc/portage/make.conf", "USE=\"${USE} ${__LOCAL} new\"\n__X=1\n");
	assert_int_equal(hs_vars_new(&v), 0);
	/* the profile's variables are the expansion map */
	assert_int_equal(hs_vars_set(v, "ARCH", "amd64", "/profile/make.defaults", 1), 0);
	assert_int_equal(hs_makeconf_load(ctx, v, &a), 0);
	assert_string_equal(hs_vars_get(v, "USE"), "old from-old new");
	assert_null(hs_vars_get(v, "__LOCAL"));
	assert_null(hs_vars_get(v, "__X"));
	assert_string_equal(hs_vars_get(v, "ARCH"), "amd64");
	assert_int_equal(a.n, 4);
	assert_true(has_warning(ctx, "!!! Found 2 make.conf files, using both '/etc/make.conf' and "
				     "'/etc/portage/make.conf'"));
	hs_assigns_free(&a);
	hs_vars_free(v);

	/* the same file twice (a symlink) is read once, without the warning */
	hs_ctx_clear_warnings(ctx);
	snprintf(p, sizeof(p), "%s/etc/make.conf", tree);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("portage/make.conf", p), 0);
	tree_put(tree, "etc/portage/make.conf", "USE=\"${USE} x\"\n");
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_vars_set(v, "USE", "profile", "/profile/make.defaults", 3), 0);
	assert_int_equal(hs_makeconf_load(ctx, v, &a), 0);
	assert_string_equal(hs_vars_get(v, "USE"), "profile x");
	assert_int_equal(a.n, 1);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	hs_assigns_free(&a);
	hs_vars_free(v);

	/* nothing at all is fine */
	tree_rm_rf(tree);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_makeconf_load(ctx, v, NULL), 0);
	assert_int_equal(hs_vars_count(v), 0);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_makeconf_parse_error(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;

	tree_put(tree, "etc/portage/make.conf", "USE=\"a\"\nUSE+=\"b\"\n");
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_makeconf_load(ctx, v, NULL), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), MC ":2: Invalid variable name 'USE+' (column 1)");
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

/* ---- bad input: size, time, garbage -------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_huge_file(void **state)
{
	hs_ctx *ctx = new_root();
	hs_vars *v = NULL;
	char p[256];
	double t0;
	int fd;

	tree_mkdir(tree, "etc/portage");
	snprintf(p, sizeof(p), "%s" MC, tree);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100 << 20), 0); /* 100 MB */
	close(fd);
	assert_int_equal(hs_vars_new(&v), 0);
	t0 = now();
	assert_int_equal(hs_getconfig_path(ctx, HS_ROOT_CONFIG, MC, v, NULL, XS), -EFBIG);
	assert_true(now() - t0 < 1.0);
	assert_string_equal(hs_ctx_last_error(ctx), MC ": file too large (104857600 bytes, limit 16777216)");
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_linear_time(void **state)
{
	/* ~16 MiB of assignments, long lines, comments: must parse in linear time */
	hs_buf b = { 0 };
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;
	hs_assigns a = { 0 };
	double t0, t1;

	assert_int_equal(hs_buf_puts(&b, "BASE=b\n"), 0);
	while (b.len < (15u << 20))
		assert_int_equal(hs_buf_printf(&b, "VAR_%zu=\"value %zu ${BASE}\" # note\n", b.len % 1000, b.len), 0);
	assert_int_equal(hs_buf_puts(&b, "LONG=\""), 0);
	for (int i = 0; i < 200000; i++)
		assert_int_equal(hs_buf_puts(&b, "flag "), 0);
	assert_int_equal(hs_buf_puts(&b, "\"\n"), 0);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	t0 = now();
	assert_int_equal(hs_getconfig_buf(ctx, HS_ROOT_CONFIG, MC, b.p, b.len, v, &a, X), 0);
	t1 = now();
	print_message("# parsed %zu bytes (%zu assignments) in %.3f s\n", b.len, a.n, t1 - t0);
	assert_true(t1 - t0 < 10.0);
	assert_int_equal(strlen(hs_vars_get(v, "LONG")), 200000 * 5);
	hs_assigns_free(&a);
	hs_vars_free(v);
	hs_ctx_free(ctx);
	hs_buf_free(&b);
}

static void test_expansion_bomb(void **state)
{
	hs_buf b = { 0 };
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;

	/* each line doubles A: 2^40 bytes if nothing stopped it */
	assert_int_equal(hs_buf_puts(&b, "A=xxxxxxxxxxxxxxxx\n"), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(hs_buf_puts(&b, "A=$A$A\n"), 0);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_getconfig_buf(ctx, HS_ROOT_CONFIG, MC, b.p, b.len, v, NULL, X), -EFBIG);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "exceeds the limit of 64 MiB of expansions"));
	hs_vars_free(v);
	hs_ctx_free(ctx);
	hs_buf_free(&b);
}

static void test_garbage(void **state)
{
	uint32_t seed = 12345;
	char *buf = malloc(1 << 16);

	assert_non_null(buf);
	for (int round = 0; round < 64; round++) {
		hs_ctx *ctx = NULL;
		hs_vars *v = NULL;
		hs_assigns a = { 0 };
		size_t len = (size_t)(round * 1000 + 1);
		int r;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly binary, sometimes the lexer's special characters */
			buf[i] = round % 2 ? (char)(seed >> 16) : "A=\"'\\$#{}\n x\r"[(seed >> 16) % 14];
		}
		assert_int_equal(hs_ctx_new(&ctx), 0);
		assert_int_equal(hs_vars_new(&v), 0);
		r = hs_getconfig_buf(ctx, HS_ROOT_CONFIG, MC, buf, len, v, &a, round % 4 < 2 ? XT : X);
		assert_true(r == 0 || r == -EINVAL || r == -EFBIG);
		if (r < 0)
			assert_non_null(strstr(hs_ctx_last_error(ctx), MC ":"));
		hs_assigns_free(&a);
		hs_vars_free(v);
		hs_ctx_free(ctx);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_expansion_warnings),
		cmocka_unit_test(test_crlf_warning),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tolerant),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_makeconf_dir),
		cmocka_unit_test(test_makeconf_two_files),
		cmocka_unit_test(test_makeconf_parse_error),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_linear_time),
		cmocka_unit_test(test_expansion_bomb),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
