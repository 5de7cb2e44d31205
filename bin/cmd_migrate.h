/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What bin/cmd_migrate.c and bin/cmd_migrate_ui.c share: the password and the progress display of `migrate`. */
#ifndef HOMESETUP_CMD_MIGRATE_H
#define HOMESETUP_CMD_MIGRATE_H

#include "cli.h"

#define PASSWORD_MAX 1024

struct migrate_secret {
	char *buf; /* PASSWORD_MAX bytes, locked in memory where allowed, wiped on release */
	bool have;
};
int migrate_secret_init(struct migrate_secret *s);
void migrate_secret_done(struct migrate_secret *s);
/* Read USER's password (three tries on the terminal, echo off; one from @fd when >= 0) and check it
 * (hs_migrate_check_password). 0 with s->have set, or the exit code after printing why. */
int migrate_get_password(struct cli *cli, const char *verb, const char *user, int fd, struct migrate_secret *s);
/* Is there a terminal to ask the password on? */
bool migrate_have_tty(void);
/* Is someone at a terminal to answer a question (standard input and output both terminals)? */
bool migrate_interactive(void);
/* Ask @question on the terminal; true for an answer starting with y. */
bool migrate_confirm(const char *question);

struct migrate_ui {
	struct cli *cli;
	bool bar;          /* draw the bar (stderr is a terminal, not --no-progress/--quiet) */
	bool drawn;        /* a bar is on the screen */
	double step_start, last_draw;
};
/* The executor's event callback (userdata: struct migrate_ui): step lines on stdout, the bar on stderr. */
void migrate_on_event(const hs_migrate_event *ev, void *userdata);
void migrate_clear_bar(struct migrate_ui *ui);

#endif
