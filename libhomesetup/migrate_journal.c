/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal of a migration: ROOT/var/lib/homesetup/migrate/USER.json, mode 0600, rewritten atomically and
 * fsync'd (file and directory, hs_atomic_write_file) whenever a step changes state, so that after a crash or a
 * power loss it says exactly which step may have been interrupted. Everything a resume or a rollback needs is in
 * it: the facts and options the plan was made from (the account lines are gone after remove-account, so the
 * preflight cannot be asked again), the password hash the migration started with, the undo record of the account
 * edit, the backups' stamp, the manifest.
 *
 * Its text is JSON (doc/migrate-json.md) ending with "checksum": "sha256:…" over the compact form of everything
 * before it. A journal that does not parse, lacks a field, or whose checksum does not match is refused as
 * corrupted (-EBADMSG) rather than guessed at; one of another version is refused (-ESTALE).
 */
#include "homesetupP.h"

#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_FORMAT "homesetup-migrate-journal"

static inline void json_putp(struct json_object **o) { json_object_put(*o); }
#define _cleanup_json_ _cleanup_(json_putp)

char *hs_migrate_now(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return strdup("1970-01-01T00:00:00Z");
	return strdup(buf);
}

int hs_migrate_set_str(char **field, const char *value)
{
	char *c = NULL;

	if (value && !(c = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

static void step_done(hs_migrate_step_status *s)
{
	free((char *)s->id);
	free((char *)s->title);
	free((char *)s->command);
	free((char *)s->started);
	free((char *)s->finished);
	free((char *)s->error);
	*s = (hs_migrate_step_status){ 0 };
}

void hs_migrate_status_free(hs_migrate_status *j)
{
	if (!j)
		return;
	free(j->relpath);
	free(j->path);
	free(j->workdir);
	free(j->workdir_host);
	free(j->manifest);
	free(j->manifest_host);
	free(j->user);
	free(j->created);
	free(j->updated);
	free(j->version);
	free(j->run_id);
	free(j->root);
	hs_migrate_info_free_copy(j->info);
	hs_migrate_options_done(&j->opts);
	if (j->password_hash)
		explicit_bzero(j->password_hash, strlen(j->password_hash));
	free(j->password_hash);
	if (j->account_undo)
		explicit_bzero(j->account_undo, strlen(j->account_undo));
	free(j->account_undo);
	free(j->backup_stamp);
	for (size_t i = 0; i < j->n_steps; i++)
		step_done(&j->steps[i]);
	free(j);
}

/* The paths of @user's journal, working directory and manifest, under ROOT and on the host. */
static int set_paths(hs_ctx *ctx, hs_migrate_status *j, const char *user)
{
	const char *root = hs_ctx_get_root(ctx);

	if (asprintf(&j->relpath, "%s/%s.json", HS_MIGRATE_STATE_DIR, user) < 0 ||
	    asprintf(&j->workdir, "%s/%s", HS_MIGRATE_STATE_DIR, user) < 0 ||
	    asprintf(&j->manifest, "%s/%s/manifest.txt", HS_MIGRATE_STATE_DIR, user) < 0) {
		j->relpath = j->workdir = j->manifest = NULL;
		return -ENOMEM;
	}
	j->path = hs_migrate_host_path(root, j->relpath);
	j->workdir_host = hs_migrate_host_path(root, j->workdir);
	j->manifest_host = hs_migrate_host_path(root, j->manifest);
	return j->path && j->workdir_host && j->manifest_host ? 0 : -ENOMEM;
}

int hs_migrate_journal_new(hs_ctx *ctx, hs_migrate_status **out, const hs_migrate_plan *plan, const char *hash)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = calloc(1, sizeof(*j));
	uint8_t rnd[8];
	char id[17];
	int r;

	if (!j)
		return -ENOMEM;
	r = set_paths(ctx, j, plan->info->user);
	if (r < 0)
		return r;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		memcpy(rnd, &t, sizeof(rnd));
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	r = hs_migrate_info_dup(plan->info, &j->info);
	if (r < 0)
		return r;
	r = hs_migrate_options_dup(&j->opts, &plan->opts);
	if (r < 0)
		return r;
	j->user = strdup(plan->info->user);
	j->created = hs_migrate_now();
	j->updated = hs_migrate_now();
	j->version = strdup(HS_VERSION_STRING);
	j->run_id = strdup(id);
	j->root = strdup(plan->root);
	j->password_hash = hash ? strdup(hash) : NULL;
	if (!j->user || !j->created || !j->updated || !j->version || !j->run_id || !j->root || (hash && !j->password_hash))
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_steps; i++) {
		hs_migrate_step_status *s = &j->steps[i];

		s->id = strdup(plan->steps[i].id);
		s->title = strdup(plan->steps[i].title);
		s->command = strdup(plan->steps[i].command);
		s->state = HS_MIGRATE_PENDING;
		j->n_steps++;
		if (!s->id || !s->title || !s->command)
			return -ENOMEM;
	}
	*out = TAKE_PTR(j);
	return 0;
}

/* ---- writing -------------------------------------------------------------------------------------------- */

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int add(struct json_object *o, const char *key, struct json_object *v, bool may_be_null)
{
	if (!v && !may_be_null)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *jstrv(const char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && v && v[i]; i++)
		if (json_object_array_add(a, json_object_new_string(v[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *facts_json(const hs_migrate_info *in)
{
	struct json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= add(o, "user", jstr(in->user), false);
	r |= add(o, "gecos", jstr(in->gecos), true);
	r |= add(o, "shell", jstr(in->shell), true);
	r |= add(o, "home", jstr(in->home), false);
	r |= add(o, "uid", json_object_new_int64(in->uid), false);
	r |= add(o, "gid", json_object_new_int64(in->gid), false);
	r |= add(o, "primary_group", jstr(in->primary_group), true);
	r |= add(o, "private_group", json_object_new_boolean(in->private_group), false);
	r |= add(o, "member_of", jstrv(in->member_of), false);
	r |= add(o, "storage", jstr(in->storage), true);
	r |= add(o, "fs_type", jstr(in->fs_type), true);
	r |= add(o, "home_bytes", json_object_new_int64((int64_t)in->home_bytes), false);
	r |= add(o, "disk_size", json_object_new_int64((int64_t)in->disk_size), false);
	r |= add(o, "free_bytes", json_object_new_int64((int64_t)in->free_bytes), false);
	r |= add(o, "has_acls", json_object_new_boolean(in->has_acls), false);
	r |= add(o, "has_xattrs", json_object_new_boolean(in->has_xattrs), false);
	r |= add(o, "needs_acl_mount_option", json_object_new_boolean(in->needs_acl_mount_option), false);
	r |= add(o, "rsync", jstr(in->rsync), true);
	r |= add(o, "rsync_flags", jstr(in->rsync_flags), true);
	r |= add(o, "saved", jstr(in->saved), false);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *options_json(const hs_migrate_options *op)
{
	struct json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= add(o, "storage", jstr(op->storage), true);
	r |= add(o, "fs_type", jstr(op->fs_type), true);
	r |= add(o, "disk_size", json_object_new_int64((int64_t)op->disk_size), false);
	r |= add(o, "copy", json_object_new_boolean(op->copy), false);
	r |= add(o, "remove_saved", json_object_new_boolean(op->remove_saved), false);
	r |= add(o, "homectl_extra", jstrv(op->homectl_extra), false);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int checksum(struct json_object *o, char out[72])
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	uint8_t h[32];

	if (!text)
		return -ENOMEM;
	hs_sha256(text, strlen(text), h);
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
	return 0;
}

int hs_migrate_journal_format(const hs_migrate_status *j, char **out)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	char sum[72];
	const char *text;
	int r = 0;

	if (!o || !steps) {
		json_object_put(steps);
		return -ENOMEM;
	}
	r |= add(o, "format", json_object_new_string(JOURNAL_FORMAT), false);
	r |= add(o, "version", json_object_new_int(HS_MIGRATE_JOURNAL_VERSION), false);
	r |= add(o, "homesetup", jstr(j->version), false);
	r |= add(o, "run", jstr(j->run_id), false);
	r |= add(o, "user", jstr(j->user), false);
	r |= add(o, "root", jstr(j->root), false);
	r |= add(o, "created", jstr(j->created), false);
	r |= add(o, "updated", jstr(j->updated), false);
	r |= add(o, "rolling_back", json_object_new_boolean(j->rolling_back), false);
	r |= add(o, "options", options_json(&j->opts), false);
	r |= add(o, "facts", facts_json(j->info), false);
	for (size_t i = 0; i < j->n_steps; i++) {
		const hs_migrate_step_status *s = &j->steps[i];
		struct json_object *so = json_object_new_object();

		if (!so || json_object_array_add(steps, so) < 0) {
			json_object_put(so);
			r = -1;
			break;
		}
		r |= add(so, "id", jstr(s->id), false);
		r |= add(so, "title", jstr(s->title), false);
		r |= add(so, "command", jstr(s->command), false);
		r |= add(so, "state", jstr(hs_migrate_state_name(s->state)), false);
		r |= add(so, "started", jstr(s->started), true);
		r |= add(so, "finished", jstr(s->finished), true);
		r |= add(so, "error", jstr(s->error), true);
	}
	r |= add(o, "steps", steps, false);
	r |= add(o, "backup_stamp", jstr(j->backup_stamp), true);
	r |= add(o, "manifest", jstr(j->manifest), false);
	r |= add(o, "manifest_entries", json_object_new_int64((int64_t)j->manifest_entries), false);
	r |= add(o, "manifest_bytes", json_object_new_int64((int64_t)j->manifest_bytes), false);
	r |= add(o, "copy_verified", json_object_new_boolean(j->copy_verified), false);
	r |= add(o, "password_hash", jstr(j->password_hash), true);
	r |= add(o, "account_undo", jstr(j->account_undo), true);
	if (r || checksum(o, sum) < 0)
		return -ENOMEM;
	r = add(o, "checksum", json_object_new_string(sum), false);
	if (r < 0)
		return r;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || asprintf(out, "%s\n", text) < 0)
		return -ENOMEM;
	return 0;
}

int hs_migrate_workdir_create(hs_ctx *ctx, const char *user)
{
	_cleanup_free_ char *wd = NULL;
	int fd, r;

	r = hs_root_mkdir_parents(ctx, HS_ROOT_SYS, HS_MIGRATE_STATE_DIR, 0755);
	if (r < 0)
		return r;
	fd = hs_root_open(ctx, HS_ROOT_SYS, "/var/lib/homesetup", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	if (mkdirat(fd, "migrate", 0700) < 0 && errno != EEXIST) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: cannot create: %s", HS_MIGRATE_STATE_DIR, strerror(-r));
	}
	close(fd);
	if (asprintf(&wd, "%s/%s", HS_MIGRATE_STATE_DIR, user) < 0)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_SYS, HS_MIGRATE_STATE_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	if (mkdirat(fd, user, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: cannot create: %s", wd, strerror(-r));
	}
	close(fd);
	return 0;
}

int hs_migrate_journal_save(hs_ctx *ctx, hs_migrate_status *j)
{
	_cleanup_free_ char *text = NULL;
	char *now = hs_migrate_now();
	int r;

	if (!now)
		return -ENOMEM;
	free(j->updated);
	j->updated = now;
	r = hs_migrate_journal_format(j, &text);
	if (r < 0)
		return r;
	r = hs_atomic_write_file(ctx, HS_ROOT_SYS, j->relpath, text, strlen(text), 0600, 0);
	explicit_bzero(text, strlen(text)); /* it holds the password hash */
	return r < 0 ? r : 0;
}

int hs_migrate_journal_set(hs_ctx *ctx, hs_migrate_status *j, size_t i, hs_migrate_state state, const char *error)
{
	hs_migrate_step_status *s = &j->steps[i];
	char **started = (char **)&s->started, **finished = (char **)&s->finished, **err = (char **)&s->error;
	char *now;

	if (i >= j->n_steps)
		return -EINVAL;
	now = hs_migrate_now();
	if (!now)
		return -ENOMEM;
	s->state = state;
	if (state == HS_MIGRATE_RUNNING) {
		free(*started);
		*started = now;
		free(*finished);
		*finished = NULL;
		free(*err);
		*err = NULL;
	} else if (state == HS_MIGRATE_PENDING) {
		free(now);
		free(*started);
		free(*finished);
		free(*err);
		*started = *finished = *err = NULL;
	} else {
		free(*finished);
		*finished = now;
		if (hs_migrate_set_str(err, state == HS_MIGRATE_FAILED ? error : NULL) < 0)
			return -ENOMEM;
	}
	return hs_migrate_journal_save(ctx, j);
}

int hs_migrate_journal_find(const hs_migrate_status *j, const char *id)
{
	for (size_t i = 0; i < j->n_steps; i++)
		if (strcmp(j->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* ---- reading -------------------------------------------------------------------------------------------- */

typedef struct reader {
	hs_ctx *ctx;
	const char *path;
	int err;
} reader;

static int bad(reader *rd, const char *what, const char *key)
{
	if (!rd->err)
		rd->err = hs_ctx_set_error(rd->ctx, -EBADMSG, "%s: corrupted migration journal: %s '%s'", rd->path,
					   what, key);
	return rd->err;
}

static struct json_object *field(reader *rd, struct json_object *o, const char *key, json_type type, bool nullable)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v)) {
		bad(rd, "missing field", key);
		return NULL;
	}
	if (!v) {
		if (!nullable)
			bad(rd, "null field", key);
		return NULL;
	}
	if (!json_object_is_type(v, type)) {
		bad(rd, "wrong type of field", key);
		return NULL;
	}
	return v;
}

static const char *get_str(reader *rd, struct json_object *o, const char *key, bool nullable)
{
	struct json_object *v = field(rd, o, key, json_type_string, nullable);

	return v ? json_object_get_string(v) : NULL;
}

static int dup_field(reader *rd, struct json_object *o, const char *key, bool nullable, const char **dst)
{
	const char *s = get_str(rd, o, key, nullable);

	*dst = NULL;
	if (rd->err)
		return rd->err;
	if (s && !(*dst = strdup(s)))
		return -ENOMEM;
	return 0;
}

static uint64_t get_u64(reader *rd, struct json_object *o, const char *key)
{
	struct json_object *v = field(rd, o, key, json_type_int, false);
	int64_t n;

	if (!v)
		return 0;
	n = json_object_get_int64(v);
	if (n < 0) {
		bad(rd, "negative number in field", key);
		return 0;
	}
	return (uint64_t)n;
}

static bool get_bool(reader *rd, struct json_object *o, const char *key)
{
	struct json_object *v = field(rd, o, key, json_type_boolean, false);

	return v ? json_object_get_boolean(v) : false;
}

static int get_strv(reader *rd, struct json_object *o, const char *key, const char *const **dst)
{
	struct json_object *a = field(rd, o, key, json_type_array, false);
	char **v = NULL;

	*dst = NULL;
	if (!a)
		return rd->err;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string)) {
			hs_strv_free(v);
			return bad(rd, "a non-string in the list", key);
		}
		if (hs_strv_push(&v, json_object_get_string(e), (size_t)json_object_get_string_len(e)) < 0) {
			hs_strv_free(v);
			return -ENOMEM;
		}
	}
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	*dst = (const char *const *)v;
	return 0;
}

static int read_facts(reader *rd, struct json_object *o, hs_migrate_info **out)
{
	hs_migrate_info *in = calloc(1, sizeof(*in));
	int r = 0;

	if (!in)
		return -ENOMEM;
	r = r ?: dup_field(rd, o, "user", false, &in->user);
	r = r ?: dup_field(rd, o, "gecos", true, &in->gecos);
	r = r ?: dup_field(rd, o, "shell", true, &in->shell);
	r = r ?: dup_field(rd, o, "home", false, &in->home);
	r = r ?: dup_field(rd, o, "primary_group", true, &in->primary_group);
	r = r ?: dup_field(rd, o, "storage", true, &in->storage);
	r = r ?: dup_field(rd, o, "fs_type", true, &in->fs_type);
	r = r ?: dup_field(rd, o, "rsync", true, &in->rsync);
	r = r ?: dup_field(rd, o, "rsync_flags", true, &in->rsync_flags);
	r = r ?: dup_field(rd, o, "saved", false, &in->saved);
	r = r ?: get_strv(rd, o, "member_of", &in->member_of);
	if (!r) {
		uint64_t uid = get_u64(rd, o, "uid"), gid = get_u64(rd, o, "gid");

		if (uid > UINT32_MAX || gid > UINT32_MAX)
			bad(rd, "an out-of-range id in field", uid > UINT32_MAX ? "uid" : "gid");
		in->uid = (uint32_t)uid;
		in->gid = (uint32_t)gid;
		in->private_group = get_bool(rd, o, "private_group");
		in->home_bytes = get_u64(rd, o, "home_bytes");
		in->disk_size = get_u64(rd, o, "disk_size");
		in->free_bytes = get_u64(rd, o, "free_bytes");
		in->has_acls = get_bool(rd, o, "has_acls");
		in->has_xattrs = get_bool(rd, o, "has_xattrs");
		in->needs_acl_mount_option = get_bool(rd, o, "needs_acl_mount_option");
		r = rd->err;
	}
	if (r) {
		hs_migrate_info_free_copy(in);
		return r;
	}
	*out = in;
	return 0;
}

static int read_options(reader *rd, struct json_object *o, hs_migrate_options *op, const char *user)
{
	int r = 0;

	*op = (hs_migrate_options){ 0 };
	r = r ?: dup_field(rd, o, "storage", true, &op->storage);
	r = r ?: dup_field(rd, o, "fs_type", true, &op->fs_type);
	r = r ?: get_strv(rd, o, "homectl_extra", &op->homectl_extra);
	if (!r) {
		op->disk_size = get_u64(rd, o, "disk_size");
		op->copy = get_bool(rd, o, "copy");
		op->remove_saved = get_bool(rd, o, "remove_saved");
		r = rd->err;
	}
	if (!r && !(op->user = strdup(user)))
		r = -ENOMEM;
	return r;
}

static int parse_state(const char *s, hs_migrate_state *st)
{
	for (int i = HS_MIGRATE_PENDING; i <= HS_MIGRATE_FAILED; i++)
		if (strcmp(s, hs_migrate_state_name((hs_migrate_state)i)) == 0) {
			*st = (hs_migrate_state)i;
			return 0;
		}
	return -EINVAL;
}

static int read_steps(reader *rd, struct json_object *o, hs_migrate_status *j)
{
	struct json_object *a = field(rd, o, "steps", json_type_array, false);
	size_t n, k = 0;

	if (!a)
		return rd->err;
	n = json_object_array_length(a);
	if (n < 7 || n > HS_MIGRATE_STEP_MAX)
		return bad(rd, "an impossible number of steps in", "steps");
	for (size_t i = 0; i < n; i++) {
		struct json_object *so = json_object_array_get_idx(a, i);
		hs_migrate_step_status *s = &j->steps[i];
		const char *state;
		int r = 0;

		if (!json_object_is_type(so, json_type_object))
			return bad(rd, "a step that is not an object in", "steps");
		j->n_steps = i + 1;
		r = r ?: dup_field(rd, so, "id", false, &s->id);
		r = r ?: dup_field(rd, so, "title", false, &s->title);
		r = r ?: dup_field(rd, so, "command", false, &s->command);
		r = r ?: dup_field(rd, so, "started", true, &s->started);
		r = r ?: dup_field(rd, so, "finished", true, &s->finished);
		r = r ?: dup_field(rd, so, "error", true, &s->error);
		if (r)
			return r;
		state = get_str(rd, so, "state", false);
		if (rd->err)
			return rd->err;
		if (parse_state(state, &s->state) < 0)
			return bad(rd, "an unknown step state in", "state");
		/* the steps are the known ones, in order (remove-saved may be absent) */
		while (hs_migrate_step_ids[k] && strcmp(hs_migrate_step_ids[k], s->id) != 0)
			k++;
		if (!hs_migrate_step_ids[k] || k != i)
			return bad(rd, "an unknown or misplaced step", s->id);
		k++;
		/* a step never runs before the one ahead of it is done */
		if (i > 0 && s->state != HS_MIGRATE_PENDING && j->steps[i - 1].state != HS_MIGRATE_DONE)
			return bad(rd, "a step started before the one ahead of it was done:", s->id);
	}
	return 0;
}

int hs_migrate_journal_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_migrate_status **out)
{
	_cleanup_(hs_migrate_status_freep) hs_migrate_status *j = calloc(1, sizeof(*j));
	_cleanup_json_ struct json_object *o = NULL;
	struct json_tokener *tok;
	reader rd = { .ctx = ctx, .path = path };
	struct json_object *ver, *sum;
	const char *fmt, *user;
	char want[72];
	int r;

	if (!j)
		return -ENOMEM;
	if (len > HS_MIGRATE_JOURNAL_MAX || memchr(buf, '\0', len))
		return hs_ctx_set_error(ctx, -EBADMSG, "%s: corrupted migration journal: %s", path,
					len > HS_MIGRATE_JOURNAL_MAX ? "far too large" : "it holds NUL bytes");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) < len) {
		size_t at = json_tokener_get_parse_end(tok), rest = at;

		/* trailing white space is fine */
		while (o && rest < len && (buf[rest] == '\n' || buf[rest] == ' ' || buf[rest] == '\t' || buf[rest] == '\r'))
			rest++;
		if (!o || rest < len) {
			r = hs_ctx_set_error(ctx, -EBADMSG, "%s: corrupted migration journal: not JSON (%s at byte %zu)",
					     path,
					     o ? "text after the end" : json_tokener_error_desc(json_tokener_get_error(tok)),
					     at);
			json_tokener_free(tok);
			return r;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object))
		return bad(&rd, "not an object:", "(top)");
	fmt = get_str(&rd, o, "format", false);
	if (rd.err || strcmp(fmt, JOURNAL_FORMAT) != 0)
		return bad(&rd, "not a homesetup migration journal: format", fmt ? fmt : "(none)");
	ver = field(&rd, o, "version", json_type_int, false);
	if (!ver)
		return rd.err;
	if (json_object_get_int64(ver) != HS_MIGRATE_JOURNAL_VERSION) {
		struct json_object *hv = NULL;

		json_object_object_get_ex(o, "homesetup", &hv);
		return hs_ctx_set_error(ctx, -ESTALE, "%s: a migration journal of version %" PRId64 " (written by "
					"homesetup %s); this homesetup (%s) reads version %d only: finish or roll back "
					"the migration with the homesetup that started it", path,
					json_object_get_int64(ver), hv ? json_object_get_string(hv) : "?",
					HS_VERSION_STRING, HS_MIGRATE_JOURNAL_VERSION);
	}
	/* the checksum covers everything else, in the order written */
	sum = field(&rd, o, "checksum", json_type_string, false);
	if (!sum)
		return rd.err;
	{
		_cleanup_free_ char *have = strdup(json_object_get_string(sum));

		if (!have)
			return -ENOMEM;
		json_object_object_del(o, "checksum");
		if (checksum(o, want) < 0)
			return -ENOMEM;
		if (strcmp(have, want) != 0)
			return hs_ctx_set_error(ctx, -EBADMSG, "%s: corrupted migration journal: its checksum does not "
						"match its contents (edited by hand, or damaged)", path);
	}
	user = get_str(&rd, o, "user", false);
	if (rd.err)
		return rd.err;
	if (!hs_migrate_name_path_safe(user))
		return bad(&rd, "an unusable user name in", "user");
	r = set_paths(ctx, j, user);
	if (r < 0)
		return r;
	if (!(j->user = strdup(user)))
		return -ENOMEM;
	r = 0;
	r = r ?: dup_field(&rd, o, "created", false, (const char **)&j->created);
	r = r ?: dup_field(&rd, o, "updated", false, (const char **)&j->updated);
	r = r ?: dup_field(&rd, o, "homesetup", false, (const char **)&j->version);
	r = r ?: dup_field(&rd, o, "run", false, (const char **)&j->run_id);
	r = r ?: dup_field(&rd, o, "root", false, (const char **)&j->root);
	r = r ?: dup_field(&rd, o, "backup_stamp", true, (const char **)&j->backup_stamp);
	r = r ?: dup_field(&rd, o, "password_hash", true, (const char **)&j->password_hash);
	r = r ?: dup_field(&rd, o, "account_undo", true, (const char **)&j->account_undo);
	if (r)
		return r;
	{
		const char *m = get_str(&rd, o, "manifest", false);

		if (rd.err)
			return rd.err;
		if (strcmp(m, j->manifest) != 0)
			return bad(&rd, "a manifest path other than the working directory's in", "manifest");
	}
	{
		struct json_object *fo = field(&rd, o, "facts", json_type_object, false),
				   *oo = field(&rd, o, "options", json_type_object, false);

		if (!fo || !oo)
			return rd.err;
		r = read_facts(&rd, fo, &j->info);
		if (r)
			return r;
		if (strcmp(j->info->user, j->user) != 0)
			return bad(&rd, "facts of another user in", "facts");
		r = read_options(&rd, oo, &j->opts, j->user);
		if (r)
			return r;
	}
	j->rolling_back = get_bool(&rd, o, "rolling_back");
	j->copy_verified = get_bool(&rd, o, "copy_verified");
	j->manifest_entries = get_u64(&rd, o, "manifest_entries");
	j->manifest_bytes = get_u64(&rd, o, "manifest_bytes");
	if (rd.err)
		return rd.err;
	r = read_steps(&rd, o, j);
	if (r)
		return r;
	if ((hs_migrate_journal_find(j, "remove-saved") >= 0) != j->opts.remove_saved)
		return bad(&rd, "a step list that does not match option", "remove_saved");
	*out = TAKE_PTR(j);
	return 0;
}
