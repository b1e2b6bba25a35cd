"""Matplotlib figures for the app: weight histograms, per-layer norms, class histograms, training
curves, metric-vs-lambda sweeps and the difference heat map (numbers are written as normgen.words writes them).

Every function returns a `matplotlib.figure.Figure` built with the object-oriented API (no pyplot):
no global figure registry, so nothing leaks and worker threads never share state; `gr.Plot` renders
it with `fig.savefig`, which uses the Agg canvas. Every number printed on a figure is measured by
normgen.eval (weight sparsity, class entropy) from the data passed in, never typed in or recomputed here.

Style for a projector: 15-17 pt text, thick lines, the Okabe-Ito colour-blind-safe palette
(Okabe & Ito 2008), "baseline" always blue and "selected" always vermillion.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from PIL import Image

from normgen.data import dataset_info
from normgen.eval.metrics import NEAR_ZERO, layer_stats
from normgen.eval.quality import class_entropy
from normgen.render.grids import grid_array
from normgen.words import fmt_lambda, sparsity_words

# Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
BASELINE, SELECTED = PALETTE[0], PALETTE[1]
STYLE = {
    "font.size": 15, "axes.titlesize": 17, "axes.labelsize": 15, "xtick.labelsize": 13,
    "ytick.labelsize": 13, "legend.fontsize": 13, "lines.linewidth": 2.5, "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
}
SIZE = (9.0, 5.0)  # inches at 100 dpi: 900 x 500 px
NARROW = 4.2  # inches: a phone's variant, 420 px shown in ~330 (its smallest text 18 px -> 14 px), legend below
NARROW_TITLE = 26  # characters a line of a phone variant's title
NARROW_LINE = 30  # characters a line of a phone variant's axis label or legend entry (13-15 pt in ~330 px)


def _figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = SIZE, **kw) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def legend_below(fig: Figure, ax: Any) -> None:
    """A phone variant's legend: under the axes, outside the data (beside it, it covered half a 420-px panel)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # two a row where two short labels fit the width; a long one wraps instead of leaving the figure
        fig.legend(handles, [textwrap.fill(t, NARROW_LINE) for t in labels], loc="outside lower center",
                   ncols=2 if max(map(len, labels)) <= 15 else 1, frameon=False)


def _empty(message: str, title: str = "", narrow: bool = False) -> Figure:
    """A figure that says why there is nothing to plot (never a blank panel); `narrow`: a phone's variant."""
    with rc_context(STYLE):
        fig, ax = _figure(size=(NARROW, 2.6) if narrow else (9.0, 3.0))
        ax = ax[0, 0]
        ax.axis("off")
        if title:
            ax.set_title(textwrap.fill(title, NARROW_TITLE) if narrow else title)
        ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    return fig


# ----------------------------------------------------------------------------------------------
# weights


def weight_sparsity(w: torch.Tensor) -> dict[str, float]:
    """% of weights with |w| < NEAR_ZERO, % exactly zero, and the count, of a flat tensor: the numbers of
    `metrics.layer_stats` (one weight per row, so only its sparsity figures are read)."""
    w = w.detach().flatten()
    if w.numel() == 0:
        return {"n": 0, "near_zero_pct": 0.0, "zero_pct": 0.0}
    s = layer_stats(w.unsqueeze(1))
    return {"n": s["n"], "near_zero_pct": s["near_zero_pct"], "zero_pct": s["zero_pct"]}


def weight_histograms(a: torch.Tensor, b: torch.Tensor, labels: Sequence[str] = ("baseline", "selected"),
                      *, bins: int = 81, title: str = "Weight values (log count)") -> Figure:
    """Histograms of two flat weight vectors on shared, symmetric bins, with a log-count axis.

    The legend gives each model's % near-zero (|w| < metrics.NEAR_ZERO) and % exactly zero,
    computed from `a` and `b` themselves.
    """
    a = a.detach().float().flatten().cpu()
    b = b.detach().float().flatten().cpu()
    if a.numel() == 0 and b.numel() == 0:
        return _empty("No penalized weights to show.", title)
    lim = max(a.abs().max().item() if a.numel() else 0.0, b.abs().max().item() if b.numel() else 0.0)
    lim = lim or 1.0
    edges = np.linspace(-lim, lim, bins + 1)
    with rc_context(STYLE):
        fig, ax = _figure()
        ax = ax[0, 0]
        for w, label, colour, hatch in ((a, labels[0], BASELINE, None), (b, labels[1], SELECTED, "//")):
            if w.numel() == 0:
                continue
            s = weight_sparsity(w)
            counts, _ = np.histogram(w.numpy(), bins=edges)
            text = sparsity_words(label, s)
            ax.stairs(counts, edges, fill=True, alpha=0.35, color=colour, hatch=hatch)
            ax.stairs(counts, edges, color=colour, linewidth=2.2, label=text)
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.8)
        ax.set_xlabel(f"weight value   (near-zero: |w| < {NEAR_ZERO:g})")
        ax.set_ylabel("number of weights")
        ax.set_title(title)
        ax.legend(loc="upper right", framealpha=0.9)
    return fig


ZOOM = 10 * NEAR_ZERO  # the near-zero panel spans |w| <= ZOOM


def _share(stats: Mapping[str, float] | None, w: torch.Tensor) -> dict[str, float]:
    """The legend's sparsity figures: `stats` when given (the index's float32 statistics: what every
    table on screen shows), else measured from `w`."""
    if stats is not None and all(isinstance(stats.get(k), (int, float)) for k in ("near_zero_pct", "zero_pct")):
        return {"near_zero_pct": float(stats["near_zero_pct"]), "zero_pct": float(stats["zero_pct"])}
    return weight_sparsity(w)


def weight_mechanism(a: torch.Tensor, b: torch.Tensor, labels: Sequence[str] = ("baseline", "selected"), *,
                     stats: Sequence[Mapping[str, float] | None] = (None, None), zoom: float = ZOOM,
                     bins: int = 61, title: str = "Weights", size: tuple[float, float] = (3.9, 5.4)) -> Figure:
    """What a penalty does to the weights, in two panels on one figure, large for a projector.

    Top: every weight of both models (log count, shared symmetric bins). Bottom: a linear-count zoom
    on |w| <= `zoom`, where L1's spike at zero shows (a log axis flattens it); the band marks
    "near zero" (|w| < NEAR_ZERO). The legend's percentages come from `stats` (one mapping per model,
    e.g. the zoo index's float32 figures) or, where missing, are measured from `a` / `b`.
    """
    a = a.detach().float().flatten().cpu()
    b = b.detach().float().flatten().cpu()
    if a.numel() == 0 and b.numel() == 0:
        return _empty("No penalized weights to show.", title)
    lim = max(a.abs().max().item() if a.numel() else 0.0, b.abs().max().item() if b.numel() else 0.0) or 1.0
    edges = np.linspace(-lim, lim, bins + 1)
    zedges = np.linspace(-zoom, zoom, 41)
    series = ((a, labels[0], BASELINE, None, stats[0]), (b, labels[1], SELECTED, "//", stats[1]))
    # drawn at about the size it is shown beside the grids (~300-400 px wide): 12.5-14 pt is >= 12 px there
    with rc_context({**STYLE, "font.size": 13, "axes.titlesize": 14, "axes.labelsize": 13, "xtick.labelsize": 12.5,
                     "ytick.labelsize": 12.5, "legend.fontsize": 12.5, "lines.linewidth": 2.0}):
        fig, axes = _figure(2, 1, size=size)
        top, low = axes[0, 0], axes[1, 0]
        for w, label, colour, hatch, st in series:
            if w.numel() == 0:
                continue
            s = _share(st, w)
            arr = w.numpy()
            counts, _ = np.histogram(arr, bins=edges)
            top.stairs(counts, edges, fill=True, alpha=0.3, color=colour, hatch=hatch)
            top.stairs(counts, edges, color=colour, linewidth=2.0,
                       label=sparsity_words(label, s, sep="\n").replace(": ", ":\n", 1))
            zc, _ = np.histogram(arr, bins=zedges)
            low.stairs(zc, zedges, fill=True, alpha=0.3, color=colour, hatch=hatch)
            low.stairs(zc, zedges, color=colour, linewidth=2.0)
        top.set_yscale("log")
        top.set_ylim(bottom=0.8)
        top.set_title(title)
        top.set_ylabel("count (log)")
        top.locator_params(axis="x", nbins=5)
        fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", framealpha=0.9, ncol=2,
                   handlelength=1.2, columnspacing=1.0)
        low.axvspan(-NEAR_ZERO, NEAR_ZERO, color="black", alpha=0.10, linewidth=0)
        low.set_xlim(-zoom, zoom)
        low.set_xticks([-zoom, -zoom / 2, 0, zoom / 2, zoom], [f"{v:g}" for v in (-zoom, -zoom / 2, 0, zoom / 2, zoom)])
        low.set_title(f"Zoom: |w| < {zoom:g} (grey: near 0)")
        low.set_xlabel("weight value")
        low.set_ylabel("count")
    return fig


def layer_norms(a: Mapping[str, float], b: Mapping[str, float], labels: Sequence[str] = ("baseline", "selected"),
                *, ylabel: str = "L2 norm  ||W||", title: str = "Weight norm per layer") -> Figure:
    """Grouped bars: one pair (baseline, selected) per layer, layers in the order of `a`."""
    names = list(a) + [k for k in b if k not in a]
    if not names:
        return _empty("No penalized layers to show.", title)
    x = np.arange(len(names))
    width = 0.4
    with rc_context(STYLE):
        fig, ax = _figure()
        ax = ax[0, 0]
        for off, vals, label, colour, hatch in ((-width / 2, a, labels[0], BASELINE, None),
                                                (width / 2, b, labels[1], SELECTED, "//")):
            ys = [float(vals.get(n, np.nan)) for n in names]
            ax.bar(x + off, ys, width, label=label, color=colour, hatch=hatch, edgecolor="white")
        ax.set_xticks(x, names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
        ax.legend()
    return fig


# ----------------------------------------------------------------------------------------------
# samples


def class_histogram(counts: Sequence[int], dataset: str, *, baseline: Sequence[int] | None = None,
                    labels: Sequence[str] = ("baseline", "selected"),
                    title: str = "Which classes the samples look like (judge)") -> Figure:
    """Bars per class (names from the dataset registry) of the judge's predictions; with `baseline`,
    grouped bars. A dashed line marks the uniform count; the legend gives the entropy
    (`quality.class_entropy`: ln K = every class equally often; 0 = one class only, mode collapse)."""
    names = dataset_info(dataset).class_names  # raises for an unknown dataset, naming the known ones
    if not names:
        raise ValueError(f"dataset {dataset!r} is unlabeled: it has no classes to count")
    k = len(names)
    series = [(counts, labels[1] if baseline is not None else "samples", SELECTED, "//")]
    if baseline is not None:
        series.insert(0, (baseline, labels[0], BASELINE, None))
    for c, label, _, _ in series:
        if len(c) != k:
            raise ValueError(f"{label}: expected {k} class counts for {dataset}, got {len(c)}")
    x = np.arange(k)
    width = 0.8 / len(series)
    with rc_context(STYLE):
        fig, ax = _figure()
        ax = ax[0, 0]
        for i, (c, label, colour, hatch) in enumerate(series):
            off = (i - (len(series) - 1) / 2) * width
            text = f"{label}: entropy {class_entropy(list(c)):.2f} of max {math.log(k):.2f}"
            ax.bar(x + off, c, width, label=text, color=colour, hatch=hatch, edgecolor="white")
        uniform = sum(series[-1][0]) / k
        ax.axhline(uniform, color="black", linestyle="--", linewidth=1.5, label="uniform")
        ax.set_xticks(x, names, rotation=30 if max(len(n) for n in names) > 3 else 0)
        ax.set_ylabel("samples")
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper right", framealpha=0.9)
    return fig


@functools.cache
def heat_lut() -> np.ndarray:
    """(256, 3) uint8 'magma' colour map: black = no change, bright yellow = large change (read-only)."""
    lut = (colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    lut.flags.writeable = False
    return lut


def heat_grid(heat: torch.Tensor, nrow: int, scale: int = 1) -> Image.Image:
    """A heat map of `heat` (n, C, H, W) in [0, 1], one cell per sample in the layout of a sample grid
    (padding white), coloured with `heat_lut`; `scale` enlarges each pixel (nearest neighbour). A colour
    pixel shows the largest change of its channels (a change in blue alone is as visible as one in red)."""
    heat = heat.amax(1, keepdim=True)
    gray = grid_array(heat * 2 - 1, nrow=nrow)[..., 0]
    cells = grid_array(torch.ones_like(heat), nrow=nrow, pad_value=0.0)[..., 0] > 0
    rgb = heat_lut()[gray]
    rgb[~cells] = 255
    img = Image.fromarray(rgb)
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img


# ----------------------------------------------------------------------------------------------
# sweeps


def lambda_positions(lams: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """x positions (log10 lambda) and tick labels; lambda = 0 sits one decade below the smallest
    non-zero value, labelled "0" (a log axis has no zero)."""
    nonzero = [v for v in lams if v > 0]
    zero_at = math.log10(min(nonzero)) - 1 if nonzero else 0.0
    xs = np.array([math.log10(v) if v > 0 else zero_at for v in lams], dtype=float)
    return xs, [fmt_lambda(v) for v in lams]


def metric_vs_lambda(lams: Sequence[float], series: Mapping[str, Sequence[Sequence[float]]], *,
                     ylabel: str, title: str, xlabel: str = "λ", selected: int | None = None,
                     floor: float | None = None, floor_label: str = "real vs real (floor)",
                     xlabels: Sequence[str] | None = None, logy: bool = False,
                     sampling: Sequence[float | None] | None = None, band: int = 0,
                     band_label: str | None = None, narrow: bool = False) -> Figure:
    """One line per series through the mean of each point's values (one value per training seed),
    error bars from the smallest to the largest seed, every seed drawn as a small dot.

    `lams`: the lambda of each point (log axis, 0 placed one decade below the smallest), or with
    `xlabels` a categorical axis (e.g. an elastic-net block). The grey band is the seed spread at
    the first point (usually lambda = 0): a change inside it is not an effect. `selected` rings
    the chosen point; `floor` draws a dashed reference line. `sampling`: per point, the first series'
    spread over noise draws of one checkpoint (max - min, mean over its seeds); the first point's is drawn
    as a hatched band around its mean (a change inside it is sampling noise, not an effect). `band`: the
    point whose seed spread is shaded (the baseline's, where it is not the first), `band_label` its name.
    `narrow`: a phone's variant (NARROW wide, the title wrapped, the ticks upright past four points, the legend
    below at the style's size: beside the data at 11 pt it was 7 px on a phone).
    """
    if not lams or not series:
        return _empty("Nothing to plot: the zoo has no entries for this sweep.", title, narrow)
    if xlabels is not None:
        xs, ticks = np.arange(len(lams), dtype=float), list(xlabels)
    else:
        xs, ticks = lambda_positions(lams)
    with rc_context(STYLE):
        fig, ax = _figure(size=(NARROW, 5.8) if narrow else (7.0, 4.6))
        ax = ax[0, 0]
        most_seeds = 0
        for i, (name, per_point) in enumerate(series.items()):
            colour = PALETTE[i % len(PALETTE)]
            pts = [(x, [v for v in vals if v is not None and math.isfinite(v)])
                   for x, vals in zip(xs, per_point, strict=True)]
            pts = [(x, v) for x, v in pts if v]
            if not pts:
                continue
            px = np.array([x for x, _ in pts])
            mean = np.array([np.mean(v) for _, v in pts])
            # clipped at 0: the mean of equal seeds can land an ulp outside them, and errorbar refuses that
            lo = np.maximum(mean - np.array([min(v) for _, v in pts]), 0.0)
            hi = np.maximum(np.array([max(v) for _, v in pts]) - mean, 0.0)
            most_seeds = max(most_seeds, *(len(v) for _, v in pts))
            ax.errorbar(px, mean, yerr=[lo, hi], color=colour, marker="o", markersize=8, capsize=6, label=name,
                        linestyle="none" if xlabels is not None else "-")  # unordered categories: no line
            for x, v in pts:
                if len(v) > 1:
                    ax.scatter([x] * len(v), v, color=colour, s=18, alpha=0.6, zorder=3)
            first = pts[0][1]
            at = next((v for x, v in pts if x == xs[band]), None) if 0 <= band < len(xs) else None
            if i == 0 and at is not None and max(at) > min(at):
                ax.axhspan(min(at), max(at), color=colour, alpha=0.12, linewidth=0,
                           label=f"seed spread at {band_label or ('λ = ' if xlabels is None else '') + ticks[band]}")
            w = sampling[0] if i == 0 and sampling and pts[0][0] == xs[0] else None
            if w is not None and math.isfinite(w) and w > 0:
                m0 = float(np.mean(first))
                ax.axhspan(m0 - w / 2, m0 + w / 2, facecolor="none", edgecolor=colour, hatch="//", alpha=0.6,
                           linewidth=0, label=f"noise-draw spread at {'λ = ' if xlabels is None else ''}"
                                              f"{ticks[0]} ({w:.3g})")
            if selected is not None and 0 <= selected < len(xs):
                for x, m in zip(px, mean, strict=True):
                    if x == xs[selected]:
                        ax.scatter([x], [m], s=320, facecolors="none", edgecolors="black", linewidths=2.5,
                                   zorder=4)
        if not most_seeds:
            return _empty(f"The zoo index has no values for this plot ({', '.join(series)}).", title, narrow)
        if most_seeds > 1:
            xlabel = f"{xlabel}{chr(10) if narrow else '   '}(bars: min-max over seeds)"
        if floor is not None and math.isfinite(floor):
            ax.axhline(floor, color="black", linestyle="--", linewidth=1.5, label=f"{floor_label}: {floor:.3g}")
        if logy:
            ax.set_yscale("log")
        upright = narrow and (len(xs) > 4 or (xlabels is not None and len(xs) > 2))  # side by side they ran together
        ax.set_xticks(xs, ticks, rotation=90 if upright else 0)
        if xlabels is not None:
            ax.set_xlim(xs.min() - 0.5, xs.max() + 0.5)
        ax.set_ylabel(ylabel)
        if narrow:  # the title over the figure, not the axes: a wide column of tick labels pushed it off the right
            ax.set_xlabel("\n".join(textwrap.fill(line, NARROW_LINE) for line in xlabel.split("\n")))
            fig.suptitle(textwrap.fill(title, NARROW_TITLE), fontsize=STYLE["axes.titlesize"])
            legend_below(fig, ax)
        else:
            ax.set_xlabel(xlabel)
            ax.set_title(title)
            ax.legend(fontsize=11, loc="best", framealpha=0.9)
    return fig
