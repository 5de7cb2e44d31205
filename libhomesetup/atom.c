/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: hs_atom_parse() and the object it builds (one block holding the struct, every string, the USE
 * dependencies, their sorted order and the version), hs_atom_parse_into() which builds it in a caller's
 * reusable hs_atom_buf instead (no allocation per atom), and the getters.
 *
 * Parsing is two scanners over the same grammar. scan_fast() below reads the forms dependency strings and
 * configuration files are made of (blocker, operator, cat/pkg, version, `=ver*`, slot, sub-slot, slot
 * operator, `::repo`, USE dependencies) in one pass over a NUL-terminated, zero-padded copy of the text, that
 * NUL stopping every loop so that none needs a bound check, and the padding letting the runs of name bytes
 * be classified 16 at a time (SSE2, which every x86-64 has; a byte at a time elsewhere). It never reports
 * anything: on the first byte it is not sure about it gives up, and hs_atom_scan_full() (atom_scan.c), which
 * knows every form and words every error, scans the text from the start. So the fast scanner only has to be
 * right about what it accepts: it must then fill struct hs_atom_scan exactly as the complete one would (the
 * unit tests compare the two on every byte value in every part of an atom, and so did a differential fuzzer
 * against the single-scanner parser this replaced).
 */
#include "homesetupP.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* Atoms longer than this go to the complete scanner directly (real ones are well below 200 bytes). */
#define FAST_MAX 511
/* USE dependencies the fast scanner keeps; an atom with more goes to the complete scanner. */
#define FAST_USE 32

static inline bool in_class(char c, unsigned cls)
{
	return (hs_atom_cclass[(unsigned char)c] & cls) != 0;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* ---- version syntax (recogniser only: parsing and comparing stay in version.c) ------------------------------ */

/*
 * The unit tests and the fuzzer check that version.c agrees on what is a version; atom_fill() relies on it.
 * Does s[0..n) follow `[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|p)[0-9]*)*` and, when allow_rev, an optional
 * `-r[0-9]+`? On failure *bad is the offset of the first byte that breaks the grammar (n: it ended too early)
 * and *why says what was expected.
 */
static inline __attribute__((always_inline)) bool version_syntax(const char *s, size_t n, bool allow_rev, size_t *bad,
								  const char **why)
{
	size_t i = 0, name;
	const char *w = NULL;

	if (n == 0 || !is_digit(s[0])) {
		w = "a version starts with a digit";
		goto fail;
	}
	while (i < n && is_digit(s[i]))
		i++;
	while (i < n && s[i] == '.') {
		if (++i >= n || !is_digit(s[i])) {
			w = "expected a digit after '.'";
			goto fail;
		}
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && is_lower(s[i]))
		i++;
	while (i < n && s[i] == '_') {
		size_t l;

		name = ++i;
		while (i < n && is_lower(s[i]))
			i++;
		l = i - name;
		if (!((l == 1 && s[name] == 'p') || (l == 2 && memcmp(s + name, "rc", 2) == 0) ||
		      (l == 3 && memcmp(s + name, "pre", 3) == 0) || (l == 4 && memcmp(s + name, "beta", 4) == 0) ||
		      (l == 5 && memcmp(s + name, "alpha", 5) == 0))) {
			i = name - 1;
			w = "expected a suffix _alpha, _beta, _pre, _rc or _p";
			goto fail;
		}
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && s[i] == '-' && allow_rev) {
		if (++i >= n || s[i] != 'r') {
			w = "expected 'r' after '-' (a revision is written -rN)";
			goto fail;
		}
		if (++i >= n || !is_digit(s[i])) {
			w = "expected a digit after '-r'";
			goto fail;
		}
		while (i < n && is_digit(s[i]))
			i++;
		if (i < n) {
			w = "nothing may follow the revision";
			goto fail;
		}
	}
	if (i == n)
		return true;
	w = "expected a digit, '.', one lowercase letter, '_suffix', '-rN' or the end";
fail:
	if (bad)
		*bad = i;
	if (why)
		*why = w;
	return false;
}

bool hs_atom_version_syntax(const char *s, size_t n, bool allow_rev, size_t *bad, const char **why)
{
	return version_syntax(s, n, allow_rev, bad, why);
}

/* s[0..n) is `r[0-9]+`. */
static bool is_revision(const char *s, size_t n)
{
	if (n < 2 || s[0] != 'r')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/*
 * Where a trailing `-VERSION[-rN]` of s[0..n) starts (the offset of VERSION), or 0 when s does not end in one
 * preceded by at least one byte. Portage's `pkg-ver` regexes match the leftmost such split; since a version holds
 * at most one '-' (the revision's), only the last two dashes can start it: l and l2 are their offsets (-1: none).
 */
static inline __attribute__((always_inline)) size_t trailing_version_at(const char *s, size_t n, ptrdiff_t l,
									   ptrdiff_t l2)
{
	if (l <= 0)
		return 0;
	if (is_revision(s + l + 1, n - (size_t)l - 1)) {
		if (l2 > 0 && version_syntax(s + l2 + 1, (size_t)(l - l2 - 1), false, NULL, NULL))
			return (size_t)l2 + 1;
		return 0;
	}
	if (version_syntax(s + l + 1, n - (size_t)l - 1, false, NULL, NULL))
		return (size_t)l + 1;
	return 0;
}

size_t hs_atom_trailing_version_at(const char *s, size_t n, ptrdiff_t l, ptrdiff_t l2)
{
	return trailing_version_at(s, n, l, l2);
}

/* ---- the fast scanner --------------------------------------------------------------------------------------- */

/*
 * The fast scanner reads a copy of the text: NUL-terminated and followed by SCAN_PAD - 1 more zero bytes, so a
 * class scan may load 16 bytes at once from any byte up to the NUL without leaving the copy or reading a byte
 * that was never written.
 */
#define SCAN_PAD 16

#if defined(__SSE2__)
#include <emmintrin.h>

/* 0xff in the bytes of x within [lo, hi] (unsigned), 0 elsewhere. */
static inline __m128i bytes_in(__m128i x, unsigned char lo, unsigned char hi)
{
	__m128i t = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}

static inline __m128i bytes_eq(__m128i x, char c)
{
	return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}

/* [A-Za-z0-9_]: x | 0x20 maps exactly [A-Z] and [a-z] onto [a-z]. */
static inline __m128i word_bytes(__m128i x)
{
	return _mm_or_si128(_mm_or_si128(bytes_in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'),
					 bytes_in(x, '0', '9')),
			    bytes_eq(x, '_'));
}

/* The bytes of x in cls, which is HS_AC_W (HS_AC_ALNUM is part of it) and any of '+', '-', '.', '@'. */
static inline __m128i class_bytes(__m128i x, unsigned cls)
{
	__m128i m = word_bytes(x);

	assert((cls & HS_AC_W) && !(cls & ~(HS_AC_W | HS_AC_ALNUM | HS_AC_PLUS | HS_AC_DASH | HS_AC_DOT | HS_AC_AT)));

	if (cls & HS_AC_PLUS)
		m = _mm_or_si128(m, bytes_eq(x, '+'));
	if ((cls & HS_AC_DASH) && (cls & HS_AC_DOT))
		m = _mm_or_si128(m, bytes_in(x, '-', '.'));
	else if (cls & HS_AC_DASH)
		m = _mm_or_si128(m, bytes_eq(x, '-'));
	else if (cls & HS_AC_DOT)
		m = _mm_or_si128(m, bytes_eq(x, '.'));
	if (cls & HS_AC_AT)
		m = _mm_or_si128(m, bytes_eq(x, '@'));
	return m;
}

static inline __m128i load16(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* A bit per byte of x that is not in cls (bit i: byte i). */
static inline unsigned outside_class(__m128i x, unsigned cls)
{
	return ~(unsigned)_mm_movemask_epi8(class_bytes(x, cls)) & 0xffffu;
}

/* Skip bytes of class cls from p, 16 at a time; the NUL after the text stops it. */
static inline const char *skip_class(const char *p, unsigned cls)
{
	for (;; p += 16) {
		unsigned stop = outside_class(load16(p), cls);

		if (stop)
			return p + __builtin_ctz(stop);
	}
}
#else
/* Skip bytes of class cls from p; the NUL after the text stops it. */
static inline const char *skip_class(const char *p, unsigned cls)
{
	while (in_class(*p, cls))
		p++;
	return p;
}
#endif

/* Longest package-and-version part the fast scanner takes (in bits of a mask); longer ones go to the other. */
#define PV_MAX 63

/*
 * The package and version part from pv (whose first byte is a word byte): word bytes, '-', '.' and '+'. Returns
 * its end, with a bit per '-' in *dashes and per '.' in *dots (bit i: pv[i]); NULL when it is longer than
 * PV_MAX bytes.
 */
static inline const char *scan_pv(const char *pv, uint64_t *dashes, uint64_t *dots)
{
#if defined(__SSE2__)
	uint64_t dm = 0, om = 0;

	for (unsigned k = 0; k < PV_MAX; k += 16) {
		__m128i x = load16(pv + k), dash = bytes_eq(x, '-'), dot = bytes_eq(x, '.');
		unsigned stop = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
					_mm_or_si128(word_bytes(x), bytes_eq(x, '+')), _mm_or_si128(dash, dot))) &
				0xffffu;

		dm |= (uint64_t)(unsigned)_mm_movemask_epi8(dash) << k;
		om |= (uint64_t)(unsigned)_mm_movemask_epi8(dot) << k;
		if (stop) {
			unsigned n = k + (unsigned)__builtin_ctz(stop); /* < 64 */
			uint64_t before = ((uint64_t)1 << n) - 1;

			*dashes = dm & before;
			*dots = om & before;
			return pv + n;
		}
	}
	return NULL;
#else
	const char *p = pv;
	uint64_t dm = 0, om = 0;

	for (;;) {
		p = skip_class(p + 1, HS_AC_W);
		if (p - pv > PV_MAX)
			return NULL;
		if (*p == '-')
			dm |= (uint64_t)1 << (p - pv);
		else if (*p == '.')
			om |= (uint64_t)1 << (p - pv);
		else if (*p != '+')
			break;
	}
	*dashes = dm;
	*dots = om;
	return p;
#endif
}

/* The offsets of the last two dashes in a mask of them (-1: none). */
static inline void last_two(uint64_t dashes, ptrdiff_t *l, ptrdiff_t *l2)
{
	*l = *l2 = -1;
	if (dashes) {
		*l = 63 - __builtin_clzll(dashes);
		dashes ^= (uint64_t)1 << *l;
		if (dashes)
			*l2 = 63 - __builtin_clzll(dashes);
	}
}

/*
 * The common forms only, on s[0..len) padded as SCAN_PAD says; see the comment at the top. Each check mirrors
 * one of hs_atom_scan_full(): where that one would report an error, or would take a path not handled here
 * (extended atoms, a '-' in a repository name, more than FAST_USE USE dependencies), this one returns false.
 */
static inline __attribute__((always_inline)) bool scan_fast(const char *s, size_t len, unsigned flags,
							    struct hs_atom_scan *sc)
{
	const char *p = s, *pv, *pv_end;
	uint64_t dashes, dots; /* a bit per '-' and per '.' of the package and version part */
	ptrdiff_t d0, d1;      /* the offsets in it of the last two dashes (-1: none) */
	bool implied = false, glob = false;

	/* blocker and operator */
	if (*p == '!') {
		if (flags & HS_ATOM_NO_BLOCKER)
			return false;
		p++;
		sc->blocker = HS_BLOCK_WEAK;
		if (*p == '!') {
			p++;
			sc->blocker = HS_BLOCK_STRONG;
			if (*p == '!')
				return false;
		}
	}
	switch (*p) {
	case '<':
		sc->op = p[1] == '=' ? HS_OP_LE : HS_OP_LT;
		break;
	case '>':
		sc->op = p[1] == '=' ? HS_OP_GE : HS_OP_GT;
		break;
	case '=':
		sc->op = HS_OP_EQ;
		break;
	case '~':
		sc->op = HS_OP_APPROX;
		break;
	}
	p += sc->op == HS_OP_LE || sc->op == HS_OP_GE ? 2 : sc->op != HS_OP_NONE;
	if (sc->op == HS_OP_NONE && (flags & HS_ATOM_CPV)) {
		sc->op = HS_OP_EQ;
		implied = true;
	}

	/* category: a word byte first (a '+' or '*' would make an extended atom), no '*' */
	if (!in_class(*p, HS_AC_W))
		return false;
	sc->cat.off = (size_t)(p - s);
	p = skip_class(p + 1, HS_AC_CAT);
	if (*p != '/')
		return false;
	sc->cat.len = (size_t)(p - s) - sc->cat.off;

	/* package and version: a word byte first, then words, '-', '.', '+'; a '*' only as the `=ver*` glob */
	pv = ++p;
	if (!in_class(*p, HS_AC_W))
		return false;
	p = pv_end = scan_pv(pv, &dashes, &dots);
	if (!p)
		return false;
	if (*p == '*') {
		if (in_class(p[1], HS_AC_PV) || sc->op != HS_OP_EQ || implied)
			return false;
		glob = true;
		p++;
	}

	/* split `pkg-ver`, and check the package name: no '.', no trailing `-version` */
	{
		size_t n = (size_t)(pv_end - pv), v;

		last_two(dashes, &d0, &d1);
		v = trailing_version_at(pv, n, d0, d1);
		if (sc->op == HS_OP_NONE) {
			if (v)
				return false; /* a version needs an operator */
			sc->pkg = (struct hs_atom_span){ (size_t)(pv - s), n };
			if (dots)
				return false; /* a '.' in the package name */
		} else {
			uint64_t in_pkg;

			if (!v)
				return false;
			if (sc->op == HS_OP_APPROX && (ptrdiff_t)v - 1 != d0)
				return false; /* '~' with a revision */
			sc->pkg = (struct hs_atom_span){ (size_t)(pv - s), v - 1 };
			sc->ver = (struct hs_atom_span){ (size_t)(pv - s) + v, n - v };
			if (glob)
				sc->op = HS_OP_GLOB;
			in_pkg = ((uint64_t)1 << (v - 1)) - 1; /* the package's bytes: before the dash of the version */
			if (dots & in_pkg)
				return false;
			last_two(dashes & in_pkg, &d0, &d1);
			if (trailing_version_at(pv, v - 1, d0, d1))
				return false;
		}
	}

	/* `:slot`, `:slot/sub`, `:*`, `:=`, `:slot=`, `:slot/sub=` */
	if (*p == ':' && p[1] != ':') {
		p++;
		if (*p == '*' || *p == '=') {
			sc->slot_op = *p == '*' ? HS_SLOT_OP_STAR : HS_SLOT_OP_EQUAL;
			p++;
		} else {
			const char *n = p;

			if (!in_class(*p, HS_AC_W))
				return false;
			p = skip_class(p + 1, HS_AC_SLOT);
			sc->has_slot = true;
			sc->slot = (struct hs_atom_span){ (size_t)(n - s), (size_t)(p - n) };
			if (*p == '/') {
				n = ++p;
				if (!in_class(*p, HS_AC_W))
					return false;
				p = skip_class(p + 1, HS_AC_SLOT);
				sc->has_subslot = true;
				sc->subslot = (struct hs_atom_span){ (size_t)(n - s), (size_t)(p - n) };
			}
			if (*p == '=') {
				sc->slot_op = HS_SLOT_OP_EQUAL;
				p++;
			}
		}
	}

	/* `::repo`, without a '-' (which would need the trailing `-version` check) */
	if (*p == ':' && p[1] == ':') {
		const char *n = p + 2;

		if (!(flags & HS_ATOM_ALLOW_REPO) || !in_class(*n, HS_AC_W))
			return false;
		p = skip_class(n + 1, HS_AC_W);
		sc->has_repo = true;
		sc->repo = (struct hs_atom_span){ (size_t)(n - s), (size_t)(p - n) };
	}

	/* `[use,…]`, ending the atom */
	if (*p == '[') {
		if ((flags & HS_ATOM_NO_USE) || s[len - 1] != ']')
			return false;
		for (p++;; p++) {
			struct hs_atom_use *it;
			const char *f;
			char prefix = 0, suffix = 0;

			if (*p == '!' || *p == '-')
				prefix = *p++;
			if (!in_class(*p, HS_AC_ALNUM) || sc->n_use == sc->cap_use)
				return false;
			it = &sc->items[sc->n_use++];
			f = p;
			p = skip_class(p + 1, HS_AC_USE);
			it->off = (uint32_t)(f - s);
			it->len = (uint32_t)(p - f);
			it->dflt = HS_USEDEP_DEFAULT_NONE;
			if (*p == '(') {
				if ((p[1] != '+' && p[1] != '-') || p[2] != ')')
					return false;
				it->dflt = p[1] == '+' ? HS_USEDEP_DEFAULT_ON : HS_USEDEP_DEFAULT_OFF;
				p += 3;
			}
			if (*p == '=' || *p == '?')
				suffix = *p++;
			if (prefix == '-') {
				if (suffix)
					return false;
				it->kind = HS_USEDEP_DISABLED;
			} else if (suffix == '=')
				it->kind = prefix ? HS_USEDEP_NOT_EQUAL : HS_USEDEP_EQUAL;
			else if (suffix == '?')
				it->kind = prefix ? HS_USEDEP_IF_DISABLED : HS_USEDEP_IF_ENABLED;
			else if (prefix)
				return false; /* '!' needs '=' or '?' */
			else
				it->kind = HS_USEDEP_ENABLED;
			if (*p == ']')
				break;
			if (*p != ',')
				return false;
		}
		p++;
	}
	return p == s + len;
}

/* ---- building the object ------------------------------------------------------------------------------------ */

/* A field of the copied text: it ends where a separator (or the end) was, now a NUL. */
static inline char *field(char *text, size_t off, size_t len)
{
	text[off + len] = '\0';
	return text + off;
}

#define ALIGN_UP(n, a) (((n) + (a) - 1) & ~((size_t)(a) - 1))

/*
 * The block of an atom: the struct, the text right after it (so that hs_atom_parse_into() can scan the text
 * where it will stay), the USE deps, then the version. Offsets from the block's start.
 */
struct atom_layout {
	size_t use, version, size;
};

static inline __attribute__((always_inline)) int atom_layout(hs_ctx *ctx, const char *s, size_t len,
							     const struct hs_atom_scan *sc, struct atom_layout *lo)
{
	size_t end, vsize;

	/* len <= UINT32_MAX and n_use <= len (the scanners' limits): nothing here overflows */
	lo->use = ALIGN_UP(sizeof(hs_atom) + len + 1, _Alignof(hs_usedep));
	end = lo->use + sc->n_use * sizeof(hs_usedep);
	lo->version = 0;
	if (sc->ver.len) {
		if (_unlikely_(sc->ver.len > INT32_MAX)) { /* the message hs_version_parse() gives */
			int r = hs_version_measure(ctx, s + sc->ver.off, sc->ver.len, &vsize);

			return r < 0 ? r : -EINVAL;
		}
		/* the scanner's recogniser has validated the version: it is built in one pass */
		vsize = hs_version_size_valid(sc->ver.len);
		if (vsize == 0)
			return -ENOMEM;
		lo->version = ALIGN_UP(end, _Alignof(max_align_t));
		end = lo->version + vsize;
	}
	lo->size = end;
	return 0;
}

/* memcpy(), with the common lengths inline: overlapping 16-byte moves, as memcpy() itself makes them. */
static inline void copy_text(char *dst, const char *s, size_t len)
{
#if defined(__SSE2__)
	if (len >= 16 && len <= 64) {
		__m128i a = load16(s), b = load16(s + len - 16);

		if (len > 32) {
			__m128i c = load16(s + 16), d = load16(s + len - 32);

			_mm_storeu_si128((__m128i *)(void *)(dst + 16), c);
			_mm_storeu_si128((__m128i *)(void *)(dst + len - 32), d);
		}
		_mm_storeu_si128((__m128i *)(void *)dst, a);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), b);
		return;
	}
#endif
	memcpy(dst, s, len);
}

/* s[0..len) copied to dst, NUL-terminated and padded for the fast scanner (dst has len + SCAN_PAD bytes). */
static inline void copy_padded(char *dst, const char *s, size_t len)
{
	copy_text(dst, s, len);
	memset(dst + len, 0, SCAN_PAD);
}

/* Build the atom in a (lo->size bytes, aligned like malloc's result) from src[0..len), which may already be
 * where the text goes (a + 1), and its scan. */
static inline __attribute__((always_inline)) hs_atom *atom_fill(hs_atom *a, const struct atom_layout *lo,
								  const char *src, size_t len,
								  const struct hs_atom_scan *sc)
{
	char *text = (char *)(a + 1);
	uint32_t n = (uint32_t)sc->n_use;

	if (src != text)
		memcpy(text, src, len);
	text[len] = '\0';
	/* the version first: the NULs written below end other fields, never a byte of it */
	a->version = sc->ver.len ? hs_version_init_valid((char *)a + lo->version, text + sc->ver.off, sc->ver.len)
				 : NULL;
	/* The strings are the copied text with a NUL written over the separator after each field: every field is
	 * followed by a byte that belongs to no other field ('/', '-', ':', '=', '(', ',', …). */
	a->category = field(text, sc->cat.off, sc->cat.len);
	a->package = field(text, sc->pkg.off, sc->pkg.len);
	a->slot = sc->has_slot ? field(text, sc->slot.off, sc->slot.len) : NULL;
	a->subslot = sc->has_subslot ? field(text, sc->subslot.off, sc->subslot.len) : NULL;
	a->repo = sc->has_repo ? field(text, sc->repo.off, sc->repo.len) : NULL;
	a->xver = sc->xver.len ? field(text, sc->xver.off, sc->xver.len) : NULL;
	a->blocker = sc->blocker;
	a->op = sc->op;
	a->slot_op = sc->slot_op;
	a->extended = sc->extended;
	a->wildcard = sc->wildcard;
	a->use = (hs_usedep *)((char *)a + lo->use);
	a->n_use = n;
	for (uint32_t k = 0; k < n; k++) {
		const struct hs_atom_use *it = &sc->items[k];

		a->use[k] = (hs_usedep){
			.flag = field(text, it->off, it->len),
			.kind = (hs_usedep_kind)it->kind,
			.dflt = (hs_usedep_default)it->dflt,
		};
	}
	return a;
}

/* Field by field rather than "= {0}": this is the hot path. The complete scanner also reads cat and pkg. */
static inline void scan_init(struct hs_atom_scan *sc, struct hs_atom_use *items, size_t cap)
{
	sc->items = items;
	sc->cap_use = cap;
	sc->n_use = 0;
	sc->ver.len = sc->xver.len = 0;
	sc->blocker = sc->op = sc->slot_op = 0;
	sc->extended = sc->wildcard = sc->has_slot = sc->has_subslot = sc->has_repo = sc->items_heap = false;
}

/* What the fast scanner may have set before it gave up, reset for the complete one. */
static inline void scan_reset(struct hs_atom_scan *sc)
{
	sc->n_use = 0;
	sc->ver.len = 0;
	sc->blocker = sc->op = sc->slot_op = 0;
	sc->has_slot = sc->has_subslot = sc->has_repo = false;
	sc->cat = sc->pkg = (struct hs_atom_span){ 0, 0 };
}

int hs_atom_parse(hs_ctx *ctx, hs_atom **out, const char *s, size_t len, unsigned flags)
{
	struct hs_atom_use items[FAST_USE];
	struct hs_atom_scan sc;
	struct atom_layout lo;
	hs_atom *a;
	int r;

	assert(out);
	assert(s || len == 0);
	*out = NULL;

	scan_init(&sc, items, FAST_USE);
	if (len > 0 && len <= FAST_MAX) {
		char copy[FAST_MAX + SCAN_PAD];

		copy_padded(copy, s, len);
		if (scan_fast(copy, len, flags, &sc)) {
			if (atom_layout(ctx, s, len, &sc, &lo) < 0 || !(a = malloc(lo.size)))
				return -ENOMEM; /* a scanned version is never too long for the fast path */
			*out = atom_fill(a, &lo, copy, len, &sc);
			return 0;
		}
		scan_reset(&sc);
	}

	r = hs_atom_scan_full(ctx, s, len, flags, &sc);
	if (r >= 0)
		r = atom_layout(ctx, s, len, &sc, &lo);
	if (r >= 0) {
		a = malloc(lo.size);
		if (a)
			*out = atom_fill(a, &lo, s, len, &sc);
		else
			r = -ENOMEM;
	}
	if (sc.items_heap)
		free(sc.items);
	return r;
}

void hs_atom_free(hs_atom *atom)
{
	free(atom); /* the version lives in the same block */
}

/* ---- parsing into reused storage ---------------------------------------------------------------------------- */

struct hs_atom_buf {
	hs_atom *atom;             /* a block of cap bytes: the atom parsed last, or what is left of it */
	size_t cap;
	struct hs_atom_use *items; /* the complete scanner's USE deps when more than FAST_USE, cap_items of them */
	size_t cap_items;
};

int hs_atom_buf_new(hs_atom_buf **out)
{
	assert(out);
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void hs_atom_buf_free(hs_atom_buf *buf)
{
	if (!buf)
		return;
	free(buf->atom);
	free(buf->items);
	free(buf);
}

/* At least size bytes in buf->atom, keeping what it holds. */
static int buf_reserve(hs_atom_buf *buf, size_t size)
{
	size_t cap = buf->cap ? buf->cap : 256;
	hs_atom *a;

	if (_likely_(size <= buf->cap))
		return 0;
	while (cap < size)
		cap *= 2; /* size < 2^34: the text is at most 4 GiB (the scanners' limit) */
	a = realloc(buf->atom, cap);
	if (!a)
		return -ENOMEM;
	buf->atom = a;
	buf->cap = cap;
	return 0;
}

int hs_atom_parse_into(hs_ctx *ctx, const hs_atom **out, hs_atom_buf *buf, const char *s, size_t len,
		       unsigned flags)
{
	struct hs_atom_use items[FAST_USE];
	struct hs_atom_scan sc;
	struct atom_layout lo;
	int r;

	assert(out);
	assert(buf);
	assert(s || len == 0);
	*out = NULL;

	scan_init(&sc, items, FAST_USE);
	if (len > 0 && len <= FAST_MAX) {
		/* scanned where the text stays: the copy is the atom's text, and nothing is copied twice */
		r = buf_reserve(buf, sizeof(hs_atom) + len + SCAN_PAD);
		if (r < 0)
			return r;
		copy_padded((char *)(buf->atom + 1), s, len);
		if (scan_fast((const char *)(buf->atom + 1), len, flags, &sc)) {
			if (atom_layout(ctx, s, len, &sc, &lo) < 0 || buf_reserve(buf, lo.size) < 0)
				return -ENOMEM; /* a scanned version is never too long for the fast path */
			*out = atom_fill(buf->atom, &lo, (const char *)(buf->atom + 1), len, &sc);
			return 0;
		}
		scan_reset(&sc);
	}

	/* the complete scanner keeps its USE deps in the buffer's array once it has needed one */
	if (buf->cap_items > FAST_USE) {
		sc.items = buf->items;
		sc.cap_use = buf->cap_items;
	}
	r = hs_atom_scan_full(ctx, s, len, flags, &sc);
	if (sc.items_heap) { /* it outgrew the array it was given (and left that one alone): keep the new one */
		free(buf->items);
		buf->items = sc.items;
		buf->cap_items = sc.cap_use;
	}
	if (r >= 0)
		r = atom_layout(ctx, s, len, &sc, &lo);
	if (r >= 0)
		r = buf_reserve(buf, lo.size);
	if (r < 0)
		return r;
	*out = atom_fill(buf->atom, &lo, s, len, &sc);
	return 0;
}

/* ---- getters ------------------------------------------------------------------------------------------------ */

hs_blocker hs_atom_blocker(const hs_atom *atom)
{
	return (hs_blocker)atom->blocker;
}

hs_atom_op hs_atom_op_get(const hs_atom *atom)
{
	return (hs_atom_op)atom->op;
}

const char *hs_atom_category(const hs_atom *atom)
{
	return atom->category;
}

const char *hs_atom_package(const hs_atom *atom)
{
	return atom->package;
}

const hs_version *hs_atom_version(const hs_atom *atom)
{
	return atom->version;
}

const char *hs_atom_slot(const hs_atom *atom)
{
	return atom->slot;
}

const char *hs_atom_subslot(const hs_atom *atom)
{
	return atom->subslot;
}

hs_slot_op hs_atom_slot_op(const hs_atom *atom)
{
	return (hs_slot_op)atom->slot_op;
}

const char *hs_atom_repo(const hs_atom *atom)
{
	return atom->repo;
}

size_t hs_atom_usedep_count(const hs_atom *atom)
{
	return atom->n_use;
}

const hs_usedep *hs_atom_usedep(const hs_atom *atom, size_t i)
{
	return i < atom->n_use ? &atom->use[i] : NULL;
}

bool hs_atom_is_wildcard(const hs_atom *atom)
{
	return atom->wildcard;
}
