#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - 'make check-dkms': docs/install.md's steps, run as a
# user runs them, on this (development or CI) machine:
#   1. make deb, then apt-get install the xen-gntdev-dmabuf-dkms package:
#      DKMS builds, signs and installs the module for the 6.1 and the
#      6.12 kernel under updates/dkms, and modprobe resolves xen-gntdev
#      to it (modinfo: version xgd-VERSION);
#   2. the Xen machine boots a PV and a PVH dom0 with that installed
#      module (GNTDEV=installed), not the one `make module` built, and
#      runs the toolstack and dma-buf smoke tests on it;
#   3. apt-get purge: modprobe resolves xen-gntdev to Debian's own module
#      again, for both kernels;
#   4. the same without the package, for one kernel: make dkms, then
#      make dkms-remove.
# The boots use their own build directory (build-dkms), so no image cache
# of the ordinary runs ever holds the DKMS module.  Prints one line a
# check and a last line "N passed, N failed"; exit status 0 if none failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
v=$(cat VERSION)
pass=0 fail=0
ok() {
	if [ "$1" = 0 ]; then
		echo "PASS  host  dkms: $2"; pass=$((pass + 1))
	else
		echo "FAIL  host  dkms: $2"; fail=$((fail + 1))
	fi
}
kvers="$(tools/kver.sh 6.1) $(tools/kver.sh 6.12)"
log=build/dkms-check.log
mkdir -p build
: > "$log"

# ours KVER: modprobe would load our module, under updates/dkms.
ours() {
	local ver file
	ver=$(modinfo -k "$1" -F version xen-gntdev 2>/dev/null)
	file=$(modinfo -k "$1" -n xen-gntdev 2>/dev/null)
	echo "$file, version ${ver:-none}"
	[ "$ver" = "xgd-$v" ] && case $file in */updates/dkms/*) ;; *) false ;; esac
}
# stock KVER: modprobe would load Debian's module.
stock() {
	local ver file
	ver=$(modinfo -k "$1" -F version xen-gntdev 2>/dev/null)
	file=$(modinfo -k "$1" -n xen-gntdev 2>/dev/null)
	echo "$file"
	[ -z "$ver" ] && case $file in */kernel/drivers/xen/*) ;; *) false ;; esac
}

make --no-print-directory deb >> "$log" 2>&1
ok $? "make deb"
pkg=$(ls build/deb/xen-gntdev-dmabuf-dkms_"$v"_all.deb 2>/dev/null)
DEBIAN_FRONTEND=noninteractive apt-get install -y "./$pkg" >> "$log" 2>&1
ok $? "apt-get install ./$pkg"
for k in $kvers; do
	# The package's postinst builds for the running kernel; the others
	# as DKMS does for every kernel whose headers are installed.
	dkms status -m xen-gntdev-dmabuf -v "$v" -k "$k" | grep -q installed ||
		dkms install "xen-gntdev-dmabuf/$v" -k "$k" >> "$log" 2>&1
	where=$(ours "$k")
	ok $? "$k: modprobe loads $where"
done

out=$(make --no-print-directory check B=build-dkms GNTDEV=installed \
	MATRIX=6.1-pv,6.12-pvh XT_HOST_TESTS=0 \
	TESTS='toolstack,dmabuf-mmap,dmabuf-wait,dmabuf-events,lib-probe' 2>&1)
rc=$?
echo "$out" | grep -E '^(FAIL|# .*installed module)' | sed 's/^/    /'
summary=$(echo "$out" | tail -n 1)
[ $rc = 0 ] && echo "$summary" | grep -q ' 0 failed'
ok $? "the machine on the DKMS-installed module: $summary"

DEBIAN_FRONTEND=noninteractive apt-get purge -y xen-gntdev-dmabuf-dkms >> "$log" 2>&1
ok $? "apt-get purge xen-gntdev-dmabuf-dkms"
for k in $kvers; do
	where=$(stock "$k")
	ok $? "$k: after removal modprobe loads Debian's $where again"
done

# Without the package: make dkms, make dkms-remove (one kernel).
k=${kvers%% *}
make --no-print-directory dkms KVER="$k" >> "$log" 2>&1
ok $? "make dkms KVER=$k"
where=$(ours "$k")
ok $? "$k: modprobe loads $where"
make --no-print-directory dkms-remove >> "$log" 2>&1
where=$(stock "$k")
ok $? "make dkms-remove: modprobe loads Debian's $where again"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
