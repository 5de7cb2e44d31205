/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keys.c: the `keys` checks against what homed-manager.c accepts: no key yet (before and after homed ran), a
 * lost key with registered homes, a private key homed refuses (mode, owner, type, contents), the wiki's wrong
 * file names, the search order of the key directories, and foreign *.public keys (accepted, refused, masked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "homesetupP.h"
#include "probe_fixture.h"

static const char priv_pem[] = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB2kIhGvQJ2lrExampleOnlyNotAKey00000\n"
			       "-----END PRIVATE KEY-----\n";
static const char pub_pem[] = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAExampleOnlyNotAKey0000000000000000000000=\n"
			      "-----END PUBLIC KEY-----\n";

static void own(fixture *f, const char *rel, uid_t uid)
{
	char p[4096];

	assert_int_equal(lchown(fx_path(f, rel, p, sizeof(p)), uid, (gid_t)-1), 0);
}

static void test_local_absent(void **state)
{
	fixture *f = *state;

	fx_run(f, "keys");
	fx_expect(f, "keys.local", HS_CHECK_OK, "homed has not run here");
	fx_expect(f, "keys.foreign", HS_CHECK_OK, "no public keys of other machines");

	fx_mkdir(f, "/var/lib/systemd/home", 0700);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_OK, "when it creates the first home");

	/* homes are registered, but the key that signed them is gone */
	fx_write(f, "/var/lib/systemd/home/alice.identity", "{}\n");
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "1 home record in /var/lib/systemd/home but no local.private");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "old-local.public");
}

static void test_local_ok(void **state)
{
	fixture *f = *state;
	const hs_check_result *r;

	/* as homed writes them: both 0600 */
	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0600);
	fx_write_n(f, "/var/lib/systemd/home/local.public", pub_pem, SIZE_MAX, 0600);
	fx_run(f, "keys.local");
	r = fx_expect(f, "keys.local", HS_CHECK_OK, "signing key /var/lib/systemd/home/local.private: root-owned, "
		      "mode 0600");
	assert_null(r->detail);
	/* 0400 is fine too; a missing local.public is only a note */
	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0400);
	fx_rm(f, "/var/lib/systemd/home/local.public");
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_OK, "openssl pkey -in /var/lib/systemd/home/local.private -pubout");
	/* a world-writable local.public: homed ignores it, but it is what other machines get */
	fx_write_n(f, "/var/lib/systemd/home/local.public", pub_pem, SIZE_MAX, 0666);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "chmod 0644 /var/lib/systemd/home/local.public");
}

static void test_local_refused(void **state)
{
	fixture *f = *state;

	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0640);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "systemd-homed refuses to start");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "chown root:root /var/lib/systemd/home/local.private && chmod 0600 "
		  "/var/lib/systemd/home/local.private && systemctl restart systemd-homed");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "mode 0640");

	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0600);
	own(f, "/var/lib/systemd/home/local.private", 1000);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "not owned by root");

	fx_write_n(f, "/var/lib/systemd/home/local.private", "garbage\n", SIZE_MAX, 0600);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "is not a PEM private key");

	fx_rm(f, "/var/lib/systemd/home/local.private");
	fx_mkdir(f, "/var/lib/systemd/home/local.private", 0700);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "not a regular file");
	fx_rm(f, "/var/lib/systemd/home/local.private");

	/* /etc/systemd/home comes first: a bad key there wins over a good one in /var/lib */
	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0600);
	fx_write_n(f, "/etc/systemd/home/local.private", priv_pem, SIZE_MAX, 0644);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_FAIL, "/etc/systemd/home/local.private is readable or writable by group "
		  "or others");
}

static void test_local_wiki_names(void **state)
{
	fixture *f = *state;

	fx_write_n(f, "/var/lib/systemd/home/private.local", priv_pem, SIZE_MAX, 0600);
	fx_write_n(f, "/var/lib/systemd/home/public.local", pub_pem, SIZE_MAX, 0644);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "a private key is stored as /var/lib/systemd/home/private.local, a "
		  "name homed does not read");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "mv /var/lib/systemd/home/private.local "
		  "/var/lib/systemd/home/local.private");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "come from the Gentoo wiki");

	fx_write_n(f, "/var/lib/systemd/home/local.private", priv_pem, SIZE_MAX, 0600);
	fx_write_n(f, "/var/lib/systemd/home/local.public", pub_pem, SIZE_MAX, 0644);
	fx_run(f, "keys.local");
	fx_expect(f, "keys.local", HS_CHECK_WARN, "rm /var/lib/systemd/home/private.local "
		  "/var/lib/systemd/home/public.local");
}

static int run_local_as_nobody(fixture *f)
{
	const char *only[] = { "keys.local", NULL };
	hs_check_options o = { .no_bus = true, .only = only };
	hs_report *rep = NULL;
	int st;

	if (hs_check_run(f->ctx, &rep, &o) < 0 || hs_report_count(rep) != 1)
		return 90;
	st = hs_report_get(rep, 0)->status;
	if (!strstr(hs_report_get(rep, 0)->summary, "cannot look at"))
		st = 91;
	hs_report_free(rep);
	return st;
}

static void test_local_unreadable(void **state)
{
	fixture *f = *state;
	int st;

	/* /etc/systemd/home unreadable: the search cannot go on */
	fx_write_n(f, "/etc/systemd/home/local.private", priv_pem, SIZE_MAX, 0600);
	fx_mkdir(f, "/etc/systemd/home", 0700);
	st = fx_as_nobody(f, run_local_as_nobody);
	if (st < 0)
		skip();
	assert_int_equal(st, HS_CHECK_SKIP);
}

static void test_foreign(void **state)
{
	fixture *f = *state;

	fx_write_n(f, "/var/lib/systemd/home/local.public", pub_pem, SIZE_MAX, 0666); /* not a foreign key */
	fx_write_n(f, "/var/lib/systemd/home/laptop.public", pub_pem, SIZE_MAX, 0644);
	fx_write_n(f, "/usr/lib/systemd/home/vendor.public", pub_pem, SIZE_MAX, 0444);
	fx_run(f, "keys.foreign");
	fx_expect(f, "keys.foreign", HS_CHECK_OK, "2 public keys of other machines trusted");
	fx_expect(f, "keys.foreign", HS_CHECK_OK, "/var/lib/systemd/home/laptop.public: trusted");

	/* refused: group-writable, not root's, not PEM */
	fx_write_n(f, "/var/lib/systemd/home/laptop.public", pub_pem, SIZE_MAX, 0664);
	fx_run(f, "keys.foreign");
	fx_expect(f, "keys.foreign", HS_CHECK_FAIL, "1 public key homed refuses to trust (first: "
		  "/var/lib/systemd/home/laptop.public)");
	fx_expect(f, "keys.foreign", HS_CHECK_FAIL, "chown root:root /var/lib/systemd/home/laptop.public && chmod 0644");
	fx_write_n(f, "/var/lib/systemd/home/laptop.public", pub_pem, SIZE_MAX, 0644);
	own(f, "/var/lib/systemd/home/laptop.public", 1000);
	fx_write_n(f, "/run/systemd/home/desk.public", "not a key\n", SIZE_MAX, 0644);
	fx_run(f, "keys.foreign");
	fx_expect(f, "keys.foreign", HS_CHECK_FAIL, "2 public keys");
	fx_expect(f, "keys.foreign", HS_CHECK_FAIL, "laptop.public: not owned by root");
	fx_expect(f, "keys.foreign", HS_CHECK_FAIL, "replace /run/systemd/home/desk.public with the other machine's "
		  "local.public");

	/* an earlier directory masks the same name: a good /etc copy hides the bad one */
	fx_write_n(f, "/etc/systemd/home/laptop.public", pub_pem, SIZE_MAX, 0644);
	fx_rm(f, "/run/systemd/home/desk.public");
	fx_run(f, "keys.foreign");
	fx_expect(f, "keys.foreign", HS_CHECK_OK, "/etc/systemd/home/laptop.public: trusted");
	/* … and a link to /dev/null masks it away */
	fx_rm(f, "/etc/systemd/home/laptop.public");
	{
		char p[4096];

		assert_int_equal(symlink("/dev/null", fx_path(f, "/etc/systemd/home/laptop.public", p, sizeof(p))), 0);
	}
	fx_run(f, "keys.foreign");
	fx_expect(f, "keys.foreign", HS_CHECK_OK, "1 public key of other machines");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_absent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_wiki_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_unreadable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
