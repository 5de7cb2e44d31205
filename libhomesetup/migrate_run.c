/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration executor: run, resume. Every step is idempotent and the journal is rewritten (atomically,
 * fsync'd) when a step starts and when it ends, so a crash anywhere leaves at most one step "running", and running
 * it again finishes it:
 *
 *   backup          copies of the four account files (a new stamp each time)
 *   manifest        a fresh scan of the home (it has not moved yet)
 *   move-aside      /home/U.saved there and /home/U gone: done; else rename (or, --copy: copy, verify the copy,
 *                   and only then remove the original)
 *   remove-account  the undo record is computed (pretend) and journaled before any file is touched; removing a
 *                   user already gone is a no-op
 *   create          `homectl inspect U` succeeds: done
 *   copy, verify    run again
 *   remove-saved    gone: done
 *
 * Before remove-account, create and copy the saved copy's metadata is compared with the manifest: a tree that
 * changed since is not copied (the user decides: roll back, or roll back and start again).
 *
 * The password: checked with crypt(3) against the shadow hash (at the start) or the hash the journal recorded
 * (resume, rollback), then given to homectl only in its environment; every copy made here is wiped.
 */
#include "homesetupP.h"

#include <crypt.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the password --------------------------------------------------------------------------------------- */

int hs_migrate_hash_check(hs_ctx *ctx, const char *user, const char *hash, const char *password)
{
	struct crypt_data *cd;
	const char *h;
	size_t a, b;
	unsigned char diff;
	int r;

	if (!hash || !*hash || hash[0] == '!' || hash[0] == '*')
		return hs_ctx_set_error(ctx, -EPERM, "%s has no usable password (%s): homed needs one to create the "
					"home; set one with passwd(1) first", user,
					!hash || !*hash ? "it is empty" : "the account is locked");
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	if (!h || h[0] == '*') {
		r = hs_ctx_set_error(ctx, -EINVAL, "the password hash of %s has a form crypt(3) does not support here "
				     "(prefix '%.4s')", user, hash);
	} else {
		a = strlen(h);
		b = strlen(hash);
		diff = a != b;
		for (size_t i = 0; i < a && i < b; i++)
			diff |= (unsigned char)(h[i] ^ hash[i]);
		r = diff ? hs_ctx_set_error(ctx, -EACCES, "wrong password for %s", user) : 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

int hs_migrate_check_password(hs_ctx *ctx, const char *user, const char *password)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = NULL;
	hs_accounts *a = NULL;
	int r;

	if (!user || !password)
		return hs_ctx_set_error(ctx, -EINVAL, "migrate: no user or no password given");
	r = hs_migrate_status_load(ctx, &j, user);
	if (r == 0)
		return hs_migrate_hash_check(ctx, user, j->password_hash, password);
	if (r != -ENOENT)
		return r;
	hs_ctx_clear_error(ctx);
	r = hs_accounts_load(ctx, &a);
	if (r < 0)
		return r;
	r = hs_accounts_check_password(ctx, a, user, password);
	hs_accounts_free(a);
	if (r == -EACCES)
		return hs_ctx_set_error(ctx, r, "wrong password for %s", user);
	return r;
}

/* ---- the runner ----------------------------------------------------------------------------------------- */

static void emit(hs_migrate_runner *R, hs_migrate_event_kind kind, bool skipped, const char *message)
{
	hs_migrate_event ev = {
		.kind = kind,
		.step = R->step_id,
		.index = R->index,
		.count = R->j ? R->j->n_steps : 0,
		.skipped = skipped,
		.progress = &R->progress,
		.message = message,
	};

	if (!R->ro->event)
		return;
	if (R->plan && R->index < R->plan->n_steps) {
		ev.title = R->plan->steps[R->index].title;
		ev.command = R->plan->steps[R->index].command;
	}
	R->ro->event(&ev, R->ro->userdata);
}

void hs_migrate_note(hs_migrate_runner *R, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		emit(R, HS_MIGRATE_EVENT_NOTE, false, s);
}

void hs_migrate_progress(hs_migrate_runner *R)
{
	if (R->ro->progress)
		emit(R, HS_MIGRATE_EVENT_PROGRESS, false, NULL);
}

/* HOMESETUP_TEST_KILL_AT=STEP:before|after — the crash tests' hook. */
static void kill_hook(const char *id, const char *when)
{
	const char *at = getenv("HOMESETUP_TEST_KILL_AT");
	size_t n = strlen(id);

	if (at && strncmp(at, id, n) == 0 && at[n] == ':' && strcmp(at + n + 1, when) == 0)
		raise(SIGKILL);
}

/* Split child output into lines (rsync ends progress updates with '\r'). */
static void feed_lines(hs_buf *b, const char *chunk, size_t len, void (*line)(hs_migrate_runner *, const char *, size_t),
		       hs_migrate_runner *R)
{
	for (size_t i = 0; i < len; i++) {
		if (chunk[i] == '\n' || chunk[i] == '\r') {
			if (b->len)
				line(R, b->p, b->len);
			b->len = 0;
			continue;
		}
		if (b->len < 4096)
			(void)hs_buf_putc(b, chunk[i]);
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "     1,234,567  45%   12.34MB/s    0:00:12 (xfr#12, to-chk=34/100)" */
static void rsync_line(hs_migrate_runner *R, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *chk;
	uint64_t bytes = 0;
	bool any = false;

	while (p < e && *p == ' ')
		p++;
	for (; p < e && (is_digit(*p) || *p == ',' || *p == '.' || *p == '\''); p++)
		if (is_digit(*p)) {
			bytes = bytes * 10 + (uint64_t)(*p - '0');
			any = true;
		}
	if (!any || p >= e || *p != ' ' || !memchr(p, '%', (size_t)(e - p)))
		return;
	R->progress.bytes_done = bytes;
	chk = memmem(p, (size_t)(e - p), "to-chk=", 7);
	if (chk) {
		uint64_t left = 0, total = 0;
		const char *q = chk + 7;

		while (q < e && is_digit(*q))
			left = left * 10 + (uint64_t)(*q++ - '0');
		if (q < e && *q == '/') {
			for (q++; q < e && is_digit(*q); q++)
				total = total * 10 + (uint64_t)(*q - '0');
			/* rsync's total grows while it still scans (incremental recursion): never go backwards */
			if (total >= left && total - left > R->progress.files_done)
				R->progress.files_done = total - left;
			if (total > R->progress.files_total)
				R->progress.files_total = total;
		}
	}
	hs_migrate_progress(R);
}

void hs_migrate_rsync_out(const char *chunk, size_t len, void *userdata)
{
	hs_migrate_runner *R = userdata;

	feed_lines(&R->out_line, chunk, len, rsync_line, R);
}

/* The verifier's progress lines on its stderr: "progress FILES FILES_TOTAL BYTES BYTES_TOTAL". */
static void verify_line(hs_migrate_runner *R, const char *s, size_t n)
{
	unsigned long long v[4];
	char buf[128];

	if (n >= sizeof(buf) || n < 9 || memcmp(s, "progress ", 9) != 0)
		return;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "progress %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return;
	R->progress = (hs_progress){ .files_done = v[0], .files_total = v[1], .bytes_done = v[2], .bytes_total = v[3] };
	hs_migrate_progress(R);
}

static void verify_err(const char *chunk, size_t len, void *userdata)
{
	hs_migrate_runner *R = userdata;

	feed_lines(&R->err_line, chunk, len, verify_line, R);
}

int hs_migrate_spawn(hs_migrate_runner *R, hs_migrate_argv_kind kind, const char *secret, hs_spawn_output_fn out,
		     hs_spawn_output_fn err, hs_spawn_result *res)
{
	_cleanup_(hs_strv_freep) char **argv = NULL;
	char *env[3] = { NULL, NULL, NULL };
	hs_spawn sp = { .on_stdout = out, .on_stderr = err, .userdata = R };
	int r;

	r = hs_migrate_argv(R->plan, kind, R->self, &argv);
	if (r < 0)
		return r;
	if (secret) {
		if (!R->ro->password)
			return hs_ctx_set_error(R->ctx, -EINVAL, "%s: the password is needed for this step", R->step_id);
		if (asprintf(&env[0], "%s=%s", secret, R->ro->password) < 0)
			return -ENOMEM;
	}
	sp.argv = (const char *const *)argv;
	sp.env = (const char *const *)env;
	R->out_line.len = R->err_line.len = 0;
	r = hs_spawn_run(R->ctx, &sp, res);
	for (size_t i = 0; i < 2; i++)
		if (env[i]) {
			explicit_bzero(env[i], strlen(env[i]));
			free(env[i]);
		}
	return r;
}

/* A failed command: "what exited with status N: its last lines". */
static int command_failed(hs_migrate_runner *R, const char *what, const hs_spawn_result *res, bool use_stdout)
{
	_cleanup_free_ char *err = hs_spawn_last_lines(res->err, 4, "progress "), *out = NULL;
	const char *hint = "";

	if (use_stdout)
		out = hs_spawn_last_lines(res->out, 8, NULL);
	if (!err || (use_stdout && !out))
		return -ENOMEM;
	if (strstr(res->err, "quality") || strstr(res->err, "too weak"))
		hint = " (homed judged the password too weak: plan with --homectl-arg=--enforce-password-policy=no to "
		       "keep it)";
	else if (res->status == 127)
		hint = " (the program could not be run)";
	if (res->signal)
		return hs_ctx_set_error(R->ctx, -EIO, "%s was killed by signal %d%s%s", what, res->signal,
					*err ? ": " : "", err);
	return hs_ctx_set_error(R->ctx, -EIO, "%s exited with status %d%s%s%s%s%s", what, res->status, hint,
				*err ? ": " : "", err, out && *out ? "; " : "", out ? out : "");
}

/* The copy failed. rsync's 23 ("some files/attrs were not transferred") and 24 ("some files vanished") say
 * little by themselves: say what usually causes them here, and show rsync's own last lines, which name the
 * entries. homed mounts btrfs inside LUKS without ACL support unless told (vm-notes.md); any home is mounted
 * through an idmapped mount, which refuses owners and ACL entries of IDs it does not map (EINVAL). */
static int copy_failed(hs_migrate_runner *R, const hs_spawn_result *res)
{
	const hs_migrate_plan *p = R->plan;
	const char *u = p->info->user;
	_cleanup_free_ char *err = hs_spawn_last_lines(res->err, 6, NULL), *hint = NULL;
	bool btrfs_noacl = p->storage && strcmp(p->storage, "luks") == 0 && p->fs_type &&
			   strcmp(p->fs_type, "btrfs") == 0 && !p->acl_option;
	int n;

	if (!err)
		return -ENOMEM;
	if (res->signal || (res->status != 23 && res->status != 24))
		return command_failed(R, "homectl with … rsync", res, false);
	if (res->status == 24)
		n = asprintf(&hint, "files of %s vanished while rsync copied it: something still writes there (fuser "
			     "-vm %s names it); nothing was deleted, but the saved copy no longer matches its manifest. "
			     "Roll back (homesetup migrate rollback %s), stop what writes there, then migrate again",
			     p->saved_host, p->saved_host, u);
	else
		n = asprintf(&hint, "rsync could not copy everything into the new home; nothing was deleted and %s is "
			     "intact. %sEntries owned by, or with ACL entries naming, a UID or GID that homed's idmapped "
			     "mount of the new home does not map (65534, 60001-60512, 65535-524287 …: \"Invalid argument "
			     "(22)\" from chown or set_acl), or extended attributes the new home's file system refuses, "
			     "are the usual causes; rsync's own lines say which. Roll back (homesetup migrate rollback %s), "
			     "fix them (homesetup migrate check %s lists such IDs: migrate.ids), then migrate again",
			     p->saved_host, btrfs_noacl ? "The new home is btrfs inside LUKS, which homed mounts without "
			     "ACL support unless told (--luks-extra-mount-options=acl): ACLs fail there. " : "", u, u);
	if (n < 0)
		return -ENOMEM;
	return hs_ctx_set_error(R->ctx, -EIO, "homectl with … rsync exited with status %d (%s)%s%s", res->status, hint,
				*err ? "; rsync said: " : "", err);
}

/* Is the tree at @path (under ROOT) still what the manifest recorded? -ESTALE when not. */
static int tree_unchanged(hs_migrate_runner *R, const char *path)
{
	_cleanup_(hs_manifest_freep) hs_manifest *then = NULL, *now = NULL;
	_cleanup_free_ char *first = NULL, *shown = hs_migrate_host_path(R->plan->root, path);
	size_t n = 0;
	int fd, r;

	if (!shown)
		return -ENOMEM;
	fd = hs_root_open(R->ctx, HS_ROOT_SYS, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hs_ctx_set_error(R->ctx, fd, "%s: cannot open: %s", shown, strerror(-fd));
	r = hs_manifest_scan(R->ctx, &now, fd, HS_MANIFEST_NO_HASH, NULL, NULL);
	close(fd);
	if (r < 0)
		return r;
	r = hs_manifest_load(R->ctx, &then, R->j->manifest_host);
	if (r < 0)
		return r;
	r = hs_migrate_tree_compare(then, now, &n, &first);
	if (r < 0)
		return r;
	if (n)
		return hs_ctx_set_error(R->ctx, -ESTALE, "%s changed since its manifest was taken (%zu difference%s, the "
					"first: %s): homesetup does not copy a tree it cannot verify. Roll back with "
					"'homesetup migrate rollback %s' (the home is renamed back with the changes) and "
					"migrate again", shown, n, n == 1 ? "" : "s", first, R->j->user);
	return 0;
}

/* ---- the steps ------------------------------------------------------------------------------------------ */

static int step_backup(hs_migrate_runner *R, bool *skipped)
{
	_cleanup_free_ char *stamp = NULL;
	int r = hs_accounts_backup(R->ctx, R->j->workdir, &stamp);

	/* a backup of the same second exists (a run killed just after it): the stamp has a second's resolution */
	if (r == -EEXIST) {
		hs_ctx_clear_error(R->ctx);
		(void)nanosleep(&(struct timespec){ .tv_sec = 1, .tv_nsec = 50000000 }, NULL);
		r = hs_accounts_backup(R->ctx, R->j->workdir, &stamp);
	}
	if (r < 0)
		return r;
	return hs_migrate_set_str(&R->j->backup_stamp, stamp);
}

static int scan_progress(const hs_progress *p, void *userdata)
{
	hs_migrate_runner *R = userdata;

	R->progress = *p;
	if (!R->progress.bytes_total)
		R->progress.bytes_total = R->plan->info->home_bytes;
	hs_migrate_progress(R);
	return 0;
}

static int step_manifest(hs_migrate_runner *R, bool *skipped)
{
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	int fd, r;

	fd = hs_root_open(R->ctx, HS_ROOT_SYS, R->plan->info->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hs_ctx_set_error(R->ctx, fd, "%s: cannot open the home: %s", R->plan->home_host, strerror(-fd));
	r = hs_manifest_scan(R->ctx, &m, fd, 0, R->ro->progress ? scan_progress : NULL, R);
	close(fd);
	if (r < 0)
		return r;
	r = hs_manifest_save(R->ctx, m, R->j->manifest_host);
	if (r < 0)
		return r;
	R->j->manifest_entries = hs_manifest_count(m);
	R->j->manifest_bytes = hs_manifest_total_bytes(m);
	return 0;
}

static int step_remove_account(hs_migrate_runner *R, bool *skipped)
{
	const hs_migrate_info *in = R->plan->info;
	unsigned flags = HS_ACCOUNTS_REMOVE_MEMBERSHIPS | (in->private_group ? HS_ACCOUNTS_REMOVE_PRIVATE_GROUP : 0);
	_cleanup_free_ char *undo = NULL;
	hs_accounts_lock *lock = NULL;
	hs_accounts *a = NULL;
	bool present, fresh = false;
	int r;

	r = hs_accounts_lock_take(R->ctx, &lock, 10000);
	if (r < 0)
		return r;
	/* the undo record is journaled before any line goes: a crash after the edit still has it */
	if (!R->j->account_undo) {
		r = hs_accounts_remove_user(R->ctx, lock, in->user, in->member_of, flags | HS_ACCOUNTS_PRETEND, &undo, NULL);
		if (r >= 0)
			r = hs_migrate_set_str(&R->j->account_undo, undo);
		if (r >= 0)
			r = hs_migrate_journal_save(R->ctx, R->j);
		if (r < 0)
			goto out;
		free(undo);
		undo = NULL;
		fresh = true;
	}
	r = hs_accounts_load(R->ctx, &a);
	if (r < 0)
		goto out;
	present = hs_accounts_user(a, in->user) != NULL;
	hs_accounts_free(a);
	r = hs_accounts_remove_user(R->ctx, lock, in->user, in->member_of, flags, &undo, NULL);
	if (r < 0)
		goto out;
	if (!present)
		*skipped = true;
	else if (fresh && undo && strcmp(undo, R->j->account_undo) != 0)
		/* what was really done (a writer that ignores the lock changed the files between the two calls).
		 * Never on resume: a removal interrupted half-way gives a second record that lacks the lines
		 * already gone, and only the first one can put everything back. */
		r = hs_migrate_set_str(&R->j->account_undo, undo);
out:
	hs_accounts_lock_release(lock);
	return r;
}

/* Does homed know the user? 1 yes, 0 no. */
int hs_migrate_homed_has_user(hs_migrate_runner *R)
{
	hs_spawn_result res;
	int r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_INSPECT, NULL, NULL, NULL, &res);

	if (r < 0)
		return r;
	r = res.status == 0;
	hs_spawn_result_done(&res);
	return r;
}

static int step_create(hs_migrate_runner *R, bool *skipped)
{
	hs_spawn_result res;
	int r;

	r = hs_migrate_homed_has_user(R);
	if (r < 0)
		return r;
	if (r > 0) {
		*skipped = true;
		hs_migrate_note(R, "homed knows %s already: the interrupted create had finished", R->plan->info->user);
		return 0;
	}
	r = hs_migrate_workdir_create(R->ctx, R->plan->info->user);
	if (r < 0)
		return r;
	{
		_cleanup_free_ char *skel = NULL;
		int fd;

		if (asprintf(&skel, "%s/%s", R->j->workdir, HS_MIGRATE_EMPTY_SKEL) < 0)
			return -ENOMEM;
		fd = hs_root_open(R->ctx, HS_ROOT_SYS, R->j->workdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return fd;
		r = mkdirat(fd, HS_MIGRATE_EMPTY_SKEL, 0755) < 0 && errno != EEXIST ? -errno : 0;
		close(fd);
		if (r < 0)
			return hs_ctx_set_error(R->ctx, r, "%s: cannot create: %s", skel, strerror(-r));
	}
	r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_CREATE, "NEWPASSWORD", NULL, NULL, &res);
	if (r < 0)
		return r;
	if (res.status != 0)
		r = command_failed(R, "homectl create", &res, false);
	hs_spawn_result_done(&res);
	return r;
}

static int step_copy(hs_migrate_runner *R, bool *skipped)
{
	hs_spawn_result res;
	int r;

	R->progress = (hs_progress){ .files_total = R->j->manifest_entries, .bytes_total = R->j->manifest_bytes };
	hs_migrate_progress(R);
	r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_COPY, "PASSWORD", R->ro->progress ? hs_migrate_rsync_out : NULL, NULL, &res);
	if (r < 0)
		return r;
	if (res.status != 0)
		r = copy_failed(R, &res);
	hs_spawn_result_done(&res);
	return r;
}

static int step_verify(hs_migrate_runner *R, bool *skipped)
{
	hs_spawn_result res;
	int r;

	R->progress = (hs_progress){ .files_total = R->j->manifest_entries, .bytes_total = R->j->manifest_bytes };
	hs_migrate_progress(R);
	r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_VERIFY, "PASSWORD", NULL, R->ro->progress ? verify_err : NULL, &res);
	if (r < 0)
		return r;
	if (res.status != 0)
		r = command_failed(R, "the verification of the new home (homectl with … homesetup verify)", &res, true);
	hs_spawn_result_done(&res);
	return r;
}

static int step_remove_saved(hs_migrate_runner *R, bool *skipped)
{
	struct stat st;

	if (hs_root_stat(R->ctx, HS_ROOT_SYS, R->plan->info->saved, &st) == -ENOENT) {
		*skipped = true;
		return 0;
	}
	return hs_migrate_rm_tree(R->ctx, R->plan->info->saved);
}

/* Before remove-account, create and copy: the saved copy is still what the manifest recorded. Checked before the
 * journal says the step runs, so a refusal changes nothing at all. */
static int saved_unchanged(hs_migrate_runner *R)
{
	return tree_unchanged(R, R->plan->info->saved);
}

static const struct {
	const char *id;
	int (*check)(hs_migrate_runner *R);
	int (*run)(hs_migrate_runner *R, bool *skipped);
} steps[] = {
	{ "backup", NULL, step_backup },
	{ "manifest", NULL, step_manifest },
	{ "move-aside", NULL, hs_migrate_step_move_aside },
	{ "remove-account", saved_unchanged, step_remove_account },
	{ "create", saved_unchanged, step_create },
	{ "copy", saved_unchanged, step_copy },
	{ "verify", NULL, step_verify },
	{ "remove-saved", NULL, step_remove_saved },
};

/* Run the journal's steps from the first that is not done. */
static int execute(hs_migrate_runner *R)
{
	hs_migrate_status *j = R->j;

	for (size_t i = 0; i < j->n_steps; i++) {
		int (*fn)(hs_migrate_runner *, bool *) = NULL;
		int (*check)(hs_migrate_runner *) = NULL;
		bool skipped = false;
		int r;

		R->index = i;
		R->step_id = j->steps[i].id;
		R->progress = (hs_progress){ 0 };
		emit(R, HS_MIGRATE_EVENT_BEGIN, false, NULL);
		if (j->steps[i].state == HS_MIGRATE_DONE) {
			emit(R, HS_MIGRATE_EVENT_END, true, NULL);
			continue;
		}
		for (size_t k = 0; k < ELEMENTSOF(steps); k++)
			if (strcmp(steps[k].id, R->step_id) == 0) {
				fn = steps[k].run;
				check = steps[k].check;
			}
		if (!fn)
			return hs_ctx_set_error(R->ctx, -EINVAL, "migrate: unknown step '%s'", R->step_id);
		if (check && (r = check(R)) < 0)
			return r;
		r = hs_migrate_journal_set(R->ctx, j, i, HS_MIGRATE_RUNNING, NULL);
		if (r < 0)
			return r;
		kill_hook(R->step_id, "before");
		r = fn(R, &skipped);
		if (r < 0) {
			_cleanup_free_ char *msg = strdup(*hs_ctx_last_error(R->ctx) ? hs_ctx_last_error(R->ctx) :
							  strerror(-r));
			int e = hs_ctx_last_errno(R->ctx);

			/* the journal says what failed; the caller gets the step's error, not the journal's */
			(void)hs_migrate_journal_set(R->ctx, j, i, HS_MIGRATE_FAILED, msg);
			hs_ctx_set_error(R->ctx, e ? e : r, "%s", msg ? msg : strerror(-r));
			return r;
		}
		kill_hook(R->step_id, "after");
		r = hs_migrate_journal_set(R->ctx, j, i, HS_MIGRATE_DONE, NULL);
		if (r < 0)
			return r;
		emit(R, HS_MIGRATE_EVENT_END, skipped, NULL);
	}
	return 0;
}

/* ---- locking and the entry points ---------------------------------------------------------------------- */

int hs_migrate_lock(hs_ctx *ctx, const char *user, int *fd_out)
{
	int r = hs_migrate_workdir_create(ctx, user), fd;

	if (r < 0)
		return r;
	fd = hs_root_open(ctx, HS_ROOT_SYS, HS_MIGRATE_STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: another 'homesetup migrate' is running (it holds the lock on this "
					"directory); wait for it to finish", HS_MIGRATE_STATE_DIR);
	}
	*fd_out = fd;
	return 0;
}

void hs_migrate_runner_done(hs_migrate_runner *R)
{
	hs_buf_free(&R->out_line);
	hs_buf_free(&R->err_line);
	if (R->lock_fd >= 0)
		close(R->lock_fd);
	R->lock_fd = -1;
}

int hs_migrate_run(hs_ctx *ctx, const hs_migrate_plan *plan, const hs_migrate_run_options *ro)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = NULL, *old = NULL;
	hs_migrate_runner R = { .ctx = ctx, .plan = plan, .ro = ro, .lock_fd = -1 };
	const hs_migrate_info *in;
	hs_accounts *a = NULL;
	const char *hash;
	int r;

	if (!plan || !ro || !ro->password)
		return hs_ctx_set_error(ctx, -EINVAL, "migrate run: no plan or no password");
	in = plan->info;
	R.self = ro->self ? ro->self : plan->self;
	r = hs_migrate_status_load(ctx, &old, in->user);
	if (r != -ENOENT) {
		if (r < 0)
			return r;
		return hs_ctx_set_error(ctx, -EEXIST, "a migration of %s is recorded already (%s, started %s, %s%s%s): "
					"continue it with 'homesetup migrate resume %s' or undo it with 'homesetup "
					"migrate rollback %s'", in->user, old->path, old->created,
					hs_migrate_status_next(old) ? "next step: " : "completed",
					hs_migrate_status_next(old) ? hs_migrate_status_next(old)->id : "",
					"", in->user, in->user);
	}
	hs_ctx_clear_error(ctx);
	r = hs_accounts_load(ctx, &a);
	if (r < 0)
		return r;
	r = hs_accounts_check_password(ctx, a, in->user, ro->password);
	if (r < 0) {
		hs_accounts_free(a);
		if (r == -EACCES)
			return hs_ctx_set_error(ctx, r, "wrong password for %s: nothing was changed", in->user);
		return r;
	}
	hash = hs_accounts_shadow_hash(a, in->user);
	if (!hash && hs_accounts_user(a, in->user))
		hash = hs_accounts_user(a, in->user)->passwd;
	r = hs_migrate_journal_new(ctx, &j, plan, hash);
	hs_accounts_free(a);
	if (r < 0)
		return r;
	r = hs_migrate_lock(ctx, in->user, &R.lock_fd);
	if (r < 0)
		return r;
	/* under the lock: nobody started one meanwhile */
	if (hs_migrate_status_load(ctx, &old, in->user) != -ENOENT) {
		hs_migrate_runner_done(&R);
		return hs_ctx_set_error(ctx, -EEXIST, "a migration of %s was started meanwhile: see 'homesetup migrate "
					"status %s'", in->user, in->user);
	}
	hs_ctx_clear_error(ctx);
	R.j = j;
	r = hs_migrate_journal_save(ctx, j);
	if (r >= 0)
		r = execute(&R);
	hs_migrate_runner_done(&R);
	return r;
}

/* Does the system look like what the journal says? A journal from another, older run does not. */
static int journal_matches_system(hs_migrate_runner *R)
{
	const hs_migrate_status *j = R->j;
	const hs_migrate_info *in = j->info;
	int move = hs_migrate_journal_find(j, "move-aside"), acct = hs_migrate_journal_find(j, "remove-account");
	_cleanup_free_ char *saved_host = hs_migrate_host_path(R->plan->root, in->saved);
	struct stat st;
	bool saved = hs_root_stat(R->ctx, HS_ROOT_SYS, in->saved, &st) == 0;
	hs_accounts *a = NULL;
	int r;

	if (!saved_host)
		return -ENOMEM;
	if (j->steps[move].state == HS_MIGRATE_PENDING && saved && !j->opts.copy)
		return hs_ctx_set_error(R->ctx, -ESTALE, "%s: the journal says %s was never moved aside, yet %s exists: "
					"the journal is from another run. Look at both, move the stray copy away, then "
					"'homesetup migrate rollback %s'", j->path, in->home, saved_host, in->user);
	if (j->steps[move].state == HS_MIGRATE_DONE && !saved &&
	    (hs_migrate_journal_find(j, "remove-saved") < 0 ||
	     j->steps[hs_migrate_journal_find(j, "remove-saved")].state == HS_MIGRATE_PENDING))
		return hs_ctx_set_error(R->ctx, -ESTALE, "%s: the journal says the home was moved to %s, which is gone: "
					"the migration cannot go on, nor be rolled back by homesetup", j->path, saved_host);
	if (j->steps[acct].state == HS_MIGRATE_PENDING) {
		const hs_passwd_entry *pw;

		r = hs_accounts_load(R->ctx, &a);
		if (r < 0)
			return r;
		pw = hs_accounts_user(a, in->user);
		r = 0;
		if (!pw || pw->uid != in->uid)
			r = hs_ctx_set_error(R->ctx, -ESTALE, "%s: the journal says the account lines of %s are still in "
					     "place with UID %" PRIu32 ", but /etc/passwd %s: the journal is from another "
					     "run; roll it back or remove it after checking", j->path, in->user, in->uid,
					     pw ? "has another UID" : "has no such user");
		hs_accounts_free(a);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_migrate_resume(hs_ctx *ctx, const char *user, const hs_migrate_run_options *ro)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = NULL;
	_cleanup_(hs_migrate_plan_freep) hs_migrate_plan *plan = NULL;
	hs_migrate_runner R = { .ctx = ctx, .ro = ro, .lock_fd = -1 };
	int r;

	if (!ro)
		return -EINVAL;
	r = hs_migrate_lock(ctx, user, &R.lock_fd);
	if (r < 0)
		return r;
	r = hs_migrate_status_load(ctx, &j, user);
	if (r < 0)
		goto out;
	if (j->rolling_back) {
		r = hs_ctx_set_error(ctx, -ESTALE, "a rollback of the migration of %s was started: finish it with "
				     "'homesetup migrate rollback %s'", user, user);
		goto out;
	}
	if (hs_migrate_status_needs_password(j, false)) {
		r = ro->password ? hs_migrate_hash_check(ctx, user, j->password_hash, ro->password) :
				   hs_ctx_set_error(ctx, -EINVAL, "resume: the password of %s is needed", user);
		if (r < 0)
			goto out;
	}
	r = hs_migrate_plan_from_info(ctx, &plan, j->info, &j->opts);
	if (r < 0)
		goto out;
	if (plan->n_steps != j->n_steps) {
		r = hs_ctx_set_error(ctx, -ESTALE, "%s: the journal lists %zu steps, this homesetup plans %zu for it",
				     j->path, j->n_steps, plan->n_steps);
		goto out;
	}
	for (size_t i = 0; i < j->n_steps; i++)
		if (strcmp(plan->steps[i].id, j->steps[i].id) != 0) {
			r = hs_ctx_set_error(ctx, -ESTALE, "%s: step %zu is '%s' in the journal and '%s' in this homesetup's "
					     "plan", j->path, i + 1, j->steps[i].id, plan->steps[i].id);
			goto out;
		}
	R.plan = plan;
	R.j = j;
	R.self = ro->self ? ro->self : plan->self;
	r = journal_matches_system(&R);
	if (r >= 0)
		r = execute(&R);
out:
	hs_migrate_runner_done(&R);
	return r;
}
