#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh - 'make check': host unit tests first, then the Xen machine at
# each matrix point, one line per test, and a last line "N passed, N
# failed".  Exit status 0 only if nothing failed.
#
# Environment: MATRIX (default | all | points), TESTS (fnmatch pattern),
# EXTRA_TESTS (directory), GNTDEV (ours | stock | installed: what modprobe
# would load, e.g. the DKMS build), XENSTORED (cxenstored |
# oxenstored), XT_BUILD (build directory), XT_HOST_TESTS (0: skip them).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 1
export XT_BUILD=${XT_BUILD:-build}
pass=0 fail=0 skip=0 counted=0

tally() {	# reads result lines, prints them, adds up "# counts"
	local line p f s
	while IFS= read -r line; do
		case $line in
		"# counts "*)
			read -r _ _ p f s <<< "$line"
			pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
			counted=$((counted + 1))
			;;
		*) echo "$line" ;;
		esac
	done
}

# ---- host unit tests (TAP, no Xen needed) ----
host_tests() {
	local t name line out rc p=0 f=0 s=0
	# libgnttab-ext's tests run under ASan + UBSan with the leak checker.
	for t in "$XT_BUILD"/host/test-* "$XT_BUILD"/host/test32-* \
		 "$XT_BUILD"/libgnttab-ext/tests/* lib-symbols selftest \
		 bench-report; do
		name=host/${t##*/}
		case $t in *.log) continue ;; esac
		if [ "$t" = selftest ]; then
			out=$("$HERE/selftest.sh" "$XT_BUILD/host/xt-report" \
				"$XT_BUILD/xt/harness/xt-run" 2>&1)
		elif [ "$t" = bench-report ]; then
			# make bench's report, spread and plots on synthetic data.
			out=$("$HERE/../../bench/test-report.sh" 2>&1)
		elif [ "$t" = lib-symbols ]; then
			# nm -D of the shared library: only the public API.
			if out=$(make -s --no-print-directory -C "$HERE/../../libgnttab-ext" \
				 O="$(cd "$XT_BUILD" && pwd)/libgnttab-ext" check-symbols 2>&1); then
				out="ok 1 - nm -D shows only public symbols: $(echo "$out" | tail -1)"
			else
				out="not ok 1 - nm -D shows symbols beyond the public API: $(echo "$out" | tail -3 | tr '\n' ' ')"
			fi
		elif [ -x "$t" ] && [ "${t#"$XT_BUILD"/libgnttab-ext/}" != "$t" ]; then
			out=$(ASAN_OPTIONS=detect_leaks=1 \
			      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t" 2>&1)
		elif [ -x "$t" ]; then
			out=$("$t" 2>&1)
		else
			continue
		fi
		rc=$?
		while IFS= read -r line; do
			case $line in
			"not ok "*) echo "FAIL  host  $name: ${line#not ok * - }"; f=$((f + 1)) ;;
			"ok "*"# SKIP"*) echo "SKIP  host  $name: ${line#ok * - }"; s=$((s + 1)) ;;
			"ok "*) echo "PASS  host  $name: ${line#ok * - }"; p=$((p + 1)) ;;
			esac
		done <<< "$out"
		if [ "$rc" -ne 0 ]; then
			echo "$out" | grep -v '^ok ' | sed 's/^/        /'
			echo "FAIL  host  $name: exit status $rc"
			f=$((f + 1))
		fi
	done
	echo "# counts $p $f $s"
}
# XT_HOST_TESTS=0 leaves them out (tools/stress.sh boots one point again
# and again).
[ "${XT_HOST_TESTS:-1}" = 0 ] || tally < <(host_tests)

# ---- the Xen machine ----
# A point is KERNEL-DOM0TYPE[-XENSTORED]: 6.1 or 6.12, pv or pvh, and the
# xenstored dom0 runs (cxenstored, the default, or oxenstored, Debian's
# default on a real dom0).  XENSTORED picks the xenstored of the points
# that do not name one.
case ${MATRIX:-default} in
default) points="6.1-pv" ;;
all) points="6.1-pv 6.1-pvh 6.12-pv 6.12-pvh 6.1-pvh-oxenstored 6.12-pv-oxenstored" ;;
*) points=${MATRIX//,/ } ;;
esac
for point in $points; do
	case $point in
	6.1-pv | 6.1-pvh | 6.12-pv | 6.12-pvh) ;;
	6.1-pv*-[co]xenstored | 6.12-pv*-[co]xenstored) ;;
	*) echo "check: MATRIX must be default, all or points like 6.1-pvh,6.12-pv-oxenstored (not '$point')" >&2
	   exit 2 ;;
	esac
done

export XT_FILTER=${TESTS:-*}
export XT_EXTRA=${EXTRA_TESTS:-}
if [ -n "$XT_EXTRA" ]; then
	[ -d "$XT_EXTRA" ] || { echo "check: EXTRA_TESTS=$XT_EXTRA is no directory" >&2; exit 2; }
	XT_EXTRA=$(cd "$XT_EXTRA" && pwd)
fi

for point in $points; do
	IFS=- read -r series type store <<< "$point"
	kver=$(tools/kver.sh "$series")
	store=${store:-${XENSTORED:-cxenstored}}
	label=$point
	[ "$store" = cxenstored ] || label=$series-$type-$store
	export XT_XENSTORED=$store
	if [ "${GNTDEV:-ours}" = ours ]; then
		if ! make --no-print-directory -s module KVER="$kver" > "$XT_BUILD/module-$kver.log" 2>&1; then
			cat "$XT_BUILD/module-$kver.log"
			echo "FAIL  $label  harness: module build failed"
			fail=$((fail + 1))
			continue
		fi
		export XT_GNTDEV=$TOP/$XT_BUILD/module/$kver/drivers/xen/xen-gntdev.ko
		if ! make --no-print-directory -s testmods KVER="$kver" >> "$XT_BUILD/module-$kver.log" 2>&1; then
			cat "$XT_BUILD/module-$kver.log"
			echo "FAIL  $label  harness: test module build failed"
			fail=$((fail + 1))
			continue
		fi
		XT_KMODS=
		for ko in "$TOP/$XT_BUILD/testmods/$kver"/*/*.ko; do
			[ -e "$ko" ] && XT_KMODS="$XT_KMODS$ko "
		done
		export XT_KMODS
	elif [ "$GNTDEV" = installed ]; then
		# Whatever modprobe would load for that kernel (DKMS, make
		# install), decompressed for insmod.
		ko=$(modinfo -k "$kver" -n xen-gntdev 2>/dev/null)
		case $ko in
		*.xz) xz -dc "$ko" > "$XT_BUILD/installed-$kver.ko" ;;
		*.zst) zstd -qdc "$ko" > "$XT_BUILD/installed-$kver.ko" ;;
		?*) cp "$ko" "$XT_BUILD/installed-$kver.ko" ;;
		*) echo "FAIL  $label  harness: no xen-gntdev installed for $kver"
		   fail=$((fail + 1)); continue ;;
		esac
		echo "# $label: the installed module $ko"
		export XT_GNTDEV=$TOP/$XT_BUILD/installed-$kver.ko XT_KMODS=
	else
		export XT_GNTDEV=stock
	fi
	counted=0
	tally < <("$HERE/boot.sh" "$kver" "$type" "$label")
	if [ "$counted" -ne 1 ]; then
		echo "FAIL  $label  harness: the boot gave no counts"
		fail=$((fail + 1))
	fi
done

# Nothing run is never a pass.
if [ $((pass + fail)) -eq 0 ]; then
	echo "FAIL  check: no test ran"
	fail=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
