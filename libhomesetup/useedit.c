/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USE edits as bytes: what homesetup adds to a package.use file or to make.conf's USE value, and how it takes
 * exactly that away again. useplan.c decides which flags and which file; this file only moves bytes, so that the
 * unit tests and the fuzzer can drive it with any input.
 *
 * package.use: a block appended at the end of the file,
 *
 *     # Added by homesetup 0.1.0 on 2026-12-04: systemd-homed needs these flags (remove with: homesetup use revert)
 *     sys-apps/systemd cryptsetup pam
 *     # End of the lines added by homesetup
 *
 * in the file's own line ends (CR LF when its first line ends so). A file that does not end with a line break
 * gets one first, and the end line then says " (and the line break before them)" so that revert removes it too.
 *
 * make.conf: the words are added to the value of the last USE assignment, touching no byte outside it, and a
 * marker line goes before the assignment's line recording what was added and how:
 *   [USE += W]            W inside the value's last quoted part, after its last word (" W"; "W" when it has
 *                         none): USE="a b \<NL> c" becomes USE="a b \<NL> c W", line ends and continuations kept;
 *   [USE += W, quoted]    an unquoted value without backslashes, quoted: USE=a becomes USE="a W";
 *   [USE += W, appended]  any other value ending outside quotes gets " W" after it: USE=a\ b" W";
 *   [USE = W]             a file without USE gets the line USE="W" at its end (", after a line break" as above).
 * Values built with expansions other than ${USE}, through `source`, or not first on their line are refused, and
 * every edit is checked by parsing the file again as Portage would: USE's value must have gained exactly the
 * words W, every other assignment must be unchanged, or the edit is refused.
 *
 * Revert takes the last marker of the file, removes it and what it recorded, and starts again on the result, so
 * that markers stacked by several runs come off in reverse order. A block or value changed by hand so that the
 * recorded bytes are no longer where they were written is refused with the file and line, never guessed at.
 */
#include "homesetupP.h"

#include <assert.h>
#include <stdio.h>
#include <time.h>

#define MARK_HEAD "# Added by homesetup "
#define MARK_TAIL "(remove with: homesetup use revert)"
#define MARK_END "# End of the lines added by homesetup"
#define MARK_END_BREAK " (and the line break before them)"
#define TAG_ADD " [USE += "
#define TAG_NEW " [USE = "
#define TAG_QUOTED ", quoted"
#define TAG_APPENDED ", appended"
#define TAG_BREAK ", after a line break"

/* ---- lines ---------------------------------------------------------------------------------------------- */

/* Python's universal newlines, as Portage reads these files: "\n", "\r\n" and a lone "\r" end a line. */
static size_t line_end(const char *buf, size_t len, size_t pos, size_t *next)
{
	size_t e = pos;

	while (e < len && buf[e] != '\n' && buf[e] != '\r')
		e++;
	*next = e;
	if (e < len)
		*next = e + (buf[e] == '\r' && e + 1 < len && buf[e + 1] == '\n' ? 2 : 1);
	return e;
}

/* The line end to write: CR LF when the file's first line ends so, else LF. */
static const char *eol_of(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			return buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n' ? "\r\n" : "\n";
	return "\n";
}

static bool ends_with_break(const char *buf, size_t len)
{
	return len == 0 || buf[len - 1] == '\n' || buf[len - 1] == '\r';
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(s, prefix, pl) == 0;
}

static bool line_is(const char *s, size_t n, const char *what)
{
	return n == strlen(what) && memcmp(s, what, n) == 0;
}

/* A marker line: "# Added by homesetup …(remove with: homesetup use revert)" and what follows it (*tail). */
static bool is_marker(const char *s, size_t n, const char **tail, size_t *tail_len)
{
	const char *t;

	if (!starts_with(s, n, MARK_HEAD))
		return false;
	t = memmem(s, n, MARK_TAIL, strlen(MARK_TAIL));
	if (!t)
		return false;
	t += strlen(MARK_TAIL);
	*tail = t;
	*tail_len = n - (size_t)(t - s);
	return true;
}

/* The 1-based line that starts at or contains byte @off. */
static unsigned line_number(const char *buf, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= off || buf[i + 1] != '\n')))
			line++;
	return line;
}

int hs_useedit_marker(char **out, const char *why, int64_t when)
{
	time_t t = when ? (time_t)when : time(NULL);
	struct tm tm;
	char date[32];

	if (!gmtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
		snprintf(date, sizeof(date), "1970-01-01");
	if (asprintf(out, "%s%s on %s: %s %s", MARK_HEAD, HS_VERSION_STRING, date, why, MARK_TAIL) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

bool hs_useedit_has_marker(const char *buf, size_t len)
{
	size_t pos = 0, next;

	while (pos < len) {
		size_t e = line_end(buf, len, pos, &next);
		const char *t;
		size_t tl;

		if (is_marker(buf + pos, e - pos, &t, &tl))
			return true;
		pos = next;
	}
	return false;
}

/* ---- package.use -------------------------------------------------------------------------------------------- */

int hs_useedit_pkguse_append(hs_ctx *ctx, hs_edit *edit, const char *marker, char *const *lines)
{
	_cleanup_buf_ hs_buf b = {0};
	size_t len;
	const char *orig = hs_edit_original(edit, &len);
	const char *eol = eol_of(orig, len);
	bool add_break = !ends_with_break(orig, len);
	int r = 0;

	if (add_break)
		r = hs_buf_puts(&b, eol);
	if (r >= 0)
		r = hs_buf_printf(&b, "%s%s", marker, eol);
	for (char *const *l = lines; r >= 0 && l && *l; l++)
		r = hs_buf_printf(&b, "%s%s", *l, eol);
	if (r >= 0)
		r = hs_buf_printf(&b, "%s%s%s", MARK_END, add_break ? MARK_END_BREAK : "", eol);
	if (r < 0)
		return -ENOMEM;
	return hs_edit_append(edit, b.p);
}

/* ---- make.conf: parsing ----------------------------------------------------------------------------------- */

/* A context on the same roots, so that the parses done here leave no warnings in the caller's. */
static int scratch_ctx(hs_ctx *ctx, hs_ctx **out)
{
	_cleanup_(hs_ctx_freep) hs_ctx *c = NULL;
	int r;

	if ((r = hs_ctx_new(&c)) < 0)
		return r;
	if (ctx && ((r = hs_ctx_set_root(c, hs_ctx_get_root(ctx))) < 0 ||
		    (r = hs_ctx_set_config_root(c, hs_ctx_get_config_root(ctx))) < 0))
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

/* Parse make.conf bytes as Portage does (expansions, `source`), recording the assignments. */
static int mc_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, bool tolerant, hs_assigns *as)
{
	_cleanup_(hs_ctx_freep) hs_ctx *c = NULL;
	_cleanup_(hs_vars_freep) hs_vars *vars = NULL;
	int r;

	if ((r = scratch_ctx(ctx, &c)) < 0 || (r = hs_vars_new(&vars)) < 0)
		return r;
	r = hs_getconfig_buf(c, HS_ROOT_CONFIG, path, buf, len, vars, as,
			     HS_GETCONFIG_EXPAND | HS_GETCONFIG_ALLOW_SOURCE | (tolerant ? HS_GETCONFIG_TOLERANT : 0));
	if (r < 0 && r != -ENOMEM)
		return hs_ctx_set_error(ctx, r, "%s", *hs_ctx_last_error(c) ? hs_ctx_last_error(c) : strerror(-r));
	return r;
}

static const hs_assign *last_use(const hs_assigns *as)
{
	const hs_assign *last = NULL;

	for (size_t i = 0; i < as->n; i++)
		if (strcmp(as->v[i].name, "USE") == 0)
			last = &as->v[i];
	return last;
}

/* Where the line of the assignment at @name_off starts, when only blanks (and `export`) come before it on
 * that line; else (size_t)-1. */
static size_t assign_line_start(const char *buf, size_t name_off, bool exported)
{
	size_t p = name_off;

	while (p > 0 && (buf[p - 1] == ' ' || buf[p - 1] == '\t'))
		p--;
	if (exported) {
		if (p < 6 || memcmp(buf + p - 6, "export", 6) != 0)
			return (size_t)-1;
		p -= 6;
		while (p > 0 && (buf[p - 1] == ' ' || buf[p - 1] == '\t'))
			p--;
	}
	if (p > 0 && buf[p - 1] != '\n' && buf[p - 1] != '\r')
		return (size_t)-1;
	return p;
}

/* A `$` in the raw value other than the ${USE} / $USE that stacks on the earlier value: its offset, or -1. */
static ssize_t foreign_expansion(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\') {
			i++;
			continue;
		}
		if (v[i] != '$')
			continue;
		if (i + 6 <= n && memcmp(v + i, "${USE}", 6) == 0) {
			i += 5;
			continue;
		}
		if (i + 4 <= n && memcmp(v + i, "$USE", 4) == 0 &&
		    !(i + 4 < n && (v[i + 4] == '_' || (v[i + 4] >= 'a' && v[i + 4] <= 'z') ||
				    (v[i + 4] >= 'A' && v[i + 4] <= 'Z') || (v[i + 4] >= '0' && v[i + 4] <= '9')))) {
			i += 3;
			continue;
		}
		if (i + 1 == n)
			continue; /* a trailing '$' is literal */
		return (ssize_t)i;
	}
	return -1;
}

/* The shape of a raw value token. */
typedef struct value_shape {
	bool ends_quoted;      /* its last character closes a quoted part */
	size_t seg_start;      /* that part's first byte after the opening quote (offset in the token) */
	size_t seg_end;        /* offset of the closing quote */
	bool any_quote, any_backslash;
} value_shape;

static void shape_of(const char *v, size_t n, value_shape *s)
{
	*s = (value_shape){0};
	for (size_t i = 0; i < n;) {
		char q = v[i];

		if (q == '"' || q == '\'') {
			size_t j = i + 1;

			s->any_quote = true;
			while (j < n && v[j] != q) {
				if (q == '"' && v[j] == '\\') {
					s->any_backslash = true;
					j++;
				}
				j++;
			}
			s->seg_start = i + 1;
			s->seg_end = j < n ? j : n;
			s->ends_quoted = j + 1 == n;
			i = j + 1;
		} else {
			if (q == '\\') {
				s->any_backslash = true;
				i++;
			}
			i++;
			s->ends_quoted = false;
		}
	}
}

/* Inside a quoted part [start, end): the offset just after its last word (backslash-newline continuations and
 * blanks do not count), or @start when it has none. */
static size_t after_last_word(const char *v, size_t start, size_t end)
{
	size_t last = start;

	for (size_t i = start; i < end;) {
		if (v[i] == '\\' && i + 1 < end) {
			if (v[i + 1] == '\n' || v[i + 1] == '\r') {
				i += 2 + (v[i + 1] == '\r' && i + 2 < end && v[i + 2] == '\n');
				continue;
			}
			i += 2;
			last = i;
		} else if (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
			i++;
		} else {
			i++;
			last = i;
		}
	}
	return last;
}

DEFINE_CLEANUP_FUNC(hs_edit, hs_edit_free);

static int split_words(const char *s, char ***out)
{
	return hs_split_words(s ? s : "", out);
}

/* The edited file must parse to the same assignments, USE's value (the one at @target, or a new last one)
 * having gained exactly the words of @flags. */
static int check_result(hs_ctx *ctx, const char *path, const hs_assigns *old, size_t target, const char *buf,
			size_t len, const char *flags)
{
	_cleanup_(hs_assigns_free) hs_assigns nw = {0};
	_cleanup_(hs_strv_freep) char **want = NULL, **got = NULL, **add = NULL;
	size_t n_want, n_add;
	bool appended = target == (size_t)-1;
	int r;

	r = mc_parse(ctx, path, buf, len, false, &nw);
	if (r < 0)
		return r == -ENOMEM ? r
				    : hs_ctx_set_error(ctx, -ENOTSUP, "%s: the edited file would not parse (%s)", path,
						       hs_ctx_last_error(ctx));
	if (nw.n != old->n + appended)
		goto bad;
	for (size_t i = 0; i < old->n; i++) {
		const hs_assign *a = &old->v[i], *b = &nw.v[i];

		if (strcmp(a->name, b->name) != 0 || strcmp(a->path, b->path) != 0)
			goto bad;
		if (i != target && strcmp(a->value, b->value) != 0) {
			if (strcmp(a->name, "USE") != 0 && i > target)
				return hs_ctx_set_error(ctx, -ENOTSUP,
							"%s:%u: %s is built from ${USE}, so adding flags to USE would change "
							"it too; edit the file by hand, or use --target package.use",
							a->path, a->line, a->name);
			goto bad;
		}
	}
	if (appended)
		target = old->n;
	if ((r = split_words(appended ? "" : old->v[target].value, &want)) < 0 ||
	    (r = split_words(flags, &add)) < 0 || (r = split_words(nw.v[target].value, &got)) < 0)
		return r;
	n_want = hs_strv_length(want);
	n_add = hs_strv_length(add);
	if (strcmp(nw.v[target].name, "USE") != 0 || hs_strv_length(got) != n_want + n_add)
		goto bad;
	for (size_t i = 0; i < n_want + n_add; i++)
		if (strcmp(got[i], i < n_want ? want[i] : add[i - n_want]) != 0)
			goto bad;
	return 0;
bad:
	return hs_ctx_set_error(ctx, -ENOTSUP,
				"%s: homesetup cannot add the flags to this file's USE assignment without changing "
				"something else; add '%s' to USE by hand, or use --target package.use",
				path, flags);
}

/* ---- make.conf: adding ---------------------------------------------------------------------------------- */

/* The insertions one make.conf edit makes (at most the marker and two in the value). */
typedef struct insertions {
	struct {
		size_t off;
		char *text;
	} v[3];
	size_t n;
} insertions;

static void insertions_free(insertions *ins)
{
	for (size_t i = 0; i < ins->n; i++)
		free(ins->v[i].text);
}

_printf_(3, 4) static int insert_at(insertions *ins, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert(ins->n < ELEMENTSOF(ins->v));
	va_start(ap, fmt);
	n = vasprintf(&ins->v[ins->n].text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ins->v[ins->n++].off = off;
	return 0;
}

static int insertions_apply(const insertions *ins, hs_edit *e)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ins->n; i++)
		r = hs_edit_insert(e, ins->v[i].off, ins->v[i].text);
	return r;
}

/* Plan the insertions for @a, the last USE assignment of @orig (the refusals happen here). */
static int plan_value(hs_ctx *ctx, const char *path, const char *orig, size_t len, const hs_assign *a,
		      const char *marker, const char *flags, insertions *ins)
{
	const char *v = orig + a->value_off, *eol = eol_of(orig, len);
	size_t vl = a->value_len, ls;
	value_shape sh;
	ssize_t dollar;
	int r;

	if (a->source_depth > 0 || strcmp(a->path, path) != 0)
		return hs_ctx_set_error(ctx, -ENOTSUP,
					"%s:%u: USE is last set in this file, which %s reads with 'source'; homesetup "
					"only edits assignments written in make.conf itself: add the flags to %s by "
					"hand, or use --target package.use",
					a->path, a->line, path, a->path);
	if (vl == 0 || a->value_off + vl > len)
		return hs_ctx_set_error(ctx, -ENOTSUP,
					"%s:%u: the value of USE is split across files by 'source'; edit it by hand, or "
					"use --target package.use",
					path, a->line);
	dollar = foreign_expansion(v, vl);
	if (dollar >= 0) {
		size_t n = strcspn(v + dollar, "} \t\r\n\"'"), d = (size_t)dollar;
		_cleanup_free_ char *show = hs_escape(v + d, n + (d + n < vl && v[d + n] == '}'), 40);

		return hs_ctx_set_error(ctx, -ENOTSUP,
					"%s:%u: USE's value uses '%s'; homesetup only edits plain values (and ${USE}): "
					"add the flags to %s by hand, or use --target package.use",
					path, a->line, show ? show : "$", path);
	}
	ls = assign_line_start(orig, a->name_off, a->exported);
	if (ls == (size_t)-1)
		return hs_ctx_set_error(ctx, -ENOTSUP,
					"%s:%u: the USE assignment shares its line with other text, so homesetup cannot "
					"put its marker line before it: move it to a line of its own, or use --target "
					"package.use",
					path, a->line);
	shape_of(v, vl, &sh);
	if (sh.ends_quoted) {
		size_t at = after_last_word(v, sh.seg_start, sh.seg_end);

		r = insert_at(ins, ls, "%s%s%s]%s", marker, TAG_ADD, flags, eol);
		if (r >= 0)
			r = insert_at(ins, a->value_off + at, "%s%s", at == sh.seg_start ? "" : " ", flags);
	} else if (!sh.any_quote && !sh.any_backslash) {
		r = insert_at(ins, ls, "%s%s%s%s]%s", marker, TAG_ADD, flags, TAG_QUOTED, eol);
		if (r >= 0)
			r = insert_at(ins, a->value_off, "\"");
		if (r >= 0)
			r = insert_at(ins, a->value_off + vl, " %s\"", flags);
	} else {
		r = insert_at(ins, ls, "%s%s%s%s]%s", marker, TAG_ADD, flags, TAG_APPENDED, eol);
		if (r >= 0)
			r = insert_at(ins, a->value_off + vl, "\" %s\"", flags);
	}
	return r;
}

int hs_useedit_makeconf_append(hs_ctx *ctx, hs_edit *edit, const char *marker, const char *flags)
{
	_cleanup_(hs_assigns_free) hs_assigns as = {0};
	_cleanup_(insertions_free) insertions ins = {0};
	_cleanup_(hs_edit_freep) hs_edit *trial = NULL;
	_cleanup_free_ char *result = NULL;
	size_t len, rlen = 0, target = (size_t)-1;
	const char *orig = hs_edit_original(edit, &len), *path = hs_edit_path(edit);
	const hs_assign *a;
	int r;

	r = mc_parse(ctx, path, orig, len, false, &as);
	if (r < 0)
		return r;
	a = last_use(&as);
	if (!a) {
		const char *eol = eol_of(orig, len);
		bool add_break = !ends_with_break(orig, len);

		r = insert_at(&ins, len, "%s%s%s%s%s]%sUSE=\"%s\"%s", add_break ? eol : "", marker, TAG_NEW, flags,
			      add_break ? TAG_BREAK : "", eol, flags, eol);
	} else {
		target = (size_t)(a - as.v);
		r = plan_value(ctx, path, orig, len, a, marker, flags, &ins);
	}
	if (r < 0)
		return r;
	/* try it on a copy first: a refused edit leaves @edit as it was */
	if ((r = hs_edit_new_from_buf(ctx, &trial, HS_EDIT_CONFIG_ROOT, path, orig, len)) < 0 ||
	    (r = insertions_apply(&ins, trial)) < 0 || (r = hs_edit_result(trial, &result, &rlen)) < 0)
		return r;
	r = check_result(ctx, path, &as, target, result ? result : "", rlen, flags);
	if (r < 0)
		return r;
	return insertions_apply(&ins, edit);
}

/* ---- revert --------------------------------------------------------------------------------------------- */

/* A byte range to remove. */
typedef struct cut {
	size_t off, len;
} cut;

/* What has been removed so far, in the original file's offsets (sorted, disjoint), and the bytes left. */
typedef struct revert_state {
	hs_ctx *ctx;
	const char *path;
	cut *removed;
	size_t n_removed, cap_removed;
	hs_buf work;
} revert_state;

static size_t work_to_orig(const revert_state *S, size_t w)
{
	size_t o = w;

	for (size_t i = 0; i < S->n_removed && S->removed[i].off <= o; i++)
		o += S->removed[i].len;
	return o;
}

/* Record the removal of @len bytes of the work buffer at @w (they map to one or more original ranges). */
static int record_cut(revert_state *S, size_t w, size_t len)
{
	while (len > 0) {
		size_t o = work_to_orig(S, w), at = 0, take = len;

		while (at < S->n_removed && S->removed[at].off <= o)
			at++;
		if (at < S->n_removed && S->removed[at].off - o < take)
			take = S->removed[at].off - o;
		if (S->n_removed == S->cap_removed) {
			size_t cap = S->cap_removed ? 2 * S->cap_removed : 8;
			cut *n = realloc(S->removed, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			S->removed = n;
			S->cap_removed = cap;
		}
		memmove(S->removed + at + 1, S->removed + at, (S->n_removed - at) * sizeof(*S->removed));
		S->removed[at] = (cut){ o, take };
		S->n_removed++;
		/* merge with the neighbours it touches */
		if (at + 1 < S->n_removed && S->removed[at].off + S->removed[at].len == S->removed[at + 1].off) {
			S->removed[at].len += S->removed[at + 1].len;
			memmove(S->removed + at + 1, S->removed + at + 2, (S->n_removed - at - 2) * sizeof(*S->removed));
			S->n_removed--;
		}
		if (at > 0 && S->removed[at - 1].off + S->removed[at - 1].len == S->removed[at].off) {
			S->removed[at - 1].len += S->removed[at].len;
			memmove(S->removed + at, S->removed + at + 1, (S->n_removed - at - 1) * sizeof(*S->removed));
			S->n_removed--;
		}
		len -= take;
	}
	return 0;
}

static int cut_cmp(const void *a, const void *b)
{
	const cut *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Remove @cuts (disjoint, any order; work offsets) from the work buffer. */
static int apply_cuts(revert_state *S, cut *cuts, size_t n)
{
	_cleanup_buf_ hs_buf nb = {0};
	size_t pos = 0;
	int r;

	qsort(cuts, n, sizeof(*cuts), cut_cmp);
	for (size_t i = n; i-- > 0;)
		if ((r = record_cut(S, cuts[i].off, cuts[i].len)) < 0)
			return r;
	if ((r = hs_buf_reserve(&nb, S->work.len + 1)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = hs_buf_append(&nb, S->work.p + pos, cuts[i].off - pos)) < 0)
			return r;
		pos = cuts[i].off + cuts[i].len;
	}
	if ((r = hs_buf_append(&nb, S->work.p + pos, S->work.len - pos)) < 0 || (r = hs_buf_append(&nb, "", 0)) < 0)
		return r;
	hs_buf_free(&S->work);
	S->work = nb;
	nb = (hs_buf){0};
	return 0;
}

/* The last marker line of the work buffer: its start, the end of its text, the start of the next line. */
static bool find_last_marker(const revert_state *S, size_t *ms, size_t *me, size_t *mn)
{
	const char *b = S->work.p;
	size_t len = S->work.len, pos = 0, next;
	bool found = false;

	while (pos < len) {
		size_t e = line_end(b, len, pos, &next);
		const char *t;
		size_t tl;

		if (is_marker(b + pos, e - pos, &t, &tl)) {
			*ms = pos;
			*me = e;
			*mn = next;
			found = true;
		}
		pos = next;
	}
	return found;
}

/* The line break just before @ms, which homesetup added (its length), or 0 when there is none. */
static size_t break_before(const char *b, size_t ms)
{
	if (ms >= 2 && b[ms - 2] == '\r' && b[ms - 1] == '\n')
		return 2;
	return ms >= 1 && (b[ms - 1] == '\n' || b[ms - 1] == '\r') ? 1 : 0;
}

_printf_(3, 4) static int revert_error(revert_state *S, size_t ms, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return hs_ctx_set_error(S->ctx, -EINVAL, "%s:%u: %s", S->path, line_number(S->work.p, ms), msg);
}

/* package.use: the block from the last marker to its end line. */
static int revert_block(revert_state *S, size_t ms, size_t me, size_t mn)
{
	const char *b = S->work.p, *t;
	size_t len = S->work.len, pos = mn, next, tl;
	cut cuts[2];
	size_t n = 0;

	is_marker(b + ms, me - ms, &t, &tl);
	if (tl != 0)
		return revert_error(S, ms, "homesetup's marker is followed by other text; remove its lines by hand");
	while (pos < len) {
		size_t e = line_end(b, len, pos, &next);
		bool with_break = line_is(b + pos, e - pos, MARK_END MARK_END_BREAK);

		if (line_is(b + pos, e - pos, MARK_END) || with_break) {
			if (with_break) {
				size_t bb = break_before(b, ms);

				if (!bb)
					return revert_error(S, ms, "the line break homesetup added before its marker is "
								   "gone; remove its lines by hand");
				cuts[n++] = (cut){ ms - bb, bb };
			}
			cuts[n++] = (cut){ ms, next - ms };
			return apply_cuts(S, cuts, n);
		}
		pos = next;
	}
	return revert_error(S, ms,
			    "homesetup's marker has no end line ('" MARK_END "'); remove the lines it added by hand");
}

/* make.conf: the marker's tag, "[USE += W…]" or "[USE = W…]". */
typedef struct mc_tag {
	bool add;               /* += */
	bool quoted, appended, after_break;
	const char *w;          /* the words */
	size_t wl;
} mc_tag;

static bool strip_suffix(const char *s, size_t *n, const char *suffix)
{
	size_t sl = strlen(suffix);

	if (*n < sl || memcmp(s + *n - sl, suffix, sl) != 0)
		return false;
	*n -= sl;
	return true;
}

static bool parse_tag(const char *t, size_t tl, mc_tag *tag)
{
	size_t n;

	*tag = (mc_tag){0};
	if (starts_with(t, tl, TAG_ADD)) {
		tag->add = true;
		t += strlen(TAG_ADD), tl -= strlen(TAG_ADD);
	} else if (starts_with(t, tl, TAG_NEW)) {
		t += strlen(TAG_NEW), tl -= strlen(TAG_NEW);
	} else
		return false;
	if (tl == 0 || t[tl - 1] != ']')
		return false;
	n = tl - 1;
	if (tag->add) {
		tag->quoted = strip_suffix(t, &n, TAG_QUOTED);
		tag->appended = !tag->quoted && strip_suffix(t, &n, TAG_APPENDED);
	} else
		tag->after_break = strip_suffix(t, &n, TAG_BREAK);
	if (n == 0 || memchr(t, '"', n) || memchr(t, ']', n))
		return false;
	tag->w = t;
	tag->wl = n;
	return true;
}

static int revert_makeconf(revert_state *S, size_t ms, size_t me, size_t mn)
{
	_cleanup_(hs_assigns_free) hs_assigns as = {0};
	const char *b = S->work.p, *t, *v;
	size_t len = S->work.len, tl, vo, vl, lw;
	const hs_assign *a = NULL;
	mc_tag tag;
	cut cuts[3];
	size_t n = 0;
	int r;

	is_marker(b + ms, me - ms, &t, &tl);
	if (!parse_tag(t, tl, &tag))
		return revert_error(S, ms, "homesetup's marker does not say what it added to USE ('[USE += …]'); "
					   "remove what it added by hand");
	lw = tag.wl;
	if (!tag.add) {
		size_t next, e = line_end(b, len, mn, &next);
		_cleanup_free_ char *want = NULL;

		if (asprintf(&want, "USE=\"%.*s\"", (int)tag.wl, tag.w) < 0)
			return -ENOMEM;
		if (mn >= len || !line_is(b + mn, e - mn, want))
			return revert_error(S, ms, "the line after homesetup's marker is no longer '%s'; remove it by hand",
					    want);
		if (tag.after_break) {
			size_t bb = break_before(b, ms);

			if (!bb)
				return revert_error(S, ms, "the line break homesetup added before its marker is gone; "
							   "remove its lines by hand");
			cuts[n++] = (cut){ ms - bb, bb };
		}
		cuts[n++] = (cut){ ms, next - ms };
		return apply_cuts(S, cuts, n);
	}

	r = mc_parse(S->ctx, S->path, b, len, true, &as);
	if (r == -ENOMEM)
		return r;
	for (size_t i = 0; i < as.n && !a; i++)
		if (as.v[i].source_depth == 0 && strcmp(as.v[i].path, S->path) == 0 && as.v[i].name_off >= mn)
			a = &as.v[i];
	if (!a || strcmp(a->name, "USE") != 0 || a->value_len == 0 ||
	    assign_line_start(b, a->name_off, a->exported) != mn)
		return revert_error(S, ms, "the USE assignment that homesetup's marker stands before is gone or was "
					   "moved; remove '%.*s' from USE by hand", (int)tag.wl, tag.w);
	vo = a->value_off;
	vl = a->value_len;
	v = b + vo;
	if (tag.quoted) {
		if (vl < lw + 3 || v[0] != '"' || v[vl - 1] != '"' || v[vl - lw - 2] != ' ' ||
		    memcmp(v + vl - lw - 1, tag.w, lw) != 0)
			goto changed;
		cuts[n++] = (cut){ vo, 1 };
		cuts[n++] = (cut){ vo + vl - lw - 2, lw + 2 };
	} else if (tag.appended) {
		if (vl < lw + 3 || v[vl - lw - 3] != '"' || v[vl - lw - 2] != ' ' || v[vl - 1] != '"' ||
		    memcmp(v + vl - lw - 1, tag.w, lw) != 0)
			goto changed;
		cuts[n++] = (cut){ vo + vl - lw - 3, lw + 3 };
	} else {
		value_shape sh;
		size_t at;

		shape_of(v, vl, &sh);
		if (!sh.ends_quoted)
			goto changed;
		at = after_last_word(v, sh.seg_start, sh.seg_end);
		if (at < sh.seg_start + lw || memcmp(v + at - lw, tag.w, lw) != 0)
			goto changed;
		if (at - lw == sh.seg_start)
			cuts[n++] = (cut){ vo + at - lw, lw };
		else if (v[at - lw - 1] == ' ')
			cuts[n++] = (cut){ vo + at - lw - 1, lw + 1 };
		else
			goto changed;
	}
	cuts[n++] = (cut){ ms, mn - ms };
	return apply_cuts(S, cuts, n);
changed:
	return revert_error(S, ms, "USE's value no longer ends with the '%.*s' homesetup added; remove it by hand",
			    (int)tag.wl, tag.w);
}

int hs_useedit_revert(hs_ctx *ctx, hs_edit *edit, bool makeconf)
{
	revert_state S = { .ctx = ctx, .path = hs_edit_path(edit) };
	size_t len, ms = 0, me = 0, mn = 0;
	const char *orig = hs_edit_original(edit, &len);
	int r, count = 0;

	r = hs_buf_append(&S.work, orig, len);
	if (r >= 0)
		r = hs_buf_append(&S.work, "", 0);
	while (r >= 0 && find_last_marker(&S, &ms, &me, &mn)) {
		r = makeconf ? revert_makeconf(&S, ms, me, mn) : revert_block(&S, ms, me, mn);
		count++;
	}
	for (size_t i = 0; r >= 0 && i < S.n_removed; i++)
		r = hs_edit_replace(edit, S.removed[i].off, S.removed[i].len, "");
	free(S.removed);
	hs_buf_free(&S.work);
	return r < 0 ? r : count;
}
