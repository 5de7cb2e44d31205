/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rolling a migration back, from whatever step it reached, while /home/USER.saved exists: in reverse,
 *
 *   create started        `homectl remove USER` (PASSWORD in its environment) when homed knows the user
 *   remove-account began  hs_accounts_restore() with the undo record the journal holds: the four files come back
 *                         byte for byte when nobody edited them since
 *   move-aside began      /home/USER.saved renamed back (--copy: the partial copy removed, or, once the copy was
 *                         verified and the original removed, the copy renamed back)
 *   then                  the working directory and the journal are deleted.
 *
 * The journal says "rolling_back" first, so an interrupted rollback is never resumed as a migration; each action
 * checks what is there before acting, so running the rollback again finishes it.
 */
#include "homesetupP.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static bool started(const hs_migrate_status *j, const char *id)
{
	int i = hs_migrate_journal_find(j, id);

	return i >= 0 && j->steps[i].state != HS_MIGRATE_PENDING;
}

static int undo_create(hs_migrate_runner *R)
{
	hs_spawn_result res;
	int r;

	if (!started(R->j, "create"))
		return 0;
	r = hs_migrate_homed_has_user(R);
	if (r <= 0)
		return r;
	hs_migrate_note(R, "removing the homed user %s (homectl remove)", R->j->user);
	r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_REMOVE, "PASSWORD", NULL, NULL, &res);
	if (r < 0)
		return r;
	if (res.status != 0) {
		_cleanup_free_ char *err = hs_spawn_last_lines(res.err, 4, NULL);

		r = hs_ctx_set_error(R->ctx, -EIO, "homectl remove %s exited with status %d%s%s; nothing else was undone",
				     R->j->user, res.status, err && *err ? ": " : "", err ? err : "");
	}
	hs_spawn_result_done(&res);
	return r;
}

static int undo_accounts(hs_migrate_runner *R)
{
	if (!started(R->j, "remove-account") || !R->j->account_undo)
		return 0;
	hs_migrate_note(R, "restoring the lines of %s in /etc/passwd, /etc/shadow, /etc/group and /etc/gshadow",
			R->j->user);
	return hs_accounts_restore(R->ctx, NULL, R->j->account_undo);
}

static int undo_move(hs_migrate_runner *R)
{
	const hs_migrate_info *in = R->j->info;
	int home, saved, r;

	if (!started(R->j, "move-aside"))
		return 0;
	home = hs_migrate_dir_state(R->ctx, in->home);
	saved = hs_migrate_dir_state(R->ctx, in->saved);
	if (home < 0 || saved < 0)
		return hs_ctx_set_error(R->ctx, home < 0 ? home : saved, "%s: %s",
					home < 0 ? R->plan->home_host : R->plan->saved_host,
					strerror(-(home < 0 ? home : saved)));
	if (R->j->opts.copy && !R->j->copy_verified) {
		/* the original was never touched: the partial copy goes */
		if (!saved)
			return 0;
		hs_migrate_note(R, "removing the unfinished copy %s (%s is the home, untouched)", R->plan->saved_host,
				R->plan->home_host);
		return hs_migrate_rm_tree(R->ctx, in->saved);
	}
	if (!saved)
		return 0; /* renamed back already */
	if (home) {
		if (R->j->opts.copy) {
			/* what is left of the original, removed after the copy was verified */
			hs_migrate_note(R, "removing what is left of %s (its verified copy is %s)", R->plan->home_host,
					R->plan->saved_host);
			r = hs_migrate_rm_tree(R->ctx, in->home);
		} else {
			_cleanup_free_ char *name = strdup(strrchr(in->home, '/') + 1), *dir = strdup(in->home);
			int pfd;

			if (!name || !dir)
				return -ENOMEM;
			*strrchr(dir, '/') = '\0';
			pfd = hs_root_open(R->ctx, HS_ROOT_SYS, *dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd < 0)
				return pfd;
			/* an empty directory (a mount point homed left) may go; anything else is in the way */
			r = unlinkat(pfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
			close(pfd);
			if (r == -ENOTEMPTY || r == -EEXIST)
				return hs_ctx_set_error(R->ctx, -EEXIST, "%s exists and is not empty, so %s cannot be renamed "
							"back: look at what it holds, move it away, and roll back again",
							R->plan->home_host, R->plan->saved_host);
			if (r < 0 && r != -ENOENT)
				return hs_ctx_set_error(R->ctx, r, "%s: cannot remove the empty directory: %s",
							R->plan->home_host, strerror(-r));
			r = 0;
		}
		if (r < 0)
			return r;
	}
	hs_migrate_note(R, "renaming %s back to %s", R->plan->saved_host, R->plan->home_host);
	return hs_migrate_rename(R->ctx, in->saved, in->home);
}

static int remove_state(hs_migrate_runner *R)
{
	_cleanup_free_ char *name = NULL;
	int fd, r;

	r = hs_migrate_rm_tree(R->ctx, R->j->workdir);
	if (r < 0)
		return r;
	if (asprintf(&name, "%s.json", R->j->user) < 0)
		return -ENOMEM;
	fd = hs_root_open(R->ctx, HS_ROOT_SYS, HS_MIGRATE_STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = unlinkat(fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return hs_ctx_set_error(R->ctx, r, "%s: cannot remove: %s", R->j->path, strerror(-r));
	return 0;
}

int hs_migrate_rollback(hs_ctx *ctx, const char *user, const hs_migrate_run_options *ro)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = NULL;
	_cleanup_(hs_migrate_plan_freep) hs_migrate_plan *plan = NULL;
	hs_migrate_runner R = { .ctx = ctx, .ro = ro, .lock_fd = -1, .step_id = "rollback" };
	int rs, r;

	if (!ro)
		return -EINVAL;
	r = hs_migrate_lock(ctx, user, &R.lock_fd);
	if (r < 0)
		return r;
	r = hs_migrate_status_load(ctx, &j, user);
	if (r < 0)
		goto out;
	r = hs_migrate_plan_from_info(ctx, &plan, j->info, &j->opts);
	if (r < 0)
		goto out;
	R.plan = plan;
	R.j = j;
	R.self = ro->self ? ro->self : plan->self;
	R.index = j->n_steps;
	rs = hs_migrate_journal_find(j, "remove-saved");
	if (rs >= 0 && j->steps[rs].state != HS_MIGRATE_PENDING) {
		r = hs_ctx_set_error(ctx, -ENOTRECOVERABLE, "the saved copy %s was %s (--remove-saved): the new home is "
				     "the only copy and the migration cannot be rolled back", plan->saved_host,
				     j->steps[rs].state == HS_MIGRATE_DONE ? "deleted" : "being deleted");
		goto out;
	}
	if (started(j, "move-aside") && !(j->opts.copy && !j->copy_verified) &&
	    hs_migrate_dir_state(ctx, j->info->saved) == 0 && started(j, "create")) {
		r = hs_ctx_set_error(ctx, -ENOTRECOVERABLE, "%s is gone: homesetup cannot roll back without it",
				     plan->saved_host);
		goto out;
	}
	if (hs_migrate_status_needs_password(j, true)) {
		r = ro->password ? hs_migrate_hash_check(ctx, user, j->password_hash, ro->password) :
				   hs_ctx_set_error(ctx, -EINVAL, "rollback: the password of %s is needed to remove "
						    "the homed user", user);
		if (r < 0)
			goto out;
	}
	if (!j->rolling_back) {
		j->rolling_back = true;
		r = hs_migrate_journal_save(ctx, j);
		if (r < 0)
			goto out;
	}
	r = undo_create(&R);
	if (r >= 0)
		r = undo_accounts(&R);
	if (r >= 0)
		r = undo_move(&R);
	if (r >= 0) {
		hs_migrate_note(&R, "removing %s and the journal %s", plan->workdir_host, j->path);
		r = remove_state(&R);
	}
out:
	hs_migrate_runner_done(&R);
	return r;
}
