/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel.c: .config parsing, gunzip, and the `kernel` checks: the kernel of a root (newest in /lib/modules,
 * or the newest /boot/config-*), the running kernel through a fake /proc (hs_kernel_test_proc), options built in,
 * as modules present or missing, modules.builtin and modules.dep without a configuration, the file system from
 * homed.conf, mkfs with homework's ext4 fallback, and storage that does not need LUKS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "homesetupP.h"
#include "probe_fixture.h"

static const char rel[] = "6.12.58-gentoo-dist";

static void test_kconfig(void **state)
{
	static const char text[] = "#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_DM_CRYPT=m\n"
				   "CONFIG_BLK_DEV_LOOP=y\n# CONFIG_XFS_FS is not set\nCONFIG_LOCALVERSION=\"-gentoo\"\n"
				   "CONFIG_=y\nNOT_CONFIG_X=y\n#CONFIG_Y is not set\nCONFIG_HZ=1000";
	hs_kconfig k;

	assert_int_equal(hs_kconfig_parse(NULL, text, sizeof(text) - 1, &k), 0);
	assert_string_equal(hs_kconfig_get(&k, "CONFIG_DM_CRYPT"), "m");
	assert_string_equal(hs_kconfig_get(&k, "CONFIG_BLK_DEV_LOOP"), "y");
	assert_null(hs_kconfig_get(&k, "CONFIG_XFS_FS"));
	assert_string_equal(hs_kconfig_get(&k, "CONFIG_LOCALVERSION"), "\"-gentoo\"");
	assert_string_equal(hs_kconfig_get(&k, "CONFIG_HZ"), "1000");
	assert_null(hs_kconfig_get(&k, "CONFIG_Y"));
	assert_null(hs_kconfig_get(&k, "CONFIG_"));
	assert_null(hs_kconfig_get(&k, "NOT_CONFIG_X"));
	assert_null(hs_kconfig_get(&k, "CONFIG_BTRFS_FS"));
	assert_int_equal(k.n, 5);
	hs_kconfig_free(&k);
}

static char *gzip_bytes(const char *in, size_t len, size_t *out_len)
{
	z_stream z = {0};
	size_t cap = len + 1024;
	char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void test_gunzip(void **state)
{
	static const char text[] = "CONFIG_DM_CRYPT=y\n";
	size_t gzlen, n;
	char *gz = gzip_bytes(text, sizeof(text) - 1, &gzlen), *out = NULL;
	hs_ctx *ctx;

	assert_int_equal(hs_ctx_new(&ctx), 0);
	assert_int_equal(hs_gunzip(ctx, "t", gz, gzlen, 1u << 20, &out, &n), 0);
	assert_int_equal(n, sizeof(text) - 1);
	assert_memory_equal(out, text, n);
	free(out);
	/* truncated */
	assert_int_equal(hs_gunzip(ctx, "t", gz, gzlen - 4, 1u << 20, &out, &n), -EINVAL);
	assert_non_null(strstr(hs_ctx_last_error(ctx), "t: not valid gzip data"));
	/* not gzip */
	assert_int_equal(hs_gunzip(ctx, "t", "hello world", 11, 1u << 20, &out, &n), -EINVAL);
	/* over the limit */
	{
		size_t big = 300000, glen;
		char *zeros = calloc(1, big), *g;

		assert_non_null(zeros);
		g = gzip_bytes(zeros, big, &glen);
		assert_int_equal(hs_gunzip(ctx, "t", g, glen, 65536, &out, &n), -EFBIG);
		free(g);
		free(zeros);
	}
	free(gz);
	hs_ctx_free(ctx);
}

/* ---- the checks --------------------------------------------------------------------------------------- */

static void modules(fixture *f, const char *release, const char *builtin)
{
	char p[512];

	snprintf(p, sizeof(p), "/lib/modules/%s/modules.builtin", release);
	fx_write(f, p, builtin);
}

static void module_file(fixture *f, const char *release, const char *relpath)
{
	char p[512];

	snprintf(p, sizeof(p), "/lib/modules/%s/%s", release, relpath);
	fx_write(f, p, "ELF");
}

static void test_root_from_modules(void **state)
{
	fixture *f = *state;

	/* nothing known: skip, with what was looked at */
	fx_run(f, "kernel");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_SKIP, "no kernel configuration found");
	fx_expect(f, "kernel.loop", HS_CHECK_SKIP, "no kernel in /lib/modules");
	fx_expect(f, "kernel.fs", HS_CHECK_SKIP, NULL);

	/* modules.builtin and module files, no configuration; the newest release (version order, not bytes) */
	modules(f, "6.9.1-gentoo", "");
	modules(f, rel, "kernel/drivers/md/dm-mod.ko\nkernel/drivers/block/loop.ko\n");
	module_file(f, rel, "kernel/drivers/md/dm-crypt.ko.xz");
	module_file(f, rel, "kernel/fs/btrfs/btrfs.ko.zst");
	fx_run(f, "kernel");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "available in kernel 6.12.58-gentoo-dist");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "dm-mod is built in (/lib/modules/6.12.58-gentoo-dist/modules.builtin)");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "module /lib/modules/6.12.58-gentoo-dist/kernel/drivers/md/dm-crypt.ko.xz");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "the newest kernel installed in this root");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, NULL);
	fx_expect(f, "kernel.fs", HS_CHECK_OK, "btrfs (DefaultFileSystemType: default)");

	/* neither built in nor a module: FAIL (judged from the module list) */
	fx_rm(f, "/lib/modules/6.12.58-gentoo-dist/kernel/drivers/md/dm-crypt.ko.xz");
	fx_run(f, "kernel.dm-crypt");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_FAIL, "CONFIG_DM_CRYPT is not enabled in kernel 6.12.58-gentoo-dist");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_FAIL, "Crypt target support");

	/* a module modules.dep puts elsewhere */
	module_file(f, rel, "updates/dkms/dm-crypt.ko");
	fx_write(f, "/lib/modules/6.12.58-gentoo-dist/modules.dep", "kernel/fs/btrfs/btrfs.ko.zst: kernel/lib/x.ko\n"
		 "updates/dkms/dm-crypt.ko: kernel/drivers/md/dm-mod.ko\n");
	fx_run(f, "kernel.dm-crypt");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "updates/dkms/dm-crypt.ko");

	/* /usr/lib/modules counts too */
	fx_rm(f, "/lib/modules");
	modules(f, "x", "");
	fx_rm(f, "/lib/modules/x");
	fx_write(f, "/usr/lib/modules/6.13.0/modules.builtin", "kernel/drivers/block/loop.ko\n");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, "kernel 6.13.0");
}

static void test_root_from_config(void **state)
{
	fixture *f = *state;
	char cfg[512];

	snprintf(cfg, sizeof(cfg), "/boot/config-%s", rel);
	modules(f, rel, "");
	fx_write(f, cfg, "CONFIG_BLK_DEV_DM=y\nCONFIG_DM_CRYPT=m\nCONFIG_BLK_DEV_LOOP=m\nCONFIG_CRYPTO_XTS=y\n"
		 "CONFIG_BTRFS_FS=y\n# CONFIG_XFS_FS is not set\nCONFIG_EXT4_FS=m\n");
	module_file(f, rel, "kernel/drivers/md/dm-crypt.ko");
	module_file(f, rel, "kernel/drivers/block/loop.ko.gz");
	fx_run(f, "kernel");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "CONFIG_BLK_DEV_DM=y in /boot/config-6.12.58-gentoo-dist");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "CONFIG_DM_CRYPT=m in /boot/config-6.12.58-gentoo-dist; module");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, "loop.ko.gz");
	fx_expect(f, "kernel.fs", HS_CHECK_OK, "CONFIG_BTRFS_FS=y");

	/* =m without the module: not installed */
	fx_rm(f, "/lib/modules/6.12.58-gentoo-dist/kernel/drivers/block/loop.ko.gz");
	fx_installed(f, "sys-kernel/gentoo-kernel-bin-6.12.58", "initramfs\n");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_FAIL, "CONFIG_BLK_DEV_LOOP is a module that is not installed");
	fx_expect(f, "kernel.loop", HS_CHECK_FAIL, "install the modules of 6.12.58-gentoo-dist: 'make modules_install' "
		  "in its source tree, or emerge --ask --oneshot sys-kernel/gentoo-kernel-bin");

	/* not set; the distribution kernel is named in the fix */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultFileSystemType=xfs\n");
	fx_run(f, "kernel.fs");
	fx_expect(f, "kernel.fs", HS_CHECK_FAIL, "xfs (DefaultFileSystemType=xfs): CONFIG_XFS_FS is not enabled");
	fx_expect(f, "kernel.fs", HS_CHECK_FAIL, "File systems → XFS filesystem support");
	fx_expect(f, "kernel.fs", HS_CHECK_FAIL, "the distribution kernel sys-kernel/gentoo-kernel-bin has them enabled");

	/* storage without LUKS: the same findings are only warnings */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=directory\nDefaultFileSystemType=xfs\n");
	fx_run(f, "kernel");
	fx_expect(f, "kernel.fs", HS_CHECK_WARN, "only needed for --storage=luks; DefaultStorage=directory");
	fx_expect(f, "kernel.loop", HS_CHECK_WARN, "only needed for --storage=luks");

	/* XTS missing: a note */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\n");
	fx_write(f, cfg, "CONFIG_BLK_DEV_DM=y\nCONFIG_DM_CRYPT=y\n");
	fx_run(f, "kernel.dm-crypt");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "CONFIG_CRYPTO_XTS is not set");

	/* only /usr/src/linux/.config, for another release */
	fx_rm(f, cfg);
	fx_write(f, "/usr/src/linux/.config", "CONFIG_BLK_DEV_LOOP=y\n");
	fx_write(f, "/usr/src/linux/include/config/kernel.release", "6.6.1-gentoo\n");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, "/usr/src/linux is 6.6.1-gentoo, not 6.12.58-gentoo-dist");

	/* no modules at all, only a /boot/config-*: that release */
	fx_rm(f, "/lib/modules");
	fx_rm(f, "/usr/src/linux");
	fx_write(f, "/boot/config-6.1.0", "CONFIG_BLK_DEV_LOOP=y\n");
	fx_write(f, "/boot/config-6.10.2", "CONFIG_BLK_DEV_LOOP=m\n");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_FAIL, "the newest /boot/config-*");
	fx_expect(f, "kernel.loop", HS_CHECK_FAIL, "kernel 6.10.2");
}

static void test_live(void **state)
{
	fixture *f = *state;
	char proc[600], p[700];
	static const char config[] = "CONFIG_BLK_DEV_DM=y\nCONFIG_DM_CRYPT=y\nCONFIG_BLK_DEV_LOOP=y\n"
				     "# CONFIG_BTRFS_FS is not set\nCONFIG_EXT4_FS=y\n";
	size_t gzlen;
	char *gz = gzip_bytes(config, sizeof(config) - 1, &gzlen);
	int fd;

	snprintf(proc, sizeof(proc), "%s/fakeproc", f->root);
	fx_write(f, "/fakeproc/sys/kernel/osrelease", "6.18.0-test\n");
	fx_write(f, "/fakeproc/filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tvfat\n");
	snprintf(p, sizeof(p), "%s/config.gz", proc);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, gz, gzlen), (ssize_t)gzlen);
	close(fd);
	free(gz);

	hs_kernel_test_proc = proc;
	fx_run(f, "kernel");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "CONFIG_DM_CRYPT=y in /proc/config.gz");
	fx_expect(f, "kernel.dm-crypt", HS_CHECK_OK, "kernel 6.18.0-test (the running kernel)");
	/* btrfs: not registered, not configured */
	fx_expect(f, "kernel.fs", HS_CHECK_FAIL, "CONFIG_BTRFS_FS is not enabled in kernel 6.18.0-test");
	/* ext4 is registered in the running kernel */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultFileSystemType=ext4\n");
	fx_run(f, "kernel.fs");
	fx_expect(f, "kernel.fs", HS_CHECK_OK, "registered in the running kernel 6.18.0-test");

	/* a broken config.gz: the root's /boot/config-<running release> is next */
	fx_write(f, "/fakeproc/config.gz", "garbage");
	fx_write(f, "/boot/config-6.18.0-test", "CONFIG_BLK_DEV_LOOP=m\n");
	fx_write(f, "/lib/modules/6.18.0-test/kernel/drivers/block/loop.ko", "ELF");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, "CONFIG_BLK_DEV_LOOP=m in /boot/config-6.18.0-test; module");

	/* no osrelease: the newest installed kernel */
	fx_rm(f, "/fakeproc/sys");
	fx_run(f, "kernel.loop");
	fx_expect(f, "kernel.loop", HS_CHECK_OK, "the newest installed kernel (the running one is unknown)");
	hs_kernel_test_proc = NULL;
}

static void test_mkfs(void **state)
{
	fixture *f = *state;

	/* nothing configured, mkfs.btrfs missing, mkfs.ext4 there: homework falls back */
	fx_write(f, "/sbin/mkfs.ext4", "ELF");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_WARN, "homed will fall back to ext4 (/sbin/mkfs.ext4)");
	fx_expect(f, "kernel.mkfs", HS_CHECK_WARN, "emerge --ask sys-fs/btrfs-progs");
	/* no fallback either */
	fx_rm(f, "/sbin/mkfs.ext4");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_FAIL, "mkfs.btrfs is not installed: homectl create fails");
	/* there */
	fx_write(f, "/usr/sbin/mkfs.btrfs", "ELF");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_OK, "/usr/sbin/mkfs.btrfs");
	/* configured file system: no fallback */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultFileSystemType=xfs\n");
	fx_write(f, "/sbin/mkfs.ext4", "ELF");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_FAIL, "emerge --ask sys-fs/xfsprogs");
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultFileSystemType=ext4\n");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_OK, "/sbin/mkfs.ext4");
	/* old systemd: ext4 is the built-in default */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\n");
	fx_rm(f, "/usr/sbin/mkfs.btrfs");
	fx_installed(f, "sys-apps/systemd-246", "homed\n");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_OK, "mkfs.ext4 is installed");
	/* directory storage: missing mkfs is only a warning */
	fx_rm(f, "/var/db/pkg");
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=directory\n");
	fx_rm(f, "/sbin/mkfs.ext4");
	fx_run(f, "kernel.mkfs");
	fx_expect(f, "kernel.mkfs", HS_CHECK_WARN, "only needed for --storage=luks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kconfig),
		cmocka_unit_test(test_gunzip),
		cmocka_unit_test_setup_teardown(test_root_from_modules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_from_config, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_live, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mkfs, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
