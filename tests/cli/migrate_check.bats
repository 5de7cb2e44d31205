#!/usr/bin/env bats
# homesetup migrate check USER (and check --user USER): the preflight of a migration to systemd-homed on
# Gentoo-shaped roots in temp dirs. A "ready" root has what `homesetup check` wants (USE, VDB, NSS, PAM,
# homed.conf with directory storage) and alice, a user whose home can be migrated; each test changes one thing.
# rsync is a stand-in named by HOMESETUP_RSYNC (its `--version` text is what is judged). Every test uses --no-bus.

load ../lib/common
load ../lib/roots

SYSTEMD_USE_READY="abi_x86_64 amd64 cryptsetup dns-over-tls elibc_glibc gcrypt homed kernel-install kernel_linux kmod lz4 openssl pam python_single_target_python3_12 resolvconf seccomp zstd"
PAMBASE_USE_READY="amd64 elibc_glibc homed kernel_linux nullok passwdqc yescrypt"
SYSTEMD_HOMED_FILES=(
	/usr/lib/systemd/systemd-homed
	/usr/lib/systemd/systemd-homework
	/usr/bin/homectl
	/usr/lib/systemd/system/systemd-homed.service
	/usr/lib/systemd/system/systemd-homed-activate.service
	/usr/lib64/libnss_systemd.so.2
	/usr/lib64/security/pam_systemd_home.so
)
SYSTEM_AUTH='auth		required	pam_env.so
auth		[success=2 default=ignore]	pam_systemd_home.so
auth		[success=1 new_authtok_reqd=1 ignore=ignore default=bad]	pam_unix.so nullok  try_first_pass
account		[success=1 default=ignore]	pam_systemd_home.so
account		required	pam_unix.so
password	[success=1 default=ignore]	pam_systemd_home.so
password	required	pam_unix.so try_first_pass shadow use_authtok nullok yescrypt
session		[success=1 default=ignore]	pam_systemd_home.so
session		required	pam_unix.so
'
RSYNC_VERSION='rsync  version 3.2.7  protocol version 31
Copyright (C) 1996-2022 by Andrew Tridgell, Wayne Davison, and others.
Capabilities:
    64-bit files, 64-bit inums, 64-bit timestamps, 64-bit long ints,
    socketpairs, symlinks, symtimes, hardlinks, hardlink-specials,
    hardlink-symlinks, IPv6, atimes, batchfiles, inplace, append, ACLs,
    xattrs, optional protect-args, iconv, no prealloc, stop-at, no crtimes
Optimizations:
    SIMD-roll, no asm-roll, openssl-crypto, no asm-MD5
'

contents_of() { # FILE...: CONTENTS lines (obj) plus their directories
	local f d
	local -A dirs=()
	for f in "$@"; do
		d=${f%/*}
		while [ -n "$d" ]; do
			dirs[$d]=1
			d=${d%/*}
		done
	done
	printf 'dir %s\n' "${!dirs[@]}" | LC_ALL=C sort
	for f in "$@"; do
		printf 'obj %s %s 1764000000\n' "$f" "$(printf '%s' "$f" | md5sum | cut -d' ' -f1)"
	done
}

fake_rsync() { # VERSION-TEXT [EXIT]: the stand-in rsync prints the text
	{
		printf '#!/bin/sh\ncat <<'"'"'EOF'"'"'\n%sEOF\nexit %s\n' "$1" "${2:-0}"
	} > "$BATS_TEST_TMPDIR/rsync"
	chmod 0755 "$BATS_TEST_TMPDIR/rsync"
	export HOMESETUP_RSYNC="$BATS_TEST_TMPDIR/rsync"
}

# The ready root: homed set up as `homesetup check` wants it, and alice with a small home.
ready_root() { # ROOT
	local root=$1 f
	roots_minimal "$root"
	roots_package_use "$root" homed $'sys-apps/systemd homed cryptsetup pam\nsys-auth/pambase homed\n'
	roots_installed "$root" sys-apps/systemd-260.1 SLOT=0/2 "USE=$SYSTEMD_USE_READY" "IUSE=$ROOTS_SYSTEMD_IUSE" \
		"PKGUSE=homed cryptsetup pam" "CONTENTS=$(contents_of "${SYSTEMD_HOMED_FILES[@]}")"
	for f in "${SYSTEMD_HOMED_FILES[@]}"; do
		_roots_write "$root" "${f#/}" $'ELF\n'
	done
	roots_installed "$root" sys-auth/pambase-20251104-r1 "USE=$PAMBASE_USE_READY" "IUSE=$ROOTS_PAMBASE_IUSE" \
		"CONTENTS=$(contents_of /etc/pam.d/system-auth /etc/pam.d/system-login)"
	_roots_write "$root" etc/pam.d/system-auth "$SYSTEM_AUTH"
	_roots_write "$root" etc/pam.d/system-login $'auth\t\tinclude\t\tsystem-auth\n'
	_roots_write "$root" etc/nsswitch.conf $'passwd: files systemd\ngroup: files [SUCCESS=merge] systemd\nshadow: files systemd\ngshadow: files systemd\n'
	_roots_write "$root" etc/systemd/homed.conf $'[Home]\nDefaultStorage=directory\n'
	_roots_write "$root" usr/sbin/mkfs.ext4 $'#!/bin/sh\n'
	chmod 0755 "$root/usr/sbin/mkfs.ext4"
	_roots_write "$root" etc/passwd $'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice A:/home/alice:/bin/bash\n'
	_roots_write "$root" etc/group $'root:x:0:\nwheel:x:10:root,alice\naudio:x:18:alice\nalice:x:1000:\n'
	_roots_write "$root" home/alice/notes.txt $'hello\n'
	_roots_write "$root" home/alice/docs/a.txt $'text\n'
	chmod 0700 "$root/home/alice"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R 1000:1000 "$root/home/alice"
	fi
}

# st ID STATUS: the JSON result of ID has STATUS.
st() {
	assert_json "[r['status'] for r in d['results'] if r['id'] == '$1'] == ['$2']"
}

# field ID KEY TEXT: the result's KEY contains TEXT.
field() {
	local id=$1 key=$2 text=$3
	if ! printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["results"] if x["id"] == sys.argv[1]]
v = r[0][sys.argv[2]] if r else None
if v is None or sys.argv[3] not in v:
    print("%s.%s = %r does not contain %r" % (sys.argv[1], sys.argv[2], v, sys.argv[3]), file=sys.stderr)
    sys.exit(1)
' "$id" "$key" "$text"; then
		_hs_dump
		return 1
	fi
}

mcheck() { # ARGS...: migrate check alice on $ROOT as JSON
	hs --root "$ROOT" migrate check alice --no-bus --json "$@"
}

setup() {
	ROOT=$(roots_new)
	ready_root "$ROOT"
	fake_rsync "$RSYNC_VERSION"
}

# ---- a migratable user -------------------------------------------------------------------------------------

@test "migrate check: a ready root and a plain home: every check OK or SKIP, exit 0" {
	mcheck
	assert_status 0
	assert_json 'd["version"] == 1 and d["user"] == "alice" and d["root"] == "'"$ROOT"'"'
	assert_json 'sorted(d) == ["counts", "facts", "results", "root", "user", "version", "worst"]'
	assert_json 'all(sorted(r) == ["detail", "fix", "group", "id", "status", "summary"] for r in d["results"])'
	assert_json '[r["id"] for r in d["results"]] == ["migrate.user", "migrate.name", "migrate.uid", "migrate.group", "migrate.groups", "migrate.session", "migrate.home", "migrate.saved", "migrate.space", "migrate.xattrs", "migrate.hardlinks", "migrate.owner", "migrate.ids", "migrate.special", "migrate.sparse", "migrate.names", "migrate.rsync", "migrate.storage", "migrate.homed-ready"]'
	assert_json 'd["counts"]["FAIL"] == 0 and d["counts"]["WARN"] == 0 and d["worst"] in ("OK", "SKIP")'
	# a ROOT is not the running system: sessions and processes cannot be looked at
	st migrate.session SKIP
	field migrate.session detail "not the running system"
	field migrate.groups summary "--member-of=wheel,audio"
	field migrate.storage summary "storage directory (/etc/systemd/homed.conf:2 (DefaultStorage=))"
	field migrate.homed-ready summary "systemd-homed is ready"
	field migrate.rsync summary "rsync 3.2.7"
	assert_json 'd["facts"]["uid"] == 1000 and d["facts"]["gid"] == 1000 and d["facts"]["private_group"] is True'
	assert_json 'd["facts"]["member_of"] == ["wheel", "audio"] and d["facts"]["storage"] == "directory"'
	assert_json 'd["facts"]["fs_type"] is None and d["facts"]["disk_size"] is None'
	assert_json 'd["facts"]["saved"] == "/home/alice.saved" and d["facts"]["rsync_flags"] == "-aHAXUv"'
	assert_json 'd["facts"]["home"] == "/home/alice" and d["facts"]["gecos"] == "Alice A" and d["facts"]["home_bytes"] > 0'
	assert_json 'd["facts"]["rsync"] == "'"$BATS_TEST_TMPDIR/rsync"'"'
}

@test "migrate check: the human report ends with what the migration would use and the next step" {
	hs --root "$ROOT" migrate check alice --no-bus
	assert_status 0
	assert_line 0 " * ROOT=$ROOT"
	assert_output_contains " * Migrating alice to systemd-homed"
	[[ $output == *" * alice (UID 1000, /etc/passwd line 2) is not a homed user yet "*"[ ok ]"* ]] || fail "no user line"
	assert_output_contains "     member of:  wheel,audio"
	assert_output_contains "     storage:    directory"
	assert_output_contains "     copy:       rsync -aHAXUv ($BATS_TEST_TMPDIR/rsync)"
	assert_output_contains "     saved home: /home/alice.saved"
	assert_output_contains " * 0 failed, 0 warnings, 18 ok, 1 skipped"
	assert_output_contains "Next: 'homesetup migrate plan alice'"
	[[ $output != *$'\033'* ]] || fail "colour escapes with NO_COLOR"
	# -q: only the problems and the count
	hs --root "$ROOT" -q migrate check alice --no-bus
	assert_status 0
	[[ $output != *"[ ok ]"* ]] || fail "-q shows OK lines"
	assert_output_contains " * 0 failed, 0 warnings, 18 ok, 1 skipped"
}

@test "migrate check: LUKS with --fs-type: --disk-size and the mkfs" {
	mcheck --storage luks --fs-type ext4
	assert_status 0
	field migrate.storage summary "storage luks (--storage) with ext4 inside (--fs-type)"
	field migrate.space summary "--disk-size=50.0 MiB"
	assert_json 'd["facts"]["disk_size"] == 52428800 and d["facts"]["fs_type"] == "ext4"'
	# homed.conf's own file system (btrfs by default) is not this migration's: kernel.mkfs is not counted
	field migrate.homed-ready summary "systemd-homed is ready"
	mcheck --storage luks --fs-type xfs
	assert_status 1
	st migrate.storage FAIL
	field migrate.storage fix "emerge --ask sys-fs/xfsprogs"
}

# ---- failures, warnings and exit codes --------------------------------------------------------------------

@test "migrate check: a user that does not exist, root, a home that is missing: FAIL, exit 1" {
	hs --root "$ROOT" migrate check carol --no-bus --json
	assert_status 1
	st migrate.user FAIL
	field migrate.user summary "there is no user carol in /etc/passwd"
	st migrate.home SKIP

	hs --root "$ROOT" migrate check root --no-bus --json
	assert_status 1
	st migrate.name FAIL
	field migrate.name fix "root is never migrated"
	st migrate.uid FAIL

	rm -rf "$ROOT/home/alice"
	hs --root "$ROOT" migrate check alice --no-bus
	assert_status 1
	assert_output_contains "alice has no home directory: /home/alice does not exist"
	assert_output_contains "fix: create it first (install -d -m 0700"
	assert_output_contains "Run the fixes shown, then 'homesetup migrate check alice' again."
}

@test "migrate check: a WARN alone exits 1 (a shared primary group becomes --member-of)" {
	_roots_write "$ROOT" etc/passwd $'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:100:Alice A:/home/alice:/bin/bash\n'
	_roots_write "$ROOT" etc/group $'root:x:0:\nusers:x:100:\nwheel:x:10:alice\n'
	mcheck
	assert_status 1
	assert_json 'd["counts"]["FAIL"] == 0 and d["counts"]["WARN"] == 1 and d["worst"] == "WARN"'
	st migrate.group WARN
	field migrate.group summary "shared group users (GID 100): it becomes a supplementary group (--member-of=users)"
	assert_json 'd["facts"]["member_of"] == ["users", "wheel"] and d["facts"]["private_group"] is False'
	assert_json 'd["facts"]["primary_group"] == "users"'
}

@test "migrate check: a journal that is not homesetup's is explained; resume and rollback are named" {
	_roots_write "$ROOT" var/lib/homesetup/migrate/alice.json \
		'{"version":1,"user":"alice","steps":[{"id":"backup","state":"done"},{"id":"move-aside","state":"failed"}]}'
	mkdir "$ROOT/home/alice.saved"
	mcheck
	assert_status 1
	st migrate.user FAIL
	field migrate.user summary "a migration journal of alice exists but cannot be understood"
	field migrate.user detail "corrupted"
	field migrate.user fix "homesetup migrate resume alice"
	field migrate.user fix "homesetup migrate rollback alice"
	st migrate.saved OK
	field migrate.saved summary "belongs to the migration under way"
	st migrate.home SKIP
}

@test "migrate check: already a homed user" {
	_roots_write "$ROOT" var/lib/systemd/home/alice.identity '{"userName":"alice"}'
	mcheck
	assert_status 1
	field migrate.user summary "alice is in /etc/passwd and is a homed user as well"
}

@test "migrate check: a logged-in user, a home that is a mount point (a /proc of the test's own)" {
	local proc="$BATS_TEST_TMPDIR/proc" real
	real=$(realpath "$ROOT")
	mkdir -p "$proc/self" "$proc/4242" "$proc/4243"
	printf '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n' > "$proc/self/mountinfo"
	printf 'Name:\tbash\nUid:\t1000\t1000\t1000\t1000\n' > "$proc/4242/status"
	printf 'Name:\tsshd\nUid:\t0\t0\t0\t0\n' > "$proc/4243/status"
	HOMESETUP_TEST_PROC=$proc mcheck
	assert_status 1
	st migrate.session FAIL
	field migrate.session summary "alice runs 1 process"
	field migrate.session detail "4242 (bash)"
	field migrate.session fix "loginctl terminate-user alice"
	rm "$proc/4242/status"
	printf '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 22 8:2 / %s/home/alice rw - xfs /dev/sdb1 rw\n' "$real" \
		> "$proc/self/mountinfo"
	HOMESETUP_TEST_PROC=$proc mcheck
	assert_status 1
	st migrate.session OK
	st migrate.home FAIL
	field migrate.home summary "/home/alice is a mount point"
	field migrate.home detail "the mount table lists it (xfs)"
}

@test "migrate check: /home/alice.saved in the way, a symlinked home" {
	mkdir "$ROOT/home/alice.saved"
	mcheck
	assert_status 1
	st migrate.saved FAIL
	field migrate.saved fix "mv /home/alice.saved /home/alice.saved.old"
	rmdir "$ROOT/home/alice.saved"
	mv "$ROOT/home/alice" "$ROOT/home/alice-real"
	ln -s alice-real "$ROOT/home/alice"
	mcheck
	assert_status 1
	st migrate.home FAIL
	field migrate.home summary "/home/alice is a symlink (to alice-real)"
}

@test "migrate check: the UID and name rules of homectl" {
	_roots_write "$ROOT" etc/passwd $'root:x:0:0:root:/root:/bin/bash\nalice:x:61200:1000:Alice A:/home/alice:/bin/bash\n'
	mcheck
	assert_status 1
	field migrate.uid summary 'homectl refuses it ("UID 61200 is in dynamic range, refusing.")'
	_roots_write "$ROOT" etc/passwd $'root:x:0:0:root:/root:/bin/bash\nalice:x:900:900:Alice A:/home/alice:/bin/bash\n'
	_roots_write "$ROOT" etc/group $'root:x:0:\nwheel:x:10:root,alice\nalice:x:900:\n'
	chown -R 900:900 "$ROOT/home/alice" 2> /dev/null || true
	_roots_write "$ROOT" etc/login.defs $'UID_MIN\t\t 1000\nSYS_UID_MAX\t  899\n'
	mcheck
	assert_status 0
	field migrate.uid summary "system UIDs end at 899, /etc/login.defs:2 (SYS_UID_MAX)"
	_roots_write "$ROOT" etc/passwd $'root:x:0:0:root:/root:/bin/bash\nsystemd-x:x:1000:1000::/home/systemd-x:/bin/sh\n'
	hs --root "$ROOT" migrate check systemd-x --no-bus --json
	assert_status 1
	field migrate.name summary "names starting with 'systemd-' belong to systemd's own users"
}

@test "migrate check: space for the image: a --disk-size too small, and more than /home has" {
	mcheck --storage luks --fs-type ext4 --disk-size 10M
	assert_status 1
	st migrate.space FAIL
	field migrate.space summary "--disk-size 10.0 MiB is too small"
	mcheck --storage luks --fs-type ext4 --disk-size 1000000T
	assert_status 1
	field migrate.space summary "not enough space on /home"
	field migrate.space fix "free at least"
	assert_json 'd["facts"]["disk_size"] == 1000000 * 2**40'
}

@test "migrate check: what the home holds: hard links outside, a FIFO, a sparse file, a name that is not UTF-8" {
	mkdir -p "$ROOT/var"
	ln "$ROOT/home/alice/notes.txt" "$ROOT/var/notes"
	mkfifo "$ROOT/home/alice/pipe"
	truncate -s 64M "$ROOT/home/alice/disk.img"
	printf 'x' > "$ROOT/home/alice/caf$(printf '\351').txt"
	if [ "$(id -u)" -eq 0 ]; then
		chown 1000:1000 "$ROOT/home/alice/pipe" "$ROOT/home/alice/disk.img" "$ROOT/home/alice/caf"*
	fi
	mcheck
	assert_status 1
	st migrate.hardlinks WARN
	field migrate.hardlinks detail "notes.txt"
	st migrate.special WARN
	field migrate.special detail "pipe"
	st migrate.sparse WARN
	field migrate.sparse detail "disk.img"
	st migrate.names WARN
	field migrate.names detail 'caf\xe9.txt'
	assert_json 'd["counts"]["FAIL"] == 0'
}

@test "migrate check: files of other owners (root only)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	printf 'x' > "$ROOT/home/alice/rootfile"
	chown 0:0 "$ROOT/home/alice/rootfile"
	mcheck
	assert_status 1
	st migrate.owner WARN
	field migrate.owner summary "1 entry of the home does not belong to alice"
	field migrate.owner detail "rootfile"
}

@test "migrate check: owners and ACL entries homed's idmapped mount cannot hold FAIL (migrate.ids) (root only)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	command -v setfacl > /dev/null || skip "setfacl is not installed"
	printf 'x' > "$ROOT/home/alice/nobodys"
	chown 65534:1000 "$ROOT/home/alice/nobodys"
	setfacl -m u:100000:r "$ROOT/home/alice/notes.txt" 2> /dev/null || skip "no ACLs on this file system"
	setfacl -d -m g:60005:rx "$ROOT/home/alice/docs"
	mcheck
	assert_status 1
	st migrate.ids FAIL
	field migrate.ids summary "3 entries of the home name a UID or GID that homed's idmapped mount of the new home leaves unmapped"
	field migrate.ids detail "nobodys (owner 65534)"
	field migrate.ids detail "notes.txt (ACL user:100000)"
	field migrate.ids detail "docs (default ACL group:60005)"
	field migrate.ids detail "60005: homed's UID range 60001-60512"
	field migrate.ids fix "setfacl -x u:ID PATH"
	# an unmapped owner is not also a WARN of migrate.owner
	st migrate.owner OK
	# the human report: the summary and the fix
	hs --root "$ROOT" migrate check alice --no-bus
	assert_status 1
	assert_output_contains "3 entries of the home name a UID or GID"
	assert_output_contains "chown -h alice PATH"
	# mapped IDs: fine (another owner is migrate.owner's WARN)
	chown 1001:100 "$ROOT/home/alice/nobodys"
	setfacl -x u:100000 "$ROOT/home/alice/notes.txt"
	setfacl -x d:g:60005 "$ROOT/home/alice/docs"
	setfacl -m u:60513:r "$ROOT/home/alice/notes.txt"
	mcheck
	st migrate.ids OK
	st migrate.owner WARN
}

@test "migrate check: ACLs on btrfs in a LUKS image need the acl mount option" {
	command -v setfacl > /dev/null || skip "setfacl is not installed"
	setfacl -m u:1001:r "$ROOT/home/alice/notes.txt" 2> /dev/null || skip "no ACLs on this file system"
	_roots_write "$ROOT" usr/sbin/mkfs.btrfs $'#!/bin/sh\n'
	chmod 0755 "$ROOT/usr/sbin/mkfs.btrfs"
	mcheck --storage luks --fs-type btrfs
	st migrate.xattrs OK
	field migrate.xattrs summary "--luks-extra-mount-options=acl"
	assert_json 'd["facts"]["has_acls"] is True and d["facts"]["needs_acl_mount_option"] is True'
	mcheck --storage luks --fs-type ext4
	assert_json 'd["facts"]["has_acls"] is True and d["facts"]["needs_acl_mount_option"] is False'
}

@test "migrate check: rsync: missing, without ACLs, too old for --atimes, crtimes, older than 3.1.3" {
	unset HOMESETUP_RSYNC
	mcheck
	assert_status 1
	st migrate.rsync FAIL
	field migrate.rsync fix "emerge --ask net-misc/rsync"
	assert_json 'd["facts"]["rsync"] is None'
	fake_rsync "${RSYNC_VERSION/ ACLs,/ no ACLs,}"
	mcheck
	st migrate.rsync FAIL
	field migrate.rsync summary "built without ACL support"
	fake_rsync $'rsync  version 3.1.3  protocol version 31\nCapabilities:\n    64-bit files, hardlinks, symlinks, ACLs, xattrs, iconv, symtimes\n'
	mcheck
	st migrate.rsync WARN
	assert_json 'd["facts"]["rsync_flags"] == "-aHAXv"'
	fake_rsync "${RSYNC_VERSION/no crtimes/crtimes}"
	mcheck
	assert_status 0
	assert_json 'd["facts"]["rsync_flags"] == "-aHAXUNv"'
	field migrate.rsync summary "the copy runs rsync -aHAXUNv --numeric-ids --modify-window=-1"
	# older than 3.1.3: no nanosecond comparison of times (--modify-window=-1)
	fake_rsync "${RSYNC_VERSION/3.2.7/3.1.2}"
	mcheck
	assert_status 1
	st migrate.rsync FAIL
	field migrate.rsync summary "rsync 3.1.2 at $HOMESETUP_RSYNC is older than 3.1.3: the copy needs --modify-window=-1"
}

@test "migrate check: usage errors exit 2" {
	hs --root "$ROOT" migrate check
	assert_status 2
	assert_stderr_contains "which user?"
	hs --root "$ROOT" migrate check alice bob
	assert_status 2
	assert_stderr_contains "unexpected argument 'bob'"
	hs --root "$ROOT" migrate check ../../etc
	assert_status 2
	assert_stderr_contains "invalid user name '../../etc'"
	hs --root "$ROOT" migrate check alice --storage cifs
	assert_status 2
	assert_stderr_contains "local storage only"
	hs --root "$ROOT" migrate check alice --fs-type zfs
	assert_status 2
	assert_stderr_contains "unknown file system type 'zfs'"
	hs --root "$ROOT" migrate check alice --disk-size 12Q
	assert_status 2
	assert_stderr_contains "invalid --disk-size '12Q'"
	hs --root "$ROOT" migrate check alice --bogus
	assert_status 2
	hs --root "$ROOT/nonexistent" migrate check alice
	assert_status 2
	assert_stderr_contains "ROOT '$ROOT/nonexistent'"
	[ -z "$output" ] || fail "stdout not empty"
}

# ---- homesetup check --user ------------------------------------------------------------------------------

@test "check --user: the migrate checks come last and summarise the readiness checks of the same run" {
	hs check --root "$ROOT" --no-bus --json --user alice
	assert_status 0
	assert_json '[r["group"] for r in d["results"]][-19:] == ["migrate"] * 19'
	assert_json '"migrate" not in [r["group"] for r in d["results"]][:-19]'
	st migrate.home OK
	field migrate.homed-ready summary "systemd-homed is ready: none of"
	# a FAIL elsewhere in the run is named by migrate.homed-ready
	rm "$ROOT/etc/nsswitch.conf"
	hs check --root "$ROOT" --no-bus --json --user alice
	assert_status 1
	st migrate.homed-ready FAIL
	field migrate.homed-ready summary "nss.passwd"
	field migrate.homed-ready fix "checks above"
}

@test "check --user: the human report heads the migrate checks like migrate check does, with the same lines" {
	local mc
	# migrate check's lines: the heading and the results, then (after the facts) the count
	mc=$("$HOMESETUP" --root "$ROOT" migrate check alice --no-bus)
	hs check --root "$ROOT" --no-bus --user alice --only migrate
	assert_status 0
	assert_output " * ROOT=$ROOT"$'\n\n'"$(sed -n '/^ \* Migrating alice/,/^$/p' <<< "$mc" | sed '$d')"$'\n\n'"$(
		grep -E '^ \* [0-9]+ failed, ' <<< "$mc")"
	[[ $output == *$'\n * Migrating alice to systemd-homed\n * alice (UID 1000'* ]] || fail "no heading"
	[[ $output != *" * migrate"$'\n'* ]] || fail "the group's name instead of its title"
	# -q keeps the heading above a problem, and --kv and --json do not change
	mkdir "$ROOT/home/alice.saved"
	hs check -q --root "$ROOT" --no-bus --user alice --only migrate
	assert_status 1
	# ($lines leaves the empty lines out)
	assert_line 1 " * Migrating alice to systemd-homed"
	[[ ${lines[2]} == " * /home/alice.saved exists"* ]] || fail "line 2: ${lines[2]}"
	hs check --kv --root "$ROOT" --no-bus --user alice --only migrate.saved
	assert_status 1
	[[ ${lines[0]} == $'id=migrate.saved\tgroup=migrate\tstatus=FAIL\tsummary=/home/alice.saved exists'* ]] ||
		fail "record: ${lines[0]}"
}

@test "check: without --user no migrate checks run; --only migrate needs one" {
	hs check --root "$ROOT" --no-bus --json
	assert_json '"migrate" not in [r["group"] for r in d["results"]]'
	hs check --root "$ROOT" --no-bus --only migrate
	assert_status 2
	assert_stderr_contains "the migrate checks are about one user: give it with --user USER"
	hs check --root "$ROOT" --no-bus --json --user alice --only migrate.user,migrate.home
	assert_status 0
	assert_json '[r["id"] for r in d["results"]] == ["migrate.user", "migrate.home"]'
	hs check --root "$ROOT" --no-bus --user ../x
	assert_status 2
	assert_stderr_contains "invalid user name '../x'"
	hs check --list
	assert_output_contains "migrate.homed-ready"
}
