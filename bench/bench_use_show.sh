#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: `homesetup use show` as a whole process (exec, dynamic linking, reading Portage's configuration,
# effective USE of systemd and pambase, output) on a generated root of realistic size (bench/gen-root.py:
# the real profile stack, 1,000 installed packages, 200 package.use lines in 20 files).
#
#   bash bench/bench_use_show.sh        (make bench runs it through bench/run.sh)
#
# Prints, for BENCH_RUNS runs of each command (default 200, at least 30): min / median / p90 wall time, the median
# CPU time and the peak RSS, beside same-run comparators: `/bin/true` (the cost of starting any process),
# `homesetup --version` (starting ours, dynamic linking included) and `cat` of exactly the files `use show` reads
# (the cost of the I/O alone). Then the files it opens (strace) and, when hyperfine is installed, hyperfine's
# figures. Target: the whole process under 10 ms. A slow figure is reported, never a failure; the exit status is
# non-zero only when the command itself fails (exit status 2, a crash) or the root cannot be generated.
# Environment: see bench/lib.sh.
set -u

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup bench_use_show

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

bench_trace "$tmp/trace" "$HOMESETUP" use show --root "$root"

# shellcheck disable=SC2016 # Python
bench_py '
homesetup, root, runs, source_root, tmp = sys.argv[1:6]
runs = int(runs)
t = read_trace(tmp + "/trace", root)
uniq = sorted(set(t["opened"]))
n_pkgs = sum(len(os.listdir(os.path.join(root, "var/db/pkg", c))) for c in os.listdir(os.path.join(root, "var/db/pkg")))
pu = os.path.join(root, "etc/portage/package.use")
pu_lines = sum(1 for f in os.listdir(pu) for l in open(os.path.join(pu, f)) if l.strip() and not l.startswith("#"))
prof = os.path.join(root, "var/db/repos/gentoo/profiles")
print("root: %d installed packages, %d package.use lines in %d files, profiles from %s (%d files), %d files in all"
      % (n_pkgs, pu_lines, len(os.listdir(pu)), source_root, sum(len(f) for _, _, f in os.walk(prof)),
         sum(len(f) for _, _, f in os.walk(root))))
cases = [
    ("/bin/true", [TRUE]),
    ("homesetup --version", [homesetup, "--version"]),
    ("cat <the %d files use show reads>" % len(uniq), [CAT] + uniq if uniq else [TRUE]),
    ("homesetup use show", [homesetup, "use", "show", "--root", root]),
    ("homesetup use show --json", [homesetup, "use", "show", "--json", "--root", root]),
    ("homesetup use show --all", [homesetup, "use", "show", "--all", "--root", root]),
]
res = run_cases(cases, runs)
show = med(res, "homesetup use show")
print("  use show = %.1f x /bin/true, %.1f x homesetup --version, %.1f x cat of its files; %.2f ms above process start"
      % (show / med(res, "/bin/true"), show / med(res, "homesetup --version"), show / med(res, cases[2][0]),
         show - med(res, "/bin/true")))
root_real = os.path.realpath(root)
if t["method"]:
    print("files opened by use show (%s): %d opens of regular files under the root (%d distinct files), "
          "%d of directories (%d distinct; %d of them the root itself), %d of other files (shared libraries), "
          "%d that failed (absent optional files)"
          % (t["method"], len(t["opened"]), len(uniq), len(t["dirs"]), len(set(t["dirs"])), t["dirs"].count(root_real),
             len(t["libs"]), t["failed"]))
    print("  of which %d in var/db/pkg (of %d installed packages), %d in md5-cache, %d profile files, %d in etc/portage"
          % (sum("/var/db/pkg/" in p for p in uniq), n_pkgs, sum("/md5-cache/" in p for p in uniq),
             sum("/profiles/" in p for p in uniq), sum("/etc/portage/" in p for p in uniq)))
else:
    print("files opened: not measured (strace is not installed)")
r = res["homesetup use show"]
print("target: whole process under 10 ms: wall median %.2f ms (min %.2f), CPU median %.2f ms -> %s%s"
      % (show, r["times"][0], statistics.median(r["cpu"]), "met" if show < 10 else "NOT met",
         "" if show < 10 or not loaded() else
         " (the machine is loaded: compare the CPU time and the minimum, and /bin/true'"'"'s figures)"))
bad = [name for name, _ in cases if name.startswith("homesetup use") and res[name]["rc"] > 1]
if bad:
    print("FAILED (exit status > 1): %s" % ", ".join(bad))
    sys.exit(1)
' "$HOMESETUP" "$root" "$RUNS" "$source_root" "$tmp"
rc=$?

bench_hyperfine "/bin/true" "$HOMESETUP use show --root $root" "$HOMESETUP use show --json --root $root"
exit "$rc"
