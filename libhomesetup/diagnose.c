/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `homesetup doctor`: what systemd-homed itself says went wrong, turned into a diagnosis and a fix.
 *
 * Evidence comes from two places: the states org.freedesktop.home1 reports (ListHomes, GetHomeByName: "dirty",
 * "absent"), and the journal of systemd-homed.service and of its worker systemd-homework (doctor_journal.c), the
 * current boot by default. Every MESSAGE is matched against the rule table of doctor-rules.h (doctor_rules.c:
 * PCRE2, compiled once, JIT where available; byte mode, so binary messages are just bytes). homework's messages
 * rarely name the user; a homework PID is attributed to the user whose state
 * homed last changed into an operation ("alice: changing state inactive → activating"), which is how homed runs
 * one worker per operation.
 *
 * Findings are keyed by (rule, user); the newest evidence line is kept with a count. Fix templates are filled
 * from the user's record under ROOT (image path, file system), statvfs of the file system holding the image and,
 * on the live system, the device-mapper state, and only with values that are plain names or paths: a journal
 * line can never put text of its own into a command.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "homesetupP.h"

#define DROPIN_DIR "/etc/systemd/system/systemd-homed.service.d"
#define DROPIN_PATH DROPIN_DIR "/homesetup-kpartx.conf"
#define DROPIN_MARK "# Written by homesetup doctor"
#define HOMEWORK_IDENT "systemd-homework"

static const char dropin_path[] = DROPIN_PATH;

/* A block device path for a command and a unit file: absolute, no spaces, quotes or specifiers. */
static bool volume_ok(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) > 255 || strstr(s, "/../") || strstr(s, "/./"))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/_.+:@-", *p)))
			return false;
	return true;
}

/* The first row of @rule with a NULL pattern if @derived, else the first row at all (its texts are shared). */
static size_t rule_row(const char *rule, bool derived)
{
	size_t first = SIZE_MAX;

	for (size_t i = 0; i < hs_doctor_rule_count(); i++) {
		if (strcmp(hs_doctor_row(i)->id, rule) != 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		if (!derived || !hs_doctor_row(i)->pattern)
			return i;
	}
	return first;
}

/* ---- the run --------------------------------------------------------------------------------------------- */

typedef struct finding {
	hs_finding pub;            /* rendered at the end */
	size_t row;                /* the matching row (texts) */
	char *user;                /* as attributed (NULL: unknown) */
	char *evidence, *message, *identifier;
	hs_doctor_caps caps;
	bool device_link;          /* absent-volume evidence that names no volume but proves a device */
	char *summary, *diagnosis, *fix;
} finding;

typedef struct pidmap {
	uint32_t pid;
	char *user;
} pidmap;

struct hs_doctor {
	hs_ctx *ctx;
	finding *f;
	size_t n_f;
	hs_bus_home *homes;
	size_t n_homes;
	char **notes;
	size_t entries, matched;
	/* journal attribution */
	pidmap *pids;
	size_t n_pids;
	char *pending_user;
	/* drop-in */
	hs_dropin_state dropin;
	char *dropin_text;
	hs_edit *dropin_edit;
	char **volumes;
	const char *only_user;
	hs_doctor_matcher *matcher;
};

void hs_doctor_free(hs_doctor *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_f; i++) {
		finding *f = &d->f[i];

		free(f->user);
		free(f->evidence);
		free(f->message);
		free(f->identifier);
		free(f->summary);
		free(f->diagnosis);
		free(f->fix);
	}
	free(d->f);
	hs_bus_homes_free(d->homes, d->n_homes);
	hs_strv_free(d->notes);
	for (size_t i = 0; i < d->n_pids; i++)
		free(d->pids[i].user);
	free(d->pids);
	free(d->pending_user);
	free(d->dropin_text);
	hs_edit_free(d->dropin_edit);
	hs_strv_free(d->volumes);
	hs_doctor_matcher_free(d->matcher);
	free(d);
}
DEFINE_CLEANUP_FUNC(hs_doctor, hs_doctor_free);

static int note(hs_doctor *d, const char *fmt, ...) _printf_(2, 3);
static int note(hs_doctor *d, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return hs_strv_push(&d->notes, s, strlen(s));
}

static const char *pid_user(hs_doctor *d, uint32_t pid)
{
	for (size_t i = 0; i < d->n_pids; i++)
		if (d->pids[i].pid == pid)
			return d->pids[i].user;
	return NULL;
}

static int pid_set(hs_doctor *d, uint32_t pid, const char *user)
{
	pidmap *nv;

	for (size_t i = 0; i < d->n_pids; i++)
		if (d->pids[i].pid == pid) {
			char *u = strdup(user);

			if (!u)
				return -ENOMEM;
			free(d->pids[i].user);
			d->pids[i].user = u;
			return 0;
		}
	nv = realloc(d->pids, (d->n_pids + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	d->pids = nv;
	nv[d->n_pids].pid = pid;
	nv[d->n_pids].user = strdup(user);
	if (!nv[d->n_pids].user)
		return -ENOMEM;
	d->n_pids++;
	return 0;
}

static bool span_is(const char *s, size_t len, const char *lit)
{
	return s && len == strlen(lit) && memcmp(s, lit, len) == 0;
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

/* homed's "<user>: changing state <old> → <new>": remember the user for the worker that comes next. */
static int track_state_change(hs_doctor *d, const char *msg, size_t len)
{
	static const char mid[] = ": changing state ";
	const char *p = memmem(msg, len, mid, sizeof(mid) - 1), *end = msg + len, *last;
	size_t ulen;

	if (!p)
		return 0;
	ulen = (size_t)(p - msg);
	if (!hs_doctor_name_ok(msg, ulen))
		return 0;
	last = end;
	while (last > p && last[-1] != ' ')
		last--;
	free(d->pending_user);
	d->pending_user = NULL;
	if (executing_state(last, (size_t)(end - last))) {
		d->pending_user = hs_strndup(msg, ulen);
		if (!d->pending_user)
			return -ENOMEM;
	}
	return 0;
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

static finding *finding_find(hs_doctor *d, const char *rule, const char *user)
{
	for (size_t i = 0; i < d->n_f; i++) {
		finding *f = &d->f[i];

		if (strcmp(hs_doctor_row(f->row)->id, rule) == 0 &&
		    ((!f->user && !user) || (f->user && user && strcmp(f->user, user) == 0)))
			return f;
	}
	return NULL;
}

static int finding_add(hs_doctor *d, size_t row, const char *user, finding **out)
{
	finding *f = finding_find(d, hs_doctor_row(row)->id, user), *nv;

	if (f) {
		f->pub.count++;
		*out = f;
		return 0;
	}
	nv = realloc(d->f, (d->n_f + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	d->f = nv;
	f = &nv[d->n_f];
	memset(f, 0, sizeof(*f));
	f->row = row;
	f->pub.count = 1;
	if (user && !(f->user = strdup(user)))
		return -ENOMEM;
	d->n_f++;
	*out = f;
	return 0;
}

static int format_time(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return snprintf(buf, size, "@%llu", (unsigned long long)(usec / 1000000)) < 0 ? -EINVAL : 0;
	return 0;
}

/* One entry of homed or homework (already filtered by unit, boot and time). */
static int process_entry(hs_doctor *d, const hs_jentry *e)
{
	hs_doctor_caps caps;
	const char *user = NULL;
	char dmuser[257], when[64];
	finding *f;
	int row, r;

	d->entries++;
	if (!e->msg)
		return 0;
	if (span_is(e->ident, e->ident_len, "systemd-homed") || (!e->ident && !span_is(e->ident, e->ident_len,
											 HOMEWORK_IDENT))) {
		r = track_state_change(d, e->msg, e->msg_len);
		if (r < 0)
			return r;
	}
	if (span_is(e->ident, e->ident_len, HOMEWORK_IDENT) && e->pid) {
		if (user_from_dm(e->msg, e->msg_len, dmuser, sizeof(dmuser)) && (r = pid_set(d, e->pid, dmuser)) < 0)
			return r;
		if (!pid_user(d, e->pid) && d->pending_user && (r = pid_set(d, e->pid, d->pending_user)) < 0)
			return r;
	}
	row = hs_doctor_match(d->matcher, e->msg, e->msg_len, &caps);
	if (row < 0)
		return 0;
	if (caps.user[0])
		user = caps.user;
	else if (caps.dm[0] && strncmp(caps.dm, "home-", 5) == 0 && hs_doctor_name_ok(caps.dm + 5, strlen(caps.dm + 5)))
		user = caps.dm + 5;
	else if (span_is(e->ident, e->ident_len, HOMEWORK_IDENT) && e->pid)
		user = pid_user(d, e->pid);
	if (d->only_user && user && strcmp(user, d->only_user) != 0)
		return 0;
	d->matched++;
	r = finding_add(d, (size_t)row, user, &f);
	if (r < 0)
		return r;
	if (strstr(hs_doctor_row(row)->pattern, "Device link"))
		f->device_link = true;
	if (e->realtime >= f->pub.realtime_usec) {
		_cleanup_free_ char *msg = hs_escape(e->msg, e->msg_len, 1024);
		_cleanup_free_ char *ident = e->ident ? hs_escape(e->ident, e->ident_len, 64) : strdup("?");
		char *ev;

		if (!msg || !ident)
			return -ENOMEM;
		if (e->realtime)
			format_time(e->realtime, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "-");
		if ((e->pid ? asprintf(&ev, "%s %s[%u]: %s", when, ident, e->pid, msg) :
			      asprintf(&ev, "%s %s: %s", when, ident, msg)) < 0)
			return -ENOMEM;
		free(f->evidence);
		free(f->message);
		free(f->identifier);
		f->evidence = ev;
		f->message = TAKE_PTR(msg);
		f->identifier = TAKE_PTR(ident);
		f->pub.realtime_usec = e->realtime;
		f->pub.source = HS_EVIDENCE_JOURNAL;
		f->caps = caps;
		f->row = (size_t)row;
	}
	return 0;
}

/* ---- the bus --------------------------------------------------------------------------------------------- */

static int read_bus(hs_doctor *d, const hs_doctor_options *o)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	hs_ctx *ctx = d->ctx;
	int r;

	if (o->no_bus)
		return note(d, "D-Bus: not asked (--no-bus)");
	if (!hs_probe_live(ctx) && !o->bus_address)
		return note(d, "D-Bus: skipped: --root is not / and no --bus-address was given, so the homes' states "
			    "are not known");
	r = hs_bus_open(ctx, o->bus_address, o->bus_timeout_usec, &bus);
	if (r >= 0) {
		if (o->user) {
			hs_bus_home h;

			r = hs_bus_get_home_by_name(ctx, bus, o->user, &h);
			if (r >= 0) {
				d->homes = malloc(sizeof(h));
				if (!d->homes) {
					hs_bus_home_done(&h);
					return -ENOMEM;
				}
				d->homes[0] = h;
				d->n_homes = 1;
			}
		} else
			r = hs_bus_list_homes(ctx, bus, &d->homes, &d->n_homes);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return note(d, "D-Bus: %s", hs_ctx_last_error(ctx));
	return note(d, "D-Bus: systemd-homed reported %zu home%s", d->n_homes, d->n_homes == 1 ? "" : "s");
}

static int on_entry(const hs_jentry *e, void *userdata)
{
	return process_entry(userdata, e);
}

static int bus_findings(hs_doctor *d)
{
	for (size_t i = 0; i < d->n_homes; i++) {
		const hs_bus_home *h = &d->homes[i];

		const char *rule = h->state ? hs_doctor_state_rule(h->state) : NULL;

		if (rule && hs_doctor_name_ok(h->name, strlen(h->name))) {
			finding *f;
			size_t row;
			int r;

			row = rule_row(rule, true);
			r = finding_add(d, row, h->name, &f);
			if (r < 0)
				return r;
			if (!f->evidence) {
				if (asprintf(&f->evidence, "org.freedesktop.home1: home %s is in state '%s'", h->name,
					     h->state) < 0)
					return -ENOMEM;
				f->pub.source = HS_EVIDENCE_BUS;
			}
		}
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------------------------------------------- */

static void fmt_bytes(uint64_t v, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double x = (double)v;
	size_t u = 0;

	while (x >= 1024 && u + 1 < ELEMENTSOF(unit)) {
		x /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, size, "%.1f %s", x, unit[u]);
}

/* Free space of the file system holding @image (under ROOT), and the image's size: one sentence, or "". */
static char *space_text(hs_ctx *ctx, const char *image)
{
	_cleanup_free_ char *dir = strdup(image);
	char *slash, a[32], b[32], c[32], e[32];
	struct statvfs sv;
	struct stat st;
	char *out = NULL;
	int fd;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash)
		return strdup("");
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = hs_root_open(ctx, HS_ROOT_SYS, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstatvfs(fd, &sv) < 0) {
		if (fd >= 0)
			close(fd);
		return asprintf(&out, "(The free space of %s could not be measured here.)", dir) < 0 ? NULL : out;
	}
	close(fd);
	fmt_bytes((uint64_t)sv.f_bavail * sv.f_frsize, a, sizeof(a));
	fmt_bytes((uint64_t)sv.f_blocks * sv.f_frsize, b, sizeof(b));
	if (hs_root_stat(ctx, HS_ROOT_SYS, image, &st) == 0 && S_ISREG(st.st_mode)) {
		fmt_bytes((uint64_t)st.st_size, c, sizeof(c));
		fmt_bytes((uint64_t)st.st_blocks * 512, e, sizeof(e));
		if (asprintf(&out, "Now %s has %s free of %s; the image %s is %s, of which %s allocated.", dir, a, b,
			     image, c, e) < 0)
			return NULL;
	} else if (asprintf(&out, "Now %s has %s free of %s.", dir, a, b) < 0)
		return NULL;
	return out;
}

/* On the live system: is /dev/mapper/<name> there, held or mounted? One sentence, or NULL. */
static char *dm_state_text(const char *name)
{
	_cleanup_free_ char *node = NULL, *holders = NULL, *mp = NULL;
	char *out = NULL, line[4096];
	unsigned n_holders = 0;
	struct stat st;
	FILE *f;

	if (asprintf(&node, "/dev/mapper/%s", name) < 0)
		return NULL;
	if (stat(node, &st) < 0 || !S_ISBLK(st.st_mode))
		return asprintf(&out, "Now %s does not exist: nothing to close.", node) < 0 ? NULL : out;
	if (asprintf(&holders, "/sys/dev/block/%u:%u/holders", major(st.st_rdev), minor(st.st_rdev)) >= 0) {
		DIR *dd = opendir(holders);
		struct dirent *de;

		while (dd && (de = readdir(dd)))
			if (de->d_name[0] != '.')
				n_holders++;
		if (dd)
			closedir(dd);
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (f) {
		char dev[32];

		snprintf(dev, sizeof(dev), " %u:%u ", major(st.st_rdev), minor(st.st_rdev));
		while (!mp && fgets(line, sizeof(line), f)) {
			char *p = strstr(line, dev);

			if (p) {
				char *q = p + strlen(dev), *sp;

				q += strcspn(q, " ") + 1; /* root */
				sp = q + strcspn(q, " ");
				mp = hs_strndup(q, (size_t)(sp - q));
			}
		}
		fclose(f);
	}
	if (mp) {
		if (asprintf(&out, "Now %s is mounted at %s: it is in use (if that is the home itself, it is active: "
			     "'homectl deactivate' it instead of closing the mapping).", node, mp) < 0)
			return NULL;
	} else if (n_holders) {
		if (asprintf(&out, "Now %s is held by %u other device%s: close those first.", node, n_holders,
			     n_holders == 1 ? "" : "s") < 0)
			return NULL;
	} else if (asprintf(&out, "Now %s exists, is not mounted and has no holders: check 'dmsetup info' for "
			    "'Open count: 0', then close it.", node) < 0)
		return NULL;
	return out;
}

static const char *fsck_cmd(const char *fs)
{
	if (!fs)
		return "fsck -f";
	if (strcmp(fs, "btrfs") == 0)
		return "btrfs check";
	if (strcmp(fs, "ext4") == 0 || strcmp(fs, "ext3") == 0 || strcmp(fs, "ext2") == 0)
		return "e2fsck -f";
	if (strcmp(fs, "xfs") == 0)
		return "xfs_repair";
	return "fsck -f";
}

static const char *fs_package(const char *fs)
{
	if (fs && strcmp(fs, "btrfs") == 0)
		return "sys-fs/btrfs-progs";
	if (fs && strncmp(fs, "ext", 3) == 0)
		return "sys-fs/e2fsprogs";
	if (fs && strcmp(fs, "xfs") == 0)
		return "sys-fs/xfsprogs";
	return "sys-fs/e2fsprogs";
}

typedef struct subst {
	const char *key, *val;
} subst;

static char *expand(const char *tmpl, const subst *s, size_t n)
{
	_cleanup_buf_ hs_buf b = {0};

	for (const char *p = tmpl; *p;) {
		const char *q = strchr(p, '{');
		bool done = false;

		if (!q) {
			if (hs_buf_puts(&b, p) < 0)
				return NULL;
			break;
		}
		if (hs_buf_append(&b, p, (size_t)(q - p)) < 0)
			return NULL;
		for (size_t i = 0; i < n && !done; i++) {
			size_t kl = strlen(s[i].key);

			if (strncmp(q + 1, s[i].key, kl) == 0 && q[1 + kl] == '}') {
				if (hs_buf_puts(&b, s[i].val) < 0)
					return NULL;
				p = q + kl + 2;
				done = true;
			}
		}
		if (!done) {
			if (hs_buf_putc(&b, '{') < 0)
				return NULL;
			p = q + 1;
		}
	}
	return hs_buf_steal(&b);
}

/* The absent rule's final form: a volume (kpartx) or a missing image file. */
static const char *absent_kind(const hs_doctor *d, const finding *f, const hs_home_record *rec)
{
	if (rec->image_path)
		return strncmp(rec->image_path, "/dev/", 5) == 0 ? "absent-volume" : "absent-image";
	return d->volumes || f->device_link ? "absent-volume" : "absent-image";
}

static int render(hs_doctor *d, finding *f)
{
	_cleanup_(hs_home_record_done) hs_home_record rec = {0};
	_cleanup_free_ char *image = NULL, *fsckname = NULL, *dm = NULL, *volume = NULL, *space = NULL,
			    *extra = NULL, *diag = NULL;
	const char *user = f->user ? f->user : d->only_user ? d->only_user : "USER";
	const char *rule = hs_doctor_row(f->row)->id, *fs;
	const hs_doctor_rule *row;
	char *nl;
	int r;

	if (f->user || d->only_user) {
		r = hs_home_record_load(d->ctx, user, &rec);
		if (r == -ENOMEM)
			return r;
	}
	if (strcmp(rule, "absent-volume") == 0 && strcmp(absent_kind(d, f, &rec), "absent-image") == 0)
		f->row = rule_row("absent-image", true);
	row = hs_doctor_row(f->row);
	rule = row->id;
	if (rec.image_path)
		image = strdup(rec.image_path);
	else
		(void)asprintf(&image, "/home/%s.home", user);
	if (asprintf(&fsckname, "homesetup-fsck-%s", user) < 0 || !image)
		return -ENOMEM;
	if (f->caps.dm[0])
		dm = strdup(f->caps.dm);
	else
		(void)asprintf(&dm, "home-%s", user);
	if (!dm)
		return -ENOMEM;
	if (d->volumes) {
		_cleanup_buf_ hs_buf b = {0};

		for (size_t i = 0; d->volumes[i]; i++)
			if ((i && hs_buf_putc(&b, ' ') < 0) || hs_buf_puts(&b, d->volumes[i]) < 0)
				return -ENOMEM;
		volume = hs_buf_steal(&b);
	} else if (rec.image_path && strncmp(rec.image_path, "/dev/", 5) == 0 &&
		   strncmp(rec.image_path, "/dev/disk/by-uuid/", 18) != 0 && volume_ok(rec.image_path))
		volume = strdup(rec.image_path);
	else
		volume = strdup("/dev/VG/LV    # the LVM volume (or partition) holding the home: see lvs, lsblk; "
				"then give it to homesetup doctor --volume");
	if (!volume)
		return -ENOMEM;
	if (strcmp(rule, "no-space") == 0 && !(space = space_text(d->ctx, image)))
		return -ENOMEM;
	fs = f->caps.fs[0] ? f->caps.fs : rec.fstype;
	{
		const subst s[] = {
			{ "user", user }, { "image", image }, { "fsckname", fsckname }, { "fsck", fsck_cmd(rec.fstype) },
			{ "dm", dm }, { "volume", volume }, { "space", space ? space : "" }, { "fs", fs ? fs : "?" },
			{ "fspkg", fs_package(fs) }, { "dropin", DROPIN_PATH },
		};

		diag = expand(row->diagnosis, s, ELEMENTSOF(s));
		f->fix = expand(row->fix, s, ELEMENTSOF(s));
	}
	if (!diag || !f->fix)
		return -ENOMEM;
	if (strcmp(rule, "dm-leftover") == 0 && hs_probe_live(d->ctx) && (extra = dm_state_text(dm))) {
		char *both;

		if (asprintf(&both, "%s %s", diag, extra) < 0)
			return -ENOMEM;
		free(diag);
		diag = both;
	}
	nl = strchr(diag, '\n');
	f->summary = nl ? hs_strndup(diag, (size_t)(nl - diag)) : strdup(diag);
	f->diagnosis = strdup(nl ? nl + 1 : diag);
	if (!f->summary || !f->diagnosis)
		return -ENOMEM;
	f->pub = (hs_finding){
		.rule = rule, .user = f->user, .summary = f->summary, .diagnosis = f->diagnosis, .fix = f->fix,
		.source = f->pub.source, .evidence = f->evidence, .message = f->message, .identifier = f->identifier,
		.realtime_usec = f->pub.realtime_usec, .count = f->pub.count,
	};
	return 0;
}

/* Two findings of one rule and user after the absent rule was resolved: keep one, with the newer evidence. */
static void merge_duplicates(hs_doctor *d)
{
	for (size_t i = 0; i < d->n_f; i++)
		for (size_t k = i + 1; k < d->n_f;) {
			finding *a = &d->f[i], *b = &d->f[k];

			if (strcmp(hs_doctor_row(a->row)->id, hs_doctor_row(b->row)->id) != 0 ||
			    !((!a->user && !b->user) || (a->user && b->user && strcmp(a->user, b->user) == 0))) {
				k++;
				continue;
			}
			a->pub.count += b->pub.count;
			a->pub.realtime_usec = a->pub.realtime_usec > b->pub.realtime_usec ? a->pub.realtime_usec :
											b->pub.realtime_usec;
			free(b->user);
			free(b->evidence);
			free(b->message);
			free(b->identifier);
			free(b->summary);
			free(b->diagnosis);
			free(b->fix);
			memmove(b, b + 1, (d->n_f - k - 1) * sizeof(*b));
			d->n_f--;
		}
}

static int cmp_finding(const void *x, const void *y)
{
	const finding *a = x, *b = y;
	size_t ra = rule_row(hs_doctor_row(a->row)->id, false), rb = rule_row(hs_doctor_row(b->row)->id, false);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (!a->user || !b->user)
		return !a->user - !b->user;
	return strcmp(a->user, b->user);
}

/* ---- the kpartx drop-in ---------------------------------------------------------------------------------- */

static int plan_dropin(hs_doctor *d)
{
	_cleanup_buf_ hs_buf want = {0};
	const char *cur;
	size_t cur_len;
	bool needed = false;
	int r;

	for (size_t i = 0; i < d->n_f; i++)
		if (strcmp(d->f[i].pub.rule, "absent-volume") == 0)
			needed = true;
	if (!needed || !d->volumes)
		return 0;
	r = hs_edit_new(d->ctx, &d->dropin_edit, HS_EDIT_ROOT, DROPIN_PATH);
	if (r == -ENOTDIR || r == -ENOENT)
		r = hs_edit_new_from_buf(d->ctx, &d->dropin_edit, HS_EDIT_ROOT, DROPIN_PATH, NULL, 0);
	if (r < 0)
		return note(d, "drop-in: %s", hs_ctx_last_error(d->ctx));
	cur = hs_edit_original(d->dropin_edit, &cur_len);
	if (!hs_edit_file_exists(d->dropin_edit)) {
		if (hs_buf_puts(&want, DROPIN_MARK ": map the partition table homed wrote inside these volumes before\n"
				"# systemd-homed starts (the kernel does not scan partition tables on device-mapper devices;\n"
				"# systemd issue #15273). homesetup adds volumes here and keeps lines added by hand.\n"
				"[Service]\n") < 0)
			return -ENOMEM;
		d->dropin = HS_DROPIN_NEW;
	} else if (cur_len >= sizeof(DROPIN_MARK) - 1 && memcmp(cur, DROPIN_MARK, sizeof(DROPIN_MARK) - 1) == 0) {
		d->dropin = HS_DROPIN_CURRENT;
		if (cur_len && cur[cur_len - 1] != '\n' && hs_buf_putc(&want, '\n') < 0)
			return -ENOMEM;
	} else
		d->dropin = HS_DROPIN_FOREIGN;
	for (size_t i = 0; d->volumes[i]; i++) {
		_cleanup_free_ char *line = NULL;

		if (asprintf(&line, "ExecStartPre=-/sbin/kpartx -av %s\n", d->volumes[i]) < 0)
			return -ENOMEM;
		if (d->dropin != HS_DROPIN_NEW && memmem(cur, cur_len, line, strlen(line)))
			continue;
		if (d->dropin == HS_DROPIN_CURRENT)
			d->dropin = HS_DROPIN_UPDATE;
		if (hs_buf_puts(&want, line) < 0)
			return -ENOMEM;
	}
	if (d->dropin == HS_DROPIN_CURRENT) {
		want.len = 0;
		if (want.p)
			want.p[0] = '\0';
	}
	if (d->dropin == HS_DROPIN_FOREIGN) {
		/* what ours would be: shown next to the file that is in the way */
		_cleanup_buf_ hs_buf ours = {0};

		if (hs_buf_puts(&ours, DROPIN_MARK ": map the partition table homed wrote inside these volumes before\n"
				"# systemd-homed starts (the kernel does not scan partition tables on device-mapper devices;\n"
				"# systemd issue #15273). homesetup adds volumes here and keeps lines added by hand.\n"
				"[Service]\n") < 0 || hs_buf_append(&ours, want.p ? want.p : "", want.len) < 0)
			return -ENOMEM;
		d->dropin_text = hs_buf_steal(&ours);
		return d->dropin_text ? 0 : -ENOMEM;
	}
	if (want.len && (r = hs_edit_append(d->dropin_edit, want.p)) < 0)
		return r;
	return hs_edit_result(d->dropin_edit, &d->dropin_text, NULL);
}

hs_dropin_state hs_doctor_dropin(const hs_doctor *d, const char **path)
{
	if (path)
		*path = d->dropin != HS_DROPIN_NONE ? DROPIN_PATH : NULL;
	return d->dropin;
}

const char *hs_doctor_dropin_text(const hs_doctor *d)
{
	return d->dropin != HS_DROPIN_NONE ? d->dropin_text : NULL;
}

int hs_doctor_dropin_diff(const hs_doctor *d, char **out)
{
	const char *cur;
	size_t len;

	*out = NULL;
	if (d->dropin == HS_DROPIN_NONE)
		return -ENOENT;
	if (d->dropin != HS_DROPIN_FOREIGN)
		return hs_edit_diff(d->dropin_edit, out);
	cur = hs_edit_original(d->dropin_edit, &len);
	return hs_diff_unified(cur, len, d->dropin_text, strlen(d->dropin_text), &dropin_path[1], &dropin_path[1], 3,
			       out);
}

int hs_doctor_write(hs_doctor *d, unsigned flags)
{
	int r;

	switch (d->dropin) {
	case HS_DROPIN_NONE:
		for (size_t i = 0; i < d->n_f; i++)
			if (strcmp(d->f[i].pub.rule, "absent-volume") == 0)
				return hs_ctx_set_error(d->ctx, -ENOENT, "%s: not written: no volume is known for the "
							"absent home; name it with --volume (e.g. --volume /dev/vg/home)",
							DROPIN_PATH);
		return hs_ctx_set_error(d->ctx, -ENOENT, "nothing to write: no home is absent on a volume");
	case HS_DROPIN_FOREIGN:
		return hs_ctx_set_error(d->ctx, -EEXIST, "%s exists and was not written by homesetup: not overwritten; "
					"add the ExecStartPre= lines shown to it by hand", DROPIN_PATH);
	case HS_DROPIN_CURRENT:
		return 1;
	default:
		break;
	}
	r = hs_root_mkdir_parents(d->ctx, HS_ROOT_SYS, DROPIN_PATH, 0755);
	if (r < 0)
		return r;
	return hs_edit_commit(d->dropin_edit, flags);
}

/* ---- entry point ----------------------------------------------------------------------------------------- */

int hs_doctor_run(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts)
{
	static const hs_doctor_options defaults = {0};
	_cleanup_(hs_doctor_freep) hs_doctor *d = NULL;
	const hs_doctor_options *o = opts ? opts : &defaults;
	int r;

	*out = NULL;
	if (o->user && !hs_doctor_name_ok(o->user, strlen(o->user)))
		return hs_ctx_set_error(ctx, -EINVAL, "invalid user name '%s': homed user names are letters, digits, "
					"'_', '.', '-' (and '@realm')", o->user);
	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		if (!volume_ok(o->volumes[i]))
			return hs_ctx_set_error(ctx, -EINVAL, "invalid volume '%s': give the block device's absolute "
						"path, e.g. /dev/vg/home", o->volumes[i]);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	d->only_user = o->user;
	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		if ((r = hs_strv_push(&d->volumes, o->volumes[i], strlen(o->volumes[i]))) < 0)
			return r;
	r = hs_doctor_matcher_new(ctx, &d->matcher);
	if (r < 0)
		return r;
	r = read_bus(d, o);
	if (r < 0)
		return r;
	if (o->no_journal)
		r = note(d, "journal: not read");
	else {
		hs_journal_query q = { .files = o->journal_files, .dir = o->journal_dir, .export_file = o->journal_export,
				       .since_usec = o->since_usec };
		_cleanup_free_ char *what = NULL;

		r = hs_journal_read_homed(ctx, &q, on_entry, d, &what);
		if (r == 0)
			r = note(d, "journal: %zu entr%s of systemd-homed and systemd-homework read from %s", d->entries,
				 d->entries == 1 ? "y" : "ies", what);
		else if (r > 0)
			r = note(d, "journal: %s", what);
	}
	if (r < 0)
		return r;
	r = bus_findings(d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_f; i++)
		if ((r = render(d, &d->f[i])) < 0)
			return r;
	merge_duplicates(d);
	if (d->n_f)
		qsort(d->f, d->n_f, sizeof(*d->f), cmp_finding);
	for (size_t i = 0; i < d->n_f; i++) /* qsort moved them: the strings stay, the struct is re-pointed */
		d->f[i].pub.user = d->f[i].user;
	r = plan_dropin(d);
	if (r < 0)
		return r;
	*out = TAKE_PTR(d);
	return 0;
}

size_t hs_doctor_finding_count(const hs_doctor *d)
{
	return d ? d->n_f : 0;
}

const hs_finding *hs_doctor_finding(const hs_doctor *d, size_t i)
{
	return d && i < d->n_f ? &d->f[i].pub : NULL;
}

size_t hs_doctor_home_count(const hs_doctor *d)
{
	return d ? d->n_homes : 0;
}

const char *hs_doctor_home_name(const hs_doctor *d, size_t i)
{
	return d && i < d->n_homes ? d->homes[i].name : NULL;
}

const char *hs_doctor_home_state(const hs_doctor *d, size_t i)
{
	return d && i < d->n_homes ? d->homes[i].state : NULL;
}

size_t hs_doctor_note_count(const hs_doctor *d)
{
	return d ? hs_strv_length(d->notes) : 0;
}

const char *hs_doctor_note(const hs_doctor *d, size_t i)
{
	return d && i < hs_strv_length(d->notes) ? d->notes[i] : NULL;
}

void hs_doctor_journal_stats(const hs_doctor *d, size_t *entries, size_t *matched)
{
	if (entries)
		*entries = d ? d->entries : 0;
	if (matched)
		*matched = d ? d->matched : 0;
}

