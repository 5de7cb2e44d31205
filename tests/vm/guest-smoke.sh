#!/bin/bash
# Runs in the VM as root (tests/vm/run.sh --smoke): proves the VM infrastructure without homesetup's migration
# code. homed creates users with directory and LUKS storage, PAM logs them in through pam_systemd_home, the
# upstream conversion procedure done by hand (rename, userdel, homectl create, homectl with rsync) keeps every
# file as the independent listings see it, and the built homesetup runs in the guest (image inspect, doctor).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/guest-lib.sh
. "$here/guest-lib.sh"

pw='Smoke-Test-Passw0rd!'
install_homesetup

t "the built homesetup finds all its libraries in the guest" bash -c "! ldd $HS | grep 'not found'"
t "homesetup --version runs in the guest" "$HS" --version
t "systemd-homed answers" wait_homed

# A homed user with directory storage, logged in through PAM.
t "homectl create smoke1 --storage=directory" \
	env NEWPASSWORD="$pw" homectl create smoke1 --storage=directory --real-name='Smoke One' \
	--enforce-password-policy=no
t "NSS resolves smoke1 through homed" bash -c "getent passwd smoke1 && userdbctl user smoke1 | grep -q io.systemd.Home"
t "PAM login of smoke1 with the right password" pam_login_homed smoke1 "$pw"
t "PAM login of smoke1 with a wrong password is refused" pam_login_fails smoke1 'wrong-password'

# The upstream procedure by hand for a traditional user with a realistic home (the listings must not move).
make_share_user
t "a traditional user trad with a yescrypt password" make_user trad 1001 "$pw" -c 'Trad User' -G users
fill_home trad acl
t "the listing of trad's home before" listing_before trad before
t "trad's home has ACLs and xattrs to keep" bash -c "grep -q 'user:1500:r' $HS_WORK/trad.before.acl && grep -q user.comment $HS_WORK/trad.before.xattr"
t "PAM login of the traditional user trad (pam_unix)" pam_login trad "$pw"
mv /home/trad /home/trad.saved
userdel trad
t "homectl create trad --uid=1001 --storage=directory" \
	timed "create (directory)" env NEWPASSWORD="$pw" homectl create trad --uid=1001 --real-name='Trad User' \
	--member-of=users --storage=directory --enforce-password-policy=no
t "homectl with trad -- rsync -aHAXUv" \
	timed "rsync (directory)" env PASSWORD="$pw" homectl with trad -- rsync -aHAXU --numeric-ids /home/trad.saved/ .
t "the listing of trad's homed home" listing_in_home trad "$pw" after
t "trad's files are identical, ACLs and xattrs included" compare_listings trad before after
t "PAM login of trad through homed" timed "PAM login (directory)" pam_login_homed trad "$pw"

# LUKS + ext4 with a fast KDF: dm-crypt, loop and the homed image format work in the guest.
t "homectl create lux --storage=luks --fs-type=ext4 (pbkdf2)" \
	timed "create (LUKS ext4 pbkdf2)" env NEWPASSWORD="$pw" homectl create lux --storage=luks --fs-type=ext4 \
	--disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-time-cost=10ms --enforce-password-policy=no
t "PAM login of lux (LUKS)" timed "PAM login (LUKS ext4)" pam_login_homed lux "$pw"
t "lux is deactivated after the login" wait_inactive lux
t "homesetup image inspect lux: a healthy homed image" "$HS" image inspect lux
uuid_hs=$("$HS" image inspect lux --json 2> /dev/null | jq -r '.luks.uuid // empty')
uuid_homed=$(homed_field lux '.binding[]?.luksUuid // empty' | head -n1)
t "image inspect's LUKS UUID is homed's ($uuid_homed)" test -n "$uuid_homed" -a "$uuid_hs" = "$uuid_homed"
"$HS" doctor > "$HS_WORK/doctor.out" 2>&1
rc=$?
t "homesetup doctor runs against the real homed (exit $rc)" test "$rc" -le 1
diag < "$HS_WORK/doctor.out"

save_artifact "$HS_WORK"
tap_done
