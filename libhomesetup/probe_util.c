/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the probe modules share (homedconf.c, nss.c, pam.c, kernel.c, keys.c, space.c): whether ROOT is the
 * running system, finding a file in a list of directories under ROOT, quoting a value for a message, the file
 * system type of an open file, the installed version of a package for a check run, and feeding bytes read
 * under ROOT to iniparser (which otherwise only reads by path).
 */
#include <fcntl.h>
#include <iniparser.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "homesetupP.h"

/* ---- helpers shared by the probe modules -------------------------------------------------------------- */

bool hs_probe_live(const hs_ctx *ctx)
{
	return strcmp(hs_ctx_get_root(ctx), "/") == 0;
}

int hs_probe_find_file(hs_ctx *ctx, const char *const *dirs, const char *name, char **found)
{
	*found = NULL;
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *p = NULL;
		struct stat st;
		int r;

		if (asprintf(&p, "%s/%s", dirs[i], name) < 0)
			return -ENOMEM;
		r = hs_root_stat(ctx, HS_ROOT_SYS, p, &st);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		if (!S_ISREG(st.st_mode))
			continue;
		*found = TAKE_PTR(p);
		return 1;
	}
	return 0;
}

char *hs_probe_quote(const char *s, size_t len)
{
	_cleanup_buf_ hs_buf b = {0};
	bool cut = len > 300;

	if (cut)
		len = 300;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		int r = ch == '\t' || (ch >= 0x20 && ch != 0x7f) ? hs_buf_putc(&b, (char)ch) :
			hs_buf_printf(&b, "\\x%02x", ch);

		if (r < 0)
			return NULL;
	}
	if (cut && hs_buf_puts(&b, "...") < 0)
		return NULL;
	if (!b.len && hs_buf_puts(&b, "") < 0)
		return NULL;
	return hs_buf_steal(&b);
}

int hs_probe_fstype(int fd, long *type)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	*type = (long)sfs.f_type;
	return 0;
}

typedef struct probe_pkg {
	const char *cp;           /* static string */
	hs_installed **list;
	size_t n;
	int r;
} probe_pkg;

typedef struct probe_pkgs {
	probe_pkg v[8];
	size_t n;
} probe_pkgs;

static void probe_pkgs_free(void *p)
{
	probe_pkgs *pk = p;

	for (size_t i = 0; pk && i < pk->n; i++)
		hs_installed_list_free(pk->v[i].list, pk->v[i].n);
	free(pk);
}

int hs_probe_installed(hs_checker *c, const char *cp, const hs_installed **out)
{
	static const char key[] = "probes.installed";
	hs_ctx *ctx = hs_checker_ctx(c);
	probe_pkgs *pk = hs_checker_get_data(c, key);
	probe_pkg *p = NULL;

	*out = NULL;
	if (!pk) {
		int r;

		pk = calloc(1, sizeof(*pk));
		if (!pk)
			return -ENOMEM;
		r = hs_checker_set_data(c, key, pk, probe_pkgs_free);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < pk->n && !p; i++)
		if (strcmp(pk->v[i].cp, cp) == 0)
			p = &pk->v[i];
	if (!p) {
		_cleanup_(hs_atom_freep) hs_atom *atom = NULL;
		int r;

		if (pk->n == ELEMENTSOF(pk->v))
			return -ENOSPC;
		p = &pk->v[pk->n++];
		p->cp = cp;
		r = hs_atom_parse(ctx, &atom, cp, strlen(cp), HS_ATOM_PMS);
		if (r >= 0)
			r = hs_vdb_find(ctx, &p->list, &p->n, atom);
		p->r = r;
		if (r == -ENOMEM)
			return r;
	}
	if (p->r < 0)
		return p->r;
	/* hs_vdb_find sorts by version: the last one is the highest (several slots are possible in general). */
	if (p->n > 0)
		*out = p->list[p->n - 1];
	return 0;
}

/* ---- feeding iniparser -------------------------------------------------------------------------------- */

/* iniparser >= 4.2 reads a FILE *; 4.1 (Debian, Gentoo's dev-libs/iniparser-4.1) only a path. */
extern dictionary *iniparser_load_file(FILE *in, const char *ininame) __attribute__((weak));

static __thread char *ini_msg;

static int ini_error_cb(const char *fmt, ...) _printf_(1, 2);
static int ini_error_cb(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (ini_msg)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	ini_msg = s;
	return 0;
}

struct _dictionary_ *hs_ini_load_bytes(hs_ctx *ctx, const char *path, const char *buf, size_t len, char **errmsg,
				       int *err)
{
	dictionary *d = NULL;
	char fdpath[64];
	int fd;

	*err = 0;
	*errmsg = NULL;
	free(ini_msg);
	ini_msg = NULL;
	iniparser_set_error_callback(ini_error_cb);
	if (iniparser_load_file) {
		FILE *f = fmemopen((void *)buf, len ? len : 1, "r");

		if (!f) {
			*err = hs_ctx_set_error(ctx, -errno, "%s: cannot hand the file to iniparser: %s", path,
						strerror(errno));
			return NULL;
		}
		if (len == 0)
			(void)fgetc(f); /* fmemopen needs a size > 0: the one byte is consumed, iniparser sees EOF */
		d = iniparser_load_file(f, path);
		fclose(f);
	} else {
		fd = memfd_create("homesetup-ini", MFD_CLOEXEC);
		if (fd < 0) {
			*err = hs_ctx_set_error(ctx, -errno, "%s: cannot hand the file to iniparser (memfd_create: %s)",
						path, strerror(errno));
			return NULL;
		}
		for (size_t off = 0; off < len;) {
			ssize_t w = write(fd, buf + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				*err = hs_ctx_set_error(ctx, -errno, "%s: cannot hand the file to iniparser (write: %s)",
							path, strerror(errno));
				close(fd);
				return NULL;
			}
			off += (size_t)w;
		}
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (access(fdpath, R_OK) < 0) {
			*err = hs_ctx_set_error(ctx, -EIO, "%s: cannot hand the file to iniparser: %s is not readable "
						"(%s); is /proc mounted?", path, fdpath, strerror(errno));
			close(fd);
			return NULL;
		}
		d = iniparser_load(fdpath);
		close(fd);
	}
	if (!d) {
		*errmsg = ini_msg;
		ini_msg = NULL;
	}
	free(ini_msg);
	ini_msg = NULL;
	return d;
}
