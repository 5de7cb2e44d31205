#!/usr/bin/env bats
# The libraries only `image inspect` and `doctor` need (libblkid, libcryptsetup, libpcre2-8) are loaded when first
# used (libhomesetup/dl.c), not linked: `homesetup --version` and `check` do not load them at all, and a library
# that cannot be loaded (here: a stand-in that is no ELF file, found first through LD_LIBRARY_PATH) is a WARN
# finding of `image inspect` and a note of `doctor`, which both still answer.

load ../lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/stub"
}

# stub SONAME: a file of that name in $T/stub that the dynamic loader cannot load.
stub() {
	printf 'not an ELF file\n' > "$T/stub/$1"
}

@test "--version and check --no-bus map none of libcryptsetup, libblkid, libpcre2-8" {
	local root lib
	root=$(hs_mkroot)
	for lib in libcryptsetup.so.12 libblkid.so.1 libpcre2-8.so.0; do stub "$lib"; done
	# a stand-in the loader would trip over proves that nothing asks for them
	LD_LIBRARY_PATH=$T/stub hs --version
	assert_status 0
	LD_LIBRARY_PATH=$T/stub hs check --no-bus --root "$root" --json
	[ "$status" -le 1 ] || { _hs_dump; fail "check failed"; }
	assert_json 'd["version"] == 1 and d["results"]'
	if command -v readelf > /dev/null; then
		run readelf -d "${HS_BUILD:-$HS_TOP}/libhomesetup/libhomesetup.so.0"
		[[ $output != *libcryptsetup* && $output != *libblkid* && $output != *libpcre2* ]] ||
			fail "libhomesetup links them: $output"
	fi
}

@test "image inspect: libblkid that cannot be loaded is a WARN finding naming it; nothing else is claimed" {
	stub libblkid.so.1
	truncate -s 1M "$T/x.img"
	LD_LIBRARY_PATH=$T/stub hs image inspect "$T/x.img"
	assert_status 1
	assert_output_contains "WARN the partition table, the file systems and the LUKS header were not checked: libblkid.so.1 cannot be loaded: "
	assert_output_contains "fix: install sys-apps/util-linux (it provides libblkid.so.1), then inspect the image again"
	LD_LIBRARY_PATH=$T/stub hs image inspect --json "$T/x.img"
	assert_status 1
	assert_json '[f["id"] for f in d["findings"]] == ["library-missing"] and d["status"] == "WARN" and
		d["findings"][0]["status"] == "WARN" and d["partitions"] == [] and d["luks"] is None'
	# with the real library: the verdict on a zeroed file
	hs image inspect --json "$T/x.img"
	assert_status 1
	assert_json '[f["id"] for f in d["findings"]] == ["no-gpt"]'
}

@test "image inspect: without libcryptsetup the binary LUKS2 header is shown and the rest is a WARN" {
	command -v cryptsetup > /dev/null || skip "cryptsetup is not installed"
	truncate -s 20M "$T/alice.home"
	printf 'pw' > "$T/key"
	cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--label alice --subsystem systemd-home --key-file "$T/key" "$T/alice.home"
	stub libcryptsetup.so.12
	LD_LIBRARY_PATH=$T/stub hs image inspect --json "$T/alice.home"
	assert_status 1
	assert_json '[f["id"] for f in d["findings"]] == ["library-missing"] and d["luks"]["version"] == 2 and
		d["luks"]["label"] == "alice" and d["luks"]["keyslots"] == [] and
		d["findings"][0]["summary"].startswith("the LUKS header (keyslots, tokens, the record homed keeps there) was not checked: libcryptsetup.so.12 cannot be loaded: ")'
	hs image inspect --json "$T/alice.home"
	assert_status 1
	assert_json '"library-missing" not in [f["id"] for f in d["findings"]] and len(d["luks"]["keyslots"]) == 1 and
		"no-homed-token" in [f["id"] for f in d["findings"]]'
}

@test "doctor: without libpcre2-8 the journal is not read, a note says why; with it the rule matches" {
	local root
	root=$(hs_mkroot)
	printf '%s\n' "__REALTIME_TIMESTAMP=3000000" "_BOOT_ID=22222222222222222222222222222222" \
		"_SYSTEMD_UNIT=systemd-homed.service" "SYSLOG_IDENTIFIER=systemd-homework" "_PID=50" \
		"MESSAGE=File system is corrupted, refusing." "" > "$T/journal.export"
	stub libpcre2-8.so.0
	LD_LIBRARY_PATH=$T/stub hs doctor --no-bus --root "$root" --journal-export "$T/journal.export" --json
	assert_status 0
	assert_json 'd["findings"] == [] and any(n.startswith("journal: not read: its messages are matched with PCRE2, and libpcre2-8.so.0 cannot be loaded: ") and n.endswith("(it comes with dev-libs/libpcre2)") for n in d["notes"])'
	hs doctor --no-bus --root "$root" --journal-export "$T/journal.export" --json
	assert_json '[f["rule"] for f in d["findings"]] == ["fs-dirty"]'
}
