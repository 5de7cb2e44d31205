/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal side of `homesetup doctor`: the entries of systemd-homed.service and of its worker
 * systemd-homework (SYSLOG_IDENTIFIER=systemd-homework, a child in the same unit), of the current boot or from a
 * --since time on, read with sd-journal (the system journal, the journal under ROOT, journal files or a directory
 * given), or — for tests, fuzzing and logs copied off a machine — from journal export format read directly.
 *
 * "Current boot" is the running boot for the system journal (sd_id128_get_boot) and, as journalctl -b does it, the
 * boot of the newest entry for anything else.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "homesetupP.h"

#define MSG_MAX (64u * 1024)           /* longest message handed on (matching cuts there too) */
#define EXPORT_MAX (256u << 20)        /* largest export file read */
#define ENTRIES_MAX 5000000u           /* journal entries read per run */
#define HOMED_UNIT "systemd-homed.service"
#define HOMEWORK_IDENT "systemd-homework"

static bool span_is(const char *s, size_t len, const char *lit)
{
	return s && len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* ---- journal export format ------------------------------------------------------------------------------ */

static int export_error(hs_ctx *ctx, const char *what, size_t off)
{
	return hs_ctx_set_error(ctx, -EIO, "journal export: %s at byte %zu", what, off);
}

static void entry_field(hs_jentry *e, const char *name, size_t nlen, const char *val, size_t vlen)
{
#define IS(lit) (nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)
	if (IS("MESSAGE"))
		e->msg = val, e->msg_len = vlen;
	else if (IS("_SYSTEMD_UNIT"))
		e->unit = val, e->unit_len = vlen;
	else if (IS("SYSLOG_IDENTIFIER"))
		e->ident = val, e->ident_len = vlen;
	else if (IS("_BOOT_ID"))
		e->boot = val, e->boot_len = vlen;
	else if (IS("__REALTIME_TIMESTAMP") || IS("_PID")) {
		uint64_t v = 0;
		size_t i = 0;

		for (; i < vlen && i < 20 && val[i] >= '0' && val[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(val[i] - '0');
		if (i == vlen && vlen > 0) {
			if (IS("_PID"))
				e->pid = v <= UINT32_MAX ? (uint32_t)v : 0;
			else
				e->realtime = v;
		}
	}
#undef IS
}

int hs_journal_export_parse(hs_ctx *ctx, const char *buf, size_t len, hs_jentry_fn fn, void *userdata)
{
	hs_jentry e = {0};
	bool any = false;
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i), *eq;
		size_t line_len;

		if (!nl)
			return export_error(ctx, "line without a newline", i);
		line_len = (size_t)(nl - (buf + i));
		if (line_len == 0) { /* end of an entry */
			if (any) {
				int r = fn(&e, userdata);

				if (r != 0)
					return r;
			}
			memset(&e, 0, sizeof(e));
			any = false;
			i++;
			continue;
		}
		eq = memchr(buf + i, '=', line_len);
		if (eq) {
			entry_field(&e, buf + i, (size_t)(eq - (buf + i)), eq + 1, line_len - (size_t)(eq - (buf + i)) - 1);
			i += line_len + 1;
		} else {
			/* a binary field: NAME\n, little-endian 64-bit size, the bytes, \n */
			size_t name_off = i, nlen = line_len;
			uint64_t size = 0;

			i += line_len + 1;
			if (len - i < 8)
				return export_error(ctx, "binary field without its size", i);
			for (int k = 7; k >= 0; k--)
				size = (size << 8) | (uint8_t)buf[i + (size_t)k];
			i += 8;
			if (size > len - i || len - i - size < 1 || buf[i + size] != '\n')
				return export_error(ctx, "binary field longer than the input", i);
			entry_field(&e, buf + name_off, nlen, buf + i, (size_t)size);
			i += (size_t)size + 1;
		}
		any = true;
	}
	if (any)
		return fn(&e, userdata);
	return 0;
}

/* ---- reading ----------------------------------------------------------------------------------------------- */

typedef struct reader {
	hs_jentry_fn fn;
	void *userdata;
	uint64_t since;
	bool filter_boot;
	char newest_boot[33];
	uint64_t newest_time;
	size_t passed;
} reader;

static bool wanted_entry(const hs_jentry *e)
{
	return span_is(e->unit, e->unit_len, HOMED_UNIT) || span_is(e->ident, e->ident_len, HOMEWORK_IDENT);
}

static int export_pass1(const hs_jentry *e, void *userdata)
{
	reader *rd = userdata;

	/* journalctl's "newest boot": the boot of the newest entry of all (not only of homed) */
	if (e->boot && e->boot_len == 32 && e->realtime >= rd->newest_time) {
		memcpy(rd->newest_boot, e->boot, 32);
		rd->newest_boot[32] = '\0';
		rd->newest_time = e->realtime;
	}
	return 0;
}

static int export_pass2(const hs_jentry *e, void *userdata)
{
	reader *rd = userdata;

	if (!wanted_entry(e) || (rd->since && e->realtime < rd->since))
		return 0;
	if (rd->filter_boot && rd->newest_boot[0] &&
	    !(e->boot && e->boot_len == 32 && memcmp(e->boot, rd->newest_boot, 32) == 0))
		return 0;
	if (rd->passed >= ENTRIES_MAX)
		return 0;
	rd->passed++;
	return rd->fn(e, rd->userdata);
}

static int parse_export(hs_ctx *ctx, reader *rd, const char *buf, size_t len)
{
	int r = hs_journal_export_parse(ctx, buf, len, export_pass1, rd);

	if (r >= 0)
		r = hs_journal_export_parse(ctx, buf, len, export_pass2, rd);
	return r;
}

static int describe_export(reader *rd, const char *src, char **what)
{
	return asprintf(what, "%s%s%s", src, rd->filter_boot && rd->newest_boot[0] ? ", boot " : "",
			rd->filter_boot ? rd->newest_boot : "") < 0 ? -ENOMEM : 0;
}

static int read_export(hs_ctx *ctx, reader *rd, const char *path, char **what)
{
	_cleanup_free_ char *buf = NULL, *src = NULL;
	struct stat st;
	size_t got = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > EXPORT_MAX) {
		r = hs_ctx_set_error(ctx, -EIO, "%s: not a regular file of at most %u MiB", path, EXPORT_MAX >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = hs_ctx_set_error(ctx, -EIO, "%s: cannot read: %s", path, n < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += (size_t)n;
	}
	r = parse_export(ctx, rd, buf, got);
	if (r == -EIO)
		hs_ctx_set_error(ctx, r, "%s: %s", path, hs_ctx_last_error(ctx));
	if (r >= 0 && (asprintf(&src, "the export file %s", path) < 0 || describe_export(rd, src, what) < 0))
		r = -ENOMEM;
out:
	close(fd);
	return r;
}

/* A field of the current entry, copied to *copy (NUL-terminated, freed by the caller): the buffer
 * sd_journal_get_data() returns is only valid until its next call. -ENOMEM, else 0 (*val NULL: no such field). */
static int journal_field(sd_journal *j, const char *field, char **copy, const char **val, size_t *len)
{
	const void *data;
	size_t n, fl = strlen(field);
	int r = sd_journal_get_data(j, field, &data, &n);

	*val = NULL;
	*len = 0;
	if (r < 0 || n <= fl)
		return 0;
	*copy = hs_strndup((const char *)data + fl + 1, n - fl - 1);
	if (!*copy)
		return -ENOMEM;
	*val = *copy;
	*len = n - fl - 1;
	return 0;
}

static int read_journal(hs_ctx *ctx, reader *rd, const hs_journal_query *q, char **what)
{
	sd_journal *j = NULL;
	const char *root = hs_ctx_get_root(ctx);
	_cleanup_free_ char *src = NULL;
	sd_id128_t boot = SD_ID128_NULL;
	char match[64], b[33] = "";
	bool live_default = false;
	int r;

	if (q->files) {
		for (size_t i = 0; q->files[i]; i++)
			if (access(q->files[i], R_OK) < 0)
				return hs_ctx_set_error(ctx, -errno, "%s: cannot read the journal file: %s", q->files[i],
							strerror(errno));
		r = sd_journal_open_files(&j, (const char **)q->files, 0);
		src = strdup("the journal files given");
	} else if (q->dir) {
		struct stat st;

		if (stat(q->dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return hs_ctx_set_error(ctx, -ENOENT, "%s: not a journal directory", q->dir);
		r = sd_journal_open_directory(&j, q->dir, 0);
		src = strdup(q->dir);
	} else if (!hs_probe_live(ctx)) {
		r = sd_journal_open_directory(&j, root, SD_JOURNAL_OS_ROOT);
		if (asprintf(&src, "the journal under %s", root) < 0)
			src = NULL;
	} else {
		r = sd_journal_open(&j, SD_JOURNAL_SYSTEM | SD_JOURNAL_LOCAL_ONLY);
		src = strdup("the system journal");
		live_default = true;
	}
	if (!src) {
		sd_journal_close(j);
		return -ENOMEM;
	}
	if (r < 0)
		return asprintf(what, "cannot open %s: %s (no journal evidence)", src, strerror(-r)) < 0 ? -ENOMEM : 1;
	(void)sd_journal_set_data_threshold(j, MSG_MAX + 64);

	if (!q->since_usec) {
		if (live_default)
			r = sd_id128_get_boot(&boot);
		else if ((r = sd_journal_seek_tail(j)) >= 0 && (r = sd_journal_previous(j)) > 0)
			r = sd_journal_get_monotonic_usec(j, NULL, &boot);
		if (r < 0)
			boot = SD_ID128_NULL; /* no entry at all, or none with a boot: read what there is */
	}
	snprintf(match, sizeof(match), "_BOOT_ID=" SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(boot));
	sd_journal_flush_matches(j);
	if ((r = sd_journal_add_match(j, "_SYSTEMD_UNIT=" HOMED_UNIT, 0)) < 0 ||
	    (!sd_id128_is_null(boot) && (r = sd_journal_add_match(j, match, 0)) < 0) ||
	    (r = sd_journal_add_disjunction(j)) < 0 ||
	    (r = sd_journal_add_match(j, "SYSLOG_IDENTIFIER=" HOMEWORK_IDENT, 0)) < 0 ||
	    (!sd_id128_is_null(boot) && (r = sd_journal_add_match(j, match, 0)) < 0))
		goto out;
	r = q->since_usec ? sd_journal_seek_realtime_usec(j, q->since_usec) : sd_journal_seek_head(j);
	if (r < 0)
		goto out;
	while ((r = sd_journal_next(j)) > 0 && rd->passed < ENTRIES_MAX) {
		_cleanup_free_ char *msg = NULL, *ident = NULL, *unit = NULL, *bootid = NULL, *pidstr = NULL;
		hs_jentry e = {0};
		const char *pid;
		size_t pid_len;

		if (sd_journal_get_realtime_usec(j, &e.realtime) < 0)
			e.realtime = 0;
		if (q->since_usec && e.realtime < q->since_usec)
			continue;
		if (journal_field(j, "MESSAGE", &msg, &e.msg, &e.msg_len) < 0 ||
		    journal_field(j, "SYSLOG_IDENTIFIER", &ident, &e.ident, &e.ident_len) < 0 ||
		    journal_field(j, "_SYSTEMD_UNIT", &unit, &e.unit, &e.unit_len) < 0 ||
		    journal_field(j, "_BOOT_ID", &bootid, &e.boot, &e.boot_len) < 0 ||
		    journal_field(j, "_PID", &pidstr, &pid, &pid_len) < 0) {
			sd_journal_close(j);
			return -ENOMEM;
		}
		for (size_t k = 0; pid && k < pid_len && k < 10 && pid[k] >= '0' && pid[k] <= '9'; k++)
			e.pid = e.pid * 10 + (uint32_t)(pid[k] - '0');
		if (!wanted_entry(&e))
			continue;
		rd->passed++;
		r = rd->fn(&e, rd->userdata);
		if (r != 0) {
			sd_journal_close(j);
			return r < 0 ? r : 0;
		}
	}
out:
	sd_journal_close(j);
	if (r < 0)
		return asprintf(what, "reading %s failed: %s", src, strerror(-r)) < 0 ? -ENOMEM : 1;
	if (!sd_id128_is_null(boot))
		sd_id128_to_string(boot, b);
	if (asprintf(what, "%s%s%s%s%s%s", src, b[0] ? ", boot " : "", b, q->since_usec ? " (--since)" : "",
		     rd->passed >= ENTRIES_MAX ? "; stopped at the entry limit" : "",
		     rd->passed == 0 && live_default && geteuid() != 0 ?
		     "; not root and maybe not in group systemd-journal: homed's entries may be hidden" : "") < 0)
		return -ENOMEM;
	return 0;
}

int hs_journal_read_homed(hs_ctx *ctx, const hs_journal_query *q, hs_jentry_fn fn, void *userdata, char **what)
{
	reader rd = { .fn = fn, .userdata = userdata, .since = q->since_usec, .filter_boot = !q->since_usec };

	*what = NULL;
	if (q->export_file)
		return read_export(ctx, &rd, q->export_file, what);
	if (q->export_buf) {
		int r = parse_export(ctx, &rd, q->export_buf, q->export_len);

		return r < 0 ? r : describe_export(&rd, "the export text given", what);
	}
	return read_journal(ctx, &rd, q, what);
}

/* ---- --since ----------------------------------------------------------------------------------------------- */

static int time_error(hs_ctx *ctx, const char *s, const char *at)
{
	return hs_ctx_set_error(ctx, -EINVAL, "invalid time '%s' at column %zu: give e.g. '2024-05-01', "
				"'2024-05-01 12:00:00', '@1714564800', 'today', 'yesterday', '-2h' or '30min ago'",
				s, (size_t)(at - s) + 1);
}

int hs_doctor_parse_time(hs_ctx *ctx, const char *s, uint64_t now_usec, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t usec;
	} units[] = {
		{ "usec", 1 }, { "us", 1 }, { "msec", 1000 }, { "ms", 1000 }, { "seconds", 1000000 },
		{ "second", 1000000 }, { "sec", 1000000 }, { "s", 1000000 }, { "minutes", 60000000 },
		{ "minute", 60000000 }, { "min", 60000000 }, { "m", 60000000 }, { "hours", 3600000000ULL },
		{ "hour", 3600000000ULL }, { "h", 3600000000ULL }, { "days", 86400000000ULL }, { "day", 86400000000ULL },
		{ "d", 86400000000ULL }, { "weeks", 604800000000ULL }, { "week", 604800000000ULL },
		{ "w", 604800000000ULL },
	};
	const char *p = s;
	struct tm tm = {0};
	time_t t;

	if (!s || !*s)
		return time_error(ctx, s ? s : "", s ? s : "");
	if (strcmp(s, "now") == 0) {
		*out = now_usec;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		t = (time_t)(now_usec / 1000000);
		if (!localtime_r(&t, &tm))
			return time_error(ctx, s, s);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if (s[0] == 'y')
			tm.tm_mday--;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return time_error(ctx, s, s);
		*out = (uint64_t)t * 1000000;
		return 0;
	}
	if (*p == '@') {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(p + 1, &end, 10);
		if (errno || end == p + 1 || *end || v > UINT64_MAX / 1000000)
			return time_error(ctx, s, end == p + 1 ? p + 1 : end);
		*out = (uint64_t)v * 1000000;
		return 0;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9' && !strchr(s, '-') && !strchr(s, ':'))) {
		/* relative: "-2h", "-1d 3h", "30min ago" */
		uint64_t total = 0;
		bool neg = *p == '-', ago = false;

		if (neg)
			p++;
		while (*p) {
			unsigned long long v;
			char *end;
			size_t best = 0;
			uint64_t mul = 0;

			while (*p == ' ')
				p++;
			if (!*p)
				break;
			if (strcmp(p, "ago") == 0) {
				ago = true;
				break;
			}
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || end == p)
				return time_error(ctx, s, p);
			p = end;
			while (*p == ' ')
				p++;
			for (size_t i = 0; i < ELEMENTSOF(units); i++) {
				size_t l = strlen(units[i].unit);

				if (strncmp(p, units[i].unit, l) == 0 && l > best &&
				    (p[l] == '\0' || p[l] == ' ' || (p[l] >= '0' && p[l] <= '9'))) {
					best = l;
					mul = units[i].usec;
				}
			}
			if (!best)
				return time_error(ctx, s, p);
			if (v > (UINT64_MAX - total) / mul)
				return time_error(ctx, s, p);
			total += v * mul;
			p += best;
		}
		if (!neg && !ago)
			return time_error(ctx, s, s);
		*out = total > now_usec ? 0 : now_usec - total;
		return 0;
	}
	{
		const char *end = strptime(p, "%Y-%m-%d", &tm);

		if (!end)
			return time_error(ctx, s, p);
		if (*end == ' ' || *end == 'T') {
			const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);

			if (!e2)
				e2 = strptime(end + 1, "%H:%M", &tm);
			if (!e2)
				return time_error(ctx, s, end + 1);
			end = e2;
		}
		if (*end)
			return time_error(ctx, s, end);
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1 || t < 0)
			return time_error(ctx, s, s);
		*out = (uint64_t)t * 1000000;
	}
	return 0;
}
