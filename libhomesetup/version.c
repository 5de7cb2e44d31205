/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Versions: parsing and ordering per PMS "Version comparison" (algorithms 3.1-3.7), which is what Portage's
 * lib/portage/versions.py:vercmp() implements, plus the `=ver*` glob of dep/__init__.py:match_from_list().
 *
 * Grammar: [0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|p)[0-9]*)*(-r[0-9]+)?
 *
 * Numbers have no length limit (Portage compares Python integers), so nothing is ever converted to a machine
 * integer: an integer is compared as a digit string without its leading zeros (longer is greater, then bytes),
 * and a component after the first that starts with '0' is compared PMS-style, as a string without its trailing
 * zeros (Portage pads both with trailing zeros to the same length and compares integers, which orders the same
 * way). Deliberate differences from Portage's regex: only ASCII digits are digits (Python's \d accepts any
 * Unicode digit) and a trailing newline is an error (Python's `$` matches before one).
 *
 * A parsed version is one allocation: the struct, the table of components and suffixes (offsets into the
 * text, precomputed so that comparing is a tight loop that never allocates), the text and, when there is a
 * revision, the text without it.
 */
#include "homesetupP.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>

/* Suffix types in ascending order: _alpha < _beta < _pre < _rc < (none) < _p. */
enum suffix_rank {
	SUF_ALPHA,
	SUF_BETA,
	SUF_PRE,
	SUF_RC,
	SUF_P,
};

/* One numeric component or one suffix. Offsets are into the version's text. */
struct vpart {
	uint32_t off;   /* components: first digit (first component: after its leading zeros); suffixes: number
			 * after its leading zeros */
	uint32_t len;   /* length of the digits from off (suffix numbers: "" means 0) */
	uint32_t tzlen; /* components after the first: len without trailing zeros */
	uint32_t rank;  /* suffixes: enum suffix_rank */
};

struct hs_version {
	const char *text;   /* as written, NUL-terminated */
	const char *norev;  /* without "-rN", NUL-terminated (== text when there is no revision) */
	uint32_t len;       /* strlen(text) */
	uint32_t norev_len; /* strlen(norev) */
	uint32_t ncomp;     /* numeric components (>= 1) */
	uint32_t nsuf;      /* suffixes */
	uint32_t rev_off;   /* revision digits after their leading zeros ("" means r0) */
	uint32_t rev_len;
	uint32_t glob_off;  /* text with the first number's leading zeros dropped (one digit kept), for =ver* */
	unsigned char letter; /* 0 when absent */
	struct vpart parts[]; /* ncomp components, then nsuf suffixes; the text and norev copies follow */
};

/* Where the pieces of a valid version are; filled by version_scan() without allocating. */
struct vscan {
	size_t comp_end;  /* end of the numeric components */
	size_t ncomp;
	size_t suf_start; /* suffixes ("_alpha1_p") span [suf_start, suf_end) */
	size_t suf_end;
	size_t nsuf;
	size_t norev_len; /* offset of "-r", or the whole length */
	size_t rev_off;   /* first digit of the revision (== len when absent) */
	unsigned char letter;
};

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static inline size_t skip_digits(const char *s, size_t i, size_t len)
{
	while (i < len && is_digit(s[i]))
		i++;
	return i;
}

/* Describe one byte for a message: 'x' when printable, otherwise its value. */
static const char *describe_byte(char buf[static 16], char c)
{
	unsigned char u = (unsigned char)c;

	if (u == ' ')
		snprintf(buf, 16, "a space");
	else if (u > 0x20 && u < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", u);
	return buf;
}

/* Record "invalid version 'TEXT' at column N: WHY" (pos is 0-based; pos == len means "at the end"). */
static int version_error(hs_ctx *ctx, const char *s, size_t len, size_t pos, const char *fmt, ...) _printf_(5, 6);
static int version_error(hs_ctx *ctx, const char *s, size_t len, size_t pos, const char *fmt, ...)
{
	_cleanup_free_ char *quoted = NULL;
	char why[256];
	va_list ap;

	if (!ctx) /* nothing to record: keep hs_vercmp(NULL, ...) allocation-free even on bad input */
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (len > 0)
		quoted = hs_escape(s, len, 128);
	return hs_ctx_set_error(ctx, -EINVAL, "invalid version '%s' at column %zu: %s",
				len == 0 ? "" : quoted ? quoted : "?", pos + 1, why);
}

/* The suffix name at s[0..n), or -1. */
static int suffix_rank_of(const char *s, size_t n)
{
	switch (n) {
	case 1:
		return s[0] == 'p' ? SUF_P : -1;
	case 2:
		return memcmp(s, "rc", 2) == 0 ? SUF_RC : -1;
	case 3:
		return memcmp(s, "pre", 3) == 0 ? SUF_PRE : -1;
	case 4:
		return memcmp(s, "beta", 4) == 0 ? SUF_BETA : -1;
	case 5:
		return memcmp(s, "alpha", 5) == 0 ? SUF_ALPHA : -1;
	default:
		return -1;
	}
}

/* The name of a suffix known to be valid, from its first letter and length (no checks). */
static inline int suffix_rank_fast(const char *s, size_t n)
{
	switch (s[0]) {
	case 'a':
		return SUF_ALPHA;
	case 'b':
		return SUF_BETA;
	case 'r':
		return SUF_RC;
	default:
		return n == 1 ? SUF_P : SUF_PRE;
	}
}

/* Validate s[0..len) and find its pieces. Never reads past len, never allocates (except for the message). */
static int version_scan(hs_ctx *ctx, const char *s, size_t len, struct vscan *out)
{
	char b[16];
	size_t i = 0;

	*out = (struct vscan){0};

	if (len == 0)
		return version_error(ctx, s, len, 0, "the version is empty");
	if (!is_digit(s[0])) {
		if (memchr("<>=~!", s[0], 5))
			return version_error(ctx, s, len, 0,
					     "unexpected operator %s: a version starts with a digit (operators belong "
					     "to atoms)", describe_byte(b, s[0]));
		return version_error(ctx, s, len, 0, "expected a digit, got %s", describe_byte(b, s[0]));
	}

	/* numeric components */
	i = skip_digits(s, 0, len);
	out->ncomp = 1;
	while (i < len && s[i] == '.') {
		i++;
		if (i >= len || !is_digit(s[i]))
			return version_error(ctx, s, len, i, "expected a digit after '.'");
		i = skip_digits(s, i, len);
		out->ncomp++;
	}
	out->comp_end = i;

	/* letter */
	if (i < len && is_lower(s[i]))
		out->letter = (unsigned char)s[i++];

	/* suffixes */
	out->suf_start = i;
	while (i < len && s[i] == '_') {
		size_t name = ++i;

		while (i < len && is_lower(s[i]))
			i++;
		if (i == name)
			return version_error(ctx, s, len, i,
					     "expected a suffix name (alpha, beta, pre, rc or p) after '_', got %s",
					     i < len ? describe_byte(b, s[i]) : "the end");
		if (suffix_rank_of(s + name, i - name) < 0)
			return version_error(ctx, s, len, name, "unknown suffix '_%.*s'", (int)(i - name), s + name);
		i = skip_digits(s, i, len);
		out->nsuf++;
	}
	out->suf_end = i;

	/* revision */
	out->norev_len = len;
	out->rev_off = len;
	if (i < len && s[i] == '-') {
		out->norev_len = i++;
		if (i >= len || s[i] != 'r')
			return version_error(ctx, s, len, i, "expected 'r' after '-' (a revision is written -rN), got %s",
					     i < len ? describe_byte(b, s[i]) : "the end");
		i++;
		if (i >= len || !is_digit(s[i]))
			return version_error(ctx, s, len, i, "expected a digit after '-r'");
		out->rev_off = i;
		i = skip_digits(s, i, len);
	}

	if (i < len) {
		if (out->rev_off < len)
			return version_error(ctx, s, len, i, "unexpected %s after the revision '-r%.*s'",
					     describe_byte(b, s[i]), (int)(i - out->rev_off), s + out->rev_off);
		if (out->nsuf > 0)
			return version_error(ctx, s, len, i,
					     "unexpected %s after a suffix (expected '_', '-r' or the end)",
					     describe_byte(b, s[i]));
		if (out->letter)
			return version_error(ctx, s, len, i,
					     "unexpected %s after the letter '%c' (a version has at most one letter, "
					     "after its last number, then only _suffixes and -rN)",
					     describe_byte(b, s[i]), out->letter);
		return version_error(ctx, s, len, i,
				     "unexpected %s (expected a digit, '.', one lowercase letter, '_', '-r' or the end)",
				     describe_byte(b, s[i]));
	}
	return 0;
}

/* ---- element comparisons, shared by the parsed and the streaming comparators ------------------------- */

static inline int sign(int r)
{
	return (r > 0) - (r < 0);
}

static inline int cmp_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return 0;
}

/* Integers written without leading zeros ("" is 0): the longer is greater, then bytewise. */
static inline int cmp_int(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return cmp_bytes(a, b, alen);
}

/* Strings (already without trailing zeros): bytewise, a proper prefix first. */
static inline int cmp_str(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = cmp_bytes(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return (alen > blen) - (alen < blen);
}

/* PMS algorithm 3.3 for a component after the first: a leading 0 on either side means a string comparison
 * without trailing zeros ("1.01" < "1.1", "1.010" == "1.01"), else an integer comparison. */
static inline int cmp_component(const char *a, size_t alen, size_t atz, const char *b, size_t blen, size_t btz)
{
	if (a[0] == '0' || b[0] == '0')
		return cmp_str(a, atz, b, btz);
	return cmp_int(a, alen, b, blen);
}

static inline size_t strip_leading_zeros(const char *s, size_t off, size_t end)
{
	while (off < end && s[off] == '0')
		off++;
	return off;
}

static inline size_t trailing_zero_len(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == '0')
		len--;
	return len;
}

/* ---- parsed versions ---------------------------------------------------------------------------------- */

/* Bytes a version built from a valid scan needs (struct, parts, text, norev copy). 0 on overflow. */
static size_t version_size(const struct vscan *sc, size_t len)
{
	size_t nparts = sc->ncomp + sc->nsuf, size; /* <= len, so no overflow below on 64-bit */

	if (nparts > (SIZE_MAX - sizeof(hs_version) - 2 * len - 2) / sizeof(struct vpart))
		return 0;
	size = sizeof(hs_version) + nparts * sizeof(struct vpart) + len + 1;
	if (sc->rev_off < len)
		size += sc->norev_len + 1;
	return size;
}

/* Fill a version at v (version_size() bytes, suitably aligned) from a valid scan of s. Cannot fail. */
static hs_version *version_build(hs_version *v, const char *s, size_t len, const struct vscan *scan)
{
	const struct vscan sc = *scan;
	size_t nparts = sc.ncomp + sc.nsuf, i, k = 0;
	char *text;

	text = (char *)(v->parts + nparts);
	memcpy(text, s, len);
	text[len] = '\0';
	v->text = text;
	v->len = (uint32_t)len;
	v->norev_len = (uint32_t)sc.norev_len;
	if (sc.rev_off < len) {
		char *norev = text + len + 1;

		memcpy(norev, s, sc.norev_len);
		norev[sc.norev_len] = '\0';
		v->norev = norev;
	} else
		v->norev = text;
	v->ncomp = (uint32_t)sc.ncomp;
	v->nsuf = (uint32_t)sc.nsuf;
	v->letter = sc.letter;
	/* first component: an integer */
	i = skip_digits(s, 0, sc.comp_end);
	{
		size_t lz = strip_leading_zeros(s, 0, i);

		v->parts[k++] = (struct vpart){ .off = (uint32_t)lz, .len = (uint32_t)(i - lz) };
		/* =ver* compares the text with the first number's leading zeros dropped, keeping one digit */
		v->glob_off = (uint32_t)(lz == i ? i - 1 : lz);
	}
	/* further components */
	while (i < sc.comp_end) {
		size_t start = ++i; /* skip '.' */

		i = skip_digits(s, i, sc.comp_end);
		v->parts[k++] = (struct vpart){
			.off = (uint32_t)start,
			.len = (uint32_t)(i - start),
			.tzlen = (uint32_t)trailing_zero_len(s + start, i - start),
		};
	}
	/* suffixes */
	i = sc.suf_start;
	while (i < sc.suf_end) {
		size_t name = ++i, num;
		int rank;

		while (i < sc.suf_end && is_lower(s[i]))
			i++;
		rank = suffix_rank_fast(s + name, i - name);
		num = i;
		i = skip_digits(s, i, sc.suf_end);
		num = strip_leading_zeros(s, num, i);
		v->parts[k++] = (struct vpart){
			.off = (uint32_t)num,
			.len = (uint32_t)(i - num),
			.rank = (uint32_t)rank,
		};
	}
	/* revision */
	{
		size_t ro = strip_leading_zeros(s, sc.rev_off, len);

		v->rev_off = (uint32_t)ro;
		v->rev_len = (uint32_t)(len - ro);
	}

	return v;
}

int hs_version_parse(hs_ctx *ctx, hs_version **out, const char *s, size_t len)
{
	struct vscan sc;
	hs_version *v;
	size_t size;
	int r;

	assert(out);
	assert(s || len == 0);

	if (len > INT32_MAX)
		return version_error(ctx, s, len, 0, "the version is longer than %d bytes", INT32_MAX);
	r = version_scan(ctx, s, len, &sc);
	if (r < 0)
		return r;
	size = version_size(&sc, len);
	if (size == 0)
		return -ENOMEM;
	v = malloc(size);
	if (!v)
		return -ENOMEM;
	*out = version_build(v, s, len, &sc);
	return 0;
}

int hs_version_measure(hs_ctx *ctx, const char *s, size_t len, size_t *size)
{
	struct vscan sc;
	int r;

	if (len > INT32_MAX)
		return version_error(ctx, s, len, 0, "the version is longer than %d bytes", INT32_MAX);
	r = version_scan(ctx, s, len, &sc);
	if (r < 0)
		return r;
	*size = version_size(&sc, len);
	return *size ? 0 : -ENOMEM;
}

/*
 * For a text the caller has already validated (the atom parser's recogniser): no second validation, no exact
 * measure, one pass that builds what version_build() builds. Each part after the first takes at least two
 * bytes ('.' and a digit, '_' and a letter), and the loops below only start a part where that holds, so at
 * most len / 2 + 1 parts are ever written, valid text or not: a text that is not a version gives a
 * meaningless version but never a write past the block.
 */
size_t hs_version_size_valid(size_t len)
{
	if (len > (SIZE_MAX - sizeof(hs_version) - 2 * sizeof(struct vpart)) / (sizeof(struct vpart) + 4))
		return 0;
	return sizeof(hs_version) + (len / 2 + 1) * sizeof(struct vpart) + 2 * (len + 1);
}

hs_version *hs_version_init_valid(void *mem, const char *s, size_t len)
{
	hs_version *v = mem;
	struct vpart *p = v->parts;
	char *t = (char *)(v->parts + len / 2 + 1); /* the copy: its NUL ends every loop below */
	size_t i = 0, lz = 0;

	memcpy(t, s, len);
	t[len] = '\0';
	v->text = v->norev = t;
	v->len = v->norev_len = (uint32_t)len;
	/* first component: an integer */
	while (is_digit(t[i]))
		i++;
	while (lz < i && t[lz] == '0')
		lz++;
	*p++ = (struct vpart){ .off = (uint32_t)lz, .len = (uint32_t)(i - lz) };
	v->glob_off = (uint32_t)(lz == i && i > 0 ? i - 1 : lz);
	while (t[i] == '.' && is_digit(t[i + 1])) {
		size_t start = ++i;

		while (is_digit(t[i]))
			i++;
		*p++ = (struct vpart){
			.off = (uint32_t)start,
			.len = (uint32_t)(i - start),
			.tzlen = (uint32_t)trailing_zero_len(t + start, i - start),
		};
	}
	v->ncomp = (uint32_t)(p - v->parts);
	v->letter = 0;
	if (is_lower(t[i]))
		v->letter = (unsigned char)t[i++];
	while (t[i] == '_' && is_lower(t[i + 1])) {
		size_t name = ++i, num;
		int rank;

		while (is_lower(t[i]))
			i++;
		rank = suffix_rank_fast(t + name, i - name);
		num = i;
		while (is_digit(t[i]))
			i++;
		while (num < i && t[num] == '0')
			num++;
		*p++ = (struct vpart){ .off = (uint32_t)num, .len = (uint32_t)(i - num), .rank = (uint32_t)rank };
	}
	v->nsuf = (uint32_t)(p - v->parts) - v->ncomp;
	/* revision: "-r" and digits, to the end */
	if (t[i] == '-' && i < len) {
		char *norev = t + len + 1;

		memcpy(norev, t, i);
		norev[i] = '\0';
		v->norev = norev;
		v->norev_len = (uint32_t)i;
		i = i + 2 < len ? i + 2 : len;
	} else
		i = len;
	lz = strip_leading_zeros(t, i, len);
	v->rev_off = (uint32_t)lz;
	v->rev_len = (uint32_t)(len - lz);
	return v;
}

void hs_version_free(hs_version *v)
{
	free(v);
}

int hs_version_compare_norev(const hs_version *a, const hs_version *b)
{
	const struct vpart *pa = a->parts, *pb = b->parts;
	const char *ta = a->text, *tb = b->text;
	uint32_t n, i;
	int r;

	/* PMS 3.2: the first component as an integer */
	r = cmp_int(ta + pa[0].off, pa[0].len, tb + pb[0].off, pb[0].len);
	if (r)
		return r;
	/* PMS 3.3, then "more components is greater" (1.0 > 1) */
	n = a->ncomp < b->ncomp ? a->ncomp : b->ncomp;
	for (i = 1; i < n; i++) {
		r = cmp_component(ta + pa[i].off, pa[i].len, pa[i].tzlen, tb + pb[i].off, pb[i].len, pb[i].tzlen);
		if (r)
			return r;
	}
	if (a->ncomp != b->ncomp)
		return a->ncomp < b->ncomp ? -1 : 1;
	/* PMS 3.4: letter, absent below any */
	if (a->letter != b->letter)
		return a->letter < b->letter ? -1 : 1;
	/* PMS 3.5/3.6: suffixes pairwise; type first, then number (missing = 0) */
	pa += a->ncomp;
	pb += b->ncomp;
	n = a->nsuf < b->nsuf ? a->nsuf : b->nsuf;
	for (i = 0; i < n; i++) {
		if (pa[i].rank != pb[i].rank)
			return pa[i].rank < pb[i].rank ? -1 : 1;
		r = cmp_int(ta + pa[i].off, pa[i].len, tb + pb[i].off, pb[i].len);
		if (r)
			return r;
	}
	/* the one with an extra suffix is greater iff that suffix is _p (1_p > 1 > 1_rc) */
	if (a->nsuf > n)
		return pa[n].rank == SUF_P ? 1 : -1;
	if (b->nsuf > n)
		return pb[n].rank == SUF_P ? -1 : 1;
	return 0;
}

int hs_version_compare(const hs_version *a, const hs_version *b)
{
	int r = hs_version_compare_norev(a, b);

	if (r)
		return r;
	/* PMS 3.7: revision as an integer, absent = r0 */
	return cmp_int(a->text + a->rev_off, a->rev_len, b->text + b->rev_off, b->rev_len);
}

/* ---- comparing strings without building objects -------------------------------------------------------- */

/* One side of a streaming comparison: a cursor over a scanned version. */
struct vcursor {
	const char *s;
	const struct vscan *sc;
	size_t i;
};

/* Next suffix at c->i (which is at '_'), or false at the end of the suffixes. */
static inline bool next_suffix(struct vcursor *c, int *rank, const char **num, size_t *numlen)
{
	size_t name, n;

	if (c->i >= c->sc->suf_end)
		return false;
	name = ++c->i;
	while (c->i < c->sc->suf_end && is_lower(c->s[c->i]))
		c->i++;
	*rank = suffix_rank_fast(c->s + name, c->i - name);
	n = c->i;
	c->i = skip_digits(c->s, c->i, c->sc->suf_end);
	n = strip_leading_zeros(c->s, n, c->i);
	*num = c->s + n;
	*numlen = c->i - n;
	return true;
}

/* The same order as hs_version_compare(), walking two valid texts side by side. */
static int compare_scanned(const char *a, size_t alen, const struct vscan *sa,
			   const char *b, size_t blen, const struct vscan *sb)
{
	struct vcursor ca = { a, sa, 0 }, cb = { b, sb, 0 };
	size_t ea, eb, za, zb;
	int r;

	ea = skip_digits(a, 0, sa->comp_end);
	eb = skip_digits(b, 0, sb->comp_end);
	za = strip_leading_zeros(a, 0, ea);
	zb = strip_leading_zeros(b, 0, eb);
	r = cmp_int(a + za, ea - za, b + zb, eb - zb);
	if (r)
		return r;
	ca.i = ea;
	cb.i = eb;
	for (;;) {
		bool ma = ca.i < sa->comp_end, mb = cb.i < sb->comp_end;

		if (!ma || !mb) {
			if (ma != mb)
				return ma ? 1 : -1;
			break;
		}
		ea = skip_digits(a, ++ca.i, sa->comp_end);
		eb = skip_digits(b, ++cb.i, sb->comp_end);
		r = cmp_component(a + ca.i, ea - ca.i, trailing_zero_len(a + ca.i, ea - ca.i),
				  b + cb.i, eb - cb.i, trailing_zero_len(b + cb.i, eb - cb.i));
		if (r)
			return r;
		ca.i = ea;
		cb.i = eb;
	}
	if (sa->letter != sb->letter)
		return sa->letter < sb->letter ? -1 : 1;

	ca.i = sa->suf_start;
	cb.i = sb->suf_start;
	for (;;) {
		const char *na = NULL, *nb = NULL;
		size_t la = 0, lb = 0;
		int ra = 0, rb = 0;
		bool ha = next_suffix(&ca, &ra, &na, &la), hb = next_suffix(&cb, &rb, &nb, &lb);

		if (!ha && !hb)
			break;
		if (!hb)
			return ra == SUF_P ? 1 : -1;
		if (!ha)
			return rb == SUF_P ? -1 : 1;
		if (ra != rb)
			return ra < rb ? -1 : 1;
		r = cmp_int(na, la, nb, lb);
		if (r)
			return r;
	}

	za = strip_leading_zeros(a, sa->rev_off, alen);
	zb = strip_leading_zeros(b, sb->rev_off, blen);
	return cmp_int(a + za, alen - za, b + zb, blen - zb);
}

int hs_vercmp(hs_ctx *ctx, const char *a, size_t alen, const char *b, size_t blen, int *result)
{
	struct vscan sa, sb;
	int r;

	assert(result);
	assert(a || alen == 0);
	assert(b || blen == 0);

	r = version_scan(ctx, a, alen, &sa);
	if (r < 0)
		return r;
	r = version_scan(ctx, b, blen, &sb);
	if (r < 0)
		return r;
	*result = sign(compare_scanned(a, alen, &sa, b, blen, &sb));
	return 0;
}

/*
 * `=ver*`, as Portage's match_from_list() does it: a textual prefix match, not a comparison. Both texts first
 * lose the leading zeros of their first number (one digit is kept: "00.1" -> "0.1"), so =45* matches 045.
 * The revision is part of the text on both sides: =1-r1* matches 1-r1 but not 1-r11, and =1.2-r0* does not
 * match 1.2 written without "-r0". Since bug 560466 the prefix must end on a boundary between version parts:
 * the next character must be '.', '_' or '-', or switch between digit and non-digit. So =1.2* matches 1.2,
 * 1.2.3, 1.2a, 1.2_rc1 (which is *older* than 1.2) and 1.2-r1, but not 1.20; =1_p* matches 1_p1 but not
 * 1_pre1; =1_pre* matches 1_pre1.
 */
bool hs_version_match_glob(const hs_version *prefix, const hs_version *v)
{
	const char *p = prefix->text + prefix->glob_off, *t = v->text + v->glob_off;
	size_t plen = prefix->len - prefix->glob_off, tlen = v->len - v->glob_off;
	char next;

	if (tlen < plen || memcmp(p, t, plen) != 0)
		return false;
	if (tlen == plen)
		return true;
	next = t[plen];
	if (next == '.' || next == '_' || next == '-')
		return true;
	return is_digit(p[plen - 1]) != is_digit(next);
}

const char *hs_version_str(const hs_version *v)
{
	return v->text;
}

const char *hs_version_revision(const hs_version *v)
{
	if (v->norev_len == v->len)
		return v->text + v->len; /* "" */
	return v->text + v->norev_len + 2; /* after "-r", as written */
}

const char *hs_version_str_norev(const hs_version *v)
{
	return v->norev;
}
