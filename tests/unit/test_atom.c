/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: parsing (every field), errors with columns, formatting, ordering, intersection, matching against
 * packages, wildcards and specificity. The conformance tables are transcribed from pkgcraft-testdata
 * (toml/dep.toml: valid, invalid, compares, intersects, sorting; toml/version.toml: intersects as atoms); the
 * wildcard and specificity cases from Portage (lib/portage/tests/dep/test_atom.py, test_best_match_to_list.py).
 * Every parse here is made twice, with hs_atom_parse() and with hs_atom_parse_into() into one buffer shared by
 * all the tests, and the two must agree (verdict, message, every field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>

#include "homesetupP.h"

struct valid_case {
	const char *dep;
	unsigned flags;
	const char *category, *package;
	const char *version; /* with its operator, as dep.toml writes it: "<1-r2", "=3*" */
	const char *revision, *slot, *subslot, *slot_op, *blocker, *repo;
	const char *use[8];
};

struct intersect_case {
	const char *vals[5];
	bool status;
};

struct sort_case {
	const char *sorted[24];
	bool equal;
};


/* ---- helpers ------------------------------------------------------------------------------------------------ */

static const char *opt(const char *s)
{
	return s ? s : "(none)";
}

/* Every getter of a and b gives the same value (strings compared as strings), and both order as equal. */
static void expect_same_atom(const hs_atom *a, const hs_atom *b, const char *what)
{
	const hs_version *va = hs_atom_version(a), *vb = hs_atom_version(b);
	char *fa = NULL, *fb = NULL;

	assert_ptr_not_equal(a, b);
	assert_string_equal(hs_atom_category(a), hs_atom_category(b));
	assert_string_equal(hs_atom_package(a), hs_atom_package(b));
	assert_string_equal(va ? hs_version_str(va) : "(none)", vb ? hs_version_str(vb) : "(none)");
	if (va && hs_version_compare(va, vb) != 0)
		fail_msg("%s: the versions differ", what);
	assert_string_equal(opt(hs_atom_slot(a)), opt(hs_atom_slot(b)));
	assert_string_equal(opt(hs_atom_subslot(a)), opt(hs_atom_subslot(b)));
	assert_string_equal(opt(hs_atom_repo(a)), opt(hs_atom_repo(b)));
	assert_int_equal(hs_atom_op_get(a), hs_atom_op_get(b));
	assert_int_equal(hs_atom_blocker(a), hs_atom_blocker(b));
	assert_int_equal(hs_atom_slot_op(a), hs_atom_slot_op(b));
	assert_int_equal(hs_atom_is_wildcard(a), hs_atom_is_wildcard(b));
	assert_int_equal(hs_atom_specificity(a), hs_atom_specificity(b));
	assert_int_equal(hs_atom_usedep_count(a), hs_atom_usedep_count(b));
	for (size_t i = 0; i < hs_atom_usedep_count(a); i++) {
		const hs_usedep *x = hs_atom_usedep(a, i), *y = hs_atom_usedep(b, i);

		assert_string_equal(x->flag, y->flag);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->dflt, y->dflt);
	}
	assert_null(hs_atom_usedep(b, hs_atom_usedep_count(b)));
	assert_int_equal(hs_atom_format(a, &fa), 0);
	assert_int_equal(hs_atom_format(b, &fb), 0);
	assert_string_equal(fa, fb);
	if (hs_atom_compare(a, b) != 0 || hs_atom_compare(b, a) != 0)
		fail_msg("%s: hs_atom_compare() tells the two parses apart", what);
	free(fa);
	free(fb);
}

/* The buffer every parse of these tests is repeated in (freed by the group teardown). */
static hs_atom_buf *shared_buf;

/*
 * hs_atom_parse_into() of s[0..len) into shared_buf agrees with hs_atom_parse(), which returned r (and *a, or
 * its message in ctx), whatever the buffer held before.
 */
static void expect_into_agrees(hs_ctx *ctx, const char *s, size_t len, unsigned flags, int r, const hs_atom *a)
{
	_cleanup_free_ char *msg = r < 0 && ctx ? strdup(hs_ctx_last_error(ctx)) : NULL;
	const hs_atom *b = (const hs_atom *)&b; /* must be reset */
	int r2;

	if (!shared_buf)
		assert_int_equal(hs_atom_buf_new(&shared_buf), 0);
	r2 = hs_atom_parse_into(ctx, &b, shared_buf, s, len, flags);
	if (r2 != r)
		fail_msg("'%.*s' (flags %#x): hs_atom_parse %d, hs_atom_parse_into %d", (int)len, s, flags, r, r2);
	if (r < 0) {
		assert_null(b);
		if (ctx)
			assert_string_equal(hs_ctx_last_error(ctx), msg);
	} else {
		assert_non_null(b);
		expect_same_atom(a, b, s);
	}
}

/* Parse from a heap buffer of exactly len bytes (no NUL), so ASan catches any read past len; the same parse into
 * the shared buffer must agree. */
static int parse_exact(hs_ctx *ctx, hs_atom **out, const char *s, unsigned flags)
{
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, s, len);
	r = hs_atom_parse(ctx, out, copy, len, flags);
	expect_into_agrees(ctx, copy, len, flags, r, *out);
	free(copy);
	return r;
}

static hs_atom *parse_ok(const char *s, unsigned flags)
{
	hs_atom *a = NULL;
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	if (parse_exact(ctx, &a, s, flags) != 0)
		fail_msg("parsing '%s' (flags %#x) failed: %s", s, flags, hs_ctx_last_error(ctx));
	assert_non_null(a);
	hs_ctx_free(ctx);
	return a;
}

/* Parsing must fail with -EINVAL; returns the message (caller frees). */
static char *parse_fail(const char *s, unsigned flags)
{
	hs_atom *a = (hs_atom *)0x1;
	hs_ctx *ctx = NULL;
	char *msg;
	int r;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	r = parse_exact(ctx, &a, s, flags);
	if (r != -EINVAL)
		fail_msg("parsing '%s' (flags %#x) returned %d, expected -EINVAL", s, flags, r);
	assert_null(a);
	assert_int_equal(hs_ctx_last_errno(ctx), -EINVAL);
	msg = strdup(hs_ctx_last_error(ctx));
	assert_non_null(msg);
	if (strncmp(msg, "invalid atom '", 14) != 0 || !strstr(msg, "' at column "))
		fail_msg("message for '%s' lacks the atom or its column: %s", s, msg);
	hs_ctx_free(ctx);
	/* without a context the same failure, silently */
	a = (hs_atom *)0x1;
	assert_int_equal(parse_exact(NULL, &a, s, flags), -EINVAL);
	assert_null(a);
	return msg;
}

static void expect_format(const hs_atom *a, const char *want)
{
	char *s = NULL;

	assert_int_equal(hs_atom_format(a, &s), 0);
	assert_string_equal(s, want);
	free(s);
}

static const char *op_str(hs_atom_op op)
{
	static const char *const t[] = { "", "<", "<=", "=", "=", "~", ">=", ">" };

	return t[op];
}

/* A USE dependency written back: "!c(-)=". */
static void usedep_text(const hs_usedep *d, char *buf, size_t n)
{
	static const char *const dflt[] = { "", "(+)", "(-)" };
	const char *pre = d->kind == HS_USEDEP_DISABLED ? "-"
			  : (d->kind == HS_USEDEP_NOT_EQUAL || d->kind == HS_USEDEP_IF_DISABLED) ? "!" : "";
	const char *suf = (d->kind == HS_USEDEP_EQUAL || d->kind == HS_USEDEP_NOT_EQUAL) ? "="
			  : (d->kind == HS_USEDEP_IF_ENABLED || d->kind == HS_USEDEP_IF_DISABLED) ? "?" : "";

	snprintf(buf, n, "%s%s%s%s", pre, d->flag, dflt[d->dflt], suf);
}

static void expect_opt_str(const char *got, const char *want, const char *what, const char *dep)
{
	if (!want && got)
		fail_msg("%s: %s is '%s', expected none", dep, what, got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("%s: %s is '%s', expected '%s'", dep, what, got ? got : "(none)", want);
}

static int sgn(int r)
{
	return (r > 0) - (r < 0);
}

static int cmp_atoms(const char *x, const char *y)
{
	hs_atom *a = parse_ok(x, HS_ATOM_ALLOW_REPO), *b = parse_ok(y, HS_ATOM_ALLOW_REPO);
	int r = sgn(hs_atom_compare(a, b));

	/* antisymmetric */
	assert_int_equal(sgn(hs_atom_compare(b, a)), -r);
	hs_atom_free(a);
	hs_atom_free(b);
	return r;
}

/* ---- pkgcraft-testdata tables --------------------------------------------------------------------------- */

/* dep.toml `valid` (EAPI 8 and, for "U..", with HS_ATOM_ALLOW_REPO) */
static const struct valid_case valid_cases[] = {
	{ "_/_", 0, "_", "_", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "_/_-", 0, "_", "_-", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "_.+-/_+-", 0, "_.+-", "_+-", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "_--/_--", 0, "_--", "_--", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b-", 0, "a", "b-", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b-r100", 0, "a", "b-r100", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "<a/b-r0-1-r2", 0, "a", "b-r0", "<1-r2", "2", NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "<=a/b-1", 0, "a", "b", "<=1", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "=a/b-1-r1", 0, "a", "b", "=1-r1", "1", NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "=a/b--1", 0, "a", "b-", "=1", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "=a/b-r1-2", 0, "a", "b-r1", "=2", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "=a/b-3*", 0, "a", "b", "=3*", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "=a/b-3-r1*", 0, "a", "b", "=3-r1*", "1", NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "~a/b-0", 0, "a", "b", "~0", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ ">=a/b-2", 0, "a", "b", ">=2", NULL, NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ ">a/b-3-r0", 0, "a", "b", ">3-r0", "0", NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ ">a/b-3-c-4-r3", 0, "a", "b-3-c", ">4-r3", "3", NULL, NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:0", 0, "a", "b", NULL, NULL, "0", NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:_", 0, "a", "b", NULL, NULL, "_", NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:slot", 0, "a", "b", NULL, NULL, "slot", NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:S-1.2+3", 0, "a", "b", NULL, NULL, "S-1.2+3", NULL, NULL, NULL, NULL,
	  { NULL } },
	{ "!a/b", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, "!", NULL,
	  { NULL } },
	{ "!!a/b", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, "!!", NULL,
	  { NULL } },
	{ "a/b[u]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u", NULL } },
	{ "a/b[1,2]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "1", "2", NULL } },
	{ "a/b[u,-u]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u", "-u", NULL } },
	{ "a/b[u-,u+]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u-", "u+", NULL } },
	{ "a/b[a,b=,!c=,d?,!e?,-f]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "a", "b=", "!c=", "d?", "!e?", "-f", NULL } },
	{ "a/b[u(+)]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u(+)", NULL } },
	{ "a/b[u(-)]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u(-)", NULL } },
	{ "a/b[u(-),u(+)]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "u(-)", "u(+)", NULL } },
	{ "a/b[a(-),b(+)=,!c(-)=,d(+)?,!e(-)?,-f(+)]", 0, "a", "b", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  { "a(-)", "b(+)=", "!c(-)=", "d(+)?", "!e(-)?", "-f(+)", NULL } },
	{ "a/b:0/1", 0, "a", "b", NULL, NULL, "0", "1", NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:_/_", 0, "a", "b", NULL, NULL, "_", "_", NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:_/slot", 0, "a", "b", NULL, NULL, "_", "slot", NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:_/S-1.2+3", 0, "a", "b", NULL, NULL, "_", "S-1.2+3", NULL, NULL, NULL,
	  { NULL } },
	{ "a/b:*", 0, "a", "b", NULL, NULL, NULL, NULL, "*", NULL, NULL,
	  { NULL } },
	{ "a/b:=", 0, "a", "b", NULL, NULL, NULL, NULL, "=", NULL, NULL,
	  { NULL } },
	{ "a/b:0=", 0, "a", "b", NULL, NULL, "0", NULL, "=", NULL, NULL,
	  { NULL } },
	{ "a/b:0/1=", 0, "a", "b", NULL, NULL, "0", "1", "=", NULL, NULL,
	  { NULL } },
	{ "!!=cat/pkg-1-r2:3/4=[a,b,c]", 0, "cat", "pkg", "=1-r2", "2", "3", "4", "=", "!!", NULL,
	  { "a", "b", "c", NULL } },
	{ "cat/pkg::repo", HS_ATOM_ALLOW_REPO, "cat", "pkg", NULL, NULL, NULL, NULL, NULL, NULL, "repo",
	  { NULL } },
	{ "!!=cat/pkg-1-r2:3/4=::repo[a,b,c]", HS_ATOM_ALLOW_REPO, "cat", "pkg", "=1-r2", "2", "3", "4", "=", "!!", "repo",
	  { "a", "b", "c", NULL } },
};

/* dep.toml `invalid` */
static const char *const invalid_cases[] = {
	"",
	"a",
	"/b",
	"a/+b",
	".a/.b",
	"=a/b-1_a",
	"=a/b-1_a1",
	"a/b:",
	"a/b:+",
	"a/b:+0",
	"a/b:.a",
	"a/b:-b",
	"a/b:a@b",
	"!!!a/b",
	"!a/b-0",
	"!!a/b-0-r1",
	"a/b[]",
	"a/b[,]",
	"a/b[u,]",
	"a/b[,u]",
	"a/b[-]",
	"a/b[+u]",
	"a/b[?]",
	"a/b[?u]",
	"a/b[u??]",
	"a/b[-a?]",
	"a/b[!a]",
	"a/b[(-)]",
	"a/b[(-)u]",
	"a/b[u(+)(-)]",
	"a/b[a()]",
	"a/b[a(?)]",
	"a/b[a(b)]",
	"a/b[a(-+)]",
	"a/b[a(++)]",
	"a/b[a((+))]",
	"a/b[a(-)b]",
	"a/b:/",
	"a/b:/0",
	"a/b:0/",
	"a/b:0/*",
	"a/b:0/=",
	"a/b:0/+1",
	"a/b:0//1",
	"a/b:0/1/2",
	"a/b:*0",
	"a/b:0*",
	"a/b:0/1*",
	"a/b:=0",
	"a/b:*=",
	"a/b:==",
	"a/b-0",
	"<a/b-1-1",
	"=a/b-1-c-2-3",
	">a/b-1-r2-3-r4",
	"~a/b",
	"~a/b-r1",
	"<a/b1a",
	"<=a/b0",
	">=a/b1-r1",
	">a/b1.1",
	"~a/b-1-r1",
	">=a/b-0*",
	"~a/b-0*",
	"a/b-0*",
	"a/b*",
	"=a/b-0.*",
	"=a/b-0-r*",
	"a/b::",
	"a/b::-repo",
	"a/b::repo-1",
	"a/b::repo@path",
};

/* dep.toml `compares` */
static const char *const compare_cases[] = {
	"a/b[u] == a/b[u,u]",
	"a/b[a,b] == a/b[b,a]",
	"a/b[u] != a/b[u,u(+)]",
	"a/b[u] != a/b[u,-u]",
};

/* dep.toml `intersects` */
static const struct intersect_case dep_intersects[] = {
	{ { "cat-a/pkg", "cat-b/pkg", NULL }, false },
	{ { "cat/pkg-a", "cat/pkg-b", NULL }, false },
	{ { "cat/pkg:0", "cat/pkg:1", NULL }, false },
	{ { "cat/pkg:0", "cat/pkg:1=", NULL }, false },
	{ { "cat/pkg:0", "cat/pkg:=", NULL }, true },
	{ { "cat/pkg:0", "cat/pkg:0=", NULL }, true },
	{ { "cat/pkg:0", "cat/pkg:*", NULL }, true },
	{ { "cat/pkg:0", "cat/pkg", NULL }, true },
	{ { "cat/pkg:0=", "cat/pkg", NULL }, true },
	{ { "cat/pkg:*", "cat/pkg:=", NULL }, true },
	{ { "cat/pkg:*", "cat/pkg", NULL }, true },
	{ { "cat/pkg:=", "cat/pkg", NULL }, true },
	{ { "cat/pkg:0/1", "cat/pkg:0/2", NULL }, false },
	{ { "cat/pkg:0/1", "cat/pkg:0", NULL }, true },
	{ { "cat/pkg:0/1", "cat/pkg:*", NULL }, true },
	{ { "cat/pkg:0/1", "cat/pkg:=", NULL }, true },
	{ { "cat/pkg:0/1", "cat/pkg", NULL }, true },
	{ { "cat/pkg", "cat/pkg[a]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[a,b]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[b]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[a=]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[!a=]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[a?]", NULL }, true },
	{ { "cat/pkg[a]", "cat/pkg[!a?]", NULL }, true },
	{ { "cat/pkg[-a]", "cat/pkg[a]", NULL }, false },
	{ { "cat/pkg[-a]", "cat/pkg[b]", NULL }, true },
	{ { "cat/pkg::a", "cat/pkg::b", NULL }, false },
	{ { "cat/pkg", ">cat/pkg-1", NULL }, true },
};

/* version.toml `intersects`, as atoms: "<0" is "<a/b-0", a bare "0" is "=a/b-0" */
static const struct intersect_case version_intersects[] = {
	{ { "=a/b-0", "=a/b-00", "=a/b-0-r0", "=a/b-0-r00", NULL }, true },
	{ { "=a/b-1.0.2", "=a/b-1.0.2-r0", "=a/b-1.000.2", NULL }, true },
	{ { "=a/b-0", "=a/b-1", "=a/b-2", NULL }, false },
	{ { "=a/b-1.1", "=a/b-1.10", "=a/b-1.100", NULL }, false },
	{ { "=a/b-0", "<a/b-0", NULL }, false },
	{ { "=a/b-0", "<=a/b-0", NULL }, true },
	{ { "=a/b-0", "=a/b-0", NULL }, true },
	{ { "=a/b-0", "=a/b-0*", NULL }, true },
	{ { "=a/b-0", "~a/b-0", NULL }, true },
	{ { "=a/b-0", ">=a/b-0", NULL }, true },
	{ { "=a/b-0", ">a/b-0", NULL }, false },
	{ { "<a/b-0", "<a/b-100", NULL }, true },
	{ { "<a/b-0", "<=a/b-100", NULL }, true },
	{ { ">a/b-0", ">a/b-100", NULL }, true },
	{ { ">a/b-0", ">=a/b-100", NULL }, true },
	{ { "~a/b-1", "~a/b-1.0", NULL }, false },
	{ { "~a/b-1.0.2", "~a/b-1.000.2", NULL }, true },
	{ { "=a/b-1*", "=a/b-1.0*", NULL }, true },
	{ { "=a/b-1.1*", "=a/b-1.0*", NULL }, false },
	{ { "=a/b-1*", "~a/b-1.0", NULL }, true },
	{ { "=a/b-1.1*", "~a/b-1.0", NULL }, false },
	{ { ">a/b-0", "<a/b-1", NULL }, true },
	{ { ">a/b-0", "<=a/b-1", NULL }, true },
	{ { ">=a/b-0", "<a/b-1", NULL }, true },
	{ { ">=a/b-0", "<=a/b-1", NULL }, true },
	{ { ">=a/b-0-r1", "<=a/b-0-r1", NULL }, true },
	{ { "<a/b-0", ">a/b-1", NULL }, false },
	{ { "<a/b-0", ">=a/b-1", NULL }, false },
	{ { "<=a/b-0", ">a/b-1", NULL }, false },
	{ { "<=a/b-0", ">=a/b-1", NULL }, false },
	{ { ">a/b-0-r1", "<a/b-0-r1", NULL }, false },
	{ { ">a/b-1", "<a/b-1", NULL }, false },
	{ { ">a/b-1", "<=a/b-1", NULL }, false },
	{ { ">=a/b-1", "<a/b-1", NULL }, false },
	{ { ">a/b-1", "~a/b-1", NULL }, true },
	{ { ">=a/b-1", "~a/b-1", NULL }, true },
	{ { "<a/b-1", "~a/b-1", NULL }, false },
	{ { "<=a/b-1", "~a/b-1", NULL }, true },
	{ { ">a/b-1-r1", "~a/b-1", NULL }, true },
	{ { ">=a/b-1-r1", "~a/b-1", NULL }, true },
	{ { "<a/b-1-r1", "~a/b-1", NULL }, true },
	{ { "<=a/b-1-r1", "~a/b-1", NULL }, true },
	{ { ">a/b-1", "=a/b-1*", NULL }, true },
	{ { ">=a/b-1", "=a/b-1*", NULL }, true },
	{ { "<a/b-1", "=a/b-1*", NULL }, true },
	{ { "<=a/b-1", "=a/b-1*", NULL }, true },
	{ { ">a/b-1-r1", "=a/b-1*", NULL }, true },
	{ { ">=a/b-1-r1", "=a/b-1*", NULL }, true },
	{ { "<a/b-1-r1", "=a/b-1*", NULL }, true },
	{ { "<=a/b-1-r1", "=a/b-1*", NULL }, true },
	{ { "<a/b-1", "=a/b-1-r1*", NULL }, false },
	{ { "~a/b-1", "=a/b-1a*", NULL }, false },
	{ { "~a/b-1.1", "=a/b-1a*", NULL }, false },
	{ { "~a/b-1a", "=a/b-1a*", NULL }, true },
	{ { "~a/b-1a", "=a/b-1b*", NULL }, false },
	{ { "~a/b-1a", "=a/b-1.1*", NULL }, false },
	{ { "~a/b-1a", "=a/b-1_alpha*", NULL }, false },
	{ { "~a/b-1", "=a/b-1_p*", NULL }, false },
	{ { "~a/b-1.1", "=a/b-1_p*", NULL }, false },
	{ { "~a/b-1_p", "=a/b-1_p*", NULL }, true },
	{ { "~a/b-1_rc", "=a/b-1_p*", NULL }, false },
	{ { "~a/b-1_p", "=a/b-1.1*", NULL }, false },
	{ { "~a/b-1_p", "=a/b-1-r1*", NULL }, false },
	{ { "~a/b-1_rc1_p", "=a/b-1_rc_p*", NULL }, false },
	{ { "~a/b-1_p1", "=a/b-1_p2*", NULL }, false },
	{ { "~a/b-1_p", "=a/b-1_p1*", NULL }, false },
	{ { "~a/b-1_p1", "=a/b-1_p*", NULL }, true },
	{ { ">=a/b-1.1-r1", "=a/b-1-r1*", NULL }, false },
	{ { ">=a/b-1-r12", "=a/b-1-r1*", NULL }, true },
	{ { ">=a/b-1-r1", "=a/b-1-r2*", NULL }, true },
	{ { ">=a/b-1", "=a/b-1-r1*", NULL }, true },
	{ { ">=a/b-1-r1", "=a/b-1*", NULL }, true },
};

/* dep.toml `sorting` */
static const struct sort_case sort_cases[] = {
	{ { "a/pkg", "b/pkg", "c/pkg", NULL }, false },
	{ { "cat/a", "cat/b", "cat/c", NULL }, false },
	{ { "a/b", "!!a/b", "!a/b", NULL }, false },
	{ { "a/b:0", "a/b:1", "a/b:2", NULL }, false },
	{ { "a/b:0/0", "a/b:0/1", "a/b:0/2", NULL }, false },
	{ { "a/b", "a/b:=", "a/b:*", "a/b:0", "a/b:0=", "a/b:0/1=", NULL }, false },
	{ { "a/b[a]", "a/b[b]", "a/b[c]", NULL }, false },
	{ { "!>a/b-2-r2:2/2::b[b]", "!!=b/a-1-r1:1/1::a[a]", "!>b/a-2-r2:2/2::b[b]", "!!=b/b-1-r1:1/1::a[a]", "!>b/b-1-r2:2/2::b[b]", "!!=b/b-2-r1:1/1::a[a]", "!>b/b-2-r1:2/2::b[b]", "!!=b/b-2-r2:1/1::a[a]", "!=b/b-2-r2:2/2::b[b]", "!!>b/b-2-r2:1/1::a[a]", "!!>b/b-2-r2:2/2::b[b]", "!>b/b-2-r2:1/1::a[a]", "!>b/b-2-r2:1/1::b[b]", "!>b/b-2-r2:2/1::a[a]", "!>b/b-2-r2:2/1::b[b]", "!>b/b-2-r2:2/2::a[a]", "!>b/b-2-r2:2/2::b[b]", "!>b/b-2-r2:2/2=::a[a]", "!>b/b-2-r2:2/2=::b[a]", "!>b/b-2-r2:2/2=::a[b]", "!>b/b-2-r2:2/2=::a[b]", "!>b/b-2-r2:2/2=::b[b]", NULL }, false },
	{ { "=a/b-0", "=a/b-00", "=a/b-0-r0", NULL }, true },
	{ { "=a/b-1.0.2", "=a/b-1.0.2-r0", "=a/b-1.000.2", NULL }, true },
	{ { "=a/b-0", "=a/b-1", "=a/b-2", NULL }, false },
	{ { "=a/b-1.1", "=a/b-1.10", "=a/b-1.100", NULL }, false },
	{ { "<a/b-1", "<=a/b-1", "=a/b-1", "=a/b-1*", "~a/b-1", ">=a/b-1", ">a/b-1", NULL }, false },
	{ { "=a/b-1a", "=a/b-1b", "=a/b-1y", "=a/b-1z", NULL }, false },
	{ { "=a/b-1_alpha", "=a/b-1_beta", "=a/b-1_pre", "=a/b-1_rc", "=a/b-1_p", NULL }, false },
	{ { "=a/b-1_p0", "=a/b-1_p1", "=a/b-1_p2", NULL }, false },
	{ { "=a/b-1-r0", "=a/b-1-r1", "=a/b-1-r2", NULL }, false },
};

/* ---- pkgcraft conformance ----------------------------------------------------------------------------------- */

static void test_dep_valid(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		hs_atom *a = parse_ok(c->dep, c->flags);
		const hs_version *v = hs_atom_version(a);
		size_t n = 0;

		assert_string_equal(hs_atom_category(a), c->category);
		assert_string_equal(hs_atom_package(a), c->package);
		if (c->version) {
			char buf[128];

			assert_non_null(v);
			snprintf(buf, sizeof(buf), "%s%s%s", op_str(hs_atom_op_get(a)), hs_version_str(v),
				 hs_atom_op_get(a) == HS_OP_GLOB ? "*" : "");
			if (strcmp(buf, c->version) != 0)
				fail_msg("%s: version '%s', expected '%s'", c->dep, buf, c->version);
			assert_string_equal(hs_version_revision(v), c->revision ? c->revision : "");
		} else {
			assert_null(v);
			assert_int_equal(hs_atom_op_get(a), HS_OP_NONE);
			assert_null(c->revision);
		}
		expect_opt_str(hs_atom_slot(a), c->slot, "slot", c->dep);
		expect_opt_str(hs_atom_subslot(a), c->subslot, "subslot", c->dep);
		expect_opt_str(hs_atom_repo(a), c->repo, "repo", c->dep);
		assert_int_equal(hs_atom_slot_op(a), !c->slot_op ? HS_SLOT_OP_NONE
						     : strcmp(c->slot_op, "=") == 0 ? HS_SLOT_OP_EQUAL
						     : HS_SLOT_OP_STAR);
		assert_int_equal(hs_atom_blocker(a), !c->blocker ? HS_BLOCK_NONE
						     : strcmp(c->blocker, "!") == 0 ? HS_BLOCK_WEAK
						     : HS_BLOCK_STRONG);
		while (c->use[n])
			n++;
		assert_int_equal(hs_atom_usedep_count(a), n);
		for (size_t k = 0; k < n; k++) {
			char buf[64];

			usedep_text(hs_atom_usedep(a, k), buf, sizeof(buf));
			assert_string_equal(buf, c->use[k]);
		}
		assert_null(hs_atom_usedep(a, n));
		assert_false(hs_atom_is_wildcard(a));
		expect_format(a, c->dep);
		hs_atom_free(a);

		/* repo deps need HS_ATOM_ALLOW_REPO; everything else parses with it too */
		if (c->flags & HS_ATOM_ALLOW_REPO)
			free(parse_fail(c->dep, 0));
		else
			hs_atom_free(parse_ok(c->dep, HS_ATOM_ALLOW_REPO));
	}
}

static void test_dep_invalid(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(invalid_cases); i++) {
		free(parse_fail(invalid_cases[i], 0));
		free(parse_fail(invalid_cases[i], HS_ATOM_ALLOW_REPO));
	}
}

static void test_dep_compares(void **state)
{
	static const struct {
		const char *op;
		int lo, hi;
	} ops[] = { { "==", 0, 0 }, { "!=", -1, 1 }, { "<=", -1, 0 }, { ">=", 0, 1 }, { "<", -1, -1 }, { ">", 1, 1 } };

	for (size_t i = 0; i < ELEMENTSOF(compare_cases); i++) {
		char lhs[128], op[4], rhs[128];
		bool done = false;
		int r;

		assert_int_equal(sscanf(compare_cases[i], "%127s %3s %127s", lhs, op, rhs), 3);
		r = cmp_atoms(lhs, rhs);
		for (size_t k = 0; k < ELEMENTSOF(ops); k++) {
			if (strcmp(op, ops[k].op) != 0)
				continue;
			if (strcmp(op, "!=") == 0 ? r == 0 : (r < ops[k].lo || r > ops[k].hi))
				fail_msg("'%s' does not hold (compare gave %d)", compare_cases[i], r);
			done = true;
		}
		assert_true(done);
	}
}

static void check_intersects(const struct intersect_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct intersect_case *c = &cases[i];

		for (size_t x = 0; c->vals[x]; x++) {
			hs_atom *a = parse_ok(c->vals[x], HS_ATOM_ALLOW_REPO);

			if (!hs_atom_intersects(a, a))
				fail_msg("'%s' does not intersect itself", c->vals[x]);
			for (size_t y = 0; c->vals[y]; y++) {
				hs_atom *b;

				if (x == y)
					continue;
				b = parse_ok(c->vals[y], HS_ATOM_ALLOW_REPO);
				if (hs_atom_intersects(a, b) != c->status)
					fail_msg("intersects('%s', '%s') should be %s", c->vals[x], c->vals[y],
						 c->status ? "true" : "false");
				hs_atom_free(b);
			}
			hs_atom_free(a);
		}
	}
}

static void test_dep_intersects(void **state)
{
	check_intersects(dep_intersects, ELEMENTSOF(dep_intersects));
}

static void test_version_intersects(void **state)
{
	check_intersects(version_intersects, ELEMENTSOF(version_intersects));
}

/* pkgcraft's procedure: parse, reverse, stable sort; the result is the list (equal: the reversed list). */
static void test_dep_sorting(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(sort_cases); i++) {
		const struct sort_case *c = &sort_cases[i];
		hs_atom *atoms[24];
		size_t idx[24], n = 0;

		while (c->sorted[n])
			n++;
		for (size_t k = 0; k < n; k++) {
			atoms[k] = parse_ok(c->sorted[k], HS_ATOM_ALLOW_REPO);
			idx[k] = n - 1 - k;
		}
		/* insertion sort: stable */
		for (size_t k = 1; k < n; k++) {
			size_t t = idx[k], j = k;

			while (j > 0 && hs_atom_compare(atoms[idx[j - 1]], atoms[t]) > 0) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = t;
		}
		for (size_t k = 0; k < n; k++) {
			size_t want = c->equal ? n - 1 - k : k;

			if (strcmp(c->sorted[idx[k]], c->sorted[want]) != 0)
				fail_msg("sorting case %zu: position %zu holds '%s', expected '%s'", i, k,
					 c->sorted[idx[k]], c->sorted[want]);
			if (k > 0) {
				int r = hs_atom_compare(atoms[k - 1], atoms[k]);

				/* the precedence list repeats one atom where two groups meet */
				if ((c->equal || strcmp(c->sorted[k - 1], c->sorted[k]) == 0) ? r != 0 : r >= 0)
					fail_msg("'%s' vs '%s' compares %d", c->sorted[k - 1], c->sorted[k], r);
			}
		}
		for (size_t k = 0; k < n; k++)
			hs_atom_free(atoms[k]);
	}
}

/* ---- our own cases ---------------------------------------------------------------------------------------- */

static void test_fields(void **state)
{
	hs_atom *a = parse_ok(">=sys-apps/systemd-260.1-r1:0/2::gentoo[homed,cryptsetup(+),-test(-),!pam=,x?,!y(+)?]",
			      HS_ATOM_ALLOW_REPO);
	const hs_usedep *d;
	char *s = NULL;

	assert_int_equal(hs_atom_blocker(a), HS_BLOCK_NONE);
	assert_int_equal(hs_atom_op_get(a), HS_OP_GE);
	assert_string_equal(hs_atom_category(a), "sys-apps");
	assert_string_equal(hs_atom_package(a), "systemd");
	assert_string_equal(hs_version_str(hs_atom_version(a)), "260.1-r1");
	assert_string_equal(hs_atom_slot(a), "0");
	assert_string_equal(hs_atom_subslot(a), "2");
	assert_int_equal(hs_atom_slot_op(a), HS_SLOT_OP_NONE);
	assert_string_equal(hs_atom_repo(a), "gentoo");
	assert_int_equal(hs_atom_usedep_count(a), 6);
	d = hs_atom_usedep(a, 0);
	assert_string_equal(d->flag, "homed");
	assert_int_equal(d->kind, HS_USEDEP_ENABLED);
	assert_int_equal(d->dflt, HS_USEDEP_DEFAULT_NONE);
	d = hs_atom_usedep(a, 1);
	assert_string_equal(d->flag, "cryptsetup");
	assert_int_equal(d->dflt, HS_USEDEP_DEFAULT_ON);
	d = hs_atom_usedep(a, 2);
	assert_int_equal(d->kind, HS_USEDEP_DISABLED);
	assert_int_equal(d->dflt, HS_USEDEP_DEFAULT_OFF);
	assert_int_equal(hs_atom_usedep(a, 3)->kind, HS_USEDEP_NOT_EQUAL);
	assert_int_equal(hs_atom_usedep(a, 4)->kind, HS_USEDEP_IF_ENABLED);
	d = hs_atom_usedep(a, 5);
	assert_int_equal(d->kind, HS_USEDEP_IF_DISABLED);
	assert_int_equal(d->dflt, HS_USEDEP_DEFAULT_ON);
	assert_null(hs_atom_usedep(a, 6));
	assert_int_equal(hs_atom_cp(a, &s), 0);
	assert_string_equal(s, "sys-apps/systemd");
	free(s);
	hs_atom_free(a);
	hs_atom_free(NULL);

	a = parse_ok("!<sys-apps/systemd-255_rc1:=", 0);
	assert_int_equal(hs_atom_blocker(a), HS_BLOCK_WEAK);
	assert_int_equal(hs_atom_op_get(a), HS_OP_LT);
	assert_null(hs_atom_slot(a));
	assert_int_equal(hs_atom_slot_op(a), HS_SLOT_OP_EQUAL);
	expect_format(a, "!<sys-apps/systemd-255_rc1:=");
	hs_atom_free(a);

	/* the first number keeps its spelling; a dash-version inside a name is part of the name */
	a = parse_ok("=dev-libs/foo-1-bar-007.01a_p3-r08*", 0);
	assert_string_equal(hs_atom_package(a), "foo-1-bar");
	assert_string_equal(hs_version_str(hs_atom_version(a)), "007.01a_p3-r08");
	assert_int_equal(hs_atom_op_get(a), HS_OP_GLOB);
	expect_format(a, "=dev-libs/foo-1-bar-007.01a_p3-r08*");
	hs_atom_free(a);

	/* huge numbers are not capped (Portage compares Python integers) */
	a = parse_ok("=a/b-18446744073709551616.99999999999999999999999", 0);
	assert_string_equal(hs_version_str(hs_atom_version(a)), "18446744073709551616.99999999999999999999999");
	hs_atom_free(a);
}

static void test_messages(void **state)
{
	static const struct {
		const char *atom;
		unsigned flags;
		const char *msg;
	} cases[] = {
		{ "=a/b-1_a", 0, "invalid atom '=a/b-1_a' at column 7: invalid version '1_a': expected a suffix _alpha, "
				 "_beta, _pre, _rc or _p" },
		{ "a/b:", 0, "invalid atom 'a/b:' at column 5: empty slot after ':'" },
		{ "", 0, "invalid atom '' at column 1: empty atom" },
		{ "a", 0, "invalid atom 'a' at column 2: expected 'category/package'" },
		{ "/b", 0, "invalid atom '/b' at column 1: empty category before '/'" },
		{ "a/", 0, "invalid atom 'a/' at column 3: empty package name after '/'" },
		{ ".a/b", 0, "invalid atom '.a/b' at column 1: a category name must not start with '.'" },
		{ "a/+b", 0, "invalid atom 'a/+b' at column 3: a package name must not start with '+'" },
		{ "a/b c", 0, "invalid atom 'a/b c' at column 4: invalid character ' ' (a space) in package name" },
		{ "a/b\n", 0, "invalid atom 'a/b\\x0a' at column 4: invalid character byte 0x0a in package name" },
		{ "sys-apps/systemd-260.1", 0, "invalid atom 'sys-apps/systemd-260.1' at column 1: versioned atom "
					       "requires an operator (write '=sys-apps/systemd-260.1' for this exact "
					       "version)" },
		{ "!a/b-0", 0, "invalid atom '!a/b-0' at column 2: versioned atom requires an operator (write "
			       "'!=a/b-0' for this exact version)" },
		{ "!!!a/b", 0, "invalid atom '!!!a/b' at column 3: too many '!': a blocker is '!' or '!!'" },
		{ "~a/b", 0, "invalid atom '~a/b' at column 5: the operator '~' needs a version "
			     "('~category/package-version')" },
		{ "~a/b-1-r1", 0, "invalid atom '~a/b-1-r1' at column 7: the operator '~' ignores revisions and cannot "
				  "take one ('-r1')" },
		{ ">=a/b-0*", 0, "invalid atom '>=a/b-0*' at column 8: '*' may only follow a version with the '=' "
				 "operator, not '>='" },
		{ "a/b*", 0, "invalid atom 'a/b*' at column 4: '*' may only follow a version, with the '=' operator "
			     "('=category/package-1.2*')" },
		{ "=a/b-0.*", 0, "invalid atom '=a/b-0.*' at column 8: invalid version '0.': expected a digit after "
				 "'.'" },
		{ "<a/b-1-1", 0, "invalid atom '<a/b-1-1' at column 5: invalid package name 'b-1': it ends in '-' and "
				 "a valid version" },
		{ "a/b:+0", 0, "invalid atom 'a/b:+0' at column 5: a slot name must not start with '+'" },
		{ "a/b:0/", 0, "invalid atom 'a/b:0/' at column 7: empty sub-slot after '/'" },
		{ "a/b:0/1/2", 0, "invalid atom 'a/b:0/1/2' at column 8: unexpected '/': a slot has at most one "
				  "sub-slot" },
		{ "a/b:*0", 0, "invalid atom 'a/b:*0' at column 6: unexpected '0' after the slot operator '*'" },
		{ "a/b:0*", 0, "invalid atom 'a/b:0*' at column 6: the slot operator ':*' cannot follow a slot name" },
		{ "a/b:a@b", 0, "invalid atom 'a/b:a@b' at column 6: invalid character '@' in slot 'a'" },
		{ "a/b[]", 0, "invalid atom 'a/b[]' at column 4: empty USE dependency list '[]'" },
		{ "a/b[u,]", 0, "invalid atom 'a/b[u,]' at column 7: empty USE dependency (nothing after ',')" },
		{ "a/b[,u]", 0, "invalid atom 'a/b[,u]' at column 5: empty USE dependency (nothing before ',')" },
		{ "a/b[!a]", 0, "invalid atom 'a/b[!a]' at column 5: '!a' needs '=' or '?' ('!flag=' or '!flag?'); "
				"'-flag' requires the flag disabled" },
		{ "a/b[-a?]", 0, "invalid atom 'a/b[-a?]' at column 5: '-' cannot be combined with '?' in '-a?'" },
		{ "a/b[a(b)]", 0, "invalid atom 'a/b[a(b)]' at column 6: invalid USE default: expected '(+)' or '(-)' "
				  "after 'a'" },
		{ "a/b[u", 0, "invalid atom 'a/b[u' at column 6: missing ']' after the USE dependencies opened at "
			      "column 4" },
		{ "a/b[u]:0", 0, "invalid atom 'a/b[u]:0' at column 7: unexpected ':' after ']' (USE dependencies end "
				 "the atom)" },
		{ "a/b::repo", 0, "invalid atom 'a/b::repo' at column 4: repository dependencies ('::repo') are not "
				  "allowed here" },
		{ "a/b::", HS_ATOM_ALLOW_REPO, "invalid atom 'a/b::' at column 6: empty repository name after '::'" },
		{ "a/b::repo-1", HS_ATOM_ALLOW_REPO, "invalid atom 'a/b::repo-1' at column 10: repository name "
						     "'repo-1' must not end in '-' and a version, like a package name" },
		{ "a/b::gentoo:0", HS_ATOM_ALLOW_REPO, "invalid atom 'a/b::gentoo:0' at column 12: unexpected ':' after "
						       "the repository (the slot goes before '::repo')" },
		{ "sys-apps/systemd[homed]", HS_ATOM_USER_CONFIG, "invalid atom 'sys-apps/systemd[homed]' at column "
								  "17: atom is not allowed to have USE flag(s)" },
		{ "!sys-apps/systemd", HS_ATOM_USER_CONFIG, "invalid atom '!sys-apps/systemd' at column 1: blockers "
							    "('!' or '!!') are not allowed here" },
		{ "*/*", 0, "invalid atom '*/*' at column 1: wildcards ('*') are not allowed here" },
		{ "sys-apps/*", 0, "invalid atom 'sys-apps/*' at column 10: '*' may only follow a version, with the "
				   "'=' operator ('=category/package-1.2*')" },
		{ "*/**", HS_ATOM_USER_CONFIG, "invalid atom '*/**' at column 3: '**' is not allowed in a wildcard" },
		{ ">=*/*-1", HS_ATOM_USER_CONFIG, "invalid atom '>=*/*-1' at column 1: a wildcard atom cannot have the "
						  "operator '>=' (only '=category/package-*VERSION-PART*')" },
		{ "=*/*-2*", HS_ATOM_USER_CONFIG, "invalid atom '=*/*-2*' at column 6: a wildcard atom with '=' must end "
						  "in '-*VERSION-PART*' (for example '=*/*-*9999*')" },
		{ "*/portage[use]", HS_ATOM_ALLOW_WILDCARD, "invalid atom '*/portage[use]' at column 10: a wildcard "
							   "atom cannot have USE dependencies" },
		{ "sys-apps/systemd", HS_ATOM_CPV, "invalid atom 'sys-apps/systemd' at column 17: expected a version "
						   "('category/package-version')" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *msg = parse_fail(cases[i].atom, cases[i].flags);

		if (strcmp(msg, cases[i].msg) != 0)
			fail_msg("message for '%s':\n  got      %s\n  expected %s", cases[i].atom, msg, cases[i].msg);
		free(msg);
	}
}

static void test_flags(void **state)
{
	hs_atom *a;

	/* HS_ATOM_CPV: a bare cpv is an exact version, and a version is required */
	a = parse_ok("sys-apps/systemd-260.1-r1", HS_ATOM_CPV);
	assert_int_equal(hs_atom_op_get(a), HS_OP_EQ);
	assert_string_equal(hs_version_str(hs_atom_version(a)), "260.1-r1");
	assert_string_equal(hs_atom_package(a), "systemd");
	expect_format(a, "=sys-apps/systemd-260.1-r1");
	hs_atom_free(a);
	a = parse_ok("=sys-apps/systemd-260.1-r1", HS_ATOM_CPV);
	expect_format(a, "=sys-apps/systemd-260.1-r1");
	hs_atom_free(a);
	a = parse_ok(">=sys-apps/systemd-260:0", HS_ATOM_CPV);
	assert_int_equal(hs_atom_op_get(a), HS_OP_GE);
	hs_atom_free(a);
	a = parse_ok("dev-lang/python-3.12.1_p2:3.12", HS_ATOM_CPV);
	assert_string_equal(hs_atom_slot(a), "3.12");
	hs_atom_free(a);
	free(parse_fail("sys-apps/systemd-260.1", 0));
	free(parse_fail("sys-apps/systemd", HS_ATOM_CPV));
	free(parse_fail("sys-apps/systemd-260*", HS_ATOM_CPV));
	free(parse_fail("sys-apps/*", HS_ATOM_CPV | HS_ATOM_ALLOW_WILDCARD));
	free(parse_fail("sys-apps/systemd-260.1_x", HS_ATOM_CPV));

	/* HS_ATOM_NO_USE, HS_ATOM_NO_BLOCKER, and what they leave alone */
	free(parse_fail("a/b[u]", HS_ATOM_NO_USE));
	free(parse_fail("!a/b", HS_ATOM_NO_BLOCKER));
	free(parse_fail("!!a/b", HS_ATOM_NO_BLOCKER));
	hs_atom_free(parse_ok("a/b:0", HS_ATOM_NO_USE | HS_ATOM_NO_BLOCKER));
	hs_atom_free(parse_ok("!a/b[u]", HS_ATOM_ALLOW_REPO));

	/* user config accepts repos and wildcards */
	a = parse_ok("sys-apps/systemd::gentoo", HS_ATOM_USER_CONFIG);
	assert_string_equal(hs_atom_repo(a), "gentoo");
	assert_false(hs_atom_is_wildcard(a));
	hs_atom_free(a);
}

/* Portage's test_atom.py extended atoms (op, cp, version, slot, repo) plus package.use forms. */
static void test_wildcards(void **state)
{
	static const struct {
		const char *atom;
		hs_atom_op op;
		const char *cat, *pkg, *slot, *repo;
		bool wildcard;
		int specificity;
	} cases[] = {
		{ "*/*", HS_OP_NONE, "*", "*", NULL, NULL, true, -2 },
		{ "sys-apps/*", HS_OP_NONE, "sys-apps", "*", NULL, NULL, true, -2 },
		{ "*/systemd", HS_OP_NONE, "*", "systemd", NULL, NULL, true, -2 },
		{ "*/*:slot", HS_OP_NONE, "*", "*", "slot", NULL, true, -1 },
		{ "sys-*/*", HS_OP_NONE, "sys-*", "*", NULL, NULL, true, -2 },
		{ "*/*::gentoo", HS_OP_NONE, "*", "*", NULL, "gentoo", true, -2 },
		{ "=*/*-*9999*", HS_OP_GLOB, "*", "*", NULL, NULL, true, 0 },
		{ "=*/*-*9999*:0::repo_name", HS_OP_GLOB, "*", "*", "0", "repo_name", true, 0 },
		{ "=*/*-*_beta*", HS_OP_GLOB, "*", "*", NULL, NULL, true, 0 },
		{ "=sys-apps/systemd-*25*", HS_OP_GLOB, "sys-apps", "systemd", NULL, NULL, true, 0 },
		{ "s*s-*/portage:1", HS_OP_NONE, "s*s-*", "portage", "1", NULL, true, -1 },
		{ "*/po*ge:2", HS_OP_NONE, "*", "po*ge", "2", NULL, true, -1 },
		{ "*/*-1*", HS_OP_NONE, "*", "*-1*", NULL, NULL, true, -2 },
		{ "*/*:0/1=", HS_OP_NONE, "*", "*", "0", NULL, true, -1 },
		/* no '*': the normal syntax applies */
		{ "=sys-apps/systemd-2*", HS_OP_GLOB, "sys-apps", "systemd", NULL, NULL, false, 4 },
		{ "sys-apps/systemd:0", HS_OP_NONE, "sys-apps", "systemd", "0", NULL, false, 3 },
		/* Portage's extended regex also takes a leading '+' in the category or package */
		{ "+cat/pkg", HS_OP_NONE, "+cat", "pkg", NULL, NULL, false, -2 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_atom *a = parse_ok(cases[i].atom, HS_ATOM_USER_CONFIG);

		assert_int_equal(hs_atom_op_get(a), cases[i].op);
		assert_string_equal(hs_atom_category(a), cases[i].cat);
		assert_string_equal(hs_atom_package(a), cases[i].pkg);
		expect_opt_str(hs_atom_slot(a), cases[i].slot, "slot", cases[i].atom);
		expect_opt_str(hs_atom_repo(a), cases[i].repo, "repo", cases[i].atom);
		assert_int_equal(hs_atom_is_wildcard(a), cases[i].wildcard);
		assert_int_equal(hs_atom_specificity(a), cases[i].specificity);
		if (cases[i].wildcard)
			assert_null(hs_atom_version(a));
		expect_format(a, cases[i].atom);
		hs_atom_free(a);
		/* without HS_ATOM_ALLOW_WILDCARD only the normal ones parse */
		if (cases[i].wildcard || cases[i].atom[0] == '+')
			free(parse_fail(cases[i].atom, HS_ATOM_ALLOW_REPO));
	}

	/* Portage's test_atom.py failures with allow_wildcard, and more */
	static const char *const bad[] = {
		"*/**", "**/*", "*/portage[use]", "*/*-1", "sys-apps/*-1.2", "=*/*-*9.9*", "=*/*-**", "=*/*-2*",
		"~*/*-1", "*/*[u]", "*/.a", "-*/a", "*/-a", "*/*:", "cat/pkg[a(*)]", "*/*::", "*/*::-r",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		free(parse_fail(bad[i], HS_ATOM_ALLOW_WILDCARD | HS_ATOM_ALLOW_REPO));
	free(parse_fail("*/*::repo_name", HS_ATOM_ALLOW_WILDCARD));
	/* blockers are fine with wildcards when not forbidden */
	hs_atom_free(parse_ok("!*/*", HS_ATOM_ALLOW_WILDCARD));
}

static hs_version *ver(const char *s)
{
	hs_version *v = NULL;

	assert_int_equal(hs_version_parse(NULL, &v, s, strlen(s)), 0);
	return v;
}

static void expect_match(const char *atom, const hs_pkg_info *pkg, int want)
{
	hs_atom *a = parse_ok(atom, HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD);
	int r = hs_atom_match(a, pkg);

	if (r != want)
		fail_msg("match('%s', %s/%s-%s) = %d, expected %d", atom, pkg->category, pkg->package,
			 pkg->version ? hs_version_str(pkg->version) : "?", r, want);
	hs_atom_free(a);
}

static void test_match(void **state)
{
	hs_version *v = ver("260.1-r1");
	hs_pkg_info p = { .category = "sys-apps", .package = "systemd", .version = v, .slot = "0", .subslot = "2",
			  .repo = "gentoo" };
	hs_useset *use = NULL, *iuse = NULL;

	/* names, wildcards */
	expect_match("sys-apps/systemd", &p, 1);
	expect_match("sys-apps/systemd-utils", &p, 0);
	expect_match("sys-apps/system", &p, 0);
	expect_match("sys-fs/systemd", &p, 0);
	expect_match("*/*", &p, 1);
	expect_match("sys-*/*", &p, 1);
	expect_match("*-apps/sys*d", &p, 1);
	expect_match("*/*d*", &p, 1);
	expect_match("*/systemd*", &p, 1);
	expect_match("sys-*/*-utils", &p, 0);
	expect_match("dev-*/*", &p, 0);
	expect_match("=*/*-*260*", &p, 1);
	expect_match("=*/*-*261*", &p, 0);
	expect_match("=*/*-*r1*", &p, 1);
	/* operators */
	expect_match("=sys-apps/systemd-260.1-r1", &p, 1);
	expect_match("=sys-apps/systemd-260.1", &p, 0);
	expect_match("=sys-apps/systemd-260.01-r1", &p, 0);
	expect_match("=sys-apps/systemd-260.1-r01", &p, 1);
	expect_match("~sys-apps/systemd-260.1", &p, 1);
	expect_match("~sys-apps/systemd-260.2", &p, 0);
	/* Portage compares the revision-free text: ~260.01 is not 260.1 although the versions are equal */
	expect_match("~sys-apps/systemd-260.01", &p, 0);
	expect_match("~sys-apps/systemd-260.10", &p, 0);
	expect_match("=sys-apps/systemd-260*", &p, 1);
	expect_match("=sys-apps/systemd-26*", &p, 0); /* Portage: a glob ends on a part boundary (bug 560466) */
	expect_match("=sys-apps/systemd-260.1-r1*", &p, 1);
	expect_match(">=sys-apps/systemd-260.1-r1", &p, 1);
	expect_match(">sys-apps/systemd-260.1-r1", &p, 0);
	expect_match(">sys-apps/systemd-260.1", &p, 1);
	expect_match("<sys-apps/systemd-260.1-r2", &p, 1);
	expect_match("<=sys-apps/systemd-260.1", &p, 0);
	expect_match("<sys-apps/systemd-260.1_rc1", &p, 0);
	expect_match("<sys-apps/systemd-260.1_p1", &p, 1);
	expect_match("!>=sys-apps/systemd-255", &p, 1); /* blockers are ignored */
	/* slots and repositories */
	expect_match("sys-apps/systemd:0", &p, 1);
	expect_match("sys-apps/systemd:0/2", &p, 1);
	expect_match("sys-apps/systemd:0/3", &p, 0);
	expect_match("sys-apps/systemd:1", &p, 0);
	expect_match("sys-apps/systemd:=", &p, 1);
	expect_match("sys-apps/systemd:*", &p, 1);
	expect_match("*/*:0", &p, 1);
	expect_match("sys-apps/systemd::gentoo", &p, 1);
	expect_match("sys-apps/systemd::guru", &p, 0);
	expect_match("*/*::gentoo", &p, 1);
	p.subslot = NULL; /* sub-slot defaults to the slot */
	expect_match("sys-apps/systemd:0/0", &p, 1);
	expect_match("sys-apps/systemd:0/2", &p, 0);
	p.slot = NULL;
	p.repo = NULL;
	expect_match("sys-apps/systemd:0", &p, 0);
	expect_match("sys-apps/systemd::gentoo", &p, 0);
	expect_match("sys-apps/systemd", &p, 1);
	/* a versioned atom needs the package's version */
	p.version = NULL;
	expect_match("=sys-apps/systemd-260.1-r1", &p, 0);
	expect_match("=*/*-*260*", &p, 0);
	expect_match("sys-apps/systemd", &p, 1);
	p.version = v;

	/* USE deps: not checked without USE */
	expect_match("sys-apps/systemd[homed]", &p, 1);
	assert_int_equal(hs_useset_new(&use), 0);
	assert_int_equal(hs_useset_new(&iuse), 0);
	assert_int_equal(hs_useset_add_list(use, "homed pam", 9), 0);
	p.use = use;
	/* iuse NULL: every flag is in IUSE */
	expect_match("sys-apps/systemd[homed]", &p, 1);
	expect_match("sys-apps/systemd[homed,pam,-test]", &p, 1);
	expect_match("sys-apps/systemd[cryptsetup]", &p, 0);
	expect_match("sys-apps/systemd[cryptsetup(+)]", &p, 0);
	expect_match("sys-apps/systemd[-homed]", &p, 0);
	expect_match("sys-apps/systemd[cryptsetup?,!homed?,homed=,!homed=]", &p, 1); /* conditionals not evaluated */
	assert_int_equal(hs_useset_add_list(iuse, "homed pam test cryptsetup", 25), 0);
	p.iuse = iuse;
	expect_match("sys-apps/systemd[homed,-test,-cryptsetup]", &p, 1);
	/* flags outside IUSE: only the defaults decide, and a flag without one does not match */
	expect_match("sys-apps/systemd[foo]", &p, 0);
	expect_match("sys-apps/systemd[-foo]", &p, 0);
	expect_match("sys-apps/systemd[foo(+)]", &p, 1);
	expect_match("sys-apps/systemd[foo(-)]", &p, 0);
	expect_match("sys-apps/systemd[-foo(-)]", &p, 1);
	expect_match("sys-apps/systemd[-foo(+)]", &p, 0);
	/* defaults do not matter for flags in IUSE */
	expect_match("sys-apps/systemd[homed(-),-test(+),cryptsetup(+)]", &p, 0);
	expect_match("sys-apps/systemd[homed(-),-test(+)]", &p, 1);

	hs_useset_free(use);
	hs_useset_free(iuse);
	hs_version_free(v);
}

static void test_intersects_more(void **state)
{
	static const struct {
		const char *a, *b;
		bool want;
	} cases[] = {
		/* Portage's test_atom.py intersects where it is not just a "maybe" */
		{ "dev-libs/A", "dev-libs/A", true },
		{ "dev-libs/A", "dev-libs/B", false },
		{ "dev-libs/A", "sci-libs/A", false },
		{ "dev-libs/A[foo(+)]", "sci-libs/A[foo(-)]", false },
		{ "=dev-libs/A-1", "=dev-libs/A-1-r1", false },
		{ "=dev-libs/A-1:1", "=dev-libs/A-1", true },
		{ "=dev-libs/A-1:1", "=dev-libs/A-1:2", false },
		/* USE defaults: a package without the flag in IUSE satisfies a(+) and -a(-) */
		{ "a/b[a(+)]", "a/b[-a(-)]", true },
		{ "a/b[a(-)]", "a/b[-a(+)]", false },
		{ "a/b[a]", "a/b[-a(-)]", false },
		{ "a/b[u,-u]", "a/b", false },
		{ "a/b[u,-u]", "a/b[u,-u]", false },
		{ "a/b[u?]", "a/b[-u]", true },
		/* blockers are ignored */
		{ "!a/b", "a/b", true },
		{ "!!<a/b-1", ">=a/b-1", false },
		/* wildcards */
		{ "*/*", "sys-apps/systemd", true },
		{ "sys-*/*", "*-apps/*", true },
		{ "sys-*/*", "dev-*/*", false },
		{ "*/foo*", "*/*bar", true },
		{ "*/a*b", "*/c*", false },
		{ "*/*:0", "sys-apps/systemd:1", false },
		{ "*/*::gentoo", "a/b::guru", false },
		{ "=*/*-*9999*", "=a/b-9999", true },
		{ "=*/*-*9999*", "=a/b-1", false },
		{ "=*/*-*9999*", ">=a/b-1", true },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		unsigned f = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD;
		hs_atom *a = parse_ok(cases[i].a, f), *b = parse_ok(cases[i].b, f);

		if (hs_atom_intersects(a, b) != cases[i].want || hs_atom_intersects(b, a) != cases[i].want)
			fail_msg("intersects('%s', '%s') should be %s", cases[i].a, cases[i].b,
				 cases[i].want ? "true" : "false");
		hs_atom_free(a);
		hs_atom_free(b);
	}
}

static void test_compare_more(void **state)
{
	/* unversioned first; then by version; then operator */
	assert_int_equal(cmp_atoms("a/b", "=a/b-0"), -1);
	assert_int_equal(cmp_atoms("=a/b-1", "=a/b-1*"), -1);
	assert_int_equal(cmp_atoms("=a/b-1-r1", "=a/b-01-r01"), 0);
	assert_int_equal(cmp_atoms("a/b", "a/b:0"), -1);
	assert_int_equal(cmp_atoms("a/b:0", "a/b:0/0"), -1);
	assert_int_equal(cmp_atoms("a/b:0=", "a/b:0/0"), -1);
	assert_int_equal(cmp_atoms("a/b", "a/b[a]"), -1);
	assert_int_equal(cmp_atoms("a/b[a]", "a/b[a,b]"), -1);
	assert_int_equal(cmp_atoms("a/b[b,a,b]", "a/b[a,b]"), 0);
	assert_int_equal(cmp_atoms("a/b[a]", "a/b[-a]"), -1);
	assert_int_equal(cmp_atoms("a/b[a(+)]", "a/b[a(-)]"), -1);
	assert_int_equal(cmp_atoms("a/b", "a/b::r"), -1);
	assert_int_equal(cmp_atoms("a/b::r", "a/b::s"), -1);
	assert_int_equal(cmp_atoms("a/b::s", "a/b[a]"), -1);
	/* USE deps are kept as written */
	{
		hs_atom *a = parse_ok("a/b[b,a,b]", 0);

		expect_format(a, "a/b[b,a,b]");
		assert_int_equal(hs_atom_usedep_count(a), 3);
		hs_atom_free(a);
	}
}

/* The USE deps compare as sets, sorted: on the stack up to 64 of them, walked in order beyond; both ways must
 * give the same order. Each list is written backwards, duplicated, and compared with 20, 60 and 100 deps. */
static void test_compare_many_usedeps(void **state)
{
	static const struct {
		const char *x, *y; /* the last dep of each list: x against y */
		int want;
	} cases[] = {
		{ "zz", "zz", 0 }, { "zz", "zy", 1 }, { "zy", "zz", -1 }, { "zz(+)", "zz(-)", -1 },
		{ "zz", "-zz", -1 }, { "a00", "zz", -1 }, /* "a00" repeats the first dep: a set without "zz" */
	};

	for (size_t n_use = 20; n_use <= 100; n_use += 40)
		for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
			hs_buf x = {0}, y = {0};

			assert_int_equal(hs_buf_puts(&x, "a/b["), 0);
			assert_int_equal(hs_buf_puts(&y, "a/b["), 0);
			for (size_t k = n_use; k-- > 0;) {
				assert_int_equal(hs_buf_printf(&x, "a%02zu,a%02zu,", k, k), 0);
				assert_int_equal(hs_buf_printf(&y, "a%02zu,", k), 0);
			}
			assert_int_equal(hs_buf_printf(&x, "%s]", cases[i].x), 0);
			assert_int_equal(hs_buf_printf(&y, "%s]", cases[i].y), 0);
			if (cmp_atoms(x.p, y.p) != cases[i].want)
				fail_msg("%zu deps, '%s' against '%s': %d, expected %d", n_use, cases[i].x, cases[i].y,
					 cmp_atoms(x.p, y.p), cases[i].want);
			hs_buf_free(&x);
			hs_buf_free(&y);
		}
}

static void test_specificity(void **state)
{
	static const struct {
		const char *atom;
		int want;
	} cases[] = {
		{ "=dev-libs/A-1", 6 },  { "~dev-libs/A-1", 5 },   { "=dev-libs/A-1*", 4 },
		{ "dev-libs/A:0", 3 },   { "<=dev-libs/A-2", 2 },  { ">dev-libs/A-2", 2 },
		{ "<dev-libs/A-2", 2 },  { ">=dev-libs/A-2", 2 },  { "dev-libs/A", 1 },
		{ "dev-*/*:0", -1 },     { "dev-*/*", -2 },        { "=*/*-*9999*", 0 },
		/* a slot lifts ranges and plain atoms to 3, not exact ones down */
		{ ">=dev-libs/A-2:0", 3 }, { "=dev-libs/A-1:0", 6 }, { "dev-libs/A:=", 1 },
		{ "dev-libs/A:0/1", 3 }, { "dev-libs/A::gentoo", 1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_atom *a = parse_ok(cases[i].atom, HS_ATOM_USER_CONFIG);

		if (hs_atom_specificity(a) != cases[i].want)
			fail_msg("specificity('%s') = %d, expected %d", cases[i].atom, hs_atom_specificity(a),
				 cases[i].want);
		hs_atom_free(a);
	}
}

/* The split of `pkg-version` relies on our recogniser agreeing with version.c on what a version is. */
static void test_version_syntax_agrees(void **state)
{
	static const char *const vs[] = {
		"0", "1a", "1.2.3", "1_alpha", "1_alpha1_beta2_pre_rc3_p4", "1-r0", "1-r", "1.", ".1", "1..2", "1a.2",
		"1aa", "1_a", "1_pre-r1", "1-r1a", "1-r1-r2", "1_p_p", "a1", "1A", "1-R1", "1__p", "1_", "1_P", "12-r00",
		"1b_rc", "0.0.0.0a_p-r9", "1-", "1-r-1", "1.2_beta01-r1x", "1*", "1.2.3_rc1_p2-r3",
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(vs); i++) {
		hs_version *v = NULL;
		hs_atom *a = NULL;
		char atom[64];
		bool ok_v = hs_version_parse(NULL, &v, vs[i], strlen(vs[i])) == 0, ok_a;

		snprintf(atom, sizeof(atom), "=cat/pkg-%s", vs[i]);
		ok_a = parse_exact(ctx, &a, atom, 0) == 0;
		/* "=cat/pkg-1-r-1" is package "pkg-1-r", version "1": a valid atom, split elsewhere */
		if (ok_v != (ok_a && strcmp(hs_version_str(hs_atom_version(a)), vs[i]) == 0))
			fail_msg("'%s' is %sa version but '%s' %s", vs[i], ok_v ? "" : "not ", atom,
				 ok_a ? "parses" : hs_ctx_last_error(ctx));
		hs_atom_free(a);
		hs_version_free(v);
	}
	hs_ctx_free(ctx);
}

/* Every prefix of some valid atoms either parses or fails cleanly, and what parses formats back to itself. */
static void test_prefixes(void **state)
{
	static const char *const atoms[] = {
		"!!>=sys-apps/systemd-260.1-r1:0/2=::gentoo[homed,cryptsetup(+),-test(-),!pam=,x?,!y(+)?]",
		"=*/*-*9999*:0::repo_name",
		"~a/b-r0-1.2.3_rc4:*",
	};

	for (size_t i = 0; i < ELEMENTSOF(atoms); i++) {
		size_t n = strlen(atoms[i]);

		for (size_t k = 0; k <= n; k++) {
			char buf[128];
			hs_atom *a = NULL;

			memcpy(buf, atoms[i], k);
			buf[k] = '\0';
			if (parse_exact(NULL, &a, buf, HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD) == 0) {
				expect_format(a, buf);
				hs_atom_free(a);
			} else
				assert_null(a);
		}
	}
}

/* ---- the fast scanner against the complete one ---------------------------------------------------------- */

/* A span of the text as a string (static buffer: one at a time). */
static const char *span_str(const char *s, struct hs_atom_span sp, char buf[static 1024])
{
	snprintf(buf, 1024, "%.*s", (int)sp.len, s + sp.off);
	return buf;
}

/*
 * hs_atom_parse() reads the common forms with a fast scanner and gives everything else to hs_atom_scan_full();
 * both must agree: the same verdict, and on success the same fields. Returns whether s parsed.
 */
static bool expect_same_scan(const char *s, size_t len, unsigned flags)
{
	struct hs_atom_use items[8];
	struct hs_atom_scan sc = { .items = items, .cap_use = ELEMENTSOF(items) };
	char *copy = malloc(len ? len : 1);
	hs_atom *a = NULL;
	char buf[1024];
	int r1, r2;

	assert_non_null(copy);
	memcpy(copy, s, len);
	r1 = hs_atom_parse(NULL, &a, copy, len, flags);
	r2 = hs_atom_scan_full(NULL, copy, len, flags, &sc);
	expect_into_agrees(NULL, copy, len, flags, r1, a);
	free(copy);
	if (r1 != r2)
		fail_msg("'%.*s' (flags %#x): hs_atom_parse %d, hs_atom_scan_full %d", (int)len, s, flags, r1, r2);
	if (r1 == 0) {
		const hs_version *v = hs_atom_version(a);

		assert_string_equal(hs_atom_category(a), span_str(s, sc.cat, buf));
		assert_string_equal(hs_atom_package(a), span_str(s, sc.pkg, buf));
		if (sc.ver.len)
			assert_string_equal(v ? hs_version_str(v) : "(none)", span_str(s, sc.ver, buf));
		else
			assert_null(v);
		assert_string_equal(hs_atom_slot(a) ? hs_atom_slot(a) : "(none)",
				    sc.has_slot ? span_str(s, sc.slot, buf) : "(none)");
		assert_string_equal(hs_atom_subslot(a) ? hs_atom_subslot(a) : "(none)",
				    sc.has_subslot ? span_str(s, sc.subslot, buf) : "(none)");
		assert_string_equal(hs_atom_repo(a) ? hs_atom_repo(a) : "(none)",
				    sc.has_repo ? span_str(s, sc.repo, buf) : "(none)");
		assert_int_equal(hs_atom_op_get(a), sc.op);
		assert_int_equal(hs_atom_blocker(a), sc.blocker);
		assert_int_equal(hs_atom_slot_op(a), sc.slot_op);
		assert_int_equal(hs_atom_is_wildcard(a), sc.wildcard);
		assert_int_equal(hs_atom_usedep_count(a), sc.n_use);
		for (size_t i = 0; i < sc.n_use; i++) {
			const hs_usedep *d = hs_atom_usedep(a, i);

			assert_string_equal(d->flag, span_str(s, (struct hs_atom_span){ sc.items[i].off, sc.items[i].len },
							     buf));
			assert_int_equal(d->kind, sc.items[i].kind);
			assert_int_equal(d->dflt, sc.items[i].dflt);
		}
	}
	if (sc.items_heap)
		free(sc.items);
	hs_atom_free(a);
	return r1 == 0;
}

static void test_fast_scanner_agrees(void **state)
{
	static const char *const blockers[] = { "", "!", "!!" };
	static const char *const ops[] = { "", "<", "<=", "=", "~", ">=", ">" };
	static const char *const cps[] = { "dev-libs/openssl", "sys-apps/systemd-utils", "x11-libs/gtk+",
					   "dev-lang/python3-bin", "a/b-c-1", "cat.egory/pkg_name", "c/p-r1" };
	static const char *const vers[] = { "", "-1", "-1.2.3", "-3.5.4-r1", "-1.2_rc1_p2", "-1.2*", "-9999",
					    "-1a", "-1-r1*", "-01.0", "-1.2-r01", "-1_p", "-1.", "-r1" };
	static const char *const slots[] = { "", ":0", ":=", ":*", ":0=", ":2/2.32", ":2/2.32=", ":s+l.o-t_",
					     ":", ":0/", ":=0", ":-0", ":/" };
	static const char *const repos[] = { "", "::gentoo", "::repo_1", "::my-overlay", "::", "::x-1", "::-x" };
	static const char *const uses[] = { "", "[ssl]", "[-static-libs]", "[a,b(+),!c=,d?,!e?,-f(-)]", "[a(+)=]",
					    "[a@b+c-d_e]", "[a,b,c,d,e,f,g,h,i,j]", "[!a]", "[]", "[a,]", "[a(*)]",
					    "[-a?]", "[a]x" };
	static const unsigned flag_sets[] = { 0, HS_ATOM_ALLOW_REPO, HS_ATOM_USER_CONFIG, HS_ATOM_CPV,
					      HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD };
	static const char mutations[] = "-.*:/[],!=?()+_@a1 \t";
	size_t n = 0, ok = 0, k = 0;
	char atom[256];

	for (size_t b = 0; b < ELEMENTSOF(blockers); b++)
		for (size_t o = 0; o < ELEMENTSOF(ops); o++)
			for (size_t c = 0; c < ELEMENTSOF(cps); c++)
				for (size_t v = 0; v < ELEMENTSOF(vers); v++, k++) {
					/* slot, repository and USE: the digits of k in mixed radix */
					size_t ks = k % ELEMENTSOF(slots), kr = k / ELEMENTSOF(slots) % ELEMENTSOF(repos),
					       ku = k / ELEMENTSOF(slots) / ELEMENTSOF(repos) % ELEMENTSOF(uses);
					int len = snprintf(atom, sizeof(atom), "%s%s%s%s%s%s%s", blockers[b], ops[o],
							   cps[c], vers[v], slots[ks], repos[kr], uses[ku]);

					for (size_t f = 0; f < ELEMENTSOF(flag_sets); f++) {
						ok += expect_same_scan(atom, (size_t)len, flag_sets[f]);
						n++;
					}
					/* every byte of every seventh atom replaced, and dropped */
					if (k % 7)
						continue;
					for (int i = 0; i < len; i++) {
						char m[256];

						memcpy(m, atom, (size_t)len);
						for (size_t x = 0; x < sizeof(mutations); x++) {
							m[i] = mutations[x]; /* the last one is '\0' */
							expect_same_scan(m, (size_t)len, HS_ATOM_ALLOW_REPO);
						}
						memcpy(m, atom, (size_t)i);
						memcpy(m + i, atom + i + 1, (size_t)(len - i - 1));
						expect_same_scan(m, (size_t)len - 1, HS_ATOM_ALLOW_REPO);
					}
				}
	/* both verdicts were exercised */
	print_message("# %zu of %zu grid atoms parse\n", ok, n);
	assert_true(ok > n / 20);
	assert_true(ok < n);
}

/*
 * The fast scanner classifies runs of bytes 16 at a time (SSE2) where the complete one looks each byte up in
 * hs_atom_cclass: every byte value, in every part of an atom and at every offset of a 16-byte block, gets the
 * same verdict and fields from both.
 */
static void test_byte_classes(void **state)
{
	static const char *const templates[] = {
		/* X is the byte under test, in: category, package, version, slot, sub-slot, repository, USE flag */
		"X/b", "aX/b", "sys-appsX/b", "a/X", "a/bX", "a/systemd-utilsX", "=a/b-1X", "=a/b-1.2X-r1",
		">=a/b-1-rX", "a/b:X", "a/b:0X", "a/b:0/X", "a/b:s/sX=", "a/b::X", "a/b::gentooX",
		"a/b[X]", "a/b[aX]", "a/b[python_targets_python3_1X(-)?]", "a/b[a,X]", "a/b[a(X)]",
		"=dev-python/setuptools-scmX-8.1.0-r1:0/8::gentoo[python_targets_python3_12(-)?,X]",
	};
	size_t ok = 0, n = 0;

	for (size_t i = 0; i < ELEMENTSOF(templates); i++) {
		const char *x = strchr(templates[i], 'X');

		assert_non_null(x);
		for (size_t pad = 0; pad < 17; pad += 3) /* move X across a 16-byte block (and past 64 bytes) */
			for (unsigned b = 1; b < 256; b++) {
				char atom[256];
				size_t pre = (size_t)(x - templates[i]), plen = 0;

				if (pad && (pre == 0 || x[-1] == '/' || x[-1] == ':' || x[-1] == '[' || x[-1] == ',' ||
					    x[-1] == '-' || x[-1] == '('))
					continue; /* no room for padding before X: it would change the part X is in */
				memcpy(atom, templates[i], pre);
				for (size_t k = 0; k < pad * 4; k++)
					atom[pre + plen++] = "abc_"[k % 4];
				atom[pre + plen] = (char)b;
				strcpy(atom + pre + plen + 1, x + 1);
				ok += expect_same_scan(atom, strlen(atom), HS_ATOM_ALLOW_REPO);
				n++;
			}
	}
	print_message("# %zu of %zu byte-class atoms parse\n", ok, n);
	assert_true(ok > 0 && ok < n);
}

/*
 * hs_atom_parse_into() reuses one buffer: a valid atom after an invalid one, a short one after a long one, the
 * complete scanner's USE deps kept in the buffer once it has needed room for them, and each result equal to a
 * fresh parse.
 */
static void test_buf_reuse(void **state)
{
	static const char *const seq[] = {
		">=sys-apps/systemd-260.1-r1:0/2=::gentoo[homed,cryptsetup(+),-test(-),!pam=,x?,!y(+)?]",
		"a/b",
		"=a/b-1-r2-",                      /* invalid */
		"dev-libs/openssl",
		"",                                /* invalid: empty */
		"=*/*-*9999*",                     /* extended: the complete scanner */
		"<x11-libs/gtk+-3.24.41:3[X,wayland]",
		"!!a/b[",                          /* invalid */
		"~dev-lang/python-3.13.1:3.13",
	};
	hs_atom_buf *buf = NULL;
	hs_ctx *ctx = NULL;
	hs_buf big = {0};

	hs_atom_buf_free(NULL);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_atom_buf_new(&buf), 0);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
			unsigned flags = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD;
			_cleanup_(hs_atom_freep) hs_atom *a = NULL;
			_cleanup_free_ char *msg = NULL;
			const hs_atom *b = (const hs_atom *)&b;
			int r = hs_atom_parse(ctx, &a, seq[i], strlen(seq[i]), flags);

			if (r < 0)
				msg = strdup(hs_ctx_last_error(ctx));
			assert_int_equal(hs_atom_parse_into(ctx, &b, buf, seq[i], strlen(seq[i]), flags), r);
			if (r < 0) {
				assert_int_equal(r, -EINVAL);
				assert_null(b);
				assert_string_equal(hs_ctx_last_error(ctx), msg);
			} else {
				expect_same_atom(a, b, seq[i]);
				expect_format(b, seq[i]);
			}
		}

	/* 40, then 150, then 40 USE deps (more than the fast scanner keeps), then a short atom */
	for (int k = 0; k < 4; k++) {
		int n_use = k == 1 ? 150 : 40;
		const hs_atom *b = NULL;
		hs_atom *a = NULL;

		big.len = 0;
		assert_int_equal(hs_buf_puts(&big, k == 3 ? "a/b" : ">=dev-libs/foo-1.2:0=["), 0);
		for (int i = 0; k < 3 && i < n_use; i++)
			assert_int_equal(hs_buf_printf(&big, "%sflag_%03d(+)", i ? "," : "", (i * 7) % n_use), 0);
		if (k < 3)
			assert_int_equal(hs_buf_puts(&big, "]"), 0);
		assert_int_equal(hs_atom_parse(ctx, &a, big.p, big.len, 0), 0);
		assert_int_equal(hs_atom_parse_into(ctx, &b, buf, big.p, big.len, 0), 0);
		expect_same_atom(a, b, big.p);
		assert_int_equal(hs_atom_usedep_count(b), k == 3 ? 0 : (size_t)n_use);
		expect_format(b, big.p);
		hs_atom_free(a);
	}
	hs_buf_free(&big);
	hs_atom_buf_free(buf);
	hs_ctx_free(ctx);
}

/* Long atoms and long USE lists take the complete scanner (and its heap for the USE dependencies); the result
 * is the same atom. */
static void test_long_atoms(void **state)
{
	hs_buf b = {0};
	hs_atom *a;
	char *f = NULL;

	/* 150 USE dependencies, in reverse order with duplicates: the sorted index drops those */
	assert_int_equal(hs_buf_puts(&b, ">=dev-libs/foo-1.2:0=["), 0);
	for (int i = 150; i-- > 0;)
		assert_int_equal(hs_buf_printf(&b, "%sflag_%03d(+)", i == 149 ? "" : ",", i % 100), 0);
	assert_int_equal(hs_buf_puts(&b, "]"), 0);
	assert_true(b.len > 511);
	assert_true(expect_same_scan(b.p, b.len, 0));
	a = parse_ok(b.p, 0);
	assert_int_equal(hs_atom_usedep_count(a), 150);
	assert_string_equal(hs_atom_usedep(a, 0)->flag, "flag_049");
	assert_string_equal(hs_atom_usedep(a, 149)->flag, "flag_000");
	assert_int_equal(hs_atom_format(a, &f), 0);
	assert_string_equal(f, b.p);
	free(f);
	hs_atom_free(a);

	/* 40 USE dependencies (more than the fast scanner keeps) in a short atom */
	b.len = 0;
	assert_int_equal(hs_buf_puts(&b, "a/b["), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(hs_buf_printf(&b, "%s%c%d", i ? "," : "", 'a' + i % 26, i), 0);
	assert_int_equal(hs_buf_puts(&b, "]"), 0);
	assert_true(expect_same_scan(b.p, b.len, 0));
	a = parse_ok(b.p, 0);
	assert_int_equal(hs_atom_usedep_count(a), 40);
	assert_string_equal(hs_atom_usedep(a, 39)->flag, "n39");
	hs_atom_free(a);

	/* a 600-byte package name */
	b.len = 0;
	assert_int_equal(hs_buf_puts(&b, "=cat/"), 0);
	for (int i = 0; i < 60; i++)
		assert_int_equal(hs_buf_puts(&b, "abcdefghi_"), 0);
	assert_int_equal(hs_buf_puts(&b, "-1.2.3-r4:0"), 0);
	assert_true(expect_same_scan(b.p, b.len, 0));
	a = parse_ok(b.p, 0);
	assert_int_equal(strlen(hs_atom_package(a)), 600);
	assert_string_equal(hs_version_str(hs_atom_version(a)), "1.2.3-r4");
	hs_atom_free(a);
	hs_buf_free(&b);
}

/* Bytes the fast scanner meets as its end marker: a NUL inside the text is an error, worded as ever. */
static void test_nul_bytes(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		const char *msg;
	} cases[] = {
		{ "a/b\0", 4, "invalid atom 'a/b\\x00' at column 4: invalid character byte 0x00 in package name" },
		{ "a\0/b", 4, "invalid atom 'a\\x00/b' at column 2: invalid character byte 0x00 in category" },
		{ "=a/b-1\0", 7, "invalid atom '=a/b-1\\x00' at column 7: invalid character byte 0x00 in package name" },
		{ "a/b:0\0", 6, "invalid atom 'a/b:0\\x00' at column 6: invalid character byte 0x00 in slot '0'" },
		{ "a/b[x\0]", 7, "invalid atom 'a/b[x\\x00]' at column 6: unexpected byte 0x00 in USE dependency "
				 "'x' (expected ',' or ']')" },
		{ "a/b::r\0", 7, "invalid atom 'a/b::r\\x00' at column 7: invalid character byte 0x00 in repository name" },
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *copy = malloc(cases[i].len);
		hs_atom *a = NULL;

		assert_non_null(copy);
		memcpy(copy, cases[i].s, cases[i].len);
		assert_int_equal(hs_atom_parse(ctx, &a, copy, cases[i].len, HS_ATOM_ALLOW_REPO), -EINVAL);
		assert_null(a);
		assert_string_equal(hs_ctx_last_error(ctx), cases[i].msg);
		assert_false(expect_same_scan(cases[i].s, cases[i].len, HS_ATOM_ALLOW_REPO));
		free(copy);
	}
	hs_ctx_free(ctx);
}

/* A quick throughput figure (printed, not asserted: the bench harness owns the numbers). */
static void test_speed(void **state)
{
	static const char atom[] = ">=sys-apps/systemd-260.1-r1:0/2::gentoo[homed,cryptsetup(+)]";
	struct timespec t0, t1;
	const size_t n = 200000;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		hs_atom *a = NULL;

		assert_int_equal(hs_atom_parse(NULL, &a, atom, sizeof(atom) - 1, HS_ATOM_ALLOW_REPO), 0);
		hs_atom_free(a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("# atom parse+free: %.2f M atoms/s\n", (double)n / secs / 1e6);
}

static int free_shared_buf(void **state)
{
	hs_atom_buf_free(shared_buf);
	shared_buf = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dep_valid),
		cmocka_unit_test(test_dep_invalid),
		cmocka_unit_test(test_dep_compares),
		cmocka_unit_test(test_dep_intersects),
		cmocka_unit_test(test_version_intersects),
		cmocka_unit_test(test_dep_sorting),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_intersects_more),
		cmocka_unit_test(test_compare_more),
		cmocka_unit_test(test_compare_many_usedeps),
		cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_version_syntax_agrees),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_fast_scanner_agrees),
		cmocka_unit_test(test_long_atoms),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_byte_classes),
		cmocka_unit_test(test_buf_reuse),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, free_shared_buf);
}
