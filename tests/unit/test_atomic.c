/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * atomic.c: replacing a file under a root. Owner, mode, SELinux label and ACL kept; hard-link backups; no-op
 * writes nothing; -ESTALE when the file changed; the lock (contention, a stale lock file, a dead holder);
 * symlinks followed inside the root; ENOSPC on a 16 KiB tmpfs, EROFS on a read-only bind mount and EACCES as an
 * unprivileged user, each leaving the original untouched and nothing behind; a failure injected at every step;
 * a crash (SIGKILL in a forked child) at every step, after which the file is byte-identical to the old or the
 * new contents and the next run cleans up; concurrent writers that lose no update.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"

static const char OLD[] = "# make.conf\nUSE=\"X -gnome\"\n";
static const char NEW[] = "# make.conf\nUSE=\"X -gnome homed\"\n";

typedef struct fixture {
	char root[64];
	char dir[128];  /* root + "/etc/portage" */
	char file[192]; /* dir + "/make.conf" */
	hs_ctx *ctx;
} fixture;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void put(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
}

/* The whole file, or NULL when missing. */
static char *slurp(const char *path, size_t *len)
{
	hs_buf b = {0};
	char tmp[4096];
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((k = read(fd, tmp, sizeof(tmp))) > 0)
		assert_int_equal(hs_buf_append(&b, tmp, (size_t)k), 0);
	close(fd);
	if (len)
		*len = b.len;
	return hs_buf_steal(&b);
}

static void assert_content(const char *path, const char *want)
{
	size_t len = 0;
	char *got = slurp(path, &len);

	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

/* Directory entries other than . and .., sorted, joined by spaces; NULL when unreadable. */
static char *listing_or_null(const char *dir)
{
	struct dirent **names = NULL;
	hs_buf b = {0};
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
			if (b.len)
				hs_buf_putc(&b, ' ');
			hs_buf_puts(&b, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	return hs_buf_steal(&b);
}

static char *listing(const char *dir)
{
	char *l = listing_or_null(dir);

	assert_non_null(l);
	return l;
}

static void assert_listing(const char *dir, const char *want)
{
	char *got = listing(dir);

	assert_string_equal(got, want);
	free(got);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/hs-atomic-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/etc", f->root);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	snprintf(f->dir, sizeof(f->dir), "%s/etc/portage", f->root);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	snprintf(f->file, sizeof(f->file), "%s/make.conf", f->dir);
	put(f->file, OLD, strlen(OLD));
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_config_root(f->ctx, f->root), 0);
	hs_atomic_fault_step = 0;
	hs_atomic_fault_errno = 0;
	hs_atomic_lock_timeout_ms = 10000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	umount2(f->dir, MNT_DETACH); /* in case a mount test failed half-way */
	nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	hs_ctx_free(f->ctx);
	free(f);
	return 0;
}

static int replace(fixture *f, const char *content, unsigned flags, const hs_atomic_expect *expect, char **backup)
{
	return hs_atomic_replace(f->ctx, HS_ROOT_CONFIG, "/etc/portage/make.conf", content, strlen(content), 0, flags,
				 expect, backup);
}

/* ---- the ordinary cases ------------------------------------------------------------------------------- */

static void test_replace_keeps_owner_and_mode(void **state)
{
	fixture *f = *state;
	uid_t uid = 1234;
	gid_t gid = 5678;
	struct stat before, after;

	if (chown(f->file, uid, gid) < 0) {
		/* not root: the file keeps our own ids, and only the mode is shown to survive */
		print_message("# cannot chown (%s): checking the mode and our own owner only\n", strerror(errno));
		uid = geteuid();
		gid = getegid();
	}
	assert_int_equal(chmod(f->file, 0640), 0);
	assert_int_equal(stat(f->file, &before), 0);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_content(f->file, NEW);
	assert_int_equal(stat(f->file, &after), 0);
	assert_int_not_equal(after.st_ino, before.st_ino); /* a new inode: the old one was never written to */
	assert_int_equal(after.st_uid, uid);
	assert_int_equal(after.st_gid, gid);
	assert_int_equal(after.st_mode & 07777, 0640);
	assert_listing(f->dir, "make.conf"); /* no temporary, no lock file */
	assert_int_equal(hs_ctx_warning_count(f->ctx), 0);
}

static void test_new_file_mode(void **state)
{
	fixture *f = *state;
	char path[256];
	struct stat st;
	mode_t old = umask(077);

	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/new", "x\n", 2, 0, 0), 0);
	snprintf(path, sizeof(path), "%s/new", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* the default, whatever the umask */
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/secret", "y\n", 2, 0600, 0), 0);
	snprintf(path, sizeof(path), "%s/secret", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	umask(old);
	assert_content(path, "y\n");
	/* a missing directory is not created */
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/package.use/homed", "z\n", 2, 0, 0),
			 -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "directory /etc/portage/package.use does not exist"));
}

static void test_noop_writes_nothing(void **state)
{
	fixture *f = *state;
	struct timespec ts[2] = { { .tv_sec = 946684800 }, { .tv_sec = 946684800 } };
	struct stat before, after;

	assert_int_equal(utimensat(AT_FDCWD, f->file, ts, 0), 0);
	assert_int_equal(stat(f->file, &before), 0);
	assert_int_equal(replace(f, OLD, HS_ATOMIC_BACKUP, NULL, NULL), 1);
	assert_int_equal(stat(f->file, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mtim.tv_sec, 946684800);
	assert_listing(f->dir, "make.conf"); /* and no backup either */
	/* removing a missing file is a no-op too */
	assert_int_equal(hs_atomic_remove(f->ctx, HS_ROOT_CONFIG, "/etc/portage/missing", 0, NULL, NULL), 1);
}

static void test_backup(void **state)
{
	fixture *f = *state;
	char *backup = NULL, *backup2 = NULL, path[256];
	struct stat before, bst;
	const char *name;

	assert_int_equal(stat(f->file, &before), 0);
	assert_int_equal(replace(f, NEW, HS_ATOMIC_BACKUP, NULL, &backup), 0);
	assert_non_null(backup);
	/* "/etc/portage/make.conf.homesetup-20250101T120000Z~" */
	assert_true(strncmp(backup, "/etc/portage/make.conf.homesetup-", 33) == 0);
	name = backup + 33;
	assert_int_equal(strlen(name), 17);
	assert_int_equal(name[8], 'T');
	assert_int_equal(name[15], 'Z');
	assert_int_equal(name[16], '~');
	snprintf(path, sizeof(path), "%s%s", f->root, backup);
	assert_int_equal(stat(path, &bst), 0);
	assert_int_equal(bst.st_ino, before.st_ino); /* a hard link to the old inode */
	assert_content(path, OLD);
	assert_content(f->file, NEW);
	/* a second backup within the same second gets its own name */
	assert_int_equal(replace(f, OLD, HS_ATOMIC_BACKUP, NULL, &backup2), 0);
	assert_non_null(backup2);
	assert_string_not_equal(backup, backup2);
	snprintf(path, sizeof(path), "%s%s", f->root, backup2);
	assert_content(path, NEW);
	free(backup);
	free(backup2);
	/* no backup of a file that did not exist */
	assert_int_equal(hs_atomic_replace(f->ctx, HS_ROOT_CONFIG, "/etc/portage/fresh", "a\n", 2, 0, HS_ATOMIC_BACKUP,
					   NULL, &backup),
			 0);
	assert_null(backup);
}

static void test_stale(void **state)
{
	fixture *f = *state;
	hs_atomic_expect planned = { .exists = true, .data = OLD, .len = strlen(OLD) };
	hs_atomic_expect absent = { .exists = false };
	static const char OTHER[] = "# make.conf\nUSE=\"X\"\n";

	put(f->file, OTHER, strlen(OTHER)); /* someone edits the file after we read it */
	assert_int_equal(replace(f, NEW, HS_ATOMIC_BACKUP, &planned, NULL), -ESTALE);
	assert_string_equal(hs_ctx_last_error(f->ctx),
			    "/etc/portage/make.conf: changed since it was read; nothing was written, run the command "
			    "again");
	assert_content(f->file, OTHER);
	assert_listing(f->dir, "make.conf");
	/* planned against a missing file that now exists */
	assert_int_equal(replace(f, NEW, 0, &absent, NULL), -ESTALE);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "was created since it was read"));
	/* already holding the wanted bytes wins over the stale check: the change is made */
	assert_int_equal(replace(f, OTHER, 0, &planned, NULL), 1);
	/* the file vanished */
	assert_int_equal(unlink(f->file), 0);
	assert_int_equal(replace(f, NEW, 0, &planned, NULL), -ESTALE);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "was removed since it was read"));
	assert_listing(f->dir, "");
	/* the matching expectation goes through */
	assert_int_equal(replace(f, NEW, 0, &absent, NULL), 0);
	assert_content(f->file, NEW);
}

static const char *hook_file;

static void write_behind_our_back(hs_atomic_step step)
{
	if (step == HS_ATOMIC_STEP_SYNC)
		put(hook_file, "# edited meanwhile\n", 19);
}

/* An editor that takes no lock writes the file while the new contents are being prepared. */
static void test_changed_while_writing(void **state)
{
	fixture *f = *state;
	hs_atomic_expect planned = { .exists = true, .data = OLD, .len = strlen(OLD) };
	int r;

	hook_file = f->file;
	hs_atomic_step_hook = write_behind_our_back;
	r = replace(f, NEW, HS_ATOMIC_BACKUP, &planned, NULL);
	hs_atomic_step_hook = NULL;
	assert_int_equal(r, -ESTALE);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/etc/portage/make.conf: changed while the new contents were "
						       "being written; nothing was written, run the command again");
	assert_content(f->file, "# edited meanwhile\n");
	assert_listing(f->dir, "make.conf");
	/* without an expectation the caller asked for these bytes whatever the file holds */
	hs_atomic_step_hook = write_behind_our_back;
	r = replace(f, NEW, 0, NULL, NULL);
	hs_atomic_step_hook = NULL;
	assert_int_equal(r, 0);
	assert_content(f->file, NEW);
}

static void test_remove(void **state)
{
	fixture *f = *state;
	hs_atomic_expect wrong = { .exists = true, .data = NEW, .len = strlen(NEW) };
	hs_atomic_expect right = { .exists = true, .data = OLD, .len = strlen(OLD) };
	char *backup = NULL, path[256];

	assert_int_equal(hs_atomic_remove(f->ctx, HS_ROOT_CONFIG, "/etc/portage/make.conf", 0, &wrong, NULL), -ESTALE);
	assert_content(f->file, OLD);
	assert_int_equal(
		hs_atomic_remove(f->ctx, HS_ROOT_CONFIG, "/etc/portage/make.conf", HS_ATOMIC_BACKUP, &right, &backup),
		0);
	assert_null(slurp(f->file, NULL));
	assert_non_null(backup);
	snprintf(path, sizeof(path), "%s%s", f->root, backup);
	assert_content(path, OLD);
	free(backup);
}

static void test_symlinks(void **state)
{
	fixture *f = *state;
	char real[256], link[256], outside[256];
	struct stat st;

	/* a symlink is followed (inside the root) and its target replaced; the link stays */
	snprintf(real, sizeof(real), "%s/make.conf.real", f->dir);
	rename(f->file, real);
	assert_int_equal(symlink("make.conf.real", f->file), 0);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_int_equal(lstat(f->file, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(real, NEW);
	/* an absolute target means the root's own file, not the host's */
	snprintf(link, sizeof(link), "%s/abs", f->dir);
	assert_int_equal(symlink("/etc/portage/make.conf.real", link), 0);
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/abs", OLD, strlen(OLD), 0, 0), 0);
	assert_content(real, OLD);
	/* a dangling link is not turned into a file (its target could be anywhere) */
	snprintf(outside, sizeof(outside), "%s/dangling", f->dir);
	assert_int_equal(symlink("/nonexistent-homesetup-test/x", outside), 0);
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/dangling", "x", 1, 0, 0), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(f->ctx), "symbolic link to a missing file"));
	assert_int_equal(access("/nonexistent-homesetup-test", F_OK), -1);
}

static void test_not_regular(void **state)
{
	fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage/fifo", "x", 1, 0, 0), -EINVAL);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/etc/portage/fifo: not a regular file; refusing to replace it");
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/etc/portage", "x", 1, 0, 0), -EISDIR);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/etc/portage: is a directory");
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "/", "x", 1, 0, 0), -EISDIR);
	assert_int_equal(hs_atomic_write_file(f->ctx, HS_ROOT_CONFIG, "relative", "x", 1, 0, 0), -EINVAL);
	assert_listing(f->dir, "fifo make.conf");
}

static void test_hard_links_warned(void **state)
{
	fixture *f = *state;
	char other[256];

	snprintf(other, sizeof(other), "%s/other-name", f->dir);
	assert_int_equal(link(f->file, other), 0);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_int_equal(hs_ctx_warning_count(f->ctx), 1);
	assert_string_equal(hs_ctx_warning(f->ctx, 0),
			    "/etc/portage/make.conf: has 2 hard links; only this name gets the new contents");
	assert_content(other, OLD);
}

static void test_xattrs_kept(void **state)
{
	fixture *f = *state;
	static const char label[] = "system_u:object_r:portage_conf_t:s0";
	/* POSIX ACL xattr: version 2, then (tag, perm, id) entries: user::rw- user:1234:r-- group::r-- mask::r--
	 * other::--- */
	static const unsigned char acl[] = {
		2, 0, 0, 0,
		0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
		0x02, 0, 4, 0, 0xd2, 0x04, 0, 0,
		0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
		0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};
	char got[256];
	bool have_label, have_acl;
	ssize_t n;

	have_label = setxattr(f->file, "security.selinux", label, sizeof(label), 0) == 0;
	have_acl = setxattr(f->file, "system.posix_acl_access", acl, sizeof(acl), 0) == 0;
	if (!have_label && !have_acl) {
		print_message("# this file system keeps neither security.selinux nor POSIX ACLs\n");
		skip();
	}
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_content(f->file, NEW);
	if (have_label) {
		n = getxattr(f->file, "security.selinux", got, sizeof(got));
		assert_int_equal(n, (ssize_t)sizeof(label));
		assert_memory_equal(got, label, sizeof(label));
	}
	if (have_acl) {
		struct stat st;

		n = getxattr(f->file, "system.posix_acl_access", got, sizeof(got));
		assert_int_equal(n, (ssize_t)sizeof(acl));
		assert_memory_equal(got, acl, sizeof(acl));
		assert_int_equal(stat(f->file, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640); /* group bits = the ACL mask */
	}
}

static void test_stale_temporaries_removed(void **state)
{
	fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/.make.conf.homesetup-Ab3xY9", f->dir);
	put(path, "half", 4);
	snprintf(path, sizeof(path), "%s/.make.conf.homesetup-notours", f->dir);
	put(path, "keep", 4);
	snprintf(path, sizeof(path), "%s/.make.conf.homesetup.lock", f->dir); /* a lock left by a dead process */
	put(path, "99999\n", 6);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_content(f->file, NEW);
	assert_listing(f->dir, ".make.conf.homesetup-notours make.conf");
	assert_int_equal(hs_ctx_warning_count(f->ctx), 1);
	assert_string_equal(hs_ctx_warning(f->ctx, 0),
			    "/etc/portage/make.conf: removed .make.conf.homesetup-Ab3xY9, left behind by an interrupted "
			    "run");
}

/* ---- the lock ----------------------------------------------------------------------------------------- */

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_lock_contention(void **state)
{
	fixture *f = *state;
	char lock[256], want[512];
	struct timespec t0;
	int fd, r;

	snprintf(lock, sizeof(lock), "%s/.make.conf.homesetup.lock", f->dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(write(fd, "4242\n", 5), 5);
	hs_atomic_lock_timeout_ms = 200;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = replace(f, NEW, 0, NULL, NULL);
	assert_int_equal(r, -EBUSY);
	assert_true(elapsed_ms(&t0) >= 200);
	snprintf(want, sizeof(want),
		 "/etc/portage/make.conf: another homesetup process with pid 4242 is changing this file (lock "
		 "/etc/portage/.make.conf.homesetup.lock held for 200 ms); try again later");
	assert_string_equal(hs_ctx_last_error(f->ctx), want);
	assert_content(f->file, OLD);
	/* the holder finishes (it unlinks, then unlocks): the waiter goes ahead */
	unlink(lock);
	close(fd);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_listing(f->dir, "make.conf");
}

static void test_waits_for_lock(void **state)
{
	fixture *f = *state;
	char lock[256];
	struct timespec t0;
	int fd, pipefd[2];
	pid_t pid;
	char c;

	snprintf(lock, sizeof(lock), "%s/.make.conf.homesetup.lock", f->dir);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		_exit(0); /* dies holding it, without unlinking: the lock goes with the process */
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(replace(f, NEW, 0, NULL, NULL), 0);
	assert_true(elapsed_ms(&t0) >= 250);
	waitpid(pid, NULL, 0);
	assert_content(f->file, NEW);
	assert_listing(f->dir, "make.conf");
}

/* Writers in separate processes, each adding its lines through read-check-write: none is lost. */
static void test_concurrent_writers(void **state)
{
	fixture *f = *state;
	enum { WRITERS = 6, ROUNDS = 15 };
	pid_t pids[WRITERS];
	char *text;

	put(f->file, "", 0);
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			hs_ctx *ctx = NULL;

			if (hs_ctx_new(&ctx) < 0 || hs_ctx_set_config_root(ctx, f->root) < 0)
				_exit(2);
			for (int i = 0; i < ROUNDS; i++) {
				for (int attempt = 0;; attempt++) {
					hs_edit *e = NULL;
					char line[64];
					int r;

					snprintf(line, sizeof(line), "writer %d line %d\n", w, i);
					if (hs_edit_new(ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf") < 0 ||
					    hs_edit_append(e, line) < 0)
						_exit(3);
					r = hs_edit_commit(e, 0);
					hs_edit_free(e);
					if (r == 0)
						break;
					if (r != -ESTALE || attempt > 1000)
						_exit(4);
				}
			}
			hs_ctx_free(ctx);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;

		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	text = slurp(f->file, NULL);
	assert_non_null(text);
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < ROUNDS; i++) {
			char line[64];
			char *at;

			snprintf(line, sizeof(line), "writer %d line %d\n", w, i);
			at = strstr(text, line);
			assert_non_null(at);
			assert_null(strstr(at + 1, line));
		}
	{
		size_t lines = 0;

		for (char *p = text; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, WRITERS * ROUNDS);
	}
	free(text);
	assert_listing(f->dir, "make.conf");
}

/* ---- failures ----------------------------------------------------------------------------------------- */

/* What a write on a special mount did, gathered before the mount goes away. */
typedef struct mount_outcome {
	int setup_errno;   /* the mount could not be made: skip */
	char setup_what[64];
	int r;
	char msg[512];
	char listing[256];
	char content[256];
} mount_outcome;

typedef enum mount_kind { MOUNT_TINY_TMPFS, MOUNT_READ_ONLY } mount_kind;

static void outcome_set(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "(missing)");
}

/* Mount, write, look, unmount; no assertions (this may run in a child). */
static void write_on_mount(fixture *f, mount_kind kind, mount_outcome *o)
{
	char *left, *now;

	if (kind == MOUNT_TINY_TMPFS) {
		size_t big = 64 * 1024;
		char *content;
		int fd;

		if (mount("homesetup-test", f->dir, "tmpfs", 0, "size=16k,mode=0755") < 0) {
			o->setup_errno = errno;
			outcome_set(o->setup_what, sizeof(o->setup_what), "mount a 16 KiB tmpfs");
			return;
		}
		fd = open(f->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, OLD, strlen(OLD)) != (ssize_t)strlen(OLD)) {
			o->setup_errno = errno;
			outcome_set(o->setup_what, sizeof(o->setup_what), "write a file on the tmpfs");
			if (fd >= 0)
				close(fd);
			umount2(f->dir, MNT_DETACH);
			return;
		}
		close(fd);
		content = malloc(big + 1);
		if (!content)
			abort();
		memset(content, 'u', big);
		content[big] = '\0';
		o->r = replace(f, content, HS_ATOMIC_BACKUP, NULL, NULL);
		free(content);
	} else {
		if (mount(f->dir, f->dir, NULL, MS_BIND, NULL) < 0) {
			o->setup_errno = errno;
			outcome_set(o->setup_what, sizeof(o->setup_what), "bind-mount the directory");
			return;
		}
		if (mount(NULL, f->dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
			o->setup_errno = errno;
			outcome_set(o->setup_what, sizeof(o->setup_what), "make the bind mount read-only");
			umount2(f->dir, MNT_DETACH);
			return;
		}
		o->r = replace(f, NEW, HS_ATOMIC_BACKUP, NULL, NULL);
	}
	outcome_set(o->msg, sizeof(o->msg), hs_ctx_last_error(f->ctx));
	left = listing_or_null(f->dir);
	now = slurp(f->file, NULL);
	outcome_set(o->listing, sizeof(o->listing), left);
	outcome_set(o->content, sizeof(o->content), now);
	free(left);
	free(now);
	umount2(f->dir, MNT_DETACH);
}

static int write_id_map(const char *file, const char *map)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, map, strlen(map));
	close(fd);
	return n == (ssize_t)strlen(map) ? 0 : -EIO;
}

/* As root in place; otherwise in a child that owns a new user and mount namespace (we are "root" there, over
 * our own files), so that unprivileged CI runs the test too. */
static void mount_and_write(fixture *f, mount_kind kind, mount_outcome *o)
{
	int pipefd[2], status;
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (uid == 0) {
		write_on_mount(f, kind, o);
		return;
	}
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mount_outcome co = {0};

		close(pipefd[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			co.setup_errno = errno;
			outcome_set(co.setup_what, sizeof(co.setup_what), "create a user namespace");
		} else {
			snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)uid);
			if (write_id_map("/proc/self/uid_map", map) < 0 || write_id_map("/proc/self/setgroups", "deny") < 0)
				co.setup_errno = EPERM;
			snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)gid);
			if (!co.setup_errno && write_id_map("/proc/self/gid_map", map) < 0)
				co.setup_errno = EPERM;
			if (co.setup_errno)
				outcome_set(co.setup_what, sizeof(co.setup_what), "map our ids in a user namespace");
			else
				write_on_mount(f, kind, &co);
		}
		if (write(pipefd[1], &co, sizeof(co)) != (ssize_t)sizeof(co))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], o, sizeof(*o)), (ssize_t)sizeof(*o));
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_enospc(void **state)
{
	fixture *f = *state;
	mount_outcome o;

	mount_and_write(f, MOUNT_TINY_TMPFS, &o);
	if (o.setup_errno) {
		print_message("# cannot %s (%s)\n", o.setup_what, strerror(o.setup_errno));
		skip();
	}
	assert_int_equal(o.r, -ENOSPC);
	assert_string_equal(o.content, OLD);
	assert_string_equal(o.listing, "make.conf"); /* no temporary, lock or backup left */
	assert_non_null(strstr(o.msg, "/etc/portage/make.conf: cannot "));
	assert_non_null(strstr(o.msg, "No space left on device; the file is unchanged"));
}

static void test_erofs(void **state)
{
	fixture *f = *state;
	mount_outcome o;

	mount_and_write(f, MOUNT_READ_ONLY, &o);
	if (o.setup_errno) {
		print_message("# cannot %s (%s)\n", o.setup_what, strerror(o.setup_errno));
		skip();
	}
	assert_int_equal(o.r, -EROFS);
	assert_string_equal(o.msg, "/etc/portage/make.conf: cannot create the lock file .make.conf.homesetup.lock: "
				   "Read-only file system; the file is unchanged");
	assert_string_equal(o.content, OLD);
	assert_string_equal(o.listing, "make.conf");
}

static void test_eacces(void **state)
{
	fixture *f = *state;
	int pipefd[2], status;
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0) {
		/* not root: a directory we may not write to gives the same error */
		int r;

		assert_int_equal(chmod(f->dir, 0555), 0);
		r = replace(f, NEW, 0, NULL, NULL);
		snprintf(msg, sizeof(msg), "%s", hs_ctx_last_error(f->ctx));
		assert_int_equal(chmod(f->dir, 0755), 0);
		assert_int_equal(r, -EACCES);
		assert_string_equal(msg, "/etc/portage/make.conf: cannot create the lock file .make.conf.homesetup.lock: "
					 "Permission denied; the file is unchanged");
		assert_content(f->file, OLD);
		assert_listing(f->dir, "make.conf");
		return;
	}
	assert_int_equal(chmod(f->root, 0755), 0); /* others may look inside, not write */
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		close(pipefd[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100); /* cannot drop privileges: skip */
		r = replace(f, NEW, 0, NULL, NULL);
		if (write(pipefd[1], hs_ctx_last_error(f->ctx), strlen(hs_ctx_last_error(f->ctx))) < 0)
			_exit(101);
		_exit(-r);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100) {
		print_message("# cannot switch to an unprivileged user\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), EACCES);
	assert_string_equal(msg, "/etc/portage/make.conf: cannot create the lock file .make.conf.homesetup.lock: "
				 "Permission denied; the file is unchanged");
	assert_content(f->file, OLD);
	assert_listing(f->dir, "make.conf");
}

/* Files of the directory other than make.conf and its backups. */
static void leftovers(const fixture *f, int *temps, int *locks, int *backups, int *others)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;

	*temps = *locks = *backups = *others = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || strcmp(de->d_name, "make.conf") == 0)
			continue;
		if (strncmp(de->d_name, ".make.conf.homesetup-", 21) == 0 && strlen(de->d_name) == 27)
			(*temps)++;
		else if (strcmp(de->d_name, ".make.conf.homesetup.lock") == 0)
			(*locks)++;
		else if (strncmp(de->d_name, "make.conf.homesetup-", 20) == 0) {
			char path[512];

			snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
			assert_content(path, OLD); /* a backup always holds the old contents */
			(*backups)++;
		} else
			(*others)++;
	}
	closedir(d);
}

static void remove_backups(const fixture *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "make.conf.homesetup-", 20) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void test_fault_every_step(void **state)
{
	fixture *f = *state;

	for (int step = HS_ATOMIC_STEP_LOCK; step < HS_ATOMIC_STEP__MAX; step++) {
		int temps, locks, backups, others, r;

		put(f->file, OLD, strlen(OLD));
		remove_backups(f);
		hs_ctx_clear_error(f->ctx);
		hs_atomic_fault_step = step;
		hs_atomic_fault_errno = EIO;
		r = replace(f, NEW, HS_ATOMIC_BACKUP, NULL, NULL);
		hs_atomic_fault_step = 0;
		leftovers(f, &temps, &locks, &backups, &others);
		assert_int_equal(temps + locks + others, 0);
		if (step == HS_ATOMIC_STEP_UNLOCK) {
			/* nothing can fail after the directory is synced */
			assert_int_equal(r, 0);
			assert_content(f->file, NEW);
		} else if (step == HS_ATOMIC_STEP_SYNC_DIR) {
			assert_int_equal(r, -EIO);
			assert_content(f->file, NEW);
			assert_int_equal(backups, 1);
			assert_non_null(strstr(hs_ctx_last_error(f->ctx), "the change is made, but flushing directory"));
		} else {
			assert_int_equal(r, -EIO);
			assert_content(f->file, OLD);
			assert_int_equal(backups, 0); /* a failed run takes its backup away again */
			assert_non_null(strstr(hs_ctx_last_error(f->ctx), "/etc/portage/make.conf: cannot "));
			assert_non_null(strstr(hs_ctx_last_error(f->ctx), "Input/output error; the file is unchanged"));
		}
	}
}

/*
 * The crash test: a child is killed (SIGKILL) at each step. The file must be byte-identical to the old or the
 * new contents, matching how far the child got; a temporary file may be left (it is hidden, and harmless), and
 * the next run removes it and the stale lock file.
 */
static void test_crash_every_step(void **state)
{
	fixture *f = *state;

	for (int step = HS_ATOMIC_STEP_LOCK; step < HS_ATOMIC_STEP__MAX; step++) {
		int temps, locks, backups, others, status, r;
		pid_t pid;

		put(f->file, OLD, strlen(OLD));
		remove_backups(f);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			hs_atomic_fault_step = step;
			hs_atomic_fault_errno = 0;
			r = replace(f, NEW, HS_ATOMIC_BACKUP, NULL, NULL);
			_exit(r < 0 ? 1 : 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);

		assert_content(f->file, step >= HS_ATOMIC_STEP_SYNC_DIR ? NEW : OLD);
		leftovers(f, &temps, &locks, &backups, &others);
		assert_int_equal(others, 0);
		assert_int_equal(temps, step > HS_ATOMIC_STEP_TEMP && step <= HS_ATOMIC_STEP_RENAME ? 1 : 0);
		assert_int_equal(locks, step > HS_ATOMIC_STEP_LOCK ? 1 : 0);
		assert_true(backups <= 1);

		/* the next run */
		hs_ctx_clear_warnings(f->ctx);
		r = replace(f, NEW, 0, NULL, NULL);
		assert_int_equal(r, step >= HS_ATOMIC_STEP_SYNC_DIR ? 1 : 0);
		assert_content(f->file, NEW);
		leftovers(f, &temps, &locks, &backups, &others);
		assert_int_equal(temps + locks + others, 0);
		assert_int_equal(hs_ctx_warning_count(f->ctx),
				 step > HS_ATOMIC_STEP_TEMP && step <= HS_ATOMIC_STEP_RENAME ? 1 : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace_keeps_owner_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noop_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_links_warned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temporaries_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_contention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erofs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_every_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_every_step, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
