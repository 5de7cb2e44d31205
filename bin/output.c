/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

int cli_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int cli_lib_error(struct cli *cli, int code, const char *what)
{
	const char *msg = hs_ctx_last_error(cli->ctx);

	if (*msg)
		fprintf(stderr, "%s: %s: %s\n", cli->prog, what, msg);
	else
		fprintf(stderr, "%s: %s failed\n", cli->prog, what);
	return code;
}

void cli_flush_warnings(struct cli *cli)
{
	size_t n = hs_ctx_warning_count(cli->ctx);

	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", hs_ctx_warning(cli->ctx, i));
	hs_ctx_clear_warnings(cli->ctx);
}

const char *cli_c(struct cli *cli, const char *esc)
{
	return cli->color ? esc : "";
}
