/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the manifest reader (hs_manifest_parse, what hs_manifest_load and `homesetup verify
 * --manifest` run on a file). Invariants, trapped when broken: the result is 0, -EINVAL with a message
 * "fuzz:LINE: …", or -ENOMEM; a manifest read has at least the entry ".", first, and its entries in strictly
 * increasing tree order, each found again by its path; written back (hs_manifest_format) and read again it
 * gives the same text (the writer's output is a fixed point) and the same entries; compared with itself and
 * with its re-read copy there is no difference.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "homesetupP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void check_same(const hs_manifest *a, const hs_manifest *b)
{
	if (hs_manifest_count(a) != hs_manifest_count(b) || hs_manifest_total_bytes(a) != hs_manifest_total_bytes(b) ||
	    !same_str(hs_manifest_hash_algorithm(a), hs_manifest_hash_algorithm(b)))
		__builtin_trap();
	for (size_t i = 0; i < hs_manifest_count(a); i++) {
		const hs_manifest_entry *x = hs_manifest_get(a, i), *y = hs_manifest_get(b, i);

		if (strcmp(x->path, y->path) != 0 || x->mode != y->mode || x->uid != y->uid || x->gid != y->gid ||
		    x->size != y->size || x->alloc != y->alloc || x->mtime_sec != y->mtime_sec ||
		    x->mtime_nsec != y->mtime_nsec || x->rdev != y->rdev || x->nlink != y->nlink ||
		    x->mountpoint != y->mountpoint || !same_str(x->link_target, y->link_target) ||
		    !same_str(x->hardlink_of, y->hardlink_of) || !same_str(x->xattrs, y->xattrs) ||
		    !same_str(x->acl_access, y->acl_access) || !same_str(x->acl_default, y->acl_default) ||
		    !same_str(x->hash, y->hash))
			__builtin_trap();
	}
}

static void check_no_difference(hs_ctx *ctx, const hs_manifest *a, const hs_manifest *b)
{
	hs_verify_result *res = NULL;
	int r = hs_manifest_compare(ctx, a, b, NULL, &res);

	if (r == -ENOMEM)
		return;
	if (r != 0 || hs_verify_result_count(res) != 0 || hs_verify_result_unexpected(res) != 0)
		__builtin_trap();
	hs_verify_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_manifest *m = NULL, *again = NULL;
	hs_buf text = {0}, text2 = {0};
	int r;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	r = hs_manifest_parse(ctx, &m, "fuzz", (const char *)data, size);
	if (r == -ENOMEM)
		goto out;
	if (r == -EINVAL) {
		if (m || strncmp(hs_ctx_last_error(ctx), "fuzz:", 5) != 0 ||
		    !(hs_ctx_last_error(ctx)[5] >= '1' && hs_ctx_last_error(ctx)[5] <= '9'))
			__builtin_trap();
		goto out;
	}
	if (r != 0 || !m || hs_manifest_count(m) < 1 || strcmp(hs_manifest_get(m, 0)->path, ".") != 0)
		__builtin_trap();
	for (size_t i = 0; i < hs_manifest_count(m); i++) {
		const char *p = hs_manifest_get(m, i)->path;

		if ((i && hs_manifest_path_cmp(hs_manifest_get(m, i - 1)->path, p) >= 0) ||
		    hs_manifest_find(m, p) != hs_manifest_get(m, i))
			__builtin_trap();
	}
	if (hs_manifest_format(m, &text) < 0)
		goto out;
	r = hs_manifest_parse(ctx, &again, "again", text.p, text.len);
	if (r == -ENOMEM)
		goto out;
	if (r != 0)
		__builtin_trap();
	check_same(m, again);
	if (hs_manifest_format(again, &text2) < 0)
		goto out;
	if (text.len != text2.len || memcmp(text.p, text2.p, text.len) != 0)
		__builtin_trap();
	check_no_difference(ctx, m, m);
	check_no_difference(ctx, m, again);
out:
	hs_buf_free(&text);
	hs_buf_free(&text2);
	hs_manifest_free(m);
	hs_manifest_free(again);
	hs_ctx_free(ctx);
	return 0;
}
