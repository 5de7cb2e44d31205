#!/bin/bash
# Sourced by the guest scripts (guest-test.sh, guest-smoke.sh) in the VM, as root: TAP output, the homesetup
# under test, users with realistic homes, independent file-by-file listings, PAM logins.
# shellcheck disable=SC2034  # variables used by the scripts that source this file

export LC_ALL=C
HS_SHARE=${HS_SHARE:-/mnt/hs}
HS_OPT=/opt/homesetup
HS=$HS_OPT/bin/homesetup
HS_VMLIB=/opt/hs-vm
HS_WORK=/root/hs-vm
HS_ART=$HS_SHARE/artifacts
HS_LISTING=$HS_VMLIB/guest-listing.sh
tap_n=0 tap_failed=0

# ---- TAP --------------------------------------------------------------------------------------------------
diag() { sed 's/^/# /'; }
tap_ok() { tap_n=$((tap_n + 1)); printf 'ok %d - %s\n' "$tap_n" "$1"; }
tap_not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); printf 'not ok %d - %s\n' "$tap_n" "$1"; }
tap_skip() { tap_n=$((tap_n + 1)); printf 'ok %d - %s # SKIP %s\n' "$tap_n" "$1" "$2"; }
tap_done() { printf '1..%d\n' "$tap_n"; [ "$tap_failed" = 0 ]; }

# t DESCRIPTION CMD...: one test; CMD's output is shown (as diagnostics) only when it fails.
t() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		printf 'exit status %s of: %s\n%s\n' "$rc" "$*" "$out" | head -n 80 | diag
	fi
	return "$rc"
}

# t_status DESCRIPTION WANT CMD...: CMD must exit with status WANT.
t_status() {
	local desc=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		printf 'want exit status %s, got %s from: %s\n%s\n' "$want" "$rc" "$*" "$out" | head -n 80 | diag
	fi
	[ "$rc" = "$want" ]
}

# timed NAME CMD...: run CMD, print its duration as a diagnostic (on fd 5, the script's stdout, so that t's
# capture does not swallow it), return its status.
exec 5>&1
timed() {
	local name=$1 s rc
	shift
	s=$(date +%s.%N)
	"$@"
	rc=$?
	printf '# timing: %s %.1fs\n' "$name" "$(echo "$(date +%s.%N) $s" | awk '{ print $1 - $2 }')" >&5
	return "$rc"
}

# ---- setup ------------------------------------------------------------------------------------------------
# The homesetup under test, copied from the share to the guest's disk (its RUNPATH finds the library).
install_homesetup() {
	mkdir -p "$HS_OPT/bin" "$HS_OPT/libhomesetup" "$HS_VMLIB" "$HS_WORK" "$HS_ART"
	cp "$HS_SHARE/homesetup/bin/homesetup" "$HS_OPT/bin/"
	cp "$HS_SHARE/homesetup/libhomesetup/libhomesetup.so.0" "$HS_OPT/libhomesetup/"
	cp "$HS_SHARE"/guest-*.sh "$HS_VMLIB/"
	chmod 0755 "$HS_OPT/bin/homesetup" "$HS_VMLIB"/*.sh
}

# Wait until homed answers on the bus (it is socket- and bus-activated; the first call may be early).
wait_homed() {
	local i
	for i in $(seq 1 30); do
		homectl list > /dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

# make_user NAME UID PASSWORD [useradd options...]: a traditional user (passwd/shadow/group/gshadow lines)
# with its private group GID == UID and a yescrypt password hash (Debian's default). chpasswd -c does not go
# through PAM: Debian's pam-auth-update profile of systemd-homed puts pam_systemd_home before
# "pam_unix.so use_authtok" in common-password, so a PAM password change of a traditional user fails there
# ("Authentication token manipulation error").
make_user() {
	local name=$1 uid=$2 pw=$3
	shift 3
	groupadd -g "$uid" "$name" &&
		useradd -m -u "$uid" -g "$uid" -s /bin/bash "$@" "$name" &&
		printf '%s:%s\n' "$name" "$pw" | chpasswd -c YESCRYPT &&
		grep -q "^$name:\\\$y\\\$" /etc/shadow
}

# make_share_user: the traditional user the ACLs name (never migrated). Not nobody (65534): systemd 252's
# idmapped home mounts do not map it, so setting an ACL entry for it in a homed home fails with EINVAL.
make_share_user() {
	id hsshare > /dev/null 2>&1 || useradd -M -u 1500 -U -s /usr/sbin/nologin hsshare
}

# state_is NAME STATE: homed reports STATE for NAME's home.
state_is() {
	local state
	state=$(homed_state "$1")
	[ "$state" = "$2" ] || { printf '%s is %s, not %s\n' "$1" "${state:-unknown}" "$2"; return 1; }
}

# wait_inactive NAME: wait until homed has deactivated NAME's home (PAM releases it asynchronously).
wait_inactive() {
	local i state=
	for i in $(seq 1 60); do
		homectl inspect "$1" > /dev/null 2>&1 || { printf 'homed does not know %s\n' "$1"; return 1; }
		state=$(homed_state "$1")
		[ "$state" = inactive ] && return 0
		sleep 1
	done
	printf '%s is still %s\n' "$1" "${state:-unknown}"
	return 1
}

# fill_home NAME [acl]: a realistic home: nested dirs, files of many sizes (~12 MB), hardlinks (a group of
# three), symlinks (relative, absolute, dangling, to a directory), a fifo, user xattrs on files and a
# directory, a 0600 key file in a 0700 dir, a sparse file, names with spaces and UTF-8, old mtimes with
# nanoseconds. With "acl": an access ACL (naming the local user hsshare, see make_share_user, and the group
# users) on a file and a default ACL on a directory.
fill_home() {
	local name=$1 acl=${2:-} h=/home/$1 i
	(
		set -e
		cd "$h"
		mkdir -p Documents/reports/2023 Documents/notes Pictures/holiday .config/app .local/share/app \
			Music src/project/.git/objects/ab .ssh 'Dir with spaces/sub'
		for i in $(seq 1 200); do printf 'note %d of %s\n' "$i" "$name" > "Documents/notes/n$i.txt"; done
		head -c 4M /dev/urandom > Pictures/holiday/img1.raw
		head -c 3M /dev/urandom > Pictures/holiday/img2.raw
		head -c 1M /dev/urandom > Music/track01.ogg
		head -c 4095 /dev/urandom > src/project/odd-size.bin
		head -c 4096 /dev/urandom > src/project/page.bin
		head -c 65537 /dev/urandom > src/project/.git/objects/ab/cdef0123456789
		: > Documents/empty.txt
		printf 'quarterly report\n' > Documents/reports/2023/q1.txt
		printf 'r\xc3\xa9sum\xc3\xa9\n' > "Documents/r$(printf '\xc3\xa9')sum$(printf '\xc3\xa9') (final).txt"
		printf 'in a dir with spaces\n' > 'Dir with spaces/sub/file name.txt'
		printf '[app]\ncolor = blue\n' > .config/app/settings.ini
		printf 'shared content\n' > Documents/shared.txt
		ln Documents/shared.txt Documents/shared-hardlink.txt
		ln Documents/shared.txt src/project/shared-third-link.txt
		ln -s ../Documents/shared.txt Music/relative-link
		ln -s /etc/hostname Music/absolute-link
		ln -s does-not-exist Music/dangling-link
		ln -s Documents/reports link-to-dir
		mkfifo .local/share/app/control.fifo
		setfattr -n user.comment -v 'a comment' Documents/reports/2023/q1.txt
		setfattr -n user.binary -v 0x00ff10fe Pictures/holiday/img1.raw
		setfattr -n user.dirtag -v projects src/project
		head -c 411 /dev/urandom > .ssh/id_ed25519
		chmod 0700 .ssh
		chmod 0600 .ssh/id_ed25519
		chmod 0750 src
		truncate -s 8M Pictures/sparse.img
		printf 'data in the middle' | dd of=Pictures/sparse.img bs=1 seek=4194304 conv=notrunc status=none
		if [ "$acl" = acl ]; then
			printf 'shared with nobody and the group users\n' > Documents/shared-acl.txt
			setfacl -m u:hsshare:r,g:users:rw Documents/shared-acl.txt
			mkdir -p Documents/team
			setfacl -d -m g:users:rwx Documents/team
			setfacl -m g:users:rx Documents/team
			printf 'created below a default ACL\n' > Documents/team/inherited.txt
		fi
		chown -R "$name:$name" .
		find . -mindepth 1 -exec touch -h -d '2021-06-01 12:34:56.123456789' {} +
		touch -h -d '2019-02-03 04:05:06.987654321' Documents/reports/2023/q1.txt Music/relative-link
	)
}

# listing_before NAME TAG: the listing of /home/NAME as it is now, to $HS_WORK/NAME.TAG.*
listing_before() { (cd "/home/$1" && "$HS_LISTING" "$HS_WORK/$1.$2" "${3:-}"); }

# listing_in_home NAME PASSWORD TAG: the listing of NAME's homed home, mounted by `homectl with`.
listing_in_home() {
	PASSWORD=$2 homectl with "$1" -- "$HS_LISTING" "$HS_WORK/$1.$3"
}

# compare_listings NAME A B: every listing kind must be identical.
compare_listings() {
	local name=$1 a=$2 b=$3 kind rc=0
	for kind in meta links sha256 xattr acl; do
		if ! diff -u "$HS_WORK/$name.$a.$kind" "$HS_WORK/$name.$b.$kind" > "$HS_WORK/$name.$kind.diff"; then
			printf '%s listings differ:\n' "$kind"
			head -n 40 "$HS_WORK/$name.$kind.diff"
			rc=1
		fi
	done
	return "$rc"
}

# pam_login NAME PASSWORD: authenticate and account management through the PAM stack "login"
# (pam_systemd_home for homed users, pam_unix for the others).
pam_login() {
	printf '%s\n' "$2" | timeout 120 pamtester login "$1" authenticate acct_mgmt
}

# pam_login_homed NAME PASSWORD: the login succeeds, and it was pam_systemd_home that let the user in (it logs
# "Home for user NAME successfully acquired."; pam_unix alone could also authenticate a homed user through
# nss-systemd's shadow entry).
pam_login_homed() {
	local since
	since=$(date +%s)
	pam_login "$1" "$2" || return 1
	journalctl -b -q -o cat --since "@$since" -t pamtester |
		grep -F "pam_systemd_home(login:auth): Home for user $1 successfully acquired."
}

# pam_login_fails NAME PASSWORD: the login must be refused.
pam_login_fails() {
	! printf '%s\n' "$2" | timeout 120 pamtester login "$1" authenticate
}

# homed_field NAME JQ-FILTER: a field of homed's record of NAME.
homed_field() {
	homectl inspect "$1" --json=short | jq -r "$2"
}

# homed_state NAME: the home's state (the record's status section is keyed by machine ID).
homed_state() {
	homed_field "$1" '[.status | .. | objects | .state? // empty][0] // empty' 2> /dev/null
}

# save_artifact FILE...: keep files for the host (results dir of run.sh).
save_artifact() { cp -r "$@" "$HS_ART/" 2> /dev/null || true; }
