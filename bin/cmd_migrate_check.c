/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup migrate check USER: can USER be migrated to systemd-homed now, and what will the migration do?
 *
 * The library gathers the facts and runs the `migrate` checks (hs_migrate_facts_new); this file renders them with
 * the report renderers of `homesetup check` (bin/output.c: Portage's ` * ` lines with an OpenRC-like status at
 * the right, the fix under every problem), followed by what the migration would pass to homectl and rsync; or
 * as JSON: the report in the form of `homesetup check --json` plus "user" and "facts".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_migrate_facts, hs_migrate_facts_free)

#define MIGRATE_CHECK_JSON_VERSION 1

void help_migrate_check(FILE *out)
{
	fprintf(out,
		"Usage: homesetup migrate check USER [--storage S] [--fs-type T] [--disk-size SIZE] [--copy]\n"
		"                               [--no-bus] [-v] [--json]\n"
		"\n"
		"Check whether USER, a user of /etc/passwd, can be migrated to systemd-homed now, and show what the\n"
		"migration would do. Every check says OK, WARN, FAIL or SKIP, and every problem comes with its fix:\n"
		"the account (name, UID, groups), sessions and processes, the home directory and what it holds\n"
		"(mount points, ACLs and extended attributes, hard links to outside it, files of other owners,\n"
		"sockets and device nodes, sparse files, names that are not UTF-8), the space on /home, rsync,\n"
		"the storage, and whether systemd-homed is ready (the checks of 'homesetup check'). Nothing is\n"
		"changed. 'homesetup check --user USER' runs the same checks after the readiness checks.\n"
		"\n"
		"Options:\n"
		"      --storage S        luks, directory, subvolume or fscrypt (default: homed.conf's DefaultStorage,\n"
		"                         else luks)\n"
		"      --fs-type T        the file system inside a LUKS image: btrfs, ext4 or xfs (default:\n"
		"                         homed.conf's DefaultFileSystemType, else homed's built-in default)\n"
		"      --disk-size SIZE   the LUKS image's size: bytes, or with K, M, G, T (powers of 1024);\n"
		"                         default: the home's data + 10%% (at least the file system's minimum) + 18 MiB\n"
		"      --copy             copy the home aside instead of renaming it (needs room for two copies)\n"
		"      --no-bus           do not ask sd-login and D-Bus (those checks say SKIP)\n"
		"  -v, --verbose          show the details and the ID of every check\n"
		"      --json             the report and the facts as JSON\n"
		"  -R, --root DIR         check the system installed there (sessions and processes are looked at on\n"
		"                         the running system only)\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 every check is OK (or SKIP), 1 at least one WARN or FAIL, 2 usage error or a check\n"
		"run that could not be made.\n");
}

/* ---- human output ----------------------------------------------------------------------------------------- */

static void human_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* What the migration would pass on, from the facts (only what is known). */
static void print_facts(struct cli *cli, const hs_migrate_info *in)
{
	char buf[32];

	cli_heading(cli, "What the migration would use");
	if (in->home)
		printf("     account:    UID %" PRIu32 ", GID %" PRIu32 "%s%s%s, home %s, shell %s\n", in->uid, in->gid,
		       in->primary_group ? " (" : "", in->primary_group ? in->primary_group : "",
		       in->primary_group ? (in->private_group ? ", private)" : ", shared)") : "", in->home,
		       in->shell && *in->shell ? in->shell : "(none)");
	if (in->member_of && in->member_of[0]) {
		printf("     member of:  ");
		for (size_t i = 0; in->member_of[i]; i++)
			printf("%s%s", i ? "," : "", in->member_of[i]);
		putchar('\n');
	}
	printf("     storage:    %s", in->storage ? in->storage : "?");
	if (in->fs_type)
		printf(" with %s inside", in->fs_type);
	if (in->disk_size) {
		human_size(buf, sizeof(buf), in->disk_size);
		printf(", --disk-size=%" PRIu64 " (%s)", in->disk_size, buf);
	}
	if (in->needs_acl_mount_option)
		printf(", --luks-extra-mount-options=acl");
	putchar('\n');
	if (in->home) {
		human_size(buf, sizeof(buf), in->home_bytes);
		printf("     data:       %s%s%s\n", buf, in->has_acls ? ", with ACLs" : "",
		       in->has_xattrs ? ", with extended attributes" : "");
	}
	printf("     copy:       rsync %s (%s)\n", in->rsync_flags ? in->rsync_flags : "?",
	       in->rsync ? in->rsync : "rsync not found");
	printf("     saved home: %s\n", in->saved);
}

static void print_human(struct cli *cli, const hs_migrate_facts *f, bool verbose)
{
	const hs_report *rep = hs_migrate_facts_report(f);
	const hs_migrate_info *in = hs_migrate_facts_info(f);
	const char *root = hs_ctx_get_root(cli->ctx);
	/* one group, headed by the user's name even when -q leaves nothing under it */
	const struct cli_report_view view = { .verbose = verbose };
	size_t counts[4];

	if (strcmp(root, "/") != 0)
		printf(" %s*%s ROOT=%s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), root);
	cli_report_print_group(cli, "migrate", in->user);
	cli_report_print_results(cli, rep, &view);
	if (!cli->quiet)
		print_facts(cli, in);
	cli_report_print_counts(cli, rep);
	cli_report_count(rep, counts);
	if (counts[HS_CHECK_FAIL])
		printf(" %s*%s Run the fixes shown, then 'homesetup migrate check %s' again.\n", cli_c(cli, C_BAD),
		       cli_c(cli, C_RESET), in->user);
	else
		printf(" %s*%s Next: 'homesetup migrate plan %s' shows every step and command.\n", cli_c(cli, C_GOOD),
		       cli_c(cli, C_RESET), in->user);
}

/* ---- JSON ------------------------------------------------------------------------------------------------- */

static struct json_object *json_u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static struct json_object *facts_json(const hs_migrate_info *in)
{
	struct json_object *o = json_object_new_object(), *groups = NULL;

	if (!o)
		return NULL;
	cli_json_add(o, "user", cli_json_str(in->user));
	cli_json_add(o, "gecos", cli_json_str(in->gecos));
	cli_json_add(o, "shell", cli_json_str(in->shell));
	cli_json_add(o, "home", cli_json_str(in->home));
	cli_json_add(o, "uid", in->home ? json_object_new_int64(in->uid) : NULL);
	cli_json_add(o, "gid", in->home ? json_object_new_int64(in->gid) : NULL);
	cli_json_add(o, "primary_group", cli_json_str(in->primary_group));
	cli_json_add(o, "private_group", json_object_new_boolean(in->private_group));
	if (in->member_of) {
		groups = json_object_new_array();
		for (size_t i = 0; groups && in->member_of[i]; i++)
			json_object_array_add(groups, cli_json_str(in->member_of[i]));
	}
	cli_json_add(o, "member_of", groups);
	cli_json_add(o, "storage", cli_json_str(in->storage));
	cli_json_add(o, "fs_type", cli_json_str(in->fs_type));
	cli_json_add(o, "home_bytes", json_u64(in->home_bytes));
	cli_json_add(o, "disk_size", in->disk_size ? json_u64(in->disk_size) : NULL);
	cli_json_add(o, "free_bytes", json_u64(in->free_bytes));
	cli_json_add(o, "has_acls", json_object_new_boolean(in->has_acls));
	cli_json_add(o, "has_xattrs", json_object_new_boolean(in->has_xattrs));
	cli_json_add(o, "needs_acl_mount_option", json_object_new_boolean(in->needs_acl_mount_option));
	cli_json_add(o, "rsync", cli_json_str(in->rsync));
	cli_json_add(o, "rsync_flags", cli_json_str(in->rsync_flags));
	cli_json_add(o, "saved", cli_json_str(in->saved));
	return o;
}

static int print_json(struct cli *cli, const hs_migrate_facts *f)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *facts;

	if (!o)
		return -1;
	cli_json_add(o, "version", json_object_new_int(MIGRATE_CHECK_JSON_VERSION));
	cli_json_add(o, "root", cli_json_str(hs_ctx_get_root(cli->ctx)));
	cli_json_add(o, "user", cli_json_str(hs_migrate_facts_info(f)->user));
	if (cli_report_json_add(o, hs_migrate_facts_report(f)) < 0)
		return -1;
	facts = facts_json(hs_migrate_facts_info(f));
	if (!facts || cli_json_add(o, "facts", facts) < 0)
		return -1;
	return cli_json_print(o, true);
}

/* ---- the command ------------------------------------------------------------------------------------------ */

int cmd_migrate_check(struct cli *cli, int argc, char **argv)
{
	enum { OPT_STORAGE = 0x100, OPT_FS_TYPE, OPT_DISK_SIZE, OPT_COPY, OPT_NO_BUS };
	static const struct option options[] = {
		{ "storage", required_argument, NULL, OPT_STORAGE },
		{ "fs-type", required_argument, NULL, OPT_FS_TYPE },
		{ "disk-size", required_argument, NULL, OPT_DISK_SIZE },
		{ "copy", no_argument, NULL, OPT_COPY },
		{ "no-bus", no_argument, NULL, OPT_NO_BUS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_migrate_facts_freep) hs_migrate_facts *f = NULL;
	hs_migrate_options o = { .bus_address = cli->bus_address, .bus_timeout_usec = cli->bus_timeout_usec };
	size_t counts[4] = { 0 };
	const char *root = hs_ctx_get_root(cli->ctx);
	bool verbose = false;
	struct stat st;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", options, NULL)) != -1) {
		switch (c) {
		case OPT_STORAGE: o.storage = optarg; break;
		case OPT_FS_TYPE: o.fs_type = optarg; break;
		case OPT_DISK_SIZE:
			if (cli_parse_size(optarg, &o.disk_size) < 0)
				return cli_error(cli, "migrate check: invalid --disk-size '%s' (bytes, or a number with K, M, "
						 "G or T)", optarg);
			break;
		case OPT_COPY: o.copy = true; break;
		case OPT_NO_BUS: o.no_bus = true; break;
		case 'v': verbose = true; break;
		case 'h':
			help_migrate_check(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "migrate check", c, argv);
		}
	}
	if (optind >= argc)
		return cli_error(cli, "migrate check: which user? (see '%s help migrate')", cli->prog);
	o.user = argv[optind++];
	if (optind < argc)
		return cli_error(cli, "migrate check: unexpected argument '%s'", argv[optind]);
	/* a mistyped --root must not pass for "no such user" */
	r = stat(root, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (r)
		return cli_error(cli, "migrate check: ROOT '%s': %s", root, strerror(r));

	r = hs_migrate_facts_new(cli->ctx, &f, &o);
	cli_flush_warnings(cli);
	if (r < 0)
		return r == -EINVAL ? cli_lib_error(cli, EXIT_USAGE, "migrate check") :
				      cli_error(cli, "migrate check: %s", strerror(-r));
	cli_report_count(hs_migrate_facts_report(f), counts);
	if (cli->json) {
		if (print_json(cli, f) < 0)
			return cli_error(cli, "out of memory");
	} else
		print_human(cli, f, verbose);
	return cli_finish(cli, counts[HS_CHECK_FAIL] || counts[HS_CHECK_WARN] ? EXIT_NEEDS_ACTION : EXIT_OK);
}
