/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/pam.d/system-auth as Linux-PAM reads it, and the `pam` checks.
 *
 * sys-auth/pambase[homed] puts one pam_systemd_home.so line right before the pam_unix.so line of each of the four
 * stacks (gentoo/pambase templates/system-auth.tpl and system-session.tpl):
 *
 *   auth      [success=2 default=ignore]  pam_systemd_home.so   (jumps over pam_unix and "pam_faillock authfail")
 *   account   [success=1 default=ignore]  pam_systemd_home.so   (2 with sssd)
 *   password  [success=1 default=ignore]  pam_systemd_home.so
 *   session   [success=1 default=ignore]  pam_systemd_home.so
 *
 * Rather than compare text, the check follows what PAM does: for a homed user the jump must land past pam_unix
 * and at least where pam_unix's own success lands (so it skips the failure handler pam_unix skips, e.g. auth's
 * "[default=die] pam_faillock.so authfail"), never on pam_deny.so; for every other user pam_systemd_home returns
 * PAM_USER_UNKNOWN, which must be ignored. Jumps count the lines of the same type (Linux-PAM builds one handler
 * list per type); an "include" inlines another file's lines, so a jump across one cannot be verified here.
 *
 * Syntax (Linux-PAM libpam/pam_handlers.c): "type control module [arguments]"; '#' starts a comment; a
 * backslash at the end of a line joins the next one; a leading '-' on the type means "ignore a missing module";
 * types and control keywords are case-insensitive; "[value=action …]" controls, where a value not listed takes
 * "default", and without "default" the action is "bad".
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

static const char system_auth[] = "/etc/pam.d/system-auth";
static const char *const pam_types[] = { "auth", "account", "password", "session" };

/* what pambase[homed] writes, per type */
static const char *const pambase_lines[] = {
	"auth\t\t[success=2 default=ignore]\tpam_systemd_home.so",
	"account\t\t[success=1 default=ignore]\tpam_systemd_home.so",
	"password\t[success=1 default=ignore]\tpam_systemd_home.so",
	"session\t\t[success=1 default=ignore]\tpam_systemd_home.so",
};

void hs_pam_conf_free(hs_pam_conf *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < pc->n; i++) {
		hs_pam_line *l = &pc->v[i];

		free(l->text);
		free(l->type);
		free(l->control);
		free(l->module);
		free(l->args);
		free(l->values);
	}
	free(pc->v);
	*pc = (hs_pam_conf){0};
}

static bool pam_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const struct {
	const char *name;
	int action;
} keywords[] = {
	{ "ignore", HS_PAM_IGNORE }, { "ok", HS_PAM_OK }, { "done", HS_PAM_DONE },
	{ "bad", HS_PAM_BAD }, { "die", HS_PAM_DIE }, { "reset", HS_PAM_RESET },
};

/* "[success=2 default=ignore]" → values; 0 or -EINVAL with the column of the bad token in *errcol. */
static int parse_bracket(hs_pam_line *l, const char *s, size_t n, size_t base_col, size_t *errcol)
{
	size_t i = 1;

	while (i < n - 1) {
		size_t k, kl, v, vl;
		int act = 0;
		hs_pam_value *nv;

		while (i < n - 1 && pam_blank(s[i]))
			i++;
		if (i >= n - 1)
			break;
		k = i;
		while (i < n - 1 && !pam_blank(s[i]) && s[i] != '=')
			i++;
		kl = i - k;
		if (i >= n - 1 || s[i] != '=' || kl == 0) {
			*errcol = base_col + k;
			return -EINVAL;
		}
		v = ++i;
		while (i < n - 1 && !pam_blank(s[i]))
			i++;
		vl = i - v;
		for (size_t a = 0; a < ELEMENTSOF(keywords); a++)
			if (strlen(keywords[a].name) == vl && strncasecmp(s + v, keywords[a].name, vl) == 0)
				act = keywords[a].action;
		if (!act) {
			unsigned long jump = 0;

			for (size_t d = 0; d < vl; d++) {
				if (!isdigit((unsigned char)s[v + d]) || jump > 1000) {
					jump = 0;
					break;
				}
				jump = jump * 10 + (unsigned long)(s[v + d] - '0');
			}
			if (jump == 0) { /* "0" is treated as ignore by Linux-PAM, but a typo is likelier */
				*errcol = base_col + v;
				return -EINVAL;
			}
			act = (int)jump;
		}
		nv = realloc(l->values, (l->n_values + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->values = nv;
		nv[l->n_values].name_off = k;
		nv[l->n_values].name_len = kl;
		nv[l->n_values].action = act;
		l->n_values++;
	}
	return 0;
}

int hs_pam_action(const hs_pam_line *l, const char *value)
{
	static const struct {
		const char *kw;
		int success, dflt;
	} simple[] = {
		{ "required", HS_PAM_OK, HS_PAM_BAD },
		{ "requisite", HS_PAM_OK, HS_PAM_DIE },
		{ "sufficient", HS_PAM_DONE, HS_PAM_IGNORE },
		{ "optional", HS_PAM_OK, HS_PAM_IGNORE },
	};
	int dflt = 0;

	if (l->control[0] != '[') {
		for (size_t i = 0; i < ELEMENTSOF(simple); i++)
			if (strcasecmp(l->control, simple[i].kw) == 0) {
				if (strcmp(value, "success") == 0 || strcmp(value, "new_authtok_reqd") == 0)
					return simple[i].success;
				if (strcmp(value, "ignore") == 0 && i != 2)
					return HS_PAM_IGNORE;
				return simple[i].dflt;
			}
		return HS_PAM_BAD; /* include/substack or unknown: not a plain module */
	}
	for (size_t i = 0; i < l->n_values; i++) {
		const hs_pam_value *v = &l->values[i];
		const char *name = l->control + v->name_off;

		if (v->name_len == strlen(value) && strncasecmp(name, value, v->name_len) == 0)
			return v->action;
		if (v->name_len == 7 && strncasecmp(name, "default", 7) == 0)
			dflt = v->action;
	}
	return dflt ? dflt : HS_PAM_BAD;
}

static int parse_logical(hs_pam_conf *out, unsigned lineno, const char *s, size_t n)
{
	const char *tok[3];
	size_t tl[3], i = 0, nt = 0;
	hs_pam_line *l;
	int r;

	/* tokens: type, control (a bracket may contain blanks), module; then the arguments */
	while (nt < 3) {
		while (i < n && pam_blank(s[i]))
			i++;
		if (i >= n)
			break;
		tok[nt] = s + i;
		if (nt == 1 && s[i] == '[') {
			while (i < n && s[i] != ']')
				i += s[i] == '\\' && i + 1 < n ? 2 : 1;
			if (i < n)
				i++;
		} else {
			while (i < n && !pam_blank(s[i]))
				i++;
		}
		tl[nt] = (size_t)(s + i - tok[nt]);
		nt++;
	}
	if (nt == 0)
		return 0;
	if (out->n == out->cap) {
		size_t cap = out->cap ? 2 * out->cap : 32;
		hs_pam_line *nv = realloc(out->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		out->v = nv;
		out->cap = cap;
	}
	l = &out->v[out->n++];
	*l = (hs_pam_line){ .line = lineno };
	l->text = hs_strndup(s, n);
	if (!l->text)
		return -ENOMEM;
	{
		const char *t = tok[0];
		size_t len = tl[0];

		if (len && t[0] == '-') {
			l->dash = true;
			t++;
			len--;
		}
		l->type = hs_strndup(t, len);
		if (!l->type)
			return -ENOMEM;
		for (char *p = l->type; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (strcmp(l->type, "@include") == 0) {
		l->include = true;
		return 0;
	}
	if (nt < 3) {
		l->bad = true;
		return 0;
	}
	l->control = hs_strndup(tok[1], tl[1]);
	l->module = hs_strndup(tok[2], tl[2]);
	while (i < n && pam_blank(s[i]))
		i++;
	l->args = hs_strndup(s + i, n - i);
	if (!l->control || !l->module || !l->args)
		return -ENOMEM;
	while (l->args[0] && pam_blank(l->args[strlen(l->args) - 1]))
		l->args[strlen(l->args) - 1] = '\0';
	if (strcasecmp(l->control, "include") == 0 || strcasecmp(l->control, "substack") == 0) {
		l->include = true;
		return 0;
	}
	if (l->control[0] == '[') {
		size_t errcol = 0;

		if (tl[1] < 2 || l->control[tl[1] - 1] != ']') {
			l->bad = true;
			return 0;
		}
		r = parse_bracket(l, l->control, tl[1], (size_t)(tok[1] - s) + 1, &errcol);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			l->bad = true;
			l->bad_column = (unsigned)errcol;
		}
	} else {
		static const char *const simple[] = { "required", "requisite", "sufficient", "optional" };
		bool ok = false;

		for (size_t k = 0; k < ELEMENTSOF(simple); k++)
			ok = ok || strcasecmp(l->control, simple[k]) == 0;
		l->bad = !ok;
	}
	return 0;
}

int hs_pam_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_pam_conf *out)
{
	_cleanup_buf_ hs_buf logical = {0};
	unsigned lineno = 0, first = 0;
	int r;

	*out = (hs_pam_conf){0};
	for (size_t pos = 0; pos < len;) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, cut = n;
		bool cont;

		pos += n + (nl ? 1 : 0);
		lineno++;
		for (size_t k = 0; k < n; k++)
			if (s[k] == '#' || s[k] == '\0') {
				cut = k;
				break;
			}
		cont = cut == n && n > 0 && s[n - 1] == '\\';
		if (!logical.len)
			first = lineno;
		r = hs_buf_append(&logical, s, cont ? n - 1 : cut);
		if (r >= 0 && cont)
			r = hs_buf_putc(&logical, ' ');
		if (r < 0)
			goto fail;
		if (cont && pos < len)
			continue;
		r = parse_logical(out, first, logical.p ? logical.p : "", logical.len);
		if (r < 0)
			goto fail;
		hs_buf_free(&logical);
	}
	return 0;
fail:
	hs_pam_conf_free(out);
	return hs_ctx_set_error(ctx, r, "%s: %s", path, strerror(-r));
}

/* ---- the checks --------------------------------------------------------------------------------------- */

static const char *base(const char *module)
{
	const char *s = strrchr(module, '/');

	return s ? s + 1 : module;
}

static bool is_module(const hs_pam_line *l, const char *name)
{
	return l->module && strcmp(base(l->module), name) == 0;
}

/* The lines of one type, as indexes into pc->v. */
typedef struct stack {
	size_t idx[256];
	size_t n;
} stack;

static void stack_of(const hs_pam_conf *pc, const char *type, stack *st)
{
	st->n = 0;
	for (size_t i = 0; i < pc->n && st->n < ELEMENTSOF(st->idx); i++)
		if (!pc->v[i].bad && strcmp(pc->v[i].type, type) == 0)
			st->idx[st->n++] = i;
}

static const char *action_name(int a, char *buf, size_t size)
{
	for (size_t i = 0; i < ELEMENTSOF(keywords); i++)
		if (keywords[i].action == a)
			return keywords[i].name;
	snprintf(buf, size, "jump %d", a);
	return buf;
}

/* One problem found in a stack; the worst decides. */
typedef struct finding {
	hs_check_status st;
	char *text;
} finding;

typedef struct judge {
	finding f[16];
	size_t n;
	hs_check_status worst;
	unsigned ok_types;
} judge;

static int note(judge *J, hs_check_status st, const char *fmt, ...) _printf_(3, 4);
static int note(judge *J, hs_check_status st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (J->n == ELEMENTSOF(J->f))
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&J->f[J->n].text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	J->f[J->n++].st = st;
	if (st == HS_CHECK_FAIL || (st == HS_CHECK_WARN && J->worst == HS_CHECK_OK))
		J->worst = st;
	return 0;
}

static int judge_stack(const hs_pam_conf *pc, const char *type, judge *J)
{
	const hs_pam_line *L[256];
	stack st;
	size_t h = SIZE_MAX, u = SIZE_MAX, n;
	char b1[32], b2[32];
	int act, r;

	stack_of(pc, type, &st);
	n = st.n;
	for (size_t i = 0; i < n; i++) {
		L[i] = &pc->v[st.idx[i]];
		if (h == SIZE_MAX && is_module(L[i], "pam_systemd_home.so"))
			h = i;
		if (u == SIZE_MAX && is_module(L[i], "pam_unix.so"))
			u = i;
	}
	if (h == SIZE_MAX)
		return note(J, HS_CHECK_FAIL, "%s: no pam_systemd_home.so line", type);

	/* users that are not homed's: pam_systemd_home returns PAM_USER_UNKNOWN, which must be ignored */
	act = hs_pam_action(L[h], "user_unknown");
	if (act == HS_PAM_BAD || act == HS_PAM_DIE)
		return note(J, HS_CHECK_FAIL, "line %u: '%s %s pam_systemd_home.so' refuses every user that homed "
			    "does not manage (PAM_USER_UNKNOWN → %s)", L[h]->line, L[h]->type, L[h]->control,
			    action_name(act, b1, sizeof(b1)));
	if (u == SIZE_MAX) {
		J->ok_types++;
		return note(J, HS_CHECK_OK, "%s: line %u has pam_systemd_home.so (no pam_unix.so line in this stack)",
			    type, L[h]->line);
	}
	if (h > u) {
		int ua = hs_pam_action(L[u], "auth_err");

		if (ua == HS_PAM_BAD || ua == HS_PAM_DIE)
			return note(J, HS_CHECK_FAIL, "%s: pam_systemd_home.so (line %u) comes after pam_unix.so "
				    "(line %u), whose failure is final (%s): homed users fail there first", type,
				    L[h]->line, L[u]->line, L[u]->control);
		return note(J, HS_CHECK_WARN, "%s: pam_systemd_home.so (line %u) comes after pam_unix.so (line %u); "
			    "pambase puts it right before", type, L[h]->line, L[u]->line);
	}
	act = hs_pam_action(L[h], "success");
	if (act > 0) {
		size_t t = h + 1 + (size_t)act, unix_target;
		int ua = hs_pam_action(L[u], "success");

		/* where pam_unix's own success lands; SIZE_MAX: it ends the stack ("done") */
		unix_target = ua > 0 ? u + 1 + (size_t)ua : ua == HS_PAM_DONE ? SIZE_MAX : u + 1;
		for (size_t k = h + 1; k < t && k < n; k++)
			if (L[k]->include)
				return note(J, HS_CHECK_WARN, "%s: the jump of line %u (%s) crosses '%s' on line %u, "
					    "whose lines cannot be counted here", type, L[h]->line, L[h]->control,
					    L[k]->text, L[k]->line);
		if (t <= u)
			return note(J, HS_CHECK_FAIL, "%s: line %u jumps %d line%s and lands on line %u (%s), before "
				    "pam_unix.so is skipped: homed users then fail in pam_unix", type, L[h]->line, act,
				    act == 1 ? "" : "s", L[t]->line, base(L[t]->module));
		if (t < n && is_module(L[t], "pam_deny.so"))
			return note(J, HS_CHECK_FAIL, "%s: line %u jumps to pam_deny.so (line %u)", type, L[h]->line,
				    L[t]->line);
		if (unix_target != SIZE_MAX && t < unix_target && t < n)
			return note(J, HS_CHECK_FAIL, "%s: line %u jumps %d and lands on line %u ('%s %s'), which "
				    "pam_unix.so itself skips on success: use success=%zu", type, L[h]->line, act,
				    L[t]->line, L[t]->control, base(L[t]->module), unix_target - h - 1);
		if (unix_target == SIZE_MAX && t < n)
			return note(J, HS_CHECK_WARN, "%s: line %u lands on line %u, while pam_unix.so ends the stack on "
				    "success (%s)", type, L[h]->line, L[t]->line, L[u]->control);
		if (t > n)
			return note(J, HS_CHECK_WARN, "%s: line %u jumps %d, past the end of the %s stack (%zu more "
				    "line%s)", type, L[h]->line, act, type, n - h - 1, n - h - 1 == 1 ? "" : "s");
		J->ok_types++;
		return note(J, HS_CHECK_OK, "%s: line %u, before pam_unix.so (line %u), jumps past it", type,
			    L[h]->line, L[u]->line);
	}
	if (act == HS_PAM_DONE) {
		J->ok_types++;
		return note(J, HS_CHECK_OK, "%s: line %u (%s) ends the stack for homed users (pambase jumps instead)",
			    type, L[h]->line, L[h]->control);
	}
	r = note(J, HS_CHECK_WARN, "%s: after a successful pam_systemd_home.so (line %u, success → %s) pam_unix.so "
		 "(line %u) runs too; pambase jumps over it", type, L[h]->line, action_name(act, b2, sizeof(b2)),
		 L[u]->line);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ._cfgNNNN_<name> files in /etc/pam.d (Portage's new_protect_filename) */
static int pending_updates(hs_ctx *ctx, char ***out)
{
	_cleanup_(hs_strv_freep) char **names = calloc(1, sizeof(char *));
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!names)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_SYS, "/etc/pam.d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "/etc/pam.d: %s", strerror(-r));
	}
	while ((errno = 0, de = readdir(d))) {
		const char *s = de->d_name;

		if (strncmp(s, "._cfg", 5) != 0 || strlen(s) < 11 || s[9] != '_' || !isdigit((unsigned char)s[5]) ||
		    !isdigit((unsigned char)s[6]) || !isdigit((unsigned char)s[7]) || !isdigit((unsigned char)s[8]))
			continue;
		r = hs_strv_push(&names, s, strlen(s));
		if (r < 0)
			break;
	}
	if (r == 0 && errno)
		r = hs_ctx_set_error(ctx, -errno, "/etc/pam.d: %s", strerror(errno));
	closedir(d);
	if (r < 0)
		return r;
	qsort(names, hs_strv_length(names), sizeof(char *), cmp_str);
	*out = TAKE_PTR(names);
	return 0;
}

/* The fix for missing or wrong lines: from what is installed and pending. */
static int lines_fix(hs_checker *c, char *const *pending, char **out)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const hs_installed *pb = NULL;
	const char *newest = NULL;
	int r;

	for (size_t i = 0; pending && pending[i]; i++)
		if (strcmp(pending[i] + 10, "system-auth") == 0)
			newest = pending[i];
	if (newest) {
		_cleanup_free_ char *p = NULL, *buf = NULL;

		if (asprintf(&p, "/etc/pam.d/%s", newest) < 0)
			return -ENOMEM;
		if (hs_root_read_file(ctx, HS_ROOT_SYS, p, 1u << 20, &buf, NULL) == 0 && strstr(buf, "pam_systemd_home"))
			return asprintf(out, "dispatch-conf (or etc-update): Portage's update %s has the "
					"pam_systemd_home.so lines", p) < 0 ? -ENOMEM : 0;
	}
	r = hs_probe_installed(c, "sys-auth/pambase", &pb);
	if (r == -ENOMEM)
		return r;
	if (pb && hs_useset_has(hs_installed_use(pb), "homed", 5))
		return asprintf(out, "put pambase's lines back: emerge --ask --oneshot sys-auth/pambase, then "
				"dispatch-conf; or add these lines to %s, each right before the pam_unix.so line of its "
				"type:\n  %s\n  %s\n  %s\n  %s", system_auth, pambase_lines[0], pambase_lines[1],
				pambase_lines[2], pambase_lines[3]) < 0 ? -ENOMEM : 0;
	return asprintf(out, "echo 'sys-auth/pambase homed' >> /etc/portage/package.use/systemd-homed && emerge "
			"--ask %s--changed-use sys-auth/pambase && dispatch-conf", pb ? "--oneshot " : "") < 0 ?
		-ENOMEM : 0;
}

static int check_system_auth(hs_checker *c, char *const *pending)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_free_ char *buf = NULL, *fix = NULL;
	_cleanup_buf_ hs_buf detail = {0};
	hs_pam_conf pc = {0};
	judge J = { .worst = HS_CHECK_OK };
	size_t len = 0;
	int r;

	r = hs_root_read_file(ctx, HS_ROOT_SYS, system_auth, HS_GETCONFIG_MAX_FILE, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT) {
		r = lines_fix(c, pending, &fix);
		if (r < 0)
			return r;
		return hs_checker_add(c, "pam.system-auth", HS_CHECK_FAIL, fix, NULL, "%s is missing", system_auth);
	}
	if (r < 0)
		return hs_checker_add(c, "pam.system-auth", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
				      "cannot read %s", system_auth);
	r = hs_pam_parse(ctx, system_auth, buf, len, &pc);
	if (r < 0)
		return r;
	for (size_t t = 0; t < ELEMENTSOF(pam_types) && r >= 0; t++)
		r = judge_stack(&pc, pam_types[t], &J);
	for (size_t i = 0; i < pc.n && r >= 0; i++)
		if (pc.v[i].bad && is_module(&pc.v[i], "pam_systemd_home.so"))
			r = note(&J, HS_CHECK_FAIL, "line %u: PAM cannot parse '%s'%s", pc.v[i].line, pc.v[i].text,
				 pc.v[i].bad_column ? " (the control field)" : "");
	for (size_t i = 0; i < J.n && r >= 0; i++)
		r = hs_buf_printf(&detail, "%s%s%s", i ? "\n" : "", J.f[i].st == HS_CHECK_OK ? "" :
				  J.f[i].st == HS_CHECK_FAIL ? "problem: " : "note: ", J.f[i].text);
	for (size_t i = 0; pending && pending[i] && r >= 0; i++)
		if (strcmp(pending[i] + 10, "system-auth") == 0)
			r = hs_buf_printf(&detail, "\nPortage's update /etc/pam.d/%s is waiting to be merged", pending[i]);
	if (r < 0)
		goto out;
	if (J.worst == HS_CHECK_OK) {
		r = hs_checker_add(c, "pam.system-auth", HS_CHECK_OK, NULL, detail.p, "%s has pam_systemd_home.so in "
				   "all four stacks, placed as pambase[homed] writes it", system_auth);
		goto out;
	}
	{
		const char *first = NULL;
		size_t n_missing = 0;

		for (size_t i = 0; i < J.n; i++) {
			if (J.f[i].st == J.worst && !first)
				first = J.f[i].text;
			n_missing += strstr(J.f[i].text, ": no pam_systemd_home.so line") != NULL;
		}
		if (n_missing == ELEMENTSOF(pam_types))
			first = "no pam_systemd_home.so lines (auth, account, password, session)";
		if (J.worst == HS_CHECK_FAIL) {
			r = lines_fix(c, pending, &fix);
			if (r < 0)
				goto out;
		} else {
			if (asprintf(&fix, "to match pambase[homed], use these lines in %s, each right before the "
				     "pam_unix.so line of its type:\n  %s\n  %s\n  %s\n  %s", system_auth,
				     pambase_lines[0], pambase_lines[1], pambase_lines[2], pambase_lines[3]) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
		r = hs_checker_add(c, "pam.system-auth", J.worst, fix, detail.p, "%s: %s", system_auth, first);
	}
out:
	for (size_t i = 0; i < J.n; i++)
		free(J.f[i].text);
	hs_pam_conf_free(&pc);
	return r;
}

static int check_module(hs_checker *c)
{
	static const char *const dirs[] = { "/lib64/security", "/lib/security", "/usr/lib64/security",
					    "/usr/lib/security", NULL };
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_free_ char *found = NULL;
	int r = hs_probe_find_file(ctx, dirs, "pam_systemd_home.so", &found);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(c, "pam.module", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
				      "cannot look for pam_systemd_home.so");
	if (r == 0)
		return hs_checker_add(c, "pam.module", HS_CHECK_FAIL,
				      "emerge --ask --oneshot --changed-use sys-apps/systemd with USE=\"homed pam\" "
				      "(see the use.systemd.* checks for the exact flags)",
				      "looked in /lib64/security, /lib/security, /usr/lib64/security and "
				      "/usr/lib/security", "pam_systemd_home.so is not installed");
	return hs_checker_add(c, "pam.module", HS_CHECK_OK, NULL, NULL, "pam_systemd_home.so is installed: %s", found);
}

static int check_pending(hs_checker *c, int pending_r, char *const *pending)
{
	_cleanup_buf_ hs_buf detail = {0};
	size_t n = hs_strv_length(pending);
	int r = 0;

	if (pending_r == -ENOENT || pending_r == -ENOTDIR)
		return hs_checker_add(c, "pam.pending-update", HS_CHECK_SKIP, NULL, NULL,
				      "there is no /etc/pam.d (is sys-libs/pam installed?)");
	if (pending_r < 0)
		return hs_checker_add(c, "pam.pending-update", HS_CHECK_SKIP, NULL,
				      hs_ctx_last_error(hs_checker_ctx(c)), "cannot list /etc/pam.d");
	if (n == 0)
		return hs_checker_add(c, "pam.pending-update", HS_CHECK_OK, NULL, NULL,
				      "no protected PAM configuration updates are waiting");
	for (size_t i = 0; i < n && r >= 0; i++)
		r = hs_buf_printf(&detail, "%s/etc/pam.d/%s", i ? "\n" : "", pending[i]);
	if (r < 0)
		return r;
	return hs_checker_add(c, "pam.pending-update", HS_CHECK_WARN,
			      "dispatch-conf   (or: etc-update) to review and merge them", detail.p,
			      "%zu PAM configuration update%s from Portage %s waiting in /etc/pam.d (._cfg files)", n,
			      n == 1 ? "" : "s", n == 1 ? "is" : "are");
}

int hs_check_group_pam(hs_checker *c)
{
	_cleanup_(hs_strv_freep) char **pending = NULL;
	int pending_r, r;

	pending_r = pending_updates(hs_checker_ctx(c), &pending);
	if (pending_r == -ENOMEM)
		return pending_r;
	if (hs_checker_wants(c, "pam.system-auth")) {
		r = check_system_auth(c, pending_r < 0 ? NULL : pending);
		if (r < 0)
			return r;
	}
	r = check_module(c);
	if (r < 0)
		return r;
	return check_pending(c, pending_r, pending_r < 0 ? NULL : pending);
}
