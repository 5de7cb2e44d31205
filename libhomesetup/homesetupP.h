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
/* Validate s[0..len) as a version and report the bytes a version built from it takes; the atom parser calls it
 * only for the message hs_version_parse() gives a version too long to parse. 0 or -EINVAL/-ENOMEM. */
int hs_version_measure(hs_ctx *ctx, const char *s, size_t len, size_t *size);
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

/* ctx.c: an O_PATH descriptor of @kind's root directory (PORTAGE_CONFIGROOT's is ROOT's while it was never
 * set), kept by the context (lent: never close it) while the root's path still names that directory (checked
 * with a stat() per call), until the root is set again or the context is freed. -errno when the root cannot be
 * opened (nothing is kept; no message). */
int hs_ctx_root_fd(hs_ctx *ctx, hs_root_kind kind);

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
DEFINE_CLEANUP_FUNC(hs_atom_buf, hs_atom_buf_free);

/* A parsed atom: one block holding the struct, the text (every field NUL-terminated inside one copy of the
 * input) right after it, hs_usedep[n_use] and, when versioned, the version. */
struct hs_atom {
	const char *category;
	const char *package;
	const char *slot;      /* NULL: none */
	const char *subslot;   /* NULL: none */
	const char *repo;      /* NULL: none */
	const char *xver;      /* extended `=cat/pkg-*TEXT*`: TEXT; else NULL */
	hs_version *version;   /* NULL: unversioned (and for extended atoms) */
	hs_usedep *use;        /* n_use entries, as written */
	uint32_t n_use;
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
/* The order of USE dependencies as a set (hs_atom_compare()): flag (bytes), kind, default. */
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
/* ---- probe_util.c: helpers the probe modules share ---- */
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
/* migrate_facts*.c, migrate_check*.c: the migration preflight (check group `migrate`)                 */
/* ================================================================================================== */
/* Where `homesetup migrate` keeps a migration's journal (<dir>/USER.json) and working directory (<dir>/USER/). */
#define HS_MIGRATE_STATE_DIR "/var/lib/homesetup/migrate"
/* The checker data key under which a run finds (or stores) the facts of its user. */
#define HS_MIGRATE_FACTS_KEY "migrate-facts"
/* How many example paths a finding about the home's contents keeps. */
#define HS_MIGRATE_EXAMPLES 5

/* A finding about entries of the home: how many, and the first few paths (escaped for a report). */
typedef struct hs_migrate_examples {
	uint64_t n;
	const char *v[HS_MIGRATE_EXAMPLES];
} hs_migrate_examples;

/* Everything the `migrate` checks judge, gathered once per user (hs_migrate_gather). Strings are kept in the
 * facts' pool (hs_migrate_keep) and live until hs_migrate_facts_free(). "why" strings say why a part could not
 * be looked at (the check then SKIPs with it). */
struct hs_migrate_facts {
	/* what was asked */
	const char *opt_storage, *opt_fs_type;
	uint64_t opt_disk_size;
	bool copy;
	bool gathered;
	char **pool;
	size_t n_pool;

	hs_migrate_info info;          /* the public view; its strings point into the pool */
	hs_report *report;             /* set by hs_migrate_facts_new() */

	/* the account files */
	hs_accounts *accounts;
	const char *accounts_why;      /* NULL: loaded */
	const hs_passwd_entry *pw;     /* NULL: no such user (or the files could not be read) */
	const hs_group_entry *primary; /* the group of pw->gid, NULL when none */
	const hs_group_entry *name_group; /* a group named like the user, NULL when none */
	const hs_group_entry *gid_clash;  /* a group other than the private one whose GID is the UID */
	const hs_passwd_entry *uid_clash; /* another user with the same UID */
	const char *group_users;       /* other users whose primary group is the private group (", "), or NULL */
	const char *group_members;     /* members listed in the private group other than the user, or NULL */
	const char *groups_bad;        /* groups of the user that cannot be passed to --member-of, or NULL */
	uint32_t sys_uid_max;          /* SYS_UID_MAX in effect */
	const char *sys_uid_max_from;  /* "/etc/login.defs:12 (SYS_UID_MAX)", or "default" */

	/* homed's and homesetup's own state */
	bool identity;                 /* /var/lib/systemd/home/USER.identity exists */
	const char *journal;           /* the path of a migration journal of the user, NULL when none */
	const char *journal_step;      /* its first step not done, "id (state)", NULL when unknown or all done */
	bool journal_done;             /* the migration completed */
	bool journal_rolling_back;     /* a rollback of it started */
	const char *journal_why;       /* it could not be read or understood (hs_migrate_status_load's message) */

	/* sessions and processes */
	bool proc_checked;
	const char *proc_why;
	uint64_t processes;
	const char *process_list;      /* "1234 (bash), …" */
	int sessions;                  /* sd-login's count, -1 when not asked */
	const char *sessions_why;
	const char *sessions_state;    /* sd_uid_get_state(), or NULL */

	/* the home directory */
	const char *expected_home;     /* "/home/USER" */
	const char *home_why;          /* the home could not be looked at */
	int home_err;                  /* 0, or the -errno of looking at it (-ENOENT: missing) */
	uint32_t home_mode;            /* st_mode (lstat) */
	const char *home_link;         /* a symlink: its target */
	bool home_elsewhere;           /* the passwd home is not /home/USER */
	bool expected_exists;          /* … and /home/USER exists anyway */
	bool home_other_fs;            /* not on the file system of /home (a rename cannot move it) */
	bool home_mount;               /* a mount point */
	const char *home_mount_why;    /* how that was seen */
	hs_migrate_examples mounts;    /* mount points inside */
	bool mountinfo_read;           /* the mount table could be read (st_dev alone cannot tell a btrfs subvolume
	                                  from a mount) */
	bool home_subvolume;           /* the home is a btrfs subvolume (another st_dev, not in the mount table) */
	hs_migrate_examples subvolumes; /* such directories inside the home (the scan does not enter them) */
	bool saved_exists;             /* /home/USER.saved */
	const char *image_path;        /* where homed would put the image for the storage */
	bool image_exists;
	uint32_t home_fs_magic;        /* statfs f_type of /home, 0 unknown */

	/* what the home holds (a metadata scan) */
	bool scanned;
	const char *scan_why;
	uint64_t entries;
	uint64_t copy_bytes;           /* what the copy will write: home_bytes with sparse files at full size */
	hs_migrate_examples acls, xattrs, outside_links, not_owned, special, sparse, bad_names;
	hs_migrate_examples unmapped;  /* owned by, or with an ACL entry naming, an ID homed's idmapped mount of the
	                                  new home leaves unmapped: "PATH (owner 65534 (nobody), ACL user:100000)" */
	uint32_t unmapped_ids[HS_MIGRATE_EXAMPLES]; /* the first distinct such IDs (UIDs and GIDs alike) */
	size_t n_unmapped_ids;         /* … how many of them the array holds */
	bool unmapped_ids_more;        /* and there are others */

	/* space */
	const char *space_why;
	uint64_t needed;               /* on /home's file system */
	uint64_t min_disk_size;        /* the smallest image the data fits into (LUKS) */

	/* rsync */
	const char *rsync_why;         /* not probed: why */
	const char *rsync_version;
	bool rsync_failed;             /* it was run and did not answer --version */
	bool rsync_probed, rsync_acls, rsync_xattrs, rsync_atimes, rsync_crtimes;

	/* storage */
	const char *storage_from, *fs_type_from; /* "--storage", "/etc/systemd/homed.conf:3", "homed's default" */
	const char *storage_why;       /* the storage cannot work here, or NULL */
	const char *mkfs;              /* the mkfs found (LUKS), NULL when missing or not needed */
	const char *mkfs_name;         /* "mkfs.btrfs" … */
};

/* Keep @s (malloc'd; NULL is passed through) in the facts' pool: it lives until the facts are freed. On ENOMEM @s
 * is freed and NULL returned. */
const char *hs_migrate_keep(hs_migrate_facts *f, char *s);
const char *hs_migrate_keepf(hs_migrate_facts *f, const char *fmt, ...) _printf_(2, 3);
/* Facts for @opts (strings copied), nothing gathered yet. -EINVAL for a missing or unusable user name, an
 * unknown storage or file system type (message says which); -ENOMEM. */
int hs_migrate_facts_alloc(hs_ctx *ctx, hs_migrate_facts **out, const hs_migrate_options *opts);
/* Gather the facts (once; a second call does nothing): account files, homed's and homesetup's state, sessions,
 * the home and its contents, space, rsync, storage. Things that cannot be looked at are recorded with the reason,
 * not returned: only -ENOMEM is an error. */
int hs_migrate_gather(hs_checker *c, hs_migrate_facts *f);
/* migrate_facts_home.c: the paths the migration creates and /home's file system; when the user exists and no
 * migration of it is under way, the home directory, its contents (a metadata scan) and the space they need.
 * Called by hs_migrate_gather() once the account and the storage are known. */
int hs_migrate_gather_home(hs_ctx *ctx, hs_migrate_facts *f);
/* Does homed's idmapped mount of the home of the user with UID @uid expose the UID or GID @id (the same map
 * serves both)? systemd's make_home_userns() (src/home/homework-mount.c, v250 on) maps 0-60000, the user's own
 * UID and 60513-65533 to themselves; from v251 also the container bases 524288-1878982656 (later releases the
 * whole container range up to 1879048191, nspawn's mapped root 2147483646, and from v258 the foreign range
 * 2147352576-2147418111). What every release from v251 maps counts as mapped: rsync cannot chown to, or set
 * an ACL naming, any other ID through that mount (EINVAL, exit 23). */
bool hs_migrate_id_mapped(uint32_t id, uint32_t uid);
/* Which unmapped range @id (see hs_migrate_id_mapped) is in: "homed's own UID range" … (static). */
const char *hs_migrate_id_unmapped_why(uint32_t id);
/* Is @name usable in paths (/home/NAME, NAME.json): not empty, no '/', not "." or "..", at most 255 bytes,
 * no control characters? */
bool hs_migrate_name_path_safe(const char *name);
/* homed's rule for a user name it manages (src/home/home-util.c suitable_user_name()): NULL when suitable, else
 * why not (static text). */
const char *hs_migrate_name_problem(const char *name);
/* The storage names homesetup migrates to, and the LUKS file systems. */
bool hs_migrate_storage_valid(const char *storage);
bool hs_migrate_fs_type_valid(const char *fs_type);
/* The bytes of "1.5 GiB" style (into buf). */
void hs_migrate_human(char *buf, size_t size, uint64_t bytes);
/* Tests: a directory laid out like /proc (self/mountinfo, <pid>/status) read instead of /proc, also for a ROOT
 * other than "/"; the CLI's tests name one with $HOMESETUP_TEST_PROC. hs_migrate_test_proc_dir(): that
 * directory, or NULL. */
extern const char *hs_migrate_test_proc;
const char *hs_migrate_test_proc_dir(void);

/* migrate_check.c: what the verdicts share. The first examples of a finding, one per line, then "… and N more"
 * (malloc'd, NULL on ENOMEM); "s" unless n is 1; why the checks about the account and the home cannot be made
 * (no account files, a migration under way, no such user; kept in the pool), or NULL; a SKIP for that reason;
 * for the checks of the contents also when the home was not scanned (1: a result was added, 0: go on, -errno). */
char *hs_migrate_examples_text(const char *intro, const hs_migrate_examples *ex);
const char *hs_migrate_plural(uint64_t n);
const char *hs_migrate_blocker(hs_migrate_facts *f);
int hs_migrate_skip_blocked(hs_checker *c, hs_migrate_facts *f, const char *id);
int hs_migrate_skip_unscanned(hs_checker *c, hs_migrate_facts *f, const char *id);
/* migrate_check_home.c: the checks migrate.home … migrate.names, one result each. */
typedef int (*hs_migrate_check_fn)(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_home(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_saved(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_space(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_xattrs(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_hardlinks(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_owner(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_ids(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_special(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_sparse(hs_checker *c, hs_migrate_facts *f);
int hs_migrate_check_names(hs_checker *c, hs_migrate_facts *f);

/* check.c: hs_check_run() with checker data set before the first group runs (@data stays the caller's). */
int hs_check_run_seeded(hs_ctx *ctx, hs_report **out, const hs_check_options *opts, const char *key, void *data);
/* check.c: the results the groups that ran before the current one recorded in this run (a copy; free with
 * hs_report_free()); an empty report when none ran. 0 or -ENOMEM. */
int hs_checker_report_so_far(const hs_checker *c, hs_report **out);

int hs_check_group_migrate(hs_checker *c);
#define HS_CHECKS_MIGRATE(X) \
	X("migrate.user", "migrate", "the user is in /etc/passwd, not managed by homed yet, and no migration of it is under way") \
	X("migrate.name", "migrate", "the user name is one homed manages (not root, nobody, systemd-*, _*; strict syntax)") \
	X("migrate.uid", "migrate", "the UID is outside the system, dynamic and container ranges, not 65534, and used by no other user or group") \
	X("migrate.group", "migrate", "the primary group is the user's private group (GID = UID, same name) or a shared one (then --member-of)") \
	X("migrate.groups", "migrate", "the supplementary groups exist and can be passed to --member-of") \
	X("migrate.session", "migrate", "the user is not logged in and runs no processes") \
	X("migrate.home", "migrate", "the home is a plain directory at /home/USER, not a symlink or mount point, with no mount points inside") \
	X("migrate.saved", "migrate", "/home/USER.saved and homed's image path do not exist yet") \
	X("migrate.space", "migrate", "the file system of /home has room for the new home (and a second copy with --copy)") \
	X("migrate.xattrs", "migrate", "ACLs and extended attributes in the home survive the copy") \
	X("migrate.hardlinks", "migrate", "no file in the home has hard links outside it") \
	X("migrate.owner", "migrate", "every file in the home belongs to the user") \
	X("migrate.ids", "migrate", "no file in the home is owned by, or has an ACL entry naming, a UID or GID that homed's idmapped mount leaves unmapped") \
	X("migrate.special", "migrate", "the home holds no sockets, FIFOs or device nodes") \
	X("migrate.sparse", "migrate", "the home holds no sparse files (the copy writes them in full)") \
	X("migrate.names", "migrate", "every file name in the home is valid UTF-8") \
	X("migrate.rsync", "migrate", "rsync is installed with ACL and xattr support; the flags it takes (-U, -N)") \
	X("migrate.storage", "migrate", "the storage and file system chosen can work here (mkfs installed, btrfs for subvolume)") \
	X("migrate.homed-ready", "migrate", "systemd-homed is ready: no FAIL among the readiness checks")

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
 * export format), @export_buf (the same, in memory), @files, @dir, the journal under ROOT (ROOT other than "/") or the system journal; from
 * @since_usec on, else of the current boot (the running one for the system journal, else the newest). Returns 0
 * with *what describing the source and boot; 1 when the journal could not be opened or read, *what saying why
 * (evidence missing, not an error); a negative errno for a file given that is missing or malformed (message in
 * ctx), or what @fn returned when negative (a positive return stops the walk). */
typedef struct hs_journal_query {
	const char *const *files;
	const char *dir;
	const char *export_file;
	const char *export_buf;  /* export format already in memory (used when export_file is NULL) */
	size_t export_len;
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
/* The window (µs) in which the same home's successful operation makes a failure of @rule part of a normal login
 * (pam_systemd_home asks without a password first), or 0 for rules no later success undoes. */
uint64_t hs_doctor_retry_window(const char *rule);
/* The free space (bytes) the no-space fix needs on the file system holding the image before its discard update. */
uint64_t hs_doctor_min_free(void);
/* Whether row @i concerns one home (its texts use {user}); false for findings about homed as a whole. */
bool hs_doctor_row_per_home(size_t i);
/* doctor_attrib.c: which home each matching journal entry concerns (a capture, /dev/mapper/home-USER, the state
 * change that closes homed's "<operation> failed" line, the worker of the one home whose operation started), and
 * which password failures the same home's success soon after explains (a normal PAM login: see the top of that
 * file). Every match that is not explained reaches @fn, in journal order once decided; held ones at the latest
 * from hs_doctor_attrib_finish(). @fn may take ev's strings (leaving NULL); a negative return stops the walk. */
typedef struct hs_doctor_evidence {
	size_t row;              /* the matching row of the rule table */
	hs_doctor_caps caps;
	char *user;              /* the user it concerns, or NULL: it names nobody */
	char *msg, *ident;       /* the message and SYSLOG_IDENTIFIER ("?" when missing), escaped */
	uint32_t pid;
	uint64_t realtime;
} hs_doctor_evidence;
typedef int (*hs_doctor_evidence_fn)(hs_doctor_evidence *ev, void *userdata);
typedef struct hs_doctor_attrib hs_doctor_attrib;
int hs_doctor_attrib_new(hs_doctor_attrib **out, hs_doctor_matcher *m, hs_doctor_evidence_fn fn, void *userdata);
void hs_doctor_attrib_free(hs_doctor_attrib *a);
/* One entry of systemd-homed.service or systemd-homework, in journal order: 0, -ENOMEM or what @fn returned. */
int hs_doctor_attrib_entry(hs_doctor_attrib *a, const hs_jentry *e);
/* The end of the journal: what is still held goes to @fn as it stands. */
int hs_doctor_attrib_finish(hs_doctor_attrib *a);
/* The @i-th user whose failures were explained by a later success, and how many (false past the last). */
bool hs_doctor_attrib_discounted(const hs_doctor_attrib *a, size_t i, const char **user, size_t *count);
/* diagnose.c: the free-space texts of a no-space finding for the image @image in @dir: *sentence for the
 * diagnosis ("Now /home has 0 B free of 1.0 GiB; the image … is …, of which … allocated." and, below
 * hs_doctor_min_free(), that this is too little for the update), *note for the fix's first line. @avail
 * UINT64_MAX: the free space could not be measured; @size UINT64_MAX: the image's size is not known. Both
 * malloc'd; 0 or -ENOMEM. */
int hs_doctor_space_text(const char *dir, uint64_t avail, uint64_t total, const char *image, uint64_t size,
			 uint64_t alloc, char **sentence, char **note);
/* diagnose.c: hs_doctor_run() with the journal read from buf[0..len) in export format (fuzzing, tests); the
 * journal options of @opts are ignored. */
int hs_doctor_run_export_buf(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts, const char *buf,
			     size_t len);

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
 * fields of the binary header filled; *why is NULL otherwise. When libcryptsetup cannot be loaded (dl.c), 2 is
 * returned with the binary header's fields filled, *why the loader's message and *load_errno EOPNOTSUPP. */
int hs_image_luks_read(hs_ctx *ctx, int fd, uint64_t offset, uint64_t avail, hs_image_luks *luks, char **why,
		       int *load_errno);
void hs_image_luks_done(hs_image_luks *luks);

/* ================================================================================================== */
/* dl.c: libraries only `image inspect` and `doctor` need, loaded on first use (dlopen by soname)      */
/* ================================================================================================== */
/* Linked, libcryptsetup (with libcrypto, libdevmapper, libselinux …), libblkid and libpcre2-8 would cost every
 * command ~2.5 MB of RSS and ~3 ms of start-up. A module calls the loader of a library before its first call
 * through the library's table, and says in a finding or a note what it could not do when the loader fails. */
typedef enum hs_dl_lib {
	HS_DL_CRYPTSETUP,   /* image_luks.c */
	HS_DL_BLKID,        /* image.c */
	HS_DL_PCRE2,        /* doctor_rules.c (8-bit code units) */
	HS_DL__MAX,
} hs_dl_lib;

/* Load @lib and fill its table (thread-safe; a loaded library stays loaded). 0, -ENOMEM, or -EOPNOTSUPP when
 * the library is missing, cannot be loaded or lacks a function of the table: then *why (may be NULL) is set to
 * a malloc'd message such as "libcryptsetup.so.12 is not installed: cannot open shared object file: No such
 * file or directory (it comes with sys-fs/cryptsetup)". A failure is not remembered: the next call tries again. */
int hs_dl_open(hs_dl_lib lib, char **why);
/* hs_dl_open() with the message set in ctx (may be NULL). */
int hs_dl_load(hs_ctx *ctx, hs_dl_lib lib);
static inline int hs_dl_cryptsetup(hs_ctx *ctx) { return hs_dl_load(ctx, HS_DL_CRYPTSETUP); }
static inline int hs_dl_blkid(hs_ctx *ctx) { return hs_dl_load(ctx, HS_DL_BLKID); }
static inline int hs_dl_pcre2(hs_ctx *ctx) { return hs_dl_load(ctx, HS_DL_PCRE2); }
/* The soname dlopen() is asked for, and the Gentoo package that installs it (static strings). */
const char *hs_dl_soname(hs_dl_lib lib);
const char *hs_dl_package(hs_dl_lib lib);
/* Tests only: load @lib from @soname from now on (NULL: the built-in soname), forgetting that it was loaded
 * (its handle stays open; its table is cleared). */
void hs_dl_test_soname(hs_dl_lib lib, const char *soname);

/* The tables: one pointer per function, typed from the library's header. A module includes the library's header
 * (pcre2.h with PCRE2_CODE_UNIT_WIDTH 8) before this one to see its table, and calls hs_cryptsetup.crypt_load(…),
 * hs_blkid.blkid_new_probe(), hs_pcre2.pcre2_match(…) (pcre2.h's macros map these names to the _8 functions). */
#define HS_DL_FIELD_(s) __typeof__(s) *s;
#define HS_DL_CRYPTSETUP_SYMS(X)                                                                                   \
	X(crypt_init) X(crypt_free) X(crypt_load) X(crypt_set_log_callback) X(crypt_get_type) X(crypt_get_uuid)    \
	X(crypt_get_label) X(crypt_get_subsystem) X(crypt_get_cipher) X(crypt_get_cipher_mode)                     \
	X(crypt_get_volume_key_size) X(crypt_get_metadata_size) X(crypt_get_data_offset) X(crypt_get_sector_size)  \
	X(crypt_keyslot_max) X(crypt_keyslot_status) X(crypt_keyslot_get_key_size) X(crypt_keyslot_get_pbkdf)      \
	X(crypt_token_max) X(crypt_token_json_get)
#define HS_DL_BLKID_SYMS(X)                                                                                        \
	X(blkid_new_probe) X(blkid_free_probe) X(blkid_probe_set_device) X(blkid_probe_get_sectorsize)             \
	X(blkid_probe_enable_superblocks) X(blkid_probe_set_superblocks_flags) X(blkid_probe_enable_partitions)    \
	X(blkid_probe_set_partitions_flags) X(blkid_do_safeprobe) X(blkid_probe_lookup_value)                      \
	X(blkid_probe_get_partitions) X(blkid_partlist_numof_partitions) X(blkid_partlist_get_partition)           \
	X(blkid_partition_get_start) X(blkid_partition_get_size) X(blkid_partition_get_partno)                     \
	X(blkid_partition_get_type) X(blkid_partition_get_type_string) X(blkid_partition_get_name)                 \
	X(blkid_partition_get_uuid)
#define HS_DL_PCRE2_SYMS(X)                                                                                        \
	X(pcre2_compile) X(pcre2_code_free) X(pcre2_get_error_message) X(pcre2_jit_compile) X(pcre2_pattern_info)  \
	X(pcre2_match_data_create) X(pcre2_match_data_free) X(pcre2_match_context_create)                          \
	X(pcre2_match_context_free) X(pcre2_set_match_limit) X(pcre2_set_depth_limit) X(pcre2_match)               \
	X(pcre2_substring_number_from_name) X(pcre2_get_ovector_pointer) X(pcre2_get_ovector_count)
#ifdef _LIBCRYPTSETUP_H
extern struct hs_dl_cryptsetup { HS_DL_CRYPTSETUP_SYMS(HS_DL_FIELD_) } hs_cryptsetup;
#endif
#ifdef _BLKID_BLKID_H
extern struct hs_dl_blkid { HS_DL_BLKID_SYMS(HS_DL_FIELD_) } hs_blkid;
#endif
#ifdef PCRE2_H_IDEMPOTENT_GUARD
extern struct hs_dl_pcre2 { HS_DL_PCRE2_SYMS(HS_DL_FIELD_) } hs_pcre2;
#endif

/* ================================================================================================== */
/* accounts.c, accounts_edit.c: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow under ROOT         */
/* ================================================================================================== */
enum { HS_ACCT_PASSWD, HS_ACCT_SHADOW, HS_ACCT_GROUP, HS_ACCT_GSHADOW, HS_ACCT__N };
#define HS_ACCT_MAX_FIELDS 9
/* lckpwdf(3) waits 15 s (glibc's TIMEOUT); so do the functions that take the lock themselves. */
#define HS_ACCOUNTS_LOCK_TIMEOUT_MS 15000u
/* Account files larger than this are refused (-EFBIG). */
#define HS_ACCT_MAX_FILE (64u << 20)

/* One line of an account file, as bytes of the file. */
typedef struct hs_acct_line {
	size_t off, len;      /* the line without its '\n' */
	size_t end;           /* just past its '\n' (off + len for a last line without one) */
	unsigned lineno;      /* 1-based */
	bool entry;           /* parsed into an entry; else blank, comment, NIS or malformed, kept as is */
	unsigned nf;          /* fields found (entries: exactly the file's count) */
	size_t f_off[HS_ACCT_MAX_FIELDS], f_len[HS_ACCT_MAX_FIELDS]; /* entries: each field, offsets in the file */
} hs_acct_line;

typedef struct hs_acct_file {
	const char *path;     /* "/etc/passwd" … (static) */
	char *data;           /* the bytes read, NUL-terminated ("" when missing) */
	size_t len;
	bool exists;
	hs_acct_line *lines;
	size_t n;
} hs_acct_file;

/* One /etc/gshadow entry (lent). */
typedef struct hs_gshadow_entry {
	const char *name, *passwd;
	const char *const *admins, *const *members; /* NULL-terminated, never NULL */
	unsigned line;
} hs_gshadow_entry;

/* File HS_ACCT_* of a snapshot (lent). */
const hs_acct_file *hs_accounts_file(const hs_accounts *a, unsigned which);
/* The gshadow entry named @name (lent), or NULL. */
const hs_gshadow_entry *hs_accounts_gshadow(const hs_accounts *a, const char *name);
/* The shadow line of @user (1-based), 0 when none. */
unsigned hs_accounts_shadow_line(const hs_accounts *a, const char *user);
/* Is @name one of the elements of the comma-separated list s[0..len)? */
bool hs_acct_list_has(const char *s, size_t len, const char *name);
/* s[0..len) with every element equal to @name removed (other elements, empty ones included, kept in order);
 * malloc'd, NULL on ENOMEM. */
char *hs_acct_list_without(const char *s, size_t len, const char *name);
/* Parse the four files' bytes (bufs[i] NULL: file i missing) as hs_accounts_load() does. The buffers are
 * copied. 0, -ENOENT (passwd missing), -ENOMEM. */
int hs_accounts_parse(hs_ctx *ctx, hs_accounts **out, const char *const bufs[HS_ACCT__N],
		      const size_t lens[HS_ACCT__N]);
/* Test hook: the interval at which a waiting hs_accounts_lock_take() retries (default 20 ms). */
extern unsigned hs_accounts_lock_poll_ms;
DEFINE_CLEANUP_FUNC(hs_accounts, hs_accounts_free);
DEFINE_CLEANUP_FUNC(hs_accounts_lock, hs_accounts_lock_release);

/* accounts_edit.c, accounts_restore.c: the changes an edit makes to one snapshot, file by file. */
typedef struct hs_acct_change {
	unsigned line;        /* 1-based, in the file before the removal */
	char *old;            /* the line then, with its '\n' when it had one */
	char *repl;           /* the line after, NULL when removed */
	char *prev;           /* the line before it, NULL for the first */
	size_t old_len, repl_len, prev_len;
} hs_acct_change;

typedef struct hs_acct_file_change {
	bool present;         /* the file is changed (removal) / named by the undo record (restore) */
	uint8_t before[32], after[32]; /* SHA-256 of the file before and after the removal */
	hs_acct_change *v;    /* sorted by line */
	size_t n, cap;
	hs_edit *edit;
} hs_acct_file_change;

typedef struct hs_acct_plan {
	hs_acct_file_change f[HS_ACCT__N];
} hs_acct_plan;
void hs_acct_plan_done(hs_acct_plan *p);
/* Write the edits of @p (files in @order) made against @a: refuse with -ESTALE, writing nothing, when a file is no
 * longer what was read; put back the files already written when a later one fails. */
int hs_acct_plan_commit(hs_ctx *ctx, hs_acct_plan *p, const hs_accounts *a, const unsigned order[HS_ACCT__N]);
/* A name that can be an entry of the account files (not empty, no ':' ',' '/' or control character, no NIS
 * '+'/'-' first). */
bool hs_acct_valid_user_name(const char *s);
/* Is field @k of file @which a list of user names (group: members; gshadow: admins, members)? */
bool hs_acct_is_list_field(unsigned which, unsigned k);

/* ================================================================================================== */
/* manifest.c, manifest_io.c, verify.c: tree manifests (`homesetup manifest`, `homesetup verify`)      */
/* ================================================================================================== */
DEFINE_CLEANUP_FUNC(hs_manifest, hs_manifest_free);
DEFINE_CLEANUP_FUNC(hs_verify_result, hs_verify_result_free);

/* A bump allocator: 1 MiB blocks that never move (pointers into them stay valid), all freed at once. */
typedef struct hs_arena_block hs_arena_block;
typedef struct hs_arena {
	hs_arena_block *head;
} hs_arena;
/* size bytes aligned to 8, or NULL on ENOMEM. */
void *hs_arena_alloc(hs_arena *a, size_t size);
/* s[0..len) + NUL, or NULL on ENOMEM. */
char *hs_arena_strndup(hs_arena *a, const char *s, size_t len);
/* Move every block of @from into @into (from is left empty). */
void hs_arena_join(hs_arena *into, hs_arena *from);
void hs_arena_free(hs_arena *a);

/* One entry: the public fields and what the scan needs besides (dev/ino are 0 in a loaded manifest). */
typedef struct hs_mentry {
	hs_manifest_entry e;
	uint64_t dev, ino;
} hs_mentry;

struct hs_manifest {
	hs_mentry **v;        /* tree order (hs_manifest_path_cmp) */
	size_t n;
	hs_mentry *store;     /* a loaded manifest's entries (a scan's live in its arena) */
	uint64_t total_bytes; /* regular files, a hardlink group once, mount points not */
	bool hashed;          /* every regular file that is not a mount point has an "xxh3-128:" hash */
	hs_arena arena;       /* a scan's strings and entries */
	char *text;           /* a loaded manifest: its decoded text, which the strings point into */
};

#define HS_MANIFEST_HASH_ALGO "xxh3-128"
#define HS_MANIFEST_HASH_PREFIX HS_MANIFEST_HASH_ALGO ":"
#define HS_MANIFEST_HASH_LEN (sizeof(HS_MANIFEST_HASH_PREFIX) - 1 + 32)

/* Tree order: "." first, then byte order with '/' sorting before every other byte (a directory's contents
 * come right after it, before a sibling whose name extends the directory's). */
int hs_manifest_path_cmp(const char *a, const char *b);
/* The index of @path in @m, or (size_t)-1. */
size_t hs_manifest_index(const hs_manifest *m, const char *path);

/* Worker threads of a scan: 0 (the default) means one per CPU the process may run on, at most 4. */
extern unsigned hs_manifest_threads;
/* Tests: pretend the kernel lacks listxattrat/getxattrat and openat2 (the /proc/self/fd and component-walk
 * fallbacks are then used). */
extern bool hs_manifest_test_no_xattrat, hs_manifest_test_no_openat2;

/* manifest_io.c: parse the text of a manifest file (doc/manifest.md) from buf[0..len) (need not be
 * NUL-terminated); @name is used in messages ("name:line: …"). 0, -EINVAL, -ENOMEM. */
int hs_manifest_parse(hs_ctx *ctx, hs_manifest **out, const char *name, const char *buf, size_t len);
/* manifest_io.c: append the text of @m to @out (what hs_manifest_save() writes). 0 or -ENOMEM. */
int hs_manifest_format(const hs_manifest *m, hs_buf *out);

/* ================================================================================================== */
/* spawn.c, migrate_plan.c, migrate_journal.c, migrate_run.c: the migration executor                 */
/* ================================================================================================== */
/* ---- spawn.c: programs run with an argv (never a shell), a scrubbed environment, captured output ---- */
/* Called with each chunk a child writes, as it arrives (not split into lines). */
typedef void (*hs_spawn_output_fn)(const char *chunk, size_t len, void *userdata);
typedef struct hs_spawn {
	const char *const *argv;     /* argv[0]: an absolute path */
	const char *const *env;      /* "NAME=value" added to the scrubbed environment (secrets go here), or NULL */
	const char *cwd;             /* NULL: "/" */
	hs_spawn_output_fn on_stdout, on_stderr; /* may be NULL */
	void *userdata;
	uint64_t timeout_usec;       /* 0: wait as long as it runs (the copy, homectl). Else, once it has run that
	                                long: SIGTERM, and SIGKILL HS_SPAWN_KILL_GRACE_USEC later, to its process
	                                group (a child with a timeout gets one of its own) */
} hs_spawn;
/* For short probes (`rsync --version`): what a program that answers at all needs, even on a loaded machine. */
#define HS_SPAWN_PROBE_TIMEOUT_SEC 10
#define HS_SPAWN_PROBE_TIMEOUT_USEC (HS_SPAWN_PROBE_TIMEOUT_SEC * UINT64_C(1000000))
#define HS_SPAWN_STR_(x) #x
#define HS_SPAWN_STR(x) HS_SPAWN_STR_(x) /* HS_SPAWN_STR(HS_SPAWN_PROBE_TIMEOUT_SEC): "10", for messages */
/* Between the SIGTERM of a timeout and the SIGKILL; also how long output is still read after the SIGKILL. */
#define HS_SPAWN_KILL_GRACE_USEC (2 * UINT64_C(1000000))
typedef struct hs_spawn_result {
	int status;                  /* exit status, 128 + signal when killed by one */
	int signal;                  /* the signal that ended it, or 0 */
	bool timed_out;              /* sp->timeout_usec passed: its group was signalled (status, signal: how the
	                                program itself ended); the caller treats it as a failure */
	char *out, *err;             /* the last 64 KiB of standard output and error (malloc'd, NUL-terminated) */
} hs_spawn_result;
/* Run sp->argv[0] with stdin from /dev/null and stdout/stderr read through pipes, and wait for it (at most
 * sp->timeout_usec, plus the grace periods, when that is set). The child sees PATH (the caller's or a default),
 * LC_ALL=C, TERM, TZ, SYSTEMD_*, FAKE_HOMECTL_* and the sanitizers' options of the caller's environment (never
 * PASSWORD, NEWPASSWORD, PIN), plus sp->env; every other descriptor is closed; it gets SIGTERM when the caller
 * dies. Returns 0 when the program ran (whatever its exit status, in *res; res->timed_out when it was stopped),
 * a negative errno when it could not be started (an exec failure is exit status 127 with the reason on its
 * stderr). Free *res with hs_spawn_result_done(). */
int hs_spawn_run(hs_ctx *ctx, const hs_spawn *sp, hs_spawn_result *res);
void hs_spawn_result_done(hs_spawn_result *res);
/* The last @max_lines non-empty lines of @text ('\n' or '\r' end a line) joined with "; " (malloc'd), leaving
 * out lines that start with @skip (may be NULL). */
char *hs_spawn_last_lines(const char *text, unsigned max_lines, const char *skip);
/* Append @argv as a shell command line (words quoted only where the shell needs it; "--opt=value" quotes the
 * value). For display: nothing built here is ever given to a shell. */
int hs_shell_quote_argv(hs_buf *b, const char *const *argv);
/* The first executable @name in $PATH (or the default PATH), malloc'd; "" when there is none; NULL on ENOMEM. */
char *hs_find_program(const char *name);

/* ---- migrate_plan.c ---- */
#define HS_MIGRATE_STEP_MAX 8
#define HS_MIGRATE_JOURNAL_VERSION 1
#define HS_MIGRATE_EMPTY_SKEL "empty-skel" /* in the working directory: homectl create --skel= */
#define HS_MIGRATE_JOURNAL_MAX (16u << 20) /* a journal larger than this is not one of ours */
/* The step ids in order (NULL-terminated). */
extern const char *const hs_migrate_step_ids[];
struct hs_migrate_plan {
	hs_migrate_info *info;        /* owned copy (hs_migrate_info_free_copy); saved is always set */
	hs_migrate_options opts;      /* owned copy */
	char *root;                   /* the context's root the plan was made under */
	char *homectl, *rsync, *self; /* the programs (host paths); self: the verifier run inside `homectl with` */
	char *workdir, *journal, *manifest;                 /* under ROOT */
	char *home_host, *saved_host, *workdir_host, *journal_host, *manifest_host; /* host paths */
	char *real_name, *storage, *fs_type;                /* what create gets (fs_type only for luks) */
	uint64_t disk_size;           /* --disk-size, 0: none */
	bool acl_option;              /* --luks-extra-mount-options=acl */
	char **rsync_flags;
	hs_migrate_step steps[HS_MIGRATE_STEP_MAX];
	size_t n_steps;
	char **strings, **notes;
};
DEFINE_CLEANUP_FUNC(hs_migrate_plan, hs_migrate_plan_free);
/* A plan from facts given directly (no preflight verdicts looked at): what hs_migrate_plan_new() does after its
 * check, what resume does with the facts its journal recorded, and what the unit tests drive. */
int hs_migrate_plan_from_info(hs_ctx *ctx, hs_migrate_plan **out, const hs_migrate_info *info,
			      const hs_migrate_options *opts);
typedef enum hs_migrate_argv_kind {
	HS_MIGRATE_ARGV_CREATE,       /* homectl create USER --uid=… */
	HS_MIGRATE_ARGV_INSPECT,      /* homectl inspect USER */
	HS_MIGRATE_ARGV_REMOVE,       /* homectl remove USER */
	HS_MIGRATE_ARGV_COPY,         /* homectl with USER -- rsync … SAVED/ . */
	HS_MIGRATE_ARGV_VERIFY,       /* homectl with USER -- homesetup verify --manifest M . */
	HS_MIGRATE_ARGV_COPY_ASIDE,   /* rsync … HOME/ SAVED/ (--copy) */
} hs_migrate_argv_kind;
/* The argv of one command of @p (@self: the verifier, NULL for the plan's). *out: free with hs_strv_free(). */
int hs_migrate_argv(const hs_migrate_plan *p, hs_migrate_argv_kind kind, const char *self, char ***out);
/* ROOT + @path ("/" root: @path itself), malloc'd. */
char *hs_migrate_host_path(const char *root, const char *path);
/* Deep copies of facts and options. */
int hs_migrate_info_dup(const hs_migrate_info *src, hs_migrate_info **out);
void hs_migrate_info_free_copy(hs_migrate_info *info);
int hs_migrate_options_dup(hs_migrate_options *dst, const hs_migrate_options *src);
void hs_migrate_options_done(hs_migrate_options *o);

/* ---- migrate_journal.c: the journal ROOT/var/lib/homesetup/migrate/USER.json ---- */
struct hs_migrate_status {
	char *relpath, *path;         /* the journal under ROOT, and its host path */
	char *workdir, *workdir_host, *manifest, *manifest_host;
	char *user, *created, *updated, *version, *run_id, *root;
	hs_migrate_info *info;        /* owned copy */
	hs_migrate_options opts;      /* owned copy */
	char *password_hash;          /* the shadow hash when the migration started */
	char *account_undo;           /* hs_accounts_remove_user()'s undo record, NULL before that step */
	char *backup_stamp;           /* of passwd.STAMP … in workdir */
	uint64_t manifest_entries, manifest_bytes;
	bool copy_verified;           /* --copy: the copy aside matched the manifest (the original may go) */
	bool rolling_back;            /* a rollback started */
	hs_migrate_step_status steps[HS_MIGRATE_STEP_MAX]; /* strings owned */
	size_t n_steps;
};
DEFINE_CLEANUP_FUNC(hs_migrate_status, hs_migrate_status_free);
/* A new journal for @plan (all steps pending) with the password hash @hash; not written yet. */
int hs_migrate_journal_new(hs_ctx *ctx, hs_migrate_status **out, const hs_migrate_plan *plan, const char *hash);
/* Parse journal text (@path names it in messages): -EBADMSG for text that is not a journal or whose checksum does
 * not match, -ESTALE for another journal version; messages say what and where. */
int hs_migrate_journal_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_migrate_status **out);
/* The journal's text, with its checksum (malloc'd). */
int hs_migrate_journal_format(const hs_migrate_status *j, char **out);
/* Write the journal atomically (fsync'd file and directory; mode 0600), stamping "updated". */
int hs_migrate_journal_save(hs_ctx *ctx, hs_migrate_status *j);
/* Set step @i's state (times and error follow) and save. */
int hs_migrate_journal_set(hs_ctx *ctx, hs_migrate_status *j, size_t i, hs_migrate_state state, const char *error);
/* Replace a malloc'd string field with a copy of @value (NULL allowed). 0 or -ENOMEM. */
int hs_migrate_set_str(char **field, const char *value);
/* The index of step @id in @j, or -1. */
int hs_migrate_journal_find(const hs_migrate_status *j, const char *id);
/* Create ROOT/var/lib/homesetup/migrate/USER (0700, parents 0755/0700). */
int hs_migrate_workdir_create(hs_ctx *ctx, const char *user);
/* "YYYY-mm-ddTHH:MM:SSZ" of now (malloc'd). */
char *hs_migrate_now(void);


/* ---- migrate_run.c, migrate_run_fs.c, migrate_run_undo.c: the executor ---- */
typedef struct hs_migrate_runner {
	hs_ctx *ctx;
	const hs_migrate_plan *plan;
	hs_migrate_status *j;
	const hs_migrate_run_options *ro;
	const char *self;             /* the verifier */
	const char *step_id;          /* the step running ("rollback" while rolling back) */
	size_t index;
	hs_progress progress;
	hs_buf out_line, err_line;    /* partial lines of a child's output */
	int lock_fd;                  /* flock on ROOT/var/lib/homesetup/migrate, -1 */
} hs_migrate_runner;
/* Take the migration lock (creating the state and working directories): -EBUSY when another run holds it. */
int hs_migrate_lock(hs_ctx *ctx, const char *user, int *fd_out);
void hs_migrate_runner_done(hs_migrate_runner *R);
/* Run one of the plan's commands; @secret ("PASSWORD", "NEWPASSWORD" or NULL) names the variable the password
 * is handed over in. */
int hs_migrate_spawn(hs_migrate_runner *R, hs_migrate_argv_kind kind, const char *secret, hs_spawn_output_fn out,
		     hs_spawn_output_fn err, hs_spawn_result *res);
/* rsync --info=progress2 output → progress events. */
void hs_migrate_rsync_out(const char *chunk, size_t len, void *userdata);
/* Does homed know the plan's user (`homectl inspect`)? 1, 0, -errno. */
int hs_migrate_homed_has_user(hs_migrate_runner *R);
void hs_migrate_note(hs_migrate_runner *R, const char *fmt, ...) _printf_(2, 3);
void hs_migrate_progress(hs_migrate_runner *R);
/* crypt(3) check of @password against @hash: 0, -EACCES, -EPERM (no usable password), -EINVAL, -ENOMEM. */
int hs_migrate_hash_check(hs_ctx *ctx, const char *user, const char *hash, const char *password);
/* Remove the tree at @path (under ROOT) without following symlinks or crossing file systems (-EBUSY at a mount
 * point); a missing path is fine. The parent directory is fsync'd. */
int hs_migrate_rm_tree(hs_ctx *ctx, const char *path);
/* Compare the metadata (and contents where both are hashed) of two manifests: *n_diff differences, *first the
 * first as "path: what" (malloc'd, NULL when none). */
int hs_migrate_tree_compare(const hs_manifest *then, const hs_manifest *now, size_t *n_diff, char **first);
/* rename(2) within one directory under ROOT, never replacing, the directory fsync'd. */
int hs_migrate_rename(hs_ctx *ctx, const char *from, const char *to);
/* 1 a directory is at @path (not following a last symlink), 0 nothing, -ENOTDIR something else, -errno. */
int hs_migrate_dir_state(hs_ctx *ctx, const char *path);
int hs_migrate_step_move_aside(hs_migrate_runner *R, bool *skipped);

#endif /* HOMESETUP_P_H */
