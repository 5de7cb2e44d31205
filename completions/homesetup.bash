# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for homesetup(8). Installed as /usr/share/bash-completion/completions/homesetup.
#
# The commands and each command's options are read from the installed homesetup itself (`homesetup --help`,
# `homesetup help COMMAND`), and check ids from `homesetup check --list`, so the completion never falls
# behind the program; the lists are cached for the shell session.

# Words of the "Commands:" section of `homesetup --help`.
_homesetup_commands() {
	if [[ -z ${_homesetup_cache_commands-} ]]; then
		_homesetup_cache_commands=$("${1:-homesetup}" --help 2> /dev/null |
			sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' | tr '\n' ' ')
		[[ -n ${_homesetup_cache_commands} ]] ||
			_homesetup_cache_commands="atom check help required-use service use users vercmp"
	fi
	printf '%s\n' "${_homesetup_cache_commands}"
}

# The long and short options `homesetup help COMMAND` documents (for "use show": `homesetup help use`).
_homesetup_options() {
	local cmd=$1 var
	var=_homesetup_cache_opts_${cmd//-/_}
	if [[ -z ${!var-} ]]; then
		printf -v "${var}" '%s' "$("${2:-homesetup}" help "${cmd}" 2> /dev/null |
			grep -oE -- '(^|[ ,[])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[ ,[]//' | sort -u | tr '\n' ' ')"
	fi
	printf '%s\n' "${!var}"
}

# Check ids and groups, from `homesetup check --list` (id, group, description per line).
_homesetup_check_ids() {
	if [[ -z ${_homesetup_cache_ids-} ]]; then
		_homesetup_cache_ids=$("${1:-homesetup}" check --list 2> /dev/null |
			awk 'NF >= 2 { print $1; g[$2] = 1 } END { for (x in g) print x }' | sort -u | tr '\n' ' ')
	fi
	printf '%s\n' "${_homesetup_cache_ids}"
}

_homesetup() {
	local cur prev words cword
	if declare -F _init_completion > /dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local prog=${words[0]} cmd='' sub='' i w
	local global_opts="--root -R --config-root --json --bus-address --bus-timeout --quiet -q --help -h --version -V"

	# The command and, for use/service, the subcommand (global options may come first).
	for (( i = 1; i < cword; i++ )); do
		w=${words[i]}
		case ${w} in
			--root | -R | --config-root | --bus-address | --bus-timeout) (( i++ )) ;;
			-*) ;;
			*)
				if [[ -z ${cmd} ]]; then
					cmd=${w}
				elif [[ -z ${sub} ]]; then
					sub=${w}
				fi
				;;
		esac
	done

	# Option arguments.
	case ${prev} in
		--root | -R | --config-root)
			mapfile -t COMPREPLY < <(compgen -d -- "${cur}")
			return
			;;
		--bus-address | --bus-timeout | --iuse | --use | --want | --pin | --eapi | --timeout | --user)
			if [[ ${prev} == --user ]]; then
				mapfile -t COMPREPLY < <(compgen -u -- "${cur}")
			fi
			return
			;;
		--only | --skip)
			# a comma-separated list: complete its last item
			local head=''
			[[ ${cur} == *,* ]] && head=${cur%,*},
			mapfile -t COMPREPLY < <(compgen -P "${head}" -W "$(_homesetup_check_ids "${prog}")" -- "${cur##*,}")
			return
			;;
		--target)
			mapfile -t COMPREPLY < <(compgen -W "package.use make.conf" -- "${cur}")
			return
			;;
	esac

	if [[ -z ${cmd} ]]; then
		if [[ ${cur} == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "${global_opts}" -- "${cur}")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_commands "${prog}")" -- "${cur}")
		fi
		return
	fi

	case ${cmd} in
		help)
			[[ -z ${sub} ]] && mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_commands "${prog}")" -- "${cur}")
			return
			;;
		use)
			if [[ -z ${sub} && ${cur} != -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "show enable disable revert" -- "${cur}")
				return
			fi
			;;
		service)
			if [[ -z ${sub} && ${cur} != -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "enable reexec" -- "${cur}")
				return
			fi
			;;
	esac
	if [[ ${cur} == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_options "${cmd}" "${prog}") ${global_opts}" -- "${cur}" |
			sort -u)
	elif [[ ${cmd} == use && ( ${sub} == show || ${sub} == enable || ${sub} == disable ) ]]; then
		mapfile -t COMPREPLY < <(compgen -W "sys-apps/systemd sys-auth/pambase" -- "${cur}")
	fi
}

complete -F _homesetup homesetup
