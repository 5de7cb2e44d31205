/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_facts.c, migrate_facts_home.c, migrate_check.c: the facts about migrating one user and every state of
 * every `migrate` check, on temp roots. Each test starts from a root where alice (UID 1000, private group) can be
 * migrated (a home with a few files, homed.conf asking for LUKS + ext4, mkfs.ext4, a fake rsync named by
 * HOMESETUP_RSYNC, a fake /proc through hs_migrate_test_proc, 10 GiB free through hs_space_test_avail) and
 * changes one thing. Also: the wiring of group `migrate` into `homesetup check --user`, and migrate.homed-ready
 * over a registry of fake readiness checks.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include "homesetupP.h"
#include "probe_fixture.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static const char rsync_full[] =
	"rsync  version 3.2.7  protocol version 31\n"
	"Copyright (C) 1996-2022 by Andrew Tridgell, Wayne Davison, and others.\n"
	"Web site: https://rsync.samba.org/\n"
	"Capabilities:\n"
	"    64-bit files, 64-bit inums, 64-bit timestamps, 64-bit long ints,\n"
	"    socketpairs, symlinks, symtimes, hardlinks, hardlink-specials,\n"
	"    hardlink-symlinks, IPv6, atimes, batchfiles, inplace, append, ACLs,\n"
	"    xattrs, optional protect-args, iconv, no prealloc, stop-at, no crtimes\n"
	"Optimizations:\n"
	"    SIMD-roll, no asm-roll, openssl-crypto, no asm-MD5\n";

typedef struct mfix {
	fixture fx;              /* first: fx_* helpers take it */
	char tools[700];         /* <root>/.test: the fake rsync and /proc */
	char mounted[800];       /* a tmpfs mounted by a test, "" when none */
	unsigned uid;
	hs_migrate_facts *facts;
	hs_migrate_options o;
} mfix;

static void put_exec(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
}

/* The fake rsync prints @version_text (a shell here-document) and exits with @status. */
static void fake_rsync(mfix *m, const char *version_text, int status)
{
	char path[800], *script = NULL;

	snprintf(path, sizeof(path), "%s/rsync", m->tools);
	assert_true(asprintf(&script, "#!/bin/sh\ncat <<'EOF'\n%sEOF\nexit %d\n", version_text, status) > 0);
	put_exec(path, script);
	free(script);
	setenv("HOMESETUP_RSYNC", path, 1);
}

static void chown_rel(mfix *m, const char *rel, unsigned uid, unsigned gid)
{
	char p[1024];

	if (geteuid() == 0)
		assert_int_equal(lchown(fx_path(&m->fx, rel, p, sizeof(p)), uid, gid), 0);
}

static void accounts(mfix *m, const char *passwd, const char *group)
{
	fx_write(&m->fx, "/etc/passwd", passwd);
	fx_write(&m->fx, "/etc/group", group);
}

static int setup(void **state)
{
	mfix *m = calloc(1, sizeof(*m));
	fixture *f;
	char passwd[512], group[512], p[800];

	assert_non_null(m);
	assert_int_equal(fx_setup(state), 0);
	f = *state;
	memcpy(&m->fx, f, sizeof(*f));
	free(f);
	*state = m;
	m->uid = geteuid() == 0 ? 1000 : geteuid();
	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/bin/bash\nalice:x:%u:%u:Alice A:/home/alice:/bin/bash\n"
		 "bob:x:1001:100::/home/bob:/bin/zsh\n", m->uid, m->uid);
	snprintf(group, sizeof(group), "root:x:0:\nwheel:x:10:root,alice\nusers:x:100:bob\naudio:x:18:alice\n"
		 "alice:x:%u:\n", m->uid);
	accounts(m, passwd, group);
	fx_write(&m->fx, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=luks\nDefaultFileSystemType=ext4\n");
	fx_write_n(&m->fx, "/usr/sbin/mkfs.ext4", "#!/bin/sh\n", SIZE_MAX, 0755);
	fx_mkdir(&m->fx, "/home/alice/docs", 0755);
	fx_write(&m->fx, "/home/alice/notes.txt", "hello\n");
	fx_write(&m->fx, "/home/alice/docs/a.txt", "some text\n");
	chown_rel(m, "/home/alice", m->uid, m->uid);
	chown_rel(m, "/home/alice/docs", m->uid, m->uid);
	chown_rel(m, "/home/alice/notes.txt", m->uid, m->uid);
	chown_rel(m, "/home/alice/docs/a.txt", m->uid, m->uid);
	chmod(fx_path(&m->fx, "/home/alice", p, sizeof(p)), 0700);

	snprintf(m->tools, sizeof(m->tools), "%s/.test", m->fx.root);
	fx_mkdir(&m->fx, "/.test/proc/self", 0755);
	fx_write(&m->fx, "/.test/proc/self/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
	snprintf(p, sizeof(p), "%s/proc", m->tools);
	hs_migrate_test_proc = strdup(p);
	fake_rsync(m, rsync_full, 0);
	hs_space_test_avail = 10 * GIB;
	m->o = (hs_migrate_options){ .user = "alice", .no_bus = true };
	return 0;
}

static int teardown(void **state)
{
	mfix *m = *state;

	if (m->mounted[0])
		umount2(m->mounted, MNT_DETACH);
	hs_migrate_facts_free(m->facts);
	free((char *)hs_migrate_test_proc);
	hs_migrate_test_proc = NULL;
	hs_space_test_avail = 0;
	unsetenv("HOMESETUP_RSYNC");
	/* the fixture is m's first member: fx_teardown frees m itself */
	return fx_teardown(state);
}

/* Run the preflight with the fixture's options (0 expected). */
static const hs_migrate_info *run(mfix *m)
{
	hs_migrate_facts_free(m->facts);
	m->facts = NULL;
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &m->facts, &m->o), 0);
	/* the assertions of probe_fixture.h look at f->rep: lend it the facts' report */
	m->fx.rep = NULL;
	return hs_migrate_facts_info(m->facts);
}

static const hs_check_result *expect(mfix *m, const char *id, hs_check_status st, const char *needle)
{
	const hs_report *rep = hs_migrate_facts_report(m->facts);
	const hs_check_result *r = NULL;

	for (size_t i = 0; i < hs_report_count(rep) && !r; i++)
		if (strcmp(hs_report_get(rep, i)->id, id) == 0)
			r = hs_report_get(rep, i);
	if (!r)
		fail_msg("no result for %s", id);
	if (r->status != st || (needle && !strstr(r->summary, needle) && !(r->detail && strstr(r->detail, needle)) &&
				!(r->fix && strstr(r->fix, needle)))) {
		fx_dump(r);
		fail_msg("%s: expected %s%s%s%s", id, hs_check_status_name(st), needle ? " with '" : "",
			 needle ? needle : "", needle ? "'" : "");
	}
	if (st == HS_CHECK_FAIL && (!r->fix || !*r->fix)) {
		fx_dump(r);
		fail_msg("%s: FAIL without a fix", id);
	}
	return r;
}

static void set_passwd_alice(mfix *m, const char *line)
{
	char passwd[512];

	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/bin/bash\n%s\nbob:x:1001:100::/home/bob:/bin/zsh\n",
		 line);
	fx_write(&m->fx, "/etc/passwd", passwd);
}

/* ---- a migratable user ------------------------------------------------------------------------------------ */

static void test_all_ok(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in = run(m);
	const hs_report *rep = hs_migrate_facts_report(m->facts);
	static const char *const ok[] = { "migrate.user", "migrate.name", "migrate.uid", "migrate.group",
					  "migrate.groups", "migrate.session", "migrate.home", "migrate.saved",
					  "migrate.space", "migrate.xattrs", "migrate.hardlinks", "migrate.owner",
					  "migrate.ids", "migrate.special", "migrate.sparse", "migrate.names",
					  "migrate.rsync", "migrate.storage" };

	/* every id of the group, in registry order, and nothing else */
	assert_int_equal(hs_report_count(rep), ELEMENTSOF(ok) + 1);
	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		assert_string_equal(hs_report_get(rep, i)->id, ok[i]);
		expect(m, ok[i], HS_CHECK_OK, NULL);
	}
	assert_string_equal(hs_report_get(rep, ELEMENTSOF(ok))->id, "migrate.homed-ready");
	expect(m, "migrate.groups", HS_CHECK_OK, "--member-of=wheel,audio");
	expect(m, "migrate.session", HS_CHECK_OK, "runs no processes");
	expect(m, "migrate.rsync", HS_CHECK_OK, "the copy runs rsync -aHAXUv --numeric-ids --modify-window=-1");

	/* the facts */
	assert_string_equal(in->user, "alice");
	assert_string_equal(in->gecos, "Alice A");
	assert_string_equal(in->shell, "/bin/bash");
	assert_string_equal(in->home, "/home/alice");
	assert_int_equal(in->uid, m->uid);
	assert_int_equal(in->gid, m->uid);
	assert_string_equal(in->primary_group, "alice");
	assert_true(in->private_group);
	assert_non_null(in->member_of);
	assert_string_equal(in->member_of[0], "wheel");
	assert_string_equal(in->member_of[1], "audio");
	assert_null(in->member_of[2]);
	assert_string_equal(in->storage, "luks");
	assert_string_equal(in->fs_type, "ext4");
	assert_true(in->home_bytes > 0);
	/* a tiny home: ext4's minimum (32 MiB) + 18 MiB of GPT and LUKS2 */
	assert_true(in->disk_size == 50 * MIB);
	assert_true(in->free_bytes == 10 * GIB);
	assert_false(in->has_acls);
	assert_false(in->has_xattrs);
	assert_false(in->needs_acl_mount_option);
	assert_non_null(strstr(in->rsync, "/.test/rsync"));
	assert_string_equal(in->rsync_flags, "-aHAXUv");
	assert_string_equal(in->saved, "/home/alice.saved");
}

static void test_options(void **state)
{
	mfix *m = *state;
	hs_migrate_facts *f = NULL;
	hs_migrate_options bad = m->o;

	bad.user = NULL;
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	bad.user = "";
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	bad.user = "../etc";
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(m->fx.ctx), "invalid user name"));
	bad.user = "alice";
	bad.storage = "cifs";
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	bad.storage = "tmpfs";
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(m->fx.ctx), "unknown storage 'tmpfs'"));
	bad.storage = NULL;
	bad.fs_type = "zfs";
	assert_int_equal(hs_migrate_facts_new(m->fx.ctx, &f, &bad), -EINVAL);
	assert_null(f);
	/* NULL-safe accessors */
	hs_migrate_facts_free(NULL);
	assert_null(hs_migrate_facts_info(NULL));
	assert_null(hs_migrate_facts_report(NULL));
}

/* ---- migrate.user ----------------------------------------------------------------------------------------- */

static void test_user(void **state)
{
	mfix *m = *state;

	m->o.user = "carol";
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "there is no user carol in /etc/passwd");
	expect(m, "migrate.uid", HS_CHECK_SKIP, "no user carol");
	expect(m, "migrate.home", HS_CHECK_SKIP, "no user carol");
	expect(m, "migrate.space", HS_CHECK_SKIP, "no user carol");
	expect(m, "migrate.rsync", HS_CHECK_OK, NULL);

	/* already homed */
	fx_write(&m->fx, "/var/lib/systemd/home/carol.identity", "{}\n");
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "carol is a homed user already");
	expect(m, "migrate.user", HS_CHECK_FAIL, "homectl inspect carol");
	/* both */
	fx_write(&m->fx, "/var/lib/systemd/home/alice.identity", "{}\n");
	m->o.user = "alice";
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "alice is in /etc/passwd and is a homed user as well");
	fx_rm(&m->fx, "/var/lib/systemd/home/alice.identity");

	/* no account files at all */
	fx_rm(&m->fx, "/etc/passwd");
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "the account files cannot be read");
	expect(m, "migrate.group", HS_CHECK_SKIP, "account files cannot be read");
	expect(m, "migrate.saved", HS_CHECK_SKIP, NULL);
}

/* A journal as `homesetup migrate run` writes it (migrate_journal.c), for alice's facts, steps 0..done-1 done and
 * step @done in @state. */
static void write_journal(mfix *m, size_t done, hs_migrate_state state, bool rolling_back)
{
	hs_migrate_plan *plan = NULL;
	hs_migrate_status *j = NULL;
	const hs_migrate_info *in = run(m);

	assert_int_equal(hs_migrate_plan_from_info(m->fx.ctx, &plan, in, &m->o), 0);
	assert_int_equal(hs_migrate_workdir_create(m->fx.ctx, "alice"), 0);
	assert_int_equal(hs_migrate_journal_new(m->fx.ctx, &j, plan, "$6$salt$hash"), 0);
	for (size_t i = 0; i < done && i < j->n_steps; i++)
		assert_int_equal(hs_migrate_journal_set(m->fx.ctx, j, i, HS_MIGRATE_DONE, NULL), 0);
	if (done < j->n_steps)
		assert_int_equal(hs_migrate_journal_set(m->fx.ctx, j, done, state, state == HS_MIGRATE_FAILED ?
							"rename failed" : NULL), 0);
	j->rolling_back = rolling_back;
	assert_int_equal(hs_migrate_journal_save(m->fx.ctx, j), 0);
	hs_migrate_status_free(j);
	hs_migrate_plan_free(plan);
}

static void test_journal(void **state)
{
	mfix *m = *state;

	write_journal(m, 2, HS_MIGRATE_RUNNING, false);
	fx_mkdir(&m->fx, "/home/alice.saved", 0700);
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "a migration of alice is under way: it stopped at step move-aside "
	       "(running)");
	expect(m, "migrate.user", HS_CHECK_FAIL, "homesetup migrate resume alice");
	expect(m, "migrate.user", HS_CHECK_FAIL, "homesetup migrate rollback alice");
	expect(m, "migrate.user", HS_CHECK_FAIL, "/var/lib/homesetup/migrate/alice.json");
	/* the saved copy is the journal's own; the rest waits for the migration to end */
	expect(m, "migrate.saved", HS_CHECK_OK, "/home/alice.saved belongs to the migration under way");
	expect(m, "migrate.home", HS_CHECK_SKIP, "a migration of alice is under way");
	expect(m, "migrate.session", HS_CHECK_SKIP, "under way");
	expect(m, "migrate.space", HS_CHECK_SKIP, "under way");
	expect(m, "migrate.rsync", HS_CHECK_OK, NULL);

	fx_rm(&m->fx, "/var/lib/homesetup");
	write_journal(m, 3, HS_MIGRATE_FAILED, false);
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "it stopped at step remove-account (failed)");
	fx_rm(&m->fx, "/var/lib/homesetup");
	write_journal(m, 3, HS_MIGRATE_FAILED, true);
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "a rollback of alice's migration is under way");
	expect(m, "migrate.user", HS_CHECK_FAIL, "finish it: homesetup migrate rollback alice");
	fx_rm(&m->fx, "/var/lib/homesetup");
	write_journal(m, 99, HS_MIGRATE_DONE, false);
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "has been migrated to homed already");
	expect(m, "migrate.user", HS_CHECK_FAIL, "homesetup migrate status alice");

	/* a journal that is not one (edited by hand, cut short): explained, not guessed at */
	fx_write(&m->fx, "/var/lib/homesetup/migrate/alice.json", "{\"steps\": [");
	run(m);
	expect(m, "migrate.user", HS_CHECK_FAIL, "cannot be understood");
	expect(m, "migrate.user", HS_CHECK_FAIL, "corrupted");
	expect(m, "migrate.user", HS_CHECK_FAIL, "homesetup migrate rollback alice");
}

/* ---- migrate.name ----------------------------------------------------------------------------------------- */

static void test_name_rules(void **state)
{
	static const char *const good[] = { "alice", "a", "Bob", "x-y_z9", "x_", "abcdefghijklmnopqrstuvwxyz01234" };
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "root", "system account" },        { "nobody", "system account" },
		{ "nogroup", "system account" },     { "systemd-timesync", "'systemd-'" },
		{ "_apt", "'_'" },                   { "1alice", "ASCII letter" },
		{ "-x", "ASCII letter" },            { "bob.smith", "no '.'" },
		{ "bob@realm", "no '.', '@'" },      { "j\xc3\xb6rg", "ASCII letters" },
		{ "abcdefghijklmnopqrstuvwxyz012345", "31 bytes" }, { "", "empty" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		assert_null(hs_migrate_name_problem(good[i]));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *why = hs_migrate_name_problem(bad[i].name);

		if (!why || !strstr(why, bad[i].why))
			fail_msg("'%s': got %s", bad[i].name, why ? why : "(suitable)");
	}
	assert_false(hs_migrate_name_path_safe(""));
	assert_false(hs_migrate_name_path_safe("a/b"));
	assert_false(hs_migrate_name_path_safe(".."));
	assert_false(hs_migrate_name_path_safe("a\nb"));
	assert_true(hs_migrate_name_path_safe("bob.smith"));
}

static void test_name(void **state)
{
	mfix *m = *state;

	set_passwd_alice(m, "alice:x:1000:1000::/home/alice:/bin/bash\nbob.smith:x:1002:1002::/home/bob.smith:/bin/sh");
	m->o.user = "bob.smith";
	run(m);
	expect(m, "migrate.name", HS_CHECK_FAIL, "homed does not manage a user named 'bob.smith'");
	expect(m, "migrate.name", HS_CHECK_FAIL, "usermod -l NEWNAME bob.smith");
	m->o.user = "root";
	run(m);
	expect(m, "migrate.name", HS_CHECK_FAIL, "root is never migrated");
	expect(m, "migrate.uid", HS_CHECK_FAIL, "system UID");
}

/* ---- migrate.uid ------------------------------------------------------------------------------------------ */

static void test_uid(void **state)
{
	mfix *m = *state;

	set_passwd_alice(m, "alice:x:999:1000::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "is in system range, refusing.");
	expect(m, "migrate.uid", HS_CHECK_FAIL, "the default (no /etc/login.defs)");

	/* SYS_UID_MAX from login.defs, else UID_MIN - 1 */
	set_passwd_alice(m, "alice:x:1500:1000::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/login.defs", "# comment\nUID_MIN 2000\n");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "/etc/login.defs:2 (UID_MIN - 1)");
	fx_write(&m->fx, "/etc/login.defs", "UID_MIN 2000\nSYS_UID_MAX\t1499\n");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_OK, "system UIDs end at 1499, /etc/login.defs:2 (SYS_UID_MAX)");
	fx_rm(&m->fx, "/etc/login.defs");

	set_passwd_alice(m, "alice:x:61184:1000::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "is in dynamic range, refusing.");
	set_passwd_alice(m, "alice:x:65534:1000::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "is nobody UID, refusing.");
	set_passwd_alice(m, "alice:x:600000:1000::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_WARN, "container range");
	set_passwd_alice(m, "alice:x:1001:1000::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "already in use by NSS user bob, refusing.");
	set_passwd_alice(m, "alice:x:1010:1000::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/group", "users:x:100:\nalice:x:1000:\nvideo:x:1010:\n");
	run(m);
	expect(m, "migrate.uid", HS_CHECK_FAIL, "already in use as GID by NSS group video, refusing.");
	expect(m, "migrate.uid", HS_CHECK_FAIL, "groupmod -g NEWGID video");
}

/* ---- migrate.group, migrate.groups ---------------------------------------------------------------------- */

static void test_group(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;

	/* shared primary group: it becomes --member-of, first */
	set_passwd_alice(m, "alice:x:1000:100::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/group", "users:x:100:bob\nwheel:x:10:alice\n");
	in = run(m);
	expect(m, "migrate.group", HS_CHECK_WARN, "shared group users (GID 100)");
	expect(m, "migrate.group", HS_CHECK_WARN, "--member-of=users");
	expect(m, "migrate.groups", HS_CHECK_OK, "--member-of=users,wheel");
	assert_false(in->private_group);
	assert_string_equal(in->primary_group, "users");
	assert_string_equal(in->member_of[0], "users");
	assert_string_equal(in->member_of[1], "wheel");

	/* GID = UID without a group: homed's private group is the same */
	set_passwd_alice(m, "alice:x:1000:1000::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/group", "users:x:100:bob\n");
	run(m);
	expect(m, "migrate.group", HS_CHECK_OK, "has no group in /etc/group");
	expect(m, "migrate.groups", HS_CHECK_OK, "no supplementary group");
	/* another GID without a group */
	set_passwd_alice(m, "alice:x:1000:1234::/home/alice:/bin/bash");
	run(m);
	expect(m, "migrate.group", HS_CHECK_WARN, "primary GID 1234 has no group");

	/* a group named alice that is not the private one */
	set_passwd_alice(m, "alice:x:1000:100::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/group", "users:x:100:\nalice:x:1005:alice\n");
	in = run(m);
	expect(m, "migrate.group", HS_CHECK_FAIL, "conflicts with an NSS group by the same name");
	expect(m, "migrate.group", HS_CHECK_FAIL, "groupmod -n NEWNAME alice");
	/* never --member-of=alice: that name is homed's private group */
	assert_string_equal(in->member_of[0], "users");
	assert_null(in->member_of[1]);
	fx_write(&m->fx, "/etc/group", "users:x:100:\nalice:x:1000:\n");
	run(m);
	expect(m, "migrate.group", HS_CHECK_FAIL, "usermod -g alice alice");
	/* one problem, one FAIL: the group's GID is not reported again as a UID clash */
	expect(m, "migrate.uid", HS_CHECK_OK, NULL);

	/* the private group is another user's primary group, or has other members */
	set_passwd_alice(m, "alice:x:1000:1000::/home/alice:/bin/bash\ndave:x:1003:1000::/home/dave:/bin/sh");
	run(m);
	expect(m, "migrate.group", HS_CHECK_FAIL, "also the primary group of: dave");
	set_passwd_alice(m, "alice:x:1000:1000::/home/alice:/bin/bash");
	fx_write(&m->fx, "/etc/group", "users:x:100:\nalice:x:1000:alice,bob,dave\n");
	run(m);
	expect(m, "migrate.group", HS_CHECK_WARN, "also lists bob, dave as members");
}

static void test_groups(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;

	fx_write(&m->fx, "/etc/group", "alice:x:1000:\nwheel:x:10:alice\n4711:x:4711:alice\ngrp :x:77:alice\n");
	in = run(m);
	expect(m, "migrate.groups", HS_CHECK_WARN, "4711, grp ");
	expect(m, "migrate.groups", HS_CHECK_WARN, "groupmod -n NEWNAME");
	assert_string_equal(in->member_of[0], "wheel");
	assert_null(in->member_of[1]);
}

/* ---- migrate.session -------------------------------------------------------------------------------------- */

static void test_session(void **state)
{
	mfix *m = *state;
	char status[256];

	snprintf(status, sizeof(status), "Name:\tbash\nState:\tS (sleeping)\nUid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
		 m->uid, m->uid, m->uid, m->uid);
	fx_write(&m->fx, "/.test/proc/4242/status", status);
	fx_write(&m->fx, "/.test/proc/4243/status", "Name:\tsshd\nUid:\t0\t0\t0\t0\n");
	fx_write(&m->fx, "/.test/proc/4244/status", "Name:\tsu\nUid:\t0\t1000\t0\t0\n");
	run(m);
	expect(m, "migrate.session", HS_CHECK_FAIL, m->uid == 1000 ? "alice runs 2 processes" : "alice runs 1 process");
	expect(m, "migrate.session", HS_CHECK_FAIL, "4242 (bash)");
	expect(m, "migrate.session", HS_CHECK_FAIL, "loginctl terminate-user alice");

	/* no /proc to look at for a ROOT other than "/", and no sd-login */
	free((char *)hs_migrate_test_proc);
	hs_migrate_test_proc = NULL;
	run(m);
	expect(m, "migrate.session", HS_CHECK_SKIP, "cannot tell whether alice is logged in");
	expect(m, "migrate.session", HS_CHECK_SKIP, "not the running system");
}

/* ---- migrate.home ----------------------------------------------------------------------------------------- */

static void test_home(void **state)
{
	mfix *m = *state;
	char p[700];

	/* missing */
	fx_rm(&m->fx, "/home/alice");
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "alice has no home directory: /home/alice does not exist");
	expect(m, "migrate.home", HS_CHECK_FAIL, "install -d -m 0700");
	expect(m, "migrate.space", HS_CHECK_SKIP, "could not be looked at");
	expect(m, "migrate.owner", HS_CHECK_SKIP, NULL);
	expect(m, "migrate.ids", HS_CHECK_SKIP, "could not be looked at");

	/* a symlink, a file */
	fx_mkdir(&m->fx, "/srv/alice", 0700);
	assert_int_equal(symlink("/srv/alice", fx_path(&m->fx, "/home/alice", p, sizeof(p))), 0);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "/home/alice is a symlink (to /srv/alice)");
	fx_rm(&m->fx, "/home/alice");
	fx_write(&m->fx, "/home/alice", "x");
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "not a directory but a regular file");
	fx_rm(&m->fx, "/home/alice");

	/* elsewhere, on the same file system */
	set_passwd_alice(m, "alice:x:1000:1000:Alice A:/srv/alice/:/bin/bash");
	chown_rel(m, "/srv/alice", 1000, 1000);
	run(m);
	expect(m, "migrate.home", HS_CHECK_WARN, "alice's home is /srv/alice, not /home/alice: homed will use "
	       "/home/alice");
	expect(m, "migrate.home", HS_CHECK_WARN, "moved to /home/alice.saved");
	fx_mkdir(&m->fx, "/home/alice", 0700);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "and /home/alice exists");

	/* a home of "/" */
	set_passwd_alice(m, "alice:x:1000:1000::/:/bin/bash");
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "not a directory of its own");
}

static void test_home_mounts(void **state)
{
	mfix *m = *state;
	char mi[2048], real[600];

	assert_non_null(realpath(m->fx.root, real));
	/* the mount table names the home itself (a bind mount), then mount points below it */
	snprintf(mi, sizeof(mi), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
		 "40 22 8:1 /data/alice %s/home/alice rw - ext4 /dev/sda1 rw\n", real);
	fx_write(&m->fx, "/.test/proc/self/mountinfo", mi);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "/home/alice is a mount point");
	expect(m, "migrate.home", HS_CHECK_FAIL, "bind mount of /data/alice");
	expect(m, "migrate.home", HS_CHECK_FAIL, "umount /home/alice");

	snprintf(mi, sizeof(mi), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
		 "41 22 0:50 / %s/home/alice/mnt\\040one rw - tmpfs tmpfs rw\n"
		 "42 22 0:51 / %s/home/alicex rw - tmpfs tmpfs rw\n", real, real);
	fx_write(&m->fx, "/.test/proc/self/mountinfo", mi);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "1 mount point inside /home/alice");
	expect(m, "migrate.home", HS_CHECK_FAIL, "/home/alice/mnt one (tmpfs)");
}

static void use_proc(mfix *m, bool fake)
{
	char p[800];

	free((char *)hs_migrate_test_proc);
	hs_migrate_test_proc = NULL;
	if (fake) {
		snprintf(p, sizeof(p), "%s/proc", m->tools);
		hs_migrate_test_proc = strdup(p);
	}
}

/* Real tmpfs mounts (root only). st_dev differs for a mount and for a btrfs subvolume alike: the mount table
 * (the real one, or the fixture's, which does not list the tmpfs) decides. */
static void test_home_real_mount(void **state)
{
	mfix *m = *state;
	char p[800];

	fx_path(&m->fx, "/home/alice/docs", p, sizeof(p));
	if (geteuid() != 0 || mount("tmpfs", p, "tmpfs", 0, "size=1m") < 0)
		skip();
	snprintf(m->mounted, sizeof(m->mounted), "%s", p);
	use_proc(m, false);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "1 mount point inside /home/alice");
	expect(m, "migrate.home", HS_CHECK_FAIL, "/home/alice/docs (tmpfs)");
	/* a mount table that does not list it: a subvolume; none at all: st_dev alone, a mount */
	use_proc(m, true);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "1 btrfs subvolume inside /home/alice");
	expect(m, "migrate.home", HS_CHECK_FAIL, "btrfs subvolume delete SUB");
	fx_rm(&m->fx, "/.test/proc/self/mountinfo");
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "1 mount point inside /home/alice");
	umount2(m->mounted, MNT_DETACH);
	m->mounted[0] = '\0';

	fx_path(&m->fx, "/home/alice", p, sizeof(p));
	assert_int_equal(mount("tmpfs", p, "tmpfs", 0, "size=1m,mode=0700"), 0);
	snprintf(m->mounted, sizeof(m->mounted), "%s", p);
	chown_rel(m, "/home/alice", m->uid, m->uid);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "another file system than its parent directory");
	use_proc(m, false);
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "/home/alice is a mount point");
	expect(m, "migrate.home", HS_CHECK_FAIL, "the mount table lists it (tmpfs)");
	use_proc(m, true);
	fx_write(&m->fx, "/.test/proc/self/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
	run(m);
	expect(m, "migrate.home", HS_CHECK_OK, "/home/alice is a btrfs subvolume on /home's file system");
	umount2(m->mounted, MNT_DETACH);
	m->mounted[0] = '\0';

	/* a home elsewhere on another file system than /home: a rename cannot move it */
	use_proc(m, false);
	fx_path(&m->fx, "/srv", p, sizeof(p));
	fx_mkdir(&m->fx, "/srv", 0755);
	assert_int_equal(mount("tmpfs", p, "tmpfs", 0, "size=1m"), 0);
	snprintf(m->mounted, sizeof(m->mounted), "%s", p);
	fx_mkdir(&m->fx, "/srv/alice", 0700);
	chown_rel(m, "/srv/alice", m->uid, m->uid);
	set_passwd_alice(m, "alice:x:1000:1000::/srv/alice:/bin/bash");
	fx_rm(&m->fx, "/home/alice");
	run(m);
	expect(m, "migrate.home", HS_CHECK_FAIL, "is not on the file system of /home");
	expect(m, "migrate.home", HS_CHECK_FAIL, "--copy");
	m->o.copy = true;
	run(m);
	expect(m, "migrate.home", HS_CHECK_WARN, "homed will use /home/alice");
}

/* ---- migrate.saved ---------------------------------------------------------------------------------------- */

static void test_saved(void **state)
{
	mfix *m = *state;

	fx_mkdir(&m->fx, "/home/alice.saved", 0700);
	run(m);
	expect(m, "migrate.saved", HS_CHECK_FAIL, "/home/alice.saved exists already");
	expect(m, "migrate.saved", HS_CHECK_FAIL, "mv /home/alice.saved /home/alice.saved.old");
	fx_rm(&m->fx, "/home/alice.saved");
	fx_write(&m->fx, "/home/alice.home", "");
	run(m);
	expect(m, "migrate.saved", HS_CHECK_FAIL, "/home/alice.home exists already");
	/* other storage: the .homedir */
	m->o.storage = "directory";
	run(m);
	expect(m, "migrate.saved", HS_CHECK_OK, "/home/alice.saved and /home/alice.homedir are free");
}

/* ---- migrate.space ---------------------------------------------------------------------------------------- */

static void test_space(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;

	hs_space_test_avail = 40 * MIB;
	run(m);
	expect(m, "migrate.space", HS_CHECK_FAIL, "not enough space on /home: 40.0 MiB free, 50.0 MiB needed");
	expect(m, "migrate.space", HS_CHECK_FAIL, "free at least 10.0 MiB");

	/* --disk-size: as given, but not below what the data needs */
	hs_space_test_avail = 10 * GIB;
	m->o.disk_size = 20 * MIB;
	run(m);
	expect(m, "migrate.space", HS_CHECK_FAIL, "--disk-size 20.0 MiB is too small");
	expect(m, "migrate.space", HS_CHECK_FAIL, "--disk-size=52428800");
	m->o.disk_size = 2 * GIB;
	in = run(m);
	expect(m, "migrate.space", HS_CHECK_OK, "--disk-size=2.0 GiB");
	assert_true(in->disk_size == 2 * GIB);

	/* directory storage: no image, the data once more; --copy: twice */
	m->o.disk_size = 0;
	m->o.storage = "directory";
	in = run(m);
	assert_true(in->disk_size == 0);
	assert_null(in->fs_type);
	expect(m, "migrate.space", HS_CHECK_OK, "copied once more into the new directory home");
	hs_space_test_avail = in->home_bytes + 1;
	m->o.copy = true;
	run(m);
	expect(m, "migrate.space", HS_CHECK_FAIL, "migrate without --copy");

	/* no /home at all */
	fx_rm(&m->fx, "/home");
	run(m);
	expect(m, "migrate.space", HS_CHECK_SKIP, "there is no /home");
	expect(m, "migrate.home", HS_CHECK_FAIL, "does not exist");
}

/* ---- what the home holds ---------------------------------------------------------------------------------- */

/* system.posix_acl_access of rw-/user UID:r--/r--/mask r--/---: version 2, then {tag, perm, id} in le. */
static void set_acl(const char *path, unsigned uid)
{
	struct {
		uint32_t version;
		struct {
			uint16_t tag, perm;
			uint32_t id;
		} __attribute__((packed)) e[5];
	} __attribute__((packed)) acl = { 2, { { 0x01, 6, UINT32_MAX }, { 0x02, 4, uid }, { 0x04, 4, UINT32_MAX },
					       { 0x10, 4, UINT32_MAX }, { 0x20, 0, UINT32_MAX } } };

	assert_int_equal(setxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0), 0);
}

static void test_xattrs(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;
	char p[700];

	if (setxattr(fx_path(&m->fx, "/home/alice/notes.txt", p, sizeof(p)), "user.origin", "x", 1, 0) < 0)
		skip(); /* a file system without user xattrs */
	in = run(m);
	expect(m, "migrate.xattrs", HS_CHECK_OK, "entries 1 with extended attributes: rsync copies them (-A -X)");
	assert_true(in->has_xattrs);
	assert_false(in->has_acls);
	assert_false(in->needs_acl_mount_option);

	set_acl(fx_path(&m->fx, "/home/alice/docs/a.txt", p, sizeof(p)), 1001);
	in = run(m);
	expect(m, "migrate.xattrs", HS_CHECK_OK, "entries 1 with ACLs, 1 with extended attributes");
	expect(m, "migrate.xattrs", HS_CHECK_OK, "docs/a.txt");
	assert_true(in->has_acls);
	assert_false(in->needs_acl_mount_option); /* ext4 mounts with acl */
	/* LUKS + btrfs: homed mounts it noacl */
	m->o.fs_type = "btrfs";
	fx_write_n(&m->fx, "/usr/sbin/mkfs.btrfs", "#!/bin/sh\n", SIZE_MAX, 0755);
	in = run(m);
	expect(m, "migrate.xattrs", HS_CHECK_OK, "--luks-extra-mount-options=acl");
	assert_true(in->needs_acl_mount_option);
	/* the btrfs minimum: 256 MiB + 18 MiB */
	assert_true(in->disk_size == 274 * MIB);
	m->o.storage = "directory";
	in = run(m);
	assert_false(in->needs_acl_mount_option);
}

static void test_hardlinks(void **state)
{
	mfix *m = *state;
	char a[700], b[700];

	/* a link inside the home is fine */
	assert_int_equal(link(fx_path(&m->fx, "/home/alice/notes.txt", a, sizeof(a)),
			      fx_path(&m->fx, "/home/alice/docs/notes-link", b, sizeof(b))), 0);
	run(m);
	expect(m, "migrate.hardlinks", HS_CHECK_OK, NULL);
	/* one to outside it is not */
	fx_mkdir(&m->fx, "/var", 0755);
	assert_int_equal(link(a, fx_path(&m->fx, "/var/notes-elsewhere", b, sizeof(b))), 0);
	run(m);
	expect(m, "migrate.hardlinks", HS_CHECK_WARN, "1 file in the home has hard links outside it");
	expect(m, "migrate.hardlinks", HS_CHECK_WARN, "docs/notes-link");
}

static void test_owner(void **state)
{
	mfix *m = *state;

	if (geteuid() != 0)
		skip();
	fx_write(&m->fx, "/home/alice/root-file", "x");
	chown_rel(m, "/home/alice/root-file", 0, 0);
	fx_write(&m->fx, "/home/alice/bobs", "x");
	chown_rel(m, "/home/alice/bobs", 1001, 100);
	run(m);
	expect(m, "migrate.owner", HS_CHECK_WARN, "2 entries of the home do not belong to alice");
	expect(m, "migrate.owner", HS_CHECK_WARN, "root-file");
	expect(m, "migrate.owner", HS_CHECK_WARN, "chown -h alice");
}

/* ---- migrate.ids: what homed's idmapped mount of the new home cannot hold --------------------------------- */

static void test_id_mapped(void **state)
{
	/* systemd's make_home_userns(): identity 0-60000, the user's own UID, identity 60513-65533 and the
	 * container range (v251: 524288 up to the last base, 1878982656); nothing else */
	static const struct {
		uint32_t id, uid;
		bool mapped;
	} v[] = {
		{ 0, 1000, true },           { 1000, 1000, true },        { 60000, 1000, true },
		{ 60001, 1000, false },      { 60010, 1000, false },      { 60010, 60010, true },
		{ 60512, 1000, false },      { 60512, 60512, true },      { 60513, 1000, true },
		{ 65533, 1000, true },       { 65534, 1000, false },      { 65535, 1000, false },
		{ 100000, 1000, false },     { 100000, 100000, true },    { 524287, 1000, false },
		{ 524288, 1000, true },      { 1878982656, 1000, true },  { 1878982657, 1000, false },
		{ 2147352576, 1000, false }, { 2147483646, 1000, false }, { UINT32_MAX - 1, 1000, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		if (hs_migrate_id_mapped(v[i].id, v[i].uid) != v[i].mapped)
			fail_msg("ID %" PRIu32 " for UID %" PRIu32 ": expected %s", v[i].id, v[i].uid,
				 v[i].mapped ? "mapped" : "unmapped");
	assert_non_null(strstr(hs_migrate_id_unmapped_why(60001), "60001-60512"));
	assert_string_equal(hs_migrate_id_unmapped_why(65534), "nobody");
	assert_non_null(strstr(hs_migrate_id_unmapped_why(65535), "/etc/subuid"));
	assert_non_null(strstr(hs_migrate_id_unmapped_why(100000), "/etc/subuid"));
	assert_non_null(strstr(hs_migrate_id_unmapped_why(2147483646), "from 258 on, the foreign range"));
	assert_string_equal(hs_migrate_id_unmapped_why(UINT32_C(0x80000000)), "beyond 31 bits");
}

/* An ACL of one named entry: USER (tag 0x02) or GROUP (0x08) @id, as system.posix_acl_access or _default. */
static bool set_acl_entry(const char *path, bool dflt, bool group, uint32_t id)
{
	struct {
		uint32_t version;
		struct {
			uint16_t tag, perm;
			uint32_t id;
		} __attribute__((packed)) e[5];
	} __attribute__((packed)) acl = { 2, { { 0x01, 7, UINT32_MAX }, { 0x02, 4, id }, { 0x04, 5, UINT32_MAX },
					       { 0x10, 5, UINT32_MAX }, { 0x20, 0, UINT32_MAX } } };

	if (group) {
		/* the kernel wants them in order: user::, group::, group:ID, mask::, other:: */
		acl.e[1] = acl.e[2];
		acl.e[2].tag = 0x08;
		acl.e[2].perm = 4;
		acl.e[2].id = id;
	}
	return setxattr(path, dflt ? "system.posix_acl_default" : "system.posix_acl_access", &acl, sizeof(acl), 0) == 0;
}

static void ids_accounts(mfix *m, unsigned uid)
{
	char passwd[512], group[512];

	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/bin/bash\nalice:x:%u:%u:Alice A:/home/alice:/bin/bash\n"
		 "bob:x:1001:100::/home/bob:/bin/zsh\nhomie:x:60005:60005::/home/homie:/bin/bash\n"
		 "nobody:x:65534:65534:nobody:/var/empty:/sbin/nologin\n", uid, uid);
	snprintf(group, sizeof(group), "root:x:0:\nwheel:x:10:root,alice\nusers:x:100:bob\naudio:x:18:alice\n"
		 "alice:x:%u:\nhomie:x:60005:\nnobody:x:65534:\n", uid);
	accounts(m, passwd, group);
}

static void test_ids_owner_group(void **state)
{
	mfix *m = *state;
	const hs_check_result *r;
	hs_migrate_plan *plan = NULL;

	if (geteuid() != 0)
		skip();
	ids_accounts(m, m->uid);
	/* the owner */
	fx_write(&m->fx, "/home/alice/nobodys", "x");
	chown_rel(m, "/home/alice/nobodys", 65534, m->uid);
	run(m);
	r = expect(m, "migrate.ids", HS_CHECK_FAIL, "1 entry of the home names a UID or GID that homed's idmapped "
		   "mount of the new home leaves unmapped (65534): rsync cannot copy it");
	assert_non_null(strstr(r->detail, "nobodys (owner 65534 (nobody))"));
	assert_non_null(strstr(r->detail, "\n65534: nobody\n"));
	assert_non_null(strstr(r->detail, "maps only 0-60000, alice's UID 1000, 60513-65533"));
	assert_non_null(strstr(r->fix, "chown -h alice PATH"));
	assert_non_null(strstr(r->fix, "find /home/alice -xdev \\( -uid 65534 -o -gid 65534 \\)"));
	assert_non_null(strstr(r->fix, "usermod -u NEWUID NAME"));
	/* an unmapped owner is migrate.ids', not migrate.owner's */
	expect(m, "migrate.owner", HS_CHECK_OK, NULL);
	/* the plan is refused, naming the check */
	assert_int_equal(hs_migrate_plan_new(m->fx.ctx, &plan, m->facts, &m->o), -EPERM);
	assert_null(plan);
	assert_non_null(strstr(hs_ctx_last_error(m->fx.ctx), "migrate.ids: 1 entry of the home names"));

	/* the group: another homed user's UID range */
	chown_rel(m, "/home/alice/nobodys", m->uid, m->uid);
	fx_mkdir(&m->fx, "/home/alice/shared", 0770);
	chown_rel(m, "/home/alice/shared", m->uid, 60005);
	run(m);
	r = expect(m, "migrate.ids", HS_CHECK_FAIL, "(60005)");
	assert_non_null(strstr(r->detail, "shared (group 60005 (homie))"));
	assert_non_null(strstr(r->detail, "60005: homed's UID range 60001-60512"));
	assert_null(strstr(r->detail, "nobodys"));
	expect(m, "migrate.owner", HS_CHECK_OK, NULL);
}

static void test_ids_acls(void **state)
{
	mfix *m = *state;
	const hs_check_result *r;
	char p[700];

	if (geteuid() != 0)
		skip();
	ids_accounts(m, m->uid);
	if (!set_acl_entry(fx_path(&m->fx, "/home/alice/notes.txt", p, sizeof(p)), false, false, 100000))
		skip(); /* a file system without ACLs */
	run(m);
	r = expect(m, "migrate.ids", HS_CHECK_FAIL, "1 entry of the home names a UID or GID");
	assert_non_null(strstr(r->detail, "notes.txt (ACL user:100000)"));
	assert_non_null(strstr(r->detail, "100000: 65535-524287"));
	assert_non_null(strstr(r->fix, "setfacl -x u:ID PATH"));
	expect(m, "migrate.xattrs", HS_CHECK_OK, "1 with ACLs");

	/* a default ACL of a directory naming a group, and an access ACL naming nobody: two entries, two IDs */
	assert_true(set_acl_entry(fx_path(&m->fx, "/home/alice/notes.txt", p, sizeof(p)), false, false, 65534));
	assert_true(set_acl_entry(fx_path(&m->fx, "/home/alice/docs", p, sizeof(p)), true, true, 60100));
	run(m);
	r = expect(m, "migrate.ids", HS_CHECK_FAIL, "2 entries of the home name a UID or GID");
	assert_non_null(strstr(r->detail, "docs (default ACL group:60100)"));
	assert_non_null(strstr(r->detail, "notes.txt (ACL user:65534 (nobody))"));
	assert_non_null(strstr(r->summary, "(60100, 65534): rsync cannot copy them"));

	/* ACLs naming mapped IDs are fine */
	assert_true(set_acl_entry(fx_path(&m->fx, "/home/alice/notes.txt", p, sizeof(p)), false, false, 1001));
	assert_true(set_acl_entry(fx_path(&m->fx, "/home/alice/docs", p, sizeof(p)), true, true, 100));
	run(m);
	expect(m, "migrate.ids", HS_CHECK_OK, "every owner, group and ACL entry in the home is an ID homed maps");
}

static void test_ids_mapped(void **state)
{
	mfix *m = *state;
	static const uint32_t mapped[] = { 0, 1001, 60000, 60513, 65533, 524288, 1878982656 };
	char rel[64];

	if (geteuid() != 0)
		skip();
	/* other owners the new home can hold: migrate.owner's WARN, not a FAIL */
	for (size_t i = 0; i < ELEMENTSOF(mapped); i++) {
		snprintf(rel, sizeof(rel), "/home/alice/f%zu", i);
		fx_write(&m->fx, rel, "x");
		chown_rel(m, rel, mapped[i], mapped[i]);
	}
	run(m);
	expect(m, "migrate.ids", HS_CHECK_OK, NULL);
	expect(m, "migrate.owner", HS_CHECK_WARN, "7 entries of the home do not belong to alice");

	/* a user whose own UID is in homed's range: its files are mapped, another UID of the range is not */
	for (size_t i = 0; i < ELEMENTSOF(mapped); i++) {
		snprintf(rel, sizeof(rel), "/home/alice/f%zu", i);
		fx_rm(&m->fx, rel);
	}
	ids_accounts(m, 60010);
	chown_rel(m, "/home/alice", 60010, 60010);
	chown_rel(m, "/home/alice/docs", 60010, 60010);
	chown_rel(m, "/home/alice/notes.txt", 60010, 60010);
	chown_rel(m, "/home/alice/docs/a.txt", 60010, 60010);
	run(m);
	expect(m, "migrate.ids", HS_CHECK_OK, NULL);
	expect(m, "migrate.owner", HS_CHECK_OK, "(UID 60010)");
	chown_rel(m, "/home/alice/docs/a.txt", 60005, 60010);
	run(m);
	expect(m, "migrate.ids", HS_CHECK_FAIL, "a.txt (owner 60005 (homie))");
	expect(m, "migrate.ids", HS_CHECK_FAIL, "alice's UID 60010");
}

static void test_ids_many(void **state)
{
	mfix *m = *state;
	const hs_check_result *r;
	char rel[64];

	if (geteuid() != 0)
		skip();
	for (unsigned i = 1; i <= 7; i++) {
		snprintf(rel, sizeof(rel), "/home/alice/sub%u", i);
		fx_write(&m->fx, rel, "x");
		chown_rel(m, rel, 100000 + i, 100000 + i);
	}
	run(m);
	r = expect(m, "migrate.ids", HS_CHECK_FAIL, "7 entries of the home name a UID or GID");
	assert_non_null(strstr(r->summary, "(100001, 100002, 100003, 100004, 100005 and others)"));
	assert_non_null(strstr(r->detail, "sub1 (owner 100001, group 100001)"));
	assert_non_null(strstr(r->detail, "… and 2 more"));
}

static void test_special(void **state)
{
	mfix *m = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char p[700];
	int s;

	assert_int_equal(mkfifo(fx_path(&m->fx, "/home/alice/fifo", p, sizeof(p)), 0600), 0);
	chown_rel(m, "/home/alice/fifo", m->uid, m->uid);
	fx_path(&m->fx, "/home/alice/sock", p, sizeof(p));
	if (strlen(p) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, p, strlen(p) + 1);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(s >= 0);
		assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(s);
		chown_rel(m, "/home/alice/sock", m->uid, m->uid);
	}
	run(m);
	expect(m, "migrate.special", HS_CHECK_WARN, "FIFO");
	expect(m, "migrate.special", HS_CHECK_WARN, "fifo");
	expect(m, "migrate.special", HS_CHECK_WARN, "nodev");
}

static void test_sparse(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;
	char p[700];
	int fd;

	fd = open(fx_path(&m->fx, "/home/alice/disk.img", p, sizeof(p)), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100 * MIB), 0);
	close(fd);
	chown_rel(m, "/home/alice/disk.img", m->uid, m->uid);
	in = run(m);
	expect(m, "migrate.sparse", HS_CHECK_WARN, "1 sparse file: the copy writes them in full");
	expect(m, "migrate.sparse", HS_CHECK_WARN, "disk.img");
	expect(m, "migrate.sparse", HS_CHECK_WARN, "fallocate --dig-holes");
	/* the image is sized for the copy: 100 MiB + 10 % + 18 MiB (rounded up to MiB) */
	assert_true(in->home_bytes < 1 * MIB);
	assert_true(in->disk_size >= 128 * MIB && in->disk_size <= 130 * MIB);
}

static void test_names(void **state)
{
	mfix *m = *state;

	fx_write(&m->fx, "/home/alice/caf\xe9.txt", "latin-1\n");
	chown_rel(m, "/home/alice/caf\xe9.txt", m->uid, m->uid);
	run(m);
	expect(m, "migrate.names", HS_CHECK_WARN, "1 file name in the home is not valid UTF-8");
	expect(m, "migrate.names", HS_CHECK_WARN, "caf\\xe9.txt");
}

/* ---- rsync, storage --------------------------------------------------------------------------------------- */

static void test_rsync(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;
	char *text;

	/* crtimes: -N */
	text = strdup(rsync_full);
	memcpy(strstr(text, "no crtimes"), "   crtimes", 10);
	fake_rsync(m, text, 0);
	free(text);
	in = run(m);
	expect(m, "migrate.rsync", HS_CHECK_OK, "rsync 3.2.7");
	assert_string_equal(in->rsync_flags, "-aHAXUNv");

	/* rsync 3.1: no atimes at all */
	fake_rsync(m, "rsync  version 3.1.3  protocol version 31\nCapabilities:\n    64-bit files, 64-bit inums, "
		   "64-bit timestamps, 64-bit long ints,\n    socketpairs, hardlinks, symlinks, IPv6, batchfiles, "
		   "inplace,\n    append, ACLs, xattrs, iconv, symtimes, prealloc\n\nrsync comes with ABSOLUTELY NO "
		   "WARRANTY.\n", 0);
	in = run(m);
	expect(m, "migrate.rsync", HS_CHECK_WARN, "cannot keep access times");
	expect(m, "migrate.rsync", HS_CHECK_WARN, "the copy runs rsync -aHAXv --numeric-ids --modify-window=-1");
	assert_string_equal(in->rsync_flags, "-aHAXv");

	/* older than 3.1.3: no nanosecond times (--modify-window=-1) */
	fake_rsync(m, "rsync  version 3.1.2  protocol version 31\nCapabilities:\n    64-bit files, ACLs, xattrs\n", 0);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "rsync 3.1.2 at ");
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "is older than 3.1.3: the copy needs --modify-window=-1");
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "emerge --ask '>=net-misc/rsync-3.2'");
	fake_rsync(m, "rsync  version 2.6.9  protocol version 29\n", 0);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "is older than 3.1.3");
	/* a git build's "v3.4.1"; a version that is not one is not judged */
	text = strdup(rsync_full);
	memcpy(strstr(text, "3.2.7"), "v3.41", 5);
	fake_rsync(m, text, 0);
	free(text);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_OK, "rsync v3.41 (");
	text = strdup(rsync_full);
	memcpy(strstr(text, "3.2.7"), "devel", 5);
	fake_rsync(m, text, 0);
	free(text);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_OK, "its version was not recognised: it must be 3.1.3 or later");

	/* without ACLs */
	text = strdup(rsync_full);
	memcpy(strstr(text, " ACLs"), "nACLs", 5);
	fake_rsync(m, text, 0);
	free(text);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "without ACL support");
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "USE=\"acl xattr\"");

	/* broken, not absolute, not there */
	fake_rsync(m, "", 3);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "does not work");
	setenv("HOMESETUP_RSYNC", "rsync", 1);
	run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "HOMESETUP_RSYNC=rsync is not an executable file");
	unsetenv("HOMESETUP_RSYNC");
	in = run(m);
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "rsync is not installed");
	expect(m, "migrate.rsync", HS_CHECK_FAIL, "emerge --ask net-misc/rsync");
	assert_null(in->rsync);
	assert_string_equal(in->rsync_flags, "-aHAXUv");
	/* ROOT's own rsync is found but not run (not the running system) */
	fx_write_n(&m->fx, "/usr/bin/rsync", "#!/bin/sh\nexit 99\n", SIZE_MAX, 0755);
	in = run(m);
	expect(m, "migrate.rsync", HS_CHECK_OK, "its rsync was not run");
	expect(m, "migrate.rsync", HS_CHECK_OK, "it must be rsync 3.1.3 or later");
	assert_string_equal(in->rsync, "/usr/bin/rsync");
}

static void test_storage(void **state)
{
	mfix *m = *state;
	const hs_migrate_info *in;

	in = run(m);
	expect(m, "migrate.storage", HS_CHECK_OK, "storage luks (/etc/systemd/homed.conf:2 (DefaultStorage=)) with "
	       "ext4 inside (/etc/systemd/homed.conf:3 (DefaultFileSystemType=))");
	fx_rm(&m->fx, "/usr/sbin/mkfs.ext4");
	run(m);
	expect(m, "migrate.storage", HS_CHECK_FAIL, "mkfs.ext4 is not installed");
	expect(m, "migrate.storage", HS_CHECK_FAIL, "emerge --ask sys-fs/e2fsprogs");
	m->o.fs_type = "xfs";
	fx_write_n(&m->fx, "/sbin/mkfs.xfs", "#!/bin/sh\n", SIZE_MAX, 0755);
	in = run(m);
	expect(m, "migrate.storage", HS_CHECK_WARN, "xfs cannot shrink");
	assert_string_equal(in->fs_type, "xfs");
	/* homed.conf's choice, and no homed.conf at all (homed's defaults) */
	fx_write(&m->fx, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=directory\n");
	m->o.fs_type = NULL;
	in = run(m);
	expect(m, "migrate.storage", HS_CHECK_OK, "storage directory (/etc/systemd/homed.conf:2");
	assert_string_equal(in->storage, "directory");
	assert_null(in->fs_type);
	fx_rm(&m->fx, "/etc/systemd/homed.conf");
	fx_write_n(&m->fx, "/usr/sbin/mkfs.btrfs", "#!/bin/sh\n", SIZE_MAX, 0755);
	in = run(m);
	expect(m, "migrate.storage", HS_CHECK_OK, "storage luks (homed's default) with btrfs inside");
	assert_string_equal(in->fs_type, "btrfs");
	/* subvolumes need btrfs under /home, fscrypt ext4 or f2fs */
	m->o.storage = "subvolume";
	run(m);
	{
		struct statfs sf;
		char p[700];

		assert_int_equal(statfs(fx_path(&m->fx, "/home", p, sizeof(p)), &sf), 0);
		if ((uint32_t)sf.f_type != (uint32_t)HS_FS_BTRFS)
			expect(m, "migrate.storage", HS_CHECK_FAIL, "/home is not on btrfs");
		else
			expect(m, "migrate.storage", HS_CHECK_OK, "storage subvolume");
	}
}

/* ---- migrate.homed-ready ---------------------------------------------------------------------------------- */

static hs_check_status fake_status;

static int fake_group(hs_checker *c)
{
	int r = hs_checker_add(c, "fake.one", HS_CHECK_OK, NULL, NULL, "fine");

	return r < 0 ? r : hs_checker_add(c, "fake.two", fake_status, "do this", NULL, "the second one");
}

#define DEF(id_, group_, desc_) { .id = id_, .group = group_, .description = desc_ },
static const hs_check_def ready_defs[] = {
	{ .id = "fake.one", .group = "fake", .description = "one" },
	{ .id = "fake.two", .group = "fake", .description = "two" },
	HS_CHECKS_MIGRATE(DEF)
};
static const hs_check_group_def ready_groups[] = { { "fake", fake_group }, { "migrate", hs_check_group_migrate } };

static const hs_check_result *report_find(const hs_report *rep, const char *id)
{
	for (size_t i = 0; i < hs_report_count(rep); i++)
		if (strcmp(hs_report_get(rep, i)->id, id) == 0)
			return hs_report_get(rep, i);
	return NULL;
}

static void test_homed_ready(void **state)
{
	mfix *m = *state;
	hs_check_options o = { .no_bus = true, .user = "alice" };
	const hs_check_result *r;
	hs_report *rep = NULL;

	/* the readiness checks of the same run */
	fake_status = HS_CHECK_WARN;
	assert_int_equal(hs_check_run_tables(m->fx.ctx, &rep, &o, ready_defs, ELEMENTSOF(ready_defs), ready_groups,
					     ELEMENTSOF(ready_groups)), 0);
	r = report_find(rep, "migrate.homed-ready");
	assert_non_null(r);
	assert_int_equal(r->status, HS_CHECK_OK);
	assert_non_null(strstr(r->summary, "none of 2 readiness checks fails (1 warning, 0 skipped)"));
	assert_string_equal(r->detail, "warnings: fake.two");
	assert_int_equal(report_find(rep, "migrate.user")->status, HS_CHECK_OK);
	hs_report_free(rep);

	fake_status = HS_CHECK_FAIL;
	assert_int_equal(hs_check_run_tables(m->fx.ctx, &rep, &o, ready_defs, ELEMENTSOF(ready_defs), ready_groups,
					     ELEMENTSOF(ready_groups)), 0);
	r = report_find(rep, "migrate.homed-ready");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_non_null(strstr(r->summary, "1 readiness check fails: fake.two"));
	assert_string_equal(r->detail, "fake.two: the second one");
	assert_non_null(strstr(r->fix, "checks above"));
	hs_report_free(rep);

	/* on its own, it runs the real readiness checks: an empty root is far from ready */
	fx_rm(&m->fx, "/usr/sbin/mkfs.ext4");
	run(m);
	r = expect(m, "migrate.homed-ready", HS_CHECK_FAIL, "nss.passwd");
	assert_non_null(strstr(r->detail, "nss.passwd: /etc/nsswitch.conf is missing"));
	assert_non_null(strstr(r->summary, "kernel.mkfs"));
	/* what homed.conf's storage needs of the kernel does not matter for a directory home */
	m->o.storage = "directory";
	run(m);
	r = expect(m, "migrate.homed-ready", HS_CHECK_FAIL, "not about this migration (storage directory): kernel.mkfs");
	assert_null(strstr(r->summary, "kernel."));
	assert_non_null(strstr(r->fix, "homesetup check"));
}

/* ---- `homesetup check --user` ------------------------------------------------------------------------------- */

static void test_check_wiring(void **state)
{
	mfix *m = *state;
	static const char *const only_migrate[] = { "migrate", NULL };
	static const char *const only_space[] = { "space", NULL };
	hs_check_options o = { .no_bus = true };
	hs_report *rep = NULL;
	size_t n_migrate = 0;

	/* no user: no migrate checks, and asking for them is an error */
	assert_int_equal(hs_check_run(m->fx.ctx, &rep, &o), 0);
	for (size_t i = 0; i < hs_report_count(rep); i++)
		assert_string_not_equal(hs_report_get(rep, i)->group, "migrate");
	hs_report_free(rep);
	o.only = only_migrate;
	assert_int_equal(hs_check_run(m->fx.ctx, &rep, &o), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(m->fx.ctx), "--user USER"));
	assert_null(rep);

	/* a user: every migrate check, after the readiness ones */
	o.only = NULL;
	o.user = "alice";
	assert_int_equal(hs_check_run(m->fx.ctx, &rep, &o), 0);
	for (size_t i = 0; i < hs_report_count(rep); i++)
		if (strcmp(hs_report_get(rep, i)->group, "migrate") == 0)
			n_migrate++;
		else
			assert_int_equal(n_migrate, 0);
	assert_int_equal(n_migrate, 19);
	assert_int_equal(report_find(rep, "migrate.home")->status, HS_CHECK_OK);
	/* the same run's readiness results: the fixture's root fails a few */
	assert_int_equal(report_find(rep, "migrate.homed-ready")->status, HS_CHECK_FAIL);
	assert_non_null(strstr(report_find(rep, "migrate.homed-ready")->fix, "checks above"));
	hs_report_free(rep);

	/* --only space --user alice: the user's checks are not selected */
	o.only = only_space;
	assert_int_equal(hs_check_run(m->fx.ctx, &rep, &o), 0);
	assert_int_equal(hs_report_count(rep), 1);
	hs_report_free(rep);

	/* a user name that cannot be part of a path */
	o.only = NULL;
	o.user = "../../etc/shadow";
	assert_int_equal(hs_check_run(m->fx.ctx, &rep, &o), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(m->fx.ctx), "invalid user name"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_all_ok),     T(test_options),     T(test_user),        T(test_journal),
		cmocka_unit_test(test_name_rules),
		T(test_name),       T(test_uid),         T(test_group),       T(test_groups),
		T(test_session),    T(test_home),        T(test_home_mounts), T(test_home_real_mount),
		T(test_saved),      T(test_space),       T(test_xattrs),      T(test_hardlinks),
		T(test_owner),      T(test_special),     T(test_sparse),      T(test_names),
		cmocka_unit_test(test_id_mapped),
		T(test_ids_owner_group), T(test_ids_acls), T(test_ids_mapped),  T(test_ids_many),
		T(test_rsync),      T(test_storage),     T(test_homed_ready), T(test_check_wiring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
