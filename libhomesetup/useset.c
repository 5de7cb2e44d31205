/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USE-flag sets and Portage's incremental USE stacking.
 *
 * A set is a sorted array of owned strings (byte order, binary search): sets are small (a few hundred flags
 * at most: IUSE_EFFECTIVE of the biggest packages) and are read far more often than they are built, so a
 * flat array beats a hash table on both speed and memory here and gives the byte-order iteration the API
 * promises for free.
 *
 * Token rules follow Portage's config.regenerate()/setcpv() USE stacking and UseManager's package.use
 * USE_EXPAND handling (see docs/portage-facts.md §2.3 and §2.5).
 */
#include "homesetupP.h"

#include <stdio.h>

struct use_flag {
	char *s;
	size_t len;
	uint64_t key; /* flag_key(s, len): most comparisons of a lookup are decided by it alone */
};

struct hs_useset {
	struct use_flag *v;
	size_t n, cap;
};

struct iuse_entry {
	char *flag;
	int dflt; /* 1 `+flag`, -1 `-flag`, 0 none */
};

struct hs_iuse {
	hs_useset *flags;
	struct iuse_entry *v;
	size_t n;
};

/* Python's str.split() separators that can occur in ASCII text. */
static inline bool use_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Byte order, a proper prefix first; eight bytes at a time (flags of one set share long prefixes such as
 * `python_single_target_`), without a call. */

/* The first eight bytes as a big-endian number, zero-padded: when two keys differ they order the flags as
 * hs_bytes_cmp() does (a shorter flag pads with zeros where the longer has bytes), so only equal keys need the
 * bytes. */
static inline uint64_t flag_key(const char *s, size_t len)
{
	uint64_t k = 0;

	if (len >= 8) {
		memcpy(&k, s, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		k = __builtin_bswap64(k);
#endif
	} else {
		for (size_t i = 0; i < len; i++)
			k |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	}
	return k;
}

/* Is f below (flag, len), whose key is key? Equal keys mean equal first bytes (up to eight): the rest decides,
 * or the length when one of them has no more. */
static inline bool flag_below(const struct use_flag *f, uint64_t key, const char *flag, size_t len)
{
	if (f->key != key)
		return f->key < key;
	if (f->len <= 8 || len <= 8)
		return f->len < len;
	return hs_bytes_cmp(f->s + 8, f->len - 8, flag + 8, len - 8) < 0;
}

/* Is f (not below it) equal to (flag, len), whose key is key? */
static inline bool flag_equal(const struct use_flag *f, uint64_t key, const char *flag, size_t len)
{
	return f->key == key && f->len == len && (len <= 8 || memcmp(f->s + 8, flag + 8, len - 8) == 0);
}

/* Index of the first element not below (flag, len); *found tells whether it is equal. */
static size_t lower_bound(const hs_useset *set, const char *flag, size_t len, bool *found)
{
	const uint64_t key = flag_key(flag, len);
	size_t lo = 0, n = set->n;

	while (n > 0) {
		size_t half = n / 2;

		if (flag_below(&set->v[lo + half], key, flag, len)) {
			lo += half + 1;
			n -= half + 1;
		} else
			n = half;
	}
	if (found)
		*found = lo < set->n && flag_equal(&set->v[lo], key, flag, len);
	return lo;
}

static int reserve(hs_useset *set, size_t n)
{
	struct use_flag *v;
	size_t cap;

	if (n <= set->cap)
		return 0;
	cap = set->cap ? set->cap : 16;
	while (cap < n)
		cap *= 2;
	v = realloc(set->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->v = v;
	set->cap = cap;
	return 0;
}

int hs_useset_new(hs_useset **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void hs_useset_clear(hs_useset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].s);
	set->n = 0;
}

void hs_useset_free(hs_useset *set)
{
	if (!set)
		return;
	hs_useset_clear(set);
	free(set->v);
	free(set);
}

int hs_useset_dup(hs_useset **out, const hs_useset *set)
{
	_cleanup_(hs_useset_freep) hs_useset *d = NULL;
	int r = hs_useset_new(&d);

	if (r < 0)
		return r;
	if (set && set->n) {
		r = reserve(d, set->n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < set->n; i++) {
			d->v[i].s = hs_strndup(set->v[i].s, set->v[i].len);
			if (!d->v[i].s)
				return -ENOMEM;
			d->v[i].len = set->v[i].len;
			d->v[i].key = set->v[i].key;
			d->n++;
		}
	}
	*out = TAKE_PTR(d);
	return 0;
}

int hs_useset_add(hs_useset *set, const char *flag, size_t len)
{
	bool found;
	size_t i = lower_bound(set, flag, len, &found);
	char *copy;

	if (found)
		return 0;
	if (reserve(set, set->n + 1) < 0)
		return -ENOMEM;
	copy = hs_strndup(flag, len);
	if (!copy)
		return -ENOMEM;
	memmove(set->v + i + 1, set->v + i, (set->n - i) * sizeof(*set->v));
	set->v[i].s = copy;
	set->v[i].len = len;
	set->v[i].key = flag_key(copy, len);
	set->n++;
	return 1;
}

int hs_useset_remove(hs_useset *set, const char *flag, size_t len)
{
	bool found;
	size_t i = lower_bound(set, flag, len, &found);

	if (!found)
		return 0;
	free(set->v[i].s);
	memmove(set->v + i, set->v + i + 1, (set->n - i - 1) * sizeof(*set->v));
	set->n--;
	return 1;
}

bool hs_useset_has(const hs_useset *set, const char *flag, size_t len)
{
	bool found = false;

	if (set)
		lower_bound(set, flag, len, &found);
	return found;
}

void hs_useset_has_sorted(const hs_useset *set, char *const *flags, const size_t *lens, size_t n, uint8_t *out)
{
	size_t j = 0, m = set ? set->n : 0;

	if (m > 8 * n) {
		/* a few flags against a big set: binary searches */
		for (size_t i = 0; i < n; i++)
			out[i] = hs_useset_has(set, flags[i], lens[i]);
		return;
	}
	/* both in byte order: one merge */
	for (size_t i = 0; i < n; i++) {
		const uint64_t key = flag_key(flags[i], lens[i]);

		while (j < m && flag_below(&set->v[j], key, flags[i], lens[i]))
			j++;
		out[i] = j < m && flag_equal(&set->v[j], key, flags[i], lens[i]);
	}
}

size_t hs_useset_count(const hs_useset *set)
{
	return set ? set->n : 0;
}

const char *hs_useset_get(const hs_useset *set, size_t i)
{
	return set && i < set->n ? set->v[i].s : NULL;
}

int hs_useset_add_list(hs_useset *set, const char *list, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start;
		int r;

		while (i < len && use_is_space(list[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !use_is_space(list[i]))
			i++;
		r = hs_useset_add(set, list + start, i - start);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_useset_join(const hs_useset *set, char **out)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; set && i < set->n; i++) {
		if ((i && hs_buf_putc(&b, ' ') < 0) || hs_buf_append(&b, set->v[i].s, set->v[i].len) < 0)
			return -ENOMEM;
	}
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* Keep (keep_common) or drop (!keep_common) the flags of set that are also in other: one merge pass. */
static void filter_by(hs_useset *set, const hs_useset *other, bool keep_common)
{
	size_t w = 0, j = 0, on = other ? other->n : 0;

	if (set == other) {
		if (!keep_common)
			hs_useset_clear(set);
		return;
	}

	for (size_t i = 0; i < set->n; i++) {
		bool common = false;

		while (j < on && hs_bytes_cmp(other->v[j].s, other->v[j].len, set->v[i].s, set->v[i].len) < 0)
			j++;
		if (j < on && hs_bytes_cmp(other->v[j].s, other->v[j].len, set->v[i].s, set->v[i].len) == 0)
			common = true;
		if (common == keep_common)
			set->v[w++] = set->v[i];
		else
			free(set->v[i].s);
	}
	set->n = w;
}

void hs_useset_intersect(hs_useset *set, const hs_useset *filter)
{
	filter_by(set, filter, true);
}

void hs_useset_subtract(hs_useset *set, const hs_useset *other)
{
	filter_by(set, other, false);
}

int hs_useset_union(hs_useset *set, const hs_useset *other)
{
	_cleanup_free_ struct use_flag *add = NULL;
	struct use_flag *v;
	size_t nadd = 0, i, j, n;

	if (!other || other->n == 0)
		return 0;
	/* Copy the missing flags first, so that a failed allocation leaves set untouched. */
	add = calloc(other->n, sizeof(*add));
	if (!add)
		return -ENOMEM;
	for (j = 0; j < other->n; j++) {
		if (hs_useset_has(set, other->v[j].s, other->v[j].len))
			continue;
		add[nadd].s = hs_strndup(other->v[j].s, other->v[j].len);
		if (!add[nadd].s) {
			while (nadd > 0)
				free(add[--nadd].s);
			return -ENOMEM;
		}
		add[nadd].len = other->v[j].len;
		add[nadd++].key = other->v[j].key;
	}
	if (nadd == 0)
		return 0;
	v = malloc((set->n + nadd) * sizeof(*v));
	if (!v) {
		while (nadd > 0)
			free(add[--nadd].s);
		return -ENOMEM;
	}
	for (i = j = n = 0; i < set->n || j < nadd;) {
		if (j >= nadd || (i < set->n && hs_bytes_cmp(set->v[i].s, set->v[i].len, add[j].s, add[j].len) < 0))
			v[n++] = set->v[i++];
		else
			v[n++] = add[j++];
	}
	free(set->v);
	set->v = v;
	set->n = set->cap = n;
	return 0;
}

static bool has_prefix(const struct use_flag *f, const char *prefix, size_t plen)
{
	return f->len >= plen && memcmp(f->s, prefix, plen) == 0;
}

static void remove_prefixed(hs_useset *set, const char *prefix, size_t plen)
{
	size_t w = 0;

	for (size_t i = 0; i < set->n; i++) {
		if (has_prefix(&set->v[i], prefix, plen))
			free(set->v[i].s);
		else
			set->v[w++] = set->v[i];
	}
	set->n = w;
}

/* col == 0: the position is unknown (single-token call). */
static int apply_token_at(hs_ctx *ctx, hs_useset *set, const char *tok, size_t len, const hs_useset *iuse,
			  size_t col)
{
	char where[48] = "";
	int r;

	if (col)
		snprintf(where, sizeof(where), " at column %zu", col);
	if (len == 0)
		return hs_ctx_set_error(ctx, -EINVAL, "empty USE flag token%s", where);
	if (len == 2 && tok[0] == '-' && tok[1] == '*') {
		hs_useset_clear(set);
		return 0;
	}
	if (tok[0] == '+') {
		_cleanup_free_ char *q = hs_escape(tok, len, 128);

		if (!q)
			return -ENOMEM;
		r = hs_ctx_add_warning(ctx, "USE flags should not start with a '+': %s", q);
		if (r < 0)
			return r;
		tok++;
		len--;
		if (len == 0)
			return 0; /* Portage skips a lone '+' after the warning */
	}
	if (tok[0] == '-') {
		if (len == 1)
			return hs_ctx_set_error(ctx, -EINVAL, "invalid USE flag token '-'%s: %s", where,
						"a '-' must be followed by a flag name");
		/* `-python_targets_*` drops the whole USE_EXPAND group, and the literal token too */
		if (len >= 3 && tok[len - 2] == '_' && tok[len - 1] == '*')
			remove_prefixed(set, tok + 1, len - 2);
		hs_useset_remove(set, tok + 1, len - 1);
		return 0;
	}
	if (iuse && len >= 2 && tok[len - 2] == '_' && tok[len - 1] == '*') {
		/* `linguas_*` expands against IUSE; with no match the wildcard itself is kept, as Portage does */
		size_t plen = len - 1;
		bool any = false;

		for (size_t i = lower_bound(iuse, tok, plen, NULL); i < iuse->n && has_prefix(&iuse->v[i], tok, plen);
		     i++) {
			any = true;
			r = hs_useset_add(set, iuse->v[i].s, iuse->v[i].len);
			if (r < 0)
				return r;
		}
		if (any)
			return 0;
	}
	r = hs_useset_add(set, tok, len);
	return r < 0 ? r : 0;
}

int hs_useset_apply_token(hs_ctx *ctx, hs_useset *set, const char *tok, size_t len, const hs_useset *iuse)
{
	return apply_token_at(ctx, set, tok, len, iuse, 0);
}

int hs_useset_apply_list(hs_ctx *ctx, hs_useset *set, const char *list, size_t len, const hs_useset *iuse)
{
	size_t i = 0;

	while (i < len) {
		size_t start;
		int r;

		while (i < len && use_is_space(list[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !use_is_space(list[i]))
			i++;
		r = apply_token_at(ctx, set, list + start, i - start, iuse, start + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_use_tokens_expand(hs_ctx *ctx, char ***out, const char *flags, size_t len)
{
	char **v = calloc(1, sizeof(*v));
	_cleanup_buf_ hs_buf prefix = {0};
	_cleanup_buf_ hs_buf tok = {0};
	bool comment = false;
	size_t i = 0;
	int r = 0;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	while (i < len) {
		size_t start, tlen;

		if (flags[i] == '\n') {
			/* a new line starts afresh, as Portage's per-line "\n" sentinel does */
			hs_buf_free(&prefix);
			comment = false;
			i++;
			continue;
		}
		if (use_is_space(flags[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !use_is_space(flags[i]))
			i++;
		tlen = i - start;
		if (comment || flags[start] == '#') {
			comment = true;
			continue;
		}
		if (flags[i - 1] == ':') {
			if (tlen == 1) {
				r = hs_ctx_set_error(ctx, -EINVAL,
						     "invalid USE_EXPAND token ':' at column %zu: %s", start + 1,
						     "a variable name such as PYTHON_TARGETS must come before the ':'");
				goto fail;
			}
			hs_buf_free(&prefix);
			for (size_t k = start; k < i - 1; k++) {
				char c = flags[k];

				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				r = hs_buf_putc(&prefix, c);
				if (r < 0)
					goto fail;
			}
			r = hs_buf_putc(&prefix, '_');
			if (r < 0)
				goto fail;
			continue;
		}
		hs_buf_free(&tok);
		if (flags[start] == '-') {
			r = hs_buf_putc(&tok, '-');
			start++;
		}
		if (r >= 0 && prefix.len)
			r = hs_buf_append(&tok, prefix.p, prefix.len);
		if (r >= 0)
			r = hs_buf_append(&tok, flags + start, i - start);
		if (r >= 0)
			r = hs_strv_push(&v, tok.p, tok.len);
		if (r < 0)
			goto fail;
	}
	*out = v;
	return 0;
fail:
	hs_strv_free(v);
	return r;
}

bool hs_use_flag_valid(const char *flag, size_t len)
{
	if (!flag || len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = flag[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '+' && c != '_' && c != '@' && c != '-')))
			return false;
	}
	return true;
}

void hs_iuse_free(hs_iuse *iuse)
{
	if (!iuse)
		return;
	for (size_t i = 0; i < iuse->n; i++)
		free(iuse->v[i].flag);
	free(iuse->v);
	hs_useset_free(iuse->flags);
	free(iuse);
}

int hs_iuse_parse(hs_ctx *ctx, hs_iuse **out, const char *s, size_t len)
{
	_cleanup_(hs_iuse_freep) hs_iuse *iuse = calloc(1, sizeof(*iuse));
	size_t i = 0, cap = 0;
	int r;

	*out = NULL;
	if (!iuse || hs_useset_new(&iuse->flags) < 0)
		return -ENOMEM;
	while (i < len) {
		size_t start, nstart;
		int dflt = 0;

		while (i < len && use_is_space(s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !use_is_space(s[i]))
			i++;
		nstart = start;
		if (s[start] == '+' || s[start] == '-') {
			dflt = s[start] == '+' ? 1 : -1;
			nstart++;
		}
		if (!hs_use_flag_valid(s + nstart, i - nstart)) {
			_cleanup_free_ char *q = hs_escape(s + start, i - start, 128);

			if (!q)
				return -ENOMEM;
			return hs_ctx_set_error(ctx, -EINVAL, "invalid IUSE flag '%s' at column %zu: %s", q,
						start + 1,
						"a USE flag name starts with a letter or digit and contains only "
						"letters, digits and '+_@-'");
		}
		if (iuse->n == cap) {
			struct iuse_entry *v;

			cap = cap ? cap * 2 : 32;
			v = realloc(iuse->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			iuse->v = v;
		}
		iuse->v[iuse->n].flag = hs_strndup(s + nstart, i - nstart);
		if (!iuse->v[iuse->n].flag)
			return -ENOMEM;
		iuse->v[iuse->n++].dflt = dflt;
		r = hs_useset_add(iuse->flags, s + nstart, i - nstart);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(iuse);
	return 0;
}

const hs_useset *hs_iuse_flags(const hs_iuse *iuse)
{
	return iuse->flags;
}

int hs_iuse_defaults(const hs_iuse *iuse, char **out)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; i < iuse->n; i++) {
		if (!iuse->v[i].dflt)
			continue;
		if ((b.len && hs_buf_putc(&b, ' ') < 0) || (iuse->v[i].dflt < 0 && hs_buf_putc(&b, '-') < 0) ||
		    hs_buf_puts(&b, iuse->v[i].flag) < 0)
			return -ENOMEM;
	}
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

int hs_iuse_default_of(const hs_iuse *iuse, const char *flag, size_t len)
{
	int dflt = 0;

	if (!hs_useset_has(iuse->flags, flag, len))
		return -ENOENT;
	/* IUSE defaults stack like the pkginternal USE layer: the last `+`/`-` of the flag wins. */
	for (size_t i = 0; i < iuse->n; i++) {
		if (iuse->v[i].dflt && strlen(iuse->v[i].flag) == len && memcmp(iuse->v[i].flag, flag, len) == 0)
			dflt = iuse->v[i].dflt;
	}
	return dflt;
}
