/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for REQUIRED_USE. The first 4 bytes choose the setting, the rest is the expression
 * (passed as it is: not NUL-terminated):
 *   byte 0: EAPI (low nibble, mod 10: 9 means "newer than 8"); 0x40 pins flags for the solver (by byte 2's
 *           bits); 0x80 drops one flag from IUSE (so the "not in IUSE" paths run)
 *   byte 1-2: which flags are enabled (flag i, in byte order, is on when bit i % 16 is set)
 *   byte 3: which flag the solver is asked to enable (low nibble, none when out of range), 0x10 asks to
 *           disable it instead
 * Invariants (trap when broken):
 *  - a failed parse is -EINVAL with an "invalid REQUIRED_USE…" message and no object;
 *  - format → parse → format is the identity, and the human style is the raw one with `||`/`^^`/`??` renamed;
 *  - check and reduce agree: reduce gives "" exactly when check gives 1; both fail alike on IUSE;
 *  - for small expressions, solve returns a solution that satisfies check, keeps pinned flags and flags outside
 *    the expression, honours the request and changes no more flags than a brute-force search needs; it returns
 *    -EDOM exactly when brute force finds no solution.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homesetup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 4
#define SOLVE_MAX_FLAGS 10
#define SOLVE_MAX_LEN 400
#define OUTSIDE ".outside" /* not a valid flag name: never in an expression */

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* The raw text with the operators renamed as emerge's human_readable_required_use() does. */
static char *humanise(const char *raw)
{
	size_t n = strlen(raw);
	char *out = malloc(n * 8 + 1), *w = out;
	const char *p = raw;

	if (!out)
		return NULL;
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *rep = NULL;

		if (len == 2 && p[0] == '|' && p[1] == '|')
			rep = "any-of";
		else if (len == 2 && p[0] == '^' && p[1] == '^')
			rep = "exactly-one-of";
		else if (len == 2 && p[0] == '?' && p[1] == '?')
			rep = "at-most-one-of";
		if (rep) {
			memcpy(w, rep, strlen(rep));
			w += strlen(rep);
		} else {
			memcpy(w, p, len);
			w += len;
		}
		p += len;
		if (*p == ' ')
			*w++ = *p++;
	}
	*w = '\0';
	return out;
}

static hs_useset *subset(const hs_useset *flags, unsigned mask, bool outside)
{
	hs_useset *s = NULL;

	if (hs_useset_new(&s) < 0)
		return NULL;
	for (size_t i = 0; i < hs_useset_count(flags); i++) {
		const char *f = hs_useset_get(flags, i);

		if ((mask >> (i % 16)) & 1)
			hs_useset_add(s, f, strlen(f));
	}
	if (outside)
		hs_useset_add(s, OUTSIDE, strlen(OUTSIDE));
	return s;
}

/* The fewest flag changes (among `free_mask`) from `start` that satisfy r, or -1 when none does. */
static int brute_force(const hs_requse *r, const hs_useset *flags, unsigned start, unsigned free_mask)
{
	int best = -1;

	for (unsigned m = 0; m < (1u << hs_useset_count(flags)); m++) {
		hs_useset *u;
		int n = __builtin_popcount(m);

		if ((m & ~free_mask) || (best >= 0 && n >= best))
			continue;
		u = subset(flags, start ^ m, false);
		if (!u)
			return -2;
		if (hs_requse_check(NULL, r, u, NULL) == 1)
			best = n;
		hs_useset_free(u);
	}
	return best;
}

static void fuzz_solve(hs_ctx *ctx, const hs_requse *r, const hs_useset *flags, const hs_useset *iuse,
		       const uint8_t *hdr)
{
	size_t nf = hs_useset_count(flags);
	unsigned usem = 0, pinm = 0, wantm = 0, start, free_mask;
	bool want_off = hdr[3] & 0x10;
	hs_useset *use = NULL, *want = NULL, *pinned = NULL, *empty = NULL;
	hs_requse_solution *sol = (hs_requse_solution *)&sol;
	int ret, best;

	for (size_t i = 0; i < nf; i++) {
		usem |= ((((unsigned)hdr[1] | (unsigned)hdr[2] << 8) >> (i % 16)) & 1u) << i;
		if ((hdr[0] & 0x40) && ((hdr[2] >> (i % 8)) & 1))
			pinm |= 1u << i;
	}
	if ((size_t)(hdr[3] & 0x0f) < nf)
		wantm = 1u << (hdr[3] & 0x0f);
	use = subset(flags, 0, true);
	want = subset(flags, 0, false);
	pinned = subset(flags, 0, false);
	if (hs_useset_new(&empty) < 0 || !use || !want || !pinned)
		goto out;
	for (size_t i = 0; i < nf; i++) {
		const char *f = hs_useset_get(flags, i);

		if (usem & (1u << i))
			hs_useset_add(use, f, strlen(f));
		if (wantm & (1u << i))
			hs_useset_add(want, f, strlen(f));
		if (pinm & (1u << i))
			hs_useset_add(pinned, f, strlen(f));
	}

	ret = hs_requse_solve(ctx, &sol, r, use, iuse, want_off ? empty : want, want_off ? want : empty, pinned);
	if (ret == -ENOMEM)
		goto out;
	if (hs_useset_count(iuse) < nf) {
		/* a flag of the expression is missing from IUSE */
		check(ret == -EINVAL && sol == NULL);
		goto out;
	}
	start = want_off ? usem & ~wantm : usem | wantm;
	free_mask = ((1u << nf) - 1) & ~wantm & ~pinm;
	if (wantm & pinm & (start ^ usem))
		best = -1; /* the request itself contradicts a pinned flag */
	else
		best = brute_force(r, flags, start, free_mask);
	if (best == -2)
		goto out;
	if (best < 0) {
		check(ret == -EDOM && sol == NULL && hs_ctx_last_errno(ctx) == -EDOM && hs_ctx_last_error(ctx)[0]);
		goto out;
	}
	check(ret == 0 && sol != NULL);
	{
		const hs_useset *after = hs_requse_solution_use(sol);
		size_t changes = 0;

		check(hs_requse_check(NULL, r, after, iuse) == 1);
		check(hs_useset_has(after, OUTSIDE, strlen(OUTSIDE)));
		for (size_t i = 0; i < nf; i++) {
			const char *f = hs_useset_get(flags, i);
			bool on = hs_useset_has(after, f, strlen(f));

			if (wantm & (1u << i))
				check(on == !want_off);
			else if (pinm & (1u << i))
				check(on == !!(usem & (1u << i)));
		}
		for (size_t i = 0; i < hs_requse_solution_count(sol); i++) {
			const hs_requse_change *c = hs_requse_solution_get(sol, i);

			check(c && c->flag && c->reason);
			/* (a flag may be called "requested": count by the request, not by the reason) */
			if (!hs_useset_has(want, c->flag, strlen(c->flag)))
				changes++;
		}
		check(changes == (size_t)best);
	}
	hs_requse_solution_free(sol);
out:
	hs_useset_free(use);
	hs_useset_free(want);
	hs_useset_free(pinned);
	hs_useset_free(empty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_requse *r = (hs_requse *)&r, *r2 = NULL;
	hs_useset *flags = NULL, *iuse = NULL, *use = NULL;
	char *raw = NULL, *raw2 = NULL, *human = NULL, *want_human = NULL, *red = NULL, *red_h = NULL;
	const char *text;
	size_t len;
	int eapi, ret, c;

	if (size < HEADER)
		return 0;
	eapi = (data[0] & 0x0f) % 10;
	text = (const char *)data + HEADER;
	len = size - HEADER;
	if (hs_ctx_new(&ctx) < 0)
		return 0;

	ret = hs_requse_parse(ctx, &r, text, len, eapi);
	if (ret == -ENOMEM)
		goto out;
	if (ret != 0) {
		check(ret == -EINVAL && r == NULL && hs_ctx_last_errno(ctx) == -EINVAL &&
		      strncmp(hs_ctx_last_error(ctx), "invalid REQUIRED_USE token '", 28) == 0);
		goto out;
	}
	check(r != NULL);

	/* format is a fixed point */
	if (hs_requse_format(r, HS_REQUSE_RAW, &raw) < 0 || hs_requse_format(r, HS_REQUSE_HUMAN, &human) < 0)
		goto out;
	ret = hs_requse_parse(ctx, &r2, raw, strlen(raw), eapi);
	if (ret == -ENOMEM)
		goto out;
	check(ret == 0);
	if (hs_requse_format(r2, HS_REQUSE_RAW, &raw2) < 0)
		goto out;
	check(strcmp(raw, raw2) == 0);
	want_human = humanise(raw);
	if (!want_human)
		goto out;
	check(strcmp(human, want_human) == 0);

	/* check and reduce agree */
	if (hs_requse_flags(r, &flags) < 0 || hs_useset_dup(&iuse, flags) < 0)
		goto out;
	if ((data[0] & 0x80) && hs_useset_count(flags) > 0) {
		const char *f = hs_useset_get(flags, data[1] % hs_useset_count(flags));

		hs_useset_remove(iuse, f, strlen(f));
	}
	use = subset(flags, (unsigned)data[1] | (unsigned)data[2] << 8, true);
	if (!use)
		goto out;
	c = hs_requse_check(ctx, r, use, iuse);
	if (c == -ENOMEM)
		goto out;
	ret = hs_requse_reduce(ctx, r, use, iuse, HS_REQUSE_RAW, &red);
	if (ret == -ENOMEM)
		goto out;
	if (c < 0) {
		check(c == -EINVAL && ret == -EINVAL && strncmp(hs_ctx_last_error(ctx), "USE flag '", 10) == 0 &&
		      hs_useset_count(iuse) < hs_useset_count(flags));
	} else {
		check(c == 0 || c == 1);
		check(ret == 0 && (red[0] == '\0') == (c == 1));
		check(hs_requse_check(ctx, r, use, NULL) == c);
		if (hs_requse_reduce(ctx, r, use, NULL, HS_REQUSE_HUMAN, &red_h) < 0)
			goto out;
		free(want_human);
		want_human = humanise(red);
		if (!want_human)
			goto out;
		check(strcmp(red_h, want_human) == 0);
	}

	if (hs_useset_count(flags) <= SOLVE_MAX_FLAGS && len <= SOLVE_MAX_LEN)
		fuzz_solve(ctx, r, flags, iuse, data);
out:
	free(raw);
	free(raw2);
	free(human);
	free(want_human);
	free(red);
	free(red_h);
	hs_useset_free(flags);
	hs_useset_free(iuse);
	hs_useset_free(use);
	if (r != (hs_requse *)&r)
		hs_requse_free(r);
	hs_requse_free(r2);
	hs_ctx_free(ctx);
	return 0;
}
