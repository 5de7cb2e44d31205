/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup doctor: what went wrong with systemd-homed, and what fixes it. The library (hs_doctor_run) reads
 * homed's state over D-Bus and the journal of systemd-homed.service and systemd-homework, and matches the
 * rule table; this file parses options and prints the findings (Portage's ` * ` style, or JSON as
 * doc/doctor-json.md describes), and writes the kpartx drop-in with --write.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_doctor, hs_doctor_free)

#define DOCTOR_JSON_VERSION 1

void help_doctor(FILE *out)
{
	fprintf(out,
		"Usage: homesetup doctor [USER] [--since TIME] [--journal-file FILE]... [--journal-dir DIR]\n"
		"                        [--volume DEV]... [--write] [--no-bus] [--json] [--list-rules]\n"
		"\n"
		"Diagnose systemd-homed: read the homes' states from systemd-homed over D-Bus and the journal of\n"
		"systemd-homed.service and systemd-homework (this boot by default), match the messages against known\n"
		"failures and print each finding with its evidence, what it means, and the commands that fix it:\n"
		"a dirty or corrupted file system (the safe manual repair, under a device-mapper name that is not\n"
		"homed's own), a home on an LVM volume or partition that stays 'absent' (kpartx, and a drop-in that\n"
		"runs it at boot), not enough disk space, a wrong password, a leftover device-mapper mapping, a record\n"
		"signed by a key this machine does not trust, key files homed refuses.\n"
		"\n"
		"Options:\n"
		"      --since TIME        read the journal from TIME on, over all boots ('2024-05-01 12:00', '-2h',\n"
		"                          'yesterday', '@EPOCH'; local time)\n"
		"      --journal-file FILE read this journal file instead of the system journal (may be repeated)\n"
		"      --journal-dir DIR   read the journal files in DIR instead of the system journal\n"
		"      --volume DEV        a block device (LVM volume, partition) holding a home, for the kpartx\n"
		"                          drop-in (may be repeated)\n"
		"      --write             write the drop-in\n"
		"                          /etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf\n"
		"                          (atomically; a file of that name that homesetup did not write is never\n"
		"                          overwritten: the diff is shown instead)\n"
		"      --no-bus            do not ask systemd-homed over D-Bus\n"
		"      --no-journal        do not read the journal\n"
		"      --list-rules        list the rule table (rule id and pattern) and exit\n"
		"      --json              the findings as JSON (see doc/doctor-json.md)\n"
		"  -R, --root DIR          diagnose the system installed there: its journal (/var/log/journal) and\n"
		"                          records; the bus is not asked unless --bus-address is given\n"
		"      --bus-address ADDR  D-Bus address of the system bus (env HOMESETUP_BUS_ADDRESS)\n"
		"  -q, --quiet             print only the findings\n"
		"  -h, --help              this help\n"
		"\n"
		"Exit status: 0 no known problem found, 1 findings (or a drop-in that could not be written because\n"
		"another file is in its place), 2 usage or I/O error.\n");
}

static void print_lines(struct cli *cli, const char *indent, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf(" %s*%s %s%.*s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), indent, len, p);
		p = nl ? nl + 1 : NULL;
	}
}

/* A paragraph, word-wrapped to about 100 columns under the " *   " prefix. */
static void print_wrapped(struct cli *cli, const char *text)
{
	const int width = 92;
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);

		while (p < end) {
			const char *cut = end;

			if (end - p > width) {
				cut = p + width;
				while (cut > p && *cut != ' ')
					cut--;
				if (cut == p)
					cut = p + width;
			}
			printf(" %s*%s   %.*s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), (int)(cut - p), p);
			p = cut;
			while (p < end && *p == ' ')
				p++;
		}
		p = nl ? nl + 1 : NULL;
	}
}

static int list_rules(struct cli *cli)
{
	size_t n = hs_doctor_rule_count();

	if (cli->json) {
		_cleanup_json_ struct json_object *a = json_object_new_array();

		if (!a)
			return cli_error(cli, "out of memory");
		for (size_t i = 0; i < n; i++) {
			const char *id, *pat;
			struct json_object *o = json_object_new_object();

			hs_doctor_rule_get(i, &id, &pat);
			if (!o || json_object_array_add(a, o) < 0 || cli_json_add(o, "rule", cli_json_str(id)) < 0 ||
			    cli_json_add(o, "pattern", cli_json_str(pat)) < 0) {
				json_object_put(o);
				return cli_error(cli, "out of memory");
			}
		}
		cli_json_print(a, false);
		return cli_finish(cli, EXIT_OK);
	}
	for (size_t i = 0; i < n; i++) {
		const char *id, *pat;

		hs_doctor_rule_get(i, &id, &pat);
		printf("%-14s %s\n", id, pat ? pat : "(derived: the home's state on the bus, or its image path)");
	}
	return cli_finish(cli, EXIT_OK);
}

static const char *dropin_state_name(hs_dropin_state s)
{
	switch (s) {
	case HS_DROPIN_NONE: return "none";
	case HS_DROPIN_NEW: return "new";
	case HS_DROPIN_UPDATE: return "update";
	case HS_DROPIN_CURRENT: return "current";
	case HS_DROPIN_FOREIGN: return "foreign";
	}
	return "?";
}

static int print_json(struct cli *cli, const hs_doctor *d, const char *user, int write_r, bool wrote)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *findings = json_object_new_array(), *homes = json_object_new_array(),
			   *notes = json_object_new_array(), *journal = json_object_new_object(), *dropin = NULL;
	_cleanup_free_ char *diff = NULL;
	const char *path = NULL;
	hs_dropin_state ds = hs_doctor_dropin(d, &path);
	size_t entries, matched;
	int e = 0;

	if (!o || !findings || !homes || !notes || !journal) {
		json_object_put(findings);
		json_object_put(homes);
		json_object_put(notes);
		json_object_put(journal);
		return -1;
	}
	hs_doctor_journal_stats(d, &entries, &matched);
	e |= cli_json_add(o, "version", json_object_new_int(DOCTOR_JSON_VERSION));
	e |= cli_json_add(o, "user", cli_json_str(user));
	e |= cli_json_add(journal, "entries", json_object_new_int64((int64_t)entries));
	e |= cli_json_add(journal, "matched", json_object_new_int64((int64_t)matched));
	e |= cli_json_add(o, "journal", journal);
	for (size_t i = 0; i < hs_doctor_home_count(d); i++) {
		struct json_object *h = json_object_new_object();

		if (!h || json_object_array_add(homes, h) < 0) {
			json_object_put(h);
			e = -1;
			break;
		}
		e |= cli_json_add(h, "name", cli_json_str(hs_doctor_home_name(d, i)));
		e |= cli_json_add(h, "state", cli_json_str(hs_doctor_home_state(d, i)));
	}
	e |= cli_json_add(o, "homes", homes);
	for (size_t i = 0; i < hs_doctor_note_count(d); i++)
		if (json_object_array_add(notes, cli_json_str(hs_doctor_note(d, i))) < 0)
			e = -1;
	e |= cli_json_add(o, "notes", notes);
	for (size_t i = 0; i < hs_doctor_finding_count(d); i++) {
		const hs_finding *f = hs_doctor_finding(d, i);
		struct json_object *j = json_object_new_object();

		if (!j || json_object_array_add(findings, j) < 0) {
			json_object_put(j);
			e = -1;
			break;
		}
		e |= cli_json_add(j, "rule", cli_json_str(f->rule));
		e |= cli_json_add(j, "user", cli_json_str(f->user));
		e |= cli_json_add(j, "summary", cli_json_str(f->summary));
		e |= cli_json_add(j, "diagnosis", cli_json_str(f->diagnosis));
		e |= cli_json_add(j, "fix", cli_json_str(f->fix));
		e |= cli_json_add(j, "source", cli_json_str(f->source == HS_EVIDENCE_BUS ? "bus" : "journal"));
		e |= cli_json_add(j, "evidence", cli_json_str(f->evidence));
		e |= cli_json_add(j, "message", cli_json_str(f->message));
		e |= cli_json_add(j, "identifier", cli_json_str(f->identifier));
		e |= cli_json_add(j, "realtime_usec", f->realtime_usec ? json_object_new_int64((int64_t)f->realtime_usec)
								       : NULL);
		e |= cli_json_add(j, "count", json_object_new_int64(f->count));
	}
	e |= cli_json_add(o, "findings", findings);
	if (ds != HS_DROPIN_NONE) {
		dropin = json_object_new_object();
		if (!dropin || hs_doctor_dropin_diff(d, &diff) < 0) {
			json_object_put(dropin);
			return -1;
		}
		e |= cli_json_add(dropin, "path", cli_json_str(path));
		e |= cli_json_add(dropin, "state", cli_json_str(dropin_state_name(ds)));
		e |= cli_json_add(dropin, "content", cli_json_str(hs_doctor_dropin_text(d)));
		e |= cli_json_add(dropin, "diff", cli_json_str(diff));
		e |= cli_json_add(dropin, "written", json_object_new_boolean(wrote));
		e |= cli_json_add(dropin, "error", cli_json_str(write_r < 0 ? hs_ctx_last_error(cli->ctx) : NULL));
	}
	e |= cli_json_add(o, "dropin", dropin);
	if (e)
		return -1;
	return cli_json_print(o, false);
}

static void print_human(struct cli *cli, const hs_doctor *d, const char *user, bool write, int write_r)
{
	size_t n = hs_doctor_finding_count(d);
	const char *path = NULL;
	hs_dropin_state ds = hs_doctor_dropin(d, &path);

	if (!cli->quiet) {
		printf(" %s*%s %sDiagnosis of systemd-homed%s%s%s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
		       cli_c(cli, C_BOLD), user ? " for " : "", user ? user : "", cli_c(cli, C_RESET));
		for (size_t i = 0; i < hs_doctor_note_count(d); i++)
			printf(" %s*%s   %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), hs_doctor_note(d, i));
		for (size_t i = 0; i < hs_doctor_home_count(d); i++)
			printf(" %s*%s   home %s: %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), hs_doctor_home_name(d, i),
			       hs_doctor_home_state(d, i));
	}
	for (size_t i = 0; i < n; i++) {
		const hs_finding *f = hs_doctor_finding(d, i);

		printf("\n %s*%s %s[%s]%s %s\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET), cli_c(cli, C_HILITE), f->rule,
		       cli_c(cli, C_RESET), f->summary);
		if (f->count > 1)
			printf(" %s*%s   evidence (newest of %u): %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
			       f->count, f->evidence);
		else
			printf(" %s*%s   evidence: %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), f->evidence);
		print_wrapped(cli, f->diagnosis);
		printf(" %s*%s   fix:\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET));
		print_lines(cli, "    ", f->fix);
	}
	if (ds != HS_DROPIN_NONE) {
		_cleanup_free_ char *diff = NULL;

		printf("\n");
		switch (ds) {
		case HS_DROPIN_NEW:
		case HS_DROPIN_UPDATE:
			if (write && write_r >= 0)
				printf(" %s*%s wrote %s; now run: systemctl daemon-reload\n", cli_c(cli, C_GOOD),
				       cli_c(cli, C_RESET), path);
			else if (!write)
				printf(" %s*%s %s would be %s (give --write):\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET),
				       path, ds == HS_DROPIN_NEW ? "created" : "updated");
			break;
		case HS_DROPIN_CURRENT:
			printf(" %s*%s %s lists every volume already\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), path);
			break;
		case HS_DROPIN_FOREIGN:
			printf(" %s*%s %s exists and was not written by homesetup: it is left alone; add these lines "
			       "to it by hand:\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET), path);
			break;
		default:
			break;
		}
		if (ds != HS_DROPIN_CURRENT && !(write && write_r >= 0) && hs_doctor_dropin_diff(d, &diff) == 0)
			fputs(diff, stdout);
	}
	if (n == 0) {
		size_t entries;

		hs_doctor_journal_stats(d, &entries, NULL);
		if (entries == 0 && hs_doctor_home_count(d) == 0)
			printf("\n %s*%s No known problem found, but there was no evidence either: no home on the bus, no "
			       "journal entry of systemd-homed (see above).\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET));
		else
			printf("\n %s*%s No known problem found.\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET));
	}
	else
		printf("\n %s*%s %zu finding%s.\n", cli_c(cli, C_BAD), cli_c(cli, C_RESET), n, n == 1 ? "" : "s");
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	enum { OPT_SINCE = 256, OPT_JFILE, OPT_JDIR, OPT_JEXPORT, OPT_VOLUME, OPT_WRITE, OPT_NO_BUS, OPT_NO_JOURNAL,
	       OPT_LIST };
	static const struct option options[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "journal-file", required_argument, NULL, OPT_JFILE },
		{ "journal-dir", required_argument, NULL, OPT_JDIR },
		{ "journal-export", required_argument, NULL, OPT_JEXPORT },
		{ "volume", required_argument, NULL, OPT_VOLUME },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ "no-bus", no_argument, NULL, OPT_NO_BUS },
		{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL },
		{ "list-rules", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_doctor_freep) hs_doctor *d = NULL;
	_cleanup_free_ const char **files = NULL, **volumes = NULL;
	size_t n_files = 0, n_volumes = 0;
	hs_doctor_options o = { .bus_address = cli->bus_address, .bus_timeout_usec = cli->bus_timeout_usec };
	bool write = false;
	int c, r, write_r = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SINCE: {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			if (hs_doctor_parse_time(cli->ctx, optarg, (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000,
						 &o.since_usec) < 0)
				return cli_lib_error(cli, EXIT_USAGE, "doctor: --since");
			break;
		}
		case OPT_JFILE:
		case OPT_VOLUME: {
			const char ***v = c == OPT_JFILE ? &files : &volumes;
			size_t *n = c == OPT_JFILE ? &n_files : &n_volumes;
			const char **nv = realloc(*v, (*n + 2) * sizeof(*nv));

			if (!nv)
				return cli_error(cli, "out of memory");
			nv[(*n)++] = optarg;
			nv[*n] = NULL;
			*v = nv;
			break;
		}
		case OPT_JDIR:
			o.journal_dir = optarg;
			break;
		case OPT_JEXPORT:
			o.journal_export = optarg;
			break;
		case OPT_WRITE:
			write = true;
			break;
		case OPT_NO_BUS:
			o.no_bus = true;
			break;
		case OPT_NO_JOURNAL:
			o.no_journal = true;
			break;
		case OPT_LIST:
			return list_rules(cli);
		case 'h':
			help_doctor(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "doctor", c, argv);
		}
	}
	if (optind < argc)
		o.user = argv[optind++];
	if (optind < argc)
		return cli_error(cli, "doctor: unexpected argument '%s' (see '%s help doctor')", argv[optind], cli->prog);
	if ((files ? 1 : 0) + (o.journal_dir ? 1 : 0) + (o.journal_export ? 1 : 0) > 1)
		return cli_error(cli, "doctor: give one of --journal-file, --journal-dir and --journal-export");
	o.journal_files = files;
	o.volumes = volumes;

	r = hs_doctor_run(cli->ctx, &d, &o);
	if (r < 0)
		return cli_lib_error(cli, EXIT_USAGE, "doctor");
	if (write)
		write_r = hs_doctor_write(d, 0);
	if (cli->json) {
		if (print_json(cli, d, o.user, write_r, write && write_r == 0) < 0)
			return cli_error(cli, "out of memory");
	} else {
		print_human(cli, d, o.user, write, write_r);
		if (write && write_r < 0) {
			fflush(stdout);
			cli_lib_error(cli, EXIT_USAGE, "doctor --write");
		}
	}
	if (write && write_r < 0 && write_r != -EEXIST && write_r != -ENOENT)
		return cli_finish(cli, EXIT_USAGE);
	return cli_finish(cli, hs_doctor_finding_count(d) || (write && write_r < 0) ? EXIT_NEEDS_ACTION : EXIT_OK);
}
