#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: `homesetup check --no-bus` as a whole process (exec, dynamic linking, Portage's configuration, the
# effective USE of systemd and pambase, the VDB, CONTENTS, every probe of the live system files, output) on a
# generated root of realistic size (bench/gen-root.py: the real profile stack, 1,000 installed packages, 200
# package.use lines in 20 files).
#
#   bash bench/bench_check.sh        (make bench runs it through bench/run.sh)
#
# Prints, for BENCH_RUNS runs of each command (default 200): min / median / p90 wall time and the median CPU time,
# beside same-run baselines: `/bin/true` (the cost of starting any process) and `cat` of exactly the files the
# check reads (the cost of the I/O alone); the peak RSS of the check (getrusage of the child); the files it opens
# and its system calls (strace, when installed); D-Bus round trips (none with --no-bus: the run is checked for
# connect(2) calls). Targets: under 15 ms wall time and under 5 MB peak RSS. A slow figure is reported, never a
# failure; the exit status is non-zero only when the command itself fails (exit status 2, a crash), prints
# invalid JSON, or the root cannot be generated.
# Environment: B (build directory, default .), HOMESETUP (the CLI; default $B/bin/homesetup), BENCH_RUNS,
# SHARED (../shared: the real profile stack comes from $SHARED/gentoo-data/ready when present).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=${B:-.}
case $B in /*) ;; *) B=$top/$B ;; esac
HOMESETUP_SET=${HOMESETUP:-}
HOMESETUP=${HOMESETUP:-$B/bin/homesetup}
RUNS=${BENCH_RUNS:-200}
export SHARED=${SHARED:-$top/../shared}
export NO_COLOR=1

if [ ! -x "$HOMESETUP" ]; then
	printf 'bench_check: %s is not built (run make)\n' "$HOMESETUP" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# Time a snapshot of the build (the CLI finds its library through $ORIGIN/../libhomesetup), so a rebuild during
# the run cannot swap the binary under the measurement.
if [ -z "${HOMESETUP_SET:-}" ] && [ -d "$(dirname "$HOMESETUP")/../libhomesetup" ]; then
	mkdir -p "$tmp/build/bin" "$tmp/build/libhomesetup"
	cp "$HOMESETUP" "$tmp/build/bin/homesetup" &&
		cp -P "$(dirname "$HOMESETUP")"/../libhomesetup/libhomesetup.so* "$tmp/build/libhomesetup/" &&
		HOMESETUP=$tmp/build/bin/homesetup
fi

if ! source_root=$(python3 "$here/gen-root.py" "$root"); then
	printf 'bench_check: could not generate the root\n' >&2
	exit 1
fi

# It must work before it is timed: exit status 0 (ready) or 1 (something FAILs), and valid JSON.
"$HOMESETUP" check --no-bus --root "$root" > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ "$rc" -gt 1 ]; then
	printf 'bench_check: homesetup check failed (exit status %d):\n' "$rc" >&2
	cat "$tmp/err" >&2
	exit 1
fi
if ! "$HOMESETUP" check --json --no-bus --root "$root" 2> /dev/null |
	python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["version"] == 1 and d["results"]'; then
	printf 'bench_check: check --json did not print valid JSON\n' >&2
	exit 1
fi

# The files it opens (strace -y names the file behind every returned descriptor, openat2 RESOLVE_IN_ROOT included)
# and a count of its system calls.
trace="" counts=""
if command -v strace > /dev/null 2>&1; then
	if strace -f -qq -y -e trace=open,openat,openat2,connect -o "$tmp/trace" \
		"$HOMESETUP" check --no-bus --root "$root" > /dev/null 2>&1; [ -s "$tmp/trace" ]; then
		trace=$tmp/trace
	fi
	if strace -f -c -o "$tmp/counts" "$HOMESETUP" check --no-bus --root "$root" > /dev/null 2>&1; [ -s "$tmp/counts" ]; then
		counts=$tmp/counts
	fi
fi

python3 - "$HOMESETUP" "$root" "$RUNS" "$source_root" "$trace" "$counts" <<'EOF'
import os, re, statistics, subprocess, sys, time

homesetup, root, runs, source_root, trace, counts = sys.argv[1:7]
runs = int(runs)
root_real = os.path.realpath(root)
check = [homesetup, "check", "--no-bus", "--root", root]

# ---- which files does the check open? ---------------------------------------------------------------------
opened, dirs, failed, libs, connects = [], [], 0, [], 0
method = "strace -f -y -e trace=open,openat,openat2"
if trace:
    pat = re.compile(r'^\d+\s+(open|openat|openat2|connect)\((.*)\)\s+=\s+(-?\d+)(?:<([^>]*)>)?')
    for line in open(trace, errors="replace"):
        m = pat.match(line)
        if not m:
            continue
        if m.group(1) == "connect":
            connects += 1
            continue
        fd, path = int(m.group(3)), m.group(4)
        if fd < 0:
            failed += 1
            continue
        if not path:
            continue
        if os.path.isdir(path):
            dirs.append(path)
        elif path.startswith(root_real + "/"):
            opened.append(path)
        else:
            libs.append(path)
else:
    method = "/proc/PID/fd sampling (strace not installed: a lower bound)"
    seen = set()
    p = subprocess.Popen(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None:
        try:
            for fd in os.listdir("/proc/%d/fd" % p.pid):
                try:
                    seen.add(os.readlink("/proc/%d/fd/%s" % (p.pid, fd)))
                except OSError:
                    pass
        except OSError:
            pass
    for path in seen:
        if os.path.isdir(path):
            dirs.append(path)
        elif path.startswith(root_real + "/"):
            opened.append(path)
        elif path.startswith("/"):
            libs.append(path)

syscalls = None
if counts:
    for line in open(counts, errors="replace"):
        f = line.split()
        if len(f) >= 2 and f[-1] == "total":
            syscalls = int(f[3])

# ---- timing and peak RSS -------------------------------------------------------------------------------------
devnull = os.open(os.devnull, os.O_WRONLY)

def spawn(argv):
    return os.posix_spawn(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])

def peak_rss(argv):
    """Peak RSS in KiB. Not from our own wait4: posix_spawn shares this Python process's memory until the exec,
    and Linux counts that in the child's ru_maxrss. /usr/bin/time forks from a small process."""
    tv = "/usr/bin/time"
    if not os.access(tv, os.X_OK):
        return None
    out = subprocess.run([tv, "-f", "%M"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return int(out.stderr.strip().split("\n")[-1])
    except ValueError:
        return None

def timed(argv):
    """Wall time (spawn to exit) and CPU time (user + system, from wait4's rusage) of each run, in ms."""
    times, cpu, rc = [], [], 0
    for _ in range(5):  # warm the page cache and the dynamic loader's
        os.waitpid(spawn(argv), 0)
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        pid = spawn(argv)
        _, st, ru = os.wait4(pid, 0)
        times.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((ru.ru_utime + ru.ru_stime) * 1e3)
        rc = max(rc, os.waitstatus_to_exitcode(st))
    times.sort()
    cpu.sort()
    rss = [r for r in (peak_rss(argv) for _ in range(3)) if r is not None]
    return times, rc, cpu, rss

true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
cat = "/bin/cat" if os.path.exists("/bin/cat") else "/usr/bin/cat"
uniq = sorted(set(opened))
cases = [
    ("/bin/true", [true]),
    ("homesetup --version", [homesetup, "--version"]),
    ("cat <the %d files check reads>" % len(uniq), [cat] + uniq if uniq else [true]),
    ("homesetup check --no-bus", check),
    ("homesetup check --no-bus --json", [homesetup, "check", "--no-bus", "--json", "--root", root]),
    ("homesetup check --only use,vdb", [homesetup, "check", "--only", "use,vdb", "--root", root]),
]
results = {name: timed(argv) for name, argv in cases}

def q(t, p):
    return t[min(len(t) - 1, int(p * len(t)))]

def count_files(top):
    return sum(len(files) for _, _, files in os.walk(top))

n_pkgs = sum(len(os.listdir(os.path.join(root, "var/db/pkg", c))) for c in os.listdir(os.path.join(root, "var/db/pkg")))
print("root: %d installed packages, profiles from %s, %d files in all" % (n_pkgs, source_root, count_files(root)))
print("%d runs each; wall time of the whole process (spawn to exit), its CPU time (user+sys) and peak RSS"
      " (/usr/bin/time -f %%M);"
      " load average %.1f on %d CPUs" % (runs, os.getloadavg()[0], os.cpu_count()))
print("  %-40s %8s %8s %8s %10s %10s" % ("command", "wall min", "median", "p90", "CPU median", "max RSS"))
for name, _ in cases:
    t, rc, c, rss = results[name]
    print("  %-40s %7.2fms %6.2fms %6.2fms %8.2fms %10s" % (name, t[0], statistics.median(t), q(t, 0.9),
                                                         statistics.median(c),
                                                         "%.2f MB" % (max(rss) / 1024) if rss else "?"))
med = {name: statistics.median(results[name][0]) for name, _ in cases}
chk = med["homesetup check --no-bus"]
catname = cases[2][0]
ver_rss = max(results["homesetup --version"][3]) / 1024 if results["homesetup --version"][3] else float("nan")
chk_rss = max(results["homesetup check --no-bus"][3]) / 1024 if results["homesetup check --no-bus"][3] else float("nan")
print("  check = %.1f x /bin/true, %.1f x homesetup --version, %.1f x cat of its files; %.2f ms above process start,"
      " %.2f ms above starting homesetup (dynamic linking of libhomesetup and its libraries)"
      % (chk / med["/bin/true"], chk / med["homesetup --version"], chk / med[catname], chk - med["/bin/true"],
         chk - med["homesetup --version"]))
print("  peak RSS: %.2f MB, of which %.2f MB is starting homesetup at all (homesetup --version: the shared libraries"
      " it links); the checks add %.2f MB" % (chk_rss, ver_rss, chk_rss - ver_rss))
print("files opened by check (%s): %d opens of regular files under the root (%d distinct), %d of directories "
      "(%d distinct), %d of other files (shared libraries, locale), %d that failed (absent optional files)"
      % (method, len(opened), len(uniq), len(dirs), len(set(dirs)), len(libs), failed))
print("  of which %d in var/db/pkg (of %d installed packages), %d in md5-cache, %d profile files, %d in etc/portage,"
      " %d other system files" % (sum("/var/db/pkg/" in p for p in uniq), n_pkgs, sum("/md5-cache/" in p for p in uniq),
                                  sum("/profiles/" in p for p in uniq), sum("/etc/portage/" in p for p in uniq),
                                  sum(not re.search(r"/var/db/|/etc/portage/", p[len(root_real):]) for p in uniq)))
if syscalls is not None:
    print("system calls (strace -c): %d in all" % syscalls)
print("D-Bus round trips: %s" % ("0 (--no-bus; no connect(2) at all)" if trace and connects == 0 else
                                  "%d connect(2) calls" % connects if trace else "not measured (no strace)"))
t, _, c, rss = results["homesetup check --no-bus"]
peak = max(rss) / 1024 if rss else float("nan")
print("target: whole process under 15 ms and under 5 MB peak RSS: wall median %.2f ms (min %.2f), CPU median "
      "%.2f ms, peak RSS %.2f MB -> %s%s"
      % (chk, t[0], statistics.median(c), peak, "met" if chk < 15 and peak < 5 else
         "NOT met" if rss else "RSS not measured (/usr/bin/time missing)",
         "" if chk < 15 or os.getloadavg()[0] < os.cpu_count() else
         " (the machine is loaded: compare the CPU time and the minimum, and /bin/true's figures)"))
bad = [name for name, _ in cases if name.startswith("homesetup") and results[name][1] > 1]
if bad:
    print("FAILED (exit status > 1): %s" % ", ".join(bad))
    sys.exit(1)
EOF
rc=$?

if command -v hyperfine > /dev/null 2>&1; then
	hyperfine -N --warmup 5 --runs "$RUNS" --style basic "/bin/true" "$HOMESETUP check --no-bus --root $root" || true
else
	echo "(hyperfine is not installed: figures above only)"
fi
exit "$rc"
