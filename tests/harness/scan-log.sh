#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scan-log.sh LOG - prints the lines of a machine's console log (Xen, dom0,
# domU) that show a crash or a warning, minus the entries of log-allow.txt,
# and exits 1 if there is any.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
bad=$(tr -d '\r' < "$1" |
	grep -naE 'BUG|Oops|WARNING|general protection|Call Trace|Kernel panic|Bad page' |
	grep -vEf <(grep -vE '^(#|$)' "$HERE/log-allow.txt"))
[ -z "$bad" ] && exit 0
echo "$bad"
exit 1
