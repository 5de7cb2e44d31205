/* SPDX-License-Identifier: GPL-2.0-or-later */
/* homesetup required-use: check a REQUIRED_USE expression against USE and propose the fewest changes. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "cli.h"

void help_required_use(FILE *out)
{
	fprintf(out,
		"Usage: homesetup required-use [OPTIONS] 'EXPRESSION'\n"
		"\n"
		"Check a REQUIRED_USE expression the way emerge does and, when it is not satisfied (or when\n"
		"--want asks for flags), print the fewest USE changes that satisfy it.\n"
		"\n"
		"Options:\n"
		"      --iuse 'LIST'   IUSE of the package ('+a b -c'): its defaults are applied first, and\n"
		"                      every flag of the expression must be in it (USE outside it is dropped)\n"
		"      --use 'LIST'    USE tokens applied on top, incrementally ('-openssl', '-*' work)\n"
		"      --eapi N        EAPI of the expression (default 8; '?? ( )' needs 5 or later)\n"
		"      --want 'LIST'   flags you require on ('homed') or off ('-foo')\n"
		"      --pin 'LIST'    flags that must keep their state (masked or forced ones)\n"
		"      --json          the result as one JSON object: satisfied, unsatisfied_raw,\n"
		"                      unsatisfied_human, full, full_raw, current_use, changes[{flag, enable,\n"
		"                      reason}], use, error\n"
		"  -h, --help          this help\n"
		"\n"
		"Example:\n"
		"  homesetup required-use 'homed? ( cryptsetup pam openssl )' --iuse '+pam homed cryptsetup openssl' \\\n"
		"      --use '-openssl' --want homed\n"
		"\n"
		"Exit status: 0 satisfied (with --want: nothing to change), 1 changes are needed or no USE can\n"
		"satisfy the expression, 2 invalid input or usage.\n");
}

struct requse_opts {
	const char *expr, *use, *iuse, *want, *pin;
	int eapi;
};

/* The flags of a whitespace-separated list: "flag"/"+flag" go to on, "-flag" to off (when off is NULL a
 * '-' is an error). Returns 0 or EXIT_USAGE after printing the message. */
static int split_flags(struct cli *cli, const char *opt, const char *list, hs_useset *on, hs_useset *off)
{
	const char *p = list;

	for (;;) {
		const char *tok, *flag;
		size_t n;
		bool neg;

		p += strspn(p, " \t\n");
		if (!*p)
			return 0;
		tok = p;
		n = strcspn(p, " \t\n");
		p += n;
		flag = tok + (*tok == '-' || *tok == '+');
		neg = *tok == '-';
		if ((neg && !off) || !hs_use_flag_valid(flag, (size_t)(p - flag)))
			return cli_error(cli, "%s: invalid USE flag '%.*s' at column %zu", opt, (int)n, tok,
					 (size_t)(tok - list) + 1);
		if (hs_useset_add(neg ? off : on, flag, (size_t)(p - flag)) < 0)
			return cli_error(cli, "out of memory");
	}
}

static int parse_eapi(struct cli *cli, const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > INT_MAX || *s == '-' || *s == '+' || *s == ' ')
		return cli_error(cli, "required-use: invalid EAPI '%s' (expected a number such as 8)", s);
	*out = (int)v;
	return 0;
}

static struct json_object *useset_json(const hs_useset *set)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < hs_useset_count(set); i++)
		json_object_array_add(a, cli_json_str(hs_useset_get(set, i)));
	return a;
}

/* Everything the command computed, for either output form. */
struct requse_result {
	bool satisfied;
	char *reduced_raw, *reduced_human, *full_raw, *full_human, *use_str;
	hs_requse_solution *sol;
	const char *impossible; /* the library's message when no USE satisfies the expression (lent) */
};

static void requse_result_done(struct requse_result *res)
{
	free(res->reduced_raw);
	free(res->reduced_human);
	free(res->full_raw);
	free(res->full_human);
	free(res->use_str);
	hs_requse_solution_free(res->sol);
}

static int print_json(const struct requse_result *res, const hs_useset *use)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *changes = NULL;

	if (!o)
		return -1;
	cli_json_add(o, "satisfied", json_object_new_boolean(res->satisfied));
	cli_json_add(o, "unsatisfied_raw", cli_json_str(res->satisfied ? NULL : res->reduced_raw));
	cli_json_add(o, "unsatisfied_human", cli_json_str(res->satisfied ? NULL : res->reduced_human));
	cli_json_add(o, "full", cli_json_str(res->full_human));
	cli_json_add(o, "full_raw", cli_json_str(res->full_raw));
	cli_json_add(o, "current_use", useset_json(use));
	if (res->sol) {
		changes = json_object_new_array();
		for (size_t i = 0; changes && i < hs_requse_solution_count(res->sol); i++) {
			const hs_requse_change *ch = hs_requse_solution_get(res->sol, i);
			struct json_object *c = json_object_new_object();

			if (!c)
				return -1;
			cli_json_add(c, "flag", cli_json_str(ch->flag));
			cli_json_add(c, "enable", json_object_new_boolean(ch->enable));
			cli_json_add(c, "reason", cli_json_str(ch->reason));
			json_object_array_add(changes, c);
		}
	}
	cli_json_add(o, "changes", changes);
	cli_json_add(o, "use", useset_json(res->sol ? hs_requse_solution_use(res->sol) : use));
	cli_json_add(o, "error", cli_json_str(res->impossible));
	return cli_json_print(o, true);
}

static int print_human(struct cli *cli, const struct requse_result *res, bool want)
{
	const char *good = cli_c(cli, C_GOOD), *bad = cli_c(cli, C_BAD), *hl = cli_c(cli, C_HILITE),
		   *reset = cli_c(cli, C_RESET);

	if (res->satisfied) {
		if (!cli->quiet)
			printf(" %s*%s REQUIRED_USE is satisfied by USE=\"%s\"\n", good, reset, res->use_str);
	} else {
		printf("%s!!!%s REQUIRED_USE is not satisfied by USE=\"%s\"\n", bad, reset, res->use_str);
		printf("\n  The following REQUIRED_USE flag constraints are unsatisfied:\n    %s\n", res->reduced_human);
		if (strcmp(res->reduced_human, res->full_human) != 0)
			printf("\n  The above constraints are a subset of the following complete expression:\n    %s\n",
			       res->full_human);
		putchar('\n');
	}
	if (res->sol) {
		size_t n = hs_requse_solution_count(res->sol), width = 0;
		_cleanup_free_ char *after = NULL;

		if (hs_useset_join(hs_requse_solution_use(res->sol), &after) < 0)
			return -1;
		if (n == 0) {
			if (want && !cli->quiet)
				printf(" %s*%s No USE change is needed.\n", good, reset);
			return 0;
		}
		for (size_t i = 0; i < n; i++) {
			size_t w = strlen(hs_requse_solution_get(res->sol, i)->flag) + 1;
			width = w > width ? w : width;
		}
		printf(" %s*%s The fewest USE changes that satisfy REQUIRED_USE:\n", good, reset);
		for (size_t i = 0; i < n; i++) {
			const hs_requse_change *ch = hs_requse_solution_get(res->sol, i);

			printf(" %s*%s   %s%c%s%s%*s  %s\n", good, reset, hl, ch->enable ? '+' : '-', ch->flag, reset,
			       (int)(width - strlen(ch->flag) - 1), "", ch->reason ? ch->reason : "");
		}
		printf(" %s*%s USE=\"%s\"\n", good, reset, after);
	}
	return 0;
}

int cmd_required_use(struct cli *cli, int argc, char **argv)
{
	enum { OPT_USE = 0x100, OPT_IUSE, OPT_EAPI, OPT_WANT, OPT_PIN };
	static const struct option options[] = {
		{ "use", required_argument, NULL, OPT_USE },
		{ "iuse", required_argument, NULL, OPT_IUSE },
		{ "eapi", required_argument, NULL, OPT_EAPI },
		{ "want", required_argument, NULL, OPT_WANT },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct requse_opts o = { .eapi = 8 };
	_cleanup_(hs_requse_freep) hs_requse *req = NULL;
	_cleanup_(hs_iuse_freep) hs_iuse *iuse = NULL;
	_cleanup_(hs_useset_freep) hs_useset *use = NULL, *want_on = NULL, *want_off = NULL, *pinned = NULL;
	_cleanup_(requse_result_done) struct requse_result res = { 0 };
	const hs_useset *iuse_flags = NULL;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_USE: o.use = optarg; break;
		case OPT_IUSE: o.iuse = optarg; break;
		case OPT_WANT: o.want = optarg; break;
		case OPT_PIN: o.pin = optarg; break;
		case OPT_EAPI:
			if (parse_eapi(cli, optarg, &o.eapi) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
			help_required_use(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "required-use", c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_error(cli, "required-use needs exactly one expression, quoted "
				 "(see 'homesetup required-use --help')");
	o.expr = argv[optind];

	if (hs_requse_parse(cli->ctx, &req, o.expr, strlen(o.expr), o.eapi) < 0)
		return cli_error(cli, "%s", hs_ctx_last_error(cli->ctx)); /* it names REQUIRED_USE and the column */
	if (hs_useset_new(&use) < 0 || hs_useset_new(&want_on) < 0 || hs_useset_new(&want_off) < 0 ||
	    hs_useset_new(&pinned) < 0)
		return cli_error(cli, "out of memory");

	/* IUSE defaults first (Portage's pkginternal layer), then the user's USE on top. */
	if (o.iuse) {
		_cleanup_free_ char *defaults = NULL;

		if (hs_iuse_parse(cli->ctx, &iuse, o.iuse, strlen(o.iuse)) < 0)
			return cli_lib_error(cli, EXIT_USAGE, "--iuse");
		iuse_flags = hs_iuse_flags(iuse);
		if (hs_iuse_defaults(iuse, &defaults) < 0 ||
		    hs_useset_apply_list(cli->ctx, use, defaults, strlen(defaults), iuse_flags) < 0)
			return cli_lib_error(cli, EXIT_USAGE, "IUSE defaults");
	}
	if (o.use && hs_useset_apply_list(cli->ctx, use, o.use, strlen(o.use), iuse_flags) < 0)
		return cli_lib_error(cli, EXIT_USAGE, "--use");
	if (iuse_flags) {
		/* Portage only lets a package see the USE flags in its IUSE. */
		for (size_t i = 0; i < hs_useset_count(use);) {
			const char *f = hs_useset_get(use, i);

			if (hs_useset_has(iuse_flags, f, strlen(f))) {
				i++;
				continue;
			}
			fprintf(stderr, " %s*%s USE flag '%s' is not in IUSE; it is ignored\n",
				cli_c(cli, C_WARN), cli_c(cli, C_RESET), f);
			hs_useset_remove(use, f, strlen(f));
		}
	}
	if (o.want && split_flags(cli, "--want", o.want, want_on, want_off) != 0)
		return EXIT_USAGE;
	if (o.pin && split_flags(cli, "--pin", o.pin, pinned, NULL) != 0)
		return EXIT_USAGE;

	r = hs_requse_check(cli->ctx, req, use, iuse_flags);
	if (r < 0)
		return cli_lib_error(cli, EXIT_USAGE, "REQUIRED_USE");
	res.satisfied = r > 0;
	if (hs_requse_format(req, HS_REQUSE_RAW, &res.full_raw) < 0 ||
	    hs_requse_format(req, HS_REQUSE_HUMAN, &res.full_human) < 0 || hs_useset_join(use, &res.use_str) < 0)
		return cli_error(cli, "out of memory");
	if (!res.satisfied &&
	    (hs_requse_reduce(cli->ctx, req, use, iuse_flags, HS_REQUSE_RAW, &res.reduced_raw) < 0 ||
	     hs_requse_reduce(cli->ctx, req, use, iuse_flags, HS_REQUSE_HUMAN, &res.reduced_human) < 0))
		return cli_lib_error(cli, EXIT_USAGE, "REQUIRED_USE");

	if (o.want || !res.satisfied) {
		r = hs_requse_solve(cli->ctx, &res.sol, req, use, iuse_flags, want_on, want_off, pinned);
		if (r == -EDOM)
			res.impossible = hs_ctx_last_error(cli->ctx);
		else if (r < 0)
			return cli_lib_error(cli, EXIT_USAGE, "REQUIRED_USE");
	}

	if (cli->json)
		r = print_json(&res, use);
	else
		r = print_human(cli, &res, o.want != NULL);
	if (r < 0)
		return cli_error(cli, "out of memory");
	if (res.impossible)
		cli_error(cli, "%s", res.impossible);

	if (res.impossible)
		return cli_finish(cli, EXIT_NEEDS_ACTION);
	if (res.sol)
		return cli_finish(cli, hs_requse_solution_count(res.sol) > 0 ? EXIT_NEEDS_ACTION : EXIT_OK);
	return cli_finish(cli, res.satisfied ? EXIT_OK : EXIT_NEEDS_ACTION);
}
