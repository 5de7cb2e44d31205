/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * space.c: regular users from /etc/passwd, the bounded size walk (blocks, hard links once, symlinks not followed,
 * the entry limit), the space model (LUKS image = max(used + 10 %, fs minimum) + 18 MiB; one at a time, largest
 * first), and the `space` check in every state. The free space is set through hs_space_test_avail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "homesetupP.h"
#include "probe_fixture.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static void test_passwd(void **state)
{
	static const char text[] =
		"root:x:0:0:root:/root:/bin/bash\n"
		"alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
		"# comment\n"
		"+nisuser::::::\n"
		"bob:x:60000:100::/home/bob:/bin/zsh\n"
		"carol:x:60001:60001::/home/carol:/bin/sh\n"
		"svc:x:1001:1001::/var/lib/svc:/sbin/nologin\n"
		"dave:x:999:999::/home/dave:/bin/sh\n"
		"eve:x:1002:1002::/home:/bin/sh\n"
		"broken:x:1003\n"
		"neg:x:-1000:1::/home/neg:/bin/sh\n"
		"frank:x:1004:1004::/home/users/frank:/bin/sh";
	hs_space_user *u;
	size_t n;

	assert_int_equal(hs_space_parse_passwd(NULL, text, sizeof(text) - 1, &u, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(u[0].name, "alice");
	assert_int_equal(u[0].uid, 1000);
	assert_string_equal(u[0].home, "/home/alice");
	assert_string_equal(u[1].name, "bob");
	assert_string_equal(u[2].home, "/home/users/frank");
	hs_space_users_free(u, n);
}

static void test_model(void **state)
{
	hs_space_user u[3] = {
		{ .name = (char *)"small", .bytes = 1 * GIB },
		{ .name = (char *)"big", .bytes = 10 * GIB },
		{ .name = (char *)"tiny", .bytes = 1 * MIB },
	};
	uint64_t all, seq;

	/* the file system minimum, then 10 % */
	assert_true(hs_space_needed(0, true, "btrfs") == 256 * MIB + 18 * MIB);
	assert_true(hs_space_needed(1 * MIB, true, "ext4") == 32 * MIB + 18 * MIB);
	assert_true(hs_space_needed(1 * MIB, true, "xfs") == 300 * MIB + 18 * MIB);
	assert_true(hs_space_needed(10 * GIB, true, "btrfs") == 11 * GIB + 18 * MIB);
	assert_true(hs_space_needed(10 * GIB, false, "btrfs") == 10 * GIB);

	hs_space_plan(u, 3, true, "btrfs", &all, &seq);
	/* largest first */
	assert_string_equal(u[0].name, "big");
	assert_string_equal(u[2].name, "tiny");
	assert_true(u[0].needed == 11 * GIB + 18 * MIB);
	assert_true(all == u[0].needed + u[1].needed + u[2].needed);
	/* one at a time: the biggest image, then the overheads of those done plus the next image */
	{
		uint64_t o0 = u[0].needed - u[0].bytes, o1 = u[1].needed - u[1].bytes;
		uint64_t want = u[0].needed;

		if (o0 + u[1].needed > want)
			want = o0 + u[1].needed;
		if (o0 + o1 + u[2].needed > want)
			want = o0 + o1 + u[2].needed;
		assert_true(seq == want);
		assert_true(seq < all);
	}
}

static void test_measure(void **state)
{
	fixture *f = *state;
	hs_space_user u[2] = { { .name = (char *)"alice", .home = (char *)"/home/alice" },
			       { .name = (char *)"bob", .home = (char *)"/home/bob" } };
	char a[4096], b[4096], big[65536];
	bool truncated;
	struct stat st;
	uint64_t one;

	memset(big, 'x', sizeof(big));
	fx_write_n(f, "/home/alice/data", big, sizeof(big), 0644);
	assert_int_equal(stat(fx_path(f, "/home/alice/data", a, sizeof(a)), &st), 0);
	one = (uint64_t)st.st_blocks * 512;
	assert_true(one >= sizeof(big));
	/* a hard link inside the home counts once; a symlink to a big file counts as the link */
	fx_mkdir(f, "/home/alice/sub", 0755);
	assert_int_equal(link(a, fx_path(f, "/home/alice/sub/link", b, sizeof(b))), 0);
	assert_int_equal(symlink("/home/alice/data", fx_path(f, "/home/alice/sym", b, sizeof(b))), 0);
	fx_mkdir(f, "/home/bob", 0755);

	assert_int_equal(hs_space_measure(f->ctx, u, 2, &truncated), 0);
	assert_false(truncated);
	assert_true(u[0].bytes >= one && u[0].bytes < 2 * one);
	assert_false(u[0].partial);
	assert_true(u[1].bytes < one);
	assert_false(u[1].missing);
	free(u[0].error);
	free(u[1].error);

	/* the entry limit: lower bounds */
	hs_space_walk_limit = 2;
	memset(u, 0, sizeof(u));
	u[0] = (hs_space_user){ .name = (char *)"alice", .home = (char *)"/home/alice" };
	u[1] = (hs_space_user){ .name = (char *)"carol", .home = (char *)"/home/carol" };
	assert_int_equal(hs_space_measure(f->ctx, u, 2, &truncated), 0);
	hs_space_walk_limit = 200000;
	assert_true(truncated);
	assert_true(u[0].truncated);
	assert_true(u[0].partial);
	assert_true(u[1].missing);
}

/* ---- the check ---------------------------------------------------------------------------------------- */

static void users(fixture *f)
{
	char big[1 << 16];

	memset(big, 'y', sizeof(big));
	fx_write(f, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
		 "bob:x:1001:100:Bob:/home/bob:/bin/bash\n");
	fx_write_n(f, "/home/alice/notes", big, sizeof(big), 0644);
	fx_write(f, "/home/bob/.bashrc", "# bob\n");
}

static void test_check_states(void **state)
{
	fixture *f = *state;

	users(f);
	/* plenty */
	hs_space_test_avail = 10 * GIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_OK, "enough space on /home: 10.0 GiB free, 548.0 MiB needed to migrate 2 "
		  "users");
	fx_expect(f, "space.home", HS_CHECK_OK, "alice (uid 1000)");
	fx_expect(f, "space.home", HS_CHECK_OK, "btrfs inside: minimum 256 MiB");
	/* not enough even one at a time */
	hs_space_test_avail = 100 * MIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_FAIL, "not enough space on /home to migrate 2 users: 100.0 MiB free");
	fx_expect(f, "space.home", HS_CHECK_FAIL, "free at least 447.9 MiB on the file system holding /home");
	/* ext4 images are smaller (32 MiB minimum) */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultFileSystemType=ext4\n");
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_OK, "100.0 MiB free, 100.0 MiB needed");
	/* with a home bigger than the minimum, one at a time needs less than all at once: alice 64 MiB → image
	 * 70.4 + 18 MiB; bob's 50 MiB image comes after alice's old files are gone */
	{
		char p[4096];
		int fd = open(fx_path(f, "/home/alice/big", p, sizeof(p)), O_WRONLY | O_CREAT, 0644);

		assert_true(fd >= 0);
		assert_int_equal(posix_fallocate(fd, 0, 64 * MIB), 0);
		close(fd);
	}
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_WARN, "enough space on /home only to migrate one user at a time: 100.0 "
		  "MiB free, 138.");
	fx_expect(f, "space.home", HS_CHECK_WARN, "migrate one user at a time, largest home first: alice, bob");
	hs_space_test_avail = 80 * MIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_FAIL, "80.0 MiB free, 88.");
	fx_rm(f, "/home/alice/big");
	/* directory storage: a second copy only */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=directory\n");
	hs_space_test_avail = 1 * MIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_OK, "a second copy of each home");

	/* a lower bound that already does not fit: FAIL; one that fits: WARN */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\n");
	hs_space_walk_limit = 1;
	hs_space_test_avail = 10 * MIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_FAIL, "at least");
	hs_space_test_avail = 10 * GIB;
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_WARN, "could not be measured completely");
	fx_expect(f, "space.home", HS_CHECK_WARN, "stopped after 1 entries (limits: 1 entries");
	hs_space_walk_limit = 200000;
	hs_space_test_avail = 0;
}

static void test_check_skips(void **state)
{
	fixture *f = *state;

	hs_space_test_avail = 0;
	hs_space_walk_limit = 200000;
	/* no /home */
	fx_write(f, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_SKIP, "there is no /home");
	/* nobody to migrate */
	fx_mkdir(f, "/home", 0755);
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_OK, "no regular users to migrate");
	/* no /etc/passwd */
	fx_rm(f, "/etc/passwd");
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_SKIP, "cannot read /etc/passwd (missing)");
	/* a home that does not exist */
	fx_write(f, "/etc/passwd", "zed:x:1000:1000::/home/zed:/bin/sh\n");
	fx_run(f, "space");
	fx_expect(f, "space.home", HS_CHECK_OK, "zed (uid 1000): /home/zed does not exist");
}

static int run_as_nobody(fixture *f)
{
	const char *only[] = { "space.home", NULL };
	hs_check_options o = { .no_bus = true, .only = only };
	hs_report *rep = NULL;
	int st;

	hs_space_test_avail = 10 * GIB;
	if (hs_check_run(f->ctx, &rep, &o) < 0 || hs_report_count(rep) != 1)
		return 90;
	st = hs_report_get(rep, 0)->status;
	if (!hs_report_get(rep, 0)->detail || !strstr(hs_report_get(rep, 0)->detail, "Permission denied"))
		st = 91;
	hs_report_free(rep);
	return st;
}

static void test_check_unreadable(void **state)
{
	fixture *f = *state;
	int st;

	users(f);
	fx_mkdir(f, "/home/alice", 0700);
	st = fx_as_nobody(f, run_as_nobody);
	if (st < 0)
		skip();
	/* alice's home could not be read: her size is a lower bound */
	assert_int_equal(st, HS_CHECK_WARN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_model),
		cmocka_unit_test_setup_teardown(test_measure, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_states, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_skips, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_unreadable, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
