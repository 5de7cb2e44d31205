#!/usr/bin/env bats
# The bash and zsh completions of the source tree (tests/install.bats drives the installed ones for the older
# commands): migrate and its subcommands with their own options and values, users from ROOT's /etc/passwd and
# from ROOT's migration journals, verify and manifest.
# Inner scripts are single-quoted on purpose (SC2016).
# shellcheck disable=SC2016

load ../lib/common

setup() {
	R=$BATS_TEST_TMPDIR/root
	mkdir -p "$R/etc" "$R/var/lib/homesetup/migrate"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' 'daemon:x:2:2::/:/sbin/nologin' \
		'alice:x:1000:1000:Alice:/home/alice:/bin/bash' 'bob:x:1001:1001::/home/bob:/bin/zsh' \
		'big:x:70000:70000::/home/big:/bin/bash' 'nobody:x:65534:65534::/var/empty:/sbin/nologin' > "$R/etc/passwd"
	# carol's account lines were removed by the migration: only her journal names her
	printf '{}\n' > "$R/var/lib/homesetup/migrate/carol.json"
	mkdir "$R/var/lib/homesetup/migrate/carol"
}

# bc WORDS...: what the bash completion offers for the last word (one line per call, space-separated).
bc() {
	run bash -c '
		source "$1/completions/homesetup.bash"
		PATH=$2:$PATH
		shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
		_homesetup
		echo "${COMPREPLY[*]}"' _ "$HS_TOP" "$(dirname "$HOMESETUP")" "$@"
	[ "$status" -eq 0 ] || fail "bash completion failed: $output"
}

@test "bash: migrate, its subcommands, and the options each subcommand takes" {
	bc homesetup mig
	[ "$output" = "migrate" ] || fail "commands: $output"
	bc homesetup migrate ""
	[ "$output" = "check plan run resume rollback status" ] || fail "subcommands: $output"
	bc homesetup migrate run --s
	[ "$output" = "--storage" ] || fail "run --s: $output"
	bc homesetup migrate run --p
	[ "$output" = "--password-fd" ] || fail "run --p: $output"
	bc homesetup migrate plan --p
	[ -z "$output" ] || fail "plan takes no --password-fd: $output"
	bc homesetup migrate plan --re
	[ "$output" = "--remove-saved" ] || fail "plan --re: $output"
	bc homesetup migrate check --re
	[ -z "$output" ] || fail "check takes no --remove-saved: $output"
	bc homesetup migrate check --v
	[ "$output" = "--verbose --version" ] || fail "check --v: $output"
	bc homesetup migrate rollback --y
	[ "$output" = "--yes" ] || fail "rollback --y: $output"
	bc homesetup migrate status --j
	[ "$output" = "--json" ] || fail "status --j: $output"
	bc homesetup migrate plan --storage ""
	[ "$output" = "luks directory subvolume fscrypt" ] || fail "--storage: $output"
	bc homesetup migrate plan --fs-type e
	[ "$output" = "ext4" ] || fail "--fs-type: $output"
}

@test "bash: the user of migrate comes from ROOT: /etc/passwd for check, plan and run, the journals for the rest" {
	bc homesetup --root "$R" migrate check ""
	[ "$output" = "alice bob" ] || fail "check: $output"
	bc homesetup -R "$R" migrate run --storage luks --copy a
	[ "$output" = "alice" ] || fail "run after options: $output"
	bc homesetup "--root=$R" migrate plan ""
	[ "$output" = "alice bob" ] || fail "--root=: $output"
	bc homesetup migrate plan alice --root "$R" ""
	[ -z "$output" ] || fail "a second operand: $output"
	bc homesetup --root "$R" migrate resume ""
	[ "$output" = "carol" ] || fail "resume: $output"
	bc homesetup --root "$R" migrate status c
	[ "$output" = "carol" ] || fail "status: $output"
	run env ROOT="$R" bash -c '
		source "$1/completions/homesetup.bash"
		COMP_WORDS=(homesetup migrate rollback ""); COMP_CWORD=3; COMPREPLY=(); _homesetup; echo "${COMPREPLY[*]}"' _ "$HS_TOP"
	[ "$output" = "carol" ] || fail "\$ROOT: $output"
	bc homesetup --root "$R" check --user ""
	[ "$output" = "alice bob" ] || fail "check --user: $output"
}

@test "bash: verify and manifest options, files and directories" {
	bc homesetup verify --man
	[ "$output" = "--manifest" ] || fail "verify: $output"
	bc homesetup verify --ig
	[ "$output" = "--ignore-top" ] || fail "verify --ig: $output"
	bc homesetup verify --progress ""
	[ "$output" = "bar lines none" ] || fail "--progress: $output"
	bc homesetup manifest --no-h
	[ "$output" = "--no-hash" ] || fail "manifest: $output"
	mkdir "$BATS_TEST_TMPDIR/tree"
	: > "$BATS_TEST_TMPDIR/tfile"
	bc homesetup manifest "$BATS_TEST_TMPDIR/t"
	[ "$output" = "$BATS_TEST_TMPDIR/tree" ] || fail "a directory to scan: $output"
	bc homesetup manifest "$BATS_TEST_TMPDIR/tree" -o "$BATS_TEST_TMPDIR/tf"
	[ "$output" = "$BATS_TEST_TMPDIR/tfile" ] || fail "-o FILE: $output"
}

@test "bash: shellcheck" {
	command -v shellcheck > /dev/null || skip "shellcheck is not installed"
	run shellcheck -s bash "$HS_TOP/completions/homesetup.bash" "$BATS_TEST_FILENAME"
	[ "$status" -eq 0 ] || fail "$output"
}

# zc LINE: what the zsh completion offers after typing LINE and TAB (unique words, space-separated), through an
# interactive zsh on a pseudo-terminal (the way tests/install.bats drives the installed one).
zc() {
	run env PATH="$(dirname "$HOMESETUP"):$PATH" ROOT= timeout 30 zsh -f -o extendedglob "$BATS_TEST_TMPDIR/capture.zsh" \
		"$HS_TOP/completions" "$1"
}

zsh_setup() {
	command -v zsh > /dev/null || skip "zsh is not installed"
	zsh -f -c 'zmodload zsh/zpty && zpty t true && zpty -d t' 2> /dev/null || skip "zsh cannot open a pseudo-terminal here"
	cat > "$BATS_TEST_TMPDIR/capture.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT=''; RPROMPT=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
# (the markers are split in what is typed, so that the terminal's echo of these lines never matches them)
zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -r -l -- "<""<${^__h}>"">" }'
zpty -w z '_capture() { print -r -- "<""<BEGIN>"">"; _main_complete; print -r -- "<""<END>"">" }'
zpty -w z 'zle -C capture complete-word _capture; bindkey "^I" capture'
zpty -w z "$2"$'\t'
local line started=0
local -a out
while zpty -r z line; do
	[[ $line == *'<<BEGIN>>'* ]] && { started=1; continue }
	[[ $line == *'<<END>>'* ]] && break
	(( started )) || continue
	[[ $line == (#b)*'<<'(*)'>>'* ]] && out+=($match[1])
done
print -r -- ${(u)out}
zpty -d z
EOF
}

@test "zsh: migrate subcommands, options and values; users from ROOT's /etc/passwd and journals" {
	zsh_setup
	zsh -n "$HS_TOP/completions/_homesetup" || fail "_homesetup: zsh syntax"
	zc 'homesetup mig'
	[ "$output" = "migrate" ] || fail "commands: $output"
	zc 'homesetup migrate '
	[ "$output" = "check plan run resume rollback status" ] || fail "subcommands: $output"
	zc "homesetup --root $R migrate check "
	[ "$output" = "alice bob" ] || fail "check: $output"
	zc "homesetup --root $R migrate run --storage luks "
	[ "$output" = "alice bob" ] || fail "run after an option: $output"
	zc "homesetup --root $R migrate resume "
	[ "$output" = "carol" ] || fail "resume: $output"
	zc 'homesetup migrate run --storage '
	[ "$output" = "luks directory subvolume fscrypt" ] || fail "--storage: $output"
	zc 'homesetup migrate plan --rem'
	[ "$output" = "--remove-saved" ] || fail "plan --rem: $output"
	zc 'homesetup migrate check --rem'
	[ -z "$output" ] || fail "check takes no --remove-saved: $output"
	zc 'homesetup migrate resume --pa'
	[ "$output" = "--password-fd" ] || fail "resume --pa: $output"
	zc "homesetup --root $R check --user "
	[ "$output" = "alice bob" ] || fail "check --user: $output"
}

@test "zsh: verify and manifest" {
	zsh_setup
	zc 'homesetup verify --man'
	[ "$output" = "--manifest" ] || fail "verify: $output"
	zc 'homesetup manifest --no-h'
	[ "$output" = "--no-hash" ] || fail "manifest: $output"
	zc 'homesetup verify --progress '
	[ "$output" = "bar lines none" ] || fail "--progress: $output"
}
