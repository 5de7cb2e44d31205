/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sd-bus client: the connection, the calls (every one with a timeout, every D-Bus error turned into one
 * message a Gentoo admin can act on; the table is in homesetupP.h) and systemd's Manager
 * (org.freedesktop.systemd1, man org.freedesktop.systemd1(5)). systemd-homed's Manager is bus_home.c's.
 * Nothing here decides anything about readiness: service.c does.
 */
#include "homesetupP.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define SD1_DEST "org.freedesktop.systemd1"
#define SD1_PATH "/org/freedesktop/systemd1"
#define SD1_MANAGER "org.freedesktop.systemd1.Manager"
#define SD1_UNIT "org.freedesktop.systemd1.Unit"
#define DBUS_DEST "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"
#define DEFAULT_SYSTEM_BUS "unix:path=/run/dbus/system_bus_socket"

#define WHO_SYSTEMD "systemd"

unsigned long hs_bus_round_trips;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* "5 s", "0.5 s", "90 s" */
static const char *fmt_secs(char buf[32], uint64_t usec)
{
	if (usec % 1000000 == 0)
		snprintf(buf, 32, "%" PRIu64 " s", usec / 1000000);
	else
		snprintf(buf, 32, "%.1f s", (double)usec / 1e6);
	return buf;
}

static uint64_t call_timeout(sd_bus *bus)
{
	uint64_t t = 0;

	if (sd_bus_get_method_call_timeout(bus, &t) < 0 || t == 0)
		t = HS_BUS_TIMEOUT_USEC_DEFAULT;
	return t;
}

const char *hs_bus_address(sd_bus *bus)
{
	const char *a = NULL;

	if (!bus || sd_bus_get_address(bus, &a) < 0 || !a)
		return "?";
	return a;
}

/* The message for a failed call (see the table in homesetupP.h). @elapsed tells a reply timeout from a peer
 * that left without answering (dbus-daemon sends NoReply for both). */
static int bus_error(hs_ctx *ctx, sd_bus *bus, const char *who, const char *what, const sd_bus_error *e, int r,
		     uint64_t usec, uint64_t elapsed)
{
	bool set = e && sd_bus_error_is_set(e);
	const char *msg = set && e->message ? e->message : strerror(r < 0 ? -r : EIO);
	char secs[32];

	if (r >= 0)
		r = -EIO;
	if (set && sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		return hs_ctx_set_error(ctx, r, "%s is not reachable on the bus at %s: %s", who, hs_bus_address(bus),
					msg);
	if ((set && sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED,
					   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) ||
	    (!set && (r == -EACCES || r == -EPERM)))
		return hs_ctx_set_error(ctx, r, "permission denied talking to %s (run as root): %s was refused: %s",
					who, what, msg);
	if ((set && sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT)) || r == -ETIMEDOUT) {
		if (elapsed + 100000 < usec)
			return hs_ctx_set_error(ctx, r, "%s left the bus without answering %s: %s", who, what, msg);
		return hs_ctx_set_error(ctx, -ETIMEDOUT, "no answer from %s within %s (%s)", who, fmt_secs(secs, usec),
					what);
	}
	if ((set && sd_bus_error_has_names(e, SD_BUS_ERROR_DISCONNECTED)) || r == -ECONNRESET || r == -ENOTCONN)
		return hs_ctx_set_error(ctx, r, "lost the connection to the bus at %s during %s", hs_bus_address(bus),
					what);
	if (set)
		return hs_ctx_set_error(ctx, r, "%s: %s failed: %s (%s)", who, what, msg, e->name);
	return hs_ctx_set_error(ctx, r, "%s: %s failed: %s", who, what, msg);
}

int hs_bus_build_error(hs_ctx *ctx, const char *what, int r)
{
	return hs_ctx_set_error(ctx, r, "cannot build the D-Bus call %s: %s", what, strerror(-r));
}

int hs_bus_parse_error(hs_ctx *ctx, const char *who, const char *what, int r)
{
	return hs_ctx_set_error(ctx, r < 0 ? r : -EBADMSG, "%s: unexpected answer to %s: %s", who, what,
				strerror(r < 0 ? -r : EBADMSG));
}

int hs_bus_call(hs_ctx *ctx, sd_bus *bus, const char *who, const char *what, sd_bus_message *m, uint64_t usec,
		const char *const *enoent, sd_bus_message **reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	uint64_t t0 = now_usec();
	int r;

	if (usec == 0)
		usec = call_timeout(bus);
	hs_bus_round_trips++;
	r = sd_bus_call(bus, m, usec, &e, reply);
	if (r >= 0)
		return 0;
	for (size_t i = 0; enoent && enoent[i]; i++)
		if (sd_bus_error_has_name(&e, enoent[i]))
			return -ENOENT;
	return bus_error(ctx, bus, who, what, &e, r, usec, now_usec() - t0);
}

int hs_bus_new_call(hs_ctx *ctx, sd_bus *bus, const char *dest, const char *path, const char *iface,
		    const char *member, const char *what, sd_bus_message **m)
{
	int r = sd_bus_message_new_method_call(bus, m, dest, path, iface, member);

	return r < 0 ? hs_bus_build_error(ctx, what, r) : 0;
}

/* ---- connection ------------------------------------------------------------------------------------- */

int hs_bus_open(hs_ctx *ctx, const char *address, uint64_t timeout_usec, sd_bus **out)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
	const char *addr = address, *kind = address ? "bus" : "system bus";
	uint64_t deadline;
	char secs[32];
	int r;

	*out = NULL;
	if (!addr || !*addr)
		addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	if (!addr || !*addr)
		addr = DEFAULT_SYSTEM_BUS;
	if (timeout_usec == 0)
		timeout_usec = HS_BUS_TIMEOUT_USEC_DEFAULT;

	r = sd_bus_new(&bus);
	if (r < 0)
		return hs_ctx_set_error(ctx, r, "cannot create a D-Bus connection: %s", strerror(-r));
	r = sd_bus_set_address(bus, addr);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_set_description(bus, "homesetup");
	if (r >= 0)
		r = sd_bus_set_method_call_timeout(bus, timeout_usec);
	if (r < 0)
		return hs_ctx_set_error(ctx, r, "invalid D-Bus address '%s': %s", addr, strerror(-r));
	r = sd_bus_start(bus);
	if (r < 0) {
		if (r == -EINVAL)
			return hs_ctx_set_error(ctx, r, "invalid D-Bus address '%s'", addr);
		return hs_ctx_set_error(ctx, r, "cannot connect to the D-Bus %s at %s: %s", kind, addr, strerror(-r));
	}

	/* sd_bus_start() only connects; authentication and Hello happen as the connection is processed. Wait
	 * for them here, on our clock: sd-bus would otherwise wait up to its own 90 s authentication timeout. */
	deadline = now_usec() + timeout_usec;
	for (;;) {
		uint64_t now;

		r = sd_bus_is_ready(bus);
		if (r > 0)
			break;
		if (r == 0)
			r = sd_bus_process(bus, NULL);
		if (r < 0)
			return hs_ctx_set_error(ctx, r, "cannot connect to the D-Bus %s at %s: %s", kind, addr,
						strerror(-r));
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= deadline)
			return hs_ctx_set_error(ctx, -ETIMEDOUT, "no answer from the D-Bus %s at %s within %s", kind,
						addr, fmt_secs(secs, timeout_usec));
		r = sd_bus_wait(bus, deadline - now);
		if (r < 0 && r != -EINTR)
			return hs_ctx_set_error(ctx, r, "cannot connect to the D-Bus %s at %s: %s", kind, addr,
						strerror(-r));
	}
	*out = TAKE_PTR(bus);
	return 0;
}

sd_bus *hs_bus_close(sd_bus *bus)
{
	return sd_bus_close_unref(bus);
}

/* Wait until @done(@userdata) or @deadline, dispatching incoming messages (signal callbacks run here). */
static int wait_for(hs_ctx *ctx, sd_bus *bus, const char *what, bool (*done)(void *), void *userdata,
		    uint64_t deadline)
{
	for (;;) {
		uint64_t now;
		int r;

		if (done(userdata))
			return 0;
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return bus_error(ctx, bus, WHO_SYSTEMD, what, NULL, r, 0, 0);
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT; /* the caller says what did not happen */
		r = sd_bus_wait(bus, deadline - now);
		if (r < 0 && r != -EINTR)
			return bus_error(ctx, bus, WHO_SYSTEMD, what, NULL, r, 0, 0);
	}
}

/* ---- properties ------------------------------------------------------------------------------------- */

static int get_property_string(hs_ctx *ctx, sd_bus *bus, const char *who, const char *dest, const char *path,
			       const char *iface, const char *prop, char **out)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *what = NULL;
	const char *s;
	int r;

	if (asprintf(&what, "reading %s.%s", iface, prop) < 0)
		return -ENOMEM;
	r = hs_bus_new_call(ctx, bus, dest, path, "org.freedesktop.DBus.Properties", "Get", what, &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "ss", iface, prop);
	if (r < 0)
		return hs_bus_build_error(ctx, what, r);
	r = hs_bus_call(ctx, bus, who, what, m, 0, NULL, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "v", "s", &s);
	if (r < 0)
		return hs_bus_parse_error(ctx, who, what, r);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int hs_bus_systemd_version(hs_ctx *ctx, sd_bus *bus, char **out)
{
	return get_property_string(ctx, bus, WHO_SYSTEMD, SD1_DEST, SD1_PATH, SD1_MANAGER, "Version", out);
}

int hs_systemd_version_major(const char *version)
{
	const char *p = version;
	int n = 0, digits = 0;

	if (!p)
		return -1;
	if (strncmp(p, "systemd ", 8) == 0)
		p += 8;
	if (*p == 'v' || *p == 'V')
		p++;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 6)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return digits ? n : -1;
}

/* ---- units ------------------------------------------------------------------------------------------ */

void hs_unit_state_done(hs_unit_state *s)
{
	if (!s)
		return;
	free(s->file_state);
	free(s->load_state);
	free(s->active_state);
	free(s->sub_state);
	free(s->unit_file_state);
	memset(s, 0, sizeof(*s));
}

int hs_bus_unit_file_state(hs_ctx *ctx, sd_bus *bus, const char *unit, char **out)
{
	/* GetUnitFileState answers a missing file with the errno ENOENT as a D-Bus error (FileNotFound). */
	static const char *const missing[] = { SD_BUS_ERROR_FILE_NOT_FOUND, "org.freedesktop.systemd1.NoSuchUnit", NULL };
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *what = NULL;
	const char *s;
	int r;

	*out = NULL;
	if (asprintf(&what, "GetUnitFileState(%s)", unit) < 0)
		return -ENOMEM;
	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "GetUnitFileState", what, &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", unit);
	if (r < 0)
		return hs_bus_build_error(ctx, what, r);
	r = hs_bus_call(ctx, bus, WHO_SYSTEMD, what, m, 0, missing, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "s", &s);
	if (r < 0)
		return hs_bus_parse_error(ctx, WHO_SYSTEMD, what, r);
	if (strcmp(s, "not-found") == 0)
		return -ENOENT;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Read the strings we want out of a GetAll reply (a{sv}); everything else is skipped. */
static int read_unit_properties(sd_bus_message *reply, hs_unit_state *out)
{
	int r = sd_bus_message_enter_container(reply, 'a', "{sv}");

	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *name, *contents, *val;
		char **dst = NULL;
		char type;

		r = sd_bus_message_read(reply, "s", &name);
		if (r < 0)
			return r;
		if (strcmp(name, "LoadState") == 0)
			dst = &out->load_state;
		else if (strcmp(name, "ActiveState") == 0)
			dst = &out->active_state;
		else if (strcmp(name, "SubState") == 0)
			dst = &out->sub_state;
		else if (strcmp(name, "UnitFileState") == 0)
			dst = &out->unit_file_state;
		r = sd_bus_message_peek_type(reply, &type, &contents);
		if (r < 0)
			return r;
		if (dst && type == 'v' && strcmp(contents, "s") == 0) {
			r = sd_bus_message_read(reply, "v", "s", &val);
			if (r < 0)
				return r;
			free(*dst);
			*dst = strdup(val);
			if (!*dst)
				return -ENOMEM;
		} else {
			r = sd_bus_message_skip(reply, "v");
			if (r < 0)
				return r;
		}
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

int hs_bus_unit_state(hs_ctx *ctx, sd_bus *bus, const char *unit, bool with_file_state, hs_unit_state *out)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *what = NULL, *path = NULL;
	const char *p;
	int r;

	memset(out, 0, sizeof(*out));
	if (with_file_state) {
		r = hs_bus_unit_file_state(ctx, bus, unit, &out->file_state);
		if (r < 0 && r != -ENOENT)
			goto fail;
	}

	if (asprintf(&what, "LoadUnit(%s)", unit) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "LoadUnit", what, &m);
	if (r >= 0 && (r = sd_bus_message_append(m, "s", unit)) < 0)
		r = hs_bus_build_error(ctx, what, r);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_SYSTEMD, what, m, 0, NULL, &reply);
	if (r < 0)
		goto fail;
	r = sd_bus_message_read(reply, "o", &p);
	if (r < 0) {
		r = hs_bus_parse_error(ctx, WHO_SYSTEMD, what, r);
		goto fail;
	}
	path = strdup(p);
	if (!path) {
		r = -ENOMEM;
		goto fail;
	}
	m = sd_bus_message_unref(m);
	reply = sd_bus_message_unref(reply);

	free(what);
	if (asprintf(&what, "reading the properties of %s", unit) < 0) {
		what = NULL;
		r = -ENOMEM;
		goto fail;
	}
	r = hs_bus_new_call(ctx, bus, SD1_DEST, path, "org.freedesktop.DBus.Properties", "GetAll", what, &m);
	if (r >= 0 && (r = sd_bus_message_append(m, "s", SD1_UNIT)) < 0)
		r = hs_bus_build_error(ctx, what, r);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_SYSTEMD, what, m, 0, NULL, &reply);
	if (r < 0)
		goto fail;
	r = read_unit_properties(reply, out);
	if (r < 0) {
		r = r == -ENOMEM ? r : hs_bus_parse_error(ctx, WHO_SYSTEMD, what, r);
		goto fail;
	}
	if (!out->load_state || !out->active_state) {
		r = hs_bus_parse_error(ctx, WHO_SYSTEMD, what, -EBADMSG);
		goto fail;
	}
	return 0;
fail:
	hs_unit_state_done(out);
	return r;
}

int hs_bus_enable_unit_files(hs_ctx *ctx, sd_bus *bus, char *const *units, char ***changes,
			     bool *carries_install_info)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_buf_ hs_buf what = {0};
	_cleanup_(hs_strv_freep) char **list = NULL;
	const char *type, *link, *target;
	int carries = 0, r;

	r = hs_buf_puts(&what, "EnableUnitFiles([");
	for (size_t i = 0; r >= 0 && units[i]; i++)
		r = hs_buf_printf(&what, "%s%s", i ? ", " : "", units[i]);
	if (r >= 0)
		r = hs_buf_puts(&what, "], false, false)");
	if (r < 0)
		return r;

	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "EnableUnitFiles", what.p, &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(m, (char **)units);
	if (r >= 0)
		r = sd_bus_message_append(m, "bb", 0, 0);
	if (r < 0)
		return hs_bus_build_error(ctx, what.p, r);
	r = hs_bus_call(ctx, bus, WHO_SYSTEMD, what.p, m, 0, NULL, &reply);
	if (r < 0)
		return r;

	r = sd_bus_message_read(reply, "b", &carries);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(sss)");
	if (r < 0)
		return hs_bus_parse_error(ctx, WHO_SYSTEMD, what.p, r);
	list = calloc(1, sizeof(char *));
	if (!list)
		return -ENOMEM;
	while ((r = sd_bus_message_read(reply, "(sss)", &type, &link, &target)) > 0) {
		_cleanup_free_ char *line = NULL;
		int n = strcmp(type, "symlink") == 0 ? asprintf(&line, "symlink %s → %s", link, target)
						     : asprintf(&line, "%s %s", type, link);

		if (n < 0) {
			line = NULL;
			return -ENOMEM;
		}
		r = hs_strv_push(&list, line, (size_t)n);
		if (r < 0)
			return r;
	}
	if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
		return hs_bus_parse_error(ctx, WHO_SYSTEMD, what.p, r);
	*changes = TAKE_PTR(list);
	if (carries_install_info)
		*carries_install_info = carries;
	return 0;
}

int hs_bus_reload(hs_ctx *ctx, sd_bus *bus, uint64_t timeout_usec)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	int r;

	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "Reload", "Reload()", &m);
	if (r < 0)
		return r;
	return hs_bus_call(ctx, bus, WHO_SYSTEMD, "Reload()", m, timeout_usec ? timeout_usec : HS_BUS_JOB_TIMEOUT_USEC_DEFAULT,
		    NULL, &reply);
}

/* ---- jobs ------------------------------------------------------------------------------------------- */

void hs_bus_job_done(hs_bus_job *j)
{
	if (!j)
		return;
	free(j->unit);
	free(j->path);
	free(j->result);
	memset(j, 0, sizeof(*j));
}

/* The JobRemoved signal of one job. Signal callbacks only run from sd_bus_process(), which is called after
 * StartUnit's reply has given the job's path; a signal that came first waits in the read queue till then. */
struct job_watch {
	const char *path;   /* the job waited for */
	char *result;       /* its result once seen */
	int error;          /* -ENOMEM in the callback */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct job_watch *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	if (!w->path || w->result || sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (strcmp(path, w->path) == 0 && !(w->result = strdup(result)))
		w->error = -ENOMEM;
	return 0;
}

static bool job_finished(void *userdata)
{
	struct job_watch *w = userdata;

	return w->result || w->error;
}

int hs_bus_start_unit(hs_ctx *ctx, sd_bus *bus, const char *unit, uint64_t job_timeout_usec, hs_bus_job *out)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_free_ char *what = NULL;
	struct job_watch w = {0};
	const char *job;
	char secs[32];
	int r;

	memset(out, 0, sizeof(*out));
	if (job_timeout_usec == 0)
		job_timeout_usec = HS_BUS_JOB_TIMEOUT_USEC_DEFAULT;
	if (asprintf(&what, "StartUnit(%s, replace)", unit) < 0)
		return -ENOMEM;

	/* Watch before starting: the job may be over before StartUnit's reply is read. systemd sends the
	 * signal to the client that queued the job even without Subscribe(). */
	hs_bus_round_trips++;
	r = sd_bus_match_signal(bus, &slot, SD1_DEST, SD1_PATH, SD1_MANAGER, "JobRemoved", on_job_removed, &w);
	if (r < 0) {
		r = bus_error(ctx, bus, WHO_SYSTEMD, "AddMatch(JobRemoved)", NULL, r, call_timeout(bus), 0);
		goto out;
	}

	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "StartUnit", what, &m);
	if (r >= 0 && (r = sd_bus_message_append(m, "ss", unit, "replace")) < 0)
		r = hs_bus_build_error(ctx, what, r);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_SYSTEMD, what, m, 0, NULL, &reply);
	if (r < 0)
		goto out;
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0) {
		r = hs_bus_parse_error(ctx, WHO_SYSTEMD, what, r);
		goto out;
	}
	out->unit = strdup(unit);
	out->path = strdup(job);
	if (!out->unit || !out->path) {
		r = -ENOMEM;
		goto out;
	}
	w.path = out->path;

	r = wait_for(ctx, bus, what, job_finished, &w, now_usec() + job_timeout_usec);
	if (r == 0 && w.error)
		r = w.error;
	if (r == -ETIMEDOUT)
		r = hs_ctx_set_error(ctx, r, "systemd did not finish starting %s within %s (job %s is still queued or "
				     "running; see: systemctl list-jobs)", unit, fmt_secs(secs, job_timeout_usec), job);
	if (r < 0)
		goto out;
	out->result = TAKE_PTR(w.result);
out:
	free(w.result);
	if (r < 0)
		hs_bus_job_done(out);
	return r;
}

void hs_bus_enable_report_done(hs_bus_enable_report *r)
{
	if (!r)
		return;
	hs_strv_free(r->changes);
	for (size_t i = 0; i < r->n_jobs; i++)
		hs_bus_job_done(&r->jobs[i]);
	free(r->jobs);
	memset(r, 0, sizeof(*r));
}

int hs_bus_enable_start(hs_ctx *ctx, sd_bus *bus, char *const *enable, char *const *start,
			uint64_t job_timeout_usec, hs_bus_enable_report *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (enable && enable[0]) {
		r = hs_bus_enable_unit_files(ctx, bus, enable, &out->changes, &out->carries_install_info);
		if (r < 0)
			return r;
		out->enabled = true;
		if (out->changes[0]) {
			r = hs_bus_reload(ctx, bus, job_timeout_usec);
			if (r < 0)
				return r;
			out->reloaded = true;
		}
	}
	for (size_t i = 0; start && start[i]; i++) {
		hs_bus_job *jobs = realloc(out->jobs, (out->n_jobs + 1) * sizeof(*jobs));

		if (!jobs)
			return -ENOMEM;
		out->jobs = jobs;
		r = hs_bus_start_unit(ctx, bus, start[i], job_timeout_usec, &jobs[out->n_jobs]);
		if (r < 0)
			return r;
		if (strcmp(jobs[out->n_jobs++].result, "done") != 0)
			break;
	}
	return 0;
}

/* ---- re-execution ----------------------------------------------------------------------------------- */

struct owner_watch {
	const char *old_owner;
	bool left;          /* the old owner lost the name */
	bool back;          /* a new owner has it */
};

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct owner_watch *w = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, SD1_DEST) != 0)
		return 0;
	if (!*new || strcmp(old, w->old_owner) == 0)
		w->left = true;
	if (*new && strcmp(new, w->old_owner) != 0)
		w->back = true;
	return 0;
}

static bool owner_back(void *userdata)
{
	return ((struct owner_watch *)userdata)->back;
}

int hs_bus_reexec(hs_ctx *ctx, sd_bus *bus, uint64_t wait_usec, char **new_version)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *old_owner = NULL;
	struct owner_watch w = {0};
	const char *owner;
	uint64_t t0, deadline;
	char secs[32];
	int r;

	*new_version = NULL;
	if (wait_usec == 0)
		wait_usec = HS_BUS_JOB_TIMEOUT_USEC_DEFAULT;

	/* Who has the name now: re-execution is over when someone else has it. */
	r = hs_bus_new_call(ctx, bus, DBUS_DEST, DBUS_PATH, DBUS_DEST, "GetNameOwner", "GetNameOwner(" SD1_DEST ")", &m);
	if (r >= 0 && (r = sd_bus_message_append(m, "s", SD1_DEST)) < 0)
		r = hs_bus_build_error(ctx, "GetNameOwner", r);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_SYSTEMD, "GetNameOwner(" SD1_DEST ")", m, 0, NULL, &reply);
	if (r < 0)
		return r;
	if ((r = sd_bus_message_read(reply, "s", &owner)) < 0)
		return hs_bus_parse_error(ctx, "the bus", "GetNameOwner", r);
	old_owner = strdup(owner);
	if (!old_owner)
		return -ENOMEM;
	w.old_owner = old_owner;
	m = sd_bus_message_unref(m);
	reply = sd_bus_message_unref(reply);

	hs_bus_round_trips++;
	r = sd_bus_add_match(bus, &slot,
			     "type='signal',sender='" DBUS_DEST "',path='" DBUS_PATH "',interface='" DBUS_DEST "',"
			     "member='NameOwnerChanged',arg0='" SD1_DEST "'",
			     on_owner_changed, &w);
	if (r < 0)
		return bus_error(ctx, bus, WHO_SYSTEMD, "AddMatch(NameOwnerChanged)", NULL, r, call_timeout(bus), 0);

	/* systemd does not answer Reexecute(): it leaves the bus, and dbus-daemon then answers NoReply for it. */
	r = hs_bus_new_call(ctx, bus, SD1_DEST, SD1_PATH, SD1_MANAGER, "Reexecute", "Reexecute()", &m);
	if (r < 0)
		return r;
	t0 = now_usec();
	deadline = t0 + wait_usec;
	hs_bus_round_trips++;
	r = sd_bus_call(bus, m, wait_usec, &e, &reply);
	if (r < 0 && !sd_bus_error_has_names(&e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED) &&
	    r != -ETIMEDOUT)
		return bus_error(ctx, bus, WHO_SYSTEMD, "Reexecute()", &e, r, wait_usec, now_usec() - t0);

	r = wait_for(ctx, bus, "Reexecute()", owner_back, &w, deadline);
	if (r == -ETIMEDOUT)
		return hs_ctx_set_error(ctx, r, "systemd did not come back on the bus at %s within %s after Reexecute() "
					"(%s); see: journalctl -b -u init.scope", hs_bus_address(bus),
					fmt_secs(secs, wait_usec),
					w.left ? "it left the bus and has not returned" : "it never left the bus");
	if (r < 0)
		return r;
	return hs_bus_systemd_version(ctx, bus, new_version);
}
