"""The class chart: every student's dot at its λ, the mean and spread per λ, the zoo's seed band behind them
and the λ the class would pick by the experiment's held-out criterion; as data (`chart_data`), as an SVG
drawn on the server in a few milliseconds (`svg`; the page shows it as HTML, nothing to render in the
browser), as a sentence (`summary`) and as CSV (`csv_text`).

A dot's x is its λ's column (the axis is a short list of λ values, spaced evenly), nudged by its seed so
that dots of one λ stand apart; simulated results (the load test's) are hollow; the viewer's own dots are
ringed. No member token leaves the server: a dot carries only its λ, seed, value and (optional) nickname.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, field
from html import escape
from typing import Any

from normgen.classroom.experiments import Experiment
from normgen.classroom.results import zoo_rows, zoo_value
from normgen.classroom.store import Result
from normgen.words import fmt_lambda, fmt_num, fmt_pm


@dataclass(frozen=True)
class Column:
    lam: float
    values: list[float]  # the class's results at this λ
    mine: list[float]
    band: tuple[float, float] | None  # the zoo's seed range at this λ
    band_n: int  # zoo seeds behind it
    picks: list[float] = field(default_factory=list)  # the pick criterion's values (shown units)

    @property
    def pick_mean(self) -> float | None:
        return statistics.fmean(self.picks) if self.picks else None

    @property
    def pick_se(self) -> float | None:
        """The standard error of `pick_mean` (None under two values)."""
        return statistics.stdev(self.picks) / math.sqrt(len(self.picks)) if len(self.picks) > 1 else None

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.values), max(self.values)) if self.values else None


@dataclass(frozen=True)
class ChartData:
    exp: Experiment
    columns: list[Column]
    dots: list[dict[str, Any]]  # column, lam, seed, value, mine, simulated, nickname
    pick: float | None  # the λ the class would pick (None: no criterion, or no result yet)
    zoo_steps: list[int] = field(default_factory=list)  # steps of the zoo entries in the band
    best: float | None = None  # the λ of the best mean criterion (the pick differs where a stronger λ ties it)


def zoo_band(entries: list[Any], exp: Experiment, lam: float) -> tuple[tuple[float, float] | None, int, list[int]]:
    """(min, max) of the zoo's seeds of `exp` at `lam` on its metric (shown units), how many, their steps."""
    rows = zoo_rows(entries, exp, lam)
    vals = [v * exp.scale for v in (zoo_value(e, exp.metric, exp.target) for e in rows) if v is not None]
    return ((min(vals), max(vals)) if vals else None), len(vals), sorted({e.steps for e in rows})


def chart_data(exp: Experiment, results: list[Result], entries: list[Any], me: str | None = None,
               nicknames: dict[str, str] | None = None) -> ChartData:
    """The chart of `results` (normgen.classroom.store) for the viewer `me` (a member token, or None)."""
    nicknames = nicknames or {}
    cols, dots, steps = [], [], set()
    for i, lam in enumerate(exp.lambdas):
        here = [r for r in results if abs(r.lam - lam) <= 1e-12]
        band, n, st = zoo_band(entries, exp, lam)
        steps.update(st)
        cols.append(Column(lam, [r.value * exp.scale for r in here],
                           [r.value * exp.scale for r in here if me is not None and r.member == me], band, n,
                           [r.pick_value * exp.scale for r in here if r.pick_value is not None]))
        dots += [{"column": i, "lam": lam, "seed": r.seed, "value": r.value * exp.scale,
                  "mine": me is not None and r.member == me, "simulated": r.simulated,
                  "nickname": nicknames.get(r.member, "")} for r in here]
    best, pick = _pick(exp, cols)
    return ChartData(exp, cols, dots, pick, sorted(steps), best)


def _pick(exp: Experiment, cols: list[Column]) -> tuple[float | None, float | None]:
    """(the λ of the best mean criterion, the λ the class picks): the one-standard-error rule (ESL 7.10), the
    strongest λ whose mean is within one standard error of the best mean, as Compare picks over the zoo's seeds;
    the best itself while it has one run (no standard error yet). (None, None) without a criterion or results."""
    scored = [c for c in cols if c.pick_mean is not None]
    if exp.pick is None or not scored:
        return None, None
    sign = 1.0 if exp.pick.higher_is_better else -1.0
    best = max(scored, key=lambda c: sign * c.pick_mean)
    if best.pick_se is None:
        return best.lam, best.lam
    tied = [c for c in scored if sign * (best.pick_mean - c.pick_mean) <= best.pick_se]
    return best.lam, max(c.lam for c in tied)


def summary(d: ChartData) -> str:
    """One or two sentences: how many results, and the class's pick."""
    n = len(d.dots)
    sim = sum(x["simulated"] for x in d.dots)
    s = f"**{n} result{'s' if n != 1 else ''}**" + (f" ({sim} simulated)" if sim else "") + " on the chart."
    if d.exp.pick is None:
        return s + " " + " ".join(d.exp.notes)
    if d.pick is None:
        return s + f" The class picks λ by {d.exp.pick.words} once results come in."
    e = d.exp
    col = {c.lam: c for c in d.columns}
    best, pick = col[d.best], col[d.pick]

    def lam(c: Column) -> str:
        return f"{e.axis.upper()} λ = {fmt_lambda(c.lam)}"

    def score(c: Column) -> str:
        runs = f"{len(c.picks)} run{'s' if len(c.picks) != 1 else ''}"
        return (f"{fmt_pm(c.pick_mean, c.pick_se)}, standard error over {runs}" if c.pick_se is not None
                else f"{fmt_num(c.pick_mean)}, {runs}: no standard error yet")
    if best.pick_se is None:
        return s + f" By {e.pick.words}, the class picks **{lam(pick)}** ({score(pick)})."
    if pick is best:
        return (s + f" By {e.pick.words}, the class picks **{lam(pick)}** ({score(pick)}): no stronger penalty scores "
                "within one standard error of it.")
    return (s + f" By {e.pick.words}, the best is {lam(best)} ({score(best)}); {lam(pick)} ({score(pick)}) is within "
            f"one standard error of it, so the class picks **{lam(pick)}**: the strongest penalty that scores as well "
            "(the one-standard-error rule).")


W, H = 960, 540
LEFT, RIGHT, TOP, BOTTOM = 92, 52, 64, 72
ORANGE, BLUE, GREY, GREEN = "#e8590c", "#1c7ed6", "#adb5bd", "#2b8a3e"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _scale(d: ChartData) -> tuple[float, float, list[float]]:
    """The value axis of both layouts: (low, high, ticks), padded around every dot and band."""
    ys = [v for c in d.columns for v in ([*c.values, *(c.band or ())])]
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    ticks = _ticks(lo, hi)
    return min(lo, ticks[0]), max(hi, ticks[-1]), ticks


def _legend(d: ChartData, x0: float, y0: float, width: float, size: float) -> tuple[list[str], float]:
    """The legend's marks and words from (x0, y0) (the first line's middle), wrapped at `width`; the SVG
    elements and the y of the last line's middle."""
    e = d.exp
    legend = [(GREY, "rect", "zoo seeds" + (f" ({'/'.join(map(str, d.zoo_steps))} steps)" if d.zoo_steps else "")),
              (BLUE, "dot", "a student's run"), ("#212529", "bar", "class mean and range"),
              (ORANGE, "ring", "you")] + ([(GREEN, "rect2", "class pick")] if e.pick is not None else []) + (
        [(BLUE, "hollow", "simulated")] if any(x["simulated"] for x in d.dots) else [])
    out, lx, y = [], x0, y0
    for colour, kind, text in legend:
        w = 34 + 0.56 * size * len(text)
        if lx > x0 and lx + w - 14 > x0 + width:
            lx, y = x0, y + size * 1.6
        if kind == "rect":
            out.append(f'<rect x="{lx}" y="{y - 7}" width="16" height="14" fill="{colour}" opacity="0.45"/>')
        elif kind == "rect2":
            out.append(f'<rect x="{lx}" y="{y - 7}" width="16" height="14" fill="none" stroke="{colour}" '
                       'stroke-width="3"/>')
        elif kind == "hollow":
            out.append(f'<circle cx="{lx + 8}" cy="{y}" r="6" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        elif kind == "dot":
            out.append(f'<circle cx="{lx + 8}" cy="{y}" r="6" fill="{colour}" fill-opacity="0.75"/>')
        elif kind == "bar":
            out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 16}" y2="{y}" stroke="{colour}" stroke-width="4"/>')
        else:
            out.append(f'<circle cx="{lx + 8}" cy="{y}" r="7" fill="{colour}" stroke="#000" stroke-width="2"/>')
        out.append(f'<text x="{lx + 22}" y="{y + 5}" font-size="{size}" fill="#343a40">{escape(text)}</text>')
        lx += w
    return out, y


def _dot(dot: dict[str, Any], x: float, y: float) -> str:
    fill = 'fill="none"' if dot["simulated"] else f'fill="{BLUE}" fill-opacity="0.7"'
    tip = escape(f"{dot['nickname'] or 'a student'}: seed {dot['seed']}, {fmt_num(dot['value'])}"
                 + (" (simulated)" if dot["simulated"] else ""))
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" {fill} stroke="{BLUE}" stroke-width="1.5">'
            f'<title>{tip}</title></circle>')


def _nudge(dot: dict[str, Any]) -> float:
    """Where a dot stands within its λ's lane, in [-0.5, 0.5): by seed, so that dots of one λ stand apart."""
    return (dot["seed"] * 0.618) % 1 - 0.5


def svg(d: ChartData, title: bool = True) -> str:
    """The chart as one inline SVG, λ across (scales to its container's width; a screen, a projector)."""
    lo, hi, ticks = _scale(d)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    k = len(d.columns)
    cw = pw / k

    def X(col: int, off: float = 0.0) -> float:
        return LEFT + cw * (col + 0.5) + off

    def Y(v: float) -> float:
        return TOP + ph * (1 - (v - lo) / (hi - lo))

    e = d.exp
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" '
           f'aria-label="{escape(e.metric_label)} against {e.axis.upper()} λ" class="class-chart" '
           'style="font-family: system-ui, sans-serif; background: #fff">']
    if title:
        out.append(f'<text x="{LEFT}" y="26" font-size="20" font-weight="600" fill="#212529">{escape(e.title)}</text>')
    out += _legend(d, LEFT, 45, W - LEFT - RIGHT, 14)[0]
    for t in ticks:  # grid and y labels
        y = Y(t)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#e9ecef"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 5:.1f}" font-size="14" text-anchor="end" fill="#495057">'
                   f'{fmt_num(t)}</text>')
    out.append(f'<text transform="translate(20 {TOP + ph / 2:.0f}) rotate(-90)" font-size="15" text-anchor="middle" '
               f'fill="#212529">{escape(e.metric_label)}</text>')
    for i, c in enumerate(d.columns):
        if c.band is not None:  # the zoo's seed band: behind everything of this column
            y0, y1 = Y(c.band[1]), Y(c.band[0])
            out.append(f'<rect x="{X(i) - cw * 0.36:.1f}" y="{y0 - 2:.1f}" width="{cw * 0.72:.1f}" '
                       f'height="{max(4.0, y1 - y0 + 4):.1f}" fill="{GREY}" opacity="0.45" rx="3"/>')
        if d.pick is not None and abs(c.lam - d.pick) <= 1e-12:
            out.append(f'<rect x="{X(i) - cw * 0.46:.1f}" y="{TOP - 4}" width="{cw * 0.92:.1f}" height="{ph + 8}" '
                       f'fill="none" stroke="{GREEN}" stroke-width="3" rx="6"/>')
            out.append(f'<text x="{X(i):.1f}" y="{TOP + ph + 58}" font-size="14" font-weight="700" '
                       f'text-anchor="middle" fill="{GREEN}">class pick</text>')
        out.append(f'<text x="{X(i):.1f}" y="{TOP + ph + 24}" font-size="16" text-anchor="middle" fill="#212529">'
                   f'{e.axis.upper()} λ = {fmt_lambda(c.lam)}</text>')
        out.append(f'<text x="{X(i):.1f}" y="{TOP + ph + 42}" font-size="13" text-anchor="middle" fill="#868e96">'
                   f'{len(c.values)} run{"s" if len(c.values) != 1 else ""}</text>')
    for dot in d.dots:  # the students' dots, spread by seed within their column
        out.append(_dot(dot, X(dot["column"], _nudge(dot) * cw * 0.5), Y(dot["value"])))
    for i, c in enumerate(d.columns):  # mean and range above the dots
        if c.spread is not None:
            out.append(f'<line x1="{X(i) + cw * 0.3:.1f}" y1="{Y(c.spread[0]):.1f}" x2="{X(i) + cw * 0.3:.1f}" '
                       f'y2="{Y(c.spread[1]):.1f}" stroke="#212529" stroke-width="2"/>')
            m = c.mean
            out.append(f'<line x1="{X(i) - cw * 0.3:.1f}" y1="{Y(m):.1f}" x2="{X(i) + cw * 0.34:.1f}" y2="{Y(m):.1f}" '
                       f'stroke="#212529" stroke-width="4"/>')
            out.append(f'<text x="{X(i) + cw * 0.37:.1f}" y="{Y(m) + 5:.1f}" font-size="14" font-weight="600" '
                       f'fill="#212529">{fmt_num(m)}</text>')
    for dot in (x for x in d.dots if x["mine"]):  # the viewer's own, on top
        x, y = X(dot["column"], _nudge(dot) * cw * 0.5), Y(dot["value"])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="{ORANGE}" stroke="#000" stroke-width="2.5"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y + 5:.1f}" font-size="15" font-weight="700" '
                   f'fill="{ORANGE}">you</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#ced4da"/>')
    out.append("</svg>")
    return "".join(out)


NW, ROW = 330, 60  # the phone layout: its width, and the height of one λ's row
SIDE = 14


def svg_rows(d: ChartData) -> str:
    """The chart as one inline SVG for a phone: one row per λ, the values across, so that it fits a narrow
    screen at a readable size (`svg`'s columns would need 640 px or shrink their text to 6 px)."""
    lo, hi, ticks = _scale(d)
    e = d.exp
    out, y = _legend(d, SIDE, 14, NW - 2 * SIDE, 13)
    top = y + 18
    h = top + ROW * len(d.columns) + 50

    def X(v: float) -> float:
        return SIDE + (NW - 2 * SIDE) * (v - lo) / (hi - lo)

    def mid(i: int) -> float:
        return top + ROW * i + 38

    for t in ticks:  # grid lines through every row
        out.append(f'<line x1="{X(t):.1f}" y1="{top + 22}" x2="{X(t):.1f}" y2="{top + ROW * len(d.columns)}" '
                   'stroke="#e9ecef"/>')
    for i, c in enumerate(d.columns):
        y0 = top + ROW * i
        n = f"{len(c.values)} run{'s' if len(c.values) != 1 else ''}"
        mean = "" if c.mean is None else f' · mean <tspan font-weight="700" fill="#212529">{fmt_num(c.mean)}</tspan>'
        out.append(f'<text x="{SIDE}" y="{y0 + 16}" font-size="14" fill="#212529">{e.axis.upper()} λ = '
                   f'{fmt_lambda(c.lam)}<tspan fill="#868e96" font-size="12"> · {n}{mean}</tspan></text>')
        if d.pick is not None and abs(c.lam - d.pick) <= 1e-12:
            out.append(f'<rect x="3" y="{y0 + 1}" width="{NW - 6}" height="{ROW - 2}" fill="none" stroke="{GREEN}" '
                       'stroke-width="3" rx="6"/>')
            out.append(f'<text x="{NW - SIDE}" y="{y0 + 16}" font-size="13" font-weight="700" text-anchor="end" '
                       f'fill="{GREEN}">class pick</text>')
        if c.band is not None:
            x0, x1 = X(c.band[0]), X(c.band[1])
            out.append(f'<rect x="{x0 - 2:.1f}" y="{mid(i) - 12}" width="{max(4.0, x1 - x0 + 4):.1f}" height="24" '
                       f'fill="{GREY}" opacity="0.45" rx="3"/>')
    for dot in d.dots:
        out.append(_dot(dot, X(dot["value"]), mid(dot["column"]) + _nudge(dot) * 10))
    for i, c in enumerate(d.columns):
        if c.spread is not None:
            m, below = c.mean, mid(i) + 13
            out.append(f'<line x1="{X(c.spread[0]):.1f}" y1="{below}" x2="{X(c.spread[1]):.1f}" y2="{below}" '
                       'stroke="#212529" stroke-width="2"/>')
            out.append(f'<line x1="{X(m):.1f}" y1="{mid(i) - 11}" x2="{X(m):.1f}" y2="{below}" stroke="#212529" '
                       'stroke-width="4"/>')
    for dot in (x for x in d.dots if x["mine"]):
        x, y = X(dot["value"]), mid(dot["column"]) + _nudge(dot) * 10
        anchor, dx = ("end", -13) if x > NW / 2 else ("start", 13)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{ORANGE}" stroke="#000" stroke-width="2.5"/>')
        out.append(f'<text x="{x + dx:.1f}" y="{y + 5:.1f}" font-size="14" font-weight="700" text-anchor="{anchor}" '
                   f'fill="{ORANGE}">you</text>')
    base = top + ROW * len(d.columns)
    out.append(f'<line x1="{SIDE}" y1="{base}" x2="{NW - SIDE}" y2="{base}" stroke="#ced4da"/>')
    for t in ticks:
        out.append(f'<text x="{X(t):.1f}" y="{base + 17}" font-size="12" text-anchor="middle" fill="#495057">'
                   f'{fmt_num(t)}</text>')
    out.append(f'<text x="{NW / 2}" y="{base + 40}" font-size="13" text-anchor="middle" fill="#212529">'
               f'{escape(e.metric_label)}</text>')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {NW} {h:.0f}" width="100%" role="img" '
            f'aria-label="{escape(e.metric_label)} for each {e.axis.upper()} λ" class="class-chart-rows" '
            'style="font-family: system-ui, sans-serif; background: #fff">')
    return head + "".join(out) + "</svg>"


def csv_text(d: ChartData, results: list[Result], nicknames: dict[str, str]) -> str:
    """Every result as CSV: student number (by first result), nickname, λ, seed, metric and the pick criterion's
    value (both in shown units, as the chart and its sentence give them), simulated, posted (UTC epoch seconds);
    no member token."""
    order: dict[str, int] = {}
    buf = io.StringIO()
    w = csv.writer(buf)
    e = d.exp
    w.writerow(["student", "nickname", f"{e.axis}_lambda", "seed", e.metric,
                e.pick.key if e.pick is not None else "pick", "simulated", "posted_utc_s"])
    for r in results:
        n = order.setdefault(r.member, len(order) + 1)
        w.writerow([n, nicknames.get(r.member, ""), f"{r.lam:g}", r.seed, f"{r.value * e.scale:.6g}",
                    "" if r.pick_value is None else f"{r.pick_value * e.scale:.6g}", int(r.simulated),
                    f"{r.posted:.3f}"])
    return buf.getvalue()


__all__ = ["ChartData", "Column", "chart_data", "zoo_band", "summary", "svg", "svg_rows", "csv_text"]
