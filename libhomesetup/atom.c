/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atoms: hs_atom_parse() and the object it builds (one malloc holding the struct, the USE dependencies, their
 * sorted order, every string and the version), and its getters.
 *
 * Parsing is two scanners over the same grammar. scan_fast() below reads the forms dependency strings and
 * configuration files are made of (blocker, operator, cat/pkg, version, `=ver*`, slot, sub-slot, slot
 * operator, `::repo`, USE dependencies) in one pass over a NUL-terminated copy of the text (or the text itself
 * when it ends in ']'), that byte stopping every loop so that none needs a bound check. It never reports
 * anything: on the first byte it is not sure about it gives up, and hs_atom_scan_full() (atom_scan.c), which
 * knows every form and words every error, scans the text from the start. So the fast scanner only has to be
 * right about what it accepts: it must then fill struct hs_atom_scan exactly as the complete one would (the
 * unit tests compare the two, and so did a differential fuzzer against the single-scanner parser this
 * replaced).
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
 * The unit tests and the fuzzer check that version.c agrees on what is a version; atom_build() relies on it.
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

/* Skip bytes of class cls from p; the NUL after the text (or its final ']') stops it. */
static inline const char *skip_class(const char *p, unsigned cls)
{
	while (in_class(*p, cls))
		p++;
	return p;
}

/*
 * The common forms only, on s[0..len) with s[len] == '\0' or s[len - 1] == ']'; see the comment at the top.
 * Each check mirrors one of hs_atom_scan_full(): where that one would report an error, or would take a path
 * not handled here (extended atoms, a '-' in a repository name, more than FAST_USE USE dependencies), this one
 * returns false.
 */
static bool scan_fast(const char *s, size_t len, unsigned flags, struct hs_atom_scan *sc)
{
	const char *p = s, *pv, *pv_end;
	ptrdiff_t d0 = -1, d1 = -1, d2 = -1, d3 = -1; /* the last dashes of pv, newest first (offsets in pv) */
	size_t dot = SIZE_MAX;                        /* first '.' in pv (offset): not in a package name */
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
	for (;;) {
		p = skip_class(p + 1, HS_AC_W);
		if (*p == '-') {
			d3 = d2;
			d2 = d1;
			d1 = d0;
			d0 = p - pv;
		} else if (*p == '.') {
			if (dot == SIZE_MAX)
				dot = (size_t)(p - pv);
		} else if (*p != '+')
			break;
	}
	pv_end = p;
	if (*p == '*') {
		if (in_class(p[1], HS_AC_PV) || sc->op != HS_OP_EQ || implied)
			return false;
		glob = true;
		p++;
	}

	/* split `pkg-ver`, and check the package name: no '.', no trailing `-version` */
	{
		size_t n = (size_t)(pv_end - pv), v = trailing_version_at(pv, n, d0, d1);

		if (sc->op == HS_OP_NONE) {
			if (v)
				return false; /* a version needs an operator */
			sc->pkg = (struct hs_atom_span){ (size_t)(pv - s), n };
			if (dot != SIZE_MAX)
				return false; /* a '.' in the package name */
		} else {
			if (!v)
				return false;
			if (sc->op == HS_OP_APPROX && (ptrdiff_t)v - 1 != d0)
				return false; /* '~' with a revision */
			if ((ptrdiff_t)v - 1 == d0) {
				d0 = d1;
				d1 = d2;
			} else {
				d0 = d2;
				d1 = d3;
			}
			sc->pkg = (struct hs_atom_span){ (size_t)(pv - s), v - 1 };
			sc->ver = (struct hs_atom_span){ (size_t)(pv - s) + v, n - v };
			if (glob)
				sc->op = HS_OP_GLOB;
			if (dot < v - 1 || trailing_version_at(pv, v - 1, d0, d1))
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

/* Bytes in order, a proper prefix first: what strcmp() says of the same names NUL-terminated (USE flag names
 * hold no NUL). Eight bytes at a time, since flags in one list share long prefixes (`python_targets_…`). */

/* hs_usedep_cmp()'s order, on the scanned items. */
static inline int item_cmp(const char *s, const struct hs_atom_use *a, const struct hs_atom_use *b)
{
	int r = hs_bytes_cmp(s + a->off, a->len, s + b->off, b->len);

	if (r)
		return r;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->dflt != b->dflt)
		return a->dflt < b->dflt ? -1 : 1;
	return 0;
}

/* A field of the copied text: it ends where a separator (or the end) was, now a NUL. */
static inline char *field(char *text, size_t off, size_t len)
{
	text[off + len] = '\0';
	return text + off;
}

static int atom_build(hs_ctx *ctx, hs_atom **out, const char *s, size_t len, const struct hs_atom_scan *sc)
{
	/* One block: the struct, the USE deps and their sorted index, the text, then the version. */
	size_t n = sc->n_use, head = sizeof(hs_atom) + n * (sizeof(hs_usedep) + sizeof(uint32_t)) + len + 1;
	size_t vsize = 0;
	hs_atom *a;
	char *text;

	if (sc->ver.len) {
		if (sc->ver.len > INT32_MAX) /* the message hs_version_parse() gives */
			return hs_version_measure(ctx, s + sc->ver.off, sc->ver.len, &vsize);
		/* the scanner's recogniser has validated the version: build it in one pass */
		vsize = hs_version_size_valid(sc->ver.len);
		if (vsize == 0)
			return -ENOMEM;
		head = (head + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
	}
	a = malloc(head + vsize);
	if (!a)
		return -ENOMEM;
	a->version = sc->ver.len ? hs_version_init_valid((char *)a + head, s + sc->ver.off, sc->ver.len) : NULL;
	a->use = (hs_usedep *)(a + 1);
	a->use_sorted = (uint32_t *)(a->use + n);
	text = (char *)(a->use_sorted + n);

	/* The strings are one copy of the whole text with a NUL written over the separator after each field:
	 * every field is followed by a byte that belongs to no other field ('/', '-', ':', '=', '(', ',', …). */
	memcpy(text, s, len);
	text[len] = '\0';
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
	a->n_use = (uint32_t)n;
	a->n_use_sorted = 0;

	for (uint32_t k = 0; k < n; k++) {
		const struct hs_atom_use *it = &sc->items[k];
		uint32_t j;

		a->use[k] = (hs_usedep){
			.flag = field(text, it->off, it->len),
			.kind = (hs_usedep_kind)it->kind,
			.dflt = (hs_usedep_default)it->dflt,
		};
		/* insertion into the sorted, duplicate-free index */
		for (j = a->n_use_sorted; j > 0; j--) {
			int c = item_cmp(s, &sc->items[a->use_sorted[j - 1]], it);

			if (c == 0)
				goto next;
			if (c < 0)
				break;
		}
		for (uint32_t m = a->n_use_sorted; m > j; m--)
			a->use_sorted[m] = a->use_sorted[m - 1];
		a->use_sorted[j] = k;
		a->n_use_sorted++;
	next:;
	}

	*out = a;
	return 0;
}

int hs_atom_parse(hs_ctx *ctx, hs_atom **out, const char *s, size_t len, unsigned flags)
{
	struct hs_atom_use items[FAST_USE];
	struct hs_atom_scan sc;
	int r;

	assert(out);
	assert(s || len == 0);
	*out = NULL;

	/* field by field rather than "= {0}": this is the hot path */
	sc.items = items;
	sc.cap_use = FAST_USE;
	sc.n_use = 0;
	sc.ver.len = sc.xver.len = 0;
	sc.blocker = sc.op = sc.slot_op = 0;
	sc.extended = sc.wildcard = sc.has_slot = sc.has_subslot = sc.has_repo = sc.items_heap = false;
	if (len > 0 && len <= FAST_MAX) {
		char buf[FAST_MAX + 1];
		const char *t = s;

		/* A final ']' stops every loop as the NUL would (no class holds it), and nothing is read past a
		 * byte that is not ']': such a text is scanned in place. */
		if (s[len - 1] != ']') {
			memcpy(buf, s, len);
			buf[len] = '\0';
			t = buf;
		}
		if (scan_fast(t, len, flags, &sc))
			return atom_build(ctx, out, s, len, &sc);
		sc.n_use = 0;
		sc.ver.len = 0;
		sc.blocker = sc.op = sc.slot_op = 0;
		sc.has_slot = sc.has_subslot = sc.has_repo = false;
	}

	sc.cat = sc.pkg = (struct hs_atom_span){ 0, 0 };
	r = hs_atom_scan_full(ctx, s, len, flags, &sc);
	if (r >= 0)
		r = atom_build(ctx, out, s, len, &sc);
	if (sc.items_heap)
		free(sc.items);
	return r;
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
