/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homedconf.c: homed.conf read the way systemd's conf-parser reads it (case-sensitive keys, values taken
 * literally, continuations, comments, the lines that make homed refuse to start), the file and drop-in order of
 * homed.conf(5), the iniparser comparison, and the `homed-conf` checks in every state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <iniparser.h>

#include "homesetupP.h"
#include "probe_fixture.h"

static hs_homed_conf *parse(const char *text, size_t len)
{
	hs_homed_conf *conf = NULL;

	assert_int_equal(hs_homed_conf_new(&conf), 0);
	assert_int_equal(hs_homed_conf_parse(NULL, conf, "/etc/systemd/homed.conf", text,
					     len == SIZE_MAX ? strlen(text) : len), 0);
	return conf;
}

static const hs_homed_conf_issue *issue_at(const hs_homed_conf *conf, unsigned line)
{
	for (size_t i = 0; i < conf->n_issues; i++)
		if (conf->issues[i].line == line)
			return &conf->issues[i];
	fail_msg("no issue at line %u", line);
	return NULL;
}

static void expect_issue(const hs_homed_conf *conf, unsigned line, hs_check_status st, const char *needle)
{
	const hs_homed_conf_issue *is = issue_at(conf, line);

	if (is->status != st || !strstr(is->message, needle))
		fail_msg("line %u: %s '%s', want %s '%s'", line, hs_check_status_name(is->status), is->message,
			 hs_check_status_name(st), needle);
}

static void test_parse_values(void **state)
{
	hs_homed_conf *conf;

	conf = parse("# sample\n[Home]\nDefaultStorage=luks\n  DefaultFileSystemType = ext4  \n", SIZE_MAX);
	assert_string_equal(conf->storage, "luks");
	assert_int_equal(conf->storage_line, 3);
	assert_string_equal(conf->storage_path, "/etc/systemd/homed.conf");
	assert_string_equal(conf->fstype, "ext4");
	assert_int_equal(conf->fstype_line, 4);
	assert_int_equal(conf->n_issues, 0);
	assert_false(conf->fatal);
	hs_homed_conf_free(conf);

	/* later lines override; an empty DefaultFileSystemType= resets, an empty DefaultStorage= is rejected */
	conf = parse("[Home]\nDefaultStorage=directory\nDefaultFileSystemType=xfs\nDefaultFileSystemType=\n"
		     "DefaultStorage=\n", SIZE_MAX);
	assert_string_equal(conf->storage, "directory");
	assert_null(conf->fstype);
	expect_issue(conf, 5, HS_CHECK_WARN, "empty value is rejected");
	assert_int_equal(conf->n_warn, 1);
	assert_string_equal(hs_homed_conf_fstype(conf), "btrfs");
	hs_homed_conf_free(conf);

	/* refused values keep the earlier one */
	conf = parse("[Home]\nDefaultStorage=subvolume\nDefaultStorage=lux\nDefaultStorage=classic\n"
		     "DefaultFileSystemType=zfs\n", SIZE_MAX);
	assert_string_equal(conf->storage, "subvolume");
	assert_null(conf->fstype);
	expect_issue(conf, 3, HS_CHECK_FAIL, "invalid DefaultStorage= value 'lux' (column 16)");
	expect_issue(conf, 4, HS_CHECK_FAIL, "\"classic\" homes cannot be created");
	expect_issue(conf, 5, HS_CHECK_FAIL, "unsupported DefaultFileSystemType= value 'zfs' (column 23)");
	assert_int_equal(conf->n_fail, 3);
	assert_false(conf->fatal);
	hs_homed_conf_free(conf);
	assert_string_equal(hs_homed_conf_storage(NULL), "luks");
}

static void test_parse_literal_values(void **state)
{
	hs_homed_conf *conf;

	/* systemd keeps quotes and trailing comments; an INI reader would not: the message says so */
	conf = parse("[Home]\nDefaultStorage=\"luks\"\nDefaultFileSystemType=ext4 ; small homes\n", SIZE_MAX);
	assert_null(conf->storage);
	assert_null(conf->fstype);
	expect_issue(conf, 2, HS_CHECK_FAIL, "value '\"luks\"'");
	expect_issue(conf, 2, HS_CHECK_FAIL, "an INI reader would have read 'luks'");
	expect_issue(conf, 3, HS_CHECK_FAIL, "'ext4 ; small homes'");
	expect_issue(conf, 3, HS_CHECK_FAIL, "an INI reader would have read 'ext4'");
	hs_homed_conf_free(conf);
}

static void test_parse_warnings(void **state)
{
	hs_homed_conf *conf;

	conf = parse("DefaultStorage=luks\n[Home]\ndefaultstorage=directory\nDefaultStorag=luks\nX-Vendor=1\n"
		     "not an assignment\n=luks\n[home]\nDefaultStorage=directory\n[X-Vendor]\nFoo=bar\n[Other]\n"
		     "Foo=bar\n", SIZE_MAX);
	expect_issue(conf, 1, HS_CHECK_WARN, "assignment outside of a section");
	expect_issue(conf, 3, HS_CHECK_WARN, "unknown key 'defaultstorage' in section [Home], ignored (key names "
		     "are case-sensitive: DefaultStorage)");
	expect_issue(conf, 4, HS_CHECK_WARN, "unknown key 'DefaultStorag'");
	expect_issue(conf, 6, HS_CHECK_WARN, "missing '='");
	expect_issue(conf, 7, HS_CHECK_WARN, "missing key name before '='");
	expect_issue(conf, 8, HS_CHECK_WARN, "unknown section 'home', ignored (section names are case-sensitive");
	expect_issue(conf, 12, HS_CHECK_WARN, "unknown section 'Other'");
	/* X- keys and sections, and lines in ignored sections, are silent */
	assert_int_equal(conf->n_issues, 7);
	assert_int_equal(conf->n_warn, 7);
	assert_null(conf->storage);
	hs_homed_conf_free(conf);
}

static void test_parse_fatal(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		unsigned line;
		const char *msg;
	} cases[] = {
		{ "[Home]\nDefaultStorage=luks\n[Home\nDefaultStorage=directory\n", SIZE_MAX, 3, "no closing ']'" },
		{ "[Ho\"me]\nDefaultStorage=directory\n", SIZE_MAX, 1, "bad characters in section header" },
		{ "[Home]\nDefaultStorage=lu\xffks\nDefaultStorage=directory\n", SIZE_MAX, 2, "not valid UTF-8" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		hs_homed_conf *conf = parse(cases[i].text, cases[i].len);

		assert_true(conf->fatal);
		expect_issue(conf, cases[i].line, HS_CHECK_FAIL, cases[i].msg);
		expect_issue(conf, cases[i].line, HS_CHECK_FAIL, "systemd-homed does not start");
		/* nothing after the fatal line is read */
		assert_true(!conf->storage || strcmp(conf->storage, "directory") != 0);
		hs_homed_conf_free(conf);
	}
}

static void test_parse_lines(void **state)
{
	static const char crlf_bom[] = "\xef\xbb\xbf[Home]\r\nDefaultStorage=directory\r\nDefaultFileSystemType=xfs";
	hs_homed_conf *conf;

	/* a continuation: the backslash becomes a blank; the logical line has the number of its last line; comment
	 * lines inside it are dropped */
	conf = parse("[Home]\nDefaultFileSystemType=\\\n# a comment\n   ext4\nDefaultStorage=lu\\\nks\n", SIZE_MAX);
	assert_string_equal(conf->fstype, "ext4");
	assert_int_equal(conf->fstype_line, 4);
	expect_issue(conf, 6, HS_CHECK_FAIL, "'lu ks'");
	hs_homed_conf_free(conf);

	/* a file ending inside a continuation still counts, as one more line */
	conf = parse("[Home]\nDefaultStorage=\\\ndirectory\\", SIZE_MAX);
	assert_string_equal(conf->storage, "directory");
	assert_int_equal(conf->storage_line, 4);
	hs_homed_conf_free(conf);

	/* BOM, CRLF, no final newline */
	conf = parse(crlf_bom, sizeof(crlf_bom) - 1);
	assert_string_equal(conf->storage, "directory");
	assert_string_equal(conf->fstype, "xfs");
	assert_int_equal(conf->fstype_line, 3);
	assert_int_equal(conf->n_issues, 0);
	hs_homed_conf_free(conf);

	/* a NUL ends a line too */
	conf = parse("[Home]\0DefaultStorage=directory\n", 32);
	assert_string_equal(conf->storage, "directory");
	assert_int_equal(conf->storage_line, 2);
	hs_homed_conf_free(conf);
}

static void test_ini_helper(void **state)
{
	char *msg = NULL;
	int err = 0;
	struct _dictionary_ *d;

	d = hs_ini_load_bytes(NULL, "x", "[Home]\nDefaultStorage = \"luks\" ; c\n", 35, &msg, &err);
	assert_non_null(d);
	assert_string_equal(iniparser_getstring(d, "home:defaultstorage", "?"), "luks");
	iniparser_freedict(d);
	d = hs_ini_load_bytes(NULL, "x", "", 0, &msg, &err);
	assert_non_null(d);
	iniparser_freedict(d);
	/* a line iniparser 4.1 cannot read: a syntax error, not an I/O error */
	d = hs_ini_load_bytes(NULL, "x", "[Home]\nthis is no key\n", 22, &msg, &err);
	assert_null(d);
	assert_int_equal(err, 0);
	free(msg);
}

/* ---- files and checks ------------------------------------------------------------------------------- */

static void test_load_order(void **state)
{
	fixture *f = *state;
	hs_homed_conf *conf = NULL;

	/* only the first main file is read */
	fx_write(f, "/usr/lib/systemd/homed.conf", "[Home]\nDefaultStorage=fscrypt\n");
	fx_write(f, "/run/systemd/homed.conf", "[Home]\nDefaultStorage=cifs\n");
	assert_int_equal(hs_homed_conf_load(f->ctx, &conf), 0);
	assert_string_equal(conf->storage, "cifs");
	assert_string_equal(conf->files[0], "/run/systemd/homed.conf");
	assert_null(conf->files[1]);
	hs_homed_conf_free(conf);
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\n#DefaultStorage=\n");

	/* drop-ins from all four directories by name; the same name in an earlier directory masks later ones */
	fx_write(f, "/usr/lib/systemd/homed.conf.d/50-vendor.conf", "[Home]\nDefaultFileSystemType=xfs\n");
	fx_write(f, "/etc/systemd/homed.conf.d/50-vendor.conf", "[Home]\nDefaultFileSystemType=ext4\n");
	fx_write(f, "/usr/local/lib/systemd/homed.conf.d/10-site.conf", "[Home]\nDefaultStorage=directory\n"
		 "DefaultFileSystemType=btrfs\n");
	fx_write(f, "/run/systemd/homed.conf.d/90-late.conf", "[Home]\nDefaultStorage=subvolume\n");
	fx_write(f, "/etc/systemd/homed.conf.d/20-notes.txt", "[Home]\nDefaultStorage=luks\n");
	fx_write(f, "/etc/systemd/homed.conf.d/.hidden.conf", "[Home]\nDefaultStorage=luks\n");
	assert_int_equal(hs_homed_conf_load(f->ctx, &conf), 0);
	assert_string_equal(conf->files[0], "/etc/systemd/homed.conf");
	assert_string_equal(conf->files[1], "/usr/local/lib/systemd/homed.conf.d/10-site.conf");
	assert_string_equal(conf->files[2], "/etc/systemd/homed.conf.d/50-vendor.conf");
	assert_string_equal(conf->files[3], "/run/systemd/homed.conf.d/90-late.conf");
	assert_null(conf->files[4]);
	assert_string_equal(conf->storage, "subvolume");
	assert_string_equal(conf->storage_path, "/run/systemd/homed.conf.d/90-late.conf");
	assert_string_equal(conf->fstype, "ext4");
	hs_homed_conf_free(conf);
}

static void test_check_parse(void **state)
{
	fixture *f = *state;
	const hs_check_result *r;

	/* nothing at all: defaults */
	fx_run(f, "homed-conf");
	fx_expect(f, "homed-conf.parse", HS_CHECK_OK, "DefaultStorage not set: luks (automatic), DefaultFileSystemType "
		  "not set: btrfs (default)");
	fx_expect(f, "homed-conf.parse", HS_CHECK_OK, "no homed.conf and no drop-ins");

	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=luks\nDefaultFileSystemType=ext4\n");
	fx_run(f, "homed-conf.parse");
	r = fx_expect(f, "homed-conf.parse", HS_CHECK_OK, "DefaultStorage=luks (/etc/systemd/homed.conf:2), "
		      "DefaultFileSystemType=ext4 (/etc/systemd/homed.conf:3)");
	assert_null(r->fix);

	/* an ignored line */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=luks\nDefaultFilesystemType=ext4\n");
	fx_run(f, "homed-conf.parse");
	fx_expect(f, "homed-conf.parse", HS_CHECK_WARN, "1 line ignored by systemd-homed (/etc/systemd/homed.conf:3)");
	fx_expect(f, "homed-conf.parse", HS_CHECK_WARN, "/etc/systemd/homed.conf line 3: correct the key name");
	fx_expect(f, "homed-conf.parse", HS_CHECK_WARN, "    DefaultFilesystemType=ext4");

	/* a refused value, in a drop-in */
	fx_write(f, "/etc/systemd/homed.conf.d/x.conf", "[Home]\nDefaultFileSystemType=ext3\n");
	fx_run(f, "homed-conf.parse");
	fx_expect(f, "homed-conf.parse", HS_CHECK_FAIL, "invalid setting at /etc/systemd/homed.conf.d/x.conf:2 (1 in "
		  "all)");
	fx_expect(f, "homed-conf.parse", HS_CHECK_FAIL, "write DefaultFileSystemType=btrfs");

	/* a file homed cannot start with */
	fx_write(f, "/etc/systemd/homed.conf.d/x.conf", "[Home\n");
	fx_run(f, "homed-conf.parse");
	fx_expect(f, "homed-conf.parse", HS_CHECK_FAIL, "systemd-homed will not start: "
		  "/etc/systemd/homed.conf.d/x.conf:1 cannot be parsed");
	fx_expect(f, "homed-conf.parse", HS_CHECK_FAIL, "line 1: write the section header as [Home]");
}

static int run_as_nobody(fixture *f)
{
	const char *only[] = { "homed-conf.parse", NULL };
	hs_check_options o = { .no_bus = true, .only = only };
	hs_report *rep = NULL;
	int st;

	if (hs_check_run(f->ctx, &rep, &o) < 0 || hs_report_count(rep) != 1)
		return 90;
	st = hs_report_get(rep, 0)->status;
	if (!strstr(hs_report_get(rep, 0)->detail, "cannot read /etc/systemd/homed.conf"))
		st = 91;
	hs_report_free(rep);
	return st;
}

static void test_check_unreadable(void **state)
{
	fixture *f = *state;
	int st;

	fx_write_n(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=luks\n", SIZE_MAX, 0600);
	st = fx_as_nobody(f, run_as_nobody);
	if (st < 0) {
		chmod(fx_path(f, "/etc/systemd/homed.conf", (char[4096]){0}, 4096), 0);
		fx_run(f, "homed-conf.parse");
		st = (int)fx_result(f, "homed-conf.parse")->status;
	}
	assert_int_equal(st, HS_CHECK_SKIP);

	fx_rm(f, "/etc/systemd/homed.conf");
	fx_mkdir(f, "/etc/systemd/homed.conf", 0755);
	fx_run(f, "homed-conf");
	fx_expect(f, "homed-conf.parse", HS_CHECK_SKIP, "Is a directory");
}

static void test_check_storage(void **state)
{
	static const struct {
		const char *conf;
		hs_check_status st;
		const char *needle;
	} cases[] = {
		{ "[Home]\n", HS_CHECK_OK, "homes will be LUKS2 images with btrfs inside (automatic default)" },
		{ "[Home]\nDefaultStorage=luks\nDefaultFileSystemType=xfs\n", HS_CHECK_OK,
		  "LUKS2 images with xfs inside (/etc/systemd/homed.conf:2)" },
		{ "[Home]\nDefaultStorage=directory\n", HS_CHECK_WARN, "not encrypted" },
		{ "[Home]\nDefaultStorage=fscrypt\n", HS_CHECK_WARN, "tune2fs -O encrypt" },
		{ "[Home]\nDefaultStorage=cifs\n", HS_CHECK_WARN, "net-fs/cifs-utils" },
	};
	fixture *f = *state;
	long home_fs = 0;
	int fd;

	fx_mkdir(f, "/home", 0755);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		fx_write(f, "/etc/systemd/homed.conf", cases[i].conf);
		fx_run(f, "homed-conf.storage");
		fx_expect(f, "homed-conf.storage", cases[i].st, cases[i].needle);
	}
	/* subvolume needs /home on btrfs: the temp directory's file system decides what we can assert */
	fd = open(fx_path(f, "/home", (char[4096]){0}, 4096), O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(hs_probe_fstype(fd, &home_fs), 0);
	close(fd);
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\nDefaultStorage=subvolume\n");
	fx_run(f, "homed-conf.storage");
	if (home_fs == HS_FS_BTRFS)
		fx_expect(f, "homed-conf.storage", HS_CHECK_OK, "btrfs subvolumes");
	else
		fx_expect(f, "homed-conf.storage", HS_CHECK_FAIL, "/home is not on btrfs");

	/* the built-in file system follows the installed systemd */
	fx_write(f, "/etc/systemd/homed.conf", "[Home]\n");
	fx_installed(f, "sys-apps/systemd-246.6", "homed\n");
	fx_run(f, "homed-conf");
	fx_expect(f, "homed-conf.parse", HS_CHECK_OK, "DefaultFileSystemType not set: ext4 (default before systemd 247)");
	fx_expect(f, "homed-conf.storage", HS_CHECK_OK, "with ext4 inside");
	fx_installed(f, "sys-apps/systemd-247", "homed\n");
	fx_run(f, "homed-conf");
	fx_expect(f, "homed-conf.storage", HS_CHECK_OK, "with btrfs inside");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_literal_values),
		cmocka_unit_test(test_parse_warnings),
		cmocka_unit_test(test_parse_fatal),
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_ini_helper),
		cmocka_unit_test_setup_teardown(test_load_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_parse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_unreadable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_check_storage, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
