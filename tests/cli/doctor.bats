#!/usr/bin/env bats
# homesetup doctor: the rules against journal files written by systemd-journal-remote from export-format
# fixtures (and against the fixtures read directly, --journal-export, where the tool is missing), the
# states of a test systemd-homed on a private bus, and the kpartx drop-in writer.

load ../lib/common

BOOT_OLD=11111111111111111111111111111111
BOOT=22222222222222222222222222222222
T0=1714564800000000 # 2024-05-01 12:00:00 UTC

setup() {
	export TZ=UTC
	JR=''
	for p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
		[ -x "$p" ] && JR=$p && break
	done
	FIX="$BATS_TEST_TMPDIR/fixture.export"
	reset_fix
	ROOT=$(hs_mkroot)
	BUS_DIR='' BUS_PID='' PEER_PID=''
}

reset_fix() {
	: > "$FIX"
	FIX_N=''
}

# entry IDENT PID MESSAGE [BOOT] [SECONDS]: append one journal entry in export format to $FIX
entry() {
	local ident=$1 pid=$2 msg=$3 boot=${4:-$BOOT} secs=${5:-$((${#FIX_N} + 1))}
	FIX_N="${FIX_N:-}x"
	{
		printf '__REALTIME_TIMESTAMP=%s\n' "$((T0 + secs * 1000000))"
		printf '__MONOTONIC_TIMESTAMP=%s\n' "$((secs * 1000000))"
		printf '_BOOT_ID=%s\n' "$boot"
		printf '_SYSTEMD_UNIT=systemd-homed.service\n'
		printf 'SYSLOG_IDENTIFIER=%s\n_PID=%s\n' "$ident" "$pid"
		printf 'MESSAGE=%s\n\n' "$msg"
	} >> "$FIX"
}

# The fixture as a real journal file: $JFILE. Skips when systemd-journal-remote is not installed.
make_journal() {
	[ -n "$JR" ] || skip "systemd-journal-remote is not installed (Debian package systemd-journal-remote)"
	JFILE="$BATS_TEST_TMPDIR/j-$RANDOM.journal"
	"$JR" --output="$JFILE" - < "$FIX" > "$BATS_TEST_TMPDIR/jr.log" 2>&1 || fail "journal-remote failed: $(cat "$BATS_TEST_TMPDIR/jr.log")"
}

# Run doctor on the fixture through a real journal file.
doctor_journal() {
	make_journal
	hs doctor --no-bus --root "$ROOT" --journal-file "$JFILE" "$@"
}

doctor_export() {
	hs doctor --no-bus --root "$ROOT" --journal-export "$FIX" "$@"
}

# rules JSON: the "rule:user" list of the findings
rules_are() {
	assert_json "[f['rule'] + ':' + (f['user'] or '') for f in d['findings']] == $1"
}

# ---- one rule at a time: fires on its message, not on a near miss ----------------------------------------------

# fixture per rule: IDENT|MESSAGE, the expected "rule:user" and a near miss that must not fire
fire_and_miss() { # RULE USER IDENT MESSAGE NEAR-MISS [EXPECTED-USER]
	local rule=$1 user=$2 ident=$3 msg=$4 miss=$5 want=${6-$2}
	entry systemd-homed 1 "$user: changing state inactive → activating"
	entry "$ident" 40 "$msg"
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 1
		rules_are "['$rule:$want']"
		assert_json "d['findings'][0]['message'] == '''$msg''' and d['findings'][0]['fix']"
	done
	reset_fix
	entry systemd-homed 1 "$user: changing state inactive → activating"
	entry "$ident" 40 "$miss"
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 0
		assert_json "d['findings'] == [] and d['journal']['entries'] == 2"
	done
}

@test "fs-dirty: 'File system is corrupted, refusing.' and the safe repair under another DM name" {
	fire_and_miss fs-dirty alice systemd-homework "File system is corrupted, refusing." "File system check completed."
	reset_fix
	entry systemd-homed 1 "alice: changing state inactive → activating"
	entry systemd-homework 40 "File system is corrupted, refusing."
	doctor_export
	assert_status 1
	assert_output_contains "[fs-dirty] The file system in alice's home image needs a check."
	assert_output_contains "evidence: 2024-05-01 12:00:02 systemd-homework[40]: File system is corrupted, refusing."
	assert_output_contains "losetup -fP --show /home/alice.home"
	assert_output_contains "cryptsetup open /dev/loop0p1 homesetup-fsck-alice"
	assert_output_contains "cryptsetup close homesetup-fsck-alice    # close it again before activating"
	assert_output_contains "losetup -d /dev/loop0"
	[[ $output != *"cryptsetup open /dev/loop0p1 home-alice"* ]] || fail "the repair uses homed's own DM name"
}

@test "fsck-missing: 'No fsck for file system btrfs installed' names the package" {
	fire_and_miss fsck-missing bob systemd-homework "No fsck for file system btrfs installed, ignoring." \
		"Probing file system completed (found btrfs)."
	doctor_export --json
	assert_json "'emerge --ask --oneshot sys-fs/btrfs-progs' in d['findings'][0]['fix']" 2> /dev/null || true
}

@test "absent-volume: 'Device link … still hasn't shown up' gives kpartx" {
	fire_and_miss absent-volume carol systemd-homework \
		"Device link /dev/disk/by-uuid/0c9b4a1e-2f5d-4d6e-9a0b-1c2d3e4f5a6b still hasn't shown up, giving up." \
		"Watching /dev/disk/by-uuid"
}

@test "no-space: 'Not enough disk space for home' with the free-space figures" {
	fire_and_miss no-space dave systemd-homed "Activation failed: Not enough disk space for home dave" \
		"Activation completed."
	reset_fix
	entry systemd-homed 1 "Activation failed: Not enough disk space for home dave"
	mkdir -p "$ROOT/home"
	head -c 4096 /dev/zero > "$ROOT/home/dave.home"
	doctor_export dave
	assert_status 1
	assert_output_contains "homectl update dave --luks-discard=true --luks-offline-discard=true"
	assert_output_contains "homectl activate dave"
	doctor_export dave --json
	assert_json "'Now /home has ' in d['findings'][0]['diagnosis'] and
		'the image /home/dave.home is 4.0 KiB, of which 4.0 KiB allocated.' in d['findings'][0]['diagnosis']"
}

# run doctor (ARGS) with ROOT/srv/small a tmpfs of SIZE holding frank's sparse 400 MiB image, FILL=1: filled up
doctor_small_fs() { # SIZE FILL ARGS...
	local size=$1 fill=$2
	shift 2
	command -v unshare > /dev/null || skip "unshare is not installed"
	mkdir -p "$ROOT/srv/small"
	unshare -m mount -t tmpfs -o size=64k tmpfs "$ROOT/srv/small" 2> /dev/null ||
		skip "cannot mount a tmpfs in a mount namespace here (needs CAP_SYS_ADMIN)"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run --separate-stderr unshare -m bash -c '
		mount -t tmpfs -o "size=$1" tmpfs "$3/srv/small" || exit 2
		truncate -s 400M "$3/srv/small/frank.home"
		if [ "$2" = 1 ]; then dd if=/dev/zero of="$3/srv/small/filler" bs=4k 2> /dev/null; fi
		if [ "$2" = 1 ] && [ "$(stat -f -c %a "$3/srv/small")" != 0 ]; then
			echo "the tmpfs did not fill up" >&2
			exit 2
		fi
		shift 3
		exec "$@"' _ "$size" "$fill" "$ROOT" "$HOMESETUP" doctor --no-bus --root "$ROOT" --journal-export "$FIX" "$@"
}

no_space_fixture() {
	hs_write "$ROOT" var/lib/systemd/home/frank.identity \
		'{"userName":"frank","storage":"luks","imagePath":"/srv/small/frank.home"}'
	entry systemd-homed 278 "frank: changing state inactive → activating"
	entry systemd-homework 700 "Not enough disk space to fully allocate home."
	entry systemd-homed 278 "Activation failed: No space left on device"
	entry systemd-homed 278 "frank: changing state activating → inactive"
}

@test "no-space: with 0 bytes free the fix frees space first and says how little is free" {
	no_space_fixture
	doctor_small_fs 1m 1 frank --json
	assert_status 1
	rules_are "['no-space:frank']"
	assert_json "d['findings'][0]['fix'].split('\\n')[0] == 'df -h /srv/small    # only 0 B free here, less than 64 MiB: '
		'free space on this file system first (move or delete files, old snapshots, the trash) until at least 64 MiB are free'"
	assert_json "[l.split()[:2] for l in d['findings'][0]['fix'].split('\\n')] ==
		[['df', '-h'], ['homectl', 'update'], ['homectl', 'activate']]"
	assert_json "'homectl update frank --luks-discard=true --luks-offline-discard=true    # only with at least 64 MiB free' in d['findings'][0]['fix']"
	assert_json "'Now /srv/small has 0 B free of 1.0 MiB; the image /srv/small/frank.home is 400.0 MiB, of which 0 B allocated. '
		'That is less than the 64 MiB the discard update needs: free space there first.' in d['findings'][0]['diagnosis']"
	assert_json "d['findings'][0]['count'] == 2 and d['findings'][0]['message'] == 'Activation failed: No space left on device'"
	doctor_small_fs 1m 1 frank
	assert_status 1
	assert_output_contains "df -h /srv/small    # only 0 B free here, less than 64 MiB"
}

@test "no-space: with enough room left the fix shows the free space and no shortfall" {
	no_space_fixture
	doctor_small_fs 128m 0 frank --json
	assert_status 1
	rules_are "['no-space:frank']"
	assert_json "d['findings'][0]['fix'].split('\\n')[0] == 'df -h /srv/small    # 128.0 MiB free here; the update below needs at least 64 MiB'"
	assert_json "'less than' not in d['findings'][0]['diagnosis'] and 'Now /srv/small has 128.0 MiB free of 128.0 MiB' in d['findings'][0]['diagnosis']"
}

@test "bad-password: 'No valid password for LUKS superblock.'" {
	fire_and_miss bad-password erin systemd-homework "No valid password for LUKS superblock." \
		"Provided password unlocks user record."
}

# One PAM login as a real systemd-homed (v252, tests/vm) logs it: pam_systemd_home asks without a password first.
pam_login() { # USER WORKER-PID
	local u=$1 pid=$2
	entry systemd-homed 278 "$u: changing state inactive → activating-for-acquire"
	entry systemd-homework "$pid" "None of the supplied plaintext passwords unlock the user record's hashed passwords."
	entry systemd-homed 278 "Activation failed: Required key not available"
	entry systemd-homed 278 "$u: changing state activating-for-acquire → inactive"
	entry systemd-homed 278 "Got notification that all sessions of user $u ended, deactivating automatically."
	entry systemd-homed 278 "$u: changing state inactive → activating-for-acquire"
	entry systemd-homework "$((pid + 1))" "Provided password unlocks user record."
	entry systemd-homework "$((pid + 1))" "Activation completed."
	entry systemd-homed 278 "Home $u is signed exclusively by our key, accepting."
	entry systemd-homed 278 "$u: changing state activating-for-acquire → active"
}

# A PAM login with a wrong password: the password-less try, the wrong one, no activation.
wrong_login() { # USER WORKER-PID
	local u=$1 pid=$2 k
	for k in 0 1; do
		entry systemd-homed 278 "$u: changing state inactive → activating-for-acquire"
		entry systemd-homework "$((pid + k))" "None of the supplied plaintext passwords unlock the user record's hashed passwords."
		entry systemd-homed 278 "Activation failed: Required key not available"
		entry systemd-homed 278 "$u: changing state activating-for-acquire → inactive"
	done
}

@test "bad-password: a normal PAM login is no finding; a wrong password with no activation after it is" {
	pam_login lux 607
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 0
		assert_json "d['findings'] == [] and d['journal']['matched'] == 0 and
			any(n.startswith('journal: 2 failed password checks of lux followed by the home\\'s activation within 5 min') for n in d['notes'])"
		"doctor_$mode" lux
		assert_status 0
		assert_output_contains "No known problem found."
	done
	wrong_login smoke1 397
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 1
		rules_are "['bad-password:smoke1']"
		assert_json "d['findings'][0]['count'] == 4 and d['findings'][0]['identifier'] == 'systemd-homed' and
			d['findings'][0]['message'] == 'Activation failed: Required key not available'"
		"doctor_$mode" lux --json
		assert_status 0
		"doctor_$mode" smoke1
		assert_status 1
		assert_output_contains "[bad-password] No password given for smoke1's home unlocked it."
	done
}

@test "attribution: an entry that names no user is never reported for USER" {
	entry systemd-homework 90 "None of the supplied plaintext passwords unlock the user record's hashed passwords."
	entry systemd-homed 278 "Activation failed: Required key not available"
	for mode in export journal; do
		"doctor_$mode" frank
		assert_status 0
		assert_output_contains "No known problem found."
		"doctor_$mode" --json
		assert_status 1
		rules_are "['bad-password:']"
	done
	# lux's failed logins are lux's, whoever else is asked about
	wrong_login lux 600
	for mode in export journal; do
		"doctor_$mode" frank --json
		assert_status 0
		assert_json "d['findings'] == []"
		"doctor_$mode" --json
		rules_are "['bad-password:lux', 'bad-password:']"
	done
}

@test "dm-leftover: 'Device mapper device … already exists' → close that name after checking it is unused" {
	fire_and_miss dm-leftover frank systemd-homework \
		"Device mapper device /dev/mapper/home-frank already exists, refusing." \
		"Setting up LUKS device /dev/mapper/home-frank completed."
	doctor_export frank
	[ "$status" -eq 0 ] # the near miss is the fixture now
	reset_fix
	entry systemd-homework 40 "Device mapper device /dev/mapper/home-frank already exists, refusing."
	doctor_export
	assert_status 1
	assert_output_contains "dmsetup info home-frank    # 'Open count: 0' means nothing uses it"
	assert_output_contains "cryptsetup close home-frank"
	assert_output_contains "losetup -j /home/frank.home"
}

@test "signing-key: a record not signed by any accepted key → keys import" {
	fire_and_miss signing-key gina systemd-homed "User record gina.identity is not signed by any accepted key, ignoring." \
		"User record gina.identity is signed only by us, accepting."
	doctor_export --json
	assert_json "'homesetup keys import DIR --trust OLDHOST' in d['findings'][0]['fix'] if d['findings'] else True"
}

@test "key-perms: 'Private key file is readable by more than the root user'" {
	# homed's own message names no user, and only homework lines are attributed to the running operation
	fire_and_miss key-perms hank systemd-homed "Private key file is readable by more than the root user" \
		"Successfully loaded private key pair." ""
}

# ---- journal selection -----------------------------------------------------------------------------------------

@test "journal: only the newest boot by default; --since reads older boots; other units are ignored" {
	entry systemd-homework 7 "No valid password for LUKS superblock." "$BOOT_OLD" 1
	entry systemd-homed 1 "ivy: changing state inactive → activating" "$BOOT" 10
	entry systemd-homework 8 "File system is corrupted, refusing." "$BOOT" 11
	printf '__REALTIME_TIMESTAMP=%s\n_BOOT_ID=%s\n_SYSTEMD_UNIT=sshd.service\nSYSLOG_IDENTIFIER=sshd\nMESSAGE=%s\n\n' \
		"$((T0 + 12000000))" "$BOOT" "Device mapper device home-x already exists, refusing." >> "$FIX"
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 1
		rules_are "['fs-dirty:ivy']"
		"doctor_$mode" --json --since "2024-05-01 11:00"
		assert_status 1
		rules_are "['fs-dirty:ivy', 'bad-password:']"
		"doctor_$mode" --json --since "@$((T0 / 1000000 + 5))"
		rules_are "['fs-dirty:ivy']"
	done
}

@test "journal: --journal-dir reads a directory; a missing file is an error naming it" {
	entry systemd-homework 8 "No valid password for LUKS superblock."
	make_journal
	mkdir "$BATS_TEST_TMPDIR/jdir"
	mv "$JFILE" "$BATS_TEST_TMPDIR/jdir/system.journal"
	hs doctor --no-bus --root "$ROOT" --journal-dir "$BATS_TEST_TMPDIR/jdir" --json
	assert_status 1
	rules_are "['bad-password:']"
	hs doctor --no-bus --journal-file "$BATS_TEST_TMPDIR/none.journal"
	assert_status 2
	assert_stderr_contains "none.journal: cannot read the journal file"
}

@test "journal: a healthy activation trail gives no finding and exit 0" {
	entry systemd-homed 1 "alice: changing state inactive → activating"
	for m in "Provided password unlocks user record." "Setting up loopback device /dev/loop0 completed." \
		"Setting up LUKS device /dev/mapper/home-alice completed." "Probing file system completed (found btrfs)." \
		"File system check completed." "Mounting file system completed." "Activation completed."; do
		entry systemd-homework 40 "$m"
	done
	entry systemd-homed 1 "alice: changing state activating → active"
	for mode in export journal; do
		"doctor_$mode"
		assert_status 0
		assert_output_contains "No known problem found."
		assert_output_contains "journal: 9 entries of systemd-homed and systemd-homework read"
	done
}

@test "journal: binary and hostile messages: no crash, no command built from them" {
	printf '__REALTIME_TIMESTAMP=%s\n_BOOT_ID=%s\n_SYSTEMD_UNIT=systemd-homed.service\nSYSLOG_IDENTIFIER=systemd-homework\nMESSAGE\n' \
		"$T0" "$BOOT" >> "$FIX"
	printf '\x0c\x00\x00\x00\x00\x00\x00\x00ab\x00\xff\ncd\x1b[1mX\n\n' >> "$FIX"
	# shellcheck disable=SC2016 # a hostile user name in homed's message: never expanded
	entry systemd-homed 1 'Activation failed: Not enough disk space for home $(reboot)'
	for mode in export journal; do
		"doctor_$mode" --json
		assert_status 1
		rules_are "['no-space:']"
		assert_json "'reboot' not in d['findings'][0]['fix'] and 'homectl update USER' in d['findings'][0]['fix']"
	done
	printf 'MESSAGE\n\xff\xff\xff\x7f\x00\x00\x00\x00abc\n\n' > "$FIX"
	doctor_export
	assert_status 2
	assert_stderr_contains "binary field longer than the input at byte"
}

# ---- the drop-in ---------------------------------------------------------------------------------------------

DROPIN=etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf

lvm_fixture() {
	entry systemd-homed 1 "jack: changing state inactive → creating"
	entry systemd-homework 40 "Device link /dev/disk/by-uuid/0c9b4a1e-2f5d-4d6e-9a0b-1c2d3e4f5a6b still hasn't shown up, giving up."
	entry systemd-homed 1 "jack: changing state creating → absent"
}

@test "drop-in: created with --write, then current; ours updated keeping lines added by hand" {
	lvm_fixture
	doctor_export --volume /dev/vg/jack
	assert_status 1
	assert_output_contains "kpartx -av /dev/vg/jack"
	assert_output_contains "/etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf would be created (give --write):"
	assert_output_contains "+ExecStartPre=-/sbin/kpartx -av /dev/vg/jack"
	[ ! -e "$ROOT/$DROPIN" ] || fail "written without --write"
	doctor_export --volume /dev/vg/jack --write
	assert_status 1
	assert_output_contains "wrote /etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf"
	grep -qx 'ExecStartPre=-/sbin/kpartx -av /dev/vg/jack' "$ROOT/$DROPIN"
	grep -qx '\[Service\]' "$ROOT/$DROPIN"
	[ "$(stat -c %a "$ROOT/$DROPIN")" = 644 ]
	cp "$ROOT/$DROPIN" "$BATS_TEST_TMPDIR/before"
	doctor_export --volume /dev/vg/jack --write --json
	assert_json "d['dropin']['state'] == 'current' and d['dropin']['written'] is False"
	assert_files_equal "$BATS_TEST_TMPDIR/before" "$ROOT/$DROPIN"
	echo 'TimeoutStartSec=120' >> "$ROOT/$DROPIN"
	doctor_export --volume /dev/vg/jack --volume /dev/vg/kate --write
	assert_output_contains "wrote"
	diff <(tail -n 3 "$ROOT/$DROPIN") - <<-'EOF'
		ExecStartPre=-/sbin/kpartx -av /dev/vg/jack
		TimeoutStartSec=120
		ExecStartPre=-/sbin/kpartx -av /dev/vg/kate
	EOF
}

@test "drop-in: a foreign file of that name is refused and shown as a diff, byte for byte unchanged" {
	lvm_fixture
	hs_write "$ROOT" "$DROPIN" $'[Service]\nExecStartPre=/usr/local/bin/mine\n'
	cp "$ROOT/$DROPIN" "$BATS_TEST_TMPDIR/before"
	doctor_export --volume /dev/vg/jack --write
	assert_status 1
	assert_output_contains "exists and was not written by homesetup: it is left alone"
	assert_output_contains "-ExecStartPre=/usr/local/bin/mine"
	assert_output_contains "+ExecStartPre=-/sbin/kpartx -av /dev/vg/jack"
	assert_stderr_contains "not overwritten"
	assert_files_equal "$BATS_TEST_TMPDIR/before" "$ROOT/$DROPIN"
}

@test "drop-in: no volume known → the fix says how to name it; --write explains; a bad --volume is refused" {
	lvm_fixture
	doctor_export --write
	assert_status 1
	assert_output_contains "kpartx -av /dev/VG/LV"
	assert_stderr_contains "name it with --volume"
	doctor_export --volume 'dev/vg x'
	assert_status 2
	assert_stderr_contains "invalid volume 'dev/vg x'"
}

@test "absent with an image file: absent-image, no kpartx" {
	hs_write "$ROOT" var/lib/systemd/home/lisa.identity '{"userName":"lisa","imagePath":"/mnt/usb/lisa.home"}'
	entry systemd-homed 1 "lisa: changing state inactive → absent"
	doctor_export --json
	rules_are "['absent-image:lisa']"
	assert_json "'findmnt --target /mnt/usb/lisa.home' in d['findings'][0]['fix'] and d['dropin'] is None"
}

# ---- the bus ------------------------------------------------------------------------------------------------

FAKE="${HS_BUILD:-$HS_TOP}/.obj/tests/fake-systemd"

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
	[ -z "${BUS_DIR:-}" ] || rm -rf "$BUS_DIR"
}

wait_for_file() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

start_homed() { # fake-systemd options
	command -v dbus-daemon > /dev/null || skip "dbus-daemon is not installed"
	[ -x "$FAKE" ] || skip "the test peer is not built: $FAKE"
	BUS_DIR=$(mktemp -d /tmp/hs-doctor.XXXXXX)
	BUS="unix:path=$BUS_DIR/bus"
	cat > "$BUS_DIR/bus.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig><listen>$BUS</listen><auth>EXTERNAL</auth>
		<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
		<allow own="*"/></policy></busconfig>
	EOF
	timeout 120 dbus-daemon --config-file="$BUS_DIR/bus.conf" --nofork --nosyslog --print-address=3 \
		3> "$BUS_DIR/address" > "$BUS_DIR/dbus.log" 2>&1 &
	BUS_PID=$!
	wait_for_file "$BUS_DIR/address" || fail "dbus-daemon did not start"
	"$FAKE" --address "$BUS" --ready-file "$BUS_DIR/ready" --lifetime 100 "$@" > "$BUS_DIR/peer.log" 2>&1 3>&- &
	PEER_PID=$!
	wait_for_file "$BUS_DIR/ready" || fail "fake-systemd did not start: $(cat "$BUS_DIR/peer.log")"
}

@test "bus: a home in state 'dirty' or 'absent' is a finding with the bus as evidence" {
	start_homed --home "mia:60010:dirty:60010:Mia:/home/mia:/bin/bash" \
		--home "ned:60011:absent:60011:Ned:/home/ned:/bin/bash" \
		--home "ola:60012:inactive:60012:Ola:/home/ola:/bin/bash"
	hs doctor --bus-address "$BUS" --root "$ROOT" --no-journal --json
	assert_status 1
	rules_are "['fs-dirty:mia', 'absent-image:ned']"
	assert_json "d['findings'][0]['source'] == 'bus' and
		d['findings'][0]['evidence'] == \"org.freedesktop.home1: home mia is in state 'dirty'\" and
		[(h['name'], h['state']) for h in d['homes']] == [('mia', 'dirty'), ('ned', 'absent'), ('ola', 'inactive')]"
	hs doctor ola --bus-address "$BUS" --root "$ROOT" --no-journal
	assert_status 0
	assert_output_contains "home ola: inactive"
	hs doctor nobody --bus-address "$BUS" --root "$ROOT" --no-journal
	assert_status 0
	assert_output_contains "systemd-homed knows no home of user 'nobody'"
}

@test "bus: with --root and no --bus-address the bus is skipped and says so" {
	hs doctor --root "$ROOT" --no-journal
	assert_status 0
	assert_output_contains "D-Bus: skipped: --root is not / and no --bus-address was given"
}

# ---- usage ---------------------------------------------------------------------------------------------------

@test "usage: bad user, bad --since, two journal sources, --list-rules" {
	hs doctor 'a b' --no-bus --no-journal
	assert_status 2
	assert_stderr_contains "invalid user name 'a b'"
	hs doctor --since 'tomorrow-ish' --no-bus --no-journal
	assert_status 2
	assert_stderr_contains "invalid time 'tomorrow-ish' at column 1"
	hs doctor --journal-dir /tmp --journal-export /dev/null
	assert_status 2
	hs doctor --list-rules --json
	assert_status 0
	assert_json "len(d) > 10 and {'fs-dirty', 'absent-volume', 'no-space', 'bad-password', 'dm-leftover', 'signing-key'} <= {r['rule'] for r in d}"
}
