#!/usr/bin/env python3
"""Writes examples/demo-root/: a small but realistic Gentoo root (ROOT = PORTAGE_CONFIGROOT) for homesetup's
README command and tests.

Scenario: an amd64 systemd desktop on profile default/linux/amd64/23.0/systemd. The admin has started on
homed: /etc/portage/package.use/systemd enables `homed` for sys-apps/systemd, but not `cryptsetup`, and pambase
has no `homed` yet. systemd-260.1 and pambase-20251104-r1 are installed, built without homed. Two regular users
(alice, bob) have traditional homes.

Everything here is written by us: the profile files are a reduced, self-consistent version of Gentoo's stack
(same node names and stacking, far fewer lines); the md5-cache entries carry the real IUSE, REQUIRED_USE, SLOT,
EAPI and KEYWORDS of the named ebuilds (see ../shared/docs/portage-facts.md section 1), other keys shortened;
CONTENTS checksums are derived from the path, not from real files; the files systemd and pambase installed are on
disk as placeholders (programs, libraries) or as pambase's PAM stack.

Run it from the repository top to regenerate the tree: python3 examples/make-demo-root.py
"""
import hashlib
import os
import shutil
import sys

TOP = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(TOP, "demo-root")
REPO = "var/db/repos/gentoo"
PROF = REPO + "/profiles"
BUILD_TIME = 1764000000  # fixed, so the tree is reproducible


def write(rel, text, mode=0o644):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def symlink(rel, target):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


# ---------------------------------------------------------------------------------------------------------
# The repository: layout, repo_name, profiles
# ---------------------------------------------------------------------------------------------------------
def repository():
    write(REPO + "/metadata/layout.conf",
          "repo-name = gentoo\nmasters =\ncache-formats = md5-dict\nthin-manifests = true\n"
          "sign-commits = true\nprofile-formats = portage-2 profile-default-eapi\n"
          "profile_eapi_when_unspecified = 5\n")
    write(PROF + "/repo_name", "gentoo\n")
    write(PROF + "/arch.list", "amd64\narm64\nx86\n")
    # Repository-level files (the "repo" layer and the first use.mask/force level).
    write(PROF + "/use.mask", "# Flags masked for every package in every profile of this repository.\n"
          "prefix\nprefix-guest\nprefix-stack\n")
    write(PROF + "/package.mask",
          "# Releases that are known to be broken for most users.\n"
          "=sys-apps/systemd-261_rc3\n")

    nodes = {
        "base": dict(
            make_defaults='''# Settings shared by every profile.
IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
USE_EXPAND_IMPLICIT="ELIBC KERNEL"
USE_EXPAND_VALUES_ELIBC="glibc musl"
USE_EXPAND_VALUES_KERNEL="linux"
USE_EXPAND="ABI_X86 CPU_FLAGS_X86 ELIBC GRUB_PLATFORMS INPUT_DEVICES KERNEL L10N LLVM_TARGETS PYTHON_SINGLE_TARGET PYTHON_TARGETS VIDEO_CARDS"
USE_EXPAND_HIDDEN="ABI_X86 CPU_FLAGS_X86 ELIBC KERNEL"
PROFILE_ONLY_VARIABLES="${PROFILE_ONLY_VARIABLES} ELIBC IUSE_IMPLICIT KERNEL USE_EXPAND_IMPLICIT USE_EXPAND_UNPREFIXED USE_EXPAND_VALUES_ELIBC USE_EXPAND_VALUES_KERNEL"
CONFIG_PROTECT="/etc"
CONFIG_PROTECT_MASK="/etc/env.d /etc/gconf"
ELIBC="glibc"
KERNEL="linux"
INPUT_DEVICES="libinput"
PYTHON_TARGETS="python3_12"
PYTHON_SINGLE_TARGET="python3_12"
USE="${USE} cxx xattr"
''',
            files={
                "use.mask": "# Flags that need a specific profile to be usable.\nselinux\nsplit-usr\n"
                            "abi_x86_x32\nelibc_musl\n",
                "use.force": "# Always on where a profile does not say otherwise.\nelibc_glibc\nkernel_linux\n",
                "package.use": "# Sensible defaults for a few packages.\n"
                               "sys-apps/systemd kernel-install\n",
                "package.use.mask": "# Needs hardware or services most users do not have.\n"
                                    "sys-apps/systemd tpm\n"
                                    "# ukify and the boot stub need the amd64 profile's un-mask.\n"
                                    "sys-apps/systemd boot ukify\n",
                "use.stable.mask": "# Flags that pull in unstable dependencies.\npwquality\n",
            }),
        "default/linux": dict(
            parent="../../base\n",
            make_defaults='''USE="crypt ipv6 ncurses nls pam readline ssl zlib"
USE="${USE} seccomp pcre iconv"
VIDEO_CARDS="dummy fbdev"
LDFLAGS="-Wl,-O1 -Wl,--as-needed"
''',
            files={"use.mask": "# Not for Linux.\nkernel_FreeBSD\n"}),
        "default/linux/amd64": dict(parent="..\n", make_defaults=None, files={}),
        "arch/base": dict(
            make_defaults='''USE_EXPAND_UNPREFIXED="ARCH"
USE_EXPAND_IMPLICIT="ARCH"
USE_EXPAND_VALUES_ARCH="amd64 arm64 x86"
PROFILE_ONLY_VARIABLES="${PROFILE_ONLY_VARIABLES} ARCH USE_EXPAND_VALUES_ARCH"
''',
            files={"use.mask": "# Architecture-specific flags, un-masked by each arch profile.\n"
                               "abi_x86_32\nabi_x86_64\n"}),
        "features/multilib": dict(
            make_defaults='USE="multilib"\n',
            files={"use.mask": "-abi_x86_32\n"}),
        "arch/amd64": dict(
            parent="../base\n../../features/multilib\n",
            make_defaults='''ARCH="amd64"
ACCEPT_KEYWORDS="${ARCH}"
CHOST="x86_64-pc-linux-gnu"
CFLAGS="-O2 -pipe"
CXXFLAGS="${CFLAGS}"
ABI_X86="64"
CPU_FLAGS_X86="mmx mmxext sse sse2"
IUSE_IMPLICIT="abi_x86_64"
''',
            files={
                "use.mask": "-abi_x86_64\n",
                "use.force": "abi_x86_64\n",
                "package.use.mask": "# The UEFI stub is supported on amd64.\nsys-apps/systemd -boot -ukify\n",
                "package.use.stable.mask": "# Not yet stable on amd64.\nsys-apps/systemd ukify\n",
            }),
        "releases/23.0": dict(
            make_defaults='USE="${USE} -cli"\n',
            files={"use.force": "# 23.0 profiles are merged-usr.\n-split-usr\n"}),
        "default/linux/amd64/23.0": dict(
            parent="..\n../../../../arch/amd64\n../../../../releases/23.0\n",
            make_defaults='LDFLAGS="-Wl,-O1 -Wl,--as-needed -Wl,-z,pack-relative-relocs"\nUSE="cet"\n',
            files={}),
        "targets/systemd": dict(
            make_defaults='USE="systemd udev"\n',
            files={"use.mask": "elogind\n",
                   "package.use": "sys-auth/pambase systemd\n",
                   "package.use.force": "# systemd itself must keep its PAM module.\nsys-apps/systemd pam\n"}),
        "default/linux/amd64/23.0/systemd": dict(
            parent="..\n../../../../../targets/systemd\n", make_defaults=None, files={}),
    }
    for node, spec in nodes.items():
        base = PROF + "/" + node
        write(base + "/eapi", "5\n")
        if spec.get("parent"):
            write(base + "/parent", spec["parent"])
        if spec.get("make_defaults"):
            write(base + "/make.defaults", spec["make_defaults"])
        for name, text in spec["files"].items():
            write(base + "/" + name, text)
    write(PROF + "/profiles.desc", "amd64 default/linux/amd64/23.0/systemd stable\n")


# ---------------------------------------------------------------------------------------------------------
# Ebuild metadata (md5-cache)
# ---------------------------------------------------------------------------------------------------------
PY_ABI = ("abi_x86_32 abi_x86_64 abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64")
SYSTEMD_IUSE_260 = ("acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed "
                    "idn importd +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit "
                    "pwquality qrcode remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb "
                    "+zstd " + PY_ABI + " python_single_target_python3_11 python_single_target_python3_12 "
                    "python_single_target_python3_13 python_single_target_python3_14 secureboot")
SYSTEMD_RU_260 = ("^^ ( python_single_target_python3_11 python_single_target_python3_12 "
                  "python_single_target_python3_13 python_single_target_python3_14 ) boot? ( kernel-install ) "
                  "dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) "
                  "importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) "
                  "pwquality? ( homed ) remote? ( curl ) ukify? ( boot )")
SYSTEMD_IUSE_261 = SYSTEMD_IUSE_260.replace("+kmod +lz4", "+kmod +libarchive +lz4").replace(
    "python_single_target_python3_11 ", "")
SYSTEMD_RU_261 = SYSTEMD_RU_260.replace("python_single_target_python3_11 ", "").replace(
    "importd? ( curl lzma openssl )", "importd? ( curl libarchive lzma openssl )")
SYSTEMD_KW = "~alpha amd64 arm arm64 ~hppa ~loong ~m68k ~mips ppc ppc64 ~riscv ~s390 ~sparc x86"
PAMBASE_IUSE = ("caps debug elogind gnome-keyring homed minimal mktemp +nullok pam_krb5 pam_ssh +passwdqc "
                "pwhistory pwquality securetty selinux sha512 sssd systemd +yescrypt")
PAMBASE_RU = ("?? ( elogind systemd ) ?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) "
              "pwhistory? ( || ( passwdqc pwquality ) ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )")

EBUILDS = {
    "sys-apps/systemd-259.4": dict(EAPI="8", SLOT="0/2", KEYWORDS=SYSTEMD_KW,
                                   IUSE=SYSTEMD_IUSE_260, REQUIRED_USE=SYSTEMD_RU_260,
                                   DESCRIPTION="System and service manager for Linux"),
    "sys-apps/systemd-260.1": dict(EAPI="8", SLOT="0/2", KEYWORDS=SYSTEMD_KW,
                                   IUSE=SYSTEMD_IUSE_260, REQUIRED_USE=SYSTEMD_RU_260,
                                   DESCRIPTION="System and service manager for Linux"),
    "sys-apps/systemd-261_rc3": dict(EAPI="8", SLOT="0/2", KEYWORDS=SYSTEMD_KW.replace(" amd64", " ~amd64"),
                                     IUSE=SYSTEMD_IUSE_261, REQUIRED_USE=SYSTEMD_RU_261,
                                     DESCRIPTION="System and service manager for Linux"),
    "sys-auth/pambase-20251104-r1": dict(EAPI="8", SLOT="0", IUSE=PAMBASE_IUSE, REQUIRED_USE=PAMBASE_RU,
                                         KEYWORDS="~alpha amd64 arm arm64 ~hppa ~loong ~m68k ~mips ppc ppc64 "
                                                  "~riscv ~s390 ~sparc x86",
                                         DESCRIPTION="PAM base configuration files"),
    "sys-auth/pambase-20260730": dict(EAPI="8", SLOT="0", IUSE=PAMBASE_IUSE + " turnstile",
                                      REQUIRED_USE=PAMBASE_RU,
                                      KEYWORDS="~alpha ~amd64 ~arm ~arm64 ~hppa ~loong ~m68k ~mips ~ppc ~ppc64 "
                                               "~riscv ~s390 ~sparc ~x86",
                                      DESCRIPTION="PAM base configuration files"),
    "sys-fs/cryptsetup-2.8.1": dict(EAPI="8", SLOT="0/12", KEYWORDS="amd64 arm64 x86",
                                    IUSE="argon2 fips +gcrypt kernel nls +openssl +ssh static static-libs "
                                         "test +udev urandom",
                                    REQUIRED_USE="?? ( fips kernel ) fips? ( !kernel ) static? ( !gcrypt !ssh !udev )",
                                    DESCRIPTION="Tool to setup encrypted devices with dm-crypt"),
    "sys-libs/pam-1.7.1": dict(EAPI="8", SLOT="0", KEYWORDS="amd64 arm64 x86",
                               IUSE="audit berkdb debug examples filecaps logind nis nls selinux systemd "
                                    "abi_x86_32 abi_x86_64",
                               REQUIRED_USE="?? ( logind systemd )",
                               DESCRIPTION="Linux-PAM (Pluggable Authentication Modules)"),
    "dev-libs/openssl-3.5.4": dict(EAPI="8", SLOT="0/3", KEYWORDS="amd64 arm64 x86",
                                   IUSE="+asm cpu_flags_x86_sse2 fips ktls +quic rfc3779 sctp static-libs test "
                                        "tls-compression vanilla weak-ssl-ciphers abi_x86_32 abi_x86_64",
                                   REQUIRED_USE="", DESCRIPTION="Robust, full-featured Open Source Toolkit"),
}


def md5cache():
    for cpv, meta in sorted(EBUILDS.items()):
        cat, pf = cpv.split("/")
        lines = dict(meta)
        lines.setdefault("DEFINED_PHASES", "compile configure install postinst prepare setup test")
        lines.setdefault("HOMEPAGE", "https://gentoo.org/")
        lines.setdefault("LICENSE", "GPL-2 LGPL-2.1 MIT public-domain")
        lines["_md5_"] = hashlib.md5(cpv.encode()).hexdigest()
        body = "".join("%s=%s\n" % (k, v) for k, v in sorted(lines.items()) if v != "")
        write(REPO + "/metadata/md5-cache/" + cat + "/" + pf, body)


# ---------------------------------------------------------------------------------------------------------
# /etc/portage
# ---------------------------------------------------------------------------------------------------------
def etc_portage():
    write("etc/portage/make.conf", '''# These settings were set by the catalyst build script that automatically
# built this stage.
COMMON_FLAGS="-march=x86-64-v3 -O2 -pipe"
CFLAGS="${COMMON_FLAGS}"
CXXFLAGS="${COMMON_FLAGS}"
FCFLAGS="${COMMON_FLAGS}"
FFLAGS="${COMMON_FLAGS}"

CHOST="x86_64-pc-linux-gnu"
MAKEOPTS="-j2 -l2"

# Global USE flags
USE="dbus networkmanager bash-completion \\
     -X -gtk -doc"

ACCEPT_LICENSE="-* @FREE"
GRUB_PLATFORMS="efi-64"
L10N="en en-GB"
LC_MESSAGES=C.utf8
''')
    symlink("etc/portage/make.profile", "../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd")
    write("etc/portage/repos.conf/gentoo.conf", '''[DEFAULT]
main-repo = gentoo

[gentoo]
location = /var/db/repos/gentoo
sync-type = rsync
sync-uri = rsync://rsync.gentoo.org/gentoo-portage
auto-sync = yes
sync-rsync-verify-jobs = 1
sync-rsync-verify-metamanifest = yes
''')
    write("etc/portage/package.use/systemd", "# systemd-homed: portable home directories\nsys-apps/systemd homed\n")
    write("etc/portage/package.use/python", "*/* PYTHON_TARGETS: -* python3_12\n")
    write("etc/portage/package.use/zz-autounmask",
          "# required by net-misc/networkmanager-1.52.0::gentoo\n"
          "# required by @selected\n# required by @world (argument)\n"
          ">=net-wireless/wpa_supplicant-2.11-r3 dbus\n")
    write("etc/portage/package.accept_keywords/editors", "app-editors/neovim ~amd64\n")
    write("var/lib/portage/world", "app-admin/sudo\napp-editors/neovim\nnet-misc/networkmanager\n"
                                   "sys-kernel/gentoo-kernel-bin\n")


# ---------------------------------------------------------------------------------------------------------
# The installed-package database
# ---------------------------------------------------------------------------------------------------------
def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def contents(entries):
    out = []
    for e in entries:
        if e.endswith("/"):
            out.append("dir " + e.rstrip("/"))
        elif " -> " in e:
            out.append("sym %s %d" % (e, BUILD_TIME))
        else:
            out.append("obj %s %s %d" % (e, md5(e), BUILD_TIME))
    return "".join(x + "\n" for x in out)


SYSTEMD_FILES = [
    "/usr/", "/usr/bin/", "/usr/bin/systemctl", "/usr/bin/journalctl", "/usr/bin/loginctl", "/usr/bin/userdbctl",
    "/usr/bin/systemd-run", "/usr/lib/", "/usr/lib/systemd/", "/usr/lib/systemd/systemd",
    "/usr/lib/systemd/systemd-logind", "/usr/lib/systemd/systemd-userdbd", "/usr/lib/systemd/systemd-journald",
    "/usr/lib/systemd/system/", "/usr/lib/systemd/system/systemd-logind.service",
    "/usr/lib/systemd/system/systemd-userdbd.service", "/usr/lib/systemd/system/systemd-userdbd.socket",
    "/usr/lib64/", "/usr/lib64/libnss_systemd.so.2", "/usr/lib64/libsystemd.so.0.40.0",
    "/usr/lib64/libsystemd.so.0 -> libsystemd.so.0.40.0", "/usr/lib64/security/",
    "/usr/lib64/security/pam_systemd.so", "/usr/share/doc/systemd-260.1/nsswitch.conf.bz2",
]
PAMBASE_FILES = ["/etc/", "/etc/pam.d/", "/etc/pam.d/system-auth", "/etc/pam.d/system-login",
                 "/etc/pam.d/system-local-login", "/etc/pam.d/system-remote-login", "/etc/pam.d/system-services",
                 "/etc/pam.d/other", "/etc/pam.d/su", "/etc/pam.d/passwd"]

# (cpv, slot, eapi, iuse, use, extra) — USE is PORTAGE_USE as Portage records it (implicit flags included).
IMPLICIT = "abi_x86_64 amd64 elibc_glibc kernel_linux"
VDB = [
    ("acct-group/root-0-r2", "0", "8", "", "amd64 elibc_glibc kernel_linux"),
    ("acct-user/root-0-r2", "0", "8", "", "amd64 elibc_glibc kernel_linux"),
    ("app-admin/sudo-1.9.17_p2", "0", "8", "gcrypt ldap nls offensive pam sasl +secure-path selinux +sendmail "
     "skey ssl sssd", "amd64 elibc_glibc kernel_linux nls pam secure-path sendmail ssl"),
    ("app-arch/zstd-1.5.7-r1", "0/1", "8", "+lz4 +lzma static-libs test zlib abi_x86_32 abi_x86_64",
     "abi_x86_64 amd64 elibc_glibc kernel_linux lz4 lzma zlib"),
    ("app-editors/neovim-0.11.4", "0", "8", "+nvimpager test", "amd64 elibc_glibc kernel_linux nvimpager"),
    ("app-shells/bash-5.3_p3", "0", "8", "afs bashlogger examples mem-scramble +net nls plugins +readline",
     "amd64 elibc_glibc kernel_linux net nls readline"),
    ("dev-lang/python-3.12.12", "3.12", "8", "bluetooth build debug +ensurepip examples gdbm +ncurses pgo "
     "+readline +sqlite +ssl test tk valgrind", "amd64 elibc_glibc ensurepip kernel_linux ncurses readline "
     "sqlite ssl"),
    ("dev-libs/json-c-0.18", "0/5", "8", "cpu_flags_x86_rdrand doc static-libs threads abi_x86_32 abi_x86_64",
     "abi_x86_64 amd64 elibc_glibc kernel_linux threads"),
    ("dev-libs/openssl-3.5.4", "0/3", "8", EBUILDS["dev-libs/openssl-3.5.4"]["IUSE"],
     "abi_x86_64 amd64 asm cpu_flags_x86_sse2 elibc_glibc kernel_linux quic"),
    ("dev-libs/libpcre2-10.45", "0/3", "8", "bzip2 +jit libedit +pcre16 +pcre32 +readline static-libs unicode "
     "valgrind zlib abi_x86_32 abi_x86_64", "abi_x86_64 amd64 bzip2 elibc_glibc jit kernel_linux pcre16 pcre32 "
     "readline unicode zlib"),
    ("net-misc/networkmanager-1.52.0", "0", "8", "audit bluetooth +concheck connection-sharing debug dhclient "
     "+dhcpcd gnutls +gtk-doc +introspection iptables iwd libedit +modemmanager +nss nftables +ppp psl resolvconf "
     "selinux syslog systemd teamd test +tools vala +wext +wifi", "amd64 concheck dhcpcd elibc_glibc "
     "introspection kernel_linux nss systemd tools wext wifi"),
    ("net-wireless/wpa_supplicant-2.11-r3", "0", "8", "broadcom-sta dbus eap-sim eapol-test fasteap +fils "
     "+hs2-0 macsec +mbo +mesh p2p privsep ps3 qt6 readline selinux smartcard tdls tkip uncommon-eap-types wep "
     "wimax wps", "amd64 dbus elibc_glibc fils hs2-0 kernel_linux mbo mesh"),
    ("sys-apps/coreutils-9.8", "0", "8", "acl caps gmp hostname kill multicall nls +openssl selinux +split-usr "
     "static test test-full vanilla xattr", "acl amd64 elibc_glibc kernel_linux nls openssl xattr"),
    ("sys-apps/dbus-1.16.2", "0", "8", "debug doc elogind selinux static-libs systemd test valgrind X abi_x86_32 "
     "abi_x86_64", "abi_x86_64 amd64 elibc_glibc kernel_linux systemd"),
    ("sys-apps/portage-3.0.82", "0", "8", "apidoc build doc gentoo-dev +ipc +native-extensions +rsync-verify "
     "selinux test xattr", "amd64 elibc_glibc ipc kernel_linux native-extensions rsync-verify xattr"),
    ("sys-apps/shadow-4.18.0", "0/5", "8", "acl audit cracklib nls pam selinux skey split-usr su systemd xattr",
     "acl amd64 elibc_glibc kernel_linux nls pam su systemd xattr"),
    ("sys-apps/systemd-260.1", "0/2", "8", SYSTEMD_IUSE_260,
     "abi_x86_64 amd64 dns-over-tls elibc_glibc gcrypt kernel-install kernel_linux kmod lz4 openssl pam pcre "
     "python_single_target_python3_12 resolvconf seccomp zstd"),
    ("sys-apps/util-linux-2.41.2", "0", "8", "audit build caps +cramfs cryptsetup fdformat +hardlink kill "
     "magic ncurses nls pam +readline rtas selinux slang static-libs su +suid systemd test tty-helpers udev "
     "abi_x86_32 abi_x86_64", "abi_x86_64 amd64 cramfs elibc_glibc hardlink kernel_linux ncurses nls pam "
     "readline su suid systemd udev"),
    ("sys-auth/pambase-20251104-r1", "0", "8", PAMBASE_IUSE,
     "amd64 elibc_glibc kernel_linux nullok passwdqc systemd yescrypt"),
    ("sys-fs/cryptsetup-2.8.1", "0/12", "8", EBUILDS["sys-fs/cryptsetup-2.8.1"]["IUSE"],
     "amd64 elibc_glibc gcrypt kernel_linux nls openssl ssh udev"),
    ("sys-fs/e2fsprogs-1.47.3", "0", "8", "archive cron fuse lto nls static-libs test threads tools",
     "amd64 elibc_glibc kernel_linux nls threads tools"),
    ("sys-kernel/gentoo-kernel-bin-6.12.58", "6.12.58", "8", "debug generic-uki +initramfs test",
     "amd64 elibc_glibc initramfs kernel_linux"),
    ("sys-kernel/linux-firmware-20251125", "0", "8", "bindist compress-xz compress-zstd deduplicate dist-kernel "
     "+initramfs +redistributable savedconfig unknown-license", "amd64 elibc_glibc initramfs kernel_linux "
     "redistributable"),
    ("sys-libs/glibc-2.42-r3", "2.2", "8", "audit caps cet +clone3 compile-locales custom-cflags doc gd hash-sysv-compat "
     "headers-only +multiarch multilib multilib-bootstrap nscd perl profile selinux +ssp stack-realign +static-libs "
     "suid systemd systemtap test vanilla", "amd64 cet clone3 elibc_glibc kernel_linux multiarch multilib ssp "
     "static-libs"),
    ("sys-libs/pam-1.7.1", "0", "8", EBUILDS["sys-libs/pam-1.7.1"]["IUSE"],
     "abi_x86_64 amd64 elibc_glibc filecaps kernel_linux nls systemd"),
    ("sys-process/procps-4.0.5-r2", "0/1-ng", "8", "elogind +kill modern-top +ncurses nls selinux static-libs "
     "systemd test unicode", "amd64 elibc_glibc kill kernel_linux ncurses nls systemd unicode"),
    ("virtual/libcrypt-2-r1", "0/2", "8", "static-libs abi_x86_32 abi_x86_64", "abi_x86_64 amd64 elibc_glibc "
     "kernel_linux"),
    ("net-misc/rsync-3.4.1-r1", "0", "8", "acl examples iconv lz4 rrsync ssl stunnel system-zlib xattr xxhash zstd",
     "acl amd64 elibc_glibc iconv kernel_linux lz4 ssl xattr xxhash zstd"),
]


def vdb():
    counter = 1000
    for cpv, slot, eapi, iuse, use in VDB:
        cat, pf = cpv.split("/")
        d = "var/db/pkg/%s/%s/" % (cat, pf)
        counter += 1
        iuse_eff = sorted(set(f.lstrip("+-") for f in iuse.split()) |
                          set(IMPLICIT.split()) | {"prefix", "prefix-guest", "prefix-stack"})
        files = {
            "CATEGORY": cat, "PF": pf, "SLOT": slot, "EAPI": eapi, "IUSE": iuse, "USE": use,
            "IUSE_EFFECTIVE": " ".join(iuse_eff), "repository": "gentoo", "COUNTER": str(counter),
            "BUILD_TIME": str(BUILD_TIME + counter), "CHOST": "x86_64-pc-linux-gnu",
            "CBUILD": "x86_64-pc-linux-gnu", "CFLAGS": "-march=x86-64-v3 -O2 -pipe",
            "KEYWORDS": EBUILDS.get(cpv, {}).get("KEYWORDS", "amd64 arm64 x86"),
            "DEFINED_PHASES": "compile configure install prepare", "SIZE": str(100000 + counter * 17),
        }
        if cpv == "sys-apps/systemd-260.1":
            files["CONTENTS"] = contents(SYSTEMD_FILES)
            files["PKGUSE"] = ""
        elif cpv == "sys-auth/pambase-20251104-r1":
            files["CONTENTS"] = contents(PAMBASE_FILES)
        else:
            files["CONTENTS"] = contents(["/usr/", "/usr/share/", "/usr/share/doc/",
                                          "/usr/share/doc/%s/" % pf, "/usr/share/doc/%s/README.bz2" % pf])
        for k, v in files.items():
            if k == "IUSE" and not v:
                continue
            if k == "PKGUSE" and not v:
                continue
            write(d + k, v if k == "CONTENTS" else v + "\n")


# ---------------------------------------------------------------------------------------------------------
# The live system files the readiness checks read
# ---------------------------------------------------------------------------------------------------------
def system_files():
    write("etc/nsswitch.conf", "# /etc/nsswitch.conf\n\npasswd:\t\tfiles systemd\ngroup:\t\tfiles systemd\n"
          "shadow:\t\tfiles\ngshadow:\tfiles\n\nhosts:\t\tmymachines resolve [!UNAVAIL=return] files myhostname dns\n"
          "networks:\tfiles\n\nservices:\tdb files\nprotocols:\tdb files\nrpc:\t\tdb files\nethers:\t\tdb files\n"
          "netmasks:\tfiles\nnetgroup:\tfiles\nbootparams:\tfiles\n\nautomount:\tfiles\naliases:\tfiles\n")
    write("etc/pam.d/system-auth",
          "auth\t\trequired\tpam_env.so\n"
          "auth\t\trequisite\tpam_faillock.so preauth\n"
          "auth\t\t[success=1 new_authtok_reqd=1 ignore=ignore default=bad]\tpam_unix.so nullok  try_first_pass\n"
          "auth\t\t[default=die]\tpam_faillock.so authfail\n"
          "account\t\trequired\tpam_unix.so\n"
          "account\t\trequired\tpam_faillock.so\n"
          "password\trequired\tpam_passwdqc.so config=/etc/security/passwdqc.conf\n"
          "password\trequired\tpam_unix.so try_first_pass shadow use_authtok nullok yescrypt\n"
          "session\t\trequired\tpam_limits.so\n"
          "session\t\trequired\tpam_env.so\n"
          "session\t\trequired\tpam_unix.so\n")
    write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
          "bin:x:1:1:bin:/bin:/sbin/nologin\n"
          "daemon:x:2:2:daemon:/sbin:/sbin/nologin\n"
          "messagebus:x:101:101:System Message Bus:/dev/null:/sbin/nologin\n"
          "systemd-journal-remote:x:102:102::/dev/null:/sbin/nologin\n"
          "nobody:x:65534:65534:nobody:/var/empty:/sbin/nologin\n"
          "alice:x:1000:1000:Alice Example:/home/alice:/bin/bash\n"
          "bob:x:1001:100:Bob Example:/home/bob:/bin/bash\n")
    write("etc/group", "root:x:0:\nbin:x:1:\ndaemon:x:2:\nwheel:x:10:alice\naudio:x:18:alice,bob\n"
          "video:x:27:alice\nusers:x:100:\nmessagebus:x:101:\nsystemd-journal-remote:x:102:\n"
          "nobody:x:65534:\nalice:x:1000:\n")
    write("etc/shadow", "root:*:20000:0:::::\nbin:!:20000::::::\ndaemon:!:20000::::::\nmessagebus:!:20000::::::\n"
          "systemd-journal-remote:!:20000::::::\nnobody:!:20000::::::\n"
          "alice:$y$j9T$demo$demohashdemohashdemohashdemohashdemoha:20400:0:99999:7:::\n"
          "bob:$y$j9T$demo$demohashdemohashdemohashdemohashdemohb:20400:0:99999:7:::\n", 0o640)
    write("etc/gshadow", "root:::\nwheel:::alice\naudio:::alice,bob\nusers:::\nalice:!::\n", 0o640)
    write("etc/systemd/homed.conf", "[Home]\n#DefaultStorage=\n#DefaultFileSystemType=btrfs\n")
    write("home/alice/.bashrc", "# ~/.bashrc\n[[ $- != *i* ]] && return\n")
    write("home/alice/notes.txt", "homed migration notes\n")
    write("home/bob/.bashrc", "# ~/.bashrc\n")


# The files systemd and pambase installed, on disk as their CONTENTS records them (`homesetup check` compares
# the two): placeholders for programs and libraries, pambase's PAM stack for the /etc/pam.d files it owns that
# system_files() does not write.
PAMBASE_PAMD = {
    "system-login": "auth\t\tinclude\t\tsystem-auth\naccount\t\tinclude\t\tsystem-auth\n"
                    "password\tinclude\t\tsystem-auth\nsession\t\toptional\tpam_loginuid.so\n"
                    "session\t\tinclude\t\tsystem-auth\n-session\toptional\tpam_systemd.so\n",
    "system-local-login": "auth\t\tinclude\t\tsystem-login\naccount\t\tinclude\t\tsystem-login\n"
                          "password\tinclude\t\tsystem-login\nsession\t\tinclude\t\tsystem-login\n",
    "system-remote-login": "auth\t\tinclude\t\tsystem-login\naccount\t\tinclude\t\tsystem-login\n"
                           "password\tinclude\t\tsystem-login\nsession\t\tinclude\t\tsystem-login\n",
    "system-services": "auth\t\tsufficient\tpam_permit.so\naccount\t\tinclude\t\tsystem-auth\n"
                       "session\t\toptional\tpam_loginuid.so\nsession\t\trequired\tpam_limits.so\n"
                       "session\t\trequired\tpam_env.so\nsession\t\trequired\tpam_unix.so\n",
    "other": "auth\t\trequired\tpam_deny.so\naccount\t\trequired\tpam_deny.so\n"
             "password\trequired\tpam_deny.so\nsession\t\trequired\tpam_deny.so\n",
    "su": "auth\t\tsufficient\tpam_rootok.so\nauth\t\trequired\tpam_wheel.so use_uid\n"
          "auth\t\tinclude\t\tsystem-auth\naccount\t\tinclude\t\tsystem-auth\n"
          "password\tinclude\t\tsystem-auth\nsession\t\tinclude\t\tsystem-auth\n",
    "passwd": "auth\t\tinclude\t\tsystem-auth\naccount\t\tinclude\t\tsystem-auth\n"
              "password\tinclude\t\tsystem-auth\n",
}


def installed_files():
    for cpv, entries in (("sys-apps/systemd-260.1", SYSTEMD_FILES), ("sys-auth/pambase-20251104-r1", PAMBASE_FILES)):
        for e in entries:
            if e.endswith("/"):
                os.makedirs(os.path.join(OUT, e.strip("/")), exist_ok=True)
            elif " -> " in e:
                link, target = e.split(" -> ")
                if not os.path.lexists(os.path.join(OUT, link.lstrip("/"))):
                    symlink(link.lstrip("/"), target)
            elif e.startswith("/etc/pam.d/"):
                name = e[len("/etc/pam.d/"):]
                if not os.path.exists(os.path.join(OUT, e.lstrip("/"))):
                    write(e.lstrip("/"), PAMBASE_PAMD[name])
            elif not os.path.exists(os.path.join(OUT, e.lstrip("/"))):
                write(e.lstrip("/"), "placeholder for %s, installed by %s (homesetup demo root)\n" % (e, cpv),
                      0o755 if "/bin/" in e or e.startswith("/usr/lib/systemd/systemd") else 0o644)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    repository()
    md5cache()
    etc_portage()
    vdb()
    system_files()
    installed_files()
    print("wrote", OUT)


if __name__ == "__main__":
    sys.exit(main())
