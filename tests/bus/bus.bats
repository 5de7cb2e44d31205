#!/usr/bin/env bats
# The sd-bus code over a real bus: each test starts a private dbus-daemon (generated config, its own socket)
# and, when it needs one, the test peer tests/bus/fake-systemd.c, which plays systemd
# (org.freedesktop.systemd1) and systemd-homed (org.freedesktop.home1) with the failure modes the test asks
# for. teardown stops both by PID and checks that nothing is left; both also have a hard lifetime (timeout(1)
# and --lifetime), so even a killed bats leaves nothing running for long.

load ../lib/common

FAKE="${HS_BUILD:-$HS_TOP}/.obj/tests/fake-systemd"
IDS="service.pid1 service.systemd-version service.homed.unit-file service.homed.active service.userdbd.unit-file service.userdbd.active"

setup() {
	command -v dbus-daemon > /dev/null || skip "dbus-daemon is not installed (Debian package dbus-daemon)"
	[ -x "$FAKE" ] || fail "the test peer is not built: $FAKE (run 'make check')"
	# Short: a unix socket path must fit in 108 bytes, and BATS_TEST_TMPDIR can be long.
	BUS_DIR=$(mktemp -d /tmp/hs-bus.XXXXXX)
	BUS="unix:path=$BUS_DIR/bus"
	BUS_PID='' PEER_PID=''
}

# Stop a process we started, by PID: TERM, up to 5 s, then KILL; reap it.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	if kill "$pid" 2> /dev/null; then
		for _ in $(seq 50); do
			kill -0 "$pid" 2> /dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2> /dev/null || true
	fi
	wait "$pid" 2> /dev/null || true
}

teardown() {
	stop_pid "${PEER_PID:-}"
	stop_pid "${BUS_PID:-}"
	if [ -n "${BUS_DIR:-}" ]; then
		# Nothing may survive the test: no process still has our directory on its command line.
		local left
		left=$(leftovers)
		rm -rf "$BUS_DIR"
		[ -z "$left" ] || fail "processes of this test are still running: $left"
	fi
}

# PIDs of processes whose command line mentions $BUS_DIR (bash builtins only: no procps needed).
leftovers() {
	local f args
	for f in /proc/[0-9]*/cmdline; do
		mapfile -d '' args < "$f" 2> /dev/null || continue
		[[ "${args[*]}" == *"$BUS_DIR"* ]] && { f=${f#/proc/}; printf '%s ' "${f%/cmdline}"; }
	done
	return 0
}

wait_for_file() { # FILE: up to 30 s (a loaded machine, ASan) for it to be non-empty
	for _ in $(seq 300); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# A private bus: the policy of a session bus, plus EXTRA (XML rules inside <policy context="default">).
start_bus() { # [EXTRA]
	cat > "$BUS_DIR/bus.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <listen>$BUS</listen>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow send_destination="*" eavesdrop="true"/>
		    <allow eavesdrop="true"/>
		    <allow own="*"/>
		    ${1:-}
		  </policy>
		</busconfig>
	EOF
	timeout 300 dbus-daemon --config-file="$BUS_DIR/bus.conf" --nofork --nosyslog --print-address=3 \
		3> "$BUS_DIR/address" > "$BUS_DIR/dbus.log" 2>&1 &
	BUS_PID=$!
	wait_for_file "$BUS_DIR/address" || fail "dbus-daemon did not start: $(cat "$BUS_DIR/dbus.log")"
}

# The test peer on the bus, with fake-systemd's options; every call it receives is logged in $BUS_DIR/calls.
start_peer() {
	rm -f "$BUS_DIR/ready"
	"$FAKE" --address "$BUS" --ready-file "$BUS_DIR/ready" --log "$BUS_DIR/calls" --lifetime 240 "$@" \
		> "$BUS_DIR/peer.log" 2>&1 3>&- &
	PEER_PID=$!
	wait_for_file "$BUS_DIR/ready" || fail "fake-systemd did not start: $(cat "$BUS_DIR/peer.log")"
}

calls() {
	cat "$BUS_DIR/calls" 2> /dev/null || true
}

# Units as a healthy system has them.
HOMED_OK=(--unit "systemd-homed.service=enabled,loaded,active,running")
USERDBD_OK=(--unit "systemd-userdbd.service=enabled,loaded,active,running")

# assert_results PYTHON-EXPR: on `check --json` output, with R = {id: result} and S = {id: status}.
# (One python3 per assertion: it takes a good part of a second to start on slow machines.)
assert_results() {
	assert_json "(lambda R: (lambda S: $1)({i: r['status'] for i, r in R.items()}))({r['id']: r for r in d['results']})"
}

@test "teardown finds our processes, and stops them" {
	start_bus
	start_peer
	local left
	left=$(leftovers)
	[[ " $left" == *" $BUS_PID "* && " $left" == *" $PEER_PID "* ]] || fail "leftovers missed them: '$left' (bus $BUS_PID, peer $PEER_PID)"
	stop_pid "$PEER_PID"
	stop_pid "$BUS_PID"
	[ -z "$(leftovers)" ] || fail "still running: $(leftovers)"
	BUS_PID='' PEER_PID=''
}

# ---- homesetup check --only service -----------------------------------------------------------------------------

@test "check: every service check OK on a healthy system; the check only reads" {
	start_bus
	start_peer --version 257.1 "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service --json
	assert_status 0
	assert_json "[r['id'] for r in d['results']] == '$IDS'.split() and all(r['status'] == 'OK' for r in d['results'])"
	assert_results "R['service.pid1']['summary'] == 'systemd 257.1 answers on the bus at $BUS' and
		'258' in R['service.systemd-version']['detail'] and
		R['service.homed.active']['summary'] == 'systemd-homed.service is active (running)'"
	if calls | grep -E 'Enable|Start|Reload|Reexecute'; then
		fail "homesetup check changed something"
	fi
}

@test "check: a disabled, inactive homed FAILs with 'homesetup service enable'; a listening userdbd socket is OK" {
	start_bus
	start_peer --unit systemd-homed.service=disabled \
		--unit systemd-userdbd.service=static,loaded,inactive,dead \
		--unit systemd-userdbd.socket=enabled,loaded,active,listening
	hs check --bus-address "$BUS" --only service --json
	assert_status 1
	assert_results "S['service.homed.unit-file'] == S['service.homed.active'] == 'FAIL' and
		R['service.homed.unit-file']['summary'] == 'systemd-homed.service is disabled' and
		R['service.homed.unit-file']['fix'] == R['service.homed.active']['fix'] == 'homesetup service enable' and
		R['service.homed.active']['summary'] == 'systemd-homed.service is inactive (dead)' and
		S['service.userdbd.unit-file'] == S['service.userdbd.active'] == 'OK' and
		'static' in R['service.userdbd.unit-file']['summary'] and
		'systemd-userdbd.socket is listening' in R['service.userdbd.active']['summary']"
	# the human report carries the fix after the FAIL
	hs check --bus-address "$BUS" --only service.homed.unit-file
	assert_status 1
	assert_output_contains "systemd-homed.service is disabled"
	assert_output_contains "fix: homesetup service enable"
}

@test "check: a masked homed FAILs with 'systemctl unmask'" {
	start_bus
	start_peer --unit systemd-homed.service=masked,masked,inactive,dead "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service --json
	assert_status 1
	assert_results "S['service.homed.unit-file'] == S['service.homed.active'] == 'FAIL' and
		R['service.homed.unit-file']['fix'] == 'systemctl unmask systemd-homed.service && homesetup service enable' and
		R['service.homed.active']['summary'] == 'systemd-homed.service is masked'"
}

@test "check: no homed unit at all: 'systemd was built without homed', with the emerge fix" {
	start_bus
	start_peer "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service --json
	assert_status 1
	assert_results "all(S[i] == 'FAIL' and
		R[i]['summary'] == 'systemd-homed.service does not exist: systemd was built without homed' and
		'emerge --ask --oneshot --changed-use sys-apps/systemd' in R[i]['fix']
		for i in ('service.homed.unit-file', 'service.homed.active')) and S['service.userdbd.active'] == 'OK'"
}

@test "check: a failed homed FAILs and points at its journal; an activating one WARNs" {
	start_bus
	start_peer --unit systemd-homed.service=enabled,loaded,failed,failed \
		--unit systemd-userdbd.service=enabled,loaded,activating,start
	hs check --bus-address "$BUS" --only service --json
	assert_status 1
	assert_results "S['service.homed.active'] == 'FAIL' and
		R['service.homed.active']['summary'] == 'systemd-homed.service has failed (failed)' and
		'journalctl -b -u systemd-homed.service' in R['service.homed.active']['detail'] and
		R['service.homed.active']['fix'] == 'homesetup service enable' and S['service.userdbd.active'] == 'WARN' and
		R['service.userdbd.active']['summary'] == 'systemd-userdbd.service is activating (start)'"
}

@test "check: systemd versions: 244 FAILs, 258 is OK without a note, an unreadable one WARNs" {
	start_bus
	start_peer --version 244.5 "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service.systemd-version --json
	assert_status 1
	assert_results "S['service.systemd-version'] == 'FAIL' and
		R['service.systemd-version']['summary'] == 'systemd 244.5 is too old for systemd-homed (it needs 245 or later)' and
		'homesetup service reexec' in R['service.systemd-version']['fix']"
	stop_pid "$PEER_PID"
	start_peer --version v258-rc1
	hs check --bus-address "$BUS" --only service.systemd-version --json
	assert_status 0
	assert_results "S['service.systemd-version'] == 'OK' and R['service.systemd-version']['detail'] is None"
	stop_pid "$PEER_PID"
	start_peer --version unknown
	hs check --bus-address "$BUS" --only service.systemd-version --json
	assert_status 0
	assert_results "S['service.systemd-version'] == 'WARN' and \"from 'unknown'\" in R['service.systemd-version']['summary']"
}

@test "check: systemd not on the bus (ServiceUnknown): pid1 FAILs, the rest SKIP with the reason" {
	start_bus
	start_peer --no-systemd1
	hs check --bus-address "$BUS" --only service --json
	assert_status 1
	local msg="systemd is not reachable on the bus at $BUS: The name org.freedesktop.systemd1 was not provided by any .service files"
	assert_results "S['service.pid1'] == 'FAIL' and
		R['service.pid1']['summary'] == 'systemd does not answer on the bus at $BUS' and
		R['service.pid1']['detail'] == '$msg' and
		all(S[i] == 'SKIP' and R[i]['summary'] == '$msg' for i in '$IDS'.split()[1:])"
}

@test "check: no bus at the address: the connection error, nothing else tried" {
	hs check --bus-address "unix:path=$BUS_DIR/nothing-here" --only service --json
	assert_status 1
	assert_results "S['service.pid1'] == 'FAIL' and
		R['service.pid1']['detail'] == 'cannot connect to the D-Bus bus at unix:path=$BUS_DIR/nothing-here: No such file or directory' and
		S['service.homed.active'] == 'SKIP' and R['service.homed.active']['summary'].startswith('cannot connect to the D-Bus bus')"
}

# The timeout check uses: --bus-timeout 0.5 when `check` passes it on, else the library's 5 s. Sets $T.
effective_timeout() { # JSON-ID
	T=$(printf '%s' "$output" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
r = next(x for x in d["results"] if x["id"] == sys.argv[1])
m = re.search(r"within ([0-9.]+) s", (r["summary"] or "") + " " + (r["detail"] or ""))
print(m.group(1) if m else "none")' "$1")
	case $T in 0.5 | 5) ;; *) _hs_dump; fail "no timeout message in $1 (got '$T')" ;; esac
}

@test "check: a bus that accepts and never answers does not hang" {
	"$FAKE" --silent-socket "$BUS_DIR/silent" --ready-file "$BUS_DIR/ready" --lifetime 60 > "$BUS_DIR/peer.log" 2>&1 3>&- &
	PEER_PID=$!
	wait_for_file "$BUS_DIR/ready" || fail "the silent socket did not start"
	local t0=$SECONDS
	hs check --bus-address "unix:path=$BUS_DIR/silent" --bus-timeout 0.5 --only service --json
	assert_status 1
	effective_timeout service.pid1
	# bounded by the timeout, with room for a loaded machine (sd-bus alone would wait 90 s for authentication)
	[ $((SECONDS - t0)) -le 15 ] || fail "took $((SECONDS - t0)) s"
	assert_results "S['service.pid1'] == 'FAIL' and
		R['service.pid1']['detail'] == 'no answer from the D-Bus bus at unix:path=$BUS_DIR/silent within $T s'"
}

@test "check: a call that gets no answer in time SKIPs it and the rest, within the timeout" {
	start_bus
	start_peer --sleep GetUnitFileState=8 "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	local t0=$SECONDS
	hs check --bus-address "$BUS" --bus-timeout 0.5 --only service --json
	assert_status 0
	effective_timeout service.homed.unit-file
	# one timeout, not one per remaining check (the peer sleeps 8 s: each further call would wait again);
	# that the rest were not even tried shows in their summaries, which name the first call
	[ $((SECONDS - t0)) -le 13 ] || fail "took $((SECONDS - t0)) s: the remaining checks waited too"
	local msg="no answer from systemd within $T s (GetUnitFileState(systemd-homed.service))"
	assert_results "S['service.pid1'] == S['service.systemd-version'] == 'OK' and
		all(S[i] == 'SKIP' and R[i]['summary'] == '$msg' for i in '$IDS'.split()[2:])"
}

@test "check: AccessDenied from the bus policy: 'permission denied talking to systemd (run as root)'" {
	start_bus '<deny send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.systemd1.Manager" send_member="GetUnitFileState"/>'
	start_peer "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service --json
	assert_status 0
	# not a reason to stop: the calls that are allowed still answer
	assert_results "S['service.homed.unit-file'] == S['service.userdbd.unit-file'] == 'SKIP' and
		R['service.homed.unit-file']['summary'].startswith('permission denied talking to systemd (run as root): GetUnitFileState(systemd-homed.service) was refused: ') and
		R['service.userdbd.unit-file']['summary'].startswith('permission denied talking to systemd (run as root)') and
		S['service.homed.active'] == S['service.userdbd.active'] == 'OK'"
}

@test "check: any other D-Bus error is quoted with its name, and the other checks go on" {
	start_bus
	start_peer --fail 'LoadUnit=org.freedesktop.systemd1.LoadFailed:Unit systemd-homed.service failed to load' \
		"${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service.homed.active,service.userdbd.unit-file --json
	assert_status 0
	assert_results "S['service.homed.active'] == 'SKIP' and
		R['service.homed.active']['summary'] == 'systemd: LoadUnit(systemd-homed.service) failed: Unit systemd-homed.service failed to load (org.freedesktop.systemd1.LoadFailed)' and
		S['service.userdbd.unit-file'] == 'OK'"
}

@test "check: --only asks the bus only what the chosen checks need" {
	start_bus
	start_peer "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	hs check --bus-address "$BUS" --only service.homed.unit-file --json
	assert_status 0
	assert_json "[r['id'] for r in d['results']] == ['service.homed.unit-file']"
	# the version is read once (it tells whether systemd answers at all); nothing about userdbd, no LoadUnit
	[ "$(calls)" = "Get Version
GetUnitFileState systemd-homed.service" ] || fail "calls made: $(calls)"
}

@test "check: HOMESETUP_BUS_ADDRESS is used like --bus-address" {
	start_bus
	start_peer "${HOMED_OK[@]}" "${USERDBD_OK[@]}"
	HOMESETUP_BUS_ADDRESS=$BUS run --separate-stderr "$HOMESETUP" check --only service --json
	assert_status 0
	assert_results "S['service.pid1'] == 'OK' and R['service.pid1']['summary'].endswith('answers on the bus at $BUS')"
}

@test "check: --no-bus SKIPs the bus checks without connecting" {
	hs check --bus-address "unix:path=$BUS_DIR/nothing-here" --no-bus --only service --json
	assert_status 0
	assert_json "len(d['results']) == 6 and all(r['status'] == 'SKIP' and '--no-bus' in r['summary'] for r in d['results'])"
}

@test "check: on a --root without --bus-address the service checks SKIP and say why" {
	local root
	root=$(hs_mkroot)
	hs check --root "$root" --only service --json
	assert_status 0
	assert_json "len(d['results']) == 6 and all(r['status'] == 'SKIP' and
		r['summary'] == 'checking a root directory (ROOT=$root), not the running system' for r in d['results'])"
}

@test "check: on this machine without systemd as PID 1, pid1 FAILs and says what PID 1 is" {
	[ ! -d /run/systemd/system ] || skip "systemd is PID 1 here"
	hs check --only service --json
	assert_status 1
	assert_results "S['service.pid1'] == 'FAIL' and R['service.pid1']['summary'] == 'systemd is not running as PID 1' and
		'/run/systemd/system does not exist' in R['service.pid1']['detail'] and 'init=' in R['service.pid1']['fix'] and
		all(S[i] == 'SKIP' and R[i]['summary'] == 'systemd is not running as PID 1' for i in '$IDS'.split()[1:])"
}

# ---- homesetup service enable ------------------------------------------------------------------------------------

@test "service enable: EnableUnitFiles, Reload, StartUnit, and the jobs' results" {
	start_bus
	start_peer --unit systemd-homed.service=disabled --unit systemd-userdbd.service=disabled
	hs service enable --bus-address "$BUS"
	assert_status 0
	assert_output_contains ' * EnableUnitFiles(["systemd-homed.service", "systemd-userdbd.service"], false, false): 2 changes'
	assert_output_contains 'symlink /etc/systemd/system/multi-user.target.wants/systemd-homed.service → /usr/lib/systemd/system/systemd-homed.service'
	assert_output_contains ' * Reload(): done'
	assert_output_contains ' * StartUnit("systemd-homed.service", "replace"): done'
	assert_output_contains ' * StartUnit("systemd-userdbd.service", "replace"): done'
	assert_output_contains ' * systemd-homed.service is enabled and active (running)'
	calls | grep -E 'Enable|Reload|Start' > "$BUS_DIR/changes"
	[ "$(cat "$BUS_DIR/changes")" = "EnableUnitFiles systemd-homed.service systemd-userdbd.service runtime=0 force=0
Reload
StartUnit systemd-homed.service replace
StartUnit systemd-userdbd.service replace" ] || fail "calls: $(calls)"
	# and now every check agrees
	hs check --bus-address "$BUS" --only service --json
	assert_status 0
	assert_json "d['counts']['OK'] == 6"
}

@test "service enable: nothing to enable means no EnableUnitFiles and no Reload; homed is still started" {
	start_bus
	start_peer --unit systemd-homed.service=enabled,loaded,inactive,dead "${USERDBD_OK[@]}"
	hs service enable --bus-address "$BUS"
	assert_status 0
	[ "$(calls | grep -E 'Enable|Reload|Start')" = "StartUnit systemd-homed.service replace" ] || fail "calls: $(calls)"
	assert_output_contains ' * systemd-homed.service is enabled and active (running)'
}

@test "service enable --pretend reads the state, lists the calls, and changes nothing" {
	start_bus
	start_peer --unit systemd-homed.service=disabled "${USERDBD_OK[@]}"
	hs service enable --pretend --bus-address "$BUS"
	assert_status 0
	assert_output_contains ' * GetUnitFileState("systemd-homed.service"): disabled'
	assert_output_contains ' * would call EnableUnitFiles(["systemd-homed.service"], false, false)'
	assert_output_contains ' * would call StartUnit("systemd-homed.service", "replace")'
	assert_output_contains 'nothing was changed (--pretend)'
	if calls | grep -E 'Enable|Reload|Start'; then
		fail "--pretend changed something"
	fi
	hs service enable -p --bus-address "$BUS" --json
	assert_status 0
	assert_json "d['pretend'] and d['status'] == 'OK' and all(not s['made'] for s in d['steps'] if s['changes']) and any(s['changes'] for s in d['steps'])"
}

@test "service enable: a start job that fails exits 1 with the result and a journalctl hint" {
	start_bus
	start_peer --unit systemd-homed.service=enabled,loaded,inactive,dead --job-result systemd-homed.service=failed \
		"${USERDBD_OK[@]}"
	hs service enable --bus-address "$BUS"
	assert_status 1
	assert_output_contains ' * StartUnit("systemd-homed.service", "replace"): failed'
	assert_output_contains "systemd-homed.service did not start: its start job ended with 'failed'"
	assert_output_contains 'fix: journalctl -u systemd-homed.service'
	hs service enable --bus-address "$BUS" --json
	assert_status 1
	assert_json "d['status'] == 'FAIL' and d['fix'] == 'journalctl -u systemd-homed.service' and d['steps'][-1]['result'] == 'failed'"
}

@test "service enable: a job whose JobRemoved never comes times out after --timeout" {
	start_bus
	start_peer --unit systemd-homed.service=enabled,loaded,inactive,dead --no-job-signal "${USERDBD_OK[@]}"
	local t0=$SECONDS
	hs service enable --timeout 1 --bus-address "$BUS"
	assert_status 2
	[ $((SECONDS - t0)) -le 10 ] || fail "took $((SECONDS - t0)) s"
	assert_stderr_contains "homesetup: service enable: systemd did not finish starting systemd-homed.service within 1 s (job /org/freedesktop/systemd1/job/"
}

@test "service enable: a masked or missing homed exits 1 with the fix, and nothing is changed" {
	start_bus
	start_peer --unit systemd-homed.service=masked,masked "${USERDBD_OK[@]}"
	hs service enable --bus-address "$BUS"
	assert_status 1
	assert_output_contains 'fix: systemctl unmask systemd-homed.service && homesetup service enable'
	stop_pid "$PEER_PID"
	start_peer "${USERDBD_OK[@]}"
	hs service enable --bus-address "$BUS"
	assert_status 1
	assert_output_contains 'systemd-homed.service does not exist: systemd was built without homed'
	assert_output_contains 'emerge --ask --oneshot --changed-use sys-apps/systemd'
	if calls | grep -E 'Enable|Reload|Start'; then
		fail "changed something"
	fi
}

@test "service enable: AccessDenied says to run as root, after the steps that were answered" {
	start_bus
	start_peer --unit systemd-homed.service=disabled "${USERDBD_OK[@]}" \
		--fail 'EnableUnitFiles=org.freedesktop.DBus.Error.AccessDenied:Access denied'
	hs service enable --bus-address "$BUS"
	assert_status 2
	assert_output_contains ' * GetUnitFileState("systemd-homed.service"): disabled'
	assert_stderr_contains 'homesetup: service enable: permission denied talking to systemd (run as root): EnableUnitFiles([systemd-homed.service], false, false) was refused: Access denied'
	hs service enable --bus-address "$BUS" --json
	assert_status 2
	assert_json "d['status'] == 'ERROR' and d['error'].startswith('permission denied talking to systemd (run as root)')"
}

@test "service enable: systemd not on the bus exits 2 with the address and the bus's error" {
	start_bus
	hs service enable --bus-address "$BUS"
	assert_status 2
	assert_stderr_contains "homesetup: service enable: systemd is not reachable on the bus at $BUS: The name org.freedesktop.systemd1 was not provided by any .service files"
}

# ---- homesetup service reexec ------------------------------------------------------------------------------------

@test "service reexec: waits until systemd is back and reports the new version" {
	start_bus
	start_peer --version 256.7 --reexec-version 257.2 --reexec-delay 300
	hs service reexec --bus-address "$BUS"
	assert_status 0
	assert_output_contains ' * Reexecute(): systemd left the bus and came back'
	assert_output_contains ' * systemd was re-executed: version 256.7 → 257.2'
	[ "$(calls | tail -n 2)" = "Reexecute
Get Version" ] || fail "calls: $(calls)"
	hs service reexec --bus-address "$BUS" --json
	assert_status 0
	assert_json "d['version'] == '257.2' and d['summary'] == 'systemd 257.2 was re-executed'"
}

@test "service reexec: a systemd that never comes back is an error after --timeout" {
	start_bus
	start_peer --reexec-stay
	local t0=$SECONDS
	hs service reexec --timeout 1 --bus-address "$BUS"
	assert_status 2
	[ $((SECONDS - t0)) -le 10 ] || fail "took $((SECONDS - t0)) s"
	assert_stderr_contains "systemd did not come back on the bus at $BUS within 1 s after Reexecute() (it never left the bus)"
}

@test "service reexec --pretend reads the version and calls nothing" {
	start_bus
	start_peer --version 256.7
	hs service reexec --pretend --bus-address "$BUS"
	assert_status 0
	assert_output_contains ' * would call Reexecute()'
	assert_output_contains 'systemd 256.7 would be re-executed; nothing was changed (--pretend)'
	[ "$(calls)" = "Get Version" ] || fail "calls: $(calls)"
}

# ---- usage ---------------------------------------------------------------------------------------------------------

@test "service: usage errors exit 2 and name the problem" {
	hs service
	assert_status 2
	assert_stderr_contains "service: say what to do: enable or reexec"
	hs service frobnicate
	assert_status 2
	assert_stderr_contains "service: unknown subcommand 'frobnicate'"
	hs service enable extra
	assert_status 2
	assert_stderr_contains "service enable: unexpected argument 'extra'"
	hs service enable --timeout soon
	assert_status 2
	assert_stderr_contains "invalid --timeout 'soon'"
	hs --bus-timeout 0 service enable
	assert_status 2
	assert_stderr_contains "invalid --bus-timeout '0'"
	hs service enable --bus-address=
	assert_status 2
	assert_stderr_contains "option --bus-address needs a D-Bus address"
	hs help service
	assert_status 0
	assert_output_contains "Usage: homesetup service enable"
}
