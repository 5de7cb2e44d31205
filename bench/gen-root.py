#!/usr/bin/env python3
"""Generate a Gentoo root of realistic size for benchmarking `homesetup use show`.

    python3 bench/gen-root.py OUT [--source ROOT] [--packages 1000] [--pkguse-lines 200] [--pkguse-files 20]

What it writes under OUT (which must not exist yet):
  - the real-sized profile stack, copied from --source (default: $SHARED/gentoo-data/ready, the real
    default/linux/amd64/23.0/systemd stack of gentoo/gentoo, ~390 KB in 10 nodes; when that folder is absent,
    the repository's examples/demo-root), with its make.conf, repos.conf, package.accept_keywords and
    metadata; etc/portage/make.profile is (re)created as a relative symlink (the shared copy holds the target
    in a regular file because symlinks were lost when it was copied);
  - metadata/md5-cache: the source's entries (systemd, pambase) plus older and live (9999, no KEYWORDS)
    versions of both, an entry for every installed package, and filler entries so that sys-apps and sys-auth
    hold as many entries as in the real tree (~400 and ~100): the directory the library scans is real-sized;
  - var/db/pkg: the source's installed packages plus generated ones up to --packages in total, spread over 60
    real categories, each with the files Portage writes (25: USE, IUSE, IUSE_EFFECTIVE, SLOT, CONTENTS with
    20-120 lines, environment.bz2 of a few KB, the .ebuild, …);
  - etc/portage/package.use/: --pkguse-files files with --pkguse-lines lines in all (comments, blank lines,
    USE_EXPAND prefixes, wildcard atoms, versioned atoms), including the homed lines for systemd and pambase.

Deterministic (fixed seed): two runs give identical trees.
"""
import argparse
import hashlib
import os
import random
import shutil
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = "var/db/repos/gentoo"

CATEGORIES = [
    "app-admin", "app-arch", "app-crypt", "app-editors", "app-eselect", "app-misc", "app-portage", "app-shells",
    "app-text", "dev-build", "dev-cpp", "dev-db", "dev-lang", "dev-libs", "dev-perl", "dev-python", "dev-util",
    "dev-vcs", "gnome-base", "gui-libs", "kde-frameworks", "media-fonts", "media-gfx", "media-libs",
    "media-sound", "media-video", "net-dns", "net-firewall", "net-libs", "net-misc", "net-print", "net-wireless",
    "perl-core", "sci-libs", "sec-keys", "sys-apps", "sys-auth", "sys-block", "sys-boot", "sys-devel",
    "sys-fs", "sys-kernel", "sys-libs", "sys-power", "sys-process", "virtual", "www-client", "x11-apps",
    "x11-base", "x11-libs", "x11-misc", "x11-themes", "acct-group", "acct-user", "app-accessibility",
    "app-i18n", "dev-qt", "gui-apps", "kde-plasma", "mail-mta",
]
WORDS = ["lib", "gtk", "qt", "py", "perl", "x", "open", "free", "gnu", "net", "sys", "crypt", "media", "font",
         "sound", "video", "core", "utils", "tools", "base", "common", "glib", "cairo", "pango", "harf", "icu",
         "xml", "json", "yaml", "ssl", "ssh", "zip", "bz", "lz", "png", "jpeg", "tiff", "webp", "vorbis", "opus"]
FLAGS = ["X", "acl", "alsa", "bluetooth", "caps", "cups", "dbus", "debug", "doc", "examples", "gtk", "gui",
         "introspection", "ipv6", "jpeg", "lto", "lzma", "man", "nls", "pam", "png", "pulseaudio", "python",
         "qt5", "qt6", "readline", "selinux", "seccomp", "ssl", "static-libs", "systemd", "test", "threads",
         "tiff", "udev", "unicode", "vala", "wayland", "xattr", "zlib", "zstd", "abi_x86_32", "abi_x86_64"]
CONTENT_DIRS = ["/usr/bin", "/usr/lib64", "/usr/share/man/man1", "/usr/include", "/usr/share/doc",
                "/usr/lib/python3.12/site-packages", "/etc", "/usr/share/locale/de/LC_MESSAGES"]


def write(out, rel, data, mode=0o644):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)


def copy_source(src, out):
    for rel in ("etc/portage/make.conf", "etc/portage/repos.conf", "etc/portage/package.accept_keywords",
                REPO + "/profiles", REPO + "/metadata"):
        s = os.path.join(src, rel)
        d = os.path.join(out, rel)
        if os.path.isdir(s):
            shutil.copytree(s, d, symlinks=True)
        elif os.path.isfile(s):
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copy2(s, d)
    link = os.path.join(src, "etc/portage/make.profile")
    if os.path.islink(link):
        target = os.readlink(link)
    else:  # the shared copy lost its symlink: the regular file holds the target
        with open(link) as f:
            target = f.read().strip()
    os.symlink(target, os.path.join(out, "etc/portage/make.profile"))
    # The source's VDB as it is (systemd, pambase and friends, with the USE Portage computed for them).
    shutil.copytree(os.path.join(src, "var/db/pkg"), os.path.join(out, "var/db/pkg"), symlinks=True)


def read_kv(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def md5_entry(meta):
    return "".join("%s=%s\n" % (k, meta[k]) for k in sorted(meta) if meta[k] != "")


def extra_versions(out):
    """Older and live versions next to each source entry, as the real tree has them (highest stays visible)."""
    cache = os.path.join(out, REPO, "metadata/md5-cache")
    for cat, pkg in (("sys-apps", "systemd"), ("sys-auth", "pambase")):
        d = os.path.join(cache, cat)
        if not os.path.isdir(d):
            continue
        entries = sorted(e for e in os.listdir(d) if e.startswith(pkg + "-"))
        if not entries:
            continue
        meta = read_kv(os.path.join(d, entries[-1]))
        olds = (["254.22", "255.17", "256.1"] if pkg == "systemd" else ["20240128", "20250120"])
        for v in olds:
            m = dict(meta, _md5_=hashlib.md5((pkg + v).encode()).hexdigest())
            write(out, "%s/metadata/md5-cache/%s/%s-%s" % (REPO, cat, pkg, v), md5_entry(m))
        m = dict(meta, KEYWORDS="", _md5_=hashlib.md5((pkg + "9999").encode()).hexdigest())
        write(out, "%s/metadata/md5-cache/%s/%s-9999" % (REPO, cat, pkg), md5_entry(m))


def gen_name(rng, used):
    while True:
        name = rng.choice(WORDS) + rng.choice(WORDS) + ("" if rng.random() < 0.6 else "-" + rng.choice(WORDS))
        if name not in used:
            used.add(name)
            return name


def gen_version(rng):
    v = ".".join(str(rng.randint(0, 30)) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.2:
        v += "_p%d" % rng.randint(1, 20)
    if rng.random() < 0.3:
        v += "-r%d" % rng.randint(1, 5)
    return v


def contents(rng, pf):
    lines, dirs = [], set()
    for _ in range(rng.randint(20, 120)):
        d = rng.choice(CONTENT_DIRS)
        if d not in dirs:
            dirs.add(d)
            lines.append("dir " + d)
        path = "%s/%s-%d" % (d, pf, rng.randint(0, 10 ** 6))
        if rng.random() < 0.1:
            lines.append("sym %s -> %s.so.1 1764000000" % (path, pf))
        else:
            lines.append("obj %s %s 1764000000" % (path, hashlib.md5(path.encode()).hexdigest()))
    return "\n".join(lines) + "\n"


def installed(out, rng, n_total):
    vdb = os.path.join(out, "var/db/pkg")
    have = sum(len(os.listdir(os.path.join(vdb, c))) for c in os.listdir(vdb))
    used, pkgs = set(), []
    for i in range(max(0, n_total - have)):
        cat = CATEGORIES[i % len(CATEGORIES)] if i < len(CATEGORIES) else rng.choice(CATEGORIES)
        name, ver = gen_name(rng, used), gen_version(rng)
        pf = "%s-%s" % (name, ver)
        iuse_flags = rng.sample(FLAGS, rng.randint(0, 14))
        iuse = " ".join(("+" if rng.random() < 0.3 else "") + f for f in iuse_flags)
        use = sorted(set(f for f in iuse_flags if rng.random() < 0.5) | {"amd64", "elibc_glibc", "kernel_linux"})
        slot = "0" if rng.random() < 0.8 else "%d/%d" % (rng.randint(0, 5), rng.randint(0, 9))
        files = {
            "BUILD_TIME": str(1764000000 + i), "CATEGORY": cat, "CBUILD": "x86_64-pc-linux-gnu",
            "CFLAGS": "-march=x86-64-v3 -O2 -pipe", "CHOST": "x86_64-pc-linux-gnu", "COUNTER": str(5000 + i),
            "CXXFLAGS": "-march=x86-64-v3 -O2 -pipe", "DEFINED_PHASES": "compile configure install prepare",
            "DEPEND": "dev-libs/%s" % rng.choice(WORDS), "DESCRIPTION": "generated package %s" % name,
            "EAPI": "8", "FEATURES": "binpkg-logs buildpkg-live config-protect-if-modified distlocks",
            "HOMEPAGE": "https://example.org/%s" % name, "INHERITED": "toolchain-funcs multilib",
            "IUSE": iuse, "IUSE_EFFECTIVE": " ".join(sorted(set(iuse_flags) | {"amd64", "elibc_glibc",
                                                                                "kernel_linux"})),
            "KEYWORDS": "amd64 ~arm64 x86", "LDFLAGS": "-Wl,-O1 -Wl,--as-needed", "LICENSE": "GPL-2",
            "PF": pf, "RDEPEND": "sys-libs/glibc", "SIZE": str(rng.randint(10 ** 4, 10 ** 8)), "SLOT": slot,
            "USE": " ".join(use), "repository": "gentoo",
        }
        d = "var/db/pkg/%s/%s/" % (cat, pf)
        for k, v in files.items():
            if v:
                write(out, d + k, v + "\n")
        write(out, d + "CONTENTS", contents(rng, pf))
        write(out, d + "environment.bz2", rng.randbytes(rng.randint(2000, 12000)))
        write(out, d + pf + ".ebuild", "EAPI=8\nDESCRIPTION=\"generated\"\nSLOT=\"%s\"\nIUSE=\"%s\"\n" % (slot, iuse))
        pkgs.append((cat, name, ver, iuse_flags, slot))
        write(out, "%s/metadata/md5-cache/%s/%s" % (REPO, cat, pf),
              md5_entry({"EAPI": "8", "SLOT": slot, "IUSE": iuse, "KEYWORDS": "amd64 ~arm64 x86",
                         "DESCRIPTION": "generated package", "DEFINED_PHASES": "compile install",
                         "_md5_": hashlib.md5(pf.encode()).hexdigest()}))
    return pkgs


def filler(out, rng):
    """Real-sized md5-cache directories for the categories the library scans."""
    cache = os.path.join(out, REPO, "metadata/md5-cache")
    used = set()
    for cat, size in (("sys-apps", 400), ("sys-auth", 100)):
        d = os.path.join(cache, cat)
        os.makedirs(d, exist_ok=True)
        while len(os.listdir(d)) < size:
            pf = "%s-%s" % (gen_name(rng, used), gen_version(rng))
            write(out, "%s/metadata/md5-cache/%s/%s" % (REPO, cat, pf),
                  md5_entry({"EAPI": "8", "SLOT": "0", "IUSE": " ".join(rng.sample(FLAGS, 6)),
                             "KEYWORDS": "amd64 x86", "DESCRIPTION": "filler",
                             "_md5_": hashlib.md5(pf.encode()).hexdigest()}))


def package_use(out, rng, pkgs, n_lines, n_files):
    pu = os.path.join(out, "etc/portage/package.use")
    if os.path.isfile(pu):
        os.unlink(pu)
    lines_per_file = max(1, n_lines // n_files)
    if not pkgs:
        pkgs = [("sys-apps", "systemd", "1", [], "0")]
    special = {0: ["# systemd-homed", "sys-apps/systemd homed cryptsetup", "sys-apps/systemd -sysv-utils"],
               1: ["# PAM for homed", "sys-auth/pambase homed"]}
    written = 0
    for i in range(n_files):
        body = list(special.get(i, []))
        written += sum(1 for x in body if not x.startswith("#"))
        while sum(1 for x in body if x and not x.startswith("#")) < lines_per_file and written < n_lines:
            r = rng.random()
            cat, name, ver, iuse, slot = rng.choice(pkgs)
            flags = " ".join(("-" if rng.random() < 0.3 else "") + f for f in rng.sample(FLAGS, rng.randint(1, 5)))
            if r < 0.08:
                body.append("%s/* %s" % (cat, flags))
            elif r < 0.15:
                body.append(">=%s/%s-%s %s" % (cat, name, ver, flags))
            elif r < 0.20:
                body.append("%s/%s PYTHON_TARGETS: python3_12 python3_13" % (cat, name))
            elif r < 0.25:
                body.append("# required by %s/%s-%s::gentoo" % (cat, name, ver))
                continue
            else:
                body.append("%s/%s %s" % (cat, name, flags))
            written += 1
        write(out, "etc/portage/package.use/%02d-%s" % (i, rng.choice(WORDS)), "\n".join(body) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    shared = os.environ.get("SHARED", os.path.join(TOP, "..", "shared"))
    ap.add_argument("--source", default=None, help="root to take the profiles and systemd/pambase from")
    ap.add_argument("--packages", type=int, default=1000)
    ap.add_argument("--pkguse-lines", type=int, default=200)
    ap.add_argument("--pkguse-files", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261204)
    a = ap.parse_args()
    src = a.source
    if src is None:
        src = os.path.join(shared, "gentoo-data", "ready")
        if not os.path.isdir(src):
            src = os.path.join(TOP, "examples", "demo-root")
    if os.path.exists(a.out):
        sys.exit("gen-root.py: %s exists" % a.out)
    rng = random.Random(a.seed)
    os.makedirs(a.out)
    copy_source(src, a.out)
    extra_versions(a.out)
    pkgs = installed(a.out, rng, a.packages)
    filler(a.out, rng)
    package_use(a.out, rng, pkgs, a.pkguse_lines, a.pkguse_files)
    print(src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
