/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake-systemd: the test peer of tests/bus/. It connects to a private dbus-daemon, owns
 * org.freedesktop.systemd1 and org.freedesktop.home1, and answers the methods and properties libhomesetup
 * calls (man org.freedesktop.systemd1(5), org.freedesktop.home1(5)) with just enough state to stay
 * consistent: EnableUnitFiles changes what GetUnitFileState says, a start job that succeeds makes the unit
 * active. Failure modes are chosen on the command line (see usage()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define SD1_PATH "/org/freedesktop/systemd1"
#define SD1_MANAGER "org.freedesktop.systemd1.Manager"
#define UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define HOME1_PATH "/org/freedesktop/home1"

#define MAX_ITEMS 32

struct unit {
	char *name;
	char *file_state;   /* NULL: no unit file */
	char *load, *active, *sub;
	char *job_result;   /* what a start job ends with */
};

struct rule {
	char *member;
	char *value;        /* --fail: "error.Name[:message]"; --sleep: seconds */
};

struct home {
	char *name, *state, *realname, *dir, *shell;
	uint32_t uid, gid;
};

struct job {
	uint32_t id;
	char path[64];
	struct unit *unit;
	uint64_t due;
};

static struct {
	const char *address, *ready_file, *log_file, *silent_socket;
	char *version, *reexec_version;
	bool own_systemd1, own_home1, job_signal, reexec_stay;
	unsigned reexec_delay_ms, job_delay_ms, lifetime_s;
	struct unit units[MAX_ITEMS];
	size_t n_units;
	struct rule fails[MAX_ITEMS], sleeps[MAX_ITEMS];
	size_t n_fails, n_sleeps;
	struct home homes[MAX_ITEMS];
	size_t n_homes;
	struct job jobs[MAX_ITEMS];
	size_t n_jobs;
	uint32_t next_job;
	bool reexec_pending;
} cfg = {
	.version = "256.7",
	.own_systemd1 = true,
	.own_home1 = true,
	.job_signal = true,
	.reexec_delay_ms = 200,
	.job_delay_ms = 20,
	.lifetime_s = 120,
	.next_job = 100,
};

static volatile sig_atomic_t terminate;

static void on_signal(int sig)
{
	terminate = sig;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("fake-systemd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

/* One line per call received, so the tests can see what was (not) called. */
static void log_call(const char *fmt, ...)
{
	FILE *f;
	va_list ap;

	if (!cfg.log_file)
		return;
	f = fopen(cfg.log_file, "ae");
	if (!f)
		die("%s: %s", cfg.log_file, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* --sleep and --fail for @member. Returns a negative errno (with @e set) when the call is to fail. */
static int hook(const char *member, sd_bus_error *e)
{
	for (size_t i = 0; i < cfg.n_sleeps; i++)
		if (strcmp(cfg.sleeps[i].member, member) == 0) {
			double s = strtod(cfg.sleeps[i].value, NULL);
			struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !terminate)
				;
		}
	for (size_t i = 0; i < cfg.n_fails; i++)
		if (strcmp(cfg.fails[i].member, member) == 0) {
			char *name = xstrdup(cfg.fails[i].value), *msg = strchr(name, ':');
			int r;

			if (msg)
				*msg++ = '\0';
			r = sd_bus_error_set(e, name, msg ? msg : "fake-systemd was told to fail this call");
			free(name);
			return r < 0 ? r : -EIO;
		}
	return 0;
}

static struct unit *find_unit(const char *name)
{
	for (size_t i = 0; i < cfg.n_units; i++)
		if (strcmp(cfg.units[i].name, name) == 0)
			return &cfg.units[i];
	return NULL;
}

static struct unit *add_unit(const char *name)
{
	struct unit *u;

	if (cfg.n_units == MAX_ITEMS)
		die("too many units");
	u = &cfg.units[cfg.n_units++];
	*u = (struct unit){ .name = xstrdup(name), .load = xstrdup("not-found"), .active = xstrdup("inactive"),
			    .sub = xstrdup("dead"), .job_result = xstrdup("done") };
	return u;
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

/* ---- org.freedesktop.systemd1.Manager --------------------------------------------------------------- */

static int prop_version(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
			void *userdata, sd_bus_error *e)
{
	int r;

	log_call("Get Version");
	r = hook("Version", e);
	return r < 0 ? r : sd_bus_message_append(reply, "s", cfg.version);
}

static int m_get_unit_file_state(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *name;
	struct unit *u;
	int r = sd_bus_message_read(m, "s", &name);

	if (r < 0)
		return r;
	log_call("GetUnitFileState %s", name);
	if ((r = hook("GetUnitFileState", e)) < 0)
		return r;
	u = find_unit(name);
	if (!u || !u->file_state)
		return sd_bus_error_set_errno(e, ENOENT); /* what systemd answers: FileNotFound */
	return sd_bus_reply_method_return(m, "s", u->file_state);
}

static int unit_path(const char *name, char **path)
{
	return sd_bus_path_encode(UNIT_PREFIX, name, path);
}

static int m_load_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *name;
	char *path = NULL;
	int r = sd_bus_message_read(m, "s", &name);

	if (r < 0)
		return r;
	log_call("LoadUnit %s", name);
	if ((r = hook("LoadUnit", e)) < 0)
		return r;
	if (!find_unit(name))
		add_unit(name);
	r = unit_path(name, &path);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(m, "o", path);
	free(path);
	return r;
}

static int m_get_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *name;
	char *path = NULL;
	int r = sd_bus_message_read(m, "s", &name);

	if (r < 0)
		return r;
	log_call("GetUnit %s", name);
	if ((r = hook("GetUnit", e)) < 0)
		return r;
	if (!find_unit(name))
		return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
	r = unit_path(name, &path);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(m, "o", path);
	free(path);
	return r;
}

static int m_enable_unit_files(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	char **names = NULL;
	int runtime, force, r;
	char line[1024] = "EnableUnitFiles";

	r = sd_bus_message_read_strv(m, &names);
	if (r >= 0)
		r = sd_bus_message_read(m, "bb", &runtime, &force);
	if (r < 0)
		goto out;
	for (char **n = names; *n; n++) {
		strncat(line, " ", sizeof(line) - strlen(line) - 1);
		strncat(line, *n, sizeof(line) - strlen(line) - 1);
	}
	log_call("%s runtime=%d force=%d", line, runtime, force);
	if ((r = hook("EnableUnitFiles", e)) < 0)
		goto out;
	for (char **n = names; *n; n++) {
		struct unit *u = find_unit(*n);

		if (!u || !u->file_state) {
			r = sd_bus_error_setf(e, SD_BUS_ERROR_FILE_NOT_FOUND, "Unit file %s does not exist.", *n);
			goto out;
		}
		if (strncmp(u->file_state, "masked", 6) == 0) {
			r = sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitMasked", "Unit file %s is masked.", *n);
			goto out;
		}
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "b", 1);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(sss)");
	for (char **n = names; r >= 0 && *n; n++) {
		struct unit *u = find_unit(*n);
		char link[512], target[512];

		if (strcmp(u->file_state, "disabled") != 0)
			continue;
		set_str(&u->file_state, "enabled");
		snprintf(link, sizeof(link), "/etc/systemd/system/multi-user.target.wants/%s", *n);
		snprintf(target, sizeof(target), "/usr/lib/systemd/system/%s", *n);
		r = sd_bus_message_append(reply, "(sss)", "symlink", link, target);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
out:
	sd_bus_message_unref(reply);
	for (char **n = names; n && *n; n++)
		free(*n);
	free(names);
	return r;
}

static int m_start_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *name, *mode;
	struct unit *u;
	struct job *j;
	int r = sd_bus_message_read(m, "ss", &name, &mode);

	if (r < 0)
		return r;
	log_call("StartUnit %s %s", name, mode);
	if ((r = hook("StartUnit", e)) < 0)
		return r;
	u = find_unit(name);
	if (!u || strcmp(u->load, "not-found") == 0)
		return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", name);
	if (strcmp(u->load, "masked") == 0)
		return sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitMasked", "Unit %s is masked.", name);
	if (cfg.n_jobs == MAX_ITEMS)
		return sd_bus_error_set(e, SD_BUS_ERROR_LIMITS_EXCEEDED, "too many jobs");
	j = &cfg.jobs[cfg.n_jobs++];
	j->id = cfg.next_job++;
	snprintf(j->path, sizeof(j->path), SD1_PATH "/job/%u", j->id);
	j->unit = u;
	j->due = now_usec() + (uint64_t)cfg.job_delay_ms * 1000;
	return sd_bus_reply_method_return(m, "o", j->path);
}

static int m_reload(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	int r;

	log_call("Reload");
	if ((r = hook("Reload", e)) < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static int m_reexecute(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	int r;

	log_call("Reexecute");
	if ((r = hook("Reexecute", e)) < 0)
		return r;
	/* Like systemd: no reply; the caller learns that it worked when we leave the bus and come back. */
	if (!cfg.reexec_stay)
		cfg.reexec_pending = true;
	return 1;
}

static int m_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	int r;

	log_call("%s", sd_bus_message_get_member(m));
	if ((r = hook(sd_bus_message_get_member(m), e)) < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD("GetUnitFileState", "s", "s", m_get_unit_file_state, 0),
	SD_BUS_METHOD("LoadUnit", "s", "o", m_load_unit, 0),
	SD_BUS_METHOD("GetUnit", "s", "o", m_get_unit, 0),
	SD_BUS_METHOD("EnableUnitFiles", "asbb", "ba(sss)", m_enable_unit_files, 0),
	SD_BUS_METHOD("StartUnit", "ss", "o", m_start_unit, 0),
	SD_BUS_METHOD("Reload", "", "", m_reload, 0),
	SD_BUS_METHOD("Reexecute", "", "", m_reexecute, 0),
	SD_BUS_METHOD("Subscribe", "", "", m_subscribe, 0),
	SD_BUS_METHOD("Unsubscribe", "", "", m_subscribe, 0),
	SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
	SD_BUS_VTABLE_END
};

/* ---- org.freedesktop.systemd1.Unit (one object per unit, found through a fallback) ------------------ */

static int unit_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		     sd_bus_error *e)
{
	char *name = NULL;
	struct unit *u;
	int r = sd_bus_path_decode(path, UNIT_PREFIX, &name);

	if (r <= 0)
		return r;
	u = find_unit(name);
	free(name);
	if (!u)
		return 0;
	*found = u;
	return 1;
}

static int unit_prop(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
		     void *userdata, sd_bus_error *e)
{
	struct unit *u = userdata;
	const char *v = "";

	if (strcmp(prop, "Id") == 0)
		v = u->name;
	else if (strcmp(prop, "LoadState") == 0)
		v = u->load;
	else if (strcmp(prop, "ActiveState") == 0)
		v = u->active;
	else if (strcmp(prop, "SubState") == 0)
		v = u->sub;
	else if (strcmp(prop, "UnitFileState") == 0)
		v = u->file_state ? u->file_state : "";
	return sd_bus_message_append(reply, "s", v);
}

static int unit_prop_bool(sd_bus *bus, const char *path, const char *iface, const char *prop,
			  sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	return sd_bus_message_append(reply, "b", 0);
}

static int unit_get_all_hook(sd_bus *bus, const char *path, const char *iface, const char *prop,
			     sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct unit *u = userdata;
	int r;

	/* "Id" comes first in GetAll: log and apply --fail/--sleep for "GetAll" there. */
	log_call("GetAll %s", u->name);
	if ((r = hook("GetAll", e)) < 0)
		return r;
	return sd_bus_message_append(reply, "s", u->name);
}

static const sd_bus_vtable unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", unit_get_all_hook, 0, 0),
	SD_BUS_PROPERTY("NeedDaemonReload", "b", unit_prop_bool, 0, 0),
	SD_BUS_PROPERTY("LoadState", "s", unit_prop, 0, 0),
	SD_BUS_PROPERTY("ActiveState", "s", unit_prop, 0, 0),
	SD_BUS_PROPERTY("SubState", "s", unit_prop, 0, 0),
	SD_BUS_PROPERTY("UnitFileState", "s", unit_prop, 0, 0),
	SD_BUS_VTABLE_END
};

/* ---- org.freedesktop.home1.Manager ------------------------------------------------------------------ */

static int append_home(sd_bus_message *reply, const struct home *h, bool with_name)
{
	char *path = NULL;
	int r = sd_bus_path_encode(HOME1_PATH "/home", h->name, &path);

	if (r < 0)
		return r;
	if (with_name)
		r = sd_bus_message_append(reply, "(susussso)", h->name, h->uid, h->state, h->gid, h->realname, h->dir,
					  h->shell, path);
	else
		r = sd_bus_message_append(reply, "usussso", h->uid, h->state, h->gid, h->realname, h->dir, h->shell,
					  path);
	free(path);
	return r;
}

static int m_list_homes(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	int r;

	log_call("ListHomes");
	if ((r = hook("ListHomes", e)) < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(susussso)");
	for (size_t i = 0; r >= 0 && i < cfg.n_homes; i++)
		r = append_home(reply, &cfg.homes[i], true);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r;
}

static int m_get_home_by_name(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	const char *name;
	int r = sd_bus_message_read(m, "s", &name);

	if (r < 0)
		return r;
	log_call("GetHomeByName %s", name);
	if ((r = hook("GetHomeByName", e)) < 0)
		return r;
	for (size_t i = 0; i < cfg.n_homes; i++) {
		if (strcmp(cfg.homes[i].name, name) != 0)
			continue;
		r = sd_bus_message_new_method_return(m, &reply);
		if (r >= 0)
			r = append_home(reply, &cfg.homes[i], false);
		if (r >= 0)
			r = sd_bus_send(NULL, reply, NULL);
		sd_bus_message_unref(reply);
		return r;
	}
	return sd_bus_error_setf(e, "org.freedesktop.home1.NoSuchHome", "No home for user %s known", name);
}

static const sd_bus_vtable home1_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("ListHomes", "", "a(susussso)", m_list_homes, 0),
	SD_BUS_METHOD("GetHomeByName", "s", "usussso", m_get_home_by_name, 0),
	SD_BUS_VTABLE_END
};

/* ---- connection and main loop ----------------------------------------------------------------------- */

static sd_bus *connect_and_own(void)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, cfg.address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		die("cannot connect to %s: %s", cfg.address, strerror(-r));
	if (cfg.own_systemd1) {
		r = sd_bus_add_object_vtable(bus, NULL, SD1_PATH, SD1_MANAGER, manager_vtable, NULL);
		if (r >= 0)
			r = sd_bus_add_fallback_vtable(bus, NULL, UNIT_PREFIX, "org.freedesktop.systemd1.Unit",
						       unit_vtable, unit_find, NULL);
		if (r >= 0)
			r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
		if (r < 0)
			die("cannot serve org.freedesktop.systemd1: %s", strerror(-r));
	}
	if (cfg.own_home1) {
		r = sd_bus_add_object_vtable(bus, NULL, HOME1_PATH, "org.freedesktop.home1.Manager", home1_vtable,
					     NULL);
		if (r >= 0)
			r = sd_bus_request_name(bus, "org.freedesktop.home1", 0);
		if (r < 0)
			die("cannot serve org.freedesktop.home1: %s", strerror(-r));
	}
	if (cfg.ready_file) {
		FILE *f = fopen(cfg.ready_file, "we");

		if (!f)
			die("%s: %s", cfg.ready_file, strerror(errno));
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	return bus;
}

static void finish_due_jobs(sd_bus *bus)
{
	uint64_t now = now_usec();
	size_t kept = 0;

	for (size_t i = 0; i < cfg.n_jobs; i++) {
		struct job *j = &cfg.jobs[i];
		struct unit *u = j->unit;

		if (j->due > now) {
			cfg.jobs[kept++] = *j;
			continue;
		}
		if (strcmp(u->job_result, "done") == 0) {
			set_str(&u->active, "active");
			set_str(&u->sub, "running");
		} else if (strcmp(u->job_result, "failed") == 0) {
			set_str(&u->active, "failed");
			set_str(&u->sub, "failed");
		}
		if (cfg.job_signal) {
			int r = sd_bus_emit_signal(bus, SD1_PATH, SD1_MANAGER, "JobRemoved", "uoss", j->id, j->path,
						   u->name, u->job_result);
			if (r < 0)
				die("cannot send JobRemoved: %s", strerror(-r));
		}
	}
	cfg.n_jobs = kept;
}

/* A socket that accepts connections and never says a word: a bus that hangs. */
static int run_silent_socket(uint64_t end)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, conns[MAX_ITEMS], n = 0;

	if (strlen(cfg.silent_socket) >= sizeof(sa.sun_path))
		die("socket path too long");
	strcpy(sa.sun_path, cfg.silent_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		die("%s: %s", cfg.silent_socket, strerror(errno));
	if (cfg.ready_file) {
		FILE *f = fopen(cfg.ready_file, "we");

		if (f) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	while (!terminate && now_usec() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && n < MAX_ITEMS) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0)
				conns[n++] = c;
		}
	}
	for (int i = 0; i < n; i++)
		close(conns[i]);
	close(fd);
	unlink(cfg.silent_socket);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fake-systemd --address ADDRESS [OPTIONS]\n"
		"Serve org.freedesktop.systemd1 and org.freedesktop.home1 on a test bus.\n"
		"  --ready-file FILE            written (with our PID) once the names are ours, again after Reexecute\n"
		"  --log FILE                   append one line per call received\n"
		"  --no-systemd1, --no-home1    do not own that name\n"
		"  --version V                  Manager.Version (default 256.7)\n"
		"  --reexec-version V           Version after Reexecute (default: unchanged)\n"
		"  --reexec-delay MS            time off the bus during Reexecute (default 200)\n"
		"  --reexec-stay                Reexecute: neither answer nor leave the bus\n"
		"  --unit NAME=FILE[,LOAD[,ACTIVE[,SUB]]]  a unit; FILE '-' for no unit file (default: loaded inactive dead)\n"
		"  --job-result NAME=RESULT     the result of NAME's start jobs (default done)\n"
		"  --job-delay MS               time a job takes (default 20)\n"
		"  --no-job-signal              never send JobRemoved\n"
		"  --fail MEMBER=ERROR[:MSG]    answer MEMBER (a method, 'Version', 'GetAll') with that D-Bus error\n"
		"  --sleep MEMBER=SECONDS       sleep before answering MEMBER\n"
		"  --home NAME:UID:STATE:GID:REALNAME:HOME:SHELL   a home for ListHomes/GetHomeByName\n"
		"  --lifetime SECONDS           exit after this long whatever happens (default 120)\n"
		"  --silent-socket PATH         only listen on PATH and never answer (a hanging bus)\n");
}

static void add_rule(struct rule *v, size_t *n, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || *n == MAX_ITEMS)
		die("bad rule '%s' (MEMBER=VALUE)", arg);
	v[*n].member = strndup(arg, (size_t)(eq - arg));
	v[*n].value = xstrdup(eq + 1);
	if (!v[*n].member)
		die("out of memory");
	(*n)++;
}

static void parse_unit(const char *arg)
{
	char *copy = xstrdup(arg), *eq = strchr(copy, '='), *field[4] = { 0 }, *save = NULL, *tok;
	struct unit *u;
	int i = 0;

	if (!eq)
		die("bad --unit '%s'", arg);
	*eq = '\0';
	for (tok = strtok_r(eq + 1, ",", &save); tok && i < 4; tok = strtok_r(NULL, ",", &save))
		field[i++] = tok;
	u = find_unit(copy);
	if (!u)
		u = add_unit(copy);
	if (field[0] && strcmp(field[0], "-") != 0)
		set_str(&u->file_state, field[0]);
	set_str(&u->load, field[1] ? field[1] : "loaded");
	if (field[2])
		set_str(&u->active, field[2]);
	if (field[3])
		set_str(&u->sub, field[3]);
	free(copy);
}

static void parse_home(const char *arg)
{
	char *copy = xstrdup(arg), *f[7], *p = copy;
	struct home *h;

	for (int i = 0; i < 7; i++) {
		f[i] = p;
		p = i < 6 ? strchr(p, ':') : NULL;
		if (i < 6 && !p)
			die("bad --home '%s'", arg);
		if (p)
			*p++ = '\0';
	}
	if (cfg.n_homes == MAX_ITEMS)
		die("too many homes");
	h = &cfg.homes[cfg.n_homes++];
	*h = (struct home){ .name = xstrdup(f[0]), .uid = (uint32_t)strtoul(f[1], NULL, 10), .state = xstrdup(f[2]),
			    .gid = (uint32_t)strtoul(f[3], NULL, 10), .realname = xstrdup(f[4]), .dir = xstrdup(f[5]),
			    .shell = xstrdup(f[6]) };
	free(copy);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t end;
	sd_bus *bus;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--no-systemd1") == 0)
			cfg.own_systemd1 = false, takes = false;
		else if (strcmp(a, "--no-home1") == 0)
			cfg.own_home1 = false, takes = false;
		else if (strcmp(a, "--no-job-signal") == 0)
			cfg.job_signal = false, takes = false;
		else if (strcmp(a, "--reexec-stay") == 0)
			cfg.reexec_stay = true, takes = false;
		else if (!v)
			die("option '%s' needs a value (or is unknown; see --help)", a);
		else if (strcmp(a, "--address") == 0)
			cfg.address = v;
		else if (strcmp(a, "--ready-file") == 0)
			cfg.ready_file = v;
		else if (strcmp(a, "--log") == 0)
			cfg.log_file = v;
		else if (strcmp(a, "--version") == 0)
			cfg.version = xstrdup(v);
		else if (strcmp(a, "--reexec-version") == 0)
			cfg.reexec_version = xstrdup(v);
		else if (strcmp(a, "--reexec-delay") == 0)
			cfg.reexec_delay_ms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--unit") == 0)
			parse_unit(v);
		else if (strcmp(a, "--job-result") == 0) {
			const char *eq = strchr(v, '=');
			char *name = eq ? strndup(v, (size_t)(eq - v)) : NULL;
			struct unit *u;

			if (!name || !(u = find_unit(name)))
				die("--job-result '%s': give the --unit first", v);
			set_str(&u->job_result, eq + 1);
			free(name);
		} else if (strcmp(a, "--job-delay") == 0)
			cfg.job_delay_ms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--fail") == 0)
			add_rule(cfg.fails, &cfg.n_fails, v);
		else if (strcmp(a, "--sleep") == 0)
			add_rule(cfg.sleeps, &cfg.n_sleeps, v);
		else if (strcmp(a, "--home") == 0)
			parse_home(v);
		else if (strcmp(a, "--lifetime") == 0)
			cfg.lifetime_s = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--silent-socket") == 0)
			cfg.silent_socket = v;
		else
			die("unknown option '%s' (see --help)", a);
		if (takes)
			i++;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	end = now_usec() + (uint64_t)cfg.lifetime_s * 1000000;
	if (cfg.silent_socket)
		return run_silent_socket(end);
	if (!cfg.address)
		die("--address is required");

	bus = connect_and_own();
	while (!terminate) {
		uint64_t now, wake = end;
		int r = sd_bus_process(bus, NULL);

		if (r < 0) {
			/* The bus went away (the test tore it down): nothing left to serve. */
			if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE)
				break;
			die("sd_bus_process: %s", strerror(-r));
		}
		if (cfg.reexec_pending) {
			struct timespec ts = { .tv_sec = cfg.reexec_delay_ms / 1000,
					       .tv_nsec = (long)(cfg.reexec_delay_ms % 1000) * 1000000 };

			cfg.reexec_pending = false;
			if (cfg.ready_file)
				unlink(cfg.ready_file);
			bus = sd_bus_flush_close_unref(bus);
			nanosleep(&ts, NULL);
			if (cfg.reexec_version)
				cfg.version = cfg.reexec_version;
			bus = connect_and_own();
			continue;
		}
		finish_due_jobs(bus);
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= end)
			break;
		for (size_t i = 0; i < cfg.n_jobs; i++)
			if (cfg.jobs[i].due < wake)
				wake = cfg.jobs[i].due;
		r = sd_bus_wait(bus, wake > now ? wake - now : 0);
		if (r < 0 && r != -EINTR)
			break;
	}
	sd_bus_flush_close_unref(bus);
	return 0;
}
