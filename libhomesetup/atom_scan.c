/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: the complete scanner. It accepts every form hs_atom_parse() knows (PMS EAPI 8
 * `[!|!!][op]cat/pkg[-ver][*][:slot…][::repo][[use…]]`, and Portage's extended "wildcard" atoms that package.use
 * accepts: `*\/\*`, `sys-apps/\*`, `=*\/\*-*9999*`, … as lib/portage/dep/__init__.py:_get_atom_wildcard_re
 * defines them) and words every error with the offending token and its column. atom.c tries a faster scanner
 * of the common forms first and comes here for everything else, errors included.
 *
 * The scan is one left-to-right pass over (buf, len) that records offsets (struct hs_atom_scan); atom.c builds
 * the object from them.
 *
 * Splitting `pkg-ver` needs to know what a version looks like before parsing one: both scanners use the
 * recogniser of the PMS version grammar in atom.c.
 */
#include "homesetupP.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- character classes ---------------------------------------------------------------------------------- */

#define W_ HS_AC_W
#define AN (HS_AC_W | HS_AC_ALNUM)
const uint8_t hs_atom_cclass[256] = {
	['0'] = AN, ['1'] = AN, ['2'] = AN, ['3'] = AN, ['4'] = AN, ['5'] = AN, ['6'] = AN, ['7'] = AN, ['8'] = AN,
	['9'] = AN,
	['A'] = AN, ['B'] = AN, ['C'] = AN, ['D'] = AN, ['E'] = AN, ['F'] = AN, ['G'] = AN, ['H'] = AN, ['I'] = AN,
	['J'] = AN, ['K'] = AN, ['L'] = AN, ['M'] = AN, ['N'] = AN, ['O'] = AN, ['P'] = AN, ['Q'] = AN, ['R'] = AN,
	['S'] = AN, ['T'] = AN, ['U'] = AN, ['V'] = AN, ['W'] = AN, ['X'] = AN, ['Y'] = AN, ['Z'] = AN,
	['a'] = AN, ['b'] = AN, ['c'] = AN, ['d'] = AN, ['e'] = AN, ['f'] = AN, ['g'] = AN, ['h'] = AN, ['i'] = AN,
	['j'] = AN, ['k'] = AN, ['l'] = AN, ['m'] = AN, ['n'] = AN, ['o'] = AN, ['p'] = AN, ['q'] = AN, ['r'] = AN,
	['s'] = AN, ['t'] = AN, ['u'] = AN, ['v'] = AN, ['w'] = AN, ['x'] = AN, ['y'] = AN, ['z'] = AN,
	['_'] = W_, ['+'] = HS_AC_PLUS, ['.'] = HS_AC_DOT, ['-'] = HS_AC_DASH, ['*'] = HS_AC_STAR, ['@'] = HS_AC_AT,
};
#undef W_
#undef AN

static inline bool is_class(char c, unsigned cls)
{
	return (hs_atom_cclass[(unsigned char)c] & cls) != 0;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Scan s[i..end) while the bytes are in cls. */
static inline size_t scan_class(const char *s, size_t i, size_t end, unsigned cls)
{
	while (i < end && is_class(s[i], cls))
		i++;
	return i;
}

/* Scan like scan_class() (cls includes HS_AC_W), and collect the classes of the other bytes seen in *seen. */
static inline size_t scan_seen(const char *s, size_t i, size_t end, unsigned cls, unsigned *seen)
{
	unsigned acc = 0;

	for (; i < end; i++) {
		unsigned c = hs_atom_cclass[(unsigned char)s[i]];

		if (c & HS_AC_W)
			continue;
		if (!(c & cls))
			break;
		acc |= c;
	}
	*seen = acc;
	return i;
}

/* Last '-' in s[0..n) or -1. */
static inline ssize_t last_dash(const char *s, size_t n)
{
	/* names are short: a plain loop beats a call to memrchr() */
	while (n > 0)
		if (s[--n] == '-')
			return (ssize_t)n;
	return -1;
}

static size_t trailing_version(const char *s, size_t n)
{
	ssize_t l = last_dash(s, n);

	return hs_atom_trailing_version_at(s, n, l, l > 0 ? last_dash(s, (size_t)l) : -1);
}

/* ---- errors ------------------------------------------------------------------------------------------------ */

/* Describe one byte for a message. */
static const char *describe_byte(char buf[static 16], char c)
{
	unsigned char u = (unsigned char)c;

	if (u == ' ')
		snprintf(buf, 16, "' ' (a space)");
	else if (u > 0x20 && u < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", u);
	return buf;
}

/* Record "invalid atom 'TEXT' at column N: WHY" (pos is 0-based; pos == len means "at the end"). */
static int atom_error(hs_ctx *ctx, const char *s, size_t len, size_t pos, const char *fmt, ...)
	_printf_(5, 6) __attribute__((cold, noinline));
static int atom_error(hs_ctx *ctx, const char *s, size_t len, size_t pos, const char *fmt, ...)
{
	_cleanup_free_ char *quoted = NULL;
	char why[512];
	va_list ap;

	if (!ctx)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	quoted = hs_escape(s, len, 160);
	return hs_ctx_set_error(ctx, -EINVAL, "invalid atom '%s' at column %zu: %s", quoted ? quoted : "?", pos + 1,
				why);
}

/* A token of the input quoted for a message (escaped, shortened); the caller frees it. */
static char *tok(const char *s, size_t len)
{
	return hs_escape(s, len, 64);
}

const char *const hs_atom_op_text[8] = {
	[HS_OP_NONE] = "", [HS_OP_LT] = "<", [HS_OP_LE] = "<=", [HS_OP_EQ] = "=",
	[HS_OP_GLOB] = "=", [HS_OP_APPROX] = "~", [HS_OP_GE] = ">=", [HS_OP_GT] = ">",
};

/* ---- the scanner ------------------------------------------------------------------------------------------- */

/* Keep one more USE dependency: in the caller's array while it has room, then on the heap. */
static int use_push(struct hs_atom_scan *sc, const struct hs_atom_use *it)
{
	if (sc->n_use == sc->cap_use) {
		size_t cap = sc->cap_use ? 2 * sc->cap_use : 16;
		struct hs_atom_use *v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		if (sc->n_use)
			memcpy(v, sc->items, sc->n_use * sizeof(*v));
		if (sc->items_heap)
			free(sc->items);
		sc->items = v;
		sc->cap_use = cap;
		sc->items_heap = true;
	}
	sc->items[sc->n_use++] = *it;
	return 0;
}

/* Where the USE dependency starting at s[i] ends: its ',' or ']' (or len). For messages only. */
static size_t usedep_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ',' && s[i] != ']')
		i++;
	return i;
}

/*
 * Parse one USE dependency at s[i]; s[last] is the atom's final ']', so every scan below stops by then. On
 * success *end is the ',' or ']' after it.
 */
static int scan_usedep(hs_ctx *ctx, const char *s, size_t len, size_t i, size_t last, struct hs_atom_use *it,
		       size_t *end)
{
	char b[16];
	size_t start = i, f;
	char prefix = 0, suffix = 0;
	uint8_t dflt = HS_USEDEP_DEFAULT_NONE;

	if (s[i] == ',' || s[i] == ']') {
		if (i > 0 && s[i - 1] == ',')
			return atom_error(ctx, s, len, i, "empty USE dependency (nothing after ',')");
		return atom_error(ctx, s, len, i, "empty USE dependency (nothing before %s)",
				  s[i] == ',' ? "','" : "']'");
	}
	if (s[i] == '!' || s[i] == '-')
		prefix = s[i++];
	f = i;
	if (!is_class(s[i], HS_AC_ALNUM)) {
		if (s[i] == ',' || s[i] == ']')
			return atom_error(ctx, s, len, i, "missing USE flag name after '%c'", prefix);
		return atom_error(ctx, s, len, i, "USE flag names start with a letter or digit, not %s",
				  describe_byte(b, s[i]));
	}
	/* s[last] is ']', outside HS_AC_USE: it stops the scan without a bound check */
	do
		i++;
	while (is_class(s[i], HS_AC_USE));
	it->off = (uint32_t)f;
	it->len = (uint32_t)(i - f);
	if (s[i] == '(') {
		if (last - i >= 3 && s[i + 2] == ')' && (s[i + 1] == '+' || s[i + 1] == '-')) {
			dflt = s[i + 1] == '+' ? HS_USEDEP_DEFAULT_ON : HS_USEDEP_DEFAULT_OFF;
			i += 3;
		} else
			return atom_error(ctx, s, len, i, "invalid USE default: expected '(+)' or '(-)' after '%.*s'",
					  (int)(i - f), s + f);
	}
	if (s[i] == '=' || s[i] == '?')
		suffix = s[i++];
	if (s[i] != ',' && s[i] != ']')
		return atom_error(ctx, s, len, i, "unexpected %s in USE dependency '%.*s' (expected ',' or ']')",
				  describe_byte(b, s[i]), (int)(usedep_end(s, len, i) - start), s + start);
	if (prefix == '!' && !suffix)
		return atom_error(ctx, s, len, start, "'!%.*s' needs '=' or '?' ('!flag=' or '!flag?'); "
				  "'-flag' requires the flag disabled", (int)(i - f), s + f);
	if (prefix == '-' && suffix)
		return atom_error(ctx, s, len, start, "'-' cannot be combined with '%c' in '%.*s'", suffix,
				  (int)(i - start), s + start);
	it->dflt = dflt;
	if (prefix == '-')
		it->kind = HS_USEDEP_DISABLED;
	else if (suffix == '=')
		it->kind = prefix ? HS_USEDEP_NOT_EQUAL : HS_USEDEP_EQUAL;
	else if (suffix == '?')
		it->kind = prefix ? HS_USEDEP_IF_DISABLED : HS_USEDEP_IF_ENABLED;
	else
		it->kind = HS_USEDEP_ENABLED;
	*end = i;
	return 0;
}

/* The `[...]` part at s[i] == '['; it must end the atom. */
static int scan_use(hs_ctx *ctx, const char *s, size_t len, size_t i, struct hs_atom_scan *sc)
{
	size_t open = i, last = len - 1, end = last;
	char b[16];
	int r;

	if (s[last] != ']') {
		const char *c = memchr(s + i, ']', len - i);

		if (!c)
			return atom_error(ctx, s, len, len,
					  "missing ']' after the USE dependencies opened at column %zu", open + 1);
		return atom_error(ctx, s, len, (size_t)(c - s) + 1,
				  "unexpected %s after ']' (USE dependencies end the atom)",
				  describe_byte(b, c[1]));
	}
	if (last == open + 1)
		return atom_error(ctx, s, len, open, "empty USE dependency list '[]'");
	i = open + 1;
	for (;;) {
		struct hs_atom_use it;

		r = scan_usedep(ctx, s, len, i, last, &it, &end);
		if (r < 0)
			return r;
		r = use_push(sc, &it);
		if (r < 0)
			return r;
		if (s[end] == ']')
			break;
		i = end + 1;
	}
	if (end != last)
		return atom_error(ctx, s, len, end + 1, "unexpected %s after ']' (USE dependencies end the atom)",
				  describe_byte(b, s[end + 1]));
	return 0;
}

/* A slot or sub-slot name at s[i..]: returns its end, or an error. */
static ssize_t scan_slot_name(hs_ctx *ctx, const char *s, size_t len, size_t i, const char *what, const char *after)
{
	char b[16];
	size_t e;

	if (i >= len || s[i] == '[' || s[i] == '/' || s[i] == ':' || (s[i] == '=' && strcmp(what, "sub-slot") == 0))
		return atom_error(ctx, s, len, i, "empty %s after '%s'", what, after);
	if (!is_class(s[i], HS_AC_W)) {
		if (is_class(s[i], HS_AC_SLOT))
			return atom_error(ctx, s, len, i, "a %s name must not start with %s", what,
					  describe_byte(b, s[i]));
		return atom_error(ctx, s, len, i, "invalid character %s in %s name", describe_byte(b, s[i]), what);
	}
	e = scan_class(s, i, len, HS_AC_SLOT);
	return (ssize_t)e;
}

/* `:slot`, `:slot/sub`, `:*`, `:=`, `:slot=`, `:slot/sub=` at s[i] == ':' (not "::"). Returns the end. */
static ssize_t scan_slot(hs_ctx *ctx, const char *s, size_t len, size_t i, struct hs_atom_scan *sc)
{
	char b[16];
	size_t colon = i++;
	ssize_t e;

	if (i < len && (s[i] == '*' || s[i] == '=')) {
		sc->slot_op = s[i] == '*' ? HS_SLOT_OP_STAR : HS_SLOT_OP_EQUAL;
		i++;
		goto end;
	}
	if (i >= len || s[i] == '[')
		return atom_error(ctx, s, len, i, "empty slot after ':'");
	e = scan_slot_name(ctx, s, len, i, "slot", ":");
	if (e < 0)
		return e;
	sc->has_slot = true;
	sc->slot = (struct hs_atom_span){ i, (size_t)e - i };
	i = (size_t)e;
	if (i < len && s[i] == '/') {
		e = scan_slot_name(ctx, s, len, i + 1, "sub-slot", "/");
		if (e < 0)
			return e;
		sc->has_subslot = true;
		sc->subslot = (struct hs_atom_span){ i + 1, (size_t)e - i - 1 };
		i = (size_t)e;
	}
	if (i < len && s[i] == '=') {
		sc->slot_op = HS_SLOT_OP_EQUAL;
		i++;
	}
end:
	if (i < len && s[i] != '[' && !(s[i] == ':' && i + 1 < len && s[i + 1] == ':')) {
		if (s[i] == '*')
			return atom_error(ctx, s, len, i, "the slot operator ':*' cannot follow a slot name");
		if (s[i] == '=')
			return atom_error(ctx, s, len, i, "duplicate slot operator '='");
		if (s[i] == '/')
			return atom_error(ctx, s, len, i, "unexpected '/': a slot has at most one sub-slot");
		if (sc->slot_op != HS_SLOT_OP_NONE)
			return atom_error(ctx, s, len, i, "unexpected %s after the slot operator '%c'",
					  describe_byte(b, s[i]), s[i - 1]);
		return atom_error(ctx, s, len, i, "invalid character %s in slot '%.*s'", describe_byte(b, s[i]),
				  (int)(i - colon - 1), s + colon + 1);
	}
	return (ssize_t)i;
}

/* `::repo` at s[i] == ':' == s[i + 1]. Returns the end. */
static ssize_t scan_repo(hs_ctx *ctx, const char *s, size_t len, size_t i, unsigned flags, struct hs_atom_scan *sc)
{
	char b[16];
	size_t start = i + 2, e, v;

	if (!(flags & HS_ATOM_ALLOW_REPO))
		return atom_error(ctx, s, len, i, "repository dependencies ('::repo') are not allowed here");
	if (start >= len || s[start] == '[')
		return atom_error(ctx, s, len, start, "empty repository name after '::'");
	if (!is_class(s[start], HS_AC_W)) {
		if (s[start] == '-')
			return atom_error(ctx, s, len, start, "a repository name must not start with '-'");
		return atom_error(ctx, s, len, start, "invalid character %s in repository name",
				  describe_byte(b, s[start]));
	}
	e = scan_class(s, start, len, HS_AC_REPO);
	if (e < len && s[e] != '[') {
		if (s[e] == ':')
			return atom_error(ctx, s, len, e, "unexpected ':' after the repository (the slot goes before "
					  "'::repo')");
		return atom_error(ctx, s, len, e, "invalid character %s in repository name", describe_byte(b, s[e]));
	}
	v = trailing_version(s + start, e - start);
	if (v)
		return atom_error(ctx, s, len, start + v - 1,
				  "repository name '%.*s' must not end in '-' and a version, like a package name",
				  (int)(e - start), s + start);
	sc->has_repo = true;
	sc->repo = (struct hs_atom_span){ start, e - start };
	return (ssize_t)e;
}

/*
 * Check a package name (or, extended, a package pattern) s[p.off..+p.len): first byte, bytes (unless the caller
 * knows them to be fine), and no trailing `-version`. l and l2 are the offsets in p of its last two dashes.
 */
static int check_package(hs_ctx *ctx, const char *s, size_t len, struct hs_atom_span p, bool extended, bool chars_ok,
			 ssize_t l, ssize_t l2)
{
	char b[16];
	size_t e, v;

	if (p.len == 0)
		return atom_error(ctx, s, len, p.off, "empty package name after '/'");
	if (!is_class(s[p.off], extended ? (HS_AC_W | HS_AC_PLUS | HS_AC_STAR) : HS_AC_W))
		return atom_error(ctx, s, len, p.off, "a package name must not start with %s",
				  describe_byte(b, s[p.off]));
	e = chars_ok ? p.off + p.len : scan_class(s, p.off, p.off + p.len, extended ? (HS_AC_PKG | HS_AC_STAR) : HS_AC_PKG);
	if (e < p.off + p.len) {
		if (s[e] == '*')
			return atom_error(ctx, s, len, e, "wildcards ('*') are not allowed here");
		return atom_error(ctx, s, len, e, "invalid character %s in package name '%.*s'",
				  describe_byte(b, s[e]), (int)p.len, s + p.off);
	}
	v = hs_atom_trailing_version_at(s + p.off, p.len, l, l2);
	if (v) {
		_cleanup_free_ char *name = tok(s + p.off, p.len);

		return atom_error(ctx, s, len, p.off + v - 1,
				  "invalid package name '%s': it ends in '-' and a valid version", name ? name : "?");
	}
	return 0;
}

/* After a failed `pkg-version` split of pv: say why, pointing into the most plausible version. */
static __attribute__((cold)) int version_missing(hs_ctx *ctx, const char *s, size_t len, struct hs_atom_span pv,
						 uint8_t op, bool implied)
{
	size_t bad = 0, d = 0;
	const char *why = NULL;

	/* the version most likely meant: after the last '-' followed by a digit */
	for (size_t i = pv.len; i-- > 1;)
		if (s[pv.off + i - 1] == '-' && is_digit(s[pv.off + i])) {
			d = i;
			break;
		}
	if (d == 0) {
		if (implied)
			return atom_error(ctx, s, len, pv.off + pv.len,
					  "expected a version ('category/package-version')");
		return atom_error(ctx, s, len, pv.off + pv.len,
				  "the operator '%s' needs a version ('%scategory/package-version')", hs_atom_op_text[op],
				  hs_atom_op_text[op]);
	}
	if (!hs_atom_version_syntax(s + pv.off + d, pv.len - d, true, &bad, &why)) {
		_cleanup_free_ char *v = tok(s + pv.off + d, pv.len - d);

		return atom_error(ctx, s, len, pv.off + d + bad, "invalid version '%s': %s", v ? v : "?", why);
	}
	/* a valid version after a '-' cannot fail to split unless the package part is empty */
	return atom_error(ctx, s, len, pv.off, "empty package name before the version");
}

/* Does s[p] contain "**"? Returns its offset or (size_t)-1. */
static size_t find_double_star(const char *s, struct hs_atom_span p)
{
	for (size_t i = p.off; i + 1 < p.off + p.len; i++)
		if (s[i] == '*' && s[i + 1] == '*')
			return i;
	return (size_t)-1;
}

int hs_atom_scan_full(hs_ctx *ctx, const char *s, size_t len, unsigned flags, struct hs_atom_scan *sc)
{
	char b[16];
	size_t i = 0, op_at, e;
	unsigned cat_seen, pv_seen = 0;
	ssize_t dash[4] = { -1, -1, -1, -1 }; /* the last dashes of pv, newest first (offsets in pv) */
	size_t pv_dot = SIZE_MAX;             /* first '.' or '*' in pv (offset): not in a package name */
	struct hs_atom_span pv;
	bool implied = false, glob = false, ext = false;
	ssize_t r;

	if (len > UINT32_MAX)
		return atom_error(ctx, s, 64, 0, "the atom is longer than %u bytes", UINT32_MAX);
	if (len == 0)
		return atom_error(ctx, s, len, 0, "empty atom");

	/* blocker */
	if (s[0] == '!') {
		if (len > 1 && s[1] == '!') {
			sc->blocker = HS_BLOCK_STRONG;
			i = 2;
		} else {
			sc->blocker = HS_BLOCK_WEAK;
			i = 1;
		}
		if (i < len && s[i] == '!')
			return atom_error(ctx, s, len, i, "too many '!': a blocker is '!' or '!!'");
		if (flags & HS_ATOM_NO_BLOCKER)
			return atom_error(ctx, s, len, 0, "blockers ('!' or '!!') are not allowed here");
	}

	/* operator */
	op_at = i;
	if (i < len) {
		switch (s[i]) {
		case '<':
			sc->op = (i + 1 < len && s[i + 1] == '=') ? HS_OP_LE : HS_OP_LT;
			break;
		case '>':
			sc->op = (i + 1 < len && s[i + 1] == '=') ? HS_OP_GE : HS_OP_GT;
			break;
		case '=':
			sc->op = HS_OP_EQ;
			break;
		case '~':
			sc->op = HS_OP_APPROX;
			break;
		}
		i += sc->op == HS_OP_LE || sc->op == HS_OP_GE ? 2 : sc->op != HS_OP_NONE;
	}
	if (sc->op == HS_OP_NONE && (flags & HS_ATOM_CPV)) {
		sc->op = HS_OP_EQ;
		implied = true;
	}

	/* category */
	sc->cat.off = i;
	e = scan_seen(s, i, len, HS_AC_CAT | HS_AC_STAR, &cat_seen);
	sc->cat.len = e - i;
	if (e >= len || s[e] != '/') {
		if (e == i && e < len && memchr("<>=~!", s[e], 5))
			return atom_error(ctx, s, len, e, "unexpected %s: operators are '<', '<=', '=', '~', '>=' "
					  "and '>'", describe_byte(b, s[e]));
		if (e < len && s[e] != ':' && s[e] != '[')
			return atom_error(ctx, s, len, e, "invalid character %s in category", describe_byte(b, s[e]));
		return atom_error(ctx, s, len, e, "expected 'category/package'");
	}
	if (sc->cat.len == 0)
		return atom_error(ctx, s, len, e, "empty category before '/'");
	i = e + 1;

	/* package, version, glob or wildcard: up to ':', '[' or the end */
	pv.off = i;
	for (e = i; e < len; e++) {
		unsigned c = hs_atom_cclass[(unsigned char)s[e]];

		if (c & HS_AC_W) /* the common case first */
			continue;
		if (!(c & HS_AC_PV))
			break;
		pv_seen |= c;
		if (c & HS_AC_DASH) {
			dash[3] = dash[2];
			dash[2] = dash[1];
			dash[1] = dash[0];
			dash[0] = (ssize_t)(e - i);
		} else if ((c & (HS_AC_DOT | HS_AC_STAR)) && pv_dot == SIZE_MAX)
			pv_dot = e - i;
	}
	pv.len = e - i;
	if (e < len && s[e] != ':' && s[e] != '[') {
		if (s[e] == '/')
			return atom_error(ctx, s, len, e, "unexpected '/': an atom is 'category/package'");
		return atom_error(ctx, s, len, e, "invalid character %s in package name", describe_byte(b, s[e]));
	}
	if (pv.len == 0)
		return atom_error(ctx, s, len, pv.off, "empty package name after '/'");

	/* Portage's extended syntax is tried only where the normal one cannot apply: a '*' in the category or
	 * package (other than the `=ver*` glob) or a name starting with '+'. */
	if (flags & HS_ATOM_ALLOW_WILDCARD) {
		bool cat_star = cat_seen & HS_AC_STAR;
		const char *st = (pv_seen & HS_AC_STAR) ? memchr(s + pv.off, '*', pv.len) : NULL;
		bool pv_star = st && !(sc->op == HS_OP_EQ && !implied && (size_t)(st - s) == pv.off + pv.len - 1);

		ext = cat_star || pv_star || s[sc->cat.off] == '+' || s[pv.off] == '+';
	}

	/* category characters */
	if (!is_class(s[sc->cat.off], ext ? (HS_AC_W | HS_AC_PLUS | HS_AC_STAR) : HS_AC_W)) {
		if (s[sc->cat.off] == '*')
			return atom_error(ctx, s, len, sc->cat.off, "wildcards ('*') are not allowed here");
		return atom_error(ctx, s, len, sc->cat.off, "a category name must not start with %s",
				  describe_byte(b, s[sc->cat.off]));
	}
	if (!ext && (cat_seen & HS_AC_STAR))
		return atom_error(ctx, s, len, (size_t)((const char *)memchr(s + sc->cat.off, '*', sc->cat.len) - s),
				  "wildcards ('*') are not allowed here");

	if (ext) {
		size_t ds;

		sc->extended = true;
		sc->wildcard = ((cat_seen | pv_seen) & HS_AC_STAR) != 0;
		if (implied)
			return atom_error(ctx, s, len, pv.off, "expected 'category/package-version', not a wildcard");
		if (sc->op == HS_OP_EQ) {
			/* `=cat/pkg-*TEXT*` with TEXT in [A-Za-z0-9_]+ */
			ssize_t d = last_dash(s + pv.off, pv.len);
			size_t v0 = d > 0 ? pv.off + (size_t)d + 1 : 0, ve = pv.off + pv.len;

			if (d <= 0 || ve - v0 < 3 || s[v0] != '*' || s[ve - 1] != '*' ||
			    scan_class(s, v0 + 1, ve - 1, HS_AC_W) != ve - 1)
				return atom_error(ctx, s, len, d > 0 ? v0 : pv.off,
						  "a wildcard atom with '=' must end in '-*VERSION-PART*' (for example "
						  "'=*/*-*9999*')");
			sc->xver = (struct hs_atom_span){ v0 + 1, ve - v0 - 2 };
			sc->pkg = (struct hs_atom_span){ pv.off, (size_t)d };
			sc->op = HS_OP_GLOB;
			sc->wildcard = true;
		} else if (sc->op != HS_OP_NONE) {
			return atom_error(ctx, s, len, op_at, "a wildcard atom cannot have the operator '%s' (only "
					  "'=category/package-*VERSION-PART*')", hs_atom_op_text[sc->op]);
		} else {
			sc->pkg = pv;
		}
		ds = find_double_star(s, sc->cat);
		if (ds == (size_t)-1)
			ds = find_double_star(s, sc->pkg);
		if (ds != (size_t)-1)
			return atom_error(ctx, s, len, ds, "'**' is not allowed in a wildcard");
		{
			ssize_t l = last_dash(s + sc->pkg.off, sc->pkg.len);

			r = check_package(ctx, s, len, sc->pkg, true, false, l,
					  l > 0 ? last_dash(s + sc->pkg.off, (size_t)l) : -1);
		}
		if (r < 0)
			return (int)r;
	} else {
		size_t v;

		if (s[pv.off + pv.len - 1] == '*') {
			if (sc->op != HS_OP_EQ || implied)
				return atom_error(ctx, s, len, pv.off + pv.len - 1,
						  sc->op == HS_OP_NONE || implied
							  ? "'*' may only follow a version, with the '=' operator "
							    "('=category/package-1.2*')"
							  : "'*' may only follow a version with the '=' operator, not '%s'",
						  hs_atom_op_text[sc->op]);
			glob = true;
			pv.len--;
		}
		if (pv_seen & HS_AC_STAR) {
			const char *st = memchr(s + pv.off, '*', pv.len);

			if (st)
				return atom_error(ctx, s, len, (size_t)(st - s), "wildcards ('*') are not allowed here");
		}
		if (sc->op == HS_OP_NONE) {
			sc->pkg = pv;
			v = hs_atom_trailing_version_at(s + pv.off, pv.len, dash[0], dash[1]);
			if (v)
				return atom_error(ctx, s, len, op_at,
						  "versioned atom requires an operator (write '%.*s=%.*s' for this "
						  "exact version)", (int)op_at, s, (int)(len - op_at), s + op_at);
			dash[0] = -1; /* just checked: no trailing version */
		} else {
			v = hs_atom_trailing_version_at(s + pv.off, pv.len, dash[0], dash[1]);
			if (!v)
				return version_missing(ctx, s, len, pv, sc->op, implied);
			/* the package's own last dashes: those before the one that starts the version */
			if ((ssize_t)v - 1 == dash[0]) {
				dash[0] = dash[1];
				dash[1] = dash[2];
			} else {
				dash[0] = dash[2];
				dash[1] = dash[3];
			}
			sc->pkg = (struct hs_atom_span){ pv.off, v - 1 };
			sc->ver = (struct hs_atom_span){ pv.off + v, pv.len - v };
			if (glob)
				sc->op = HS_OP_GLOB;
			if (sc->op == HS_OP_APPROX) {
				ssize_t d = last_dash(s + sc->ver.off, sc->ver.len);

				if (d >= 0)
					return atom_error(ctx, s, len, sc->ver.off + (size_t)d,
							  "the operator '~' ignores revisions and cannot take one "
							  "('%.*s')", (int)(sc->ver.len - (size_t)d),
							  s + sc->ver.off + d);
			}
		}
		/* a '.' or '*' may only be in the version */
		r = check_package(ctx, s, len, sc->pkg, false, pv_dot >= sc->pkg.len, dash[0], dash[1]);
		if (r < 0)
			return (int)r;
	}

	/* slot, repository, USE */
	i = pv.off + pv.len + glob;
	if (i < len && s[i] == ':' && !(i + 1 < len && s[i + 1] == ':')) {
		r = scan_slot(ctx, s, len, i, sc);
		if (r < 0)
			return (int)r;
		i = (size_t)r;
	}
	if (i + 1 < len && s[i] == ':' && s[i + 1] == ':') {
		r = scan_repo(ctx, s, len, i, flags, sc);
		if (r < 0)
			return (int)r;
		i = (size_t)r;
	} else if (i < len && s[i] == ':')
		return atom_error(ctx, s, len, i, "empty slot after ':'");
	if (i < len) {
		assert(s[i] == '[');
		if (flags & HS_ATOM_NO_USE)
			return atom_error(ctx, s, len, i, "atom is not allowed to have USE flag(s)");
		if (sc->extended)
			return atom_error(ctx, s, len, i, "a wildcard atom cannot have USE dependencies");
		r = scan_use(ctx, s, len, i, sc);
		if (r < 0)
			return (int)r;
	}
	return 0;
}
