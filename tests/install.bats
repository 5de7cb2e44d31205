#!/usr/bin/env bats
# `make install DESTDIR=…` as the ebuild runs it: exactly the expected files in the standard Gentoo paths, with
# the right modes; a program built against the installed header, .so and homesetup.pc (the example of
# libhomesetup(3)); the installed CLI, hook files, man pages and completions working from there; `make uninstall`
# removing it all; and the ebuild installing through `make install` only.

# (lib/common finds the tree from a suite one directory deeper; this one is in tests/)
# Inner scripts are single-quoted on purpose (SC2016).
# shellcheck disable=SC2016
HS_TOP=${HS_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
load lib/common

# The files (and symlinks) `make install PREFIX=/usr LIBDIR=/usr/lib64` puts under DESTDIR, with their modes.
EXPECTED='usr/bin/homesetup 755
usr/include/homesetup.h 644
usr/lib64/libhomesetup.so link
usr/lib64/libhomesetup.so.0 link
usr/lib64/libhomesetup.so.0.1.0 755
usr/lib64/pkgconfig/homesetup.pc 644
usr/share/bash-completion/completions/homesetup 644
usr/share/eselect/modules/homed.eselect 644
usr/share/homesetup/portage-hooks/README.md 644
usr/share/homesetup/portage-hooks/bashrc/homed-check 644
usr/share/homesetup/portage-hooks/env/sys-apps/systemd 644
usr/share/homesetup/portage-hooks/env/sys-auth/pambase 644
usr/share/homesetup/portage-hooks/homed-check.bash 644
usr/share/homesetup/portage-hooks/package.bashrc 644
usr/share/man/man3/libhomesetup.3 644
usr/share/man/man8/homesetup.8 644
usr/share/zsh/site-functions/_homesetup 644'

EBUILD="$HS_TOP/packaging/app-admin/homesetup/homesetup-9999.ebuild"

# The same build as the suite runs on (build-san/ under `make check SANITIZE=1`).
SAN_MAKE=() SAN_CFLAGS=()
case ${HS_BUILD:-} in
*/build-san)
	SAN_MAKE=(SANITIZE=1)
	SAN_CFLAGS=('-fsanitize=address,undefined' -fno-omit-frame-pointer)
	;;
esac

# make ARGS… in the source tree, outside any make that runs this suite (its jobserver is not ours).
hs_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$HS_TOP" "${SAN_MAKE[@]}" "$@"
}

setup_file() {
	export DEST="$BATS_FILE_TMPDIR/dest"
	hs_make install DESTDIR="$DEST" PREFIX=/usr LIBDIR=/usr/lib64 > "$BATS_FILE_TMPDIR/install.log" 2>&1
	echo $? > "$BATS_FILE_TMPDIR/install.rc"
}

setup() {
	[ "$(cat "$BATS_FILE_TMPDIR/install.rc")" = 0 ] ||
		fail "make install failed: $(cat "$BATS_FILE_TMPDIR/install.log")"
	LIBDIR=$DEST/usr/lib64
}

# Run an installed program with the installed library.
installed() {
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$@"
}

@test "make install puts exactly the expected files in the standard paths, with their modes" {
	local got
	got=$(cd "$DEST" && find . -mindepth 1 ! -type d | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
		if [ -L "$f" ]; then echo "$f link"; else echo "$f $(stat -c %a "$f")"; fi
	done)
	if [ "$got" != "$EXPECTED" ]; then
		diff -u <(echo "$EXPECTED") <(echo "$got") | sed 's/^/# /' >&2
		fail "installed files differ"
	fi
	[ "$(readlink "$LIBDIR/libhomesetup.so")" = libhomesetup.so.0 ] || fail "libhomesetup.so -> $(readlink "$LIBDIR/libhomesetup.so")"
	[ "$(readlink "$LIBDIR/libhomesetup.so.0")" = libhomesetup.so.0.1.0 ] || fail "so.0 link"
}

@test "the installed homesetup has no RUNPATH and runs against the installed library" {
	run readelf -d "$DEST/usr/bin/homesetup"
	[[ $output != *RUNPATH* && $output != *RPATH* ]] || fail "installed binary carries a run path: $output"
	[[ $output == *"Shared library: [libhomesetup.so.0]"* ]] || fail "not linked against libhomesetup.so.0: $output"
	installed "$DEST/usr/bin/homesetup" --version
	[ "$status" -eq 0 ] && [ "$output" = "homesetup 0.1.0" ] || fail "status $status: $output $stderr"
	installed "$DEST/usr/bin/homesetup" users --root "$HS_TOP/examples/demo-root" --kv
	[ "$status" -eq 0 ] || fail "users: $stderr"
	[[ ${lines[0]} == name=alice$'\t'* ]] || fail "users: $output"
}

@test "a program builds and links against the installed header, .so and homesetup.pc, and runs" {
	command -v pkg-config > /dev/null || skip "pkg-config is not installed"
	local flags src=$BATS_TEST_TMPDIR/vercmp.c
	local -a flagv
	# the example of libhomesetup(3), as the man page shows it
	sed -n '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/p' "$DEST/usr/share/man/man3/libhomesetup.3" |
		sed -n '0,/^\.EX/d; /^\.EE/q; p' | sed 's/\\e/\\/g' > "$src"
	grep -q 'hs_vercmp' "$src" || fail "no example program in libhomesetup.3: $(cat "$src")"
	flags=$(PKG_CONFIG_SYSROOT_DIR="$DEST" PKG_CONFIG_PATH="$LIBDIR/pkgconfig" PKG_CONFIG_LIBDIR="$LIBDIR/pkgconfig" \
		pkg-config --cflags --libs homesetup)
	[[ $flags == *"-I$DEST/usr/include"* && $flags == *"-L$LIBDIR"* && $flags == *-lhomesetup* ]] ||
		fail "pkg-config flags: $flags"
	read -r -a flagv <<< "$flags"
	run "${CC:-cc}" -std=gnu11 -Wall -Wextra -Werror "${SAN_CFLAGS[@]}" -o "$BATS_TEST_TMPDIR/vercmp" "$src" "${flagv[@]}"
	[ "$status" -eq 0 ] || fail "compile: $output"
	installed "$BATS_TEST_TMPDIR/vercmp" 1.0 1
	[ "$status" -eq 0 ] && [ "$output" = ">" ] || fail "1.0 vs 1: status $status: $output $stderr"
	installed "$BATS_TEST_TMPDIR/vercmp" 1_a 1
	[ "$status" -eq 2 ] && [[ $stderr == "invalid version '1_a' at column 3"* ]] || fail "1_a: $status: $stderr"
	# and it really used the installed library
	run env LD_LIBRARY_PATH="$LIBDIR" ldd "$BATS_TEST_TMPDIR/vercmp"
	[[ $output == *"libhomesetup.so.0 => $LIBDIR/libhomesetup.so.0"* ]] || fail "ldd: $output"
}

@test "the installed hook files point at the installed hook, for any PREFIX" {
	local f
	for f in env/sys-apps/systemd env/sys-auth/pambase bashrc/homed-check; do
		grep -q '^	source /usr/share/homesetup/portage-hooks/homed-check.bash$' \
			"$DEST/usr/share/homesetup/portage-hooks/$f" || fail "$f: $(cat "$DEST/usr/share/homesetup/portage-hooks/$f")"
	done
	cmp -s "$HS_TOP/portage-hooks/homed-check.bash" "$DEST/usr/share/homesetup/portage-hooks/homed-check.bash" ||
		fail "homed-check.bash changed on install"
	local other=$BATS_TEST_TMPDIR/local
	run hs_make install DESTDIR="$other" PREFIX=/usr/local LIBDIR=/usr/local/lib64
	[ "$status" -eq 0 ] || fail "$output"
	grep -q '^	source /usr/local/share/homesetup/portage-hooks/homed-check.bash$' \
		"$other/usr/local/share/homesetup/portage-hooks/env/sys-apps/systemd" || fail "PREFIX=/usr/local not applied"
	[ -f "$other/usr/local/share/eselect/modules/homed.eselect" ] || fail "no eselect module under /usr/local"
}

@test "the installed man pages format without warnings" {
	command -v man > /dev/null || skip "man (man-db) is not installed"
	local page
	for page in man8/homesetup.8 man3/libhomesetup.3; do
		run env MANWIDTH=80 man --warnings -l "$DEST/usr/share/man/$page"
		[ "$status" -eq 0 ] || fail "$page: status $status"
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$DEST/usr/share/man/$page"
		[ -z "$stderr" ] || fail "$page: $stderr"
		[[ $output == *"EXAMPLES"* ]] || fail "$page has no EXAMPLES"
	done
	# homesetup(8) documents every command the CLI has, its files and exit status
	run env MANWIDTH=200 man -l "$DEST/usr/share/man/man8/homesetup.8"
	local cmd
	for cmd in $("$HOMESETUP" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
		[[ $output == *"   $cmd"* ]] || fail "homesetup.8 does not document '$cmd'"
	done
	[[ $output == *"EXIT STATUS"* && $output == *"FILES"* ]] || fail "sections missing"
}

@test "the installed bash completion completes commands, subcommands and options from the CLI" {
	run bash -c '
		source "$1"
		PATH=$2:$PATH
		t() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _homesetup; echo "${COMPREPLY[*]}"; }
		t homesetup us
		t homesetup use ""
		t homesetup users --k
		t homesetup --root /nonexistent vercmp --ba
		t homesetup help requ' _ "$DEST/usr/share/bash-completion/completions/homesetup" "$(dirname "$HOMESETUP")"
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "use users" ] || fail "commands: ${lines[0]}"
	[ "${lines[1]}" = "show enable disable revert" ] || fail "use: ${lines[1]}"
	[ "${lines[2]}" = "--kv" ] || fail "users: ${lines[2]}"
	[ "${lines[3]}" = "--batch" ] || fail "vercmp: ${lines[3]}"
	[ "${lines[4]}" = "required-use" ] || fail "help: ${lines[4]}"
}

@test "the installed zsh completion completes commands, subcommands and options from the CLI" {
	command -v zsh > /dev/null || skip "zsh is not installed"
	zsh -f -c 'zmodload zsh/zpty && zpty t true && zpty -d t' 2> /dev/null || skip "zsh cannot open a pseudo-terminal here"
	# Drive an interactive zsh through zpty and capture what the completion system offers.
	cat > "$BATS_TEST_TMPDIR/capture.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT=''; RPROMPT=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -r -l -- "<<${^__h}>>" }'
zpty -w z '_capture() { print -r -- "<<BEGIN>>"; _main_complete; print -r -- "<<END>>" }'
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
	zc() {
		run env PATH="$(dirname "$HOMESETUP"):$PATH" timeout 30 zsh -f -o extendedglob "$BATS_TEST_TMPDIR/capture.zsh" \
			"$DEST/usr/share/zsh/site-functions" "$1"
	}
	zc 'homesetup us'
	[ "$output" = "use users" ] || fail "commands: $output"
	zc 'homesetup use '
	[ "$output" = "show enable disable revert" ] || fail "use: $output"
	zc 'homesetup users --k'
	[ "$output" = "--kv" ] || fail "users: $output"
	zc 'homesetup --ro'
	[ "$output" = "--root" ] || fail "global: $output"
}

@test "shellcheck: completions, the eselect module and the hook as installed, and the ebuild" {
	command -v shellcheck > /dev/null || skip "shellcheck is not installed"
	local s=$DEST/usr/share
	run shellcheck -s bash "$s/bash-completion/completions/homesetup" "$s/eselect/modules/homed.eselect" \
		"$s/homesetup/portage-hooks/homed-check.bash" "$s/homesetup/portage-hooks/env/sys-apps/systemd" \
		"$s/homesetup/portage-hooks/env/sys-auth/pambase" "$s/homesetup/portage-hooks/bashrc/homed-check"
	[ "$status" -eq 0 ] || fail "$output"
	# the test suites of these files
	run shellcheck "$HS_TOP/tests/install.bats" "$HS_TOP/tests/eselect/eselect.bats" "$HS_TOP/tests/hook/hook.bats"
	[ "$status" -eq 0 ] || fail "$output"
	# ebuild variables are read by the package manager, not by the ebuild (SC2034)
	run shellcheck -s bash -e SC2034 "$EBUILD"
	[ "$status" -eq 0 ] || fail "$output"
	command -v zsh > /dev/null && { zsh -n "$s/zsh/site-functions/_homesetup" || fail "_homesetup: zsh syntax"; }
	true
}

@test "make uninstall removes every installed file" {
	local tmp=$BATS_TEST_TMPDIR/un
	run hs_make install DESTDIR="$tmp" PREFIX=/usr LIBDIR=/usr/lib64
	[ "$status" -eq 0 ] || fail "$output"
	run hs_make uninstall DESTDIR="$tmp" PREFIX=/usr LIBDIR=/usr/lib64
	[ "$status" -eq 0 ] || fail "$output"
	run find "$tmp" ! -type d
	[ -z "$output" ] || fail "left behind: $output"
	[ ! -e "$tmp/usr/share/homesetup" ] || fail "usr/share/homesetup left behind"
}

@test "the ebuild is EAPI 8, installs through make install only, respects the toolchain and never strips" {
	local e
	e=$(cat "$EBUILD")
	bash -n "$EBUILD" || fail "syntax"
	[[ $e == *$'\nEAPI=8\n'* ]] || fail "not EAPI 8"
	[[ $e == *'inherit '*toolchain-funcs* ]] || fail "toolchain-funcs not inherited"
	[[ $e == *'CC="$(tc-getCC)"'* ]] || fail "CC is not tc-getCC"
	[[ $e == *'DESTDIR="${D}"'*'PREFIX="${EPREFIX}/usr"'*'LIBDIR="${EPREFIX}/usr/$(get_libdir)"'*install* ]] ||
		fail "src_install does not run make install with DESTDIR, PREFIX and LIBDIR"
	[[ $e == *'IUSE="test"'* && $e == *'RESTRICT="!test? ( test )"'* ]] || fail "test USE flag"
	# nothing is installed besides what make install installs (and the README, by einstalldocs)
	run grep -nE '^\s*(do(bin|sbin|lib|man|doc|exe|ins|sym|dir)|new(bin|ins|man|exe)|insinto|exeinto|dostrip|strip)\b' "$EBUILD"
	[ "$status" -eq 1 ] || fail "other install helpers: $output"
	# the libraries the Makefile links against or dlopen()s (DL_PKGS: headers at build time) are in DEPEND
	local pkg dep
	local -a pkgs
	read -r -a pkgs <<< "$(sed -n 's/^LIB_PKGS *:= *//p; s/^DL_PKGS *:= *//p; s/^CLI_PKGS *:= *//p' "$HS_TOP/Makefile" | tr '\n' ' ')"
	for pkg in "${pkgs[@]}"; do
		case $pkg in
		json-c) dep=dev-libs/json-c ;;
		libsystemd) dep=sys-apps/systemd ;;
		zlib) dep=sys-libs/zlib ;;
		libcryptsetup) dep=sys-fs/cryptsetup ;;
		libpcre2-8 | libpcre2) dep=dev-libs/libpcre2 ;;
		blkid) dep=sys-apps/util-linux ;;
		iniparser) dep=dev-libs/iniparser ;;
		libxxhash) dep=dev-libs/xxhash ;;
		libcrypt) dep=virtual/libcrypt ;;
		*) fail "the Makefile links $pkg: add it to the ebuild's DEPEND and to this test" ;;
		esac
		[[ $e == *"$dep"* ]] || fail "$pkg ($dep) is not in DEPEND"
	done
	[[ $e == *dev-libs/iniparser* ]] || fail "iniparser is not in DEPEND"
	grep -q '<pkgmetadata>' "$(dirname "$EBUILD")/metadata.xml" || fail "metadata.xml"
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$(dirname "$EBUILD")/metadata.xml" ||
		fail "metadata.xml is not well-formed"
}
