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
while read -r m; do insmod "/xt/modules/$m"; done < /xt/modules.domu
echo "xt-domu: up, $(uname -r)"
while :; do
	/xt/xt-agent
	echo "xt-domu: agent exited with $?, restarting"
	sleep 1
done
