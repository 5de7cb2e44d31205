/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/nsswitch.conf as glibc reads it, and the `nss` checks: homed users resolve through nss-systemd, so the
 * passwd: and group: lines must reach "systemd" for a user the sources before it do not know.
 *
 * Parsing follows glibc's nss/nss_database.c (process_line) and nss/nss_action_parse.c (2.33 and later):
 *  - a line is `<database>` then any run of blanks and ':' then the services; the database name is
 *    case-sensitive; an unknown name (sudoers, automount …) is ignored; when a database has several lines the
 *    last one counts (older glibc took the first);
 *  - a service is a run of characters up to a blank or '['; each service starts with SUCCESS=return and
 *    NOTFOUND/UNAVAIL/TRYAGAIN=continue; "[STATUS=action …]" after it changes that (STATUS: SUCCESS NOTFOUND
 *    UNAVAIL TRYAGAIN, action: return continue merge, case-insensitive; "!STATUS=action" sets every other status);
 *    a '[' where a service name is expected ends the list;
 *  - an unknown status or action makes glibc 2.33+ reject the whole file: every NSS lookup then fails;
 *  - '#' starts a comment (older glibc cut lines there; newer glibc happens to treat "#…" as service names of
 *    modules that do not exist, with the same effect for everything before it).
 * shadow: falls back to the passwd: line and gshadow: to group: when they are missing (nss_database_reload).
 *
 * nss-systemd serves shadow and gshadow since systemd 249 (systemd/systemd#19545), so those two lines are only a
 * recommendation (WARN) from that version on.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

static const char nsswitch_path[] = "/etc/nsswitch.conf";

/* databases.def of glibc */
static const char *const glibc_databases[] = {
	"aliases", "ethers", "group", "group_compat", "gshadow", "hosts", "initgroups", "netgroup", "networks",
	"passwd", "passwd_compat", "protocols", "publickey", "rpc", "services", "shadow", "shadow_compat", NULL,
};

/* Services that are not near-misses of "systemd" even when they look a bit alike. */
static const char *const known_services[] = {
	"files", "compat", "db", "dns", "nis", "nisplus", "ldap", "sss", "winbind", "wins", "mymachines",
	"myhostname", "resolve", "mdns", "mdns4", "mdns6", "mdns_minimal", "mdns4_minimal", "mdns6_minimal",
	"altfiles", "extrausers", "cache", "usrfiles", "hesiod", "lwres", "libvirt", "libvirt_guest", "docker",
	"oslogin", "cockpit", "kanidm", "himmelblau", NULL,
};

static bool in_list(const char *const *list, const char *s, size_t n)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return true;
	return false;
}

void hs_nsswitch_free(hs_nsswitch *nss)
{
	if (!nss)
		return;
	for (size_t i = 0; i < nss->n; i++) {
		hs_nss_line *l = &nss->v[i];

		for (size_t k = 0; k < l->n; k++) {
			free(l->v[k].name);
			free(l->v[k].criteria);
		}
		free(l->v);
		free(l->db);
		free(l->text);
		free(l->error);
		free(l->comment);
	}
	free(nss->v);
	*nss = (hs_nsswitch){0};
}

static bool blank(char c)
{
	/* isspace() in the C locale */
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int set_error(hs_nss_line *l, const char *fmt, ...) _printf_(2, 3);
static int set_error(hs_nss_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->error)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&l->error, fmt, ap);
	va_end(ap);
	if (n < 0) {
		l->error = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* "[STATUS=action …]" starting at s[*i] == '['. 1: parsed; 0: rejected (l->error set). */
static int parse_criteria(hs_nss_line *l, hs_nss_service *svc, const char *s, size_t n, size_t *i)
{
	static const char *const statuses[] = { "SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN" };
	size_t p = *i + 1, start = *i;
	int r;

	while (p < n && blank(s[p]))
		p++;
	do {
		bool neg = p < n && s[p] == '!';
		size_t name, nlen, act, alen;
		int status = -1, action = -1;

		if (neg)
			p++;
		name = p;
		while (p < n && !blank(s[p]) && s[p] != '=' && s[p] != ']')
			p++;
		nlen = p - name;
		for (int k = 0; k < 4; k++)
			if (strlen(statuses[k]) == nlen && strncasecmp(s + name, statuses[k], nlen) == 0)
				status = k;
		if (status < 0) {
			_cleanup_free_ char *q = hs_escape(s + name, nlen, 40);

			if (!q)
				return -ENOMEM;
			r = set_error(l, nlen ? "unknown status '%s' at column %zu (SUCCESS, NOTFOUND, UNAVAIL or "
				      "TRYAGAIN)" : "missing status%s at column %zu (or an unclosed '[')", q, name + 1);
			return r < 0 ? r : 0;
		}
		while (p < n && blank(s[p]))
			p++;
		if (p >= n || s[p] != '=') {
			r = set_error(l, "missing '=' after '%s' at column %zu", statuses[status], p + 1);
			return r < 0 ? r : 0;
		}
		p++;
		while (p < n && blank(s[p]))
			p++;
		act = p;
		while (p < n && !blank(s[p]) && s[p] != '=' && s[p] != ']')
			p++;
		alen = p - act;
		if (alen == 6 && strncasecmp(s + act, "return", 6) == 0)
			action = HS_NSS_RETURN;
		else if (alen == 8 && strncasecmp(s + act, "continue", 8) == 0)
			action = HS_NSS_CONTINUE;
		else if (alen == 5 && strncasecmp(s + act, "merge", 5) == 0)
			action = HS_NSS_MERGE;
		if (action < 0) {
			_cleanup_free_ char *q = hs_escape(s + act, alen, 40);

			if (!q)
				return -ENOMEM;
			r = set_error(l, alen ? "unknown action '%s' at column %zu (return, continue or merge)" :
				      "missing action%s at column %zu", q, act + 1);
			return r < 0 ? r : 0;
		}
		if (neg) {
			unsigned char keep = svc->action[status];

			for (int k = 0; k < 4; k++)
				svc->action[k] = (unsigned char)action;
			svc->action[status] = keep;
		} else {
			svc->action[status] = (unsigned char)action;
		}
		while (p < n && blank(s[p]))
			p++;
	} while (p < n && s[p] != ']');
	if (p >= n) {
		r = set_error(l, "'[' at column %zu is not closed", start + 1);
		return r < 0 ? r : 0;
	}
	p++;
	free(svc->criteria);
	svc->criteria = hs_strndup(s + start, p - start);
	if (!svc->criteria)
		return -ENOMEM;
	svc->criteria_column = (unsigned)start + 1;
	svc->criteria_len = p - start;
	*i = p;
	return 1;
}

static int parse_line(hs_nsswitch *out, unsigned lineno, const char *s, size_t n)
{
	size_t i = 0, name, nlen, cut = n;
	hs_nss_line *l;
	int r;

	/* glibc stops at a NUL (C strings); '#' starts a comment */
	for (size_t k = 0; k < n; k++)
		if (s[k] == '\0' || s[k] == '#') {
			cut = k;
			break;
		}
	while (i < cut && blank(s[i]))
		i++;
	name = i;
	while (i < cut && !blank(s[i]) && s[i] != ':')
		i++;
	nlen = i - name;
	if (i >= cut || nlen == 0)
		return 0; /* a syntax error glibc skips (or a blank or comment line) */

	if (out->n == out->cap) {
		size_t cap = out->cap ? 2 * out->cap : 16;
		hs_nss_line *nv = realloc(out->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		out->v = nv;
		out->cap = cap;
	}
	l = &out->v[out->n++];
	*l = (hs_nss_line){ .line = lineno };
	l->db = hs_strndup(s + name, nlen);
	l->text = hs_strndup(s, cut < n && s[cut] == '\0' ? cut : n);
	if (!l->db || !l->text)
		return -ENOMEM;
	if (cut < n && s[cut] == '#') {
		l->comment = hs_strndup(s + cut, n - cut);
		if (!l->comment)
			return -ENOMEM;
		l->comment_column = (unsigned)cut + 1;
	}
	l->known = in_list(glibc_databases, s + name, nlen);
	while (i < cut && (blank(s[i]) || s[i] == ':'))
		i++;
	while (i < cut) {
		size_t sv;
		hs_nss_service *svc, *nv;

		while (i < cut && blank(s[i]))
			i++;
		if (i >= cut)
			break;
		sv = i;
		while (i < cut && !blank(s[i]) && s[i] != '[')
			i++;
		if (i == sv) {
			l->stop_column = (unsigned)sv + 1; /* '[' without a service: glibc ignores the rest */
			break;
		}
		nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		svc = &l->v[l->n++];
		*svc = (hs_nss_service){ .column = (unsigned)sv + 1, .len = i - sv };
		svc->action[HS_NSS_SUCCESS] = HS_NSS_RETURN;
		svc->name = hs_strndup(s + sv, i - sv);
		if (!svc->name)
			return -ENOMEM;
		while (i < cut && blank(s[i]))
			i++;
		if (i < cut && s[i] == '[') {
			r = parse_criteria(l, svc, s, cut, &i);
			if (r <= 0)
				return r;
		}
	}
	return 0;
}

int hs_nsswitch_parse(hs_ctx *ctx, const char *buf, size_t len, hs_nsswitch *out)
{
	unsigned lineno = 0;
	int r;

	*out = (hs_nsswitch){0};
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		r = parse_line(out, lineno, buf + pos, n);
		if (r < 0) {
			hs_nsswitch_free(out);
			return hs_ctx_set_error(ctx, r, "%s: %s", nsswitch_path, strerror(-r));
		}
		pos += n + (nl ? 1 : 0);
	}
	return 0;
}

const hs_nss_line *hs_nsswitch_find(const hs_nsswitch *nss, const char *db)
{
	for (size_t i = nss->n; i-- > 0;)
		if (strcmp(nss->v[i].db, db) == 0)
			return &nss->v[i];
	return NULL;
}

/* ---- judging one database --------------------------------------------------------------------------- */

/* Levenshtein distance of two short strings (SIZE_MAX when either is long). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[33], cur[33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*cur));
	}
	return prev[lb];
}

bool hs_nss_is_typo(const char *name)
{
	_cleanup_free_ char *lower = NULL;

	if (strcmp(name, "systemd") == 0 || in_list(known_services, name, strlen(name)))
		return false;
	lower = hs_lower_dup(name);
	if (!lower)
		return false;
	/* "Systemd", "systmed", "sytemd", "systemd-homed", "nss_systemd", "libnss_systemd.so.2", "homed" */
	return distance(lower, "systemd") <= 2 || strstr(lower, "systemd") || strstr(lower, "homed") ||
	       strstr(lower, "systmd") || strstr(lower, "sytemd");
}

void hs_nss_judge(const hs_nss_line *l, hs_nss_verdict *v)
{
	*v = (hs_nss_verdict){ .line = l };
	if (!l) {
		v->state = HS_NSS_NO_LINE;
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const hs_nss_service *s = &l->v[i];

		if (strcmp(s->name, "systemd") == 0) {
			if (!v->systemd)
				v->systemd = s;
			continue;
		}
		if (!v->typo && hs_nss_is_typo(s->name))
			v->typo = s;
		if (v->systemd)
			continue;
		if (!v->files && (strcmp(s->name, "files") == 0 || strcmp(s->name, "compat") == 0))
			v->files = s;
		/* A user only homed knows is NOTFOUND in the sources before systemd (UNAVAIL when one is down). */
		if (!v->blocker && s->action[HS_NSS_NOTFOUND] == HS_NSS_RETURN)
			v->blocker = s;
		if (!v->unavail_blocker && (s->action[HS_NSS_UNAVAIL] == HS_NSS_RETURN ||
					    s->action[HS_NSS_TRYAGAIN] == HS_NSS_RETURN))
			v->unavail_blocker = s;
	}
	if (l->error)
		v->state = HS_NSS_INVALID;
	else if (!v->systemd)
		v->state = v->typo ? HS_NSS_TYPO : HS_NSS_MISSING;
	else if (v->blocker)
		v->state = HS_NSS_BLOCKED;
	else
		v->state = HS_NSS_REACHED;
	v->before_files = v->systemd && !v->files;
	if (v->before_files) {
		/* is there a files/compat at all (after systemd)? */
		bool any = false;

		for (size_t i = 0; i < l->n; i++)
			any = any || strcmp(l->v[i].name, "files") == 0 || strcmp(l->v[i].name, "compat") == 0;
		v->no_files = !any;
	}
}

/* The line without its comment, [from, from+len) replaced by @with, @append added (either may be NULL), blank
 * runs collapsed to one space: the line to suggest. */
static char *edited_line(const hs_nss_line *l, size_t from, size_t len, const char *with, const char *append)
{
	_cleanup_buf_ hs_buf raw = {0}, b = {0};
	size_t n = l->comment_column ? l->comment_column - 1 : strlen(l->text);

	if (from > n)
		from = n;
	if (len > n - from)
		len = n - from;
	if (hs_buf_append(&raw, l->text, from) < 0 || (with && hs_buf_printf(&raw, " %s ", with) < 0) ||
	    hs_buf_append(&raw, l->text + from + len, n - from - len) < 0 ||
	    (append && hs_buf_printf(&raw, " %s", append) < 0))
		return NULL;
	for (size_t i = 0; i < raw.len; i++) {
		if (blank(raw.p[i])) {
			if (b.len && b.p[b.len - 1] != ' ' && hs_buf_putc(&b, ' ') < 0)
				return NULL;
			continue;
		}
		if (hs_buf_putc(&b, raw.p[i]) < 0)
			return NULL;
	}
	while (b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return b.len ? hs_buf_steal(&b) : strdup("");
}

/* A line that looks like it was meant for @db ("Passwd:", "paswd:"): its number, or 0. */
static unsigned misspelt_db(const hs_nsswitch *nss, const char *db, const char **as_written)
{
	for (size_t i = 0; i < nss->n; i++) {
		const hs_nss_line *l = &nss->v[i];

		if (l->known)
			continue;
		if (strcasecmp(l->db, db) == 0 || distance(l->db, db) <= 2) {
			*as_written = l->db;
			return l->line;
		}
	}
	return 0;
}

/* What each database needs (group lines get nss-systemd's recommended merge). */
static const char *recommended(const char *db)
{
	if (strcmp(db, "passwd") == 0)
		return "passwd: files systemd";
	if (strcmp(db, "group") == 0)
		return "group: files [SUCCESS=merge] systemd";
	if (strcmp(db, "shadow") == 0)
		return "shadow: files systemd";
	return "gshadow: files systemd";
}

typedef struct nss_state {
	hs_checker *c;
	hs_nsswitch nss;
	bool have_file;         /* read and parsed */
	int read_r;             /* the read error (not -ENOENT) */
	char *read_error;
	const hs_nss_line *invalid; /* a line of a glibc database glibc rejects (the whole file then fails) */
	bool musl;
} nss_state;

static int add_result(nss_state *S, const char *id, bool required, const char *db, const char *fallback_db)
{
	hs_checker *c = S->c;
	hs_check_status bad = required ? HS_CHECK_FAIL : HS_CHECK_WARN;
	_cleanup_free_ char *fix = NULL, *detail = NULL, *newline = NULL, *dups = NULL;
	const hs_nss_line *l, *used;
	hs_nss_verdict v, first;
	char where[64];

	if (S->musl)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, "a musl libc was found (ld-musl-*.so.1): musl has no "
				      "NSS modules, so nsswitch.conf does not apply", "musl libc: no NSS");
	if (S->read_r < 0)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, S->read_error, "cannot read %s", nsswitch_path);
	if (!S->have_file) {
		if (asprintf(&fix, "create %s with these lines:\n  passwd: files systemd\n  group: files "
			     "[SUCCESS=merge] systemd\n  shadow: files systemd\n  gshadow: files systemd",
			     nsswitch_path) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, bad, fix, "without the file glibc uses \"files\" alone for passwd, group, "
				      "shadow and gshadow", "%s is missing: %s lookups never ask systemd", nsswitch_path,
				      db);
	}
	if (S->invalid) {
		_cleanup_free_ char *q = hs_probe_quote(S->invalid->text, strlen(S->invalid->text));

		if (!q || asprintf(&detail, "%s:%u: %s\n    %s", nsswitch_path, S->invalid->line, S->invalid->error,
				   q) < 0 ||
		    asprintf(&fix, "correct line %u of %s (statuses SUCCESS, NOTFOUND, UNAVAIL, TRYAGAIN; actions "
			     "return, continue, merge)", S->invalid->line, nsswitch_path) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, required ? HS_CHECK_FAIL : HS_CHECK_WARN, fix, detail,
				      "glibc rejects %s (line %u): every user and group lookup fails", nsswitch_path,
				      S->invalid->line);
	}

	l = hs_nsswitch_find(&S->nss, db);
	used = l ? l : fallback_db ? hs_nsswitch_find(&S->nss, fallback_db) : NULL;
	hs_nss_judge(used, &v);
	if (used)
		snprintf(where, sizeof(where), "%s:%u", nsswitch_path, used->line);

	/* earlier lines for the same database: glibc >= 2.33 uses the last, older glibc the first */
	for (size_t i = 0; l && i < S->nss.n; i++) {
		const hs_nss_line *o = &S->nss.v[i];

		if (o == l || strcmp(o->db, db) != 0)
			continue;
		hs_nss_judge(o, &first);
		if (asprintf(&dups, "\nline %u is another %s: line; glibc 2.33 and later use the last one (line %u)%s",
			     o->line, db, l->line, first.state != v.state ? ", older glibc the first, which differs" :
			     "") < 0)
			return -ENOMEM;
		break;
	}
	if (used) {
		_cleanup_free_ char *q = hs_probe_quote(used->text, strlen(used->text));

		if (!q || asprintf(&detail, "%s: %s%s%s%s", where, q,
				   !l ? "\n(there is no " : "", !l ? db : "",
				   !l ? ": line: glibc uses this line for it)" : "") < 0)
			return -ENOMEM;
		if (dups) {
			char *d2 = NULL;

			if (asprintf(&d2, "%s%s", detail, dups) < 0)
				return -ENOMEM;
			free(detail);
			detail = d2;
		}
		if (used->comment && strstr(used->comment, "systemd") && !v.systemd) {
			char *d2 = NULL;

			if (asprintf(&d2, "%s\n'systemd' appears only in the comment that starts at column %u", detail,
				     used->comment_column) < 0)
				return -ENOMEM;
			free(detail);
			detail = d2;
		}
	}

	switch (v.state) {
	case HS_NSS_NO_LINE: {
		const char *written = NULL;
		unsigned at = misspelt_db(&S->nss, db, &written);

		if (at) {
			if (asprintf(&fix, "edit %s line %u: the database is spelt '%s' (names are case-sensitive)",
				     nsswitch_path, at, db) < 0)
				return -ENOMEM;
			return hs_checker_add(c, id, bad, fix, NULL, "%s has no %s: line; line %u says '%s:', which "
					      "glibc does not know", nsswitch_path, db, at, written);
		}
		if (asprintf(&fix, "add this line to %s: %s", nsswitch_path, recommended(db)) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, bad, fix, NULL, "%s has no %s: line: glibc uses \"files\" only",
				      nsswitch_path, db);
	}
	case HS_NSS_INVALID: /* handled above for the whole file */
	case HS_NSS_TYPO: {
		const char *what = l ? db : fallback_db;

		newline = edited_line(used, v.typo->column - 1, v.typo->len, "systemd", NULL);
		if (!newline || asprintf(&fix, "edit %s line %u to read: %s", nsswitch_path, used->line, newline) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, bad, fix, detail, "typo on the %s: line: '%s' (column %u) should be "
				      "'systemd'", what, v.typo->name, v.typo->column);
	}
	case HS_NSS_MISSING:
		newline = edited_line(used, 0, 0, NULL, strcmp(db, "group") == 0 && used->n &&
				      !used->v[used->n - 1].criteria ? "[SUCCESS=merge] systemd" : "systemd");
		if (!newline)
			return -ENOMEM;
		if (!l) {
			if (asprintf(&fix, "add this line to %s: %s", nsswitch_path, recommended(db)) < 0)
				return -ENOMEM;
			return hs_checker_add(c, id, bad, fix, detail, "no %s: line, and the %s: line it falls back to "
					      "has no systemd", db, fallback_db);
		}
		if (asprintf(&fix, "edit %s line %u to read: %s", nsswitch_path, used->line, newline) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, bad, fix, detail, "the %s: line has no systemd: %s never asks "
				      "nss-systemd", db, required ? "homed users and groups are unknown, since glibc" :
				      "glibc");
	case HS_NSS_BLOCKED:
		newline = edited_line(used, v.blocker->criteria_column - 1, v.blocker->criteria_len, "", NULL);
		if (!newline || asprintf(&fix, "remove '%s' after '%s' on line %u of %s, which then reads: %s",
					 v.blocker->criteria, v.blocker->name, used->line, nsswitch_path, newline) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, bad, fix, detail, "systemd is on the %s: line, but '%s %s' ends the lookup "
				      "before it for a user '%s' does not know", l ? db : fallback_db, v.blocker->name,
				      v.blocker->criteria, v.blocker->name);
	case HS_NSS_REACHED:
		break;
	}

	/* systemd is there and reached for unknown users: now the finer points */
	if (v.typo) {
		newline = edited_line(used, v.typo->column - 1, v.typo->len, "", NULL);
		if (!newline || asprintf(&fix, "edit %s line %u to read: %s", nsswitch_path, used->line, newline) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, HS_CHECK_WARN, fix, detail, "the %s: line has systemd, and also '%s' "
				      "(column %u), a module that does not exist", l ? db : fallback_db, v.typo->name,
				      v.typo->column);
	}
	if (v.no_files) {
		if (asprintf(&fix, "edit %s line %u to read: %s", nsswitch_path, used->line, recommended(db)) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, HS_CHECK_WARN, fix, detail, "the %s: line has systemd but neither files "
				      "nor compat: the accounts in /etc/%s are not found", l ? db : fallback_db,
				      l ? db : fallback_db);
	}
	if (v.before_files) {
		if (asprintf(&fix, "edit %s line %u: move systemd after files (nss-systemd(8)): %s", nsswitch_path,
			     used->line, recommended(db)) < 0)
			return -ENOMEM;
		return hs_checker_add(c, id, HS_CHECK_WARN, fix, detail, "systemd comes before files on the %s: line: "
				      "entries from nss-systemd would take precedence over /etc", l ? db : fallback_db);
	}
	if (v.unavail_blocker) {
		char *d2 = NULL;

		if (asprintf(&d2, "%s\nnote: when '%s' is unavailable the lookup ends there (%s)", detail,
			     v.unavail_blocker->name, v.unavail_blocker->criteria ? v.unavail_blocker->criteria : "") < 0)
			return -ENOMEM;
		free(detail);
		detail = d2;
	}
	if (dups && first.state != v.state)
		return hs_checker_add(c, id, HS_CHECK_WARN, "delete the earlier duplicate line", detail,
				      "systemd is on the last %s: line, but an earlier %s: line without it is what "
				      "glibc before 2.33 uses", db, db);
	return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail, "%s: line has systemd after %s%s", l ? db : fallback_db,
			      v.files->name, l ? "" : " (no own line: glibc uses it for this database)");
}

/* A musl system has ld-musl-<arch>.so.1 in /lib (or /usr/lib); glibc's NSS does not exist there. */
static bool is_musl(hs_ctx *ctx)
{
	static const char *const dirs[] = { "/lib", "/usr/lib", NULL };
	bool found = false;

	for (size_t i = 0; dirs[i] && !found; i++) {
		struct dirent *de;
		DIR *d;
		int fd = hs_root_open(ctx, HS_ROOT_SYS, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			continue;
		}
		while (!found && (de = readdir(d)))
			found = strncmp(de->d_name, "ld-musl-", 8) == 0;
		closedir(d);
	}
	hs_ctx_clear_error(ctx);
	return found;
}

static int check_module(nss_state *S)
{
	static const char *const dirs[] = { "/usr/lib64", "/lib64", "/usr/lib", "/lib", NULL };
	_cleanup_free_ char *found = NULL;
	hs_ctx *ctx = hs_checker_ctx(S->c);
	int r;

	if (S->musl)
		return hs_checker_add(S->c, "nss.module", HS_CHECK_SKIP, NULL, "musl has no NSS modules",
				      "musl libc: no NSS");
	r = hs_probe_find_file(ctx, dirs, "libnss_systemd.so.2", &found);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(S->c, "nss.module", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
				      "cannot look for libnss_systemd.so.2");
	if (r == 0)
		return hs_checker_add(S->c, "nss.module", HS_CHECK_FAIL, "emerge --ask --oneshot sys-apps/systemd",
				      "looked in /usr/lib64, /lib64, /usr/lib and /lib",
				      "libnss_systemd.so.2 (nss-systemd) is not installed");
	return hs_checker_add(S->c, "nss.module", HS_CHECK_OK, NULL, NULL, "nss-systemd is installed: %s", found);
}

/* shadow/gshadow: nss-systemd serves them since systemd 249. */
static int add_shadowish(nss_state *S, const char *id, const char *db, const char *fallback)
{
	static const char key_v249[] = "249";
	_cleanup_(hs_version_freep) hs_version *v249 = NULL;
	const hs_installed *sd = NULL;
	hs_ctx *ctx = hs_checker_ctx(S->c);
	int r;

	if (!hs_checker_wants(S->c, id))
		return 0;
	r = hs_probe_installed(S->c, "sys-apps/systemd", &sd);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(S->c, id, HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
				      "cannot read the installed package database");
	if (!sd)
		return hs_checker_add(S->c, id, HS_CHECK_SKIP, NULL, "nss-systemd serves shadow and gshadow from "
				      "systemd 249 on", "sys-apps/systemd is not installed: cannot tell whether "
				      "nss-systemd serves %s", db);
	r = hs_version_parse(NULL, &v249, key_v249, strlen(key_v249));
	if (r < 0)
		return r;
	if (hs_version_compare(hs_installed_version(sd), v249) < 0)
		return hs_checker_add(S->c, id, HS_CHECK_OK, NULL, "nss-systemd serves shadow and gshadow from "
				      "systemd 249 on", "%s: line needs no systemd with systemd %s", db,
				      hs_version_str(hs_installed_version(sd)));
	return add_result(S, id, false, db, fallback);
}

int hs_check_group_nss(hs_checker *c)
{
	_cleanup_free_ char *buf = NULL;
	hs_ctx *ctx = hs_checker_ctx(c);
	nss_state S = { .c = c };
	size_t len = 0;
	int r;

	S.musl = is_musl(ctx);
	if (!S.musl) {
		r = hs_root_read_file(ctx, HS_ROOT_SYS, nsswitch_path, HS_GETCONFIG_MAX_FILE, &buf, &len);
		if (r == -ENOMEM)
			return r;
		if (r < 0 && r != -ENOENT) {
			S.read_r = r;
			S.read_error = strdup(*hs_ctx_last_error(ctx) ? hs_ctx_last_error(ctx) : strerror(-r));
			if (!S.read_error)
				return -ENOMEM;
		} else if (r == 0) {
			r = hs_nsswitch_parse(ctx, buf, len, &S.nss);
			if (r < 0)
				goto out;
			S.have_file = true;
			for (size_t i = 0; i < S.nss.n && !S.invalid; i++)
				if (S.nss.v[i].error && S.nss.v[i].known)
					S.invalid = &S.nss.v[i];
		}
	}
	r = add_result(&S, "nss.passwd", true, "passwd", NULL);
	if (r >= 0)
		r = add_result(&S, "nss.group", true, "group", NULL);
	if (r >= 0)
		r = add_shadowish(&S, "nss.shadow", "shadow", "passwd");
	if (r >= 0)
		r = add_shadowish(&S, "nss.gshadow", "gshadow", "group");
	if (r >= 0)
		r = check_module(&S);
out:
	hs_nsswitch_free(&S.nss);
	free(S.read_error);
	return r;
}
