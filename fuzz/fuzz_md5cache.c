/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the md5-cache entry reader (hs_md5cache_parse). Invariants, trapped when broken:
 * the result is 0, or -EINVAL exactly when the input holds a NUL byte (with a message naming a line); every
 * key read is non-empty and has no '\n' or '='; every value is non-empty and has no '\n'; and parsing again
 * the entry written back as KEY=value lines (CRLF-terminated) gives the same map.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homesetupP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_vars *v = NULL, *again = NULL;
	hs_buf out = {0};
	char *copy;
	int r;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	/* an exact-size copy: ASan catches any read past len */
	copy = malloc(size ? size : 1);
	if (!copy || hs_vars_new(&v) < 0 || hs_vars_new(&again) < 0)
		goto out;
	if (size)
		memcpy(copy, data, size);
	r = hs_md5cache_parse(ctx, "/fuzz/md5-cache/cat/pkg-1", copy, size, v);
	if (r == -ENOMEM)
		goto out;
	if ((r == -EINVAL) != (memchr(copy, '\0', size) != NULL))
		__builtin_trap();
	if (r == -EINVAL) {
		if (!strstr(hs_ctx_last_error(ctx), "/fuzz/md5-cache/cat/pkg-1:"))
			__builtin_trap();
		goto out;
	}
	if (r != 0)
		__builtin_trap();
	for (size_t i = 0; i < hs_vars_count(v); i++) {
		const char *k = hs_vars_name(v, i), *val = hs_vars_get(v, k);

		if (!*k || strchr(k, '\n') || strchr(k, '=') || !val || !*val || strchr(val, '\n'))
			__builtin_trap();
		/* CRLF: the reader drops one '\r' before '\n', so a value ending in '\r' survives the trip */
		if (hs_buf_printf(&out, "%s=%s\r\n", k, val) < 0)
			goto out;
	}
	if (hs_md5cache_parse(ctx, "again", out.p ? out.p : "", out.len, again) != 0)
		goto out; /* only -ENOMEM can get here */
	if (hs_vars_count(again) != hs_vars_count(v))
		__builtin_trap();
	for (size_t i = 0; i < hs_vars_count(v); i++) {
		const char *k = hs_vars_name(v, i), *a = hs_vars_get(again, k);

		if (!a || strcmp(a, hs_vars_get(v, k)) != 0)
			__builtin_trap();
	}
out:
	hs_buf_free(&out);
	hs_vars_free(v);
	hs_vars_free(again);
	free(copy);
	hs_ctx_free(ctx);
	return 0;
}
