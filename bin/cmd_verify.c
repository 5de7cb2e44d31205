/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup verify SAVED NEW | verify --manifest FILE NEW, and homesetup manifest DIR -o FILE: the tree
 * manifests of the library (hs_manifest_scan, _save, _load, _compare) from the command line. Paths are host
 * paths (--root does not apply): the migration runs `homesetup verify --manifest FILE .` inside
 * `homectl with USER --`, where the new home is the working directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

CLI_DEFINE_FREEP(hs_manifest, hs_manifest_free)
CLI_DEFINE_FREEP(hs_verify_result, hs_verify_result_free)

#define VERIFY_JSON_VERSION 1
#define SHOWN_MAX 160 /* bytes of a value in the human output; --json has them all */

void help_verify(FILE *out)
{
	fprintf(out,
		"Usage: homesetup verify SAVED NEW [OPTIONS]\n"
		"       homesetup verify --manifest FILE NEW [OPTIONS]\n"
		"\n"
		"Compare the tree NEW with the tree SAVED, or with a manifest written by 'homesetup manifest' (or by\n"
		"the migration), and list every difference: missing and extra entries, type, permission bits, owner,\n"
		"size, mtime, content (XXH3-128 of every regular file), symlink target, hardlink structure, each\n"
		"xattr, the ACLs and device numbers. Symlinks are never followed and other file systems never\n"
		"entered (a mount point is recorded as one). Expected differences are listed and named, not hidden:\n"
		"homed's ~/.identity in NEW, and what the options below announce.\n"
		"\n"
		"Options:\n"
		"      --manifest FILE     compare NEW with this manifest instead of a tree (contents are compared\n"
		"                          when the manifest has hashes)\n"
		"      --uid-map OLD:NEW   files owned by uid OLD are expected to be owned by NEW (ACL entries too)\n"
		"      --gid-map OLD:NEW   the same for groups\n"
		"      --expect-extra PATH PATH (relative to the tree, with what is under it) may differ or exist only\n"
		"                          in NEW; repeatable, added to .identity\n"
		"      --ignore-top        differences of the top directory itself are expected (a homed home's top\n"
		"                          directory is the mount point, whose metadata homed sets)\n"
		"      --progress=MODE     bar (the default on a terminal: on stderr), lines (\"progress FILES\n"
		"                          FILES_TOTAL BYTES BYTES_TOTAL\" lines on stderr, for a program reading\n"
		"                          them), none\n"
		"      --no-progress       --progress=none\n"
		"      --json              the result as one JSON object (doc/verify-json.md)\n"
		"  -q, --quiet             only the differences and the verdict\n"
		"  -h, --help              this help\n"
		"\n"
		"Exit status: 0 verified (no difference, or only expected ones), 1 unexpected differences, 2 usage\n"
		"or I/O error (a tree that cannot be read completely is an error, never a pass).\n");
}

void help_manifest(FILE *out)
{
	fprintf(out,
		"Usage: homesetup manifest DIR -o FILE [--no-hash] [OPTIONS]\n"
		"\n"
		"Scan the tree DIR (never following a symlink, never entering another file system) and write its\n"
		"manifest to FILE atomically (mode 0600): per entry the type, permission bits, owner, size, mtime,\n"
		"symlink target, hardlink group, xattrs, ACLs and the XXH3-128 of every regular file. The format is\n"
		"described in doc/manifest.md; 'homesetup verify --manifest FILE NEW' compares a tree with it.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE   where to write the manifest (required)\n"
		"      --no-hash       metadata only (no file is read: fast, but contents are not verified later)\n"
		"      --progress=MODE bar (default on a terminal), lines, none (see 'homesetup help verify')\n"
		"      --no-progress   --progress=none\n"
		"      --json          a summary as one JSON object (doc/verify-json.md)\n"
		"  -q, --quiet         print nothing but errors and warnings\n"
		"  -h, --help          this help\n"
		"\n"
		"Exit status: 0 written, 2 usage or I/O error.\n");
}

/* ---- progress ------------------------------------------------------------------------------------------ */

enum progress_mode { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_LINES, PROGRESS_NONE };

struct progress {
	enum progress_mode mode;
	const char *label;   /* what is scanned */
	double start, last;
	bool drawn, hashing;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", v);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void progress_clear(struct progress *pr)
{
	if (pr->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pr->drawn = false;
	}
}

static int on_progress(const hs_progress *p, void *userdata)
{
	struct progress *pr = userdata;
	double t = now_s();
	bool last = p->files_total && p->files_done >= p->files_total;

	if (p->files_total && !pr->hashing) {
		pr->hashing = true;
		pr->start = t;
	}
	if (t - pr->last < 0.1 && !last)
		return 0;
	pr->last = t;
	if (pr->mode == PROGRESS_LINES) {
		fprintf(stderr, "progress %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", p->files_done, p->files_total,
			p->bytes_done, p->bytes_total);
		fflush(stderr);
		return 0;
	}
	if (!p->files_total) {
		fprintf(stderr, "\r\033[K   scanning %s: %" PRIu64 " entries", pr->label, p->files_done);
	} else {
		double el = t - pr->start, rate = el > 0.2 ? (double)p->bytes_done / el : 0;
		char done[32], total[32], rate_s[32], eta[40] = "";

		human_bytes(done, sizeof(done), (double)p->bytes_done);
		human_bytes(total, sizeof(total), (double)p->bytes_total);
		human_bytes(rate_s, sizeof(rate_s), rate);
		if (rate > 0 && p->bytes_total > p->bytes_done) {
			unsigned long s = (unsigned long)((double)(p->bytes_total - p->bytes_done) / rate);

			snprintf(eta, sizeof(eta), "  ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
		}
		fprintf(stderr, "\r\033[K   hashing %s: %s / %s %3.0f%%  %" PRIu64 "/%" PRIu64 " files  %s/s%s", pr->label,
			done, total,
			p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total : 100.0, p->files_done,
			p->files_total, rate_s, eta);
	}
	fflush(stderr);
	pr->drawn = true;
	return 0;
}

static int parse_progress(struct cli *cli, const char *cmd, const char *v, enum progress_mode *mode)
{
	if (strcmp(v, "bar") == 0)
		*mode = PROGRESS_BAR;
	else if (strcmp(v, "lines") == 0)
		*mode = PROGRESS_LINES;
	else if (strcmp(v, "none") == 0)
		*mode = PROGRESS_NONE;
	else
		return cli_error(cli, "%s: --progress is bar, lines or none, not '%s'", cmd, v);
	return 0;
}

static enum progress_mode resolve_mode(struct cli *cli, enum progress_mode m)
{
	if (m != PROGRESS_AUTO)
		return m == PROGRESS_BAR && !isatty(STDERR_FILENO) ? PROGRESS_NONE : m;
	return !cli->quiet && isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE;
}

/* ---- scanning ---------------------------------------------------------------------------------------- */

static int scan_tree(struct cli *cli, const char *dir, unsigned flags, enum progress_mode mode, hs_manifest **out)
{
	struct progress pr = { .mode = mode, .label = dir };
	int fd, r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		cli_error(cli, "%s: %s", dir, strerror(-r));
		return r;
	}
	r = hs_manifest_scan(cli->ctx, out, fd, flags, mode == PROGRESS_NONE ? NULL : on_progress, &pr);
	close(fd);
	progress_clear(&pr);
	if (r < 0) {
		const char *msg = hs_ctx_last_error(cli->ctx);

		fprintf(stderr, "%s: %s: %s\n", cli->prog, dir, *msg ? msg : strerror(-r));
	}
	return r;
}

/* ---- output ------------------------------------------------------------------------------------------- */

/* An escaped value for the terminal, cut after SHOWN_MAX bytes. */
static char *shown(const char *s, bool cut)
{
	char *e = hs_manifest_escape(s);

	if (e && cut && strlen(e) > SHOWN_MAX)
		strcpy(e + SHOWN_MAX - 3, "...");
	return e;
}

static struct json_object *json_escaped(const char *s)
{
	_cleanup_free_ char *e = NULL;

	if (!s)
		return NULL;
	e = hs_manifest_escape(s);
	return e ? json_object_new_string(e) : NULL;
}

static struct json_object *side_json(const char *path, const char *kind, const hs_manifest *m)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (cli_json_add(o, "path", cli_json_str(path)) || cli_json_add(o, "kind", json_object_new_string(kind)) ||
	    cli_json_add(o, "entries", json_object_new_int64((int64_t)hs_manifest_count(m))) ||
	    cli_json_add(o, "bytes", json_object_new_int64((int64_t)hs_manifest_total_bytes(m))) ||
	    cli_json_add(o, "hash", cli_json_str(hs_manifest_hash_algorithm(m)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *warnings_json(struct cli *cli)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < hs_ctx_warning_count(cli->ctx); i++)
		if (json_object_array_add(a, cli_json_str(hs_ctx_warning(cli->ctx, i))) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static int print_error_json(struct cli *cli, const char *command, const char *msg)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || cli_json_add(o, "version", json_object_new_int(VERIFY_JSON_VERSION)) ||
	    cli_json_add(o, "command", cli_json_str(command)) || cli_json_add(o, "error", cli_json_str(msg)))
		return -1;
	if (strcmp(command, "verify") == 0 && cli_json_add(o, "verified", json_object_new_boolean(false)))
		return -1;
	return cli_json_print(o, false);
}

static int verify_json(struct cli *cli, const hs_verify_result *res, const char *old_path, const char *old_kind,
		       const hs_manifest *a, const char *new_path, const hs_manifest *b)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *diffs = json_object_new_array();
	size_t n = hs_verify_result_count(res), unexpected = hs_verify_result_unexpected(res);
	int e = 0;

	if (!o || !diffs) {
		json_object_put(diffs);
		return -1;
	}
	e |= cli_json_add(o, "version", json_object_new_int(VERIFY_JSON_VERSION));
	e |= cli_json_add(o, "command", json_object_new_string("verify"));
	e |= cli_json_add(o, "old", side_json(old_path, old_kind, a));
	e |= cli_json_add(o, "new", side_json(new_path, "tree", b));
	e |= cli_json_add(o, "contents_compared",
			  json_object_new_boolean(hs_manifest_hash_algorithm(a) && hs_manifest_hash_algorithm(b)));
	e |= cli_json_add(o, "verified", json_object_new_boolean(unexpected == 0));
	e |= cli_json_add(o, "unexpected", json_object_new_int64((int64_t)unexpected));
	e |= cli_json_add(o, "expected", json_object_new_int64((int64_t)(n - unexpected)));
	for (size_t i = 0; i < n; i++) {
		const hs_verify_diff *d = hs_verify_result_get(res, i);
		struct json_object *j = json_object_new_object();

		if (!j || json_object_array_add(diffs, j) < 0) {
			json_object_put(j);
			json_object_put(diffs);
			return -1;
		}
		e |= cli_json_add(j, "path", json_escaped(d->path));
		e |= cli_json_add(j, "what", json_object_new_string(d->what));
		e |= cli_json_add(j, "old", json_escaped(d->old_value));
		e |= cli_json_add(j, "new", json_escaped(d->new_value));
		e |= cli_json_add(j, "expected", json_object_new_boolean(d->expected));
		e |= cli_json_add(j, "reason", cli_json_str(d->reason));
	}
	e |= cli_json_add(o, "differences", diffs);
	e |= cli_json_add(o, "warnings", warnings_json(cli));
	e |= cli_json_add(o, "error", NULL);
	return e ? -1 : cli_json_print(o, false);
}

static void verify_human(struct cli *cli, const hs_verify_result *res, const char *old_desc,
			 const hs_manifest *a, const char *new_path, const hs_manifest *b)
{
	size_t n = hs_verify_result_count(res), unexpected = hs_verify_result_unexpected(res);
	bool contents = hs_manifest_hash_algorithm(a) && hs_manifest_hash_algorithm(b);
	char bytes[32];

	human_bytes(bytes, sizeof(bytes), (double)hs_manifest_total_bytes(a));
	if (!cli->quiet)
		printf(" %s*%s verify %s (%zu entries, %s in files) against %s (%zu entries)\n", cli_c(cli, C_GOOD),
		       cli_c(cli, C_RESET), old_desc, hs_manifest_count(a), bytes, new_path, hs_manifest_count(b));
	for (size_t i = 0; i < n; i++) {
		const hs_verify_diff *d = hs_verify_result_get(res, i);
		_cleanup_free_ char *path = shown(d->path, false), *ov = shown(d->old_value, true),
				    *nv = shown(d->new_value, true);

		printf(" %s*%s %-8s %s", cli_c(cli, d->expected ? C_WARN : C_BAD), cli_c(cli, C_RESET), d->what,
		       path ? path : "?");
		if (strcmp(d->what, "missing") == 0)
			printf(" (%s)", ov ? ov : "?");
		else if (strcmp(d->what, "extra") == 0)
			printf(" (%s)", nv ? nv : "?");
		else
			printf(": %s -> %s", ov ? ov : "(none)", nv ? nv : "(none)");
		if (d->expected)
			printf("  [expected: %s]", d->reason);
		putchar('\n');
	}
	if (unexpected == 0)
		printf(" %s*%s verified: %zu entries%s", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), hs_manifest_count(a),
		       contents ? ", every file's content compared" : ", metadata only (no hashes to compare contents)");
	else
		printf(" %s*%s NOT verified: %zu unexpected difference%s", cli_c(cli, C_BAD), cli_c(cli, C_RESET),
		       unexpected, unexpected == 1 ? "" : "s");
	if (n - unexpected)
		printf(" (%zu expected difference%s, named above)", n - unexpected, n - unexpected == 1 ? "" : "s");
	putchar('\n');
}

/* ---- commands ----------------------------------------------------------------------------------------- */

static int parse_map(struct cli *cli, const char *opt, const char *v, int64_t *from, int64_t *to)
{
	unsigned long long a, b;
	char *end;

	errno = 0;
	a = strtoull(v, &end, 10);
	if (end == v || *end != ':' || errno || a > UINT32_MAX - 1 || v[0] == '-')
		goto bad;
	v = end + 1;
	b = strtoull(v, &end, 10);
	if (end == v || *end || errno || b > UINT32_MAX - 1 || v[0] == '-')
		goto bad;
	*from = (int64_t)a;
	*to = (int64_t)b;
	return 0;
bad:
	return cli_error(cli, "verify: --%s takes OLD:NEW, two numeric ids, e.g. 1000:60514", opt);
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	enum { OPT_MANIFEST = 256, OPT_UID_MAP, OPT_GID_MAP, OPT_EXPECT, OPT_IGNORE_TOP, OPT_PROGRESS, OPT_NO_PROGRESS };
	static const struct option options[] = {
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "uid-map", required_argument, NULL, OPT_UID_MAP },
		{ "gid-map", required_argument, NULL, OPT_GID_MAP },
		{ "expect-extra", required_argument, NULL, OPT_EXPECT },
		{ "ignore-top", no_argument, NULL, OPT_IGNORE_TOP },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_manifest_freep) hs_manifest *a = NULL, *b = NULL;
	_cleanup_(hs_verify_result_freep) hs_verify_result *res = NULL;
	_cleanup_free_ const char **extra = NULL;
	_cleanup_free_ char *old_desc = NULL;
	hs_verify_options o = { .uid_from = -1, .uid_to = -1, .gid_from = -1, .gid_to = -1 };
	enum progress_mode mode = PROGRESS_AUTO;
	const char *manifest = NULL, *old_path, *new_path;
	size_t nextra = 1;
	int c, r;

	extra = calloc((size_t)argc + 2, sizeof(*extra));
	if (!extra)
		return cli_error(cli, "out of memory");
	extra[0] = ".identity";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_MANIFEST:
			manifest = optarg;
			break;
		case OPT_UID_MAP:
			if (parse_map(cli, "uid-map", optarg, &o.uid_from, &o.uid_to))
				return EXIT_USAGE;
			break;
		case OPT_GID_MAP:
			if (parse_map(cli, "gid-map", optarg, &o.gid_from, &o.gid_to))
				return EXIT_USAGE;
			break;
		case OPT_EXPECT:
			if (!*optarg || optarg[0] == '/')
				return cli_error(cli, "verify: --expect-extra takes a path relative to the tree, not '%s'", optarg);
			extra[nextra++] = optarg;
			break;
		case OPT_IGNORE_TOP:
			o.ignore_top = true;
			break;
		case OPT_PROGRESS:
			if (parse_progress(cli, "verify", optarg, &mode))
				return EXIT_USAGE;
			break;
		case OPT_NO_PROGRESS:
			mode = PROGRESS_NONE;
			break;
		case 'h':
			help_verify(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "verify", c, argv);
		}
	}
	o.expected_extra = extra;
	if (argc - optind != (manifest ? 1 : 2))
		return cli_error(cli, "verify: %s (see '%s help verify')",
				 manifest ? "name the tree to compare with the manifest: verify --manifest FILE NEW" :
				 "name two trees, SAVED and NEW, or use --manifest FILE NEW", cli->prog);
	mode = resolve_mode(cli, mode);
	new_path = argv[argc - 1];
	if (manifest) {
		old_path = manifest;
		if (asprintf(&old_desc, "the manifest %s", manifest) < 0)
			return cli_error(cli, "out of memory");
		r = hs_manifest_load(cli->ctx, &a, manifest);
		if (r < 0) {
			cli_lib_error(cli, EXIT_USAGE, "verify");
			goto fail;
		}
	} else {
		old_path = argv[optind];
		old_desc = strdup(old_path);
		if (!old_desc)
			return cli_error(cli, "out of memory");
		r = scan_tree(cli, old_path, 0, mode, &a);
		if (r < 0)
			goto fail;
	}
	r = scan_tree(cli, new_path, hs_manifest_hash_algorithm(a) ? 0 : HS_MANIFEST_NO_HASH, mode, &b);
	if (r < 0)
		goto fail;
	r = hs_manifest_compare(cli->ctx, a, b, &o, &res);
	if (r < 0) {
		cli_lib_error(cli, EXIT_USAGE, "verify");
		goto fail;
	}
	if (cli->json) {
		if (verify_json(cli, res, old_path, manifest ? "manifest" : "tree", a, new_path, b) < 0)
			return cli_error(cli, "out of memory");
		hs_ctx_clear_warnings(cli->ctx);
	} else {
		cli_flush_warnings(cli);
		verify_human(cli, res, old_desc, a, new_path, b);
	}
	return cli_finish(cli, hs_verify_result_unexpected(res) ? EXIT_NEEDS_ACTION : EXIT_OK);
fail:
	cli_flush_warnings(cli);
	if (cli->json)
		print_error_json(cli, "verify", hs_ctx_last_error(cli->ctx));
	return cli_finish(cli, EXIT_USAGE);
}

int cmd_manifest(struct cli *cli, int argc, char **argv)
{
	enum { OPT_NO_HASH = 256, OPT_PROGRESS, OPT_NO_PROGRESS };
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "no-hash", no_argument, NULL, OPT_NO_HASH },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	enum progress_mode mode = PROGRESS_AUTO;
	const char *output = NULL, *dir;
	unsigned flags = 0;
	char bytes[32];
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_NO_HASH:
			flags |= HS_MANIFEST_NO_HASH;
			break;
		case OPT_PROGRESS:
			if (parse_progress(cli, "manifest", optarg, &mode))
				return EXIT_USAGE;
			break;
		case OPT_NO_PROGRESS:
			mode = PROGRESS_NONE;
			break;
		case 'h':
			help_manifest(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "manifest", c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_error(cli, "manifest: name one directory: manifest DIR -o FILE (see '%s help manifest')",
				 cli->prog);
	if (!output || !*output)
		return cli_error(cli, "manifest: say where to write it: -o FILE (see '%s help manifest')", cli->prog);
	dir = argv[optind];
	r = scan_tree(cli, dir, flags, resolve_mode(cli, mode), &m);
	if (r >= 0) {
		r = hs_manifest_save(cli->ctx, m, output);
		if (r < 0)
			cli_lib_error(cli, EXIT_USAGE, "manifest");
	}
	if (r < 0) {
		cli_flush_warnings(cli);
		if (cli->json)
			print_error_json(cli, "manifest", hs_ctx_last_error(cli->ctx));
		return cli_finish(cli, EXIT_USAGE);
	}
	if (cli->json) {
		_cleanup_json_ struct json_object *o = json_object_new_object();
		struct json_object *mounts = json_object_new_array();
		int e = 0;

		if (!o || !mounts) {
			json_object_put(mounts);
			return cli_error(cli, "out of memory");
		}
		for (size_t i = 0; i < hs_manifest_count(m); i++)
			if (hs_manifest_get(m, i)->mountpoint)
				e |= json_object_array_add(mounts, json_escaped(hs_manifest_get(m, i)->path)) < 0;
		e |= cli_json_add(o, "version", json_object_new_int(VERIFY_JSON_VERSION));
		e |= cli_json_add(o, "command", json_object_new_string("manifest"));
		e |= cli_json_add(o, "path", cli_json_str(dir));
		e |= cli_json_add(o, "output", cli_json_str(output));
		e |= cli_json_add(o, "entries", json_object_new_int64((int64_t)hs_manifest_count(m)));
		e |= cli_json_add(o, "bytes", json_object_new_int64((int64_t)hs_manifest_total_bytes(m)));
		e |= cli_json_add(o, "hash", cli_json_str(hs_manifest_hash_algorithm(m)));
		e |= cli_json_add(o, "mount_points", mounts);
		e |= cli_json_add(o, "warnings", warnings_json(cli));
		e |= cli_json_add(o, "error", NULL);
		if (e || cli_json_print(o, false) < 0)
			return cli_error(cli, "out of memory");
		hs_ctx_clear_warnings(cli->ctx);
		return cli_finish(cli, EXIT_OK);
	}
	cli_flush_warnings(cli);
	human_bytes(bytes, sizeof(bytes), (double)hs_manifest_total_bytes(m));
	if (!cli->quiet)
		printf(" %s*%s %s: %zu entries, %s in regular files, %s -> %s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET),
		       dir, hs_manifest_count(m), bytes,
		       hs_manifest_hash_algorithm(m) ? "contents hashed (xxh3-128)" : "metadata only (--no-hash)", output);
	return cli_finish(cli, EXIT_OK);
}
