/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the CLI's command files: global options, output helpers, the command table. */
#ifndef HOMESETUP_CLI_H
#define HOMESETUP_CLI_H

#include <stdbool.h>
#include <stdio.h>

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

#endif
