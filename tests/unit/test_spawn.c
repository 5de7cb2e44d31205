/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn.c: programs run with an argv and never a shell; the child's environment (scrubbed: the allow-list, the
 * caller's secrets never, the secrets given in sp->env only there), its descriptors (0 /dev/null, 1 and 2 our
 * pipes, nothing else), signal mask and dispositions, working directory and process group; the exit status, a
 * death by signal, both outputs (callbacks and the kept tail), a program that cannot be run; the timeout (SIGTERM,
 * then SIGKILL, a grandchild holding the pipes) and PR_SET_PDEATHSIG. The children are coreutils and dash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"
#include "helpers/tree.h"

typedef struct fx {
	hs_ctx *ctx;
	char dir[256];
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(hs_ctx_new(&f->ctx), 0);
	tree_mkdtemp(f->dir, sizeof(f->dir), "hs-spawn-XXXXXX");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;

	tree_rm_rf(f->dir);
	hs_ctx_free(f->ctx);
	free(f);
	return 0;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Run @argv (with @env added, a @timeout_usec) and expect it to have run. */
static void run(fx *f, hs_spawn_result *res, const char *const *argv, const char *const *env, uint64_t timeout_usec)
{
	hs_spawn sp = { .argv = argv, .env = env, .timeout_usec = timeout_usec };

	assert_int_equal(hs_spawn_run(f->ctx, &sp, res), 0);
	assert_non_null(res->out);
	assert_non_null(res->err);
}

struct chunks {
	hs_buf out, err;
	size_t calls;
};

static void on_out(const char *chunk, size_t len, void *userdata)
{
	struct chunks *c = userdata;

	assert_true(len > 0);
	c->calls++;
	assert_int_equal(hs_buf_append(&c->out, chunk, len), 0);
}

static void on_err(const char *chunk, size_t len, void *userdata)
{
	struct chunks *c = userdata;

	assert_true(len > 0);
	c->calls++;
	assert_int_equal(hs_buf_append(&c->err, chunk, len), 0);
}

/* ---- argv, never a shell -------------------------------------------------------------------------------------- */

static void test_argv_only(void **state)
{
	fx *f = *state;
	char pwned[512], cmd[600];
	hs_spawn_result res;
	struct stat st;

	snprintf(pwned, sizeof(pwned), "%s/pwned", f->dir);
	snprintf(cmd, sizeof(cmd), "$(touch %s)", pwned);
	/* every word arrives as it is: no splitting, globbing, expansion or command substitution */
	{
		const char *const argv[] = { "/usr/bin/printf", "[%s]\n", cmd, "a b", "*", ";touch x", "`id`", "$HOME",
					     "'q'", "", NULL };
		_cleanup_free_ char *want = NULL;

		run(f, &res, argv, NULL, 0);
		assert_int_equal(res.status, 0);
		assert_true(asprintf(&want, "[%s]\n[a b]\n[*]\n[;touch x]\n[`id`]\n[$HOME]\n['q']\n[]\n", cmd) > 0);
		assert_string_equal(res.out, want);
		assert_string_equal(res.err, "");
		hs_spawn_result_done(&res);
	}
	assert_int_equal(stat(pwned, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* a program is named by its absolute path: no PATH search, no shell */
	{
		const char *const rel[] = { "env", NULL }, *const dot[] = { "./env", NULL }, *const empty[] = { NULL };
		hs_spawn sp = { .argv = rel };

		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), -EINVAL);
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), "'env' is not an absolute program path"));
		assert_null(res.out);
		sp.argv = dot;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), -EINVAL);
		sp.argv = empty;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), -EINVAL);
		sp.argv = NULL;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), -EINVAL);
		assert_non_null(strstr(hs_ctx_last_error(f->ctx), "'(none)'"));
	}
}

/* ---- the environment ------------------------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The child's environment as sorted "NAME=value" lines. */
static char *child_env(fx *f, const char *const *extra)
{
	const char *const argv[] = { "/usr/bin/env", NULL };
	hs_spawn_result res;
	_cleanup_(hs_strv_freep) char **lines = NULL;
	_cleanup_buf_ hs_buf b = {0};
	char *s = NULL;

	run(f, &res, argv, extra, 0);
	assert_int_equal(res.status, 0);
	for (char *p = res.out, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_int_equal(hs_strv_push(&lines, p, (size_t)(nl - p)), 0);
	}
	hs_spawn_result_done(&res);
	qsort(lines, hs_strv_length(lines), sizeof(*lines), cmp_str);
	for (size_t i = 0; lines && lines[i]; i++)
		assert_int_equal(hs_buf_printf(&b, "%s\n", lines[i]), 0);
	s = hs_buf_steal(&b);
	assert_non_null(s);
	return s;
}

static void test_env_scrubbed(void **state)
{
	fx *f = *state;
	static const char *const extra[] = { "PASSWORD=s3cret pw", "NEWPASSWORD=new pw", NULL };
	char *env;

	/* a known environment: what a root shell running homesetup might have, secrets included */
	assert_int_equal(clearenv(), 0);
	setenv("PATH", "/opt/bin:/usr/bin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("USER", "root", 1);
	setenv("SHELL", "/bin/bash", 1);
	setenv("LANG", "de_DE.UTF-8", 1);
	setenv("LC_MESSAGES", "de_DE.UTF-8", 1);
	setenv("LD_LIBRARY_PATH", "/tmp/evil", 1);
	setenv("IFS", " ", 1);
	setenv("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock", 1);
	setenv("HOMESETUP_HOMECTL", "/usr/bin/homectl", 1);
	setenv("PASSWORD", "caller-password", 1);
	setenv("NEWPASSWORD", "caller-newpassword", 1);
	setenv("PIN", "1234", 1);
	setenv("TERM", "xterm-256color", 1);
	setenv("TZ", "Europe/Berlin", 1);
	setenv("SYSTEMD_LOG_LEVEL", "debug", 1);
	setenv("FAKE_HOMECTL_ROOT", "/r", 1);
	setenv("ASAN_OPTIONS", "detect_leaks=1", 1);
	setenv("UBSAN_OPTIONS", "print_stacktrace=1", 1);
	setenv("LSAN_OPTIONS", "report_objects=1", 1);

	env = child_env(f, NULL);
	/* exactly the allow-list, PATH (the caller's) and LC_ALL=C: none of the caller's secrets */
	assert_string_equal(env,
			    "ASAN_OPTIONS=detect_leaks=1\n"
			    "FAKE_HOMECTL_ROOT=/r\n"
			    "LC_ALL=C\n"
			    "LSAN_OPTIONS=report_objects=1\n"
			    "PATH=/opt/bin:/usr/bin:/bin\n"
			    "SYSTEMD_LOG_LEVEL=debug\n"
			    "TERM=xterm-256color\n"
			    "TZ=Europe/Berlin\n"
			    "UBSAN_OPTIONS=print_stacktrace=1\n");
	free(env);

	/* the secrets the caller means to pass: in the environment, and only there */
	env = child_env(f, extra);
	assert_non_null(strstr(env, "\nNEWPASSWORD=new pw\n"));
	assert_non_null(strstr(env, "\nPASSWORD=s3cret pw\n"));
	assert_null(strstr(env, "caller-"));
	assert_null(strstr(env, "PIN="));
	free(env);
	{
		/* the child's command line (world-readable) has no secret; its environ (not) has. Both are NUL-separated:
		 * read them through the callback, which has the length */
		const char *const cmdline[] = { "/usr/bin/cat", "/proc/self/cmdline", NULL };
		const char *const environ_[] = { "/usr/bin/cat", "/proc/self/environ", NULL };
		static const char want_cmdline[] = "/usr/bin/cat\0/proc/self/cmdline";
		static const char want_env[] = "\0PASSWORD=s3cret pw";
		struct chunks c = { 0 };
		hs_spawn sp = { .argv = cmdline, .env = extra, .on_stdout = on_out, .userdata = &c };
		hs_spawn_result res;

		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(res.status, 0);
		assert_int_equal(c.out.len, sizeof(want_cmdline));
		assert_memory_equal(c.out.p, want_cmdline, sizeof(want_cmdline));
		hs_spawn_result_done(&res);
		hs_buf_free(&c.out);
		sp.argv = environ_;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(res.status, 0);
		assert_non_null(memmem(c.out.p, c.out.len, want_env, sizeof(want_env)));
		assert_null(memmem(c.out.p, c.out.len, "caller-", 7));
		hs_spawn_result_done(&res);
		hs_buf_free(&c.out);
	}

	/* no PATH at all: a default one, never an empty one (which would mean the working directory) */
	assert_int_equal(clearenv(), 0);
	env = child_env(f, NULL);
	assert_string_equal(env, "LC_ALL=C\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	free(env);
	setenv("PATH", "", 1);
	env = child_env(f, NULL);
	assert_string_equal(env, "LC_ALL=C\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	free(env);
	setenv("PATH", "/usr/bin:/bin", 1);
}

/* ---- what the child starts with ------------------------------------------------------------------------------- */

static void test_child_state(void **state)
{
	fx *f = *state;
	hs_spawn_result res;
	sigset_t block, old;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_hup;

	/* standard input is /dev/null: a program reading it ends at once */
	{
		const char *const argv[] = { "/usr/bin/readlink", "/proc/self/fd/0", NULL };
		const char *const cat[] = { "/usr/bin/cat", NULL };

		run(f, &res, argv, NULL, 0);
		assert_string_equal(res.out, "/dev/null\n");
		hs_spawn_result_done(&res);
		run(f, &res, cat, NULL, 5 * UINT64_C(1000000));
		assert_false(res.timed_out);
		assert_int_equal(res.status, 0);
		assert_string_equal(res.out, "");
		hs_spawn_result_done(&res);
	}

	/* the caller's blocked and ignored signals are not the child's */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
	assert_int_equal(sigaction(SIGINT, &ign, &old_int), 0);
	assert_int_equal(sigaction(SIGHUP, &ign, &old_hup), 0);
	{
		const char *const argv[] = { "/usr/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };

		unsigned long long blk, ign_mask;

		run(f, &res, argv, NULL, 0);
		assert_int_equal(res.status, 0);
		assert_int_equal(sscanf(res.out, "SigBlk:\t%llx\nSigIgn:\t%llx\n", &blk, &ign_mask), 2);
		assert_int_equal(blk, 0);
		/* Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID): signal() cannot reset them, so they stay
		 * ignored when whoever started the test ignored them (seen under make check), and every glibc
		 * program installs its handlers for them at start-up anyway. Every other signal must be reset. */
		assert_int_equal(ign_mask & ~((1ULL << 31) | (1ULL << 32)), 0);
		hs_spawn_result_done(&res);
	}
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(sigaction(SIGINT, &old_int, NULL), 0);
	assert_int_equal(sigaction(SIGHUP, &old_hup, NULL), 0);

	/* the working directory: "/" unless one is given; one that does not exist is a 127 with the reason */
	{
		const char *const argv[] = { "/usr/bin/pwd", NULL };
		char missing[300];
		hs_spawn sp = { .argv = argv };

		run(f, &res, argv, NULL, 0);
		assert_string_equal(res.out, "/\n");
		hs_spawn_result_done(&res);
		sp.cwd = f->dir;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(strncmp(res.out, f->dir, strlen(f->dir)), 0);
		assert_string_equal(res.out + strlen(f->dir), "\n");
		hs_spawn_result_done(&res);
		snprintf(missing, sizeof(missing), "%s/gone", f->dir);
		sp.cwd = missing;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(res.status, 127);
		assert_non_null(strstr(res.err, "cannot change to "));
		assert_non_null(strstr(res.err, "/gone: No such file or directory"));
		hs_spawn_result_done(&res);
	}

	/* process group: the caller's without a timeout (a terminal's ^C reaches the copy), its own with one */
	{
		const char *const argv[] = { "/usr/bin/cat", "/proc/self/stat", NULL };
		long pid, pgrp;
		char *p;

		run(f, &res, argv, NULL, 0);
		p = strrchr(res.out, ')');
		assert_non_null(p);
		assert_int_equal(sscanf(res.out, "%ld", &pid), 1);
		assert_int_equal(sscanf(p + 2, "%*c %*d %ld", &pgrp), 1);
		assert_int_equal(pgrp, (long)getpgrp());
		hs_spawn_result_done(&res);
		run(f, &res, argv, NULL, 10 * UINT64_C(1000000));
		p = strrchr(res.out, ')');
		assert_non_null(p);
		assert_int_equal(sscanf(res.out, "%ld", &pid), 1);
		assert_int_equal(sscanf(p + 2, "%*c %*d %ld", &pgrp), 1);
		assert_int_equal(pgrp, pid);
		assert_false(res.timed_out);
		hs_spawn_result_done(&res);
	}
}

/* ---- no descriptor of ours reaches the child ------------------------------------------------------------------ */

static void test_no_fd_leaks(void **state)
{
	fx *f = *state;
	const char *const argv[] = { "/usr/bin/ls", "-l", "/proc/self/fd", NULL };
	int leak = open("/dev/zero", O_RDONLY), leak_pipe[2], high;
	unsigned seen = 0, lines = 0;
	hs_spawn_result res;

	/* opened without O_CLOEXEC on purpose, one of them far above the others */
	assert_true(leak >= 0);
	assert_int_equal(pipe(leak_pipe), 0);
	high = dup2(leak, 900);
	assert_int_equal(high, 900);

	run(f, &res, argv, NULL, 0);
	assert_int_equal(res.status, 0);
	/* "lr-x------ 1 root root 64 … 0 -> /dev/null": fd 0 /dev/null, 1 and 2 our pipes, 3 ls's own directory */
	for (char *line = res.out, *nl; *line; line = nl + 1) {
		char *arrow = strstr(line, " -> "), *num;
		long fd;

		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (strncmp(line, "total", 5) == 0)
			continue;
		lines++;
		assert_non_null(arrow);
		*arrow = '\0';
		num = strrchr(line, ' ');
		assert_non_null(num);
		fd = strtol(num + 1, NULL, 10);
		assert_null(strstr(arrow + 4, "/dev/zero"));
		switch (fd) {
		case 0: assert_string_equal(arrow + 4, "/dev/null"); break;
		case 1:
		case 2: assert_true(strncmp(arrow + 4, "pipe:[", 6) == 0); break;
		case 3: assert_true(strncmp(arrow + 4, "/proc/", 6) == 0); break;
		default: fail_msg("descriptor %ld (%s) reached the child", fd, arrow + 4);
		}
		seen |= 1u << fd;
	}
	assert_int_equal(seen, 0xf);
	assert_int_equal(lines, 4);
	/* the two pipes are ours: distinct, and neither is the one we left open */
	hs_spawn_result_done(&res);
	close(high);
	close(leak);
	close(leak_pipe[0]);
	close(leak_pipe[1]);
}

/* ---- how it ended ---------------------------------------------------------------------------------------------- */

static void test_exit_status(void **state)
{
	fx *f = *state;
	static const struct {
		const char *script;
		int status, signal;
	} cases[] = {
		{ "exit 0", 0, 0 },
		{ "exit 3", 3, 0 },
		{ "exit 23", 23, 0 },
		{ "exit 255", 255, 0 },
		{ "kill -TERM $$", 128 + SIGTERM, SIGTERM },
		{ "kill -KILL $$", 128 + SIGKILL, SIGKILL },
		{ "kill -SEGV $$", 128 + SIGSEGV, SIGSEGV },
		{ "kill -PIPE $$", 128 + SIGPIPE, SIGPIPE },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const char *const argv[] = { "/bin/sh", "-c", cases[i].script, NULL };
		hs_spawn_result res;

		run(f, &res, argv, NULL, 0);
		if (res.status != cases[i].status || res.signal != cases[i].signal)
			fail_msg("%s: status %d signal %d", cases[i].script, res.status, res.signal);
		assert_false(res.timed_out);
		hs_spawn_result_done(&res);
	}
}

static void test_output(void **state)
{
	fx *f = *state;
	hs_spawn_result res;

	/* stdout and stderr apart, each through its callback as it arrives and in the result */
	{
		const char *const argv[] = { "/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; printf 'no newline' >&2",
					     NULL };
		struct chunks c = { 0 };
		hs_spawn sp = { .argv = argv, .on_stdout = on_out, .on_stderr = on_err, .userdata = &c };

		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(res.status, 0);
		assert_string_equal(res.out, "out1\nout2\n");
		assert_string_equal(res.err, "err1\nno newline");
		assert_true(c.calls >= 2);
		assert_int_equal(hs_buf_putc(&c.out, '\0'), 0);
		assert_int_equal(hs_buf_putc(&c.err, '\0'), 0);
		assert_string_equal(c.out.p, res.out);
		assert_string_equal(c.err.p, res.err);
		hs_spawn_result_done(&res);
		hs_buf_free(&c.out);
		hs_buf_free(&c.err);
	}

	/* much more than is kept: the callbacks see it all, the result keeps the last 64 KiB */
	{
		const char *const argv[] = { "/usr/bin/seq", "-f", "line %06g", "1", "20000", NULL };
		const char *const to_err[] = { "/bin/sh", "-c", "seq -f 'line %06g' 1 20000 >&2; echo done", NULL };
		struct chunks c = { 0 };
		hs_spawn sp = { .argv = argv, .on_stdout = on_out, .on_stderr = on_err, .userdata = &c };
		size_t len;

		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(c.out.len, 20000 * 12);
		len = strlen(res.out);
		assert_int_equal(len, 64 * 1024);
		assert_string_equal(res.out + len - 24, "line 019999\nline 020000\n");
		assert_memory_equal(res.out, c.out.p + c.out.len - len, len);
		hs_spawn_result_done(&res);
		hs_buf_free(&c.out);

		sp.argv = to_err;
		assert_int_equal(hs_spawn_run(f->ctx, &sp, &res), 0);
		assert_int_equal(c.err.len, 20000 * 12);
		assert_int_equal(strlen(res.err), 64 * 1024);
		assert_string_equal(res.out, "done\n");
		{
			_cleanup_free_ char *last = hs_spawn_last_lines(res.err, 2, NULL);

			assert_string_equal(last, "line 019999; line 020000");
		}
		hs_spawn_result_done(&res);
		hs_buf_free(&c.out);
		hs_buf_free(&c.err);
	}
}

static void test_cannot_run(void **state)
{
	fx *f = *state;
	char script[300];
	hs_spawn_result res;

	{
		const char *const argv[] = { "/nonexistent/program", "--version", NULL };

		run(f, &res, argv, NULL, 0);
		assert_int_equal(res.status, 127);
		assert_int_equal(res.signal, 0);
		assert_string_equal(res.err, "cannot execute /nonexistent/program: No such file or directory\n");
		assert_string_equal(res.out, "");
		hs_spawn_result_done(&res);
	}
	/* not executable; a directory */
	snprintf(script, sizeof(script), "%s/rsync", f->dir);
	tree_put(f->dir, "rsync", "#!/bin/sh\necho hi\n");
	{
		const char *const argv[] = { script, NULL };
		const char *const dir[] = { f->dir, NULL };

		run(f, &res, argv, NULL, 0);
		assert_int_equal(res.status, 127);
		assert_non_null(strstr(res.err, ": Permission denied"));
		hs_spawn_result_done(&res);
		assert_int_equal(chmod(script, 0755), 0);
		run(f, &res, argv, NULL, 0);
		assert_int_equal(res.status, 0);
		assert_string_equal(res.out, "hi\n");
		hs_spawn_result_done(&res);
		run(f, &res, dir, NULL, 0);
		assert_int_equal(res.status, 127);
		assert_non_null(strstr(res.err, "cannot execute "));
		hs_spawn_result_done(&res);
	}
}

/* ---- the timeout ----------------------------------------------------------------------------------------------- */

#define MS UINT64_C(1000)
#define SEC UINT64_C(1000000)

/* /proc/PID/stat's state, or 0 when PID is gone. */
static char proc_state(long pid)
{
	char path[64], buf[512], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait up to 5 s for PID to be gone (or a zombie nobody reaped yet). */
static bool gone(long pid)
{
	for (int i = 0; i < 500; i++) {
		char s = proc_state(pid);

		if (s == 0 || s == 'Z' || s == 'X')
			return true;
		usleep(10000);
	}
	return false;
}

static void test_timeout(void **state)
{
	fx *f = *state;
	hs_spawn_result res;
	uint64_t t0, took;

	/* a hanging probe: SIGTERM when the time is up, long before it would end by itself */
	{
		const char *const argv[] = { "/usr/bin/sleep", "30", NULL };

		t0 = mono_usec();
		run(f, &res, argv, NULL, 300 * MS);
		took = mono_usec() - t0;
		assert_true(res.timed_out);
		assert_int_equal(res.signal, SIGTERM);
		assert_int_equal(res.status, 128 + SIGTERM);
		assert_true(took >= 300 * MS);
		assert_true(took < 5 * SEC);
		hs_spawn_result_done(&res);
	}

	/* one that ignores SIGTERM gets SIGKILL after the grace period */
	{
		const char *const argv[] = { "/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 30", NULL };

		t0 = mono_usec();
		run(f, &res, argv, NULL, 200 * MS);
		took = mono_usec() - t0;
		assert_true(res.timed_out);
		assert_int_equal(res.signal, SIGKILL);
		assert_string_equal(res.out, "ready\n");
		assert_true(took >= 200 * MS + HS_SPAWN_KILL_GRACE_USEC);
		assert_true(took < HS_SPAWN_KILL_GRACE_USEC + 5 * SEC);
		hs_spawn_result_done(&res);
	}

	/* one that never stops writing cannot outrun its deadline */
	{
		const char *const argv[] = { "/usr/bin/yes", NULL };

		t0 = mono_usec();
		run(f, &res, argv, NULL, 300 * MS);
		took = mono_usec() - t0;
		assert_true(res.timed_out);
		assert_int_equal(res.signal, SIGTERM);
		assert_int_equal(strlen(res.out), 64 * 1024);
		assert_true(took < 5 * SEC);
		hs_spawn_result_done(&res);
	}

	/* the program ended, but what it started holds our pipes: the whole process group is stopped */
	{
		char pidfile[300], script[400];
		const char *const argv[] = { "/bin/sh", "-c", script, NULL };
		long grandchild = 0;
		FILE *fp;

		snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid", f->dir);
		snprintf(script, sizeof(script), "sleep 30 & echo $! > '%s'; exit 0", pidfile);
		t0 = mono_usec();
		run(f, &res, argv, NULL, 300 * MS);
		took = mono_usec() - t0;
		assert_true(res.timed_out);
		assert_int_equal(res.status, 0);
		assert_int_equal(res.signal, 0);
		assert_true(took < 5 * SEC);
		hs_spawn_result_done(&res);
		fp = fopen(pidfile, "re");
		assert_non_null(fp);
		assert_int_equal(fscanf(fp, "%ld", &grandchild), 1);
		fclose(fp);
		assert_true(grandchild > 1);
		assert_true(gone(grandchild));
	}

	/* within its time nothing happens to it */
	{
		const char *const argv[] = { "/bin/sh", "-c", "sleep 0.1; echo fine; exit 4", NULL };

		run(f, &res, argv, NULL, 10 * SEC);
		assert_false(res.timed_out);
		assert_int_equal(res.status, 4);
		assert_int_equal(res.signal, 0);
		assert_string_equal(res.out, "fine\n");
		hs_spawn_result_done(&res);
	}
	/* the probes' timeout is the documented one */
	assert_int_equal(HS_SPAWN_PROBE_TIMEOUT_USEC, 10 * SEC);
	assert_string_equal(HS_SPAWN_STR(HS_SPAWN_PROBE_TIMEOUT_SEC), "10");
}

/* ---- the child dies with its caller ---------------------------------------------------------------------------- */

/* In the forked caller: hand the child's output on to the test through the descriptor in @userdata. */
static void forward(const char *chunk, size_t len, void *userdata)
{
	(void)!write(*(int *)userdata, chunk, len);
}

static void test_dies_with_caller(void **state)
{
	fx *f = *state;
	int p[2], status = 0;
	long child = 0;
	char buf[64] = "";
	pid_t mid, w = 0;

	/* orphans come to us, so we see how the child ended */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		/* the caller (say, `homesetup migrate run`): runs a long program, tells the test its pid */
		const char *const argv[] = { "/bin/sh", "-c", "echo $$; exec sleep 30", NULL };
		hs_spawn sp = { .argv = argv, .on_stdout = forward, .userdata = &p[1] };
		hs_spawn_result res;

		close(p[0]);
		(void)hs_spawn_run(f->ctx, &sp, &res);
		_exit(3); /* not reached: the test kills us first */
	}
	close(p[1]);
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	close(p[0]);
	assert_int_equal(sscanf(buf, "%ld", &child), 1);
	assert_true(child > 1);
	assert_int_equal(proc_state(child) == 0, false);

	/* the caller is killed (no chance to clean up): the kernel sends its child SIGTERM */
	assert_int_equal(kill(mid, SIGKILL), 0);
	assert_true(waitpid(mid, &status, 0) == mid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (int i = 0; i < 500 && (w = waitpid((pid_t)child, &status, WNOHANG)) == 0; i++)
		usleep(10000);
	assert_int_equal(w, (pid_t)child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_argv_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_env_scrubbed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_child_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_fd_leaks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exit_status, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_output, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cannot_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dies_with_caller, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
