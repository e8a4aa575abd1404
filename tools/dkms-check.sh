#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - 'make check-dkms': docs/install.md's DKMS steps, run
# as a user runs them, on this (development or CI) machine:
#   1. make dkms for the 6.1 and the 6.12 kernel: DKMS builds, signs and
#      installs the module under updates/dkms, and modprobe now resolves
#      xen-gntdev to it (modinfo: version xgd-VERSION);
#   2. the Xen machine boots a PV and a PVH dom0 with that installed
#      module (GNTDEV=installed), not the one `make module` built, and
#      runs the toolstack and dma-buf smoke tests on it;
#   3. make dkms-remove: modprobe resolves xen-gntdev to Debian's own
#      module again, for both kernels.
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

for k in $kvers; do
	make --no-print-directory dkms KVER="$k" >> "$log" 2>&1
	ok $? "make dkms KVER=$k"
	ver=$(modinfo -k "$k" -F version xen-gntdev 2>/dev/null)
	file=$(modinfo -k "$k" -n xen-gntdev 2>/dev/null)
	case $file in */updates/dkms/*) where=0 ;; *) where=1 ;; esac
	[ "$ver" = "xgd-$v" ] && [ $where = 0 ]
	ok $? "$k: modprobe loads $file, version $ver (want xgd-$v under updates/dkms)"
done

out=$(make --no-print-directory check B=build-dkms GNTDEV=installed \
	MATRIX=6.1-pv,6.12-pvh XT_HOST_TESTS=0 \
	TESTS='toolstack,dmabuf-mmap,dmabuf-wait,dmabuf-events,lib-probe' 2>&1)
rc=$?
echo "$out" | grep -E '^(FAIL|# .*installed module)' | sed 's/^/    /'
summary=$(echo "$out" | tail -n 1)
[ $rc = 0 ] && echo "$summary" | grep -q ' 0 failed'
ok $? "the machine on the DKMS-installed module: $summary"

make --no-print-directory dkms-remove >> "$log" 2>&1
ok $? "make dkms-remove"
for k in $kvers; do
	ver=$(modinfo -k "$k" -F version xen-gntdev 2>/dev/null)
	file=$(modinfo -k "$k" -n xen-gntdev 2>/dev/null)
	case $file in */kernel/drivers/xen/*) where=0 ;; *) where=1 ;; esac
	[ -z "$ver" ] && [ $where = 0 ]
	ok $? "$k: after removal modprobe loads Debian's $file again"
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
