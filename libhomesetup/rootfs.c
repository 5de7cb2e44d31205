/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Root-confined file access. Every path the library reads is interpreted inside ROOT or PORTAGE_CONFIGROOT the
 * way a chroot would see it: absolute symlink targets restart at the root and ".." stops there, so a tree that
 * contains `etc/portage/make.conf -> ../../../../etc/shadow` or `-> /etc/shadow` reads the tree's own file.
 *
 * Linux ≥ 5.6 does this in one call (openat2 + RESOLVE_IN_ROOT). Elsewhere (older kernels, seccomp filters that
 * answer ENOSYS/EPERM) an equivalent walk opens one component at a time with O_PATH|O_NOFOLLOW and follows
 * symlinks by hand. hs_root_realpath takes the name from /proc/self/fd after openat2, or from the walk.
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_SYMLINK_HOPS 40   /* the kernel's own limit (MAXSYMLINKS) */
#define LIST_MAX_DEPTH 128    /* directory nesting in hs_root_list_config */

static int openat2_unsupported; /* set once the kernel answered ENOSYS */
static bool force_fallback;

void hs_rootfs_force_fallback(bool force)
{
	force_fallback = force;
}

static const char *root_of(const hs_ctx *ctx, hs_root_kind kind)
{
	const char *r;

	if (!ctx)
		return "/";
	r = kind == HS_ROOT_CONFIG ? hs_ctx_get_config_root(ctx) : hs_ctx_get_root(ctx);
	return r && *r ? r : "/";
}

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)
#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -1; _fd_; })

/* ---- the component walk ------------------------------------------------------------------------------- */

typedef struct walk_level {
	int fd;            /* O_PATH fd of this directory; level 0 is the root (borrowed) */
	size_t canon_len;  /* length of the canonical path up to this level */
} walk_level;

typedef struct walk {
	walk_level *lv;
	size_t n, cap;
	hs_buf canon;      /* canonical path of the current directory, "" for the root */
} walk;

static void walk_done(walk *w)
{
	for (size_t i = 1; i < w->n; i++)
		close(w->lv[i].fd);
	free(w->lv);
	hs_buf_free(&w->canon);
}

static int walk_push(walk *w, int fd, const char *name, size_t len)
{
	int r;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		walk_level *n = realloc(w->lv, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->lv = n;
		w->cap = cap;
	}
	if (w->n > 0) {
		r = hs_buf_putc(&w->canon, '/');
		if (r >= 0)
			r = hs_buf_append(&w->canon, name, len);
		if (r < 0)
			return r;
	}
	w->lv[w->n++] = (walk_level){ .fd = fd, .canon_len = w->canon.len };
	return 0;
}

static void walk_pop_to(walk *w, size_t n)
{
	while (w->n > n) {
		w->n--;
		if (w->n > 0)
			close(w->lv[w->n].fd);
	}
	w->canon.len = w->lv[w->n - 1].canon_len;
	if (w->canon.p)
		w->canon.p[w->canon.len] = '\0';
}

static int read_link_at(int dirfd, const char *path, char **out)
{
	size_t size = 256;

	for (;;) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = readlinkat(dirfd, path, buf, size);
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		free(buf);
		if (size >= 1u << 20)
			return -ENAMETOOLONG;
		size *= 2;
	}
}

static int walk_result(walk *w, const char *name, size_t len, char **canon_out)
{
	_cleanup_buf_ hs_buf b = {0};
	int r;

	if (!canon_out)
		return 0;
	r = hs_buf_append(&b, w->canon.p ? w->canon.p : "", w->canon.len);
	if (r >= 0 && len) {
		r = hs_buf_putc(&b, '/');
		if (r >= 0)
			r = hs_buf_append(&b, name, len);
	}
	if (r >= 0 && b.len == 0)
		r = hs_buf_putc(&b, '/');
	if (r < 0)
		return r;
	*canon_out = hs_buf_steal(&b);
	return *canon_out ? 0 : -ENOMEM;
}

/*
 * Resolve @path inside the directory @rootfd as if it were "/", then open the result with @flags (O_PATH
 * opens are reused). Returns an fd or a negative errno; *canon_out (optional) gets the canonical path.
 */
static int walk_open(int rootfd, const char *path, int flags, char **canon_out)
{
	_cleanup_(walk_done) walk w = {0};
	_cleanup_free_ char *rest = strdup(path);
	unsigned hops = 0;
	size_t pos = 0;
	int r;

	if (!rest)
		return -ENOMEM;
	r = walk_push(&w, rootfd, NULL, 0);
	if (r < 0)
		return r;
	for (;;) {
		int cur = w.lv[w.n - 1].fd;
		_cleanup_close_ int fd = -1;
		size_t start, len, after;
		bool last, trailing;
		struct stat st;
		char name[NAME_MAX + 1];

		while (rest[pos] == '/')
			pos++;
		if (!rest[pos]) {
			/* The path ends at a directory we are in ("/", "a/..", "a/."). */
			int nfd = openat(cur, ".", flags | O_CLOEXEC, 0666);

			if (nfd < 0)
				return -errno;
			r = walk_result(&w, NULL, 0, canon_out);
			if (r < 0) {
				close(nfd);
				return r;
			}
			return nfd;
		}
		start = pos;
		while (rest[pos] && rest[pos] != '/')
			pos++;
		len = pos - start;
		trailing = rest[pos] == '/';
		after = pos;
		while (rest[after] == '/')
			after++;
		last = !rest[after];
		if (len == 1 && rest[start] == '.')
			continue;
		if (len == 2 && rest[start] == '.' && rest[start + 1] == '.') {
			if (w.n > 1)
				walk_pop_to(&w, w.n - 1); /* ".." at the root stays at the root */
			continue;
		}
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, rest + start, len);
		name[len] = '\0';

		fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			int nfd;

			if (errno != ENOENT || !last || !(flags & O_CREAT))
				return -errno;
			nfd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC, 0666);
			if (nfd < 0)
				return -errno;
			r = walk_result(&w, name, len, canon_out);
			if (r < 0) {
				close(nfd);
				return r;
			}
			return nfd;
		}
		if (fstat(fd, &st) < 0)
			return -errno;

		if (S_ISLNK(st.st_mode)) {
			_cleanup_free_ char *target = NULL;
			_cleanup_buf_ hs_buf nrest = {0};

			if (last && !trailing && (flags & O_NOFOLLOW)) {
				if (!(flags & O_PATH))
					return -ELOOP;
				r = walk_result(&w, name, len, canon_out);
				return r < 0 ? r : TAKE_FD(fd);
			}
			if (last && !trailing && (flags & O_CREAT) && (flags & O_EXCL))
				return -EEXIST;
			if (++hops > MAX_SYMLINK_HOPS)
				return -ELOOP;
			r = read_link_at(fd, "", &target);
			if (r < 0)
				return r;
			r = hs_buf_puts(&nrest, target);
			if (r >= 0)
				r = hs_buf_puts(&nrest, rest + pos);
			if (r < 0)
				return r;
			free(rest);
			rest = hs_buf_steal(&nrest);
			if (!rest)
				return -ENOMEM;
			pos = 0;
			if (target[0] == '/')
				walk_pop_to(&w, 1); /* absolute targets restart at the root */
			continue;
		}

		if ((!last || trailing) && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (!last) {
			r = walk_push(&w, fd, name, len);
			if (r < 0)
				return r;
			fd = -1; /* owned by the walk now */
			continue;
		}

		r = walk_result(&w, name, len, canon_out);
		if (r < 0)
			return r;
		if (flags & O_PATH) {
			if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
				return -ENOTDIR;
			return TAKE_FD(fd);
		} else {
			int nfd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC | (trailing ? O_DIRECTORY : 0), 0666);

			if (nfd < 0)
				return -errno;
			return nfd;
		}
	}
}

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? 0666 : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	for (int tries = 0; tries < 16; tries++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

		if (fd >= 0)
			return (int)fd;
		if (errno == EAGAIN) /* a concurrent rename raced with "..": the kernel asks us to retry */
			continue;
		if (errno == ENOSYS) {
			__atomic_store_n(&openat2_unsupported, 1, __ATOMIC_RELAXED);
			return -ENOSYS;
		}
		if (errno == EPERM || errno == EINVAL || errno == E2BIG)
			return -ENOSYS; /* seccomp or an older openat2: let the walk answer (it repeats real errors) */
		return -errno;
	}
	return -EAGAIN;
}

/* The root directory: the context's descriptor (kept by the context), or without a context "/" opened into
 * *own, which the caller closes. */
static int root_dir(hs_ctx *ctx, hs_root_kind kind, int *own)
{
	int fd;

	if (ctx)
		fd = hs_ctx_root_fd(ctx, kind);
	else {
		fd = *own = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		hs_ctx_set_error(ctx, fd, "%s '%s': %s", kind == HS_ROOT_CONFIG ? "config root" : "root",
				 root_of(ctx, kind), strerror(-fd));
	return fd;
}

/*
 * The in-root name of @fd (opened through openat2 under @rootfd) from /proc/self/fd: the kernel's path of the
 * file minus the kernel's path of the root. -ENOSYS when /proc cannot tell (not mounted, a deleted file, a path
 * outside the root's mount): the caller then walks.
 */
static int canon_from_proc(int rootfd, int fd, char **out)
{
	_cleanup_free_ char *rootp = NULL, *p = NULL;
	char link[64];
	size_t rl, pl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", rootfd);
	if (read_link_at(AT_FDCWD, link, &rootp) < 0)
		return -ENOSYS;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (read_link_at(AT_FDCWD, link, &p) < 0)
		return -ENOSYS;
	rl = strlen(rootp);
	pl = strlen(p);
	if (rootp[0] != '/' || p[0] != '/' || (pl >= 10 && strcmp(p + pl - 10, " (deleted)") == 0))
		return -ENOSYS;
	if (strcmp(rootp, "/") == 0) {
		*out = TAKE_PTR(p);
		return 0;
	}
	if (strncmp(p, rootp, rl) != 0 || (p[rl] != '/' && p[rl] != '\0'))
		return -ENOSYS;
	*out = strdup(p[rl] ? p + rl : "/");
	return *out ? 0 : -ENOMEM;
}

/* hs_root_open without messages (except for an unusable root). */
static int root_open_quiet(hs_ctx *ctx, hs_root_kind kind, const char *path, int flags, char **canon_out)
{
	const char *root = root_of(ctx, kind);
	_cleanup_close_ int own_rootfd = -1;
	int rootfd, fd;

	if (!path || !*path)
		path = "/";
	if (!canon_out && strcmp(root, "/") == 0) {
		/* The real root: plain resolution already clamps ".." and restarts absolute links at "/". */
		_cleanup_free_ char *abs = NULL;

		if (path[0] != '/') {
			if (asprintf(&abs, "/%s", path) < 0)
				return -ENOMEM;
			path = abs;
		}
		fd = openat(AT_FDCWD, path, flags | O_CLOEXEC, 0666);
		return fd < 0 ? -errno : fd;
	}
	rootfd = root_dir(ctx, kind, &own_rootfd);
	if (rootfd < 0)
		return rootfd;
	if (!force_fallback && !__atomic_load_n(&openat2_unsupported, __ATOMIC_RELAXED)) {
		fd = openat2_in_root(rootfd, path, flags);
		if (fd >= 0 && canon_out) {
			int r = canon_from_proc(rootfd, fd, canon_out);

			if (r == 0)
				return fd;
			close(fd);
			if (r != -ENOSYS)
				return r;
		} else if (fd != -ENOSYS)
			return fd;
	}
	return walk_open(rootfd, path, flags, canon_out);
}

int hs_root_open(hs_ctx *ctx, hs_root_kind kind, const char *path, int flags)
{
	int fd = root_open_quiet(ctx, kind, path, flags, NULL);

	if (fd < 0 && fd != -ENOENT && fd != -ENOTDIR)
		hs_ctx_set_error(ctx, fd, "%s: %s", path ? path : "", strerror(-fd));
	return fd;
}

static int root_stat_quiet(hs_ctx *ctx, hs_root_kind kind, const char *path, struct stat *st)
{
	_cleanup_close_ int fd = root_open_quiet(ctx, kind, path, O_PATH, NULL);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		return -errno;
	return 0;
}

int hs_root_stat(hs_ctx *ctx, hs_root_kind kind, const char *path, struct stat *st)
{
	int r = root_stat_quiet(ctx, kind, path, st);

	if (r < 0 && r != -ENOENT && r != -ENOTDIR)
		hs_ctx_set_error(ctx, r, "%s: %s", path ? path : "", strerror(-r));
	return r;
}

int hs_root_realpath(hs_ctx *ctx, hs_root_kind kind, const char *path, char **out)
{
	char *canon = NULL;
	int fd = root_open_quiet(ctx, kind, path, O_PATH, &canon);

	if (fd < 0) {
		if (fd != -ENOENT && fd != -ENOTDIR)
			hs_ctx_set_error(ctx, fd, "%s: %s", path ? path : "", strerror(-fd));
		return fd;
	}
	close(fd);
	*out = canon;
	return 0;
}

/* The context's overlay for @path (useedit.c's in-memory edit): 1 it holds bytes, 0 it says the file is absent,
 * -1 it does not concern @path. */
static int overlay_has(const hs_ctx *ctx, hs_root_kind kind, const char *path)
{
	const hs_root_overlay *ov = hs_ctx_get_overlay(ctx);

	if (!ov || ov->kind != kind || !path || strcmp(ov->path, path) != 0)
		return -1;
	return ov->buf != NULL;
}

/* Is the overlay a file directly inside @dir? Then *name is its base name. */
static bool overlay_in_dir(const hs_ctx *ctx, hs_root_kind kind, const char *dir, const char **name)
{
	const hs_root_overlay *ov = hs_ctx_get_overlay(ctx);
	const char *slash = ov && ov->kind == kind ? strrchr(ov->path, '/') : NULL;
	size_t dl = slash ? (size_t)(slash - ov->path) : 0;

	if (!slash || strlen(dir) != dl || strncmp(ov->path, dir, dl) != 0 || !slash[1])
		return false;
	*name = slash + 1;
	return true;
}

int hs_root_read_file(hs_ctx *ctx, hs_root_kind kind, const char *path, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t size, n = 0;
	int ovr = overlay_has(ctx, kind, path);

	if (ovr == 0)
		return -ENOENT;
	if (ovr > 0) {
		const hs_root_overlay *ov = hs_ctx_get_overlay(ctx);

		if (!(buf = hs_strndup(ov->buf, ov->len)))
			return -ENOMEM;
		if (len)
			*len = ov->len;
		*out = TAKE_PTR(buf);
		return 0;
	}
	fd = root_open_quiet(ctx, kind, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, NULL);
	if (fd == -ENOENT)
		return fd;
	if (fd < 0)
		return hs_ctx_set_error(ctx, fd, "%s: %s", path, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return hs_ctx_set_error(ctx, -EISDIR, "%s: %s", path, strerror(EISDIR));
	if (!S_ISREG(st.st_mode))
		return hs_ctx_set_error(ctx, -EINVAL, "%s: not a regular file", path);
	if ((uintmax_t)st.st_size > max)
		return hs_ctx_set_error(ctx, -EFBIG, "%s: file too large (%jd bytes, limit %zu)", path,
					(intmax_t)st.st_size, max);
	/* Read to EOF rather than trusting st_size: the file may grow, and some file systems report 0. */
	size = (size_t)st.st_size + 1;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == size) {
			size_t nsize = size < max / 2 ? size * 2 : max + 1;
			char *nb;

			if (size > max)
				return hs_ctx_set_error(ctx, -EFBIG, "%s: file too large (more than %zu bytes)", path,
							max);
			nb = realloc(buf, nsize + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			size = nsize;
		}
		k = read(fd, buf + n, size - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return hs_ctx_set_error(ctx, -errno, "%s: %s", path, strerror(errno));
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max)
			return hs_ctx_set_error(ctx, -EFBIG, "%s: file too large (more than %zu bytes)", path, max);
		/* A regular file gives less than asked only at its end: once it has given all fstat() said it held,
		 * a short read is that end, and the read that would return 0 is saved (one per file). */
		if (n < size && st.st_size > 0 && n == (size_t)st.st_size)
			break;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = TAKE_PTR(buf);
	return 0;
}

/* ---- Portage's _recursive_file_list -------------------------------------------------------------------- */

static const char *const vcs_dirs[] = { "CVS", "RCS", "SCCS", ".bzr", ".git", ".hg", ".svn" };

static bool basename_ok(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && !(len > 0 && name[len - 1] == '~');
}

static bool is_vcs_dir(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(vcs_dirs); i++)
		if (strcmp(name, vcs_dirs[i]) == 0)
			return true;
	return false;
}

typedef struct list_state {
	hs_ctx *ctx;
	hs_root_kind kind;
	char **v;
	size_t n, cap;
	struct {
		dev_t dev;
		ino_t ino;
		const char *path;
	} chain[LIST_MAX_DEPTH];
	size_t depth;
} list_state;

static int list_add(list_state *S, const char *path)
{
	if (S->n + 1 >= S->cap) {
		size_t cap = S->cap ? S->cap * 2 : 16;
		char **n = realloc(S->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		S->v = n;
		S->cap = cap;
	}
	S->v[S->n] = strdup(path);
	if (!S->v[S->n])
		return -ENOMEM;
	S->v[++S->n] = NULL;
	return 0;
}

/* os.path.join(dir, name) for a relative name. */
static char *join_name(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", dir, dl && dir[dl - 1] != '/' ? "/" : "", name) < 0)
		return NULL;
	return p;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int list_dir(list_state *S, int dfd, const char *dirpath, const struct stat *dst)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_(hs_strv_freep) char **names = NULL;
	size_t n_names = 0, cap_names = 0;
	struct dirent *de;
	const char *ovname;
	int r = 0;

	for (size_t i = 0; i < S->depth; i++)
		if (S->chain[i].dev == dst->st_dev && S->chain[i].ino == dst->st_ino) {
			close(dfd);
			return hs_ctx_set_error(S->ctx, -ELOOP, "%s: directory loop: this is '%s' again", dirpath,
						S->chain[i].path);
		}
	if (S->depth >= LIST_MAX_DEPTH) {
		close(dfd);
		return hs_ctx_set_error(S->ctx, -ELOOP, "%s: directories nested deeper than %d levels", dirpath,
					LIST_MAX_DEPTH);
	}
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r == -EACCES ? hs_ctx_set_error(S->ctx, r, "%s: %s", dirpath, strerror(-r)) : 0;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n_names + 1 >= cap_names) {
			size_t cap = cap_names ? cap_names * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));

			if (!nn)
				return -ENOMEM;
			names = nn;
			cap_names = cap;
		}
		names[n_names] = strdup(de->d_name);
		if (!names[n_names])
			return -ENOMEM;
		names[++n_names] = NULL;
	}
	if (errno) {
		r = -errno;
		return r == -EACCES ? hs_ctx_set_error(S->ctx, r, "%s: %s", dirpath, strerror(-r)) : 0;
	}
	/* a file the overlay creates in this directory */
	if (overlay_in_dir(S->ctx, S->kind, dirpath, &ovname) && hs_ctx_get_overlay(S->ctx)->buf) {
		bool seen = false;

		for (size_t i = 0; i < n_names && !seen; i++)
			seen = strcmp(names[i], ovname) == 0;
		if (!seen) {
			if (n_names + 1 >= cap_names) {
				char **nn = realloc(names, (n_names + 2) * sizeof(*nn));

				if (!nn)
					return -ENOMEM;
				names = nn;
				cap_names = n_names + 2;
			}
			if (!(names[n_names] = strdup(ovname)))
				return -ENOMEM;
			names[++n_names] = NULL;
		}
	}
	if (n_names)
		qsort(names, n_names, sizeof(*names), cmp_names);

	S->chain[S->depth].dev = dst->st_dev;
	S->chain[S->depth].ino = dst->st_ino;
	S->chain[S->depth].path = dirpath;
	S->depth++;
	for (size_t i = 0; i < n_names; i++) {
		_cleanup_free_ char *child = join_name(dirpath, names[i]);
		struct stat st;
		bool followed = false;

		if (!child) {
			r = -ENOMEM;
			break;
		}
		if (overlay_has(S->ctx, S->kind, child) >= 0) {
			if (overlay_has(S->ctx, S->kind, child) > 0 && basename_ok(names[i]) && (r = list_add(S, child)) < 0)
				break;
			continue;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == EACCES) {
				r = hs_ctx_set_error(S->ctx, -EACCES, "%s: %s", child, strerror(EACCES));
				break;
			}
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			/* os.stat() follows the link: do it inside the root. Dangling links and loops are skipped. */
			int k = root_stat_quiet(S->ctx, S->kind, child, &st);

			if (k == -EACCES) {
				r = hs_ctx_set_error(S->ctx, k, "%s: %s", child, strerror(-k));
				break;
			}
			if (k < 0)
				continue;
			followed = true;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd;

			if (is_vcs_dir(names[i]) || !basename_ok(names[i]))
				continue;
			if (followed)
				cfd = root_open_quiet(S->ctx, S->kind, child, O_RDONLY | O_DIRECTORY, NULL);
			else {
				cfd = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (cfd < 0)
					cfd = -errno;
			}
			if (cfd < 0) {
				if (cfd == -EACCES) {
					r = hs_ctx_set_error(S->ctx, cfd, "%s: %s", child, strerror(-cfd));
					break;
				}
				continue;
			}
			r = list_dir(S, cfd, child, &st);
			if (r < 0)
				break;
		} else if (S_ISREG(st.st_mode) && basename_ok(names[i])) {
			r = list_add(S, child);
			if (r < 0)
				break;
		}
	}
	S->depth--;
	return r;
}

int hs_root_list_config(hs_ctx *ctx, hs_root_kind kind, const char *path, char ***out)
{
	list_state S = { .ctx = ctx, .kind = kind };
	_cleanup_free_ char *head = NULL, *full = NULL;
	const char *slash, *tail;
	struct stat st;
	int r;

	if (!path)
		return -EINVAL;
	/* os.path.split(): the filters apply to the last component as written ("dir/" keeps an empty one). */
	slash = strrchr(path, '/');
	tail = slash ? slash + 1 : path;
	head = hs_strndup(path, (size_t)(tail - path));
	if (!head)
		return -ENOMEM;
	if (head[0] && strspn(head, "/") != strlen(head)) {
		size_t l = strlen(head);

		while (l > 0 && head[l - 1] == '/')
			head[--l] = '\0';
	}
	full = head[0] ? join_name(head, tail) : strdup(tail);
	if (!full)
		return -ENOMEM;

	S.v = calloc(1, sizeof(char *));
	if (!S.v)
		return -ENOMEM;
	S.cap = 1;
	r = root_stat_quiet(ctx, kind, full, &st);
	if (overlay_has(ctx, kind, full) >= 0) {
		/* the overlay stands for a regular file here */
		r = overlay_has(ctx, kind, full) > 0 && basename_ok(tail) ? list_add(&S, full) : 0;
	} else if (r == -EACCES)
		r = hs_ctx_set_error(ctx, r, "%s: %s", full, strerror(-r));
	else if (r < 0) {
		const char *ovname;

		/* missing (or a dangling link): nothing to read, unless the overlay creates it with a file in it */
		r = 0;
		if (overlay_in_dir(ctx, kind, full, &ovname) && basename_ok(tail) && basename_ok(ovname) &&
		    hs_ctx_get_overlay(ctx)->buf)
			r = list_add(&S, hs_ctx_get_overlay(ctx)->path);
	} else if (S_ISDIR(st.st_mode)) {
		if (!is_vcs_dir(tail) && basename_ok(tail)) {
			int dfd = root_open_quiet(ctx, kind, full, O_RDONLY | O_DIRECTORY, NULL);

			if (dfd == -EACCES)
				r = hs_ctx_set_error(ctx, dfd, "%s: %s", full, strerror(-dfd));
			else if (dfd >= 0)
				r = list_dir(&S, dfd, full, &st);
		}
	} else if (S_ISREG(st.st_mode) && basename_ok(tail))
		r = list_add(&S, full);
	if (r < 0) {
		hs_strv_free(S.v);
		return r;
	}
	*out = S.v;
	return 0;
}

/* ---- lexical joins ------------------------------------------------------------------------------------- */

char *hs_path_join(const char *dir, const char *rel)
{
	_cleanup_buf_ hs_buf in = {0}, outb = {0};
	size_t *starts = NULL, n = 0;
	bool absolute;
	const char *p;
	char *res;

	if (rel && rel[0] == '/')
		return strdup(rel);
	if (dir && *dir && (hs_buf_puts(&in, dir) < 0 || hs_buf_putc(&in, '/') < 0))
		return NULL;
	if (hs_buf_puts(&in, rel ? rel : "") < 0)
		return NULL;
	if (!in.p && hs_buf_append(&in, "", 0) < 0)
		return NULL;
	absolute = in.p[0] == '/';
	starts = malloc((in.len / 2 + 2) * sizeof(*starts));
	if (!starts)
		return NULL;
	if (absolute && hs_buf_putc(&outb, '/') < 0)
		goto fail;
	for (p = in.p; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len == 1 && p[0] == '.') {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.' &&
			   (n > 0 && !(outb.len - starts[n - 1] == 2 && outb.p[starts[n - 1]] == '.' &&
				       outb.p[starts[n - 1] + 1] == '.'))) {
			outb.len = starts[--n];
			if (outb.len > (absolute ? 1u : 0u))
				outb.len--; /* the separator before the dropped component */
			outb.p[outb.len] = '\0';
		} else if (len == 2 && p[0] == '.' && p[1] == '.' && absolute) {
			/* ".." at the root stays there */
		} else {
			if (outb.len > (absolute ? 1u : 0u) && hs_buf_putc(&outb, '/') < 0)
				goto fail;
			starts[n++] = outb.len;
			if (hs_buf_append(&outb, p, len) < 0)
				goto fail;
		}
		p += len;
	}
	free(starts);
	if (outb.len == 0 && hs_buf_putc(&outb, '.') < 0)
		return NULL;
	res = hs_buf_steal(&outb);
	return res;
fail:
	free(starts);
	return NULL;
}
