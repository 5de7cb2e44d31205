#!/usr/bin/env bats
# homesetup migrate: killed at every step boundary (HOMESETUP_TEST_KILL_AT=<step>:<before|after>, the executor's
# test hook) and in the middle of the copy (the double kills homesetup after rsync copied N entries), then
# `migrate status` and `migrate resume`: the end state must be the one of an uninterrupted run. Also the journal
# and saved copy that must not be trusted: corrupted, from another version, modified since the manifest.
# shellcheck disable=SC2154 # $status, $output, $stderr and $lines are set by bats' run

load ../lib/common
load ../lib/roots
load ../lib/migrate

# state of step ID in `migrate status USER --json`
step_state() { # ID
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(s["state"] for s in d["steps"] if s["id"] == sys.argv[1]))' "$1"
}

# run, killed at STEP:WHEN; status names the step; resume finishes; the end state is a migrated one
crash_and_resume() { # STEP WHEN [--remove-saved]
	local step=$1 when=$2 extra=${3:-} last
	local -a opts=()
	[ -n "$extra" ] && opts=("$extra")
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=$step:$when mig_migrate run alice "${opts[@]}"
	[ "$status" -eq 137 ] || fail "not killed at $step:$when (status $status): $stderr"
	[ -e "$(mig_journal alice)" ] || fail "no journal after a kill at $step:$when"
	hs --root "$ROOT" migrate status alice --json
	assert_status 0
	# the steps before are done; the step is pending or running (before), done or running (after); unless it was
	# killed after its last step, something is left to do
	last=verify
	[ "$extra" = --remove-saved ] && last=remove-saved
	assert_json '(lambda ids, st: ids.index("'"$step"'") >= 0
		and all(st[i] == "done" for i in range(ids.index("'"$step"'")))
		and st[ids.index("'"$step"'")] in ({"before": ("pending", "running"), "after": ("done", "running")}["'"$when"'"])
		and ("'"$step:$when"'" == "'"$last"':after" or any(x != "done" for x in st))
		)([s["id"] for s in d["steps"]], [s["state"] for s in d["steps"]])'
	hs --root "$ROOT" migrate status alice
	[[ $output$stderr == *"$step"* ]] || fail "the human status does not name $step: $output"
	mig_migrate resume alice
	assert_status 0
	mig_assert_migrated alice "$extra"
	[ "$(mig_calls create | wc -l)" -le 2 ] || fail "create called $(mig_calls create | wc -l) times"
	mig_assert_no_password alice
}

@test "migrate crash: killed before/after backup, then resumed" {
	crash_and_resume backup before
	crash_and_resume backup after
}

@test "migrate crash: killed before/after manifest, then resumed" {
	crash_and_resume manifest before
	crash_and_resume manifest after
}

@test "migrate crash: killed before/after move-aside, then resumed" {
	crash_and_resume move-aside before
	crash_and_resume move-aside after
}

@test "migrate crash: killed before/after remove-account, then resumed" {
	crash_and_resume remove-account before
	crash_and_resume remove-account after
}

@test "migrate crash: killed before/after create, then resumed" {
	crash_and_resume create before
	crash_and_resume create after
}

@test "migrate crash: killed before/after copy, then resumed" {
	crash_and_resume copy before
	crash_and_resume copy after
}

@test "migrate crash: killed before/after verify, then resumed" {
	crash_and_resume verify before
	crash_and_resume verify after
}

@test "migrate crash: killed before/after remove-saved, then resumed" {
	crash_and_resume remove-saved before --remove-saved
	crash_and_resume remove-saved after --remove-saved
}

@test "migrate crash: killed in the middle of the copy (after 1 and after 5 entries), then resumed" {
	local n
	for n in 1 5; do
		mig_setup alice small
		mig_fake_set FAKE_HOMECTL_KILL_PARENT_IN_COPY=$n
		mig_migrate run alice
		[ "$status" -eq 137 ] || fail "not killed in the copy (status $status): $stderr"
		mig_fake_reset
		# the new home holds a part of the tree
		home=$(mig_fake_home alice)
		[ -n "$home" ] || fail "no home was created"
		assert_home_equal "$SNAP" "$ROOT/home/alice.saved"
		hs --root "$ROOT" migrate status alice --json
		assert_status 0
		[ "$(step_state copy)" = running ] || fail "copy: '$(step_state copy)'"
		[ "$(step_state create)" = "done" ] || fail "create: '$(step_state create)'"
		mig_migrate resume alice
		assert_status 0
		mig_assert_migrated alice
	done
}

@test "migrate crash: a journal that does not parse is refused with an explanation; nothing changes" {
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=copy:before mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed (status $status)"
	journal=$(mig_journal alice)
	head -c 100 "$journal" > "$journal.cut"
	mv "$journal.cut" "$journal"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	# exit statuses as doc/homesetup.8 and doc/migrate-json.md have them: resume and rollback refuse (1), status
	# cannot show an untrusted journal (2)
	mig_migrate resume alice
	assert_status 1
	[[ $stderr == *"/var/lib/homesetup/migrate/alice.json"* ]] || fail "the journal is not named: $stderr"
	[[ $stderr == *corrupt* ]] || fail "not called corrupted: $stderr"
	[[ $stderr == *"nothing was changed"* ]] || fail "does not say that nothing changed: $stderr"
	mig_migrate rollback alice
	assert_status 1
	[[ $stderr == *corrupt* ]] || fail "rollback: not called corrupted: $stderr"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	hs --root "$ROOT" migrate status alice
	assert_status 2
	[[ $stderr == *"/var/lib/homesetup/migrate/alice.json"* ]] || fail "status does not name the journal: $stderr"
	[ -z "$output" ] || fail "status printed something: $output"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
}

@test "migrate crash: a journal of another format version is refused, not guessed at" {
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=create:before mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed (status $status)"
	journal=$(mig_journal alice)
	python3 - "$journal" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["version"] = 999
json.dump(d, open(sys.argv[1], "w"))
EOF
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate resume alice
	assert_status 1
	[[ $stderr == *"version 999"* ]] || fail "the version is not named: $stderr"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
}

@test "migrate crash: a saved copy modified since the manifest is refused by resume; rollback still works" {
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=copy:before mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed (status $status)"
	printf 'changed\n' >> "$ROOT/home/alice.saved/docs/f5.txt"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate resume alice
	assert_status 1
	[[ $output$stderr == *"docs/f5.txt"* ]] || fail "the changed file is not named: $output $stderr"
	[[ $output$stderr == *rollback* ]] || fail "rollback is not offered: $output $stderr"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	mig_migrate rollback alice
	assert_status 0
	# the home is back, with the user's change (rollback restores what is there, it does not undo edits)
	assert_accounts_equal "$SNAP" "$ROOT"
	[ "$(tail -n 1 "$ROOT/home/alice/docs/f5.txt")" = changed ] || fail "the change was lost"
	[ -z "$(mig_fake_home alice)" ] || fail "homed still has alice"
}
