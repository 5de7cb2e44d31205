#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the benchmarks one after the other (what `make bench` does).
#
#   bash bench/run.sh [$B/.obj/bench/bench_NAME ... | bench/bench_NAME.sh ...]
#
# Runs the benchmark binaries given (with no arguments: every executable $B/.obj/bench/bench_*) and then every
# script bench/bench_*.sh (with bash), so both kinds are picked up without editing this file. Each benchmark
# prints its own table of figures beside same-run baselines; slow figures are never failures. The exit status
# is non-zero only when a benchmark itself failed (a corpus input did not parse, an API contract was broken, a
# crash).
# Environment: B (build directory, default .; exported to the scripts), BENCH_MIN_SECONDS (seconds per figure
# of bench_model), and whatever the scripts document.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=${B:-.}
case $B in /*) ;; *) B=$top/$B ;; esac
export B

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
	for b in "$B"/.obj/bench/bench_*; do
		[ -f "$b" ] && [ -x "$b" ] && benches+=("$b")
	done
fi
for s in "$here"/bench_*.sh; do
	[ -f "$s" ] || continue
	case " ${benches[*]} " in *" $s "* | *" bench/$(basename "$s") "*) continue ;; esac
	benches+=("$s")
done
if [ ${#benches[@]} -eq 0 ]; then
	printf 'run.sh: no benchmarks found (looked for %s/.obj/bench/bench_* and %s/bench_*.sh)\n' "$B" "$here" >&2
	exit 1
fi

failed=()
for b in "${benches[@]}"; do
	printf '=== %s ===\n' "$(basename "$b")"
	case $b in
	*.sh) bash "$b" ;;
	*) "$b" ;;
	esac
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '=== %s FAILED (exit status %d) ===\n' "$(basename "$b")" "$rc"
		failed+=("$(basename "$b")")
	fi
	printf '\n'
done

if [ ${#failed[@]} -gt 0 ]; then
	printf 'run.sh: failed: %s\n' "${failed[*]}" >&2
	exit 1
fi
