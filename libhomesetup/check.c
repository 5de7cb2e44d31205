/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry of readiness checks and the runner behind `homesetup check`.
 *
 * Every probe module declares its group in homesetupP.h as an X-macro list HS_CHECKS_<GROUP>(X) of
 * X(id, group, description) plus a runner hs_check_group_<group>(). This file turns those lists into one table,
 * in the fixed group order below, and runs the runners of the selected groups. A runner reports through
 * hs_checker_add(); the run then holds it to the contract (exactly one result for each selected id of its group)
 * so that a bug in one probe shows up as a FAIL naming it instead of a silently missing line or a crash.
 */
#include <stdio.h>

#include "homesetupP.h"

/* ---- the registry ------------------------------------------------------------------------------------ */

#define HS_CHECK_DEF(id_, group_, desc_) { .id = id_, .group = group_, .description = desc_ },

static const hs_check_def registry[] = {
#ifdef HS_CHECKS_USE
	HS_CHECKS_USE(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_VDB
	HS_CHECKS_VDB(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_SERVICE
	HS_CHECKS_SERVICE(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_NSS
	HS_CHECKS_NSS(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_PAM
	HS_CHECKS_PAM(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_KERNEL
	HS_CHECKS_KERNEL(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_HOMED_CONF
	HS_CHECKS_HOMED_CONF(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_KEYS
	HS_CHECKS_KEYS(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_SPACE
	HS_CHECKS_SPACE(HS_CHECK_DEF)
#endif
#ifdef HS_CHECKS_MIGRATE
	HS_CHECKS_MIGRATE(HS_CHECK_DEF)
#endif
};

/* The order the runners are called in (and so the order of the report): what is built, then what runs. */
static const hs_check_group_def groups[] = {
#ifdef HS_CHECKS_USE
	{ "use", hs_check_group_use },
#endif
#ifdef HS_CHECKS_VDB
	{ "vdb", hs_check_group_vdb },
#endif
#ifdef HS_CHECKS_SERVICE
	{ "service", hs_check_group_service },
#endif
#ifdef HS_CHECKS_NSS
	{ "nss", hs_check_group_nss },
#endif
#ifdef HS_CHECKS_PAM
	{ "pam", hs_check_group_pam },
#endif
#ifdef HS_CHECKS_KERNEL
	{ "kernel", hs_check_group_kernel },
#endif
#ifdef HS_CHECKS_HOMED_CONF
	{ "homed-conf", hs_check_group_homed_conf },
#endif
#ifdef HS_CHECKS_KEYS
	{ "keys", hs_check_group_keys },
#endif
#ifdef HS_CHECKS_SPACE
	{ "space", hs_check_group_space },
#endif
#ifdef HS_CHECKS_MIGRATE
	/* last: it summarises the readiness results of the same run (migrate.homed-ready) */
	{ "migrate", hs_check_group_migrate },
#endif
};

/* Groups about one user (hs_check_options.user): they run only when a user is given. */
static bool group_needs_user(const char *group)
{
	return strcmp(group, "migrate") == 0;
}

size_t hs_check_registry_count(void)
{
	return ELEMENTSOF(registry);
}

const char *hs_check_registry_id(size_t i)
{
	return i < ELEMENTSOF(registry) ? registry[i].id : NULL;
}

const char *hs_check_registry_group(size_t i)
{
	return i < ELEMENTSOF(registry) ? registry[i].group : NULL;
}

const char *hs_check_registry_description(size_t i)
{
	return i < ELEMENTSOF(registry) ? registry[i].description : NULL;
}

const char *hs_check_status_name(hs_check_status status)
{
	switch (status) {
	case HS_CHECK_OK: return "OK";
	case HS_CHECK_WARN: return "WARN";
	case HS_CHECK_FAIL: return "FAIL";
	case HS_CHECK_SKIP: return "SKIP";
	}
	return "UNKNOWN";
}

/* ---- one run ----------------------------------------------------------------------------------------- */

/* What the runner reported for one registry entry. */
typedef struct check_slot {
	bool wanted;
	unsigned n_added;     /* results reported; the first one is kept */
	hs_check_status st;
	char *summary, *detail, *fix;
} check_slot;

typedef struct checker_data {
	const char *key;
	void *data;
	void (*free_fn)(void *);
} checker_data;

struct hs_checker {
	hs_ctx *ctx;
	hs_check_options opts;
	const hs_check_def *defs;
	size_t n_defs;
	check_slot *slots;
	const hs_check_group_def *current; /* the group whose runner is running */
	/* hs_checker_portage(): loaded once; a failure is remembered with its message */
	bool portage_tried;
	int portage_r;
	hs_portage *portage;
	char *portage_error;
	checker_data *data;
	size_t n_data;
};

struct hs_report {
	hs_check_result *v;
	size_t n;
	char **strings;       /* everything the results point at */
	size_t n_strings;
};

hs_ctx *hs_checker_ctx(hs_checker *c)
{
	return c->ctx;
}

const hs_check_options *hs_checker_options(const hs_checker *c)
{
	return &c->opts;
}

static ssize_t def_index(const hs_check_def *defs, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

bool hs_checker_wants(const hs_checker *c, const char *id)
{
	ssize_t i = id ? def_index(c->defs, c->n_defs, id) : -1;

	return i >= 0 && c->slots[i].wanted;
}

/* A copy of s with every control character (line breaks included) turned into a space: summaries are one line. */
static char *one_line(const char *s)
{
	char *o = strdup(s);

	for (char *p = o; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return o;
}

int hs_checker_add(hs_checker *c, const char *id, hs_check_status st, const char *fix, const char *detail,
		   const char *summary_fmt, ...)
{
	_cleanup_free_ char *raw = NULL;
	ssize_t i = id ? def_index(c->defs, c->n_defs, id) : -1;
	check_slot *s;
	va_list ap;
	int n;

	if (i < 0)
		return hs_ctx_set_error(c->ctx, -EINVAL, "internal error: check '%s' is not registered", id ? id : "(null)");
	if (c->current && strcmp(c->defs[i].group, c->current->name) != 0)
		return hs_ctx_set_error(c->ctx, -EINVAL, "internal error: the '%s' checks reported a result for '%s' of "
					"group '%s'", c->current->name, id, c->defs[i].group);
	s = &c->slots[i];
	if (!s->wanted)
		return 0; /* not selected: the runner did extra work, nothing more */
	if (s->n_added++ > 0)
		return 0; /* the duplicate is reported when the runner returns */
	if (st > HS_CHECK_SKIP)
		st = HS_CHECK_FAIL;

	va_start(ap, summary_fmt);
	n = vasprintf(&raw, summary_fmt, ap);
	va_end(ap);
	if (n < 0) {
		raw = NULL;
		return -ENOMEM;
	}
	s->st = st;
	s->summary = one_line(raw);
	s->detail = detail && *detail ? strdup(detail) : NULL;
	/* The convention says every FAIL carries its fix; a runner that forgot one still gets a line to act on. */
	if (st == HS_CHECK_FAIL && (!fix || !*fix))
		fix = "no fix is known for this result; please report it as a bug in homesetup";
	s->fix = fix && *fix ? strdup(fix) : NULL;
	if (!s->summary || (detail && *detail && !s->detail) || (fix && *fix && !s->fix))
		return -ENOMEM;
	return 0;
}

int hs_checker_set_data(hs_checker *c, const char *key, void *data, void (*free_fn)(void *))
{
	checker_data *nv;

	for (size_t i = 0; i < c->n_data; i++) {
		if (strcmp(c->data[i].key, key) != 0)
			continue;
		if (c->data[i].free_fn && c->data[i].data != data)
			c->data[i].free_fn(c->data[i].data);
		c->data[i].data = data;
		c->data[i].free_fn = free_fn;
		return 0;
	}
	nv = realloc(c->data, (c->n_data + 1) * sizeof(*nv));
	if (!nv) {
		if (free_fn)
			free_fn(data);
		return -ENOMEM;
	}
	c->data = nv;
	c->data[c->n_data++] = (checker_data){ .key = key, .data = data, .free_fn = free_fn };
	return 0;
}

void *hs_checker_get_data(const hs_checker *c, const char *key)
{
	for (size_t i = 0; i < c->n_data; i++)
		if (strcmp(c->data[i].key, key) == 0)
			return c->data[i].data;
	return NULL;
}

int hs_checker_portage(hs_checker *c, hs_portage **out)
{
	*out = NULL;
	if (!c->portage_tried) {
		c->portage_tried = true;
		hs_ctx_clear_error(c->ctx);
		/* USE and friends in the environment count, as they do for the emerge the fixes suggest. */
		c->portage_r = hs_portage_load(c->ctx, &c->portage, true);
		if (c->portage_r < 0) {
			const char *msg = hs_ctx_last_error(c->ctx);

			c->portage = NULL;
			c->portage_error = strdup(*msg ? msg : strerror(-c->portage_r));
			if (!c->portage_error)
				return -ENOMEM;
		}
	}
	if (c->portage_r < 0)
		return hs_ctx_set_error(c->ctx, c->portage_r, "%s", c->portage_error);
	*out = c->portage;
	return 0;
}

static void checker_free(hs_checker *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->slots && i < c->n_defs; i++) {
		free(c->slots[i].summary);
		free(c->slots[i].detail);
		free(c->slots[i].fix);
	}
	free(c->slots);
	/* in reverse, so data set later (which may point into earlier data) goes first */
	for (size_t i = c->n_data; i-- > 0;)
		if (c->data[i].free_fn)
			c->data[i].free_fn(c->data[i].data);
	free(c->data);
	hs_portage_free(c->portage);
	free(c->portage_error);
	free(c);
}

/* ---- selection ---------------------------------------------------------------------------------------- */

static bool in_list(const char *const *list, const hs_check_def *d)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], d->id) == 0 || strcmp(list[i], d->group) == 0)
			return true;
	return false;
}

/* Levenshtein distance, capped: small enough lists and names that the quadratic cost does not matter. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= ELEMENTSOF(prev) || lb >= ELEMENTSOF(prev))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*cur));
	}
	return prev[lb];
}

/* Every name in only/skip must be a registered id or group: a typo must not silently select nothing. */
static int validate_names(hs_ctx *ctx, const char *const *list, const hs_check_def *defs, size_t n_defs,
			  const hs_check_group_def *grps, size_t n_groups)
{
	for (size_t i = 0; list && list[i]; i++) {
		const char *name = list[i], *best = NULL;
		size_t best_d = SIZE_MAX;
		bool known = false;

		for (size_t g = 0; g < n_groups && !known; g++)
			known = strcmp(grps[g].name, name) == 0;
		for (size_t d = 0; d < n_defs && !known; d++)
			known = strcmp(defs[d].id, name) == 0;
		if (known)
			continue;
		for (size_t d = 0; d < n_defs + n_groups; d++) {
			const char *cand = d < n_defs ? defs[d].id : grps[d - n_defs].name;
			size_t dist = edit_distance(name, cand);

			if (dist < best_d)
				best_d = dist, best = cand;
		}
		{
			_cleanup_free_ char *q = hs_escape(name, strlen(name), 80);

			if (best && best_d <= 2)
				return hs_ctx_set_error(ctx, -EINVAL, "unknown check or group '%s' (did you mean '%s'?)",
							q ? q : "?", best);
			return hs_ctx_set_error(ctx, -EINVAL, "unknown check or group '%s'", q ? q : "?");
		}
	}
	return 0;
}

/* The checks about a user need one: --only naming them without a user must not silently select nothing; a user
 * name is also part of paths (/home/USER), so one that cannot be is refused before anything is opened. */
static int validate_user(hs_ctx *ctx, const hs_check_options *opts, const hs_check_def *defs, size_t n_defs)
{
	if (opts->user) {
		if (hs_migrate_name_path_safe(opts->user))
			return 0;
		{
			_cleanup_free_ char *q = hs_escape(opts->user, strlen(opts->user), 80);

			return hs_ctx_set_error(ctx, -EINVAL, "invalid user name '%s': a user name cannot be empty, "
						"contain '/' or control characters, be '.' or '..', or be longer than 255 "
						"bytes", q ? q : "?");
		}
	}
	for (size_t i = 0; i < n_defs; i++)
		if (group_needs_user(defs[i].group) && opts->only && in_list(opts->only, &defs[i]))
			return hs_ctx_set_error(ctx, -EINVAL, "the %s checks are about one user: give it with --user "
						"USER", defs[i].group);
	return 0;
}

/* ---- the run ----------------------------------------------------------------------------------------- */

static const char internal_fix[] = "this is a bug in homesetup: please report it with the output of "
				   "'homesetup check --json'";

/* Hold the runner of @g to the contract: one result per wanted id. */
static int validate_group(hs_checker *c, const hs_check_group_def *g, int runner_r, const char *runner_error)
{
	for (size_t i = 0; i < c->n_defs; i++) {
		check_slot *s = &c->slots[i];
		_cleanup_free_ char *summary = NULL, *detail = NULL;

		if (!s->wanted || strcmp(c->defs[i].group, g->name) != 0)
			continue;
		if (s->n_added == 1)
			continue;
		if (s->n_added == 0 && runner_r < 0) {
			if (asprintf(&summary, "the %s checks stopped with an error: %s", g->name,
				     runner_error && *runner_error ? runner_error : strerror(-runner_r)) < 0)
				return -ENOMEM;
		} else if (s->n_added == 0) {
			if (asprintf(&summary, "internal error: the %s checks reported no result for %s", g->name,
				     c->defs[i].id) < 0)
				return -ENOMEM;
		} else {
			if (asprintf(&summary, "internal error: the %s checks reported %u results for %s", g->name,
				     s->n_added, c->defs[i].id) < 0)
				return -ENOMEM;
			if (asprintf(&detail, "the first one said: %s: %s", hs_check_status_name(s->st),
				     s->summary ? s->summary : "") < 0)
				return -ENOMEM;
		}
		free(s->summary);
		free(s->detail);
		free(s->fix);
		s->st = HS_CHECK_FAIL;
		s->summary = TAKE_PTR(summary);
		s->detail = TAKE_PTR(detail);
		s->fix = strdup(runner_r < 0 && s->n_added == 0 ?
				"correct the problem named above, then run 'homesetup check' again" : internal_fix);
		s->n_added = 1;
		if (!s->fix)
			return -ENOMEM;
	}
	return 0;
}

static int report_build(hs_checker *c, hs_report **out)
{
	hs_report *rep = calloc(1, sizeof(*rep));
	size_t n = 0;

	if (!rep)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_defs; i++)
		n += c->slots[i].wanted;
	rep->v = calloc(n ? n : 1, sizeof(*rep->v));
	rep->strings = calloc(3 * (n ? n : 1), sizeof(*rep->strings));
	if (!rep->v || !rep->strings) {
		hs_report_free(rep);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_defs; i++) {
		check_slot *s = &c->slots[i];
		hs_check_result *r;

		if (!s->wanted)
			continue;
		if (!s->summary) { /* a runner ignored an -ENOMEM from hs_checker_add() */
			hs_report_free(rep);
			return -ENOMEM;
		}
		r = &rep->v[rep->n++];
		r->id = c->defs[i].id;
		r->group = c->defs[i].group;
		r->status = s->st;
		r->summary = s->summary;
		r->detail = s->detail;
		r->fix = s->fix;
		/* the report takes the strings over */
		rep->strings[rep->n_strings++] = TAKE_PTR(s->summary);
		if (s->detail)
			rep->strings[rep->n_strings++] = TAKE_PTR(s->detail);
		if (s->fix)
			rep->strings[rep->n_strings++] = TAKE_PTR(s->fix);
	}
	*out = rep;
	return 0;
}

static int run_tables(hs_ctx *ctx, hs_report **out, const hs_check_options *opts, const hs_check_def *defs,
		      size_t n_defs, const hs_check_group_def *grps, size_t n_groups, const char *seed_key, void *seed)
{
	static const hs_check_options defaults;
	hs_checker *c = NULL;
	int r;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	r = validate_names(ctx, opts->only, defs, n_defs, grps, n_groups);
	if (r < 0)
		return r;
	r = validate_names(ctx, opts->skip, defs, n_defs, grps, n_groups);
	if (r < 0)
		return r;
	r = validate_user(ctx, opts, defs, n_defs);
	if (r < 0)
		return r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ctx = ctx;
	c->opts = *opts;
	if (c->opts.bus_timeout_usec == 0)
		c->opts.bus_timeout_usec = 5 * 1000000ULL;
	c->defs = defs;
	c->n_defs = n_defs;
	c->slots = calloc(n_defs ? n_defs : 1, sizeof(*c->slots));
	if (!c->slots) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_defs; i++)
		c->slots[i].wanted = (!opts->only || in_list(opts->only, &defs[i])) && !in_list(opts->skip, &defs[i]) &&
				     (opts->user || !group_needs_user(defs[i].group));
	if (seed_key) {
		r = hs_checker_set_data(c, seed_key, seed, NULL);
		if (r < 0)
			goto out;
	}

	for (size_t g = 0; g < n_groups; g++) {
		_cleanup_free_ char *runner_error = NULL;
		bool any = false;
		int rr;

		for (size_t i = 0; i < n_defs && !any; i++)
			any = c->slots[i].wanted && strcmp(defs[i].group, grps[g].name) == 0;
		if (!any)
			continue;
		c->current = &grps[g];
		hs_ctx_clear_error(ctx);
		rr = grps[g].run(c);
		c->current = NULL;
		if (rr == -ENOMEM) {
			r = rr;
			goto out;
		}
		if (rr < 0) {
			runner_error = strdup(hs_ctx_last_error(ctx));
			if (!runner_error) {
				r = -ENOMEM;
				goto out;
			}
		}
		r = validate_group(c, &grps[g], rr < 0 ? rr : 0, runner_error);
		if (r < 0)
			goto out;
	}
	/* Registered ids whose group has no runner in the table never ran: say so rather than drop them. */
	for (size_t i = 0; i < n_defs; i++) {
		check_slot *s = &c->slots[i];
		bool has_group = false;

		for (size_t g = 0; g < n_groups && !has_group; g++)
			has_group = strcmp(defs[i].group, grps[g].name) == 0;
		if (!s->wanted || has_group)
			continue;
		if (asprintf(&s->summary, "internal error: no runner for group '%s' of %s", defs[i].group, defs[i].id) < 0) {
			s->summary = NULL;
			r = -ENOMEM;
			goto out;
		}
		s->st = HS_CHECK_FAIL;
		s->fix = strdup(internal_fix);
		s->n_added = 1;
		if (!s->fix) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = report_build(c, out);
out:
	checker_free(c);
	return r;
}

int hs_checker_report_so_far(const hs_checker *c, hs_report **out)
{
	hs_report *rep = calloc(1, sizeof(*rep));
	size_t n = 0;

	*out = NULL;
	if (!rep)
		return -ENOMEM;
	/* the groups before the current one have run and been validated: one result each */
	for (size_t i = 0; i < c->n_defs; i++)
		n += c->slots[i].wanted && c->slots[i].n_added == 1 && c->slots[i].summary &&
		     (!c->current || strcmp(c->defs[i].group, c->current->name) != 0);
	rep->v = calloc(n ? n : 1, sizeof(*rep->v));
	rep->strings = calloc(3 * (n ? n : 1), sizeof(*rep->strings));
	if (!rep->v || !rep->strings)
		goto oom;
	for (size_t i = 0; i < c->n_defs; i++) {
		const check_slot *s = &c->slots[i];
		hs_check_result *r;

		if (!s->wanted || s->n_added != 1 || !s->summary ||
		    (c->current && strcmp(c->defs[i].group, c->current->name) == 0))
			continue;
		r = &rep->v[rep->n++];
		*r = (hs_check_result){ .id = c->defs[i].id, .group = c->defs[i].group, .status = s->st };
		if (!(r->summary = rep->strings[rep->n_strings++] = strdup(s->summary)))
			goto oom;
		if (s->detail && !(r->detail = rep->strings[rep->n_strings++] = strdup(s->detail)))
			goto oom;
		if (s->fix && !(r->fix = rep->strings[rep->n_strings++] = strdup(s->fix)))
			goto oom;
	}
	*out = rep;
	return 0;
oom:
	hs_report_free(rep);
	return -ENOMEM;
}

int hs_check_run_tables(hs_ctx *ctx, hs_report **out, const hs_check_options *opts, const hs_check_def *defs,
			size_t n_defs, const hs_check_group_def *grps, size_t n_groups)
{
	return run_tables(ctx, out, opts, defs, n_defs, grps, n_groups, NULL, NULL);
}

int hs_check_run(hs_ctx *ctx, hs_report **out, const hs_check_options *opts)
{
	return run_tables(ctx, out, opts, registry, ELEMENTSOF(registry), groups, ELEMENTSOF(groups), NULL, NULL);
}

int hs_check_run_seeded(hs_ctx *ctx, hs_report **out, const hs_check_options *opts, const char *key, void *data)
{
	return run_tables(ctx, out, opts, registry, ELEMENTSOF(registry), groups, ELEMENTSOF(groups), key, data);
}

/* ---- reports ------------------------------------------------------------------------------------------ */

void hs_report_free(hs_report *report)
{
	if (!report)
		return;
	for (size_t i = 0; i < report->n_strings; i++)
		free(report->strings[i]);
	free(report->strings);
	free(report->v);
	free(report);
}

size_t hs_report_count(const hs_report *report)
{
	return report ? report->n : 0;
}

const hs_check_result *hs_report_get(const hs_report *report, size_t i)
{
	return report && i < report->n ? &report->v[i] : NULL;
}

hs_check_status hs_report_worst(const hs_report *report)
{
	/* FAIL > WARN > SKIP > OK: only FAIL means "not ready"; SKIP says something could not be checked. */
	static const int rank[] = { [HS_CHECK_OK] = 0, [HS_CHECK_SKIP] = 1, [HS_CHECK_WARN] = 2, [HS_CHECK_FAIL] = 3 };
	hs_check_status worst = HS_CHECK_OK;

	for (size_t i = 0; report && i < report->n; i++)
		if (rank[report->v[i].status] > rank[worst])
			worst = report->v[i].status;
	return worst;
}
