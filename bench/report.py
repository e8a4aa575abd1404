#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# report.py DIR - owns the 'make bench' report: reads DIR/data.csv
# (benchdata.py), writes DIR/report.md and its plots DIR/plots/*.png,
# *.svg (plot.py), and prints the headline and the report's path.
# Exit status 0 when a report was written, goals met or not; 1 on bad
# input (no data.csv, no rows).
import datetime
import errno
import math
import os
import re
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdata as bd  # noqa: E402
import plot  # noqa: E402

EXPORT_CASES = ["classic", "export", "export-vgem", "export-wc",
                "export-coherent"]
FRAME_CASES = ["zero-copy", "copy", "grant-copy"]
PHASES = ["us_map", "us_mmap", "us_munmap", "us_unmap", "us_export",
          "us_close", "us_wait"]
FRAME = bd.FRAME_PAGES
NOT_MEASURED = "Not measured."


# Formatting.
def num(x):
    """Three significant figures, thousands separated; '—' for None."""
    if x is None:
        return "—"
    if abs(x) >= 1000 or x == 0:
        return f"{x:,.0f}"
    return f"{x:.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"


def times(x):
    """A ratio: two decimals from 0.1 to 10, else 3 significant figures."""
    if x is None:
        return "—"
    return (f"{x:.2f}" if 0.1 <= abs(x) < 10 else num(x)) + "×"


def pct(x):
    return "—" if x is None else f"{100 * x:.1f}%"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def max_of(xs):
    return max((x for x in xs if x is not None), default=None)


def ordered(cases, known):
    return [c for c in known if c in cases] + sorted(set(cases) - set(known))


def per_call(d, p, section, case, n, gntdev="ours"):
    """'µs (µs/page)' for one size."""
    m = d.median(p, section, case, n, "us", gntdev=gntdev)
    if m is None:
        return "—"
    return f"{num(m)} ({num(m / n)})" if n > 0 else num(m)


def errname(n):
    return f"{errno.errorcode.get(n, 'errno')} ({n})"


def run_date(directory):
    name = os.path.basename(os.path.realpath(directory))
    m = re.search(r"(\d{4})-?(\d\d)-?(\d\d)(?:-(\d\d)(\d\d)(\d\d))?", name)
    if m:
        date = f"{m[1]}-{m[2]}-{m[3]}"
        return date + (f" {m[4]}:{m[5]}:{m[6]}" if m[4] else "")
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


# The figures, per point of our module.
def frame_medians(d, p, case):
    """(cpu, wall, setup) medians of one frame case."""
    return tuple(d.median(p, "frame", case, FRAME, m)
                 for m in ("cpu_us", "us", "setup_us"))


def export_ratio(d, p, n, case="export"):
    return bd.ratio(d.median(p, "export", case, n, "us"),
                    d.median(p, "export", "classic", n, "us"))


def break_even(d, p):
    """The headline sentence on when zero-copy's setup is paid back,
    in wall time (setup_us is wall time), or None."""
    _, w_zc, s_zc = frame_medians(d, p, "zero-copy")
    _, w_cp, s_cp = frame_medians(d, p, "copy")
    if None in (w_zc, s_zc, w_cp, s_cp):
        return None
    dsetup, dframe = s_zc - s_cp, w_cp - w_zc
    setup = (f"its setup costs {num(abs(dsetup))} µs "
             f"{'more' if dsetup >= 0 else 'less'} than copy mode's")
    if dframe <= 0:
        return (f"{p}: zero-copy never pays for its export: a frame costs "
                f"{num(w_zc)} µs wall zero-copy against {num(w_cp)} µs "
                f"copying ({setup})")
    n = max(0, math.ceil(dsetup / dframe))
    when = (f"after {n} frame{'' if n == 1 else 's'}" if n else
            "from the first frame")
    return (f"{p}: zero-copy pays for its export {when} (wall time: "
            f"{setup}, each frame {num(dframe)} µs less)")


def headline(d):
    out = []
    for p in d.points():
        lines = []
        zc, cp, gc = (frame_medians(d, p, c)[0] for c in FRAME_CASES)
        if zc and cp:
            s = (f"{p}: a 1080p frame costs dom0 {num(zc)} µs of CPU "
                 f"zero-copy against {num(cp)} µs copying: " +
                 (f"{num(cp / zc)} times less" if zc <= cp else
                  f"{num(zc / cp)} times MORE"))
            if gc:
                s += f" ({num(gc)} µs with grant copies)"
            lines.append(s)
        r1, r2 = (export_ratio(d, p, n) for n in bd.HEADLINE_SIZES)
        if r1 is not None:
            s = (f"{p}: exporting a 1080p frame's 2025 grants costs "
                 f"{times(r1)} the classic map+unmap of the same grants")
            if r2 is not None:
                s += f" (a 4K frame's 8100: {times(r2)})"
            lines.append(s)
        be = break_even(d, p)
        if be:
            lines.append(be)
        out += lines or [f"{p}: no headline figure measured"]
    return out or ["no rows of our module: not measured"]


def goals(d):
    """Rows (goal, where, measured, result)."""
    rows = []
    pts = d.points()
    goal = "zero-copy dom0 CPU per 1080p frame ≤ 5% of copy mode"
    for p in pts:
        zc, cp = (frame_medians(d, p, c)[0] for c in ("zero-copy", "copy"))
        if zc is not None and cp:
            rows.append((goal, p,
                         f"{pct(zc / cp)} ({num(zc)} / {num(cp)} µs)",
                         "met" if zc / cp <= 0.05 else "NOT met"))
    if not rows:
        rows.append((goal, "all points", "not measured", "—"))
    for n in bd.HEADLINE_SIZES:
        goal = f"export+release of {n} refs ≤ 1.0× classic map+unmap"
        for fl in ("pv", "pvh"):
            fpts = [p for p in pts if bd.flavour(p) == fl]
            rs = [(p, export_ratio(d, p, n)) for p in fpts]
            rs = [(p, r) for p, r in rs if r is not None]
            if not fpts:
                continue
            if not rs:
                rows.append((goal, f"{fl} dom0", "not measured", "—"))
                continue
            worst = max(r for _, r in rs)
            rows.append((goal, f"{fl} dom0", f"worst {times(worst)} (" +
                         ", ".join(f"{p} {times(r)}" for p, r in rs) + ")",
                         "met" if worst <= 1.0 else "NOT met"))
    goal = "export cost linear in pages up to the largest size"
    for p in pts:
        cases = [c for c in ordered(d.cases(p, "export"), EXPORT_CASES)
                 if c != "classic"]
        sc = [(c, bd.scaling(d, p, c)) for c in cases]
        sc = [(c, s) for c, s in sc if s]
        if not sc:
            continue
        flagged = [(c, s) for c, s in sc if s.superlinear]
        growth = max_of(s.growth for _, s in sc)
        share = max_of(s.quad_share for _, s in sc)
        parts = []
        if growth is not None:
            parts.append(f"per page ≤ {times(growth)} of 2025's")
        if share is not None:
            parts.append(f"quadratic term ≤ {pct(share)}")
        if not parts:
            rows.append((goal, p, "too few sizes", "—"))
            continue
        text = (f"{len(sc)} case{'s' if len(sc) > 1 else ''} to "
                f"{max(s.largest for _, s in sc)} pages: " + ", ".join(parts))
        if flagged:
            text += "; super-linear: " + ", ".join(
                f"{c} ({times(s.growth)}, {pct(s.quad_share)})"
                for c, s in flagged)
        rows.append((goal, p, text, "NOT met" if flagged else "met"))
    if not any(r[0] == goal for r in rows):
        rows.append((goal, "all points", "not measured", "—"))
    return rows


# The sections: each returns its markdown lines.
class Report:
    def __init__(self, d, directory):
        self.d, self.dir = d, directory
        self.plotdir = os.path.join(directory, "plots")
        self.plot_errors = []

    def figure(self, name, alt, err):
        if err:
            self.plot_errors.append(err)
            return [f"(Plot {name} not drawn: {err}.)", ""]
        return [f"![{alt}](plots/{name}.png) ([SVG](plots/{name}.svg))", ""]

    def failures(self, section, skip=()):
        """A line naming the section's failed measurements, if any."""
        bad = [f"{c} at {n} pages on {p}: {errname(e)}"
               for p, c, n, e in self.d.errnos(section) if c not in skip]
        return [f"Failures recorded: {'; '.join(bad)}.",
                ""] if bad else []

    def title(self):
        d = self.d
        ours, stock = d.points(), d.points("stock")
        pts = sorted(set(ours) | set(stock), key=bd.point_key)
        make = f"make bench BENCH_MATRIX={','.join(pts)}"
        if not stock:
            make += " BENCH_STOCK=0"
        out = [f"# xen-gntdev benchmarks, {run_date(self.dir)}", "",
               f"Points measured with our module: {', '.join(ours) or 'none'}"
               f"; with Debian's: {', '.join(stock) or 'none'}.", "",
               f"Reproduce: `{make}` (`BENCH_RUNS=3` for the spread "
               "between runs, bench/spread.py).", ""]
        if d.skipped:
            out += [f"Malformed rows of data.csv skipped: {d.skipped}.", ""]
        return out

    def export_cost(self):
        d = self.d
        out = ["## Export cost vs size", ""]
        pts = d.points(section="export")
        if not pts:
            return out + [NOT_MEASURED, ""]
        out += ["Median wall µs per call, µs per page in brackets; "
                "classic: MAP_GRANT_REF + mmap + touch + munmap + "
                "UNMAP_GRANT_REF; export: DMABUF_EXP_FROM_REFS + close + "
                "wait released (-vgem: + PRIME import into vgem; -wc, "
                "-coherent: contiguous buffers).", ""]
        panels_call, panels_page = [], []
        for p in pts:
            cases = ordered(d.cases(p, "export"), EXPORT_CASES)
            sizes = sorted({n for c in cases
                            for n in d.sizes(p, "export", c)})
            out += [f"### {p}", ""]
            out += table(["pages"] + cases + ["export/classic"],
                         [[n] + [per_call(d, p, "export", c, n) for c in cases]
                          + [times(export_ratio(d, p, n))] for n in sizes])
            out.append("")
            out += self.breakdown(p, "export", cases)
            series = [(c, [(n, d.median(p, "export", c, n, "us"))
                           for n in d.sizes(p, "export", c)]) for c in cases]
            panels_call.append((p, series))
            panels_page.append((p, [(c, [(n, y / n) for n, y in xy if n > 0])
                                    for c, xy in series]))
        out += self.figure("export-cost", "cost per call vs pages", plot.lines(
            self.plotdir, "export-cost", "Cost of one call vs buffer size",
            "pages (grant refs) per buffer", "wall µs per call (median)",
            panels_call))
        out += self.figure("export-per-page", "cost per page vs pages",
                           plot.lines(self.plotdir, "export-per-page",
                                      "Cost per page vs buffer size",
                                      "pages (grant refs) per buffer",
                                      "wall µs per page (median)",
                                      panels_page, key="top right"))
        return out + self.failures("export")

    def breakdown(self, p, section, cases):
        """The phase medians (us_*) of a point, if measured."""
        d = self.d
        cols = [(c, m) for c in cases for m in
                ordered([m for m in d.metrics(p, section, c)
                         if m.startswith("us_")], PHASES)]
        if not cols:
            return []
        sizes = sorted({n for c, m in cols for n in d.sizes(p, section, c, m)})
        rows = [[n] + [num(d.median(p, section, c, n, m)) for c, m in cols]
                for n in sizes]
        return ([f"Where the time goes on {p} (median µs of each phase):",
                 ""] +
                table(["pages"] + [f"{c}: {m[3:]}" for c, m in cols], rows) +
                [""])

    def scaling(self):
        d = self.d
        out = ["## Scaling", ""]
        pts = d.points(section="export")
        if not pts:
            return out + [NOT_MEASURED, ""]
        out += ["Least-squares fit of the medians, us = a + b·pages, per "
                "case; super-linear when a quadratic fit's c·pages² is "
                "more than 10% of its value at the largest size, or the "
                "per-page cost there exceeds 1.25× that at 2025 pages.", ""]
        rows, small = [], []
        for p in pts:
            for c in ordered(d.cases(p, "export"), EXPORT_CASES):
                s = bd.scaling(d, p, c)
                if s:
                    rows.append([p, c, num(s.b), num(s.a), f"{s.r2:.4f}",
                                 s.largest, pct(s.quad_share),
                                 times(s.growth),
                                 "**yes**" if s.superlinear else "no"])
                one = d.median(p, "export", c, 1, "us")
                big = d.median(p, "export", c, FRAME, "us")
                if one and big:
                    small.append([p, c, num(FRAME * one), num(big),
                                  times(FRAME * one / big)])
        out += table(["point", "case", "b µs/page", "a µs", "R²",
                      "largest pages", "quadratic share there",
                      "per page there / at 2025", "super-linear"],
                     rows) if rows else ["Fewer than two sizes measured."]
        out += ["", "Many small against one large: 2025 one-page calls "
                "(2025 × the one-page median) against one 2025-page call.",
                ""]
        out += table(["point", "case", "2025 × 1 page µs",
                      "1 × 2025 pages µs", "many small / one large"],
                     small) if small else [NOT_MEASURED]
        return out + [""]

    def frames(self):
        d = self.d
        out = ["## Per-frame cost at 1080p", ""]
        pts = d.points(section="frame")
        if not pts:
            return out + [NOT_MEASURED, ""]
        out += ["One 1920x1080 XRGB8888 frame (2025 pages): dom0 CPU "
                "(user+sys) and wall µs per frame, medians over the "
                "batches; setup: the one-off cost before the first frame.  "
                "Per frame, zero-copy does a DMA_BUF_IOCTL_SYNC START and "
                "END on the frame's buffer (what a CPU reader of it must "
                "do; a KMS scanout would do one atomic commit instead), "
                "copy a memcpy of the frame from the grant mapping into a "
                "vgem dumb buffer, grant-copy one GRANT_COPY of its 2025 "
                "pages (tests/bench/frame.c).",
                ""]
        rows, cases_seen = [], set()
        for p in pts:
            cases = ordered(d.cases(p, "frame"), FRAME_CASES)
            cases_seen |= set(cases)
            cpu_cp, wall_cp, _ = frame_medians(d, p, "copy")
            for c in cases:
                cpu, wall, setup = frame_medians(d, p, c)
                rows.append([p, c, num(cpu), num(wall),
                             num(1e6 / wall) if wall else "—", num(setup),
                             times(bd.ratio(cpu, cpu_cp)),
                             times(bd.ratio(wall, wall_cp))])
        out += table(["point", "case", "CPU µs/frame", "wall µs/frame",
                      "frames/s", "setup µs", "CPU × copy", "wall × copy"],
                     rows)
        out.append("")
        cases = ordered(cases_seen, FRAME_CASES)
        out += self.figure("frame-cpu", "dom0 CPU per frame", plot.bars(
            self.plotdir, "frame-cpu", "dom0 CPU per 1080p frame",
            "dom0 CPU µs per frame (median, log scale)", pts, cases,
            lambda p, c: frame_medians(d, p, c)[0]))
        return out + self.failures("frame")

    def imports(self):
        d = self.d
        out = ["## IMP_TO_REFS (import) cost vs size", ""]
        pts = d.points(section="import")
        if not pts:
            return out + [NOT_MEASURED, ""]
        out += ["Granting a local dma-buf to the guest "
                "(DMABUF_IMP_TO_REFS + release): median wall µs per call, "
                "µs per page in brackets.", ""]
        panels = []
        for c in sorted({c for p in pts for c in d.cases(p, "import")}):
            cpts = [p for p in pts if c in d.cases(p, "import")]
            sizes = sorted({n for p in cpts for n in d.sizes(p, "import", c)})
            out += [f"### {c}", ""] + table(
                ["pages"] + cpts,
                [[n] + [per_call(d, p, "import", c, n) for p in cpts]
                 for n in sizes]) + [""]
            for p in cpts:
                out += self.breakdown(p, "import", [c])
            panels.append((c, [(p, [(n, d.median(p, "import", c, n, "us"))
                                    for n in d.sizes(p, "import", c)])
                               for p in cpts]))
        out += self.figure("import-cost", "import cost vs pages", plot.lines(
            self.plotdir, "import-cost", "DMABUF_IMP_TO_REFS + release",
            "pages per buffer", "wall µs per call (median)", panels))
        return out + self.failures("import")

    def memory(self):
        d = self.d
        out = ["## Memory", ""]
        pts = d.points(section="memory")
        if not pts:
            return out + [NOT_MEASURED, ""]

        def first(p, case, metric):
            sizes = d.sizes(p, "memory", case, metric)
            return (d.median(p, "memory", case, sizes[0], metric), sizes[0]) \
                if sizes else (None, None)

        rows = []
        for p in pts:
            kb, _ = first(p, "live-1000x16", "kb_per_page")
            avail, _ = first(p, "live-1000x16", "kb_memavail_delta")
            slab, _ = first(p, "live-1000x16", "kb_slab_delta")
            count, pages = first(p, "capacity", "count")
            err, _ = first(p, "capacity", "errno")
            if err is None:
                nxt = "—"
            elif int(err) == 0:
                nxt = "none: stopped at its own bound"
            else:
                nxt = errname(int(err))
            rows.append([p, num(kb), num(avail), num(slab),
                         "—" if count is None else
                         f"{count:.0f} × {pages} pages", nxt])
        out += ["live-1000x16: 1000 exported buffers of 16 pages alive at "
                "once, dom0's memory cost; capacity: how many 2025-page "
                "buffers could be exported before the next one failed.", ""]
        return out + table(["point", "kB per exported page",
                            "MemAvailable Δ kB", "slab Δ kB", "capacity",
                            "next export's error"], rows) + [""] + \
            self.failures("memory", skip=("capacity",))

    def stock(self):
        d = self.d
        out = ["## Against Debian's module", ""]
        pts = [p for p in d.points() if p in d.points("stock")]
        rows = []
        for p in pts:
            base = {g: d.median(p, "baseline", "memcpy", FRAME, "us", gntdev=g)
                    for g in ("ours", "stock")}
            for n in bd.HEADLINE_SIZES:
                cl = {g: d.median(p, "export", "classic", n, "us", gntdev=g)
                      for g in ("ours", "stock")}
                if None in cl.values():
                    continue
                norm = {g: bd.ratio(cl[g], base[g]) for g in cl}
                rows.append([p, n] + [x for g in ("ours", "stock") for x in
                                      (num(cl[g]), num(base[g]),
                                       num(norm[g]))] +
                            [times(bd.ratio(norm["ours"], norm["stock"]))])
        if not rows:
            return out + [NOT_MEASURED, ""]
        out += ["The classic path (map + mmap + touch + munmap + unmap) in "
                "separate boots: each median divided by the same boot's "
                "8 MiB memcpy median (the emulated machine's speed that "
                "boot), then ours over stock (below 1: ours is faster).", ""]
        return out + table(["point", "pages", "ours µs", "ours memcpy µs",
                            "ours / memcpy", "stock µs", "stock memcpy µs",
                            "stock / memcpy", "ours / stock"], rows) + [""]

    def spread(self):
        out = ["## Spread", ""]
        rs = bd.headline_ratios(self.d)
        if not rs:
            return out + [NOT_MEASURED, ""]
        out += ["Each headline ratio taken round by round (numerator and "
                "denominator of the same round, the cases being "
                "interleaved in one boot); spread = (p90 − p10) / median of "
                "those per-round ratios (percentiles interpolated), with "
                "their minimum and maximum.", ""]
        rows = [[r.name, times(r.value), len(r.per_round),
                 times(min(r.per_round, default=None)),
                 times(max(r.per_round, default=None)),
                 pct(bd.spread(r.per_round))] for r in rs]
        return out + table(["ratio", "ratio of medians", "rounds",
                            "min", "max", "spread"], rows) + [""]


def main(argv):
    if len(argv) != 2:
        print("usage: report.py DIR (with DIR/data.csv)", file=sys.stderr)
        return 1
    directory = argv[1]
    try:
        d = bd.load(directory)
    except bd.BadInput as e:
        print(f"report: {e}", file=sys.stderr)
        return 1
    r = Report(d, directory)
    head = headline(d)
    gl = goals(d)
    md = r.title()
    md += ["## Headline", ""] + [f"- {h}" for h in head] + [""]
    md += ["## Goals", ""] + table(["goal", "where", "measured", "result"],
                                   gl) + [""]
    md += ["Linear scaling: per-page cost at the largest size against that "
           "at 2025 pages, and the quadratic term's share there "
           "(see Scaling).", ""]
    for section in (r.export_cost, r.scaling, r.frames, r.imports, r.memory,
                    r.stock, r.spread):
        md += section()
    md += ["## Notes", "",
           "Raw data in data.csv (one row per round).  The figures are "
           "ratios taken in the same boot; absolute times under QEMU TCG "
           "say little about real hardware.", ""]
    path = os.path.join(directory, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(md))
    for h in head:
        print(h)
    met = sum(g[3] == "met" for g in gl)
    judged = sum(g[3] in ("met", "NOT met") for g in gl)
    print(f"goals: {met} of {judged} met")
    for e in dict.fromkeys(r.plot_errors):
        print(f"report: {e}", file=sys.stderr)
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
