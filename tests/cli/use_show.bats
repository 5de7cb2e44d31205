#!/usr/bin/env bats
# homesetup use show: effective USE with provenance, on Gentoo-shaped roots built in temp dirs (tests/lib/roots),
# checked through the CLI's JSON (doc/use-json.md), plus the human output on the bundled demo root.
# Every expected value is what Portage 3.0.82 computes for the same files (docs/portage-facts.md §2).

load ../lib/common
load ../lib/roots

setup() {
	ROOT=$(roots_new)
	roots_minimal "$ROOT"
}

# use_json [ATOM...]: `use show --json` on $ROOT (default atom sys-apps/systemd).
use_json() {
	if [ $# -eq 0 ]; then
		set -- sys-apps/systemd
	fi
	hs use show --json --root "$ROOT" "$@"
}

# jcheck EXPR...: every Python expression must hold for the JSON in $output, evaluated with
#   d (the document), p (packages[0]), P (atom -> package), f (p["flags"]).
jcheck() {
	if ! printf '%s' "$output" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
p = d["packages"][0] if d.get("packages") else {}
P = {x["atom"]: x for x in d.get("packages", [])}
f = p.get("flags") or {}
bad = 0
for expr in sys.argv[1:]:
    try:
        ok = eval("(" + expr + "\n)")
    except Exception as e:
        ok = False
        print("error in %s: %r" % (expr, e), file=sys.stderr)
    if not ok:
        bad += 1
        print("JSON check failed: %s" % expr, file=sys.stderr)
if bad:
    show = {k: v for k, v in p.items() if k != "flags"}
    print(json.dumps({"profile_stack": d.get("profile_stack"), "packages[0]": show}, indent=1), file=sys.stderr)
sys.exit(1 if bad else 0)
' "$@"; then
		_hs_dump
		return 1
	fi
}

# flag_is FLAG on|off LAYER FILE LINE [TOKEN]: flags[FLAG] of packages[0]; "-" skips a field; FILE is the path
# inside the root ("null" for none).
flag_is() {
	local flag=$1 state=$2 layer=$3 file=$4 line=$5 token=${6--}
	local -a e=("'$flag' in f")
	if [ "$state" = on ]; then
		e+=("f['$flag']['enabled'] is True" "'$flag' in p['use']")
	else
		e+=("f['$flag']['enabled'] is False" "'$flag' in p['use_disabled']")
	fi
	[ "$layer" = - ] || e+=("f['$flag']['layer'] == '$layer'")
	if [ "$file" = null ]; then
		e+=("f['$flag']['file'] is None")
	elif [ "$file" != - ]; then
		e+=("f['$flag']['file'] == '$file'")
	fi
	[ "$line" = - ] || e+=("f['$flag']['line'] == $line")
	[ "$token" = - ] || e+=("f['$flag']['token'] == '$token'")
	jcheck "${e[@]}"
}

# ---- the command itself ---------------------------------------------------------------------------------

@test "use show is listed, has a help, and 'use' alone means 'use show'" {
	hs --help
	assert_status 0
	[[ $output =~ (^|$'\n')"  use " ]] || fail "use is not listed in --help"
	hs help use
	assert_status 0
	assert_output_contains "Usage: homesetup use SUBCOMMAND"
	assert_output_contains "Usage: homesetup use show [ATOM...] [--all] [--json]"
	hs use show --json --root "$ROOT"
	assert_status 0
	local shown=$output
	hs use --json --root "$ROOT"
	assert_status 0
	[ "$output" = "$shown" ] || fail "'use' and 'use show' differ"
}

@test "usage errors exit 2: unknown subcommand, unknown option, invalid atom" {
	hs use frobnicate --root "$ROOT"
	assert_status 2
	assert_stderr_contains "use: unknown subcommand 'frobnicate'"
	hs use show --bogus --root "$ROOT"
	assert_status 2
	assert_stderr_contains "use show: unknown option '--bogus'"
	hs use show --root "$ROOT" 'sys-apps/systemd[homed]'
	assert_status 2
	assert_stderr_contains "invalid atom"
	[ -z "$output" ] || fail "nothing expected on stdout"
	hs use show --root "$ROOT" 'not an atom'
	assert_status 2
}

@test "default atoms are sys-apps/systemd and sys-auth/pambase, IUSE defaults only: exit 0" {
	use_json
	hs use show --json --root "$ROOT"
	assert_status 0
	jcheck "[x['atom'] for x in d['packages']] == ['sys-apps/systemd', 'sys-auth/pambase']" \
		"d['profile_stack'] == ['/var/db/repos/gentoo/profiles/base', '/var/db/repos/gentoo/profiles/arch/amd64', '/var/db/repos/gentoo/profiles/default/linux/amd64']" \
		"p['cpv'] == 'sys-apps/systemd-260.1'" "p['slot'] == '0/2'" "p['stable'] is True" "p['repo'] == 'gentoo'" \
		"p['use'] == ['abi_x86_64', 'dns-over-tls', 'gcrypt', 'kernel-install', 'kmod', 'lz4', 'openssl', 'python_single_target_python3_12', 'resolvconf', 'seccomp', 'zstd']" \
		"p['portage_use'] == ['abi_x86_64', 'amd64', 'dns-over-tls', 'elibc_glibc', 'gcrypt', 'kernel-install', 'kernel_linux', 'kmod', 'lz4', 'openssl', 'python_single_target_python3_12', 'resolvconf', 'seccomp', 'zstd']" \
		"sorted(p['use'] + p['use_disabled']) == sorted(set(p['iuse'].replace('+', '').split()))" \
		"p['masked_iuse'] == ['abi_x86_x32', 'selinux']" "p['forced_iuse'] == ['abi_x86_64']" \
		"p['required_use_ok'] is True" "p['required_use_unsatisfied'] is None" \
		"p['installed'] is None" "p['installed_use'] is None" \
		"P['sys-auth/pambase']['cpv'] == 'sys-auth/pambase-20251104-r1'" \
		"P['sys-auth/pambase']['use'] == ['nullok', 'passwdqc', 'yescrypt']" \
		"P['sys-auth/pambase']['required_use_ok'] is True"
	flag_is openssl on pkginternal null - +openssl
	flag_is homed off none null - -
	flag_is python_single_target_python3_12 on defaults /var/db/repos/gentoo/profiles/base/make.defaults 13 \
		PYTHON_SINGLE_TARGET=python3_12
	jcheck "f['abi_x86_64']['forced'] is True" "f['selinux']['masked'] is True" \
		"f['selinux']['mask_file'] == '/var/db/repos/gentoo/profiles/base/use.mask'" "f['selinux']['mask_line'] == 2"
}

@test "REQUIRED_USE unsatisfied: exit 1, emerge's reduced text in JSON and its message in the human output" {
	roots_package_use "$ROOT" systemd $'# homed for systemd\nsys-apps/systemd homed\n'
	use_json
	assert_status 1
	jcheck "p['required_use_ok'] is False" "p['required_use_unsatisfied'] == 'homed? ( cryptsetup pam )'" \
		"p['required_use_unsatisfied_human'] == 'homed? ( cryptsetup pam )'" \
		"set(p['relevant_flags']) == {'homed', 'cryptsetup', 'pam', 'openssl', 'passwdqc', 'pwquality'}"
	flag_is homed on pkg /etc/portage/package.use/systemd 2 homed
	hs use show --root "$ROOT" sys-apps/systemd
	assert_status 1
	assert_output_contains "The following REQUIRED_USE flag constraints are unsatisfied:"
	assert_output_contains $'\n    homed? ( cryptsetup pam )'
	assert_output_contains "+homed"
	assert_output_contains "package.use/systemd:2"
}

@test "REQUIRED_USE: emerge's human form of ?? is at-most-one-of; exit 0 once satisfied" {
	roots_package_use "$ROOT" systemd 'sys-apps/systemd homed cryptsetup pam passwdqc pwquality
'
	use_json
	assert_status 1
	jcheck "p['required_use_unsatisfied'] == '?? ( passwdqc pwquality )'" \
		"p['required_use_unsatisfied_human'] == 'at-most-one-of ( passwdqc pwquality )'"
	hs use show --root "$ROOT" sys-apps/systemd
	assert_output_contains $'unsatisfied:\n    at-most-one-of ( passwdqc pwquality )'
	roots_package_use "$ROOT" systemd 'sys-apps/systemd homed cryptsetup pam passwdqc
'
	use_json
	assert_status 0
	jcheck "p['required_use_ok'] is True" "p['required_use_unsatisfied'] is None"
}

@test "pambase: homed and the flag that conflicts with it (pam_krb5) are the relevant ones" {
	roots_package_use "$ROOT" pambase 'sys-auth/pambase homed pam_krb5
'
	use_json sys-auth/pambase
	assert_status 1
	jcheck "set(p['relevant_flags']) == {'homed', 'pam_krb5'}" \
		"p['required_use_unsatisfied'] == 'homed? ( !pam_krb5 ) pam_krb5? ( !homed )'"
	flag_is pam_krb5 on pkg /etc/portage/package.use/pambase 1 pam_krb5
}

# ---- package.use: sort order, skip rules, -*, USE_EXPAND, specificity, */* -------------------------------

@test "package.use directory: Portage's code-point order (10 < 9 < A < _z < a < b < sub/c)" {
	roots_package_use "$ROOT" 10 $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" 9 $'sys-apps/systemd -homed\n'
	roots_package_use "$ROOT" A $'sys-apps/systemd cryptsetup\n'
	roots_package_use "$ROOT" _z $'sys-apps/systemd -cryptsetup\n'
	roots_package_use "$ROOT" a $'sys-apps/systemd pam\n'
	roots_package_use "$ROOT" b $'sys-apps/systemd -pam\n'
	roots_package_use "$ROOT" sub/c $'\n\nsys-apps/systemd pam\n'
	use_json
	assert_status 0
	flag_is homed off pkg /etc/portage/package.use/9 1 -homed
	flag_is cryptsetup off pkg /etc/portage/package.use/_z 1 -cryptsetup
	flag_is pam on pkg /etc/portage/package.use/sub/c 3 pam
}

@test "package.use directory: dot files, backups~, VCS dirs and non-regular files are skipped" {
	roots_package_use "$ROOT" .hidden $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" 'systemd~' $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" .git/config $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" CVS/Entries $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" RCS/x $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" .hg/x $'sys-apps/systemd homed\n'
	roots_package_use "$ROOT" real $'sys-apps/systemd cryptsetup # trailing comment homed\n#sys-apps/systemd homed\n'
	mkfifo "$ROOT/etc/portage/package.use/zz-fifo"
	run --separate-stderr timeout 20 "$HOMESETUP" use show --json --root "$ROOT" sys-apps/systemd
	assert_status 0
	flag_is homed off none null - -
	flag_is cryptsetup on pkg /etc/portage/package.use/real 1 cryptsetup
}

@test "package.use as a single file works too" {
	rm -rf "$ROOT/etc/portage/package.use"
	_roots_write "$ROOT" etc/portage/package.use $'app-misc/other homed\nsys-apps/systemd cryptsetup\n'
	use_json
	flag_is cryptsetup on pkg /etc/portage/package.use 2 cryptsetup
}

@test "package.use -* clears every layer below it (make.conf, profiles, IUSE defaults), not forces" {
	roots_make_conf "$ROOT" $'USE="cryptsetup"\n'
	roots_package_use "$ROOT" x $'sys-apps/systemd -* homed\n'
	use_json
	jcheck "p['use'] == ['abi_x86_64', 'homed']"
	flag_is openssl off pkg /etc/portage/package.use/x 1 -*
	flag_is cryptsetup off pkg /etc/portage/package.use/x 1 -*
	flag_is python_single_target_python3_12 off pkg /etc/portage/package.use/x 1 -*
	flag_is homed on pkg /etc/portage/package.use/x 1 homed
	jcheck "f['abi_x86_64']['enabled'] is True" "f['abi_x86_64']['forced'] is True"
}

@test "USE_EXPAND: make.conf variables replace the profile's, package.use 'VAR:' prefixes and -*" {
	roots_make_conf "$ROOT" $'# python\nPYTHON_SINGLE_TARGET="python3_13"\n'
	use_json
	assert_status 0
	flag_is python_single_target_python3_13 on conf /etc/portage/make.conf 2 -
	flag_is python_single_target_python3_12 off conf /etc/portage/make.conf 2 -
	jcheck "f['python_single_target_python3_13']['token'].startswith('PYTHON_SINGLE_TARGET=')"
	roots_package_use "$ROOT" python $'sys-apps/systemd PYTHON_SINGLE_TARGET: -* python3_14 ABI_X86: 32\n'
	use_json
	assert_status 0
	# The token is given as written, USE_EXPAND prefix included.
	flag_is python_single_target_python3_14 on pkg /etc/portage/package.use/python 1 'PYTHON_SINGLE_TARGET: python3_14'
	flag_is python_single_target_python3_13 off pkg /etc/portage/package.use/python 1 'PYTHON_SINGLE_TARGET: -*'
	flag_is abi_x86_32 on pkg /etc/portage/package.use/python 1 'ABI_X86: 32'
	jcheck "[x for x in p['use'] if x.startswith('python_single_target_')] == ['python_single_target_python3_14']"
}

@test "package.use atoms are ordered by specificity, not by line: =cpv > =ver* > :slot > >= > cp > wildcard" {
	roots_package_use "$ROOT" spec '=sys-apps/systemd-260.1 cryptsetup
sys-apps/systemd -cryptsetup homed
sys-apps/* -homed acl
>=sys-apps/systemd-200 -acl
sys-apps/systemd:0 xkb
=sys-apps/systemd-260* -xkb
*/systemd curl
sys-apps/systemd -curl
'
	use_json
	flag_is cryptsetup on pkg /etc/portage/package.use/spec 1 cryptsetup
	flag_is homed on pkg /etc/portage/package.use/spec 2 homed
	flag_is acl off pkg /etc/portage/package.use/spec 4 -acl
	flag_is xkb off pkg /etc/portage/package.use/spec 6 -xkb
	flag_is curl off pkg /etc/portage/package.use/spec 8 -curl
}

@test "*/* package.use lines join the make.conf layer: above make.conf USE, below per-package lines" {
	roots_make_conf "$ROOT" $'USE="-homed cryptsetup"\n'
	roots_package_use "$ROOT" global $'*/* homed\n'
	use_json sys-apps/systemd sys-auth/pambase
	flag_is homed on conf /etc/portage/package.use/global 1 homed
	flag_is cryptsetup on conf /etc/portage/make.conf 1 cryptsetup
	roots_package_use "$ROOT" systemd $'sys-apps/systemd -homed\n'
	use_json sys-apps/systemd sys-auth/pambase
	flag_is homed off pkg /etc/portage/package.use/systemd 1 -homed
	jcheck "P['sys-auth/pambase']['flags']['homed']['enabled'] is True" \
		"P['sys-auth/pambase']['flags']['homed']['layer'] == 'conf'" \
		"P['sys-auth/pambase']['flags']['homed']['file'] == '/etc/portage/package.use/global'"
}

@test "invalid package.use lines: Portage's warnings on stderr, the other lines still count" {
	roots_package_use "$ROOT" bad 'sys-apps/systemd-260.1 homed
sys-apps/systemd[foo] homed
sys-apps/systemd cryptsetup
'
	use_json
	assert_status 0
	assert_stderr_contains "--- Invalid atom in "
	assert_stderr_contains "sys-apps/systemd-260.1"
	assert_stderr_contains "--- Atom is not allowed to have USE flag(s) in "
	assert_stderr_contains "sys-apps/systemd[foo]"
	flag_is homed off none null - -
	flag_is cryptsetup on pkg /etc/portage/package.use/bad 3 cryptsetup
}

@test "binary garbage in package.use is survived (no crash, no hang)" {
	printf 'sys-apps/systemd cryptsetup\n\x00\xff\xfe garbage \x01\x02\n\xc3\x28 homed\n' > "$ROOT/etc/portage/package.use/garbage"
	run --separate-stderr timeout 20 "$HOMESETUP" use show --json --root "$ROOT" sys-apps/systemd
	[ "$status" -le 2 ] || { _hs_dump; fail "crashed or hung: status $status"; }
	if [ "$status" -ne 2 ]; then
		flag_is cryptsetup on pkg /etc/portage/package.use/garbage 1 cryptsetup
	fi
}

# ---- make.conf ------------------------------------------------------------------------------------------

@test "make.conf as a directory: file order, source (relative), \${VAR} expansion, continuation, skipped names" {
	rm -f "$ROOT/etc/portage/make.conf"
	_roots_write "$ROOT" etc/portage/make.conf/01-base $'FLAGS="homed"\n'
	_roots_write "$ROOT" etc/portage/make.conf/02-source $'# pulls in /etc/portage/make.extra\nsource ../make.extra\n'
	_roots_write "$ROOT" etc/portage/make.extra $'MORE=\'${FLAGS} cryptsetup\'\n'
	_roots_write "$ROOT" etc/portage/make.conf/10-use $'USE="${MORE} \\\n     pam"\n'
	_roots_write "$ROOT" etc/portage/make.conf/9-late $'USE="${USE} -pam"\n'
	_roots_write "$ROOT" etc/portage/make.conf/99-backup~ $'USE="-homed -cryptsetup"\n'
	_roots_write "$ROOT" etc/portage/make.conf/.hidden $'USE="-homed -cryptsetup"\n'
	use_json
	assert_status 1
	flag_is homed on conf - - homed
	flag_is cryptsetup on conf - - cryptsetup
	flag_is pam off conf /etc/portage/make.conf/9-late 1 -pam
	jcheck "p['required_use_unsatisfied'] == 'homed? ( pam )'"
}

@test "make.conf: a file Portage rejects (USE+=) exits 2 naming the file and line; nothing on stdout" {
	roots_make_conf "$ROOT" $'# comment\nUSE+="homed"\n'
	use_json
	assert_status 2
	assert_stderr_contains "make.conf"
	assert_stderr_contains "USE+"
	[ -z "$output" ] || fail "no JSON expected when the configuration cannot be read"
}

@test "the environment's USE is the highest layer (USE_ORDER env)" {
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed cryptsetup\n'
	export USE="-homed"
	use_json
	unset USE
	assert_status 0
	flag_is homed off env null - -homed
	flag_is cryptsetup on pkg /etc/portage/package.use/systemd 1 cryptsetup
}

# ---- profiles ---------------------------------------------------------------------------------------------

@test "profile parents: depth-first stack, repo:path parents, child make.defaults override parents" {
	roots_profile "$ROOT" targets/systemd
	roots_profile_file "$ROOT" targets/systemd make.defaults $'# systemd\nUSE="pam cryptsetup"\n'
	roots_profile "$ROOT" default/linux/amd64/systemd .. gentoo:targets/systemd
	roots_profile_file "$ROOT" default/linux/amd64/systemd make.defaults $'USE="-cryptsetup"\n'
	roots_set_profile "$ROOT" default/linux/amd64/systemd
	use_json
	assert_status 0
	jcheck "d['profile_stack'] == ['/var/db/repos/gentoo/profiles/' + x for x in ['base', 'arch/amd64', 'default/linux/amd64', 'targets/systemd', 'default/linux/amd64/systemd']]"
	flag_is pam on defaults /var/db/repos/gentoo/profiles/targets/systemd/make.defaults 2 pam
	flag_is cryptsetup off defaults /var/db/repos/gentoo/profiles/default/linux/amd64/systemd/make.defaults 1 -cryptsetup
}

@test "profile package.use (defaults layer) is below make.conf and package.use" {
	roots_profile_file "$ROOT" arch/amd64 package.use $'sys-apps/systemd cryptsetup pam\n'
	roots_make_conf "$ROOT" $'USE="-pam"\n'
	use_json
	flag_is cryptsetup on defaults /var/db/repos/gentoo/profiles/arch/amd64/package.use 1 cryptsetup
	flag_is pam off conf /etc/portage/make.conf 1 -pam
}

@test "a loop in parent files is an error (exit 2), not a hang" {
	roots_profile "$ROOT" loop/a ../b
	roots_profile "$ROOT" loop/b ../a
	roots_set_profile "$ROOT" loop/a
	run --separate-stderr timeout 20 "$HOMESETUP" use show --json --root "$ROOT"
	assert_status 2
	[ -n "$stderr" ] || fail "expected a message on stderr"
}

@test "no make.profile: exit 2 with a message" {
	rm -f "$ROOT/etc/portage/make.profile"
	use_json
	assert_status 2
	[ -n "$stderr" ] || fail "expected a message on stderr"
}

@test "masks beat forces; forces beat package.use; the deciding file and line are named" {
	roots_profile_file "$ROOT" base use.force $'cryptsetup\npam\n'
	roots_profile_file "$ROOT" arch/amd64 package.use.mask $'# no cryptsetup here\nsys-apps/systemd cryptsetup\n'
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed cryptsetup -pam\n'
	use_json
	assert_status 1
	jcheck "'cryptsetup' in p['masked_iuse']" "'cryptsetup' not in p['use']" "f['cryptsetup']['masked'] is True" \
		"f['cryptsetup']['mask_file'] == '/var/db/repos/gentoo/profiles/arch/amd64/package.use.mask'" \
		"f['cryptsetup']['mask_line'] == 2" \
		"'pam' in p['forced_iuse']" "f['pam']['enabled'] is True" "f['pam']['forced'] is True" \
		"f['pam']['mask_file'] == '/var/db/repos/gentoo/profiles/base/use.force'" "f['pam']['mask_line'] == 2" \
		"p['required_use_unsatisfied'] == 'homed? ( cryptsetup )'"
	hs use show --root "$ROOT" sys-apps/systemd
	assert_output_contains "(-cryptsetup)"
	assert_output_contains "(-cryptsetup)  masked by profile arch/amd64/package.use.mask:2 (overrides package.use/systemd:1)"
	assert_output_contains "(+pam)         forced by profile base/use.force:2 (overrides package.use/systemd:1)"
}

@test "/etc/portage/profile is the last profile node: it can un-mask and force" {
	roots_user_profile "$ROOT" package.use.mask $'sys-apps/systemd -selinux\n'
	roots_user_profile "$ROOT" use.force $'acl\n'
	roots_package_use "$ROOT" systemd $'sys-apps/systemd selinux -acl\n'
	use_json
	jcheck "d['profile_stack'][-1] == '/etc/portage/profile'" "len(d['profile_stack']) == 4" \
		"'selinux' not in p['masked_iuse']" "'acl' in p['forced_iuse']"
	flag_is selinux on pkg /etc/portage/package.use/systemd 1 selinux
	jcheck "f['acl']['enabled'] is True" "f['acl']['mask_file'] == '/etc/portage/profile/use.force'"
}

@test "stable keywords pick the version and the *.stable.* files; ~arch and package.mask change both" {
	roots_systemd "$ROOT" 261
	sed -i 's/^KEYWORDS=.*/KEYWORDS=~amd64 ~arm64/' "$ROOT/var/db/repos/gentoo/metadata/md5-cache/sys-apps/systemd-261"
	roots_profile_file "$ROOT" base package.use.stable.mask $'sys-apps/systemd pwquality\n'
	use_json
	jcheck "p['cpv'] == 'sys-apps/systemd-260.1'" "p['stable'] is True" "'pwquality' in p['masked_iuse']"
	_roots_write "$ROOT" etc/portage/package.accept_keywords/systemd $'sys-apps/systemd ~amd64\n'
	use_json
	jcheck "p['cpv'] == 'sys-apps/systemd-261'" "p['stable'] is False" "'pwquality' not in p['masked_iuse']"
	_roots_write "$ROOT" etc/portage/package.mask/systemd $'>=sys-apps/systemd-261\n'
	use_json
	jcheck "p['cpv'] == 'sys-apps/systemd-260.1'"
	use_json '=sys-apps/systemd-260.1'
	jcheck "p['cpv'] == 'sys-apps/systemd-260.1'" "p['atom'] == '=sys-apps/systemd-260.1'"
}

@test "a package with no ebuild exits 2 with an error in its entry; the others are still shown" {
	use_json app-misc/nonexistent sys-apps/systemd
	assert_status 2
	assert_stderr_contains "app-misc/nonexistent"
	jcheck "'error' in P['app-misc/nonexistent']" "P['sys-apps/systemd']['cpv'] == 'sys-apps/systemd-260.1'"
}

@test "a symlink leading out of the root is resolved inside it" {
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	printf 'sys-apps/systemd homed\n' > "$BATS_TEST_TMPDIR/outside/pu"
	ln -s ../../../../outside/pu "$ROOT/etc/portage/package.use/evil"
	use_json
	assert_status 0
	flag_is homed off none null - -
}

# ---- the installed package ---------------------------------------------------------------------------------

@test "installed version: VDB USE restricted to IUSE, and what a rebuild would change" {
	roots_installed "$ROOT" sys-apps/systemd-260.1 SLOT=0/2 "IUSE=$ROOTS_SYSTEMD_IUSE" \
		"USE=abi_x86_64 amd64 dns-over-tls elibc_glibc gcrypt kernel-install kernel_linux kmod lz4 openssl pam python_single_target_python3_12 resolvconf seccomp zstd"
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed cryptsetup pam\n'
	use_json
	assert_status 0
	jcheck "p['installed']['cpv'] == 'sys-apps/systemd-260.1'" "p['installed']['slot'] == '0'" \
		"p['installed']['subslot'] == '2'" "p['installed']['repo'] == 'gentoo'" \
		"'amd64' in p['installed']['use']" \
		"p['installed_use'] == ['abi_x86_64', 'dns-over-tls', 'gcrypt', 'kernel-install', 'kmod', 'lz4', 'openssl', 'pam', 'python_single_target_python3_12', 'resolvconf', 'seccomp', 'zstd']" \
		"p['rebuild_enables'] == ['cryptsetup', 'homed']" "p['rebuild_disables'] == []"
	hs use show --root "$ROOT" sys-apps/systemd
	assert_output_contains "installed:    sys-apps/systemd-260.1::gentoo"
	assert_output_contains 'built with:   USE="abi_x86_64 dns-over-tls gcrypt kernel-install kmod lz4 openssl pam python_single_target_python3_12 resolvconf seccomp zstd"'
	assert_output_contains "a rebuild:    would turn on cryptsetup homed"
}

# ---- human output ------------------------------------------------------------------------------------------

@test "--all lists every IUSE flag and the profile stack" {
	hs use show --all --root "$ROOT" sys-apps/systemd
	assert_status 0
	assert_output_contains "Profile stack (parents first):"
	assert_output_contains "      /var/db/repos/gentoo/profiles/arch/amd64"
	for f in -xkb +zstd -acl +openssl -homed '(-selinux)' '(+abi_x86_64)'; do
		[[ $output == *"        $f "* ]] || fail "flag $f is not listed"
	done
	hs use show --root "$ROOT" sys-apps/systemd
	[[ $output != *"-xkb"* ]] || fail "without --all only the flags that concern homed are listed"
}

@test "no colour escapes when NO_COLOR is set or stdout is not a terminal" {
	hs use show --root "$ROOT"
	[[ $output != *$'\033'* ]] || fail "escape sequences in the output"
	if command -v script > /dev/null; then
		run script -qec "env -u NO_COLOR '$HOMESETUP' use show --root '$ROOT' sys-apps/systemd" /dev/null
		[[ $output == *$'\033['* ]] || fail "expected colours on a terminal"
		run script -qec "NO_COLOR=1 '$HOMESETUP' use show --root '$ROOT' sys-apps/systemd" /dev/null
		[[ $output != *$'\033['* ]] || fail "NO_COLOR must disable colours"
	fi
}

@test "demo root: the README's command shows why systemd cannot be built with homed yet" {
	local demo="$HS_TOP/examples/demo-root"
	hs use show --root "$demo"
	assert_status 1
	assert_output " * Profile: /var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd (10 nodes)

 * sys-apps/systemd
      would build:  sys-apps/systemd-260.1::gentoo  SLOT=\"0/2\"  stable
      installed:    sys-apps/systemd-260.1::gentoo  SLOT=\"0/2\"
      USE flags for homed:
        +homed         package.use/systemd:2
        -cryptsetup    not enabled anywhere
        +openssl       IUSE default
        (+pam)         forced by profile targets/systemd/package.use.force:2
        -passwdqc      not enabled anywhere
        (-pwquality)   masked by profile base/use.stable.mask:2
      built with:   USE=\"abi_x86_64 dns-over-tls gcrypt kernel-install kmod lz4 openssl pam pcre python_single_target_python3_12 resolvconf seccomp zstd\"
      a rebuild:    would turn on homed
 * REQUIRED_USE of sys-apps/systemd-260.1 is not satisfied:

  The following REQUIRED_USE flag constraints are unsatisfied:
    homed? ( cryptsetup )

 * sys-auth/pambase
      would build:  sys-auth/pambase-20251104-r1::gentoo  SLOT=\"0\"  stable
      installed:    sys-auth/pambase-20251104-r1::gentoo  SLOT=\"0\"
      USE flags for homed:
        -homed       not enabled anywhere
        -pam_krb5    not enabled anywhere
      built with:   USE=\"nullok passwdqc systemd yescrypt\"
      a rebuild:    would change no USE flag
 * REQUIRED_USE of sys-auth/pambase-20251104-r1 is satisfied."
}

@test "demo root --json: the facts behind the human output" {
	hs use show --json --root "$HS_TOP/examples/demo-root" sys-apps/systemd sys-auth/pambase
	assert_status 1
	jcheck "p['required_use_unsatisfied'] == 'homed? ( cryptsetup )'" "p['rebuild_enables'] == ['homed']" \
		"f['pam']['forced'] is True" "'pwquality' in p['masked_iuse']" \
		"P['sys-auth/pambase']['required_use_ok'] is True" "P['sys-auth/pambase']['rebuild_enables'] == []" \
		"len(d['profile_stack']) == 10"
	flag_is homed on pkg /etc/portage/package.use/systemd 2 homed
	flag_is python_single_target_python3_12 on - - - -
}

@test "--quiet prints only the unsatisfied REQUIRED_USE" {
	hs use show --quiet --root "$ROOT"
	assert_status 0
	[ -z "$output" ] || fail "expected no output, got: $output"
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed\n'
	hs use show -q --root "$ROOT"
	assert_status 1
	assert_output_contains "homed? ( cryptsetup pam )"
	[[ $output != *"pambase"* ]] || fail "satisfied packages are not printed with --quiet"
}

@test "--all adds emerge's 'complete expression' block when REQUIRED_USE is not satisfied" {
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed\n'
	hs use show --all --root "$ROOT" sys-apps/systemd
	assert_status 1
	assert_output_contains $'  The above constraints are a subset of the following complete expression:\n    exactly-one-of ( python_single_target_python3_11'
	assert_output_contains "at-most-one-of ( passwdqc pwquality ) passwdqc? ( homed )"
}

@test "--config-root: etc/portage and the repository from one tree, the VDB from ROOT (also via \$ROOT)" {
	local sys
	sys=$(roots_new sys)
	roots_installed "$sys" sys-apps/systemd-259.4 SLOT=0/2 "IUSE=$ROOTS_SYSTEMD_IUSE" "USE=amd64 homed openssl"
	roots_package_use "$ROOT" systemd $'sys-apps/systemd homed cryptsetup pam\n'
	hs use show --json --root "$sys" --config-root "$ROOT" sys-apps/systemd
	assert_status 0
	jcheck "d['root'] == '$sys'" "d['config_root'] == '$ROOT'" "p['cpv'] == 'sys-apps/systemd-260.1'" \
		"p['installed']['cpv'] == 'sys-apps/systemd-259.4'" "p['installed_use'] == ['homed', 'openssl']" \
		"f['homed']['file'] == '/etc/portage/package.use/systemd'"
	local config=$ROOT
	ROOT="$sys" PORTAGE_CONFIGROOT="$config" run --separate-stderr "$HOMESETUP" use show --json sys-apps/systemd
	assert_status 0
	jcheck "d['root'] == '$sys'" "p['installed']['cpv'] == 'sys-apps/systemd-259.4'"
}
