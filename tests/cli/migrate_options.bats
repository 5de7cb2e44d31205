#!/usr/bin/env bats
# Options every migrate action shares: --disk-size is read the same way by `migrate check` and by
# plan/run (one parser, bin/output.c cli_parse_size), and `migrate check` has its own help.

load ../lib/common

@test "--disk-size: K/M/G/T in either case, with B or iB, or bytes; the same for check and plan" {
	local R action size
	R=$(hs_mkroot)
	for action in check plan; do
		for size in 20G 20g 20GiB 512MB 1073741824 3t; do
			hs migrate "$action" nobody-here --disk-size "$size" --no-bus --root "$R"
			[[ $stderr != *"invalid --disk-size"* ]] || fail "$action rejected $size: $stderr"
		done
		for size in 0 20X 20Gb -1 G 99999999999999999999 18014398509481984K; do
			hs migrate "$action" nobody-here --disk-size "$size" --no-bus --root "$R"
			assert_status 2
			assert_stderr_contains "invalid --disk-size '$size'"
		done
	done
}

@test "help: 'migrate check --help' and 'help migrate check' show the check's own options" {
	hs migrate check --help
	assert_status 0
	assert_line 0 "Usage: homesetup migrate check USER [--storage S] [--fs-type T] [--disk-size SIZE] [--copy]"
	hs help migrate check
	assert_status 0
	assert_line 0 "Usage: homesetup migrate check USER [--storage S] [--fs-type T] [--disk-size SIZE] [--copy]"
	hs help migrate plan
	assert_status 0
	[[ ${lines[0]} == "Usage: homesetup migrate check USER"* ]] && [[ $output == *"migrate plan USER"* ]] ||
		fail "help migrate plan should show the general migrate help: $output"
}
