/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the CONTENTS parser (hs_contents_parse). Invariants, trapped when broken: the result is
 * 0 (or -ENOMEM); no more entries than lines; every entry has a non-empty absolute path without line ends or
 * NULs, obj entries a non-empty md5 without spaces, sym entries a non-empty target, a non-negative mtime; and an
 * obj entry written back as a CONTENTS line is read back as the same entry.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "homesetupP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n')))
			lines++;
	return n && s[n - 1] != '\n' && s[n - 1] != '\r' ? lines + 1 : lines;
}

static void check_obj_round_trip(const hs_contents_entry *e)
{
	hs_ctx *ctx = NULL;
	hs_contents_entry *v = NULL;
	char *storage = NULL, *line = NULL;
	size_t n = 0, plen = strlen(e->path);
	int len;

	/* "/." is not a fixed point of normalize_path() ("/." → "/"), nor is a leading ".." that Portage kept by
	 * prefixing '/' to a relative path ("../lib" → "/../lib", which normalises to "/lib"); and a saturated
	 * mtime lost its digits */
	if (e->mtime == INT64_MAX || (plen >= 2 && strcmp(e->path + plen - 2, "/.") == 0) ||
	    strncmp(e->path, "/../", 4) == 0 || strcmp(e->path, "/..") == 0)
		return;
	if (hs_ctx_new(&ctx) < 0)
		return;
	len = asprintf(&line, "obj %s %s %lld", e->path, e->md5, (long long)e->mtime);
	if (len < 0) {
		line = NULL;
		goto out;
	}
	if (hs_contents_parse(ctx, "again", line, (size_t)len, &v, &n, &storage) != 0)
		goto out;
	if (n != 1 || v[0].type != HS_CONTENTS_OBJ || strcmp(v[0].path, e->path) != 0 ||
	    strcmp(v[0].md5, e->md5) != 0 || v[0].mtime != e->mtime || hs_ctx_warning_count(ctx) != 0)
		__builtin_trap();
out:
	free(v);
	free(storage);
	free(line);
	hs_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_contents_entry *v = NULL;
	char *storage = NULL, *copy;
	size_t n = 0;
	int r;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	copy = malloc(size ? size : 1); /* exact size: ASan catches a read past len */
	if (!copy)
		goto out;
	if (size)
		memcpy(copy, data, size);
	r = hs_contents_parse(ctx, "/fuzz/CONTENTS", copy, size, &v, &n, &storage);
	if (r == -ENOMEM)
		goto out;
	if (r != 0 || n > count_lines(copy, size))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		const hs_contents_entry *e = &v[i];

		if (!e->path || e->path[0] != '/' || strpbrk(e->path, "\r\n") || e->mtime < 0)
			__builtin_trap();
		switch (e->type) {
		case HS_CONTENTS_OBJ:
			if (!e->md5 || !*e->md5 || strpbrk(e->md5, " \t\r\n") || e->target)
				__builtin_trap();
			check_obj_round_trip(e);
			break;
		case HS_CONTENTS_SYM:
			if (!e->target || !*e->target || e->md5)
				__builtin_trap();
			break;
		case HS_CONTENTS_DIR:
		case HS_CONTENTS_FIF:
		case HS_CONTENTS_DEV:
			if (e->md5 || e->target || e->mtime)
				__builtin_trap();
			break;
		default:
			__builtin_trap();
		}
	}
out:
	free(v);
	free(storage);
	free(copy);
	hs_ctx_free(ctx);
	return 0;
}
