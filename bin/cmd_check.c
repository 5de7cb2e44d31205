/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup check: is this machine ready for systemd-homed, and if not, what exactly fixes it?
 *
 * The library runs the registered checks (hs_check_run) and hands back a report; this file only presents it,
 * with the report renderers it shares with `migrate check` (bin/output.c): Portage's ` * ` style grouped by
 * check group with an OpenRC-like status at the right, every FAIL followed by its fix, a closing count; JSON as
 * documented in doc/check-json.md; or --kv records for the eselect module.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_report, hs_report_free)

#define CHECK_JSON_VERSION 1

void help_check(FILE *out)
{
	fprintf(out,
		"Usage: homesetup check [--json | --kv] [--only ID...] [--skip ID...] [--list] [--user USER] [--no-bus]\n"
		"\n"
		"Check whether this system is ready for systemd-homed: the USE flags emerge would build\n"
		"sys-apps/systemd and sys-auth/pambase with, what the installed packages were built with and\n"
		"installed, and (as far as they are available) the service manager, NSS, PAM, the kernel,\n"
		"homed.conf, homed's keys and the free space for the homes. Every check says OK, WARN, FAIL or\n"
		"SKIP; every FAIL comes with the command or edit that fixes it.\n"
		"\n"
		"Options:\n"
		"      --only ID[,ID...]  run only these checks; an ID may also be a group (use, vdb, service ...);\n"
		"                         may be repeated\n"
		"      --skip ID[,ID...]  leave these checks or groups out; may be repeated\n"
		"      --list             list the checks (ID, group, what it verifies) and exit\n"
		"      --user USER        also check what migrating USER needs\n"
		"      --no-bus           do not talk to D-Bus (the service checks SKIP)\n"
		"  -v, --verbose          show the details and the ID of every check, not only of the problems\n"
		"      --json             the report as JSON (see doc/check-json.md)\n"
		"      --kv               one line per check, fields separated by a TAB, each field KEY=VALUE (in this\n"
		"                         order: id group status summary, then detail and fix when there are any); a\n"
		"                         backslash, TAB, CR or newline in a value is written as \\\\, \\t, \\r or \\n\n"
		"  -R, --root DIR         ROOT: check the system installed there (a chroot, a mounted image)\n"
		"      --config-root DIR  PORTAGE_CONFIGROOT: where etc/portage is read (default: ROOT)\n"
		"  -q, --quiet            print only the problems and the closing count\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 every check is OK (WARN and SKIP allowed), 1 at least one FAIL, 2 usage error\n"
		"or a check that could not run at all.\n");
}

/* ---- options ---------------------------------------------------------------------------------------------- */

/* Append the comma- or space-separated names of @arg to *v. */
static int push_names(char ***v, size_t *n, const char *arg)
{
	const char *p = arg;

	for (;;) {
		size_t len;
		char **nv;

		p += strspn(p, ", \t");
		if (!*p)
			return 0;
		len = strcspn(p, ", \t");
		nv = realloc(*v, (*n + 2) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		nv[*n] = strndup(p, len);
		if (!nv[*n])
			return -ENOMEM;
		nv[++*n] = NULL;
		p += len;
	}
}

/* ---- human output ----------------------------------------------------------------------------------------- */

static void print_human(struct cli *cli, const hs_report *rep, bool verbose, const char *user)
{
	const char *root = hs_ctx_get_root(cli->ctx), *croot = hs_ctx_get_config_root(cli->ctx);
	const struct cli_report_view view = { .verbose = verbose, .collapse = true, .groups = true, .user = user };
	size_t counts[4];

	if (strcmp(root, "/") != 0 || strcmp(croot, "/") != 0) {
		printf(" %s*%s ROOT=%s", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), root);
		if (strcmp(croot, root) != 0)
			printf("  PORTAGE_CONFIGROOT=%s", croot);
		putchar('\n');
	}
	cli_report_print_results(cli, rep, &view);
	cli_report_print_counts(cli, rep);
	cli_report_count(rep, counts);
	if (counts[HS_CHECK_FAIL])
		printf(" %s*%s Run the fixes in the order shown, then 'homesetup check' again.\n",
		       cli_c(cli, C_BAD), cli_c(cli, C_RESET));
}

/* ---- JSON (doc/check-json.md) ------------------------------------------------------------------------------ */

static int print_json(struct cli *cli, const hs_report *rep)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return -1;
	cli_json_add(o, "version", json_object_new_int(CHECK_JSON_VERSION));
	cli_json_add(o, "root", cli_json_str(hs_ctx_get_root(cli->ctx)));
	cli_json_add(o, "config_root", cli_json_str(hs_ctx_get_config_root(cli->ctx)));
	if (cli_report_json_add(o, rep) < 0)
		return -1;
	return cli_json_print(o, true);
}

static int print_list(struct cli *cli)
{
	size_t n = hs_check_registry_count();

	if (cli->json) {
		_cleanup_json_ struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		if (!o || !a) {
			json_object_put(a);
			return -1;
		}
		cli_json_add(o, "version", json_object_new_int(CHECK_JSON_VERSION));
		cli_json_add(o, "checks", a);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_new_object();

			if (!e || json_object_array_add(a, e) < 0) {
				json_object_put(e);
				return -1;
			}
			cli_json_add(e, "id", cli_json_str(hs_check_registry_id(i)));
			cli_json_add(e, "group", cli_json_str(hs_check_registry_group(i)));
			cli_json_add(e, "description", cli_json_str(hs_check_registry_description(i)));
		}
		return cli_json_print(o, true);
	}
	for (size_t i = 0; i < n; i++)
		printf("%-30s %-11s %s\n", hs_check_registry_id(i), hs_check_registry_group(i),
		       hs_check_registry_description(i));
	return 0;
}

/* ---- the command ------------------------------------------------------------------------------------------ */

static void names_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	enum { OPT_ONLY = 0x100, OPT_SKIP, OPT_LIST, OPT_USER, OPT_NO_BUS, OPT_KV };
	static const struct option options[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-bus", no_argument, NULL, OPT_NO_BUS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "kv", no_argument, NULL, OPT_KV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_report_freep) hs_report *rep = NULL;
	hs_check_options opts = { 0 };
	char **only = NULL, **skip = NULL;
	size_t n_only = 0, n_skip = 0;
	bool list = false, verbose = false, kv = false;
	int c, r, code;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", options, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
		case OPT_SKIP:
			r = c == OPT_ONLY ? push_names(&only, &n_only, optarg) : push_names(&skip, &n_skip, optarg);
			if (r < 0) {
				code = cli_error(cli, "out of memory");
				goto out;
			}
			break;
		case OPT_LIST: list = true; break;
		case OPT_USER: opts.user = optarg; break;
		case OPT_NO_BUS: opts.no_bus = true; break;
		case 'v': verbose = true; break;
		case OPT_KV: kv = true; break;
		case 'h':
			help_check(stdout);
			code = EXIT_OK;
			goto out;
		default:
			code = cli_option_error(cli, "check", c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		code = cli_error(cli, "check: unexpected argument '%s' (checks are chosen with --only; see '%s help "
				 "check')", argv[optind], cli->prog);
		goto out;
	}
	if (kv && cli->json) {
		code = cli_error(cli, "check: --kv and --json are exclusive");
		goto out;
	}
	/* a mistyped --root must not pass for "not a Gentoo system" */
	for (int k = 0; k < 2 && !list; k++) {
		const char *dir = k ? hs_ctx_get_config_root(cli->ctx) : hs_ctx_get_root(cli->ctx);
		struct stat st;
		int err = stat(dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;

		if (err) {
			code = cli_error(cli, "check: %s '%s': %s", k ? "PORTAGE_CONFIGROOT" : "ROOT", dir, strerror(err));
			goto out;
		}
	}
	if (list) {
		code = cli_finish(cli, print_list(cli) < 0 ? cli_error(cli, "out of memory") : EXIT_OK);
		goto out;
	}
	if (n_only > 0 && !only) {
		code = cli_error(cli, "out of memory");
		goto out;
	}
	opts.only = (const char *const *)only;
	opts.skip = (const char *const *)skip;
	/* the global --bus-address and --bus-timeout */
	opts.bus_address = cli->bus_address;
	opts.bus_timeout_usec = cli->bus_timeout_usec;

	r = hs_check_run(cli->ctx, &rep, &opts);
	cli_flush_warnings(cli);
	if (r < 0) {
		rep = NULL;
		code = r == -EINVAL ? cli_lib_error(cli, EXIT_USAGE, "check") :
				      cli_error(cli, "check: %s", strerror(-r));
		goto out;
	}
	if (cli->json)
		r = print_json(cli, rep);
	else if (kv)
		cli_report_print_kv(rep), r = 0;
	else
		print_human(cli, rep, verbose, opts.user), r = 0;
	if (r < 0) {
		code = cli_error(cli, "out of memory");
		goto out;
	}
	code = cli_finish(cli, hs_report_worst(rep) == HS_CHECK_FAIL ? EXIT_NEEDS_ACTION : EXIT_OK);
out:
	names_free(only);
	names_free(skip);
	return code;
}
