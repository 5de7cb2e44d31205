/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The home side of the migration facts: the home directory (where it is, what it is, whether anything is mounted
 * on or below it), the paths the migration creates (/home/USER.saved; homed's image, /home/USER.home for LUKS and
 * /home/USER.homedir otherwise), what the home holds that needs care, and the space the new home needs.
 *
 * The contents come from a metadata-only manifest scan (hs_manifest_scan with HS_MANIFEST_NO_HASH: openat with
 * O_NOFOLLOW all the way, never leaving the home's file system). Sizes follow the model of space.c: the disk
 * space files take (st_blocks × 512), a file with several links inside the home counted once; the copy, which
 * rsync makes without --sparse, writes sparse files in full, so those count at their apparent size. The image
 * is then hs_space_needed() of that (LUKS: max(data + 10 %, the file system's minimum) + 18 MiB), rounded up to
 * whole MiB, and is what --disk-size says; other storage takes the data once more on /home itself.
 *
 * Mount points are seen two ways: st_dev differing from the parent directory's, and the mount table
 * (/proc/self/mountinfo; its paths are the host's, so a ROOT other than "/" is looked for under its real path).
 * A btrfs subvolume has an st_dev of its own too: when the mount table can be read, a directory with another
 * st_dev that it does not list is a subvolume, not a mount.
 *
 * homed mounts the new home through an idmapped mount (systemd's make_home_userns()) that maps only some IDs; an
 * entry owned by another, or with an ACL entry naming one, cannot be written into it: rsync's chown and set_acl
 * fail with EINVAL and it exits 23. Such entries are recorded with the IDs (migrate.ids), apart from the entries
 * of other, mapped owners (migrate.owner).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "homesetupP.h"

#define MIB (UINT64_C(1) << 20)
#define FS_EXT4 0xEF53u
#define FS_F2FS 0xF2F52010u

/* ---- findings --------------------------------------------------------------------------------------------- */

/* A path as a report shows it: control characters, backslashes and bytes that are not UTF-8 as \xNN (valid
 * UTF-8 kept), at most 200 bytes of it. NULL on ENOMEM. */
static char *shown_path(const char *s, size_t len)
{
	_cleanup_buf_ hs_buf b = {0};
	bool cut = len > 200;

	if (cut)
		len = 200;
	if (hs_buf_reserve(&b, len) < 0)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		int k = hs_utf8_next(s + i, len - i, &cp), r;

		if (k > 1) {
			r = hs_buf_append(&b, s + i, (size_t)k);
			i += (size_t)k;
		} else {
			r = c < 0x20 || c == 0x7f || c >= 0x80 ? hs_buf_printf(&b, "\\x%02x", c) :
			    c == '\\' ? hs_buf_puts(&b, "\\\\") : hs_buf_putc(&b, (char)c);
			i++;
		}
		if (r < 0)
			return NULL;
	}
	if (cut && hs_buf_puts(&b, "...") < 0)
		return NULL;
	return hs_buf_steal(&b);
}

static int example_add(hs_migrate_facts *f, hs_migrate_examples *ex, const char *path, size_t len)
{
	if (ex->n++ >= HS_MIGRATE_EXAMPLES)
		return 0;
	ex->v[ex->n - 1] = hs_migrate_keep(f, shown_path(path, len));
	return ex->v[ex->n - 1] ? 0 : -ENOMEM;
}

/* An example that says why: "PATH (WHY)", the path shown as shown_path() shows it. */
static int example_add_why(hs_migrate_facts *f, hs_migrate_examples *ex, const char *path, size_t len,
			   const char *why)
{
	_cleanup_free_ char *shown = NULL;

	if (ex->n++ >= HS_MIGRATE_EXAMPLES)
		return 0;
	shown = shown_path(path, len);
	ex->v[ex->n - 1] = shown ? hs_migrate_keepf(f, "%s (%s)", shown, why) : NULL;
	return ex->v[ex->n - 1] ? 0 : -ENOMEM;
}

/* "/a/b//c/" → "/a/b/c" (lexically; no symlinks resolved). */
static char *path_tidy(const char *p)
{
	char *o = malloc(strlen(p) + 2), *q = o;

	if (!o)
		return NULL;
	for (; *p; p++)
		if (*p != '/' || q == o || q[-1] != '/')
			*q++ = *p;
	while (q > o + 1 && q[-1] == '/')
		q--;
	*q = '\0';
	return o;
}

/* ---- the mount table -------------------------------------------------------------------------------------- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. In place. */
static void unescape_octal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Mount points at @host (the home's path on the host) and below it; @inside is the home's path inside ROOT.
 * *mounted receives the paths (inside ROOT) of those below it. */
static int scan_mountinfo(hs_migrate_facts *f, const char *host, const char *inside, char ***mounted)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	const char *proc = hs_migrate_test_proc_dir();
	size_t cap = 0, hl = strlen(host);
	FILE *fp;

	if (asprintf(&path, "%s/self/mountinfo", proc ? proc : "/proc") < 0)
		return -ENOMEM;
	fp = fopen(path, "re");
	if (!fp)
		return 0; /* no /proc: st_dev is all there is */
	f->mountinfo_read = true;
	while (getline(&line, &cap, fp) > 0) {
		char *field[6] = { 0 }, *save = NULL, *fstype = NULL, *dash = strstr(line, " - ");
		size_t nf = 0;

		line[strcspn(line, "\n")] = '\0';
		if (dash) {
			*dash = '\0';
			fstype = strtok_r(dash + 3, " ", &save);
			save = NULL;
		}
		for (char *t = strtok_r(line, " ", &save); t && nf < ELEMENTSOF(field); t = strtok_r(NULL, " ", &save))
			field[nf++] = t;
		if (nf < 5)
			continue;
		unescape_octal(field[4]);
		if (strcmp(field[4], host) == 0) {
			f->home_mount = true;
			f->home_mount_why = hs_migrate_keepf(f, "the mount table lists it (%s%s%s)",
							     fstype ? fstype : "?", field[3] && strcmp(field[3], "/") ?
							     ", bind mount of " : "", field[3] && strcmp(field[3], "/") ?
							     field[3] : "");
			if (!f->home_mount_why) {
				fclose(fp);
				return -ENOMEM;
			}
		} else if (strncmp(field[4], host, hl) == 0 && (field[4][hl] == '/' || hl == 1)) {
			_cleanup_free_ char *p = NULL, *shown = NULL;

			if (asprintf(&p, "%s%s", inside, field[4] + (hl == 1 ? 0 : hl)) < 0 ||
			    asprintf(&shown, "%s (%s)", p, fstype ? fstype : "?") < 0 ||
			    hs_strv_push(mounted, p, strlen(p)) < 0 || example_add(f, &f->mounts, shown, strlen(shown)) < 0) {
				fclose(fp);
				return -ENOMEM;
			}
		}
	}
	fclose(fp);
	return 0;
}

/* ---- the home directory ----------------------------------------------------------------------------------- */

/* lstat @path (absolute, inside ROOT); *dirfd receives the open parent (O_PATH) when wanted. */
static int lstat_in_root(hs_ctx *ctx, const char *path, struct stat *st, int *dirfd)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = '\0';
	fd = hs_root_open(ctx, HS_ROOT_SYS, *dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = fstatat(fd, slash + 1, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (dirfd && r == 0)
		*dirfd = fd;
	else
		close(fd);
	return r;
}

static int gather_paths(hs_ctx *ctx, hs_migrate_facts *f)
{
	struct stat st;
	int r;

	r = lstat_in_root(ctx, f->info.saved, &st, NULL);
	if (r == -ENOMEM)
		return r;
	f->saved_exists = r == 0;
	f->image_path = hs_migrate_keepf(f, "/home/%s.%s", f->info.user,
					 strcmp(f->info.storage, "luks") == 0 ? "home" : "homedir");
	if (!f->image_path)
		return -ENOMEM;
	r = lstat_in_root(ctx, f->image_path, &st, NULL);
	if (r == -ENOMEM)
		return r;
	f->image_exists = r == 0;
	return 0;
}

/* /home's file system: its device, type and free space. */
static int gather_home_fs(hs_ctx *ctx, hs_migrate_facts *f, dev_t *dev)
{
	struct statvfs sv;
	struct statfs sf;
	struct stat st;
	int fd = hs_root_open(ctx, HS_ROOT_SYS, "/home", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*dev = 0;
	if (fd < 0) {
		f->space_why = fd == -ENOENT ? "there is no /home" : hs_migrate_keepf(f, "%s", hs_ctx_last_error(ctx));
		return f->space_why ? 0 : -ENOMEM;
	}
	if (fstat(fd, &st) == 0)
		*dev = st.st_dev;
	if (fstatfs(fd, &sf) == 0)
		f->home_fs_magic = (uint32_t)sf.f_type;
	if (fstatvfs(fd, &sv) == 0)
		f->info.free_bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	else if (!(f->space_why = hs_migrate_keepf(f, "cannot statvfs /home: %s", strerror(errno)))) {
		close(fd);
		return -ENOMEM;
	}
	close(fd);
	if (hs_space_test_avail)
		f->info.free_bytes = hs_space_test_avail;
	/* what the storage needs of /home's file system (homework: subvolumes on btrfs; fscrypt on ext4 or f2fs) */
	if (strcmp(f->info.storage, "subvolume") == 0 && f->home_fs_magic && f->home_fs_magic != (uint32_t)HS_FS_BTRFS)
		f->storage_why = "--storage=subvolume makes a btrfs subvolume: /home is not on btrfs";
	else if (strcmp(f->info.storage, "fscrypt") == 0 && f->home_fs_magic && f->home_fs_magic != FS_EXT4 &&
		 f->home_fs_magic != FS_F2FS)
		f->storage_why = "--storage=fscrypt needs /home on ext4 or f2fs (with the encrypt feature)";
	return 0;
}

/* ---- IDs homed's idmapped mount leaves out ---------------------------------------------------------------- */

/* systemd's src/basic/user-util.h and uid-classification.h (the container range is a meson option; these are its
 * defaults) */
#define HOMED_UID_MIN UINT32_C(60001)
#define HOMED_UID_MAX UINT32_C(60513)
#define UID_NOBODY UINT32_C(65534)
#define CONTAINER_UID_BASE_MIN UINT32_C(0x80000)
#define CONTAINER_UID_BASE_MAX UINT32_C(0x6FFF0000)

bool hs_migrate_id_mapped(uint32_t id, uint32_t uid)
{
	/* make_home_userns(): identity below HOMED_UID_MIN and from HOMED_UID_MAX up to nobody (both but for the
	 * stored UID, which goes to the user's), then the container range (v251: append_identity_range(…,
	 * CONTAINER_UID_BASE_MIN, CONTAINER_UID_BASE_MAX + 1, …)); "everything else unmapped, starting from
	 * UID_NOBODY itself" */
	return id == uid || id < HOMED_UID_MIN || (id >= HOMED_UID_MAX && id < UID_NOBODY) ||
	       (id >= CONTAINER_UID_BASE_MIN && id <= CONTAINER_UID_BASE_MAX);
}

const char *hs_migrate_id_unmapped_why(uint32_t id)
{
	if (id >= HOMED_UID_MIN && id < HOMED_UID_MAX)
		return "homed's UID range 60001-60512, which each home keeps to its own user";
	if (id == UID_NOBODY)
		return "nobody";
	if (id < CONTAINER_UID_BASE_MIN)
		return "65535-524287, between the 16-bit IDs and the container range (subordinate IDs of rootless "
		       "containers, /etc/subuid, are often there)";
	if (id <= UINT32_C(0x7FFFFFFF))
		return "above the container bases (newer systemd releases also map the rest of the container range up "
		       "to 1879048191, nspawn's 2147483646 and, from 258 on, the foreign range 2147352576-2147418111; "
		       "older ones do not)";
	return "beyond 31 bits";
}

static void note_unmapped_id(hs_migrate_facts *f, uint32_t id)
{
	for (size_t i = 0; i < f->n_unmapped_ids; i++)
		if (f->unmapped_ids[i] == id)
			return;
	if (f->n_unmapped_ids < ELEMENTSOF(f->unmapped_ids))
		f->unmapped_ids[f->n_unmapped_ids++] = id;
	else
		f->unmapped_ids_more = true;
}

/* ", WHAT<id> (name)" into @why: @what is "owner ", "group ", "ACL user:" …; the name from the account files. */
static int unmapped_reason(hs_migrate_facts *f, hs_buf *why, const char *what, uint32_t id, bool group)
{
	const char *name = NULL;

	if (group) {
		const hs_group_entry *g = f->accounts ? hs_accounts_group_by_gid(f->accounts, id) : NULL;

		name = g ? g->name : NULL;
	} else {
		const hs_passwd_entry *pw = f->accounts ? hs_accounts_user_by_uid(f->accounts, id) : NULL;

		name = pw ? pw->name : NULL;
	}
	note_unmapped_id(f, id);
	return hs_buf_printf(why, "%s%s%" PRIu32 "%s%s%s", why->len ? ", " : "", what, id, name ? " (" : "",
			     name ? name : "", name ? ")" : "");
}

/* The named entries of an ACL (acl_to_text's short form with numeric ids: "user::rw-,user:1001:r--,…") whose ID
 * homed does not map. A value kept as "raw:…" names nothing we can read. */
static int unmapped_acl(hs_migrate_facts *f, hs_buf *why, const char *acl, bool dflt)
{
	int r = 0;

	for (const char *s = acl; s && *s && r >= 0;) {
		size_t n = strcspn(s, ","), kl = 0;
		bool group = false;

		if (n > 5 && strncmp(s, "user:", 5) == 0) {
			kl = 5;
		} else if (n > 6 && strncmp(s, "group:", 6) == 0) {
			kl = 6;
			group = true;
		}
		if (kl && s[kl] >= '0' && s[kl] <= '9') {
			uint64_t id = 0;
			size_t k = kl;

			for (; k < n && s[k] >= '0' && s[k] <= '9' && id <= UINT32_MAX; k++)
				id = id * 10 + (uint64_t)(s[k] - '0');
			if (k < n && s[k] == ':' && id <= UINT32_MAX && !hs_migrate_id_mapped((uint32_t)id, f->pw->uid))
				r = unmapped_reason(f, why, group ? (dflt ? "default ACL group:" : "ACL group:") :
						    (dflt ? "default ACL user:" : "ACL user:"), (uint32_t)id, group);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return r;
}

/* An entry rsync cannot recreate in the new home: its owner, group or an ACL entry names an ID the mount does not
 * map (chown and setxattr of the ACL fail with EINVAL). */
static int judge_ids(hs_migrate_facts *f, const hs_manifest_entry *e, size_t plen)
{
	_cleanup_buf_ hs_buf why = {0};
	uint32_t uid = f->pw->uid;
	int r = 0;

	if (!hs_migrate_id_mapped(e->uid, uid))
		r = unmapped_reason(f, &why, "owner ", e->uid, false);
	if (r >= 0 && !hs_migrate_id_mapped(e->gid, uid))
		r = unmapped_reason(f, &why, "group ", e->gid, true);
	if (r >= 0)
		r = unmapped_acl(f, &why, e->acl_access, false);
	if (r >= 0)
		r = unmapped_acl(f, &why, e->acl_default, true);
	if (r < 0)
		return -ENOMEM;
	return why.len ? example_add_why(f, &f->unmapped, e->path, plen, why.p) : 0;
}

/* ---- the contents ----------------------------------------------------------------------------------------- */

typedef struct link_ref {
	const char *group;   /* the first path of its hard-link group */
	uint32_t nlink;
} link_ref;

static int link_cmp(const void *a, const void *b)
{
	return strcmp(((const link_ref *)a)->group, ((const link_ref *)b)->group);
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = hs_utf8_next(s + i, len - i, &cp);

		if (k < 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

/* @mounted: the mount points below the home the mount table named (paths inside ROOT), so that the scan's own
 * (st_dev differs) are not counted twice; @canon: the home's path inside ROOT. */
static int judge_contents(hs_migrate_facts *f, const hs_manifest *m, char *const *mounted, const char *canon)
{
	size_t n = hs_manifest_count(m), n_links = 0;
	_cleanup_free_ link_ref *links = calloc(n ? n : 1, sizeof(*links));
	int r = 0;

	if (!links)
		return -ENOMEM;
	f->entries = n;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const hs_manifest_entry *e = hs_manifest_get(m, i);
		size_t plen = strlen(e->path);
		uint32_t type = e->mode & S_IFMT;

		if (e->mountpoint) {
			_cleanup_free_ char *p = NULL;
			bool known = false;

			if (asprintf(&p, "%s/%s", canon, e->path) < 0)
				return -ENOMEM;
			for (size_t k = 0; mounted && mounted[k] && !known; k++)
				known = strcmp(mounted[k], p) == 0;
			/* another st_dev that the mount table does not list: a btrfs subvolume */
			if (!known)
				r = example_add(f, f->mountinfo_read ? &f->subvolumes : &f->mounts, p, strlen(p));
			continue;
		}
		if (!e->hardlink_of) {
			f->info.home_bytes += e->alloc;
			f->copy_bytes += e->alloc;
		}
		/* other owners the new home can hold; those it cannot are judge_ids()'s */
		if (e->uid != f->pw->uid && hs_migrate_id_mapped(e->uid, f->pw->uid))
			r = example_add(f, &f->not_owned, e->path, plen);
		if (r >= 0)
			r = judge_ids(f, e, plen);
		if (r >= 0 && (type == S_IFSOCK || type == S_IFIFO || type == S_IFCHR || type == S_IFBLK))
			r = example_add(f, &f->special, e->path, plen);
		if (r >= 0 && type == S_IFREG && !e->hardlink_of && (e->size & ~UINT64_C(4095)) > e->alloc) {
			f->copy_bytes += e->size - e->alloc;
			r = example_add(f, &f->sparse, e->path, plen);
		}
		if (r >= 0 && (e->acl_access || e->acl_default))
			r = example_add(f, &f->acls, e->path, plen);
		if (r >= 0 && e->xattrs)
			r = example_add(f, &f->xattrs, e->path, plen);
		if (r >= 0 && !utf8_valid(e->path, plen))
			r = example_add(f, &f->bad_names, e->path, plen);
		/* the scan groups the links of regular files (the first path names the group) */
		if (type == S_IFREG && e->nlink > 1)
			links[n_links++] = (link_ref){ .group = e->hardlink_of ? e->hardlink_of : e->path,
						       .nlink = e->nlink };
	}
	if (r < 0)
		return r;
	/* a group is whole when the home holds as many of its names as the inode has links */
	qsort(links, n_links, sizeof(*links), link_cmp);
	for (size_t i = 0, k; i < n_links && r >= 0; i = k) {
		for (k = i + 1; k < n_links && strcmp(links[k].group, links[i].group) == 0; k++)
			;
		if (links[i].nlink > k - i)
			r = example_add(f, &f->outside_links, links[i].group, strlen(links[i].group));
	}
	f->info.has_acls = f->acls.n > 0;
	f->info.has_xattrs = f->xattrs.n > 0;
	return r;
}

static int scan_home(hs_ctx *ctx, hs_migrate_facts *f, int parent, const char *name, char *const *mounted,
		     const char *canon)
{
	hs_manifest *m = NULL;
	int fd, r;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		f->scan_why = hs_migrate_keepf(f, "cannot open %s: %s", f->info.home, strerror(errno));
		return f->scan_why ? 0 : -ENOMEM;
	}
	hs_ctx_clear_error(ctx);
	r = hs_manifest_scan(ctx, &m, fd, HS_MANIFEST_NO_HASH, NULL, NULL);
	close(fd);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		f->scan_why = hs_migrate_keepf(f, "cannot read all of %s: %s", f->info.home,
					       *hs_ctx_last_error(ctx) ? hs_ctx_last_error(ctx) : strerror(-r));
		return f->scan_why ? 0 : -ENOMEM;
	}
	r = judge_contents(f, m, mounted, canon);
	hs_manifest_free(m);
	f->scanned = r >= 0;
	return r;
}

/* ---- space ------------------------------------------------------------------------------------------------ */

static void plan_space(hs_migrate_facts *f)
{
	bool luks = strcmp(f->info.storage, "luks") == 0;

	if (luks) {
		uint64_t image = hs_space_needed(f->copy_bytes, true, f->info.fs_type);

		f->min_disk_size = (image + MIB - 1) & ~(MIB - 1);
		f->info.disk_size = f->opt_disk_size ? f->opt_disk_size : f->min_disk_size;
		/* homework fallocate()s the whole image before rsync copies the first byte */
		f->needed = f->info.disk_size;
	} else {
		f->needed = f->copy_bytes;
	}
	if (f->copy)
		f->needed += f->copy_bytes;
}

/* ---- all of it -------------------------------------------------------------------------------------------- */

int hs_migrate_gather_home(hs_ctx *ctx, hs_migrate_facts *f)
{
	_cleanup_free_ char *home = NULL, *canon = NULL, *host_root = NULL, *host = NULL;
	_cleanup_(hs_strv_freep) char **mounted = NULL;
	struct stat st, parent_st;
	const char *name;
	dev_t home_dev = 0;
	bool dev_differs;
	int parent = -1, r;

	r = gather_paths(ctx, f);
	if (r < 0)
		return r;
	r = gather_home_fs(ctx, f, &home_dev);
	if (r < 0)
		return r;
	if (!f->pw || f->journal)
		return 0;

	home = path_tidy(f->pw->home);
	if (!home)
		return -ENOMEM;
	if (home[0] != '/' || strcmp(home, "/") == 0) {
		f->home_err = -EINVAL;
		f->home_why = hs_migrate_keepf(f, "the home in /etc/passwd is '%s', not a directory of its own",
					       f->pw->home);
		return f->home_why ? 0 : -ENOMEM;
	}
	/* the reports name the home as homesetup reads it ("/home/alice/" is /home/alice) */
	if (!(f->info.home = hs_migrate_keepf(f, "%s", home)))
		return -ENOMEM;
	f->home_elsewhere = strcmp(home, f->expected_home) != 0;
	if (f->home_elsewhere) {
		r = lstat_in_root(ctx, f->expected_home, &st, NULL);
		if (r == -ENOMEM)
			return r;
		f->expected_exists = r == 0;
	}
	r = lstat_in_root(ctx, home, &st, &parent);
	if (r == -ENOMEM)
		return r;
	f->home_err = r;
	if (r < 0) {
		if (r != -ENOENT && !(f->home_why = hs_migrate_keepf(f, "%s: %s", home, strerror(-r))))
			return -ENOMEM;
		hs_ctx_clear_error(ctx);
		return 0;
	}
	f->home_mode = st.st_mode;
	name = strrchr(home, '/') + 1;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);

		close(parent);
		if (n < 0)
			n = 0;
		f->home_link = hs_migrate_keep(f, shown_path(target, (size_t)n));
		return f->home_link ? 0 : -ENOMEM;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(parent);
		return 0;
	}
	dev_differs = fstat(parent, &parent_st) == 0 && parent_st.st_dev != st.st_dev;

	/* the mount table, by the home's real path on the host */
	r = hs_root_realpath(ctx, HS_ROOT_SYS, home, &canon);
	if (r == -ENOMEM)
		goto out;
	if (r >= 0) {
		const char *root = hs_ctx_get_root(ctx);

		host_root = strcmp(root, "/") == 0 ? strdup("") : realpath(root, NULL);
		if (!host_root && errno == ENOMEM) {
			r = -ENOMEM;
			goto out;
		}
		if (host_root && asprintf(&host, "%s%s", host_root, canon) < 0) {
			host = NULL;
			r = -ENOMEM;
			goto out;
		}
		r = host ? scan_mountinfo(f, host, canon, &mounted) : 0;
		if (r < 0)
			goto out;
	}
	/* st_dev differs for a mount and for a btrfs subvolume; only the mount table tells them apart */
	if (dev_differs && !f->home_mount) {
		if (f->mountinfo_read)
			f->home_subvolume = true;
		else {
			f->home_mount = true;
			f->home_mount_why = "it is on another file system than its parent directory";
		}
	}
	/* a rename does not cross file systems, nor btrfs subvolumes */
	f->home_other_fs = home_dev && st.st_dev != home_dev && !f->home_mount &&
			   !(f->home_subvolume && !f->home_elsewhere);
	hs_ctx_clear_error(ctx);
	r = scan_home(ctx, f, parent, name, mounted, canon ? canon : home);
	if (r >= 0 && f->scanned)
		plan_space(f);
out:
	close(parent);
	return r;
}
