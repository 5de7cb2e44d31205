# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for homesetup(8). Installed as /usr/share/bash-completion/completions/homesetup.
#
# The commands and each command's options are read from the installed homesetup itself (`homesetup --help`,
# `homesetup help COMMAND`), and check ids from `homesetup check --list`, so the completion never falls
# behind the program; the lists are cached for the shell session. The subcommands of `migrate` share one help
# text, so their options are listed here, as bin/cmd_migrate.c accepts them. Users are read from ROOT's
# /etc/passwd (--root on the command line, else $ROOT, else /), never cached: ROOT may change.

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

# The regular users of ROOT's /etc/passwd (UID 1000-60000, systemd's range for them): whom a migration can be about.
_homesetup_passwd_users() {
	awk -F: '$3 >= 1000 && $3 <= 60000 { print $1 }' "${1%/}/etc/passwd" 2> /dev/null
}

# The users with a migration journal under ROOT: once their account lines are removed, resume, rollback and
# status name users /etc/passwd no longer has.
_homesetup_journal_users() {
	local f
	for f in "${1%/}"/var/lib/homesetup/migrate/*.json; do
		[[ -f ${f} ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.json}"
	done
}

# The options of `migrate SUB` (parse_options() in bin/cmd_migrate.c, help_migrate_check() for check).
_homesetup_migrate_options() {
	local plan="--storage --fs-type --disk-size --copy --remove-saved --homectl-arg --no-bus"
	local run="--password-fd --yes -y --no-progress"
	case $1 in
		check) echo "--storage --fs-type --disk-size --copy --no-bus --verbose -v" ;;
		plan) echo "${plan}" ;;
		run) echo "${plan} ${run}" ;;
		resume | rollback) echo "${run}" ;;
	esac
}

_homesetup() {
	local cur prev words cword
	if declare -F _init_completion > /dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local prog=${words[0]} cmd='' sub='' root=${ROOT:-/} i w
	local -i nargs=0
	local global_opts="--root -R --config-root --json --bus-address --bus-timeout --quiet -q --help -h --version -V"

	# The command, for use/service/migrate the subcommand (global options may come first), ROOT, and how many
	# operands follow the subcommand (options that take a value are skipped with it).
	for (( i = 1; i < cword; i++ )); do
		w=${words[i]}
		case ${w} in
			--root | -R)
				(( i + 1 < cword )) && root=${words[i + 1]}
				(( i++ ))
				;;
			--root=*) root=${w#--root=} ;;
			--config-root | --bus-address | --bus-timeout | --only | --skip | --user | --target | --file | \
				--iuse | --use | --want | --pin | --eapi | --timeout | --storage | --fs-type | --disk-size | \
				--password-fd | --homectl-arg | --manifest | --uid-map | --gid-map | --expect-extra | -o | \
				--output | --progress | --since | --journal-file | --journal-dir | --volume | --trust | --record)
				(( i++ ))
				;;
			-*) ;;
			*)
				if [[ -z ${cmd} ]]; then
					cmd=${w}
				elif [[ -z ${sub} ]]; then
					sub=${w}
				else
					(( nargs++ ))
				fi
				;;
		esac
	done
	[[ -n ${root} ]] || root=/

	# Option arguments.
	case ${prev} in
		--root | -R | --config-root)
			mapfile -t COMPREPLY < <(compgen -d -- "${cur}")
			return
			;;
		--bus-address | --bus-timeout | --iuse | --use | --want | --pin | --eapi | --timeout | --user | --disk-size | \
			--password-fd | --homectl-arg | --uid-map | --gid-map)
			if [[ ${prev} == --user && ${cmd} == check ]]; then
				mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_passwd_users "${root}")" -- "${cur}")
			elif [[ ${prev} == --user ]]; then
				mapfile -t COMPREPLY < <(compgen -u -- "${cur}")
			fi
			return
			;;
		--storage)
			mapfile -t COMPREPLY < <(compgen -W "luks directory subvolume fscrypt" -- "${cur}")
			return
			;;
		--fs-type)
			mapfile -t COMPREPLY < <(compgen -W "btrfs ext4 xfs" -- "${cur}")
			return
			;;
		--progress)
			mapfile -t COMPREPLY < <(compgen -W "bar lines none" -- "${cur}")
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
		--manifest | -o | --output)
			mapfile -t COMPREPLY < <(compgen -f -- "${cur}")
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
		migrate)
			if [[ -z ${sub} ]]; then
				[[ ${cur} != -* ]] &&
					mapfile -t COMPREPLY < <(compgen -W "check plan run resume rollback status" -- "${cur}")
			elif [[ ${cur} == -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_migrate_options "${sub}") ${global_opts}" -- "${cur}" |
					sort -u)
			elif (( nargs == 0 )); then
				case ${sub} in
					check | plan | run)
						mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_passwd_users "${root}")" -- "${cur}")
						;;
					resume | rollback | status)
						mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_journal_users "${root}")" -- "${cur}")
						;;
				esac
			fi
			return
			;;
	esac
	if [[ ${cur} == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_homesetup_options "${cmd}" "${prog}") ${global_opts}" -- "${cur}" |
			sort -u)
	elif [[ ${cmd} == use && ( ${sub} == show || ${sub} == enable || ${sub} == disable ) ]]; then
		mapfile -t COMPREPLY < <(compgen -W "sys-apps/systemd sys-auth/pambase" -- "${cur}")
	elif [[ ${cmd} == verify || ${cmd} == manifest ]]; then
		mapfile -t COMPREPLY < <(compgen -d -- "${cur}")
	fi
}

complete -F _homesetup homesetup
