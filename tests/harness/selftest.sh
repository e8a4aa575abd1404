#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# selftest.sh - the harness's own verdict logic on synthetic console logs,
# so that a crash, a warning or a lost result can never read as a pass.
# TAP on stdout; run by 'make check' before the machine boots.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPORT=$1	# the host's xt-report binary
FRAME=$2	# xt-run (static), used here for its --frame mode
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() {	# expect(0|1) description command...
	local want=$1 what=$2; shift 2
	"$@" > "$tmp/out" 2>&1
	local got=$?
	[ "$got" -ne 0 ] && got=1
	n=$((n + 1))
	if [ "$got" = "$want" ]; then echo "ok $n - $what"
	else echo "not ok $n - $what"; sed 's/^/# /' "$tmp/out"; failed=$((failed + 1)); fi
}
fr() { "$FRAME" --frame "$1" "$2"; }

good=$tmp/good.log
{ echo "(XEN) Xen version 4.17"; fr abc "R pass t: one"; echo "noise";
  fr abc "R skip t: two"; fr abc "E 2"; fr abc "D"; } > "$good"
t 0 "a complete clean log passes" "$REPORT" abc L "$good"
t 0 "a clean log has nothing to report" "$HERE/scan-log.sh" "$good"
t 1 "a frame of another nonce does not count" "$REPORT" abd L "$good"

{ fr abc "R pass t: one"; fr abc "E 2"; fr abc "D"; } > "$tmp/lost.log"
t 1 "a lost result frame fails the run" "$REPORT" abc L "$tmp/lost.log"
{ fr abc "R pass t: one"; fr abc "E 1"; } > "$tmp/nodone.log"
t 1 "a run without its end frame fails" "$REPORT" abc L "$tmp/nodone.log"
{ fr abc "R fail t: one"; fr abc "E 1"; fr abc "D"; } > "$tmp/fail.log"
t 1 "a failed result fails the run" "$REPORT" abc L "$tmp/fail.log"
fr abc "R pass t: one" | sed 's/one/won/' > "$tmp/forged.log"
{ cat "$tmp/forged.log"; fr abc "E 1"; fr abc "D"; } > "$tmp/forged2.log"
t 1 "an altered frame does not count" "$REPORT" abc L "$tmp/forged2.log"

for bad in "[   12.1] BUG: unable to handle page fault" \
	   "[    3.2] WARNING: CPU: 0 PID: 1 at mm/gup.c:1 x+0x1/0x2" \
	   "(XEN) ----[ Xen-4.17 x86_64 debug=n Not tainted ]---- general protection" \
	   "[    1.0] Oops: 0000 [#1] SMP" "[    1.0] Call Trace:" \
	   "[    2.0] BUG: Bad page map in process t pte:8000" \
	   "[    9.9] Kernel panic - not syncing: Fatal exception"; do
	{ cat "$good"; printf '%s\r\n' "$bad"; } > "$tmp/bad.log"
	t 1 "the scan flags: ${bad:0:40}" "$HERE/scan-log.sh" "$tmp/bad.log"
done
printf '(XEN) WARNING: PVH is an experimental mode with limited functionality\r\n' > "$tmp/pvh.log"
t 0 "Xen's PVH dom0 banner is allowed" "$HERE/scan-log.sh" "$tmp/pvh.log"
printf '(XEN) WARNING: PVH is an experimental mode with limited functionality; BUG\r\n' > "$tmp/pvh2.log"
t 1 "the allowance is exact: more text on the line is flagged" "$HERE/scan-log.sh" "$tmp/pvh2.log"

echo "1..$n"
[ "$failed" -eq 0 ]
