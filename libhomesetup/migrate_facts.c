/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The facts behind `homesetup migrate check USER`: what the account files, homed's and homesetup's state, the
 * running sessions, rsync and the storage choice say about migrating one user (the home itself is looked at in
 * migrate_facts_home.c). Nothing here judges: migrate_check.c turns the facts into the checks of group `migrate`.
 *
 * Rules quoted from systemd (homed-facts §1.3, §2.1, §2.6):
 *  - a name homed manages passes valid_user_group_name() in strict mode (src/basic/user-util.c: an ASCII letter
 *    or '_' first, then letters, digits, '_' and '-', at most UT_NAMESIZE - 1 = 31 bytes) and suitable_user_name()
 *    (src/home/home-util.c: not root, nobody or the nobody group's name, not "systemd-…" and not "_…");
 *  - homectl --uid refuses "UID %u is in system range, refusing." (≤ SYSTEM_UID_MAX, which systemd takes from
 *    login.defs at build time: 999 on Gentoo), "… dynamic range …" (61184–65519) and "… is nobody UID …" (65534);
 *    homed refuses a UID used by another user or as the GID of a group, and a name used by a group;
 *  - --member-of names are checked in relaxed mode; homectl splits the option's value at commas.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "homesetupP.h"

const char *hs_migrate_test_proc;

const char *hs_migrate_test_proc_dir(void)
{
	const char *env = getenv("HOMESETUP_TEST_PROC");

	return hs_migrate_test_proc ? hs_migrate_test_proc : env && *env ? env : NULL;
}

/* ---- the pool --------------------------------------------------------------------------------------------- */

const char *hs_migrate_keep(hs_migrate_facts *f, char *s)
{
	char **nv;

	if (!s)
		return NULL;
	nv = realloc(f->pool, (f->n_pool + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return NULL;
	}
	f->pool = nv;
	f->pool[f->n_pool++] = s;
	return s;
}

const char *hs_migrate_keepf(hs_migrate_facts *f, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : hs_migrate_keep(f, s);
}

/* The context's last error (or strerror) kept in the pool. */
static const char *keep_error(hs_migrate_facts *f, hs_ctx *ctx, int r)
{
	const char *m = hs_ctx_last_error(ctx);

	return hs_migrate_keepf(f, "%s", m && *m ? m : strerror(-r));
}

void hs_migrate_human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* ---- names and options ------------------------------------------------------------------------------------ */

bool hs_migrate_name_path_safe(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > 255 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *hs_migrate_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "it is empty";
	if (strcmp(name, "root") == 0 || strcmp(name, "nobody") == 0 || strcmp(name, "nogroup") == 0)
		return "it is a system account homed never manages";
	if (strncmp(name, "systemd-", 8) == 0)
		return "names starting with 'systemd-' belong to systemd's own users";
	if (name[0] == '_')
		return "names starting with '_' are reserved for system users";
	if (!ascii_alpha(name[0]))
		return "it must start with an ASCII letter";
	for (const char *p = name + 1; *p; p++)
		if (!ascii_alpha(*p) && !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-')
			return "only ASCII letters, digits, '_' and '-' may follow the first letter (no '.', '@', "
			       "upper-ASCII or other characters)";
	if (len > 31)
		return "it is longer than 31 bytes (the utmp limit homed applies)";
	return NULL;
}

/* homed's relaxed rule for group names (and our own: homectl splits --member-of at commas). */
static bool member_name_ok(const char *name)
{
	size_t len = strlen(name), digits = strspn(name, "0123456789");

	if (len == 0 || name[0] == ' ' || name[len - 1] == ' ' || strpbrk(name, ":/,") || digits == len ||
	    (name[0] == '-' && strspn(name + 1, "0123456789") == len - 1) || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = hs_utf8_next(name + i, len - i, &cp);

		if (k < 0 || cp < 0x20 || cp == 0x7f)
			return false;
		i += (size_t)k;
	}
	return true;
}

bool hs_migrate_storage_valid(const char *storage)
{
	static const char *const v[] = { "luks", "directory", "subvolume", "fscrypt" };

	for (size_t i = 0; storage && i < ELEMENTSOF(v); i++)
		if (strcmp(storage, v[i]) == 0)
			return true;
	return false;
}

bool hs_migrate_fs_type_valid(const char *fs_type)
{
	return fs_type && (strcmp(fs_type, "btrfs") == 0 || strcmp(fs_type, "ext4") == 0 || strcmp(fs_type, "xfs") == 0);
}

int hs_migrate_facts_alloc(hs_ctx *ctx, hs_migrate_facts **out, const hs_migrate_options *opts)
{
	hs_migrate_facts *f;

	*out = NULL;
	if (!opts || !opts->user || !*opts->user)
		return hs_ctx_set_error(ctx, -EINVAL, "no user given");
	if (!hs_migrate_name_path_safe(opts->user)) {
		_cleanup_free_ char *q = hs_escape(opts->user, strlen(opts->user), 80);

		return hs_ctx_set_error(ctx, -EINVAL, "invalid user name '%s': a user name cannot contain '/' or control "
					"characters, be '.' or '..', or be longer than 255 bytes", q ? q : "?");
	}
	if (opts->storage && strcmp(opts->storage, "cifs") == 0)
		return hs_ctx_set_error(ctx, -EINVAL, "storage 'cifs' keeps the home on a file server: homesetup "
					"migrates to local storage only (luks, directory, subvolume or fscrypt)");
	if (opts->storage && !hs_migrate_storage_valid(opts->storage)) {
		_cleanup_free_ char *q = hs_escape(opts->storage, strlen(opts->storage), 40);

		return hs_ctx_set_error(ctx, -EINVAL, "unknown storage '%s': use luks, directory, subvolume or fscrypt",
					q ? q : "?");
	}
	if (opts->fs_type && !hs_migrate_fs_type_valid(opts->fs_type)) {
		_cleanup_free_ char *q = hs_escape(opts->fs_type, strlen(opts->fs_type), 40);

		return hs_ctx_set_error(ctx, -EINVAL, "unknown file system type '%s': homed puts btrfs, ext4 or xfs "
					"into LUKS images", q ? q : "?");
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->info.user = hs_migrate_keepf(f, "%s", opts->user);
	f->opt_storage = opts->storage ? hs_migrate_keepf(f, "%s", opts->storage) : NULL;
	f->opt_fs_type = opts->fs_type ? hs_migrate_keepf(f, "%s", opts->fs_type) : NULL;
	f->opt_disk_size = opts->disk_size;
	f->copy = opts->copy;
	f->sessions = -1;
	if (!f->info.user || (opts->storage && !f->opt_storage) || (opts->fs_type && !f->opt_fs_type)) {
		hs_migrate_facts_free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* ---- login.defs ------------------------------------------------------------------------------------------- */

/* SYS_UID_MAX as shadow's useradd reads it: the key, else UID_MIN - 1, else 999. */
static int read_login_defs(hs_ctx *ctx, hs_migrate_facts *f)
{
	_cleanup_free_ char *buf = NULL;
	unsigned line = 0, sys_line = 0, min_line = 0;
	unsigned long sys_max = 0, uid_min = 0;
	size_t len = 0;
	int r;

	f->sys_uid_max = 999;
	f->sys_uid_max_from = "the default (no /etc/login.defs)";
	r = hs_root_read_file(ctx, HS_ROOT_SYS, "/etc/login.defs", 1u << 20, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	f->sys_uid_max_from = "the default (/etc/login.defs sets neither SYS_UID_MAX nor UID_MIN)";
	for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
		char key[32], val[32];

		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			nl = buf + len;
		*nl = '\0';
		line++;
		if (sscanf(p, " %31s %31s", key, val) != 2 || key[0] == '#')
			continue;
		if (strspn(val, "0123456789") != strlen(val) || strlen(val) > 10)
			continue;
		if (strcmp(key, "SYS_UID_MAX") == 0)
			sys_max = strtoul(val, NULL, 10), sys_line = line;
		else if (strcmp(key, "UID_MIN") == 0)
			uid_min = strtoul(val, NULL, 10), min_line = line;
	}
	if (sys_line) {
		f->sys_uid_max = (uint32_t)sys_max;
		f->sys_uid_max_from = hs_migrate_keepf(f, "/etc/login.defs:%u (SYS_UID_MAX)", sys_line);
	} else if (min_line && uid_min > 0) {
		f->sys_uid_max = (uint32_t)(uid_min - 1);
		f->sys_uid_max_from = hs_migrate_keepf(f, "/etc/login.defs:%u (UID_MIN - 1)", min_line);
	}
	return f->sys_uid_max_from ? 0 : -ENOMEM;
}

/* ---- the account files ------------------------------------------------------------------------------------ */

static bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool is_member(const hs_group_entry *g, const char *user)
{
	for (size_t i = 0; g->members[i]; i++)
		if (strcmp(g->members[i], user) == 0)
			return true;
	return false;
}

/* Append ", name" (or "name") to a list kept in the pool. */
static int list_add(hs_migrate_facts *f, const char **list, const char *name)
{
	const char *nl = *list ? hs_migrate_keepf(f, "%s, %s", *list, name) : hs_migrate_keepf(f, "%s", name);

	if (!nl)
		return -ENOMEM;
	*list = nl;
	return 0;
}

static int gather_accounts(hs_ctx *ctx, hs_migrate_facts *f)
{
	const char *user = f->info.user;
	const hs_passwd_entry *pw;
	_cleanup_(hs_strv_freep) char **member_of = NULL;
	int r;

	hs_ctx_clear_error(ctx);
	r = hs_accounts_load(ctx, &f->accounts);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		f->accounts = NULL;
		f->accounts_why = keep_error(f, ctx, r);
		return f->accounts_why ? 0 : -ENOMEM;
	}
	pw = f->pw = hs_accounts_user(f->accounts, user);
	if (!pw)
		return 0;
	f->info.gecos = pw->gecos;
	f->info.shell = pw->shell;
	f->info.home = pw->home;
	f->info.uid = pw->uid;
	f->info.gid = pw->gid;
	f->primary = hs_accounts_group_by_gid(f->accounts, pw->gid);
	f->name_group = hs_accounts_group(f->accounts, user);
	f->info.primary_group = f->primary ? f->primary->name : NULL;
	f->info.private_group = f->primary && f->primary->gid == pw->uid && strcmp(f->primary->name, user) == 0;

	for (size_t i = 0; i < hs_accounts_user_count(f->accounts); i++) {
		const hs_passwd_entry *o = hs_accounts_user_at(f->accounts, i);

		if (!o || strcmp(o->name, user) == 0)
			continue;
		if (o->uid == pw->uid && !f->uid_clash)
			f->uid_clash = o;
		if (f->info.private_group && o->gid == pw->gid && list_add(f, &f->group_users, o->name) < 0)
			return -ENOMEM;
	}
	if (f->info.private_group)
		for (size_t i = 0; f->primary->members[i]; i++)
			if (strcmp(f->primary->members[i], user) != 0 &&
			    list_add(f, &f->group_members, f->primary->members[i]) < 0)
				return -ENOMEM;

	/* --member-of: a shared primary group first (it stops being primary), then every group listing the user; never
	 * a group named like the user (homed makes its own: migrate.group judges one that is in the way) */
	if (f->primary && !f->info.private_group && f->primary != f->name_group) {
		if (!member_name_ok(f->primary->name)) {
			if (list_add(f, &f->groups_bad, f->primary->name) < 0)
				return -ENOMEM;
		} else if (hs_strv_push(&member_of, f->primary->name, strlen(f->primary->name)) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < hs_accounts_group_count(f->accounts); i++) {
		const hs_group_entry *g = hs_accounts_group_at(f->accounts, i);

		if (!g)
			continue;
		if (g->gid == pw->uid && !f->gid_clash && g != f->name_group)
			f->gid_clash = g;
		if (!is_member(g, user) || g == f->name_group || strv_has(member_of, g->name))
			continue;
		if (!member_name_ok(g->name)) {
			if (list_add(f, &f->groups_bad, g->name) < 0)
				return -ENOMEM;
			continue;
		}
		if (hs_strv_push(&member_of, g->name, strlen(g->name)) < 0)
			return -ENOMEM;
	}
	/* the vector itself goes to the pool too: the strings first, so that freeing the pool frees both */
	if (!member_of && !(member_of = calloc(1, sizeof(*member_of))))
		return -ENOMEM;
	for (size_t i = 0; member_of[i]; i++)
		if (!hs_migrate_keep(f, member_of[i])) {
			for (size_t k = i + 1; member_of[k]; k++)
				free(member_of[k]);
			free(TAKE_PTR(member_of));
			return -ENOMEM;
		}
	f->info.member_of = (const char *const *)member_of;
	if (!hs_migrate_keep(f, (char *)TAKE_PTR(member_of)))
		return -ENOMEM;
	return 0;
}

/* ---- homed's and homesetup's own state -------------------------------------------------------------------- */

static int lstat_at_root(hs_ctx *ctx, const char *path, struct stat *st)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	fd = hs_root_open(ctx, HS_ROOT_SYS, *dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = fstatat(fd, slash + 1, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* A journal of `homesetup migrate` (migrate_journal.c reads it: its checksum and version are checked there). */
static int judge_journal(hs_ctx *ctx, hs_migrate_facts *f)
{
	hs_migrate_status *st = NULL;
	const hs_migrate_step_status *next;
	const char *phase;
	int r;

	hs_ctx_clear_error(ctx);
	r = hs_migrate_status_load(ctx, &st, f->info.user);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		f->journal_why = keep_error(f, ctx, r);
		return f->journal_why ? 0 : -ENOMEM;
	}
	phase = hs_migrate_status_phase(st);
	f->journal_done = strcmp(phase, "completed") == 0;
	f->journal_rolling_back = strcmp(phase, "rolling-back") == 0;
	next = hs_migrate_status_next(st);
	if (next)
		f->journal_step = hs_migrate_keepf(f, "%s (%s)", next->id, hs_migrate_state_name(next->state));
	hs_migrate_status_free(st);
	return !next || f->journal_step ? 0 : -ENOMEM;
}

static int gather_state(hs_ctx *ctx, hs_migrate_facts *f)
{
	_cleanup_free_ char *identity = NULL, *journal = NULL;
	struct stat st;
	int r;

	if (asprintf(&identity, "/var/lib/systemd/home/%s.identity", f->info.user) < 0 ||
	    asprintf(&journal, HS_MIGRATE_STATE_DIR "/%s.json", f->info.user) < 0)
		return -ENOMEM;
	r = lstat_at_root(ctx, identity, &st);
	if (r == -ENOMEM)
		return r;
	f->identity = r == 0;
	r = lstat_at_root(ctx, journal, &st);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	f->journal = hs_migrate_keep(f, TAKE_PTR(journal));
	if (!f->journal)
		return -ENOMEM;
	r = judge_journal(ctx, f);
	hs_ctx_clear_error(ctx);
	return r;
}

/* ---- sessions and processes ------------------------------------------------------------------------------- */

/* Processes whose real, effective, saved or file-system UID is @uid, from <proc>/<pid>/status. */
static int scan_processes(hs_migrate_facts *f, const char *proc, uint32_t uid)
{
	_cleanup_buf_ hs_buf list = {0};
	struct dirent *de;
	pid_t self = getpid();
	DIR *d = opendir(proc);

	if (!d) {
		f->proc_why = hs_migrate_keepf(f, "cannot read %s: %s", proc, strerror(errno));
		return f->proc_why ? 0 : -ENOMEM;
	}
	while ((de = readdir(d))) {
		char path[512], line[256], comm[64] = "?";
		unsigned long ids[4];
		bool match = false;
		FILE *fp;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name) || (pid_t)atol(de->d_name) == self)
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", proc, de->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue; /* gone meanwhile */
		while (fgets(line, sizeof(line), fp)) {
			if (strncmp(line, "Name:", 5) == 0) {
				snprintf(comm, sizeof(comm), "%s", line + 5 + strspn(line + 5, " \t"));
				comm[strcspn(comm, "\n")] = '\0';
			} else if (strncmp(line, "Uid:", 4) == 0 &&
				   sscanf(line + 4, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4) {
				for (size_t i = 0; i < 4; i++)
					match = match || ids[i] == uid;
				break;
			}
		}
		fclose(fp);
		if (!match)
			continue;
		if (f->processes++ < HS_MIGRATE_EXAMPLES) {
			_cleanup_free_ char *q = hs_escape(comm, strlen(comm), 40);

			if (!q || hs_buf_printf(&list, "%s%s (%s)", list.len ? ", " : "", de->d_name, q) < 0) {
				closedir(d);
				return -ENOMEM;
			}
		}
	}
	closedir(d);
	f->proc_checked = true;
	if (list.len && !(f->process_list = hs_migrate_keep(f, hs_buf_steal(&list))))
		return -ENOMEM;
	return 0;
}

static int gather_sessions(hs_ctx *ctx, hs_migrate_facts *f, const hs_check_options *o)
{
	const char *proc = hs_migrate_test_proc_dir();
	bool live = hs_probe_live(ctx);
	int r;

	if (!proc && live)
		proc = "/proc";
	if (!proc) {
		f->proc_why = hs_migrate_keepf(f, "checking a root directory (ROOT=%s), not the running system",
					       hs_ctx_get_root(ctx));
		if (!f->proc_why)
			return -ENOMEM;
	} else if ((r = scan_processes(f, proc, f->pw->uid)) < 0)
		return r;

	if (!live) {
		f->sessions_why = hs_migrate_keepf(f, "checking a root directory (ROOT=%s), not the running system",
						   hs_ctx_get_root(ctx));
		return f->sessions_why ? 0 : -ENOMEM;
	}
	if (o->no_bus) {
		f->sessions_why = "sd-login was not asked (--no-bus)";
		return 0;
	}
	r = sd_uid_get_sessions(f->pw->uid, 0, NULL);
	if (r < 0) {
		f->sessions_why = hs_migrate_keepf(f, "sd-login cannot tell: %s", strerror(-r));
		if (!f->sessions_why)
			return -ENOMEM;
	} else
		f->sessions = r;
	{
		char *state = NULL;

		if (sd_uid_get_state(f->pw->uid, &state) >= 0 && !(f->sessions_state = hs_migrate_keep(f, state)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- rsync ---------------------------------------------------------------------------------------------------- */

/* Run `@path --version` through spawn.c (an argv, a scrubbed environment, a timeout: an rsync that hangs must not
 * hang the preflight) and keep what it prints. 0 with *out, or -errno with *why (static) saying what went wrong. */
static int run_version(hs_ctx *ctx, const char *path, char **out, const char **why)
{
	const char *const argv[] = { path, "--version", NULL };
	hs_spawn sp = { .argv = argv, .timeout_usec = HS_SPAWN_PROBE_TIMEOUT_USEC };
	hs_spawn_result res = { 0 };
	int r;

	*out = NULL;
	*why = NULL;
	r = hs_spawn_run(ctx, &sp, &res);
	if (r < 0) {
		hs_spawn_result_done(&res);
		return r;
	}
	if (res.timed_out) {
		*why = "`rsync --version` did not finish within " HS_SPAWN_STR(HS_SPAWN_PROBE_TIMEOUT_SEC) " seconds and "
		       "was stopped";
		hs_spawn_result_done(&res);
		return -ETIMEDOUT;
	}
	if (res.status != 0) {
		*why = res.status == 127 ? "it cannot be executed" : "`rsync --version` failed";
		hs_spawn_result_done(&res);
		return -EIO;
	}
	*out = TAKE_PTR(res.out);
	hs_spawn_result_done(&res);
	return *out ? 0 : -ENOMEM;
}

/* Is @word one of the comma-separated capabilities listed after "Capabilities:"? "no @word" counts as absent. */
static bool has_capability(const char *text, const char *word)
{
	const char *p = strstr(text, "Capabilities:");
	size_t wl = strlen(word);

	if (!p)
		return false;
	p = strchr(p, '\n');
	/* the capability lines are indented; the next section ("Optimizations:") is not */
	while (p && (p[1] == ' ' || p[1] == '\t')) {
		const char *end = strchr(p + 1, '\n');
		const char *s = p + 1;

		if (!end)
			end = s + strlen(s);
		while (s < end) {
			size_t n;

			s += strspn(s, " \t,");
			n = strcspn(s, ",\n");
			if (s + n > end)
				n = (size_t)(end - s);
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			if (n == wl && strncmp(s, word, wl) == 0)
				return true;
			s += n;
			s += strcspn(s, ",\n");
		}
		p = *end ? end : NULL;
	}
	return false;
}

static int gather_rsync(hs_ctx *ctx, hs_migrate_facts *f)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin",
					    "/sbin", NULL };
	const char *env = getenv("HOMESETUP_RSYNC"), *why = NULL;
	_cleanup_free_ char *found = NULL, *text = NULL;
	bool host;
	int r;

	if (env && *env) {
		if (env[0] != '/' || access(env, X_OK) < 0) {
			f->rsync_why = hs_migrate_keepf(f, "HOMESETUP_RSYNC=%s is not an executable file given by its "
							"absolute path", env);
			return f->rsync_why ? 0 : -ENOMEM;
		}
		found = strdup(env);
		host = true;
	} else {
		r = hs_probe_find_file(ctx, dirs, "rsync", &found);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			f->rsync_why = keep_error(f, ctx, r);
			return f->rsync_why ? 0 : -ENOMEM;
		}
		if (r == 0)
			return 0;
		host = hs_probe_live(ctx);
	}
	if (!found || !(f->info.rsync = hs_migrate_keep(f, TAKE_PTR(found))))
		return -ENOMEM;
	if (!host) {
		f->rsync_why = hs_migrate_keepf(f, "checking a root directory (ROOT=%s): its rsync was not run",
						hs_ctx_get_root(ctx));
		return f->rsync_why ? 0 : -ENOMEM;
	}
	r = run_version(ctx, f->info.rsync, &text, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		f->rsync_failed = true;
		f->rsync_why = hs_migrate_keepf(f, "%s: %s", f->info.rsync, why ? why : strerror(-r));
		return f->rsync_why ? 0 : -ENOMEM;
	}
	{
		const char *v = strstr(text, "version ");
		size_t n;

		if (v) {
			v += 8;
			v += strspn(v, " ");
			n = strcspn(v, " \n");
			if (n && !(f->rsync_version = hs_migrate_keep(f, hs_strndup(v, n < 32 ? n : 32))))
				return -ENOMEM;
		}
	}
	f->rsync_probed = true;
	f->rsync_acls = has_capability(text, "ACLs");
	f->rsync_xattrs = has_capability(text, "xattrs");
	f->rsync_atimes = has_capability(text, "atimes");
	f->rsync_crtimes = has_capability(text, "crtimes");
	return 0;
}

/* -aHAX, then U (atimes, rsync ≥ 3.2) and N (crtimes, only where the build has them: rsync#420), and v. */
static int rsync_flags(hs_migrate_facts *f)
{
	bool atimes = !f->rsync_probed || f->rsync_atimes, crtimes = f->rsync_probed && f->rsync_crtimes;

	f->info.rsync_flags = hs_migrate_keepf(f, "-aHAX%s%sv", atimes ? "U" : "", crtimes ? "N" : "");
	return f->info.rsync_flags ? 0 : -ENOMEM;
}

/* ---- storage ---------------------------------------------------------------------------------------------- */

static int gather_storage(hs_checker *c, hs_migrate_facts *f)
{
	static const char *const sbin[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
	hs_ctx *ctx = hs_checker_ctx(c);
	const hs_homed_conf *conf = NULL;
	const char *dflt_fs = "btrfs", *dflt_why = "default";
	_cleanup_free_ char *mkfs = NULL;
	int r;

	hs_ctx_clear_error(ctx);
	r = hs_homed_conf_get(c, &conf);
	if (r == -ENOMEM)
		return r;
	r = hs_homed_default_fstype(c, &dflt_fs, &dflt_why);
	if (r == -ENOMEM)
		return r;

	if (f->opt_storage) {
		f->info.storage = f->opt_storage;
		f->storage_from = "--storage";
	} else if (conf && conf->storage && hs_migrate_storage_valid(conf->storage)) {
		/* homed.conf lives as long as the check run: the facts keep copies */
		f->info.storage = hs_migrate_keepf(f, "%s", conf->storage);
		f->storage_from = hs_migrate_keepf(f, "%s:%u (DefaultStorage=)", conf->storage_path, conf->storage_line);
	} else {
		f->info.storage = "luks";
		f->storage_from = conf && conf->storage ? hs_migrate_keepf(f, "homed's default: %s:%u names a storage "
									  "homesetup does not migrate to (%s)",
									  conf->storage_path, conf->storage_line,
									  conf->storage) : "homed's default";
	}
	if (!f->storage_from || !f->info.storage)
		return -ENOMEM;
	if (strcmp(f->info.storage, "luks") != 0)
		return 0;

	if (f->opt_fs_type) {
		f->info.fs_type = f->opt_fs_type;
		f->fs_type_from = "--fs-type";
	} else if (conf && conf->fstype && hs_migrate_fs_type_valid(conf->fstype)) {
		f->info.fs_type = hs_migrate_keepf(f, "%s", conf->fstype);
		f->fs_type_from = hs_migrate_keepf(f, "%s:%u (DefaultFileSystemType=)", conf->fstype_path,
						   conf->fstype_line);
	} else {
		f->info.fs_type = dflt_fs;
		f->fs_type_from = hs_migrate_keepf(f, "homed's %s", dflt_why);
	}
	f->mkfs_name = f->info.fs_type ? hs_migrate_keepf(f, "mkfs.%s", f->info.fs_type) : NULL;
	if (!f->info.fs_type || !f->fs_type_from || !f->mkfs_name)
		return -ENOMEM;
	r = hs_probe_find_file(ctx, sbin, f->mkfs_name, &mkfs);
	if (r == -ENOMEM)
		return r;
	if (r > 0 && !(f->mkfs = hs_migrate_keep(f, TAKE_PTR(mkfs))))
		return -ENOMEM;
	hs_ctx_clear_error(ctx);
	return 0;
}

/* ---- all of it -------------------------------------------------------------------------------------------- */

int hs_migrate_gather(hs_checker *c, hs_migrate_facts *f)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	int r;

	if (f->gathered)
		return 0;
	f->gathered = true;
	f->info.saved = hs_migrate_keepf(f, "/home/%s.saved", f->info.user);
	f->expected_home = hs_migrate_keepf(f, "/home/%s", f->info.user);
	if (!f->info.saved || !f->expected_home)
		return -ENOMEM;
	r = read_login_defs(ctx, f);
	if (r >= 0)
		r = gather_accounts(ctx, f);
	if (r >= 0)
		r = gather_state(ctx, f);
	if (r >= 0)
		r = gather_storage(c, f);
	if (r >= 0)
		r = gather_rsync(ctx, f);
	if (r >= 0)
		r = rsync_flags(f);
	if (r >= 0 && f->pw && !f->journal)
		r = gather_sessions(ctx, f, hs_checker_options(c));
	if (r >= 0)
		r = hs_migrate_gather_home(ctx, f);
	f->info.needs_acl_mount_option = f->info.has_acls && strcmp(f->info.storage, "luks") == 0 &&
					 strcmp(f->info.fs_type, "btrfs") == 0;
	hs_ctx_clear_error(ctx);
	return r;
}

void hs_migrate_facts_free(hs_migrate_facts *f)
{
	if (!f)
		return;
	hs_report_free(f->report);
	hs_accounts_free(f->accounts);
	/* in reverse: the member_of vector comes after its strings */
	for (size_t i = f->n_pool; i-- > 0;)
		free(f->pool[i]);
	free(f->pool);
	free(f);
}
