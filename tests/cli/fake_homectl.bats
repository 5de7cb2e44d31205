#!/usr/bin/env bats
# The test double tests/lib/fake-homectl, which every migration scenario relies on: if it accepted what homed
# refuses, or ran `with` without the password, those scenarios would prove nothing. Each refusal here is homed's
# (../shared/docs/homed-facts.md §1.3, §2; homectl.c, homed-manager-bus.c, homework.c) and must change nothing.
# shellcheck disable=SC2154 # $status, $output, $stderr and $lines are set by bats' run

load ../lib/common
load ../lib/roots
load ../lib/migrate

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT"
	mig_accounts "$ROOT"
	# alice's and bob's lines are what a migration removes first; most tests start from there
	export FAKE_HOMECTL_ROOT=$ROOT
	export FAKE_HOMECTL_STATE=$BATS_TEST_TMPDIR/state
	export FAKE_HOMECTL_LOG=$BATS_TEST_TMPDIR/homectl.log
	unset FAKE_HOMECTL_FAIL FAKE_HOMECTL_FAIL_AFTER FAKE_HOMECTL_KILL_PARENT_IN_COPY PASSWORD NEWPASSWORD
}

fk() {
	run --separate-stderr "$MIG_FAKE" "$@"
}

# the root's files with type, mode, owner and content hash (the double's own state lives outside ROOT here)
tree_state() {
	(cd "$ROOT" && find . -printf '%p %y %m %U:%G %s\n' | LC_ALL=C sort) > "$BATS_TEST_TMPDIR/tree.$1"
	(cd "$ROOT" && find . -type f -exec sha256sum {} + | LC_ALL=C sort) >> "$BATS_TEST_TMPDIR/tree.$1"
}

assert_unchanged() {
	tree_state after
	assert_files_equal "$BATS_TEST_TMPDIR/tree.before" "$BATS_TEST_TMPDIR/tree.after"
	[ ! -e "$FAKE_HOMECTL_STATE/homes/alice/created" ] || fail "the double registered a home"
}

drop_alice() {
	sed -i '/^alice:/d' "$ROOT/etc/passwd" "$ROOT/etc/group"
}

create_alice() {
	drop_alice
	rm -rf "$ROOT/home/alice"
	NEWPASSWORD=$MIG_PW_ALICE fk create alice --uid=1000 --real-name='Alice Liddell,,,' --member-of=wheel,audio \
		--shell=/bin/bash --storage=directory
	assert_status 0
}

@test "fake homectl: create refuses names and UIDs NSS still knows, with homed's messages; nothing changes" {
	rm -rf "$ROOT/home/alice"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Specified user name alice exists in the NSS user database, refusing." ] ||
		fail "stderr: $stderr"
	assert_unchanged
	sed -i '/^alice:/d' "$ROOT/etc/passwd"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Specified user name alice conflicts with an NSS group by the same name, refusing." ] ||
		fail "stderr: $stderr"
	assert_unchanged
	# the private group renamed but its GID left: the UID is still taken
	sed -i 's/^alice:x:1000:/alicegrp:x:1000:/' "$ROOT/etc/group"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Specified UID 1000 already in use as GID by NSS group alicegrp, refusing." ] ||
		fail "stderr: $stderr"
	NEWPASSWORD=pw fk create alice --uid=1001 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Specified UID 1001 already in use by NSS user bob, refusing." ] ||
		fail "stderr: $stderr"
	assert_unchanged
	# homectl's own refusals of --uid, before asking homed
	for uid in 999:"UID 999 is in system range, refusing." 65534:"UID 65534 is nobody UID, refusing." \
		61184:"UID 61184 is in dynamic range, refusing." 12x:"Failed to parse UID '12x'."; do
		NEWPASSWORD=pw fk create alice "--uid=${uid%%:*}" --storage=directory
		assert_status 1
		[ "$stderr" = "${uid#*:}" ] || fail "--uid=${uid%%:*}: $stderr"
	done
	assert_unchanged
}

@test "fake homectl: create refuses while /home/USER exists in any form, or the image does" {
	drop_alice
	mkdir -p "$ROOT/home/alice"
	printf 'old\n' > "$ROOT/home/alice/.bashrc"
	tree_state before
	# populated: homework's EBUSY, which homed turns into "currently being used"
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Home alice is currently being used, or an operation on home alice is currently being executed." ] ||
		fail "stderr: $stderr"
	grep -qxF "Home directory /home/alice exists, is not mounted but populated, refusing." "$FAKE_HOMECTL_STATE/journal"
	assert_unchanged
	# empty (the wiki's cp leaves more than this, but even an empty directory is refused)
	rm "$ROOT/home/alice/.bashrc"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: File exists" ] || fail "stderr: $stderr"
	grep -qxF "Home directory /home/alice already exists, refusing." "$FAKE_HOMECTL_STATE/journal"
	assert_unchanged
	# a symlink to a directory is not a directory
	rmdir "$ROOT/home/alice"
	ln -s bob "$ROOT/home/alice"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Not a directory" ] || fail "stderr: $stderr"
	assert_unchanged
	# the image of an earlier attempt
	rm "$ROOT/home/alice"
	mkdir "$ROOT/home/alice.homedir"
	tree_state before
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: File exists" ] || fail "stderr: $stderr"
	assert_unchanged
}

@test "fake homectl: create needs NEWPASSWORD, a valid name, a storage the double has" {
	drop_alice
	rm -rf "$ROOT/home/alice"
	tree_state before
	fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Failed to acquire password: No such device or address" ] || fail "stderr: $stderr"
	NEWPASSWORD=pw fk create 'Alice Liddell' --storage=directory
	assert_status 1
	[ "$stderr" = "User name 'Alice Liddell' is not valid." ] || fail "stderr: $stderr"
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=luks
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: System does not support selected storage backend" ] ||
		fail "stderr: $stderr"
	NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory --bogus
	assert_status 1
	[ "$stderr" = "homectl: unrecognized option '--bogus'" ] || fail "stderr: $stderr"
	NEWPASSWORD=pw fk create alice --uid=1000 --member-of='wheel,bad name'
	assert_status 1
	[ "$stderr" = "Invalid group name bad name." ] || fail "stderr: $stderr"
	assert_unchanged
}

@test "fake homectl: create makes the directory home as homework does and keeps only a salted hash" {
	create_alice
	[ -z "$output" ] && [ -z "$stderr" ] || fail "create printed something: $output $stderr"
	image=$ROOT/home/alice.homedir
	[ -d "$image" ] && [ ! -e "$ROOT/home/alice" ] || fail "not /home/alice.homedir alone"
	[ "$(stat -c '%a %u:%g' "$image")" = "700 1000:1000" ] || fail "image: $(stat -c '%a %u:%g' "$image")"
	[ "$(stat -c '%a %u:%g' "$image/.identity")" = "600 1000:1000" ] || fail ".identity: $(stat -c '%a %u:%g' "$image/.identity")"
	# the skeleton, chowned
	cmp "$ROOT/etc/skel/.bash_logout" "$image/.bash_logout"
	[ "$(stat -c '%u:%g' "$image/.bashrc")" = 1000:1000 ]
	assert_json 'd["userName"] == "alice" and d["uid"] == 1000 and d["realName"] == "Alice Liddell,,," and d["memberOf"] == ["wheel", "audio"] and d["shell"] == "/bin/bash" and "binding" not in d' \
		"$(cat "$image/.identity")"
	record=$ROOT/var/lib/systemd/home/alice.identity
	[ "$(stat -c '%a' "$record")" = 600 ] && [ "$(stat -c '%a' "${record%/*}")" = 700 ]
	assert_json 'd["binding"]["fake-homed"]["imagePath"] == "/home/alice.homedir"' "$(cat "$record")"
	# no plain or unsalted password anywhere
	plain_sha=$(printf '%s' "$MIG_PW_ALICE" | sha256sum | cut -d' ' -f1)
	! grep -rqF -e "$MIG_PW_ALICE" -e "$plain_sha" "$ROOT" "$FAKE_HOMECTL_STATE" "$FAKE_HOMECTL_LOG" ||
		fail "the password or its unsalted hash is stored"
	# the log: arguments exactly, the env flag, no value
	[ "$(mig_call_args create)" = "create
alice
--uid=1000
--real-name=Alice Liddell,,,
--member-of=wheel,audio
--shell=/bin/bash
--storage=directory" ] || fail "logged: $(mig_calls create)"
	[[ $(mig_calls create) == *$'\tNEWPASSWORD' ]] || fail "no NEWPASSWORD flag: $(mig_calls)"
	fk inspect alice
	assert_status 0
	assert_output_contains "   User name: alice"
	assert_output_contains "       State: inactive"
	fk inspect --json=short alice
	assert_status 0
	assert_json 'd["uid"] == 1000'
	# a second home may not take the same UID or name
	NEWPASSWORD=pw fk create carol --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home carol failed: Specified UID 1000 already in use by home alice, refusing." ] ||
		fail "stderr: $stderr"
	NEWPASSWORD=pw fk create alice --uid=1005 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Specified user name alice exists already, refusing." ] ||
		fail "stderr: $stderr"
	# the same password for another user gets another hash (salted); a skeleton given as a host path under ROOT
	# (what homesetup --root passes) is used as it is
	mkdir "$ROOT/var/empty-skel"
	NEWPASSWORD=$MIG_PW_ALICE fk create carol --storage=directory --skel="$ROOT/var/empty-skel"
	assert_status 0
	[ "$(ls -A "$ROOT/home/carol.homedir")" = .identity ] || fail "skeleton: $(ls -A "$ROOT/home/carol.homedir")"
	[ "$(cat "$FAKE_HOMECTL_STATE/homes/carol/uid")" = 60001 ] || fail "auto UID: $(cat "$FAKE_HOMECTL_STATE/homes/carol/uid")"
	[ "$(cat "$FAKE_HOMECTL_STATE/homes/carol/hash")" != "$(cat "$FAKE_HOMECTL_STATE/homes/alice/hash")" ]
}

@test "fake homectl: with runs the command in the home only with the right PASSWORD, and passes its status on" {
	create_alice
	image=$ROOT/home/alice.homedir
	marker=$BATS_TEST_TMPDIR/ran
	PASSWORD=wrong fk with alice -- touch "$marker"
	assert_status 1
	[ "$stderr" = "Password incorrect or not sufficient, please try again.
Failed to acquire password: No such device or address" ] || fail "stderr: $stderr"
	[ ! -e "$marker" ] || fail "ran with a wrong password"
	fk with alice -- touch "$marker"
	assert_status 1
	[ ! -e "$marker" ] || fail "ran without a password"
	[ "$(mig_calls with | cut -f2)" = "PASSWORD
-" ] || fail "env flags: $(mig_calls with)"
	# right password: working directory = the home; PASSWORD is not passed on (homectl erases it)
	PASSWORD=$MIG_PW_ALICE fk with alice -- sh -c 'pwd; env | grep -c -e ^PASSWORD= -e ^NEWPASSWORD=; exit 23'
	assert_status 23
	[ "${lines[0]}" = "$image" ] && [ "${lines[1]}" = 0 ] || fail "output: $output"
	PASSWORD=$MIG_PW_ALICE fk with alice -- /no/such/program
	assert_status 255
	[ "$stderr" = "Failed to execute /no/such/program: No such file or directory" ] || fail "stderr: $stderr"
	PASSWORD=$MIG_PW_ALICE fk with alice -- sh -c 'kill -TERM $$'
	assert_status 1
	[ "$stderr" = "sh terminated by signal TERM." ] || fail "stderr: $stderr"
	# the mount point stays behind empty, as after a real deactivation; the home is inactive again
	[ -d "$ROOT/home/alice" ] && [ -z "$(ls -A "$ROOT/home/alice")" ] || fail "mount point"
	[ "$(stat -c %a "$ROOT/home/alice")" = 700 ]
	fk inspect alice
	assert_output_contains "State: inactive"
	# no such home
	PASSWORD=x fk with carol -- true
	assert_status 1
	[ "$stderr" = "Operation on home carol failed: No home for user carol known" ] || fail "stderr: $stderr"
	! grep -qF "$MIG_PW_ALICE" "$FAKE_HOMECTL_LOG" || fail "password in the log"
}

@test "fake homectl: activate, deactivate, remove" {
	create_alice
	PASSWORD=wrong fk activate alice
	assert_status 1
	PASSWORD=$MIG_PW_ALICE fk activate alice
	assert_status 0
	fk inspect alice
	assert_output_contains "State: active"
	PASSWORD=$MIG_PW_ALICE fk activate alice
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Home alice is already active." ] || fail "stderr: $stderr"
	fk remove alice
	assert_status 1
	[ "$stderr" = "Failed to remove home: Home alice is currently being used, or an operation on home alice is currently being executed." ] ||
		fail "stderr: $stderr"
	fk deactivate alice
	assert_status 0
	fk deactivate alice
	assert_status 1
	[ "$stderr" = "Failed to deactivate user home: Home alice is currently not active" ] || fail "stderr: $stderr"
	# a populated /home/alice (the saved home renamed back too early) blocks the removal
	mkdir -p "$ROOT/home/alice"
	: > "$ROOT/home/alice/file"
	fk remove alice
	assert_status 1
	[ -d "$ROOT/home/alice.homedir" ] || fail "removed anyway"
	rm "$ROOT/home/alice/file"
	# RemoveHome(s) takes no password
	fk remove alice
	assert_status 0
	[ ! -e "$ROOT/home/alice.homedir" ] && [ ! -e "$ROOT/home/alice" ] || fail "image or mount point left"
	[ ! -e "$ROOT/var/lib/systemd/home/alice.identity" ] || fail "record left"
	fk inspect alice
	assert_status 1
	[ "$stderr" = "Failed to inspect home: No home for user alice known" ] || fail "stderr: $stderr"
	fk remove alice
	assert_status 1
	[ "$stderr" = "Failed to remove home: No home for user alice known" ] || fail "stderr: $stderr"
	fk list
	assert_output "No home areas."
}

@test "fake homectl: FAKE_HOMECTL_FAIL makes a verb fail, FAKE_HOMECTL_FAIL_AFTER after N good calls" {
	drop_alice
	rm -rf "$ROOT/home/alice"
	tree_state before
	FAKE_HOMECTL_FAIL=create NEWPASSWORD=pw fk create alice --uid=1000 --storage=directory
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Not enough disk space for home alice" ] || fail "stderr: $stderr"
	assert_unchanged
	create_alice
	export FAKE_HOMECTL_FAIL=with,remove FAKE_HOMECTL_FAIL_AFTER=1
	PASSWORD=$MIG_PW_ALICE fk with alice -- true
	assert_status 0
	PASSWORD=$MIG_PW_ALICE fk with alice -- true
	assert_status 1
	[ "$stderr" = "Operation on home alice failed: Home alice is currently being used, or an operation on home alice is currently being executed." ] ||
		fail "stderr: $stderr"
	fk remove alice
	assert_status 0
}

@test "fake homectl: KILL_PARENT_IN_COPY copies N entries, then kills the calling homesetup" {
	create_alice
	src=$BATS_TEST_TMPDIR/src
	mig_tree_small "$src" 1000 1000
	# a process named homesetup that calls the double and would go on afterwards
	cp "$(command -v bash)" "$BATS_TEST_TMPDIR/homesetup"
	export FAKE_HOMECTL_KILL_PARENT_IN_COPY=3 PASSWORD=$MIG_PW_ALICE
	# shellcheck disable=SC2016 # expanded by the inner shell
	run "$BATS_TEST_TMPDIR/homesetup" -c '"$1" with alice -- rsync -aHAXUv --numeric-ids "$2/" .; echo survived' \
		sh "$MIG_FAKE" "$src"
	[ "$status" -eq 137 ] || fail "status $status, output: $output"
	[[ $output != *survived* ]] || fail "the parent survived"
	copied=$(cd "$ROOT/home/alice.homedir" && find . -mindepth 1 ! -type d ! -name '.identity' ! -name '.bash*' | wc -l)
	[ "$copied" -eq 3 ] || fail "copied $copied entries"
	# not below homesetup: refused, nothing killed
	cp "$(command -v bash)" "$BATS_TEST_TMPDIR/other"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run "$BATS_TEST_TMPDIR/other" -c '"$1" with alice -- rsync -aHAXUv "$2/" .; echo survived $?' sh "$MIG_FAKE" "$src"
	[ "$status" -eq 0 ] || fail "status $status"
	[[ $output == *"refusing to kill the parent process"*"survived 99"* ]] || fail "output: $output"
}

@test "fake homectl: misuse is refused before anything happens" {
	FAKE_HOMECTL_ROOT=/ fk list
	assert_status 1
	assert_stderr_contains "FAKE_HOMECTL_ROOT must name a root directory other than /"
	fk frobnicate
	assert_status 1
	[ "$stderr" = "Unknown command verb 'frobnicate'." ] || fail "stderr: $stderr"
	fk list
	assert_status 0
	assert_output "No home areas."
}
