/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup keys export|import: move systemd-homed's signing keys (local.public, local.private) between
 * machines, and check that the imported key is the one the user records are signed with. The library
 * (hs_keys_export, hs_keys_import) does the work; this file parses options and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_keys_result, hs_keys_result_free)

void help_keys(FILE *out)
{
	fprintf(out,
		"Usage: homesetup keys export DIR [--force] [--pretend]\n"
		"       homesetup keys import DIR [--trust NAME] [--force] [--user USER] [--record FILE] [--pretend]\n"
		"\n"
		"systemd-homed signs every user record with the key pair /var/lib/systemd/home/local.private and\n"
		"local.public (not 'private.local'/'public.local' as the Gentoo wiki has it), and accepts records\n"
		"signed by it or by any other *.public key. A home moved from another machine needs that machine's key.\n"
		"\n"
		"  export DIR   copy this machine's local.public (0644) and local.private (0600) into DIR\n"
		"  import DIR   install DIR's local.public and local.private as this machine's key pair (the home can\n"
		"               then be logged into and changed here; records this machine signed before are no\n"
		"               longer accepted), root-owned, atomically; then check every user record in sight\n"
		"               against the imported public key\n"
		"\n"
		"Options:\n"
		"      --trust NAME   import only DIR/local.public, as /var/lib/systemd/home/NAME.public: a home signed\n"
		"                     by the other machine logs in here, this machine keeps its own pair\n"
		"      --force        replace a different key that is in place (both fingerprints are shown first)\n"
		"      --user USER    check this user's record only\n"
		"      --record FILE  also check this record (a ~/.identity, or 'homectl inspect -EE' output)\n"
		"  -p, --pretend      show what would be written; write nothing\n"
		"      --json         the result as one JSON object\n"
		"  -R, --root DIR     the system whose /var/lib/systemd/home is read or written\n"
		"  -h, --help         this help\n"
		"\n"
		"Exit status: 0 done, 1 a different key is in place (not replaced without --force) or a record is not\n"
		"signed by the imported key, 2 usage or I/O error.\n");
}

static const char *action_name(hs_key_action a)
{
	switch (a) {
	case HS_KEY_WRITTEN: return "written";
	case HS_KEY_UNCHANGED: return "unchanged";
	case HS_KEY_WOULD_WRITE: return "would-write";
	case HS_KEY_REFUSED: return "refused";
	case HS_KEY_MISSING: return "missing";
	}
	return "?";
}

static const char *verdict_name(hs_record_verdict v)
{
	switch (v) {
	case HS_RECORD_VERIFIED: return "verified";
	case HS_RECORD_KEY_MATCHES: return "key-matches";
	case HS_RECORD_OTHER_KEY: return "other-key";
	case HS_RECORD_BAD_SIGNATURE: return "bad-signature";
	case HS_RECORD_UNSIGNED: return "unsigned";
	case HS_RECORD_UNREADABLE: return "unreadable";
	}
	return "?";
}

static int print_json(struct cli *cli, const hs_keys_result *res, const char *what, int r)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *files = json_object_new_array(), *records = json_object_new_array(),
			   *notes = json_object_new_array();
	int e = 0;

	if (!o || !files || !records || !notes) {
		json_object_put(files);
		json_object_put(records);
		json_object_put(notes);
		return -1;
	}
	e |= cli_json_add(o, "command", cli_json_str(what));
	e |= cli_json_add(o, "ok", json_object_new_boolean(r >= 0 && hs_keys_result_ok(res)));
	e |= cli_json_add(o, "error", cli_json_str(r < 0 ? hs_ctx_last_error(cli->ctx) : NULL));
	for (size_t i = 0; i < hs_keys_result_file_count(res); i++) {
		const hs_key_file *f = hs_keys_result_file(res, i);
		struct json_object *j = json_object_new_object();
		char mode[8];

		if (!j || json_object_array_add(files, j) < 0) {
			json_object_put(j);
			return -1;
		}
		snprintf(mode, sizeof(mode), "%04o", f->mode);
		e |= cli_json_add(j, "name", cli_json_str(f->name));
		e |= cli_json_add(j, "source", cli_json_str(f->source));
		e |= cli_json_add(j, "target", cli_json_str(f->target));
		e |= cli_json_add(j, "mode", cli_json_str(mode));
		e |= cli_json_add(j, "fingerprint", cli_json_str(f->fingerprint));
		e |= cli_json_add(j, "old_fingerprint", cli_json_str(f->old_fingerprint));
		e |= cli_json_add(j, "action", cli_json_str(action_name(f->action)));
	}
	e |= cli_json_add(o, "files", files);
	for (size_t i = 0; i < hs_keys_result_record_count(res); i++) {
		const hs_record_check *c = hs_keys_result_record(res, i);
		struct json_object *j = json_object_new_object();

		if (!j || json_object_array_add(records, j) < 0) {
			json_object_put(j);
			return -1;
		}
		e |= cli_json_add(j, "path", cli_json_str(c->path));
		e |= cli_json_add(j, "user", cli_json_str(c->user));
		e |= cli_json_add(j, "verdict", cli_json_str(verdict_name(c->verdict)));
		e |= cli_json_add(j, "detail", cli_json_str(c->detail));
	}
	e |= cli_json_add(o, "records", records);
	for (size_t i = 0; i < hs_keys_result_note_count(res); i++)
		if (json_object_array_add(notes, cli_json_str(hs_keys_result_note(res, i))) < 0)
			return -1;
	e |= cli_json_add(o, "notes", notes);
	return e ? -1 : cli_json_print(o, false);
}

static void print_human(struct cli *cli, const hs_keys_result *res)
{
	for (size_t i = 0; i < hs_keys_result_file_count(res); i++) {
		const hs_key_file *f = hs_keys_result_file(res, i);
		bool bad = f->action == HS_KEY_REFUSED || f->action == HS_KEY_MISSING;

		printf(" %s*%s %s: %s -> %s (%04o): %s\n", cli_c(cli, bad ? C_BAD : C_GOOD), cli_c(cli, C_RESET), f->name,
		       f->source, f->target, f->mode, action_name(f->action));
		if (f->fingerprint)
			printf(" %s*%s   %s  %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), f->fingerprint,
			       f->action == HS_KEY_REFUSED ? "(the key offered)" : "");
		if (f->old_fingerprint && f->action != HS_KEY_UNCHANGED)
			printf(" %s*%s   %s  (%s)\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), f->old_fingerprint,
			       f->action == HS_KEY_REFUSED ? "the key in place, kept" :
			       f->action == HS_KEY_WOULD_WRITE ? "the key in place, would be replaced" : "the key replaced");
	}
	for (size_t i = 0; i < hs_keys_result_record_count(res); i++) {
		const hs_record_check *c = hs_keys_result_record(res, i);
		bool good = c->verdict == HS_RECORD_VERIFIED || c->verdict == HS_RECORD_KEY_MATCHES;

		printf(" %s*%s record %s%s%s%s: %s: %s\n", cli_c(cli, good ? C_GOOD : C_WARN), cli_c(cli, C_RESET), c->path,
		       c->user ? " (" : "", c->user ? c->user : "", c->user ? ")" : "", verdict_name(c->verdict), c->detail);
	}
	for (size_t i = 0; i < hs_keys_result_note_count(res); i++)
		printf(" %s*%s %s\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), hs_keys_result_note(res, i));
}

int cmd_keys(struct cli *cli, int argc, char **argv)
{
	enum { OPT_TRUST = 256, OPT_FORCE, OPT_USER, OPT_RECORD };
	static const struct option options[] = {
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "pretend", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_keys_result_freep) hs_keys_result *res = NULL;
	hs_keys_options o = {0};
	const char *sub = argc > 1 ? argv[1] : NULL, *dir;
	bool import;
	char what[32];
	int c, r;

	if (!sub)
		return cli_error(cli, "keys: say what to do: export DIR or import DIR (see '%s help keys')", cli->prog);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		help_keys(stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "export") != 0 && strcmp(sub, "import") != 0)
		return cli_error(cli, "keys: unknown subcommand '%s' (see '%s help keys')", sub, cli->prog);
	import = sub[0] == 'i';
	snprintf(what, sizeof(what), "keys %s", sub);
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ph", options, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
		case OPT_USER:
		case OPT_RECORD:
			if (!import)
				return cli_error(cli, "keys export: --%s is an option of keys import",
						 c == OPT_TRUST ? "trust" : c == OPT_USER ? "user" : "record");
			if (c == OPT_TRUST)
				o.trust_name = optarg;
			else if (c == OPT_USER)
				o.user = optarg;
			else
				o.record = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case 'p':
			o.pretend = true;
			break;
		case 'h':
			help_keys(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, what, c, argv);
		}
	}
	if (optind >= argc)
		return cli_error(cli, "%s: name the directory (see '%s help keys')", what, cli->prog);
	dir = argv[optind++];
	if (optind < argc)
		return cli_error(cli, "%s: unexpected argument '%s'", what, argv[optind]);
	r = import ? hs_keys_import(cli->ctx, &res, dir, &o) : hs_keys_export(cli->ctx, &res, dir, &o);
	if (!res)
		return cli_lib_error(cli, EXIT_USAGE, what);
	if (cli->json) {
		if (print_json(cli, res, what, r) < 0)
			return cli_error(cli, "out of memory");
	} else {
		print_human(cli, res);
		if (r < 0) {
			fflush(stdout);
			cli_lib_error(cli, EXIT_USAGE, what);
		}
	}
	if (r < 0)
		return cli_finish(cli, EXIT_USAGE);
	return cli_finish(cli, hs_keys_result_ok(res) ? EXIT_OK : EXIT_NEEDS_ACTION);
}
