/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan of a migration to systemd-homed: the ordered, idempotent steps, each with the exact commands it runs.
 *
 *   backup → manifest → move-aside → remove-account → create → copy → verify [→ remove-saved]
 *
 * Everything the executor runs is built here, as argv vectors, from the facts of the preflight (or, on resume,
 * from the facts the journal recorded): the plan a user reads and what runs are the same strings. The procedure
 * follows systemd's docs/CONVERTING_TO_HOMED.md with what the wiki and the VM showed (homed-facts.md §1,
 * vm-notes.md): a rename (not a copy) moves the home aside, since homed refuses a /home/USER that exists; every
 * line of the user (and its private group) goes, since homed refuses a name or UID known to NSS; rsync keeps ACLs,
 * xattrs, hard links and atimes (-aHAXU; -N only when rsync has crtimes), compares times to the nanosecond
 * (--modify-window=-1) and never removes its source; on btrfs inside LUKS the home is mounted with the acl option
 * when it holds ACLs; the copy is verified against a manifest taken before anything moved.
 */
#include "homesetupP.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

const char *const hs_migrate_step_ids[] = {
	"backup", "manifest", "move-aside", "remove-account", "create", "copy", "verify", "remove-saved", NULL,
};

const char *hs_migrate_state_name(hs_migrate_state state)
{
	switch (state) {
	case HS_MIGRATE_PENDING: return "pending";
	case HS_MIGRATE_RUNNING: return "running";
	case HS_MIGRATE_DONE: return "done";
	case HS_MIGRATE_FAILED: return "failed";
	}
	return "?";
}

/* ---- owned copies of the facts and options ------------------------------------------------------------- */

static int dup_str(const char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int dup_strv(const char *const **dst, const char *const *src)
{
	char **v = NULL;

	*dst = NULL;
	if (!src)
		return 0;
	for (size_t i = 0; src[i]; i++)
		if (hs_strv_push(&v, src[i], strlen(src[i])) < 0) {
			hs_strv_free(v);
			return -ENOMEM;
		}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*dst = (const char *const *)v;
	return 0;
}

void hs_migrate_info_free_copy(hs_migrate_info *i)
{
	if (!i)
		return;
	free((char *)i->user);
	free((char *)i->gecos);
	free((char *)i->shell);
	free((char *)i->home);
	free((char *)i->primary_group);
	free((char *)i->storage);
	free((char *)i->fs_type);
	free((char *)i->rsync);
	free((char *)i->rsync_flags);
	free((char *)i->saved);
	hs_strv_free((char **)i->member_of);
	free(i);
}

int hs_migrate_info_dup(const hs_migrate_info *src, hs_migrate_info **out)
{
	hs_migrate_info *i = calloc(1, sizeof(*i));
	int r = 0;

	if (!i)
		return -ENOMEM;
	*i = *src;
	i->user = i->gecos = i->shell = i->home = i->primary_group = i->storage = i->fs_type = i->rsync =
		i->rsync_flags = i->saved = NULL;
	i->member_of = NULL;
	r |= dup_str(&i->user, src->user);
	r |= dup_str(&i->gecos, src->gecos);
	r |= dup_str(&i->shell, src->shell);
	r |= dup_str(&i->home, src->home);
	r |= dup_str(&i->primary_group, src->primary_group);
	r |= dup_str(&i->storage, src->storage);
	r |= dup_str(&i->fs_type, src->fs_type);
	r |= dup_str(&i->rsync, src->rsync);
	r |= dup_str(&i->rsync_flags, src->rsync_flags);
	r |= dup_str(&i->saved, src->saved);
	r |= dup_strv(&i->member_of, src->member_of);
	if (r) {
		hs_migrate_info_free_copy(i);
		return -ENOMEM;
	}
	*out = i;
	return 0;
}

void hs_migrate_options_done(hs_migrate_options *o)
{
	free((char *)o->user);
	free((char *)o->storage);
	free((char *)o->fs_type);
	free((char *)o->bus_address);
	hs_strv_free((char **)o->homectl_extra);
	*o = (hs_migrate_options){ 0 };
}

int hs_migrate_options_dup(hs_migrate_options *dst, const hs_migrate_options *src)
{
	int r = 0;

	*dst = *src;
	dst->user = dst->storage = dst->fs_type = dst->bus_address = NULL;
	dst->homectl_extra = NULL;
	r |= dup_str(&dst->user, src->user);
	r |= dup_str(&dst->storage, src->storage);
	r |= dup_str(&dst->fs_type, src->fs_type);
	r |= dup_str(&dst->bus_address, src->bus_address);
	r |= dup_strv(&dst->homectl_extra, src->homectl_extra);
	if (r) {
		hs_migrate_options_done(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- paths and programs ------------------------------------------------------------------------------- */

char *hs_migrate_host_path(const char *root, const char *path)
{
	char *p;

	if (!root || strcmp(root, "/") == 0)
		return strdup(path);
	if (asprintf(&p, "%s%s", root, path) < 0)
		return NULL;
	return p;
}

static char *self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return strdup("/usr/bin/homesetup");
	buf[n] = '\0';
	return strdup(buf);
}

static char *pick_rsync(const char *root, const hs_migrate_info *info)
{
	const char *env = getenv("HOMESETUP_RSYNC");
	char *p;

	if (env && *env)
		return strdup(env);
	if (info->rsync && info->rsync[0] == '/' && (!root || strcmp(root, "/") == 0))
		return strdup(info->rsync);
	p = hs_find_program("rsync");
	if (p && !*p) {
		free(p);
		return strdup("/usr/bin/rsync");
	}
	return p;
}

/* ---- argv vectors --------------------------------------------------------------------------------------- */

static int push(char ***v, const char *s)
{
	return hs_strv_push(v, s, strlen(s));
}

static int pushf(char ***v, const char *fmt, ...) _printf_(2, 3);
static int pushf(char ***v, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return push(v, s);
}

/* "12G", "300M", "5K" when exact, else bytes: what --disk-size= takes (base 1024). */
static void format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char suffix[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		uint64_t unit = UINT64_C(1) << (10 * (4 - i));

		if (bytes >= unit && bytes % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes / unit, suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

static int push_rsync(char ***v, const hs_migrate_plan *p)
{
	int r = push(v, p->rsync);

	for (size_t i = 0; r >= 0 && p->rsync_flags[i]; i++)
		r = push(v, p->rsync_flags[i]);
	if (r >= 0)
		r = push(v, "--numeric-ids");
	/* times to the nanosecond (rsync >= 3.1.3, migrate.rsync): with the default window rsync leaves a directory's
	 * time alone when only the nanoseconds differ, and a tree changed in the second of the copy fails the
	 * verification */
	if (r >= 0)
		r = push(v, "--modify-window=-1");
	return r;
}

int hs_migrate_argv(const hs_migrate_plan *p, hs_migrate_argv_kind kind, const char *self, char ***out)
{
	const hs_migrate_info *in = p->info;
	char **v = NULL;
	int r = 0;

	switch (kind) {
	case HS_MIGRATE_ARGV_CREATE: {
		r |= push(&v, p->homectl);
		r |= push(&v, "create");
		r |= push(&v, in->user);
		r |= pushf(&v, "--uid=%" PRIu32, in->uid);
		if (p->real_name && *p->real_name)
			r |= pushf(&v, "--real-name=%s", p->real_name);
		if (in->member_of && in->member_of[0]) {
			_cleanup_buf_ hs_buf g = {0};

			for (size_t i = 0; in->member_of[i]; i++)
				r |= (i ? hs_buf_putc(&g, ',') : 0) | hs_buf_puts(&g, in->member_of[i]);
			if (r >= 0)
				r |= pushf(&v, "--member-of=%s", g.p);
		}
		if (in->shell && *in->shell)
			r |= pushf(&v, "--shell=%s", in->shell);
		r |= pushf(&v, "--storage=%s", p->storage);
		if (p->fs_type)
			r |= pushf(&v, "--fs-type=%s", p->fs_type);
		if (p->disk_size) {
			char size[32];

			format_size(size, sizeof(size), p->disk_size);
			r |= pushf(&v, "--disk-size=%s", size);
		}
		if (p->acl_option)
			r |= push(&v, "--luks-extra-mount-options=acl");
		/* the copy brings the home's own files: /etc/skel would add some the old home never had */
		r |= pushf(&v, "--skel=%s/%s", p->workdir_host, HS_MIGRATE_EMPTY_SKEL);
		for (size_t i = 0; p->opts.homectl_extra && p->opts.homectl_extra[i]; i++)
			r |= push(&v, p->opts.homectl_extra[i]);
		break;
	}
	case HS_MIGRATE_ARGV_INSPECT:
	case HS_MIGRATE_ARGV_REMOVE:
		r |= push(&v, p->homectl);
		r |= push(&v, kind == HS_MIGRATE_ARGV_INSPECT ? "inspect" : "remove");
		r |= push(&v, in->user);
		break;
	case HS_MIGRATE_ARGV_COPY:
		r |= push(&v, p->homectl);
		r |= push(&v, "with");
		r |= push(&v, in->user);
		r |= push(&v, "--");
		r |= push_rsync(&v, p);
		r |= push(&v, "--info=progress2");
		r |= pushf(&v, "%s/", p->saved_host);
		r |= push(&v, ".");
		break;
	case HS_MIGRATE_ARGV_VERIFY:
		r |= push(&v, p->homectl);
		r |= push(&v, "with");
		r |= push(&v, in->user);
		r |= push(&v, "--");
		r |= push(&v, self ? self : p->self);
		r |= push(&v, "verify");
		/* homed sets the metadata of the home's top directory (its mount point): named, not compared */
		r |= push(&v, "--ignore-top");
		/* "progress F FT B BT" lines on stderr, for the progress bar */
		r |= push(&v, "--progress=lines");
		r |= push(&v, "--manifest");
		r |= push(&v, p->manifest_host);
		r |= push(&v, ".");
		break;
	case HS_MIGRATE_ARGV_COPY_ASIDE:
		r |= push_rsync(&v, p);
		r |= push(&v, "--info=progress2");
		r |= pushf(&v, "%s/", p->home_host);
		r |= pushf(&v, "%s/", p->saved_host);
		break;
	}
	if (r < 0) {
		hs_strv_free(v);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

/* ---- the steps ------------------------------------------------------------------------------------------ */

static const char *keep(hs_migrate_plan *p, char *s)
{
	if (!s)
		return NULL;
	if (hs_strv_push(&p->strings, s, strlen(s)) < 0) {
		free(s);
		return NULL;
	}
	free(s);
	return p->strings[hs_strv_length(p->strings) - 1];
}

static int argv_text(hs_buf *b, const hs_migrate_plan *p, hs_migrate_argv_kind kind)
{
	_cleanup_(hs_strv_freep) char **v = NULL;
	int r = hs_migrate_argv(p, kind, NULL, &v);

	if (r < 0)
		return r;
	return hs_shell_quote_argv(b, (const char *const *)v);
}

/* A command line from words: each quoted as the shell needs. */
static int words(hs_buf *b, ...)
{
	_cleanup_(hs_strv_freep) char **v = NULL;
	va_list ap;
	int r = 0;

	va_start(ap, b);
	for (const char *w = va_arg(ap, const char *); w && r >= 0; w = va_arg(ap, const char *))
		r = push(&v, w);
	va_end(ap);
	if (r < 0)
		return r;
	if (b->len && (r = hs_buf_putc(b, '\n')) < 0)
		return r;
	return hs_shell_quote_argv(b, (const char *const *)v);
}

static int add_step(hs_migrate_plan *p, const char *id, char *title, hs_buf *cmd, char *undo, bool external)
{
	hs_migrate_step *s = &p->steps[p->n_steps];

	if (!title || !undo)
		return -ENOMEM;
	s->id = id;
	s->title = keep(p, title);
	s->command = keep(p, hs_buf_steal(cmd));
	s->undo = keep(p, undo);
	s->external = external;
	if (!s->title || !s->command || !s->undo)
		return -ENOMEM;
	p->n_steps++;
	return 0;
}

static int note(hs_migrate_plan *p, const char *fmt, ...) _printf_(2, 3);
static int note(hs_migrate_plan *p, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return hs_strv_push(&p->notes, s, strlen(s));
}

static char *mkstr(const char *fmt, ...) _printf_(1, 2);
static char *mkstr(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static bool is_supplementary(const hs_migrate_plan *p, const char *g)
{
	return p->info->private_group || !p->info->primary_group || strcmp(g, p->info->primary_group) != 0;
}

static int build_steps(hs_migrate_plan *p)
{
	const hs_migrate_info *in = p->info;
	_cleanup_free_ char *etc_passwd = hs_migrate_host_path(p->root, "/etc/passwd"),
			    *etc_shadow = hs_migrate_host_path(p->root, "/etc/shadow"),
			    *etc_group = hs_migrate_host_path(p->root, "/etc/group"),
			    *etc_gshadow = hs_migrate_host_path(p->root, "/etc/gshadow"),
			    *pattern = NULL, *members = NULL;
	_cleanup_buf_ hs_buf c = {0}, groups = {0};
	int r = 0;

	if (!etc_passwd || !etc_shadow || !etc_group || !etc_gshadow || asprintf(&pattern, "/^%s:/d", in->user) < 0)
		return -ENOMEM;

	/* backup */
	{
		static const char *const files[] = { "passwd", "shadow", "group", "gshadow" };
		const char *srcs[] = { etc_passwd, etc_shadow, etc_group, etc_gshadow };

		r = words(&c, "install", "-d", "-m", "0700", p->workdir_host, NULL);
		for (size_t i = 0; r >= 0 && i < 4; i++) {
			_cleanup_free_ char *dst = mkstr("%s/%s.STAMP", p->workdir_host, files[i]);

			r = dst ? words(&c, "install", "-m", i % 2 ? "0600" : "0644", srcs[i], dst, NULL) : -ENOMEM;
		}
		if (r < 0)
			return r;
		r = add_step(p, "backup", mkstr("Back up /etc/passwd, /etc/shadow, /etc/group and /etc/gshadow into "
						"%s (STAMP: the UTC time, e.g. 20250101T120000Z)", p->workdir),
			     &c, mkstr("delete %s (with the journal, as the last act of a rollback)", p->workdir_host),
			     false);
		if (r < 0)
			return r;
	}

	/* manifest */
	r = words(&c, "homesetup", "manifest", p->home_host, "-o", p->manifest_host, NULL);
	if (r < 0)
		return r;
	r = add_step(p, "manifest", mkstr("Record every entry of %s: type, mode, owner, size, times, symlink target, "
					  "hard links, xattrs, ACLs and a content hash (xxh3-128)", in->home),
		     &c, mkstr("delete the manifest with the working directory"), false);
	if (r < 0)
		return r;

	/* move-aside */
	if (p->opts.copy) {
		r = argv_text(&c, p, HS_MIGRATE_ARGV_COPY_ASIDE);
		if (r >= 0)
			r = words(&c, "homesetup", "verify", "--manifest", p->manifest_host, p->saved_host, NULL);
		if (r >= 0)
			r = words(&c, "rm", "-rf", "--one-file-system", p->home_host, NULL);
		if (r < 0)
			return r;
		r = add_step(p, "move-aside", mkstr("Copy %s to %s (--copy), verify the copy against the manifest, "
						    "then remove %s (homed refuses a home directory that exists)",
						    in->home, in->saved, in->home),
			     &c, mkstr("mv %s %s (after removing what is left of %s; before the copy was verified: "
				       "remove the partial copy instead)", p->saved_host, p->home_host, p->home_host),
			     true);
	} else {
		r = words(&c, "mv", p->home_host, p->saved_host, NULL);
		if (r < 0)
			return r;
		r = add_step(p, "move-aside", mkstr("Move %s aside to %s: a rename on the same file system, never a copy "
						    "(homed refuses a home directory that exists, even an empty one)",
						    in->home, in->saved),
			     &c, mkstr("mv %s %s", p->saved_host, p->home_host), false);
	}
	if (r < 0)
		return r;

	/* remove-account */
	r = words(&c, "sed", "-i", pattern, etc_passwd, etc_shadow, NULL);
	if (r >= 0 && in->private_group)
		r = words(&c, "sed", "-i", pattern, etc_group, etc_gshadow, NULL);
	for (size_t i = 0; r >= 0 && in->member_of && in->member_of[i]; i++) {
		if (!is_supplementary(p, in->member_of[i]))
			continue;
		r = strcmp(p->root, "/") == 0 ? words(&c, "gpasswd", "-d", in->user, in->member_of[i], NULL) :
						 words(&c, "gpasswd", "--root", p->root, "-d", in->user, in->member_of[i], NULL);
		if (r >= 0)
			r = hs_buf_printf(&groups, "%s%s", groups.len ? ", " : "", in->member_of[i]);
	}
	if (r < 0)
		return r;
	r = add_step(p, "remove-account",
		     mkstr("Remove %s from /etc/passwd and /etc/shadow%s%s%s%s%s%s under the lock /etc/.pwd.lock, each file "
			   "replaced atomically (homed refuses a name or UID it finds in NSS)", in->user,
			   in->private_group ? ", its private group " : "", in->private_group ? in->user : "",
			   in->private_group ? " from /etc/group and /etc/gshadow" : "",
			   groups.len ? ", and its name from the member lists of " : "", groups.len ? groups.p : "",
			   groups.len ? "," : ""),
		     &c, mkstr("put every removed line and member back where it was (the undo record in the journal; "
			       "the backups are in %s)", p->workdir_host), false);
	if (r < 0)
		return r;

	/* create */
	r = argv_text(&c, p, HS_MIGRATE_ARGV_CREATE);
	if (r < 0)
		return r;
	r = add_step(p, "create", mkstr("Create %s as a homed user with UID %" PRIu32 ", the same name, real name, shell "
					"and groups (storage %s%s%s), with an empty skeleton (the copy brings the home's own files); the "
					"password is handed over in homectl's environment (NEWPASSWORD), never on its command "
					"line", in->user, in->uid,
					p->storage, p->fs_type ? ", file system " : "", p->fs_type ? p->fs_type : ""),
		     &c, mkstr("homectl remove %s", in->user), true);
	if (r < 0)
		return r;

	/* copy */
	r = argv_text(&c, p, HS_MIGRATE_ARGV_COPY);
	if (r < 0)
		return r;
	r = add_step(p, "copy", mkstr("Copy %s into the new home while homed has it mounted (homectl with; PASSWORD in "
				      "its environment), keeping hard links, ACLs, xattrs, owners and times (to the "
				      "nanosecond: --modify-window=-1); never "
				      "--remove-source-files; an rsync exit status other than 0 (23, 24: some files "
				      "were not copied) stops the migration", in->saved),
		     &c, mkstr("nothing: removing the homed user removes the copy"), true);
	if (r < 0)
		return r;

	/* verify */
	r = argv_text(&c, p, HS_MIGRATE_ARGV_VERIFY);
	if (r < 0)
		return r;
	r = add_step(p, "verify", mkstr("Verify the new home against the manifest: every entry, its metadata and "
					"content (homed's .identity is expected and named)"),
		     &c, mkstr("nothing: it changes nothing"), true);
	if (r < 0)
		return r;

	/* remove-saved */
	if (p->opts.remove_saved) {
		r = words(&c, "rm", "-rf", "--one-file-system", p->saved_host, NULL);
		if (r < 0)
			return r;
		r = add_step(p, "remove-saved", mkstr("Delete the saved copy %s, now that the new home is verified "
						      "(--remove-saved)", in->saved),
			     &c, mkstr("none: after this step the migration cannot be rolled back"), false);
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_notes(hs_migrate_plan *p)
{
	const hs_migrate_info *in = p->info;
	int r = 0;

	if (!in->private_group && in->primary_group)
		r = note(p, "the primary group of %s is %s (GID %" PRIu32 "), not a private group: homed gives every user "
			 "a group of its own with GID = UID (%" PRIu32 "), so %s becomes an auxiliary group "
			 "(--member-of)", in->user, in->primary_group, in->gid, in->uid, in->primary_group);
	else if (in->private_group)
		r = note(p, "the private group %s (GID %" PRIu32 ") is removed with the account; homed manages a group of "
			 "the same name and GID", in->user, in->gid);
	if (r >= 0 && p->acl_option)
		r = note(p, "the home holds ACLs and the new one is btrfs inside LUKS, which homed mounts without ACL "
			 "support unless told: --luks-extra-mount-options=acl");
	if (r >= 0 && in->has_acls && !p->acl_option && p->storage && strcmp(p->storage, "luks") == 0 && p->fs_type &&
	    strcmp(p->fs_type, "btrfs") == 0)
		r = note(p, "the home holds ACLs and the new one is btrfs inside LUKS: without the acl mount option rsync "
			 "exits 23 and the copy stops");
	if (r >= 0 && p->opts.copy)
		r = note(p, "--copy: the home is copied aside rather than renamed, which needs room for a second copy "
			 "on /home");
	if (r >= 0 && !p->opts.remove_saved)
		r = note(p, "%s is kept after the migration (the rollback needs it); delete it once the new home "
			 "serves you well, or plan with --remove-saved", in->saved);
	if (r >= 0 && strcmp(p->root, "/") != 0)
		r = note(p, "ROOT is %s: homectl (%s) runs on this host with the host paths below; against a real "
			 "systemd-homed a migration only makes sense with ROOT=/", p->root, p->homectl);
	return r;
}

void hs_migrate_plan_free(hs_migrate_plan *p)
{
	if (!p)
		return;
	hs_migrate_info_free_copy(p->info);
	hs_migrate_options_done(&p->opts);
	free(p->root);
	free(p->homectl);
	free(p->rsync);
	free(p->self);
	free(p->home_host);
	free(p->saved_host);
	free(p->workdir);
	free(p->journal);
	free(p->manifest);
	free(p->workdir_host);
	free(p->journal_host);
	free(p->manifest_host);
	free(p->real_name);
	free(p->storage);
	free(p->fs_type);
	hs_strv_free(p->rsync_flags);
	hs_strv_free(p->strings);
	hs_strv_free(p->notes);
	free(p);
}

/* rsync's flags from the facts: words starting with '-'; never a flag that deletes anything. */
static int split_rsync_flags(hs_ctx *ctx, const char *flags, char ***out)
{
	_cleanup_(hs_strv_freep) char **v = NULL;
	const char *s = flags && *flags ? flags : "-aHAXUv";

	while (*s) {
		size_t n;

		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (!n)
			break;
		if (s[0] != '-' || (n >= 8 && memmem(s, n, "--remove", 8)) || memmem(s, n, "--delete", 8))
			return hs_ctx_set_error(ctx, -EINVAL, "migrate plan: refusing the rsync flags '%s': only options "
						"that copy, never one that removes files", flags);
		if (hs_strv_push(&v, s, n) < 0)
			return -ENOMEM;
		s += n;
	}
	*out = TAKE_PTR(v);
	return 0;
}

int hs_migrate_plan_from_info(hs_ctx *ctx, hs_migrate_plan **out, const hs_migrate_info *info,
			      const hs_migrate_options *opts)
{
	_cleanup_(hs_migrate_plan_freep) hs_migrate_plan *p = calloc(1, sizeof(*p));
	const char *env;
	int r;

	if (!p)
		return -ENOMEM;
	if (!info || !info->user || !hs_migrate_name_path_safe(info->user))
		return hs_ctx_set_error(ctx, -EINVAL, "migrate plan: no usable user name");
	if (!info->home || info->home[0] != '/' || info->uid == 0)
		return hs_ctx_set_error(ctx, -EINVAL, "migrate plan: the facts of %s lack a home directory or a UID",
					info->user);
	r = hs_migrate_info_dup(info, &p->info);
	if (r < 0)
		return r;
	if (!p->info->saved) {
		char *s = mkstr("%s.saved", p->info->home);

		if (!s)
			return -ENOMEM;
		p->info->saved = s;
	}
	r = hs_migrate_options_dup(&p->opts, opts ? opts : &(hs_migrate_options){ .user = info->user });
	if (r < 0)
		return r;
	p->root = strdup(hs_ctx_get_root(ctx));
	env = getenv("HOMESETUP_HOMECTL");
	p->homectl = strdup(env && *env ? env : "/usr/bin/homectl");
	p->rsync = pick_rsync(p->root, info);
	p->self = self_exe();
	p->workdir = mkstr("%s/%s", HS_MIGRATE_STATE_DIR, info->user);
	p->journal = mkstr("%s/%s.json", HS_MIGRATE_STATE_DIR, info->user);
	p->manifest = mkstr("%s/%s/manifest.txt", HS_MIGRATE_STATE_DIR, info->user);
	if (!p->root || !p->homectl || !p->rsync || !p->self || !p->workdir || !p->journal || !p->manifest)
		return -ENOMEM;
	if (p->homectl[0] != '/' || p->rsync[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "migrate plan: HOMESETUP_HOMECTL and HOMESETUP_RSYNC must be "
					"absolute paths (got '%s', '%s')", p->homectl, p->rsync);
	p->home_host = hs_migrate_host_path(p->root, p->info->home);
	p->saved_host = hs_migrate_host_path(p->root, p->info->saved);
	p->workdir_host = hs_migrate_host_path(p->root, p->workdir);
	p->journal_host = hs_migrate_host_path(p->root, p->journal);
	p->manifest_host = hs_migrate_host_path(p->root, p->manifest);
	if (!p->home_host || !p->saved_host || !p->workdir_host || !p->journal_host || !p->manifest_host)
		return -ENOMEM;

	/* what homectl create gets */
	if (info->gecos) {
		size_t n = strcspn(info->gecos, ",");

		while (n > 0 && info->gecos[n - 1] == ' ')
			n--;
		p->real_name = hs_strndup(info->gecos, n);
		if (!p->real_name)
			return -ENOMEM;
	}
	p->storage = strdup(info->storage ? info->storage : p->opts.storage ? p->opts.storage : "luks");
	if (!p->storage)
		return -ENOMEM;
	if (strcmp(p->storage, "luks") == 0) {
		const char *fs = info->fs_type ? info->fs_type : p->opts.fs_type;

		if (fs && !(p->fs_type = strdup(fs)))
			return -ENOMEM;
		p->disk_size = p->opts.disk_size ? p->opts.disk_size : info->disk_size;
		p->acl_option = info->needs_acl_mount_option ||
				(info->has_acls && p->fs_type && strcmp(p->fs_type, "btrfs") == 0);
	} else
		p->disk_size = p->opts.disk_size; /* a quota, only when asked for */
	r = split_rsync_flags(ctx, info->rsync_flags, &p->rsync_flags);
	if (r < 0)
		return r;

	r = build_steps(p);
	if (r < 0)
		return r;
	r = build_notes(p);
	if (r < 0)
		return r;
	*out = TAKE_PTR(p);
	return 0;
}

int hs_migrate_plan_new(hs_ctx *ctx, hs_migrate_plan **out, const hs_migrate_facts *facts,
			const hs_migrate_options *opts)
{
	const hs_report *rep;

	if (!facts)
		return hs_ctx_set_error(ctx, -EINVAL, "migrate plan: no facts");
	rep = hs_migrate_facts_report(facts);
	for (size_t i = 0; rep && i < hs_report_count(rep); i++) {
		const hs_check_result *res = hs_report_get(rep, i);

		if (res->status == HS_CHECK_FAIL)
			return hs_ctx_set_error(ctx, -EPERM, "%s: %s%s%s", res->id, res->summary, res->fix ? "; fix: " : "",
						res->fix ? res->fix : "");
	}
	return hs_migrate_plan_from_info(ctx, out, hs_migrate_facts_info(facts), opts);
}

size_t hs_migrate_plan_count(const hs_migrate_plan *plan)
{
	return plan ? plan->n_steps : 0;
}

const hs_migrate_step *hs_migrate_plan_step(const hs_migrate_plan *plan, size_t i)
{
	return plan && i < plan->n_steps ? &plan->steps[i] : NULL;
}

const char *hs_migrate_plan_user(const hs_migrate_plan *plan)
{
	return plan ? plan->info->user : NULL;
}

const hs_migrate_info *hs_migrate_plan_info(const hs_migrate_plan *plan)
{
	return plan ? plan->info : NULL;
}

const char *hs_migrate_plan_journal(const hs_migrate_plan *plan)
{
	return plan ? plan->journal_host : NULL;
}

size_t hs_migrate_plan_note_count(const hs_migrate_plan *plan)
{
	return plan ? hs_strv_length(plan->notes) : 0;
}

const char *hs_migrate_plan_note(const hs_migrate_plan *plan, size_t i)
{
	return i < hs_migrate_plan_note_count(plan) ? plan->notes[i] : NULL;
}
