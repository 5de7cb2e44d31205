/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomic replacement of one file under a root. The sequence (after util-linux's tab_update.c and libgit2's
 * filebuf.c, written anew):
 *
 *   lock      flock() on ".<file>.homesetup.lock" beside the file. The lock dies with its process, so a crashed
 *             run never blocks the next one; the lock file is unlinked on release (a waiter that locked the
 *             unlinked inode notices st_nlink == 0 and retries on a fresh one).
 *   clean     temporary files ".<file>.homesetup-XXXXXX" are only ever created under the lock, so any that exist
 *             once we hold it were left by a run that was killed: they are removed (with a warning).
 *   read      the current bytes; refuse with -ESTALE when they differ from what the change was planned against.
 *             Already holding the new bytes: nothing is written (mtime unchanged).
 *   backup    optionally a hard link "<file>.homesetup-<UTC>~" to the current inode (the '~' makes Portage's
 *             directory readers skip it, so a backup inside package.use/ is never read as configuration).
 *   temp      ".<file>.homesetup-XXXXXX" in the same directory, O_CREAT|O_EXCL, mode 0600 while being written;
 *   write, owner (fchown, SELinux context and ACL xattrs, fchmod to the original's), fsync, rename over the file,
 *   fsync of the directory, unlock.
 *
 * A failure before the rename unlinks the temporary file (and the backup made by this run): the original is
 * untouched. A crash leaves the old or the new file, never a mix; a temporary file and the lock file it may leave
 * behind are hidden (leading '.') and the next run removes them.
 *
 * Fault injection for tests: hs_atomic_fault_step names a step at which the call fails with
 * hs_atomic_fault_errno (or, when that is 0, raises SIGKILL); hs_atomic_step_hook is called at every step. All
 * stay unset outside tests.
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

int hs_atomic_fault_step;
int hs_atomic_fault_errno;
void (*hs_atomic_step_hook)(hs_atomic_step step);
unsigned hs_atomic_lock_timeout_ms = 10000;

#define TEMP_INFIX ".homesetup-"
#define TEMP_RANDOM 6
#define LOCK_SUFFIX ".homesetup.lock"
#define WRITE_CHUNK (1u << 20)

/* The xattrs that belong to a file's identity rather than its contents. */
static const char *const kept_xattrs[] = { "security.selinux", "system.posix_acl_access" };

static int fault(hs_atomic_step step)
{
	if (_unlikely_(hs_atomic_step_hook != NULL))
		hs_atomic_step_hook(step);
	if (_likely_(hs_atomic_fault_step != (int)step))
		return 0;
	if (hs_atomic_fault_errno == 0) {
		raise(SIGKILL);
		return -EINTR; /* not reached */
	}
	return -hs_atomic_fault_errno;
}

typedef struct target {
	hs_ctx *ctx;
	const char *path;  /* as the caller named it, for messages */
	char *dir;         /* canonical directory inside the root */
	char *base;        /* file name in it */
	int dirfd;
	int lockfd;
	char *lockname;
	char *tmpname;     /* our temporary file while it exists */
	char *backup;      /* the backup link made by this run */
	bool replaced;     /* the rename happened */
} target;

static void target_done(target *t)
{
	if (t->tmpname && t->dirfd >= 0)
		(void)unlinkat(t->dirfd, t->tmpname, 0);
	if (t->backup && !t->replaced && t->dirfd >= 0)
		(void)unlinkat(t->dirfd, t->backup, 0);
	if (t->lockfd >= 0) {
		/* Unlink while still holding the lock: a waiter then sees st_nlink == 0 and starts over. */
		(void)unlinkat(t->dirfd, t->lockname, 0);
		close(t->lockfd);
	}
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->dir);
	free(t->base);
	free(t->lockname);
	free(t->tmpname);
	free(t->backup);
}

static int fail(target *t, int err, const char *what, const char *name)
{
	if (name)
		return hs_ctx_set_error(t->ctx, err, "%s: cannot %s %s: %s; the file is unchanged", t->path, what, name,
					strerror(-err));
	return hs_ctx_set_error(t->ctx, err, "%s: cannot %s: %s; the file is unchanged", t->path, what,
				strerror(-err));
}

/* Split a canonical path into its directory and last component. */
static int split_path(const char *canon, char **dir, char **base)
{
	const char *slash = strrchr(canon, '/');

	if (!slash || !slash[1])
		return -EISDIR; /* "/" itself */
	*dir = slash == canon ? strdup("/") : hs_strndup(canon, (size_t)(slash - canon));
	*base = strdup(slash + 1);
	return *dir && *base ? 0 : -ENOMEM;
}

/* Find the directory and name the change applies to: symlinks are followed inside the root, so the file they
 * point at is replaced and the link is kept. */
static int target_resolve(target *t, hs_root_kind kind)
{
	_cleanup_free_ char *canon = NULL, *pdir = NULL, *pbase = NULL, *cdir = NULL;
	struct stat st;
	int r;

	r = hs_root_realpath(t->ctx, kind, t->path, &canon);
	if (r >= 0) {
		r = split_path(canon, &t->dir, &t->base);
		if (r == -EISDIR)
			return hs_ctx_set_error(t->ctx, r, "%s: is a directory", t->path);
		if (r < 0)
			return r;
	} else if (r == -ENOENT) {
		/* A new file: its directory must exist. */
		r = split_path(t->path, &pdir, &pbase);
		if (r == -EISDIR || (r >= 0 && (strcmp(pbase, ".") == 0 || strcmp(pbase, "..") == 0)))
			return hs_ctx_set_error(t->ctx, -EISDIR, "%s: is a directory", t->path);
		if (r < 0)
			return r;
		r = hs_root_realpath(t->ctx, kind, pdir, &cdir);
		if (r == -ENOENT || r == -ENOTDIR)
			return hs_ctx_set_error(t->ctx, r, "%s: cannot create it: directory %s does not exist", t->path,
						pdir);
		if (r < 0)
			return r;
		t->dir = TAKE_PTR(cdir);
		t->base = TAKE_PTR(pbase);
	} else if (r == -ENOTDIR) {
		return hs_ctx_set_error(t->ctx, r, "%s: a component of the path is not a directory", t->path);
	} else
		return r;

	t->dirfd = hs_root_open(t->ctx, kind, t->dir, O_RDONLY | O_DIRECTORY);
	if (t->dirfd < 0) {
		r = t->dirfd;
		t->dirfd = -1;
		return hs_ctx_set_error(t->ctx, r, "%s: cannot open directory %s: %s", t->path, t->dir, strerror(-r));
	}
	if (fstatat(t->dirfd, t->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return hs_ctx_set_error(t->ctx, -ENOENT,
					"%s: is a symbolic link to a missing file; refusing to create its target",
					t->path);
	if (strlen(t->base) + strlen(TEMP_INFIX) + TEMP_RANDOM + 2 > NAME_MAX)
		return hs_ctx_set_error(t->ctx, -ENAMETOOLONG, "%s: file name too long for a temporary file beside it",
					t->path);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void lock_holder(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int target_lock(target *t)
{
	unsigned waited = 0;
	int r;

	if (asprintf(&t->lockname, ".%s%s", t->base, LOCK_SUFFIX) < 0) {
		t->lockname = NULL;
		return -ENOMEM;
	}
	r = fault(HS_ATOMIC_STEP_LOCK);
	if (r < 0)
		return fail(t, r, "create the lock file", t->lockname);
	for (;;) {
		struct stat fst, pst;
		int fd = openat(t->dirfd, t->lockname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);

		if (fd < 0)
			return fail(t, -errno, "create the lock file", t->lockname);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			char holder[32];

			r = -errno;
			if (r != -EWOULDBLOCK && r != -EINTR) {
				close(fd);
				return fail(t, r, "lock", t->lockname);
			}
			if (waited >= hs_atomic_lock_timeout_ms) {
				lock_holder(fd, holder, sizeof(holder));
				close(fd);
				return hs_ctx_set_error(t->ctx, -EBUSY,
							"%s: another homesetup process%s%s is changing this file (lock %s/%s "
							"held for %u ms); try again later",
							t->path, holder[0] ? " with pid " : "", holder,
							strcmp(t->dir, "/") == 0 ? "" : t->dir, t->lockname, waited);
			}
			close(fd);
			sleep_ms(10);
			waited += 10;
			continue;
		}
		/* The previous holder may have unlinked the file between our open and our flock. */
		if (fstat(fd, &fst) < 0 || fst.st_nlink == 0 ||
		    fstatat(t->dirfd, t->lockname, &pst, AT_SYMLINK_NOFOLLOW) < 0 || pst.st_ino != fst.st_ino ||
		    pst.st_dev != fst.st_dev) {
			close(fd);
			continue;
		}
		t->lockfd = fd;
		break;
	}
	/* Who holds it, for the message of a process that waits in vain. Failure here is harmless. */
	{
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		if (ftruncate(t->lockfd, 0) == 0 && pwrite(t->lockfd, pid, (size_t)n, 0) < 0) {
			/* ignored */
		}
	}
	return 0;
}

static bool is_temp_of(const char *name, const char *base)
{
	size_t bl = strlen(base), il = strlen(TEMP_INFIX);

	if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 || strncmp(name + 1 + bl, TEMP_INFIX, il) != 0)
		return false;
	name += 1 + bl + il;
	if (strlen(name) != TEMP_RANDOM)
		return false;
	for (size_t i = 0; i < TEMP_RANDOM; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return false;
	return true;
}

/* Under the lock every temporary file of ours is stale. */
static int target_clean_stale(target *t)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!is_temp_of(de->d_name, t->base))
			continue;
		if (fstatat(t->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(t->dirfd, de->d_name, 0) == 0 &&
		    hs_ctx_add_warning(t->ctx, "%s: removed %s, left behind by an interrupted run", t->path,
				       de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	return 0;
}

/* Read at most @max bytes of the current file (enough to compare it). *exists false when missing. */
static int target_read(target *t, size_t max, int *fd_out, struct stat *st, char **data, size_t *len, bool *exists)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;
	int fd, r;

	*exists = false;
	*fd_out = -1;
	r = fault(HS_ATOMIC_STEP_READ);
	if (r < 0)
		return fail(t, r, "read", NULL);
	fd = openat(t->dirfd, t->base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(t, -errno, "read", NULL);
	}
	*fd_out = fd;
	if (fstat(fd, st) < 0)
		return fail(t, -errno, "read", NULL);
	if (S_ISDIR(st->st_mode))
		return hs_ctx_set_error(t->ctx, -EISDIR, "%s: is a directory", t->path);
	if (!S_ISREG(st->st_mode))
		return hs_ctx_set_error(t->ctx, -EINVAL, "%s: not a regular file; refusing to replace it", t->path);
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	while (n < max + 1) {
		ssize_t k = read(fd, buf + n, max + 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return fail(t, -errno, "read", NULL);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*exists = true;
	*len = n;
	*data = TAKE_PTR(buf);
	return 0;
}

/* Names of the file that are our own backups ("<file>.homesetup-…~"): they are meant to keep the old contents. */
static nlink_t own_backup_links(target *t, const struct stat *st)
{
	size_t bl = strlen(t->base), il = strlen(TEMP_INFIX);
	nlink_t n = 0;
	struct dirent *de;
	DIR *d;
	int fd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct stat bst;

		if (l > bl + il + 1 && strncmp(de->d_name, t->base, bl) == 0 &&
		    strncmp(de->d_name + bl, TEMP_INFIX, il) == 0 && de->d_name[l - 1] == '~' &&
		    fstatat(t->dirfd, de->d_name, &bst, AT_SYMLINK_NOFOLLOW) == 0 && bst.st_ino == st->st_ino &&
		    bst.st_dev == st->st_dev)
			n++;
	}
	closedir(d);
	return n;
}

static int target_backup(target *t)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int r;

	r = fault(HS_ATOMIC_STEP_BACKUP);
	if (r < 0)
		return fail(t, r, "create a backup", NULL);
	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return fail(t, -EINVAL, "create a backup", NULL);
	for (unsigned i = 1; i < 1000; i++) {
		char *name = NULL;

		if ((i == 1 ? asprintf(&name, "%s%s%s~", t->base, TEMP_INFIX, stamp)
			    : asprintf(&name, "%s%s%s-%u~", t->base, TEMP_INFIX, stamp, i)) < 0)
			return -ENOMEM;
		if (strlen(name) > NAME_MAX) {
			free(name);
			return fail(t, -ENAMETOOLONG, "create a backup", NULL);
		}
		if (linkat(t->dirfd, t->base, t->dirfd, name, 0) == 0) {
			t->backup = name;
			return 0;
		}
		r = -errno;
		if (r != -EEXIST) {
			fail(t, r, "create the backup", name);
			free(name);
			return r;
		}
		free(name);
	}
	return fail(t, -EEXIST, "create a backup", NULL);
}

static int target_create_temp(target *t)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	int r = fault(HS_ATOMIC_STEP_TEMP);

	if (r < 0)
		return fail(t, r, "create a temporary file", NULL);
	for (unsigned attempt = 0; attempt < 100; attempt++) {
		unsigned char rnd[TEMP_RANDOM];
		char suffix[TEMP_RANDOM + 1];
		char *name = NULL;
		int fd;

		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
			unsigned long x = (unsigned long)getpid() * 2654435761u ^ (unsigned long)time(NULL) ^ attempt;

			for (size_t i = 0; i < sizeof(rnd); i++, x >>= 5)
				rnd[i] = (unsigned char)(x * 31 + i);
		}
		for (size_t i = 0; i < TEMP_RANDOM; i++)
			suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
		suffix[TEMP_RANDOM] = '\0';
		if (asprintf(&name, ".%s%s%s", t->base, TEMP_INFIX, suffix) < 0)
			return -ENOMEM;
		fd = openat(t->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
		if (fd >= 0) {
			t->tmpname = name;
			return fd;
		}
		r = -errno;
		if (r != -EEXIST) {
			fail(t, r, "create the temporary file", name);
			free(name);
			return r;
		}
		free(name);
	}
	return fail(t, -EEXIST, "create a temporary file", NULL);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len < WRITE_CHUNK ? len : WRITE_CHUNK);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}

static int copy_xattrs(target *t, int from, int to)
{
	for (size_t i = 0; i < ELEMENTSOF(kept_xattrs); i++) {
		_cleanup_free_ char *val = NULL;
		ssize_t n = fgetxattr(from, kept_xattrs[i], NULL, 0);

		if (n < 0) {
			if (errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP)
				continue;
			return fail(t, -errno, "read the extended attribute", kept_xattrs[i]);
		}
		val = malloc((size_t)n + 1);
		if (!val)
			return -ENOMEM;
		n = fgetxattr(from, kept_xattrs[i], val, (size_t)n);
		if (n < 0) {
			if (errno == ENODATA)
				continue;
			return fail(t, -errno, "read the extended attribute", kept_xattrs[i]);
		}
		if (fsetxattr(to, kept_xattrs[i], val, (size_t)n, 0) < 0 && errno != ENOTSUP && errno != EOPNOTSUPP)
			return fail(t, -errno, "keep the extended attribute", kept_xattrs[i]);
	}
	return 0;
}

/* Write the new contents into a temporary file that carries the original's owner, mode and labels. */
static int target_write_temp(target *t, const char *buf, size_t len, int origfd, const struct stat *orig,
			     unsigned mode)
{
	struct stat tst;
	int fd, r;

	fd = target_create_temp(t);
	if (fd < 0)
		return fd;
	if (_unlikely_(hs_atomic_fault_step == HS_ATOMIC_STEP_WRITE)) {
		/* a fault in the middle of writing: half of the bytes are out */
		(void)write_all(fd, buf, len / 2);
		r = fault(HS_ATOMIC_STEP_WRITE);
	} else
		r = write_all(fd, buf, len);
	if (r < 0) {
		fail(t, r, "write the new contents to", t->tmpname);
		goto out;
	}
	r = fault(HS_ATOMIC_STEP_OWNER);
	if (r >= 0 && fstat(fd, &tst) < 0)
		r = -errno;
	if (r >= 0 && origfd >= 0 && (tst.st_uid != orig->st_uid || tst.st_gid != orig->st_gid) &&
	    fchown(fd, orig->st_uid, orig->st_gid) < 0)
		r = -errno;
	if (r < 0) {
		fail(t, r, "give the new file the owner of the old one", NULL);
		goto out;
	}
	if (origfd >= 0) {
		r = fault(HS_ATOMIC_STEP_XATTR);
		if (r < 0) {
			fail(t, r, "keep the extended attributes", NULL);
			goto out;
		}
		r = copy_xattrs(t, origfd, fd);
		if (r < 0)
			goto out;
	}
	if (fchmod(fd, origfd >= 0 ? (orig->st_mode & 07777) : (mode & 07777)) < 0) {
		r = fail(t, -errno, "set the mode of", t->tmpname);
		goto out;
	}
	r = fault(HS_ATOMIC_STEP_SYNC);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		fail(t, r, "flush the new contents to disk", NULL);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = fail(t, -errno, "write the new contents to", t->tmpname);
		goto out;
	}
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int target_sync_dir(target *t)
{
	int r = fault(HS_ATOMIC_STEP_SYNC_DIR);

	if (r >= 0 && fsync(t->dirfd) < 0 && errno != EINVAL)
		r = -errno;
	if (r < 0)
		return hs_ctx_set_error(t->ctx, r,
					"%s: the change is made, but flushing directory %s failed: %s; it may be lost "
					"if the system crashes now",
					t->path, t->dir, strerror(-r));
	return 0;
}

/* Another program (an editor, which takes no lock) may have written the file while we prepared ours. */
static bool target_changed_meanwhile(target *t, bool existed, const struct stat *then)
{
	struct stat now;

	if (fstatat(t->dirfd, t->base, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return existed;
	return !existed || now.st_ino != then->st_ino || now.st_dev != then->st_dev || now.st_size != then->st_size ||
	       now.st_mtim.tv_sec != then->st_mtim.tv_sec || now.st_mtim.tv_nsec != then->st_mtim.tv_nsec;
}

static char *backup_path(const target *t)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", t->dir, strcmp(t->dir, "/") == 0 ? "" : "/", t->backup) < 0)
		return NULL;
	return p;
}

static int atomic_apply(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
			unsigned mode, unsigned flags, const hs_atomic_expect *expect, char **backup_out)
{
	_cleanup_(target_done) target t = { .ctx = ctx, .path = path, .dirfd = -1, .lockfd = -1 };
	_cleanup_free_ char *cur = NULL;
	bool remove = flags & HS_ATOMIC_DELETE, exists = false;
	size_t cur_len = 0, max;
	struct stat st;
	int origfd = -1, r;

	if (backup_out)
		*backup_out = NULL;
	if (!path || path[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "'%s': the path of a file to change must be absolute",
					path ? path : "");
	if (remove) {
		buf = NULL;
		len = 0;
	}
	r = target_resolve(&t, kind);
	if (r < 0)
		return r;
	r = target_lock(&t);
	if (r < 0)
		return r;
	r = target_clean_stale(&t);
	if (r < 0)
		return r;

	max = len;
	if (expect && expect->exists && expect->len > max)
		max = expect->len;
	r = target_read(&t, max, &origfd, &st, &cur, &cur_len, &exists);
	if (r < 0)
		goto out;

	/* Already in the wanted state (perhaps another run made the same change): write nothing. */
	if (remove ? !exists : (exists && cur_len == len && (len == 0 || memcmp(cur, buf, len) == 0))) {
		r = 1;
		goto out;
	}
	if (expect && (expect->exists != exists ||
		       (exists && (cur_len != expect->len ||
				   (cur_len > 0 && memcmp(cur, expect->data, cur_len) != 0))))) {
		r = hs_ctx_set_error(ctx, -ESTALE,
				     "%s: %s since it was read; nothing was written, run the command again", path,
				     !exists ? "was removed" : expect->exists ? "changed" : "was created");
		goto out;
	}
	if (exists && st.st_nlink > 1 && st.st_nlink - own_backup_links(&t, &st) > 1 &&
	    hs_ctx_add_warning(ctx, "%s: has %ju hard links; only this name gets the new contents", path,
			       (uintmax_t)st.st_nlink) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if ((flags & HS_ATOMIC_BACKUP) && exists) {
		r = target_backup(&t);
		if (r < 0)
			goto out;
	}

	if (!remove) {
		r = target_write_temp(&t, buf, len, origfd, &st, mode ? mode : 0644);
		if (r < 0)
			goto out;
	}
	if (expect && target_changed_meanwhile(&t, exists, &st)) {
		r = hs_ctx_set_error(ctx, -ESTALE,
				     "%s: changed while the new contents were being written; nothing was written, run "
				     "the command again",
				     path);
		goto out;
	}
	if (remove) {
		r = fault(HS_ATOMIC_STEP_RENAME);
		if (r >= 0 && unlinkat(t.dirfd, t.base, 0) < 0)
			r = -errno;
		if (r < 0) {
			fail(&t, r, "remove the file", NULL);
			goto out;
		}
	} else {
		r = fault(HS_ATOMIC_STEP_RENAME);
		if (r >= 0 && renameat(t.dirfd, t.tmpname, t.dirfd, t.base) < 0)
			r = -errno;
		if (r < 0) {
			fail(&t, r, "move the new contents into place from", t.tmpname);
			goto out;
		}
		free(t.tmpname);
		t.tmpname = NULL;
	}
	t.replaced = true;
	r = target_sync_dir(&t);
	if (r < 0)
		goto out;
	if (fault(HS_ATOMIC_STEP_UNLOCK) < 0) {
		/* nothing can fail at unlock; the step exists so that a crash there can be tested */
	}
	if (backup_out && t.backup) {
		*backup_out = backup_path(&t);
		if (!*backup_out) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	if (origfd >= 0)
		close(origfd);
	return r;
}

int hs_atomic_replace(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
		      unsigned mode, unsigned flags, const hs_atomic_expect *expect, char **backup_out)
{
	if (!buf && len > 0)
		return -EINVAL;
	return atomic_apply(ctx, kind, path, buf ? buf : "", len, mode, flags & ~(unsigned)HS_ATOMIC_DELETE, expect,
			    backup_out);
}

int hs_atomic_remove(hs_ctx *ctx, hs_root_kind kind, const char *path, unsigned flags,
		     const hs_atomic_expect *expect, char **backup_out)
{
	return atomic_apply(ctx, kind, path, NULL, 0, 0, flags | HS_ATOMIC_DELETE, expect, backup_out);
}

int hs_atomic_write_file(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
			 unsigned mode, unsigned flags)
{
	return hs_atomic_replace(ctx, kind, path, buf, len, mode, flags, NULL, NULL);
}
