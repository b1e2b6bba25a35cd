"""The weight histogram as inline SVG, on axes fixed for a whole slice of settings.

Explore's λ slider swaps this picture in the browser (normgen.app.tabs.explore_scrub): every stop of a
slice is drawn with the same bin edges and the same y-ranges (`HistAxes`, from all the slice's weights),
so scrubbing compares like with like instead of rescaling at every λ. Two panels, as the matplotlib
figure had them (render.figures.weight_mechanism): every weight on a log count axis, then a linear zoom
on |w| <= ZOOM where L1's spike at zero shows; the grey band is "near zero" (|w| < NEAR_ZERO).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import torch

from normgen.eval.metrics import NEAR_ZERO
from normgen.render.figures import BASELINE, SELECTED, ZOOM

BINS, ZOOM_BINS = 61, 40
# the viewBox, about the size it is shown at beside the grids (~270-300 px wide at 1280-1366 px), so its
# text reads at >= 13 px on a projector (the units are nearly pixels there)
W, H = 300, 404
LEFT, RIGHT = 62, 14
TOP_PANEL = (26, 140)  # y of the top panel's plot area (top, bottom)
LOW_PANEL = (192, 282)
FONT = 15


@dataclass(frozen=True)
class HistAxes:
    """Bin edges and y-ranges shared by every histogram of a slice."""

    lim: float  # the top panel spans [-lim, lim]
    top_max: int  # the largest count of any bin of the top panel (log axis)
    zoom_max: int  # the largest count of any bin of the zoom panel (linear axis)

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(-self.lim, self.lim, BINS + 1)

    @property
    def zoom_edges(self) -> np.ndarray:
        return np.linspace(-ZOOM, ZOOM, ZOOM_BINS + 1)

    def key(self) -> str:
        """What the axes are, as one string (a browser test compares it across a slice)."""
        return f"lim={self.lim:.6g};top={self.top_max};zoom={self.zoom_max}"


def counts(w: torch.Tensor, axes_lim: float) -> tuple[list[int], list[int]]:
    """The top panel's and the zoom panel's bin counts of the weights `w` on a slice's edges."""
    a = w.detach().float().flatten().cpu().numpy()
    top, _ = np.histogram(a, bins=np.linspace(-axes_lim, axes_lim, BINS + 1))
    low, _ = np.histogram(a, bins=np.linspace(-ZOOM, ZOOM, ZOOM_BINS + 1))
    return [int(c) for c in top], [int(c) for c in low]


def slice_axes(weights: Sequence[torch.Tensor]) -> HistAxes:
    """Axes that hold every weight vector of a slice: symmetric around 0 up to the largest |w|, y-ranges
    up to the largest count."""
    lim = max((float(w.abs().max()) for w in weights if w.numel()), default=1.0) or 1.0
    top_max = zoom_max = 1
    for w in weights:
        t, z = counts(w, lim)
        top_max, zoom_max = max(top_max, *t), max(zoom_max, *z)
    return HistAxes(lim=lim, top_max=top_max, zoom_max=zoom_max)


def _x(v: float, lo: float, hi: float) -> float:
    return LEFT + (v - lo) / (hi - lo) * (W - LEFT - RIGHT)


def _stairs(cs: Sequence[int], lo: float, hi: float, y) -> str:
    """An outline path over the bins (baseline at y(0))."""
    n = len(cs)
    step = (hi - lo) / n
    pts = [f"M{_x(lo, lo, hi):.1f},{y(0):.1f}"]
    for i, c in enumerate(cs):
        pts.append(f"L{_x(lo + i * step, lo, hi):.1f},{y(c):.1f}L{_x(lo + (i + 1) * step, lo, hi):.1f},{y(c):.1f}")
    pts.append(f"L{_x(hi, lo, hi):.1f},{y(0):.1f}")
    return "".join(pts)


def _fmt(v: float) -> str:
    return f"{v:.2g}".replace("-", "−")


def _panel(series: Sequence[tuple[Sequence[int], str]], lo: float, hi: float, box: tuple[int, int], ymax: int,
           log: bool, title: str) -> list[str]:
    y0, y1 = box
    if log:
        top = math.log10(max(ymax, 1) * 1.3)

        def y(c: float) -> float:
            return y1 - (math.log10(c) / top if c >= 1 else 0.0) * (y1 - y0)

        ticks = [10 ** k for k in range(0, int(top) + 1)]
    else:

        def y(c: float) -> float:
            return y1 - c / (ymax * 1.05) * (y1 - y0)

        ticks = [0, ymax // 2, ymax]
    fit = f' textLength="{W - 8}" lengthAdjust="spacingAndGlyphs"' if len(title) > 36 else ""  # a long part name
    out = [f'<text x="{W / 2:.0f}" y="{y0 - 9}" text-anchor="middle" font-weight="600" font-size="14"{fit}>'
           f'{escape(title)}</text>',
           f'<line x1="{LEFT}" y1="{y1}" x2="{W - RIGHT}" y2="{y1}" stroke="#444"/>',
           f'<line x1="{LEFT}" y1="{y0}" x2="{LEFT}" y2="{y1}" stroke="#444"/>']
    if not log:
        x0, x1 = _x(-NEAR_ZERO, lo, hi), _x(NEAR_ZERO, lo, hi)
        out.append(f'<rect x="{x0:.1f}" y="{y0}" width="{x1 - x0:.1f}" '
                   f'height="{y1 - y0}" fill="#000" fill-opacity="0.08"/>')
    for t in ticks:
        out.append(f'<line x1="{LEFT - 4}" y1="{y(t):.1f}" x2="{W - RIGHT}" y2="{y(t):.1f}" stroke="#000" '
                   f'stroke-opacity="0.08"/><text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end" '
                   f'class="tick">{t:,}</text>')
    for v in (lo, 0.0, hi):
        out.append(f'<text x="{_x(v, lo, hi):.1f}" y="{y1 + 16}" text-anchor="middle" class="tick">{_fmt(v)}</text>')
    for cs, colour in series:
        d = _stairs(cs, lo, hi, y)
        out.append(f'<path d="{d}" fill="{colour}" fill-opacity="0.25" stroke="{colour}" stroke-width="2"/>')
    return out


def weight_histogram_svg(axes: HistAxes, base: tuple[list[int], list[int]], sel: tuple[list[int], list[int]],
                         legend: tuple[str, str], *, title: str, alt: str) -> str:
    """The two-panel histogram of a baseline's and a selected setting's weights (`counts` of each) on the
    slice's `axes`; `legend`: one line per model (e.g. "baseline: 3.1% near 0"). Self-contained SVG."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(alt)}" '
             f'data-axes="{escape(axes.key())}" font-family="sans-serif" font-size="{FONT}" class="weight-hist">',
             f"<title>{escape(alt)}</title>", "<style>.tick{font-size:14px;fill:#222}</style>"]
    series = [(base[0], BASELINE), (sel[0], SELECTED)]
    parts += _panel(series, -axes.lim, axes.lim, TOP_PANEL, axes.top_max, True, title + " (log count)")
    zs = [(base[1], BASELINE), (sel[1], SELECTED)]
    parts += _panel(zs, -ZOOM, ZOOM, LOW_PANEL, axes.zoom_max, False, f"Zoom: |w| < {ZOOM:g} (grey: near 0)")
    parts.append(f'<text x="{W / 2:.0f}" y="{LOW_PANEL[1] + 31}" text-anchor="middle" class="tick">weight value'
                 "</text>")
    for i, (text, colour) in enumerate(zip(legend, (BASELINE, SELECTED), strict=True)):
        # "name: figures" on two lines: the name beside its swatch, the figures under it
        name, _, figures = text.partition(": ")
        yy = LOW_PANEL[1] + 54 + 35 * i
        parts.append(f'<rect x="8" y="{yy - 12}" width="14" height="13" fill="{colour}" fill-opacity="0.5" '
                     f'stroke="{colour}"/><text x="28" y="{yy}" font-weight="600">{escape(name)}</text>'
                     f'<text x="28" y="{yy + 17}">{escape(figures)}</text>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["HistAxes", "counts", "slice_axes", "weight_histogram_svg", "BINS", "ZOOM_BINS"]
