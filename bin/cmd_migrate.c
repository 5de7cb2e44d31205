/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup migrate check|plan|run|resume|rollback|status USER: move a user from /etc/passwd and /home/USER into
 * a systemd-homed home. The library plans (hs_migrate_plan_new), executes with a journal (hs_migrate_run,
 * hs_migrate_resume, hs_migrate_rollback) and reads the journal back (hs_migrate_status_load); this file parses
 * options, asks for the password (a terminal with echo off, or --password-fd; never argv), draws the progress
 * bar and prints. `check` is bin/cmd_migrate_check.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd_migrate.h"

CLI_DEFINE_FREEP(hs_migrate_facts, hs_migrate_facts_free)
CLI_DEFINE_FREEP(hs_migrate_plan, hs_migrate_plan_free)
CLI_DEFINE_FREEP(hs_migrate_status, hs_migrate_status_free)

void help_migrate(FILE *out)
{
	fprintf(out,
		"Usage: homesetup migrate check USER [--storage S] [--fs-type T] [--disk-size SIZE] [--copy] [--no-bus]\n"
		"       homesetup migrate plan USER [PLAN OPTIONS]\n"
		"       homesetup migrate run USER [PLAN OPTIONS] [--password-fd N] [--yes] [--no-progress]\n"
		"       homesetup migrate resume USER [--password-fd N] [--no-progress]\n"
		"       homesetup migrate rollback USER [--password-fd N] [--yes]\n"
		"       homesetup migrate status USER\n"
		"\n"
		"Move USER from /etc/passwd and /home/USER into a systemd-homed home with the same name, UID, password,\n"
		"shell and groups, and prove that every file arrived:\n"
		"  backup → manifest → move-aside → remove-account → create → copy → verify [→ remove-saved]\n"
		"\n"
		"  check      the preflight: every condition, each with its fix\n"
		"  plan       the steps and the exact commands each runs; nothing is run\n"
		"  run        execute the plan, keeping a journal (/var/lib/homesetup/migrate/USER.json) so that a crash at\n"
		"             any point can be resumed or rolled back\n"
		"  resume     continue a migration from the step that did not finish\n"
		"  rollback   undo a migration from any step while /home/USER.saved exists: remove the homed user, put the\n"
		"             account lines back byte for byte, rename /home/USER.saved back to /home/USER\n"
		"  status     what the journal says\n"
		"\n"
		"Plan options (plan and run):\n"
		"      --storage S        luks, directory, subvolume or fscrypt (default: homed.conf, else luks)\n"
		"      --fs-type T        the file system inside LUKS: btrfs, ext4, xfs\n"
		"      --disk-size SIZE   the LUKS image size (bytes, or with K, M, G, T); default: computed from the home\n"
		"      --copy             copy the home aside instead of renaming it (needs room for two copies)\n"
		"      --remove-saved     delete /home/USER.saved once the new home is verified (no rollback after that)\n"
		"      --homectl-arg=ARG  one more argument for homectl create (repeatable), e.g.\n"
		"                         --homectl-arg=--luks-pbkdf-type=pbkdf2 or --enforce-password-policy=no\n"
		"      --no-bus           do not ask D-Bus or sd-login (those checks are skipped)\n"
		"Run options:\n"
		"      --password-fd N    read the password from file descriptor N (one line) instead of the terminal;\n"
		"                         it is never taken from the command line\n"
		"  -y, --yes              do not ask before starting (needed when not on a terminal)\n"
		"      --no-progress      no progress bar (it is drawn on a terminal only, on stderr)\n"
		"      --json             plan and status as JSON (doc/migrate-json.md)\n"
		"  -R, --root DIR         the system to migrate in; homectl and rsync get host paths under DIR.\n"
		"                         Against a real systemd-homed only ROOT=/ makes sense.\n"
		"\n"
		"The password is checked against the shadow hash with crypt(3) (three tries on a terminal, one from a\n"
		"descriptor) and handed to homectl in its environment only. Programs: $HOMESETUP_HOMECTL or\n"
		"/usr/bin/homectl, $HOMESETUP_RSYNC or rsync from PATH. Test hook: HOMESETUP_TEST_KILL_AT=STEP:before|after\n"
		"kills the executor with SIGKILL at that point.\n"
		"\n"
		"Exit status: 0 done (plan: printed; status: a journal was shown), 1 refused or a step failed (the reason\n"
		"is printed; nothing beyond the journaled steps was changed), 2 usage or I/O error.\n");
}

/* ---- options ------------------------------------------------------------------------------------------- */

struct mopts {
	hs_migrate_options o;
	const char **extra;
	size_t n_extra;
	int password_fd;
	bool yes, no_progress;
};

enum { OPT_STORAGE = 0x100, OPT_FS_TYPE, OPT_DISK_SIZE, OPT_COPY, OPT_REMOVE_SAVED, OPT_HOMECTL_ARG, OPT_NO_BUS,
       OPT_PASSWORD_FD, OPT_NO_PROGRESS };

/* Parse the options of @verb; *user gets the one operand. */
static int parse_options(struct cli *cli, const char *verb, int argc, char **argv, struct mopts *m, const char **user)
{
	static const struct option options[] = {
		{ "storage", required_argument, NULL, OPT_STORAGE },
		{ "fs-type", required_argument, NULL, OPT_FS_TYPE },
		{ "disk-size", required_argument, NULL, OPT_DISK_SIZE },
		{ "copy", no_argument, NULL, OPT_COPY },
		{ "remove-saved", no_argument, NULL, OPT_REMOVE_SAVED },
		{ "homectl-arg", required_argument, NULL, OPT_HOMECTL_ARG },
		{ "no-bus", no_argument, NULL, OPT_NO_BUS },
		{ "password-fd", required_argument, NULL, OPT_PASSWORD_FD },
		{ "yes", no_argument, NULL, 'y' },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ NULL, 0, NULL, 0 },
	};
	bool plans = strcmp(verb, "plan") == 0 || strcmp(verb, "run") == 0;
	bool runs = strcmp(verb, "run") == 0 || strcmp(verb, "resume") == 0 || strcmp(verb, "rollback") == 0;
	int c;

	m->password_fd = -1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":y", options, NULL)) != -1) {
		bool plan_opt = c >= OPT_STORAGE && c <= OPT_NO_BUS;
		bool run_opt = c == OPT_PASSWORD_FD || c == 'y' || c == OPT_NO_PROGRESS;

		if (c == '?' || c == ':')
			return cli_option_error(cli, "migrate", c, argv);
		if ((plan_opt && !plans) || (run_opt && !runs))
			return cli_error(cli, "migrate %s: option '%s' does not apply here (see '%s help migrate')", verb,
					 argv[optind - 1], cli->prog);
		switch (c) {
		case OPT_STORAGE: m->o.storage = optarg; break;
		case OPT_FS_TYPE: m->o.fs_type = optarg; break;
		case OPT_DISK_SIZE:
			if (cli_parse_size(optarg, &m->o.disk_size) < 0)
				return cli_error(cli, "migrate %s: invalid --disk-size '%s' (bytes, or a number with K, M, G "
						 "or T, e.g. 20G)", verb, optarg);
			break;
		case OPT_COPY: m->o.copy = true; break;
		case OPT_REMOVE_SAVED: m->o.remove_saved = true; break;
		case OPT_HOMECTL_ARG: {
			const char **v = realloc(m->extra, (m->n_extra + 2) * sizeof(*v));

			if (!v)
				return cli_error(cli, "out of memory");
			m->extra = v;
			v[m->n_extra++] = optarg;
			v[m->n_extra] = NULL;
			break;
		}
		case OPT_NO_BUS: m->o.no_bus = true; break;
		case OPT_PASSWORD_FD: {
			char *end;
			long fd;

			errno = 0;
			fd = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0)
				return cli_error(cli, "migrate %s: --password-fd '%s' is not an open file descriptor", verb,
						 optarg);
			m->password_fd = (int)fd;
			break;
		}
		case 'y': m->yes = true; break;
		case OPT_NO_PROGRESS: m->no_progress = true; break;
		}
	}
	if (optind >= argc)
		return cli_error(cli, "migrate %s: name the user (see '%s help migrate')", verb, cli->prog);
	*user = argv[optind++];
	if (optind < argc)
		return cli_error(cli, "migrate %s: unexpected argument '%s'", verb, argv[optind]);
	m->o.user = *user;
	m->o.homectl_extra = m->extra;
	m->o.bus_address = cli->bus_address;
	m->o.bus_timeout_usec = cli->bus_timeout_usec;
	return 0;
}

/* Library errors: I/O trouble and out-of-memory are exit status 2, refusals and failed steps 1. */
static int lib_exit(int r)
{
	return r == -ENOMEM || r == -ENOSPC || r == -EROFS || r == -EINVAL ? EXIT_USAGE : EXIT_NEEDS_ACTION;
}

static void print_lines(const char *indent, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		printf("%s%.*s\n", indent, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* ---- plan ---------------------------------------------------------------------------------------------- */

/* The preflight: NULL when it has no FAIL, else prints the failing checks and returns the facts anyway. */
static int preflight(struct cli *cli, const char *verb, const struct mopts *m, hs_migrate_facts **out)
{
	const hs_report *rep;
	size_t fails = 0;
	int r = hs_migrate_facts_new(cli->ctx, out, &m->o);

	if (r < 0)
		return cli_lib_error(cli, lib_exit(r), "migrate");
	rep = hs_migrate_facts_report(*out);
	for (size_t i = 0; i < hs_report_count(rep); i++)
		fails += hs_report_get(rep, i)->status == HS_CHECK_FAIL;
	if (!fails)
		return 0;
	if (cli->json) {
		_cleanup_json_ struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();
		int e = 0;

		if (!o || !a) {
			json_object_put(a);
			return cli_error(cli, "out of memory");
		}
		e |= cli_json_add(o, "user", cli_json_str(m->o.user));
		e |= cli_json_add(o, "ok", json_object_new_boolean(false));
		for (size_t i = 0; i < hs_report_count(rep); i++) {
			const hs_check_result *res = hs_report_get(rep, i);
			struct json_object *j;

			if (res->status != HS_CHECK_FAIL)
				continue;
			j = json_object_new_object();
			if (!j || json_object_array_add(a, j) < 0) {
				json_object_put(j);
				e = -1;
				break;
			}
			e |= cli_json_add(j, "id", cli_json_str(res->id));
			e |= cli_json_add(j, "summary", cli_json_str(res->summary));
			e |= cli_json_add(j, "detail", cli_json_str(res->detail));
			e |= cli_json_add(j, "fix", cli_json_str(res->fix));
		}
		e |= cli_json_add(o, "failed", a);
		if (e || cli_json_print(o, false) < 0)
			return cli_error(cli, "out of memory");
	} else {
		fprintf(stderr, "%s: migrate %s: %s cannot be migrated as things are (%zu failed check%s):\n", cli->prog,
			verb, m->o.user, fails, fails == 1 ? "" : "s");
		for (size_t i = 0; i < hs_report_count(rep); i++) {
			const hs_check_result *res = hs_report_get(rep, i);

			if (res->status != HS_CHECK_FAIL)
				continue;
			fprintf(stderr, " * %s: %s\n", res->id, res->summary);
			if (res->fix)
				fprintf(stderr, "     fix: %s\n", res->fix);
		}
		fprintf(stderr, "   See 'homesetup migrate check %s' for every check; nothing was changed.\n", m->o.user);
	}
	return cli_finish(cli, EXIT_NEEDS_ACTION);
}

static struct json_object *json_lines(const char *text)
{
	struct json_object *a = json_object_new_array();

	while (a && text && *text) {
		size_t n = strcspn(text, "\n");

		if (json_object_array_add(a, cli_json_text(text, n)) < 0) {
			json_object_put(a);
			return NULL;
		}
		text += n + (text[n] == '\n');
	}
	return a;
}

static struct json_object *json_facts(const hs_migrate_info *in)
{
	struct json_object *o = json_object_new_object(), *g = json_object_new_array();
	int e = 0;

	if (!o || !g) {
		json_object_put(o);
		json_object_put(g);
		return NULL;
	}
	for (size_t i = 0; in->member_of && in->member_of[i]; i++)
		e |= json_object_array_add(g, cli_json_str(in->member_of[i]));
	e |= cli_json_add(o, "user", cli_json_str(in->user));
	e |= cli_json_add(o, "uid", json_object_new_int64(in->uid));
	e |= cli_json_add(o, "gid", json_object_new_int64(in->gid));
	e |= cli_json_add(o, "gecos", cli_json_str(in->gecos));
	e |= cli_json_add(o, "shell", cli_json_str(in->shell));
	e |= cli_json_add(o, "home", cli_json_str(in->home));
	e |= cli_json_add(o, "saved", cli_json_str(in->saved));
	e |= cli_json_add(o, "primary_group", cli_json_str(in->primary_group));
	e |= cli_json_add(o, "private_group", json_object_new_boolean(in->private_group));
	e |= cli_json_add(o, "member_of", g);
	e |= cli_json_add(o, "storage", cli_json_str(in->storage));
	e |= cli_json_add(o, "fs_type", cli_json_str(in->fs_type));
	e |= cli_json_add(o, "home_bytes", json_object_new_int64((int64_t)in->home_bytes));
	e |= cli_json_add(o, "disk_size", json_object_new_int64((int64_t)in->disk_size));
	e |= cli_json_add(o, "has_acls", json_object_new_boolean(in->has_acls));
	e |= cli_json_add(o, "has_xattrs", json_object_new_boolean(in->has_xattrs));
	e |= cli_json_add(o, "needs_acl_mount_option", json_object_new_boolean(in->needs_acl_mount_option));
	e |= cli_json_add(o, "rsync_flags", cli_json_str(in->rsync_flags));
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int print_plan_json(struct cli *cli, const hs_migrate_plan *p)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array(), *notes = json_object_new_array();
	int e = 0;

	if (!o || !steps || !notes) {
		json_object_put(steps);
		json_object_put(notes);
		return -1;
	}
	e |= cli_json_add(o, "user", cli_json_str(hs_migrate_plan_user(p)));
	e |= cli_json_add(o, "ok", json_object_new_boolean(true));
	e |= cli_json_add(o, "journal", cli_json_str(hs_migrate_plan_journal(p)));
	e |= cli_json_add(o, "facts", json_facts(hs_migrate_plan_info(p)));
	for (size_t i = 0; i < hs_migrate_plan_note_count(p); i++)
		e |= json_object_array_add(notes, cli_json_str(hs_migrate_plan_note(p, i)));
	e |= cli_json_add(o, "notes", notes);
	for (size_t i = 0; i < hs_migrate_plan_count(p); i++) {
		const hs_migrate_step *s = hs_migrate_plan_step(p, i);
		struct json_object *j = json_object_new_object();

		if (!j || json_object_array_add(steps, j) < 0) {
			json_object_put(j);
			return -1;
		}
		e |= cli_json_add(j, "n", json_object_new_int64((int64_t)i + 1));
		e |= cli_json_add(j, "id", cli_json_str(s->id));
		e |= cli_json_add(j, "title", cli_json_str(s->title));
		e |= cli_json_add(j, "commands", json_lines(s->command));
		e |= cli_json_add(j, "external", json_object_new_boolean(s->external));
		e |= cli_json_add(j, "undo", cli_json_str(s->undo));
	}
	e |= cli_json_add(o, "steps", steps);
	return e ? -1 : cli_json_print(o, false);
}

static void print_plan(struct cli *cli, const hs_migrate_plan *p)
{
	const hs_migrate_info *in = hs_migrate_plan_info(p);

	printf(" %s*%s %sMigrating %s (UID %" PRIu32 ") to systemd-homed: %zu steps%s\n", cli_c(cli, C_GOOD),
	       cli_c(cli, C_RESET), cli_c(cli, C_BOLD), in->user, in->uid, hs_migrate_plan_count(p), cli_c(cli, C_RESET));
	printf("     journal: %s\n", hs_migrate_plan_journal(p));
	for (size_t i = 0; i < hs_migrate_plan_note_count(p); i++)
		printf(" %s*%s %s\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), hs_migrate_plan_note(p, i));
	for (size_t i = 0; i < hs_migrate_plan_count(p); i++) {
		const hs_migrate_step *s = hs_migrate_plan_step(p, i);

		printf("\n %s*%s %2zu. %s%s%s: %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), i + 1, cli_c(cli, C_BOLD),
		       s->id, cli_c(cli, C_RESET), s->title);
		print_lines(s->external ? "       $ " : "       # ", s->command);
		printf("       undo: %s\n", s->undo);
	}
	printf("\n   ($ lines run as shown, as an argv, never through a shell; # lines are done by homesetup itself\n"
	       "    and shown as their shell equivalent)\n");
}

static int verb_plan(struct cli *cli, const char *verb, struct mopts *m, hs_migrate_plan **out)
{
	_cleanup_(hs_migrate_facts_freep) hs_migrate_facts *f = NULL;
	int r = preflight(cli, verb, m, &f);

	if (r != 0)
		return r;
	r = hs_migrate_plan_new(cli->ctx, out, f, &m->o);
	if (r < 0)
		return cli_lib_error(cli, lib_exit(r), "migrate plan");
	return 0;
}

/* ---- status ---------------------------------------------------------------------------------------------- */

static int print_status_json(struct cli *cli, const hs_migrate_status *st)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array(), *pw = json_object_new_object();
	const hs_migrate_step_status *next = hs_migrate_status_next(st);
	int e = 0;

	if (!o || !steps || !pw) {
		json_object_put(steps);
		json_object_put(pw);
		return -1;
	}
	e |= cli_json_add(o, "user", cli_json_str(hs_migrate_status_user(st)));
	e |= cli_json_add(o, "journal", cli_json_str(hs_migrate_status_path(st)));
	e |= cli_json_add(o, "phase", cli_json_str(hs_migrate_status_phase(st)));
	e |= cli_json_add(o, "next", cli_json_str(next ? next->id : NULL));
	e |= cli_json_add(o, "created", cli_json_str(hs_migrate_status_created(st)));
	e |= cli_json_add(o, "updated", cli_json_str(hs_migrate_status_updated(st)));
	e |= cli_json_add(o, "homesetup", cli_json_str(hs_migrate_status_version(st)));
	e |= cli_json_add(o, "workdir", cli_json_str(hs_migrate_status_workdir(st)));
	e |= cli_json_add(o, "manifest", cli_json_str(hs_migrate_status_manifest(st)));
	e |= cli_json_add(o, "backup_stamp", cli_json_str(hs_migrate_status_backup_stamp(st)));
	e |= cli_json_add(pw, "resume", json_object_new_boolean(hs_migrate_status_needs_password(st, false)));
	e |= cli_json_add(pw, "rollback", json_object_new_boolean(hs_migrate_status_needs_password(st, true)));
	e |= cli_json_add(o, "needs_password", pw);
	e |= cli_json_add(o, "facts", json_facts(hs_migrate_status_info(st)));
	for (size_t i = 0; i < hs_migrate_status_count(st); i++) {
		const hs_migrate_step_status *s = hs_migrate_status_step(st, i);
		struct json_object *j = json_object_new_object();

		if (!j || json_object_array_add(steps, j) < 0) {
			json_object_put(j);
			return -1;
		}
		e |= cli_json_add(j, "id", cli_json_str(s->id));
		e |= cli_json_add(j, "title", cli_json_str(s->title));
		e |= cli_json_add(j, "commands", json_lines(s->command));
		e |= cli_json_add(j, "state", cli_json_str(hs_migrate_state_name(s->state)));
		e |= cli_json_add(j, "started", cli_json_str(s->started));
		e |= cli_json_add(j, "finished", cli_json_str(s->finished));
		e |= cli_json_add(j, "error", cli_json_str(s->error));
	}
	e |= cli_json_add(o, "steps", steps);
	return e ? -1 : cli_json_print(o, false);
}

static void print_status(struct cli *cli, const hs_migrate_status *st)
{
	const char *phase = hs_migrate_status_phase(st), *user = hs_migrate_status_user(st);
	const hs_migrate_step_status *next = hs_migrate_status_next(st);

	printf(" %s*%s %sMigration of %s: %s%s (started %s, last written %s by homesetup %s)\n",
	       cli_c(cli, strcmp(phase, "completed") == 0 ? C_GOOD : C_WARN), cli_c(cli, C_RESET), cli_c(cli, C_BOLD),
	       user, phase, cli_c(cli, C_RESET), hs_migrate_status_created(st), hs_migrate_status_updated(st),
	       hs_migrate_status_version(st));
	printf("     journal: %s\n", hs_migrate_status_path(st));
	for (size_t i = 0; i < hs_migrate_status_count(st); i++) {
		const hs_migrate_step_status *s = hs_migrate_status_step(st, i);
		const char *c = s->state == HS_MIGRATE_DONE ? C_GOOD : s->state == HS_MIGRATE_PENDING ? "" : C_BAD;

		printf("   %2zu. %-15s %s%-8s%s%s%s\n", i + 1, s->id, cli_c(cli, c), hs_migrate_state_name(s->state),
		       cli_c(cli, *c ? C_RESET : ""), s->finished ? s->finished : s->started ? s->started : "",
		       "");
		if (s->error)
			printf("       error: %s\n", s->error);
	}
	if (strcmp(phase, "rolling-back") == 0)
		printf(" %s*%s a rollback was interrupted: finish it with 'homesetup migrate rollback %s'\n",
		       cli_c(cli, C_WARN), cli_c(cli, C_RESET), user);
	else if (next)
		printf(" %s*%s next: %s; continue with 'homesetup migrate resume %s', or undo with 'homesetup migrate "
		       "rollback %s'\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), next->id, user, user);
}

static int verb_status(struct cli *cli, const char *user)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *st = NULL;
	int r = hs_migrate_status_load(cli->ctx, &st, user);

	if (r == -ENOENT) {
		if (cli->json) {
			_cleanup_json_ struct json_object *o = json_object_new_object();

			if (!o || cli_json_add(o, "user", cli_json_str(user)) || cli_json_add(o, "phase", cli_json_str("none")) ||
			    cli_json_add(o, "steps", json_object_new_array()) || cli_json_print(o, false) < 0)
				return cli_error(cli, "out of memory");
		} else
			printf(" * %s\n", hs_ctx_last_error(cli->ctx));
		return cli_finish(cli, EXIT_NEEDS_ACTION);
	}
	if (r < 0)
		return cli_lib_error(cli, EXIT_USAGE, "migrate status");
	if (cli->json) {
		if (print_status_json(cli, st) < 0)
			return cli_error(cli, "out of memory");
	} else
		print_status(cli, st);
	return cli_finish(cli, EXIT_OK);
}

/* ---- run, resume, rollback ------------------------------------------------------------------------------- */

/* After a failure: the error, and what the journal now says the user can do. */
static int report_failure(struct cli *cli, const char *verb, const char *user, int r)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *st = NULL;
	_cleanup_free_ char *msg = strdup(hs_ctx_last_error(cli->ctx));
	int code = lib_exit(r);

	fprintf(stderr, "%s: migrate %s: %s\n", cli->prog, verb, msg && *msg ? msg : strerror(-r));
	if (r == -EEXIST || r == -EBUSY)
		return code;
	if (hs_migrate_status_load(cli->ctx, &st, user) == 0) {
		const hs_migrate_step_status *next = hs_migrate_status_next(st);

		if (strcmp(hs_migrate_status_phase(st), "rolling-back") == 0)
			fprintf(stderr, " * The rollback stopped; run 'homesetup migrate rollback %s' again once the cause "
				"is fixed.\n", user);
		else if (next)
			fprintf(stderr, " * The journal %s says: step %s %s. Fix the cause, then 'homesetup migrate resume "
				"%s'; or undo everything with 'homesetup migrate rollback %s'.\n",
				hs_migrate_status_path(st), next->id, hs_migrate_state_name(next->state), user, user);
	}
	return code;
}

static int execute(struct cli *cli, const char *verb, const char *user, const hs_migrate_plan *plan,
		   const struct mopts *m, struct migrate_secret *pw)
{
	struct migrate_ui ui = { .cli = cli };
	hs_migrate_run_options ro = { .event = migrate_on_event, .userdata = &ui };
	int r;

	ui.bar = !m->no_progress && !cli->quiet && !cli->json && isatty(STDERR_FILENO);
	ro.progress = ui.bar;
	ro.password = pw->have ? pw->buf : NULL;
	if (strcmp(verb, "run") == 0)
		r = hs_migrate_run(cli->ctx, plan, &ro);
	else if (strcmp(verb, "resume") == 0)
		r = hs_migrate_resume(cli->ctx, user, &ro);
	else
		r = hs_migrate_rollback(cli->ctx, user, &ro);
	migrate_clear_bar(&ui);
	migrate_secret_done(pw);
	if (r < 0)
		return report_failure(cli, verb, user, r);
	if (!cli->quiet) {
		if (strcmp(verb, "rollback") == 0)
			printf(" %s*%s %s is back as before the migration: account lines and /home/%s restored\n",
			       cli_c(cli, C_GOOD), cli_c(cli, C_RESET), user, user);
		else
			printf(" %s*%s %s is a systemd-homed user, the new home verified against the manifest\n",
			       cli_c(cli, C_GOOD), cli_c(cli, C_RESET), user);
	}
	return cli_finish(cli, EXIT_OK);
}

static int verb_run(struct cli *cli, struct mopts *m, const char *user)
{
	_cleanup_(hs_migrate_plan_freep) hs_migrate_plan *plan = NULL;
	struct migrate_secret pw = { 0 };
	int r;

	r = verb_plan(cli, "run", m, &plan);
	if (r != 0)
		return r;
	if (!cli->quiet)
		print_plan(cli, plan);
	fflush(stdout);
	if (!m->yes) {
		if (!migrate_interactive())
			return cli_error(cli, "migrate run: not on a terminal: confirm with --yes");
		if (!migrate_confirm("\nMigrate now? [y/N] ")) {
			fprintf(stderr, "%s: migrate run: not confirmed; nothing was changed\n", cli->prog);
			return EXIT_NEEDS_ACTION;
		}
	}
	if (migrate_secret_init(&pw) < 0)
		return cli_error(cli, "out of memory");
	r = migrate_get_password(cli, "run", user, m->password_fd, &pw);
	if (r != 0) {
		migrate_secret_done(&pw);
		return r;
	}
	if (!cli->quiet)
		printf("\n");
	return execute(cli, "run", user, plan, m, &pw);
}

/* Does the journal's plan keep /home/USER.saved (no remove-saved step started)? */
static bool saved_copy_kept(const hs_migrate_status *st)
{
	for (size_t i = 0; i < hs_migrate_status_count(st); i++) {
		const hs_migrate_step_status *s = hs_migrate_status_step(st, i);

		if (strcmp(s->id, "remove-saved") == 0 && s->state != HS_MIGRATE_PENDING)
			return false;
	}
	return true;
}

static int verb_continue(struct cli *cli, const char *verb, struct mopts *m, const char *user)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *st = NULL;
	bool rollback = strcmp(verb, "rollback") == 0;
	struct migrate_secret pw = { 0 };
	int r;

	r = hs_migrate_status_load(cli->ctx, &st, user);
	if (r < 0)
		return report_failure(cli, verb, user, r);
	if (rollback && strcmp(hs_migrate_status_phase(st), "completed") == 0 && saved_copy_kept(st)) {
		fprintf(stderr, "%s: the migration of %s completed: rolling it back removes the new home, and every "
			"change made in it since is lost\n", cli->prog, user);
		/* asked only when someone is there to answer (a script says --yes by running rollback at all) */
		if (!m->yes && migrate_interactive() && !migrate_confirm("Roll back anyway? [y/N] "))
			return cli_error(cli, "migrate rollback: not confirmed; nothing was changed");
	}
	if (migrate_secret_init(&pw) < 0)
		return cli_error(cli, "out of memory");
	if (hs_migrate_status_needs_password(st, rollback)) {
		r = migrate_get_password(cli, verb, user, m->password_fd, &pw);
		if (r != 0) {
			migrate_secret_done(&pw);
			return r;
		}
	}
	return execute(cli, verb, user, NULL, m, &pw);
}

/* ---- dispatch ---------------------------------------------------------------------------------------------- */

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
	struct mopts m = { 0 };
	const char *verb, *user = NULL;
	int r;

	if (argc < 2)
		return cli_error(cli, "migrate: name what to do: check, plan, run, resume, rollback or status (see '%s "
				 "help migrate')", cli->prog);
	verb = argv[1];
	if (strcmp(verb, "check") == 0)
		return cmd_migrate_check(cli, argc - 1, argv + 1);
	if (strcmp(verb, "plan") != 0 && strcmp(verb, "run") != 0 && strcmp(verb, "resume") != 0 &&
	    strcmp(verb, "rollback") != 0 && strcmp(verb, "status") != 0)
		return cli_error(cli, "migrate: unknown action '%s' (check, plan, run, resume, rollback, status)", verb);
	r = parse_options(cli, verb, argc - 1, argv + 1, &m, &user);
	if (r == 0) {
		if (strcmp(verb, "plan") == 0) {
			_cleanup_(hs_migrate_plan_freep) hs_migrate_plan *plan = NULL;

			r = verb_plan(cli, verb, &m, &plan);
			if (r == 0) {
				if (cli->json) {
					if (print_plan_json(cli, plan) < 0)
						r = cli_error(cli, "out of memory");
				} else
					print_plan(cli, plan);
				if (r == 0)
					r = cli_finish(cli, EXIT_OK);
			}
		} else if (strcmp(verb, "run") == 0)
			r = verb_run(cli, &m, user);
		else if (strcmp(verb, "status") == 0)
			r = verb_status(cli, user);
		else
			r = verb_continue(cli, verb, &m, user);
	}
	free(m.extra);
	return r;
}
