/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nss.c: the nsswitch.conf parser against glibc's rules (nss_database.c, nss_action_parse.c), the judgement of a
 * line, and the `nss` checks on temp roots in every state (ok, each failure, missing file, unreadable file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "homesetupP.h"
#include "probe_fixture.h"

static const hs_nss_line *parse1(hs_nsswitch *nss, const char *text)
{
	assert_int_equal(hs_nsswitch_parse(NULL, text, strlen(text), nss), 0);
	assert_int_equal(nss->n, 1);
	return &nss->v[0];
}

/* ---- parser ------------------------------------------------------------------------------------------- */

static void test_parse_services_and_criteria(void **state)
{
	hs_nsswitch nss;
	const hs_nss_line *l = parse1(&nss, "  hosts:\tmymachines resolve [!UNAVAIL=return] files myhostname dns\n");

	assert_string_equal(l->db, "hosts");
	assert_true(l->known);
	assert_int_equal(l->line, 1);
	assert_int_equal(l->n, 5);
	assert_string_equal(l->v[1].name, "resolve");
	assert_int_equal(l->v[1].column, 21);
	/* "!UNAVAIL=return": every status returns except UNAVAIL, which keeps continue */
	assert_int_equal(l->v[1].action[HS_NSS_SUCCESS], HS_NSS_RETURN);
	assert_int_equal(l->v[1].action[HS_NSS_NOTFOUND], HS_NSS_RETURN);
	assert_int_equal(l->v[1].action[HS_NSS_TRYAGAIN], HS_NSS_RETURN);
	assert_int_equal(l->v[1].action[HS_NSS_UNAVAIL], HS_NSS_CONTINUE);
	assert_string_equal(l->v[1].criteria, "[!UNAVAIL=return]");
	assert_int_equal(l->v[1].criteria_column, 29);
	/* the defaults */
	assert_int_equal(l->v[2].action[HS_NSS_SUCCESS], HS_NSS_RETURN);
	assert_int_equal(l->v[2].action[HS_NSS_NOTFOUND], HS_NSS_CONTINUE);
	assert_null(l->v[2].criteria);
	hs_nsswitch_free(&nss);

	/* several pairs, any case, blanks inside, no blank before '[' */
	l = parse1(&nss, "group: files[ success = MERGE  notfound=Continue ] systemd");
	assert_int_equal(l->n, 2);
	assert_string_equal(l->v[0].name, "files");
	assert_int_equal(l->v[0].action[HS_NSS_SUCCESS], HS_NSS_MERGE);
	assert_int_equal(l->v[0].action[HS_NSS_NOTFOUND], HS_NSS_CONTINUE);
	assert_null(l->error);
	hs_nsswitch_free(&nss);

	/* the colon is optional for glibc, several are fine */
	l = parse1(&nss, "passwd files systemd");
	assert_string_equal(l->db, "passwd");
	assert_int_equal(l->n, 2);
	hs_nsswitch_free(&nss);
	l = parse1(&nss, "passwd::: files");
	assert_int_equal(l->n, 1);
	hs_nsswitch_free(&nss);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "passwd: files [NOTFOND=return] systemd", "unknown status 'NOTFOND' at column 16" },
		{ "passwd: files [NOTFOUND=retrun] systemd", "unknown action 'retrun' at column 25" },
		{ "passwd: files [NOTFOUND return] systemd", "missing '=' after 'NOTFOUND' at column 25" },
		{ "passwd: files [NOTFOUND=return systemd", "unknown status 'systemd'" },
		{ "passwd: files [NOTFOUND=return", "'[' at column 15 is not closed" },
		{ "passwd: files [] systemd", "missing status at column 16" },
		{ "passwd: files [=return]", "missing status at column 16" },
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		hs_nsswitch nss;
		const hs_nss_line *l = parse1(&nss, bad[i].text);

		if (!l->error || !strstr(l->error, bad[i].msg))
			fail_msg("'%s': error '%s', want '%s'", bad[i].text, l->error ? l->error : "(none)", bad[i].msg);
		hs_nsswitch_free(&nss);
	}
}

static void test_parse_edges(void **state)
{
	static const char text[] = "# comment\n\n   \npasswd: files # systemd\nsudoers: files\n"
				   "group: [NOTFOUND=return] files systemd\nshadow:\nbogus\nnetgroup: nis\0junk\n"
				   "passwd: compat systemd";
	hs_nsswitch nss;

	assert_int_equal(hs_nsswitch_parse(NULL, text, sizeof(text) - 1, &nss), 0);
	assert_int_equal(nss.n, 6);
	/* comment: systemd is not a service */
	assert_int_equal(nss.v[0].n, 1);
	assert_string_equal(nss.v[0].comment, "# systemd");
	assert_int_equal(nss.v[0].comment_column, 15);
	assert_int_equal(nss.v[0].line, 4);
	/* not a glibc database: kept, marked unknown */
	assert_string_equal(nss.v[1].db, "sudoers");
	assert_false(nss.v[1].known);
	/* a '[' where a service name should be: glibc stops */
	assert_int_equal(nss.v[2].n, 0);
	assert_int_equal(nss.v[2].stop_column, 8);
	/* "shadow:" with nothing: a line without services */
	assert_string_equal(nss.v[3].db, "shadow");
	assert_int_equal(nss.v[3].n, 0);
	/* "bogus" alone is skipped; the NUL ends the netgroup line */
	assert_string_equal(nss.v[4].db, "netgroup");
	assert_int_equal(nss.v[4].n, 1);
	assert_string_equal(nss.v[4].text, "netgroup: nis");
	/* the last passwd line is the one glibc uses (no trailing newline) */
	assert_int_equal(hs_nsswitch_find(&nss, "passwd")->line, 10);
	assert_string_equal(hs_nsswitch_find(&nss, "passwd")->v[0].name, "compat");
	assert_null(hs_nsswitch_find(&nss, "gshadow"));
	hs_nsswitch_free(&nss);

	/* empty input */
	assert_int_equal(hs_nsswitch_parse(NULL, "", 0, &nss), 0);
	assert_int_equal(nss.n, 0);
	hs_nsswitch_free(&nss);
}

static void test_typos(void **state)
{
	static const char *const typos[] = { "systmed", "sytemd", "Systemd", "SYSTEMD", "systemd-homed", "nss_systemd",
					     "libnss_systemd.so.2", "homed", "systemd,", "system", "systemdd" };
	static const char *const fine[] = { "systemd", "files", "compat", "sss", "resolve", "mymachines", "myhostname",
					    "ldap", "nis", "winbind", "dns", "altfiles" };

	for (size_t i = 0; i < ELEMENTSOF(typos); i++)
		if (!hs_nss_is_typo(typos[i]))
			fail_msg("'%s' should be a typo of systemd", typos[i]);
	for (size_t i = 0; i < ELEMENTSOF(fine); i++)
		if (hs_nss_is_typo(fine[i]))
			fail_msg("'%s' is not a typo", fine[i]);
}

static void test_judge(void **state)
{
	static const struct {
		const char *line;
		hs_nss_state st;
		bool before_files;
	} cases[] = {
		{ "passwd: files systemd", HS_NSS_REACHED, false },
		{ "passwd: compat mymachines systemd", HS_NSS_REACHED, false },
		{ "passwd: files [SUCCESS=return] systemd", HS_NSS_REACHED, false },
		{ "group: files [SUCCESS=merge] systemd", HS_NSS_REACHED, false },
		{ "passwd: files [UNAVAIL=return] systemd", HS_NSS_REACHED, false },
		{ "passwd: systemd files", HS_NSS_REACHED, true },
		{ "passwd: files", HS_NSS_MISSING, false },
		{ "passwd: files systmed", HS_NSS_TYPO, false },
		{ "passwd: files [NOTFOUND=return] systemd", HS_NSS_BLOCKED, false },
		{ "passwd: files [!UNAVAIL=return] systemd", HS_NSS_BLOCKED, false },
		{ "passwd: files [!SUCCESS=return] systemd", HS_NSS_BLOCKED, false },
		{ "passwd: sss [NOTFOUND=return] files systemd", HS_NSS_BLOCKED, false },
		{ "passwd: files systemd [NOTFOUND=return]", HS_NSS_REACHED, false },
		{ "passwd: files [NOTFOUND=bogus] systemd", HS_NSS_INVALID, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_nsswitch nss;
		hs_nss_verdict v;

		hs_nss_judge(parse1(&nss, cases[i].line), &v);
		if (v.state != cases[i].st || v.before_files != cases[i].before_files)
			fail_msg("'%s': state %d before_files %d, want %d %d", cases[i].line, v.state, v.before_files,
				 cases[i].st, cases[i].before_files);
		hs_nsswitch_free(&nss);
	}
	{
		hs_nss_verdict v;

		hs_nss_judge(NULL, &v);
		assert_int_equal(v.state, HS_NSS_NO_LINE);
	}
}

/* ---- the checks --------------------------------------------------------------------------------------- */

static void good_system(fixture *f)
{
	fx_write(f, "/etc/nsswitch.conf", "# /etc/nsswitch.conf\n\npasswd:\t\tfiles systemd\ngroup:\t\tfiles "
		 "[SUCCESS=merge] systemd\nshadow:\t\tfiles systemd\ngshadow:\tfiles systemd\n\nhosts:\t\tmymachines "
		 "resolve [!UNAVAIL=return] files myhostname dns\n");
	fx_write(f, "/usr/lib64/libnss_systemd.so.2", "ELF");
	fx_installed(f, "sys-apps/systemd-260.1", "homed pam cryptsetup\n");
}

static void test_check_ok(void **state)
{
	fixture *f = *state;

	good_system(f);
	fx_run(f, "nss");
	assert_int_equal(hs_report_count(f->rep), 5);
	fx_expect(f, "nss.passwd", HS_CHECK_OK, "/etc/nsswitch.conf:3: passwd:\t\tfiles systemd");
	fx_expect(f, "nss.group", HS_CHECK_OK, "after files");
	fx_expect(f, "nss.shadow", HS_CHECK_OK, NULL);
	fx_expect(f, "nss.gshadow", HS_CHECK_OK, NULL);
	fx_expect(f, "nss.module", HS_CHECK_OK, "/usr/lib64/libnss_systemd.so.2");
	assert_null(fx_result(f, "nss.passwd")->fix);
	/* a selection of one id runs only that one */
	fx_run(f, "nss.group");
	assert_int_equal(hs_report_count(f->rep), 1);
	fx_expect(f, "nss.group", HS_CHECK_OK, NULL);
}

static void test_check_missing_file(void **state)
{
	fixture *f = *state;

	good_system(f);
	fx_rm(f, "/etc/nsswitch.conf");
	fx_run(f, "nss");
	fx_expect(f, "nss.passwd", HS_CHECK_FAIL, "create /etc/nsswitch.conf with these lines");
	fx_expect(f, "nss.group", HS_CHECK_FAIL, "group: files [SUCCESS=merge] systemd");
	fx_expect(f, "nss.shadow", HS_CHECK_WARN, "is missing");
	fx_expect(f, "nss.gshadow", HS_CHECK_WARN, "is missing");
	fx_expect(f, "nss.module", HS_CHECK_OK, NULL);
}

static int run_passwd_as_nobody(fixture *f)
{
	const char *only[] = { "nss.passwd", NULL };
	hs_check_options o = { .no_bus = true, .only = only };
	hs_report *rep = NULL;
	int st;

	if (hs_check_run(f->ctx, &rep, &o) < 0 || hs_report_count(rep) != 1)
		return 90;
	st = hs_report_get(rep, 0)->status;
	if (!strstr(hs_report_get(rep, 0)->summary, "cannot read /etc/nsswitch.conf"))
		st = 91;
	hs_report_free(rep);
	return st;
}

static void test_check_unreadable(void **state)
{
	fixture *f = *state;
	int st;

	good_system(f);
	fx_write_n(f, "/etc/nsswitch.conf", "passwd: files systemd\n", SIZE_MAX, 0600);
	st = fx_as_nobody(f, run_passwd_as_nobody);
	if (st < 0) {
		chmod(fx_path(f, "/etc/nsswitch.conf", (char[4096]){0}, 4096), 0);
		fx_run(f, "nss.passwd");
		st = (int)fx_result(f, "nss.passwd")->status;
	}
	assert_int_equal(st, HS_CHECK_SKIP);

	/* a directory where the file should be: also unreadable, also SKIP (as root) */
	fx_rm(f, "/etc/nsswitch.conf");
	fx_mkdir(f, "/etc/nsswitch.conf", 0755);
	fx_run(f, "nss");
	fx_expect(f, "nss.passwd", HS_CHECK_SKIP, "Is a directory");
	fx_expect(f, "nss.shadow", HS_CHECK_SKIP, NULL);
	fx_expect(f, "nss.module", HS_CHECK_OK, NULL);
}

static void test_check_failures(void **state)
{
	static const struct {
		const char *text;
		const char *id;
		hs_check_status st;
		const char *needle;
	} cases[] = {
		/* missing: the exact line to write, whitespace normalised, comment dropped */
		{ "passwd:\tfiles  # local only\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "edit /etc/nsswitch.conf line 1 to read: passwd: files systemd" },
		{ "passwd: files systemd\ngroup: files\n", "nss.group", HS_CHECK_FAIL,
		  "line 2 to read: group: files [SUCCESS=merge] systemd" },
		/* criteria on the last service: no second bracket added (glibc would stop reading there) */
		{ "passwd: files systemd\ngroup: files [UNAVAIL=return]\n", "nss.group", HS_CHECK_FAIL,
		  "to read: group: files [UNAVAIL=return] systemd" },
		/* typo */
		{ "passwd: files systmed\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "typo on the passwd: line: 'systmed' (column 15) should be 'systemd'" },
		{ "passwd: files systmed\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "to read: passwd: files systemd" },
		{ "passwd: files systemd-homed\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL, "typo" },
		/* a typo next to the real thing: harmless but wrong */
		{ "passwd: files sytemd systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_WARN,
		  "to read: passwd: files systemd" },
		/* blocked */
		{ "passwd: files [NOTFOUND=return] systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "remove '[NOTFOUND=return]' after 'files' on line 1 of /etc/nsswitch.conf, which then reads: passwd: "
		  "files systemd" },
		{ "passwd: files systemd\ngroup: files [!UNAVAIL=return] systemd\n", "nss.group", HS_CHECK_FAIL,
		  "ends the lookup before it" },
		/* fine */
		{ "passwd: files [SUCCESS=return] systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_OK, NULL },
		/* order */
		{ "passwd: systemd files\ngroup: files systemd\n", "nss.passwd", HS_CHECK_WARN,
		  "systemd comes before files" },
		{ "passwd: systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_WARN, "neither files nor compat" },
		/* no line, or one glibc does not know */
		{ "group: files systemd\n", "nss.passwd", HS_CHECK_FAIL, "add this line to /etc/nsswitch.conf: passwd: "
		  "files systemd" },
		{ "Passwd: files systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "line 1 says 'Passwd:'" },
		/* an invalid action anywhere makes glibc reject the file */
		{ "passwd: files systemd\ngroup: files systemd\nhosts: files [NOTFOUND=retrun] dns\n", "nss.passwd",
		  HS_CHECK_FAIL, "glibc rejects /etc/nsswitch.conf (line 3)" },
		{ "passwd: files systemd\ngroup: files systemd\nhosts: files [NOTFOUND=retrun] dns\n", "nss.passwd",
		  HS_CHECK_FAIL, "unknown action 'retrun' at column 24" },
		/* … but not in a line glibc ignores */
		{ "passwd: files systemd\ngroup: files systemd\nsudoers: files [x=y]\n", "nss.passwd", HS_CHECK_OK, NULL },
		/* duplicates: the last counts (glibc >= 2.33); a different first one is a warning */
		{ "passwd: files\ngroup: files systemd\npasswd: files systemd\n", "nss.passwd", HS_CHECK_WARN,
		  "glibc before 2.33" },
		{ "passwd: files systemd\ngroup: files systemd\npasswd: files\n", "nss.passwd", HS_CHECK_FAIL,
		  "line 3 to read" },
		/* systemd only in a comment */
		{ "passwd: files # systemd\ngroup: files systemd\n", "nss.passwd", HS_CHECK_FAIL,
		  "'systemd' appears only in the comment that starts at column 15" },
		/* shadow: falls back to the passwd: line */
		{ "passwd: files systemd\ngroup: files systemd\n", "nss.shadow", HS_CHECK_OK, "no own line" },
		{ "passwd: files\ngroup: files systemd\n", "nss.shadow", HS_CHECK_WARN,
		  "no shadow: line, and the passwd: line it falls back to has no systemd" },
		{ "passwd: files systemd\ngroup: files systemd\nshadow: files\ngshadow: files\n", "nss.gshadow",
		  HS_CHECK_WARN, "line 4 to read: gshadow: files systemd" },
		{ "passwd: files systemd\ngroup: files systemd\nshadow: files systmed\n", "nss.shadow", HS_CHECK_WARN,
		  "typo" },
	};
	fixture *f = *state;

	good_system(f);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		fx_write(f, "/etc/nsswitch.conf", cases[i].text);
		fx_run(f, "nss");
		fx_expect(f, cases[i].id, cases[i].st, cases[i].needle);
	}
}

static void test_check_shadow_versions(void **state)
{
	fixture *f = *state;

	good_system(f);
	fx_write(f, "/etc/nsswitch.conf", "passwd: files systemd\ngroup: files systemd\nshadow: files\n"
		 "gshadow: files\n");
	/* nss-systemd before 249 serves no shadow records */
	fx_rm(f, "/var/db/pkg/sys-apps/systemd-260.1");
	fx_installed(f, "sys-apps/systemd-248.3", "homed\n");
	fx_run(f, "nss");
	fx_expect(f, "nss.shadow", HS_CHECK_OK, "needs no systemd with systemd 248.3");
	fx_expect(f, "nss.gshadow", HS_CHECK_OK, NULL);
	/* from 249 on it does; the highest installed version counts */
	fx_installed(f, "sys-apps/systemd-249", "homed\n");
	fx_run(f, "nss");
	fx_expect(f, "nss.shadow", HS_CHECK_WARN, "line 3 to read: shadow: files systemd");
	/* not installed: cannot tell */
	fx_rm(f, "/var/db/pkg/sys-apps");
	fx_run(f, "nss");
	fx_expect(f, "nss.shadow", HS_CHECK_SKIP, "not installed");
	fx_expect(f, "nss.passwd", HS_CHECK_OK, NULL);
}

static void test_check_module_and_musl(void **state)
{
	fixture *f = *state;

	good_system(f);
	fx_rm(f, "/usr/lib64/libnss_systemd.so.2");
	fx_run(f, "nss.module");
	fx_expect(f, "nss.module", HS_CHECK_FAIL, "emerge --ask --oneshot sys-apps/systemd");
	fx_write(f, "/lib/libnss_systemd.so.2", "ELF");
	fx_run(f, "nss.module");
	fx_expect(f, "nss.module", HS_CHECK_OK, "/lib/libnss_systemd.so.2");
	/* a directory of that name is not the library */
	fx_rm(f, "/lib/libnss_systemd.so.2");
	fx_mkdir(f, "/usr/lib/libnss_systemd.so.2", 0755);
	fx_run(f, "nss.module");
	fx_expect(f, "nss.module", HS_CHECK_FAIL, NULL);

	/* musl: no NSS at all */
	fx_write(f, "/lib/ld-musl-x86_64.so.1", "ELF");
	fx_run(f, "nss");
	for (size_t i = 0; i < hs_report_count(f->rep); i++)
		fx_expect(f, hs_report_get(f->rep, i)->id, HS_CHECK_SKIP, "musl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_services_and_criteria),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_edges),
		cmocka_unit_test(test_typos),
		cmocka_unit_test(test_judge),
		cmocka_unit_test_setup_teardown(test_check_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_missing_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_unreadable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_shadow_versions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_module_and_musl, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
