#!/usr/bin/env bats
# The Portage-model commands of the CLI: atom, vercmp, required-use (and the global --help/--version).

load ../lib/common

# The real REQUIRED_USE and IUSE of sys-apps/systemd-260.1 (md5-cache; docs/portage-facts.md §1.1).
SYSTEMD_REQUSE='^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )'
SYSTEMD_IUSE='acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn importd +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd abi_x86_32 abi_x86_64 abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64 python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 secureboot'

# ---- global ---------------------------------------------------------------------------------------------

@test "--version prints the version" {
	hs --version
	assert_status 0
	assert_output "homesetup 0.1.0"
}

@test "--help lists the model commands" {
	hs --help
	assert_status 0
	assert_output_contains "Usage: homesetup"
	for c in atom vercmp required-use; do
		[[ $output =~ (^|$'\n')"  $c " ]] || fail "command $c is not listed"
	done
}

@test "help NAME and NAME --help print the same help" {
	for c in atom vercmp required-use; do
		hs help "$c"
		assert_status 0
		assert_output_contains "Usage: homesetup $c"
		local via_help=$output
		hs "$c" --help
		assert_status 0
		[ "$output" = "$via_help" ] || fail "'help $c' and '$c --help' differ"
	done
}

@test "unknown command and unknown options exit 2 with a hint" {
	hs frobnicate
	assert_status 2
	assert_stderr_contains "homesetup: unknown command 'frobnicate'"
	for c in atom vercmp required-use; do
		hs "$c" --bogus x
		assert_status 2
		assert_stderr_contains "homesetup: $c: unknown option '--bogus'"
		assert_stderr_contains "homesetup $c --help"
	done
	hs vercmp -z 1 2
	assert_status 2
	assert_stderr_contains "unknown option '-z'"
	hs required-use 'a' --use
	assert_status 2
	assert_stderr_contains "option '--use' needs an argument"
	hs vercmp --batch=1
	assert_status 2
	assert_stderr_contains "'--batch=1'"
}

# ---- vercmp ---------------------------------------------------------------------------------------------

@test "vercmp prints <, == and > as Portage orders versions" {
	local -a cases=(
		"1.0 1 >" "1 1.0 <" "1_rc1 1 <" "1_p1 1 >" "1-r0 1 ==" "1.01 1.1 <" "1.0100 1.010 ==" "1.2_pre08-r09 1.2_pre8-r9 =="
		"1_alpha 1_alpha_beta_p >" "1.0.2_pre01-r2 1.00.2_pre001-r1 >" "259.4 260.1 <" "261_rc3 260.2 >"
		# Portage has no integer limit
		"18446744073709551616 18446744073709551615 >" "1-r99999999999999999999999 1-r99999999999999999999998 >"
	)
	for c in "${cases[@]}"; do
		read -r a b want <<< "$c"
		hs vercmp "$a" "$b"
		assert_status 0
		[ "$output" = "$want" ] || fail "vercmp $a $b: expected '$want', got '$output'"
	done
}

@test "vercmp: an invalid version exits 2 and names the column" {
	hs vercmp 1.0 1_a
	assert_status 2
	[ -z "$output" ] || fail "nothing expected on stdout, got '$output'"
	assert_stderr_contains "homesetup: "
	assert_stderr_contains "1_a"
	assert_stderr_contains "column 3"
	hs vercmp 1..2 1
	assert_status 2
	assert_stderr_contains "column"
}

@test "vercmp: usage errors" {
	hs vercmp 1
	assert_status 2
	assert_stderr_contains "exactly two versions"
	hs vercmp 1 2 3
	assert_status 2
	hs vercmp --batch 1 2
	assert_status 2
	assert_stderr_contains "takes no arguments"
}

@test "vercmp --json" {
	hs vercmp --json 1.0 1
	assert_status 0
	assert_json 'd == {"a": "1.0", "b": "1", "result": ">"}'
	hs vercmp --json 1 x
	assert_status 2
	assert_json 'd["result"] is None and "x" in d["error"]'
}

@test "vercmp --batch: thousands of pairs, invalid lines, CRLF" {
	local in="$BATS_TEST_TMPDIR/pairs" want="$BATS_TEST_TMPDIR/want"
	python3 - "$in" "$want" <<-'EOF'
	import sys
	pairs, want = open(sys.argv[1], "w", newline=""), open(sys.argv[2], "w")
	n = 0
	for i in range(1000):
	    for a, b, r in ((f"1.{i}", f"1.{i + 1}", "<"), (f"{i}_rc{i}", f"{i}", "<"), (f"0{i}-r0", f"{i}", "==")):
	        pairs.write(f"{a}\t{b}\n"); want.write(r + "\n"); n += 1
	for line, r in (("1\t1_a", "invalid"), ("no-tab-here", "invalid"), ("", "invalid"), ("2\t1\r", ">"),
	                ("1\t2\t3", "invalid"), ("3\t3.0", "<")):
	    pairs.write(line + "\n"); want.write(r + "\n")
	pairs.write("9\t10")  # no final newline
	want.write("<\n")
	EOF
	hs_stdin "$in" vercmp --batch
	assert_status 0
	[ "${#lines[@]}" -eq 3007 ] || fail "expected 3007 lines, got ${#lines[@]}"
	[ "$output" = "$(cat "$want")" ] || { diff <(printf '%s\n' "$output") "$want" | head >&2; fail "batch results differ"; }
}

@test "vercmp --batch --json gives one object per line" {
	printf '1\t2\n1\tx\n' > "$BATS_TEST_TMPDIR/in"
	hs_stdin "$BATS_TEST_TMPDIR/in" vercmp --batch --json
	assert_status 0
	assert_json 'd == {"a": "1", "b": "2", "result": "<"}' "${lines[0]}"
	assert_json 'd["result"] is None and "x" in d["error"]' "${lines[1]}"
}

@test "--batch answers each line as it arrives (a co-process is served at once)" {
	local ans
	coproc HS { "$HOMESETUP" vercmp --batch; }
	printf '1\t2\n' >&"${HS[1]}"
	read -r -t 10 ans <&"${HS[0]}" || fail "vercmp --batch gave no answer within 10 s"
	[ "$ans" = "<" ] || fail "got '$ans'"
	printf '2\t1\n' >&"${HS[1]}"
	read -r -t 10 ans <&"${HS[0]}" || fail "vercmp --batch gave no second answer"
	[ "$ans" = ">" ] || fail "got '$ans'"
	kill "$HS_PID"
	coproc HA { "$HOMESETUP" atom --batch; }
	printf 'a/b:0\n' >&"${HA[1]}"
	read -r -t 10 ans <&"${HA[0]}" || fail "atom --batch gave no answer within 10 s"
	assert_json 'd["slot"] == "0"' "$ans"
	kill "$HA_PID"
}

@test "vercmp --batch: write errors exit 2" {
	[ -w /dev/full ] || skip "/dev/full is not available"
	yes "$(printf '1\t2')" | head -n 20000 > "$BATS_TEST_TMPDIR/in"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run --separate-stderr bash -c '"$HOMESETUP" vercmp --batch < "$1" > /dev/full' _ "$BATS_TEST_TMPDIR/in"
	assert_status 2
	assert_stderr_contains "write error"
}

# ---- atom -----------------------------------------------------------------------------------------------

@test "atom shows every part of a full atom, aligned" {
	hs atom '!!>=sys-apps/systemd-260.1-r1:0/2=::gentoo[homed,-pam(+),!test?,u(-)=]'
	assert_status 0
	assert_output "!!>=sys-apps/systemd-260.1-r1:0/2=::gentoo[homed,-pam(+),!test?,u(-)=]
  blocker:       !!
  operator:      >=
  category:      sys-apps
  package:       systemd
  version:       260.1-r1
  revision:      1
  slot:          0
  subslot:       2
  slot operator: =
  repo:          gentoo
  USE deps:      homed -pam(+) !test? u(-)=
  canonical:     !!>=sys-apps/systemd-260.1-r1:0/2=::gentoo[homed,-pam(+),!test?,u(-)=]"
}

@test "atom shows only the parts present; one block per atom" {
	hs atom sys-apps/systemd '=sys-auth/pambase-20250806*'
	assert_status 0
	assert_output "sys-apps/systemd
  category:      sys-apps
  package:       systemd
  canonical:     sys-apps/systemd

=sys-auth/pambase-20250806*
  operator:      =*
  category:      sys-auth
  package:       pambase
  version:       20250806
  canonical:     =sys-auth/pambase-20250806*"
}

@test "atom --json gives every key" {
	hs atom --json '!<a/b-r0-1-r2:3/4::repo[u(+)=,!e?]'
	assert_status 0
	assert_json 'd == {"atom": "!<a/b-r0-1-r2:3/4::repo[u(+)=,!e?]", "valid": True, "blocker": "!",
		"operator": "<", "category": "a", "package": "b-r0", "version": "1-r2", "revision": "2", "slot": "3",
		"subslot": "4", "slot_op": None, "repo": "repo", "use": ["u(+)=", "!e?"], "wildcard": False,
		"canonical": "!<a/b-r0-1-r2:3/4::repo[u(+)=,!e?]"}'
	hs atom --json a/b:=
	assert_status 0
	assert_json 'd["slot_op"] == "=" and d["slot"] is None and d["version"] is None and d["operator"] is None
		and d["blocker"] is None and d["use"] == [] and d["revision"] is None'
}

@test "atom: an invalid atom exits 2 with the reason and its column" {
	hs atom a/b-0
	assert_status 2
	[ -z "$output" ] || fail "nothing expected on stdout"
	assert_stderr_contains "homesetup: "
	assert_stderr_contains "a/b-0"
	assert_stderr_contains "column"
	hs atom 'a/b[u,]'
	assert_status 2
	assert_stderr_contains "column"
	hs atom '~a/b-1-r1'
	assert_status 2
	hs atom
	assert_status 2
	assert_stderr_contains "no atom given"
}

@test "atom: valid atoms are shown even when another is invalid" {
	hs atom a/b 'x/y[' c/d
	assert_status 2
	assert_output_contains "canonical:     a/b"
	assert_output_contains "canonical:     c/d"
	assert_stderr_contains "x/y["
}

@test "atom --json: invalid atoms are data, exit still 2" {
	hs atom --json a/b '=a/b-1_a'
	assert_status 2
	[ "${#lines[@]}" -eq 2 ] || fail "expected 2 lines"
	assert_json 'd["valid"] is True and d["canonical"] == "a/b"' "${lines[0]}"
	assert_json 'set(d) == {"atom", "valid", "error"} and d["valid"] is False and d["atom"] == "=a/b-1_a"
		and "column" in d["error"]' "${lines[1]}"
}

@test "atom syntaxes: --user-config, --pms, --repo, --cpv" {
	hs atom 'sys-apps/*'
	assert_status 2
	hs atom --json --user-config 'sys-apps/*' '*/*::gentoo'
	assert_status 0
	assert_json 'd["wildcard"] is True and d["category"] == "sys-apps" and d["package"] == "*"' "${lines[0]}"
	assert_json 'd["wildcard"] is True and d["repo"] == "gentoo"' "${lines[1]}"
	hs atom --user-config '!a/b'
	assert_status 2
	hs atom --user-config 'a/b[u]'
	assert_status 2
	hs atom --pms a/b::gentoo
	assert_status 2
	hs atom --repo a/b::gentoo
	assert_status 0
	hs atom a/b::gentoo
	assert_status 0
	hs atom --json --cpv sys-apps/systemd-260.1-r2
	assert_status 0
	assert_json 'd["package"] == "systemd" and d["version"] == "260.1-r2" and d["revision"] == "2"'
	hs atom sys-apps/systemd-260.1-r2
	assert_status 2
	hs atom --cpv --pms a/b-1
	assert_status 2
	assert_stderr_contains "exclude each other"
}

@test "atom --batch: thousands of atoms, one JSON line each, exit 0 with invalid ones" {
	local in="$BATS_TEST_TMPDIR/atoms"
	python3 - "$in" <<-'EOF'
	import sys
	with open(sys.argv[1], "w", newline="") as f:
	    for i in range(2500):
	        f.write(f">=cat{i % 7}/pkg{i}-{i}.{i % 10}-r{i % 3}:{i % 4}/{i}::repo[u{i},-v(+)]\n")
	        if i % 5 == 0:
	            f.write(f"cat/pkg{i}-{i}\r\n")  # invalid: unversioned name ending in a version
	    f.write("a/b\r\n")
	    f.write("")
	EOF
	hs_stdin "$in" atom --batch
	assert_status 0
	printf '%s\n' "$output" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 2500 + 500 + 1, len(lines)
n = 0
for line in lines:
    d = json.loads(line)
    if d["atom"].startswith(">="):
        i = n
        assert d["valid"] is True, d
        assert d["package"] == "pkg%d" % i and d["category"] == "cat%d" % (i % 7), d
        assert d["version"] == "%d.%d-r%d" % (i, i % 10, i % 3), d
        assert d["slot"] == str(i % 4) and d["subslot"] == str(i) and d["repo"] == "repo", d
        assert d["use"] == ["u%d" % i, "-v(+)"], d
        assert d["canonical"] == d["atom"], d
        n += 1
    elif d["atom"] == "a/b":
        assert d["valid"] is True, d
    else:
        assert d["valid"] is False and "\r" not in d["atom"] and d["error"], d
assert n == 2500
'
}

@test "atom --batch: JSON stays valid for bytes that are not UTF-8" {
	printf 'a/b\xff\nc/d\n' > "$BATS_TEST_TMPDIR/in"
	hs_stdin "$BATS_TEST_TMPDIR/in" atom --batch
	assert_status 0
	assert_json 'd["valid"] is False and d["atom"] == "a/b\ufffd"' "${lines[0]}"
	assert_json 'd["valid"] is True' "${lines[1]}"
}

@test "atom --batch: lines longer than the read buffer, NUL bytes, no final newline" {
	python3 -c 'import sys; sys.stdout.write("a/" + "b" * 200000 + "\nc/d\0e\nx/" + "y" * 70000)' \
		> "$BATS_TEST_TMPDIR/in"
	hs_stdin "$BATS_TEST_TMPDIR/in" atom --batch
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "expected 3 lines, got ${#lines[@]}"
	assert_json 'd["valid"] is True and len(d["package"]) == 200000' "${lines[0]}"
	assert_json 'd["valid"] is False and d["atom"] == "c/d\u0000e" and "column 4" in d["error"]' "${lines[1]}"
	assert_json 'd["valid"] is True and len(d["package"]) == 70000' "${lines[2]}"
}

@test "atom --batch: read and write errors exit 2" {
	hs_stdin / atom --batch
	assert_status 2
	assert_stderr_contains "error reading standard input"
	[ -w /dev/full ] || skip "/dev/full is not available"
	yes a/b | head -n 5000 > "$BATS_TEST_TMPDIR/in"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run --separate-stderr bash -c '"$HOMESETUP" atom --batch < "$1" > /dev/full' _ "$BATS_TEST_TMPDIR/in"
	assert_status 2
	assert_stderr_contains "write error"
}

@test "atom --compare orders atoms" {
	local -a cases=(
		"a/pkg b/pkg <" "cat/b cat/a >" "=a/b-1 =a/b-01 ==" "=a/b-1.1 =a/b-1.10 <" "<a/b-1 <=a/b-1 <"
		"a/b[u] a/b[u,u] ==" "a/b[a,b] a/b[b,a] ==" "a/b:0 a/b:1 <"
	)
	for c in "${cases[@]}"; do
		read -r a b want <<< "$c"
		hs atom --compare "$a" "$b"
		assert_status 0
		[ "$output" = "$want" ] || fail "atom --compare $a $b: expected '$want', got '$output'"
	done
	hs atom --compare a/b
	assert_status 2
	assert_stderr_contains "exactly two atoms"
	hs atom --compare a/b a/b-0
	assert_status 2
	assert_stderr_contains "a/b-0"
	hs atom --compare --intersects a/b a/c
	assert_status 2
}

@test "atom --intersects says yes or no" {
	local -a cases=(
		">=a/b-1 <a/b-2 yes" "<a/b-1 >a/b-2 no" "cat/pkg:0 cat/pkg:1 no" "cat/pkg:0 cat/pkg:* yes"
		"cat/pkg[-a] cat/pkg[a] no" "cat/pkg::a cat/pkg::b no" "=a/b-1* ~a/b-1.0 yes" "cat/pkg >cat/pkg-1 yes"
	)
	for c in "${cases[@]}"; do
		read -r a b want <<< "$c"
		hs atom --intersects "$a" "$b"
		assert_status 0
		[ "$output" = "$want" ] || fail "atom --intersects $a $b: expected '$want', got '$output'"
	done
	hs atom --intersects --json a/b a/b
	assert_status 0
	assert_json 'd == {"a": "a/b", "b": "a/b", "result": True}'
}

@test "atom --compare/--intersects --batch read TAB-separated pairs" {
	local in="$BATS_TEST_TMPDIR/pairs"
	{
		for i in $(seq 1 1500); do printf '=a/b-%s\t=a/b-%s\n' "$i" "$((i + 1))"; done
		printf 'a/b\n' # no TAB
		printf 'a/b\ta/b-0\n'
		printf 'a/b[x]\ta/b[x,x]\r\n'
	} > "$in"
	hs_stdin "$in" atom --compare --batch
	assert_status 0
	[ "${#lines[@]}" -eq 1503 ] || fail "expected 1503 lines, got ${#lines[@]}"
	[ "$(printf '%s\n' "${lines[@]:0:1500}" | sort -u)" = "<" ] || fail "expected only '<' for the first 1500"
	assert_line 1500 invalid
	assert_line 1501 invalid
	assert_line 1502 "=="
	hs_stdin "$in" atom --intersects --batch
	assert_status 0
	[ "$(printf '%s\n' "${lines[@]:0:1500}" | sort -u)" = "no" ] || fail "expected only 'no' for the first 1500"
	assert_line 1500 invalid
	assert_line 1502 yes
	hs_stdin "$in" atom --intersects --batch --json
	assert_status 0
	assert_json 'd["result"] is None and "TAB" in d["error"]' "${lines[1500]}"
	assert_json 'd["result"] is True' "${lines[1502]}"
}

# ---- required-use ---------------------------------------------------------------------------------------

@test "required-use: satisfied exits 0" {
	hs required-use 'homed? ( cryptsetup pam openssl )' --use 'homed cryptsetup pam openssl'
	assert_status 0
	assert_output ' * REQUIRED_USE is satisfied by USE="cryptsetup homed openssl pam"'
	hs required-use -q 'homed? ( cryptsetup )' --use ''
	assert_status 0
	assert_output ''
}

@test "required-use: systemd[homed] with IUSE defaults, emerge's text and the fewest changes" {
	hs required-use "$SYSTEMD_REQUSE" --iuse "$SYSTEMD_IUSE" --use 'homed python_single_target_python3_12' \
		--want homed
	assert_status 1
	assert_output_contains "
  The following REQUIRED_USE flag constraints are unsatisfied:
    homed? ( cryptsetup pam )

  The above constraints are a subset of the following complete expression:
    exactly-one-of ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) at-most-one-of ( passwdqc pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )
"
	assert_output_contains "!!! REQUIRED_USE is not satisfied by USE=\""
	assert_output_contains " *   +cryptsetup  "
	assert_output_contains " *   +pam         "
	[[ $output != *"+openssl"* ]] || fail "openssl is on by IUSE default and must not be proposed"
	[[ $output =~ \ \*\ USE=\"[^\"]*cryptsetup[^\"]*homed[^\"]*pam ]] || fail "final USE missing"
	# without --want the fewest changes is one: turning homed off
	hs required-use "$SYSTEMD_REQUSE" --iuse "$SYSTEMD_IUSE" --use 'homed python_single_target_python3_12'
	assert_status 1
	assert_output_contains " *   -homed  homed? ( cryptsetup pam openssl )"
	[[ $output != *"+cryptsetup"* ]] || fail "only one change expected"
}

@test "required-use: --use applies incrementally on top of IUSE defaults" {
	hs required-use 'homed? ( cryptsetup pam openssl )' --iuse '+openssl homed cryptsetup pam' \
		--use 'homed cryptsetup pam -openssl'
	assert_status 1
	assert_output_contains "
  The following REQUIRED_USE flag constraints are unsatisfied:
    homed? ( openssl )

  The above constraints are a subset of the following complete expression:
    homed? ( cryptsetup pam openssl )
"
	assert_output_contains " *   +openssl  "
	hs required-use 'homed? ( cryptsetup pam openssl )' --iuse '+openssl homed cryptsetup pam' \
		--use 'homed cryptsetup pam'
	assert_status 0
	hs required-use 'homed? ( cryptsetup pam openssl )' --iuse '+openssl homed cryptsetup pam' \
		--use '-* homed cryptsetup pam'
	assert_status 1
}

@test "required-use: the subset block is omitted when the reduced form is the whole" {
	hs required-use 'homed? ( cryptsetup )' --use homed
	assert_status 1
	assert_output_contains "unsatisfied:
    homed? ( cryptsetup )"
	[[ $output != *"subset of the following"* ]] || fail "subset block must be absent"
}

@test "required-use --want: the fewest changes, caller's flags first" {
	hs required-use 'homed? ( cryptsetup pam openssl )' --iuse '+openssl homed cryptsetup pam' --want homed
	assert_status 1
	[[ $output != *"not satisfied"* ]] || fail "the expression is satisfied before --want"
	local -a changes
	mapfile -t changes < <(printf '%s\n' "$output" | grep -oE '^ \*   [-+][a-z]+')
	[ "${changes[*]}" = " *   +homed  *   +cryptsetup  *   +pam" ] || fail "changes: ${changes[*]}"
	hs required-use 'homed? ( cryptsetup pam openssl )' --use 'homed cryptsetup pam openssl' --want homed
	assert_status 0
	assert_output_contains "No USE change is needed."
	hs required-use '?? ( passwdqc pwquality )' --use 'passwdqc' --want 'pwquality'
	assert_status 1
	assert_output_contains " *   +pwquality"
	assert_output_contains " *   -passwdqc"
}

@test "required-use: impossible requirements exit 1 with the library's reason" {
	hs required-use '^^ ( a b )' --use 'a b' --pin 'a b'
	assert_status 1
	assert_stderr_contains "homesetup: "
	hs required-use '?? ( a b )' --want 'a b'
	assert_status 1
	assert_stderr_contains "homesetup: "
	hs required-use --json '?? ( a b )' --want 'a b'
	assert_status 1
	assert_json 'd["changes"] is None and d["error"]'
}

@test "required-use --json" {
	hs required-use --json 'homed? ( cryptsetup pam ) || ( a b )' --iuse 'homed cryptsetup pam a +b' --use homed \
		--want homed
	assert_status 1
	assert_json 'd["satisfied"] is False and d["unsatisfied_raw"] == "homed? ( cryptsetup pam )"
		and d["unsatisfied_human"] == "homed? ( cryptsetup pam )"
		and d["full"] == "homed? ( cryptsetup pam ) any-of ( a b )"
		and d["full_raw"] == "homed? ( cryptsetup pam ) || ( a b )"
		and d["current_use"] == ["b", "homed"]
		and d["changes"] == [{"flag": "cryptsetup", "enable": True, "reason": d["changes"][0]["reason"]},
		                     {"flag": "pam", "enable": True, "reason": d["changes"][1]["reason"]}]
		and all("cryptsetup" in c["reason"] for c in d["changes"])
		and d["use"] == ["b", "cryptsetup", "homed", "pam"] and d["error"] is None'
	hs required-use --json '|| ( a b )' --use a
	assert_status 0
	assert_json 'd["satisfied"] is True and d["unsatisfied_raw"] is None and d["changes"] is None
		and d["use"] == ["a"] and d["full"] == "any-of ( a b )"'
}

@test "required-use: invalid input exits 2 and names the column" {
	hs required-use 'a || ( b c'
	assert_status 2
	assert_stderr_contains "homesetup: "
	assert_stderr_contains "'||' at column 3"
	hs required-use --eapi 4 '?? ( a b )'
	assert_status 2
	assert_stderr_contains "??"
	hs required-use --eapi 5 '?? ( a b )' --use 'a'
	assert_status 0
	hs required-use --eapi x 'a'
	assert_status 2
	assert_stderr_contains "invalid EAPI 'x'"
	hs required-use 'a? ( b )' --iuse 'a'
	assert_status 2
	assert_stderr_contains "homesetup: REQUIRED_USE: "
	assert_stderr_contains "'b' is not in IUSE"
	hs required-use 'a' --iuse 'a %b'
	assert_status 2
	assert_stderr_contains "column 3"
	hs required-use 'a' --want 'a %bad'
	assert_status 2
	assert_stderr_contains "--want: invalid USE flag '%bad' at column 3"
	hs required-use 'a' --pin '-a'
	assert_status 2
	assert_stderr_contains "--pin: invalid USE flag '-a' at column 1"
	hs required-use
	assert_status 2
	assert_stderr_contains "exactly one expression"
	hs required-use a b
	assert_status 2
}

@test "required-use: USE outside IUSE is ignored with a warning" {
	hs required-use 'a' --iuse 'a' --use 'a stray'
	assert_status 0
	assert_output_contains 'USE="a"'
	assert_stderr_contains "USE flag 'stray' is not in IUSE"
}
