/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: PMS EAPI 8 package dependency specifications (`[!|!!][op]cat/pkg[-ver][*][:slot…][::repo][[use…]]`)
 * plus Portage's user-configuration extensions (`::repo`, and the extended "wildcard" atoms that package.use
 * accepts: `*\/\*`, `sys-apps/\*`, `=*\/\*-*9999*`, … as lib/portage/dep/__init__.py:_get_atom_wildcard_re
 * defines them).
 *
 * The parser is one left-to-right pass over (buf, len) that records offsets; then one malloc holds the struct,
 * the USE dependencies, their sorted order and every string. The version object comes from the versions module
 * (hs_version_parse), which owns its own allocation.
 *
 * Splitting `pkg-ver` needs to know what a version looks like before parsing one: version_syntax() below is a
 * recogniser of the PMS version grammar only (no values, no ordering); parsing and comparing stay in version.c.
 * The unit tests and the fuzzer check that both agree on what is a version.
 */
#include "homesetupP.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hs_atom {
	const char *category;
	const char *package;
	const char *slot;      /* NULL: none */
	const char *subslot;   /* NULL: none */
	const char *repo;      /* NULL: none */
	const char *xver;      /* extended `=cat/pkg-*TEXT*`: TEXT; else NULL */
	hs_version *version;   /* NULL: unversioned (and for extended atoms) */
	hs_usedep *use;        /* n_use entries, as written */
	uint32_t *use_sorted;  /* indices into use: sorted by (flag, kind, default), duplicates dropped */
	uint32_t n_use;
	uint32_t n_use_sorted;
	uint8_t blocker;       /* hs_blocker */
	uint8_t op;            /* hs_atom_op */
	uint8_t slot_op;       /* hs_slot_op */
	bool extended;         /* parsed with Portage's extended (wildcard) syntax */
	bool wildcard;         /* has a `*` in category, package or version (not the `=ver*` glob) */
	/* hs_usedep[n_use], uint32_t[n_use], then the strings follow */
};

/* ---- character classes ---------------------------------------------------------------------------------- */

enum {
	C_W = 1 << 0,     /* [A-Za-z0-9_] (Python's ASCII \w) */
	C_PLUS = 1 << 1,  /* + */
	C_DOT = 1 << 2,   /* . */
	C_DASH = 1 << 3,  /* - */
	C_STAR = 1 << 4,  /* * */
	C_AT = 1 << 5,    /* @ */
	C_ALNUM = 1 << 6, /* [A-Za-z0-9] */
};

#define W_ C_W
#define AN (C_W | C_ALNUM)
static const uint8_t cclass[256] = {
	['0'] = AN, ['1'] = AN, ['2'] = AN, ['3'] = AN, ['4'] = AN, ['5'] = AN, ['6'] = AN, ['7'] = AN, ['8'] = AN,
	['9'] = AN,
	['A'] = AN, ['B'] = AN, ['C'] = AN, ['D'] = AN, ['E'] = AN, ['F'] = AN, ['G'] = AN, ['H'] = AN, ['I'] = AN,
	['J'] = AN, ['K'] = AN, ['L'] = AN, ['M'] = AN, ['N'] = AN, ['O'] = AN, ['P'] = AN, ['Q'] = AN, ['R'] = AN,
	['S'] = AN, ['T'] = AN, ['U'] = AN, ['V'] = AN, ['W'] = AN, ['X'] = AN, ['Y'] = AN, ['Z'] = AN,
	['a'] = AN, ['b'] = AN, ['c'] = AN, ['d'] = AN, ['e'] = AN, ['f'] = AN, ['g'] = AN, ['h'] = AN, ['i'] = AN,
	['j'] = AN, ['k'] = AN, ['l'] = AN, ['m'] = AN, ['n'] = AN, ['o'] = AN, ['p'] = AN, ['q'] = AN, ['r'] = AN,
	['s'] = AN, ['t'] = AN, ['u'] = AN, ['v'] = AN, ['w'] = AN, ['x'] = AN, ['y'] = AN, ['z'] = AN,
	['_'] = W_, ['+'] = C_PLUS, ['.'] = C_DOT, ['-'] = C_DASH, ['*'] = C_STAR, ['@'] = C_AT,
};
#undef W_
#undef AN

/* Category `[A-Za-z0-9_][A-Za-z0-9+_.-]*` and slot names share this set; extended categories add `*`. */
#define CAT_CHARS (C_W | C_PLUS | C_DOT | C_DASH)
/* Package names `[A-Za-z0-9_][A-Za-z0-9+_-]*`. */
#define PKG_CHARS (C_W | C_PLUS | C_DASH)
/* What may follow the `/`: package, version, `*` glob or wildcard. */
#define PV_CHARS (C_W | C_PLUS | C_DOT | C_DASH | C_STAR)
#define SLOT_CHARS (C_W | C_PLUS | C_DOT | C_DASH)
#define REPO_CHARS (C_W | C_DASH)
#define USE_CHARS (C_ALNUM | C_W | C_PLUS | C_DASH | C_AT)

static inline bool is_class(char c, unsigned cls)
{
	return (cclass[(unsigned char)c] & cls) != 0;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Scan s[i..end) while the bytes are in cls. */
static inline size_t scan_class(const char *s, size_t i, size_t end, unsigned cls)
{
	while (i < end && is_class(s[i], cls))
		i++;
	return i;
}

/* Scan like scan_class() (cls includes C_W), and collect the classes of the other bytes seen in *seen. */
static inline size_t scan_seen(const char *s, size_t i, size_t end, unsigned cls, unsigned *seen)
{
	unsigned acc = 0;

	for (; i < end; i++) {
		unsigned c = cclass[(unsigned char)s[i]];

		if (c & C_W)
			continue;
		if (!(c & cls))
			break;
		acc |= c;
	}
	*seen = acc;
	return i;
}

/* ---- version syntax (recogniser only; see the comment at the top) ----------------------------------------- */

/*
 * Does s[0..n) follow `[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|p)[0-9]*)*` and, when allow_rev, an optional
 * `-r[0-9]+`? On failure *bad is the offset of the first byte that breaks the grammar (n: it ended too early)
 * and *why says what was expected.
 */
static bool version_syntax(const char *s, size_t n, bool allow_rev, size_t *bad, const char **why)
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

/* Last '-' in s[0..n) or -1. */
static inline ssize_t last_dash(const char *s, size_t n)
{
	/* names are short: a plain loop beats a call to memrchr() */
	while (n > 0)
		if (s[--n] == '-')
			return (ssize_t)n;
	return -1;
}

/*
 * Where a trailing `-VERSION[-rN]` of s[0..n) starts (the offset of VERSION), or 0 when s does not end in one
 * preceded by at least one byte. Portage's `pkg-ver` regexes match the leftmost such split; since a version holds
 * at most one '-' (the revision's), only the last two dashes can start it: l and l2 are their offsets (-1: none).
 */
static size_t trailing_version_at(const char *s, size_t n, ssize_t l, ssize_t l2)
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

static size_t trailing_version(const char *s, size_t n)
{
	ssize_t l = last_dash(s, n);

	return trailing_version_at(s, n, l, l > 0 ? last_dash(s, (size_t)l) : -1);
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

static const char *const op_text[] = {
	[HS_OP_NONE] = "", [HS_OP_LT] = "<", [HS_OP_LE] = "<=", [HS_OP_EQ] = "=",
	[HS_OP_GLOB] = "=", [HS_OP_APPROX] = "~", [HS_OP_GE] = ">=", [HS_OP_GT] = ">",
};

/* ---- the scanner ------------------------------------------------------------------------------------------- */

struct span {
	size_t off, len;
};

/* One USE dependency found by the scanner. */
struct use_item {
	uint32_t off, len; /* the flag name */
	uint8_t kind, dflt;
};

/* USE dependencies kept from the scan; an atom with more is scanned again while it is built. */
#define USE_ITEMS_KEPT 16

struct atom_scan {
	struct span cat, pkg, ver, xver, slot, subslot, repo, use; /* use: inside the brackets */
	size_t n_use;
	struct use_item *items;  /* USE_ITEMS_KEPT entries */
	uint8_t blocker, op, slot_op;
	bool extended, wildcard, has_slot, has_subslot, has_repo, has_use;
};

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
static int scan_usedep(hs_ctx *ctx, const char *s, size_t len, size_t i, size_t last, struct use_item *it,
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
	if (!is_class(s[i], C_ALNUM)) {
		if (s[i] == ',' || s[i] == ']')
			return atom_error(ctx, s, len, i, "missing USE flag name after '%c'", prefix);
		return atom_error(ctx, s, len, i, "USE flag names start with a letter or digit, not %s",
				  describe_byte(b, s[i]));
	}
	/* s[last] is ']', outside USE_CHARS: it stops the scan without a bound check */
	do
		i++;
	while (is_class(s[i], USE_CHARS));
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
static int scan_use(hs_ctx *ctx, const char *s, size_t len, size_t i, struct atom_scan *sc)
{
	size_t open = i, last = len - 1, end;
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
	sc->has_use = true;
	sc->use = (struct span){ open + 1, last - open - 1 };
	i = open + 1;
	for (;;) {
		struct use_item tmp, *it = sc->n_use < USE_ITEMS_KEPT ? &sc->items[sc->n_use] : &tmp;

		r = scan_usedep(ctx, s, len, i, last, it, &end);
		if (r < 0)
			return r;
		sc->n_use++;
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
	if (!is_class(s[i], C_W)) {
		if (is_class(s[i], SLOT_CHARS))
			return atom_error(ctx, s, len, i, "a %s name must not start with %s", what,
					  describe_byte(b, s[i]));
		return atom_error(ctx, s, len, i, "invalid character %s in %s name", describe_byte(b, s[i]), what);
	}
	e = scan_class(s, i, len, SLOT_CHARS);
	return (ssize_t)e;
}

/* `:slot`, `:slot/sub`, `:*`, `:=`, `:slot=`, `:slot/sub=` at s[i] == ':' (not "::"). Returns the end. */
static ssize_t scan_slot(hs_ctx *ctx, const char *s, size_t len, size_t i, struct atom_scan *sc)
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
	sc->slot = (struct span){ i, (size_t)e - i };
	i = (size_t)e;
	if (i < len && s[i] == '/') {
		e = scan_slot_name(ctx, s, len, i + 1, "sub-slot", "/");
		if (e < 0)
			return e;
		sc->has_subslot = true;
		sc->subslot = (struct span){ i + 1, (size_t)e - i - 1 };
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
static ssize_t scan_repo(hs_ctx *ctx, const char *s, size_t len, size_t i, unsigned flags, struct atom_scan *sc)
{
	char b[16];
	size_t start = i + 2, e, v;

	if (!(flags & HS_ATOM_ALLOW_REPO))
		return atom_error(ctx, s, len, i, "repository dependencies ('::repo') are not allowed here");
	if (start >= len || s[start] == '[')
		return atom_error(ctx, s, len, start, "empty repository name after '::'");
	if (!is_class(s[start], C_W)) {
		if (s[start] == '-')
			return atom_error(ctx, s, len, start, "a repository name must not start with '-'");
		return atom_error(ctx, s, len, start, "invalid character %s in repository name",
				  describe_byte(b, s[start]));
	}
	e = scan_class(s, start, len, REPO_CHARS);
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
	sc->repo = (struct span){ start, e - start };
	return (ssize_t)e;
}

/*
 * Check a package name (or, extended, a package pattern) s[p.off..+p.len): first byte, bytes (unless the caller
 * knows them to be fine), and no trailing `-version`. l and l2 are the offsets in p of its last two dashes.
 */
static int check_package(hs_ctx *ctx, const char *s, size_t len, struct span p, bool extended, bool chars_ok,
			 ssize_t l, ssize_t l2)
{
	char b[16];
	size_t e, v;

	if (p.len == 0)
		return atom_error(ctx, s, len, p.off, "empty package name after '/'");
	if (!is_class(s[p.off], extended ? (C_W | C_PLUS | C_STAR) : C_W))
		return atom_error(ctx, s, len, p.off, "a package name must not start with %s",
				  describe_byte(b, s[p.off]));
	e = chars_ok ? p.off + p.len : scan_class(s, p.off, p.off + p.len, extended ? (PKG_CHARS | C_STAR) : PKG_CHARS);
	if (e < p.off + p.len) {
		if (s[e] == '*')
			return atom_error(ctx, s, len, e, "wildcards ('*') are not allowed here");
		return atom_error(ctx, s, len, e, "invalid character %s in package name '%.*s'",
				  describe_byte(b, s[e]), (int)p.len, s + p.off);
	}
	v = trailing_version_at(s + p.off, p.len, l, l2);
	if (v) {
		_cleanup_free_ char *name = tok(s + p.off, p.len);

		return atom_error(ctx, s, len, p.off + v - 1,
				  "invalid package name '%s': it ends in '-' and a valid version", name ? name : "?");
	}
	return 0;
}

/* After a failed `pkg-version` split of pv: say why, pointing into the most plausible version. */
static __attribute__((cold)) int version_missing(hs_ctx *ctx, const char *s, size_t len, struct span pv, uint8_t op,
						 bool implied)
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
				  "the operator '%s' needs a version ('%scategory/package-version')", op_text[op],
				  op_text[op]);
	}
	if (!version_syntax(s + pv.off + d, pv.len - d, true, &bad, &why)) {
		_cleanup_free_ char *v = tok(s + pv.off + d, pv.len - d);

		return atom_error(ctx, s, len, pv.off + d + bad, "invalid version '%s': %s", v ? v : "?", why);
	}
	/* a valid version after a '-' cannot fail to split unless the package part is empty */
	return atom_error(ctx, s, len, pv.off, "empty package name before the version");
}

/* Does s[p] contain "**"? Returns its offset or (size_t)-1. */
static size_t find_double_star(const char *s, struct span p)
{
	for (size_t i = p.off; i + 1 < p.off + p.len; i++)
		if (s[i] == '*' && s[i + 1] == '*')
			return i;
	return (size_t)-1;
}

static int scan_atom(hs_ctx *ctx, const char *s, size_t len, unsigned flags, struct atom_scan *sc)
{
	char b[16];
	size_t i = 0, op_at, e;
	unsigned cat_seen, pv_seen = 0;
	ssize_t dash[4] = { -1, -1, -1, -1 }; /* the last dashes of pv, newest first (offsets in pv) */
	size_t pv_dot = SIZE_MAX;             /* first '.' or '*' in pv (offset): not in a package name */
	struct span pv;
	bool implied = false, glob = false, ext = false;
	ssize_t r;

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
	e = scan_seen(s, i, len, CAT_CHARS | C_STAR, &cat_seen);
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
		unsigned c = cclass[(unsigned char)s[e]];

		if (c & C_W) /* the common case first */
			continue;
		if (!(c & PV_CHARS))
			break;
		pv_seen |= c;
		if (c & C_DASH) {
			dash[3] = dash[2];
			dash[2] = dash[1];
			dash[1] = dash[0];
			dash[0] = (ssize_t)(e - i);
		} else if ((c & (C_DOT | C_STAR)) && pv_dot == SIZE_MAX)
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
		bool cat_star = cat_seen & C_STAR;
		const char *st = (pv_seen & C_STAR) ? memchr(s + pv.off, '*', pv.len) : NULL;
		bool pv_star = st && !(sc->op == HS_OP_EQ && !implied && (size_t)(st - s) == pv.off + pv.len - 1);

		ext = cat_star || pv_star || s[sc->cat.off] == '+' || s[pv.off] == '+';
	}

	/* category characters */
	if (!is_class(s[sc->cat.off], ext ? (C_W | C_PLUS | C_STAR) : C_W)) {
		if (s[sc->cat.off] == '*')
			return atom_error(ctx, s, len, sc->cat.off, "wildcards ('*') are not allowed here");
		return atom_error(ctx, s, len, sc->cat.off, "a category name must not start with %s",
				  describe_byte(b, s[sc->cat.off]));
	}
	if (!ext && (cat_seen & C_STAR))
		return atom_error(ctx, s, len, (size_t)((const char *)memchr(s + sc->cat.off, '*', sc->cat.len) - s),
				  "wildcards ('*') are not allowed here");

	if (ext) {
		size_t ds;

		sc->extended = true;
		sc->wildcard = ((cat_seen | pv_seen) & C_STAR) != 0;
		if (implied)
			return atom_error(ctx, s, len, pv.off, "expected 'category/package-version', not a wildcard");
		if (sc->op == HS_OP_EQ) {
			/* `=cat/pkg-*TEXT*` with TEXT in [A-Za-z0-9_]+ */
			ssize_t d = last_dash(s + pv.off, pv.len);
			size_t v0 = d > 0 ? pv.off + (size_t)d + 1 : 0, ve = pv.off + pv.len;

			if (d <= 0 || ve - v0 < 3 || s[v0] != '*' || s[ve - 1] != '*' ||
			    scan_class(s, v0 + 1, ve - 1, C_W) != ve - 1)
				return atom_error(ctx, s, len, d > 0 ? v0 : pv.off,
						  "a wildcard atom with '=' must end in '-*VERSION-PART*' (for example "
						  "'=*/*-*9999*')");
			sc->xver = (struct span){ v0 + 1, ve - v0 - 2 };
			sc->pkg = (struct span){ pv.off, (size_t)d };
			sc->op = HS_OP_GLOB;
			sc->wildcard = true;
		} else if (sc->op != HS_OP_NONE) {
			return atom_error(ctx, s, len, op_at, "a wildcard atom cannot have the operator '%s' (only "
					  "'=category/package-*VERSION-PART*')", op_text[sc->op]);
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
						  op_text[sc->op]);
			glob = true;
			pv.len--;
		}
		if (pv_seen & C_STAR) {
			const char *st = memchr(s + pv.off, '*', pv.len);

			if (st)
				return atom_error(ctx, s, len, (size_t)(st - s), "wildcards ('*') are not allowed here");
		}
		if (sc->op == HS_OP_NONE) {
			sc->pkg = pv;
			v = trailing_version_at(s + pv.off, pv.len, dash[0], dash[1]);
			if (v)
				return atom_error(ctx, s, len, op_at,
						  "versioned atom requires an operator (write '%.*s=%.*s' for this "
						  "exact version)", (int)op_at, s, (int)(len - op_at), s + op_at);
			dash[0] = -1; /* just checked: no trailing version */
		} else {
			v = trailing_version_at(s + pv.off, pv.len, dash[0], dash[1]);
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
			sc->pkg = (struct span){ pv.off, v - 1 };
			sc->ver = (struct span){ pv.off + v, pv.len - v };
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

/* ---- building the object ----------------------------------------------------------------------------------- */

static int usedep_cmp(const hs_usedep *a, const hs_usedep *b)
{
	int r = (unsigned char)a->flag[0] - (unsigned char)b->flag[0];

	if (r)
		return r;
	r = strcmp(a->flag, b->flag);

	if (r)
		return r;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->dflt != b->dflt)
		return a->dflt < b->dflt ? -1 : 1;
	return 0;
}

/* A field of the copied text: it ends where a separator (or the end) was, now a NUL. */
static inline char *field(char *text, struct span sp)
{
	text[sp.off + sp.len] = '\0';
	return text + sp.off;
}

int hs_atom_parse(hs_ctx *ctx, hs_atom **out, const char *s, size_t len, unsigned flags)
{
	struct use_item items[USE_ITEMS_KEPT];
	struct atom_scan sc;
	hs_atom *a;
	char *text;
	int r;

	assert(out);
	assert(s || len == 0);
	*out = NULL;

	if (len > UINT32_MAX)
		return atom_error(ctx, s, 64, 0, "the atom is longer than %u bytes", UINT32_MAX);
	/* field by field rather than "= {0}": this is the hot path and the struct is large */
	sc.items = items;
	sc.cat = sc.pkg = (struct span){ 0, 0 };
	sc.ver.len = sc.xver.len = sc.n_use = 0;
	sc.blocker = sc.op = sc.slot_op = 0;
	sc.extended = sc.wildcard = sc.has_slot = sc.has_subslot = sc.has_repo = sc.has_use = false;
	r = scan_atom(ctx, s, len, flags, &sc);
	if (r < 0)
		return r;

	/* The strings are one copy of the whole text with a NUL written over the separator after each field:
	 * every field is followed by a byte that belongs to no other field ('/', '-', ':', '=', '(', ',', …). */
	{
		/* One block: the struct, the USE deps and their sorted index, the text, then the version. */
		size_t head = sizeof(*a) + sc.n_use * (sizeof(hs_usedep) + sizeof(uint32_t)) + len + 1;
		size_t vsize = 0;

		if (sc.ver.len) {
			r = hs_version_measure(ctx, s + sc.ver.off, sc.ver.len, &vsize);
			if (r < 0)
				return r;
			head = (head + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
		}
		a = malloc(head + vsize);
		if (!a)
			return -ENOMEM;
		a->version = sc.ver.len ? hs_version_init_at((char *)a + head, s + sc.ver.off, sc.ver.len) : NULL;
	}
	a->use = (hs_usedep *)(a + 1);
	a->use_sorted = (uint32_t *)(a->use + sc.n_use);
	text = (char *)(a->use_sorted + sc.n_use);
	memcpy(text, s, len);
	text[len] = '\0';
	a->category = field(text, sc.cat);
	a->package = field(text, sc.pkg);
	a->slot = sc.has_slot ? field(text, sc.slot) : NULL;
	a->subslot = sc.has_subslot ? field(text, sc.subslot) : NULL;
	a->repo = sc.has_repo ? field(text, sc.repo) : NULL;
	a->xver = sc.xver.len ? field(text, sc.xver) : NULL;
	a->blocker = sc.blocker;
	a->op = sc.op;
	a->slot_op = sc.slot_op;
	a->extended = sc.extended;
	a->wildcard = sc.wildcard;
	a->n_use = (uint32_t)sc.n_use;
	a->n_use_sorted = 0;

	if (sc.has_use) {
		/* beyond USE_ITEMS_KEPT the scanner kept nothing: walk the list again */
		bool rescan = a->n_use > USE_ITEMS_KEPT;
		size_t i = sc.use.off, last = sc.use.off + sc.use.len, end;

		for (uint32_t k = 0; k < a->n_use; k++) {
			struct use_item tmp, *it = &items[k < USE_ITEMS_KEPT ? k : 0];
			uint32_t j;

			if (rescan) {
				r = scan_usedep(NULL, s, len, i, last, &tmp, &end);
				assert(r == 0);
				it = &tmp;
				i = end + 1;
			}
			a->use[k] = (hs_usedep){
				.flag = field(text, (struct span){ it->off, it->len }),
				.kind = (hs_usedep_kind)it->kind,
				.dflt = (hs_usedep_default)it->dflt,
			};
			/* insertion into the sorted, duplicate-free index */
			for (j = a->n_use_sorted; j > 0; j--) {
				int c = usedep_cmp(&a->use[a->use_sorted[j - 1]], &a->use[k]);

				if (c == 0)
					goto next;
				if (c < 0)
					break;
			}
			memmove(a->use_sorted + j + 1, a->use_sorted + j, (a->n_use_sorted - j) * sizeof(uint32_t));
			a->use_sorted[j] = k;
			a->n_use_sorted++;
		next:;
		}
	}

	*out = a;
	return 0;
}

void hs_atom_free(hs_atom *atom)
{
	free(atom); /* the version lives in the same block */
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

/* ---- formatting --------------------------------------------------------------------------------------------- */

/* Appends to a buffer sized beforehand; with p == NULL it only counts. */
struct writer {
	char *p;
	size_t n;
};

static inline void w_mem(struct writer *w, const char *s, size_t n)
{
	if (w->p)
		memcpy(w->p + w->n, s, n);
	w->n += n;
}

static inline void w_str(struct writer *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static inline void w_chr(struct writer *w, char c)
{
	w_mem(w, &c, 1);
}

static void atom_write(const hs_atom *atom, struct writer *w)
{
	static const char *const blk[] = { "", "!", "!!" };
	static const char *const dflt[] = { "", "(+)", "(-)" };

	w_str(w, blk[atom->blocker]);
	w_str(w, op_text[atom->op]);
	w_str(w, atom->category);
	w_chr(w, '/');
	w_str(w, atom->package);
	if (atom->version) {
		w_chr(w, '-');
		w_str(w, hs_version_str(atom->version));
		if (atom->op == HS_OP_GLOB)
			w_chr(w, '*');
	} else if (atom->xver) {
		w_mem(w, "-*", 2);
		w_str(w, atom->xver);
		w_chr(w, '*');
	}
	if (atom->slot || atom->slot_op) {
		w_chr(w, ':');
		if (atom->slot)
			w_str(w, atom->slot);
		if (atom->subslot) {
			w_chr(w, '/');
			w_str(w, atom->subslot);
		}
		if (atom->slot_op)
			w_chr(w, atom->slot_op == HS_SLOT_OP_STAR ? '*' : '=');
	}
	if (atom->repo) {
		w_mem(w, "::", 2);
		w_str(w, atom->repo);
	}
	for (uint32_t i = 0; i < atom->n_use; i++) {
		const hs_usedep *d = &atom->use[i];

		w_chr(w, i == 0 ? '[' : ',');
		if (d->kind == HS_USEDEP_DISABLED)
			w_chr(w, '-');
		else if (d->kind == HS_USEDEP_NOT_EQUAL || d->kind == HS_USEDEP_IF_DISABLED)
			w_chr(w, '!');
		w_str(w, d->flag);
		w_str(w, dflt[d->dflt]);
		if (d->kind == HS_USEDEP_EQUAL || d->kind == HS_USEDEP_NOT_EQUAL)
			w_chr(w, '=');
		else if (d->kind == HS_USEDEP_IF_ENABLED || d->kind == HS_USEDEP_IF_DISABLED)
			w_chr(w, '?');
	}
	if (atom->n_use)
		w_chr(w, ']');
}

int hs_atom_format(const hs_atom *atom, char **out)
{
	struct writer w = {0};

	atom_write(atom, &w);
	w.p = malloc(w.n + 1);
	if (!w.p) {
		*out = NULL;
		return -ENOMEM;
	}
	w.n = 0;
	atom_write(atom, &w);
	w.p[w.n] = '\0';
	*out = w.p;
	return 0;
}

int hs_atom_cp(const hs_atom *atom, char **out)
{
	if (asprintf(out, "%s/%s", atom->category, atom->package) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- ordering ----------------------------------------------------------------------------------------------- */

/* NULL (absent) sorts first. */
static int cmp_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_uint(unsigned a, unsigned b)
{
	return (a > b) - (a < b);
}

int hs_atom_compare(const hs_atom *a, const hs_atom *b)
{
	/* pkgcraft's orders: no blocker < '!!' < '!'; no slot operator < '=' < '*' */
	static const uint8_t blocker_rank[] = { [HS_BLOCK_NONE] = 0, [HS_BLOCK_STRONG] = 1, [HS_BLOCK_WEAK] = 2 };
	static const uint8_t slot_op_rank[] = { [HS_SLOT_OP_NONE] = 0, [HS_SLOT_OP_EQUAL] = 1,
						[HS_SLOT_OP_STAR] = 2 };
	uint32_t n;
	int r;

	r = strcmp(a->category, b->category);
	if (r)
		return r;
	r = strcmp(a->package, b->package);
	if (r)
		return r;
	if (!a->version || !b->version) {
		r = (a->version != NULL) - (b->version != NULL);
		if (r)
			return r;
	} else {
		r = hs_version_compare(a->version, b->version);
		if (r)
			return r;
	}
	r = cmp_opt_str(a->xver, b->xver);
	if (r)
		return r;
	r = cmp_uint(a->op, b->op);
	if (r)
		return r;
	r = cmp_uint(blocker_rank[a->blocker], blocker_rank[b->blocker]);
	if (r)
		return r;
	r = cmp_opt_str(a->slot, b->slot);
	if (r)
		return r;
	r = cmp_opt_str(a->subslot, b->subslot);
	if (r)
		return r;
	r = cmp_uint(slot_op_rank[a->slot_op], slot_op_rank[b->slot_op]);
	if (r)
		return r;
	/* USE deps as a set: no USE deps first, then element-wise over the sorted sets, a prefix first */
	n = a->n_use_sorted < b->n_use_sorted ? a->n_use_sorted : b->n_use_sorted;
	if ((a->n_use_sorted == 0) != (b->n_use_sorted == 0))
		return a->n_use_sorted == 0 ? -1 : 1;
	for (uint32_t i = 0; i < n; i++) {
		r = usedep_cmp(&a->use[a->use_sorted[i]], &b->use[b->use_sorted[i]]);
		if (r)
			return r;
	}
	r = cmp_uint(a->n_use_sorted, b->n_use_sorted);
	if (r)
		return r;
	r = cmp_opt_str(a->repo, b->repo);
	if (r)
		return r;
	/* what the fields cannot tell apart: extended spellings of the same text (`+a/b`) */
	return cmp_uint(a->extended, b->extended);
}

/* ---- wildcards ---------------------------------------------------------------------------------------------- */

/* Portage's extended_cp_match for one name: `*` matches any run of bytes (names hold no '/'). */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*
 * Is there a name both patterns match? D[i][j] ("p from i and q from j share a string") is filled backwards,
 * one row at a time: a '*' either matches nothing, or swallows the other side's next byte or star.
 */
static bool glob_intersects(const char *p, const char *q)
{
	size_t n = strlen(p), m = strlen(q);
	bool stack[2][130], *next, *cur, result;
	_cleanup_free_ bool *heap = NULL;

	if (!memchr(p, '*', n))
		return glob_match(q, p);
	if (!memchr(q, '*', m))
		return glob_match(p, q);
	if (m + 1 <= ELEMENTSOF(stack[0])) {
		next = stack[0];
		cur = stack[1];
	} else {
		heap = malloc(2 * (m + 1) * sizeof(bool));
		if (!heap)
			return true; /* cannot tell: say "maybe" */
		next = heap;
		cur = heap + m + 1;
	}
	for (size_t ii = n + 1; ii-- > 0;) {
		for (size_t jj = m + 1; jj-- > 0;) {
			bool v;

			if (ii == n && jj == m)
				v = true;
			else if (ii < n && p[ii] == '*')
				v = next[jj] || (jj < m && cur[jj + 1]);
			else if (jj < m && q[jj] == '*')
				v = cur[jj + 1] || (ii < n && next[jj]);
			else
				v = ii < n && jj < m && p[ii] == q[jj] && next[jj + 1];
			cur[jj] = v;
		}
		result = cur[0];
		{
			bool *t = next;

			next = cur;
			cur = t;
		}
	}
	return result;
}

/* ---- intersection ------------------------------------------------------------------------------------------- */

/* The version text as `=ver*` compares it: the first number without its leading zeros (one digit kept). */
static const char *glob_text(const hs_version *v)
{
	const char *t = hs_version_str(v);

	while (t[0] == '0' && is_digit(t[1]))
		t++;
	return t;
}

/* pkgcraft's Version::starts_with, which its intersection data rests on: a plain textual prefix. */
static bool starts_with(const hs_version *v, const hs_version *prefix)
{
	const char *t = glob_text(v), *p = glob_text(prefix);

	return strncmp(t, p, strlen(p)) == 0;
}

static bool revision_is_zero(const hs_version *v)
{
	const char *r = hs_version_revision(v);

	while (*r == '0')
		r++;
	return *r == '\0';
}

/* Does the exact version x satisfy `op v`? */
static bool satisfies(hs_atom_op op, const hs_version *v, const hs_version *x)
{
	switch (op) {
	case HS_OP_LT:
		return hs_version_compare(x, v) < 0;
	case HS_OP_LE:
		return hs_version_compare(x, v) <= 0;
	case HS_OP_EQ:
		return hs_version_compare(x, v) == 0;
	case HS_OP_GLOB:
		return starts_with(x, v);
	case HS_OP_APPROX:
		return hs_version_compare_norev(x, v) == 0;
	case HS_OP_GE:
		return hs_version_compare(x, v) >= 0;
	case HS_OP_GT:
		return hs_version_compare(x, v) > 0;
	default:
		return true;
	}
}

static inline bool is_unbounded(hs_atom_op op)
{
	return op == HS_OP_LT || op == HS_OP_LE || op == HS_OP_GT || op == HS_OP_GE;
}

static inline bool is_upper(hs_atom_op op)
{
	return op == HS_OP_LT || op == HS_OP_LE;
}

/* A range (`<`, `<=`, `>`, `>=` rv) against `~ov` or `=ov*`. */
static bool ranged_intersects(hs_atom_op rop, const hs_version *rv, hs_atom_op oop, const hs_version *ov)
{
	if (satisfies(rop, rv, ov))
		return true;
	if (oop == HS_OP_APPROX)
		/* >1-r1 and ~1 share 1-r2 */
		return !is_upper(rop) && hs_version_compare_norev(ov, rv) == 0;
	/* =ov*: the range's own version may still lie below the glob's other members */
	if (is_upper(rop) && !revision_is_zero(ov))
		return false;
	return starts_with(rv, ov);
}

/* The same decision table as pkgcraft's Version::intersects (crates/pkgcraft/src/dep/version.rs). */
static bool versions_intersect(hs_atom_op aop, const hs_version *a, hs_atom_op bop, const hs_version *b)
{
	if (is_unbounded(aop) && is_unbounded(bop)) {
		if (is_upper(aop) == is_upper(bop))
			return true;
		return satisfies(aop, a, b) && satisfies(bop, b, a);
	}
	if (aop == HS_OP_APPROX && bop == HS_OP_APPROX)
		return hs_version_compare(a, b) == 0;
	if (bop == HS_OP_EQ)
		return satisfies(aop, a, b);
	if (aop == HS_OP_EQ)
		return satisfies(bop, b, a);
	if (aop == HS_OP_GLOB && bop == HS_OP_GLOB)
		return starts_with(a, b) || starts_with(b, a);
	if (aop == HS_OP_GLOB && bop == HS_OP_APPROX)
		return starts_with(b, a);
	if (aop == HS_OP_APPROX && bop == HS_OP_GLOB)
		return starts_with(a, b);
	if (is_unbounded(aop))
		return ranged_intersects(aop, a, bop, b);
	return ranged_intersects(bop, b, aop, a);
}

/*
 * Two unconditional USE deps on one flag conflict unless one says `flag(+)` and the other `-flag(-)`: a package
 * without the flag in IUSE satisfies both.
 */
static bool usedeps_conflict(const hs_usedep *x, const hs_usedep *y)
{
	const hs_usedep *en, *dis;

	if (x->kind == HS_USEDEP_ENABLED && y->kind == HS_USEDEP_DISABLED) {
		en = x;
		dis = y;
	} else if (x->kind == HS_USEDEP_DISABLED && y->kind == HS_USEDEP_ENABLED) {
		en = y;
		dis = x;
	} else
		return false;
	if (strcmp(x->flag, y->flag) != 0)
		return false;
	return !(en->dflt == HS_USEDEP_DEFAULT_ON && dis->dflt == HS_USEDEP_DEFAULT_OFF);
}

static bool use_conflicts(const hs_atom *a, const hs_atom *b)
{
	for (uint32_t i = 0; i < a->n_use; i++)
		for (uint32_t j = 0; j < b->n_use; j++)
			if (usedeps_conflict(&a->use[i], &b->use[j]))
				return true;
	return false;
}

bool hs_atom_intersects(const hs_atom *a, const hs_atom *b)
{
	if (a->extended || b->extended) {
		if (!glob_intersects(a->category, b->category) || !glob_intersects(a->package, b->package))
			return false;
	} else if (strcmp(a->category, b->category) != 0 || strcmp(a->package, b->package) != 0)
		return false;
	if (a->slot && b->slot && strcmp(a->slot, b->slot) != 0)
		return false;
	if (a->subslot && b->subslot && strcmp(a->subslot, b->subslot) != 0)
		return false;
	if (a->repo && b->repo && strcmp(a->repo, b->repo) != 0)
		return false;
	/* contradictions between the two atoms, and within each (nothing matches `[u,-u]`) */
	if (use_conflicts(a, b) || use_conflicts(a, a) || use_conflicts(b, b))
		return false;
	if (a->version && b->version)
		return versions_intersect(a->op, a->version, b->op, b->version);
	/* `=*\/\*-*TEXT*` against an exact version: does the version contain TEXT? */
	if (a->xver && b->version && b->op == HS_OP_EQ)
		return strstr(hs_version_str(b->version), a->xver) != NULL;
	if (b->xver && a->version && a->op == HS_OP_EQ)
		return strstr(hs_version_str(a->version), b->xver) != NULL;
	return true;
}

/* ---- matching ----------------------------------------------------------------------------------------------- */

static bool in_set(const hs_useset *set, const char *flag)
{
	return hs_useset_has(set, flag, strlen(flag));
}

int hs_atom_match(const hs_atom *atom, const hs_pkg_info *pkg)
{
	assert(pkg && pkg->category && pkg->package);

	if (atom->extended) {
		if (!glob_match(atom->category, pkg->category) || !glob_match(atom->package, pkg->package))
			return 0;
	} else if (strcmp(atom->category, pkg->category) != 0 || strcmp(atom->package, pkg->package) != 0)
		return 0;

	if (atom->version) {
		const hs_version *v = pkg->version;

		if (!v)
			return 0;
		switch (atom->op) {
		case HS_OP_GLOB:
			if (!hs_version_match_glob(atom->version, v))
				return 0;
			break;
		case HS_OP_APPROX:
			/* Portage (match_from_list) compares the version text without the revision, so
			 * ~a/b-1.0 matches 1.0-r3 but not 1.00 */
			if (strcmp(hs_version_str_norev(v), hs_version_str_norev(atom->version)) != 0)
				return 0;
			break;
		default:
			if (!satisfies(atom->op, atom->version, v))
				return 0;
		}
	} else if (atom->xver) {
		/* Portage: `ver in x.version` */
		if (!pkg->version || !strstr(hs_version_str(pkg->version), atom->xver))
			return 0;
	}

	if (atom->slot) {
		const char *sub = pkg->subslot ? pkg->subslot : pkg->slot;

		if (!pkg->slot || strcmp(atom->slot, pkg->slot) != 0)
			return 0;
		if (atom->subslot && strcmp(atom->subslot, sub) != 0)
			return 0;
	}
	if (atom->repo && (!pkg->repo || strcmp(atom->repo, pkg->repo) != 0))
		return 0;

	if (pkg->use) {
		for (uint32_t i = 0; i < atom->n_use; i++) {
			const hs_usedep *d = &atom->use[i];
			bool in_iuse, on;

			if (d->kind != HS_USEDEP_ENABLED && d->kind != HS_USEDEP_DISABLED)
				continue;
			in_iuse = !pkg->iuse || in_set(pkg->iuse, d->flag);
			if (in_iuse)
				on = in_set(pkg->use, d->flag);
			else if (d->dflt == HS_USEDEP_DEFAULT_NONE)
				return 0; /* Portage: a flag without a default must be in IUSE */
			else
				on = d->dflt == HS_USEDEP_DEFAULT_ON;
			if (on != (d->kind == HS_USEDEP_ENABLED))
				return 0;
		}
	}
	return 1;
}

/* ---- specificity -------------------------------------------------------------------------------------------- */

int hs_atom_specificity(const hs_atom *atom)
{
	static const int8_t op_value[] = {
		[HS_OP_NONE] = 1, [HS_OP_LT] = 2, [HS_OP_LE] = 2, [HS_OP_EQ] = 6,
		[HS_OP_GLOB] = 4, [HS_OP_APPROX] = 5, [HS_OP_GE] = 2, [HS_OP_GT] = 2,
	};
	int v;

	if (atom->extended) {
		if (atom->op == HS_OP_GLOB)
			return 0;
		return atom->slot ? -1 : -2;
	}
	v = op_value[atom->op];
	if (atom->slot && v < 3)
		v = 3;
	return v;
}
