/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vdb.c: the installed-package database. The real VDB of ../shared/gentoo-data/ready (23 packages) is read in
 * place (no etc/portage/make.profile is involved, so the lost symlink of that copy does not matter; a skip is
 * printed when $SHARED or ../shared is absent); edge cases run on mkdtemp trees: skipped entries, invalid
 * names, the consolidated `metadata` file (valid, stale, malformed), and CONTENTS in all its forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

/* ---- temp trees ---------------------------------------------------------------------------------- */
typedef struct fixture {
	char root[256];
	hs_ctx *ctx;
	hs_installed **list;
	size_t n;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "%s/hs-vdb.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_installed_list_free(f->list, f->n);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static void reset(fixture *f)
{
	hs_installed_list_free(f->list, f->n);
	f->list = NULL;
	f->n = 0;
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

static const char *shared_root(void)
{
	static char buf[4096];
	const char *s = getenv("SHARED");
	struct stat st;

	snprintf(buf, sizeof(buf), "%s/gentoo-data/ready", s && *s ? s : "../shared");
	if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return buf;
}

/* hs_vdb_find with an atom given as text; returns the number found. */
static size_t find(hs_ctx *ctx, const char *atom_text, hs_installed ***list)
{
	hs_atom *atom = NULL;
	size_t n = 99;

	if (atom_text)
		assert_int_equal(hs_atom_parse(ctx, &atom, atom_text, strlen(atom_text),
					       HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD), 0);
	assert_int_equal(hs_vdb_find(ctx, list, &n, atom), 0);
	hs_atom_free(atom);
	return n;
}

/* ---- the real VDB -------------------------------------------------------------------------------- */
static void test_real_vdb(void **state)
{
	const char *root = shared_root();
	hs_ctx *ctx = NULL;
	hs_installed **list = NULL;
	hs_installed *sd = NULL;
	const hs_contents_entry *e;
	size_t n, nc = 0;

	if (!root) {
		print_message("SKIP: ../shared/gentoo-data is not present\n");
		skip();
	}
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);

	n = find(ctx, NULL, &list);
	print_warnings(ctx);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	/* every package directory (counted with glob(3)); the data's README says 23, the tree holds 25 */
	{
		char pattern[4200];
		glob_t g;

		snprintf(pattern, sizeof(pattern), "%s/var/db/pkg/*/*", root);
		assert_int_equal(glob(pattern, GLOB_ONLYDIR, NULL, &g), 0);
		assert_int_equal(n, g.gl_pathc);
		assert_true(n >= 23);
		globfree(&g);
	}
	/* sorted by category, package, version */
	assert_string_equal(hs_installed_cpv(list[0]), "app-arch/zstd-1.5.6-r2");
	assert_string_equal(hs_installed_cpv(list[n - 1]), "sys-libs/zlib-1.3.1-r1");
	for (size_t i = 0; i + 1 < n; i++) {
		int c = strcmp(hs_installed_category(list[i]), hs_installed_category(list[i + 1]));

		assert_true(c < 0 || (c == 0 && strcmp(hs_installed_package(list[i]), hs_installed_package(list[i + 1])) <= 0));
		if (strcmp(hs_installed_cpv(list[i]), "sys-apps/systemd-256.7") == 0)
			sd = list[i];
	}
	assert_non_null(sd);
	assert_string_equal(hs_installed_category(sd), "sys-apps");
	assert_string_equal(hs_installed_package(sd), "systemd");
	assert_string_equal(hs_version_str(hs_installed_version(sd)), "256.7");
	assert_string_equal(hs_installed_slot(sd), "0");
	assert_string_equal(hs_installed_subslot(sd), "2");
	assert_string_equal(hs_installed_repo(sd), "gentoo");
	assert_string_equal(hs_installed_eapi(sd), "8");
	assert_string_equal(hs_installed_pkguse(sd), "homed cryptsetup -sysv-utils");
	assert_string_equal(hs_installed_path(sd), "/var/db/pkg/sys-apps/systemd-256.7");
	assert_true(hs_useset_has(hs_installed_use(sd), "homed", 5));
	assert_true(hs_useset_has(hs_installed_use(sd), "cryptsetup", 10));
	assert_true(hs_useset_has(hs_installed_use(sd), "abi_x86_64", 10));
	assert_false(hs_useset_has(hs_installed_use(sd), "sysv-utils", 10));
	assert_int_equal(hs_useset_count(hs_installed_use(sd)), 19);
	assert_non_null(hs_installed_iuse_effective(sd));
	assert_true(hs_useset_has(hs_installed_iuse_effective(sd), "sysv-utils", 10));
	assert_non_null(strstr(hs_installed_iuse(sd), "+dns-over-tls"));
	assert_non_null(strstr(hs_installed_keywords(sd), " amd64 "));

	/* CONTENTS, lazily */
	assert_null(hs_installed_contents_find(sd, "/usr/bin/homectl"));
	assert_int_equal(hs_installed_contents(ctx, sd, &nc), 0);
	assert_int_equal(nc, 26);
	e = hs_installed_contents_find(sd, "/usr/bin/homectl");
	assert_non_null(e);
	assert_int_equal(e->type, HS_CONTENTS_OBJ);
	assert_string_equal(e->md5, "84f88395e0c1bdc691a2e07efbe881f3");
	assert_int_equal(e->mtime, 1733302844);
	e = hs_installed_contents_get(sd, 0);
	assert_int_equal(e->type, HS_CONTENTS_DIR);
	assert_string_equal(e->path, "/usr");
	e = hs_installed_contents_find(sd, "/usr/lib64/libsystemd.so.0");
	assert_non_null(e);
	assert_int_equal(e->type, HS_CONTENTS_SYM);
	assert_string_equal(e->target, "libsystemd.so.0.39.0");
	assert_null(hs_installed_contents_get(sd, 26));
	hs_installed_list_free(list, n);

	/* find by atom */
	assert_int_equal(find(ctx, "sys-apps/systemd", &list), 1);
	assert_string_equal(hs_installed_cpv(list[0]), "sys-apps/systemd-256.7");
	hs_installed_list_free(list, 1);
	assert_int_equal(find(ctx, ">=sys-apps/systemd-257", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(find(ctx, "=sys-apps/systemd-256*", &list), 1);
	hs_installed_list_free(list, 1);
	assert_int_equal(find(ctx, "sys-apps/systemd:0/2::gentoo", &list), 1);
	hs_installed_list_free(list, 1);
	assert_int_equal(find(ctx, "sys-apps/systemd:1", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(find(ctx, "sys-apps/systemd::other", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(find(ctx, "sys-apps/systemd[homed,cryptsetup]", &list), 1);
	hs_installed_list_free(list, 1);
	assert_int_equal(find(ctx, "sys-apps/systemd[-homed]", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(find(ctx, "sys-apps/*", &list), 9);
	hs_installed_list_free(list, 9);
	assert_int_equal(find(ctx, "*/pambase", &list), 1);
	assert_string_equal(hs_installed_cpv(list[0]), "sys-auth/pambase-20250228-r1");
	assert_string_equal(hs_installed_slot(list[0]), "0");
	assert_string_equal(hs_installed_subslot(list[0]), "0");
	hs_installed_list_free(list, 1);
	assert_int_equal(find(ctx, "sys-apps/nothing", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(find(ctx, "no-cat/x", &list), 0);
	hs_installed_list_free(list, 0);
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	hs_ctx_free(ctx);
}

/* ---- skipping and names -------------------------------------------------------------------------- */
static void test_skipped_entries(void **state)
{
	fixture *f = *state;

	tree_put(f->root, "var/db/pkg/app-misc/foo-1.0/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/app-misc/foo-bar-2-r1/SLOT", "1\n");
	tree_put(f->root, "var/db/pkg/app-misc/-MERGING-foo-1.1/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/app-misc/.foo-1.2/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/app-misc/CVS/Entries", "x\n");
	tree_put(f->root, "var/db/pkg/app-misc/lost+found/x", "x\n");
	tree_put(f->root, "var/db/pkg/app-misc/notaversion/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/app-misc/file-1.0", "a file, not a package directory\n");
	tree_put(f->root, "var/db/pkg/.hidden-cat/foo-1.0/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/-MERGING-cat/foo-1.0/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/+bad/foo-1.0/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/.keep", "");
	tree_put(f->root, "var/db/pkg/app-misc/foo-1.0-r2/SLOT", "0\n");
	tree_put(f->root, "var/db/pkg/app-misc/foo-01.0/SLOT", "0\n");

	f->n = find(f->ctx, NULL, &f->list);
	print_warnings(f->ctx);
	assert_int_equal(f->n, 4);
	assert_string_equal(hs_installed_cpv(f->list[0]), "app-misc/foo-01.0");
	assert_string_equal(hs_installed_cpv(f->list[1]), "app-misc/foo-1.0");
	assert_string_equal(hs_installed_cpv(f->list[2]), "app-misc/foo-1.0-r2");
	assert_string_equal(hs_installed_cpv(f->list[3]), "app-misc/foo-bar-2-r1");
	assert_string_equal(hs_installed_package(f->list[3]), "foo-bar");
	assert_string_equal(hs_version_str(hs_installed_version(f->list[3])), "2-r1");
	/* defaults when files are missing */
	assert_string_equal(hs_installed_eapi(f->list[0]), "0");
	assert_string_equal(hs_installed_repo(f->list[0]), "");
	assert_string_equal(hs_installed_iuse(f->list[0]), "");
	assert_string_equal(hs_installed_pkguse(f->list[0]), "");
	assert_string_equal(hs_installed_keywords(f->list[0]), "");
	assert_null(hs_installed_iuse_effective(f->list[0]));
	assert_int_equal(hs_useset_count(hs_installed_use(f->list[0])), 0);
	assert_string_equal(hs_installed_slot(f->list[3]), "1");
	assert_true(has_warning(f->ctx, "!!! Invalid db entry: /var/db/pkg/app-misc/notaversion"));
	assert_int_equal(hs_ctx_warning_count(f->ctx), 1);
	reset(f);

	/* "foo" must not pick up foo-bar */
	f->n = find(f->ctx, "app-misc/foo", &f->list);
	assert_int_equal(f->n, 3);
	reset(f);
	/* any revision of version 1.0; 01.0 compares equal but Portage's match_from_list also wants the same
	 * text ("if xs[2] != ver: continue") */
	f->n = find(f->ctx, "~app-misc/foo-1.0", &f->list);
	assert_int_equal(f->n, 2);
	assert_string_equal(hs_installed_cpv(f->list[0]), "app-misc/foo-1.0");
	assert_string_equal(hs_installed_cpv(f->list[1]), "app-misc/foo-1.0-r2");
	reset(f);
	f->n = find(f->ctx, "app-misc/foo-bar", &f->list);
	assert_int_equal(f->n, 1);
}

static void test_whitespace_and_values(void **state)
{
	fixture *f = *state;
	const hs_installed *p;

	tree_put(f->root, "var/db/pkg/dev-libs/x-1/USE", "  b\ta \n\n c\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/IUSE", "+a   -b\nc\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/IUSE_EFFECTIVE", "a b c\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/SLOT", " 2/2.1 \n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/EAPI", "\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/repository", "my-overlay\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/PKGUSE", "a  -b\n");
	tree_put(f->root, "var/db/pkg/dev-libs/x-1/KEYWORDS", "~amd64\n");
	f->n = find(f->ctx, "dev-libs/x[a,-d(-)]", &f->list);
	assert_int_equal(f->n, 1);
	p = f->list[0];
	assert_int_equal(hs_useset_count(hs_installed_use(p)), 3);
	assert_string_equal(hs_useset_get(hs_installed_use(p), 0), "a");
	assert_string_equal(hs_installed_iuse(p), "+a -b c");
	assert_string_equal(hs_installed_slot(p), "2");
	assert_string_equal(hs_installed_subslot(p), "2.1");
	assert_string_equal(hs_installed_eapi(p), "0"); /* an empty EAPI is EAPI 0 */
	assert_string_equal(hs_installed_repo(p), "my-overlay");
	assert_string_equal(hs_installed_pkguse(p), "a -b");
	assert_string_equal(hs_installed_keywords(p), "~amd64");
	reset(f);
	f->n = find(f->ctx, "dev-libs/x[d]", &f->list);
	assert_int_equal(f->n, 0);
}

/* ---- the consolidated metadata file -------------------------------------------------------------- */
static void set_dir_mtime(const char *root, const char *rel, time_t sec, long nsec)
{
	char path[4096];
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_metadata_fallback(void **state)
{
	fixture *f = *state;
	const hs_installed *p;

	/* only the metadata file left (emaint vdb --fix --delete-individual-files) */
	tree_put(f->root, "var/db/pkg/sys-apps/systemd-260.1/metadata",
	    "#format=1\nEAPI=8\nIUSE=+acl  homed\nKEYWORDS=amd64\nSLOT=0/2\nUSE=amd64 homed\n"
	    "repository=gentoo\n#dir_mtime=1700000000123456789\n");
	/* an individual file wins over the metadata file */
	tree_put(f->root, "var/db/pkg/sys-apps/systemd-260.1/PKGUSE", "homed\n");
	tree_put(f->root, "var/db/pkg/sys-apps/systemd-260.1/KEYWORDS", "~amd64\n");
	set_dir_mtime(f->root, "var/db/pkg/sys-apps/systemd-260.1", 1700000000, 123456789);

	f->n = find(f->ctx, "sys-apps/systemd", &f->list);
	print_warnings(f->ctx);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
	assert_int_equal(f->n, 1);
	p = f->list[0];
	assert_string_equal(hs_installed_eapi(p), "8");
	assert_string_equal(hs_installed_iuse(p), "+acl homed");
	assert_string_equal(hs_installed_slot(p), "0");
	assert_string_equal(hs_installed_subslot(p), "2");
	assert_string_equal(hs_installed_repo(p), "gentoo");
	assert_string_equal(hs_installed_keywords(p), "~amd64");
	assert_string_equal(hs_installed_pkguse(p), "homed");
	assert_true(hs_useset_has(hs_installed_use(p), "homed", 5));
	assert_null(hs_installed_iuse_effective(p)); /* not one of the metadata file's fields */
	reset(f);

	/* stale: the directory changed after the metadata file was written */
	set_dir_mtime(f->root, "var/db/pkg/sys-apps/systemd-260.1", 1700000000, 123456780);
	f->n = find(f->ctx, "sys-apps/systemd", &f->list);
	assert_int_equal(f->n, 1);
	p = f->list[0];
	assert_true(has_warning(f->ctx, "/var/db/pkg/sys-apps/systemd-260.1/metadata: stale (#dir_mtime="
					"1700000000123456789, but the directory's mtime is 1700000000123456780); not used"));
	assert_string_equal(hs_installed_eapi(p), "0");
	assert_string_equal(hs_installed_slot(p), "0");
	assert_int_equal(hs_useset_count(hs_installed_use(p)), 0);
	assert_string_equal(hs_installed_keywords(p), "~amd64");
	reset(f);
}

static void test_metadata_malformed(void **state)
{
	fixture *f = *state;
	static const char *const bad[][2] = {
		{"#format=2\nEAPI=8\n#dir_mtime=1\n", "its first line is not '#format=1'"},
		{"#format=1\nEAPI=8\n", "it has no '#dir_mtime=' line"},
		{"#format=1\n#dir_mtime=1\nEAPI=8\n", "'#dir_mtime=' is not its last line"},
		{"#format=1\nEAPI 8\n#dir_mtime=1\n", "a line is not KEY=value"},
		{"#format=1\nEAPI=8\n#dir_mtime=x1\n", "its '#dir_mtime=' value is not a number"},
		{"", "it is empty"},
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		hs_ctx_clear_warnings(f->ctx);
		tree_put(f->root, "var/db/pkg/a-b/c-1/metadata", bad[i][0]);
		set_dir_mtime(f->root, "var/db/pkg/a-b/c-1", 0, 1);
		f->n = find(f->ctx, NULL, &f->list);
		assert_int_equal(f->n, 1);
		if (!has_warning(f->ctx, bad[i][1])) {
			print_warnings(f->ctx);
			fail_msg("case %zu: no warning '%s'", i, bad[i][1]);
		}
		assert_string_equal(hs_installed_eapi(f->list[0]), "0");
		reset(f);
	}
}

/* ---- CONTENTS ------------------------------------------------------------------------------------ */
static void test_contents_parse(void **state)
{
	static const char text[] =
		"dir /usr/share/my dir\n"
		"obj /usr/share/my dir/a file.txt d41d8cd98f00b204e9800998ecf8427e 1700000000\n"
		"sym /usr/bin/a b -> c d 1700000001\n"
		"sym /usr/bin/x -> y -> z 17\n"
		"sym /old -> target (1, 2L, 3L, 4, 5, 6, 7L, 8, 1234, 10)\n"
		"fif /run/fifo\n"
		"dev /dev/null\r\n"
		"obj //usr/./lib/../lib64/ x 99999999999999999999999\r"
		"obj rel/path m 1\n"
		"obj /no-mtime md5\n"
		"obj /tab md\t5 1\n"
		"sym /no-target ->  5\n"
		"bad line\n"
		"\n"
		"dir \n"
		"obj /nul\0x m 1\n"
		"dir /usr/share/my dir";
	hs_ctx *ctx = NULL;
	hs_contents_entry *v = NULL;
	char *storage = NULL;
	size_t n = 0;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* passed without its terminating NUL, so a read past the end would show under ASan */
	assert_int_equal(hs_contents_parse(ctx, "/var/db/pkg/a/b-1/CONTENTS", text, sizeof(text) - 1, &v, &n, &storage),
			 0);
	for (size_t i = 0; i < hs_ctx_warning_count(ctx); i++)
		print_message("%s\n", hs_ctx_warning(ctx, i));
	assert_int_equal(n, 10);
	assert_int_equal(v[0].type, HS_CONTENTS_DIR);
	assert_string_equal(v[0].path, "/usr/share/my dir");
	assert_null(v[0].md5);
	assert_int_equal(v[1].type, HS_CONTENTS_OBJ);
	assert_string_equal(v[1].path, "/usr/share/my dir/a file.txt");
	assert_string_equal(v[1].md5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(v[1].mtime, 1700000000);
	assert_int_equal(v[2].type, HS_CONTENTS_SYM);
	assert_string_equal(v[2].path, "/usr/bin/a b");
	assert_string_equal(v[2].target, "c d");
	assert_int_equal(v[2].mtime, 1700000001);
	/* the greedy path of Portage's regex: the last " -> " is the separator */
	assert_string_equal(v[3].path, "/usr/bin/x -> y");
	assert_string_equal(v[3].target, "z");
	/* the pre-2011 symlink format: the 9th number of the stat tuple is the mtime */
	assert_string_equal(v[4].path, "/old");
	assert_string_equal(v[4].target, "target");
	assert_int_equal(v[4].mtime, 1234);
	assert_int_equal(v[5].type, HS_CONTENTS_FIF);
	assert_int_equal(v[6].type, HS_CONTENTS_DEV);
	assert_string_equal(v[6].path, "/dev/null");
	/* normalize_path(), a \r line end, an mtime beyond int64 */
	assert_string_equal(v[7].path, "/usr/lib64");
	assert_string_equal(v[7].md5, "x");
	assert_int_equal(v[7].mtime, INT64_MAX);
	assert_string_equal(v[8].path, "/rel/path");
	assert_string_equal(v[9].path, "/usr/share/my dir");

	assert_int_equal(hs_ctx_warning_count(ctx), 7);
	assert_string_equal(hs_ctx_warning(ctx, 0), "/var/db/pkg/a/b-1/CONTENTS:10: Unrecognized CONTENTS entry: "
						    "'obj /no-mtime md5'; line ignored");
	assert_true(has_warning(ctx, "CONTENTS:11: Unrecognized CONTENTS entry: 'obj /tab md\\x095 1'"));
	assert_true(has_warning(ctx, "CONTENTS:12: Unrecognized CONTENTS entry: 'sym /no-target ->  5'"));
	assert_true(has_warning(ctx, "CONTENTS:13: Unrecognized CONTENTS entry: 'bad line'"));
	assert_true(has_warning(ctx, "CONTENTS:14: Unrecognized CONTENTS entry: ''"));
	assert_true(has_warning(ctx, "CONTENTS:15: Unrecognized CONTENTS entry: 'dir '"));
	assert_true(has_warning(ctx, "CONTENTS:16: Null byte found in CONTENTS entry: 'obj /nul\\x00x m 1'"));
	free(v);
	free(storage);

	/* empty, and many bad lines: warnings are capped */
	hs_ctx_clear_warnings(ctx);
	assert_int_equal(hs_contents_parse(ctx, "C", "", 0, &v, &n, &storage), 0);
	assert_int_equal(n, 0);
	free(v);
	free(storage);
	{
		char many[40 * 4];

		for (size_t i = 0; i < 40; i++)
			memcpy(many + 4 * i, "xyz\n", 4);
		assert_int_equal(hs_contents_parse(ctx, "C", many, sizeof(many), &v, &n, &storage), 0);
		assert_int_equal(n, 0);
		assert_int_equal(hs_ctx_warning_count(ctx), 21);
		assert_string_equal(hs_ctx_warning(ctx, 20), "C: 20 more malformed lines ignored");
		free(v);
		free(storage);
	}
	hs_ctx_free(ctx);
}

static void test_installed_contents(void **state)
{
	fixture *f = *state;
	hs_installed *p;
	const hs_contents_entry *e;
	size_t n = 0;

	tree_put(f->root, "var/db/pkg/x-y/dup-1/CONTENTS",
	    "obj /etc/a b 1\ndir /etc\nobj /etc/a c 2\nobj /etc/z z 3\nsym /etc/m -> a 4\n");
	tree_put(f->root, "var/db/pkg/x-y/none-1/SLOT", "0\n");
	f->n = find(f->ctx, NULL, &f->list);
	assert_int_equal(f->n, 2);
	p = f->list[0];
	assert_string_equal(hs_installed_cpv(p), "x-y/dup-1");
	assert_null(hs_installed_contents_get(p, 0));
	assert_int_equal(hs_installed_contents(f->ctx, p, &n), 0);
	assert_int_equal(n, 5);
	/* read once: a second call does not read again (the file is gone now) */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/var/db/pkg/x-y/dup-1/CONTENTS", f->root);
		assert_int_equal(unlink(path), 0);
	}
	n = 0;
	assert_int_equal(hs_installed_contents(f->ctx, p, &n), 0);
	assert_int_equal(n, 5);
	/* duplicates: the last line wins, as in Portage's dict */
	e = hs_installed_contents_find(p, "/etc/a");
	assert_non_null(e);
	assert_string_equal(e->md5, "c");
	assert_int_equal(e->mtime, 2);
	assert_int_equal(hs_installed_contents_find(p, "/etc")->type, HS_CONTENTS_DIR);
	assert_string_equal(hs_installed_contents_find(p, "/etc/m")->target, "a");
	assert_non_null(hs_installed_contents_find(p, "/etc/z"));
	assert_null(hs_installed_contents_find(p, "/etc/b"));
	assert_null(hs_installed_contents_find(p, "/"));
	assert_null(hs_installed_contents_find(p, "/etc/zz"));

	assert_int_equal(hs_installed_contents(f->ctx, f->list[1], &n), -ENOENT);
	assert_string_equal(hs_ctx_last_error(f->ctx),
			    "/var/db/pkg/x-y/none-1/CONTENTS: no such file (x-y/none-1 records no files)");
	assert_int_equal(n, 0);
}

static void test_no_vdb(void **state)
{
	fixture *f = *state;

	f->n = find(f->ctx, NULL, &f->list);
	assert_int_equal(f->n, 0);
	assert_non_null(f->list);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_vdb),
		cmocka_unit_test_setup_teardown(test_skipped_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whitespace_and_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_malformed, setup, teardown),
		cmocka_unit_test(test_contents_parse),
		cmocka_unit_test_setup_teardown(test_installed_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_vdb, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
