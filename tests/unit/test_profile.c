/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * profile.c: the profile stack as Portage's LocationsManager builds it (parents depth-first before the node,
 * relative / absolute / repo:path parents, eapi files, the deprecated /etc/make.profile, /etc/portage/profile
 * last), Portage's error texts, loops, symlinks resolved inside the root, and each node's make.defaults and
 * use.* / package.* files. Trees are built in mkdtemp directories.
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

static void link_to(const char *root, const char *rel, const char *target)
{
	char path[4096], dir[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	tree_mkdir_p(dir, 0755);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

#define PROF "var/db/repos/gentoo/profiles"
#define P "/var/db/repos/gentoo/profiles"

typedef struct fixture {
	char root[64];
	hs_ctx *ctx;
	hs_repos repos;
	hs_profile prof;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/hs-profile-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	tree_put(f->root, PROF "/repo_name", "gentoo\n");
	tree_put(f->root, "var/db/repos/gentoo/metadata/layout.conf", "masters =\n");
	tree_put(f->root, PROF "/a/eapi", "5\n");
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_profile_free(&f->prof);
	hs_repos_free(&f->repos);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static int load(fixture *f)
{
	hs_profile_free(&f->prof);
	hs_repos_free(&f->repos);
	assert_int_equal(hs_repos_load(f->ctx, NULL, &f->repos), 0);
	return hs_profile_load(f->ctx, &f->repos, &f->prof);
}

/* The stack as one string of paths relative to the repository's profiles/ ("-" for others). */
static const char *stack(const fixture *f)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->prof.n; i++) {
		const char *p = f->prof.v[i].path;

		if (strncmp(p, P "/", strlen(P) + 1) == 0)
			p += strlen(P) + 1;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", p);
	}
	return buf;
}

static bool has_warning(hs_ctx *ctx, const char *text)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		if (strcmp(hs_ctx_warning(ctx, i), text) == 0)
			return true;
	return false;
}

static void test_order(void **state)
{
	fixture *f = *state;

	/* depth first, parents left to right before the node; a node reached twice is listed twice, as in Portage */
	tree_put(f->root, PROF "/b/parent", "../a\n");
	tree_put(f->root, PROF "/c/parent", "# absolute\n" P "/a\n");
	tree_put(f->root, PROF "/x/parent", "../b\n../c\n");
	tree_put(f->root, PROF "/x/y/parent", "..\n");
	tree_put(f->root, PROF "/x/y/z/parent", "..  # trailing comment\n");
	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/x/y/z");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a b a c x x/y x/y/z");
	assert_string_equal(f->prof.profile_path, "/etc/portage/make.profile");
	/* the repository's nodes: EAPI from the eapi file, else the repository's default "0" */
	assert_string_equal(f->prof.v[0].eapi, "5");
	assert_true(f->prof.v[0].stable_files);
	assert_string_equal(f->prof.v[1].eapi, "0");
	assert_false(f->prof.v[1].stable_files);
	assert_string_equal(f->prof.v[0].repo, "gentoo");
	assert_true(f->prof.v[0].allow_dirs);
	assert_false(f->prof.v[0].user);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
}

static void test_parent_colon(void **state)
{
	fixture *f = *state;

	/* repo:path needs profile-formats = portage-2 */
	tree_put(f->root, "var/db/repos/gentoo/metadata/layout.conf", "masters =\nprofile-formats = portage-2 profile-default-eapi\nprofile_eapi_when_unspecified = 7\n");
	tree_put(f->root, "etc/portage/repos.conf", "[ov]\nlocation = /srv/ov\n");
	tree_put(f->root, "srv/ov/profiles/repo_name", "ov\n");
	tree_put(f->root, "srv/ov/metadata/layout.conf", "masters = gentoo\nprofile-formats = portage-2\n");
	tree_put(f->root, "srv/ov/profiles/o/parent", "gentoo:a\n:local\n");
	tree_put(f->root, "srv/ov/profiles/local/eapi", "8\n");
	tree_put(f->root, PROF "/b/parent", "gentoo:a\n");
	link_to(f->root, "etc/portage/make.profile", "/srv/ov/profiles/o");
	assert_int_equal(load(f), 0);
	assert_int_equal(f->prof.n, 3);
	assert_string_equal(f->prof.v[0].path, P "/a");
	assert_string_equal(f->prof.v[1].path, "/srv/ov/profiles/local");
	assert_string_equal(f->prof.v[2].path, "/srv/ov/profiles/o");
	assert_string_equal(f->prof.v[2].repo, "ov");
	assert_string_equal(f->prof.v[1].eapi, "8");
	/* the overlay has no default EAPI of its own */
	assert_string_equal(f->prof.v[2].eapi, "0");

	/* profile_eapi_when_unspecified (with profile-default-eapi) is the default of the repository's nodes */
	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/b");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a b");
	assert_string_equal(f->prof.v[1].eapi, "7");

	/* unknown repository */
	tree_put(f->root, PROF "/b/parent", "nosuch:a\n");
	assert_int_equal(load(f), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "Unable to parse profile: '/etc/portage/make.profile': Parent "
						       "'nosuch:a' not found: '" P "/b/parent'");

	/* without portage-2 the colon is just part of a relative path */
	tree_put(f->root, "var/db/repos/gentoo/metadata/layout.conf", "masters =\n");
	tree_put(f->root, PROF "/b/parent", "gentoo:a\n");
	assert_int_equal(load(f), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "Unable to parse profile: '/etc/portage/make.profile': Parent '" P
						       "/b/gentoo:a' not found: '" P "/b/parent'");
}

static void test_errors(void **state)
{
	fixture *f = *state;

	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/b");
	tree_put(f->root, PROF "/b/parent", "# nothing but comments\n\n");
	assert_int_equal(load(f), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx),
			    "Unable to parse profile: '/etc/portage/make.profile': Empty parent file: '" P "/b/parent'");

	tree_put(f->root, PROF "/b/parent", "../a\n../missing\n");
	assert_int_equal(load(f), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "Unable to parse profile: '/etc/portage/make.profile': Parent '" P
						       "/missing' not found: '" P "/b/parent'");

	tree_put(f->root, PROF "/b/parent", "../a\n");
	tree_put(f->root, PROF "/a/eapi", "9-future\n");
	assert_int_equal(load(f), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "Unable to parse profile: '/etc/portage/make.profile': Profile "
						       "contains unsupported EAPI '9-future': '" P "/a/eapi'");
	tree_put(f->root, PROF "/a/eapi", "5\n");

	/* a loop is an error of its own, not a stack overflow */
	tree_put(f->root, PROF "/a/parent", "../c\n");
	tree_put(f->root, PROF "/c/parent", "../b\n");
	assert_int_equal(load(f), -ELOOP);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "'" P "/b' is its own parent"));
	assert_int_equal(f->prof.n, 0);
}

static void test_no_profile(void **state)
{
	fixture *f = *state;

	assert_int_equal(load(f), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "no profile: '/etc/portage/make.profile'"));
	/* a make.profile that is a file is no profile either */
	tree_put(f->root, "etc/portage/make.profile", "../../" PROF "/a\n");
	assert_int_equal(load(f), -ENOENT);

	/* the deprecated location */
	link_to(f->root, "etc/make.profile", "../" PROF "/a");
	assert_int_equal(load(f), 0);
	assert_string_equal(f->prof.profile_path, "/etc/make.profile");
	assert_string_equal(stack(f), "a");

	/* both: the new one wins, with Portage's warning when they differ */
	tree_put(f->root, PROF "/b/parent", "../a\n");
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/etc/portage/make.profile", f->root);
		unlink(path);
	}
	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/b");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a b");
	assert_true(has_warning(f->ctx, "!!! Found 2 make.profile dirs: using '/etc/portage/make.profile', ignoring "
					"'/etc/make.profile'"));
}

static void test_user_profile(void **state)
{
	fixture *f = *state;

	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/a");
	tree_mkdir_p(f->root, 0755);
	tree_put(f->root, "etc/portage/profile/use.mask", "x\n");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a /etc/portage/profile");
	assert_true(f->prof.v[1].user);
	assert_null(f->prof.v[1].eapi);
	assert_true(f->prof.v[1].stable_files);
	assert_null(f->prof.v[1].repo);

	tree_put(f->root, "etc/portage/profile/eapi", "5\n");
	assert_int_equal(load(f), 0);
	assert_string_equal(f->prof.v[1].eapi, "5");
	tree_put(f->root, "etc/portage/profile/eapi", "5\n6\n");
	assert_int_equal(load(f), 0);
	assert_null(f->prof.v[1].eapi);
	assert_true(has_warning(f->ctx, "--- Invalid 'eapi' file (doesn't contain exactly one line): "
					"/etc/portage/profile/eapi"));
}

static void test_symlinks_stay_inside(void **state)
{
	fixture *f = *state;

	/* absolute and climbing symlinks resolve inside the root */
	link_to(f->root, "etc/portage/make.profile", "../../../../../../../../../../" PROF "/b");
	tree_put(f->root, PROF "/b/parent", "/etc/myprofile\n");
	link_to(f->root, "etc/myprofile", "/" PROF "/a");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a b");
	/* a parent outside the repository is resolved (realpath) and may be anywhere in the root */
	tree_put(f->root, "srv/mine/parent", "/var/db/repos/gentoo/profiles/a\n");
	tree_put(f->root, PROF "/b/parent", "../../../../../../srv/mine\n");
	assert_int_equal(load(f), 0);
	assert_string_equal(stack(f), "a /srv/mine b");
	assert_null(f->prof.v[1].repo);
	assert_string_equal(f->prof.v[1].eapi, "0");
}

static void test_make_defaults(void **state)
{
	fixture *f = *state;
	hs_vars *expand = NULL;

	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/b");
	tree_put(f->root, PROF "/b/parent", "../a\n");
	tree_put(f->root, PROF "/a/make.defaults", "A=\"1\"\nUSE=\"x\"\nUSE=\"${USE} y\"\n");
	tree_put(f->root, PROF "/b/make.defaults", "A=\"${A} 2\"\nUSE=\"${USE} z\"\n");
	assert_int_equal(load(f), 0);
	assert_int_equal(hs_vars_new(&expand), 0);
	for (size_t i = 0; i < f->prof.n; i++) {
		assert_int_equal(hs_vars_unset(expand, "USE"), 0);
		assert_int_equal(hs_profile_node_read_defaults(f->ctx, &f->prof.v[i], expand), 0);
	}
	/* other variables expand across nodes; USE only within its node */
	assert_string_equal(hs_vars_get(f->prof.v[1].vars, "A"), "1 2");
	assert_string_equal(hs_vars_get(f->prof.v[0].vars, "USE"), "x y");
	assert_string_equal(hs_vars_get(f->prof.v[1].vars, "USE"), " z");
	assert_int_equal(f->prof.v[0].use.n, 2);
	assert_int_equal(f->prof.v[0].use.v[0].line, 2);
	assert_int_equal(f->prof.v[0].use.v[1].line, 3);
	assert_string_equal(f->prof.v[0].use.v[1].path, P "/a/make.defaults");
	assert_int_equal(f->prof.v[1].use.n, 1);
	assert_string_equal(f->prof.v[1].use.v[0].tok, "z");
	hs_vars_free(expand);
}

static void test_node_files(void **state)
{
	fixture *f = *state;
	hs_profile_node *n;

	link_to(f->root, "etc/portage/make.profile", "../../" PROF "/b");
	tree_put(f->root, PROF "/b/parent", "../a\n");
	tree_put(f->root, PROF "/b/eapi", "4\n");
	/* a directory use.mask (portage-1-compat, the default format, allows it) */
	tree_put(f->root, PROF "/a/use.mask/10-x", "x\n-*\n");
	tree_put(f->root, PROF "/a/use.mask/20-y", "y\n");
	tree_put(f->root, PROF "/a/use.stable.mask", "s\n");
	tree_put(f->root, PROF "/a/package.use.force", "cat/pkg f\n");
	tree_put(f->root, PROF "/a/package.unmask", "cat/pkg\n");
	tree_put(f->root, PROF "/b/use.stable.force", "t\n");
	tree_put(f->root, PROF "/b/package.use.stable.mask", "cat/pkg u\n");
	assert_int_equal(load(f), 0);
	for (size_t i = 0; i < f->prof.n; i++)
		assert_int_equal(hs_profile_node_read_files(f->ctx, &f->prof.v[i]), 0);
	n = &f->prof.v[0];
	assert_int_equal(n->use_mask.toks.n, 2);
	assert_string_equal(n->use_mask.toks.v[0].tok, "x");
	assert_string_equal(n->use_mask.toks.v[1].tok, "y");
	assert_string_equal(n->use_mask.toks.v[1].path, P "/a/use.mask/20-y");
	assert_true(has_warning(f->ctx, "--- Invalid USE flag in '" P "/a/use.mask/10-x': '-*'"));
	assert_int_equal(n->use_stable_mask.toks.n, 1);
	assert_int_equal(n->pkg_use_force.lines.n, 1);
	assert_int_equal(n->pkg_unmask.n, 1);
	/* EAPI 4 has no *.stable.* files: ignored, with Portage's warning */
	n = &f->prof.v[1];
	assert_int_equal(n->use_stable_force.toks.n, 0);
	assert_int_equal(n->pkg_use_stable_mask.lines.n, 0);
	assert_true(has_warning(f->ctx, "--- EAPI '4' does not support 'use.stable.force': '" P "/b/use.stable.force'"));
	assert_true(has_warning(f->ctx, "--- EAPI '4' does not support 'package.use.stable.mask': '" P
					"/b/package.use.stable.mask'"));

	/* the repository-level node: <repo>/profiles itself */
	{
		hs_profile_node rn;

		tree_put(f->root, PROF "/use.force", "rf\n");
		tree_put(f->root, PROF "/package.mask", ">=cat/pkg-2\n");
		assert_int_equal(hs_profile_repo_node(f->ctx, &f->prof, hs_repos_main(&f->repos), &rn), 0);
		assert_string_equal(rn.path, P);
		assert_string_equal(rn.eapi, "0");
		assert_int_equal(rn.use_force.toks.n, 1);
		assert_int_equal(rn.pkg_mask.n, 1);
		hs_profile_node_free(&rn);
		/* without a loaded stack it reads metadata/layout.conf itself */
		assert_int_equal(hs_profile_repo_node(f->ctx, NULL, hs_repos_main(&f->repos), &rn), 0);
		assert_int_equal(rn.use_force.toks.n, 1);
		hs_profile_node_free(&rn);
	}
}

static void test_eapi_helpers(void **state)
{
	assert_true(hs_eapi_supported("0"));
	assert_true(hs_eapi_supported("8"));
	assert_true(hs_eapi_supported("5-progress"));
	assert_true(hs_eapi_supported(NULL));
	assert_false(hs_eapi_supported("9"));
	assert_false(hs_eapi_supported("10"));
	assert_false(hs_eapi_supported(""));
	assert_int_equal(hs_eapi_num("8"), 8);
	assert_int_equal(hs_eapi_num("5-progress"), 5);
	assert_int_equal(hs_eapi_num("x"), -1);
	assert_int_equal(hs_eapi_num(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_colon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_stay_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_files, setup, teardown),
		cmocka_unit_test(test_eapi_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
