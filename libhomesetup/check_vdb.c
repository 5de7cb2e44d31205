/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Check group `vdb`: what was built and installed. The installed versions of systemd and pambase, the USE they were
 * built with against the REQUIRED_USE of that exact version, the files homed needs in CONTENTS and on disk under
 * ROOT (pending ._cfg updates of the PAM files are the pam group's), and whether the configuration and the builds agree
 * (a rebuild pending, or one that would drop homed). The state comes from check_build.c.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "check_build.h"

/* ---- group `vdb`: installed and built --------------------------------------------------------------------- */

/* A SKIP or FAIL for a package that is not (known to be) installed; 1 when the caller goes on. */
static int vdb_precondition(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps, bool is_installed_check)
{
	const pkg_vdb *v = &ps->vdb;
	char what[64];
	int r;

	if (st->not_gentoo)
		r = hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s", st->not_gentoo);
	else if (v->r < 0)
		r = hs_checker_add(c, id, HS_CHECK_FAIL, "make /var/db/pkg readable (run homesetup check as root)",
				   NULL, "%s", v->error);
	else if (v->pkg)
		return 1;
	else if (!is_installed_check) {
		snprintf(what, sizeof(what), "vdb.%s.installed", ps->name);
		r = hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s is not installed (%s)", ps->cp, what);
	} else {
		snprintf(what, sizeof(what), "emerge --ask %s", ps->cp);
		r = hs_checker_add(c, id, HS_CHECK_FAIL, what,
				   st->have_vdb ? NULL : "the installed-package database /var/db/pkg does not exist",
				   "%s is not installed", ps->cp);
	}
	return r < 0 ? r : 0;
}

static int check_installed(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps)
{
	const pkg_vdb *v = &ps->vdb;
	_cleanup_buf_ hs_buf detail = {0};
	const char *repo, *slot, *sub;
	int r = vdb_precondition(c, id, st, ps, true);

	if (r <= 0)
		return r;
	repo = hs_installed_repo(v->pkg);
	slot = hs_installed_slot(v->pkg);
	sub = hs_installed_subslot(v->pkg);
	r = hs_buf_printf(&detail, "%s", hs_installed_path(v->pkg));
	for (size_t i = 0; r >= 0 && v->n_inst > 1 && i + 1 < v->n_inst; i++)
		r = hs_buf_printf(&detail, "\nalso installed: %s (SLOT %s)", hs_installed_cpv(v->inst[i]),
				  hs_installed_slot(v->inst[i]));
	if (r < 0)
		return r;
	return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "%s%s%s is installed (SLOT %s%s%s)",
			      hs_installed_cpv(v->pkg), *repo ? "::" : "", repo, slot, strcmp(sub, slot) ? "/" : "",
			      strcmp(sub, slot) ? sub : "");
}

/* The flags of @set as a sentence, homed first: "homed", "homed and cryptsetup", "homed, cryptsetup and pam". */
static int put_homed_first(hs_buf *b, const hs_useset *set)
{
	const char *flags[64];
	size_t n = 0;
	int r = 0;

	if (hs_build_has(set, "homed"))
		flags[n++] = "homed";
	for (size_t i = 0; i < hs_useset_count(set) && n < ELEMENTSOF(flags); i++)
		if (strcmp(hs_useset_get(set, i), "homed") != 0)
			flags[n++] = hs_useset_get(set, i);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = hs_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", flags[i]);
	return r;
}

static int check_built(hs_checker *c, const char *id, const build_state *st, const pkg_state *ps)
{
	const pkg_vdb *v = &ps->vdb;
	_cleanup_buf_ hs_buf detail = {0}, lacking = {0}, conflicting = {0};
	_cleanup_free_ char *fix = NULL;
	const char *cpv;
	const char *pkgs[] = { ps->cp, NULL };
	int r = vdb_precondition(c, id, st, ps, false);

	if (r <= 0)
		return r;
	cpv = hs_installed_cpv(v->pkg);
	r = hs_buf_printf(&detail, "built with USE=\"");
	if (r >= 0)
		r = hs_build_join(hs_installed_use(v->pkg), " ", &detail);
	if (r >= 0)
		r = hs_buf_printf(&detail, "\" (%s/USE)", hs_installed_path(v->pkg));
	if (r >= 0 && v->requse)
		r = hs_build_put_items(&detail, "\nREQUIRED_USE of the installed version naming homed: ", v->items);
	if (r >= 0 && v->requse)
		r = hs_buf_printf(&detail, "\n(from %s)", v->requse_src);
	/* the state in the build of each flag homed's REQUIRED_USE names */
	if (r >= 0)
		r = hs_buf_printf(&detail, "\nin the build: homed %s", v->built_homed ? "on" : "off");
	for (size_t s = 0; r >= 0 && s < 2; s++) {
		const hs_useset *set = s ? v->need_off : v->need_on;

		for (size_t i = 0; r >= 0 && i < hs_useset_count(set); i++) {
			const char *f = hs_useset_get(set, i);

			r = hs_buf_printf(&detail, ", %s %s%s", f, hs_build_has(hs_installed_use(v->pkg), f) ? "on" : "off",
					  s ? " (must be off)" : "");
		}
	}
	if (r >= 0 && !v->requse)
		r = hs_buf_printf(&detail, "\nREQUIRED_USE of the installed version is unknown: %s; only homed%s was "
				  "checked", v->requse_why, ps == &st->pkgs[PAMBASE] ? " and pam_krb5" : "");
	if (r >= 0)
		r = put_homed_first(&lacking, v->lacking);
	if (r >= 0)
		r = hs_build_join(v->conflicting, ", ", &conflicting);
	if (r >= 0 && (hs_useset_count(v->lacking) || hs_useset_count(v->conflicting)))
		r = hs_build_fix_rebuild(st, pkgs, &fix);
	if (r < 0)
		return r;

	if (!v->built_homed)
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "%s was built without %s", cpv, lacking.p);
	if (hs_useset_count(v->lacking))
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p,
				      "%s was built with homed but without %s, which homed needs", cpv, lacking.p);
	if (hs_useset_count(v->conflicting))
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p,
				      "%s was built with homed and %s, which homed excludes", cpv, conflicting.p);
	if (v->requse_ok == 0) {
		/* homed's own ties hold, but the build breaks another constraint of today's metadata */
		r = hs_buf_printf(&detail, "\nunsatisfied in the build: %s", v->requse_unsat ? v->requse_unsat : "?");
		if (r < 0)
			return r;
		return hs_checker_add(c, id, HS_CHECK_WARN, NULL, detail.p,
				      "%s was built with homed, but its build does not satisfy today's REQUIRED_USE", cpv);
	}
	{
		_cleanup_buf_ hs_buf flags = {0};

		if (hs_build_join_and(v->need_on, &flags) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "%s was built with homed%s%s%s", cpv,
				      flags.len ? " and " : "", flags.len ? flags.p : "",
				      flags.len ? ", which it needs" : "");
	}
}

/* ---- group `vdb`: files --------------------------------------------------------------------------------------- */

/* Is @dir "/lib<x>" or "/usr/lib<x>" (any libdir name: lib, lib64, lib32, libx32) followed by @suffix? */
static bool libdir_match(const char *dir, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);
	const char *p = dir, *end = dir + len;

	if (len >= 4 && strncmp(p, "/usr", 4) == 0)
		p += 4;
	if (end - p < 4 || strncmp(p, "/lib", 4) != 0)
		return false;
	p += 4;
	while (p < end && *p != '/')
		p++;
	return (size_t)(end - p) == sl && strncmp(p, suffix, sl) == 0;
}

typedef struct wanted_file {
	const char *name;           /* basename */
	const char *dirs[3];        /* exact directories, or NULL */
	const char *libdir_suffix;  /* or: any libdir followed by this ("" for the libdir itself) */
	const char *label;          /* how a summary names it */
} wanted_file;

static const wanted_file systemd_files[] = {
	{ "systemd-homed", { "/usr/lib/systemd", "/lib/systemd" }, NULL, "systemd-homed" },
	{ "systemd-homework", { "/usr/lib/systemd", "/lib/systemd" }, NULL, "systemd-homework" },
	{ "homectl", { "/usr/bin", "/bin" }, NULL, "homectl" },
	{ "systemd-homed.service", { "/usr/lib/systemd/system", "/lib/systemd/system" }, NULL, "systemd-homed.service" },
	{ "systemd-homed-activate.service", { "/usr/lib/systemd/system", "/lib/systemd/system" }, NULL,
	  "systemd-homed-activate.service" },
	{ "libnss_systemd.so.2", { NULL }, "", "libnss_systemd.so.2 (nss-systemd)" },
};

static const wanted_file pam_module = { "pam_systemd_home.so", { NULL }, "/security", "pam_systemd_home.so" };

static bool wanted_matches(const wanted_file *w, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || strcmp(slash + 1, w->name) != 0)
		return false;
	if (w->libdir_suffix)
		return libdir_match(path, (size_t)(slash - path), w->libdir_suffix);
	for (size_t i = 0; i < ELEMENTSOF(w->dirs) && w->dirs[i]; i++)
		if (strlen(w->dirs[i]) == (size_t)(slash - path) && strncmp(path, w->dirs[i], (size_t)(slash - path)) == 0)
			return true;
	return false;
}

/* Where @w should be, for messages: "/usr/bin or /bin", "/lib*, /usr/lib*". */
static int put_candidates(hs_buf *b, const wanted_file *w)
{
	int r = 0;

	if (w->libdir_suffix)
		return hs_buf_printf(b, "/lib*%s/%s or /usr/lib*%s/%s", w->libdir_suffix, w->name, w->libdir_suffix,
				     w->name);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(w->dirs) && w->dirs[i]; i++)
		r = hs_buf_printf(b, "%s%s/%s", i ? " or " : "", w->dirs[i], w->name);
	return r;
}

typedef struct files_scan {
	hs_buf found, absent, missing, detail; /* labels: in CONTENTS and on disk; not in CONTENTS; not on disk */
	size_t n_found, n_absent, n_missing;
} files_scan;

static void files_scan_done(files_scan *f)
{
	hs_buf_free(&f->found);
	hs_buf_free(&f->absent);
	hs_buf_free(&f->missing);
	hs_buf_free(&f->detail);
}

/* Look for each wanted file in the package's CONTENTS, then on disk under ROOT. */
static int scan_files(hs_ctx *ctx, hs_installed *pkg, const wanted_file *want, size_t n_want, files_scan *f)
{
	size_t n = 0;
	int r;

	r = hs_installed_contents(ctx, pkg, &n);
	if (r < 0)
		return r;
	for (size_t w = 0; w < n_want; w++) {
		bool recorded = false, present = false;

		for (size_t i = 0; i < n; i++) {
			const hs_contents_entry *e = hs_installed_contents_get(pkg, i);
			struct stat sb;
			bool here;

			if (e->type != HS_CONTENTS_OBJ && e->type != HS_CONTENTS_SYM)
				continue;
			if (!wanted_matches(&want[w], e->path))
				continue;
			recorded = true;
			here = hs_root_stat(ctx, HS_ROOT_SYS, e->path, &sb) == 0 && !S_ISDIR(sb.st_mode);
			r = hs_buf_printf(&f->detail, "%s%s: %s", f->detail.len ? "\n" : "", e->path,
					  here ? "in CONTENTS and on disk" : "in CONTENTS but missing on disk");
			if (r < 0)
				return r;
			if (here) {
				present = true;
			} else {
				r = hs_buf_printf(&f->missing, "%s%s", f->n_missing++ ? ", " : "", e->path);
				if (r < 0)
					return r;
			}
		}
		if (!recorded) {
			r = hs_buf_printf(&f->absent, "%s%s", f->n_absent++ ? ", " : "", want[w].label);
			if (r >= 0)
				r = hs_buf_printf(&f->detail, "%s%s: not in CONTENTS of %s (looked for ",
						  f->detail.len ? "\n" : "", want[w].name, hs_installed_cpv(pkg));
			if (r >= 0)
				r = put_candidates(&f->detail, &want[w]);
			if (r >= 0)
				r = hs_buf_putc(&f->detail, ')');
			if (r < 0)
				return r;
		} else if (present) {
			r = hs_buf_printf(&f->found, "%s%s", f->n_found++ ? ", " : "", want[w].label);
			if (r < 0)
				return r;
		}
	}
	hs_ctx_clear_error(ctx);
	return 0;
}

/* CONTENTS missing or unreadable: the package has to be merged again. */
static int add_contents_error(hs_checker *c, const char *id, const pkg_state *ps, int r)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	char fix[96];

	if (r == -ENOMEM)
		return r;
	snprintf(fix, sizeof(fix), "emerge --ask --oneshot %s", ps->cp);
	return hs_checker_add(c, id, HS_CHECK_FAIL, fix, NULL, "cannot read the files of %s: %s",
			      hs_installed_cpv(ps->vdb.pkg), hs_ctx_last_error(ctx));
}

static int check_systemd_files(hs_checker *c, const char *id, const build_state *st, pkg_state *ps)
{
	_cleanup_(files_scan_done) files_scan f = {0};
	_cleanup_free_ char *fix = NULL;
	const char *cpv;
	int r = vdb_precondition(c, id, st, ps, false);

	if (r <= 0)
		return r;
	cpv = hs_installed_cpv(ps->vdb.pkg);
	if (!ps->vdb.built_homed)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "not checked: %s was built without homed "
				      "(vdb.systemd.built)", cpv);
	r = scan_files(hs_checker_ctx(c), ps->vdb.pkg, systemd_files, ELEMENTSOF(systemd_files), &f);
	if (r < 0)
		return add_contents_error(c, id, ps, r);
	if (f.n_absent) {
		/* emerge --changed-use does nothing when USE did not change: a plain re-merge restores them */
		if (asprintf(&fix, "emerge --ask --oneshot %s   (and check INSTALL_MASK in /etc/portage/make.conf)",
			     ps->cp) < 0) {
			fix = NULL;
			return -ENOMEM;
		}
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, f.detail.p, "%s was built with homed but did not "
				      "install %s", cpv, f.absent.p);
	}
	if (f.n_missing) {
		if (asprintf(&fix, "emerge --ask --oneshot %s", ps->cp) < 0) {
			fix = NULL;
			return -ENOMEM;
		}
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, f.detail.p, "files of %s are missing on disk: %s", cpv,
				      f.missing.p);
	}
	return hs_checker_add(c, id, HS_CHECK_OK, NULL, f.detail.p, "homed's files are installed: %s", f.found.p);
}

static int check_pambase_files(hs_checker *c, const char *id, const build_state *st, pkg_state *ps)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const pkg_state *sd = &st->pkgs[SYSTEMD];
	_cleanup_(files_scan_done) files_scan pam = {0}, mod = {0};
	_cleanup_buf_ hs_buf detail = {0};
	_cleanup_free_ char *fix = NULL;
	static const wanted_file system_auth = { "system-auth", { "/etc/pam.d" }, NULL, "/etc/pam.d/system-auth" };
	bool check_module;
	int r = vdb_precondition(c, id, st, ps, false);

	if (r <= 0)
		return r;
	r = scan_files(ctx, ps->vdb.pkg, &system_auth, 1, &pam);
	if (r < 0)
		return add_contents_error(c, id, ps, r);
	/* pam_systemd_home.so is systemd's, built with USE="homed pam" */
	check_module = sd->vdb.pkg && sd->vdb.built_homed && hs_build_has(hs_installed_use(sd->vdb.pkg), "pam");
	if (check_module) {
		r = scan_files(ctx, sd->vdb.pkg, &pam_module, 1, &mod);
		if (r < 0)
			return add_contents_error(c, id, sd, r);
	}
	r = hs_buf_printf(&detail, "%s", pam.detail.p);
	if (r >= 0 && check_module)
		r = hs_buf_printf(&detail, "\n%s (from %s)", mod.detail.p, hs_installed_cpv(sd->vdb.pkg));
	else if (r >= 0)
		r = hs_buf_printf(&detail, "\npam_systemd_home.so: not checked, %s", !sd->vdb.pkg ?
				  "sys-apps/systemd is not installed" : "sys-apps/systemd was built without homed or pam");
	if (r < 0)
		return r;

	if (pam.n_missing || mod.n_missing) {
		if (asprintf(&fix, "emerge --ask --oneshot %s%s%s", pam.n_missing ? ps->cp : "",
			     pam.n_missing && mod.n_missing ? " " : "", mod.n_missing ? sd->cp : "") < 0) {
			fix = NULL;
			return -ENOMEM;
		}
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "files are missing on disk: %s%s%s",
				      pam.missing.p ? pam.missing.p : "", pam.n_missing && mod.n_missing ? ", " : "",
				      mod.missing.p ? mod.missing.p : "");
	}
	if (mod.n_absent)
		return hs_checker_add(c, id, HS_CHECK_FAIL, "emerge --ask --oneshot sys-apps/systemd   (and check "
				      "INSTALL_MASK in /etc/portage/make.conf)", detail.p,
				      "%s was built with homed and pam but did not install pam_systemd_home.so",
				      hs_installed_cpv(sd->vdb.pkg));
	if (pam.n_absent)
		return hs_checker_add(c, id, HS_CHECK_WARN, NULL, detail.p, "/etc/pam.d/system-auth is not installed by "
				      "%s: its homed lines must be kept by hand", hs_installed_cpv(ps->vdb.pkg));
	if (!check_module)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, detail.p, "pam_systemd_home.so not checked: %s",
				      sd->vdb.pkg ? "systemd was built without homed" : "systemd is not installed");
	return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p,
			      "/etc/pam.d/system-auth is pambase's and pam_systemd_home.so is installed");
}

/* ---- group `vdb`: configuration against build ------------------------------------------------------------------ */

/* What a rebuild of one package would change about homed: flags the configuration turns on that the build
 * lacks (rebuild needed), and flags the build has that the configuration no longer turns on (a rebuild drops). */
static int rebuild_diff(const pkg_state *ps, hs_useset **gain, hs_useset **lose)
{
	const hs_useset *cfg_on = hs_pkg_use_enabled(ps->cfg.u), *built = hs_installed_use(ps->vdb.pkg);
	_cleanup_(hs_useset_freep) hs_useset *rel = NULL, *g = NULL, *l = NULL;

	/* homed and what `homed? ( … )` of the version to be built needs on */
	if (hs_useset_dup(&rel, ps->cfg.need_on) < 0 || hs_useset_add(rel, "homed", 5) < 0)
		return -ENOMEM;
	if (hs_useset_dup(&g, rel) < 0 || hs_useset_dup(&l, rel) < 0)
		return -ENOMEM;
	hs_useset_intersect(g, cfg_on);
	hs_useset_subtract(g, built);
	if (!hs_build_has(cfg_on, "homed"))
		hs_useset_clear(g); /* without homed in the configuration, its companions do not call for a rebuild */
	hs_useset_intersect(l, built);
	hs_useset_subtract(l, cfg_on);
	if (!hs_build_has(built, "homed"))
		hs_useset_clear(l);
	*gain = TAKE_PTR(g);
	*lose = TAKE_PTR(l);
	return 0;
}

/* One flag a rebuild would drop: "a rebuild will drop homed from sys-apps/systemd-260.1: homed is off: <file:line>". */
static int put_drop(hs_buf *b, const pkg_state *ps, const char *flag)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(ps->cfg.u, flag);
	const char *pkguse = hs_installed_pkguse(ps->vdb.pkg);
	int r;

	r = hs_buf_printf(b, "a rebuild will drop %s from %s%s: ", flag, hs_installed_cpv(ps->vdb.pkg),
			  strcmp(flag, "homed") == 0 ? "" : ", which homed needs");
	if (r >= 0)
		r = hs_build_put_flag(b, ps->cfg.u, flag);
	/* nothing turns it off: the line that turned it on when it was built is gone */
	if (r >= 0 && o && (!o->layer || strcmp(o->layer, "none") == 0) && *pkguse)
		r = hs_buf_printf(b, " (when it was built, package.use gave it '%s')", pkguse);
	return r;
}

static int check_rebuild(hs_checker *c, const char *id, const build_state *st)
{
	_cleanup_buf_ hs_buf detail = {0}, summary = {0}, warn = {0};
	_cleanup_free_ char *fix = NULL;
	const char *need[N_PKGS + 1] = { NULL };
	size_t n_need = 0, n_gain = 0, n_compared = 0;
	int r = 0;

	if (st->not_gentoo)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s", st->not_gentoo);
	for (size_t i = 0; i < N_PKGS; i++) {
		const pkg_state *ps = &st->pkgs[i];
		_cleanup_(hs_useset_freep) hs_useset *gain = NULL, *lose = NULL;

		if (ps->cfg.r < 0 || ps->vdb.r < 0 || !ps->vdb.pkg) {
			r = hs_buf_printf(&detail, "%s%s: not compared: %s", detail.len ? "\n" : "", ps->cp,
					  ps->cfg.r < 0 ? ps->cfg.error : ps->vdb.r < 0 ? ps->vdb.error : "not installed");
			if (r < 0)
				return r;
			continue;
		}
		n_compared++;
		r = rebuild_diff(ps, &gain, &lose);
		if (r < 0)
			return r;
		/* `homesetup use enable` (part of the fix while the configuration is not ready) changes them all */
		if (hs_useset_count(gain) || (!hs_build_cfg_ready_all(st) && hs_useset_count(ps->vdb.lacking)))
			need[n_need++] = ps->cp;
		if (hs_useset_count(gain)) {
			n_gain++;
			r = hs_buf_printf(&summary, "%s%s was built without ", summary.len ? "; " : "",
					  hs_installed_cpv(ps->vdb.pkg));
			if (r >= 0)
				r = put_homed_first(&summary, gain);
			for (size_t f = 0; r >= 0 && f < hs_useset_count(gain); f++) {
				r = hs_buf_printf(&detail, "%s%s: ", detail.len ? "\n" : "", ps->cp);
				if (r >= 0)
					r = hs_build_put_flag(&detail, ps->cfg.u, hs_useset_get(gain, f));
				if (r >= 0)
					r = hs_buf_printf(&detail, " in the configuration, off in %s", hs_installed_cpv(ps->vdb.pkg));
			}
		}
		/* homed first: it is the one that names the line to blame */
		for (size_t f = 0, n = hs_useset_count(lose); r >= 0 && f <= n; f++) {
			const char *flag = f == 0 ? "homed" : hs_useset_get(lose, f - 1);

			if ((f == 0) != (strcmp(flag, "homed") == 0) || !hs_build_has(lose, flag))
				continue;
			r = hs_buf_puts(&warn, warn.len ? "\n" : "");
			if (r >= 0)
				r = put_drop(&warn, ps, flag);
		}
		if (r < 0)
			return r;
	}
	if (warn.len) {
		r = hs_buf_printf(&detail, "%s%s", detail.len ? "\n" : "", warn.p);
		if (r < 0)
			return r;
	}
	if (n_gain) {
		r = hs_build_fix_rebuild(st, need, &fix);
		if (r < 0)
			return r;
		return hs_checker_add(c, id, HS_CHECK_FAIL, fix, detail.p, "rebuild needed: %s", summary.p);
	}
	if (warn.len) /* the summary is the first drop, the detail has them all */
		return hs_checker_add(c, id, HS_CHECK_WARN, "homesetup use enable", detail.p, "%.*s",
				      (int)strcspn(warn.p, "\n"), warn.p);
	if (n_compared == 0)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, detail.p, "nothing to compare: %s",
				      detail.p ? detail.p : "no package");
	return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "the builds match the configuration for homed: "
			      "no rebuild pending");
}

int hs_check_group_vdb(hs_checker *c)
{
	static const char *const ids[] = { "vdb.systemd.installed", "vdb.pambase.installed", "vdb.systemd.built",
					   "vdb.pambase.built", "vdb.systemd.files", "vdb.pambase.files", "vdb.rebuild" };
	build_state *st;
	int r = hs_build_state_all(c, &st);

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(ids); i++) {
		const char *id = ids[i];
		pkg_state *sd = &st->pkgs[SYSTEMD], *pb = &st->pkgs[PAMBASE];

		if (!hs_checker_wants(c, id))
			continue;
		switch (i) {
		case 0: r = check_installed(c, id, st, sd); break;
		case 1: r = check_installed(c, id, st, pb); break;
		case 2: r = check_built(c, id, st, sd); break;
		case 3: r = check_built(c, id, st, pb); break;
		case 4: r = check_systemd_files(c, id, st, sd); break;
		case 5: r = check_pambase_files(c, id, st, pb); break;
		default: r = check_rebuild(c, id, st); break;
		}
	}
	return r;
}
