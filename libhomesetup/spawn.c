/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running external programs (homectl, rsync) for the migration: an argv, never a shell; an absolute program path;
 * a scrubbed environment (a short allow-list of the caller's variables plus what the caller adds: that is where
 * secrets go, since /proc/PID/cmdline is world-readable and /proc/PID/environ is not); standard input from
 * /dev/null; standard output and error read through pipes, handed to callbacks as they arrive (rsync's
 * --info=progress2 drives a progress bar) and kept, the last HS_SPAWN_KEEP bytes of each, for messages; the exit
 * status or the signal.
 *
 * fork + execve rather than posix_spawn: the child needs PR_SET_PDEATHSIG (a killed migration must not leave an
 * rsync writing behind it while the resumed run starts another), a reset signal mask and dispositions, and every
 * descriptor above 2 closed, which posix_spawn cannot all express portably.
 *
 * A probe (`rsync --version`) gets a timeout: a program that hangs must not hang `homesetup migrate check`. Such a
 * child leads a process group of its own, so that the SIGTERM (and, after a grace period, the SIGKILL) also reach
 * whatever it started: a grandchild holding our pipes would otherwise keep us reading. The long steps (the copy,
 * homectl) have no timeout and stay in the caller's group, where a terminal's ^C reaches them.
 */
#include "homesetupP.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HS_SPAWN_KEEP (64u * 1024u)

/* Variables of the caller that a child may see: locale-neutral basics, systemd's own debugging knobs, the
 * sanitizers' options (the verifier is homesetup itself), and the test double's settings. */
static const char *const env_keep_exact[] = {
	"TERM", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL,
};
static const char *const env_keep_prefix[] = { "SYSTEMD_", "FAKE_HOMECTL_", NULL };
static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static bool env_kept(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : strlen(kv);

	if (!eq)
		return false;
	/* the caller's copies of secrets are never passed on, whatever their prefix */
	if ((n == 8 && memcmp(kv, "PASSWORD", 8) == 0) || (n == 11 && memcmp(kv, "NEWPASSWORD", 11) == 0) ||
	    (n == 3 && memcmp(kv, "PIN", 3) == 0))
		return false;
	for (size_t i = 0; env_keep_exact[i]; i++)
		if (strlen(env_keep_exact[i]) == n && memcmp(kv, env_keep_exact[i], n) == 0)
			return true;
	for (size_t i = 0; env_keep_prefix[i]; i++)
		if (strncmp(kv, env_keep_prefix[i], strlen(env_keep_prefix[i])) == 0)
			return true;
	return false;
}

/* The child's environment: PATH (the caller's, else a default), LC_ALL=C (so messages and numbers are the ones
 * we parse), the allow-listed variables, then @extra. The strings are the caller's or @extra's (not copied). */
static int build_env(const char *const *extra, char ***out)
{
	extern char **environ;
	size_t n = 3 + hs_strv_length((char *const *)extra), k = 0;
	const char *path = getenv("PATH");
	char **env;

	for (char **e = environ; e && *e; e++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	env[k++] = NULL; /* PATH, filled below */
	env[k++] = (char *)"LC_ALL=C";
	for (char **e = environ; e && *e; e++)
		if (env_kept(*e))
			env[k++] = *e;
	for (size_t i = 0; extra && extra[i]; i++)
		env[k++] = (char *)extra[i];
	env[k] = NULL;
	if (path && *path) {
		if (asprintf(&env[0], "PATH=%s", path) < 0) {
			free(env);
			return -ENOMEM;
		}
	} else if (asprintf(&env[0], "PATH=%s", default_path) < 0) {
		free(env);
		return -ENOMEM;
	}
	*out = env;
	return 0;
}

/* Keep the last HS_SPAWN_KEEP bytes seen. */
static int keep_tail(hs_buf *b, const char *p, size_t n)
{
	if (n >= HS_SPAWN_KEEP) {
		p += n - HS_SPAWN_KEEP;
		n = HS_SPAWN_KEEP;
		b->len = 0;
	} else if (b->len + n > HS_SPAWN_KEEP) {
		size_t drop = b->len + n - HS_SPAWN_KEEP;

		memmove(b->p, b->p + drop, b->len - drop);
		b->len -= drop;
	}
	return hs_buf_append(b, p, n);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000u;
}

/* poll()'s timeout until @deadline (milliseconds, rounded up): -1 without a deadline. */
static int poll_msec(uint64_t deadline)
{
	uint64_t now, ms;

	if (!deadline)
		return -1;
	now = now_usec();
	if (now >= deadline)
		return 0;
	ms = (deadline - now + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

_Noreturn static void child(const hs_spawn *sp, char **env, int out_w, int err_w, pid_t parent)
{
	sigset_t all;
	int null_fd;

	/* the child dies with us: a killed migration leaves no copy running behind it */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	/* the parent does the same (whichever runs first): a timeout's kill(-pid) must find the group */
	if (sp->timeout_usec && setpgid(0, 0) < 0)
		_exit(127);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)signal(s, SIG_DFL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
	    dup2(err_w, STDERR_FILENO) < 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			(void)close((int)fd);
	}
	if (chdir(sp->cwd ? sp->cwd : "/") < 0) {
		dprintf(STDERR_FILENO, "cannot change to %s: %s\n", sp->cwd ? sp->cwd : "/", strerror(errno));
		_exit(127);
	}
	execve(sp->argv[0], (char *const *)sp->argv, env);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", sp->argv[0], strerror(errno));
	_exit(127);
}

int hs_spawn_run(hs_ctx *ctx, const hs_spawn *sp, hs_spawn_result *res)
{
	_cleanup_free_ char **env = NULL;
	_cleanup_buf_ hs_buf out = {0}, err = {0};
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, r, status;
	/* with a timeout: running until @deadline, then SIGTERM sent, then SIGKILL sent, then giving up on the pipes */
	enum { RUNNING, TERMINATED, KILLED } phase = RUNNING;
	uint64_t deadline = 0;
	bool timed_out = false;
	struct pollfd pfd[2];
	pid_t pid;

	*res = (hs_spawn_result){ .status = -1 };
	if (!sp->argv || !sp->argv[0] || sp->argv[0][0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "spawn: '%s' is not an absolute program path",
					sp->argv && sp->argv[0] ? sp->argv[0] : "(none)");
	r = build_env(sp->env, &env);
	if (r < 0)
		return r;
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
		r = hs_ctx_set_error(ctx, -errno, "spawn %s: cannot create a pipe: %s", sp->argv[0], strerror(errno));
		goto out;
	}
	fflush(NULL);
	{
		pid_t parent = getpid();

		pid = fork();
		if (pid == 0)
			child(sp, env, out_p[1], err_p[1], parent);
	}
	if (pid < 0) {
		r = hs_ctx_set_error(ctx, -errno, "spawn %s: fork: %s", sp->argv[0], strerror(errno));
		goto out;
	}
	if (sp->timeout_usec) {
		/* EACCES: the child has exec'd, so it made itself the leader already */
		(void)setpgid(pid, pid);
		deadline = now_usec() + sp->timeout_usec;
	}
	close(out_p[1]);
	close(err_p[1]);
	out_p[1] = err_p[1] = -1;

	pfd[0] = (struct pollfd){ .fd = out_p[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = err_p[0], .events = POLLIN };
	r = 0;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		char chunk[16384];

		/* checked before every poll: a child that keeps writing must not outrun its deadline */
		if (deadline && now_usec() >= deadline) {
			int sig = phase == RUNNING ? SIGTERM : SIGKILL;

			if (phase == KILLED)
				break; /* something that left the group holds the pipes: stop reading */
			(void)kill(-pid, sig);
			(void)kill(pid, sig); /* should it have left its group */
			timed_out = true;
			phase = phase == RUNNING ? TERMINATED : KILLED;
			deadline = now_usec() + HS_SPAWN_KILL_GRACE_USEC;
			continue;
		}
		if (poll(pfd, 2, poll_msec(deadline)) < 0) {
			if (errno == EINTR)
				continue;
			r = hs_ctx_set_error(ctx, -errno, "spawn %s: poll: %s", sp->argv[0], strerror(errno));
			(void)kill(pid, SIGKILL); /* or the waitpid() below waits for as long as it runs */
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 0 && sp->on_stdout)
				sp->on_stdout(chunk, (size_t)n, sp->userdata);
			if (i == 1 && sp->on_stderr)
				sp->on_stderr(chunk, (size_t)n, sp->userdata);
			if (keep_tail(i == 0 ? &out : &err, chunk, (size_t)n) < 0)
				r = -ENOMEM; /* keep draining so the child is never blocked on a full pipe */
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = hs_ctx_set_error(ctx, -errno, "spawn %s: waitpid: %s", sp->argv[0], strerror(errno));
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->status = 128 + res->signal;
	}
	res->timed_out = timed_out;
	res->out = hs_buf_steal(&out);
	res->err = hs_buf_steal(&err);
	if (!res->out || !res->err) {
		hs_spawn_result_done(res);
		r = -ENOMEM;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
	}
	if (env)
		free(env[0]);
	return r;
}

void hs_spawn_result_done(hs_spawn_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

/* Does line s[0..n) start with @skip? */
static bool skipped_line(const char *s, size_t n, const char *skip)
{
	size_t k = skip ? strlen(skip) : 0;

	return k && n >= k && memcmp(s, skip, k) == 0;
}

/* The last non-empty lines of @text (at most @max_lines, joined by "; "), leaving out lines starting with @skip. */
char *hs_spawn_last_lines(const char *text, unsigned max_lines, const char *skip)
{
	_cleanup_buf_ hs_buf b = {0};
	const char *end = text ? text + strlen(text) : NULL, *p;
	unsigned n = 0;

	if (!text)
		return strdup("");
	/* walk back over max_lines lines worth showing (a '\r' ends a line too: progress output) */
	p = end;
	while (p > text && n < max_lines) {
		const char *e = p;

		while (e > text && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		p = e;
		while (p > text && p[-1] != '\n' && p[-1] != '\r')
			p--;
		if (e > p && !skipped_line(p, (size_t)(e - p), skip))
			n++;
		if (p == text)
			break;
	}
	for (const char *s = p; s < end;) {
		const char *e = s;

		while (e < end && *e != '\n' && *e != '\r')
			e++;
		if (e > s && !skipped_line(s, (size_t)(e - s), skip)) {
			if ((b.len && hs_buf_puts(&b, "; ") < 0) || hs_buf_append(&b, s, (size_t)(e - s)) < 0)
				return NULL;
		}
		s = e < end ? e + 1 : e;
	}
	return hs_buf_steal(&b);
}

/* Is @s safe to show unquoted in a shell command line? */
static bool shell_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("_./:=,@%+-", *s)))
			return false;
	return true;
}

static int quote_word(hs_buf *b, const char *s)
{
	int r;

	if (shell_plain(s))
		return hs_buf_puts(b, s);
	r = hs_buf_putc(b, '\'');
	for (; r >= 0 && *s; s++)
		r = *s == '\'' ? hs_buf_puts(b, "'\\''") : hs_buf_putc(b, *s);
	return r < 0 ? r : hs_buf_putc(b, '\'');
}

int hs_shell_quote_argv(hs_buf *b, const char *const *argv)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && argv[i]; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');

		if (i > 0)
			r = hs_buf_putc(b, ' ');
		if (r < 0)
			break;
		/* --opt=value: quote the value only, as a person would type it */
		if (a[0] == '-' && a[1] == '-' && eq && !shell_plain(a)) {
			_cleanup_free_ char *opt = hs_strndup(a, (size_t)(eq - a) + 1);

			if (!opt)
				return -ENOMEM;
			if (shell_plain(opt)) {
				r = hs_buf_puts(b, opt);
				if (r >= 0)
					r = quote_word(b, eq + 1);
				continue;
			}
		}
		r = quote_word(b, a);
	}
	return r;
}

char *hs_find_program(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : default_path);
	char *save = NULL;

	if (!copy)
		return NULL;
	if (strchr(name, '/'))
		return strdup(name);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = NULL;
		struct stat st;

		if (dir[0] != '/')
			continue;
		if (asprintf(&p, "%s/%s", dir, name) < 0)
			return NULL;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			return TAKE_PTR(p);
	}
	return strdup("");
}
