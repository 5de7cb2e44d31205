/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file homesetup.h
 * @brief libhomesetup: the Portage model and systemd-homed readiness library behind `homesetup`.
 *
 * Conventions (see README.md and doc/libhomesetup.3):
 *  - Functions return 0 (or a documented non-negative value) on success and a negative errno on failure.
 *  - Out-parameters come first after the context; the caller owns what `_new`, `_parse` and out-parameters
 *    return and releases it with the matching `_free` (every `_free` accepts NULL). Getters lend: the returned
 *    pointer lives as long as the object it came from.
 *  - Every function that can fail on user input takes an #hs_ctx (may be NULL) and leaves a message there,
 *    retrievable with hs_ctx_last_error(). Messages name the offending token and its column (1-based) or the
 *    file and line.
 *  - The library never prints and never exits.
 */
#ifndef HOMESETUP_H
#define HOMESETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Library version, as a string ("0.1.0"). */
#define HS_VERSION_STRING "0.1.0"

/* ================================================================================================== */
/** @name Context                                                                                      */
/* ================================================================================================== */
/**@{*/

/** Opaque context: the roots everything is read under, the last error, collected warnings. Once a file was read
 *  under a root, the context keeps a close-on-exec descriptor of that root directory (closed by hs_ctx_free()
 *  or when the root is set again); not thread-safe: one context per thread. */
typedef struct hs_ctx hs_ctx;

/**
 * Create a context with ROOT "/" and PORTAGE_CONFIGROOT "/".
 * @param[out] out  receives the new context; free with hs_ctx_free().
 * @return 0, or -ENOMEM.
 */
int hs_ctx_new(hs_ctx **out);

/** Free a context (NULL is accepted). */
void hs_ctx_free(hs_ctx *ctx);

/**
 * Set ROOT: where the installed-package database and the live system files are read.
 * @param ctx   the context.
 * @param root  a directory path; NULL or "" means "/". It is normalised (no trailing slash except for "/").
 * @return 0, -ENOMEM, or -EINVAL for a relative path that cannot be made absolute.
 */
int hs_ctx_set_root(hs_ctx *ctx, const char *root);

/**
 * Set PORTAGE_CONFIGROOT: where etc/portage is read. Defaults to ROOT when never set.
 * @return 0, -ENOMEM or -EINVAL.
 */
int hs_ctx_set_config_root(hs_ctx *ctx, const char *config_root);

/** ROOT as set (lent; never NULL). */
const char *hs_ctx_get_root(const hs_ctx *ctx);

/** PORTAGE_CONFIGROOT as set, or ROOT when never set (lent; never NULL). */
const char *hs_ctx_get_config_root(const hs_ctx *ctx);

/**
 * The message of the last failure recorded in @p ctx (lent; valid until the next failing call on the same
 * context), or "" when none. Calls that succeed do not clear it.
 */
const char *hs_ctx_last_error(const hs_ctx *ctx);

/** The negative errno of the last failure recorded in @p ctx, or 0. */
int hs_ctx_last_errno(const hs_ctx *ctx);

/** Forget the last error. */
void hs_ctx_clear_error(hs_ctx *ctx);

/** Number of warnings collected since the context was created or hs_ctx_clear_warnings() was called. */
size_t hs_ctx_warning_count(const hs_ctx *ctx);

/** Warning @p i (lent), in the order they were collected, or NULL when out of range. */
const char *hs_ctx_warning(const hs_ctx *ctx, size_t i);

/** Drop all collected warnings. */
void hs_ctx_clear_warnings(hs_ctx *ctx);

/**@}*/

/* ================================================================================================== */
/** @name Versions (PMS "Version comparison"; Portage's vercmp)                                        */
/* ================================================================================================== */
/**@{*/

/** Opaque parsed version. Numbers of any length are kept as text and compared without overflow. */
typedef struct hs_version hs_version;

/**
 * Parse a PMS version such as `1.2.3b_rc2_p1-r4`.
 * @param ctx  for the error message (may be NULL).
 * @param[out] out  the version; free with hs_version_free().
 * @param s    the text (need not be NUL-terminated).
 * @param len  its length in bytes.
 * @return 0, -EINVAL (message names the offending part and column) or -ENOMEM.
 */
int hs_version_parse(hs_ctx *ctx, hs_version **out, const char *s, size_t len);

/** Free a version (NULL is accepted). */
void hs_version_free(hs_version *v);

/**
 * Compare two parsed versions per PMS.
 * @return <0, 0 or >0 as @p a is lower than, equal to or greater than @p b. Never allocates.
 */
int hs_version_compare(const hs_version *a, const hs_version *b);

/** Like hs_version_compare() but ignoring the revisions (what the `~` operator needs). */
int hs_version_compare_norev(const hs_version *a, const hs_version *b);

/**
 * Compare two version strings without building objects (no allocation).
 * @param[out] result  <0, 0 or >0.
 * @return 0, or -EINVAL if either string is not a valid version (message in @p ctx says which).
 */
int hs_vercmp(hs_ctx *ctx, const char *a, size_t alen, const char *b, size_t blen, int *result);

/**
 * `=ver*` matching: does @p v start with the version @p prefix as Portage's match_from_list() decides it
 * (a textual prefix after dropping the first number's leading zeros, ending on a boundary between version
 * parts since Portage bug 560466: `=1.2*` matches 1.2, 1.2.3, 1.2a, 1.2_rc1 and 1.2-r1 but not 1.20; the
 * prefix's revision, if any, must match as text: `=1-r1*` matches 1-r1 but not 1-r11)?
 * @return true or false.
 */
bool hs_version_match_glob(const hs_version *prefix, const hs_version *v);

/** The version as written (lent). */
const char *hs_version_str(const hs_version *v);

/** The revision as written without `-r` ("" when absent; lent). */
const char *hs_version_revision(const hs_version *v);

/** The version without its `-rN` suffix (lent). */
const char *hs_version_str_norev(const hs_version *v);

/**@}*/

/* ================================================================================================== */
/** @name USE-flag sets                                                                               */
/* ================================================================================================== */
/**@{*/

/** Opaque set of USE-flag names, iterated in byte order. */
typedef struct hs_useset hs_useset;

/** Create an empty set. @return 0 or -ENOMEM. */
int hs_useset_new(hs_useset **out);

/** Free a set (NULL is accepted). */
void hs_useset_free(hs_useset *set);

/** A copy of @p set. @return 0 or -ENOMEM. */
int hs_useset_dup(hs_useset **out, const hs_useset *set);

/** Add a flag (no validation). @return 1 if added, 0 if it was there, -ENOMEM. */
int hs_useset_add(hs_useset *set, const char *flag, size_t len);

/** Remove a flag. @return 1 if removed, 0 if it was absent. */
int hs_useset_remove(hs_useset *set, const char *flag, size_t len);

/** Remove every flag. */
void hs_useset_clear(hs_useset *set);

/** Is @p flag in the set? */
bool hs_useset_has(const hs_useset *set, const char *flag, size_t len);

/** Number of flags. */
size_t hs_useset_count(const hs_useset *set);

/** Flag @p i in byte order (lent; NULL when out of range). */
const char *hs_useset_get(const hs_useset *set, size_t i);

/**
 * Add every flag of a whitespace-separated list (no incremental operators).
 * @return 0, -ENOMEM.
 */
int hs_useset_add_list(hs_useset *set, const char *list, size_t len);

/**
 * Render the set as one space-separated string in byte order.
 * @param[out] out  malloc'd string; the caller frees it.
 * @return 0 or -ENOMEM.
 */
int hs_useset_join(const hs_useset *set, char **out);

/** Keep only the flags that are also in @p filter (IUSE_EFFECTIVE filtering). */
void hs_useset_intersect(hs_useset *set, const hs_useset *filter);

/** Remove every flag that is in @p other (e.g. apply use.mask). */
void hs_useset_subtract(hs_useset *set, const hs_useset *other);

/** Add every flag of @p other (e.g. apply use.force). @return 0 or -ENOMEM. */
int hs_useset_union(hs_useset *set, const hs_useset *other);

/**
 * Apply one incremental token the way Portage stacks USE layers:
 *  - `-*` clears the set;
 *  - `-prefix_*` removes every flag starting with `prefix_`;
 *  - `-flag` removes the flag;
 *  - `prefix_*` adds every flag of @p iuse (may be NULL) starting with `prefix_`;
 *  - `flag` adds it; a leading `+` is tolerated (Portage warns "USE flags should not start with a '+'") and a
 *    warning is collected in @p ctx.
 * @return 0, -EINVAL for an empty token or a lone `-`, -ENOMEM.
 */
int hs_useset_apply_token(hs_ctx *ctx, hs_useset *set, const char *tok, size_t len, const hs_useset *iuse);

/**
 * Apply every whitespace-separated token of @p list with hs_useset_apply_token().
 * @return 0 or the first error (the tokens before it stay applied; the message names its column).
 */
int hs_useset_apply_list(hs_ctx *ctx, hs_useset *set, const char *list, size_t len, const hs_useset *iuse);

/**
 * Expand the flags part of a package.use line into incremental tokens, the way Portage does: a token ending in
 * `:` (e.g. `PYTHON_TARGETS:`) sets the prefix `python_targets_` for the rest of the line, so `-*` becomes
 * `-python_targets_*` and `x` becomes `python_targets_x`. Tokens from one starting with `#` on are a comment.
 * @param[out] out  receives a NULL-terminated, malloc'd vector of malloc'd strings; free with hs_strv_free().
 * @return 0, -EINVAL (a lone `:`; message names the column) or -ENOMEM.
 */
int hs_use_tokens_expand(hs_ctx *ctx, char ***out, const char *flags, size_t len);

/** Free a NULL-terminated vector of strings returned by the library (NULL is accepted). */
void hs_strv_free(char **strv);

/** Is @p flag a valid USE-flag name per PMS (`[A-Za-z0-9][A-Za-z0-9+_@-]*`)? */
bool hs_use_flag_valid(const char *flag, size_t len);

/** Opaque parsed IUSE: flags with their `+`/`-` defaults. */
typedef struct hs_iuse hs_iuse;

/**
 * Parse an IUSE string (`acl +openssl -test`).
 * @return 0, -EINVAL (invalid flag name: message names it and its column) or -ENOMEM.
 */
int hs_iuse_parse(hs_ctx *ctx, hs_iuse **out, const char *s, size_t len);

/** Free an IUSE (NULL is accepted). */
void hs_iuse_free(hs_iuse *iuse);

/** The flag names without defaults (lent; what IUSE_EFFECTIVE starts from). */
const hs_useset *hs_iuse_flags(const hs_iuse *iuse);

/**
 * The IUSE defaults as incremental tokens in IUSE order (`+a -b` → "a -b"), Portage's `pkginternal` layer.
 * @param[out] out  malloc'd string; the caller frees it.
 * @return 0 or -ENOMEM.
 */
int hs_iuse_defaults(const hs_iuse *iuse, char **out);

/** The default of @p flag: 1 for `+flag`, -1 for `-flag`, 0 for no default, -ENOENT when not in IUSE. */
int hs_iuse_default_of(const hs_iuse *iuse, const char *flag, size_t len);

/**@}*/

/* ================================================================================================== */
/** @name Atoms (PMS EAPI 8 package dependency specifications, plus Portage's user-config extensions)  */
/* ================================================================================================== */
/**@{*/

/** Opaque parsed atom (one allocation). */
typedef struct hs_atom hs_atom;

/** Flags for hs_atom_parse(). */
enum hs_atom_flags {
	HS_ATOM_PMS = 0,                 /**< plain PMS EAPI 8 dependency atom */
	HS_ATOM_ALLOW_REPO = 1u << 0,    /**< accept `::repo` (Portage extension) */
	HS_ATOM_ALLOW_WILDCARD = 1u << 1,/**< accept `*` in category/package/version as package.use does */
	HS_ATOM_NO_USE = 1u << 2,        /**< reject `[use]` deps (user config: "not allowed to have USE flag(s)") */
	HS_ATOM_NO_BLOCKER = 1u << 3,    /**< reject `!`/`!!` */
	HS_ATOM_CPV = 1u << 4,           /**< parse a bare `cat/pkg-ver` (no operator) as an exact version */
	HS_ATOM_USER_CONFIG = HS_ATOM_ALLOW_REPO | HS_ATOM_ALLOW_WILDCARD | HS_ATOM_NO_USE | HS_ATOM_NO_BLOCKER,
};

/** Version operators. */
typedef enum hs_atom_op {
	HS_OP_NONE = 0, /**< unversioned */
	HS_OP_LT,       /**< `<`  */
	HS_OP_LE,       /**< `<=` */
	HS_OP_EQ,       /**< `=`  */
	HS_OP_GLOB,     /**< `=ver*` */
	HS_OP_APPROX,   /**< `~`  */
	HS_OP_GE,       /**< `>=` */
	HS_OP_GT,       /**< `>`  */
} hs_atom_op;

/** Blockers. */
typedef enum hs_blocker {
	HS_BLOCK_NONE = 0, /**< none */
	HS_BLOCK_WEAK,     /**< `!`  */
	HS_BLOCK_STRONG,   /**< `!!` */
} hs_blocker;

/** Slot operators. */
typedef enum hs_slot_op {
	HS_SLOT_OP_NONE = 0, /**< none */
	HS_SLOT_OP_STAR,     /**< `:*` */
	HS_SLOT_OP_EQUAL,    /**< `:=` or `:slot=` */
} hs_slot_op;

/** Kinds of USE dependency (`[a]`, `[-a]`, `[a=]`, `[!a=]`, `[a?]`, `[!a?]`). */
typedef enum hs_usedep_kind {
	HS_USEDEP_ENABLED = 0,  /**< `a`   */
	HS_USEDEP_DISABLED,     /**< `-a`  */
	HS_USEDEP_EQUAL,        /**< `a=`  */
	HS_USEDEP_NOT_EQUAL,    /**< `!a=` */
	HS_USEDEP_IF_ENABLED,   /**< `a?`  */
	HS_USEDEP_IF_DISABLED,  /**< `!a?` */
} hs_usedep_kind;

/** USE-dependency defaults (`(+)`, `(-)`). */
typedef enum hs_usedep_default {
	HS_USEDEP_DEFAULT_NONE = 0, /**< none */
	HS_USEDEP_DEFAULT_ON,       /**< `(+)` */
	HS_USEDEP_DEFAULT_OFF,      /**< `(-)` */
} hs_usedep_default;

/** One USE dependency of an atom (lent from the atom). */
typedef struct hs_usedep {
	const char *flag;             /**< the flag name */
	hs_usedep_kind kind;          /**< which form */
	hs_usedep_default dflt;       /**< `(+)`/`(-)` */
} hs_usedep;

/**
 * Parse an atom.
 * @param ctx   for the message (may be NULL).
 * @param[out] out  the atom; free with hs_atom_free().
 * @param s, len    the text.
 * @param flags     a combination of #hs_atom_flags.
 * @return 0; -EINVAL with a message naming the offending part and its column; -ENOMEM.
 * @see hs_atom_parse_into() to parse many atoms without keeping them (no allocation per atom).
 */
int hs_atom_parse(hs_ctx *ctx, hs_atom **out, const char *s, size_t len, unsigned flags);

/** Free an atom (NULL is accepted). */
void hs_atom_free(hs_atom *atom);

/**
 * Opaque storage that hs_atom_parse_into() reuses from one atom to the next, for callers that parse many atoms
 * one after the other and keep none (checking a file, answering `homesetup atom --batch`, matching a list):
 * parsing into it allocates only while it grows to the largest atom seen. Not thread-safe: one per thread.
 */
typedef struct hs_atom_buf hs_atom_buf;

/**
 * Create an empty atom buffer (it allocates on its first use).
 * @param[out] out  the buffer; free with hs_atom_buf_free().
 * @return 0 or -ENOMEM.
 */
int hs_atom_buf_new(hs_atom_buf **out);

/** Free an atom buffer and the atom last parsed into it (NULL is accepted). */
void hs_atom_buf_free(hs_atom_buf *buf);

/**
 * Parse an atom into @p buf, replacing the atom parsed into it before: the same checks, results and messages
 * as hs_atom_parse(), without an allocation once the buffer has held an atom as large.
 * @param ctx        for the message (may be NULL).
 * @param[out] out   the atom, lent from @p buf: valid until the next hs_atom_parse_into() or
 *                   hs_atom_buf_free() on the same buffer; never pass it to hs_atom_free(). NULL on error.
 * @param buf        from hs_atom_buf_new(); after an error (the atom parsed before is then gone) it stays usable.
 * @param s, len     the text (need not be NUL-terminated).
 * @param flags      a combination of #hs_atom_flags.
 * @return 0; -EINVAL with a message naming the offending part and its column; -ENOMEM.
 */
int hs_atom_parse_into(hs_ctx *ctx, const hs_atom **out, hs_atom_buf *buf, const char *s, size_t len,
		       unsigned flags);

/** Blocker. */
hs_blocker hs_atom_blocker(const hs_atom *atom);
/** Operator. */
hs_atom_op hs_atom_op_get(const hs_atom *atom);
/** Category (lent; may contain `*` for wildcard atoms). */
const char *hs_atom_category(const hs_atom *atom);
/** Package name (lent). */
const char *hs_atom_package(const hs_atom *atom);
/** Version, or NULL when unversioned (lent). */
const hs_version *hs_atom_version(const hs_atom *atom);
/** Slot, or NULL (lent). */
const char *hs_atom_slot(const hs_atom *atom);
/** Sub-slot, or NULL (lent). */
const char *hs_atom_subslot(const hs_atom *atom);
/** Slot operator. */
hs_slot_op hs_atom_slot_op(const hs_atom *atom);
/** Repository, or NULL (lent). */
const char *hs_atom_repo(const hs_atom *atom);
/** Number of USE dependencies. */
size_t hs_atom_usedep_count(const hs_atom *atom);
/** USE dependency @p i in the order written (lent), or NULL. */
const hs_usedep *hs_atom_usedep(const hs_atom *atom, size_t i);
/** Does the atom contain a `*` wildcard in its category, package or version (other than `=ver*`)? */
bool hs_atom_is_wildcard(const hs_atom *atom);

/**
 * Canonical text of the atom (what was parsed, normalised: USE deps as written, in order).
 * @param[out] out  malloc'd string.
 * @return 0 or -ENOMEM.
 */
int hs_atom_format(const hs_atom *atom, char **out);

/** `category/package` of the atom (malloc'd into @p out). @return 0 or -ENOMEM. */
int hs_atom_cp(const hs_atom *atom, char **out);

/**
 * A total order over atoms (category, package, version, operator, blocker, slot, subslot, slot operator, USE
 * deps, repository), as pkgcraft's conformance data expects. @return <0, 0, >0.
 */
int hs_atom_compare(const hs_atom *a, const hs_atom *b);

/**
 * Can some package match both atoms (category, package, version ranges, slots, repositories, contradictory
 * USE deps)? @return true or false.
 */
bool hs_atom_intersects(const hs_atom *a, const hs_atom *b);

/** A description of one package (installed or available), used to match atoms against it. */
typedef struct hs_pkg_info {
	const char *category;        /**< required */
	const char *package;         /**< required */
	const hs_version *version;   /**< required for versioned atoms */
	const char *slot;            /**< NULL: unknown (slot deps then do not match) */
	const char *subslot;         /**< NULL: same as slot */
	const char *repo;            /**< NULL: unknown (repo deps then do not match) */
	const hs_useset *use;        /**< enabled USE, for USE deps; NULL: USE deps are not checked */
	const hs_useset *iuse;       /**< IUSE_EFFECTIVE, for `(+)`/`(-)` defaults; NULL: every flag is in IUSE */
} hs_pkg_info;

/**
 * Does @p atom match @p pkg? Blockers are ignored (the atom is matched as if unblocked); conditional USE deps
 * (`a?`, `a=`…) are not evaluated (they need the depending package's USE) and count as matching.
 * @return 1 match, 0 no match.
 */
int hs_atom_match(const hs_atom *atom, const hs_pkg_info *pkg);

/**
 * The specificity Portage gives @p atom when ordering package.use entries that match @p pkg
 * (`portage.dep.best_match_to_list`): `=cpv` 6, `~cpv` 5, `=cpv*` 4, `cp:slot` 3, `> < >= <=` 2,
 * plain `cp` 1, extended `=…*` 0, extended with a slot -1, other extended (wildcard) -2.
 * @return the specificity.
 */
int hs_atom_specificity(const hs_atom *atom);

/**@}*/

/* ================================================================================================== */
/** @name REQUIRED_USE                                                                                */
/* ================================================================================================== */
/**@{*/

/** Opaque parsed REQUIRED_USE expression. */
typedef struct hs_requse hs_requse;

/**
 * Parse a REQUIRED_USE string (`||`, `^^`, `??`, `flag? ( )`, `!flag? ( )`, groups, nesting up to 256 levels).
 * @param eapi  the EAPI as an integer (0..8; higher is treated as 8; negative is -EINVAL). `??` needs EAPI >= 5;
 *              from EAPI 7 on an empty `|| ( )` or `^^ ( )` is false.
 * @return 0, -EINVAL (message names the token and its column), -ENOMEM. On failure *out is NULL.
 */
int hs_requse_parse(hs_ctx *ctx, hs_requse **out, const char *s, size_t len, int eapi);

/** Free (NULL is accepted). */
void hs_requse_free(hs_requse *r);

/**
 * Every flag the expression names, once each, in byte order.
 * @param[out] out  a new set; the caller frees it.
 * @return 0 or -ENOMEM.
 */
int hs_requse_flags(const hs_requse *r, hs_useset **out);

/**
 * Evaluate against enabled @p use and @p iuse (IUSE_EFFECTIVE; NULL: not checked).
 * @return 1 satisfied, 0 not, -EINVAL when a flag is not in IUSE (message: "USE flag 'x' is not in IUSE").
 */
int hs_requse_check(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse);

/** Forms of rendering. */
typedef enum hs_requse_style {
	HS_REQUSE_RAW = 0,    /**< `|| ( a b )`, as ebuilds write it and `ebuild` prints it */
	HS_REQUSE_HUMAN,      /**< `any-of ( a b )`, `exactly-one-of`, `at-most-one-of`, as emerge prints it */
} hs_requse_style;

/**
 * The unsatisfied part of the expression ("reduced noise"), as Portage's check_required_use().tounicode()
 * renders it: satisfied constraints dropped, single-child groups collapsed. "" exactly when satisfied (Portage's
 * tree may keep noise for a satisfied expression; emerge never prints it). Where Portage's rendering would be
 * empty for an unsatisfied expression (a `||`/`^^` left empty by inactive conditionals, EAPI >= 7), the
 * unsatisfied top-level constraints are rendered as written instead.
 * @param[out] out  malloc'd string.
 * @return 0, -EINVAL (flag not in IUSE), -ENOMEM.
 */
int hs_requse_reduce(hs_ctx *ctx, const hs_requse *r, const hs_useset *use, const hs_useset *iuse,
		     hs_requse_style style, char **out);

/**
 * The whole expression normalised (single spaces) in the chosen style. @return 0 or -ENOMEM.
 */
int hs_requse_format(const hs_requse *r, hs_requse_style style, char **out);

/** One flag change proposed by hs_requse_solve(). */
typedef struct hs_requse_change {
	const char *flag;     /**< the flag */
	bool enable;          /**< true: turn on; false: turn off */
	const char *reason;   /**< the constraint that needs it, e.g. "homed? ( cryptsetup pam openssl )" */
} hs_requse_change;

/** Opaque result of hs_requse_solve(). */
typedef struct hs_requse_solution hs_requse_solution;

/**
 * Find the smallest set of flag changes that, together with the caller's requirements, satisfies the whole
 * expression. Only flags the expression names change, never wanted or pinned ones. Among equally small sets the
 * one enabling most flags wins, then the one whose sorted flag names come first in byte order. Each change's
 * reason is the smallest top-level constraint it helps satisfy ("requested" for the caller's own changes).
 *
 * The search is exact (a satisfiability check, then an iterative-deepening search branching on the flags of the
 * first unsatisfied constraint) within a budget of 5 million node evaluations (about 0.2 s); past it the result
 * is a greedy repair (or the satisfiability witness, whichever changes fewer flags): valid, but not necessarily
 * smallest. Real REQUIRED_USE (systemd-260.1: 25 free flags) is solved exactly in well under a millisecond.
 * @param ctx       for the message when impossible.
 * @param[out] out  the solution; free with hs_requse_solution_free().
 * @param r         the expression.
 * @param use       the current enabled USE.
 * @param iuse      IUSE_EFFECTIVE (NULL: every flag named may change).
 * @param want_on   flags the caller requires on (may be NULL).
 * @param want_off  flags the caller requires off (may be NULL).
 * @param pinned    flags that must keep their current state (masked/forced flags; may be NULL).
 * @return 0; -EDOM when no assignment exists (message says why, naming a minimal set of top-level
 *         constraints that cannot hold together and the pinned flags among them, e.g. "cannot enable 'homed':
 *         homed? ( !pam_krb5 ) cannot be satisfied: pam_krb5 is pinned", or that the search limit was reached);
 *         -EINVAL (a flag not in IUSE, or required both on and off); -ENOMEM. On failure *out is NULL.
 */
int hs_requse_solve(hs_ctx *ctx, hs_requse_solution **out, const hs_requse *r, const hs_useset *use,
		    const hs_useset *iuse, const hs_useset *want_on, const hs_useset *want_off,
		    const hs_useset *pinned);

/** Free a solution (NULL is accepted). */
void hs_requse_solution_free(hs_requse_solution *s);

/** Number of changes (the caller's own requirements included, when they change a flag). */
size_t hs_requse_solution_count(const hs_requse_solution *s);

/** Change @p i (lent), in the order: caller's requirements first, then the rest in byte order. */
const hs_requse_change *hs_requse_solution_get(const hs_requse_solution *s, size_t i);

/** The USE set after applying the solution (lent). */
const hs_useset *hs_requse_solution_use(const hs_requse_solution *s);

/**@}*/


/* ================================================================================================== */
/** @name Installed packages (the VDB, ${ROOT}/var/db/pkg)                                            */
/* ================================================================================================== */
/**@{*/

/** Opaque installed package (one directory of the VDB). */
typedef struct hs_installed hs_installed;

/**
 * Find the installed packages matching @p atom (NULL: every installed package), read under ROOT. Entries
 * named `-MERGING-*`, dot entries, `CVS` and `lost+found` are skipped as Portage does.
 * @param[out] out  a malloc'd array of @p n_out packages sorted by category, package, version;
 *                  free with hs_installed_list_free().
 * @return 0 (also when none match), -EIO/-EACCES with a message naming the path, -ENOMEM.
 */
int hs_vdb_find(hs_ctx *ctx, hs_installed ***out, size_t *n_out, const hs_atom *atom);

/** Free one installed package (NULL is accepted). */
void hs_installed_free(hs_installed *pkg);

/** Free an array returned by hs_vdb_find() and its packages. */
void hs_installed_list_free(hs_installed **list, size_t n);

/** `category/PF`, e.g. "sys-apps/systemd-260.1-r1" (lent). */
const char *hs_installed_cpv(const hs_installed *pkg);
/** Category (lent). */
const char *hs_installed_category(const hs_installed *pkg);
/** Package name without version (lent). */
const char *hs_installed_package(const hs_installed *pkg);
/** Version (lent). */
const hs_version *hs_installed_version(const hs_installed *pkg);
/** SLOT without sub-slot (lent; "0" when the VDB has none). */
const char *hs_installed_slot(const hs_installed *pkg);
/** Sub-slot (lent; equals the slot when none). */
const char *hs_installed_subslot(const hs_installed *pkg);
/** Repository it came from (lent; "" when unknown). */
const char *hs_installed_repo(const hs_installed *pkg);
/** EAPI (lent; "0" when the VDB has none, as Portage defaults). */
const char *hs_installed_eapi(const hs_installed *pkg);
/** USE it was built with, i.e. PORTAGE_USE (lent). */
const hs_useset *hs_installed_use(const hs_installed *pkg);
/** IUSE as recorded, with `+`/`-` defaults (lent; "" when none). */
const char *hs_installed_iuse(const hs_installed *pkg);
/** IUSE_EFFECTIVE when recorded (EAPI >= 5), else NULL (lent). */
const hs_useset *hs_installed_iuse_effective(const hs_installed *pkg);
/** The package.use flags that applied (PKGUSE; lent; "" when none). */
const char *hs_installed_pkguse(const hs_installed *pkg);
/** KEYWORDS (lent; "" when none). */
const char *hs_installed_keywords(const hs_installed *pkg);
/** The VDB directory, relative to ROOT (e.g. "/var/db/pkg/sys-apps/systemd-260.1"; lent). */
const char *hs_installed_path(const hs_installed *pkg);

/** Kinds of CONTENTS entries. */
typedef enum hs_contents_type {
	HS_CONTENTS_DIR = 0, /**< `dir` */
	HS_CONTENTS_OBJ,     /**< `obj` (regular file, with md5 and mtime) */
	HS_CONTENTS_SYM,     /**< `sym` (with target and mtime) */
	HS_CONTENTS_FIF,     /**< `fif` */
	HS_CONTENTS_DEV,     /**< `dev` */
} hs_contents_type;

/** One CONTENTS line (lent from its package). */
typedef struct hs_contents_entry {
	hs_contents_type type;  /**< kind */
	const char *path;       /**< absolute path as recorded (includes EPREFIX, not ROOT; may contain spaces) */
	const char *md5;        /**< `obj`: md5 hex; else NULL */
	const char *target;     /**< `sym`: link target; else NULL */
	int64_t mtime;          /**< `obj`/`sym`: mtime; else 0 */
} hs_contents_entry;

/**
 * Read the package's CONTENTS (lazily, once). Malformed lines are skipped with a warning naming file and line.
 * @param[out] n_out  number of entries.
 * @return 0, -ENOENT (no CONTENTS), -EIO, -ENOMEM.
 */
int hs_installed_contents(hs_ctx *ctx, hs_installed *pkg, size_t *n_out);

/** Entry @p i of a CONTENTS read with hs_installed_contents() (lent), or NULL. */
const hs_contents_entry *hs_installed_contents_get(const hs_installed *pkg, size_t i);

/** Find @p path (absolute, as CONTENTS records it) in the CONTENTS; NULL when absent or not read. */
const hs_contents_entry *hs_installed_contents_find(const hs_installed *pkg, const char *path);

/**@}*/

/* ================================================================================================== */
/** @name Portage configuration and effective USE                                                     */
/* ================================================================================================== */
/**@{*/

/** Opaque snapshot of Portage's configuration under a context's roots. */
typedef struct hs_portage hs_portage;

/**
 * Read Portage's configuration the way Portage does: make.globals-equivalent defaults, the profile stack
 * (make.profile and /etc/portage/profile), make.conf (file or directory, /etc/make.conf too), repos.conf,
 * package.use, package.accept_keywords, package.mask/unmask, and the process environment's USE-related
 * variables when @p use_env is true. Problems Portage tolerates become warnings in @p ctx.
 * @param[out] out  the configuration; free with hs_portage_free().
 * @return 0; -EINVAL (a file Portage would reject; message `file:line: …` in Portage's wording); -ENOENT
 *         (no profile); -EIO/-EACCES; -ENOMEM.
 */
int hs_portage_load(hs_ctx *ctx, hs_portage **out, bool use_env);

/** Free (NULL is accepted). */
void hs_portage_free(hs_portage *p);

/** Number of profile nodes in stacking order (parents first, /etc/portage/profile last). */
size_t hs_portage_profile_count(const hs_portage *p);

/** Profile node @p i as a path inside PORTAGE_CONFIGROOT (lent), e.g. "/var/db/repos/gentoo/profiles/base". */
const char *hs_portage_profile(const hs_portage *p, size_t i);

/**
 * A configuration variable as Portage's final config sees it (profile make.defaults, make.conf, environment
 * when enabled): "ARCH", "ACCEPT_KEYWORDS", "USE_EXPAND", "USE" (the make.conf layer) … (lent; NULL if unset).
 */
const char *hs_portage_var(const hs_portage *p, const char *name);

/** Opaque effective-USE result for one package version. */
typedef struct hs_pkg_use hs_pkg_use;

/** Flags for hs_portage_effective_use(). */
enum hs_effective_flags {
	HS_EFFECTIVE_DEFAULT = 0,       /**< the highest visible version (keywords, masks) */
	HS_EFFECTIVE_ANY_VISIBLE = 1u << 0, /**< ignore keywords and masks: the highest version that matches */
};

/**
 * Compute the USE Portage would build @p atom with: the highest visible version in the repositories that
 * matches the atom (a plain `cat/pkg` or any atom), its IUSE and REQUIRED_USE from the repository metadata,
 * the USE_ORDER layers, IUSE defaults, forces and masks, filtered to IUSE_EFFECTIVE, with the provenance of
 * every IUSE flag.
 * @param[out] out  the result; free with hs_pkg_use_free().
 * @return 0; -ENOENT (no such package, or no visible version: message says which and why); -EINVAL; -ENOMEM.
 */
int hs_portage_effective_use(hs_portage *p, hs_pkg_use **out, const hs_atom *atom, unsigned flags);

/** Free (NULL is accepted). */
void hs_pkg_use_free(hs_pkg_use *u);

/** `category/PF` of the version that would be built (lent). */
const char *hs_pkg_use_cpv(const hs_pkg_use *u);
/** SLOT as in the metadata, e.g. "0/2" (lent). */
const char *hs_pkg_use_slot(const hs_pkg_use *u);
/** Repository name (lent). */
const char *hs_pkg_use_repo(const hs_pkg_use *u);
/** EAPI (lent). */
const char *hs_pkg_use_eapi(const hs_pkg_use *u);
/** Is the version stable-keyworded for ARCH (so `*.stable.*` profile files apply)? */
bool hs_pkg_use_stable(const hs_pkg_use *u);
/** IUSE flags that end up on (lent). */
const hs_useset *hs_pkg_use_enabled(const hs_pkg_use *u);
/** IUSE flags that end up off (lent). */
const hs_useset *hs_pkg_use_disabled(const hs_pkg_use *u);
/** USE as the ebuild sees it (PORTAGE_USE: implicit flags such as ARCH, elibc_*, kernel_* included; lent). */
const hs_useset *hs_pkg_use_portage_use(const hs_pkg_use *u);
/** IUSE_EFFECTIVE (lent). */
const hs_useset *hs_pkg_use_iuse_effective(const hs_pkg_use *u);
/** IUSE flags masked by the profiles (lent). */
const hs_useset *hs_pkg_use_masked(const hs_pkg_use *u);
/** IUSE flags forced by the profiles (lent). */
const hs_useset *hs_pkg_use_forced(const hs_pkg_use *u);
/** The raw IUSE string from the metadata (lent). */
const char *hs_pkg_use_iuse(const hs_pkg_use *u);
/** The REQUIRED_USE string from the metadata (lent; "" when none). */
const char *hs_pkg_use_required_use(const hs_pkg_use *u);

/** Where a flag's final state came from. */
typedef struct hs_flag_origin {
	const char *flag;     /**< the IUSE flag */
	bool enabled;         /**< its final state */
	const char *layer;    /**< USE_ORDER layer that set it last: "env", "pkg", "conf", "defaults",
	                           "pkginternal", "features", "repo", "env.d"; or "none" (never set) */
	const char *file;     /**< file inside its root that set it (NULL for "pkginternal"/"none"/"env") */
	unsigned line;        /**< its line (0 when not applicable) */
	const char *token;    /**< the token as written there (`-*`, `-homed`, `python_targets_*` …; lent) */
	bool masked;          /**< a profile use.mask turned it off */
	bool forced;          /**< a profile use.force turned it on */
	const char *mask_file;  /**< the mask/force file and line that decided, or NULL */
	unsigned mask_line;     /**< its line */
} hs_flag_origin;

/** Number of IUSE_EFFECTIVE flags described (all of them, byte order). */
size_t hs_pkg_use_origin_count(const hs_pkg_use *u);
/** Origin @p i (lent), or NULL. */
const hs_flag_origin *hs_pkg_use_origin(const hs_pkg_use *u, size_t i);
/** Origin of @p flag (lent), or NULL when it is not in IUSE_EFFECTIVE. */
const hs_flag_origin *hs_pkg_use_origin_of(const hs_pkg_use *u, const char *flag);

/** Is REQUIRED_USE satisfied by the enabled flags? 1 yes, 0 no, negative errno when it cannot be evaluated. */
int hs_pkg_use_required_use_ok(const hs_pkg_use *u);
/** The unsatisfied part as emerge prints it (reduced; @p style raw or human). "" when satisfied (lent). */
const char *hs_pkg_use_required_use_unsatisfied(const hs_pkg_use *u, hs_requse_style style);

/**@}*/

/* ================================================================================================== */
/** @name Edits: byte-range replacements on one file, shown as a unified diff, committed atomically    */
/* ================================================================================================== */
/**@{*/

/** Opaque edit of one file: the bytes it was planned against and a list of replacements. */
typedef struct hs_edit hs_edit;

/** Which root the path of an edited file is inside. */
typedef enum hs_edit_root {
	HS_EDIT_ROOT = 0,        /**< ROOT (the system's /etc …) */
	HS_EDIT_CONFIG_ROOT,     /**< PORTAGE_CONFIGROOT (etc/portage …) */
} hs_edit_root;

/** Flags for hs_edit_commit(). */
enum hs_edit_flags {
	HS_EDIT_BACKUP = 1u << 0, /**< keep the old file as a hard link `<file>.homesetup-<UTC time>~` (Portage skips
	                               names ending in `~`, so a backup inside package.use/ is never read) */
};

/**
 * Start an edit of @p path (absolute, inside the chosen root; symlinks are followed inside it) by reading its
 * current bytes. A missing file is an empty one that the edit creates.
 * @param ctx  kept by the edit for messages and roots: it must outlive the edit.
 * @param[out] out  the edit; free with hs_edit_free().
 * @return 0; -EISDIR, -EINVAL (not a regular file), -EFBIG (over 64 MiB), -EACCES, -EIO with a message naming
 *         the path; -ENOMEM.
 */
int hs_edit_new(hs_ctx *ctx, hs_edit **out, hs_edit_root where, const char *path);

/**
 * Start an edit from bytes the caller already read (the parser's input), so that hs_edit_commit() refuses
 * when the file changed since. @p buf NULL means "the file did not exist".
 * @return 0, -EINVAL (relative path), -ENOMEM.
 */
int hs_edit_new_from_buf(hs_ctx *ctx, hs_edit **out, hs_edit_root where, const char *path, const char *buf,
			 size_t len);

/** Free an edit (NULL is accepted). */
void hs_edit_free(hs_edit *edit);

/** The path as given (lent). */
const char *hs_edit_path(const hs_edit *edit);

/** The bytes the edit is planned against (lent; "" for a missing file); @p len receives their length. */
const char *hs_edit_original(const hs_edit *edit, size_t *len);

/** Did the file exist when the edit was started? */
bool hs_edit_file_exists(const hs_edit *edit);

/**
 * Replace original bytes [@p offset, @p offset + @p len) by the NUL-terminated @p text. Offsets always refer to
 * the original bytes. Replacements may not overlap; insertions at the same offset apply in the order added.
 * @return 0; -EINVAL (range outside the file, overlapping an earlier replacement, or the edit deletes the
 *         file; the message names both ranges); -ENOMEM.
 */
int hs_edit_replace(hs_edit *edit, size_t offset, size_t len, const char *text);

/** Insert @p text before original byte @p offset (hs_edit_replace() with length 0). */
int hs_edit_insert(hs_edit *edit, size_t offset, const char *text);

/** Append @p text at the end of the original bytes (after any other insertion there). */
int hs_edit_append(hs_edit *edit, const char *text);

/** Make the edit remove the file. @return 0, or -EINVAL when replacements were already added. */
int hs_edit_delete_file(hs_edit *edit);

/** Permission bits of the file when the edit creates it (default 0644; an existing file keeps its own). */
void hs_edit_set_create_mode(hs_edit *edit, unsigned mode);

/**
 * The new contents.
 * @param[out] out  malloc'd, NUL-terminated; NULL when the edit deletes the file (or leaves a missing file
 *                  missing).
 * @param[out] len  its length (may be NULL).
 * @return 0 or -ENOMEM.
 */
int hs_edit_result(const hs_edit *edit, char **out, size_t *len);

/** Does the edit leave the file as it is (no replacements, or replacements that change no byte)? A missing file
 * whose new contents would be empty stays missing. */
bool hs_edit_is_noop(const hs_edit *edit);

/**
 * The change as a unified diff, as `diff -u` prints it (3 lines of context, `\ No newline at end of file`)
 * with the headers `--- a/<path>` and `+++ b/<path>` (path without its leading '/'), and `/dev/null` for the
 * side of a created or removed file.
 * @param[out] out  malloc'd; "" for a no-op edit.
 * @return 0 or -ENOMEM.
 */
int hs_edit_diff(const hs_edit *edit, char **out);

/**
 * Write the change: under a lock that several homesetup processes honour (and that dies with a crashed one),
 * check that the file still holds the planned bytes, then write a temporary file in the same directory with the
 * original's owner, mode and SELinux context, fsync it, rename it over the file and fsync the directory. A crash
 * at any point leaves the old or the new file.
 * @param flags  #hs_edit_flags.
 * @return 0 when written; 1 when nothing had to be written (no-op, or the file already holds the result);
 *         -ESTALE ("… changed since it was read"), -EBUSY (another process holds the lock), -EROFS, -ENOSPC,
 *         -EACCES … with a message naming the path: the file is then unchanged and nothing is left behind.
 */
int hs_edit_commit(hs_edit *edit, unsigned flags);

/** The backup made by the last hs_edit_commit() with #HS_EDIT_BACKUP, as a path inside the root (lent), or NULL. */
const char *hs_edit_backup_path(const hs_edit *edit);

/**@}*/


/* ================================================================================================== */
/** @name Readiness checks (`homesetup check`)                                                        */
/* ================================================================================================== */
/**@{*/

/** Result of one check. */
typedef enum hs_check_status {
	HS_CHECK_OK = 0,   /**< fine */
	HS_CHECK_WARN,     /**< works, but something is worth fixing */
	HS_CHECK_FAIL,     /**< homed will not work (or migration would fail) until fixed */
	HS_CHECK_SKIP,     /**< could not be checked here; the detail says why */
} hs_check_status;

/** One check's outcome (lent from its report). */
typedef struct hs_check_result {
	const char *id;       /**< stable id, e.g. "use.systemd.homed", "service.homed.active" */
	const char *group;    /**< "use", "vdb", "service", "nss", "pam", "kernel", "homed-conf", "keys", "space" … */
	hs_check_status status; /**< verdict */
	const char *summary;  /**< one line */
	const char *detail;   /**< more lines, or NULL */
	const char *fix;      /**< the command or edit that fixes it, or NULL (always set for FAIL) */
} hs_check_result;

/** Options of a check run. */
typedef struct hs_check_options {
	const char *bus_address;   /**< D-Bus address of the system bus; NULL: the default system bus */
	bool no_bus;               /**< do not talk to D-Bus (the bus checks SKIP) */
	uint64_t bus_timeout_usec; /**< per-call timeout; 0: 5 s */
	const char *const *only;   /**< NULL-terminated ids or groups to run (NULL: all) */
	const char *const *skip;   /**< NULL-terminated ids or groups to leave out (NULL: none) */
	const char *user;          /**< a user to check migration preflight for, or NULL */
} hs_check_options;

/** Opaque report: the results in registry order. */
typedef struct hs_report hs_report;

/**
 * Run the registered checks under the context's roots.
 * @param opts  may be NULL for defaults.
 * @return 0 (whatever the verdicts), -EINVAL for an unknown id in only/skip (message names it), -ENOMEM.
 */
int hs_check_run(hs_ctx *ctx, hs_report **out, const hs_check_options *opts);

/** Free a report (NULL is accepted). */
void hs_report_free(hs_report *report);

/** Number of results. */
size_t hs_report_count(const hs_report *report);

/** Result @p i (lent), or NULL. */
const hs_check_result *hs_report_get(const hs_report *report, size_t i);

/** The worst status in the report (OK for an empty report). */
hs_check_status hs_report_worst(const hs_report *report);

/** Number of checks the library knows. */
size_t hs_check_registry_count(void);

/** Id of registered check @p i (static string), or NULL. */
const char *hs_check_registry_id(size_t i);

/** Group of registered check @p i (static string), or NULL. */
const char *hs_check_registry_group(size_t i);

/** One-line description of registered check @p i (static string), or NULL. */
const char *hs_check_registry_description(size_t i);

/** "OK", "WARN", "FAIL" or "SKIP". */
const char *hs_check_status_name(hs_check_status status);

/**@}*/

/* ================================================================================================== */
/** @name The service manager (`homesetup service enable|reexec`, over D-Bus)                         */
/* ================================================================================================== */
/**@{*/

/** Options of hs_service_enable() and hs_service_reexec(). */
typedef struct hs_service_options {
	const char *bus_address;   /**< D-Bus address of the system bus; NULL: the default system bus */
	uint64_t bus_timeout_usec; /**< per-call timeout; 0: 5 s */
	uint64_t job_timeout_usec; /**< longest wait for a start job, a reload or a re-execution; 0: 90 s */
	bool pretend;              /**< read the state, list the calls that would change it, change nothing */
} hs_service_options;

/** One D-Bus call, made or (with pretend) not. */
typedef struct hs_service_step {
	const char *call;    /**< e.g. `StartUnit("systemd-homed.service", "replace")` */
	bool changes;        /**< the call changes the system (never made with pretend) */
	bool made;           /**< the call was made */
	const char *result;  /**< its answer: a unit file state, a job's result ("done", "failed" …); NULL if not made */
	const char *detail;  /**< more lines (e.g. the symlinks EnableUnitFiles created), or NULL */
} hs_service_step;

/** Opaque outcome of hs_service_enable() or hs_service_reexec(). */
typedef struct hs_service_result hs_service_result;

/**
 * `systemctl enable --now systemd-homed.service` over D-Bus: read the unit file states of
 * systemd-homed.service and systemd-userdbd.service, EnableUnitFiles those that are disabled, Reload() when
 * that changed anything, StartUnit(…, "replace") systemd-homed.service (and systemd-userdbd.service unless
 * it is active already), and wait for each job's JobRemoved signal.
 * @param opts  may be NULL for defaults.
 * @return 0 when systemd answered every call: the verdict is hs_service_result_status() — OK, or FAIL with a
 *         fix (a job that did not end with "done", a masked unit, no homed in this systemd build); a negative
 *         errno when a call failed, with a message naming the call and why (not reachable, permission denied,
 *         no answer in time). *out is set either way (with the steps made before the failure), except on
 *         -ENOMEM.
 */
int hs_service_enable(hs_ctx *ctx, hs_service_result **out, const hs_service_options *opts);

/**
 * `systemctl daemon-reexec` over D-Bus: read the Version, call Reexecute(), wait until systemd has left the
 * bus and come back, read the Version again. Return values as hs_service_enable().
 */
int hs_service_reexec(hs_ctx *ctx, hs_service_result **out, const hs_service_options *opts);

/** Free a result (NULL is accepted). */
void hs_service_result_free(hs_service_result *res);

/** Number of steps. */
size_t hs_service_result_count(const hs_service_result *res);

/** Step @p i (lent), or NULL. */
const hs_service_step *hs_service_result_step(const hs_service_result *res, size_t i);

/** HS_CHECK_OK or HS_CHECK_FAIL (OK also for a pretend run that would proceed). */
hs_check_status hs_service_result_status(const hs_service_result *res);

/** One line saying how things stand, e.g. "systemd-homed.service is enabled and active (running)" (lent). */
const char *hs_service_result_summary(const hs_service_result *res);

/** After a FAIL: the command to run next (e.g. "journalctl -u systemd-homed.service"), else NULL (lent). */
const char *hs_service_result_fix(const hs_service_result *res);

/** The systemd version last read ("256.7"; after a re-execution, the new one), or NULL (lent). */
const char *hs_service_result_version(const hs_service_result *res);

/**@}*/

/* ================================================================================================== */
/** @name USE edits (`homesetup use enable|disable|revert`): planned, proven, undoable                */
/* ================================================================================================== */
/**@{*/

/** Where hs_use_plan_enable() writes. */
typedef enum hs_use_target {
	HS_USE_TARGET_PACKAGE_USE = 0, /**< /etc/portage/package.use: in the directory form a file of ours (the
	                                    directory is created when missing), in the file form lines appended */
	HS_USE_TARGET_MAKE_CONF,       /**< the value of make.conf's last USE assignment (global: every package) */
} hs_use_target;

/** Options of hs_use_plan_homed() and hs_use_plan_enable(). */
typedef struct hs_use_options {
	hs_use_target target;  /**< where to write */
	const char *file_name; /**< our file in a package.use directory, a plain file name (NULL: the last file of
	                            package.use/ that holds homesetup's blocks already, else "homed") */
	bool force_order;      /**< when a file that Portage reads later would override our lines, give ours a name
	                            that sorts last (a note says so) instead of refusing */
	bool use_env;          /**< count USE and USE_EXPAND variables of the environment, as emerge does */
	int64_t when;          /**< the date written in the marker, seconds since the epoch (0: now) */
} hs_use_options;

/** One package and the flags asked for it. */
typedef struct hs_use_request {
	const char *atom;           /**< the package: `sys-apps/systemd`, `=sys-apps/systemd-260*`, `cat/pkg:slot` … */
	const char *const *enable;  /**< NULL-terminated flags to turn on (NULL: none) */
	const char *const *disable; /**< NULL-terminated flags to turn off (NULL: none) */
} hs_use_request;

/** Opaque plan: per package the flag changes with their reasons, and the edits of files that make them. */
typedef struct hs_use_plan hs_use_plan;

/**
 * Plan turning on what systemd-homed needs: `homed` for sys-apps/systemd and sys-auth/pambase, plus whatever
 * the REQUIRED_USE of the versions that would be built then requires (systemd: `homed? ( cryptsetup pam openssl
 * )`; pambase: `homed? ( !pam_krb5 )` turns pam_krb5 off), never a flag masked or forced by the profile. Same as
 * hs_use_plan_enable() with those two requests and the marker "systemd-homed needs these flags".
 */
int hs_use_plan_homed(hs_portage *p, hs_use_plan **out, const hs_use_options *opts);

/**
 * Plan the changes: for each request the effective USE of the version that would be built, the smallest set of
 * changes that gives the requested flags and satisfies REQUIRED_USE (masked and forced flags pinned), and the
 * edit of the target file (a block between marker comments, or the flags appended to make.conf's last USE value
 * after a marker comment) that makes them. The edit is then applied in memory and Portage's configuration read
 * again through it: every change must take effect. Already satisfied: a plan without edits ("nothing to do").
 * @param p     the configuration (its context gives the roots; read again internally for the proof).
 * @param opts  may be NULL for defaults.
 * @return 0; -EINVAL (invalid atom or file name, a flag not in IUSE, USE flags given twice); -ENOENT (no such
 *         package or visible version); -EDOM (REQUIRED_USE cannot hold: the message names the constraints and
 *         the pinned flags); -EPERM (a flag masked or forced by the profile, or the edit would be overridden: the
 *         message names the file and line, or the mask, that defeats it); -ENOTSUP (make.conf's USE assignment
 *         is not plain enough to edit safely: the message says why and which file to edit instead); -EIO,
 *         -EACCES …; -ENOMEM. Nothing is written.
 */
int hs_use_plan_enable(hs_portage *p, hs_use_plan **out, const hs_use_request *reqs, size_t n,
		       const hs_use_options *opts);

/**
 * Plan removing everything homesetup added: the marked blocks of every package.use file (a file of ours left
 * empty is removed) and the marked additions to make.conf's USE values, byte for byte.
 * @return 0 (a plan without edits when there is nothing to remove); -EINVAL when a marked block or USE value was
 *         changed by hand so that it cannot be removed exactly (the message names file and line); -EIO …; -ENOMEM.
 */
int hs_use_plan_revert(hs_ctx *ctx, hs_use_plan **out);

/** Free a plan (NULL is accepted). */
void hs_use_plan_free(hs_use_plan *plan);

/** Number of packages planned for (revert plans have none). */
size_t hs_use_plan_package_count(const hs_use_plan *plan);
/** The atom as written into package.use for package @p i (lent), or NULL. */
const char *hs_use_plan_package_atom(const hs_use_plan *plan, size_t i);
/** `category/PF` of the version that would be built (lent), or NULL. */
const char *hs_use_plan_package_cpv(const hs_use_plan *plan, size_t i);
/** Number of flag changes for package @p i (0: it has what was asked already). */
size_t hs_use_plan_change_count(const hs_use_plan *plan, size_t i);
/** Change @p j of package @p i (lent): its reason is "requested" or the REQUIRED_USE constraint that needs it. */
const hs_requse_change *hs_use_plan_change(const hs_use_plan *plan, size_t i, size_t j);

/** Number of files the plan changes (0: nothing to do). */
size_t hs_use_plan_edit_count(const hs_use_plan *plan);
/** Edit @p i (lent; valid as long as the plan). */
hs_edit *hs_use_plan_edit(const hs_use_plan *plan, size_t i);
/** Number of notes: explanations worth showing (a name chosen for --force-order, make.conf being global …). */
size_t hs_use_plan_note_count(const hs_use_plan *plan);
/** Note @p i (lent), or NULL. */
const char *hs_use_plan_note(const hs_use_plan *plan, size_t i);

/**
 * Write every edit (hs_edit_commit(), creating /etc/portage/package.use first when the plan needs it).
 * @param flags  #hs_edit_flags.
 * @return 0 when written, 1 when there was nothing to write, or the first failure of hs_edit_commit() (files
 *         before it stay written; the message names the file).
 */
int hs_use_plan_commit(hs_use_plan *plan, unsigned flags);

/**@}*/

/* ================================================================================================== */
/** @name Image inspection (`homesetup image inspect`): a homed LUKS image, offline and read-only      */
/* ================================================================================================== */
/**@{*/

/** Opaque result of hs_image_inspect(). */
typedef struct hs_image_info hs_image_info;

/** One partition of the image's partition table, as libblkid reads it (lent from its hs_image_info). */
typedef struct hs_image_partition {
	unsigned number;       /**< partition number, 1-based */
	const char *type;      /**< GPT type GUID in lower case (MBR: "0x83" …), or NULL */
	const char *name;      /**< GPT partition name (UTF-8 as libblkid decodes it), or NULL */
	const char *uuid;      /**< partition UUID in lower case, or NULL */
	uint64_t offset;       /**< start in bytes from the start of the image */
	uint64_t size;         /**< size in bytes */
	bool homed_type;       /**< type is 773f91ef-66d4-49b5-bd83-d683bf40ad16 ("Linux user's home") */
	const char *content;   /**< what libblkid finds at its start ("crypto_LUKS", "ext4" …), or NULL */
} hs_image_partition;

/** One used LUKS keyslot. */
typedef struct hs_image_keyslot {
	int slot;             /**< keyslot number */
	const char *state;    /**< "active" (bound to the data segment) or "unbound" */
	int key_size;         /**< bytes of the key it stores */
	const char *pbkdf;    /**< "argon2id", "argon2i", "pbkdf2", or NULL when unknown */
	const char *hash;     /**< PBKDF2's hash ("sha256"), else NULL */
	uint32_t iterations;  /**< PBKDF2: iterations; Argon2: time cost */
	uint32_t memory_kb;   /**< Argon2: memory cost in KiB; else 0 */
	uint32_t parallel;    /**< Argon2: threads; else 0 */
} hs_image_keyslot;

/** One LUKS2 token (its JSON is never trusted: every string is escaped and capped). */
typedef struct hs_image_token {
	int id;                   /**< token number */
	const char *type;         /**< its "type" (escaped), or NULL when it has none */
	bool homed;               /**< type is "systemd-homed" */
	int version;              /**< systemd-homed tokens: 1 = the released format ("record" + "iv"), 2 = the
	                               "version": 2 format; 0 = neither, or not a systemd-homed token */
	const char *const *keys;  /**< its top-level JSON keys in order (escaped; at most 32), NULL-terminated */
	size_t json_size;         /**< length of its JSON text in bytes */
} hs_image_token;

/** The LUKS header homed would open (lent from its hs_image_info). */
typedef struct hs_image_luks {
	unsigned version;          /**< 1 or 2 */
	uint64_t offset;           /**< where it starts, bytes from the start of the image */
	const char *uuid;          /**< the LUKS UUID (homed's luksUUID), or NULL */
	const char *label;         /**< LUKS2 label (homed: the user name), or NULL */
	const char *subsystem;     /**< LUKS2 subsystem (homed: "systemd-home"), or NULL */
	const char *cipher;        /**< "aes" …, or NULL */
	const char *cipher_mode;   /**< "xts-plain64" …, or NULL */
	int volume_key_size;       /**< bytes; 0 when no keyslot is bound to the data segment */
	uint64_t metadata_size;    /**< LUKS2: one copy of the binary header + JSON area, bytes */
	uint64_t keyslots_size;    /**< LUKS2: the keyslots area, bytes */
	uint64_t data_offset;      /**< where the encrypted data starts, bytes from the start of the header */
	int sector_size;           /**< encryption sector size in bytes */
	const hs_image_keyslot *keyslots; /**< used keyslots, by number */
	size_t n_keyslots;
	const hs_image_token *tokens;     /**< tokens, by number */
	size_t n_tokens;
} hs_image_luks;

/** Something homed would refuse or trip over, with what it says then and the fix (lent). */
typedef struct hs_image_finding {
	const char *id;          /**< stable identifier, e.g. "dirty", "no-homed-token" (doc/image-json.md) */
	hs_check_status status;  /**< HS_CHECK_WARN or HS_CHECK_FAIL */
	const char *summary;     /**< what was found */
	const char *homed;       /**< what homed does or says about it (its messages quoted exactly), or NULL */
	const char *fix;         /**< what to do, or NULL */
} hs_image_finding;

/**
 * Inspect a home image the way systemd-homed's activation reads it, offline and read-only: the file or block
 * device is opened O_RDONLY and never written; no loop or device-mapper device is set up. libblkid reads the
 * partition table (homed expects a GPT with one partition of type 773f91ef-66d4-49b5-bd83-d683bf40ad16 named
 * after the user, or LUKS directly at offset 0); libcryptsetup reads the LUKS header at that partition's
 * offset from a private in-memory copy of the header (so nothing it might repair can reach the image); the
 * `user.home-dirty` extended attribute is read from the image file. A layout that is not homed's (no GPT, a
 * file system instead of LUKS, LUKS1, a damaged or truncated GPT, a hostile token, a partition table nested
 * in an LVM volume …) is a finding, not an error. libblkid and libcryptsetup are loaded when first needed
 * (dlopen); one that is not installed is a WARN finding "library-missing" saying what was not checked.
 * @param path  the image: a regular file or a block device, opened as given (not under ROOT).
 * @param user  the user the image is for (homed matches the partition name and checks the LUKS label
 *              against it); NULL: the file name's stem when it is NAME.home, else none.
 * @return 0 when the image could be read (*out set; see hs_image_info_status()); -ENOENT, -EACCES …
 *         when it cannot be opened; -EBADFD when it is neither a regular file nor a block device (-EISDIR
 *         for a directory); -EIO on a read error; -ENOMEM. The message names the path.
 */
int hs_image_inspect(hs_ctx *ctx, hs_image_info **out, const char *path, const char *user);

/** hs_image_inspect() of homed's default image of @p user: /home/USER.home inside ROOT. -EINVAL for a name
 *  that cannot be a file name. */
int hs_image_inspect_user(hs_ctx *ctx, hs_image_info **out, const char *user);

/** Free a result (NULL is accepted). */
void hs_image_info_free(hs_image_info *info);

/** The path inspected (for a user: the path inside ROOT, e.g. "/home/alice.home") (lent). */
const char *hs_image_info_path(const hs_image_info *info);
/** The user name the image was checked against, or NULL (lent). */
const char *hs_image_info_user(const hs_image_info *info);
/** "file" for a regular file; for a block device "disk", "partition" or "device-mapper" (LVM, …). */
const char *hs_image_info_device(const hs_image_info *info);
/** Size of the image in bytes. */
uint64_t hs_image_info_size(const hs_image_info *info);
/** The partition table type libblkid found ("gpt", "dos", "PMBR" for a protective MBR whose GPT it rejected),
 *  or NULL (lent). */
const char *hs_image_info_table_type(const hs_image_info *info);
/** The partition table's UUID (the GPT disk GUID), or NULL (lent). */
const char *hs_image_info_table_uuid(const hs_image_info *info);
/** What libblkid finds at offset 0 besides a partition table ("crypto_LUKS", "ext4" …), or NULL (lent). */
const char *hs_image_info_superblock(const hs_image_info *info);
/** Number of partitions. */
size_t hs_image_info_partition_count(const hs_image_info *info);
/** Who read the partitions: "libblkid"; "gpt" when libblkid rejected a GPT whose primary header and entries
 *  pass their CRCs (a truncated image) and homesetup read them itself; NULL when there are none. */
const char *hs_image_info_partitions_source(const hs_image_info *info);
/** Partition @p i (lent), or NULL. */
const hs_image_partition *hs_image_info_partition(const hs_image_info *info, size_t i);
/** The partition homed would use (homed's type, named after the user), or NULL (also when LUKS is directly at
 *  offset 0, and when libblkid rejected the table) (lent). */
const hs_image_partition *hs_image_info_home_partition(const hs_image_info *info);
/** The LUKS header read (at the home partition, at offset 0, or at the only partition of homed's type when
 *  its name does not match), or NULL when none could be read (lent). */
const hs_image_luks *hs_image_info_luks(const hs_image_info *info);
/** The `user.home-dirty` xattr: 1 set, 0 not set, or a negative errno when it cannot be told (-ENOTSUP for
 *  block devices and file systems without user xattrs). */
int hs_image_info_dirty(const hs_image_info *info);
/** Number of findings (0: a healthy homed image). */
size_t hs_image_info_finding_count(const hs_image_info *info);
/** Finding @p i (lent), or NULL. */
const hs_image_finding *hs_image_info_finding(const hs_image_info *info, size_t i);
/** HS_CHECK_OK without findings, else the worst finding's status. */
hs_check_status hs_image_info_status(const hs_image_info *info);

/**@}*/

/* ================================================================================================== */
/** @name Diagnosis (`homesetup doctor`): homed's journal and state → known failure → fix             */
/* ================================================================================================== */
/**@{*/

/** Where a finding's evidence came from. */
typedef enum hs_evidence_source {
	HS_EVIDENCE_JOURNAL = 0, /**< a journal entry of systemd-homed.service or systemd-homework */
	HS_EVIDENCE_BUS,         /**< the state org.freedesktop.home1 reports for the home */
} hs_evidence_source;

/** One diagnosed problem (lent from its hs_doctor). */
typedef struct hs_finding {
	const char *rule;        /**< rule id: "fs-dirty", "fsck-missing", "absent-volume", "absent-image", "no-space",
	                              "bad-password", "dm-leftover", "signing-key", "key-perms" */
	const char *user;        /**< the user it concerns (named in the message, or by the state change or worker
	                              of the home's operation), or NULL when the evidence names none */
	const char *summary;     /**< one line */
	const char *diagnosis;   /**< what is wrong and why (may span lines) */
	const char *fix;         /**< commands to run, one per line */
	hs_evidence_source source; /**< journal or bus */
	const char *evidence;    /**< the evidence as one line: "2024-05-01 12:00:00 systemd-homework[42]: …" (local
	                              time), or "org.freedesktop.home1: home alice is in state 'dirty'" */
	const char *message;     /**< the journal message alone (control bytes escaped), or NULL for bus evidence */
	const char *identifier;  /**< SYSLOG_IDENTIFIER of the evidence ("systemd-homed", "systemd-homework"), or NULL */
	uint64_t realtime_usec;  /**< time of the newest matching entry (0 for bus evidence) */
	unsigned count;          /**< matching entries (and bus states) for this rule and user */
} hs_finding;

/** Options of hs_doctor_run(). */
typedef struct hs_doctor_options {
	const char *user;          /**< diagnose this user only: evidence attributed to this user, and findings about
	                                systemd-homed as a whole; never evidence that names no user (NULL: every home
	                                and every message) */
	const char *bus_address;   /**< D-Bus address of the system bus; NULL: the system bus (skipped with a ROOT
	                                other than "/" unless an address is given) */
	bool no_bus;               /**< do not ask systemd-homed over D-Bus */
	uint64_t bus_timeout_usec; /**< per-call timeout; 0: 5 s */
	const char *const *journal_files; /**< NULL-terminated journal files to read instead of the system journal */
	const char *journal_dir;   /**< a directory of journal files to read instead of the system journal */
	const char *journal_export;/**< tests: a file in journal export format, read directly (no sd-journal) */
	bool no_journal;           /**< do not read any journal */
	uint64_t since_usec;       /**< read entries from this time on (CLOCK_REALTIME, µs); 0: the current boot (the
	                                newest boot of the files read) */
	const char *const *volumes;/**< NULL-terminated block devices holding homes (for the kpartx drop-in), or NULL */
} hs_doctor_options;

/** Opaque outcome of a diagnosis. */
typedef struct hs_doctor hs_doctor;

/**
 * Diagnose systemd-homed: ask org.freedesktop.home1 for the homes and their states (ListHomes, or
 * GetHomeByName for @p opts->user), read the journal of systemd-homed.service and systemd-homework (the current
 * boot by default), match every message against the rule table and turn the matches into findings with their
 * evidence, diagnosis and fix (placeholders filled from the user records under ROOT, statvfs of the image's
 * file system, the device-mapper state when ROOT is "/"). A password failure that the same home's successful
 * activation follows within 5 minutes is the password-less first try of a normal PAM login: not a finding (a
 * note counts them).
 * @param opts  may be NULL for defaults.
 * @return 0 (whatever was found; an unreachable bus, an unreadable journal or a missing libpcre2-8, which the
 *         journal's rules need and which is loaded when first needed, is a note, not a failure), -EINVAL (an
 *         invalid user name), -ENOENT (a journal file or directory given does not exist), -EIO (an export file
 *         that cannot be parsed: the message names the byte offset), -ENOMEM.
 */
int hs_doctor_run(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts);

/** Free (NULL is accepted). */
void hs_doctor_free(hs_doctor *d);

/** Number of findings (0: no rule fired). */
size_t hs_doctor_finding_count(const hs_doctor *d);
/** Finding @p i (lent), in rule-table order, then by user. */
const hs_finding *hs_doctor_finding(const hs_doctor *d, size_t i);

/** Number of homes systemd-homed reported (0 when the bus was not asked). */
size_t hs_doctor_home_count(const hs_doctor *d);
/** Name and state of home @p i (lent), or NULL. */
const char *hs_doctor_home_name(const hs_doctor *d, size_t i);
/** State of home @p i ("inactive", "dirty", "absent" …; lent), or NULL. */
const char *hs_doctor_home_state(const hs_doctor *d, size_t i);

/** Number of notes: what was read and what was skipped, e.g. "journal: 12 entries of boot 0123… read". */
size_t hs_doctor_note_count(const hs_doctor *d);
/** Note @p i (lent), or NULL. */
const char *hs_doctor_note(const hs_doctor *d, size_t i);
/** Entries read from the journal, and how many matched a rule. */
void hs_doctor_journal_stats(const hs_doctor *d, size_t *entries, size_t *matched);

/** What the kpartx drop-in would do. */
typedef enum hs_dropin_state {
	HS_DROPIN_NONE = 0,  /**< not needed (no absent home on a volume), or no volume known */
	HS_DROPIN_NEW,       /**< the file does not exist: it would be created */
	HS_DROPIN_UPDATE,    /**< our file exists and lacks volumes: it would be rewritten */
	HS_DROPIN_CURRENT,   /**< our file exists and has every volume */
	HS_DROPIN_FOREIGN,   /**< a file of that name exists that homesetup did not write: never overwritten */
} hs_dropin_state;

/** The drop-in's state; @p path (lent, may be NULL) receives its path inside ROOT. */
hs_dropin_state hs_doctor_dropin(const hs_doctor *d, const char **path);
/** The drop-in's contents as homesetup would write them (lent), or NULL with HS_DROPIN_NONE. */
const char *hs_doctor_dropin_text(const hs_doctor *d);
/** The change as a unified diff against the file on disk (malloc'd; "" when current). @return 0 or -ENOMEM;
 *  -ENOENT with HS_DROPIN_NONE. */
int hs_doctor_dropin_diff(const hs_doctor *d, char **out);

/**
 * Write the drop-in (atomically, through the edit engine: the directory is created when missing).
 * @param flags  #hs_edit_flags.
 * @return 0 written; 1 already current; -ENOENT nothing to write (the message says why, e.g. no volume known:
 *         give --volume); -EEXIST a foreign file of that name (never overwritten; see hs_doctor_dropin_diff());
 *         -ESTALE, -EACCES … as hs_edit_commit().
 */
int hs_doctor_write(hs_doctor *d, unsigned flags);

/**
 * Parse a --since time the way journalctl reads one: "2024-05-01", "2024-05-01 12:00[:00]" (local time),
 * "@1714564800" (seconds since the epoch), "today", "yesterday", "now", "-2h", "-30min", "-1d", "2h ago".
 * @param now_usec  the current time (CLOCK_REALTIME, µs): relative times count from it.
 * @param[out] out  µs since the epoch.
 * @return 0 or -EINVAL (message names the text and the column where it stops making sense).
 */
int hs_doctor_parse_time(hs_ctx *ctx, const char *s, uint64_t now_usec, uint64_t *out);

/** Number of rows of the rule table. */
size_t hs_doctor_rule_count(void);
/** Row @p i: its rule id and PCRE2 pattern (NULL for findings derived from other evidence); static strings.
 *  @return false when out of range. */
bool hs_doctor_rule_get(size_t i, const char **id, const char **pattern);

/**@}*/

/* ================================================================================================== */
/** @name Home keys and moving a home (`homesetup keys`, `homesetup move-plan`)                       */
/* ================================================================================================== */
/**@{*/

/** Options of hs_keys_export() and hs_keys_import(). */
typedef struct hs_keys_options {
	bool force;              /**< import: replace a different key of the same name */
	const char *trust_name;  /**< import: install only DIR/local.public, as /var/lib/systemd/home/<name>.public
	                              (another machine's key: logging in, not changing the record) */
	const char *user;        /**< import: check this user's record only (else every visible record) */
	const char *record;      /**< import: also check this record file (a path outside ROOT, e.g. a home's
	                              ~/.identity or `homectl inspect -EE` output) */
	bool pretend;            /**< say what would be written; write nothing */
} hs_keys_options;

/** What happened to one key file. */
typedef enum hs_key_action {
	HS_KEY_WRITTEN = 0, /**< written (created or replaced) */
	HS_KEY_UNCHANGED,   /**< the target holds the same key already */
	HS_KEY_WOULD_WRITE, /**< pretend: would be written */
	HS_KEY_REFUSED,     /**< a different key is in place and force was not given */
	HS_KEY_MISSING,     /**< the source has no such file */
} hs_key_action;

/** One key file (lent from its result). */
typedef struct hs_key_file {
	const char *name;            /**< "local.public", "local.private", or "<name>.public" */
	const char *source;          /**< path it is read from (inside ROOT for export, outside for import) */
	const char *target;          /**< path it is written to */
	unsigned mode;               /**< 0644 public, 0600 private */
	const char *fingerprint;     /**< "SHA256:" + 64 hex digits of the PEM bytes of the source, or NULL */
	const char *old_fingerprint; /**< of the file that was (or is) at the target, NULL when none */
	hs_key_action action;        /**< what was done */
} hs_key_file;

/** Verdict on one user record against the imported public key. */
typedef enum hs_record_verdict {
	HS_RECORD_VERIFIED = 0, /**< a signature of the record verifies with the key (Ed25519 over the canonical JSON) */
	HS_RECORD_KEY_MATCHES,  /**< the record names this key (same PEM); the signature itself was not verified */
	HS_RECORD_OTHER_KEY,    /**< signed, but by another key: homed will not accept it with this key */
	HS_RECORD_BAD_SIGNATURE,/**< names this key, but the signature does not verify (record changed after signing) */
	HS_RECORD_UNSIGNED,     /**< no "signature" array: homed refuses it */
	HS_RECORD_UNREADABLE,   /**< not JSON, or not a user record */
} hs_record_verdict;

/** One record checked (lent from its result). */
typedef struct hs_record_check {
	const char *path;         /**< where it was read */
	const char *user;         /**< its userName, or NULL */
	hs_record_verdict verdict;/**< the verdict */
	const char *detail;       /**< one line saying why */
} hs_record_check;

/** Opaque outcome of an export or import. */
typedef struct hs_keys_result hs_keys_result;

/**
 * Copy this machine's key pair (ROOT/var/lib/systemd/home/local.public and local.private) into @p dir (a path
 * outside ROOT, created 0700 when missing) as local.public (0644) and local.private (0600), atomically. A file
 * already in @p dir holding a different key is not replaced unless @p opts->force.
 * @return 0 (see each file's action: a refused file makes hs_keys_result_ok() false); -ENOENT (no
 *         local.private: homed has not generated its keys yet, it does when it first signs a record); -EACCES,
 *         -EIO … with a message naming the path; -ENOMEM. *out is set whenever the return is not -ENOMEM.
 */
int hs_keys_export(hs_ctx *ctx, hs_keys_result **out, const char *dir, const hs_keys_options *opts);

/**
 * Install the keys found in @p dir under ROOT/var/lib/systemd/home, root-owned, atomically: both local.public
 * (0644) and local.private (0600) — this machine then signs with the other machine's key — or, with
 * @p opts->trust_name, local.public alone as <name>.public. A different key in place is replaced only with
 * @p opts->force; the fingerprints of both are reported. Then every user record in sight (ROOT's
 * /var/lib/systemd/home/ *.identity, ~/.identity of the homes under /home, @p opts->record) is checked against the
 * imported public key.
 * @return 0 (see hs_keys_result_ok()); -ENOENT (no local.public in @p dir; with both keys wanted, no
 *         local.private); -EINVAL (a file that is not a PEM key of the right kind, an invalid trust name);
 *         -EACCES, -EIO …; -ENOMEM.
 */
int hs_keys_import(hs_ctx *ctx, hs_keys_result **out, const char *dir, const hs_keys_options *opts);

/** Free (NULL is accepted). */
void hs_keys_result_free(hs_keys_result *res);
/** Number of key files handled. */
size_t hs_keys_result_file_count(const hs_keys_result *res);
/** Key file @p i (lent), or NULL. */
const hs_key_file *hs_keys_result_file(const hs_keys_result *res, size_t i);
/** Number of records checked (import only). */
size_t hs_keys_result_record_count(const hs_keys_result *res);
/** Record check @p i (lent), or NULL. */
const hs_record_check *hs_keys_result_record(const hs_keys_result *res, size_t i);
/** Number of notes (what to do next, what could not be checked). */
size_t hs_keys_result_note_count(const hs_keys_result *res);
/** Note @p i (lent), or NULL. */
const char *hs_keys_result_note(const hs_keys_result *res, size_t i);
/** No file refused and no record that the key cannot vouch for. */
bool hs_keys_result_ok(const hs_keys_result *res);

/**
 * The fingerprint homesetup shows for a key file: "SHA256:" and the 64 hex digits of the SHA-256 of its bytes.
 * @return 0 or -ENOMEM.
 */
int hs_keys_fingerprint(const void *buf, size_t len, char **out);

/** One step of a move plan (lent from its plan). */
typedef struct hs_move_step {
	const char *where;    /**< "old" (the machine the home leaves), "new" (the machine it moves to) */
	const char *title;    /**< what the step achieves */
	const char *commands; /**< the commands, one per line */
	const char *note;     /**< why, or what to watch for (may be NULL) */
} hs_move_step;

/** Opaque move plan. */
typedef struct hs_move_plan hs_move_plan;

/**
 * The steps of moving @p user's home to a new machine (the upstream "moving a home" procedure of
 * systemd-homed.service(8), with the key files under their real names, local.public and local.private, and the
 * image path, UID and storage from the record under ROOT when there is one), plus the Portage side: the world
 * file (/var/lib/portage/world) and /etc/portage.
 * @return 0, -EINVAL (not a valid user name), -ENOMEM.
 */
int hs_move_plan_new(hs_ctx *ctx, hs_move_plan **out, const char *user);
/** Free (NULL is accepted). */
void hs_move_plan_free(hs_move_plan *plan);
/** Number of steps. */
size_t hs_move_plan_count(const hs_move_plan *plan);
/** Step @p i (lent), or NULL. */
const hs_move_step *hs_move_plan_step(const hs_move_plan *plan, size_t i);
/** What the record said: image path, UID, storage (lent; NULL/0 when no record was found). */
const char *hs_move_plan_image(const hs_move_plan *plan);
/** The UID from the record, or 0 when unknown. */
unsigned hs_move_plan_uid(const hs_move_plan *plan);
/** Notes about what is known (e.g. "no record of alice under /var/lib/systemd/home: paths are the defaults"). */
size_t hs_move_plan_note_count(const hs_move_plan *plan);
/** Note @p i (lent), or NULL. */
const char *hs_move_plan_note(const hs_move_plan *plan, size_t i);

/**@}*/

/* ================================================================================================== */
/** @name Accounts: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow under ROOT                     */
/* ================================================================================================== */
/**@{*/

/** One /etc/passwd line (lent from its hs_accounts). */
typedef struct hs_passwd_entry {
	const char *name, *passwd, *gecos, *home, *shell;
	uint32_t uid, gid;
	unsigned line;           /**< 1-based line in /etc/passwd */
} hs_passwd_entry;

/** One /etc/group line (lent from its hs_accounts). */
typedef struct hs_group_entry {
	const char *name, *passwd;
	uint32_t gid;
	const char *const *members; /**< NULL-terminated (never NULL) */
	unsigned line;           /**< 1-based line in /etc/group */
} hs_group_entry;

/** Opaque snapshot of the four account files (the bytes read, parsed). */
typedef struct hs_accounts hs_accounts;

/**
 * Read ROOT/etc/{passwd,shadow,group,gshadow}. passwd must exist; a missing shadow, group or gshadow is an empty
 * one. Lines are split at ':' into exactly 7 (passwd), 9 (shadow), 4 (group, gshadow) fields; UIDs and GIDs are
 * decimal digits only, up to 4294967295. Blank lines and comments ('#') are kept silently; NIS compat lines
 * ('+'/'-'), malformed lines and second entries of a name are kept as well (and written back untouched by edits)
 * but are not entries, and each is reported as a warning in the context ("/etc/passwd:3: line ignored: …").
 * Lookups answer with the first entry of a name or id, as nss_files does.
 * @return 0, -ENOENT (no passwd), -EACCES/-EIO/-EFBIG (over 64 MiB) with a message naming the file, -ENOMEM.
 */
int hs_accounts_load(hs_ctx *ctx, hs_accounts **out);
/** Free (NULL is accepted). */
void hs_accounts_free(hs_accounts *a);
/** The passwd entry of @p name (lent), or NULL. */
const hs_passwd_entry *hs_accounts_user(const hs_accounts *a, const char *name);
/** The first passwd entry with @p uid (lent), or NULL. */
const hs_passwd_entry *hs_accounts_user_by_uid(const hs_accounts *a, uint32_t uid);
/** Number of passwd entries. */
size_t hs_accounts_user_count(const hs_accounts *a);
/** Passwd entry @p i (lent), or NULL. */
const hs_passwd_entry *hs_accounts_user_at(const hs_accounts *a, size_t i);
/** The group entry named @p name (lent), or NULL. */
const hs_group_entry *hs_accounts_group(const hs_accounts *a, const char *name);
/** The first group entry with @p gid (lent), or NULL. */
const hs_group_entry *hs_accounts_group_by_gid(const hs_accounts *a, uint32_t gid);
/** Number of group entries. */
size_t hs_accounts_group_count(const hs_accounts *a);
/** Group entry @p i (lent), or NULL. */
const hs_group_entry *hs_accounts_group_at(const hs_accounts *a, size_t i);
/** The password hash field of @p user in /etc/shadow (lent), or NULL when the user has no shadow line. */
const char *hs_accounts_shadow_hash(const hs_accounts *a, const char *user);

/**
 * Check @p password against @p user's hash (shadow, else passwd) with crypt(3) (libxcrypt: yescrypt, SHA-512 …),
 * comparing in constant time; the work area is wiped. The password never appears in a message.
 * @return 0 when it matches; -EACCES when it does not; -EPERM when the account has no usable password (locked
 *         `!`/`*`, empty, or "x" in passwd without a shadow line); -ENOENT no such user; -EINVAL a hash crypt(3)
 *         does not support, or a password field that is not a hash (message names the prefix), or no password;
 *         -ENOMEM.
 */
int hs_accounts_check_password(hs_ctx *ctx, const hs_accounts *a, const char *user, const char *password);

/** Opaque lock on the account files (lckpwdf(3)'s protocol on ROOT/etc/.pwd.lock). */
typedef struct hs_accounts_lock hs_accounts_lock;
/**
 * Take the account-file lock as lckpwdf(3) does: open ROOT/etc/.pwd.lock (created 0600, never through a symlink)
 * and take a write lock over the whole file with fcntl(2), which useradd, passwd, vipw and the PAM modules (through
 * lckpwdf) respect, retrying until @p timeout_ms have passed (lckpwdf waits 15 s). The lock is an open-file-
 * description lock: it conflicts with every other holder, another lock of this same process included, so a caller
 * holding it passes it to hs_accounts_remove_user() and hs_accounts_restore() rather than letting them take it.
 * @return 0, -EWOULDBLOCK (held by someone else: the message names the process when it can), -ENOENT (no
 *         ROOT/etc), -ELOOP (a symlink in place of the lock file), -EACCES …, -ENOMEM.
 */
int hs_accounts_lock_take(hs_ctx *ctx, hs_accounts_lock **out, unsigned timeout_ms);
/** Release (NULL is accepted). */
void hs_accounts_lock_release(hs_accounts_lock *lock);

/** Flags of hs_accounts_remove_user(). */
enum hs_accounts_remove_flags {
	HS_ACCOUNTS_REMOVE_PRIVATE_GROUP = 1u << 0, /**< also the user's private group (GID == UID, same name), in
	                                                  group and gshadow */
	HS_ACCOUNTS_REMOVE_MEMBERSHIPS = 1u << 1,   /**< also the user's name from the member lists of the groups
	                                                  named in @p member_of (homed takes them over) */
	HS_ACCOUNTS_PRETEND = 1u << 2,              /**< compute the edits and the undo record; write nothing */
};

/**
 * Remove exactly @p user's lines from ROOT/etc/{passwd,shadow,group,gshadow} (see #hs_accounts_remove_flags),
 * under the lock (taken here, waiting up to 15 s, unless @p lock is given; not taken with #HS_ACCOUNTS_PRETEND),
 * each file written atomically with its owner, mode and SELinux label kept. Names are matched whole ("al" never
 * touches "alice"); every passwd and shadow line of the name goes (a second one with a warning). The private
 * group goes only when the user's GID equals its UID, the group of that GID is named after the user, it is no other
 * passwd entry's primary group and it lists no other member; otherwise it is kept with a warning saying why. The
 * user leaves the member list of each group named in @p member_of (NULL-terminated) in group, and the admin and
 * member lists in gshadow; other groups keep the name. Files are re-read and compared before the first write
 * and written gshadow, group, shadow, passwd: an interrupted removal leaves the user in passwd and calling this
 * again completes it; when a write fails, the files already written are put back.
 * Returns in @p undo a JSON text that hs_accounts_restore() uses to put every removed line and member back where
 * it was: {"format":"homesetup-accounts-undo","version":1,"user":…,"files":[{"path","before","after" (sha256:…
 * of the file), "changes":[{"line","old","new" (absent when removed),"prev"}]}]} (a text that is not UTF-8 as
 * "<key>_hex"). It holds shadow lines, password hashes included: keep it readable by root only. Removing a user
 * that is not in passwd is a no-op that returns a record with no files. Keep the record of the first (or a
 * pretended) call: a second call after an interrupted one records only what was left.
 * @param diff  if not NULL, receives the unified diff of the files changed ("" for none; caller frees), with the
 *              hash fields of shadow and gshadow shown as `<hash>`.
 * @return 0, -EINVAL (not a user name), -ESTALE (a file changed between load and write; nothing written),
 *         -EWOULDBLOCK (locked), -EACCES/-EIO …, -ENOMEM.
 */
int hs_accounts_remove_user(hs_ctx *ctx, hs_accounts_lock *lock, const char *user, const char *const *member_of,
			    unsigned flags, char **undo, char **diff);
/**
 * Put back what the @p undo record of hs_accounts_remove_user() removed, under the lock (taken here unless
 * @p lock is given): when a file is byte for byte as the removal left it, its original bytes are restored
 * exactly (checked against the record's hash); a file already as it was before is left alone; otherwise
 * (someone edited it since) each removed line is re-inserted after the line that preceded it (or at the end),
 * the user goes back into the lists it was taken from, and a warning names the file. Lines already present again
 * are not duplicated, so restoring twice is harmless. Only the four account files are ever written.
 * @return 0; -EINVAL (an undo record that does not parse, or names another file); -EEXIST (an entry of a removed
 *         name is there again with other fields: nothing written); -ESTALE, -EWOULDBLOCK, -EACCES …; -ENOMEM.
 */
int hs_accounts_restore(hs_ctx *ctx, hs_accounts_lock *lock, const char *undo);
/**
 * Copy ROOT/etc/{passwd,shadow,group,gshadow} into ROOT@p dir (absolute; created 0700 with its missing parents)
 * as `<name>.<UTC stamp YYYYmmddTHHMMSSZ>`, mode 0644 for passwd/group and 0600 for shadow/gshadow, root-owned
 * when run as root, each written to a hidden temporary file, fsync'd and linked to its name (never replacing a
 * file), then the directory fsync'd. A missing shadow, group or gshadow is skipped; on failure the copies made
 * are removed. The lock is not taken (a caller holding it can back up). @p stamp, if not NULL, receives the stamp
 * used. @return 0, -ENOENT (no passwd), -EEXIST (a backup with this stamp exists), -EACCES/-EIO/-ENOSPC … with
 * the path, -EINVAL (relative @p dir), -ENOMEM.
 */
int hs_accounts_backup(hs_ctx *ctx, const char *dir, char **stamp);

/**@}*/

/* ================================================================================================== */
/** @name Tree manifests and verification (`homesetup verify`)                                        */
/* ================================================================================================== */
/**@{*/

/** One entry of a manifest (lent). */
typedef struct hs_manifest_entry {
	const char *path;          /**< relative to the scanned directory, "." for itself; any bytes but NUL */
	uint32_t mode;             /**< st_mode: type and permission bits */
	uint32_t uid, gid;
	uint64_t size;             /**< st_size */
	uint64_t alloc;            /**< bytes allocated (st_blocks * 512): less than size → sparse */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t rdev;             /**< devices */
	uint32_t nlink;
	const char *link_target;   /**< symlinks, else NULL */
	const char *hardlink_of;   /**< the first path of its hardlink group in this manifest, else NULL */
	const char *xattrs;        /**< every xattr but ACLs, "name=hexvalue" lines (lower-case hex, empty for an
	                                empty value) sorted by name bytes, separated by '\n', or NULL */
	const char *acl_access;    /**< system.posix_acl_access as text (acl_to_text form with numeric ids, e.g.
	                                "user::rw-,user:1001:r--,group::r--,mask::r--,other::r--"; a value
	                                that is not a valid ACL is kept as "raw:" + hex), or NULL */
	const char *acl_default;   /**< system.posix_acl_default as text, or NULL */
	const char *hash;          /**< content hash of regular files ("xxh3-128:" + 32 hex digits, the digest as
	                                `xxhsum -H2` prints it), else NULL (and for every entry of a manifest
	                                scanned with HS_MANIFEST_NO_HASH) */
	bool mountpoint;           /**< another file system is mounted here: its root's metadata is recorded, its
	                                contents are not (the walk never enters it), and it has no xattrs or hash */
} hs_manifest_entry;

/** Opaque manifest. */
typedef struct hs_manifest hs_manifest;

/** Progress report; return non-zero from the callback to cancel (the scan then returns -ECANCELED). */
typedef struct hs_progress {
	uint64_t files_done, bytes_done;
	uint64_t files_total, bytes_total; /**< 0 when unknown */
} hs_progress;
typedef int (*hs_progress_fn)(const hs_progress *p, void *userdata);

/** Flags of hs_manifest_scan(). */
enum hs_manifest_flags {
	HS_MANIFEST_NO_HASH = 1u << 0, /**< metadata only */
};

/**
 * Scan the tree below the open directory @p dirfd (never following a symlink: every step is openat() with
 * O_NOFOLLOW, so a link in a user's home cannot lead elsewhere; never crossing into another file system, which
 * is reported as an entry of type mount point, and as a warning in @p ctx). Two passes: the metadata of every
 * entry (lstat fields, symlink targets, xattrs, ACLs), then, unless HS_MANIFEST_NO_HASH, the content of every
 * regular file (a hardlink group is read once). @p progress (may be NULL) is called from the calling thread
 * every 50 ms or so and once at the end of each pass: during the metadata pass with files_done = entries seen
 * and the totals 0, during hashing with the regular files' count and bytes as totals. Entries that vanish
 * between the directory read and their lstat are left out with a warning; a file whose size or mtime changes
 * between the passes, or that is replaced, fails the scan (-EBUSY), since its hash would describe neither
 * state. The tree's own directory may be open O_PATH; @p dirfd is not closed.
 * @return 0, -ECANCELED, -EIO/-EACCES/-EBUSY … with the path ("./a/b: …"), -ENOMEM.
 */
int hs_manifest_scan(hs_ctx *ctx, hs_manifest **out, int dirfd, unsigned flags, hs_progress_fn progress,
		     void *userdata);
/** Free (NULL is accepted). */
void hs_manifest_free(hs_manifest *m);
/** Number of entries. */
size_t hs_manifest_count(const hs_manifest *m);
/**
 * Entry @p i (lent), or NULL. Entries are in tree order: "." first, then each directory's entries by the bytes
 * of their names, a directory's contents right after it (byte order of paths with '/' sorting before every
 * other byte), so that "a", "a/x", "a-b" come in that order.
 */
const hs_manifest_entry *hs_manifest_get(const hs_manifest *m, size_t i);
/** The entry at @p path (lent), or NULL. */
const hs_manifest_entry *hs_manifest_find(const hs_manifest *m, const char *path);
/** Sum of the sizes of regular files. */
uint64_t hs_manifest_total_bytes(const hs_manifest *m);
/** The content hash algorithm of the manifest ("xxh3-128"), or NULL when it holds no hashes (scanned with
 * HS_MANIFEST_NO_HASH, or loaded from such a file). */
const char *hs_manifest_hash_algorithm(const hs_manifest *m);
/**
 * A path or a value of a manifest or a difference as text that is safe to print and says exactly which bytes
 * it holds: control bytes, DEL, backslash and bytes that are not valid UTF-8 become `\xHH`; everything else
 * (spaces and valid UTF-8 included) is kept. @return a malloc'd string, or NULL when out of memory.
 */
char *hs_manifest_escape(const char *s);
/**
 * Write the manifest to @p path (a file path on the host, not under ROOT) atomically, in the documented text
 * format of doc/manifest.md. @return 0, -EACCES/-EIO/-ENOSPC …, -ENOMEM.
 */
int hs_manifest_save(hs_ctx *ctx, const hs_manifest *m, const char *path);
/** Read a manifest written by hs_manifest_save(). @return 0, -EINVAL (message: file and line), -ENOENT …, -ENOMEM. */
int hs_manifest_load(hs_ctx *ctx, hs_manifest **out, const char *path);

/** Options of hs_manifest_compare(). */
typedef struct hs_verify_options {
	const char *const *expected_extra; /**< NULL-terminated paths (and what is below them) that may exist only
	                                        in the new tree or differ there, named as expected (default when
	                                        NULL: ".identity", homed's record copy; { NULL } expects nothing);
	                                        when one without a '/' is in the new tree, the mtime of "." is
	                                        expected to differ as well */
	int64_t uid_from, uid_to;          /**< an expected ownership shift (old uid → new uid), named ACL entries
	                                        included; -1: none */
	int64_t gid_from, gid_to;          /**< likewise for groups; -1: none */
	bool ignore_top;                   /**< differences of "." itself are expected (a homed home's top
	                                        directory is a mount point's root, whose metadata homed sets) */
	bool ignore_atime_only;            /**< (atimes are never compared; reserved) */
} hs_verify_options;

/** One difference (lent). */
typedef struct hs_verify_diff {
	const char *path;
	const char *what;      /**< "missing", "extra", "type", "mode", "owner", "size", "mtime", "content",
	                            "link", "hardlink", "xattr", "acl", "rdev" */
	const char *old_value, *new_value; /**< as text, or NULL (absent): the type for missing/extra, "%04o",
	                                        "UID:GID", bytes, "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ", hashes, targets,
	                                        a hardlink group's description, "NAME=HEX" per xattr, ACL text
	                                        (default ACLs with "default:" entries), "MAJOR:MINOR" */
	bool expected;         /**< an expected difference (named, not hidden) */
	const char *reason;    /**< why it is expected, or NULL */
} hs_verify_diff;

/** Opaque comparison result. */
typedef struct hs_verify_result hs_verify_result;

/**
 * Compare @p new_tree against @p old_tree (@p opts may be NULL: the defaults), path by path: every difference
 * in tree order, per path in the order of the kinds listed in hs_verify_diff. Link counts, allocated sizes, a
 * directory's size, atimes and a symlink's mode are not compared (they differ between file systems); contents
 * are compared where both sides have a hash; hardlinks by group (first path and size), reported at each path
 * whose group differs. The result holds copies: it outlives both manifests.
 * @return 0 (whatever the differences), -ENOMEM.
 */
int hs_manifest_compare(hs_ctx *ctx, const hs_manifest *old_tree, const hs_manifest *new_tree,
			const hs_verify_options *opts, hs_verify_result **out);
/** Free (NULL is accepted). */
void hs_verify_result_free(hs_verify_result *res);
/** Number of differences (expected ones included). */
size_t hs_verify_result_count(const hs_verify_result *res);
/** Difference @p i (lent), or NULL. */
const hs_verify_diff *hs_verify_result_get(const hs_verify_result *res, size_t i);
/** Number of differences that are not expected: 0 means verified. */
size_t hs_verify_result_unexpected(const hs_verify_result *res);

/**@}*/

/* ================================================================================================== */
/** @name Migration to homed: facts and preflight (`homesetup migrate check`)                         */
/* ================================================================================================== */
/**@{*/

/** What the caller wants of a migration. */
typedef struct hs_migrate_options {
	const char *user;          /**< required */
	const char *storage;       /**< "luks", "directory", "subvolume", "fscrypt"; NULL: homed.conf, else luks */
	const char *fs_type;       /**< LUKS file system: "btrfs", "ext4", "xfs"; NULL: homed.conf, else homed's
	                                built-in default (btrfs from systemd 247, ext4 before) */
	uint64_t disk_size;        /**< bytes; 0: computed from the home's size */
	bool copy;                 /**< copy the home aside instead of renaming it (needs room for two copies) */
	bool remove_saved;         /**< delete /home/USER.saved once the new home is verified */
	const char *const *homectl_extra; /**< NULL-terminated extra `homectl create` arguments (e.g. a test KDF) */
	const char *bus_address;   /**< system bus address; NULL default */
	bool no_bus;               /**< do not use D-Bus / sd-login (those checks SKIP) */
	uint64_t bus_timeout_usec; /**< 0: 5 s */
} hs_migrate_options;

/** What the preflight learned about one user (lent from its hs_migrate_facts). */
typedef struct hs_migrate_info {
	const char *user, *gecos, *shell, *home;   /**< from /etc/passwd (home with "//" and a trailing "/" tidied);
	                                                NULL (uid, gid 0) when the user is not there */
	uint32_t uid, gid;
	const char *primary_group;                 /**< name of GID's group, or NULL */
	bool private_group;                        /**< GID == UID and the group is named after the user */
	const char *const *member_of;              /**< groups for --member-of (supplementary, plus a shared
	                                                primary group), NULL-terminated */
	const char *storage, *fs_type;             /**< resolved (fs_type NULL unless storage is "luks") */
	uint64_t home_bytes;                       /**< disk space the home takes (st_blocks; hard links once) */
	uint64_t disk_size;                        /**< what to pass as --disk-size (LUKS): the one asked for, else
	                                                max(data + 10 %, the file system's minimum) + 18 MiB, whole
	                                                MiB, sparse files counted in full; 0 for other storage */
	uint64_t free_bytes;                       /**< free on the file system holding /home */
	bool has_acls, has_xattrs;                 /**< found in the home */
	bool needs_acl_mount_option;               /**< LUKS+btrfs with ACLs: --luks-extra-mount-options=acl */
	const char *rsync;                         /**< $HOMESETUP_RSYNC, else the path of rsync in ROOT, or NULL */
	const char *rsync_flags;                   /**< e.g. "-aHAXUv" (with N only when rsync supports crtimes) */
	const char *saved;                         /**< "/home/USER.saved" (also for a home elsewhere) */
} hs_migrate_info;

/** Opaque facts + preflight report. */
typedef struct hs_migrate_facts hs_migrate_facts;

/**
 * Gather the facts about migrating @p opts->user and run the preflight checks (group "migrate" of the check
 * registry: ids "migrate.*", the same checks as `homesetup check --user`), each with a fix. Nothing is changed.
 * Sessions (sd-login, unless @p opts->no_bus) and processes (/proc) are looked at only when the context's root is
 * "/"; rsync is run (`--version`) only then, or when $HOMESETUP_RSYNC names it. migrate.homed-ready runs the
 * readiness checks (hs_check_run() without a user, with @p opts' bus settings) and names those that FAIL.
 * @return 0 (whatever the verdicts; see hs_migrate_facts_report()), -EINVAL (no user given, a user name that
 *         cannot be part of a path, an unknown storage or file system type: the message says which), -ENOMEM.
 */
int hs_migrate_facts_new(hs_ctx *ctx, hs_migrate_facts **out, const hs_migrate_options *opts);
/** Free (NULL is accepted). */
void hs_migrate_facts_free(hs_migrate_facts *f);
/** The facts (lent); fields that could not be determined are NULL/0. */
const hs_migrate_info *hs_migrate_facts_info(const hs_migrate_facts *f);
/** The preflight results (lent; owned by @p f). */
const hs_report *hs_migrate_facts_report(const hs_migrate_facts *f);

/**@}*/

/* ================================================================================================== */
/** @name Migration to homed: plan, run, resume, rollback (`homesetup migrate`)                      */
/* ================================================================================================== */
/**@{*/

/** One step of a migration plan (lent from its plan). */
typedef struct hs_migrate_step {
	const char *id;        /**< stable: "backup", "manifest", "move-aside", "remove-account", "create",
	                            "copy", "verify", "remove-saved" */
	const char *title;     /**< what it achieves */
	const char *command;   /**< the exact command(s) it runs, one per line (passwords never appear); values are
	                            shell-quoted for display only: programs are run with an argv, never a shell */
	const char *undo;      /**< what rollback does for it, or NULL */
	bool external;         /**< true: @c command names the programs run (homectl, rsync); false: homesetup does
	                            the step itself and @c command is the shell equivalent */
} hs_migrate_step;

/** Opaque plan. */
typedef struct hs_migrate_plan hs_migrate_plan;

/**
 * Plan the migration of @p opts->user from its facts (hs_migrate_facts_new()): the ordered, idempotent steps.
 * @return 0, -EPERM (the preflight has a FAIL: the message names the first one), -EINVAL, -ENOMEM.
 */
int hs_migrate_plan_new(hs_ctx *ctx, hs_migrate_plan **out, const hs_migrate_facts *facts,
			const hs_migrate_options *opts);
/** Free (NULL is accepted). */
void hs_migrate_plan_free(hs_migrate_plan *plan);
/** Number of steps. */
size_t hs_migrate_plan_count(const hs_migrate_plan *plan);
/** Step @p i (lent), or NULL. */
const hs_migrate_step *hs_migrate_plan_step(const hs_migrate_plan *plan, size_t i);
/** The user the plan migrates (lent). */
const char *hs_migrate_plan_user(const hs_migrate_plan *plan);
/** The facts the plan was made from (lent; the same fields as hs_migrate_facts_info(), resolved). */
const hs_migrate_info *hs_migrate_plan_info(const hs_migrate_plan *plan);
/** The journal the executor will keep: host path of ROOT/var/lib/homesetup/migrate/USER.json (lent). */
const char *hs_migrate_plan_journal(const hs_migrate_plan *plan);
/** Number of notes (e.g. "the shared primary group users becomes an auxiliary group: --member-of=users"). */
size_t hs_migrate_plan_note_count(const hs_migrate_plan *plan);
/** Note @p i (lent), or NULL. */
const char *hs_migrate_plan_note(const hs_migrate_plan *plan, size_t i);

/** State of a step in a migration journal. */
typedef enum hs_migrate_state {
	HS_MIGRATE_PENDING = 0, /**< not started */
	HS_MIGRATE_RUNNING,     /**< started, not known to have finished (a crash leaves this: resume re-runs it) */
	HS_MIGRATE_DONE,        /**< finished */
	HS_MIGRATE_FAILED,      /**< stopped with an error (the step's error says why; resume re-runs it) */
} hs_migrate_state;
/** "pending", "running", "done" or "failed". */
const char *hs_migrate_state_name(hs_migrate_state state);

/** What an executor event reports. */
typedef enum hs_migrate_event_kind {
	HS_MIGRATE_EVENT_BEGIN = 0, /**< a step starts (index, title, command) */
	HS_MIGRATE_EVENT_END,       /**< a step ended: done (skipped: it was found done, nothing ran) */
	HS_MIGRATE_EVENT_PROGRESS,  /**< bytes and files of the manifest, the copy or the verification */
	HS_MIGRATE_EVENT_NOTE,      /**< something worth telling the user (message) */
} hs_migrate_event_kind;

/** An executor event (everything lent for the duration of the callback). */
typedef struct hs_migrate_event {
	hs_migrate_event_kind kind;
	const char *step;             /**< step id ("rollback" while rolling back) */
	size_t index, count;          /**< 0-based index of the step and the number of steps */
	const char *title, *command;  /**< BEGIN */
	bool skipped;                 /**< END: the step was found done; nothing ran */
	const hs_progress *progress;  /**< PROGRESS (totals from the manifest; 0 when unknown) */
	const char *message;          /**< NOTE */
} hs_migrate_event;
/** Event callback of the executor (its return value is ignored). */
typedef void (*hs_migrate_event_fn)(const hs_migrate_event *ev, void *userdata);

/** Options of hs_migrate_run(), hs_migrate_resume() and hs_migrate_rollback(). */
typedef struct hs_migrate_run_options {
	const char *password;      /**< the user's current password (see hs_migrate_check_password()); handed to
	                                homectl only through its environment (NEWPASSWORD for create, PASSWORD for
	                                with/remove); the executor's own copies are wiped after use */
	hs_migrate_event_fn event; /**< may be NULL */
	void *userdata;
	bool progress;             /**< collect progress (rsync --info=progress2, the verifier's progress lines) */
	const char *self;          /**< the homesetup binary run inside `homectl with` to verify the copy; NULL: this
	                                process's own executable (/proc/self/exe) */
} hs_migrate_run_options;

/**
 * Check @p password for @p user with crypt(3): against ROOT/etc/shadow (hs_accounts_check_password()) when no
 * migration of @p user is recorded, else against the hash the journal recorded when the migration started (the
 * account lines may be gone by then). Nothing is changed.
 * @return 0 it matches; -EACCES it does not; -EPERM the account has no usable password; -ENOENT no such user;
 *         -EBADMSG/-ESTALE an unreadable journal (message); -ENOMEM.
 */
int hs_migrate_check_password(hs_ctx *ctx, const char *user, const char *password);

/**
 * Execute @p plan: check the password, refuse when a journal of @p plan's user exists (-EEXIST: resume or roll
 * back), write the journal ROOT/var/lib/homesetup/migrate/USER.json (atomically, fsync'd after every change of a
 * step's state) and run the steps in order. Before the account lines are removed and before create and copy, the
 * metadata of the home (then of /home/USER.saved) is compared with the manifest: a tree changed since stops the
 * run (-ESTALE). Test hook: the environment variable HOMESETUP_TEST_KILL_AT=STEP:before|after raises SIGKILL
 * just before the step's action (the journal says running) or just after it (before the journal says done).
 * @return 0 migrated and verified; -EACCES wrong password; -EEXIST a migration is recorded already; -ESTALE the
 *         home changed since its manifest; -EIO a step failed (message: what ran, its exit status, its last error
 *         lines); -EBUSY another migration holds the lock; other negative errno (message).
 */
int hs_migrate_run(hs_ctx *ctx, const hs_migrate_plan *plan, const hs_migrate_run_options *ro);
/**
 * Continue the migration of @p user recorded in its journal, from the first step that is not done (a step found
 * running or failed is run again: every step is idempotent). The plan is rebuilt from the facts and options the
 * journal recorded.
 * @return 0 migrated and verified (also when everything was done already); -ENOENT no journal; -EBADMSG a
 *         corrupted journal; -ESTALE a journal of another version or one that does not match the system, or a
 *         saved copy that changed since its manifest; -EACCES wrong password; -EIO a step failed; other -errno.
 */
int hs_migrate_resume(hs_ctx *ctx, const char *user, const hs_migrate_run_options *ro);
/**
 * Undo the migration of @p user recorded in its journal, from whatever step it reached, in reverse: remove the
 * homed user if the create step started and homed knows the user (`homectl remove`, with the password), restore
 * the account lines from the journal's undo record, rename /home/USER.saved back to /home/USER, then delete the
 * journal and the working directory. Refused once /home/USER.saved is gone (--remove-saved ran). Idempotent: an
 * interrupted rollback is finished by running it again.
 * @return 0 rolled back; -ENOENT no journal; -EBADMSG corrupted journal; -ENOTRECOVERABLE the saved copy is gone;
 *         -EEXIST /home/USER is in the way; -EACCES wrong password; -EIO homectl failed; other -errno.
 */
int hs_migrate_rollback(hs_ctx *ctx, const char *user, const hs_migrate_run_options *ro);

/** One step as the journal records it (lent from its hs_migrate_status). */
typedef struct hs_migrate_step_status {
	const char *id, *title, *command;
	hs_migrate_state state;
	const char *started, *finished; /**< UTC "YYYY-mm-ddTHH:MM:SSZ", or NULL */
	const char *error;              /**< why the step failed, or NULL */
} hs_migrate_step_status;

/** Opaque state of a recorded migration (a parsed journal). */
typedef struct hs_migrate_status hs_migrate_status;

/**
 * Read the journal of @p user's migration.
 * @return 0; -ENOENT no migration of @p user is recorded (message); -EBADMSG the journal does not parse or its
 *         checksum does not match (message: what and where); -ESTALE written by another journal version
 *         (message: both versions); -EIO …, -ENOMEM.
 */
int hs_migrate_status_load(hs_ctx *ctx, hs_migrate_status **out, const char *user);
/** Free (NULL is accepted). */
void hs_migrate_status_free(hs_migrate_status *st);
/** The user (lent). */
const char *hs_migrate_status_user(const hs_migrate_status *st);
/** Host path of the journal (lent). */
const char *hs_migrate_status_path(const hs_migrate_status *st);
/** "in-progress", "failed", "completed" or "rolling-back" (static). */
const char *hs_migrate_status_phase(const hs_migrate_status *st);
/** When the migration started and when the journal was last written (UTC, lent). */
const char *hs_migrate_status_created(const hs_migrate_status *st);
/** When the journal was last written (UTC, lent). */
const char *hs_migrate_status_updated(const hs_migrate_status *st);
/** The homesetup version that started the migration (lent). */
const char *hs_migrate_status_version(const hs_migrate_status *st);
/** The facts the migration was planned from (lent). */
const hs_migrate_info *hs_migrate_status_info(const hs_migrate_status *st);
/** Host paths of the manifest and the working directory (lent); the account backups' stamp, or NULL. */
const char *hs_migrate_status_manifest(const hs_migrate_status *st);
/** Host path of the working directory ROOT/var/lib/homesetup/migrate/USER (lent). */
const char *hs_migrate_status_workdir(const hs_migrate_status *st);
/** The UTC stamp of the account backups (`passwd.<stamp>` …) in the working directory, or NULL (lent). */
const char *hs_migrate_status_backup_stamp(const hs_migrate_status *st);
/** Number of steps. */
size_t hs_migrate_status_count(const hs_migrate_status *st);
/** Step @p i (lent), or NULL. */
const hs_migrate_step_status *hs_migrate_status_step(const hs_migrate_status *st, size_t i);
/** The first step that is not done (lent), or NULL when all are done. */
const hs_migrate_step_status *hs_migrate_status_next(const hs_migrate_status *st);
/** Does continuing (@p rollback false) or rolling back (true) need the user's password? */
bool hs_migrate_status_needs_password(const hs_migrate_status *st, bool rollback);

/**@}*/

#ifdef __cplusplus
}
#endif

#endif /* HOMESETUP_H */
