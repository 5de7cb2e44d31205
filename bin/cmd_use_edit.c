/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup use enable | disable | revert: change USE flags in package.use or make.conf, proven before they are
 * written, and undo them. The library plans (hs_use_plan_*): which flags the real REQUIRED_USE needs and why,
 * the edit of one file, and a second reading of Portage's configuration through that edit in memory. This file
 * shows the plan (each flag with its reason, the unified diff, notes), asks when told to, writes, and says what
 * to run next.
 *
 * --json prints one object: {"action": "enable"|"disable"|"revert", "target": "package.use"|"make.conf"|null,
 * "packages": [{"atom", "cpv", "changes": [{"flag", "enable", "reason"}]}], "files": [{"path", "created",
 * "removed", "diff", "backup"}], "notes": [...], "nothing_to_do": bool, "written": bool}; a refusal prints no
 * JSON, only the message on standard error, with exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_portage, hs_portage_free)
CLI_DEFINE_FREEP(hs_use_plan, hs_use_plan_free)

#define NEXT_EMERGE "emerge --ask --update --changed-use --deep @world"
#define NEXT_REEXEC "systemctl daemon-reexec"

enum use_action { ACTION_ENABLE, ACTION_DISABLE, ACTION_REVERT };

struct edit_opts {
	enum use_action action;
	hs_use_options lib;
	bool pretend, ask, backup;
	bool homed;            /* `use enable` without arguments: the set systemd-homed needs */
};

/* ---- help ------------------------------------------------------------------------------------------------ */

static void help_common_options(FILE *out, bool revert)
{
	if (!revert)
		fprintf(out,
			"      --target WHERE   package.use (default): a file of homesetup's in the package.use\n"
			"                       directory (created when missing), or its lines appended when\n"
			"                       package.use is a file; make.conf: the flags added to the value of\n"
			"                       make.conf's last USE assignment, every other byte kept (global: every\n"
			"                       package with these flags gets them)\n"
			"      --file NAME      the name of homesetup's file in package.use/ (default: homed)\n"
			"      --force-order    when a package.use file read later would override homesetup's lines,\n"
			"                       name homesetup's file so that Portage reads it last, instead of refusing\n");
	fprintf(out,
		"  -p, --pretend        show the flags and the diff, write nothing (exit 1 when there is\n"
		"                       something to do)\n"
		"  -a, --ask            show them, then ask before writing (needs a terminal)\n"
		"      --backup         keep each old file as a hard link <file>.homesetup-<time>~ (Portage\n"
		"                       skips names ending in ~)\n"
		"      --json           the plan (and what was written) as JSON\n"
		"  -R, --root DIR       ROOT (env ROOT)\n"
		"      --config-root DIR  PORTAGE_CONFIGROOT: where etc/portage is (default: ROOT)\n"
		"  -h, --help           this help\n");
}

void help_use_enable(FILE *out)
{
	fprintf(out,
		"Usage: homesetup use enable [OPTIONS]\n"
		"       homesetup use enable [OPTIONS] ATOM FLAG...\n"
		"\n"
		"Without arguments: turn on what systemd-homed needs, worked out from the REQUIRED_USE of the\n"
		"versions emerge would build: homed for sys-apps/systemd and sys-auth/pambase, plus the flags\n"
		"REQUIRED_USE then needs (systemd: homed? ( cryptsetup pam openssl )), turning off any that\n"
		"conflict (pambase: homed? ( !pam_krb5 )). With ATOM FLAG...: turn those flags on for ATOM,\n"
		"and whatever its REQUIRED_USE needs with them. Flags masked or forced by the profile are never\n"
		"changed. Each flag is shown with its reason, then the change as a unified diff.\n"
		"\n"
		"Before anything is written, Portage's configuration is read again with the change applied in\n"
		"memory: if a later file or line, a more specific atom, a profile mask or the environment would\n"
		"still defeat it, homesetup names that file and line and refuses. Run twice, the second run has\n"
		"nothing to do. Writes are atomic (temporary file, fsync, rename) and keep the file's owner and\n"
		"mode. What homesetup adds is marked by a comment; 'homesetup use revert' removes exactly that.\n"
		"\n"
		"Options:\n");
	help_common_options(out, false);
	fprintf(out,
		"\n"
		"Afterwards rebuild: " NEXT_EMERGE "\n"
		"and, when systemd was rebuilt, run " NEXT_REEXEC " (or: homesetup service reexec).\n"
		"\n"
		"Exit status: 0 written, or nothing to do; 1 refused (the message says what defeats the change\n"
		"and what to do instead), answered no, or --pretend with something to do; 2 usage error,\n"
		"unreadable configuration, or a write that failed (the file is then unchanged).\n");
}

void help_use_disable(FILE *out)
{
	fprintf(out,
		"Usage: homesetup use disable [OPTIONS] ATOM FLAG...\n"
		"\n"
		"Turn FLAGs off for ATOM, and whatever REQUIRED_USE then needs changed too (turning cryptsetup\n"
		"off for systemd turns homed and fido2 off with it). Same checks, options and exit status as\n"
		"'use enable'.\n"
		"\n"
		"Options:\n");
	help_common_options(out, false);
}

void help_use_revert(FILE *out)
{
	fprintf(out,
		"Usage: homesetup use revert [OPTIONS]\n"
		"\n"
		"Remove everything 'homesetup use enable/disable' added: the marked blocks of package.use (a\n"
		"file of homesetup's left empty is removed) and the marked additions to make.conf's USE, byte\n"
		"for byte. A block or value changed by hand so that it can no longer be removed exactly is\n"
		"named with its file and line, and nothing is written.\n"
		"\n"
		"Options:\n");
	help_common_options(out, true);
	fprintf(out,
		"\n"
		"Exit status: 0 removed, or nothing to remove; 1 refused (a block changed by hand), or --pretend\n"
		"with something to remove; 2 usage error, unreadable file, or a write that failed.\n");
}

/* ---- showing the plan -------------------------------------------------------------------------------------- */

static struct json_object *json_plan(const hs_use_plan *plan, const struct edit_opts *o, bool written)
{
	static const char *const actions[] = { "enable", "disable", "revert" };
	struct json_object *j = json_object_new_object(), *pkgs, *files, *notes;

	if (!j)
		return NULL;
	cli_json_add(j, "action", cli_json_str(actions[o->action]));
	cli_json_add(j, "target", o->action == ACTION_REVERT
					  ? NULL
					  : cli_json_str(o->lib.target == HS_USE_TARGET_MAKE_CONF ? "make.conf" : "package.use"));
	pkgs = json_object_new_array();
	for (size_t i = 0; pkgs && i < hs_use_plan_package_count(plan); i++) {
		struct json_object *p = json_object_new_object(), *ch = json_object_new_array();

		cli_json_add(p, "atom", cli_json_str(hs_use_plan_package_atom(plan, i)));
		cli_json_add(p, "cpv", cli_json_str(hs_use_plan_package_cpv(plan, i)));
		for (size_t k = 0; ch && k < hs_use_plan_change_count(plan, i); k++) {
			const hs_requse_change *c = hs_use_plan_change(plan, i, k);
			struct json_object *x = json_object_new_object();

			cli_json_add(x, "flag", cli_json_str(c->flag));
			cli_json_add(x, "enable", json_object_new_boolean(c->enable));
			cli_json_add(x, "reason", cli_json_str(c->reason));
			json_object_array_add(ch, x);
		}
		cli_json_add(p, "changes", ch);
		json_object_array_add(pkgs, p);
	}
	cli_json_add(j, "packages", pkgs);
	files = json_object_new_array();
	for (size_t i = 0; files && i < hs_use_plan_edit_count(plan); i++) {
		hs_edit *e = hs_use_plan_edit(plan, i);
		struct json_object *f = json_object_new_object();
		char *diff = NULL, *res = NULL;
		size_t len;

		if (hs_edit_diff(e, &diff) < 0 || hs_edit_result(e, &res, &len) < 0) {
			free(diff);
			json_object_put(f);
			json_object_put(j);
			return NULL;
		}
		cli_json_add(f, "path", cli_json_str(hs_edit_path(e)));
		cli_json_add(f, "created", json_object_new_boolean(!hs_edit_file_exists(e)));
		cli_json_add(f, "removed", json_object_new_boolean(res == NULL));
		cli_json_add(f, "diff", cli_json_str(diff));
		cli_json_add(f, "backup", cli_json_str(hs_edit_backup_path(e)));
		json_object_array_add(files, f);
		free(diff);
		free(res);
	}
	cli_json_add(j, "files", files);
	notes = json_object_new_array();
	for (size_t i = 0; notes && i < hs_use_plan_note_count(plan); i++)
		json_object_array_add(notes, cli_json_str(hs_use_plan_note(plan, i)));
	cli_json_add(j, "notes", notes);
	cli_json_add(j, "nothing_to_do", json_object_new_boolean(hs_use_plan_edit_count(plan) == 0));
	cli_json_add(j, "written", json_object_new_boolean(written));
	return j;
}

static bool plan_touches(const hs_use_plan *plan, const char *cp)
{
	for (size_t i = 0; i < hs_use_plan_package_count(plan); i++)
		if (hs_use_plan_change_count(plan, i) && strncmp(hs_use_plan_package_cpv(plan, i), cp, strlen(cp)) == 0 &&
		    hs_use_plan_package_cpv(plan, i)[strlen(cp)] == '-')
			return true;
	return false;
}

static void print_plan(struct cli *cli, const hs_use_plan *plan, const struct edit_opts *o)
{
	const char *good = cli_c(cli, C_GOOD), *warn = cli_c(cli, C_WARN), *reset = cli_c(cli, C_RESET);

	for (size_t i = 0; i < hs_use_plan_package_count(plan); i++) {
		size_t n = hs_use_plan_change_count(plan, i);
		int width = 0;

		if (n == 0) {
			printf(" %s*%s %s%s%s: %s\n", good, reset, cli_c(cli, C_BOLD), hs_use_plan_package_cpv(plan, i),
			       reset, o->homed ? "has what systemd-homed needs already" : "has these USE flags already");
			continue;
		}
		printf(" %s*%s %s%s%s:\n", good, reset, cli_c(cli, C_BOLD), hs_use_plan_package_cpv(plan, i), reset);
		for (size_t k = 0; k < n; k++) {
			int w = (int)strlen(hs_use_plan_change(plan, i, k)->flag);

			width = w > width ? w : width;
		}
		for (size_t k = 0; k < n; k++) {
			const hs_requse_change *c = hs_use_plan_change(plan, i, k);
			bool requested = strcmp(c->reason, "requested") == 0;

			printf("      %s%c%s%s%*s  ", cli_c(cli, c->enable ? C_BAD : "\033[34;01m"), c->enable ? '+' : '-',
			       c->flag, reset, width - (int)strlen(c->flag), "");
			if (requested)
				printf("%s\n", o->homed ? "systemd-homed itself" : c->enable ? "asked for" : "asked to be off");
			else
				printf("%s %s\n", c->enable ? "required by" : "ruled out by", c->reason);
		}
	}
	for (size_t i = 0; i < hs_use_plan_note_count(plan); i++)
		printf(" %s*%s Note: %s\n", warn, reset, hs_use_plan_note(plan, i));
	for (size_t i = 0; i < hs_use_plan_edit_count(plan); i++) {
		hs_edit *e = hs_use_plan_edit(plan, i);
		char *diff = NULL;

		if (hs_edit_diff(e, &diff) < 0)
			continue;
		printf("\n%s", diff);
		free(diff);
	}
	if (hs_use_plan_edit_count(plan))
		putchar('\n');
}

static void print_next_steps(struct cli *cli, const hs_use_plan *plan, const struct edit_opts *o)
{
	const char *good = cli_c(cli, C_GOOD), *reset = cli_c(cli, C_RESET), *hl = cli_c(cli, C_HILITE);
	bool systemd = o->action == ACTION_REVERT || plan_touches(plan, "sys-apps/systemd");

	printf(" %s*%s Next, rebuild the packages whose USE changed:\n", good, reset);
	printf("       %s%s%s\n", hl, NEXT_EMERGE, reset);
	if (systemd) {
		printf(" %s*%s Then, once sys-apps/systemd is rebuilt, let the running service manager re-execute\n",
		       good, reset);
		printf("   itself as the new build:\n");
		printf("       %s%s%s   (or: homesetup service reexec)\n", hl, NEXT_REEXEC, reset);
	}
}

/* Yes or no from the terminal; false on anything else or end of input. */
static bool ask_yes(void)
{
	char line[64];

	printf("Would you like to write these changes? [Yes/No] ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "yes") == 0 || strcasecmp(line, "y") == 0;
}

/* ---- the commands ------------------------------------------------------------------------------------------- */

static int parse_options(struct cli *cli, const char *cmd, int argc, char **argv, struct edit_opts *o)
{
	enum { OPT_TARGET = 0x100, OPT_FILE, OPT_BACKUP, OPT_FORCE_ORDER };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "force-order", no_argument, NULL, OPT_FORCE_ORDER },
		{ "pretend", no_argument, NULL, 'p' },
		{ "ask", no_argument, NULL, 'a' },
		{ "backup", no_argument, NULL, OPT_BACKUP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool revert = o->action == ACTION_REVERT;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pah", options, NULL)) != -1) {
		switch (c) {
		case OPT_TARGET:
			if (revert)
				return cli_error(cli, "%s: --target does not apply: revert looks in package.use and "
						      "make.conf", cmd);
			if (strcmp(optarg, "package.use") == 0)
				o->lib.target = HS_USE_TARGET_PACKAGE_USE;
			else if (strcmp(optarg, "make.conf") == 0)
				o->lib.target = HS_USE_TARGET_MAKE_CONF;
			else
				return cli_error(cli, "%s: --target is package.use or make.conf, not '%s'", cmd, optarg);
			break;
		case OPT_FILE:
		case OPT_FORCE_ORDER:
			if (revert)
				return cli_error(cli, "%s: %s does not apply to revert", cmd, argv[optind - 1]);
			if (c == OPT_FILE)
				o->lib.file_name = optarg;
			else
				o->lib.force_order = true;
			break;
		case 'p': o->pretend = true; break;
		case 'a': o->ask = true; break;
		case OPT_BACKUP: o->backup = true; break;
		case 'h':
			(revert ? help_use_revert : o->action == ACTION_ENABLE ? help_use_enable : help_use_disable)(stdout);
			return -1;
		default:
			return cli_option_error(cli, cmd, c, argv);
		}
	}
	if (o->lib.file_name && o->lib.target == HS_USE_TARGET_MAKE_CONF)
		return cli_error(cli, "%s: --file names a file in package.use/; it does not go with --target make.conf",
				 cmd);
	if (o->ask && !o->pretend) {
		if (cli->json)
			return cli_error(cli, "%s: --ask cannot be combined with --json (use --pretend --json to see "
					      "the plan)", cmd);
		if (!isatty(STDIN_FILENO))
			return cli_error(cli, "%s: --ask needs a terminal to read the answer from, and standard input "
					      "is not one; use --pretend to see the change without writing it", cmd);
	}
	return 0;
}

/* Plan, show, maybe ask, write, say what next. */
static int run_plan(struct cli *cli, const char *cmd, hs_use_plan *plan, const struct edit_opts *o)
{
	bool todo = hs_use_plan_edit_count(plan) > 0, written = false;
	int r;

	if (!cli->json) {
		print_plan(cli, plan, o);
		if (!todo) {
			printf(" %s*%s Nothing to do: %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
			       o->action == ACTION_REVERT ? "no file holds anything homesetup added."
							  : "the configuration already gives these flags.");
			return cli_finish(cli, EXIT_OK);
		}
		if (o->pretend) {
			printf(" %s*%s Nothing was written (--pretend).\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET));
			return cli_finish(cli, EXIT_NEEDS_ACTION);
		}
		if (o->ask && !ask_yes()) {
			printf(" %s*%s Nothing was written.\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET));
			return cli_finish(cli, EXIT_NEEDS_ACTION);
		}
	}
	if (todo && !o->pretend) {
		r = hs_use_plan_commit(plan, o->backup ? HS_EDIT_BACKUP : 0);
		cli_flush_warnings(cli);
		if (r < 0)
			return cli_lib_error(cli, EXIT_USAGE, cmd);
		written = true;
	}
	if (cli->json) {
		_cleanup_json_ struct json_object *j = json_plan(plan, o, written);

		if (!j || cli_json_print(j, true) < 0)
			return cli_error(cli, "out of memory");
		return cli_finish(cli, todo && o->pretend ? EXIT_NEEDS_ACTION : EXIT_OK);
	}
	for (size_t i = 0; i < hs_use_plan_edit_count(plan); i++) {
		hs_edit *e = hs_use_plan_edit(plan, i);
		char *res = NULL;
		size_t len;

		if (hs_edit_result(e, &res, &len) < 0)
			return cli_error(cli, "out of memory");
		printf(" %s*%s %s %s", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
		       !res ? "Removed" : hs_edit_file_exists(e) ? "Wrote" : "Created", hs_edit_path(e));
		if (hs_edit_backup_path(e))
			printf(" (the old one is kept as %s)", hs_edit_backup_path(e));
		putchar('\n');
		free(res);
	}
	print_next_steps(cli, plan, o);
	return cli_finish(cli, EXIT_OK);
}

/* Refusals (the edit would not take effect, is not safe, or REQUIRED_USE cannot hold; for revert, a block changed
 * by hand) are "something to do by hand": 1. Bad arguments and unreadable files: 2. */
static int plan_error(struct cli *cli, const char *cmd, int r, bool revert)
{
	int code = r == -EPERM || r == -ENOTSUP || r == -EDOM || (revert && r == -EINVAL) ? EXIT_NEEDS_ACTION : EXIT_USAGE;

	cli_lib_error(cli, code, cmd);
	if (code == EXIT_NEEDS_ACTION)
		fprintf(stderr, "%s: %s: nothing was written\n", cli->prog, cmd);
	return code;
}

static int use_edit(struct cli *cli, int argc, char **argv, enum use_action action)
{
	const char *cmd = action == ACTION_ENABLE ? "use enable" : action == ACTION_DISABLE ? "use disable" : "use revert";
	struct edit_opts o = { .action = action, .lib.use_env = true };
	_cleanup_(hs_portage_freep) hs_portage *p = NULL;
	_cleanup_(hs_use_plan_freep) hs_use_plan *plan = NULL;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	int r, nargs;

	r = parse_options(cli, cmd, argc, argv, &o);
	if (r != 0)
		return r < 0 ? EXIT_OK : r;
	nargs = argc - optind;
	if (epoch && *epoch)
		o.lib.when = strtoll(epoch, NULL, 10);
	if (action == ACTION_REVERT) {
		if (nargs)
			return cli_error(cli, "%s takes no arguments (see '%s help use')", cmd, cli->prog);
		r = hs_use_plan_revert(cli->ctx, &plan);
		cli_flush_warnings(cli);
		if (r < 0)
			return plan_error(cli, cmd, r, true);
		return run_plan(cli, cmd, plan, &o);
	}
	if (nargs == 1 || (action == ACTION_DISABLE && nargs == 0))
		return cli_error(cli, "%s: give an atom and at least one USE flag: %s %s ATOM FLAG... (see '%s help use')",
				 cmd, cli->prog, cmd, cli->prog);

	r = hs_portage_load(cli->ctx, &p, true);
	cli_flush_warnings(cli);
	if (r < 0) {
		p = NULL;
		return cli_lib_error(cli, EXIT_USAGE, "cannot read Portage's configuration");
	}
	o.homed = nargs == 0;
	if (nargs == 0)
		r = hs_use_plan_homed(p, &plan, &o.lib);
	else {
		hs_use_request req = { .atom = argv[optind] };

		if (action == ACTION_ENABLE)
			req.enable = (const char *const *)argv + optind + 1;
		else
			req.disable = (const char *const *)argv + optind + 1;
		r = hs_use_plan_enable(p, &plan, &req, 1, &o.lib);
	}
	cli_flush_warnings(cli);
	if (r < 0) {
		plan = NULL;
		return plan_error(cli, cmd, r, false);
	}
	return run_plan(cli, cmd, plan, &o);
}

int use_enable(struct cli *cli, int argc, char **argv)
{
	return use_edit(cli, argc, argv, ACTION_ENABLE);
}

int use_disable(struct cli *cli, int argc, char **argv)
{
	return use_edit(cli, argc, argv, ACTION_DISABLE);
}

int use_revert(struct cli *cli, int argc, char **argv)
{
	return use_edit(cli, argc, argv, ACTION_REVERT);
}
