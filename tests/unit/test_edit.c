/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * edit.c: byte-range replacements (ordering rules, overlap and range errors), the result against an independent
 * reference over thousands of random edits, unified diffs byte for byte against GNU `diff -u` (random files
 * with many repeated lines, full rewrites, CRLF, missing final newlines, created and removed files) and applied
 * back with patch(1), and commits through a temp root: stale plans refused, no-ops write nothing, creation
 * with a mode, removal, backups, symlinks, the two roots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"

#define DIFF "/usr/bin/diff"
#define PATCH "/usr/bin/patch"

typedef struct fixture {
	char root[64];
	hs_ctx *ctx;
} fixture;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void put(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
}

static char *slurp(const char *path, size_t *len)
{
	hs_buf b = {0};
	char tmp[4096];
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((k = read(fd, tmp, sizeof(tmp))) > 0)
		assert_int_equal(hs_buf_append(&b, tmp, (size_t)k), 0);
	close(fd);
	if (len)
		*len = b.len;
	return hs_buf_steal(&b);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char path[128];

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/hs-edit-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/etc", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/portage", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	hs_ctx_free(f->ctx);
	free(f);
	return 0;
}

static char *result_of(const hs_edit *e, size_t *len)
{
	char *out = (char *)1;

	assert_int_equal(hs_edit_result(e, &out, len), 0);
	return out;
}

static char *diff_of(const hs_edit *e)
{
	char *out = NULL;

	assert_int_equal(hs_edit_diff(e, &out), 0);
	assert_non_null(out);
	return out;
}

/* ---- replacements ------------------------------------------------------------------------------------- */

static void test_replacements(void **state)
{
	hs_edit *e = NULL;
	static const char orig[] = "abc\ndef\nghi";
	size_t len;
	char *r;

	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_CONFIG_ROOT, "/etc/x", orig, strlen(orig)), 0);
	assert_string_equal(hs_edit_path(e), "/etc/x");
	assert_true(hs_edit_file_exists(e));
	assert_string_equal(hs_edit_original(e, &len), orig);
	assert_int_equal(len, strlen(orig));
	assert_true(hs_edit_is_noop(e));
	assert_int_equal(hs_edit_replace(e, 4, 3, "DEF"), 0);
	assert_int_equal(hs_edit_append(e, "\n"), 0);
	assert_int_equal(hs_edit_insert(e, 4, "1\n"), 0);  /* before the replacement at the same offset */
	assert_int_equal(hs_edit_insert(e, 4, "2\n"), 0);  /* after the earlier insertion there */
	assert_int_equal(hs_edit_insert(e, 7, "!"), 0);    /* at the end of the replaced range: after it */
	assert_int_equal(hs_edit_insert(e, 0, "# top\n"), 0);
	assert_int_equal(hs_edit_append(e, "jkl\n"), 0);   /* appends keep their order */
	assert_int_equal(hs_edit_replace(e, 0, 0, ""), 0); /* an empty insertion changes nothing */
	assert_false(hs_edit_is_noop(e));
	r = result_of(e, &len);
	assert_string_equal(r, "# top\nabc\n1\n2\nDEF!\nghi\njkl\n");
	assert_int_equal(len, strlen(r));
	free(r);
	hs_edit_free(e);

	/* replacements that rewrite bytes with themselves are a no-op */
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/x", orig, strlen(orig)), 0);
	assert_int_equal(hs_edit_replace(e, 0, 3, "abc"), 0);
	assert_int_equal(hs_edit_insert(e, 5, ""), 0);
	assert_true(hs_edit_is_noop(e));
	r = diff_of(e);
	assert_string_equal(r, "");
	free(r);
	hs_edit_free(e);
	hs_edit_free(NULL);
}

static void test_replacement_errors(void **state)
{
	hs_ctx *ctx = NULL;
	hs_edit *e = NULL;
	static const char orig[] = "0123456789";
	char *r;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_ROOT, "etc/x", orig, 10), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "'etc/x': the path of a file to edit must be absolute");
	assert_int_equal(hs_edit_new(ctx, &e, HS_EDIT_ROOT, "etc/x"), -EINVAL);
	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_ROOT, "/etc/x", orig, 10), 0);
	assert_int_equal(hs_edit_replace(e, 8, 3, "x"), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "/etc/x: change at byte offset 8 (length 3) is past the end of the file (10 bytes)");
	assert_int_equal(hs_edit_replace(e, 11, 0, "x"), -EINVAL);
	assert_int_equal(hs_edit_replace(e, SIZE_MAX, 2, "x"), -EINVAL);
	assert_int_equal(hs_edit_replace(e, 2, SIZE_MAX, "x"), -EINVAL);
	assert_int_equal(hs_edit_replace(e, 2, 4, "x"), 0);
	assert_int_equal(hs_edit_replace(e, 5, 2, "y"), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "/etc/x: change at byte offset 5 (length 2) overlaps the change at byte offset 2 (length 4)");
	assert_int_equal(hs_edit_replace(e, 0, 3, "y"), -EINVAL);
	assert_int_equal(hs_edit_replace(e, 1, 8, "y"), -EINVAL);  /* covers it */
	assert_int_equal(hs_edit_insert(e, 3, "y"), -EINVAL);      /* inside it */
	assert_int_equal(hs_edit_insert(e, 2, "<"), 0);            /* at its edges: fine */
	assert_int_equal(hs_edit_insert(e, 6, ">"), 0);
	assert_int_equal(hs_edit_replace(e, 6, 1, "6"), 0);
	assert_int_equal(hs_edit_replace(e, 1, 1, "1"), 0);
	assert_int_equal(hs_edit_insert(e, 10, "$"), 0);
	assert_int_equal(hs_edit_delete_file(e), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "/etc/x: the edit changes bytes; it cannot also remove the file");
	r = result_of(e, NULL);
	assert_string_equal(r, "01<x>6789$");
	free(r);
	hs_edit_free(e);

	assert_int_equal(hs_edit_new_from_buf(ctx, &e, HS_EDIT_ROOT, "/etc/x", orig, 10), 0);
	assert_int_equal(hs_edit_delete_file(e), 0);
	assert_int_equal(hs_edit_append(e, "x"), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "/etc/x: the edit removes the file; it cannot also change bytes");
	assert_false(hs_edit_is_noop(e));
	r = result_of(e, NULL);
	assert_null(r);
	hs_edit_free(e);
	hs_ctx_free(ctx);
}

static void test_missing_file(void **state)
{
	hs_edit *e = NULL;
	size_t len = 99;
	char *r;

	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/new", NULL, 0), 0);
	assert_false(hs_edit_file_exists(e));
	assert_string_equal(hs_edit_original(e, &len), "");
	assert_int_equal(len, 0);
	assert_int_equal(hs_edit_append(e, ""), 0);
	assert_true(hs_edit_is_noop(e)); /* nothing to create */
	r = result_of(e, &len);
	assert_null(r);
	assert_int_equal(len, 0);
	hs_edit_free(e);
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/new", NULL, 0), 0);
	assert_int_equal(hs_edit_delete_file(e), 0);
	assert_true(hs_edit_is_noop(e)); /* removing what is not there */
	hs_edit_free(e);
}

/* ---- random edits against a reference ---------------------------------------------------------------- */

typedef struct ref_edit {
	size_t off, len;
	char text[8];
} ref_edit;

/*
 * The reference: walk the original bytes; before byte i come the insertions at i in the order added, then a
 * replacement starting at i (if any) stands for its range.
 */
static void reference_apply(const char *orig, size_t olen, const ref_edit *v, size_t n, hs_buf *out)
{
	for (size_t i = 0; i <= olen;) {
		const ref_edit *repl = NULL;

		for (size_t k = 0; k < n; k++) {
			if (v[k].off != i)
				continue;
			if (v[k].len == 0)
				assert_int_equal(hs_buf_puts(out, v[k].text), 0);
			else
				repl = &v[k];
		}
		if (i == olen)
			break;
		if (repl) {
			assert_int_equal(hs_buf_puts(out, repl->text), 0);
			i += repl->len;
		} else
			assert_int_equal(hs_buf_putc(out, orig[i++]), 0);
	}
}

static void random_text(char *buf, size_t len)
{
	static const char alphabet[] = "ab\n\n #=\"\r";

	for (size_t i = 0; i < len; i++)
		buf[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
	buf[len] = '\0';
}

static bool overlaps_any(const ref_edit *v, size_t n, size_t off, size_t len)
{
	for (size_t k = 0; k < n; k++) {
		size_t o = v[k].off, l = v[k].len;

		if ((len > 0 && l > 0 && off < o + l && o < off + len) || (len > 0 && l == 0 && off < o && o < off + len) ||
		    (len == 0 && l > 0 && o < off && off < o + l))
			return true;
	}
	return false;
}

static void test_random_edits_vs_reference(void **state)
{
	unsigned rejected = 0, applied = 0;

	srand(4242);
	for (int iter = 0; iter < 3000; iter++) {
		char orig[64];
		size_t olen = (size_t)(rand() % 40), n = 0;
		ref_edit v[16];
		hs_edit *e = NULL;
		hs_buf want = {0};
		char *got;
		size_t glen;

		random_text(orig, olen);
		assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/f", orig, olen), 0);
		for (int k = 0; k < 12; k++) {
			size_t off = (size_t)rand() % (olen + 1);
			size_t len = rand() % 3 == 0 ? 0 : (size_t)rand() % (olen - off + 1);
			char text[8];
			int r;

			random_text(text, (size_t)(rand() % 5));
			r = hs_edit_replace(e, off, len, text);
			if (overlaps_any(v, n, off, len)) {
				assert_int_equal(r, -EINVAL);
				rejected++;
				continue;
			}
			assert_int_equal(r, 0);
			v[n].off = off;
			v[n].len = len;
			memcpy(v[n].text, text, sizeof(text));
			n++;
			applied++;
		}
		reference_apply(orig, olen, v, n, &want);
		got = result_of(e, &glen);
		assert_non_null(got);
		assert_int_equal(glen, want.len);
		assert_memory_equal(got, want.p ? want.p : "", glen);
		assert_int_equal(hs_edit_is_noop(e), glen == olen && memcmp(got, orig, olen) == 0);
		free(got);
		hs_buf_free(&want);
		hs_edit_free(e);
	}
	print_message("# %u random replacements applied, %u overlapping ones refused\n", applied, rejected);
	assert_true(rejected > 1000 && applied > 10000);
}

/* ---- diffs -------------------------------------------------------------------------------------------- */

static void test_diff_golden(void **state)
{
	static const char makeconf[] =
		"# These settings were set by the catalyst build script\n"
		"COMMON_FLAGS=\"-O2 -pipe\"\n"
		"CFLAGS=\"${COMMON_FLAGS}\"\n"
		"USE=\"X -gnome \\\n"
		"    pulseaudio\"  # desktop\n"
		"LC_MESSAGES=C.utf8\n"
		"GRUB_PLATFORMS=\"efi-64\"\n"
		"FEATURES=\"buildpkg\"\n"
		"ACCEPT_LICENSE=\"*\"\n";
	hs_edit *e = NULL;
	const char *at;
	char *d;

	/* the bytes of one value only */
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf", makeconf,
					      strlen(makeconf)),
			 0);
	at = strstr(makeconf, "pulseaudio\"");
	assert_int_equal(hs_edit_insert(e, (size_t)(at - makeconf) + 10, " homed"), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- a/etc/portage/make.conf\n"
			       "+++ b/etc/portage/make.conf\n"
			       "@@ -2,7 +2,7 @@\n"
			       " COMMON_FLAGS=\"-O2 -pipe\"\n"
			       " CFLAGS=\"${COMMON_FLAGS}\"\n"
			       " USE=\"X -gnome \\\n"
			       "-    pulseaudio\"  # desktop\n"
			       "+    pulseaudio homed\"  # desktop\n"
			       " LC_MESSAGES=C.utf8\n"
			       " GRUB_PLATFORMS=\"efi-64\"\n"
			       " FEATURES=\"buildpkg\"\n");
	free(d);
	hs_edit_free(e);

	/* a new file */
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/package.use/homed", NULL, 0),
			 0);
	assert_int_equal(hs_edit_append(e, "# added by homesetup\nsys-apps/systemd homed cryptsetup pam\n"), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- /dev/null\n"
			       "+++ b/etc/portage/package.use/homed\n"
			       "@@ -0,0 +1,2 @@\n"
			       "+# added by homesetup\n"
			       "+sys-apps/systemd homed cryptsetup pam\n");
	free(d);
	hs_edit_free(e);

	/* a removed file without a final newline */
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/package.use/homed",
					      "a\nb", 3),
			 0);
	assert_int_equal(hs_edit_delete_file(e), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- a/etc/portage/package.use/homed\n"
			       "+++ /dev/null\n"
			       "@@ -1,2 +0,0 @@\n"
			       "-a\n"
			       "-b\n"
			       "\\ No newline at end of file\n");
	free(d);
	hs_edit_free(e);

	/* appending to a file that lacks its final newline */
	assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/x", "USE=\"X\"", 7), 0);
	assert_int_equal(hs_edit_append(e, "\nUSE=\"${USE} homed\"\n"), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- a/etc/x\n"
			       "+++ b/etc/x\n"
			       "@@ -1 +1,2 @@\n"
			       "-USE=\"X\"\n"
			       "\\ No newline at end of file\n"
			       "+USE=\"X\"\n"
			       "+USE=\"${USE} homed\"\n");
	free(d);
	hs_edit_free(e);

	/* two changes far apart: two hunks; seven lines apart: one */
	{
		hs_buf b = {0};
		char *orig;
		size_t len;

		for (int i = 1; i <= 30; i++)
			hs_buf_printf(&b, "line %d\n", i);
		len = b.len;
		orig = hs_buf_steal(&b);
		assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, "/etc/x", orig, len), 0);
		assert_int_equal(hs_edit_replace(e, (size_t)(strstr(orig, "line 2\n") - orig), 6, "LINE 2"), 0);
		assert_int_equal(hs_edit_replace(e, (size_t)(strstr(orig, "line 9\n") - orig), 6, "LINE 9"), 0);
		assert_int_equal(hs_edit_replace(e, (size_t)(strstr(orig, "line 17\n") - orig), 7, "LINE 17"), 0);
		d = diff_of(e);
		assert_string_equal(d, "--- a/etc/x\n+++ b/etc/x\n"
				       "@@ -1,12 +1,12 @@\n"
				       " line 1\n-line 2\n+LINE 2\n line 3\n line 4\n line 5\n line 6\n line 7\n"
				       " line 8\n-line 9\n+LINE 9\n line 10\n line 11\n line 12\n"
				       "@@ -14,7 +14,7 @@\n"
				       " line 14\n line 15\n line 16\n-line 17\n+LINE 17\n line 18\n line 19\n line 20\n");
		free(d);
		hs_edit_free(e);
		free(orig);
	}
}

/* Run a program; its standard output (NULL if it could not run). */
static char *run(char *const argv[], int *status)
{
	int pipefd[2];
	hs_buf b = {0};
	char tmp[4096];
	ssize_t k;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], 1);
		dup2(devnull, 2);
		close(pipefd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((k = read(pipefd[0], tmp, sizeof(tmp))) > 0)
		assert_int_equal(hs_buf_append(&b, tmp, (size_t)k), 0);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return hs_buf_steal(&b);
}

/* GNU diff's output for a → b (NULL buffers: /dev/null). */
static char *gnu_diff(const char *dir, const char *a, size_t alen, const char *b, size_t blen)
{
	char pa[256], pb[256];
	int status;
	char *out;

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	if (a)
		put(pa, a, alen);
	if (b)
		put(pb, b, blen);
	{
		char *argv[] = { DIFF, "-u", "--label", a ? "a/x" : "/dev/null", "--label", b ? "b/x" : "/dev/null",
				 a ? pa : "/dev/null", b ? pb : "/dev/null", NULL };

		out = run(argv, &status);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	return out;
}

static void random_lines(hs_buf *b, unsigned alphabet, unsigned max_lines)
{
	static const char *const lines[] = { "a\n", "b\n", "\n", "USE=\"X\"\n", "c\r\n", "# c\n", "d\n", "e\n",
					     "f\n", "g\n" };
	unsigned n = max_lines ? (unsigned)rand() % max_lines : 0;

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(hs_buf_puts(b, lines[(unsigned)rand() % alphabet]), 0);
	if (b->len > 0 && rand() % 5 == 0)
		b->p[--b->len] = '\0'; /* no final newline */
}

/* Whole outputs, headers included, against `diff -u --label`: an edit, a creation, a removal. */
static void test_diff_headers_vs_gnu_diff(void **state)
{
	static const struct {
		const char *a, *b;
	} cases[] = {
		{ "USE=\"X\"\nFEATURES=\"\"\n", "USE=\"X homed\"\nFEATURES=\"\"\n" },
		{ NULL, "sys-apps/systemd homed\n" },
		{ "a\nb", NULL },
		{ "x", "x\n" },
	};
	char dir[] = "/tmp/hs-diff-XXXXXX";

	if (access(DIFF, X_OK) < 0) {
		print_message("# %s is not installed\n", DIFF);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const char *a = cases[i].a, *b = cases[i].b;
		char *mine = NULL, *gnu;

		assert_int_equal(hs_diff_unified(a ? a : "", a ? strlen(a) : 0, b ? b : "", b ? strlen(b) : 0,
						 a ? "a/x" : NULL, b ? "b/x" : NULL, 3, &mine),
				 0);
		gnu = gnu_diff(dir, a, a ? strlen(a) : 0, b, b ? strlen(b) : 0);
		assert_string_equal(mine, gnu);
		free(mine);
		free(gnu);
	}
	nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
}

/* The hunks of a diff: everything after the "+++ " line. */
static const char *diff_body(const char *d)
{
	const char *p = strstr(d, "\n+++ ");

	assert_non_null(p);
	p = strchr(p + 1, '\n');
	assert_non_null(p);
	return p + 1;
}

/*
 * Pairs of files, many with repeated lines, some rewritten, some edited a few lines, some created or removed,
 * CRLF and missing final newlines: our hunks equal GNU `diff -u`'s byte for byte. All pairs go through one
 * `diff -ruN` run (one process, whatever the number of pairs).
 */
static void test_diff_vs_gnu_diff(void **state)
{
	enum { PAIRS = 6000 };
	char dir[] = "/tmp/hs-diff-XXXXXX", da[64], db[64], path[128];
	char **ours;
	unsigned compared = 0, hunks = 0, same = 0;
	char *gnu, *p;
	int status;

	if (access(DIFF, X_OK) < 0) {
		print_message("# %s is not installed\n", DIFF);
		skip();
	}
	ours = calloc(PAIRS, sizeof(*ours));
	assert_non_null(ours);
	assert_non_null(mkdtemp(dir));
	snprintf(da, sizeof(da), "%s/a", dir);
	snprintf(db, sizeof(db), "%s/b", dir);
	assert_int_equal(mkdir(da, 0755), 0);
	assert_int_equal(mkdir(db, 0755), 0);
	srand(7);
	for (int iter = 0; iter < PAIRS; iter++) {
		unsigned alphabet = 2 + (unsigned)iter % 9, max_lines = iter % 4 == 3 ? 200 : 25;
		hs_buf a = {0}, b = {0};
		bool a_missing = iter % 50 == 0, b_missing = iter % 50 == 25;

		random_lines(&a, alphabet, max_lines);
		if (iter % 3 == 0) {
			random_lines(&b, alphabet, max_lines); /* a rewrite */
		} else {
			/* a few line-level changes of a */
			hs_buf ins = {0};
			size_t pos = a.len ? (size_t)rand() % (a.len + 1) : 0, q;

			while (pos > 0 && a.p[pos - 1] != '\n')
				pos--;
			q = pos;
			for (int skip_lines = rand() % 3; skip_lines > 0 && q < a.len; skip_lines--) {
				char *nl = memchr(a.p + q, '\n', a.len - q);

				q = nl ? (size_t)(nl - a.p) + 1 : a.len;
			}
			random_lines(&ins, alphabet, 4);
			hs_buf_append(&b, a.p ? a.p : "", pos);
			hs_buf_append(&b, ins.p ? ins.p : "", ins.len);
			hs_buf_append(&b, a.p ? a.p + q : "", a.len - q);
			hs_buf_free(&ins);
		}
		if (a_missing)
			a.len = 0;
		if (b_missing)
			b.len = 0;
		snprintf(path, sizeof(path), "%s/%05d", da, iter);
		if (!a_missing)
			put(path, a.p ? a.p : "", a.len);
		snprintf(path, sizeof(path), "%s/%05d", db, iter);
		if (!b_missing)
			put(path, b.p ? b.p : "", b.len);
		assert_int_equal(hs_diff_unified(a.p ? a.p : "", a.len, b.p ? b.p : "", b.len, a_missing ? NULL : "a/x",
						 b_missing ? NULL : "b/x", 3, &ours[iter]),
				 0);
		hs_buf_free(&a);
		hs_buf_free(&b);
	}
	{
		char *argv[] = { DIFF, "-ruN", da, db, NULL };

		gnu = run(argv, &status);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	/* one section per differing pair: "diff -ruN <da>/NNNNN <db>/NNNNN\n--- …\n+++ …\n<hunks>" */
	p = gnu;
	for (int iter = 0; iter < PAIRS; iter++) {
		char head[256];
		const char *body, *next;
		size_t hl;

		snprintf(head, sizeof(head), "diff -ruN %s/%05d %s/%05d\n", da, iter, db, iter);
		hl = strlen(head);
		if (ours[iter][0] == '\0') {
			assert_false(strncmp(p, head, hl) == 0); /* identical files: no section */
			same++;
			continue;
		}
		if (strncmp(p, head, hl) != 0)
			print_message("# pair %05d: diff -u reports nothing, we report:\n%s", iter, ours[iter]);
		assert_true(strncmp(p, head, hl) == 0);
		body = diff_body(p);
		next = strstr(body, "\ndiff -ruN ");
		next = next ? next + 1 : body + strlen(body);
		if (strlen(diff_body(ours[iter])) != (size_t)(next - body) ||
		    memcmp(diff_body(ours[iter]), body, (size_t)(next - body)) != 0)
			print_message("# pair %05d differs:\n--- ours\n%s--- diff -u\n%.*s", iter, ours[iter],
				      (int)(next - p), p);
		assert_int_equal(strlen(diff_body(ours[iter])), (size_t)(next - body));
		assert_memory_equal(diff_body(ours[iter]), body, (size_t)(next - body));
		for (const char *h = ours[iter]; (h = strstr(h, "\n@@ ")); h++)
			hunks++;
		compared++;
		p = (char *)next;
	}
	assert_string_equal(p, "");
	for (int iter = 0; iter < PAIRS; iter++)
		free(ours[iter]);
	free(ours);
	free(gnu);
	nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
	print_message("# %u diffs (%u hunks) identical to GNU diff -u; %u pairs without differences\n", compared, hunks,
		      same);
	assert_true(compared > 5000);
}

/* Random byte-level edits of many files: the concatenated diffs, applied by one patch(1) run, give the results. */
static void test_diff_applies(void **state)
{
	enum { FILES = 400 };
	char dir[] = "/tmp/hs-patch-XXXXXX", path[128], diff_path[128];
	char **want;
	size_t *wlen;
	hs_buf all = {0};
	unsigned changed = 0;
	int status;

	if (access(PATCH, X_OK) < 0) {
		print_message("# %s is not installed\n", PATCH);
		skip();
	}
	want = calloc(FILES, sizeof(*want));
	wlen = calloc(FILES, sizeof(*wlen));
	assert_non_null(want);
	assert_non_null(wlen);
	assert_non_null(mkdtemp(dir));
	srand(99);
	for (int i = 0; i < FILES; i++) {
		hs_buf a = {0};
		hs_edit *e = NULL;
		char name[16], *d;

		random_lines(&a, 6, 40);
		snprintf(name, sizeof(name), "/%04d", i);
		snprintf(path, sizeof(path), "%s%s", dir, name);
		put(path, a.p ? a.p : "", a.len);
		assert_int_equal(hs_edit_new_from_buf(NULL, &e, HS_EDIT_ROOT, name, a.p ? a.p : "", a.len), 0);
		for (int k = 0; k < 3; k++) {
			size_t off = (size_t)rand() % (a.len + 1), len = (size_t)rand() % 6;
			char text[8];

			random_text(text, (size_t)(rand() % 6));
			if (len > a.len - off)
				len = a.len - off;
			(void)hs_edit_replace(e, off, len, text); /* overlapping ones are refused: fine */
		}
		want[i] = result_of(e, &wlen[i]);
		d = diff_of(e);
		if (hs_edit_is_noop(e))
			assert_string_equal(d, "");
		else
			changed++;
		assert_int_equal(hs_buf_puts(&all, d), 0);
		free(d);
		hs_edit_free(e);
		hs_buf_free(&a);
	}
	snprintf(diff_path, sizeof(diff_path), "%s.diff", dir);
	put(diff_path, all.p ? all.p : "", all.len);
	{
		char *argv[] = { PATCH, "-s", "-p1", "-d", dir, "-i", diff_path, NULL };
		char *out = run(argv, &status);

		free(out);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (int i = 0; i < FILES; i++) {
		size_t glen;
		char *got;

		snprintf(path, sizeof(path), "%s/%04d", dir, i);
		got = slurp(path, &glen);
		assert_non_null(got);
		assert_int_equal(glen, wlen[i]);
		assert_memory_equal(got, want[i], glen);
		free(got);
		free(want[i]);
	}
	free(want);
	free(wlen);
	hs_buf_free(&all);
	unlink(diff_path);
	nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
	print_message("# %u diffs applied with one patch(1) run\n", changed);
	assert_true(changed > 300);
}

static void test_diff_large(void **state)
{
	hs_buf a = {0}, b = {0};
	struct timespec t0, t1;
	char *d = NULL;
	double ms;

	for (int i = 0; i < 200000; i++)
		hs_buf_printf(&a, "line %d\n", i);
	hs_buf_append(&b, a.p, a.len);
	memcpy(strstr(b.p, "line 100000\n"), "LINE", 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hs_diff_unified(a.p, a.len, b.p, b.len, "a/x", "b/x", 3, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_string_equal(d, "--- a/x\n+++ b/x\n@@ -99998,7 +99998,7 @@\n line 99997\n line 99998\n line 99999\n"
			       "-line 100000\n+LINE 100000\n line 100001\n line 100002\n line 100003\n");
	free(d);
	print_message("# one change in 200000 lines (%zu bytes): %.1f ms\n", a.len, ms);
	/* the worst case for the algorithm: the same 20000 lines in reverse order */
	hs_buf_free(&b);
	hs_buf_free(&a);
	for (int i = 0; i < 20000; i++) {
		hs_buf_printf(&a, "line %d\n", i);
		hs_buf_printf(&b, "line %d\n", 19999 - i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hs_diff_unified(a.p, a.len, b.p, b.len, "a/x", "b/x", 3, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(strncmp(d, "--- a/x\n+++ b/x\n@@ -1,", 22) == 0);
	free(d);
	print_message("# 20000 lines against the same lines reversed: %.1f ms\n", ms);
	hs_buf_free(&a);
	hs_buf_free(&b);
}

/* ---- commits ------------------------------------------------------------------------------------------ */

static void test_commit(void **state)
{
	fixture *f = *state;
	static const char conf[] = "USE=\"X\"\n";
	char path[256], *d;
	hs_edit *e = NULL, *e2 = NULL;
	struct timespec ts[2] = { { .tv_sec = 946684800 }, { .tv_sec = 946684800 } };
	struct stat st;

	snprintf(path, sizeof(path), "%s/etc/portage/make.conf", f->root);
	put(path, conf, strlen(conf));
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf"), 0);
	assert_string_equal(hs_edit_original(e, NULL), conf);
	assert_int_equal(hs_edit_replace(e, 5, 1, "X homed"), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- a/etc/portage/make.conf\n+++ b/etc/portage/make.conf\n@@ -1 +1 @@\n"
			       "-USE=\"X\"\n+USE=\"X homed\"\n");
	free(d);
	assert_int_equal(hs_edit_commit(e, HS_EDIT_BACKUP), 0);
	d = slurp(path, NULL);
	assert_string_equal(d, "USE=\"X homed\"\n");
	free(d);
	assert_non_null(hs_edit_backup_path(e));
	snprintf(path, sizeof(path), "%s%s", f->root, hs_edit_backup_path(e));
	d = slurp(path, NULL);
	assert_string_equal(d, conf);
	free(d);
	/* committing again finds the work done */
	assert_int_equal(hs_edit_commit(e, 0), 1);
	assert_null(hs_edit_backup_path(e));
	hs_edit_free(e);

	/* a no-op edit writes nothing: mtime and inode unchanged */
	snprintf(path, sizeof(path), "%s/etc/portage/make.conf", f->root);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf"), 0);
	assert_int_equal(hs_edit_replace(e, 0, 3, "USE"), 0);
	assert_true(hs_edit_is_noop(e));
	assert_int_equal(hs_edit_commit(e, HS_EDIT_BACKUP), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 946684800);
	hs_edit_free(e);

	/* two edits planned against the same bytes: the second is refused */
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf"), 0);
	assert_int_equal(hs_edit_new(f->ctx, &e2, HS_EDIT_CONFIG_ROOT, "/etc/portage/make.conf"), 0);
	assert_int_equal(hs_edit_append(e, "A=1\n"), 0);
	assert_int_equal(hs_edit_append(e2, "B=2\n"), 0);
	assert_int_equal(hs_edit_commit(e, 0), 0);
	assert_int_equal(hs_edit_commit(e2, 0), -ESTALE);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/etc/portage/make.conf: changed since it was read; nothing "
						       "was written, run the command again");
	d = slurp(path, NULL);
	assert_string_equal(d, "USE=\"X homed\"\nA=1\n");
	free(d);
	hs_edit_free(e);
	hs_edit_free(e2);
}

static void test_commit_create_and_delete(void **state)
{
	fixture *f = *state;
	char dir[128], path[256], *d;
	hs_edit *e = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/etc/portage/package.use", f->root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/homed", dir);
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/package.use/homed"), 0);
	assert_false(hs_edit_file_exists(e));
	assert_int_equal(hs_edit_append(e, "sys-apps/systemd homed\n"), 0);
	hs_edit_set_create_mode(e, 0600);
	assert_int_equal(hs_edit_commit(e, HS_EDIT_BACKUP), 0);
	assert_null(hs_edit_backup_path(e)); /* nothing to back up */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	hs_edit_free(e);

	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/portage/package.use/homed"), 0);
	assert_int_equal(hs_edit_delete_file(e), 0);
	d = diff_of(e);
	assert_string_equal(d, "--- a/etc/portage/package.use/homed\n+++ /dev/null\n@@ -1 +0,0 @@\n"
			       "-sys-apps/systemd homed\n");
	free(d);
	assert_int_equal(hs_edit_commit(e, HS_EDIT_BACKUP), 0);
	assert_int_equal(stat(path, &st), -1);
	/* the backup ends in '~', which Portage skips when it reads package.use/ */
	assert_non_null(hs_edit_backup_path(e));
	assert_int_equal(hs_edit_backup_path(e)[strlen(hs_edit_backup_path(e)) - 1], '~');
	{
		char **files = NULL;

		assert_int_equal(hs_root_list_config(f->ctx, HS_ROOT_CONFIG, "/etc/portage/package.use", &files), 0);
		assert_null(files[0]);
		hs_strv_free(files);
	}
	hs_edit_free(e);
}

static void test_roots(void **state)
{
	fixture *f = *state;
	char cfg[128], path[256], *d;
	hs_edit *e = NULL;

	/* ROOT and PORTAGE_CONFIGROOT differ: each edit lands in its own */
	snprintf(cfg, sizeof(cfg), "%s/cfg", f->root);
	assert_int_equal(mkdir(cfg, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc", cfg);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(hs_ctx_set_config_root(f->ctx, cfg), 0);
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_CONFIG_ROOT, "/etc/f"), 0);
	assert_int_equal(hs_edit_append(e, "config\n"), 0);
	assert_int_equal(hs_edit_commit(e, 0), 0);
	hs_edit_free(e);
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_ROOT, "/etc/f"), 0);
	assert_int_equal(hs_edit_append(e, "root\n"), 0);
	assert_int_equal(hs_edit_commit(e, 0), 0);
	hs_edit_free(e);
	snprintf(path, sizeof(path), "%s/etc/f", cfg);
	d = slurp(path, NULL);
	assert_string_equal(d, "config\n");
	free(d);
	snprintf(path, sizeof(path), "%s/etc/f", f->root);
	d = slurp(path, NULL);
	assert_string_equal(d, "root\n");
	free(d);

	/* errors while reading name the path */
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_ROOT, "/etc"), -EISDIR);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/etc: Is a directory");
	/* a missing directory is reported at commit */
	assert_int_equal(hs_edit_new(f->ctx, &e, HS_EDIT_ROOT, "/nowhere/f"), 0);
	assert_int_equal(hs_edit_append(e, "x\n"), 0);
	assert_int_equal(hs_edit_commit(e, 0), -ENOENT);
	assert_string_equal(hs_ctx_last_error(f->ctx), "/nowhere/f: cannot create it: directory /nowhere does not exist");
	hs_edit_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replacements),
		cmocka_unit_test(test_replacement_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_random_edits_vs_reference),
		cmocka_unit_test(test_diff_golden),
		cmocka_unit_test(test_diff_headers_vs_gnu_diff),
		cmocka_unit_test(test_diff_vs_gnu_diff),
		cmocka_unit_test(test_diff_applies),
		cmocka_unit_test(test_diff_large),
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_create_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roots, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
