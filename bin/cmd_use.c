/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup use: the USE flags Portage would build a package with, and why.
 *
 * `use` is a family of subcommands dispatched through use_subcommands[] below; each entry has its own run and
 * help function. `show` (this file) only reads: it loads Portage's configuration under the context's roots,
 * asks the library for the effective USE of each package with its provenance, compares it with what the VDB
 * says was built, and evaluates REQUIRED_USE. The JSON form is documented in doc/use-json.md.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_portage, hs_portage_free)

/* ---- the subcommand table --------------------------------------------------------------------------- */

struct use_subcommand {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;
	void (*help)(FILE *out);
};

static int use_show(struct cli *cli, int argc, char **argv);
static void help_use_show(FILE *out);

static const struct use_subcommand use_subcommands[] = {
	{ "show", use_show, "the USE a package would be built with, why, and REQUIRED_USE", help_use_show },
	{ "enable", use_enable, "turn on what systemd-homed needs (or ATOM FLAG...), proven, undoable", help_use_enable },
	{ "disable", use_disable, "turn ATOM FLAG... off, with what REQUIRED_USE then needs", help_use_disable },
	{ "revert", use_revert, "remove every USE change homesetup made", help_use_revert },
};

/* Without a subcommand (or with only options) `use` means `use show`. */
static const char *const use_default_subcommand = "show";

void help_use(FILE *out)
{
	fprintf(out, "Usage: homesetup use SUBCOMMAND [ARGS...]\n\nSubcommands:\n");
	for (size_t i = 0; i < sizeof(use_subcommands) / sizeof(use_subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", use_subcommands[i].name, use_subcommands[i].summary);
	fprintf(out, "\nWithout a subcommand, '%s' is run.\n", use_default_subcommand);
	for (size_t i = 0; i < sizeof(use_subcommands) / sizeof(use_subcommands[0]); i++) {
		fputc('\n', out);
		use_subcommands[i].help(out);
	}
}

int cmd_use(struct cli *cli, int argc, char **argv)
{
	const char *name = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;

	for (size_t i = 0; i < sizeof(use_subcommands) / sizeof(use_subcommands[0]); i++) {
		const struct use_subcommand *s = &use_subcommands[i];

		if (strcmp(s->name, name ? name : use_default_subcommand) != 0)
			continue;
		optind = 0;
		if (name)
			return s->run(cli, argc - 1, argv + 1);
		/* `homesetup use [--all]`: run the default with the options as given (argv[0] stands in). */
		return s->run(cli, argc, argv);
	}
	return cli_error(cli, "use: unknown subcommand '%s' (see '%s help use')", name, cli->prog);
}

/* ---- use show --------------------------------------------------------------------------------------- */

static void help_use_show(FILE *out)
{
	fprintf(out,
		"Usage: homesetup use show [ATOM...] [--all] [--json] [--root DIR] [--config-root DIR]\n"
		"\n"
		"Read Portage's configuration the way Portage does (make.conf, package.use, the profile stack,\n"
		"repos.conf, the ebuild metadata, the installed-package database) and show, for each package\n"
		"(default: sys-apps/systemd and sys-auth/pambase):\n"
		"  - the version emerge would build (cpv::repo, SLOT, stable or testing) and the installed one;\n"
		"  - the USE flags that matter for systemd-homed (homed and every flag REQUIRED_USE ties to it),\n"
		"    each on (+) or off (-) with the file and line that decided it; (+flag)/(-flag) are forced\n"
		"    or masked by the profile, as emerge shows them;\n"
		"  - the USE the installed version was built with, and what a rebuild would change;\n"
		"  - whether REQUIRED_USE is satisfied, with emerge's message when it is not.\n"
		"\n"
		"Options:\n"
		"      --all              every IUSE flag, and the whole profile stack\n"
		"      --json             the same as data (see doc/use-json.md)\n"
		"  -R, --root DIR         ROOT: where var/db/pkg is read (env ROOT)\n"
		"      --config-root DIR  PORTAGE_CONFIGROOT: where etc/portage is read (env PORTAGE_CONFIGROOT;\n"
		"                         default: ROOT)\n"
		"  -q, --quiet            print only unsatisfied REQUIRED_USE constraints\n"
		"  -h, --help             this help\n"
		"\n"
		"USE, USE_EXPAND variables (PYTHON_TARGETS ...) and ACCEPT_KEYWORDS in the environment count,\n"
		"as they do for emerge. Portage's warnings about the configuration go to standard error.\n"
		"\n"
		"Exit status: 0 REQUIRED_USE is satisfied for every package shown, 1 it is not for at least one,\n"
		"2 usage error, unreadable or invalid configuration, or a package that cannot be found.\n");
}

static const char *const default_atoms[] = { "sys-apps/systemd", "sys-auth/pambase" };

#define C_BLUE "\033[34;01m"

/* Everything `use show` learns about one package, for either output form. */
struct pkg_report {
	const char *arg;             /* the atom as given */
	hs_pkg_use *u;               /* NULL when it could not be computed (then error is set) */
	char *error;                 /* why u or the installed lookup failed */
	hs_installed **inst;         /* installed versions of the package (any slot) */
	size_t n_inst;
	const hs_installed *installed; /* the one compared with: same slot, else the highest; NULL if none */
	hs_useset *installed_use;    /* its VDB USE restricted to its IUSE (comparable with the enabled set) */
	hs_useset *iuse;             /* IUSE flag names of the version that would be built (on and off) */
	hs_useset *relevant;         /* flags shown without --all */
	hs_useset *adds, *removes;   /* a rebuild would turn these on / off */
	int requse_ok;               /* 1 satisfied, 0 not, negative errno: cannot be evaluated */
};

static void pkg_report_done(struct pkg_report *rep)
{
	hs_pkg_use_free(rep->u);
	free(rep->error);
	hs_installed_list_free(rep->inst, rep->n_inst);
	hs_useset_free(rep->installed_use);
	hs_useset_free(rep->iuse);
	hs_useset_free(rep->relevant);
	hs_useset_free(rep->adds);
	hs_useset_free(rep->removes);
}

static int report_error(struct pkg_report *rep, const char *what, const char *msg)
{
	size_t n = strlen(what) + strlen(msg) + 3;

	free(rep->error);
	rep->error = malloc(n);
	if (!rep->error)
		return -ENOMEM;
	snprintf(rep->error, n, "%s%s%s", what, *msg ? ": " : "", msg);
	return 0;
}

static int eapi_number(const char *eapi)
{
	char *end;
	long v = strtol(eapi ? eapi : "", &end, 10);

	/* Non-numeric EAPIs are Portage extensions of the newest one. */
	return end == eapi || *end || v < 0 || v > 8 ? 8 : (int)v;
}

/* Call fn on each top-level item of a REQUIRED_USE string: "a", "!b", "x? ( … )", "|| ( … )", "( … )". */
static int requse_items(const char *s, int (*fn)(const char *item, size_t len, void *data), void *data)
{
	const char *p = s;

	for (;;) {
		const char *start;
		int depth = 0, r;

		p += strspn(p, " \t\n");
		if (!*p)
			return 0;
		start = p;
		for (;;) {
			size_t n = strcspn(p, " \t\n");
			bool opener = p[n - 1] == '?' || (n == 2 && (!strncmp(p, "||", 2) || !strncmp(p, "^^", 2)));

			if (n == 1 && *p == '(')
				depth++;
			else if (n == 1 && *p == ')')
				depth--;
			p += n;
			if (depth <= 0 && !opener)
				break;
			p += strspn(p, " \t\n");
			if (!*p)
				break;
		}
		r = fn(start, (size_t)(p - start), data);
		if (r < 0)
			return r;
	}
}

struct relevant_walk {
	hs_useset *out;
	int eapi;
	const char *flag;   /* the flag whose ties are wanted ("homed") */
};

/* If the item names walk->flag, every flag it names is relevant. Items that do not parse are the library's
 * business (REQUIRED_USE evaluation reports them); they are skipped here. */
static int relevant_item(const char *item, size_t len, void *data)
{
	struct relevant_walk *w = data;
	_cleanup_(hs_requse_freep) hs_requse *r = NULL;
	_cleanup_(hs_useset_freep) hs_useset *flags = NULL;

	if (hs_requse_parse(NULL, &r, item, len, w->eapi) < 0)
		return 0;
	if (hs_requse_flags(r, &flags) < 0)
		return -ENOMEM;
	if (hs_useset_has(flags, w->flag, strlen(w->flag)))
		return hs_useset_union(w->out, flags);
	return 0;
}

/* The flags that matter for homed: homed itself, every flag of a top-level REQUIRED_USE item that names it
 * (for systemd `homed? ( cryptsetup pam openssl )`, `passwdqc? ( homed )` …; for pambase the conflicting
 * `pam_krb5`), and every flag of the unsatisfied part, so what blocks the build is always shown. */
static int relevant_flags(struct pkg_report *rep)
{
	const hs_pkg_use *u = rep->u;
	struct relevant_walk w = { .eapi = eapi_number(hs_pkg_use_eapi(u)), .flag = "homed" };
	const char *unsat = rep->requse_ok == 0 ? hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_RAW) : "";
	int r;

	r = hs_useset_new(&rep->relevant);
	if (r < 0)
		return r;
	w.out = rep->relevant;
	if (hs_useset_has(rep->iuse, "homed", 5)) {
		r = hs_useset_add(rep->relevant, "homed", 5);
		if (r < 0)
			return r;
		r = requse_items(hs_pkg_use_required_use(u), relevant_item, &w);
		if (r < 0)
			return r;
	}
	if (unsat && *unsat) {
		_cleanup_(hs_requse_freep) hs_requse *req = NULL;
		_cleanup_(hs_useset_freep) hs_useset *flags = NULL;

		if (hs_requse_parse(NULL, &req, unsat, strlen(unsat), w.eapi) == 0) {
			r = hs_requse_flags(req, &flags);
			if (r < 0)
				return r;
			r = hs_useset_union(rep->relevant, flags);
			if (r < 0)
				return r;
		}
	}
	hs_useset_intersect(rep->relevant, rep->iuse);
	return 0;
}

/* The installed version to compare with: the one in the slot that would be built, else the highest. */
static const hs_installed *pick_installed(hs_installed **inst, size_t n, const char *slot)
{
	size_t slot_len = strcspn(slot ? slot : "", "/");

	for (size_t i = n; i-- > 0;) {
		const char *s = hs_installed_slot(inst[i]);

		if (slot && strlen(s) == slot_len && strncmp(s, slot, slot_len) == 0)
			return inst[i];
	}
	return n ? inst[n - 1] : NULL;
}

static int installed_state(struct cli *cli, struct pkg_report *rep, const hs_atom *atom)
{
	_cleanup_(hs_atom_freep) hs_atom *cp_atom = NULL;
	_cleanup_(hs_iuse_freep) hs_iuse *iiuse = NULL;
	_cleanup_free_ char *cp = NULL;
	const char *iuse_str;
	int r;

	/* Any installed version of the package, whatever version the atom asks for. */
	r = hs_atom_cp(atom, &cp);
	if (r < 0)
		return r;
	r = hs_atom_parse(cli->ctx, &cp_atom, cp, strlen(cp), HS_ATOM_PMS);
	if (r < 0)
		return report_error(rep, "installed packages", hs_ctx_last_error(cli->ctx));
	hs_ctx_clear_error(cli->ctx);
	r = hs_vdb_find(cli->ctx, &rep->inst, &rep->n_inst, cp_atom);
	if (r < 0) {
		rep->inst = NULL, rep->n_inst = 0;
		r = report_error(rep, "cannot read the installed-package database", hs_ctx_last_error(cli->ctx));
		return r < 0 ? r : 1;
	}
	rep->installed = pick_installed(rep->inst, rep->n_inst, rep->u ? hs_pkg_use_slot(rep->u) : NULL);
	if (!rep->installed)
		return 0;

	r = hs_useset_dup(&rep->installed_use, hs_installed_use(rep->installed));
	if (r < 0)
		return r;
	/* The VDB's USE holds implicit flags (amd64, elibc_glibc …) too: keep the IUSE flags it was built with.
	 * Without a recorded IUSE, compare against the IUSE of the version that would be built. */
	iuse_str = hs_installed_iuse(rep->installed);
	if (iuse_str && *iuse_str && hs_iuse_parse(NULL, &iiuse, iuse_str, strlen(iuse_str)) == 0)
		hs_useset_intersect(rep->installed_use, hs_iuse_flags(iiuse));
	else if (rep->iuse)
		hs_useset_intersect(rep->installed_use, rep->iuse);
	if (!rep->u)
		return 0;

	r = hs_useset_dup(&rep->adds, hs_pkg_use_enabled(rep->u));
	if (r < 0)
		return r;
	hs_useset_subtract(rep->adds, rep->installed_use);
	r = hs_useset_dup(&rep->removes, rep->installed_use);
	if (r < 0)
		return r;
	hs_useset_subtract(rep->removes, hs_pkg_use_enabled(rep->u));
	return 0;
}

/* Fill a report. Returns 0 (problems with the package itself end up in rep->error) or -ENOMEM. */
static int pkg_report_fill(struct cli *cli, hs_portage *p, struct pkg_report *rep, const hs_atom *atom)
{
	int r;

	hs_ctx_clear_error(cli->ctx);
	r = hs_portage_effective_use(p, &rep->u, atom, HS_EFFECTIVE_DEFAULT);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		const char *msg = hs_ctx_last_error(cli->ctx);

		rep->u = NULL;
		/* The library's message names the atom already ("app-misc/foo: no ebuild of this package …"). */
		r = *msg ? report_error(rep, msg, "") : report_error(rep, rep->arg, strerror(-r));
		if (r < 0)
			return r;
	} else {
		r = hs_useset_dup(&rep->iuse, hs_pkg_use_enabled(rep->u));
		if (r < 0)
			return r;
		r = hs_useset_union(rep->iuse, hs_pkg_use_disabled(rep->u));
		if (r < 0)
			return r;
		rep->requse_ok = hs_pkg_use_required_use_ok(rep->u);
		r = relevant_flags(rep);
		if (r < 0)
			return r;
	}
	r = installed_state(cli, rep, atom);
	return r < 0 ? r : 0;
}

/* ---- provenance text ---------------------------------------------------------------------------------- */

/* A file as an admin names it: "package.use/systemd" for /etc/portage/…, "profile default/linux/make.defaults"
 * for a profile node, "profiles/use.mask" for a repository's top-level profile files, else the path. */
static void put_file(FILE *out, const char *file, unsigned line)
{
	const char *prof = strstr(file, "/profiles/");

	if (strncmp(file, "/etc/portage/", 13) == 0)
		fputs(file + 13, out);
	else if (prof && strchr(prof + 10, '/'))
		fprintf(out, "profile %s", prof + 10);
	else if (prof)
		fputs(prof + 1, out);
	else
		fputs(file, out);
	if (line)
		fprintf(out, ":%u", line);
}

/* Where the flag's state came from, e.g. "package.use/systemd:2", "IUSE default", "make.conf:14 (-*)". */
static void put_origin(FILE *out, const hs_flag_origin *o)
{
	const char *layer = o->layer ? o->layer : "none";
	/* Only tokens that do not simply name the flag are worth repeating: `-*`, `-python_targets_*` … */
	bool show_token = o->token && *o->token && strcmp(o->token, o->flag) != 0 &&
			  !((o->token[0] == '-' || o->token[0] == '+') && strcmp(o->token + 1, o->flag) == 0);

	if (strcmp(layer, "pkginternal") == 0)
		fputs("IUSE default", out);
	else if (strcmp(layer, "none") == 0)
		fputs("not enabled anywhere", out);
	else if (strcmp(layer, "env") == 0)
		fputs("environment", out);
	else if (o->file)
		put_file(out, o->file, o->line);
	else
		fputs(layer, out);
	if (strcmp(layer, "features") == 0)
		fputs(" (FEATURES=test)", out);
	if (show_token)
		fprintf(out, " (%s)", o->token);
}

/* What the deciding token asked for, before masks and forces: 1 on, 0 off, -1 cannot tell (e.g. a USE_EXPAND
 * assignment `PYTHON_TARGETS=…`, which turns one flag of the group on and the others off). Only the token's last
 * word counts: "PYTHON_SINGLE_TARGET: -*" asks for off. */
static int origin_wants(const hs_flag_origin *o)
{
	const char *w;

	if (!o->token || !o->layer || strcmp(o->layer, "none") == 0)
		return -1;
	w = strrchr(o->token, ' ');
	w = w ? w + 1 : o->token;
	if (strcmp(w, o->flag) == 0 || (w[0] == '+' && strcmp(w + 1, o->flag) == 0))
		return 1;
	if (w[0] == '-')
		return 0;
	return -1;
}

/* ---- human output ----------------------------------------------------------------------------------- */

static void print_flag(struct cli *cli, const hs_pkg_use *u, const char *flag, int width)
{
	const hs_flag_origin *o = hs_pkg_use_origin_of(u, flag);
	bool on = hs_useset_has(hs_pkg_use_enabled(u), flag, strlen(flag));
	bool masked = o ? o->masked : hs_useset_has(hs_pkg_use_masked(u), flag, strlen(flag));
	bool forced = !masked && (o ? o->forced : hs_useset_has(hs_pkg_use_forced(u), flag, strlen(flag)));
	bool paren = masked || forced;
	int len = (int)strlen(flag) + 1 + (paren ? 2 : 0);

	/* emerge's colours: enabled red, disabled blue; forced and masked flags in parentheses. */
	printf("        %s%s%c%s%s%s%*s  ", paren ? "(" : "", cli_c(cli, on ? C_BAD : C_BLUE), on ? '+' : '-', flag,
	       cli_c(cli, C_RESET), paren ? ")" : "", width > len ? width - len : 0, "");
	if (!o) {
		fputs(masked ? "masked by the profile" : forced ? "forced by the profile" : "", stdout);
	} else if (masked || forced) {
		fputs(masked ? "masked by " : "forced by ", stdout);
		if (o->mask_file)
			put_file(stdout, o->mask_file, o->mask_line);
		else
			fputs("the profile", stdout);
		/* Say what the mask or force overrides, so the admin knows why their line has no effect. */
		if (origin_wants(o) == (masked ? 1 : 0)) {
			fputs(" (overrides ", stdout);
			put_origin(stdout, o);
			putchar(')');
		}
	} else {
		put_origin(stdout, o);
	}
	putchar('\n');
}

static void print_use_list(const hs_useset *set)
{
	for (size_t i = 0; i < hs_useset_count(set); i++)
		printf("%s%s", i ? " " : "", hs_useset_get(set, i));
}

static void print_stack(struct cli *cli, const hs_portage *p, bool all)
{
	size_t n = hs_portage_profile_count(p);
	const char *user = NULL, *last = NULL;

	if (n == 0) {
		printf(" %s*%s No profile\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET));
		return;
	}
	if (all) {
		printf(" %s*%s Profile stack (parents first):\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET));
		for (size_t i = 0; i < n; i++)
			printf("      %s\n", hs_portage_profile(p, i));
		return;
	}
	for (size_t i = n; i-- > 0;) {
		const char *node = hs_portage_profile(p, i);

		if (strcmp(node, "/etc/portage/profile") == 0)
			user = node;
		else if (!last)
			last = node;
	}
	printf(" %s*%s Profile: %s%s%s (%zu nodes%s)\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
	       cli_c(cli, C_BOLD), last ? last : user, cli_c(cli, C_RESET), n, user ? ", with /etc/portage/profile" : "");
}

static void print_requse(struct cli *cli, const struct pkg_report *rep, bool all)
{
	const hs_pkg_use *u = rep->u;
	const char *cpv = hs_pkg_use_cpv(u), *reduced;
	const char *full_raw = hs_pkg_use_required_use(u);
	_cleanup_(hs_requse_freep) hs_requse *req = NULL;
	_cleanup_free_ char *full = NULL;

	if (rep->requse_ok > 0) {
		if (!cli->quiet)
			printf(" %s*%s REQUIRED_USE of %s is satisfied.\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), cpv);
		return;
	}
	if (rep->requse_ok < 0) {
		printf(" %s*%s REQUIRED_USE of %s cannot be evaluated: %s\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET),
		       cpv, strerror(-rep->requse_ok));
		return;
	}
	/* emerge's wording (depgraph.py), indentation included. */
	reduced = hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_HUMAN);
	printf(" %s*%s REQUIRED_USE of %s is not satisfied:\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET), cpv);
	printf("\n  The following REQUIRED_USE flag constraints are unsatisfied:\n    %s\n", reduced);
	/* emerge goes on with the whole expression when the reduced one is only part of it (--all only: it is long). */
	if (all && hs_requse_parse(NULL, &req, full_raw, strlen(full_raw), eapi_number(hs_pkg_use_eapi(u))) == 0 &&
	    hs_requse_format(req, HS_REQUSE_HUMAN, &full) == 0 && strcmp(full, reduced) != 0)
		printf("\n  The above constraints are a subset of the following complete expression:\n    %s\n", full);
}

static void print_package(struct cli *cli, const struct pkg_report *rep, bool all)
{
	const hs_pkg_use *u = rep->u;
	const char *good = cli_c(cli, C_GOOD), *reset = cli_c(cli, C_RESET), *hl = cli_c(cli, C_HILITE);
	_cleanup_(hs_useset_freep) hs_useset *shown = NULL;
	const hs_useset *list;
	int width = 0;

	if (cli->quiet) {
		if (rep->requse_ok <= 0)
			print_requse(cli, rep, all);
		return;
	}
	printf("\n %s*%s %s%s%s\n", good, reset, cli_c(cli, C_BOLD), rep->arg, reset);
	printf("      would build:  %s%s::%s%s  SLOT=\"%s\"  %s\n", hl, hs_pkg_use_cpv(u), hs_pkg_use_repo(u), reset,
	       hs_pkg_use_slot(u), hs_pkg_use_stable(u) ? "stable" : "testing");
	if (rep->installed) {
		const char *repo = hs_installed_repo(rep->installed);
		const char *slot = hs_installed_slot(rep->installed), *sub = hs_installed_subslot(rep->installed);

		printf("      installed:    %s%s%s  SLOT=\"%s%s%s\"\n", hs_installed_cpv(rep->installed),
		       *repo ? "::" : "", repo, slot, strcmp(sub, slot) ? "/" : "", strcmp(sub, slot) ? sub : "");
	} else {
		printf("      installed:    (not installed)\n");
	}

	/* homed first, then the others in byte order. */
	list = all ? rep->iuse : rep->relevant;
	if (hs_useset_dup(&shown, list) < 0)
		return;
	for (size_t i = 0; i < hs_useset_count(shown); i++) {
		const char *f = hs_useset_get(shown, i);
		int w = (int)strlen(f) + 3;

		width = w > width ? w : width;
	}
	if (hs_useset_count(shown) == 0) {
		printf("      USE flags:    none of its flags concern homed (--all lists them)\n");
	} else {
		printf("      USE flags%s:\n", all ? "" : " for homed");
		if (hs_useset_has(shown, "homed", 5)) {
			print_flag(cli, u, "homed", width);
			hs_useset_remove(shown, "homed", 5);
		}
		for (size_t i = 0; i < hs_useset_count(shown); i++)
			print_flag(cli, u, hs_useset_get(shown, i), width);
	}

	if (rep->installed) {
		printf("      built with:   USE=\"");
		print_use_list(rep->installed_use);
		printf("\"\n");
		if (hs_useset_count(rep->adds) == 0 && hs_useset_count(rep->removes) == 0) {
			printf("      a rebuild:    would change no USE flag\n");
		} else {
			printf("      a rebuild:    would");
			if (hs_useset_count(rep->adds)) {
				printf(" turn on ");
				print_use_list(rep->adds);
			}
			if (hs_useset_count(rep->removes)) {
				printf("%s turn off ", hs_useset_count(rep->adds) ? ";" : "");
				print_use_list(rep->removes);
			}
			putchar('\n');
		}
	}
	print_requse(cli, rep, all);
}

static int print_human(struct cli *cli, const hs_portage *p, struct pkg_report *reps, size_t n, bool all)
{
	if (!cli->quiet)
		print_stack(cli, p, all);
	for (size_t i = 0; i < n; i++) {
		if (!reps[i].u)
			continue; /* reported on stderr */
		print_package(cli, &reps[i], all);
	}
	return 0;
}

/* ---- JSON output ---------------------------------------------------------------------------------------- */

static struct json_object *json_set(const hs_useset *set)
{
	struct json_object *a;

	if (!set)
		return NULL;
	a = json_object_new_array();
	for (size_t i = 0; a && i < hs_useset_count(set); i++)
		json_object_array_add(a, cli_json_str(hs_useset_get(set, i)));
	return a;
}

static struct json_object *json_flag(const hs_flag_origin *o)
{
	struct json_object *f = json_object_new_object();

	if (!f)
		return NULL;
	cli_json_add(f, "enabled", json_object_new_boolean(o->enabled));
	cli_json_add(f, "layer", cli_json_str(o->layer ? o->layer : "none"));
	cli_json_add(f, "file", cli_json_str(o->file));
	cli_json_add(f, "line", o->line ? json_object_new_int64(o->line) : NULL);
	cli_json_add(f, "token", cli_json_str(o->token));
	cli_json_add(f, "masked", json_object_new_boolean(o->masked));
	cli_json_add(f, "forced", json_object_new_boolean(o->forced));
	cli_json_add(f, "mask_file", cli_json_str(o->mask_file));
	cli_json_add(f, "mask_line", o->mask_file && o->mask_line ? json_object_new_int64(o->mask_line) : NULL);
	return f;
}

static struct json_object *json_package(const struct pkg_report *rep)
{
	const hs_pkg_use *u = rep->u;
	struct json_object *o = json_object_new_object(), *flags, *inst = NULL;

	if (!o)
		return NULL;
	cli_json_add(o, "atom", cli_json_str(rep->arg));
	if (rep->error)
		cli_json_add(o, "error", cli_json_str(rep->error));
	if (u) {
		const char *unsat_raw = hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_RAW);
		const char *unsat_human = hs_pkg_use_required_use_unsatisfied(u, HS_REQUSE_HUMAN);
		bool unsat = rep->requse_ok == 0;

		cli_json_add(o, "cpv", cli_json_str(hs_pkg_use_cpv(u)));
		cli_json_add(o, "repo", cli_json_str(hs_pkg_use_repo(u)));
		cli_json_add(o, "slot", cli_json_str(hs_pkg_use_slot(u)));
		cli_json_add(o, "eapi", cli_json_str(hs_pkg_use_eapi(u)));
		cli_json_add(o, "stable", json_object_new_boolean(hs_pkg_use_stable(u)));
		cli_json_add(o, "iuse", cli_json_str(hs_pkg_use_iuse(u)));
		cli_json_add(o, "use", json_set(hs_pkg_use_enabled(u)));
		cli_json_add(o, "use_disabled", json_set(hs_pkg_use_disabled(u)));
		cli_json_add(o, "portage_use", json_set(hs_pkg_use_portage_use(u)));
		cli_json_add(o, "masked_iuse", json_set(hs_pkg_use_masked(u)));
		cli_json_add(o, "forced_iuse", json_set(hs_pkg_use_forced(u)));
		cli_json_add(o, "relevant_flags", json_set(rep->relevant));
		flags = json_object_new_object();
		for (size_t i = 0; flags && i < hs_useset_count(rep->iuse); i++) {
			const char *name = hs_useset_get(rep->iuse, i);
			const hs_flag_origin *fo = hs_pkg_use_origin_of(u, name);

			if (fo)
				cli_json_add(flags, name, json_flag(fo));
		}
		cli_json_add(o, "flags", flags);
		cli_json_add(o, "required_use", cli_json_str(hs_pkg_use_required_use(u)));
		cli_json_add(o, "required_use_ok", rep->requse_ok < 0 ? NULL : json_object_new_boolean(rep->requse_ok));
		cli_json_add(o, "required_use_unsatisfied", unsat ? cli_json_str(unsat_raw) : NULL);
		cli_json_add(o, "required_use_unsatisfied_human", unsat ? cli_json_str(unsat_human) : NULL);
	}
	if (rep->installed) {
		const hs_installed *i = rep->installed;

		inst = json_object_new_object();
		if (inst) {
			cli_json_add(inst, "cpv", cli_json_str(hs_installed_cpv(i)));
			cli_json_add(inst, "repo", cli_json_str(*hs_installed_repo(i) ? hs_installed_repo(i) : NULL));
			cli_json_add(inst, "slot", cli_json_str(hs_installed_slot(i)));
			cli_json_add(inst, "subslot", cli_json_str(hs_installed_subslot(i)));
			cli_json_add(inst, "use", json_set(hs_installed_use(i)));
			cli_json_add(inst, "pkguse", cli_json_str(hs_installed_pkguse(i)));
			cli_json_add(inst, "path", cli_json_str(hs_installed_path(i)));
		}
	}
	cli_json_add(o, "installed", inst);
	cli_json_add(o, "installed_use", json_set(rep->installed_use));
	cli_json_add(o, "rebuild_enables", json_set(rep->adds));
	cli_json_add(o, "rebuild_disables", json_set(rep->removes));
	return o;
}

static int print_json(struct cli *cli, const hs_portage *p, const struct pkg_report *reps, size_t n)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *stack, *pkgs;

	if (!o)
		return -1;
	cli_json_add(o, "root", cli_json_str(hs_ctx_get_root(cli->ctx)));
	cli_json_add(o, "config_root", cli_json_str(hs_ctx_get_config_root(cli->ctx)));
	stack = json_object_new_array();
	for (size_t i = 0; stack && i < hs_portage_profile_count(p); i++)
		json_object_array_add(stack, cli_json_str(hs_portage_profile(p, i)));
	cli_json_add(o, "profile_stack", stack);
	pkgs = json_object_new_array();
	for (size_t i = 0; pkgs && i < n; i++)
		json_object_array_add(pkgs, json_package(&reps[i]));
	cli_json_add(o, "packages", pkgs);
	return cli_json_print(o, true);
}

/* ---- the command ---------------------------------------------------------------------------------------- */

static void reports_free(struct pkg_report **reps, size_t n)
{
	for (size_t i = 0; *reps && i < n; i++)
		pkg_report_done(&(*reps)[i]);
	free(*reps);
}

static int use_show(struct cli *cli, int argc, char **argv)
{
	enum { OPT_ALL = 0x100 };
	static const struct option options[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_portage_freep) hs_portage *p = NULL;
	struct pkg_report *reps = NULL;
	hs_atom **atoms = NULL;
	const char *const *args;
	size_t n = 0;
	bool all = false;
	int c, r, code = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_ALL: all = true; break;
		case 'h':
			help_use_show(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "use show", c, argv);
		}
	}
	if (optind < argc) {
		args = (const char *const *)argv + optind;
		n = (size_t)(argc - optind);
	} else {
		args = default_atoms;
		n = sizeof(default_atoms) / sizeof(default_atoms[0]);
	}

	/* Every atom is checked before any file is read, so a typo costs nothing. */
	atoms = calloc(n, sizeof(*atoms));
	reps = calloc(n, sizeof(*reps));
	if (!atoms || !reps) {
		code = cli_error(cli, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		reps[i].arg = args[i];
		r = hs_atom_parse(cli->ctx, &atoms[i], args[i], strlen(args[i]),
				  HS_ATOM_ALLOW_REPO | HS_ATOM_NO_USE | HS_ATOM_NO_BLOCKER);
		if (r < 0) {
			atoms[i] = NULL;
			code = cli_lib_error(cli, EXIT_USAGE, "use show: invalid atom");
			goto out;
		}
	}

	r = hs_portage_load(cli->ctx, &p, true);
	cli_flush_warnings(cli);
	if (r < 0) {
		p = NULL;
		code = cli_lib_error(cli, EXIT_USAGE, "cannot read Portage's configuration");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = pkg_report_fill(cli, p, &reps[i], atoms[i]);
		if (r < 0) {
			code = cli_error(cli, "use show: %s", strerror(-r));
			goto out;
		}
		if (reps[i].error) {
			cli_error(cli, "%s", reps[i].error);
			code = EXIT_USAGE;
		} else if (reps[i].requse_ok < 0) {
			cli_error(cli, "REQUIRED_USE of %s cannot be evaluated: %s", hs_pkg_use_cpv(reps[i].u),
				  strerror(-reps[i].requse_ok));
			code = EXIT_USAGE;
		} else if (reps[i].requse_ok == 0 && code == EXIT_OK) {
			code = EXIT_NEEDS_ACTION;
		}
	}
	cli_flush_warnings(cli);

	if (cli->json)
		r = print_json(cli, p, reps, n);
	else
		r = print_human(cli, p, reps, n, all);
	if (r < 0) {
		code = cli_error(cli, "out of memory");
		goto out;
	}
	code = cli_finish(cli, code);
out:
	for (size_t i = 0; atoms && i < n; i++)
		hs_atom_free(atoms[i]);
	free(atoms);
	reports_free(&reps, n);
	return code;
}
