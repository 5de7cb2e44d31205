/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the CLI's command files: global options, output helpers, the command table. */
#ifndef HOMESETUP_CLI_H
#define HOMESETUP_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "homesetup.h"

/* Exit codes (STYLE.md): 0 ok, 1 a check failed / something to do, 2 usage or I/O error. */
enum { EXIT_OK = 0, EXIT_NEEDS_ACTION = 1, EXIT_USAGE = 2 };

struct cli {
	hs_ctx *ctx;
	bool json;
	bool quiet;
	bool color;   /* stdout is a terminal and NO_COLOR is unset */
	const char *prog;
	const char *bus_address;   /* --bus-address / $HOMESETUP_BUS_ADDRESS, or NULL: the system bus */
	uint64_t bus_timeout_usec; /* --bus-timeout, per D-Bus call; 0: the library's default (5 s) */
};
#define CLI_HAS_BUS_ADDRESS 1 /* struct cli has bus_address and bus_timeout_usec */

struct cli_command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv); /* argv[0] is the command name */
	const char *summary;                                  /* one line for `homesetup --help` */
	void (*help)(FILE *out);                              /* full help for `homesetup help NAME` */
};

/* Commands, one file each (bin/cmd_*.c). */
int cmd_atom(struct cli *cli, int argc, char **argv);
void help_atom(FILE *out);
int cmd_vercmp(struct cli *cli, int argc, char **argv);
void help_vercmp(FILE *out);
int cmd_required_use(struct cli *cli, int argc, char **argv);
void help_required_use(FILE *out);
int cmd_use(struct cli *cli, int argc, char **argv);
void help_use(FILE *out);
/* `use enable|disable|revert` (bin/cmd_use_edit.c), dispatched by cmd_use. */
int use_enable(struct cli *cli, int argc, char **argv);
void help_use_enable(FILE *out);
int use_disable(struct cli *cli, int argc, char **argv);
void help_use_disable(FILE *out);
int use_revert(struct cli *cli, int argc, char **argv);
void help_use_revert(FILE *out);
int cmd_service(struct cli *cli, int argc, char **argv);
void help_service(FILE *out);
int cmd_check(struct cli *cli, int argc, char **argv);
void help_check(FILE *out);
int cmd_users(struct cli *cli, int argc, char **argv);
void help_users(FILE *out);
int cmd_image(struct cli *cli, int argc, char **argv);
void help_image(FILE *out);
int cmd_doctor(struct cli *cli, int argc, char **argv);
void help_doctor(FILE *out);
int cmd_keys(struct cli *cli, int argc, char **argv);
void help_keys(FILE *out);
int cmd_move_plan(struct cli *cli, int argc, char **argv);
void help_move_plan(FILE *out);
/* `verify` and `manifest` (bin/cmd_verify.c). */
int cmd_verify(struct cli *cli, int argc, char **argv);
void help_verify(FILE *out);
int cmd_manifest(struct cli *cli, int argc, char **argv);
void help_manifest(FILE *out);
int cmd_migrate(struct cli *cli, int argc, char **argv);
void help_migrate(FILE *out);
/* `migrate check USER` (bin/cmd_migrate_check.c), dispatched by cmd_migrate; argv[0] is "check". */
int cmd_migrate_check(struct cli *cli, int argc, char **argv);
void help_migrate_check(FILE *out);

/* Output helpers (bin/output.c). */
/* Print "homesetup: <message>" to stderr; returns EXIT_USAGE for `return cli_usage_error(...)`. */
int cli_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The library's last error, prefixed with what failed. Returns the exit code given. */
int cli_lib_error(struct cli *cli, int code, const char *what);
/* Print every collected warning of the context to stderr (Portage style), then clear them. */
void cli_flush_warnings(struct cli *cli);
/* Colour escapes when enabled, "" otherwise. */
const char *cli_c(struct cli *cli, const char *esc);
#define C_GOOD "\033[32;01m"
#define C_WARN "\033[33;01m"
#define C_BAD "\033[31;01m"
#define C_HILITE "\033[36;01m"
#define C_BOLD "\033[01m"
#define C_RESET "\033[0m"

/* Scoped cleanup for the CLI (the library's homesetupP.h is private to it). */
static inline void cli_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(cli_freep)))
static inline void cli_json_putp(struct json_object **o) { json_object_put(*o); }
#define _cleanup_json_ __attribute__((cleanup(cli_json_putp)))
/* _cleanup_(hs_atom_freep) hs_atom *a = NULL; … for every library type with a _free. */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define CLI_DEFINE_FREEP(type, func) \
	static inline void func##p(type **p) { func(*p); }
CLI_DEFINE_FREEP(hs_atom, hs_atom_free)
CLI_DEFINE_FREEP(hs_atom_buf, hs_atom_buf_free)
CLI_DEFINE_FREEP(hs_version, hs_version_free)
CLI_DEFINE_FREEP(hs_useset, hs_useset_free)
CLI_DEFINE_FREEP(hs_iuse, hs_iuse_free)
CLI_DEFINE_FREEP(hs_requse, hs_requse_free)
CLI_DEFINE_FREEP(hs_requse_solution, hs_requse_solution_free)
CLI_DEFINE_FREEP(char *, hs_strv_free)
#define _cleanup_atom_ _cleanup_(hs_atom_freep)

/* Report a getopt_long() failure (call with opterr = 0 and an optstring starting with ':'): c is what
 * getopt_long() returned ('?' or ':'). Returns EXIT_USAGE. */
int cli_option_error(struct cli *cli, const char *cmd, int c, char **argv);

/* JSON output (json-c). */
/* A JSON string of s[0..len), with invalid UTF-8 replaced by U+FFFD so the output always parses. */
struct json_object *cli_json_text(const char *s, size_t len);
/* cli_json_text() of a NUL-terminated string, or JSON null for NULL. */
struct json_object *cli_json_str(const char *s);
/* Add key: value to obj; returns -1 (and drops value) when out of memory. */
int cli_json_add(struct json_object *obj, const char *key, struct json_object *value);
/* Print obj as one compact line (or indented when pretty) on stdout. Returns 0, or -1 on a write error. */
int cli_json_print(struct json_object *obj, bool pretty);

/* Batch input, one line at a time from a file descriptor. Before it blocks on read(2) it flushes stdout, so
 * answers stream out as the input arrives (a co-process sending one line gets its answer at once) while
 * bulk input is still written in large blocks. */
struct cli_lines {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
};
void cli_lines_init(struct cli_lines *r, int fd);
void cli_lines_done(struct cli_lines *r);
/* The next line, without its trailing LF/CR, NUL-terminated (it may contain NUL bytes; use the length); it
 * lives until the next call. Returns its length, -1 at the end of the input, -2 on a read error (errno set),
 * -3 when flushing stdout failed. */
ssize_t cli_lines_next(struct cli_lines *r, char **line);
/* End of a batch loop: last is what cli_lines_next() returned last (>= 0 when the loop stopped on a write
 * error). Reports read and write errors; returns EXIT_OK or EXIT_USAGE. */
int cli_lines_finish(struct cli *cli, ssize_t last);
static inline void cli_lines_donep(struct cli_lines *r) { cli_lines_done(r); }
#define _cleanup_lines_ __attribute__((cleanup(cli_lines_donep)))

/* Flush stdout and report a write error ("homesetup: write error: ..."). Returns code, or EXIT_USAGE when
 * the output could not be written. */
int cli_finish(struct cli *cli, int code);

/* Check reports (hs_check_run, hs_migrate_facts_report), rendered alike by `check` and `migrate check`
 * (bin/output.c; doc/check-json.md). */
struct cli_report_view {
	bool verbose;     /* every result with its id, detail and fix (else only the problems have them) */
	bool collapse;    /* results a reader cannot tell apart are shown once with their count (not with verbose) */
	bool groups;      /* a heading before each group of checks */
	const char *user; /* the user the "migrate" checks are about, named in that group's heading; or NULL */
};
/* "\n * TITLE\n" in Portage's style, the title (printf @fmt) in bold. */
void cli_heading(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The heading of a check group: its title ("use": "USE flags emerge would build with"; "migrate" with @user:
 * "Migrating USER to systemd-homed"), or the group's name for one without a title. */
void cli_report_print_group(struct cli *cli, const char *group, const char *user);
/* counts[status]: how many results of @rep have each hs_check_status. */
void cli_report_count(const hs_report *rep, size_t counts[4]);
/* The results in Portage's " * " style with an OpenRC-like status at the right edge (width of the terminal,
 * at most 100 columns), every problem followed by its detail and fix; with cli->quiet only WARN and FAIL. */
void cli_report_print_results(struct cli *cli, const hs_report *rep, const struct cli_report_view *view);
/* The closing count "\n * F failed, W warnings, O ok, S skipped\n", coloured by the worst status. */
void cli_report_print_counts(struct cli *cli, const hs_report *rep);
/* Add "results", "counts" and "worst" (doc/check-json.md) to @o, in that order. Returns 0, or -1 when out of
 * memory. */
int cli_report_json_add(struct json_object *o, const hs_report *rep);
/* --kv: one line per result, TAB-separated KEY=VALUE fields: id, group, status, summary, then detail and fix
 * when set. */
void cli_report_print_kv(const hs_report *rep);
/* Write "KEY=VALUE" to stdout with backslash, TAB, LF and CR in @value written as \\, \t, \n, \r (--kv). */
void cli_kv_put(const char *key, const char *value);
/* A size as homectl's --disk-size takes it: bytes, or a number with K, M, G or T (either case, powers of 1024),
 * optionally followed by "B" or "iB" ("20G", "20g", "20GiB", "512MB"). 0, -EINVAL, or -ERANGE. */
int cli_parse_size(const char *s, uint64_t *out);

#endif
