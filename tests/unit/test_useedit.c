/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * useedit.c and useplan.c: the bytes homesetup adds to package.use and make.conf (exact expected files for the
 * block, quote styles, continuation lines, CR LF, several assignments, files without a final newline), the
 * refusals (expansions, `source`, assignments that share their line, values other assignments expand), revert
 * giving back every byte (also for stacked runs) and refusing blocks changed by hand; then whole plans on
 * Gentoo-shaped trees in mkdtemp directories: the homed set from the real REQUIRED_USE of systemd-260.1 and
 * pambase, idempotence, the proof that catches a later file, a more specific atom, a mask and the environment,
 * --force-order, make.conf as the target, a missing package.use, the file form, and revert after commit. The
 * overlay hook of rootfs.c is tested here too.
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

#define WHEN 1764806400 /* 2025-12-04 */
#define MARK "# Added by homesetup " HS_VERSION_STRING " on 2025-12-04: systemd-homed needs these flags " \
	     "(remove with: homesetup use revert)"
#define END "# End of the lines added by homesetup"

/* ---- temp trees ------------------------------------------------------------------------------------ */
/* The file's bytes, or NULL when it does not exist. */
static char *slurp(const char *root, const char *rel)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static bool exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

/* ---- bytes: helpers ------------------------------------------------------------------------------------ */

/* A context whose roots hold nothing (a `source` finds no file). */
static hs_ctx *empty_ctx(void)
{
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, "/nonexistent-homesetup-test-root"), 0);
	return ctx;
}

static char *marker(void)
{
	char *m = NULL;

	assert_int_equal(hs_useedit_marker(&m, "systemd-homed needs these flags", WHEN), 0);
	return m;
}

/* Revert @text as @path; the result must be @want (NULL: revert finds @count markers, result not checked). */
static void expect_revert(hs_ctx *ctx, const char *path, const char *text, bool makeconf, int count,
			  const char *want)
{
	hs_edit *e = NULL;
	char *res = NULL;
	size_t len = 0;
	int r;

	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, path, text, strlen(text)), 0);
	r = hs_useedit_revert(ctx, e, makeconf);
	if (r != count)
		fail_msg("revert of %s: %d (%s), want %d", path, r, hs_ctx_last_error(ctx), count);
	if (want) {
		assert_int_equal(hs_edit_result(e, &res, &len), 0);
		assert_non_null(res);
		assert_string_equal(res, want);
		assert_int_equal(len, strlen(want));
	}
	free(res);
	hs_edit_free(e);
}

/* Add @flags to make.conf @text; the result must be @want, and revert must give @text back. */
static void expect_makeconf(const char *text, const char *flags, const char *want)
{
	hs_ctx *ctx = empty_ctx();
	hs_edit *e = NULL;
	char *m = marker(), *res = NULL;
	size_t len = 0;
	int r;

	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf", text,
					      strlen(text)), 0);
	r = hs_useedit_makeconf_append(ctx, e, m, flags);
	if (r != 0)
		fail_msg("append to %s: %d %s", text, r, hs_ctx_last_error(ctx));
	assert_int_equal(hs_edit_result(e, &res, &len), 0);
	assert_string_equal(res, want);
	expect_revert(ctx, "/etc/portage/make.conf", res, true, 1, text);
	expect_revert(ctx, "/etc/portage/make.conf", text, true, 0, text);
	free(res);
	free(m);
	hs_edit_free(e);
	hs_ctx_free(ctx);
}

/* Adding @flags to make.conf @text is refused with @err and a message containing @msg. */
static void expect_makeconf_refused(hs_ctx *ctx, const char *path, const char *text, int err, const char *msg)
{
	hs_ctx *own = ctx ? NULL : empty_ctx();
	hs_edit *e = NULL;
	char *m = marker();
	int r;

	if (!ctx)
		ctx = own;
	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, path, text, strlen(text)), 0);
	r = hs_useedit_makeconf_append(ctx, e, m, "homed");
	if (r != err || !strstr(hs_ctx_last_error(ctx), msg))
		fail_msg("append to %s: %d '%s', want %d '%s'", text, r, hs_ctx_last_error(ctx), err, msg);
	assert_true(hs_edit_is_noop(e));
	free(m);
	hs_edit_free(e);
	hs_ctx_free(own);
}

/* ---- bytes: tests -------------------------------------------------------------------------------------- */

static void test_marker(void **state)
{
	char *m = marker();

	assert_string_equal(m, MARK);
	free(m);
}

static void test_pkguse_block(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* missing or empty file */
		{ "", MARK "\nsys-apps/systemd homed cryptsetup pam\nsys-auth/pambase homed\n" END "\n" },
		/* lines of the user's before ours, untouched */
		{ "# mine\nsys-apps/systemd -pam\n",
		  "# mine\nsys-apps/systemd -pam\n" MARK "\nsys-apps/systemd homed cryptsetup pam\nsys-auth/pambase "
		  "homed\n" END "\n" },
		/* no final newline: one is added, and the end line says so */
		{ "*/* PYTHON_TARGETS: -* python3_12",
		  "*/* PYTHON_TARGETS: -* python3_12\n" MARK "\nsys-apps/systemd homed cryptsetup pam\n"
		  "sys-auth/pambase homed\n" END " (and the line break before them)\n" },
		/* CR LF */
		{ "a/b x\r\n", "a/b x\r\n" MARK "\r\nsys-apps/systemd homed cryptsetup pam\r\nsys-auth/pambase homed\r\n" END
			       "\r\n" },
		{ "a/b x\r\nc/d y", "a/b x\r\nc/d y\r\n" MARK "\r\nsys-apps/systemd homed cryptsetup pam\r\n"
				    "sys-auth/pambase homed\r\n" END " (and the line break before them)\r\n" },
		/* a lone CR ends a line for Portage (universal newlines) */
		{ "a/b x\r", "a/b x\r" MARK "\nsys-apps/systemd homed cryptsetup pam\nsys-auth/pambase homed\n" END "\n" },
	};
	char *lines[] = { "sys-apps/systemd homed cryptsetup pam", "sys-auth/pambase homed", NULL };
	hs_ctx *ctx = empty_ctx();
	char *m = marker();

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_edit *e = NULL;
		char *res = NULL;
		size_t len;

		assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/package.use/homed",
						      cases[i].in, strlen(cases[i].in)), 0);
		assert_int_equal(hs_useedit_pkguse_append(ctx, e, m, lines), 0);
		assert_int_equal(hs_edit_result(e, &res, &len), 0);
		assert_string_equal(res, cases[i].out);
		expect_revert(ctx, "/etc/portage/package.use/homed", res, false, 1, cases[i].in);
		free(res);
		hs_edit_free(e);
	}
	free(m);
	hs_ctx_free(ctx);
}

static void test_pkguse_revert_stacked_and_broken(void **state)
{
	hs_ctx *ctx = empty_ctx();

	/* two runs, user lines around and between: only the blocks go */
	expect_revert(ctx, "/p", "a/a 1\n" MARK "\nx/y a\n" END "\nb/b 2\n" MARK "\nx/y b\n" END "\nc/c 3\n", false, 2,
		      "a/a 1\nb/b 2\nc/c 3\n");
	/* the block's own lines may have been edited: the block is still ours */
	expect_revert(ctx, "/p", MARK "\nx/y a -b\n" END "\n", false, 1, "");
	/* a marker without its end line is refused, naming the line */
	expect_revert(ctx, "/etc/portage/package.use", "a/a 1\n" MARK "\nx/y a\n", false, -EINVAL, NULL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "/etc/portage/package.use:2: homesetup's marker has no end line"));
	/* an earlier marker whose end line was taken by a later block */
	expect_revert(ctx, "/p", MARK "\nx/y a\n" MARK "\nx/y b\n" END "\n", false, -EINVAL, NULL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "/p:1:"));
	/* a file without markers: nothing */
	expect_revert(ctx, "/p", "# Added by hand\nx/y z\n" END "\n", false, 0, "# Added by hand\nx/y z\n" END "\n");
	/* the line break homesetup added is gone: refused */
	expect_revert(ctx, "/p", MARK "\nx/y a\n" END " (and the line break before them)\n", false, -EINVAL, NULL);
	hs_ctx_free(ctx);
}

static void test_makeconf_forms(void **state)
{
	/* double quotes with a continuation line: the words go after the last word, the layout stays */
	expect_makeconf("# Global USE flags\nUSE=\"dbus networkmanager bash-completion \\\n     -X -gtk -doc\"\n\n"
			"ACCEPT_LICENSE=\"-* @FREE\"\n",
			"homed cryptsetup pam",
			"# Global USE flags\n" MARK " [USE += homed cryptsetup pam]\nUSE=\"dbus networkmanager "
			"bash-completion \\\n     -X -gtk -doc homed cryptsetup pam\"\n\nACCEPT_LICENSE=\"-* @FREE\"\n");
	/* single quotes */
	expect_makeconf("USE='a b'\n", "homed", MARK " [USE += homed]\nUSE='a b homed'\n");
	/* a value laid out over lines, ending with a line break inside the quotes */
	expect_makeconf("USE=\"\n  a\n  b\n\"\n", "homed", MARK " [USE += homed]\nUSE=\"\n  a\n  b homed\n\"\n");
	/* continuation right before the closing quote */
	expect_makeconf("USE=\"a \\\n\"\n", "homed", MARK " [USE += homed]\nUSE=\"a homed \\\n\"\n");
	/* empty value */
	expect_makeconf("USE=\"\"\n", "homed", MARK " [USE += homed]\nUSE=\"homed\"\n");
	expect_makeconf("USE=\"  \"\n", "homed", MARK " [USE += homed]\nUSE=\"homed  \"\n");
	/* unquoted: quoted around it */
	expect_makeconf("USE=a\n", "homed -pam_krb5", MARK " [USE += homed -pam_krb5, quoted]\nUSE=\"a homed -pam_krb5\"\n");
	/* unquoted with an escape: appended after it */
	expect_makeconf("USE=a\\ b\n", "homed", MARK " [USE += homed, appended]\nUSE=a\\ b\" homed\"\n");
	/* mixed, ending in quotes */
	expect_makeconf("USE=a\"b c\"\n", "homed", MARK " [USE += homed]\nUSE=a\"b c homed\"\n");
	/* an escaped quote inside */
	expect_makeconf("USE=\"a\\\"\"\n", "homed", MARK " [USE += homed]\nUSE=\"a\\\" homed\"\n");
	/* CR LF: the marker line ends the same way */
	expect_makeconf("CFLAGS=\"-O2\"\r\nUSE=\"a\"\r\n", "homed",
			"CFLAGS=\"-O2\"\r\n" MARK " [USE += homed]\r\nUSE=\"a homed\"\r\n");
	/* several assignments: only the last one changes */
	expect_makeconf("USE=\"a\"\nCFLAGS=\"-O2\"\nUSE=\"${USE} b\"\n", "homed",
			"USE=\"a\"\nCFLAGS=\"-O2\"\n" MARK " [USE += homed]\nUSE=\"${USE} b homed\"\n");
	expect_makeconf("USE=\"a\"\nUSE=$USE\n", "homed", "USE=\"a\"\n" MARK " [USE += homed, quoted]\nUSE=\"$USE homed\"\n");
	/* export, indentation and a comment after the value */
	expect_makeconf("  export USE=\"a\" # mine\n", "homed", MARK " [USE += homed]\n  export USE=\"a homed\" # mine\n");
	/* no USE at all: a line of its own at the end */
	expect_makeconf("CFLAGS=\"-O2\"\n", "homed", "CFLAGS=\"-O2\"\n" MARK " [USE = homed]\nUSE=\"homed\"\n");
	expect_makeconf("CFLAGS=\"-O2\"", "homed",
			"CFLAGS=\"-O2\"\n" MARK " [USE = homed, after a line break]\nUSE=\"homed\"\n");
	expect_makeconf("", "homed", MARK " [USE = homed]\nUSE=\"homed\"\n");
	expect_makeconf("A=1 # no break", "homed", "A=1 # no break\n" MARK " [USE = homed, after a line break]\nUSE=\"homed\"\n");
}

static void test_makeconf_refused(void **state)
{
	const char *mc = "/etc/portage/make.conf";
	char root[] = "/tmp/hs-useedit-src-XXXXXX";
	hs_ctx *ctx = NULL;

	expect_makeconf_refused(NULL, mc, "USE=\"${USE:-x} a\"\n", -ENOTSUP, "make.conf:1: USE's value uses '${USE:-x}'");
	expect_makeconf_refused(NULL, mc, "B=1\nUSE=\"${B} a\"\n", -ENOTSUP, "make.conf:2: USE's value uses '${B}'");
	expect_makeconf_refused(NULL, mc, "USE=\"$B a\"\n", -ENOTSUP, "uses '$B'");
	expect_makeconf_refused(NULL, mc, "FOO=1 USE=\"a\"\n", -ENOTSUP, "make.conf:1: the USE assignment shares its line");
	expect_makeconf_refused(NULL, mc, "USE=\"a\"\nX=\"${USE} b\"\n", -ENOTSUP, "make.conf:2: X is built from ${USE}");
	/* Portage's own parse errors, with file and line */
	expect_makeconf_refused(NULL, mc, "A=1\nUSE+=\"a\"\n", -EINVAL, "make.conf:2: Invalid variable name 'USE+'");
	expect_makeconf_refused(NULL, mc, "USE=\"a\n", -EINVAL, "No closing quotation");

	/* `source`: the file that really holds the last USE is named */
	assert_non_null(mkdtemp(root));
	tree_put(root, "etc/portage/flags.conf", "USE=\"${USE} sourced\"\n");
	tree_put(root, "etc/portage/other.conf", "CFLAGS=\"-O2\"\n");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	expect_makeconf_refused(ctx, mc, "USE=\"a\"\nsource flags.conf\n", -ENOTSUP,
				"/etc/portage/flags.conf:1: USE is last set in this file, which /etc/portage/make.conf "
				"reads with 'source'");
	expect_makeconf_refused(ctx, mc, "source missing.conf\n", -EINVAL, "missing.conf: No such file or directory");
	/* a source after a plain last USE is fine */
	{
		hs_edit *e = NULL;
		char *m = marker(), *res = NULL;
		const char *text = "USE=\"a\"\nsource other.conf\n";

		assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, mc, text, strlen(text)), 0);
		assert_int_equal(hs_useedit_makeconf_append(ctx, e, m, "homed"), 0);
		assert_int_equal(hs_edit_result(e, &res, NULL), 0);
		assert_string_equal(res, MARK " [USE += homed]\nUSE=\"a homed\"\nsource other.conf\n");
		expect_revert(ctx, mc, res, true, 1, text);
		free(res);
		free(m);
		hs_edit_free(e);
	}
	hs_ctx_free(ctx);
	tree_rm_rf(root);
}

static void test_makeconf_stacked_and_changed(void **state)
{
	hs_ctx *ctx = empty_ctx();
	const char *mc = "/etc/portage/make.conf";
	/* two runs on the same value, in two forms: revert takes them off in reverse order */
	const char *twice = MARK " [USE += homed, quoted]\n" MARK " [USE += pam]\nUSE=\"a homed pam\"\n";

	expect_revert(ctx, mc, twice, true, 2, "USE=a\n");
	/* changed by hand: refused, naming the marker's line */
	expect_revert(ctx, mc, "X=1\n" MARK " [USE += homed]\nUSE=\"a\"\n", true, -EINVAL, NULL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "make.conf:2: USE's value no longer ends with the 'homed'"));
	expect_revert(ctx, mc, MARK " [USE += homed]\nCFLAGS=\"a homed\"\n", true, -EINVAL, NULL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "is gone or was moved"));
	expect_revert(ctx, mc, MARK " [USE = homed]\nUSE=\"homed pam\"\n", true, -EINVAL, NULL);
	expect_revert(ctx, mc, MARK "\nUSE=\"homed\"\n", true, -EINVAL, NULL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "does not say what it added"));
	hs_ctx_free(ctx);
}

/* ---- the overlay hook ------------------------------------------------------------------------------------ */

static void test_overlay(void **state)
{
	char root[] = "/tmp/hs-useedit-ov-XXXXXX";
	hs_ctx *ctx = NULL;
	char **files = NULL, *buf = NULL;
	size_t len = 0;
	hs_root_overlay ov = { HS_ROOT_CONFIG, "/etc/portage/package.use/m", "new\n", 4 };

	assert_non_null(mkdtemp(root));
	tree_put(root, "etc/portage/package.use/a", "a\n");
	tree_put(root, "etc/portage/package.use/z", "z\n");
	tree_put(root, "etc/portage/package.use/m~", "backup\n");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	hs_ctx_set_overlay(ctx, &ov);
	/* a new file shows up in Portage's order, with the overlay's bytes */
	assert_int_equal(hs_root_list_config(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", &files), 0);
	assert_int_equal(hs_strv_length(files), 3);
	assert_string_equal(files[1], "/etc/portage/package.use/m");
	hs_strv_free(files);
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use/m", 100, &buf, &len), 0);
	assert_string_equal(buf, "new\n");
	free(buf);
	/* an existing file's bytes are replaced; NULL bytes hide it */
	ov.path = "/etc/portage/package.use/z";
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use/z", 100, &buf, &len), 0);
	assert_string_equal(buf, "new\n");
	free(buf);
	ov.buf = NULL;
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use/z", 100, &buf, &len), -ENOENT);
	assert_int_equal(hs_root_list_config(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", &files), 0);
	assert_int_equal(hs_strv_length(files), 1);
	hs_strv_free(files);
	/* a file in a directory that does not exist yet */
	ov = (hs_root_overlay){ HS_ROOT_CONFIG, "/etc/portage/package.env/homed", "x\n", 2 };
	assert_int_equal(hs_root_list_config(ctx, HS_ROOT_CONFIG, "/etc/portage/package.env", &files), 0);
	assert_int_equal(hs_strv_length(files), 1);
	assert_string_equal(files[0], "/etc/portage/package.env/homed");
	hs_strv_free(files);
	/* the other root is not concerned */
	assert_int_equal(hs_root_list_config(ctx, HS_ROOT_SYS, "/etc/portage/package.env", &files), 0);
	assert_int_equal(hs_strv_length(files), 0);
	hs_strv_free(files);
	hs_ctx_set_overlay(ctx, NULL);
	assert_int_equal(hs_root_read_file(ctx, HS_ROOT_CONFIG, "/etc/portage/package.use/z", 100, &buf, &len), 0);
	assert_string_equal(buf, "z\n");
	free(buf);
	hs_ctx_free(ctx);
	tree_rm_rf(root);
}

/* ---- plans on Gentoo-shaped trees --------------------------------------------------------------------------- */

#define REPO "var/db/repos/gentoo"
#define PROF REPO "/profiles"
#define CACHE REPO "/metadata/md5-cache"

#define SYSTEMD_IUSE \
	"acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn importd " \
	"+kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode remote "     \
	"+resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd abi_x86_32 abi_x86_64 "          \
	"python_single_target_python3_12 python_single_target_python3_13"
#define SYSTEMD_REQUSE \
	"^^ ( python_single_target_python3_12 python_single_target_python3_13 ) boot? ( kernel-install ) "         \
	"dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl " \
	"lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? " \
	"( boot )"
#define PAMBASE_IUSE \
	"caps debug elogind gnome-keyring homed minimal mktemp +nullok pam_krb5 pam_ssh +passwdqc pwhistory " \
	"pwquality securetty selinux sha512 sssd systemd +yescrypt"
#define PAMBASE_REQUSE \
	"?? ( elogind systemd ) ?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) pwhistory? ( || ( passwdqc " \
	"pwquality ) ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )"

static void gentoo_tree(const char *root)
{
	tree_put(root, PROF "/repo_name", "gentoo\n");
	tree_put(root, REPO "/metadata/layout.conf", "masters =\n");
	tree_put(root, PROF "/base/eapi", "5\n");
	tree_put(root, PROF "/base/make.defaults",
	    "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"${ARCH}\"\nUSE_EXPAND=\"PYTHON_SINGLE_TARGET\"\n"
	    "PYTHON_SINGLE_TARGET=\"python3_12\"\nUSE_EXPAND_UNPREFIXED=\"ARCH\"\nUSE_EXPAND_IMPLICIT=\"ARCH\"\n"
	    "USE_EXPAND_VALUES_ARCH=\"amd64\"\nPROFILE_ONLY_VARIABLES=\"ARCH\"\n");
	tree_put(root, PROF "/base/use.force", "abi_x86_64\n");
	{
		char link[4096];

		snprintf(link, sizeof(link), "%s/etc/portage", root);
		tree_mkdir_p(link, 0755);
		snprintf(link, sizeof(link), "%s/etc/portage/make.profile", root);
		assert_int_equal(symlink("../../" PROF "/base", link), 0);
	}
	tree_put(root, CACHE "/sys-apps/systemd-260.1",
	    "EAPI=8\nIUSE=" SYSTEMD_IUSE "\nKEYWORDS=amd64\nREQUIRED_USE=" SYSTEMD_REQUSE "\nSLOT=0/2\n");
	tree_put(root, CACHE "/sys-auth/pambase-20251104-r1",
	    "EAPI=8\nIUSE=" PAMBASE_IUSE "\nKEYWORDS=amd64\nREQUIRED_USE=" PAMBASE_REQUSE "\nSLOT=0\n");
	tree_put(root, "etc/portage/make.conf", "# empty\n");
}

typedef struct fixture {
	char root[64];
	hs_ctx *ctx;
	hs_portage *p;
	hs_use_plan *plan;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char dir[128];

	snprintf(f->root, sizeof(f->root), "/tmp/hs-useedit-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	gentoo_tree(f->root);
	snprintf(dir, sizeof(dir), "%s/etc/portage/package.use", f->root);
	tree_mkdir_p(dir, 0755);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hs_use_plan_free(f->plan);
	hs_portage_free(f->p);
	hs_ctx_free(f->ctx);
	tree_rm_rf(f->root);
	free(f);
	return 0;
}

static void reload(fixture *f)
{
	hs_use_plan_free(f->plan);
	f->plan = NULL;
	hs_portage_free(f->p);
	f->p = NULL;
	if (hs_portage_load(f->ctx, &f->p, false) < 0)
		fail_msg("load: %s", hs_ctx_last_error(f->ctx));
}

/* Plan the homed set (after reading the configuration again); returns the errno. */
static int plan_homed(fixture *f, const hs_use_options *o)
{
	hs_use_options d = { .when = WHEN };

	reload(f);
	hs_ctx_clear_error(f->ctx);
	return hs_use_plan_homed(f->p, &f->plan, o ? o : &d);
}

/* Is @flag on in what emerge would build @atom with, and does REQUIRED_USE hold? */
static bool flag_on(fixture *f, const char *atom, const char *flag, bool *requse_ok)
{
	hs_atom *a = NULL;
	hs_pkg_use *u = NULL;
	bool on;

	reload(f);
	assert_int_equal(hs_atom_parse(f->ctx, &a, atom, strlen(atom), HS_ATOM_PMS), 0);
	assert_int_equal(hs_portage_effective_use(f->p, &u, a, 0), 0);
	on = hs_useset_has(hs_pkg_use_portage_use(u), flag, strlen(flag));
	if (requse_ok)
		*requse_ok = hs_pkg_use_required_use_ok(u) == 1;
	hs_pkg_use_free(u);
	hs_atom_free(a);
	return on;
}

static char *diff_of(const hs_use_plan *plan, size_t i)
{
	char *d = NULL;

	assert_int_equal(hs_edit_diff(hs_use_plan_edit(plan, i), &d), 0);
	return d;
}

static void test_plan_homed(void **state)
{
	fixture *f = *state;
	char *before = slurp(f->root, "etc/portage/make.conf"), *file;
	const hs_requse_change *c;
	bool ok;

	assert_int_equal(plan_homed(f, NULL), 0);
	/* systemd: homed, then what homed? ( cryptsetup pam openssl ) needs (openssl is on by default) */
	assert_int_equal(hs_use_plan_package_count(f->plan), 2);
	assert_string_equal(hs_use_plan_package_cpv(f->plan, 0), "sys-apps/systemd-260.1");
	assert_string_equal(hs_use_plan_package_atom(f->plan, 0), "sys-apps/systemd");
	assert_int_equal(hs_use_plan_change_count(f->plan, 0), 3);
	c = hs_use_plan_change(f->plan, 0, 0);
	assert_string_equal(c->flag, "homed");
	assert_true(c->enable);
	assert_string_equal(c->reason, "requested");
	c = hs_use_plan_change(f->plan, 0, 1);
	assert_string_equal(c->flag, "cryptsetup");
	assert_string_equal(c->reason, "homed? ( cryptsetup pam openssl )");
	assert_string_equal(hs_use_plan_change(f->plan, 0, 2)->flag, "pam");
	assert_int_equal(hs_use_plan_change_count(f->plan, 1), 1);
	assert_int_equal(hs_use_plan_edit_count(f->plan), 1);
	assert_string_equal(hs_edit_path(hs_use_plan_edit(f->plan, 0)), "/etc/portage/package.use/homed");
	assert_false(hs_edit_file_exists(hs_use_plan_edit(f->plan, 0)));
	/* nothing is written before commit */
	assert_false(exists(f->root, "etc/portage/package.use/homed"));
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	file = slurp(f->root, "etc/portage/package.use/homed");
	assert_string_equal(file, MARK "\nsys-apps/systemd homed cryptsetup pam\nsys-auth/pambase homed\n" END "\n");
	free(file);
	assert_true(flag_on(f, "sys-apps/systemd", "homed", &ok));
	assert_true(ok);
	assert_true(flag_on(f, "sys-apps/systemd", "pam", NULL));
	assert_true(flag_on(f, "sys-auth/pambase", "homed", &ok));
	assert_true(ok);

	/* idempotent: nothing to do the second time */
	assert_int_equal(plan_homed(f, NULL), 0);
	assert_int_equal(hs_use_plan_edit_count(f->plan), 0);
	assert_int_equal(hs_use_plan_change_count(f->plan, 0), 0);
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 1);

	/* revert: our file goes, make.conf is untouched */
	hs_use_plan_free(f->plan);
	f->plan = NULL;
	assert_int_equal(hs_use_plan_revert(f->ctx, &f->plan), 0);
	assert_int_equal(hs_use_plan_edit_count(f->plan), 1);
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	assert_false(exists(f->root, "etc/portage/package.use/homed"));
	file = slurp(f->root, "etc/portage/make.conf");
	assert_string_equal(file, before);
	free(file);
	free(before);
	hs_use_plan_free(f->plan);
	f->plan = NULL;
	assert_int_equal(hs_use_plan_revert(f->ctx, &f->plan), 0);
	assert_int_equal(hs_use_plan_edit_count(f->plan), 0);
}

static void test_plan_pam_krb5(void **state)
{
	fixture *f = *state;
	char *d;

	/* pam_krb5 on for pambase: homed? ( !pam_krb5 ) turns it off, never the other way round */
	tree_put(f->root, "etc/portage/package.use/auth", "sys-auth/pambase pam_krb5\n");
	if (plan_homed(f, NULL) != 0)
		fail_msg("%s", hs_ctx_last_error(f->ctx));
	assert_int_equal(hs_use_plan_change_count(f->plan, 1), 2);
	assert_string_equal(hs_use_plan_change(f->plan, 1, 1)->flag, "pam_krb5");
	assert_false(hs_use_plan_change(f->plan, 1, 1)->enable);
	assert_string_equal(hs_use_plan_change(f->plan, 1, 1)->reason, "homed? ( !pam_krb5 )");
	d = diff_of(f->plan, 0);
	assert_non_null(strstr(d, "+sys-auth/pambase homed -pam_krb5\n"));
	free(d);
}

static void test_plan_override(void **state)
{
	fixture *f = *state;
	hs_use_options o = { .when = WHEN };
	char *file;

	/* a later file of package.use turns pam off again: refused, naming it */
	tree_put(f->root, "etc/portage/package.use/zz-local", "# mine\nsys-apps/systemd -pam\n");
	assert_int_equal(plan_homed(f, NULL), -EPERM);
	assert_null(f->plan);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "sys-apps/systemd-260.1: USE flag 'pam' would still be off: "
							    "/etc/portage/package.use/zz-local:2 ('sys-apps/systemd -pam') "
							    "is read after /etc/portage/package.use/homed"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "--force-order"));
	/* --force-order: a name that sorts after zz-local */
	o.force_order = true;
	assert_int_equal(plan_homed(f, &o), 0);
	assert_string_equal(hs_edit_path(hs_use_plan_edit(f->plan, 0)), "/etc/portage/package.use/zzz-homed");
	assert_int_equal(hs_use_plan_note_count(f->plan), 1);
	assert_non_null(strstr(hs_use_plan_note(f->plan, 0), "package.use/zz-local:2 would override package.use/homed"));
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	assert_true(flag_on(f, "sys-apps/systemd", "pam", NULL));
	file = slurp(f->root, "etc/portage/package.use/zz-local");
	assert_string_equal(file, "# mine\nsys-apps/systemd -pam\n");
	free(file);
	/* later runs add to the file of ours that Portage reads last, so their lines come after the old ones */
	{
		const char *const off[] = { "cryptsetup", NULL };
		hs_use_request req = { .atom = "sys-apps/systemd", .disable = off };

		reload(f);
		assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), 0);
		assert_string_equal(hs_edit_path(hs_use_plan_edit(f->plan, 0)), "/etc/portage/package.use/zzz-homed");
		assert_int_equal(hs_use_plan_note_count(f->plan), 0);
		assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
		assert_false(flag_on(f, "sys-apps/systemd", "homed", NULL));
	}

	/* a more specific atom wins whatever the order: refused even with --force-order */
	tree_rm_rf(f->root);
	gentoo_tree(f->root);
	tree_put(f->root, "etc/portage/package.use/aaa", "=sys-apps/systemd-260.1 -pam\n");
	assert_int_equal(plan_homed(f, &o), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/package.use/aaa:1 ('=sys-apps/systemd-260.1 "
							    "-pam') overrides homesetup's 'sys-apps/systemd' line"));
	assert_false(exists(f->root, "etc/portage/package.use/homed"));
}

static void test_plan_pinned_and_env(void **state)
{
	fixture *f = *state;

	/* homed masked by the profile */
	tree_put(f->root, PROF "/base/package.use.mask", "sys-apps/systemd homed\n");
	assert_int_equal(plan_homed(f, NULL), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "sys-apps/systemd-260.1: USE flag 'homed' is masked by "
							    "/" PROF "/base/package.use.mask:1"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/profile/package.use.mask"));
	unlink(strcat(strcpy((char[256]){0}, f->root), "/" PROF "/base/package.use.mask"));
	/* pam masked: REQUIRED_USE cannot hold with homed */
	tree_put(f->root, PROF "/base/use.mask", "pam\n");
	assert_int_equal(plan_homed(f, NULL), -EDOM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "sys-apps/systemd-260.1: "));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "pam is masked by /" PROF "/base/use.mask:1"));
	unlink(strcat(strcpy((char[256]){0}, f->root), "/" PROF "/base/use.mask"));

	/* the environment's USE beats package.use */
	setenv("USE", "-pam", 1);
	{
		hs_use_options o = { .when = WHEN, .use_env = true };

		assert_int_equal(plan_homed(f, &o), -EPERM);
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), "the environment's USE ('-pam') overrides"));
		o.use_env = false;
		assert_int_equal(plan_homed(f, &o), 0);
	}
	unsetenv("USE");
}

static void test_plan_requests(void **state)
{
	fixture *f = *state;
	const char *const on[] = { "fido2", NULL }, *const off[] = { "cryptsetup", NULL }, *const bad[] = { "nope", NULL };
	const char *const neg[] = { "-pam", NULL };
	hs_use_request req = { .atom = "sys-apps/systemd", .enable = on };
	hs_use_options o = { .when = WHEN };
	char *d;

	reload(f);
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), 0);
	/* fido2? ( cryptsetup openssl ) */
	assert_int_equal(hs_use_plan_change_count(f->plan, 0), 2);
	assert_string_equal(hs_use_plan_change(f->plan, 0, 1)->flag, "cryptsetup");
	d = diff_of(f->plan, 0);
	assert_non_null(strstr(d, "asked for with homesetup use enable/disable (remove with: homesetup use revert)\n"
				  "+sys-apps/systemd fido2 cryptsetup\n"));
	free(d);
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);

	/* turning cryptsetup off again also turns fido2 off */
	reload(f);
	req = (hs_use_request){ .atom = "sys-apps/systemd", .disable = off };
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), 0);
	assert_int_equal(hs_use_plan_change_count(f->plan, 0), 2);
	assert_string_equal(hs_use_plan_change(f->plan, 0, 1)->flag, "fido2");
	assert_false(hs_use_plan_change(f->plan, 0, 1)->enable);
	d = diff_of(f->plan, 0);
	/* the same file, a second block */
	assert_non_null(strstr(d, "+sys-apps/systemd -cryptsetup -fido2\n"));
	free(d);

	reload(f);
	req = (hs_use_request){ .atom = "sys-apps/systemd", .enable = bad };
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "sys-apps/systemd-260.1 has no USE flag 'nope'"));
	req = (hs_use_request){ .atom = "sys-apps/systemd", .enable = neg };
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), -EINVAL);
	req = (hs_use_request){ .atom = "app-misc/none", .enable = on };
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), -ENOENT);
	o.file_name = "../x";
	req = (hs_use_request){ .atom = "sys-apps/systemd", .enable = on };
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), -EINVAL);
	o.file_name = "x~";
	assert_int_equal(hs_use_plan_enable(f->p, &f->plan, &req, 1, &o), -EINVAL);
}

static void test_plan_forms(void **state)
{
	fixture *f = *state;
	hs_use_options o = { .when = WHEN, .file_name = "systemd-homed" };
	char *file;
	struct stat st;
	char path[256];

	/* no package.use at all: the directory is made on commit */
	tree_rm_rf(strcat(strcpy(path, f->root), "/etc/portage/package.use"));
	assert_int_equal(plan_homed(f, &o), 0);
	assert_false(exists(f->root, "etc/portage/package.use"));
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	snprintf(path, sizeof(path), "%s/etc/portage/package.use", f->root);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(exists(f->root, "etc/portage/package.use/systemd-homed"));

	/* package.use as a file: our block goes at its end, and revert leaves the file as it was */
	tree_rm_rf(path);
	tree_put(f->root, "etc/portage/package.use", "app-misc/x y\n");
	assert_int_equal(plan_homed(f, &o), 0);
	assert_string_equal(hs_edit_path(hs_use_plan_edit(f->plan, 0)), "/etc/portage/package.use");
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	file = slurp(f->root, "etc/portage/package.use");
	assert_non_null(strstr(file, "app-misc/x y\n" MARK "\n"));
	free(file);
	hs_use_plan_free(f->plan);
	f->plan = NULL;
	assert_int_equal(hs_use_plan_revert(f->ctx, &f->plan), 0);
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	file = slurp(f->root, "etc/portage/package.use");
	assert_string_equal(file, "app-misc/x y\n");
	free(file);
}

static void test_plan_makeconf(void **state)
{
	fixture *f = *state;
	hs_use_options o = { .when = WHEN, .target = HS_USE_TARGET_MAKE_CONF };
	char *file;

	tree_put(f->root, "etc/portage/make.conf", "# mine\nUSE=\"a\"\nUSE=\"${USE} b\"\nCFLAGS=\"-O2\"\n");
	assert_int_equal(plan_homed(f, &o), 0);
	assert_int_equal(hs_use_plan_note_count(f->plan), 1);
	assert_non_null(strstr(hs_use_plan_note(f->plan, 0), "make.conf's USE applies to every package"));
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	file = slurp(f->root, "etc/portage/make.conf");
	assert_string_equal(file, "# mine\nUSE=\"a\"\n" MARK " [USE += homed cryptsetup pam]\n"
				  "USE=\"${USE} b homed cryptsetup pam\"\nCFLAGS=\"-O2\"\n");
	free(file);
	assert_true(flag_on(f, "sys-auth/pambase", "homed", NULL));
	hs_use_plan_free(f->plan);
	f->plan = NULL;
	assert_int_equal(hs_use_plan_revert(f->ctx, &f->plan), 0);
	assert_int_equal(hs_use_plan_commit(f->plan, 0), 0);
	file = slurp(f->root, "etc/portage/make.conf");
	assert_string_equal(file, "# mine\nUSE=\"a\"\nUSE=\"${USE} b\"\nCFLAGS=\"-O2\"\n");
	free(file);

	/* package.use beats make.conf: refused, naming the line */
	tree_put(f->root, "etc/portage/package.use/systemd", "sys-apps/systemd -pam\n");
	assert_int_equal(plan_homed(f, &o), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/package.use/systemd:1 ('sys-apps/systemd "
							    "-pam') overrides make.conf's USE"));
	unlink(strcat(strcpy((char[256]){0}, f->root), "/etc/portage/package.use/systemd"));

	/* the last USE comes through `source`: refused, naming that file */
	tree_put(f->root, "etc/portage/make.conf", "USE=\"a\"\nsource use.conf\n");
	tree_put(f->root, "etc/portage/use.conf", "USE=\"${USE} b\"\n");
	assert_int_equal(plan_homed(f, &o), -ENOTSUP);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/use.conf:1: USE is last set here"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_pkguse_block),
		cmocka_unit_test(test_pkguse_revert_stacked_and_broken),
		cmocka_unit_test(test_makeconf_forms),
		cmocka_unit_test(test_makeconf_refused),
		cmocka_unit_test(test_makeconf_stacked_and_changed),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test_setup_teardown(test_plan_homed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_pam_krb5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_pinned_and_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_makeconf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
