/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `homesetup image inspect`: a homed LUKS home image read offline, the way systemd-homed's activation reads it
 * (homework-luks.c: luks_validate() probes with libblkid for "crypto_LUKS" at offset 0 or a GPT with exactly one
 * partition of type SD_GPT_USER_HOME named after the user; luks_setup() then crypt_load()s LUKS2 there;
 * luks_validate_home_record() looks for a "systemd-homed" token with "record" and "iv"), reporting what homed
 * would say at each step. The image is opened O_RDONLY and never written; no loop or device-mapper device is
 * set up (the LUKS half, image_luks.c, says how libcryptsetup reads a header at an offset).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <strings.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <blkid.h>
#include <zlib.h>

#include "homesetupP.h"

#define HOMED_GPT_TYPE "773f91ef-66d4-49b5-bd83-d683bf40ad16"
#define HOMED_SUBSYSTEM "systemd-home"
#define DIRTY_XATTR "user.home-dirty"
/* strerror(ENOPKG), as homed's "%m" prints luks_validate()'s verdict. */
#define HOMED_NO_LABEL "Failed to validate disk label: Package not installed"
#define HOMED_NO_SUPERBLOCK "Failed to load LUKS superblock: "
#define NAME_MAX_SHOWN 128
/* GPT entry arrays larger than this are not read (128 entries of 128 bytes is 16 KiB). */
#define GPT_ENTRIES_MAX (1u << 20)

struct hs_image_info {
	char *path, *user;
	const char *device;
	uint64_t size;
	char *table_type, *table_uuid, *superblock;
	hs_image_partition *parts;
	size_t n_parts;
	const char *parts_source; /* "libblkid", or "gpt" for our own reading of a GPT libblkid rejected */
	ssize_t home;
	bool has_luks;
	hs_image_luks luks;
	int dirty;
	hs_image_finding *findings;
	size_t n_findings, cap_findings;
};

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static void blkid_free_probep(blkid_probe *pr)
{
	if (*pr)
		hs_blkid.blkid_free_probe(*pr);
}

static uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static ssize_t read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* ---- findings ------------------------------------------------------------------------------------ */
static int add_finding(hs_image_info *info, const char *id, hs_check_status status, const char *homed,
		       const char *fix, const char *fmt, ...) _printf_(6, 7);

static int add_finding(hs_image_info *info, const char *id, hs_check_status status, const char *homed,
		       const char *fix, const char *fmt, ...)
{
	hs_image_finding *f;
	va_list ap;
	char *summary;
	int n;

	if (info->n_findings == info->cap_findings) {
		size_t cap = info->cap_findings ? info->cap_findings * 2 : 8;
		hs_image_finding *v = realloc(info->findings, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		info->findings = v;
		info->cap_findings = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&summary, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f = &info->findings[info->n_findings];
	*f = (hs_image_finding){ .id = id, .status = status, .summary = summary };
	f->homed = homed ? strdup(homed) : NULL;
	f->fix = fix ? strdup(fix) : NULL;
	info->n_findings++;
	if ((homed && !f->homed) || (fix && !f->fix))
		return -ENOMEM;
	return 0;
}

static bool has_finding(const hs_image_info *info, const char *id)
{
	for (size_t i = 0; i < info->n_findings; i++)
		if (strcmp(info->findings[i].id, id) == 0)
			return true;
	return false;
}

/* ---- pure helpers (unit-tested and fuzzed directly) ---------------------------------------------- */
int hs_gpt_header_parse(const void *buf, size_t len, hs_gpt_header *out)
{
	const unsigned char *p = buf;
	unsigned char tmp[512];
	uint32_t crc;

	*out = (hs_gpt_header){ 0 };
	if (len < 92 || memcmp(p, "EFI PART", 8) != 0)
		return 0;
	out->header_size = le32(p + 12);
	out->my_lba = le64(p + 24);
	out->alternate_lba = le64(p + 32);
	out->first_usable = le64(p + 40);
	out->last_usable = le64(p + 48);
	out->entries_lba = le64(p + 72);
	out->num_entries = le32(p + 80);
	out->entry_size = le32(p + 84);
	out->entries_crc = le32(p + 88);
	if (out->header_size < 92 || out->header_size > len || out->header_size > sizeof(tmp))
		return 1;
	memcpy(tmp, p, out->header_size);
	memset(tmp + 16, 0, 4);
	crc = (uint32_t)crc32(0L, tmp, out->header_size);
	out->crc_ok = crc == le32(p + 16);
	return 1;
}

const char *hs_image_blockdev_kind(const char *sysfs, unsigned major, unsigned minor)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/dev/block/%u:%u/partition", sysfs, major, minor);
	if (access(path, F_OK) == 0)
		return "partition";
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u/dm", sysfs, major, minor);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return "device-mapper";
	return "disk";
}

/* A library the inspection needs could not be loaded (dl.c): @what was not looked at. A warning, not a verdict
 * on the image: homed's own tools need the same library, so the fix is to install it. */
static int library_missing(hs_image_info *info, hs_dl_lib lib, const char *why, const char *what)
{
	_cleanup_free_ char *fix = NULL;

	if (asprintf(&fix, "install %s (it provides %s), then inspect the image again", hs_dl_package(lib),
		     hs_dl_soname(lib)) < 0)
		return -ENOMEM;
	return add_finding(info, "library-missing", HS_CHECK_WARN, NULL, fix, "%s not checked: %s", what,
			   why ? why : hs_dl_soname(lib));
}

/* ---- the partition table ---------------------------------------------------------------------------- */
static char *dup_or_null(const char *s, size_t max)
{
	return s ? hs_escape(s, strlen(s), max) : NULL;
}

/* What libblkid finds at the start of a partition (superblocks only), or NULL. */
static char *probe_content(int fd, uint64_t off, uint64_t size)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = hs_blkid.blkid_new_probe();
	const char *type = NULL;

	if (!pr || size == 0 || hs_blkid.blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) != 0)
		return NULL;
	hs_blkid.blkid_probe_enable_partitions(pr, 0);
	hs_blkid.blkid_probe_enable_superblocks(pr, 1);
	hs_blkid.blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	if (hs_blkid.blkid_do_safeprobe(pr) != 0 || hs_blkid.blkid_probe_lookup_value(pr, "TYPE", &type, NULL) != 0)
		return NULL;
	return dup_or_null(type, 64);
}

static int read_partitions(hs_image_info *info, blkid_probe pr, int fd)
{
	blkid_partlist pl = hs_blkid.blkid_probe_get_partitions(pr);
	int n;

	if (!pl)
		return 0;
	n = hs_blkid.blkid_partlist_numof_partitions(pl);
	if (n <= 0)
		return 0;
	info->parts = calloc((size_t)n, sizeof(*info->parts));
	if (!info->parts)
		return -ENOMEM;
	info->parts_source = "libblkid";
	for (int i = 0; i < n; i++) {
		blkid_partition pp = hs_blkid.blkid_partlist_get_partition(pl, i);
		hs_image_partition *p = &info->parts[info->n_parts];
		const char *type;
		blkid_loff_t start, size;
		char hex[16];

		if (!pp)
			continue;
		info->n_parts++;
		start = hs_blkid.blkid_partition_get_start(pp);
		size = hs_blkid.blkid_partition_get_size(pp);
		p->number = (unsigned)hs_blkid.blkid_partition_get_partno(pp);
		p->offset = start > 0 && (uint64_t)start <= UINT64_MAX / 512 ? (uint64_t)start * 512 : 0;
		p->size = size > 0 && (uint64_t)size <= UINT64_MAX / 512 ? (uint64_t)size * 512 : 0;
		type = hs_blkid.blkid_partition_get_type_string(pp);
		if (!type) {
			snprintf(hex, sizeof(hex), "0x%x", (unsigned)hs_blkid.blkid_partition_get_type(pp));
			type = hex;
		}
		p->type = dup_or_null(type, 64);
		p->name = dup_or_null(hs_blkid.blkid_partition_get_name(pp), NAME_MAX_SHOWN);
		p->uuid = dup_or_null(hs_blkid.blkid_partition_get_uuid(pp), 64);
		if (!p->type)
			return -ENOMEM;
		p->homed_type = strcasecmp(p->type, HOMED_GPT_TYPE) == 0;
		if (p->offset < info->size)
			p->content = probe_content(fd, p->offset, p->size < info->size - p->offset ?
							      p->size : info->size - p->offset);
	}
	return 0;
}

/* homed's luks_validate(): the probe it makes (superblocks and partitions, safe probe). */
static int probe_layout(hs_ctx *ctx, hs_image_info *info, int fd, unsigned *sector_size)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = hs_blkid.blkid_new_probe();
	const char *v;
	int r;

	if (!pr)
		return -ENOMEM;
	if (hs_blkid.blkid_probe_set_device(pr, fd, 0, 0) != 0)
		return hs_ctx_set_error(ctx, -EIO, "%s: libblkid cannot probe it", info->path);
	*sector_size = hs_blkid.blkid_probe_get_sectorsize(pr);
	hs_blkid.blkid_probe_enable_superblocks(pr, 1);
	hs_blkid.blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	hs_blkid.blkid_probe_enable_partitions(pr, 1);
	hs_blkid.blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	r = hs_blkid.blkid_do_safeprobe(pr);
	if (r == -2) {
		/* homed gives up here; look at the partitions alone to say more */
		r = add_finding(info, "ambiguous-signatures", HS_CHECK_FAIL, HOMED_NO_LABEL,
				"find out what is on it with `wipefs --no-act IMAGE` (it lists every signature, "
				"changing nothing); only the LUKS header or the GPT should be there",
				"libblkid finds more than one signature at the start of the image (e.g. a file system "
				"and a partition table)");
		if (r < 0)
			return r;
		hs_blkid.blkid_free_probe(pr);
		pr = hs_blkid.blkid_new_probe();
		if (!pr)
			return -ENOMEM;
		if (hs_blkid.blkid_probe_set_device(pr, fd, 0, 0) != 0)
			return hs_ctx_set_error(ctx, -EIO, "%s: libblkid cannot probe it", info->path);
		hs_blkid.blkid_probe_enable_superblocks(pr, 0);
		hs_blkid.blkid_probe_enable_partitions(pr, 1);
		hs_blkid.blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
		r = hs_blkid.blkid_do_safeprobe(pr);
	}
	if (r < 0)
		return hs_ctx_set_error(ctx, -EIO, "%s: libblkid failed to read it", info->path);
	if (r == 1)
		return 0;
	if (hs_blkid.blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && !(info->superblock = dup_or_null(v, 64)))
		return -ENOMEM;
	if (hs_blkid.blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0 && !(info->table_type = dup_or_null(v, 64)))
		return -ENOMEM;
	if (hs_blkid.blkid_probe_lookup_value(pr, "PTUUID", &v, NULL) == 0 && !(info->table_uuid = dup_or_null(v, 64)))
		return -ENOMEM;
	return read_partitions(info, pr, fd);
}

/* A GPT GUID (mixed endian on disk) in the lower-case text form libblkid uses. */
static void guid_text(const unsigned char *g, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* A GPT partition name (UTF-16LE, at most 36 units, NUL-terminated when shorter) as UTF-8; unpaired
 * surrogates become U+FFFD. */
static char *gpt_name(const unsigned char *p)
{
	_cleanup_buf_ hs_buf b = { 0 };

	for (size_t i = 0; i < 36; i++) {
		uint32_t c = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		char u[4];
		size_t n;

		if (c == 0)
			break;
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < 36) {
			uint32_t lo = (uint32_t)p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		if (c < 0x80)
			u[0] = (char)c, n = 1;
		else if (c < 0x800)
			u[0] = (char)(0xc0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3f)), n = 2;
		else if (c < 0x10000)
			u[0] = (char)(0xe0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3f)),
			u[2] = (char)(0x80 | (c & 0x3f)), n = 3;
		else
			u[0] = (char)(0xf0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
			u[2] = (char)(0x80 | ((c >> 6) & 0x3f)), u[3] = (char)(0x80 | (c & 0x3f)), n = 4;
		if (hs_buf_append(&b, u, n) < 0)
			return NULL;
	}
	return b.len ? hs_escape(b.p, b.len, NAME_MAX_SHOWN) : NULL;
}

/* The partitions of a GPT whose header and entries pass their CRCs but that libblkid rejected (a truncated
 * image: its backup header lies past the end), read from the primary entries so that the LUKS header can
 * still be looked at. */
static int parts_from_entries(hs_image_info *info, int fd, const hs_gpt_header *h, const unsigned char *e,
			      unsigned ss)
{
	size_t n = 0;

	for (uint32_t i = 0; i < h->num_entries; i++)
		n += memcmp(e + (size_t)i * h->entry_size, (const unsigned char[16]){ 0 }, 16) != 0;
	if (n == 0)
		return 0;
	info->parts = calloc(n, sizeof(*info->parts));
	if (!info->parts)
		return -ENOMEM;
	info->parts_source = "gpt";
	for (uint32_t i = 0; i < h->num_entries; i++) {
		const unsigned char *x = e + (size_t)i * h->entry_size;
		hs_image_partition *p;
		uint64_t first = le64(x + 32), last = le64(x + 40);
		char g[37];

		if (memcmp(x, (const unsigned char[16]){ 0 }, 16) == 0)
			continue;
		p = &info->parts[info->n_parts++];
		p->number = i + 1;
		guid_text(x, g);
		p->type = strdup(g);
		guid_text(x + 16, g);
		p->uuid = strdup(g);
		p->name = gpt_name(x + 56);
		if (!p->type || !p->uuid)
			return -ENOMEM;
		p->homed_type = strcmp(p->type, HOMED_GPT_TYPE) == 0;
		if (last >= first && first <= UINT64_MAX / ss && last - first < UINT64_MAX / ss - 1) {
			p->offset = first * ss;
			p->size = (last - first + 1) * ss;
		}
		if (p->size && p->offset < info->size)
			p->content = probe_content(fd, p->offset, p->size < info->size - p->offset ?
							      p->size : info->size - p->offset);
	}
	return 0;
}

/* Our own look at the GPT headers, to say *why* libblkid rejected a GPT or what it silently worked around:
 * damaged primary header or entries (libblkid falls back to the backup), a damaged backup, or an image
 * shorter than the disk its GPT describes. */
static int check_gpt(hs_image_info *info, int fd, unsigned ss)
{
	unsigned char sec[4096];
	hs_gpt_header h, alt;
	bool blkid_gpt = info->table_type && strcmp(info->table_type, "gpt") == 0;
	uint64_t disk_end;
	ssize_t n;
	int r;

	if (ss < 512 || ss > sizeof(sec))
		ss = 512;
	n = read_at(fd, sec, ss, ss);
	if (n < 0 || !hs_gpt_header_parse(sec, (size_t)n, &h))
		return 0;

	if (!h.crc_ok) {
		r = add_finding(info, blkid_gpt ? "gpt-primary-damaged" : "gpt-damaged",
				blkid_gpt ? HS_CHECK_WARN : HS_CHECK_FAIL, blkid_gpt ? NULL : HOMED_NO_LABEL,
				"work on a copy: `sgdisk --verify IMAGE` shows the damage; gdisk's recovery and "
				"transformation menu rebuilds the main header from the backup (r, then b, then w)",
				"the primary GPT header (LBA 1) fails its CRC32 check%s", blkid_gpt ?
				": libblkid used the backup header at the end of the image" :
				", and libblkid found no usable backup either");
		return r;
	}
	if (h.entry_size >= 128 && h.num_entries > 0 && (uint64_t)h.entry_size * h.num_entries <= GPT_ENTRIES_MAX &&
	    h.entries_lba <= UINT64_MAX / ss) {
		size_t len = (size_t)h.entry_size * h.num_entries;
		_cleanup_free_ unsigned char *e = malloc(len);

		if (!e)
			return -ENOMEM;
		n = read_at(fd, e, len, h.entries_lba * ss);
		if (n == (ssize_t)len && (uint32_t)crc32(0L, e, (uInt)len) == h.entries_crc && !blkid_gpt &&
		    info->n_parts == 0) {
			r = parts_from_entries(info, fd, &h, e, ss);
			if (r < 0)
				return r;
		}
		if (n == (ssize_t)len && (uint32_t)crc32(0L, e, (uInt)len) != h.entries_crc) {
			r = add_finding(info, blkid_gpt ? "gpt-primary-damaged" : "gpt-damaged",
					blkid_gpt ? HS_CHECK_WARN : HS_CHECK_FAIL, blkid_gpt ? NULL : HOMED_NO_LABEL,
					"work on a copy: `sgdisk --verify IMAGE` shows the damage; gdisk's recovery and "
					"transformation menu reloads the entries from the backup (r, then c, then w)",
					"the primary GPT partition entries fail their CRC32 check%s", blkid_gpt ?
					": libblkid used the backup GPT" : "");
			if (r < 0)
				return r;
		}
	}
	disk_end = h.alternate_lba < UINT64_MAX / ss - 1 ? (h.alternate_lba + 1) * ss : UINT64_MAX;
	if (h.alternate_lba > h.my_lba && disk_end > info->size) {
		return add_finding(info, "truncated", HS_CHECK_FAIL, blkid_gpt ? NULL : HOMED_NO_LABEL,
				   "the image was cut short (an interrupted copy, or a full file system when it was "
				   "written): copy it again from the original; the missing end holds file system data",
				   "the image is %" PRIu64 " bytes, but its GPT describes a disk of %" PRIu64
				   " bytes (backup header at LBA %" PRIu64 "): the end is missing", info->size,
				   disk_end, h.alternate_lba);
	}
	if (h.alternate_lba > h.my_lba) {
		n = read_at(fd, sec, ss, h.alternate_lba * ss);
		if (n == (ssize_t)ss && (!hs_gpt_header_parse(sec, (size_t)n, &alt) || !alt.crc_ok))
			return add_finding(info, "gpt-backup-damaged", HS_CHECK_WARN, NULL,
					   "work on a copy: `sgdisk --verify IMAGE` shows the damage; gdisk's recovery and "
					   "transformation menu rebuilds the backup from the main header (r, then d, then w)",
					   "the backup GPT header at LBA %" PRIu64 " is missing or fails its CRC32 check",
					   h.alternate_lba);
	}
	return 0;
}

/* Which partition homed would take: its type, named after the user (homed's luks_validate()). Without a user,
 * the only partition of homed's type. */
static int choose_home(hs_image_info *info)
{
	size_t typed = 0, named = 0;
	ssize_t first_typed = -1, first_named = -1;

	for (size_t i = 0; i < info->n_parts; i++) {
		const hs_image_partition *p = &info->parts[i];

		if (!p->homed_type)
			continue;
		if (typed++ == 0)
			first_typed = (ssize_t)i;
		if (info->user && p->name && strcmp(p->name, info->user) == 0 && named++ == 0)
			first_named = (ssize_t)i;
	}
	if (typed == 0) {
		info->home = -1;
		return add_finding(info, "no-home-partition", HS_CHECK_FAIL, HOMED_NO_LABEL,
				   "this is not a partition layout homed made; create the home with homectl and copy "
				   "the data into it",
				   "the GPT has no partition of homed's type " HOMED_GPT_TYPE " (\"Linux user's home\")");
	}
	if (!info->user) {
		info->home = typed == 1 ? first_typed : -1;
		if (typed > 1)
			return add_finding(info, "ambiguous-partition", HS_CHECK_FAIL, NULL,
					   "give the user name (--user NAME) to pick the partition homed would use",
					   "%zu partitions have homed's type and no user name was given to choose "
					   "between them", typed);
		return 0;
	}
	if (named > 1) {
		info->home = -1;
		return add_finding(info, "ambiguous-partition", HS_CHECK_FAIL, HOMED_NO_LABEL,
				   "keep one partition of homed's type named after the user (rename the other with "
				   "`sgdisk --change-name=N:NAME`, on a copy first)",
				   "%zu partitions have homed's type and are named \"%s\": homed refuses to choose", named,
				   info->user);
	}
	if (named == 1) {
		info->home = first_named;
		return 0;
	}
	/* Not named after the user: homed refuses; still read the LUKS header of the only candidate. */
	info->home = -1;
	if (typed == 1) {
		const hs_image_partition *p = &info->parts[first_typed];
		_cleanup_free_ char *fix = NULL;

		if (asprintf(&fix, "if the image is %s's, rename the partition on a copy first: "
			     "`sgdisk --change-name=%u:%s IMAGE`", info->user, p->number, info->user) < 0)
			return -ENOMEM;
		return add_finding(info, "partition-name", HS_CHECK_FAIL, HOMED_NO_LABEL, fix,
				   "partition %u has homed's type but is named \"%s\", not \"%s\": homed looks the "
				   "partition up by the user name", p->number, p->name ? p->name : "", info->user);
	}
	return add_finding(info, "partition-name", HS_CHECK_FAIL, HOMED_NO_LABEL, NULL,
			   "none of the %zu partitions of homed's type is named \"%s\"", typed, info->user);
}

/* ---- the LUKS header ------------------------------------------------------------------------------------ */
static int check_luks(hs_ctx *ctx, hs_image_info *info, int fd, uint64_t off, uint64_t part_size,
		      const char *content, const char *where)
{
	_cleanup_free_ char *why = NULL, *homed = NULL;
	uint64_t avail = off < info->size ? info->size - off : 0;
	bool have_token = false;
	int r, load_errno;

	if (part_size && avail > part_size)
		avail = part_size;
	if (part_size && (off >= info->size || part_size > info->size - off) && !has_finding(info, "truncated")) {
		r = add_finding(info, "truncated", HS_CHECK_FAIL, NULL,
				"the image was cut short: copy it again from the original",
				"%s ends at byte %" PRIu64 " but the image has only %" PRIu64 " bytes: the end is "
				"missing", where, off + part_size, info->size);
		if (r < 0)
			return r;
	}
	r = hs_image_luks_read(ctx, fd, off, avail, &info->luks, &why, &load_errno);
	if (r < 0)
		return r;
	if (r == 2 && info->luks.version != 1) {
		info->has_luks = true;
		return library_missing(info, HS_DL_CRYPTSETUP, why, "the LUKS header (keyslots, tokens, the "
				       "record homed keeps there) was");
	}
	if (r == 0) {
		if (asprintf(&homed, HOMED_NO_SUPERBLOCK "%s", strerror(EINVAL)) < 0)
			return -ENOMEM;
		if (content)
			return add_finding(info, "not-luks", HS_CHECK_FAIL, homed,
					   "homed only opens LUKS2 images it created: create the home with homectl and copy "
					   "the data into it",
					   "%s holds %s \"%s\", not a LUKS2 header", where,
					   strcmp(content, "crypto_LUKS") == 0 ? "an unreadable LUKS header of type" :
										 "a file system of type", content);
		return add_finding(info, "not-luks", HS_CHECK_FAIL, homed, NULL,
				   "%s has no LUKS header (no LUKS magic at offset %" PRIu64 ")", where, off);
	}
	info->has_luks = true;
	if (info->luks.version == 1) {
		if (asprintf(&homed, HOMED_NO_SUPERBLOCK "%s", strerror(EINVAL)) < 0)
			return -ENOMEM;
		return add_finding(info, "luks1", HS_CHECK_FAIL, homed,
				   "homed formats and opens LUKS2 only; this volume was not made by homed: create the "
				   "home with homectl and copy the data into it",
				   "%s holds a LUKS1 header", where);
	}
	if (why) {
		if (asprintf(&homed, HOMED_NO_SUPERBLOCK "%s", strerror(load_errno ? load_errno : EINVAL)) < 0)
			return -ENOMEM;
		return add_finding(info, "luks-unreadable", HS_CHECK_FAIL, homed,
				   "work on a copy: `cryptsetup luksDump --debug` on the partition shows where it "
				   "fails; restore a header backup (cryptsetup luksHeaderRestore) if you have one",
				   "libcryptsetup refuses the LUKS%u header at offset %" PRIu64 ": %s",
				   info->luks.version, off, why);
	}

	if (info->user && (!info->luks.label || strcmp(info->luks.label, info->user) != 0)) {
		r = add_finding(info, "label", HS_CHECK_WARN, NULL,
				"check that this is the right user's image; `cryptsetup config --label NAME` (on the "
				"partition) sets the label homed writes",
				"the LUKS label is \"%s\", not the user name \"%s\" that homed writes there",
				info->luks.label ? info->luks.label : "", info->user);
		if (r < 0)
			return r;
	}
	if (!info->luks.subsystem || strcmp(info->luks.subsystem, HOMED_SUBSYSTEM) != 0) {
		r = add_finding(info, "subsystem", HS_CHECK_WARN, NULL, NULL,
				"the LUKS subsystem is \"%s\", not \"" HOMED_SUBSYSTEM "\" as homed writes it: the "
				"volume was probably not made by homed", info->luks.subsystem ? info->luks.subsystem : "");
		if (r < 0)
			return r;
	}
	if (info->luks.volume_key_size <= 0) {
		r = add_finding(info, "no-volume-key", HS_CHECK_FAIL, "Failed to determine LUKS volume key size",
				NULL, "no keyslot is bound to the data segment: libcryptsetup cannot tell the volume "
				"key size, and nothing can unlock the data");
		if (r < 0)
			return r;
	} else {
		bool active = false;

		for (size_t i = 0; i < info->luks.n_keyslots; i++)
			active |= strcmp(info->luks.keyslots[i].state, "active") == 0;
		if (!active) {
			r = add_finding(info, "no-keyslot", HS_CHECK_FAIL, "No valid password for LUKS superblock.",
					NULL, "no keyslot holds the volume key: no password can unlock this home");
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < info->luks.n_tokens; i++) {
		const hs_image_token *t = &info->luks.tokens[i];

		if (!t->homed)
			continue;
		have_token = true;
		if (t->version == 0) {
			bool has_record = false;

			for (size_t k = 0; t->keys && t->keys[k]; k++)
				has_record |= strcmp(t->keys[k], "record") == 0;
			return add_finding(info, "homed-token-incomplete", HS_CHECK_FAIL,
					   has_record ? "LUKS token lacks 'iv' field." :
							"LUKS token lacks 'record' field.",
					   "restore the LUKS header from a backup taken while the home worked",
					   "the systemd-homed token %d has neither the released format (\"record\" and "
					   "\"iv\") nor the \"version\": 2 format", t->id);
		}
		break;
	}
	if (!have_token)
		return add_finding(info, "no-homed-token", HS_CHECK_FAIL,
				   "Couldn't find home record in LUKS2 header, refusing.",
				   "homed keeps the user record in this token; restore the LUKS header from a backup "
				   "taken while the home worked, or re-create the home with homectl",
				   "the LUKS2 header has no token of type \"systemd-homed\" (homed's encrypted copy of "
				   "the user record)");
	return 0;
}

/* ---- the whole image ----------------------------------------------------------------------------------- */
static int check_dirty(hs_image_info *info, int fd, bool block)
{
	char val[64];
	ssize_t n;

	if (block) {
		info->dirty = -ENOTSUP;
		return 0;
	}
	n = fgetxattr(fd, DIRTY_XATTR, val, sizeof(val));
	if (n < 0 && errno == ERANGE)
		n = 0;
	if (n < 0) {
		info->dirty = errno == ENODATA ? 0 : -errno;
		return 0;
	}
	info->dirty = 1;
	return add_finding(info, "dirty", HS_CHECK_WARN,
			   "homectl shows \"State: dirty\"; the next activation runs fsck first and then either says "
			   "\"File system check completed.\" or refuses with \"File system is corrupted, refusing.\"",
			   "activate the home once (`homectl activate USER`, or log in) and deactivate it cleanly "
			   "(`homectl deactivate USER`); if fsck refuses, repair it by hand: `losetup -fP --show IMAGE`, "
			   "`cryptsetup open /dev/loopNp1 homesetup-repair` (never the name home-USER, which homed "
			   "uses), fsck or btrfs check on /dev/mapper/homesetup-repair, then `cryptsetup close "
			   "homesetup-repair` and `losetup -d /dev/loopN`",
			   "the image has the " DIRTY_XATTR " extended attribute: it was not deactivated cleanly "
			   "(a crash or power loss while the home was active)");
}

static int inspect_fd(hs_ctx *ctx, hs_image_info *info, int fd, const struct stat *st)
{
	_cleanup_free_ char *why = NULL;
	bool block = S_ISBLK(st->st_mode);
	unsigned ss = 512;
	int r;

	if (block) {
		uint64_t size = 0;

		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return hs_ctx_set_error(ctx, -errno, "%s: cannot read the block device's size: %s", info->path,
						strerror(errno));
		info->size = size;
		info->device = hs_image_blockdev_kind("/sys", major(st->st_rdev), minor(st->st_rdev));
	} else {
		info->size = (uint64_t)st->st_size;
		info->device = "file";
	}

	r = check_dirty(info, fd, block);
	if (r < 0)
		return r;
	/* libblkid is loaded on first use (dl.c); homed's reading starts with it, and so does ours. */
	r = hs_dl_open(HS_DL_BLKID, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return library_missing(info, HS_DL_BLKID, why, "the partition table, the file systems and the LUKS "
				       "header were");
	r = probe_layout(ctx, info, fd, &ss);
	if (r < 0)
		return r;
	r = check_gpt(info, fd, ss);
	if (r < 0)
		return r;

	if (info->superblock && strcmp(info->superblock, "crypto_LUKS") == 0 && !info->table_type)
		/* homed: "Directly a LUKS image" */
		return check_luks(ctx, info, fd, 0, 0, info->superblock, "the image");

	if ((!info->table_type || strcmp(info->table_type, "gpt") != 0) &&
	    !(info->parts_source && strcmp(info->parts_source, "gpt") == 0)) {
		if (has_finding(info, "gpt-damaged") || has_finding(info, "truncated") ||
		    has_finding(info, "ambiguous-signatures"))
			return 0;
		if (info->superblock)
			return add_finding(info, "no-gpt", HS_CHECK_FAIL, HOMED_NO_LABEL,
					   "homed only opens LUKS2 images it created: create the home with homectl and "
					   "copy the data into it",
					   "libblkid finds %s \"%s\" at offset 0, not a GPT with a LUKS2 partition",
					   strcmp(info->superblock, "crypto_LUKS") == 0 ? "a LUKS header beside" :
											  "a file system of type",
					   info->superblock);
		if (info->table_type)
			return add_finding(info, "no-gpt", HS_CHECK_FAIL, HOMED_NO_LABEL, NULL,
					   "the image has a partition table of type \"%s\", not a GPT", info->table_type);
		return add_finding(info, "no-gpt", HS_CHECK_FAIL, HOMED_NO_LABEL, NULL,
				   "the image has neither a partition table nor a LUKS header at offset 0%s",
				   info->size < 1024 * 1024 ? " (and is smaller than 1 MiB)" : "");
	}

	if (block && strcmp(info->device, "disk") != 0) {
		r = add_finding(info, "nested-table", HS_CHECK_WARN,
				"Device link /dev/disk/by-uuid/… still hasn't shown up, giving up. – then \"Home of user "
				"… is currently absent, please plug in the necessary storage device or backing file "
				"system.\"",
				"`kpartx -av DEVICE` maps the partitions so the LUKS volume appears; `homesetup doctor` "
				"can write a systemd-homed.service drop-in that runs it at boot",
				"a GPT inside a %s: the kernel does not read partition tables nested in %s, so the "
				"LUKS partition never appears under /dev/disk/by-uuid", info->device,
				strcmp(info->device, "partition") == 0 ? "partitions" : "device-mapper devices (LVM)");
		if (r < 0)
			return r;
	}

	r = choose_home(info);
	if (r < 0)
		return r;
	if (info->home >= 0 || (has_finding(info, "partition-name") && info->n_parts)) {
		const hs_image_partition *p = NULL;
		char where[64];

		if (info->home >= 0)
			p = &info->parts[info->home];
		else
			for (size_t i = 0; i < info->n_parts && !p; i++)
				if (info->parts[i].homed_type)
					p = &info->parts[i];
		if (!p)
			return 0;
		if (strcmp(info->parts_source, "gpt") == 0)
			info->home = -1; /* homed goes by libblkid, which rejected this table */
		snprintf(where, sizeof(where), "partition %u", p->number);
		return check_luks(ctx, info, fd, p->offset, p->size, p->content, where);
	}
	return 0;
}

static int derive_user(hs_image_info *info, const char *user)
{
	const char *base, *dot;

	if (user) {
		info->user = strdup(user);
		return info->user ? 0 : -ENOMEM;
	}
	base = strrchr(info->path, '/');
	base = base ? base + 1 : info->path;
	dot = strrchr(base, '.');
	if (!dot || dot == base || strcmp(dot, ".home") != 0)
		return 0;
	info->user = hs_strndup(base, (size_t)(dot - base));
	return info->user ? 0 : -ENOMEM;
}

static int inspect_open(hs_ctx *ctx, hs_image_info **out, const char *shown, int fd, const char *user)
{
	_cleanup_(hs_image_info_freep) hs_image_info *info = NULL;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: %s", shown, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return hs_ctx_set_error(ctx, -EISDIR, "%s: is a directory, not a home image (homed: \"Image file %s "
					"is not a regular file or block device\")", shown, shown);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return hs_ctx_set_error(ctx, -EBADFD, "%s: not a regular file or block device (homed: \"Image file "
					"%s is not a regular file or block device\")", shown, shown);
	info = calloc(1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	info->home = -1;
	info->path = strdup(shown);
	if (!info->path)
		return -ENOMEM;
	r = derive_user(info, user);
	if (r < 0)
		return r;
	r = inspect_fd(ctx, info, fd, &st);
	if (r < 0)
		return r;
	*out = TAKE_PTR(info);
	return 0;
}

int hs_image_inspect(hs_ctx *ctx, hs_image_info **out, const char *path, const char *user)
{
	_cleanup_(closep) int fd = -1;

	if (!out || !path || !*path)
		return hs_ctx_set_error(ctx, -EINVAL, "no image path given");
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return hs_ctx_set_error(ctx, -errno, "%s: %s", path, strerror(errno));
	return inspect_open(ctx, out, path, fd, user);
}

int hs_image_inspect_user(hs_ctx *ctx, hs_image_info **out, const char *user)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_free_ char *path = NULL;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!user || !*user || strchr(user, '/') || strcmp(user, ".") == 0 || strcmp(user, "..") == 0 ||
	    strlen(user) > 255) {
		_cleanup_free_ char *q = hs_escape(user ? user : "", user ? strlen(user) : 0, 64);

		return hs_ctx_set_error(ctx, -EINVAL, "invalid user name '%s': it cannot name /home/USER.home",
					q ? q : "");
	}
	if (asprintf(&path, "/home/%s.home", user) < 0)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_SYS, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return hs_ctx_set_error(ctx, -ENOENT, "%s: no such image in %s (homed's default image of user %s)",
					path, hs_ctx_get_root(ctx), user);
	if (fd < 0)
		return fd;
	return inspect_open(ctx, out, path, fd, user);
}

void hs_image_info_free(hs_image_info *info)
{
	if (!info)
		return;
	free(info->path);
	free(info->user);
	free(info->table_type);
	free(info->table_uuid);
	free(info->superblock);
	for (size_t i = 0; i < info->n_parts; i++) {
		free((char *)info->parts[i].type);
		free((char *)info->parts[i].name);
		free((char *)info->parts[i].uuid);
		free((char *)info->parts[i].content);
	}
	free(info->parts);
	hs_image_luks_done(&info->luks);
	for (size_t i = 0; i < info->n_findings; i++) {
		free((char *)info->findings[i].summary);
		free((char *)info->findings[i].homed);
		free((char *)info->findings[i].fix);
	}
	free(info->findings);
	free(info);
}

const char *hs_image_info_path(const hs_image_info *info) { return info ? info->path : NULL; }
const char *hs_image_info_user(const hs_image_info *info) { return info ? info->user : NULL; }
const char *hs_image_info_device(const hs_image_info *info) { return info ? info->device : NULL; }
uint64_t hs_image_info_size(const hs_image_info *info) { return info ? info->size : 0; }
const char *hs_image_info_table_type(const hs_image_info *info) { return info ? info->table_type : NULL; }
const char *hs_image_info_table_uuid(const hs_image_info *info) { return info ? info->table_uuid : NULL; }
const char *hs_image_info_superblock(const hs_image_info *info) { return info ? info->superblock : NULL; }
size_t hs_image_info_partition_count(const hs_image_info *info) { return info ? info->n_parts : 0; }
const char *hs_image_info_partitions_source(const hs_image_info *info) { return info ? info->parts_source : NULL; }
int hs_image_info_dirty(const hs_image_info *info) { return info ? info->dirty : -EINVAL; }
size_t hs_image_info_finding_count(const hs_image_info *info) { return info ? info->n_findings : 0; }

const hs_image_partition *hs_image_info_partition(const hs_image_info *info, size_t i)
{
	return info && i < info->n_parts ? &info->parts[i] : NULL;
}

const hs_image_partition *hs_image_info_home_partition(const hs_image_info *info)
{
	return info && info->home >= 0 ? &info->parts[info->home] : NULL;
}

const hs_image_luks *hs_image_info_luks(const hs_image_info *info)
{
	return info && info->has_luks ? &info->luks : NULL;
}

const hs_image_finding *hs_image_info_finding(const hs_image_info *info, size_t i)
{
	return info && i < info->n_findings ? &info->findings[i] : NULL;
}

hs_check_status hs_image_info_status(const hs_image_info *info)
{
	hs_check_status worst = HS_CHECK_OK;

	for (size_t i = 0; info && i < info->n_findings; i++)
		if (info->findings[i].status == HS_CHECK_FAIL || worst == HS_CHECK_OK)
			worst = info->findings[i].status;
	return worst;
}
