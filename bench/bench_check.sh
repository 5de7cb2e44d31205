#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: `homesetup check` as a whole process (exec, dynamic linking, Portage's configuration, the effective
# USE of systemd and pambase, the VDB, CONTENTS, every probe of the live system files, output) on a generated root
# of realistic size (bench/gen-root.py: the real profile stack, 1,000 installed packages, 200 package.use lines
# in 20 files).
#
#   bash bench/bench_check.sh        (make bench runs it through bench/run.sh)
#
# Prints, for BENCH_RUNS runs of each command (default 200, at least 30): min / median / p90 wall time, the median
# CPU time and the peak RSS, beside same-run comparators: `/bin/true` (starting any process), `homesetup
# --version` (starting ours: dynamic linking) and `cat` of exactly the files the check reads (the I/O alone).
# Then the files it opens against those cat opens, its system calls against cat's (strace, when installed), and
# its D-Bus round trips: none with --no-bus (the run is checked for connect(2) calls); and, when dbus-daemon is
# installed and the test peer is built ($B/.obj/tests/fake-systemd, `make check-unit`), a run against a private
# bus where that peer plays systemd and homed, counting the method calls it answered.
# Targets: under 15 ms wall time and under 5 MB peak RSS. A slow figure is reported, never a failure; the exit
# status is non-zero only when the command itself fails (exit status 2, a crash), prints invalid JSON, or the root
# cannot be generated. Environment: see bench/lib.sh.
set -u

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup bench_check

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

bench_trace "$tmp/trace" "$HOMESETUP" check --no-bus --root "$root"
bench_counts "$tmp/counts" "$HOMESETUP" check --no-bus --root "$root"

# A private bus with the test peer (the bus tests' set-up: tests/bus/bus.bats), when both are there.
bus="" bus_note=""
fake=$B/.obj/tests/fake-systemd
if ! command -v dbus-daemon > /dev/null 2>&1; then
	bus_note="dbus-daemon is not installed"
elif [ ! -x "$fake" ]; then
	bus_note="the test peer $fake is not built (make check-unit)"
else
	mkdir "$tmp/bus"
	cat > "$tmp/bus/bus.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <listen>unix:path=$tmp/bus/socket</listen>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/>
		  </policy>
		</busconfig>
	EOF
	timeout 600 dbus-daemon --config-file="$tmp/bus/bus.conf" --nofork --nosyslog --print-address=3 \
		3> "$tmp/bus/address" > "$tmp/bus/dbus.log" 2>&1 &
	BENCH_PIDS+=($!)
	for _ in $(seq 100); do [ -s "$tmp/bus/address" ] && break; sleep 0.1; done
	"$fake" --address "unix:path=$tmp/bus/socket" --ready-file "$tmp/bus/ready" --log "$tmp/bus/calls" \
		--lifetime 600 --version 257.1 --unit "systemd-homed.service=enabled,loaded,active,running" \
		--unit "systemd-userdbd.service=enabled,loaded,active,running" > "$tmp/bus/peer.log" 2>&1 &
	BENCH_PIDS+=($!)
	for _ in $(seq 100); do [ -s "$tmp/bus/ready" ] && break; sleep 0.1; done
	if [ -s "$tmp/bus/ready" ]; then
		bus="unix:path=$tmp/bus/socket"
		: > "$tmp/bus/calls"
		bench_trace "$tmp/bus/trace" "$HOMESETUP" check --bus-address "$bus" --root "$root"
		# one run alone, for the number of calls the peer answered
		: > "$tmp/bus/calls"
		"$HOMESETUP" check --bus-address "$bus" --root "$root" > /dev/null 2>&1
		wc -l < "$tmp/bus/calls" > "$tmp/bus/ncalls"
	else
		bus_note="the private bus or the test peer did not start"
	fi
fi

# shellcheck disable=SC2016 # Python
bench_py '
homesetup, root, runs, source_root, tmp, bus, bus_note = sys.argv[1:8]
runs = int(runs)
check = [homesetup, "check", "--no-bus", "--root", root]
t = read_trace(tmp + "/trace", root)
uniq = sorted(set(t["opened"]))
cat_argv = [CAT] + uniq if uniq else [TRUE]
cat_counts = tmp + "/cat-counts"
if t["method"]:
    subprocess.run(["strace", "-f", "-c", "-o", cat_counts] + cat_argv, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

n_pkgs = sum(len(os.listdir(os.path.join(root, "var/db/pkg", c))) for c in os.listdir(os.path.join(root, "var/db/pkg")))
print("root: %d installed packages, profiles from %s, %d files in all"
      % (n_pkgs, source_root, sum(len(f) for _, _, f in os.walk(root))))
cases = [
    ("/bin/true", [TRUE]),
    ("homesetup --version", [homesetup, "--version"]),
    ("cat <the %d files check reads>" % len(uniq), cat_argv),
    ("homesetup check --no-bus", check),
    ("homesetup check --no-bus --json", [homesetup, "check", "--no-bus", "--json", "--root", root]),
    ("homesetup check --no-bus --only use,vdb", [homesetup, "check", "--no-bus", "--only", "use,vdb", "--root", root]),
]
if bus:
    cases.append(("homesetup check (private bus, test peer)", [homesetup, "check", "--bus-address", bus, "--root", root]))
res = run_cases(cases, runs)
catname = cases[2][0]
chk = med(res, "homesetup check --no-bus")
print("  check --no-bus = %.1f x /bin/true, %.1f x homesetup --version, %.1f x cat of its files (medians); "
      "%.2f ms above starting homesetup at all"
      % (chk / med(res, "/bin/true"), chk / med(res, "homesetup --version"), chk / med(res, catname),
         chk - med(res, "homesetup --version")))
print("  peak RSS: check %.2f MB; /bin/true %.2f MB, cat of its files %.2f MB, homesetup --version %.2f MB (the"
      " shared libraries it links): the checks add %.2f MB"
      % (rss_mb(res, "homesetup check --no-bus"), rss_mb(res, "/bin/true"), rss_mb(res, catname),
         rss_mb(res, "homesetup --version"), rss_mb(res, "homesetup check --no-bus") - rss_mb(res, "homesetup --version")))

root_real = os.path.realpath(root)
if t["method"]:
    print("files opened by check (%s): %d opens of %d distinct regular files under the root (cat of them: %d opens), "
          "%d of directories (%d of them the root itself), %d of other files (shared libraries, locale), %d that "
          "failed (absent optional files)"
          % (t["method"], len(t["opened"]), len(uniq), len(uniq), len(t["dirs"]), t["dirs"].count(root_real),
             len(t["libs"]), t["failed"]))
    print("  of which %d in var/db/pkg (of %d installed packages), %d in md5-cache, %d profile files, %d in etc/portage"
          % (sum("/var/db/pkg/" in p for p in uniq), n_pkgs, sum("/md5-cache/" in p for p in uniq),
             sum("/profiles/" in p for p in uniq), sum("/etc/portage/" in p for p in uniq)))
    sc, sc_cat = syscall_total(tmp + "/counts"), syscall_total(cat_counts)
    if sc is not None:
        print("system calls (strace -c): check %d, cat of its files %s" % (sc, sc_cat if sc_cat is not None else "?"))
else:
    print("files opened: not measured (strace is not installed)")
print("D-Bus round trips with --no-bus: %s"
      % ("0 (no connect(2) at all)" if t["method"] and t["connects"] == 0 else
         "%d connect(2) calls" % t["connects"] if t["method"] else "not measured (no strace)"))
if bus:
    tb = read_trace(tmp + "/bus/trace", root)
    ncalls = open(tmp + "/bus/ncalls").read().strip()
    b = med(res, "homesetup check (private bus, test peer)")
    print("D-Bus round trips against the test peer: %s method calls answered (its log) and the bus'"'"'s Hello, over %s "
          "connection(s); check with the bus: %.2f ms median (%+.2f ms against --no-bus), peak RSS %.2f MB"
          % (ncalls, tb["connects"] if tb["method"] else "?", b, b - chk,
             rss_mb(res, "homesetup check (private bus, test peer)")))
else:
    print("D-Bus run against the test peer: skipped (%s)" % bus_note)

r = res["homesetup check --no-bus"]
peak = r["rss"] / 1024 if r["rss"] else float("nan")
ok_t, ok_m = chk < 15, peak < 5
print("target: whole process under 15 ms and under 5 MB peak RSS: wall median %.2f ms (min %.2f), CPU median %.2f ms, "
      "peak RSS %.2f MB -> %s%s"
      % (chk, r["times"][0], statistics.median(r["cpu"]), peak,
         "met" if ok_t and ok_m else "NOT met" if r["rss"] else "RSS not measured (/usr/bin/time missing)",
         "" if ok_t or not loaded() else
         " (the machine is loaded: compare the CPU time and the minimum, and /bin/true'"'"'s figures)"))
bad = [name for name, _ in cases if name.startswith("homesetup") and res[name]["rc"] > 1]
if bad:
    print("FAILED (exit status > 1): %s" % ", ".join(bad))
    sys.exit(1)
' "$HOMESETUP" "$root" "$RUNS" "$source_root" "$tmp" "$bus" "$bus_note"
rc=$?

bench_hyperfine "/bin/true" "$HOMESETUP check --no-bus --root $root"
exit "$rc"
