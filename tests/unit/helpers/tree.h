/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Temporary Gentoo-shaped trees for the unit tests: a mkdtemp root, files written into it with their parent
 * directories, removal of the whole tree. Linked into every unit test (the Makefile links every .c file of tests/unit/helpers).
 * Failures to create a file fail the running cmocka test; removal is best effort.
 */
#ifndef HS_TEST_TREE_H
#define HS_TEST_TREE_H

#include <stddef.h>
#include <sys/types.h>

/* Make a fresh directory from @tmpl ("/tmp/hs-x-XXXXXX" style; a template without a '/' is put under
 * $TMPDIR or /tmp) into @buf, mode 0755. Fails the test when it cannot. */
void tree_mkdtemp(char *buf, size_t size, const char *tmpl);
/* mkdir -p: every missing directory of @path, the last one with @mode, the others 0755. */
void tree_mkdir_p(const char *path, mode_t mode);
/* mkdir -p @root/@rel (mode 0755). */
void tree_mkdir(const char *root, const char *rel);
/* Write @content to @root/@rel (creating the parent directories). */
void tree_put(const char *root, const char *rel, const char *content);
/* rm -rf @dir (symlinks are removed, never followed). */
void tree_rm_rf(const char *dir);

#endif
