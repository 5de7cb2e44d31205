#!/usr/bin/env bash
# Runs every test suite and prints one closing line: "N passed, N failed[, N skipped]".
#   unit:        cmocka binaries in $B/.obj/tests (TAP output)
#   cli:         bats files in tests/cli (TAP output)
#   conformance: tests/conformance/*.py (TAP output), fed by ../shared when present
# Environment: B (build dir, default .), SHARED (path of ../shared; suites that need it skip without it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=${B:-.}
case $B in /*) ;; *) B="$top/$B" ;; esac
export HS_BUILD="$B" HS_TOP="$top"
export HOMESETUP="$B/bin/homesetup"
export SHARED=${SHARED:-$top/../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export NO_COLOR=1

passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Count a TAP stream; print failures (with their diagnostics) and skips with reasons.
tally() { # suite-name file exit-status
	local name=$1 file=$2 rc=$3 p=0 f=0 s=0 line
	while IFS= read -r line; do
		case $line in
		"not ok"*"# TODO"*|"not ok"*"# todo"*) s=$((s + 1)) ;;
		# cmocka 1.1.5 reports skip() as "not ok N # SKIP"
		"not ok"*"# SKIP"*|"not ok"*"# skip"*) s=$((s + 1)); printf 'SKIP %s: %s\n' "$name" "$line" ;;
		"not ok"*) f=$((f + 1)); printf 'FAIL %s: %s\n' "$name" "$line" ;;
		"ok"*"# SKIP"*|"ok"*"# skip"*) s=$((s + 1)); printf 'SKIP %s: %s\n' "$name" "$line" ;;
		"ok"*) p=$((p + 1)) ;;
		esac
	done < "$file"
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		printf -- '--- output of %s (exit %s) ---\n' "$name" "$rc"
		grep -v '^ok' "$file" | head -n 200
		printf -- '--- end of %s ---\n' "$name"
		# A suite that died without reporting a failing test still counts as one failure.
		[ "$f" -eq 0 ] && f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Unit tests (cmocka, TAP).
for t in "$B"/.obj/tests/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$log/out" 2>&1
	tally "$name" "$log/out" $?
done

# Conformance suites (python3, TAP).
for t in "$top"/tests/conformance/*.py; do
	[ -f "$t" ] || continue
	name=conformance/$(basename "$t" .py)
	python3 "$t" > "$log/out" 2>&1
	tally "$name" "$log/out" $?
done

# CLI tests (bats, TAP).
if ls "$top"/tests/cli/*.bats > /dev/null 2>&1; then
	if command -v bats > /dev/null; then
		for t in "$top"/tests/cli/*.bats; do
			name=cli/$(basename "$t" .bats)
			bats --tap "$t" > "$log/out" 2>&1
			tally "$name" "$log/out" $?
		done
	else
		echo "SKIP cli: bats is not installed" >&2
		skipped=$((skipped + 1))
	fi
fi

# D-Bus tests (bats, TAP): a private dbus-daemon and the test peer .obj/tests/fake-systemd.
if ls "$top"/tests/bus/*.bats > /dev/null 2>&1; then
	if command -v bats > /dev/null; then
		for t in "$top"/tests/bus/*.bats; do
			name=bus/$(basename "$t" .bats)
			bats --tap "$t" > "$log/out" 2>&1
			tally "$name" "$log/out" $?
		done
	else
		echo "SKIP bus: bats is not installed" >&2
		skipped=$((skipped + 1))
	fi
fi

# eselect module, Portage hook and `make install` (bats, TAP).
for t in "$top"/tests/eselect/*.bats "$top"/tests/hook/*.bats "$top"/tests/*.bats; do
	[ -f "$t" ] || continue
	name=${t#"$top"/tests/}
	name=${name%.bats}
	if command -v bats > /dev/null; then
		bats --tap "$t" > "$log/out" 2>&1
		tally "$name" "$log/out" $?
	else
		echo "SKIP $name: bats is not installed" >&2
		skipped=$((skipped + 1))
	fi
done

# Other shell suites (TAP on stdout).
for t in "$top"/tests/*.sh; do
	case $(basename "$t") in run-tests.sh) continue ;; esac
	name=sh/$(basename "$t" .sh)
	bash "$t" > "$log/out" 2>&1
	tally "$name" "$log/out" $?
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
