/* SPDX-License-Identifier: GPL-2.0-or-later */
/* homesetup: command dispatch and the options every command shares. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "atom", cmd_atom, "parse, compare and intersect package atoms", help_atom },
	{ "check", cmd_check, "is this system ready for systemd-homed? every check, with its fix", help_check },
	{ "vercmp", cmd_vercmp, "compare two package versions as Portage does", help_vercmp },
	{ "required-use", cmd_required_use, "check REQUIRED_USE and find the fewest USE changes", help_required_use },
	{ "use", cmd_use, "the USE Portage would build systemd and pambase with, and why", help_use },
	{ "service", cmd_service, "enable and start systemd-homed, or re-execute systemd, over D-Bus", help_service },
	{ "users", cmd_users, "list the regular users and the state of their homes", help_users },
	{ "image", cmd_image, "inspect a homed LUKS home image offline, read-only: what homed would say", help_image },
	{ "doctor", cmd_doctor, "diagnose systemd-homed from its journal and state: each known failure with its fix", help_doctor },
	{ "keys", cmd_keys, "export and import homed's signing keys (local.public, local.private)", help_keys },
	{ "move-plan", cmd_move_plan, "the steps of moving a home to a new machine, Portage side included", help_move_plan },
	{ "manifest", cmd_manifest, "record a tree: type, mode, owner, times, xattrs, ACLs, hardlinks, content hashes", help_manifest },
	{ "verify", cmd_verify, "compare two trees, or a tree with a manifest: every difference, expected ones named", help_verify },
	{ "migrate", cmd_migrate, "move a user into a systemd-homed home: check, plan, run, resume, rollback, status", help_migrate },
	{ "help", NULL, "show the help of a command", NULL },
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"Take a Gentoo system from \"systemd installed\" to \"users in systemd-homed homes\".\n"
		"\n"
		"Commands:\n",
		prog);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Options (before or after the command):\n"
		"  -R, --root DIR         ROOT: where the installed-package database lives (env ROOT)\n"
		"      --config-root DIR  PORTAGE_CONFIGROOT: where etc/portage lives (env PORTAGE_CONFIGROOT)\n"
		"      --json             machine-readable output\n"
		"      --bus-address ADDR D-Bus address of the system bus, for check and service\n"
		"                         (env HOMESETUP_BUS_ADDRESS; default: the system bus)\n"
		"      --bus-timeout SEC  how long one D-Bus call may take (default 5)\n"
		"  -q, --quiet            print less\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Exit status: 0 ok, 1 a check failed or something is to be done, 2 usage or I/O error.\n"
		"See '%s help COMMAND' and homesetup(8).\n",
		prog);
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].run && strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* --bus-address ADDR and --bus-timeout SECONDS (also as --opt=value): the D-Bus options of check and service. */
static int take_bus_option(struct cli *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *eq = strchr(a, '=');
	const char *val = eq ? eq + 1 : NULL;
	bool address = strncmp(a, "--bus-address", 13) == 0;
	char *end;
	double secs;

	if (!val) {
		if (*i + 1 >= argc)
			return cli_error(cli, "option '%s' needs %s", a, address ? "a D-Bus address" : "a number of seconds");
		val = argv[++*i];
	}
	if (address) {
		if (!*val)
			return cli_error(cli, "option --bus-address needs a D-Bus address, e.g. unix:path=/run/dbus/system_bus_socket");
		cli->bus_address = val;
		return 0;
	}
	errno = 0;
	secs = strtod(val, &end);
	if (errno || end == val || *end || !(secs > 0 && secs <= 3600))
		return cli_error(cli, "invalid --bus-timeout '%s': give seconds between 0 and 3600, e.g. 5 or 0.5", val);
	cli->bus_timeout_usec = (uint64_t)(secs * 1e6);
	return 0;
}

/* Global options may appear anywhere; they are removed from argv so commands see only their own. */
static int take_global_options(struct cli *cli, int *argc, char **argv, const char **root,
			       const char **config_root, bool *help, bool *version)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *val = NULL;

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--root") == 0 || strcmp(a, "-R") == 0)
			dst = root;
		else if (strncmp(a, "--root=", 7) == 0)
			dst = root, val = a + 7;
		else if (strcmp(a, "--config-root") == 0)
			dst = config_root;
		else if (strncmp(a, "--config-root=", 14) == 0)
			dst = config_root, val = a + 14;
		else if (strcmp(a, "--json") == 0) {
			cli->json = true;
			continue;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			cli->quiet = true;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
			continue;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			*version = true;
			continue;
		} else if (strcmp(a, "--bus-address") == 0 || strncmp(a, "--bus-address=", 14) == 0 ||
			   strcmp(a, "--bus-timeout") == 0 || strncmp(a, "--bus-timeout=", 14) == 0) {
			if (take_bus_option(cli, *argc, argv, &i) != 0)
				return EXIT_USAGE;
			continue;
		}
		if (dst) {
			if (!val) {
				if (i + 1 >= *argc)
					return cli_error(cli, "option '%s' needs a directory", a);
				val = argv[++i];
			}
			*dst = val;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

/* The help of a command; `migrate check` has its own (its options differ from the other migrate actions'). */
static void command_help(const struct cli_command *cmd, const char *sub)
{
	if (cmd->run == cmd_migrate && sub && strcmp(sub, "check") == 0)
		help_migrate_check(stdout);
	else
		cmd->help(stdout);
}

int main(int argc, char **argv)
{
	struct cli cli = { .prog = "homesetup" };
	const char *root = getenv("ROOT"), *config_root = getenv("PORTAGE_CONFIGROOT");
	bool help = false, version = false;
	const struct cli_command *cmd;
	int r;

	cli.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	cli.bus_address = getenv("HOMESETUP_BUS_ADDRESS");
	if (cli.bus_address && !*cli.bus_address)
		cli.bus_address = NULL;
	if (take_global_options(&cli, &argc, argv, &root, &config_root, &help, &version) != 0)
		return EXIT_USAGE;
	if (version) {
		printf("homesetup %s\n", HS_VERSION_STRING);
		return EXIT_OK;
	}
	if (argc < 2) {
		usage(help ? stdout : stderr, cli.prog);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout, cli.prog);
			return EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd)
			return cli_error(&cli, "unknown command '%s' (see '%s --help')", argv[2], cli.prog);
		command_help(cmd, argc > 3 ? argv[3] : NULL);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return cli_error(&cli, "unknown command '%s' (see '%s --help')", argv[1], cli.prog);
	if (help) {
		command_help(cmd, argc > 2 ? argv[2] : NULL);
		return EXIT_OK;
	}
	r = hs_ctx_new(&cli.ctx);
	if (r < 0)
		return cli_error(&cli, "%s", strerror(-r));
	if (hs_ctx_set_root(cli.ctx, root) < 0 ||
	    (config_root && *config_root && hs_ctx_set_config_root(cli.ctx, config_root) < 0)) {
		r = cli_lib_error(&cli, EXIT_USAGE, "invalid root");
		hs_ctx_free(cli.ctx);
		return r;
	}
	optind = 0; /* let the command use getopt_long from scratch */
	r = cmd->run(&cli, argc - 1, argv + 1);
	cli_flush_warnings(&cli);
	hs_ctx_free(cli.ctx);
	return r;
}
