/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of diagnose.c and doctor_attrib.c (doctor rules, export reader, attribution, logins, --since, the
 * drop-in) and of the pure parts of homekeys.c (SHA-256, the signable text of a record). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "homesetupP.h"

/* Every message a rule must fire on, and near misses it must not fire on. */
static const struct {
	const char *msg;
	const char *rule;   /* NULL: no rule may fire */
	const char *user;   /* expected capture, or NULL */
	const char *dm;
} cases[] = {
	{ "File system is corrupted, refusing.", "fs-dirty", NULL, NULL },
	{ "File system is corrupted", NULL, NULL, NULL },
	{ "fsck failed with exit status 4.", NULL, NULL, NULL },
	{ "No fsck for file system btrfs installed, ignoring.", "fsck-missing", NULL, NULL },
	{ "No fsck for file system  installed, ignoring.", NULL, NULL, NULL },
	{ "Device link /dev/disk/by-uuid/0c9b4a1e-2f5d-4d6e-9a0b-1c2d3e4f5a6b still hasn't shown up, giving up.",
	  "absent-volume", NULL, NULL },
	{ "Device link /dev/sda1 still hasn't shown up, giving up.", NULL, NULL, NULL },
	{ "alice: changing state creating \xe2\x86\x92 absent", "absent-volume", "alice", NULL },
	{ "alice: changing state creating -> absent", "absent-volume", "alice", NULL },
	{ "alice: changing state absent \xe2\x86\x92 inactive", NULL, NULL, NULL },
	{ "Home of user bob is currently absent, please plug in the necessary storage device or backing file system.",
	  "absent-volume", "bob", NULL },
	{ "Activation failed: Not enough disk space for home carol", "no-space", "carol", NULL },
	{ "Activation failed: No space left on device", "no-space", NULL, NULL },
	{ "Operation on carol failed: No space left on device", "no-space", NULL, NULL },
	{ "Not enough disk space for home carol", "no-space", "carol", NULL },
	{ "Not enough disk space to fully allocate home.", "no-space", NULL, NULL },
	{ "Not enough disk space to allocate home of size 20.0G.", "no-space", NULL, NULL },
	{ "Sizing home to 85% of available disk space, which is 20.0G.", NULL, NULL, NULL },
	{ "No valid password for LUKS superblock.", "bad-password", NULL, NULL },
	{ "Failed to unlocks LUKS superblock: Required key not available", "bad-password", NULL, NULL },
	{ "Failed to unlock LUKS superblock: Required key not available", "bad-password", NULL, NULL },
	{ "Failed to unlock LUKS superblock: Input/output error", NULL, NULL, NULL },
	{ "None of the supplied plaintext passwords unlock the user record's hashed passwords.", "bad-password", NULL, NULL },
	{ "None of the supplied plaintext passwords unlocks the user record's hashed passwords.", "bad-password", NULL, NULL },
	{ "None of the supplied plaintext passwords unlock the user record's hashed passwords or recovery keys.",
	  "bad-password", NULL, NULL },
	{ "None of the supplied plaintext passwords unlock the user record's hashed recovery keys.", "bad-password", NULL,
	  NULL },
	{ "None of the supplied plaintext passwords unlock the user record's hashed keys.", NULL, NULL, NULL },
	{ "Activation failed: Password for home dave is incorrect or not sufficient for authentication.", "bad-password",
	  "dave", NULL },
	{ "Activation failed: Password for home dave is incorrect or not sufficient, and configured security token "
	  "not found either.", "bad-password", "dave", NULL },
	{ "Activation failed: Required key not available", "bad-password", NULL, NULL },
	{ "Provided password unlocks user record.", NULL, NULL, NULL },
	{ "Device mapper device /dev/mapper/home-erin already exists, refusing.", "dm-leftover", NULL, "home-erin" },
	{ "Device mapper device home-erin already exists, refusing.", "dm-leftover", NULL, "home-erin" },
	{ "Setting up LUKS device /dev/mapper/home-erin completed.", NULL, NULL, NULL },
	{ "User record frank.identity is not signed by any accepted key, ignoring.", "signing-key", "frank", NULL },
	{ "User record frank.identity is not signed at all, ignoring.", "signing-key", "frank", NULL },
	{ "Home frank contains user record that is not signed by any known key, refusing.", "signing-key", "frank", NULL },
	{ "User record frank is not signed at all, refusing.", "signing-key", "frank", NULL },
	{ "Specified user record for frank is signed by a key we don't recognize, refusing.", "signing-key", "frank", NULL },
	{ "User record frank.identity is signed only by us, accepting.", NULL, NULL, NULL },
	{ "Home frank is signed exclusively by our key, accepting.", NULL, NULL, NULL },
	{ "Private key file is readable by more than the root user", "key-perms", NULL, NULL },
	{ "Public key file /var/lib/systemd/home/a.public is writable by more than the root user, refusing.", "key-perms",
	  NULL, NULL },
	{ "Successfully loaded private key pair.", NULL, NULL, NULL },
	/* hostile captures: matched, but not usable as names */
	{ "Not enough disk space for home $(rm${IFS}-rf${IFS}/)", "no-space", "", NULL },
	{ "Device mapper device /dev/mapper/;reboot already exists, refusing.", "dm-leftover", NULL, "" },
};

static void test_rules(void **state)
{
	hs_doctor_matcher *m = NULL;

	assert_int_equal(hs_doctor_matcher_new(NULL, &m), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_doctor_caps caps;
		int row = hs_doctor_match(m, cases[i].msg, strlen(cases[i].msg), &caps);

		if (!cases[i].rule) {
			if (row >= 0)
				fail_msg("'%s' must not match, but matched %s", cases[i].msg, hs_doctor_row_rule((size_t)row));
			continue;
		}
		if (row < 0)
			fail_msg("'%s' did not match %s", cases[i].msg, cases[i].rule);
		assert_string_equal(hs_doctor_row_rule((size_t)row), cases[i].rule);
		if (cases[i].user)
			assert_string_equal(caps.user, cases[i].user);
		if (cases[i].dm)
			assert_string_equal(caps.dm, cases[i].dm);
	}
	hs_doctor_matcher_free(m);
}

/* Every rule id of the table is covered by a firing case above, and every pattern compiles. */
static void test_rules_covered(void **state)
{
	size_t n = hs_doctor_rule_count();

	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		const char *id, *pat;
		bool fired = false;

		assert_true(hs_doctor_rule_get(i, &id, &pat));
		if (!pat)
			continue;
		for (size_t k = 0; k < ELEMENTSOF(cases); k++)
			if (cases[k].rule && strcmp(cases[k].rule, id) == 0)
				fired = true;
		if (!fired)
			fail_msg("rule %s has no test that fires it", id);
	}
	assert_false(hs_doctor_rule_get(n, NULL, NULL));
}

static void test_binary_and_long(void **state)
{
	hs_doctor_matcher *m = NULL;
	static const char bin[] = "File system is corrupted, refusing.\0trailer";
	char *big = malloc(200000);
	hs_doctor_caps caps;

	assert_int_equal(hs_doctor_matcher_new(NULL, &m), 0);
	/* a NUL inside the message: the pattern is anchored, so the trailer prevents a match */
	assert_int_equal(hs_doctor_match(m, bin, sizeof(bin) - 1, &caps), -1);
	assert_true(hs_doctor_match(m, bin, 35, &caps) >= 0);
	memset(big, 'A', 200000);
	assert_int_equal(hs_doctor_match(m, big, 200000, &caps), -1);
	assert_int_equal(hs_doctor_match(m, "", 0, &caps), -1);
	free(big);
	hs_doctor_matcher_free(m);
}

/* ---- export format ---- */

typedef struct seen {
	size_t n;
	char msg[8][128];
	uint32_t pid[8];
	uint64_t rt[8];
} seen;

static int collect(const hs_jentry *e, void *userdata)
{
	seen *s = userdata;

	if (s->n < 8) {
		snprintf(s->msg[s->n], sizeof(s->msg[0]), "%.*s", (int)e->msg_len, e->msg ? e->msg : "");
		s->pid[s->n] = e->pid;
		s->rt[s->n] = e->realtime;
	}
	s->n++;
	return 0;
}

static void test_export_parse(void **state)
{
	static const char text[] =
		"__REALTIME_TIMESTAMP=1714564800000000\n_PID=42\nMESSAGE=hello\n\n"
		"MESSAGE\n\x05\0\0\0\0\0\0\0a\nb\0c\n_PID=x\n\n"
		"\n\n"
		"MESSAGE=last";
	seen s = {0};
	hs_ctx *ctx = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	/* the last entry has no newline: malformed */
	assert_int_equal(hs_journal_export_parse(ctx, text, sizeof(text) - 1, collect, &s), -EIO);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "at byte"));
	memset(&s, 0, sizeof(s));
	assert_int_equal(hs_journal_export_parse(ctx, text, sizeof(text) - 1 - 12, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.msg[0], "hello");
	assert_int_equal(s.pid[0], 42);
	assert_true(s.rt[0] == 1714564800000000ULL);
	assert_memory_equal(s.msg[1], "a\nb", 4); /* binary field with a newline and a NUL */
	assert_int_equal(s.pid[1], 0);
	/* a binary field claiming more bytes than there are */
	{
		static const char bad[] = "MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\x7f" "abc\n\n";

		memset(&s, 0, sizeof(s));
		assert_int_equal(hs_journal_export_parse(ctx, bad, sizeof(bad) - 1, collect, &s), -EIO);
		assert_int_equal(s.n, 0);
	}
	{
		static const char bad[] = "MESSAGE\n\x01\0\0";

		assert_int_equal(hs_journal_export_parse(ctx, bad, sizeof(bad) - 1, collect, &s), -EIO);
	}
	hs_ctx_free(ctx);
}

/* ---- whole runs on export files ---- */

static char tmpdir[] = "/tmp/hs-test-diagnose-XXXXXX";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void write_file(const char *rel, const char *text)
{
	char p[512], dir[512], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define BOOT1 "_BOOT_ID=11111111111111111111111111111111\n"
#define BOOT2 "_BOOT_ID=22222222222222222222222222222222\n"
#define HOMED "_SYSTEMD_UNIT=systemd-homed.service\nSYSLOG_IDENTIFIER=systemd-homed\n"
#define WORK "_SYSTEMD_UNIT=systemd-homed.service\nSYSLOG_IDENTIFIER=systemd-homework\n"

static int run_export(hs_ctx *ctx, const char *text, hs_doctor **d, const char *user, uint64_t since,
		      const char *const *volumes)
{
	char path[512];
	hs_doctor_options o = { .no_bus = true, .journal_export = path, .user = user, .since_usec = since,
				.volumes = volumes };

	write_file("journal.export", text);
	snprintf(path, sizeof(path), "%s/journal.export", tmpdir);
	return hs_doctor_run(ctx, d, &o);
}

static void test_attribution(void **state)
{
	static const char text[] =
		/* an old boot: must be ignored by default */
		"__REALTIME_TIMESTAMP=1000000\n" BOOT1 WORK "_PID=7\nMESSAGE=No valid password for LUKS superblock.\n\n"
		"__REALTIME_TIMESTAMP=2000000\n" BOOT2 HOMED "_PID=1\nMESSAGE=alice: changing state inactive \xe2\x86\x92 activating\n\n"
		"__REALTIME_TIMESTAMP=3000000\n" BOOT2 WORK "_PID=50\nMESSAGE=Provided password unlocks user record.\n\n"
		"__REALTIME_TIMESTAMP=4000000\n" BOOT2 HOMED "_PID=1\nMESSAGE=bob: changing state inactive \xe2\x86\x92 activating\n\n"
		"__REALTIME_TIMESTAMP=5000000\n" BOOT2 WORK "_PID=50\nMESSAGE=File system is corrupted, refusing.\n\n"
		"__REALTIME_TIMESTAMP=6000000\n" BOOT2 WORK "_PID=51\nMESSAGE=File system is corrupted, refusing.\n\n"
		/* another unit: ignored */
		"__REALTIME_TIMESTAMP=7000000\n" BOOT2 "_SYSTEMD_UNIT=sshd.service\nSYSLOG_IDENTIFIER=sshd\n"
		"MESSAGE=Device mapper device /dev/mapper/home-x already exists, refusing.\n\n";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	const hs_finding *f;
	size_t entries, matched;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	hs_doctor_journal_stats(d, &entries, &matched);
	assert_int_equal(entries, 5);
	assert_int_equal(matched, 2);
	assert_int_equal(hs_doctor_finding_count(d), 2);
	f = hs_doctor_finding(d, 0);
	/* PID 50 was attributed to alice (first state change before it); PID 51 to bob */
	assert_string_equal(f->rule, "fs-dirty");
	assert_string_equal(f->user, "alice");
	assert_int_equal(f->source, HS_EVIDENCE_JOURNAL);
	assert_non_null(strstr(f->evidence, "systemd-homework[50]: File system is corrupted, refusing."));
	assert_non_null(strstr(f->fix, "cryptsetup open /dev/loop0p1 homesetup-fsck-alice"));
	assert_null(strstr(f->fix, "cryptsetup open /dev/loop0p1 home-alice"));
	assert_non_null(strstr(f->fix, "cryptsetup close homesetup-fsck-alice"));
	assert_non_null(strstr(f->fix, "losetup -fP --show /home/alice.home"));
	f = hs_doctor_finding(d, 1);
	assert_string_equal(f->user, "bob");
	hs_doctor_free(d);

	/* --since spans boots: the old bad password shows up */
	assert_int_equal(run_export(ctx, text, &d, NULL, 1, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 3);
	hs_doctor_free(d);

	/* one user only */
	assert_int_equal(run_export(ctx, text, &d, "bob", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_string_equal(hs_doctor_finding(d, 0)->user, "bob");
	hs_doctor_free(d);

	assert_int_equal(run_export(ctx, text, &d, "no/such", 0, NULL), -EINVAL);
	hs_ctx_free(ctx);
}

static void test_no_space_and_record(void **state)
{
	static const char text[] =
		"__REALTIME_TIMESTAMP=1000000\n" BOOT2 HOMED "_PID=1\nMESSAGE=carol: changing state inactive \xe2\x86\x92 activating\n\n"
		"__REALTIME_TIMESTAMP=2000000\n" BOOT2 HOMED "_PID=1\nMESSAGE=Activation failed: Not enough disk space for home carol\n\n"
		"__REALTIME_TIMESTAMP=3000000\n" BOOT2 WORK "_PID=9\nMESSAGE=No fsck for file system xfs installed, ignoring.\n\n";
	/* the same worker line with no operation of carol's before it names nobody */
	static const char unnamed[] =
		"__REALTIME_TIMESTAMP=3000000\n" BOOT2 WORK "_PID=9\nMESSAGE=No fsck for file system xfs installed, ignoring.\n\n";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	const hs_finding *f;

	write_file("var/lib/systemd/home/carol.identity",
		   "{\"userName\":\"carol\",\"uid\":60100,\"binding\":{\"abc\":{\"imagePath\":\"/data/carol.home\","
		   "\"fileSystemType\":\"xfs\",\"storage\":\"luks\"}}}");
	write_file("data/carol.home", "image");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	assert_int_equal(run_export(ctx, text, &d, "carol", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 2);
	f = hs_doctor_finding(d, 0);
	assert_string_equal(f->rule, "fsck-missing");
	assert_non_null(strstr(f->fix, "sys-fs/xfsprogs"));
	assert_string_equal(f->user, "carol"); /* the worker of carol's activation */
	f = hs_doctor_finding(d, 1);
	assert_string_equal(f->rule, "no-space");
	assert_string_equal(f->user, "carol");
	assert_non_null(strstr(f->fix, "homectl update carol --luks-discard=true --luks-offline-discard=true"));
	assert_non_null(strstr(f->fix, "homectl activate carol"));
	assert_non_null(strstr(f->diagnosis, "Now /data has "));
	assert_non_null(strstr(f->diagnosis, "the image /data/carol.home is 5 B"));
	/* free space first, then the discard update, then the activation */
	assert_non_null(strstr(f->fix, "df -h /data    # "));
	assert_true(strstr(f->fix, "df -h /data") < strstr(f->fix, "homectl update carol"));
	assert_true(strstr(f->fix, "homectl update carol") < strstr(f->fix, "homectl activate carol"));
	hs_doctor_free(d);

	assert_int_equal(run_export(ctx, unnamed, &d, "carol", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	hs_doctor_free(d);
	assert_int_equal(run_export(ctx, unnamed, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_null(hs_doctor_finding(d, 0)->user);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

/* The free-space texts of no-space: the free space first, and said outright when it is below the minimum. */
static void test_space_text(void **state)
{
	char *sentence, *note;

	assert_true(hs_doctor_min_free() == 64ULL << 20);
	assert_int_equal(hs_doctor_space_text("/srv/small", 0, 700ULL << 20, "/srv/small/frank.home", 400ULL << 20,
					      12ULL << 20, &sentence, &note), 0);
	assert_string_equal(sentence, "Now /srv/small has 0 B free of 700.0 MiB; the image /srv/small/frank.home is "
				      "400.0 MiB, of which 12.0 MiB allocated. That is less than the 64 MiB the discard "
				      "update needs: free space there first.");
	assert_string_equal(note, "only 0 B free here, less than 64 MiB: free space on this file system first (move or "
				  "delete files, old snapshots, the trash) until at least 64 MiB are free");
	free(sentence);
	free(note);
	/* exactly the minimum is enough */
	assert_int_equal(hs_doctor_space_text("/home", 64ULL << 20, 1ULL << 30, "/home/a.home", UINT64_MAX, 0,
					      &sentence, &note), 0);
	assert_string_equal(sentence, "Now /home has 64.0 MiB free of 1.0 GiB.");
	assert_string_equal(note, "64.0 MiB free here; the update below needs at least 64 MiB");
	free(sentence);
	free(note);
	assert_int_equal(hs_doctor_space_text("/home", (64ULL << 20) - 1, 1ULL << 30, "/home/a.home", UINT64_MAX, 0,
					      &sentence, &note), 0);
	assert_non_null(strstr(sentence, "less than the 64 MiB"));
	assert_non_null(strstr(note, "only 64.0 MiB free here, less than 64 MiB"));
	free(sentence);
	free(note);
	/* not measured: how much to free, without a figure */
	assert_int_equal(hs_doctor_space_text("/home", UINT64_MAX, 0, "/home/a.home", UINT64_MAX, 0, &sentence, &note), 0);
	assert_string_equal(sentence, "(The free space of /home could not be measured here.)");
	assert_string_equal(note, "free at least 64 MiB on the file system holding the image first (move or delete files, "
				  "old snapshots, the trash)");
	free(sentence);
	free(note);
}

/* ---- logins: pam_systemd_home asks without a password first ---- */

/* Append one entry (t in seconds) to an export text. */
static void jadd(char *buf, size_t size, unsigned t, const char *ident, unsigned pid, const char *msg)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n,
		 "__REALTIME_TIMESTAMP=%u000000\n" BOOT2 "_SYSTEMD_UNIT=systemd-homed.service\nSYSLOG_IDENTIFIER=%s\n"
		 "_PID=%u\nMESSAGE=%s\n\n", t, ident, pid, msg);
}

#define ARROW " \xe2\x86\x92 "
#define NONE_UNLOCK "None of the supplied plaintext passwords unlock the user record's hashed passwords."
#define NOKEY "Activation failed: Required key not available"

/* One PAM login as a real systemd-homed (v252) logs it (tests/vm): the password-less try, then the one that works. */
static void pam_login(char *buf, size_t size, unsigned t, const char *user, unsigned pid)
{
	char m[256];

	snprintf(m, sizeof(m), "%s: changing state inactive" ARROW "activating-for-acquire", user);
	jadd(buf, size, t, "systemd-homed", 278, m);
	jadd(buf, size, t, "systemd-homework", pid, NONE_UNLOCK);
	jadd(buf, size, t, "systemd-homed", 278, NOKEY);
	snprintf(m, sizeof(m), "%s: changing state activating-for-acquire" ARROW "inactive", user);
	jadd(buf, size, t, "systemd-homed", 278, m);
	snprintf(m, sizeof(m), "Got notification that all sessions of user %s ended, deactivating automatically.", user);
	jadd(buf, size, t, "systemd-homed", 278, m);
	snprintf(m, sizeof(m), "%s: changing state inactive" ARROW "activating-for-acquire", user);
	jadd(buf, size, t + 1, "systemd-homed", 278, m);
	jadd(buf, size, t + 1, "systemd-homework", pid + 1, "Provided password unlocks user record.");
	snprintf(m, sizeof(m), "Setting up LUKS device /dev/mapper/home-%s completed.", user);
	jadd(buf, size, t + 1, "systemd-homework", pid + 1, m);
	jadd(buf, size, t + 2, "systemd-homework", pid + 1, "Activation completed.");
	snprintf(m, sizeof(m), "Home %s is signed exclusively by our key, accepting.", user);
	jadd(buf, size, t + 2, "systemd-homed", 278, m);
	snprintf(m, sizeof(m), "%s: changing state activating-for-acquire" ARROW "active", user);
	jadd(buf, size, t + 2, "systemd-homed", 278, m);
}

/* A login with a wrong password: the password-less try, then the wrong one, and no activation. */
static void wrong_login(char *buf, size_t size, unsigned t, const char *user, unsigned pid)
{
	char m[256];

	for (unsigned k = 0; k < 2; k++) {
		snprintf(m, sizeof(m), "%s: changing state inactive" ARROW "activating-for-acquire", user);
		jadd(buf, size, t + k, "systemd-homed", 278, m);
		jadd(buf, size, t + k, "systemd-homework", pid + k, NONE_UNLOCK);
		jadd(buf, size, t + k, "systemd-homed", 278, NOKEY);
		snprintf(m, sizeof(m), "%s: changing state activating-for-acquire" ARROW "inactive", user);
		jadd(buf, size, t + k, "systemd-homed", 278, m);
	}
}

static size_t count_rule(hs_doctor *d, const char *rule, const char *user)
{
	size_t n = 0;

	for (size_t i = 0; i < hs_doctor_finding_count(d); i++) {
		const hs_finding *f = hs_doctor_finding(d, i);

		if (strcmp(f->rule, rule) == 0 && (user ? f->user && strcmp(f->user, user) == 0 : !f->user))
			n++;
	}
	return n;
}

static bool has_note(hs_doctor *d, const char *part)
{
	for (size_t i = 0; i < hs_doctor_note_count(d); i++)
		if (strstr(hs_doctor_note(d, i), part))
			return true;
	return false;
}

static void test_pam_login(void **state)
{
	char text[16384] = "";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	size_t entries, matched;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	pam_login(text, sizeof(text), 100, "lux", 607);
	pam_login(text, sizeof(text), 200, "trad", 567);
	/* a normal login: no finding, for anyone */
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	hs_doctor_journal_stats(d, &entries, &matched);
	assert_int_equal(entries, 22);
	assert_int_equal(matched, 0);
	assert_true(has_note(d, "journal: 4 failed password checks of lux, trad followed by the home's activation within 5 min"));
	hs_doctor_free(d);
	assert_int_equal(run_export(ctx, text, &d, "lux", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	assert_true(has_note(d, "journal: 2 failed password checks of lux followed"));
	hs_doctor_free(d);
	/* the password typed wrong once, then right: still a login that worked */
	text[0] = '\0';
	wrong_login(text, sizeof(text), 100, "lux", 600);
	pam_login(text, sizeof(text), 130, "lux", 610);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

static void test_wrong_password(void **state)
{
	char text[16384] = "", m[256];
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	const hs_finding *f;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	/* as in the VM: smoke1 logs in, logs out, then is given a wrong password; lux logs in normally after */
	pam_login(text, sizeof(text), 55, "smoke1", 387);
	wrong_login(text, sizeof(text), 58, "smoke1", 397);
	pam_login(text, sizeof(text), 100, "lux", 607);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	f = hs_doctor_finding(d, 0);
	assert_string_equal(f->rule, "bad-password");
	assert_string_equal(f->user, "smoke1");
	assert_int_equal(f->count, 4); /* two tries, each a worker line and homed's */
	assert_non_null(strstr(f->evidence, "systemd-homed[278]: Activation failed: Required key not available"));
	assert_non_null(strstr(f->fix, "homectl inspect smoke1"));
	hs_doctor_free(d);
	assert_int_equal(run_export(ctx, text, &d, "lux", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	hs_doctor_free(d);

	/* a success later than the window does not undo the failure */
	text[0] = '\0';
	wrong_login(text, sizeof(text), 100, "ann", 500);
	pam_login(text, sizeof(text), 100 + 5 * 60 + 2, "ann", 510);
	assert_int_equal(run_export(ctx, text, &d, "ann", 0, NULL), 0);
	assert_int_equal(count_rule(d, "bad-password", "ann"), 1);
	assert_int_equal(hs_doctor_finding(d, 0)->count, 4);
	hs_doctor_free(d);

	/* an active home: a failed authentication also ends in "active", and is not a success */
	text[0] = '\0';
	jadd(text, sizeof(text), 10, "systemd-homed", 278, "bea: changing state active" ARROW "authenticating-for-acquire");
	jadd(text, sizeof(text), 10, "systemd-homework", 700, NONE_UNLOCK);
	jadd(text, sizeof(text), 11, "systemd-homed", 278, "Authentication failed: Required key not available");
	jadd(text, sizeof(text), 11, "systemd-homed", 278, "bea: changing state authenticating-for-acquire" ARROW "active");
	assert_int_equal(run_export(ctx, text, &d, "bea", 0, NULL), 0);
	assert_int_equal(count_rule(d, "bad-password", "bea"), 1);
	assert_int_equal(hs_doctor_finding(d, 0)->count, 1); /* "Authentication failed" has no row: the worker's line */
	hs_doctor_free(d);

	/* a failed deactivation leaves the home active: not a login either */
	text[0] = '\0';
	wrong_login(text, sizeof(text), 10, "cid", 800);
	jadd(text, sizeof(text), 12, "systemd-homed", 278, "cid: changing state active" ARROW "deactivating");
	snprintf(m, sizeof(m), "Deactivation of cid failed: Device or resource busy");
	jadd(text, sizeof(text), 13, "systemd-homed", 278, m);
	jadd(text, sizeof(text), 13, "systemd-homed", 278, "cid: changing state deactivating" ARROW "active");
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(count_rule(d, "bad-password", "cid"), 1);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

static void test_unnamed_not_attributed(void **state)
{
	char text[16384] = "";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	/* homed's and a worker's failure lines with no state change around them name nobody */
	jadd(text, sizeof(text), 10, "systemd-homework", 90, NONE_UNLOCK);
	jadd(text, sizeof(text), 11, "systemd-homed", 278, NOKEY);
	assert_int_equal(run_export(ctx, text, &d, "frank", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	hs_doctor_free(d);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(count_rule(d, "bad-password", NULL), 1);
	assert_int_equal(hs_doctor_finding(d, 0)->count, 2);
	assert_non_null(strstr(hs_doctor_finding(d, 0)->fix, "homectl activate USER"));
	hs_doctor_free(d);

	/* lux's failed first try is lux's, not frank's, also when frank has a finding of his own */
	text[0] = '\0';
	wrong_login(text, sizeof(text), 10, "lux", 600);
	jadd(text, sizeof(text), 20, "systemd-homed", 278, "frank: changing state inactive" ARROW "activating");
	jadd(text, sizeof(text), 20, "systemd-homework", 700, "Not enough disk space to fully allocate home.");
	jadd(text, sizeof(text), 21, "systemd-homed", 278, "Activation failed: No space left on device");
	jadd(text, sizeof(text), 21, "systemd-homed", 278, "frank: changing state activating" ARROW "inactive");
	assert_int_equal(run_export(ctx, text, &d, "frank", 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_string_equal(hs_doctor_finding(d, 0)->rule, "no-space");
	assert_string_equal(hs_doctor_finding(d, 0)->user, "frank");
	assert_int_equal(hs_doctor_finding(d, 0)->count, 2);
	assert_non_null(strstr(hs_doctor_finding(d, 0)->evidence, "Activation failed: No space left on device"));
	hs_doctor_free(d);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 2);
	assert_int_equal(count_rule(d, "bad-password", "lux"), 1);
	assert_int_equal(count_rule(d, "no-space", "frank"), 1);
	hs_doctor_free(d);

	/* a finding about homed as a whole (no user in its texts) is reported whoever is asked about */
	text[0] = '\0';
	jadd(text, sizeof(text), 10, "systemd-homed", 278, "Private key file is readable by more than the root user");
	assert_int_equal(run_export(ctx, text, &d, "frank", 0, NULL), 0);
	assert_int_equal(count_rule(d, "key-perms", NULL), 1);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

/* Two homes start an operation before either worker logs: a worker's line names neither, until its device does. */
static void test_concurrent_workers(void **state)
{
	char text[16384] = "";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	jadd(text, sizeof(text), 10, "systemd-homed", 278, "amy: changing state inactive" ARROW "activating");
	jadd(text, sizeof(text), 10, "systemd-homed", 278, "ben: changing state inactive" ARROW "activating");
	jadd(text, sizeof(text), 11, "systemd-homework", 41, "File system is corrupted, refusing.");
	jadd(text, sizeof(text), 11, "systemd-homework", 42, "Setting up LUKS device /dev/mapper/home-ben completed.");
	jadd(text, sizeof(text), 12, "systemd-homework", 42, "File system is corrupted, refusing.");
	/* 41 is then the only worker left for amy */
	jadd(text, sizeof(text), 13, "systemd-homework", 43, "No fsck for file system ext4 installed, ignoring.");
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(count_rule(d, "fs-dirty", NULL), 1);
	assert_int_equal(count_rule(d, "fs-dirty", "ben"), 1);
	assert_int_equal(count_rule(d, "fsck-missing", "amy"), 1);
	hs_doctor_free(d);
	/* a new boot ends every operation of the old one */
	text[0] = '\0';
	jadd(text, sizeof(text), 10, "systemd-homed", 278, "amy: changing state inactive" ARROW "activating");
	{
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n, "__REALTIME_TIMESTAMP=20000000\n" BOOT1 WORK
			 "_PID=41\nMESSAGE=File system is corrupted, refusing.\n\n");
	}
	assert_int_equal(run_export(ctx, text, &d, NULL, 1, NULL), 0);
	assert_int_equal(count_rule(d, "fs-dirty", NULL), 1);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

static char *slurp(const char *rel)
{
	char p[512];
	FILE *f;
	char *buf = calloc(1, 8192);

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "r");
	if (!f) {
		free(buf);
		return NULL;
	}
	if (fread(buf, 1, 8191, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void test_dropin(void **state)
{
	static const char text[] =
		"__REALTIME_TIMESTAMP=2000000\n" BOOT2 HOMED "_PID=1\nMESSAGE=gina: changing state creating \xe2\x86\x92 creating\n\n"
		"__REALTIME_TIMESTAMP=2000001\n" BOOT2 WORK "_PID=5\nMESSAGE=Device link /dev/disk/by-uuid/0c9b4a1e-2f5d-4d6e-9a0b-1c2d3e4f5a6b still hasn't shown up, giving up.\n\n"
		"__REALTIME_TIMESTAMP=2000002\n" BOOT2 HOMED "_PID=1\nMESSAGE=gina: changing state creating \xe2\x86\x92 absent\n\n";
	static const char *const vol1[] = { "/dev/vg/gina", NULL };
	static const char *const vol2[] = { "/dev/vg/gina", "/dev/vg/hank", NULL };
	static const char *const bad[] = { "/dev/vg/x y", NULL };
	static const char dropin[] = "etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	const char *path;
	char *got, *diff = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);

	/* no volume known: a finding, but nothing to write */
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_string_equal(hs_doctor_finding(d, 0)->rule, "absent-volume");
	assert_string_equal(hs_doctor_finding(d, 0)->user, "gina");
	assert_int_equal(hs_doctor_finding(d, 0)->count, 2);
	assert_int_equal(hs_doctor_dropin(d, &path), HS_DROPIN_NONE);
	assert_int_equal(hs_doctor_write(d, 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "--volume"));
	hs_doctor_free(d);

	assert_int_equal(run_export(ctx, text, &d, NULL, 0, bad), -EINVAL);

	/* new file */
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, vol1), 0);
	assert_non_null(strstr(hs_doctor_finding(d, 0)->fix, "kpartx -av /dev/vg/gina"));
	assert_int_equal(hs_doctor_dropin(d, &path), HS_DROPIN_NEW);
	assert_string_equal(path, "/etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf");
	assert_int_equal(hs_doctor_write(d, 0), 0);
	hs_doctor_free(d);
	got = slurp(dropin);
	assert_non_null(got);
	assert_non_null(strstr(got, "# Written by homesetup doctor"));
	assert_non_null(strstr(got, "\n[Service]\nExecStartPre=-/sbin/kpartx -av /dev/vg/gina\n"));
	free(got);

	/* ours, current */
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, vol1), 0);
	assert_int_equal(hs_doctor_dropin(d, NULL), HS_DROPIN_CURRENT);
	assert_int_equal(hs_doctor_write(d, 0), 1);
	hs_doctor_free(d);

	/* ours, updated: a line added by hand is kept */
	got = slurp(dropin);
	{
		char *more = malloc(strlen(got) + 64);

		sprintf(more, "%sEnvironment=FOO=1\n", got);
		write_file(dropin, more);
		free(more);
	}
	free(got);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, vol2), 0);
	assert_int_equal(hs_doctor_dropin(d, NULL), HS_DROPIN_UPDATE);
	assert_int_equal(hs_doctor_dropin_diff(d, &diff), 0);
	assert_non_null(strstr(diff, "+ExecStartPre=-/sbin/kpartx -av /dev/vg/hank\n"));
	free(diff);
	assert_int_equal(hs_doctor_write(d, 0), 0);
	hs_doctor_free(d);
	got = slurp(dropin);
	assert_non_null(strstr(got, "kpartx -av /dev/vg/gina\nEnvironment=FOO=1\nExecStartPre=-/sbin/kpartx -av /dev/vg/hank\n"));
	free(got);

	/* foreign: refused, left byte for byte */
	write_file(dropin, "[Service]\nExecStartPre=/bin/true\n");
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, vol1), 0);
	assert_int_equal(hs_doctor_dropin(d, NULL), HS_DROPIN_FOREIGN);
	assert_int_equal(hs_doctor_write(d, 0), -EEXIST);
	assert_int_equal(hs_doctor_dropin_diff(d, &diff), 0);
	assert_non_null(strstr(diff, "+ExecStartPre=-/sbin/kpartx -av /dev/vg/gina"));
	assert_non_null(strstr(diff, "-ExecStartPre=/bin/true"));
	free(diff);
	hs_doctor_free(d);
	got = slurp(dropin);
	assert_string_equal(got, "[Service]\nExecStartPre=/bin/true\n");
	free(got);
	hs_ctx_free(ctx);
}

static void test_absent_image(void **state)
{
	static const char text[] =
		"__REALTIME_TIMESTAMP=2000002\n" BOOT2 HOMED "_PID=1\nMESSAGE=ivy: changing state inactive -> absent\n\n";
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;

	write_file("var/lib/systemd/home/ivy.identity", "{\"userName\":\"ivy\",\"imagePath\":\"/mnt/usb/ivy.home\"}");
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	assert_int_equal(run_export(ctx, text, &d, NULL, 0, NULL), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_string_equal(hs_doctor_finding(d, 0)->rule, "absent-image");
	assert_non_null(strstr(hs_doctor_finding(d, 0)->fix, "findmnt --target /mnt/usb/ivy.home"));
	assert_int_equal(hs_doctor_dropin(d, NULL), HS_DROPIN_NONE);
	hs_doctor_free(d);
	hs_ctx_free(ctx);
}

static void test_parse_time(void **state)
{
	const uint64_t now = 1714564800ULL * 1000000; /* 2024-05-01 12:00:00 UTC */
	hs_ctx *ctx = NULL;
	uint64_t t;

	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_doctor_parse_time(ctx, "@1714564800", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(hs_doctor_parse_time(ctx, "2024-05-01", now, &t), 0);
	assert_true(t == now - 12 * 3600000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "2024-05-01 11:30", now, &t), 0);
	assert_true(t == now - 1800000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "2024-05-01T11:30:15", now, &t), 0);
	assert_true(t == now - 1785000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "-2h", now, &t), 0);
	assert_true(t == now - 7200000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "30min ago", now, &t), 0);
	assert_true(t == now - 1800000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "-1d 2h", now, &t), 0);
	assert_true(t == now - 26 * 3600000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "yesterday", now, &t), 0);
	assert_true(t == now - 36 * 3600000000ULL);
	assert_int_equal(hs_doctor_parse_time(ctx, "now", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(hs_doctor_parse_time(ctx, "2024-13-01", now, &t), -EINVAL);
	assert_int_equal(hs_doctor_parse_time(ctx, "-2x", now, &t), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "'-2x' at column 3"));
	assert_int_equal(hs_doctor_parse_time(ctx, "2024-05-01 12:00junk", now, &t), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "column 17"));
	assert_int_equal(hs_doctor_parse_time(ctx, "", now, &t), -EINVAL);
	assert_int_equal(hs_doctor_parse_time(ctx, "5", now, &t), -EINVAL);
	hs_ctx_free(ctx);
}

/* ---- homekeys.c: pure parts ---- */

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256(void **state)
{
	uint8_t d[32];
	char h[65], *fp = NULL;
	char *million = malloc(1000000);

	hs_sha256("", 0, d);
	hex(d, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hs_sha256("abc", 3, d);
	hex(d, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hs_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	hs_sha256(million, 1000000, d);
	hex(d, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
	assert_int_equal(hs_keys_fingerprint("abc", 3, &fp), 0);
	assert_string_equal(fp, "SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(fp);
}

static void test_signable_text(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"userName\":\"a\",\"signature\":[{\"data\":\"x\"}],\"binding\":{\"m\":{}},\"status\":{},\"secret\":{},"
		"\"privileged\":{\"hashedPassword\":[\"$6$x\"]},\"disposition\":\"regular\","
		"\"perMachine\":[{\"zz\":1,\"aa\":[true,null,-5]}],\"realName\":\"Ann \\\"A\\\"\\n\\u0001\\\\ \\u00e9\","
		"\"uid\":60001,\"lastChangeUSec\":18446744073709551615}");
	char *t;

	assert_non_null(o);
	t = hs_record_signable_text(o);
	assert_non_null(t);
	assert_string_equal(t, "{\"disposition\":\"regular\",\"lastChangeUSec\":18446744073709551615,"
			       "\"perMachine\":[{\"aa\":[true,null,-5],\"zz\":1}],"
			       "\"privileged\":{\"hashedPassword\":[\"$6$x\"]},"
			       "\"realName\":\"Ann \\\"A\\\"\\n\\u0001\\\\ \xc3\xa9\",\"uid\":60001,\"userName\":\"a\"}");
	free(t);
	json_object_put(o);
	o = json_tokener_parse("[1]");
	assert_null(hs_record_signable_text(o));
	json_object_put(o);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rules_covered),
		cmocka_unit_test(test_binary_and_long),
		cmocka_unit_test(test_export_parse),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_no_space_and_record),
		cmocka_unit_test(test_space_text),
		cmocka_unit_test(test_pam_login),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_unnamed_not_attributed),
		cmocka_unit_test(test_concurrent_workers),
		cmocka_unit_test(test_dropin),
		cmocka_unit_test(test_absent_image),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_signable_text),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
