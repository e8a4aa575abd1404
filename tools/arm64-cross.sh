#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# arm64-cross.sh - what this (amd64) machine needs to cross-build the
# module and libgnttab-ext for arm64, from Debian's own packages, none of
# them installed: they are downloaded and unpacked under $XT_BUILD/arm64
# (default build/arm64):
#
#   headers/  Debian's arm64 kernel headers, one root for all kernels:
#             linux-headers-KVER (arm64), its -common part and the amd64
#             linux-kbuild of the same version (the headers' scripts link
#             then finds host fixdep and modpost);
#   cross/    the cross compiler (gcc-N-aarch64-linux-gnu, N what the
#             headers were built with, and binutils), the arm64 C library
#             (Debian's *-arm64-cross packages) and libdrm (arm64), used
#             as the compiler's --sysroot.
#
# The compiler cannot be installed: Debian's cross compilers conflict with
# gcc-multilib, which the 32-bit tests need.  It runs from where it was
# unpacked: GCC finds its own parts relative to itself, binutils find
# their libraries through LD_LIBRARY_PATH, and the kernel's build runs
# aarch64-linux-gnu-gcc-N from PATH (Debian's 6.12 headers force that
# CROSS_COMPILE); "run" sets up both.
#
#   arm64-cross.sh [fetch]       'make deps-arm64': resolves the kernels, fetches
#                                what is missing or outdated (idempotent)
#   arm64-cross.sh kver SERIES   the newest fetched release of SERIES
#                                ("6.1" or "6.12"), or nothing
#   arm64-cross.sh kdir KVER     the build tree of a fetched release
#   arm64-cross.sh run CMD...    runs CMD with the compiler on PATH
#   arm64-cross.sh bin           the compiler's directory, or nothing if
#                                it is not fetched
#   arm64-cross.sh cc            the compiler's name (aarch64-linux-gnu-gcc-N)
#   arm64-cross.sh sysroot       the sysroot for userspace builds
#
# The kernels are resolved at run time, as deps.sh resolves the amd64
# ones: the 6.1 series is whatever linux-image-arm64 depends on now, the
# 6.12 series the newest linux-headers-6.12.*+deb12-arm64 the apt sources
# offer.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
B=${XT_BUILD:-build}
case $B in /*) ;; *) B=$TOP/$B ;; esac
HDRS=$B/arm64/headers
CROSS=$B/arm64/cross
STAMP=.arm64-cross-ok
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

kdir() {
	echo "$HDRS/usr/src/linux-headers-$1"
}

# Prints the wanted releases, e.g. "6.1.0-57-arm64 6.12.117+deb12-arm64".
resolve() {
	local k61 k612
	k61=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	      awk '/Depends: linux-image-6\.1\./ {print $2; exit}')
	k61=${k61%:arm64}
	k612=$(apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
	       grep -E '^linux-headers-6\.12\.[0-9]+\+deb12-arm64$' |
	       sort -V | tail -n 1)
	[ -n "$k61" ] || return 1
	echo "${k61#linux-image-}" ${k612:+"${k612#linux-headers-}"}
}

# The candidate version of package $1 (name[:arch]).
version() {
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk '/^Version:/ {print $2; exit}'
}

# download DIR PKG=VER...: the .debs, into DIR (emptied first).
download() {
	local dir=$1
	shift
	rm -rf "$dir" && mkdir -p "$dir"
	# As root into a directory _apt cannot write: say who downloads.
	(cd "$dir" && apt-get download -qq \
		-o APT::Sandbox::User="$(id -un)" "$@")
}

# fetch_kernel KVER: its three packages, unpacked into $HDRS.
fetch_kernel() {
	local kver=$1 hdr=linux-headers-$1 ver deps common kbuild d
	local debs=$B/arm64/debs/$1

	ver=$(version "$hdr:arm64")
	deps=$(apt-cache show --no-all-versions "$hdr:arm64" |
	       awk '/^Depends:/ {print; exit}')
	common=$(grep -oE 'linux-headers-[^ ,:]+-common' <<< "$deps" | head -n 1)
	kbuild=$(grep -oE 'linux-kbuild-[^ ,:]+' <<< "$deps" | head -n 1)
	if [ -z "$ver" ] || [ -z "$common" ] || [ -z "$kbuild" ]; then
		echo "arm64-cross: cannot resolve the packages of $hdr" >&2
		return 1
	fi
	echo "arm64-cross: fetching $hdr $common $kbuild:amd64 ($ver)"
	download "$debs" "$hdr:arm64=$ver" "$common=$ver" "$kbuild:amd64=$ver"
	mkdir -p "$HDRS"
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$HDRS"
	done
	rm -rf "$debs"
	# The headers' Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $HDRS/usr/src/|" "$(kdir "$kver")/Makefile"
	if ! grep -qx "include $HDRS/usr/src/$common/Makefile" "$(kdir "$kver")/Makefile" ||
	   [ ! -x "$(kdir "$kver")/scripts/mod/modpost" ]; then
		echo "arm64-cross: $(kdir "$kver") is not a usable build tree" >&2
		return 1
	fi
	touch "$(kdir "$kver")/$STAMP"
}

# The toolchain and sysroot packages, as PKG:ARCH=VER lines.
cross_pkgs() {
	local gcc out
	local -a pkgs
	gcc=$(sed -n 's/.*(CROSS_COMPILE)gcc-\([0-9][0-9]*\).*/\1/p' \
		"$(kdir "$1")/.kernelvariables" | head -n 1)
	[ -n "$gcc" ] || return 1
	pkgs=("gcc-$gcc-aarch64-linux-gnu" "cpp-$gcc-aarch64-linux-gnu"
	      binutils-aarch64-linux-gnu "libgcc-$gcc-dev-arm64-cross"
	      libgcc-s1-arm64-cross libc6-arm64-cross libc6-dev-arm64-cross
	      linux-libc-dev-arm64-cross libdrm2:arm64 libdrm-dev:arm64)
	out=$(apt-cache show --no-all-versions "${pkgs[@]}" 2> /dev/null |
	      awk '/^Package:/ {p = $2} /^Version:/ {v = $2}
		   /^Architecture:/ {a = $2}
		   /^$/ {if (p) print p ":" a "=" v; p = ""}')
	if [ "$(wc -l <<< "$out")" -ne ${#pkgs[@]} ]; then
		echo "arm64-cross: not all of ${pkgs[*]} are offered" >&2
		return 1
	fi
	echo "$out"
}

fetch_cross() {
	local want d debs=$B/arm64/debs/cross

	want=$(cross_pkgs "$1") || return 1
	if [ -e "$CROSS/$STAMP" ] && [ "$(cat "$CROSS/$STAMP")" = "$want" ]; then
		return 0
	fi
	echo "arm64-cross: fetching the cross compiler and sysroot: ${want//$'\n'/ }"
	# shellcheck disable=SC2086 # one package per word
	download "$debs" $want
	rm -rf "$CROSS" && mkdir -p "$CROSS"
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$CROSS"
	done
	rm -rf "$debs"
	echo "$want" > "$CROSS/$STAMP"
	# It must run from here: compile (cc1), assemble (as) and link.
	if ! echo 'int main(void) { return 0; }' |
	     run "$(cross_cc)" --sysroot="$CROSS" -x c - -o "$CROSS/.check"; then
		echo "arm64-cross: the unpacked $(cross_cc) does not work" >&2
		rm -f "$CROSS/$STAMP"
		return 1
	fi
	rm -f "$CROSS/.check"
}

# run CMD...: CMD with the unpacked compiler and binutils usable.
run() {
	local libs

	libs=$CROSS/usr/lib/$(gcc -print-multiarch)
	PATH=$CROSS/usr/bin:$PATH \
	LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"
}

# The compiler's name, from the stamp's gcc package.
cross_cc() {
	sed -n 's/^gcc-\([0-9][0-9]*\)-\(aarch64-linux-gnu\):.*/\2-gcc-\1/p' \
		"$CROSS/$STAMP" 2> /dev/null
}

fetch() {
	local kvers k
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "arm64-cross: adding the arm64 architecture to dpkg"
		$SUDO dpkg --add-architecture arm64
	fi
	if ! kvers=$(resolve); then
		echo "arm64-cross: updating the package lists"
		$SUDO apt-get update -qq
		kvers=$(resolve) || {
			echo "arm64-cross: cannot resolve the arm64 kernels" >&2
			return 1
		}
	fi
	for k in $kvers; do
		[ -e "$(kdir "$k")/$STAMP" ] || fetch_kernel "$k"
	done
	fetch_cross "${kvers%% *}"
	rmdir "$B/arm64/debs" 2> /dev/null || true
	case $kvers in
	*6.12.*) ;;
	*) echo "arm64-cross: no linux-headers-6.12.*+deb12-arm64 offered" ;;
	esac
	echo "arm64-cross: present ($kvers; $(cross_cc))"
}

case ${1:-fetch} in
fetch)
	fetch
	;;
kver)
	series=${2:?series}
	for d in "$HDRS"/usr/src/linux-headers-"$series".*-arm64; do
		k=${d##*/linux-headers-}
		case $k in *-rt-arm64|*-cloud-arm64) continue ;; esac
		if [ -e "$d/$STAMP" ]; then echo "$k"; fi
	done | sort -V | tail -n 1
	;;
kdir)
	kdir "${2:?kver}"
	;;
run)
	shift
	if [ ! -e "$CROSS/$STAMP" ]; then
		echo "arm64-cross: no cross compiler in $CROSS: run 'make deps-arm64'" >&2
		exit 1
	fi
	run "$@"
	;;
bin)
	if [ -e "$CROSS/$STAMP" ]; then echo "$CROSS/usr/bin"; fi
	;;
cc)
	cross_cc
	;;
sysroot)
	echo "$CROSS"
	;;
*)
	echo "usage: $0 [fetch | kver SERIES | kdir KVER | run CMD... | bin | cc | sysroot]" >&2
	exit 2
	;;
esac
