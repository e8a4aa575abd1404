#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# synth.py DIR SEED - owns the synthetic data.csv of
# test-report.sh: three points, our module and Debian's, every section,
# plausible figures with seeded (deterministic) noise.  Built to miss
# two goals on purpose: export/classic > 1 on the PV point and
# super-linear export-vgem on 6.12-pvh.
import os
import random
import sys

POINTS = ["6.1-pv", "6.1-pvh", "6.12-pvh"]
SIZES = [1, 16, 256, 768, 2025, 8100, 16384]
ROUNDS = 11


def main(directory, seed):
    rnd = random.Random(seed)
    rows = []

    def emit(point, g, section, case, pages, metric, value, rounds=ROUNDS):
        for r in range(rounds):
            v = value if metric in ("count", "errno") else \
                value * rnd.gauss(1, 0.03)
            rows.append(f"{point},{g},{section},{case},{pages},{r},{metric},"
                        f"{v:.6g}")

    for point in POINTS:
        pv = point.endswith("-pv")
        for g in ("ours", "stock"):
            speed = rnd.uniform(0.9, 1.1)       # this boot's emulator speed
            emit(point, g, "baseline", "memcpy", 2025, "us", 40000 * speed, 5)
            per = (6.0 if pv else 4.0) * (1.3 if g == "stock" else 1.0)
            for n in SIZES:
                emit(point, g, "export", "classic", n, "us",
                     speed * (30 + per * n))
                if g == "stock":
                    continue
                for m, share in (("map", 0.1), ("mmap", 0.5),
                                 ("munmap", 0.2), ("unmap", 0.2)):
                    emit(point, g, "export", "classic", n, "us_" + m,
                         speed * share * (30 + per * n))
                ex = speed * (40 + (per * 1.45 if pv else per * 0.95) * n)
                emit(point, g, "export", "export", n, "us", ex)
                for m, share in (("export", 0.55), ("close", 0.44),
                                 ("wait", 0.01)):
                    emit(point, g, "export", "export", n, "us_" + m,
                         ex * share)
                vgem = ex * 1.05 + 20
                if point == "6.12-pvh":
                    vgem += 2e-5 * n * n        # super-linear on purpose
                emit(point, g, "export", "export-vgem", n, "us", vgem)
                if not pv:
                    emit(point, g, "export", "export-wc", n, "us", ex * 1.1)
                    emit(point, g, "export", "export-coherent", n, "us",
                         ex * 1.2)
            if g == "stock":
                continue
            for n in (1, 256, 2025, 8100):
                emit(point, g, "import", "imp-vgem", n, "us",
                     speed * (20 + 0.5 * n))
            for case, cpu, wall, setup in (
                    ("zero-copy", 12, 60, 1500), ("copy", 3400, 4000, 300),
                    ("grant-copy", 2900, 3500, 200)):
                emit(point, g, "frame", case, 2025, "cpu_us", speed * cpu, 8)
                emit(point, g, "frame", case, 2025, "us", speed * wall, 8)
                emit(point, g, "frame", case, 2025, "setup_us",
                     speed * setup, 1)
            emit(point, g, "memory", "live-1000x16", 16, "kb_per_page",
                 0.07, 1)
            emit(point, g, "memory", "live-1000x16", 16, "kb_memavail_delta",
                 70000 * 0.07 / 4, 1)
            emit(point, g, "memory", "live-1000x16", 16, "kb_slab_delta",
                 900, 1)
            emit(point, g, "memory", "capacity", 2025, "count", 61, 1)
            emit(point, g, "memory", "capacity", 2025, "errno",
                 12 if pv else 0, 1)
    rows.append("6.1-pv,ours,future,thing,1,0,us,1")     # unknown: ignored
    rows.append("6.1-pv,ours,export,classic,x,0,us,1")   # malformed: skipped
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "data.csv"), "w") as f:
        f.write("point,gntdev,section,case,pages,round,metric,value\n")
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
