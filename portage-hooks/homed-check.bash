# shellcheck shell=bash
# homesetup's post-merge check for systemd-homed. Fast path first (comments cost parse time on every merge).
case ${CATEGORY-}/${PN-} in
	sys-apps/systemd | sys-auth/pambase) ;;
	*) return 0 ;;
esac
# Only pkg_postinst needs the functions; defining them in earlier phases would also save them into the
# package's environment.bz2 (and its binary package).
[[ ${EBUILD_PHASE-} == postinst ]] || return 0

# SPDX-License-Identifier: GPL-2.0-or-later
#
# homesetup's post-merge check for systemd-homed: a Portage bashrc hook (portage-hooks/README.md says how to
# install it). After sys-apps/systemd or sys-auth/pambase is merged (built or binary), it warns with ewarn,
# so emerge repeats the warning at the end and elog saves it, when
#   - the package was merged with USE=homed but its REQUIRED_USE is not satisfied (systemd's
#     `homed? ( cryptsetup pam openssl )`, or whatever the merged version's REQUIRED_USE says),
#   - one of systemd and pambase has USE=homed and the other does not,
#   - a protected update of the PAM configuration (/etc/pam.d/._cfg????_*) is waiting for dispatch-conf,
# and prints the command that fixes each. It works on ${EROOT} (ROOT=/mnt/gentoo emerge ...).
#
# Guarantees:
#   - For every other package, and in every phase but postinst, sourcing this file returns at once: no fork,
#     nothing defined.
#   - It never fails or stops a merge: the check runs in a subshell, every error is swallowed into one ewarn,
#     its status is always 0 (post_pkg_postinst returns the status of a chained function of yours), and
#     homesetup is run with a timeout.
#   - It never clobbers a post_pkg_postinst defined before it (e.g. in /etc/portage/bashrc): that function is
#     kept as homesetup_chained_post_pkg_postinst and called first, its status returned. A post_pkg_postinst
#     defined *after* this file is sourced replaces ours; call homesetup_homed_check from it (README.md).
#
# The decisions come from the homesetup CLI when it is installed (`homesetup required-use`, exit status
# 0 satisfied / 1 not / 2 invalid; its report is shown as it prints it). Without it, a pure-bash fallback
# understands only the flat `homed? ( flag !flag ... )` form of REQUIRED_USE and says so.

# Seconds homesetup may take before the check gives up on it (it answers in milliseconds).
HOMESETUP_HOOK_TIMEOUT=${HOMESETUP_HOOK_TIMEOUT:-10}

# ---- the check ----------------------------------------------------------------------------------------------

# The whole check: at most once per phase, always status 0.
homesetup_homed_check() {
	case ${CATEGORY-}/${PN-} in
		sys-apps/systemd | sys-auth/pambase) ;;
		*) return 0 ;;
	esac
	[[ ${EBUILD_PHASE-} == postinst && -z ${_HOMESETUP_HOMED_CHECKED-} ]] || return 0
	_HOMESETUP_HOMED_CHECKED=1
	local rc=0
	( _homesetup_homed_check_main ) || rc=$?
	if [[ ${rc} -ne 0 ]]; then
		ewarn "homesetup: the post-merge check for systemd-homed stopped unexpectedly (status ${rc}); the merge is not affected. Run 'homesetup check' to see whether this system is ready for homed."
	fi
	return 0
}

# Runs in a subshell. Collects the warnings, then prints them (and at most one line about an error).
_homesetup_homed_check_main() {
	set +e +u
	local target_root=${EROOT%/} self other self_has other_has other_use other_cpv why fix
	local -a warnings=()
	local error=''

	self=${CATEGORY}/${PN}
	if [[ ${self} == sys-apps/systemd ]]; then other=sys-auth/pambase; else other=sys-apps/systemd; fi
	self_has=no
	# shellcheck disable=SC2086 # USE is a list of words
	has homed ${USE} && self_has=yes

	# 1. REQUIRED_USE of the version just merged, when it has homed.
	if [[ ${self_has} == yes ]]; then
		_homesetup_homed_required_use || true
	fi

	# 2. systemd and pambase must agree on homed (the other one as installed in the VDB).
	if _homesetup_homed_installed "${other}"; then
		other_has=no
		# shellcheck disable=SC2086 # USE is a list of words
		has homed ${other_use} && other_has=yes
		if [[ ${self_has} == yes && ${other_has} == no ]]; then
			_homesetup_homed_why_pair why "${self}"
			_homesetup_homed_fix_cmd fix "${other}"
			warnings+=(
				"${self} was merged with USE=homed, but the installed ${other_cpv} has no homed."
				"${why}"
				"If ${other} is rebuilt later in this same emerge, this resolves itself. Otherwise fix it with:"
				"  ${fix}"
				""
			)
		elif [[ ${self_has} == no && ${other_has} == yes ]]; then
			_homesetup_homed_why_pair why "${other}"
			_homesetup_homed_fix_cmd fix "${self}"
			warnings+=(
				"${self} was merged without USE=homed, but the installed ${other_cpv} has homed."
				"${why}"
				"Enable homed for ${self} again with:"
				"  ${fix}"
				""
			)
		fi
	fi

	# 3. A protected update of the PAM configuration that is not merged yet (pambase[homed] writes
	#    pam_systemd_home.so into system-auth; CONFIG_PROTECT leaves it as ._cfgNNNN_system-auth).
	if [[ ${self} == sys-auth/pambase || ${self_has} == yes ]]; then
		local f
		local -a pending=()
		for f in "${target_root}"/etc/pam.d/._cfg[0-9][0-9][0-9][0-9]_*; do
			[[ -e ${f} ]] && pending+=( "${f#"${target_root}"}" )
		done
		if [[ ${#pending[@]} -gt 0 ]]; then
			warnings+=(
				"A protected update of the PAM configuration is waiting: ${pending[*]}"
				"Until it is merged, PAM keeps the old files, without the homed lines sys-auth/pambase[homed] writes (pam_systemd_home.so). Review and merge it with:"
				"  ${ROOT:+ROOT=${ROOT} }dispatch-conf   (or: etc-update)"
				""
			)
		fi
	fi

	local line
	if [[ ${#warnings[@]} -gt 0 ]]; then
		for line in "${warnings[@]}"; do
			ewarn "${line}"
		done
	fi
	if [[ -n ${error} ]]; then
		ewarn "homesetup: part of the post-merge check for systemd-homed could not run (${error}); the merge is not affected. Run 'homesetup check' to see whether this system is ready for homed."
	fi
	return 0
}

# _homesetup_homed_why_pair VAR PKG: why a homed mismatch matters, PKG being the one that has homed.
_homesetup_homed_why_pair() {
	if [[ $2 == sys-apps/systemd ]]; then
		printf -v "$1" '%s' "Without sys-auth/pambase[homed], /etc/pam.d/system-auth has no pam_systemd_home.so: users whose home homed manages cannot log in."
	else
		printf -v "$1" '%s' "sys-auth/pambase[homed] puts pam_systemd_home.so into /etc/pam.d/system-auth, which only sys-apps/systemd[homed] installs."
	fi
}

# _homesetup_homed_fix_cmd VAR PKG: the command that turns homed on for PKG and rebuilds it.
_homesetup_homed_fix_cmd() {
	local emerge="${ROOT:+ROOT=${ROOT} }emerge --ask --oneshot --changed-use $2"
	if type -P homesetup > /dev/null; then
		printf -v "$1" '%s' "homesetup${ROOT:+ --root ${ROOT}} use enable && ${emerge}"
	else
		printf -v "$1" '%s' "echo '$2 homed' >> ${PORTAGE_CONFIGROOT%/}/etc/portage/package.use/homed && ${emerge}"
	fi
}

# Sets other_use and other_cpv from the VDB entry of package $1 under ${EROOT}; status 1 when not installed.
_homesetup_homed_installed() {
	local dir
	for dir in "${target_root}/var/db/pkg/$1"-[0-9]*; do
		[[ -f ${dir}/USE ]] || continue
		other_cpv=${dir#"${target_root}/var/db/pkg/"}
		other_use=''
		read -r other_use < "${dir}/USE" || [[ -n ${other_use} ]] || other_use=''
		return 0
	done
	return 1
}

# Sets requse to the REQUIRED_USE of the version just merged: the phase environment has it (Portage restores
# the ebuild's environment for pkg_postinst); failing that, the repository's metadata cache entry of
# ${CATEGORY}/${PF}. Status 1 when neither has it.
_homesetup_homed_required_use_string() {
	local cache line
	requse=${REQUIRED_USE-}
	[[ -n ${requse} ]] && return 0
	for cache in ${EBUILD:+"${EBUILD%/*/*/*}/metadata/md5-cache/${CATEGORY}/${PF}"} \
		${PORTDIR:+"${PORTDIR}/metadata/md5-cache/${CATEGORY}/${PF}"}; do
		[[ -r ${cache} ]] || continue
		while IFS= read -r line || [[ -n ${line} ]]; do
			if [[ ${line} == REQUIRED_USE=* ]]; then
				requse=${line#REQUIRED_USE=}
				return 0
			fi
		done < "${cache}"
		return 1
	done
	return 1
}

# Check REQUIRED_USE against USE; adds to warnings (and sets error when it cannot be evaluated).
_homesetup_homed_required_use() {
	local requse='' cli out rc=0 line fix
	local -a timeout_cmd=()
	_homesetup_homed_required_use_string || requse=''
	[[ -n ${requse//[[:space:]]/} ]] || return 0

	# `hash` finds it in PATH without starting a process (type -P in $(...) would fork).
	if hash homesetup 2> /dev/null && cli=${BASH_CMDS[homesetup]} && [[ -x ${cli} ]]; then
		type -P timeout > /dev/null && timeout_cmd=( timeout --kill-after=2 "${HOMESETUP_HOOK_TIMEOUT}" )
		# (exec: the command substitution's shell becomes the command, one process fewer)
		out=$(export NO_COLOR=1; exec "${timeout_cmd[@]}" "${cli}" required-use "${requse}" --use "${USE}" \
			--want homed 2>&1) || rc=$?
		case ${rc} in
			0) return 0 ;;
			1)
				warnings+=( "${CATEGORY}/${PF} was merged with USE=homed, but its REQUIRED_USE is not satisfied:" )
				while IFS= read -r line; do
					[[ -n ${line//[[:space:]]/} ]] && warnings+=( "  ${line}" )
				done <<< "${out}"
				_homesetup_homed_fix_cmd fix "${CATEGORY}/${PN}"
				warnings+=(
					"Fix it with:"
					"  ${fix}"
					""
				)
				return 0
				;;
			124 | 137) error="homesetup required-use did not answer within ${HOMESETUP_HOOK_TIMEOUT} s" ;;
			*) error="homesetup required-use failed (status ${rc}): ${out%%$'\n'*}" ;;
		esac
		return 1
	fi

	# Fallback without homesetup: only the flat form `homed? ( flag !flag ... )`, anything else is reported as
	# not checked rather than guessed.
	local -a tokens missing=()
	local i=0 tok flag
	read -r -a tokens <<< "${requse}"
	while [[ ${i} -lt ${#tokens[@]} ]]; do
		if [[ ${tokens[i]} == homed? && ${tokens[i + 1]} == "(" ]]; then
			i=$(( i + 2 ))
			while [[ ${i} -lt ${#tokens[@]} && ${tokens[i]} != ")" ]]; do
				tok=${tokens[i]}
				if [[ ${tok} == *[!A-Za-z0-9+_@!-]* || ${tok} == "!" ]]; then
					error="REQUIRED_USE has a 'homed? ( ... )' group this fallback cannot evaluate (install app-admin/homesetup)"
					return 1
				fi
				flag=${tok#!}
				# shellcheck disable=SC2086 # USE is a list of words
				if [[ ${tok} == !* ]]; then
					has "${flag}" ${USE} && missing+=( "-${flag}" )
				else
					has "${flag}" ${USE} || missing+=( "${flag}" )
				fi
				i=$(( i + 1 ))
			done
		fi
		i=$(( i + 1 ))
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		warnings+=(
			"${CATEGORY}/${PF} was merged with USE=homed, but its REQUIRED_USE wants: ${missing[*]}"
			"(checked without homesetup, by the fallback that reads only the 'homed? ( ... )' group)"
			"Fix it with:"
			"  echo '${CATEGORY}/${PN} ${missing[*]}' >> ${PORTAGE_CONFIGROOT%/}/etc/portage/package.use/homed && ${ROOT:+ROOT=${ROOT} }emerge --ask --oneshot --changed-use ${CATEGORY}/${PN}"
			""
		)
	fi
	return 0
}

# ---- post_pkg_postinst, chained ------------------------------------------------------------------------------

# Keep a post_pkg_postinst defined before us (unless it is ours, e.g. restored from the saved environment).
if declare -F post_pkg_postinst > /dev/null &&
	[[ $(declare -f post_pkg_postinst) != *homesetup-homed-check-post_pkg_postinst* ]]; then
	# declare -f prints the function as bash itself parsed it, so evaluating it under another name is exact.
	eval "homesetup_chained_$(declare -f post_pkg_postinst)"
fi

post_pkg_postinst() {
	: homesetup-homed-check-post_pkg_postinst
	local rc=0
	if declare -F homesetup_chained_post_pkg_postinst > /dev/null; then
		homesetup_chained_post_pkg_postinst "$@" || rc=$?
	fi
	homesetup_homed_check
	return "${rc}"
}
