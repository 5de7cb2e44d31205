# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # here, top, RUNS, root, source_root …: set for the scripts that source this
# Shared by the whole-process benchmarks (bench_check.sh, bench_use_show.sh); sourced, never run.
#
#   bench_setup NAME        here, top, B, HOMESETUP, RUNS, tmp (removed on exit), root and source_root: a snapshot
#                           of the build (so that a rebuild during the run cannot swap the binary under the
#                           measurement) and a generated root of realistic size (bench/gen-root.py)
#   bench_trace OUT CMD…    the files CMD opens and its connect(2)s (strace -f -y) into OUT; nothing without strace
#   bench_counts OUT CMD…   its system calls (strace -f -c) into OUT; nothing without strace
#   bench_py CODE ARGS…     python3 running CODE after the helpers of $BENCH_PY (timing, peak RSS, traces, table)
#   bench_hyperfine CMD…    hyperfine's own figures for the commands, when it is installed
#
# Environment: B (build directory, default .), HOMESETUP (the CLI; default $B/bin/homesetup), BENCH_RUNS (runs of
# each command, default 200, at least 30), SHARED (../shared: gen-root.py takes the real profile stack from
# $SHARED/gentoo-data/ready when present).

bench_setup() {
	BENCH_NAME=$1
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	top=$(dirname "$here")
	B=${B:-.}
	case $B in /*) ;; *) B=$top/$B ;; esac
	local homesetup_set=${HOMESETUP:-}
	HOMESETUP=${HOMESETUP:-$B/bin/homesetup}
	RUNS=${BENCH_RUNS:-200}
	if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 30 ]; then
		printf '%s: BENCH_RUNS=%s: using 30 runs (a median needs at least that many)\n' "$BENCH_NAME" "$RUNS" >&2
		RUNS=30
	fi
	export SHARED=${SHARED:-$top/../shared}
	export NO_COLOR=1
	if [ ! -x "$HOMESETUP" ]; then
		printf '%s: %s is not built (run make)\n' "$BENCH_NAME" "$HOMESETUP" >&2
		exit 1
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $tmp is fixed from here on
	trap "bench_cleanup; rm -rf '$tmp'" EXIT
	root=$tmp/root
	# The CLI finds its library through $ORIGIN/../libhomesetup: copy both.
	if [ -z "$homesetup_set" ] && [ -d "$(dirname "$HOMESETUP")/../libhomesetup" ]; then
		mkdir -p "$tmp/build/bin" "$tmp/build/libhomesetup"
		cp "$HOMESETUP" "$tmp/build/bin/homesetup" &&
			cp -P "$(dirname "$HOMESETUP")"/../libhomesetup/libhomesetup.so* "$tmp/build/libhomesetup/" &&
			HOMESETUP=$tmp/build/bin/homesetup
	fi
	if ! source_root=$(python3 "$here/gen-root.py" "$root"); then
		printf '%s: could not generate the root\n' "$BENCH_NAME" >&2
		exit 1
	fi
}

# What a script started and must stop (PIDs); bench_cleanup stops each by its PID.
BENCH_PIDS=()
bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	done
	BENCH_PIDS=()
	return 0
}

bench_trace() {
	local out=$1
	shift
	command -v strace > /dev/null 2>&1 || return 0
	strace -f -qq -y -e trace=open,openat,openat2,connect -o "$out" "$@" > /dev/null 2>&1
	[ -s "$out" ] || rm -f "$out"
}

bench_counts() {
	local out=$1
	shift
	command -v strace > /dev/null 2>&1 || return 0
	strace -f -c -o "$out" "$@" > /dev/null 2>&1
	[ -s "$out" ] || rm -f "$out"
}

bench_py() {
	local code=$1
	shift
	python3 -c "$BENCH_PY"$'\n'"$code" "$@"
}

bench_hyperfine() {
	if command -v hyperfine > /dev/null 2>&1; then
		# -i: exit status 1 (something FAILs, something to do) is an answer, not a failure
		hyperfine -N -i --warmup 5 --runs "$RUNS" --style basic "$@" || true
	else
		echo "(hyperfine is not installed: figures above only)"
	fi
}

# The Python half: helpers only; the scripts' own code follows them.
# shellcheck disable=SC2016 # Python, not shell
BENCH_PY='
import os, re, statistics, subprocess, sys, time

TRUE = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
CAT = "/bin/cat" if os.path.exists("/bin/cat") else "/usr/bin/cat"
DEVNULL = os.open(os.devnull, os.O_WRONLY)


def read_trace(trace, root):
    """Opens of a strace -f -y trace: regular files under @root (a list, repeats kept), directories, other files
    (shared libraries, locale), failed opens and connect(2) calls."""
    root_real = os.path.realpath(root)
    t = {"opened": [], "dirs": [], "libs": [], "failed": 0, "connects": 0,
         "method": "strace -f -y -e trace=open,openat,openat2"}
    if not trace or not os.path.exists(trace):
        t["method"] = None
        return t
    pat = re.compile(r"^\d+\s+(open|openat|openat2|connect)\((.*)\)\s+=\s+(-?\d+)(?:<([^>]*)>)?")
    for line in open(trace, errors="replace"):
        m = pat.match(line)
        if not m:
            continue
        if m.group(1) == "connect":
            t["connects"] += 1
            continue
        fd, path = int(m.group(3)), m.group(4)
        if fd < 0:
            t["failed"] += 1
        elif not path:
            continue
        elif os.path.isdir(path):
            t["dirs"].append(path)
        elif path.startswith(root_real + "/"):
            t["opened"].append(path)
        else:
            t["libs"].append(path)
    return t


def syscall_total(counts):
    """The total line of strace -c, or None."""
    if not counts or not os.path.exists(counts):
        return None
    for line in open(counts, errors="replace"):
        f = line.split()
        if len(f) >= 4 and f[-1] == "total":
            return int(f[3])
    return None


def spawn(argv):
    return os.posix_spawn(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, DEVNULL, 1), (os.POSIX_SPAWN_DUP2, DEVNULL, 2)])


def peak_rss(argv):
    """Peak RSS in KiB, from /usr/bin/time (it forks from a small process: posix_spawn from this Python would
    share its memory until the exec, and Linux counts that in the child'"'"'s ru_maxrss)."""
    tv = "/usr/bin/time"
    if not os.access(tv, os.X_OK):
        return None
    out = subprocess.run([tv, "-f", "%M"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return int(out.stderr.strip().split("\n")[-1])
    except ValueError:
        return None


def timed(argv, runs):
    """Wall time (spawn to exit) and CPU time (user + sys, from wait4) of each run in ms, sorted; the worst exit
    status; the peak RSS of 3 runs (KiB)."""
    times, cpu, rc = [], [], 0
    for _ in range(5):  # warm the page cache and the dynamic loader
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
    return {"times": times, "rc": rc, "cpu": cpu, "rss": max(rss) if rss else None}


def q(t, p):
    return t[min(len(t) - 1, int(p * len(t)))]


def run_cases(cases, runs):
    """Time every (name, argv) case, interleaved with nothing else; print the table; return {name: result}."""
    load0 = os.getloadavg()[0]
    res = {name: timed(argv, runs) for name, argv in cases}
    print("%d runs each; wall time of the whole process (spawn to exit), its CPU time (user+sys) and peak RSS"
          " (/usr/bin/time -f %%M); load average %.2f before, %.2f after, on %d CPUs"
          % (runs, load0, os.getloadavg()[0], os.cpu_count()))
    print("  %-44s %9s %8s %8s %10s %9s" % ("command", "wall min", "median", "p90", "CPU median", "peak RSS"))
    for name, _ in cases:
        r = res[name]
        t = r["times"]
        print("  %-44s %7.2fms %6.2fms %6.2fms %8.2fms %9s" % (name, t[0], statistics.median(t), q(t, 0.9),
              statistics.median(r["cpu"]), "%.2f MB" % (r["rss"] / 1024) if r["rss"] else "?"))
    return res


def med(res, name):
    return statistics.median(res[name]["times"])


def rss_mb(res, name):
    return res[name]["rss"] / 1024 if res[name]["rss"] else float("nan")


def loaded():
    return os.getloadavg()[0] >= os.cpu_count()
'
