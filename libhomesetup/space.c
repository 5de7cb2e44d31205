/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `space` check: is there room on the file system holding /home to migrate every regular user to homed?
 *
 * Regular users are the /etc/passwd entries with UID 1000–60000 and a home under /home. A home's size is the
 * disk space its files take (st_blocks × 512, from fstatat without following symlinks; a file with several hard
 * links inside the same home counted once, since rsync -H copies it once; mount points inside a home are not
 * entered, since they do not live on /home). The walk stops after hs_space_walk_limit entries or hs_space_walk_ms
 * milliseconds in all (it is a check, not a migration): the figures are then lower bounds and the report says so.
 * Measured: 159k entries (a bind-mounted /usr, 8.5 GiB, same as du -sx) take 0.8 s warm, 4.7 s cold, 6.5 MB RSS.
 *
 * What a migrated home takes (the model, per user):
 *  - luks storage: an image of max(used × 1.10, fs minimum) + 18 MiB.
 *      18 MiB is GPT_LUKS2_OVERHEAD of src/home/homework-luks.c (the GPT and the LUKS2 header with its 4 MiB
 *      metadata area); the file system minimum is what homework refuses to go below (src/shared/resize-fs.h:
 *      BTRFS_MINIMAL_SIZE 256 MiB, XFS_MINIMAL_SIZE 300 MiB, EXT4_MINIMAL_SIZE 32 MiB); the 10 % is room for the
 *      file system's own metadata inside the image (btrfs metadata chunks, ext4 inode tables and journal) so that
 *      rsync does not hit ENOSPC on the last files. homework fallocate()s the image at creation (LUKS discard is
 *      off for image files), so all of it is taken before rsync copies the first byte.
 *  - directory, subvolume, fscrypt: the data once more, while rsync copies it (--remove-source-files then frees
 *    the old copy file by file).
 * Migrating everybody at once (the images created before any data is removed) needs the sum of these. One user
 * at a time needs less, because each migration frees that user's old files: with the largest home first (the
 * order that needs least), max over k of (the image of user k + the overheads of the users before it). Enough for
 * all at once → OK; enough only one at a time → WARN with the order; not even that → FAIL.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"

size_t hs_space_walk_limit = 200000;
unsigned hs_space_walk_ms = 3000;
uint64_t hs_space_test_avail;

#define MIB (UINT64_C(1) << 20)
#define LUKS_OVERHEAD (18 * MIB)
#define MAX_DEPTH 256

/* ---- one home's size ---------------------------------------------------------------------------------- */

typedef struct inode_set {
	uint64_t *v;    /* (dev << 40) ^ ino, 0 = empty; good enough as a key within one home */
	size_t n, cap;
} inode_set;

static uint64_t inode_key(const struct stat *st)
{
	uint64_t k = ((uint64_t)st->st_dev << 40) ^ (uint64_t)st->st_ino;

	return k ? k : 1;
}

/* 1: newly added, 0: seen before, -ENOMEM */
static int inode_add(inode_set *s, uint64_t key)
{
	size_t mask, i;

	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *nv = calloc(cap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->v[k])
				continue;
			for (i = (size_t)(s->v[k] * 0x9e3779b97f4a7c15ULL) & (cap - 1); nv[i]; i = (i + 1) & (cap - 1))
				;
			nv[i] = s->v[k];
		}
		free(s->v);
		s->v = nv;
		s->cap = cap;
	}
	mask = s->cap - 1;
	for (i = (size_t)(key * 0x9e3779b97f4a7c15ULL) & mask; s->v[i]; i = (i + 1) & mask)
		if (s->v[i] == key)
			return 0;
	s->v[i] = key;
	s->n++;
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct walker {
	uint64_t bytes, entries;
	size_t budget;          /* entries left for the whole run */
	uint64_t deadline;      /* CLOCK_MONOTONIC ms; 0: none */
	bool truncated;         /* stopped by the budget */
	bool partial;           /* something could not be read */
	char *first_error;
	dev_t dev;
	inode_set links;
} walker;

static void walk_error(walker *W, const char *what, int err)
{
	W->partial = true;
	if (!W->first_error && asprintf(&W->first_error, "%s: %s", what, strerror(err)) < 0)
		W->first_error = NULL;
}

/* Add up the directory open at @dfd (taken over). */
static int walk_dir(walker *W, int dfd, unsigned depth)
{
	struct dirent *de;
	DIR *d = fdopendir(dfd);
	int r = 0;

	if (!d) {
		r = -errno;
		close(dfd);
		walk_error(W, "a directory", -r);
		return r == -ENOMEM ? r : 0;
	}
	while (r >= 0 && (errno = 0, de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (W->budget == 0 || (W->deadline && (W->entries & 1023) == 1023 && now_ms() > W->deadline)) {
			W->budget = 0;
			W->truncated = true;
			break;
		}
		W->budget--;
		W->entries++;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			walk_error(W, de->d_name, errno);
			continue;
		}
		if (S_ISDIR(st.st_mode) && st.st_dev != W->dev)
			continue; /* a mount point */
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
			r = inode_add(&W->links, inode_key(&st));
			if (r < 0)
				break;
			if (r == 0)
				continue;
			r = 0;
		}
		W->bytes += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth >= MAX_DEPTH) {
				walk_error(W, de->d_name, ELOOP);
				continue;
			}
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				walk_error(W, de->d_name, errno);
				continue;
			}
			r = walk_dir(W, sub, depth + 1);
		}
	}
	if (r >= 0 && !W->truncated && errno)
		walk_error(W, "readdir", errno);
	closedir(d);
	return r;
}

/* ---- /etc/passwd ---------------------------------------------------------------------------------------- */

void hs_space_users_free(hs_space_user *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].home);
		free(v[i].error);
	}
	free(v);
}

static bool under_home(const char *p)
{
	return strncmp(p, "/home/", 6) == 0 && p[6] && p[6] != '/';
}

int hs_space_parse_passwd(hs_ctx *ctx, const char *buf, size_t len, hs_space_user **out, size_t *n_out)
{
	hs_space_user *v = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t pos = 0; pos < len;) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t ln = nl ? (size_t)(nl - s) : len - pos;
		const char *f[7];
		size_t fl[7], nf = 0;
		char num[16];
		unsigned long uid;
		char *end;

		pos += ln + (nl ? 1 : 0);
		if (ln == 0 || s[0] == '#' || s[0] == '+' || s[0] == '-' || memchr(s, '\0', ln))
			continue;
		for (size_t i = 0, start = 0; i <= ln && nf < 7; i++)
			if (i == ln || s[i] == ':') {
				f[nf] = s + start;
				fl[nf++] = i - start;
				start = i + 1;
			}
		if (nf < 7 || fl[0] == 0 || fl[2] == 0 || fl[2] >= sizeof(num))
			continue;
		memcpy(num, f[2], fl[2]);
		num[fl[2]] = '\0';
		errno = 0;
		uid = strtoul(num, &end, 10);
		if (errno || *end || num[0] == '-' || uid < 1000 || uid > 60000)
			continue;
		{
			_cleanup_free_ char *home = hs_strndup(f[5], fl[5]);
			hs_space_user *nv;

			if (!home)
				goto oom;
			if (!under_home(home))
				continue;
			nv = realloc(v, (n + 1) * sizeof(*nv));
			if (!nv)
				goto oom;
			v = nv;
			v[n] = (hs_space_user){ .uid = (unsigned)uid, .home = TAKE_PTR(home) };
			v[n].name = hs_strndup(f[0], fl[0]);
			n++;
			if (!v[n - 1].name)
				goto oom;
		}
	}
	*out = v;
	*n_out = n;
	return 0;
oom:
	hs_space_users_free(v, n);
	return hs_ctx_set_error(ctx, -ENOMEM, "/etc/passwd: %s", strerror(ENOMEM));
}

/* Walk each user's home; each gets bytes, or missing/error. */
int hs_space_measure(hs_ctx *ctx, hs_space_user *v, size_t n, bool *truncated)
{
	size_t budget = hs_space_walk_limit;
	uint64_t deadline = hs_space_walk_ms ? now_ms() + hs_space_walk_ms : 0;

	*truncated = false;
	for (size_t i = 0; i < n; i++) {
		walker W = { .budget = budget, .deadline = deadline };
		struct stat st;
		int fd, r;

		fd = hs_root_open(ctx, HS_ROOT_SYS, v[i].home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -ENOENT) {
			v[i].missing = true;
			continue;
		}
		if (fd < 0) {
			v[i].partial = true;
			if (asprintf(&v[i].error, "%s: %s", v[i].home, strerror(-fd)) < 0)
				return -ENOMEM;
			continue;
		}
		if (fstat(fd, &st) < 0) {
			close(fd);
			continue;
		}
		W.dev = st.st_dev;
		W.bytes = (uint64_t)st.st_blocks * 512;
		r = walk_dir(&W, fd, 0);
		free(W.links.v);
		if (r < 0) {
			free(W.first_error);
			return r;
		}
		v[i].bytes = W.bytes;
		v[i].entries = W.entries;
		v[i].partial = W.partial || W.truncated;
		v[i].truncated = W.truncated;
		v[i].error = W.first_error;
		budget = W.budget;
		*truncated = *truncated || W.truncated;
	}
	hs_ctx_clear_error(ctx);
	return 0;
}

/* ---- the model ------------------------------------------------------------------------------------------ */

uint64_t hs_space_fs_minimum(const char *fs)
{
	if (strcmp(fs, "xfs") == 0)
		return 300 * MIB;
	if (strcmp(fs, "ext4") == 0)
		return 32 * MIB;
	return 256 * MIB;
}

uint64_t hs_space_needed(uint64_t used, bool luks, const char *fs)
{
	uint64_t grown, min;

	if (!luks)
		return used;
	grown = used + used / 10;
	grown = (grown + 4095) & ~UINT64_C(4095);
	min = hs_space_fs_minimum(fs);
	return (grown > min ? grown : min) + LUKS_OVERHEAD;
}

static int by_size_desc(const void *a, const void *b)
{
	const hs_space_user *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->name, y->name);
}

void hs_space_plan(hs_space_user *v, size_t n, bool luks, const char *fs, uint64_t *all_at_once,
		   uint64_t *one_by_one)
{
	uint64_t sum = 0, overheads = 0, peak = 0;

	qsort(v, n, sizeof(*v), by_size_desc);
	for (size_t i = 0; i < n; i++) {
		uint64_t need = hs_space_needed(v[i].bytes, luks, fs);

		v[i].needed = need;
		sum += need;
		if (overheads + need > peak)
			peak = overheads + need;
		overheads += need - v[i].bytes;
	}
	*all_at_once = sum;
	*one_by_one = peak;
}

static void human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

int hs_check_group_space(hs_checker *c)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_free_ char *buf = NULL, *fix = NULL;
	_cleanup_buf_ hs_buf detail = {0};
	const hs_homed_conf *conf = NULL;
	const char *fs, *dflt_why, *storage;
	hs_space_user *users = NULL;
	size_t n = 0, len = 0;
	uint64_t avail, all, seq;
	char h_avail[32], h_all[32], h_seq[32], h_used[32];
	struct statvfs sv;
	bool truncated = false, luks;
	int fd, r;

	if (!hs_checker_wants(c, "space.home"))
		return 0;
	r = hs_homed_conf_get(c, &conf);
	if (r == -ENOMEM)
		return r;
	r = hs_homed_default_fstype(c, &fs, &dflt_why);
	if (r < 0)
		return r;
	if (conf && conf->fstype)
		fs = conf->fstype;
	storage = hs_homed_conf_storage(conf);
	luks = strcmp(storage, "luks") == 0;

	fd = hs_root_open(ctx, HS_ROOT_SYS, "/home", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hs_checker_add(c, "space.home", HS_CHECK_SKIP, NULL, fd == -ENOENT ? NULL : hs_ctx_last_error(ctx),
				      "there is no /home to measure%s", fd == -ENOENT ? "" : " (cannot open it)");
	r = fstatvfs(fd, &sv) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return hs_checker_add(c, "space.home", HS_CHECK_SKIP, NULL, strerror(-r), "cannot statvfs /home");
	avail = hs_space_test_avail ? hs_space_test_avail : (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	human(h_avail, sizeof(h_avail), avail);

	r = hs_root_read_file(ctx, HS_ROOT_SYS, "/etc/passwd", HS_GETCONFIG_MAX_FILE, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(c, "space.home", HS_CHECK_SKIP, NULL, r == -ENOENT ? NULL : hs_ctx_last_error(ctx),
				      "cannot read /etc/passwd%s", r == -ENOENT ? " (missing)" : "");
	r = hs_space_parse_passwd(ctx, buf, len, &users, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		r = hs_checker_add(c, "space.home", HS_CHECK_OK, NULL, "regular users: UID 1000-60000 with a home "
				   "under /home in /etc/passwd", "no regular users to migrate; %s free on /home", h_avail);
		goto out;
	}
	r = hs_space_measure(ctx, users, n, &truncated);
	if (r < 0)
		goto out;
	hs_space_plan(users, n, luks, fs, &all, &seq);
	human(h_all, sizeof(h_all), all);
	human(h_seq, sizeof(h_seq), seq);

	r = hs_buf_printf(&detail, "%s free on the file system of /home; model: %s", h_avail,
			  luks ? "a LUKS image per user of max(used + 10%, file system minimum) + 18 MiB GPT/LUKS2" :
			  "a second copy of each home while rsync runs");
	if (r >= 0 && luks)
		r = hs_buf_printf(&detail, " (%s inside: minimum %" PRIu64 " MiB)", fs, hs_space_fs_minimum(fs) / MIB);
	for (size_t i = 0; i < n && r >= 0; i++) {
		char h1[32], h2[32];

		human(h1, sizeof(h1), users[i].bytes);
		human(h2, sizeof(h2), users[i].needed);
		if (users[i].missing)
			r = hs_buf_printf(&detail, "\n%s (uid %u): %s does not exist", users[i].name, users[i].uid,
					  users[i].home);
		else
			r = hs_buf_printf(&detail, "\n%s (uid %u): %s%s in %s, needs %s%s%s%s", users[i].name,
					  users[i].uid, users[i].truncated || users[i].partial ? "at least " : "", h1,
					  users[i].home, h2, users[i].error ? " (" : "",
					  users[i].error ? users[i].error : "", users[i].error ? ")" : "");
	}
	if (r >= 0)
		r = hs_buf_printf(&detail, "\nall at once: %s; one at a time, largest first: %s", h_all, h_seq);
	if (r >= 0 && truncated) {
		uint64_t walked = 0;

		for (size_t i = 0; i < n; i++)
			walked += users[i].entries;
		r = hs_buf_printf(&detail, "\nthe size walk stopped after %" PRIu64 " entries (limits: %zu entries, %u "
				  "ms): the sizes are lower bounds", walked, hs_space_walk_limit, hs_space_walk_ms);
	}
	if (r < 0)
		goto out;
	{
		bool lower = false;
		uint64_t used = 0;

		for (size_t i = 0; i < n; i++) {
			lower = lower || users[i].partial;
			used += users[i].bytes;
		}
		human(h_used, sizeof(h_used), used);
		if (avail < seq) {
			char h_more[32];

			human(h_more, sizeof(h_more), seq - avail);
			if (asprintf(&fix, "free at least %s on the file system holding /home (see: du -sh /home/*), "
				     "or move homes elsewhere first", h_more) < 0) {
				r = -ENOMEM;
				goto out;
			}
			r = hs_checker_add(c, "space.home", HS_CHECK_FAIL, fix, detail.p, "not enough space on /home to "
					   "migrate %zu user%s: %s free, %s%s needed even one at a time", n, n == 1 ? "" : "s",
					   h_avail, lower ? "at least " : "", h_seq);
		} else if (lower) {
			r = hs_checker_add(c, "space.home", HS_CHECK_WARN, "measure the homes with du -sh /home/* before "
					   "migrating", detail.p, "the homes could not be measured completely: %s would "
					   "need at least %s (%s free)", n == 1 ? "the user" : "all users", h_all, h_avail);
		} else if (avail < all) {
			_cleanup_buf_ hs_buf order = {0};

			for (size_t i = 0; i < n && r >= 0; i++)
				r = hs_buf_printf(&order, "%s%s", i ? ", " : "", users[i].name);
			if (r < 0)
				goto out;
			if (asprintf(&fix, "migrate one user at a time, largest home first: %s", order.p) < 0) {
				r = -ENOMEM;
				goto out;
			}
			r = hs_checker_add(c, "space.home", HS_CHECK_WARN, fix, detail.p, "enough space on /home only "
					   "to migrate one user at a time: %s free, %s needed for all at once", h_avail,
					   h_all);
		} else {
			r = hs_checker_add(c, "space.home", HS_CHECK_OK, NULL, detail.p, "enough space on /home: %s "
					   "free, %s needed to migrate %zu user%s (%s of data)", h_avail, h_all, n,
					   n == 1 ? "" : "s", h_used);
		}
	}
out:
	hs_space_users_free(users, n);
	return r;
}
