/* SPDX-License-Identifier: GPL-2.0-or-later */
/* homesetup move-plan USER: the numbered steps of moving a home to a new machine (hs_move_plan_new). */
#include <getopt.h>
#include <string.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_move_plan, hs_move_plan_free)

void help_move_plan(FILE *out)
{
	fprintf(out,
		"Usage: homesetup move-plan USER [--json]\n"
		"\n"
		"Print the steps of moving USER's home to a new machine: deactivate it cleanly, export homed's keys\n"
		"(local.public and local.private), save the world file and /etc/portage, copy the image sparsely,\n"
		"then on the new machine prepare Portage and homed, import the keys, check that the name and UID\n"
		"are free, activate, verify. The image path and UID come from the user's record under ROOT\n"
		"(/var/lib/systemd/home/USER.identity) when it is readable. Nothing is run.\n"
		"\n"
		"Options:\n"
		"      --json       the plan as JSON: {\"user\", \"image\", \"uid\", \"notes\", \"steps\": [{\"n\", \"where\",\n"
		"                   \"title\", \"commands\": [...], \"note\"}]}\n"
		"  -R, --root DIR   read the record from the system installed there\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 the plan was printed, 2 usage error.\n");
}

static int print_json(struct cli *cli, const hs_move_plan *p, const char *user)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array(), *notes = json_object_new_array();
	int e = 0;

	if (!o || !steps || !notes) {
		json_object_put(steps);
		json_object_put(notes);
		return -1;
	}
	e |= cli_json_add(o, "user", cli_json_str(user));
	e |= cli_json_add(o, "image", cli_json_str(hs_move_plan_image(p)));
	e |= cli_json_add(o, "uid", hs_move_plan_uid(p) ? json_object_new_int64(hs_move_plan_uid(p)) : NULL);
	for (size_t i = 0; i < hs_move_plan_note_count(p); i++)
		if (json_object_array_add(notes, cli_json_str(hs_move_plan_note(p, i))) < 0)
			e = -1;
	e |= cli_json_add(o, "notes", notes);
	for (size_t i = 0; i < hs_move_plan_count(p); i++) {
		const hs_move_step *s = hs_move_plan_step(p, i);
		struct json_object *j = json_object_new_object(), *cmds = json_object_new_array();
		const char *c = s->commands;

		if (!j || !cmds || json_object_array_add(steps, j) < 0) {
			json_object_put(j);
			json_object_put(cmds);
			return -1;
		}
		while (c && *c) {
			const char *nl = strchr(c, '\n');
			size_t len = nl ? (size_t)(nl - c) : strlen(c);

			if (json_object_array_add(cmds, cli_json_text(c, len)) < 0)
				e = -1;
			c = nl ? nl + 1 : NULL;
		}
		e |= cli_json_add(j, "n", json_object_new_int64((int64_t)i + 1));
		e |= cli_json_add(j, "where", cli_json_str(s->where));
		e |= cli_json_add(j, "title", cli_json_str(s->title));
		e |= cli_json_add(j, "commands", cmds);
		e |= cli_json_add(j, "note", cli_json_str(s->note));
	}
	e |= cli_json_add(o, "steps", steps);
	return e ? -1 : cli_json_print(o, false);
}

static void print_human(struct cli *cli, const hs_move_plan *p, const char *user)
{
	const char *where = NULL;

	printf(" %s*%s %sMoving %s's home to a new machine%s (image %s%s%.0u)\n", cli_c(cli, C_GOOD),
	       cli_c(cli, C_RESET), cli_c(cli, C_BOLD), user, cli_c(cli, C_RESET), hs_move_plan_image(p),
	       hs_move_plan_uid(p) ? ", UID " : "", hs_move_plan_uid(p));
	for (size_t i = 0; i < hs_move_plan_note_count(p); i++)
		printf(" %s*%s   %s\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), hs_move_plan_note(p, i));
	for (size_t i = 0; i < hs_move_plan_count(p); i++) {
		const hs_move_step *s = hs_move_plan_step(p, i);
		const char *c = s->commands;

		if (!where || strcmp(where, s->where) != 0) {
			where = s->where;
			printf("\n %s*%s %sOn the %s machine:%s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
			       cli_c(cli, C_BOLD), strcmp(where, "old") == 0 ? "old" : "new", cli_c(cli, C_RESET));
		}
		printf(" %s*%s %2zu. %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), i + 1, s->title);
		while (c && *c) {
			const char *nl = strchr(c, '\n');
			int len = nl ? (int)(nl - c) : (int)strlen(c);

			printf("         %.*s\n", len, c);
			c = nl ? nl + 1 : NULL;
		}
		if (s->note)
			printf("       (%s)\n", s->note);
	}
}

int cmd_move_plan(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_move_plan_freep) hs_move_plan *p = NULL;
	const char *user;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 'h') {
			help_move_plan(stdout);
			return EXIT_OK;
		}
		return cli_option_error(cli, "move-plan", c, argv);
	}
	if (optind >= argc)
		return cli_error(cli, "move-plan: name the user whose home moves (see '%s help move-plan')", cli->prog);
	user = argv[optind++];
	if (optind < argc)
		return cli_error(cli, "move-plan: unexpected argument '%s'", argv[optind]);
	if (hs_move_plan_new(cli->ctx, &p, user) < 0)
		return cli_lib_error(cli, EXIT_USAGE, "move-plan");
	if (cli->json) {
		if (print_json(cli, p, user) < 0)
			return cli_error(cli, "out of memory");
	} else
		print_human(cli, p, user);
	return cli_finish(cli, EXIT_OK);
}
