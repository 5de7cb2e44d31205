# shellcheck shell=bash
# Gentoo-shaped roots in temp dirs, for the CLI suites (and any later suite that needs Portage's files).
# `load ../lib/common` then `load ../lib/roots` at the top of a .bats file. Paths inside a root are written
# without a leading slash. Every helper that takes TEXT reads standard input when TEXT is omitted.
#
#   roots_new [NAME]                       an empty root in the test's temp dir; prints its path
#   roots_repo ROOT [NAME]                 repository skeleton at var/db/repos/NAME (default gentoo):
#                                          profiles/repo_name, metadata/layout.conf, etc/portage/repos.conf
#   roots_profile ROOT NODE [PARENT...]    profile node profiles/NODE with an `eapi` (5) and, when PARENTs are
#                                          given, a `parent` file with one line each (as written: `..`, `gentoo:x`)
#   roots_profile_file ROOT NODE FILE [TEXT]   write profiles/NODE/FILE (NODE "." = the repository's profiles/)
#   roots_set_profile ROOT NODE            etc/portage/make.profile -> ../../var/db/repos/gentoo/profiles/NODE
#   roots_minimal ROOT                     a complete small amd64 system (see below); prints nothing
#   roots_make_conf ROOT [TEXT]            etc/portage/make.conf (a file)
#   roots_package_use ROOT NAME [TEXT]     etc/portage/package.use/NAME (package.use as a directory)
#   roots_user_profile ROOT FILE [TEXT]    etc/portage/profile/FILE (the user profile)
#   roots_ebuild ROOT CPV [KEY=VALUE...]   md5-cache entry metadata/md5-cache/CPV; defaults EAPI=8 SLOT=0
#                                          KEYWORDS=amd64, plus DEFINED_PHASES and _md5_; KEY= drops a key
#   roots_installed ROOT CPV [KEY=VALUE...]  VDB entry var/db/pkg/CPV, one file per key as Portage writes
#                                          them; defaults EAPI=8 SLOT=0 repository=gentoo USE="amd64
#                                          elibc_glibc kernel_linux", CATEGORY/PF/COUNTER/BUILD_TIME/CONTENTS
#   roots_systemd ROOT [VERSION]           the real md5-cache entry of sys-apps/systemd-260.1 (IUSE, REQUIRED_USE,
#                                          SLOT, KEYWORDS: portage-facts §1.1) under VERSION (default 260.1)
#   roots_pambase ROOT [VERSION]           the real md5-cache entry of sys-auth/pambase-20251104-r1 (§1.3)
#   roots_copy_gentoo_data NAME DEST       copy $SHARED/gentoo-data/NAME to DEST and restore its make.profile
#                                          symlink (the shared copy lost it: there the file holds the target)
#   roots_contents FILE...                 CONTENTS lines for FILEs (absolute): their directories (dir), then the
#                                          files (obj, with the MD5 of the path and a fixed mtime)
#   roots_homed_ready ROOT                 roots_minimal, then homed as `homesetup check` wants it in the use and
#                                          vdb groups (see below): ROOT can be built again in place
#
# roots_minimal writes: the gentoo repository with profiles base <- arch/amd64 <- default/linux/amd64
# (make.profile points at default/linux/amd64; ARCH=amd64, ACCEPT_KEYWORDS=amd64, ELIBC/KERNEL implicit
# flags, PYTHON_SINGLE_TARGET=python3_12, base USE="ipv6"), an empty make.conf, an empty package.use
# directory, and the real metadata of sys-apps/systemd-260.1 and sys-auth/pambase-20251104-r1 (both stable
# on amd64). Nothing is installed. With it, `homesetup use show` succeeds (exit 0): IUSE defaults only.
#
# roots_homed_ready adds: package.use/homed enabling what homed needs (`sys-apps/systemd homed cryptsetup pam`,
# `sys-auth/pambase homed`); systemd-260.1 installed with ROOTS_SYSTEMD_USE_HOMED (SLOT 0/2, PKGUSE as the
# package.use line) and pambase-20251104-r1 with ROOTS_PAMBASE_USE_HOMED; ROOTS_HOMED_FILES in systemd's
# CONTENTS and on disk (small 0755 files); /etc/pam.d/system-auth (ROOTS_SYSTEM_AUTH_HOMED, pambase[homed]'s) and
# system-login in pambase's CONTENTS and on disk. Every `use` and `vdb` check is then OK.

ROOTS_SYSTEMD_IUSE='acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn importd +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd abi_x86_32 abi_x86_64 abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64 python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 secureboot'
ROOTS_SYSTEMD_REQUSE='^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )'
ROOTS_SYSTEMD_KEYWORDS='~alpha amd64 arm arm64 ~hppa ~loong ~m68k ~mips ppc ppc64 ~riscv ~s390 ~sparc x86'
ROOTS_PAMBASE_IUSE='caps debug elogind gnome-keyring homed minimal mktemp +nullok pam_krb5 pam_ssh +passwdqc pwhistory pwquality securetty selinux sha512 sssd systemd +yescrypt'
ROOTS_PAMBASE_REQUSE='?? ( elogind systemd ) ?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) pwhistory? ( || ( passwdqc pwquality ) ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )'
ROOTS_PAMBASE_KEYWORDS='~alpha amd64 arm arm64 ~hppa ~loong ~m68k ~mips ppc ppc64 ~riscv ~s390 ~sparc x86'
# what roots_homed_ready installs (the .bats files use them to build variants)
ROOTS_SYSTEMD_USE_HOMED="abi_x86_64 amd64 cryptsetup dns-over-tls elibc_glibc gcrypt homed kernel-install kernel_linux kmod lz4 openssl pam python_single_target_python3_12 resolvconf seccomp zstd"
ROOTS_PAMBASE_USE_HOMED="amd64 elibc_glibc homed kernel_linux nullok passwdqc yescrypt"
ROOTS_HOMED_FILES=(
	/usr/lib/systemd/systemd-homed
	/usr/lib/systemd/systemd-homework
	/usr/bin/homectl
	/usr/lib/systemd/system/systemd-homed.service
	/usr/lib/systemd/system/systemd-homed-activate.service
	/usr/lib/systemd/system/systemd-userdbd.service
	/usr/lib64/libnss_systemd.so.2
	/usr/lib64/security/pam_systemd_home.so
)
# pambase[homed]'s system-auth (gentoo/pambase templates/system-auth.tpl, as in tests/unit/test_pam.c)
ROOTS_SYSTEM_AUTH_HOMED='auth		required	pam_env.so
auth		requisite	pam_faillock.so preauth
auth		[success=2 default=ignore]	pam_systemd_home.so
auth		[success=1 new_authtok_reqd=1 ignore=ignore default=bad]	pam_unix.so nullok  try_first_pass
auth		[default=die]	pam_faillock.so authfail
account		[success=1 default=ignore]	pam_systemd_home.so
account		required	pam_unix.so
account		required	pam_faillock.so
password	required	pam_passwdqc.so config=/etc/security/passwdqc.conf
password	[success=1 default=ignore]	pam_systemd_home.so
password	required	pam_unix.so try_first_pass shadow use_authtok nullok yescrypt
session		required	pam_limits.so
session		required	pam_env.so
session		[success=1 default=ignore]	pam_systemd_home.so
session		required	pam_unix.so
'

# Write ROOT/PATH from TEXT (third argument) or standard input, creating parent directories.
_roots_write() { # ROOT PATH [TEXT]
	local dst="$1/$2"
	mkdir -p "$(dirname "$dst")" || return 1
	if [ $# -ge 3 ]; then
		printf '%s' "$3" > "$dst"
	else
		cat > "$dst"
	fi
}

roots_new() { # [NAME]
	local root="${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/${1:-root}"
	mkdir -p "$root/etc/portage" "$root/var/db/pkg" || return 1
	printf '%s\n' "$root"
}

roots_repo() { # ROOT [NAME]
	local root=$1 name=${2:-gentoo}
	local repo="var/db/repos/$name"
	_roots_write "$root" "$repo/profiles/repo_name" "$name"$'\n'
	_roots_write "$root" "$repo/metadata/layout.conf" \
		"masters =
cache-formats = md5-dict
thin-manifests = true
profile-formats = portage-2
"
	mkdir -p "$root/$repo/metadata/md5-cache"
	if [ "$name" = gentoo ]; then
		_roots_write "$root" etc/portage/repos.conf/gentoo.conf \
			"[DEFAULT]
main-repo = gentoo

[gentoo]
location = /var/db/repos/gentoo
sync-type = rsync
sync-uri = rsync://rsync.gentoo.org/gentoo-portage
auto-sync = yes
"
	else
		_roots_write "$root" "etc/portage/repos.conf/$name.conf" \
			"[$name]
location = /$repo
"
	fi
}

roots_profile() { # ROOT NODE [PARENT...]
	local root=$1 node=$2
	shift 2
	local dir="var/db/repos/gentoo/profiles/$node"
	_roots_write "$root" "$dir/eapi" $'5\n'
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | _roots_write "$root" "$dir/parent"
	fi
}

roots_profile_file() { # ROOT NODE FILE [TEXT]
	local root=$1 node=$2 file=$3
	shift 3
	_roots_write "$root" "var/db/repos/gentoo/profiles/$node/$file" "$@"
}

roots_set_profile() { # ROOT NODE
	local link="$1/etc/portage/make.profile"
	mkdir -p "$1/etc/portage"
	rm -rf "$link"
	ln -s "../../var/db/repos/gentoo/profiles/$2" "$link"
}

roots_make_conf() { # ROOT [TEXT]
	local root=$1
	shift
	rm -rf "$root/etc/portage/make.conf"
	_roots_write "$root" etc/portage/make.conf "$@"
}

roots_package_use() { # ROOT NAME [TEXT]
	local root=$1 name=$2
	shift 2
	_roots_write "$root" "etc/portage/package.use/$name" "$@"
}

roots_user_profile() { # ROOT FILE [TEXT]
	local root=$1 file=$2
	shift 2
	_roots_write "$root" "etc/portage/profile/$file" "$@"
}

# KEY=VALUE arguments merged over defaults, written sorted as Portage writes md5-cache entries.
roots_ebuild() { # ROOT CPV [KEY=VALUE...]
	local root=$1 cpv=$2
	shift 2
	local -A meta=([EAPI]=8 [SLOT]=0 [KEYWORDS]=amd64 [DEFINED_PHASES]="compile configure install"
		[DESCRIPTION]="test package ${cpv%%-[0-9]*}" [_md5_]=0123456789abcdef0123456789abcdef)
	local kv k
	for kv in "$@"; do
		meta[${kv%%=*}]=${kv#*=}
	done
	for k in $(printf '%s\n' "${!meta[@]}" | LC_ALL=C sort); do
		[ -n "${meta[$k]}" ] && printf '%s=%s\n' "$k" "${meta[$k]}"
	done | _roots_write "$root" "var/db/repos/gentoo/metadata/md5-cache/$cpv"
}

roots_installed() { # ROOT CPV [KEY=VALUE...]
	local root=$1 cpv=$2
	shift 2
	local cat=${cpv%%/*} pf=${cpv#*/}
	local dir="$root/var/db/pkg/$cpv"
	local -A f=([CATEGORY]=$cat [PF]=$pf [EAPI]=8 [SLOT]=0 [repository]=gentoo
		[USE]="amd64 elibc_glibc kernel_linux" [COUNTER]=$((RANDOM + 1000)) [BUILD_TIME]=1764000000
		[CHOST]=x86_64-pc-linux-gnu [KEYWORDS]=amd64 [DEFINED_PHASES]="compile install"
		[CONTENTS]="dir /usr
dir /usr/share
dir /usr/share/doc
obj /usr/share/doc/$pf/README.bz2 0123456789abcdef0123456789abcdef 1764000000")
	local kv k
	for kv in "$@"; do
		f[${kv%%=*}]=${kv#*=}
	done
	mkdir -p "$dir" || return 1
	for k in "${!f[@]}"; do
		# Portage writes most files only when non-empty, and always with a trailing newline.
		[ -n "${f[$k]}" ] || [ "$k" = USE ] || continue
		printf '%s\n' "${f[$k]}" > "$dir/$k"
	done
}

roots_systemd() { # ROOT [VERSION]
	roots_ebuild "$1" "sys-apps/systemd-${2:-260.1}" SLOT=0/2 "KEYWORDS=$ROOTS_SYSTEMD_KEYWORDS" \
		"IUSE=$ROOTS_SYSTEMD_IUSE" "REQUIRED_USE=$ROOTS_SYSTEMD_REQUSE" \
		"DESCRIPTION=System and service manager for Linux" HOMEPAGE=https://systemd.io/
}

roots_pambase() { # ROOT [VERSION]
	roots_ebuild "$1" "sys-auth/pambase-${2:-20251104-r1}" SLOT=0 "KEYWORDS=$ROOTS_PAMBASE_KEYWORDS" \
		"IUSE=$ROOTS_PAMBASE_IUSE" "REQUIRED_USE=$ROOTS_PAMBASE_REQUSE" \
		"DESCRIPTION=PAM base configuration files" HOMEPAGE=https://github.com/gentoo/pambase
}

roots_minimal() { # ROOT
	local root=$1
	roots_repo "$root"
	roots_profile "$root" base
	roots_profile_file "$root" base make.defaults \
		'USE_EXPAND="ABI_X86 ELIBC KERNEL PYTHON_SINGLE_TARGET PYTHON_TARGETS"
USE_EXPAND_HIDDEN="ABI_X86 ELIBC KERNEL"
USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL"
USE_EXPAND_UNPREFIXED="ARCH"
USE_EXPAND_VALUES_ARCH="amd64 arm64 x86"
USE_EXPAND_VALUES_ELIBC="glibc musl"
USE_EXPAND_VALUES_KERNEL="linux"
IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
PROFILE_ONLY_VARIABLES="ARCH ELIBC IUSE_IMPLICIT KERNEL USE_EXPAND_IMPLICIT USE_EXPAND_UNPREFIXED USE_EXPAND_VALUES_ARCH USE_EXPAND_VALUES_ELIBC USE_EXPAND_VALUES_KERNEL"
ELIBC="glibc"
KERNEL="linux"
PYTHON_TARGETS="python3_12"
PYTHON_SINGLE_TARGET="python3_12"
USE="ipv6"
'
	roots_profile_file "$root" base use.mask $'# selinux needs the selinux profile\nselinux\nabi_x86_x32\n'
	roots_profile "$root" arch/amd64 ../../base
	# shellcheck disable=SC2016 # ${ARCH} is for Portage to expand
	roots_profile_file "$root" arch/amd64 make.defaults \
		'ARCH="amd64"
ACCEPT_KEYWORDS="${ARCH}"
CHOST="x86_64-pc-linux-gnu"
ABI_X86="64"
'
	roots_profile_file "$root" arch/amd64 use.force $'abi_x86_64\n'
	roots_profile "$root" default/linux/amd64 ../../../arch/amd64
	roots_set_profile "$root" default/linux/amd64
	roots_make_conf "$root" $'# empty\n'
	mkdir -p "$root/etc/portage/package.use"
	roots_systemd "$root"
	roots_pambase "$root"
}

roots_copy_gentoo_data() { # NAME DEST
	local src="$SHARED/gentoo-data/$1" dst=$2 link target
	[ -d "$src" ] || return 1
	mkdir -p "$(dirname "$dst")"
	cp -a "$src" "$dst" || return 1
	# The shared copy lost its symlinks: etc/portage/make.profile is a regular file holding the link target
	# (../../var/db/repos/gentoo/profiles/…). Recreate the relative symlink the README describes.
	link="$dst/etc/portage/make.profile"
	if [ -f "$link" ] && [ ! -L "$link" ]; then
		target=$(head -n 1 "$link")
		rm -f "$link"
		ln -s "$target" "$link"
	fi
}

roots_contents() { # FILE...
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

roots_homed_ready() { # ROOT
	local root=$1 f
	roots_minimal "$root"
	roots_package_use "$root" homed $'sys-apps/systemd homed cryptsetup pam\nsys-auth/pambase homed\n'
	roots_installed "$root" sys-apps/systemd-260.1 SLOT=0/2 "USE=$ROOTS_SYSTEMD_USE_HOMED" \
		"IUSE=$ROOTS_SYSTEMD_IUSE" "PKGUSE=homed cryptsetup pam" "CONTENTS=$(roots_contents "${ROOTS_HOMED_FILES[@]}")"
	roots_installed "$root" sys-auth/pambase-20251104-r1 "USE=$ROOTS_PAMBASE_USE_HOMED" "IUSE=$ROOTS_PAMBASE_IUSE" \
		"CONTENTS=$(roots_contents /etc/pam.d/system-auth /etc/pam.d/system-login)"
	for f in "${ROOTS_HOMED_FILES[@]}"; do
		_roots_write "$root" "${f#/}" $'ELF\n' && chmod 0755 "$root$f" || return 1
	done
	_roots_write "$root" etc/pam.d/system-auth "$ROOTS_SYSTEM_AUTH_HOMED"
	_roots_write "$root" etc/pam.d/system-login $'auth\t\tinclude\t\tsystem-auth\n'
}
