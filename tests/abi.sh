#!/usr/bin/env bash
# ABI checks on the built library (TAP): soname, version node, and that the exported functions are exactly
# the ones declared in libhomesetup/homesetup.h.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
lib="${HS_BUILD:-$top}/libhomesetup/libhomesetup.so.0"
echo "1..3"
if readelf -d "$lib" 2>/dev/null | grep -q 'SONAME.*\[libhomesetup\.so\.0\]'; then
	echo "ok 1 - soname is libhomesetup.so.0"
else
	echo "not ok 1 - soname is libhomesetup.so.0 ($lib)"
fi
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u)
declared=$(grep -oE '\bhs_[a-z0-9_]+\(' "$top/libhomesetup/homesetup.h" | tr -d '(' | sort -u)
if [ "$exported" = "$declared" ]; then
	echo "ok 2 - exported functions equal the declarations of homesetup.h ($(echo "$declared" | wc -l))"
else
	echo "not ok 2 - exported functions differ from homesetup.h"
	diff <(echo "$declared") <(echo "$exported") | sed 's/^/# /'
fi
if objdump -T "$lib" | grep -q 'HOMESETUP_0\.1'; then
	echo "ok 3 - symbols carry the HOMESETUP_0.1 version node"
else
	echo "not ok 3 - symbols carry the HOMESETUP_0.1 version node"
fi
