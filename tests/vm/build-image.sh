#!/usr/bin/env bash
# Builds (or reuses) the Debian 12 guest image of the VM tests: a real systemd-homed to migrate users into.
# No loop devices and no mounts on the host: debootstrap into a directory, configure it through chroot, and
# turn the directory into an ext4 image with `mkfs.ext4 -d`. The kernel and initrd are taken out of the rootfs
# so qemu boots with -kernel/-initrd (see /work/shared/docs/vm-notes.md and tests/vm/README.md).
#
# Output in the cache dir (HS_VM_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/homesetup-vm):
#   base.img      raw ext4 root file system (sparse, IMAGE_SIZE), used read-only as a qcow2 backing file
#   vmlinuz       the guest kernel
#   initrd.img    its initramfs
#   base.stamp    the hash of the inputs the image was built from (this script, the guest runner, the package
#                 list, the suite); a later call with the same inputs does nothing
#   debs/         debootstrap's package cache, so that a rebuild downloads nothing new
# Environment: HS_VM_CACHE, HS_VM_MIRROR (default http://deb.debian.org/debian), HS_VM_FORCE=1 rebuilds.
# Needs root (debootstrap, chroot). Prints the cache dir's image path on success.
# `build-image.sh --up-to-date` only tells whether the cached image is current (exit 0) or must be built (1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${HS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homesetup-vm}
mirror=${HS_VM_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
image_size=6G
machine_id=5eb6c1a0d3f94e2c8a7b6d1f0e9c4b37

# The guest's packages. systemd 252 dlopens libcryptsetup, which systemd-homed does not depend on; pamtester
# drives PAM logins; rsync, attr and acl are what the migration and the file-by-file checks use, jq reads
# homectl's and homesetup's JSON. The last line is what the built homesetup links against (run.sh checks the
# output of `ldd` against the image before it boots).
packages=(
	systemd systemd-sysv systemd-homed systemd-userdbd libpam-systemd libnss-systemd dbus udev kmod
	linux-image-amd64 initramfs-tools libcryptsetup12 cryptsetup-bin btrfs-progs e2fsprogs rsync attr acl
	procps passwd util-linux fdisk pamtester jq
	libjson-c5 libpcre2-8-0 libblkid1 libsystemd0 libiniparser1 libxxhash0 libcrypt1 zlib1g
)

die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

inputs_hash() {
	{
		cat "$here/build-image.sh" "$here/guest-runner.sh"
		printf '%s\n' "$suite" "$image_size" "${packages[@]}"
	} | sha256sum | cut -d' ' -f1
}

up_to_date() {
	[ -f "$cache/base.stamp" ] && [ "$(cat "$cache/base.stamp")" = "$(inputs_hash)" ] &&
		[ -f "$cache/base.img" ] && [ -f "$cache/vmlinuz" ] && [ -f "$cache/initrd.img" ]
}

# Everything but the image path goes to stderr (the chroot's tools print to stdout).
exec 3>&1 1>&2

case ${1:-} in
'') ;;
--up-to-date) up_to_date; exit ;;
*) die "usage: build-image.sh [--up-to-date]" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
for tool in debootstrap mkfs.ext4 chroot sha256sum flock; do
	command -v "$tool" > /dev/null || die "$tool is not installed"
done

mkdir -p "$cache"
exec 9> "$cache/build.lock"
flock 9

want=$(inputs_hash)
if [ "${HS_VM_FORCE:-0}" != 1 ] && up_to_date; then
	printf 'build-image: %s is up to date\n' "$cache/base.img" >&2
	echo "$cache/base.img" >&3
	exit 0
fi

build=$(mktemp -d "$cache/build.XXXXXX")
root=$build/rootfs

# Unmount whatever debootstrap left mounted under the build dir (it mounts proc and sys in the target while
# it runs), deepest first, before anything is removed.
unmount_all() {
	local m
	awk -v p="$build/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" || true
	done
}
cleanup() {
	unmount_all
	rm -rf --one-file-system "$build"
}
trap cleanup EXIT

start=$(date +%s)
printf 'build-image: debootstrap %s into %s (mirror %s)\n' "$suite" "$root" "$mirror" >&2
mkdir -p "$cache/debs" "$root"
include=$(IFS=,; echo "${packages[*]}")
if ! debootstrap --variant=minbase --components=main --include="$include" --cache-dir="$cache/debs" \
	"$suite" "$root" "$mirror" > "$build/debootstrap.log" 2>&1; then
	tail -n 30 "$build/debootstrap.log" >&2
	[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
	die "debootstrap failed"
fi
unmount_all
printf 'build-image: debootstrap took %ss\n' "$(($(date +%s) - start))" >&2

# ---- configure the guest -------------------------------------------------------------------------------
echo hsvm > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 hsvm\n' > "$root/etc/hosts"
echo "$machine_id" > "$root/etc/machine-id"
mkdir -p "$root/var/lib/dbus"
ln -sf /etc/machine-id "$root/var/lib/dbus/machine-id"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"

# NSS: systemd after files for the four databases homed serves (libnss-systemd's postinst adds it to some).
sed -i -E 's/^(passwd|group|shadow|gshadow):.*/\1: files systemd/' "$root/etc/nsswitch.conf"
for db in passwd group shadow gshadow; do
	grep -Eq "^$db: files systemd\$" "$root/etc/nsswitch.conf" ||
		printf '%s: files systemd\n' "$db" >> "$root/etc/nsswitch.conf"
done

# PAM: pam_systemd_home in common-{auth,account,password,session} through pam-auth-update.
[ -f "$root/usr/share/pam-configs/systemd-homed" ] || die "systemd-homed ships no pam-configs profile"
chroot "$root" pam-auth-update --enable systemd-homed
grep -q pam_systemd_home "$root/etc/pam.d/common-auth" || die "pam_systemd_home is not in common-auth"

# Where homesetup looks, the guest looks like Gentoo: homesetup's readiness checks (which `migrate` runs) know
# Gentoo's paths, not Debian's multiarch ones, and PAM logins of the tests go through the stack
# sys-auth/pambase[homed] writes (gentoo/pambase templates, rendered with --systemd --homed --nullok
# --encrypt yescrypt; no passwdqc, which Debian does not ship as a PAM module). Debian's own services keep
# their common-* files.
mkdir -p "$root/usr/lib64/security"
ln -sf ../../lib/x86_64-linux-gnu/security/pam_systemd_home.so "$root/usr/lib64/security/pam_systemd_home.so"
ln -sf ../lib/x86_64-linux-gnu/libnss_systemd.so.2 "$root/usr/lib64/libnss_systemd.so.2"
printf '%s\n' \
	'auth		required	pam_env.so' \
	'auth		requisite	pam_faillock.so preauth' \
	'auth		[success=2 default=ignore]	pam_systemd_home.so' \
	'auth		[success=1 new_authtok_reqd=1 ignore=ignore default=bad]	pam_unix.so nullok  try_first_pass' \
	'auth		[default=die]	pam_faillock.so authfail' \
	'account		[success=1 default=ignore]	pam_systemd_home.so' \
	'account		required	pam_unix.so' \
	'account		required	pam_faillock.so' \
	'password	[success=1 default=ignore]	pam_systemd_home.so' \
	'password	required	pam_unix.so try_first_pass shadow use_authtok nullok yescrypt' \
	'session		required	pam_limits.so' \
	'session		required	pam_env.so' \
	'session		[success=1 default=ignore]	pam_systemd_home.so' \
	'session		required	pam_unix.so' > "$root/etc/pam.d/system-auth"
printf '%s\n' \
	'auth		required	pam_nologin.so' \
	'auth		include		system-auth' \
	'account		required	pam_nologin.so' \
	'account		include		system-auth' \
	'password	include		system-auth' \
	'session		optional	pam_loginuid.so' \
	'session		include		system-auth' \
	'-session	optional	pam_systemd.so' > "$root/etc/pam.d/system-login"
printf '%s\n' 'auth		include		system-login' 'account		include		system-login' \
	'password	include		system-login' 'session		include		system-login' > "$root/etc/pam.d/system-local-login"
printf '%s\n' 'auth		include		system-local-login' 'account		include		system-local-login' \
	'password	include		system-local-login' 'session		include		system-local-login' > "$root/etc/pam.d/login"

# The share: the host exports a directory with -virtfs ... mount_tag=hs.
cat > "$root/etc/systemd/system/mnt-hs.mount" << 'UNIT'
[Unit]
Description=homesetup VM test share (virtio-9p)

[Mount]
What=hs
Where=/mnt/hs
Type=9p
Options=trans=virtio,version=9p2000.L,msize=262144
UNIT
mkdir -p "$root/mnt/hs"

install -m 0755 "$here/guest-runner.sh" "$root/usr/local/sbin/hs-vm-runner"
cat > "$root/etc/systemd/system/hs-vm-runner.service" << 'UNIT'
[Unit]
Description=homesetup VM test runner (runs the script on the share, then powers off)
Wants=mnt-hs.mount systemd-homed.service systemd-userdbd.socket
After=mnt-hs.mount multi-user.target systemd-homed.service systemd-userdbd.socket dbus.service systemd-user-sessions.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hs-vm-runner
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
FailureAction=poweroff-force

[Install]
WantedBy=multi-user.target
UNIT

# Nothing else runs at boot: no logins on any console, no first-boot questions, no timers.
chroot "$root" systemctl enable systemd-homed.service systemd-userdbd.socket hs-vm-runner.service
[ -e "$root/lib/systemd/system/systemd-homed-activate.service" ] &&
	chroot "$root" systemctl enable systemd-homed-activate.service
chroot "$root" systemctl mask getty@.service serial-getty@.service console-getty.service \
	systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer systemd-tmpfiles-clean.timer man-db.timer
chroot "$root" systemctl set-default multi-user.target
passwd_root=$(chroot "$root" passwd -S root | cut -d' ' -f2)
[ "$passwd_root" = L ] || chroot "$root" passwd -l root > /dev/null

# ---- kernel, initrd, image ------------------------------------------------------------------------------
kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "no kernel or initrd in $root/boot"; fi
cp "$kernel" "$build/vmlinuz"
cp "$initrd" "$build/initrd.img"
rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
rm -rf "$root/debootstrap"

printf 'build-image: mkfs.ext4 -d (%s)\n' "$image_size" >&2
mkfs.ext4 -q -F -L hsroot -d "$root" -E lazy_itable_init=0,lazy_journal_init=0 "$build/base.img" "$image_size"

mv -f "$build/base.img" "$cache/base.img"
mv -f "$build/vmlinuz" "$cache/vmlinuz"
mv -f "$build/initrd.img" "$cache/initrd.img"
echo "$want" > "$cache/base.stamp"
printf 'build-image: built %s in %ss (kernel %s)\n' "$cache/base.img" "$(($(date +%s) - start))" \
	"$(basename "$kernel")" >&2
echo "$cache/base.img" >&3
