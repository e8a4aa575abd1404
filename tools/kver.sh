#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# kver.sh [SERIES] - prints the newest installed Debian kernel release of
# SERIES ("6.1" or "6.12") that has both its image and its matching
# headers, e.g. "6.1.0-56-amd64"; prints nothing if there is none.
# Without SERIES: the project's default kernel, defined here only.
series=${1:-6.1}
for img in /boot/vmlinuz-"$series".*; do
	[ -e "$img" ] || continue
	kver=${img#/boot/vmlinuz-}
	case $kver in *-amd64) ;; *) continue ;; esac
	case $kver in *-rt-amd64|*-cloud-amd64) continue ;; esac
	[ -d "/lib/modules/$kver/build" ] && echo "$kver"
done | sort -V | tail -n 1
