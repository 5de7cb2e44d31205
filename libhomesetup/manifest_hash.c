/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree manifests: the content pass of a scan. Each thread takes HASH_CHUNK files at a time from the list of
 * regular files (one per hardlink group), opens each relative to a descriptor of its directory (kept while
 * consecutive files share it, opened beneath the top like every directory of the walk), O_NOFOLLOW |
 * O_NONBLOCK | O_NOATIME, checks that it is the inode the metadata pass saw with the same size and mtime, and
 * hashes exactly that many bytes with XXH3-128: files up to 256 KiB with one read and one XXH3_128bits call,
 * larger ones streamed 256 KiB at a time after posix_fadvise(SEQUENTIAL).
 */
#include "manifest_scan.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HASH_CHUNK 16 /* files a thread takes at a time */

static int hash_file(worker *W, hs_mentry *m)
{
	scan *S = W->S;
	hs_manifest_entry *e = &m->e;
	const char *slash = strrchr(e->path, '/');
	const char *dir = slash ? e->path : ".", *base = slash ? slash + 1 : e->path;
	size_t dlen = slash ? (size_t)(slash - e->path) : 1, have = 0;
	uint64_t total = 0, reported = 0;
	bool streaming = false;
	XXH128_canonical_t c;
	XXH128_hash_t h;
	struct stat st;
	char *hex;
	int fd, r = 0;

	if (W->dirfd < 0 || W->dirpath_len != dlen || memcmp(W->dirpath, dir, dlen) != 0) {
		if (W->dirfd >= 0)
			close(W->dirfd);
		W->dirfd = -1;
		if (dlen + 1 > W->dirpath_cap) {
			char *np = realloc(W->dirpath, dlen + 1);

			if (!np)
				return hs_mscan_fail(S, -ENOMEM, "out of memory");
			W->dirpath = np;
			W->dirpath_cap = dlen + 1;
		}
		memcpy(W->dirpath, dir, dlen);
		W->dirpath[dlen] = '\0';
		W->dirpath_len = dlen;
		fd = hs_mscan_open_beneath(W, W->dirpath, dlen, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return hs_mscan_fail_at(S, fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR ? -EBUSY : fd, W->dirpath,
				       "cannot open the directory: %s",
				       fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR ? "it was replaced during the scan" :
				       strerror(-fd));
		W->dirfd = fd;
	}
	fd = openat(W->dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(W->dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOENT)
			return hs_mscan_fail_at(S, -EBUSY, e->path, "removed or replaced during the scan");
		return hs_mscan_fail_at(S, -errno, e->path, "cannot open it: %s", strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		r = hs_mscan_fail_at(S, -errno, e->path, "cannot read its metadata: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != m->ino || (uint64_t)st.st_dev != m->dev ||
	    (uint64_t)st.st_size != e->size || st.st_mtim.tv_sec != e->mtime_sec ||
	    (uint32_t)st.st_mtim.tv_nsec != e->mtime_nsec) {
		r = hs_mscan_fail_at(S, -EBUSY, e->path, "changed during the scan");
		goto out;
	}
	if (e->size > MSCAN_READ_SIZE)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		/* one byte more than is left: a short read that ends exactly at the size is the end of the file,
		 * and a file that grew shows at once; only a read that filled the buffer needs another to see the
		 * end */
		size_t want = e->size - total < MSCAN_READ_SIZE - have ? (size_t)(e->size - total) + 1 : MSCAN_READ_SIZE - have;
		ssize_t got = read(fd, W->rbuf + have, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = hs_mscan_fail_at(S, -errno, e->path, "cannot read it: %s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		total += (uint64_t)got;
		if (total > e->size)
			break; /* it grew: refused below */
		if (total == e->size && (size_t)got < want)
			break;
		if (have == MSCAN_READ_SIZE) {
			if (!streaming) {
				XXH3_128bits_reset(W->xxh);
				streaming = true;
			}
			XXH3_128bits_update(W->xxh, W->rbuf, have);
			have = 0;
			atomic_fetch_add_explicit(&S->bytes_done, total - reported, memory_order_relaxed);
			reported = total;
			hs_mscan_report(W, false);
			if (S->stop) {
				r = -ECANCELED;
				goto out;
			}
		}
	}
	if (total != e->size) {
		r = hs_mscan_fail_at(S, -EBUSY, e->path, "changed during the scan (%" PRIu64 " bytes read, %" PRIu64 " expected)",
			    total, e->size);
		goto out;
	}
	if (streaming) {
		XXH3_128bits_update(W->xxh, W->rbuf, have);
		h = XXH3_128bits_digest(W->xxh);
	} else {
		h = XXH3_128bits(W->rbuf, have);
	}
	XXH128_canonicalFromHash(&c, h);
	hex = hs_arena_alloc(&W->arena, HS_MANIFEST_HASH_LEN + 1);
	if (!hex) {
		r = hs_mscan_fail(S, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(hex, HS_MANIFEST_HASH_PREFIX, sizeof(HS_MANIFEST_HASH_PREFIX) - 1);
	for (size_t i = 0; i < sizeof(c.digest); i++) {
		static const char digits[] = "0123456789abcdef";

		hex[sizeof(HS_MANIFEST_HASH_PREFIX) - 1 + 2 * i] = digits[c.digest[i] >> 4];
		hex[sizeof(HS_MANIFEST_HASH_PREFIX) - 1 + 2 * i + 1] = digits[c.digest[i] & 15];
	}
	hex[HS_MANIFEST_HASH_LEN] = '\0';
	e->hash = hex;
	atomic_fetch_add_explicit(&S->bytes_done, total - reported, memory_order_relaxed);
	atomic_fetch_add_explicit(&S->files_done, 1, memory_order_relaxed);
out:
	close(fd);
	return r;
}

void hs_mscan_hash_loop(worker *W)
{
	scan *S = W->S;

	while (!S->stop) {
		size_t i = atomic_fetch_add_explicit(&S->next, HASH_CHUNK, memory_order_relaxed);

		if (i >= S->ntodo)
			break;
		for (size_t end = i + HASH_CHUNK < S->ntodo ? i + HASH_CHUNK : S->ntodo; i < end && !S->stop; i++) {
			if (hash_file(W, S->todo[i]) < 0)
				break;
			hs_mscan_report(W, false);
		}
	}
	if (W->dirfd >= 0)
		close(W->dirfd);
	W->dirfd = -1;
	W->dirpath_len = 0;
	pthread_mutex_lock(&S->lock);
	S->hashing--;
	pthread_cond_broadcast(&S->cond);
	if (W->main) {
		/* keep reporting while the other threads finish their files */
		while (S->hashing) {
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
		}
	}
	pthread_mutex_unlock(&S->lock);
}

