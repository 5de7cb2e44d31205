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


/* ---- version.c: versions built inside a caller's allocation (atoms are one malloc) ------------------- */
/* Validate s[0..len) as a version and report the bytes hs_version_init_at() needs. 0 or -EINVAL/-ENOMEM. */
int hs_version_measure(hs_ctx *ctx, const char *s, size_t len, size_t *size);
/* Build the version in mem (at least the measured size, aligned like malloc's result). The text must be the
 * one just measured. The result is not to be passed to hs_version_free(): it lives in the caller's block. */
hs_version *hs_version_init_at(void *mem, const char *s, size_t len);

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
 * the caller's euid), fsync, rename over, fsync the directory. Returns 0 when written, 1 when the file already
 * held exactly these bytes (nothing written, mtime unchanged), or a negative errno with "<path>: cannot …:
 * <strerror>; the file is unchanged" in ctx (EROFS, ENOSPC, EACCES …). Nothing is left behind on failure. */
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
/* check_build.c: check groups `use` (what emerge would build) and `vdb` (what was built and installed)  */
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
	X("vdb.pambase.files", "vdb", "pam_systemd_home.so is installed and /etc/pam.d/system-auth is pambase's, up to date") \
	X("vdb.rebuild", "vdb", "the builds match the configuration: no rebuild pending, none that would drop homed")

#endif /* HOMESETUP_P_H */
