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

/* Byte-wise order of two strings (memcmp order, shorter first on a common prefix), eight bytes at a time:
 * the hot comparison of USE flags and atom fields. */
static inline int hs_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
#endif
			return x < y ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

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


/* ---- version.c: versions built inside a caller's allocation (atoms are one malloc) ------------------- */
/* Validate s[0..len) as a version and report the bytes hs_version_init_at() needs. 0 or -EINVAL/-ENOMEM. */
int hs_version_measure(hs_ctx *ctx, const char *s, size_t len, size_t *size);
/* Build the version in mem (at least the measured size, aligned like malloc's result). The text must be the
 * one just measured. The result is not to be passed to hs_version_free(): it lives in the caller's block. */
hs_version *hs_version_init_at(void *mem, const char *s, size_t len);
/* The same for a text the caller has validated already (one pass, no second validation): the block needs
 * hs_version_size_valid(len) bytes (0: too long), aligned like malloc's result. A text that is not a version
 * yields a meaningless version, never a write past that size. */
size_t hs_version_size_valid(size_t len);
hs_version *hs_version_init_valid(void *mem, const char *s, size_t len);

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

/* Tests only: make hs_root_open use the component walk even where openat2(RESOLVE_IN_ROOT) works.
 * (hs_root_open with O_CREAT creates with mode 0666 & ~umask; hs_root_read_file rejects non-regular files.) */
void hs_rootfs_force_fallback(bool force);

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
	size_t value_off;     /* byte offset of the raw value token (including its quotes and continuation lines;
	                       * 0 with value_len 0 when a `source` split the assignment across two files) */
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
 * @vars (and expanding against it). Records every assignment in @assigns when non-NULL. Errors use Portage's
 * wording in the form "<path>:<line>: Invalid variable name 'USE+' (column 1)" (line and column of the
 * offending token; Portage prints "\"<path>\", line N: …"), returned as -EINVAL; in TOLERANT mode the same text
 * is a warning and parsing of this file stops (an invalid name only skips that assignment), as in Portage.
 * On an error @vars keeps the assignments made before it. Keys starting with "__" are kept here (later lines
 * may expand them); hs_makeconf_load drops them. CRLF line ends give Portage's dos2unix warning. Nesting of
 * `source` is limited (loop → -ELOOP); expansions are capped (-EFBIG) so no input can exhaust memory. */
int hs_getconfig_buf(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
		     hs_vars *vars, hs_assigns *assigns, unsigned flags);

/* hs_getconfig_buf on a file or, when @path is a directory, on each file of hs_root_list_config in order.
 * A missing path is not an error (returns 0, nothing assigned). */
int hs_getconfig_path(hs_ctx *ctx, hs_root_kind kind, const char *path, hs_vars *vars, hs_assigns *assigns,
		      unsigned flags);
/* Files larger than this are refused by hs_getconfig_path and hs_conflines_read (-EFBIG). */
#define HS_GETCONFIG_MAX_FILE (16u << 20)

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
/* The same on one file's bytes (@path is copied into out->paths for the lines). 0 or -ENOMEM. */
int hs_conflines_parse_buf(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_conflines *out);

/* Decode one UTF-8 character at s[0..len): its length (1-4, *cp set), or for invalid input the negated length
 * of the maximal invalid subpart that Python's errors="replace" turns into one U+FFFD. */
int hs_utf8_next(const char *s, size_t len, uint32_t *cp);


/* ================================================================================================== */
/* repos.c, md5cache.c: repos.conf, profiles/repo_name, metadata/layout.conf, metadata/md5-cache      */
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
	char *main_repo;   /* [DEFAULT] main-repo ("gentoo" by default), else the repository at PORTDIR; NULL when
	                    * Portage would have none (e.g. main-repo names a dropped repository) */
} hs_repos;

/* Read /usr/share/portage/config/repos.conf-equivalent defaults, then ${CONFIG}/etc/portage/repos.conf (file
 * or directory) with iniparser; PORTDIR/PORTDIR_OVERLAY (and PORTAGE_REPOSITORIES, which replaces every
 * repos.conf) from @vars (may be NULL). Repositories Portage drops (no location, a location that is not a
 * directory except for gentoo, a repo_name differing from the section) are dropped with Portage's message as a
 * warning; out->v is in Portage's order (priority, then name). *out is filled in; free with hs_repos_free(). */
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
/* Parse CONTENTS bytes as Portage's dblink.getcontents() does (paths with spaces; obj: the last two fields are
 * md5 and mtime; sym: split at the last " -> " that leaves a target, last field mtime, the pre-2011 stat-tuple
 * form too; \n, \r\n and \r end lines; paths normalised as normalize_path()). Malformed lines and NUL bytes
 * → warning "<path>:<line>: Unrecognized CONTENTS entry: '…'; line ignored" (at most 20, then a count).
 * *out (n entries) and *storage are malloc'd: the entries' strings live in *storage; free both with free(). */
int hs_contents_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_contents_entry **out,
		      size_t *n, char **storage);

/* ================================================================================================== */
/* pkguse.c: atom-keyed config files (package.use and friends), flag lists, Portage's specificity order */
/* ================================================================================================== */
/* One USE token (or keyword, or atom) with the file and line it was written on. The path is lent from
 * the list's owner (an hs_conflines, hs_assigns or hs_profile_node), which must outlive the list. */
typedef struct hs_flagtok {
	char *tok;            /* the effective token (`-python_targets_*`) */
	char *written;        /* what the file says when different (`PYTHON_TARGETS: -*`), else NULL */
	const char *path;
	unsigned line;
} hs_flagtok;

typedef struct hs_flagtoks {
	hs_flagtok *v;
	size_t n, cap;
} hs_flagtoks;
int hs_flagtoks_push(hs_flagtoks *t, const char *tok, size_t len, const char *path, unsigned line);
int hs_flagtoks_push_written(hs_flagtoks *t, const char *tok, const char *written, const char *path, unsigned line);
/* Push every whitespace-separated word of @s. */
int hs_flagtoks_push_words(hs_flagtoks *t, const char *s, const char *path, unsigned line);
int hs_flagtoks_append(hs_flagtoks *t, const hs_flagtoks *from);
void hs_flagtoks_free(hs_flagtoks *t);

/* The words of variable @name's final value in @a, each attributed to the assignment that wrote it: when
 * a value starts with the previous value's words (`USE="${USE} x"`), those words keep their origins. */
int hs_flagtoks_from_assigns(hs_flagtoks *out, const hs_assigns *a, const char *name);

enum hs_atomfile_flags {
	HS_ATOMFILE_WILDCARD = 1u << 0,      /* extended syntax: wildcards (and ::repo) in atoms */
	HS_ATOMFILE_ALLOW_REPO = 1u << 1,    /* ::repo allowed (profile-formats profile-repo-deps) */
	HS_ATOMFILE_PREFIXES = 1u << 2,      /* `VAR:` tokens prefix the rest of their line */
	HS_ATOMFILE_CHECK_FLAGS = 1u << 3,   /* drop invalid USE flags: "--- Invalid USE flag for …" */
	HS_ATOMFILE_DOTS = 1u << 4,          /* '.' allowed in USE flags (no EAPI known) */
	HS_ATOMFILE_CHECK_AT_LOAD = 1u << 5, /* check every atom at load time with Portage's warnings */
	/* /etc/portage/package.use */
	HS_ATOMFILE_USER_USE = HS_ATOMFILE_WILDCARD | HS_ATOMFILE_ALLOW_REPO | HS_ATOMFILE_PREFIXES |
			       HS_ATOMFILE_CHECK_AT_LOAD,
	/* /etc/portage/package.accept_keywords, package.keywords */
	HS_ATOMFILE_USER_KEYWORDS = HS_ATOMFILE_WILDCARD | HS_ATOMFILE_ALLOW_REPO | HS_ATOMFILE_CHECK_AT_LOAD,
};

/* An atom-keyed file (file or directory) as Portage's grabdict_package() reads it: each entry's key is an
 * atom as written; lines with the same key are joined in file order; keys keep first-appearance order.
 * Atoms are parsed when a package is matched (only the lines that can name it). */
typedef struct hs_atomfile {
	hs_conflines lines;
	unsigned char *bad;   /* per line: rejected (invalid atom) */
	unsigned flags;
} hs_atomfile;

int hs_atomfile_load(hs_ctx *ctx, hs_atomfile *f, hs_root_kind kind, const char *path, bool recursive,
		     unsigned flags);
void hs_atomfile_free(hs_atomfile *f);

/* Append the values of every entry of @f whose atom matches @pkg to @out, in Portage's order
 * (ordered_by_atom_specificity: least specific first; of equally specific entries the one written first is
 * applied last). @pkg->category/package/version are required; @cp is "category/package". The key "*" "/" "*"
 * is skipped when @skip_global (it belongs to make.conf's USE). An entry without values contributes
 * @empty_default's words when that is non-NULL (package.accept_keywords). */
int hs_atomfile_match(hs_ctx *ctx, const hs_atomfile *f, const hs_pkg_info *pkg, const char *cp, bool skip_global,
		      const char *empty_default, hs_flagtoks *out);
/* The same over several files read as one dict (keys merged in order, as KeywordsManager merges
 * package.keywords and package.accept_keywords). */
int hs_atomfile_match_n(hs_ctx *ctx, const hs_atomfile *const *files, size_t n_files, const hs_pkg_info *pkg,
			const char *cp, bool skip_global, const char *empty_default, hs_flagtoks *out);

/* The values of the exact key "*" "/" "*" (extract_global_USE_changes). */
int hs_atomfile_global(hs_ctx *ctx, const hs_atomfile *f, hs_flagtoks *out);

/* A profile flag list (use.mask, use.force, use.stable.*): one entry per line, `-flag` un-sets; invalid
 * entries (including `-*`) give "--- Invalid USE flag in '<file>': '<flag>'" and are dropped. */
typedef struct hs_flaglist {
	hs_flagtoks toks;
	hs_conflines lines;   /* owns the paths */
} hs_flaglist;
int hs_flaglist_load(hs_ctx *ctx, hs_flaglist *out, hs_root_kind kind, const char *path, bool recursive, bool dots);
void hs_flaglist_free(hs_flaglist *l);

/* A package.mask-style list: one atom per line, `-atom` removes an earlier identical one. Kept as text;
 * hs_masklist_stack() filters by package and hs_masklist_find() parses the survivors. */
typedef struct hs_maskent {
	char *text;           /* atom as written (after an added ::repo), without the leading '-' */
	const char *path;
	unsigned line;
	bool neg;             /* `-atom` */
} hs_maskent;

typedef struct hs_masklist {
	hs_maskent *v;
	size_t n, cap;
	hs_conflines lines;   /* owns the paths */
} hs_masklist;

int hs_masklist_load(hs_ctx *ctx, hs_masklist *out, hs_root_kind kind, const char *path, bool recursive);
void hs_masklist_free(hs_masklist *m);
/* Incremental stacking of @n lists (stack_lists incremental=1) restricted to entries that can name @cp
 * (every entry with a '*' too when @wildcards); `-atom` also removes `atom::repo` when @ignore_repo; atoms
 * without a repository get `::@add_repo` (append_repo) when @add_repo is non-NULL. The result owns its
 * texts and lends the paths of the inputs. */
int hs_masklist_stack(const hs_masklist *const *lists, size_t n, const char *cp, bool wildcards, bool ignore_repo,
		      const char *add_repo, hs_masklist *out);
/* The first entry of @m whose atom matches @pkg (NULL: none). Unparsable atoms give Portage's
 * "--- Invalid atom in <file>: <atom>" warning and never match. */
const hs_maskent *hs_masklist_find(hs_ctx *ctx, const hs_masklist *m, const hs_pkg_info *pkg, unsigned atom_flags);

/* ================================================================================================== */
/* profile.c: the profile stack (make.profile, parent, eapi, /etc/portage/profile), per-node files      */
/* ================================================================================================== */
typedef struct hs_profile_node {
	char *path;             /* directory inside PORTAGE_CONFIGROOT */
	char *eapi;             /* the node's EAPI; NULL for /etc/portage/profile without an eapi file */
	char *repo;             /* name of the repository the node lives in, or NULL */
	bool user;              /* /etc/portage/profile */
	bool allow_dirs;        /* use.mask & co. may be directories */
	bool allow_repo_deps;   /* profile-formats profile-repo-deps */
	bool stable_files;      /* the EAPI has use.stable.* and package.use.stable.* */
	/* make.defaults */
	hs_assigns assigns;
	hs_vars *vars;          /* each variable's value in this node (NULL: no make.defaults) */
	hs_flagtoks use;        /* the node's USE words, with origins */
	/* USE, keyword and mask files */
	hs_flaglist use_mask, use_force, use_stable_mask, use_stable_force;
	hs_atomfile pkg_use, pkg_use_mask, pkg_use_force, pkg_use_stable_mask, pkg_use_stable_force;
	hs_atomfile pkg_keywords, pkg_accept_keywords;
	hs_masklist pkg_mask, pkg_unmask;
} hs_profile_node;

struct hs_repo_layout;
typedef struct hs_profile {
	hs_profile_node *v;
	size_t n;
	char *profile_path;     /* "/etc/portage/make.profile" (or the deprecated "/etc/make.profile") */
	struct hs_repo_layout *layouts; /* what each repository's metadata/layout.conf says about profiles */
	size_t n_layouts;
} hs_profile;

/* The stack in Portage's order (parents depth-first before the node; /etc/portage/profile last when it
 * exists). Errors are Portage's ("Parent '…' not found: '…'", "Empty parent file: '…'", "Profile contains
 * unsupported EAPI '…': '…'") wrapped in "Unable to parse profile: '<make.profile>': …" (-EINVAL), a loop in
 * `parent` files (-ELOOP), no profile (-ENOENT). Only eapi and parent files are read here. */
int hs_profile_load(hs_ctx *ctx, const hs_repos *repos, hs_profile *out);
void hs_profile_free(hs_profile *p);
void hs_profile_node_free(hs_profile_node *n);

/* Read a node's use.*, package.use*, package.keywords, package.accept_keywords, package.mask/unmask. */
int hs_profile_node_read_files(hs_ctx *ctx, hs_profile_node *n);
/* Read a node's make.defaults, expanding against (and assigning into) @expand; the caller removes USE
 * from @expand first, as Portage does. */
int hs_profile_node_read_defaults(hs_ctx *ctx, hs_profile_node *n, hs_vars *expand);
/* The repository-level profile directory (<repo>/profiles) as a node: its use.mask & co. and make.defaults
 * apply before any profile node (§2.5). */
int hs_profile_repo_node(hs_ctx *ctx, const hs_profile *p, const hs_repo *repo, hs_profile_node *out);

/* EAPI helpers: is @eapi one Portage supports; its number (0..8, leading digits; -1 if none). */
bool hs_eapi_supported(const char *eapi);
int hs_eapi_num(const char *eapi);

/* ================================================================================================== */
/* portageconf.c, visibility.c, effective.c: the configuration snapshot behind hs_portage              */
/* ================================================================================================== */
struct hs_portage {
	hs_ctx *ctx;
	bool use_env;
	hs_repos repos;
	hs_profile profile;
	hs_profile_node *repo_nodes;       /* <repo>/profiles of repos.v[i] */
	hs_vars *expand;                   /* Portage's expand_map after make.conf */
	hs_vars *envd, *globals, *defaults, *conf, *env;
	hs_vars *final;                    /* what hs_portage_var() answers */
	hs_assigns envd_assigns, conf_assigns;
	hs_flagtoks envd_use, conf_use, env_use;
	hs_flagtoks *node_use;             /* per profile node: its USE_EXPAND values as flags, then its USE */
	hs_atomfile user_use, user_keywords, user_accept_keywords;
	hs_masklist user_mask, user_unmask;
	char **use_order;                  /* USE_ORDER layers, lowest precedence first */
	char **use_expand;                 /* USE_EXPAND, sorted */
	char **use_expand_unprefixed;
	char **use_expand_hidden;
	hs_useset *iuse_implicit;          /* IUSE_EFFECTIVE without the package's IUSE (EAPI >= 5) */
	hs_useset *global_mask, *global_force; /* profile use.mask/use.force (implicit IUSE before EAPI 5) */
	char *arch;                        /* the profile's ARCH, or NULL */
	char *accept_keywords;             /* ACCEPT_KEYWORDS after incremental stacking */
	char *env_accept_keywords;         /* ACCEPT_KEYWORDS of the environment, or NULL */
	bool features_test;                /* FEATURES contains test */
};

/* Is @name one of Portage's incremental variables (const.INCREMENTALS)? */
bool hs_portage_incremental(const char *name);
/* The <repo>/profiles node of repository @name, or NULL. */
const hs_profile_node *hs_portage_repo_profile(const hs_portage *p, const char *name);

/* visibility.c: KeywordsManager and MaskManager for one ebuild. *why (malloc'd) explains an invisible one. */
int hs_portage_visibility(hs_portage *p, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp, bool *visible,
			  bool *stable, char **why);

/* ================================================================================================== */
/* atomic.c / edit.c: atomic replacement of one file under a root; edits as byte-range replacements    */
/* ================================================================================================== */
enum hs_atomic_flags {
	HS_ATOMIC_BACKUP = 1u << 0, /* hard-link the current file to "<file>.homesetup-<UTC>~" first (= HS_EDIT_BACKUP) */
	HS_ATOMIC_DELETE = 1u << 1, /* internal: remove the file (hs_atomic_remove) */
};

/* What a change was planned against: the file's bytes then, or its absence. */
typedef struct hs_atomic_expect {
	bool exists;
	const char *data;
	size_t len;
} hs_atomic_expect;

/* Replace @path (absolute, inside @kind's root; a symlink is followed inside the root and its target replaced)
 * by buf[0..len): lock (flock on ".<file>.homesetup.lock", waiting up to hs_atomic_lock_timeout_ms, then
 * -EBUSY), remove stale ".<file>.homesetup-XXXXXX" temporaries left by killed runs (warning), compare with
 * @expect (may be NULL) and refuse with -ESTALE "<path>: changed since it was read…", optionally back up
 * (HS_ATOMIC_BACKUP; *backup_out gets its root-relative path when non-NULL), write a temporary file in the same
 * directory with the original's owner, mode, SELinux context and ACL (new files: @mode, 0 meaning 0644, owned by
 * the caller's euid), fsync, check again (with @expect) that nobody wrote the file meanwhile, rename over, fsync
 * the directory. Returns 0 when written, 1 when the file already held exactly these bytes (nothing written, mtime
 * unchanged), or a negative errno with "<path>: cannot …: <strerror>; the file is unchanged" in ctx (EROFS,
 * ENOSPC, EACCES …). Nothing is left behind on failure; a killed run may leave its hidden temporary file and
 * lock file, which the next run removes. */
int hs_atomic_replace(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
		      unsigned mode, unsigned flags, const hs_atomic_expect *expect, char **backup_out);
/* The same without an expectation or backup path: the helper for writers that hold their own locks (e.g. the
 * account files under lckpwdf). */
int hs_atomic_write_file(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
			 unsigned mode, unsigned flags);
/* Remove @path under the same lock, checks and backup; 1 when it was already absent. */
int hs_atomic_remove(hs_ctx *ctx, hs_root_kind kind, const char *path, unsigned flags,
		     const hs_atomic_expect *expect, char **backup_out);

/* Fault injection, for tests only: when hs_atomic_fault_step names a step, the call fails there with
 * -hs_atomic_fault_errno, or raises SIGKILL when that is 0. STEP_WRITE faults after half of the bytes. */
typedef enum hs_atomic_step {
	HS_ATOMIC_STEP_NONE = 0,
	HS_ATOMIC_STEP_LOCK,
	HS_ATOMIC_STEP_READ,
	HS_ATOMIC_STEP_BACKUP,
	HS_ATOMIC_STEP_TEMP,
	HS_ATOMIC_STEP_WRITE,
	HS_ATOMIC_STEP_OWNER,
	HS_ATOMIC_STEP_XATTR,
	HS_ATOMIC_STEP_SYNC,
	HS_ATOMIC_STEP_RENAME,   /* the rename (or the unlink of hs_atomic_remove) */
	HS_ATOMIC_STEP_SYNC_DIR, /* after the rename: the new file is in place */
	HS_ATOMIC_STEP_UNLOCK,
	HS_ATOMIC_STEP__MAX,
} hs_atomic_step;
extern int hs_atomic_fault_step;
extern int hs_atomic_fault_errno;
extern void (*hs_atomic_step_hook)(hs_atomic_step step); /* called at every step (tests: a concurrent writer) */
extern unsigned hs_atomic_lock_timeout_ms; /* default 10000 */

/* edit.c: the unified diff of two buffers (labels as printed after "--- " and "+++ "; NULL for "/dev/null",
 * i.e. a created or removed file). "" when equal. */
int hs_diff_unified(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
		    const char *label_b, unsigned context, char **out);


/* ================================================================================================== */
/* check.c: the check registry and the state shared by one run                                        */
/* ================================================================================================== */
typedef struct hs_checker hs_checker;

/* Record a result for @id (must be a registered id). @fix and @detail may be NULL; the summary is printf-like.
 * FAIL results must carry a fix. Returns 0 or -ENOMEM. */
int hs_checker_add(hs_checker *c, const char *id, hs_check_status st, const char *fix, const char *detail,
		   const char *summary_fmt, ...) _printf_(6, 7);
/* Is @id selected by --only/--skip? Group runners use it to avoid expensive work for unselected ids. */
bool hs_checker_wants(const hs_checker *c, const char *id);
hs_ctx *hs_checker_ctx(hs_checker *c);
const hs_check_options *hs_checker_options(const hs_checker *c);
/* Shared, lazily loaded (once per run) resources; the checker owns them. -errno when unavailable (the
 * message is in the ctx). */
int hs_checker_portage(hs_checker *c, hs_portage **out);

/* A group runner: emits results for the ids of its group. Defined in the probe modules (nss.c, pam.c …) and
 * listed in check.c's registry table. */
typedef int (*hs_check_group_fn)(hs_checker *c);

/* Per-run data shared between groups (e.g. the package states the `use` group computed, which `vdb` reuses
 * when both run): stored under a static key string, released with @free_fn (may be NULL) when the run ends.
 * Setting a key again frees the old value. 0 or -ENOMEM (then @data is released with @free_fn). */
int hs_checker_set_data(hs_checker *c, const char *key, void *data, void (*free_fn)(void *));
void *hs_checker_get_data(const hs_checker *c, const char *key);

/* The registry as tables, for hs_check_run_tables(): check.c builds the real ones from HS_CHECKS_<GROUP>;
 * unit tests pass their own (runners that misbehave on purpose). */
typedef struct hs_check_def {
	const char *id, *group, *description;
} hs_check_def;
typedef struct hs_check_group_def {
	const char *name;
	hs_check_group_fn run;
} hs_check_group_def;
/* hs_check_run() over the given tables: groups run in table order; each def's group must name one of them. */
int hs_check_run_tables(hs_ctx *ctx, hs_report **out, const hs_check_options *opts, const hs_check_def *defs,
			size_t n_defs, const hs_check_group_def *groups, size_t n_groups);

/* ================================================================================================== */
/* usestack.c: one package's USE stacked over the USE_ORDER layers, with provenance (effective.c)       */
/* ================================================================================================== */
/* Where a flag's state came from (strings lent from the hs_portage or the hs_usestack). */
typedef struct hs_use_origin {
	const char *layer;
	const char *path;
	unsigned line;
	const char *tok;
} hs_use_origin;

typedef struct hs_flagstate {
	char *name;
	bool on;
	hs_use_origin o;
	bool set;              /* a USE token touched it (else: "none") */
	uint32_t hash;
} hs_flagstate;

/* A small open-addressing map of flag states, in insertion order. */
typedef struct hs_flagmap {
	hs_flagstate *v;
	size_t n, cap;
	uint32_t *idx;
	size_t icap;
} hs_flagmap;

/* `-*` and `-prefix_*` (and a non-incremental USE_EXPAND variable) also explain flags never set. */
typedef struct hs_use_clear {
	char *prefix;          /* NULL: every flag */
	hs_use_origin o;
} hs_use_clear;

/* The USE flags of one package being stacked layer by layer (config.regenerate), with provenance. */
typedef struct hs_usestack {
	hs_portage *p;
	hs_flagmap flags;
	hs_use_clear *clears;
	size_t n_clears;
	char **strs;           /* strings made up for origins (`ARCH=amd64`) */
	size_t n_strs;
	const hs_useset *iuse; /* the package's IUSE names, for `prefix_*` */
} hs_usestack;

/* One USE_ORDER layer: its USE tokens and its variables (for USE_EXPAND and USE_EXPAND_UNPREFIXED). */
typedef struct hs_use_layer {
	const char *name;
	const hs_flagtoks *toks;
	const hs_vars *vars;
	bool is_defaults;
} hs_use_layer;

void hs_flagmap_free(hs_flagmap *m);
hs_flagstate *hs_flagmap_find(const hs_flagmap *m, const char *name);
/* The state of @name, added (off, unset) when absent. Pointers into the map stay valid until the next call. */
int hs_flagmap_get(hs_flagmap *m, const char *name, hs_flagstate **out);
void hs_usestack_free(hs_usestack *st);
/* A formatted string kept until hs_usestack_free() (NULL on ENOMEM). */
const char *hs_usestack_keepf(hs_usestack *st, const char *fmt, ...) _printf_(2, 3);
/* Apply one layer: USE_EXPAND_UNPREFIXED values, its USE tokens, then (except for "defaults", whose
 * USE_EXPAND values are per-node flags already) each USE_EXPAND variable, replacing its group. */
int hs_usestack_layer(hs_usestack *st, const hs_use_layer *L);
/* The flag's last token, else the last `-*` / `-prefix_*` that covers it, else layer "none". */
hs_use_origin hs_usestack_origin(const hs_usestack *st, const char *flag, const hs_flagstate *f);
/* use.force (@force) or use.mask for a package, stacked as UseManager does: its repository's masters and
 * its repository (profiles/use.*, package.use.*), then every profile node; `.stable.` files when @stable.
 * Flags that end up set have on = true. */
int hs_usestack_profile_flags(hs_usestack *st, const hs_ebuild *e, const hs_pkg_info *pkg, const char *cp,
			      bool stable, bool force, hs_flagmap *out);
/* The <repo>/profiles nodes that apply to a package of @repo: its masters, then itself. */
size_t hs_portage_package_repos(hs_portage *p, const hs_repo *repo, const hs_profile_node **out, size_t max);
/* Whitespace-separated words as a NULL-terminated vector (never NULL on success). */
int hs_split_words(const char *s, char ***out);
char *hs_lower_dup(const char *s);

/* ================================================================================================== */
/* check_build.c, check_vdb.c: groups `use` (what emerge would build), `vdb` (what was built, installed) */
/* ================================================================================================== */
int hs_check_group_use(hs_checker *c);
#define HS_CHECKS_USE(X) \
	X("use.systemd.homed", "use", "sys-apps/systemd would be built with USE=homed") \
	X("use.systemd.required-use", "use", "systemd's REQUIRED_USE holds with homed (the flags homed needs are on)") \
	X("use.pambase.homed", "use", "sys-auth/pambase would be built with USE=homed and without pam_krb5")
int hs_check_group_vdb(hs_checker *c);
#define HS_CHECKS_VDB(X) \
	X("vdb.systemd.installed", "vdb", "sys-apps/systemd is installed") \
	X("vdb.pambase.installed", "vdb", "sys-auth/pambase is installed") \
	X("vdb.systemd.built", "vdb", "installed systemd was built with homed and the flags its REQUIRED_USE ties to it") \
	X("vdb.pambase.built", "vdb", "installed pambase was built with homed and without pam_krb5") \
	X("vdb.systemd.files", "vdb", "homed's programs, units and nss-systemd are installed (CONTENTS and on disk)") \
	X("vdb.pambase.files", "vdb", "pam_systemd_home.so (systemd's) and /etc/pam.d/system-auth (pambase's) are installed") \
	X("vdb.rebuild", "vdb", "the builds match the configuration: no rebuild pending, none that would drop homed")

/* ================================================================================================== */
/* bus.c: sd-bus client of systemd (org.freedesktop.systemd1) and systemd-homed (org.freedesktop.home1) */
/* ================================================================================================== */
typedef struct sd_bus sd_bus;

#define HS_BUS_TIMEOUT_USEC_DEFAULT (UINT64_C(5) * 1000000)      /* one method call */
#define HS_BUS_JOB_TIMEOUT_USEC_DEFAULT (UINT64_C(90) * 1000000) /* a start job, a reload, a re-execution */

/* Connect to @address ("unix:path=…"), or when NULL to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else
 * unix:path=/run/dbus/system_bus_socket), and wait until the bus has answered Hello. Every call made on the
 * connection later times out after @timeout_usec (0: HS_BUS_TIMEOUT_USEC_DEFAULT); so does the wait for Hello.
 * Errors: "cannot connect to the D-Bus system bus at <address>: <strerror>", "no answer from the bus at
 * <address> within N s". Close with hs_bus_close(). */
int hs_bus_open(hs_ctx *ctx, const char *address, uint64_t timeout_usec, sd_bus **out);
/* Close and unref (no flush: every call made through these helpers has been answered). Returns NULL. */
sd_bus *hs_bus_close(sd_bus *bus);
static inline void hs_bus_closep(sd_bus **b) { if (*b) hs_bus_close(*b); }
#define _cleanup_bus_ _cleanup_(hs_bus_closep)
/* The address of the connection (lent), e.g. "unix:path=/run/dbus/system_bus_socket". */
const char *hs_bus_address(sd_bus *bus);
/* D-Bus round trips made by this process (method calls, including AddMatch), for bench/. */
extern unsigned long hs_bus_round_trips;

/* The call helpers behind every hs_bus_* function (bus.c; used by bus_home.c). @who names the peer in
 * messages ("systemd", "systemd-homed"), @what the call ("GetUnitFileState(x.service)"). */
typedef struct sd_bus_message sd_bus_message;
int hs_bus_new_call(hs_ctx *ctx, sd_bus *bus, const char *dest, const char *path, const char *iface,
		    const char *member, const char *what, sd_bus_message **m);
/* Send @m, wait for the reply (@usec; 0: the connection's timeout), count the round trip. An error named in
 * @enoent (NULL-terminated, may be NULL) returns -ENOENT without a message; every other one gets its message. */
int hs_bus_call(hs_ctx *ctx, sd_bus *bus, const char *who, const char *what, sd_bus_message *m, uint64_t usec,
		const char *const *enoent, sd_bus_message **reply);
int hs_bus_build_error(hs_ctx *ctx, const char *what, int r);
int hs_bus_parse_error(hs_ctx *ctx, const char *who, const char *what, int r);

/* Every failing call leaves one of these messages in ctx (who: "systemd" or "systemd-homed"):
 *   ServiceUnknown, NameHasNoOwner  → "<who> is not reachable on the bus at <address>: <error message>"
 *   AccessDenied, InteractiveAuthorizationRequired, EACCES, EPERM
 *                                   → "permission denied talking to <who> (run as root): <call> was refused: …"
 *   no reply in time                → "no answer from <who> within N s (<call>)"            (-ETIMEDOUT)
 *   the peer left without answering → "<who> left the bus without answering <call>: …"
 *   the connection broke            → "lost the connection to the bus at <address> during <call>"
 *   any other error                 → "<who>: <call> failed: <message> (<error name>)" */

/* Manager.Version, e.g. "256.7" or "252.22-1~deb12u1". */
int hs_bus_systemd_version(hs_ctx *ctx, sd_bus *bus, char **out);
/* The leading number of a systemd version string ("256.7", "v245", "systemd 258~rc1" → 256, 245, 258), or -1. */
int hs_systemd_version_major(const char *version);

typedef struct hs_unit_state {
	char *file_state;      /* GetUnitFileState(): "enabled", "static", "disabled", "masked" …; NULL: no unit file,
	                        * or not asked for */
	char *load_state;      /* "loaded", "not-found", "masked", "error", "bad-setting" … */
	char *active_state;    /* "active", "inactive", "failed", "activating", "deactivating", "reloading" */
	char *sub_state;       /* "running", "dead", "listening" … */
	char *unit_file_state; /* the loaded unit's UnitFileState property ("" for a unit without a file) */
} hs_unit_state;
void hs_unit_state_done(hs_unit_state *s);

/* Manager.GetUnitFileState(@unit). -ENOENT, without a message, when there is no such unit file. */
int hs_bus_unit_file_state(hs_ctx *ctx, sd_bus *bus, const char *unit, char **out);
/* Manager.LoadUnit(@unit) and the unit's LoadState, ActiveState, SubState and UnitFileState (one GetAll);
 * with @with_file_state also GetUnitFileState (file_state stays NULL when the file does not exist). */
int hs_bus_unit_state(hs_ctx *ctx, sd_bus *bus, const char *unit, bool with_file_state, hs_unit_state *out);

/* Manager.EnableUnitFiles(@units, runtime=false, force=false): *changes gets one line per change made,
 * "symlink <link> → <target>" or "unlink <link>" (an empty vector when nothing changed). */
int hs_bus_enable_unit_files(hs_ctx *ctx, sd_bus *bus, char *const *units, char ***changes,
			     bool *carries_install_info);
/* Manager.Reload(); systemd answers when the reload is over, so this waits up to @timeout_usec (0: the
 * job default). */
int hs_bus_reload(hs_ctx *ctx, sd_bus *bus, uint64_t timeout_usec);

typedef struct hs_bus_job {
	char *unit;
	char *path;    /* the job's object path, /org/freedesktop/systemd1/job/N */
	char *result;  /* JobRemoved's result: "done", "canceled", "timeout", "failed", "dependency", "skipped" */
} hs_bus_job;
void hs_bus_job_done(hs_bus_job *j);

/* Manager.StartUnit(@unit, "replace"), then wait (at most @job_timeout_usec; 0: the default) for the job's
 * JobRemoved signal. Returns 0 whatever the job's result (see out->result); -ETIMEDOUT with "systemd did not
 * finish starting <unit> within N s (job <path> …)" when the signal does not come. *out is empty on errors. */
int hs_bus_start_unit(hs_ctx *ctx, sd_bus *bus, const char *unit, uint64_t job_timeout_usec, hs_bus_job *out);

typedef struct hs_bus_enable_report {
	bool enabled;          /* EnableUnitFiles was called */
	char **changes;        /* its changes (see hs_bus_enable_unit_files) */
	bool carries_install_info;
	bool reloaded;         /* Reload was called (the changes were not empty) */
	hs_bus_job *jobs;      /* one per unit started, in order; the last may have failed */
	size_t n_jobs;
} hs_bus_enable_report;
void hs_bus_enable_report_done(hs_bus_enable_report *r);

/* `systemctl enable --now` over the bus: EnableUnitFiles(@enable) when @enable is not empty, Reload() when
 * that changed anything, then hs_bus_start_unit() for each of @start in order, stopping after the first job
 * whose result is not "done". Returns 0 when every call was answered (job results are in @out), else the
 * failing call's error; @out keeps what was done up to then either way. */
int hs_bus_enable_start(hs_ctx *ctx, sd_bus *bus, char *const *enable, char *const *start,
			uint64_t job_timeout_usec, hs_bus_enable_report *out);

/* Manager.Reexecute() (systemd answers by leaving the bus), then wait at most @wait_usec (0: the job default)
 * until org.freedesktop.systemd1 has a new owner, and read the new Version into *new_version. */
int hs_bus_reexec(hs_ctx *ctx, sd_bus *bus, uint64_t wait_usec, char **new_version);

/* bus_home.c: org.freedesktop.home1, one home as ListHomes and GetHomeByName describe it. */
typedef struct hs_bus_home {
	char *name;
	uint32_t uid;
	char *state;      /* "inactive", "active", "absent", "dirty" … (homed-facts §6.1) */
	uint32_t gid;
	char *realname;
	char *home;       /* home directory */
	char *shell;
	char *path;       /* bus object, /org/freedesktop/home1/home/<escaped name> */
} hs_bus_home;
void hs_bus_home_done(hs_bus_home *h);
void hs_bus_homes_free(hs_bus_home *v, size_t n);
int hs_bus_list_homes(hs_ctx *ctx, sd_bus *bus, hs_bus_home **out, size_t *n);
/* -ENOENT with "systemd-homed knows no home of user '<name>'" for org.freedesktop.home1.NoSuchHome. */
int hs_bus_get_home_by_name(hs_ctx *ctx, sd_bus *bus, const char *name, hs_bus_home *out);

/* service.c: check group `service` (over the bus; SKIPped on a --root without an explicit bus address) */
int hs_check_group_service(hs_checker *c);
#define HS_CHECKS_SERVICE(X) \
	X("service.pid1", "service", "systemd is the running init (PID 1) and answers on the bus") \
	X("service.systemd-version", "service", "the running systemd is new enough for systemd-homed (245 or later)") \
	X("service.homed.unit-file", "service", "systemd-homed.service is installed and enabled") \
	X("service.homed.active", "service", "systemd-homed.service is running") \
	X("service.userdbd.unit-file", "service", "systemd-userdbd.service is installed and enabled") \
	X("service.userdbd.active", "service", "systemd-userdbd.service is running or its socket is listening")

/* ================================================================================================== */
/* atom.c, atom_scan.c, atom_format.c, atom_match.c: what the atom modules share                       */
/* ================================================================================================== */
/* A parsed atom: one block holding the struct, hs_usedep[n_use], uint32_t[n_use] (use_sorted), the text
 * (every field NUL-terminated inside one copy of the input) and, when versioned, the version. */
struct hs_atom {
	const char *category;
	const char *package;
	const char *slot;      /* NULL: none */
	const char *subslot;   /* NULL: none */
	const char *repo;      /* NULL: none */
	const char *xver;      /* extended `=cat/pkg-*TEXT*`: TEXT; else NULL */
	hs_version *version;   /* NULL: unversioned (and for extended atoms) */
	hs_usedep *use;        /* n_use entries, as written */
	uint32_t *use_sorted;  /* indices into use: sorted by (flag, kind, default), duplicates dropped */
	uint32_t n_use;
	uint32_t n_use_sorted;
	uint8_t blocker;       /* hs_blocker */
	uint8_t op;            /* hs_atom_op */
	uint8_t slot_op;       /* hs_slot_op */
	bool extended;         /* parsed with Portage's extended (wildcard) syntax */
	bool wildcard;         /* has a `*` in category, package or version (not the `=ver*` glob) */
};

/* Byte classes of atom text (hs_atom_cclass[byte] is a mask of these). */
enum {
	HS_AC_W = 1 << 0,     /* [A-Za-z0-9_] (Python's ASCII \w) */
	HS_AC_PLUS = 1 << 1,  /* + */
	HS_AC_DOT = 1 << 2,   /* . */
	HS_AC_DASH = 1 << 3,  /* - */
	HS_AC_STAR = 1 << 4,  /* * */
	HS_AC_AT = 1 << 5,    /* @ */
	HS_AC_ALNUM = 1 << 6, /* [A-Za-z0-9] */
};
extern const uint8_t hs_atom_cclass[256];
/* Categories `[A-Za-z0-9_][A-Za-z0-9+_.-]*` and slot names; packages `[A-Za-z0-9_][A-Za-z0-9+_-]*`; what may
 * follow the '/' (package, version, `*` glob or wildcard); repositories; USE flags. */
#define HS_AC_CAT (HS_AC_W | HS_AC_PLUS | HS_AC_DOT | HS_AC_DASH)
#define HS_AC_PKG (HS_AC_W | HS_AC_PLUS | HS_AC_DASH)
#define HS_AC_PV (HS_AC_W | HS_AC_PLUS | HS_AC_DOT | HS_AC_DASH | HS_AC_STAR)
#define HS_AC_SLOT (HS_AC_W | HS_AC_PLUS | HS_AC_DOT | HS_AC_DASH)
#define HS_AC_REPO (HS_AC_W | HS_AC_DASH)
#define HS_AC_USE (HS_AC_ALNUM | HS_AC_W | HS_AC_PLUS | HS_AC_DASH | HS_AC_AT)

/* What the scanners find: offsets into the text; the USE dependencies go to items (cap_use entries, the
 * caller's array until items_heap says the scanner moved them to the heap: the caller frees them then). */
struct hs_atom_span {
	size_t off, len;
};
struct hs_atom_use {
	uint32_t off, len; /* the flag name */
	uint8_t kind, dflt;
};
struct hs_atom_scan {
	struct hs_atom_span cat, pkg, ver, xver, slot, subslot, repo;
	struct hs_atom_use *items;
	size_t n_use, cap_use;
	uint8_t blocker, op, slot_op;
	bool extended, wildcard, has_slot, has_subslot, has_repo, items_heap;
};
/* The complete scanner (atom_scan.c): every form, and the message with its column for every error. The
 * caller sets items and cap_use and zeroes n_use, ver.len, xver.len, the operators and the flags (a span is
 * read only when its flag, or its length, says it was set). 0, -EINVAL or -ENOMEM. */
int hs_atom_scan_full(hs_ctx *ctx, const char *s, size_t len, unsigned flags, struct hs_atom_scan *sc);
/* atom.c's recogniser of the version grammar: is s[0..n) a version (with `-rN` when allow_rev)? Else *bad and
 * *why (may be NULL) tell where and why not. And where a trailing `-VERSION[-rN]` of s[0..n) starts (0: none),
 * given the offsets l and l2 of its last two dashes (-1: none). */
bool hs_atom_version_syntax(const char *s, size_t n, bool allow_rev, size_t *bad, const char **why);
size_t hs_atom_trailing_version_at(const char *s, size_t n, ptrdiff_t l, ptrdiff_t l2);
/* "", "<", "<=", "=", "=" (glob), "~", ">=", ">" by hs_atom_op. */
extern const char *const hs_atom_op_text[8];
/* The order of USE dependencies in use_sorted: flag (bytes), kind, default. */
int hs_usedep_cmp(const hs_usedep *a, const hs_usedep *b);

/* ================================================================================================== */
/* useedit.c: USE edits planned as bytes (package.use blocks, make.conf USE values) and undone exactly  */
/* ================================================================================================== */
/* An in-memory version of one file under a context's roots (kept by ctx.c, honoured by rootfs.c): while set,
 * hs_root_read_file() and hs_root_list_config() see @buf at @path, a regular file (also where none exists yet,
 * its missing directory included), or for @buf NULL no file there. Lent: it must outlive the setting.
 * useedit.c reads Portage's configuration through it to prove an edit before writing it. */
typedef struct hs_root_overlay {
	hs_root_kind kind;
	const char *path;   /* absolute, spelled as the readers build it: "/etc/portage/package.use/homed" */
	const char *buf;
	size_t len;
} hs_root_overlay;
void hs_ctx_set_overlay(hs_ctx *ctx, const hs_root_overlay *ov); /* NULL: none */
const hs_root_overlay *hs_ctx_get_overlay(const hs_ctx *ctx);

/* The marker line (without line end) written before what homesetup adds:
 * "# Added by homesetup <version> on <YYYY-MM-DD>: <why> (remove with: homesetup use revert)". */
int hs_useedit_marker(char **out, const char *why, int64_t when);
/* Does the file hold a marker line of homesetup's (a block or a USE addition of an earlier run)? */
bool hs_useedit_has_marker(const char *buf, size_t len);

/* Append to the package.use file of @edit: the marker, @lines ("atom flag…", NULL-terminated), and the end line.
 * Line ends follow the file's (CR LF when its first line ends so); when the file does not end with a line break
 * one is added first, and the end line says so (revert removes it too). 0 or -ENOMEM. */
int hs_useedit_pkguse_append(hs_ctx *ctx, hs_edit *edit, const char *marker, char *const *lines);

/* Add @flags ("homed -pam_krb5") to the last USE assignment of the make.conf file of @edit, changing bytes of its
 * value only, after a marker line that records what was added; a file without USE gets `USE="…"` at its end. The
 * file is parsed as make.conf (source and expansions under @ctx's roots) before and after: the edit must change
 * USE's value by exactly these words and nothing else. -ENOTSUP with the reason and what to edit instead (an
 * assignment reached through `source`, split over files, using expansions other than ${USE}, not first on its
 * line, or any other case the check rejects); -EINVAL "file:line: …" when the file does not parse, or the
 * error of reading a sourced file (-EISDIR, -EACCES, -ELOOP …); -ENOMEM. */
int hs_useedit_makeconf_append(hs_ctx *ctx, hs_edit *edit, const char *marker, const char *flags);

/* Add to @edit the removal of everything homesetup added to its file: marked blocks (@makeconf false: a
 * package.use file) or marked USE additions and lines (@makeconf true). Returns the number of markers found
 * (0: none), or -EINVAL "file:line: …" for a marker whose block or USE value was changed by hand. */
int hs_useedit_revert(hs_ctx *ctx, hs_edit *edit, bool makeconf);

/* ================================================================================================== */
/* requse.c, requse_solve.c: the parsed expression and the evaluator the solver shares                 */
/* ================================================================================================== */
enum {
	HS_RQ_ROOT,
	HS_RQ_FLAG, /* `flag`, `!flag` */
	HS_RQ_ALL,  /* `( … )` */
	HS_RQ_ANY,  /* `|| ( … )` */
	HS_RQ_ONE,  /* `^^ ( … )` */
	HS_RQ_MOST, /* `?? ( … )` */
	HS_RQ_COND, /* `flag? ( … )`, `!flag? ( … )` */
};

/* One parsed item; items are stored in pre-order, a node's children follow it up to `end`. */
struct hs_rq_node {
	uint8_t kind;
	bool neg;
	size_t flag; /* HS_RQ_FLAG, HS_RQ_COND: index into hs_requse.flags */
	size_t end;  /* one past the last node of this subtree */
	size_t off;  /* byte offset of the node's token in the parsed text */
};

struct hs_requse {
	struct hs_rq_node *nodes;
	size_t n;
	char **flags;     /* every flag named, unique, in byte order */
	size_t *flag_len; /* their lengths */
	size_t nflags;
	bool empty_true;  /* EAPI 0-6: empty `|| ( )` and `^^ ( )` are true */
};

#define HS_RQ_FOREACH_CHILD(r, i, k) for (size_t k = (i) + 1; k < (r)->nodes[i].end; k = (r)->nodes[k].end)

/* What an item can yield: nothing, true, false (a set, for the three-valued mode). Flag states are 0 off,
 * 1 on, HS_RQ_UNKNOWN either. */
enum { HS_RQ_ABS = 1, HS_RQ_T = 2, HS_RQ_F = 4 };
#define HS_RQ_UNKNOWN 2

/* useset.c: out[i] = is flags[i] (lens[i] bytes) in set? The n flags must be unique and in byte order, as
 * hs_requse keeps them: one merge with the set instead of n searches. */
void hs_useset_has_sorted(const hs_useset *set, char *const *flags, const size_t *lens, size_t n, uint8_t *out);
/* What node i can yield with the flag states st (one byte per flag); *work counts the nodes visited. */
unsigned hs_requse_eval_node(const hs_requse *r, const uint8_t *st, size_t i, uint64_t *work);
/* The same for the root restricted to the top-level constraints top[t] with active[t]. */
unsigned hs_requse_eval_top(const hs_requse *r, const uint8_t *st, const size_t *top, const bool *active, size_t ntop,
			    uint64_t *work);
/* "USE flag 'x' is not in IUSE" (-EINVAL) for the first flag missing from iuse, in Portage's order; else 0. */
int hs_requse_check_iuse(hs_ctx *ctx, const hs_requse *r, const hs_useset *iuse);
/* Append node i as written (with its children), in the given style. 0 or -ENOMEM. */
int hs_requse_render_node(hs_buf *b, const hs_requse *r, size_t i, hs_requse_style style);

/* ================================================================================================== */
/* system probes: nss.c, pam.c, kernel.c, homedconf.c, keys.c, space.c (check groups nss … space)    */
/* ================================================================================================== */
/* ---- homedconf.c: helpers the probe modules share ---- */
/* Is ROOT the running system ("/")? Only then are /proc, /sys and the running kernel looked at. */
bool hs_probe_live(const hs_ctx *ctx);
/* The first of @dirs (absolute, under ROOT) with a regular file @name (symlinks followed inside ROOT): 1 and
 * *found = "<dir>/<name>" (malloc'd); 0 none; -errno (message in ctx) when a directory cannot be searched. */
int hs_probe_find_file(hs_ctx *ctx, const char *const *dirs, const char *name, char **found);
/* statfs f_type of an open fd. */
int hs_probe_fstype(int fd, long *type);
/* A line quoted for a report: control characters other than tab escaped (\xNN), at most 300 bytes. */
char *hs_probe_quote(const char *s, size_t len);
#define HS_FS_BTRFS 0x9123683EL
/* The highest installed version of @cp (a static string such as "sys-apps/systemd"), looked up once per run:
 * *out is lent by the checker, NULL when not installed. -errno when the VDB cannot be read. */
int hs_probe_installed(hs_checker *c, const char *cp, const hs_installed **out);
/* Hand bytes to iniparser without it opening anything by path (fmemopen with iniparser >= 4.2, a memfd with
 * 4.1). NULL on failure: *err < 0 for an I/O or memory error (message in ctx), else a syntax error with
 * iniparser's message in *errmsg (malloc'd, may be NULL). Free the result with iniparser_freedict(). */
struct _dictionary_;
struct _dictionary_ *hs_ini_load_bytes(hs_ctx *ctx, const char *path, const char *buf, size_t len, char **errmsg,
				       int *err);

/* ---- homedconf.c: homed.conf as systemd-homed reads it ---- */
typedef struct hs_homed_conf_issue {
	hs_check_status status;   /* WARN (line ignored), FAIL (value refused, or homed will not start), SKIP
	                           * (file unreadable) */
	char *path;               /* file inside ROOT */
	unsigned line;            /* 1-based; 0 for the whole file */
	char *message;            /* what systemd does with it, naming the value and its column */
	char *text;               /* the line as written (escaped), or NULL */
	const char *fix;          /* static text, or NULL */
} hs_homed_conf_issue;

typedef struct hs_homed_conf {
	char *storage;            /* DefaultStorage= in effect, NULL when not set (automatic: luks) */
	char *storage_path;
	unsigned storage_line;
	char *fstype;             /* DefaultFileSystemType= in effect, NULL when not set (built-in default) */
	char *fstype_path;
	unsigned fstype_line;
	bool fatal;               /* a file systemd cannot parse: systemd-homed does not start */
	bool unreadable;          /* a file could not be read */
	hs_homed_conf_issue *issues;
	size_t n_issues, n_fail, n_warn;
	char **files;             /* files read, in order */
} hs_homed_conf;

int hs_homed_conf_new(hs_homed_conf **out);
void hs_homed_conf_free(hs_homed_conf *conf);
DEFINE_CLEANUP_FUNC(hs_homed_conf, hs_homed_conf_free);
/* One file's bytes, applied over @conf (later files override earlier ones). 0 or -ENOMEM. */
int hs_homed_conf_parse(hs_ctx *ctx, hs_homed_conf *conf, const char *path, const char *buf, size_t len);
/* The first of /etc, /run, /usr/local/lib, /usr/lib "systemd/homed.conf", then the "*.conf" drop-ins of
 * "systemd/homed.conf.d" under the same (a name in an earlier directory masks it in later ones), by file name. */
int hs_homed_conf_load(hs_ctx *ctx, hs_homed_conf **out);
/* DefaultStorage in effect ("luks" when not set); @conf may be NULL. */
const char *hs_homed_conf_storage(const hs_homed_conf *conf);
/* DefaultFileSystemType as written, "btrfs" when not set (see hs_homed_default_fstype for old systemd). */
const char *hs_homed_conf_fstype(const hs_homed_conf *conf);
/* homed.conf loaded once per check run (shared by the homed-conf, kernel and space groups); lent. */
int hs_homed_conf_get(hs_checker *c, const hs_homed_conf **out);
/* The built-in DefaultFileSystemType for the installed systemd: btrfs (247 and later), ext4 before. */
int hs_homed_default_fstype(hs_checker *c, const char **fs, const char **why);

int hs_check_group_homed_conf(hs_checker *c);
#define HS_CHECKS_HOMED_CONF(X) \
	X("homed-conf.parse", "homed-conf", "homed.conf and its drop-ins parse as systemd-homed reads them") \
	X("homed-conf.storage", "homed-conf", "DefaultStorage and DefaultFileSystemType suit this system")

/* ---- nss.c: /etc/nsswitch.conf as glibc reads it ---- */
enum { HS_NSS_SUCCESS, HS_NSS_NOTFOUND, HS_NSS_UNAVAIL, HS_NSS_TRYAGAIN };
enum { HS_NSS_CONTINUE, HS_NSS_RETURN, HS_NSS_MERGE };

typedef struct hs_nss_service {
	char *name;
	unsigned column;          /* 1-based, of the name */
	size_t len;               /* of the name */
	unsigned char action[4];  /* per HS_NSS_SUCCESS …: HS_NSS_CONTINUE/RETURN/MERGE */
	char *criteria;           /* "[NOTFOUND=return]" as written, or NULL */
	unsigned criteria_column;
	size_t criteria_len;
} hs_nss_service;

typedef struct hs_nss_line {
	char *db;                 /* as written ("passwd") */
	bool known;               /* a database glibc knows */
	unsigned line;
	char *text;               /* the line as written */
	hs_nss_service *v;        /* the services glibc reads, in order */
	size_t n;
	char *error;              /* glibc 2.33+ rejects the line (and with it the whole file), naming the column */
	unsigned stop_column;     /* a '[' without a service: glibc ignores the rest of the line from here */
	char *comment;            /* from '#' on, or NULL */
	unsigned comment_column;
} hs_nss_line;

typedef struct hs_nsswitch {
	hs_nss_line *v;
	size_t n, cap;
} hs_nsswitch;

int hs_nsswitch_parse(hs_ctx *ctx, const char *buf, size_t len, hs_nsswitch *out);
void hs_nsswitch_free(hs_nsswitch *nss);
/* The line glibc uses for @db (the last one), or NULL. */
const hs_nss_line *hs_nsswitch_find(const hs_nsswitch *nss, const char *db);
/* A service name that is probably meant to be "systemd" ("systmed", "Systemd", "systemd-homed", "nss_systemd"). */
bool hs_nss_is_typo(const char *name);

typedef enum hs_nss_state {
	HS_NSS_REACHED,           /* systemd is asked for a user the sources before it do not know */
	HS_NSS_NO_LINE,
	HS_NSS_MISSING,           /* the line has no systemd */
	HS_NSS_TYPO,              /* … but a near miss */
	HS_NSS_BLOCKED,           /* an earlier source returns on NOTFOUND */
	HS_NSS_INVALID,           /* glibc rejects the line */
} hs_nss_state;

typedef struct hs_nss_verdict {
	hs_nss_state state;
	const hs_nss_line *line;
	const hs_nss_service *systemd, *typo, *files, *blocker, *unavail_blocker;
	bool before_files;        /* systemd before files/compat */
	bool no_files;            /* … and no files/compat at all */
} hs_nss_verdict;
void hs_nss_judge(const hs_nss_line *l, hs_nss_verdict *v);

int hs_check_group_nss(hs_checker *c);
#define HS_CHECKS_NSS(X) \
	X("nss.passwd", "nss", "the passwd: line of /etc/nsswitch.conf reaches systemd (nss-systemd)") \
	X("nss.group", "nss", "the group: line of /etc/nsswitch.conf reaches systemd") \
	X("nss.shadow", "nss", "the shadow: line reaches systemd (nss-systemd serves it from systemd 249)") \
	X("nss.gshadow", "nss", "the gshadow: line reaches systemd (nss-systemd serves it from systemd 249)") \
	X("nss.module", "nss", "nss-systemd (libnss_systemd.so.2) is installed")

/* ---- pam.c: /etc/pam.d files as Linux-PAM reads them ---- */
enum { HS_PAM_IGNORE = -1, HS_PAM_OK = -2, HS_PAM_DONE = -3, HS_PAM_BAD = -4, HS_PAM_DIE = -5, HS_PAM_RESET = -6 };

typedef struct hs_pam_value {
	size_t name_off, name_len; /* in the control text */
	int action;                /* a jump count (> 0) or HS_PAM_IGNORE … */
} hs_pam_value;

typedef struct hs_pam_line {
	unsigned line;            /* first physical line */
	char *text;               /* the logical line, comment removed */
	char *type;               /* lower-cased, without '-': auth, account, password, session, @include … */
	bool dash;                /* "-type": a missing module is ignored */
	char *control, *module, *args;
	bool include;             /* include, substack, @include: lines that cannot be counted here */
	bool bad;                 /* PAM cannot parse it */
	unsigned bad_column;
	hs_pam_value *values;     /* a "[value=action …]" control */
	size_t n_values;
} hs_pam_line;

typedef struct hs_pam_conf {
	hs_pam_line *v;
	size_t n, cap;
} hs_pam_conf;

int hs_pam_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_pam_conf *out);
void hs_pam_conf_free(hs_pam_conf *pc);
/* What the line's control does for a module return @value ("success", "user_unknown" …). */
int hs_pam_action(const hs_pam_line *l, const char *value);

int hs_check_group_pam(hs_checker *c);
#define HS_CHECKS_PAM(X) \
	X("pam.system-auth", "pam", "/etc/pam.d/system-auth has the pam_systemd_home.so lines as pambase[homed] writes them") \
	X("pam.module", "pam", "pam_systemd_home.so is installed") \
	X("pam.pending-update", "pam", "no Portage config update (._cfg file) is waiting in /etc/pam.d")

/* ---- kernel.c ---- */
typedef struct hs_kconfig_entry {
	char *name, *value;       /* "CONFIG_DM_CRYPT", "m" ("n" for "# … is not set") */
} hs_kconfig_entry;
typedef struct hs_kconfig {
	hs_kconfig_entry *v;      /* sorted by name */
	size_t n, cap;
} hs_kconfig;
int hs_kconfig_parse(hs_ctx *ctx, const char *buf, size_t len, hs_kconfig *out);
void hs_kconfig_free(hs_kconfig *k);
/* The value ("y", "m", a string), or NULL when not set. */
const char *hs_kconfig_get(const hs_kconfig *k, const char *name);
/* gunzip (gzip format) into a malloc'd, NUL-terminated buffer of at most @max bytes. */
int hs_gunzip(hs_ctx *ctx, const char *what, const char *in, size_t len, size_t max, char **out, size_t *out_len);
/* Tests: treat ROOT as the running system and read osrelease, config.gz and filesystems from this directory
 * (laid out like /proc) instead of /proc. */
extern const char *hs_kernel_test_proc;

int hs_check_group_kernel(hs_checker *c);
#define HS_CHECKS_KERNEL(X) \
	X("kernel.dm-crypt", "kernel", "the kernel has device mapper and dm-crypt (LUKS home images)") \
	X("kernel.loop", "kernel", "the kernel has loop devices (home images are files)") \
	X("kernel.fs", "kernel", "the kernel has the file system homed puts in the images (DefaultFileSystemType)") \
	X("kernel.mkfs", "kernel", "mkfs for that file system is installed")

/* ---- keys.c ---- */
int hs_check_group_keys(hs_checker *c);
#define HS_CHECKS_KEYS(X) \
	X("keys.local", "keys", "homed's signing key pair (/var/lib/systemd/home/local.private) is absent or safe") \
	X("keys.foreign", "keys", "the public keys of other machines (*.public) are ones homed accepts")

/* ---- space.c ---- */
typedef struct hs_space_user {
	char *name;
	unsigned uid;
	char *home;
	uint64_t bytes;           /* disk space the home takes (a lower bound when partial) */
	uint64_t entries;
	uint64_t needed;          /* after hs_space_plan() */
	bool missing;             /* the home directory does not exist */
	bool partial;             /* not everything could be measured */
	bool truncated;           /* the walk hit hs_space_walk_limit */
	char *error;              /* the first thing that could not be read, or NULL */
} hs_space_user;
/* Regular users: UID 1000-60000 with a home under /home/. */
int hs_space_parse_passwd(hs_ctx *ctx, const char *buf, size_t len, hs_space_user **out, size_t *n_out);
void hs_space_users_free(hs_space_user *v, size_t n);
/* Measure each home under ROOT; *truncated when the entry budget ran out. */
int hs_space_measure(hs_ctx *ctx, hs_space_user *v, size_t n, bool *truncated);
/* What one home needs once migrated (see space.c for the model). */
uint64_t hs_space_needed(uint64_t used, bool luks, const char *fs);
uint64_t hs_space_fs_minimum(const char *fs);
/* Sorts @v largest first, fills needed, and the totals for all at once and one at a time. */
void hs_space_plan(hs_space_user *v, size_t n, bool luks, const char *fs, uint64_t *all_at_once,
		   uint64_t *one_by_one);
extern size_t hs_space_walk_limit;  /* entries walked per run (default 200000) */
extern unsigned hs_space_walk_ms;    /* and milliseconds (default 3000; 0: no time limit) */
extern uint64_t hs_space_test_avail; /* tests: the free space to assume (0: statvfs) */

int hs_check_group_space(hs_checker *c);
#define HS_CHECKS_SPACE(X) \
	X("space.home", "space", "the file system holding /home has room to migrate every regular user")

/* ================================================================================================== */
/* repos_ini.c, repos.c: repos.conf as configparser would hold it                                      */
/* ================================================================================================== */
typedef struct hs_repos_ini_section {
	char *name;   /* as written (configparser section names are case-sensitive) */
	hs_vars *opt; /* option names lower-cased (configparser's optionxform), raw values */
} hs_repos_ini_section;

typedef struct hs_repos_ini {
	hs_repos_ini_section *v;
	size_t n;
	hs_vars *defaults; /* [DEFAULT] plus the defaults RepoConfigLoader passes (EPREFIX, ROOT …) */
	char *error;       /* set when configparser would have raised: Portage then drops all of repos.conf */
} hs_repos_ini;

/* An empty model with RepoConfigLoader's default options; free with hs_repos_ini_free(). 0 or -ENOMEM. */
int hs_repos_ini_init(hs_repos_ini *m);
void hs_repos_ini_free(hs_repos_ini *m);
/* The built-in cnf/repos.conf of Portage (gentoo/portage a20ef27a), the keys that matter here. */
int hs_repos_ini_add_builtin(hs_repos_ini *m);
/* Read one INI text into the model (configparser.read_file semantics: later files override keys). A text
 * configparser would reject sets m->error (and returns 0); negative errno for other failures. */
int hs_repos_ini_read(hs_ctx *ctx, hs_repos_ini *m, const char *path, const char *buf, size_t len);
/* parser.get(section, key) (s NULL: DEFAULT): the interpolated value, NULL in *out when unset. Errors land in
 * m->error. */
int hs_repos_ini_get(hs_repos_ini *m, const hs_repos_ini_section *s, const char *key, char **out);
/* Strip ASCII whitespace from both ends of [*s, *s + *n). */
void hs_repos_trim(const char **s, size_t *n);

/* ================================================================================================== */
/* doctor: diagnose.c, doctor_rules.c (+ doctor-rules.h), doctor_journal.c; keys: homekeys.c, homerecord.c,     */
/* moveplan.c                                                                                          */
/* ================================================================================================== */
/* One journal entry as the rules see it (fields lent from the reader; not NUL-terminated). */
typedef struct hs_jentry {
	uint64_t realtime;        /* µs since the epoch; 0 when unknown */
	const char *boot;         /* _BOOT_ID (32 hex digits), or NULL */
	size_t boot_len;
	const char *unit, *ident, *msg;
	size_t unit_len, ident_len, msg_len;
	uint32_t pid;             /* _PID, 0 when unknown */
} hs_jentry;

/* Read journal export format (journalctl -o export; binary fields included) from buf[0..len), calling @fn for
 * each entry (a non-zero return stops the walk and is returned). Entries past a malformed one are not read:
 * -EIO with "journal export: <what> at byte N". Fields of an entry live until @fn returns. */
typedef int (*hs_jentry_fn)(const hs_jentry *e, void *userdata);
int hs_journal_export_parse(hs_ctx *ctx, const char *buf, size_t len, hs_jentry_fn fn, void *userdata);

/* doctor_journal.c: the entries of systemd-homed.service and systemd-homework, in order: of @export_file (journal
 * export format), @files, @dir, the journal under ROOT (ROOT other than "/") or the system journal; from
 * @since_usec on, else of the current boot (the running one for the system journal, else the newest). Returns 0
 * with *what describing the source and boot; 1 when the journal could not be opened or read, *what saying why
 * (evidence missing, not an error); a negative errno for a file given that is missing or malformed (message in
 * ctx), or what @fn returned when negative (a positive return stops the walk). */
typedef struct hs_journal_query {
	const char *const *files;
	const char *dir;
	const char *export_file;
	uint64_t since_usec;
} hs_journal_query;
int hs_journal_read_homed(hs_ctx *ctx, const hs_journal_query *q, hs_jentry_fn fn, void *userdata, char **what);

/* doctor_rules.c: one row of the rule table of doctor-rules.h (NULL out of range); the rule for a home state that
 * is a finding by itself ("dirty", "absent"), or NULL. */
typedef struct hs_doctor_rule {
	const char *id;
	const char *pattern;   /* PCRE2, or NULL for a derived finding */
	const char *diagnosis; /* first line: summary; placeholders {user} … */
	const char *fix;       /* template */
} hs_doctor_rule;
const hs_doctor_rule *hs_doctor_row(size_t i);
const char *hs_doctor_state_rule(const char *state);

/* The compiled rule table (PCRE2, JIT where available). */
typedef struct hs_doctor_matcher hs_doctor_matcher;
/* What a matching rule captured, each only when it is a plain name (else ""). */
typedef struct hs_doctor_caps {
	char user[257];   /* [A-Za-z0-9_][A-Za-z0-9_.@-]* */
	char dm[128];     /* [A-Za-z0-9_][A-Za-z0-9_.+@-]* */
	char fs[32];      /* [a-z0-9_.-]+ */
} hs_doctor_caps;
int hs_doctor_matcher_new(hs_ctx *ctx, hs_doctor_matcher **out);
void hs_doctor_matcher_free(hs_doctor_matcher *m);
/* The index of the first row whose pattern matches msg[0..len) (messages longer than 64 KiB are cut there),
 * or -1; @caps (may be NULL) is filled from the row's named groups. */
int hs_doctor_match(hs_doctor_matcher *m, const char *msg, size_t len, hs_doctor_caps *caps);
/* The rule id of row @i (static). */
const char *hs_doctor_row_rule(size_t i);
/* A user name homed would accept as a plain name (what captures and options must be to reach a command). */
bool hs_doctor_name_ok(const char *s, size_t len);

/* homekeys.c: create the missing directories of @path (absolute, inside @kind's root) with @mode; 0 or -errno
 * with "<dir>: cannot create: <strerror>". */
int hs_root_mkdir_parents(hs_ctx *ctx, hs_root_kind kind, const char *path, unsigned mode);
/* homekeys.c: SHA-256 of buf[0..len) into out[32]. */
void hs_sha256(const void *buf, size_t len, uint8_t out[32]);
/* homekeys.c: the record's fields a doctor or a move plan needs, from /var/lib/systemd/home/<user>.identity
 * under ROOT (top level or a "binding" entry): 1 found, 0 no record, -errno. Strings malloc'd (NULL when
 * absent). */
typedef struct hs_home_record {
	char *image_path, *fstype, *storage, *home_dir;
	unsigned uid;
} hs_home_record;
int hs_home_record_load(hs_ctx *ctx, const char *user, hs_home_record *out);
void hs_home_record_done(hs_home_record *r);
/* homekeys.c: the canonical text systemd signs a record as (secret, binding, status and signature dropped,
 * object keys sorted, compact): malloc'd, or NULL on ENOMEM / not an object. */
struct json_object;
char *hs_record_signable_text(struct json_object *record);

/* ================================================================================================== */
/* image.c, image_luks.c: offline inspection of a homed LUKS image                                    */
/* ================================================================================================== */
DEFINE_CLEANUP_FUNC(hs_image_info, hs_image_info_free);

/* A GPT header as read from one sector (all numbers host order). */
typedef struct hs_gpt_header {
	uint32_t header_size, num_entries, entry_size, entries_crc;
	uint64_t my_lba, alternate_lba, first_usable, last_usable, entries_lba;
	bool crc_ok;   /* the header's own CRC32 holds */
} hs_gpt_header;
/* Parse the GPT header in buf[0..len) (one sector). 1: the "EFI PART" signature is there (out filled;
 * crc_ok tells whether the CRC holds, and is false as well for an impossible header size); 0: no signature. */
int hs_gpt_header_parse(const void *buf, size_t len, hs_gpt_header *out);

/* What kind of block device major:minor is, from sysfs (normally "/sys"): "partition" when
 * dev/block/M:m/partition exists, "device-mapper" when dev/block/M:m/dm exists, else "disk" (static). */
const char *hs_image_blockdev_kind(const char *sysfs, unsigned major, unsigned minor);

/* Analyse one LUKS2 token's JSON text (untrusted, not NUL-terminated): fills tok's type, homed, version,
 * keys and json_size (strings malloc'd, escaped and capped; free with hs_image_token_done()). Text that is
 * not a JSON object leaves type NULL. 0 or -ENOMEM. */
int hs_image_token_parse(const char *json, size_t len, hs_image_token *tok);
void hs_image_token_done(hs_image_token *tok);

/* The LUKS part of an inspection (image_luks.c): read the header at @offset of @fd (@avail bytes of the
 * partition are inside the image) into a private sparse memfd copy, load it with libcryptsetup and fill
 * *luks (arrays and strings malloc'd; free with hs_image_luks_done()). Returns 1 when a LUKS header was
 * read, 0 when there is no LUKS magic at @offset, negative errno on I/O errors or ENOMEM. When libcryptsetup
 * refuses a header with LUKS magic, 1 is returned with *why set (malloc'd: its messages or strerror) and the
 * fields of the binary header filled; *why is NULL otherwise. */
int hs_image_luks_read(hs_ctx *ctx, int fd, uint64_t offset, uint64_t avail, hs_image_luks *luks, char **why,
		       int *load_errno);
void hs_image_luks_done(hs_image_luks *luks);

#endif /* HOMESETUP_P_H */
