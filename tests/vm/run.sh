#!/usr/bin/env bash
# The VM test (`make check-vm`): boots a Debian 12 guest with the real systemd-homed (built and cached by
# build-image.sh), runs a test script in it with the freshly built homesetup, and prints the guest's TAP
# results and one closing line "N passed, N failed[, N skipped]" as `make check` does.
#
# Usage: tests/vm/run.sh [--smoke | SCRIPT]
#   (default) guest-test.sh: migrations to homed (directory, LUKS+ext4, LUKS+btrfs with an ACL), a killed and
#             resumed migration, a rollback, doctor and image inspect on real homed images
#   --smoke   guest-smoke.sh: the VM infrastructure alone (homed users created with homectl, PAM logins)
#   SCRIPT    another script in tests/vm/ to run as root in the guest
# Environment:
#   B                  build dir of homesetup (default .; `make check-vm SANITIZE=1` is not supported)
#   HS_VM_CACHE        image cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/homesetup-vm)
#   HS_VM_TIMEOUT      seconds the guest may run (default 1200)
#   HS_VM_RESULTS      where the guest's output, journal and serial console are kept
#                      (default $HS_VM_CACHE/last-run; replaced on every run)
#   HS_VM_KEEP=1       keep the run's qcow2 overlay (in the results dir) for a look with qemu afterwards
#   HS_VM_ACCEL        tcg or kvm (default: kvm when /dev/kvm is real hardware virtualisation, else tcg)
#   HS_VM_CONSOLE=1    copy the guest's serial console to stderr while it runs
# Exit status: 0 every guest test passed, 1 a test failed or the guest did not finish, 2 cannot run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$(dirname "$here")")
B=${B:-.}
case $B in /*) ;; *) B="$top/$B" ;; esac
cache=${HS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homesetup-vm}
export HS_VM_CACHE=$cache
timeout_s=${HS_VM_TIMEOUT:-1200}
results=${HS_VM_RESULTS:-$cache/last-run}

die() { printf 'check-vm: %s\n' "$*" >&2; exit 2; }
now() { date +%s; }

script=guest-test.sh
case ${1:-} in
'') ;;
--smoke) script=guest-smoke.sh ;;
-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
-*) die "unknown option $1" ;;
*) script=$(basename "$1") ;;
esac
[ -f "$here/$script" ] || die "no such guest script: tests/vm/$script"

for tool in qemu-system-x86_64 qemu-img debugfs ldd timeout flock; do
	command -v "$tool" > /dev/null || die "$tool is not installed"
done
hs_bin=$B/bin/homesetup
hs_lib=$B/libhomesetup/libhomesetup.so.0
if [ ! -x "$hs_bin" ] || [ ! -e "$hs_lib" ]; then
	die "build homesetup first (make): $hs_bin or $hs_lib is missing"
fi

t0=$(now)
image=$(bash "$here/build-image.sh") || die "the guest image could not be built"
t_image=$(($(now) - t0))

# The guest has only the libraries of build-image.sh's package list: every library the built homesetup needs
# (apart from its own) must be in the image, or the guest tests would fail with a loader error.
missing=()
while read -r so; do
	case $so in libhomesetup.so.*|linux-vdso.so.*|ld-linux*) continue ;; esac
	if ! debugfs -R "stat /usr/lib/x86_64-linux-gnu/$so" "$image" 2>&1 | grep -q '^Inode:'; then
		missing+=("$so")
	fi
done < <({
	ldd "$hs_bin" "$hs_lib" | awk '$2 == "=>" { print $1 }'
	# the libraries libhomesetup/dl.c loads with dlopen() by soname (image inspect, doctor)
	grep -aoE 'lib(cryptsetup|blkid|pcre2-8)\.so\.[0-9]+' "$hs_lib"
} | sort -u)
[ ${#missing[@]} -eq 0 ] ||
	die "the guest image lacks ${missing[*]} (needed by the built homesetup): add its Debian package to build-image.sh"

# One VM at a time on this machine.
exec 8> "$cache/vm.lock"
if ! flock -n 8; then
	echo "check-vm: another VM test is running; waiting for it" >&2
	flock 8
fi

work=$(mktemp -d "$cache/run.XXXXXX")
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

share=$work/share
mkdir -p "$share/homesetup/bin" "$share/homesetup/libhomesetup"
cp "$hs_bin" "$share/homesetup/bin/homesetup"
cp -L "$hs_lib" "$share/homesetup/libhomesetup/libhomesetup.so.0"
cp "$here"/guest-*.sh "$share/"
echo "$script" > "$share/entry"

qemu-img create -q -f qcow2 -F raw -b "$image" "$work/overlay.qcow2" || die "qemu-img create failed"

accel=${HS_VM_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	# /dev/kvm from kvm_pvm (no VT-x/AMD-V) aborts or hangs with a stock kernel: use TCG there.
	if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
		{ [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		accel=kvm
	fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel "tcg,thread=multi" -cpu max) ;;
*) die "HS_VM_ACCEL must be tcg or kvm" ;;
esac

console=$work/console.log
: > "$console"
printf 'check-vm: booting the guest (%s, %s) to run %s, timeout %ss\n' "$accel" "$(basename "$image")" \
	"$script" "$timeout_s" >&2
t1=$(now)
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" \
	-machine q35 -smp 2 -m 2048 -nodefaults -display none -no-reboot -no-user-config \
	-kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 loglevel=4 systemd.show_status=auto" \
	-drive "file=$work/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap" \
	-virtfs "local,path=$share,mount_tag=hs,security_model=none,id=hs" \
	-device virtio-rng-pci -rtc base=utc \
	-serial "file:$console" > "$work/qemu.log" 2>&1 &
qemu_pid=$!

tail_pid=
if [ "${HS_VM_CONSOLE:-0}" = 1 ]; then
	tail -n +1 -f "$console" >&2 &
	tail_pid=$!
fi
t_boot=
verdict=
while kill -0 "$qemu_pid" 2> /dev/null; do
	sleep 2
	if [ -z "$t_boot" ] && grep -q 'HS-VM-RUNNER: start' "$console"; then
		t_boot=$(($(now) - t1))
		printf 'check-vm: guest booted in %ss, running %s\n' "$t_boot" "$script" >&2
	fi
	if grep -qiE 'emergency mode|Kernel panic' "$console"; then
		verdict="the guest did not boot (emergency mode or kernel panic)"
		kill "$qemu_pid" 2> /dev/null
		break
	fi
done
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=
[ -n "$tail_pid" ] && kill "$tail_pid" 2> /dev/null
t_total_vm=$(($(now) - t1))
[ "$qemu_rc" = 124 ] && verdict="the guest did not finish within ${timeout_s}s (HS_VM_TIMEOUT)"

rm -rf "$results"
mkdir -p "$results"
cp "$console" "$results/console.log"
cp "$work/qemu.log" "$results/qemu.log"
for f in output.log journal.log exit-code; do
	[ -f "$share/$f" ] && cp "$share/$f" "$results/$f"
done
[ -d "$share/artifacts" ] && cp -r "$share/artifacts" "$results/"
[ "${HS_VM_KEEP:-0}" = 1 ] && mv "$work/overlay.qcow2" "$results/overlay.qcow2"

guest_rc=
[ -f "$share/exit-code" ] && guest_rc=$(cat "$share/exit-code")
if [ -z "$verdict" ] && [ -z "$guest_rc" ]; then
	verdict="the guest powered off without a result (qemu exit $qemu_rc)"
fi

# Count the TAP stream as tests/run-tests.sh does; print it, with the diagnostics of failures.
passed=0 failed=0 skipped=0
if [ -f "$share/output.log" ]; then
	while IFS= read -r line; do
		case $line in
		"not ok"*"# TODO"* | "not ok"*"# todo"*) skipped=$((skipped + 1)) ;;
		"not ok"*"# SKIP"* | "not ok"*"# skip"*) skipped=$((skipped + 1)) ;;
		"not ok"*) failed=$((failed + 1)) ;;
		"ok"*"# SKIP"* | "ok"*"# skip"*) skipped=$((skipped + 1)) ;;
		"ok"*) passed=$((passed + 1)) ;;
		esac
	done < "$share/output.log"
	cat "$share/output.log"
fi
if [ -n "$verdict" ]; then
	printf 'FAIL check-vm: %s; the last lines of the serial console:\n' "$verdict"
	tail -n 40 "$console" | sed 's/^/# /'
	failed=$((failed + 1))
elif [ "$guest_rc" != 0 ] && [ "$failed" = 0 ]; then
	printf 'FAIL check-vm: %s exited %s without a failing test\n' "$script" "$guest_rc"
	failed=$((failed + 1))
fi

printf 'check-vm: timing: image %ss, boot %ss, guest run %ss in all (accel %s); logs in %s\n' \
	"$t_image" "${t_boot:-?}" "$t_total_vm" "$accel" "$results" >&2
if [ "$skipped" -gt 0 ]; then
	printf '%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
else
	printf '%s passed, %s failed\n' "$passed" "$failed"
fi
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
