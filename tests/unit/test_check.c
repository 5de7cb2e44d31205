/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The check registry and runner (check.c): the real registry holds every group in the fixed order; --only/--skip
 * select by id and group and reject unknown names; results come back in registry order; runners that break the
 * contract (no result, two results, foreign or unknown ids, errors) give an internal FAIL instead of a crash or a
 * silently missing line. Then the `use` and `vdb` groups on the demo root, through the public API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "homesetupP.h"

/* ---- the real registry --------------------------------------------------------------------------------- */

static void test_registry_has_every_group(void **state)
{
	/* The order the issue fixes; a module whose HS_CHECKS_<GROUP> went missing must fail here. */
	static const char *const want[] = { "use", "vdb", "service", "nss", "pam", "kernel", "homed-conf", "keys",
					    "space", "migrate" };
	size_t n = hs_check_registry_count(), g = 0;

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const char *grp = hs_check_registry_group(i);

		/* groups are contiguous and in the fixed order */
		while (g < ELEMENTSOF(want) && strcmp(grp, want[g]) != 0)
			g++;
		if (g == ELEMENTSOF(want))
			fail_msg("check %s: group '%s' is out of order or unknown", hs_check_registry_id(i), grp);
	}
	for (size_t k = 0; k < ELEMENTSOF(want); k++) {
		char macro[32];
		bool found = false;
		size_t j;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(hs_check_registry_group(i), want[k]) == 0;
		for (j = 0; want[k][j] && j + 1 < sizeof(macro); j++)
			macro[j] = want[k][j] == '-' ? '_' : (char)(want[k][j] & ~0x20);
		macro[j] = '\0';
		if (!found)
			fail_msg("no check of group '%s' is registered (is HS_CHECKS_%s declared in homesetupP.h?)",
				 want[k], macro);
	}
}

static void test_registry_entries(void **state)
{
	size_t n = hs_check_registry_count();

	for (size_t i = 0; i < n; i++) {
		const char *id = hs_check_registry_id(i), *d = hs_check_registry_description(i);

		assert_non_null(id);
		assert_non_null(d);
		assert_true(*id && *d);
		assert_true(strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789.-_") == strlen(id));
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(id, hs_check_registry_id(j)) == 0)
				fail_msg("check id '%s' is registered twice", id);
	}
	assert_null(hs_check_registry_id(n));
	assert_null(hs_check_registry_group(n));
	assert_null(hs_check_registry_description(n));
	/* the ids of the groups in check_build.c / check_vdb.c */
	for (size_t i = 0, found = 0; i <= n; i++) {
		if (i == n) {
			assert_int_equal(found, 10);
			break;
		}
		found += strncmp(hs_check_registry_id(i), "use.", 4) == 0 || strncmp(hs_check_registry_id(i), "vdb.", 4) == 0;
	}
	assert_string_equal(hs_check_status_name(HS_CHECK_OK), "OK");
	assert_string_equal(hs_check_status_name(HS_CHECK_WARN), "WARN");
	assert_string_equal(hs_check_status_name(HS_CHECK_FAIL), "FAIL");
	assert_string_equal(hs_check_status_name(HS_CHECK_SKIP), "SKIP");
}

/* ---- fake tables ----------------------------------------------------------------------------------------- */

static const hs_check_def fake_defs[] = {
	{ "a.one", "a", "first of a" },
	{ "a.two", "a", "second of a" },
	{ "b.one", "b", "only one of b" },
	{ "c.one", "c", "first of c" },
	{ "c.two", "c", "second of c" },
};

static unsigned calls_a, calls_b, calls_c;

/* Well-behaved runners: one OK result per wanted id. */
static int emit_wanted(hs_checker *c, const char *group)
{
	for (size_t i = 0; i < ELEMENTSOF(fake_defs); i++) {
		int r;

		if (strcmp(fake_defs[i].group, group) != 0 || !hs_checker_wants(c, fake_defs[i].id))
			continue;
		r = hs_checker_add(c, fake_defs[i].id, HS_CHECK_OK, NULL, NULL, "%s is fine", fake_defs[i].id);
		if (r < 0)
			return r;
	}
	return 0;
}

static int run_a(hs_checker *c) { calls_a++; return emit_wanted(c, "a"); }
static int run_b(hs_checker *c) { calls_b++; return emit_wanted(c, "b"); }
static int run_c(hs_checker *c) { calls_c++; return emit_wanted(c, "c"); }

static const hs_check_group_def fake_groups[] = { { "a", run_a }, { "b", run_b }, { "c", run_c } };

struct fixture {
	hs_ctx *ctx;
	hs_report *rep;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	calls_a = calls_b = calls_c = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hs_report_free(f->rep);
	hs_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* Run the fake tables with only/skip and return the ids of the report joined by spaces. */
static char *run_ids(struct fixture *f, const char *const *only, const char *const *skip, int *r)
{
	hs_check_options o = { .only = only, .skip = skip };
	hs_buf b = {0};

	hs_report_free(f->rep);
	f->rep = NULL;
	*r = hs_check_run_tables(f->ctx, &f->rep, &o, fake_defs, ELEMENTSOF(fake_defs), fake_groups,
				 ELEMENTSOF(fake_groups));
	for (size_t i = 0; *r == 0 && i < hs_report_count(f->rep); i++)
		assert_int_equal(hs_buf_printf(&b, "%s%s", i ? " " : "", hs_report_get(f->rep, i)->id), 0);
	return hs_buf_steal(&b);
}

#define ASSERT_IDS(f, only, skip, want)                        \
	do {                                                   \
		int r_;                                        \
		char *ids_ = run_ids(f, only, skip, &r_);      \
		assert_int_equal(r_, 0);                       \
		assert_string_equal(ids_, want);               \
		free(ids_);                                    \
	} while (0)

static void test_only_skip(void **state)
{
	struct fixture *f = *state;
	const char *only_a[] = { "a", NULL };
	const char *only_mixed[] = { "c.two", "a.two", NULL };
	const char *only_b_and_c[] = { "b", "c", NULL };
	const char *skip_one[] = { "a.one", NULL };
	const char *skip_group[] = { "c", NULL };
	const char *skip_all[] = { "a", "b", "c", NULL };

	ASSERT_IDS(f, NULL, NULL, "a.one a.two b.one c.one c.two");
	ASSERT_IDS(f, only_a, NULL, "a.one a.two");
	/* registry order, whatever the order asked for */
	ASSERT_IDS(f, only_mixed, NULL, "a.two c.two");
	ASSERT_IDS(f, NULL, skip_one, "a.two b.one c.one c.two");
	ASSERT_IDS(f, NULL, skip_group, "a.one a.two b.one");
	ASSERT_IDS(f, only_a, skip_one, "a.two");
	ASSERT_IDS(f, only_b_and_c, skip_group, "b.one");
	ASSERT_IDS(f, NULL, skip_all, "");
	assert_int_equal(hs_report_count(f->rep), 0);
	assert_int_equal(hs_report_worst(f->rep), HS_CHECK_OK);
}

static void test_runner_called_only_when_wanted(void **state)
{
	struct fixture *f = *state;
	const char *only[] = { "b.one", NULL };
	int r;
	char *ids = run_ids(f, only, NULL, &r);

	assert_int_equal(r, 0);
	assert_string_equal(ids, "b.one");
	free(ids);
	assert_int_equal(calls_a, 0);
	assert_int_equal(calls_b, 1);
	assert_int_equal(calls_c, 0);
}

static void test_unknown_names(void **state)
{
	struct fixture *f = *state;
	const char *typo[] = { "a", "a.tow", NULL };
	const char *nothing_like[] = { "zzzzzzzzzz", NULL };
	const char *bad_bytes[] = { "x\ny", NULL };
	int r;
	char *ids;

	ids = run_ids(f, typo, NULL, &r);
	free(ids);
	assert_int_equal(r, -EINVAL);
	assert_null(f->rep);
	assert_string_equal(hs_ctx_last_error(f->ctx), "unknown check or group 'a.tow' (did you mean 'a.two'?)");
	assert_int_equal(calls_a + calls_b + calls_c, 0); /* nothing ran */

	ids = run_ids(f, NULL, nothing_like, &r);
	free(ids);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "unknown check or group 'zzzzzzzzzz'");

	ids = run_ids(f, NULL, bad_bytes, &r);
	free(ids);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "unknown check or group 'x\\x0ay'");
}

/* ---- runners that break the contract ---------------------------------------------------------------------- */

static int add_rc[8];
static size_t n_add_rc;

static void note(int r)
{
	if (n_add_rc < ELEMENTSOF(add_rc))
		add_rc[n_add_rc++] = r;
}

/* a: a.one twice, a.two never */
static int bad_a(hs_checker *c)
{
	note(hs_checker_add(c, "a.one", HS_CHECK_WARN, NULL, "d", "first"));
	note(hs_checker_add(c, "a.one", HS_CHECK_OK, NULL, NULL, "second"));
	return 0;
}

/* b: an unknown id and an id of group c, then its own result with a multi-line summary and no fix for a FAIL */
static int bad_b(hs_checker *c)
{
	note(hs_checker_add(c, "b.nope", HS_CHECK_OK, NULL, NULL, "x"));
	note(hs_checker_add(c, "c.one", HS_CHECK_OK, NULL, NULL, "x"));
	note(hs_checker_add(c, "b.one", HS_CHECK_FAIL, NULL, "line 1\nline 2", "broken\nsummary"));
	return 0;
}

/* c: stops with an error after one result */
static int bad_c(hs_checker *c)
{
	note(hs_checker_add(c, "c.two", HS_CHECK_SKIP, NULL, NULL, "skipped %d", 2));
	return hs_ctx_set_error(hs_checker_ctx(c), -EIO, "/etc/something: Input/output error");
}

static const hs_check_group_def bad_groups[] = { { "a", bad_a }, { "b", bad_b }, { "c", bad_c } };

static void test_contract_violations(void **state)
{
	struct fixture *f = *state;
	const hs_check_result *r;

	n_add_rc = 0;
	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, NULL, fake_defs, ELEMENTSOF(fake_defs), bad_groups,
					     ELEMENTSOF(bad_groups)), 0);
	assert_int_equal(n_add_rc, 6);
	assert_int_equal(add_rc[0], 0);
	assert_int_equal(add_rc[1], 0);        /* a duplicate is accepted, then reported */
	assert_int_equal(add_rc[2], -EINVAL);  /* unknown id */
	assert_int_equal(add_rc[3], -EINVAL);  /* another group's id */
	assert_int_equal(add_rc[4], 0);
	assert_int_equal(add_rc[5], 0);

	assert_int_equal(hs_report_count(f->rep), 5);
	r = hs_report_get(f->rep, 0);
	assert_string_equal(r->id, "a.one");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "internal error: the a checks reported 2 results for a.one");
	assert_string_equal(r->detail, "the first one said: WARN: first");
	assert_non_null(r->fix);

	r = hs_report_get(f->rep, 1);
	assert_string_equal(r->id, "a.two");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "internal error: the a checks reported no result for a.two");
	assert_non_null(strstr(r->fix, "bug in homesetup"));

	r = hs_report_get(f->rep, 2);
	assert_string_equal(r->id, "b.one");
	assert_string_equal(r->group, "b");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "broken summary");  /* one line */
	assert_string_equal(r->detail, "line 1\nline 2"); /* details keep their lines */
	assert_non_null(r->fix);                           /* every FAIL has one */

	r = hs_report_get(f->rep, 3);
	assert_string_equal(r->id, "c.one");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "the c checks stopped with an error: /etc/something: Input/output error");

	r = hs_report_get(f->rep, 4);
	assert_string_equal(r->id, "c.two");
	assert_int_equal(r->status, HS_CHECK_SKIP);
	assert_string_equal(r->summary, "skipped 2");
	assert_null(r->detail);
	assert_null(r->fix);

	assert_int_equal(hs_report_worst(f->rep), HS_CHECK_FAIL);
	assert_null(hs_report_get(f->rep, 5));
}

/* Results added for ids that were not selected are dropped; results in reverse order come back sorted. */
static int reverse_a(hs_checker *c)
{
	int r = hs_checker_add(c, "a.two", HS_CHECK_WARN, "do this", NULL, "two");

	if (r == 0)
		r = hs_checker_add(c, "a.one", HS_CHECK_OK, NULL, NULL, "one");
	return r;
}

static int nomem_b(hs_checker *c)
{
	return -ENOMEM;
}

static void test_order_and_unwanted(void **state)
{
	struct fixture *f = *state;
	const hs_check_group_def groups[] = { { "a", reverse_a }, { "b", run_b }, { "c", run_c } };
	const char *skip[] = { "a.one", NULL };
	hs_check_options o = { .skip = skip };

	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, NULL, fake_defs, ELEMENTSOF(fake_defs), groups, 3), 0);
	assert_string_equal(hs_report_get(f->rep, 0)->id, "a.one");
	assert_string_equal(hs_report_get(f->rep, 1)->id, "a.two");
	assert_string_equal(hs_report_get(f->rep, 1)->fix, "do this");
	assert_int_equal(hs_report_worst(f->rep), HS_CHECK_WARN);
	hs_report_free(f->rep);
	f->rep = NULL;

	/* a.one is skipped: reverse_a still adds it, and it is silently dropped */
	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, &o, fake_defs, ELEMENTSOF(fake_defs), groups, 3), 0);
	assert_int_equal(hs_report_count(f->rep), 4);
	assert_string_equal(hs_report_get(f->rep, 0)->id, "a.two");
	hs_report_free(f->rep);
	f->rep = NULL;
}

static void test_nomem_and_missing_runner(void **state)
{
	struct fixture *f = *state;
	const hs_check_group_def nomem[] = { { "a", run_a }, { "b", nomem_b }, { "c", run_c } };
	const hs_check_group_def no_c[] = { { "a", run_a }, { "b", run_b } };

	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, NULL, fake_defs, ELEMENTSOF(fake_defs), nomem, 3),
			 -ENOMEM);
	assert_null(f->rep);
	assert_int_equal(calls_c, 0); /* the run stops */

	/* registered ids whose group has no runner are reported, not dropped */
	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, NULL, fake_defs, ELEMENTSOF(fake_defs), no_c, 2), 0);
	assert_int_equal(hs_report_count(f->rep), 5);
	assert_int_equal(hs_report_get(f->rep, 3)->status, HS_CHECK_FAIL);
	assert_string_equal(hs_report_get(f->rep, 3)->summary, "internal error: no runner for group 'c' of c.one");
}

/* ---- shared per-run data and options ------------------------------------------------------------------------ */

static unsigned freed;
static void count_free(void *p)
{
	freed++;
	free(p);
}

static hs_check_options seen_opts;
static int data_a(hs_checker *c)
{
	char *x = strdup("x"), *y = strdup("y");

	seen_opts = *hs_checker_options(c);
	assert_null(hs_checker_get_data(c, "k"));
	assert_int_equal(hs_checker_set_data(c, "k", x, count_free), 0);
	assert_ptr_equal(hs_checker_get_data(c, "k"), x);
	assert_int_equal(hs_checker_set_data(c, "k", y, count_free), 0); /* replaces and frees x */
	assert_int_equal(freed, 1);
	return emit_wanted(c, "a");
}

static int data_b(hs_checker *c)
{
	/* a later group sees what an earlier one stored */
	assert_string_equal(hs_checker_get_data(c, "k"), "y");
	return emit_wanted(c, "b");
}

static void test_data_and_options(void **state)
{
	struct fixture *f = *state;
	const hs_check_group_def groups[] = { { "a", data_a }, { "b", data_b }, { "c", run_c } };
	hs_check_options o = { .user = "alice", .no_bus = true };

	freed = 0;
	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, &o, fake_defs, ELEMENTSOF(fake_defs), groups, 3), 0);
	assert_int_equal(freed, 2); /* y is freed when the run ends */
	assert_string_equal(seen_opts.user, "alice");
	assert_true(seen_opts.no_bus);
	assert_int_equal(seen_opts.bus_timeout_usec, 5000000); /* 0 means 5 s */
}

static int portage_a(hs_checker *c)
{
	hs_portage *p1 = NULL, *p2 = NULL;
	int r1 = hs_checker_portage(c, &p1), r2;
	char *msg1 = strdup(hs_ctx_last_error(hs_checker_ctx(c)));

	hs_ctx_clear_error(hs_checker_ctx(c));
	r2 = hs_checker_portage(c, &p2);
	/* the failure is remembered, message included */
	assert_true(r1 < 0);
	assert_int_equal(r2, r1);
	assert_null(p1);
	assert_null(p2);
	assert_string_equal(hs_ctx_last_error(hs_checker_ctx(c)), msg1);
	free(msg1);
	return emit_wanted(c, "a");
}

static void test_portage_failure_cached(void **state)
{
	struct fixture *f = *state;
	const hs_check_group_def groups[] = { { "a", portage_a }, { "b", run_b }, { "c", run_c } };
	char dir[] = "/tmp/hs-check-XXXXXX";

	assert_non_null(mkdtemp(dir));
	assert_int_equal(hs_ctx_set_root(f->ctx, dir), 0);
	assert_int_equal(hs_check_run_tables(f->ctx, &f->rep, NULL, fake_defs, ELEMENTSOF(fake_defs), groups, 3), 0);
	rmdir(dir);
}

/* ---- the real groups on the demo root ---------------------------------------------------------------------- */

static const hs_check_result *find(const hs_report *rep, const char *id)
{
	for (size_t i = 0; i < hs_report_count(rep); i++)
		if (strcmp(hs_report_get(rep, i)->id, id) == 0)
			return hs_report_get(rep, i);
	fail_msg("no result for %s", id);
	return NULL;
}

static void test_demo_root(void **state)
{
	struct fixture *f = *state;
	const char *top = getenv("HS_TOP"), *only[] = { "use", "vdb", NULL };
	hs_check_options o = { .only = only, .no_bus = true };
	const hs_check_result *r;
	char root[4096];

	snprintf(root, sizeof(root), "%s/examples/demo-root", top ? top : ".");
	if (access(root, F_OK) != 0)
		skip();
	assert_int_equal(hs_ctx_set_root(f->ctx, root), 0);
	assert_int_equal(hs_check_run(f->ctx, &f->rep, &o), 0);
	assert_int_equal(hs_report_count(f->rep), 10);

	/* systemd has homed in package.use but not cryptsetup; pambase has no homed; both built without homed */
	r = find(f->rep, "use.systemd.homed");
	assert_int_equal(r->status, HS_CHECK_OK);
	assert_non_null(strstr(r->detail, "homed is on: /etc/portage/package.use/systemd:2"));
	r = find(f->rep, "use.systemd.required-use");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "REQUIRED_USE of sys-apps/systemd-260.1 needs cryptsetup for homed");
	assert_non_null(strstr(r->detail, "cryptsetup is off: not set anywhere"));
	assert_non_null(strstr(r->fix, "homesetup use enable"));
	assert_non_null(strstr(r->fix, "/etc/portage/package.use/homed: sys-apps/systemd homed cryptsetup)"));
	r = find(f->rep, "use.pambase.homed");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_non_null(strstr(r->fix, "sys-auth/pambase homed)"));
	assert_null(strstr(r->fix, "pam_krb5 "));

	assert_int_equal(find(f->rep, "vdb.systemd.installed")->status, HS_CHECK_OK);
	assert_int_equal(find(f->rep, "vdb.pambase.installed")->status, HS_CHECK_OK);
	r = find(f->rep, "vdb.systemd.built");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->summary, "sys-apps/systemd-260.1 was built without homed and cryptsetup");
	assert_int_equal(find(f->rep, "vdb.pambase.built")->status, HS_CHECK_FAIL);
	assert_int_equal(find(f->rep, "vdb.systemd.files")->status, HS_CHECK_SKIP);
	r = find(f->rep, "vdb.rebuild");
	assert_int_equal(r->status, HS_CHECK_FAIL);
	assert_string_equal(r->fix, "homesetup use enable && emerge --ask --oneshot --changed-use sys-apps/systemd "
				    "sys-auth/pambase");
	/* registry order */
	assert_string_equal(hs_report_get(f->rep, 0)->id, hs_check_registry_id(0));
	assert_int_equal(hs_report_worst(f->rep), HS_CHECK_FAIL);
}

static void test_not_gentoo(void **state)
{
	struct fixture *f = *state;
	const char *only[] = { "use", "vdb", NULL };
	hs_check_options o = { .only = only, .no_bus = true };
	char dir[] = "/tmp/hs-check-XXXXXX";

	assert_non_null(mkdtemp(dir));
	assert_int_equal(hs_ctx_set_root(f->ctx, dir), 0);
	assert_int_equal(hs_check_run(f->ctx, &f->rep, &o), 0);
	assert_int_equal(hs_report_count(f->rep), 10);
	for (size_t i = 0; i < hs_report_count(f->rep); i++) {
		const hs_check_result *r = hs_report_get(f->rep, i);

		assert_int_equal(r->status, HS_CHECK_SKIP);
		assert_non_null(strstr(r->summary, "not a Gentoo system"));
	}
	assert_int_equal(hs_report_worst(f->rep), HS_CHECK_SKIP);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_has_every_group),
		cmocka_unit_test(test_registry_entries),
		cmocka_unit_test_setup_teardown(test_only_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runner_called_only_when_wanted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contract_violations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_unwanted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nomem_and_missing_runner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_and_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portage_failure_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_gentoo, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
