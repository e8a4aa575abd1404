#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - 'make run': boots the Xen machine (6.1, PV dom0) and shows the
# cross-domain grant round trip with a short human-readable account: a
# domU grants pages, dom0 maps them through /dev/xen/gntdev, bytes cross
# both ways.  The full console log is kept and its path printed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export XT_BUILD=${XT_BUILD:-build}
KVER=$(tools/kver.sh 6.1)
if [ "${GNTDEV:-stock}" = ours ]; then
	make --no-print-directory -s module KVER="$KVER" || exit 1
	export XT_GNTDEV=$TOP/$XT_BUILD/module/$KVER/drivers/xen/xen-gntdev.ko
else
	export XT_GNTDEV=stock
fi
export XT_FILTER='grant-raw' XT_POST=0

echo "Booting Xen 4.17 + dom0 ($KVER, PV) + a PV domU under QEMU (TCG)..."
out=$(tests/harness/boot.sh "$KVER" pv demo)
rc=$?
log=$(ls -t "$XT_BUILD"/logs/*-demo.log | head -n 1)
echo
echo "What happened, from the machine's console ($log):"
tr -d '\r' < "$log" | grep -aE '^\(XEN\) Xen version|^xt-init:|^\[grant-raw\] (ok|not ok)' |
	sed -e 's/^\[grant-raw\] /  dom0 test: /' -e 's/^xt-init: /  dom0: /' \
	    -e 's/^(XEN) /  hypervisor: /'
echo
echo "$out" | tail -n 2 | head -n 1
if [ $rc -eq 0 ]; then
	echo "Result: the domU's bytes were read in dom0 and dom0's bytes in the domU."
else
	echo "Result: FAILED (see the log above)."
fi
exit $rc
