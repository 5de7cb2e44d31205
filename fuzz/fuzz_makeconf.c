/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the make.conf lexer (hs_getconfig_buf). The first input byte picks the flags (expand,
 * source, tolerant); the rest is the file. `source` reads from a small tree made once per run, which holds a
 * file that sources itself, so loops and nesting are exercised too. Besides the sanitizers, the recorded
 * positions are checked: they must lie inside the buffer and a quoted value must start and end with its quote.
 */
#include "homesetupP.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/hs-fuzz-makeconf-XXXXXX";

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
	put("etc/portage/inc", "INC=1\nUSE=\"${USE} inc\"\n");
	put("etc/portage/loop", "L=1\nsource loop\n");
	put("etc/portage/again", "A=\"${A}a\"\nsource ./again\n");
	put("etc/portage/noeol", "N=1 source inc");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "/etc/portage/make.conf";
	hs_ctx *ctx = NULL;
	hs_vars *vars = NULL;
	hs_assigns a = { 0 };
	const char *buf;
	size_t len;

	if (size < 1)
		return 0;
	buf = (const char *)data + 1;
	len = size - 1;
	if (hs_ctx_new(&ctx) < 0 || hs_ctx_set_config_root(ctx, root) < 0 || hs_vars_new(&vars) < 0 ||
	    hs_vars_set(vars, "USE", "profile", "/profile/make.defaults", 1) < 0)
		goto out;
	(void)hs_getconfig_buf(ctx, HS_ROOT_CONFIG, path, buf, len, vars, &a, data[0] & 7);
	for (size_t i = 0; i < a.n; i++) {
		const hs_assign *x = &a.v[i];

		if (!x->name || !x->value || !x->path || x->line < 1 || x->column < 1)
			__builtin_trap();
		if (x->source_depth || strcmp(x->path, path))
			continue;
		if (x->name_off >= len || x->value_off > len || x->value_len > len - x->value_off)
			__builtin_trap();
		if (x->quote && (x->value_len < 2 || buf[x->value_off] != x->quote ||
				 buf[x->value_off + x->value_len - 1] != x->quote))
			__builtin_trap();
		if (!hs_vars_get(vars, x->name) && strncmp(x->name, "__", 2))
			__builtin_trap();
	}
out:
	hs_assigns_free(&a);
	hs_vars_free(vars);
	hs_ctx_free(ctx);
	return 0;
}
