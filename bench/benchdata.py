# SPDX-License-Identifier: GPL-2.0-only
#
# benchdata.py - owns reading a 'make bench' result directory (its
# data.csv) and the arithmetic report.py and spread.py share: medians,
# spreads, per-round ratios, least-squares fits and the headline ratios.
# Standard library only.
import csv
import math
import os
import re
import statistics
from collections import defaultdict, namedtuple

COLUMNS = ("point", "gntdev", "section", "case", "pages", "round", "metric",
           "value")
FRAME_PAGES = 2025          # one 1920x1080 XRGB8888 frame
HEADLINE_SIZES = (2025, 8100)   # a 1080p and a 4K frame's grants


class BadInput(Exception):
    """No data.csv, no header, or not one usable row."""


# One headline ratio of a run: its name (the key across runs), point,
# the ratio of the medians and the ratios round by round.
Ratio = namedtuple("Ratio", "name point value per_round")


def point_key(point):
    """Sort 6.1 before 6.12, pv before pvh, plain before -oxenstored."""
    m = re.match(r"(\d+)\.(\d+)-(pvh?)(.*)$", point)
    if not m:
        return (1, 0, 0, "", point)
    return (0, int(m[1]), int(m[2]), m[3], m[4])


def flavour(point):
    """The dom0 type of a point: pv or pvh."""
    m = re.match(r"[\d.]+-(pvh?)\b", point)
    return m[1] if m else "?"


class Data:
    """The rows of one data.csv, grouped by measurement."""

    def __init__(self, path):
        self.path = path
        self.skipped = 0
        # (gntdev, point, section, case, pages, metric) -> [(round, value)]
        self.rows = defaultdict(list)
        self._read(path)

    def _read(self, path):
        if not os.path.isfile(path):
            raise BadInput(f"{path}: no such file")
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            if not set(COLUMNS) <= set(header):
                raise BadInput(f"{path}: header is not {','.join(COLUMNS)}")
            col = {name: header.index(name) for name in COLUMNS}
            for row in reader:
                self._add(row, col)
        if not self.rows:
            raise BadInput(f"{path}: no measurement rows")

    def _add(self, row, col):
        try:
            f = {name: row[i].strip() for name, i in col.items()}
            pages = int(float(f["pages"]))
            value = float(f["value"])
        except (IndexError, ValueError):
            self.skipped += 1
            return
        if not math.isfinite(value):
            self.skipped += 1
            return
        key = (f["gntdev"], f["point"], f["section"], f["case"], pages,
               f["metric"])
        self.rows[key].append((f["round"], value))

    # Look-ups; gntdev is "ours" unless asked otherwise.
    def rounds(self, point, section, case, pages, metric, gntdev="ours"):
        return self.rows.get((gntdev, point, section, case, pages, metric), [])

    def values(self, *key, gntdev="ours"):
        return [v for _, v in self.rounds(*key, gntdev=gntdev)]

    def median(self, *key, gntdev="ours"):
        return median(self.values(*key, gntdev=gntdev))

    def points(self, gntdev="ours", section=None):
        pts = {k[1] for k in self.rows
               if k[0] == gntdev and section in (None, k[2])}
        return sorted(pts, key=point_key)

    def cases(self, point, section, gntdev="ours"):
        return sorted({k[3] for k in self.rows
                       if k[:3] == (gntdev, point, section)})

    def sizes(self, point, section, case, metric="us", gntdev="ours"):
        return sorted({k[4] for k in self.rows
                       if k[:4] == (gntdev, point, section, case)
                       and k[5] == metric})

    def metrics(self, point, section, case, gntdev="ours"):
        return sorted({k[5] for k in self.rows
                       if k[:4] == (gntdev, point, section, case)})

    def errnos(self, section, gntdev="ours"):
        """The failures a section recorded: [(point, case, pages, errno)]
        from its non-zero "errno" rows."""
        return sorted({(k[1], k[3], k[4], int(v)) for k, rows in
                       self.rows.items() if k[0] == gntdev and
                       k[2] == section and k[5] == "errno"
                       for _, v in rows if v},
                      key=lambda f: (point_key(f[0]),) + f[1:])

    def has(self, section, gntdev="ours"):
        return any(k[0] == gntdev and k[2] == section for k in self.rows)


# Statistics.
def median(xs):
    return statistics.median(xs) if xs else None


def percentile(xs, q):
    """The q-th percentile (0..100), linearly interpolated."""
    s = sorted(xs)
    if not s:
        return None
    i = (len(s) - 1) * q / 100
    lo = math.floor(i)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def spread(xs):
    """(p90 - p10) / median, or None for fewer than two values."""
    m = median(xs)
    if len(xs) < 2 or not m:
        return None
    return (percentile(xs, 90) - percentile(xs, 10)) / m


def ratio(a, b):
    return a / b if a is not None and b else None


def paired_ratios(num, den):
    """Round-by-round ratios of two [(round, value)] lists: paired by
    round number when both have unique rounds in common, else in order."""
    dn, dd = dict(num), dict(den)
    common = [r for r in dn if r in dd]
    if len(dn) == len(num) and len(dd) == len(den) and common:
        pairs = [(dn[r], dd[r]) for r in common]
    else:
        pairs = zip((v for _, v in num), (v for _, v in den))
    return [a / b for a, b in pairs if b]


def linfit(xs, ys):
    """Least squares y = a + b*x: (a, b, r2)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return a, b, (1 - ss_res / ss_tot) if ss_tot else 1.0


def quadfit(xs, ys):
    """Least squares y = a + b*x + c*x^2: (a, b, c).  Solved on x scaled
    to [0, 1] (the normal equations of raw page counts are ill-conditioned)."""
    s = max(xs)
    t = [x / s for x in xs]
    m = [[sum(ti ** (i + j) for ti in t) for j in range(3)] +
         [sum(yi * ti ** i for ti, yi in zip(t, ys))] for i in range(3)]
    for i in range(3):              # Gauss-Jordan, partial pivoting
        p = max(range(i, 3), key=lambda r: abs(m[r][i]))
        m[i], m[p] = m[p], m[i]
        if not m[i][i]:
            return None
        for r in range(3):
            if r != i:
                k = m[r][i] / m[i][i]
                m[r] = [x - k * y for x, y in zip(m[r], m[i])]
    a, b, c = (m[i][3] / m[i][i] for i in range(3))
    return a, b / s, c / (s * s)


Scaling = namedtuple("Scaling", "a b r2 quad_share largest growth superlinear")


def scaling(d, point, case):
    """Linear fit of the median us per call against pages for one export
    case; quad_share: the quadratic term's part of the quadratic fit at
    the largest size (None: fewer than 4 sizes); growth: per-page cost at
    the largest size over that at 2025 pages (None: not measured)."""
    sizes = d.sizes(point, "export", case)
    if len(sizes) < 2:
        return None
    meds = [d.median(point, "export", case, p, "us") for p in sizes]
    a, b, r2 = linfit(sizes, meds)
    big = sizes[-1]
    share = None
    q = quadfit(sizes, meds) if len(sizes) >= 4 else None
    if q:
        total = q[0] + q[1] * big + q[2] * big * big
        share = max(0.0, q[2] * big * big / total) if total > 0 else None
    growth = None
    if FRAME_PAGES in sizes and big > FRAME_PAGES:
        at = meds[sizes.index(FRAME_PAGES)] / FRAME_PAGES
        growth = ratio(meds[-1] / big, at)
    superlinear = (share or 0) > 0.10 or (growth or 0) > 1.25
    return Scaling(a, b, r2, share, big, growth, superlinear)


def headline_ratios(d):
    """The ratios a run is summed up by, per point of our module:
    zero-copy/copy dom0 CPU per 1080p frame, export/classic per call at
    2025 and 8100 pages."""
    out = []

    def add(name, p, section, top, bottom, n, metric):
        num = d.rounds(p, section, top, n, metric)
        den = d.rounds(p, section, bottom, n, metric)
        if num and den:
            out.append(Ratio(name, p, ratio(median([v for _, v in num]),
                                            median([v for _, v in den])),
                             paired_ratios(num, den)))

    for p in d.points():
        add(f"zero-copy/copy CPU per 1080p frame, {p}", p, "frame",
            "zero-copy", "copy", FRAME_PAGES, "cpu_us")
        for n in HEADLINE_SIZES:
            add(f"export/classic at {n} pages, {p}", p, "export", "export",
                "classic", n, "us")
    return out


def load(directory):
    """The Data of DIR/data.csv (raises BadInput)."""
    return Data(os.path.join(directory, "data.csv"))
