/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
