#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test-report.sh - owns the self-test of the bench report: synthetic
# data.csv files (bench/synth.py, seeded) in a temporary directory,
# report.py on three of them and spread.py over the three, a data.csv
# with the export section only, and bad input.  Prints TAP lines; exits
# 1 if any check failed.  PYTHON picks the interpreter (python3).
# The helpers below run through check() only:
# shellcheck disable=SC2317
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

check() {	# check DESCRIPTION COMMAND...
	n=$((n + 1))
	if "${@:2}" > "$tmp/out" 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out"
		bad=1
	fi
}

report_has_sections() {	# every heading, in order
	local heading last=0 line
	for heading in '# xen-gntdev benchmarks' '## Headline' '## Goals' \
		'## Export cost vs size' '## Scaling' '## Per-frame cost at 1080p' \
		'## IMP_TO_REFS (import) cost vs size' '## Memory' \
		"## Against Debian's module" '## Spread' '## Notes'; do
		line=$(awk -v h="$heading" 'index($0, h) == 1 { print NR; exit }' "$1")
		if [ -z "$line" ] || [ "$line" -le "$last" ]; then
			echo "missing or out of order: $heading"
			return 1
		fi
		last=$line
	done
}

plots_ok() {	# non-empty PNGs and SVGs
	local f
	for f in export-cost export-per-page frame-cpu import-cost; do
		[ "$(head -c 4 "$1/plots/$f.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
			{ echo "$f.png: not a PNG"; return 1; }
		grep -q '<svg' "$1/plots/$f.svg" || { echo "$f.svg: not an SVG"; return 1; }
	done
}

exits_1() {	# COMMAND... exits with status 1
	"$@"
	[ $? = 1 ]
}

not_measured_after() {	# FILE HEADING: the section says "Not measured."
	grep -A2 -F -x "$2" "$1" | grep -q -F 'Not measured.'
}

dirs=()
for seed in 1 2 3; do
	d=$tmp/20261201-12000$seed-6.1-pv+6.1-pvh+6.12-pvh
	"$py" "$here/synth.py" "$d" "$seed"
	dirs+=("$d")
	check "report.py on run $seed exits 0" "$py" "$here/report.py" "$d"
	check "run $seed: every section, in order" \
		report_has_sections "$d/report.md"
done
d=${dirs[0]} r=${dirs[0]}/report.md
"$py" "$here/report.py" "$d" > "$tmp/stdout" 2>&1
check "the headline is printed" \
	grep -qE '^6\.1-pv: a 1080p frame costs dom0 .* times less' "$tmp/stdout"
check "the report's path is printed" grep -qF "report: $r" "$tmp/stdout"
check "plots are PNG and SVG" plots_ok "$d"
check "the missed PV export goal says NOT met" \
	grep -qE '^\| export\+release of 2025 refs .*\| pv dom0 \|.*\| NOT met \|$' "$r"
check "the super-linear 6.12-pvh says NOT met" \
	grep -qE '^\| export cost linear .*\| 6\.12-pvh \|.*\| NOT met \|$' "$r"
check "the met frame goal says met" \
	grep -qE '^\| zero-copy dom0 CPU .*\| 6\.1-pv \|.*\| met \|$' "$r"
check "the errno is named" grep -q 'ENOMEM (12)' "$r"
check "spread.py over three runs exits 0" "$py" "$here/spread.py" "${dirs[@]}"
check "spread.md has a judged row" \
	grep -qE '^\| export/classic at 2025 pages, 6\.1-pv \|.*\| (yes|no) \|$' \
	"${dirs[2]}/spread.md"

# Our module's export section only.
e=$tmp/export-only
mkdir -p "$e"
awk -F, 'NR == 1 || ($2 == "ours" && $3 == "export")' "$d/data.csv" \
	> "$e/data.csv"
check "export-only data: report.py exits 0" "$py" "$here/report.py" "$e"
check "export-only data: every section" report_has_sections "$e/report.md"
for h in '## Per-frame cost at 1080p' '## IMP_TO_REFS (import) cost vs size' \
	'## Memory' "## Against Debian's module"; do
	check "export-only data: '${h#\#\# }' not measured" \
		not_measured_after "$e/report.md" "$h"
done
check "export-only data: frame goal not measured" \
	grep -qE '^\| zero-copy dom0 CPU .*\| not measured \|' "$e/report.md"

mkdir -p "$tmp/empty" "$tmp/header"
echo "point,gntdev,section,case,pages,round,metric,value" \
	> "$tmp/header/data.csv"
check "no data.csv: exit 1" exits_1 "$py" "$here/report.py" "$tmp/empty"
check "header only: exit 1" exits_1 "$py" "$here/report.py" "$tmp/header"

echo "1..$n"
exit $bad
