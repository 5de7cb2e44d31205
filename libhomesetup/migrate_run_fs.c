/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the migration executor does to trees itself: remove one (remove-saved, the original after --copy, the
 * working directory after a rollback) without ever following a symlink or crossing into another file system, and
 * compare a tree's metadata with the manifest taken before anything moved (a saved copy changed since is refused:
 * a copy we could not verify is no copy).
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define RM_MAX_DEPTH 1000

static int rm_tree_at(hs_ctx *ctx, int pfd, const char *name, dev_t dev, const char *shown, unsigned depth)
{
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (depth > RM_MAX_DEPTH)
		return hs_ctx_set_error(ctx, -ELOOP, "%s: more than %u directories deep; remove it by hand", shown,
					RM_MAX_DEPTH);
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
				return hs_ctx_set_error(ctx, -errno, "%s: cannot remove %s: %s", shown, name, strerror(errno));
			return 0;
		}
		return hs_ctx_set_error(ctx, -errno, "%s: cannot open %s: %s", shown, name, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: %s", shown, strerror(-r));
	}
	if (st.st_dev != dev) {
		close(fd);
		return hs_ctx_set_error(ctx, -EBUSY, "%s: %s is a mount point; nothing below it is removed", shown, name);
	}
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	/* entries unlinked while reading may hide others: read again until a pass finds nothing */
	for (bool again = true; again && r >= 0;) {
		struct dirent *de;

		again = false;
		rewinddir(d);
		errno = 0;
		while (r >= 0 && (de = readdir(d))) {
			bool is_dir = de->d_type == DT_DIR;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (de->d_type == DT_UNKNOWN) {
				struct stat est;

				if (fstatat(dirfd(d), de->d_name, &est, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				is_dir = S_ISDIR(est.st_mode);
			}
			if (is_dir)
				r = rm_tree_at(ctx, dirfd(d), de->d_name, dev, shown, depth + 1);
			else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
				r = hs_ctx_set_error(ctx, -errno, "%s: cannot remove %s: %s", shown, de->d_name,
						     strerror(errno));
			again = true;
		}
	}
	closedir(d);
	if (r < 0)
		return r;
	if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return hs_ctx_set_error(ctx, -errno, "%s: cannot remove the directory %s: %s", shown, name,
					strerror(errno));
	return 0;
}

int hs_migrate_rm_tree(hs_ctx *ctx, const char *path)
{
	_cleanup_free_ char *parent = strdup(path), *shown = hs_migrate_host_path(hs_ctx_get_root(ctx), path);
	char *slash;
	struct stat st;
	int pfd, r;

	if (!parent || !shown)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (!slash || !slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
		return hs_ctx_set_error(ctx, -EINVAL, "%s: refusing to remove this path", shown);
	*slash = '\0';
	pfd = hs_root_open(ctx, HS_ROOT_SYS, *parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -ENOENT)
		return 0;
	if (pfd < 0)
		return pfd;
	if (fstatat(pfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT ? 0 : hs_ctx_set_error(ctx, -errno, "%s: %s", shown, strerror(errno));
		close(pfd);
		return r;
	}
	r = rm_tree_at(ctx, pfd, slash + 1, st.st_dev, shown, 0);
	if (r >= 0 && fsync(pfd) < 0)
		r = hs_ctx_set_error(ctx, -errno, "%s: fsync of its parent: %s", shown, strerror(errno));
	close(pfd);
	return r;
}

/* ---- a tree against its manifest, metadata only --------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What differs between two entries of the same path (static text), or NULL. */
static const char *entry_change(const hs_manifest_entry *a, const hs_manifest_entry *b)
{
	if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
		return "type";
	if (a->mode != b->mode)
		return "mode";
	if (a->uid != b->uid || a->gid != b->gid)
		return "owner";
	if (!S_ISDIR(a->mode) && a->size != b->size)
		return "size";
	if (a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec)
		return "mtime";
	if (!same_str(a->link_target, b->link_target))
		return "link";
	if (!same_str(a->hardlink_of, b->hardlink_of))
		return "hardlink";
	if (a->rdev != b->rdev)
		return "rdev";
	if (!same_str(a->xattrs, b->xattrs))
		return "xattr";
	if (!same_str(a->acl_access, b->acl_access) || !same_str(a->acl_default, b->acl_default))
		return "acl";
	/* contents only when both sides were hashed (a metadata-only scan has none) */
	if (a->hash && b->hash && strcmp(a->hash, b->hash) != 0)
		return "content";
	return NULL;
}

int hs_migrate_tree_compare(const hs_manifest *then, const hs_manifest *now, size_t *n_diff, char **first)
{
	size_t i = 0, k = 0, n = hs_manifest_count(then), m = hs_manifest_count(now);

	*n_diff = 0;
	*first = NULL;
	while (i < n || k < m) {
		const hs_manifest_entry *a = i < n ? hs_manifest_get(then, i) : NULL,
					*b = k < m ? hs_manifest_get(now, k) : NULL;
		const char *what = NULL, *path;
		int c = !a ? 1 : !b ? -1 : hs_manifest_path_cmp(a->path, b->path);

		if (c < 0) {
			what = "removed";
			path = a->path;
			i++;
		} else if (c > 0) {
			what = "added";
			path = b->path;
			k++;
		} else {
			what = entry_change(a, b);
			path = a->path;
			i++;
			k++;
		}
		if (!what)
			continue;
		if (!*n_diff) {
			_cleanup_free_ char *esc = hs_escape(path, strlen(path), 200);

			if (!esc || asprintf(first, "%s: %s", esc, what) < 0) {
				*first = NULL;
				return -ENOMEM;
			}
		}
		(*n_diff)++;
	}
	return 0;
}

/* ---- move-aside ------------------------------------------------------------------------------------------ */

/* @path's parent directory (opened under ROOT) and its last component. */
static int open_parent(hs_ctx *ctx, const char *path, int *pfd, const char **name)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	int fd;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || !slash[1])
		return hs_ctx_set_error(ctx, -EINVAL, "%s: not a path to a directory entry", path);
	*slash = '\0';
	fd = hs_root_open(ctx, HS_ROOT_SYS, *dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	*pfd = fd;
	*name = strrchr(path, '/') + 1;
	return 0;
}

static int lstat_at(int fd, const char *name, struct stat *st)
{
	return fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) == 0 ? 1 : errno == ENOENT ? 0 : -errno;
}

/* rename(2) @from to @to in the directory @pfd, never replacing anything, then fsync the directory. */
static int rename_noreplace(hs_ctx *ctx, int pfd, const char *from, const char *to, const char *from_shown,
			    const char *to_shown)
{
	if (renameat2(pfd, from, pfd, to, RENAME_NOREPLACE) < 0) {
		int e = errno;
		struct stat st;

		/* file systems without RENAME_NOREPLACE: the target was seen absent under our lock */
		if (e == EINVAL || e == ENOSYS) {
			if (lstat_at(pfd, to, &st) != 0)
				e = EEXIST;
			else if (renameat(pfd, from, pfd, to) == 0)
				goto synced;
			else
				e = errno;
		}
		if (e == EXDEV)
			return hs_ctx_set_error(ctx, -EXDEV, "cannot rename %s to %s: not on the same file system (a mount "
						"point?); plan with --copy to copy it instead", from_shown, to_shown);
		return hs_ctx_set_error(ctx, -e, "cannot rename %s to %s: %s", from_shown, to_shown, strerror(e));
	}
synced:
	if (fsync(pfd) < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: fsync of the directory: %s", to_shown, strerror(errno));
	return 0;
}

int hs_migrate_rename(hs_ctx *ctx, const char *from, const char *to)
{
	_cleanup_free_ char *from_shown = hs_migrate_host_path(hs_ctx_get_root(ctx), from),
			    *to_shown = hs_migrate_host_path(hs_ctx_get_root(ctx), to);
	const char *fname, *tname;
	int pfd, r;

	if (!from_shown || !to_shown)
		return -ENOMEM;
	r = open_parent(ctx, from, &pfd, &fname);
	if (r < 0)
		return r;
	tname = strrchr(to, '/') + 1;
	if ((size_t)(fname - from) != (size_t)(tname - to) || memcmp(from, to, (size_t)(fname - from)) != 0)
		r = hs_ctx_set_error(ctx, -EXDEV, "%s and %s are not in the same directory", from_shown, to_shown);
	else
		r = rename_noreplace(ctx, pfd, fname, tname, from_shown, to_shown);
	close(pfd);
	return r;
}

/* 1 a directory is there, 0 nothing, -ENOTDIR something else, -errno. */
int hs_migrate_dir_state(hs_ctx *ctx, const char *path)
{
	const char *name;
	struct stat st;
	int pfd, r;

	r = open_parent(ctx, path, &pfd, &name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = lstat_at(pfd, name, &st);
	close(pfd);
	if (r > 0 && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return r;
}

/* --copy: rsync the home to the saved path, verify the copy (contents too) against the manifest, and only then
 * remove the original. */
static int copy_aside(hs_migrate_runner *R, bool *skipped)
{
	const hs_migrate_info *in = R->plan->info;
	int home = hs_migrate_dir_state(R->ctx, in->home), r;

	if (home < 0)
		return hs_ctx_set_error(R->ctx, home, "%s: %s", R->plan->home_host, strerror(-home));
	if (!R->j->copy_verified) {
		_cleanup_(hs_manifest_freep) hs_manifest *then = NULL, *now = NULL;
		_cleanup_free_ char *first = NULL;
		hs_spawn_result res;
		size_t n = 0;
		int fd;

		if (!home)
			return hs_ctx_set_error(R->ctx, -ENOENT, "%s is gone, but its copy was never verified: look at %s "
						"before anything else", R->plan->home_host, R->plan->saved_host);
		R->progress = (hs_progress){ .files_total = R->j->manifest_entries, .bytes_total = R->j->manifest_bytes };
		r = hs_migrate_spawn(R, HS_MIGRATE_ARGV_COPY_ASIDE, NULL, R->ro->progress ? hs_migrate_rsync_out : NULL,
				     NULL, &res);
		if (r < 0)
			return r;
		if (res.status != 0) {
			_cleanup_free_ char *err = hs_spawn_last_lines(res.err, 4, NULL);

			r = hs_ctx_set_error(R->ctx, -EIO, "rsync (copying %s aside) exited with status %d: %s",
					     R->plan->home_host, res.status, err ? err : "");
		}
		hs_spawn_result_done(&res);
		if (r < 0)
			return r;
		fd = hs_root_open(R->ctx, HS_ROOT_SYS, in->saved, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return fd;
		r = hs_manifest_scan(R->ctx, &now, fd, 0, NULL, NULL);
		close(fd);
		if (r >= 0)
			r = hs_manifest_load(R->ctx, &then, R->j->manifest_host);
		if (r >= 0)
			r = hs_migrate_tree_compare(then, now, &n, &first);
		if (r < 0)
			return r;
		if (n)
			return hs_ctx_set_error(R->ctx, -EIO, "the copy %s differs from the manifest of %s (%zu difference%s, "
						"the first: %s); %s is left as it was", R->plan->saved_host,
						R->plan->home_host, n, n == 1 ? "" : "s", first, R->plan->home_host);
		R->j->copy_verified = true;
		r = hs_migrate_journal_save(R->ctx, R->j);
		if (r < 0)
			return r;
	}
	if (home > 0)
		return hs_migrate_rm_tree(R->ctx, in->home);
	*skipped = true;
	return 0;
}

int hs_migrate_step_move_aside(hs_migrate_runner *R, bool *skipped)
{
	const hs_migrate_info *in = R->plan->info;
	int home, saved;

	if (R->j->opts.copy)
		return copy_aside(R, skipped);
	home = hs_migrate_dir_state(R->ctx, in->home);
	saved = hs_migrate_dir_state(R->ctx, in->saved);
	if (home < 0 || saved < 0)
		return hs_ctx_set_error(R->ctx, home < 0 ? home : saved, "%s: %s", home < 0 ? R->plan->home_host :
					R->plan->saved_host, strerror(-(home < 0 ? home : saved)));
	if (!home && saved) {
		*skipped = true;
		return 0;
	}
	if (home && saved)
		return hs_ctx_set_error(R->ctx, -EEXIST, "both %s and %s exist: homesetup renames neither; move the "
					"one that is not the home out of the way, then resume", R->plan->home_host,
					R->plan->saved_host);
	if (!home)
		return hs_ctx_set_error(R->ctx, -ENOENT, "neither %s nor %s exists", R->plan->home_host,
					R->plan->saved_host);
	return hs_migrate_rename(R->ctx, in->home, in->saved);
}
