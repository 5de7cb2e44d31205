/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line-based config files (package.use, use.mask, parent, package.accept_keywords …) tokenised the way Portage's
 * grablines()/grabdict()/grabfile() do, keeping the file and line of every line for messages and provenance:
 *   - the file is decoded as UTF-8 with errors="replace" (each maximal invalid sequence becomes U+FFFD);
 *   - lines end at "\n", "\r\n" or a lone "\r" (Python's universal newlines);
 *   - a line is split with str.split(): on runs of Unicode whitespace (ASCII blanks, \v, \f, \x1c-\x1f, U+0085,
 *     U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000);
 *   - the tokens stop at the first one that starts with '#', so "atom flag # note" is "atom flag" but
 *     "flag#x" stays one token; lines left without tokens are dropped.
 * A NUL byte (which Python would keep inside a token) is read as U+FFFD so that tokens stay C strings.
 */
#include "homesetupP.h"

#include <stdint.h>

int hs_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;
	uint32_t c;

	if (len == 0)
		return -1;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		need = 1;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		need = 2;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;
		else if (u[0] == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		need = 3;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;
		else if (u[0] == 0xf4)
			hi = 0x8f;
	} else
		return -1;
	/* Unicode's "maximal subpart" rule (what Python's decoder follows): stop at the first byte that cannot
	 * continue the sequence; everything before it is one replacement character. */
	for (size_t i = 1; i <= need; i++) {
		if (i >= len || u[i] < lo || u[i] > hi)
			return -(int)i;
		c = (c << 6) | (u[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return (int)need + 1;
}

static bool is_py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

void hs_conflines_free(hs_conflines *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hs_strv_free(l->v[i].tokens);
	free(l->v);
	hs_strv_free(l->paths);
	l->v = NULL;
	l->paths = NULL;
	l->n = l->cap = 0;
}

typedef struct tokv {
	char **v;
	size_t n, cap;
} tokv;

static int tokv_push(tokv *t, hs_buf *b)
{
	if (t->n + 1 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char **n = realloc(t->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->v = n;
		t->cap = cap;
	}
	t->v[t->n] = hs_buf_steal(b);
	if (!t->v[t->n])
		return -ENOMEM;
	t->v[++t->n] = NULL;
	return 0;
}

static int add_line(hs_conflines *out, const char *path, unsigned line, tokv *t)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 32;
		hs_confline *n = realloc(out->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		out->v = n;
		out->cap = cap;
	}
	out->v[out->n++] = (hs_confline){ .path = path, .line = line, .tokens = t->v };
	*t = (tokv){ 0 };
	return 0;
}

int hs_conflines_parse_buf(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_conflines *out)
{
	_cleanup_buf_ hs_buf tok = {0};
	tokv t = {0};
	const char *shared;
	unsigned line = 1;
	bool in_token = false, cut = false;
	size_t i = 0;
	int r;

	if (!out || (!buf && len))
		return -EINVAL;
	r = hs_strv_push(&out->paths, path ? path : "", strlen(path ? path : ""));
	if (r < 0)
		return r;
	shared = out->paths[hs_strv_length(out->paths) - 1];

	while (i <= len) {
		bool eol = false, space = false;
		const char *bytes = NULL;
		size_t nbytes = 0, step = 1;

		if (i == len)
			eol = true;
		else {
			unsigned char b = (unsigned char)buf[i];

			if (b == '\n')
				eol = true;
			else if (b == '\r') {
				eol = true;
				if (i + 1 < len && buf[i + 1] == '\n')
					step = 2;
			} else if (b == 0) {
				bytes = "\xef\xbf\xbd";
				nbytes = 3;
			} else if (b < 0x80) {
				space = is_py_space(b);
				bytes = buf + i;
				nbytes = 1;
			} else {
				uint32_t cp;
				int k = hs_utf8_next(buf + i, len - i, &cp);

				if (k > 0) {
					space = is_py_space(cp);
					bytes = buf + i;
					nbytes = step = (size_t)k;
				} else {
					bytes = "\xef\xbf\xbd";
					nbytes = 3;
					step = (size_t)-k;
				}
			}
		}
		if ((eol || space) && in_token) {
			in_token = false;
			if (tok.p && tok.p[0] == '#')
				cut = true; /* the rest of the line is a comment */
			else if (!cut) {
				r = tokv_push(&t, &tok);
				if (r < 0)
					goto fail;
			}
			hs_buf_free(&tok);
		}
		if (eol) {
			if (t.n) {
				r = add_line(out, shared, line, &t);
				if (r < 0)
					goto fail;
			}
			line++;
			cut = false;
			if (i == len)
				break;
		} else if (!space && !cut) {
			in_token = true;
			r = hs_buf_append(&tok, bytes, nbytes);
			if (r < 0)
				goto fail;
		}
		i += step;
	}
	return 0;
fail:
	hs_strv_free(t.v);
	return r;
}

int hs_conflines_read(hs_ctx *ctx, hs_root_kind kind, const char *path, bool recursive, hs_conflines *out)
{
	_cleanup_(hs_strv_freep) char **files = NULL;
	int r;

	if (!path || !out)
		return -EINVAL;
	if (recursive)
		r = hs_root_list_config(ctx, kind, path, &files);
	else
		r = hs_strv_push(&files, path, strlen(path));
	if (r < 0)
		return r;
	for (char **f = files; *f; f++) {
		_cleanup_free_ char *data = NULL;
		size_t len = 0;

		r = hs_root_read_file(ctx, kind, *f, HS_GETCONFIG_MAX_FILE, &data, &len);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		r = hs_conflines_parse_buf(ctx, *f, data, len, out);
		if (r < 0)
			return r;
	}
	return 0;
}
