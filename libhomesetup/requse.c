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
 * The same evaluator runs in three-valued mode for the solver: a flag may be "unknown", and every node then
 * yields the set of values it could take (a sound over-approximation), which lets the search prune.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

/* Real REQUIRED_USE nests 3-4 levels deep; the cap keeps the recursive walkers' stack use bounded. */
#define REQUSE_MAX_DEPTH 256
/* Node visits the solver may spend on the exact search before it falls back to a greedy repair. */
#define SOLVE_BUDGET 5000000ULL

enum rkind {
	K_ROOT,
	K_FLAG, /* `flag`, `!flag` */
	K_ALL,  /* `( … )` */
	K_ANY,  /* `|| ( … )` */
	K_ONE,  /* `^^ ( … )` */
	K_MOST, /* `?? ( … )` */
	K_COND, /* `flag? ( … )`, `!flag? ( … )` */
};

/* One parsed item; items are stored in pre-order, a node's children follow it up to `end`. */
struct rnode {
	uint8_t kind;
	bool neg;
	size_t flag; /* K_FLAG, K_COND: index into hs_requse.flags */
	size_t end;  /* one past the last node of this subtree */
	size_t off;  /* byte offset of the node's token in the parsed text */
};

struct hs_requse {
	struct rnode *nodes;
	size_t n;
	char **flags; /* every flag named, unique, in byte order */
	size_t nflags;
	bool empty_true; /* EAPI 0-6: empty `|| ( )` and `^^ ( )` are true */
};

#define FOREACH_CHILD(r, i, k) for (size_t k = (i) + 1; k < (r)->nodes[i].end; k = (r)->nodes[k].end)

static inline bool rq_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_choice(uint8_t kind)
{
	return kind == K_ANY || kind == K_ONE || kind == K_MOST;
}

void hs_requse_free(hs_requse *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nflags; i++)
		free(r->flags[i]);
	free(r->flags);
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
		struct rnode *v = realloc(r->nodes, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->nodes = v;
		*cap = ncap;
	}
	r->nodes[r->n] = (struct rnode){ .kind = kind, .neg = neg, .end = r->n + 1, .off = off };
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
	if (!r->flags)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || name_cmp(&names[i - 1], &names[i]) != 0) {
			r->flags[r->nflags] = hs_strndup(names[i].p, names[i].len);
			if (!r->flags[r->nflags])
				return -ENOMEM;
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
	ret = add_node(r, &ncap, K_ROOT, false, 0);
	if (ret < 0)
		return ret;
	open[0] = 0;

	while (i < len) {
		size_t start, tlen, nstart;
		const char *t;
		uint8_t kind = K_FLAG;
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
			const struct rnode *op = &r->nodes[open[depth]];
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
			kind = K_ALL;
		else if (tlen == 2 && t[0] == '|' && t[1] == '|')
			kind = K_ANY;
		else if (tlen == 2 && t[0] == '^' && t[1] == '^')
			kind = K_ONE;
		else if (tlen == 2 && t[0] == '?' && t[1] == '?') {
			if (eapi < 5) {
				snprintf(reason, sizeof(reason),
					 "'?" "?' (at most one of) needs EAPI 5 or later, this is EAPI %d", eapi);
				return tok_error(ctx, s, len, start, reason);
			}
			kind = K_MOST;
		} else if (t[tlen - 1] == '?')
			kind = K_COND;

		if (kind != K_FLAG) {
			if (depth == REQUSE_MAX_DEPTH)
				return tok_error(ctx, s, len, start, "groups are nested too deeply");
			neg = false;
			if (kind == K_COND) {
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
			need_paren = kind != K_ALL;
			continue;
		}

		neg = t[0] == '!';
		nstart = start + neg;
		if (!hs_use_flag_valid(s + nstart, i - nstart))
			return flag_error(ctx, s, len, start, s + nstart, i - nstart);
		ret = add_name(&names, &nnames, &namecap, s + nstart, i - nstart, r->n);
		if (ret < 0)
			return ret;
		ret = add_node(r, &ncap, K_FLAG, neg, start);
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
	case K_ANY:
		return human ? "any-of" : "||";
	case K_ONE:
		return human ? "exactly-one-of" : "^^";
	case K_MOST:
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
	const struct rnode *n = &r->nodes[i];

	switch (n->kind) {
	case K_FLAG:
		return put_tok(b, n->neg ? "!" : "", r->flags[n->flag], "");
	case K_COND:
		return put_tok(b, n->neg ? "!" : "", r->flags[n->flag], "?");
	case K_ANY:
	case K_ONE:
	case K_MOST:
		return put_tok(b, "", op_str(n->kind, style), "");
	default:
		return 0;
	}
}

static int render_node(hs_buf *b, const hs_requse *r, size_t i, hs_requse_style style)
{
	uint8_t kind = r->nodes[i].kind;

	if (put_head(b, r, i, style) < 0)
		return -ENOMEM;
	if (kind == K_FLAG)
		return 0;
	if (kind != K_ROOT && put_tok(b, "", "(", "") < 0)
		return -ENOMEM;
	FOREACH_CHILD(r, i, k) {
		if (render_node(b, r, k, style) < 0)
			return -ENOMEM;
	}
	if (kind != K_ROOT && put_tok(b, "", ")", "") < 0)
		return -ENOMEM;
	return 0;
}

int hs_requse_format(const hs_requse *r, hs_requse_style style, char **out)
{
	_cleanup_buf_ hs_buf b = {0};

	if (render_node(&b, r, 0, style) < 0)
		return -ENOMEM;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- evaluation --------------------------------------------------------------------------------------- */

/* What an item can yield: nothing, true, false (a set, for the three-valued mode). */
enum { V_ABS = 1, V_T = 2, V_F = 4 };
/* Flag states: 0 off, 1 on, ST_UNKNOWN either. */
#define ST_UNKNOWN 2

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
	g->t_or_a += !!(m & (V_T | V_ABS));
	g->t += !!(m & V_T);
	g->f += !!(m & V_F);
	g->a += !!(m & V_ABS);
	g->not_t += !!(m & (V_F | V_ABS));
	g->only_t += m == V_T;
}

/* What a node of this kind can yield given its children (conditionals: when active). */
static unsigned agg_finish(uint8_t kind, const struct agg *g, bool empty_true)
{
	bool all_t_or_a = g->t_or_a == g->n, all_a = g->a == g->n, all_not_t = g->not_t == g->n;
	unsigned m = 0;

	switch (kind) {
	case K_ROOT:
	case K_COND:
		/* no false value among those yielded; always yields a value */
		m |= all_t_or_a ? V_T : 0;
		m |= g->f ? V_F : 0;
		break;
	case K_ALL:
		m |= all_a ? V_ABS : 0;
		m |= all_t_or_a && g->t ? V_T : 0;
		m |= g->f ? V_F : 0;
		break;
	case K_ANY:
		m |= g->t || (empty_true && all_a) ? V_T : 0;
		m |= all_not_t && (!empty_true || g->f) ? V_F : 0;
		break;
	case K_ONE:
		m |= (g->only_t <= 1 && g->t >= 1) || (empty_true && all_a) ? V_T : 0;
		m |= g->t >= 2 || (g->only_t == 0 && (!empty_true || g->f)) ? V_F : 0;
		break;
	case K_MOST:
		m |= g->only_t <= 1 ? V_T : 0;
		m |= g->t >= 2 ? V_F : 0;
		break;
	}
	return m;
}

/* Is the conditional at node n active (1), inactive (0), unknown (-1)? */
static int cond_active(const struct rnode *n, const uint8_t *st)
{
	uint8_t v = st[n->flag];

	if (v == ST_UNKNOWN)
		return -1;
	return (v == 1) != n->neg;
}

static unsigned eval_node(const hs_requse *r, const uint8_t *st, size_t i, uint64_t *work)
{
	const struct rnode *n = &r->nodes[i];
	struct agg g = {0};
	int active = 1;
	unsigned m;

	(*work)++;
	if (n->kind == K_FLAG) {
		if (st[n->flag] == ST_UNKNOWN)
			return V_T | V_F;
		return (st[n->flag] == 1) != n->neg ? V_T : V_F;
	}
	if (n->kind == K_COND) {
		active = cond_active(n, st);
		if (active == 0)
			return V_ABS;
	}
	FOREACH_CHILD(r, i, k)
		agg_add(&g, eval_node(r, st, k, work));
	m = agg_finish(n->kind, &g, r->empty_true);
	return active < 0 ? m | V_ABS : m;
}

/* Portage checks a plain flag when it meets it and a conditional's flag when its group closes: report the
 * first flag missing from IUSE in that same order. */
static int check_iuse(hs_ctx *ctx, const hs_requse *r, const hs_useset *iuse, size_t i)
{
	const struct rnode *n = &r->nodes[i];
	const char *f;
	int ret;

	FOREACH_CHILD(r, i, k) {
		ret = check_iuse(ctx, r, iuse, k);
		if (ret < 0)
			return ret;
	}
	if (n->kind != K_FLAG && n->kind != K_COND)
		return 0;
	f = r->flags[n->flag];
	if (hs_useset_has(iuse, f, strlen(f)))
		return 0;
	return hs_ctx_set_error(ctx, -EINVAL, "USE flag '%s' is not in IUSE", f);
}

/* Flag states from an enabled-USE set, after checking the flags against IUSE. */
static int make_state(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse, uint8_t **out)
{
	uint8_t *st;

	if (iuse) {
		int ret = check_iuse(ctx, r, iuse, 0);

		if (ret < 0)
			return ret;
	}
	st = calloc(r->nflags + 1, 1);
	if (!st)
		return -ENOMEM;
	for (size_t f = 0; f < r->nflags; f++)
		st[f] = hs_useset_has(use, r->flags[f], strlen(r->flags[f]));
	*out = st;
	return 0;
}

int hs_requse_check(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse)
{
	_cleanup_free_ uint8_t *st = NULL;
	uint64_t work = 0;
	int ret = make_state(ctx, r, use, iuse, &st);

	if (ret < 0)
		return ret;
	return eval_node(r, st, 0, &work) == V_T;
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
	if (x->kind != K_FLAG)
		x->parent = parent;
}

static void tsplice(struct ttree *t, struct tnode *parent, struct tnode *x)
{
	for (size_t k = 0; k < x->nk; k++)
		tappend(t, parent, x->kids[k]);
}

static unsigned tbuild(struct ttree *t, size_t i, struct tnode *parent)
{
	const struct rnode *n = &t->r->nodes[i];
	struct agg g = {0};
	struct tnode *b;
	unsigned m;

	if (n->kind == K_FLAG) {
		m = (t->st[n->flag] == 1) != n->neg ? V_T : V_F;
		b = tnew(t, i, parent);
		b->sat = m == V_T;
		tappend(t, parent, b);
		return m;
	}
	if (n->kind == K_COND && cond_active(n, t->st) == 0)
		return V_ABS;
	b = tnew(t, i, parent);
	FOREACH_CHILD(t->r, i, k)
		agg_add(&g, tbuild(t, k, b));
	m = agg_finish(n->kind, &g, t->r->empty_true);
	b->sat = !(m & V_F);

	if (n->kind == K_ALL) {
		if (b->nk <= 1 || !is_choice(parent->kind))
			tsplice(t, parent, b);
		else
			tappend(t, parent, b);
	} else if (b->nk == 0) {
		/* an emptied conditional or operator disappears from the display */
	} else if (b->nk == 1 && is_choice(n->kind)) {
		struct tnode *c = b->kids[0];

		if (c->kind == K_ALL && !is_choice(parent->kind))
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
	if (x->kind == K_FLAG)
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
	int ret = make_state(ctx, r, use, iuse, &st);

	if (ret < 0)
		return ret;
	if (eval_node(r, st, 0, &work) == V_T) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	t.st = st;
	t.pool = calloc(r->n, sizeof(*t.pool));
	if (!t.pool)
		return -ENOMEM;
	root = tnew(&t, 0, NULL);
	FOREACH_CHILD(r, 0, k)
		tbuild(&t, k, root);
	ret = t.oom ? -ENOMEM : trender(&b, &t, root, style);
	ttree_done(&t);
	if (ret < 0)
		return ret;
	if (b.len == 0) {
		/* Portage would print nothing here (a `||`/`^^` emptied by inactive conditionals, EAPI >= 7):
		 * show the unsatisfied top-level constraints as written instead. */
		FOREACH_CHILD(r, 0, k) {
			if ((eval_node(r, st, k, &work) & V_F) && render_node(&b, r, k, style) < 0)
				return -ENOMEM;
		}
	}
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- solving ------------------------------------------------------------------------------------------ */

struct hs_requse_solution {
	hs_requse_change *v;
	size_t n;
	hs_useset *use;
};

struct solver {
	const hs_requse *r;
	size_t nf;
	uint8_t *st;     /* working flag states */
	uint8_t *init;   /* current USE with the caller's requirements applied */
	bool *cand;      /* the solver may change this flag */
	bool *pinned;    /* the caller pinned this flag */
	bool *flipped;   /* changed on the current search path */
	bool *forbid;    /* excluded on the current search path (already covered by an earlier branch) */
	size_t *fstack;  /* flags forbidden so far, to undo */
	size_t nfstack;
	size_t *top;     /* node index of every top-level constraint */
	size_t ntop;
	bool *active;    /* top-level constraints taken into account */
	size_t **tflags; /* flags named by each top-level constraint, ascending */
	size_t *ntflags;
	size_t **fcons;  /* top-level constraints naming each flag */
	size_t *nfcons;
	char **ttext;    /* each top-level constraint, rendered raw */
	size_t *order;   /* candidates in order of first appearance (the satisfiability search's order) */
	size_t ncand;
	uint8_t *pass;
	size_t *path;    /* flips on the current search path */
	size_t depth;
	size_t *best;    /* best flips found, ascending */
	size_t *scratch;
	size_t nbest, best_en;
	bool have_best;
	uint64_t work, budget;
	bool over;
};

static void solver_done(struct solver *s)
{
	for (size_t t = 0; s->tflags && t < s->ntop; t++)
		free(s->tflags[t]);
	for (size_t t = 0; s->ttext && t < s->ntop; t++)
		free(s->ttext[t]);
	for (size_t f = 0; s->fcons && f < s->nf; f++)
		free(s->fcons[f]);
	free(s->fcons);
	free(s->nfcons);
	free(s->st);
	free(s->init);
	free(s->cand);
	free(s->pinned);
	free(s->flipped);
	free(s->forbid);
	free(s->fstack);
	free(s->top);
	free(s->active);
	free(s->tflags);
	free(s->ntflags);
	free(s->ttext);
	free(s->order);
	free(s->pass);
	free(s->path);
	free(s->best);
	free(s->scratch);
}

static int solver_init(struct solver *s, const hs_requse *r)
{
	size_t nf = r->nflags + 1, nt = 0;
	_cleanup_free_ size_t *stamp = NULL;

	s->r = r;
	s->nf = r->nflags;
	s->budget = SOLVE_BUDGET;
	FOREACH_CHILD(r, 0, k)
		nt++;
	s->st = calloc(nf, 1);
	s->init = calloc(nf, 1);
	s->cand = calloc(nf, sizeof(bool));
	s->pinned = calloc(nf, sizeof(bool));
	s->flipped = calloc(nf, sizeof(bool));
	s->forbid = calloc(nf, sizeof(bool));
	s->fstack = calloc(nf, sizeof(size_t));
	s->order = calloc(nf, sizeof(size_t));
	s->pass = calloc(nf, 1);
	s->path = calloc(nf, sizeof(size_t));
	s->best = calloc(nf, sizeof(size_t));
	s->scratch = calloc(nf, sizeof(size_t));
	s->top = calloc(nt + 1, sizeof(size_t));
	s->active = calloc(nt + 1, sizeof(bool));
	s->tflags = calloc(nt + 1, sizeof(size_t *));
	s->ntflags = calloc(nt + 1, sizeof(size_t));
	s->ttext = calloc(nt + 1, sizeof(char *));
	s->fcons = calloc(nf, sizeof(size_t *));
	s->nfcons = calloc(nf, sizeof(size_t));
	stamp = calloc(nf, sizeof(size_t));
	if (!s->fcons || !s->nfcons || !s->st || !s->init || !s->cand || !s->pinned || !s->flipped || !s->forbid ||
	    !s->fstack || !s->order || !s->pass || !s->path || !s->best || !s->scratch || !s->top || !s->active ||
	    !s->tflags || !s->ntflags || !s->ttext || !stamp)
		return -ENOMEM;
	FOREACH_CHILD(r, 0, k) {
		size_t t = s->ntop++, cnt = 0;
		_cleanup_buf_ hs_buf b = {0};

		s->top[t] = k;
		s->active[t] = true;
		for (size_t j = k; j < r->nodes[k].end; j++) {
			const struct rnode *n = &r->nodes[j];

			if ((n->kind == K_FLAG || n->kind == K_COND) && stamp[n->flag] != t + 1) {
				stamp[n->flag] = t + 1;
				cnt++;
			}
		}
		s->tflags[t] = calloc(cnt + 1, sizeof(size_t));
		if (!s->tflags[t])
			return -ENOMEM;
		for (size_t f = 0; f < s->nf; f++) {
			if (stamp[f] == t + 1)
				s->tflags[t][s->ntflags[t]++] = f;
		}
		if (render_node(&b, r, k, HS_REQUSE_RAW) < 0)
			return -ENOMEM;
		s->ttext[t] = hs_buf_steal(&b);
		if (!s->ttext[t])
			return -ENOMEM;
	}
	for (size_t t = 0; t < s->ntop; t++) {
		for (size_t j = 0; j < s->ntflags[t]; j++)
			s->nfcons[s->tflags[t][j]]++;
	}
	for (size_t f = 0; f < s->nf; f++) {
		s->fcons[f] = calloc(s->nfcons[f] + 1, sizeof(size_t));
		if (!s->fcons[f])
			return -ENOMEM;
		s->nfcons[f] = 0;
	}
	for (size_t t = 0; t < s->ntop; t++) {
		for (size_t j = 0; j < s->ntflags[t]; j++) {
			size_t f = s->tflags[t][j];

			s->fcons[f][s->nfcons[f]++] = t;
		}
	}
	return 0;
}

static unsigned eval_root(struct solver *s)
{
	struct agg g = {0};

	for (size_t t = 0; t < s->ntop; t++) {
		if (s->active[t])
			agg_add(&g, eval_node(s->r, s->st, s->top[t], &s->work));
	}
	return agg_finish(K_ROOT, &g, s->r->empty_true);
}

/*
 * Is there any assignment of the candidates satisfying the active constraints? Depth-first over the
 * candidates (keep the current state first), pruned by the three-valued evaluation. Returns 1 and leaves the
 * assignment in s->st, 0 when there is none, -1 when the budget ran out.
 */
static int sat_search(struct solver *s)
{
	size_t vi = 0;

	memcpy(s->st, s->init, s->nf);
	for (size_t i = 0; i < s->ncand; i++)
		s->st[s->order[i]] = ST_UNKNOWN;
	for (;;) {
		unsigned m;

		if (s->work > s->budget)
			return -1;
		m = eval_root(s);
		if (m == V_T) {
			for (size_t i = vi; i < s->ncand; i++)
				s->st[s->order[i]] = s->init[s->order[i]];
			return 1;
		}
		if ((m & V_T) && vi < s->ncand) {
			s->pass[vi] = 0;
			s->st[s->order[vi]] = s->init[s->order[vi]];
			vi++;
			continue;
		}
		for (;;) {
			if (vi == 0)
				return 0;
			vi--;
			if (s->pass[vi] == 0) {
				s->pass[vi] = 1;
				s->st[s->order[vi]] = !s->init[s->order[vi]];
				vi++;
				break;
			}
			s->st[s->order[vi]] = ST_UNKNOWN;
		}
	}
}

static void record(struct solver *s)
{
	size_t en = 0, *sorted = s->scratch;
	int c = 0;

	memcpy(sorted, s->path, s->depth * sizeof(size_t));
	/* insertion sort: k is tiny */
	for (size_t i = 1; i < s->depth; i++) {
		size_t v = sorted[i], j = i;

		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	for (size_t i = 0; i < s->depth; i++)
		en += s->init[sorted[i]] == 0;
	/* ties: more flags enabled, then the earliest flag names in byte order (flag indices are in byte order) */
	if (s->have_best && en == s->best_en) {
		for (size_t i = 0; i < s->depth && !c; i++)
			c = sorted[i] < s->best[i] ? -1 : sorted[i] > s->best[i];
	}
	if (!s->have_best || en > s->best_en || (en == s->best_en && c < 0)) {
		memcpy(s->best, sorted, s->depth * sizeof(size_t));
		s->nbest = s->depth;
		s->best_en = en;
		s->have_best = true;
	}
}

/*
 * All smallest solutions with exactly `left` more flips: branch on the flags of the first unsatisfied
 * top-level constraint (any solution must change one of them). A flag whose branch has been explored is
 * forbidden in its later siblings, so each set of flips is reached once.
 */
static void exact_search(struct solver *s, size_t left)
{
	size_t t, sp = s->nfstack;
	unsigned m;

	if (s->work > s->budget) {
		s->over = true;
		return;
	}
	for (t = 0; t < s->ntop; t++) {
		if (eval_node(s->r, s->st, s->top[t], &s->work) & V_F)
			break;
	}
	if (t == s->ntop) {
		record(s);
		return;
	}
	if (left == 0)
		return;
	/* prune: can the flags still free to change satisfy everything at all? */
	for (size_t i = 0; i < s->ncand; i++) {
		size_t f = s->order[i];

		if (!s->flipped[f] && !s->forbid[f])
			s->st[f] = ST_UNKNOWN;
	}
	m = eval_root(s);
	for (size_t i = 0; i < s->ncand; i++) {
		size_t f = s->order[i];

		if (!s->flipped[f] && !s->forbid[f])
			s->st[f] = s->init[f];
	}
	if (!(m & V_T))
		return;
	for (size_t j = 0; j < s->ntflags[t] && !s->over; j++) {
		size_t f = s->tflags[t][j];

		if (!s->cand[f] || s->flipped[f] || s->forbid[f])
			continue;
		s->st[f] = !s->init[f];
		s->flipped[f] = true;
		s->path[s->depth++] = f;
		exact_search(s, left - 1);
		s->depth--;
		s->flipped[f] = false;
		s->st[f] = s->init[f];
		s->forbid[f] = true;
		s->fstack[s->nfstack++] = f;
	}
	while (s->nfstack > sp)
		s->forbid[s->fstack[--s->nfstack]] = false;
}

/* Fallback when the exact search is over budget: repeatedly flip the candidate (named by an unsatisfied
 * constraint, each flag at most once) that leaves the fewest constraints unsatisfied. Returns true with the
 * flips in out. */
static bool greedy(struct solver *s, size_t *out, size_t *nout)
{
	_cleanup_free_ bool *bad = calloc(s->ntop + 1, sizeof(bool));
	size_t n = 0, nbad = 0;

	if (!bad)
		return false;
	memcpy(s->st, s->init, s->nf);
	for (size_t t = 0; t < s->ntop; t++) {
		bad[t] = !!(eval_node(s->r, s->st, s->top[t], &s->work) & V_F);
		nbad += bad[t];
	}
	while (nbad > 0) {
		size_t pick = SIZE_MAX;
		long pick_delta = 0;

		if (s->work > 2 * s->budget)
			return false;
		for (size_t t = 0; t < s->ntop; t++) {
			if (!bad[t])
				continue;
			for (size_t j = 0; j < s->ntflags[t]; j++) {
				size_t f = s->tflags[t][j];
				long delta = 0;

				if (!s->cand[f] || s->st[f] != s->init[f])
					continue;
				s->st[f] = !s->init[f];
				for (size_t u = 0; u < s->nfcons[f]; u++) {
					size_t c = s->fcons[f][u];
					bool now = !!(eval_node(s->r, s->st, s->top[c], &s->work) & V_F);

					delta += (long)now - (long)bad[c];
				}
				s->st[f] = s->init[f];
				/* fewest unsatisfied, then enabling, then byte order */
				if (pick == SIZE_MAX || delta < pick_delta ||
				    (delta == pick_delta && (s->init[f] < s->init[pick] ||
							     (s->init[f] == s->init[pick] && f < pick)))) {
					pick = f;
					pick_delta = delta;
				}
			}
		}
		if (pick == SIZE_MAX)
			return false;
		s->st[pick] = !s->init[pick];
		out[n++] = pick;
		for (size_t u = 0; u < s->nfcons[pick]; u++) {
			size_t c = s->fcons[pick][u];
			bool now = !!(eval_node(s->r, s->st, s->top[c], &s->work) & V_F);

			nbad = nbad - bad[c] + now;
			bad[c] = now;
		}
	}
	*nout = n;
	return true;
}

static bool in_set(const hs_useset *set, const char *f)
{
	return set && hs_useset_has(set, f, strlen(f));
}

/* "'a', 'b' and 'c'" */
static int put_list(hs_buf *b, const char *const *v, size_t n, bool quote)
{
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";

		if (hs_buf_printf(b, quote ? "%s'%s'" : "%s%s", sep, v[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Which constraints cannot hold together? A smallest unsatisfiable prefix of the top-level constraints,
 * then each earlier member dropped when the rest stays unsatisfiable. */
static int explain_unsat(hs_ctx *ctx, struct solver *s, const hs_useset *want_on, const hs_useset *want_off)
{
	_cleanup_buf_ hs_buf b = {0};
	_cleanup_free_ const char **names = calloc(s->nf + s->ntop + 1, sizeof(char *));
	size_t last = s->ntop, nn = 0, ncore = 0;
	bool limited = false;
	int ret;

	if (!names)
		return -ENOMEM;
	for (size_t t = 0; t < s->ntop; t++)
		s->active[t] = false;
	for (size_t t = 0; t < s->ntop && last == s->ntop; t++) {
		s->active[t] = true;
		ret = sat_search(s);
		if (ret < 0) {
			limited = true;
			break;
		}
		if (ret == 0)
			last = t;
	}
	if (last < s->ntop) {
		for (size_t t = 0; t < last; t++) {
			if (!s->active[t])
				continue;
			s->active[t] = false;
			ret = sat_search(s);
			if (ret != 0)
				s->active[t] = true;
			limited |= ret < 0;
		}
	} else {
		/* out of budget: name every constraint that is unsatisfiable as things stand */
		memcpy(s->st, s->init, s->nf);
		for (size_t t = 0; t < s->ntop; t++)
			s->active[t] = !!(eval_node(s->r, s->st, s->top[t], &s->work) & V_F);
	}

	nn = 0;
	for (size_t i = 0; want_on && i < hs_useset_count(want_on); i++)
		names[nn++] = hs_useset_get(want_on, i);
	if (nn && (hs_buf_puts(&b, "cannot enable ") < 0 || put_list(&b, names, nn, true) < 0))
		return -ENOMEM;
	if (want_off && hs_useset_count(want_off)) {
		size_t n0 = nn;

		for (size_t i = 0; i < hs_useset_count(want_off); i++)
			names[nn++] = hs_useset_get(want_off, i);
		if (hs_buf_puts(&b, n0 ? " and disable " : "cannot disable ") < 0 ||
		    put_list(&b, names + n0, nn - n0, true) < 0)
			return -ENOMEM;
	}
	if (b.len == 0 && hs_buf_puts(&b, "no USE change satisfies REQUIRED_USE") < 0)
		return -ENOMEM;
	if (hs_buf_puts(&b, ": ") < 0)
		return -ENOMEM;

	for (size_t t = 0; t < s->ntop; t++) {
		if (s->active[t])
			names[ncore++] = s->ttext[t];
	}
	if (ncore == 0) {
		if (hs_buf_puts(&b, "the constraints cannot all be satisfied") < 0)
			return -ENOMEM;
	} else if (put_list(&b, names, ncore, false) < 0 ||
		   hs_buf_puts(&b, ncore == 1   ? " cannot be satisfied"
				   : ncore == 2 ? " cannot both be satisfied"
						: " cannot all be satisfied") < 0)
		return -ENOMEM;

	nn = 0;
	for (size_t f = 0; f < s->nf; f++) {
		bool named = false;

		if (!s->pinned[f])
			continue;
		for (size_t t = 0; t < s->ntop && !named; t++) {
			for (size_t j = 0; s->active[t] && j < s->ntflags[t] && !named; j++)
				named = s->tflags[t][j] == f;
		}
		if (named)
			names[nn++] = s->r->flags[f];
	}
	if (nn && (hs_buf_puts(&b, ": ") < 0 || put_list(&b, names, nn, false) < 0 ||
		   hs_buf_puts(&b, nn == 1 ? " is pinned" : " are pinned") < 0))
		return -ENOMEM;
	if (limited && hs_buf_puts(&b, " (search limit reached)") < 0)
		return -ENOMEM;
	return hs_ctx_set_error(ctx, -EDOM, "%s", b.p);
}

/* The smallest top-level constraint that `f` helps satisfy in the final state s->st. */
static const char *reason_for(struct solver *s, size_t f)
{
	const char *best = NULL, *fallback = NULL;

	for (size_t t = 0; t < s->ntop; t++) {
		bool names_f = false;
		unsigned before, after;

		for (size_t j = 0; j < s->ntflags[t] && !names_f; j++)
			names_f = s->tflags[t][j] == f;
		if (!names_f)
			continue;
		if (!fallback || strlen(s->ttext[t]) < strlen(fallback))
			fallback = s->ttext[t];
		after = eval_node(s->r, s->st, s->top[t], &s->work);
		s->st[f] = !s->st[f];
		before = eval_node(s->r, s->st, s->top[t], &s->work);
		s->st[f] = !s->st[f];
		if (!(after & V_F) && (before & V_F) && (!best || strlen(s->ttext[t]) < strlen(best)))
			best = s->ttext[t];
	}
	return best ? best : fallback ? fallback : "";
}

void hs_requse_solution_free(hs_requse_solution *sol)
{
	if (!sol)
		return;
	for (size_t i = 0; i < sol->n; i++) {
		free((char *)sol->v[i].flag);
		free((char *)sol->v[i].reason);
	}
	free(sol->v);
	hs_useset_free(sol->use);
	free(sol);
}

static int sol_add(hs_requse_solution *sol, const char *flag, bool enable, const char *reason)
{
	hs_requse_change *c = &sol->v[sol->n];

	c->flag = strdup(flag);
	c->reason = strdup(reason);
	c->enable = enable;
	if (!c->flag || !c->reason) {
		free((char *)c->flag);
		free((char *)c->reason);
		return -ENOMEM;
	}
	sol->n++;
	if (enable)
		return hs_useset_add(sol->use, flag, strlen(flag)) < 0 ? -ENOMEM : 0;
	hs_useset_remove(sol->use, flag, strlen(flag));
	return 0;
}

/* The caller's own requirements, validated; they become the first changes of the solution. */
static int apply_wants(hs_ctx *ctx, hs_requse_solution *sol, const hs_useset *use, const hs_useset *iuse,
		       const hs_useset *want_on, const hs_useset *want_off, const hs_useset *pinned)
{
	size_t non = hs_useset_count(want_on), noff = hs_useset_count(want_off), i = 0, j = 0;

	while (i < non || j < noff) {
		bool on = j >= noff || (i < non && strcmp(hs_useset_get(want_on, i), hs_useset_get(want_off, j)) <= 0);
		const char *f = on ? hs_useset_get(want_on, i++) : hs_useset_get(want_off, j++);
		bool cur = in_set(use, f);
		int ret;

		if (iuse && !in_set(iuse, f))
			return hs_ctx_set_error(ctx, -EINVAL, "USE flag '%s' is not in IUSE", f);
		if (on && in_set(want_off, f))
			return hs_ctx_set_error(ctx, -EINVAL, "USE flag '%s' is required both on and off", f);
		if (cur == on)
			continue;
		if (in_set(pinned, f))
			return hs_ctx_set_error(ctx, -EDOM, "cannot %s '%s': it is pinned (masked or forced)",
						on ? "enable" : "disable", f);
		ret = sol_add(sol, f, on, "requested");
		if (ret < 0)
			return ret;
	}
	return 0;
}

int hs_requse_solve(hs_ctx *ctx, hs_requse_solution **out, const hs_requse *r, const hs_useset *use,
		    const hs_useset *iuse, const hs_useset *want_on, const hs_useset *want_off,
		    const hs_useset *pinned)
{
	_cleanup_(hs_requse_solution_freep) hs_requse_solution *sol = NULL;
	_cleanup_free_ size_t *flips = NULL, *alt = NULL;
	struct solver s = {0};
	size_t nflips = 0, nalt = 0, witness = SIZE_MAX;
	int ret;

	*out = NULL;
	ret = iuse ? check_iuse(ctx, r, iuse, 0) : 0;
	if (ret < 0)
		return ret;
	sol = calloc(1, sizeof(*sol));
	if (!sol)
		return -ENOMEM;
	sol->v = calloc(hs_useset_count(want_on) + hs_useset_count(want_off) + r->nflags + 1, sizeof(*sol->v));
	if (!sol->v || hs_useset_dup(&sol->use, use) < 0)
		return -ENOMEM;
	ret = apply_wants(ctx, sol, use, iuse, want_on, want_off, pinned);
	if (ret < 0)
		return ret;

	ret = solver_init(&s, r);
	flips = calloc(r->nflags + 1, sizeof(size_t));
	alt = calloc(r->nflags + 1, sizeof(size_t));
	if (ret < 0 || !flips || !alt) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t f = 0; f < s.nf; f++) {
		const char *name = r->flags[f];
		bool wanted = in_set(want_on, name) || in_set(want_off, name);

		s.init[f] = in_set(sol->use, name);
		s.pinned[f] = in_set(pinned, name);
		s.cand[f] = !wanted && !s.pinned[f];
	}
	/* candidates in order of first appearance: constraints get decided early in the satisfiability search */
	for (size_t i = 0; i < r->n; i++) {
		const struct rnode *n = &r->nodes[i];

		if ((n->kind == K_FLAG || n->kind == K_COND) && s.cand[n->flag] && !s.flipped[n->flag]) {
			s.flipped[n->flag] = true; /* used as a "seen" mark here */
			s.order[s.ncand++] = n->flag;
		}
	}
	memset(s.flipped, 0, s.nf * sizeof(bool));

	ret = sat_search(&s);
	if (ret == 0) {
		ret = explain_unsat(ctx, &s, want_on, want_off);
		goto out;
	}
	if (ret > 0) {
		witness = 0;
		for (size_t f = 0; f < s.nf; f++) {
			if (s.st[f] != s.init[f])
				alt[witness++] = f;
		}
		nalt = witness;
		memcpy(s.st, s.init, s.nf);
		for (size_t k = 0; k <= witness && !s.have_best && !s.over; k++)
			exact_search(&s, k);
	}
	if (s.have_best) {
		memcpy(flips, s.best, s.nbest * sizeof(size_t));
		nflips = s.nbest;
	} else {
		/* over budget: the greedy repair or the satisfiability witness, whichever changes less */
		if (greedy(&s, flips, &nflips)) {
			if (witness != SIZE_MAX && nalt < nflips) {
				memcpy(flips, alt, nalt * sizeof(size_t));
				nflips = nalt;
			}
		} else if (witness != SIZE_MAX) {
			memcpy(flips, alt, nalt * sizeof(size_t));
			nflips = nalt;
		} else {
			ret = hs_ctx_set_error(ctx, -EDOM,
					       "no USE change satisfying REQUIRED_USE was found within the search "
					       "limit (%zu flags may change)", s.ncand);
			goto out;
		}
		/* flips in byte order */
		for (size_t i = 1; i < nflips; i++) {
			size_t v = flips[i], j = i;

			for (; j > 0 && flips[j - 1] > v; j--)
				flips[j] = flips[j - 1];
			flips[j] = v;
		}
	}

	memcpy(s.st, s.init, s.nf);
	for (size_t i = 0; i < nflips; i++)
		s.st[flips[i]] = !s.init[flips[i]];
	for (size_t i = 0; i < nflips; i++) {
		size_t f = flips[i];

		ret = sol_add(sol, r->flags[f], s.st[f] == 1, reason_for(&s, f));
		if (ret < 0)
			goto out;
	}
	*out = TAKE_PTR(sol);
	ret = 0;
out:
	solver_done(&s);
	return ret;
}

size_t hs_requse_solution_count(const hs_requse_solution *sol)
{
	return sol ? sol->n : 0;
}

const hs_requse_change *hs_requse_solution_get(const hs_requse_solution *sol, size_t i)
{
	return sol && i < sol->n ? &sol->v[i] : NULL;
}

const hs_useset *hs_requse_solution_use(const hs_requse_solution *sol)
{
	return sol ? sol->use : NULL;
}
