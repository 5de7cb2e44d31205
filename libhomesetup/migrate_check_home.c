/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `migrate` checks about the home (migrate_check.c has the account, the tools and the group runner): the
 * home directory, the paths the migration creates, the space on /home, and what the home holds that needs care.
 * The facts come from migrate_facts_home.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "homesetupP.h"

/* ---- the home --------------------------------------------------------------------------------------------- */

static const char *file_kind(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	case S_IFLNK: return "symlink";
	}
	return "file";
}

int hs_migrate_check_home(hs_checker *c, hs_migrate_facts *f)
{
	const char *u = f->info.user, *h = f->info.home;
	_cleanup_free_ char *fix = NULL, *detail = NULL;
	char size[32];

	if (!f->pw || f->journal)
		return hs_migrate_skip_blocked(c, f, "migrate.home");
	if (f->home_err == -EINVAL) {
		if (asprintf(&fix, "give %s a home of its own: usermod -d /home/%s -m %s", u, u, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, NULL, "%s", f->home_why);
	}
	if (f->home_err == -ENOENT) {
		if (asprintf(&fix, "create it first (install -d -m 0700 -o %s -g %" PRIu32 " %s), or remove the account "
			     "and make a new homed user with homectl create", u, f->pw->gid, h) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, NULL, "%s has no home directory: %s does "
				      "not exist", u, h);
	}
	if (f->home_err < 0)
		return hs_checker_add(c, "migrate.home", HS_CHECK_SKIP, "run as root", f->home_why, "cannot look at %s",
				      h);
	if (S_ISLNK(f->home_mode)) {
		if (asprintf(&fix, "put the directory itself at %s: move what the link points to into its place "
			     "(rm %s; mv %s %s, on the same file system), then check again", h, h,
			     f->home_link ? f->home_link : "TARGET", h) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, "the migration renames the home directory "
				      "and copies it into homed's own; it never follows a link", "%s is a symlink (to %s)",
				      h, f->home_link ? f->home_link : "?");
	}
	if (!S_ISDIR(f->home_mode)) {
		if (asprintf(&fix, "make %s a directory holding %s's files", h, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, NULL, "%s is not a directory but a %s", h,
				      file_kind(f->home_mode));
	}
	if (f->home_mount) {
		if (asprintf(&fix, "copy the data onto /home's file system and unmount it: mkdir %s.new && cp -a "
			     "%s/. %s.new/ && umount %s && rmdir %s && mv %s.new %s (and remove its line from "
			     "/etc/fstab)", h, h, h, h, h, h, h) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, f->home_mount_why, "%s is a mount point: "
				      "homed mounts the new home there, and the old one cannot be renamed aside", h);
	}
	if (f->mounts.n > 0) {
		detail = hs_migrate_examples_text(NULL, &f->mounts);
		if (!detail || asprintf(&fix, "unmount them (umount PATH) and remove them from /etc/fstab: what is "
					"mounted there is not part of the home") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, detail, "%" PRIu64 " mount point%s inside "
				      "%s", f->mounts.n, hs_migrate_plural(f->mounts.n), h);
	}
	if (f->subvolumes.n > 0) {
		detail = hs_migrate_examples_text("btrfs subvolumes (another st_dev, not in the mount table); the manifest "
						  "records them without entering them, so the copy, which rsync makes of "
						  "their contents, could not be verified:", &f->subvolumes);
		if (!detail || asprintf(&fix, "make each a plain directory first: cp -a --reflink=auto SUB SUB.dir && "
					"btrfs subvolume delete SUB && mv SUB.dir SUB") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, detail, "%" PRIu64 " btrfs subvolume%s "
				      "inside %s", f->subvolumes.n, hs_migrate_plural(f->subvolumes.n), h);
	}
	if (f->home_elsewhere && f->expected_exists) {
		if (asprintf(&fix, "move /home/%s out of the way (mv /home/%s /home/%s.old)", u, u, u) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, fix, "homework: \"Home directory /home/USER "
				      "already exists, refusing.\"", "%s's home is %s, and /home/%s exists: homed needs "
				      "/home/%s for the new home", u, h, u, u);
	}
	if (f->home_elsewhere && f->home_other_fs && !f->copy)
		return hs_checker_add(c, "migrate.home", HS_CHECK_FAIL, "migrate with --copy (it needs room for a second "
				      "copy on /home)", "the old home is moved aside to /home/USER.saved, which is a rename "
				      "only on the same file system", "%s's home %s is not on the file system of /home: it "
				      "cannot be renamed to %s", u, h, f->info.saved);
	hs_migrate_human(size, sizeof(size), f->info.home_bytes);
	if (f->home_elsewhere) {
		if (asprintf(&detail, "the old home is moved to %s and copied into the new one at /home/%s; $HOME "
			     "becomes /home/%s: scripts, symlinks and settings naming %s must change", f->info.saved, u,
			     u, h) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.home", HS_CHECK_WARN, "fix what names the old path after the migration "
				      "(grep -r OLDPATH in the home)", detail, "%s's home is %s, not /home/%s: homed "
				      "will use /home/%s", u, h, u, u);
	}
	return hs_checker_add(c, "migrate.home", HS_CHECK_OK, NULL, NULL, "%s is a %s on /home's file system (%" PRIu64
			      " entries, %s)", h, f->home_subvolume ? "btrfs subvolume" : "plain directory", f->entries,
			      size);
}

int hs_migrate_check_saved(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *fix = NULL;

	if (f->accounts_why && !f->journal)
		return hs_migrate_skip_blocked(c, f, "migrate.saved");
	if (f->journal)
		return hs_checker_add(c, "migrate.saved", HS_CHECK_OK, NULL, f->journal, "%s %s to the migration under way",
				      f->info.saved, f->saved_exists ? "belongs" : "will belong");
	if (f->saved_exists) {
		if (asprintf(&fix, "look at what it holds, then move it away (mv %s %s.old) or delete it",
			     f->info.saved, f->info.saved) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.saved", HS_CHECK_FAIL, fix, "the migration moves the old home there "
				      "and keeps it until the new home is verified", "%s exists already", f->info.saved);
	}
	if (f->image_exists) {
		if (asprintf(&fix, "if no homed user uses it (homectl list), it is left over from an earlier attempt: "
			     "remove it (rm -r %s)", f->image_path) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.saved", HS_CHECK_FAIL, fix, "homectl create makes the new home there",
				      "%s exists already", f->image_path);
	}
	return hs_checker_add(c, "migrate.saved", HS_CHECK_OK, NULL, NULL, "%s and %s are free", f->info.saved,
			      f->image_path);
}

int hs_migrate_check_space(hs_checker *c, hs_migrate_facts *f)
{
	char h_free[32], h_need[32], h_data[32], h_disk[32], h_min[32], h_more[32];
	bool luks = strcmp(f->info.storage, "luks") == 0;
	_cleanup_free_ char *detail = NULL, *fix = NULL;
	int r;

	if (f->space_why)
		return hs_checker_add(c, "migrate.space", HS_CHECK_SKIP, NULL, NULL, "%s", f->space_why);
	r = hs_migrate_skip_unscanned(c, f, "migrate.space");
	if (r != 0)
		return r < 0 ? r : 0;
	hs_migrate_human(h_free, sizeof(h_free), f->info.free_bytes);
	hs_migrate_human(h_need, sizeof(h_need), f->needed);
	hs_migrate_human(h_data, sizeof(h_data), f->copy_bytes);
	hs_migrate_human(h_disk, sizeof(h_disk), f->info.disk_size);
	hs_migrate_human(h_min, sizeof(h_min), f->min_disk_size);
	if (luks)
		r = asprintf(&detail, "the data: %s; the new home: a LUKS image of %s (--disk-size=%" PRIu64 "%s), "
			     "allocated in full when homed creates it%s; grow it later with homectl resize", h_data,
			     h_disk, f->info.disk_size, f->opt_disk_size ? ", as given" : ": max(data + 10%, the file "
			     "system's minimum) + 18 MiB of GPT and LUKS2 headers", f->copy ? "; with --copy, a second "
			     "copy of the data" : "");
	else
		r = asprintf(&detail, "the data: %s, copied once more into the new %s home on /home%s", h_data,
			     f->info.storage, f->copy ? "; with --copy, a second copy of the data" : "");
	if (r < 0)
		return -ENOMEM;
	if (luks && f->opt_disk_size && f->opt_disk_size < f->min_disk_size) {
		if (asprintf(&fix, "give --disk-size=%" PRIu64 " or more (or leave it out)", f->min_disk_size) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.space", HS_CHECK_FAIL, fix, detail, "--disk-size %s is too small for "
				      "the home: its data needs an image of at least %s", h_disk, h_min);
	}
	if (f->info.free_bytes < f->needed) {
		hs_migrate_human(h_more, sizeof(h_more), f->needed - f->info.free_bytes);
		if (asprintf(&fix, "free at least %s on the file system of /home (du -sh /home/*)%s", h_more,
			     f->copy ? ", or migrate without --copy (the old home is then renamed, not copied)" : "") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "migrate.space", HS_CHECK_FAIL, fix, detail, "not enough space on /home: %s "
				      "free, %s needed", h_free, h_need);
	}
	return hs_checker_add(c, "migrate.space", HS_CHECK_OK, NULL, detail, "room on /home: %s free, %s needed%s%s",
			      h_free, h_need, luks ? "; --disk-size=" : "", luks ? h_disk : "");
}

/* ---- what the home holds ------------------------------------------------------------------------------------ */

int hs_migrate_check_xattrs(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL;
	_cleanup_buf_ hs_buf what = {0};
	int r = hs_migrate_skip_unscanned(c, f, "migrate.xattrs");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->acls.n && !f->xattrs.n)
		return hs_checker_add(c, "migrate.xattrs", HS_CHECK_OK, NULL, NULL, "no ACLs or extended attributes in "
				      "the home");
	if (f->acls.n)
		r = hs_buf_printf(&what, "%" PRIu64 " with ACLs", f->acls.n);
	if (r >= 0 && f->xattrs.n)
		r = hs_buf_printf(&what, "%s%" PRIu64 " with extended attributes", what.len ? ", " : "", f->xattrs.n);
	detail = r < 0 ? NULL : hs_migrate_examples_text(NULL, f->acls.n ? &f->acls : &f->xattrs);
	if (!detail)
		return -ENOMEM;
	if (f->info.needs_acl_mount_option)
		return hs_checker_add(c, "migrate.xattrs", HS_CHECK_OK, NULL, detail, "entries %s: rsync copies them "
				      "(-A -X) and homectl create gets --luks-extra-mount-options=acl (homed mounts btrfs "
				      "noacl: without it rsync exits 23 and the ACLs are lost)", what.p);
	return hs_checker_add(c, "migrate.xattrs", HS_CHECK_OK, NULL, detail, "entries %s: rsync copies them (-A -X)",
			      what.p);
}

int hs_migrate_check_hardlinks(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL;
	int r = hs_migrate_skip_unscanned(c, f, "migrate.hardlinks");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->outside_links.n)
		return hs_checker_add(c, "migrate.hardlinks", HS_CHECK_OK, NULL, NULL, "no file in the home has hard "
				      "links outside it");
	detail = hs_migrate_examples_text(NULL, &f->outside_links);
	if (!detail)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.hardlinks", HS_CHECK_WARN, "if a link matters, make it again after the "
			      "migration (ln), or copy the file into the home instead of linking", detail, "%" PRIu64
			      " file%s in the home ha%s hard links outside it: the new home gets a copy, no longer "
			      "linked", f->outside_links.n, hs_migrate_plural(f->outside_links.n), f->outside_links.n == 1 ? "s" :
			      "ve");
}

int hs_migrate_check_owner(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL, *fix = NULL;
	int r = hs_migrate_skip_unscanned(c, f, "migrate.owner");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->not_owned.n)
		return hs_checker_add(c, "migrate.owner", HS_CHECK_OK, NULL, NULL, "every entry of the home belongs to "
				      "%s (UID %" PRIu32 ")", f->info.user, f->pw->uid);
	detail = hs_migrate_examples_text(NULL, &f->not_owned);
	if (!detail || asprintf(&fix, "if %s should own them: chown -h %s PATH", f->info.user, f->info.user) < 0)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.owner", HS_CHECK_WARN, fix, detail, "%" PRIu64 " entr%s of the home "
			      "do%s not belong to %s: they keep their owners in the new home", f->not_owned.n,
			      f->not_owned.n == 1 ? "y" : "ies", f->not_owned.n == 1 ? "es" : "", f->info.user);
}

/* Entries homed's idmapped mount cannot hold (migrate_facts_home.c, hs_migrate_id_mapped()): rsync's chown and
 * set_acl fail with EINVAL there, it exits 23 and the migration stops at the copy. Refused before anything moves. */
int hs_migrate_check_ids(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL, *fix = NULL;
	_cleanup_buf_ hs_buf ids = {0}, intro = {0};
	const char *u = f->info.user, *h = f->info.home;
	uint32_t first;
	int r = hs_migrate_skip_unscanned(c, f, "migrate.ids");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->unmapped.n)
		return hs_checker_add(c, "migrate.ids", HS_CHECK_OK, NULL, NULL, "every owner, group and ACL entry in the "
				      "home is an ID homed maps into the new home");
	first = f->unmapped_ids[0];
	r = hs_buf_printf(&intro, "homed mounts the new home through an idmapped mount that maps only 0-60000, %s's "
			  "UID %" PRIu32 ", 60513-65533 and the container range 524288-1878982656; rsync cannot chown to, "
			  "or set an ACL naming, any other ID there (EINVAL) and exits 23. The IDs:", u, f->pw->uid);
	for (size_t i = 0; r >= 0 && i < f->n_unmapped_ids; i++) {
		uint32_t id = f->unmapped_ids[i];

		r = hs_buf_printf(&ids, "%s%" PRIu32, i ? ", " : "", id);
		if (r >= 0)
			r = hs_buf_printf(&intro, "\n%" PRIu32 ": %s", id, hs_migrate_id_unmapped_why(id));
	}
	if (r >= 0 && f->unmapped_ids_more)
		r = hs_buf_puts(&ids, " and others");
	if (r >= 0)
		r = hs_buf_puts(&intro, "\nThe entries:");
	if (r < 0 || !(detail = hs_migrate_examples_text(intro.p, &f->unmapped)))
		return -ENOMEM;
	if (asprintf(&fix, "give each an owner, group and ACL entries homed maps: chown -h %s PATH, chgrp -h %s PATH, "
		     "setfacl -x u:ID PATH (g:ID for a group entry, d:u:ID or d:g:ID for a default one); find them with "
		     "find %s -xdev \\( -uid %" PRIu32 " -o -gid %" PRIu32 " \\) and getfacl -R -n -p %s | grep ':%" PRIu32
		     ":'. If an ID is an account whose files these are (a user with a UID in 60001-60512), give that "
		     "account a UID below 60001 first (usermod -u NEWUID NAME re-owns its home; chown the rest)", u, u, h,
		     first, first, h, first) < 0)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.ids", HS_CHECK_FAIL, fix, detail, "%" PRIu64 " entr%s of the home %s a UID "
			      "or GID that homed's idmapped mount of the new home leaves unmapped (%s): rsync cannot copy "
			      "%s", f->unmapped.n, f->unmapped.n == 1 ? "y" : "ies", f->unmapped.n == 1 ? "names" : "name",
			      ids.p, f->unmapped.n == 1 ? "it" : "them");
}

int hs_migrate_check_special(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL;
	int r = hs_migrate_skip_unscanned(c, f, "migrate.special");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->special.n)
		return hs_checker_add(c, "migrate.special", HS_CHECK_OK, NULL, NULL, "no sockets, FIFOs or device nodes "
				      "in the home");
	detail = hs_migrate_examples_text(NULL, &f->special);
	if (!detail)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.special", HS_CHECK_WARN, "remove the ones nothing needs (stale sockets of "
			      "programs that ran as the user)", detail, "%" PRIu64 " socket%s, FIFO%s or device node%s "
			      "in the home: rsync copies them as they are; device nodes do not work in a home (homed "
			      "mounts it nodev) and sockets are stale", f->special.n, hs_migrate_plural(f->special.n),
			      hs_migrate_plural(f->special.n), hs_migrate_plural(f->special.n));
}

int hs_migrate_check_sparse(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL;
	char extra[32];
	int r = hs_migrate_skip_unscanned(c, f, "migrate.sparse");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->sparse.n)
		return hs_checker_add(c, "migrate.sparse", HS_CHECK_OK, NULL, NULL, "no sparse files in the home");
	detail = hs_migrate_examples_text(NULL, &f->sparse);
	if (!detail)
		return -ENOMEM;
	hs_migrate_human(extra, sizeof(extra), f->copy_bytes - f->info.home_bytes);
	return hs_checker_add(c, "migrate.sparse", HS_CHECK_WARN, "to make them sparse again after the migration: "
			      "fallocate --dig-holes FILE", detail, "%" PRIu64 " sparse file%s: the copy writes them in "
			      "full, %s more than they take now (counted in the space needed)", f->sparse.n,
			      hs_migrate_plural(f->sparse.n), extra);
}

int hs_migrate_check_names(hs_checker *c, hs_migrate_facts *f)
{
	_cleanup_free_ char *detail = NULL;
	int r = hs_migrate_skip_unscanned(c, f, "migrate.names");

	if (r != 0)
		return r < 0 ? r : 0;
	if (!f->bad_names.n)
		return hs_checker_add(c, "migrate.names", HS_CHECK_OK, NULL, NULL, "every file name in the home is "
				      "valid UTF-8");
	detail = hs_migrate_examples_text("they are copied and verified byte for byte; programs that expect UTF-8 (file "
			       "managers, JSON reports) show them mangled:", &f->bad_names);
	if (!detail)
		return -ENOMEM;
	return hs_checker_add(c, "migrate.names", HS_CHECK_WARN, "rename them if that matters (convmv -f latin1 -t "
			      "utf-8 -r DIR shows what it would do)", detail, "%" PRIu64 " file name%s in the home %s "
			      "not valid UTF-8", f->bad_names.n, hs_migrate_plural(f->bad_names.n), f->bad_names.n == 1 ? "is" :
			      "are");
}
