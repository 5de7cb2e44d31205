#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One ebuild phase as Portage's ebuild.sh runs it, reduced to what a bashrc hook can observe (portage-facts
# §4): the PMS variables of the phase come from the environment (CATEGORY PN PV PR PVR PF P SLOT USE EAPI ROOT
# EROOT EPREFIX EBUILD_PHASE EBUILD_PHASE_FUNC MERGE_TYPE REPLACING_VERSIONS REQUIRED_USE EBUILD
# PORTAGE_CONFIGROOT …); then, like __source_all_bashrcs:
#   1. unless EBUILD_PHASE=depend: the user profile's package.bashrc entries whose atom is ${CATEGORY}/${PN}
#      (${PORTAGE_CONFIGROOT}/etc/portage/profile/package.bashrc, files in …/profile/bashrc/),
#   2. ${PORTAGE_CONFIGROOT}/etc/portage/bashrc,
#   3. unless depend: /etc/portage/env/${CATEGORY}/{${PN},${PN}:${SLOT%/*},${P},${PF}} (each if readable);
# then, like __ebuild_phase_with_hooks, pre_pkg_<phase>, the ebuild's pkg_<phase> (a stub that records it ran)
# and post_pkg_<phase> when defined. The phase's status is this script's.
#
# Output helpers are recorders: ewarn/elog/einfo/eerror append "WARN: …", "LOG: …", "INFO: …", "ERROR: …" to
# ${HOOK_ELOG} (one line per call) and echo " * …" to stderr as Portage does. `has` is Portage's.
# HOOK_SET_OPTS, when set (e.g. "-eu"), is applied before the bashrcs, to prove the hook survives them.

# The hooks call the helpers by name and the phase functions are called through variables.
# shellcheck disable=SC2317

: "${HOOK_ELOG:?HOOK_ELOG must name the message log}"

has() {
	local needle=$1 x
	shift
	for x in "$@"; do
		[[ ${x} == "${needle}" ]] && return 0
	done
	return 1
}

_record() {
	local tag=$1
	shift
	printf '%s: %s\n' "${tag}" "$*" >> "${HOOK_ELOG}"
	printf ' * %s\n' "$*" >&2
}
ewarn() { _record WARN "$@"; }
elog() { _record LOG "$@"; }
einfo() { _record INFO "$@"; }
eerror() { _record ERROR "$@"; }

pkg_postinst() {
	printf 'PHASE: pkg_postinst of %s\n' "${CATEGORY}/${PF}" >> "${HOOK_ELOG}"
}

if [[ -n ${HOOK_SET_OPTS-} ]]; then
	set "${HOOK_SET_OPTS}"
fi

_phase_source_bashrcs() {
	local cr=${PORTAGE_CONFIGROOT%/} line atom name f
	local -a names
	if [[ ${EBUILD_PHASE} != depend && -r ${cr}/etc/portage/profile/package.bashrc ]]; then
		while read -r atom line; do
			[[ -n ${atom} && ${atom} != \#* ]] || continue
			[[ ${atom} == "${CATEGORY}/${PN}" ]] || continue
			read -r -a names <<< "${line}"
			for name in "${names[@]}"; do
				# shellcheck source=/dev/null
				source "${cr}/etc/portage/profile/bashrc/${name}"
			done
		done < "${cr}/etc/portage/profile/package.bashrc"
	fi
	if [[ -r ${cr}/etc/portage/bashrc ]]; then
		# shellcheck source=/dev/null
		source "${cr}/etc/portage/bashrc"
	fi
	if [[ ${EBUILD_PHASE} != depend ]]; then
		for f in "${PN}" "${PN}:${SLOT%/*}" "${P}" "${PF}"; do
			f=${cr}/etc/portage/env/${CATEGORY}/${f}
			if [[ -r ${f} && -f ${f} ]]; then
				# shellcheck source=/dev/null
				source "${f}"
			fi
		done
	fi
}

_phase_source_bashrcs
rc=0
if declare -F "pre_pkg_${EBUILD_PHASE}" > /dev/null; then
	"pre_pkg_${EBUILD_PHASE}" || rc=$?
fi
if declare -F "pkg_${EBUILD_PHASE}" > /dev/null; then
	"pkg_${EBUILD_PHASE}" || rc=$?
fi
if declare -F "post_pkg_${EBUILD_PHASE}" > /dev/null; then
	"post_pkg_${EBUILD_PHASE}" || rc=$?
fi
exit "${rc}"
