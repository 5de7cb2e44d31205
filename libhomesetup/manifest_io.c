/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree manifests as text (doc/manifest.md): the writer (hs_manifest_format, hs_manifest_save) and the strict
 * reader (hs_manifest_parse, hs_manifest_load).
 *
 *   homesetup-manifest 1 xxh3-128
 *   . d 0755 1000 1000 4096 4096 1700000000.000000000 3
 *   a\x20b f 0644 1000 1000 5 4096 1700000000.123456789 1 hash=xxh3-128:…
 *
 * Every field is one token without spaces: bytes below 0x21, DEL, backslash, C1 controls and bytes that are not
 * valid UTF-8 are written as \xHH, so any name (newlines and invalid UTF-8 included) reads back as the same
 * bytes. The reader checks everything the writer guarantees (field syntax, ranges, order, that each entry's
 * directory came before it, hardlink keys, hashes) and names the file and line of the first violation: a
 * manifest is the evidence a migration is verified against, so a damaged one must never pass as a shorter
 * tree.
 */
#include "homesetupP.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAGIC "homesetup-manifest"
#define FORMAT_VERSION 1
#define WRITE_CHUNK ((size_t)1 << 20)

/* ---- escaping ------------------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s[0..n) that is not a C1 control, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		len = 2;
		if (c == 0xc2 && n >= 2 && s[1] < 0xa0)
			return 0; /* U+0080..U+009F: C1 controls */
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Append s[0..len) escaped; @space: escape spaces too (a manifest token). */
static int put_escaped(hs_buf *b, const char *s, size_t len, bool space)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	int r = hs_buf_reserve(b, len);

	if (r < 0)
		return r;
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n;

		if (c > ' ' && c < 0x7f && c != '\\') {
			size_t j = i + 1;

			while (j < len && u[j] > ' ' && u[j] < 0x7f && u[j] != '\\')
				j++;
			r = hs_buf_append(b, s + i, j - i);
			i = j;
		} else if (c == ' ' && !space) {
			r = hs_buf_putc(b, ' ');
			i++;
		} else if (c >= 0x80 && (n = utf8_len(u + i, len - i)) > 0) {
			r = hs_buf_append(b, s + i, n);
			i += n;
		} else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			r = hs_buf_append(b, e, 4);
			i++;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

char *hs_manifest_escape(const char *s)
{
	_cleanup_buf_ hs_buf b = {0};

	if (!s)
		return NULL;
	if (put_escaped(&b, s, strlen(s), false) < 0)
		return NULL;
	return hs_buf_steal(&b);
}

/* ---- writing ----------------------------------------------------------------------------------------------- */

static char type_letter(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	}
	return '?';
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static int put_key(hs_buf *b, const char *key, const char *value)
{
	int r;

	if (!value)
		return 0;
	if ((r = hs_buf_putc(b, ' ')) < 0 || (r = hs_buf_puts(b, key)) < 0 || (r = hs_buf_putc(b, '=')) < 0)
		return r;
	return put_escaped(b, value, strlen(value), true);
}

static int format_entry(hs_buf *b, const hs_manifest_entry *e)
{
	char *p;
	int r;

	r = put_escaped(b, e->path, strlen(e->path), true);
	if (r < 0 || (r = hs_buf_reserve(b, 160)) < 0)
		return r;
	p = b->p + b->len;
	*p++ = ' ';
	*p++ = type_letter(e->mode);
	p += sprintf(p, " %04o ", (unsigned)(e->mode & 07777));
	p = put_u64(p, e->uid);
	*p++ = ' ';
	p = put_u64(p, e->gid);
	*p++ = ' ';
	p = put_u64(p, e->size);
	*p++ = ' ';
	p = put_u64(p, e->alloc);
	*p++ = ' ';
	if (e->mtime_sec < 0) {
		*p++ = '-';
		p = put_u64(p, (uint64_t)0 - (uint64_t)e->mtime_sec);
	} else {
		p = put_u64(p, (uint64_t)e->mtime_sec);
	}
	p += sprintf(p, ".%09u ", e->mtime_nsec % 1000000000u);
	p = put_u64(p, e->nlink);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		p += sprintf(p, " rdev=%u:%u", major(e->rdev), minor(e->rdev));
	b->len = (size_t)(p - b->p);
	if ((r = put_key(b, "target", e->link_target)) < 0 || (r = put_key(b, "link", e->hardlink_of)) < 0 ||
	    (r = put_key(b, "hash", e->hash)) < 0 || (r = put_key(b, "acl", e->acl_access)) < 0 ||
	    (r = put_key(b, "dacl", e->acl_default)) < 0 || (r = put_key(b, "xattr", e->xattrs)) < 0 ||
	    (r = put_key(b, "mount", e->mountpoint ? "1" : NULL)) < 0)
		return r;
	return hs_buf_putc(b, '\n');
}

static int format_header(hs_buf *b, const hs_manifest *m)
{
	return hs_buf_printf(b, "%s %d %s\n", MAGIC, FORMAT_VERSION, m->hashed ? HS_MANIFEST_HASH_ALGO : "none");
}

int hs_manifest_format(const hs_manifest *m, hs_buf *out)
{
	int r = format_header(out, m);

	for (size_t i = 0; r >= 0 && i < m->n; i++)
		r = format_entry(out, &m->v[i]->e);
	return r;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hs_manifest_save(hs_ctx *ctx, const hs_manifest *m, const char *path)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	_cleanup_buf_ hs_buf b = {0};
	const char *slash, *base;
	int dfd = -1, fd = -1, r;

	if (!m || !path || !*path)
		return hs_ctx_set_error(ctx, -EINVAL, "manifest: no file named");
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return hs_ctx_set_error(ctx, -EISDIR, "%s: is a directory", path);
	dir = slash ? hs_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: cannot open its directory %s: %s", path, dir, strerror(errno));
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		uint32_t rnd;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)getpid() ^ (uint32_t)tries * 2654435761u;
		free(tmp);
		if (asprintf(&tmp, ".%s.homesetup-%08" PRIx32, base, rnd) < 0) {
			tmp = NULL;
			r = -ENOMEM;
			goto out;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST) {
			r = hs_ctx_set_error(ctx, -errno, "%s: cannot create a temporary file beside it: %s", path,
					     strerror(errno));
			free(tmp);
			tmp = NULL;
			goto out;
		}
	}
	if (fd < 0) {
		r = hs_ctx_set_error(ctx, -EEXIST, "%s: cannot create a temporary file beside it", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	r = format_header(&b, m);
	for (size_t i = 0; r >= 0 && i <= m->n; i++) {
		if (i < m->n)
			r = format_entry(&b, &m->v[i]->e);
		if (r >= 0 && (b.len >= WRITE_CHUNK || i == m->n)) {
			r = write_all(fd, b.p, b.len);
			b.len = 0;
			if (r < 0)
				r = hs_ctx_set_error(ctx, r, "%s: cannot write: %s", path, strerror(-r));
		}
	}
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot write (fsync): %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot write (close): %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot rename the temporary file into place: %s", path,
				     strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (fsync(dfd) < 0) {
		r = hs_ctx_set_error(ctx, -errno, "%s: written, but its directory could not be synced: %s", path,
				     strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		(void)unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* ---- reading ---------------------------------------------------------------------------------------------- */

typedef struct parser {
	hs_ctx *ctx;
	const char *name;
	unsigned line;
} parser;

_printf_(3, 4) static int bad(parser *P, const char *tok, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *shown = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (tok)
		shown = hs_escape(tok, strlen(tok), 80);
	if (shown)
		return hs_ctx_set_error(P->ctx, -EINVAL, "%s:%u: %s: '%s'", P->name, P->line, msg ? msg : "invalid",
					shown);
	return hs_ctx_set_error(P->ctx, -EINVAL, "%s:%u: %s", P->name, P->line, msg ? msg : "invalid");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Take the next token of the line at *pos (up to a space or the end), decoding \xHH in place and
 * NUL-terminating it. *out gets the token, *out_len its decoded length. 0, or -EINVAL (message set). */
static int token(parser *P, char **pos, char *end, const char *what, char **out, size_t *out_len)
{
	char *s = *pos, *w = s, *p = s;

	if (s >= end)
		return bad(P, NULL, "%s is missing", what);
	for (; p < end && *p != ' '; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\\') {
			int hi, lo;

			if (end - p < 4 || p[1] != 'x' || (hi = hexval(p[2])) < 0 || (lo = hexval(p[3])) < 0)
				return bad(P, NULL, "%s: a backslash must start \\xHH", what);
			if (hi == 0 && lo == 0)
				return bad(P, NULL, "%s: a NUL byte (\\x00) cannot be part of a name or value", what);
			*w++ = (char)(hi << 4 | lo);
			p += 3;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return bad(P, NULL, "%s: control byte 0x%02x must be written as \\x%02x", what, c, c);
		*w++ = (char)c;
	}
	if (p == s)
		return bad(P, NULL, "%s is empty (two spaces, or a space at the end of the line)", what);
	*pos = p < end ? p + 1 : p;
	if (p < end && p + 1 == end)
		return bad(P, NULL, "a space at the end of the line");
	*out_len = (size_t)(w - s);
	*w = '\0'; /* w <= p: overwrites the separator or a byte already decoded */
	*out = s;
	return 0;
}

static int parse_u64(parser *P, const char *s, const char *what, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return bad(P, s, "%s is not a decimal number (without leading zeros)", what);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return bad(P, s, "%s is not a decimal number", what);
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return bad(P, s, "%s is out of range", what);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

static int parse_mtime(parser *P, char *s, hs_manifest_entry *e)
{
	char *dot = strchr(s, '.');
	bool neg = s[0] == '-';
	uint64_t sec, nsec;
	int r;

	if (!dot || strlen(dot + 1) != 9)
		return bad(P, s, "the mtime is not SECONDS.NANOSECONDS (9 digits)");
	*dot = '\0';
	r = parse_u64(P, s + neg, "the mtime's seconds", neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &sec);
	*dot = '.';
	if (r < 0)
		return r;
	if (neg && sec == 0)
		return bad(P, s, "the mtime is '-0'");
	for (const char *p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return bad(P, s, "the mtime's nanoseconds are not 9 digits");
	nsec = strtoull(dot + 1, NULL, 10);
	e->mtime_sec = neg ? (int64_t)(0 - sec) : (int64_t)sec;
	e->mtime_nsec = (uint32_t)nsec;
	return 0;
}

static bool valid_hash(const char *s)
{
	if (strncmp(s, HS_MANIFEST_HASH_PREFIX, sizeof(HS_MANIFEST_HASH_PREFIX) - 1) != 0 ||
	    strlen(s) != HS_MANIFEST_HASH_LEN)
		return false;
	for (s += sizeof(HS_MANIFEST_HASH_PREFIX) - 1; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* A path as the scanner writes it: "." or components without "", ".", "..". */
static bool valid_path(const char *p, size_t len)
{
	if (len == 1 && p[0] == '.')
		return true;
	for (size_t i = 0; i <= len;) {
		size_t j = i;

		while (j < len && p[j] != '/')
			j++;
		if (j == i || (j - i == 1 && p[i] == '.') || (j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return false;
		i = j + 1;
	}
	return true;
}

typedef struct dirstack {
	size_t *v;
	size_t n, cap;
} dirstack;

static void dirstack_done(dirstack *d)
{
	free(d->v);
}

static const char *const keys[] = { "rdev", "target", "link", "hash", "acl", "dacl", "xattr", "mount" };

static int parse_entry(parser *P, hs_manifest *m, char *line, char *end, dirstack *dirs)
{
	hs_mentry *x = &m->store[m->n];
	hs_manifest_entry *e = &x->e;
	char *pos = line, *tok, *path;
	size_t len, plen, key_at = 0;
	bool have_rdev = false;
	uint64_t v;
	int r;

	memset(x, 0, sizeof(*x));
	m->v[m->n] = x;
	if ((r = token(P, &pos, end, "the path", &path, &plen)) < 0)
		return r;
	if (!valid_path(path, plen))
		return bad(P, path, "not a path inside the tree (empty, '.' or '..' components, or a '/' at an end)");
	if (m->n == 0 && strcmp(path, ".") != 0)
		return bad(P, path, "the first entry must be the tree itself, '.'");
	if (m->n > 0 && hs_manifest_path_cmp(m->v[m->n - 1]->e.path, path) >= 0)
		return bad(P, path, "out of order or repeated (entries are in tree order)");
	e->path = path;

	if ((r = token(P, &pos, end, "the type", &tok, &len)) < 0)
		return r;
	switch (len == 1 ? tok[0] : 0) {
	case 'f': e->mode = S_IFREG; break;
	case 'd': e->mode = S_IFDIR; break;
	case 'l': e->mode = S_IFLNK; break;
	case 'p': e->mode = S_IFIFO; break;
	case 's': e->mode = S_IFSOCK; break;
	case 'c': e->mode = S_IFCHR; break;
	case 'b': e->mode = S_IFBLK; break;
	default: return bad(P, tok, "the type is not one of f d l p s c b");
	}
	if (m->n == 0 && !S_ISDIR(e->mode))
		return bad(P, tok, "the tree itself must be a directory");
	if ((r = token(P, &pos, end, "the mode", &tok, &len)) < 0)
		return r;
	if (len != 4 || strspn(tok, "01234567") != 4)
		return bad(P, tok, "the mode is not 4 octal digits");
	e->mode |= (uint32_t)strtoul(tok, NULL, 8);

	if ((r = token(P, &pos, end, "the uid", &tok, &len)) < 0 || (r = parse_u64(P, tok, "the uid", UINT32_MAX, &v)) < 0)
		return r;
	e->uid = (uint32_t)v;
	if ((r = token(P, &pos, end, "the gid", &tok, &len)) < 0 || (r = parse_u64(P, tok, "the gid", UINT32_MAX, &v)) < 0)
		return r;
	e->gid = (uint32_t)v;
	if ((r = token(P, &pos, end, "the size", &tok, &len)) < 0 ||
	    (r = parse_u64(P, tok, "the size", INT64_MAX, &e->size)) < 0)
		return r;
	if ((r = token(P, &pos, end, "the allocated size", &tok, &len)) < 0 ||
	    (r = parse_u64(P, tok, "the allocated size", UINT64_MAX, &e->alloc)) < 0)
		return r;
	if ((r = token(P, &pos, end, "the mtime", &tok, &len)) < 0 || (r = parse_mtime(P, tok, e)) < 0)
		return r;
	if ((r = token(P, &pos, end, "the link count", &tok, &len)) < 0 ||
	    (r = parse_u64(P, tok, "the link count", UINT32_MAX, &v)) < 0)
		return r;
	e->nlink = (uint32_t)v;

	while (pos < end) {
		char *eq;
		size_t k;

		if ((r = token(P, &pos, end, "a field", &tok, &len)) < 0)
			return r;
		eq = strchr(tok, '=');
		if (!eq)
			return bad(P, tok, "not a KEY=VALUE field");
		*eq = '\0';
		for (k = 0; k < ELEMENTSOF(keys) && strcmp(keys[k], tok) != 0; k++)
			;
		if (k == ELEMENTSOF(keys)) {
			*eq = '=';
			return bad(P, tok, "unknown field");
		}
		if (k < key_at) {
			*eq = '=';
			return bad(P, tok, "field repeated or out of order (rdev target link hash acl dacl xattr mount)");
		}
		key_at = k + 1;
		if (!eq[1])
			return bad(P, NULL, "the field '%s' is empty", keys[k]);
		switch (k) {
		case 0: { /* rdev */
			char *colon = strchr(eq + 1, ':');
			uint64_t maj, min;

			if (!S_ISCHR(e->mode) && !S_ISBLK(e->mode))
				return bad(P, NULL, "rdev= on an entry that is not a device");
			if (!colon)
				return bad(P, eq + 1, "rdev is not MAJOR:MINOR");
			*colon = '\0';
			r = parse_u64(P, eq + 1, "the major number", UINT32_MAX, &maj);
			if (r >= 0)
				r = parse_u64(P, colon + 1, "the minor number", UINT32_MAX, &min);
			if (r < 0)
				return r;
			e->rdev = makedev((unsigned)maj, (unsigned)min);
			have_rdev = true;
			break;
		}
		case 1:
			if (!S_ISLNK(e->mode))
				return bad(P, NULL, "target= on an entry that is not a symlink");
			e->link_target = eq + 1;
			break;
		case 2: {
			size_t key = hs_manifest_index(m, eq + 1);
			const hs_manifest_entry *k_e = key != (size_t)-1 ? &m->v[key]->e : NULL;

			if (!S_ISREG(e->mode))
				return bad(P, NULL, "link= on an entry that is not a regular file");
			if (!k_e || !S_ISREG(k_e->mode) || k_e->hardlink_of || k_e->mountpoint || k_e->nlink < 2)
				return bad(P, eq + 1, "link= does not name an earlier regular file that heads a hardlink group");
			if (e->nlink < 2)
				return bad(P, NULL, "link= on a file with a link count of %u", e->nlink);
			e->hardlink_of = k_e->path;
			break;
		}
		case 3:
			if (!S_ISREG(e->mode))
				return bad(P, NULL, "hash= on an entry that is not a regular file");
			if (!m->hashed)
				return bad(P, NULL, "hash= in a manifest whose header says 'none'");
			if (!valid_hash(eq + 1))
				return bad(P, eq + 1, "the hash is not '" HS_MANIFEST_HASH_PREFIX "' and 32 hex digits");
			e->hash = eq + 1;
			break;
		case 4: e->acl_access = eq + 1; break;
		case 5: e->acl_default = eq + 1; break;
		case 6: e->xattrs = eq + 1; break;
		case 7:
			if (strcmp(eq + 1, "1") != 0)
				return bad(P, eq + 1, "mount= must be 1");
			if (m->n == 0)
				return bad(P, NULL, "the tree itself cannot be a mount point in its own manifest");
			e->mountpoint = true;
			break;
		}
	}
	if ((S_ISCHR(e->mode) || S_ISBLK(e->mode)) && !have_rdev)
		return bad(P, NULL, "a device without rdev=");
	if (S_ISLNK(e->mode) && !e->link_target)
		return bad(P, NULL, "a symlink without target=");
	if (e->mountpoint && (e->hash || e->xattrs || e->acl_access || e->acl_default || e->hardlink_of))
		return bad(P, NULL, "a mount point with contents, xattrs or ACLs (the scan does not enter one)");
	if (m->hashed && S_ISREG(e->mode) && !e->mountpoint && !e->hash)
		return bad(P, NULL, "a regular file without hash= in a manifest with hashes");
	if (e->hardlink_of && e->hash && strcmp(e->hash, m->v[hs_manifest_index(m, e->hardlink_of)]->e.hash) != 0)
		return bad(P, NULL, "the hash differs from that of its hardlink group's first file");

	/* its directory must be the closest directory entry before it */
	if (m->n > 0) {
		const char *slash = strrchr(path, '/');
		size_t dlen = slash ? (size_t)(slash - path) : 0;

		while (dirs->n > 1) {
			const char *d = m->v[dirs->v[dirs->n - 1]]->e.path;
			size_t l = strlen(d);

			if (l < plen && strncmp(d, path, l) == 0 && path[l] == '/')
				break;
			dirs->n--;
		}
		if (dirs->n == 0)
			return bad(P, path, "its directory is not in the manifest");
		{
			const char *d = m->v[dirs->v[dirs->n - 1]]->e.path;

			if (dirs->n == 1 ? dlen != 0 : strlen(d) != dlen)
				return bad(P, path, "its directory is not in the manifest");
		}
	}
	if (S_ISDIR(e->mode) && !e->mountpoint) {
		if (dirs->n == dirs->cap) {
			size_t cap = dirs->cap ? 2 * dirs->cap : 64;
			size_t *nv = realloc(dirs->v, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			dirs->v = nv;
			dirs->cap = cap;
		}
		dirs->v[dirs->n++] = m->n;
	}
	if (S_ISREG(e->mode) && !e->hardlink_of && !e->mountpoint)
		m->total_bytes += e->size;
	m->n++;
	return 0;
}

/* Parse @text (len bytes, taken over: the manifest keeps it, decoded in place). */
static int parse_owned(hs_ctx *ctx, hs_manifest **out, const char *name, char *text, size_t len)
{
	_cleanup_(hs_manifest_freep) hs_manifest *m = NULL;
	parser P = { .ctx = ctx, .name = name, .line = 1 };
	_cleanup_(dirstack_done) dirstack dirs = {0};
	size_t lines = 0;
	char *p, *nl, *end = text + len, *hdr_end;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m) {
		free(text);
		return -ENOMEM;
	}
	m->text = text;
	for (p = text; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		lines++;
	if (len == 0)
		return bad(&P, NULL, "empty file: not a manifest");
	if (text[len - 1] != '\n') {
		P.line = (unsigned)(lines + 1);
		return bad(&P, NULL, "the last line does not end with a newline");
	}
	hdr_end = memchr(text, '\n', len);
	*hdr_end = '\0';
	{
		const char *version, *algo;

		if (strlen(text) != (size_t)(hdr_end - text) || strncmp(text, MAGIC " ", sizeof(MAGIC)) != 0)
			return bad(&P, text, "not a homesetup manifest (the first line must be '%s %d ALGORITHM')", MAGIC,
				   FORMAT_VERSION);
		version = text + sizeof(MAGIC);
		algo = strchr(version, ' ');
		if (!algo || algo - version != 1 || version[0] != '0' + FORMAT_VERSION)
			return bad(&P, version, "this format version is not supported (this homesetup reads version %d)",
				   FORMAT_VERSION);
		algo++;
		if (strcmp(algo, HS_MANIFEST_HASH_ALGO) == 0)
			m->hashed = true;
		else if (strcmp(algo, "none") != 0)
			return bad(&P, algo, "unknown hash algorithm (known: " HS_MANIFEST_HASH_ALGO ", none)");
	}
	if (lines < 2) {
		P.line = 2;
		return bad(&P, NULL, "no entries: a manifest starts with the tree itself, '.'");
	}
	m->v = malloc((lines - 1) * sizeof(*m->v));
	m->store = malloc((lines - 1) * sizeof(*m->store));
	if (!m->v || !m->store)
		return -ENOMEM;
	for (p = hdr_end + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		P.line++;
		if (nl == p)
			return bad(&P, NULL, "an empty line");
		r = parse_entry(&P, m, p, nl, &dirs);
		if (r < 0)
			return r == -ENOMEM ? hs_ctx_set_error(ctx, r, "%s: out of memory", name) : r;
	}
	*out = TAKE_PTR(m);
	return 0;
}

int hs_manifest_parse(hs_ctx *ctx, hs_manifest **out, const char *name, const char *buf, size_t len)
{
	char *text;

	*out = NULL;
	if (len == SIZE_MAX)
		return -ENOMEM;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	if (len)
		memcpy(text, buf, len);
	text[len] = '\0';
	return parse_owned(ctx, out, name, text, len);
}

int hs_manifest_load(hs_ctx *ctx, hs_manifest **out, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, cap;
	struct stat st;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = fstat(fd, &st) < 0 ? -errno : -EINVAL;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: %s", path, r == -EINVAL ? "not a regular file" : strerror(-r));
	}
	cap = (size_t)st.st_size + 1;
	text = malloc(cap + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nt = realloc(text, 2 * cap + 1);

			if (!nt) {
				close(fd);
				return -ENOMEM;
			}
			text = nt;
			cap *= 2;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return hs_ctx_set_error(ctx, r, "%s: cannot read: %s", path, strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	return parse_owned(ctx, out, path, TAKE_PTR(text), len);
}
