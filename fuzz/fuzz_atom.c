/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for atoms. The input is parsed with each flag combination (PMS, user config, cpv, repo).
 * A valid atom must format to text that parses again, with the same flags, into an equal atom
 * (hs_atom_compare() == 0) formatting to the same text; a failure must be -EINVAL with a message. The atom
 * parser's own recogniser of versions must agree with version.c: "=c/p-INPUT" has the version INPUT exactly
 * when INPUT is a version. When the input splits at a TAB, both halves are compared: hs_atom_compare() must be
 * antisymmetric and hs_atom_intersects() symmetric. hs_atom_parse_into(), into one buffer kept from input to
 * input (so it holds whatever the previous inputs left, valid or not), must agree with hs_atom_parse(): the same
 * verdict, the same message, an equal atom formatting to the same text. Invariant violations trap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homesetup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned flag_sets[] = { 0, HS_ATOM_USER_CONFIG, HS_ATOM_CPV, HS_ATOM_ALLOW_REPO };

static int sgn(int r)
{
	return (r > 0) - (r < 0);
}

/* An exact-size heap copy, so ASan catches a read past len. */
static char *copy_exact(const void *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	if (c && len)
		memcpy(c, p, len);
	return c;
}

/* Parse with checks that hold for any input; NULL when invalid (or out of memory). */
static hs_atom *parse_checked(hs_ctx *ctx, const char *s, size_t len, unsigned flags)
{
	hs_atom *a = (hs_atom *)&a; /* must be reset to NULL on failure */
	int r;

	hs_ctx_clear_error(ctx);
	r = hs_atom_parse(ctx, &a, s, len, flags);
	if (r == -ENOMEM)
		return NULL;
	if (r != 0) {
		if (r != -EINVAL || a || hs_ctx_last_errno(ctx) != -EINVAL ||
		    strncmp(hs_ctx_last_error(ctx), "invalid atom '", 14) != 0)
			__builtin_trap();
		return NULL;
	}
	if (!a)
		__builtin_trap();
	/* what the flags forbid never gets through */
	if ((flags & HS_ATOM_NO_USE) && hs_atom_usedep_count(a) > 0)
		__builtin_trap();
	if ((flags & HS_ATOM_NO_BLOCKER) && hs_atom_blocker(a) != HS_BLOCK_NONE)
		__builtin_trap();
	if (!(flags & HS_ATOM_ALLOW_REPO) && hs_atom_repo(a))
		__builtin_trap();
	if (!(flags & HS_ATOM_ALLOW_WILDCARD) && hs_atom_is_wildcard(a))
		__builtin_trap();
	if ((flags & HS_ATOM_CPV) && !hs_atom_version(a))
		__builtin_trap();
	if (hs_atom_op_get(a) == HS_OP_NONE && hs_atom_version(a))
		__builtin_trap();
	if (hs_atom_op_get(a) != HS_OP_NONE && !hs_atom_version(a) && !hs_atom_is_wildcard(a))
		__builtin_trap();
	if (hs_atom_specificity(a) < -2 || hs_atom_specificity(a) > 6)
		__builtin_trap();
	if (hs_atom_compare(a, a) != 0)
		__builtin_trap();
	for (size_t i = 0; i < hs_atom_usedep_count(a); i++)
		if (!hs_atom_usedep(a, i) || !hs_atom_usedep(a, i)->flag[0])
			__builtin_trap();
	if (hs_atom_usedep(a, hs_atom_usedep_count(a)))
		__builtin_trap();
	return a;
}

/* The buffer of hs_atom_parse_into(), reused by every input (reachable until exit, so never a leak). */
static hs_atom_buf *shared_buf;

/* hs_atom_parse_into() of s[0..len) agrees with hs_atom_parse(), which gave a (NULL: the error msg). */
static void check_into(hs_ctx *ctx, const char *s, size_t len, unsigned flags, const hs_atom *a, const char *msg)
{
	const hs_atom *b = (const hs_atom *)&b; /* must be reset to NULL on failure */
	char *ta = NULL, *tb = NULL;
	int r;

	if (!shared_buf && hs_atom_buf_new(&shared_buf) < 0)
		return;
	hs_ctx_clear_error(ctx);
	r = hs_atom_parse_into(ctx, &b, shared_buf, s, len, flags);
	if (r == -ENOMEM || (!a && !msg))
		return; /* out of memory, here or in hs_atom_parse() */
	if (r < 0) {
		if (r != -EINVAL || b || a || strcmp(hs_ctx_last_error(ctx), msg) != 0)
			__builtin_trap();
		return;
	}
	if (!b || !a || hs_atom_compare(a, b) != 0 || hs_atom_compare(b, a) != 0)
		__builtin_trap();
	if (hs_atom_format(a, &ta) == 0 && hs_atom_format(b, &tb) == 0 && strcmp(ta, tb) != 0)
		__builtin_trap();
	free(ta);
	free(tb);
}

/* format → parse → equal atom, same text. */
static void check_roundtrip(hs_ctx *ctx, const hs_atom *a, unsigned flags)
{
	char *t1 = NULL, *t2 = NULL, *copy;
	hs_atom *b;
	size_t n;

	if (hs_atom_format(a, &t1) < 0)
		return;
	n = strlen(t1);
	copy = copy_exact(t1, n);
	if (!copy)
		goto out;
	b = parse_checked(ctx, copy, n, flags);
	free(copy);
	if (!b) {
		if (hs_ctx_last_errno(ctx) == -ENOMEM)
			goto out;
		__builtin_trap();
	}
	if (hs_atom_compare(a, b) != 0 || hs_atom_compare(b, a) != 0)
		__builtin_trap();
	if (hs_atom_format(b, &t2) == 0 && strcmp(t1, t2) != 0)
		__builtin_trap();
	hs_atom_free(b);
out:
	free(t1);
	free(t2);
}

/* "=c/p-X" must carry the version X exactly when X is a version. */
static void check_version_agreement(hs_ctx *ctx, const uint8_t *data, size_t size)
{
	hs_version *v = NULL;
	hs_atom *a = NULL;
	char *x, *atom;
	bool is_version, has_it;

	if (size > 512)
		return;
	x = copy_exact(data, size);
	atom = malloc(size + 6);
	if (!x || !atom)
		goto out;
	memcpy(atom, "=c/p-", 5);
	memcpy(atom + 5, data, size);
	is_version = hs_version_parse(NULL, &v, x, size) == 0;
	a = parse_checked(ctx, atom, size + 5, 0);
	has_it = a && hs_atom_version(a) && strlen(hs_version_str(hs_atom_version(a))) == size &&
		 memcmp(hs_version_str(hs_atom_version(a)), data, size) == 0 && strcmp(hs_atom_package(a), "p") == 0;
	if (is_version != has_it && !(is_version && !a && hs_ctx_last_errno(ctx) == -ENOMEM))
		__builtin_trap();
out:
	hs_atom_free(a);
	hs_version_free(v);
	free(x);
	free(atom);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *tab = memchr(data, '\t', size);
	hs_ctx *ctx = NULL;
	char *whole;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	whole = copy_exact(data, size);
	if (whole) {
		for (size_t k = 0; k < sizeof(flag_sets) / sizeof(flag_sets[0]); k++) {
			hs_atom *a = parse_checked(ctx, whole, size, flag_sets[k]);
			char *msg = a || hs_ctx_last_errno(ctx) != -EINVAL ? NULL : strdup(hs_ctx_last_error(ctx));

			check_into(ctx, whole, size, flag_sets[k], a, msg);
			free(msg);
			if (a)
				check_roundtrip(ctx, a, flag_sets[k]);
			hs_atom_free(a);
		}
	}
	free(whole);
	check_version_agreement(ctx, data, size);

	if (tab) {
		size_t alen = (size_t)(tab - data), blen = size - alen - 1;
		unsigned f = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD;
		char *sa = copy_exact(data, alen), *sb = copy_exact(tab + 1, blen);
		hs_atom *a = sa ? parse_checked(ctx, sa, alen, f) : NULL;
		hs_atom *b = sb ? parse_checked(ctx, sb, blen, f) : NULL;

		if (a && b) {
			if (sgn(hs_atom_compare(a, b)) != -sgn(hs_atom_compare(b, a)))
				__builtin_trap();
			if (hs_atom_intersects(a, b) != hs_atom_intersects(b, a))
				__builtin_trap();
		}
		hs_atom_free(a);
		hs_atom_free(b);
		free(sa);
		free(sb);
	}
	hs_ctx_free(ctx);
	return 0;
}
