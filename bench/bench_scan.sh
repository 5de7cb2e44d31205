#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: the tree manifest (`homesetup manifest`, the scan the migration runs before and after the copy)
# against plain tools over the same generated tree, in the same run:
#
#   metadata   `du -s TREE`                                    vs `homesetup manifest TREE -o M --no-hash`
#   contents   `find TREE -type f -print0 | xargs -0 xxhsum -H2` vs `homesetup manifest TREE -o M`
#
#   bash bench/bench_scan.sh        (make bench runs it through bench/run.sh)
#
# The tree is generated deterministically (BENCH_SCAN_FILES files, default 100,000, in directories of 100 under
# 50 top directories; sizes mostly small, a few MB-sized files; ~300 MB in all) in a temporary directory that
# is removed at the end. Every command runs once to warm the page cache, then BENCH_SCAN_RUNS times (default 3);
# the best time counts. Prints entries/s (metadata) and MB/s (contents) with the ratio to the comparator, and
# the verdicts against the targets: the scan at least as fast as du -s, the hashing at least 0.8x the plain
# hasher. Before timing, every hash of the manifest is checked against xxhsum's. A slow figure is reported,
# never a failure; the exit status is non-zero only when a command fails, a hash disagrees with xxhsum's, or the
# tree cannot be generated.
# Environment: B (build directory, default .), HOMESETUP (the CLI; default $B/bin/homesetup), BENCH_SCAN_FILES,
# BENCH_SCAN_RUNS, TMPDIR (where the tree is generated: it needs ~300 MB).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=${B:-.}
case $B in /*) ;; *) B=$top/$B ;; esac
HOMESETUP_SET=${HOMESETUP:-}
HOMESETUP=${HOMESETUP:-$B/bin/homesetup}
FILES=${BENCH_SCAN_FILES:-100000}
RUNS=${BENCH_SCAN_RUNS:-3}
export NO_COLOR=1

for v in FILES RUNS; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		printf 'bench_scan: BENCH_SCAN_%s must be a positive number, not "%s"\n' "$v" "${!v}" >&2
		exit 1
	fi
done
if [ ! -x "$HOMESETUP" ]; then
	printf 'bench_scan: %s is not built (run make)\n' "$HOMESETUP" >&2
	exit 1
fi
for tool in du xxhsum find xargs python3; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		printf 'bench_scan: %s is not installed: nothing to compare with (Debian: xxhash for xxhsum)\n' "$tool" >&2
		exit 0
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Time a snapshot of the build (the CLI finds its library through $ORIGIN/../libhomesetup), so a rebuild during
# the run cannot swap the binary under the measurement.
if [ -z "$HOMESETUP_SET" ] && [ -d "$(dirname "$HOMESETUP")/../libhomesetup" ]; then
	mkdir -p "$tmp/build/bin" "$tmp/build/libhomesetup"
	cp "$HOMESETUP" "$tmp/build/bin/homesetup" &&
		cp -P "$(dirname "$HOMESETUP")"/../libhomesetup/libhomesetup.so* "$tmp/build/libhomesetup/" &&
		HOMESETUP=$tmp/build/bin/homesetup
fi

# shellcheck disable=SC2016 # Python
python3 - "$HOMESETUP" "$tmp" "$FILES" "$RUNS" <<'EOF'
import os, random, re, subprocess, sys, time

homesetup, tmp, nfiles, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tree = os.path.join(tmp, "tree")
manifest = os.path.join(tmp, "m.txt")

# ---- the tree: deterministic names, sizes and bytes -----------------------------------------------------
rng = random.Random(20240506)
pool = rng.randbytes(1 << 20)   # contents are slices of this, at varying offsets: cheap to write, distinct
big = max(1, nfiles // 2000)    # MB-sized files: 50 of 100,000
t0 = time.perf_counter()
total = 0
os.mkdir(tree)
for i in range(nfiles):
    d = os.path.join(tree, "d%02d" % (i // 100 % 50), "s%03d" % (i // 5000))  # 100 files a directory
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    if i % (nfiles // big) == 0:
        size = rng.randrange(1 << 20, 3 << 20)
    else:
        r = rng.random()
        size = rng.randrange(0, 1024) if r < 0.75 else rng.randrange(1024, 8192) if r < 0.98 else rng.randrange(8192, 65536)
    off = rng.randrange(0, len(pool))
    with open(os.path.join(d, "f%06d.dat" % i), "wb") as f:
        left = size
        while left:
            chunk = pool[off:off + left] or pool[:left]
            f.write(chunk)
            left -= len(chunk)
            off = 0
    total += size
ndirs = sum(1 for _, dirs, _ in os.walk(tree) for _ in dirs) + 1
print("tree: %d files in %d directories, %.1f MB (%d files of 1-3 MB), generated in %.1f s; %d CPUs"
      % (nfiles, ndirs, total / 1e6, big, time.perf_counter() - t0, len(os.sched_getaffinity(0))))


def run(argv, shell=False):
    t = time.perf_counter()
    p = subprocess.run(argv, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("bench_scan: %s failed (exit status %d): %s" % (argv if not shell else argv[:80], p.returncode,
                                                                p.stderr.decode(errors="replace")[-2000:]))
    return dt


def best(argv, shell=False):
    run(argv, shell)  # warm the cache (and check it works)
    return min(run(argv, shell) for _ in range(runs))


# ---- correctness first: our hashes are xxhsum's ----------------------------------------------------------
run([homesetup, "manifest", tree, "-o", manifest, "--progress=none"])
ours = {}
with open(manifest, "rb") as f:
    header = f.readline()
    for line in f:
        fields = line.split(b" ")
        if fields[1] == b"f":
            h = re.search(rb" hash=xxh3-128:([0-9a-f]{32})", line)
            ours[fields[0].decode()] = h.group(1).decode() if h else None
entries = sum(1 for _ in open(manifest, "rb")) - 1
plain = subprocess.run("cd '%s' && find . -type f -print0 | xargs -0 xxhsum -H2" % tree, shell=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout.decode().splitlines()
theirs = {l[34:].removeprefix("./"): l[:32] for l in plain}
if len(theirs) != nfiles or ours != theirs:
    bad = [k for k in theirs if ours.get(k) != theirs[k]][:5]
    sys.exit("bench_scan: the manifest's hashes differ from xxhsum -H2's (%d vs %d files; e.g. %s)"
             % (len(ours), len(theirs), bad))
print("check: the %d hashes of the manifest are those xxhsum -H2 prints; %d entries" % (len(ours), entries))

# ---- timings -------------------------------------------------------------------------------------------
du = best(["du", "-s", tree])
scan = best([homesetup, "manifest", tree, "-o", manifest, "--no-hash", "--progress=none"])
xxh = best("find '%s' -type f -print0 | xargs -0 xxhsum -H2" % tree, shell=True)
hashed = best([homesetup, "manifest", tree, "-o", manifest, "--progress=none"])

print()
print("%-46s %9s %14s %8s" % ("best of %d, warm cache" % runs, "seconds", "rate", "ratio"))
print("%-46s %9.3f %10.0f e/s %8s" % ("du -s", du, entries / du, ""))
print("%-46s %9.3f %10.0f e/s %7.2fx" % ("homesetup manifest --no-hash", scan, entries / scan, du / scan))
print("%-46s %9.3f %9.0f MB/s %8s" % ("find -type f -print0 | xargs -0 xxhsum -H2", xxh, total / 1e6 / xxh, ""))
print("%-46s %9.3f %9.0f MB/s %7.2fx" % ("homesetup manifest (xxh3-128)", hashed, total / 1e6 / hashed, xxh / hashed))
print()
print("target: metadata scan at least as fast as du -s (>= 1.00x): %.2fx %s"
      % (du / scan, "MET" if du / scan >= 1.0 else "MISSED"))
print("target: hashing at least 0.8x the plain hasher: %.2fx %s"
      % (xxh / hashed, "MET" if xxh / hashed >= 0.8 else "MISSED"))
EOF
