/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repos.c: repos.conf (file, directory, defaults, priority, masters, interpolation, Portage's error cases),
 * PORTDIR compatibility, profiles/repo_name, the md5-cache reader and version listing with tricky names.
 * Trees are built in mkdtemp directories. The real data of ../shared/gentoo-data is read in place (these tests
 * do not use etc/portage/make.profile, so the lost symlink of that copy does not matter); they print a skip
 * when $SHARED (set by `make check`) or ../shared is absent.
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

/* ---- temp trees ---------------------------------------------------------------------------------- */
/* A repository directory with profiles/repo_name and optional layout.conf text. */
static void make_repo(const char *root, const char *loc, const char *name, const char *layout)
{
	char rel[1024];

	snprintf(rel, sizeof(rel), "%s/profiles/repo_name", loc);
	if (name) {
		char text[256];

		snprintf(text, sizeof(text), "%s\n", name);
		tree_put(root, rel, text);
	} else {
		snprintf(rel, sizeof(rel), "%s/profiles", loc);
		tree_mkdir(root, rel);
	}
	if (layout) {
		snprintf(rel, sizeof(rel), "%s/metadata/layout.conf", loc);
		tree_put(root, rel, layout);
	}
}

typedef struct fixture {
	char root[256];
	hs_ctx *ctx;
	hs_repos repos;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "%s/hs-repos.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_repos_free(&f->repos);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static bool has_warning(hs_ctx *ctx, const char *needle)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		if (strstr(hs_ctx_warning(ctx, i), needle))
			return true;
	return false;
}

static void print_warnings(hs_ctx *ctx)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		print_message("warning: %s\n", hs_ctx_warning(ctx, i));
}

static const char *shared_dir(void)
{
	static char buf[4096];
	const char *s = getenv("SHARED");
	struct stat st;

	snprintf(buf, sizeof(buf), "%s/gentoo-data/ready", s && *s ? s : "../shared");
	if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return buf;
}

/* ---- repos.conf ---------------------------------------------------------------------------------- */
static void test_defaults_when_absent(void **state)
{
	fixture *f = *state;
	const hs_repo *g;

	/* No repos.conf and no repository: Portage's built-in defaults, gentoo kept despite the missing dir. */
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	assert_int_equal(f->repos.n, 1);
	assert_string_equal(f->repos.main_repo, "gentoo");
	g = hs_repos_main(&f->repos);
	assert_non_null(g);
	assert_string_equal(g->name, "gentoo");
	assert_string_equal(g->location, "/var/db/repos/gentoo");
	assert_int_equal(g->priority, -1000);
	assert_null(g->masters[0]);
	assert_true(has_warning(f->ctx, "!!! Section 'gentoo' in repos.conf has location attribute set to nonexistent "
				       "directory: '/var/db/repos/gentoo'"));
}

static void test_defaults_with_tree(void **state)
{
	fixture *f = *state;
	const hs_repo *g;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	g = hs_repos_find(&f->repos, "gentoo");
	assert_non_null(g);
	assert_ptr_equal(g, hs_repos_main(&f->repos));
	assert_null(hs_repos_find(&f->repos, "nope"));
}

static void test_file_priority_masters(void **state)
{
	fixture *f = *state;
	const hs_repo *g, *ov, *loc;

	make_repo(f->root, "srv/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/ov", "ov", "# comment\nmasters = gentoo\n");
	make_repo(f->root, "srv/local", "local", "masters = gentoo ov\n");
	tree_put(f->root, "etc/portage/repos.conf",
	    "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = /srv/gentoo\n\n"
	    "[local]\nlocation = /srv/local\npriority = 100\n\n"
	    "; a comment\n[ov]\nlocation = /srv/ov/\npriority = 1_0\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	assert_int_equal(f->repos.n, 3);
	/* Portage's prepos_order: (priority, name) */
	assert_string_equal(f->repos.v[0].name, "gentoo");
	assert_string_equal(f->repos.v[1].name, "ov");
	assert_string_equal(f->repos.v[2].name, "local");
	g = hs_repos_main(&f->repos);
	assert_string_equal(g->location, "/srv/gentoo");
	assert_int_equal(g->priority, -1000);
	ov = hs_repos_find(&f->repos, "ov");
	assert_string_equal(ov->location, "/srv/ov");
	assert_int_equal(ov->priority, 10);
	assert_string_equal(ov->masters[0], "gentoo");
	assert_null(ov->masters[1]);
	loc = hs_repos_find(&f->repos, "local");
	assert_int_equal(loc->priority, 100);
	assert_string_equal(loc->masters[0], "gentoo");
	assert_string_equal(loc->masters[1], "ov");
	assert_null(loc->masters[2]);
}

static void test_directory_order_and_override(void **state)
{
	fixture *f = *state;
	const hs_repo *ov;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/ov", "ov", "masters = gentoo\n");
	make_repo(f->root, "srv/ov2", "ov", "masters = gentoo\n");
	/* code-point order: "10-ov.conf" < "9-late.conf"; skipped: dot files and backups */
	tree_put(f->root, "etc/portage/repos.conf/10-ov.conf", "[ov]\nlocation = /srv/ov\npriority = 5\n");
	tree_put(f->root, "etc/portage/repos.conf/9-late.conf", "[ov]\npriority = 7\n");
	tree_put(f->root, "etc/portage/repos.conf/99-x.conf~", "[ov]\npriority = 99\nlocation = /srv/ov2\n");
	tree_put(f->root, "etc/portage/repos.conf/.hidden.conf", "[ov]\npriority = 98\n");
	tree_put(f->root, "etc/portage/repos.conf/sub/a.conf", "[ov]\nmasters = \n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	ov = hs_repos_find(&f->repos, "ov");
	assert_non_null(ov);
	assert_string_equal(ov->location, "/srv/ov");
	assert_int_equal(ov->priority, 7);
	/* repos.conf "masters =" (empty) overrides layout.conf */
	assert_null(ov->masters[0]);
	/* the built-in gentoo section is still there */
	assert_string_equal(hs_repos_main(&f->repos)->location, "/var/db/repos/gentoo");
}

static void test_missing_location_and_names(void **state)
{
	fixture *f = *state;
	const hs_repo *my;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/My", "MyOverlay", "masters = gentoo\n");
	make_repo(f->root, "srv/other", "other-name", "masters = gentoo\n");
	make_repo(f->root, "srv/noname", NULL, "masters = gentoo\n");
	make_repo(f->root, "srv/lay", "wrong", "masters = gentoo\nrepo-name = laid out\n");
	tree_put(f->root, "etc/portage/repos.conf",
	    "[nolocation]\npriority = 3\n"
	    "[MyOverlay]\nlocation = /srv/My\n"
	    "[mismatch]\nlocation = /srv/other\n"
	    "[noname]\nlocation = /srv/noname\n"
	    "[laid-out]\nlocation = /srv/lay\n"
	    "[gone]\nlocation = /srv/does-not-exist\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_true(has_warning(f->ctx, "!!! Section 'nolocation' in repos.conf is missing location attribute"));
	assert_true(has_warning(f->ctx, "!!! Section 'mismatch' in repos.conf has name different from repository "
				       "name 'other-name' set inside repository"));
	assert_true(has_warning(f->ctx, "!!! Section 'gone' in repos.conf has location attribute set to "
				       "nonexistent directory: '/srv/does-not-exist'"));
	assert_null(hs_repos_find(&f->repos, "nolocation"));
	assert_null(hs_repos_find(&f->repos, "mismatch"));
	assert_null(hs_repos_find(&f->repos, "other-name"));
	assert_null(hs_repos_find(&f->repos, "gone"));
	/* iniparser lower-cases section names; the spelling of the file is restored */
	my = hs_repos_find(&f->repos, "MyOverlay");
	assert_non_null(my);
	assert_string_equal(my->location, "/srv/My");
	/* no profiles/repo_name: the section name is used */
	assert_non_null(hs_repos_find(&f->repos, "noname"));
	/* layout.conf repo-name overrides repo_name, made valid ("laid out" → "laid-out") */
	assert_non_null(hs_repos_find(&f->repos, "laid-out"));
	assert_int_equal(f->repos.n, 4);
}

static void test_masters_warnings(void **state)
{
	fixture *f = *state;
	const hs_repo *a, *b;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/a", "a", NULL);
	make_repo(f->root, "srv/b", "b", "masters = gentoo missing-one\n");
	tree_put(f->root, "etc/portage/repos.conf/x.conf", "[a]\nlocation = /srv/a\n[b]\nlocation = /srv/b\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	a = hs_repos_find(&f->repos, "a");
	b = hs_repos_find(&f->repos, "b");
	assert_non_null(a);
	assert_non_null(b);
	/* no masters anywhere: the main repository, and Portage's warning */
	assert_string_equal(a->masters[0], "gentoo");
	assert_null(a->masters[1]);
	assert_true(has_warning(f->ctx, "!!! Repository 'a' is missing masters attribute in "
				       "'/srv/a/metadata/layout.conf'. Set 'masters = gentoo' in this file"));
	assert_string_equal(b->masters[0], "gentoo");
	assert_null(b->masters[1]);
	assert_true(has_warning(f->ctx, "Unavailable repository 'missing-one' referenced by masters entry in "
				       "'/srv/b/metadata/layout.conf'"));
	assert_int_equal(a->priority, 0);
}

static void test_parse_errors_drop_everything(void **state)
{
	fixture *f = *state;
	static const char *const bad[][2] = {
		{"[gentoo]\nlocation = /x\ngarbage line\n", "[line  3]: 'garbage line'"},
		{"location = /x\n[gentoo]\n", "File contains no section headers"},
		{"[ov]\nlocation = /a\n[ov]\npriority = 2\n", "[line  3]: section 'ov' already exists"},
		{"[ov]\nlocation = /a\nsync-uri = http://x/%20\n", "'%' must be followed by '%' or '('"},
		{"[ov]\nlocation = %(nope)s/a\n", "interpolation key 'nope' which is not a valid option name"},
		{"[ov]\na = %(b)s\nb = %(a)s\nlocation = /a\n", "Recursion limit exceeded"},
		{"[ov]\nlocation = /a\x00\n", "binary data"},
	};

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char path[512];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/etc/portage", f->root);
		tree_mkdir_p(path, 0755);
		strcat(path, "/repos.conf");
		fp = fopen(path, "w");
		assert_non_null(fp);
		/* the NUL case needs fwrite */
		fwrite(bad[i][0], 1, strlen(bad[i][0]) + (strstr(bad[i][1], "binary") ? 2 : 0), fp);
		fclose(fp);
		hs_ctx_clear_warnings(f->ctx);
		assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
		if (!has_warning(f->ctx, bad[i][1]) || !has_warning(f->ctx, "!!! Error while reading repo config file: ")) {
			print_warnings(f->ctx);
			fail_msg("case %zu: no warning '%s'", i, bad[i][1]);
		}
		/* Portage then continues with no repos.conf at all (not even its defaults) */
		assert_int_equal(f->repos.n, 0);
		assert_null(f->repos.main_repo);
		assert_null(hs_repos_main(&f->repos));
		hs_repos_free(&f->repos);
	}
}

static void test_interpolation_and_symlinks(void **state)
{
	fixture *f = *state;
	char target[512];
	const hs_repo *ov;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/real", "ov", "masters = gentoo\n");
	/* an absolute symlink inside the tree resolves inside the root */
	snprintf(target, sizeof(target), "%s/srv/link", f->root);
	assert_int_equal(symlink("/srv/real", target), 0);
	tree_put(f->root, "etc/portage/repos.conf",
	    "[DEFAULT]\nbase = /srv\n[ov]\nlocation = %(EPREFIX)s%(base)s/link\nsync-uri = https://x/100%%\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	ov = hs_repos_find(&f->repos, "ov");
	assert_non_null(ov);
	assert_string_equal(ov->location, "/srv/real");
}

static void test_default_section_inheritance(void **state)
{
	fixture *f = *state;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/ov", "ov", "masters = gentoo\n");
	/* configparser: every section inherits [DEFAULT]'s options, the main repository included */
	tree_put(f->root, "etc/portage/repos.conf", "[DEFAULT]\npriority = 5\nmain-repo = gentoo\n[ov]\nlocation = /srv/ov\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	assert_int_equal(hs_repos_find(&f->repos, "ov")->priority, 5);
	assert_int_equal(hs_repos_main(&f->repos)->priority, 5);
}

static void test_main_repo_override(void **state)
{
	fixture *f = *state;

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", NULL);
	make_repo(f->root, "srv/mine", "mine", "masters =\n");
	tree_put(f->root, "etc/portage/repos.conf", "[DEFAULT]\nmain-repo = mine\n[mine]\nlocation = /srv/mine\n");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	print_warnings(f->ctx);
	assert_string_equal(f->repos.main_repo, "mine");
	assert_string_equal(hs_repos_main(&f->repos)->name, "mine");
	assert_int_equal(hs_repos_main(&f->repos)->priority, -1000);
	/* gentoo is no longer the main repository: without masters in layout.conf it gets the main one */
	assert_string_equal(hs_repos_find(&f->repos, "gentoo")->masters[0], "mine");
	assert_null(hs_repos_find(&f->repos, "gentoo")->masters[1]);
	assert_true(has_warning(f->ctx, "!!! Repository 'gentoo' is missing masters attribute"));
	assert_int_equal(hs_repos_find(&f->repos, "gentoo")->priority, 0);
}

static void test_portdir_compat(void **state)
{
	fixture *f = *state;
	_cleanup_(hs_vars_freep) hs_vars *vars = NULL;
	const hs_repo *g, *o1, *o2;

	make_repo(f->root, "usr/portage", "gentoo", "masters =\n");
	make_repo(f->root, "srv/o1", "o1", "masters = gentoo\n");
	make_repo(f->root, "srv/o 2", "o2", "masters = gentoo\n");
	tree_put(f->root, "etc/portage/repos.conf", "[o2]\npriority = 50\nlocation = /srv/elsewhere\n");
	assert_int_equal(hs_vars_new(&vars), 0);
	assert_int_equal(hs_vars_set(vars, "PORTDIR", "/usr//portage/", NULL, 0), 0);
	assert_int_equal(hs_vars_set(vars, "PORTDIR_OVERLAY", "/srv/o1 '/srv/o 2' /srv/not-there", NULL, 0), 0);
	assert_int_equal(hs_repos_load(f->ctx, vars, &f->repos), 0);
	print_warnings(f->ctx);
	g = hs_repos_main(&f->repos);
	assert_non_null(g);
	assert_string_equal(g->name, "gentoo");
	assert_string_equal(g->location, "/usr/portage");
	assert_int_equal(g->priority, -1000);
	o1 = hs_repos_find(&f->repos, "o1");
	o2 = hs_repos_find(&f->repos, "o2");
	assert_non_null(o1);
	assert_non_null(o2);
	assert_int_equal(o1->priority, 0);
	/* repos.conf may still set the priority of a PORTDIR_OVERLAY repository */
	assert_int_equal(o2->priority, 50);
	assert_string_equal(o2->location, "/srv/o 2");
	assert_true(has_warning(f->ctx, "!!! Invalid PORTDIR_OVERLAY (not a dir): '/srv/not-there'"));
	assert_int_equal(f->repos.n, 3);

	/* PORTAGE_REPOSITORIES replaces every repos.conf and disables PORTDIR */
	hs_repos_free(&f->repos);
	hs_ctx_clear_warnings(f->ctx);
	assert_int_equal(hs_vars_set(vars, "PORTAGE_REPOSITORIES",
				     "[DEFAULT]\nmain-repo = o1\n[o1]\nlocation = /srv/o1\n", NULL, 0), 0);
	assert_int_equal(hs_repos_load(f->ctx, vars, &f->repos), 0);
	print_warnings(f->ctx);
	assert_int_equal(f->repos.n, 1);
	assert_string_equal(hs_repos_main(&f->repos)->name, "o1");
	assert_null(hs_repos_main(&f->repos)->masters[0]);
	assert_true(has_warning(f->ctx, "Unavailable repository 'gentoo' referenced by masters entry in "
				       "'/srv/o1/metadata/layout.conf'"));
}

static void test_real_gentoo_data(void **state)
{
	const char *root = shared_dir();
	hs_ctx *ctx = NULL;
	hs_repos repos = {0};
	hs_ebuild **eb = NULL;
	size_t n = 0;

	if (!root) {
		print_message("SKIP: ../shared/gentoo-data is not present\n");
		skip();
	}
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	assert_int_equal(hs_repos_load(ctx, NULL, &repos), 0);
	print_warnings(ctx);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	assert_int_equal(repos.n, 1);
	assert_string_equal(hs_repos_main(&repos)->location, "/var/db/repos/gentoo");
	assert_null(hs_repos_main(&repos)->masters[0]);

	assert_int_equal(hs_repos_ebuilds(ctx, &repos, "sys-apps", "systemd", &eb, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(eb[0]->pf, "systemd-256.7");
	assert_string_equal(hs_version_str(eb[0]->version), "256.7");
	assert_ptr_equal(eb[0]->repo, hs_repos_main(&repos));
	assert_string_equal(hs_vars_get(eb[0]->meta, "EAPI"), "8");
	assert_string_equal(hs_vars_get(eb[0]->meta, "SLOT"), "0/2");
	assert_non_null(strstr(hs_vars_get(eb[0]->meta, "KEYWORDS"), " amd64 "));
	assert_non_null(strstr(hs_vars_get(eb[0]->meta, "IUSE"), " homed "));
	assert_non_null(strstr(hs_vars_get(eb[0]->meta, "REQUIRED_USE"), "homed? ( cryptsetup pam openssl )"));
	assert_non_null(strstr(hs_vars_get(eb[0]->meta, "_eclasses_"), "\t"));
	assert_string_equal(eb[0]->path, "/var/db/repos/gentoo/metadata/md5-cache/sys-apps/systemd-256.7");
	hs_ebuilds_free(eb, n);

	assert_int_equal(hs_repos_ebuilds(ctx, &repos, "sys-auth", "pambase", &eb, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hs_version_str(eb[0]->version), "20250228-r1");
	/* only ~amd64: hence package.accept_keywords in that root */
	assert_non_null(strstr(hs_vars_get(eb[0]->meta, "KEYWORDS"), "~amd64"));
	assert_null(strstr(hs_vars_get(eb[0]->meta, "KEYWORDS"), " amd64"));
	hs_ebuilds_free(eb, n);

	assert_int_equal(hs_repos_ebuilds(ctx, &repos, "sys-apps", "nothing", &eb, &n), 0);
	assert_int_equal(n, 0);
	hs_ebuilds_free(eb, n);
	assert_int_equal(hs_repos_ebuilds(ctx, &repos, "no-such-cat", "x", &eb, &n), 0);
	assert_int_equal(n, 0);
	hs_ebuilds_free(eb, n);

	hs_repos_free(&repos);
	hs_ctx_free(ctx);
}

/* ---- md5-cache ----------------------------------------------------------------------------------- */
static void test_md5cache_parse(void **state)
{
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;
	const char *file;
	unsigned line = 0;
	static const char text[] = "EAPI=8\r\nIUSE=a +b\nnot a pair\n=novalue\n\nSLOT=0/2\nKEYWORDS=\n"
				   "DESCRIPTION=x=y\nEAPI=7";

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	/* not NUL-terminated: pass the length without the final byte's terminator */
	assert_int_equal(hs_md5cache_parse(ctx, "/c/x-1", text, sizeof(text) - 1, v), 0);
	assert_string_equal(hs_vars_get(v, "EAPI"), "7"); /* later wins, no trailing newline needed */
	assert_string_equal(hs_vars_get(v, "IUSE"), "a +b");
	assert_string_equal(hs_vars_get(v, "SLOT"), "0/2");
	assert_string_equal(hs_vars_get(v, "DESCRIPTION"), "x=y");
	assert_null(hs_vars_get(v, "KEYWORDS")); /* empty values are omitted */
	assert_true(hs_vars_origin(v, "SLOT", &file, &line));
	assert_string_equal(file, "/c/x-1");
	assert_int_equal(line, 6);
	assert_int_equal(hs_ctx_warning_count(ctx), 2);
	assert_string_equal(hs_ctx_warning(ctx, 0),
			    "/c/x-1:3: malformed md5-cache line (no '='): 'not a pair'; line ignored");
	assert_string_equal(hs_ctx_warning(ctx, 1), "/c/x-1:4: empty key: '=novalue'; line ignored");

	/* binary garbage */
	assert_int_equal(hs_md5cache_parse(ctx, "/c/x-2", "EAPI=8\nIU\0SE=a\n", 15, v), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "/c/x-2:2: binary data (a NUL byte at column 3); not an md5-cache "
						    "entry");
	/* the empty input is an empty entry */
	assert_int_equal(hs_md5cache_parse(ctx, "/c/x-3", "", 0, v), 0);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_md5cache_real_entry(void **state)
{
	const char *root = shared_dir();
	char path[4096];
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (!root) {
		print_message("SKIP: ../shared/gentoo-data is not present\n");
		skip();
	}
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	snprintf(path, sizeof(path), "/var/db/repos/gentoo/metadata/md5-cache/sys-apps/systemd-256.7");
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_CONFIG, path, 1 << 20, &buf, &len), 0);
	assert_int_equal(hs_vars_new(&v), 0);
	assert_int_equal(hs_md5cache_parse(ctx, path, buf, len, v), 0);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	assert_string_equal(hs_vars_get(v, "EAPI"), "8");
	assert_string_equal(hs_vars_get(v, "SLOT"), "0/2");
	assert_non_null(strstr(hs_vars_get(v, "IUSE"), "+dns-over-tls"));
	assert_non_null(strstr(hs_vars_get(v, "IUSE"), "cryptsetup"));
	assert_int_equal(strlen(hs_vars_get(v, "_md5_")), 32);
	assert_non_null(hs_vars_get(v, "DEFINED_PHASES"));
	assert_non_null(hs_vars_get(v, "PDEPEND"));
	assert_null(hs_vars_get(v, "IDEPEND"));
	free(buf);
	hs_vars_free(v);
	hs_ctx_free(ctx);
}

static void test_ebuild_listing(void **state)
{
	fixture *f = *state;
	static const char *const entries[] = {
		"pkg-1.0", "pkg-1.0-r1", "pkg-2_rc1", "pkg-10", "pkg-foo-1.0", "pkg-foo", "pkg-1.0~", ".pkg-1",
		"pkg-1.0.ebuild", "pkg", "pkg-", "pkg-1-1", "pkg-01.0",
	};
	hs_ebuild **eb = NULL;
	size_t n = 0;
	char rel[512];

	make_repo(f->root, "var/db/repos/gentoo", "gentoo", "masters =\n");
	make_repo(f->root, "srv/ov", "ov", "masters = gentoo\n");
	tree_put(f->root, "etc/portage/repos.conf", "[ov]\nlocation = /srv/ov\npriority = 1\n");
	for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
		snprintf(rel, sizeof(rel), "var/db/repos/gentoo/metadata/md5-cache/app-misc/%s", entries[i]);
		tree_put(f->root, rel, "EAPI=8\nSLOT=0\n");
	}
	tree_put(f->root, "srv/ov/metadata/md5-cache/app-misc/pkg-1.0", "EAPI=7\nSLOT=1\n");
	tree_put(f->root, "srv/ov/metadata/md5-cache/app-misc/pkg-3", "EAPI=8\nSLOT=0\nbroken\n");
	/* a directory named like a version is not an entry */
	tree_mkdir(f->root, "srv/ov/metadata/md5-cache/app-misc/pkg-4");
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);

	assert_int_equal(hs_repos_ebuilds(f->ctx, &f->repos, "app-misc", "pkg", &eb, &n), 0);
	assert_int_equal(n, 7);
	/* ascending versions; equal versions (1.0 == 01.0): lower repository priority first, then by name */
	assert_string_equal(eb[0]->pf, "pkg-01.0");
	assert_string_equal(eb[0]->repo->name, "gentoo");
	assert_string_equal(eb[1]->pf, "pkg-1.0");
	assert_string_equal(eb[1]->repo->name, "gentoo");
	assert_string_equal(eb[2]->pf, "pkg-1.0");
	assert_string_equal(eb[2]->repo->name, "ov");
	assert_string_equal(hs_vars_get(eb[2]->meta, "SLOT"), "1");
	assert_string_equal(eb[3]->pf, "pkg-1.0-r1");
	assert_string_equal(eb[4]->pf, "pkg-2_rc1");
	assert_string_equal(eb[5]->pf, "pkg-3");
	assert_string_equal(eb[6]->pf, "pkg-10");
	assert_string_equal(eb[0]->category, "app-misc");
	assert_string_equal(eb[0]->package, "pkg");
	assert_true(has_warning(f->ctx, "/srv/ov/metadata/md5-cache/app-misc/pkg-3:3: malformed md5-cache line"));
	hs_ebuilds_free(eb, n);

	assert_int_equal(hs_repos_ebuilds(f->ctx, &f->repos, "app-misc", "pkg-foo", &eb, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hs_version_str(eb[0]->version), "1.0");
	hs_ebuilds_free(eb, n);

	assert_int_equal(hs_repos_ebuilds(f->ctx, &f->repos, "../etc", "pkg", &eb, &n), -EINVAL);
	assert_int_equal(hs_repos_ebuilds(f->ctx, &f->repos, "app-misc", "", &eb, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_when_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_with_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_priority_masters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_order_and_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_location_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masters_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_errors_drop_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interpolation_and_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_section_inheritance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_main_repo_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portdir_compat, setup, teardown),
		cmocka_unit_test(test_real_gentoo_data),
		cmocka_unit_test(test_md5cache_parse),
		cmocka_unit_test(test_md5cache_real_entry),
		cmocka_unit_test_setup_teardown(test_ebuild_listing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
