/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the tests of the probe modules (test_nss.c, test_pam.c, test_kernel.c, test_homedconf.c,
 * test_keys.c, test_space.c): a Gentoo-shaped root in a mkdtemp directory, files written into it, a check run
 * over one group through the real registry, and assertions on one result.
 * Include after cmocka.h and homesetupP.h. Everything is static: each test file gets its own copy.
 */
#ifndef PROBE_FIXTURE_H
#define PROBE_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
	char root[512];
	hs_ctx *ctx;
	hs_report *rep;
} fixture;

static int fx_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void fx_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, mode);
}

static _unused_ int fx_setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "%s/hs-probe.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->root));
	chmod(f->root, 0755); /* the unprivileged-read tests walk into it as nobody */
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	assert_int_equal(hs_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static _unused_ int fx_teardown(void **state)
{
	fixture *f = *state;

	hs_report_free(f->rep);
	hs_ctx_free(f->ctx);
	nftw(f->root, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* "<root>/<rel>" into buf */
static _unused_ const char *fx_path(const fixture *f, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", f->root, rel[0] == '/' ? rel + 1 : rel);
	return buf;
}

static _unused_ void fx_mkdir(const fixture *f, const char *rel, mode_t mode)
{
	char p[4096];

	fx_mkdir_p(fx_path(f, rel, p, sizeof(p)), mode);
	chmod(p, mode);
}

/* Write @len bytes (len SIZE_MAX: strlen) at <root>/<rel>, creating directories, with @mode. */
static _unused_ void fx_write_n(const fixture *f, const char *rel, const char *data, size_t len, mode_t mode)
{
	char p[4096], dir[4096];
	int fd;

	fx_path(f, rel, p, sizeof(p));
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	fx_mkdir_p(dir, 0755);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	if (len == SIZE_MAX)
		len = strlen(data);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	chmod(p, mode);
}

static _unused_ void fx_write(const fixture *f, const char *rel, const char *data)
{
	fx_write_n(f, rel, data, SIZE_MAX, 0644);
}

static _unused_ void fx_rm(const fixture *f, const char *rel)
{
	char p[4096];

	fx_path(f, rel, p, sizeof(p));
	if (unlink(p) < 0)
		nftw(p, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* An installed package: <root>/var/db/pkg/<cpv>/ with USE (and SLOT, EAPI). */
static _unused_ void fx_installed(const fixture *f, const char *cpv, const char *use)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "var/db/pkg/%s/SLOT", cpv);
	fx_write(f, rel, "0\n");
	snprintf(rel, sizeof(rel), "var/db/pkg/%s/EAPI", cpv);
	fx_write(f, rel, "8\n");
	snprintf(rel, sizeof(rel), "var/db/pkg/%s/USE", cpv);
	fx_write(f, rel, use);
}

/* Run the checks of @only (a group or an id) on the fixture's root, without D-Bus. */
static _unused_ void fx_run(fixture *f, const char *only)
{
	const char *list[] = { only, NULL };
	hs_check_options o = { .no_bus = true, .only = list };

	hs_report_free(f->rep);
	f->rep = NULL;
	assert_int_equal(hs_check_run(f->ctx, &f->rep, &o), 0);
}

static _unused_ const hs_check_result *fx_result(const fixture *f, const char *id)
{
	for (size_t i = 0; i < hs_report_count(f->rep); i++)
		if (strcmp(hs_report_get(f->rep, i)->id, id) == 0)
			return hs_report_get(f->rep, i);
	fail_msg("no result for %s", id);
	return NULL;
}

static _unused_ void fx_dump(const hs_check_result *r)
{
	print_message("%s: %s: %s\n  detail: %s\n  fix: %s\n", r->id, hs_check_status_name(r->status), r->summary,
		      r->detail ? r->detail : "(none)", r->fix ? r->fix : "(none)");
}

/* Assert @id has status @st and that @needle (may be NULL) occurs in its summary, detail or fix; FAIL results
 * must carry a fix. */
static _unused_ const hs_check_result *fx_expect(const fixture *f, const char *id, hs_check_status st,
						 const char *needle)
{
	const hs_check_result *r = fx_result(f, id);

	if (r->status != st || (needle && !strstr(r->summary, needle) && !(r->detail && strstr(r->detail, needle)) &&
				!(r->fix && strstr(r->fix, needle)))) {
		fx_dump(r);
		fail_msg("%s: expected %s%s%s%s", id, hs_check_status_name(st), needle ? " with '" : "",
			 needle ? needle : "", needle ? "'" : "");
	}
	if (st == HS_CHECK_FAIL && (!r->fix || !*r->fix)) {
		fx_dump(r);
		fail_msg("%s: FAIL without a fix", id);
	}
	return r;
}

/* Run fn(f) in a child that has dropped root to nobody (65534): files mode 0600 owned by root are then really
 * unreadable. Returns the child's exit status, or -1 when privileges cannot be dropped (not root): callers then
 * make the file unreadable with chmod instead. */
static _unused_ int fx_as_nobody(fixture *f, int (*fn)(fixture *f))
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return -1;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(99);
		_exit(fn(f));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

#endif /* PROBE_FIXTURE_H */
