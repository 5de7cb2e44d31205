/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accounts.c, accounts_edit.c: parsing of the four account files (malformed, comment and NIS lines kept and
 * reported), lookups, crypt(3) password checks with hashes made here, the lckpwdf lock against another process,
 * removal of one user (private and shared groups, member and admin lists, exact names), the undo record and
 * restore (byte-identical, or re-insertion around a later edit), backups and -ESTALE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <json-c/json.h>
#include <dirent.h>
#include <signal.h>
#include <time.h>

#include "homesetupP.h"
#include "probe_fixture.h"

/* ---- helpers -------------------------------------------------------------------------------------------- */

static const char passwd_text[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# local users\n"
	"\n"
	"al:x:1001:1001:Al:/home/al:/bin/bash\n"
	"alice:x:1000:1000:Alice Example:/home/alice:/bin/zsh\n"
	"bob:x:1002:100:Bob:/home/bob:/bin/bash\n"
	"carol:x:1003:1003::/home/carol:/bin/sh\n"
	"dave:x:1004:1003::/home/dave:/bin/sh\n"
	"+nisuser::::::\n"
	"short:x:1005\n"
	"badid:x:10x0:100::/home/bad:/bin/sh\n"
	"neg:x:-1:100::/home/neg:/bin/sh\n"
	"big:x:4294967296:100::/home/big:/bin/sh\n"
	"max:x:4294967295:100::/home/max:/bin/sh\n"
	"alice:x:2000:2000::/elsewhere:/bin/sh\n"
	"last:x:1006:100::/home/last:"; /* no newline at the end */

static const char shadow_text[] =
	"root:*:19000:0:99999:7:::\n"
	"al:$6$x$y:19000:0:99999:7:::\n"
	"alice:HASH_ALICE:19000:0:99999:7:::\n"
	"bob:!:19000:0:99999:7:::\n"
	"carol::19000:0:99999:7:::\n"
	"dave:short\n";

static const char group_text[] =
	"root:x:0:\n"
	"users:x:100:alice,bob,al\n"
	"wheel:x:10:root,alice\n"
	"al:x:1001:\n"
	"alice:x:1000:\n"
	"carol:x:1003:\n"
	"audio:x:18:al,alicex,alice,,alice\n"
	"-nisgroup\n"
	"video:x:27:\n";

static const char gshadow_text[] =
	"root:::\n"
	"users:!:alice:alice,bob,al\n"
	"wheel:!:alice,root:root,alice\n"
	"al:!::\n"
	"alice:!::\n"
	"carol:!::\n"
	"audio:!:al:al,alicex,alice,,alice\n"
	"video:!::\n";

static void write_accounts(const fixture *f)
{
	fx_write_n(f, "etc/passwd", passwd_text, SIZE_MAX, 0644);
	fx_write_n(f, "etc/shadow", shadow_text, SIZE_MAX, 0640);
	fx_write_n(f, "etc/group", group_text, SIZE_MAX, 0644);
	fx_write_n(f, "etc/gshadow", gshadow_text, SIZE_MAX, 0600);
}

static char *slurp(const fixture *f, const char *rel, size_t *len)
{
	char p[4096];
	FILE *fp;
	char *buf;
	long n;

	fp = fopen(fx_path(f, rel, p, sizeof(p)), "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void assert_file(const fixture *f, const char *rel, const char *want)
{
	char *got = slurp(f, rel, NULL);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- got\n%s\n--- want\n%s", rel, got, want);
	free(got);
}

/* Does <root>/<rel> contain @needle? */
static bool file_has(const fixture *f, const char *rel, const char *needle)
{
	char *got = slurp(f, rel, NULL);
	bool r;

	assert_non_null(got);
	r = strstr(got, needle) != NULL;
	free(got);
	return r;
}

static bool has_warning(const fixture *f, const char *needle)
{
	for (size_t i = 0; i < hs_ctx_warning_count(f->ctx); i++)
		if (strstr(hs_ctx_warning(f->ctx, i), needle))
			return true;
	return false;
}

static void expect_warning(const fixture *f, const char *needle)
{
	if (!has_warning(f, needle)) {
		for (size_t i = 0; i < hs_ctx_warning_count(f->ctx); i++)
			print_message("warning: %s\n", hs_ctx_warning(f->ctx, i));
		fail_msg("no warning containing '%s'", needle);
	}
}

static mode_t file_mode(const fixture *f, const char *rel)
{
	char p[4096];
	struct stat st;

	assert_int_equal(stat(fx_path(f, rel, p, sizeof(p)), &st), 0);
	return st.st_mode & 07777;
}

/* ---- parsing and lookups -------------------------------------------------------------------------------- */

static void test_parse_lookup(void **state)
{
	fixture *f = *state;
	hs_accounts *a = NULL;
	const hs_passwd_entry *u;
	const hs_group_entry *g;
	const hs_gshadow_entry *gs;
	const hs_acct_file *pf;

	write_accounts(f);
	assert_int_equal(hs_accounts_load(f->ctx, &a), 0);

	/* entries in file order; the bad ones are not entries, the second alice neither */
	assert_int_equal(hs_accounts_user_count(a), 8);
	assert_string_equal(hs_accounts_user_at(a, 0)->name, "root");
	assert_string_equal(hs_accounts_user_at(a, 1)->name, "al");
	assert_string_equal(hs_accounts_user_at(a, 6)->name, "max");
	assert_string_equal(hs_accounts_user_at(a, 7)->name, "last");
	assert_null(hs_accounts_user_at(a, 8));
	u = hs_accounts_user(a, "alice");
	assert_non_null(u);
	assert_int_equal(u->uid, 1000);
	assert_int_equal(u->gid, 1000);
	assert_int_equal(u->line, 5);
	assert_string_equal(u->gecos, "Alice Example");
	assert_string_equal(u->home, "/home/alice");
	assert_string_equal(u->shell, "/bin/zsh");
	assert_string_equal(u->passwd, "x");
	assert_true(hs_accounts_user_by_uid(a, 1000) == u);
	assert_null(hs_accounts_user_by_uid(a, 2000));
	assert_true(hs_accounts_user_by_uid(a, UINT32_MAX) == hs_accounts_user(a, "max"));
	assert_string_equal(hs_accounts_user(a, "last")->shell, "");
	assert_null(hs_accounts_user(a, "ali"));
	assert_null(hs_accounts_user(a, "alicex"));
	assert_null(hs_accounts_user(a, "nisuser"));
	assert_null(hs_accounts_user(a, "+nisuser"));
	assert_null(hs_accounts_user(a, "short"));
	assert_null(hs_accounts_user(a, "badid"));
	assert_null(hs_accounts_user(a, "neg"));
	assert_null(hs_accounts_user(a, "big"));
	assert_null(hs_accounts_user(a, NULL));

	/* warnings name file and line; comments and blank lines are silent */
	expect_warning(f, "/etc/passwd:9: NIS compat entry '+nisuser' kept as is");
	expect_warning(f, "/etc/passwd:10: line ignored: expected 7 fields separated by ':', found 3");
	expect_warning(f, "/etc/passwd:11: line ignored: invalid UID '10x0' at column 9");
	expect_warning(f, "/etc/passwd:12: line ignored: invalid UID '-1' at column 7");
	expect_warning(f, "/etc/passwd:13: line ignored: invalid UID '4294967296' at column 7");
	expect_warning(f, "/etc/passwd:15: user 'alice' appears again (first at line 5); the first entry counts");
	expect_warning(f, "/etc/shadow:6: line ignored: expected 9 fields separated by ':', found 2");
	expect_warning(f, "/etc/group:8: NIS compat entry '-nisgroup' kept as is");
	assert_false(has_warning(f, "/etc/passwd:2:"));
	assert_false(has_warning(f, "/etc/passwd:3:"));

	/* the lines of the file, with their bytes */
	pf = hs_accounts_file(a, HS_ACCT_PASSWD);
	assert_int_equal(pf->n, 16);
	assert_true(pf->exists);
	assert_true(pf->lines[4].entry);
	assert_int_equal(pf->lines[4].lineno, 5);
	assert_memory_equal(pf->data + pf->lines[4].off, "alice:x:1000", 12);
	assert_int_equal(pf->lines[4].end - pf->lines[4].off, pf->lines[4].len + 1);
	assert_false(pf->lines[1].entry);
	assert_false(pf->lines[8].entry);
	assert_int_equal(pf->lines[15].end, pf->len); /* no newline */
	assert_int_equal(pf->lines[15].len, pf->lines[15].end - pf->lines[15].off);

	/* groups and member lists (empty elements dropped) */
	assert_int_equal(hs_accounts_group_count(a), 8);
	g = hs_accounts_group(a, "users");
	assert_non_null(g);
	assert_int_equal(g->gid, 100);
	assert_string_equal(g->members[0], "alice");
	assert_string_equal(g->members[1], "bob");
	assert_string_equal(g->members[2], "al");
	assert_null(g->members[3]);
	assert_true(hs_accounts_group_by_gid(a, 18) == hs_accounts_group(a, "audio"));
	g = hs_accounts_group(a, "audio");
	assert_string_equal(g->members[3], "alice");
	assert_null(g->members[4]);
	g = hs_accounts_group(a, "video");
	assert_non_null(g->members);
	assert_null(g->members[0]);
	assert_int_equal(g->line, 9);
	assert_string_equal(hs_accounts_group_at(a, 0)->name, "root");
	assert_null(hs_accounts_group_at(a, 8));
	assert_null(hs_accounts_group_by_gid(a, 4242));
	assert_null(hs_accounts_group(a, "nisgroup"));

	/* shadow and gshadow */
	assert_string_equal(hs_accounts_shadow_hash(a, "alice"), "HASH_ALICE");
	assert_string_equal(hs_accounts_shadow_hash(a, "carol"), "");
	assert_null(hs_accounts_shadow_hash(a, "dave"));
	assert_null(hs_accounts_shadow_hash(a, "last"));
	assert_int_equal(hs_accounts_shadow_line(a, "bob"), 4);
	gs = hs_accounts_gshadow(a, "wheel");
	assert_non_null(gs);
	assert_string_equal(gs->admins[0], "alice");
	assert_string_equal(gs->admins[1], "root");
	assert_null(gs->admins[2]);
	assert_string_equal(gs->members[1], "alice");
	assert_null(hs_accounts_gshadow(a, "nope"));
	hs_accounts_free(a);
	hs_accounts_free(NULL);
}

static void test_parse_missing(void **state)
{
	fixture *f = *state;
	hs_accounts *a = NULL;

	/* missing shadow and gshadow are empty */
	fx_write(f, "etc/passwd", "u:x:1000:1000::/home/u:/bin/sh\n");
	fx_write(f, "etc/group", "u:x:1000:\n");
	assert_int_equal(hs_accounts_load(f->ctx, &a), 0);
	assert_false(hs_accounts_file(a, HS_ACCT_SHADOW)->exists);
	assert_int_equal(hs_accounts_file(a, HS_ACCT_SHADOW)->n, 0);
	assert_null(hs_accounts_shadow_hash(a, "u"));
	assert_int_equal(hs_accounts_user_count(a), 1);
	hs_accounts_free(a);

	/* an empty passwd is a file without entries */
	fx_write(f, "etc/passwd", "");
	assert_int_equal(hs_accounts_load(f->ctx, &a), 0);
	assert_int_equal(hs_accounts_user_count(a), 0);
	assert_null(hs_accounts_user_at(a, 0));
	hs_accounts_free(a);

	/* a missing group is an empty one; a missing passwd is an error naming the file */
	fx_rm(f, "etc/group");
	assert_int_equal(hs_accounts_load(f->ctx, &a), 0);
	assert_false(hs_accounts_file(a, HS_ACCT_GROUP)->exists);
	assert_int_equal(hs_accounts_group_count(a), 0);
	assert_null(hs_accounts_group_at(a, 0));
	hs_accounts_free(a);
	a = NULL;
	fx_rm(f, "etc/passwd");
	assert_int_equal(hs_accounts_load(f->ctx, &a), -ENOENT);
	assert_null(a);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd: does not exist under ROOT"));

	/* a directory in place of a file */
	fx_mkdir(f, "etc/passwd", 0755);
	assert_true(hs_accounts_load(f->ctx, &a) < 0);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd"));
}

static void test_parse_buf_edges(void **state)
{
	fixture *f = *state;
	static const char pw[] = "a:x:1:1::/:/bin/sh\n"
				 ":x:2:2::/:/bin/sh\n"
				 "nul:x:3:3::/:/bin\0sh\n"
				 "zero:x:0004:5::/:\n"
				 " lead:x:6:6::/:/bin/sh\n"
				 "sp:x: 7:7::/:/bin/sh\n"
				 "plus:x:+8:8::/:/bin/sh\n"
				 "cr:x:9:9::/:/bin/sh\r\n"
				 "#:x:10:10::/:/bin/sh\n";
	static const char gr[] = "g:x:1:a,b\n"
				 "h:x:2:,\n"
				 "i:x:3\n";
	const char *bufs[HS_ACCT__N] = { pw, NULL, gr, NULL };
	size_t lens[HS_ACCT__N] = { sizeof(pw) - 1, 0, sizeof(gr) - 1, 0 };
	hs_accounts *a = NULL;

	assert_int_equal(hs_accounts_parse(f->ctx, &a, bufs, lens), 0);
	assert_non_null(hs_accounts_user(a, "a"));
	assert_null(hs_accounts_user(a, ""));
	expect_warning(f, "/etc/passwd:2: line ignored: the user name is empty");
	expect_warning(f, "/etc/passwd:3: line ignored: it contains a NUL byte");
	assert_null(hs_accounts_user(a, "nul"));
	/* leading zeros are still decimal */
	assert_int_equal(hs_accounts_user(a, "zero")->uid, 4);
	/* blanks and signs are not */
	assert_null(hs_accounts_user(a, "sp"));
	assert_null(hs_accounts_user(a, "plus"));
	expect_warning(f, "/etc/passwd:6: line ignored: invalid UID ' 7' at column 6");
	/* a leading blank is part of the name (nss_files would skip it; we do not guess) */
	assert_null(hs_accounts_user(a, "lead"));
	assert_non_null(hs_accounts_user(a, " lead"));
	/* a CR stays in the last field */
	assert_string_equal(hs_accounts_user(a, "cr")->shell, "/bin/sh\r");
	assert_null(hs_accounts_user(a, "#"));
	assert_int_equal(hs_accounts_file(a, HS_ACCT_PASSWD)->n, 9);
	assert_null(hs_accounts_group(a, "h")->members[0]);
	assert_null(hs_accounts_group(a, "i"));
	expect_warning(f, "/etc/group:3: line ignored: expected 4 fields separated by ':', found 3");
	hs_accounts_free(a);

	/* list helpers: exact elements only */
	assert_true(hs_acct_list_has("al,alice", 8, "alice"));
	assert_true(hs_acct_list_has("al,alice", 8, "al"));
	assert_false(hs_acct_list_has("alicex,xalice", 13, "alice"));
	assert_false(hs_acct_list_has("", 0, "alice"));
	{
		char *s = hs_acct_list_without("al,alicex,alice,,alice", 22, "alice");

		assert_string_equal(s, "al,alicex,");
		free(s);
		s = hs_acct_list_without("alice", 5, "alice");
		assert_string_equal(s, "");
		free(s);
		s = hs_acct_list_without("a,,b", 4, "alice");
		assert_string_equal(s, "a,,b");
		free(s);
	}
}

/* ---- passwords ------------------------------------------------------------------------------------------ */

/* A hash of @pw with the method of @prefix, made with a random salt. */
static char *make_hash(const char *prefix, const char *pw)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof(salt)));
	assert_non_null(crypt_rn(pw, salt, &cd, sizeof(cd)));
	assert_int_equal(strncmp(cd.output, prefix, strlen(prefix)), 0);
	return strdup(cd.output);
}

static void test_password(void **state)
{
	fixture *f = *state;
	char *y = make_hash("$y$", "correct horse"), *s6 = make_hash("$6$", "s3cret pass"), *sh = NULL, *pw = NULL;
	char *y_other = make_hash("$y$", "correct horse");
	hs_accounts *a = NULL;

	assert_string_not_equal(y, y_other); /* salted */
	assert_true(asprintf(&sh,
			     "yes:%s:19000:0:99999:7:::\n"
			     "six:%s:19000:0:99999:7:::\n"
			     "lockbang:!%s:19000:0:99999:7:::\n"
			     "star:*:19000:0:99999:7:::\n"
			     "bang:!:19000:0:99999:7:::\n"
			     "empty::19000:0:99999:7:::\n"
			     "weird:$9$abc$def:19000:0:99999:7:::\n"
			     "junk:not-a-hash:19000:0:99999:7:::\n",
			     y, s6, s6) > 0);
	assert_true(asprintf(&pw,
			     "yes:x:1000:1000::/home/yes:/bin/sh\n"
			     "six:x:1001:1001::/home/six:/bin/sh\n"
			     "lockbang:x:1002:1002::/:/bin/sh\n"
			     "star:x:1003:1003::/:/bin/sh\n"
			     "bang:x:1004:1004::/:/bin/sh\n"
			     "empty:x:1005:1005::/:/bin/sh\n"
			     "weird:x:1006:1006::/:/bin/sh\n"
			     "junk:x:1007:1007::/:/bin/sh\n"
			     "noshadow:x:1008:1008::/:/bin/sh\n"
			     "inpasswd:%s:1009:1009::/:/bin/sh\n",
			     s6) > 0);
	fx_write(f, "etc/passwd", pw);
	fx_write_n(f, "etc/shadow", sh, SIZE_MAX, 0600);
	fx_write(f, "etc/group", "");
	assert_int_equal(hs_accounts_load(f->ctx, &a), 0);

	assert_int_equal(hs_accounts_check_password(f->ctx, a, "yes", "correct horse"), 0);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "yes", "correct hors"), -EACCES);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "does not match"));
	assert_null(strstr(hs_ctx_last_error(f->ctx), "correct")); /* never the password */
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "yes", "correct horse "), -EACCES);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "yes", ""), -EACCES);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "six", "s3cret pass"), 0);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "six", "correct horse"), -EACCES);
	/* a password hash in passwd itself (no shadow line) */
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "inpasswd", "s3cret pass"), 0);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "inpasswd", "nope"), -EACCES);
	/* locked, even with the right password behind the '!' */
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "lockbang", "s3cret pass"), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/shadow:3: the password of 'lockbang' is locked"));
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "star", ""), -EPERM);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "bang", "!"), -EPERM);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "empty", ""), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "empty password"));
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "noshadow", "x"), -EPERM);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd:9:"));
	/* methods crypt(3) does not know */
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "weird", "x"), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "('$9$')"));
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "junk", "x"), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/shadow:8: the password field of 'junk' is not a hash"));
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "nobody", "x"), -ENOENT);
	assert_int_equal(hs_accounts_check_password(f->ctx, a, "yes", NULL), -EINVAL);
	hs_accounts_free(a);
	free(y);
	free(y_other);
	free(s6);
	free(sh);
	free(pw);
}

/* ---- the lckpwdf lock ----------------------------------------------------------------------------------- */

/* A child holding a classic fcntl (lckpwdf-style) write lock on ROOT/etc/.pwd.lock until told to go. */
static pid_t lock_child(const fixture *f, int *go_fd)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char p[4096];
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(fx_path(f, "etc/.pwd.lock", p, sizeof(p)), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

/* Can another process take a classic fcntl write lock on the file right now? */
static bool others_can_lock(const fixture *f)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char p[4096];
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(fx_path(f, "etc/.pwd.lock", p, sizeof(p)), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		_exit(fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_lock(void **state)
{
	fixture *f = *state;
	hs_accounts_lock *lock = NULL, *lock2 = NULL;
	struct timespec t0, t1;
	int go, status;
	pid_t pid;
	long ms;

	/* no /etc */
	assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 100), -ENOENT);
	assert_null(lock);
	fx_mkdir(f, "etc", 0755);

	/* free: taken at once, the file is created 0600, others are kept out until release */
	assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 100), 0);
	assert_non_null(lock);
	assert_int_equal(file_mode(f, "etc/.pwd.lock"), 0600);
	assert_false(others_can_lock(f));
	/* a second take (another open file description) conflicts too, even in this process */
	assert_int_equal(hs_accounts_lock_take(f->ctx, &lock2, 50), -EWOULDBLOCK);
	hs_accounts_lock_release(lock);
	assert_true(others_can_lock(f));
	hs_accounts_lock_release(NULL);

	/* held by another process: the wait ends at the deadline, naming the holder */
	pid = lock_child(f, &go);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lock = NULL;
	assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 300), -EWOULDBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 290 && ms < 3000);
	assert_null(lock);
	{
		char want[64];

		snprintf(want, sizeof(want), "(process %ld)", (long)pid);
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), want));
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/.pwd.lock: another program"));
	}
	/* released while we wait: we get it */
	{
		pid_t rel = fork();

		assert_true(rel >= 0);
		if (rel == 0) {
			struct timespec ts = { 0, 150 * 1000000L };

			nanosleep(&ts, NULL);
			_exit(write(go, "g", 1) == 1 ? 0 : 1);
		}
		assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 5000), 0);
		assert_int_equal(waitpid(rel, &status, 0), rel);
	}
	close(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hs_accounts_lock_release(lock);

	/* a symlink in place of the lock file is not followed */
	{
		char p[4096], target[4096];

		unlink(fx_path(f, "etc/.pwd.lock", p, sizeof(p)));
		fx_path(f, "lock-target", target, sizeof(target));
		assert_int_equal(symlink(target, p), 0);
		assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 50), -ELOOP);
		assert_int_equal(access(target, F_OK), -1);
	}
}

/* ---- removal -------------------------------------------------------------------------------------------- */

static void assert_unchanged(const fixture *f)
{
	assert_file(f, "etc/passwd", passwd_text);
	assert_file(f, "etc/shadow", shadow_text);
	assert_file(f, "etc/group", group_text);
	assert_file(f, "etc/gshadow", gshadow_text);
}

static struct json_object *parse_undo(const char *undo)
{
	struct json_object *o = json_tokener_parse(undo), *v;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "format", &v));
	assert_string_equal(json_object_get_string(v), "homesetup-accounts-undo");
	assert_true(json_object_object_get_ex(o, "files", &v));
	return o;
}

static size_t undo_files(const char *undo)
{
	struct json_object *o = parse_undo(undo), *v;
	size_t n;

	json_object_object_get_ex(o, "files", &v);
	n = json_object_array_length(v);
	json_object_put(o);
	return n;
}

static const char *const alice_groups[] = { "users", "wheel", "audio", "nosuchgroup", "alice", NULL };

static void test_remove_private(void **state)
{
	fixture *f = *state;
	char *undo = NULL, *diff = NULL, *undo2 = NULL, *diff2 = NULL;
	unsigned fl = HS_ACCOUNTS_REMOVE_PRIVATE_GROUP | HS_ACCOUNTS_REMOVE_MEMBERSHIPS;

	write_accounts(f);
	/* pretend: the same undo record and diff, nothing written */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl | HS_ACCOUNTS_PRETEND,
						 &undo2, &diff2), 0);
	assert_unchanged(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo, &diff), 0);
	assert_string_equal(undo, undo2);
	assert_string_equal(diff, diff2);
	assert_file(f, "etc/passwd",
		    "root:x:0:0:root:/root:/bin/bash\n"
		    "# local users\n"
		    "\n"
		    "al:x:1001:1001:Al:/home/al:/bin/bash\n"
		    "bob:x:1002:100:Bob:/home/bob:/bin/bash\n"
		    "carol:x:1003:1003::/home/carol:/bin/sh\n"
		    "dave:x:1004:1003::/home/dave:/bin/sh\n"
		    "+nisuser::::::\n"
		    "short:x:1005\n"
		    "badid:x:10x0:100::/home/bad:/bin/sh\n"
		    "neg:x:-1:100::/home/neg:/bin/sh\n"
		    "big:x:4294967296:100::/home/big:/bin/sh\n"
		    "max:x:4294967295:100::/home/max:/bin/sh\n"
		    "last:x:1006:100::/home/last:");
	assert_file(f, "etc/shadow",
		    "root:*:19000:0:99999:7:::\n"
		    "al:$6$x$y:19000:0:99999:7:::\n"
		    "bob:!:19000:0:99999:7:::\n"
		    "carol::19000:0:99999:7:::\n"
		    "dave:short\n");
	assert_file(f, "etc/group",
		    "root:x:0:\n"
		    "users:x:100:bob,al\n"
		    "wheel:x:10:root\n"
		    "al:x:1001:\n"
		    "carol:x:1003:\n"
		    "audio:x:18:al,alicex,\n"
		    "-nisgroup\n"
		    "video:x:27:\n");
	assert_file(f, "etc/gshadow",
		    "root:::\n"
		    "users:!::bob,al\n"
		    "wheel:!:root:root\n"
		    "al:!::\n"
		    "carol:!::\n"
		    "audio:!:al:al,alicex,\n"
		    "video:!::\n");
	/* owner and mode kept */
	assert_int_equal(file_mode(f, "etc/shadow"), 0640);
	assert_int_equal(file_mode(f, "etc/gshadow"), 0600);
	expect_warning(f, "/etc/passwd: 'alice' has 2 lines; all of them are removed");
	expect_warning(f, "/etc/group: no group 'nosuchgroup'");
	/* the diff: every file, shadow hashes masked */
	assert_non_null(strstr(diff, "--- a/etc/passwd\n+++ b/etc/passwd\n"));
	assert_non_null(strstr(diff, "-alice:x:1000:1000:Alice Example:/home/alice:/bin/zsh\n"));
	assert_non_null(strstr(diff, "-alice:<hash>:19000:0:99999:7:::\n"));
	assert_non_null(strstr(diff, " al:<hash>:19000:0:99999:7:::\n"));
	assert_null(strstr(diff, "HASH_ALICE"));
	assert_null(strstr(diff, "$6$x$y"));
	assert_non_null(strstr(diff, "-users:x:100:alice,bob,al\n-wheel:x:10:root,alice\n+users:x:100:bob,al\n+wheel:x:10:root\n"));
	assert_non_null(strstr(diff, "-wheel:!:alice,root:root,alice\n"));
	assert_non_null(strstr(diff, "+wheel:!:root:root\n"));
	assert_int_equal(undo_files(undo), 4);

	/* again: the user is gone, nothing to do, an empty record */
	free(undo2);
	free(diff2);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo2, &diff2), 0);
	assert_int_equal(undo_files(undo2), 0);
	assert_string_equal(diff2, "");
	/* restoring an empty record does nothing */
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo2), 0);

	/* the restore of the files as the removal left them: the original bytes */
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	assert_int_equal(file_mode(f, "etc/shadow"), 0640);
	/* and a second restore changes nothing */
	hs_ctx_clear_warnings(f->ctx);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 8); /* the parse warnings of the load only */
	assert_false(has_warning(f, "put back"));
	free(undo);
	free(diff);
	free(undo2);
	free(diff2);
}

static void test_remove_shared_and_prefix(void **state)
{
	fixture *f = *state;
	const char *bob_groups[] = { "users", NULL }, *al_groups[] = { "users", "audio", NULL };
	unsigned fl = HS_ACCOUNTS_REMOVE_PRIVATE_GROUP | HS_ACCOUNTS_REMOVE_MEMBERSHIPS;
	char *undo = NULL;

	write_accounts(f);
	/* bob: primary group 'users' is shared: only his name leaves its lists */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "bob", bob_groups, fl, &undo, NULL), 0);
	assert_true(file_has(f, "etc/group", "users:x:100:alice,al\nwheel"));
	assert_true(file_has(f, "etc/gshadow", "users:!:alice:alice,al\n"));
	assert_false(file_has(f, "etc/passwd", "bob"));
	assert_false(file_has(f, "etc/shadow", "bob"));
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	free(undo);

	/* carol: GID == UID and a group 'carol', but dave's primary group too: kept, with a warning */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "carol", NULL, fl, &undo, NULL), 0);
	assert_file(f, "etc/group", group_text);
	assert_file(f, "etc/gshadow", gshadow_text);
	expect_warning(f, "/etc/group: the group 'carol' is kept: it is also the primary group of dave");
	assert_int_equal(undo_files(undo), 2);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	free(undo);

	/* al: a prefix of alice and alicex, which stay */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "al", al_groups, fl, &undo, NULL), 0);
	assert_file(f, "etc/passwd",
		    "root:x:0:0:root:/root:/bin/bash\n"
		    "# local users\n"
		    "\n"
		    "alice:x:1000:1000:Alice Example:/home/alice:/bin/zsh\n"
		    "bob:x:1002:100:Bob:/home/bob:/bin/bash\n"
		    "carol:x:1003:1003::/home/carol:/bin/sh\n"
		    "dave:x:1004:1003::/home/dave:/bin/sh\n"
		    "+nisuser::::::\n"
		    "short:x:1005\n"
		    "badid:x:10x0:100::/home/bad:/bin/sh\n"
		    "neg:x:-1:100::/home/neg:/bin/sh\n"
		    "big:x:4294967296:100::/home/big:/bin/sh\n"
		    "max:x:4294967295:100::/home/max:/bin/sh\n"
		    "alice:x:2000:2000::/elsewhere:/bin/sh\n"
		    "last:x:1006:100::/home/last:");
	assert_file(f, "etc/group",
		    "root:x:0:\n"
		    "users:x:100:alice,bob\n"
		    "wheel:x:10:root,alice\n"
		    "alice:x:1000:\n"
		    "carol:x:1003:\n"
		    "audio:x:18:alicex,alice,,alice\n"
		    "-nisgroup\n"
		    "video:x:27:\n");
	assert_file(f, "etc/gshadow",
		    "root:::\n"
		    "users:!:alice:alice,bob\n"
		    "wheel:!:alice,root:root,alice\n"
		    "alice:!::\n"
		    "carol:!::\n"
		    "audio:!::alicex,alice,,alice\n"
		    "video:!::\n");
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	free(undo);

	/* without flags: passwd and shadow only; the lists keep the name */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, 0, &undo, NULL), 0);
	assert_file(f, "etc/group", group_text);
	assert_file(f, "etc/gshadow", gshadow_text);
	assert_int_equal(undo_files(undo), 2);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);
	free(undo);

	/* absent: a no-op; names that are not names */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "ali", alice_groups, fl, &undo, NULL), 0);
	assert_int_equal(undo_files(undo), 0);
	free(undo);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "nisuser", NULL, fl, NULL, NULL), 0);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "badid", NULL, fl, NULL, NULL), 0);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "+nisuser", NULL, fl, NULL, NULL), -EINVAL);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "a:b", NULL, fl, NULL, NULL), -EINVAL);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "", NULL, fl, NULL, NULL), -EINVAL);
	assert_unchanged(f);
}

/* ---- restore after later edits -------------------------------------------------------------------------- */

static void test_restore_merge(void **state)
{
	fixture *f = *state;
	unsigned fl = HS_ACCOUNTS_REMOVE_PRIVATE_GROUP | HS_ACCOUNTS_REMOVE_MEMBERSHIPS;
	char *undo = NULL, *pw = NULL, *gr = NULL;
	static const char *const want_passwd =
		"root:x:0:0:root:/root:/bin/zsh\n" /* edited meanwhile */
		"# local users\n"
		"\n"
		"al:x:1001:1001:Al:/home/al:/bin/bash\n"
		"alice:x:1000:1000:Alice Example:/home/alice:/bin/zsh\n"
		"bob:x:1002:100:Bob:/home/bob:/bin/bash\n"
		"carol:x:1003:1003::/home/carol:/bin/sh\n"
		"dave:x:1004:1003::/home/dave:/bin/sh\n"
		"+nisuser::::::\n"
		"short:x:1005\n"
		"badid:x:10x0:100::/home/bad:/bin/sh\n"
		"neg:x:-1:100::/home/neg:/bin/sh\n"
		"big:x:4294967296:100::/home/big:/bin/sh\n"
		"max:x:4294967295:100::/home/max:/bin/sh\n"
		"alice:x:2000:2000::/elsewhere:/bin/sh\n"
		"last:x:1006:100::/home/last:\n"
		"zed:x:1010:1010::/home/zed:/bin/sh\n";

	write_accounts(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo, NULL), 0);
	/* meanwhile: passwd gets a user and an edit, group loses 'wheel' and gets a member in 'users' */
	pw = slurp(f, "etc/passwd", NULL);
	memcpy(strstr(pw, "/bin/bash"), "/bin/zsh\n", 9);
	memmove(strstr(pw, "\n# local") , strstr(pw, "\n# local") + 1, strlen(strstr(pw, "\n# local")));
	{
		char *p2 = NULL;

		assert_true(asprintf(&p2, "%s\nzed:x:1010:1010::/home/zed:/bin/sh\n", pw) > 0);
		fx_write(f, "etc/passwd", p2);
		free(p2);
	}
	fx_write(f, "etc/group",
		 "root:x:0:\n"
		 "users:x:100:bob,al,zed\n"
		 "al:x:1001:\n"
		 "carol:x:1003:\n"
		 "audio:x:18:al,alicex,\n"
		 "-nisgroup\n"
		 "video:x:27:\n");
	hs_ctx_clear_warnings(f->ctx);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_file(f, "etc/passwd", want_passwd);
	assert_file(f, "etc/group",
		    "root:x:0:\n"
		    "users:x:100:bob,al,zed,alice\n"
		    "al:x:1001:\n"
		    "alice:x:1000:\n"
		    "carol:x:1003:\n"
		    "audio:x:18:al,alicex,alice,,alice\n"
		    "-nisgroup\n"
		    "video:x:27:\n");
	expect_warning(f, "/etc/group: 'wheel' is gone; 'alice' is not put back into it");
	expect_warning(f, "/etc/passwd: changed since 'alice' was removed; the removed lines are put back one by one");
	/* untouched files come back byte for byte */
	assert_file(f, "etc/shadow", shadow_text);
	assert_file(f, "etc/gshadow", gshadow_text);
	/* a second restore finds everything there */
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_file(f, "etc/passwd", want_passwd);
	gr = slurp(f, "etc/group", NULL);
	assert_non_null(strstr(gr, "users:x:100:bob,al,zed,alice\n"));
	free(gr);
	free(pw);
	free(undo);
}

static void test_restore_edges(void **state)
{
	fixture *f = *state;
	char *undo = NULL, *pw = NULL;

	/* the last line, without a newline: removed and rebuilt exactly */
	write_accounts(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "last", NULL, 0, &undo, NULL), 0);
	assert_false(file_has(f, "etc/passwd", "last:"));
	assert_true(file_has(f, "etc/passwd", "/elsewhere:/bin/sh\n"));
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_unchanged(f);

	/* ... and put back in the middle of a file that grew since: it gets its newline */
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "last", NULL, 0, NULL, NULL), 0);
	pw = slurp(f, "etc/passwd", NULL);
	{
		char *p2 = NULL;

		assert_true(asprintf(&p2, "%szed:x:1010:1010::/home/zed:/bin/sh\n", pw) > 0);
		fx_write(f, "etc/passwd", p2);
		free(p2);
	}
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_true(file_has(f, "etc/passwd", "/elsewhere:/bin/sh\nlast:x:1006:100::/home/last:\nzed:x:1010"));
	free(undo);
	free(pw);

	/* the line before a removed one is gone: it goes at the end (a file without a final newline gets one) */
	write_accounts(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "carol", NULL, 0, &undo, NULL), 0);
	pw = slurp(f, "etc/passwd", NULL);
	{
		char *bob = strstr(pw, "bob:"), *eol = strchr(bob, '\n');

		memmove(bob, eol + 1, strlen(eol + 1) + 1);
		fx_write(f, "etc/passwd", pw);
	}
	hs_ctx_clear_warnings(f->ctx);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	expect_warning(f, "/etc/passwd: the line that preceded 'carol' is gone; it is put back at the end");
	assert_true(file_has(f, "etc/passwd", "/home/last:\ncarol:x:1003:1003::/home/carol:/bin/sh\n"));
	assert_false(file_has(f, "etc/passwd", "bob:"));
	/* the shadow file, unchanged since, is back byte for byte */
	assert_file(f, "etc/shadow", shadow_text);
	free(undo);
	free(pw);

	/* two lines in a row removed, the file edited elsewhere: they come back in their order */
	write_accounts(f);
	fx_write(f, "etc/passwd", "a:x:1:1::/:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\nu:x:1001:1001::/:/bin/sh\nz:x:2:2::/:/bin/sh\n");
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "u", NULL, 0, &undo, NULL), 0);
	assert_file(f, "etc/passwd", "a:x:1:1::/:/bin/sh\nz:x:2:2::/:/bin/sh\n");
	fx_write(f, "etc/passwd", "a:x:1:1::/:/bin/bash\nz:x:2:2::/:/bin/sh\n");
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	/* "a" changed, so the first line goes after... nothing it knows: at the end, the second right after it */
	assert_file(f, "etc/passwd",
		    "a:x:1:1::/:/bin/bash\nz:x:2:2::/:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\nu:x:1001:1001::/:/bin/sh\n");
	free(undo);
	fx_write(f, "etc/passwd", "a:x:1:1::/:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\nu:x:1001:1001::/:/bin/sh\nz:x:2:2::/:/bin/sh\n");
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "u", NULL, 0, &undo, NULL), 0);
	fx_write(f, "etc/passwd", "a:x:1:1::/:/bin/sh\nz:x:2:2::/:/bin/zsh\n");
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_file(f, "etc/passwd",
		    "a:x:1:1::/:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\nu:x:1001:1001::/:/bin/sh\nz:x:2:2::/:/bin/zsh\n");
	free(undo);

	/* a shadow file removed since the removal is created again, 0600 */
	write_accounts(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", NULL, 0, &undo, NULL), 0);
	fx_rm(f, "etc/shadow");
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), 0);
	assert_file(f, "etc/shadow", "alice:HASH_ALICE:19000:0:99999:7:::\n");
	assert_int_equal(file_mode(f, "etc/shadow"), 0600);
	free(undo);
}

static void test_restore_conflict_and_bad(void **state)
{
	fixture *f = *state;
	unsigned fl = HS_ACCOUNTS_REMOVE_PRIVATE_GROUP | HS_ACCOUNTS_REMOVE_MEMBERSHIPS;
	char *undo = NULL, *pw = NULL, *gr = NULL, *p2 = NULL;

	write_accounts(f);
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo, NULL), 0);
	gr = slurp(f, "etc/group", NULL);
	pw = slurp(f, "etc/passwd", NULL);
	/* someone made another alice meanwhile: refuse, write nothing */
	assert_true(asprintf(&p2, "%s\nalice:x:3000:3000::/home/alice:/bin/sh\n", pw) > 0);
	fx_write(f, "etc/passwd", p2);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, undo), -EEXIST);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd:15: 'alice' is there again"));
	assert_file(f, "etc/passwd", p2);
	assert_file(f, "etc/group", gr);

	/* records that are not ours */
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, "not json"), -EINVAL);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, NULL), -EINVAL);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL, "{\"format\":\"x\",\"version\":1}"), -EINVAL);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL,
					     "{\"format\":\"homesetup-accounts-undo\",\"version\":2,\"user\":\"a\","
					     "\"files\":[]}"), -EINVAL);
	assert_int_equal(hs_accounts_restore(f->ctx, NULL,
					     "{\"format\":\"homesetup-accounts-undo\",\"version\":1,\"user\":\"a\","
					     "\"files\":[{\"path\":\"/etc/sudoers\",\"before\":\"sha256:00\",\"after\":"
					     "\"sha256:00\",\"changes\":[]}]}"), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "not one of /etc/{passwd,shadow,group,gshadow}"));
	{
		/* a change with two lines in one text */
		char *bad = strdup(undo), *at = strstr(bad, "\"old\":\"alice:x:1000");

		assert_non_null(at);
		memcpy(at + 7, "\\n", 2);
		assert_int_equal(hs_accounts_restore(f->ctx, NULL, bad), -EINVAL);
		free(bad);
	}
	assert_file(f, "etc/passwd", p2);
	free(p2);
	free(pw);
	free(gr);
	free(undo);
}

/* ---- -ESTALE and the put-back of files written ---------------------------------------------------------- */

static fixture *hook_fx;
static const char *hook_file;
static int hook_calls;

static void stale_hook(hs_atomic_step step)
{
	if (step == HS_ATOMIC_STEP_LOCK && hook_calls++ == 0) {
		char p[4096];
		FILE *fp = fopen(fx_path(hook_fx, hook_file, p, sizeof(p)), "a");

		assert_non_null(fp);
		fputs("# edited by someone else\n", fp);
		fclose(fp);
	}
}

static void test_stale(void **state)
{
	fixture *f = *state;
	unsigned fl = HS_ACCOUNTS_REMOVE_PRIVATE_GROUP | HS_ACCOUNTS_REMOVE_MEMBERSHIPS;
	char *undo = NULL, *want = NULL;

	write_accounts(f);
	hook_fx = f;
	/* the first file written (gshadow) changes under us: nothing is written */
	hook_file = "etc/gshadow";
	hook_calls = 0;
	hs_atomic_step_hook = stale_hook;
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo, NULL), -ESTALE);
	hs_atomic_step_hook = NULL;
	assert_null(undo);
	assert_file(f, "etc/passwd", passwd_text);
	assert_file(f, "etc/shadow", shadow_text);
	assert_file(f, "etc/group", group_text);
	assert_true(asprintf(&want, "%s# edited by someone else\n", gshadow_text) > 0);
	assert_file(f, "etc/gshadow", want);
	free(want);

	/* passwd (written last) changes while gshadow is written: gshadow, group and shadow are put back */
	write_accounts(f);
	hook_file = "etc/passwd";
	hook_calls = 0;
	hs_atomic_step_hook = stale_hook;
	assert_int_equal(hs_accounts_remove_user(f->ctx, NULL, "alice", alice_groups, fl, &undo, NULL), -ESTALE);
	hs_atomic_step_hook = NULL;
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd"));
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "were put back"));
	assert_file(f, "etc/shadow", shadow_text);
	assert_file(f, "etc/group", group_text);
	assert_file(f, "etc/gshadow", gshadow_text);
	assert_true(asprintf(&want, "%s# edited by someone else\n", passwd_text) > 0);
	assert_file(f, "etc/passwd", want);
	assert_int_equal(file_mode(f, "etc/gshadow"), 0600);
	free(want);

	/* the lock held elsewhere: the removal waits, then gives up (here: a lock given by the caller is used) */
	{
		hs_accounts_lock *lock = NULL;

		write_accounts(f);
		assert_int_equal(hs_accounts_lock_take(f->ctx, &lock, 100), 0);
		assert_int_equal(hs_accounts_remove_user(f->ctx, lock, "alice", alice_groups, fl, &undo, NULL), 0);
		assert_int_equal(hs_accounts_restore(f->ctx, lock, undo), 0);
		hs_accounts_lock_release(lock);
		assert_unchanged(f);
		free(undo);
	}
}

/* ---- backups -------------------------------------------------------------------------------------------- */

static void test_backup(void **state)
{
	fixture *f = *state;
	const char *names[] = { "passwd", "shadow", "group", "gshadow" };
	const char *texts[] = { passwd_text, shadow_text, group_text, gshadow_text };
	const mode_t modes[] = { 0644, 0600, 0644, 0600 };
	char *stamp = NULL, rel[256];
	struct stat st;

	write_accounts(f);
	assert_int_equal(hs_accounts_backup(f->ctx, "/var/lib/homesetup/migrate/alice", &stamp), 0);
	assert_int_equal(strlen(stamp), 16);
	assert_true(stamp[8] == 'T' && stamp[15] == 'Z');
	for (unsigned i = 0; i < 4; i++) {
		snprintf(rel, sizeof(rel), "var/lib/homesetup/migrate/alice/%s.%s", names[i], stamp);
		assert_file(f, rel, texts[i]);
		assert_int_equal(file_mode(f, rel), modes[i]);
		assert_int_equal(stat(fx_path(f, rel, (char[4096]){ 0 }, 4096), &st), 0);
		assert_int_equal(st.st_uid, geteuid());
	}
	assert_int_equal(file_mode(f, "var/lib/homesetup/migrate/alice"), 0700);
	/* the same second again: refused, nothing overwritten */
	{
		char *again = NULL;
		int r = hs_accounts_backup(f->ctx, "/var/lib/homesetup/migrate/alice", &again);

		if (r == 0) {
			assert_string_not_equal(again, stamp);
			free(again);
		} else {
			assert_int_equal(r, -EEXIST);
			assert_null(again);
		}
	}
	free(stamp);

	/* no gshadow: three files; no passwd: an error and nothing left behind */
	fx_rm(f, "etc/gshadow");
	fx_rm(f, "var/lib/homesetup/migrate/alice");
	assert_int_equal(hs_accounts_backup(f->ctx, "/var/lib/homesetup/migrate/alice", &stamp), 0);
	snprintf(rel, sizeof(rel), "var/lib/homesetup/migrate/alice/gshadow.%s", stamp);
	assert_int_equal(access(fx_path(f, rel, (char[4096]){ 0 }, 4096), F_OK), -1);
	free(stamp);
	stamp = NULL;
	fx_rm(f, "etc/passwd");
	fx_rm(f, "var/lib/homesetup/migrate/alice");
	assert_int_equal(hs_accounts_backup(f->ctx, "/var/lib/homesetup/migrate/alice", &stamp), -ENOENT);
	assert_null(stamp);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/passwd: does not exist"));
	/* a later file that cannot be read: the backups made before it are removed */
	fx_write(f, "etc/passwd", passwd_text);
	fx_mkdir(f, "etc/gshadow", 0755);
	assert_true(hs_accounts_backup(f->ctx, "/var/lib/homesetup/migrate/alice", &stamp) < 0);
	assert_null(stamp);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/gshadow"));
	{
		DIR *d = opendir(fx_path(f, "var/lib/homesetup/migrate/alice", (char[4096]){ 0 }, 4096));
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(n, 0);
	}
	assert_int_equal(hs_accounts_backup(f->ctx, "relative", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_lookup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parse_missing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parse_buf_edges, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_password, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_remove_private, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_remove_shared_and_prefix, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_merge, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_edges, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_conflict_and_bad, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stale, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
