#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# stress.sh - boots one point of the Xen machine again and again and
# counts how each boot ended: the tool behind the experiment tables of
# docs/testing.md.
#
#   tools/stress.sh [-n BOOTS] [-t TESTS] [-g ours|stock] POINT [NAME]
#
# POINT is a 'make check' point (6.1-pvh, 6.12-pv-oxenstored...).  The
# boots run one after another (two QEMUs halve each other's speed) with
# the harness's knobs from the environment (XT_ACCEL, XT_QEMU, XT_CPU,
# XT_XEN_EXTRA, ... see tests/harness/boot.sh).  Each boot's verdict goes
# to build/stress/NAME/boots.txt, one line a boot ("ok" or the harness's
# FAIL line naming the cause), and its log stays in build/logs.  The last
# line printed is the summary:
#   NAME: BOOTS boots, FAILED failed (CAUSE xN, ...)
# Exit status 0 when no boot failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
n=30 tests='*' gntdev=ours
while getopts n:t:g: o; do
	case $o in
	n) n=$OPTARG ;;
	t) tests=$OPTARG ;;
	g) gntdev=$OPTARG ;;
	*) echo "usage: $0 [-n BOOTS] [-t TESTS] [-g ours|stock] POINT [NAME]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n BOOTS] [-t TESTS] [-g ours|stock] POINT [NAME]" >&2; exit 2; }
point=$1 name=${2:-$1-$gntdev}
out=build/stress/$name
mkdir -p "$out"
: > "$out/boots.txt"
make --no-print-directory -s deps > /dev/null && make --no-print-directory -s tests > /dev/null || exit 1

failed=0
for i in $(seq 1 "$n"); do
	MATRIX=$point TESTS=$tests GNTDEV=$gntdev XT_HOST_TESTS=0 XT_BUILD=build \
		tests/harness/check.sh > "$out/boot-$i.txt" 2>&1
	rc=$?
	# The cause the harness named, else the first failure.
	verdict=$(grep -E '^FAIL  .*harness: ' "$out/boot-$i.txt" |
		  grep -vE 'harness: (run incomplete|kernel/Xen log shows)' | head -n 1)
	if [ "$rc" -eq 0 ]; then
		verdict=ok
	elif [ -z "$verdict" ]; then
		verdict=$(grep -E '^FAIL' "$out/boot-$i.txt" | head -n 1)
	fi
	[ "$rc" -eq 0 ] || failed=$((failed + 1))
	echo "boot $i: $verdict" | tee -a "$out/boots.txt"
done
causes=$(grep -v ': ok$' "$out/boots.txt" | sed -E 's/^boot [0-9]+: FAIL  \S+  (harness: )?//; s/ \(.*//' |
	 sort | uniq -c | sort -rn | awk '{c=$1; $1=""; printf "%s%s x%d", sep, substr($0,2), c; sep=", "}')
echo "$name: $n boots, $failed failed${causes:+ ($causes)}"
[ "$failed" -eq 0 ]
