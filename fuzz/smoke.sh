#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz smoke run: each libFuzzer target for FUZZ_SECONDS, starting from its seed corpus.
#
#   bash fuzz/smoke.sh [build-fuzz/fuzz_NAME ...]      (what `make fuzz-smoke` runs)
#
# With no arguments every executable $FUZZ_B/fuzz_* is run, so new targets are picked up without editing
# this file. For target fuzz_NAME the seeds in fuzz/corpus/NAME/ (if any) are copied into a fresh temporary
# directory, and fuzz/NAME.dict is passed as -dict= when it exists. The fuzzer's new inputs and artifacts go
# to that temporary directory only: nothing is ever written into the repository.
#
# Prints one line per target (runs, coverage, features, corpus size, result) and then "N passed, N failed".
# A target fails on a crash, a leak, a timeout (-timeout=10 per input), running out of memory
# (-rss_limit_mb=2048), any sanitizer report, or any non-zero exit; the log's tail and every reproducer,
# as a hex dump, are printed so a CI log is enough to reproduce. On failure the temporary directory is kept
# and named.
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 30)
#   FUZZ_B        build directory of the targets, for the no-argument form (default build-fuzz)
#   FUZZ_SEED     pass -seed=N to every target (default: libFuzzer picks one and it is printed)
#   FUZZ_ARGS     extra libFuzzer arguments, split on whitespace (e.g. "-max_len=256")
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_B=${FUZZ_B:-build-fuzz}
case $FUZZ_B in /*) ;; *) FUZZ_B=$top/$FUZZ_B ;; esac

case $FUZZ_SECONDS in
'' | *[!0-9]* | 0)
	printf 'smoke.sh: FUZZ_SECONDS must be a positive whole number of seconds, not "%s"\n' "$FUZZ_SECONDS" >&2
	exit 2
	;;
esac
if [ -n "${FUZZ_SEED:-}" ]; then
	case $FUZZ_SEED in *[!0-9]*)
		printf 'smoke.sh: FUZZ_SEED must be a number, not "%s"\n' "$FUZZ_SEED" >&2
		exit 2
		;;
	esac
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for t in "$FUZZ_B"/fuzz_*; do
		[ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
	done
fi

# Sanitizer defaults (the caller's settings win): report with a stack and stop at the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/homesetup-fuzz.XXXXXX") || exit 2
keep=0
cleanup() {
	if [ "$keep" -eq 0 ]; then
		rm -rf "$tmp"
	else
		printf 'smoke.sh: logs and reproducers kept in %s\n' "$tmp" >&2
	fi
}
trap cleanup EXIT

# A hex dump that reads the same everywhere (xxd when available, od otherwise), at most 4 KiB.
hexdump_file() {
	if command -v xxd > /dev/null 2>&1; then
		xxd -l 4096 "$1"
	else
		od -A x -t x1z -v -N 4096 "$1"
	fi
	local size
	size=$(wc -c < "$1")
	[ "$size" -gt 4096 ] && printf '    ... (%s bytes in all; the dump stops at 4096)\n' "$size"
	return 0
}

# The last value libFuzzer printed for "KEY: N" on a status line (cov, ft, corp).
status_field() { # log key
	sed -n "s/.* $2: \\([0-9][0-9]*\\).*/\\1/p" "$1" | tail -n 1
}
# A final statistic (stat::KEY: N).
stat_field() { # log key
	sed -n "s/^stat::$2: *\\([0-9][0-9]*\\).*/\\1/p" "$1" | tail -n 1
}

# Lines that mean a sanitizer or libFuzzer itself reported an error, even without an artifact.
report_re='ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|MemorySanitizer|libFuzzer)'
report_re+='|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'

passed=0 failed=0
extra=()
[ -n "${FUZZ_SEED:-}" ] && extra+=("-seed=$FUZZ_SEED")
# shellcheck disable=SC2206  # FUZZ_ARGS is a whitespace-separated list by design
[ -n "${FUZZ_ARGS:-}" ] && extra+=($FUZZ_ARGS)

if [ ${#targets[@]} -eq 0 ]; then
	printf 'smoke.sh: no fuzz targets (looked for %s/fuzz_*)\n' "$FUZZ_B"
fi

for bin in "${targets[@]}"; do
	base=$(basename "$bin")
	name=${base#fuzz_}
	work=$tmp/$name
	mkdir -p "$work/corpus" "$work/artifacts"
	log=$work/log
	reason=

	case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
	if [ ! -x "$bin" ]; then
		reason="not an executable file: $bin"
		: > "$log"
	else
		seeds=$top/fuzz/corpus/$name
		nseeds=0
		if [ -d "$seeds" ]; then
			cp -R "$seeds/." "$work/corpus/"
			nseeds=$(find "$work/corpus" -type f | wc -l)
		fi
		args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
			-artifact_prefix="$work/artifacts/")
		[ -f "$top/fuzz/$name.dict" ] && args+=(-dict="$top/fuzz/$name.dict")
		# Run inside the temporary directory so nothing the fuzzer writes can land in the tree; the
		# outer timeout only catches a fuzzer that ignores its own limits.
		(cd "$work" && exec timeout -k 10 $((FUZZ_SECONDS + 120)) "$bin" "${args[@]}" "${extra[@]}" \
			"$work/corpus") > "$log" 2>&1
		rc=$?

		artifacts=()
		for a in "$work/artifacts"/*; do
			[ -f "$a" ] && artifacts+=("$a")
		done
		if [ ${#artifacts[@]} -gt 0 ]; then
			case $(basename "${artifacts[0]}") in
			crash-*) reason=crash ;;
			leak-*) reason=leak ;;
			timeout-*) reason="timeout (an input ran over 10 s)" ;;
			oom-*) reason="out of memory (over 2048 MB)" ;;
			slow-unit-*) reason="slow input" ;;
			*) reason="artifact $(basename "${artifacts[0]}")" ;;
			esac
		elif grep -Eq "$report_re" "$log"; then
			reason="sanitizer report"
		fi
		# Name the kind of report ("AddressSanitizer: heap-buffer-overflow file.c:12:3 in f").
		summary=$(sed -n 's/^SUMMARY: \(.*\)/\1/p' "$log" | head -n 1)
		summary=${summary% in }
		if [ -n "$reason" ] && [ -n "$summary" ]; then
			reason="$reason: $summary"
		elif [ -n "$reason" ]; then
			:
		elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			reason="hung: killed after $((FUZZ_SECONDS + 120)) s"
		elif [ "$rc" -ne 0 ]; then
			reason="exit status $rc"
		elif ! grep -q '^stat::number_of_executed_units:' "$log"; then
			reason="no libFuzzer statistics in the output (is it a libFuzzer binary?)"
		fi
	fi

	runs=$(stat_field "$log" number_of_executed_units)
	execs=$(stat_field "$log" average_exec_per_sec)
	cov=$(status_field "$log" cov)
	ft=$(status_field "$log" ft)
	corp=$(status_field "$log" corp)
	seed=$(sed -n 's/^INFO: Seed: \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ -z "$reason" ]; then
		result=PASS
		passed=$((passed + 1))
	else
		result="FAIL ($reason)"
		failed=$((failed + 1))
		keep=1
	fi
	printf '%-16s runs=%-10s cov=%-6s ft=%-7s corpus=%-6s exec/s=%-7s seeds=%-4s seed=%-11s %s\n' "$name" \
		"${runs:--}" "${cov:--}" "${ft:--}" "${corp:--}" "${execs:--}" "${nseeds:-0}" "${seed:--}" "$result"

	if [ -n "$reason" ]; then
		if [ -s "$log" ]; then
			printf -- '--- %s: last lines of the fuzzer output ---\n' "$name"
			tail -n 80 "$log"
		fi
		for a in "${artifacts[@]}"; do
			printf -- '--- %s: reproducer %s (%s bytes); run: %s %s ---\n' "$name" "$(basename "$a")" \
				"$(wc -c < "$a")" "$bin" "$a"
			hexdump_file "$a"
		done
		printf -- '--- end of %s ---\n' "$name"
	fi
	artifacts=()
	nseeds=
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
