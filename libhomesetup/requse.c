/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * REQUIRED_USE: parse, evaluate exactly as Portage's portage.dep.check_required_use() does, render the
 * "reduced noise" string emerge prints (the tounicode() of that function's result tree), and find a smallest
 * set of USE changes that satisfies an expression.
 *
 * Evaluation semantics (restated from Portage, see docs/portage-facts.md §3): every item yields "true",
 * "false" or nothing at all. A conditional whose flag is not enabled (or enabled, for `!flag?`) yields
 * nothing, and so does a plain `( … )` group whose items all yield nothing; everything else always yields a
 * value. Groups count only the values their items yield: all-of and conditionals need no false value, `||`
 * one true value, `^^` exactly one, `??` at most one. An empty `||`/`^^` is true before EAPI 7 and false
 * from EAPI 7 on.
 *
 * The same evaluator runs in three-valued mode for the solver (requse_solve.c): a flag may be "unknown", and
 * every node then yields the set of values it could take (a sound over-approximation), which lets the search
 * prune.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

/* Real REQUIRED_USE nests 3-4 levels deep; the cap keeps the recursive walkers' stack use bounded. */
#define REQUSE_MAX_DEPTH 256
/* Flag states of an evaluation live on the stack up to this many flags (real expressions name a few dozen). */
#define STATE_STACK 256

static inline bool rq_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_choice(uint8_t kind)
{
	return kind == HS_RQ_ANY || kind == HS_RQ_ONE || kind == HS_RQ_MOST;
}

void hs_requse_free(hs_requse *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nflags; i++)
		free(r->flags[i]);
	free(r->flags);
	free(r->flag_len);
	free(r->nodes);
	free(r);
}

/* ---- parsing ----------------------------------------------------------------------------------------- */

struct name_ref {
	const char *p;
	size_t len, node;
};

static int name_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static size_t token_len(const char *s, size_t len, size_t off)
{
	size_t e = off;

	while (e < len && !rq_is_space(s[e]))
		e++;
	return e - off;
}

/* "invalid REQUIRED_USE token 'x' at column N: reason" (line too, when the text spans several lines). */
static int tok_error(hs_ctx *ctx, const char *s, size_t len, size_t off, const char *reason)
{
	_cleanup_free_ char *q = hs_escape(s + off, token_len(s, len, off), 64);
	size_t line = 1, col = 1;

	if (!q)
		return -ENOMEM;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	if (line > 1)
		return hs_ctx_set_error(ctx, -EINVAL, "invalid REQUIRED_USE token '%s' at line %zu, column %zu: %s", q,
					line, col, reason);
	return hs_ctx_set_error(ctx, -EINVAL, "invalid REQUIRED_USE token '%s' at column %zu: %s", q, col, reason);
}

static int flag_error(hs_ctx *ctx, const char *s, size_t len, size_t off, const char *name, size_t nlen)
{
	_cleanup_free_ char *q = hs_escape(name, nlen, 64);
	char reason[160];

	if (!q)
		return -ENOMEM;
	if (nlen == 0)
		snprintf(reason, sizeof(reason), "a USE flag name is missing");
	else if (memchr(name, '(', nlen) || memchr(name, ')', nlen))
		snprintf(reason, sizeof(reason), "whitespace is required around '(' and ')'");
	else
		snprintf(reason, sizeof(reason),
			 "'%s' is not a valid USE flag name (letters, digits and '+_@-', "
			 "starting with a letter or digit)",
			 q);
	return tok_error(ctx, s, len, off, reason);
}

static int add_node(hs_requse *r, size_t *cap, uint8_t kind, bool neg, size_t off)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct hs_rq_node *v = realloc(r->nodes, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->nodes = v;
		*cap = ncap;
	}
	r->nodes[r->n] = (struct hs_rq_node){ .kind = kind, .neg = neg, .end = r->n + 1, .off = off };
	r->n++;
	return 0;
}

static int add_name(struct name_ref **names, size_t *n, size_t *cap, const char *p, size_t len, size_t node)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct name_ref *v = realloc(*names, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*names = v;
		*cap = ncap;
	}
	(*names)[(*n)++] = (struct name_ref){ .p = p, .len = len, .node = node };
	return 0;
}

/* Give every flag an index in byte order and point the nodes at it. */
static int intern_flags(hs_requse *r, struct name_ref *names, size_t n)
{
	if (n == 0)
		return 0;
	qsort(names, n, sizeof(*names), name_cmp);
	r->flags = calloc(n, sizeof(*r->flags));
	r->flag_len = calloc(n, sizeof(*r->flag_len));
	if (!r->flags || !r->flag_len)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || name_cmp(&names[i - 1], &names[i]) != 0) {
			r->flags[r->nflags] = hs_strndup(names[i].p, names[i].len);
			if (!r->flags[r->nflags])
				return -ENOMEM;
			r->flag_len[r->nflags] = names[i].len;
			r->nflags++;
		}
		r->nodes[names[i].node].flag = r->nflags - 1;
	}
	return 0;
}

int hs_requse_parse(hs_ctx *ctx, hs_requse **out, const char *s, size_t len, int eapi)
{
	_cleanup_(hs_requse_freep) hs_requse *r = NULL;
	_cleanup_free_ struct name_ref *names = NULL;
	size_t open[REQUSE_MAX_DEPTH + 1]; /* open[0] is the root, open[depth] the innermost open group */
	size_t depth = 0, ncap = 0, nnames = 0, namecap = 0, i = 0;
	bool need_paren = false;
	char reason[200];
	int ret;

	*out = NULL;
	if (eapi < 0)
		return hs_ctx_set_error(ctx, -EINVAL, "invalid EAPI %d for REQUIRED_USE", eapi);
	if (eapi > 8)
		eapi = 8;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->empty_true = eapi < 7;
	ret = add_node(r, &ncap, HS_RQ_ROOT, false, 0);
	if (ret < 0)
		return ret;
	open[0] = 0;

	while (i < len) {
		size_t start, tlen, nstart;
		const char *t;
		uint8_t kind = HS_RQ_FLAG;
		bool neg;

		while (i < len && rq_is_space(s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !rq_is_space(s[i]))
			i++;
		t = s + start;
		tlen = i - start;

		if (tlen == 1 && t[0] == '(' && need_paren) {
			need_paren = false; /* opens the group of the operator or conditional before it */
			continue;
		}
		if (need_paren) {
			const struct hs_rq_node *op = &r->nodes[open[depth]];
			_cleanup_free_ char *q = hs_escape(s + op->off, token_len(s, len, op->off), 64);

			if (!q)
				return -ENOMEM;
			snprintf(reason, sizeof(reason), "expected '(' after '%s'", q);
			return tok_error(ctx, s, len, start, reason);
		}
		if (tlen == 1 && t[0] == ')') {
			if (depth == 0)
				return tok_error(ctx, s, len, start, "no group is open");
			r->nodes[open[depth]].end = r->n;
			depth--;
			continue;
		}

		if (tlen == 1 && t[0] == '(')
			kind = HS_RQ_ALL;
		else if (tlen == 2 && t[0] == '|' && t[1] == '|')
			kind = HS_RQ_ANY;
		else if (tlen == 2 && t[0] == '^' && t[1] == '^')
			kind = HS_RQ_ONE;
		else if (tlen == 2 && t[0] == '?' && t[1] == '?') {
			if (eapi < 5) {
				snprintf(reason, sizeof(reason),
					 "'?" "?' (at most one of) needs EAPI 5 or later, this is EAPI %d", eapi);
				return tok_error(ctx, s, len, start, reason);
			}
			kind = HS_RQ_MOST;
		} else if (t[tlen - 1] == '?')
			kind = HS_RQ_COND;

		if (kind != HS_RQ_FLAG) {
			if (depth == REQUSE_MAX_DEPTH)
				return tok_error(ctx, s, len, start, "groups are nested too deeply");
			neg = false;
			if (kind == HS_RQ_COND) {
				neg = t[0] == '!';
				nstart = start + neg;
				if (!hs_use_flag_valid(s + nstart, i - 1 - nstart))
					return flag_error(ctx, s, len, start, s + nstart, i - 1 - nstart);
				ret = add_name(&names, &nnames, &namecap, s + nstart, i - 1 - nstart, r->n);
				if (ret < 0)
					return ret;
			}
			ret = add_node(r, &ncap, kind, neg, start);
			if (ret < 0)
				return ret;
			open[++depth] = r->n - 1;
			need_paren = kind != HS_RQ_ALL;
			continue;
		}

		neg = t[0] == '!';
		nstart = start + neg;
		if (!hs_use_flag_valid(s + nstart, i - nstart))
			return flag_error(ctx, s, len, start, s + nstart, i - nstart);
		ret = add_name(&names, &nnames, &namecap, s + nstart, i - nstart, r->n);
		if (ret < 0)
			return ret;
		ret = add_node(r, &ncap, HS_RQ_FLAG, neg, start);
		if (ret < 0)
			return ret;
	}
	if (need_paren)
		return tok_error(ctx, s, len, r->nodes[open[depth]].off, "expected '(' after it, found the end");
	if (depth > 0)
		return tok_error(ctx, s, len, r->nodes[open[depth]].off, "this group is never closed with ')'");
	r->nodes[0].end = r->n;
	ret = intern_flags(r, names, nnames);
	if (ret < 0)
		return ret;
	*out = TAKE_PTR(r);
	return 0;
}

int hs_requse_flags(const hs_requse *r, hs_useset **out)
{
	_cleanup_(hs_useset_freep) hs_useset *set = NULL;
	int ret = hs_useset_new(&set);

	for (size_t i = 0; ret >= 0 && i < r->nflags; i++)
		ret = hs_useset_add(set, r->flags[i], strlen(r->flags[i]));
	if (ret < 0)
		return ret;
	*out = TAKE_PTR(set);
	return 0;
}

/* ---- rendering ---------------------------------------------------------------------------------------- */

static const char *op_str(uint8_t kind, hs_requse_style style)
{
	bool human = style == HS_REQUSE_HUMAN;

	switch (kind) {
	case HS_RQ_ANY:
		return human ? "any-of" : "||";
	case HS_RQ_ONE:
		return human ? "exactly-one-of" : "^^";
	case HS_RQ_MOST:
		return human ? "at-most-one-of" : "??";
	default:
		return "";
	}
}

/* Append one space-separated token. */
static int put_tok(hs_buf *b, const char *pre, const char *s, const char *post)
{
	if ((b->len && hs_buf_putc(b, ' ') < 0) || hs_buf_puts(b, pre) < 0 || hs_buf_puts(b, s) < 0 ||
	    hs_buf_puts(b, post) < 0)
		return -ENOMEM;
	return 0;
}

/* The token that opens node i: `flag`, `!flag`, `flag?`, `||`, `(`… (without the group's own "("). */
static int put_head(hs_buf *b, const hs_requse *r, size_t i, hs_requse_style style)
{
	const struct hs_rq_node *n = &r->nodes[i];

	switch (n->kind) {
	case HS_RQ_FLAG:
		return put_tok(b, n->neg ? "!" : "", r->flags[n->flag], "");
	case HS_RQ_COND:
		return put_tok(b, n->neg ? "!" : "", r->flags[n->flag], "?");
	case HS_RQ_ANY:
	case HS_RQ_ONE:
	case HS_RQ_MOST:
		return put_tok(b, "", op_str(n->kind, style), "");
	default:
		return 0;
	}
}

int hs_requse_render_node(hs_buf *b, const hs_requse *r, size_t i, hs_requse_style style)
{
	uint8_t kind = r->nodes[i].kind;

	if (put_head(b, r, i, style) < 0)
		return -ENOMEM;
	if (kind == HS_RQ_FLAG)
		return 0;
	if (kind != HS_RQ_ROOT && put_tok(b, "", "(", "") < 0)
		return -ENOMEM;
	HS_RQ_FOREACH_CHILD(r, i, k) {
		if (hs_requse_render_node(b, r, k, style) < 0)
			return -ENOMEM;
	}
	if (kind != HS_RQ_ROOT && put_tok(b, "", ")", "") < 0)
		return -ENOMEM;
	return 0;
}

int hs_requse_format(const hs_requse *r, hs_requse_style style, char **out)
{
	_cleanup_buf_ hs_buf b = {0};

	if (hs_requse_render_node(&b, r, 0, style) < 0)
		return -ENOMEM;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- evaluation --------------------------------------------------------------------------------------- */

struct agg {
	size_t n;      /* children */
	size_t t_or_a; /* children that may yield true or nothing */
	size_t t;      /* children that may yield true (the most true values possible) */
	size_t f;      /* children that may yield false */
	size_t a;      /* children that may yield nothing */
	size_t not_t;  /* children that may yield false or nothing */
	size_t only_t; /* children that surely yield true (the fewest true values possible) */
};

static void agg_add(struct agg *g, unsigned m)
{
	g->n++;
	g->t_or_a += !!(m & (HS_RQ_T | HS_RQ_ABS));
	g->t += !!(m & HS_RQ_T);
	g->f += !!(m & HS_RQ_F);
	g->a += !!(m & HS_RQ_ABS);
	g->not_t += !!(m & (HS_RQ_F | HS_RQ_ABS));
	g->only_t += m == HS_RQ_T;
}

/* What a node of this kind can yield given its children (conditionals: when active). */
static unsigned agg_finish(uint8_t kind, const struct agg *g, bool empty_true)
{
	bool all_t_or_a = g->t_or_a == g->n, all_a = g->a == g->n, all_not_t = g->not_t == g->n;
	unsigned m = 0;

	switch (kind) {
	case HS_RQ_ROOT:
	case HS_RQ_COND:
		/* no false value among those yielded; always yields a value */
		m |= all_t_or_a ? HS_RQ_T : 0;
		m |= g->f ? HS_RQ_F : 0;
		break;
	case HS_RQ_ALL:
		m |= all_a ? HS_RQ_ABS : 0;
		m |= all_t_or_a && g->t ? HS_RQ_T : 0;
		m |= g->f ? HS_RQ_F : 0;
		break;
	case HS_RQ_ANY:
		m |= g->t || (empty_true && all_a) ? HS_RQ_T : 0;
		m |= all_not_t && (!empty_true || g->f) ? HS_RQ_F : 0;
		break;
	case HS_RQ_ONE:
		m |= (g->only_t <= 1 && g->t >= 1) || (empty_true && all_a) ? HS_RQ_T : 0;
		m |= g->t >= 2 || (g->only_t == 0 && (!empty_true || g->f)) ? HS_RQ_F : 0;
		break;
	case HS_RQ_MOST:
		m |= g->only_t <= 1 ? HS_RQ_T : 0;
		m |= g->t >= 2 ? HS_RQ_F : 0;
		break;
	}
	return m;
}

/* Is the conditional at node n active (1), inactive (0), unknown (-1)? */
static int cond_active(const struct hs_rq_node *n, const uint8_t *st)
{
	uint8_t v = st[n->flag];

	if (v == HS_RQ_UNKNOWN)
		return -1;
	return (v == 1) != n->neg;
}

unsigned hs_requse_eval_node(const hs_requse *r, const uint8_t *st, size_t i, uint64_t *work)
{
	const struct hs_rq_node *n = &r->nodes[i];
	struct agg g = {0};
	int active = 1;
	unsigned m;

	(*work)++;
	if (n->kind == HS_RQ_FLAG) {
		if (st[n->flag] == HS_RQ_UNKNOWN)
			return HS_RQ_T | HS_RQ_F;
		return (st[n->flag] == 1) != n->neg ? HS_RQ_T : HS_RQ_F;
	}
	if (n->kind == HS_RQ_COND) {
		active = cond_active(n, st);
		if (active == 0)
			return HS_RQ_ABS;
	}
	HS_RQ_FOREACH_CHILD(r, i, k)
		agg_add(&g, hs_requse_eval_node(r, st, k, work));
	m = agg_finish(n->kind, &g, r->empty_true);
	return active < 0 ? m | HS_RQ_ABS : m;
}

unsigned hs_requse_eval_top(const hs_requse *r, const uint8_t *st, const size_t *top, const bool *active, size_t ntop,
			    uint64_t *work)
{
	struct agg g = {0};

	for (size_t t = 0; t < ntop; t++) {
		if (active[t])
			agg_add(&g, hs_requse_eval_node(r, st, top[t], work));
	}
	return agg_finish(HS_RQ_ROOT, &g, r->empty_true);
}

/* Portage checks a plain flag when it meets it and a conditional's flag when its group closes: report the
 * first flag missing from IUSE in that same order. */
static int report_iuse(hs_ctx *ctx, const hs_requse *r, const hs_useset *iuse, size_t i)
{
	const struct hs_rq_node *n = &r->nodes[i];
	int ret;

	HS_RQ_FOREACH_CHILD(r, i, k) {
		ret = report_iuse(ctx, r, iuse, k);
		if (ret < 0)
			return ret;
	}
	if (n->kind != HS_RQ_FLAG && n->kind != HS_RQ_COND)
		return 0;
	if (hs_useset_has(iuse, r->flags[n->flag], r->flag_len[n->flag]))
		return 0;
	return hs_ctx_set_error(ctx, -EINVAL, "USE flag '%s' is not in IUSE", r->flags[n->flag]);
}

/* The IUSE check with scratch space for r->nflags bytes: each flag looked up once (the flags and the set are
 * both in byte order); only when one is missing does the order of the report matter. */
static int check_iuse(hs_ctx *ctx, const hs_requse *r, const hs_useset *iuse, uint8_t *scratch)
{
	hs_useset_has_sorted(iuse, r->flags, r->flag_len, r->nflags, scratch);
	for (size_t f = 0; f < r->nflags; f++) {
		if (!scratch[f])
			return report_iuse(ctx, r, iuse, 0);
	}
	return 0;
}

int hs_requse_check_iuse(hs_ctx *ctx, const hs_requse *r, const hs_useset *iuse)
{
	uint8_t stack[STATE_STACK];
	_cleanup_free_ uint8_t *heap = NULL;

	if (r->nflags > sizeof(stack)) {
		heap = malloc(r->nflags);
		if (!heap)
			return -ENOMEM;
	}
	return check_iuse(ctx, r, iuse, heap ? heap : stack);
}

/* Flag states (st: r->nflags + 1 bytes) from an enabled-USE set, after checking the flags against IUSE. */
static int fill_state(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse, uint8_t *st)
{
	if (iuse) {
		int ret = check_iuse(ctx, r, iuse, st);

		if (ret < 0)
			return ret;
	}
	hs_useset_has_sorted(use, r->flags, r->flag_len, r->nflags, st);
	st[r->nflags] = 0;
	return 0;
}

int hs_requse_check(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse)
{
	uint8_t stack[STATE_STACK];
	_cleanup_free_ uint8_t *heap = NULL;
	uint8_t *st = stack;
	uint64_t work = 0;
	int ret;

	if (r->nflags + 1 > sizeof(stack)) {
		st = heap = malloc(r->nflags + 1);
		if (!heap)
			return -ENOMEM;
	}
	ret = fill_state(ctx, r, use, iuse, st);
	if (ret < 0)
		return ret;
	return hs_requse_eval_node(r, st, 0, &work) == HS_RQ_T;
}

/* ---- the reduced-noise tree (Portage's _RequiredUseBranch/_RequiredUseLeaf) ---------------------------- */

/*
 * Portage builds a display tree while it evaluates, and reshapes it as groups close:
 *  - a plain group is dissolved into its parent unless it has two or more children and sits directly in
 *    `||`/`^^`/`??`;
 *  - an inactive conditional is dropped, and so is any operator or conditional left without children;
 *  - `||`/`^^`/`??` with a single child is replaced by that child (a plain group so promoted is dissolved
 *    too unless its new parent is `||`/`^^`/`??`).
 * Rendering then prints a node's unsatisfied children only, except below `||`/`^^`/`??`, where everything is
 * printed.
 */
struct tnode {
	size_t node; /* parse node */
	uint8_t kind;
	bool sat;
	struct tnode *parent;
	struct tnode **kids;
	size_t nk, ck;
};

struct ttree {
	const hs_requse *r;
	const uint8_t *st;
	struct tnode *pool;
	size_t used;
	bool oom;
};

static struct tnode *tnew(struct ttree *t, size_t node, struct tnode *parent)
{
	struct tnode *x = &t->pool[t->used++]; /* one per parse node at most: the pool has r->n slots */

	*x = (struct tnode){ .node = node, .kind = t->r->nodes[node].kind, .parent = parent };
	return x;
}

static void tappend(struct ttree *t, struct tnode *parent, struct tnode *x)
{
	if (parent->nk == parent->ck) {
		size_t ncap = parent->ck ? parent->ck * 2 : 4;
		struct tnode **v = realloc(parent->kids, ncap * sizeof(*v));

		if (!v) {
			t->oom = true;
			return;
		}
		parent->kids = v;
		parent->ck = ncap;
	}
	parent->kids[parent->nk++] = x;
	if (x->kind != HS_RQ_FLAG)
		x->parent = parent;
}

static void tsplice(struct ttree *t, struct tnode *parent, struct tnode *x)
{
	for (size_t k = 0; k < x->nk; k++)
		tappend(t, parent, x->kids[k]);
}

static unsigned tbuild(struct ttree *t, size_t i, struct tnode *parent)
{
	const struct hs_rq_node *n = &t->r->nodes[i];
	struct agg g = {0};
	struct tnode *b;
	unsigned m;

	if (n->kind == HS_RQ_FLAG) {
		m = (t->st[n->flag] == 1) != n->neg ? HS_RQ_T : HS_RQ_F;
		b = tnew(t, i, parent);
		b->sat = m == HS_RQ_T;
		tappend(t, parent, b);
		return m;
	}
	if (n->kind == HS_RQ_COND && cond_active(n, t->st) == 0)
		return HS_RQ_ABS;
	b = tnew(t, i, parent);
	HS_RQ_FOREACH_CHILD(t->r, i, k)
		agg_add(&g, tbuild(t, k, b));
	m = agg_finish(n->kind, &g, t->r->empty_true);
	b->sat = !(m & HS_RQ_F);

	if (n->kind == HS_RQ_ALL) {
		if (b->nk <= 1 || !is_choice(parent->kind))
			tsplice(t, parent, b);
		else
			tappend(t, parent, b);
	} else if (b->nk == 0) {
		/* an emptied conditional or operator disappears from the display */
	} else if (b->nk == 1 && is_choice(n->kind)) {
		struct tnode *c = b->kids[0];

		if (c->kind == HS_RQ_ALL && !is_choice(parent->kind))
			tsplice(t, parent, c);
		else
			tappend(t, parent, c);
	} else
		tappend(t, parent, b);
	return m;
}

static bool complex_nesting(const struct tnode *x)
{
	for (; x; x = x->parent) {
		if (is_choice(x->kind))
			return true;
	}
	return false;
}

static int trender(hs_buf *b, const struct ttree *t, const struct tnode *x, hs_requse_style style)
{
	bool parens = x->parent != NULL, all = complex_nesting(x);

	if (put_head(b, t->r, x->node, style) < 0)
		return -ENOMEM;
	if (x->kind == HS_RQ_FLAG)
		return 0;
	if (parens && put_tok(b, "", "(", "") < 0)
		return -ENOMEM;
	for (size_t k = 0; k < x->nk; k++) {
		if ((all || !x->kids[k]->sat) && trender(b, t, x->kids[k], style) < 0)
			return -ENOMEM;
	}
	if (parens && put_tok(b, "", ")", "") < 0)
		return -ENOMEM;
	return 0;
}

static void ttree_done(struct ttree *t)
{
	for (size_t k = 0; t->pool && k < t->used; k++)
		free(t->pool[k].kids);
	free(t->pool);
}

int hs_requse_reduce(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse,
		     hs_requse_style style, char **out)
{
	_cleanup_free_ uint8_t *st = NULL;
	_cleanup_buf_ hs_buf b = {0};
	struct ttree t = { .r = r };
	struct tnode *root;
	uint64_t work = 0;
	int ret;

	st = malloc(r->nflags + 1);
	if (!st)
		return -ENOMEM;
	ret = fill_state(ctx, r, use, iuse, st);
	if (ret < 0)
		return ret;
	if (hs_requse_eval_node(r, st, 0, &work) == HS_RQ_T) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	t.st = st;
	t.pool = calloc(r->n, sizeof(*t.pool));
	if (!t.pool)
		return -ENOMEM;
	root = tnew(&t, 0, NULL);
	HS_RQ_FOREACH_CHILD(r, 0, k)
		tbuild(&t, k, root);
	ret = t.oom ? -ENOMEM : trender(&b, &t, root, style);
	ttree_done(&t);
	if (ret < 0)
		return ret;
	if (b.len == 0) {
		/* Portage would print nothing here (a `||`/`^^` emptied by inactive conditionals, EAPI >= 7):
		 * show the unsatisfied top-level constraints as written instead. */
		HS_RQ_FOREACH_CHILD(r, 0, k) {
			if ((hs_requse_eval_node(r, st, k, &work) & HS_RQ_F) && hs_requse_render_node(&b, r, k, style) < 0)
				return -ENOMEM;
		}
	}
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}
