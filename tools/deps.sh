#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh - installs every Debian 12 package the build and the tests need
# ('make deps').  Idempotent: when everything is present it only checks and
# returns in seconds.
#
# The kernels are resolved at run time, never hard-coded: the 6.1 series is
# whatever linux-image-amd64 depends on now; the 6.12 series is the newest
# linux-image-6.12.*+deb12-amd64 that bookworm-security offers.  Each image
# comes with its exactly matching headers (vermagic).  The arm64 headers
# and cross compiler are not here: 'make deps-arm64' (tools/arm64-cross.sh)
# unpacks them under build/, installing nothing.
set -euo pipefail

BASE_PKGS="qemu-system-x86 xen-hypervisor-4.17-amd64 xen-utils-4.17
xenstore-utils busybox-static libxen-dev libdrm-dev gcc gcc-multilib
libc6-dev-i386 make cpio kmod zstd xz-utils sparse netpbm python3 shellcheck
pkg-config dkms gnuplot-nox"

export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

resolve_kernels() {
	local k61 k612
	k61=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      awk '/Depends: linux-image-6\.1\./ {print $2; exit}')
	k612=$(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
	       grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' | sort -V | tail -n 1)
	[ -n "$k61" ] && [ -n "$k612" ] || return 1
	KERNEL_PKGS="$k61 ${k61/linux-image/linux-headers} $k612 ${k612/linux-image/linux-headers}"
}

missing() {
	local p
	for p in $BASE_PKGS $KERNEL_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

KERNEL_PKGS=
if ! resolve_kernels || [ -n "$(missing)" ]; then
	echo "deps: updating the package lists"
	$SUDO apt-get update -qq
	resolve_kernels || { echo "deps: cannot resolve the 6.1/6.12 kernels" >&2; exit 1; }
	mapfile -t todo < <(missing)
	if [ ${#todo[@]} -gt 0 ]; then
		echo "deps: installing ${todo[*]}"
		$SUDO apt-get install -y -qq --no-install-recommends "${todo[@]}" > /dev/null
	fi
fi
echo "deps: all present (kernels: $(tools/kver.sh 6.1) $(tools/kver.sh 6.12))"
