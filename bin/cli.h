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
enum { EXIT_OK = 0, EXIT_TODO = 1, EXIT_USAGE = 2 };

struct cli {
	hs_ctx *ctx;
	bool json;
	bool quiet;
	bool color;   /* stdout is a terminal and NO_COLOR is unset */
	const char *prog;
};

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
static inline void cli_atom_freep(hs_atom **a) { hs_atom_free(*a); }
#define _cleanup_atom_ __attribute__((cleanup(cli_atom_freep)))

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

/* Batch input: read one line from in, strip the trailing LF and CR. Returns its length (it may contain NUL
 * bytes), or -1 at end of input or on a read error (tell them apart with ferror()). */
ssize_t cli_getline(char **line, size_t *cap, FILE *in);
/* Flush stdout and report a write error ("homesetup: write error: ..."). Returns code, or EXIT_USAGE when
 * the output could not be written. */
int cli_finish(struct cli *cli, int code);

#endif
