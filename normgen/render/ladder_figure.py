"""The Lipschitz ladder's figure (Learn): plain numbers in, a matplotlib `Figure` out (no pyplot).

Two panels sharing the rungs as rows, top to bottom: left, each rung's judge FD (a dot at the mean over
its noise draws, the draws' min-max as a bar, coloured by its verdict) over the baseline seeds' band; right,
the discriminator's largest singular value per layer (log scale, a line at 1: where spectral norm holds it).
Callers (normgen.zoo.ladder) read every number from the zoo index."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from normgen.render.figures import BASELINE, PALETTE, STYLE
from normgen.render.learn_figures import NARROW, NARROW_TITLE, draw_verdict_rows, row_labels_above

LAYER_MARKERS = ("o", "s", "^", "D", "v")


def ladder_figure(rows: Sequence[tuple[str, Sequence[float], str, dict[str, float]]], *,
                  band: tuple[float, float] | None, title: str, refs: Sequence[tuple[str, float]] = (),
                  narrow: bool = False) -> Figure:
    """`rows`: (label, FD values, verdict, σ_max per layer); `band`: the baseline's FD range; `refs`: ruler
    rungs (label, FD) drawn as dashed lines where they fall inside the panel's range. `narrow`: the phone's
    variant, NARROW wide, the two panels one above the other and each rung's name above its row."""
    n = max(len(rows), 1)
    labels = [r[0] for r in rows]
    with rc_context(STYLE):
        if narrow:
            fig = Figure(figsize=(NARROW, 3.4 + 1.4 * n), dpi=100, layout="constrained")
            fig.get_layout_engine().set(h_pad=0.1)  # the first layout left the last legend a pixel over the edge
            ax, ax2 = fig.subplots(2, 1)
            title = textwrap.fill(title, NARROW_TITLE)
        else:
            fig = Figure(figsize=(12.0, 2.2 + 0.62 * n), dpi=100, layout="constrained")
            ax, ax2 = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.25, 1]})
        if band is not None:
            ax.axvspan(band[0], band[1], color=BASELINE, alpha=0.15, label="baseline seeds")
        vals_all = [v for r in rows for v in r[1]]
        draw_verdict_rows(ax, [(vals, verdict) for _, vals, verdict, _ in rows])
        if vals_all:
            lo, hi = min(vals_all), max(vals_all)
            pad = 0.08 * (hi - lo or 1.0)
            ax.set_xlim(lo - pad, hi + pad)
            for name, fd in refs:
                if lo - pad < fd < hi + pad:
                    # a phone's panel has no room for its name over the rows: the legend gives it
                    ax.axvline(fd, color="0.45", lw=1.2, ls="--", label=name if narrow else None)
                    if not narrow:
                        ax.text(fd, n - 0.45, f" {name}", fontsize=13, color="0.3", va="bottom", ha="center")
        if narrow:
            row_labels_above(ax, labels, (-0.55, n - 0.05))
            row_labels_above(ax2, labels, (-0.55, n - 0.05))
        else:
            ax.set_yticks(range(n), list(reversed(labels)))
            ax.set_ylim(-0.7, n + 0.1)
        ax.set_xlabel("judge FD (← better)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 * (1.6 if narrow else 1)), ncol=1 if narrow else 3,
                  frameon=False, columnspacing=0.6 if narrow else 2.0)
        layers = list(dict.fromkeys(k for r in rows for k in r[3]))
        for j, layer in enumerate(layers):
            off = 0.16 * (j - (len(layers) - 1) / 2)  # layers side by side within a row: equal values stay visible
            ys = [n - 1 - i + off for i, r in enumerate(rows) if layer in r[3]]
            xs = [r[3][layer] for r in rows if layer in r[3]]
            ax2.scatter(xs, ys, s=110, marker=LAYER_MARKERS[j % len(LAYER_MARKERS)], color=PALETTE[(j + 2) % 8],
                        label=layer, zorder=3)
        ax2.axvline(1.0, color="0.3", lw=1.2, ls="--")
        ax2.set_xscale("log")
        sig = [v for r in rows for v in r[3].values() if v > 0]
        if sig:  # ticks written 0.1, 0.2, 0.5, 1, 2 (not 10⁻¹ and 10⁰), over the values' range
            ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
                     if min(sig) / 2.5 <= t <= max(max(sig), 1.0) * 2.5]
            ax2.set_xticks(ticks)
            ax2.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax2.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax2.set_xlabel("D's σ_max per layer (log scale)")
        ax2.grid(axis="y", visible=False)
        if layers:
            ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 * (1.6 if narrow else 1)), ncol=len(layers),
                       frameon=False)
        fig.suptitle(title, fontsize=STYLE["axes.titlesize"])
    return fig
