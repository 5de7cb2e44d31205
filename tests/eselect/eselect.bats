#!/usr/bin/env bats
# eselect/homed.eselect, run through tests/eselect/eselect (a shim of eselect's module API and output format;
# eselect is not packaged on Debian): every action, on Gentoo-shaped roots in temp dirs, with the real
# homesetup CLI and with a scripted one (to pin the exact arguments and to reach every branch), plus the
# rules of an eselect module (nothing runs at global scope, no eval) and the shim's own fidelity.

# Inner scripts are single-quoted on purpose (SC2016); bats sets $stderr and $output (SC2154).
# shellcheck disable=SC2016,SC2154
load ../lib/common

ESELECT="$HS_TOP/tests/eselect/eselect"
MODULE="$HS_TOP/eselect/homed.eselect"

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/home/.eselect/modules" "$T/cli" "$T/fake" "$T/nocli"
	ln -s "$MODULE" "$T/home/.eselect/modules/homed.eselect"
	ln -s "$HOMESETUP" "$T/cli/homesetup"
	R=$T/root
	mkdir -p "$R/etc"
	cp "$HS_TOP/examples/demo-root/etc/passwd" "$R/etc/passwd"
}

# es ARGS...: the shim with the module installed in $HOME/.eselect/modules, ROOT=$R, the real CLI in PATH
# (override with PATH=… ROOT=… before the call: es_env VAR=VALUE... -- ARGS...).
es() {
	run --separate-stderr env -i HOME="$T/home" PATH="$T/cli:/usr/bin:/bin" ROOT="$R" COLUMNS=80 \
		bash "$ESELECT" "$@"
}
es_env() {
	local -a vars=()
	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	run --separate-stderr env -i HOME="$T/home" PATH="$T/cli:/usr/bin:/bin" ROOT="$R" COLUMNS=80 "${vars[@]}" \
		bash "$ESELECT" "$@"
}

# A scripted homesetup: each call is logged to $T/fake/calls (arguments joined by '|'); the answer to
# "ARGS" (after --root DIR, joined by '_') is $T/fake/ARGS.out on stdout, $T/fake/ARGS.err on stderr and
# $T/fake/ARGS.rc as the status (default 0).
use_fake_cli() {
	rm -f "$T/cli/homesetup"
	{
		printf '#!/bin/bash\nd=%q\n' "$T/fake"
		cat <<'EOF'
(IFS='|'; printf '%s\n' "$*") >> "$d/calls"
[ "$1" = --root ] && shift 2
key=$(IFS=_; printf '%s' "$*")
[ -f "$d/$key.out" ] && cat "$d/$key.out"
[ -f "$d/$key.err" ] && cat "$d/$key.err" >&2
exit "$(cat "$d/$key.rc" 2> /dev/null || echo 0)"
EOF
	} > "$T/cli/homesetup"
	chmod +x "$T/cli/homesetup"
}
fake_answer() { # KEY STATUS [STDOUT]
	printf '%s' "${3-}" > "$T/fake/$1.out"
	echo "$2" > "$T/fake/$1.rc"
}
calls() { cat "$T/fake/calls" 2> /dev/null; }

assert_stdout() {
	if [ "$output" != "$1" ]; then
		diff -u <(printf '%s\n' "$1") <(printf '%s\n' "$output") | sed 's/^/# /' >&2
		_hs_dump
		fail "stdout differs"
	fi
}

# ---- the module is a well-behaved eselect module ----------------------------------------------------------

@test "sourcing the module in a clean shell prints nothing, runs nothing but the three assignments, defines nothing else" {
	run env -i PATH=/usr/bin:/bin bash --norc --noprofile -c '
		set -T
		vars0=$(compgen -v | LC_ALL=C sort)
		trap "printf \"%s\n\" \"\$BASH_COMMAND\" >> \"$2/commands\"" DEBUG
		source "$1" > "$2/out" 2>&1
		trap - DEBUG
		vars1=$(compgen -v | LC_ALL=C sort)
		LC_ALL=C comm -13 <(echo "$vars0") <(echo "$vars1") | grep -v -x -e vars0 -e BASH_COMMAND -e _ > "$2/newvars"
		declare -F | cut -d" " -f3 > "$2/functions"' _ "$MODULE" "$T"
	[ "$status" -eq 0 ] || fail "the sourcing shell failed: $output"
	[ ! -s "$T/out" ] || fail "sourcing printed: $(cat "$T/out")"
	[ "$(sed '1d;$d' "$T/commands")" = 'DESCRIPTION="Prepare this system for systemd-homed and see where its users'"'"' homes stand"
MAINTAINER="homesetup authors <maintainers@users.noreply.r-seed-2fbd2074.example>"
VERSION="0.1.0"' ] || fail "commands run at global scope: $(cat "$T/commands")"
	[ "$(cat "$T/newvars")" = "$(printf 'DESCRIPTION\nMAINTAINER\nVERSION')" ] ||
		fail "variables defined: $(cat "$T/newvars")"
	# every action has its description
	local f
	while read -r f; do
		grep -qx "describe_${f#do_}" "$T/functions" || fail "$f has no describe_${f#do_}"
	done < <(grep '^do_' "$T/functions")
	for f in do_list do_show do_check do_enable do_disable; do
		grep -qx "$f" "$T/functions" || fail "$f is missing"
	done
}

@test "the module never uses eval, and the header follows eselect's convention" {
	run grep -nwE 'eval' <(grep -v '^[[:space:]]*#' "$MODULE")
	[ "$status" -eq 1 ] || fail "eval used: $output"
	[ "$(sed -n 1p "$MODULE")" = "# -*-eselect-*-  vim: ft=eselect" ] || fail "first line: $(sed -n 1p "$MODULE")"
	grep -q '^# Distributed under the terms of the GNU GPL version 2 or later$' "$MODULE" || fail "no licence line"
}

@test "shellcheck: the module and the shim" {
	command -v shellcheck > /dev/null || skip "shellcheck is not installed"
	run shellcheck -s bash "$MODULE" "$ESELECT"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "version and help" {
	es homed version
	assert_status 0
	assert_stdout "homed.eselect 0.1.0"
	# the module's version is the package's
	[ "homesetup ${output#homed.eselect }" = "$("$HOMESETUP" --version)" ] || fail "VERSION differs from homesetup --version"

	es homed help
	assert_status 0
	assert_stdout "Prepare this system for systemd-homed and see where its users' homes stand
Usage: eselect homed <action> <options>

Standard actions:
  help                      Display help text
  usage                     Display usage information
  version                   Display version information

Extra actions:
  check [--verbose]         Show the full readiness report and the fixes
    --verbose, -v             also detail the checks that passed
  disable [--pretend|--ask] Undo the USE changes made by 'enable', only those
    --pretend, -p             show the change as a diff, write nothing
    --ask, -a                 show the change, ask before writing it
  enable [--pretend|--ask]  Enable the USE flags homed needs (package.use)
    --pretend, -p             show the change as a diff, write nothing
    --ask, -a                 show the change, ask before writing it
  list                      List regular users and the state of their homes
  show                      Show the readiness verdict of each group of checks"
	# no line is wider than an 80-column terminal
	while IFS= read -r line; do
		[ "${#line}" -le 80 ] || fail "line wider than 80 columns: $line"
	done <<< "$output"
}

@test "an unknown action or option dies as eselect does (exit 249, !!! Error:)" {
	es homed frobnicate
	assert_status 249
	[ "$stderr" = "!!! Error: Action frobnicate unknown" ] || fail "stderr: $stderr"
	es homed list extra
	assert_status 249
	[ "$stderr" = "!!! Error: Too many parameters" ] || fail "stderr: $stderr"
	use_fake_cli
	es homed enable --force
	assert_status 249
	[ "$stderr" = "!!! Error: Unknown option '--force' (valid: --pretend, --ask)" ] || fail "stderr: $stderr"
	[ -z "$(calls)" ] || fail "homesetup was called: $(calls)"
	es homed check --bogus
	assert_status 249
}

@test "without homesetup every action says what to install" {
	local a
	for a in list show check enable disable; do
		es_env PATH="$T/nocli:/usr/bin:/bin" -- homed "$a"
		if PATH="$T/nocli:/usr/bin:/bin" type -P homesetup > /dev/null; then
			skip "a homesetup is installed in /usr/bin"
		fi
		assert_status 249
		[ "$stderr" = "!!! Error: homesetup is not installed or not in PATH (emerge --ask app-admin/homesetup)" ] ||
			fail "$a: stderr: $stderr"
	done
}

# ---- list ---------------------------------------------------------------------------------------------------

@test "list: the regular users of ROOT with their state, from the real homesetup users" {
	printf 'carol:x:1002:100:Carol:/home/carol:/bin/zsh\nsvc:x:1003:100::/srv:/sbin/nologin\n' >> "$R/etc/passwd"
	mkdir -p "$R/var/lib/systemd/home" "$R/var/lib/homesetup/migrate"
	echo '{}' > "$R/var/lib/systemd/home/bob.identity"
	: > "$R/var/lib/homesetup/migrate/carol.json"
	es homed list
	assert_status 0
	assert_stdout "Regular users of $R and their homes:
  alice                     traditional
  bob                       homed
  carol                     migration in progress"
	es --brief homed list
	assert_status 0
	assert_stdout "  alice                     traditional
  bob                       homed
  carol                     migration in progress"
}

@test "list: colours only with --colour=yes (homed highlighted, a migration as a warning)" {
	mkdir -p "$R/var/lib/systemd/home"
	: > "$R/var/lib/systemd/home/bob.identity"
	es --colour=yes homed list
	assert_status 0
	[[ $output == *$'\e[34m\e[1mhomed'* ]] || fail "homed is not highlighted: $(printf '%q' "$output")"
	es --colour=no homed list
	[[ $output != *$'\e'* ]] || fail "colour escapes without colour"
}

@test "list: no regular user" {
	printf 'root:x:0:0::/root:/bin/bash\n' > "$R/etc/passwd"
	es homed list
	assert_status 0
	assert_stdout "Regular users of $R and their homes:
  (none found)"
}

@test "list: EROOT is ROOT plus EPREFIX" {
	mkdir -p "$R/gentoo/etc"
	printf 'dave:x:1000:1000::/home/dave:/bin/bash\n' > "$R/gentoo/etc/passwd"
	es_env EPREFIX=/gentoo -- homed list
	assert_status 0
	assert_stdout "Regular users of $R/gentoo and their homes:
  dave                      traditional"
}

@test "list: the exact call, and a failing homesetup dies" {
	use_fake_cli
	fake_answer users_--kv 0 $'name=eve\tuid=1000\tstate=unknown\terror=/var/lib/systemd/home: Permission denied\nname=tab\\tuser\tstate=homed\n'
	es homed list
	assert_status 0
	[ "$(calls)" = "--root|$R|users|--kv" ] || fail "calls: $(calls)"
	assert_stdout "Regular users of $R and their homes:
  eve                       unknown
                            /var/lib/systemd/home: Permission denied
  tab	user                  homed"
	fake_answer users_--kv 2
	es homed list
	assert_status 249
	[ "$stderr" = "!!! Error: homesetup users failed (exit status 2)" ] || fail "stderr: $stderr"
}

# ---- homesetup users: the data behind list ------------------------------------------------------------------

@test "homesetup users: regular users only, in file order, states, and every output form" {
	cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
# a comment
+nisuser::::::
alice:x:1000:1000:Alice Example:/home/alice:/bin/bash
svc:x:1001:1001::/var/svc:/usr/sbin/nologin
nobody2:x:1002:1002::/:/bin/false
bob:x:60000:100:Bob\tTab:/home/bob:
eve:x:60001:100::/home/eve:/bin/sh
carol:x:1500:100::/home/carol:/bin/zsh
EOF
	mkdir -p "$R/var/lib/systemd/home" "$R/var/lib/homesetup/migrate"
	: > "$R/var/lib/systemd/home/carol.identity"
	: > "$R/var/lib/homesetup/migrate/carol.json"
	: > "$R/var/lib/systemd/home/bob.identity"
	hs users --root "$R" --kv
	assert_status 0
	assert_output "name=alice	uid=1000	gid=1000	home=/home/alice	shell=/bin/bash	state=traditional	gecos=Alice Example
name=bob	uid=60000	gid=100	home=/home/bob	shell=/bin/sh	state=homed	gecos=Bob\\\\tTab
name=carol	uid=1500	gid=100	home=/home/carol	shell=/bin/zsh	state=migrating	gecos="
	hs users --root "$R" --json
	assert_status 0
	assert_json 'd["root"] == "'"$R"'" and [u["name"] for u in d["users"]] == ["alice", "bob", "carol"]'
	assert_json '[u["state"] for u in d["users"]] == ["traditional", "homed", "migrating"]'
	assert_json 'd["users"][1]["identity"] == "/var/lib/systemd/home/bob.identity" and d["users"][1]["journal"] is None'
	assert_json 'd["users"][2]["journal"] == "/var/lib/homesetup/migrate/carol.json" and d["users"][1]["gecos"] == "Bob\\tTab"'
	hs users --root "$R"
	assert_status 0
	assert_output "USER     UID  STATE                  HOME
alice   1000  traditional            /home/alice
bob    60000  homed                  /home/bob
carol   1500  migration in progress  /home/carol"
}

@test "homesetup users: bad lines are skipped with file:line warnings; the first of two entries counts" {
	cat > "$R/etc/passwd" <<'EOF'
alice:x:1000:1000::/home/alice:/bin/bash
short:x:1001
bad:x:10x0:100::/home/bad:/bin/bash
alice:x:1003:100::/elsewhere:/bin/bash
../evil:x:1004:100::/home/evil:/bin/bash
+nisuser::::::
EOF
	printf 'users:x:100\n' > "$R/etc/group"
	hs users --root "$R" --kv
	assert_status 0
	assert_output "name=alice	uid=1000	gid=1000	home=/home/alice	shell=/bin/bash	state=traditional	gecos="
	assert_stderr_contains "homesetup: warning: /etc/passwd:2: line ignored: expected 7 fields separated by ':', found 3"
	assert_stderr_contains "homesetup: warning: /etc/passwd:3: line ignored: invalid UID '10x0' at column 7"
	assert_stderr_contains "homesetup: warning: /etc/passwd:4: user 'alice' appears again (first at line 1); the first entry counts"
	assert_stderr_contains "homesetup: warning: /etc/passwd:5: user '../evil' ignored: the name cannot be a file name"
	assert_stderr_contains "homesetup: warning: /etc/passwd:6: NIS compat entry '+nisuser' kept as is; homesetup does not look it up"
	assert_stderr_contains "homesetup: warning: /etc/group:1: line ignored: expected 4 fields separated by ':', found 3"
}

@test "homesetup users: no passwd, usage errors" {
	rm "$R/etc/passwd"
	hs users --root "$R"
	assert_status 2
	assert_stderr_contains "homesetup: cannot read the user database: /etc/passwd: does not exist under ROOT '$R'"
	hs users --root "$R" extra
	assert_status 2
	hs users --kv --json --root "$R"
	assert_status 2
	assert_stderr_contains "--kv and --json are exclusive"
	hs help users
	assert_status 0
	assert_output_contains "Usage: homesetup users"
}

@test "homesetup users: a record symlinked out of ROOT is not followed out of it" {
	mkdir -p "$R/var/lib/systemd/home" "$T/outside"
	: > "$T/outside/alice.identity"
	ln -s "$T/outside/alice.identity" "$R/var/lib/systemd/home/alice.identity"
	ln -s /nonexistent-in-root "$R/var/lib/systemd/home/bob.identity"
	hs users --root "$R" --kv
	assert_status 0
	[[ ${lines[0]} == *state=traditional* || ${lines[0]} == *state=unknown* ]] ||
		fail "a symlink leading out of ROOT was followed: ${lines[0]}"
}

# ---- show ---------------------------------------------------------------------------------------------------

@test "show: the worst status of each group (FAIL > WARN > SKIP > OK), in the report's order, from check --kv" {
	use_fake_cli
	fake_answer check_--kv 1 "$(printf '%s\n' \
		$'id=use.systemd.homed\tgroup=use\tstatus=OK\tsummary=homed is on' \
		$'id=use.systemd.requse\tgroup=use\tstatus=FAIL\tsummary=REQUIRED_USE\tfix=homesetup use enable' \
		$'id=vdb.systemd.built\tgroup=vdb\tstatus=WARN\tsummary=rebuild needed' \
		$'id=service.homed.active\tgroup=service\tstatus=SKIP\tsummary=not PID 1' \
		$'id=nss.passwd\tgroup=nss\tstatus=OK\tsummary=ok' \
		$'id=nss.group\tgroup=nss\tstatus=SKIP\tsummary=skipped')"
	es homed show
	assert_status 0
	[ "$(calls)" = "--root|$R|check|--kv" ] || fail "calls: $(calls)"
	assert_stdout "systemd-homed readiness of $R:
  use                       FAIL
  vdb                       WARN
  service                   SKIP
  nss                       SKIP

Run 'eselect homed check' for the details and the fix of each problem."
	es --brief homed show
	assert_stdout "  use                       FAIL
  vdb                       WARN
  service                   SKIP
  nss                       SKIP"
}

@test "show: all OK says nothing more" {
	use_fake_cli
	fake_answer check_--kv 0 $'id=a\tgroup=use\tstatus=OK\nid=b\tgroup=pam\tstatus=OK\n'
	es homed show
	assert_status 0
	assert_stdout "systemd-homed readiness of $R:
  use                       OK
  pam                       OK"
}

@test "show: a homesetup check that cannot run dies with its status" {
	use_fake_cli
	fake_answer check_--kv 2
	printf "homesetup: check: out of memory\n" > "$T/fake/check_--kv.err"
	es homed show
	assert_status 249
	[ "$stderr" = "homesetup: check: out of memory
!!! Error: homesetup check could not run (exit status 2); see 'eselect homed check'" ] || fail "stderr: $stderr"
	[ -z "$output" ] || fail "stdout: $output"
}

@test "show: with the real CLI on the demo root, each group's verdict is the worst of its checks" {
	"$HOMESETUP" help check > /dev/null 2>&1 || skip "this homesetup has no check command yet"
	local demo=$HS_TOP/examples/demo-root want
	# the same summary computed independently (awk) from the records of homesetup check --kv
	want=$("$HOMESETUP" --root "$demo" check --kv 2> /dev/null | awk -F '\t' '
		BEGIN { r["OK"] = 0; r["SKIP"] = 1; r["WARN"] = 2; r["FAIL"] = 3 }
		{ g = ""; st = ""
		  for (i = 1; i <= NF; i++) { if ($i ~ /^group=/) g = substr($i, 7); if ($i ~ /^status=/) st = substr($i, 8) }
		  if (!(g in v)) { order[n++] = g; v[g] = st } else if (r[st] > r[v[g]]) v[g] = st }
		END { for (i = 0; i < n; i++) printf "  %-26s%s\n", order[i], v[order[i]] }')
	[ -n "$want" ] || fail "homesetup check --kv printed nothing"
	es_env ROOT="$demo" -- --brief homed show
	assert_status 0
	assert_stdout "$want"
}

# ---- check --------------------------------------------------------------------------------------------------

@test "check: homesetup's report, its status (0 or 1), --verbose passed on, status 2 dies" {
	use_fake_cli
	fake_answer check 1 $' * Installed packages\n * systemd built without homed   [ !! ]\n   fix: emerge\n'
	es homed check
	assert_status 1
	assert_stdout " * Installed packages
 * systemd built without homed   [ !! ]
   fix: emerge"
	fake_answer check_--verbose 0 "all fine"
	es homed check -v
	assert_status 0
	assert_stdout "all fine"
	[ "$(calls | tail -n1)" = "--root|$R|check|--verbose" ] || fail "calls: $(calls)"
	fake_answer check 2
	es homed check
	assert_status 249
	[ "$stderr" = "!!! Error: homesetup check could not run (exit status 2)" ] || fail "stderr: $stderr"
}

@test "check: with the real CLI, exactly what homesetup check prints, with its status" {
	"$HOMESETUP" help check > /dev/null 2>&1 || skip "this homesetup has no check command yet"
	local demo=$HS_TOP/examples/demo-root want rc=0
	want=$(NO_COLOR=1 "$HOMESETUP" --root "$demo" check 2> /dev/null) || rc=$?
	[ "$rc" -le 1 ] || skip "homesetup check cannot run on the demo root here (status $rc)"
	es_env ROOT="$demo" NO_COLOR=1 -- homed check
	assert_status "$rc"
	# the same report; numbers (free space, versions of a live system) may move between two runs
	# (sed, not ${var//+([0-9])/N}: bash's extglob substitution is cubic in the length of the text)
	[ "$(printf '%s\n' "$output" | sed -E 's/[0-9][0-9.]*/N/g')" = \
		"$(printf '%s\n' "$want" | sed -E 's/[0-9][0-9.]*/N/g')" ] ||
		fail "eselect homed check differs from homesetup check:
$(diff <(echo "$want") <(echo "$output"))"
}

# ---- enable / disable -----------------------------------------------------------------------------------------

@test "enable/disable: homesetup use enable / use revert on EROOT, with --pretend and --ask passed on" {
	use_fake_cli
	es homed enable
	assert_status 0
	es homed enable --pretend
	es homed enable -p
	es homed enable --ask
	es homed enable -a
	es homed disable
	es homed disable --pretend
	es homed disable -a
	[ "$(calls)" = "--root|$R|use|enable
--root|$R|use|enable|--pretend
--root|$R|use|enable|--pretend
--root|$R|use|enable|--ask
--root|$R|use|enable|--ask
--root|$R|use|revert
--root|$R|use|revert|--pretend
--root|$R|use|revert|--ask" ] || fail "calls: $(calls)"
}

@test "enable/disable: status 1 is passed on, status 2 dies saying nothing was changed" {
	use_fake_cli
	fake_answer use_enable_--pretend 1 "--- a/etc/portage/package.use/homed"
	es homed enable --pretend
	assert_status 1
	assert_stdout "--- a/etc/portage/package.use/homed"
	fake_answer use_enable 2
	printf 'homesetup: use enable: /etc/portage/make.conf:3: cannot edit\n' > "$T/fake/use_enable.err"
	es homed enable
	assert_status 249
	[ "$stderr" = "homesetup: use enable: /etc/portage/make.conf:3: cannot edit
!!! Error: homesetup use enable did not complete (exit status 2); nothing was changed" ] || fail "stderr: $stderr"
	fake_answer use_revert 2
	es homed disable
	assert_status 249
	[[ $stderr == *"!!! Error: homesetup use revert did not complete (exit status 2); nothing was changed" ]] ||
		fail "stderr: $stderr"
}

@test "enable --pretend with the real CLI writes nothing under ROOT" {
	"$HOMESETUP" help use 2> /dev/null | grep -q 'use enable' || skip "this homesetup has no 'use enable' yet"
	local demo=$T/demo
	cp -a "$HS_TOP/examples/demo-root" "$demo"
	local before after
	before=$(cd "$demo" && find . -type f -exec md5sum {} + | sort)
	es_env ROOT="$demo" -- homed enable --pretend
	[ "$status" -le 1 ] || fail "status $status: $stderr"
	after=$(cd "$demo" && find . -type f -exec md5sum {} + | sort)
	[ "$before" = "$after" ] || fail "--pretend changed files: $(diff <(echo "$before") <(echo "$after"))"
}

# ---- the shim is faithful to eselect's output format ------------------------------------------------------------

# shim 'bash code using the API': run it inside a module action.
shim() {
	mkdir -p "$T/home/.eselect/modules"
	printf 'do_t() {\n%s\n}\n' "$1" > "$T/home/.eselect/modules/shimtest.eselect"
	shift
	es "$@" shimtest t
}

@test "shim: write_kv_list_entry puts the value at column 28, pushes it down after a long key, wraps at COLUMNS" {
	shim 'write_list_start "Header:"
write_kv_list_entry "key" "value"
write_kv_list_entry "a-key-of-exactly-26-chars!" "v"
write_kv_list_entry "a-key-that-is-27-chars-long" "v"
write_kv_list_entry "  sub" "  indented value"
write_kv_list_entry "wrap" "one two three four five six seven eight nine ten eleven twelve thirteen"
write_kv_list_entry "$(highlight hi)" "$(highlight_warning warn) plain"
write_kv_list_entry "empty" ""'
	assert_status 0
	assert_stdout "Header:
  key                       value
  a-key-of-exactly-26-chars!
                            v
  a-key-that-is-27-chars-long
                            v
    sub                       indented value
  wrap                      one two three four five six seven eight nine ten
                            eleven twelve thirteen
  hi                        warn plain
  empty"
	shim 'write_kv_list_entry "a-key-that-is-27-chars-long" "v"' --brief
	assert_stdout "  a-key-that-is-27-chars-long v"
}

@test "shim: numbered lists, markers, brief mode, messages" {
	shim 'write_list_start "Pick:"
write_numbered_list_entry 1 "first"
write_numbered_list_entry 10 "$(highlight_marker tenth)"
write_numbered_list -m "(none found)"
write_numbered_list a b
write_warning_msg "careful"'
	assert_status 0
	assert_stdout "Pick:
  [1]   first
  [10]  tenth *
  (none found)
  [1]   a
  [2]   b"
	[ "$stderr" = "!!! Warning: careful" ] || fail "stderr: $stderr"
	shim 'write_list_start "Pick:"
write_numbered_list a b
highlight_marker x; echo' --brief
	assert_stdout "a
b
x"
}

@test "shim: die with and without -q, eval forbidden, has/is_number/is_function" {
	shim 'die -q "quiet"'
	assert_status 249
	[ "$stderr" = "!!! Error: quiet" ] || fail "stderr: $stderr"
	shim 'die "loud"'
	assert_status 249
	[[ $stderr == "!!! Error: loud"$'\n'"Call stack:"* ]] || fail "stderr: $stderr"
	shim 'eval "echo hi"'
	assert_status 249
	[[ $stderr == "!!! Error: Don't use eval. Find another way."* ]] || fail "stderr: $stderr"
	shim 'has b a b c && ! has d a b c && is_number 42 && ! is_number 4x && ! is_number "" && is_function do_t && ! is_function nope && echo ok'
	assert_stdout "ok"
}
