/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a migration's journal back (`homesetup migrate status`, and what resume and rollback start from): the
 * journal of USER under ROOT, parsed and checked by migrate_journal.c, and what it says: the phase, the next step,
 * whether going on needs the password.
 */
#include "homesetupP.h"

#include <stdio.h>


/* ---- the public status API ---------------------------------------------------------------------------- */

/* A journal homesetup cannot trust: say so, and what the user can do (nothing was changed). */
static int corrupted(hs_ctx *ctx, const char *user)
{
	_cleanup_free_ char *msg = strdup(hs_ctx_last_error(ctx)), *wd = NULL;

	if (!msg || asprintf(&wd, "%s/%s", HS_MIGRATE_STATE_DIR, user) < 0)
		return -ENOMEM;
	return hs_ctx_set_error(ctx, -EBADMSG, "%s. homesetup does not guess: nothing was changed, and neither resume "
				"nor rollback can go on from it. Put back a good copy of the journal and run 'homesetup "
				"migrate rollback %s' (or resume), or undo by hand: the account files as they were before "
				"the migration are in %s (passwd.STAMP, shadow.STAMP, group.STAMP, gshadow.STAMP); remove "
				"the homed user if one was created ('homectl remove %s'); rename /home/%s.saved back to "
				"/home/%s; then delete the journal and %s", msg, user, wd, user, user, user, wd);
}

int hs_migrate_status_load(hs_ctx *ctx, hs_migrate_status **out, const char *user)
{
	_cleanup_free_ char *rel = NULL, *buf = NULL, *host = NULL;
	size_t len = 0;
	int r;

	if (!user || !hs_migrate_name_path_safe(user))
		return hs_ctx_set_error(ctx, -EINVAL, "migrate: '%s' is not a user name", user ? user : "");
	if (asprintf(&rel, "%s/%s.json", HS_MIGRATE_STATE_DIR, user) < 0)
		return -ENOMEM;
	host = hs_migrate_host_path(hs_ctx_get_root(ctx), rel);
	if (!host)
		return -ENOMEM;
	r = hs_root_read_file(ctx, HS_ROOT_SYS, rel, HS_MIGRATE_JOURNAL_MAX, &buf, &len);
	if (r == -ENOENT)
		return hs_ctx_set_error(ctx, -ENOENT, "no migration of %s is recorded (%s does not exist)", user, host);
	if (r == -EFBIG) {
		hs_ctx_set_error(ctx, -EBADMSG, "%s: corrupted migration journal: far too large", host);
		return corrupted(ctx, user);
	}
	if (r < 0)
		return r;
	{
		_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = NULL;

		r = hs_migrate_journal_parse(ctx, host, buf, len, &j);
		explicit_bzero(buf, len);
		if (r == -EBADMSG)
			return corrupted(ctx, user);
		if (r < 0)
			return r;
		if (strcmp(j->user, user) != 0)
			return hs_ctx_set_error(ctx, -EBADMSG, "%s: corrupted migration journal: it is about another "
						"user", host);
		*out = TAKE_PTR(j);
	}
	return 0;
}

const char *hs_migrate_status_user(const hs_migrate_status *st) { return st ? st->user : NULL; }
const char *hs_migrate_status_path(const hs_migrate_status *st) { return st ? st->path : NULL; }
const char *hs_migrate_status_created(const hs_migrate_status *st) { return st ? st->created : NULL; }
const char *hs_migrate_status_updated(const hs_migrate_status *st) { return st ? st->updated : NULL; }
const char *hs_migrate_status_version(const hs_migrate_status *st) { return st ? st->version : NULL; }
const hs_migrate_info *hs_migrate_status_info(const hs_migrate_status *st) { return st ? st->info : NULL; }
const char *hs_migrate_status_manifest(const hs_migrate_status *st) { return st ? st->manifest_host : NULL; }
const char *hs_migrate_status_workdir(const hs_migrate_status *st) { return st ? st->workdir_host : NULL; }
const char *hs_migrate_status_backup_stamp(const hs_migrate_status *st) { return st ? st->backup_stamp : NULL; }
size_t hs_migrate_status_count(const hs_migrate_status *st) { return st ? st->n_steps : 0; }

const hs_migrate_step_status *hs_migrate_status_step(const hs_migrate_status *st, size_t i)
{
	return st && i < st->n_steps ? &st->steps[i] : NULL;
}

const hs_migrate_step_status *hs_migrate_status_next(const hs_migrate_status *st)
{
	for (size_t i = 0; st && i < st->n_steps; i++)
		if (st->steps[i].state != HS_MIGRATE_DONE)
			return &st->steps[i];
	return NULL;
}

const char *hs_migrate_status_phase(const hs_migrate_status *st)
{
	if (!st)
		return NULL;
	if (st->rolling_back)
		return "rolling-back";
	for (size_t i = 0; i < st->n_steps; i++)
		if (st->steps[i].state == HS_MIGRATE_FAILED)
			return "failed";
	return hs_migrate_status_next(st) ? "in-progress" : "completed";
}

bool hs_migrate_status_needs_password(const hs_migrate_status *st, bool rollback)
{
	int create = st ? hs_migrate_journal_find(st, "create") : -1;

	if (create < 0)
		return false;
	if (rollback)
		/* homectl remove of a user that homed may have created */
		return st->steps[create].state != HS_MIGRATE_PENDING;
	/* create, copy and verify hand the password to homectl */
	for (size_t i = (size_t)create; i < st->n_steps; i++)
		if (st->steps[i].state != HS_MIGRATE_DONE && strcmp(st->steps[i].id, "remove-saved") != 0)
			return !st->rolling_back;
	return false;
}
