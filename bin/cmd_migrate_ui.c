/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup migrate: the password (from the terminal with echo off, or one line from --password-fd; never argv;
 * kept in locked memory and wiped) and the progress display (a line per step on stdout; a bar on stderr for the
 * manifest, the copy and the verification: bytes and files, rate, ETA).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd_migrate.h"

/* ---- the password -------------------------------------------------------------------------------------- */


int migrate_secret_init(struct migrate_secret *s)
{
	s->buf = calloc(1, PASSWORD_MAX);
	if (!s->buf)
		return -ENOMEM;
	(void)mlock(s->buf, PASSWORD_MAX);
	return 0;
}

void migrate_secret_done(struct migrate_secret *s)
{
	if (!s->buf)
		return;
	explicit_bzero(s->buf, PASSWORD_MAX);
	(void)munlock(s->buf, PASSWORD_MAX);
	free(s->buf);
	s->buf = NULL;
}

/* One line from @fd into s->buf (the line end dropped). */
static int read_line(int fd, struct migrate_secret *s)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t k = read(fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0 || c == '\n')
			break;
		if (n + 1 >= PASSWORD_MAX)
			return -E2BIG;
		s->buf[n++] = c;
	}
	if (n > 0 && s->buf[n - 1] == '\r')
		n--;
	s->buf[n] = '\0';
	return 0;
}

static struct termios saved_tio;
static int tty_fd = -1;

static void restore_tty(int sig)
{
	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ask on the terminal with echo off. */
static int ask_tty(const char *prompt, struct migrate_secret *s)
{
	struct termios tio;
	struct sigaction sa = { .sa_handler = restore_tty }, old_int, old_term;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &saved_tio) < 0) {
		close(fd);
		return -ENOTTY;
	}
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)ECHO;
	tio.c_lflag |= ECHONL | ICANON;
	tty_fd = fd;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	(void)!write(fd, prompt, strlen(prompt));
	r = tcsetattr(fd, TCSAFLUSH, &tio) < 0 ? -errno : read_line(fd, s);
	(void)tcsetattr(fd, TCSAFLUSH, &saved_tio);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	tty_fd = -1;
	close(fd);
	return r;
}

bool migrate_have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return false;
	close(fd);
	return isatty(STDIN_FILENO) || isatty(STDERR_FILENO);
}

bool migrate_interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && migrate_have_tty();
}

/* Read and check USER's password: three tries on a terminal, one from --password-fd. */
int migrate_get_password(struct cli *cli, const char *verb, const char *user, int fd, struct migrate_secret *s)
{
	_cleanup_free_ char *prompt = NULL;
	int tries = fd >= 0 ? 1 : 3, r = 0;

	if (fd < 0 && !migrate_have_tty())
		return cli_error(cli, "migrate %s: no terminal to ask the password of %s on: give it on a file descriptor "
				 "with --password-fd N", verb, user);
	if (asprintf(&prompt, "Password of %s: ", user) < 0)
		return cli_error(cli, "out of memory");
	for (int i = 0; i < tries; i++) {
		r = fd >= 0 ? read_line(fd, s) : ask_tty(prompt, s);
		if (r < 0)
			return cli_error(cli, "migrate %s: cannot read the password: %s", verb,
					 r == -E2BIG ? "longer than 1023 bytes" : strerror(-r));
		r = hs_migrate_check_password(cli->ctx, user, s->buf);
		if (r == 0) {
			s->have = true;
			return 0;
		}
		explicit_bzero(s->buf, PASSWORD_MAX);
		if (r != -EACCES)
			break;
		if (fd < 0 && i + 1 < tries)
			fprintf(stderr, "%s: wrong password, try again\n", cli->prog);
	}
	if (r == -EACCES) {
		fprintf(stderr, "%s: migrate %s: wrong password for %s%s: nothing was changed\n", cli->prog, verb, user,
			tries > 1 ? " (three times)" : "");
		return EXIT_NEEDS_ACTION;
	}
	return cli_lib_error(cli, r == -ENOMEM ? EXIT_USAGE : EXIT_NEEDS_ACTION, "migrate");
}

/* Ask yes/no on the terminal; false when there is none. */
bool migrate_confirm(const char *question)
{
	char answer[16] = { 0 };
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return false;
	(void)!write(fd, question, strlen(question));
	n = read(fd, answer, sizeof(answer) - 1);
	close(fd);
	return n > 0 && (answer[0] == 'y' || answer[0] == 'Y');
}

/* ---- progress ------------------------------------------------------------------------------------------ */


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%.0f B", v);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void migrate_clear_bar(struct migrate_ui *ui)
{
	if (ui->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		ui->drawn = false;
	}
}

static void draw_bar(struct migrate_ui *ui, const hs_migrate_event *ev)
{
	const hs_progress *p = ev->progress;
	double t = now_s(), el = t - ui->step_start, rate;
	char done[32], total[32], rate_s[32], eta[32] = "";

	bool complete = p->bytes_done >= p->bytes_total && p->files_total && p->files_done >= p->files_total;

	if (t - ui->last_draw < 0.1 && !complete)
		return;
	ui->last_draw = t;
	rate = el > 0.2 ? (double)p->bytes_done / el : 0;
	human_bytes(done, sizeof(done), (double)p->bytes_done);
	human_bytes(total, sizeof(total), (double)p->bytes_total);
	human_bytes(rate_s, sizeof(rate_s), rate);
	if (rate > 0 && p->bytes_total > p->bytes_done) {
		unsigned long s = (unsigned long)((double)(p->bytes_total - p->bytes_done) / rate);

		snprintf(eta, sizeof(eta), "  ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	}
	fprintf(stderr, "\r\033[K   %-8s %s", ev->step, done);
	if (p->bytes_total)
		fprintf(stderr, " / %s %3.0f%%", total,
			p->bytes_done >= p->bytes_total ? 100.0 : 100.0 * (double)p->bytes_done / (double)p->bytes_total);
	fprintf(stderr, "  %" PRIu64, p->files_done);
	if (p->files_total)
		fprintf(stderr, "/%" PRIu64, p->files_total);
	fprintf(stderr, " files");
	if (rate > 0)
		fprintf(stderr, "  %s/s%s", rate_s, eta);
	fflush(stderr);
	ui->drawn = true;
}

void migrate_on_event(const hs_migrate_event *ev, void *userdata)
{
	struct migrate_ui *ui = userdata;
	struct cli *cli = ui->cli;

	switch (ev->kind) {
	case HS_MIGRATE_EVENT_BEGIN:
		ui->step_start = now_s();
		ui->last_draw = 0;
		if (cli->quiet)
			return;
		migrate_clear_bar(ui);
		printf(" %s*%s [%zu/%zu] %s%s%s\n", cli_c(cli, C_GOOD), cli_c(cli, C_RESET), ev->index + 1, ev->count,
		       cli_c(cli, C_BOLD), ev->step, cli_c(cli, C_RESET));
		fflush(stdout);
		break;
	case HS_MIGRATE_EVENT_END:
		migrate_clear_bar(ui);
		if (!cli->quiet && ev->skipped)
			printf("       (found done: nothing to do)\n");
		else if (!cli->quiet)
			printf("       done (%.1f s)\n", now_s() - ui->step_start);
		fflush(stdout);
		break;
	case HS_MIGRATE_EVENT_PROGRESS:
		if (ui->bar)
			draw_bar(ui, ev);
		break;
	case HS_MIGRATE_EVENT_NOTE:
		migrate_clear_bar(ui);
		if (!cli->quiet) {
			printf(" %s*%s %s\n", cli_c(cli, C_WARN), cli_c(cli, C_RESET), ev->message);
			fflush(stdout);
		}
		break;
	}
}

