/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one (overlongs, surrogates and
 * code points above U+10FFFF are invalid too). */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

struct json_object *cli_json_text(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	struct printbuf *pb;
	struct json_object *o;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0)
			break;
		i += n;
	}
	if (i == len)
		return json_object_new_string_len(s, (int)len);

	/* Rare path: rebuild with U+FFFD for every byte that does not start a valid sequence. */
	pb = printbuf_new();
	if (!pb)
		return NULL;
	for (i = 0; i < len;) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			printbuf_memappend(pb, "\xef\xbf\xbd", 3);
			i++;
		} else {
			printbuf_memappend(pb, s + i, (int)n);
			i += n;
		}
	}
	o = json_object_new_string_len(pb->buf, pb->bpos);
	printbuf_free(pb);
	return o;
}

struct json_object *cli_json_str(const char *s)
{
	return s ? cli_json_text(s, strlen(s)) : NULL;
}

int cli_json_add(struct json_object *obj, const char *key, struct json_object *value)
{
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

int cli_json_print(struct json_object *obj, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	size_t len;
	const char *s = json_object_to_json_string_length(obj, flags, &len);

	if (!s)
		return -1;
	if (fwrite(s, 1, len, stdout) != len || putchar('\n') == EOF)
		return -1;
	return 0;
}

void cli_lines_init(struct cli_lines *r, int fd)
{
	*r = (struct cli_lines){ .fd = fd };
}

void cli_lines_done(struct cli_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

ssize_t cli_lines_next(struct cli_lines *r, char **line)
{
	for (;;) {
		char *nl = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		size_t len;
		ssize_t n;

		if (nl || (r->eof && r->end > r->start)) {
			*line = r->buf + r->start;
			len = nl ? (size_t)(nl - *line) : r->end - r->start;
			r->start += len + (nl != NULL);
			while (len > 0 && ((*line)[len - 1] == '\r' || (*line)[len - 1] == '\n'))
				len--;
			(*line)[len] = '\0'; /* the buffer keeps a spare byte past end for this */
			return (ssize_t)len;
		}
		if (r->eof)
			return -1;
		/* No complete line is buffered: make room, and answer what was asked so far before blocking,
		 * so that a co-process writing one line and waiting for its answer is served. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < 4096 + 1) {
			size_t cap = r->cap ? r->cap * 2 : 65536;
			char *p = realloc(r->buf, cap);

			if (!p) {
				errno = ENOMEM;
				return -2;
			}
			r->buf = p;
			r->cap = cap;
		}
		if (fflush(stdout) != 0)
			return -3;
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -2;
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

int cli_lines_finish(struct cli *cli, ssize_t last)
{
	if (last == -2)
		return cli_error(cli, "error reading standard input: %s", strerror(errno));
	return cli_finish(cli, EXIT_OK);
}

int cli_finish(struct cli *cli, int code)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_error(cli, "write error: %s", strerror(errno));
	return code;
}

int cli_option_error(struct cli *cli, const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cli_error(cli, "%s: option '%s' needs an argument (see '%s %s --help')", cmd, arg,
				 cli->prog, cmd);
	if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 0x7f)
		return cli_error(cli, "%s: unknown option '-%c' (see '%s %s --help')", cmd, optopt, cli->prog, cmd);
	if (strchr(arg, '='))
		return cli_error(cli, "%s: unknown option, or an option that takes no value, in '%s' (see '%s %s --help')",
				 cmd, arg, cli->prog, cmd);
	return cli_error(cli, "%s: unknown option '%s' (see '%s %s --help')", cmd, arg, cli->prog, cmd);
}

/* ---- check reports: `check` and `migrate check` ---------------------------------------------------------- */

#define C_BRACKET "\033[34;01m" /* OpenRC's blue brackets around the status */
#define REPORT_WIDTH 100

static const struct {
	const char *group, *title;
} group_titles[] = {
	{ "use", "USE flags emerge would build with" },
	{ "vdb", "Installed packages (/var/db/pkg)" },
	{ "service", "Service manager" },
	{ "nss", "Name service switch (/etc/nsswitch.conf)" },
	{ "pam", "PAM (/etc/pam.d)" },
	{ "kernel", "Kernel" },
	{ "homed-conf", "homed.conf" },
	{ "keys", "homed's signing keys" },
	{ "space", "Disk space for the homes" },
	{ "migrate", "Migrating the user to systemd-homed" },
};

void cli_heading(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	printf("\n %s*%s %s", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), cli_c(cli, C_BOLD));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", cli_c(cli, C_RESET));
}

void cli_report_print_group(struct cli *cli, const char *group, const char *user)
{
	const char *title = group;

	/* the user is known: name it, as `migrate check USER` does */
	if (user && strcmp(group, "migrate") == 0) {
		cli_heading(cli, "Migrating %s to systemd-homed", user);
		return;
	}
	for (size_t i = 0; i < sizeof(group_titles) / sizeof(group_titles[0]); i++)
		if (strcmp(group_titles[i].group, group) == 0)
			title = group_titles[i].title;
	cli_heading(cli, "%s", title);
}

void cli_report_count(const hs_report *rep, size_t counts[4])
{
	counts[HS_CHECK_OK] = counts[HS_CHECK_WARN] = counts[HS_CHECK_FAIL] = counts[HS_CHECK_SKIP] = 0;
	for (size_t i = 0; i < hs_report_count(rep); i++)
		counts[hs_report_get(rep, i)->status]++;
}

static int report_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col < REPORT_WIDTH ? ws.ws_col : REPORT_WIDTH;
	return REPORT_WIDTH;
}

static const char *status_colour(hs_check_status s)
{
	switch (s) {
	case HS_CHECK_OK: return C_GOOD;
	case HS_CHECK_WARN: return C_WARN;
	case HS_CHECK_FAIL: return C_BAD;
	case HS_CHECK_SKIP: return C_HILITE;
	}
	return "";
}

/* OpenRC's eend: "[ ok ]" and "[ !! ]", with "warn" and "skip" for the two states it does not have. */
static const char *status_tag(hs_check_status s)
{
	switch (s) {
	case HS_CHECK_OK: return " ok ";
	case HS_CHECK_WARN: return "warn";
	case HS_CHECK_FAIL: return " !! ";
	case HS_CHECK_SKIP: return "skip";
	}
	return " ?? ";
}

/* Each line of @text, indented. */
static void print_lines(const char *indent, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		printf("%s%.*s\n", indent, (int)n, text);
		text += n;
		text += *text == '\n';
	}
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Results a reader cannot tell apart (e.g. every check of a group skipped for the same reason) are shown once. */
static bool same_result(const hs_check_result *a, const hs_check_result *b)
{
	return a && b && a->status == b->status && strcmp(a->group, b->group) == 0 && same_str(a->summary, b->summary) &&
	       same_str(a->detail, b->detail) && same_str(a->fix, b->fix);
}

static void print_result(struct cli *cli, const hs_check_result *r, size_t times, int width, bool verbose)
{
	const char *reset = cli_c(cli, C_RESET);
	char more[32] = "";
	int used, col = width - 6;
	bool problem = r->status != HS_CHECK_OK;

	if (times > 1)
		snprintf(more, sizeof(more), " (%zu checks)", times);
	used = 3 + (int)strlen(r->summary) + (int)strlen(more);
	printf(" %s*%s %s%s", cli_c(cli, status_colour(r->status)), reset, r->summary, more);
	/* the status at the right edge, or on a line of its own when the summary reaches it (as OpenRC does) */
	if (used + 1 > col) {
		putchar('\n');
		used = 0;
	}
	printf("%*s%s[%s%s%s%s]%s\n", col - used, "", cli_c(cli, C_BRACKET), reset, cli_c(cli, status_colour(r->status)),
	       status_tag(r->status), cli_c(cli, C_BRACKET), reset);
	if (verbose)
		printf("     check: %s\n", r->id);
	if (problem || verbose)
		print_lines("     ", r->detail);
	if (r->fix && (problem || verbose)) {
		/* a fix of several lines (lines to add to a file) continues under its first line */
		size_t n = strcspn(r->fix, "\n");

		printf("   %sfix:%s %.*s\n", cli_c(cli, C_BOLD), reset, (int)n, r->fix);
		if (r->fix[n])
			print_lines("        ", r->fix + n + 1);
	}
}

void cli_report_print_results(struct cli *cli, const hs_report *rep, const struct cli_report_view *view)
{
	const char *group = NULL;
	int width = report_width();

	for (size_t i = 0, times; i < hs_report_count(rep); i += times) {
		const hs_check_result *r = hs_report_get(rep, i);

		for (times = 1; view->collapse && !view->verbose && same_result(r, hs_report_get(rep, i + times)); times++)
			;
		/* -q: the problems only */
		if (cli->quiet && (r->status == HS_CHECK_OK || r->status == HS_CHECK_SKIP))
			continue;
		if (view->groups && (!group || strcmp(group, r->group) != 0)) {
			group = r->group;
			cli_report_print_group(cli, group, view->user);
		}
		print_result(cli, r, times, width, view->verbose);
	}
}

void cli_report_print_counts(struct cli *cli, const hs_report *rep)
{
	size_t counts[4];

	cli_report_count(rep, counts);
	printf("\n %s*%s %zu failed, %zu warning%s, %zu ok, %zu skipped\n", cli_c(cli, status_colour(hs_report_worst(rep))),
	       cli_c(cli, C_RESET), counts[HS_CHECK_FAIL], counts[HS_CHECK_WARN], counts[HS_CHECK_WARN] == 1 ? "" : "s",
	       counts[HS_CHECK_OK], counts[HS_CHECK_SKIP]);
}

int cli_report_json_add(struct json_object *o, const hs_report *rep)
{
	struct json_object *results = json_object_new_array(), *cnt;
	size_t counts[4];

	if (!results || cli_json_add(o, "results", results) < 0)
		return -1;
	for (size_t i = 0; i < hs_report_count(rep); i++) {
		const hs_check_result *r = hs_report_get(rep, i);
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(results, e) < 0) {
			json_object_put(e);
			return -1;
		}
		if (cli_json_add(e, "id", cli_json_str(r->id)) < 0 || cli_json_add(e, "group", cli_json_str(r->group)) < 0 ||
		    cli_json_add(e, "status", cli_json_str(hs_check_status_name(r->status))) < 0 ||
		    cli_json_add(e, "summary", cli_json_str(r->summary)) < 0 ||
		    cli_json_add(e, "detail", cli_json_str(r->detail)) < 0 || cli_json_add(e, "fix", cli_json_str(r->fix)) < 0)
			return -1;
	}
	cli_report_count(rep, counts);
	cnt = json_object_new_object();
	if (!cnt || cli_json_add(o, "counts", cnt) < 0)
		return -1;
	if (cli_json_add(cnt, "OK", json_object_new_int64((int64_t)counts[HS_CHECK_OK])) < 0 ||
	    cli_json_add(cnt, "WARN", json_object_new_int64((int64_t)counts[HS_CHECK_WARN])) < 0 ||
	    cli_json_add(cnt, "FAIL", json_object_new_int64((int64_t)counts[HS_CHECK_FAIL])) < 0 ||
	    cli_json_add(cnt, "SKIP", json_object_new_int64((int64_t)counts[HS_CHECK_SKIP])) < 0)
		return -1;
	return cli_json_add(o, "worst", cli_json_str(hs_check_status_name(hs_report_worst(rep))));
}

void cli_kv_put(const char *key, const char *value)
{
	printf("%s=", key);
	for (const char *s = value; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default: putchar(*s);
		}
	}
}

void cli_report_print_kv(const hs_report *rep)
{
	for (size_t i = 0; i < hs_report_count(rep); i++) {
		const hs_check_result *r = hs_report_get(rep, i);

		cli_kv_put("id", r->id);
		putchar('\t');
		cli_kv_put("group", r->group);
		printf("\tstatus=%s\t", hs_check_status_name(r->status));
		cli_kv_put("summary", r->summary);
		if (r->detail) {
			putchar('\t');
			cli_kv_put("detail", r->detail);
		}
		if (r->fix) {
			putchar('\t');
			cli_kv_put("fix", r->fix);
		}
		putchar('\n');
	}
}

int cli_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		const char *u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;

		if (!u || (p[1] && strcmp(p + 1, "B") != 0 && strcmp(p + 1, "iB") != 0))
			return -EINVAL;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return *out ? 0 : -EINVAL;
}
