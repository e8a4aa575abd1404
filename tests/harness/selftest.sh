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

# ---- whole boots with a fake QEMU: every way a boot can go wrong is a
# FAIL that names its cause, and only a complete run passes. ----
tb() {	# expect(0|1) pattern description scenario [env...]
	local want=$1 pat=$2 what=$3 scen=$4; shift 4
	env PATH="$tmp/bin:$PATH" XT_BUILD="$tmp/b" XT_MKIMAGE=true \
		XT_SCENARIO="$scen" XT_FRAME="$FRAME" XT_GNTDEV=stock "$@" \
		"$HERE/boot.sh" none pv fake > "$tmp/out" 2>&1
	local got=$?
	[ "$got" -ne 0 ] && got=1
	n=$((n + 1))
	if [ "$got" = "$want" ] && grep -qE "$pat" "$tmp/out"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"; sed 's/^/# /' "$tmp/out"; failed=$((failed + 1))
	fi
}
mkdir -p "$tmp/bin" "$tmp/b/host" "$tmp/b2/host"
ln -s "$(realpath "$REPORT")" "$tmp/b/host/xt-report"
printf '#!/bin/sh\nexit 2\n' > "$tmp/b2/host/xt-report"
chmod +x "$tmp/b2/host/xt-report"
# The fake QEMU writes the console log that scenario $XT_SCENARIO
# describes, framed with the boot's nonce, and exits (or hangs) as told.
cat > "$tmp/bin/qemu-system-x86_64" <<'FAKE'
#!/bin/bash
. "$XT_CONFIG"
for a in "$@"; do
	case $a in *logfile=*) log=${a##*logfile=} ;; esac
done
fr() { "$XT_FRAME" --frame "$XT_NONCE" "$1"; }
start() { printf '(XEN) Xen version 4.17.7\nxt-init: dom0 up\nxt-init: toolstack up\nxt-init: domU 1 ready\n'; }
case $XT_SCENARIO in
exit0) exit 0 ;;
clean) { start; echo "xt-run: start t"; fr "R pass t: one"; echo "xt-run: end t"; fr "E 1"; fr "D"; } > "$log" ;;
none) { start; fr "E 0"; fr "D"; } > "$log" ;;
nocounts) { start; echo "xt-run: start t"; fr "R pass t: one"; } > "$log" ;;
died) { start; echo "xt-run: start dmabuf-cycles"; fr "R pass dmabuf-cycles: one"; } > "$log"; exit 1 ;;
triple) { start; echo "xt-run: start dmabuf-cycles"
	  echo "(XEN) d0v0 Triple fault - invoking HVM shutdown action 1"
	  echo "(XEN) *** Dumping Dom0 vcpu#0 state: ***"
	  echo "(XEN) RIP:    e008:[<ffff82d0402044a5>]"
	  echo "(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting."; } > "$log"
	sleep 30 ;;
xenpanic) { start; echo "xt-run: start gntdev-map"
	  echo "(XEN) ****************************************"
	  echo "(XEN) Panic on CPU 0:"
	  echo "(XEN) FATAL PAGE FAULT"; } > "$log"
	sleep 30 ;;
oops) { start; echo "xt-run: start gntdev-map"
	  echo "[   12.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000"
	  echo "[   12.000002] RIP: 0010:gntdev_ioctl+0x10/0x100 [xen_gntdev]"
	  echo "[   12.000003] Kernel panic - not syncing: Fatal exception"; } > "$log"
	sleep 30 ;;
stall) { start; echo "xt-run: start gntdev-map"; } > "$log"; sleep 30 ;;
esac
exit 0
FAKE
chmod +x "$tmp/bin/qemu-system-x86_64"
tb 0 '^# counts 1 0 0' "a complete run passes" clean
tb 1 'harness: empty console log' "a QEMU that exits 0 at once: empty console log" exit0
tb 1 'harness: no test ran' "a complete run of no test fails" none
tb 1 'harness: QEMU died .*test: t \(running\)' "a log without counts fails, naming the test" nocounts
tb 1 'harness: QEMU died .*stage: domU 1 ready; test: dmabuf-cycles' "a dead QEMU is named" died
tb 1 'harness: dom0 triple fault .*rip: e008:ffff82d0402044a5' "a dom0 triple fault is named, with its RIP" triple
tb 1 'harness: Xen panic .*test: gntdev-map' "a Xen panic is named" xenpanic
tb 1 'harness: dom0 panic or oops .*rip: 0010:gntdev_ioctl' "a dom0 oops is named" oops
tb 1 'harness: stall .*test: gntdev-map' "a stall is named" stall XT_STALL=2
tb 1 'harness: xt-report gave no counts' "a report without counts fails" clean \
	XT_BUILD="$tmp/b2"

echo "1..$n"
[ "$failed" -eq 0 ]
