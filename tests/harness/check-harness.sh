#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-harness.sh - 'make check-harness': boots the machine once with the
# example extra tests of tests/extra-examples (one passes in dom0, one in the
# domU, one exits 1, one hangs) and checks the harness's verdict: the
# failing and the hanging test are reported as failed, make check exits
# non-zero, and no QEMU is left running.  Ends with "N passed, N failed".
# The checks of t() are strings it evals later, after the run: they are
# quoted on purpose, and what they use (rc) is only read there.
# shellcheck disable=SC2016,SC2034
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 1
export XT_BUILD=${XT_BUILD:-build}
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
cp tests/extra-examples/*/*-* "$extra/"

out=$(MATRIX=default TESTS='*xtx-*' EXTRA_TESTS=$extra XT_TIMEOUT=10 \
      GNTDEV=${GNTDEV:-ours} "$HERE/check.sh" 2>&1)
rc=$?
echo "$out" | grep -vE '^PASS  host' | sed 's/^/    | /'
n=0 fail=0
t() {
	n=$((n + 1))
	if eval "$2"; then echo "PASS  harness  $1"
	else echo "FAIL  harness  $1"; fail=$((fail + 1)); fi
}
t "a run with a failing extra test exits non-zero" '[ $rc -ne 0 ]'
t "the failing extra test is reported as failed" \
  'echo "$out" | grep -q "^FAIL  6.1-pv  dom0-xtx-fails: exit status 1$"'
t "the hanging extra test is cut by the timeout" \
  'echo "$out" | grep -q "^FAIL  6.1-pv  dom0-xtx-hangs: timeout after 10 s$"'
t "a passing dom0 extra test is reported" \
  'echo "$out" | grep -q "^PASS  6.1-pv  dom0-xtx-hello: the domU is in xenstore$"'
t "a passing domU extra test is reported" \
  'echo "$out" | grep -q "^PASS  6.1-pv  domu-xtx-hello$"'
t "the summary counts exactly the two failures" \
  'echo "$out" | tail -n 1 | grep -qE "^[0-9]+ passed, 2 failed"'
t "no QEMU of ours is left running" \
  '! pgrep -f "qemu-system-x86_64.*$TOP/$XT_BUILD/runs/" > /dev/null'
echo "$((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
