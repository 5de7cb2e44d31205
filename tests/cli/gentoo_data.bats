#!/usr/bin/env bats
# Conformance through the CLI: `homesetup use show --json` on the two real Gentoo roots of $SHARED/gentoo-data
# (real profile stack default/linux/amd64/23.0/systemd, real md5-cache entries of systemd-256.7 and
# pambase-20250228-r1) must give what Portage 3.0.82 computed for them (expected/*.json), field by field.
# The roots are copied to a temp dir first: the shared copy lost its symlinks (etc/portage/make.profile is a
# regular file holding the link target), and roots_copy_gentoo_data recreates the symlink as the README
# describes. Skipped, with a message, when $SHARED/gentoo-data is absent.

load ../lib/common
load ../lib/roots

DATA="$SHARED/gentoo-data"

setup_file() {
	[ -d "$DATA/ready" ] && [ -d "$DATA/missing" ] || return 0
	local r rc
	for r in ready missing; do
		roots_copy_gentoo_data "$r" "$BATS_FILE_TMPDIR/$r"
		rc=0
		"$HOMESETUP" use show --json --root "$BATS_FILE_TMPDIR/$r" sys-apps/systemd sys-auth/pambase \
			> "$BATS_FILE_TMPDIR/$r.json" 2> "$BATS_FILE_TMPDIR/$r.err" || rc=$?
		echo "$rc" > "$BATS_FILE_TMPDIR/$r.rc"
	done
}

setup() {
	if [ ! -d "$DATA/ready" ] || [ ! -d "$DATA/missing" ]; then
		skip "no real Gentoo data: $DATA is absent (it is ../shared/gentoo-data next to the source tree)"
	fi
}

# same ROOT CPV FIELD...: each FIELD of the package CPV in our JSON equals expected/ROOT.json's. A field the
# expected file leaves out (required_use_unsatisfied when satisfied) must be null in ours.
same() {
	local root=$1 cpv=$2
	shift 2
	if ! python3 - "$DATA/expected/$root.json" "$BATS_FILE_TMPDIR/$root.json" "$cpv" "$@" <<'EOF'
import json, sys
exp_path, got_path, cpv = sys.argv[1:4]
fields = sys.argv[4:]
exp = json.load(open(exp_path))
try:
    got = json.load(open(got_path))
except ValueError as e:
    print("our output is not JSON: %s" % e, file=sys.stderr)
    sys.exit(1)
if cpv == "-":
    e, g = exp, got
else:
    e = [p for p in exp["packages"] if p["cpv"] == cpv][0]
    gs = [p for p in got.get("packages", []) if p.get("cpv") == cpv]
    if not gs:
        print("no package %s in our output (cpvs: %s)" % (cpv, [p.get("cpv") for p in got.get("packages", [])]),
              file=sys.stderr)
        sys.exit(1)
    g = gs[0]
bad = 0
for k in fields:
    want = e.get(k)
    have = g.get(k, "<missing>")
    if want == have:
        continue
    bad += 1
    if isinstance(want, list) and isinstance(have, list):
        print("%s: missing %s, extra %s%s" % (k, sorted(set(want) - set(have)), sorted(set(have) - set(want)),
              "" if set(want) != set(have) else " (order differs: %s)" % have), file=sys.stderr)
    else:
        print("%s: expected %r, got %r" % (k, want, have), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
	then
		sed 's/^/# stderr of homesetup: /' "$BATS_FILE_TMPDIR/$root.err" >&2
		return 1
	fi
}

rc_is() { # ROOT N
	local rc
	rc=$(cat "$BATS_FILE_TMPDIR/$1.rc")
	[ "$rc" = "$2" ] || { cat "$BATS_FILE_TMPDIR/$1.err" >&2; fail "$1: expected exit status $2, got $rc"; }
}

# ---- ready: systemd homed cryptsetup, pambase homed; REQUIRED_USE satisfied --------------------------------

@test "ready: exit status 0 (REQUIRED_USE satisfied for both)" {
	rc_is ready 0
}

@test "ready: profile_stack is Portage's stacking order" {
	same ready - profile_stack
}

@test "ready: systemd version (cpv, slot, stable)" {
	same ready sys-apps/systemd-256.7 cpv slot stable
}

@test "ready: systemd effective USE (use, use_disabled)" {
	same ready sys-apps/systemd-256.7 use use_disabled
}

@test "ready: systemd USE as the ebuild sees it (portage_use)" {
	same ready sys-apps/systemd-256.7 portage_use
}

@test "ready: systemd masked and forced IUSE flags" {
	same ready sys-apps/systemd-256.7 masked_iuse forced_iuse
}

@test "ready: systemd REQUIRED_USE" {
	same ready sys-apps/systemd-256.7 required_use_ok required_use_unsatisfied
}

@test "ready: systemd USE recorded in the VDB" {
	same ready sys-apps/systemd-256.7 installed_use
}

@test "ready: pambase version (cpv, slot, stable)" {
	same ready sys-auth/pambase-20250228-r1 cpv slot stable
}

@test "ready: pambase effective USE (use, use_disabled)" {
	same ready sys-auth/pambase-20250228-r1 use use_disabled
}

@test "ready: pambase USE as the ebuild sees it (portage_use)" {
	same ready sys-auth/pambase-20250228-r1 portage_use
}

@test "ready: pambase masked and forced IUSE flags" {
	same ready sys-auth/pambase-20250228-r1 masked_iuse forced_iuse
}

@test "ready: pambase REQUIRED_USE" {
	same ready sys-auth/pambase-20250228-r1 required_use_ok required_use_unsatisfied
}

@test "ready: pambase USE recorded in the VDB" {
	same ready sys-auth/pambase-20250228-r1 installed_use
}

@test "ready: provenance of homed and cryptsetup is package.use/systemd line 3; nothing to rebuild" {
	output=$(cat "$BATS_FILE_TMPDIR/ready.json")
	assert_json 'd["packages"][0]["flags"]["homed"]["file"] == "/etc/portage/package.use/systemd"'
	assert_json 'd["packages"][0]["flags"]["homed"]["line"] == 3 and d["packages"][0]["flags"]["homed"]["layer"] == "pkg"'
	assert_json 'd["packages"][0]["flags"]["cryptsetup"]["line"] == 3'
	assert_json 'd["packages"][0]["flags"]["sysv-utils"]["line"] == 4 and d["packages"][0]["flags"]["sysv-utils"]["token"] == "-sysv-utils"'
	assert_json 'd["packages"][1]["flags"]["homed"]["file"] == "/etc/portage/package.use/pambase"'
	assert_json 'all(p["rebuild_enables"] == [] and p["rebuild_disables"] == [] for p in d["packages"])'
}

# ---- missing: systemd homed only, pambase without homed; REQUIRED_USE unsatisfied -------------------------

@test "missing: exit status 1 (systemd's REQUIRED_USE unsatisfied)" {
	rc_is missing 1
}

@test "missing: profile_stack is Portage's stacking order" {
	same missing - profile_stack
}

@test "missing: systemd version (cpv, slot, stable)" {
	same missing sys-apps/systemd-256.7 cpv slot stable
}

@test "missing: systemd effective USE (use, use_disabled)" {
	same missing sys-apps/systemd-256.7 use use_disabled
}

@test "missing: systemd USE as the ebuild sees it (portage_use)" {
	same missing sys-apps/systemd-256.7 portage_use
}

@test "missing: systemd masked and forced IUSE flags" {
	same missing sys-apps/systemd-256.7 masked_iuse forced_iuse
}

@test "missing: systemd REQUIRED_USE is unsatisfied: homed? ( cryptsetup )" {
	same missing sys-apps/systemd-256.7 required_use_ok required_use_unsatisfied
}

@test "missing: systemd USE recorded in the VDB" {
	same missing sys-apps/systemd-256.7 installed_use
}

@test "missing: pambase version (cpv, slot, stable)" {
	same missing sys-auth/pambase-20250228-r1 cpv slot stable
}

@test "missing: pambase effective USE (use, use_disabled)" {
	same missing sys-auth/pambase-20250228-r1 use use_disabled
}

@test "missing: pambase USE as the ebuild sees it (portage_use)" {
	same missing sys-auth/pambase-20250228-r1 portage_use
}

@test "missing: pambase masked and forced IUSE flags" {
	same missing sys-auth/pambase-20250228-r1 masked_iuse forced_iuse
}

@test "missing: pambase REQUIRED_USE" {
	same missing sys-auth/pambase-20250228-r1 required_use_ok required_use_unsatisfied
}

@test "missing: pambase USE recorded in the VDB" {
	same missing sys-auth/pambase-20250228-r1 installed_use
}

@test "missing: the human output gives emerge's message and names package.use/systemd:2" {
	hs use show --root "$BATS_FILE_TMPDIR/missing"
	assert_status 1
	assert_output_contains "would build:  sys-apps/systemd-256.7::gentoo  SLOT=\"0/2\"  stable"
	assert_output_contains "would build:  sys-auth/pambase-20250228-r1::gentoo  SLOT=\"0\"  testing"
	assert_output_contains "package.use/systemd:2"
	assert_output_contains $'  The following REQUIRED_USE flag constraints are unsatisfied:\n    homed? ( cryptsetup )'
	assert_output_contains " * REQUIRED_USE of sys-auth/pambase-20250228-r1 is satisfied."
}

@test "ready and missing: the profile stack comes from the real files, /etc/portage/profile absent" {
	output=$(cat "$BATS_FILE_TMPDIR/ready.json")
	assert_json 'len(d["profile_stack"]) == 10 and "/etc/portage/profile" not in d["profile_stack"]'
	assert_json 'd["packages"][0]["flags"]["boot"]["masked"] is True'
}
