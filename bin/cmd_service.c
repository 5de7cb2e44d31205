/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup service enable|reexec: what the wiki does with `systemctl enable --now systemd-homed` and
 * `systemctl daemon-reexec`, over D-Bus, reporting each call's answer and the jobs' results. The library
 * (hs_service_*) makes the calls; this file parses options and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_service_result, hs_service_result_free)

typedef int (*service_fn)(hs_ctx *ctx, hs_service_result **out, const hs_service_options *opts);

void help_service(FILE *out)
{
	fprintf(out,
		"Usage: homesetup service enable [--pretend] [--timeout SECONDS]\n"
		"       homesetup service reexec [--pretend] [--timeout SECONDS]\n"
		"\n"
		"Act on systemd over D-Bus (the system bus, or --bus-address) and report every call and its answer.\n"
		"\n"
		"  enable   what 'systemctl enable --now systemd-homed.service' does: read the unit file states of\n"
		"           systemd-homed.service and systemd-userdbd.service, EnableUnitFiles those that are\n"
		"           disabled, Reload when that changed anything, then StartUnit systemd-homed.service (and\n"
		"           systemd-userdbd.service unless it runs already) and wait for each start job's result.\n"
		"  reexec   what 'systemctl daemon-reexec' does (needed after systemd was rebuilt): Reexecute, wait\n"
		"           until systemd is back on the bus, and report its version before and after.\n"
		"\n"
		"Options:\n"
		"  -p, --pretend          read the current state and list the calls that would change it; change nothing\n"
		"      --timeout SECONDS  longest wait for a start job, a reload or the re-execution (default 90)\n"
		"      --json             the steps and the outcome as one JSON object\n"
		"  -q, --quiet            print only the outcome\n"
		"      --bus-address ADDR D-Bus address of the system bus (env HOMESETUP_BUS_ADDRESS)\n"
		"      --bus-timeout SEC  how long one D-Bus call may take (default 5)\n"
		"  -h, --help             this help\n"
		"\n"
		"Both need root: systemd refuses these calls to other users.\n"
		"\n"
		"Exit status: 0 done (or, with --pretend, nothing in the way), 1 a start job did not succeed or the unit\n"
		"is masked or missing (the fix is printed), 2 usage error, or a D-Bus call failed (not reachable,\n"
		"permission denied, no answer in time).\n");
}

static void print_detail(struct cli *cli, const char *detail)
{
	const char *p = detail;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf(" %s*%s     %.*s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), len, p);
		p = nl ? nl + 1 : NULL;
	}
}

static void print_human(struct cli *cli, const hs_service_result *res, int r, const char *what)
{
	size_t n = hs_service_result_count(res);
	const char *summary = hs_service_result_summary(res), *fix = hs_service_result_fix(res);
	bool ok = hs_service_result_status(res) == HS_CHECK_OK;

	for (size_t i = 0; !cli->quiet && i < n; i++) {
		const hs_service_step *s = hs_service_result_step(res, i);

		if (s->made)
			printf(" %s*%s %s: %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), s->call,
			       s->result ? s->result : "");
		else
			printf(" %s*%s would call %s\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), s->call);
		print_detail(cli, s->detail);
	}
	if (r < 0) {
		fflush(stdout);
		cli_lib_error(cli, EXIT_USAGE, what);
		return;
	}
	if (summary)
		printf(" %s*%s %s\n", cli_c(cli, ok ? C_GOOD : C_BAD), cli_c(cli, C_RESET), summary);
	if (fix)
		printf(" %s*%s   fix: %s\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET), fix);
}

static int print_json(struct cli *cli, const hs_service_result *res, int r, const char *what, bool pretend)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	size_t n = hs_service_result_count(res);
	int e = 0;

	if (!o || !steps) {
		json_object_put(steps);
		return -1;
	}
	e |= cli_json_add(o, "command", cli_json_str(what));
	e |= cli_json_add(o, "pretend", json_object_new_boolean(pretend));
	e |= cli_json_add(o, "status", cli_json_str(r < 0 ? "ERROR" : hs_check_status_name(hs_service_result_status(res))));
	e |= cli_json_add(o, "summary", cli_json_str(r < 0 ? NULL : hs_service_result_summary(res)));
	e |= cli_json_add(o, "fix", cli_json_str(r < 0 ? NULL : hs_service_result_fix(res)));
	e |= cli_json_add(o, "error", cli_json_str(r < 0 ? hs_ctx_last_error(cli->ctx) : NULL));
	e |= cli_json_add(o, "version", cli_json_str(hs_service_result_version(res)));
	for (size_t i = 0; i < n; i++) {
		const hs_service_step *s = hs_service_result_step(res, i);
		struct json_object *js = json_object_new_object();

		if (!js || json_object_array_add(steps, js) < 0) {
			json_object_put(js);
			e = -1;
			break;
		}
		e |= cli_json_add(js, "call", cli_json_str(s->call));
		e |= cli_json_add(js, "changes", json_object_new_boolean(s->changes));
		e |= cli_json_add(js, "made", json_object_new_boolean(s->made));
		e |= cli_json_add(js, "result", cli_json_str(s->result));
		e |= cli_json_add(js, "detail", cli_json_str(s->detail));
	}
	e |= cli_json_add(o, "steps", steps);
	if (e)
		return -1;
	return cli_json_print(o, false);
}

static int service_run(struct cli *cli, int argc, char **argv, const char *what, service_fn fn)
{
	static const struct option options[] = {
		{ "pretend", no_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_service_result_freep) hs_service_result *res = NULL;
	hs_service_options opts = { .bus_address = cli->bus_address, .bus_timeout_usec = cli->bus_timeout_usec };
	char *end;
	double secs;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pt:h", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pretend = true;
			break;
		case 't':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(secs > 0 && secs <= 86400))
				return cli_error(cli, "%s: invalid --timeout '%s': give seconds, e.g. 90", what, optarg);
			opts.job_timeout_usec = (uint64_t)(secs * 1e6 + 0.5);
			break;
		case 'h':
			help_service(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, what, c, argv);
		}
	}
	if (optind < argc)
		return cli_error(cli, "%s: unexpected argument '%s' (see '%s help service')", what, argv[optind],
				 cli->prog);

	r = fn(cli->ctx, &res, &opts);
	if (!res)
		return cli_lib_error(cli, EXIT_USAGE, what);
	if (cli->json) {
		if (print_json(cli, res, r, what, opts.pretend) < 0)
			return cli_error(cli, "out of memory");
	} else
		print_human(cli, res, r, what);
	if (r < 0)
		return cli_finish(cli, EXIT_USAGE);
	return cli_finish(cli, hs_service_result_status(res) == HS_CHECK_OK ? EXIT_OK : EXIT_NEEDS_ACTION);
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cli_error(cli, "service: say what to do: enable or reexec (see '%s help service')", cli->prog);
	optind = 0;
	if (strcmp(sub, "enable") == 0)
		return service_run(cli, argc - 1, argv + 1, "service enable", hs_service_enable);
	if (strcmp(sub, "reexec") == 0)
		return service_run(cli, argc - 1, argv + 1, "service reexec", hs_service_reexec);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		help_service(stdout);
		return EXIT_OK;
	}
	return cli_error(cli, "service: unknown subcommand '%s' (see '%s help service')", sub, cli->prog);
}
