/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plans of USE edits (`homesetup use enable|disable|revert`): which flags, in which file, and the proof that the
 * edit takes effect.
 *
 *   which   the effective USE of the version emerge would build, then hs_requse_solve() on its real REQUIRED_USE
 *           with the requested flags wanted and the profile's masked and forced flags pinned: the smallest set
 *           of changes, each with the constraint that needs it;
 *   where   package.use (a file of ours in the directory form, lines appended in the file form) or the value of
 *           make.conf's last USE assignment; the bytes are useedit.c's business;
 *   proof   the planned bytes are put in an overlay of the configuration root and Portage's configuration is read
 *           again through it: every change must show in the new effective USE and REQUIRED_USE must hold. If a
 *           later file or line, a more specific atom, a mask or the environment defeats a change, the plan is
 *           refused naming it; with force_order a package.use file of ours that sorts last is tried instead.
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define PKGUSE_DIR "/etc/portage/package.use"
#define DEFAULT_FILE "homed"
#define WHY_HOMED "systemd-homed needs these flags"
#define WHY_ASKED "asked for with homesetup use enable/disable"

typedef struct plan_pkg {
	char *atom;                 /* as written into package.use */
	char *cpv;
	hs_atom *parsed;
	hs_requse_change *changes;
	size_t n_changes;
	char **strs;                /* the changes' strings */
} plan_pkg;

struct hs_use_plan {
	hs_ctx *ctx;
	plan_pkg *pkgs;
	size_t n_pkgs;
	hs_edit **edits;
	size_t n_edits;
	char **notes;
	bool create_pkguse_dir;     /* /etc/portage/package.use is missing: mkdir it before writing */
};

/* Why a change did not take effect, for the message and for --force-order. */
typedef struct defeat {
	char *file;                 /* the file that decided (NULL: a mask, the environment …) */
	unsigned line;
} defeat;

void hs_use_plan_free(hs_use_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n_pkgs; i++) {
		plan_pkg *k = &plan->pkgs[i];

		free(k->atom);
		free(k->cpv);
		hs_atom_free(k->parsed);
		free(k->changes);
		hs_strv_free(k->strs);
	}
	free(plan->pkgs);
	for (size_t i = 0; i < plan->n_edits; i++)
		hs_edit_free(plan->edits[i]);
	free(plan->edits);
	hs_strv_free(plan->notes);
	free(plan);
}

DEFINE_CLEANUP_FUNC(hs_use_plan, hs_use_plan_free);
DEFINE_CLEANUP_FUNC(hs_pkg_use, hs_pkg_use_free);
DEFINE_CLEANUP_FUNC(hs_edit, hs_edit_free);

size_t hs_use_plan_package_count(const hs_use_plan *plan)
{
	return plan ? plan->n_pkgs : 0;
}

const char *hs_use_plan_package_atom(const hs_use_plan *plan, size_t i)
{
	return plan && i < plan->n_pkgs ? plan->pkgs[i].atom : NULL;
}

const char *hs_use_plan_package_cpv(const hs_use_plan *plan, size_t i)
{
	return plan && i < plan->n_pkgs ? plan->pkgs[i].cpv : NULL;
}

size_t hs_use_plan_change_count(const hs_use_plan *plan, size_t i)
{
	return plan && i < plan->n_pkgs ? plan->pkgs[i].n_changes : 0;
}

const hs_requse_change *hs_use_plan_change(const hs_use_plan *plan, size_t i, size_t j)
{
	return plan && i < plan->n_pkgs && j < plan->pkgs[i].n_changes ? &plan->pkgs[i].changes[j] : NULL;
}

size_t hs_use_plan_edit_count(const hs_use_plan *plan)
{
	return plan ? plan->n_edits : 0;
}

hs_edit *hs_use_plan_edit(const hs_use_plan *plan, size_t i)
{
	return plan && i < plan->n_edits ? plan->edits[i] : NULL;
}

size_t hs_use_plan_note_count(const hs_use_plan *plan)
{
	return plan ? hs_strv_length(plan->notes) : 0;
}

const char *hs_use_plan_note(const hs_use_plan *plan, size_t i)
{
	return i < hs_use_plan_note_count(plan) ? plan->notes[i] : NULL;
}

_printf_(2, 3) static int add_note(hs_use_plan *plan, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return hs_strv_push(&plan->notes, s, strlen(s));
}

static int push_edit(hs_use_plan *plan, hs_edit *e)
{
	hs_edit **n = realloc(plan->edits, (plan->n_edits + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	plan->edits = n;
	plan->edits[plan->n_edits++] = e;
	return 0;
}

/* A path as an admin names it: "package.use/homed" for /etc/portage/…, else as is. */
static const char *short_path(const char *path)
{
	return strncmp(path, "/etc/portage/", 13) == 0 ? path + 13 : path;
}

/* ---- which flags ------------------------------------------------------------------------------------------ */

static bool strv_contains(const char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* The requested flags as a set, validated against the package's IUSE. */
static int wanted_set(hs_ctx *ctx, const hs_pkg_use *u, const char *const *flags, const char *const *other,
		      bool on, hs_useset **out)
{
	int r = hs_useset_new(out);

	for (const char *const *f = flags; r >= 0 && f && *f; f++) {
		size_t len = strlen(*f);

		if (on && (*f)[0] == '-')
			return hs_ctx_set_error(ctx, -EINVAL,
						"'%s': to turn a flag off, use 'homesetup use disable %s %s'", *f,
						hs_pkg_use_cpv(u), *f + 1);
		if (!hs_use_flag_valid(*f, len))
			return hs_ctx_set_error(ctx, -EINVAL, "'%s' is not a valid USE flag name", *f);
		if (strv_contains(other, *f))
			return hs_ctx_set_error(ctx, -EINVAL, "USE flag '%s' is asked for both on and off", *f);
		if (!hs_useset_has(hs_pkg_use_enabled(u), *f, len) && !hs_useset_has(hs_pkg_use_disabled(u), *f, len))
			return hs_ctx_set_error(ctx, -EINVAL, "%s has no USE flag '%s' (IUSE: %s)", hs_pkg_use_cpv(u), *f,
						hs_pkg_use_iuse(u));
		r = hs_useset_add(*out, *f, len);
	}
	return r < 0 ? r : 0;
}

/* "masked by /var/db/repos/gentoo/profiles/base/use.mask:3" (malloc'd; NULL on ENOMEM). */
static char *pin_text(const hs_pkg_use *u, const char *flag)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(u, flag);
	const char *what = hs_useset_has(hs_pkg_use_masked(u), flag, strlen(flag)) ? "masked" : "forced";
	char *s = NULL;
	int n;

	if (o && o->mask_file && o->mask_line)
		n = asprintf(&s, "%s by %s:%u", what, o->mask_file, o->mask_line);
	else if (o && o->mask_file)
		n = asprintf(&s, "%s by %s", what, o->mask_file);
	else
		n = asprintf(&s, "%s by the profile", what);
	return n < 0 ? NULL : s;
}

/* Does @text name @flag as a word (not as part of a longer flag name)? */
static bool mentions(const char *text, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *t = strstr(text, flag); t; t = strstr(t + 1, flag)) {
		bool before = t > text && (hs_use_flag_valid(t - 1, 1) || t[-1] == '_' || t[-1] == '-');
		bool after = t[n] && (hs_use_flag_valid(t + n, 1) || t[n] == '_' || t[n] == '-');

		if (!before && !after)
			return true;
	}
	return false;
}

static int keep_str(plan_pkg *k, const char *s, const char **out)
{
	size_t n = hs_strv_length(k->strs);
	int r = hs_strv_push(&k->strs, s, strlen(s));

	if (r < 0)
		return r;
	*out = k->strs[n];
	return 0;
}

static int plan_package(hs_portage *p, plan_pkg *k, const hs_use_request *req)
{
	hs_ctx *ctx = p->ctx;
	_cleanup_(hs_pkg_use_freep) hs_pkg_use *u = NULL;
	_cleanup_(hs_useset_freep) hs_useset *on = NULL, *off = NULL, *pinned = NULL;
	_cleanup_(hs_requse_freep) hs_requse *rq = NULL;
	_cleanup_(hs_requse_solution_freep) hs_requse_solution *sol = NULL;
	const char *rs;
	int eapi, r;

	if (!req->atom)
		return hs_ctx_set_error(ctx, -EINVAL, "no package given");
	r = hs_atom_parse(ctx, &k->parsed, req->atom, strlen(req->atom),
			  HS_ATOM_ALLOW_REPO | HS_ATOM_NO_USE | HS_ATOM_NO_BLOCKER);
	if (r < 0)
		return r;
	if ((r = hs_atom_format(k->parsed, &k->atom)) < 0)
		return r;
	r = hs_portage_effective_use(p, &u, k->parsed, HS_EFFECTIVE_DEFAULT);
	if (r < 0)
		return r;
	if (!(k->cpv = strdup(hs_pkg_use_cpv(u))))
		return -ENOMEM;
	if ((r = wanted_set(ctx, u, req->enable, req->disable, true, &on)) < 0 ||
	    (r = wanted_set(ctx, u, req->disable, req->enable, false, &off)) < 0)
		return r;
	if ((r = hs_useset_dup(&pinned, hs_pkg_use_masked(u))) < 0 ||
	    (r = hs_useset_union(pinned, hs_pkg_use_forced(u))) < 0)
		return r;
	/* what package.use cannot change: say where it is pinned and how to lift it */
	for (int pass = 0; pass < 2; pass++) {
		const hs_useset *set = pass ? off : on;

		for (size_t i = 0; i < hs_useset_count(set); i++) {
			const char *f = hs_useset_get(set, i);
			bool masked = hs_useset_has(hs_pkg_use_masked(u), f, strlen(f));
			bool forced = hs_useset_has(hs_pkg_use_forced(u), f, strlen(f));
			_cleanup_free_ char *why = NULL;

			if (pass == 0 ? !masked : !forced || masked)
				continue;
			if (!(why = pin_text(u, f)))
				return -ENOMEM;
			return hs_ctx_set_error(ctx, -EPERM,
						"%s: USE flag '%s' is %s, which package.use cannot override; to lift it "
						"for this package, add '%s -%s' to /etc/portage/profile/package.use.%s",
						k->cpv, f, why, k->atom, f, pass == 0 ? "mask" : "force");
		}
	}

	rs = hs_pkg_use_required_use(u);
	eapi = hs_eapi_num(hs_pkg_use_eapi(u));
	r = hs_requse_parse(ctx, &rq, rs, strlen(rs), eapi < 0 ? 8 : eapi);
	if (r < 0) {
		_cleanup_free_ char *why = strdup(hs_ctx_last_error(ctx));

		return r == -ENOMEM ? r : hs_ctx_set_error(ctx, r, "%s: REQUIRED_USE: %s", k->cpv, why ? why : "invalid");
	}
	r = hs_requse_solve(ctx, &sol, rq, hs_pkg_use_portage_use(u), hs_pkg_use_iuse_effective(u), on, off, pinned);
	if (r < 0) {
		_cleanup_buf_ hs_buf b = {0};

		if (r == -ENOMEM)
			return r;
		if (hs_buf_printf(&b, "%s: %s", k->cpv, hs_ctx_last_error(ctx)) < 0)
			return -ENOMEM;
		/* name the file that pins each pinned flag the message mentions */
		for (size_t i = 0; i < hs_useset_count(pinned); i++) {
			const char *f = hs_useset_get(pinned, i);
			_cleanup_free_ char *why = NULL;

			if (!mentions(b.p, f))
				continue;
			if (!(why = pin_text(u, f)) || hs_buf_printf(&b, "; %s is %s", f, why) < 0)
				return -ENOMEM;
		}
		return hs_ctx_set_error(ctx, r, "%s", b.p);
	}
	k->n_changes = hs_requse_solution_count(sol);
	k->changes = calloc(k->n_changes + 1, sizeof(*k->changes));
	if (!k->changes)
		return -ENOMEM;
	for (size_t i = 0; i < k->n_changes; i++) {
		const hs_requse_change *c = hs_requse_solution_get(sol, i);

		k->changes[i].enable = c->enable;
		if ((r = keep_str(k, c->flag, &k->changes[i].flag)) < 0 ||
		    (r = keep_str(k, c->reason, &k->changes[i].reason)) < 0)
			return r;
	}
	return 0;
}

/* "flag" or "-flag" for every change of @k, space-separated, appended to @b. */
static int put_tokens(hs_buf *b, const plan_pkg *k)
{
	for (size_t i = 0; i < k->n_changes; i++)
		if ((b->len && hs_buf_putc(b, ' ') < 0) ||
		    hs_buf_printf(b, "%s%s", k->changes[i].enable ? "" : "-", k->changes[i].flag) < 0)
			return -ENOMEM;
	return 0;
}

/* ---- the proof ------------------------------------------------------------------------------------------- */

/* The package.use line at @file:@line as written (tokens joined), or NULL. */
static char *line_text(const hs_portage *p, const char *file, unsigned line)
{
	const hs_conflines *l = &p->user_use.lines;
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].line != line || strcmp(l->v[i].path, file) != 0)
			continue;
		for (char **t = l->v[i].tokens; t && *t; t++)
			if ((b.len && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, *t) < 0)
				return NULL;
		return hs_buf_steal(&b);
	}
	return NULL;
}

/* Explain why @c did not take effect in @u2 (the configuration @p2 read through the edit of @path). */
static int explain_defeat(hs_ctx *ctx, const hs_portage *p2, const hs_pkg_use *u2, const plan_pkg *k,
			  const hs_requse_change *c, const char *path, bool makeconf, defeat *d)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(u2, c->flag);
	const char *state = c->enable ? "off" : "on";
	_cleanup_free_ char *text = NULL;

	if (!o)
		return hs_ctx_set_error(ctx, -EPERM, "%s: USE flag '%s' would still be %s after the edit of %s", k->cpv,
					c->flag, state, path);
	if (o->masked || o->forced)
		return hs_ctx_set_error(ctx, -EPERM, "%s: USE flag '%s' would still be %s: it is %s by %s:%u", k->cpv,
					c->flag, state, o->masked ? "masked" : "forced",
					o->mask_file ? o->mask_file : "the profile", o->mask_line);
	if (o->layer && strcmp(o->layer, "env") == 0)
		return hs_ctx_set_error(ctx, -EPERM,
					"%s: USE flag '%s' would still be %s: the environment's USE ('%s') overrides "
					"%s; unset USE, or leave '%s' out of it",
					k->cpv, c->flag, state, o->token ? o->token : "", path, c->flag);
	if (!o->file)
		return hs_ctx_set_error(ctx, -EPERM, "%s: USE flag '%s' would still be %s (%s layer, '%s') after the "
					"edit of %s", k->cpv, c->flag, state, o->layer ? o->layer : "none",
					o->token ? o->token : "", path);
	d->file = strdup(o->file);
	d->line = o->line;
	if (!d->file)
		return -ENOMEM;
	text = line_text(p2, o->file, o->line);
	if (makeconf)
		return hs_ctx_set_error(ctx, -EPERM,
					"%s: USE flag '%s' would still be %s: %s:%u ('%s') overrides make.conf's USE; "
					"change that line, or use --target package.use",
					k->cpv, c->flag, state, o->file, o->line, text ? text : o->token);
	if (strncmp(o->file, PKGUSE_DIR "/", strlen(PKGUSE_DIR) + 1) == 0 && strcmp(o->file, path) > 0)
		return hs_ctx_set_error(ctx, -EPERM,
					"%s: USE flag '%s' would still be %s: %s:%u ('%s') is read after %s and "
					"overrides it; change that line, or run again with --force-order to put "
					"homesetup's lines in a file that Portage reads last",
					k->cpv, c->flag, state, o->file, o->line, text ? text : o->token, path);
	return hs_ctx_set_error(ctx, -EPERM,
				"%s: USE flag '%s' would still be %s: %s:%u ('%s') overrides homesetup's '%s' line in %s "
				"(in package.use a more specific atom wins whatever the order); change that line",
				k->cpv, c->flag, state, o->file, o->line, text ? text : o->token, k->atom, path);
}

static int scratch_ctx(hs_ctx *ctx, hs_ctx **out)
{
	_cleanup_(hs_ctx_freep) hs_ctx *c = NULL;
	int r;

	if ((r = hs_ctx_new(&c)) < 0 || (r = hs_ctx_set_root(c, hs_ctx_get_root(ctx))) < 0 ||
	    (r = hs_ctx_set_config_root(c, hs_ctx_get_config_root(ctx))) < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

/* Read the configuration again with @e applied in memory; every change of the plan must show. */
static int prove(hs_use_plan *plan, bool use_env, hs_edit *e, bool makeconf, defeat *d)
{
	hs_ctx *ctx = plan->ctx;
	_cleanup_(hs_ctx_freep) hs_ctx *sc = NULL;
	_cleanup_free_ char *bytes = NULL;
	hs_root_overlay ov = { .kind = HS_ROOT_CONFIG, .path = hs_edit_path(e) };
	hs_portage *p2 = NULL;
	size_t len = 0;
	int r;

	if ((r = hs_edit_result(e, &bytes, &len)) < 0 || (r = scratch_ctx(ctx, &sc)) < 0)
		return r;
	ov.buf = bytes;
	ov.len = len;
	hs_ctx_set_overlay(sc, &ov);
	r = hs_portage_load(sc, &p2, use_env);
	if (r < 0) {
		r = r == -ENOMEM ? r
				 : hs_ctx_set_error(ctx, r, "with the edit of %s, Portage's configuration would not load: %s",
						    ov.path, hs_ctx_last_error(sc));
		goto out;
	}
	for (size_t i = 0; i < plan->n_pkgs && r >= 0; i++) {
		plan_pkg *k = &plan->pkgs[i];
		_cleanup_(hs_pkg_use_freep) hs_pkg_use *u2 = NULL;

		if (k->n_changes == 0)
			continue;
		r = hs_portage_effective_use(p2, &u2, k->parsed, HS_EFFECTIVE_DEFAULT);
		if (r < 0) {
			r = r == -ENOMEM ? r : hs_ctx_set_error(ctx, r, "%s", hs_ctx_last_error(sc));
			break;
		}
		for (size_t j = 0; j < k->n_changes && r >= 0; j++) {
			const hs_requse_change *c = &k->changes[j];

			if (hs_useset_has(hs_pkg_use_portage_use(u2), c->flag, strlen(c->flag)) != c->enable)
				r = explain_defeat(ctx, p2, u2, k, c, ov.path, makeconf, d);
		}
		if (r >= 0 && hs_pkg_use_required_use_ok(u2) != 1)
			r = hs_ctx_set_error(ctx, -EPERM, "%s: REQUIRED_USE would still not be satisfied after the edit of "
						     "%s: %s", k->cpv, ov.path,
					     hs_pkg_use_required_use_unsatisfied(u2, HS_REQUSE_HUMAN));
	}
out:
	hs_portage_free(p2);
	hs_ctx_set_overlay(sc, NULL);
	return r;
}

/* ---- where ------------------------------------------------------------------------------------------------ */

static bool file_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= 200 && !strchr(name, '/') && name[0] != '.' && name[n - 1] != '~' &&
	       strcspn(name, "\n\r\t") == n;
}

/* A name for our file, made from @base, that sorts after every entry of the package.use directory but @name (Portage
 * reads them in code-point order), or NULL when @name already does or none fits. */
static int last_name(hs_ctx *ctx, const char *name, const char *base, char **out)
{
	_cleanup_free_ char *max = NULL, *cand = NULL;
	int fd = hs_root_open(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	*out = NULL;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || de->d_name[l - 1] == '~' || strcmp(de->d_name, name) == 0)
			continue;
		if (!max || strcmp(de->d_name, max) > 0) {
			free(max);
			if (!(max = strdup(de->d_name))) {
				closedir(d);
				return -ENOMEM;
			}
		}
	}
	closedir(d);
	if (!max || strcmp(name, max) > 0)
		return 0;
	if (asprintf(&cand, "zz-%s", base) < 0)
		return -ENOMEM;
	while (strcmp(cand, max) <= 0 && strlen(cand) < 200) {
		char *n = NULL;

		if (asprintf(&n, "z%s", cand) < 0)
			return -ENOMEM;
		free(cand);
		cand = n;
	}
	if (strcmp(cand, max) <= 0)
		return 0;
	*out = TAKE_PTR(cand);
	return 0;
}

/* The file of package.use/ that Portage reads last among those holding homesetup's blocks (an earlier run, maybe
 * with --force-order, chose it): new lines go there too, so that they come after the old ones. NULL: none. */
static int last_own_file(hs_ctx *ctx, char **out)
{
	_cleanup_(hs_strv_freep) char **files = NULL;
	int r;

	*out = NULL;
	if ((r = hs_root_list_config(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, &files)) < 0)
		return r;
	for (size_t i = hs_strv_length(files); i-- > 0;) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;

		if (strchr(files[i] + strlen(PKGUSE_DIR) + 1, '/'))
			continue; /* only files directly in package.use/ */
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, files[i], HS_GETCONFIG_MAX_FILE, &buf, &len);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (hs_useedit_has_marker(buf, len)) {
			*out = strdup(files[i]);
			return *out ? 0 : -ENOMEM;
		}
	}
	return 0;
}

static int pkguse_edit(hs_use_plan *plan, const char *path, bool missing, const char *marker, char *const *lines,
		       hs_edit **out)
{
	_cleanup_(hs_edit_freep) hs_edit *e = NULL;
	int r;

	r = missing ? hs_edit_new_from_buf(plan->ctx, &e, HS_EDIT_CONFIG_ROOT, path, NULL, 0)
		    : hs_edit_new(plan->ctx, &e, HS_EDIT_CONFIG_ROOT, path);
	if (r < 0)
		return r;
	if ((r = hs_useedit_pkguse_append(plan->ctx, e, marker, lines)) < 0)
		return r;
	*out = TAKE_PTR(e);
	return 0;
}

static int place_pkguse(hs_use_plan *plan, const hs_use_options *o, const char *marker)
{
	hs_ctx *ctx = plan->ctx;
	_cleanup_(hs_strv_freep) char **lines = NULL;
	_cleanup_(hs_edit_freep) hs_edit *e = NULL;
	_cleanup_free_ char *path = NULL, *later = NULL;
	const char *base = o->file_name ? o->file_name : DEFAULT_FILE, *name = base;
	defeat d = {0};
	struct stat st;
	bool dir_form;
	int r;

	for (size_t i = 0; i < plan->n_pkgs; i++) {
		_cleanup_buf_ hs_buf b = {0};

		if (plan->pkgs[i].n_changes == 0)
			continue;
		if (hs_buf_puts(&b, plan->pkgs[i].atom) < 0 || put_tokens(&b, &plan->pkgs[i]) < 0 ||
		    hs_strv_push(&lines, b.p, b.len) < 0)
			return -ENOMEM;
	}
	r = hs_root_stat(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, &st);
	if (r == -ENOENT) {
		plan->create_pkguse_dir = true;
		dir_form = true;
	} else if (r < 0)
		return r;
	else if (S_ISDIR(st.st_mode))
		dir_form = true;
	else if (S_ISREG(st.st_mode))
		dir_form = false;
	else
		return hs_ctx_set_error(ctx, -EINVAL, "%s: neither a file nor a directory", PKGUSE_DIR);
	if (dir_form && !o->file_name && !plan->create_pkguse_dir && (r = last_own_file(ctx, &path)) < 0)
		return r;
	if (path)
		name = strrchr(path, '/') + 1;
	else if (dir_form && asprintf(&path, "%s/%s", PKGUSE_DIR, name) < 0)
		return -ENOMEM;
	else if (!dir_form && !(path = strdup(PKGUSE_DIR)))
		return -ENOMEM;

	if ((r = pkguse_edit(plan, path, plan->create_pkguse_dir, marker, lines, &e)) < 0)
		return r;
	r = prove(plan, o->use_env, e, false, &d);
	if (r == -EPERM && o->force_order && d.file && dir_form && !plan->create_pkguse_dir &&
	    strncmp(d.file, PKGUSE_DIR "/", strlen(PKGUSE_DIR) + 1) == 0) {
		_cleanup_free_ char *first = strdup(hs_ctx_last_error(ctx));
		_cleanup_free_ char *lpath = NULL;
		defeat d2 = {0};

		if (!first || (r = last_name(ctx, name, base, &later)) < 0)
			goto out;
		if (!later) {
			r = hs_ctx_set_error(ctx, -EPERM, "%s (--force-order cannot help: %s is read last already)", first,
					     short_path(path));
			goto out;
		}
		if (asprintf(&lpath, "%s/%s", PKGUSE_DIR, later) < 0) {
			r = -ENOMEM;
			goto out;
		}
		hs_edit_free(e);
		e = NULL;
		if ((r = pkguse_edit(plan, lpath, false, marker, lines, &e)) < 0)
			goto out;
		r = prove(plan, o->use_env, e, false, &d2);
		free(d2.file);
		if (r == -EPERM) {
			_cleanup_free_ char *second = strdup(hs_ctx_last_error(ctx));

			r = hs_ctx_set_error(ctx, -EPERM, "%s; even in %s, which Portage reads last: %s", first,
					     short_path(lpath), second ? second : "");
			goto out;
		}
		if (r < 0)
			goto out;
		r = add_note(plan,
			     "%s:%u would override %s, so homesetup writes %s instead: Portage reads the files of "
			     "package.use in code-point order, and this one sorts last (--force-order)",
			     short_path(d.file), d.line, short_path(path), short_path(lpath));
	}
	if (r < 0)
		goto out;
	if ((r = push_edit(plan, e)) >= 0)
		e = NULL;
out:
	free(d.file);
	return r;
}

static int place_makeconf(hs_use_plan *plan, hs_portage *p, const hs_use_options *o, const char *marker)
{
	hs_ctx *ctx = plan->ctx;
	_cleanup_buf_ hs_buf flags = {0};
	_cleanup_(hs_edit_freep) hs_edit *e = NULL;
	_cleanup_free_ char *path = NULL;
	const hs_assign *last = NULL;
	defeat d = {0};
	int r;

	/* one global list: the same flag may not be wanted on for one package and off for another */
	for (size_t i = 0; i < plan->n_pkgs; i++)
		for (size_t j = 0; j < plan->pkgs[i].n_changes; j++) {
			const hs_requse_change *c = &plan->pkgs[i].changes[j];

			for (size_t k = 0; k < i; k++)
				for (size_t m = 0; m < plan->pkgs[k].n_changes; m++)
					if (strcmp(plan->pkgs[k].changes[m].flag, c->flag) == 0 &&
					    plan->pkgs[k].changes[m].enable != c->enable)
						return hs_ctx_set_error(ctx, -EDOM,
									"make.conf's USE applies to every package, "
									"and %s needs '%s' %s while %s needs it %s; "
									"use --target package.use",
									plan->pkgs[k].cpv, c->flag,
									c->enable ? "off" : "on", plan->pkgs[i].cpv,
									c->enable ? "on" : "off");
			{
				bool seen = false;

				for (size_t k = 0; k < i && !seen; k++)
					for (size_t m = 0; m < plan->pkgs[k].n_changes && !seen; m++)
						seen = strcmp(plan->pkgs[k].changes[m].flag, c->flag) == 0;
				if (!seen && ((flags.len && hs_buf_putc(&flags, ' ') < 0) ||
					      hs_buf_printf(&flags, "%s%s", c->enable ? "" : "-", c->flag) < 0))
					return -ENOMEM;
			}
		}

	for (size_t i = 0; i < p->conf_assigns.n; i++)
		if (strcmp(p->conf_assigns.v[i].name, "USE") == 0)
			last = &p->conf_assigns.v[i];
	if (last && last->source_depth > 0)
		return hs_ctx_set_error(ctx, -ENOTSUP,
					"%s:%u: USE is last set here, in a file make.conf reads with 'source'; homesetup "
					"only edits assignments written in make.conf itself: add '%s' to USE in %s by "
					"hand, or use --target package.use",
					last->path, last->line, flags.p, last->path);
	if (last)
		path = strdup(last->path);
	else {
		struct stat st;

		r = hs_root_stat(ctx, HS_ROOT_CONFIG, "/etc/portage/make.conf", &st);
		if (r >= 0 && S_ISDIR(st.st_mode)) {
			_cleanup_(hs_strv_freep) char **files = NULL;
			size_t n;

			if ((r = hs_root_list_config(ctx, HS_ROOT_CONFIG, "/etc/portage/make.conf", &files)) < 0)
				return r;
			n = hs_strv_length(files);
			path = n ? strdup(files[n - 1]) : strdup("/etc/portage/make.conf/" DEFAULT_FILE);
		} else if (r >= 0 || r == -ENOENT)
			path = strdup("/etc/portage/make.conf");
		else
			return r;
	}
	if (!path)
		return -ENOMEM;
	if ((r = hs_edit_new(ctx, &e, HS_EDIT_CONFIG_ROOT, path)) < 0 ||
	    (r = hs_useedit_makeconf_append(ctx, e, marker, flags.p)) < 0)
		return r;
	r = prove(plan, o->use_env, e, true, &d);
	free(d.file);
	if (r < 0)
		return r;
	if ((r = add_note(plan, "make.conf's USE applies to every package that has these flags, not only to %s%s",
			  plan->n_pkgs ? plan->pkgs[0].atom : "", plan->n_pkgs > 1 ? " and the others" : "")) < 0 ||
	    (r = push_edit(plan, e)) < 0)
		return r;
	e = NULL;
	return 0;
}

/* ---- the entry points ------------------------------------------------------------------------------------- */

static int plan_enable(hs_portage *p, hs_use_plan **out, const hs_use_request *reqs, size_t n,
		       const hs_use_options *opts, const char *why)
{
	static const hs_use_options defaults = {0};
	const hs_use_options *o = opts ? opts : &defaults;
	_cleanup_(hs_use_plan_freep) hs_use_plan *plan = NULL;
	_cleanup_free_ char *marker = NULL;
	size_t total = 0;
	int r;

	*out = NULL;
	if (!p || (n && !reqs))
		return -EINVAL;
	if (o->file_name && !file_name_ok(o->file_name))
		return hs_ctx_set_error(p->ctx, -EINVAL,
					"'%s' cannot be the name of a package.use file: a plain name is needed, without "
					"'/', not starting with '.' nor ending with '~' (Portage skips those)",
					o->file_name);
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	plan->ctx = p->ctx;
	plan->pkgs = calloc(n ? n : 1, sizeof(*plan->pkgs));
	if (!plan->pkgs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		plan->n_pkgs++;
		if ((r = plan_package(p, &plan->pkgs[i], &reqs[i])) < 0)
			return r;
		total += plan->pkgs[i].n_changes;
	}
	if (total > 0) {
		if ((r = hs_useedit_marker(&marker, why, o->when)) < 0)
			return r;
		r = o->target == HS_USE_TARGET_MAKE_CONF ? place_makeconf(plan, p, o, marker)
							 : place_pkguse(plan, o, marker);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(plan);
	return 0;
}

int hs_use_plan_enable(hs_portage *p, hs_use_plan **out, const hs_use_request *reqs, size_t n,
		       const hs_use_options *opts)
{
	return plan_enable(p, out, reqs, n, opts, WHY_ASKED);
}

int hs_use_plan_homed(hs_portage *p, hs_use_plan **out, const hs_use_options *opts)
{
	static const char *const homed[] = { "homed", NULL };
	const hs_use_request reqs[] = {
		{ .atom = "sys-apps/systemd", .enable = homed },
		{ .atom = "sys-auth/pambase", .enable = homed },
	};

	return plan_enable(p, out, reqs, ELEMENTSOF(reqs), opts, WHY_HOMED);
}

int hs_use_plan_revert(hs_ctx *ctx, hs_use_plan **out)
{
	static const char *const makeconfs[] = { "/etc/make.conf", "/etc/portage/make.conf" };
	_cleanup_(hs_use_plan_freep) hs_use_plan *plan = NULL;
	_cleanup_(hs_strv_freep) char **files = NULL;
	_cleanup_free_ struct stat *seen = NULL;
	size_t n_pkguse, n_files;
	struct stat st;
	bool dir_form;
	int r;

	*out = NULL;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	plan->ctx = ctx;
	if ((r = hs_root_list_config(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, &files)) < 0)
		return r;
	n_pkguse = hs_strv_length(files);
	dir_form = hs_root_stat(ctx, HS_ROOT_CONFIG, PKGUSE_DIR, &st) >= 0 && S_ISDIR(st.st_mode);
	for (size_t i = 0; i < ELEMENTSOF(makeconfs); i++) {
		_cleanup_(hs_strv_freep) char **more = NULL;

		if ((r = hs_root_list_config(ctx, HS_ROOT_CONFIG, makeconfs[i], &more)) < 0)
			return r;
		for (char **m = more; *m; m++)
			if ((r = hs_strv_push(&files, *m, strlen(*m))) < 0)
				return r;
	}
	n_files = hs_strv_length(files);
	seen = calloc(n_files + 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < n_files; i++) {
		_cleanup_(hs_edit_freep) hs_edit *e = NULL;
		bool dup = false;
		size_t len;

		/* one file under two names (/etc/make.conf -> portage/make.conf) is reverted once */
		if (hs_root_stat(ctx, HS_ROOT_CONFIG, files[i], &seen[i]) >= 0)
			for (size_t j = 0; j < i && !dup; j++)
				dup = seen[j].st_ino == seen[i].st_ino && seen[j].st_dev == seen[i].st_dev &&
				      seen[j].st_ino != 0;
		if (dup)
			continue;
		if ((r = hs_edit_new(ctx, &e, HS_EDIT_CONFIG_ROOT, files[i])) < 0)
			return r;
		r = hs_useedit_revert(ctx, e, i >= n_pkguse);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (i < n_pkguse && dir_form) {
			_cleanup_free_ char *res = NULL;

			if ((r = hs_edit_result(e, &res, &len)) < 0)
				return r;
			if (len == 0) {
				/* a file of ours that held nothing else goes away with its last block */
				_cleanup_(hs_edit_freep) hs_edit *del = NULL;
				const char *orig = hs_edit_original(e, &len);

				if ((r = hs_edit_new_from_buf(ctx, &del, HS_EDIT_CONFIG_ROOT, files[i], orig, len)) < 0 ||
				    (r = hs_edit_delete_file(del)) < 0)
					return r;
				hs_edit_free(e);
				e = TAKE_PTR(del);
			}
		}
		if ((r = push_edit(plan, e)) < 0)
			return r;
		e = NULL;
	}
	*out = TAKE_PTR(plan);
	return 0;
}

int hs_use_plan_commit(hs_use_plan *plan, unsigned flags)
{
	int etc = -1, r = 0;
	bool made_dir = false;

	if (!plan)
		return -EINVAL;
	if (plan->n_edits == 0)
		return 1;
	if (plan->create_pkguse_dir) {
		etc = hs_root_open(plan->ctx, HS_ROOT_CONFIG, "/etc/portage", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (etc < 0)
			return hs_ctx_set_error(plan->ctx, etc, "/etc/portage: cannot open it to create package.use: %s",
						strerror(-etc));
		if (mkdirat(etc, "package.use", 0755) == 0)
			made_dir = true;
		else if (errno != EEXIST) {
			r = hs_ctx_set_error(plan->ctx, -errno, "%s: cannot create the directory: %s", PKGUSE_DIR,
					     strerror(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < plan->n_edits; i++) {
		r = hs_edit_commit(plan->edits[i], flags);
		if (r < 0) {
			/* nothing written: leave no empty directory behind either */
			if (made_dir && i == 0)
				(void)unlinkat(etc, "package.use", AT_REMOVEDIR);
			goto out;
		}
	}
	r = 0;
out:
	if (etc >= 0)
		close(etc);
	return r;
}
