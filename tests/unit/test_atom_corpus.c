/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms over the benchmark's corpus (bench/gen_corpus.c: 100,000 generated atoms with operators, blockers,
 * slots, sub-slots, slot operators, repositories and USE deps): hs_atom_parse_into() into one buffer reused for
 * the whole corpus gives what hs_atom_parse() gives for every atom (every field, the canonical text, the order),
 * also right after an invalid atom was parsed into that buffer, and with flags that reject part of the corpus
 * the same verdicts and messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "homesetupP.h"

/* The corpus generator is written to be included (the benchmark does the same); not all of it is used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../../bench/gen_corpus.c"
#pragma GCC diagnostic pop

static const char *opt(const char *s)
{
	return s ? s : "(none)";
}

/* Atom i parsed both ways: every getter agrees, and the two format and order the same. */
static void expect_same(size_t i, const hs_atom *a, const hs_atom *b)
{
	const hs_version *va = hs_atom_version(a), *vb = hs_atom_version(b);
	char *fa = NULL, *fb = NULL;
	bool same;

	assert_int_equal(hs_atom_format(a, &fa), 0);
	assert_int_equal(hs_atom_format(b, &fb), 0);
	same = strcmp(fa, fb) == 0 && strcmp(hs_atom_category(a), hs_atom_category(b)) == 0 &&
	       strcmp(hs_atom_package(a), hs_atom_package(b)) == 0 && (va == NULL) == (vb == NULL) &&
	       (!va || (strcmp(hs_version_str(va), hs_version_str(vb)) == 0 && hs_version_compare(va, vb) == 0)) &&
	       strcmp(opt(hs_atom_slot(a)), opt(hs_atom_slot(b))) == 0 &&
	       strcmp(opt(hs_atom_subslot(a)), opt(hs_atom_subslot(b))) == 0 &&
	       strcmp(opt(hs_atom_repo(a)), opt(hs_atom_repo(b))) == 0 && hs_atom_op_get(a) == hs_atom_op_get(b) &&
	       hs_atom_blocker(a) == hs_atom_blocker(b) && hs_atom_slot_op(a) == hs_atom_slot_op(b) &&
	       hs_atom_is_wildcard(a) == hs_atom_is_wildcard(b) && hs_atom_specificity(a) == hs_atom_specificity(b) &&
	       hs_atom_usedep_count(a) == hs_atom_usedep_count(b) && hs_atom_compare(a, b) == 0 &&
	       hs_atom_compare(b, a) == 0;
	for (size_t k = 0; same && k < hs_atom_usedep_count(a); k++) {
		const hs_usedep *x = hs_atom_usedep(a, k), *y = hs_atom_usedep(b, k);

		same = strcmp(x->flag, y->flag) == 0 && x->kind == y->kind && x->dflt == y->dflt;
	}
	if (!same)
		fail_msg("atom %zu '%.*s': parsed into a buffer as '%s', freshly as '%s'", i + 1, (int)atoms[i].len,
			 corpus.p + atoms[i].off, fb, fa);
	free(fa);
	free(fb);
}

/* Atom i with flags, both ways: the same verdict, the same message, the same atom. Returns the verdict. */
static int check_one(hs_ctx *ctx, hs_atom_buf *buf, size_t i, const char *s, size_t len, unsigned flags)
{
	_cleanup_(hs_atom_freep) hs_atom *a = NULL;
	_cleanup_free_ char *msg = NULL;
	const hs_atom *b = (const hs_atom *)&b;
	int r = hs_atom_parse(ctx, &a, s, len, flags), r2;

	if (r < 0) {
		msg = strdup(hs_ctx_last_error(ctx));
		assert_non_null(msg);
	}
	r2 = hs_atom_parse_into(ctx, &b, buf, s, len, flags);
	if (r2 != r)
		fail_msg("atom %zu '%.*s' (flags %#x): hs_atom_parse %d, hs_atom_parse_into %d", i + 1, (int)len, s, flags,
			 r, r2);
	if (r < 0) {
		assert_null(b);
		assert_string_equal(hs_ctx_last_error(ctx), msg);
	} else
		expect_same(i, a, b);
	return r;
}

static void test_corpus_into_equals_fresh(void **state)
{
	hs_atom_buf *buf = NULL;
	hs_ctx *ctx = NULL;
	size_t rejected = 0, broken = 0;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_atom_buf_new(&buf), 0);
	build_corpus();
	for (size_t i = 0; i < N_ATOMS; i++) {
		const char *s = corpus.p + atoms[i].off;
		size_t len = atoms[i].len;

		/* the corpus is valid with ::repo allowed */
		assert_int_equal(check_one(ctx, buf, i, s, len, HS_ATOM_ALLOW_REPO), 0);
		/* package.use's flags reject the USE deps and blockers of part of it */
		if (i % 3 == 0)
			rejected += check_one(ctx, buf, i, s, len, HS_ATOM_USER_CONFIG) < 0;
		/* an atom broken in its middle (then the next one parses into the same buffer) */
		if (i % 7 == 0) {
			char copy[512];

			assert_true(len < sizeof(copy));
			memcpy(copy, s, len);
			copy[len / 2] = (char)(i % 2 ? '\t' : '/');
			broken += check_one(ctx, buf, i, copy, len, HS_ATOM_ALLOW_REPO) < 0;
		}
	}
	/* both verdicts were exercised by the flags and by the broken atoms */
	assert_true(rejected > N_ATOMS / 3 / 100 && rejected < N_ATOMS / 3);
	assert_true(broken > N_ATOMS / 7 / 2);
	print_message("# %d atoms; %zu of %d rejected as user config; %zu of %d broken ones invalid\n", N_ATOMS,
		      rejected, (N_ATOMS + 2) / 3, broken, (N_ATOMS + 6) / 7);
	hs_atom_buf_free(buf);
	hs_ctx_free(ctx);
	free(atoms);
	free(corpus.p);
	free(vers.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_into_equals_fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
