"""The Learn tab's figures: what the zoo measured, as pictures instead of tables.

Plain numbers in, a matplotlib `Figure` out (object-oriented API, no pyplot; the style, palette and
lambda axis of normgen.render.figures). Callers (normgen.app.tabs.learn, through normgen.zoo.findings)
read every number from the zoo index; nothing here is typed in. Text is sized for a projector: at
the figures' own size (100 dpi) the smallest text is 13 pt = 18 px, so shown at two thirds of their
width it stays above 12 px.

- `lambda_panel`: one metric against λ for a few series (L1 and L2, with and without batch norm),
  each point the mean over training seeds with its min-max, the baseline's seed spread as a band,
  collapsed points marked with a cross;
- `settings_panel`: one metric for a list of named settings (the small-data block), each a dot with
  its seeds' min-max, coloured by its verdict against the baseline.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from normgen.render.figures import BASELINE, NARROW, NARROW_TITLE, PALETTE, STYLE, legend_below
from normgen.words import fmt_lambda

VERSION = 3  # bump when a Learn figure's look changes: the Learn tab's stored PNGs are keyed by it

PANEL = (6.4, 4.4)  # inches at 100 dpi: 640 x 440 px, two side by side on a 1280 px screen
VERDICT_COLOURS = {"held": PALETTE[2], "partly": PALETTE[3], "not shown": "#777777", "did not hold": PALETTE[1],
                   "cannot tell": "#AAAAAA", "baseline": BASELINE, "better": PALETTE[2], "worse": PALETTE[1],
                   "within spread": "#777777", "judges disagree": PALETTE[3]}
VERDICT_MARKERS = {"held": "o", "partly": "D", "not shown": "s", "did not hold": "v", "cannot tell": "s",
                   "baseline": "o", "better": "o", "worse": "v", "within spread": "s", "judges disagree": "D"}


def _figure(size: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    return fig, fig.subplots(1, 1, squeeze=False)


@dataclass(frozen=True)
class Series:
    """One line of a `lambda_panel`: per λ, the values over the training seeds (may be empty), and
    which points are collapsed (optional)."""

    lams: Sequence[float]
    vals: Sequence[Sequence[float]]
    collapsed: Sequence[bool] = field(default_factory=tuple)


def _x(lams: Sequence[float], zero_at: float) -> np.ndarray:
    return np.array([math.log10(v) if v > 0 else zero_at for v in lams], dtype=float)


def lambda_panel(series: Mapping[str, Series], *, title: str, ylabel: str, xlabel: str = "λ (log scale)",
                 logy: bool = False, band: tuple[float, float] | None = None,
                 band_label: str = "λ = 0: seed spread", size: tuple[float, float] = PANEL,
                 narrow: bool = False) -> Figure:
    """Mean and min-max over seeds of each series against λ (λ = 0 one decade left of the smallest λ); `narrow`:
    the phone's variant (NARROW wide, the title wrapped, the legend below)."""
    if narrow:
        size, title = (NARROW, size[1] + 1.2), textwrap.fill(title, NARROW_TITLE)
    lams = sorted({v for s in series.values() for v in s.lams})
    nonzero = [v for v in lams if v > 0]
    zero_at = math.log10(min(nonzero)) - 1 if nonzero else 0.0
    with rc_context(STYLE):
        fig, ax = _figure(size=size)
        ax = ax[0, 0]
        if band is not None:
            lo, hi = band
            ax.axhspan(lo, hi if hi > lo else lo * 1.0001 + 1e-12, color=BASELINE, alpha=0.15, label=band_label)
        crossed = False
        for i, (label, s) in enumerate(series.items()):
            colour = PALETTE[(i + 1) % len(PALETTE)] if i else BASELINE
            xs, ok = _x(s.lams, zero_at), [bool(v) for v in s.vals]
            mean = np.array([np.mean(v) if v else np.nan for v in s.vals])
            lo = np.array([min(v) if v else np.nan for v in s.vals])
            hi = np.array([max(v) if v else np.nan for v in s.vals])
            keep = np.array(ok)
            if not keep.any():
                continue
            ax.errorbar(xs[keep], mean[keep], yerr=[mean[keep] - lo[keep], hi[keep] - mean[keep]], marker="o",
                        markersize=8, capsize=5, color=colour, label=label,
                        linestyle="-" if i % 2 == 0 else "--")
            bad = np.array([bool(c) for c in s.collapsed] + [False] * (len(xs) - len(s.collapsed))) & keep
            if bad.any():
                ax.scatter(xs[bad], mean[bad], marker="X", s=260, color="black", zorder=5,
                           label=None if crossed else "mode collapse")
                crossed = True
        turn = (90 if narrow else 45) if len(lams) > (4 if narrow else 6) else 0
        ax.set_xticks(_x(lams, zero_at), [fmt_lambda(v) for v in lams], rotation=turn)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        if narrow:
            legend_below(fig, ax)
        else:
            ax.legend(loc="best", framealpha=0.9)
    return fig



def draw_verdict_rows(ax: Any, rows: list[tuple[list[float], str]]) -> None:
    """One row per (values, verdict), top to bottom: the values' range as a bar and their mean as a marker,
    both in the verdict's colour and shape (each verdict labelled once, for the legend)."""
    n, seen = len(rows), set()
    for i, (vals, verdict) in enumerate(rows):
        if not vals:
            continue
        y, m = n - 1 - i, float(np.mean(vals))
        colour = VERDICT_COLOURS.get(verdict, "#777777")
        ax.plot([min(vals), max(vals)], [y, y], color=colour, linewidth=4, solid_capstyle="round")
        ax.scatter([m], [y], s=140, color=colour, marker=VERDICT_MARKERS.get(verdict, "o"), zorder=3,
                   label=None if verdict in seen else verdict)
        seen.add(verdict)

def row_labels_above(ax: Any, labels: Sequence[str], ylim: tuple[float, float]) -> None:
    """Each row's name (top to bottom) above its row at the panel's left, for a phone's variant: beside the rows
    the names took half the width."""
    n = len(labels)
    ax.set_yticks(range(n), [""] * n)
    ax.tick_params(axis="y", length=0)
    for i, label in enumerate(labels):
        ax.text(0.01, n - 1 - i + 0.3, label, transform=ax.get_yaxis_transform(), ha="left", va="bottom",
                fontsize=STYLE["ytick.labelsize"])
    ax.set_ylim(*ylim)


def settings_panel(rows: Sequence[tuple[str, Sequence[float], str]], *, title: str, xlabel: str,
                   better: str = "", band: tuple[float, float] | None = None, width: float = PANEL[0],
                   show_labels: bool = True, narrow: bool = False) -> Figure:
    """One row per setting, top to bottom: a dot at its mean over seeds with the min-max as a bar,
    coloured by its verdict ("baseline", "held", "partly", "not shown", "did not hold", "cannot tell", or for
    a measure judged alone "better", "worse", "within spread");
    `band` shades the baseline's seed spread; `better` says which way is better ("→ better"). `narrow`: the
    phone's variant, each setting's name above its row (beside it, the names took half the width) and the
    legend below."""
    n = max(len(rows), 1)
    if narrow:
        width, title = NARROW, textwrap.fill(title, NARROW_TITLE)
    with rc_context(STYLE):
        fig, ax = _figure(size=(width, (2.2 + 0.8 * n) if narrow else (1.3 + 0.52 * n)))
        ax = ax[0, 0]
        if band is not None:
            ax.axvspan(band[0], band[1] if band[1] > band[0] else band[0] + 1e-9, color=BASELINE, alpha=0.15)
        draw_verdict_rows(ax, [(vals, verdict) for _, vals, verdict in rows])
        if narrow:
            row_labels_above(ax, [r[0] for r in rows], (-0.5, n - 0.1))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # "-200-190-180…" ran together at 420 px
        else:
            ax.set_yticks(range(n), [r[0] for r in reversed(rows)] if show_labels else [""] * n)
            ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel(xlabel + (f"   ({better})" if better else ""))
        fig.suptitle(title, fontsize=STYLE["axes.titlesize"])  # over the figure: long y labels narrow the axes
        ax.grid(axis="y", visible=False)
        if narrow:
            legend_below(fig, ax)
        else:
            ax.legend(loc="best", framealpha=0.9)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at its own size (100 dpi)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def overflow_px(fig: Figure) -> float:
    """How far the figure's drawn artists (text included) reach past its edges, in pixels at its own size (0: all
    inside; a title too long for the figure made constrained layout give up and cut labels on both sides)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    tight = fig.get_tightbbox(canvas.get_renderer())
    w, h = fig.get_size_inches()
    return max(0.0, -tight.x0, -tight.y0, tight.x1 - w, tight.y1 - h) * fig.dpi


def min_text_px(fig: Figure) -> float:
    """The smallest font size on the figure, in pixels at its own size (for the >= 12 px check)."""
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text().strip()]
    return min(sizes, default=0.0) * fig.dpi / 72.0
