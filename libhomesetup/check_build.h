/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to check_build.c and check_vdb.c: the state both check groups share (what the configuration would build,
 * what was built), computed once per run, and the helpers that phrase it.
 */
#ifndef HOMESETUP_CHECK_BUILD_H
#define HOMESETUP_CHECK_BUILD_H

#include "homesetupP.h"

enum { SYSTEMD = 0, PAMBASE = 1, N_PKGS };

/* What the configuration would build. */
typedef struct pkg_cfg {
	int r;                      /* < 0: the effective USE is unknown (error says why) */
	char *error;
	hs_pkg_use *u;
	bool has_homed;             /* homed is in IUSE_EFFECTIVE */
	char **items;               /* top-level REQUIRED_USE items that name homed */
	hs_useset *need_on, *need_off; /* flags inside `homed? ( … )` items: to be on / off */
	int sol_r;                  /* hs_requse_solve() wanting homed: 0, or < 0 (sol_error) */
	char *sol_error;
	hs_requse_solution *sol;
	size_t n_changes;           /* changes besides homed itself */
} pkg_cfg;

/* What was built. */
typedef struct pkg_vdb {
	int r;                      /* < 0: the VDB could not be read (error says why) */
	char *error;
	hs_installed **inst;
	size_t n_inst;
	hs_installed *pkg;          /* the highest installed version, or NULL */
	char *requse;               /* REQUIRED_USE of that exact version; NULL: unknown (requse_why) */
	char *requse_src;           /* the md5-cache entry it came from */
	char *requse_why;
	char **items;
	hs_useset *need_on, *need_off;
	bool built_homed;
	hs_useset *lacking;         /* flags homed needs that the build lacks (homed included) */
	hs_useset *conflicting;     /* flags that must be off with homed but are on in the build */
	int requse_ok;              /* REQUIRED_USE of the build: 1 holds, 0 not, < 0 unknown */
	char *requse_unsat;
	int contents_r;             /* hs_installed_contents(): 0 or < 0 (contents_error) */
	char *contents_error;
} pkg_vdb;

typedef struct pkg_state {
	const char *cp, *name;
	pkg_cfg cfg;
	pkg_vdb vdb;
} pkg_state;

typedef struct build_state {
	char *not_gentoo;           /* set: neither ROOT nor PORTAGE_CONFIGROOT looks like Gentoo (the reason) */
	bool have_vdb;              /* ROOT/var/db/pkg is a directory */
	bool cfg_done, vdb_done;
	const char *pkguse_target;  /* where the equivalent package.use line goes */
	pkg_state pkgs[N_PKGS];
} build_state;

/* The state, computed on first use and kept in the checker for the rest of the run: the configuration part only,
 * or the configuration and the VDB. 0 or -ENOMEM (everything else is recorded in the state). */
int hs_build_state_cfg(hs_checker *c, build_state **out);
int hs_build_state_all(hs_checker *c, build_state **out);

bool hs_build_has(const hs_useset *s, const char *flag);
/* Append the flags of @s to @b, separated by @sep. */
int hs_build_join(const hs_useset *s, const char *sep, hs_buf *b);
/* Append the flags of @s as a sentence: "a", "a and b", "a, b and c". */
int hs_build_join_and(const hs_useset *s, hs_buf *b);
/* "cryptsetup is off: not set anywhere", "pam is on: forced by <file>:<line>" */
int hs_build_put_flag(hs_buf *b, const hs_pkg_use *u, const char *flag);
/* @prefix, then @items separated by spaces (nothing when there are none). */
int hs_build_put_items(hs_buf *b, const char *prefix, char **items);
/* Does the configuration build every package with homed and all homed needs? */
bool hs_build_cfg_ready_all(const build_state *st);
/* The rebuild command for @pkgs (NULL-terminated), after `homesetup use enable &&` while the configuration is not
 * ready (emerge would stop at REQUIRED_USE, or build without homed again). malloc'd into *out. */
int hs_build_fix_rebuild(const build_state *st, const char *const *pkgs, char **out);

#endif
