#!/usr/bin/env bats
# homesetup image inspect: homed-shaped LUKS images built in temp dirs without device-mapper or loop devices
# (truncate + sfdisk for the GPT, cryptsetup luksFormat on a partition-sized file placed at the partition's
# offset with dd conv=notrunc, cryptsetup token import for a homed-like token), inspected and compared field by
# field with `cryptsetup luksDump --dump-json-metadata`, `blkid -p -o export` and `sfdisk --json`; then every
# kind of damage or foreign layout, each a finding with homed's own message, and never a write to the image.

load ../lib/common

HOMED_TYPE=773f91ef-66d4-49b5-bd83-d683bf40ad16
NO_LABEL='Failed to validate disk label: Package not installed'

setup() {
	local t
	for t in sfdisk cryptsetup blkid python3 truncate dd; do
		command -v "$t" > /dev/null || skip "$t is not installed (needed to build the test images)"
	done
	T=$BATS_TEST_TMPDIR
	printf 'correct horse' > "$T/key"
	cat > "$T/token.json" <<-'EOF'
		{"type":"systemd-homed","keyslots":[],"record":"bm90IHJlYWxseSBlbmNyeXB0ZWQ=","iv":"MDEyMzQ1Njc4OWFiY2RlZg=="}
	EOF
}

# luks FILE SIZE [luksFormat options…]: a LUKS2 volume in a file of SIZE (fast PBKDF2 unless overridden).
luks() {
	local file=$1 size=$2
	shift 2
	truncate -s "$size" "$file"
	cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$T/key" "$@" "$file"
}

# gpt IMG NAME: a 24 MiB image with homed's GPT: one partition of homed's type named NAME at 1 MiB (22 MiB).
gpt() {
	truncate -s 24M "$1"
	printf 'label: gpt\nstart=2048, size=45056, type=%s, name="%s"\n' "$HOMED_TYPE" "$2" | sfdisk -q "$1"
}

# place PART IMG: the partition file into the image at 1 MiB, without touching the rest.
place() {
	dd if="$1" of="$2" bs=1M seek=1 conv=notrunc status=none
}

# homed_image IMG USER [luksFormat options…]: what homed creates for USER, built by hand; the partition's
# LUKS2 volume stays in IMG.part for luksDump.
homed_image() {
	local img=$1 user=$2
	shift 2
	gpt "$img" "$user"
	luks "$img.part" 22M --label "$user" --subsystem systemd-home "$@"
	cryptsetup token import --json-file "$T/token.json" "$img.part"
	place "$img.part" "$img"
}

# compare OUR.json IMG PART OFFSET: every field of --json against luksDump, blkid and sfdisk.
compare() {
	cryptsetup luksDump --dump-json-metadata "$3" > "$T/dump.json"
	blkid -p -o export -O "$4" "$2" > "$T/blkid-luks"
	blkid -p -o export "$2" > "$T/blkid-disk" || true
	sfdisk --json "$2" > "$T/sfdisk.json" 2> /dev/null || echo '{}' > "$T/sfdisk.json"
	python3 - "$1" "$T/dump.json" "$T/blkid-luks" "$T/blkid-disk" "$T/sfdisk.json" "$4" <<-'EOF'
		import json, sys
		ours = json.load(open(sys.argv[1])); dump = json.load(open(sys.argv[2]))
		def export(p):
		    return dict(l.split('=', 1) for l in open(p).read().splitlines() if '=' in l)
		bl, bd = export(sys.argv[3]), export(sys.argv[4])
		sf = json.load(open(sys.argv[5])).get('partitiontable', {})
		off = int(sys.argv[6])
		bad = []
		def eq(what, a, b):
		    if a != b: bad.append('%s: homesetup %r, reference %r' % (what, a, b))
		l = ours['luks']
		eq('luks.offset', l['offset'], off)
		eq('luks.version', str(l['version']), bl.get('VERSION'))
		eq('luks.uuid', l['uuid'], bl.get('UUID'))
		eq('luks.label', l['label'] or None, bl.get('LABEL'))
		eq('luks.subsystem', l['subsystem'] or None, bl.get('SUBSYSTEM'))
		seg = dump['segments']['0']
		eq('cipher-mode', '%s-%s' % (l['cipher'], l['cipher_mode']), seg['encryption'])
		eq('sector_size', l['sector_size'], seg['sector_size'])
		eq('data_offset', l['data_offset'], int(seg['offset']))
		eq('metadata_size', l['metadata_size'], int(dump['config']['json_size']) + 4096)
		eq('keyslots_size', l['keyslots_size'], int(dump['config']['keyslots_size']))
		bound = [k for d in dump['digests'].values() if '0' in d['segments'] for k in d['keyslots']]
		eq('volume_key_size', l['volume_key_size'], dump['keyslots'][bound[0]]['key_size'] if bound else 0)
		eq('keyslot numbers', [k['slot'] for k in l['keyslots']], sorted(int(k) for k in dump['keyslots']))
		for k in l['keyslots']:
		    d = dump['keyslots'][str(k['slot'])]
		    eq('keyslot %d key_size' % k['slot'], k['key_size'], d['key_size'])
		    eq('keyslot %d state' % k['slot'], k['state'], 'active' if str(k['slot']) in bound else 'unbound')
		    for key, val in d['kdf'].items():
		        if key != 'salt':
		            eq('keyslot %d kdf.%s' % (k['slot'], key), k['kdf'].get(key), val)
		    eq('keyslot %d kdf keys' % k['slot'], sorted(k['kdf']), sorted(x for x in d['kdf'] if x != 'salt'))
		eq('token ids', [t['id'] for t in l['tokens']], sorted(int(t) for t in dump['tokens']))
		for t in l['tokens']:
		    d = dump['tokens'][str(t['id'])]
		    eq('token %d type' % t['id'], t['type'], d['type'])
		    eq('token %d keys' % t['id'], t['keys'], list(d.keys()))
		    eq('token %d homed' % t['id'], t['homed'], d['type'] == 'systemd-homed')
		if ours['table_type'] is not None or bd.get('PTTYPE'):
		    eq('table_type', ours['table_type'], bd.get('PTTYPE'))
		    eq('table_uuid', ours['table_uuid'], bd.get('PTUUID'))
		if sf:
		    eq('table_uuid (sfdisk)', ours['table_uuid'], sf['id'].lower())
		    parts = sf.get('partitions', [])
		    eq('partition count', len(ours['partitions']), len(parts))
		    for p, s in zip(ours['partitions'], parts):
		        n = p['number']
		        eq('partition %d number' % n, str(n), s['node'][len(sf['device']):])
		        eq('partition %d offset' % n, p['offset'], s['start'] * 512)
		        eq('partition %d size' % n, p['size'], s['size'] * 512)
		        eq('partition %d type' % n, p['type'], s['type'].lower())
		        eq('partition %d uuid' % n, p['uuid'], s['uuid'].lower())
		        eq('partition %d name' % n, p['name'], s.get('name'))
		for b in bad: print(b)
		sys.exit(1 if bad else 0)
	EOF
}

# inspect ARGS…: inspect ARGS…, keeping the report in $REPORT for has_finding.
inspect() {
	hs --json image inspect "$@"
	REPORT=$output
}

# has_finding ID: the report in $REPORT has a finding ID; prints it (as JSON) for further checks.
has_finding() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
f = [x for x in d["findings"] if x["id"] == sys.argv[1]]
if not f:
    print("no finding %s in %s" % (sys.argv[1], [x["id"] for x in d["findings"]])); sys.exit(1)
print(json.dumps(f[0]))' "$1" <<< "$REPORT"
}

@test "a homed-shaped image: every field agrees with luksDump, blkid and sfdisk; exit 0" {
	homed_image "$T/alice.home" alice
	inspect "$T/alice.home"
	assert_status 0
	printf '%s' "$output" > "$T/ours.json"
	compare "$T/ours.json" "$T/alice.home" "$T/alice.home.part" 1048576
	assert_json 'd["status"] == "OK" and d["findings"] == [] and d["user"] == "alice" and d["home_partition"] == 1'
	assert_json 'd["device"] == "file" and d["size"] == 24 * 1024 * 1024 and d["dirty"]["set"] is False'
	assert_json 'd["partitions"][0]["homed_type"] and d["partitions"][0]["content"] == "crypto_LUKS"'
	assert_json 'd["luks"]["tokens"][0]["version"] == 1 and d["luks"]["tokens"][0]["keys"] == ["type", "keyslots", "record", "iv"]'
	assert_json 'd["luks"]["keyslots"][0]["kdf"] == {"type": "pbkdf2", "hash": "sha256", "iterations": 1000}'

	hs image inspect "$T/alice.home"
	assert_status 0
	assert_output_contains 'partition 1 "alice": type 773f91ef-66d4-49b5-bd83-d683bf40ad16 (Linux user'"'"'s home)'
	assert_output_contains 'label "alice", subsystem "systemd-home"'
	assert_output_contains 'keyslot 0 (active, 512-bit key): pbkdf2 sha256, 1000 iterations'
	assert_output_contains 'token 0: systemd-homed, released format (type, keyslots, record, iv;'
	assert_output_contains 'looks like a healthy homed image'
}

@test "homed's defaults: aes-xts-plain64 with a 256-bit key, Argon2id and PBKDF2 keyslots, two tokens" {
	gpt "$T/bob.home" bob
	luks "$T/bob.part" 22M --label bob --subsystem systemd-home --cipher aes-xts-plain64 --key-size 256 \
		--sector-size 512 --pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32768 --pbkdf-parallel 1
	printf 'second' > "$T/key2"
	cryptsetup luksAddKey --batch-mode --key-file "$T/key" --pbkdf pbkdf2 --pbkdf-force-iterations 1001 \
		--hash sha512 "$T/bob.part" "$T/key2"
	printf '{"type":"other","keyslots":["1"],"x":1}' > "$T/other.json"
	cryptsetup token import --json-file "$T/other.json" "$T/bob.part"
	cryptsetup token import --json-file "$T/token.json" "$T/bob.part"
	place "$T/bob.part" "$T/bob.home"
	inspect "$T/bob.home"
	assert_status 0
	printf '%s' "$output" > "$T/ours.json"
	compare "$T/ours.json" "$T/bob.home" "$T/bob.part" 1048576
	assert_json 'd["luks"]["volume_key_size"] == 32 and d["luks"]["sector_size"] == 512'
	assert_json 'd["luks"]["keyslots"][0]["kdf"] == {"type": "argon2id", "time": 4, "memory": 32768, "cpus": 1}'
	assert_json 'd["luks"]["keyslots"][1]["kdf"] == {"type": "pbkdf2", "hash": "sha512", "iterations": 1001}'
	assert_json '[t["homed"] for t in d["luks"]["tokens"]] == [False, True] and d["luks"]["tokens"][0]["version"] is None'
	hs image inspect "$T/bob.home"
	assert_output_contains 'keyslot 0 (active, 256-bit key): argon2id, time cost 4, memory 32768 KiB, 1 thread'
	assert_output_contains 'cipher aes-xts-plain64, volume key 256 bits, sector size 512'
}

@test "USER: /home/USER.home inside ROOT" {
	root=$(mktemp -d "$T/root.XXXXXX")
	mkdir -p "$root/home"
	homed_image "$root/home/carol.home" carol
	hs --root "$root" --json image inspect carol
	assert_status 0
	assert_json 'd["path"] == "/home/carol.home" and d["user"] == "carol" and d["status"] == "OK"'
	hs --root "$root" image inspect dave
	assert_status 2
	assert_stderr_contains '/home/dave.home: no such image in'
	hs --root "$root" image inspect carol --user dave
	assert_status 2
	assert_stderr_contains 'names another user'
}

@test "the image is never written: a damaged primary LUKS2 header is repaired only in homesetup's copy" {
	homed_image "$T/erin.home" erin
	# Break the primary JSON area (its checksum then fails); the secondary copy at 16 KiB is intact.
	printf 'X' | dd of="$T/erin.home" bs=1 seek=$((1048576 + 4096 + 100)) conv=notrunc status=none
	before=$(sha256sum < "$T/erin.home")
	inspect "$T/erin.home"
	assert_status 0
	assert_json 'd["luks"]["label"] == "erin" and d["status"] == "OK"'
	[ "$(sha256sum < "$T/erin.home")" = "$before" ] || fail "the image changed"
	# cryptsetup itself would repair the header in place: homesetup must not have.
	printf 'X' | cmp -s - <(dd if="$T/erin.home" bs=1 skip=$((1048576 + 4096 + 100)) count=1 status=none) ||
		fail "the damaged byte was repaired in the image"
}

@test "dirty: the user.home-dirty xattr is a warning with homed's fsck messages and a safe repair" {
	homed_image "$T/frank.home" frank
	setfattr -n user.home-dirty -v 1 "$T/frank.home" 2> /dev/null || skip "no user xattrs on $T (or no setfattr)"
	inspect "$T/frank.home"
	assert_status 1
	assert_json 'd["dirty"]["set"] is True and d["status"] == "WARN"'
	run has_finding dirty
	[ "$status" -eq 0 ] || fail "$output"
	[[ $output == *'File system is corrupted, refusing.'* ]] || fail "$output"
	[[ $output == *'cryptsetup open /dev/loopNp1 homesetup-repair'* ]] || fail "$output"
	[[ $output == *'never the name home-USER'* ]] || fail "$output"
}

@test "partition named after another user: homed's disk label error, with the rename" {
	homed_image "$T/img" grace
	inspect "$T/img" --user heidi
	assert_status 1
	assert_json 'd["home_partition"] is None and d["luks"]["label"] == "grace"'
	run has_finding partition-name
	[ "$status" -eq 0 ] || fail "$output"
	[[ $output == *"\"homed\": \"$NO_LABEL\""* ]] || fail "$output"
	[[ $output == *'sgdisk --change-name=1:heidi IMAGE'* ]] || fail "$output"
	run has_finding label
	[ "$status" -eq 0 ] || fail "$output"
}

@test "LUKS2 directly at offset 0 is accepted, as homed does" {
	luks "$T/ivan.home" 20M --label ivan --subsystem systemd-home
	cryptsetup token import --json-file "$T/token.json" "$T/ivan.home"
	inspect "$T/ivan.home"
	assert_status 0
	printf '%s' "$output" > "$T/ours.json"
	compare "$T/ours.json" "$T/ivan.home" "$T/ivan.home" 0
	assert_json 'd["superblock"] == "crypto_LUKS" and d["table_type"] is None and d["home_partition"] is None'
}

@test "foreign layouts: nothing, an MBR, a swap area in the partition, LUKS1, no homed token" {
	truncate -s 8M "$T/zero"
	inspect "$T/zero" --user judy
	assert_status 1
	run has_finding no-gpt
	[ "$status" -eq 0 ] || fail "$output"

	truncate -s 8M "$T/mbr"
	printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$T/mbr"
	inspect "$T/mbr" --user judy
	assert_status 1
	assert_json 'd["table_type"] == "dos" and d["partitions"][0]["type"] == "0x83"'
	run has_finding no-gpt
	[[ $output == *'a partition table of type \"dos\"'* ]] || fail "$output"

	if command -v mkswap > /dev/null; then
		gpt "$T/swap" judy
		truncate -s 22M "$T/swap.part"
		mkswap -q "$T/swap.part" > /dev/null
		place "$T/swap.part" "$T/swap"
		inspect "$T/swap"
		assert_status 1
		assert_json 'd["partitions"][0]["content"] == "swap" and d["luks"] is None'
		run has_finding not-luks
		[[ $output == *'holds a file system of type \"swap\"'* ]] || fail "$output"
		[[ $output == *'Failed to load LUKS superblock: Invalid argument'* ]] || fail "$output"
	fi

	gpt "$T/l1" judy
	truncate -s 22M "$T/l1.part"
	cryptsetup luksFormat --batch-mode --type luks1 --pbkdf-force-iterations 1000 --key-file "$T/key" "$T/l1.part"
	place "$T/l1.part" "$T/l1"
	inspect "$T/l1"
	assert_status 1
	assert_json 'd["luks"]["version"] == 1 and d["luks"]["uuid"] == "'"$(cryptsetup luksUUID "$T/l1.part")"'"'
	run has_finding luks1
	[ "$status" -eq 0 ] || fail "$output"

	gpt "$T/notok" judy
	luks "$T/notok.part" 22M --label judy --subsystem systemd-home
	place "$T/notok.part" "$T/notok"
	inspect "$T/notok"
	assert_status 1
	run has_finding no-homed-token
	[[ $output == *"Couldn't find home record in LUKS2 header, refusing."* ]] || fail "$output"
}

@test "not homed's: another label and subsystem are warnings; a token without iv is homed's error" {
	gpt "$T/k" karl
	luks "$T/k.part" 22M --label someone --subsystem other
	printf '{"type":"systemd-homed","keyslots":[],"record":"eA=="}' > "$T/noiv.json"
	cryptsetup token import --json-file "$T/noiv.json" "$T/k.part"
	place "$T/k.part" "$T/k"
	inspect "$T/k" --user karl
	assert_status 1
	run has_finding label
	[ "$status" -eq 0 ] || fail "$output"
	run has_finding subsystem
	[ "$status" -eq 0 ] || fail "$output"
	run has_finding homed-token-incomplete
	[[ $output == *"LUKS token lacks 'iv' field."* ]] || fail "$output"
}

@test "a hostile token: huge type, many keys, control characters — capped and escaped" {
	gpt "$T/m" mallory
	luks "$T/m.part" 22M --label mallory --subsystem systemd-home --luks2-metadata-size 256k
	python3 - "$T/hostile.json" <<-'EOF'
		import json, sys
		t = {"type": "\u0001evil" + "A" * 20000, "keyslots": []}
		for i in range(100):
		    t["k%03d" % i] = "\u001b[31m" * 10
		json.dump(t, open(sys.argv[1], "w"))
	EOF
	cryptsetup token import --json-file "$T/hostile.json" "$T/m.part"
	cryptsetup token import --json-file "$T/token.json" "$T/m.part"
	place "$T/m.part" "$T/m"
	inspect "$T/m"
	assert_status 0
	assert_json 'd["luks"]["tokens"][0]["type"].startswith("\\x01evilAAA") and len(d["luks"]["tokens"][0]["type"]) <= 140'
	assert_json 'len(d["luks"]["tokens"][0]["keys"]) == 32 and d["luks"]["tokens"][0]["json_size"] > 20000'
	assert_json 'd["luks"]["tokens"][1]["homed"]'
	hs image inspect "$T/m"
	[[ $output != *$'\e'* && $output != *$'\x01'* ]] || fail "control characters reached the terminal"
}

@test "a GPT with a bad CRC: a warning when the backup saved it, homed's error when not" {
	homed_image "$T/n" nina
	cp "$T/n" "$T/n2"
	# Flip one byte of the primary header's CRC field (LBA 1, offset 16).
	printf '\xa5' | dd of="$T/n" bs=1 seek=$((512 + 16)) conv=notrunc status=none
	inspect "$T/n"
	assert_status 1
	assert_json 'd["table_type"] == "gpt" and d["status"] == "WARN" and d["luks"]["label"] == "nina"'
	[ "$(blkid -p -o value -s PTTYPE "$T/n")" = gpt ] || fail "blkid disagrees"
	run has_finding gpt-primary-damaged
	[ "$status" -eq 0 ] || fail "$output"

	# Both headers: libblkid sees only the protective MBR.
	printf '\xa5' | dd of="$T/n2" bs=1 seek=$((512 + 16)) conv=notrunc status=none
	printf '\xa5' | dd of="$T/n2" bs=1 seek=$((24 * 1024 * 1024 - 512 + 16)) conv=notrunc status=none
	inspect "$T/n2"
	assert_status 1
	assert_json 'd["table_type"] == "'"$(blkid -p -o value -s PTTYPE "$T/n2")"'" and d["table_type"] != "gpt"'
	run has_finding gpt-damaged
	[[ $output == *"$NO_LABEL"* ]] || fail "$output"
}

@test "a truncated image: the finding names the sizes; the backup GPT header is damaged too" {
	homed_image "$T/o" oscar
	uuid=$(sfdisk --part-uuid "$T/o" 1 | tr 'A-Z' 'a-z')
	truncate -s 20M "$T/o"
	inspect "$T/o"
	assert_status 1
	# libblkid rejects the GPT (its backup header is gone); the primary entries still lead to the LUKS header.
	assert_json 'd["table_type"] != "gpt" and d["partitions_source"] == "gpt" and d["luks"]["label"] == "oscar"'
	assert_json 'd["home_partition"] is None and d["luks"]["offset"] == 1048576'
	assert_json 'd["partitions"][0]["uuid"] == "'"$uuid"'" and d["partitions"][0]["name"] == "oscar"'
	run has_finding truncated
	[[ $output == *'the image is 20971520 bytes, but its GPT describes a disk of 25165824 bytes'* ]] || fail "$output"
	[[ $output == *"$NO_LABEL"* ]] || fail "$output"

	homed_image "$T/p" oscar
	printf '\xa5' | dd of="$T/p" bs=1 seek=$((24 * 1024 * 1024 - 512 + 16)) conv=notrunc status=none
	inspect "$T/p"
	assert_status 1
	run has_finding gpt-backup-damaged
	[ "$status" -eq 0 ] || fail "$output"
}

@test "a LUKS2 header libcryptsetup refuses: its reason, and what homed says" {
	homed_image "$T/q" quinn
	# Break both metadata copies.
	printf 'X' | dd of="$T/q" bs=1 seek=$((1048576 + 4096 + 100)) conv=notrunc status=none
	printf 'X' | dd of="$T/q" bs=1 seek=$((1048576 + 16384 + 4096 + 100)) conv=notrunc status=none
	inspect "$T/q"
	assert_status 1
	assert_json 'd["luks"]["label"] == "quinn" and d["luks"]["cipher"] is None'
	run has_finding luks-unreadable
	[[ $output == *'Failed to load LUKS superblock: '* ]] || fail "$output"
}

@test "errors: a directory, a missing file, a FIFO, usage" {
	hs image inspect "$T"
	assert_status 2
	assert_stderr_contains 'is a directory'
	hs image inspect "$T/missing"
	assert_status 2
	assert_stderr_contains 'No such file or directory'
	mkfifo "$T/fifo"
	hs image inspect "$T/fifo"
	assert_status 2
	assert_stderr_contains 'not a regular file or block device'
	hs image
	assert_status 2
	hs image frobnicate
	assert_status 2
	assert_stderr_contains "unknown image command 'frobnicate'"
	hs image inspect
	assert_status 2
	hs image inspect 'a/../b' --user ''
	assert_status 2
	hs help image
	assert_status 0
	assert_output_contains 'Usage: homesetup image inspect PATH|USER'
}
