/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pam.c: the Linux-PAM line parser and control semantics, and the `pam` checks on temp roots: system-auth as
 * pambase[homed] renders it (gentoo/pambase templates), every way the pam_systemd_home.so lines can be missing
 * or misplaced, pambase's winbind layout, the module, pending ._cfg updates, missing and unreadable files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "homesetupP.h"
#include "probe_fixture.h"

/* pambase.py --systemd --homed --passwdqc --nullok --encrypt yescrypt (portage-facts.md §1.3) */
static const char pambase_homed[] =
	"auth\t\trequired\tpam_env.so\n"
	"auth\t\trequisite\tpam_faillock.so preauth\n"
	"auth\t\t[success=2 default=ignore]\tpam_systemd_home.so\n"
	"auth\t\t[success=1 new_authtok_reqd=1 ignore=ignore default=bad]\tpam_unix.so nullok  try_first_pass\n"
	"auth\t\t[default=die]\tpam_faillock.so authfail\n"
	"account\t\t[success=1 default=ignore]\tpam_systemd_home.so\n"
	"account\t\trequired\tpam_unix.so\n"
	"account\t\trequired\tpam_faillock.so\n"
	"password\trequired\tpam_passwdqc.so config=/etc/security/passwdqc.conf\n"
	"password\t[success=1 default=ignore]\tpam_systemd_home.so\n"
	"password\trequired\tpam_unix.so try_first_pass shadow use_authtok nullok yescrypt\n"
	"session\t\trequired\tpam_limits.so\n"
	"session\t\trequired\tpam_env.so\n"
	"session\t\t[success=1 default=ignore]\tpam_systemd_home.so\n"
	"session\t\trequired\tpam_unix.so\n";

/* the same without --homed (the demo root's file) */
static const char pambase_plain[] =
	"auth\t\trequired\tpam_env.so\n"
	"auth\t\trequisite\tpam_faillock.so preauth\n"
	"auth\t\t[success=1 new_authtok_reqd=1 ignore=ignore default=bad]\tpam_unix.so nullok  try_first_pass\n"
	"auth\t\t[default=die]\tpam_faillock.so authfail\n"
	"account\t\trequired\tpam_unix.so\n"
	"account\t\trequired\tpam_faillock.so\n"
	"password\trequired\tpam_unix.so try_first_pass shadow use_authtok nullok yescrypt\n"
	"session\t\trequired\tpam_unix.so\n";

/* pambase's newer template with winbind (templates/system-auth.tpl, homed and winbind on) */
static const char pambase_winbind[] =
	"auth\t\trequired\tpam_env.so\n"
	"auth\t\trequisite\tpam_faillock.so preauth\n"
	"auth\t\t[success=3 default=ignore]\tpam_systemd_home.so\n"
	"auth\t\t[success=2 default=ignore]\tpam_unix.so try_first_pass\n"
	"auth\t\t[success=1 default=ignore]\tpam_winbind.so use_first_pass\n"
	"auth\t\t[default=die]\tpam_faillock.so authfail\n"
	"account\t\t[success=2 default=ignore]\tpam_systemd_home.so\n"
	"account\t\t[success=1 default=ignore]\tpam_winbind.so\n"
	"account\t\trequired\tpam_unix.so\n"
	"account\t\trequired\tpam_faillock.so\n"
	"password\t\t[success=1 default=ignore]\tpam_systemd_home.so\n"
	"password\t\trequired\tpam_unix.so try_first_pass use_authtok sha512 shadow\n"
	"password\t\trequired\tpam_winbind.so use_authtok\n"
	"session\t\t[success=1 default=ignore]\tpam_systemd_home.so\n"
	"session\t\trequired\tpam_unix.so\n";

/* ---- parser ------------------------------------------------------------------------------------------- */

static void test_parse(void **state)
{
	static const char text[] =
		"# comment\n"
		"  AUTH   Required  pam_env.so  debug  # trailing comment\n"
		"-session optional pam_systemd.so\n"
		"auth [success=2 new_authtok_reqd=ok\\\n"
		"      default=ignore] /lib64/security/pam_systemd_home.so\n"
		"account include system-login\n"
		"@include common-auth\n"
		"auth bogus pam_x.so\n"
		"auth [success=x] pam_y.so\n"
		"auth\n";
	hs_pam_conf pc;

	assert_int_equal(hs_pam_parse(NULL, "/etc/pam.d/x", text, sizeof(text) - 1, &pc), 0);
	assert_int_equal(pc.n, 8);
	assert_string_equal(pc.v[0].type, "auth");
	assert_string_equal(pc.v[0].control, "Required");
	assert_string_equal(pc.v[0].module, "pam_env.so");
	assert_string_equal(pc.v[0].args, "debug");
	assert_int_equal(pc.v[0].line, 2);
	assert_true(pc.v[1].dash);
	assert_string_equal(pc.v[1].type, "session");
	/* a continued line: one logical line, numbered by its first line */
	assert_int_equal(pc.v[2].line, 4);
	assert_string_equal(pc.v[2].module, "/lib64/security/pam_systemd_home.so");
	assert_int_equal(hs_pam_action(&pc.v[2], "success"), 2);
	assert_int_equal(hs_pam_action(&pc.v[2], "new_authtok_reqd"), HS_PAM_OK);
	assert_int_equal(hs_pam_action(&pc.v[2], "user_unknown"), HS_PAM_IGNORE);
	assert_true(pc.v[3].include);
	assert_true(pc.v[4].include);
	assert_true(pc.v[5].bad);
	assert_true(pc.v[6].bad);
	assert_int_equal(pc.v[6].bad_column, 15);
	assert_true(pc.v[7].bad);
	/* the keywords */
	assert_int_equal(hs_pam_action(&pc.v[0], "success"), HS_PAM_OK);
	assert_int_equal(hs_pam_action(&pc.v[0], "user_unknown"), HS_PAM_BAD);
	assert_int_equal(hs_pam_action(&pc.v[1], "success"), HS_PAM_OK);
	assert_int_equal(hs_pam_action(&pc.v[1], "auth_err"), HS_PAM_IGNORE);
	hs_pam_conf_free(&pc);

	{
		static const char t2[] = "auth sufficient pam_unix.so\nauth requisite pam_deny.so\nauth [success=ok] x.so";

		assert_int_equal(hs_pam_parse(NULL, "p", t2, sizeof(t2) - 1, &pc), 0);
		assert_int_equal(hs_pam_action(&pc.v[0], "success"), HS_PAM_DONE);
		assert_int_equal(hs_pam_action(&pc.v[0], "auth_err"), HS_PAM_IGNORE);
		assert_int_equal(hs_pam_action(&pc.v[1], "auth_err"), HS_PAM_DIE);
		/* a bracket without default: values not listed are "bad" */
		assert_int_equal(hs_pam_action(&pc.v[2], "user_unknown"), HS_PAM_BAD);
		hs_pam_conf_free(&pc);
	}
}

/* ---- the checks --------------------------------------------------------------------------------------- */

static void setup_system(fixture *f, const char *system_auth)
{
	fx_write(f, "/etc/pam.d/system-auth", system_auth);
	fx_write(f, "/etc/pam.d/login", "auth include system-local-login\n");
	fx_write(f, "/lib64/security/pam_systemd_home.so", "ELF");
	fx_installed(f, "sys-auth/pambase-20251104-r1", "homed passwdqc systemd yescrypt\n");
}

static void test_check_ok(void **state)
{
	fixture *f = *state;

	setup_system(f, pambase_homed);
	fx_run(f, "pam");
	assert_int_equal(hs_report_count(f->rep), 3);
	fx_expect(f, "pam.system-auth", HS_CHECK_OK, "auth: line 3, before pam_unix.so (line 4), jumps past it");
	fx_expect(f, "pam.module", HS_CHECK_OK, "/lib64/security/pam_systemd_home.so");
	fx_expect(f, "pam.pending-update", HS_CHECK_OK, NULL);

	setup_system(f, pambase_winbind);
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_OK, NULL);

	/* upstream's example: "sufficient" ends the stack for homed users */
	setup_system(f, "-auth sufficient pam_systemd_home.so\nauth required pam_unix.so\n"
		     "-account sufficient pam_systemd_home.so\naccount required pam_unix.so\n"
		     "-password sufficient pam_systemd_home.so\npassword required pam_unix.so\n"
		     "-session optional pam_systemd_home.so\n");
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_OK, "ends the stack for homed users");
}

static void test_check_missing_lines(void **state)
{
	fixture *f = *state;

	/* pambase built without homed: enable the flag */
	setup_system(f, pambase_plain);
	fx_installed(f, "sys-auth/pambase-20251104-r1", "passwdqc systemd yescrypt\n");
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "no pam_systemd_home.so lines (auth, account, password, "
		  "session)");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "echo 'sys-auth/pambase homed' >> "
		  "/etc/portage/package.use/systemd-homed && emerge --ask --oneshot --changed-use sys-auth/pambase && "
		  "dispatch-conf");

	/* pambase built with homed, but the file lacks the lines: it was edited */
	fx_installed(f, "sys-auth/pambase-20251104-r1", "homed passwdqc systemd yescrypt\n");
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "put pambase's lines back");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "auth\t\t[success=2 default=ignore]\tpam_systemd_home.so");

	/* not installed at all */
	fx_rm(f, "/var/db/pkg/sys-auth");
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "emerge --ask --changed-use sys-auth/pambase");

	/* Portage's update is waiting: merge it */
	fx_write(f, "/etc/pam.d/._cfg0000_system-auth", pambase_homed);
	fx_run(f, "pam");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "dispatch-conf (or etc-update): Portage's update "
		  "/etc/pam.d/._cfg0000_system-auth has the pam_systemd_home.so lines");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "is waiting to be merged");
	fx_expect(f, "pam.pending-update", HS_CHECK_WARN, "dispatch-conf");

	/* one stack only */
	fx_rm(f, "/etc/pam.d/._cfg0000_system-auth");
	{
		char buf[2048];
		char *p;

		snprintf(buf, sizeof(buf), "%s", pambase_homed);
		p = strstr(buf, "session\t\t[success=1");
		*p = '\0';
		strcat(buf, "session\t\trequired\tpam_unix.so\n");
		fx_write(f, "/etc/pam.d/system-auth", buf);
	}
	fx_run(f, "pam.system-auth");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "/etc/pam.d/system-auth: session: no pam_systemd_home.so line");
}

static void test_check_misplaced(void **state)
{
	static const struct {
		const char *text;
		hs_check_status st;
		const char *needle;
	} cases[] = {
		/* one jump short: lands on "pam_faillock.so authfail", which fails every homed login */
		{ "auth [success=1 default=ignore] pam_systemd_home.so\n"
		  "auth [success=1 new_authtok_reqd=1 ignore=ignore default=bad] pam_unix.so\n"
		  "auth [default=die] pam_faillock.so authfail\n", HS_CHECK_FAIL,
		  "lands on line 3 ('[default=die] pam_faillock.so'), which pam_unix.so itself skips on success: use "
		  "success=2" },
		/* lands on pam_unix itself */
		{ "auth [success=1 default=ignore] pam_systemd_home.so\nauth optional pam_x.so\n"
		  "auth required pam_unix.so\n", HS_CHECK_FAIL, "lands on line 3 (pam_unix.so), before pam_unix.so is "
		  "skipped" },
		/* after pam_unix, whose failure is final */
		{ "auth [success=1 new_authtok_reqd=1 ignore=ignore default=bad] pam_unix.so\n"
		  "auth [success=1 default=ignore] pam_systemd_home.so\nauth [default=die] pam_faillock.so authfail\n",
		  HS_CHECK_FAIL, "comes after pam_unix.so (line 1), whose failure is final" },
		/* after a sufficient pam_unix: works, not pambase's way */
		{ "auth sufficient pam_unix.so\n-auth sufficient pam_systemd_home.so\nauth required pam_deny.so\n",
		  HS_CHECK_WARN, "pambase puts it right before" },
		/* required: refuses every user homed does not know */
		{ "auth required pam_systemd_home.so\nauth required pam_unix.so\n", HS_CHECK_FAIL,
		  "refuses every user that homed does not manage" },
		{ "auth [success=2 default=bad] pam_systemd_home.so\nauth required pam_unix.so\n", HS_CHECK_FAIL,
		  "PAM_USER_UNKNOWN → bad" },
		/* jump to pam_deny */
		{ "auth [success=1 default=ignore] pam_systemd_home.so\nauth sufficient pam_unix.so\n"
		  "auth requisite pam_deny.so\n", HS_CHECK_FAIL, "jumps to pam_deny.so (line 3)" },
		/* optional: pam_unix runs after it */
		{ "auth optional pam_systemd_home.so\nauth required pam_unix.so\n", HS_CHECK_WARN,
		  "pam_unix.so (line 2) runs too" },
		/* jumps past the end */
		{ "auth [success=5 default=ignore] pam_systemd_home.so\nauth required pam_unix.so\n", HS_CHECK_WARN,
		  "past the end of the auth stack" },
		/* an include in between cannot be counted */
		{ "auth [success=2 default=ignore] pam_systemd_home.so\nauth include system-login\n"
		  "auth required pam_unix.so\n", HS_CHECK_WARN, "crosses 'auth include system-login' on line 2" },
		/* a control PAM cannot parse */
		{ "auth [success=two default=ignore] pam_systemd_home.so\nauth required pam_unix.so\n", HS_CHECK_FAIL,
		  "PAM cannot parse" },
	};
	fixture *f = *state;
	static const char rest[] = "account [success=1 default=ignore] pam_systemd_home.so\naccount required pam_unix.so\n"
				   "password [success=1 default=ignore] pam_systemd_home.so\npassword required pam_unix.so\n"
				   "session [success=1 default=ignore] pam_systemd_home.so\nsession required pam_unix.so\n";

	setup_system(f, pambase_homed);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char buf[4096];

		snprintf(buf, sizeof(buf), "%s%s", cases[i].text, rest);
		fx_write(f, "/etc/pam.d/system-auth", buf);
		fx_run(f, "pam.system-auth");
		fx_expect(f, "pam.system-auth", cases[i].st, cases[i].needle);
	}
}

static int run_as_nobody(fixture *f)
{
	const char *only[] = { "pam.system-auth", NULL };
	hs_check_options o = { .no_bus = true, .only = only };
	hs_report *rep = NULL;
	int st;

	if (hs_check_run(f->ctx, &rep, &o) < 0 || hs_report_count(rep) != 1)
		return 90;
	st = hs_report_get(rep, 0)->status;
	if (!strstr(hs_report_get(rep, 0)->summary, "cannot read /etc/pam.d/system-auth"))
		st = 91;
	hs_report_free(rep);
	return st;
}

static void test_check_missing_and_unreadable(void **state)
{
	fixture *f = *state;
	int st;

	setup_system(f, pambase_homed);
	fx_rm(f, "/etc/pam.d/system-auth");
	fx_run(f, "pam");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "/etc/pam.d/system-auth is missing");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "put pambase's lines back");

	fx_write_n(f, "/etc/pam.d/system-auth", pambase_homed, SIZE_MAX, 0600);
	st = fx_as_nobody(f, run_as_nobody);
	if (st < 0) {
		chmod(fx_path(f, "/etc/pam.d/system-auth", (char[4096]){0}, 4096), 0);
		fx_run(f, "pam.system-auth");
		st = (int)fx_result(f, "pam.system-auth")->status;
	}
	assert_int_equal(st, HS_CHECK_SKIP);

	/* no /etc/pam.d at all */
	fx_rm(f, "/etc/pam.d");
	fx_run(f, "pam");
	fx_expect(f, "pam.system-auth", HS_CHECK_FAIL, "is missing");
	fx_expect(f, "pam.pending-update", HS_CHECK_SKIP, "there is no /etc/pam.d");
}

static void test_check_module_and_pending(void **state)
{
	fixture *f = *state;

	setup_system(f, pambase_homed);
	fx_rm(f, "/lib64/security/pam_systemd_home.so");
	fx_run(f, "pam");
	fx_expect(f, "pam.module", HS_CHECK_FAIL, "USE=\"homed pam\"");
	fx_write(f, "/usr/lib/security/pam_systemd_home.so", "ELF");
	fx_run(f, "pam.module");
	fx_expect(f, "pam.module", HS_CHECK_OK, "/usr/lib/security/pam_systemd_home.so");

	fx_write(f, "/etc/pam.d/._cfg0001_login", "x\n");
	fx_write(f, "/etc/pam.d/._cfg0000_system-auth", pambase_homed);
	fx_write(f, "/etc/pam.d/._cfgXXXX_sshd", "not Portage's\n");
	fx_write(f, "/etc/pam.d/._cfg0002", "too short\n");
	fx_run(f, "pam");
	fx_expect(f, "pam.pending-update", HS_CHECK_WARN, "2 PAM configuration updates from Portage are waiting");
	fx_expect(f, "pam.pending-update", HS_CHECK_WARN, "/etc/pam.d/._cfg0000_system-auth\n/etc/pam.d/._cfg0001_login");
	fx_expect(f, "pam.pending-update", HS_CHECK_WARN, "etc-update");
	/* the file in place is fine; the pending update is mentioned */
	fx_expect(f, "pam.system-auth", HS_CHECK_OK, "._cfg0000_system-auth is waiting to be merged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_check_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_missing_lines, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_misplaced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_missing_and_unreadable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_module_and_pending, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
