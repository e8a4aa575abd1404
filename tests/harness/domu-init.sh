#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the test domU (busybox): loads the Xen device modules the peers
# use and runs the agent (xt-agent.c), which serves dom0's test requests
# for as long as the domain lives.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# gntalloc's default limit is 1024 grants; the contiguous-export tests
# grant a 4K frame (8100 pages) at once.
while read -r m; do
	case $m in
	xen-gntalloc.ko) insmod "/xt/modules/$m" limit=16384 ;;
	*) insmod "/xt/modules/$m" ;;
	esac
done < /xt/modules.domu
echo "xt-domu: up, $(uname -r)"
while :; do
	/xt/xt-agent
	echo "xt-domu: agent exited with $?, restarting"
	sleep 1
done
