#!/usr/bin/env bats
# homesetup keys export|import and move-plan: key files under their real names, modes, refusing a different
# key without --force, and the check of user records against the imported key (records signed here with
# openssl over the canonical JSON that python computes, independently of the C code).

load ../lib/common

KD=var/lib/systemd/home

setup() {
	command -v openssl > /dev/null || skip "openssl is not installed"
	A=$(hs_mkroot a)
	B=$(hs_mkroot b)
	mkdir -p "$A/$KD" "$B/$KD"
	keypair "$A/$KD"
	OUT="$BATS_TEST_TMPDIR/usb"
}

keypair() { # DIR: local.private + local.public as homed writes them (Ed25519, PKCS#8 / SPKI PEM)
	openssl genpkey -algorithm ed25519 -out "$1/local.private" 2> /dev/null
	openssl pkey -in "$1/local.private" -pubout -out "$1/local.public"
	chmod 0600 "$1/local.private" "$1/local.public"
}

fp() {
	printf 'SHA256:%s' "$(sha256sum "$1" | cut -d' ' -f1)"
}

mode() {
	stat -c '%a %u' "$1"
}

# sign_record PRIVATE PUBLIC OUT [JSON]: a user record signed the way homed signs it
sign_record() {
	local priv=$1 pub=$2 out=$3 json=${4:-'{"userName":"alice","uid":60001,"realName":"Alice \u00c9","disposition":"regular","perMachine":[{"matchMachineId":["x"],"diskSize":1}],"privileged":{"hashedPassword":["$6$x$y"]},"binding":{"m":{"imagePath":"/home/alice.home"}},"status":{"m":{"state":"inactive"}}}'}
	printf '%s' "$json" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for k in ("secret", "binding", "status", "signature"):
    d.pop(k, None)
sys.stdout.write(json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
' > "$BATS_TEST_TMPDIR/signable"
	openssl pkeyutl -sign -rawin -inkey "$priv" -in "$BATS_TEST_TMPDIR/signable" -out "$BATS_TEST_TMPDIR/sig"
	printf '%s' "$json" | python3 -c '
import base64, json, sys
d = json.loads(sys.stdin.read())
sig = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
d["signature"] = [{"data": sig, "key": open(sys.argv[2]).read()}]
open(sys.argv[3], "w").write(json.dumps(d, indent=2))
' "$BATS_TEST_TMPDIR/sig" "$pub" "$out"
}

@test "export: local.public and local.private copied with modes 0644/0600; again: unchanged" {
	hs --root "$A" keys export "$OUT"
	assert_status 0
	assert_output_contains "local.private: $A/$KD/local.private -> $OUT/local.private (0600): written"
	assert_output_contains "local.public: $A/$KD/local.public -> $OUT/local.public (0644): written"
	assert_output_contains "$(fp "$A/$KD/local.private")"
	assert_files_equal "$A/$KD/local.private" "$OUT/local.private"
	assert_files_equal "$A/$KD/local.public" "$OUT/local.public"
	[ "$(mode "$OUT/local.private")" = "600 0" ] || fail "private: $(mode "$OUT/local.private")"
	[ "$(mode "$OUT/local.public")" = "644 0" ] || fail "public: $(mode "$OUT/local.public")"
	[ "$(stat -c %a "$OUT")" = 700 ]
	hs --root "$A" keys export "$OUT" --json
	assert_status 0
	assert_json "[f['action'] for f in d['files']] == ['unchanged', 'unchanged'] and d['ok']"
}

@test "export: a different key in DIR is refused with both fingerprints; --force replaces it" {
	mkdir -p "$OUT"
	keypair "$OUT"
	cp "$OUT/local.private" "$BATS_TEST_TMPDIR/theirs"
	hs --root "$A" keys export "$OUT"
	assert_status 1
	assert_output_contains "refused"
	assert_output_contains "$(fp "$A/$KD/local.private")  (the key offered)"
	assert_output_contains "$(fp "$BATS_TEST_TMPDIR/theirs")  (the key in place, kept)"
	assert_files_equal "$BATS_TEST_TMPDIR/theirs" "$OUT/local.private"
	hs --root "$A" keys export "$OUT" --force
	assert_status 0
	assert_files_equal "$A/$KD/local.private" "$OUT/local.private"
	[ "$(mode "$OUT/local.private")" = "600 0" ]
}

@test "export: no key pair yet → a clear error" {
	rm "$A/$KD/local.private"
	hs --root "$A" keys export "$OUT"
	assert_status 2
	assert_stderr_contains "local.private does not exist: systemd-homed has no key pair yet"
	[ ! -e "$OUT/local.public" ]
}

@test "import: round trip into another root, modes, root-owned; the record is verified with the key" {
	hs --root "$A" keys export "$OUT"
	sign_record "$A/$KD/local.private" "$A/$KD/local.public" "$B/$KD/alice.identity"
	hs --root "$B" keys import "$OUT" --json
	assert_status 0
	assert_json "[(f['name'], f['mode'], f['action']) for f in d['files']] == [('local.private', '0600', 'written'), ('local.public', '0644', 'written')]"
	assert_json "[(r['user'], r['verdict']) for r in d['records']] == [('alice', 'verified')]"
	assert_files_equal "$A/$KD/local.private" "$B/$KD/local.private"
	assert_files_equal "$A/$KD/local.public" "$B/$KD/local.public"
	[ "$(mode "$B/$KD/local.private")" = "600 0" ]
	[ "$(mode "$B/$KD/local.public")" = "644 0" ]
	hs --root "$B" keys import "$OUT"
	assert_status 0
	assert_output_contains "local.private: $OUT/local.private -> $B/$KD/local.private (0600): unchanged"
	assert_output_contains "homed reads its keys when it starts: systemctl restart systemd-homed.service"
}

@test "import: a different pair in place is refused (fingerprints shown, nothing written); --force replaces" {
	hs --root "$A" keys export "$OUT"
	keypair "$B/$KD"
	cp "$B/$KD/local.private" "$BATS_TEST_TMPDIR/b.private"
	cp "$B/$KD/local.public" "$BATS_TEST_TMPDIR/b.public"
	hs --root "$B" keys import "$OUT"
	assert_status 1
	assert_output_contains "$(fp "$OUT/local.private")  (the key offered)"
	assert_output_contains "$(fp "$BATS_TEST_TMPDIR/b.private")  (the key in place, kept)"
	assert_output_contains "give --force only when that is meant"
	assert_files_equal "$BATS_TEST_TMPDIR/b.private" "$B/$KD/local.private"
	assert_files_equal "$BATS_TEST_TMPDIR/b.public" "$B/$KD/local.public"
	hs --root "$B" keys import "$OUT" --force --pretend
	assert_status 0
	assert_output_contains "would-write"
	assert_files_equal "$BATS_TEST_TMPDIR/b.private" "$B/$KD/local.private"
	hs --root "$B" keys import "$OUT" --force
	assert_status 0
	assert_output_contains "(the key replaced)"
	assert_files_equal "$OUT/local.private" "$B/$KD/local.private"
}

@test "import --trust NAME: only the public key, as NAME.public; this machine's pair stays" {
	hs --root "$A" keys export "$OUT"
	keypair "$B/$KD"
	cp "$B/$KD/local.private" "$BATS_TEST_TMPDIR/b.private"
	sign_record "$A/$KD/local.private" "$A/$KD/local.public" "$B/$KD/alice.identity"
	sign_record "$B/$KD/local.private" "$B/$KD/local.public" "$B/$KD/bob.identity" '{"userName":"bob","uid":60002}'
	hs --root "$B" keys import "$OUT" --trust oldhost --json
	assert_status 0
	assert_json "[(f['name'], f['action']) for f in d['files']] == [('oldhost.public', 'written')]"
	assert_json "sorted((r['user'], r['verdict']) for r in d['records']) == [('alice', 'verified'), ('bob', 'other-key')]"
	assert_files_equal "$A/$KD/local.public" "$B/$KD/oldhost.public"
	[ "$(mode "$B/$KD/oldhost.public")" = "644 0" ]
	assert_files_equal "$BATS_TEST_TMPDIR/b.private" "$B/$KD/local.private"
	# the same records when the pair is replaced: bob's record would no longer be accepted
	hs --root "$B" keys import "$OUT" --force --user bob
	assert_status 1
	assert_output_contains "other-key"
	hs --root "$B" keys import "$OUT" --trust local
	assert_status 2
	assert_stderr_contains "invalid --trust name 'local'"
}

@test "import: a tampered record fails verification; an unsigned one is reported; --record checks a file" {
	hs --root "$A" keys export "$OUT"
	sign_record "$A/$KD/local.private" "$A/$KD/local.public" "$BATS_TEST_TMPDIR/alice.json"
	sed 's/Alice/Mallory/' "$BATS_TEST_TMPDIR/alice.json" > "$B/$KD/alice.identity"
	hs --root "$B" keys import "$OUT" --json
	assert_status 1
	assert_json "[(r['user'], r['verdict']) for r in d['records']] == [('alice', 'bad-signature')]"
	hs --root "$B" keys import "$OUT" --json --record "$BATS_TEST_TMPDIR/alice.json" --user nobody
	assert_status 0
	assert_json "[(r['path'], r['verdict']) for r in d['records']] == [('$BATS_TEST_TMPDIR/alice.json', 'verified')]"
	printf '{"userName":"carl"}' > "$B/$KD/carl.identity"
	hs --root "$B" keys import "$OUT" --user carl
	assert_status 1
	assert_output_contains "unsigned: the record is not signed at all"
}

@test "import: files that are not keys, or missing, are refused before anything is written" {
	mkdir -p "$OUT"
	echo "not a key" > "$OUT/local.private"
	cp "$A/$KD/local.public" "$OUT/local.public"
	hs --root "$B" keys import "$OUT"
	assert_status 2
	assert_stderr_contains "local.private: not a PEM \"PRIVATE KEY\""
	[ ! -e "$B/$KD/local.public" ]
	rm "$OUT/local.private"
	hs --root "$B" keys import "$OUT"
	assert_status 2
	assert_stderr_contains "give --trust NAME"
	hs keys
	assert_status 2
	hs keys export
	assert_status 2
}

@test "move-plan: numbered steps with the real key names, the record's image and UID, and the Portage side" {
	hs_write "$A" "$KD/alice.identity" '{"userName":"alice","uid":60001,"binding":{"m":{"imagePath":"/home/alice.home","storage":"luks"}}}'
	hs --root "$A" move-plan alice
	assert_status 0
	assert_output_contains "Moving alice's home to a new machine (image /home/alice.home, UID 60001)"
	assert_output_contains "On the old machine:"
	assert_output_contains "On the new machine:"
	assert_output_contains "  1. Log the user out and deactivate the home cleanly"
	assert_output_contains "homesetup keys export /mnt/usb/homed-keys"
	assert_output_contains "local.public and local.private"
	assert_output_contains "cp /var/lib/portage/world /mnt/usb/world"
	assert_output_contains "tar -C /etc -czf /mnt/usb/etc-portage.tar.gz portage"
	assert_output_contains "rsync -a --sparse --progress /home/alice.home NEWHOST:/home/alice.home"
	assert_output_contains "getent passwd 60001    # must print nothing"
	assert_output_contains "systemctl restart systemd-homed.service"
	[[ $output != *"private.local"* || $output == *"not public.local/private.local"* ]]
	hs --root "$A" move-plan alice --json
	assert_json "d['uid'] == 60001 and d['image'] == '/home/alice.home' and [s['n'] for s in d['steps']] == list(range(1, len(d['steps']) + 1)) and
		{s['where'] for s in d['steps']} == {'old', 'new'} and any('emerge --ask --noreplace' in c for s in d['steps'] for c in s['commands'])"
	hs --root "$B" move-plan bob --json
	assert_status 0
	assert_json "d['uid'] is None and d['image'] == '/home/bob.home' and 'no readable record' in d['notes'][0]"
	hs move-plan 'bad user'
	assert_status 2
}
