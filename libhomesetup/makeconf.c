/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make.conf, make.defaults and friends, read the way Portage's getconfig() reads them.
 *
 * Portage does not run bash on these files: it runs Python's shlex (POSIX mode) with its own set of word
 * characters, then expands the values with its varexpand(). This file reproduces both, including their corners,
 * because the answer must be the one emerge will act on:
 *   - a token is built from word characters [A-Za-z0-9] and ~!@#$%*_\:;?,./-+{} , quoted strings and
 *     backslash escapes; any other character ('=', '&', '(', '[', control bytes, every non-ASCII character) is
 *     a token of its own, which is how "FOO=bar" becomes the three tokens FOO, =, bar;
 *   - '#' starts a comment wherever it is not quoted or escaped, also inside a word (FOO=a#b is "a");
 *   - inside double quotes a backslash only escapes '"' and '\' (otherwise it is kept), so the "\<newline>"
 *     continuation survives shlex and is removed by varexpand; outside quotes "\<newline>" is a newline that
 *     varexpand turns into a space (USE=a\<NL>b is "a b", USE="a \<NL>  b" is "a   b");
 *   - varexpand runs on the unquoted text: ${VAR} and $VAR from the variables so far (undefined: empty), but not
 *     after a quote character that shlex left in the value, \$ and \\ unescaped, newlines become spaces, and
 *     bash forms such as ${VAR:-x} give Portage's warning and an empty value;
 *   - any token that reads "source" (also as a value) makes the next token a file name to read in place, relative
 *     to the directory of the file that names it;
 *   - the file is decoded as UTF-8 with invalid bytes replaced (sourced files must be valid UTF-8), line ends are
 *     read with Python's universal newlines (CR LF and a lone CR are newlines), and a newline is added at the end
 *     of the file when missing.
 *
 * Messages: "<file>:<line>: <Portage's message> (column <c>)", <line> and <c> (1-based, in bytes) being where
 * the offending token starts. Portage itself prints "\"<file>\", line <n>: <message>", where <n> counts the
 * newline that ended the token, so it can be one more than ours. <file> is the path inside the configuration
 * root.
 *
 * Deliberate differences: a variable name with a non-ASCII letter is rejected (Python's \W would accept some);
 * NUL bytes inside a token are an error (Portage would carry them in the value); a `source` path is resolved
 * inside the root like every other path; sourcing is limited in depth, in count and in size so that a loop or a
 * deliberately exploding file ends with a message instead of exhausting memory.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#define MAX_SOURCE_DEPTH 16
#define MAX_SOURCED_FILES 256
#define MAX_SOURCED_BYTES (64u << 20)
#define EXPAND_BUDGET (64u << 20)
#define TOKEN_SHOW_MAX 64

enum { CH_EOF = -1, CH_OTHER = 256 };
enum lex_state { ST_NONE, ST_WS, ST_WORD, ST_SQ, ST_DQ, ST_ESC };

typedef struct frame {
	char *path;          /* owned */
	char *data;          /* owned contents of a sourced file */
	const char *buf;
	size_t len, pos;
	unsigned line;       /* line of buf[pos], 1-based */
	size_t line_start;   /* offset of the first byte of that line */
	bool virtual_nl;     /* one "\n" appended at the end (getconfig does this for the file itself) */
	bool virtual_nl_done;
	unsigned depth;      /* 0: the file itself */
} frame;

typedef struct cunit {
	int c;               /* ASCII value, CH_OTHER or CH_EOF */
	const char *bytes;   /* what the character adds to a token (UTF-8) */
	size_t nbytes;
	size_t off, rawlen;  /* where it is in the frame's bytes */
	unsigned line, col;
	size_t frame;        /* index in parser.frames */
} cunit;

typedef struct token {
	hs_buf text;
	bool none;           /* shlex's None: nothing left */
	bool quoted;
	bool has_nul;
	bool started;
	char open_quote;     /* the first character was this quote */
	bool mixed;          /* something was read outside that first quoted string */
	size_t frame;
	size_t start, end;
	unsigned line, col;
} token;

typedef struct parser {
	hs_ctx *ctx;
	hs_root_kind kind;
	hs_vars *vars;
	hs_assigns *assigns;
	unsigned flags;
	frame *frames;       /* every frame ever opened (kept to the end: tokens point into them) */
	size_t n_frames, cap_frames;
	size_t *stack;       /* indexes of the frames being read, innermost last */
	size_t depth;        /* number of entries in stack */
	enum lex_state state;
	cunit pushback[4];   /* shlex's token pushback (single characters), used as a stack */
	size_t n_pushback;
	size_t expand_budget;
	size_t sourced_files, sourced_bytes;
	unsigned qline, qcol; /* where the open quote is */
} parser;

/* ---- characters ---------------------------------------------------------------------------------------- */

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(int c)
{
	if (c < 0 || c > 127)
		return false;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("~!@#$%*_\\:;?,./-+{}", c) != NULL;
}

static frame *top(parser *P)
{
	return &P->frames[P->stack[P->depth - 1]];
}

static void next_char(parser *P, cunit *u)
{
	size_t fi = P->stack[P->depth - 1];
	frame *f = &P->frames[fi];
	unsigned char b;

	u->frame = fi;
	u->off = f->pos;
	u->line = f->line;
	u->col = (unsigned)(f->pos - f->line_start + 1);
	if (f->pos >= f->len) {
		if (f->virtual_nl && !f->virtual_nl_done) {
			f->virtual_nl_done = true;
			*u = (cunit){ .c = '\n', .bytes = "\n", .nbytes = 1, .off = f->len, .rawlen = 0,
				      .line = u->line, .col = u->col, .frame = fi };
			f->line++;
			return;
		}
		u->c = CH_EOF;
		u->bytes = "";
		u->nbytes = u->rawlen = 0;
		return;
	}
	b = (unsigned char)f->buf[f->pos];
	if (b == '\r') {
		/* universal newlines: CR LF and a lone CR read as "\n" */
		u->c = '\n';
		u->bytes = "\n";
		u->nbytes = 1;
		u->rawlen = f->pos + 1 < f->len && f->buf[f->pos + 1] == '\n' ? 2 : 1;
	} else if (b < 0x80) {
		u->c = b;
		u->bytes = f->buf + f->pos;
		u->nbytes = u->rawlen = 1;
	} else {
		uint32_t cp;
		int k = hs_utf8_next(f->buf + f->pos, f->len - f->pos, &cp);

		u->c = CH_OTHER;
		if (k > 0) {
			u->bytes = f->buf + f->pos;
			u->nbytes = u->rawlen = (size_t)k;
		} else {
			u->bytes = "\xef\xbf\xbd"; /* U+FFFD, as errors="replace" */
			u->nbytes = 3;
			u->rawlen = (size_t)-k;
		}
	}
	f->pos += u->rawlen;
	if (u->c == '\n') {
		f->line++;
		f->line_start = f->pos;
	}
}

static void skip_line(parser *P)
{
	cunit u;

	do
		next_char(P, &u);
	while (u.c != '\n' && u.c != CH_EOF);
}

/* ---- tokens -------------------------------------------------------------------------------------------- */

static void token_reset(token *t)
{
	hs_buf text = t->text;

	text.len = 0;
	if (text.p)
		text.p[0] = '\0';
	*t = (token){ .text = text };
}

static void token_begin(token *t, const cunit *u)
{
	t->started = true;
	t->frame = u->frame;
	t->start = u->off;
	t->end = u->off + u->rawlen;
	t->line = u->line;
	t->col = u->col;
}

static int token_add(token *t, const cunit *u)
{
	if (u->c == 0)
		t->has_nul = true;
	t->end = u->off + u->rawlen;
	return hs_buf_append(&t->text, u->bytes, u->nbytes);
}

static bool token_is(const token *t, const char *s)
{
	return !t->none && t->text.len == strlen(s) && memcmp(t->text.p, s, t->text.len) == 0;
}

static const char *frame_path(const parser *P, size_t fi)
{
	return P->frames[fi].path;
}

/* An error at a position: "<file>:<line>: <message> (column <col>)", returns -EINVAL. */
_printf_(5, 6) static int report(parser *P, size_t fi, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return hs_ctx_set_error(P->ctx, -EINVAL, "%s:%u: %s (column %u)", frame_path(P, fi), line, msg, col);
}

_printf_(5, 6) static int warn_at(parser *P, size_t fi, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return hs_ctx_add_warning(P->ctx, "%s:%u: %s (column %u)", frame_path(P, fi), line, msg, col);
}

/* A Portage ParseError: fatal, or a warning and the end of this file in tolerant mode (returns 1 then). */
#define PARSE_ERROR(P, t, ...)                                                                       \
	({                                                                                           \
		int _r_;                                                                             \
		if ((P)->flags & HS_GETCONFIG_TOLERANT) {                                            \
			_r_ = warn_at((P), (t)->frame, (t)->line, (t)->col, __VA_ARGS__);            \
			_r_ = _r_ < 0 ? _r_ : 1;                                                     \
		} else                                                                               \
			_r_ = report((P), (t)->frame, (t)->line, (t)->col, __VA_ARGS__);             \
		_r_;                                                                                 \
	})

static char *show(const token *t)
{
	return hs_escape(t->text.p ? t->text.p : "", t->text.len, TOKEN_SHOW_MAX);
}

/* shlex.read_token() in POSIX mode with Portage's character classes. */
static int read_token(parser *P, token *t)
{
	enum lex_state esc_state = ST_WORD;
	cunit u;
	int r = 0;

	token_reset(t);
	for (;;) {
		if (P->state == ST_NONE)
			break;
		next_char(P, &u);
		switch (P->state) {
		case ST_WS:
			if (u.c == CH_EOF) {
				P->state = ST_NONE;
				goto done;
			}
			if (is_ws(u.c))
				continue;
			if (u.c == '#') {
				skip_line(P);
				continue;
			}
			token_begin(t, &u);
			if (u.c == '\\') {
				esc_state = ST_WORD;
				P->state = ST_ESC;
			} else if (is_word(u.c)) {
				r = token_add(t, &u);
				P->state = ST_WORD;
			} else if (u.c == '"' || u.c == '\'') {
				t->open_quote = (char)u.c;
				P->state = u.c == '"' ? ST_DQ : ST_SQ;
				P->qline = u.line;
				P->qcol = u.col;
			} else {
				/* any other character is a token by itself */
				r = token_add(t, &u);
				goto done;
			}
			break;
		case ST_SQ:
		case ST_DQ:
			t->quoted = true;
			if (u.c == CH_EOF)
				return report(P, t->frame, P->qline, P->qcol, "No closing quotation");
			if (u.c == (P->state == ST_DQ ? '"' : '\'')) {
				t->end = u.off + u.rawlen;
				P->state = ST_WORD;
			} else if (P->state == ST_DQ && u.c == '\\') {
				t->end = u.off + u.rawlen;
				esc_state = ST_DQ;
				P->state = ST_ESC;
			} else
				r = token_add(t, &u);
			break;
		case ST_ESC:
			if (u.c == CH_EOF)
				return report(P, t->frame, t->line, t->col, "No escaped character");
			/* inside double quotes only '"' and '\' are escaped; otherwise the backslash stays */
			if (esc_state == ST_DQ && u.c != '\\' && u.c != '"')
				r = hs_buf_putc(&t->text, '\\');
			if (r >= 0)
				r = token_add(t, &u);
			P->state = esc_state;
			break;
		case ST_WORD:
			if (u.c == CH_EOF) {
				P->state = ST_NONE;
				goto done;
			}
			if (is_ws(u.c)) {
				P->state = ST_WS;
				goto done;
			}
			if (u.c == '#') {
				skip_line(P);
				P->state = ST_WS;
				goto done;
			}
			if (u.c == '"' || u.c == '\'') {
				t->mixed = true;
				t->end = u.off + u.rawlen;
				P->state = u.c == '"' ? ST_DQ : ST_SQ;
				P->qline = u.line;
				P->qcol = u.col;
			} else if (u.c == '\\') {
				t->mixed = true;
				t->end = u.off + u.rawlen;
				esc_state = ST_WORD;
				P->state = ST_ESC;
			} else if (is_word(u.c)) {
				t->mixed = true;
				r = token_add(t, &u);
			} else {
				/* shlex pushes the character back as a token of its own */
				if (P->n_pushback >= ELEMENTSOF(P->pushback))
					return -EINVAL; /* cannot happen: get_token pops before reading again */
				P->pushback[P->n_pushback++] = u;
				P->state = ST_WS;
				goto done;
			}
			break;
		case ST_NONE:
			break;
		}
		if (r < 0)
			return r;
	}
done:
	if (r < 0)
		return r;
	t->none = !t->quoted && t->text.len == 0;
	return 0;
}

/* ---- varexpand ----------------------------------------------------------------------------------------- */

static bool is_varchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Portage's varexpand() on the unquoted text of @t. On a bash-only form it warns (with Portage's text) and the
 * value is "" (*out stays valid). Returns 0, or a negative errno (the expansion budget exhausted).
 */
static int varexpand(parser *P, const token *t, const char *name, const hs_vars *map, hs_buf *out, bool *expanded)
{
	const char *s = t->text.p ? t->text.p : "";
	size_t len = t->text.len, pos = 0;
	bool insing = false, indoub = false;
	const char *bad = NULL;
	int r = 0;

	out->len = 0;
	if (out->p)
		out->p[0] = '\0';
	*expanded = false;
	while (pos < len && r >= 0) {
		char c = s[pos];

		if (c == '\'') {
			if (!indoub)
				insing = !insing;
			r = hs_buf_putc(out, c);
			pos++;
		} else if (c == '"') {
			if (!insing)
				indoub = !indoub;
			r = hs_buf_putc(out, c);
			pos++;
		} else if (insing) {
			r = hs_buf_putc(out, c);
			pos++;
		} else if (c == '\n') {
			r = hs_buf_putc(out, ' ');
			pos++;
		} else if (c == '\\') {
			char n;

			if (pos + 1 >= len) {
				r = hs_buf_putc(out, c);
				break;
			}
			n = s[pos + 1];
			pos += 2;
			if (n == '$')
				r = hs_buf_putc(out, '$');
			else if (n == '\\') {
				r = hs_buf_putc(out, '\\');
				/* Portage keeps a quirk here: "\\\\" eats a following quote or dollar literally. */
				if (r >= 0 && pos < len && (s[pos] == '\'' || s[pos] == '"' || s[pos] == '$'))
					r = hs_buf_putc(out, s[pos++]);
			} else if (n != '\n')
				r = hs_buf_append(out, s + pos - 2, 2);
		} else if (c == '$') {
			bool braced = false;
			size_t vstart;

			pos++;
			if (pos == len) {
				r = hs_buf_putc(out, '$'); /* a trailing $ is literal, as in the shell */
				continue;
			}
			*expanded = true;
			if (s[pos] == '{') {
				pos++;
				if (pos == len) {
					bad = "unexpected EOF while looking for matching `}'";
					break;
				}
				braced = true;
			}
			vstart = pos;
			while (is_varchar(s[pos])) {
				if (pos + 1 >= len) {
					if (braced) {
						bad = "unexpected EOF while looking for matching `}'";
						break;
					}
					pos++;
					break;
				}
				pos++;
			}
			if (bad)
				break;
			{
				size_t vlen = pos - vstart;
				_cleanup_free_ char *var = NULL;
				const char *val;

				if (braced) {
					if (s[pos] != '}') {
						bad = "unexpected EOF while looking for matching `}'";
						break;
					}
					pos++;
				}
				if (vlen == 0) {
					bad = braced ? "${}: bad substitution" : "$: bad substitution";
					break;
				}
				var = hs_strndup(s + vstart, vlen);
				if (!var)
					return -ENOMEM;
				val = hs_vars_get(map, var);
				if (val) {
					size_t vl = strlen(val);

					if (vl > P->expand_budget)
						return hs_ctx_set_error(P->ctx, -EFBIG,
									"%s:%u: expanding ${%s} in the value of '%s' "
									"exceeds the limit of %u MiB of expansions per "
									"file (column %u)",
									frame_path(P, t->frame), t->line, var, name,
									EXPAND_BUDGET >> 20, t->col);
					P->expand_budget -= vl;
					r = hs_buf_append(out, val, vl);
				}
			}
		} else {
			r = hs_buf_putc(out, c);
			pos++;
		}
	}
	if (r < 0)
		return r;
	if (bad) {
		out->len = 0;
		if (out->p)
			out->p[0] = '\0';
		return warn_at(P, t->frame, t->line, t->col, "%s", bad);
	}
	return 0;
}

/* ---- source -------------------------------------------------------------------------------------------- */

static int push_frame(parser *P, char *path, char *data, const char *buf, size_t len, bool virtual_nl)
{
	frame *f;

	if (P->n_frames == P->cap_frames) {
		size_t cap = P->cap_frames ? P->cap_frames * 2 : 4;
		frame *nf = realloc(P->frames, cap * sizeof(*nf));
		size_t *ns = realloc(P->stack, cap * sizeof(*ns));

		if (nf)
			P->frames = nf;
		if (ns)
			P->stack = ns;
		if (!nf || !ns) {
			free(path);
			free(data);
			return -ENOMEM;
		}
		P->cap_frames = cap;
	}
	f = &P->frames[P->n_frames];
	*f = (frame){ .path = path, .data = data, .buf = buf, .len = len, .line = 1, .depth = (unsigned)P->depth };
	f->virtual_nl = virtual_nl && len > 0 && buf[len - 1] != '\n' && buf[len - 1] != '\r';
	P->stack[P->depth++] = P->n_frames++;
	return 0;
}

/* A sourced file is opened with Python's default strict decoding: invalid UTF-8 is an error. */
static int check_utf8(parser *P, const char *path, const char *buf, size_t len)
{
	unsigned line = 1;
	size_t line_start = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k;

		if ((unsigned char)buf[i] < 0x80) {
			if (buf[i] == '\n') {
				line++;
				line_start = i + 1;
			}
			i++;
			continue;
		}
		k = hs_utf8_next(buf + i, len - i, &cp);
		if (k < 0)
			return hs_ctx_set_error(P->ctx, -EINVAL,
						"%s:%u: invalid UTF-8 (byte 0x%02x at column %zu): a sourced file "
						"must be UTF-8",
						path, line, (unsigned char)buf[i], i - line_start + 1);
		i += (size_t)k;
	}
	return 0;
}

static int do_source(parser *P, const token *kw, token *file_tok)
{
	_cleanup_buf_ hs_buf name = {0};
	_cleanup_free_ char *joined = NULL, *data = NULL;
	_cleanup_(hs_vars_freep) hs_vars *empty = NULL;
	const char *cur = top(P)->path;
	const char *fn;
	size_t fnlen, len = 0;
	bool dummy;
	int r;

	if (file_tok->none)
		return report(P, kw->frame, kw->line, kw->col, "'source' without a file name");
	if (!(P->flags & HS_GETCONFIG_EXPAND)) {
		r = hs_vars_new(&empty);
		if (r < 0)
			return r;
	}
	r = varexpand(P, file_tok, "source", empty ? empty : P->vars, &name, &dummy);
	if (r < 0)
		return r;
	fn = name.p ? name.p : "";
	fnlen = name.len;
	if (fnlen > 0 && fn[0] == '"') {
		/* shlex.sourcehook() strips one pair of double quotes it did not see being added */
		fn++;
		fnlen = fnlen >= 2 ? fnlen - 2 : 0;
	}
	if (fnlen == 0)
		return report(P, file_tok->frame, file_tok->line, file_tok->col, "'source' with an empty file name");
	if (memchr(fn, '\0', fnlen))
		return report(P, file_tok->frame, file_tok->line, file_tok->col, "NUL byte in a 'source' file name");
	if (fn[0] == '/')
		joined = hs_strndup(fn, fnlen);
	else {
		/* os.path.join(os.path.dirname(current file), name): no normalisation, the kernel resolves ".." */
		const char *slash = strrchr(cur, '/');
		size_t dl = slash ? (size_t)(slash - cur) : 0;

		if (slash && dl == 0)
			dl = 1;
		while (slash && dl > 1 && cur[dl - 1] == '/')
			dl--;
		if (asprintf(&joined, "%.*s%s%.*s", (int)dl, cur, dl && cur[dl - 1] != '/' ? "/" : "", (int)fnlen,
			     fn) < 0)
			joined = NULL;
	}
	if (!joined)
		return -ENOMEM;

	for (size_t i = 0; i < P->depth; i++)
		if (strcmp(P->frames[P->stack[i]].path, joined) == 0)
			return hs_ctx_set_error(P->ctx, -ELOOP,
						"%s:%u: source loop: '%s' is already being read (column %u)",
						frame_path(P, file_tok->frame), file_tok->line, joined, file_tok->col);
	if (P->depth > MAX_SOURCE_DEPTH)
		return hs_ctx_set_error(P->ctx, -ELOOP,
					"%s:%u: 'source %s' nests deeper than %d files (column %u)",
					frame_path(P, file_tok->frame), file_tok->line, joined, MAX_SOURCE_DEPTH,
					file_tok->col);
	if (++P->sourced_files > MAX_SOURCED_FILES)
		return hs_ctx_set_error(P->ctx, -ELOOP, "%s:%u: more than %d 'source' commands were run (column %u)",
					frame_path(P, file_tok->frame), file_tok->line, MAX_SOURCED_FILES,
					file_tok->col);

	r = hs_root_read_file(P->ctx, P->kind, joined,
			      MAX_SOURCED_BYTES - P->sourced_bytes < HS_GETCONFIG_MAX_FILE
				      ? MAX_SOURCED_BYTES - P->sourced_bytes
				      : HS_GETCONFIG_MAX_FILE,
			      &data, &len);
	if (r == -ENOENT || r == -ENOTDIR) {
		/* Portage's wording; tolerant mode goes on as if the file were empty */
		const char *what = r == -ENOENT ? "No such file or directory" : "Not a directory";

		if (!(P->flags & HS_GETCONFIG_TOLERANT))
			return report(P, file_tok->frame, file_tok->line, file_tok->col, "%s: %s", joined, what);
		r = warn_at(P, file_tok->frame, file_tok->line, file_tok->col, "%s: %s", joined, what);
		if (r < 0)
			return r;
		data = NULL;
		len = 0;
	} else if (r < 0) {
		_cleanup_free_ char *inner = strdup(hs_ctx_last_error(P->ctx));

		return hs_ctx_set_error(P->ctx, r, "%s:%u: source: %s", frame_path(P, file_tok->frame),
					file_tok->line, inner ? inner : strerror(-r));
	} else {
		P->sourced_bytes += len;
		r = check_utf8(P, joined, data, len);
		if (r < 0)
			return r;
	}
	{
		char *d = TAKE_PTR(data);

		return push_frame(P, TAKE_PTR(joined), d, d ? d : "", len, false);
	}
}

/* shlex.get_token(): pushback first, then `source` inclusions, then the end of sourced files. */
static int get_token(parser *P, token *t)
{
	for (;;) {
		int r;

		if (P->n_pushback) {
			cunit u = P->pushback[--P->n_pushback];

			token_reset(t);
			token_begin(t, &u);
			r = token_add(t, &u);
			if (r < 0)
				return r;
			break;
		}
		r = read_token(P, t);
		if (r < 0)
			return r;
		if ((P->flags & HS_GETCONFIG_ALLOW_SOURCE) && token_is(t, "source")) {
			token file = {0};

			r = read_token(P, &file);
			if (r >= 0)
				r = do_source(P, t, &file);
			hs_buf_free(&file.text);
			if (r < 0)
				return r;
			continue;
		}
		if (t->none) {
			if (P->depth <= 1)
				return 0;
			P->depth--;
			P->state = ST_WS;
			continue;
		}
		break;
	}
	if (t->has_nul)
		return hs_ctx_set_error(P->ctx, -EINVAL,
					"%s:%u: NUL byte in a token (column %u): this is binary data, not a config file",
					frame_path(P, t->frame), t->line, t->col);
	return 0;
}

/* ---- getconfig ----------------------------------------------------------------------------------------- */

void hs_assigns_free(hs_assigns *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].value);
		free(a->v[i].path);
	}
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static int assigns_push(hs_assigns *a, hs_assign *x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		hs_assign *n = realloc(a->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->v = n;
		a->cap = cap;
	}
	a->v[a->n++] = *x;
	return 0;
}

/* Portage's _invalid_var_name_re = r"^\d|\W" (ASCII only here). */
static bool valid_name(const token *t)
{
	if (t->text.len && t->text.p[0] >= '0' && t->text.p[0] <= '9')
		return false;
	for (size_t i = 0; i < t->text.len; i++)
		if (!is_varchar(t->text.p[i]))
			return false;
	return true;
}

static int record(parser *P, const token *key, const token *val, const char *value, bool exported, bool expanded)
{
	const frame *kf = &P->frames[key->frame];
	hs_assign a = {
		.line = key->line,
		.column = key->col,
		.name_off = key->start,
		.exported = exported,
		.expanded = expanded,
		.source_depth = kf->depth,
	};

	a.name = hs_strndup(key->text.p ? key->text.p : "", key->text.len);
	a.value = strdup(value);
	a.path = strdup(kf->path);
	if (val->frame == key->frame) {
		/* an assignment split across files by `source` has no single value span to edit */
		a.value_off = val->start;
		a.value_len = val->end - val->start;
		a.quote = val->open_quote && !val->mixed ? val->open_quote : 0;
	}
	if (!a.name || !a.value || !a.path || assigns_push(P->assigns, &a) < 0) {
		free(a.name);
		free(a.value);
		free(a.path);
		return -ENOMEM;
	}
	return 0;
}

static int parse(parser *P)
{
	token key = {0}, equ = {0}, val = {0};
	_cleanup_buf_ hs_buf value = {0};
	int r;

	for (;;) {
		bool exported = false, expanded = false;
		const char *v;
		int e;

		r = get_token(P, &key);
		if (r >= 0 && token_is(&key, "export")) {
			exported = true;
			r = get_token(P, &key);
		}
		if (r < 0 || key.none)
			break;
		r = get_token(P, &equ);
		if (r < 0)
			break;
		if (equ.none) {
			_cleanup_free_ char *k = show(&key);

			r = k ? PARSE_ERROR(P, &key, "Unexpected EOF after '%s'", k) : -ENOMEM;
			break;
		}
		if (!token_is(&equ, "=")) {
			_cleanup_free_ char *q = show(&equ);

			r = q ? PARSE_ERROR(P, &equ, "Invalid token '%s' (not '=')", q) : -ENOMEM;
			break;
		}
		r = get_token(P, &val);
		if (r < 0)
			break;
		if (val.none) {
			_cleanup_free_ char *k = show(&key);

			r = k ? PARSE_ERROR(P, &key, "Unexpected end of config file: variable '%s'", k) : -ENOMEM;
			break;
		}
		if (!valid_name(&key)) {
			_cleanup_free_ char *k = show(&key);

			r = k ? PARSE_ERROR(P, &key, "Invalid variable name '%s'", k) : -ENOMEM;
			if (r == 1)
				continue; /* tolerant: Portage skips just this assignment */
			break;
		}
		if (P->flags & HS_GETCONFIG_EXPAND) {
			r = varexpand(P, &val, key.text.p ? key.text.p : "", P->vars, &value, &expanded);
			if (r < 0)
				break;
			v = value.p ? value.p : "";
		} else
			v = val.text.p ? val.text.p : "";
		e = hs_vars_set(P->vars, key.text.p ? key.text.p : "", v, frame_path(P, key.frame), key.line);
		if (e >= 0 && P->assigns)
			e = record(P, &key, &val, v, exported, expanded);
		if (e < 0) {
			r = e;
			break;
		}
	}
	hs_buf_free(&key.text);
	hs_buf_free(&equ.text);
	hs_buf_free(&val.text);
	return r < 0 ? r : 0;
}

int hs_getconfig_buf(hs_ctx *ctx, hs_root_kind kind, const char *path, const char *buf, size_t len,
		     hs_vars *vars, hs_assigns *assigns, unsigned flags)
{
	parser P = {
		.ctx = ctx,
		.kind = kind,
		.vars = vars,
		.assigns = assigns,
		.flags = flags,
		.state = ST_WS,
		.expand_budget = EXPAND_BUDGET,
	};
	char *p;
	int r;

	if (!vars || (!buf && len))
		return -EINVAL;
	if (!path)
		path = "<buffer>";
	if (len && memchr(buf, '\r', len)) {
		r = hs_ctx_add_warning(ctx, "!!! Please use dos2unix to convert line endings in config file: '%s'",
				       path);
		if (r < 0)
			return r;
	}
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	r = push_frame(&P, p, NULL, buf ? buf : "", len, true);
	if (r >= 0)
		r = parse(&P);
	for (size_t i = 0; i < P.n_frames; i++) {
		free(P.frames[i].path);
		free(P.frames[i].data);
	}
	free(P.frames);
	free(P.stack);
	return r;
}

/* hs_getconfig_path, also counting the files read (Portage's getconfig returns None when there are none). */
static int getconfig_path(hs_ctx *ctx, hs_root_kind kind, const char *path, hs_vars *vars, hs_assigns *assigns,
			  unsigned flags, unsigned *n_read)
{
	_cleanup_(hs_strv_freep) char **files = NULL;
	int r;

	r = hs_root_list_config(ctx, kind, path, &files);
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
		if (n_read)
			(*n_read)++;
		r = hs_getconfig_buf(ctx, kind, *f, data, len, vars, assigns, flags);
		if (r < 0)
			return r;
	}
	return 0;
}

int hs_getconfig_path(hs_ctx *ctx, hs_root_kind kind, const char *path, hs_vars *vars, hs_assigns *assigns,
		      unsigned flags)
{
	return getconfig_path(ctx, kind, path, vars, assigns, flags, NULL);
}

int hs_makeconf_load(hs_ctx *ctx, hs_vars *vars, hs_assigns *assigns)
{
	static const char *const paths[] = { "/etc/make.conf", "/etc/portage/make.conf" };
	hs_assigns local = {0};
	hs_assigns *a = assigns ? assigns : &local;
	size_t first = a->n, n_paths = ELEMENTSOF(paths);
	unsigned found = 0;
	struct stat st0, st1;
	int r = 0;

	if (!vars)
		return -EINVAL;
	/* os.path.samefile(): a symlink between the two means one file, read once */
	if (hs_root_stat(ctx, HS_ROOT_CONFIG, paths[0], &st0) >= 0 &&
	    hs_root_stat(ctx, HS_ROOT_CONFIG, paths[1], &st1) >= 0 && st0.st_dev == st1.st_dev &&
	    st0.st_ino == st1.st_ino)
		n_paths = 1;
	for (size_t i = 0; i < n_paths && r >= 0; i++) {
		unsigned n = 0;

		r = getconfig_path(ctx, HS_ROOT_CONFIG, paths[i], vars, a,
				   HS_GETCONFIG_EXPAND | HS_GETCONFIG_ALLOW_SOURCE, &n);
		if (n)
			found++;
	}
	if (r >= 0 && found == 2)
		r = hs_ctx_add_warning(ctx, "!!! Found 2 make.conf files, using both '%s' and '%s'", paths[0],
				       paths[1]);
	/* "__*" variables are local to make.conf: usable in its expansions, never part of the result */
	for (size_t i = first; r >= 0 && i < a->n; i++)
		if (strncmp(a->v[i].name, "__", 2) == 0)
			r = hs_vars_unset(vars, a->v[i].name);
	hs_assigns_free(&local);
	return r;
}
