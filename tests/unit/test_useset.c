/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>

#include "homesetupP.h"

static char *joined(const hs_useset *set)
{
	char *s = NULL;

	assert_int_equal(hs_useset_join(set, &s), 0);
	return s;
}

#define assert_set(set, want)                          \
	do {                                           \
		char *_j = joined(set);                \
		assert_string_equal(_j, want);         \
		free(_j);                              \
	} while (0)

static hs_useset *set_of(const char *list)
{
	hs_useset *s = NULL;

	assert_int_equal(hs_useset_new(&s), 0);
	assert_int_equal(hs_useset_add_list(s, list, strlen(list)), 0);
	return s;
}

static void test_basic(void **state)
{
	hs_useset *s = NULL, *d = NULL;

	assert_int_equal(hs_useset_new(&s), 0);
	assert_int_equal(hs_useset_count(s), 0);
	assert_null(hs_useset_get(s, 0));
	assert_int_equal(hs_useset_add(s, "zstd", 4), 1);
	assert_int_equal(hs_useset_add(s, "acl", 3), 1);
	assert_int_equal(hs_useset_add(s, "Zz", 2), 1);
	assert_int_equal(hs_useset_add(s, "acl", 3), 0);
	/* only len bytes count: "homed" from a longer buffer */
	assert_int_equal(hs_useset_add(s, "homedXYZ", 5), 1);
	assert_int_equal(hs_useset_count(s), 4);
	/* byte order: uppercase before lowercase */
	assert_string_equal(hs_useset_get(s, 0), "Zz");
	assert_string_equal(hs_useset_get(s, 1), "acl");
	assert_string_equal(hs_useset_get(s, 2), "homed");
	assert_string_equal(hs_useset_get(s, 3), "zstd");
	assert_true(hs_useset_has(s, "homed", 5));
	assert_false(hs_useset_has(s, "home", 4));
	assert_false(hs_useset_has(s, "homedd", 6));
	assert_false(hs_useset_has(NULL, "x", 1));
	assert_int_equal(hs_useset_remove(s, "home", 4), 0);
	assert_int_equal(hs_useset_remove(s, "homed", 5), 1);
	assert_int_equal(hs_useset_count(s), 3);
	assert_int_equal(hs_useset_dup(&d, s), 0);
	hs_useset_clear(s);
	assert_int_equal(hs_useset_count(s), 0);
	assert_set(d, "Zz acl zstd");
	assert_set(s, "");
	hs_useset_free(s);
	hs_useset_free(d);
	hs_useset_free(NULL);
}

static void test_add_list_and_ops(void **state)
{
	hs_useset *a = set_of("  b\ta\n c  a \r\v\fd "), *b = set_of("c d e f");

	assert_set(a, "a b c d");
	assert_int_equal(hs_useset_union(a, b), 0);
	assert_set(a, "a b c d e f");
	assert_int_equal(hs_useset_union(a, NULL), 0);
	hs_useset_subtract(a, b);
	assert_set(a, "a b");
	assert_int_equal(hs_useset_union(a, b), 0);
	hs_useset_free(b);
	b = set_of("b f zz 0");
	hs_useset_intersect(a, b);
	assert_set(a, "b f");
	/* the same set on both sides */
	hs_useset_intersect(a, a);
	assert_set(a, "b f");
	assert_int_equal(hs_useset_union(a, a), 0);
	assert_set(a, "b f");
	hs_useset_subtract(a, a);
	assert_set(a, "");
	assert_int_equal(hs_useset_union(a, b), 0);
	hs_useset_intersect(a, NULL);
	assert_set(a, "");
	hs_useset_free(a);
	hs_useset_free(b);
}

/* A few hundred flags: every operation stays consistent with a reference built by sorting. */
static void test_many_flags(void **state)
{
	hs_useset *s = NULL, *t = NULL;
	char buf[32];
	struct timespec t0, t1;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < 200; round++) {
		assert_int_equal(hs_useset_new(&s), 0);
		for (unsigned i = 0; i < 500; i++) {
			unsigned k = (i * 7919u) % 500u; /* a permutation of 0..499 */

			snprintf(buf, sizeof(buf), "flag_%03u", k);
			assert_int_equal(hs_useset_add(s, buf, strlen(buf)), 1);
		}
		assert_int_equal(hs_useset_count(s), 500);
		for (unsigned i = 0; i < 500; i++) {
			snprintf(buf, sizeof(buf), "flag_%03u", i);
			assert_string_equal(hs_useset_get(s, i), buf);
			assert_true(hs_useset_has(s, buf, strlen(buf)));
		}
		assert_int_equal(hs_useset_dup(&t, s), 0);
		for (unsigned i = 0; i < 500; i += 2) {
			snprintf(buf, sizeof(buf), "flag_%03u", i);
			assert_int_equal(hs_useset_remove(t, buf, strlen(buf)), 1);
		}
		hs_useset_subtract(s, t);
		assert_int_equal(hs_useset_count(s), 250);
		assert_string_equal(hs_useset_get(s, 1), "flag_002");
		assert_int_equal(hs_useset_union(s, t), 0);
		assert_int_equal(hs_useset_count(s), 500);
		hs_useset_free(s);
		hs_useset_free(t);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* 200 rounds of 500 inserts + 1000 lookups: far below a second even under ASan */
	assert_true(ms < 5000.0);
}

static void test_apply_tokens(void **state)
{
	hs_ctx *ctx = NULL;
	hs_useset *s = set_of("a b python_targets_python3_11 python_targets_python3_12 python_targets_x_*");
	hs_useset *iuse = set_of("a b c l10n_de l10n_en python_targets_python3_13 python_targets_python3_12");

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* -prefix_* drops the whole group, including a literal wildcard left in the set */
	assert_int_equal(hs_useset_apply_token(ctx, s, "-python_targets_*", 17, iuse), 0);
	assert_set(s, "a b");
	assert_int_equal(hs_useset_apply_token(ctx, s, "-b", 2, iuse), 0);
	assert_int_equal(hs_useset_apply_token(ctx, s, "-nothere", 8, iuse), 0);
	assert_set(s, "a");
	/* prefix_* expands against IUSE */
	assert_int_equal(hs_useset_apply_token(ctx, s, "l10n_*", 6, iuse), 0);
	assert_set(s, "a l10n_de l10n_en");
	/* ... and passes through as itself when nothing in IUSE matches, or without IUSE */
	assert_int_equal(hs_useset_apply_token(ctx, s, "linguas_*", 9, iuse), 0);
	assert_int_equal(hs_useset_apply_token(ctx, s, "video_cards_*", 13, NULL), 0);
	assert_set(s, "a l10n_de l10n_en linguas_* video_cards_*");
	/* -* clears */
	assert_int_equal(hs_useset_apply_token(ctx, s, "-*", 2, iuse), 0);
	assert_set(s, "");
	/* a leading '+' is tolerated with Portage's warning */
	assert_int_equal(hs_ctx_warning_count(ctx), 0);
	assert_int_equal(hs_useset_apply_token(ctx, s, "+homed", 6, iuse), 0);
	assert_set(s, "homed");
	assert_int_equal(hs_ctx_warning_count(ctx), 1);
	assert_string_equal(hs_ctx_warning(ctx, 0), "USE flags should not start with a '+': +homed");
	/* "+-x" is "-x" after the warning; a lone "+" is skipped */
	assert_int_equal(hs_useset_apply_token(ctx, s, "+-homed", 7, iuse), 0);
	assert_int_equal(hs_useset_apply_token(ctx, s, "+", 1, iuse), 0);
	assert_set(s, "");
	assert_int_equal(hs_ctx_warning_count(ctx), 3);
	/* errors */
	assert_int_equal(hs_useset_apply_token(ctx, s, "", 0, iuse), -EINVAL);
	assert_int_equal(hs_useset_apply_token(ctx, s, "-", 1, iuse), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "'-'"));
	hs_ctx_free(ctx);
	hs_useset_free(s);
	hs_useset_free(iuse);
}

static void test_apply_list_stacking(void **state)
{
	hs_ctx *ctx = NULL;
	hs_useset *use = NULL;
	hs_iuse *iuse = NULL;
	char *defaults = NULL;
	const char *iuse_s = "acl +openssl -test homed +pam python_targets_python3_12 python_targets_python3_13";
	/* layers, lowest first: pkginternal (IUSE defaults), make.defaults, make.conf, package.use */
	const char *defaults_layer = "acl PYTHON_TARGETS_is_not_expanded_here python_targets_python3_12";
	const char *conf = "-* homed -pam python_targets_*";
	const char *pkg = "-python_targets_* python_targets_python3_13 +test";

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_iuse_parse(ctx, &iuse, iuse_s, strlen(iuse_s)), 0);
	assert_int_equal(hs_iuse_defaults(iuse, &defaults), 0);
	assert_string_equal(defaults, "openssl -test pam");
	assert_int_equal(hs_useset_new(&use), 0);
	assert_int_equal(hs_useset_apply_list(ctx, use, defaults, strlen(defaults), hs_iuse_flags(iuse)), 0);
	assert_set(use, "openssl pam");
	assert_int_equal(hs_useset_apply_list(ctx, use, defaults_layer, strlen(defaults_layer), hs_iuse_flags(iuse)),
			 0);
	assert_set(use, "PYTHON_TARGETS_is_not_expanded_here acl openssl pam python_targets_python3_12");
	assert_int_equal(hs_useset_apply_list(ctx, use, conf, strlen(conf), hs_iuse_flags(iuse)), 0);
	assert_set(use, "homed python_targets_python3_12 python_targets_python3_13");
	assert_int_equal(hs_useset_apply_list(ctx, use, pkg, strlen(pkg), hs_iuse_flags(iuse)), 0);
	assert_set(use, "homed python_targets_python3_13 test");
	assert_int_equal(hs_ctx_warning_count(ctx), 1);
	/* filtering to IUSE_EFFECTIVE */
	assert_int_equal(hs_useset_add(use, "amd64", 5), 1);
	hs_useset_intersect(use, hs_iuse_flags(iuse));
	assert_set(use, "homed python_targets_python3_13 test");
	/* errors carry the column; tokens before the bad one have been applied */
	assert_int_equal(hs_useset_apply_list(ctx, use, "a  - b", 6, NULL), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "invalid USE flag token '-' at column 4: a '-' must be followed by a flag name");
	assert_set(use, "a homed python_targets_python3_13 test");
	/* the input is not NUL-terminated: only len bytes are read */
	assert_int_equal(hs_useset_apply_list(ctx, use, "-homedXX", 6, NULL), 0);
	assert_set(use, "a python_targets_python3_13 test");
	free(defaults);
	hs_iuse_free(iuse);
	hs_useset_free(use);
	hs_ctx_free(ctx);
}

static void assert_strv(char **v, const char *const *want, size_t n)
{
	assert_int_equal(hs_strv_length(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

static void test_tokens_expand(void **state)
{
	hs_ctx *ctx = NULL;
	char **v = NULL;
	const char *line = "PYTHON_TARGETS: -* python3_12 PYTHON_SINGLE_TARGET: python3_12";
	const char *want1[] = { "-python_targets_*", "python_targets_python3_12", "python_single_target_python3_12" };
	const char *line2 = "homed -pam VIDEO_CARDS: -intel amdgpu # comment: -x\nfoo";
	const char *want2[] = { "homed", "-pam", "-video_cards_intel", "video_cards_amdgpu", "foo" };

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_use_tokens_expand(ctx, &v, line, strlen(line)), 0);
	assert_strv(v, want1, ELEMENTSOF(want1));
	hs_strv_free(v);
	assert_int_equal(hs_use_tokens_expand(ctx, &v, line2, strlen(line2)), 0);
	assert_strv(v, want2, ELEMENTSOF(want2));
	hs_strv_free(v);
	/* empty input gives an empty vector, not NULL */
	v = NULL;
	assert_int_equal(hs_use_tokens_expand(ctx, &v, "  ", 2), 0);
	assert_non_null(v);
	assert_int_equal(hs_strv_length(v), 0);
	hs_strv_free(v);
	v = NULL;
	assert_int_equal(hs_use_tokens_expand(ctx, &v, "a : b", 5), -EINVAL);
	assert_null(v);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "':' at column 3"));
	hs_ctx_free(ctx);
}

static void test_flag_valid(void **state)
{
	const char *good[] = { "a", "A", "0", "python_targets_python3_12", "a+b", "a@b", "a-b", "9x", "gtk+" };
	const char *bad[] = { "", "_a", "-a", "+a", "@a", "a.b", "a b", "a/b", "a*", "a?", "!a", "(" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		assert_true(hs_use_flag_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_false(hs_use_flag_valid(bad[i], strlen(bad[i])));
	/* only len bytes are looked at */
	assert_true(hs_use_flag_valid("ab!", 2));
	assert_false(hs_use_flag_valid(NULL, 0));
}

static void test_iuse(void **state)
{
	hs_ctx *ctx = NULL;
	hs_iuse *iuse = NULL;
	char *d = NULL;
	const char *s = "acl +openssl -test +dns-over-tls python_single_target_python3_12 -openssl +test";

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_iuse_parse(ctx, &iuse, s, strlen(s)), 0);
	assert_set(hs_iuse_flags(iuse), "acl dns-over-tls openssl python_single_target_python3_12 test");
	assert_int_equal(hs_iuse_defaults(iuse, &d), 0);
	assert_string_equal(d, "openssl -test dns-over-tls -openssl test");
	free(d);
	assert_int_equal(hs_iuse_default_of(iuse, "acl", 3), 0);
	assert_int_equal(hs_iuse_default_of(iuse, "dns-over-tls", 12), 1);
	/* the last +/- wins, as when the defaults stack */
	assert_int_equal(hs_iuse_default_of(iuse, "openssl", 7), -1);
	assert_int_equal(hs_iuse_default_of(iuse, "test", 4), 1);
	assert_int_equal(hs_iuse_default_of(iuse, "nope", 4), -ENOENT);
	hs_iuse_free(iuse);
	iuse = NULL;

	assert_int_equal(hs_iuse_parse(ctx, &iuse, "", 0), 0);
	assert_int_equal(hs_useset_count(hs_iuse_flags(iuse)), 0);
	hs_iuse_free(iuse);
	iuse = NULL;

	assert_int_equal(hs_iuse_parse(ctx, &iuse, "acl  +_bad x", 12), -EINVAL);
	assert_null(iuse);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "invalid IUSE flag '+_bad' at column 6"));
	assert_int_equal(hs_iuse_parse(ctx, &iuse, "a +", 3), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "'+' at column 3"));
	assert_int_equal(hs_iuse_parse(ctx, &iuse, "a\x01", 2), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "'a\\x01'"));
	hs_iuse_free(NULL);
	hs_ctx_free(ctx);
}

/* The systemd-260.1 md5-cache IUSE (docs/portage-facts.md §1.1) and its defaults. */
static void test_iuse_systemd(void **state)
{
	const char *s = "acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed "
			"idn importd +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit "
			"pwquality qrcode remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb "
			"+zstd abi_x86_32 abi_x86_64 abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 "
			"abi_s390_64 python_single_target_python3_11 python_single_target_python3_12 "
			"python_single_target_python3_13 python_single_target_python3_14 secureboot";
	hs_iuse *iuse = NULL;
	hs_useset *use = NULL;
	char *d = NULL;

	assert_int_equal(hs_iuse_parse(NULL, &iuse, s, strlen(s)), 0);
	assert_int_equal(hs_useset_count(hs_iuse_flags(iuse)), 51);
	assert_int_equal(hs_iuse_defaults(iuse, &d), 0);
	assert_string_equal(d, "dns-over-tls gcrypt kernel-install kmod lz4 openssl resolvconf seccomp zstd");
	assert_int_equal(hs_useset_new(&use), 0);
	assert_int_equal(hs_useset_apply_list(NULL, use, d, strlen(d), hs_iuse_flags(iuse)), 0);
	assert_int_equal(hs_useset_count(use), 9);
	assert_true(hs_useset_has(use, "openssl", 7));
	free(d);
	hs_useset_free(use);
	hs_iuse_free(iuse);
}

/* Lookups compare an eight-byte key first: flags that share it, are shorter than it, are prefixes of each other
 * or hold bytes above 0x7f must still be found exactly, and iteration stays in byte order. */
static void test_lookup_keys(void **state)
{
	static const char *const flags[] = {
		"a", "ab", "abc", "abcdefg", "abcdefgh", "abcdefgh_", "abcdefghi", "abcdefgi", "abcdefgh\x7f",
		"abcdefgh\x80", "\xc3\xa9t\xc3\xa9", "python_single_target_python3_11", "python_single_target_python3_12",
		"python_single_target_python3_1", "python_single_target_python3_13_t", "python_s", "python_t", "z",
		"abi_x86_32", "abi_x86_64", "abi_x86_x32", "abi_mips_n32", "abi_s390_32", "Z", "0", "_",
	};
	static const char *const absent[] = {
		"", "abcd", "abcdefgh_x", "abcdefghij", "python_single_target_python3_14", "python_single",
		"python_single_target_python3_1x", "abi_x86_", "abi_x86_3", "abi_x86_320", "zz", "\xc3", "abcdefgg",
	};
	hs_useset *s = NULL;
	const char *prev = NULL;
	char *names[ELEMENTSOF(flags) + ELEMENTSOF(absent)];
	size_t lens[ELEMENTSOF(flags) + ELEMENTSOF(absent)], n = 0;
	uint8_t out[ELEMENTSOF(flags) + ELEMENTSOF(absent)];

	assert_int_equal(hs_useset_new(&s), 0);
	for (size_t i = ELEMENTSOF(flags); i-- > 0;)
		assert_int_equal(hs_useset_add(s, flags[i], strlen(flags[i])), 1);
	assert_int_equal(hs_useset_count(s), ELEMENTSOF(flags));
	for (size_t i = 0; i < hs_useset_count(s); i++) {
		const char *f = hs_useset_get(s, i);

		if (prev && strcmp(prev, f) >= 0)
			fail_msg("'%s' before '%s': not in byte order", prev, f);
		prev = f;
	}
	for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
		assert_true(hs_useset_has(s, flags[i], strlen(flags[i])));
		assert_int_equal(hs_useset_add(s, flags[i], strlen(flags[i])), 0);
		/* a prefix of a flag is another flag or none */
		for (size_t k = 0; k < strlen(flags[i]); k++) {
			bool listed = false;

			for (size_t j = 0; j < ELEMENTSOF(flags); j++)
				listed |= strlen(flags[j]) == k && memcmp(flags[j], flags[i], k) == 0;
			assert_int_equal(hs_useset_has(s, flags[i], k), listed);
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(absent); i++)
		assert_false(hs_useset_has(s, absent[i], strlen(absent[i])));

	/* the merge lookup of a sorted list (as hs_requse keeps its flags) agrees with hs_useset_has() */
	for (size_t i = 0; i < ELEMENTSOF(flags); i++)
		names[n++] = (char *)flags[i];
	for (size_t i = 0; i < ELEMENTSOF(absent); i++)
		names[n++] = (char *)absent[i];
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(names[i]);
	for (size_t first = 0; first < n; first++) {
		/* n - first flags against the set: a merge, and binary searches once the list is short */
		hs_useset_has_sorted(s, names + first, lens + first, n - first, out);
		for (size_t i = first; i < n; i++)
			if (out[i - first] != hs_useset_has(s, names[i], lens[i]))
				fail_msg("'%s': hs_useset_has_sorted says %d", names[i], out[i - first]);
	}
	hs_useset_has_sorted(NULL, names, lens, n, out);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], 0);
	hs_useset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_add_list_and_ops),
		cmocka_unit_test(test_many_flags),
		cmocka_unit_test(test_apply_tokens),
		cmocka_unit_test(test_apply_list_stacking),
		cmocka_unit_test(test_tokens_expand),
		cmocka_unit_test(test_flag_valid),
		cmocka_unit_test(test_iuse),
		cmocka_unit_test(test_iuse_systemd),
		cmocka_unit_test(test_lookup_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
