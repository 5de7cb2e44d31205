#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: `homesetup use show` as a whole process (exec, dynamic linking, reading Portage's configuration,
# effective USE of systemd and pambase, output) on a generated root of realistic size (bench/gen-root.py:
# the real profile stack, 1,000 installed packages, 200 package.use lines in 20 files).
#
#   bash bench/bench_use_show.sh        (make bench runs it through bench/run.sh)
#
# Prints, for BENCH_RUNS runs of each command (default 200): min / median / p90 wall time, beside same-run
# baselines: `/bin/true` (the cost of starting any process), `homesetup --version` (starting ours, dynamic
# linking included) and `cat` of exactly the files `use show` reads (the cost of the I/O alone). Then the files
# it opens (strace; /proc sampling otherwise) and, when hyperfine is installed, hyperfine's figures.
# Target: the whole process under 10 ms. A slow figure is reported, never a failure; the exit status is non-zero
# only when the command itself fails (exit status 2, a crash) or the root cannot be generated.
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
	printf 'bench_use_show: %s is not built (run make)\n' "$HOMESETUP" >&2
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
	printf 'bench_use_show: could not generate the root\n' >&2
	exit 1
fi

# It must work before it is timed: exit status 0 (satisfied) or 1 (not), and valid JSON.
"$HOMESETUP" use show --root "$root" > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ "$rc" -gt 1 ]; then
	printf 'bench_use_show: homesetup use show failed (exit status %d):\n' "$rc" >&2
	cat "$tmp/err" >&2
	exit 1
fi
if ! "$HOMESETUP" use show --json --root "$root" 2> /dev/null | python3 -c 'import json, sys; json.load(sys.stdin)'; then
	printf 'bench_use_show: use show --json did not print valid JSON\n' >&2
	exit 1
fi

# The files it opens. strace -y annotates every returned descriptor with the path it names, which also covers
# openat2(RESOLVE_IN_ROOT) on names relative to a root directory descriptor.
trace=
if command -v strace > /dev/null 2>&1 &&
	strace -f -qq -y -e trace=open,openat,openat2 -o "$tmp/trace" "$HOMESETUP" use show --root "$root" \
		> /dev/null 2>&1; then
	trace=$tmp/trace
fi

python3 - "$HOMESETUP" "$root" "$RUNS" "$source_root" "$trace" <<'EOF'
import os, re, statistics, subprocess, sys, time

homesetup, root, runs, source_root, trace = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
root_real = os.path.realpath(root)

def count_files(top):
    n = 0
    for _, _, files in os.walk(top):
        n += len(files)
    return n

# ---- which files does `use show` open? -------------------------------------------------------------------
opened, dirs, failed, libs = [], [], 0, []
method = "strace -f -y -e trace=open,openat,openat2"
if trace:
    pat = re.compile(r'^\d+\s+(open|openat|openat2)\((.*)\)\s+=\s+(-?\d+)(?:<([^>]*)>)?')
    for line in open(trace, errors="replace"):
        m = pat.match(line)
        if not m:
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
    # No strace: sample /proc/PID/fd of a run slowed down by nothing; catches only what is open at that moment.
    method = "/proc/PID/fd sampling (strace not installed: a lower bound)"
    seen = set()
    p = subprocess.Popen([homesetup, "use", "show", "--root", root], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
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

# ---- timing ------------------------------------------------------------------------------------------------
devnull = os.open(os.devnull, os.O_WRONLY)

def timed(argv):
    """Wall time (spawn to exit) and CPU time (user + system, from wait4's rusage) of each run, in ms."""
    times, cpu, rc = [], [], 0
    for _ in range(5):  # warm the page cache and the dynamic loader's
        os.waitpid(os.posix_spawn(argv[0], argv, os.environ,
                                  file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                                (os.POSIX_SPAWN_DUP2, devnull, 2)]), 0)
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, st, ru = os.wait4(pid, 0)
        times.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((ru.ru_utime + ru.ru_stime) * 1e3)
        rc = max(rc, os.waitstatus_to_exitcode(st))
    times.sort()
    cpu.sort()
    return times, rc, cpu

true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
cat = "/bin/cat" if os.path.exists("/bin/cat") else "/usr/bin/cat"
uniq = sorted(set(opened))
cases = [
    ("/bin/true", [true]),
    ("homesetup --version", [homesetup, "--version"]),
    ("cat <the %d files use show reads>" % len(uniq), [cat] + uniq if uniq else [true]),
    ("homesetup use show", [homesetup, "use", "show", "--root", root]),
    ("homesetup use show --json", [homesetup, "use", "show", "--json", "--root", root]),
    ("homesetup use show --all", [homesetup, "use", "show", "--all", "--root", root]),
]
results = {}
for name, argv in cases:
    results[name] = timed(argv)

def q(t, p):
    return t[min(len(t) - 1, int(p * len(t)))]

n_pkgs = sum(len(os.listdir(os.path.join(root, "var/db/pkg", c))) for c in os.listdir(os.path.join(root, "var/db/pkg")))
pu = os.path.join(root, "etc/portage/package.use")
pu_lines = sum(1 for f in os.listdir(pu) for l in open(os.path.join(pu, f)) if l.strip() and not l.startswith("#"))
prof = os.path.join(root, "var/db/repos/gentoo/profiles")
print("root: %d installed packages, %d package.use lines in %d files, profiles from %s (%d files), "
      "%d files in all" % (n_pkgs, pu_lines, len(os.listdir(pu)), source_root, count_files(prof), count_files(root)))
print("%d runs each; wall time of the whole process (spawn to exit) and its CPU time (user+sys), in ms;"
      " load average %.1f on %d CPUs" % (runs, os.getloadavg()[0], os.cpu_count()))
print("  %-40s %8s %8s %8s %10s" % ("command", "wall min", "median", "p90", "CPU median"))
for name, _ in cases:
    t, rc, c = results[name]
    print("  %-40s %8.2f %8.2f %8.2f %10.2f" % (name, t[0], statistics.median(t), q(t, 0.9), statistics.median(c)))
med = {name: statistics.median(results[name][0]) for name, _ in cases}
show = med["homesetup use show"]
base = med["/bin/true"]
catm = med[cases[2][0]]
print("  use show = %.1f x /bin/true, %.1f x homesetup --version, %.1f x cat of its files; "
      "%.2f ms above process start" % (show / base, show / med["homesetup --version"], show / catm, show - base))
print("files opened by use show (%s): %d opens of regular files under the root (%d distinct files), "
      "%d of directories (%d distinct; %d of them the root itself), %d of other files (shared libraries), "
      "%d that failed (absent optional files)"
      % (method, len(opened), len(uniq), len(dirs), len(set(dirs)), dirs.count(root_real), len(libs), failed))
vdb = [p for p in uniq if "/var/db/pkg/" in p]
print("  of which %d in var/db/pkg (of %d installed packages), %d in md5-cache, %d profile files, %d in etc/portage"
      % (len(vdb), n_pkgs, sum("/md5-cache/" in p for p in uniq), sum("/profiles/" in p for p in uniq),
         sum("/etc/portage/" in p for p in uniq)))
cpu_show = statistics.median(results["homesetup use show"][2])
print("target: whole process under 10 ms: wall median %.2f ms (min %.2f), CPU median %.2f ms -> %s%s"
      % (show, results["homesetup use show"][0][0], cpu_show, "met" if show < 10 else "NOT met",
         "" if show < 10 or os.getloadavg()[0] < os.cpu_count() else
         " (the machine is loaded: compare the CPU time and the minimum, and /bin/true's figures)"))
bad = [name for name, _ in cases if name.startswith("homesetup use") and results[name][1] > 1]
if bad:
    print("FAILED (exit status > 1): %s" % ", ".join(bad))
    sys.exit(1)
EOF
rc=$?

if command -v hyperfine > /dev/null 2>&1; then
	hyperfine -N --warmup 5 --runs "$RUNS" --style basic \
		"/bin/true" "$HOMESETUP use show --root $root" "$HOMESETUP use show --json --root $root" || true
else
	echo "(hyperfine is not installed: figures above only)"
fi
exit "$rc"
