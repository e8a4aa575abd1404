#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the test dom0 (busybox).  Brings up the Xen toolstack on the
# gntdev under test, boots one PV domU, runs the tests through xt-run, then
# tears everything down, dumps the kernel log and powers the machine off.
# All it says goes to the console (hvc0 -> Xen -> QEMU serial), where the
# host reads framed results (tests/harness/xt-frame.h).
#
# /xt/config sets: XT_NONCE, XT_FILTER, XT_TIMEOUT, XT_GNTDEV (ours|stock),
# XT_DOMU (1: boot a domU), XT_DOMU_MEM (its MiB), XT_POST (1: run the post-suite checks),
# FUZZ_OPS, FUZZ_SEED, FUZZ_LOG (the fuzzer's, empty unless make fuzz),
# XT_XENSTORED (cxenstored: the C xenstored; oxenstored: the OCaml one,
# Debian's default).
# Pid files of the toolstack: /run/xenstored.pid, /run/xenconsoled.pid.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
# shellcheck source=/dev/null  # written by mkimage.sh into the image
. /xt/config
export XT_GNTDEV XT_XENSTORED	# tests may check what they run on
# The fuzzer's knobs (make fuzz), exported only when set.
[ -z "${FUZZ_OPS:-}" ] || export FUZZ_OPS
[ -z "${FUZZ_SEED:-}" ] || export FUZZ_SEED
[ -z "${FUZZ_LOG:-}" ] || export FUZZ_LOG

say() { echo "xt-init: $*"; }
frame() { /xt/xt-run --frame "$XT_NONCE" "$*"; }

# Report a harness-level result through the same framing as tests.
fail_setup() {
	say "setup failed: $*"
	frame "R fail harness: $*"
	frame "E 1"
	finish
}

finish() {
	say "dom0 kernel log follows"
	echo "=== xt: dom0 dmesg begin ==="
	dmesg
	echo "=== xt: dom0 dmesg end ==="
	for f in /var/log/xen/console/guest-*.log; do
		[ -e "$f" ] || continue
		echo "=== xt: domU console $f begin ==="
		cat "$f"
		echo "=== xt: domU console end ==="
	done
	frame "D"
	sync
	poweroff -f
	sleep 5
	echo o > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored /var/log/xen/console /var/lib/xen
say "dom0 up: $(uname -r), $(cat /sys/hypervisor/guest_type 2>/dev/null) dom0"

while read -r m; do
	insmod "/xt/modules/$m" || say "insmod $m failed"
done < /xt/modules.dom0
if [ "$XT_GNTDEV" = stock ]; then
	while read -r m; do insmod "/xt/stock/xt/modules/$m"; done < /xt/stock/list
	say "gntdev: stock $(cat /sys/module/xen_gntdev/srcversion 2>/dev/null)"
else
	insmod /xt/modules/xen-gntdev.ko || fail_setup "insmod of our xen-gntdev failed"
	ver=$(cat /sys/module/xen_gntdev/version 2>/dev/null)
	case "$ver" in
	xgd-*) say "gntdev: ours, version $ver" ;;
	*) fail_setup "loaded xen-gntdev is not ours (version '$ver')" ;;
	esac
fi
for ko in /xt/testmods/*.ko; do
	[ -e "$ko" ] && { insmod "$ko" || say "insmod $ko failed"; }
done

mount -t xenfs xenfs /proc/xen || fail_setup "cannot mount xenfs"
case ${XT_XENSTORED:-cxenstored} in
oxenstored) oxenstored --pid-file /run/xenstored.pid ;;
cxenstored) xenstored --pid-file /run/xenstored.pid ;;
*) fail_setup "unknown xenstored '$XT_XENSTORED'" ;;
esac
n=0
until xenstore-exists / 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 100 ] && fail_setup "xenstored did not start"
	usleep 100000
done
xen-init-dom0 >/dev/null || fail_setup "xen-init-dom0 failed"
xenconsoled --log=guest --log-dir=/var/log/xen/console \
	--pid-file=/run/xenconsoled.pid || fail_setup "xenconsoled failed"
echo 'autoballoon="off"' > /etc/xen/xl.conf
say "toolstack up ($XT_XENSTORED)"

if [ "$XT_DOMU" = 1 ]; then
	cat > /xt/domu.cfg <<-EOF
	name = "xt-domu"
	type = "pv"
	kernel = "/xt/domu/vmlinux.gz"
	ramdisk = "/xt/domu/initrd.cpio"
	extra = "console=hvc0 quiet"
	memory = ${XT_DOMU_MEM:-192}
	vcpus = 1
	on_crash = "preserve"
	EOF
	timeout 60 xl create /xt/domu.cfg >/tmp/xl-create.log 2>&1 || {
		cat /tmp/xl-create.log
		fail_setup "xl create failed"
	}
	domid=$(xl domid xt-domu)
	n=0
	until xenstore-exists "/local/domain/$domid/data/xt-ready" 2>/dev/null; do
		n=$((n + 1)); [ $n -gt 600 ] && fail_setup "domU agent not ready after 60 s"
		usleep 100000
	done
	export XT_DOMU_ID="$domid"
	say "domU $domid ready"
fi

# From here on only errors and worse reach the console live (an oops or
# panic raises the level by itself): chatter such as a test child's
# "segfault at" line must not land inside a frame.  dmesg is dumped in
# full at the end, so the log scan still sees every line.
dmesg -n 4
/xt/xt-run "$XT_NONCE" "$XT_TIMEOUT" "$XT_FILTER" /xt/dom0 /xt/extra

if [ "$XT_POST" = 1 ]; then
	# Post-suite: the domU is destroyed; the checks in /xt/post run in
	# name order with the toolstack still up (so they can ask xl), and
	# the last one, zz-leaks, stops it before it counts what is left.
	[ -n "$XT_DOMU_ID" ] && xl destroy "$XT_DOMU_ID"
	/xt/xt-run "$XT_NONCE" "$XT_TIMEOUT" "*" /xt/post
fi
finish
