/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metadata/md5-cache: one entry per ebuild (KEY=value lines), and every version of a package across the
 * configured repositories, read through rootfs.c.
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define MD5CACHE_MAX ((size_t)4 << 20) /* one md5-cache entry (real ones are < 20 KiB) */

/* ================================================================================================== */
/* metadata/md5-cache                                                                                   */
/* ================================================================================================== */
int hs_md5cache_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_vars *out)
{
	const char *nul = memchr(buf, '\0', len);
	unsigned lineno = 0;
	int r;

	if (nul) {
		size_t off = (size_t)(nul - buf), line = 1, col = 1;

		for (size_t i = 0; i < off; i++) {
			col++;
			if (buf[i] == '\n') {
				line++;
				col = 1;
			}
		}
		return hs_ctx_set_error(ctx, -EINVAL, "%s:%zu: binary data (a NUL byte at column %zu); not an "
					"md5-cache entry", path, line, col);
	}
	for (size_t pos = 0; pos < len;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		_cleanup_free_ char *key = NULL, *val = NULL;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		eq = memchr(line, '=', n);
		if (!eq || eq == line) {
			_cleanup_free_ char *q = hs_escape(line, n, 80);

			r = hs_ctx_add_warning(ctx, "%s:%u: %s: '%s'; line ignored", path, lineno,
					       eq ? "empty key" : "malformed md5-cache line (no '=')", q ? q : "?");
			if (r < 0)
				return r;
			continue;
		}
		/* "empty values may be omitted": an empty value is the same as no key */
		if ((size_t)(eq - line) + 1 == n) {
			key = hs_strndup(line, (size_t)(eq - line));
			if (!key)
				return -ENOMEM;
			r = hs_vars_unset(out, key);
			if (r < 0 && r != -ENOENT)
				return r;
			continue;
		}
		key = hs_strndup(line, (size_t)(eq - line));
		val = hs_strndup(eq + 1, n - (size_t)(eq - line) - 1);
		if (!key || !val)
			return -ENOMEM;
		r = hs_vars_set(out, key, val, path, lineno);
		if (r < 0)
			return r;
	}
	return 0;
}

void hs_ebuild_free(hs_ebuild *e)
{
	if (!e)
		return;
	free(e->category);
	free(e->package);
	free(e->pf);
	hs_version_free(e->version);
	hs_vars_free(e->meta);
	free(e->path);
	free(e);
}

void hs_ebuilds_free(hs_ebuild **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		hs_ebuild_free(v[i]);
	free(v);
}

typedef struct ebuild_slot {
	hs_ebuild *e;
	size_t repo; /* index in hs_repos: priority ascending */
} ebuild_slot;

/* By version; equal versions ("1.0", "01.0" …) by repository priority, then by name for a stable order. */
static int ebuild_slot_cmp(const void *a, const void *b)
{
	const ebuild_slot *x = a, *y = b;
	int c = hs_version_compare(x->e->version, y->e->version);

	if (c)
		return c;
	if (x->repo != y->repo)
		return x->repo < y->repo ? -1 : 1;
	return strcmp(x->e->pf, y->e->pf);
}

/* One repository's md5-cache entries of category/package. */
static int repo_ebuilds(hs_ctx *ctx, const hs_repo *repo, size_t repo_index, const char *category,
			const char *package, ebuild_slot **v, size_t *n, size_t *cap)
{
	_cleanup_free_ char *dirpath = NULL;
	size_t plen = strlen(package);
	DIR *dir;
	struct dirent *de;
	int fd, r = 0;

	if (asprintf(&dirpath, "%s/metadata/md5-cache/%s", repo->location, category) < 0)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_CONFIG, dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: %s", dirpath, strerror(-r));
	}
	while ((errno = 0, de = readdir(dir))) {
		const char *name = de->d_name, *ver;
		_cleanup_(hs_version_freep) hs_version *version = NULL;
		_cleanup_free_ char *path = NULL, *buf = NULL;
		hs_ebuild *e;
		size_t len = 0;

		/* "<package>-<valid version>": "pkg-foo-1.0" belongs to package pkg-foo, not pkg */
		if (strncmp(name, package, plen) != 0 || name[plen] != '-')
			continue;
		ver = name + plen + 1;
		if (hs_version_parse(NULL, &version, ver, strlen(ver)) < 0)
			continue;
		if (asprintf(&path, "%s/%s", dirpath, name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = hs_root_read_file(ctx, HS_ROOT_CONFIG, path, MD5CACHE_MAX, &buf, &len);
		if (r == -ENOENT || r == -EISDIR) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		e = calloc(1, sizeof(*e));
		if (!e) {
			r = -ENOMEM;
			break;
		}
		e->repo = repo;
		e->version = TAKE_PTR(version);
		e->category = strdup(category);
		e->package = strdup(package);
		e->pf = strdup(name);
		e->path = TAKE_PTR(path);
		if (!e->category || !e->package || !e->pf || hs_vars_new(&e->meta) < 0) {
			hs_ebuild_free(e);
			r = -ENOMEM;
			break;
		}
		r = hs_md5cache_parse(ctx, e->path, buf, len, e->meta);
		if (r < 0) {
			hs_ebuild_free(e);
			if (r == -ENOMEM)
				break;
			/* a corrupt entry is skipped (Portage: CacheCorruption), with the reason as a warning */
			r = hs_ctx_add_warning(ctx, "%s", hs_ctx_last_error(ctx));
			if (r < 0)
				break;
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			ebuild_slot *nv = realloc(*v, nc * sizeof(*nv));

			if (!nv) {
				hs_ebuild_free(e);
				r = -ENOMEM;
				break;
			}
			*v = nv;
			*cap = nc;
		}
		(*v)[*n] = (ebuild_slot){.e = e, .repo = repo_index};
		(*n)++;
	}
	if (r == 0 && errno) {
		r = -errno;
		hs_ctx_set_error(ctx, r, "%s: %s", dirpath, strerror(-r));
	}
	closedir(dir);
	return r;
}

int hs_repos_ebuilds(hs_ctx *ctx, const hs_repos *repos, const char *category, const char *package,
		     hs_ebuild ***out, size_t *n_out)
{
	ebuild_slot *v = NULL;
	hs_ebuild **res = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	/* a category or package with '/' or a leading '.' would name some other directory */
	if (!category || !package || !*category || !*package || strchr(category, '/') || strchr(package, '/') ||
	    category[0] == '.' || package[0] == '.')
		return hs_ctx_set_error(ctx, -EINVAL, "invalid package name '%s/%s'", category ? category : "",
					package ? package : "");
	for (size_t i = 0; repos && i < repos->n; i++) {
		r = repo_ebuilds(ctx, &repos->v[i], i, category, package, &v, &n, &cap);
		if (r < 0)
			goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), ebuild_slot_cmp);
	res = calloc(n ? n : 1, sizeof(*res));
	if (!res) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		res[i] = v[i].e;
		v[i].e = NULL;
	}
	*out = res;
	*n_out = n;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		hs_ebuild_free(v[i].e);
	free(v);
	return r;
}
