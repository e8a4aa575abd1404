# SPDX-License-Identifier: GPL-2.0-only
#
# plot.py - owns the gnuplot side of the bench report: writes each plot's
# script, data inline, as DIR/plots/NAME.gp and renders it to NAME.png
# (pngcairo, else png) and NAME.svg.  Returns None or why it failed.
import math
import os
import shutil
import subprocess

# One colour per case, the same in every plot.
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
           "#8c564b", "#e377c2", "#17becf"]
FONT = "sans,11"
_png_term = None


def gnuplot_missing():
    return shutil.which("gnuplot") is None


def png_terminal():
    global _png_term
    if _png_term is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"],
                           capture_output=True, text=True)
        _png_term = "pngcairo" if "pngcairo" in r.stdout + r.stderr else "png"
    return _png_term


def quote(s):
    return "'" + str(s).replace("'", "''") + "'"


def log_range(values):
    """[10^k : 10^m] around positive values for a log axis, with room
    (a decade more) when the data come near either end."""
    v = [x for x in values if x and x > 0]
    if not v:
        return "[*:*]"
    lo = 10 ** math.floor(math.log10(min(v)))
    hi = 10 ** math.ceil(math.log10(max(v)))
    lo = lo / 10 if min(v) < 3 * lo else lo
    hi = hi * 10 if max(v) > hi / 1.5 else hi
    return f"[{lo:g}:{hi:g}]"


def log_axis(axis, values):
    """Log scale, range and tic format (whole numbers from 1 up)."""
    rng = log_range(values)
    fmt = "%.0f" if min((v for v in values if v and v > 0),
                        default=0) >= 1 else "%g"
    return f"set logscale {axis}; set {axis}range {rng}; " \
        f"set format {axis} '{fmt}'"


def render(plotdir, name, body, width, height):
    """Writes NAME.gp and runs it for PNG and SVG."""
    if gnuplot_missing():
        return "gnuplot is not installed (apt-get install gnuplot-nox)"
    os.makedirs(plotdir, exist_ok=True)
    script = os.path.join(plotdir, name + ".gp")
    with open(script, "w") as f:
        f.write(body)
    terms = {
        "png": f"{png_terminal()} size {width},{height} font '{FONT}'",
        "svg": f"svg size {width},{height} font '{FONT}' background '#ffffff'",
    }
    for ext, term in terms.items():
        out = os.path.join(plotdir, f"{name}.{ext}")
        r = subprocess.run(
            ["gnuplot", "-e", f"set encoding utf8; set terminal {term} "
             f"noenhanced; set output {quote(out)}", script],
            capture_output=True, text=True)
        if r.returncode or not os.path.getsize(out):
            return f"gnuplot failed on {script}: {r.stderr.strip()}"
    return None


def lines(plotdir, name, title, xlabel, ylabel, panels, logy=True,
          key="top left"):
    """Lines with points against pages (log x), one panel per point:
    panels = [(panel title, [(case, [(x, y)...])...])...]."""
    panels = [(t, [(c, [(x, y) for x, y in xy if x > 0 and y and y > 0])
                   for c, xy in series]) for t, series in panels]
    panels = [(t, [(c, xy) for c, xy in series if xy])
              for t, series in panels]
    panels = [(t, series) for t, series in panels if series]
    if not panels:
        return "no data to plot"
    cases = sorted({c for _, series in panels for c, _ in series})
    colour = {c: COLOURS[i % len(COLOURS)] for i, c in enumerate(cases)}
    cols = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / cols)
    xs = [x for _, series in panels for _, xy in series for x, _ in xy]
    ys = [y for _, series in panels for _, xy in series for _, y in xy]
    out = []
    for i, (_, series) in enumerate(panels):
        for j, (_, xy) in enumerate(series):
            out.append(f"$d{i}_{j} << EOD")
            out += [f"{x} {y}" for x, y in xy]
            out.append("EOD")
    out += ["set logscale x", "set format x '%.0f'",
            f"set xrange [{min(xs) / 1.5:g}:{max(xs) * 1.5:g}]",
            "set grid xtics ytics mxtics mytics lc rgb '#dddddd'",
            f"set xlabel {quote(xlabel)}", f"set ylabel {quote(ylabel)}",
            f"set key {key} box opaque samplen 2 width 1"]
    out.append(log_axis("y", ys) if logy else "set yrange [0:*]")
    out.append(f"set multiplot layout {rows},{cols} title {quote(title)}")
    for i, (ptitle, series) in enumerate(panels):
        out.append(f"set title {quote(ptitle)}")
        out.append("plot " + ", \\\n     ".join(
            f"$d{i}_{j} using 1:2 with linespoints lw 2 pt 7 ps 0.8 "
            f"lc rgb '{colour[c]}' title {quote(c)}"
            for j, (c, _) in enumerate(series)))
    out.append("unset multiplot")
    return render(plotdir, name, "\n".join(out) + "\n",
                  1200 if cols == 2 else 800, 80 + 420 * rows)


def bars(plotdir, name, title, ylabel, groups, cases, value):
    """A clustered bar chart, log y: one cluster per group (point), one
    bar per case; value(group, case) is a number or None."""
    out = ["$d << EOD"]
    vals = []
    for g in groups:
        row = [value(g, c) for c in cases]
        vals += row
        out.append(g + " " + " ".join("NaN" if v is None else f"{v:g}"
                                      for v in row))
    if not any(v and v > 0 for v in vals):
        return "no data to plot"
    out += ["EOD", f"set title {quote(title)}", f"set ylabel {quote(ylabel)}",
            "set xlabel 'machine point (kernel-dom0 type)'",
            "set style data histograms",
            "set style histogram clustered gap 1",
            "set style fill solid 0.85 border -1",
            log_axis("y", vals),
            "set grid ytics mytics lc rgb '#dddddd'",
            "set key top left box opaque width 1"]
    out.append("plot " + ", ".join(
        f"$d using {i + 2}:xtic(1) lc rgb '{COLOURS[i % len(COLOURS)]}' "
        f"title {quote(c)}" for i, c in enumerate(cases)))
    return render(plotdir, name, "\n".join(out) + "\n",
                  max(700, 140 * len(groups) * len(cases) // 2), 500)
