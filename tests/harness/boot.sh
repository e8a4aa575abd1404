#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# boot.sh - one boot of the Xen machine: Xen + dom0 (+ a PV domU) in QEMU
# TCG, the in-machine tests, and the verdict.
#
#   boot.sh KVER DOM0TYPE LABEL
#
# DOM0TYPE is pv or pvh.  Environment (all optional):
#   XT_BUILD     build directory (default: build)
#   XT_GNTDEV    xen-gntdev.ko to test, or "stock" (default: stock)
#   XT_FILTER    fnmatch pattern of the tests to run (default: *)
#   XT_EXTRA     directory of extra tests (docs/testing.md)
#   XT_KMODS     extra test-only kernel modules for dom0
#   XT_TIMEOUT   per-test timeout in seconds (default: 60)
#   XT_BOOT_TIMEOUT  whole-boot timeout in seconds (default: 600; a hang is
#                caught sooner by the per-test timeout and the stall watch)
#   XT_POST      1 to run the post-suite checks (default: 1)
#   XT_XENSTORED cxenstored (default) or oxenstored
#   XT_QEMU_ARGS QEMU display arguments (default: -vga cirrus)
#   XT_STALL     seconds of console silence that make a stall (default:
#                XT_TIMEOUT + 30)
#   XT_DOMU_MEM  the test domU's memory in MiB (default: 192; make bench
#                raises it for its largest buffers)
#
# Knobs for experiments on the emulated machine itself (docs/testing.md,
# "The PVH triple fault"); the defaults are the tested configuration:
#   XT_QEMU      the QEMU binary (default: qemu-system-x86_64 from PATH)
#   XT_QEMU_EXTRA  more QEMU arguments (e.g. -L DIR for another QEMU's
#                firmware)
#   XT_ACCEL     QEMU -accel value (default: tcg)
#   XT_CPU       QEMU -cpu value (default: per dom0 type, below)
#   XT_SMP       QEMU -smp value: Xen's physical CPUs (default: 2 for a PV
#                dom0, 1 for PVH)
#   XT_XEN_EXTRA, XT_DOM0_EXTRA  more Xen / dom0 kernel arguments
#   XT_MKIMAGE   the image builder (default: mkimage.sh; the harness's
#                self-test replaces it)
#
# Screenshots: a test that prints "# xt-screenshot NAME W H" (relayed by
# xt-run as an "S" frame) asks the host to take a QMP screendump now; the
# host compares its top-left W x H pixels with xt_picture() (xt-picture),
# keeps it as $XT_BUILD/screenshots/LABEL-PROG-NAME.png and reports the
# comparison as a result of its own.  The test keeps the picture on the
# screen for a few seconds after asking.
#
# Prints one line per result, then "# counts PASS FAIL SKIP".  Fails (exit
# 1) on any failed test, an incomplete run, a timeout, or a crash or
# warning (BUG, Oops, WARNING, general protection, Call Trace, panic) in
# the console log, which holds Xen's log, dom0's kernel log (dumped in
# full at the end) and the domU's console.  The log is kept under
# $XT_BUILD/logs and its path printed on failure.  Only the QEMU started
# here is ever stopped, by its PID.
set -uo pipefail

KVER=$1
DOM0TYPE=$2
LABEL=$3
HERE=$(cd "$(dirname "$0")" && pwd)
XT_BUILD=${XT_BUILD:-build}
XT_BUILD=$(cd "$XT_BUILD" && pwd)
export XT_BUILD
export XT_GNTDEV=${XT_GNTDEV:-stock}
BOOT_TIMEOUT=${XT_BOOT_TIMEOUT:-600}

# Everything of this boot lives in its own directory, so that boots can
# run side by side on one build tree; it is removed after a clean run.
mkdir -p "$XT_BUILD/runs" "$XT_BUILD/logs"
RUN=$(mktemp -d "$XT_BUILD/runs/$LABEL.XXXXXX")
LOG=$XT_BUILD/logs/$(date +%Y%m%d-%H%M%S)-$LABEL-${RUN##*.}.log
NONCE=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')

cat > "$RUN/config" <<EOF
XT_NONCE=$NONCE
XT_FILTER='${XT_FILTER:-*}'
XT_TIMEOUT=${XT_TIMEOUT:-60}
XT_GNTDEV=$([ "$XT_GNTDEV" = stock ] && echo stock || echo ours)
XT_DOMU=1
XT_DOMU_MEM=${XT_DOMU_MEM:-192}
XT_POST=${XT_POST:-1}
XT_XENSTORED=${XT_XENSTORED:-cxenstored}
FUZZ_OPS='${FUZZ_OPS:-}'
FUZZ_SEED='${FUZZ_SEED:-}'
FUZZ_LOG='${FUZZ_LOG:-}'
EOF
export XT_CONFIG=$RUN/config

t0=$(date +%s.%N)
if ! "${XT_MKIMAGE:-$HERE/mkimage.sh}" "$KVER" "$RUN" > "$RUN/mkimage.log" 2>&1; then
	cat "$RUN/mkimage.log" >&2
	echo "FAIL  $LABEL  harness: image build failed"
	echo "# counts 0 1 0"
	exit 1
fi

XEN_ARGS="dom0_mem=768M,max:768M dom0_max_vcpus=1 console=com1 com1=115200"
XEN_ARGS="$XEN_ARGS loglvl=all guest_loglvl=all noreboot"
CPU=max,-smap,-smep
SMP=2
MACHINE=()
case $DOM0TYPE in
pv) ;;
pvh)
	XEN_ARGS="$XEN_ARGS dom0=pvh"
	CPU=max,-smap,-smep,-rdtscp,-pku,-xsave
	MACHINE=(-machine q35 -device amd-iommu)
	# One emulated CPU: with two, QEMU 7.2's emulation of SVM and nested
	# paging now and then resumes dom0 with Xen's own state (a dom0
	# triple fault or panic), with Debian's gntdev as with ours; with one
	# it never has (docs/testing.md, "The PVH dom0 crash").
	SMP=1
	# Xen's timer in LAPIC one-shot mode, not TSC-deadline: under heavy
	# grant churn QEMU's TCG now and then never delivers a TSC-deadline
	# interrupt, and Xen, with dom0 and every timer in it, waits for good
	# (docs/testing.md, "The lost timer").
	XEN_ARGS="$XEN_ARGS tdt=0"
	;;
*) echo "boot.sh: dom0 type must be pv or pvh" >&2; exit 2 ;;
esac

XEN_ARGS="$XEN_ARGS ${XT_XEN_EXTRA:-}"
CPU=${XT_CPU:-$CPU}

# dom0 starts from the uncompressed ELF, so its text is never relocated
# (no decompressor runs), and with nokaslr, so its memory layout is fixed
# too: an address in a crash dump can be looked up as it is in the
# System.map of the kernel's package.  No "quiet": an early crash keeps
# its kernel messages.
QMP=$RUN/qmp.sock
rm -f "$QMP" "$RUN/qemu.pid"
# shellcheck disable=SC2086
"${XT_QEMU:-qemu-system-x86_64}" ${XT_QEMU_EXTRA:-} -accel "${XT_ACCEL:-tcg}" \
	-cpu "$CPU" "${MACHINE[@]}" -m 2048 -smp "${XT_SMP:-$SMP}" \
	-no-reboot -display none ${XT_QEMU_ARGS:--vga cirrus} -monitor none \
	-chardev "socket,id=ser0,path=$RUN/serial.sock,server=on,wait=off,logfile=$LOG" \
	-serial chardev:ser0 -qmp "unix:$QMP,server=on,wait=off" \
	-pidfile "$RUN/qemu.pid" \
	-kernel "$RUN/xen" -append "$XEN_ARGS" \
	-initrd "$RUN/vmlinux console=hvc0 earlyprintk=xen nokaslr ${XT_DOM0_EXTRA:-},$RUN/dom0.cpio" \
	> "$RUN/qemu.out" 2>&1 &
QPID=$!
qemu_status=

# Stops our QEMU if it still runs; records its exit status if it left by
# itself.
stop_qemu() {
	if kill -0 "$QPID" 2>/dev/null; then
		kill "$QPID" 2>/dev/null
		sleep 1
		kill -9 "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	elif [ -z "$qemu_status" ]; then
		wait "$QPID" 2>/dev/null
		qemu_status=$?
	fi
}
trap 'stop_qemu; exit 130' INT TERM

SHOTS=$XT_BUILD/screenshots
HOSTRES=$RUN/host-results
: > "$HOSTRES"
shots_done=0
take_shots() {
	local reqs name w h msg png verdict
	mapfile -t reqs < <("$XT_BUILD/host/xt-report" --bodies "$NONCE" "$LOG" S)
	while [ "$shots_done" -lt "${#reqs[@]}" ]; do
		read -r name w h <<< "${reqs[$shots_done]}"
		shots_done=$((shots_done + 1))
		mkdir -p "$SHOTS"
		png=$SHOTS/$LABEL-$name.png
		if ! python3 "$HERE/screendump.py" "$QMP" "$RUN/$name.ppm"; then
			echo "FAIL  $LABEL  screenshot $name: QMP screendump failed" >> "$HOSTRES"
			continue
		fi
		msg=$("$XT_BUILD/host/xt-picture" "$RUN/$name.ppm" "$w" "$h")
		verdict=$?
		pnmtopng "$RUN/$name.ppm" > "$png" 2>/dev/null || png="(no PNG: pnmtopng failed)"
		if [ $verdict -eq 0 ]; then
			echo "PASS  $LABEL  screenshot $name: $msg; $png" >> "$HOSTRES"
		else
			echo "FAIL  $LABEL  screenshot $name: $msg; $png" >> "$HOSTRES"
		fi
	done
}

# Xen's symbol table, for naming a RIP in Xen's code (cached).
xen_symbols() {
	local f=$XT_BUILD/machine/xen-4.17-amd64.syms
	if [ ! -s "$f" ]; then
		mkdir -p "${f%/*}"
		nm /boot/xen-4.17-amd64.efi > "$f.$$" 2>/dev/null && mv "$f.$$" "$f"
	fi
	echo "$f"
}

# Before stopping a machine that hangs, ask the emulator where its CPUs
# are (that needs nothing from Xen), then Xen where everybody is, then the
# emulator again; the emulator's answers go to CPU_STATE, next to the log.
CPU_STATE=${LOG%.log}.cpu.txt
xen_dump() {
	{
		echo "=== xt: emulator state when the watcher stopped ($watch) ==="
		timeout 20 python3 "$HERE/qemu-state.py" "$QMP"
		timeout 20 python3 "$HERE/xen-keys.py" "$RUN/serial.sock" 0dq
		sleep 2
		echo "=== xt: emulator state after Xen's debug keys ==="
		timeout 20 python3 "$HERE/qemu-state.py" "$QMP"
	} > "$CPU_STATE" 2>&1
}

# Watch the log: stop at the end frame, on a crash, at the deadline, or
# when the console has been silent for STALL seconds (no test may be: the
# per-test timeout is shorter, and xt-run reports when it fires).  "watch"
# says which, for diagnose.py; "exit" means QEMU left by itself.
STALL=${XT_STALL:-$(( ${XT_TIMEOUT:-60} + 30 ))}
CRASH='Kernel panic|\(XEN\) (Hardware )?Dom(ain )?0 crashed|\(XEN\) Panic on CPU|'
CRASH+='\*\*\*\* Panic|Rebooting in|\(XEN\) .*d[0-9]+v[0-9]+ Triple fault'
watch="exit"
deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
last_size=-1
last_change=$(date +%s)
while kill -0 "$QPID" 2>/dev/null; do
	if grep -qa "XT1 $NONCE D " "$LOG" 2>/dev/null; then
		watch=end
		# Give Xen a moment to power off by itself.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QPID" 2>/dev/null || break
			sleep 0.5
		done
		break
	fi
	if grep -qaE "$CRASH" "$LOG" 2>/dev/null; then
		sleep 2
		watch=crash
		break
	fi
	grep -qa "XT1 $NONCE S " "$LOG" 2>/dev/null && take_shots
	now=$(date +%s)
	size=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
	if [ "$size" != "$last_size" ]; then
		last_size=$size
		last_change=$now
	elif [ $((now - last_change)) -ge "$STALL" ]; then
		watch="stall $STALL"
		xen_dump
		break
	fi
	if [ "$now" -ge "$deadline" ]; then
		watch="timeout $BOOT_TIMEOUT"
		xen_dump
		break
	fi
	sleep 0.5
done
stop_qemu
trap - INT TERM
t1=$(date +%s.%N)
[ -e "$LOG" ] || : > "$LOG"
# A machine that powered off between two looks of the watcher ended well.
[ "$watch" = exit ] && grep -qa "XT1 $NONCE D " "$LOG" && watch=end

# The results.  xt-report fails the run when it is incomplete; a report
# without counts, or with no result at all, is a failure of its own.
out=$("$XT_BUILD/host/xt-report" "$NONCE" "$LABEL" "$LOG")
echo "$out" | grep -v '^# counts'
pass="" fail="" skip=""
read -r _ _ pass fail skip <<< "$(echo "$out" | grep '^# counts')"
if [ -z "$pass" ] || [ -z "$fail" ] || [ -z "$skip" ]; then
	echo "FAIL  $LABEL  harness: xt-report gave no counts"
	pass=0 fail=1 skip=0
fi
cat "$HOSTRES"
pass=$((pass + $(grep -c '^PASS' "$HOSTRES")))
fail=$((fail + $(grep -c '^FAIL' "$HOSTRES")))
if [ $((pass + skip)) -eq 0 ] && [ "$fail" -eq 0 ]; then
	echo "FAIL  $LABEL  harness: no test ran"
	fail=1
fi

# A boot that did not end by itself, or whose run is incomplete, is named:
# what crashed or stopped, at which stage and test, where.
if [ "$watch" != end ] || echo "$out" | grep -q 'harness: run incomplete'; then
	diag=$(python3 "$HERE/diagnose.py" "$LOG" --watch "$watch" \
		${qemu_status:+--qemu-exit "$qemu_status"} --qemu-out "$RUN/qemu.out" \
		--dom0-map "/boot/System.map-$KVER" --xen-map "$(xen_symbols)" \
		${CPU_STATE:+--cpu-state "$CPU_STATE"})
	cause=$(echo "$diag" | head -n 1)
	where=$(echo "$diag" | sed -n '2,/^last lines:/p' | grep -E '^(stage|test|rip): ' |
		paste -sd ';' | sed 's/;/; /g')
	echo "FAIL  $LABEL  harness: $cause ($where)"
	echo "$diag" | sed -n '2,$p' | grep -vE '^(stage|test|rip): ' | sed 's/^/        /' | cut -c1-220
	fail=$((fail + 1))
fi
# Crashes and warnings anywhere in Xen's, dom0's or the domU's log.
bad=$("$HERE/scan-log.sh" "$LOG" | head -5)
if [ -n "$bad" ]; then
	echo "FAIL  $LABEL  harness: kernel/Xen log shows problems:"
	echo "$bad" | sed 's/^/        /' | cut -c1-200
	fail=$((fail + 1))
fi
awk -v l="$LABEL" -v a="$t0" -v b="$t1" 'BEGIN { printf "# %s: %.1f s wall\n", l, b - a }'
if [ "$fail" -gt 0 ]; then
	echo "# $LABEL: console log kept at $LOG (run files: $RUN)"
	[ -e "$CPU_STATE" ] && echo "# $LABEL: the emulator's CPU state at the stop: $CPU_STATE"
else
	rm -rf "$RUN"
fi
echo "# counts $pass $fail $skip"
[ "$fail" -eq 0 ]
