# shellcheck shell=bash
# Helpers shared by the bats suites in tests/cli: `load ../lib/common` at the top of a .bats file.
#
#   $HOMESETUP    the built CLI (exported by tests/run-tests.sh; found in the build tree otherwise)
#   $SHARED       ../shared (read-only reference data; suites that need it skip without it)
#   $HS_TOP       the source tree
#   hs ARGS…              run the CLI with bats' `run --separate-stderr` ($status, $output, $stderr, $lines)
#   hs_stdin FILE ARGS…   the same with standard input from FILE
#   hs_mkroot [NAME]      a fresh Gentoo-shaped root in the test's temp dir; prints its path
#   hs_write ROOT PATH [TEXT]   write TEXT (or standard input) to ROOT/PATH, creating parents
#   assert_status N / assert_output TEXT / assert_output_contains TEXT / assert_stderr_contains TEXT
#   assert_line N TEXT / assert_json PYTHON-EXPR [JSON]   (d is the parsed JSON; default JSON: $output)
#   assert_files_equal A B    byte for byte
#   fail MESSAGE

bats_require_minimum_version 1.5.0

HS_TOP=${HS_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
if [ -z "${HOMESETUP:-}" ]; then
	HOMESETUP="${HS_BUILD:-$HS_TOP}/bin/homesetup"
fi
SHARED=${SHARED:-$HS_TOP/../shared}
export HOMESETUP SHARED HS_TOP NO_COLOR=1
if [ ! -x "$HOMESETUP" ]; then
	echo "homesetup is not built: $HOMESETUP (run make first)" >&2
	return 1
fi

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# Show what the command printed when an assertion fails.
_hs_dump() {
	printf '# status: %s\n' "${status:-}" >&2
	printf '# stdout:\n%s\n' "${output:-}" | sed 's/^/#   /' >&2
	printf '# stderr:\n%s\n' "${stderr:-}" | sed 's/^/#   /' >&2
}

hs() {
	run --separate-stderr "$HOMESETUP" "$@"
}

hs_stdin() {
	local input=$1
	shift
	run --separate-stderr "$HOMESETUP" "$@" < "$input"
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		_hs_dump
		fail "expected exit status $1, got $status"
	fi
}

assert_output() {
	if [ "$output" != "$1" ]; then
		_hs_dump
		fail "expected stdout:
$1"
	fi
}

assert_output_contains() {
	if [[ $output != *"$1"* ]]; then
		_hs_dump
		fail "stdout does not contain: $1"
	fi
}

assert_stderr_contains() {
	if [[ ${stderr:-} != *"$1"* ]]; then
		_hs_dump
		fail "stderr does not contain: $1"
	fi
}

assert_line() { # N TEXT: line N (0-based) of stdout is TEXT
	if [ "${lines[$1]:-}" != "$2" ]; then
		_hs_dump
		fail "expected line $1 to be '$2', got '${lines[$1]:-}'"
	fi
}

# assert_json 'd["valid"] is True' [JSON]: the Python expression must hold for the parsed document.
assert_json() {
	local expr=$1 doc=${2-$output}
	if ! printf '%s' "$doc" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
ok = eval("(" + sys.argv[1] + "\n)", {"d": d})
if not ok:
    print("JSON check failed: %s\n%s" % (sys.argv[1], json.dumps(d, indent=1)), file=sys.stderr)
    sys.exit(1)
' "$expr"; then
		_hs_dump
		return 1
	fi
}

assert_files_equal() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | sed 's/^/# /' >&2
		fail "files differ: $1 $2"
	fi
}

# A Gentoo-shaped root: etc/portage (package.use as a directory, make.conf), var/db/pkg, the profile link
# target left to the test. Prints the path.
hs_mkroot() {
	local root="$BATS_TEST_TMPDIR/${1:-root}"
	mkdir -p "$root/etc/portage/package.use" "$root/etc/portage/package.accept_keywords" \
		"$root/var/db/pkg" "$root/var/db/repos/gentoo/profiles" "$root/etc/pam.d"
	[ -e "$root/etc/portage/make.conf" ] || : > "$root/etc/portage/make.conf"
	printf '%s\n' "$root"
}

hs_write() { # ROOT PATH [TEXT]
	local dst="$1/$2"
	mkdir -p "$(dirname "$dst")"
	if [ $# -ge 3 ]; then
		printf '%s' "$3" > "$dst"
	else
		cat > "$dst"
	fi
}
