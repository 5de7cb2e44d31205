/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * REQUIRED_USE: a smallest set of USE changes that satisfies an expression (hs_requse_solve), with the
 * caller's own requirements and pinned (masked or forced) flags, and a message naming the constraints that
 * cannot hold together when there is none.
 *
 * A satisfiability search over the changeable flags, pruned by requse.c's three-valued evaluation, proves
 * that a solution exists; then an exact search over growing numbers of flips finds the smallest (ties: more
 * flags enabled, then byte order), branching on the flags of the first unsatisfied top-level constraint.
 * Past a budget of node visits a greedy repair takes over.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>

/* Node visits the solver may spend on the exact search before it falls back to a greedy repair. */
#define SOLVE_BUDGET 5000000ULL

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
	HS_RQ_FOREACH_CHILD(r, 0, k)
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
	HS_RQ_FOREACH_CHILD(r, 0, k) {
		size_t t = s->ntop++, cnt = 0;
		_cleanup_buf_ hs_buf b = {0};

		s->top[t] = k;
		s->active[t] = true;
		for (size_t j = k; j < r->nodes[k].end; j++) {
			const struct hs_rq_node *n = &r->nodes[j];

			if ((n->kind == HS_RQ_FLAG || n->kind == HS_RQ_COND) && stamp[n->flag] != t + 1) {
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
		if (hs_requse_render_node(&b, r, k, HS_REQUSE_RAW) < 0)
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
	return hs_requse_eval_top(s->r, s->st, s->top, s->active, s->ntop, &s->work);
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
		s->st[s->order[i]] = HS_RQ_UNKNOWN;
	for (;;) {
		unsigned m;

		if (s->work > s->budget)
			return -1;
		m = eval_root(s);
		if (m == HS_RQ_T) {
			for (size_t i = vi; i < s->ncand; i++)
				s->st[s->order[i]] = s->init[s->order[i]];
			return 1;
		}
		if ((m & HS_RQ_T) && vi < s->ncand) {
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
			s->st[s->order[vi]] = HS_RQ_UNKNOWN;
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
		if (hs_requse_eval_node(s->r, s->st, s->top[t], &s->work) & HS_RQ_F)
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
			s->st[f] = HS_RQ_UNKNOWN;
	}
	m = eval_root(s);
	for (size_t i = 0; i < s->ncand; i++) {
		size_t f = s->order[i];

		if (!s->flipped[f] && !s->forbid[f])
			s->st[f] = s->init[f];
	}
	if (!(m & HS_RQ_T))
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
		bad[t] = !!(hs_requse_eval_node(s->r, s->st, s->top[t], &s->work) & HS_RQ_F);
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
					bool now = !!(hs_requse_eval_node(s->r, s->st, s->top[c], &s->work) & HS_RQ_F);

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
			bool now = !!(hs_requse_eval_node(s->r, s->st, s->top[c], &s->work) & HS_RQ_F);

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
			s->active[t] = !!(hs_requse_eval_node(s->r, s->st, s->top[t], &s->work) & HS_RQ_F);
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
		after = hs_requse_eval_node(s->r, s->st, s->top[t], &s->work);
		s->st[f] = !s->st[f];
		before = hs_requse_eval_node(s->r, s->st, s->top[t], &s->work);
		s->st[f] = !s->st[f];
		if (!(after & HS_RQ_F) && (before & HS_RQ_F) && (!best || strlen(s->ttext[t]) < strlen(best)))
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
	ret = iuse ? hs_requse_check_iuse(ctx, r, iuse) : 0;
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
		const struct hs_rq_node *n = &r->nodes[i];

		if ((n->kind == HS_RQ_FLAG || n->kind == HS_RQ_COND) && s.cand[n->flag] && !s.flipped[n->flag]) {
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
