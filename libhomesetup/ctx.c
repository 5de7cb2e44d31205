/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The context: roots, the last error, and warnings collected as data. */
#include "homesetupP.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct hs_ctx {
	char *root;
	char *config_root; /* NULL: same as root */
	char *error;
	int error_errno;
	char **warnings;
	size_t n_warnings;
	const hs_root_overlay *overlay; /* lent: useedit.c's "what if this file held these bytes" reads */
	/* O_PATH descriptors of root and config_root, opened on first use (hs_ctx_root_fd) and kept: every file read
	 * under a root (hundreds for `check`) would otherwise open the root again and close it. */
	struct root_cache {
		int fd;
		dev_t dev;
		ino_t ino;
	} root_fd, config_root_fd;
};

int hs_ctx_new(hs_ctx **out)
{
	hs_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->root_fd.fd = ctx->config_root_fd.fd = -1;
	ctx->root = strdup("/");
	if (!ctx->root) {
		free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

static void close_cached(struct root_cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void hs_ctx_free(hs_ctx *ctx)
{
	if (!ctx)
		return;
	close_cached(&ctx->root_fd);
	close_cached(&ctx->config_root_fd);
	free(ctx->root);
	free(ctx->config_root);
	free(ctx->error);
	hs_ctx_clear_warnings(ctx);
	free(ctx);
}

/* Absolute, without trailing slashes (except "/"), without "//" runs. */
static int normalise_root(hs_ctx *ctx, const char *in, char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	int r;

	if (!in || !*in)
		in = "/";
	if (in[0] != '/') {
		/* Relative to the working directory, as Portage's ROOT is. */
		_cleanup_free_ char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return hs_ctx_set_error(ctx, -errno, "root '%s': cannot resolve against the working directory: %s",
						in, strerror(errno));
		r = hs_buf_puts(&b, cwd);
		if (r >= 0)
			r = hs_buf_putc(&b, '/');
		if (r < 0)
			return r;
	}
	for (const char *p = in; *p; p++) {
		if (*p == '/' && b.len > 0 && b.p[b.len - 1] == '/')
			continue;
		r = hs_buf_putc(&b, *p);
		if (r < 0)
			return r;
	}
	while (b.len > 1 && b.p[b.len - 1] == '/')
		b.p[--b.len] = '\0';
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

int hs_ctx_set_root(hs_ctx *ctx, const char *root)
{
	char *n = NULL;
	int r = normalise_root(ctx, root, &n);

	if (r < 0)
		return r;
	free(ctx->root);
	ctx->root = n;
	close_cached(&ctx->root_fd);
	return 0;
}

int hs_ctx_set_config_root(hs_ctx *ctx, const char *config_root)
{
	char *n = NULL;
	int r = normalise_root(ctx, config_root, &n);

	if (r < 0)
		return r;
	free(ctx->config_root);
	ctx->config_root = n;
	close_cached(&ctx->config_root_fd);
	return 0;
}

int hs_ctx_root_fd(hs_ctx *ctx, hs_root_kind kind)
{
	bool config = kind == HS_ROOT_CONFIG && ctx->config_root;
	struct root_cache *c = config ? &ctx->config_root_fd : &ctx->root_fd;
	const char *path = config ? ctx->config_root : ctx->root;
	struct stat st;
	int fd;

	/* The root is what its path names at each call, as if it were opened each time: a tree removed and made
	 * again, or another renamed over it, is opened anew. A stat() is half of an open() and a close(). */
	if (c->fd >= 0) {
		if (stat(path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			return c->fd;
		close_cached(c);
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*c = (struct root_cache){ .fd = fd, .dev = st.st_dev, .ino = st.st_ino };
	return fd;
}

const char *hs_ctx_get_root(const hs_ctx *ctx)
{
	return ctx->root;
}

const char *hs_ctx_get_config_root(const hs_ctx *ctx)
{
	return ctx->config_root ? ctx->config_root : ctx->root;
}

const char *hs_ctx_last_error(const hs_ctx *ctx)
{
	return ctx && ctx->error ? ctx->error : "";
}

int hs_ctx_last_errno(const hs_ctx *ctx)
{
	return ctx ? ctx->error_errno : 0;
}

void hs_ctx_clear_error(hs_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->error);
	ctx->error = NULL;
	ctx->error_errno = 0;
}

int hs_ctx_set_error(hs_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (!ctx)
		return err;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(ctx->error);
	ctx->error = msg; /* on ENOMEM the message is lost but the errno is kept */
	ctx->error_errno = err;
	return err;
}

int hs_ctx_add_warning(hs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	char **n;

	if (!ctx)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	n = realloc(ctx->warnings, (ctx->n_warnings + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return -ENOMEM;
	}
	ctx->warnings = n;
	ctx->warnings[ctx->n_warnings++] = msg;
	return 0;
}

size_t hs_ctx_warning_count(const hs_ctx *ctx)
{
	return ctx ? ctx->n_warnings : 0;
}

const char *hs_ctx_warning(const hs_ctx *ctx, size_t i)
{
	return ctx && i < ctx->n_warnings ? ctx->warnings[i] : NULL;
}

void hs_ctx_clear_warnings(hs_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->n_warnings; i++)
		free(ctx->warnings[i]);
	free(ctx->warnings);
	ctx->warnings = NULL;
	ctx->n_warnings = 0;
}

void hs_ctx_set_overlay(hs_ctx *ctx, const hs_root_overlay *ov)
{
	ctx->overlay = ov;
}

const hs_root_overlay *hs_ctx_get_overlay(const hs_ctx *ctx)
{
	return ctx ? ctx->overlay : NULL;
}
