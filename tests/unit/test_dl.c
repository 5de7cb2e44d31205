/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dl.c: libcryptsetup, libblkid and libpcre2-8 loaded on first use. A library that is missing, cannot be loaded
 * or lacks a function gives -EOPNOTSUPP and a message naming it (hs_dl_test_soname points a table at another
 * soname, the way a machine without the package would look); `image inspect` then reports a library-missing
 * finding and `doctor` a note, and both still answer; once the library is back, everything works as before.
 * The tables are typed from the libraries' headers and are called here as the modules call them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <blkid.h>
#include <libcryptsetup.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "homesetupP.h"
#include "helpers/tree.h"

#define ABSENT "libhomesetup-test-absent.so.0"
#define ABSENT_MSG ABSENT " is not installed: cannot open shared object file: No such file or directory"

static char tmpdir[256];

static int group_setup(void **state)
{
	tree_mkdtemp(tmpdir, sizeof(tmpdir), "/tmp/hs-test-dl-XXXXXX");
	return 0;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < HS_DL__MAX; i++)
		hs_dl_test_soname((hs_dl_lib)i, NULL);
	tree_rm_rf(tmpdir);
	return 0;
}

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static void test_missing(void **state)
{
	hs_ctx *ctx = NULL;
	char *why = NULL;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	hs_dl_test_soname(HS_DL_PCRE2, ABSENT);
	assert_string_equal(hs_dl_soname(HS_DL_PCRE2), ABSENT);
	assert_int_equal(hs_dl_open(HS_DL_PCRE2, &why), -EOPNOTSUPP);
	assert_string_equal(why, ABSENT_MSG " (it comes with dev-libs/libpcre2)");
	free(why);
	/* not remembered: asked again, it looks again and says the same, in ctx this time */
	assert_int_equal(hs_dl_pcre2(ctx), -EOPNOTSUPP);
	assert_int_equal(hs_ctx_last_errno(ctx), -EOPNOTSUPP);
	assert_string_equal(hs_ctx_last_error(ctx), ABSENT_MSG " (it comes with dev-libs/libpcre2)");
	assert_null(hs_pcre2.pcre2_compile);
	/* the callers: no matcher, and nothing to free */
	{
		hs_doctor_matcher *m = (hs_doctor_matcher *)1;

		assert_int_equal(hs_doctor_matcher_new(ctx, &m), -EOPNOTSUPP);
		assert_null(m);
	}
	/* NULL ctx and NULL why are fine */
	assert_int_equal(hs_dl_load(NULL, HS_DL_PCRE2), -EOPNOTSUPP);
	assert_int_equal(hs_dl_open(HS_DL_PCRE2, NULL), -EOPNOTSUPP);
	assert_int_equal(hs_dl_open(HS_DL__MAX, NULL), -EINVAL);
	hs_dl_test_soname(HS_DL_PCRE2, NULL);
	assert_string_equal(hs_dl_soname(HS_DL_PCRE2), "libpcre2-8.so.0");
	hs_ctx_free(ctx);
}

static void test_unloadable_and_incomplete(void **state)
{
	char *bad = path_in("libbroken.so.1"), *why = NULL, *want = NULL;
	int fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	/* a file that is there but is no library: "cannot be loaded", with the loader's reason */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	hs_dl_test_soname(HS_DL_BLKID, bad);
	assert_int_equal(hs_dl_open(HS_DL_BLKID, &why), -EOPNOTSUPP);
	assert_true(asprintf(&want, "%s cannot be loaded: ", bad) > 0);
	assert_memory_equal(why, want, strlen(want));
	assert_non_null(strstr(why, "(it comes with sys-apps/util-linux)"));
	free(why);
	free(want);

	/* a library without the functions of the table (zlib as "libcryptsetup"): the first one missing is named */
	hs_dl_test_soname(HS_DL_CRYPTSETUP, "libz.so.1");
	assert_int_equal(hs_dl_open(HS_DL_CRYPTSETUP, &why), -EOPNOTSUPP);
	{
		static const char lacks[] = "libz.so.1 lacks crypt_init(), which homesetup was built to call "
					    "(sys-fs/cryptsetup older than the headers it was built with?): ";

		assert_memory_equal(why, lacks, sizeof(lacks) - 1);
	}
	assert_null(hs_cryptsetup.crypt_init);
	free(why);
	hs_dl_test_soname(HS_DL_BLKID, NULL);
	hs_dl_test_soname(HS_DL_CRYPTSETUP, NULL);
	free(bad);
}

static const hs_image_finding *finding(const hs_image_info *info, const char *id)
{
	for (size_t i = 0; i < hs_image_info_finding_count(info); i++)
		if (strcmp(hs_image_info_finding(info, i)->id, id) == 0)
			return hs_image_info_finding(info, i);
	return NULL;
}

static void test_image_without_blkid(void **state)
{
	char *img = path_in("plain.img");
	hs_ctx *ctx = NULL;
	hs_image_info *info = NULL;
	const hs_image_finding *f;
	int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	hs_dl_test_soname(HS_DL_BLKID, ABSENT);
	assert_int_equal(hs_image_inspect(ctx, &info, img, "alice"), 0);
	assert_int_equal(hs_image_info_finding_count(info), 1);
	f = finding(info, "library-missing");
	assert_non_null(f);
	assert_int_equal(f->status, HS_CHECK_WARN);
	assert_int_equal(hs_image_info_status(info), HS_CHECK_WARN);
	assert_string_equal(f->summary, "the partition table, the file systems and the LUKS header were not checked: "
			    ABSENT_MSG " (it comes with sys-apps/util-linux)");
	assert_string_equal(f->fix, "install sys-apps/util-linux (it provides " ABSENT "), then inspect the image "
			    "again");
	hs_image_info_free(info);
	info = NULL;

	/* with libblkid back: the real verdict on a zeroed file */
	hs_dl_test_soname(HS_DL_BLKID, NULL);
	assert_int_equal(hs_image_inspect(ctx, &info, img, "alice"), 0);
	assert_null(finding(info, "library-missing"));
	assert_non_null(finding(info, "no-gpt"));
	hs_image_info_free(info);
	hs_ctx_free(ctx);
	free(img);
}

static void quiet_log(int level, const char *msg, void *usrptr) { (void)level, (void)msg, (void)usrptr; }

/* A LUKS2 volume directly at offset 0 of a 4 MiB file (homed's "directly a LUKS image"), made by libcryptsetup. */
static char *make_luks(void)
{
	struct crypt_device *cd = NULL;
	struct crypt_pbkdf_type pbkdf = { .type = CRYPT_KDF_PBKDF2, .hash = "sha256", .iterations = 1000,
					  .flags = CRYPT_PBKDF_NO_BENCHMARK };
	struct crypt_params_luks2 params = { .label = "alice", .subsystem = "systemd-home", .sector_size = 512 };
	char *img = path_in("alice.home");
	int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	close(fd);
	assert_int_equal(crypt_init(&cd, img), 0);
	crypt_set_log_callback(cd, quiet_log, NULL);
	assert_int_equal(crypt_set_pbkdf_type(cd, &pbkdf), 0);
	assert_int_equal(crypt_set_metadata_size(cd, 16384, 1024 * 1024), 0);
	assert_int_equal(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL, 32, &params), 0);
	assert_true(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 32, "pw", 2) >= 0);
	crypt_free(cd);
	return img;
}

static void test_image_without_cryptsetup(void **state)
{
	char *img = make_luks();
	hs_ctx *ctx = NULL;
	hs_image_info *info = NULL;
	const hs_image_finding *f;
	const hs_image_luks *l;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	hs_dl_test_soname(HS_DL_CRYPTSETUP, ABSENT);
	assert_int_equal(hs_image_inspect(ctx, &info, img, NULL), 0);
	f = finding(info, "library-missing");
	assert_non_null(f);
	assert_int_equal(hs_image_info_finding_count(info), 1);
	assert_int_equal(f->status, HS_CHECK_WARN);
	assert_string_equal(f->summary, "the LUKS header (keyslots, tokens, the record homed keeps there) was not "
			    "checked: " ABSENT_MSG " (it comes with sys-fs/cryptsetup)");
	/* what the binary header says is still shown */
	l = hs_image_info_luks(info);
	assert_non_null(l);
	assert_int_equal(l->version, 2);
	assert_string_equal(l->label, "alice");
	assert_string_equal(l->subsystem, "systemd-home");
	assert_int_equal(l->n_keyslots, 0);
	hs_image_info_free(info);
	info = NULL;

	/* libcryptsetup back: the keyslot is read, and the missing homed token is the verdict */
	hs_dl_test_soname(HS_DL_CRYPTSETUP, NULL);
	assert_int_equal(hs_image_inspect(ctx, &info, img, NULL), 0);
	assert_null(finding(info, "library-missing"));
	assert_non_null(finding(info, "no-homed-token"));
	l = hs_image_info_luks(info);
	assert_non_null(l);
	assert_int_equal(l->n_keyslots, 1);
	assert_non_null(hs_cryptsetup.crypt_load);
	hs_image_info_free(info);
	hs_ctx_free(ctx);
	free(img);
}

static void test_doctor_without_pcre2(void **state)
{
	static const char journal[] =
		"__REALTIME_TIMESTAMP=3000000\n_BOOT_ID=22222222222222222222222222222222\n"
		"_SYSTEMD_UNIT=systemd-homed.service\nSYSLOG_IDENTIFIER=systemd-homework\n_PID=50\n"
		"MESSAGE=File system is corrupted, refusing.\n\n";
	char *exp = path_in("journal.export");
	hs_doctor_options o = { .no_bus = true, .journal_export = exp };
	hs_ctx *ctx = NULL;
	hs_doctor *d = NULL;
	bool noted = false;
	FILE *f = fopen(exp, "w");

	assert_non_null(f);
	fputs(journal, f);
	fclose(f);
	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_ctx_set_root(ctx, tmpdir), 0);
	hs_dl_test_soname(HS_DL_PCRE2, ABSENT);
	assert_int_equal(hs_doctor_run(ctx, &d, &o), 0);
	assert_int_equal(hs_doctor_finding_count(d), 0);
	for (size_t i = 0; i < hs_doctor_note_count(d); i++)
		noted |= strcmp(hs_doctor_note(d, i), "journal: not read: its messages are matched with PCRE2, and "
				ABSENT_MSG " (it comes with dev-libs/libpcre2)") == 0;
	assert_true(noted);
	hs_doctor_free(d);
	d = NULL;

	hs_dl_test_soname(HS_DL_PCRE2, NULL);
	assert_int_equal(hs_doctor_run(ctx, &d, &o), 0);
	assert_int_equal(hs_doctor_finding_count(d), 1);
	assert_string_equal(hs_doctor_finding(d, 0)->rule, "fs-dirty");
	hs_doctor_free(d);
	hs_ctx_free(ctx);
	free(exp);
}

/* The tables, called the way the modules call them: typed from the headers. */
static void test_tables(void **state)
{
	int err = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re;
	pcre2_match_data *md;
	blkid_probe pr;

	assert_int_equal(hs_dl_open(HS_DL_PCRE2, NULL), 0);
	assert_int_equal(hs_dl_open(HS_DL_BLKID, NULL), 0);
	assert_int_equal(hs_dl_open(HS_DL_CRYPTSETUP, NULL), 0);
	re = hs_pcre2.pcre2_compile((PCRE2_SPTR) "^home-(?<user>[a-z]+)$", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	assert_non_null(re);
	md = hs_pcre2.pcre2_match_data_create(2, NULL);
	assert_int_equal(hs_pcre2.pcre2_match(re, (PCRE2_SPTR) "home-alice", 10, 0, 0, md, NULL), 2);
	assert_int_equal(hs_pcre2.pcre2_substring_number_from_name(re, (PCRE2_SPTR) "user"), 1);
	hs_pcre2.pcre2_match_data_free(md);
	hs_pcre2.pcre2_code_free(re);
	pr = hs_blkid.blkid_new_probe();
	assert_non_null(pr);
	hs_blkid.blkid_free_probe(pr);
	assert_int_equal(hs_cryptsetup.crypt_keyslot_max(CRYPT_LUKS2), 32);
}

static void *load_all(void *arg)
{
	intptr_t bad = 0;

	for (int i = 0; i < HS_DL__MAX; i++)
		bad += hs_dl_open((hs_dl_lib)i, NULL) != 0;
	return (void *)bad;
}

/* Loaders racing on forgotten libraries all succeed, and the tables are complete afterwards. */
static void test_threads(void **state)
{
	pthread_t t[8];

	for (int i = 0; i < HS_DL__MAX; i++)
		hs_dl_test_soname((hs_dl_lib)i, NULL);
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, load_all, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		void *bad;

		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
	assert_non_null(hs_cryptsetup.crypt_token_json_get);
	assert_non_null(hs_blkid.blkid_partition_get_uuid);
	assert_non_null(hs_pcre2.pcre2_get_ovector_count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unloadable_and_incomplete),
		cmocka_unit_test(test_image_without_blkid),
		cmocka_unit_test(test_image_without_cryptsetup),
		cmocka_unit_test(test_doctor_without_pcre2),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
