/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree manifests: the scan (hs_manifest_scan): the metadata walk and the threads (the content pass is in
 * manifest_hash.c, xattrs and ACLs in manifest_xattr.c, the accessors in manifest_model.c).
 *
 * Safety. The tree is a user's home and the scanner runs as root, so no path the user controls may lead it
 * elsewhere: every directory is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
 * relative to the caller's directory (or, where the kernel lacks openat2 or the path is longer than PATH_MAX,
 * one component at a time with O_NOFOLLOW, refusing a mount at each step); every entry is lstat'ed with
 * statx(AT_SYMLINK_NOFOLLOW) and its xattrs read with listxattrat/getxattrat(AT_SYMLINK_NOFOLLOW) (Linux
 * 6.13; before that lgetxattr on "/proc/self/fd/<dir>/<name>", which resolves the directory through its
 * descriptor and never follows the last component). Regular files are opened O_NOFOLLOW | O_NONBLOCK (a file
 * swapped for a FIFO does not hang the scan) relative to a directory descriptor opened the same way, and must be
 * the inode the metadata pass saw, with the same size and mtime, or the scan fails with -EBUSY. Device nodes,
 * FIFOs and sockets are never opened. The root of a mount (statx's STATX_ATTR_MOUNT_ROOT: other file systems,
 * bind mounts; before Linux 5.8, an entry on another st_dev than its directory) is recorded as a mount point
 * and not entered; a btrfs subvolume (its own st_dev, but not a mount) is part of the tree and entered.
 *
 * Speed (bench/bench_scan.sh): the metadata pass costs one statx and one listxattrat per entry (getdents64
 * into a reused buffer, names sorted per directory, no per-entry malloc: entries and strings live in per-thread
 * arenas; the kernel is offered a small xattr buffer first, since it allocates the size asked for on every
 * call), and runs on up to 4 threads that take directories from a shared LIFO queue, which is how it keeps
 * up with `du -s` (one fstatat per entry, one thread) only where cores are free: it makes two system calls per
 * entry, and on this project's 2-core CI machines bench_scan measured 0.5-0.6x du -s. Each
 * directory's entries are sorted when it is read, and the final order is stitched from those lists depth
 * first, so there is no global sort. Hashing reads each hardlink group once, 256 KiB at a time (files that fit
 * are hashed with one XXH3_128bits call), on the same threads.
 */
#include "manifest_scan.h"

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

unsigned hs_manifest_threads;
bool hs_manifest_test_no_openat2;

#define MAX_THREADS 4          /* the default's limit */
#define MAX_WORKERS 16         /* hs_manifest_threads' */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Record the first failure and stop every thread. Returns err. */
int hs_mscan_fail(scan *S, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&S->lock);
	if (!S->err) {
		S->err = err;
		va_start(ap, fmt);
		if (vasprintf(&S->errmsg, fmt, ap) < 0)
			S->errmsg = NULL;
		va_end(ap);
	}
	S->stop = true;
	pthread_cond_broadcast(&S->cond);
	pthread_mutex_unlock(&S->lock);
	return err;
}

/* A path for a message: "./a/b", unprintable bytes escaped (malloc'd: the threads share no buffer). */
static char *shown(const char *path, size_t len)
{
	_cleanup_free_ char *e = hs_escape(path, len, 512);
	char *s = NULL;

	if (!e)
		return NULL;
	if (strcmp(e, ".") == 0)
		return TAKE_PTR(e);
	if (asprintf(&s, "./%s", e) < 0)
		return NULL;
	return s;
}

int hs_mscan_fail_at(scan *S, int err, const char *path, const char *fmt, ...)
{
	_cleanup_free_ char *p = shown(path, strlen(path)), *what = NULL;
	va_list ap;

	if (err == -ENOMEM)
		return hs_mscan_fail(S, err, "out of memory");
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	return hs_mscan_fail(S, err, "%s: %s", p ? p : "?", what ? what : strerror(-err));
}

static void scan_warn(scan *S, const char *path, const char *what)
{
	_cleanup_free_ char *p = shown(path, strlen(path));
	char *msg = NULL, **nv;

	if (!p || asprintf(&msg, "%s: %s", p, what) < 0)
		return;
	pthread_mutex_lock(&S->lock);
	nv = realloc(S->warnings, (S->nwarnings + 1) * sizeof(*nv));
	if (nv) {
		S->warnings = nv;
		nv[S->nwarnings++] = msg;
		msg = NULL;
	}
	pthread_mutex_unlock(&S->lock);
	free(msg);
}

/* Called by the main thread: report progress at most every MSCAN_PROGRESS_MS (always when @force). */
void hs_mscan_report(worker *W, bool force)
{
	scan *S = W->S;
	hs_progress p;
	uint64_t t;

	if (!W->main || !S->progress)
		return;
	t = now_ms();
	if (!force && t - S->last_report < MSCAN_PROGRESS_MS)
		return;
	S->last_report = t;
	p = (hs_progress){
		.files_done = atomic_load_explicit(&S->files_done, memory_order_relaxed),
		.bytes_done = atomic_load_explicit(&S->bytes_done, memory_order_relaxed),
		.files_total = S->files_total,
		.bytes_total = S->bytes_total,
	};
	if (S->progress(&p, S->userdata) != 0)
		hs_mscan_fail(S, -ECANCELED, "cancelled");
}

/* ---- opening directories beneath the top ----------------------------------------------------------------- */

#define STATX_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)
#define STATX_WANT (STATX_BASIC_STATS & ~STATX_ATIME)

/* Is the entry @stx describes (in a directory on @parent_dev) where another file system is mounted? statx says
 * so directly (Linux 5.8), which tells a bind mount of the same file system (same st_dev) from a btrfs
 * subvolume (another st_dev, but part of the tree, and entered); older kernels do not say, and then a
 * different st_dev is taken for a mount point. */
static bool mount_root(const struct statx *stx, uint64_t parent_dev)
{
	if (stx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return stx->stx_attributes & STATX_ATTR_MOUNT_ROOT;
	return makedev(stx->stx_dev_major, stx->stx_dev_minor) != parent_dev;
}

static atomic_bool no_openat2;

/* Open @path (relative to the top, "." for it; len bytes) with @flags, never through a symlink and never onto
 * another file system. Returns an fd or a negative errno (-EXDEV: another file system). */
int hs_mscan_open_beneath(worker *W, const char *path, size_t len, int flags)
{
	scan *S = W->S;
	_cleanup_free_ char *copy = NULL;
	char *p, *slash;
	uint64_t dev;
	int fd, r;

	if (len == 1 && path[0] == '.') {
		fd = openat(S->top, ".", flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (len < PATH_MAX && !hs_manifest_test_no_openat2 &&
	    !atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
		};

		for (int tries = 0; tries < 3; tries++) {
			fd = (int)syscall(SYS_openat2, S->top, path, &how, sizeof(how));
			if (fd >= 0)
				return fd;
			if (errno != EAGAIN)
				break;
		}
		if (errno != ENOSYS && errno != EPERM && errno != EAGAIN)
			return -errno;
		if (errno != EAGAIN)
			atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
	}
	/* one component at a time */
	copy = hs_strndup(path, len);
	if (!copy)
		return -ENOMEM;
	fd = openat(S->top, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dev = S->dev;
	for (p = copy;; p = slash + 1) {
		struct statx stx;
		int nfd;

		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		nfd = openat(fd, p, (slash ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		r = -errno;
		close(fd);
		if (nfd < 0)
			return r;
		fd = nfd;
		if (statx(fd, "", STATX_FLAGS | AT_EMPTY_PATH, STATX_WANT, &stx) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (mount_root(&stx, dev)) {
			close(fd);
			return -EXDEV;
		}
		dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		if (!slash)
			return fd;
	}
}

/* ---- the metadata pass ----------------------------------------------------------------------------------- */

static void fill_stat(snode *s, const struct statx *stx)
{
	hs_manifest_entry *e = &s->m.e;

	e->mode = stx->stx_mode;
	e->uid = stx->stx_uid;
	e->gid = stx->stx_gid;
	e->size = stx->stx_size;
	e->alloc = stx->stx_blocks * 512;
	e->mtime_sec = stx->stx_mtime.tv_sec;
	e->mtime_nsec = stx->stx_mtime.tv_nsec;
	e->rdev = S_ISCHR(stx->stx_mode) || S_ISBLK(stx->stx_mode) ?
		  (uint64_t)makedev(stx->stx_rdev_major, stx->stx_rdev_minor) : 0;
	e->nlink = stx->stx_nlink;
	s->m.dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	s->m.ino = stx->stx_ino;
}

/* One entry of directory @dir (open at @dfd). 0, 1 when it vanished (left out), -errno (failure recorded). */
static int fill_entry(worker *W, int dfd, const snode *dir, const char *name, size_t len, snode *s)
{
	scan *S = W->S;
	struct statx st;
	char *path;
	int r;

	memset(s, 0, sizeof(*s));
	if (dir->path_len == 1 && dir->m.e.path[0] == '.') {
		path = hs_arena_strndup(&W->arena, name, len);
		s->name_off = 0;
		s->path_len = len;
	} else {
		s->path_len = dir->path_len + 1 + len;
		path = hs_arena_alloc(&W->arena, s->path_len + 1);
		if (path) {
			memcpy(path, dir->m.e.path, dir->path_len);
			path[dir->path_len] = '/';
			memcpy(path + dir->path_len + 1, name, len + 1);
		}
		s->name_off = (uint32_t)(dir->path_len + 1);
	}
	if (!path)
		return hs_mscan_fail(S, -ENOMEM, "out of memory");
	s->m.e.path = path;
	if (statx(dfd, name, STATX_FLAGS, STATX_WANT, &st) < 0) {
		if (errno == ENOENT)
			goto vanished;
		return hs_mscan_fail_at(S, -errno, path, "cannot read its metadata: %s", strerror(errno));
	}
	fill_stat(s, &st);
	s->m.e.mountpoint = mount_root(&st, dir->m.dev);
	if (S_ISLNK(st.stx_mode)) {
		size_t cap = st.stx_size > 0 && st.stx_size < PATH_MAX ? (size_t)st.stx_size + 1 : PATH_MAX;
		char *t = hs_arena_alloc(&W->arena, cap);
		ssize_t n;

		if (!t)
			return hs_mscan_fail(S, -ENOMEM, "out of memory");
		n = readlinkat(dfd, name, t, cap);
		if (n < 0 && errno == ENOENT)
			goto vanished;
		if (n < 0)
			return hs_mscan_fail_at(S, -errno, path, "cannot read the symlink: %s", strerror(errno));
		if ((size_t)n >= cap)
			return hs_mscan_fail_at(S, -EBUSY, path, "the symlink changed while it was read");
		t[n] = '\0';
		s->m.e.link_target = t;
	}
	if (s->m.e.mountpoint)
		return 0;
	r = hs_xattr_read(&W->xr, &W->arena, dfd, name, &s->m.e);
	if (r == 1)
		goto vanished;
	if (r < 0)
		return hs_mscan_fail_at(S, r, path, "cannot read its extended attributes: %s", strerror(-r));
	return 0;
vanished:
	scan_warn(S, path, "removed while the tree was scanned: left out");
	return 1;
}

static int kid_cmp(const void *a, const void *b)
{
	const snode *x = a, *y = b;
	size_t lx = x->path_len - x->name_off, ly = y->path_len - y->name_off;

	return hs_bytes_cmp(x->m.e.path + x->name_off, lx, y->m.e.path + y->name_off, ly);
}

/* Read directory @dir: its entries, sorted, become dir->kids; its subdirectories are queued. */
static int scan_dir(worker *W, snode *dir)
{
	scan *S = W->S;
	size_t n = 0, names_len = 0, k = 0;
	struct stat st;
	snode *kids = NULL;
	int fd, r = 0;

	fd = hs_mscan_open_beneath(W, dir->m.e.path, dir->path_len, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return hs_mscan_fail_at(S, fd, dir->m.e.path, "cannot open the directory: %s",
			       fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR ? "it was replaced during the scan" :
			       strerror(-fd));
	if (fstat(fd, &st) < 0) {
		r = hs_mscan_fail_at(S, -errno, dir->m.e.path, "cannot read its metadata: %s", strerror(errno));
		goto out;
	}
	if (dir->path_len == 1 && dir->m.e.path[0] == '.') {
		struct statx stx;

		if (statx(fd, "", STATX_FLAGS | AT_EMPTY_PATH, STATX_WANT, &stx) < 0) {
			r = hs_mscan_fail_at(S, -errno, ".", "cannot read its metadata: %s", strerror(errno));
			goto out;
		}
		fill_stat(dir, &stx);
		r = hs_xattr_read(&W->xr, &W->arena, fd, NULL, &dir->m.e);
		if (r < 0) {
			hs_mscan_fail_at(S, r, ".", "cannot read its extended attributes: %s", strerror(-r));
			goto out;
		}
	} else if ((uint64_t)st.st_ino != dir->m.ino || (uint64_t)st.st_dev != dir->m.dev) {
		r = hs_mscan_fail_at(S, -EBUSY, dir->m.e.path, "the directory was replaced during the scan");
		goto out;
	}

	for (;;) {
		ssize_t got = getdents64(fd, W->dents, MSCAN_DENTS_SIZE);

		if (got < 0) {
			r = hs_mscan_fail_at(S, -errno, dir->m.e.path, "cannot read the directory: %s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(W->dents + off);
			size_t len = strlen(d->d_name);

			off += d->d_reclen;
			if (d->d_name[0] == '.' && (len == 1 || (len == 2 && d->d_name[1] == '.')))
				continue;
			if (names_len + len + 1 > W->names_cap) {
				size_t cap = W->names_cap ? W->names_cap : 16384;
				char *nn;

				while (cap < names_len + len + 1)
					cap *= 2;
				nn = cap <= UINT32_MAX ? realloc(W->names, cap) : NULL;
				if (!nn) {
					r = hs_mscan_fail(S, -ENOMEM, "out of memory");
					goto out;
				}
				W->names = nn;
				W->names_cap = cap;
			}
			if (n == W->offs_cap) {
				size_t cap = W->offs_cap ? 2 * W->offs_cap : 1024;
				uint32_t *no = realloc(W->name_offs, cap * sizeof(*no));

				if (!no) {
					r = hs_mscan_fail(S, -ENOMEM, "out of memory");
					goto out;
				}
				W->name_offs = no;
				W->offs_cap = cap;
			}
			memcpy(W->names + names_len, d->d_name, len + 1);
			W->name_offs[n++] = (uint32_t)names_len;
			names_len += len + 1;
		}
	}
	if (n) {
		kids = hs_arena_alloc(&W->arena, n * sizeof(*kids));
		if (!kids) {
			r = hs_mscan_fail(S, -ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = W->names + W->name_offs[i];

		if (S->stop) {
			r = -ECANCELED;
			goto out;
		}
		r = fill_entry(W, fd, dir, name, strlen(name), &kids[k]);
		if (r < 0)
			goto out;
		if (r == 0)
			k++;
	}
	r = 0;
	if (k > 1)
		qsort(kids, k, sizeof(*kids), kid_cmp);
	dir->kids = kids;
	dir->nkids = (uint32_t)k;
	atomic_fetch_add_explicit(&S->files_done, k, memory_order_relaxed);

	pthread_mutex_lock(&S->lock);
	/* queued in reverse so that the LIFO takes them in order (depth first, the dentries still cached) */
	for (size_t i = k; i-- > 0;) {
		if (!S_ISDIR(kids[i].m.e.mode) || kids[i].m.e.mountpoint)
			continue;
		if (S->nq == S->capq) {
			size_t cap = S->capq ? 2 * S->capq : 256;
			snode **nq = realloc(S->queue, cap * sizeof(*nq));

			if (!nq) {
				pthread_mutex_unlock(&S->lock);
				r = hs_mscan_fail(S, -ENOMEM, "out of memory");
				goto out;
			}
			S->queue = nq;
			S->capq = cap;
		}
		S->queue[S->nq++] = &kids[i];
	}
	pthread_cond_broadcast(&S->cond);
	pthread_mutex_unlock(&S->lock);
out:
	close(fd);
	return r;
}

static void walk_loop(worker *W)
{
	scan *S = W->S;

	pthread_mutex_lock(&S->lock);
	for (;;) {
		if (S->stop)
			break;
		if (S->nq) {
			snode *d = S->queue[--S->nq];

			S->busy++;
			pthread_mutex_unlock(&S->lock);
			scan_dir(W, d);
			hs_mscan_report(W, false);
			pthread_mutex_lock(&S->lock);
			S->busy--;
			if (!S->nq && !S->busy)
				pthread_cond_broadcast(&S->cond);
			continue;
		}
		if (!S->busy)
			break;
		if (W->main) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += MSCAN_PROGRESS_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&S->cond, &S->lock, &ts);
			pthread_mutex_unlock(&S->lock);
			hs_mscan_report(W, false);
			pthread_mutex_lock(&S->lock);
		} else {
			pthread_cond_wait(&S->cond, &S->lock);
		}
	}
	pthread_mutex_unlock(&S->lock);
}

/* ---- threads ------------------------------------------------------------------------------------------ */

static int worker_init(worker *W, scan *S, bool main)
{
	*W = (worker){ .S = S, .main = main, .dirfd = -1 };
	W->dents = malloc(MSCAN_DENTS_SIZE);
	if (hs_xattr_reader_init(&W->xr) < 0 || !W->dents)
		return -ENOMEM;
	if (!(S->flags & HS_MANIFEST_NO_HASH)) {
		W->rbuf = malloc(MSCAN_READ_SIZE);
		W->xxh = XXH3_createState();
		if (!W->rbuf || !W->xxh)
			return -ENOMEM;
	}
	return 0;
}

static void worker_done(worker *W)
{
	free(W->dents);
	free(W->names);
	free(W->name_offs);
	hs_xattr_reader_done(&W->xr);
	free(W->rbuf);
	XXH3_freeState(W->xxh);
	if (W->dirfd >= 0)
		close(W->dirfd);
	free(W->dirpath);
	hs_arena_free(&W->arena);
}

static void *walk_thread(void *arg)
{
	walk_loop(arg);
	return NULL;
}

static void *hash_thread(void *arg)
{
	hs_mscan_hash_loop(arg);
	return NULL;
}

/* Run @fn on every worker: W[0] in this thread, the others on their own (fewer when a thread cannot be
 * started). */
static void run_pass(worker *W, unsigned n, void *(*fn)(void *))
{
	scan *S = W->S;
	unsigned started = 1;

	S->hashing = n; /* counted down by each hashing thread as it finishes */
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&W[i].tid, NULL, fn, &W[i]) != 0) {
			pthread_mutex_lock(&S->lock);
			S->hashing -= n - i;
			pthread_mutex_unlock(&S->lock);
			break;
		}
		started++;
	}
	fn(&W[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(W[i].tid, NULL);
}

static unsigned thread_count(void)
{
	cpu_set_t set;
	unsigned n = hs_manifest_threads;

	if (n == 0) {
		n = sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set) : 1;
		if (n > MAX_THREADS)
			n = MAX_THREADS;
	}
	return n ? n : 1;
}

/* ---- the manifest from the walk ------------------------------------------------------------------------------ */

/* Depth first from the root, each directory's sorted entries right after it. The entries stay where the walk
 * put them (in the arenas): the manifest points at them. */
static int stitch(hs_manifest *m, snode *root, size_t count)
{
	struct frame {
		snode *dir;
		uint32_t next;
	} *stack = NULL;
	size_t depth = 0, cap = 0;

	m->v = malloc(count * sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	m->v[m->n++] = &root->m;
	if (root->nkids) {
		cap = 64;
		stack = malloc(cap * sizeof(*stack));
		if (!stack)
			return -ENOMEM;
		stack[depth++] = (struct frame){ root, 0 };
	}
	while (depth) {
		struct frame *f = &stack[depth - 1];
		snode *s;

		if (f->next == f->dir->nkids) {
			depth--;
			continue;
		}
		s = &f->dir->kids[f->next++];
		if (m->n == count) {
			free(stack);
			return -EINVAL; /* cannot happen: the counts are the walk's */
		}
		m->v[m->n++] = &s->m;
		if (s->nkids) {
			if (depth == cap) {
				struct frame *ns = realloc(stack, 2 * cap * sizeof(*ns));

				if (!ns) {
					free(stack);
					return -ENOMEM;
				}
				stack = ns;
				cap *= 2;
			}
			stack[depth++] = (struct frame){ s, 0 };
		}
	}
	free(stack);
	return 0;
}

static uint64_t inode_hash(uint64_t dev, uint64_t ino)
{
	return (ino ^ (dev * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
}

/* Hardlink groups: regular files with nlink > 1 sharing (dev, ino); the first path in order is the key, the
 * others point at it. *keys (malloc'd, indexed by entry) gets each entry's key index or SIZE_MAX. Also sums
 * total_bytes (a group once). */
static int link_groups(hs_manifest *m, size_t **keys_out)
{
	_cleanup_free_ size_t *table = NULL, *keys = NULL;
	size_t nlinked = 0, cap = 1, mask;

	for (size_t i = 0; i < m->n; i++)
		if (S_ISREG(m->v[i]->e.mode) && m->v[i]->e.nlink > 1 && !m->v[i]->e.mountpoint)
			nlinked++;
	keys = malloc((m->n ? m->n : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	while (cap < 2 * nlinked)
		cap *= 2;
	table = malloc(cap * sizeof(*table));
	if (!table)
		return -ENOMEM;
	memset(table, 0xff, cap * sizeof(*table));
	mask = cap - 1;
	m->total_bytes = 0;
	for (size_t i = 0; i < m->n; i++) {
		hs_mentry *x = m->v[i];
		size_t slot;

		keys[i] = SIZE_MAX;
		if (!S_ISREG(x->e.mode) || x->e.mountpoint)
			continue;
		if (x->e.nlink > 1) {
			for (slot = inode_hash(x->dev, x->ino) & mask; table[slot] != SIZE_MAX; slot = (slot + 1) & mask)
				if (m->v[table[slot]]->ino == x->ino && m->v[table[slot]]->dev == x->dev)
					break;
			if (table[slot] != SIZE_MAX) {
				keys[i] = table[slot];
				x->e.hardlink_of = m->v[table[slot]]->e.path;
				continue;
			}
			table[slot] = i;
		}
		m->total_bytes += x->e.size;
	}
	*keys_out = TAKE_PTR(keys);
	return 0;
}

static int warn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hs_manifest_scan(hs_ctx *ctx, hs_manifest **out, int dirfd, unsigned flags, hs_progress_fn progress,
		     void *userdata)
{
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	_cleanup_free_ size_t *keys = NULL;
	scan S = { .ctx = ctx, .top = dirfd, .flags = flags, .progress = progress, .userdata = userdata };
	worker W[MAX_WORKERS];
	unsigned nw = 0, n = thread_count();
	snode *root;
	struct stat st;
	int r;

	assert(out);
	*out = NULL;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if (fstat(dirfd, &st) < 0)
		return hs_ctx_set_error(ctx, -errno, "the tree to scan: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return hs_ctx_set_error(ctx, -ENOTDIR, "the tree to scan is not a directory");
	S.dev = st.st_dev;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	root = hs_arena_alloc(&m->arena, sizeof(*root));
	if (!root)
		return -ENOMEM;
	*root = (snode){ .path_len = 1, .m.e.path = ".", .m.dev = st.st_dev, .m.ino = st.st_ino };
	m->hashed = !(flags & HS_MANIFEST_NO_HASH);
	pthread_mutex_init(&S.lock, NULL);
	pthread_cond_init(&S.cond, NULL);
	for (; nw < n; nw++) {
		r = worker_init(&W[nw], &S, nw == 0);
		if (r < 0) {
			nw++;
			goto out;
		}
	}

	/* metadata */
	S.queue = malloc(256 * sizeof(*S.queue));
	if (!S.queue) {
		r = -ENOMEM;
		goto out;
	}
	S.capq = 256;
	S.queue[S.nq++] = root;
	atomic_store(&S.files_done, 1);
	run_pass(W, n, walk_thread);
	hs_mscan_report(&W[0], true);
	if (S.err) {
		r = S.err;
		goto out;
	}
	r = stitch(m, root, atomic_load(&S.files_done));
	if (r < 0)
		goto out;
	r = link_groups(m, &keys);
	if (r < 0)
		goto out;

	/* contents */
	if (!(flags & HS_MANIFEST_NO_HASH)) {
		S.todo = malloc((m->n ? m->n : 1) * sizeof(*S.todo));
		if (!S.todo) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < m->n; i++)
			if (S_ISREG(m->v[i]->e.mode) && !m->v[i]->e.mountpoint && keys[i] == SIZE_MAX)
				S.todo[S.ntodo++] = m->v[i];
		S.files_total = S.ntodo;
		S.bytes_total = m->total_bytes;
		atomic_store(&S.files_done, 0);
		atomic_store(&S.bytes_done, 0);
		S.last_report = 0;
		hs_mscan_report(&W[0], true);
		if (!S.err)
			run_pass(W, n, hash_thread);
		if (!S.err)
			hs_mscan_report(&W[0], true);
		if (S.err) {
			r = S.err;
			goto out;
		}
		for (size_t i = 0; i < m->n; i++)
			if (keys[i] != SIZE_MAX)
				m->v[i]->e.hash = m->v[keys[i]]->e.hash;
	}

	/* warnings, in a stable order */
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->e.mountpoint) {
			_cleanup_free_ char *p = shown(m->v[i]->e.path, strlen(m->v[i]->e.path));

			hs_ctx_add_warning(ctx, "%s: another file system is mounted here: recorded, not entered",
					   p ? p : "?");
		}
	if (S.nwarnings)
		qsort(S.warnings, S.nwarnings, sizeof(*S.warnings), warn_cmp);
	for (size_t i = 0; i < S.nwarnings; i++)
		hs_ctx_add_warning(ctx, "%s", S.warnings[i]);
	for (unsigned i = 0; i < nw; i++)
		hs_arena_join(&m->arena, &W[i].arena);
	*out = TAKE_PTR(m);
	r = 0;
out:
	if (r < 0 && m) {
		/* the arenas hold the partial result: free them with the workers */
		free(m->v);
		m->v = NULL;
		m->n = 0;
	}
	if (r < 0) {
		if (S.errmsg)
			hs_ctx_set_error(ctx, r, "%s", S.errmsg);
		else
			hs_ctx_set_error(ctx, r, "scan: %s", strerror(-r));
	}
	for (unsigned i = 0; i < nw; i++)
		worker_done(&W[i]);
	for (size_t i = 0; i < S.nwarnings; i++)
		free(S.warnings[i]);
	free(S.warnings);
	free(S.errmsg);
	free(S.queue);
	free(S.todo);
	pthread_cond_destroy(&S.cond);
	pthread_mutex_destroy(&S.lock);
	return r;
}
