/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Check group `use` (what emerge would build now), and the state it shares with group `vdb` (check_vdb.c).
 *
 * The state holds, for sys-apps/systemd and sys-auth/pambase: the effective USE with the provenance of each flag,
 * and what the REAL REQUIRED_USE of the version that would be built needs once homed is on (hs_requse_solve
 * wanting homed: for systemd-260.1 `homed? ( cryptsetup pam openssl )`); and the installed version, the USE it was
 * built with and the REQUIRED_USE of that exact version (from the repository's md5-cache entry, when the tree still
 * has it). It is computed once per run (hs_checker_set_data), so a run of both groups reads each file once.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "check_build.h"

#define STATE_KEY "check_build.state"
#define PKGUSE_DIR "/etc/portage/package.use"
#define HOMESETUP_PKGUSE "/etc/portage/package.use/homed" /* what `homesetup use enable` writes */
#define REBUILD_CMD "emerge --ask --oneshot --changed-use"

/* ---- small helpers ------------------------------------------------------------------------------------ */

static int eapi_number(const char *eapi)
{
	int n = eapi ? hs_eapi_num(eapi) : -1;

	/* Extensions of the newest EAPI (and unreadable ones) get the newest grammar. */
	return n < 0 || n > 8 ? 8 : n;
}

/* "a", "a and b", "a, b and c" */
int hs_build_join_and(const hs_useset *s, hs_buf *b)
{
	size_t n = hs_useset_count(s);

	for (size_t i = 0; i < n; i++) {
		int r = hs_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", hs_useset_get(s, i));

		if (r < 0)
			return r;
	}
	return 0;
}

bool hs_build_has(const hs_useset *s, const char *flag)
{
	return s && hs_useset_has(s, flag, strlen(flag));
}

int hs_build_join(const hs_useset *s, const char *sep, hs_buf *b)
{
	for (size_t i = 0; i < hs_useset_count(s); i++) {
		int r = hs_buf_printf(b, "%s%s", i ? sep : "", hs_useset_get(s, i));

		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_dir(hs_ctx *ctx, hs_root_kind kind, const char *path)
{
	struct stat st;

	return hs_root_stat(ctx, kind, path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Top-level items of a REQUIRED_USE string ("a", "!b", "x? ( … )", "|| ( … )", "( … )"), each normalised to
 * single spaces. Only the grouping is looked at here; hs_requse_parse() judges the grammar. */
static int requse_items(const char *s, char ***out)
{
	_cleanup_(hs_strv_freep) char **items = NULL;
	_cleanup_buf_ hs_buf cur = {0};
	const char *p = s;
	int depth = 0, r;

	for (;;) {
		size_t n;
		bool opener;

		p += strspn(p, " \t\n\r");
		if (!*p)
			break;
		n = strcspn(p, " \t\n\r");
		opener = p[n - 1] == '?' || (n == 2 && (!strncmp(p, "||", 2) || !strncmp(p, "^^", 2) ||
							  !strncmp(p, "??", 2)));
		if (n == 1 && *p == '(')
			depth++;
		else if (n == 1 && *p == ')')
			depth--;
		r = hs_buf_printf(&cur, "%s%.*s", cur.len ? " " : "", (int)n, p);
		if (r < 0)
			return r;
		p += n;
		if (depth <= 0 && !opener) {
			r = hs_strv_push(&items, cur.p, cur.len);
			if (r < 0)
				return r;
			cur.len = 0;
			depth = 0;
		}
	}
	if (cur.len > 0) {
		r = hs_strv_push(&items, cur.p, cur.len);
		if (r < 0)
			return r;
	}
	if (!items) {
		items = calloc(1, sizeof(*items));
		if (!items)
			return -ENOMEM;
	}
	*out = TAKE_PTR(items);
	return 0;
}

/* The items of @requse that name homed, and the flags inside `homed? ( … )` items: what homed needs on (plain
 * flags) and off (`!flag`). Items that are not valid REQUIRED_USE are left out (hs_requse_parse judges). */
static int homed_ties(const char *requse, int eapi, char ***items_out, hs_useset **on_out, hs_useset **off_out)
{
	_cleanup_(hs_strv_freep) char **items = NULL, **named = NULL;
	_cleanup_(hs_useset_freep) hs_useset *on = NULL, *off = NULL;
	int r;

	r = requse_items(requse ? requse : "", &items);
	if (r < 0)
		return r;
	if (hs_useset_new(&on) < 0 || hs_useset_new(&off) < 0)
		return -ENOMEM;
	for (size_t i = 0; items[i]; i++) {
		_cleanup_(hs_requse_freep) hs_requse *req = NULL;
		_cleanup_(hs_useset_freep) hs_useset *flags = NULL;
		_cleanup_(hs_strv_freep) char **words = NULL;

		if (hs_requse_parse(NULL, &req, items[i], strlen(items[i]), eapi) < 0)
			continue;
		r = hs_requse_flags(req, &flags);
		if (r < 0)
			return r;
		if (!hs_build_has(flags, "homed"))
			continue;
		r = hs_strv_push(&named, items[i], strlen(items[i]));
		if (r < 0)
			return r;
		if (strncmp(items[i], "homed? ", 7) != 0)
			continue;
		r = hs_split_words(items[i] + 7, &words);
		if (r < 0)
			return r;
		for (size_t w = 0; words[w]; w++) {
			const char *f = words[w];
			bool neg = f[0] == '!';

			if (neg)
				f++;
			if (!hs_use_flag_valid(f, strlen(f)) || f[strlen(f) - 1] == '?')
				continue;
			r = hs_useset_add(neg ? off : on, f, strlen(f));
			if (r < 0)
				return r;
		}
	}
	if (!named) {
		named = calloc(1, sizeof(*named));
		if (!named)
			return -ENOMEM;
	}
	*items_out = TAKE_PTR(named);
	*on_out = TAKE_PTR(on);
	*off_out = TAKE_PTR(off);
	return 0;
}

/* ---- provenance ----------------------------------------------------------------------------------------- */

static int put_where(hs_buf *b, const char *file, unsigned line)
{
	return line ? hs_buf_printf(b, "%s:%u", file, line) : hs_buf_puts(b, file);
}

/* Where the layer that decided a flag came from: "/etc/portage/package.use/systemd:2 ('homed')", "IUSE
 * default (+openssl)", "not set anywhere". */
static int put_origin(hs_buf *b, const hs_flag_origin *o)
{
	const char *layer = o->layer ? o->layer : "none";
	int r;

	if (strcmp(layer, "none") == 0)
		return hs_buf_puts(b, "not set anywhere");
	if (strcmp(layer, "pkginternal") == 0)
		return hs_buf_printf(b, "IUSE default (%s)", o->token ? o->token : o->flag);
	if (strcmp(layer, "env") == 0)
		r = hs_buf_puts(b, "the environment");
	else if (strcmp(layer, "features") == 0)
		r = hs_buf_puts(b, "FEATURES=test");
	else if (o->file)
		r = put_where(b, o->file, o->line);
	else
		r = hs_buf_puts(b, layer);
	if (r >= 0 && o->token && *o->token)
		r = hs_buf_printf(b, " ('%s')", o->token);
	return r;
}

/* What the deciding token asked for before masks and forces: 1 on, 0 off, -1 cannot tell (a USE_EXPAND
 * assignment such as PYTHON_TARGETS=…). Only the token's last word counts ("PYTHON_TARGETS: -*" asks for off). */
static int origin_wants(const hs_flag_origin *o)
{
	const char *w;

	if (!o->token || !o->layer || strcmp(o->layer, "none") == 0)
		return -1;
	w = strrchr(o->token, ' ');
	w = w ? w + 1 : o->token;
	if (strcmp(w, o->flag) == 0 || (w[0] == '+' && strcmp(w + 1, o->flag) == 0))
		return 1;
	return w[0] == '-' ? 0 : -1;
}

/* "cryptsetup is off: not set anywhere", "pam is on: forced by …/package.use.force:2" */
int hs_build_put_flag(hs_buf *b, const hs_pkg_use *u, const char *flag)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(u, flag);
	bool on = hs_build_has(hs_pkg_use_enabled(u), flag);
	int r;

	r = hs_buf_printf(b, "%s is %s: ", flag, on ? "on" : "off");
	if (r < 0 || !o)
		return r < 0 ? r : hs_buf_puts(b, "not in IUSE");
	if (o->masked || o->forced) {
		r = hs_buf_printf(b, "%s by ", o->masked ? "masked" : "forced");
		if (r >= 0)
			r = o->mask_file ? put_where(b, o->mask_file, o->mask_line) : hs_buf_puts(b, "the profile");
		/* say what the mask or force overrides, so the admin sees why their own line has no effect */
		if (r >= 0 && origin_wants(o) == (o->masked ? 1 : 0)) {
			r = hs_buf_puts(b, ", overriding ");
			if (r >= 0)
				r = put_origin(b, o);
		}
		return r;
	}
	return put_origin(b, o);
}

/* One line per flag: homed first, then what `homed? ( … )` names. */
static int put_flag_lines(hs_buf *b, const pkg_cfg *cfg)
{
	const hs_useset *sets[] = { cfg->need_on, cfg->need_off };
	int r;

	r = hs_build_put_flag(b, cfg->u, "homed");
	for (size_t s = 0; r >= 0 && s < ELEMENTSOF(sets); s++)
		for (size_t i = 0; r >= 0 && i < hs_useset_count(sets[s]); i++) {
			r = hs_buf_putc(b, '\n');
			if (r >= 0)
				r = hs_build_put_flag(b, cfg->u, hs_useset_get(sets[s], i));
		}
	return r;
}

int hs_build_put_items(hs_buf *b, const char *prefix, char **items)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && items && items[i]; i++)
		r = hs_buf_printf(b, "%s%s", i ? " " : prefix, items[i]);
	return r;
}

/* ---- the state ------------------------------------------------------------------------------------------- */

static void pkg_state_done(pkg_state *ps)
{
	pkg_cfg *c = &ps->cfg;
	pkg_vdb *v = &ps->vdb;

	free(c->error);
	hs_pkg_use_free(c->u);
	hs_strv_free(c->items);
	hs_useset_free(c->need_on);
	hs_useset_free(c->need_off);
	free(c->sol_error);
	hs_requse_solution_free(c->sol);
	free(v->error);
	hs_installed_list_free(v->inst, v->n_inst);
	free(v->requse);
	free(v->requse_src);
	free(v->requse_why);
	hs_strv_free(v->items);
	hs_useset_free(v->need_on);
	hs_useset_free(v->need_off);
	hs_useset_free(v->lacking);
	hs_useset_free(v->conflicting);
	free(v->requse_unsat);
	free(v->contents_error);
}

static void build_state_free(void *p)
{
	build_state *st = p;

	if (!st)
		return;
	for (size_t i = 0; i < N_PKGS; i++)
		pkg_state_done(&st->pkgs[i]);
	free(st->not_gentoo);
	free(st);
}

static int set_error(char **dst, const char *what, hs_ctx *ctx, int r)
{
	const char *msg = hs_ctx_last_error(ctx);

	free(*dst);
	if (asprintf(dst, "%s%s%s", what, *what ? ": " : "", *msg ? msg : strerror(-r)) < 0) {
		*dst = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int state_get(hs_checker *c, build_state **out)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	build_state *st = hs_checker_get_data(c, STATE_KEY);
	struct stat sb;
	int r;

	if (st) {
		*out = st;
		return 0;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->pkgs[SYSTEMD] = (pkg_state){ .cp = "sys-apps/systemd", .name = "systemd" };
	st->pkgs[PAMBASE] = (pkg_state){ .cp = "sys-auth/pambase", .name = "pambase" };
	r = hs_checker_set_data(c, STATE_KEY, st, build_state_free);
	if (r < 0)
		return r;

	st->have_vdb = is_dir(ctx, HS_ROOT_SYS, "/var/db/pkg");
	if (!st->have_vdb && !is_dir(ctx, HS_ROOT_CONFIG, "/etc/portage")) {
		const char *root = hs_ctx_get_root(ctx), *croot = hs_ctx_get_config_root(ctx);

		r = strcmp(root, croot) == 0 ?
		    asprintf(&st->not_gentoo, "not a Gentoo system: %s has neither /var/db/pkg nor /etc/portage", root) :
		    asprintf(&st->not_gentoo, "not a Gentoo system: no /var/db/pkg in %s, no /etc/portage in %s", root,
			     croot);
		if (r < 0) {
			st->not_gentoo = NULL;
			return -ENOMEM;
		}
	}
	/* `homesetup use enable` writes package.use/homed when package.use is a directory, else appends */
	st->pkguse_target = hs_root_stat(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, &sb) == 0 && !S_ISDIR(sb.st_mode) ?
			    PKGUSE_DIR : HOMESETUP_PKGUSE;
	hs_ctx_clear_error(ctx);
	*out = st;
	return 0;
}

static int cfg_load(hs_checker *c, pkg_state *ps)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	pkg_cfg *cfg = &ps->cfg;
	_cleanup_(hs_atom_freep) hs_atom *atom = NULL;
	_cleanup_(hs_requse_freep) hs_requse *req = NULL;
	_cleanup_(hs_useset_freep) hs_useset *want_on = NULL, *want_off = NULL, *pinned = NULL;
	const char *requse;
	hs_portage *p;
	int r, eapi;

	r = hs_checker_portage(c, &p);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		cfg->r = r;
		return set_error(&cfg->error, "cannot read Portage's configuration", ctx, r);
	}
	r = hs_atom_parse(ctx, &atom, ps->cp, strlen(ps->cp), HS_ATOM_PMS);
	if (r < 0)
		return r;
	hs_ctx_clear_error(ctx);
	r = hs_portage_effective_use(p, &cfg->u, atom, HS_EFFECTIVE_DEFAULT);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		cfg->u = NULL;
		cfg->r = r;
		return set_error(&cfg->error, "", ctx, r);
	}
	cfg->has_homed = hs_build_has(hs_pkg_use_iuse_effective(cfg->u), "homed");
	requse = hs_pkg_use_required_use(cfg->u);
	eapi = eapi_number(hs_pkg_use_eapi(cfg->u));
	r = homed_ties(requse, eapi, &cfg->items, &cfg->need_on, &cfg->need_off);
	if (r < 0)
		return r;
	if (!cfg->has_homed)
		return 0;

	/* The flags homed needs come from solving the real REQUIRED_USE with homed wanted on (and pam_krb5, which
	 * pambase's homed excludes, wanted off), never touching what the profile masks or forces. */
	if (hs_useset_new(&want_on) < 0 || hs_useset_new(&want_off) < 0 ||
	    hs_useset_dup(&pinned, hs_pkg_use_masked(cfg->u)) < 0 || hs_useset_union(pinned, hs_pkg_use_forced(cfg->u)) < 0 ||
	    hs_useset_add(want_on, "homed", 5) < 0)
		return -ENOMEM;
	if (hs_build_has(hs_pkg_use_iuse_effective(cfg->u), "pam_krb5") && hs_useset_add(want_off, "pam_krb5", 8) < 0)
		return -ENOMEM;
	hs_ctx_clear_error(ctx);
	r = hs_requse_parse(ctx, &req, requse, strlen(requse), eapi);
	if (r == 0)
		r = hs_requse_solve(ctx, &cfg->sol, req, hs_pkg_use_enabled(cfg->u), hs_pkg_use_iuse_effective(cfg->u),
				    want_on, want_off, pinned);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		cfg->sol = NULL;
		cfg->sol_r = r;
		return set_error(&cfg->sol_error, "", ctx, r);
	}
	for (size_t i = 0; i < hs_requse_solution_count(cfg->sol); i++)
		cfg->n_changes += strcmp(hs_requse_solution_get(cfg->sol, i)->flag, "homed") != 0;
	return 0;
}

/* REQUIRED_USE of the installed version: the md5-cache entry of that exact version in the repository it came
 * from (the VDB does not keep REQUIRED_USE in a file of its own). Only that one file is read. */
static int vdb_requse(hs_checker *c, pkg_vdb *v)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const char *repo = hs_installed_repo(v->pkg), *pf = strchr(hs_installed_cpv(v->pkg), '/') + 1;
	hs_portage *p;
	int r;

	r = hs_checker_portage(c, &p);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return set_error(&v->requse_why, "the repositories cannot be read", ctx, r);
	/* the repository it came from; when the VDB does not say, the first that has the version */
	for (size_t i = 0; i < p->repos.n && !v->requse; i++) {
		const hs_repo *rp = &p->repos.v[i];
		_cleanup_(hs_vars_freep) hs_vars *meta = NULL;
		_cleanup_free_ char *path = NULL, *buf = NULL;
		const char *ru;
		size_t len = 0;

		if (*repo && strcmp(rp->name, repo) != 0)
			continue;
		if (asprintf(&path, "%s/metadata/md5-cache/%s/%s", rp->location, hs_installed_category(v->pkg), pf) < 0) {
			path = NULL;
			return -ENOMEM;
		}
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, path, 4u << 20, &buf, &len);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		if (hs_vars_new(&meta) < 0)
			return -ENOMEM;
		r = hs_md5cache_parse(ctx, path, buf, len, meta);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		ru = hs_vars_get(meta, "REQUIRED_USE");
		v->requse = strdup(ru ? ru : "");
		v->requse_src = TAKE_PTR(path);
		if (!v->requse)
			return -ENOMEM;
	}
	hs_ctx_clear_error(ctx);
	if (!v->requse && asprintf(&v->requse_why, "no repository has metadata for %s%s%s any more",
				   hs_installed_cpv(v->pkg), *repo ? "::" : "", repo) < 0) {
		v->requse_why = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int vdb_load(hs_checker *c, pkg_state *ps)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	pkg_vdb *v = &ps->vdb;
	_cleanup_(hs_atom_freep) hs_atom *atom = NULL;
	_cleanup_(hs_requse_freep) hs_requse *req = NULL;
	const hs_useset *use, *iuse;
	int r, eapi;

	r = hs_atom_parse(ctx, &atom, ps->cp, strlen(ps->cp), HS_ATOM_PMS);
	if (r < 0)
		return r;
	hs_ctx_clear_error(ctx);
	r = hs_vdb_find(ctx, &v->inst, &v->n_inst, atom);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		v->inst = NULL, v->n_inst = 0;
		v->r = r;
		return set_error(&v->error, "cannot read the installed-package database", ctx, r);
	}
	if (v->n_inst == 0)
		return 0;
	v->pkg = v->inst[v->n_inst - 1];
	use = hs_installed_use(v->pkg);
	iuse = hs_installed_iuse_effective(v->pkg);
	v->built_homed = hs_build_has(use, "homed");

	r = vdb_requse(c, v);
	if (r < 0)
		return r;
	eapi = eapi_number(hs_installed_eapi(v->pkg));
	r = homed_ties(v->requse, eapi, &v->items, &v->need_on, &v->need_off);
	if (r < 0)
		return r;
	/* pambase's homed excludes pam_krb5 even where REQUIRED_USE is unknown */
	if (strcmp(ps->name, "pambase") == 0 && hs_useset_add(v->need_off, "pam_krb5", 8) < 0)
		return -ENOMEM;
	if (hs_useset_dup(&v->lacking, v->need_on) < 0 || hs_useset_add(v->lacking, "homed", 5) < 0 ||
	    hs_useset_dup(&v->conflicting, v->need_off) < 0)
		return -ENOMEM;
	hs_useset_subtract(v->lacking, use);
	hs_useset_intersect(v->conflicting, use);

	v->requse_ok = -ENOENT;
	if (v->requse) {
		hs_ctx_clear_error(ctx);
		r = hs_requse_parse(ctx, &req, v->requse, strlen(v->requse), eapi);
		if (r == 0)
			r = v->requse_ok = hs_requse_check(ctx, req, use, iuse);
		if (r == 0)
			r = hs_requse_reduce(ctx, req, use, iuse, HS_REQUSE_RAW, &v->requse_unsat);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			v->requse_ok = r;
	}
	hs_ctx_clear_error(ctx);
	return 0;
}

int hs_build_state_cfg(hs_checker *c, build_state **out)
{
	build_state *st;
	int r = state_get(c, &st);

	if (r < 0)
		return r;
	if (!st->cfg_done && !st->not_gentoo) {
		st->cfg_done = true;
		for (size_t i = 0; i < N_PKGS; i++) {
			r = cfg_load(c, &st->pkgs[i]);
			if (r < 0)
				return r;
		}
	}
	*out = st;
	return 0;
}

int hs_build_state_all(hs_checker *c, build_state **out)
{
	build_state *st;
	int r = hs_build_state_cfg(c, &st);

	if (r < 0)
		return r;
	if (!st->vdb_done && !st->not_gentoo) {
		st->vdb_done = true;
		for (size_t i = 0; st->have_vdb && i < N_PKGS; i++) {
			r = vdb_load(c, &st->pkgs[i]);
			if (r < 0)
				return r;
		}
	}
	*out = st;
	return 0;
}

/* ---- fixes ------------------------------------------------------------------------------------------------ */

/* The configuration would build the package with homed and everything homed needs. */
static bool cfg_ready(const pkg_state *ps)
{
	return ps->cfg.r == 0 && ps->cfg.has_homed && hs_build_has(hs_pkg_use_enabled(ps->cfg.u), "homed") &&
	       ps->cfg.sol_r == 0 && ps->cfg.n_changes == 0;
}

bool hs_build_cfg_ready_all(const build_state *st)
{
	for (size_t i = 0; i < N_PKGS; i++)
		if (!cfg_ready(&st->pkgs[i]))
			return false;
	return true;
}

/* "homesetup use enable (or add this line to /etc/portage/package.use/homed: sys-apps/systemd homed cryptsetup)" */
static int fix_use_enable(const build_state *st, const pkg_state *ps, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	int r;

	/* the whole line, homed included even when something else already turns it on, so it stands alone */
	r = hs_buf_printf(&b, "homesetup use enable   (or add this line to %s: %s homed", st->pkguse_target, ps->cp);
	for (size_t i = 0; r >= 0 && i < hs_requse_solution_count(ps->cfg.sol); i++) {
		const hs_requse_change *ch = hs_requse_solution_get(ps->cfg.sol, i);

		if (strcmp(ch->flag, "homed") != 0)
			r = hs_buf_printf(&b, " %s%s", ch->enable ? "" : "-", ch->flag);
	}
	if (r >= 0)
		r = hs_buf_putc(&b, ')');
	if (r < 0)
		return r;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* When the profile's masks or forces stand in the way: the user-profile lines that lift them. */
static int fix_unpin(const pkg_state *ps, char **out)
{
	const hs_pkg_use *u = ps->cfg.u;
	_cleanup_buf_ hs_buf b = {0};
	int r = 0;

	if (hs_build_has(hs_pkg_use_masked(u), "homed"))
		r = hs_buf_printf(&b, "add '%s -homed' to /etc/portage/profile/package.use.mask", ps->cp);
	for (size_t i = 0; r >= 0 && i < hs_useset_count(ps->cfg.need_on); i++) {
		const char *f = hs_useset_get(ps->cfg.need_on, i);

		if (hs_build_has(hs_pkg_use_masked(u), f))
			r = hs_buf_printf(&b, "%sadd '%s -%s' to /etc/portage/profile/package.use.mask", b.len ? "; " : "",
					  ps->cp, f);
	}
	for (size_t i = 0; r >= 0 && i < hs_useset_count(ps->cfg.need_off); i++) {
		const char *f = hs_useset_get(ps->cfg.need_off, i);

		if (hs_build_has(hs_pkg_use_forced(u), f))
			r = hs_buf_printf(&b, "%sadd '%s -%s' to /etc/portage/profile/package.use.force", b.len ? "; " : "",
					  ps->cp, f);
	}
	if (r >= 0)
		r = hs_buf_printf(&b, "%sthen run homesetup use enable", b.len ? "; " : "");
	if (r < 0)
		return r;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* The rebuild command for @pkgs (NULL-terminated), prefixed by `homesetup use enable &&` when the configuration is
 * not ready yet (emerge would stop at REQUIRED_USE or build without homed again). */
int hs_build_fix_rebuild(const build_state *st, const char *const *pkgs, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	int r;

	r = hs_buf_printf(&b, "%s%s", hs_build_cfg_ready_all(st) ? "" : "homesetup use enable && ", REBUILD_CMD);
	for (size_t i = 0; r >= 0 && pkgs[i]; i++)
		r = hs_buf_printf(&b, " %s", pkgs[i]);
	if (r < 0)
		return r;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- group `use` ------------------------------------------------------------------------------------------ */

/* A result for a package whose effective USE is unknown. */
static int add_cfg_error(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps)
{
	const pkg_cfg *cfg = &ps->cfg;
	const char *fix;

	if (st->not_gentoo)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s", st->not_gentoo);
	if (cfg->r == -ENOENT && strstr(cfg->error, "profile"))
		fix = "select a systemd profile: eselect profile list, then eselect profile set <number of a "
		      ".../systemd profile>";
	else if (cfg->r == -ENOENT)
		fix = "emerge --sync (or make a version visible in /etc/portage/package.accept_keywords and "
		      "package.unmask, as the summary says)";
	else
		fix = "correct the file and line named in the summary (emerge would refuse it too)";
	return hs_checker_add(c, id, HS_CHECK_FAIL, fix, NULL, "%s", cfg->error);
}

static int check_use_homed(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps)
{
	const pkg_cfg *cfg = &ps->cfg;
	_cleanup_buf_ hs_buf detail = {0};
	_cleanup_free_ char *fix = NULL;
	const char *cpv;
	bool on, krb5;
	int r;

	if (st->not_gentoo || cfg->r < 0)
		return add_cfg_error(c, id, st, ps);
	cpv = hs_pkg_use_cpv(cfg->u);
	if (!cfg->has_homed)
		return hs_checker_add(c, id, HS_CHECK_FAIL,
				      "make a newer version visible (e.g. in /etc/portage/package.accept_keywords), then "
				      "homesetup use enable", NULL, "%s has no homed USE flag", cpv);
	/* systemd: homed alone (use.systemd.required-use explains the rest); pambase: homed and what it excludes */
	if (ps == &st->pkgs[PAMBASE]) {
		r = put_flag_lines(&detail, cfg);
		if (r >= 0)
			r = hs_build_put_items(&detail, "\nREQUIRED_USE naming homed: ", cfg->items);
	} else {
		r = hs_build_put_flag(&detail, cfg->u, "homed");
	}
	if (r < 0)
		return r;
	on = hs_build_has(hs_pkg_use_enabled(cfg->u), "homed");
	/* the pambase check also holds the line against pam_krb5, which homed excludes */
	krb5 = ps == &st->pkgs[PAMBASE] && hs_build_has(hs_pkg_use_enabled(cfg->u), "pam_krb5");
	if (on && !krb5)
		return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "%s would be built with homed", cpv);
	r = cfg->sol_r < 0 ? fix_unpin(ps, &fix) : fix_use_enable(st, ps, &fix);
	if (r < 0)
		return r;
	if (on)
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p,
				      "%s would be built with pam_krb5, which homed excludes", cpv);
	return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "%s would be built without homed", cpv);
}

static int check_use_requse(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps)
{
	const pkg_cfg *cfg = &ps->cfg;
	_cleanup_buf_ hs_buf detail = {0}, needs = {0};
	_cleanup_free_ char *fix = NULL;
	const char *cpv;
	bool on;
	int r;

	if (st->not_gentoo || cfg->r < 0)
		return add_cfg_error(c, id, st, ps);
	cpv = hs_pkg_use_cpv(cfg->u);
	if (!cfg->has_homed)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s has no homed USE flag (use.%s.homed)", cpv,
				      ps->name);
	on = hs_build_has(hs_pkg_use_enabled(cfg->u), "homed");
	r = hs_build_put_items(&detail, "REQUIRED_USE naming homed: ", cfg->items);
	if (r >= 0)
		r = hs_buf_puts(&detail, detail.len ? "\n" : "");
	if (r >= 0)
		r = put_flag_lines(&detail, cfg);
	if (r >= 0 && on && hs_pkg_use_required_use_ok(cfg->u) == 0)
		r = hs_buf_printf(&detail, "\nemerge says: The following REQUIRED_USE flag constraints are unsatisfied: %s",
				  hs_pkg_use_required_use_unsatisfied(cfg->u, HS_REQUSE_HUMAN));
	if (r < 0)
		return r;

	if (cfg->sol_r < 0) {
		r = fix_unpin(ps, &fix);
		if (r < 0)
			return r;
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "%s: %s", cpv, cfg->sol_error);
	}
	if (cfg->n_changes == 0) {
		_cleanup_buf_ hs_buf flags = {0};

		r = hs_build_join_and(cfg->need_on, &flags);
		if (r < 0)
			return r;
		if (hs_useset_count(cfg->need_on) == 0)
			return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "REQUIRED_USE of %s %s with homed", cpv,
					      on ? "holds" : "would hold");
		return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "REQUIRED_USE of %s %s with homed: %s %s on",
				      cpv, on ? "holds" : "would hold", flags.p,
				      hs_useset_count(cfg->need_on) == 1 ? "is" : "are");
	}
	for (size_t i = 0; i < hs_requse_solution_count(cfg->sol); i++) {
		const hs_requse_change *ch = hs_requse_solution_get(cfg->sol, i);

		if (strcmp(ch->flag, "homed") == 0)
			continue;
		r = hs_buf_printf(&needs, "%s%s%s", needs.len ? ", " : "", ch->enable ? "" : "-", ch->flag);
		if (r >= 0)
			r = hs_buf_printf(&detail, "\n%s %s: %s", ch->enable ? "turn on" : "turn off", ch->flag, ch->reason);
		if (r < 0)
			return r;
	}
	r = fix_use_enable(st, ps, &fix);
	if (r < 0)
		return r;
	return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "REQUIRED_USE of %s needs %s for homed", cpv,
			      needs.p);
}

int hs_check_group_use(hs_checker *c)
{
	build_state *st;
	int r = hs_build_state_cfg(c, &st);

	if (r < 0)
		return r;
	if (hs_checker_wants(c, "use.systemd.homed"))
		r = check_use_homed(c, "use.systemd.homed", st, &st->pkgs[SYSTEMD]);
	if (r >= 0 && hs_checker_wants(c, "use.systemd.required-use"))
		r = check_use_requse(c, "use.systemd.required-use", st, &st->pkgs[SYSTEMD]);
	if (r >= 0 && hs_checker_wants(c, "use.pambase.homed"))
		r = check_use_homed(c, "use.pambase.homed", st, &st->pkgs[PAMBASE]);
	return r;
}
