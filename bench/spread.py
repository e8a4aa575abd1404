#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# spread.py DIR1 DIR2 ... - owns the comparison of whole 'make bench'
# runs (BENCH_RUNS=N): each run's headline ratios (benchdata.py:
# zero-copy/copy CPU per 1080p frame, export/classic at 2025 and 8100
# pages, per point), their min, max and spread = (max - min) / min, as a
# markdown table printed and written to the last DIR as spread.md.
# A run without usable data counts as not measured.  Exit status 0.
import os
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdata as bd  # noqa: E402
from report import table, times  # noqa: E402

WITHIN = 0.20


def main(dirs):
    if not dirs:
        print("usage: spread.py DIR1 DIR2 ...", file=sys.stderr)
        return 2
    runs = []       # per run: {ratio name: value}
    for d in dirs:
        try:
            runs.append({r.name: r.value for r in
                         bd.headline_ratios(bd.load(d))})
        except bd.BadInput as e:
            print(f"spread: {e}: not measured", file=sys.stderr)
            runs.append({})
    names = []
    for run in runs:
        names += [n for n in run if n not in names]
    rows = []
    for n in names:
        vals = [run.get(n) for run in runs]
        got = [v for v in vals if v is not None]
        lo, hi = min(got), max(got)
        spread = (hi - lo) / lo if lo and len(got) > 1 else None
        rows.append([n] + [times(v) for v in vals] +
                    [times(lo), times(hi),
                     "—" if spread is None else f"{100 * spread:.1f}%",
                     "—" if spread is None else
                     ("yes" if spread <= WITHIN else "no")])
    labels = [os.path.basename(os.path.realpath(d)) for d in dirs]
    md = [f"# Spread of the headline ratios over {len(dirs)} runs", "",
          "spread = (max − min) / min over the runs; " +
          ", ".join(f"run {i + 1}: {lab}" for i, lab in enumerate(labels)) +
          ".", ""]
    md += table(["ratio"] + [f"run {i + 1}" for i in range(len(dirs))] +
                ["min", "max", "spread", "within 20%"], rows) \
        if rows else ["No headline ratio measured in any run."]
    text = "\n".join(md) + "\n"
    print(text, end="")
    path = os.path.join(dirs[-1], "spread.md")
    try:
        with open(path, "w") as f:
            f.write(text)
        print(f"spread: {path}")
    except OSError as e:
        print(f"spread: {path}: {e.strerror}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
