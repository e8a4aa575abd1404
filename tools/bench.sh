#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - 'make bench': boots each point of BENCH_MATRIX running only
# the benchmarks (tests/bench, the dom0 programs bench-*), collects the
# rows they send (xt_data(): "DATA  POINT  PROG  ROW" lines of the
# harness) into one CSV, and has bench/report.py write the report and
# its plots.  With BENCH_STOCK=1 (the default) each point boots a second
# time with Debian's xen-gntdev, whose rows (the classic path only) the
# report sets against ours.  BENCH_RUNS=N repeats the whole run N times
# and bench/spread.py compares the runs' headline ratios.
#
# Results: build/bench/DATE-MATRIX/ (data.csv, report.md, plots/, the
# harness output run-ours.log and run-stock.log); build/bench/latest
# points at the newest.  Environment: BENCH_MATRIX (points, comma
# separated, or "all": both kernels, PV and PVH), BENCH_STOCK (0 or 1), BENCH_RUNS, XT_DOMU_MEM (MiB of the
# test domU: its grants back the largest buffers), XT_BUILD.
#
# Exit status 0 when every boot ran its benchmarks to the end; slow
# figures never fail it (the report says which goals are met).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=${XT_BUILD:-build}
matrix=${BENCH_MATRIX:-6.1-pv,6.1-pvh}
[ "$matrix" = all ] && matrix=6.1-pv,6.1-pvh,6.12-pv,6.12-pvh
stock=${BENCH_STOCK:-1}
runs=${BENCH_RUNS:-1}
export XT_DOMU_MEM=${XT_DOMU_MEM:-1024}

# One run: every point with our module, then with the stock one.
one_run() {
	local out=$1 g rc=0
	mkdir -p "$out"
	echo "point,gntdev,section,case,pages,round,metric,value" > "$out/data.csv"
	for g in ours stock; do
		[ "$g" = stock ] && [ "$stock" != 1 ] && continue
		echo "# bench: $matrix with $g xen-gntdev, log $out/run-$g.log"
		MATRIX=$matrix TESTS='bench-*' EXTRA_TESTS=$B/xt/bench GNTDEV=$g \
			XT_BUILD=$B XT_HOST_TESTS=0 XT_BOOT_TIMEOUT=900 \
			tests/harness/check.sh > "$out/run-$g.log" 2>&1 || rc=1
		grep -E '^(FAIL|[0-9]+ passed)' "$out/run-$g.log" | sed 's/^/# bench: /'
		# "DATA  POINT  PROG  ROW" -> "POINT,GNTDEV,ROW"
		awk -v g="$g" '$1 == "DATA" && NF == 4 { print $2 "," g "," $4 }' \
			"$out/run-$g.log" >> "$out/data.csv"
	done
	echo "# bench: $(($(wc -l < "$out/data.csv") - 1)) rows in $out/data.csv"
	python3 bench/report.py "$out" || rc=1
	return $rc
}

status=0 dirs=()
for i in $(seq 1 "$runs"); do
	out=$B/bench/$(date +%Y%m%d-%H%M%S)-${matrix//,/+}
	[ "$runs" -gt 1 ] && out=$out-run$i
	one_run "$out" || status=1
	dirs+=("$out")
	ln -sfn "${out##*/}" "$B/bench/latest"
done
if [ "$runs" -gt 1 ]; then
	python3 bench/spread.py "${dirs[@]}" || status=1
fi
exit $status
