/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `migrate` checks: the preflight of `homesetup migrate check USER` and of `homesetup check --user USER`.
 *
 * The facts are gathered once (migrate_facts.c, migrate_facts_home.c) and judged here and in
 * migrate_check_home.c (the home and what it holds), one result per id of HS_CHECKS_MIGRATE. FAIL means the
 * migration cannot go ahead (homectl would refuse, or data would be lost); WARN means it can, but something
 * changes that the user should know of (a shared primary group becomes a supplementary one, hard links to
 * outside the home are broken up …); SKIP says what could not be looked at.
 * Quoted messages are homectl's and homed's own (homed-facts §1.3, §2.1).
 *
 * migrate.homed-ready summarises the readiness checks: those of the same run when `homesetup check --user` ran
 * them already, else a run of its own (hs_check_run without a user, honouring --no-bus and the bus address).
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "homesetupP.h"

#define FIX_LOGOUT "log the user out first (loginctl terminate-user %s), then check again"

/* ---- helpers ---------------------------------------------------------------------------------------------- */

char *hs_migrate_examples_text(const char *intro, const hs_migrate_examples *ex)
{
	_cleanup_buf_ hs_buf b = {0};
	size_t shown = ex->n < HS_MIGRATE_EXAMPLES ? (size_t)ex->n : HS_MIGRATE_EXAMPLES;

	if (intro && hs_buf_puts(&b, intro) < 0)
		return NULL;
	for (size_t i = 0; i < shown; i++)
		if (hs_buf_printf(&b, "%s%s", b.len ? "\n" : "", ex->v[i] ? ex->v[i] : "?") < 0)
			return NULL;
	if (ex->n > shown && hs_buf_printf(&b, "\n… and %" PRIu64 " more", ex->n - shown) < 0)
		return NULL;
	return hs_buf_steal(&b);
}

const char *hs_migrate_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

const char *hs_migrate_blocker(hs_migrate_facts *f)
{
	if (f->accounts_why)
		return hs_migrate_keepf(f, "the account files cannot be read: %s", f->accounts_why);
	if (f->journal)
		return hs_migrate_keepf(f, "a migration of %s is under way (see migrate.user)", f->info.user);
	if (!f->pw)
		return hs_migrate_keepf(f, "there is no user %s in /etc/passwd", f->info.user);
	return NULL;
}

int hs_migrate_skip_blocked(hs_checker *c, hs_migrate_facts *f, const char *id)
{
	const char *why = hs_migrate_blocker(f);

	return why ? hs_checker_add(c, id, HS_CHECK_SKIP, NULL, NULL, "%s", why) : -ENOMEM;
}

int hs_migrate_skip_unscanned(hs_checker *c, hs_migrate_facts *f, const char *id)
{
	int r;

	if (f->accounts_why || f->journal || !f->pw) {
		r = hs_migrate_skip_blocked(c, f, id);
		return r < 0 ? r : 1;
	}
	if (f->scanned)
		return 0;
	r = hs_checker_add(c, id, HS_CHECK_SKIP, NULL, f->scan_why, "the home's contents could not be looked at%s",
			   f->scan_why ? "" : " (see migrate.home)");
	return r < 0 ? r : 1;
}

/* ---- the account ------------------------------------------------------------------------------------------ */

static int check_user(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user;
	_cleanup_free_ char *fix = NULL;

	if (f->journal) {
		if (asprintf(&fix, "homesetup migrate resume %s   (or, to return to where it started: homesetup "
			     "migrate rollback %s)", u, u) < 0)
			return -ENOMEM;
		if (f->journal_done) {
			free(fix);
			if (asprintf(&fix, "nothing to migrate: homesetup migrate status %s shows what was done", u) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, f->journal, "%s has been migrated "
					      "to homed already: every step of its journal is done", u);
		}
		if (f->journal_why)
			return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, f->journal_why, "a migration "
					      "journal of %s exists but cannot be understood", u);
		if (f->journal_rolling_back) {
			free(fix);
			if (asprintf(&fix, "finish it: homesetup migrate rollback %s", u) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, f->journal, "a rollback of %s's "
					      "migration is under way", u);
		}
		return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, f->journal, "a migration of %s is under "
				      "way%s%s", u, f->journal_step ? ": it stopped at step " : "",
				      f->journal_step ? f->journal_step : "");
	}
	if (f->accounts_why)
		return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, "check that ROOT is the system to migrate and "
				      "that /etc/passwd and /etc/group are there and readable (run as root)",
				      f->accounts_why, "the account files cannot be read");
	if (f->identity && f->pw) {
		if (asprintf(&fix, "homectl inspect %s shows homed's user; keep one of the two: remove the homed "
			     "user (homectl remove %s) or the /etc/passwd one (userdel %s, after saving its home)", u, u,
			     u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, "homed keeps its users in "
				      "/var/lib/systemd/home/USER.identity", "%s is in /etc/passwd and is a homed user "
				      "as well", u);
	}
	if (f->identity) {
		if (asprintf(&fix, "nothing to migrate: homectl inspect %s", u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, "found "
				      "/var/lib/systemd/home/USER.identity", "%s is a homed user already", u);
	}
	if (!f->pw) {
		if (asprintf(&fix, "check the name (getent passwd %s); users of LDAP and other NSS sources are not "
			     "migrated this way", u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.user", HS_CHECK_FAIL, fix, NULL, "there is no user %s in /etc/passwd", u);
	}
	return hs_checker_add(c, "migrate.user", HS_CHECK_OK, NULL, NULL, "%s (UID %" PRIu32 ", /etc/passwd line %u) "
			      "is not a homed user yet", u, f->pw->uid, f->pw->line);
}

static int check_name(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user, *why = hs_migrate_name_problem(u);
	_cleanup_free_ char *fix = NULL;

	if (!why)
		return hs_checker_add(c, "migrate.name", HS_CHECK_OK, NULL, NULL, "'%s' is a name homed manages", u);
	if (strcmp(u, "root") == 0)
		fix = strdup("root is never migrated: it keeps /root and its /etc/passwd line");
	else if (asprintf(&fix, "rename the account first (usermod -l NEWNAME %s; groupmod -n NEWNAME %s for its "
			  "private group), or create a new homed user and copy the data", u, u) < 0)
		fix = NULL;
	if (!fix)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.name", HS_CHECK_FAIL, fix, "homed's rule (suitable_user_name(), "
			      "valid_user_group_name() in strict mode): an ASCII letter first, then letters, digits, "
			      "'_' and '-', at most 31 bytes; not root, nobody, systemd-* or _*",
			      "homed does not manage a user named '%s': %s", u, why);
}

/* Ranges of systemd's UID classification (docs/UIDS-GIDS.md) that homed does not refuse but that are taken. */
static const struct {
	uint32_t lo, hi;
	const char *what;
} reserved[] = {
	{ 60514, 60577, "homed's mapped range (UIDs of homes from other machines)" },
	{ 60578, 60705, "systemd's greeter range" },
	{ 524288, 1879048191, "the container range (systemd-nspawn --private-users=pick hands it out)" },
	{ 2147352576, 2147418111, "the foreign-UID range (systemd-nsresourced)" },
};

static int check_uid(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user;
	uint32_t uid;
	_cleanup_free_ char *fix = NULL, *detail = NULL;

	if (!f->pw)
		return hs_migrate_skip_blocked(c, f, "migrate.uid");
	uid = f->pw->uid;
	if (asprintf(&fix, "give %s a regular UID first: usermod -u NEWUID %s (it re-owns the home; files elsewhere "
		     "keep the old UID: find / -xdev -uid %" PRIu32 ")", u, u, uid) < 0)
		return -ENOMEM;
	if (uid == 0 || uid <= f->sys_uid_max) {
		if (asprintf(&detail, "the system range ends at %" PRIu32 " (%s)", f->sys_uid_max,
			     f->sys_uid_max_from) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, uid == 0 ? "root is never migrated" : fix,
				      detail, "UID %" PRIu32 " is a system UID: homectl refuses it (\"UID %" PRIu32
				      " is in system range, refusing.\")", uid, uid);
	}
	if (uid >= 61184 && uid <= 65519)
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, fix, "systemd hands out 61184-65519 to "
				      "DynamicUser= services", "UID %" PRIu32 " is in the dynamic range: homectl refuses "
				      "it (\"UID %" PRIu32 " is in dynamic range, refusing.\")", uid, uid);
	if (uid == 65534)
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, fix, NULL, "UID 65534 is nobody's: homectl "
				      "refuses it (\"UID 65534 is nobody UID, refusing.\")");
	if (uid == 65535 || uid == UINT32_MAX)
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, fix, NULL, "UID %" PRIu32 " is not a valid "
				      "UID", uid);
	if (f->uid_clash) {
		free(fix);
		if (asprintf(&fix, "give one of the two another UID (usermod -u NEWUID %s)", f->uid_clash->name) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, fix, NULL, "UID %" PRIu32 " is also user %s's "
				      "(/etc/passwd line %u): homed refuses it (\"Specified UID %" PRIu32 " already in "
				      "use by NSS user %s, refusing.\")", uid, f->uid_clash->name, f->uid_clash->line,
				      uid, f->uid_clash->name);
	}
	if (f->gid_clash) {
		free(fix);
		if (asprintf(&fix, "give group %s another GID (groupmod -g NEWGID %s), or %s another UID",
			     f->gid_clash->name, f->gid_clash->name, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.uid", HS_CHECK_FAIL, fix, "homed's users have GID = UID: the GID "
				      "must be free too", "UID %" PRIu32 " is the GID of group %s (/etc/group line %u): "
				      "homed refuses it (\"Specified UID %" PRIu32 " already in use as GID by NSS group "
				      "%s, refusing.\")", uid, f->gid_clash->name, f->gid_clash->line, uid,
				      f->gid_clash->name);
	}
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
		if (uid >= reserved[i].lo && uid <= reserved[i].hi) {
			free(fix);
			if (asprintf(&fix, "consider a UID below 60000 (usermod -u NEWUID %s)", u) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "migrate.uid", HS_CHECK_WARN, fix, "homectl accepts it, but systemd may "
					      "give the same UID to something else", "UID %" PRIu32 " is in %s",
					      uid, reserved[i].what);
		}
	return hs_checker_add(c, "migrate.uid", HS_CHECK_OK, NULL, NULL, "UID %" PRIu32 " is a regular UID (system "
			      "UIDs end at %" PRIu32 ", %s)", uid, f->sys_uid_max, f->sys_uid_max_from);
}

static int check_group(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user;
	_cleanup_free_ char *fix = NULL;
	uint32_t uid, gid;

	if (!f->pw)
		return hs_migrate_skip_blocked(c, f, "migrate.group");
	uid = f->pw->uid;
	gid = f->pw->gid;
	if (f->name_group && !f->info.private_group) {
		if (f->name_group->gid == uid) {
			if (asprintf(&fix, "make it %s's primary group: usermod -g %s %s", u, u, u) < 0)
				return -ENOMEM;
		} else if (asprintf(&fix, "rename or remove group %s (groupmod -n NEWNAME %s, or groupdel %s), or give "
				    "it GID %" PRIu32 " and make it %s's primary group (groupmod -g %" PRIu32 " %s; usermod "
				    "-g %s %s)", u, u, u, uid, u, uid, u, u, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.group", HS_CHECK_FAIL, fix, "homed gives every user a private group "
				      "of the same name with GID = UID, and removes only a private group of that kind",
				      "group %s (GID %" PRIu32 ") is not %s's private group: homed refuses the name "
				      "(\"Specified user name %s conflicts with an NSS group by the same name, "
				      "refusing.\")", u, f->name_group->gid, u, u);
	}
	if (f->info.private_group && f->group_users) {
		if (asprintf(&fix, "give them another primary group first (usermod -g GROUP USER for each of: %s)",
			     f->group_users) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.group", HS_CHECK_FAIL, fix, "the migration removes the private group "
				      "from /etc/group; homed's group of the same name is the user's alone",
				      "group %s is also the primary group of: %s", u, f->group_users);
	}
	if (f->info.private_group && f->group_members)
		return hs_checker_add(c, "migrate.group", HS_CHECK_WARN, "if they need to share files with the user, "
				      "give them a shared group instead (groupadd, gpasswd -a)", "the migration removes "
				      "the private group from /etc/group; homed's group of the same name has no other "
				      "members", "group %s also lists %s as member%s: they lose that membership", u,
				      f->group_members, strchr(f->group_members, ',') ? "s" : "");
	if (f->info.private_group)
		return hs_checker_add(c, "migrate.group", HS_CHECK_OK, NULL, "homed makes a group of the same name "
				      "with GID = UID: the files keep their group", "%s's primary group is its private "
				      "group %s (GID %" PRIu32 ")", u, u, gid);
	if (!f->primary && gid == uid)
		return hs_checker_add(c, "migrate.group", HS_CHECK_OK, NULL, "homed makes a group of that name and GID",
				      "%s's primary GID %" PRIu32 " has no group in /etc/group; homed gives it group %s "
				      "with that GID", u, gid, u);
	if (!f->primary)
		return hs_checker_add(c, "migrate.group", HS_CHECK_WARN, NULL, "homed's users have a private group of "
				      "their own name with GID = UID as primary group; files keep their group number",
				      "%s's primary GID %" PRIu32 " has no group in /etc/group: in homed, %s's primary "
				      "group becomes %s (GID %" PRIu32 ")", u, gid, u, u, uid);
	return hs_checker_add(c, "migrate.group", HS_CHECK_WARN, NULL, "homed always gives a user a private group "
			      "of its own name with GID = UID as primary group; files in the home keep their group, new "
			      "files get the private group", "%s's primary group is the shared group %s (GID %" PRIu32 "): "
			      "it becomes a supplementary group (--member-of=%s) and %s gets a private group %s "
			      "(GID %" PRIu32 ")", u, f->primary->name, gid, f->primary->name, u, u, uid);
}

static int check_groups(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_buf_ hs_buf list = {0};
	const char *u = f->info.user;
	_cleanup_free_ char *fix = NULL;

	if (!f->pw)
		return hs_migrate_skip_blocked(c, f, "migrate.groups");
	for (size_t i = 0; f->info.member_of && f->info.member_of[i]; i++)
		if (hs_buf_printf(&list, "%s%s", i ? "," : "", f->info.member_of[i]) < 0)
			return -ENOMEM;
	if (f->groups_bad) {
		if (asprintf(&fix, "rename them (groupmod -n NEWNAME GROUP) before migrating, or accept that %s leaves "
			     "them", u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.groups", HS_CHECK_WARN, fix, list.len ? list.p : NULL, "%s is in "
				      "group%s %s, which homed does not take as --member-of (names with ',', ':' or '/', "
				      "numbers, control characters)", u, strchr(f->groups_bad, ',') ? "s" : "",
				      f->groups_bad);
	}
	if (!list.len)
		return hs_checker_add(c, "migrate.groups", HS_CHECK_OK, NULL, NULL, "%s is in no supplementary group", u);
	return hs_checker_add(c, "migrate.groups", HS_CHECK_OK, NULL, "homed records them in the user's record and "
			      "nss-systemd reports the memberships; the migration takes the user out of their member "
			      "lists in /etc/group and /etc/gshadow. The groups stay in /etc/group (homed ignores "
			      "groups that do not exist)", "%s's groups are passed on: --member-of=%s", u, list.p);
}

/* ---- sessions --------------------------------------------------------------------------------------------- */

static int check_session(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user;
	_cleanup_free_ char *fix = NULL;

	if (!f->pw || f->journal)
		return hs_migrate_skip_blocked(c, f, "migrate.session");
	if (asprintf(&fix, FIX_LOGOUT, u) < 0)
		return -ENOMEM;
	if (f->sessions > 0)
		return hs_checker_add(c, "migrate.session", HS_CHECK_FAIL, fix, f->sessions_state ? f->sessions_state :
				      NULL, "%s is logged in: %d session%s (sd-login)", u, f->sessions,
				      hs_migrate_plural((uint64_t)f->sessions));
	if (f->processes > 0) {
		free(fix);
		if (asprintf(&fix, "stop them: loginctl terminate-user %s (and loginctl disable-linger %s if its "
			     "services linger), or pkill -KILL -u %s", u, u, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.session", HS_CHECK_FAIL, fix, f->process_list, "%s runs %" PRIu64
				      " process%s", u, f->processes, f->processes == 1 ? "" : "es");
	}
	if (!f->proc_checked && f->sessions < 0) {
		_cleanup_free_ char *detail = NULL;

		if (asprintf(&detail, "processes: %s\nsessions: %s", f->proc_why ? f->proc_why : "?",
			     f->sessions_why ? f->sessions_why : "?") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.session", HS_CHECK_SKIP, fix, detail, "cannot tell whether %s is "
				      "logged in", u);
	}
	if (f->sessions < 0)
		return hs_checker_add(c, "migrate.session", HS_CHECK_OK, NULL, f->sessions_why, "%s runs no processes",
				      u);
	return hs_checker_add(c, "migrate.session", HS_CHECK_OK, NULL, f->proc_checked ? NULL : f->proc_why,
			      "%s is not logged in (sd-login)%s", u, f->proc_checked ? " and runs no processes" : "");
}

/* ---- tools and storage ------------------------------------------------------------------------------------ */

/* rsync's version as `rsync --version` names it ("3.2.7", "v3.4.1", "3.1.3pre1") as 10000 × major + 100 × minor +
 * patch, or -1 when it is not one. */
static long rsync_version_code(const char *v)
{
	unsigned long part[3] = { 0, 0, 0 };
	size_t n = 0;

	if (!v)
		return -1;
	if (*v == 'v')
		v++;
	while (n < 3 && *v >= '0' && *v <= '9') {
		char *end;

		part[n++] = strtoul(v, &end, 10);
		if (part[n - 1] > 99)
			return -1;
		v = end;
		if (*v != '.')
			break;
		v++;
	}
	return n >= 2 ? (long)(part[0] * 10000 + part[1] * 100 + part[2]) : -1;
}

/* The copy compares modification times to the nanosecond (--modify-window=-1): rsync 3.1.3 brought negative
 * windows; an older one sets a directory's time only when the seconds differ, and the verification then finds
 * the copy's directories a few nanoseconds off. */
#define RSYNC_MIN_CODE 30103L
#define RSYNC_COPY_FLAGS "--numeric-ids --modify-window=-1"

static int check_rsync(hs_checker *c, hs_migrate_facts *f)
{
	const char *fix = "emerge --ask net-misc/rsync";
	long code;

	if (!f->info.rsync)
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_FAIL, fix, f->rsync_why ? f->rsync_why :
				      "looked in /usr/local/bin, /usr/bin, /bin, /usr/local/sbin, /usr/sbin, /sbin",
				      "rsync %s", f->rsync_why ? "cannot be used" : "is not installed");
	if (f->rsync_failed)
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_FAIL, fix, f->rsync_why, "rsync at %s does not work",
				      f->info.rsync);
	code = f->rsync_probed ? rsync_version_code(f->rsync_version) : -1;
	if (code >= 0 && code < RSYNC_MIN_CODE)
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_FAIL, "emerge --ask '>=net-misc/rsync-3.2' (3.1.3 is "
				      "the least that works; 3.2 also keeps access times)", "rsync sets a directory's "
				      "modification time only when the seconds differ, unless --modify-window is "
				      "negative (rsync 3.1.3, January 2018): a tree changed in the second of the copy "
				      "would then fail the verification by nanoseconds", "rsync %s at %s is older than "
				      "3.1.3: the copy needs --modify-window=-1 (modification times to the nanosecond)",
				      f->rsync_version, f->info.rsync);
	if (f->rsync_probed && (!f->rsync_acls || !f->rsync_xattrs))
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_FAIL, "emerge --ask --newuse net-misc/rsync with "
				      "USE=\"acl xattr\"", "its `rsync --version` lacks them under Capabilities",
				      "rsync %s at %s was built without %s: the copy needs -A and -X",
				      f->rsync_version ? f->rsync_version : "", f->info.rsync,
				      !f->rsync_acls && !f->rsync_xattrs ? "ACL and xattr support" :
				      !f->rsync_acls ? "ACL support" : "xattr support");
	if (f->rsync_probed && !f->rsync_atimes)
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_WARN, "emerge --ask '>=net-misc/rsync-3.2'",
				      "--atimes (-U) came with rsync 3.2.0", "rsync %s cannot keep access times: the "
				      "copy runs rsync %s " RSYNC_COPY_FLAGS, f->rsync_version ? f->rsync_version : "",
				      f->info.rsync_flags);
	if (!f->rsync_probed) {
		_cleanup_free_ char *detail = NULL;

		if (asprintf(&detail, "%s%sit must be rsync 3.1.3 or later (--modify-window=-1)", f->rsync_why ?
			     f->rsync_why : "", f->rsync_why ? "; " : "") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.rsync", HS_CHECK_OK, NULL, detail, "rsync is installed (%s); the copy "
				      "runs rsync %s " RSYNC_COPY_FLAGS, f->info.rsync, f->info.rsync_flags);
	}
	return hs_checker_add(c, "migrate.rsync", HS_CHECK_OK, NULL, code < 0 ? "its version was not recognised: it "
			      "must be 3.1.3 or later (--modify-window=-1)" : f->rsync_crtimes ? "this build keeps creation "
			      "times: -N" : "this build has no crtimes (most Linux builds), so no -N: \"rsync: This rsync "
			      "does not support --crtimes (-N)\"", "rsync %s (%s): the copy runs rsync %s " RSYNC_COPY_FLAGS,
			      f->rsync_version ? f->rsync_version : "", f->info.rsync, f->info.rsync_flags);
}

static int check_storage(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *fix = NULL;

	if (f->storage_why)
		return hs_checker_add(c, "migrate.storage", HS_CHECK_FAIL, "choose another storage: --storage=luks or "
				      "--storage=directory", f->storage_from, "%s", f->storage_why);
	if (!f->info.fs_type)
		return hs_checker_add(c, "migrate.storage", HS_CHECK_OK, NULL, NULL, "storage %s (%s)%s",
				      f->info.storage, f->storage_from, strcmp(f->info.storage, "directory") == 0 ?
				      ": a plain directory, neither encrypted nor size-limited" : "");
	if (!f->mkfs) {
		static const struct {
			const char *fs, *pkg;
		} pkgs[] = { { "btrfs", "sys-fs/btrfs-progs" }, { "ext4", "sys-fs/e2fsprogs" }, { "xfs", "sys-fs/xfsprogs" } };
		const char *pkg = "sys-fs/btrfs-progs";

		for (size_t i = 0; i < ELEMENTSOF(pkgs); i++)
			if (strcmp(pkgs[i].fs, f->info.fs_type) == 0)
				pkg = pkgs[i].pkg;
		if (asprintf(&fix, "emerge --ask %s (or choose another file system with --fs-type)", pkg) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.storage", HS_CHECK_FAIL, fix, "looked in /usr/sbin, /sbin, /usr/bin, "
				      "/bin", "%s is not installed: homectl create fails (\"mkfs binary for file system "
				      "type %s does not exist.\")", f->mkfs_name, f->info.fs_type);
	}
	if (strcmp(f->info.fs_type, "xfs") == 0)
		return hs_checker_add(c, "migrate.storage", HS_CHECK_WARN, "--fs-type=ext4 or --fs-type=btrfs",
				      "homectl(1) calls xfs \"not recommended\"", "LUKS images with xfs inside (%s): xfs "
				      "cannot shrink, so homed can never give space back", f->fs_type_from);
	return hs_checker_add(c, "migrate.storage", HS_CHECK_OK, NULL, f->mkfs, "storage luks (%s) with %s inside "
			      "(%s)", f->storage_from, f->info.fs_type, f->fs_type_from);
}

/* ---- homed's readiness ------------------------------------------------------------------------------------ */

/* Readiness checks that judge what homed.conf asks for, not what this migration asks for: with another storage
 * than luks no image is made (dm-crypt, loop, the file system and its mkfs do not matter); with --fs-type the
 * file system is the one given (migrate.storage looks for its mkfs). */
static bool irrelevant(const hs_migrate_facts *f, const char *id)
{
	if (strncmp(id, "kernel.", 7) == 0 && strcmp(f->info.storage, "luks") != 0)
		return true;
	return f->opt_fs_type && (strcmp(id, "kernel.fs") == 0 || strcmp(id, "kernel.mkfs") == 0);
}

static int summarise_ready(hs_checker *c, const hs_migrate_facts *f, const hs_report *rep, bool same_run)
{
	_cleanup_buf_ hs_buf failed = {0}, detail = {0}, warned = {0}, ignored = {0};
	size_t n_fail = 0, n_warn = 0, n_skip = 0, n = 0;
	int r = 0;

	for (size_t i = 0; i < hs_report_count(rep) && r >= 0; i++) {
		const hs_check_result *x = hs_report_get(rep, i);

		if (strcmp(x->group, "migrate") == 0)
			continue;
		if (x->status == HS_CHECK_FAIL && irrelevant(f, x->id)) {
			r = hs_buf_printf(&ignored, "%s%s", ignored.len ? ", " : "", x->id);
			continue;
		}
		n++;
		if (x->status == HS_CHECK_FAIL) {
			r = hs_buf_printf(&failed, "%s%s", n_fail++ ? ", " : "", x->id);
			if (r >= 0)
				r = hs_buf_printf(&detail, "%s%s: %s", detail.len ? "\n" : "", x->id, x->summary);
		} else if (x->status == HS_CHECK_WARN)
			r = hs_buf_printf(&warned, "%s%s", n_warn++ ? ", " : "", x->id);
		else if (x->status == HS_CHECK_SKIP)
			n_skip++;
	}
	if (r >= 0 && n_warn)
		r = hs_buf_printf(&detail, "%swarnings: %s", detail.len ? "\n" : "", warned.p);
	if (r >= 0 && ignored.len)
		r = hs_buf_printf(&detail, "%snot about this migration (storage %s%s%s): %s", detail.len ? "\n" : "",
				  f->info.storage, f->info.fs_type ? " with " : "", f->info.fs_type ? f->info.fs_type : "",
				  ignored.p);
	if (r < 0)
		return r;
	if (n_fail)
		return hs_checker_add(c, "migrate.homed-ready", HS_CHECK_FAIL, same_run ? "run the fixes of the checks "
				      "above, in order, then check again" : "homesetup check, then run the fixes it "
				      "shows, in order", detail.p, "systemd-homed is not ready: %zu readiness check%s "
				      "fail%s: %s", n_fail, n_fail == 1 ? "" : "s", n_fail == 1 ? "s" : "", failed.p);
	return hs_checker_add(c, "migrate.homed-ready", HS_CHECK_OK, NULL, detail.len ? detail.p : NULL, "systemd-homed "
			      "is ready: none of %zu readiness checks fails (%zu warning%s, %zu skipped)", n, n_warn,
			      n_warn == 1 ? "" : "s", n_skip);
}

static int check_homed_ready(hs_checker *c, const hs_migrate_facts *f)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const hs_check_options *o = hs_checker_options(c);
	hs_report *rep = NULL;
	int r;

	/* `homesetup check --user`: the readiness checks ran before this group, in this very run */
	r = hs_checker_report_so_far(c, &rep);
	if (r < 0)
		return r;
	if (hs_report_count(rep) > 0) {
		r = summarise_ready(c, f, rep, true);
		hs_report_free(rep);
		return r;
	}
	hs_report_free(rep);
	rep = NULL;
	{
		hs_check_options ro = { .bus_address = o->bus_address, .no_bus = o->no_bus,
					.bus_timeout_usec = o->bus_timeout_usec };

		hs_ctx_clear_error(ctx);
		r = hs_check_run(ctx, &rep, &ro);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(c, "migrate.homed-ready", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx), "the "
				      "readiness checks could not run");
	r = summarise_ready(c, f, rep, false);
	hs_report_free(rep);
	return r;
}

/* ---- the group -------------------------------------------------------------------------------------------- */

static void facts_free(void *p)
{
	hs_migrate_facts_free(p);
}

int hs_check_group_migrate(hs_checker *c)
{
	static const struct {
		const char *id;
		hs_migrate_check_fn fn;
	} checks[] = {
		{ "migrate.user", check_user },
		{ "migrate.name", check_name },
		{ "migrate.uid", check_uid },
		{ "migrate.group", check_group },
		{ "migrate.groups", check_groups },
		{ "migrate.session", check_session },
		{ "migrate.home", hs_migrate_check_home },
		{ "migrate.saved", hs_migrate_check_saved },
		{ "migrate.space", hs_migrate_check_space },
		{ "migrate.xattrs", hs_migrate_check_xattrs },
		{ "migrate.hardlinks", hs_migrate_check_hardlinks },
		{ "migrate.owner", hs_migrate_check_owner },
		{ "migrate.ids", hs_migrate_check_ids },
		{ "migrate.special", hs_migrate_check_special },
		{ "migrate.sparse", hs_migrate_check_sparse },
		{ "migrate.names", hs_migrate_check_names },
		{ "migrate.rsync", check_rsync },
		{ "migrate.storage", check_storage },
	};
	hs_ctx *ctx = hs_checker_ctx(c);
	const hs_check_options *o = hs_checker_options(c);
	hs_migrate_facts *f = hs_checker_get_data(c, HS_MIGRATE_FACTS_KEY);
	int r = 0;

	if (!f) {
		hs_migrate_options mo = { .user = o->user, .bus_address = o->bus_address, .no_bus = o->no_bus,
					  .bus_timeout_usec = o->bus_timeout_usec };

		r = hs_migrate_facts_alloc(ctx, &f, &mo);
		if (r < 0)
			return r;
		r = hs_checker_set_data(c, HS_MIGRATE_FACTS_KEY, f, facts_free);
		if (r < 0)
			return r;
	}
	r = hs_migrate_gather(c, f);
	for (size_t i = 0; i < ELEMENTSOF(checks) && r >= 0; i++)
		if (hs_checker_wants(c, checks[i].id))
			r = checks[i].fn(c, f);
	if (r >= 0 && hs_checker_wants(c, "migrate.homed-ready"))
		r = check_homed_ready(c, f);
	return r;
}

/* ---- the public API --------------------------------------------------------------------------------------- */

int hs_migrate_facts_new(hs_ctx *ctx, hs_migrate_facts **out, const hs_migrate_options *opts)
{
	static const char *const only[] = { "migrate", NULL };
	hs_migrate_facts *f = NULL;
	hs_check_options co;
	int r;

	*out = NULL;
	r = hs_migrate_facts_alloc(ctx, &f, opts);
	if (r < 0)
		return r;
	co = (hs_check_options){ .bus_address = opts->bus_address, .no_bus = opts->no_bus,
				 .bus_timeout_usec = opts->bus_timeout_usec, .only = only, .user = f->info.user };
	r = hs_check_run_seeded(ctx, &f->report, &co, HS_MIGRATE_FACTS_KEY, f);
	if (r < 0) {
		f->report = NULL;
		hs_migrate_facts_free(f);
		return r;
	}
	*out = f;
	return 0;
}

const hs_migrate_info *hs_migrate_facts_info(const hs_migrate_facts *f)
{
	return f ? &f->info : NULL;
}

const hs_report *hs_migrate_facts_report(const hs_migrate_facts *f)
{
	return f ? f->report : NULL;
}
