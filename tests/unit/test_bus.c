/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bus.c: the pure parts, the connection failures that need no bus, and — against a private dbus-daemon with
 * the test peer .obj/tests/fake-systemd (tests/bus/) — the helpers the CLI does not reach yet (home1) and
 * the round-trip counts. The CLI paths are tested over the same peer in tests/bus/bus.bats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void test_version_major(void **state)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "256.7", 256 }, { "252.22-1~deb12u1", 252 }, { "v245", 245 }, { "258~rc1", 258 },
		{ "systemd 260.1", 260 }, { "245", 245 }, { "", -1 }, { "unknown", -1 }, { "v", -1 },
		{ "1234567", -1 }, { NULL, -1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		assert_int_equal(hs_systemd_version_major(cases[i].in), cases[i].want);
}

static void test_open_no_socket(void **state)
{
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_bus_open(ctx, "unix:path=/nonexistent/hs-test/bus", 0, &bus), -ENOENT);
	assert_null(bus);
	assert_string_equal(hs_ctx_last_error(ctx),
			    "cannot connect to the D-Bus bus at unix:path=/nonexistent/hs-test/bus: No such file or directory");
	/* sd-bus finds no transport it knows in "garbage" and answers ECONNREFUSED: the address is quoted */
	assert_true(hs_bus_open(ctx, "garbage", 0, &bus) < 0);
	assert_null(bus);
	assert_string_equal(hs_ctx_last_error(ctx), "cannot connect to the D-Bus bus at garbage: Connection refused");
	assert_int_equal(hs_bus_open(ctx, "unix:", 0, &bus), -EINVAL);
	assert_string_equal(hs_ctx_last_error(ctx), "invalid D-Bus address 'unix:'");
	hs_ctx_free(ctx);
}

/* A socket that is listened on and never answered: hs_bus_open gives up on its own clock. */
static void test_open_silent(void **state)
{
	char dir[] = "/tmp/hs-ut.XXXXXX", addr[200];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;
	uint64_t t0;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/silent", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	snprintf(addr, sizeof(addr), "unix:path=%s", sa.sun_path);

	assert_int_equal(hs_ctx_new(&ctx), 0);
	t0 = now_usec();
	assert_int_equal(hs_bus_open(ctx, addr, 200000, &bus), -ETIMEDOUT);
	assert_true(now_usec() - t0 < 10000000); /* bounded by our 0.2 s, not sd-bus's 90 s (room for a loaded machine) */
	assert_null(bus);
	{
		char want[300];

		snprintf(want, sizeof(want), "no answer from the D-Bus bus at %s within 0.2 s", addr);
		assert_string_equal(hs_ctx_last_error(ctx), want);
	}
	hs_ctx_free(ctx);
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* ---- against a private bus -------------------------------------------------------------------------- */

static struct {
	bool up;
	char dir[32];
	char address[256];
	pid_t bus_pid, peer_pid;
} live = { .dir = "/tmp/hs-ut.XXXXXX" };

static pid_t spawn(char *const argv[], int keep_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		for (int fd = 3; fd < 64; fd++)
			if (fd != keep_fd)
				close(fd);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static bool wait_file(const char *path)
{
	struct stat st;

	for (int i = 0; i < 300; i++) { /* 30 s: a loaded machine, ASan */
		if (stat(path, &st) == 0 && st.st_size > 0)
			return true;
		usleep(100000);
	}
	return false;
}

static char fake_path[PATH_MAX];

static bool start_peer(const char *extra)
{
	char ready[64], arg_addr[300];
	char *argv[] = { fake_path, "--address", arg_addr, "--ready-file", ready, "--lifetime", "60",
			 "--unit", "systemd-homed.service=disabled",
			 "--unit", "systemd-userdbd.service=enabled,loaded,active,running",
			 "--home", "alice:60001:inactive:60001:Alice Liddell:/home/alice:/bin/bash",
			 "--home", "bob:60002:active:60002::/home/bob:/bin/zsh",
			 (char *)extra, NULL };

	snprintf(ready, sizeof(ready), "%s/ready", live.dir);
	snprintf(arg_addr, sizeof(arg_addr), "%s", live.address);
	unlink(ready);
	live.peer_pid = spawn(argv, -1);
	return live.peer_pid > 0 && wait_file(ready);
}

static int group_setup(void **state)
{
	char conf[64], exe[PATH_MAX], arg_conf[100], arg_print[32];
	int pfd[2];
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if (snprintf(fake_path, sizeof(fake_path), "%s/fake-systemd", exe) >= (int)sizeof(fake_path) ||
	    access(fake_path, X_OK) != 0 || system("command -v dbus-daemon > /dev/null") != 0)
		return 0; /* the live tests skip */
	if (!mkdtemp(live.dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/bus.conf", live.dir);
	f = fopen(conf, "we");
	if (!f)
		return -1;
	fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		   "<busconfig><listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>\n"
		   "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
		   "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n", live.dir);
	fclose(f);
	if (pipe(pfd) < 0)
		return -1;
	snprintf(arg_conf, sizeof(arg_conf), "--config-file=%s", conf);
	snprintf(arg_print, sizeof(arg_print), "--print-address=%d", pfd[1]);
	{
		char *argv[] = { "dbus-daemon", arg_conf, "--nofork", "--nosyslog", arg_print, NULL };

		live.bus_pid = spawn(argv, pfd[1]);
	}
	close(pfd[1]);
	{
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		n = poll(&p, 1, 30000) > 0 ? read(pfd[0], live.address, sizeof(live.address) - 1) : -1;
	}
	close(pfd[0]);
	if (n <= 0)
		return -1;
	live.address[strcspn(live.address, ",\n")] = '\0'; /* drop ",guid=…" */
	if (!start_peer(NULL))
		return -1;
	live.up = true;
	return 0;
}

static int group_teardown(void **state)
{
	char path[64];

	stop(&live.peer_pid);
	stop(&live.bus_pid);
	if (live.up) {
		snprintf(path, sizeof(path), "%s/bus.conf", live.dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ready", live.dir);
		unlink(path);
		rmdir(live.dir);
	}
	return 0;
}

#define NEED_BUS() do { if (!live.up) skip(); } while (0)

static void test_homes(void **state)
{
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;
	hs_bus_home *homes = NULL, h;
	size_t n = 0;
	unsigned long rt;

	NEED_BUS();
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_bus_open(ctx, live.address, 0, &bus), 0);
	rt = hs_bus_round_trips;
	assert_int_equal(hs_bus_list_homes(ctx, bus, &homes, &n), 0);
	assert_int_equal(hs_bus_round_trips - rt, 1);
	assert_int_equal(n, 2);
	assert_string_equal(homes[0].name, "alice");
	assert_int_equal(homes[0].uid, 60001);
	assert_string_equal(homes[0].state, "inactive");
	assert_int_equal(homes[0].gid, 60001);
	assert_string_equal(homes[0].realname, "Alice Liddell");
	assert_string_equal(homes[0].home, "/home/alice");
	assert_string_equal(homes[0].shell, "/bin/bash");
	assert_string_equal(homes[0].path, "/org/freedesktop/home1/home/alice");
	assert_string_equal(homes[1].name, "bob");
	assert_string_equal(homes[1].realname, "");
	hs_bus_homes_free(homes, n);

	assert_int_equal(hs_bus_get_home_by_name(ctx, bus, "bob", &h), 0);
	assert_string_equal(h.name, "bob");
	assert_int_equal(h.uid, 60002);
	assert_string_equal(h.state, "active");
	assert_string_equal(h.shell, "/bin/zsh");
	hs_bus_home_done(&h);
	assert_int_equal(hs_bus_get_home_by_name(ctx, bus, "nobody", &h), -ENOENT);
	assert_string_equal(hs_ctx_last_error(ctx), "systemd-homed knows no home of user 'nobody'");
	hs_bus_close(bus);
	hs_ctx_free(ctx);
}

static void test_units(void **state)
{
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;
	hs_unit_state st;
	char *s = NULL, *version = NULL;
	unsigned long rt;

	NEED_BUS();
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_bus_open(ctx, live.address, 0, &bus), 0);
	assert_int_equal(hs_bus_systemd_version(ctx, bus, &version), 0);
	assert_string_equal(version, "256.7");
	free(version);

	rt = hs_bus_round_trips;
	assert_int_equal(hs_bus_unit_state(ctx, bus, "systemd-userdbd.service", true, &st), 0);
	assert_int_equal(hs_bus_round_trips - rt, 3); /* GetUnitFileState, LoadUnit, GetAll */
	assert_string_equal(st.file_state, "enabled");
	assert_string_equal(st.load_state, "loaded");
	assert_string_equal(st.active_state, "active");
	assert_string_equal(st.sub_state, "running");
	assert_string_equal(st.unit_file_state, "enabled");
	hs_unit_state_done(&st);

	/* a unit nobody knows: no file, LoadUnit answers with a not-found stub */
	assert_int_equal(hs_bus_unit_file_state(ctx, bus, "nothing.service", &s), -ENOENT);
	assert_null(s);
	assert_int_equal(hs_bus_unit_state(ctx, bus, "nothing.service", true, &st), 0);
	assert_null(st.file_state);
	assert_string_equal(st.load_state, "not-found");
	assert_string_equal(st.active_state, "inactive");
	hs_unit_state_done(&st);
	hs_bus_close(bus);
	hs_ctx_free(ctx);
}

static void test_enable_start(void **state)
{
	char *enable[] = { "systemd-homed.service", NULL }, *start[] = { "systemd-homed.service", NULL };
	hs_bus_enable_report rep;
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;
	char *s = NULL;

	NEED_BUS();
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_bus_open(ctx, live.address, 0, &bus), 0);
	assert_int_equal(hs_bus_enable_start(ctx, bus, enable, start, 5000000, &rep), 0);
	assert_true(rep.enabled);
	assert_true(rep.carries_install_info);
	assert_int_equal(hs_strv_length(rep.changes), 1);
	assert_string_equal(rep.changes[0], "symlink /etc/systemd/system/multi-user.target.wants/systemd-homed.service"
					    " → /usr/lib/systemd/system/systemd-homed.service");
	assert_true(rep.reloaded);
	assert_int_equal(rep.n_jobs, 1);
	assert_string_equal(rep.jobs[0].unit, "systemd-homed.service");
	assert_string_equal(rep.jobs[0].result, "done");
	assert_non_null(strstr(rep.jobs[0].path, "/org/freedesktop/systemd1/job/"));
	hs_bus_enable_report_done(&rep);
	assert_int_equal(hs_bus_unit_file_state(ctx, bus, "systemd-homed.service", &s), 0);
	assert_string_equal(s, "enabled");
	free(s);

	/* enabling again changes nothing, so there is no Reload */
	assert_int_equal(hs_bus_enable_start(ctx, bus, enable, NULL, 0, &rep), 0);
	assert_true(rep.enabled);
	assert_int_equal(hs_strv_length(rep.changes), 0);
	assert_false(rep.reloaded);
	assert_int_equal(rep.n_jobs, 0);
	hs_bus_enable_report_done(&rep);

	/* a unit that cannot be started: the error names the call */
	assert_int_equal(hs_bus_enable_start(ctx, bus, NULL, (char *[]){ "nothing.service", NULL }, 0, &rep),
			 -ENOENT);
	assert_string_equal(hs_ctx_last_error(ctx), "systemd: StartUnit(nothing.service, replace) failed: Unit "
			    "nothing.service not found. (org.freedesktop.systemd1.NoSuchUnit)");
	hs_bus_enable_report_done(&rep);
	hs_bus_close(bus);
	hs_ctx_free(ctx);
}

static void test_home1_missing(void **state)
{
	hs_ctx *ctx = NULL;
	sd_bus *bus = NULL;
	hs_bus_home *homes = NULL;
	size_t n = 0;
	char want[400];

	NEED_BUS();
	stop(&live.peer_pid);
	assert_true(start_peer("--no-home1"));
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_bus_open(ctx, live.address, 0, &bus), 0);
	assert_true(hs_bus_list_homes(ctx, bus, &homes, &n) < 0);
	assert_null(homes);
	snprintf(want, sizeof(want), "systemd-homed is not reachable on the bus at %s: The name "
		 "org.freedesktop.home1 was not provided by any .service files", live.address);
	assert_string_equal(hs_ctx_last_error(ctx), want);
	hs_bus_close(bus);
	hs_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_major),
		cmocka_unit_test(test_open_no_socket),
		cmocka_unit_test(test_open_silent),
		cmocka_unit_test(test_homes),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_enable_start),
		cmocka_unit_test(test_home1_missing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
