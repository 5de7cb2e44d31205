/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for versions. The input is parsed as a version; when it splits at a TAB into two, both
 * halves are also compared: hs_vercmp() must be antisymmetric and agree with hs_version_compare() on the
 * parsed versions, and it must fail exactly when one half does not parse. Invariant violations trap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homesetup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sgn(int r)
{
	return (r > 0) - (r < 0);
}

/* An exact-size heap copy, so ASan catches a read past len (the fuzzer's buffer continues past a TAB). */
static char *copy_exact(const uint8_t *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	if (c && len)
		memcpy(c, p, len);
	return c;
}

/* Parse and check what must hold for any single version. NULL when invalid. */
static hs_version *parse_checked(hs_ctx *ctx, const char *s, size_t len)
{
	hs_version *v = NULL;
	const char *str, *norev, *rev;
	size_t nl, rl;
	int r, res = 7;

	r = hs_version_parse(ctx, &v, s, len);
	if (r != 0) {
		if (r != -EINVAL || v || hs_ctx_last_errno(ctx) != -EINVAL || !*hs_ctx_last_error(ctx))
			__builtin_trap();
		if (hs_vercmp(NULL, s, len, "0", 1, &res) != -EINVAL || res != 7)
			__builtin_trap();
		return NULL;
	}
	str = hs_version_str(v);
	norev = hs_version_str_norev(v);
	rev = hs_version_revision(v);
	nl = strlen(norev);
	rl = strlen(rev);
	if (strlen(str) != len || memcmp(str, s, len) != 0)
		__builtin_trap();
	/* text == norev, or norev "-r" rev */
	if (rl == 0 ? nl != len
		    : (nl + 2 + rl != len || memcmp(str, norev, nl) != 0 || memcmp(str + nl, "-r", 2) != 0 ||
		       memcmp(str + nl + 2, rev, rl) != 0))
		__builtin_trap();
	if (hs_version_compare(v, v) != 0 || hs_version_compare_norev(v, v) != 0 || !hs_version_match_glob(v, v))
		__builtin_trap();
	if (hs_vercmp(NULL, s, len, s, len, &res) != 0 || res != 0)
		__builtin_trap();
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *tab = memchr(data, '\t', size);
	char *whole, *a = NULL, *b = NULL;
	hs_version *va = NULL, *vb = NULL;
	hs_ctx *ctx = NULL;
	size_t alen, blen;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	whole = copy_exact(data, size);
	if (whole)
		hs_version_free(parse_checked(ctx, whole, size));
	free(whole);
	if (!tab)
		goto out;

	alen = (size_t)(tab - data);
	blen = size - alen - 1;
	a = copy_exact(data, alen);
	b = copy_exact(tab + 1, blen);
	if (!a || !b)
		goto out;
	va = parse_checked(ctx, a, alen);
	vb = parse_checked(ctx, b, blen);
	{
		int ab = 9, ba = 9, r1, r2;

		r1 = hs_vercmp(ctx, a, alen, b, blen, &ab);
		r2 = hs_vercmp(NULL, b, blen, a, alen, &ba);
		if (!va || !vb) {
			if (r1 != -EINVAL || r2 != -EINVAL || ab != 9 || ba != 9)
				__builtin_trap();
			goto out;
		}
		if (r1 != 0 || r2 != 0)
			__builtin_trap();
		/* antisymmetry, and agreement with the parsed comparison */
		if (sgn(ab) != -sgn(ba) || sgn(hs_version_compare(va, vb)) != sgn(ab) ||
		    sgn(hs_version_compare(vb, va)) != sgn(ba))
			__builtin_trap();
		{
			int n1 = sgn(hs_version_compare_norev(va, vb)), n2 = sgn(hs_version_compare_norev(vb, va));

			/* ignoring revisions: antisymmetric, equal stays equal, never the opposite order */
			if (n1 != -n2 || (ab == 0 && n1 != 0) || (n1 != 0 && n1 != sgn(ab)))
				__builtin_trap();
		}
		/* globs both ways only for the same text after the first number's leading zeros: equal versions */
		if (hs_version_match_glob(va, vb) && hs_version_match_glob(vb, va) && ab != 0)
			__builtin_trap();
	}
out:
	hs_version_free(va);
	hs_version_free(vb);
	free(a);
	free(b);
	hs_ctx_free(ctx);
	return 0;
}
