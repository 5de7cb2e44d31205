/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the USE edits (useedit.c): for any make.conf or package.use bytes, adding flags and then
 * reverting gives back exactly the same bytes, or the addition is refused with a message; nothing crashes.
 *
 * The first input byte picks the file kind (bit 0: make.conf or package.use), the flags added (bits 1-2) and
 * whether the file is named inside a make.conf directory (bit 3, which changes what `source` resolves against);
 * the rest is the file. `source` reads from a small tree made once per run (a file that assigns USE, one that
 * sources itself), so the refusals for sourced assignments and loops run too.
 *
 * Invariants, checked with abort():
 *   - a refused addition returns a negative errno with a message (-ENOTSUP, -EINVAL, or the error of reading a
 *     sourced file);
 *   - an accepted one changes the bytes; when revert finds nothing to remove in the input itself (no markers of
 *     an earlier run), revert of the result finds exactly one marker and gives back the input byte for byte;
 *   - revert of the input never crashes, and a second revert of its result finds nothing.
 */
#include "homesetupP.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/hs-fuzz-useedit-XXXXXX";

static const char *const flag_sets[] = { "homed", "homed cryptsetup pam", "-pam_krb5 homed", "x" };

static void put(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

	if (!mkdtemp(root))
		return 0;
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/portage", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/portage/make.conf.d", root);
	mkdir(p, 0755);
	put("etc/portage/flags", "USE=\"${USE} sourced\"\n");
	put("etc/portage/plain", "CFLAGS=\"-O2\"\n");
	put("etc/portage/loop", "L=1\nsource loop\n");
	return 0;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

/* Revert @buf; returns the count and the bytes afterwards in *out (malloc'd; NULL when the count is < 0). */
static int revert(hs_ctx *ctx, const char *path, const char *buf, size_t len, bool makeconf, char **out,
		  size_t *out_len)
{
	hs_edit *e = NULL;
	int r;

	*out = NULL;
	*out_len = 0;
	if (hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, path, buf, len) < 0)
		return -ENOMEM;
	r = hs_useedit_revert(ctx, e, makeconf);
	if (r >= 0 && hs_edit_result(e, out, out_len) < 0)
		r = -ENOMEM;
	if (r >= 0 && !*out) {
		*out = strdup("");
		*out_len = 0;
	}
	hs_edit_free(e);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_edit *e = NULL;
	char *marker = NULL, *res = NULL, *back = NULL, *back2 = NULL, *rev0 = NULL;
	char *lines[2] = { NULL, NULL };
	const char *buf = (const char *)data + 1, *flags, *path;
	size_t len, res_len = 0, back_len = 0, back2_len = 0, rev0_len = 0;
	bool makeconf;
	int r, r0, rb;

	if (size < 1)
		return 0;
	makeconf = data[0] & 1;
	flags = flag_sets[(data[0] >> 1) & 3];
	path = makeconf ? ((data[0] & 8) ? "/etc/portage/make.conf.d/10-use" : "/etc/portage/make.conf")
			: "/etc/portage/package.use/homed";
	len = size - 1;
	if (hs_ctx_new(&ctx) < 0 || hs_ctx_set_root(ctx, root) < 0)
		goto out;
	if (hs_useedit_marker(&marker, "systemd-homed needs these flags", 1764806400) < 0)
		goto out;

	/* revert of the input itself */
	r0 = revert(ctx, path, buf, len, makeconf, &rev0, &rev0_len);
	if (r0 == -ENOMEM)
		goto out;
	check(r0 >= 0 || *hs_ctx_last_error(ctx), "a refused revert has a message");
	if (r0 > 0) {
		int again = revert(ctx, path, rev0, rev0_len, makeconf, &back2, &back2_len);

		check(again == 0 || again == -ENOMEM || again == -EINVAL, "a reverted file has no markers left");
		free(back2);
		back2 = NULL;
	}

	if (hs_edit_new_from_buf(ctx, &e, HS_EDIT_CONFIG_ROOT, path, buf, len) < 0)
		goto out;
	hs_ctx_clear_error(ctx);
	if (makeconf)
		r = hs_useedit_makeconf_append(ctx, e, marker, flags);
	else {
		if (asprintf(&lines[0], "sys-apps/systemd %s", flags) < 0) {
			lines[0] = NULL;
			goto out;
		}
		r = hs_useedit_pkguse_append(ctx, e, marker, lines);
	}
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		check(*hs_ctx_last_error(ctx) != '\0', "a refusal has a message");
		goto out;
	}
	if (hs_edit_result(e, &res, &res_len) < 0 || !res)
		goto out;
	check(res_len != len || memcmp(res, buf, len) != 0, "an accepted addition changes the file");

	rb = revert(ctx, path, res, res_len, makeconf, &back, &back_len);
	if (rb == -ENOMEM)
		goto out;
	if (r0 == 0) {
		if (rb != 1)
			fprintf(stderr, "revert: %d %s\n", rb, hs_ctx_last_error(ctx));
		check(rb == 1, "revert finds the one marker added");
		check(back_len == len && memcmp(back, buf, len) == 0, "revert gives back the original bytes");
	}
out:
	free(marker);
	free(res);
	free(back);
	free(rev0);
	free(lines[0]);
	hs_edit_free(e);
	hs_ctx_free(ctx);
	return 0;
}
