/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rule table of `homesetup doctor` (included by doctor_rules.c only; the rest of the library, the tests and
 * the fuzzer reach it through hs_doctor_row(), hs_doctor_rule_count() and hs_doctor_rule_get()).
 *
 * One row per message: { rule id, PCRE2 pattern, diagnosis, fix template }. A new message homed or homework
 * logs for a known problem is one more row with the same id and the same DIAG_/FIX_ macros. Patterns are
 * matched against the MESSAGE field of the journal entries of systemd-homed.service and systemd-homework, in
 * byte mode (no UTF-8 check: journal text may be binary), anchored on both ends. Named groups feed the
 * template: (?<user>…) the user name, (?<dm>…) a device-mapper name or node, (?<fs>…) a file system type;
 * captured values are used only when they are plain names (see diagnose.c), never pasted into a command as
 * they came.
 *
 * Rows with a NULL pattern are never matched against journal text: they carry the text of findings derived
 * from other evidence (the home's state on the bus, the kind of its image path).
 *
 * Which user a message concerns is decided in diagnose.c, not here: a capture, homed's state change that closes
 * the operation a failure line reports, or the worker PID of the one home with an operation running. A rule
 * whose texts never use {user} is about systemd-homed as a whole (key-perms) and is reported whoever is asked
 * about; any other rule's evidence is reported for USER only when it is attributed to USER.
 *
 * The first line of a diagnosis is the finding's one-line summary. Fix templates are commands for the admin,
 * one per line, with these placeholders filled per finding:
 *   {user}      the user name ("USER" when the evidence does not name one)
 *   {image}     the home's image path from its record (/var/lib/systemd/home/USER.identity), else /home/USER.home
 *   {fsckname}  the device-mapper name for a manual repair: homesetup-fsck-USER, never homed's home-USER
 *   {fsck}      the check command for the record's file system (btrfs check, e2fsck -f, xfs_repair, fsck -f)
 *   {dm}        the device-mapper name from the message, else home-USER
 *   {volume}    the block device(s) holding a home on a partition or LVM volume (--volume, or the record)
 *   {space}     free-space figures of the file system holding the image (statvfs), and the image's size
 *   {imagedir}  the directory holding {image}
 *   {minfree}   the free space the discard update needs on that file system (HS_DOCTOR_MIN_FREE)
 *   {freenote}  what is free there now, compared with {minfree}; or how much to free when it is not known
 *   {fspkg}     the Gentoo package with the fsck of the file system named in the message
 *   {dropin}    /etc/systemd/system/systemd-homed.service.d/homesetup-kpartx.conf
 *
 * Quoted messages are the format strings of systemd's src/home/ (homework-luks.c, homed-home.c,
 * homed-manager.c, homed-manager-bus.c); where releases differ, the pattern accepts each variant.
 */
#ifndef HOMESETUP_DOCTOR_RULES_H
#define HOMESETUP_DOCTOR_RULES_H

/* hs_doctor_rule is declared in homesetupP.h. */

/* ---- the texts ------------------------------------------------------------------------------------------ */

#define DIAG_FS_DIRTY \
	"The file system in {user}'s home image needs a check.\n" \
	"The home was not deactivated cleanly (homed marks the image with the user.home-dirty xattr while it is " \
	"active, and reports the state 'dirty' while the mark is left), or fsck found errors it could not correct " \
	"(homed runs 'fsck -aTl' on every activation and refuses with \"File system is corrupted, refusing.\"). " \
	"Activating once runs that check; when it refuses, repair the file system by hand under a device-mapper " \
	"name of your own, never homed's home-{user}: a mapping left open under that name makes every later " \
	"activation fail with \"Device mapper device /dev/mapper/home-{user} already exists, refusing.\"."
#define FIX_FS_DIRTY \
	"homectl deactivate {user}    # when it is still active; log the user out first\n" \
	"losetup -fP --show {image}    # prints the loop device, e.g. /dev/loop0\n" \
	"cryptsetup open /dev/loop0p1 {fsckname}    # the partition p1 of that loop device; asks for the password\n" \
	"{fsck} /dev/mapper/{fsckname}\n" \
	"cryptsetup close {fsckname}    # close it again before activating: homed must find the image unused\n" \
	"losetup -d /dev/loop0\n" \
	"homectl activate {user}"

#define DIAG_FSCK_MISSING \
	"homed cannot check the {fs} file system of {user}'s home: no fsck for it is installed.\n" \
	"homework skips the check (\"No fsck for file system {fs} installed, ignoring.\"), so a home that was not " \
	"deactivated cleanly is mounted unchecked."
#define FIX_FSCK_MISSING \
	"emerge --ask --oneshot {fspkg}"

#define DIAG_ABSENT_VOLUME \
	"{user}'s home is 'absent': homed cannot see the partition inside its volume.\n" \
	"A LUKS home on an LVM logical volume (or another device-mapper device) gets a GPT written inside the " \
	"volume, but the kernel does not scan partition tables on device-mapper devices, so the " \
	"/dev/disk/by-uuid link homed waits for never appears (\"Device link … still hasn't shown up, giving up.\") " \
	"and the home stays absent (systemd issue #15273). kpartx maps the partition by hand; the drop-in runs it " \
	"before systemd-homed starts, at every boot."
#define FIX_ABSENT_VOLUME \
	"kpartx -av {volume}\n" \
	"homectl activate {user}\n" \
	"homesetup doctor {user} --write    # writes {dropin} (ExecStartPre=-/sbin/kpartx -av per volume); then: systemctl daemon-reload"

#define DIAG_ABSENT_IMAGE \
	"{user}'s home is 'absent': its image {image} is not there.\n" \
	"homed reports a home as absent when the image file of its record does not exist: the file system " \
	"holding it is not mounted, the disk is not plugged in, or the file was moved or renamed."
#define FIX_ABSENT_IMAGE \
	"findmnt --target {image}    # is the file system holding the image mounted?\n" \
	"ls -l {image}\n" \
	"homectl activate {user}"

/* homectl update opens an inactive LUKS home and writes the new record into the LUKS header and into the home's
 * file system, i.e. into the sparse image: with 0 bytes free on the file system holding it, that write fails with
 * EIO (the kernel logs "critical space allocation error"); with 64 MiB free a real homed took the update and then
 * activated. 64 MiB: up to 16 MiB of LUKS2 header area, and a margin for the file system inside. */
#define HS_DOCTOR_MIN_FREE (UINT64_C(64) << 20)

#define DIAG_NO_SPACE \
	"Not enough disk space to activate {user}'s home.\n" \
	"Without discard, homework allocates the whole image with fallocate() on every activation (\"Not enough " \
	"disk space to fully allocate home.\"); on a full file system (or on btrfs, which reserves the whole range, " \
	"systemd issue #20960) activation then fails with \"Not enough disk space for home {user}\". With " \
	"--luks-discard=true --luks-offline-discard=true the image stays sparse and is trimmed instead. That update " \
	"itself opens the home and writes the new record into the image, though: with no space left on the file " \
	"system holding the image, the write fails with an I/O error (the kernel logs \"critical space allocation " \
	"error\"). So free at least {minfree} on that file system first (the LUKS2 header area takes up to 16 MiB; " \
	"the rest is a margin for the file system inside the image), then update and activate. {space}"
#define FIX_NO_SPACE \
	"df -h {imagedir}    # {freenote}\n" \
	"homectl update {user} --luks-discard=true --luks-offline-discard=true    # only with at least {minfree} " \
	"free: on a full file system this write into the sparse image fails with an I/O error\n" \
	"homectl activate {user}"

#define DIAG_BAD_PASSWORD \
	"No password given for {user}'s home unlocked it.\n" \
	"homework tries every supplied password against the record's hashed passwords and the LUKS keyslots " \
	"(\"No valid password for LUKS superblock.\"); homed then reports \"Password for home {user} is incorrect or " \
	"not sufficient for authentication.\" (older releases: \"Activation failed: Required key not available\"). " \
	"A password changed while the home was not active, or on another machine, may still be the old one in the " \
	"image's LUKS header: try the previous password too. Failed attempts are counted and rate-limited."
#define FIX_BAD_PASSWORD \
	"homectl activate {user}    # the password (or recovery key) the home was last unlocked with\n" \
	"homectl inspect {user}    # 'Bad Auth.' counts the failures, 'Passwords' says what is configured\n" \
	"homectl passwd {user}    # once it is unlocked, to set the password everywhere again"

#define DIAG_DM_LEFTOVER \
	"A device-mapper mapping named {dm} is in the way of {user}'s home.\n" \
	"homed opens the LUKS volume as /dev/mapper/home-{user} and refuses to activate while a mapping of that " \
	"name exists (\"Device mapper device /dev/mapper/home-{user} already exists, refusing.\"). It is usually left " \
	"over from a manual 'cryptsetup open' under homed's own name, or from a crash. Close it only when nothing " \
	"uses it: no mount, no holder, open count 0."
#define FIX_DM_LEFTOVER \
	"dmsetup info {dm}    # 'Open count: 0' means nothing uses it\n" \
	"findmnt /dev/mapper/{dm}    # must print nothing; else unmount it first\n" \
	"cryptsetup close {dm}    # or: dmsetup remove {dm}\n" \
	"losetup -j {image}    # a loop device still attached to the image: losetup -d /dev/loopN\n" \
	"homectl activate {user}"

#define DIAG_SIGNING_KEY \
	"{user}'s user record is not signed by a key this machine trusts.\n" \
	"homed accepts a record signed by its own key (/var/lib/systemd/home/local.private) or by a trusted public " \
	"key (*.public in /etc/systemd/home, /run/systemd/home, /var/lib/systemd/home, /usr/local/lib/systemd/home, " \
	"/usr/lib/systemd/home; local.public itself is never read). A home moved from another machine is signed by " \
	"that machine's key: install its public key under another name to allow logging in, or both of its keys to " \
	"allow changing the record too (this replaces this machine's pair)."
#define FIX_SIGNING_KEY \
	"homesetup keys export DIR    # on the machine the home came from: its local.public and local.private\n" \
	"homesetup keys import DIR --trust OLDHOST    # here: trust its public key, as OLDHOST.public (login only)\n" \
	"homesetup keys import DIR --force    # or: take over both keys (login and changes)\n" \
	"systemctl restart systemd-homed.service    # homed reads the keys when it starts"

#define DIAG_KEY_PERMS \
	"homed refuses a key file: wrong owner or mode.\n" \
	"The private key must be a regular file owned by root with no group or other access (\"Private key file is " \
	"readable by more than the root user\"; homed then does not start); a trusted public key must be owned by " \
	"root and not writable by group or others (\"Public key file … is writable by more than the root user, " \
	"refusing.\")."
#define FIX_KEY_PERMS \
	"chown root:root /var/lib/systemd/home/local.private && chmod 0600 /var/lib/systemd/home/local.private\n" \
	"chown root:root /var/lib/systemd/home/*.public && chmod 0644 /var/lib/systemd/home/*.public\n" \
	"systemctl restart systemd-homed.service"

/* ---- the table: one line per message ---------------------------------------------------------------------- */

static const hs_doctor_rule hs_doctor_rules[] = {
	{ "fs-dirty", "^File system is corrupted, refusing\\.$", DIAG_FS_DIRTY, FIX_FS_DIRTY },
	{ "fs-dirty", NULL /* home1 state "dirty" */, DIAG_FS_DIRTY, FIX_FS_DIRTY },
	{ "fsck-missing", "^No fsck for file system (?<fs>[a-z0-9_.-]+) installed, ignoring\\.$", DIAG_FSCK_MISSING, FIX_FSCK_MISSING },
	{ "absent-volume", "^Device link /dev/disk/by-uuid/[0-9a-fA-F-]+ still hasn't shown up, giving up\\.$", DIAG_ABSENT_VOLUME, FIX_ABSENT_VOLUME },
	{ "absent-volume", "^(?<user>[^\\s:]+): changing state [a-z-]+ (?:\\xe2\\x86\\x92|->) absent$", DIAG_ABSENT_VOLUME, FIX_ABSENT_VOLUME },
	{ "absent-volume", "^Home of user (?<user>\\S+) is currently absent, please plug in the necessary storage device or backing file system\\.$", DIAG_ABSENT_VOLUME, FIX_ABSENT_VOLUME },
	{ "absent-volume", NULL /* home1 state "absent" */, DIAG_ABSENT_VOLUME, FIX_ABSENT_VOLUME },
	{ "absent-image", NULL /* absent, and the record's image is a file */, DIAG_ABSENT_IMAGE, FIX_ABSENT_IMAGE },
	{ "no-space", "^(?:Activation|Operation on \\S+) failed: (?:Not enough disk space for home (?<user>\\S+)|No space left on device)$", DIAG_NO_SPACE, FIX_NO_SPACE },
	{ "no-space", "^Not enough disk space for home (?<user>\\S+)$", DIAG_NO_SPACE, FIX_NO_SPACE },
	{ "no-space", "^Not enough disk space to fully allocate home\\.$", DIAG_NO_SPACE, FIX_NO_SPACE },
	{ "no-space", "^Not enough disk space to allocate home of size .+\\.$", DIAG_NO_SPACE, FIX_NO_SPACE },
	{ "bad-password", "^No valid password for LUKS superblock\\.$", DIAG_BAD_PASSWORD, FIX_BAD_PASSWORD },
	{ "bad-password", "^Failed to unlocks? LUKS superblock: Required key not available$", DIAG_BAD_PASSWORD, FIX_BAD_PASSWORD },
	{ "bad-password", "^None of the supplied plaintext passwords unlocks? the user record's hashed (?:passwords(?: or recovery keys)?|recovery keys)\\.$", DIAG_BAD_PASSWORD, FIX_BAD_PASSWORD },
	{ "bad-password", "^(?:Activation|Authentication|Unlocking operation|Change operation|Fixation) failed: Password for home (?<user>\\S+) is incorrect or not sufficient(?: for authentication\\.|, and configured security token not found either\\.)$", DIAG_BAD_PASSWORD, FIX_BAD_PASSWORD },
	{ "bad-password", "^(?:Activation|Fixation) failed: Required key not available$", DIAG_BAD_PASSWORD, FIX_BAD_PASSWORD },
	{ "dm-leftover", "^Device mapper device (?:/dev/mapper/)?(?<dm>[^\\s/]+) already exists, refusing\\.$", DIAG_DM_LEFTOVER, FIX_DM_LEFTOVER },
	{ "signing-key", "^User record (?<user>[^\\s/]+)\\.identity is not signed (?:at all|by any accepted key), ignoring\\.$", DIAG_SIGNING_KEY, FIX_SIGNING_KEY },
	{ "signing-key", "^Home (?<user>\\S+) contains user record that is not signed (?:at all|by any known key), refusing\\.$", DIAG_SIGNING_KEY, FIX_SIGNING_KEY },
	{ "signing-key", "^User record (?<user>\\S+) is not signed (?:at all|by any known key), refusing\\.$", DIAG_SIGNING_KEY, FIX_SIGNING_KEY },
	{ "signing-key", "^Specified user record for (?<user>\\S+) is signed by a key we don't recognize, refusing\\.$", DIAG_SIGNING_KEY, FIX_SIGNING_KEY },
	{ "key-perms", "^Private key file is readable by more than the root user$", DIAG_KEY_PERMS, FIX_KEY_PERMS },
	{ "key-perms", "^Public key file \\S+ is writable by more than the root user, refusing\\.$", DIAG_KEY_PERMS, FIX_KEY_PERMS },
};

/* States org.freedesktop.home1 reports that are findings by themselves (evidence: the state). */
static const struct {
	const char *state;
	const char *rule;
} hs_doctor_state_rules[] = {
	{ "dirty", "fs-dirty" },
	{ "absent", "absent-volume" }, /* absent-image when the record's image is a file */
};

/* Failures that are part of a normal login when the same home is activated (or authenticated) soon after:
 * pam_systemd_home first asks homed without a password, so every PAM login of a homed user logs "None of the
 * supplied plaintext passwords unlock the user record's hashed passwords." and "Activation failed: Required key
 * not available" before the activation that works. Such a failure is not a finding when homed reports the same
 * home's operation succeeding (a state change into active) within the window: the time a person takes at the
 * password prompt. */
static const struct {
	const char *rule;
	uint64_t window_usec;
} hs_doctor_retry_rules[] = {
	{ "bad-password", UINT64_C(5) * 60 * 1000000 },
};

#endif /* HOMESETUP_DOCTOR_RULES_H */
