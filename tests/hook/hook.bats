#!/usr/bin/env bats
# portage-hooks/homed-check.bash in Portage's pkg_postinst, installed both ways the README describes (the
# /etc/portage/env files, and the user profile's package.bashrc + bashrc/), run by tests/hook/phase.bash (the
# bashrc order and phase hooks of ebuild.sh, with ewarn/elog recorders) for each package and flag
# combination, on a ROOT in a temp dir (ROOT=/mnt/gentoo emerge …), with the real homesetup CLI, without
# it (the pure-bash fallback), and with a homesetup that fails, hangs or crashes.

# Inner scripts are single-quoted on purpose.
# shellcheck disable=SC2016
load ../lib/common

# The real metadata of the versions (docs/portage-facts.md §1.1, §1.3).
SYSTEMD_REQUSE='^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )'
PAMBASE_REQUSE='?? ( elogind systemd ) ?? ( passwdqc pwquality ) ?? ( sha512 yescrypt ) pwhistory? ( || ( passwdqc pwquality ) ) homed? ( !pam_krb5 ) pam_krb5? ( !homed )'
# USE as the VDB records it (PORTAGE_USE: implicit flags included); the homed-relevant flags are added per test.
SYSTEMD_BASE_USE='abi_x86_64 amd64 dns-over-tls elibc_glibc gcrypt kernel-install kernel_linux kmod lz4 python_single_target_python3_13 resolvconf seccomp zstd'
PAMBASE_BASE_USE='abi_x86_64 amd64 elibc_glibc kernel_linux nullok passwdqc systemd yescrypt'

HOOKS="$HS_TOP/portage-hooks"
PHASE="$HS_TOP/tests/hook/phase.bash"

setup() {
	T=$BATS_TEST_TMPDIR
	R=$T/root     # ROOT (EROOT: no prefix)
	CR=$T/config  # PORTAGE_CONFIGROOT
	ELOG=$T/elog
	mkdir -p "$R/var/db/pkg" "$R/etc/pam.d" "$CR/etc/portage" "$T/cli" "$T/nocli"
	: > "$ELOG"
	# PATH with the real CLI, or without any homesetup.
	ln -s "$HOMESETUP" "$T/cli/homesetup"
	CLI_PATH="$T/cli:/usr/bin:/bin"
	NOCLI_PATH="$T/nocli:/usr/bin:/bin"
}

# Install the hook files into $CR as the README says, with the installed path of homed-check.bash replaced by
# the source tree's (what `make install` does for its DATADIR).
install_way() { # env | profile
	local f
	case $1 in
	env)
		for f in sys-apps/systemd sys-auth/pambase; do
			mkdir -p "$CR/etc/portage/env/${f%/*}"
			sed "s|/usr/share/homesetup/portage-hooks|$HOOKS|g" "$HOOKS/env/$f" > "$CR/etc/portage/env/$f"
		done
		;;
	profile)
		mkdir -p "$CR/etc/portage/profile/bashrc"
		cp "$HOOKS/package.bashrc" "$CR/etc/portage/profile/package.bashrc"
		sed "s|/usr/share/homesetup/portage-hooks|$HOOKS|g" "$HOOKS/bashrc/homed-check" \
			> "$CR/etc/portage/profile/bashrc/homed-check"
		;;
	esac
}

# installed CAT/PF USE: a VDB entry under $R.
installed() {
	mkdir -p "$R/var/db/pkg/$1"
	printf '%s\n' "$2" > "$R/var/db/pkg/$1/USE"
	printf '%s\n' "${1%%/*}" > "$R/var/db/pkg/$1/CATEGORY"
}

# phase CAT/PF USE [VAR=VALUE...]: pkg_postinst of CAT/PF with USE, in a clean environment (PATH: the real
# CLI unless PATH= is given). Sets $status, $output (stdout+stderr of the phase) and $log (the recorded
# messages).
phase() {
	local cpv=$1 use=$2 cat pf pn pv pr p
	shift 2
	cat=${cpv%%/*} pf=${cpv#*/}
	if [[ $pf =~ ^(.+)-([0-9][^-]*)(-r([0-9]+))?$ ]]; then
		pn=${BASH_REMATCH[1]} pv=${BASH_REMATCH[2]} pr=r${BASH_REMATCH[4]:-0}
	else
		fail "not a PF: $pf"
	fi
	p=$pn-$pv
	: > "$ELOG"
	run env -i HOME="$T" PATH="$CLI_PATH" HOOK_ELOG="$ELOG" \
		CATEGORY="$cat" PN="$pn" PV="$pv" PR="$pr" PVR="$pv${pr#r0}" PF="$pf" P="$p" SLOT=0 \
		USE="$use" IUSE="" EAPI=8 ROOT="$R" EROOT="$R" EPREFIX="" PORTAGE_CONFIGROOT="$CR" \
		EBUILD_PHASE=postinst EBUILD_PHASE_FUNC=pkg_postinst MERGE_TYPE=source REPLACING_VERSIONS="" \
		"$@" bash "$PHASE"
	log=$(cat "$ELOG")
}

log_has() {
	if [[ $log != *"$1"* ]]; then
		printf '# log:\n%s\n# output:\n%s\n' "$log" "$output" | sed 's/^/#   /' >&2
		fail "the messages do not contain: $1"
	fi
}

log_lacks() {
	if [[ $log == *"$1"* ]]; then
		printf '# log:\n%s\n' "$log" | sed 's/^/#   /' >&2
		fail "the messages contain: $1"
	fi
}

warn_count() {
	grep -c '^WARN: ' "$ELOG" || true
}

systemd() { # extra USE flags...
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE $*" REQUIRED_USE="$SYSTEMD_REQUSE"
}

# ---- fast path ------------------------------------------------------------------------------------------

@test "any other package: sourcing returns at once and defines nothing" {
	local out
	out=$(env -i PATH=/usr/bin:/bin CATEGORY=app-editors PN=neovim EBUILD_PHASE=postinst bash -c '
		before='' after=''
		before=$(declare -F; declare -p | cut -d= -f1)
		source "$1" || exit 9
		after=$(declare -F; declare -p | cut -d= -f1)
		[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); exit 1; }
		echo clean' _ "$HOOKS/homed-check.bash" 2>&1)
	[ "$out" = clean ] || fail "sourcing for app-editors/neovim changed the shell: $out"
}

@test "systemd in phases other than postinst: nothing is defined (nothing leaks into environment.bz2)" {
	local ph out
	for ph in setup unpack prepare configure compile install preinst prerm postrm; do
		out=$(env -i PATH=/usr/bin:/bin CATEGORY=sys-apps PN=systemd EBUILD_PHASE=$ph bash -c '
			before=$(declare -F)
			source "$1" || exit 9
			[ "$before" = "$(declare -F)" ] && echo clean' _ "$HOOKS/homed-check.bash" 2>&1)
		[ "$out" = clean ] || fail "phase $ph: $out"
	done
}

@test "any other package: no process is started (strace)" {
	command -v strace > /dev/null || skip "strace is not installed"
	strace -f -qq -o /dev/null true 2> /dev/null || skip "strace cannot trace here (ptrace not permitted)"
	local hook base
	# Count the processes bash starts for 50 sources of the hook vs 50 sources of an empty file.
	: > "$T/empty"
	count() {
		strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/trace" env -i CATEGORY=dev-libs PN=json-c \
			EBUILD_PHASE=postinst bash -c 'for i in {1..50}; do source "$1"; done' _ "$1" > /dev/null 2>&1
		grep -c -E '(clone|clone3|fork|vfork)\(' "$T/trace" || true
	}
	hook=$(count "$HOOKS/homed-check.bash")
	base=$(count "$T/empty")
	[ "$hook" -eq "$base" ] || fail "sourcing the hook started $((hook - base)) process(es) in 50 calls"
}

# ---- systemd: REQUIRED_USE through the CLI ---------------------------------------------------------------

@test "systemd[homed] without cryptsetup: REQUIRED_USE warning from homesetup, with the fix; exit 0" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	systemd homed pam openssl
	assert_status 0
	log_has "PHASE: pkg_postinst of sys-apps/systemd-260.1"
	log_has "WARN: sys-apps/systemd-260.1 was merged with USE=homed, but its REQUIRED_USE is not satisfied:"
	log_has "homed? ( cryptsetup )"
	log_has "+cryptsetup"
	log_has "WARN:   homesetup --root $R use enable && ROOT=$R emerge --ask --oneshot --changed-use sys-apps/systemd"
	log_lacks "could not run"
}

@test "systemd[homed] with openssl turned off: the CLI names both missing flags" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	systemd homed pam
	assert_status 0
	log_has "homed? ( cryptsetup openssl )"
}

@test "systemd[homed cryptsetup pam openssl] with pambase[homed]: silent" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "PHASE: pkg_postinst"
	[ "$(warn_count)" -eq 0 ] || fail "unexpected warnings: $log"
}

@test "systemd without homed and pambase without homed: silent" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	systemd openssl
	assert_status 0
	[ "$(warn_count)" -eq 0 ] || fail "unexpected warnings: $log"
}

@test "REQUIRED_USE from the repository's md5-cache when the environment lacks it" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	mkdir -p "$T/repo/sys-apps/systemd" "$T/repo/metadata/md5-cache/sys-apps"
	: > "$T/repo/sys-apps/systemd/systemd-260.1.ebuild"
	printf 'EAPI=8\nREQUIRED_USE=%s\nSLOT=0/2\n' "$SYSTEMD_REQUSE" > "$T/repo/metadata/md5-cache/sys-apps/systemd-260.1"
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed pam openssl" \
		EBUILD="$T/repo/sys-apps/systemd/systemd-260.1.ebuild"
	assert_status 0
	log_has "homed? ( cryptsetup )"
}

# ---- the pure-bash fallback -----------------------------------------------------------------------------

@test "without homesetup: the fallback reads the homed? ( … ) group and says it is the fallback" {
	PATH=$NOCLI_PATH type -P homesetup > /dev/null && skip "a homesetup is installed in /usr/bin"
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed" REQUIRED_USE="$SYSTEMD_REQUSE" PATH="$NOCLI_PATH"
	assert_status 0
	log_has "WARN: sys-apps/systemd-260.1 was merged with USE=homed, but its REQUIRED_USE wants: cryptsetup pam openssl"
	log_has "checked without homesetup"
	log_has "echo 'sys-apps/systemd cryptsetup pam openssl' >> $CR/etc/portage/package.use/homed"
}

@test "without homesetup: pambase's homed? ( !pam_krb5 ) is read too" {
	PATH=$NOCLI_PATH type -P homesetup > /dev/null && skip "a homesetup is installed in /usr/bin"
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed cryptsetup pam openssl"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed pam_krb5" REQUIRED_USE="$PAMBASE_REQUSE" \
		PATH="$NOCLI_PATH"
	assert_status 0
	log_has "its REQUIRED_USE wants: -pam_krb5"
}

@test "without homesetup: a homed? group it cannot read is reported once, not guessed" {
	PATH=$NOCLI_PATH type -P homesetup > /dev/null && skip "a homesetup is installed in /usr/bin"
	install_way env
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed" REQUIRED_USE='homed? ( || ( a b ) )' PATH="$NOCLI_PATH"
	assert_status 0
	[ "$(warn_count)" -eq 1 ] || fail "expected exactly one warning: $log"
	log_has "could not run (REQUIRED_USE has a 'homed? ( ... )' group this fallback cannot evaluate"
}

# ---- systemd and pambase must agree ------------------------------------------------------------------------

@test "systemd[homed] while the installed pambase has no homed: warning with the fix" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "WARN: sys-apps/systemd was merged with USE=homed, but the installed sys-auth/pambase-20251104-r1 has no homed."
	log_has "users whose home homed manages cannot log in"
	log_has "emerge --ask --oneshot --changed-use sys-auth/pambase"
}

@test "systemd merged without homed while pambase has homed: warning" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed"
	systemd openssl
	assert_status 0
	log_has "WARN: sys-apps/systemd was merged without USE=homed, but the installed sys-auth/pambase-20251104-r1 has homed."
	log_has "--changed-use sys-apps/systemd"
}

@test "pambase[homed] while the installed systemd has no homed: warning" {
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE openssl"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed" REQUIRED_USE="$PAMBASE_REQUSE"
	assert_status 0
	log_has "WARN: sys-auth/pambase was merged with USE=homed, but the installed sys-apps/systemd-260.1 has no homed."
	log_has "which only sys-apps/systemd[homed] installs"
}

@test "pambase without homed while systemd has homed: warning" {
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed cryptsetup pam openssl"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE" REQUIRED_USE="$PAMBASE_REQUSE"
	assert_status 0
	log_has "WARN: sys-auth/pambase was merged without USE=homed, but the installed sys-apps/systemd-260.1 has homed."
}

@test "pambase[homed] with systemd[homed]: silent" {
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed cryptsetup pam openssl"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed" REQUIRED_USE="$PAMBASE_REQUSE"
	assert_status 0
	[ "$(warn_count)" -eq 0 ] || fail "unexpected warnings: $log"
}

# ---- pending PAM configuration ------------------------------------------------------------------------------

@test "pambase: a pending ._cfg0000_system-auth under EROOT is reported with dispatch-conf" {
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed cryptsetup pam openssl"
	: > "$R/etc/pam.d/._cfg0000_system-auth"
	: > "$R/etc/pam.d/._cfgX_not-a-protected-update"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed" REQUIRED_USE="$PAMBASE_REQUSE"
	assert_status 0
	log_has "WARN: A protected update of the PAM configuration is waiting: /etc/pam.d/._cfg0000_system-auth"
	log_has "ROOT=$R dispatch-conf"
	log_lacks "not-a-protected-update"
}

@test "the host's /etc/pam.d is never looked at when ROOT is elsewhere" {
	install_way env
	installed sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed cryptsetup pam openssl"
	phase sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE homed" REQUIRED_USE="$PAMBASE_REQUSE"
	assert_status 0
	log_lacks "protected update"
}

# ---- never fails a merge ------------------------------------------------------------------------------------

# A homesetup that misbehaves: fake_cli 'shell code'.
fake_cli() {
	printf '#!/bin/bash\n%s\n' "$1" > "$T/cli/homesetup.fake"
	chmod +x "$T/cli/homesetup.fake"
	rm -f "$T/cli/homesetup"
	mv "$T/cli/homesetup.fake" "$T/cli/homesetup"
}

@test "homesetup fails (status 2): one ewarn, exit 0, the rest of the check still runs" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	fake_cli 'echo "homesetup: required-use: invalid USE flag" >&2; exit 2'
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "could not run (homesetup required-use failed (status 2): homesetup: required-use: invalid USE flag)"
	[ "$(grep -c 'could not run' "$ELOG")" -eq 1 ] || fail "more than one error line: $log"
	log_has "has no homed"
}

@test "homesetup hangs: the timeout ends it, one ewarn, exit 0" {
	install_way env
	fake_cli 'sleep 30'
	local start=$SECONDS
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed" REQUIRED_USE="$SYSTEMD_REQUSE" HOMESETUP_HOOK_TIMEOUT=1
	assert_status 0
	[ $((SECONDS - start)) -lt 10 ] || fail "the hook waited $((SECONDS - start)) s"
	log_has "homesetup required-use did not answer within 1 s"
}

@test "homesetup crashes: one ewarn, exit 0" {
	install_way env
	fake_cli 'kill -SEGV $$'
	systemd homed
	assert_status 0
	log_has "homesetup required-use failed (status 139)"
}

@test "the hook survives set -eu in the environment" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	phase sys-apps/systemd-260.1 "$SYSTEMD_BASE_USE homed pam openssl" REQUIRED_USE="$SYSTEMD_REQUSE" HOOK_SET_OPTS=-eu
	assert_status 0
	log_has "homed? ( cryptsetup )"
	log_has "has no homed"
}

@test "an unexpected failure inside the check is one ewarn and exit 0" {
	install_way env
	# A broken `has` makes the check's subshell die; the merge must not notice.
	printf 'has() { kill -KILL $BASHPID; }\n' > "$CR/etc/portage/bashrc"
	systemd homed
	assert_status 0
	log_has "PHASE: pkg_postinst"
	log_has "the post-merge check for systemd-homed stopped unexpectedly (status 137)"
	[ "$(warn_count)" -eq 1 ] || fail "expected one warning: $log"
}

# ---- coexistence with the user's own post_pkg_postinst -------------------------------------------------------

user_bashrc() { # status the user's function returns
	cat > "$CR/etc/portage/bashrc" <<EOF
post_pkg_postinst() {
	echo "USER: post_pkg_postinst of \${CATEGORY}/\${PN}" >> "\$HOOK_ELOG"
	return $1
}
EOF
}

@test "env way: a post_pkg_postinst from /etc/portage/bashrc is kept, runs first, and its status is returned" {
	install_way env
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	user_bashrc 0
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "USER: post_pkg_postinst of sys-apps/systemd"
	log_has "has no homed"
	[ "$(grep -n '^USER' "$ELOG" | cut -d: -f1)" -lt "$(grep -n '^WARN' "$ELOG" | head -n1 | cut -d: -f1)" ] ||
		fail "the user's function did not run first: $log"
	user_bashrc 3
	systemd homed cryptsetup pam openssl
	assert_status 3
	log_has "USER: post_pkg_postinst"
	log_has "has no homed"
}

@test "env way: the user's post_pkg_postinst still runs for other packages, untouched" {
	install_way env
	user_bashrc 0
	phase app-editors/neovim-0.11.4 "amd64"
	assert_status 0
	log_has "USER: post_pkg_postinst of app-editors/neovim"
	[ "$(warn_count)" -eq 0 ] || fail "$log"
}

@test "profile way: the check runs for systemd and pambase, not for other packages" {
	install_way profile
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "has no homed"
	phase app-editors/neovim-0.11.4 "amd64"
	assert_status 0
	[ "$(warn_count)" -eq 0 ] || fail "$log"
}

@test "profile way: a later /etc/portage/bashrc that calls homesetup_homed_check (README) runs it once" {
	install_way profile
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	cat > "$CR/etc/portage/bashrc" <<'EOF'
post_pkg_postinst() {
	echo "USER: mine" >> "$HOOK_ELOG"
	declare -F homesetup_homed_check > /dev/null && homesetup_homed_check
}
EOF
	systemd homed cryptsetup pam openssl
	assert_status 0
	log_has "USER: mine"
	[ "$(grep -c 'has no homed' "$ELOG")" -eq 1 ] || fail "expected the warning once: $log"
}

@test "both ways installed at once (and the hook sourced twice): the check runs once, no self-chaining" {
	install_way env
	install_way profile
	installed sys-auth/pambase-20251104-r1 "$PAMBASE_BASE_USE"
	systemd homed cryptsetup pam openssl
	assert_status 0
	[ "$(grep -c 'has no homed' "$ELOG")" -eq 1 ] || fail "expected the warning once: $log"
}

@test "a post_pkg_postinst restored from the saved environment that is ours is not chained to itself" {
	local out
	out=$(env -i PATH=/usr/bin:/bin CATEGORY=sys-apps PN=systemd EBUILD_PHASE=postinst bash -c '
		source "$1"; source "$1"
		declare -F homesetup_chained_post_pkg_postinst > /dev/null && echo chained || echo single' \
		_ "$HOOKS/homed-check.bash")
	[ "$out" = single ] || fail "sourcing twice chained our own function: $out"
}

# ---- shell hygiene --------------------------------------------------------------------------------------------

@test "shellcheck: the hook, its install files and this harness" {
	command -v shellcheck > /dev/null || skip "shellcheck is not installed"
	run shellcheck -s bash "$HOOKS/homed-check.bash" "$HOOKS/env/sys-apps/systemd" "$HOOKS/env/sys-auth/pambase" \
		"$HOOKS/bashrc/homed-check" "$PHASE" "$HS_TOP/bench/bench_hook.sh"
	[ "$status" -eq 0 ] || fail "$output"
}
