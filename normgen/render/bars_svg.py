"""Explore's two bar charts as inline SVG: the weight norm per layer and the classes the judge sees.

Drawn from the numbers as SVG they cost well under a millisecond (as matplotlib figures they took 0.5-1 s a
pair on 2 cores). Same colours as every other picture: baseline blue, selected orange.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from normgen.eval.quality import class_entropy
from normgen.render.figures import BASELINE, SELECTED

FONT, TICK = 15, 14
ROW = 30  # px per layer (two bars)
# viewBoxes about the size a phone shows them at (~300 px of a 390-px screen; at most their own width on a laptop):
# the units are nearly pixels, so the text reads at 12 px or more on a phone and 14-15 px on a projector
W_LAYERS = 340
NAME_W = 100  # the layer names' column
W_CLASSES, H_CLASSES = 340, 340


def _fmt(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.3g}"


def _head(w: int, h: int, alt: str, cls: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(alt)}" '
            f'font-family="sans-serif" font-size="{FONT}" class="{cls}" style="max-width:{w}px;width:100%">',
            f"<title>{escape(alt)}</title>", f"<style>.tick{{font-size:{TICK}px;fill:#222}}</style>"]


def _legend(y: float, texts: Sequence[tuple[str, str]], dashed: str = "") -> list[str]:
    """One line per series from `y` down (a swatch and its words); `dashed`: a last line for a dashed rule."""
    out = []
    for i, (text, colour) in enumerate(texts):
        yy = y + 18 * i
        out.append(f'<rect x="8" y="{yy - 11:.0f}" width="14" height="13" fill="{colour}"/>'
                   f'<text x="27" y="{yy:.0f}">{escape(text)}</text>')
    if dashed:
        yy = y + 18 * len(texts)
        out.append(f'<line x1="8" y1="{yy - 5:.0f}" x2="22" y2="{yy - 5:.0f}" stroke="#000" stroke-width="1.5" '
                   f'stroke-dasharray="4 3"/><text x="27" y="{yy:.0f}">{escape(dashed)}</text>')
    return out


def layer_norms_svg(a: Mapping[str, float], b: Mapping[str, float], labels: Sequence[str] = ("baseline", "selected"),
                    *, title: str = "Weight norm per layer", alt: str = "") -> str:
    """Horizontal grouped bars, one pair (baseline `a`, selected `b`) per layer in the order of `a`, the
    L2 norm written at each bar's end; both share one axis from 0 to the largest norm."""
    names = list(a) + [k for k in b if k not in a]
    alt = alt or title
    top = 70  # title and legend above the bars
    h = top + max(1, len(names)) * ROW + 12
    out = _head(W_LAYERS, h, alt, "layer-norms")
    out.append(f'<text x="{W_LAYERS / 2:.0f}" y="18" text-anchor="middle" font-weight="600">{escape(title)}</text>')
    out += _legend(40, [(labels[0], BASELINE), (labels[1], SELECTED)])
    if not names:
        out.append(f'<text x="8" y="{top + 20}">No penalized layers to show.</text></svg>')
        return "".join(out)
    vals = [float(v) for v in (*a.values(), *b.values()) if math.isfinite(float(v))]
    hi = max(vals, default=1.0) or 1.0
    span = W_LAYERS - NAME_W - 70  # room for the value after the longest bar
    for i, name in enumerate(names):
        y = top + i * ROW
        short = name if len(name) <= 12 else "…" + name[-11:]
        out.append(f'<text x="{NAME_W - 6}" y="{y + 19}" text-anchor="end" class="tick">'
                   f'<title>{escape(name)}</title>{escape(short)}</text>')
        for j, (vals_of, colour) in enumerate(((a, BASELINE), (b, SELECTED))):
            v = float(vals_of.get(name, math.nan))
            length = 0.0 if not math.isfinite(v) else max(0.0, v) / hi * span
            yy = y + 3 + j * 12
            out.append(f'<rect x="{NAME_W}" y="{yy}" width="{length:.2f}" height="11" fill="{colour}">'
                       f'<title>{escape(labels[j])}: {_fmt(v)}</title></rect>'
                       f'<text x="{NAME_W + length + 4:.1f}" y="{yy + 10}" class="tick">{_fmt(v)}</text>')
    out.append(f'<line x1="{NAME_W}" y1="{top}" x2="{NAME_W}" y2="{top + len(names) * ROW}" stroke="#444"/>')
    out.append("</svg>")
    return "".join(out)


def class_bars_svg(counts: Sequence[int], names: Sequence[str], *, baseline: Sequence[int] | None = None,
                   labels: Sequence[str] = ("baseline", "selected"),
                   title: str = "Which classes the samples look like (judge)", alt: str = "") -> str:
    """Bars per class of the judge's predictions (`names` in the dataset's order); with `baseline`, grouped
    bars. A dashed line marks the uniform count; the legend gives each one's class entropy (ln K = every
    class equally often; 0 = one class only: mode collapse)."""
    k = len(names)
    series = [(list(counts), labels[1] if baseline is not None else "samples", SELECTED)]
    if baseline is not None:
        series.insert(0, (list(baseline), labels[0], BASELINE))
    for c, label, _ in series:
        if len(c) != k:
            raise ValueError(f"{label}: expected {k} class counts, got {len(c)}")
    alt = alt or title
    left, right, top, bottom = 54, 10, 104, H_CLASSES - 62
    out = _head(W_CLASSES, H_CLASSES, alt, "class-bars")
    out.append(f'<text x="{W_CLASSES / 2:.0f}" y="18" text-anchor="middle" font-weight="600">{escape(title)}</text>')
    out += _legend(40, [(f"{label}: entropy {class_entropy(c):.2f} of {math.log(k):.2f}", colour)
                        for c, label, colour in series], dashed="uniform: every class equally often")
    ymax = max((v for c, _, _ in series for v in c), default=1) or 1
    uniform = sum(series[-1][0]) / k if k else 0

    def y(v: float) -> float:
        return bottom - v / (ymax * 1.08) * (bottom - top)

    slot = (W_CLASSES - left - right) / max(1, k)
    bw = slot * 0.8 / len(series)
    for t in (0, ymax // 2, ymax):
        out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{W_CLASSES - right}" y2="{y(t):.1f}" stroke="#000" '
                   f'stroke-opacity="0.08"/><text x="{left - 5}" y="{y(t) + 4:.1f}" text-anchor="end" '
                   f'class="tick">{t:,}</text>')
    for i, name in enumerate(names):
        x0 = left + i * slot + slot * 0.1
        for j, (c, label, colour) in enumerate(series):
            out.append(f'<rect x="{x0 + j * bw:.1f}" y="{y(c[i]):.1f}" width="{bw:.1f}" '
                       f'height="{bottom - y(c[i]):.1f}" fill="{colour}"><title>{escape(label)}, '
                       f'{escape(name)}: {c[i]:,}</title></rect>')
        cx = left + (i + 0.5) * slot
        out.append(f'<text x="{cx:.1f}" y="{bottom + 14}" class="tick" text-anchor="end" '
                   f'transform="rotate(-35 {cx:.1f} {bottom + 14})">{escape(name)}</text>')
    out.append(f'<line x1="{left}" y1="{y(uniform):.1f}" x2="{W_CLASSES - right}" y2="{y(uniform):.1f}" '
               'stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"><title>uniform: every class equally '
               'often</title></line>')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{W_CLASSES - right}" y2="{bottom}" stroke="#444"/>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["layer_norms_svg", "class_bars_svg"]
