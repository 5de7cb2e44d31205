/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Edits: one file, the bytes it was planned against, and a list of byte-range replacements. The result is shown
 * as a unified diff and committed with atomic.c, which refuses when the file changed since it was read.
 *
 * The diff is computed from the two texts (not from the replacements), so a replacement that rewrites a line
 * with itself shows nothing. Where several shortest diffs exist it picks the one GNU `diff -u` prints, by taking
 * the same steps: the identical head and tail are set aside except for `context` lines of each; lines without a
 * match in the other file are marked changed and left out; Myers' O(ND) algorithm in linear space (middle
 * snakes, forward search first, higher diagonals first) aligns the rest; runs of changed lines are then slid
 * along equal neighbours. Past a work budget (around 10^4 changes in one region) the rest of that region is
 * reported as replaced: a correct diff, no longer the smallest.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

#define EDIT_MAX_FILE (64u << 20)
#define DIFF_CONTEXT 3
#define DIFF_BUDGET (200 * 1000 * 1000) /* line comparisons */

typedef struct piece {
	size_t off, len;   /* original bytes replaced */
	char *text;
	size_t text_len;
} piece;

struct hs_edit {
	hs_ctx *ctx;
	hs_root_kind kind;
	char *path;
	char *orig;
	size_t orig_len;
	bool exists;
	bool delete_file;
	unsigned create_mode;
	piece *v;          /* sorted by offset; at one offset insertions before a replacement, else in order added */
	size_t n, cap;
	char *backup;
};

/* ---- construction ------------------------------------------------------------------------------------- */

static int edit_alloc(hs_ctx *ctx, hs_edit **out, hs_edit_root where, const char *path)
{
	hs_edit *e;

	if (!path || path[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': the path of a file to edit must be absolute",
					path ? path : "");
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->ctx = ctx;
	e->kind = where == HS_EDIT_CONFIG_ROOT ? HS_ROOT_CONFIG : HS_ROOT_SYS;
	e->create_mode = 0644;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

int hs_edit_new_from_buf(hs_ctx *ctx, hs_edit **out, hs_edit_root where, const char *path, const char *buf,
			 size_t len)
{
	hs_edit *e = NULL;
	int r = edit_alloc(ctx, &e, where, path);

	if (r < 0)
		return r;
	e->exists = buf != NULL;
	e->orig_len = buf ? len : 0;
	e->orig = hs_strndup(buf ? buf : "", e->orig_len);
	if (!e->orig) {
		hs_edit_free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

int hs_edit_new(hs_ctx *ctx, hs_edit **out, hs_edit_root where, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path || path[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': the path of a file to edit must be absolute",
					path ? path : "");
	r = hs_root_read_file(ctx, where == HS_EDIT_CONFIG_ROOT ? HS_ROOT_CONFIG : HS_ROOT_SYS, path, EDIT_MAX_FILE,
			      &buf, &len);
	if (r == -ENOENT)
		return hs_edit_new_from_buf(ctx, out, where, path, NULL, 0);
	if (r < 0)
		return r;
	return hs_edit_new_from_buf(ctx, out, where, path, buf, len);
}

void hs_edit_free(hs_edit *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].text);
	free(e->v);
	free(e->path);
	free(e->orig);
	free(e->backup);
	free(e);
}

const char *hs_edit_path(const hs_edit *e)
{
	return e->path;
}

const char *hs_edit_original(const hs_edit *e, size_t *len)
{
	if (len)
		*len = e->orig_len;
	return e->orig;
}

bool hs_edit_file_exists(const hs_edit *e)
{
	return e->exists;
}

void hs_edit_set_create_mode(hs_edit *e, unsigned mode)
{
	e->create_mode = mode & 07777;
}

const char *hs_edit_backup_path(const hs_edit *e)
{
	return e->backup;
}

/* ---- replacements ------------------------------------------------------------------------------------- */

static bool pieces_clash(size_t o1, size_t l1, size_t o2, size_t l2)
{
	if (l1 > 0 && l2 > 0)
		return o1 < o2 + l2 && o2 < o1 + l1;
	if (l1 > 0)
		return o1 < o2 && o2 < o1 + l1;
	if (l2 > 0)
		return o2 < o1 && o1 < o2 + l2;
	return false;
}

int hs_edit_replace(hs_edit *e, size_t offset, size_t len, const char *text)
{
	size_t tl = text ? strlen(text) : 0, at;
	char *copy;

	if (e->delete_file)
		return hs_ctx_set_error(e->ctx, -EINVAL, "%s: the edit removes the file; it cannot also change bytes",
					e->path);
	if (offset > e->orig_len || len > e->orig_len - offset)
		return hs_ctx_set_error(e->ctx, -EINVAL,
					"%s: change at byte offset %zu (length %zu) is past the end of the file (%zu bytes)",
					e->path, offset, len, e->orig_len);
	for (size_t i = 0; i < e->n; i++)
		if (pieces_clash(offset, len, e->v[i].off, e->v[i].len))
			return hs_ctx_set_error(e->ctx, -EINVAL,
						"%s: change at byte offset %zu (length %zu) overlaps the change at byte "
						"offset %zu (length %zu)",
						e->path, offset, len, e->v[i].off, e->v[i].len);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		piece *nv = realloc(e->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		e->v = nv;
		e->cap = cap;
	}
	copy = hs_strndup(text ? text : "", tl);
	if (!copy)
		return -ENOMEM;
	/* After every piece that starts before us, every insertion at our offset, and (for an insertion) nothing
	 * that replaces bytes from our offset on. */
	for (at = e->n; at > 0; at--) {
		const piece *p = &e->v[at - 1];

		if (p->off < offset || (p->off == offset && (p->len == 0 || len > 0)))
			break;
	}
	memmove(e->v + at + 1, e->v + at, (e->n - at) * sizeof(*e->v));
	e->v[at] = (piece){ .off = offset, .len = len, .text = copy, .text_len = tl };
	e->n++;
	return 0;
}

int hs_edit_insert(hs_edit *e, size_t offset, const char *text)
{
	return hs_edit_replace(e, offset, 0, text);
}

int hs_edit_append(hs_edit *e, const char *text)
{
	return hs_edit_replace(e, e->orig_len, 0, text);
}

int hs_edit_delete_file(hs_edit *e)
{
	if (e->n > 0)
		return hs_ctx_set_error(e->ctx, -EINVAL, "%s: the edit changes bytes; it cannot also remove the file",
					e->path);
	e->delete_file = true;
	return 0;
}

static bool result_is_original(const hs_edit *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].text_len != e->v[i].len || memcmp(e->v[i].text, e->orig + e->v[i].off, e->v[i].len) != 0)
			return false;
	return true;
}

bool hs_edit_is_noop(const hs_edit *e)
{
	if (e->delete_file)
		return !e->exists;
	return result_is_original(e);
}

/* The new contents; *out NULL when there is no file afterwards. */
static int edit_build(const hs_edit *e, hs_buf *b, bool *present)
{
	size_t pos = 0;
	int r;

	*present = false;
	if (e->delete_file)
		return 0;
	r = hs_buf_reserve(b, e->orig_len);
	for (size_t i = 0; r >= 0 && i < e->n; i++) {
		r = hs_buf_append(b, e->orig + pos, e->v[i].off - pos);
		if (r >= 0)
			r = hs_buf_append(b, e->v[i].text, e->v[i].text_len);
		pos = e->v[i].off + e->v[i].len;
	}
	if (r >= 0)
		r = hs_buf_append(b, e->orig + pos, e->orig_len - pos);
	if (r < 0)
		return r;
	*present = e->exists || b->len > 0;
	return 0;
}

int hs_edit_result(const hs_edit *e, char **out, size_t *len)
{
	_cleanup_buf_ hs_buf b = {0};
	bool present;
	int r = edit_build(e, &b, &present);

	if (r < 0)
		return r;
	if (len)
		*len = present ? b.len : 0;
	if (!present) {
		*out = NULL;
		return 0;
	}
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

int hs_edit_diff(const hs_edit *e, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	_cleanup_free_ char *label_a = NULL, *label_b = NULL;
	const char *rel = e->path;
	bool present;
	int r;

	if (hs_edit_is_noop(e)) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	r = edit_build(e, &b, &present);
	if (r < 0)
		return r;
	while (*rel == '/')
		rel++;
	if ((e->exists && asprintf(&label_a, "a/%s", rel) < 0) || (present && asprintf(&label_b, "b/%s", rel) < 0))
		return -ENOMEM;
	return hs_diff_unified(e->orig, e->orig_len, b.p ? b.p : "", b.len, label_a, label_b, DIFF_CONTEXT, out);
}

int hs_edit_commit(hs_edit *e, unsigned flags)
{
	_cleanup_buf_ hs_buf b = {0};
	hs_atomic_expect expect = { .exists = e->exists, .data = e->orig, .len = e->orig_len };
	unsigned aflags = (flags & HS_EDIT_BACKUP) ? HS_ATOMIC_BACKUP : 0;
	char *backup = NULL;
	bool present;
	int r;

	free(e->backup);
	e->backup = NULL;
	if (hs_edit_is_noop(e))
		return 1;
	r = edit_build(e, &b, &present);
	if (r < 0)
		return r;
	if (present)
		r = hs_atomic_replace(e->ctx, e->kind, e->path, b.p ? b.p : "", b.len, e->create_mode, aflags, &expect,
				      &backup);
	else
		r = hs_atomic_remove(e->ctx, e->kind, e->path, aflags, &expect, &backup);
	e->backup = backup;
	return r;
}

/* ---- diff --------------------------------------------------------------------------------------------- */

typedef struct dline {
	const char *p;
	size_t len;        /* including the '\n', when there is one */
} dline;

typedef struct dfile {
	const char *buf;
	size_t size;
	dline *line;
	size_t n;
	size_t *cls;       /* equivalence class of each line: equal lines, equal classes (from 1) */
	bool *flags;       /* changed[-1 .. n]: the ends stay false and serve as sentinels */
	bool *changed;
	size_t lo, hi;     /* the lines compared: the rest is a common head and tail */
} dfile;

static void dfile_done(dfile *f)
{
	free(f->line);
	free(f->cls);
	free(f->flags);
}

static int dfile_init(dfile *f, const char *buf, size_t size)
{
	size_t n = 0, i = 0;

	f->buf = buf;
	f->size = size;
	for (size_t k = 0; k < size; k++)
		if (buf[k] == '\n')
			n++;
	if (size > 0 && buf[size - 1] != '\n')
		n++;
	f->n = n;
	f->line = calloc(n + 1, sizeof(*f->line));
	f->cls = calloc(n + 1, sizeof(*f->cls));
	f->flags = calloc(n + 2, sizeof(*f->flags));
	if (!f->line || !f->cls || !f->flags)
		return -ENOMEM;
	f->changed = f->flags + 1;
	for (size_t start = 0; start < size; i++) {
		const char *nl = memchr(buf + start, '\n', size - start);
		size_t l = nl ? (size_t)(nl - (buf + start)) + 1 : size - start;

		f->line[i] = (dline){ .p = buf + start, .len = l };
		start += l;
	}
	return 0;
}

static uint64_t line_hash(const dline *l)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t k = 0; k < l->len; k++)
		h = (h ^ (unsigned char)l->p[k]) * 0x100000001b3ull;
	return h;
}

/* Number every distinct line. Returns the number of classes + 1, or 0 on ENOMEM. */
static size_t classify(dfile *a, dfile *b)
{
	typedef struct slot {
		const dline *rep;
		uint64_t hash;
		size_t cls;
	} slot;
	size_t size = 16, next = 1;
	slot *tab;

	while (size < 2 * (a->n + b->n))
		size *= 2;
	tab = calloc(size, sizeof(*tab));
	if (!tab)
		return 0;
	for (int f = 0; f < 2; f++) {
		dfile *d = f ? b : a;

		for (size_t i = 0; i < d->n; i++) {
			const dline *l = &d->line[i];
			uint64_t h = line_hash(l);
			size_t s = (size_t)h & (size - 1);

			while (tab[s].rep && !(tab[s].hash == h && tab[s].rep->len == l->len &&
					       memcmp(tab[s].rep->p, l->p, l->len) == 0))
				s = (s + 1) & (size - 1);
			if (!tab[s].rep)
				tab[s] = (slot){ .rep = l, .hash = h, .cls = next++ };
			d->cls[i] = tab[s].cls;
		}
	}
	free(tab);
	return next;
}

static size_t line_of_offset(const dfile *f, size_t off)
{
	size_t lo = 0, hi = f->n;

	/* the first line starting at or after @off (offsets given here are line starts or the end) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((size_t)(f->line[mid].p - f->buf) < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Like diff(1), set aside the identical head and tail of the two files, keeping @horizon lines of each in the
 * compared part so that changes can still slide into them. The head is measured in bytes and cut back to a
 * line start; the tail only when both files end the same way (with or without a final newline).
 */
static void find_identical_ends(dfile *a, dfile *b, size_t horizon)
{
	const char *x = a->buf, *y = b->buf;
	size_t n0 = a->size, n1 = b->size, p = 0, p0, p1, beg0, h;
	bool mn0 = n0 > 0 && x[n0 - 1] != '\n', mn1 = n1 > 0 && y[n1 - 1] != '\n';

	while (p < n0 && p < n1 && x[p] == y[p])
		p++;
	/* a last line without newline never matches one with */
	if ((n0 - mn0 < p) != (n1 - mn1 < p))
		p--;
	h = horizon;
	while (p > 0 && (x[p - 1] != '\n' || h-- > 0))
		p--;
	a->lo = b->lo = line_of_offset(a, p);
	p0 = n0;
	p1 = n1;
	if (mn0 == mn1) {
		beg0 = p + (n0 < n1 ? 0 : n0 - n1);
		while (p0 > beg0) {
			if (x[p0 - 1] != y[p1 - 1])
				break;
			p0--;
			p1--;
		}
		h = horizon + !((p0 == 0 || x[p0 - 1] == '\n') && (p1 == 0 || y[p1 - 1] == '\n'));
		{
			size_t from = p0;

			while (h-- > 0 && p0 < n0) {
				const char *nl = memchr(x + p0, '\n', n0 - p0);

				p0 = nl ? (size_t)(nl - x) + 1 : n0;
			}
			p1 += p0 - from;
		}
	}
	a->hi = line_of_offset(a, p0);
	b->hi = line_of_offset(b, p1);
}

/*
 * Lines of one file that match no line of the other are changed whatever the alignment: mark them so and leave
 * them out of the comparison, as diff(1) does (which also decides which of several shortest alignments it
 * prints). Lines matching very many lines of the other file are left out too when they sit inside a run of
 * unmatched lines. Fills @keep (indexes of the lines still to compare) and returns how many.
 */
static size_t discard_confusing(dfile *f, const size_t *other_count, size_t *keep, unsigned char *mark)
{
	size_t end = f->hi - f->lo, many = 5, tem = end / 64, kept = 0;
	const size_t *cls = f->cls + f->lo;

	while ((tem >>= 2) > 0)
		many *= 2;
	for (size_t i = 0; i < end; i++) {
		size_t nmatch = other_count[cls[i]];

		mark[i] = nmatch == 0 ? 1 : nmatch > many ? 2 : 0;
	}
	for (size_t i = 0; i < end; i++) {
		size_t j, length, provisional = 0;

		if (mark[i] == 2) {
			mark[i] = 0; /* provisional, but not inside a run of unmatched lines */
			continue;
		}
		if (mark[i] == 0)
			continue;
		for (j = i; j < end && mark[j] != 0; j++)
			if (mark[j] == 2)
				provisional++;
		while (j > i && mark[j - 1] == 2) {
			mark[--j] = 0;
			provisional--;
		}
		length = j - i;
		if (provisional * 4 > length) {
			while (j > i)
				if (mark[--j] == 2)
					mark[j] = 0;
			continue;
		}
		{
			size_t minimum = 1, consec = 0;

			tem = length >> 2;
			while ((tem >>= 2) > 0)
				minimum <<= 1;
			minimum++;
			/* long stretches of provisional lines stay */
			for (j = 0; j < length; j++) {
				if (mark[i + j] != 2)
					consec = 0;
				else if (minimum == ++consec)
					j -= consec;
				else if (minimum < consec)
					mark[i + j] = 0;
			}
			/* and so do provisional lines near the ends of the run */
			for (j = 0, consec = 0; j < length; j++) {
				if (j >= 8 && mark[i + j] == 1)
					break;
				if (mark[i + j] == 2) {
					consec = 0;
					mark[i + j] = 0;
				} else if (mark[i + j] == 0)
					consec = 0;
				else
					consec++;
				if (consec == 3)
					break;
			}
			i += length - 1;
			for (j = 0, consec = 0; j < length; j++) {
				if (j >= 8 && mark[i - j] == 1)
					break;
				if (mark[i - j] == 2) {
					consec = 0;
					mark[i - j] = 0;
				} else if (mark[i - j] == 0)
					consec = 0;
				else
					consec++;
				if (consec == 3)
					break;
			}
		}
	}
	for (size_t i = 0; i < end; i++) {
		if (mark[i] == 0)
			keep[kept++] = f->lo + i;
		else
			f->changed[f->lo + i] = true;
	}
	return kept;
}

typedef struct differ {
	const size_t *xv, *yv;  /* classes of the lines compared */
	const size_t *xi, *yi;  /* their line numbers */
	bool *xc, *yc;          /* changed flags, by line number */
	ptrdiff_t *fd, *bd;     /* furthest x per diagonal, forward and backward (indexed k + voff) */
	ptrdiff_t voff;
	int64_t budget;         /* comparisons left before giving up on a shortest alignment */
} differ;

/*
 * A point (xm, ym) on a shortest edit path from (x0, y0) to (x1, y1) (Myers, "An O(ND) Difference Algorithm
 * and its Variations", 1986, §4.2): furthest-reaching paths from both corners until they meet. Diagonals are
 * k = x - y relative to (x0, y0); -1 / PTRDIFF_MAX mark diagonals no path reaches. False when the budget ran out.
 */
static bool middle_snake(differ *d, size_t x0, size_t x1, size_t y0, size_t y1, size_t *xm, size_t *ym)
{
	const size_t *xv = d->xv + x0, *yv = d->yv + y0;
	const ptrdiff_t N = (ptrdiff_t)(x1 - x0), M = (ptrdiff_t)(y1 - y0), delta = N - M;
	const bool odd = delta & 1;
	ptrdiff_t *fd = d->fd + d->voff, *bd = d->bd + d->voff;
	ptrdiff_t fmin = 0, fmax = 0, bmin = delta, bmax = delta;

	fd[0] = 0;
	bd[delta] = N;
	for (;;) {
		if (fmin > -M)
			fd[--fmin - 1] = -1;
		else
			fmin++;
		if (fmax < N)
			fd[++fmax + 1] = -1;
		else
			fmax--;
		for (ptrdiff_t k = fmax; k >= fmin; k -= 2) {
			ptrdiff_t lo = fd[k - 1], hi = fd[k + 1], x = -1, y;

			if (lo >= 0 && lo < N)
				x = lo + 1;          /* a deletion after the path on diagonal k-1 */
			if (hi >= 0 && hi - (k + 1) < M && hi > x)
				x = hi;              /* an insertion after the path on diagonal k+1 */
			fd[k] = x;
			if (x < 0)
				continue;
			for (y = x - k; x < N && y < M && xv[x] == yv[y]; x++, y++)
				d->budget--;
			fd[k] = x;
			if (odd && k >= bmin && k <= bmax && bd[k] <= x) {
				*xm = x0 + (size_t)x;
				*ym = y0 + (size_t)y;
				return true;
			}
		}
		if (bmin > -M)
			bd[--bmin - 1] = PTRDIFF_MAX;
		else
			bmin++;
		if (bmax < N)
			bd[++bmax + 1] = PTRDIFF_MAX;
		else
			bmax--;
		for (ptrdiff_t k = bmax; k >= bmin; k -= 2) {
			ptrdiff_t lo = bd[k - 1], hi = bd[k + 1], x = PTRDIFF_MAX, y;

			if (hi != PTRDIFF_MAX && hi > 0)
				x = hi - 1;
			if (lo != PTRDIFF_MAX && lo - k >= 0 && lo < x)
				x = lo;
			bd[k] = x;
			if (x == PTRDIFF_MAX)
				continue;
			for (y = x - k; x > 0 && y > 0 && xv[x - 1] == yv[y - 1]; x--, y--)
				d->budget--;
			bd[k] = x;
			if (!odd && k >= fmin && k <= fmax && fd[k] >= x) {
				*xm = x0 + (size_t)x;
				*ym = y0 + (size_t)y;
				return true;
			}
		}
		d->budget -= (fmax - fmin) / 2 + (bmax - bmin) / 2 + 2; /* the diagonals visited */
		if (d->budget <= 0)
			return false;
	}
}

static void compare_seq(differ *d, size_t x0, size_t x1, size_t y0, size_t y1)
{
	size_t xm, ym;

	while (x0 < x1 && y0 < y1 && d->xv[x0] == d->yv[y0]) {
		x0++;
		y0++;
	}
	while (x1 > x0 && y1 > y0 && d->xv[x1 - 1] == d->yv[y1 - 1]) {
		x1--;
		y1--;
	}
	if (x0 == x1 || y0 == y1 || !middle_snake(d, x0, x1, y0, y1, &xm, &ym) || xm < x0 || xm > x1 || ym < y0 ||
	    ym > y1 || (xm == x0 && ym == y0) || (xm == x1 && ym == y1)) {
		for (size_t i = x0; i < x1; i++)
			d->xc[d->xi[i]] = true;
		for (size_t j = y0; j < y1; j++)
			d->yc[d->yi[j]] = true;
		return;
	}
	compare_seq(d, x0, xm, y0, ym);
	compare_seq(d, xm, x1, ym, y1);
}

/*
 * Slide each run of changed lines along equal neighbours (diff(1) does the same, so repeated lines are reported
 * where it reports them): up as far as it goes, merging with the runs it meets, then down as far as it goes,
 * noting the last place where it ends next to a change of the other file; finally back up to that place. Again
 * while the run grows. j follows the line of the other file paired with the first unchanged line after the run.
 */
static void shift_boundaries(const size_t *cls, bool *c, size_t n, const bool *oc)
{
	size_t i = 0, j = 0;

	for (;;) {
		size_t start, len, corr;

		while (i < n && !c[i]) {
			while (oc[j])
				j++;
			i++;
			j++;
		}
		if (i >= n)
			return;
		start = i;
		while (c[++i])
			;
		while (oc[j])
			j++;
		do {
			len = i - start;
			while (start > 0 && cls[start - 1] == cls[i - 1]) {
				c[--start] = true;
				c[--i] = false;
				while (c[start - 1])
					start--;
				while (oc[--j])
					;
			}
			corr = oc[j - 1] ? i : n;
			while (i != n && cls[start] == cls[i]) {
				c[start++] = false;
				c[i++] = true;
				while (c[i])
					i++;
				while (oc[++j])
					corr = i;
			}
		} while (len != i - start);
		while (corr < i) {
			c[--start] = true;
			c[--i] = false;
			while (oc[--j])
				;
		}
	}
}

static int put_line(hs_buf *b, char tag, const dline *l)
{
	int r = hs_buf_putc(b, tag);

	if (r >= 0)
		r = hs_buf_append(b, l->p, l->len);
	if (r >= 0 && (l->len == 0 || l->p[l->len - 1] != '\n'))
		r = hs_buf_puts(b, "\n\\ No newline at end of file\n");
	return r;
}

static int put_range(hs_buf *b, size_t start, size_t count)
{
	if (count == 0)
		return hs_buf_printf(b, "%zu,0", start);
	if (count == 1)
		return hs_buf_printf(b, "%zu", start + 1);
	return hs_buf_printf(b, "%zu,%zu", start + 1, count);
}

typedef struct block {
	size_t a, na, b, nb;  /* na lines of A at a replaced by nb lines of B at b */
} block;

static int emit(hs_buf *out, const dfile *A, const dfile *B, unsigned context)
{
	_cleanup_free_ block *blocks = NULL;
	size_t nb = 0, cap = 0, i = 0, j = 0, n = A->n, m = B->n;
	const bool *ca = A->changed, *cb = B->changed;
	int r = 0;

	while (i < n || j < m) {
		if (i < n && j < m && !ca[i] && !cb[j]) {
			i++;
			j++;
			continue;
		}
		if (nb == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			block *nv = realloc(blocks, ncap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			blocks = nv;
			cap = ncap;
		}
		blocks[nb] = (block){ .a = i, .b = j };
		while (i < n && ca[i])
			i++;
		while (j < m && cb[j])
			j++;
		blocks[nb].na = i - blocks[nb].a;
		blocks[nb].nb = j - blocks[nb].b;
		if (blocks[nb].na == 0 && blocks[nb].nb == 0)
			return -EINVAL; /* unchanged lines left unpaired: cannot happen */
		nb++;
	}
	/* Changes at most 2 * context unchanged lines apart share a hunk, as in diff(1). */
	for (size_t k = 0; k < nb && r >= 0;) {
		size_t last = k, pre, post, alo, ahi, blo, bhi, ai, bi;

		while (last + 1 < nb && blocks[last + 1].a - (blocks[last].a + blocks[last].na) <= 2 * context)
			last++;
		pre = blocks[k].a < context ? blocks[k].a : context;
		alo = blocks[k].a - pre;
		blo = blocks[k].b - pre;
		post = n - (blocks[last].a + blocks[last].na);
		if (post > context)
			post = context;
		ahi = blocks[last].a + blocks[last].na + post;
		bhi = blocks[last].b + blocks[last].nb + post;
		r = hs_buf_puts(out, "@@ -");
		if (r >= 0)
			r = put_range(out, alo, ahi - alo);
		if (r >= 0)
			r = hs_buf_puts(out, " +");
		if (r >= 0)
			r = put_range(out, blo, bhi - blo);
		if (r >= 0)
			r = hs_buf_puts(out, " @@\n");
		ai = alo;
		bi = blo;
		for (size_t q = k; q <= last && r >= 0; q++) {
			for (; ai < blocks[q].a && r >= 0; ai++, bi++)
				r = put_line(out, ' ', &A->line[ai]);
			for (; ai < blocks[q].a + blocks[q].na && r >= 0; ai++)
				r = put_line(out, '-', &A->line[ai]);
			for (; bi < blocks[q].b + blocks[q].nb && r >= 0; bi++)
				r = put_line(out, '+', &B->line[bi]);
		}
		for (; ai < ahi && r >= 0; ai++)
			r = put_line(out, ' ', &A->line[ai]);
		k = last + 1;
	}
	return r;
}

/* Mark the changed lines of A and B. */
static int diff_lines(dfile *A, dfile *B, unsigned context)
{
	_cleanup_free_ size_t *count_a = NULL, *count_b = NULL, *xi = NULL, *yi = NULL, *xv = NULL, *yv = NULL;
	_cleanup_free_ unsigned char *mark = NULL;
	_cleanup_free_ ptrdiff_t *fd = NULL, *bd = NULL;
	size_t ncls, nx, ny;
	differ d;

	ncls = classify(A, B);
	if (ncls == 0)
		return -ENOMEM;
	find_identical_ends(A, B, context);
	count_a = calloc(ncls, sizeof(*count_a));
	count_b = calloc(ncls, sizeof(*count_b));
	xi = calloc(A->n + 1, sizeof(*xi));
	yi = calloc(B->n + 1, sizeof(*yi));
	xv = calloc(A->n + 1, sizeof(*xv));
	yv = calloc(B->n + 1, sizeof(*yv));
	mark = calloc(A->n + B->n + 1, 1);
	if (!count_a || !count_b || !xi || !yi || !xv || !yv || !mark)
		return -ENOMEM;
	for (size_t i = A->lo; i < A->hi; i++)
		count_a[A->cls[i]]++;
	for (size_t i = B->lo; i < B->hi; i++)
		count_b[B->cls[i]]++;
	nx = discard_confusing(A, count_b, xi, mark);
	ny = discard_confusing(B, count_a, yi, mark);
	for (size_t i = 0; i < nx; i++)
		xv[i] = A->cls[xi[i]];
	for (size_t j = 0; j < ny; j++)
		yv[j] = B->cls[yi[j]];
	fd = malloc((2 * (nx + ny) + 8) * sizeof(*fd));
	bd = malloc((2 * (nx + ny) + 8) * sizeof(*bd));
	if (!fd || !bd)
		return -ENOMEM;
	d = (differ){ .xv = xv, .yv = yv, .xi = xi, .yi = yi, .xc = A->changed, .yc = B->changed, .fd = fd, .bd = bd,
		      .voff = (ptrdiff_t)(ny + 4), .budget = DIFF_BUDGET };
	compare_seq(&d, 0, nx, 0, ny);
	shift_boundaries(A->cls + A->lo, A->changed + A->lo, A->hi - A->lo, B->changed + B->lo);
	shift_boundaries(B->cls + B->lo, B->changed + B->lo, B->hi - B->lo, A->changed + A->lo);
	return 0;
}

int hs_diff_unified(const char *abuf, size_t alen, const char *bbuf, size_t blen, const char *label_a,
		    const char *label_b, unsigned context, char **out)
{
	_cleanup_(dfile_done) dfile A = {0};
	_cleanup_(dfile_done) dfile B = {0};
	_cleanup_buf_ hs_buf buf = {0};
	int r;

	if (alen == blen && (alen == 0 || memcmp(abuf, bbuf, alen) == 0)) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	r = dfile_init(&A, abuf, alen);
	if (r >= 0)
		r = dfile_init(&B, bbuf, blen);
	if (r >= 0)
		r = diff_lines(&A, &B, context);
	if (r >= 0)
		r = hs_buf_printf(&buf, "--- %s\n+++ %s\n", label_a ? label_a : "/dev/null",
				  label_b ? label_b : "/dev/null");
	if (r >= 0)
		r = emit(&buf, &A, &B, context);
	if (r < 0)
		return r;
	*out = hs_buf_steal(&buf);
	return *out ? 0 : -ENOMEM;
}
