#!/usr/bin/env bats
# homesetup check: the registry, the output forms, and every state of the `use` and `vdb` groups, on
# Gentoo-shaped roots built in temp dirs (tests/lib/roots) and on the bundled demo root. Checks of other groups
# (service, nss, pam …) are left out with --only where they would make a test depend on them.

load ../lib/common
load ../lib/roots

SYSTEMD_USE_NO_HOMED="abi_x86_64 amd64 dns-over-tls elibc_glibc gcrypt kernel-install kernel_linux kmod lz4 openssl pam python_single_target_python3_12 resolvconf seccomp zstd"
PAMBASE_USE_NO_HOMED="amd64 elibc_glibc kernel_linux nullok passwdqc yescrypt"

# Create FILES (paths inside ROOT) as small regular files.
files_on_disk() { # ROOT FILE...
	local root=$1 f
	shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		printf 'ELF\n' > "$root$f"
	done
}

# The ready root (every check of the `use` and `vdb` groups OK) is tests/lib/roots' roots_homed_ready.

# check_json: `check --json --only use,vdb` on $ROOT.
check_json() {
	hs check --json --no-bus --only use,vdb --root "$ROOT"
}

# st ID STATUS: the JSON result of ID has STATUS.
st() {
	assert_json "[r['status'] for r in d['results'] if r['id'] == '$1'] == ['$2']"
}

# field ID KEY TEXT: the result's KEY contains TEXT.
field() {
	local id=$1 key=$2 text=$3
	if ! printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["results"] if x["id"] == sys.argv[1]]
v = r[0][sys.argv[2]] if r else None
if v is None or sys.argv[3] not in v:
    print("%s.%s = %r does not contain %r" % (sys.argv[1], sys.argv[2], v, sys.argv[3]), file=sys.stderr)
    sys.exit(1)
' "$id" "$key" "$text"; then
		_hs_dump
		return 1
	fi
}

setup() {
	ROOT=$(roots_new)
}

# ---- registry and options -------------------------------------------------------------------------------

@test "check --list prints every registered check with its group" {
	hs check --list
	assert_status 0
	assert_output_contains "use.systemd.homed"
	assert_output_contains "vdb.rebuild"
	[[ ${lines[0]} == use.systemd.homed* ]] || fail "first line: ${lines[0]}"
	[[ $output == *"vdb.systemd.files "*"vdb "*"CONTENTS and on disk"* ]] || fail "no vdb.systemd.files line"
}

@test "check --list --json" {
	hs check --list --json
	assert_status 0
	assert_json 'd["version"] == 1 and d["checks"][0] == {"id": "use.systemd.homed", "group": "use", "description": d["checks"][0]["description"]}'
	assert_json 'len(set(c["id"] for c in d["checks"])) == len(d["checks"])'
	assert_json '[c["group"] for c in d["checks"]][:10] == ["use"] * 3 + ["vdb"] * 7'
}

@test "check: an unknown id in --only or --skip is a usage error naming it" {
	roots_homed_ready "$ROOT"
	hs check --root "$ROOT" --only use.systemd.homd
	assert_status 2
	assert_stderr_contains "unknown check or group 'use.systemd.homd' (did you mean 'use.systemd.homed'?)"
	[ -z "$output" ] || fail "stdout not empty"
	hs check --root "$ROOT" --skip nonsense
	assert_status 2
	assert_stderr_contains "unknown check or group 'nonsense'"
	hs check --root "$ROOT" extra-argument
	assert_status 2
	assert_stderr_contains "unexpected argument 'extra-argument'"
	hs check --root "$ROOT" --bogus
	assert_status 2
	assert_stderr_contains "unknown option '--bogus'"
}

@test "check: --only takes ids and groups, comma-separated or repeated; --skip removes; registry order" {
	roots_homed_ready "$ROOT"
	check_json
	assert_status 0
	assert_json '[r["id"] for r in d["results"]] == ["use.systemd.homed", "use.systemd.required-use", "use.pambase.homed", "vdb.systemd.installed", "vdb.pambase.installed", "vdb.systemd.built", "vdb.pambase.built", "vdb.systemd.files", "vdb.pambase.files", "vdb.rebuild"]'
	hs check --json --no-bus --root "$ROOT" --only vdb.rebuild --only use.pambase.homed,vdb.systemd.built
	assert_status 0
	assert_json '[r["id"] for r in d["results"]] == ["use.pambase.homed", "vdb.systemd.built", "vdb.rebuild"]'
	hs check --json --no-bus --root "$ROOT" --only use,vdb --skip vdb --skip use.systemd.homed
	assert_status 0
	assert_json '[r["id"] for r in d["results"]] == ["use.systemd.required-use", "use.pambase.homed"]'
}

@test "check --json follows doc/check-json.md" {
	roots_homed_ready "$ROOT"
	check_json
	assert_status 0
	assert_json 'sorted(d) == ["config_root", "counts", "results", "root", "version", "worst"]'
	assert_json 'd["version"] == 1 and d["root"] == "'"$ROOT"'" and d["config_root"] == "'"$ROOT"'"'
	assert_json 'all(sorted(r) == ["detail", "fix", "group", "id", "status", "summary"] for r in d["results"])'
	assert_json 'all(r["status"] in ("OK", "WARN", "FAIL", "SKIP") for r in d["results"])'
	assert_json 'd["counts"] == {"OK": 10, "WARN": 0, "FAIL": 0, "SKIP": 0} and d["worst"] == "OK"'
	assert_json 'all(r["group"] == r["id"].split(".")[0] for r in d["results"])'
}

# ---- states of the use and vdb groups --------------------------------------------------------------------

@test "ready root: every use and vdb check is OK, exit 0" {
	roots_homed_ready "$ROOT"
	check_json
	assert_status 0
	assert_json 'all(r["status"] == "OK" for r in d["results"]) and len(d["results"]) == 10'
	field use.systemd.homed summary "sys-apps/systemd-260.1 would be built with homed"
	field use.systemd.homed detail "homed is on: /etc/portage/package.use/homed:1 ('homed')"
	field use.systemd.required-use summary "REQUIRED_USE of sys-apps/systemd-260.1 holds with homed: cryptsetup, openssl and pam are on"
	field use.systemd.required-use detail "openssl is on: IUSE default (+openssl)"
	field vdb.systemd.built summary "sys-apps/systemd-260.1 was built with homed and cryptsetup, openssl and pam, which it needs"
	field vdb.systemd.built detail "(from /var/db/repos/gentoo/metadata/md5-cache/sys-apps/systemd-260.1)"
	field vdb.systemd.files summary "homed's files are installed: systemd-homed, systemd-homework, homectl"
	field vdb.systemd.files detail "/usr/bin/homectl: in CONTENTS and on disk"
	field vdb.pambase.files summary "/etc/pam.d/system-auth is pambase's and pam_systemd_home.so is installed"
	field vdb.rebuild summary "no rebuild pending"
	assert_json 'all(r["fix"] is None for r in d["results"])'
}

@test "ready root: the human report" {
	roots_homed_ready "$ROOT"
	hs check --no-bus --only use,vdb --root "$ROOT"
	assert_status 0
	assert_line 0 " * ROOT=$ROOT"
	assert_line 1 " * USE flags emerge would build with"
	[[ ${lines[2]} == " * sys-apps/systemd-260.1 would be built with homed "*"[ ok ]" ]] || fail "line 2: ${lines[2]}"
	[ "${#lines[2]}" -eq 100 ] || fail "status not at column 100: ${#lines[2]}"
	assert_output_contains " * Installed packages (/var/db/pkg)"
	assert_line -1 " * 0 failed, 0 warnings, 10 ok, 0 skipped"
	[[ $output != *$'\033'* ]] || fail "colour escapes with NO_COLOR"
	# -q leaves only the closing count
	hs check -q --no-bus --only use,vdb --root "$ROOT"
	assert_status 0
	assert_output " * ROOT=$ROOT

 * 0 failed, 0 warnings, 10 ok, 0 skipped"
}

@test "demo root: homed without cryptsetup for systemd, pambase without homed, both built without" {
	root=$HS_TOP/examples/demo-root
	hs check --json --no-bus --only use,vdb --root "$root"
	assert_status 1
	st use.systemd.homed OK
	st use.systemd.required-use FAIL
	field use.systemd.required-use summary "REQUIRED_USE of sys-apps/systemd-260.1 needs cryptsetup for homed"
	field use.systemd.required-use detail "cryptsetup is off: not set anywhere"
	field use.systemd.required-use detail "pam is on: forced by /var/db/repos/gentoo/profiles/targets/systemd/package.use.force:2"
	field use.systemd.required-use detail "emerge says: The following REQUIRED_USE flag constraints are unsatisfied: homed? ( cryptsetup )"
	field use.systemd.required-use fix "homesetup use enable   (or add this line to /etc/portage/package.use/homed: sys-apps/systemd homed cryptsetup)"
	st use.pambase.homed FAIL
	field use.pambase.homed fix "sys-auth/pambase homed)"
	st vdb.systemd.installed OK
	st vdb.pambase.installed OK
	st vdb.systemd.built FAIL
	field vdb.systemd.built summary "sys-apps/systemd-260.1 was built without homed and cryptsetup"
	st vdb.pambase.built FAIL
	st vdb.systemd.files SKIP
	st vdb.pambase.files SKIP
	st vdb.rebuild FAIL
	field vdb.rebuild summary "rebuild needed: sys-apps/systemd-260.1 was built without homed"
	field vdb.rebuild fix "homesetup use enable && emerge --ask --oneshot --changed-use sys-apps/systemd sys-auth/pambase"
	assert_json 'd["counts"] == {"OK": 3, "WARN": 0, "FAIL": 5, "SKIP": 2}'
	# human: every FAIL is followed by its fix
	hs check --no-bus --only use,vdb --root "$root"
	assert_status 1
	assert_output_contains "   fix: homesetup use enable && emerge --ask --oneshot --changed-use sys-apps/systemd sys-auth/pambase"
	assert_line -2 " * 5 failed, 0 warnings, 3 ok, 2 skipped"
	python3 - "$output" <<'EOF' || fail "a FAIL without its fix line"
import sys
lines = sys.argv[1].split("\n")
for i, l in enumerate(lines):
    if l.endswith("[ !! ]"):
        rest = lines[i + 1:]
        j = next(k for k, x in enumerate(rest) if not x.startswith("     ")) if rest else 0
        assert rest[j].startswith("   fix: "), (l, rest[:j + 1])
EOF
}

@test "systemd without homed: FAIL with where homed is off and the whole package.use line" {
	roots_homed_ready "$ROOT"
	roots_package_use "$ROOT" homed $'sys-auth/pambase homed\n'
	check_json
	assert_status 1
	st use.systemd.homed FAIL
	field use.systemd.homed summary "sys-apps/systemd-260.1 would be built without homed"
	field use.systemd.homed detail "homed is off: not set anywhere"
	# pam is neither forced nor set in this profile: REQUIRED_USE's homed? ( cryptsetup pam openssl ) needs it too
	field use.systemd.homed fix "/etc/portage/package.use/homed: sys-apps/systemd homed cryptsetup pam)"
	st use.systemd.required-use FAIL
	field use.systemd.required-use summary "needs cryptsetup, pam for homed"
	field use.systemd.required-use detail "turn on pam: homed? ( cryptsetup pam openssl )"
	# the build has homed, the configuration does not: a rebuild would drop it
	st vdb.rebuild WARN
	field vdb.rebuild summary "a rebuild will drop homed from sys-apps/systemd-260.1: homed is off: not set anywhere (when it was built, package.use gave it 'homed cryptsetup pam')"
	field vdb.rebuild detail "a rebuild will drop cryptsetup from sys-apps/systemd-260.1, which homed needs: cryptsetup is off: not set anywhere"
}

@test "homed turned off by a later line: the rebuild WARN names the file and line" {
	roots_homed_ready "$ROOT"
	roots_package_use "$ROOT" zz-local $'# keep it small\nsys-apps/systemd -homed\n'
	check_json
	assert_status 1
	st use.systemd.homed FAIL
	field use.systemd.homed detail "homed is off: /etc/portage/package.use/zz-local:2 ('-homed')"
	st vdb.rebuild WARN
	field vdb.rebuild summary "a rebuild will drop homed from sys-apps/systemd-260.1: homed is off: /etc/portage/package.use/zz-local:2 ('-homed')"
	field vdb.rebuild fix "homesetup use enable"
	st vdb.systemd.built OK
}

@test "homed without cryptsetup (the wiki's emerge error)" {
	roots_homed_ready "$ROOT"
	roots_package_use "$ROOT" homed $'sys-apps/systemd homed pam\nsys-auth/pambase homed\n'
	check_json
	assert_status 1
	st use.systemd.homed OK
	st use.systemd.required-use FAIL
	field use.systemd.required-use summary "REQUIRED_USE of sys-apps/systemd-260.1 needs cryptsetup for homed"
	field use.systemd.required-use detail "The following REQUIRED_USE flag constraints are unsatisfied: homed? ( cryptsetup )"
	field use.systemd.required-use fix "sys-apps/systemd homed cryptsetup)"
	# the build still has cryptsetup: a rebuild would drop it
	st vdb.rebuild WARN
	field vdb.rebuild summary "a rebuild will drop cryptsetup from sys-apps/systemd-260.1, which homed needs: cryptsetup is off: not set anywhere"
}

@test "configured but not built: rebuild needed with the emerge command" {
	roots_homed_ready "$ROOT"
	roots_installed "$ROOT" sys-apps/systemd-260.1 SLOT=0/2 "USE=$SYSTEMD_USE_NO_HOMED" \
		"CONTENTS=$(roots_contents /usr/bin/systemctl)"
	roots_installed "$ROOT" sys-auth/pambase-20251104-r1 "USE=$PAMBASE_USE_NO_HOMED" \
		"CONTENTS=$(roots_contents /etc/pam.d/system-auth)"
	check_json
	assert_status 1
	st use.systemd.homed OK
	st use.systemd.required-use OK
	st use.pambase.homed OK
	st vdb.systemd.built FAIL
	field vdb.systemd.built summary "sys-apps/systemd-260.1 was built without homed and cryptsetup"
	field vdb.systemd.built fix "emerge --ask --oneshot --changed-use sys-apps/systemd"
	st vdb.pambase.built FAIL
	st vdb.rebuild FAIL
	field vdb.rebuild summary "rebuild needed: sys-apps/systemd-260.1 was built without homed and cryptsetup; sys-auth/pambase-20251104-r1 was built without homed"
	assert_json '[r["fix"] for r in d["results"] if r["id"] == "vdb.rebuild"] == ["emerge --ask --oneshot --changed-use sys-apps/systemd sys-auth/pambase"]'
	field vdb.rebuild detail "sys-apps/systemd: homed is on: /etc/portage/package.use/homed:1 ('homed') in the configuration, off in sys-apps/systemd-260.1"
	st vdb.systemd.files SKIP
}

@test "built with homed but a file is missing on disk, another not in CONTENTS" {
	roots_homed_ready "$ROOT"
	rm "$ROOT/usr/bin/homectl"
	check_json
	assert_status 1
	st vdb.systemd.files FAIL
	field vdb.systemd.files summary "files of sys-apps/systemd-260.1 are missing on disk: /usr/bin/homectl"
	field vdb.systemd.files detail "/usr/bin/homectl: in CONTENTS but missing on disk"
	field vdb.systemd.files fix "emerge --ask --oneshot sys-apps/systemd"

	roots_homed_ready "$ROOT"
	roots_installed "$ROOT" sys-apps/systemd-260.1 SLOT=0/2 "USE=$ROOTS_SYSTEMD_USE_HOMED" \
		"CONTENTS=$(roots_contents /usr/lib/systemd/systemd-homed /usr/lib/systemd/systemd-homework /usr/bin/homectl /usr/lib/systemd/system/systemd-homed.service /usr/lib64/libnss_systemd.so.2 /usr/lib64/security/pam_systemd_home.so)"
	check_json
	assert_status 1
	st vdb.systemd.files FAIL
	field vdb.systemd.files summary "was built with homed but did not install systemd-homed-activate.service"
	field vdb.systemd.files detail "systemd-homed-activate.service: not in CONTENTS of sys-apps/systemd-260.1 (looked for /usr/lib/systemd/system/systemd-homed-activate.service or /lib/systemd/system/systemd-homed-activate.service)"
}

@test "split-usr and merged-usr paths; a dangling symlink counts as missing" {
	roots_homed_ready "$ROOT"
	rm -r "$ROOT/usr/lib64/security"
	files_on_disk "$ROOT" /lib64/security/pam_systemd_home.so /lib/systemd/systemd-homework
	roots_installed "$ROOT" sys-apps/systemd-260.1 SLOT=0/2 "USE=$ROOTS_SYSTEMD_USE_HOMED" \
		"CONTENTS=$(roots_contents /usr/lib/systemd/systemd-homed /lib/systemd/systemd-homework /usr/bin/homectl /usr/lib/systemd/system/systemd-homed.service /usr/lib/systemd/system/systemd-homed-activate.service /usr/lib64/libnss_systemd.so.2 /lib64/security/pam_systemd_home.so)"
	check_json
	assert_status 0
	st vdb.systemd.files OK
	st vdb.pambase.files OK
	field vdb.pambase.files detail "/lib64/security/pam_systemd_home.so: in CONTENTS and on disk"
	rm "$ROOT/usr/bin/homectl"
	ln -s /nowhere/homectl "$ROOT/usr/bin/homectl"
	check_json
	assert_status 1
	field vdb.systemd.files summary "missing on disk: /usr/bin/homectl"
}

@test "pambase: system-auth missing on disk is a FAIL; one that is not pambase's a WARN; ._cfg files are not ours" {
	roots_homed_ready "$ROOT"
	_roots_write "$ROOT" etc/pam.d/._cfg0000_system-auth "$ROOTS_SYSTEM_AUTH_HOMED"
	check_json
	assert_status 0
	st vdb.pambase.files OK
	rm "$ROOT/etc/pam.d/system-auth"
	check_json
	assert_status 1
	st vdb.pambase.files FAIL
	field vdb.pambase.files summary "files are missing on disk: /etc/pam.d/system-auth"
	field vdb.pambase.files fix "emerge --ask --oneshot sys-auth/pambase"
	roots_homed_ready "$ROOT"
	roots_installed "$ROOT" sys-auth/pambase-20251104-r1 "USE=$ROOTS_PAMBASE_USE_HOMED" \
		"CONTENTS=$(roots_contents /etc/pam.d/system-login)"
	check_json
	assert_status 0
	st vdb.pambase.files WARN
	field vdb.pambase.files summary "/etc/pam.d/system-auth is not installed by sys-auth/pambase-20251104-r1: its homed lines must be kept by hand"
}

@test "pambase with pam_krb5: homed excludes it, in the configuration and in the build" {
	roots_homed_ready "$ROOT"
	roots_package_use "$ROOT" krb $'sys-auth/pambase pam_krb5\n'
	roots_installed "$ROOT" sys-auth/pambase-20251104-r1 "USE=$ROOTS_PAMBASE_USE_HOMED pam_krb5" \
		"CONTENTS=$(roots_contents /etc/pam.d/system-auth)"
	check_json
	assert_status 1
	st use.pambase.homed FAIL
	field use.pambase.homed summary "sys-auth/pambase-20251104-r1 would be built with pam_krb5, which homed excludes"
	field use.pambase.homed detail "pam_krb5 is on: /etc/portage/package.use/krb:1 ('pam_krb5')"
	field use.pambase.homed fix "sys-auth/pambase homed -pam_krb5)"
	st vdb.pambase.built FAIL
	field vdb.pambase.built summary "was built with homed and pam_krb5, which homed excludes"
}

@test "homed masked by the profile: the fix lifts the mask" {
	roots_homed_ready "$ROOT"
	roots_profile_file "$ROOT" base package.use.mask $'sys-apps/systemd homed\n'
	check_json
	assert_status 1
	st use.systemd.homed FAIL
	field use.systemd.homed detail "homed is off: masked by /var/db/repos/gentoo/profiles/base/package.use.mask:1, overriding /etc/portage/package.use/homed:1 ('homed')"
	field use.systemd.homed fix "add 'sys-apps/systemd -homed' to /etc/portage/profile/package.use.mask; then run homesetup use enable"
	st use.systemd.required-use FAIL
	field use.systemd.required-use summary "cannot enable 'homed'"
}

@test "installed version gone from the tree: its REQUIRED_USE is unknown, homed alone is checked" {
	roots_homed_ready "$ROOT"
	rm -r "$ROOT/var/db/pkg/sys-apps/systemd-260.1"
	roots_installed "$ROOT" sys-apps/systemd-259.1 SLOT=0/2 "USE=$ROOTS_SYSTEMD_USE_HOMED" \
		"CONTENTS=$(roots_contents "${ROOTS_HOMED_FILES[@]}")"
	check_json
	assert_status 0
	st vdb.systemd.built OK
	field vdb.systemd.built detail "REQUIRED_USE of the installed version is unknown: no repository has metadata for sys-apps/systemd-259.1::gentoo any more; only homed was checked"
	field vdb.systemd.installed summary "sys-apps/systemd-259.1::gentoo is installed (SLOT 0/2)"
}

@test "no VDB at all: not installed, the rest SKIP" {
	roots_minimal "$ROOT"
	rm -rf "$ROOT/var/db/pkg"
	check_json
	assert_status 1
	st vdb.systemd.installed FAIL
	field vdb.systemd.installed summary "sys-apps/systemd is not installed"
	field vdb.systemd.installed detail "the installed-package database /var/db/pkg does not exist"
	field vdb.systemd.installed fix "emerge --ask sys-apps/systemd"
	st vdb.pambase.installed FAIL
	for id in vdb.systemd.built vdb.pambase.built vdb.systemd.files vdb.pambase.files vdb.rebuild; do
		st "$id" SKIP
	done
	field vdb.systemd.built summary "sys-apps/systemd is not installed (vdb.systemd.installed)"
	# the configuration is still checked
	st use.systemd.homed FAIL
}

@test "not a Gentoo root: the use and vdb checks SKIP, exit 0" {
	mkdir -p "$ROOT/etc"
	rm -rf "${ROOT:?}/etc/portage" "${ROOT:?}/var"
	printf 'passwd: files\n' > "$ROOT/etc/nsswitch.conf"
	check_json
	assert_status 0
	assert_json 'all(r["status"] == "SKIP" for r in d["results"]) and len(d["results"]) == 10'
	field use.systemd.homed summary "not a Gentoo system: $ROOT has neither /var/db/pkg nor /etc/portage"
	hs check --no-bus --only use,vdb --root "$ROOT"
	assert_status 0
	assert_line -1 " * 0 failed, 0 warnings, 0 ok, 10 skipped"
}

@test "a Gentoo root without a profile: the use checks FAIL with eselect profile" {
	roots_minimal "$ROOT"
	rm "$ROOT/etc/portage/make.profile"
	check_json
	assert_status 1
	st use.systemd.homed FAIL
	field use.systemd.homed fix "eselect profile set"
	st vdb.rebuild SKIP
}

@test "the whole check on the demo root ends with the count and exits 1" {
	hs check --no-bus --root "$HS_TOP/examples/demo-root"
	assert_status 1
	assert_output_contains " * USE flags emerge would build with"
	assert_output_contains " * Installed packages (/var/db/pkg)"
	[[ ${lines[-2]} =~ ^\ \*\ [0-9]+\ failed,\ [0-9]+\ warnings?,\ [0-9]+\ ok,\ [0-9]+\ skipped$ ]] ||
		fail "no closing count: ${lines[-2]}"
	assert_line -1 " * Run the fixes in the order shown, then 'homesetup check' again."
}

@test "check: a ROOT that is not a directory is a usage error, not 'not a Gentoo system'" {
	hs check --root "$ROOT/does-not-exist"
	assert_status 2
	assert_stderr_contains "check: ROOT '$ROOT/does-not-exist': No such file or directory"
	printf '# a file\n' > "$ROOT/etc/portage/make.conf"
	hs check --root "$ROOT" --config-root "$ROOT/etc/portage/make.conf"
	assert_status 2
	assert_stderr_contains "check: PORTAGE_CONFIGROOT '$ROOT/etc/portage/make.conf': Not a directory"
}

@test "check: identical results of one group are shown once with their count; -q hides OK and SKIP" {
	rm -rf "${ROOT:?}/etc/portage" "${ROOT:?}/var"
	hs check --no-bus --only use,vdb --root "$ROOT"
	assert_status 0
	assert_output_contains " * not a Gentoo system: $ROOT has neither /var/db/pkg nor /etc/portage (3 checks)"
	assert_output_contains " * not a Gentoo system: $ROOT has neither /var/db/pkg nor /etc/portage (7 checks)"
	# -v shows each one with its id
	hs check -v --no-bus --only vdb --root "$ROOT"
	assert_output_contains "     check: vdb.rebuild"
	[ "$(grep -c 'not a Gentoo system' <<< "$output")" -eq 7 ] || fail "not one line per check with -v"
	hs check -q --no-bus --only use,vdb --root "$ROOT"
	assert_output " * ROOT=$ROOT

 * 0 failed, 0 warnings, 0 ok, 10 skipped"
}

@test "check --kv: one TAB-separated record per check, values escaped, exclusive with --json" {
	roots_homed_ready "$ROOT"
	roots_package_use "$ROOT" zz-local $'sys-apps/systemd -homed\n'
	hs check --kv --no-bus --only use.systemd.homed,vdb.systemd.installed --root "$ROOT"
	assert_status 1
	[ "${#lines[@]}" -eq 2 ] || fail "not 2 records"
	[[ ${lines[0]} == $'id=use.systemd.homed\tgroup=use\tstatus=FAIL\tsummary=sys-apps/systemd-260.1 would be built without homed\tdetail=homed is off: /etc/portage/package.use/zz-local:1 (\'-homed\')\tfix=homesetup use enable   (or add this line to /etc/portage/package.use/homed: sys-apps/systemd homed)' ]] ||
		fail "record 0: ${lines[0]}"
	[[ ${lines[1]} == $'id=vdb.systemd.installed\tgroup=vdb\tstatus=OK\tsummary=sys-apps/systemd-260.1::gentoo is installed (SLOT 0/2)\tdetail=/var/db/pkg/sys-apps/systemd-260.1' ]] ||
		fail "record 1: ${lines[1]}"
	# a multi-line detail stays on its record, its line breaks written as \n
	hs check --kv --no-bus --only vdb.systemd.built --root "$ROOT"
	[ "${#lines[@]}" -eq 1 ] || fail "a detail broke the record"
	[[ ${lines[0]} == *'(/var/db/pkg/sys-apps/systemd-260.1/USE)\nREQUIRED_USE of the installed version'* ]] ||
		fail "no escaped line break: ${lines[0]}"
	hs check --kv --json --root "$ROOT"
	assert_status 2
	assert_stderr_contains "--kv and --json are exclusive"
}

@test "check: colours on a terminal only, and never with NO_COLOR" {
	command -v script > /dev/null || skip "script(1) is not installed"
	roots_homed_ready "$ROOT"
	run script -qec "env -u NO_COLOR '$HOMESETUP' check --no-bus --only vdb.systemd.installed --root '$ROOT'" /dev/null
	[[ $output == *$'\033[32;01m ok \033[34;01m]'* ]] || fail "no colours on a terminal: $output"
	run script -qec "env NO_COLOR=1 '$HOMESETUP' check --no-bus --only vdb.systemd.installed --root '$ROOT'" /dev/null
	[[ $output == *"[ ok ]"* && $output != *$'\033'* ]] || fail "colours with NO_COLOR: $output"
	# not a terminal: none
	run env -u NO_COLOR "$HOMESETUP" check --no-bus --only vdb.systemd.installed --root "$ROOT"
	[[ $output == *"[ ok ]"* && $output != *$'\033'* ]] || fail "colours in a pipe: $output"
}
