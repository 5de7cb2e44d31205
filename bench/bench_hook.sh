#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: what portage-hooks/homed-check.bash adds to a merge, measured inside one bash process the way
# Portage runs it (the hook file sourced, then post_pkg_postinst), each loop beside a baseline loop in the
# same run:
#   1. an unrelated package (dev-libs/json-c, pkg_postinst): source the hook, call post_pkg_postinst when
#      defined; baseline: source an empty file. Target: no process started, under 0.1 ms per call.
#   2. sys-apps/systemd[homed] (pkg_postinst, the real homesetup CLI, a VDB with sys-auth/pambase under a temp
#      ROOT): source the hook and run post_pkg_postinst; baseline: the same shell starting `homesetup
#      --version` once per call (the cost of any process of ours). Target: under 20 ms per call.
# Processes started are counted with strace when it is installed, else from the kernel's last PID
# (/proc/loadavg; other processes on the machine can only make that count larger).
#
#   bash bench/bench_hook.sh        (make bench runs it through bench/run.sh)
#
# Environment: B (build directory, default .), HOMESETUP (default $B/bin/homesetup), BENCH_HOOK_FAST_RUNS
# (default 20000), BENCH_HOOK_SLOW_RUNS (default 100). Slow figures are reported, never failures; the exit
# status is non-zero only when the hook itself misbehaves (wrong output, a failing status).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=${B:-.}
case $B in /*) ;; *) B=$top/$B ;; esac
HOMESETUP=${HOMESETUP:-$B/bin/homesetup}
FAST_RUNS=${BENCH_HOOK_FAST_RUNS:-20000}
SLOW_RUNS=${BENCH_HOOK_SLOW_RUNS:-100}
HOOK=$top/portage-hooks/homed-check.bash

if [ ! -x "$HOMESETUP" ]; then
	printf 'bench_hook: %s is not built (run make)\n' "$HOMESETUP" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/root/var/db/pkg/sys-auth/pambase-20251104-r1" "$tmp/root/etc/pam.d"
ln -s "$HOMESETUP" "$tmp/bin/homesetup"
echo 'abi_x86_64 amd64 elibc_glibc kernel_linux nullok passwdqc systemd yescrypt' \
	> "$tmp/root/var/db/pkg/sys-auth/pambase-20251104-r1/USE"
: > "$tmp/empty"

# The loops, in one bash: prints "<hook µs> <baseline µs> <hook status>" for N calls each.
# shellcheck disable=SC2016 # the script is for the inner bash
loops='
has() { local n=$1 x; shift; for x in "$@"; do [[ $x == "$n" ]] && return 0; done; return 1; }
ewarn() { printf "%s\n" "$*" >> "$WARNLOG"; }
elog() { :; }
pkg_postinst() { :; }
mode=$1 n=$2 hook=$3 empty=$4 nbase=${5:-$2} i=0 st=0
if [[ $mode == fast ]]; then
	t0=${EPOCHREALTIME/[.,]/}
	for (( i = 0; i < n; i++ )); do
		source "$hook"
		if declare -F post_pkg_postinst > /dev/null; then post_pkg_postinst || st=$?; fi
	done
	t1=${EPOCHREALTIME/[.,]/}
	for (( i = 0; i < nbase; i++ )); do
		source "$empty"
		if declare -F post_pkg_postinst > /dev/null; then post_pkg_postinst || st=$?; fi
	done
	t2=${EPOCHREALTIME/[.,]/}
else
	t0=${EPOCHREALTIME/[.,]/}
	for (( i = 0; i < n; i++ )); do
		unset _HOMESETUP_HOMED_CHECKED
		source "$hook"
		post_pkg_postinst || st=$?
	done
	t1=${EPOCHREALTIME/[.,]/}
	for (( i = 0; i < nbase; i++ )); do
		homesetup --version > /dev/null || st=$?
	done
	t2=${EPOCHREALTIME/[.,]/}
fi
echo "$(( t1 - t0 )) $(( t2 - t1 )) $st"
'

last_pid() {
	local a
	read -r _ _ _ _ a < /proc/loadavg
	echo "$a"
}

# count_procs MODE N CATEGORY PN USE: run the hook loop (no baseline) in a clean environment and set procs to
# the number of processes it started (the figures of a traced run are not used: strace slows every system call).
count_procs() {
	local mode=$1 n=$2 cat=$3 pn=$4 use=$5 p0 p1
	local -a cmd=(env -i PATH="$tmp/bin:/usr/bin:/bin" WARNLOG="$tmp/warnings" CATEGORY="$cat" PN="$pn" PF="$pn-1"
		USE="$use" EBUILD_PHASE=postinst EAPI=8 ROOT="$tmp/root" EROOT="$tmp/root" PORTAGE_CONFIGROOT="$tmp/root"
		REQUIRED_USE='homed? ( cryptsetup pam openssl )' bash -c "$loops" _ "$mode" "$n" "$HOOK" "$tmp/empty" 0)
	procs=
	if command -v strace > /dev/null 2>&1 &&
		strace -f -qq -e trace=clone,clone3,fork,vfork -o "$tmp/trace" "${cmd[@]}" > /dev/null 2>&1; then
		procs="$(grep -c -E '(clone|clone3|fork|vfork)\(' "$tmp/trace") (strace)"
	else
		p0=$(last_pid)
		"${cmd[@]}" > /dev/null 2>&1
		p1=$(last_pid)
		procs="$(( p1 - p0 - 2 )) or fewer (/proc/loadavg)"
	fi
}

fmt_us() { # microseconds-total runs -> "X.XXX µs"
	awk -v t="$1" -v n="$2" 'BEGIN { printf "%.3f", t / n }'
}

failed=0

# 1. Unrelated package, timed (strace slows every syscall, so the figures come from a run without it; the
#    process count from a run with it).
printf 'Hook overhead per merge (portage-hooks/homed-check.bash), %s\n\n' "$(bash --version | head -n1)"
count_procs fast 200 dev-libs json-c "amd64 elibc_glibc kernel_linux"
fast_procs=$procs
env -i PATH="$tmp/bin:/usr/bin:/bin" WARNLOG="$tmp/warnings" CATEGORY=dev-libs PN=json-c PF=json-c-0.18 \
	USE="amd64" EBUILD_PHASE=postinst bash -c "$loops" _ fast "$FAST_RUNS" "$HOOK" "$tmp/empty" > "$tmp/out" 2>&1
read -r hook_us base_us st < <(tail -n1 "$tmp/out")
if [ "${st:-1}" != 0 ] || [ -s "$tmp/warnings" ]; then
	printf 'bench_hook: the hook misbehaved for an unrelated package (status %s)\n' "${st:-?}" >&2
	cat "$tmp/out" "$tmp/warnings" >&2
	failed=1
fi
per_hook=$(fmt_us "$hook_us" "$FAST_RUNS")
per_base=$(fmt_us "$base_us" "$FAST_RUNS")
over=$(awk -v a="$hook_us" -v b="$base_us" -v n="$FAST_RUNS" 'BEGIN { printf "%.3f", (a - b) / n }')
verdict=$(awk -v o="$over" 'BEGIN { print (o < 100 ? "met" : "NOT met") }')
printf '%-44s %12s %12s\n' "unrelated package (dev-libs/json-c)" "µs per call" "calls"
printf '  %-42s %12s %12s\n' "hook: source + post_pkg_postinst" "$per_hook" "$FAST_RUNS"
printf '  %-42s %12s %12s\n' "baseline: source an empty file" "$per_base" "$FAST_RUNS"
printf '  %-42s %12s   target < 100 µs: %s\n' "overhead" "$over" "$verdict"
printf '  %-42s %s in 200 calls (target: 0)\n\n' "processes started" "$fast_procs"

# 2. sys-apps/systemd[homed] without cryptsetup: the full check, the real CLI.
count_procs slow 5 sys-apps systemd "amd64 homed pam openssl"
slow_procs=$procs
env -i PATH="$tmp/bin:/usr/bin:/bin" WARNLOG="$tmp/warnings" CATEGORY=sys-apps PN=systemd PF=systemd-260.1 \
	USE="amd64 homed pam openssl" EBUILD_PHASE=postinst EAPI=8 ROOT="$tmp/root" EROOT="$tmp/root" \
	PORTAGE_CONFIGROOT="$tmp/root" REQUIRED_USE='homed? ( cryptsetup pam openssl )' \
	bash -c "$loops" _ slow "$SLOW_RUNS" "$HOOK" "$tmp/empty" > "$tmp/out" 2>&1
read -r hook_us base_us st < <(tail -n1 "$tmp/out")
if [ "${st:-1}" != 0 ] || ! grep -q 'homed? ( cryptsetup )' "$tmp/warnings" || ! grep -q 'has no homed' "$tmp/warnings"; then
	printf 'bench_hook: the hook did not warn as expected for sys-apps/systemd[homed] (status %s)\n' "${st:-?}" >&2
	cat "$tmp/out" >&2
	head -n 20 "$tmp/warnings" >&2
	failed=1
fi
per_hook=$(awk -v t="$hook_us" -v n="$SLOW_RUNS" 'BEGIN { printf "%.2f", t / n / 1000 }')
per_base=$(awk -v t="$base_us" -v n="$SLOW_RUNS" 'BEGIN { printf "%.2f", t / n / 1000 }')
verdict=$(awk -v o="$per_hook" 'BEGIN { print (o < 20 ? "met" : "NOT met") }')
printf '%-44s %12s %12s\n' "sys-apps/systemd[homed -cryptsetup]" "ms per call" "calls"
printf '  %-42s %12s %12s   target < 20 ms: %s\n' "hook: source + post_pkg_postinst" "$per_hook" "$SLOW_RUNS" "$verdict"
printf '  %-42s %12s %12s\n' "baseline: homesetup --version" "$per_base" "$SLOW_RUNS"
printf '  %-42s %s per call (%s in 5 calls; from the 2nd on, 1 of them checks the post_pkg_postinst\n' \
	"processes started" "$(awk -v p="${slow_procs%% *}" 'BEGIN { printf "%.1f", p / 5 }')" "$slow_procs"
printf '  %-42s defined by the previous call before chaining it)\n' ""
exit "$failed"
