#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - 'make run': boots the Xen machine (6.1, PV dom0, QEMU -vga
# cirrus) and shows the zero-copy display path with a short account:
#   1. a domU grants pages to dom0; dom0 maps them through /dev/xen/gntdev
#      and bytes cross both ways (grant-raw);
#   2. the domU draws a test picture into 768 pages it grants to dom0;
#      dom0 exports them as a dma-buf with our DMABUF_EXP_FROM_REFS, the
#      cirrus DRM driver imports it (PRIME) and scans it out, and the host
#      takes a QEMU screenshot, checks every pixel and saves a PNG
#      (dmabuf-scanout).
# The full console log is kept and its path printed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
export XT_BUILD=${XT_BUILD:-build}
KVER=$(tools/kver.sh)
if [ "${GNTDEV:-ours}" = ours ]; then
	make --no-print-directory -s module KVER="$KVER" > /dev/null || exit 1
	export XT_GNTDEV=$TOP/$XT_BUILD/module/$KVER/drivers/xen/xen-gntdev.ko
else
	export XT_GNTDEV=stock
fi
export XT_FILTER='grant-raw,dmabuf-scanout' XT_POST=0

echo "Booting Xen 4.17 + dom0 ($KVER, PV) + a PV domU under QEMU (TCG)..."
out=$(tests/harness/boot.sh "$KVER" pv demo)
rc=$?
# shellcheck disable=SC2012  # newest by mtime; the names are the harness's own
log=$(ls -t "$XT_BUILD"/logs/*-demo-*.log | head -n 1)
echo
echo "What happened, from the machine's console ($log):"
tr -d '\r' < "$log" |
	grep -aE '^\(XEN\) Xen version|^xt-init:|^\[(grant-raw|dmabuf-scanout)\] (ok|not ok)' |
	sed -e 's/^\[grant-raw\] /  dom0, grant map: /' \
	    -e 's/^\[dmabuf-scanout\] /  dom0, zero-copy scanout: /' \
	    -e 's/^xt-init: /  dom0: /' -e 's/^(XEN) \(Xen version [^ ]*\).*/  hypervisor: \1/'
echo
echo "$out" | grep -E '^(PASS|FAIL)  demo  screenshot' |
	sed -e 's/^PASS  demo  screenshot [^:]*: /  host screenshot: /' \
	    -e 's/^FAIL  demo  screenshot [^:]*: /  host screenshot FAILED: /' -e 's/; /\n  saved as: /'
echo "$out" | grep -E '^FAIL' | grep -v screenshot
echo
if [ $rc -eq 0 ]; then
	echo "Result: bytes crossed both ways, and the guest's picture was scanned out"
	echo "by cirrus straight from the granted pages, identical to the last pixel."
else
	echo "Result: FAILED (see above and the log)."
fi
exit $rc
