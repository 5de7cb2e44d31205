/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_journal.c, migrate_journal_status.c: a journal written, read back field for field, and saved under a root
 * (mode 0600, atomically); step states with their times; the phase, the next step and when the password is
 * needed; corrupted journals (truncated, not an object, a changed byte under a valid checksum, a missing field
 * under a recomputed checksum, unknown or misplaced steps, a step started before the one ahead was done) refused
 * with -EBADMSG and a message naming the journal; another version refused with -ESTALE; a missing journal -ENOENT.
 * Also spawn.c (environment scrubbing, exit status, signals, output capture) and the executor's tree helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

static const char *const groups[] = { "wheel", "audio", NULL };
static const char *const extra[] = { "--luks-pbkdf-type=pbkdf2", NULL };

typedef struct fx {
	char root[64];
	hs_ctx *ctx;
	hs_migrate_plan *plan;
	hs_migrate_status *j;
} fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hs_migrate_info in = {
		.user = "alice", .gecos = "Alice \xc3\x89. Liddell", .shell = "/bin/bash", .home = "/home/alice",
		.uid = 1000, .gid = 1000, .primary_group = "alice", .private_group = true, .member_of = groups,
		.storage = "luks", .fs_type = "btrfs", .home_bytes = 4096, .disk_size = UINT64_C(5) << 30,
		.has_acls = true, .needs_acl_mount_option = true, .rsync_flags = "-aHAXUv",
	};
	hs_migrate_options o = { .user = "alice", .storage = "luks", .remove_saved = true, .homectl_extra = extra };

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/test_migrate_journal.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	setenv("HOMESETUP_RSYNC", "/usr/bin/rsync", 1);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	assert_int_equal(hs_migrate_plan_from_info(f->ctx, &f->plan, &in, &o), 0);
	assert_int_equal(hs_migrate_journal_new(f->ctx, &f->j, f->plan, "$6$salt$hash"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	hs_migrate_status_free(f->j);
	hs_migrate_plan_free(f->plan);
	hs_ctx_free(f->ctx);
	nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static hs_migrate_status *reparse(fx *f, const char *text, int want)
{
	hs_migrate_status *j = NULL;
	int r = hs_migrate_journal_parse(f->ctx, "/J.json", text, strlen(text), &j);

	if (r != want)
		fail_msg("parse returned %d (%s), want %d", r, hs_ctx_last_error(f->ctx), want);
	if (want < 0) {
		assert_null(j);
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/J.json"));
	}
	return j;
}

static void test_roundtrip(void **state)
{
	fx *f = *state;
	_cleanup_free_ char *text = NULL, *again = NULL;
	hs_migrate_status *j;

	assert_int_equal(hs_migrate_set_str(&f->j->account_undo, "{\"undo\":[1,2,\"x/y\"]}"), 0);
	assert_int_equal(hs_migrate_set_str(&f->j->backup_stamp, "20260101T000000Z"), 0);
	f->j->manifest_entries = 17;
	f->j->manifest_bytes = UINT64_C(1) << 40;
	f->j->copy_verified = true;
	f->j->steps[0].state = HS_MIGRATE_DONE;
	f->j->steps[1].state = HS_MIGRATE_FAILED;
	assert_int_equal(hs_migrate_set_str((char **)&f->j->steps[1].error, "it broke: \"quoted\"\nline 2"), 0);
	assert_int_equal(hs_migrate_journal_format(f->j, &text), 0);
	j = reparse(f, text, 0);
	assert_string_equal(j->user, "alice");
	assert_string_equal(j->info->gecos, "Alice \xc3\x89. Liddell");
	assert_string_equal(j->info->member_of[0], "wheel");
	assert_string_equal(j->info->member_of[1], "audio");
	assert_null(j->info->member_of[2]);
	assert_int_equal(j->info->uid, 1000);
	assert_true(j->info->needs_acl_mount_option);
	assert_true(j->info->disk_size == UINT64_C(5) << 30);
	assert_string_equal(j->info->saved, "/home/alice.saved");
	assert_true(j->opts.remove_saved);
	assert_false(j->opts.copy);
	assert_string_equal(j->opts.homectl_extra[0], "--luks-pbkdf-type=pbkdf2");
	assert_string_equal(j->password_hash, "$6$salt$hash");
	assert_string_equal(j->account_undo, "{\"undo\":[1,2,\"x/y\"]}");
	assert_string_equal(j->backup_stamp, "20260101T000000Z");
	assert_true(j->manifest_bytes == UINT64_C(1) << 40);
	assert_int_equal(j->manifest_entries, 17);
	assert_true(j->copy_verified);
	assert_int_equal(j->n_steps, 8);
	assert_string_equal(j->steps[7].id, "remove-saved");
	assert_int_equal(j->steps[0].state, HS_MIGRATE_DONE);
	assert_int_equal(j->steps[1].state, HS_MIGRATE_FAILED);
	assert_string_equal(j->steps[1].error, "it broke: \"quoted\"\nline 2");
	assert_string_equal(j->steps[4].command, f->plan->steps[4].command);
	/* the same text again: the format is stable */
	assert_int_equal(hs_migrate_journal_format(j, &again), 0);
	assert_string_equal(text, again);
	assert_string_equal(hs_migrate_status_phase(j), "failed");
	assert_string_equal(hs_migrate_status_next(j)->id, "manifest");
	hs_migrate_status_free(j);
}

/* The journal text with @edit applied to its JSON; with @resum the checksum is recomputed (a well-formed lie). */
static char *edited(fx *f, void (*edit)(struct json_object *o), bool resum)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *o;
	char *out;

	assert_int_equal(hs_migrate_journal_format(f->j, &text), 0);
	o = json_tokener_parse(text);
	assert_non_null(o);
	edit(o);
	if (resum) {
		const char *plain;
		uint8_t h[32];
		char sum[72] = "sha256:";

		json_object_object_del(o, "checksum");
		plain = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		hs_sha256(plain, strlen(plain), h);
		for (size_t i = 0; i < 32; i++)
			snprintf(sum + 7 + 2 * i, 3, "%02x", h[i]);
		json_object_object_add(o, "checksum", json_object_new_string(sum));
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

static struct json_object *steps_of(struct json_object *o)
{
	struct json_object *a = NULL;

	json_object_object_get_ex(o, "steps", &a);
	return a;
}

static void set_state(struct json_object *o, size_t i, const char *state)
{
	json_object_object_add(json_object_array_get_idx(steps_of(o), i), "state", json_object_new_string(state));
}

static void edit_state(struct json_object *o) { set_state(o, 0, "done"); }
static void edit_drop_user(struct json_object *o) { json_object_object_del(o, "user"); }
static void edit_uid_type(struct json_object *o)
{
	struct json_object *facts = NULL;

	json_object_object_get_ex(o, "facts", &facts);
	json_object_object_add(facts, "uid", json_object_new_string("1000"));
}
static void edit_unknown_step(struct json_object *o)
{
	json_object_object_add(json_object_array_get_idx(steps_of(o), 2), "id", json_object_new_string("format-disk"));
}
static void edit_swapped_steps(struct json_object *o)
{
	struct json_object *a = steps_of(o), *s2 = json_object_get(json_object_array_get_idx(a, 2)),
			   *s3 = json_object_get(json_object_array_get_idx(a, 3));

	json_object_array_put_idx(a, 2, s3);
	json_object_array_put_idx(a, 3, s2);
}
static void edit_out_of_order(struct json_object *o) { set_state(o, 3, "running"); }
static void edit_bad_state(struct json_object *o) { set_state(o, 0, "half-done"); }
static void edit_version(struct json_object *o) { json_object_object_add(o, "version", json_object_new_int(0)); }
static void edit_other_user(struct json_object *o)
{
	struct json_object *facts = NULL;

	json_object_object_get_ex(o, "facts", &facts);
	json_object_object_add(facts, "user", json_object_new_string("mallory"));
}
static void edit_no_remove_saved(struct json_object *o)
{
	json_object_array_del_idx(steps_of(o), 7, 1);
}

static void test_corrupted(void **state)
{
	fx *f = *state;
	_cleanup_free_ char *text = NULL;
	static const struct {
		void (*edit)(struct json_object *o);
		bool resum;
		int want;
		const char *msg;
	} cases[] = {
		{ edit_state, false, -EBADMSG, "checksum does not match" },
		{ edit_drop_user, true, -EBADMSG, "missing field 'user'" },
		{ edit_uid_type, true, -EBADMSG, "wrong type of field 'uid'" },
		{ edit_unknown_step, true, -EBADMSG, "format-disk" },
		{ edit_swapped_steps, true, -EBADMSG, "misplaced step" },
		{ edit_out_of_order, true, -EBADMSG, "before the one ahead of it was done" },
		{ edit_bad_state, true, -EBADMSG, "unknown step state" },
		{ edit_version, true, -ESTALE, "version 0" },
		{ edit_version, false, -ESTALE, "reads version 1" },
		{ edit_other_user, true, -EBADMSG, "facts of another user" },
		{ edit_no_remove_saved, true, -EBADMSG, "remove_saved" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *t = edited(f, cases[i].edit, cases[i].resum);

		reparse(f, t, cases[i].want);
		if (!strstr(hs_ctx_last_error(f->ctx), cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, hs_ctx_last_error(f->ctx), cases[i].msg);
	}
	assert_int_equal(hs_migrate_journal_format(f->j, &text), 0);
	/* truncated, as a crash could never leave it (the write is atomic) but a disk could */
	text[strlen(text) / 2] = '\0';
	reparse(f, text, -EBADMSG);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "not JSON"));
	reparse(f, "[1, 2]", -EBADMSG);
	reparse(f, "{\"format\": \"something-else\"}", -EBADMSG);
	reparse(f, "{} trailing", -EBADMSG);
	{
		char nul[] = "{\"a\":\0}";

		assert_int_equal(hs_migrate_journal_parse(f->ctx, "/J.json", nul, sizeof(nul) - 1, &(hs_migrate_status *){ NULL }),
				 -EBADMSG);
	}
}

static void test_save_and_load(void **state)
{
	fx *f = *state;
	hs_migrate_status *st = NULL;
	char path[256];
	struct stat sb;

	/* nothing recorded yet */
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "no migration of alice is recorded"));
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "../x"), -EINVAL);

	assert_int_equal(hs_migrate_workdir_create(f->ctx, "alice"), 0);
	snprintf(path, sizeof(path), "%s/var/lib/homesetup/migrate/alice", f->root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/var/lib/homesetup/migrate", f->root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	assert_int_equal(hs_migrate_journal_save(f->ctx, f->j), 0);
	snprintf(path, sizeof(path), "%s/var/lib/homesetup/migrate/alice.json", f->root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_string_equal(f->j->path, path);

	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), 0);
	assert_string_equal(hs_migrate_status_phase(st), "in-progress");
	assert_string_equal(hs_migrate_status_next(st)->id, "backup");
	assert_string_equal(hs_migrate_status_path(st), path);
	assert_int_equal(hs_migrate_status_count(st), 8);
	assert_true(hs_migrate_status_needs_password(st, false));
	assert_false(hs_migrate_status_needs_password(st, true));
	assert_null(hs_migrate_status_backup_stamp(st));
	assert_non_null(strstr(hs_migrate_status_manifest(st), "/var/lib/homesetup/migrate/alice/manifest.txt"));
	hs_migrate_status_free(st);

	/* running: a start time, no end; done: both; the next step moves on */
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 0, HS_MIGRATE_RUNNING, NULL), 0);
	assert_non_null(f->j->steps[0].started);
	assert_null(f->j->steps[0].finished);
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 0, HS_MIGRATE_DONE, NULL), 0);
	assert_non_null(f->j->steps[0].finished);
	for (size_t i = 1; i < 5; i++) {
		assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, i, HS_MIGRATE_RUNNING, NULL), 0);
		assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, i, HS_MIGRATE_DONE, NULL), 0);
	}
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 5, HS_MIGRATE_RUNNING, NULL), 0);
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 5, HS_MIGRATE_FAILED, "rsync exited with status 23"), 0);
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), 0);
	assert_string_equal(hs_migrate_status_phase(st), "failed");
	assert_string_equal(hs_migrate_status_next(st)->id, "copy");
	assert_string_equal(hs_migrate_status_step(st, 5)->error, "rsync exited with status 23");
	assert_int_equal(hs_migrate_status_step(st, 5)->state, HS_MIGRATE_FAILED);
	assert_true(hs_migrate_status_needs_password(st, false));
	assert_true(hs_migrate_status_needs_password(st, true));
	assert_null(hs_migrate_status_step(st, 8));
	hs_migrate_status_free(st);
	/* running again clears the error */
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 5, HS_MIGRATE_RUNNING, NULL), 0);
	assert_null(f->j->steps[5].error);
	for (size_t i = 5; i < 7; i++)
		assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, i, HS_MIGRATE_DONE, NULL), 0);
	/* only remove-saved left: it needs no password */
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), 0);
	assert_false(hs_migrate_status_needs_password(st, false));
	hs_migrate_status_free(st);
	assert_int_equal(hs_migrate_journal_set(f->ctx, f->j, 7, HS_MIGRATE_DONE, NULL), 0);
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), 0);
	assert_string_equal(hs_migrate_status_phase(st), "completed");
	assert_null(hs_migrate_status_next(st));
	hs_migrate_status_free(st);
	f->j->rolling_back = true;
	assert_int_equal(hs_migrate_journal_save(f->ctx, f->j), 0);
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), 0);
	assert_string_equal(hs_migrate_status_phase(st), "rolling-back");
	hs_migrate_status_free(st);

	/* a damaged file on disk: refused, the message says how to undo by hand */
	{
		FILE *fp = fopen(path, "r+");

		assert_non_null(fp);
		fseek(fp, 40, SEEK_SET);
		fputc('#', fp);
		fclose(fp);
	}
	assert_int_equal(hs_migrate_status_load(f->ctx, &st, "alice"), -EBADMSG);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "corrupted migration journal"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "homectl remove alice"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "passwd.STAMP"));
	/* the journal of alice that says it is about bob */
	{
		_cleanup_free_ char *text = NULL;
		FILE *fp;

		assert_int_equal(hs_migrate_journal_format(f->j, &text), 0);
		snprintf(path, sizeof(path), "%s/var/lib/homesetup/migrate/bob.json", f->root);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(text, fp);
		fclose(fp);
		assert_int_equal(hs_migrate_status_load(f->ctx, &st, "bob"), -EBADMSG);
	}
}

/* ---- the executor's tree helpers --------------------------------------------------------------------------- */

static void put(const char *root, const char *rel, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void mk(const char *root, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static bool exists(const char *root, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	return lstat(p, &st) == 0;
}

static void test_tree_helpers(void **state)
{
	fx *f = *state;
	char target[512], link[512];
	hs_manifest *a = NULL, *b = NULL;
	_cleanup_free_ char *first = NULL;
	size_t n = 99;
	int fd;

	mk(f->root, "/home");
	mk(f->root, "/home/alice");
	mk(f->root, "/home/alice/d");
	mk(f->root, "/outside");
	put(f->root, "/outside/keep", "must survive\n");
	put(f->root, "/home/alice/d/f", "data\n");
	put(f->root, "/home/alice/g", "more\n");
	/* symlinks to outside: removed as links, never followed */
	snprintf(target, sizeof(target), "%s/outside", f->root);
	snprintf(link, sizeof(link), "%s/home/alice/d/out", f->root);
	assert_int_equal(symlink(target, link), 0);

	/* the metadata comparison */
	fd = hs_root_open(f->ctx, HS_ROOT_SYS, "/home/alice", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(hs_manifest_scan(f->ctx, &a, fd, HS_MANIFEST_NO_HASH, NULL, NULL), 0);
	close(fd);
	/* renamed within its directory: unchanged */
	assert_int_equal(hs_migrate_dir_state(f->ctx, "/home/alice"), 1);
	assert_int_equal(hs_migrate_dir_state(f->ctx, "/home/alice.saved"), 0);
	assert_int_equal(hs_migrate_rename(f->ctx, "/home/alice", "/home/alice.saved"), 0);
	assert_int_equal(hs_migrate_dir_state(f->ctx, "/home/alice"), 0);
	mk(f->root, "/home/alice");
	/* never over something */
	assert_int_equal(hs_migrate_rename(f->ctx, "/home/alice", "/home/alice.saved"), -EEXIST);
	assert_int_equal(hs_migrate_rename(f->ctx, "/home/alice", "/outside/alice"), -EXDEV);
	fd = hs_root_open(f->ctx, HS_ROOT_SYS, "/home/alice.saved", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(hs_manifest_scan(f->ctx, &b, fd, HS_MANIFEST_NO_HASH, NULL, NULL), 0);
	close(fd);
	assert_int_equal(hs_migrate_tree_compare(a, b, &n, &first), 0);
	assert_int_equal(n, 0);
	assert_null(first);
	hs_manifest_free(b);
	/* a change, an addition, a removal */
	put(f->root, "/home/alice.saved/g", "more, and longer\n");
	put(f->root, "/home/alice.saved/new", "x\n");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/home/alice.saved/d/f", f->root);
		assert_int_equal(unlink(p), 0);
	}
	fd = hs_root_open(f->ctx, HS_ROOT_SYS, "/home/alice.saved", O_RDONLY | O_DIRECTORY);
	assert_int_equal(hs_manifest_scan(f->ctx, &b, fd, HS_MANIFEST_NO_HASH, NULL, NULL), 0);
	close(fd);
	assert_int_equal(hs_migrate_tree_compare(a, b, &n, &first), 0);
	assert_true(n >= 3);
	assert_non_null(first);
	hs_manifest_free(a);
	hs_manifest_free(b);

	/* removing a tree: symlinks are not followed; a missing path is fine; "." refused */
	assert_int_equal(hs_migrate_rm_tree(f->ctx, "/home/alice.saved"), 0);
	assert_false(exists(f->root, "/home/alice.saved"));
	assert_true(exists(f->root, "/outside/keep"));
	assert_int_equal(hs_migrate_rm_tree(f->ctx, "/home/alice.saved"), 0);
	assert_int_equal(hs_migrate_rm_tree(f->ctx, "/home/."), -EINVAL);
	/* a symlink as the tree itself: the link goes, not its target */
	snprintf(link, sizeof(link), "%s/home/link", f->root);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(hs_migrate_rm_tree(f->ctx, "/home/link"), 0);
	assert_false(exists(f->root, "/home/link"));
	assert_true(exists(f->root, "/outside/keep"));
	assert_int_equal(hs_migrate_dir_state(f->ctx, "/outside/keep"), -ENOTDIR);
}

static void test_hash_check(void **state)
{
	fx *f = *state;
	/* openssl passwd -6 -salt saltsalt secret */
	static const char sha512[] = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
	int r;

	r = hs_migrate_hash_check(f->ctx, "alice", sha512, "secret");
	if (r == -EINVAL)
		skip(); /* a libcrypt without SHA-512 */
	assert_int_equal(r, 0);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", sha512, "Secret"), -EACCES);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", sha512, ""), -EACCES);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", "!", "secret"), -EPERM);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", "!$6$x$y", "secret"), -EPERM);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", "", "secret"), -EPERM);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", NULL, "secret"), -EPERM);
	assert_int_equal(hs_migrate_hash_check(f->ctx, "alice", "$99$nonsense", "secret"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
