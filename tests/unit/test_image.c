/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * image.c / image_luks.c: the GPT header parser, block device kinds from a fake sysfs, the token analyser on
 * hostile JSON, and whole inspections of images built here: a GPT written by hand (CRCs with zlib) and a LUKS2
 * volume made by libcryptsetup on a plain file (no device-mapper), copied to the partition's offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <zlib.h>

#include "homesetupP.h"

#define HOMED_TYPE_LE "\xef\x91\x3f\x77\xd4\x66\xb5\x49\xbd\x83\xd6\x83\xbf\x40\xad\x16"
#define IMG_SECTORS 16384u /* 8 MiB */
#define PART_START 64u     /* 32 KiB */
#define PART_END (IMG_SECTORS - 34u)
#define LUKS_UUID "12345678-9abc-4def-8123-456789abcdef"

static char tmpdir[] = "/tmp/hs-test-image.XXXXXX";

static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }

/* A GPT header for LBA @my with entries at @entries_lba, CRCs filled. */
static void gpt_header(unsigned char *h, uint64_t my, uint64_t alt, uint64_t entries_lba, uint32_t entries_crc)
{
	memset(h, 0, 512);
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x00010000);
	put32(h + 12, 92);
	put64(h + 24, my);
	put64(h + 32, alt);
	put64(h + 40, 34);
	put64(h + 48, IMG_SECTORS - 34);
	memcpy(h + 56, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
	put64(h + 72, entries_lba);
	put32(h + 80, 128);
	put32(h + 84, 128);
	put32(h + 88, entries_crc);
	put32(h + 16, (uint32_t)crc32(0L, h, 92));
}

/* Write an 8 MiB image with a protective MBR and a GPT holding one partition of @type_le named @name (ASCII). */
static void write_gpt(int fd, const char *type_le, const char *name)
{
	unsigned char mbr[512] = { 0 }, hdr[512], entries[128 * 128] = { 0 };
	uint32_t ecrc;

	assert_int_equal(ftruncate(fd, (off_t)IMG_SECTORS * 512), 0);
	mbr[446 + 4] = 0xee;
	put32(mbr + 446 + 8, 1);
	put32(mbr + 446 + 12, IMG_SECTORS - 1);
	mbr[510] = 0x55, mbr[511] = 0xaa;
	memcpy(entries, type_le, 16);
	memcpy(entries + 16, "\xaa\xbb\xcc\xdd\x11\x22\x33\x44\x55\x66\x77\x88\x99\x00\xab\xcd", 16);
	put64(entries + 32, PART_START);
	put64(entries + 40, PART_END);
	for (size_t i = 0; name[i] && i < 36; i++)
		entries[56 + 2 * i] = (unsigned char)name[i];
	ecrc = (uint32_t)crc32(0L, entries, sizeof(entries));
	assert_int_equal(pwrite(fd, mbr, 512, 0), 512);
	gpt_header(hdr, 1, IMG_SECTORS - 1, 2, ecrc);
	assert_int_equal(pwrite(fd, hdr, 512, 512), 512);
	assert_int_equal(pwrite(fd, entries, sizeof(entries), 1024), (ssize_t)sizeof(entries));
	gpt_header(hdr, IMG_SECTORS - 1, 1, IMG_SECTORS - 33, ecrc);
	assert_int_equal(pwrite(fd, entries, sizeof(entries), (off_t)(IMG_SECTORS - 33) * 512), (ssize_t)sizeof(entries));
	assert_int_equal(pwrite(fd, hdr, 512, (off_t)(IMG_SECTORS - 1) * 512), 512);
}

static void quiet_log(int level, const char *msg, void *usrptr) { (void)level, (void)msg, (void)usrptr; }

/* Format a LUKS2 volume (16 KiB metadata, small keyslots area) in file @path of @size bytes; token JSON optional. */
static void make_luks(const char *path, size_t size, const char *label, const char *token)
{
	struct crypt_device *cd = NULL;
	struct crypt_pbkdf_type pbkdf = { .type = CRYPT_KDF_PBKDF2, .hash = "sha256", .iterations = 1000,
					  .flags = CRYPT_PBKDF_NO_BENCHMARK };
	struct crypt_params_luks2 params = { .label = label, .subsystem = "systemd-home", .sector_size = 512 };
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	assert_int_equal(crypt_init(&cd, path), 0);
	crypt_set_log_callback(cd, quiet_log, NULL);
	assert_int_equal(crypt_set_pbkdf_type(cd, &pbkdf), 0);
	assert_int_equal(crypt_set_metadata_size(cd, 16384, 1024 * 1024), 0);
	assert_int_equal(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", LUKS_UUID, NULL, 32, &params), 0);
	assert_true(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 32, "pw", 2) >= 0);
	if (token)
		assert_true(crypt_token_json_set(cd, CRYPT_ANY_TOKEN, token) >= 0);
	crypt_free(cd);
}

/* Copy file @src into @fd at byte @off. */
static void place(const char *src, int fd, off_t off)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(in >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		assert_int_equal(pwrite(fd, buf, (size_t)n, off), n);
		off += n;
	}
	close(in);
}

#define HOMED_TOKEN "{\"type\":\"systemd-homed\",\"keyslots\":[],\"record\":\"eA==\",\"iv\":\"eQ==\"}"

/* @dir/@file: a homed-shaped image (GPT partition named @pname, LUKS2 labelled @label at its offset). */
static char *make_image(const char *file, const char *pname, const char *label, const char *token)
{
	char *img, *part;
	int fd;

	assert_true(asprintf(&img, "%s/%s", tmpdir, file) > 0);
	assert_true(asprintf(&part, "%s/%s.part", tmpdir, file) > 0);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	write_gpt(fd, HOMED_TYPE_LE, pname);
	make_luks(part, (size_t)(PART_END - PART_START + 1) * 512, label, token);
	place(part, fd, (off_t)PART_START * 512);
	close(fd);
	unlink(part);
	free(part);
	return img;
}

static const hs_image_finding *finding(const hs_image_info *info, const char *id)
{
	for (size_t i = 0; i < hs_image_info_finding_count(info); i++)
		if (strcmp(hs_image_info_finding(info, i)->id, id) == 0)
			return hs_image_info_finding(info, i);
	return NULL;
}

static size_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_gpt_header_parse(void **state)
{
	unsigned char h[512];
	hs_gpt_header g;

	gpt_header(h, 1, 99, 2, 0x1234);
	assert_int_equal(hs_gpt_header_parse(h, sizeof(h), &g), 1);
	assert_true(g.crc_ok);
	assert_int_equal(g.my_lba, 1);
	assert_int_equal(g.alternate_lba, 99);
	assert_int_equal(g.entries_lba, 2);
	assert_int_equal(g.num_entries, 128);
	assert_int_equal(g.entry_size, 128);
	assert_int_equal(g.entries_crc, 0x1234);
	h[60] ^= 1;
	assert_int_equal(hs_gpt_header_parse(h, sizeof(h), &g), 1);
	assert_false(g.crc_ok);
	gpt_header(h, 1, 99, 2, 0);
	put32(h + 12, 4096); /* a header larger than the sector */
	assert_int_equal(hs_gpt_header_parse(h, sizeof(h), &g), 1);
	assert_false(g.crc_ok);
	assert_int_equal(hs_gpt_header_parse(h, 91, &g), 0);
	h[0] = 'X';
	assert_int_equal(hs_gpt_header_parse(h, sizeof(h), &g), 0);
}

static void test_blockdev_kind(void **state)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/sys/dev/block/8:1", tmpdir);
	assert_int_equal(system("true"), 0);
	snprintf(p, sizeof(p), "mkdir -p %s/sys/dev/block/8:0 %s/sys/dev/block/8:1 %s/sys/dev/block/253:3/dm && "
		 "touch %s/sys/dev/block/8:1/partition", tmpdir, tmpdir, tmpdir, tmpdir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/sys", tmpdir);
	assert_string_equal(hs_image_blockdev_kind(p, 8, 0), "disk");
	assert_string_equal(hs_image_blockdev_kind(p, 8, 1), "partition");
	assert_string_equal(hs_image_blockdev_kind(p, 253, 3), "device-mapper");
	assert_string_equal(hs_image_blockdev_kind(p, 7, 7), "disk");
}

static void test_token_parse(void **state)
{
	static const char v2[] = "{\"type\":\"systemd-homed\",\"keyslots\":[],\"version\":2,\"cipher\":\"aes-256-gcm\","
				 "\"kdf\":\"hkdf-sha256\",\"iv\":\"a\",\"tag\":\"b\",\"ciphertext\":\"c\"}";
	/* not NUL-terminated where it ends: the parser must stop at len */
	static const char tail[] = "{\"type\":\"x\",\"keyslots\":[]}{\"type\":\"systemd-homed\"}";
	hs_image_token t;
	hs_buf b = { 0 };

	assert_int_equal(hs_image_token_parse(HOMED_TOKEN, strlen(HOMED_TOKEN), &t), 0);
	assert_string_equal(t.type, "systemd-homed");
	assert_true(t.homed);
	assert_int_equal(t.version, 1);
	assert_string_equal(t.keys[2], "record");
	assert_null(t.keys[4]);
	hs_image_token_done(&t);

	assert_int_equal(hs_image_token_parse(v2, strlen(v2), &t), 0);
	assert_int_equal(t.version, 2);
	hs_image_token_done(&t);

	assert_int_equal(hs_image_token_parse("{\"type\":\"systemd-homed\",\"record\":\"x\"}", 38, &t), 0);
	assert_true(t.homed);
	assert_int_equal(t.version, 0);
	hs_image_token_done(&t);

	assert_int_equal(hs_image_token_parse(tail, 27, &t), 0);
	assert_string_equal(t.type, "x");
	assert_false(t.homed);
	hs_image_token_done(&t);

	assert_int_equal(hs_image_token_parse("[1,2]", 5, &t), 0);
	assert_null(t.type);
	assert_null(t.keys);
	hs_image_token_done(&t);
	assert_int_equal(hs_image_token_parse("{\"type\":", 8, &t), 0);
	assert_null(t.type);
	hs_image_token_done(&t);
	assert_int_equal(hs_image_token_parse("{}", 2, &t), 0);
	assert_non_null(t.keys);
	assert_null(t.keys[0]);
	hs_image_token_done(&t);

	/* hostile: deep nesting, a huge type with control bytes, many keys */
	for (int i = 0; i < 5000; i++)
		assert_int_equal(hs_buf_puts(&b, "{\"a\":"), 0);
	assert_int_equal(hs_image_token_parse(b.p, b.len, &t), 0);
	assert_null(t.type);
	hs_image_token_done(&t);
	hs_buf_free(&b);
	assert_int_equal(hs_buf_puts(&b, "{\"type\":\"\\u0001\\u001b"), 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(hs_buf_putc(&b, 'A'), 0);
	assert_int_equal(hs_buf_puts(&b, "\""), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(hs_buf_printf(&b, ",\"k%d\":%d", i, i), 0);
	assert_int_equal(hs_buf_puts(&b, "}"), 0);
	assert_int_equal(hs_image_token_parse(b.p, b.len, &t), 0);
	assert_true(strncmp(t.type, "\\x01\\x1bAAA", 11) == 0);
	assert_true(strlen(t.type) <= 140);
	assert_int_equal(hs_strv_length((char **)t.keys), 32);
	assert_int_equal(t.json_size, b.len);
	hs_image_token_done(&t);
	hs_buf_free(&b);
}

static void test_inspect_homed_image(void **state)
{
	_cleanup_free_ char *img = make_image("alice.home", "alice", "alice", HOMED_TOKEN);
	_cleanup_(hs_ctx_freep) hs_ctx *ctx = NULL;
	hs_image_info *info = NULL;
	const hs_image_partition *p;
	const hs_image_luks *l;
	size_t fds = count_fds();

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, img, NULL), 0);
	assert_string_equal(hs_image_info_user(info), "alice"); /* from the file name */
	assert_string_equal(hs_image_info_device(info), "file");
	assert_int_equal(hs_image_info_size(info), IMG_SECTORS * 512);
	assert_string_equal(hs_image_info_table_type(info), "gpt");
	assert_string_equal(hs_image_info_table_uuid(info), "04030201-0605-0807-090a-0b0c0d0e0f10");
	assert_int_equal(hs_image_info_partition_count(info), 1);
	assert_string_equal(hs_image_info_partitions_source(info), "libblkid");
	p = hs_image_info_home_partition(info);
	assert_ptr_equal(p, hs_image_info_partition(info, 0));
	assert_int_equal(p->number, 1);
	assert_string_equal(p->type, "773f91ef-66d4-49b5-bd83-d683bf40ad16");
	assert_string_equal(p->name, "alice");
	assert_string_equal(p->uuid, "ddccbbaa-2211-4433-5566-77889900abcd");
	assert_int_equal(p->offset, PART_START * 512);
	assert_int_equal(p->size, (PART_END - PART_START + 1) * 512);
	assert_string_equal(p->content, "crypto_LUKS");
	l = hs_image_info_luks(info);
	assert_non_null(l);
	assert_int_equal(l->version, 2);
	assert_int_equal(l->offset, PART_START * 512);
	assert_string_equal(l->uuid, LUKS_UUID);
	assert_string_equal(l->label, "alice");
	assert_string_equal(l->subsystem, "systemd-home");
	assert_string_equal(l->cipher, "aes");
	assert_string_equal(l->cipher_mode, "xts-plain64");
	assert_int_equal(l->volume_key_size, 32);
	assert_int_equal(l->metadata_size, 16384);
	assert_int_equal(l->keyslots_size, 1024 * 1024);
	/* after both metadata copies and the keyslots area, aligned to 1 MiB by libcryptsetup */
	assert_int_equal(l->data_offset, 2 * 1024 * 1024);
	assert_int_equal(l->n_keyslots, 1);
	assert_string_equal(l->keyslots[0].state, "active");
	assert_string_equal(l->keyslots[0].pbkdf, "pbkdf2");
	assert_string_equal(l->keyslots[0].hash, "sha256");
	assert_int_equal(l->keyslots[0].iterations, 1000);
	assert_int_equal(l->n_tokens, 1);
	assert_int_equal(l->tokens[0].version, 1);
	assert_int_equal(hs_image_info_finding_count(info), 0);
	assert_int_equal(hs_image_info_status(info), HS_CHECK_OK);
	if (hs_image_info_dirty(info) != -ENOTSUP)
		assert_int_equal(hs_image_info_dirty(info), 0);
	hs_image_info_free(info);
	assert_int_equal(count_fds(), fds);

	/* the same image for another user; then dirty */
	assert_int_equal(hs_image_inspect(ctx, &info, img, "bob"), 0);
	assert_null(hs_image_info_home_partition(info));
	assert_non_null(hs_image_info_luks(info));
	assert_non_null(finding(info, "partition-name"));
	assert_string_equal(finding(info, "partition-name")->homed,
			    "Failed to validate disk label: Package not installed");
	assert_int_equal(finding(info, "label")->status, HS_CHECK_WARN);
	assert_int_equal(hs_image_info_status(info), HS_CHECK_FAIL);
	hs_image_info_free(info);
	if (setxattr(img, "user.home-dirty", "1", 1, 0) == 0) {
		assert_int_equal(hs_image_inspect(ctx, &info, img, NULL), 0);
		assert_int_equal(hs_image_info_dirty(info), 1);
		assert_int_equal(finding(info, "dirty")->status, HS_CHECK_WARN);
		assert_int_equal(hs_image_info_status(info), HS_CHECK_WARN);
		hs_image_info_free(info);
	}
	unlink(img);
}

static void test_inspect_findings(void **state)
{
	_cleanup_free_ char *notok = make_image("notok", "carol", "carol", NULL);
	_cleanup_free_ char *other = NULL;
	_cleanup_(hs_ctx_freep) hs_ctx *ctx = NULL;
	hs_image_info *info = NULL;
	int fd;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, notok, "carol"), 0);
	assert_string_equal(finding(info, "no-homed-token")->homed, "Couldn't find home record in LUKS2 header, refusing.");
	hs_image_info_free(info);

	/* truncated: the partition and the backup GPT are cut off */
	assert_int_equal(truncate(notok, 1024 * 1024), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, notok, "carol"), 0);
	assert_int_equal(finding(info, "truncated")->status, HS_CHECK_FAIL);
	assert_string_equal(finding(info, "truncated")->homed, "Failed to validate disk label: Package not installed");
	/* libblkid rejects the GPT; its primary entries still lead to the LUKS header */
	assert_string_not_equal(hs_image_info_table_type(info), "gpt");
	assert_string_equal(hs_image_info_partitions_source(info), "gpt");
	assert_string_equal(hs_image_info_partition(info, 0)->name, "carol");
	assert_string_equal(hs_image_info_partition(info, 0)->uuid, "ddccbbaa-2211-4433-5566-77889900abcd");
	assert_true(hs_image_info_partition(info, 0)->homed_type);
	assert_string_equal(hs_image_info_luks(info)->label, "carol");
	assert_null(hs_image_info_home_partition(info)); /* homed goes by libblkid */
	assert_non_null(finding(info, "no-homed-token"));
	hs_image_info_free(info);

	/* a GPT whose only partition has another type */
	assert_true(asprintf(&other, "%s/other", tmpdir) > 0);
	fd = open(other, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	write_gpt(fd, "\xaf\x3d\xc6\x0f\x83\x84\x72\x47\x8e\x79\x3d\x69\xd8\x47\x7d\xe4", "carol");
	close(fd);
	assert_int_equal(hs_image_inspect(ctx, &info, other, "carol"), 0);
	assert_string_equal(hs_image_info_partition(info, 0)->type, "0fc63daf-8483-4772-8e79-3d69d8477de4");
	assert_false(hs_image_info_partition(info, 0)->homed_type);
	assert_non_null(finding(info, "no-home-partition"));
	hs_image_info_free(info);

	/* zeroes: neither table nor LUKS */
	assert_int_equal(truncate(other, 0), 0);
	assert_int_equal(truncate(other, 4096), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, other, NULL), 0);
	assert_null(hs_image_info_user(info));
	assert_non_null(finding(info, "no-gpt"));
	hs_image_info_free(info);

	/* empty file */
	assert_int_equal(truncate(other, 0), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, other, NULL), 0);
	assert_non_null(finding(info, "no-gpt"));
	hs_image_info_free(info);
	unlink(notok);
	unlink(other);
}

static void test_inspect_errors(void **state)
{
	_cleanup_(hs_ctx_freep) hs_ctx *ctx = NULL;
	hs_image_info *info = (hs_image_info *)1;
	char root[512];

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_image_inspect(ctx, &info, tmpdir, NULL), -EISDIR);
	assert_null(info);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "is a directory"));
	assert_int_equal(hs_image_inspect(ctx, &info, "/nonexistent/x.home", NULL), -ENOENT);
	assert_int_equal(hs_image_inspect(ctx, &info, "/dev/null", NULL), -EBADFD);
	assert_int_equal(hs_image_inspect_user(ctx, &info, "../etc"), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "invalid user name '../etc'"));
	assert_int_equal(hs_image_inspect_user(ctx, &info, ""), -EINVAL);

	snprintf(root, sizeof(root), "%s/root", tmpdir);
	assert_int_equal(hs_ctx_set_root(ctx, root), 0);
	assert_int_equal(hs_image_inspect_user(ctx, &info, "dave"), -ENOENT);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "/home/dave.home: no such image"));
	hs_image_info_free(NULL);
	assert_int_equal(hs_image_info_status(NULL), HS_CHECK_OK);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpt_header_parse),
		cmocka_unit_test(test_blockdev_kind),
		cmocka_unit_test(test_token_parse),
		cmocka_unit_test(test_inspect_homed_image),
		cmocka_unit_test(test_inspect_findings),
		cmocka_unit_test(test_inspect_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
