/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `homesetup doctor`: which home a matching journal entry concerns, and which password failures a normal login
 * explains. homed sets no journal field naming the user: its messages and its state changes are all there is.
 *
 * An entry concerns a user when the rule captured the name; when a worker's line names /dev/mapper/home-USER
 * (that worker's PID is then USER's); for homed's own "Activation failed: %m" (and the other "<operation> failed:
 * %m" lines of homed-home.c's *_finish() functions), when the state change homed logs right after it, in the same
 * call, names USER ("alice: changing state activating-for-acquire → inactive"); for a systemd-homework line, when
 * USER is the one home whose operation started (homed forks one worker per operation, then logs the state change
 * into it) and has no worker known yet as that PID first logs. Anything else names nobody.
 *
 * pam_systemd_home first asks homed without a password, so a normal login logs a failed activation before the one
 * that works. A match of a rule with a retry window (doctor-rules.h) is held until homed reports the same home's
 * password operation (activating, authenticating, unlocking) ending in "active" with no failure line before the
 * state change, within the window: that failure was part of a login and is dropped (and counted); once the window
 * has passed, or the journal ends, it is evidence like any other.
 */
#include "homesetupP.h"

#define HOMEWORK_IDENT "systemd-homework"
#define OPS_MAX 1024   /* homes tracked (homed itself manages at most 500) */
#define HELD_MAX 1024  /* matches held at once; past that the oldest goes on as it stands */

/* What homed's state changes say about one home. */
typedef struct homeop {
	char *user;
	bool executing;            /* in a state in which homed runs a worker for it */
	uint32_t worker;           /* that worker's PID once it logged, else 0 */
} homeop;

/* A match that waits for what follows: the state change that names its user, or the home's success. */
typedef struct held {
	hs_doctor_evidence ev;
	bool waiting;              /* homed's "<operation> failed: …": its user comes with homed's next state change */
} held;

struct hs_doctor_attrib {
	hs_doctor_matcher *matcher;
	hs_doctor_evidence_fn fn;
	void *userdata;
	homeop *ops;
	size_t n_ops;
	held *held;
	size_t n_held;
	uint64_t next_expiry;      /* no held failure runs out of its window before this (µs; 0: none held) */
	uint32_t homed_pid;        /* of the newest homed line */
	bool failed;               /* homed logged "<operation> failed" and no state change since */
	char boot[33];             /* of the newest entry */
	char **discounted_users;   /* failures a success of the same home explained: whose, and how many */
	size_t *discounted;
};

static void evidence_done(hs_doctor_evidence *ev)
{
	free(ev->user);
	free(ev->msg);
	free(ev->ident);
}

void hs_doctor_attrib_free(hs_doctor_attrib *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_ops; i++)
		free(a->ops[i].user);
	free(a->ops);
	for (size_t i = 0; i < a->n_held; i++)
		evidence_done(&a->held[i].ev);
	free(a->held);
	hs_strv_free(a->discounted_users);
	free(a->discounted);
	free(a);
}

int hs_doctor_attrib_new(hs_doctor_attrib **out, hs_doctor_matcher *m, hs_doctor_evidence_fn fn, void *userdata)
{
	hs_doctor_attrib *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->matcher = m;
	a->fn = fn;
	a->userdata = userdata;
	*out = a;
	return 0;
}

bool hs_doctor_attrib_discounted(const hs_doctor_attrib *a, size_t i, const char **user, size_t *count)
{
	if (!a || i >= hs_strv_length(a->discounted_users))
		return false;
	*user = a->discounted_users[i];
	*count = a->discounted[i];
	return true;
}

static bool span_is(const char *s, size_t len, const char *lit)
{
	return s && len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* ---- homes and their workers ------------------------------------------------------------------------------ */

static int op_get(hs_doctor_attrib *a, const char *user, size_t len, homeop **out)
{
	homeop *nv;

	*out = NULL;
	for (size_t i = 0; i < a->n_ops; i++)
		if (strlen(a->ops[i].user) == len && memcmp(a->ops[i].user, user, len) == 0) {
			*out = &a->ops[i];
			return 0;
		}
	if (a->n_ops >= OPS_MAX)
		return 0;
	nv = realloc(a->ops, (a->n_ops + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	a->ops = nv;
	nv[a->n_ops] = (homeop){ .user = hs_strndup(user, len) };
	if (!nv[a->n_ops].user)
		return -ENOMEM;
	*out = &nv[a->n_ops++];
	return 0;
}

static homeop *op_by_worker(hs_doctor_attrib *a, uint32_t pid)
{
	for (size_t i = 0; pid && i < a->n_ops; i++)
		if (a->ops[i].worker == pid)
			return &a->ops[i];
	return NULL;
}

/* No operation goes on (a new boot, homed restarted: its workers went with it, FORK_DEATHSIG_SIGTERM). */
static void ops_idle(hs_doctor_attrib *a)
{
	for (size_t i = 0; i < a->n_ops; i++)
		a->ops[i].executing = false, a->ops[i].worker = 0;
	a->failed = false;
}

/* States in which homed runs a worker for the home (homed-home.h HOME_STATE_IS_EXECUTING_OPERATION). */
static bool executing_state(const char *s, size_t len)
{
	static const char *const idle[] = { "unfixated", "absent", "inactive", "dirty", "active", "lingering",
					    "locked", NULL };

	for (size_t i = 0; idle[i]; i++)
		if (span_is(s, len, idle[i]))
			return false;
	return len > 0;
}

/* "… /dev/mapper/home-<user> …" in a homework line names its user. */
static bool user_from_dm(const char *msg, size_t len, char *out, size_t max)
{
	static const char pfx[] = "/dev/mapper/home-";
	const char *p = memmem(msg, len, pfx, sizeof(pfx) - 1), *q;

	if (!p)
		return false;
	p += sizeof(pfx) - 1;
	q = p;
	while (q < msg + len && *q != ' ' && *q != ',' && !(*q == '.' && (q + 1 == msg + len || q[1] == ' ')))
		q++;
	if (!hs_doctor_name_ok(p, (size_t)(q - p)) || (size_t)(q - p) >= max)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

/* homed's "<user>: changing state <old> <arrow> <new>" (homed-home.c home_set_state(); the arrow is "→", or
 * "->" where the glyph is not available). */
typedef struct state_change {
	const char *user, *old, *new_;
	size_t user_len, old_len, new_len;
} state_change;

static bool state_word(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	return true;
}

static bool parse_state_change(const char *msg, size_t len, state_change *sc)
{
	static const char mid[] = ": changing state ";
	const char *p = memmem(msg, len, mid, sizeof(mid) - 1), *end = msg + len, *a, *b, *c;

	if (!p || !hs_doctor_name_ok(msg, (size_t)(p - msg)))
		return false;
	a = p + sizeof(mid) - 1;
	b = memchr(a, ' ', (size_t)(end - a));
	if (!b)
		return false;
	c = end;
	while (c > b && c[-1] != ' ')
		c--;
	if (c <= b + 1 || !(span_is(b + 1, (size_t)(c - 1 - (b + 1)), "\xe2\x86\x92") ||
			     span_is(b + 1, (size_t)(c - 1 - (b + 1)), "->")))
		return false;
	*sc = (state_change){ .user = msg, .user_len = (size_t)(p - msg), .old = a, .old_len = (size_t)(b - a),
			      .new_ = c, .new_len = (size_t)(end - c) };
	return state_word(sc->old, sc->old_len) && state_word(sc->new_, sc->new_len);
}

/* homed-home.c's *_finish(): "<Operation> failed: %m", then home_set_state() for the same home, in one call. */
static bool op_failed_line(const char *msg, size_t len)
{
	static const char *const pfx[] = { "Activation failed: ", "Fixation failed: ", "Authentication failed: ",
					   "Unlocking operation failed: ", "Locking operation failed: ",
					   "Change operation failed: ", NULL };

	for (size_t i = 0; pfx[i]; i++)
		if (len >= strlen(pfx[i]) && memcmp(msg, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

/* Operations that take the user's password and leave the home active when it was accepted. (A failed
 * authentication of an active home ends in "active" too: only the failure line before it tells.) */
static bool login_succeeded(const state_change *sc)
{
	static const char *const ops[] = { "activating", "activating-for-acquire", "authenticating",
					   "authenticating-while-active", "authenticating-for-acquire", "unlocking",
					   "unlocking-for-acquire", NULL };
	bool op = false;

	for (size_t i = 0; ops[i]; i++)
		if (span_is(sc->old, sc->old_len, ops[i]))
			op = true;
	return op && (span_is(sc->new_, sc->new_len, "active") || span_is(sc->new_, sc->new_len, "lingering"));
}

/* ---- held matches ---------------------------------------------------------------------------------------- */

static uint64_t held_window(const held *h)
{
	return h->waiting ? 0 : hs_doctor_retry_window(hs_doctor_row(h->ev.row)->id);
}

/* When @h runs out of its window (0: never). */
static uint64_t held_expiry(const held *h)
{
	uint64_t w = held_window(h);

	if (!w || !h->ev.realtime)
		return 0;
	return h->ev.realtime > UINT64_MAX - w ? UINT64_MAX : h->ev.realtime + w;
}

static void note_expiry(hs_doctor_attrib *a, const held *h)
{
	uint64_t x = held_expiry(h);

	if (x && (!a->next_expiry || x < a->next_expiry))
		a->next_expiry = x;
}

static void held_remove(hs_doctor_attrib *a, size_t i)
{
	evidence_done(&a->held[i].ev);
	memmove(&a->held[i], &a->held[i + 1], (a->n_held - i - 1) * sizeof(*a->held));
	a->n_held--;
}

/* Hand match @i on as it stands. */
static int emit_held(hs_doctor_attrib *a, size_t i)
{
	int r = a->fn(&a->held[i].ev, a->userdata);

	held_remove(a, i);
	return r;
}

/* Hold @h (its strings move) until what follows decides about it. */
static int held_push(hs_doctor_attrib *a, held *h)
{
	held *nv;
	int r;

	if (a->n_held >= HELD_MAX && (r = emit_held(a, 0)) < 0) {
		evidence_done(&h->ev);
		return r;
	}
	nv = realloc(a->held, (a->n_held + 1) * sizeof(*nv));
	if (!nv) {
		evidence_done(&h->ev);
		return -ENOMEM;
	}
	a->held = nv;
	nv[a->n_held] = *h;
	memset(h, 0, sizeof(*h));
	note_expiry(a, &nv[a->n_held]);
	a->n_held++;
	return 0;
}

/* Held failures whose window ended before @now: no success can explain them any more. */
static int held_expire(hs_doctor_attrib *a, uint64_t now)
{
	if (!now || !a->next_expiry || now <= a->next_expiry)
		return 0;
	a->next_expiry = 0;
	for (size_t i = 0; i < a->n_held;) {
		uint64_t x = held_expiry(&a->held[i]);
		int r;

		if (x && x < now) {
			if ((r = emit_held(a, i)) < 0)
				return r;
			continue;
		}
		note_expiry(a, &a->held[i]);
		i++;
	}
	return 0;
}

/* homed's state change closes the operation a held "<operation> failed" line of the same homed reported. */
static int resolve_waiting(hs_doctor_attrib *a, const state_change *sc, uint32_t pid)
{
	for (size_t i = 0; i < a->n_held;) {
		held *h = &a->held[i];
		int r;

		if (!h->waiting || (h->ev.pid && pid && h->ev.pid != pid)) {
			i++;
			continue;
		}
		h->waiting = false;
		h->ev.user = hs_strndup(sc->user, sc->user_len);
		if (!h->ev.user)
			return -ENOMEM;
		if (!held_window(h)) {
			if ((r = emit_held(a, i)) < 0)
				return r;
			continue;
		}
		note_expiry(a, h);
		i++;
	}
	return 0;
}

static int count_discounted(hs_doctor_attrib *a, const char *user)
{
	size_t n = hs_strv_length(a->discounted_users), *nv;

	for (size_t k = 0; k < n; k++)
		if (strcmp(a->discounted_users[k], user) == 0) {
			a->discounted[k]++;
			return 0;
		}
	nv = realloc(a->discounted, (n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	a->discounted = nv;
	nv[n] = 1;
	return hs_strv_push(&a->discounted_users, user, strlen(user));
}

/* The home of @sc took its user's password at time @t: the failures of the same home within the window before
 * were the first, password-less try of a login (or a typo corrected at once). */
static int discount(hs_doctor_attrib *a, const state_change *sc, uint64_t t)
{
	for (size_t i = 0; i < a->n_held;) {
		held *h = &a->held[i];
		uint64_t w = held_window(h);
		int r;

		if (!w || !h->ev.user || !span_is(sc->user, sc->user_len, h->ev.user) ||
		    !(!t || !h->ev.realtime || t < h->ev.realtime || t - h->ev.realtime <= w)) {
			i++;
			continue;
		}
		if ((r = count_discounted(a, h->ev.user)) < 0)
			return r;
		held_remove(a, i);
	}
	return 0;
}

/* ---- the entries ------------------------------------------------------------------------------------------ */

/* A line of homed itself: its state changes say which home runs an operation, and how each one ended. */
static int on_homed(hs_doctor_attrib *a, const hs_jentry *e)
{
	state_change sc;
	homeop *op;
	int r;

	if (e->pid && a->homed_pid && e->pid != a->homed_pid)
		ops_idle(a);
	if (e->pid)
		a->homed_pid = e->pid;
	if (op_failed_line(e->msg, e->msg_len)) {
		a->failed = true;
		return 0;
	}
	if (!parse_state_change(e->msg, e->msg_len, &sc))
		return 0;
	if ((r = resolve_waiting(a, &sc, e->pid)) < 0)
		return r;
	if (!a->failed && login_succeeded(&sc) && (r = discount(a, &sc, e->realtime)) < 0)
		return r;
	a->failed = false;
	if ((r = op_get(a, sc.user, sc.user_len, &op)) < 0)
		return r;
	if (op) {
		/* every state change starts or ends a worker: the old one, if any, is gone */
		op->worker = 0;
		op->executing = executing_state(sc.new_, sc.new_len);
	}
	return 0;
}

/* A line of a worker: which home's operation it runs. */
static int on_homework(hs_doctor_attrib *a, const hs_jentry *e)
{
	char dmuser[257];
	homeop *op = NULL;
	int r;

	if (!e->pid)
		return 0;
	if (user_from_dm(e->msg, e->msg_len, dmuser, sizeof(dmuser))) {
		if ((r = op_get(a, dmuser, strlen(dmuser), &op)) < 0)
			return r;
		if (op && op->worker != e->pid) {
			homeop *other = op_by_worker(a, e->pid);

			if (other)
				other->worker = 0;
			op->worker = e->pid;
		}
		return 0;
	}
	if (op_by_worker(a, e->pid))
		return 0;
	for (size_t i = 0; i < a->n_ops; i++)
		if (a->ops[i].executing && !a->ops[i].worker) {
			if (op)
				return 0; /* two homes wait for their worker: this line names neither */
			op = &a->ops[i];
		}
	if (op)
		op->worker = e->pid;
	return 0;
}

int hs_doctor_attrib_entry(hs_doctor_attrib *a, const hs_jentry *e)
{
	_cleanup_(evidence_done) hs_doctor_evidence ev = {0};
	hs_doctor_caps caps;
	const char *user = NULL;
	bool homework, homed;
	held h;
	homeop *op;
	int row, r;

	if (!e->msg)
		return 0;
	if (e->boot && e->boot_len == 32 && memcmp(a->boot, e->boot, 32) != 0) {
		/* a new boot: no operation of the old one goes on */
		ops_idle(a);
		a->homed_pid = 0;
		memcpy(a->boot, e->boot, 32);
	}
	if ((r = held_expire(a, e->realtime)) < 0)
		return r;
	homework = span_is(e->ident, e->ident_len, HOMEWORK_IDENT);
	homed = !homework && (!e->ident || span_is(e->ident, e->ident_len, "systemd-homed"));
	r = homed ? on_homed(a, e) : homework ? on_homework(a, e) : 0;
	if (r < 0)
		return r;
	row = hs_doctor_match(a->matcher, e->msg, e->msg_len, &caps);
	if (row < 0)
		return 0;
	if (caps.user[0])
		user = caps.user;
	else if (caps.dm[0] && strncmp(caps.dm, "home-", 5) == 0 && hs_doctor_name_ok(caps.dm + 5, strlen(caps.dm + 5)))
		user = caps.dm + 5;
	else if (homework && (op = op_by_worker(a, e->pid)))
		user = op->user;
	ev = (hs_doctor_evidence){ .row = (size_t)row, .caps = caps, .pid = e->pid, .realtime = e->realtime };
	ev.msg = hs_escape(e->msg, e->msg_len, 1024);
	ev.ident = e->ident ? hs_escape(e->ident, e->ident_len, 64) : strdup("?");
	if (!ev.msg || !ev.ident || (user && !(ev.user = strdup(user))))
		return -ENOMEM;
	h = (held){ .ev = ev, .waiting = !user && homed && op_failed_line(e->msg, e->msg_len) };
	if (h.waiting || (h.ev.user && held_window(&h))) {
		memset(&ev, 0, sizeof(ev)); /* moved into h */
		return held_push(a, &h);
	}
	return a->fn(&ev, a->userdata);
}

int hs_doctor_attrib_finish(hs_doctor_attrib *a)
{
	int r;

	while (a->n_held)
		if ((r = emit_held(a, 0)) < 0)
			return r;
	return 0;
}
