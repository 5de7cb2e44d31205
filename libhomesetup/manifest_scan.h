/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the scan of a tree manifest (manifest.c: the walk and hs_manifest_scan; manifest_hash.c: the
 * content pass; manifest_xattr.c: xattrs and ACLs): the state the threads of one scan share, and each thread's
 * own. Not used outside manifest*.c.
 */
#ifndef HOMESETUP_MANIFEST_SCAN_H
#define HOMESETUP_MANIFEST_SCAN_H

#include "homesetupP.h"

#include <pthread.h>
#include <stdatomic.h>
#include <xxhash.h>

#define MSCAN_DENTS_SIZE (64u << 10)
#define MSCAN_XLIST_SIZE (64u << 10) /* XATTR_LIST_MAX */
#define MSCAN_XVAL_SIZE (64u << 10)  /* XATTR_SIZE_MAX */
#define MSCAN_READ_SIZE (256u << 10)
#define MSCAN_PROGRESS_MS 50

/* One entry while the tree is walked. */
typedef struct snode {
	hs_mentry m;
	struct snode *kids; /* a directory's entries, sorted by name */
	uint32_t nkids;
	uint32_t name_off;  /* the name's offset in m.e.path */
	size_t path_len;
} snode;

typedef struct mscan {
	hs_ctx *ctx;
	int top;                  /* the caller's descriptor */
	uint64_t dev;
	unsigned flags;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	snode **queue;            /* directories to read (LIFO) */
	size_t nq, capq;
	unsigned busy;            /* threads reading a directory */
	atomic_bool stop;         /* read by every thread without the lock */
	int err;                  /* the first failure */
	char *errmsg;
	char **warnings;
	size_t nwarnings;

	/* hashing */
	hs_mentry **todo;         /* one regular file per hardlink group */
	size_t ntodo;
	atomic_size_t next;
	unsigned hashing;         /* threads still hashing */

	atomic_uint_fast64_t files_done, bytes_done;
	uint64_t files_total, bytes_total;
	hs_progress_fn progress;
	void *userdata;
	uint64_t last_report;
} scan;

/* What reading one entry's xattrs needs, reused from entry to entry (manifest_xattr.c). */
typedef struct xattr_reader {
	char *list, *val;         /* MSCAN_XLIST_SIZE, MSCAN_XVAL_SIZE bytes */
	const char **names;
	hs_buf text, acl;
} xattr_reader;

typedef struct mworker {
	scan *S;
	bool main;                /* the caller's thread: it reports progress */
	hs_arena arena;
	char *dents;              /* getdents64 buffer */
	char *names;              /* one directory's names, NUL-separated */
	size_t names_cap;
	uint32_t *name_offs;
	size_t offs_cap;
	xattr_reader xr;
	char *rbuf;
	XXH3_state_t *xxh;
	int dirfd;                /* hashing: the directory of the last file, and its path */
	char *dirpath;
	size_t dirpath_len, dirpath_cap;
	pthread_t tid;
} worker;

/* manifest.c: record the first failure (message formatted) and stop every thread; returns err. */
int hs_mscan_fail(scan *S, int err, const char *fmt, ...) _printf_(3, 4);
/* The same with the message "./PATH: …" (out of memory: "out of memory"). */
int hs_mscan_fail_at(scan *S, int err, const char *path, const char *fmt, ...) _printf_(4, 5);
/* Report progress when @W is the caller's thread, at most every MSCAN_PROGRESS_MS (always when @force). */
void hs_mscan_report(worker *W, bool force);
/* Open @path (len bytes, relative to the top, "." for it) with @flags, never through a symlink or a mount:
 * an fd or a negative errno (-ELOOP, -EXDEV, -ENOTDIR when the path was replaced by one). */
int hs_mscan_open_beneath(worker *W, const char *path, size_t len, int flags);

/* manifest_xattr.c */
int hs_xattr_reader_init(xattr_reader *x);
void hs_xattr_reader_done(xattr_reader *x);
/* Read the xattrs of @name in @dfd (NULL: of dfd itself) into e->xattrs, e->acl_access, e->acl_default
 * (strings in @arena). 0, 1 when the entry vanished, a negative errno. */
int hs_xattr_read(xattr_reader *x, hs_arena *arena, int dfd, const char *name, hs_manifest_entry *e);

/* manifest_hash.c: hash the files of S->todo that this thread takes, then wait for the others (the caller's
 * thread reporting progress meanwhile). */
void hs_mscan_hash_loop(worker *W);

#endif
