/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "helpers/tree.h"

void tree_mkdtemp(char *buf, size_t size, const char *tmpl)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (strchr(tmpl, '/'))
		n = snprintf(buf, size, "%s", tmpl);
	else
		n = snprintf(buf, size, "%s/%s", tmp && *tmp ? tmp : "/tmp", tmpl);
	assert_true(n > 0 && (size_t)n < size);
	assert_non_null(mkdtemp(buf));
	assert_int_equal(chmod(buf, 0755), 0);
}

void tree_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	assert_true(strlen(path) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, mode);
}

void tree_mkdir(const char *root, const char *rel)
{
	char path[4096];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) < sizeof(path));
	tree_mkdir_p(path, 0755);
}

void tree_put(const char *root, const char *rel, const char *content)
{
	char path[4096], dir[4096];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) < sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	tree_mkdir_p(dir, 0755);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(content, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tree_rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
