/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pkguse.c: package.use-style files as Portage reads them: sort order and skip rules of directories, one dict
 * key per atom text (lines joined), ordered_by_atom_specificity (with its tie rules), `VAR:` USE_EXPAND
 * prefixes, `* / *` lines, Portage's warnings for invalid atoms and flags, profile flag lists, package.mask
 * stacking, and USE provenance through `USE="${USE} x"` chains. Files are written into mkdtemp roots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

typedef struct fixture {
	char root[64];
	hs_ctx *ctx;
	hs_version *ver;
	hs_pkg_info pkg;
	hs_atomfile f;
	hs_flagtoks out;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/hs-pkguse-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	assert_int_equal(hs_version_parse(f->ctx, &f->ver, "3", 1), 0);
	f->pkg = (hs_pkg_info){ .category = "cat", .package = "pkg", .version = f->ver, .slot = "0", .repo = "gentoo" };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_atomfile_free(&f->f);
	hs_flagtoks_free(&f->out);
	hs_version_free(f->ver);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static void set_version(fixture *f, const char *v)
{
	hs_version_free(f->ver);
	assert_int_equal(hs_version_parse(f->ctx, &f->ver, v, strlen(v)), 0);
	f->pkg.version = f->ver;
}

/* The matched tokens of @path for cat/pkg, joined with spaces. */
static const char *match(fixture *f, const char *path, unsigned flags, bool skip_global, const char *dflt)
{
	static char buf[4096];
	size_t len = 0;

	hs_atomfile_free(&f->f);
	hs_flagtoks_free(&f->out);
	assert_int_equal(hs_atomfile_load(f->ctx, &f->f, HS_ROOT_CONFIG, path, true, flags), 0);
	assert_int_equal(hs_atomfile_match(f->ctx, &f->f, &f->pkg, "cat/pkg", skip_global, dflt, &f->out), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < f->out.n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", f->out.v[i].tok);
	return buf;
}

static bool has_warning(hs_ctx *ctx, const char *text)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		if (strcmp(hs_ctx_warning(ctx, i), text) == 0)
			return true;
	return false;
}

static void test_specificity_order(void **state)
{
	fixture *f = *state;

	tree_put(f->root, "etc/portage/package.use",
	    "=cat/pkg-3 b\n"
	    "cat/pkg a\n"
	    "~cat/pkg-3 c\n"
	    "=cat/pkg-3* d\n"
	    "cat/pkg:0 e\n"
	    ">=cat/pkg-0.5 f\n"
	    "*/pkg g\n"
	    "cat/*:0 h\n"
	    "*/* i\n"
	    "=cat/pkg-2 never\n"
	    "cat/other never\n"
	    "cat/pkg:1 never\n"
	    "cat/pkg::elsewhere never\n");
	/* the "* / *" key is make.conf's; the others go least specific first */
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL), "g h a f e d c b");
	/* with "* / *" kept: it ties with "* /pkg" at -2; "* /pkg" was written first, so it comes last */
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, false, NULL), "i g h a f e d c b");
	/* each token keeps its file and line */
	match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL);
	assert_string_equal(f->out.v[0].path, "/etc/portage/package.use");
	assert_int_equal(f->out.v[0].line, 7);
	assert_int_equal(f->out.v[7].line, 1);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
}

static void test_ties(void **state)
{
	fixture *f = *state;

	/* equally specific, different keys: the key written first is applied last */
	tree_put(f->root, "etc/portage/package.use", "cat/pkg::gentoo x\ncat/pkg -x y\n");
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL), "-x y x");
	/* the same key on several lines (and files) is one entry, its lines in order */
	tree_put(f->root, "etc/portage/p2/a", "cat/pkg x\ncat/pkg::gentoo z\n");
	tree_put(f->root, "etc/portage/p2/b", "cat/pkg -x\n");
	assert_string_equal(match(f, "/etc/portage/p2", HS_ATOMFILE_USER_USE, true, NULL), "z x -x");

	/* >= <= > <: the version closest to the package's is the most specific, whatever the order */
	tree_put(f->root, "etc/portage/p3", ">=cat/pkg-1 x\n>=cat/pkg-2 -x\n");
	assert_string_equal(match(f, "/etc/portage/p3", HS_ATOMFILE_USER_USE, true, NULL), "x -x");
	tree_put(f->root, "etc/portage/p4", ">=cat/pkg-2 -x\n>=cat/pkg-1 x\n");
	assert_string_equal(match(f, "/etc/portage/p4", HS_ATOMFILE_USER_USE, true, NULL), "x -x");
	/* ... and when the package lies between the two, the first written stays the best (Portage's TODO) */
	tree_put(f->root, "etc/portage/p5", "<=cat/pkg-5 y\n>=cat/pkg-1 -y\n");
	assert_string_equal(match(f, "/etc/portage/p5", HS_ATOMFILE_USER_USE, true, NULL), "-y y");
	/* an exact version equal to the package's wins over the other bound */
	tree_put(f->root, "etc/portage/p6", ">=cat/pkg-3 a\n>=cat/pkg-1 b\n");
	assert_string_equal(match(f, "/etc/portage/p6", HS_ATOMFILE_USER_USE, true, NULL), "b a");
	tree_put(f->root, "etc/portage/p7", ">=cat/pkg-1 b\n>=cat/pkg-3 a\n");
	assert_string_equal(match(f, "/etc/portage/p7", HS_ATOMFILE_USER_USE, true, NULL), "b a");
}

static void test_directory_order(void **state)
{
	fixture *f = *state;
	static const char *const names[] = { "b", "a", "A", "_z", "10", "9", "x~", ".y", "sub/c", ".hidden/h", "CVS/z" };
	char rel[256], text[256];

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		snprintf(rel, sizeof(rel), "etc/portage/package.use/%s", names[i]);
		snprintf(text, sizeof(text), "cat/pkg f%s\n", names[i]);
		for (char *c = text + 9; *c; c++)
			if (*c == '/' || *c == '.' || *c == '~')
				*c = '_';
		tree_put(f->root, rel, text);
	}
	/* code-point order, files and directories interleaved, skipped: .*, *~, VCS dirs */
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL),
			    "f10 f9 fA f_z fa fb fsub_c");
}

static void test_use_expand_prefix(void **state)
{
	fixture *f = *state;

	tree_put(f->root, "etc/portage/package.use",
	    "cat/pkg PYTHON_TARGETS: -* python3_12 FOO_BAR: c  # a comment\n"
	    "cat/pkg d\n");
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL),
			    "-python_targets_* python_targets_python3_12 foo_bar_c d");
	assert_string_equal(f->out.v[0].written, "PYTHON_TARGETS: -*");
	assert_string_equal(f->out.v[2].written, "FOO_BAR: c");
	assert_null(f->out.v[3].written);
	assert_int_equal(f->out.v[3].line, 2);
	/* keywords files have no prefixes */
	tree_put(f->root, "etc/portage/kw", "cat/pkg odd: ~amd64\n");
	assert_string_equal(match(f, "/etc/portage/kw", HS_ATOMFILE_USER_KEYWORDS, false, NULL), "odd: ~amd64");
}

static void test_invalid_lines(void **state)
{
	fixture *f = *state;

	tree_put(f->root, "etc/portage/package.use/x",
	    "cat/pkg-3 a\n"
	    "cat/pkg[u] b\n"
	    "!cat/pkg c\n"
	    "cat/pkg d\n"
	    "cat/pkg-3 e\n"
	    "cat/pkg:0 +f flag#x\n");
	assert_string_equal(match(f, "/etc/portage/package.use", HS_ATOMFILE_USER_USE, true, NULL), "d +f flag#x");
	assert_true(has_warning(f->ctx, "--- Invalid atom in /etc/portage/package.use/x: cat/pkg-3"));
	assert_true(has_warning(f->ctx, "--- Atom is not allowed to have USE flag(s) in /etc/portage/package.use/x: cat/pkg[u]"));
	assert_true(has_warning(f->ctx, "--- Invalid atom in /etc/portage/package.use/x: !cat/pkg"));
	/* one warning per key and file, as grabdict_package gives */
	assert_int_equal(hs_ctx_warning_count(f->ctx), 3);
}

static void test_profile_files(void **state)
{
	fixture *f = *state;

	/* profile package.use*: flags are checked, wildcards are not atoms there */
	tree_put(f->root, "prof/package.use.mask",
	    "cat/pkg good -also_good bad! -*\n"
	    "cat/* x\n"
	    "cat/pkg-1 z\n"
	    "other/pkg-1 y\n");
	assert_string_equal(match(f, "/prof/package.use.mask", HS_ATOMFILE_CHECK_FLAGS, false, NULL), "good -also_good");
	assert_true(has_warning(f->ctx, "--- Invalid USE flag for 'cat/pkg' in '/prof/package.use.mask': 'bad!'"));
	assert_true(has_warning(f->ctx, "--- Invalid USE flag for 'cat/pkg' in '/prof/package.use.mask': '-*'"));
	assert_true(has_warning(f->ctx, "--- Invalid atom in /prof/package.use.mask: cat/pkg-1"));
	/* lines that cannot name the package (a wildcard, another package) are not even parsed */
	assert_int_equal(hs_ctx_warning_count(f->ctx), 3);
	/* the user profile without an eapi file: extended syntax */
	hs_ctx_clear_warnings(f->ctx);
	assert_string_equal(match(f, "/prof/package.use.mask",
				  HS_ATOMFILE_CHECK_FLAGS | HS_ATOMFILE_WILDCARD | HS_ATOMFILE_ALLOW_REPO |
					  HS_ATOMFILE_PREFIXES | HS_ATOMFILE_DOTS,
				  false, NULL),
			    "x good -also_good");
}

static void test_global_and_default(void **state)
{
	fixture *f = *state;

	tree_put(f->root, "etc/portage/package.use/1", "*/* a PYTHON_TARGETS: x\ncat/pkg b\n");
	tree_put(f->root, "etc/portage/package.use/2", "*/* -c\n*/*:0 d\n");
	hs_atomfile_free(&f->f);
	assert_int_equal(hs_atomfile_load(f->ctx, &f->f, HS_ROOT_CONFIG, "/etc/portage/package.use", true,
					  HS_ATOMFILE_USER_USE), 0);
	assert_int_equal(hs_atomfile_global(f->ctx, &f->f, &f->out), 0);
	assert_int_equal(f->out.n, 3);
	assert_string_equal(f->out.v[0].tok, "a");
	assert_string_equal(f->out.v[1].tok, "python_targets_x");
	assert_string_equal(f->out.v[2].tok, "-c");
	assert_string_equal(f->out.v[2].path, "/etc/portage/package.use/2");

	/* package.accept_keywords: an entry without keywords takes the default */
	tree_put(f->root, "etc/portage/package.accept_keywords", "cat/pkg\n=cat/pkg-3 **\n");
	assert_string_equal(match(f, "/etc/portage/package.accept_keywords", HS_ATOMFILE_USER_KEYWORDS, false, "~amd64 ~x86"),
			    "~amd64 ~x86 **");
}

static void test_match_n(void **state)
{
	fixture *f = *state;
	hs_atomfile a = {0}, b = {0};
	const hs_atomfile *files[] = { &a, &b };

	/* package.keywords then package.accept_keywords form one dict: a shared key keeps its first place */
	tree_put(f->root, "etc/portage/package.keywords", "cat/pkg::gentoo k1\ncat/pkg k2\n");
	tree_put(f->root, "etc/portage/package.accept_keywords", "cat/pkg k3\n");
	assert_int_equal(hs_atomfile_load(f->ctx, &a, HS_ROOT_CONFIG, "/etc/portage/package.keywords", true,
					  HS_ATOMFILE_USER_KEYWORDS), 0);
	assert_int_equal(hs_atomfile_load(f->ctx, &b, HS_ROOT_CONFIG, "/etc/portage/package.accept_keywords", true,
					  HS_ATOMFILE_USER_KEYWORDS), 0);
	assert_int_equal(hs_atomfile_match_n(f->ctx, files, 2, &f->pkg, "cat/pkg", false, NULL, &f->out), 0);
	assert_int_equal(f->out.n, 3);
	assert_string_equal(f->out.v[0].tok, "k2");
	assert_string_equal(f->out.v[1].tok, "k3");
	assert_string_equal(f->out.v[2].tok, "k1");
	hs_atomfile_free(&a);
	hs_atomfile_free(&b);
}

static void test_flaglist(void **state)
{
	fixture *f = *state;
	hs_flaglist l = {0};

	tree_put(f->root, "prof/use.mask", "a\n-b\n-*\nc d\nbad!\n# c\n  e # comment\nf.g\n");
	assert_int_equal(hs_flaglist_load(f->ctx, &l, HS_ROOT_CONFIG, "/prof/use.mask", false, false), 0);
	assert_int_equal(l.toks.n, 3);
	assert_string_equal(l.toks.v[0].tok, "a");
	assert_string_equal(l.toks.v[1].tok, "-b");
	assert_string_equal(l.toks.v[2].tok, "e");
	assert_int_equal(l.toks.v[2].line, 7);
	assert_string_equal(l.toks.v[2].path, "/prof/use.mask");
	assert_true(has_warning(f->ctx, "--- Invalid USE flag in '/prof/use.mask': '-*'"));
	assert_true(has_warning(f->ctx, "--- Invalid USE flag in '/prof/use.mask': 'c d'"));
	assert_true(has_warning(f->ctx, "--- Invalid USE flag in '/prof/use.mask': 'bad!'"));
	assert_true(has_warning(f->ctx, "--- Invalid USE flag in '/prof/use.mask': 'f.g'"));
	hs_flaglist_free(&l);
	/* dots are fine where no EAPI is known; a missing file is empty */
	hs_ctx_clear_warnings(f->ctx);
	assert_int_equal(hs_flaglist_load(f->ctx, &l, HS_ROOT_CONFIG, "/prof/use.mask", false, true), 0);
	assert_int_equal(l.toks.n, 4);
	hs_flaglist_free(&l);
	assert_int_equal(hs_flaglist_load(f->ctx, &l, HS_ROOT_CONFIG, "/prof/nothing", false, false), 0);
	assert_int_equal(l.toks.n, 0);
	hs_flaglist_free(&l);
}

static void test_masklist(void **state)
{
	fixture *f = *state;
	hs_masklist repo = {0}, prof = {0}, user = {0}, a = {0}, out = {0};
	const unsigned af = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD | HS_ATOM_NO_BLOCKER;
	const hs_maskent *m;

	tree_put(f->root, "repo/package.mask", ">=cat/pkg-2\ncat/other\n");
	tree_put(f->root, "prof/package.mask", "=cat/pkg-1\n-=cat/pkg-1\n=cat/pkg-3\n");
	tree_put(f->root, "etc/package.mask", "->=cat/pkg-2\n=cat/pkg-3\ncat/* \n");
	assert_int_equal(hs_masklist_load(f->ctx, &repo, HS_ROOT_CONFIG, "/repo/package.mask", false), 0);
	assert_int_equal(hs_masklist_load(f->ctx, &prof, HS_ROOT_CONFIG, "/prof/package.mask", false), 0);
	assert_int_equal(hs_masklist_load(f->ctx, &user, HS_ROOT_CONFIG, "/etc/package.mask", true), 0);
	assert_int_equal(repo.n, 2);
	assert_true(user.v[0].neg);

	/* a repository's masks get ::repo; only the lines that can name cat/pkg are kept */
	{
		const hs_masklist *one[] = { &repo };

		assert_int_equal(hs_masklist_stack(one, 1, "cat/pkg", false, false, "gentoo", &a), 0);
		assert_int_equal(a.n, 1);
		assert_string_equal(a.v[0].text, ">=cat/pkg-2::gentoo");
		assert_string_equal(a.v[0].path, "/repo/package.mask");
	}
	/* profile -atoms remove earlier ones; the user's remove repository atoms too (ignore_repo) */
	{
		const hs_masklist *all[] = { &a, &prof, &user };

		assert_int_equal(hs_masklist_stack(all, 3, "cat/pkg", true, true, NULL, &out), 0);
		assert_int_equal(out.n, 2);
		assert_string_equal(out.v[0].text, "=cat/pkg-3");
		assert_string_equal(out.v[0].path, "/prof/package.mask");
		assert_string_equal(out.v[1].text, "cat/*");
	}
	set_version(f, "3");
	m = hs_masklist_find(f->ctx, &out, &f->pkg, af);
	assert_non_null(m);
	assert_string_equal(m->text, "=cat/pkg-3");
	assert_int_equal(m->line, 3);
	set_version(f, "2");
	m = hs_masklist_find(f->ctx, &out, &f->pkg, af);
	assert_non_null(m);
	assert_string_equal(m->text, "cat/*");
	hs_masklist_free(&out);
	{
		const hs_masklist *two[] = { &a, &prof };

		assert_int_equal(hs_masklist_stack(two, 2, "cat/pkg", false, false, NULL, &out), 0);
		set_version(f, "1");
		assert_null(hs_masklist_find(f->ctx, &out, &f->pkg, af));
		f->pkg.repo = "overlay";
		set_version(f, "4");
		assert_null(hs_masklist_find(f->ctx, &out, &f->pkg, af));
		f->pkg.repo = "gentoo";
		assert_non_null(hs_masklist_find(f->ctx, &out, &f->pkg, af));
	}
	hs_masklist_free(&out);
	hs_masklist_free(&a);
	hs_masklist_free(&repo);
	hs_masklist_free(&prof);
	hs_masklist_free(&user);
}

static void test_flagtoks_from_assigns(void **state)
{
	fixture *f = *state;
	hs_vars *vars = NULL;
	hs_assigns as = {0};
	const char *text = "USE=\"a\"\nUSE=\"${USE} b\"\nX=1\nUSE=\"${USE}\n c\"\nOTHER=\"${USE}\"\n";

	assert_int_equal(hs_vars_new(&vars), 0);
	assert_int_equal(hs_getconfig_buf(f->ctx, HS_ROOT_CONFIG, "/make.conf", text, strlen(text), vars, &as,
					  HS_GETCONFIG_EXPAND), 0);
	assert_int_equal(hs_flagtoks_from_assigns(&f->out, &as, "USE"), 0);
	assert_int_equal(f->out.n, 3);
	assert_string_equal(f->out.v[0].tok, "a");
	assert_int_equal(f->out.v[0].line, 1);
	assert_string_equal(f->out.v[1].tok, "b");
	assert_int_equal(f->out.v[1].line, 2);
	assert_string_equal(f->out.v[2].tok, "c");
	assert_int_equal(f->out.v[2].line, 4);
	assert_string_equal(f->out.v[2].path, "/make.conf");
	hs_flagtoks_free(&f->out);

	/* a value that does not start with the previous one starts over */
	hs_assigns_free(&as);
	text = "USE=\"a b\"\nUSE=\"c ${USE}\"\n";
	assert_int_equal(hs_getconfig_buf(f->ctx, HS_ROOT_CONFIG, "/make.conf", text, strlen(text), vars, &as,
					  HS_GETCONFIG_EXPAND), 0);
	assert_int_equal(hs_flagtoks_from_assigns(&f->out, &as, "USE"), 0);
	assert_int_equal(f->out.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(f->out.v[i].line, 2);
	hs_flagtoks_free(&f->out);
	/* no assignment: nothing */
	assert_int_equal(hs_flagtoks_from_assigns(&f->out, &as, "NOPE"), 0);
	assert_int_equal(f->out.n, 0);
	hs_assigns_free(&as);
	hs_vars_free(vars);
}

static void test_bad_input(void **state)
{
	fixture *f = *state;
	char *junk = malloc(65536);
	uint32_t x = 12345;
	char path[4096];
	FILE *fp;

	/* CRLF line ends: '\r' is whitespace to Portage's split() */
	tree_put(f->root, "etc/portage/crlf", "cat/pkg a\r\ncat/pkg b\r\n");
	assert_string_equal(match(f, "/etc/portage/crlf", HS_ATOMFILE_USER_USE, true, NULL), "a b");

	/* binary garbage: never a crash; what is not an atom is warned about and skipped */
	for (size_t i = 0; i < 65536; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)(x >> 16);
	}
	memcpy(junk + 1000, "\ncat/pkg ok\n", 12);
	snprintf(path, sizeof(path), "%s/etc/portage/junk", f->root);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, 65536, fp), 65536);
	fclose(fp);
	free(junk);
	assert_non_null(strstr(match(f, "/etc/portage/junk", HS_ATOMFILE_USER_USE, true, NULL), "ok"));
	assert_true(hs_ctx_warning_count(f->ctx) > 0);
	assert_non_null(strstr(hs_ctx_warning(f->ctx, 0), "--- Invalid atom in /etc/portage/junk: "));
	/* the same bytes as a profile file and as a flag list */
	match(f, "/etc/portage/junk", HS_ATOMFILE_CHECK_FLAGS, false, NULL);
	{
		hs_flaglist l = {0};
		hs_masklist m = {0}, st = {0};
		const hs_masklist *one[] = { &m };

		assert_int_equal(hs_flaglist_load(f->ctx, &l, HS_ROOT_CONFIG, "/etc/portage/junk", false, false), 0);
		hs_flaglist_free(&l);
		assert_int_equal(hs_masklist_load(f->ctx, &m, HS_ROOT_CONFIG, "/etc/portage/junk", false), 0);
		assert_int_equal(hs_masklist_stack(one, 1, "cat/pkg", true, true, "gentoo", &st), 0);
		(void)hs_masklist_find(f->ctx, &st, &f->pkg, HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD);
		hs_masklist_free(&st);
		hs_masklist_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_specificity_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_expand_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_and_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_n, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flaglist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masklist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flagtoks_from_assigns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
