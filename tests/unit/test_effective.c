/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * effective.c, visibility.c, portageconf.c: hs_portage_load() and hs_portage_effective_use() on small
 * Gentoo-shaped trees built in mkdtemp directories (every USE_ORDER layer with provenance, `-*`, USE_EXPAND,
 * `* / *` lines, make.conf directories with `source`, masks beating forces, /etc/portage/profile, stable-only
 * profile files, keywords and package.mask visibility, REQUIRED_USE, the environment layer), and the
 * conformance check against Portage's own answers in ../shared/gentoo-data (expected/ready.json and
 * expected/missing.json).
 *
 * The copy of gentoo-data lost its symlinks: there etc/portage/make.profile is a regular file holding the
 * symlink target. The conformance test therefore copies each root into a temp dir and recreates the symlink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

/* ---- temp trees ------------------------------------------------------------------------------------ */
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

#define REPO "var/db/repos/gentoo"
#define PROF REPO "/profiles"
#define CACHE REPO "/metadata/md5-cache"

/* The repository "gentoo" at Portage's default location (no repos.conf needed) with profiles base ← leaf,
 * ARCH amd64, and one package app-misc/foo-1 (stable). */
static void base_tree(const char *root)
{
	tree_put(root, PROF "/repo_name", "gentoo\n");
	tree_put(root, REPO "/metadata/layout.conf", "masters =\n");
	tree_put(root, PROF "/base/eapi", "5\n");
	tree_put(root, PROF "/base/make.defaults",
	    "ARCH=\"amd64\"\n"                                 /* 1 */
	    "ACCEPT_KEYWORDS=\"${ARCH}\"\n"                    /* 2 */
	    "USE_EXPAND=\"PYTHON_TARGETS ELIBC\"\n"            /* 3 */
	    "USE_EXPAND_IMPLICIT=\"ARCH ELIBC\"\n"             /* 4 */
	    "USE_EXPAND_UNPREFIXED=\"ARCH\"\n"                 /* 5 */
	    "USE_EXPAND_VALUES_ARCH=\"amd64 x86\"\n"           /* 6 */
	    "USE_EXPAND_VALUES_ELIBC=\"glibc musl\"\n"         /* 7 */
	    "IUSE_IMPLICIT=\"prefix\"\n"                       /* 8 */
	    "ELIBC=\"glibc\"\n"                                /* 9 */
	    "PYTHON_TARGETS=\"python3_11\"\n"                  /* 10 */
	    "USE=\"pdef\"\n"                                   /* 11 */
	    "PROFILE_ONLY_VARIABLES=\"ARCH ELIBC\"\n");        /* 12 */
	tree_put(root, PROF "/leaf/eapi", "5\n");
	tree_put(root, PROF "/leaf/parent", "../base\n");
	tree_put(root, PROF "/leaf/make.defaults", "# leaf\nUSE=\"${USE} leafdef\"\n");
	link_to(root, "etc/portage/make.profile", "../../" PROF "/leaf");
	tree_put(root, CACHE "/app-misc/foo-1",
	    "EAPI=8\nIUSE=+idef pdef leafdef confflag pkgflag other s1 s2 s3 t1 forceme maskme pm1 uf sm "
	    "python_targets_python3_11 python_targets_python3_12\nKEYWORDS=amd64 ~x86\nSLOT=0\n");
	tree_put(root, "etc/portage/make.conf", "USE=\"confflag\"\n");
	tree_put(root, "etc/portage/package.use", "app-misc/foo pkgflag\n");
}

typedef struct fixture {
	char root[64];
	hs_ctx *ctx;
	hs_portage *p;
	hs_pkg_use *u;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/hs-effective-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	base_tree(f->root);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_pkg_use_free(f->u);
	hs_portage_free(f->p);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static void print_warnings(hs_ctx *ctx)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		print_message("warning: %s\n", hs_ctx_warning(ctx, i));
}

static bool has_warning(hs_ctx *ctx, const char *text)
{
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		if (strstr(hs_ctx_warning(ctx, i), text))
			return true;
	return false;
}

/* Load the configuration and compute @atom; returns the errno of the failing step. */
static int compute(fixture *f, const char *atom_text, unsigned flags)
{
	hs_atom *atom = NULL;
	int r;

	hs_pkg_use_free(f->u);
	f->u = NULL;
	hs_portage_free(f->p);
	f->p = NULL;
	r = hs_portage_load(f->ctx, &f->p, false);
	if (r < 0)
		return r;
	assert_int_equal(hs_atom_parse(f->ctx, &atom, atom_text, strlen(atom_text), HS_ATOM_PMS), 0);
	r = hs_portage_effective_use(f->p, &f->u, atom, flags);
	hs_atom_free(atom);
	return r;
}

static bool on(const fixture *f, const char *flag)
{
	return hs_useset_has(hs_pkg_use_portage_use(f->u), flag, strlen(flag));
}

/* Check a flag's state and where it came from (file relative to the root; NULL: no file). */
static void check_origin(const fixture *f, const char *flag, bool enabled, const char *layer, const char *file,
			 unsigned line, const char *token)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(f->u, flag);

	if (!o)
		fail_msg("no origin for '%s'", flag);
	if (o->enabled != enabled || strcmp(o->layer, layer) != 0 || (file == NULL) != (o->file == NULL) ||
	    (file && strcmp(o->file, file) != 0) || (line && o->line != line) ||
	    (token && (!o->token || strcmp(o->token, token) != 0)))
		fail_msg("%s: got %s %s %s:%u '%s', want %s %s %s:%u '%s'", flag, o->enabled ? "on" : "off", o->layer,
			 o->file ? o->file : "-", o->line, o->token ? o->token : "-", enabled ? "on" : "off", layer,
			 file ? file : "-", line, token ? token : "-");
	assert_int_equal(on(f, flag), enabled);
}

/* ---- layers and provenance -------------------------------------------------------------------------- */

static void test_layers(void **state)
{
	fixture *f = *state;
	const hs_useset *ie;

	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-1");
	assert_string_equal(hs_pkg_use_slot(f->u), "0");
	assert_string_equal(hs_pkg_use_repo(f->u), "gentoo");
	assert_string_equal(hs_pkg_use_eapi(f->u), "8");
	assert_true(hs_pkg_use_stable(f->u));

	check_origin(f, "idef", true, "pkginternal", NULL, 0, "+idef");
	check_origin(f, "pdef", true, "defaults", "/" PROF "/base/make.defaults", 11, "pdef");
	/* USE="${USE} leafdef" sees only its own file: base's pdef is not repeated from the leaf */
	check_origin(f, "leafdef", true, "defaults", "/" PROF "/leaf/make.defaults", 2, "leafdef");
	check_origin(f, "confflag", true, "conf", "/etc/portage/make.conf", 1, "confflag");
	check_origin(f, "pkgflag", true, "pkg", "/etc/portage/package.use", 1, "pkgflag");
	check_origin(f, "python_targets_python3_11", true, "defaults", "/" PROF "/base/make.defaults", 10,
		     "PYTHON_TARGETS=python3_11");
	check_origin(f, "other", false, "none", NULL, 0, NULL);
	check_origin(f, "amd64", true, "defaults", "/" PROF "/base/make.defaults", 1, "ARCH=amd64");
	check_origin(f, "elibc_glibc", true, "defaults", "/" PROF "/base/make.defaults", 9, "ELIBC=glibc");

	/* implicit flags are in PORTAGE_USE, not in the IUSE lists */
	assert_false(hs_useset_has(hs_pkg_use_enabled(f->u), "amd64", 5));
	assert_true(hs_useset_has(hs_pkg_use_enabled(f->u), "idef", 4));
	assert_true(hs_useset_has(hs_pkg_use_disabled(f->u), "other", 5));
	assert_false(on(f, "x86"));
	ie = hs_pkg_use_iuse_effective(f->u);
	assert_true(hs_useset_has(ie, "x86", 3));
	assert_true(hs_useset_has(ie, "elibc_musl", 10));
	assert_true(hs_useset_has(ie, "prefix", 6));
	assert_false(hs_useset_has(ie, "pdef2", 5));
	assert_int_equal(hs_pkg_use_origin_count(f->u), hs_useset_count(ie));
	for (size_t i = 1; i < hs_pkg_use_origin_count(f->u); i++)
		assert_true(strcmp(hs_pkg_use_origin(f->u, i - 1)->flag, hs_pkg_use_origin(f->u, i)->flag) < 0);
	assert_null(hs_pkg_use_origin_of(f->u, "pdef2"));

	assert_string_equal(hs_portage_var(f->p, "ARCH"), "amd64");
	assert_string_equal(hs_portage_var(f->p, "ACCEPT_KEYWORDS"), "amd64");
	assert_string_equal(hs_portage_var(f->p, "USE"), "confflag");
	assert_string_equal(hs_portage_var(f->p, "USE_ORDER"), "env:pkg:conf:defaults:pkginternal:features:repo:env.d");
	assert_null(hs_portage_var(f->p, "NO_SUCH_VARIABLE"));
	assert_int_equal(hs_portage_profile_count(f->p), 2);
	assert_string_equal(hs_portage_profile(f->p, 0), "/" PROF "/base");
	assert_string_equal(hs_portage_profile(f->p, 1), "/" PROF "/leaf");
	assert_null(hs_portage_profile(f->p, 2));
	assert_int_equal(hs_pkg_use_required_use_ok(f->u), 1);
	assert_string_equal(hs_pkg_use_required_use_unsatisfied(f->u, HS_REQUSE_RAW), "");
}

static void test_minus_star(void **state)
{
	fixture *f = *state;

	/* -* in package.use clears every layer below it */
	tree_put(f->root, "etc/portage/package.use", "# comment\napp-misc/foo -* pkgflag\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "idef", false, "pkg", "/etc/portage/package.use", 2, "-*");
	check_origin(f, "confflag", false, "pkg", "/etc/portage/package.use", 2, "-*");
	check_origin(f, "python_targets_python3_11", false, "pkg", "/etc/portage/package.use", 2, "-*");
	check_origin(f, "other", false, "pkg", "/etc/portage/package.use", 2, "-*");
	check_origin(f, "pkgflag", true, "pkg", "/etc/portage/package.use", 2, "pkgflag");
	/* ARCH comes back after the layers, as in regenerate() */
	assert_true(on(f, "amd64"));

	/* -* in make.conf: the profile and IUSE defaults go, package.use still applies */
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo pkgflag -confflag\n");
	tree_put(f->root, "etc/portage/make.conf", "USE=\"-* confflag other\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "pdef", false, "conf", "/etc/portage/make.conf", 1, "-*");
	check_origin(f, "idef", false, "conf", "/etc/portage/make.conf", 1, "-*");
	check_origin(f, "other", true, "conf", "/etc/portage/make.conf", 1, "other");
	check_origin(f, "confflag", false, "pkg", "/etc/portage/package.use", 1, "-confflag");
	check_origin(f, "pkgflag", true, "pkg", "/etc/portage/package.use", 1, "pkgflag");

	/* -* in a child profile's make.defaults clears its parents' defaults (same layer, later node) and the
	 * IUSE defaults (pkginternal is below defaults); in a profile package.use it is not a valid flag at all
	 * (Portage's warning) */
	tree_put(f->root, "etc/portage/make.conf", "");
	tree_put(f->root, "etc/portage/package.use", "");
	tree_put(f->root, PROF "/leaf/make.defaults", "USE=\"-* leafdef\"\n");
	tree_put(f->root, PROF "/leaf/package.use", "app-misc/foo -* s1\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "pdef", false, "defaults", "/" PROF "/leaf/make.defaults", 1, "-*");
	check_origin(f, "python_targets_python3_11", false, "defaults", "/" PROF "/leaf/make.defaults", 1, "-*");
	check_origin(f, "leafdef", true, "defaults", "/" PROF "/leaf/make.defaults", 1, "leafdef");
	check_origin(f, "s1", true, "defaults", "/" PROF "/leaf/package.use", 1, "s1");
	check_origin(f, "idef", false, "defaults", "/" PROF "/leaf/make.defaults", 1, "-*");
	assert_true(has_warning(f->ctx, "--- Invalid USE flag for 'app-misc/foo' in '/" PROF "/leaf/package.use': '-*'"));
}

static void test_use_expand(void **state)
{
	fixture *f = *state;

	/* make.conf: a USE_EXPAND variable replaces its group (not incremental) */
	tree_put(f->root, "etc/portage/make.conf", "USE=\"confflag\"\nPYTHON_TARGETS=\"python3_12\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "python_targets_python3_11", false, "conf", "/etc/portage/make.conf", 2,
		     "PYTHON_TARGETS=\"python3_12\"");
	check_origin(f, "python_targets_python3_12", true, "conf", "/etc/portage/make.conf", 2,
		     "PYTHON_TARGETS=python3_12");

	/* a '-' value there is rejected with Portage's warning */
	tree_put(f->root, "etc/portage/make.conf", "PYTHON_TARGETS=\"-python3_11 python3_12\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_true(has_warning(f->ctx, "Invalid '-' operator in non-incremental variable 'PYTHON_TARGETS': '-python3_11'"));
	assert_false(on(f, "python_targets_python3_11"));
	assert_true(on(f, "python_targets_python3_12"));

	/* package.use `VAR:` syntax with -* inside the group, and the prefix ends with its line */
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo PYTHON_TARGETS: -* python3_11\napp-misc/foo s1\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "python_targets_python3_12", false, "pkg", "/etc/portage/package.use", 1, "PYTHON_TARGETS: -*");
	check_origin(f, "python_targets_python3_11", true, "pkg", "/etc/portage/package.use", 1,
		     "PYTHON_TARGETS: python3_11");
	check_origin(f, "s1", true, "pkg", "/etc/portage/package.use", 2, "s1");
	/* -python_targets_* removed only that group */
	assert_true(on(f, "confflag") == false); /* make.conf above has no USE any more */
	assert_true(on(f, "pdef"));

	/* make.defaults USE_EXPAND values are flags per node: a child profile can remove a parent's value */
	tree_put(f->root, "etc/portage/package.use", "");
	tree_put(f->root, "etc/portage/make.conf", "");
	tree_put(f->root, PROF "/leaf/make.defaults", "PYTHON_TARGETS=\"-python3_11 python3_12\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "python_targets_python3_11", false, "defaults", "/" PROF "/leaf/make.defaults", 1,
		     "PYTHON_TARGETS=-python3_11");
	check_origin(f, "python_targets_python3_12", true, "defaults", "/" PROF "/leaf/make.defaults", 1,
		     "PYTHON_TARGETS=python3_12");

	/* `python_targets_*` expands against IUSE */
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo python_targets_*\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "python_targets_python3_11", true, "pkg", "/etc/portage/package.use", 1, "python_targets_*");
	check_origin(f, "python_targets_python3_12", true, "pkg", "/etc/portage/package.use", 1, "python_targets_*");
}

static void test_global_lines(void **state)
{
	fixture *f = *state;

	/* "* / *" lines belong to make.conf's layer; other wildcards stay per package */
	tree_put(f->root, "etc/portage/package.use",
	    "*/* -confflag other\n"                 /* 1 */
	    "app-misc/* s1\n"                        /* 2 */
	    "*/*::gentoo s2\n");                     /* 3: not the exact key "* / *" */
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "confflag", false, "conf", "/etc/portage/package.use", 1, "-confflag");
	check_origin(f, "other", true, "conf", "/etc/portage/package.use", 1, "other");
	check_origin(f, "s1", true, "pkg", "/etc/portage/package.use", 2, "s1");
	check_origin(f, "s2", true, "pkg", "/etc/portage/package.use", 3, "s2");
	assert_string_equal(hs_portage_var(f->p, "USE"), "confflag -confflag other");

	/* and a package line overrides them */
	tree_put(f->root, "etc/portage/package.use", "*/* -confflag\napp-misc/foo confflag\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "confflag", true, "pkg", "/etc/portage/package.use", 2, "confflag");
}

static void test_specificity(void **state)
{
	fixture *f = *state;

	char path[4096];

	/* least specific first: app-misc/ * (-2) < app-misc/foo (1) < app-misc/foo:0 (3) < =app-misc/foo-1 (6) */
	snprintf(path, sizeof(path), "%s/etc/portage/package.use", f->root);
	assert_int_equal(unlink(path), 0);
	tree_put(f->root, "etc/portage/package.use/10-first",
	    "=app-misc/foo-1 -s1\n"          /* 1 */
	    "app-misc/foo s1 s2\n"           /* 2 */
	    "app-misc/* -s2 s3\n"            /* 3 */
	    "app-misc/foo:0 -s3\n");         /* 4 */
	/* equal specificity, different keys: the one written first is applied last (Portage's order) */
	tree_put(f->root, "etc/portage/package.use/20-second", "app-misc/foo::gentoo t1\n");
	tree_put(f->root, "etc/portage/package.use/30-third", "app-misc/foo -t1\n");
	/* skipped files */
	tree_put(f->root, "etc/portage/package.use/40-backup~", "app-misc/foo -s2\n");
	tree_put(f->root, "etc/portage/package.use/.hidden", "app-misc/foo -s2\n");
	tree_put(f->root, "etc/portage/package.use/CVS/x", "app-misc/foo -s2\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	print_warnings(f->ctx);
	check_origin(f, "s1", false, "pkg", "/etc/portage/package.use/10-first", 1, "-s1");
	check_origin(f, "s2", true, "pkg", "/etc/portage/package.use/10-first", 2, "s2");
	check_origin(f, "s3", false, "pkg", "/etc/portage/package.use/10-first", 4, "-s3");
	/* 30-third's line has the key of 10-first's line 2 and is joined to it; that key was written before
	 * 20-second's equally specific key, so it is applied after it (Portage's order) */
	check_origin(f, "t1", false, "pkg", "/etc/portage/package.use/30-third", 1, "-t1");
}

static void test_makeconf_dir_source(void **state)
{
	fixture *f = *state;
	char path[4096];

	snprintf(path, sizeof(path), "%s/etc/portage/make.conf", f->root);
	assert_int_equal(unlink(path), 0);
	tree_put(f->root, "etc/portage/make.conf/01-base", "V=\"s1\"\nUSE=\"confflag\"\n");
	tree_put(f->root, "etc/portage/make.conf/02-source", "source ../extra.conf\n");
	tree_put(f->root, "etc/portage/extra.conf", "EXTRA=\"other\"\n");
	tree_put(f->root, "etc/portage/make.conf/03-use", "USE=\"${USE} ${EXTRA} ${V}\"\n");
	tree_put(f->root, "etc/portage/make.conf/99-old~", "USE=\"-*\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	print_warnings(f->ctx);
	check_origin(f, "confflag", true, "conf", "/etc/portage/make.conf/01-base", 2, "confflag");
	check_origin(f, "other", true, "conf", "/etc/portage/make.conf/03-use", 1, "other");
	check_origin(f, "s1", true, "conf", "/etc/portage/make.conf/03-use", 1, "s1");
	assert_string_equal(hs_portage_var(f->p, "USE"), "confflag other s1");
	assert_true(on(f, "idef"));

	/* make.conf sees the profiles' variables; without USE its layer is "" */
	tree_put(f->root, "etc/portage/make.conf/03-use", "USE=\"${ARCH}-x\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_portage_var(f->p, "USE"), "amd64-x");
	tree_put(f->root, "etc/portage/make.conf/03-use", "");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_portage_var(f->p, "USE"), "confflag");
	tree_put(f->root, "etc/portage/make.conf/01-base", "");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_portage_var(f->p, "USE"), "");
}

static void test_masks_and_forces(void **state)
{
	fixture *f = *state;
	const hs_flag_origin *o;

	tree_put(f->root, PROF "/base/use.force", "forceme\nuf\n");
	tree_put(f->root, PROF "/base/use.mask", "# masked\nforceme\nmaskme\n");
	tree_put(f->root, PROF "/leaf/package.use.mask", "app-misc/foo pm1 maskme\n");
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo forceme maskme pm1 -uf\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	print_warnings(f->ctx);
	/* mask beats force, and beats package.use */
	o = hs_pkg_use_origin_of(f->u, "forceme");
	assert_non_null(o);
	assert_false(o->enabled);
	assert_true(o->masked);
	assert_false(o->forced);
	assert_string_equal(o->mask_file, "/" PROF "/base/use.mask");
	assert_int_equal(o->mask_line, 2);
	assert_string_equal(o->layer, "pkg"); /* what set it last before the mask */
	o = hs_pkg_use_origin_of(f->u, "pm1");
	assert_true(o->masked);
	assert_string_equal(o->mask_file, "/" PROF "/leaf/package.use.mask");
	/* a force beats package.use */
	o = hs_pkg_use_origin_of(f->u, "uf");
	assert_true(o->enabled);
	assert_true(o->forced);
	assert_string_equal(o->mask_file, "/" PROF "/base/use.force");
	assert_int_equal(o->mask_line, 2);
	assert_true(hs_useset_has(hs_pkg_use_forced(f->u), "uf", 2));
	assert_false(hs_useset_has(hs_pkg_use_forced(f->u), "forceme", 7));
	assert_true(hs_useset_has(hs_pkg_use_masked(f->u), "forceme", 7));
	assert_true(hs_useset_has(hs_pkg_use_masked(f->u), "maskme", 6));

	/* -flag in a child profile un-masks; /etc/portage/profile has the last word */
	tree_put(f->root, PROF "/leaf/use.mask", "-maskme\n");
	tree_put(f->root, PROF "/leaf/package.use.mask", "app-misc/foo pm1\n");
	tree_put(f->root, "etc/portage/profile/package.use.mask", "app-misc/foo -pm1\n");
	tree_put(f->root, "etc/portage/profile/use.mask", "uf\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_int_equal(hs_portage_profile_count(f->p), 3);
	assert_string_equal(hs_portage_profile(f->p, 2), "/etc/portage/profile");
	check_origin(f, "maskme", true, "pkg", "/etc/portage/package.use", 1, "maskme");
	check_origin(f, "pm1", true, "pkg", "/etc/portage/package.use", 1, "pm1");
	o = hs_pkg_use_origin_of(f->u, "uf");
	assert_false(o->enabled);
	assert_true(o->masked);
	assert_string_equal(o->mask_file, "/etc/portage/profile/use.mask");
}

static void test_stable_files(void **state)
{
	fixture *f = *state;

	tree_put(f->root, PROF "/base/use.stable.mask", "sm\n");
	tree_put(f->root, PROF "/base/package.use.stable.force", "app-misc/foo s1\n");
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo sm\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_true(hs_pkg_use_stable(f->u));
	assert_true(hs_pkg_use_origin_of(f->u, "sm")->masked);
	assert_false(on(f, "sm"));
	assert_true(on(f, "s1"));
	assert_true(hs_pkg_use_origin_of(f->u, "s1")->forced);

	/* the same ebuild accepted through ~x86 only is not stable: the stable files do not apply */
	tree_put(f->root, PROF "/base/make.defaults", "ARCH=\"x86\"\nACCEPT_KEYWORDS=\"~${ARCH}\"\nUSE_EXPAND_UNPREFIXED=\"ARCH\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_false(hs_pkg_use_stable(f->u));
	assert_false(hs_pkg_use_origin_of(f->u, "sm")->masked);
	assert_true(on(f, "sm"));
	assert_false(on(f, "s1"));

	/* a node whose EAPI lacks them ignores them, with Portage's warning */
	base_tree(f->root);
	tree_put(f->root, PROF "/base/eapi", "4\n");
	tree_put(f->root, "etc/portage/package.use", "app-misc/foo sm\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_true(has_warning(f->ctx, "--- EAPI '4' does not support 'use.stable.mask': '/" PROF "/base/use.stable.mask'"));
	assert_true(on(f, "sm"));
}

static void test_visibility(void **state)
{
	fixture *f = *state;
	int r;

	tree_put(f->root, CACHE "/app-misc/foo-2", "EAPI=8\nIUSE=\nKEYWORDS=~amd64\nSLOT=0\n");
	tree_put(f->root, CACHE "/app-misc/foo-3", "EAPI=8\nIUSE=\nSLOT=0\n");
	tree_put(f->root, CACHE "/app-misc/foo-4", "EAPI=99\nIUSE=\nKEYWORDS=amd64\nSLOT=0\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-1");
	assert_true(hs_pkg_use_stable(f->u));

	/* an accept_keywords entry without keywords accepts ~arch */
	tree_put(f->root, "etc/portage/package.accept_keywords/foo", "app-misc/foo\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-2");
	assert_false(hs_pkg_use_stable(f->u));
	/* the atom still chooses */
	assert_int_equal(compute(f, "<app-misc/foo-2", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-1");
	/* "**" accepts even an ebuild without KEYWORDS */
	tree_put(f->root, "etc/portage/package.accept_keywords/foo", "=app-misc/foo-3 **\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-3");

	/* masks: the user's, and an unmask */
	tree_put(f->root, "etc/portage/package.accept_keywords/foo", "app-misc/foo ~amd64\n");
	tree_put(f->root, "etc/portage/package.mask", ">=app-misc/foo-2\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-1");
	tree_put(f->root, "etc/portage/package.unmask", "=app-misc/foo-2\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-2");

	/* a profile mask removed by a user -atom */
	tree_put(f->root, "etc/portage/package.unmask", "");
	tree_put(f->root, "etc/portage/package.mask", "-=app-misc/foo-1\n");
	tree_put(f->root, PROF "/base/package.mask", "=app-misc/foo-1\n>=app-misc/foo-2\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-1");

	/* nothing visible: the message says why for each version */
	tree_put(f->root, "etc/portage/package.mask", "");
	r = compute(f, "app-misc/foo", 0);
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo: no visible version"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo-1: masked by /" PROF "/base/package.mask:1"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo-4: EAPI 99 is not supported"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo-3: masked by /" PROF "/base/package.mask:2"));
	tree_put(f->root, PROF "/base/package.mask", "=app-misc/foo-1\n");
	tree_put(f->root, "etc/portage/package.accept_keywords/foo", "");
	assert_int_equal(compute(f, "app-misc/foo", 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo-2: keyword not accepted: KEYWORDS=\"~amd64\""));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/foo-3: keyword not accepted: KEYWORDS=\"**\""));
	tree_put(f->root, PROF "/base/package.mask", "=app-misc/foo-1\n>=app-misc/foo-2\n");

	/* unless asked for any version */
	assert_int_equal(compute(f, "app-misc/foo", HS_EFFECTIVE_ANY_VISIBLE), 0);
	assert_string_equal(hs_pkg_use_cpv(f->u), "app-misc/foo-4");

	/* no such package, no matching version, wildcard */
	assert_int_equal(compute(f, "app-misc/nope", 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "app-misc/nope: no ebuild"));
	assert_int_equal(compute(f, ">app-misc/foo-9", 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "no version matches '>app-misc/foo-9'"));
}

static void test_wildcard_atom_refused(void **state)
{
	fixture *f = *state;
	hs_atom *atom = NULL;

	assert_int_equal(hs_portage_load(f->ctx, &f->p, false), 0);
	assert_int_equal(hs_atom_parse(f->ctx, &atom, "app-misc/*", 10, HS_ATOM_ALLOW_WILDCARD), 0);
	assert_int_equal(hs_portage_effective_use(f->p, &f->u, atom, 0), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "not a wildcard"));
	hs_atom_free(atom);
}

static void test_required_use(void **state)
{
	fixture *f = *state;

	tree_put(f->root, CACHE "/app-misc/bar-1",
	    "EAPI=8\nIUSE=homed cryptsetup a b\nKEYWORDS=amd64\nSLOT=0/1\nREQUIRED_USE=homed? ( cryptsetup ) ^^ ( a b )\n");
	tree_put(f->root, "etc/portage/package.use", "app-misc/bar homed a\n");
	assert_int_equal(compute(f, "app-misc/bar", 0), 0);
	assert_string_equal(hs_pkg_use_slot(f->u), "0/1");
	assert_string_equal(hs_pkg_use_required_use(f->u), "homed? ( cryptsetup ) ^^ ( a b )");
	assert_int_equal(hs_pkg_use_required_use_ok(f->u), 0);
	assert_string_equal(hs_pkg_use_required_use_unsatisfied(f->u, HS_REQUSE_RAW), "homed? ( cryptsetup )");
	tree_put(f->root, "etc/portage/package.use", "app-misc/bar homed cryptsetup\n");
	assert_int_equal(compute(f, "app-misc/bar", 0), 0);
	assert_int_equal(hs_pkg_use_required_use_ok(f->u), 0);
	assert_string_equal(hs_pkg_use_required_use_unsatisfied(f->u, HS_REQUSE_HUMAN), "exactly-one-of ( a b )");
	tree_put(f->root, "etc/portage/package.use", "app-misc/bar homed cryptsetup b\n");
	assert_int_equal(compute(f, "app-misc/bar", 0), 0);
	assert_int_equal(hs_pkg_use_required_use_ok(f->u), 1);
	assert_string_equal(hs_pkg_use_required_use_unsatisfied(f->u, HS_REQUSE_HUMAN), "");
}

static void test_environment(void **state)
{
	fixture *f = *state;
	hs_atom *atom = NULL;

	setenv("USE", "-idef other", 1);
	setenv("PYTHON_TARGETS", "python3_12", 1);
	assert_int_equal(hs_portage_load(f->ctx, &f->p, true), 0);
	unsetenv("USE");
	unsetenv("PYTHON_TARGETS");
	assert_int_equal(hs_atom_parse(f->ctx, &atom, "app-misc/foo", 12, HS_ATOM_PMS), 0);
	assert_int_equal(hs_portage_effective_use(f->p, &f->u, atom, 0), 0);
	hs_atom_free(atom);
	check_origin(f, "idef", false, "env", NULL, 0, "-idef");
	check_origin(f, "other", true, "env", NULL, 0, "other");
	check_origin(f, "python_targets_python3_12", true, "env", NULL, 0, "PYTHON_TARGETS=python3_12");
	assert_false(on(f, "python_targets_python3_11"));

	/* without use_env the environment does not count */
	setenv("USE", "-idef", 1);
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	unsetenv("USE");
	assert_true(on(f, "idef"));
}

static void test_errors(void **state)
{
	fixture *f = *state;
	char path[4096];

	/* make.conf that Portage rejects */
	tree_put(f->root, "etc/portage/make.conf", "USE+=\"x\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/make.conf:1"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "Invalid variable name 'USE+'"));
	tree_put(f->root, "etc/portage/make.conf", "");

	/* a broken parent */
	tree_put(f->root, PROF "/leaf/parent", "../nowhere\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx),
			    "Unable to parse profile: '/etc/portage/make.profile': Parent '/" PROF
			    "/nowhere' not found: '/" PROF "/leaf/parent'");
	tree_put(f->root, PROF "/leaf/parent", "../base\n");

	/* invalid package.use lines are skipped with Portage's warnings; the rest counts */
	tree_put(f->root, "etc/portage/package.use",
	    "app-misc/foo-1 other\n"
	    "app-misc/foo[pkgflag] other\n"
	    "app-misc/foo s1\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_true(has_warning(f->ctx, "--- Invalid atom in /etc/portage/package.use: app-misc/foo-1"));
	assert_true(has_warning(f->ctx,
				"--- Atom is not allowed to have USE flag(s) in /etc/portage/package.use: app-misc/foo[pkgflag]"));
	assert_false(on(f, "other"));
	assert_true(on(f, "s1"));

	/* metadata Portage could not use */
	tree_put(f->root, CACHE "/app-misc/bad-1", "EAPI=8\nIUSE=+ok b@d!\nKEYWORDS=amd64\nSLOT=0\n");
	assert_int_equal(compute(f, "app-misc/bad", 0), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "md5-cache/app-misc/bad-1: IUSE: "));
	tree_put(f->root, CACHE "/app-misc/bad-1", "EAPI=8\nIUSE=a\nKEYWORDS=amd64\nSLOT=0\nREQUIRED_USE=|| ( a\n");
	assert_int_equal(compute(f, "app-misc/bad", 0), 0);
	assert_true(hs_pkg_use_required_use_ok(f->u) < 0);
	tree_put(f->root, CACHE "/app-misc/bad-1", "EAPI=8\nIUSE=a\nKEYWORDS=amd64\nSLOT=0\nREQUIRED_USE=b? ( a )\n");
	assert_int_equal(compute(f, "app-misc/bad", 0), 0);
	assert_int_equal(hs_pkg_use_required_use_ok(f->u), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "USE flag 'b' is not in IUSE"));

	/* no profile at all */
	snprintf(path, sizeof(path), "%s/etc/portage/make.profile", f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(compute(f, "app-misc/foo", 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "no profile"));
}

static void test_repo_level_files(void **state)
{
	fixture *f = *state;

	/* <repo>/profiles/{use.mask,package.use,make.defaults} apply to the repository's packages */
	tree_put(f->root, PROF "/use.mask", "s2\n");
	tree_put(f->root, PROF "/package.use", "app-misc/foo s3 s2\n");
	tree_put(f->root, PROF "/make.defaults", "USE=\"s1\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	check_origin(f, "s1", true, "repo", "/" PROF "/make.defaults", 1, "s1");
	check_origin(f, "s3", true, "repo", "/" PROF "/package.use", 1, "s3");
	assert_true(hs_pkg_use_origin_of(f->u, "s2")->masked);
	/* the repo layer is below IUSE defaults and the profiles */
	tree_put(f->root, PROF "/make.defaults", "USE=\"-idef -pdef\"\n");
	assert_int_equal(compute(f, "app-misc/foo", 0), 0);
	assert_true(on(f, "idef"));
	assert_true(on(f, "pdef"));
}

/* ---- conformance with Portage on ../shared/gentoo-data ----------------------------------------------- */

static const char *shared_data(void)
{
	static char path[4096];
	const char *shared = getenv("SHARED");
	struct stat st;

	snprintf(path, sizeof(path), "%s/gentoo-data", shared && *shared ? shared : "../shared");
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

/* cp -a of a gentoo-data root into @dst, with etc/portage/make.profile made a symlink again. */
static void copy_root(const char *src, const char *dst)
{
	char cmd[16384 + 64], target[4096] = "", path[8192 + 64];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s/'", src, dst);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/etc/portage/make.profile", dst);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(target, sizeof(target), fp));
	fclose(fp);
	target[strcspn(target, "\n")] = '\0';
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

static void expect_set(const char *what, json_object *want, const hs_useset *got)
{
	size_t n = want ? json_object_array_length(want) : 0;
	bool ok = n == hs_useset_count(got);

	for (size_t i = 0; ok && i < n; i++)
		ok = hs_useset_has(got, json_object_get_string(json_object_array_get_idx(want, i)),
				   strlen(json_object_get_string(json_object_array_get_idx(want, i))));
	if (!ok) {
		_cleanup_free_ char *g = NULL;

		hs_useset_join(got, &g);
		fail_msg("%s: got [%s], want %s", what, g ? g : "", json_object_to_json_string(want));
	}
}

static void conformance(const char *name)
{
	const char *data = shared_data();
	char src[8192], expected[8192], root[64] = "/tmp/hs-gentoo-data-XXXXXX";
	json_object *exp, *stack, *pkgs;
	hs_ctx *ctx = NULL;
	hs_portage *p = NULL;
	struct timespec t0, t1;

	if (!data) {
		print_message("SKIP: gentoo-data not found (set SHARED to the ../shared folder)\n");
		skip();
	}
	snprintf(src, sizeof(src), "%s/%s", data, name);
	snprintf(expected, sizeof(expected), "%s/expected/%s.json", data, name);
	exp = json_object_from_file(expected);
	assert_non_null(exp);
	assert_non_null(mkdtemp(root));
	copy_root(src, root);

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (hs_portage_load(ctx, &p, false) < 0)
		fail_msg("load: %s", hs_ctx_last_error(ctx));

	assert_true(json_object_object_get_ex(exp, "profile_stack", &stack));
	assert_int_equal(hs_portage_profile_count(p), json_object_array_length(stack));
	for (size_t i = 0; i < json_object_array_length(stack); i++)
		assert_string_equal(hs_portage_profile(p, i), json_object_get_string(json_object_array_get_idx(stack, i)));

	assert_true(json_object_object_get_ex(exp, "packages", &pkgs));
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *pk = json_object_array_get_idx(pkgs, i), *v;
		const char *cpv;
		_cleanup_free_ char *cp = NULL;
		hs_atom *atom = NULL;
		hs_pkg_use *u = NULL;
		hs_installed **inst = NULL;
		size_t n_inst = 0;
		_cleanup_(hs_useset_freep) hs_useset *iu = NULL;

		assert_true(json_object_object_get_ex(pk, "cpv", &v));
		cpv = json_object_get_string(v);
		/* "cat/pkg" of the expected cpv: cut at the version */
		assert_int_equal(hs_atom_parse(ctx, &atom, cpv, strlen(cpv), HS_ATOM_CPV), 0);
		assert_int_equal(hs_atom_cp(atom, &cp), 0);
		hs_atom_free(atom);
		assert_int_equal(hs_atom_parse(ctx, &atom, cp, strlen(cp), HS_ATOM_PMS), 0);
		if (hs_portage_effective_use(p, &u, atom, 0) < 0)
			fail_msg("%s: %s", cp, hs_ctx_last_error(ctx));
		if (i + 1 == json_object_array_length(pkgs)) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			print_message("# %s: load + effective USE of %zu packages: %.2f ms\n", name,
				      json_object_array_length(pkgs),
				      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		}

		assert_string_equal(hs_pkg_use_cpv(u), cpv);
		assert_true(json_object_object_get_ex(pk, "slot", &v));
		assert_string_equal(hs_pkg_use_slot(u), json_object_get_string(v));
		assert_true(json_object_object_get_ex(pk, "stable", &v));
		assert_int_equal(hs_pkg_use_stable(u), json_object_get_boolean(v));
		json_object_object_get_ex(pk, "use", &v);
		expect_set("use", v, hs_pkg_use_enabled(u));
		json_object_object_get_ex(pk, "use_disabled", &v);
		expect_set("use_disabled", v, hs_pkg_use_disabled(u));
		json_object_object_get_ex(pk, "portage_use", &v);
		expect_set("portage_use", v, hs_pkg_use_portage_use(u));
		json_object_object_get_ex(pk, "masked_iuse", &v);
		expect_set("masked_iuse", v, hs_pkg_use_masked(u));
		json_object_object_get_ex(pk, "forced_iuse", &v);
		expect_set("forced_iuse", v, hs_pkg_use_forced(u));
		assert_true(json_object_object_get_ex(pk, "required_use_ok", &v));
		assert_int_equal(hs_pkg_use_required_use_ok(u), json_object_get_boolean(v) ? 1 : 0);
		if (json_object_object_get_ex(pk, "required_use_unsatisfied", &v))
			assert_string_equal(hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_RAW), json_object_get_string(v));
		else
			assert_string_equal(hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_RAW), "");

		/* installed_use: the VDB's USE restricted to the installed IUSE */
		assert_int_equal(hs_vdb_find(ctx, &inst, &n_inst, atom), 0);
		assert_int_equal(n_inst, 1);
		{
			hs_iuse *iuse = NULL;
			const char *s = hs_installed_iuse(inst[0]);

			assert_int_equal(hs_iuse_parse(ctx, &iuse, s, strlen(s)), 0);
			assert_int_equal(hs_useset_dup(&iu, hs_installed_use(inst[0])), 0);
			hs_useset_intersect(iu, hs_iuse_flags(iuse));
			hs_iuse_free(iuse);
		}
		json_object_object_get_ex(pk, "installed_use", &v);
		expect_set("installed_use", v, iu);
		hs_installed_list_free(inst, n_inst);
		hs_atom_free(atom);
		hs_pkg_use_free(u);
	}
	print_warnings(ctx);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	hs_portage_free(p);
	hs_ctx_free(ctx);
	json_object_put(exp);
	tree_rm_rf(root);
}

static void test_gentoo_data_ready(void **state)
{
	conformance("ready");
}

static void test_gentoo_data_missing(void **state)
{
	conformance("missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minus_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_specificity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_makeconf_dir_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masks_and_forces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_atom_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_level_files, setup, teardown),
		cmocka_unit_test(test_gentoo_data_ready),
		cmocka_unit_test(test_gentoo_data_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
