/* SPDX-License-Identifier: GPL-2.0-or-later */
/* homesetup atom: parse, show, compare and intersect package atoms. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void help_atom(FILE *out)
{
	fprintf(out,
		"Usage: homesetup atom [OPTIONS] ATOM...\n"
		"       homesetup atom [OPTIONS] --batch < ATOMS\n"
		"       homesetup atom [OPTIONS] --compare|--intersects A B\n"
		"       homesetup atom [OPTIONS] --compare|--intersects --batch < PAIRS\n"
		"\n"
		"Parse package dependency atoms (PMS EAPI 8 plus Portage's ::repo) and show their parts:\n"
		"blocker, operator, category, package, version, revision, slot, sub-slot, slot operator,\n"
		"repository, USE dependencies, and the canonical form.\n"
		"\n"
		"Syntax (default: EAPI 8 with ::repo):\n"
		"      --repo          EAPI 8 dependency atoms with ::repo (the default)\n"
		"      --pms           strict EAPI 8 dependency atoms: no ::repo\n"
		"      --user-config   atoms as /etc/portage/package.* files take them: '*' wildcards and\n"
		"                      ::repo allowed, blockers and [USE] dependencies rejected\n"
		"      --cpv           a bare category/package-version (no operator), as in the VDB\n"
		"\n"
		"Modes:\n"
		"  -b, --batch         read one atom per line from standard input and print one JSON object\n"
		"                      per line; invalid atoms give {\"valid\":false,\"error\":...} and do not\n"
		"                      change the exit status\n"
		"      --compare       compare atoms A and B and print '<', '==' or '>' (a total order:\n"
		"                      category, package, version, operator, blocker, slot, ...)\n"
		"      --intersects    print 'yes' when some package can match both A and B, else 'no';\n"
		"                      with --batch, --compare and --intersects read 'A<TAB>B' lines and\n"
		"                      print one result per line ('invalid' when either atom is invalid)\n"
		"      --json          one JSON object per atom (or pair), one per line, with the keys atom,\n"
		"                      valid, blocker, operator, category, package, version, revision, slot,\n"
		"                      subslot, slot_op, repo, use, wildcard, canonical\n"
		"  -h, --help          this help\n"
		"\n"
		"Exit status: 0 every atom is valid (--batch: all input read), 2 an invalid atom, usage or\n"
		"I/O error.\n");
}

enum mode { MODE_SHOW, MODE_COMPARE, MODE_INTERSECTS };

static const char *op_str(hs_atom_op op)
{
	switch (op) {
	case HS_OP_LT: return "<";
	case HS_OP_LE: return "<=";
	case HS_OP_EQ: return "=";
	case HS_OP_GLOB: return "=*";
	case HS_OP_APPROX: return "~";
	case HS_OP_GE: return ">=";
	case HS_OP_GT: return ">";
	case HS_OP_NONE: break;
	}
	return NULL;
}

static const char *blocker_str(hs_blocker b)
{
	return b == HS_BLOCK_WEAK ? "!" : b == HS_BLOCK_STRONG ? "!!" : NULL;
}

static const char *slot_op_str(hs_slot_op op)
{
	return op == HS_SLOT_OP_STAR ? "*" : op == HS_SLOT_OP_EQUAL ? "=" : NULL;
}

/* A USE dependency as written in the atom, e.g. "u(+)=" or "!e?". */
static char *usedep_str(const hs_usedep *u)
{
	const char *prefix = "", *dflt = "", *suffix = "";
	char *s;

	switch (u->kind) {
	case HS_USEDEP_ENABLED: break;
	case HS_USEDEP_DISABLED: prefix = "-"; break;
	case HS_USEDEP_EQUAL: suffix = "="; break;
	case HS_USEDEP_NOT_EQUAL: prefix = "!", suffix = "="; break;
	case HS_USEDEP_IF_ENABLED: suffix = "?"; break;
	case HS_USEDEP_IF_DISABLED: prefix = "!", suffix = "?"; break;
	}
	if (u->dflt == HS_USEDEP_DEFAULT_ON)
		dflt = "(+)";
	else if (u->dflt == HS_USEDEP_DEFAULT_OFF)
		dflt = "(-)";
	if (asprintf(&s, "%s%s%s%s", prefix, u->flag, dflt, suffix) < 0)
		return NULL;
	return s;
}

static struct json_object *atom_json(const char *text, size_t len, const hs_atom *a, const char *err)
{
	struct json_object *o = json_object_new_object(), *use;
	const hs_version *v;
	_cleanup_free_ char *canonical = NULL;
	int r = 0;

	if (!o)
		return NULL;
	r |= cli_json_add(o, "atom", cli_json_text(text, len));
	r |= cli_json_add(o, "valid", json_object_new_boolean(a != NULL));
	if (!a) {
		r |= cli_json_add(o, "error", cli_json_str(err));
		goto out;
	}
	v = hs_atom_version(a);
	r |= cli_json_add(o, "blocker", cli_json_str(blocker_str(hs_atom_blocker(a))));
	r |= cli_json_add(o, "operator", cli_json_str(op_str(hs_atom_op_get(a))));
	r |= cli_json_add(o, "category", cli_json_str(hs_atom_category(a)));
	r |= cli_json_add(o, "package", cli_json_str(hs_atom_package(a)));
	r |= cli_json_add(o, "version", cli_json_str(v ? hs_version_str(v) : NULL));
	r |= cli_json_add(o, "revision",
			  cli_json_str(v && *hs_version_revision(v) ? hs_version_revision(v) : NULL));
	r |= cli_json_add(o, "slot", cli_json_str(hs_atom_slot(a)));
	r |= cli_json_add(o, "subslot", cli_json_str(hs_atom_subslot(a)));
	r |= cli_json_add(o, "slot_op", cli_json_str(slot_op_str(hs_atom_slot_op(a))));
	r |= cli_json_add(o, "repo", cli_json_str(hs_atom_repo(a)));
	use = json_object_new_array();
	for (size_t i = 0; use && i < hs_atom_usedep_count(a); i++) {
		_cleanup_free_ char *u = usedep_str(hs_atom_usedep(a, i));
		if (!u || json_object_array_add(use, cli_json_str(u)) < 0)
			r = -1;
	}
	r |= cli_json_add(o, "use", use);
	r |= cli_json_add(o, "wildcard", json_object_new_boolean(hs_atom_is_wildcard(a)));
	if (hs_atom_format(a, &canonical) < 0)
		r = -1;
	r |= cli_json_add(o, "canonical", cli_json_str(canonical));
out:
	if (r < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void print_field(const char *key, const char *value)
{
	if (value)
		printf("  %-15s%s\n", key, value);
}

/* The human form: the atom as given, then its parts aligned, only those present. */
static int print_atom(const char *text, const hs_atom *a)
{
	const hs_version *v = hs_atom_version(a);
	_cleanup_free_ char *canonical = NULL;
	size_t n = hs_atom_usedep_count(a);

	if (hs_atom_format(a, &canonical) < 0)
		return -1;
	printf("%s\n", text);
	print_field("blocker:", blocker_str(hs_atom_blocker(a)));
	print_field("operator:", op_str(hs_atom_op_get(a)));
	print_field("category:", hs_atom_category(a));
	print_field("package:", hs_atom_package(a));
	if (v) {
		print_field("version:", hs_version_str(v));
		print_field("revision:", *hs_version_revision(v) ? hs_version_revision(v) : NULL);
	}
	print_field("slot:", hs_atom_slot(a));
	print_field("subslot:", hs_atom_subslot(a));
	print_field("slot operator:", slot_op_str(hs_atom_slot_op(a)));
	print_field("repo:", hs_atom_repo(a));
	if (n > 0) {
		printf("  %-15s", "USE deps:");
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *u = usedep_str(hs_atom_usedep(a, i));
			if (!u)
				return -1;
			printf("%s%s", i ? " " : "", u);
		}
		putchar('\n');
	}
	if (hs_atom_is_wildcard(a))
		print_field("wildcard:", "yes");
	print_field("canonical:", canonical);
	return 0;
}

static int show_atoms(struct cli *cli, char **atoms, int n, unsigned flags)
{
	int ret = EXIT_OK, shown = 0;

	for (int i = 0; i < n; i++) {
		_cleanup_atom_ hs_atom *a = NULL;
		size_t len = strlen(atoms[i]);
		int r = hs_atom_parse(cli->ctx, &a, atoms[i], len, flags);

		if (r < 0)
			ret = EXIT_USAGE;
		if (cli->json) {
			_cleanup_json_ struct json_object *o =
				atom_json(atoms[i], len, a, r < 0 ? hs_ctx_last_error(cli->ctx) : NULL);
			if (!o || cli_json_print(o, false) < 0)
				return cli_error(cli, "cannot write the JSON output");
			continue;
		}
		if (r < 0) {
			cli_error(cli, "%s", hs_ctx_last_error(cli->ctx));
			continue;
		}
		if (shown++ > 0)
			putchar('\n');
		if (print_atom(atoms[i], a) < 0)
			return cli_error(cli, "out of memory");
	}
	return cli_finish(cli, ret);
}

static int batch_atoms(struct cli *cli, unsigned flags)
{
	_cleanup_lines_ struct cli_lines in = { .fd = STDIN_FILENO };
	_cleanup_(hs_atom_buf_freep) hs_atom_buf *buf = NULL;
	char *line;
	ssize_t n;

	/* One buffer for every line: a batch of thousands of atoms allocates nothing per atom to parse it. */
	if (hs_atom_buf_new(&buf) < 0)
		return cli_error(cli, "out of memory");
	while ((n = cli_lines_next(&in, &line)) >= 0) {
		const hs_atom *a = NULL;
		_cleanup_json_ struct json_object *o = NULL;
		int r = hs_atom_parse_into(cli->ctx, &a, buf, line, (size_t)n, flags);

		o = atom_json(line, (size_t)n, a, r < 0 ? hs_ctx_last_error(cli->ctx) : NULL);
		if (!o)
			return cli_error(cli, "out of memory");
		if (cli_json_print(o, false) < 0)
			break;
	}
	return cli_lines_finish(cli, n);
}

/* Compare or intersect two atoms. *err is NULL on success, else why (lent). */
static const char *pair_result(struct cli *cli, enum mode mode, const char *a, size_t alen, const char *b,
			       size_t blen, unsigned flags, const char **err)
{
	_cleanup_atom_ hs_atom *x = NULL, *y = NULL;
	int c;

	*err = NULL;
	if (hs_atom_parse(cli->ctx, &x, a, alen, flags) < 0 || hs_atom_parse(cli->ctx, &y, b, blen, flags) < 0) {
		*err = hs_ctx_last_error(cli->ctx);
		return NULL;
	}
	if (mode == MODE_INTERSECTS)
		return hs_atom_intersects(x, y) ? "yes" : "no";
	c = hs_atom_compare(x, y);
	return c < 0 ? "<" : c > 0 ? ">" : "==";
}

static int print_pair(struct cli *cli, enum mode mode, const char *a, size_t alen, const char *b, size_t blen,
		      const char *result, const char *err)
{
	_cleanup_json_ struct json_object *o = NULL;

	if (!cli->json)
		return puts(result ? result : "invalid") == EOF ? -1 : 0;
	o = json_object_new_object();
	if (!o)
		return -1;
	cli_json_add(o, "a", cli_json_text(a, alen));
	cli_json_add(o, "b", cli_json_text(b, blen));
	if (!result)
		cli_json_add(o, "result", NULL);
	else if (mode == MODE_INTERSECTS)
		cli_json_add(o, "result", json_object_new_boolean(strcmp(result, "yes") == 0));
	else
		cli_json_add(o, "result", json_object_new_string(result));
	if (err)
		cli_json_add(o, "error", cli_json_str(err));
	return cli_json_print(o, false);
}

static int batch_pairs(struct cli *cli, enum mode mode, unsigned flags)
{
	_cleanup_lines_ struct cli_lines in = { .fd = STDIN_FILENO };
	char *line;
	ssize_t n;

	while ((n = cli_lines_next(&in, &line)) >= 0) {
		const char *tab = memchr(line, '\t', (size_t)n);
		size_t alen = tab ? (size_t)(tab - line) : (size_t)n;
		const char *b = tab ? tab + 1 : "";
		size_t blen = tab ? (size_t)n - alen - 1 : 0;
		const char *result = NULL, *err = "expected two atoms separated by a TAB";

		if (tab)
			result = pair_result(cli, mode, line, alen, b, blen, flags, &err);
		if (print_pair(cli, mode, line, alen, b, blen, result, err) < 0)
			break;
	}
	return cli_lines_finish(cli, n);
}

int cmd_atom(struct cli *cli, int argc, char **argv)
{
	enum { OPT_USER_CONFIG = 0x100, OPT_REPO, OPT_PMS, OPT_CPV, OPT_COMPARE, OPT_INTERSECTS };
	static const struct option options[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "user-config", no_argument, NULL, OPT_USER_CONFIG },
		{ "repo", no_argument, NULL, OPT_REPO },
		{ "pms", no_argument, NULL, OPT_PMS },
		{ "cpv", no_argument, NULL, OPT_CPV },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "intersects", no_argument, NULL, OPT_INTERSECTS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned flags = HS_ATOM_ALLOW_REPO;
	const char *syntax = NULL;
	enum mode mode = MODE_SHOW;
	bool batch = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bh", options, NULL)) != -1) {
		const char *this_syntax = NULL;

		switch (c) {
		case 'b':
			batch = true;
			break;
		case OPT_USER_CONFIG:
			this_syntax = "--user-config", flags = HS_ATOM_USER_CONFIG;
			break;
		case OPT_REPO:
			this_syntax = "--repo", flags = HS_ATOM_ALLOW_REPO;
			break;
		case OPT_PMS:
			this_syntax = "--pms", flags = HS_ATOM_PMS;
			break;
		case OPT_CPV:
			this_syntax = "--cpv", flags = HS_ATOM_CPV;
			break;
		case OPT_COMPARE:
		case OPT_INTERSECTS:
			if (mode != MODE_SHOW)
				return cli_error(cli, "atom: --compare and --intersects exclude each other");
			mode = c == OPT_COMPARE ? MODE_COMPARE : MODE_INTERSECTS;
			break;
		case 'h':
			help_atom(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "atom", c, argv);
		}
		if (this_syntax) {
			if (syntax && strcmp(syntax, this_syntax) != 0)
				return cli_error(cli, "atom: %s and %s exclude each other", syntax, this_syntax);
			syntax = this_syntax;
		}
	}
	argc -= optind;
	argv += optind;

	if (batch) {
		if (argc != 0)
			return cli_error(cli, "atom --batch takes no arguments (it reads standard input)");
		return mode == MODE_SHOW ? batch_atoms(cli, flags) : batch_pairs(cli, mode, flags);
	}
	if (mode == MODE_SHOW) {
		if (argc == 0)
			return cli_error(cli, "atom: no atom given (see 'homesetup atom --help')");
		return show_atoms(cli, argv, argc, flags);
	}
	if (argc != 2)
		return cli_error(cli, "atom %s needs exactly two atoms",
				 mode == MODE_COMPARE ? "--compare" : "--intersects");

	const char *err, *result = pair_result(cli, mode, argv[0], strlen(argv[0]), argv[1], strlen(argv[1]),
					       flags, &err);
	if (result || cli->json)
		print_pair(cli, mode, argv[0], strlen(argv[0]), argv[1], strlen(argv[1]), result, err);
	if (!result)
		cli_error(cli, "%s", err);
	return cli_finish(cli, result ? EXIT_OK : EXIT_USAGE);
}
