# shellcheck shell=bash
# Roots for the migration scenarios (tests/cli/migrate_*.bats) and an independent way to compare them before and
# after. `load ../lib/common`, `load ../lib/roots`, then `load ../lib/migrate`.
#
#   mig_root [NAME] [full|small]   a ROOT ready for `homesetup migrate` (prints its path): a Gentoo system where
#                                  homed is built, installed and configured (tests/lib/roots' roots_homed_ready,
#                                  plus nsswitch, a kernel, rsync, mkfs; no homed.conf: pass --storage),
#                                  the four account files and login.defs (users below), /etc/skel, and the homes of
#                                  alice and bob. "full" gives alice the realistic tree (mig_tree_full), "small"
#                                  a tree of a dozen entries (mig_tree_small) for the crash matrix. Built once per
#                                  bats file and copied (cp -a keeps xattrs, ACLs, hardlinks, holes) per test.
#   mig_fake ROOT                  point homesetup at tests/lib/fake-homectl for ROOT: exports HOMESETUP_HOMECTL,
#                                  FAKE_HOMECTL_ROOT, FAKE_HOMECTL_STATE, FAKE_HOMECTL_LOG (spawn.c passes the
#                                  caller's FAKE_HOMECTL_* variables on to homectl)
#   mig_fake_set VAR=VALUE...      export settings for the double (FAKE_HOMECTL_FAIL, _FAIL_AFTER, _KILL_PARENT_IN_COPY)
#   mig_fake_reset                 unset those settings again
#   mig_calls [VERB]               the double's log: one line per call (arguments in printf %q form, TAB, env)
#   mig_call_args VERB [N]         the arguments of the Nth (default: last) call of VERB, one per line
#   mig_fake_home USER             where the double keeps USER's home (the image directory), empty if none
#   mig_hs PASSWORD ARGS...        run homesetup with PASSWORD (plus a newline) readable on fd 7
#                                  (use `--password-fd 7` in ARGS); like `hs` otherwise
#   mig_snapshot ROOT USER DIR     record ROOT's account files and USER's home (and nothing of homesetup's own code):
#                                  DIR/{passwd,shadow,group,gshadow} copies, DIR/home.manifest
#   mig_manifest DIR [EXCLUDE...]  print the manifest of the tree DIR (python3, lstat only, never following a
#                                  link): per entry its path, type, mode, owner, size, mtime (ns), link target,
#                                  hardlink group, every xattr (ACLs included, raw) and the SHA-256 of the content;
#                                  top-level names in EXCLUDE are left out (atimes, ctimes and allocation are not
#                                  recorded: rsync -aHAXU without -S fills holes)
#   mig_check SPEC...              many comparisons in one python process (see MIG_MANIFEST_PY)
#   assert_accounts_equal DIR ROOT   the four files of ROOT are byte for byte those recorded in DIR
#   assert_home_equal SNAPDIR TREE [EXCLUDE...]   TREE's manifest is the recorded one (a diff otherwise)
#   mig_expected_accounts ROOT USER... DIR   DIR/{passwd,…}: the account files of a fresh mig_root with USERs
#                                  migrated (their lines gone; their names gone from the member lists of the
#                                  groups homed takes over with --member-of)
#   mig_setup USER [full|small]    $ROOT (mig_root + mig_fake), $SNAP and $EXPECTED for USER
#   mig_migrate VERB USER [ARGS...]   homesetup --root $ROOT migrate VERB USER with the password on fd 7
#   mig_assert_migrated USER [--remove-saved] / mig_assert_original USER / mig_assert_no_password USER
#   mig_root_state FILE / assert_root_unchanged FILE   "nothing changed" under ROOT
#
# Users: root; the system users bin, daemon, sshd, messagebus, portage, nobody; alice (1000, private group alice,
# member of wheel and audio, yescrypt hash of $MIG_PW_ALICE, shell /bin/bash); bob (1001, primary group users
# (100, shared), member of video, SHA-512 hash of $MIG_PW_BOB, shell /bin/zsh).

# shellcheck disable=SC2034 # these are for the .bats files
MIG_PW_ALICE='correct horse 42'
# shellcheck disable=SC2034
MIG_PW_BOB='bob builds 7'
# crypt(3) of the passwords above (perl -e 'print crypt(PW, SALT)' / openssl passwd -6 -salt …), fixed so that a
# root is the same bytes every time
# shellcheck disable=SC2016
MIG_HASH_ALICE='$y$j9T$Fq9gmRpbDbX1BZNtq8TCx.$c4zJDSCBXmtTUQVEkOuuWgZS6Sb5ghZoYOEvr3Xq/R8'
# shellcheck disable=SC2016
MIG_HASH_BOB='$6$Gm7c2ZQkT1xV$NKQ58lHqR2Sylv4Co97sv16Po9uoFH/KbbJ11ZmAXrvv8/FQnXTVAgKT1D/WjTqrkkLxRmSMbWXyxyWDfnrSp1'
# shellcheck disable=SC2016
MIG_HASH_ROOT='$6$rOOtSaLt9q$HiCOiKAkr4e8t08JNWFbb9HVmW7BrLHz99AtZNj4uxYht7spFamDVTXRMjbn7yOO0CN9bvf5Ir4ynLI36yyh70'
MIG_FAKE=$HS_TOP/tests/lib/fake-homectl
# The scenarios run python3 (the manifests, assert_json) a few hundred times: prefer the system's interpreter to a
# version-manager shim, which costs half a second a call on a loaded machine. Only the standard library is used.
MIG_PYTHON=$(PATH=/usr/bin:/bin command -v python3 || command -v python3)
python3() { "$MIG_PYTHON" "$@"; }
MIG_ACCOUNT_FILES=(passwd shadow group gshadow)
# the executor's step ids, in order (doc: migrate-contract; "remove-saved" only with --remove-saved)
# shellcheck disable=SC2034
MIG_STEPS=(backup manifest move-aside remove-account create copy verify)

# ---- the root ----------------------------------------------------------------------------------------------------

MIG_KERNEL=6.12.21-gentoo

# Everything `homesetup check --no-bus` looks at, ready for homed (the bus checks SKIP without a bus): the use and
# vdb groups' ready root (roots_homed_ready), plus the shells, rsync and mkfs the users and the plan name, NSS and
# a kernel with what homed's LUKS storage needs.
mig_ready_system() { # ROOT
	local root=$1 f
	roots_homed_ready "$root" || return 1
	for f in /bin/bash /bin/zsh /usr/bin/rsync /usr/sbin/mkfs.btrfs /usr/sbin/mkfs.ext4; do
		_roots_write "$root" "$f" $'ELF\n'
		chmod 0755 "$root$f"
	done
	_roots_write "$root" etc/nsswitch.conf 'passwd:      files systemd
group:       files [SUCCESS=merge] systemd
shadow:      files systemd
gshadow:     files systemd
hosts:       files dns
'
	_roots_write "$root" "boot/config-$MIG_KERNEL" 'CONFIG_BLK_DEV_LOOP=y
CONFIG_MD=y
CONFIG_BLK_DEV_DM=y
CONFIG_DM_CRYPT=y
CONFIG_CRYPTO_AES=y
CONFIG_CRYPTO_XTS=y
CONFIG_CRYPTO_SHA256=y
CONFIG_CRYPTO_USER_API_HASH=y
CONFIG_CRYPTO_USER_API_SKCIPHER=y
CONFIG_BTRFS_FS=y
CONFIG_BTRFS_FS_POSIX_ACL=y
CONFIG_EXT4_FS=y
'
	mkdir -p "$root/lib/modules/$MIG_KERNEL/kernel"
}

# The four account files and login.defs (see the header for the users).
mig_accounts() { # ROOT
	local root=$1
	_roots_write "$root" etc/passwd 'root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
sshd:x:22:22:User for ssh:/var/empty:/sbin/nologin
messagebus:x:101:101:System user; messagebus:/dev/null:/sbin/nologin
alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/bash
bob:x:1001:100:Bob Builder:/home/bob:/bin/zsh
portage:x:250:250:System user; portage:/var/lib/portage/home:/sbin/nologin
nobody:x:65534:65534:nobody:/var/empty:/sbin/nologin
'
	_roots_write "$root" etc/shadow "root:$MIG_HASH_ROOT:19700:0:::::
bin:!:19700::::::
daemon:!:19700::::::
sshd:!:19700::::::
messagebus:!:19700::::::
alice:$MIG_HASH_ALICE:19712:0:99999:7:::
bob:$MIG_HASH_BOB:19713:0:99999:7:::
portage:!:19700::::::
nobody:!:19700::::::
"
	_roots_write "$root" etc/group 'root:x:0:
bin:x:1:daemon
daemon:x:2:bin
wheel:x:10:root,alice
audio:x:18:alice
sshd:x:22:
video:x:27:bob
users:x:100:
messagebus:x:101:
portage:x:250:portage
alice:x:1000:
nogroup:x:65533:
nobody:x:65534:
'
	_roots_write "$root" etc/gshadow 'root:::
bin:::daemon
daemon:::bin
wheel:::root,alice
audio:::alice
sshd:!::
video:::bob
users:::
messagebus:!::
portage:!::portage
alice:!::
nogroup:!::
nobody:!::
'
	chmod 0644 "$root/etc/passwd" "$root/etc/group"
	chmod 0600 "$root/etc/shadow" "$root/etc/gshadow"
	_roots_write "$root" etc/login.defs 'MAIL_DIR	/var/spool/mail
PASS_MAX_DAYS	99999
PASS_MIN_DAYS	0
PASS_WARN_AGE	7
UID_MIN			 1000
UID_MAX			60000
SYS_UID_MIN		  101
SYS_UID_MAX		  999
GID_MIN			 1000
GID_MAX			60000
SYS_GID_MIN		  101
SYS_GID_MAX		  999
UMASK		022
ENCRYPT_METHOD YESCRYPT
'
	mkdir -p "$root/etc/skel"
	printf '# /etc/skel/.bash_logout\n' > "$root/etc/skel/.bash_logout"
	printf '# /etc/skel/.bash_profile\n[[ -f ~/.bashrc ]] && . ~/.bashrc\n' > "$root/etc/skel/.bash_profile"
	printf '# /etc/skel/.bashrc\n[[ $- != *i* ]] && return\n' > "$root/etc/skel/.bashrc"
	mkdir -p "$root/var/lib" "$root/var/empty" "$root/root"
	chmod 0700 "$root/root"
	mkdir -p "$root/home"
	chmod 0755 "$root/home"
}

# Give every entry of the tree a distinct mtime with nanoseconds (links included), so that a copy that loses times
# is seen. (Setting a time does not touch the parent directory's, so the order does not matter.)
_mig_stamp_times() { # DIR BASE-SECONDS
	python3 - "$1" "$2" << 'EOF'
import os, sys, zlib
top, base = os.fsencode(sys.argv[1]), int(sys.argv[2])
for d, dirs, files in os.walk(top):
    for p in [d] + [os.path.join(d, n) for n in dirs + files]:
        h = zlib.crc32(os.path.relpath(p, top))
        t = (base + h % 10000000) * 10**9 + h % 999999937
        os.utime(p, ns=(t, t), follow_symlinks=False)
EOF
}

# The realistic home of alice: nested directories, hardlinks (a pair and a triple), relative/absolute/dangling
# symlinks (one to /etc/shadow, one to /), a fifo, user xattrs (text and binary), ACLs (access on a file, default on
# a directory), a 0600 file in a 0700 directory, a sparse file, names that are not UTF-8 or hold a newline, a file
# owned by root and one by group wheel, an empty directory, ~3 MB of data.
mig_tree_full() { # DIR UID GID
	local h=$1 uid=$2 gid=$3 i
	mkdir -p "$h"/{Documents/Projects/homesetup/src,Documents/Shared,Music/Albums/2019,Pictures/.thumbnails,.config/app,.ssh,.cache,Empty}
	mkdir -p "$h/Documents/Projects/deep/a/b/c/d/e"
	printf 'deep\n' > "$h/Documents/Projects/deep/a/b/c/d/e/leaf.txt"
	printf '# ~/.bashrc of alice\nexport EDITOR=vim\nalias ll="ls -l"\n' > "$h/.bashrc"
	printf '# ~/.bash_profile\n[[ -f ~/.bashrc ]] && . ~/.bashrc\n' > "$h/.bash_profile"
	printf 'Quarterly report\n%.0s' {1..200} > "$h/Documents/report.txt"
	ln "$h/Documents/report.txt" "$h/Documents/Projects/report-hardlink.txt"
	printf 'three names, one inode\n' > "$h/Music/playlist.m3u"
	ln "$h/Music/playlist.m3u" "$h/Music/Albums/playlist.m3u"
	ln "$h/Music/playlist.m3u" "$h/.cache/playlist-copy.m3u"
	for i in $(seq 1 40); do
		printf 'int f%d(void) { return %d; }\n' "$i" "$i" > "$h/Documents/Projects/homesetup/src/f$i.c"
	done
	head -c 1500000 /dev/urandom > "$h/Music/Albums/2019/track01.ogg"
	head -c 1200000 /dev/urandom > "$h/Pictures/holiday.jpg"
	head -c 300000 /dev/urandom > "$h/Pictures/.thumbnails/holiday.png"
	ln -s ../Documents/report.txt "$h/Music/report-link"
	ln -s /etc/shadow "$h/Documents/shadow-link"
	ln -s / "$h/root-link"
	ln -s does/not/exist "$h/.config/dangling"
	mkfifo "$h/.cache/fifo"
	printf 'setting=1\n' > "$h/.config/app/config.ini"
	setfattr -n user.comment -v "reviewed by bob" "$h/Documents/report.txt"
	setfattr -n user.binary -v 0x00ff10e2 "$h/Pictures/holiday.jpg"
	setfattr -n user.xdg.origin.url -v "https://example.org/holiday" "$h/Pictures/holiday.jpg"
	printf 'for bob\n' > "$h/Documents/Shared/plan.txt"
	setfacl -m u:1001:r-- "$h/Documents/Shared/plan.txt"
	setfacl -d -m u:1001:r-x "$h/Documents/Shared"
	printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n' \
		> "$h/.ssh/id_ed25519"
	printf 'ssh-ed25519 AAAA alice@host\n' > "$h/.ssh/id_ed25519.pub"
	truncate -s 8M "$h/Documents/disk.img"
	printf 'header' | dd of="$h/Documents/disk.img" bs=1 seek=4096 conv=notrunc status=none
	printf 'latin-1 name\n' > "$h/Music/caf"$'\xe9'".txt"
	printf 'newline name\n' > "$h/Documents/line"$'\n'"break.txt"
	printf 'owned by root\n' > "$h/Documents/root-owned.txt"
	printf 'group wheel\n' > "$h/Documents/wheel-group.txt"
	chown -R -h "$uid:$gid" "$h"
	chown -h 0:0 "$h/Documents/root-owned.txt"
	chown -h "$uid:10" "$h/Documents/wheel-group.txt"
	chmod 0700 "$h" "$h/.ssh"
	chmod 0600 "$h/.ssh/id_ed25519"
	chmod 0755 "$h/Documents/Projects/homesetup/src"
	chmod 0640 "$h/Documents/report.txt"
	_mig_stamp_times "$h" 1600000000
}

# A dozen entries, still with each kind the copy must keep: a hardlink pair, a symlink, an xattr, an ACL, a fifo.
mig_tree_small() { # DIR UID GID
	local h=$1 uid=$2 gid=$3 i
	mkdir -p "$h/docs/sub" "$h/.config"
	for i in 1 2 3 4 5 6; do
		printf 'file %d\n' "$i" > "$h/docs/f$i.txt"
	done
	printf 'settings\n' > "$h/.config/settings"
	ln "$h/docs/f1.txt" "$h/docs/sub/f1-hardlink.txt"
	ln -s ../f2.txt "$h/docs/sub/f2-link"
	mkfifo "$h/docs/fifo"
	setfattr -n user.tag -v blue "$h/docs/f3.txt"
	setfacl -m u:1001:r-- "$h/docs/f4.txt"
	chown -R -h "$uid:$gid" "$h"
	chmod 0700 "$h"
	_mig_stamp_times "$h" 1650000000
}

_mig_tree_bob() { # DIR
	local h=$1
	mkdir -p "$h/notes"
	printf '# ~/.zshrc of bob\n' > "$h/.zshrc"
	printf 'todo: migrate\n' > "$h/notes/todo.txt"
	ln -s notes/todo.txt "$h/todo"
	chown -R -h 1001:100 "$h"
	chmod 0750 "$h"
	_mig_stamp_times "$h" 1620000000
}

_mig_template() { # full|small → path of the template root (built once per bats file)
	local kind=$1 t
	t=${BATS_FILE_TMPDIR:-$BATS_TEST_TMPDIR}/mig-template-$kind
	if [ ! -e "$t/.complete" ]; then
		rm -rf "$t"
		mkdir -p "$t"
		mig_ready_system "$t"
		mig_accounts "$t"
		"mig_tree_$kind" "$t/home/alice" 1000 1000
		_mig_tree_bob "$t/home/bob"
		: > "$t/.complete"
	fi
	printf '%s\n' "$t"
}

mig_root() { # [NAME] [full|small]
	local root=$BATS_TEST_TMPDIR/${1:-root} t
	t=$(_mig_template "${2:-full}") || return 1
	rm -rf "$root"
	cp -a "$t" "$root" || return 1
	rm -f "$root/.complete"
	printf '%s\n' "$root"
}

# ---- the fake homectl ------------------------------------------------------------------------------------------

mig_fake() { # ROOT
	export FAKE_HOMECTL_ROOT=$1
	export FAKE_HOMECTL_STATE=$1/var/lib/fake-homed
	export FAKE_HOMECTL_LOG=$BATS_TEST_TMPDIR/homectl.log
	export HOMESETUP_HOMECTL=$MIG_FAKE
	: > "$FAKE_HOMECTL_LOG"
	mig_fake_reset
}

mig_fake_reset() {
	unset FAKE_HOMECTL_FAIL FAKE_HOMECTL_FAIL_AFTER FAKE_HOMECTL_KILL_PARENT_IN_COPY
}

mig_fake_set() { # VAR=VALUE...
	local kv
	for kv in "$@"; do
		export "${kv%%=*}=${kv#*=}"
	done
}

mig_calls() { # [VERB]
	if [ $# -eq 0 ]; then
		cat "$FAKE_HOMECTL_LOG"
	else
		grep -E "^$1( |	)" "$FAKE_HOMECTL_LOG" || true
	fi
}

mig_call_args() { # VERB [N]
	local line
	local -a lines args
	mapfile -t lines < <(mig_calls "$1")
	[ "${#lines[@]}" -gt 0 ] || return 1
	line=${lines[${2:--1}]}
	line=${line%%	*}
	eval "args=($line)"
	printf '%s\n' "${args[@]}"
}

mig_fake_home() { # USER
	local f=$FAKE_HOMECTL_STATE/homes/$1
	[ -f "$f/created" ] && printf '%s%s\n' "$FAKE_HOMECTL_ROOT" "$(cat "$f/image")"
}

mig_hs() { # PASSWORD ARGS...
	local pw=$1
	shift
	printf '%s\n' "$pw" > "$BATS_TEST_TMPDIR/password"
	run --separate-stderr "$HOMESETUP" "$@" 7< "$BATS_TEST_TMPDIR/password"
}

# ---- snapshots ---------------------------------------------------------------------------------------------------

# The manifest program: `manifest DIR [EXCLUDE...]` prints one; `check SPEC...` compares, in one process (under
# load every process start counts), where SPEC is `tree SNAPSHOT-MANIFEST DIR EXCLUDES` (EXCLUDES: comma-separated
# top-level names, or "-") or `file EXPECTED ACTUAL` (bytes); it prints a diff of each mismatch and exits 1.
MIG_MANIFEST_PY='
import difflib, hashlib, os, stat, sys

def q(b):
    return repr(b)[2:-1]

def manifest(top, exclude):
    top = os.fsencode(top)
    exclude = {os.fsencode(x) for x in exclude}
    inodes, out = {}, []
    def entry(rel, path):
        st = os.lstat(path)
        m = st.st_mode
        kind = ("d" if stat.S_ISDIR(m) else "f" if stat.S_ISREG(m) else "l" if stat.S_ISLNK(m) else
                "p" if stat.S_ISFIFO(m) else "s" if stat.S_ISSOCK(m) else "c" if stat.S_ISCHR(m) else "b")
        f = [q(rel), kind, "%04o" % stat.S_IMODE(m), "%d:%d" % (st.st_uid, st.st_gid), "mtime=%d" % st.st_mtime_ns]
        if kind == "f":
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            f += ["size=%d" % st.st_size, "sha256=" + h.hexdigest()]
            if st.st_nlink > 1:
                f.append("nlink=%d" % st.st_nlink)
                key = (st.st_dev, st.st_ino)
                if key in inodes:
                    f.append("hardlink-of=" + q(inodes[key]))
                else:
                    inodes[key] = rel
        elif kind == "l":
            f.append("target=" + q(os.readlink(path)))
        elif kind in "cb":
            f.append("rdev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
        if kind != "l":
            for name in sorted(os.listxattr(path, follow_symlinks=False)):
                f.append("xattr:%s=%s" % (name, os.getxattr(path, name, follow_symlinks=False).hex()))
        out.append(" ".join(f))
        return kind
    def walk(rel, path):
        for name in sorted(os.listdir(path)):
            if not rel and name in exclude:
                continue
            r = os.path.join(rel, name) if rel else name
            p = os.path.join(path, name)
            if entry(r, p) == "d":
                walk(r, p)
    if entry(b".", top) == "d":
        walk(b"", top)
    return "".join(x + "\n" for x in out)

def diff(a, b, name_a, name_b):
    d = list(difflib.unified_diff(a.splitlines(True), b.splitlines(True), name_a, name_b))
    sys.stderr.write("".join(d[:80]))

if sys.argv[1] == "manifest":
    sys.stdout.write(manifest(sys.argv[2], sys.argv[3:]))
    sys.exit(0)
bad, a = 0, sys.argv[2:]
while a:
    if a[0] == "tree":
        snap, tree, excl = a[1:4]
        a = a[4:]
        want = open(snap).read()
        try:
            got = manifest(tree, [] if excl == "-" else excl.split(","))
        except OSError as e:
            sys.stderr.write("cannot scan %s: %s\n" % (tree, e))
            bad = 1
            continue
        if want != got:
            diff(want, got, snap, tree)
            sys.stderr.write("the tree %s differs from %s\n" % (tree, snap))
            bad = 1
    else:
        exp, act = a[1:3]
        a = a[3:]
        try:
            ok = open(exp, "rb").read() == open(act, "rb").read()
        except OSError as e:
            sys.stderr.write("%s\n" % e)
            ok = False
        if not ok:
            if os.path.exists(act):
                diff(open(exp, errors="replace").read(), open(act, errors="replace").read(), exp, act)
            sys.stderr.write("%s is not %s byte for byte\n" % (act, exp))
            bad = 1
sys.exit(bad)
'

mig_manifest() { # DIR [EXCLUDE...]
	python3 -c "$MIG_MANIFEST_PY" manifest "$@"
}

# mig_check SPEC...: see MIG_MANIFEST_PY
mig_check() {
	python3 -c "$MIG_MANIFEST_PY" check "$@" 2> "$BATS_TEST_TMPDIR/check.err" && return 0
	sed 's/^/# /' "$BATS_TEST_TMPDIR/check.err" >&2
	return 1
}

mig_snapshot() { # ROOT USER DIR
	local root=$1 user=$2 dir=$3 f
	mkdir -p "$dir"
	for f in "${MIG_ACCOUNT_FILES[@]}"; do
		cp -p "$root/etc/$f" "$dir/$f"
	done
	mig_manifest "$root/home/$user" > "$dir/home.manifest"
}

_mig_account_specs() { # DIR ROOT → file specs for mig_check
	local f
	for f in "${MIG_ACCOUNT_FILES[@]}"; do
		printf '%s\n' file "$1/$f" "$2/etc/$f"
	done
}

assert_accounts_equal() { # DIR ROOT
	local -a specs
	mapfile -t specs < <(_mig_account_specs "$1" "$2")
	mig_check "${specs[@]}" || fail "account files differ from $1"
}

assert_home_equal() { # SNAPDIR TREE [EXCLUDE...]
	local snap=$1 tree=$2 excl
	shift 2
	excl=$(IFS=,; printf '%s' "${*:--}")
	mig_check tree "$snap/home.manifest" "$tree" "$excl" || fail "the tree $tree differs from the snapshot in $snap"
}

# What the account files of a fresh mig_root look like once USERs are migrated to homed.
mig_expected_accounts() { # ROOT USER... DIR
	local root=$1 dir=${*: -1} u f
	local -a users=("${@:2:$#-2}")
	mkdir -p "$dir"
	for f in "${MIG_ACCOUNT_FILES[@]}"; do
		cp "$root/etc/$f" "$dir/$f"
	done
	for u in "${users[@]}"; do
		# the user's lines; a private group (same name); the user's name in member lists (homed's --member-of)
		sed -i "/^$u:/d" "$dir/passwd" "$dir/shadow" "$dir/group" "$dir/gshadow"
		sed -i -E "s/^([^:]*:[^:]*:[^:]*:)(.*)\$/\1,\2,/; s/,$u,/,/g; s/^([^:]*:[^:]*:[^:]*:),(.*),\$/\1\2/; s/^([^:]*:[^:]*:[^:]*:),\$/\1/" \
			"$dir/group" "$dir/gshadow"
	done
}

# ---- the migration as the scenarios drive it ----------------------------------------------------------------------

# options every scenario passes to `migrate run` (the double has directory storage only)
MIG_RUN_OPTS=(--storage directory --yes --no-progress)

mig_password_of() { # USER
	case $1 in
	alice) printf '%s\n' "$MIG_PW_ALICE" ;;
	bob) printf '%s\n' "$MIG_PW_BOB" ;;
	*) printf 'no-such-password\n' ;;
	esac
}

mig_journal() { printf '%s/var/lib/homesetup/migrate/%s.json\n' "$ROOT" "$1"; } # USER
mig_workdir() { printf '%s/var/lib/homesetup/migrate/%s\n' "$ROOT" "$1"; } # USER

# `homesetup --root $ROOT migrate VERB USER [ARGS...]` with USER's password on fd 7
mig_migrate() { # VERB USER [ARGS...]
	local verb=$1 user=$2
	shift 2
	local -a extra=()
	[ "$verb" = run ] && extra=("${MIG_RUN_OPTS[@]}")
	case $verb in run | resume | rollback) extra+=(--password-fd 7) ;; esac
	mig_hs "$(mig_password_of "$user")" --root "$ROOT" migrate "$verb" "$user" "${extra[@]}" "$@"
}

# A fresh root ($ROOT) with the double, and what a scenario compares against: $SNAP (the accounts and USER's home
# as they are in a fresh root) and $EXPECTED (the account files once USER is migrated). Both depend only on the
# template, so they are made once per bats file.
mig_setup() { # USER [full|small]
	local kind=${2:-full} cache
	ROOT=$(mig_root root "$kind")
	mig_fake "$ROOT"
	cache=${BATS_FILE_TMPDIR:-$BATS_TEST_TMPDIR}/mig-snapshot-$kind-$1
	if [ ! -e "$cache/.complete" ]; then
		rm -rf "$cache"
		mig_snapshot "$ROOT" "$1" "$cache/snap" || return 1
		mig_expected_accounts "$ROOT" "$1" "$cache/expected" || return 1
		: > "$cache/.complete"
	fi
	SNAP=$cache/snap
	EXPECTED=$cache/expected
}

# USER is migrated: the account lines gone (byte for byte $EXPECTED), homed has USER, the new home is the old one
# plus .identity, the saved copy is the old home (or gone with --remove-saved), /home/USER is at most homed's
# empty mount point.
mig_assert_migrated() { # USER [--remove-saved]
	local u=$1 home
	local -a specs
	home=$(mig_fake_home "$u") || fail "homed has no $u"
	mapfile -t specs < <(_mig_account_specs "$EXPECTED" "$ROOT")
	specs+=(tree "$SNAP/home.manifest" "$home" .identity)
	if [ "${2:-}" = --remove-saved ]; then
		[ ! -e "$ROOT/home/$u.saved" ] || fail "/home/$u.saved is still there"
	else
		specs+=(tree "$SNAP/home.manifest" "$ROOT/home/$u.saved" -)
	fi
	mig_check "${specs[@]}" || fail "$u is not migrated as expected"
	if [ -e "$ROOT/home/$u" ] || [ -L "$ROOT/home/$u" ]; then
		if [ -L "$ROOT/home/$u" ] || [ ! -d "$ROOT/home/$u" ] || [ -n "$(ls -A "$ROOT/home/$u")" ]; then
			fail "/home/$u is not homed's (empty) mount point"
		fi
	fi
}

# Nothing of USER's migration is left: the account files and the home are the recorded ones, homed has no USER,
# there is no saved copy, journal or working directory.
mig_assert_original() { # USER
	local u=$1
	local -a specs
	mapfile -t specs < <(_mig_account_specs "$SNAP" "$ROOT")
	mig_check "${specs[@]}" tree "$SNAP/home.manifest" "$ROOT/home/$u" - || fail "$u is not back as before"
	[ ! -e "$ROOT/home/$u.saved" ] || fail "/home/$u.saved is left"
	[ -z "$(mig_fake_home "$u")" ] || fail "homed still has $u"
	[ ! -e "$ROOT/home/$u.homedir" ] || fail "/home/$u.homedir is left"
	[ ! -e "$(mig_journal "$u")" ] || fail "the journal is left"
	[ ! -e "$(mig_workdir "$u")" ] || fail "the working directory is left"
}

# the password appears nowhere: not in any homectl argument, not under /var/lib/homesetup, not in the output
mig_assert_no_password() { # USER
	local pw
	pw=$(mig_password_of "$1")
	if grep -qF -- "$pw" "$FAKE_HOMECTL_LOG"; then
		fail "the password is on a homectl command line: $(grep -F -- "$pw" "$FAKE_HOMECTL_LOG")"
	fi
	if [ -d "$ROOT/var/lib/homesetup" ] && grep -rqF -- "$pw" "$ROOT/var/lib/homesetup"; then
		fail "the password is stored under /var/lib/homesetup: $(grep -rlF -- "$pw" "$ROOT/var/lib/homesetup")"
	fi
	[[ ${output:-}${stderr:-} != *"$pw"* ]] || fail "the password was printed"
}

# the set of groups passed with --member-of (repeated or comma-separated) in the last create call, sorted, one line
mig_member_of() {
	local a next=0
	local -a args groups=()
	mapfile -t args < <(mig_call_args create)
	for a in "${args[@]}"; do
		if [ "$next" = 1 ]; then
			groups+=("$a")
			next=0
		elif [ "$a" = --member-of ] || [ "$a" = -G ]; then
			next=1
		elif [[ $a == --member-of=* ]]; then
			groups+=("${a#--member-of=}")
		fi
	done
	printf '%s\n' "${groups[@]}" | tr ',' '\n' | sed '/^$/d' | LC_ALL=C sort | paste -sd, -
}

# Everything under ROOT (the double's own bookkeeping aside), for "nothing changed".
# (the double's own bookkeeping under var/lib/fake-homed is left out: a refused run may still ask homectl inspect)
mig_root_state() { # OUT
	mig_manifest "$ROOT" | grep -v '^var/lib/fake-homed' > "$1"
}

assert_root_unchanged() { # BEFORE (a mig_root_state file)
	mig_root_state "$BATS_TEST_TMPDIR/root-state.now"
	mig_check file "$1" "$BATS_TEST_TMPDIR/root-state.now" || fail "ROOT changed"
}
