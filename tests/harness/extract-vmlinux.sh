#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# extract-vmlinux.sh BZIMAGE - writes the uncompressed ELF kernel inside a
# bzImage to stdout.  Debian's 6.1 kernels carry an xz payload, 6.12 a zstd
# one; the first offset whose stream decompresses to an ELF image wins.
set -euo pipefail
img=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

try() {	# offset decompressor
	tail -c +"$(($1 + 1))" "$img" | $2 > "$tmp" 2>/dev/null || true
	[ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]
}

mapfile -t offs < <(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$img" | cut -d: -f1)
for off in "${offs[@]}"; do
	try "$off" "xz -dc" && { cat "$tmp"; exit 0; }
done
mapfile -t offs < <(LC_ALL=C grep -aboP '\x28\xb5\x2f\xfd' "$img" | cut -d: -f1)
for off in "${offs[@]}"; do
	try "$off" "zstd -qdc" && { cat "$tmp"; exit 0; }
done
echo "extract-vmlinux: no ELF payload found in $img" >&2
exit 1
