/* SPDX-License-Identifier: GPL-2.0-or-later */
/* homesetup vercmp: compare two PMS versions the way Portage's vercmp does. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void help_vercmp(FILE *out)
{
	fprintf(out,
		"Usage: homesetup vercmp [--json] A B\n"
		"       homesetup vercmp [--json] --batch < PAIRS\n"
		"\n"
		"Compare two package versions per PMS (as Portage does: 1.0 > 1, 1_rc1 < 1, 1-r0 == 1).\n"
		"Prints '<', '==' or '>' for A compared with B.\n"
		"\n"
		"Options:\n"
		"  -b, --batch   read one 'A<TAB>B' pair per line from standard input and print one result\n"
		"                per line: '<', '==', '>', or 'invalid' when either side is not a version\n"
		"      --json    print {\"a\",\"b\",\"result\"} objects, one per line (\"result\" is null and\n"
		"                \"error\" says why when a version is invalid)\n"
		"  -h, --help    this help\n"
		"\n"
		"Exit status: 0 compared (in batch mode: all input read), 2 invalid version, usage or I/O error.\n");
}

static const char *result_str(int r)
{
	return r < 0 ? "<" : r > 0 ? ">" : "==";
}

/* One comparison as JSON: {"a":…,"b":…,"result":"<"|null[,"error":…]}; err NULL when valid. */
static int print_json(const char *a, size_t alen, const char *b, size_t blen, const char *err, int result)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return -1;
	cli_json_add(o, "a", cli_json_text(a, alen));
	cli_json_add(o, "b", cli_json_text(b, blen));
	cli_json_add(o, "result", err ? NULL : json_object_new_string(result_str(result)));
	if (err)
		cli_json_add(o, "error", cli_json_str(err));
	return cli_json_print(o, false);
}

static int run_batch(struct cli *cli)
{
	_cleanup_lines_ struct cli_lines in = { .fd = STDIN_FILENO };
	char *line;
	ssize_t n;

	while ((n = cli_lines_next(&in, &line)) >= 0) {
		const char *tab = memchr(line, '\t', (size_t)n);
		size_t alen = tab ? (size_t)(tab - line) : (size_t)n;
		const char *b = tab ? tab + 1 : "";
		size_t blen = tab ? (size_t)n - alen - 1 : 0;
		const char *err = NULL;
		int result = 0;

		if (!tab)
			err = "expected two versions separated by a TAB";
		else if (hs_vercmp(cli->ctx, line, alen, b, blen, &result) < 0)
			err = hs_ctx_last_error(cli->ctx);
		if (cli->json) {
			if (print_json(line, alen, b, blen, err, result) < 0)
				break;
		} else if (puts(err ? "invalid" : result_str(result)) == EOF) {
			break;
		}
	}
	return cli_lines_finish(cli, n);
}

int cmd_vercmp(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool batch = false;
	int c, r, result = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bh", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch = true;
			break;
		case 'h':
			help_vercmp(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "vercmp", c, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (batch) {
		if (argc != 0)
			return cli_error(cli, "vercmp --batch takes no arguments (pairs are read from standard input)");
		return run_batch(cli);
	}
	if (argc != 2)
		return cli_error(cli, "vercmp needs exactly two versions (see 'homesetup vercmp --help')");

	r = hs_vercmp(cli->ctx, argv[0], strlen(argv[0]), argv[1], strlen(argv[1]), &result);
	if (cli->json)
		print_json(argv[0], strlen(argv[0]), argv[1], strlen(argv[1]),
			   r < 0 ? hs_ctx_last_error(cli->ctx) : NULL, result);
	else if (r >= 0)
		puts(result_str(result));
	if (r < 0)
		cli_error(cli, "%s", hs_ctx_last_error(cli->ctx));
	return cli_finish(cli, r < 0 ? EXIT_USAGE : EXIT_OK);
}
