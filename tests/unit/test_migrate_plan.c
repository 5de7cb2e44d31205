/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_plan.c: the plan shapes from facts given directly (hs_migrate_plan_from_info): private vs shared primary
 * group, LUKS with btrfs and ACLs, --disk-size, --copy, --remove-saved, extra homectl arguments, a ROOT other than
 * /; the exact argv of every external command; display quoting; refusals (rsync flags that delete, relative
 * program paths, missing facts); hs_migrate_plan_new() refusing facts whose preflight has a FAIL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

static const char *const alice_groups[] = { "wheel", "audio", NULL };
static const char *const bob_groups[] = { "users", "video", NULL };

static hs_migrate_info alice(void)
{
	return (hs_migrate_info){
		.user = "alice", .gecos = "Alice Liddell,,,", .shell = "/bin/bash", .home = "/home/alice",
		.uid = 1000, .gid = 1000, .primary_group = "alice", .private_group = true, .member_of = alice_groups,
		.storage = "directory", .home_bytes = 12345, .rsync = "/usr/bin/rsync", .rsync_flags = "-aHAXUv",
		.saved = "/home/alice.saved",
	};
}

static hs_migrate_info bob(void)
{
	return (hs_migrate_info){
		.user = "bob", .gecos = "Bob O'Builder", .shell = "/bin/zsh", .home = "/home/bob", .uid = 1001, .gid = 100,
		.primary_group = "users", .private_group = false, .member_of = bob_groups, .storage = "directory",
		.rsync_flags = "-aHAXUv",
	};
}

static int setup(void **state)
{
	hs_ctx *ctx;

	setenv("HOMESETUP_RSYNC", "/usr/bin/rsync", 1);
	unsetenv("HOMESETUP_HOMECTL");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	hs_ctx_free(*state);
	return 0;
}

/* argv of @kind joined with '|' */
static char *joined(const hs_migrate_plan *p, hs_migrate_argv_kind kind)
{
	_cleanup_(hs_strv_freep) char **v = NULL;
	hs_buf b = {0};

	assert_int_equal(hs_migrate_argv(p, kind, "/usr/bin/homesetup", &v), 0);
	for (size_t i = 0; v[i]; i++) {
		if (i)
			assert_int_equal(hs_buf_putc(&b, '|'), 0);
		assert_int_equal(hs_buf_puts(&b, v[i]), 0);
	}
	return hs_buf_steal(&b);
}

static void assert_argv(const hs_migrate_plan *p, hs_migrate_argv_kind kind, const char *want)
{
	char *got = joined(p, kind);

	if (strcmp(got, want) != 0)
		fail_msg("argv:\n got  %s\n want %s", got, want);
	free(got);
}

static const hs_migrate_step *step(const hs_migrate_plan *p, const char *id)
{
	for (size_t i = 0; i < hs_migrate_plan_count(p); i++)
		if (strcmp(hs_migrate_plan_step(p, i)->id, id) == 0)
			return hs_migrate_plan_step(p, i);
	return NULL;
}

static bool has_note(const hs_migrate_plan *p, const char *part)
{
	for (size_t i = 0; i < hs_migrate_plan_note_count(p); i++)
		if (strstr(hs_migrate_plan_note(p, i), part))
			return true;
	return false;
}

static void test_private_group(void **state)
{
	hs_migrate_info in = alice();
	hs_migrate_plan *p = NULL;
	static const char *const ids[] = { "backup", "manifest", "move-aside", "remove-account", "create", "copy",
					   "verify" };

	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, NULL), 0);
	assert_int_equal(hs_migrate_plan_count(p), 7);
	for (size_t i = 0; i < 7; i++) {
		const hs_migrate_step *s = hs_migrate_plan_step(p, i);

		assert_string_equal(s->id, ids[i]);
		assert_non_null(s->title);
		assert_non_null(s->undo);
		assert_true(s->external == (i >= 4));
	}
	assert_null(hs_migrate_plan_step(p, 7));
	assert_string_equal(hs_migrate_plan_user(p), "alice");
	assert_string_equal(hs_migrate_plan_journal(p), "/var/lib/homesetup/migrate/alice.json");
	assert_argv(p, HS_MIGRATE_ARGV_CREATE, "/usr/bin/homectl|create|alice|--uid=1000|--real-name=Alice Liddell|"
		    "--member-of=wheel,audio|--shell=/bin/bash|--storage=directory|"
		    "--skel=/var/lib/homesetup/migrate/alice/empty-skel");
	assert_argv(p, HS_MIGRATE_ARGV_COPY, "/usr/bin/homectl|with|alice|--|/usr/bin/rsync|-aHAXUv|--numeric-ids|"
		    "--modify-window=-1|--info=progress2|/home/alice.saved/|.");
	assert_argv(p, HS_MIGRATE_ARGV_VERIFY, "/usr/bin/homectl|with|alice|--|/usr/bin/homesetup|verify|--ignore-top|"
		    "--progress=lines|--manifest|/var/lib/homesetup/migrate/alice/manifest.txt|.");
	assert_argv(p, HS_MIGRATE_ARGV_INSPECT, "/usr/bin/homectl|inspect|alice");
	assert_argv(p, HS_MIGRATE_ARGV_REMOVE, "/usr/bin/homectl|remove|alice");
	/* the displayed create line: the value with a space quoted, the rest as typed */
	assert_string_equal(step(p, "create")->command,
			    "/usr/bin/homectl create alice --uid=1000 --real-name='Alice Liddell' --member-of=wheel,audio "
			    "--shell=/bin/bash --storage=directory --skel=/var/lib/homesetup/migrate/alice/empty-skel");
	assert_string_equal(step(p, "move-aside")->command, "mv /home/alice /home/alice.saved");
	assert_string_equal(step(p, "move-aside")->undo, "mv /home/alice.saved /home/alice");
	assert_string_equal(step(p, "remove-account")->command,
			    "sed -i '/^alice:/d' /etc/passwd /etc/shadow\n"
			    "sed -i '/^alice:/d' /etc/group /etc/gshadow\n"
			    "gpasswd -d alice wheel\n"
			    "gpasswd -d alice audio");
	assert_non_null(strstr(step(p, "remove-account")->title, "its private group alice"));
	assert_null(strstr(step(p, "copy")->command, "remove-source-files"));
	assert_true(has_note(p, "private group alice (GID 1000)"));
	assert_true(has_note(p, "/home/alice.saved is kept"));
	assert_false(has_note(p, "ROOT is"));
	hs_migrate_plan_free(p);
}

static void test_shared_group(void **state)
{
	hs_migrate_info in = bob();
	hs_migrate_plan *p = NULL;

	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, NULL), 0);
	/* no saved path in the facts: /home/USER.saved */
	assert_string_equal(hs_migrate_plan_info(p)->saved, "/home/bob.saved");
	assert_argv(p, HS_MIGRATE_ARGV_CREATE, "/usr/bin/homectl|create|bob|--uid=1001|--real-name=Bob O'Builder|"
		    "--member-of=users,video|--shell=/bin/zsh|--storage=directory|"
		    "--skel=/var/lib/homesetup/migrate/bob/empty-skel");
	/* a single quote inside a quoted value */
	assert_non_null(strstr(step(p, "create")->command, " --real-name='Bob O'\\''Builder' "));
	/* the shared group stays; only the supplementary membership goes */
	assert_string_equal(step(p, "remove-account")->command,
			    "sed -i '/^bob:/d' /etc/passwd /etc/shadow\ngpasswd -d bob video");
	assert_null(strstr(step(p, "remove-account")->title, "private group"));
	assert_true(has_note(p, "users becomes an auxiliary group (--member-of)"));
	hs_migrate_plan_free(p);
}

static void test_luks_btrfs_acl(void **state)
{
	hs_migrate_info in = alice();
	hs_migrate_options o = { .user = "alice" };
	hs_migrate_plan *p = NULL;

	in.storage = "luks";
	in.fs_type = "btrfs";
	in.has_acls = true;
	in.needs_acl_mount_option = true;
	in.disk_size = UINT64_C(3) << 30;
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_argv(p, HS_MIGRATE_ARGV_CREATE, "/usr/bin/homectl|create|alice|--uid=1000|--real-name=Alice Liddell|"
		    "--member-of=wheel,audio|--shell=/bin/bash|--storage=luks|--fs-type=btrfs|--disk-size=3G|"
		    "--luks-extra-mount-options=acl|--skel=/var/lib/homesetup/migrate/alice/empty-skel");
	assert_true(has_note(p, "--luks-extra-mount-options=acl"));
	hs_migrate_plan_free(p);

	/* --disk-size given wins; an inexact size is passed in bytes, an exact one with the largest unit */
	o.disk_size = UINT64_C(1536) << 20;
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_non_null(strstr(step(p, "create")->command, " --disk-size=1536M "));
	hs_migrate_plan_free(p);
	o.disk_size = 1000000001;
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_non_null(strstr(step(p, "create")->command, " --disk-size=1000000001 "));
	hs_migrate_plan_free(p);

	/* ext4 keeps ACLs: no mount option; directory storage: no --fs-type, no --disk-size */
	in.fs_type = "ext4";
	in.needs_acl_mount_option = false;
	o.disk_size = 0;
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_null(strstr(step(p, "create")->command, "acl"));
	assert_non_null(strstr(step(p, "create")->command, " --fs-type=ext4 --disk-size=3G "));
	hs_migrate_plan_free(p);
	in.storage = "directory";
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_null(strstr(step(p, "create")->command, "--fs-type"));
	assert_null(strstr(step(p, "create")->command, "--disk-size"));
	hs_migrate_plan_free(p);

	/* btrfs with ACLs, even if the facts did not flag it: the option is there, never lost silently */
	in.storage = "luks";
	in.fs_type = "btrfs";
	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_non_null(strstr(step(p, "create")->command, "--luks-extra-mount-options=acl"));
	hs_migrate_plan_free(p);
}

static void test_copy_remove_saved_extra(void **state)
{
	static const char *const extra[] = { "--luks-pbkdf-type=pbkdf2", "--enforce-password-policy=no", NULL };
	hs_migrate_info in = alice();
	hs_migrate_options o = { .user = "alice", .copy = true, .remove_saved = true, .homectl_extra = extra };
	hs_migrate_plan *p = NULL;
	char *create;

	assert_int_equal(hs_migrate_plan_from_info(*state, &p, &in, &o), 0);
	assert_int_equal(hs_migrate_plan_count(p), 8);
	assert_string_equal(hs_migrate_plan_step(p, 7)->id, "remove-saved");
	assert_string_equal(hs_migrate_plan_step(p, 7)->command, "rm -rf --one-file-system /home/alice.saved");
	assert_false(hs_migrate_plan_step(p, 7)->external);
	assert_true(step(p, "move-aside")->external);
	assert_string_equal(step(p, "move-aside")->command,
			    "/usr/bin/rsync -aHAXUv --numeric-ids --modify-window=-1 --info=progress2 /home/alice/ "
			    "/home/alice.saved/\n"
			    "homesetup verify --manifest /var/lib/homesetup/migrate/alice/manifest.txt /home/alice.saved\n"
			    "rm -rf --one-file-system /home/alice");
	assert_argv(p, HS_MIGRATE_ARGV_COPY_ASIDE, "/usr/bin/rsync|-aHAXUv|--numeric-ids|--modify-window=-1|--info=progress2|"
		    "/home/alice/|/home/alice.saved/");
	create = joined(p, HS_MIGRATE_ARGV_CREATE);
	/* extra arguments last, in order */
	assert_non_null(strstr(create, "|--luks-pbkdf-type=pbkdf2|--enforce-password-policy=no"));
	assert_string_equal(strstr(create, "|--luks-pbkdf-type"), "|--luks-pbkdf-type=pbkdf2|--enforce-password-policy=no");
	free(create);
	assert_true(has_note(p, "--copy"));
	assert_false(has_note(p, "is kept after the migration"));
	hs_migrate_plan_free(p);
}

static void test_root_and_programs(void **state)
{
	hs_ctx *ctx = *state;
	hs_migrate_info in = alice();
	hs_migrate_plan *p = NULL;

	assert_int_equal(hs_ctx_set_root(ctx, "/tmp/r"), 0);
	setenv("HOMESETUP_HOMECTL", "/opt/fake/homectl", 1);
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), 0);
	assert_string_equal(hs_migrate_plan_journal(p), "/tmp/r/var/lib/homesetup/migrate/alice.json");
	assert_argv(p, HS_MIGRATE_ARGV_COPY, "/opt/fake/homectl|with|alice|--|/usr/bin/rsync|-aHAXUv|--numeric-ids|"
		    "--modify-window=-1|--info=progress2|/tmp/r/home/alice.saved/|.");
	assert_argv(p, HS_MIGRATE_ARGV_VERIFY, "/opt/fake/homectl|with|alice|--|/usr/bin/homesetup|verify|--ignore-top|"
		    "--progress=lines|--manifest|/tmp/r/var/lib/homesetup/migrate/alice/manifest.txt|.");
	assert_string_equal(step(p, "move-aside")->command, "mv /tmp/r/home/alice /tmp/r/home/alice.saved");
	assert_non_null(strstr(step(p, "remove-account")->command, "gpasswd --root /tmp/r -d alice wheel"));
	assert_true(has_note(p, "ROOT is /tmp/r"));
	hs_migrate_plan_free(p);

	/* programs must be absolute paths */
	setenv("HOMESETUP_HOMECTL", "homectl", 1);
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "absolute"));
	unsetenv("HOMESETUP_HOMECTL");
	assert_int_equal(hs_ctx_set_root(ctx, "/"), 0);
}

static void test_refusals(void **state)
{
	hs_ctx *ctx = *state;
	hs_migrate_info in = alice();
	hs_migrate_plan *p = NULL;

	in.rsync_flags = "-aHAXUv --remove-source-files";
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "never one that removes"));
	in.rsync_flags = "-aHAXv --delete";
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	in.rsync_flags = "aHAX";
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	/* no flags from the facts: the safe default */
	in.rsync_flags = NULL;
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), 0);
	assert_non_null(strstr(step(p, "copy")->command, " -aHAXUv --numeric-ids --modify-window=-1 "));
	hs_migrate_plan_free(p);
	in = alice();
	in.user = "../etc";
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	in = alice();
	in.home = NULL;
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	in = alice();
	in.uid = 0;
	assert_int_equal(hs_migrate_plan_from_info(ctx, &p, &in, NULL), -EINVAL);
	assert_int_equal(hs_migrate_plan_new(ctx, &p, NULL, NULL), -EINVAL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The preflight of a user that does not exist FAILs: no plan, the message names the check. */
static void test_preflight_fail(void **state)
{
	hs_ctx *ctx = *state;
	char root[] = "/tmp/test_migrate_plan.XXXXXX", path[256];
	hs_migrate_options o = { .user = "carol", .storage = "directory", .no_bus = true };
	hs_migrate_facts *f = NULL;
	hs_migrate_plan *p = NULL;
	FILE *fp;

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/etc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	assert_non_null(fp = fopen(path, "w"));
	fputs("root:x:0:0:root:/root:/bin/bash\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	assert_non_null(fp = fopen(path, "w"));
	fputs("root:x:0:\n", fp);
	fclose(fp);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	assert_int_equal(hs_migrate_facts_new(ctx, &f, &o), 0);
	assert_int_equal(hs_migrate_plan_new(ctx, &p, f, &o), -EPERM);
	assert_null(p);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "migrate."));
	hs_migrate_facts_free(f);
	assert_int_equal(hs_ctx_set_root(ctx, "/"), 0);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_quote(void **state)
{
	static const char *const v[] = { "/bin/x", "plain-word_1.2:3,4@5%6+7=8", "two words", "it's", "", "--opt=a b",
					 "--o'pt=x y", "$HOME", NULL };
	hs_buf b = {0};

	assert_int_equal(hs_shell_quote_argv(&b, v), 0);
	assert_string_equal(b.p, "/bin/x plain-word_1.2:3,4@5%6+7=8 'two words' 'it'\\''s' '' --opt='a b' "
			    "'--o'\\''pt=x y' '$HOME'");
	hs_buf_free(&b);
	/* the last lines of a child's output, progress lines left out */
	{
		char *s = hs_spawn_last_lines("a\nprogress 1 2 3 4\nb\r\nc\n\n", 2, "progress ");

		assert_string_equal(s, "b; c");
		free(s);
		s = hs_spawn_last_lines("one\ntwo\nthree", 5, NULL);
		assert_string_equal(s, "one; two; three");
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_private_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_btrfs_acl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_remove_saved_extra, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_and_programs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preflight_fail, setup, teardown),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
