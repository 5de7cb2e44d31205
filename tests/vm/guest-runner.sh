#!/bin/bash
# Installed in the VM image as /usr/local/sbin/hs-vm-runner and started at boot by hs-vm-runner.service
# (see build-image.sh). It runs the test script the host put on the virtio-9p share, writes its output and
# exit status back to the share, saves the journal of this boot for the host, and powers the VM off.
#   /mnt/hs/entry        name of the script to run (relative to /mnt/hs), written by run.sh
#   /mnt/hs/output.log   the script's stdout and stderr (also copied to the serial console)
#   /mnt/hs/exit-code    its exit status, written last
#   /mnt/hs/journal.log  journalctl -b of this boot
set -u
share=/mnt/hs

say() { printf 'HS-VM-RUNNER: %s\n' "$*"; }

finish() {
	sync
	say "powering off"
	systemctl poweroff --no-block
	exit "$1"
}

if ! mountpoint -q "$share"; then
	say "the share $share is not mounted (was the VM started with the virtio-9p device tagged 'hs'?)"
	finish 1
fi
if ! entry=$(cat "$share/entry" 2> /dev/null) || [ ! -f "$share/$entry" ]; then
	say "no test script named by $share/entry"
	echo 2 > "$share/exit-code"
	finish 1
fi

say "start $entry (systemd $(systemctl --version | head -n1 | cut -d' ' -f2), kernel $(uname -r))"
cd /root || finish 1
rc=0
HS_SHARE=$share bash "$share/$entry" 2>&1 | tee "$share/output.log"
rc=${PIPESTATUS[0]}
say "exit $rc"
journalctl -b --no-pager -o short-monotonic > "$share/journal.log" 2>&1
echo "$rc" > "$share/exit-code.tmp" && mv "$share/exit-code.tmp" "$share/exit-code"
finish 0
