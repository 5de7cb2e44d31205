/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private header of libhomesetup: shared by every module of the library, never installed.
 * Everything declared here has hidden visibility; only homesetup.h's declarations are exported.
 */
#ifndef HOMESETUP_P_H
#define HOMESETUP_P_H

#pragma GCC visibility push(default)
#include "homesetup.h"
#pragma GCC visibility pop

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- systemd-style scoped cleanup -------------------------------------------------------------- */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

/* Hand ownership on: returns the pointer and leaves NULL behind so the cleanup does nothing. */
#define TAKE_PTR(p) ({ __typeof__(p) _take_ = (p); (p) = NULL; _take_; })

#define DEFINE_CLEANUP_FUNC(type, func)                     \
	static inline void func##p(type **p) { func(*p); } \
	struct hs__dummy_##func

DEFINE_CLEANUP_FUNC(hs_ctx, hs_ctx_free);
DEFINE_CLEANUP_FUNC(hs_version, hs_version_free);
DEFINE_CLEANUP_FUNC(hs_useset, hs_useset_free);
DEFINE_CLEANUP_FUNC(hs_iuse, hs_iuse_free);
DEFINE_CLEANUP_FUNC(hs_atom, hs_atom_free);
DEFINE_CLEANUP_FUNC(hs_requse, hs_requse_free);
DEFINE_CLEANUP_FUNC(hs_requse_solution, hs_requse_solution_free);
DEFINE_CLEANUP_FUNC(char *, hs_strv_free);

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- ctx ------------------------------------------------------------------------------------------ */
/* Record an error (printf-style message) in ctx (may be NULL) and return err (a negative errno). */
int hs_ctx_set_error(hs_ctx *ctx, int err, const char *fmt, ...) _printf_(3, 4);
/* Collect a warning. Returns 0 or -ENOMEM. */
int hs_ctx_add_warning(hs_ctx *ctx, const char *fmt, ...) _printf_(2, 3);

/* ---- buf: a growable byte buffer, always NUL-terminated when non-empty -------------------------- */
typedef struct hs_buf {
	char *p;
	size_t len, cap;
} hs_buf;

int hs_buf_reserve(hs_buf *b, size_t extra);
int hs_buf_append(hs_buf *b, const char *s, size_t len);
int hs_buf_puts(hs_buf *b, const char *s);
int hs_buf_putc(hs_buf *b, char c);
int hs_buf_printf(hs_buf *b, const char *fmt, ...) _printf_(2, 3);
/* Hand the buffer's string over (an empty buffer yields ""), leaving b empty. NULL on ENOMEM. */
char *hs_buf_steal(hs_buf *b);
void hs_buf_free(hs_buf *b);
static inline void hs_buf_freep(hs_buf *b) { hs_buf_free(b); }
#define _cleanup_buf_ _cleanup_(hs_buf_freep)

/* ---- strv: NULL-terminated string vectors --------------------------------------------------------- */
size_t hs_strv_length(char *const *v);
/* Append a copy of s[0..len) to *v (which may be NULL). Returns 0 or -ENOMEM. */
int hs_strv_push(char ***v, const char *s, size_t len);

/* memdup + NUL. */
char *hs_strndup(const char *s, size_t len);

/* Quote a token for an error message: returns a pointer to a static-free, caller-freed string with
 * non-printable bytes escaped (\xNN) and at most max bytes of the input. NULL on ENOMEM. */
char *hs_escape(const char *s, size_t len, size_t max);


/* ================================================================================================== */
/* rootfs.c: every file is opened *under* a root, never escaping it                                   */
/* ================================================================================================== */
typedef enum hs_root_kind {
	HS_ROOT_SYS = 0,    /* ROOT: the VDB, /etc of the live system, /home … */
	HS_ROOT_CONFIG,     /* PORTAGE_CONFIGROOT: etc/portage, and the repositories it points at */
} hs_root_kind;

/* Open @path (absolute; interpreted inside the root) with open(2) @flags. Symlinks are resolved inside the
 * root: absolute targets restart at the root, ".." stops at the root (openat2 RESOLVE_IN_ROOT where the kernel
 * has it, an equivalent component walk elsewhere). Returns an fd or a negative errno; on errors other than
 * -ENOENT/-ENOTDIR a message "<path>: <strerror>" is set in ctx. */
int hs_root_open(hs_ctx *ctx, hs_root_kind kind, const char *path, int flags);

/* Read a whole regular file under the root. *out is malloc'd and NUL-terminated, *len its length (may be
 * NULL). Files larger than @max bytes → -EFBIG with "<path>: file too large (N bytes, limit M)".
 * -ENOENT is returned silently (no message). */
int hs_root_read_file(hs_ctx *ctx, hs_root_kind kind, const char *path, size_t max, char **out, size_t *len);

/* stat(2) inside the root (following symlinks inside it). */
struct stat;
int hs_root_stat(hs_ctx *ctx, hs_root_kind kind, const char *path, struct stat *st);

/* The canonical form of @path inside the root (symlinks resolved inside it, no "." or ".." left),
 * e.g. for make.profile → "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd". */
int hs_root_realpath(hs_ctx *ctx, hs_root_kind kind, const char *path, char **out);

/* Portage's _recursive_file_list: @path may be a file or a directory (walked recursively, depth first,
 * entries in code-point order with files and subdirectories interleaved; skipped: names starting with '.',
 * ending with '~', VCS dirs CVS RCS SCCS .bzr .git .hg .svn, non-regular files). *out is a NULL-terminated
 * vector of root-relative absolute paths (free with hs_strv_free); a missing @path yields an empty vector
 * and 0. Loops through symlinked directories are detected and reported as -ELOOP. */
int hs_root_list_config(hs_ctx *ctx, hs_root_kind kind, const char *path, char ***out);

/* Join a directory and a relative path lexically ("/a/b" + "../c" → "/a/c"); absolute @rel is returned
 * as is. malloc'd; NULL on ENOMEM. */
char *hs_path_join(const char *dir, const char *rel);

/* ================================================================================================== */
/* vars.c: an ordered map of variables with the file and line that set each                          */
/* ================================================================================================== */
typedef struct hs_vars hs_vars;
int hs_vars_new(hs_vars **out);
void hs_vars_free(hs_vars *v);
DEFINE_CLEANUP_FUNC(hs_vars, hs_vars_free);
int hs_vars_dup(hs_vars **out, const hs_vars *v);
const char *hs_vars_get(const hs_vars *v, const char *name);
/* Where the current value was set (file may be NULL). Returns false if unset. */
bool hs_vars_origin(const hs_vars *v, const char *name, const char **file, unsigned *line);
int hs_vars_set(hs_vars *v, const char *name, const char *value, const char *file, unsigned line);
int hs_vars_unset(hs_vars *v, const char *name);
size_t hs_vars_count(const hs_vars *v);
const char *hs_vars_name(const hs_vars *v, size_t i); /* in first-assignment order */

/* ================================================================================================== */
/* makeconf.c: Portage's getconfig() shell subset (make.conf, make.defaults, env files)               */
/* ================================================================================================== */
/* One assignment as written, with byte positions for surgical edits. */
typedef struct hs_assign {
	char *name;
	char *value;          /* after quote removal and expansion */
	char *path;           /* file (inside its root) the assignment is in */
	unsigned line, column;/* of the name, 1-based */
	size_t name_off;      /* byte offset of the name in that file */
	size_t value_off;     /* byte offset of the raw value token (including its quotes) */
	size_t value_len;     /* length of the raw value token; 0 for FOO="" … still 2 */
	char quote;           /* '"', '\'' or 0 when the token was unquoted or mixed */
	bool exported;        /* "export NAME=…" */
	bool expanded;        /* the raw value contains $ expansions */
	unsigned source_depth;/* 0: in the file itself; >0: reached through `source` */
} hs_assign;

typedef struct hs_assigns {
	hs_assign *v;
	size_t n, cap;
} hs_assigns;
void hs_assigns_free(hs_assigns *a);

enum hs_getconfig_flags {
	HS_GETCONFIG_EXPAND = 1u << 0,       /* expand ${VAR}/$VAR from the map (Portage always does for make.conf) */
	HS_GETCONFIG_ALLOW_SOURCE = 1u << 1, /* honour `source FILE` */
	HS_GETCONFIG_TOLERANT = 1u << 2,     /* on a parse error warn and keep what was parsed (Portage tolerant mode) */
};

/* Parse one file's bytes (@path names it inside @kind's root, for messages and `source`), assigning into
 * @vars (and expanding against it). Records every assignment in @assigns when non-NULL. Errors are Portage's:
 * '"<path>", line N: Invalid variable name 'USE+'' etc., returned as -EINVAL. Keys starting with "__" are
 * dropped. CRLF line ends give Portage's dos2unix warning. Nesting of `source` is limited (loop → -ELOOP). */
int hs_getconfig_buf(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
		     hs_vars *vars, hs_assigns *assigns, unsigned flags);

/* hs_getconfig_buf on a file or, when @path is a directory, on each file of hs_root_list_config in order.
 * A missing path is not an error (returns 0, nothing assigned). */
int hs_getconfig_path(hs_ctx *ctx, hs_root_kind kind, const char *path, hs_vars *vars, hs_assigns *assigns,
		      unsigned flags);

/* make.conf as Portage reads it: ${CONFIG}/etc/make.conf then ${CONFIG}/etc/portage/make.conf (each file or
 * directory; "!!! Found 2 make.conf files, using both '…' and '…'" warning), expanding against @vars (which
 * holds the profile's variables) and assigning into it. */
int hs_makeconf_load(hs_ctx *ctx, hs_vars *vars, hs_assigns *assigns);

/* ================================================================================================== */
/* lines.c: line-based config files (package.use, use.mask …) with file and line kept                 */
/* ================================================================================================== */
typedef struct hs_confline {
	const char *path;     /* file (shared string owned by the hs_conflines) */
	unsigned line;        /* 1-based */
	char **tokens;        /* whitespace-split, cut at the first token starting with '#' */
} hs_confline;

typedef struct hs_conflines {
	hs_confline *v;
	size_t n, cap;
	char **paths;         /* owned file names */
} hs_conflines;
void hs_conflines_free(hs_conflines *l);

/* Read @path (file or directory, hs_root_list_config rules) as grabdict/grabfile do: lines starting with '#'
 * and blank lines dropped, tokens after a token starting with '#' dropped; invalid UTF-8 replaced. Appends to
 * @out. A missing path adds nothing. */
int hs_conflines_read(hs_ctx *ctx, hs_root_kind kind, const char *path, bool recursive, hs_conflines *out);


/* ================================================================================================== */
/* repos.c: repos.conf, profiles/repo_name, metadata/layout.conf, metadata/md5-cache                  */
/* ================================================================================================== */
typedef struct hs_repo {
	char *name;        /* profiles/repo_name, else the section name */
	char *location;    /* inside PORTAGE_CONFIGROOT, canonical ("/var/db/repos/gentoo") */
	char **masters;    /* from metadata/layout.conf `masters` (names), NULL-terminated, may be empty */
	int priority;      /* repos.conf `priority` (default 0; the main repo -1000 as Portage does) */
} hs_repo;

typedef struct hs_repos {
	hs_repo *v;
	size_t n;
	char *main_repo;   /* [DEFAULT] main-repo, "gentoo" when absent */
} hs_repos;

/* Read /usr/share/portage/config/repos.conf-equivalent defaults, then ${CONFIG}/etc/portage/repos.conf (file
 * or directory) with iniparser; PORTDIR/PORTDIR_OVERLAY from @vars (may be NULL) for compatibility. */
int hs_repos_load(hs_ctx *ctx, const hs_vars *vars, hs_repos *out);
void hs_repos_free(hs_repos *r);
const hs_repo *hs_repos_find(const hs_repos *r, const char *name);
const hs_repo *hs_repos_main(const hs_repos *r);

/* One ebuild version as its md5-cache entry describes it. */
typedef struct hs_ebuild {
	char *category, *package, *pf;  /* pf: "systemd-260.1-r1" */
	hs_version *version;
	const hs_repo *repo;            /* lent from the hs_repos */
	hs_vars *meta;                  /* EAPI IUSE REQUIRED_USE SLOT KEYWORDS … ("" values omitted) */
	char *path;                     /* the md5-cache file, for messages */
} hs_ebuild;

/* Parse one md5-cache entry (KEY=value lines, split on the first '='). Malformed lines → warning with
 * path:line; returns -EINVAL only for binary garbage (NUL bytes). */
int hs_md5cache_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_vars *out);

/* Every version of @category/@package in every repository, sorted ascending by version (ties: lower
 * repository priority first). *out is malloc'd; free with hs_ebuilds_free. None → 0 and *n = 0. */
int hs_repos_ebuilds(hs_ctx *ctx, const hs_repos *r, const char *category, const char *package,
		     hs_ebuild ***out, size_t *n);
void hs_ebuild_free(hs_ebuild *e);
void hs_ebuilds_free(hs_ebuild **v, size_t n);

/* ================================================================================================== */
/* vdb.c: internals shared with the checks                                                             */
/* ================================================================================================== */
/* Parse CONTENTS bytes (the real format: paths with spaces; obj: last two fields are md5 and mtime; sym:
 * split on " -> ", last field mtime). Malformed lines → warning "<path>:<line>: …", skipped. */
int hs_contents_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_contents_entry **out,
		      size_t *n, char **storage);

#endif /* HOMESETUP_P_H */
