/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `homesetup doctor`: what systemd-homed itself says went wrong, turned into a diagnosis and a fix.
 *
 * Evidence comes from two places: the states org.freedesktop.home1 reports (ListHomes, GetHomeByName: "dirty",
 * "absent"), and the journal of systemd-homed.service and of its worker systemd-homework (doctor_journal.c), the
 * current boot by default. Every MESSAGE is matched against the rule table of doctor-rules.h (doctor_rules.c:
 * PCRE2, compiled once, JIT where available; byte mode, so binary messages are just bytes).
 *
 * Which home each entry concerns, and which password failures a normal login explains, is doctor_attrib.c's
 * part; with a USER, evidence that names nobody is left out, except for findings about homed as a whole.
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

struct hs_doctor {
	hs_ctx *ctx;
	finding *f;
	size_t n_f;
	hs_bus_home *homes;
	size_t n_homes;
	char **notes;
	size_t entries, matched;
	hs_doctor_attrib *attrib;
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
	hs_doctor_attrib_free(d->attrib);
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

/* A match doctor_attrib.c decided about becomes evidence of a finding, unless a USER was asked about and it
 * does not concern them. */
static int on_evidence(hs_doctor_evidence *ev, void *userdata)
{
	hs_doctor *d = userdata;
	const hs_doctor_rule *row = hs_doctor_row(ev->row);
	char when[64], *text;
	finding *f;
	int r;

	if (d->only_user && (ev->user ? strcmp(ev->user, d->only_user) != 0 : hs_doctor_row_per_home(ev->row)))
		return 0;
	d->matched++;
	r = finding_add(d, ev->row, ev->user, &f);
	if (r < 0)
		return r;
	if (row->pattern && strstr(row->pattern, "Device link"))
		f->device_link = true;
	if (ev->realtime < f->pub.realtime_usec)
		return 0;
	if (ev->realtime)
		format_time(ev->realtime, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "-");
	if ((ev->pid ? asprintf(&text, "%s %s[%u]: %s", when, ev->ident, ev->pid, ev->msg) :
		       asprintf(&text, "%s %s: %s", when, ev->ident, ev->msg)) < 0)
		return -ENOMEM;
	free(f->evidence);
	free(f->message);
	free(f->identifier);
	f->evidence = text;
	f->message = TAKE_PTR(ev->msg);
	f->identifier = TAKE_PTR(ev->ident);
	f->pub.realtime_usec = ev->realtime;
	f->pub.source = HS_EVIDENCE_JOURNAL;
	f->caps = ev->caps;
	f->row = ev->row;
	return 0;
}

/* The password failures a normal login explained (of USER only, when one was asked about): one note. */
static int note_discounted(hs_doctor *d)
{
	_cleanup_buf_ hs_buf users = {0};
	const char *user;
	size_t n = 0, count;

	for (size_t i = 0; hs_doctor_attrib_discounted(d->attrib, i, &user, &count); i++) {
		if (d->only_user && strcmp(user, d->only_user) != 0)
			continue;
		if ((n && hs_buf_puts(&users, ", ") < 0) || hs_buf_puts(&users, user) < 0)
			return -ENOMEM;
		n += count;
	}
	if (!n)
		return 0;
	return note(d, "journal: %zu failed password check%s of %s followed by the home's activation within %llu min: "
		    "a normal login (pam_systemd_home asks without a password first), not a finding", n,
		    n == 1 ? "" : "s", users.p, (unsigned long long)(hs_doctor_retry_window("bad-password") / 60000000));
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
	hs_doctor *d = userdata;

	d->entries++;
	return hs_doctor_attrib_entry(d->attrib, e);
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

int hs_doctor_space_text(const char *dir, uint64_t avail, uint64_t total, const char *image, uint64_t size,
			 uint64_t alloc, char **sentence, char **note)
{
	char a[32], b[32], c[32], e[32], m[32];
	uint64_t min = hs_doctor_min_free();
	int r;

	*sentence = *note = NULL;
	snprintf(m, sizeof(m), "%llu MiB", (unsigned long long)(min >> 20));
	if (avail == UINT64_MAX) {
		if (asprintf(sentence, "(The free space of %s could not be measured here.)", dir) < 0)
			goto oom;
		r = asprintf(note, "free at least %s on the file system holding the image first (move or delete files, "
			     "old snapshots, the trash)", m);
		return r < 0 ? (free(*sentence), *sentence = NULL, -ENOMEM) : 0;
	}
	fmt_bytes(avail, a, sizeof(a));
	fmt_bytes(total, b, sizeof(b));
	if (size != UINT64_MAX) {
		fmt_bytes(size, c, sizeof(c));
		fmt_bytes(alloc, e, sizeof(e));
		r = asprintf(sentence, "Now %s has %s free of %s; the image %s is %s, of which %s allocated.%s%s%s", dir, a,
			     b, image, c, e, avail < min ? " That is less than the " : "", avail < min ? m : "",
			     avail < min ? " the discard update needs: free space there first." : "");
	} else
		r = asprintf(sentence, "Now %s has %s free of %s.%s%s%s", dir, a, b,
			     avail < min ? " That is less than the " : "", avail < min ? m : "",
			     avail < min ? " the discard update needs: free space there first." : "");
	if (r < 0)
		goto oom;
	if (avail < min)
		r = asprintf(note, "only %s free here, less than %s: free space on this file system first (move or "
			     "delete files, old snapshots, the trash) until at least %s are free", a, m, m);
	else
		r = asprintf(note, "%s free here; the update below needs at least %s", a, m);
	if (r < 0)
		goto oom;
	return 0;
oom:
	free(*sentence);
	*sentence = NULL;
	return -ENOMEM;
}

/* The free-space texts of a no-space finding, measured on the file system holding @image (under ROOT). */
static int space_text(hs_ctx *ctx, const char *image, char **sentence, char **note)
{
	_cleanup_free_ char *dir = strdup(image);
	uint64_t avail = UINT64_MAX, total = 0, size = UINT64_MAX, alloc = 0;
	struct statvfs sv;
	struct stat st;
	char *slash;
	int fd;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = slash ? hs_root_open(ctx, HS_ROOT_SYS, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -ENOENT;
	if (fd >= 0 && fstatvfs(fd, &sv) == 0) {
		avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		total = (uint64_t)sv.f_blocks * sv.f_frsize;
		if (avail == UINT64_MAX)
			avail--;
	}
	if (fd >= 0)
		close(fd);
	if (avail != UINT64_MAX && hs_root_stat(ctx, HS_ROOT_SYS, image, &st) == 0 && S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		alloc = (uint64_t)st.st_blocks * 512;
	}
	return hs_doctor_space_text(dir, avail, total, image, size, alloc, sentence, note);
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
			    *freenote = NULL, *imagedir = NULL, *extra = NULL, *diag = NULL;
	const char *user = f->user ? f->user : "USER", *slash;
	char minfree[32];
	const char *rule = hs_doctor_row(f->row)->id, *fs;
	const hs_doctor_rule *row;
	char *nl;
	int r;

	if (f->user) {
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
	if (strcmp(rule, "no-space") == 0 && (r = space_text(d->ctx, image, &space, &freenote)) < 0)
		return r;
	slash = strrchr(image, '/');
	imagedir = slash && slash != image ? hs_strndup(image, (size_t)(slash - image)) : strdup("/");
	if (!imagedir)
		return -ENOMEM;
	snprintf(minfree, sizeof(minfree), "%llu MiB", (unsigned long long)(hs_doctor_min_free() >> 20));
	fs = f->caps.fs[0] ? f->caps.fs : rec.fstype;
	{
		const subst s[] = {
			{ "user", user }, { "image", image }, { "fsckname", fsckname }, { "fsck", fsck_cmd(rec.fstype) },
			{ "dm", dm }, { "volume", volume }, { "space", space ? space : "" }, { "fs", fs ? fs : "?" },
			{ "fspkg", fs_package(fs) }, { "dropin", DROPIN_PATH }, { "imagedir", imagedir },
			{ "minfree", minfree }, { "freenote", freenote ? freenote : "" },
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

static int run(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts, const char *buf, size_t len)
{
	static const hs_doctor_options defaults = {0};
	_cleanup_(hs_doctor_freep) hs_doctor *d = NULL;
	_cleanup_free_ char *no_pcre2 = NULL;
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
	/* The rules are PCRE2 patterns, and libpcre2-8 is loaded on first use (dl.c): without it the journal cannot
	 * be matched, which a note says; homed's own states are still read. */
	r = hs_dl_open(HS_DL_PCRE2, &no_pcre2);
	if (r == -ENOMEM)
		return r;
	if (r == 0 && (r = hs_doctor_matcher_new(ctx, &d->matcher)) < 0)
		return r;
	r = read_bus(d, o);
	if (r < 0)
		return r;
	if (o->no_journal)
		r = note(d, "journal: not read");
	else if (!d->matcher)
		r = note(d, "journal: not read: its messages are matched with PCRE2, and %s", no_pcre2);
	else {
		hs_journal_query q = { .files = o->journal_files, .dir = o->journal_dir, .export_file = o->journal_export,
				       .since_usec = o->since_usec };
		_cleanup_free_ char *what = NULL;

		if (buf)
			q = (hs_journal_query){ .export_buf = buf, .export_len = len, .since_usec = o->since_usec };
		if ((r = hs_doctor_attrib_new(&d->attrib, d->matcher, on_evidence, d)) < 0)
			return r;
		r = hs_journal_read_homed(ctx, &q, on_entry, d, &what);
		if (r >= 0) {
			int k = hs_doctor_attrib_finish(d->attrib);

			if (k < 0)
				return k;
		}
		if (r == 0)
			r = note(d, "journal: %zu entr%s of systemd-homed and systemd-homework read from %s", d->entries,
				 d->entries == 1 ? "y" : "ies", what);
		else if (r > 0)
			r = note(d, "journal: %s", what);
		if (r >= 0)
			r = note_discounted(d);
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

int hs_doctor_run(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts)
{
	return run(ctx, out, opts, NULL, 0);
}

int hs_doctor_run_export_buf(hs_ctx *ctx, hs_doctor **out, const hs_doctor_options *opts, const char *buf,
			     size_t len)
{
	return run(ctx, out, opts, buf ? buf : "", len);
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

