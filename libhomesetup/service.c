/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager, as homesetup acts on it and judges it: `homesetup service enable|reexec` (public
 * hs_service_*) and the check group `service`. The D-Bus work is bus.c's; this file decides.
 */
#include "homesetupP.h"

#include <stdio.h>
#include <sys/stat.h>

#define HOMED_UNIT "systemd-homed.service"
#define USERDBD_UNIT "systemd-userdbd.service"
#define USERDBD_SOCKET "systemd-userdbd.socket"

/* What a Gentoo admin runs when systemd has no homed: the use group's checks say which flags are missing. */
#define FIX_NO_HOMED "enable USE=homed for sys-apps/systemd (see: homesetup use show sys-apps/systemd), then: " \
		     "emerge --ask --oneshot --changed-use sys-apps/systemd"
#define FIX_ENABLE "homesetup service enable"

struct hs_service_result {
	hs_service_step *steps; /* the strings are owned (malloc'd) */
	size_t n;
	hs_check_status status;
	char *summary;
	char *fix;
	char *version;
};

void hs_service_result_free(hs_service_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n; i++) {
		free((char *)res->steps[i].call);
		free((char *)res->steps[i].result);
		free((char *)res->steps[i].detail);
	}
	free(res->steps);
	free(res->summary);
	free(res->fix);
	free(res->version);
	free(res);
}

size_t hs_service_result_count(const hs_service_result *res)
{
	return res ? res->n : 0;
}

const hs_service_step *hs_service_result_step(const hs_service_result *res, size_t i)
{
	return res && i < res->n ? &res->steps[i] : NULL;
}

hs_check_status hs_service_result_status(const hs_service_result *res)
{
	return res ? res->status : HS_CHECK_FAIL;
}

const char *hs_service_result_summary(const hs_service_result *res)
{
	return res ? res->summary : NULL;
}

const char *hs_service_result_fix(const hs_service_result *res)
{
	return res ? res->fix : NULL;
}

const char *hs_service_result_version(const hs_service_result *res)
{
	return res ? res->version : NULL;
}

/* Append a step; @result and @detail (may be NULL) are copied. */
static int step_add(hs_service_result *res, const char *call, bool changes, bool made, const char *result,
		    const char *detail)
{
	hs_service_step *v = realloc(res->steps, (res->n + 1) * sizeof(*v));
	hs_service_step *s;

	if (!v)
		return -ENOMEM;
	res->steps = v;
	s = &v[res->n];
	*s = (hs_service_step){ .changes = changes, .made = made };
	s->call = strdup(call);
	s->result = result ? strdup(result) : NULL;
	s->detail = detail ? strdup(detail) : NULL;
	res->n++;
	if (!s->call || (result && !s->result) || (detail && !s->detail))
		return -ENOMEM;
	return 0;
}

static int set_outcome(hs_service_result *res, hs_check_status st, const char *fix, const char *fmt, ...)
	_printf_(4, 5);
static int set_outcome(hs_service_result *res, hs_check_status st, const char *fix, const char *fmt, ...)
{
	va_list ap;
	int n;

	res->status = st;
	free(res->summary);
	va_start(ap, fmt);
	n = vasprintf(&res->summary, fmt, ap);
	va_end(ap);
	if (n < 0) {
		res->summary = NULL;
		return -ENOMEM;
	}
	free(res->fix);
	res->fix = fix ? strdup(fix) : NULL;
	return fix && !res->fix ? -ENOMEM : 0;
}

static int new_result(hs_service_result **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

/* `GetUnitFileState("u")` as a step; *state NULL when there is no unit file. */
static int read_file_state(hs_ctx *ctx, sd_bus *bus, hs_service_result *res, const char *unit, char **state)
{
	_cleanup_free_ char *call = NULL;
	int r;

	if (asprintf(&call, "GetUnitFileState(\"%s\")", unit) < 0)
		return -ENOMEM;
	r = hs_bus_unit_file_state(ctx, bus, unit, state);
	if (r < 0 && r != -ENOENT)
		return r;
	return step_add(res, call, false, true, *state ? *state : "no such unit file", NULL);
}

static bool state_is(const char *state, const char *a)
{
	return state && strcmp(state, a) == 0;
}

static bool is_masked(const char *file_state)
{
	return file_state && strncmp(file_state, "masked", 6) == 0;
}

/* A unit file state that `systemctl enable` would change. */
static bool needs_enable(const char *file_state)
{
	return file_state && (strcmp(file_state, "disabled") == 0 || strcmp(file_state, "enabled-runtime") == 0);
}

static char *join_quoted(char *const *v)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; v && v[i]; i++)
		if (hs_buf_printf(&b, "%s\"%s\"", i ? ", " : "", v[i]) < 0)
			return NULL;
	return hs_buf_steal(&b);
}

static char *join_lines(char *const *v)
{
	_cleanup_buf_ hs_buf b = {0};

	for (size_t i = 0; v && v[i]; i++)
		if (hs_buf_printf(&b, "%s%s", i ? "\n" : "", v[i]) < 0)
			return NULL;
	return b.len ? hs_buf_steal(&b) : NULL;
}

/* The state of @unit after the jobs, as the last step and the summary. */
static int final_state(hs_ctx *ctx, sd_bus *bus, hs_service_result *res, const char *unit)
{
	_cleanup_(hs_unit_state_done) hs_unit_state st = {0};
	_cleanup_free_ char *call = NULL, *state = NULL;
	int r;

	r = hs_bus_unit_state(ctx, bus, unit, true, &st);
	if (r < 0)
		return r;
	if (asprintf(&call, "LoadUnit(\"%s\") + Get(ActiveState, SubState)", unit) < 0 ||
	    asprintf(&state, "%s (%s)", st.active_state, st.sub_state ? st.sub_state : "?") < 0)
		return -ENOMEM;
	r = step_add(res, call, false, true, state, NULL);
	if (r < 0)
		return r;
	return set_outcome(res, HS_CHECK_OK, NULL, "%s is %s and %s", unit, st.file_state ? st.file_state : "?",
			   state);
}

int hs_service_enable(hs_ctx *ctx, hs_service_result **out, const hs_service_options *opts)
{
	static const hs_service_options defaults = { 0 };
	_cleanup_bus_ sd_bus *bus = NULL;
	_cleanup_free_ char *homed_state = NULL, *userdbd_state = NULL;
	_cleanup_(hs_strv_freep) char **enable = NULL, **start = NULL;
	_cleanup_(hs_bus_enable_report_done) hs_bus_enable_report rep = {0};
	hs_service_result *res;
	int r;

	if (!opts)
		opts = &defaults;
	r = new_result(out);
	if (r < 0)
		return r;
	res = *out;
	r = hs_bus_open(ctx, opts->bus_address, opts->bus_timeout_usec, &bus);
	if (r < 0)
		return r;

	r = read_file_state(ctx, bus, res, HOMED_UNIT, &homed_state);
	if (r < 0)
		return r;
	if (!homed_state)
		return set_outcome(res, HS_CHECK_FAIL, FIX_NO_HOMED,
				   "%s does not exist: systemd was built without homed", HOMED_UNIT);
	if (is_masked(homed_state))
		return set_outcome(res, HS_CHECK_FAIL, "systemctl unmask " HOMED_UNIT " && " FIX_ENABLE,
				   "%s is %s: it cannot be enabled or started until it is unmasked", HOMED_UNIT,
				   homed_state);
	r = read_file_state(ctx, bus, res, USERDBD_UNIT, &userdbd_state);
	if (r < 0)
		return r;

	if (needs_enable(homed_state) && (r = hs_strv_push(&enable, HOMED_UNIT, strlen(HOMED_UNIT))) < 0)
		return r;
	if (needs_enable(userdbd_state) && (r = hs_strv_push(&enable, USERDBD_UNIT, strlen(USERDBD_UNIT))) < 0)
		return r;
	r = hs_strv_push(&start, HOMED_UNIT, strlen(HOMED_UNIT));
	if (r < 0)
		return r;
	if (userdbd_state && !is_masked(userdbd_state)) {
		_cleanup_(hs_unit_state_done) hs_unit_state st = {0};
		_cleanup_free_ char *state = NULL;

		/* Start systemd-userdbd unless it already runs (socket activation would start it too, but only
		 * when its socket is enabled). */
		r = hs_bus_unit_state(ctx, bus, USERDBD_UNIT, false, &st);
		if (r < 0)
			return r;
		if (asprintf(&state, "%s (%s)", st.active_state, st.sub_state ? st.sub_state : "?") < 0 ||
		    step_add(res, "LoadUnit(\"" USERDBD_UNIT "\") + Get(ActiveState, SubState)", false, true, state,
			     NULL) < 0)
			return -ENOMEM;
		if (!state_is(st.active_state, "active") &&
		    (r = hs_strv_push(&start, USERDBD_UNIT, strlen(USERDBD_UNIT))) < 0)
			return r;
	}

	if (opts->pretend) {
		_cleanup_(hs_unit_state_done) hs_unit_state st = {0};

		if (enable) {
			_cleanup_free_ char *list = join_quoted(enable), *call = NULL;

			if (!list || asprintf(&call, "EnableUnitFiles([%s], false, false)", list) < 0)
				return -ENOMEM;
			r = step_add(res, call, true, false, NULL, NULL);
			if (r >= 0)
				r = step_add(res, "Reload()", true, false, NULL,
					     "only if EnableUnitFiles reports changes");
			if (r < 0)
				return r;
		}
		for (size_t i = 0; start[i]; i++) {
			_cleanup_free_ char *call = NULL;

			if (asprintf(&call, "StartUnit(\"%s\", \"replace\")", start[i]) < 0)
				return -ENOMEM;
			r = step_add(res, call, true, false, NULL, "then wait for the job's JobRemoved signal");
			if (r < 0)
				return r;
		}
		r = hs_bus_unit_state(ctx, bus, HOMED_UNIT, false, &st);
		if (r < 0)
			return r;
		return set_outcome(res, HS_CHECK_OK, NULL, "%s is %s and %s (%s); nothing was changed (--pretend)",
				   HOMED_UNIT, homed_state, st.active_state, st.sub_state ? st.sub_state : "?");
	}

	r = hs_bus_enable_start(ctx, bus, enable, start, opts->job_timeout_usec, &rep);
	/* The steps that were answered, whether or not a later one failed. */
	if (rep.enabled) {
		_cleanup_free_ char *list = join_quoted(enable), *call = NULL, *detail = join_lines(rep.changes);
		size_t n = hs_strv_length(rep.changes);
		char result[64];

		if (!list || asprintf(&call, "EnableUnitFiles([%s], false, false)", list) < 0)
			return -ENOMEM;
		snprintf(result, sizeof(result), n ? "%zu change%s" : "no changes", n, n == 1 ? "" : "s");
		if (step_add(res, call, true, true, result, detail) < 0)
			return -ENOMEM;
	}
	if (rep.reloaded && step_add(res, "Reload()", true, true, "done", NULL) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < rep.n_jobs; i++) {
		_cleanup_free_ char *call = NULL, *detail = NULL;

		if (!rep.jobs[i].result)
			break;
		if (asprintf(&call, "StartUnit(\"%s\", \"replace\")", rep.jobs[i].unit) < 0 ||
		    asprintf(&detail, "job %s", rep.jobs[i].path) < 0)
			return -ENOMEM;
		if (step_add(res, call, true, true, rep.jobs[i].result, detail) < 0)
			return -ENOMEM;
		if (strcmp(rep.jobs[i].result, "done") != 0) {
			_cleanup_free_ char *fix = NULL;

			if (asprintf(&fix, "journalctl -u %s", rep.jobs[i].unit) < 0)
				return -ENOMEM;
			return set_outcome(res, HS_CHECK_FAIL, fix, "%s did not start: its start job ended with '%s'",
					   rep.jobs[i].unit, rep.jobs[i].result);
		}
	}
	if (r < 0)
		return r;
	return final_state(ctx, bus, res, HOMED_UNIT);
}

int hs_service_reexec(hs_ctx *ctx, hs_service_result **out, const hs_service_options *opts)
{
	static const hs_service_options defaults = { 0 };
	static const char get_version[] = "Get(\"org.freedesktop.systemd1.Manager\", \"Version\")";
	_cleanup_bus_ sd_bus *bus = NULL;
	_cleanup_free_ char *before = NULL;
	hs_service_result *res;
	int r;

	if (!opts)
		opts = &defaults;
	r = new_result(out);
	if (r < 0)
		return r;
	res = *out;
	r = hs_bus_open(ctx, opts->bus_address, opts->bus_timeout_usec, &bus);
	if (r < 0)
		return r;
	r = hs_bus_systemd_version(ctx, bus, &before);
	if (r < 0)
		return r;
	if (step_add(res, get_version, false, true, before, NULL) < 0 || !(res->version = strdup(before)))
		return -ENOMEM;
	if (opts->pretend) {
		if (step_add(res, "Reexecute()", true, false, NULL, "then wait until systemd is back on the bus") < 0)
			return -ENOMEM;
		return set_outcome(res, HS_CHECK_OK, NULL, "systemd %s would be re-executed; nothing was changed "
				   "(--pretend)", before);
	}

	free(res->version);
	res->version = NULL;
	r = hs_bus_reexec(ctx, bus, opts->job_timeout_usec, &res->version);
	if (r < 0)
		return r;
	if (step_add(res, "Reexecute()", true, true, "systemd left the bus and came back", NULL) < 0 ||
	    step_add(res, get_version, false, true, res->version, NULL) < 0)
		return -ENOMEM;
	if (strcmp(before, res->version) == 0)
		return set_outcome(res, HS_CHECK_OK, NULL, "systemd %s was re-executed", res->version);
	return set_outcome(res, HS_CHECK_OK, NULL, "systemd was re-executed: version %s → %s", before, res->version);
}

/* ================================================================================================== */
/* Check group `service`                                                                              */
/* ================================================================================================== */

#define FIX_BUS "make sure the system bus runs: systemctl start dbus.socket dbus.service " \
		"(sys-apps/dbus must be installed: emerge --ask --noreplace sys-apps/dbus)"
#define FIX_PID1 "boot with systemd: select a systemd profile (eselect profile list), run " \
		 "emerge --ask --update --deep --newuse @world, add init=/lib/systemd/systemd to the kernel " \
		 "command line, and reboot"
#define FIX_OLD "emerge --ask --update --oneshot sys-apps/systemd && homesetup service reexec"

enum {
	ID_PID1,
	ID_VERSION,
	ID_HOMED_FILE,
	ID_HOMED_ACTIVE,
	ID_USERDBD_FILE,
	ID_USERDBD_ACTIVE,
	ID__MAX,
};

static const char *const service_ids[ID__MAX] = {
	"service.pid1",
	"service.systemd-version",
	"service.homed.unit-file",
	"service.homed.active",
	"service.userdbd.unit-file",
	"service.userdbd.active",
};

struct service_run {
	hs_checker *c;
	hs_ctx *ctx;
	sd_bus *bus;
	const char *where;  /* "the system bus" or "the bus at <address>" */
	char *stop;         /* set after an error that makes further calls pointless: why the rest SKIP */
	bool pid1_done;     /* service.pid1 has its result */
};

static bool wants(const struct service_run *s, int id)
{
	return hs_checker_wants(s->c, service_ids[id]);
}

/* SKIP every wanted check from @from on that has no result yet. */
static int skip_from(struct service_run *s, int from, const char *reason, const char *detail)
{
	for (int i = from; i < ID__MAX; i++) {
		int r;

		if (!wants(s, i))
			continue;
		r = hs_checker_add(s->c, service_ids[i], HS_CHECK_SKIP, NULL, detail, "%s", reason);
		if (r < 0)
			return r;
	}
	return 0;
}

/* After a failed call: remember the message; errors after which no further call can succeed stop the run. */
static int call_failed(struct service_run *s, int r, char **msg)
{
	const char *m = hs_ctx_last_error(s->ctx);

	*msg = strdup(*m ? m : strerror(-r));
	if (!*msg)
		return -ENOMEM;
	if (r == -ETIMEDOUT || r == -ECONNRESET || r == -ENOTCONN || r == -EHOSTUNREACH || r == -ENXIO) {
		free(s->stop);
		s->stop = strdup(*msg);
		if (!s->stop)
			return -ENOMEM;
	}
	return 0;
}

/* The unit file state of @unit (GetUnitFileState) as the check @id. */
static int check_unit_file(struct service_run *s, int id, const char *unit, const char *missing_summary)
{
	_cleanup_free_ char *state = NULL, *msg = NULL, *unmask = NULL;
	int r;

	if (!wants(s, id))
		return 0;
	if (s->stop)
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_SKIP, NULL, NULL, "%s", s->stop);
	r = hs_bus_unit_file_state(s->ctx, s->bus, unit, &state);
	if (r == -ENOENT) {
		if (asprintf(&msg, "systemd's GetUnitFileState(\"%s\") found no such file in its unit search path",
			     unit) < 0)
			return -ENOMEM;
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, FIX_NO_HOMED, msg, "%s", missing_summary);
	}
	if (r < 0) {
		r = call_failed(s, r, &msg);
		return r < 0 ? r : hs_checker_add(s->c, service_ids[id], HS_CHECK_SKIP, NULL, NULL, "%s", msg);
	}
	if (state_is(state, "enabled"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_OK, NULL, NULL, "%s is enabled", unit);
	if (state_is(state, "static") || state_is(state, "indirect") || state_is(state, "alias") ||
	    state_is(state, "generated") || state_is(state, "transient"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_OK, NULL, NULL,
				      "%s is %s: other units or activation start it", unit, state);
	if (state_is(state, "disabled"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, FIX_ENABLE, NULL,
				      "%s is disabled", unit);
	if (is_masked(state)) {
		if (asprintf(&unmask, "systemctl unmask %s && " FIX_ENABLE, unit) < 0)
			return -ENOMEM;
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, unmask, NULL,
				      "%s is %s: it cannot start until it is unmasked", unit, state);
	}
	if (state_is(state, "bad")) {
		if (asprintf(&unmask, "systemd-analyze verify %s", unit) < 0)
			return -ENOMEM;
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, unmask, NULL,
				      "systemd cannot read the unit file of %s (state 'bad')", unit);
	}
	/* enabled-runtime, linked, linked-runtime and states newer than this code */
	return hs_checker_add(s->c, service_ids[id], HS_CHECK_WARN, FIX_ENABLE, NULL,
			      "%s is %s, not enabled for every boot", unit, state);
}

/* The active state of @unit (LoadUnit + properties) as the check @id. */
static int check_unit_active(struct service_run *s, int id, const char *unit, const char *socket,
			     const char *missing_summary)
{
	_cleanup_(hs_unit_state_done) hs_unit_state st = {0}, sock = {0};
	_cleanup_free_ char *msg = NULL, *fix = NULL, *journal = NULL;
	const char *sub;
	int r;

	if (!wants(s, id))
		return 0;
	if (s->stop)
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_SKIP, NULL, NULL, "%s", s->stop);
	r = hs_bus_unit_state(s->ctx, s->bus, unit, false, &st);
	if (r < 0) {
		r = call_failed(s, r, &msg);
		return r < 0 ? r : hs_checker_add(s->c, service_ids[id], HS_CHECK_SKIP, NULL, NULL, "%s", msg);
	}
	sub = st.sub_state ? st.sub_state : "?";
	if (asprintf(&journal, "see: journalctl -b -u %s", unit) < 0)
		return -ENOMEM;
	if (state_is(st.load_state, "not-found"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, FIX_NO_HOMED, NULL, "%s", missing_summary);
	if (state_is(st.load_state, "masked")) {
		if (asprintf(&fix, "systemctl unmask %s && " FIX_ENABLE, unit) < 0)
			return -ENOMEM;
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, fix, NULL, "%s is masked", unit);
	}
	if (!state_is(st.load_state, "loaded")) {
		if (asprintf(&fix, "systemd-analyze verify %s", unit) < 0)
			return -ENOMEM;
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, fix, journal,
				      "systemd could not load %s (LoadState=%s)", unit, st.load_state);
	}
	if (state_is(st.active_state, "active") || state_is(st.active_state, "reloading"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_OK, NULL, NULL, "%s is %s (%s)", unit,
				      st.active_state, sub);
	if (state_is(st.active_state, "activating") || state_is(st.active_state, "deactivating"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_WARN, NULL, journal, "%s is %s (%s)", unit,
				      st.active_state, sub);
	if (state_is(st.active_state, "failed"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, FIX_ENABLE, journal,
				      "%s has failed (%s)", unit, sub);

	/* inactive: fine if something starts it on demand */
	if (socket) {
		r = hs_bus_unit_state(s->ctx, s->bus, socket, false, &sock);
		if (r < 0) {
			r = call_failed(s, r, &msg);
			return r < 0 ? r : hs_checker_add(s->c, service_ids[id], HS_CHECK_SKIP, NULL, NULL, "%s", msg);
		}
		if (state_is(sock.active_state, "active"))
			return hs_checker_add(s->c, service_ids[id], HS_CHECK_OK, NULL, NULL,
					      "%s is %s (%s); %s is listening and starts it on demand", unit,
					      st.active_state, sub, socket);
	}
	if (state_is(st.unit_file_state, "static"))
		return hs_checker_add(s->c, service_ids[id], HS_CHECK_WARN, FIX_ENABLE, NULL,
				      "%s is %s (%s); it is static, so only D-Bus activation starts it", unit,
				      st.active_state, sub);
	return hs_checker_add(s->c, service_ids[id], HS_CHECK_FAIL, FIX_ENABLE, NULL, "%s is %s (%s)", unit,
			      st.active_state ? st.active_state : "?", sub);
}

/* service.pid1 from the file system: is /run/systemd/system there (sd_booted()'s test)? 1 yes, 0 no (the FAIL
 * is emitted), 2 could not tell (the SKIP is emitted), or a negative errno. */
static int check_pid1_file(struct service_run *s)
{
	_cleanup_free_ char *comm = NULL, *detail = NULL, *msg = NULL;
	struct stat st;
	int r;

	r = hs_root_stat(s->ctx, HS_ROOT_SYS, "/run/systemd/system", &st);
	if (r >= 0 && S_ISDIR(st.st_mode))
		return 1;
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		const char *m = hs_ctx_last_error(s->ctx);

		if (wants(s, ID_PID1) &&
		    (r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_SKIP, NULL, NULL,
					"cannot tell whether systemd is PID 1: %s", *m ? m : strerror(-r))) < 0)
			return r;
		s->pid1_done = true;
		return 2;
	}
	if (hs_root_read_file(s->ctx, HS_ROOT_SYS, "/proc/1/comm", 4096, &comm, NULL) >= 0)
		comm[strcspn(comm, "\n")] = '\0';
	if (asprintf(&detail, "/run/systemd/system does not exist%s%s%s: systemd-homed needs systemd as the "
		     "running init", comm ? " (PID 1 is '" : "", comm ? comm : "", comm ? "')" : "") < 0)
		return -ENOMEM;
	if (wants(s, ID_PID1) && (r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_FAIL, FIX_PID1, detail,
						     "systemd is not running as PID 1")) < 0)
		return r;
	s->pid1_done = true;
	return 0;
}

static int run_service_checks(struct service_run *s, const hs_check_options *o, bool explicit_bus)
{
	_cleanup_free_ char *version = NULL, *msg = NULL, *where = NULL;
	int r, major;

	/* 1. PID 1, from the file system (only for the machine we run on). */
	if (!explicit_bus) {
		r = check_pid1_file(s);
		if (r < 0)
			return r;
		if (r == 0)
			return skip_from(s, ID_VERSION, "systemd is not running as PID 1", NULL);
	}
	if (o->no_bus) {
		if (s->pid1_done || !wants(s, ID_PID1))
			r = 0;
		else if (explicit_bus &&
			 (r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_SKIP, NULL, NULL,
					     "D-Bus checks are turned off (--no-bus)")) < 0)
			return r;
		else if (!explicit_bus &&
			 (r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_OK, NULL, NULL,
					     "systemd is PID 1 (/run/systemd/system exists); D-Bus was not asked "
					     "(--no-bus)")) < 0)
			return r;
		return skip_from(s, ID_VERSION, "D-Bus checks are turned off (--no-bus)", NULL);
	}

	/* 2. The bus, and systemd on it. */
	if (explicit_bus && asprintf(&where, "the bus at %s", o->bus_address) < 0)
		return -ENOMEM;
	s->where = where ? where : "the system bus";
	r = hs_bus_open(s->ctx, o->bus_address, o->bus_timeout_usec, &s->bus);
	if (r >= 0)
		r = hs_bus_systemd_version(s->ctx, s->bus, &version);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		const char *m = hs_ctx_last_error(s->ctx);

		msg = strdup(*m ? m : strerror(-r));
		if (!msg)
			return -ENOMEM;
		if (wants(s, ID_PID1) && !s->pid1_done) {
			const char *fix = r == -EACCES || r == -EPERM ? "run homesetup check as root" : FIX_BUS;

			if (explicit_bus)
				fix = "check the address given with --bus-address or HOMESETUP_BUS_ADDRESS";
			r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_FAIL, fix, msg,
					   "systemd does not answer on %s", s->where);
			if (r < 0)
				return r;
		}
		return skip_from(s, ID_VERSION, msg, NULL);
	}
	if (wants(s, ID_PID1) && !s->pid1_done &&
	    (r = hs_checker_add(s->c, service_ids[ID_PID1], HS_CHECK_OK, NULL, NULL, explicit_bus ?
				"systemd %s answers on %s" : "systemd %s is PID 1 and answers on %s", version,
				s->where)) < 0)
		return r;

	/* 3. Its version. */
	major = hs_systemd_version_major(version);
	if (!wants(s, ID_VERSION))
		r = 0;
	else if (major < 0)
		r = hs_checker_add(s->c, service_ids[ID_VERSION], HS_CHECK_WARN, NULL,
				   "systemd-homed needs systemd 245 or later", "cannot tell the systemd version from '%s'",
				   version);
	else if (major < 245)
		r = hs_checker_add(s->c, service_ids[ID_VERSION], HS_CHECK_FAIL, FIX_OLD,
				   "systemd-homed first shipped with systemd 245", "systemd %s is too old for "
				   "systemd-homed (it needs 245 or later)", version);
	else
		r = hs_checker_add(s->c, service_ids[ID_VERSION], HS_CHECK_OK, NULL, major < 258 ?
				   "homectl adopt, register and the signing-key verbs need systemd 258; homesetup's "
				   "migration does not use them" : NULL, "systemd %s has systemd-homed", version);
	if (r < 0)
		return r;

	/* 4. The units. */
	r = check_unit_file(s, ID_HOMED_FILE, HOMED_UNIT, HOMED_UNIT " does not exist: systemd was built without "
			    "homed");
	if (r >= 0)
		r = check_unit_active(s, ID_HOMED_ACTIVE, HOMED_UNIT, NULL, HOMED_UNIT " does not exist: systemd was "
				      "built without homed");
	if (r >= 0)
		r = check_unit_file(s, ID_USERDBD_FILE, USERDBD_UNIT, USERDBD_UNIT " does not exist in this "
				    "systemd build");
	if (r >= 0)
		r = check_unit_active(s, ID_USERDBD_ACTIVE, USERDBD_UNIT, USERDBD_SOCKET, USERDBD_UNIT " does not "
				      "exist in this systemd build");
	return r;
}

int hs_check_group_service(hs_checker *c)
{
	const hs_check_options *o = hs_checker_options(c);
	struct service_run s = { .c = c, .ctx = hs_checker_ctx(c) };
	const char *root = hs_ctx_get_root(s.ctx);
	bool explicit_bus = o->bus_address && *o->bus_address;
	int r;

	if (strcmp(root, "/") != 0 && !explicit_bus) {
		_cleanup_free_ char *reason = NULL;

		if (asprintf(&reason, "checking a root directory (ROOT=%s), not the running system", root) < 0)
			return -ENOMEM;
		return skip_from(&s, ID_PID1, reason, "the service checks ask the running systemd over D-Bus; give "
				 "--bus-address to ask one anyway");
	}
	r = run_service_checks(&s, o, explicit_bus);
	if (s.bus)
		hs_bus_close(s.bus);
	free(s.stop);
	return r;
}
