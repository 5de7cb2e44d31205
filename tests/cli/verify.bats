#!/usr/bin/env bats
# homesetup manifest and verify: a home copied with rsync -aHAX verifies clean (two trees, and a tree against a
# saved manifest); each single change (one byte, mode, owner, xattr, ACL, symlink target, hardlink, a file
# removed or added, the top directory) is reported and exits 1; copies without -A, -X or -H are caught;
# expected differences are named; the hashes are those of xxhsum -H2; errors exit 2 with the file and line.

load ../lib/common

setup() {
	command -v rsync > /dev/null || skip "rsync is not installed"
	H="$BATS_TEST_TMPDIR/home"
	C="$BATS_TEST_TMPDIR/copy"
	M="$BATS_TEST_TMPDIR/m.txt"
	make_home "$H"
}

# A home with what a home holds: nested files of several sizes, an empty file and directory, symlinks (one to
# /, never to be followed), a hardlink pair, a FIFO, xattrs, ACLs, a sparse file, odd names.
make_home() {
	local h=$1
	mkdir -p "$h/docs/deep/er" "$h/empty-dir" "$h/.config"
	printf 'hello\n' > "$h/docs/a.txt"
	head -c 100000 /dev/urandom > "$h/docs/deep/er/big.bin"
	: > "$h/.config/empty"
	printf 'linked' > "$h/docs/orig"
	ln "$h/docs/orig" "$h/docs/link"
	ln -s a.txt "$h/docs/sym"
	ln -s / "$h/escape"
	mkfifo "$h/pipe"
	truncate -s 4M "$h/sparse"
	printf 'x' > "$h/$(printf 'bad\377name')"
	printf 'y' > "$h/$(printf 'new\nline')"
	printf 'z' > "$h/with space"
	if command -v setfattr > /dev/null; then
		setfattr -n user.note -v "v1" "$h/docs/a.txt"
	fi
	if command -v setfacl > /dev/null; then
		setfacl -m u:1001:r "$h/docs/a.txt"
		setfacl -d -m u:1001:rx "$h/docs"
	fi
	chmod 0700 "$h"
	# rsync sets the mtime of a directory, symlink or FIFO it creates only when the whole seconds differ
	# (--modify-window=0): a tree made in the second it is copied would keep the copy's times
	find "$h" -depth -exec touch -h -d '2024-05-06 07:08:09.987654321' {} +
	touch -h -d '2024-01-02 03:04:05.123456789' "$h/docs/sym"
}

copy() {
	rsync -aHAX "$H/" "$C/"
}

@test "manifest: written 0600, one entry per path, hashes as xxhsum -H2 prints them" {
	hs manifest "$H" -o "$M"
	assert_status 0
	assert_output_contains "$H: "
	assert_output_contains "contents hashed (xxh3-128) -> $M"
	[ "$(stat -c %a "$M")" = 600 ] || fail "mode $(stat -c %a "$M")"
	[ "$(head -n 1 "$M")" = "homesetup-manifest 1 xxh3-128" ] || fail "header: $(head -n 1 "$M")"
	# . docs docs/a.txt docs/deep docs/deep/er docs/deep/er/big.bin docs/link docs/orig docs/sym empty-dir
	# .config .config/empty escape pipe sparse bad\377name new\nline "with space": 18 entries + the header
	[ "$(wc -l < "$M")" -eq 19 ] || fail "$(cat "$M")"
	grep -q '^escape l 0777 .* target=/$' "$M" || fail "the symlink to / is not recorded as one"
	! grep -q '^escape/' "$M" || fail "the symlink to / was followed"
	if grep -q '^docs/link f .* link=' "$M"; then fail "docs/link sorts before docs/orig: it heads the group"; fi
	grep -q '^docs/orig f .* link=docs/link ' "$M" || fail "hardlink group: $(grep '^docs/' "$M")"
	grep -q '^new\\x0aline f ' "$M" || fail "newline name"
	grep -q '^bad\\xffname f ' "$M" || fail "non-UTF-8 name"
	grep -q '^with\\x20space f ' "$M" || fail "space name"
	for f in docs/a.txt docs/deep/er/big.bin docs/orig sparse .config/empty; do
		want=$(xxhsum -H2 "$H/$f" | cut -d' ' -f1)
		got=$(grep "^$f f " "$M" | sed 's/.* hash=xxh3-128:\([0-9a-f]*\).*/\1/')
		[ "$want" = "$got" ] || fail "$f: manifest $got, xxhsum $want"
	done
	if command -v setfacl > /dev/null; then
		grep -q '^docs d .* dacl=user::rwx,user:1001:r-x,group::r-x,mask::r-x,other::r-x' "$M" || fail "$(grep '^docs ' "$M")"
		grep -q '^docs/a.txt f .* acl=user::rw-,user:1001:r--,group::r--,mask::r--,other::r-- xattr=user.note=7631$' "$M" ||
			fail "$(grep '^docs/a.txt ' "$M")"
	fi
}

@test "manifest --json and --no-hash; a missing directory is an error" {
	hs manifest "$H" -o "$M" --no-hash --json
	assert_status 0
	assert_json 'd["version"] == 1 and d["entries"] == 18 and d["hash"] is None and d["mount_points"] == [] and d["error"] is None'
	[ "$(head -n 1 "$M")" = "homesetup-manifest 1 none" ] || fail "header: $(head -n 1 "$M")"
	! grep -q 'hash=' "$M" || fail "hashes in a --no-hash manifest"
	hs manifest "$BATS_TEST_TMPDIR/nope" -o "$M"
	assert_status 2
	assert_stderr_contains "$BATS_TEST_TMPDIR/nope: No such file or directory"
	hs manifest "$H"
	assert_status 2
	assert_stderr_contains "say where to write it: -o FILE"
}

@test "a copy made with rsync -aHAX verifies clean: two trees, and against a manifest" {
	copy
	hs verify "$H" "$C"
	assert_status 0
	assert_output_contains "verified: 18 entries, every file's content compared"
	hs manifest "$H" -o "$M"
	assert_status 0
	hs verify --manifest "$M" "$C" --json
	assert_status 0
	assert_json 'd["verified"] is True and d["unexpected"] == 0 and d["differences"] == [] and d["contents_compared"] is True'
	assert_json 'd["old"]["kind"] == "manifest" and d["old"]["entries"] == 18 and d["new"]["kind"] == "tree"'
	# the new tree is read from inside it, as homectl with … runs it
	cd "$C"
	hs verify --manifest "$M" .
	assert_status 0
}

@test "one byte changed, same size and mtime: content" {
	copy
	printf 'j' | dd of="$C/docs/deep/er/big.bin" bs=1 seek=500 conv=notrunc status=none
	touch -r "$H/docs/deep/er/big.bin" "$C/docs/deep/er/big.bin"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * content  docs/deep/er/big.bin: xxh3-128:"
	assert_output_contains "NOT verified: 1 unexpected difference"
	[ "$(grep -c '^ \* ' <<< "$output")" -eq 3 ] || fail "more than one difference"
}

@test "mode, owner, xattr, ACL, symlink target, hardlink: each reported" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (chown)"
	command -v setfattr > /dev/null || skip "setfattr is not installed"
	copy
	chmod 0600 "$C/docs/a.txt"
	chown 1234:1234 "$C/with space"
	setfattr -n user.note -v "v2" "$C/docs/a.txt"
	setfacl -m u:1002:rwx "$C/.config/empty"
	ln -sfn orig "$C/docs/sym"
	touch -h -r "$H/docs/sym" "$C/docs/sym"
	cp -p "$C/docs/link" "$C/docs/link.new" && mv "$C/docs/link.new" "$C/docs/link"
	touch -r "$H/docs" "$C/docs"
	hs verify "$H" "$C" --json
	assert_status 1
	assert_json '[(x["path"], x["what"]) for x in d["differences"]] == [
		(".config/empty", "mode"), (".config/empty", "acl"),
		("docs/a.txt", "mode"), ("docs/a.txt", "xattr"), ("docs/a.txt", "acl"),
		("docs/link", "hardlink"), ("docs/orig", "hardlink"),
		("docs/sym", "link"), ("with space", "owner")]'
	assert_json 'all(x["expected"] is False and x["reason"] is None for x in d["differences"])'
	assert_json '[x["old"] for x in d["differences"] if x["what"] == "xattr"] == ["user.note=7631"]'
	assert_json '[x["new"] for x in d["differences"] if x["what"] == "owner"] == ["1234:1234"]'
	assert_json 'd["differences"][-2]["old"] == "a.txt" and d["differences"][-2]["new"] == "orig"'
	# (setfacl also widened the mask of the file's group bits, hence the mode of .config/empty)
}

@test "copies without -A, -X or -H are caught" {
	command -v setfacl > /dev/null || skip "setfacl is not installed"
	rsync -aHX "$H/" "$C/"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * acl      docs/a.txt: user::rw-,user:1001:r--,group::r--,mask::r--,other::r-- -> (none)"
	assert_output_contains " * acl      docs: default:user::rwx,default:user:1001:r-x"
	rm -rf "$C"
	rsync -aHA "$H/" "$C/"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * xattr    docs/a.txt: user.note=7631 -> (none)"
	rm -rf "$C"
	rsync -aAX "$H/" "$C/"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * hardlink docs/link: one of 2 hardlinked paths, the first docs/link -> not hardlinked within the tree"
}

@test "missing and extra entries; homed's .identity is expected and named" {
	copy
	printf '{}' > "$C/.identity"
	touch -r "$H" "$C"
	hs verify "$H" "$C"
	assert_status 0
	assert_output_contains " * extra    .identity (file)  [expected: homed's copy of the user record (~/.identity), written by homectl]"
	assert_output_contains "verified: 18 entries, every file's content compared (1 expected difference, named above)"
	rm "$C/pipe"
	printf 'new' > "$C/docs/new"
	touch -r "$H" "$C"
	touch -r "$H/docs" "$C/docs"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * extra    docs/new (file)"
	assert_output_contains " * missing  pipe (fifo)"
	assert_output_contains "NOT verified: 2 unexpected differences (1 expected difference, named above)"
	hs verify "$H" "$C" --expect-extra docs/new --json
	assert_status 1
	assert_json 'd["unexpected"] == 1 and d["expected"] == 2'
}

@test "the top directory; an announced ownership shift" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (chown)"
	copy
	chmod 0755 "$C"
	touch -r "$H" "$C"
	hs verify "$H" "$C"
	assert_status 1
	assert_output_contains " * mode     .: 0700 -> 0755"
	hs verify "$H" "$C" --ignore-top
	assert_status 0
	assert_output_contains " * mode     .: 0700 -> 0755  [expected: the top directory itself is not compared"
	rm -rf "$C"
	copy
	chown -hR 60123:60123 "$C"
	hs verify "$H" "$C"
	assert_status 1
	hs verify "$H" "$C" --uid-map "$(id -u):60123" --gid-map "$(id -g):60123" --json
	assert_status 0
	assert_json 'd["unexpected"] == 0 and d["expected"] == 18 and all(x["what"] == "owner" for x in d["differences"])'
	hs verify "$H" "$C" --uid-map 1:2:3
	assert_status 2
	assert_stderr_contains "--uid-map takes OLD:NEW"
}

@test "a manifest without hashes: metadata compared, contents not" {
	copy
	hs manifest "$H" -o "$M" --no-hash
	printf 'j' | dd of="$C/docs/deep/er/big.bin" bs=1 seek=500 conv=notrunc status=none
	touch -r "$H/docs/deep/er/big.bin" "$C/docs/deep/er/big.bin"
	hs verify --manifest "$M" "$C"
	assert_status 0
	assert_output_contains "verified: 18 entries, metadata only (no hashes to compare contents)"
	chmod 0600 "$C/docs/deep/er/big.bin"
	hs verify --manifest "$M" "$C"
	assert_status 1
}

@test "--progress=lines reports files and bytes on stderr" {
	copy
	hs manifest "$H" -o "$M"
	hs verify --manifest "$M" "$C" --progress=lines
	assert_status 0
	# shellcheck disable=SC2154 # set by bats' run --separate-stderr
	last=$(grep '^progress ' <<< "$stderr" | tail -n 1)
	bytes=$(($(stat -c %s "$H/docs/a.txt" "$H/docs/deep/er/big.bin" "$H/docs/orig" "$H/sparse" | paste -sd+)))
	# regular files (the hardlink pair once): a.txt big.bin orig sparse empty bad new "with space"
	[ "$last" = "progress 8 8 $((bytes + 3)) $((bytes + 3))" ] || fail "last progress line: '$last' (stderr: $stderr)"
	hs verify --manifest "$M" "$C" --progress=sometimes
	assert_status 2
}

@test "errors: a damaged manifest names the file and line; usage" {
	hs manifest "$H" -o "$M"
	head -n 5 "$M" > "$M.short"
	printf 'zzz f 0644 0 0 1 0 0.000000000 1\n' >> "$M.short"
	sed -i '3s/^\([^ ]*\) \([a-z]\) [0-7]/\1 \2 9/' "$M"
	hs verify --manifest "$M" "$H"
	assert_status 2
	assert_stderr_contains "$M:3: the mode is not 4 octal digits"
	hs verify --manifest "$M" "$H" --json
	assert_status 2
	assert_json 'd["verified"] is False and d["error"].startswith("'"$M"':3: ")'
	hs verify --manifest "$M.short" "$H"
	assert_status 2
	assert_stderr_contains "$M.short:6: a regular file without hash="
	hs verify --manifest "$BATS_TEST_TMPDIR/none.txt" "$H"
	assert_status 2
	assert_stderr_contains "$BATS_TEST_TMPDIR/none.txt: No such file or directory"
	hs verify "$H"
	assert_status 2
	assert_stderr_contains "name two trees, SAVED and NEW"
	hs verify "$H" "$BATS_TEST_TMPDIR/nope"
	assert_status 2
	assert_stderr_contains "$BATS_TEST_TMPDIR/nope: No such file or directory"
	hs verify --bogus "$H" "$H"
	assert_status 2
	hs help verify
	assert_status 0
	assert_output_contains "Usage: homesetup verify SAVED NEW"
}
