#!/usr/bin/env bats
# shellcheck disable=SC2016 # ${USE} and ${USE:-…} in the files written here are for Portage to expand
# homesetup use enable | disable | revert on Gentoo-shaped roots built in temp dirs (tests/lib/roots) and on a copy of
# the demo root: the directory and file forms of package.use, conflicting lines before and after homesetup's,
# make.conf with double and single quotes, continuation lines, several USE assignments, `source`d files and CR LF,
# idempotence, --pretend writing nothing (every file of the root checksummed before and after), revert giving back
# every byte, owner and mode kept, --ask, --backup, --json, and `use show` agreeing afterwards.

load ../lib/common
load ../lib/roots

setup() {
	ROOT=$(roots_new)
	roots_minimal "$ROOT"
	# the marker carries a date: make it fixed
	export SOURCE_DATE_EPOCH=1764806400
	MARK='# Added by homesetup 0.1.0 on 2025-12-04: systemd-homed needs these flags (remove with: homesetup use revert)'
	END='# End of the lines added by homesetup'
}

# Every path of a tree with its type, mode and owner, and every file's checksum: two snapshots are equal exactly
# when nothing was created, removed or changed (directory sizes and times are left out on purpose).
snapshot() { # DIR
	(
		cd "$1" || exit 1
		find . -printf '%y %m %U:%G %p -> %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	)
}

# use_json: `use show --json` of $ROOT, then the Python expressions must hold (P: atom -> package).
show_check() {
	hs use show --json --root "$ROOT"
	assert_status 0
	local e
	for e in "$@"; do
		assert_json "(lambda P: $e)({x['atom']: x for x in d['packages']})"
	done
}

homed_ok() {
	show_check "'homed' in P['sys-apps/systemd']['use']" "'cryptsetup' in P['sys-apps/systemd']['use']" \
		"'pam' in P['sys-apps/systemd']['use']" "'openssl' in P['sys-apps/systemd']['use']" \
		"P['sys-apps/systemd']['required_use_ok'] is True" "'homed' in P['sys-auth/pambase']['use']" \
		"'pam_krb5' not in P['sys-auth/pambase']['use']" "P['sys-auth/pambase']['required_use_ok'] is True"
}

# ---- the command ------------------------------------------------------------------------------------------------

@test "use enable, disable and revert are listed in 'help use'" {
	hs help use
	assert_status 0
	assert_output_contains "  enable   "
	assert_output_contains "  disable  "
	assert_output_contains "  revert   "
	assert_output_contains "       homesetup use enable [OPTIONS] ATOM FLAG..."
	assert_output_contains "emerge --ask --update --changed-use --deep @world"
}

@test "usage errors: a lone atom, disable without flags, bad --target, --file with make.conf" {
	hs use enable --root "$ROOT" sys-apps/systemd
	assert_status 2
	assert_stderr_contains "give an atom and at least one USE flag"
	hs use disable --root "$ROOT"
	assert_status 2
	hs use enable --root "$ROOT" --target etc
	assert_status 2
	assert_stderr_contains "--target is package.use or make.conf, not 'etc'"
	hs use enable --root "$ROOT" --target make.conf --file x
	assert_status 2
	hs use revert --root "$ROOT" extra
	assert_status 2
	hs use enable --root "$ROOT" --file ../x
	assert_status 2
	assert_stderr_contains "'../x' cannot be the name of a package.use file"
}

# ---- package.use ------------------------------------------------------------------------------------------------

@test "directory form: homesetup's own file with the flags REQUIRED_USE needs, each explained" {
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 0
	assert_output_contains " * sys-apps/systemd-260.1:"
	assert_output_contains "      +homed       systemd-homed itself"
	assert_output_contains "      +cryptsetup  required by homed? ( cryptsetup pam openssl )"
	assert_output_contains "      +pam         required by homed? ( cryptsetup pam openssl )"
	assert_output_contains "+++ b/etc/portage/package.use/homed"
	assert_output_contains " * Created /etc/portage/package.use/homed"
	assert_output_contains "emerge --ask --update --changed-use --deep @world"
	assert_output_contains "systemctl daemon-reexec   (or: homesetup service reexec)"
	printf '%s\n' "$MARK" 'sys-apps/systemd homed cryptsetup pam' 'sys-auth/pambase homed' "$END" > "$BATS_TEST_TMPDIR/want"
	assert_files_equal "$BATS_TEST_TMPDIR/want" "$ROOT/etc/portage/package.use/homed"
	homed_ok
	# idempotent: nothing to do, nothing touched
	after=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 0
	assert_output_contains "has what systemd-homed needs already"
	assert_output_contains "Nothing to do"
	[ "$(snapshot "$ROOT")" = "$after" ] || fail "the second run changed files"
	# revert: back to the very same tree
	hs use revert --root "$ROOT"
	assert_status 0
	assert_output_contains " * Removed /etc/portage/package.use/homed"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "revert did not give back the tree"
	hs use revert --root "$ROOT"
	assert_status 0
	assert_output_contains "Nothing to do"
}

@test "file form: homesetup's lines appended, revert gives the file back byte for byte" {
	rmdir "$ROOT/etc/portage/package.use"
	printf '# mine\r\nsys-apps/foo bar' > "$ROOT/etc/portage/package.use"
	cp "$ROOT/etc/portage/package.use" "$BATS_TEST_TMPDIR/orig"
	hs use enable --root "$ROOT"
	assert_status 0
	printf '# mine\r\nsys-apps/foo bar\r\n%s\r\nsys-apps/systemd homed cryptsetup pam\r\nsys-auth/pambase homed\r\n%s (and the line break before them)\r\n' \
		"$MARK" "$END" > "$BATS_TEST_TMPDIR/want"
	assert_files_equal "$BATS_TEST_TMPDIR/want" "$ROOT/etc/portage/package.use"
	homed_ok
	hs use revert --root "$ROOT"
	assert_status 0
	assert_files_equal "$BATS_TEST_TMPDIR/orig" "$ROOT/etc/portage/package.use"
}

@test "no package.use at all: the directory is created, and --file names the file" {
	rmdir "$ROOT/etc/portage/package.use"
	hs use enable --root "$ROOT" --file systemd-homed -p
	assert_status 1
	[ ! -e "$ROOT/etc/portage/package.use" ] || fail "--pretend created package.use"
	hs use enable --root "$ROOT" --file systemd-homed
	assert_status 0
	[ -f "$ROOT/etc/portage/package.use/systemd-homed" ] || fail "no package.use/systemd-homed"
	homed_ok
}

@test "a conflicting line in a file read before homesetup's: homesetup's line wins" {
	roots_package_use "$ROOT" 00-mine $'sys-apps/systemd -pam\nsys-auth/pambase pam_krb5\n'
	hs use enable --root "$ROOT"
	assert_status 0
	# pam_krb5 conflicts with homed in pambase: turned off, never homed
	assert_output_contains "      -pam_krb5  ruled out by homed? ( !pam_krb5 )"
	grep -qx 'sys-auth/pambase homed -pam_krb5' "$ROOT/etc/portage/package.use/homed" || fail "no pambase line"
	[ "$(cat "$ROOT/etc/portage/package.use/00-mine")" = $'sys-apps/systemd -pam\nsys-auth/pambase pam_krb5' ] ||
		fail "the user's file was changed"
	homed_ok
}

@test "a conflicting line in a file read after homesetup's: refused naming it; --force-order wins" {
	roots_package_use "$ROOT" zz-local $'# keep pam off\nsys-apps/systemd -pam\n'
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 1
	assert_stderr_contains "USE flag 'pam' would still be off: /etc/portage/package.use/zz-local:2 ('sys-apps/systemd -pam') is read after /etc/portage/package.use/homed"
	assert_stderr_contains "--force-order"
	assert_stderr_contains "nothing was written"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "a refused run changed files"
	hs use enable --root "$ROOT" --force-order
	assert_status 0
	assert_output_contains "Note: package.use/zz-local:2 would override package.use/homed, so homesetup writes package.use/zzz-homed instead"
	[ -f "$ROOT/etc/portage/package.use/zzz-homed" ] || fail "no zzz-homed"
	homed_ok
	hs use revert --root "$ROOT"
	assert_status 0
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "revert did not give back the tree"
}

@test "the demo root's zz-autounmask does not stop it, and a more specific atom is named even with --force-order" {
	roots_package_use "$ROOT" zz-autounmask $'# required by @world\n>=net-wireless/wpa_supplicant-2.11-r3 dbus\n'
	roots_package_use "$ROOT" aaa $'=sys-apps/systemd-260.1 -cryptsetup\n'
	hs use enable --root "$ROOT" --force-order
	assert_status 1
	assert_stderr_contains "/etc/portage/package.use/aaa:1 ('=sys-apps/systemd-260.1 -cryptsetup') overrides homesetup's 'sys-apps/systemd' line"
	rm "$ROOT/etc/portage/package.use/aaa"
	hs use enable --root "$ROOT"
	assert_status 0
	[ -f "$ROOT/etc/portage/package.use/homed" ] || fail "no homed file"
}

@test "a flag masked by the profile is never turned on: the mask is named" {
	roots_profile_file "$ROOT" base package.use.mask $'sys-apps/systemd homed\n'
	hs use enable --root "$ROOT"
	assert_status 1
	assert_stderr_contains "sys-apps/systemd-260.1: USE flag 'homed' is masked by /var/db/repos/gentoo/profiles/base/package.use.mask:1"
}

@test "use enable ATOM FLAG and use disable ATOM FLAG" {
	hs use enable --root "$ROOT" sys-apps/systemd fido2
	assert_status 0
	assert_output_contains "      +fido2       asked for"
	assert_output_contains "      +cryptsetup  required by fido2? ( cryptsetup openssl )"
	grep -q 'asked for with homesetup use enable/disable' "$ROOT/etc/portage/package.use/homed" || fail "no marker"
	hs use disable --root "$ROOT" sys-apps/systemd cryptsetup
	assert_status 0
	assert_output_contains "      -fido2       ruled out by fido2? ( cryptsetup openssl )"
	[ "$(grep -c '^# Added by homesetup' "$ROOT/etc/portage/package.use/homed")" = 2 ] || fail "two blocks expected"
	hs use enable --root "$ROOT" sys-apps/systemd nosuchflag
	assert_status 2
	assert_stderr_contains "sys-apps/systemd-260.1 has no USE flag 'nosuchflag'"
	hs use revert --root "$ROOT"
	assert_status 0
	[ ! -e "$ROOT/etc/portage/package.use/homed" ] || fail "homed file left"
}

@test "revert refuses a block changed by hand, naming it, and writes nothing" {
	hs use enable --root "$ROOT"
	assert_status 0
	printf 'app-misc/x y\n%s\nsys-apps/systemd homed\n' "$MARK" > "$ROOT/etc/portage/package.use/mine"
	before=$(snapshot "$ROOT")
	hs use revert --root "$ROOT"
	assert_status 1
	assert_stderr_contains "/etc/portage/package.use/mine:2: homesetup's marker has no end line"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "a refused revert changed files"
}

# ---- make.conf ----------------------------------------------------------------------------------------------------

# mc_roundtrip TEXT WANT: make.conf holds TEXT; `use enable --target make.conf` makes it WANT; revert gives TEXT back.
mc_roundtrip() {
	printf '%s' "$1" > "$ROOT/etc/portage/make.conf"
	printf '%s' "$2" > "$BATS_TEST_TMPDIR/want"
	cp "$ROOT/etc/portage/make.conf" "$BATS_TEST_TMPDIR/orig"
	hs use enable --root "$ROOT" --target make.conf
	assert_status 0
	assert_output_contains "Note: make.conf's USE applies to every package"
	assert_files_equal "$BATS_TEST_TMPDIR/want" "$ROOT/etc/portage/make.conf"
	homed_ok
	hs use enable --root "$ROOT" --target make.conf
	assert_status 0
	assert_output_contains "Nothing to do"
	hs use revert --root "$ROOT"
	assert_status 0
	assert_files_equal "$BATS_TEST_TMPDIR/orig" "$ROOT/etc/portage/make.conf"
}

@test "make.conf: double quotes and a continuation line: only the value's bytes change" {
	mc_roundtrip $'# Global USE flags\nUSE="dbus networkmanager bash-completion \\\n     -X -gtk -doc" # mine\n\nACCEPT_LICENSE="-* @FREE"\n' \
		$'# Global USE flags\n'"$MARK"$' [USE += homed cryptsetup pam]\nUSE="dbus networkmanager bash-completion \\\n     -X -gtk -doc homed cryptsetup pam" # mine\n\nACCEPT_LICENSE="-* @FREE"\n'
}

@test "make.conf: single quotes" {
	mc_roundtrip $'USE=\'ipv6 -X\'\n' "$MARK"$' [USE += homed cryptsetup pam]\nUSE=\'ipv6 -X homed cryptsetup pam\'\n'
}

@test "make.conf: several USE assignments: the last one is edited" {
	mc_roundtrip $'USE="a"\nCFLAGS="-O2"\nUSE="${USE} b"\n' \
		$'USE="a"\nCFLAGS="-O2"\n'"$MARK"$' [USE += homed cryptsetup pam]\nUSE="${USE} b homed cryptsetup pam"\n'
}

@test "make.conf: CR LF line ends are kept, the marker line gets them too" {
	mc_roundtrip $'CHOST="x86_64-pc-linux-gnu"\r\nUSE="a"\r\n' \
		$'CHOST="x86_64-pc-linux-gnu"\r\n'"$MARK"$' [USE += homed cryptsetup pam]\r\nUSE="a homed cryptsetup pam"\r\n'
}

@test "make.conf: no USE at all, no final newline: a USE line of its own" {
	mc_roundtrip 'CFLAGS="-O2"' \
		$'CFLAGS="-O2"\n'"$MARK"$' [USE = homed cryptsetup pam, after a line break]\nUSE="homed cryptsetup pam"\n'
}

@test "make.conf: an unquoted value is quoted" {
	mc_roundtrip $'USE=ipv6\n' "$MARK"$' [USE += homed cryptsetup pam, quoted]\nUSE="ipv6 homed cryptsetup pam"\n'
}

@test "make.conf as a directory: the file with the last USE assignment is edited, the others are untouched" {
	rm -f "$ROOT/etc/portage/make.conf"
	mkdir "$ROOT/etc/portage/make.conf"
	printf 'USE="a"\n' > "$ROOT/etc/portage/make.conf/01-base"
	printf 'USE="${USE} b"\n' > "$ROOT/etc/portage/make.conf/02-use"
	printf 'CFLAGS="-O2"\n' > "$ROOT/etc/portage/make.conf/03-flags"
	printf 'USE="-homed"\n' > "$ROOT/etc/portage/make.conf/04-old~"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT" --target make.conf
	assert_status 0
	assert_output_contains "+++ b/etc/portage/make.conf/02-use"
	printf '%s [USE += homed cryptsetup pam]\nUSE="${USE} b homed cryptsetup pam"\n' "$MARK" > "$BATS_TEST_TMPDIR/want"
	assert_files_equal "$BATS_TEST_TMPDIR/want" "$ROOT/etc/portage/make.conf/02-use"
	[ "$(cat "$ROOT/etc/portage/make.conf/01-base")" = 'USE="a"' ] || fail "01-base changed"
	homed_ok
	hs use revert --root "$ROOT"
	assert_status 0
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "revert did not give back the tree"
}

@test "make.conf: refused where it is not plain, naming the file to edit instead; nothing written" {
	before=$(snapshot "$ROOT")
	printf 'USE="a"\nsource use.conf\n' > "$ROOT/etc/portage/make.conf"
	printf 'USE="${USE} b"\n' > "$ROOT/etc/portage/use.conf"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT" --target make.conf
	assert_status 1
	assert_stderr_contains "/etc/portage/use.conf:1: USE is last set here, in a file make.conf reads with 'source'"
	assert_stderr_contains "add 'homed cryptsetup pam' to USE in /etc/portage/use.conf by hand, or use --target package.use"
	printf 'USE="${USE:-ipv6} a"\n' > "$ROOT/etc/portage/make.conf"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT" --target make.conf
	assert_status 1
	assert_stderr_contains "/etc/portage/make.conf:1: USE's value uses '\${USE:-ipv6}'"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "a refused run changed files"
	# unparseable: Portage's message with file and line, exit 2
	printf 'A=1\nUSE+="x"\n' > "$ROOT/etc/portage/make.conf"
	hs use enable --root "$ROOT" --target make.conf
	assert_status 2
	assert_stderr_contains "/etc/portage/make.conf:2: Invalid variable name 'USE+'"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 2
	assert_stderr_contains "/etc/portage/make.conf:2: Invalid variable name 'USE+'"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "a run on an unparseable make.conf changed files"
}

@test "make.conf: package.use overriding it is named" {
	roots_package_use "$ROOT" systemd $'sys-apps/systemd -pam\n'
	hs use enable --root "$ROOT" --target make.conf
	assert_status 1
	assert_stderr_contains "/etc/portage/package.use/systemd:1 ('sys-apps/systemd -pam') overrides make.conf's USE"
}

# ---- writes -------------------------------------------------------------------------------------------------------

@test "--pretend writes nothing: every file of the root is the same afterwards" {
	printf 'USE="a"\n' > "$ROOT/etc/portage/make.conf"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT" --pretend
	assert_status 1
	assert_output_contains "Nothing was written (--pretend)."
	assert_output_contains "+sys-apps/systemd homed cryptsetup pam"
	hs use enable --root "$ROOT" -p --target make.conf
	assert_status 1
	assert_output_contains '+USE="a homed cryptsetup pam"'
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "--pretend changed files"
	hs use enable --root "$ROOT"
	before=$(snapshot "$ROOT")
	hs use revert --root "$ROOT" -p
	assert_status 1
	assert_output_contains "+++ /dev/null"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "revert --pretend changed files"
}

@test "owner and mode of an edited file are kept; --backup keeps the old file" {
	printf 'USE="a"\n' > "$ROOT/etc/portage/make.conf"
	chmod 0640 "$ROOT/etc/portage/make.conf"
	if [ "$(id -u)" = 0 ]; then
		chown 65534:65534 "$ROOT/etc/portage/make.conf"
	fi
	want=$(stat -c '%a %u:%g' "$ROOT/etc/portage/make.conf")
	hs use enable --root "$ROOT" --target make.conf --backup
	assert_status 0
	[ "$(stat -c '%a %u:%g' "$ROOT/etc/portage/make.conf")" = "$want" ] || fail "owner or mode changed"
	assert_output_contains "(the old one is kept as /etc/portage/make.conf.homesetup-"
	backup=$(ls "$ROOT"/etc/portage/make.conf.homesetup-*~)
	[ "$(cat "$backup")" = 'USE="a"' ] || fail "the backup does not hold the old file"
	hs use revert --root "$ROOT"
	assert_status 0
	[ "$(stat -c '%a %u:%g' "$ROOT/etc/portage/make.conf")" = "$want" ] || fail "owner or mode changed by revert"
	[ "$(cat "$ROOT/etc/portage/make.conf")" = 'USE="a"' ] || fail "revert"
}

@test "--ask: refused without a terminal; answered through a terminal" {
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT" --ask < /dev/null
	assert_status 2
	assert_stderr_contains "--ask needs a terminal to read the answer from"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "--ask without a terminal changed files"
	command -v script > /dev/null || skip "script(1) is not installed"
	run bash -c "printf 'no\n' | script -qec '$HOMESETUP use enable --root $ROOT --ask' /dev/null"
	[[ $output == *"Would you like to write these changes? [Yes/No]"* ]] || fail "no question: $output"
	[[ $output == *"Nothing was written."* ]] || fail "answered no: $output"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "answering no changed files"
	run bash -c "printf 'yes\n' | script -qec '$HOMESETUP use enable --root $ROOT -a' /dev/null"
	[[ $output == *"Created /etc/portage/package.use/homed"* ]] || fail "answered yes: $output"
	homed_ok
}

@test "--json: the plan as data" {
	hs use enable --root "$ROOT" --json -p
	assert_status 1
	assert_json "d['action'] == 'enable' and d['target'] == 'package.use' and d['written'] is False"
	assert_json "[c['flag'] for c in d['packages'][0]['changes']] == ['homed', 'cryptsetup', 'pam']"
	assert_json "d['packages'][0]['changes'][1]['reason'] == 'homed? ( cryptsetup pam openssl )'"
	assert_json "d['files'][0]['path'] == '/etc/portage/package.use/homed' and d['files'][0]['created'] is True"
	hs use enable --root "$ROOT" --json
	assert_status 0
	assert_json "d['written'] is True and d['nothing_to_do'] is False"
	hs use enable --root "$ROOT" --json
	assert_status 0
	assert_json "d['nothing_to_do'] is True and d['files'] == []"
	hs use enable --root "$ROOT" --json --ask
	assert_status 2
}

@test "a read-only package.use directory: clear error, nothing left behind" {
	[ "$(id -u)" != 0 ] || skip "root ignores directory permissions"
	chmod 0555 "$ROOT/etc/portage/package.use"
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 2
	assert_stderr_contains "/etc/portage/package.use/homed"
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "a failed write left something behind"
	chmod 0755 "$ROOT/etc/portage/package.use"
}

# ---- the demo root --------------------------------------------------------------------------------------------

@test "demo root: use enable, then use show reports systemd and pambase with what homed needs; revert restores it" {
	cp -a "$HS_TOP/examples/demo-root" "$BATS_TEST_TMPDIR/demo"
	ROOT=$BATS_TEST_TMPDIR/demo
	before=$(snapshot "$ROOT")
	hs use enable --root "$ROOT"
	assert_status 0
	assert_output_contains "      +cryptsetup  required by homed? ( cryptsetup pam openssl )"
	homed_ok
	hs use show --root "$ROOT"
	assert_status 0
	assert_output_contains " * REQUIRED_USE of sys-apps/systemd-260.1 is satisfied."
	assert_output_contains " * REQUIRED_USE of sys-auth/pambase-20251104-r1 is satisfied."
	assert_output_contains "+homed       package.use/homed:"
	# untouched: every other file of the demo root
	[ "$(cat "$ROOT/etc/portage/package.use/zz-autounmask")" = "$(cat "$HS_TOP/examples/demo-root/etc/portage/package.use/zz-autounmask")" ] ||
		fail "zz-autounmask changed"
	hs use revert --root "$ROOT"
	assert_status 0
	[ "$(snapshot "$ROOT")" = "$before" ] || fail "revert did not give back the demo root"
}
