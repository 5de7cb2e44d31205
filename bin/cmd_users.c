/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup users: the regular users of ROOT and where each one's home stands (traditional, homed, or a
 * migration in progress), for `eselect homed list` and scripts.
 *
 * /etc/passwd is read with hs_accounts_load() (the library's account-file parser: malformed lines and NIS
 * entries are reported as warnings with file and line, the first entry of a name counts, as NSS does); the other
 * files with hs_edit_new(), the library's public reader of a file *inside* a root (symlinks are resolved within
 * it and never lead out).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"

/* The UID range of regular users (systemd's "regular users", /usr/share/doc/systemd/UIDS-GIDS.md). */
#define USERS_UID_MIN 1000u
#define USERS_UID_MAX 60000u
/* Where homed keeps a user's record, and where homesetup's migration keeps its journal (one per user, removed
 * when the migration has finished or been rolled back). */
#define HOMED_RECORD_DIR "/var/lib/systemd/home"
#define MIGRATE_JOURNAL_DIR "/var/lib/homesetup/migrate"

void help_users(FILE *out)
{
	fprintf(out,
		"Usage: homesetup users [--json | --kv] [--root DIR]\n"
		"\n"
		"List the regular users of ROOT (/etc/passwd: UID 1000 to 60000, a login shell other than\n"
		"nologin or false) and the state of each one's home:\n"
		"  traditional   a classic home directory; no homed record\n"
		"  homed         " HOMED_RECORD_DIR "/USER.identity exists: homed manages the user\n"
		"  migrating     a homesetup migration journal exists (" MIGRATE_JOURNAL_DIR "/USER.json):\n"
		"                a migration was started and has not finished or been rolled back\n"
		"  unknown       the state could not be read (the reason is given)\n"
		"\n"
		"Options:\n"
		"      --json   one JSON object: {\"root\", \"users\": [{\"name\", \"uid\", \"gid\", \"gecos\", \"home\",\n"
		"               \"shell\", \"state\", \"identity\", \"journal\", \"error\"}]}\n"
		"      --kv     one line per user, fields separated by a TAB, each field KEY=VALUE (in this order:\n"
		"               name uid gid home shell state gecos, then error when the state is unknown); a\n"
		"               backslash, TAB, CR or newline in a value is written as \\\\, \\t, \\r or \\n. For shell\n"
		"               scripts: while IFS=$'\\t' read -r -a fields; do ...; done\n"
		"  -h, --help   this help\n"
		"\n"
		"Exit status: 0 listed (also when there is no regular user), 2 /etc/passwd unreadable or usage.\n");
}

struct user {
	char *name, *gecos, *home, *shell;
	unsigned long uid, gid;
	const char *state;      /* "traditional", "homed", "migrating", "unknown" */
	char *identity, *journal; /* paths inside the root when the file exists */
	char *error;            /* why the state is unknown */
};

static void user_done(struct user *u)
{
	free(u->name);
	free(u->gecos);
	free(u->home);
	free(u->shell);
	free(u->identity);
	free(u->journal);
	free(u->error);
}

struct user_list {
	struct user *v;
	size_t n, cap;
};

static void user_list_done(struct user_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		user_done(&l->v[i]);
	free(l->v);
}

/* A login shell: anything but nologin and false (an empty field means /bin/sh). */
static bool is_login_shell(const char *shell, size_t len)
{
	const char *base = shell;

	for (size_t i = 0; i < len; i++)
		if (shell[i] == '/')
			base = shell + i + 1;
	len -= (size_t)(base - shell);
	return !((len == 7 && memcmp(base, "nologin", 7) == 0) || (len == 5 && memcmp(base, "false", 5) == 0));
}

/* A name that is safe inside a path: no '/', not "." or "..", no control characters. */
static bool safe_name(const char *s, size_t len)
{
	if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Does @path exist inside ROOT? 1 yes, 0 no, negative errno (message in ctx) when it cannot be told. */
static int root_file_exists(struct cli *cli, const char *path)
{
	hs_edit *e = NULL;
	int r = hs_edit_new(cli->ctx, &e, HS_EDIT_ROOT, path);

	if (r < 0)
		return r;
	r = hs_edit_file_exists(e);
	hs_edit_free(e);
	return r;
}

static void users_accounts_freep(hs_accounts **a)
{
	hs_accounts_free(*a);
}

/* Hand a string on and leave NULL behind (TAKE_PTR for the CLI). */
static char *take_str(char **p)
{
	char *s = *p;

	*p = NULL;
	return s;
}

/* DIR/NAME.SUFFIX, or NULL when out of memory (asprintf leaves its pointer undefined on failure). */
static char *path_of(const char *dir, const char *name, const char *suffix)
{
	char *p;

	return asprintf(&p, "%s/%s%s", dir, name, suffix) < 0 ? NULL : p;
}

static int user_state(struct cli *cli, struct user *u)
{
	_cleanup_free_ char *journal = path_of(MIGRATE_JOURNAL_DIR, u->name, ".json");
	_cleanup_free_ char *identity = path_of(HOMED_RECORD_DIR, u->name, ".identity");
	int rj, ri;

	if (!journal || !identity)
		return -ENOMEM;
	rj = root_file_exists(cli, journal);
	if (rj == -ENOMEM)
		return rj;
	if (rj < 0 && !(u->error = strdup(hs_ctx_last_error(cli->ctx))))
		return -ENOMEM;
	ri = root_file_exists(cli, identity);
	if (ri == -ENOMEM)
		return ri;
	if (ri < 0 && !u->error && !(u->error = strdup(hs_ctx_last_error(cli->ctx))))
		return -ENOMEM;
	if (rj > 0)
		u->journal = take_str(&journal);
	if (ri > 0)
		u->identity = take_str(&identity);
	/* A journal means a migration is under way, whatever else exists: it writes the record before it ends. */
	if (rj > 0)
		u->state = "migrating";
	else if (rj < 0 || ri < 0)
		u->state = "unknown";
	else
		u->state = ri > 0 ? "homed" : "traditional";
	return 0;
}

/* The regular users of @a, in file order. Names that cannot be file names are reported on stderr and skipped. */
static int collect_users(struct cli *cli, struct user_list *l, const hs_accounts *a)
{
	for (size_t i = 0; i < hs_accounts_user_count(a); i++) {
		const hs_passwd_entry *pw = hs_accounts_user_at(a, i);
		struct user *u;

		if (pw->uid < USERS_UID_MIN || pw->uid > USERS_UID_MAX || !is_login_shell(pw->shell, strlen(pw->shell)))
			continue;
		if (!safe_name(pw->name, strlen(pw->name))) {
			fprintf(stderr, "%s: warning: /etc/passwd:%u: user '%s' ignored: the name cannot be a file name\n",
				cli->prog, pw->line, pw->name);
			continue;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			struct user *v = realloc(l->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			l->v = v;
			l->cap = cap;
		}
		u = &l->v[l->n];
		*u = (struct user){ .uid = pw->uid, .gid = pw->gid };
		l->n++;
		u->name = strdup(pw->name);
		u->gecos = strdup(pw->gecos);
		u->home = strdup(pw->home);
		u->shell = strdup(*pw->shell ? pw->shell : "/bin/sh");
		if (!u->name || !u->gecos || !u->home || !u->shell)
			return -ENOMEM;
	}
	return 0;
}

static void print_kv(const struct user_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct user *u = &l->v[i];

		cli_kv_put("name", u->name);
		printf("\tuid=%lu\tgid=%lu\t", u->uid, u->gid);
		cli_kv_put("home", u->home);
		putchar('\t');
		cli_kv_put("shell", u->shell);
		printf("\tstate=%s\t", u->state);
		cli_kv_put("gecos", u->gecos);
		if (u->error) {
			putchar('\t');
			cli_kv_put("error", u->error);
		}
		putchar('\n');
	}
}

static int print_json(struct cli *cli, const struct user_list *l)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(a);
		return -1;
	}
	cli_json_add(o, "root", cli_json_str(hs_ctx_get_root(cli->ctx)));
	cli_json_add(o, "users", a);
	for (size_t i = 0; i < l->n; i++) {
		const struct user *u = &l->v[i];
		struct json_object *j = json_object_new_object();

		if (!j)
			return -1;
		cli_json_add(j, "name", cli_json_str(u->name));
		cli_json_add(j, "uid", json_object_new_int64((int64_t)u->uid));
		cli_json_add(j, "gid", json_object_new_int64((int64_t)u->gid));
		cli_json_add(j, "gecos", cli_json_str(u->gecos));
		cli_json_add(j, "home", cli_json_str(u->home));
		cli_json_add(j, "shell", cli_json_str(u->shell));
		cli_json_add(j, "state", cli_json_str(u->state));
		cli_json_add(j, "identity", cli_json_str(u->identity));
		cli_json_add(j, "journal", cli_json_str(u->journal));
		cli_json_add(j, "error", cli_json_str(u->error));
		json_object_array_add(a, j);
	}
	return cli_json_print(o, true);
}

static const char *state_text(const char *state)
{
	if (strcmp(state, "migrating") == 0)
		return "migration in progress";
	return state;
}

static void print_human(struct cli *cli, const struct user_list *l)
{
	const char *hl = cli_c(cli, C_HILITE), *warn = cli_c(cli, C_WARN), *good = cli_c(cli, C_GOOD),
		   *reset = cli_c(cli, C_RESET);
	int wname = 4, wuid = 3, wstate = 5;

	if (l->n == 0) {
		if (!cli->quiet)
			printf(" %s*%s no regular users (UID %u-%u with a login shell) in /etc/passwd\n", good, reset,
			       USERS_UID_MIN, USERS_UID_MAX);
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		int n = (int)strlen(l->v[i].name), s = (int)strlen(state_text(l->v[i].state));
		char uid[16];

		wname = n > wname ? n : wname;
		wstate = s > wstate ? s : wstate;
		n = snprintf(uid, sizeof(uid), "%lu", l->v[i].uid);
		wuid = n > wuid ? n : wuid;
	}
	if (!cli->quiet)
		printf("%-*s  %*s  %-*s  %s\n", wname, "USER", wuid, "UID", wstate, "STATE", "HOME");
	for (size_t i = 0; i < l->n; i++) {
		const struct user *u = &l->v[i];
		const char *c = strcmp(u->state, "homed") == 0 ? good : strcmp(u->state, "traditional") == 0 ? "" : warn;

		printf("%s%-*s%s  %*lu  %s%-*s%s  %s\n", hl, wname, u->name, reset, wuid, u->uid, c, wstate,
		       state_text(u->state), *c ? reset : "", u->home);
		if (u->error)
			printf("%*s  %s\n", wname + wuid + 2, "", u->error);
	}
}

int cmd_users(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "kv", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(user_list_done) struct user_list l = { 0 };
	_cleanup_(users_accounts_freep) hs_accounts *accounts = NULL;
	bool kv = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			kv = true;
			break;
		case 'h':
			help_users(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "users", c, argv);
		}
	}
	if (optind < argc)
		return cli_error(cli, "users takes no arguments (see 'homesetup users --help')");
	if (kv && cli->json)
		return cli_error(cli, "users: --kv and --json are exclusive");

	r = hs_accounts_load(cli->ctx, &accounts);
	for (size_t i = 0; i < hs_ctx_warning_count(cli->ctx); i++)
		fprintf(stderr, "%s: warning: %s\n", cli->prog, hs_ctx_warning(cli->ctx, i));
	hs_ctx_clear_warnings(cli->ctx);
	if (r < 0)
		return cli_lib_error(cli, EXIT_USAGE, "cannot read the user database");
	r = collect_users(cli, &l, accounts);
	for (size_t i = 0; r == 0 && i < l.n; i++)
		r = user_state(cli, &l.v[i]);
	if (r < 0)
		return cli_error(cli, "%s", strerror(-r));

	if (cli->json) {
		if (print_json(cli, &l) < 0)
			return cli_error(cli, "out of memory");
	} else if (kv) {
		print_kv(&l);
	} else {
		print_human(cli, &l);
	}
	return cli_finish(cli, EXIT_OK);
}
