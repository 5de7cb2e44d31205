#!/usr/bin/env bats
# homesetup migrate run: whole migrations against the homectl test double (tests/lib/fake-homectl, directory
# storage), checked with an independent manifest of the trees (tests/lib/migrate.bash, python3: nothing of
# homesetup's own scan or verify) and byte comparisons of the four account files. Refusals must change nothing.
# shellcheck disable=SC2154 # $status, $output, $stderr and $lines are set by bats' run

load ../lib/common
load ../lib/roots
load ../lib/migrate

@test "migrate run: alice (private group) is migrated, her home copied exactly, the saved copy kept" {
	mig_setup alice full
	mig_migrate run alice
	assert_status 0
	mig_assert_migrated alice
	# what homed was asked
	args=$(mig_call_args create)
	grep -qxF -- --uid=1000 <<< "$args" || fail "no --uid=1000: $args"
	grep -qxF -- --shell=/bin/bash <<< "$args" || fail "no --shell=/bin/bash: $args"
	grep -qxF -- --storage=directory <<< "$args" || fail "no --storage=directory: $args"
	grep -qx -- '--real-name=Alice Liddell\(,,,\)\{0,1\}' <<< "$args" || fail "real name: $args"
	[ "$(mig_member_of)" = audio,wheel ] || fail "--member-of: $(mig_member_of)"
	[ "$(mig_calls create | wc -l)" -eq 1 ] || fail "create called $(mig_calls create | wc -l) times"
	[[ $(mig_calls create) == *$'\tNEWPASSWORD' ]] || fail "create without NEWPASSWORD: $(mig_calls create)"
	# every `with` (copy, verify) had the password in its environment
	[ "$(mig_calls with | cut -f2 | sort -u)" = PASSWORD ] || fail "with calls: $(mig_calls with)"
	mig_calls with | grep -qE '[ /]rsync -aHAXUv ' || fail "no rsync -aHAXUv inside homectl with: $(mig_calls with)"
	! mig_calls | grep -q -- --remove-source-files || fail "rsync --remove-source-files"
	mig_assert_no_password alice
	# the journal says it is done
	hs --root "$ROOT" migrate status alice --json
	assert_status 0
	assert_json 'all(s["state"] == "done" for s in d["steps"]) and [s["id"] for s in d["steps"]] == ["backup", "manifest", "move-aside", "remove-account", "create", "copy", "verify"]'
	# bob was not touched
	grep -q '^bob:' "$ROOT/etc/passwd" || fail "bob's line went too"
}

@test "migrate run: bob's shared primary group becomes --member-of; the group itself stays" {
	mig_setup bob full
	mig_migrate run bob
	assert_status 0
	mig_assert_migrated bob
	[ "$(mig_member_of)" = users,video ] || fail "--member-of: $(mig_member_of)"
	grep -qxF -- --uid=1001 <<< "$(mig_call_args create)" || fail "no --uid=1001"
	grep -qxF -- --shell=/bin/zsh <<< "$(mig_call_args create)" || fail "no --shell=/bin/zsh"
	grep -qx 'users:x:100:' "$ROOT/etc/group" || fail "the shared group changed"
	mig_assert_no_password bob
}

@test "migrate run --remove-saved: the saved copy goes, after the verified copy" {
	mig_setup alice full
	mig_migrate run alice --remove-saved
	assert_status 0
	mig_assert_migrated alice --remove-saved
	hs --root "$ROOT" migrate status alice --json
	assert_status 0
	assert_json '[s["id"] for s in d["steps"]][-3:] == ["copy", "verify", "remove-saved"] and all(s["state"] == "done" for s in d["steps"])'
}

@test "migrate run --remove-saved: a copy that silently lost an ACL fails verification and keeps the saved copy" {
	mig_setup alice full
	# an rsync that reports success but drops the ACL (what btrfs mounted noacl does, minus the exit status)
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat > "$BATS_TEST_TMPDIR/bin/rsync" << EOF
#!/bin/bash
$(command -v rsync) "\$@" || exit \$?
# only the copy into the new home (homesetup also asks rsync --version)
[ "\${*: -1}" = . ] && setfacl -b Documents/Shared/plan.txt
exit 0
EOF
	chmod 0755 "$BATS_TEST_TMPDIR/bin/rsync"
	HOMESETUP_RSYNC=$BATS_TEST_TMPDIR/bin/rsync mig_migrate run alice --remove-saved
	assert_status 1
	[[ $output$stderr == *"Documents/Shared/plan.txt"* ]] || fail "the difference is not named"
	assert_home_equal "$SNAP" "$ROOT/home/alice.saved"
	hs --root "$ROOT" migrate status alice --json
	assert_json '[s["state"] for s in d["steps"] if s["id"] == "verify"] == ["failed"]'
	assert_json '[s["state"] for s in d["steps"] if s["id"] == "remove-saved"] == ["pending"]'
	# rollback brings everything back
	mig_migrate rollback alice
	assert_status 0
	mig_assert_original alice
}

@test "migrate run: rsync exiting 23 (attributes lost) is a failed copy; the saved copy stays" {
	mig_setup alice small
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat > "$BATS_TEST_TMPDIR/bin/rsync" << EOF
#!/bin/bash
$(command -v rsync) "\$@" || exit \$?
# only the copy into the new home (homesetup also asks rsync --version)
[ "\${*: -1}" = . ] || exit 0
echo 'rsync: [receiver] set_acl: sys_acl_set_file(docs/f4.txt, ACCESS): Operation not supported (95)' >&2
exit 23
EOF
	chmod 0755 "$BATS_TEST_TMPDIR/bin/rsync"
	HOMESETUP_RSYNC=$BATS_TEST_TMPDIR/bin/rsync mig_migrate run alice --remove-saved
	assert_status 1
	assert_home_equal "$SNAP" "$ROOT/home/alice.saved"
	hs --root "$ROOT" migrate status alice --json
	assert_json '[s["state"] for s in d["steps"] if s["id"] == "copy"] == ["failed"]'
}

@test "migrate run: a wrong password changes nothing and leaves no journal" {
	mig_setup alice small
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_hs 'not her password' --root "$ROOT" migrate run alice "${MIG_RUN_OPTS[@]}" --password-fd 7
	assert_status 1
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ ! -e "$(mig_journal alice)" ] || fail "a journal was written"
	[ -z "$(mig_calls create)$(mig_calls with)" ] || fail "homectl was asked to act: $(mig_calls)"
	[[ $output$stderr != *"not her password"* ]] || fail "the password was printed"
	hs --root "$ROOT" migrate status alice --json
	assert_status 1
	assert_json 'd["phase"] == "none" and d["steps"] == []'
}

@test "migrate run: refusals (no such user, root, home a symlink, /home/USER.saved exists) change nothing" {
	mig_setup alice small
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate run carol
	assert_status 1
	[[ $output$stderr == *carol* ]] || fail "no reason given"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	mig_hs "root pw" --root "$ROOT" migrate run root "${MIG_RUN_OPTS[@]}" --password-fd 7
	assert_status 1
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ -z "$(mig_calls create)$(mig_calls with)" ] || fail "homectl was asked to act: $(mig_calls)"

	# the home is a symlink to the real directory
	mv "$ROOT/home/alice" "$ROOT/home/alice-real"
	ln -s alice-real "$ROOT/home/alice"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate run alice
	assert_status 1
	[[ $output$stderr == *"/home/alice"* ]] || fail "the reason does not name the home"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	rm "$ROOT/home/alice"
	mv "$ROOT/home/alice-real" "$ROOT/home/alice"

	# a saved copy from an earlier attempt
	mkdir "$ROOT/home/alice.saved"
	printf 'earlier\n' > "$ROOT/home/alice.saved/file"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	mig_migrate run alice
	assert_status 1
	[[ $output$stderr == *"/home/alice.saved"* ]] || fail "the reason does not name /home/alice.saved"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	[ -z "$(mig_calls create)$(mig_calls with)" ] || fail "homectl was asked to act: $(mig_calls)"
}

@test "migrate run: a logged-in user (processes of alice's UID in the test's /proc) is refused, nothing changes" {
	local proc=$BATS_TEST_TMPDIR/proc
	mig_setup alice small
	# HOMESETUP_TEST_PROC: a /proc of the test's own (<pid>/status: Name and the real, effective, saved and
	# file-system UIDs). alice's login shell, and a root process whose file-system UID is hers; sshd is root's.
	mkdir -p "$proc/4242" "$proc/4243" "$proc/4244"
	printf 'Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n' \
		> "$proc/4242/status"
	printf 'Name:\tsshd\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n' > "$proc/4243/status"
	printf 'Name:\tnfsd-helper\nUid:\t0\t0\t0\t1000\nGid:\t0\t0\t0\t0\n' > "$proc/4244/status"
	mig_root_state "$BATS_TEST_TMPDIR/before"
	HOMESETUP_TEST_PROC=$proc mig_migrate run alice
	assert_status 1
	# 2: bash and the helper, not sshd
	[[ $stderr == *"migrate.session: alice runs 2 processes"* ]] || fail "the reason is not given: $output$stderr"
	[[ $stderr == *"fix: stop them: loginctl terminate-user alice"* ]] || fail "no fix: $output$stderr"
	[[ $stderr == *"nothing was changed"* ]] || fail "not said that nothing changed: $stderr"
	assert_root_unchanged "$BATS_TEST_TMPDIR/before"
	mig_assert_original alice
	[ -z "$(mig_calls create)$(mig_calls with)$(mig_calls remove)" ] || fail "homectl was asked to act: $(mig_calls)"
	mig_assert_no_password alice
	hs --root "$ROOT" migrate status alice --json
	assert_status 1
	assert_json 'd["phase"] == "none" and d["steps"] == []'

	# once they are gone, the same root migrates: the processes were the reason
	rm -r "$proc/4242" "$proc/4244"
	HOMESETUP_TEST_PROC=$proc mig_migrate run alice
	assert_status 0
	mig_assert_migrated alice
}
