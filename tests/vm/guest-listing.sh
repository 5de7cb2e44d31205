#!/bin/bash
# Runs in the VM: an independent file-by-file record of the tree in the current directory (no homesetup code),
# written to OUT.meta, OUT.links, OUT.sha256, OUT.xattr and OUT.acl, each sorted by path so that two listings
# of the same tree on different file systems (ext4, btrfs, a homed directory) compare with diff.
#   guest-listing.sh OUT          the home's contents: '.' itself and homed's ./.identity are left out
#   guest-listing.sh OUT --root   also the top directory's own mode, owner and mtime (for a rollback)
# Used before a migration on /home/USER, and after it through `homectl with USER -- guest-listing.sh OUT`.
set -euo pipefail
export LC_ALL=C
out=$1

# Type, mode, owner, size (not for directories: their size is the file system's business), mtime with
# nanoseconds, link count (files only) and symlink target.
find . -mindepth 1 -path ./.identity -prune -o \
	-type d -printf '%P\td %m %U:%G - %T@\n' -o \
	-type l -printf '%P\tl %m %U:%G %s %T@ -> %l\n' -o \
	-printf '%P\t%y %m %U:%G %s %T@ n=%n\n' | sort > "$out.meta"
if [ "${2:-}" = --root ]; then
	stat -c '.\t%F %a %u:%g %.9Y' . >> "$out.meta"
fi

# Hardlink groups: the paths sharing an inode, one group per line.
find . -path ./.identity -prune -o -type f -links +1 -printf '%i\t%P\n' | sort -t "$(printf '\t')" -k1,1n -k2,2 |
	awk -F '\t' '$1 != last { if (NR > 1) print line; line = $2; last = $1; next } { line = line "|" $2 }
		END { if (NR > 0) print line }' | sort > "$out.links"

# Contents.
find . -path ./.identity -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum > "$out.sha256"

# Every extended attribute (user.*, and the system.posix_acl_* ones as bytes), one "path<TAB>name=value" line
# each. Symlinks are left out: Linux allows no user xattrs on them.
find . -mindepth 1 -path ./.identity -prune -o ! -type l -print0 | sort -z |
	xargs -0 -r getfattr -h -d -m - -e hex 2> /dev/null |
	awk '/^# file: / { f = substr($0, 9); next } NF { print f "\t" $0 }' | sort > "$out.xattr"

# ACLs in getfacl's words, for the files and directories that have more than the base entries.
find . -mindepth 1 -path ./.identity -prune -o \( -type f -o -type d \) -print0 | sort -z |
	xargs -0 -r getfacl -P -n --skip-base 2> /dev/null |
	awk '/^# file: / { f = substr($0, 9); next } NF { print f "\t" $0 }' | sort > "$out.acl"
