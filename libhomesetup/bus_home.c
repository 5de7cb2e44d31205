/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-homed's Manager (org.freedesktop.home1, man org.freedesktop.home1(5)) over sd-bus: the homes it
 * knows. The calls, timeouts and error messages are bus.c's.
 */
#include "homesetupP.h"

#include <stdio.h>

#include <systemd/sd-bus.h>

#define HOME1_DEST "org.freedesktop.home1"
#define HOME1_PATH "/org/freedesktop/home1"
#define HOME1_MANAGER "org.freedesktop.home1.Manager"
#define WHO_HOMED "systemd-homed"

void hs_bus_home_done(hs_bus_home *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->state);
	free(h->realname);
	free(h->home);
	free(h->shell);
	free(h->path);
	memset(h, 0, sizeof(*h));
}

void hs_bus_homes_free(hs_bus_home *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		hs_bus_home_done(&v[i]);
	free(v);
}

static int home_fill(hs_bus_home *h, const char *name, uint32_t uid, const char *state, uint32_t gid,
		     const char *realname, const char *home, const char *shell, const char *path)
{
	h->uid = uid;
	h->gid = gid;
	h->name = strdup(name);
	h->state = strdup(state);
	h->realname = strdup(realname);
	h->home = strdup(home);
	h->shell = strdup(shell);
	h->path = strdup(path);
	if (!h->name || !h->state || !h->realname || !h->home || !h->shell || !h->path) {
		hs_bus_home_done(h);
		return -ENOMEM;
	}
	return 0;
}

int hs_bus_list_homes(hs_ctx *ctx, sd_bus *bus, hs_bus_home **out, size_t *n)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	hs_bus_home *v = NULL;
	size_t count = 0;
	const char *name, *state, *realname, *home, *shell, *path;
	uint32_t uid, gid;
	int r;

	*out = NULL;
	*n = 0;
	r = hs_bus_new_call(ctx, bus, HOME1_DEST, HOME1_PATH, HOME1_MANAGER, "ListHomes", "ListHomes()", &m);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_HOMED, "ListHomes()", m, 0, NULL, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(susussso)");
	if (r < 0)
		return hs_bus_parse_error(ctx, WHO_HOMED, "ListHomes()", r);
	while ((r = sd_bus_message_read(reply, "(susussso)", &name, &uid, &state, &gid, &realname, &home, &shell,
					&path)) > 0) {
		hs_bus_home *nv = realloc(v, (count + 1) * sizeof(*nv));

		if (!nv) {
			r = -ENOMEM;
			goto fail;
		}
		v = nv;
		r = home_fill(&v[count], name, uid, state, gid, realname, home, shell, path);
		if (r < 0)
			goto fail;
		count++;
	}
	if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0) {
		r = hs_bus_parse_error(ctx, WHO_HOMED, "ListHomes()", r);
		goto fail;
	}
	*out = v;
	*n = count;
	return 0;
fail:
	hs_bus_homes_free(v, count);
	return r;
}

int hs_bus_get_home_by_name(hs_ctx *ctx, sd_bus *bus, const char *user, hs_bus_home *out)
{
	static const char *const missing[] = { "org.freedesktop.home1.NoSuchHome", NULL };
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *what = NULL;
	const char *state, *realname, *home, *shell, *path;
	uint32_t uid, gid;
	int r;

	memset(out, 0, sizeof(*out));
	if (asprintf(&what, "GetHomeByName(%s)", user) < 0)
		return -ENOMEM;
	r = hs_bus_new_call(ctx, bus, HOME1_DEST, HOME1_PATH, HOME1_MANAGER, "GetHomeByName", what, &m);
	if (r >= 0 && (r = sd_bus_message_append(m, "s", user)) < 0)
		r = hs_bus_build_error(ctx, what, r);
	if (r >= 0)
		r = hs_bus_call(ctx, bus, WHO_HOMED, what, m, 0, missing, &reply);
	if (r == -ENOENT)
		return hs_ctx_set_error(ctx, r, "systemd-homed knows no home of user '%s'", user);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "usussso", &uid, &state, &gid, &realname, &home, &shell, &path);
	if (r < 0)
		return hs_bus_parse_error(ctx, WHO_HOMED, what, r);
	return home_fill(out, user, uid, state, gid, realname, home, shell, path);
}
