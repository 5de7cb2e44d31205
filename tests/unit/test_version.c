/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Versions: parsing, PMS/Portage ordering, hs_vercmp() agreeing with hs_version_compare(), =ver* globs.
 * Tables come from Portage (lib/portage/tests/versions/test_vercmp.py, tests/dep/test_match_from_list.py) and
 * pkgcraft-testdata (toml/version.toml: valid, invalid, compares, sorting, hashing), plus our own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "homesetupP.h"

/* Parse from a heap buffer of exactly len bytes (no NUL), so ASan catches any read past len. */
static int parse_exact(hs_ctx *ctx, hs_version **out, const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, s, len);
	r = hs_version_parse(ctx, out, copy, len);
	free(copy);
	return r;
}

static hs_version *parse_ok(const char *s)
{
	hs_version *v = NULL;
	hs_ctx *ctx = NULL;
	int r;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	r = parse_exact(ctx, &v, s, strlen(s));
	if (r != 0)
		fail_msg("parsing '%s' failed: %s", s, hs_ctx_last_error(ctx));
	hs_ctx_free(ctx);
	return v;
}

static int sgn(int r)
{
	return (r > 0) - (r < 0);
}

/* hs_vercmp on exact-size heap copies; fails the test on a parse error. */
static int vercmp_ok(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);
	char *ca = malloc(al ? al : 1), *cb = malloc(bl ? bl : 1);
	int res = 42, r;

	assert_non_null(ca);
	assert_non_null(cb);
	memcpy(ca, a, al);
	memcpy(cb, b, bl);
	r = hs_vercmp(NULL, ca, al, cb, bl, &res);
	free(ca);
	free(cb);
	if (r != 0)
		fail_msg("hs_vercmp('%s', '%s') failed: %d", a, b, r);
	assert_true(res >= -1 && res <= 1);
	return res;
}

/* Compare two strings both ways and check both comparators agree; returns the sign. */
static int cmp2(const char *a, const char *b)
{
	hs_version *va = parse_ok(a), *vb = parse_ok(b);
	int c = sgn(hs_version_compare(va, vb));

	if (sgn(hs_version_compare(vb, va)) != -c)
		fail_msg("compare('%s', '%s') is not antisymmetric", a, b);
	if (vercmp_ok(a, b) != c || vercmp_ok(b, a) != -c)
		fail_msg("hs_vercmp('%s', '%s') disagrees with hs_version_compare (%d)", a, b, c);
	hs_version_free(va);
	hs_version_free(vb);
	return c;
}

/* ---- validity ----------------------------------------------------------------------------------------- */

static void test_valid(void **state)
{
	static const char *const valid[] = {
		/* pkgcraft version.toml `valid` (those without an operator) */
		"0", "1a",
		"18446744073709551615", "1.18446744073709551615", "1.2.18446744073709551615",
		"1_p18446744073709551615", "1-r18446744073709551615",
		/* pkgcraft's `invalid` "numerical overflow -- u64::max + 1": valid here, because Portage compares
		 * Python integers (no limit) and PMS sets none */
		"18446744073709551616", "1.18446744073709551616", "1.2.18446744073709551616",
		"1_p18446744073709551616", "1-r18446744073709551616",
		/* ours */
		"1.2.3b_rc2_p1-r4", "1_alpha_beta_pre_rc_p", "1_alpha1_beta2_pre3_rc4_p5", "0001", "1-r00",
		"1.0.0.0.0.0.0", "1_p", "1_p-r0", "2.2.2b_beta2-r2", "1z", "0.0", "00.00",
		"123456789012345678901234567890123456789012345678901234567890.1",
	};

	for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
		hs_version *v = parse_ok(valid[i]);

		assert_string_equal(hs_version_str(v), valid[i]);
		assert_int_equal(hs_version_compare(v, v), 0);
		assert_int_equal(hs_version_compare_norev(v, v), 0);
		assert_true(hs_version_match_glob(v, v));
		assert_int_equal(vercmp_ok(valid[i], valid[i]), 0);
		hs_version_free(v);
	}
}

struct invalid_case {
	const char *s;
	size_t len; /* 0: strlen(s) */
	unsigned col;
	const char *why;
};

static void test_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		/* pkgcraft version.toml `invalid` (less the u64 overflow ones, see test_valid) */
		{ "", 0, 1, "the version is empty" },
		{ ".", 0, 1, "expected a digit, got '.'" },
		{ "-1", 0, 1, "expected a digit, got '-'" },
		{ ".1", 0, 1, "expected a digit, got '.'" },
		{ "1.", 0, 3, "expected a digit after '.'" },
		{ "a", 0, 1, "expected a digit, got 'a'" },
		{ "a1", 0, 1, "expected a digit, got 'a'" },
		{ "1a-1", 0, 4, "expected 'r' after '-' (a revision is written -rN), got '1'" },
		{ "1a-1a", 0, 4, "expected 'r' after '-'" },
		{ "1aa", 0, 3, "unexpected 'a' after the letter 'a'" },
		{ "1.a", 0, 3, "expected a digit after '.'" },
		{ "1_a", 0, 3, "unknown suffix '_a'" },
		{ "1a.2", 0, 3, "unexpected '.' after the letter 'a'" },
		{ "1..2", 0, 3, "expected a digit after '.'" },
		{ "~2-r1", 0, 1, "unexpected operator '~'" },
		/* ours */
		{ "=1", 0, 1, "unexpected operator '='" },
		{ ">=1.2", 0, 1, "unexpected operator '>'" },
		{ "1*", 0, 2, "unexpected '*' (expected a digit, '.', one lowercase letter, '_', '-r' or the end)" },
		{ "1-r", 0, 4, "expected a digit after '-r'" },
		{ "1-", 0, 3, "expected 'r' after '-' (a revision is written -rN), got the end" },
		{ "1.2.3-R1", 0, 7, "expected 'r' after '-'" },
		{ "1-r1a", 0, 5, "unexpected 'a' after the revision '-r1'" },
		{ "1-r1-r2", 0, 5, "unexpected '-' after the revision '-r1'" },
		{ "1_", 0, 3, "expected a suffix name (alpha, beta, pre, rc or p) after '_', got the end" },
		{ "1_1", 0, 3, "expected a suffix name (alpha, beta, pre, rc or p) after '_', got '1'" },
		{ "1_pre1a", 0, 7, "unexpected 'a' after a suffix" },
		{ "1_pa", 0, 3, "unknown suffix '_pa'" },
		{ "1_alphabeta", 0, 3, "unknown suffix '_alphabeta'" },
		{ "1_alpha_Beta", 0, 9, "expected a suffix name" },
		{ "1_p_", 0, 5, "expected a suffix name" },
		{ "1A", 0, 2, "unexpected 'A'" },
		{ "1 ", 0, 2, "unexpected a space" },
		{ "1\n", 0, 2, "unexpected byte 0x0a" }, /* Python's `$` would accept this one */
		{ "1.2\0", 4, 4, "unexpected byte 0x00" },
		{ "\0", 1, 1, "expected a digit, got byte 0x00" },
		{ "1.2.3_rc1-r1 ", 0, 13, "unexpected a space after the revision" },
		{ "v1.2", 0, 1, "expected a digit, got 'v'" },
		{ "\xd9\xa1", 0, 1, "expected a digit, got byte 0xd9" }, /* U+0661: Python's \d, not a PMS digit */
		{ "1.\xd9\xa1", 0, 3, "expected a digit after '.'" },
	};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct invalid_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->s);
		hs_version *v = NULL;
		char col[32], saved[512];
		const char *msg;
		int res = 42;

		hs_ctx_clear_error(ctx);
		if (parse_exact(ctx, &v, c->s, len) != -EINVAL)
			fail_msg("case %zu ('%s') parsed", i, c->s);
		assert_null(v);
		msg = hs_ctx_last_error(ctx);
		snprintf(col, sizeof(col), "' at column %u: ", c->col);
		if (strncmp(msg, "invalid version '", 17) != 0 || !strstr(msg, col) || !strstr(msg, c->why))
			fail_msg("case %zu: message \"%s\" lacks \"%s\" or \"%s\"", i, msg, col, c->why);

		/* hs_vercmp rejects it on either side, leaves the result alone, reports the same message */
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
		hs_ctx_clear_error(ctx);
		assert_int_equal(hs_vercmp(ctx, c->s, len, "1", 1, &res), -EINVAL);
		assert_int_equal(res, 42);
		assert_string_equal(hs_ctx_last_error(ctx), msg);
		hs_ctx_clear_error(ctx);
		assert_int_equal(hs_vercmp(ctx, "1", 1, c->s, len, &res), -EINVAL);
		assert_int_equal(res, 42);
		assert_string_equal(hs_ctx_last_error(ctx), msg);
		assert_int_equal(hs_vercmp(NULL, c->s, len, "1", 1, &res), -EINVAL);
	}
	hs_ctx_free(ctx);
}

static void test_messages(void **state)
{
	hs_ctx *ctx = NULL;
	hs_version *v = NULL;
	int res;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_version_parse(ctx, &v, "1.a", 3), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "invalid version '1.a' at column 3: expected a digit after '.'");
	assert_int_equal(hs_version_parse(ctx, &v, "1_a", 3), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "invalid version '1_a' at column 3: unknown suffix '_a'");
	assert_int_equal(hs_version_parse(ctx, &v, "1\t2", 3), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "invalid version '1\\x092' at column 2: unexpected byte 0x09 (expected a digit, '.', "
			    "one lowercase letter, '_', '-r' or the end)");
	/* the message says which of the two is bad */
	assert_int_equal(hs_vercmp(ctx, "1.2", 3, "1.2-r", 5, &res), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "invalid version '1.2-r' at column 6: expected a digit after '-r'");
	assert_int_equal(hs_ctx_last_errno(ctx), -EINVAL);
	hs_ctx_free(ctx);
	/* a NULL context is fine */
	assert_int_equal(hs_version_parse(NULL, &v, "x", 1), -EINVAL);
	assert_null(v);
}

/* The parser reads exactly len bytes: a valid prefix of a longer text is parsed alone. */
static void test_length_bounds(void **state)
{
	static const char text[] = "1.2.3b_rc2_p1-r4";
	static const char *const prefixes[] = {
		"1", NULL, "1.2", NULL, "1.2.3", "1.2.3b", NULL, NULL, "1.2.3b_rc", "1.2.3b_rc2", NULL,
		"1.2.3b_rc2_p", "1.2.3b_rc2_p1", NULL, NULL, "1.2.3b_rc2_p1-r4",
	};

	assert_int_equal(ELEMENTSOF(prefixes), strlen(text));
	for (size_t len = 1; len <= strlen(text); len++) {
		hs_version *v = NULL;
		int r = parse_exact(NULL, &v, text, len);

		if (prefixes[len - 1]) {
			assert_int_equal(r, 0);
			assert_string_equal(hs_version_str(v), prefixes[len - 1]);
			hs_version_free(v);
		} else {
			assert_int_equal(r, -EINVAL);
		}
	}
	hs_version_free(NULL);
}

static void test_accessors(void **state)
{
	static const struct {
		const char *s, *norev, *rev;
	} cases[] = {
		{ "1.2.3b_rc2_p1-r4", "1.2.3b_rc2_p1", "4" },
		{ "1.2", "1.2", "" },
		{ "1-r0", "1", "0" },
		{ "1-r00", "1", "00" },
		{ "01.02-r010", "01.02", "010" },
		{ "1_p-r18446744073709551616", "1_p", "18446744073709551616" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_version *v = parse_ok(cases[i].s);

		assert_string_equal(hs_version_str(v), cases[i].s);
		assert_string_equal(hs_version_str_norev(v), cases[i].norev);
		assert_string_equal(hs_version_revision(v), cases[i].rev);
		hs_version_free(v);
	}
}

/* ---- ordering ----------------------------------------------------------------------------------------- */

/* lib/portage/tests/versions/test_vercmp.py */
static void test_portage_vercmp(void **state)
{
	static const char *const greater[][2] = {
		{ "6.0", "5.0" }, { "5.0", "5" }, { "1.0-r1", "1.0-r0" }, { "1.0-r1", "1.0" },
		{ "999999999999999999999999999999", "999999999999999999999999999998" },
		{ "1.0.0", "1.0" }, { "1.0.0", "1.0b" }, { "1b", "1" }, { "1b_p1", "1_p1" }, { "1.1b", "1.1" },
		{ "12.2.5", "12.2b" },
	};
	static const char *const less[][2] = {
		{ "4.0", "5.0" }, { "5", "5.0" }, { "1.0_pre2", "1.0_p2" }, { "1.0_alpha2", "1.0_p2" },
		{ "1.0_alpha1", "1.0_beta1" }, { "1.0_beta3", "1.0_rc3" },
		{ "1.001000000000000000001", "1.001000000000000000002" },
		{ "1.00100000000", "1.0010000000000000001" },
		{ "999999999999999999999999999998", "999999999999999999999999999999" },
		{ "1.01", "1.1" }, { "1.0-r0", "1.0-r1" }, { "1.0", "1.0-r1" }, { "1.0", "1.0.0" },
		{ "1.0b", "1.0.0" }, { "1_p1", "1b_p1" }, { "1", "1b" }, { "1.1", "1.1b" }, { "12.2b", "12.2.5" },
	};
	static const char *const equal[][2] = {
		{ "4.0", "4.0" }, { "1.0", "1.0" }, { "1.0-r0", "1.0" }, { "1.0", "1.0-r0" }, { "1.0-r0", "1.0-r0" },
		{ "1.0-r1", "1.0-r1" },
	};
	static const char *const not_equal[][2] = {
		{ "1", "2" }, { "1.0_alpha", "1.0_pre" }, { "1.0_beta", "1.0_alpha" }, { "0", "0.0" },
		{ "1.0-r0", "1.0-r1" }, { "1.0-r1", "1.0-r0" }, { "1.0", "1.0-r1" }, { "1.0-r1", "1.0" },
		{ "1.0", "1.0.0" }, { "1_p1", "1b_p1" }, { "1b", "1" }, { "1.1b", "1.1" }, { "12.2b", "12.2" },
	};

	for (size_t i = 0; i < ELEMENTSOF(greater); i++)
		if (cmp2(greater[i][0], greater[i][1]) <= 0)
			fail_msg("%s > %s", greater[i][0], greater[i][1]);
	for (size_t i = 0; i < ELEMENTSOF(less); i++)
		if (cmp2(less[i][0], less[i][1]) >= 0)
			fail_msg("%s < %s", less[i][0], less[i][1]);
	for (size_t i = 0; i < ELEMENTSOF(equal); i++)
		if (cmp2(equal[i][0], equal[i][1]) != 0)
			fail_msg("%s == %s", equal[i][0], equal[i][1]);
	for (size_t i = 0; i < ELEMENTSOF(not_equal); i++)
		if (cmp2(not_equal[i][0], not_equal[i][1]) == 0)
			fail_msg("%s != %s", not_equal[i][0], not_equal[i][1]);
}

/* pkgcraft version.toml `compares`: each expression is true. */
static void test_pkgcraft_compares(void **state)
{
	static const char *const exprs[] = {
		"0 == 0", "0 != 1", "0 == 0-r0", "1 == 01", "01 == 001", "1.00 == 1.0", "1.0100 == 1.010",
		"01.01 == 1.01", "0001.1 == 1.1", "1.2 == 001.2", "1.0.2 == 1.0.2-r0", "1.0.2-r0 == 1.000.2",
		"1.000.2 == 1.00.2-r0", "0-r0 == 0-r00", "0_beta01 == 0_beta001", "1.2_pre08-r09 == 1.2_pre8-r9",
		"1.010.02 != 1.01.2",
		"0.1 < 0.11", "0.01 > 0.001", "1.0 > 1", "1.0_alpha > 1_alpha", "1.0_alpha > 1", "1.0_alpha < 1.0",
		"0a < 0b", "1.1z > 1.1a", "1.010.1r_p < 1.0100.1s_beta",
		"1_alpha < 1_beta", "1_beta < 1_pre", "1_pre < 1_rc", "1_rc < 1", "1 < 1_p",
		"1.2.3_alpha < 1.2.3", "1.2.3_beta < 1.2.3", "1.2.3_pre < 1.2.3", "1.2.3_rc < 1.2.3",
		"1.2.3_p > 1.2.3",
		"0_alpha1 < 0_alpha2", "0_alpha2_beta1 > 0_alpha1_beta2", "0_alpha2-r1 > 0_alpha1-r2", "0_p1 < 0_p2",
		"1_alpha < 1_alpha_p", "1_alpha > 1_alpha_beta_p", "1_alpha_beta < 1_alpha_beta_p",
		"1_alpha_beta > 1_alpha_beta_pre", "1_alpha1 > 1_alpha_beta2",
		"0-r1 > 0", "0-r2 > 0-r1", "1.0.2_pre01-r2 > 1.00.2_pre001-r1",
	};

	for (size_t i = 0; i < ELEMENTSOF(exprs); i++) {
		char a[64], op[4], b[64];
		bool ok = false;
		int c;

		assert_int_equal(sscanf(exprs[i], "%63s %3s %63s", a, op, b), 3);
		c = cmp2(a, b);
		if (strcmp(op, "==") == 0)
			ok = c == 0;
		else if (strcmp(op, "!=") == 0)
			ok = c != 0;
		else if (strcmp(op, "<") == 0)
			ok = c < 0;
		else if (strcmp(op, "<=") == 0)
			ok = c <= 0;
		else if (strcmp(op, ">") == 0)
			ok = c > 0;
		else if (strcmp(op, ">=") == 0)
			ok = c >= 0;
		else
			fail_msg("bad operator in '%s'", exprs[i]);
		if (!ok)
			fail_msg("'%s' is false (compare gave %d)", exprs[i], c);
	}
}

/*
 * Ascending lists; an entry starting with '=' is equal to the one before it. Every pair is checked with both
 * comparators (which proves antisymmetry and transitivity over the list), then a shuffled copy is sorted.
 */
static const char *const sorted_ours[] = {
	"0_alpha", "0", "=00", "=0-r0", "=0-r00", "0-r1", "0_p", "0.0", "=0.00", "0.0.0", "0.001", "0.01",
	"0.1", "0.11",
	"1_alpha_alpha", "1_alpha_rc", "1_alpha", "=1_alpha0", "=01_alpha00", "1_alpha_p", "1_alpha1", "1_beta",
	"1_pre", "1_rc", "1_rc_p", "1_rc1", "1", "=01", "=1-r0", "1-r1", "=1-r01", "1-r2", "1_p", "=1_p0",
	"1_p-r1", "1_p1_alpha", "1_p1", "1_p1_p", "1_p2", "1a", "1a_p", "1b", "1z",
	"1.0", "=1.00", "=1.000", "1.0-r1", "1.0a", "1.0.0", "1.001", "1.01", "=1.010", "=1.0100", "1.01.1",
	"1.01.2", "=1.010.2", "1.02", "1.1", "1.1.0", "1.2", "1.10", "1.10_p", "1.100",
	"1.99999999999999999999998", "1.99999999999999999999999", "1.100000000000000000000000", "2", "10",
	"18446744073709551615", "18446744073709551616", "=018446744073709551616", "99999999999999999999",
	"100000000000000000000", "=000100000000000000000000",
};

/* pkgcraft version.toml `sorting` (the lists without operators) and `hashing` groups that are equal */
static const char *const sorted_pkgcraft_1[] = { "0", "=00", "=0-r0", "=0-r00" };
static const char *const sorted_pkgcraft_2[] = { "1-r1", "=01-r01", "=001-r1", "=1-r001" };
static const char *const sorted_pkgcraft_3[] = { "1.0.2", "=1.0.2-r0", "=1.000.2" };
static const char *const sorted_pkgcraft_4[] = { "0", "1", "2" };
static const char *const sorted_pkgcraft_5[] = { "1.1", "1.10", "1.100" };
static const char *const sorted_pkgcraft_6[] = { "1a", "1b", "1y", "1z" };
static const char *const sorted_pkgcraft_7[] = { "1_alpha", "1_beta", "1_pre", "1_rc", "1_p" };
static const char *const sorted_pkgcraft_8[] = { "1_p0", "1_p1", "1_p2" };
static const char *const sorted_pkgcraft_9[] = { "1-r0", "1-r1", "1-r2" };
static const char *const sorted_pkgcraft_10[] = {
	"1.2.2b_beta2-r2", "2.1.1a_alpha1-r1", "2.1.1b_beta2-r2", "2.2.1a_alpha1-r1", "2.2.1b_beta2-r2",
	"2.2.2a_alpha1-r1", "2.2.2a_beta2-r2", "2.2.2b_alpha1-r1", "2.2.2b_alpha2-r2", "2.2.2b_beta1-r1",
	"2.2.2b_beta1-r2", "2.2.2b_beta2-r1", "2.2.2b_beta2-r2",
};
static const char *const hashing_1[] = { "0", "=0-r0", "=0-r00" };
static const char *const hashing_2[] = { "1-r10", "=1-r010" };
static const char *const hashing_3[] = { "1", "=01", "=001" };
static const char *const hashing_4[] = { "1.0", "=1.00" };
static const char *const hashing_5[] = { "0_beta1", "=0_beta01", "=0_beta001" };
static const char *const hashing_6[] = { "1.0.2", "=1.0.2-r0", "=1.000.2", "=1.00.2-r0" };
static const char *const hashing_7[] = { "1-r1", "1-r10", "1-r100" };
static const char *const hashing_8[] = { "1.010.02", "1.01.2" };
static const char *const hashing_9[] = { "1", "1.0" };
static const char *const hashing_10[] = { "0.001", "0.01", "0.1" };

struct entry {
	hs_version *v;
	const char *s;
	int group;
};

static int cmp_entries(const void *x, const void *y)
{
	return hs_version_compare(((const struct entry *)x)->v, ((const struct entry *)y)->v);
}

static void check_sorted(const char *const *list, size_t n)
{
	struct entry *e = calloc(n, sizeof(*e));
	unsigned seed = 12345;
	int group = -1;

	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		bool same = list[i][0] == '=';

		e[i].s = list[i] + same;
		e[i].group = same ? group : ++group;
		e[i].v = parse_ok(e[i].s);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = sgn(e[i].group - e[j].group);
			int got = sgn(hs_version_compare(e[i].v, e[j].v));
			int norev = sgn(hs_version_compare_norev(e[i].v, e[j].v));

			if (got != want)
				fail_msg("compare('%s', '%s') = %d, want %d", e[i].s, e[j].s, got, want);
			if (vercmp_ok(e[i].s, e[j].s) != want)
				fail_msg("hs_vercmp('%s', '%s') != %d", e[i].s, e[j].s, want);
			/* without revisions, never the opposite order, and equal versions stay equal */
			if ((want != 0 && norev == -want) || (want == 0 && norev != 0))
				fail_msg("compare_norev('%s', '%s') = %d vs %d", e[i].s, e[j].s, norev, want);
		}
	/* shuffle (deterministic) and sort back */
	for (size_t i = n; i > 1; i--) {
		size_t k;
		struct entry t;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % i;
		t = e[i - 1];
		e[i - 1] = e[k];
		e[k] = t;
	}
	qsort(e, n, sizeof(*e), cmp_entries);
	for (size_t i = 1; i < n; i++)
		if (e[i - 1].group > e[i].group)
			fail_msg("sorted '%s' before '%s'", e[i - 1].s, e[i].s);
	for (size_t i = 0; i < n; i++)
		hs_version_free(e[i].v);
	free(e);
}

#define CHECK_SORTED(a) check_sorted((a), ELEMENTSOF(a))

static void test_sorted_lists(void **state)
{
	CHECK_SORTED(sorted_ours);
	CHECK_SORTED(sorted_pkgcraft_1);
	CHECK_SORTED(sorted_pkgcraft_2);
	CHECK_SORTED(sorted_pkgcraft_3);
	CHECK_SORTED(sorted_pkgcraft_4);
	CHECK_SORTED(sorted_pkgcraft_5);
	CHECK_SORTED(sorted_pkgcraft_6);
	CHECK_SORTED(sorted_pkgcraft_7);
	CHECK_SORTED(sorted_pkgcraft_8);
	CHECK_SORTED(sorted_pkgcraft_9);
	CHECK_SORTED(sorted_pkgcraft_10);
	CHECK_SORTED(hashing_1);
	CHECK_SORTED(hashing_2);
	CHECK_SORTED(hashing_3);
	CHECK_SORTED(hashing_4);
	CHECK_SORTED(hashing_5);
	CHECK_SORTED(hashing_6);
	CHECK_SORTED(hashing_7);
	CHECK_SORTED(hashing_8);
	CHECK_SORTED(hashing_9);
	CHECK_SORTED(hashing_10);
}

static void test_huge_numbers(void **state)
{
	char a[1100], b[1100];

	assert_true(cmp2("1.99999999999999999999999", "1.99999999999999999999998") > 0);
	/* pkgcraft rejects these (u64 overflow); Portage, and so we, compare them exactly */
	assert_true(cmp2("18446744073709551616", "18446744073709551615") > 0);
	assert_true(cmp2("1.18446744073709551616", "1.18446744073709551615") > 0);
	assert_true(cmp2("1.2.18446744073709551616", "1.2.18446744073709551615") > 0);
	assert_true(cmp2("1_p18446744073709551616", "1_p18446744073709551615") > 0);
	assert_true(cmp2("1-r18446744073709551616", "1-r18446744073709551615") > 0);
	assert_true(cmp2("1-r18446744073709551616", "1-r00018446744073709551616") == 0);
	assert_true(cmp2("1_rc000018446744073709551616", "1_rc18446744073709551616") == 0);
	/* more digits wins, whatever the leading digit */
	assert_true(cmp2("100000000000000000000000000000", "99999999999999999999999999999") > 0);
	/* a leading-zero component is a "decimal fraction": longer is not greater */
	assert_true(cmp2("1.099999999999999999999", "1.1") < 0);
	assert_true(cmp2("1.0100000000000000000000000", "1.01") == 0);
	/* 1000-digit numbers */
	memset(a, '9', 1000);
	a[1000] = '\0';
	memset(b, '9', 999);
	strcpy(b + 999, "8");
	assert_true(cmp2(a, b) > 0);
	strcpy(b + 999, "80"); /* 1001 digits */
	assert_true(cmp2(a, b) < 0);
	/* "1.0" and "1.00" after a 1000-digit first number */
	strcpy(a + 1000, ".0");
	memset(b, '9', 1000);
	strcpy(b + 1000, ".00");
	assert_true(cmp2(a, b) == 0);
	strcpy(b + 1000, ".01");
	assert_true(cmp2(a, b) < 0);
}

static void test_norev(void **state)
{
	static const struct {
		const char *a, *b;
		int full, norev;
	} cases[] = {
		{ "1-r1", "1-r2", -1, 0 },
		{ "1-r0", "1", 0, 0 },
		{ "1", "1-r5", -1, 0 },
		{ "1.0-r5", "1.1", -1, -1 },
		{ "1.1-r5", "1.1-r3", 1, 0 },
		{ "1_p1-r9", "1_p2", -1, -1 },
		{ "01.2-r18446744073709551616", "1.2-r1", 1, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_version *a = parse_ok(cases[i].a), *b = parse_ok(cases[i].b);

		assert_int_equal(sgn(hs_version_compare(a, b)), cases[i].full);
		assert_int_equal(sgn(hs_version_compare_norev(a, b)), cases[i].norev);
		assert_int_equal(sgn(hs_version_compare_norev(b, a)), -cases[i].norev);
		hs_version_free(a);
		hs_version_free(b);
	}
}

/* ---- =ver* -------------------------------------------------------------------------------------------- */

static void test_glob(void **state)
{
	static const struct {
		const char *prefix, *v;
		bool match;
	} cases[] = {
		/* lib/portage/tests/dep/test_match_from_list.py */
		{ "45", "045", true },
		{ "1-r1", "1_alpha1", false },
		{ "1.1", "1.1-r1", true },
		{ "1.1", "1.10-r1", false }, /* bug 560466: only on boundaries between version parts */
		{ "1-r1", "1-r11", false },
		{ "1_pre", "1_pre1", true },
		{ "1-r1", "1-r1", true },
		{ "1-r11", "1-r11", true },
		{ "1-r11", "01-r11", true },
		{ "01-r11", "1-r11", true },
		{ "01-r11", "001-r11", true },
		{ "1", "123", false },
		{ "1", "123-r1", false },
		{ "123", "123", true },
		{ "123", "123-r1", true },
		{ "4", "456", false },
		{ "4", "456-r1", false },
		{ "456", "456", true },
		{ "2", "2.1", true },
		{ "2.1", "2.1.2", true },
		/* ours: what Portage's boundary rule gives */
		{ "1.2", "1.2", true },
		{ "1.2", "1.2.3", true },
		{ "1.2", "1.20", false },
		{ "1.2", "1.2a", true },      /* digit -> letter is a boundary */
		{ "1.2", "1.2_rc1", true },   /* textual: matches although 1.2_rc1 < 1.2 */
		{ "1.2", "1.2-r1", true },
		{ "1.2", "1.2b_p1-r3", true },
		{ "1.2", "1.1", false },
		{ "1.2", "1", false },
		{ "1.2", "01.2.9", true },
		{ "1.02", "1.2", false },     /* only the first number loses its leading zeros */
		{ "1.02", "1.020", false },
		{ "1.02", "1.02.1", true },
		{ "1.2-r0", "1.2", false },   /* the revision is text: "-r0" must be written */
		{ "1.2-r0", "1.2-r0", true },
		{ "1.2", "1.2-r0", true },
		{ "1_p", "1_p1", true },      /* letter -> digit is a boundary */
		{ "1_p", "1_pre1", false },   /* letter -> letter is not */
		{ "1_p", "1_p_alpha", true },
		{ "1", "1a", true },
		{ "1", "1_p1", true },
		{ "1a", "1a_p", true },
		{ "1a", "1b", false },
		{ "0", "00.1", true },
		{ "00", "0", true },
		{ "0", "0_p", true },
		{ "0", "01", false },         /* 01 is written "1" after dropping leading zeros */
		{ "1", "01", true },
		{ "18446744073709551616", "18446744073709551616.1", true },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_version *p = parse_ok(cases[i].prefix), *v = parse_ok(cases[i].v);

		if (hs_version_match_glob(p, v) != cases[i].match)
			fail_msg("=%s* %s %s", cases[i].prefix, cases[i].match ? "should match" : "should not match",
				 cases[i].v);
		hs_version_free(p);
		hs_version_free(v);
	}
}

/* ---- versions built in place from a validated text (what the atom parser does) ---------------------------- */

/* hs_version_init_valid() in a block of exactly hs_version_size_valid() bytes (so ASan sees any write past it),
 * from an exact-size copy of the text (and any read past it). */
static hs_version *init_valid(const char *s, void **block)
{
	size_t len = strlen(s), size = hs_version_size_valid(len);
	char *copy = malloc(len ? len : 1);
	hs_version *v;

	assert_true(size > 0);
	*block = malloc(size);
	assert_non_null(*block);
	assert_non_null(copy);
	memcpy(copy, s, len);
	v = hs_version_init_valid(*block, copy, len);
	free(copy);
	assert_non_null(v);
	return v;
}

static void test_init_valid(void **state)
{
	static const char *const vs[] = {
		"0", "1", "1a", "0001", "00.00", "1.0.0.0.0.0.0", "1.01", "1.010", "1.1", "1.10", "1.2.3b_rc2_p1-r4",
		"1_alpha_beta_pre_rc_p", "1_alpha1_beta2_pre3_rc4_p5", "1_p", "1_p-r0", "1-r00", "1-r0", "1-r1",
		"1-r01", "1-r10", "2.2.2b_beta2-r2", "1z", "1_pre", "1_pre1", "1_p1", "1_p001", "1_rc", "1_rc0",
		"1.2_alpha", "1.2_beta", "1.2-r3", "45", "045", "18446744073709551616.1", "260.1", "260.1-r1",
		"9999", "20250826", "1.2.18446744073709551615", "1_p18446744073709551616", "5.3_p3", "0.0.0.0a_p-r9",
	};
	void *blocks[ELEMENTSOF(vs)];
	hs_version *built[ELEMENTSOF(vs)], *parsed[ELEMENTSOF(vs)];

	for (size_t i = 0; i < ELEMENTSOF(vs); i++) {
		size_t measured = 0;

		built[i] = init_valid(vs[i], &blocks[i]);
		parsed[i] = parse_ok(vs[i]);
		assert_int_equal(hs_version_measure(NULL, vs[i], strlen(vs[i]), &measured), 0);
		assert_true(hs_version_size_valid(strlen(vs[i])) >= measured);
		assert_string_equal(hs_version_str(built[i]), vs[i]);
		assert_string_equal(hs_version_str_norev(built[i]), hs_version_str_norev(parsed[i]));
		assert_string_equal(hs_version_revision(built[i]), hs_version_revision(parsed[i]));
		assert_int_equal(hs_version_compare(built[i], parsed[i]), 0);
		assert_int_equal(hs_version_compare(parsed[i], built[i]), 0);
	}
	/* every part was built as hs_version_parse() builds it: the same order and globs against every other */
	for (size_t i = 0; i < ELEMENTSOF(vs); i++)
		for (size_t j = 0; j < ELEMENTSOF(vs); j++) {
			int want = sgn(hs_version_compare(parsed[i], parsed[j]));

			if (sgn(hs_version_compare(built[i], built[j])) != want ||
			    sgn(hs_version_compare(built[i], parsed[j])) != want ||
			    sgn(hs_version_compare_norev(built[i], built[j])) !=
				    sgn(hs_version_compare_norev(parsed[i], parsed[j])))
				fail_msg("'%s' against '%s': built and parsed versions order differently", vs[i], vs[j]);
			if (hs_version_match_glob(built[i], built[j]) != hs_version_match_glob(parsed[i], parsed[j]))
				fail_msg("=%s* against '%s': built and parsed versions glob differently", vs[i], vs[j]);
		}
	for (size_t i = 0; i < ELEMENTSOF(vs); i++) {
		hs_version_free(parsed[i]);
		free(blocks[i]);
	}
}

/* A text that is not a version gives a meaningless version, but never a write past the block (ASan) nor a
 * read past the text. */
static void test_init_valid_garbage(void **state)
{
	static const char *const bad[] = {
		"", "-", "-r", "1-", "1-r", "1.", ".1", "1..2", "1...........", "_a_a_a_a_a_a", "1_a_b_c_d_e_f_g",
		"1.2.3.4.5.6.7.8.9.0", "a", "1aa", "1_", "1__p", "1-r1-r2", "1.2_", "_p_p_p_p_p_p_p_p", "1.1.1.1.",
		"9_p9_p9_p9_p9_p9_p", "0-r-r-r", "x.y.z",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		void *block = NULL;
		hs_version *v = init_valid(bad[i], &block);

		assert_string_equal(hs_version_str(v), bad[i]);
		free(block);
	}
	assert_int_equal(hs_version_size_valid(SIZE_MAX), 0);
	assert_int_equal(hs_version_size_valid(SIZE_MAX / 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_portage_vercmp),
		cmocka_unit_test(test_pkgcraft_compares),
		cmocka_unit_test(test_sorted_lists),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_norev),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_init_valid),
		cmocka_unit_test(test_init_valid_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
