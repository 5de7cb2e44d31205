#!/usr/bin/env bats
# homesetup migrate rollback: from a kill after every step, from the middle of the copy, and after a completed
# run (the saved copy kept), the four account files and the home must be byte for byte what they were,
# homed must not know the user, and no journal, working directory, saved copy or image may be left.
# shellcheck disable=SC2154 # $status, $output, $stderr and $lines are set by bats' run

load ../lib/common
load ../lib/roots
load ../lib/migrate

kill_and_rollback() { # STEP WHEN
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=$1:$2 mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed at $1:$2 (status $status): $stderr"
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
	mig_assert_no_password alice
}

# One kill per step, just after it did its work (the state "before" the next step differs only in the journal's
# bookkeeping, which migrate_crash.bats covers for resume); plus before the very first.
@test "migrate rollback: after a kill before backup and after backup" {
	kill_and_rollback backup before
	kill_and_rollback backup after
}

@test "migrate rollback: after a kill after manifest" {
	kill_and_rollback manifest after
}

@test "migrate rollback: after a kill after move-aside" {
	kill_and_rollback move-aside after
}

@test "migrate rollback: after a kill after remove-account" {
	kill_and_rollback remove-account after
}

@test "migrate rollback: after a kill before/after create (homed's user is removed)" {
	kill_and_rollback create before
	kill_and_rollback create after
	[ "$(mig_calls remove | wc -l)" -ge 1 ] || fail "homectl remove was not called: $(mig_calls)"
}

@test "migrate rollback: after a kill after copy, and in the middle of it" {
	kill_and_rollback copy after
	mig_setup alice small
	mig_fake_set FAKE_HOMECTL_KILL_PARENT_IN_COPY=4
	mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed in the copy (status $status)"
	mig_fake_reset
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
}

@test "migrate rollback: after a kill after verify" {
	kill_and_rollback verify after
}

@test "migrate rollback: after a completed run (saved copy kept) on the realistic home" {
	mig_setup alice full
	mig_migrate run alice
	assert_status 0
	mig_assert_migrated alice
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
	# and the same user can be migrated again from there
	mig_migrate run alice
	assert_status 0
	mig_assert_migrated alice
}

@test "migrate rollback: bob (shared group) after a completed run" {
	mig_setup bob full
	mig_migrate run bob
	assert_status 0
	mig_migrate rollback bob
	assert_status 0
	mig_assert_original bob
}

@test "migrate rollback: refused once the saved copy is gone (--remove-saved), nothing changes" {
	mig_setup alice small
	mig_migrate run alice --remove-saved
	assert_status 0
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate rollback alice
	assert_status 1
	[[ $stderr == *"/home/alice.saved"* ]] || fail "the reason does not name the saved copy: $stderr"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ -n "$(mig_fake_home alice)" ] || fail "homed's user was removed"
}

@test "migrate rollback: homectl remove failing stops the rollback before the saved copy is renamed back" {
	mig_setup alice small
	HOMESETUP_TEST_KILL_AT=copy:after mig_migrate run alice
	[ "$status" -eq 137 ] || fail "not killed (status $status)"
	mig_fake_set FAKE_HOMECTL_FAIL=remove
	mig_migrate rollback alice
	assert_status 1
	[[ $stderr == *"currently being used"* ]] || fail "homectl's message is not passed on: $stderr"
	# nothing half-done that a second rollback could not finish
	assert_home_equal "$SNAP" "$ROOT/home/alice.saved"
	[ -e "$(mig_journal alice)" ] || fail "the journal is gone, but the rollback did not finish"
	mig_fake_reset
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
}
