/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is an ebuild visible, and is it "stable" for the *.stable.* profile files? Portage's KeywordsManager
 * (getKeywords, getPKeywords, getMissingKeywords, isStable) and MaskManager (repository, profile and user
 * package.mask / package.unmask stacking), evaluated for one package at a time.
 */
#include "homesetupP.h"

#include <stdio.h>

/* An ordered set of words, as Python dict keys (stack_lists keeps first positions). */
typedef struct words {
	char **v;
	size_t n;
} words;

static void words_free(words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (words){0};
}

static bool words_has(const words *w, const char *s)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i], s) == 0)
			return true;
	return false;
}

static int words_add(words *w, const char *s)
{
	char **v;

	if (words_has(w, s))
		return 0;
	v = realloc(w->v, (w->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	w->v = v;
	if (!(w->v[w->n] = strdup(s)))
		return -ENOMEM;
	w->n++;
	return 0;
}

static void words_remove(words *w, const char *s)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i], s) == 0) {
			free(w->v[i]);
			memmove(w->v + i, w->v + i + 1, (w->n - i - 1) * sizeof(*w->v));
			w->n--;
			return;
		}
}

/* stack_lists(incremental=True) of one more token. */
static int words_stack(words *w, const char *t)
{
	if (strcmp(t, "-*") == 0) {
		words_free(w);
		return 0;
	}
	if (t[0] == '-') {
		words_remove(w, t + 1);
		return 0;
	}
	return words_add(w, t);
}

static int words_split_into(words *w, const char *s, bool stack)
{
	for (const char *p = s ? s : ""; *p;) {
		_cleanup_free_ char *t = NULL;
		size_t n;
		int r;

		p += strspn(p, " \t\n\r\f\v");
		n = strcspn(p, " \t\n\r\f\v");
		if (!n)
			break;
		if (!(t = hs_strndup(p, n)))
			return -ENOMEM;
		p += n;
		r = stack ? words_stack(w, t) : words_add(w, t);
		if (r < 0)
			return r;
	}
	return 0;
}

static int words_join(const words *w, char **out)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; i < w->n; i++)
		if ((i && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, w->v[i]) < 0)
			return -ENOMEM;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* _getMissingKeywords(): the ebuild's keywords none of which is accepted, or empty when one is. */
static int missing_keywords(const words *pgroups, const words *mygroups, words *missing)
{
	bool match = false, hasstable = false, hastesting = false;
	int r;

	for (size_t i = 0; i < mygroups->n && !match; i++) {
		const char *gp = mygroups->v[i];

		if (strcmp(gp, "*") == 0)
			match = true;
		else if (strcmp(gp, "~*") == 0) {
			hastesting = true;
			for (size_t j = 0; j < pgroups->n; j++)
				if (pgroups->v[j][0] == '~')
					match = true;
		} else if (words_has(pgroups, gp))
			match = true;
		else if (gp[0] == '~')
			hastesting = true;
		else if (gp[0] != '-')
			hasstable = true;
	}
	if (!match && ((hastesting && words_has(pgroups, "~*")) || (hasstable && words_has(pgroups, "*")) ||
		       words_has(pgroups, "**")))
		match = true;
	if (match)
		return 0;
	if (mygroups->n == 0)
		return words_add(missing, "**");
	for (size_t i = 0; i < mygroups->n; i++)
		if ((r = words_add(missing, mygroups->v[i])) < 0)
			return r;
	return 0;
}

/* getKeywords(): KEYWORDS without -*, then the profiles' package.keywords, stacked. */
static int ebuild_keywords(hs_portage *p, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, words *out)
{
	_cleanup_(hs_flagtoks_free) hs_flagtoks extra = {0};
	words kw = {0};
	int r;

	r = words_split_into(&kw, hs_vars_get(e->meta, "KEYWORDS"), false);
	if (r >= 0)
		words_remove(&kw, "-*");
	for (size_t i = 0; r >= 0 && i < p->profile.n; i++)
		r = hs_atomfile_match(p->ctx, &p->profile.v[i].pkg_keywords, pkg, cp, false, NULL, &extra);
	/* stack_lists over [KEYWORDS] + the matches: only `-*` and `-kw` act */
	for (size_t i = 0; r >= 0 && i < extra.n; i++)
		r = words_stack(&kw, extra.v[i].tok);
	if (r < 0) {
		words_free(&kw);
		return r;
	}
	*out = kw;
	return 0;
}

/* The accepted keywords for this package (pgroups after getPKeywords and the environment's ACCEPT_KEYWORDS). */
static int accepted_keywords(hs_portage *p, const hs_pkg_info *pkg, const char *cp, words *out)
{
	_cleanup_(hs_flagtoks_free) hs_flagtoks unmask = {0};
	_cleanup_free_ char *defaults = NULL;
	words global = {0}, dflt = {0};
	const hs_atomfile *const user[] = { &p->user_keywords, &p->user_accept_keywords };
	int r;

	/* an entry without keywords accepts ~arch for each stable keyword of ACCEPT_KEYWORDS */
	r = words_split_into(&global, p->accept_keywords, false);
	for (size_t i = 0; r >= 0 && i < global.n; i++) {
		_cleanup_free_ char *t = NULL;

		if (global.v[i][0] == '~' || global.v[i][0] == '-')
			continue;
		if (asprintf(&t, "~%s", global.v[i]) < 0)
			r = -ENOMEM;
		else
			r = words_add(&dflt, t);
	}
	if (r >= 0)
		r = words_join(&dflt, &defaults);
	words_free(&dflt);
	for (size_t i = 0; r >= 0 && i < p->profile.n; i++) {
		const hs_profile_node *n = &p->profile.v[i];

		if (n->pkg_accept_keywords.lines.n)
			r = hs_atomfile_match(p->ctx, &n->pkg_accept_keywords, pkg, cp, false, defaults, &unmask);
	}
	if (r >= 0)
		r = hs_atomfile_match_n(p->ctx, user, 2, pkg, cp, false, defaults, &unmask);
	if (r < 0) {
		words_free(&global);
		return r;
	}
	if (unmask.n == 0 && !p->env_accept_keywords) {
		*out = global;
		return 0;
	}
	/* _getEgroups(): the global keywords, the package's, then the environment's, stacked */
	for (size_t i = 0; r >= 0 && i < unmask.n; i++) {
		const char *t = unmask.v[i].tok;

		if (t[0] == '-')
			r = words_stack(&global, t);
		else
			r = words_add(&global, t);
	}
	if (r >= 0 && p->env_accept_keywords)
		r = words_split_into(&global, p->env_accept_keywords, true);
	if (r < 0) {
		words_free(&global);
		return r;
	}
	*out = global;
	return 0;
}

/* MaskManager: the stacked package.mask (or .unmask) atoms that can name @cp. */
static int stacked_masks(hs_portage *p, const hs_ebuild *e, const char *cp, bool unmask, hs_masklist *out)
{
	const hs_profile_node *rn = e->repo ? hs_portage_repo_profile(p, e->repo->name) : NULL;
	hs_masklist repo_masks = {0}, profile_masks = {0};
	const hs_masklist **lists = NULL;
	int r = 0;

	*out = (hs_masklist){0};
	lists = calloc(p->profile.n + 2, sizeof(*lists));
	if (!lists)
		return -ENOMEM;

	/* the repository's profiles/package.mask, stacked on each master's, with ::repo added */
	if (rn) {
		size_t n_masters = hs_strv_length(e->repo->masters);

		if (unmask || n_masters == 0) {
			const hs_masklist *one[] = { unmask ? &rn->pkg_unmask : &rn->pkg_mask };

			r = hs_masklist_stack(one, 1, cp, false, false, e->repo->name, &repo_masks);
		} else {
			hs_masklist *per = calloc(n_masters, sizeof(*per));
			const hs_masklist **perp = calloc(n_masters, sizeof(*perp));

			if (!per || !perp)
				r = -ENOMEM;
			for (size_t i = 0; r >= 0 && i < n_masters; i++) {
				const hs_profile_node *mn = hs_portage_repo_profile(p, e->repo->masters[i]);
				const hs_masklist *two[] = { mn ? &mn->pkg_mask : NULL, &rn->pkg_mask };

				r = hs_masklist_stack(two, 2, cp, false, false, NULL, &per[i]);
				perp[i] = &per[i];
			}
			if (r >= 0)
				r = hs_masklist_stack(perp, n_masters, cp, false, false, e->repo->name, &repo_masks);
			for (size_t i = 0; per && i < n_masters; i++)
				hs_masklist_free(&per[i]);
			free(per);
			free(perp);
		}
	}
	/* the profile nodes', stacked in order */
	for (size_t i = 0; r >= 0 && i < p->profile.n; i++)
		lists[i] = unmask ? &p->profile.v[i].pkg_unmask : &p->profile.v[i].pkg_mask;
	if (r >= 0)
		r = hs_masklist_stack(lists, p->profile.n, cp, false, false, NULL, &profile_masks);
	/* then the user's, whose -atoms may remove any of them (ignore_repo) */
	if (r >= 0) {
		const hs_masklist *all[] = { &repo_masks, &profile_masks, unmask ? &p->user_unmask : &p->user_mask };

		r = hs_masklist_stack(all, 3, cp, true, true, NULL, out);
	}
	hs_masklist_free(&repo_masks);
	hs_masklist_free(&profile_masks);
	free(lists);
	return r;
}

static int masked_by(hs_portage *p, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, char **why)
{
	hs_masklist masks = {0}, unmasks = {0};
	const unsigned af = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD | HS_ATOM_NO_BLOCKER;
	const hs_maskent *m;
	int r;

	*why = NULL;
	r = stacked_masks(p, e, cp, false, &masks);
	if (r >= 0 && masks.n && (m = hs_masklist_find(p->ctx, &masks, pkg, af))) {
		r = stacked_masks(p, e, cp, true, &unmasks);
		if (r >= 0 && !hs_masklist_find(p->ctx, &unmasks, pkg, af) &&
		    asprintf(why, "masked by %s:%u ('%s')", m->path, m->line, m->text) < 0) {
			*why = NULL;
			r = -ENOMEM;
		}
	}
	hs_masklist_free(&masks);
	hs_masklist_free(&unmasks);
	return r;
}

int hs_portage_visibility(hs_portage *p, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, bool *visible,
			  bool *stable, char **why)
{
	const char *eapi = hs_vars_get(e->meta, "EAPI");
	words mine = {0}, accepted = {0}, missing = {0}, unstable = {0}, still = {0};
	int r;

	*visible = *stable = false;
	*why = NULL;
	if (!hs_eapi_supported(eapi ? eapi : "0")) {
		if (asprintf(why, "EAPI %s is not supported", eapi) < 0)
			*why = NULL;
		return *why ? 0 : -ENOMEM;
	}
	r = masked_by(p, e, pkg, cp, why);
	if (r < 0 || *why)
		return r;

	if ((r = ebuild_keywords(p, e, pkg, cp, &mine)) < 0 || (r = accepted_keywords(p, pkg, cp, &accepted)) < 0 ||
	    (r = missing_keywords(&accepted, &mine, &missing)) < 0)
		goto out;
	if (missing.n) {
		_cleanup_free_ char *m = NULL, *a = NULL;

		if ((r = words_join(&missing, &m)) < 0 || (r = words_join(&accepted, &a)) < 0)
			goto out;
		if (asprintf(why, "keyword not accepted: KEYWORDS=\"%s\", accepted: \"%s\"", m, a) < 0) {
			*why = NULL;
			r = -ENOMEM;
		}
		goto out;
	}
	*visible = true;
	/* isStable(): stable when turning every keyword into ~keyword would mask it */
	for (size_t i = 0; r >= 0 && i < mine.n; i++) {
		_cleanup_free_ char *t = NULL;

		if (mine.v[i][0] == '~')
			r = words_add(&unstable, mine.v[i]);
		else if (asprintf(&t, "~%s", mine.v[i]) < 0)
			r = -ENOMEM;
		else
			r = words_add(&unstable, t);
	}
	if (r >= 0)
		r = missing_keywords(&accepted, &unstable, &still);
	*stable = r >= 0 && still.n > 0;
out:
	words_free(&mine);
	words_free(&accepted);
	words_free(&missing);
	words_free(&unstable);
	words_free(&still);
	return r < 0 ? r : 0;
}
