/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup check: is this machine ready for systemd-homed, and if not, what exactly fixes it?
 *
 * The library runs the registered checks (hs_check_run) and hands back a report; this file only renders it:
 * Portage's ` * ` style grouped by check group with an OpenRC-like status at the right, every FAIL followed by
 * its fix, a closing count; or JSON as documented in doc/check-json.md.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_report, hs_report_free)

#define C_BLUE "\033[34;01m"
#define CHECK_JSON_VERSION 1
#define WIDTH_DEFAULT 100

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

static const struct {
	const char *group, *title;
} group_titles[] = {
	{ "use", "USE flags emerge would build with" },
	{ "vdb", "Installed packages (/var/db/pkg)" },
	{ "service", "Service manager" },
	{ "nss", "Name service switch (/etc/nsswitch.conf)" },
	{ "pam", "PAM (/etc/pam.d)" },
	{ "kernel", "Kernel" },
	{ "homed-conf", "homed.conf" },
	{ "keys", "homed's signing keys" },
	{ "space", "Disk space for the homes" },
};

static const char *group_title(const char *group)
{
	for (size_t i = 0; i < sizeof(group_titles) / sizeof(group_titles[0]); i++)
		if (strcmp(group_titles[i].group, group) == 0)
			return group_titles[i].title;
	return group;
}

static int out_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col < WIDTH_DEFAULT ? ws.ws_col : WIDTH_DEFAULT;
	return WIDTH_DEFAULT;
}

static const char *status_colour(hs_check_status s)
{
	switch (s) {
	case HS_CHECK_OK: return C_GOOD;
	case HS_CHECK_WARN: return C_WARN;
	case HS_CHECK_FAIL: return C_BAD;
	case HS_CHECK_SKIP: return C_HILITE;
	}
	return "";
}

/* OpenRC's eend: "[ ok ]" and "[ !! ]", with "warn" and "skip" for the two states it does not have. */
static const char *status_tag(hs_check_status s)
{
	switch (s) {
	case HS_CHECK_OK: return " ok ";
	case HS_CHECK_WARN: return "warn";
	case HS_CHECK_FAIL: return " !! ";
	case HS_CHECK_SKIP: return "skip";
	}
	return " ?? ";
}

/* Each line of @text, indented. */
static void print_lines(const char *indent, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		printf("%s%.*s\n", indent, (int)n, text);
		text += n;
		text += *text == '\n';
	}
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Results a reader cannot tell apart (e.g. every check of a group skipped for the same reason) are shown once. */
static bool same_result(const hs_check_result *a, const hs_check_result *b)
{
	return a && b && a->status == b->status && strcmp(a->group, b->group) == 0 && same_str(a->summary, b->summary) &&
	       same_str(a->detail, b->detail) && same_str(a->fix, b->fix);
}

static void print_result(struct cli *cli, const hs_check_result *r, size_t times, int width, bool verbose)
{
	const char *reset = cli_c(cli, C_RESET);
	char more[32] = "";
	int used, col = width - 6;
	bool problem = r->status != HS_CHECK_OK;

	if (times > 1)
		snprintf(more, sizeof(more), " (%zu checks)", times);
	used = 3 + (int)strlen(r->summary) + (int)strlen(more);
	printf(" %s*%s %s%s", cli_c(cli, status_colour(r->status)), reset, r->summary, more);
	/* the status at the right edge, or on a line of its own when the summary reaches it (as OpenRC does) */
	if (used + 1 > col) {
		putchar('\n');
		used = 0;
	}
	printf("%*s%s[%s%s%s%s]%s\n", col - used, "", cli_c(cli, C_BLUE), reset, cli_c(cli, status_colour(r->status)),
	       status_tag(r->status), cli_c(cli, C_BLUE), reset);
	if (verbose)
		printf("     check: %s\n", r->id);
	if (problem || verbose)
		print_lines("     ", r->detail);
	if (r->fix && (problem || verbose)) {
		/* a fix of several lines (lines to add to a file) continues under its first line */
		size_t n = strcspn(r->fix, "\n");

		printf("   %sfix:%s %.*s\n", cli_c(cli, C_BOLD), reset, (int)n, r->fix);
		if (r->fix[n])
			print_lines("        ", r->fix + n + 1);
	}
}

static void print_human(struct cli *cli, const hs_report *rep, bool verbose, const size_t counts[4])
{
	const char *group = NULL, *root = hs_ctx_get_root(cli->ctx), *croot = hs_ctx_get_config_root(cli->ctx);
	int width = out_width();
	hs_check_status worst = hs_report_worst(rep);

	if (strcmp(root, "/") != 0 || strcmp(croot, "/") != 0) {
		printf(" %s*%s ROOT=%s", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), root);
		if (strcmp(croot, root) != 0)
			printf("  PORTAGE_CONFIGROOT=%s", croot);
		putchar('\n');
	}
	for (size_t i = 0, times; i < hs_report_count(rep); i += times) {
		const hs_check_result *r = hs_report_get(rep, i);

		for (times = 1; !verbose && same_result(r, hs_report_get(rep, i + times)); times++)
			;
		/* -q: the problems only */
		if (cli->quiet && (r->status == HS_CHECK_OK || r->status == HS_CHECK_SKIP))
			continue;
		if (!group || strcmp(group, r->group) != 0) {
			group = r->group;
			putchar('\n');
			printf(" %s*%s %s%s%s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), cli_c(cli, C_BOLD),
			       group_title(group), cli_c(cli, C_RESET));
		}
		print_result(cli, r, times, width, verbose);
	}
	printf("\n %s*%s %zu failed, %zu warning%s, %zu ok, %zu skipped\n", cli_c(cli, status_colour(worst)),
	       cli_c(cli, C_RESET), counts[HS_CHECK_FAIL], counts[HS_CHECK_WARN], counts[HS_CHECK_WARN] == 1 ? "" : "s",
	       counts[HS_CHECK_OK], counts[HS_CHECK_SKIP]);
	if (counts[HS_CHECK_FAIL])
		printf(" %s*%s Run the fixes in the order shown, then 'homesetup check' again.\n",
		       cli_c(cli, C_BAD), cli_c(cli, C_RESET));
}

/* ---- JSON ------------------------------------------------------------------------------------------------- */

static int print_json(struct cli *cli, const hs_report *rep, const size_t counts[4])
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *results, *cnt;

	if (!o)
		return -1;
	cli_json_add(o, "version", json_object_new_int(CHECK_JSON_VERSION));
	cli_json_add(o, "root", cli_json_str(hs_ctx_get_root(cli->ctx)));
	cli_json_add(o, "config_root", cli_json_str(hs_ctx_get_config_root(cli->ctx)));
	results = json_object_new_array();
	if (!results)
		return -1;
	cli_json_add(o, "results", results);
	for (size_t i = 0; i < hs_report_count(rep); i++) {
		const hs_check_result *r = hs_report_get(rep, i);
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(results, e) < 0) {
			json_object_put(e);
			return -1;
		}
		cli_json_add(e, "id", cli_json_str(r->id));
		cli_json_add(e, "group", cli_json_str(r->group));
		cli_json_add(e, "status", cli_json_str(hs_check_status_name(r->status)));
		cli_json_add(e, "summary", cli_json_str(r->summary));
		cli_json_add(e, "detail", cli_json_str(r->detail));
		cli_json_add(e, "fix", cli_json_str(r->fix));
	}
	cnt = json_object_new_object();
	if (!cnt)
		return -1;
	cli_json_add(o, "counts", cnt);
	cli_json_add(cnt, "OK", json_object_new_int64((int64_t)counts[HS_CHECK_OK]));
	cli_json_add(cnt, "WARN", json_object_new_int64((int64_t)counts[HS_CHECK_WARN]));
	cli_json_add(cnt, "FAIL", json_object_new_int64((int64_t)counts[HS_CHECK_FAIL]));
	cli_json_add(cnt, "SKIP", json_object_new_int64((int64_t)counts[HS_CHECK_SKIP]));
	cli_json_add(o, "worst", cli_json_str(hs_check_status_name(hs_report_worst(rep))));
	return cli_json_print(o, true);
}

/* ---- --kv: for shell scripts (the eselect module) ------------------------------------------------------- */

/* Write s as a --kv value: backslash, TAB, CR and LF escaped so that a line is one record (as `users --kv`). */
static void kv_put(const char *key, const char *s)
{
	printf("%s=", key);
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default: putchar(*s);
		}
	}
}

static void print_kv(const hs_report *rep)
{
	for (size_t i = 0; i < hs_report_count(rep); i++) {
		const hs_check_result *r = hs_report_get(rep, i);

		kv_put("id", r->id);
		putchar('\t');
		kv_put("group", r->group);
		printf("\tstatus=%s\t", hs_check_status_name(r->status));
		kv_put("summary", r->summary);
		if (r->detail) {
			putchar('\t');
			kv_put("detail", r->detail);
		}
		if (r->fix) {
			putchar('\t');
			kv_put("fix", r->fix);
		}
		putchar('\n');
	}
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
	size_t n_only = 0, n_skip = 0, counts[4] = { 0 };
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
	for (size_t i = 0; i < hs_report_count(rep); i++)
		counts[hs_report_get(rep, i)->status]++;
	if (cli->json)
		r = print_json(cli, rep, counts);
	else if (kv)
		print_kv(rep), r = 0;
	else
		print_human(cli, rep, verbose, counts), r = 0;
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
