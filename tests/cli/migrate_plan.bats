#!/usr/bin/env bats
# homesetup migrate plan: the steps and the exact commands of every plan shape (private and shared group, LUKS with
# btrfs and ACLs, --copy, --remove-saved, extra homectl arguments), as text and as JSON; a preflight FAIL refuses;
# planning changes nothing. Also `migrate status` without a journal, the CLI's usage errors, a run refused at preflight
# (entries homed's idmapped mount cannot hold) and what a failed copy (rsync 23, 24) says.
# shellcheck disable=SC2154 # $status, $output, $stderr and $lines are set by bats' run

load ../lib/common
load ../lib/roots
load ../lib/migrate

setup() {
	ROOT=$(mig_root root small)
	mig_fake "$ROOT"
	export HOMESETUP_RSYNC=/usr/bin/rsync
	[ -x "$HOMESETUP_RSYNC" ] || skip "rsync is not installed at /usr/bin/rsync"
}

# the commands of step ID in the JSON plan ($output), one per line
step_commands() { # ID
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["steps"]:
    if s["id"] == sys.argv[1]:
        print("\n".join(s["commands"]))' "$1"
}

@test "migrate plan: alice (private group, directory storage): seven steps, the exact commands, nothing changed" {
	mig_root_state "$BATS_TEST_TMPDIR/before"
	hs --root "$ROOT" migrate plan alice --storage directory --json
	assert_status 0
	assert_json '[s["id"] for s in d["steps"]] == ["backup", "manifest", "move-aside", "remove-account", "create", "copy", "verify"]'
	assert_json '[s["external"] for s in d["steps"]] == [False, False, False, False, True, True, True]'
	assert_json 'd["ok"] is True and d["user"] == "alice" and d["facts"]["uid"] == 1000 and d["facts"]["private_group"] is True'
	assert_json 'd["journal"] == "'"$ROOT"'/var/lib/homesetup/migrate/alice.json"'
	[ "$(step_commands create)" = "$MIG_FAKE create alice --uid=1000 --real-name='Alice Liddell' --member-of=wheel,audio --shell=/bin/bash --storage=directory --skel=$ROOT/var/lib/homesetup/migrate/alice/empty-skel" ] ||
		fail "create: $(step_commands create)"
	[ "$(step_commands copy)" = "$MIG_FAKE with alice -- /usr/bin/rsync -aHAXUv --numeric-ids --modify-window=-1 --info=progress2 $ROOT/home/alice.saved/ ." ] ||
		fail "copy: $(step_commands copy)"
	# the verifier is this homesetup, as /proc/self/exe names it
	[ "$(step_commands verify)" = "$MIG_FAKE with alice -- $(realpath "$HOMESETUP") verify --ignore-top --progress=lines --manifest $ROOT/var/lib/homesetup/migrate/alice/manifest.txt ." ] ||
		fail "verify: $(step_commands verify)"
	[ "$(step_commands move-aside)" = "mv $ROOT/home/alice $ROOT/home/alice.saved" ] || fail "move-aside: $(step_commands move-aside)"
	[ "$(step_commands remove-account)" = "sed -i '/^alice:/d' $ROOT/etc/passwd $ROOT/etc/shadow
sed -i '/^alice:/d' $ROOT/etc/group $ROOT/etc/gshadow
gpasswd --root $ROOT -d alice wheel
gpasswd --root $ROOT -d alice audio" ] || fail "remove-account: $(step_commands remove-account)"
	# never a copy that removes its source
	for id in backup manifest move-aside remove-account create copy verify; do
		[[ $(step_commands "$id") != *remove-source-files* ]] || fail "--remove-source-files in $id"
	done
	assert_json 'any("private group alice" in n for n in d["notes"]) and any("ROOT is" in n for n in d["notes"])'
	# the same as text
	hs --root "$ROOT" migrate plan alice --storage directory
	assert_status 0
	assert_output_contains " 5. create: Create alice as a homed user with UID 1000"
	assert_output_contains "       \$ $MIG_FAKE create alice --uid=1000 --real-name='Alice Liddell'"
	assert_output_contains "       # mv $ROOT/home/alice $ROOT/home/alice.saved"
	assert_output_contains "       undo: homectl remove alice"
	[[ $output != *" 8. "* ]] || fail "an eighth step without --remove-saved"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ -z "$(mig_calls)" ] || fail "homectl was called: $(mig_calls)"
}

@test "migrate plan: bob (shared primary group users): --member-of=users,video, the group itself stays" {
	hs --root "$ROOT" migrate plan bob --storage directory --json
	assert_status 0
	[[ $(step_commands create) == *" --member-of=users,video --shell=/bin/zsh --storage=directory "* ]] ||
		fail "create: $(step_commands create)"
	[ "$(step_commands remove-account)" = "sed -i '/^bob:/d' $ROOT/etc/passwd $ROOT/etc/shadow
gpasswd --root $ROOT -d bob video" ] || fail "remove-account: $(step_commands remove-account)"
	assert_json 'd["facts"]["private_group"] is False and d["facts"]["primary_group"] == "users"'
	assert_json 'any("users becomes an auxiliary group (--member-of)" in n for n in d["notes"])'
}

@test "migrate plan: LUKS with btrfs and ACLs in the home: --fs-type, --disk-size, the acl mount option" {
	hs --root "$ROOT" migrate plan alice --storage luks --fs-type btrfs --disk-size 2G --json
	assert_status 0
	[[ $(step_commands create) == *" --storage=luks --fs-type=btrfs --disk-size=2G --luks-extra-mount-options=acl --skel="* ]] ||
		fail "create: $(step_commands create)"
	assert_json 'any("--luks-extra-mount-options=acl" in n for n in d["notes"])'
	# ext4 keeps ACLs without it
	hs --root "$ROOT" migrate plan alice --storage luks --fs-type ext4 --disk-size 2G --json
	assert_status 0
	[[ $(step_commands create) == *" --storage=luks --fs-type=ext4 --disk-size=2G --skel="* ]] ||
		fail "create: $(step_commands create)"
	[[ $(step_commands create) != *acl* ]] || fail "acl option on ext4"
}

@test "migrate plan --copy: rsync aside, verify the copy, then remove the original" {
	hs --root "$ROOT" migrate plan alice --storage directory --copy --json
	assert_status 0
	[ "$(step_commands move-aside)" = "/usr/bin/rsync -aHAXUv --numeric-ids --modify-window=-1 --info=progress2 $ROOT/home/alice/ $ROOT/home/alice.saved/
homesetup verify --manifest $ROOT/var/lib/homesetup/migrate/alice/manifest.txt $ROOT/home/alice.saved
rm -rf --one-file-system $ROOT/home/alice" ] || fail "move-aside: $(step_commands move-aside)"
	assert_json '[s["external"] for s in d["steps"] if s["id"] == "move-aside"] == [True]'
	assert_json 'any("--copy" in n for n in d["notes"])'
}

@test "migrate plan --remove-saved and --homectl-arg: an eighth step; extra arguments last, in order" {
	hs --root "$ROOT" migrate plan alice --storage directory --remove-saved \
		--homectl-arg=--luks-pbkdf-type=pbkdf2 --homectl-arg '--enforce-password-policy=no' --json
	assert_status 0
	assert_json '[s["id"] for s in d["steps"]][-2:] == ["verify", "remove-saved"]'
	assert_json '"cannot be rolled back" in d["steps"][-1]["undo"]'
	[ "$(step_commands remove-saved)" = "rm -rf --one-file-system $ROOT/home/alice.saved" ] ||
		fail "remove-saved: $(step_commands remove-saved)"
	[[ $(step_commands create) == *" --luks-pbkdf-type=pbkdf2 --enforce-password-policy=no" ]] ||
		fail "create: $(step_commands create)"
	assert_json 'not any("is kept after the migration" in n for n in d["notes"])'
}

@test "migrate plan: a preflight FAIL refuses with the failing checks (text and JSON); exit 1" {
	hs --root "$ROOT" migrate plan carol --storage directory
	assert_status 1
	assert_stderr_contains "carol cannot be migrated as things are"
	assert_stderr_contains " * migrate."
	assert_stderr_contains "fix:"
	[ -z "$output" ] || fail "a plan was printed: $output"
	hs --root "$ROOT" migrate plan carol --storage directory --json
	assert_status 1
	assert_json 'd["ok"] is False and len(d["failed"]) >= 1 and all(f["id"].startswith("migrate.") and f["fix"] for f in d["failed"])'
	hs --root "$ROOT" migrate plan root --storage directory
	assert_status 1
}

@test "migrate plan: the password never appears, and the plan asks for none" {
	hs_stdin /dev/null --root "$ROOT" migrate plan alice --storage directory
	assert_status 0
	[[ $output$stderr != *"$MIG_PW_ALICE"* ]] || fail "the password was printed"
	[[ $output$stderr != *"$MIG_HASH_ALICE"* ]] || fail "the hash was printed"
}

@test "migrate status: no migration recorded: exit 1 (text and JSON)" {
	hs --root "$ROOT" migrate status alice
	assert_status 1
	assert_output_contains "no migration of alice is recorded"
	hs --root "$ROOT" migrate status alice --json
	assert_status 1
	assert_json 'd == {"user": "alice", "phase": "none", "steps": []}'
}

@test "migrate: usage errors exit 2" {
	hs --root "$ROOT" migrate
	assert_status 2
	hs --root "$ROOT" migrate frobnicate alice
	assert_status 2
	assert_stderr_contains "unknown action 'frobnicate'"
	hs --root "$ROOT" migrate plan
	assert_status 2
	hs --root "$ROOT" migrate plan alice bob
	assert_status 2
	hs --root "$ROOT" migrate plan alice --disk-size 12Q
	assert_status 2
	assert_stderr_contains "invalid --disk-size '12Q'"
	hs --root "$ROOT" migrate plan alice --password-fd 7
	assert_status 2
	assert_stderr_contains "does not apply"
	hs --root "$ROOT" migrate status alice --storage luks
	assert_status 2
	hs --root "$ROOT" migrate run alice --storage directory --password-fd 99
	assert_status 2
	assert_stderr_contains "not an open file descriptor"
	# not on a terminal and no --yes: refused before the password is read
	hs_stdin /dev/null --root "$ROOT" migrate run alice --storage directory
	assert_status 2
	assert_stderr_contains "--yes"
	[ ! -e "$ROOT/var/lib/homesetup/migrate/alice.json" ] || fail "a journal was written"
	HOMESETUP_HOMECTL=relative/homectl hs --root "$ROOT" migrate plan alice --storage directory
	assert_status 2
	assert_stderr_contains "absolute paths"
}

@test "migrate run: refused while a migration of the user is recorded; resume and rollback are offered" {
	HOMESETUP_TEST_KILL_AT=create:before mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed (status $status)"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate run alice
	assert_status 1
	assert_stderr_contains "resume alice"
	assert_stderr_contains "rollback alice"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	hs --root "$ROOT" migrate status alice
	assert_status 0
	assert_output_contains "Migration of alice: in-progress"
	assert_output_contains "create"
	assert_output_contains "next: create"
	hs --root "$ROOT" migrate status alice --json
	assert_json 'd["phase"] == "in-progress" and d["next"] == "create" and d["needs_password"] == {"resume": True, "rollback": True}'
	assert_json '"password_hash" not in d and "account_undo" not in d'
	mig_migrate rollback alice
	assert_status 0
}

@test "migrate run --copy: copied aside, verified, the original removed; killed inside, resumed or rolled back" {
	mig_setup alice full
	mig_migrate run alice --copy
	assert_status 0
	mig_assert_migrated alice
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
	for when in before after; do
		mig_setup alice small
		HOMESETUP_TEST_KILL_AT=move-aside:$when mig_migrate run alice --copy
		[ "$status" -eq 137 ] || fail "not killed at move-aside:$when (status $status)"
		mig_migrate resume alice
		assert_status 0
		mig_assert_migrated alice
		mig_setup alice small
		HOMESETUP_TEST_KILL_AT=move-aside:$when mig_migrate run alice --copy
		[ "$status" -eq 137 ] || fail "not killed at move-aside:$when (status $status)"
		mig_migrate rollback alice
		assert_status 0
		mig_assert_original alice
	done
}

@test "migrate run: a progress bar on a terminal (stderr) for the copy and the verification; none without one" {
	command -v script > /dev/null || skip "script(1) is not installed"
	head -c 20000000 /dev/urandom > "$ROOT/home/alice/big.bin"
	chown 1000:1000 "$ROOT/home/alice/big.bin"
	printf '%s\n' "$MIG_PW_ALICE" > "$BATS_TEST_TMPDIR/pw"
	script -qfec "$HOMESETUP --root $ROOT migrate run alice --storage directory --yes --password-fd 7 7< $BATS_TEST_TMPDIR/pw" \
		"$BATS_TEST_TMPDIR/typescript" > /dev/null 2>&1 || fail "the run failed: $(tail -c 2000 "$BATS_TEST_TMPDIR/typescript")"
	tr '\r' '\n' < "$BATS_TEST_TMPDIR/typescript" > "$BATS_TEST_TMPDIR/screen"
	grep -q '^.*   copy  *[0-9.]* [KMG]*i*B / 19.1 MiB .*files' "$BATS_TEST_TMPDIR/screen" ||
		fail "no copy bar: $(cat "$BATS_TEST_TMPDIR/screen")"
	grep -q '^.*   verify  *[0-9.]* [KMG]*i*B / 19.1 MiB .*files' "$BATS_TEST_TMPDIR/screen" ||
		fail "no verify bar: $(cat "$BATS_TEST_TMPDIR/screen")"
	! grep -qF "$MIG_PW_ALICE" "$BATS_TEST_TMPDIR/typescript" || fail "the password was shown"
	# not a terminal: no bar, no escape sequences
	mig_setup alice small
	mig_migrate run alice
	assert_status 0
	[[ $stderr != *$'\033'* && $stderr != *$'\r'* ]] || fail "a bar on a pipe: $stderr"
	assert_output_contains " * [6/7] copy"
}

@test "migrate plan/run: an entry homed's idmapped mount cannot hold refuses at preflight (migrate.ids); nothing changes" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	mig_setup alice small
	chown -h 65534:1000 "$ROOT/home/alice/docs/f5.txt"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	hs --root "$ROOT" migrate plan alice --storage directory --json
	assert_status 1
	assert_json '[f["id"] for f in d["failed"]] == ["migrate.ids"]'
	assert_json '"docs/f5.txt (owner 65534 (nobody))" in d["failed"][0]["detail"]'
	mig_migrate run alice
	assert_status 1
	assert_stderr_contains "migrate.ids"
	assert_stderr_contains "leaves unmapped (65534)"
	assert_stderr_contains "chown -h alice PATH"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ ! -e "$ROOT/var/lib/homesetup/migrate/alice.json" ] || fail "a journal was written"
	[ -z "$(mig_calls)" ] || fail "homectl was called: $(mig_calls)"
}

# A stand-in for rsync: its own --version, and a copy into "." that fails as rsync does on an idmapped home.
failing_rsync() { # EXIT
	cat > "$BATS_TEST_TMPDIR/rsync" << EOF
#!/bin/bash
[ "\$1" = --version ] && exec /usr/bin/rsync --version
echo 'rsync: [receiver] set_acl: sys_acl_set_file(docs/f4.txt, ACL_TYPE_ACCESS): Invalid argument (22)' >&2
echo 'rsync error: some files/attrs were not transferred (see previous errors) (code $1) at main.c(1338) [generator=3.2.7]' >&2
exit $1
EOF
	chmod 0755 "$BATS_TEST_TMPDIR/rsync"
	export HOMESETUP_RSYNC=$BATS_TEST_TMPDIR/rsync
}

# The double knows directory storage only: a homectl that takes luks (and its options) for directory.
luks_as_directory() {
	cat > "$BATS_TEST_TMPDIR/homectl" << EOF
#!/bin/bash
args=()
for a; do
	case \$a in
	--storage=luks) a=--storage=directory ;;
	--fs-type=* | --disk-size=* | --luks-*) continue ;;
	esac
	args+=("\$a")
done
exec $MIG_FAKE "\${args[@]}"
EOF
	chmod 0755 "$BATS_TEST_TMPDIR/homectl"
	export HOMESETUP_HOMECTL=$BATS_TEST_TMPDIR/homectl
}

@test "migrate run: a failed copy (rsync 23) names the usual causes and rsync's lines; btrfs only when it is btrfs" {
	mig_setup alice small
	failing_rsync 23
	mig_migrate run alice
	assert_status 1
	assert_stderr_contains "homectl with … rsync exited with status 23"
	assert_stderr_contains "nothing was deleted and $ROOT/home/alice.saved is intact"
	assert_stderr_contains "idmapped mount of the new home does not map"
	assert_stderr_contains "homesetup migrate rollback alice"
	assert_stderr_contains "homesetup migrate check alice lists such IDs: migrate.ids"
	assert_stderr_contains "rsync said: rsync: [receiver] set_acl: sys_acl_set_file(docs/f4.txt, ACL_TYPE_ACCESS): Invalid argument (22); rsync error: some files/attrs were not transferred"
	[[ $stderr != *btrfs* && $stderr != *luks-extra-mount-options* ]] || fail "btrfs blamed on directory storage: $stderr"
	hs --root "$ROOT" migrate status alice --json
	assert_json '[s["state"] for s in d["steps"] if s["id"] == "copy"] == ["failed"]'
	assert_home_equal "$SNAP" "$ROOT/home/alice.saved"

	# btrfs inside LUKS without the acl option (a home without ACLs): that is named too
	mig_setup alice small
	setfacl -b "$ROOT/home/alice/docs/f4.txt"
	luks_as_directory
	failing_rsync 23
	mig_migrate run alice --storage luks --fs-type btrfs
	assert_status 1
	assert_stderr_contains "btrfs inside LUKS, which homed mounts without ACL support unless told (--luks-extra-mount-options=acl)"
	assert_stderr_contains "idmapped mount of the new home does not map"
	# … but not when the plan passed it (the home has ACLs)
	mig_setup alice small
	luks_as_directory
	failing_rsync 23
	mig_migrate run alice --storage luks --fs-type btrfs
	assert_status 1
	assert_stderr_contains "rsync exited with status 23"
	[[ $stderr != *"btrfs inside LUKS"* ]] || fail "btrfs blamed although the acl option was given: $stderr"
	hs --root "$ROOT" migrate status alice --json
	assert_json '["--luks-extra-mount-options=acl" in s["commands"][0] for s in d["steps"] if s["id"] == "create"] == [True]'

	# 24: files vanished while it copied
	mig_setup alice small
	failing_rsync 24
	mig_migrate run alice
	assert_status 1
	assert_stderr_contains "exited with status 24 (files of $ROOT/home/alice.saved vanished while rsync copied it"
	[[ $stderr != *btrfs* ]] || fail "btrfs blamed: $stderr"
}

@test "migrate run: a directory whose time is in the second of the copy verifies (--modify-window=-1)" {
	local when
	mig_setup alice small
	# the directory's time: half-way through a second to come, and the copy runs in that very second; rsync
	# leaves a directory's time alone when the seconds agree, unless told to compare nanoseconds
	when=$(($(date +%s) + 3))
	touch -d "@$when.5" "$ROOT/home/alice/docs/sub"
	cat > "$BATS_TEST_TMPDIR/homectl" << EOF
#!/bin/bash
if [ "\$1" = with ] && [[ \$* == *rsync* ]]; then
	while [ "\$(date +%s)" -lt $when ]; do sleep 0.02; done
fi
exec $MIG_FAKE "\$@"
EOF
	chmod 0755 "$BATS_TEST_TMPDIR/homectl"
	HOMESETUP_HOMECTL=$BATS_TEST_TMPDIR/homectl mig_migrate run alice
	assert_status 0
	[ "$(stat -c %y "$(mig_fake_home alice)/docs/sub")" = "$(stat -c %y "$ROOT/home/alice.saved/docs/sub")" ] ||
		fail "the copy's time: $(stat -c %y "$(mig_fake_home alice)/docs/sub")"
}
