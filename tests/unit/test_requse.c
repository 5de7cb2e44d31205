/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>

#include "homesetupP.h"

/* ---- real metadata (docs/portage-facts.md §1.1, §1.3) ----------------------------------------------- */

#define SYSTEMD_IUSE_ABI_PY                                                                                    \
	"abi_x86_32 abi_x86_64 abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64 "       \
	"python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "       \
	"python_single_target_python3_14 secureboot"

/* sys-apps/systemd-260.1, md5-cache */
static const char SYSTEMD_260_IUSE[] =
	"acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn importd "
	"+kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode remote "
	"+resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd " SYSTEMD_IUSE_ABI_PY;
static const char SYSTEMD_260_REQUSE[] =
	"^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
	"python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup "
	"openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) "
	"passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )";

/* sys-apps/systemd-260.1.ebuild as written (multi-line, ${PYTHON_REQUIRED_USE} left out) */
static const char SYSTEMD_260_EBUILD_REQUSE[] = "\n"
						"\tboot? ( kernel-install )\n"
						"\tdns-over-tls? ( openssl )\n"
						"\tfido2? ( cryptsetup openssl )\n"
						"\thomed? ( cryptsetup pam openssl )\n"
						"\timportd? ( curl lzma openssl )\n"
						"\t?? ( passwdqc pwquality )\n"
						"\tpasswdqc? ( homed )\n"
						"\tpwquality? ( homed )\n"
						"\tremote? ( curl )\n"
						"\tukify? ( boot )\n";

/* sys-apps/systemd-261_rc3, md5-cache */
static const char SYSTEMD_261_IUSE[] =
	"acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn importd "
	"+kernel-install +kmod +libarchive +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode "
	"remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd abi_x86_32 abi_x86_64 "
	"abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64 python_single_target_python3_12 "
	"python_single_target_python3_13 python_single_target_python3_14 secureboot";
static const char SYSTEMD_261_REQUSE[] =
	"^^ ( python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 ) "
	"boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam "
	"openssl ) importd? ( curl libarchive lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) "
	"pwquality? ( homed ) remote? ( curl ) ukify? ( boot )";

/* sys-apps/systemd-259.4, an older md5-cache snapshot; the "…" of the facts file is the abi_/python_ list of
 * 260.1 */
static const char SYSTEMD_259_IUSE[] =
	"acl apparmor audit boot bpf cgroup-hybrid cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed "
	"http idn importd iptables +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit "
	"pwquality qrcode +resolvconf +seccomp selinux split-usr +sysv-utils test tpm ukify vanilla xkb "
	"+zstd " SYSTEMD_IUSE_ABI_PY;
static const char SYSTEMD_259_REQUSE[] =
	"^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
	"python_single_target_python3_14 ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( "
	"cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) "
	"pwquality? ( homed ) boot? ( kernel-install ) ukify? ( boot )";

/* sys-auth/pambase-20251104-r1, md5-cache */
static const char PAMBASE_2025_IUSE[] =
	"caps debug elogind gnome-keyring homed minimal mktemp +nullok pam_krb5 pam_ssh +passwdqc pwhistory "
	"pwquality securetty selinux sha512 sssd systemd +yescrypt";
static const char PAMBASE_2025_REQUSE[] =
	"?? ( elogind systemd ) ?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) pwhistory? ( || ( passwdqc "
	"pwquality ) ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )";

/* sys-auth/pambase-20260730.ebuild, as written */
static const char PAMBASE_2026_IUSE[] =
	"caps debug elogind gnome-keyring homed minimal mktemp +nullok pam_krb5 pam_ssh +passwdqc pwhistory "
	"pwquality securetty selinux sha512 sssd systemd +yescrypt turnstile";
static const char PAMBASE_2026_REQUSE[] = "\n"
					  "\t?? ( elogind systemd )\n"
					  "\t?? ( passwdqc pwquality )\n"
					  "\t?? ( sha512 yescrypt )\n"
					  "\tpwhistory? ( || ( passwdqc pwquality ) )\n"
					  "\thomed? ( !pam_krb5 )\n"
					  "\tpam_krb5? ( !homed )\n";

/* ---- helpers ----------------------------------------------------------------------------------------- */

static hs_useset *set_of(const char *list)
{
	hs_useset *s = NULL;

	assert_int_equal(hs_useset_new(&s), 0);
	assert_int_equal(hs_useset_add_list(s, list, strlen(list)), 0);
	return s;
}

static hs_requse *parse_ok(const char *s, int eapi)
{
	hs_ctx *ctx = NULL;
	hs_requse *r = NULL;
	int ret;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	ret = hs_requse_parse(ctx, &r, s, strlen(s), eapi);
	if (ret != 0)
		fail_msg("parse of '%s' failed: %s", s, hs_ctx_last_error(ctx));
	hs_ctx_free(ctx);
	return r;
}

/* IUSE defaults applied, then the extra incremental tokens. */
static hs_useset *use_from(const char *iuse_s, const char *extra, hs_useset **iuse_out)
{
	hs_iuse *iuse = NULL;
	hs_useset *use = NULL;
	char *d = NULL;

	assert_int_equal(hs_iuse_parse(NULL, &iuse, iuse_s, strlen(iuse_s)), 0);
	assert_int_equal(hs_iuse_defaults(iuse, &d), 0);
	assert_int_equal(hs_useset_new(&use), 0);
	assert_int_equal(hs_useset_apply_list(NULL, use, d, strlen(d), hs_iuse_flags(iuse)), 0);
	assert_int_equal(hs_useset_apply_list(NULL, use, extra, strlen(extra), hs_iuse_flags(iuse)), 0);
	assert_int_equal(hs_useset_dup(iuse_out, hs_iuse_flags(iuse)), 0);
	free(d);
	hs_iuse_free(iuse);
	return use;
}

static char *reduce(const hs_requse *r, const hs_useset *use, const hs_useset *iuse, hs_requse_style style)
{
	char *out = NULL;

	assert_int_equal(hs_requse_reduce(NULL, r, use, iuse, style, &out), 0);
	return out;
}

/* ---- Portage's test_check_required_use.py: testCheckRequiredUse ------------------------------------- */

struct bool_case {
	const char *req, *use, *iuse;
	bool want;
};

static const struct bool_case portage_bool_cases[] = {
	{ "|| ( a b )", "", "a b", false },
	{ "|| ( a b )", "a", "a b", true },
	{ "|| ( a b )", "b", "a b", true },
	{ "|| ( a b )", "a b", "a b", true },
	{ "^^ ( a b )", "", "a b", false },
	{ "^^ ( a b )", "a", "a b", true },
	{ "^^ ( a b )", "b", "a b", true },
	{ "^^ ( a b )", "a b", "a b", false },
	{ "?? ( a b )", "a b", "a b", false },
	{ "?? ( a b )", "a", "a b", true },
	{ "?? ( a b )", "b", "a b", true },
	{ "?? ( a b )", "", "a b", true },
	{ "?? ( )", "", "", true },
	{ "^^ ( || ( a b ) c )", "", "a b c", false },
	{ "^^ ( || ( a b ) c )", "a", "a b c", true },
	{ "^^ ( || ( ( a b ) ) ( c ) )", "", "a b c", false },
	{ "( ^^ ( ( || ( ( a ) ( b ) ) ) ( ( c ) ) ) )", "a", "a b c", true },
	{ "a || ( b c )", "a", "a b c", false },
	{ "|| ( b c ) a", "a", "a b c", false },
	{ "|| ( a b c )", "a", "a b c", true },
	{ "|| ( a b c )", "b", "a b c", true },
	{ "|| ( a b c )", "c", "a b c", true },
	{ "^^ ( a b c )", "a", "a b c", true },
	{ "^^ ( a b c )", "b", "a b c", true },
	{ "^^ ( a b c )", "c", "a b c", true },
	{ "^^ ( a b c )", "a b", "a b c", false },
	{ "^^ ( a b c )", "b c", "a b c", false },
	{ "^^ ( a b c )", "a c", "a b c", false },
	{ "^^ ( a b c )", "a b c", "a b c", false },
	{ "a? ( ^^ ( b c ) )", "", "a b c", true },
	{ "a? ( ^^ ( b c ) )", "a", "a b c", false },
	{ "a? ( ^^ ( b c ) )", "b", "a b c", true },
	{ "a? ( ^^ ( b c ) )", "c", "a b c", true },
	{ "a? ( ^^ ( b c ) )", "a b", "a b c", true },
	{ "a? ( ^^ ( b c ) )", "a b c", "a b c", false },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "", "a b c d", false },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a", "a b c d", true },
	/* EAPI-dependent: true before EAPI 7 (the ^^ is left empty) */
	{ "^^ ( a? ( !b ) !c? ( d ) )", "c", "a b c d", false },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a c", "a b c d", true },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a b c", "a b c d", false },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a b d", "a b c d", true },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a b d", "a b c d", true },
	{ "^^ ( a? ( !b ) !c? ( d ) )", "a d", "a b c d", false },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "", "a b c", false },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "a", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "b", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "c", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "a b", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "a c", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "b c", "a b c", true },
	{ "|| ( ^^ ( a b ) ^^ ( b c ) )", "a b c", "a b c", false },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "", "a b c", false },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "a", "a b c", true },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "b", "a b c", false },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "c", "a b c", true },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "a b", "a b c", false },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "a c", "a b c", false },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "b c", "a b c", true },
	{ "^^ ( || ( a b ) ^^ ( b c ) )", "a b c", "a b c", true },
	{ "|| ( ( a b ) c )", "a b c", "a b c", true },
	{ "|| ( ( a b ) c )", "b c", "a b c", true },
	{ "|| ( ( a b ) c )", "a c", "a b c", true },
	{ "|| ( ( a b ) c )", "a b", "a b c", true },
	{ "|| ( ( a b ) c )", "a", "a b c", false },
	{ "|| ( ( a b ) c )", "b", "a b c", false },
	{ "|| ( ( a b ) c )", "c", "a b c", true },
	{ "|| ( ( a b ) c )", "", "a b c", false },
	{ "^^ ( ( a b ) c )", "a b c", "a b c", false },
	{ "^^ ( ( a b ) c )", "b c", "a b c", true },
	{ "^^ ( ( a b ) c )", "a c", "a b c", true },
	{ "^^ ( ( a b ) c )", "a b", "a b c", true },
	{ "^^ ( ( a b ) c )", "a", "a b c", false },
	{ "^^ ( ( a b ) c )", "b", "a b c", false },
	{ "^^ ( ( a b ) c )", "c", "a b c", true },
	{ "^^ ( ( a b ) c )", "", "a b c", false },
};

static void test_portage_bool_vectors(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(portage_bool_cases); i++) {
		const struct bool_case *c = &portage_bool_cases[i];
		hs_requse *r = parse_ok(c->req, 8);
		hs_useset *use = set_of(c->use), *iuse = set_of(c->iuse);
		char *red = reduce(r, use, iuse, HS_REQUSE_RAW);
		int got = hs_requse_check(NULL, r, use, iuse);

		if (got != (int)c->want)
			fail_msg("'%s' with USE='%s': got %d, want %d", c->req, c->use, got, (int)c->want);
		/* reduce agrees with check */
		assert_int_equal(red[0] == '\0', c->want);
		free(red);
		hs_useset_free(use);
		hs_useset_free(iuse);
		hs_requse_free(r);
	}
}

/* The EAPI-dependent vector: empty ^^ is true before EAPI 7. */
static void test_empty_groups_by_eapi(void **state)
{
	static const struct {
		const char *req;
		int eapi;
		bool want;
	} cases[] = {
		{ "^^ ( a? ( !b ) !c? ( d ) )", 6, true }, { "^^ ( a? ( !b ) !c? ( d ) )", 7, false },
		{ "|| ( )", 4, true },                     { "|| ( )", 7, false },
		{ "^^ ( )", 6, true },                     { "^^ ( )", 8, false },
		{ "?? ( )", 5, true },                     { "?? ( )", 8, true },
		{ "( )", 8, true },                        { "a? ( )", 8, true },
		{ "|| ( a? ( b ) )", 6, true },            { "|| ( a? ( b ) )", 7, false },
		{ "", 8, true },
	};
	hs_useset *use = set_of("c");

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_requse *r = parse_ok(cases[i].req, cases[i].eapi);

		if (hs_requse_check(NULL, r, use, NULL) != (int)cases[i].want)
			fail_msg("'%s' EAPI %d: want %d", cases[i].req, cases[i].eapi, (int)cases[i].want);
		hs_requse_free(r);
	}
	hs_useset_free(use);
}

/* test_cases_xfail and test_cases_xfail_eapi, plus our own messages with their columns. */
static void test_errors(void **state)
{
	static const struct {
		const char *req;
		int eapi;
		const char *msg;
	} bad[] = {
		{ "^^ ( || ( a b ) ^^ ( b c )", 8,
		  "invalid REQUIRED_USE token '^^' at column 1: this group is never closed with ')'" },
		{ "^^( || ( a b ) ^^ ( b c ) )", 8,
		  "invalid REQUIRED_USE token '^^(' at column 1: whitespace is required around '(' and ')'" },
		{ "^^ || ( a b ) ^^ ( b c )", 8,
		  "invalid REQUIRED_USE token '||' at column 4: expected '(' after '^^'" },
		{ "^^ ( ( || ) ( a b ) ^^ ( b c ) )", 8,
		  "invalid REQUIRED_USE token ')' at column 11: expected '(' after '||'" },
		{ "^^ ( || ( a b ) ) ^^ ( b c ) )", 8,
		  "invalid REQUIRED_USE token ')' at column 30: no group is open" },
		{ "?? ( a b )", 4,
		  "invalid REQUIRED_USE token '?" "?' at column 1: '?" "?' (at most one of) needs EAPI 5 or later, "
		  "this is EAPI 4" },
		{ "a b||", 8,
		  "invalid REQUIRED_USE token 'b||' at column 3: 'b||' is not a valid USE flag name (letters, "
		  "digits and '+_@-', starting with a letter or digit)" },
		{ "a? ( b", 8, "invalid REQUIRED_USE token 'a?' at column 1: this group is never closed with ')'" },
		{ "a b?", 8, "invalid REQUIRED_USE token 'b?' at column 3: expected '(' after it, found the end" },
		{ "!? ( a )", 8, "invalid REQUIRED_USE token '!?' at column 1: a USE flag name is missing" },
		{ "a ! b", 8, "invalid REQUIRED_USE token '!' at column 3: a USE flag name is missing" },
		{ "( a)", 8, "invalid REQUIRED_USE token 'a)' at column 3: whitespace is required around '(' and ')'" },
		{ "a\n\t_b", 8,
		  "invalid REQUIRED_USE token '_b' at line 2, column 2: '_b' is not a valid USE flag name (letters, "
		  "digits and '+_@-', starting with a letter or digit)" },
		{ "a\x01", 8,
		  "invalid REQUIRED_USE token 'a\\x01' at column 1: 'a\\x01' is not a valid USE flag name (letters, "
		  "digits and '+_@-', starting with a letter or digit)" },
		{ "a", -1, "invalid EAPI -1 for REQUIRED_USE" },
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		hs_requse *r = NULL;

		assert_int_equal(hs_requse_parse(ctx, &r, bad[i].req, strlen(bad[i].req), bad[i].eapi), -EINVAL);
		assert_null(r);
		assert_string_equal(hs_ctx_last_error(ctx), bad[i].msg);
	}
	hs_ctx_free(ctx);
}

static void test_nesting_limit(void **state)
{
	hs_buf b = {0};
	hs_requse *r = NULL;

	for (int i = 0; i < 256; i++)
		assert_int_equal(hs_buf_puts(&b, "( "), 0);
	assert_int_equal(hs_buf_puts(&b, "a"), 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(hs_buf_puts(&b, " )"), 0);
	assert_int_equal(hs_requse_parse(NULL, &r, b.p, b.len, 8), 0);
	hs_requse_free(r);
	r = NULL;
	hs_buf_free(&b);
	for (int i = 0; i < 257; i++)
		assert_int_equal(hs_buf_puts(&b, "|| ( "), 0);
	assert_int_equal(hs_requse_parse(NULL, &r, b.p, b.len, 8), -EINVAL);
	hs_buf_free(&b);
}

/* xfail case 1: a flag missing from IUSE, named the way Portage names it, and in Portage's order (plain flags
 * as met, a conditional's flag when its group closes). */
static void test_not_in_iuse(void **state)
{
	static const struct {
		const char *req, *iuse, *missing;
	} cases[] = {
		{ "^^ ( || ( a b ) ^^ ( b c ) )", "a b", "c" },
		{ "x? ( y )", "", "y" },
		{ "x? ( y )", "y", "x" },
		{ "!x? ( y ) z", "y", "x" },
	};
	hs_ctx *ctx = NULL;
	hs_useset *use = set_of("a b");
	char msg[64], *red = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_requse *r = parse_ok(cases[i].req, 8);
		hs_useset *iuse = set_of(cases[i].iuse);

		snprintf(msg, sizeof(msg), "USE flag '%s' is not in IUSE", cases[i].missing);
		assert_int_equal(hs_requse_check(ctx, r, use, iuse), -EINVAL);
		assert_string_equal(hs_ctx_last_error(ctx), msg);
		hs_ctx_clear_error(ctx);
		assert_int_equal(hs_requse_reduce(ctx, r, use, iuse, HS_REQUSE_RAW, &red), -EINVAL);
		assert_string_equal(hs_ctx_last_error(ctx), msg);
		/* without IUSE nothing is checked */
		assert_true(hs_requse_check(ctx, r, use, NULL) >= 0);
		hs_useset_free(iuse);
		hs_requse_free(r);
	}
	hs_useset_free(use);
	hs_ctx_free(ctx);
}

/* Flags are looked up once each, in byte order (one merge with the USE and IUSE sets); the IUSE report keeps
 * Portage's order, and expressions naming more flags than the evaluator keeps on the stack work the same. */
static void test_many_flags_check(void **state)
{
	hs_buf req = {0}, all = {0}, some = {0};
	hs_useset *use = NULL, *iuse = NULL, *none = set_of("");
	hs_ctx *ctx = NULL;
	hs_requse *r;
	char *red = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* "b a" and IUSE without either: Portage names b, the first it meets, not a, the first in byte order */
	r = parse_ok("b a", 8);
	assert_int_equal(hs_requse_check(ctx, r, none, none), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "USE flag 'b' is not in IUSE");
	hs_requse_free(r);

	/* ^^ ( f299 … f000 ) and flags g000 … g299 each requiring itself: 600 flags */
	assert_int_equal(hs_buf_puts(&req, "^^ ("), 0);
	for (int i = 300; i-- > 0;)
		assert_int_equal(hs_buf_printf(&req, " f%03d", i), 0);
	assert_int_equal(hs_buf_puts(&req, " )"), 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(hs_buf_printf(&req, " g%03d? ( g%03d )", i, i), 0);
		assert_int_equal(hs_buf_printf(&all, "f%03d g%03d ", i, i), 0);
		if (i % 3 == 0)
			assert_int_equal(hs_buf_printf(&some, "g%03d ", i), 0);
	}
	r = parse_ok(req.p, 8);
	iuse = set_of(all.p);
	use = set_of(some.p);
	assert_int_equal(hs_requse_check(ctx, r, use, iuse), 0); /* no f: ^^ fails */
	assert_int_equal(hs_useset_add(use, "f150", 4), 1);
	assert_int_equal(hs_requse_check(ctx, r, use, iuse), 1);
	assert_int_equal(hs_requse_reduce(ctx, r, use, iuse, HS_REQUSE_RAW, &red), 0);
	assert_string_equal(red, "");
	free(red);
	assert_int_equal(hs_useset_add(use, "f007", 4), 1);
	assert_int_equal(hs_requse_check(ctx, r, use, iuse), 0);
	assert_int_equal(hs_requse_check(ctx, r, use, NULL), 0);
	/* IUSE without f150 and g299: the ^^ group comes first */
	assert_int_equal(hs_useset_remove(iuse, "g299", 4), 1);
	assert_int_equal(hs_useset_remove(iuse, "f150", 4), 1);
	assert_int_equal(hs_requse_check(ctx, r, use, iuse), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "USE flag 'f150' is not in IUSE");
	hs_requse_free(r);
	hs_useset_free(use);
	hs_useset_free(iuse);
	hs_useset_free(none);
	hs_buf_free(&req);
	hs_buf_free(&all);
	hs_buf_free(&some);
	hs_ctx_free(ctx);
}

/* ---- Portage's testCheckRequiredUseFilterSatisfied: the reduced-noise strings ------------------------ */

static void test_portage_reduce_vectors(void **state)
{
	static const struct {
		const char *req, *use, *want;
	} cases[] = {
		{ "bindist? ( !amr !faac !win32codecs ) cdio? ( !cdparanoia !cddb ) dvdnav? ( dvd )", "cdio cdparanoia",
		  "cdio? ( !cdparanoia )" },
		{ "|| ( !amr !faac !win32codecs ) cdio? ( !cdparanoia !cddb ) ^^ ( foo bar )", "cdio cdparanoia foo",
		  "cdio? ( !cdparanoia )" },
		{ "^^ ( || ( a b ) c )", "a b c", "^^ ( || ( a b ) c )" },
		{ "^^ ( || ( ( a b ) ) ( c ) )", "a b c", "^^ ( ( a b ) c )" },
		{ "a? ( ( c e ) ( b d ) )", "a c e", "a? ( b d )" },
		{ "a? ( ( c e ) ( b d ) )", "a b c e", "a? ( d )" },
		{ "a? ( ( c e ) ( c e b c d e c ) )", "a c e", "a? ( b d )" },
		{ "^^ ( || ( a b ) ^^ ( b c ) )", "a b", "^^ ( || ( a b ) ^^ ( b c ) )" },
		{ "^^ ( || ( a b ) ^^ ( b c ) )", "a c", "^^ ( || ( a b ) ^^ ( b c ) )" },
		{ "^^ ( || ( a b ) ^^ ( b c ) )", "b c", "" },
		{ "^^ ( || ( a b ) ^^ ( b c ) )", "a b c", "" },
		{ "^^ ( ( a b c ) ( b c d ) )", "a b c", "" },
		{ "^^ ( ( a b c ) ( b c d ) )", "a b c d", "^^ ( ( a b c ) ( b c d ) )" },
		{ "^^ ( ( a b c ) ( b c !d ) )", "a b c", "^^ ( ( a b c ) ( b c !d ) )" },
		{ "^^ ( ( a b c ) ( b c !d ) )", "a b c d", "" },
		{ "( ( ( a ) ) ( ( ( b c ) ) ) )", "", "a b c" },
		{ "|| ( ( ( ( a ) ) ( ( ( b c ) ) ) ) )", "", "a b c" },
		{ "|| ( ( a ( ( ) ( ) ) ( ( ) ) ( b ( ) c ) ) )", "", "a b c" },
		{ "|| ( ( a b c ) ) || ( ( d e f ) )", "", "a b c d e f" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_requse *r = parse_ok(cases[i].req, 8);
		hs_useset *use = set_of(cases[i].use);
		char *got = reduce(r, use, NULL, HS_REQUSE_RAW);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("'%s' USE='%s': got '%s', want '%s'", cases[i].req, cases[i].use, got, cases[i].want);
		/* "" exactly when satisfied */
		assert_int_equal(hs_requse_check(NULL, r, use, NULL), cases[i].want[0] == '\0');
		free(got);
		hs_useset_free(use);
		hs_requse_free(r);
	}
}

/* Where Portage's display would come out empty although the expression fails, the failing top-level
 * constraints are shown as written; and a satisfied expression always reduces to "". */
static void test_reduce_deviations(void **state)
{
	hs_useset *use = set_of("x a");
	hs_requse *r = parse_ok("x? ( || ( y? ( z ) ) ) a", 8);
	char *got = reduce(r, use, NULL, HS_REQUSE_RAW);

	assert_string_equal(got, "x? ( || ( y? ( z ) ) )");
	free(got);
	hs_requse_free(r);
	/* Portage's tree would keep "b" (?? ( b ) collapses to b), but nothing is unsatisfied */
	r = parse_ok("?? ( b ) a", 8);
	got = reduce(r, use, NULL, HS_REQUSE_RAW);
	assert_string_equal(got, "");
	free(got);
	hs_requse_free(r);
	/* ... while in an unsatisfied expression that quirk is kept, exactly as emerge prints it */
	r = parse_ok("?? ( b ) c", 8);
	got = reduce(r, use, NULL, HS_REQUSE_RAW);
	assert_string_equal(got, "b c");
	free(got);
	hs_requse_free(r);
	hs_useset_free(use);
}

/* ---- real metadata: docs/portage-facts.md §1.1 table -------------------------------------------------- */

static void test_systemd_260_table(void **state)
{
	static const struct {
		const char *extra, *want_raw;
	} rows[] = {
		{ "homed", "homed? ( cryptsetup pam )" },
		{ "homed pam openssl", "homed? ( cryptsetup )" },
		/* (dns-over-tls, on by default, would add "dns-over-tls? ( openssl )") */
		{ "homed cryptsetup pam -openssl -dns-over-tls", "homed? ( openssl )" },
		{ "homed cryptsetup pam openssl", "" },
		{ "passwdqc", "passwdqc? ( homed )" },
	};
	hs_requse *r = parse_ok(SYSTEMD_260_REQUSE, 8);

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		hs_useset *iuse = NULL;
		/* the profile selects a Python (PYTHON_SINGLE_TARGET), or ^^ ( … ) would be unsatisfied too */
		char extra[128];
		hs_useset *use;
		char *got;

		snprintf(extra, sizeof(extra), "python_single_target_python3_13 %s", rows[i].extra);
		use = use_from(SYSTEMD_260_IUSE, extra, &iuse);
		got = reduce(r, use, iuse, HS_REQUSE_RAW);
		assert_string_equal(got, rows[i].want_raw);
		assert_int_equal(hs_requse_check(NULL, r, use, iuse), rows[i].want_raw[0] == '\0');
		free(got);
		hs_useset_free(use);
		hs_useset_free(iuse);
	}
	hs_requse_free(r);
}

static void test_systemd_and_pambase_strings(void **state)
{
	static const struct {
		const char *iuse, *req, *extra, *want, *want_human;
		int eapi;
	} rows[] = {
		/* no Python selected: the ^^ group is reported, humanised as emerge does */
		{ SYSTEMD_260_IUSE, SYSTEMD_260_REQUSE, "homed",
		  "^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
		  "python_single_target_python3_14 ) homed? ( cryptsetup pam )",
		  "exactly-one-of ( python_single_target_python3_11 python_single_target_python3_12 "
		  "python_single_target_python3_13 python_single_target_python3_14 ) homed? ( cryptsetup pam )", 8 },
		{ SYSTEMD_260_IUSE, SYSTEMD_260_REQUSE,
		  "python_single_target_python3_12 python_single_target_python3_13 passwdqc pwquality homed cryptsetup pam",
		  "^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
		  "python_single_target_python3_14 ) ?? ( passwdqc pwquality )",
		  "exactly-one-of ( python_single_target_python3_11 python_single_target_python3_12 "
		  "python_single_target_python3_13 python_single_target_python3_14 ) at-most-one-of ( passwdqc pwquality )",
		  8 },
		{ SYSTEMD_260_IUSE, SYSTEMD_260_EBUILD_REQUSE, "homed ukify -openssl",
		  "dns-over-tls? ( openssl ) homed? ( cryptsetup pam openssl ) ukify? ( boot )",
		  NULL, 8 },
		{ SYSTEMD_261_IUSE, SYSTEMD_261_REQUSE,
		  "python_single_target_python3_14 homed importd -kernel-install boot",
		  "boot? ( kernel-install ) homed? ( cryptsetup pam ) importd? ( curl lzma )", NULL, 8 },
		{ SYSTEMD_261_IUSE, SYSTEMD_261_REQUSE,
		  "python_single_target_python3_14 homed cryptsetup pam curl lzma importd", "", NULL, 8 },
		{ SYSTEMD_259_IUSE, SYSTEMD_259_REQUSE, "python_single_target_python3_13 homed cryptsetup",
		  "homed? ( pam )", NULL, 8 },
		{ PAMBASE_2025_IUSE, PAMBASE_2025_REQUSE, "homed", "", NULL, 8 },
		{ PAMBASE_2025_IUSE, PAMBASE_2025_REQUSE, "homed pam_krb5 pwquality pwhistory sha512",
		  "?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )",
		  "at-most-one-of ( passwdqc pwquality ) at-most-one-of ( sha512 yescrypt ) homed? ( !pam_krb5 ) "
		  "pam_krb5? ( !homed )", 8 },
		{ PAMBASE_2025_IUSE, PAMBASE_2025_REQUSE, "pwhistory -passwdqc",
		  "pwhistory? ( || ( passwdqc pwquality ) )",
		  "pwhistory? ( any-of ( passwdqc pwquality ) )", 8 },
		{ PAMBASE_2026_IUSE, PAMBASE_2026_REQUSE, "homed turnstile", "", NULL, 8 },
		{ PAMBASE_2026_IUSE, PAMBASE_2026_REQUSE, "elogind systemd pam_krb5 homed",
		  "?? ( elogind systemd ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )", NULL, 8 },
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		hs_useset *iuse = NULL, *use = use_from(rows[i].iuse, rows[i].extra, &iuse);
		hs_requse *r = parse_ok(rows[i].req, rows[i].eapi);
		char *got = reduce(r, use, iuse, HS_REQUSE_RAW);

		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu: got '%s', want '%s'", i, got, rows[i].want);
		assert_int_equal(hs_requse_check(NULL, r, use, iuse), rows[i].want[0] == '\0');
		free(got);
		if (rows[i].want_human) {
			got = reduce(r, use, iuse, HS_REQUSE_HUMAN);
			assert_string_equal(got, rows[i].want_human);
			free(got);
		}
		hs_requse_free(r);
		hs_useset_free(use);
		hs_useset_free(iuse);
	}
}

static void test_format_and_flags(void **state)
{
	hs_requse *r = parse_ok(PAMBASE_2026_REQUSE, 8), *r2 = NULL;
	hs_useset *flags = NULL;
	char *raw = NULL, *human = NULL, *raw2 = NULL;

	assert_int_equal(hs_requse_format(r, HS_REQUSE_RAW, &raw), 0);
	assert_string_equal(raw, PAMBASE_2025_REQUSE);
	assert_int_equal(hs_requse_format(r, HS_REQUSE_HUMAN, &human), 0);
	assert_string_equal(human, "at-most-one-of ( elogind systemd ) at-most-one-of ( passwdqc pwquality ) "
				   "at-most-one-of ( sha512 yescrypt ) pwhistory? ( any-of ( passwdqc pwquality ) ) "
				   "homed? ( !pam_krb5 ) pam_krb5? ( !homed )");
	/* round trip */
	assert_int_equal(hs_requse_parse(NULL, &r2, raw, strlen(raw), 8), 0);
	assert_int_equal(hs_requse_format(r2, HS_REQUSE_RAW, &raw2), 0);
	assert_string_equal(raw, raw2);
	assert_int_equal(hs_requse_flags(r, &flags), 0);
	{
		char *j = NULL;

		assert_int_equal(hs_useset_join(flags, &j), 0);
		assert_string_equal(j, "elogind homed pam_krb5 passwdqc pwhistory pwquality sha512 systemd yescrypt");
		free(j);
	}
	free(raw);
	free(raw2);
	free(human);
	hs_useset_free(flags);
	hs_requse_free(r);
	hs_requse_free(r2);

	/* nothing is simplified by format: groups stay as written */
	r = parse_ok("  ( ( a ) )\t|| ( )  ^^ ( b? ( c ) ) !d?  ( !e )  ", 8);
	assert_int_equal(hs_requse_format(r, HS_REQUSE_RAW, &raw), 0);
	assert_string_equal(raw, "( ( a ) ) || ( ) ^^ ( b? ( c ) ) !d? ( !e )");
	free(raw);
	hs_requse_free(r);
	r = parse_ok("", 8);
	assert_int_equal(hs_requse_format(r, HS_REQUSE_RAW, &raw), 0);
	assert_string_equal(raw, "");
	free(raw);
	hs_requse_free(r);
	/* the text is not NUL-terminated: only len bytes are read */
	assert_int_equal(hs_requse_parse(NULL, &r, "a b ( c", 3, 8), 0);
	assert_int_equal(hs_requse_format(r, HS_REQUSE_RAW, &raw), 0);
	assert_string_equal(raw, "a b");
	free(raw);
	hs_requse_free(r);
	hs_requse_free(NULL);
}

/* ---- solving ------------------------------------------------------------------------------------------ */

struct want_change {
	const char *flag;
	bool enable;
	const char *reason;
};

static void assert_changes(const hs_requse_solution *sol, const struct want_change *want, size_t n)
{
	if (hs_requse_solution_count(sol) != n) {
		for (size_t i = 0; i < hs_requse_solution_count(sol); i++)
			print_message("# change %c%s (%s)\n", hs_requse_solution_get(sol, i)->enable ? '+' : '-',
				      hs_requse_solution_get(sol, i)->flag, hs_requse_solution_get(sol, i)->reason);
		fail_msg("%zu changes, want %zu", hs_requse_solution_count(sol), n);
	}
	for (size_t i = 0; i < n; i++) {
		const hs_requse_change *c = hs_requse_solution_get(sol, i);

		assert_string_equal(c->flag, want[i].flag);
		assert_int_equal(c->enable, want[i].enable);
		if (want[i].reason)
			assert_string_equal(c->reason, want[i].reason);
	}
	assert_null(hs_requse_solution_get(sol, n));
}

static void test_solve_systemd_homed(void **state)
{
	hs_ctx *ctx = NULL;
	hs_requse *r = parse_ok(SYSTEMD_260_REQUSE, 8);
	hs_useset *iuse = NULL, *use = use_from(SYSTEMD_260_IUSE, "python_single_target_python3_13", &iuse);
	hs_useset *want = set_of("homed"), *pinned = set_of("openssl");
	hs_requse_solution *sol = NULL;
	const struct want_change expect[] = {
		{ "homed", true, "requested" },
		{ "cryptsetup", true, "homed? ( cryptsetup pam openssl )" },
		{ "pam", true, "homed? ( cryptsetup pam openssl )" },
	};
	const struct want_change expect_ssl[] = {
		{ "homed", true, "requested" },
		{ "cryptsetup", true, "homed? ( cryptsetup pam openssl )" },
		{ "openssl", true, NULL },
		{ "pam", true, "homed? ( cryptsetup pam openssl )" },
	};

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* IUSE defaults (openssl on): exactly homed cryptsetup pam */
	assert_true(hs_useset_has(use, "openssl", 7));
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, NULL), 0);
	assert_changes(sol, expect, ELEMENTSOF(expect));
	assert_int_equal(hs_requse_check(NULL, r, hs_requse_solution_use(sol), iuse), 1);
	assert_int_equal(hs_useset_count(hs_requse_solution_use(sol)), hs_useset_count(use) + 3);
	hs_requse_solution_free(sol);
	sol = NULL;
	/* the same with openssl pinned on: nothing changes */
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, pinned), 0);
	assert_changes(sol, expect, ELEMENTSOF(expect));
	hs_requse_solution_free(sol);
	sol = NULL;

	/* openssl off, not pinned: it is turned on too (dns-over-tls? ( openssl ) wants it as well; the smaller
	 * constraint is given as the reason) */
	hs_useset_remove(use, "openssl", 7);
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, NULL), 0);
	assert_changes(sol, expect_ssl, ELEMENTSOF(expect_ssl));
	assert_string_equal(hs_requse_solution_get(sol, 2)->reason, "dns-over-tls? ( openssl )");
	hs_requse_solution_free(sol);
	sol = NULL;

	/* openssl masked (pinned off): impossible */
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, pinned), -EDOM);
	assert_null(sol);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "cannot enable 'homed': homed? ( cryptsetup pam openssl ) cannot be satisfied: openssl is pinned");

	/* a wanted flag that is pinned the other way */
	hs_useset_free(pinned);
	pinned = set_of("homed");
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, pinned), -EDOM);
	assert_string_equal(hs_ctx_last_error(ctx), "cannot enable 'homed': it is pinned (masked or forced)");
	/* a wanted flag outside IUSE */
	hs_useset_free(want);
	want = set_of("nosuchflag");
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, NULL), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "USE flag 'nosuchflag' is not in IUSE");
	/* on and off at once */
	hs_useset_free(want);
	want = set_of("homed");
	assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, want, NULL), -EINVAL);

	hs_useset_free(want);
	hs_useset_free(pinned);
	hs_useset_free(use);
	hs_useset_free(iuse);
	hs_requse_free(r);
	hs_ctx_free(ctx);
}

static void test_solve_python_target(void **state)
{
	hs_requse *r = parse_ok(SYSTEMD_260_REQUSE, 8);
	hs_useset *iuse = NULL, *use = use_from(SYSTEMD_260_IUSE, "", &iuse);
	hs_requse_solution *sol = NULL;
	const struct want_change expect[] = {
		{ "python_single_target_python3_11", true,
		  "^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
		  "python_single_target_python3_14 )" },
	};

	assert_int_equal(hs_requse_solve(NULL, &sol, r, use, iuse, NULL, NULL, NULL), 0);
	assert_changes(sol, expect, ELEMENTSOF(expect));
	hs_requse_solution_free(sol);
	sol = NULL;
	/* two selected: one is dropped */
	hs_useset_add(use, "python_single_target_python3_12", 31);
	hs_useset_add(use, "python_single_target_python3_13", 31);
	assert_int_equal(hs_requse_solve(NULL, &sol, r, use, iuse, NULL, NULL, NULL), 0);
	/* (which one goes is a tie between disabling 3_12 and disabling 3_13: byte order picks 3_12) */
	assert_int_equal(hs_requse_solution_count(sol), 1);
	assert_string_equal(hs_requse_solution_get(sol, 0)->flag, "python_single_target_python3_12");
	assert_false(hs_requse_solution_get(sol, 0)->enable);
	hs_requse_solution_free(sol);
	hs_useset_free(use);
	hs_useset_free(iuse);
	hs_requse_free(r);
}

static void test_solve_pambase(void **state)
{
	hs_ctx *ctx = NULL;
	const char *reqs[] = { PAMBASE_2025_REQUSE, PAMBASE_2026_REQUSE };
	const char *iuses[] = { PAMBASE_2025_IUSE, PAMBASE_2026_IUSE };
	const struct want_change only_homed[] = { { "homed", true, "requested" } };
	const struct want_change drop_krb5[] = {
		{ "homed", true, "requested" },
		{ "pam_krb5", false, "homed? ( !pam_krb5 )" },
	};

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < 2; i++) {
		hs_requse *r = parse_ok(reqs[i], 8);
		hs_useset *iuse = NULL, *use = use_from(iuses[i], "", &iuse);
		hs_useset *want = set_of("homed"), *pinned = set_of("pam_krb5");
		hs_requse_solution *sol = NULL;

		assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, NULL), 0);
		assert_changes(sol, only_homed, ELEMENTSOF(only_homed));
		hs_requse_solution_free(sol);
		sol = NULL;
		hs_useset_add(use, "pam_krb5", 8);
		assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, NULL), 0);
		assert_changes(sol, drop_krb5, ELEMENTSOF(drop_krb5));
		assert_false(hs_useset_has(hs_requse_solution_use(sol), "pam_krb5", 8));
		hs_requse_solution_free(sol);
		sol = NULL;
		assert_int_equal(hs_requse_solve(ctx, &sol, r, use, iuse, want, NULL, pinned), -EDOM);
		assert_string_equal(
			hs_ctx_last_error(ctx),
			"cannot enable 'homed': homed? ( !pam_krb5 ) cannot be satisfied: pam_krb5 is pinned");
		hs_useset_free(want);
		hs_useset_free(pinned);
		hs_useset_free(use);
		hs_useset_free(iuse);
		hs_requse_free(r);
	}
	hs_ctx_free(ctx);
}

static void test_solve_messages(void **state)
{
	static const struct {
		const char *req, *use, *on, *off, *pinned, *msg;
	} cases[] = {
		/* no single constraint is at fault: the smallest set that cannot hold together is named */
		{ "a? ( b ) b? ( c ) c? ( !a ) x", "", "a", "", "",
		  "cannot enable 'a': a? ( b ), b? ( c ) and c? ( !a ) cannot all be satisfied" },
		{ "^^ ( a b ) z c? ( a )", "b c", "", "", "b c",
		  "no USE change satisfies REQUIRED_USE: ^^ ( a b ) and c? ( a ) cannot both be satisfied: b and c are "
		  "pinned" },
		{ "^^ ( )", "", "", "", "", "no USE change satisfies REQUIRED_USE: ^^ ( ) cannot be satisfied" },
		{ "a? ( b ) !b", "", "a", "c", "",
		  "cannot enable 'a' and disable 'c': a? ( b ) and !b cannot both be satisfied" },
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_requse *r = parse_ok(cases[i].req, 8);
		hs_useset *use = set_of(cases[i].use), *on = set_of(cases[i].on), *off = set_of(cases[i].off),
			  *pinned = set_of(cases[i].pinned);
		hs_requse_solution *sol = NULL;

		assert_int_equal(hs_requse_solve(ctx, &sol, r, use, NULL, on, off, pinned), -EDOM);
		assert_string_equal(hs_ctx_last_error(ctx), cases[i].msg);
		hs_useset_free(use);
		hs_useset_free(on);
		hs_useset_free(off);
		hs_useset_free(pinned);
		hs_requse_free(r);
	}
	hs_ctx_free(ctx);
}

/* Flags outside the expression and wanted flags outside it: left alone / just set. */
static void test_solve_untouched(void **state)
{
	hs_requse *r = parse_ok("a? ( b )", 8);
	hs_useset *use = set_of("a unrelated"), *on = set_of("extra"), *off = set_of("gone");
	hs_requse_solution *sol = NULL;
	const struct want_change expect[] = { { "extra", true, "requested" }, { "b", true, "a? ( b )" } };
	char *j = NULL;

	assert_int_equal(hs_requse_solve(NULL, &sol, r, use, NULL, on, off, NULL), 0);
	assert_changes(sol, expect, ELEMENTSOF(expect));
	assert_int_equal(hs_useset_join(hs_requse_solution_use(sol), &j), 0);
	assert_string_equal(j, "a b extra unrelated");
	free(j);
	hs_requse_solution_free(sol);
	sol = NULL;
	/* already satisfied: no change */
	hs_useset_add(use, "b", 1);
	assert_int_equal(hs_requse_solve(NULL, &sol, r, use, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(hs_requse_solution_count(sol), 0);
	hs_requse_solution_free(sol);
	hs_requse_solution_free(NULL);
	hs_useset_free(use);
	hs_useset_free(on);
	hs_useset_free(off);
	hs_requse_free(r);
}

/* ---- solver vs brute force on random small expressions ---------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *const FL[] = { "a", "b", "c", "d", "e", "f" };

static void gen_item(hs_buf *b, int depth)
{
	static const char *const ops[] = { "( ", "|| ( ", "^^ ( ", "?? ( " };
	unsigned k;

	if (depth > 2 || rnd(10) < 4) {
		assert_int_equal(hs_buf_printf(b, "%s%s ", rnd(3) ? "" : "!", FL[rnd(6)]), 0);
		return;
	}
	if (rnd(10) < 4)
		assert_int_equal(hs_buf_printf(b, "%s%s? ( ", rnd(3) ? "" : "!", FL[rnd(6)]), 0);
	else
		assert_int_equal(hs_buf_puts(b, ops[rnd(4)]), 0);
	k = rnd(4);
	for (unsigned i = 0; i < k; i++)
		gen_item(b, depth + 1);
	assert_int_equal(hs_buf_puts(b, ") "), 0);
}

static hs_useset *random_subset(unsigned mask)
{
	hs_useset *s = NULL;

	assert_int_equal(hs_useset_new(&s), 0);
	for (unsigned i = 0; i < 6; i++) {
		if (mask & (1u << i))
			hs_useset_add(s, FL[i], 1);
	}
	return s;
}

static void test_solve_brute_force(void **state)
{
	hs_ctx *ctx = NULL;
	unsigned exact = 0, impossible = 0;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (int iter = 0; iter < 3000; iter++) {
		hs_buf b = {0};
		hs_requse *r = NULL;
		unsigned usem = rnd(64), onm = rnd(4) ? 0 : 1u << rnd(6), offm = 0;
		unsigned pinm = rnd(3) ? 0 : rnd(64) & rnd(64);
		hs_useset *use, *on, *off, *pinned, *names = NULL;
		hs_requse_solution *sol = NULL;
		unsigned inexpr = 0, best_n = 99, best_en = 0, best_mask = 0;
		int ret;

		if (rnd(4) == 0)
			offm = (1u << rnd(6)) & ~onm;
		for (unsigned n = rnd(4) + 1; n > 0; n--)
			gen_item(&b, 0);
		assert_int_equal(hs_requse_parse(ctx, &r, b.p, b.len, rnd(2) ? 8 : 6), 0);
		assert_int_equal(hs_requse_flags(r, &names), 0);
		for (unsigned i = 0; i < 6; i++)
			inexpr |= hs_useset_has(names, FL[i], 1) ? 1u << i : 0;
		use = random_subset(usem);
		on = random_subset(onm);
		off = random_subset(offm);
		pinned = random_subset(pinm);

		/* brute force over the flags the solver may change */
		{
			unsigned start = (usem | onm) & ~offm;
			unsigned free_m = inexpr & ~onm & ~offm & ~pinm;
			bool pin_conflict = ((onm | offm) & pinm & (start ^ usem)) != 0;

			for (unsigned m = 0; m < 64 && !pin_conflict; m++) {
				unsigned n = 0, en = 0;
				hs_useset *u;

				if (m & ~free_m)
					continue;
				for (unsigned i = 0; i < 6; i++) {
					if (m & (1u << i)) {
						n++;
						en += !(start & (1u << i));
					}
				}
				u = random_subset(start ^ m);
				if (hs_requse_check(NULL, r, u, NULL) == 1) {
					/* smaller, then more enabled, then byte order: compare the sorted flag lists */
					bool better = n < best_n || (n == best_n && en > best_en);

					if (n == best_n && en == best_en) {
						for (unsigned i = 0; i < 6; i++) {
							unsigned bit = 1u << i;

							if ((m & bit) != (best_mask & bit)) {
								better = (m & bit) != 0;
								break;
							}
						}
					}
					if (better) {
						best_n = n;
						best_en = en;
						best_mask = m;
					}
				}
				hs_useset_free(u);
			}
			ret = hs_requse_solve(ctx, &sol, r, use, NULL, on, off, pinned);
			if (pin_conflict || best_n == 99) {
				if (ret != -EDOM)
					fail_msg("'%s': want -EDOM, got %d", b.p, ret);
				impossible++;
			} else {
				size_t nch = 0;

				if (ret != 0)
					fail_msg("'%s': %s", b.p, hs_ctx_last_error(ctx));
				assert_int_equal(hs_requse_check(NULL, r, hs_requse_solution_use(sol), NULL), 1);
				for (size_t i = 0; i < hs_requse_solution_count(sol); i++) {
					const hs_requse_change *c = hs_requse_solution_get(sol, i);
					unsigned bit = 1u << (unsigned)(c->flag[0] - 'a');

					if (strcmp(c->reason, "requested") == 0)
						continue;
					nch++;
					if (!(best_mask & bit))
						fail_msg("'%s' USE=%02x on=%02x off=%02x pinned=%02x: %s not in "
							 "the best solution %02x",
							 b.p, usem, onm, offm, pinm, c->flag, best_mask);
				}
				assert_int_equal(nch, best_n);
				exact++;
				hs_requse_solution_free(sol);
			}
		}
		hs_buf_free(&b);
		hs_useset_free(use);
		hs_useset_free(on);
		hs_useset_free(off);
		hs_useset_free(pinned);
		hs_useset_free(names);
		hs_requse_free(r);
	}
	/* both outcomes were exercised */
	assert_true(exact > 500);
	assert_true(impossible > 50);
	hs_ctx_free(ctx);
}

/* A large expression: the solver stays within its budget and still returns a valid answer. */
static void test_solve_bounded(void **state)
{
	hs_buf b = {0};
	hs_requse *r = NULL;
	hs_useset *use = NULL;
	hs_requse_solution *sol = NULL;
	struct timespec t0, t1;
	double ms;
	int ret;

	/* 200 independent ^^ groups of 3, all empty: 200 flips needed, far past any exact search */
	for (int i = 0; i < 200; i++)
		assert_int_equal(hs_buf_printf(&b, "^^ ( f%da f%db f%dc ) f%da? ( !f%db ) ", i, i, i, i, i), 0);
	assert_int_equal(hs_requse_parse(NULL, &r, b.p, b.len, 8), 0);
	assert_int_equal(hs_useset_new(&use), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = hs_requse_solve(NULL, &sol, r, use, NULL, NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("# 600-flag solve: %.0f ms, %zu changes\n", ms, hs_requse_solution_count(sol));
	assert_int_equal(ret, 0);
	assert_int_equal(hs_requse_check(NULL, r, hs_requse_solution_use(sol), NULL), 1);
	assert_true(ms < 30000.0);
	hs_requse_solution_free(sol);
	hs_useset_free(use);
	hs_requse_free(r);
	hs_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portage_bool_vectors),
		cmocka_unit_test(test_empty_groups_by_eapi),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_not_in_iuse),
		cmocka_unit_test(test_many_flags_check),
		cmocka_unit_test(test_portage_reduce_vectors),
		cmocka_unit_test(test_reduce_deviations),
		cmocka_unit_test(test_systemd_260_table),
		cmocka_unit_test(test_systemd_and_pambase_strings),
		cmocka_unit_test(test_format_and_flags),
		cmocka_unit_test(test_solve_systemd_homed),
		cmocka_unit_test(test_solve_python_target),
		cmocka_unit_test(test_solve_pambase),
		cmocka_unit_test(test_solve_messages),
		cmocka_unit_test(test_solve_untouched),
		cmocka_unit_test(test_solve_brute_force),
		cmocka_unit_test(test_solve_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
