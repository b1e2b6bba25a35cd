"""Compare's sweep of a translating family (the cycle GAN), without gradio: the zoo's λ_cyc axis (L1 cycle
norm, no weight penalty) as rows pictures from the same inputs, its scores plotted against λ_cyc with the
baseline's seed spread, a table of every point against the baseline, and the cycle norm L1 vs squared L2
at the baseline's λ_cyc; the section's words with every number read from the zoo (`texts`).

One source for each number: the entries and their scores are the Translate tab's
(normgen.zoo.views.translation_view: `translators`, `lam_cyc`, `norm`, `spread`, COLUMNS' keys, labels and
formats); whether a difference is an effect is normgen.zoo.verdicts' rule and words.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from normgen.data import dataset_label
from normgen.models import family
from normgen.render import figures as plots
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.learn_pictures import Picture, figure_pictures
from normgen.zoo.verdicts import Effect, Stat
from normgen.zoo.views import translation_view as TV

SWEEP_ID = "cycle"  # the one sweep id of a translator in Compare's sweep dropdown
# the plotted scores (COLUMNS' keys), each with its plot title; the grey share is in the norm table
PLOTTED = {"translation_l1": "Translation error vs the truth", "cycle_l1": "Cycle error: F(G(a)) vs a",
           "class_agreement": "Same digit after G", "fd": "FD of G(a) vs bold digits"}
ROWS = 3  # inputs per rows picture in the strip
FLOORS = {"fd": "fd_truth", "class_agreement": "truth_agreement"}  # the ground truth's own score, drawn as a line


def pairs(index: ZooIndex) -> list[tuple[str, str]]:
    """(model, dataset) of every translator in the index."""
    return sorted({(e.model, e.dataset) for e in TV.translators(index)})


def _columns() -> dict[str, tuple[str, str]]:
    return {k: (label, fmt) for k, label, fmt in TV.COLUMNS}


def axis(index: ZooIndex, model: str, dataset: str) -> list[tuple[float, list[Entry]]]:
    """(λ_cyc, its entries by seed) of the L1-norm, unpenalized entries, by λ_cyc."""
    es = [e for e in TV.translators(index, dataset) if e.model == model and TV.norm(e) == "l1" and not e.l1
          and not e.l2 and not e.group and not e.act]
    lams = sorted({TV.lam_cyc(e) for e in es})
    return [(lam, sorted((e for e in es if TV.lam_cyc(e) == lam), key=lambda e: e.seed)) for lam in lams]


def baseline_at(points: list[tuple[float, list[Entry]]]) -> int | None:
    """The index of the baseline's point (λ_cyc 10, L1, no penalty) on the axis."""
    return next((i for i, (_, es) in enumerate(points) if es and es[0].is_baseline), None)


def baseline_lam(index: ZooIndex, model: str, dataset: str) -> float | None:
    """The baseline's λ_cyc (the axis point whose entries are the zoo's baseline), None where it has none."""
    points = axis(index, model, dataset)
    b = baseline_at(points)
    return None if b is None else points[b][0]


def sweep_label(index: ZooIndex, model: str, dataset: str) -> str:
    """The sweep dropdown's label, its λ_cyc values read from the zoo: 'λ_cyc axis (0, 1, 10) and …'."""
    lams = ", ".join(f"{lam:g}" for lam, _ in axis(index, model, dataset))
    return f"λ_cyc axis ({lams}) and the cycle norm L1 vs squared L2"


def texts(index: ZooIndex, model: str, dataset: str, root: str | Path | None) -> dict[str, str]:
    """The section's intro and headings, every number read from the zoo: the steps and the held-out images of
    its entries, the baseline's λ_cyc, the inputs each picture shows and those a checkpoint keeps."""
    points = axis(index, model, dataset)
    es = [e for _, group in points for e in group]
    if not es:
        return {"intro": "", "axis_title": "", "norm_title": ""}
    lam = baseline_lam(index, model, dataset)
    base = f"λ_cyc {lam:g}" if lam is not None else "no baseline"
    kept = TV.kept_inputs(es[0], root)
    steps = TV.span([e.steps for e in es], "steps")
    scored = TV.scored_on(es)
    intro = (
        "### The cycle GAN: sweep λ_cyc\n"
        f"Each point is the {family(model).label} (thin → bold {dataset_label(dataset)}) trained with **only λ_cyc "
        f"changed** (L1 cycle norm, no weight penalty, {steps}), scored on {scored}. Each picture: rows a | G(a) | "
        f"F(G(a)) | truth for the same {ROWS} inputs (from the {kept} thin training digits each checkpoint keeps; the "
        "seed box picks them). Bars span the training seeds; a change inside the shaded band (the baseline's seed "
        "spread) is not an effect.")
    return {"intro": intro, "axis_title": f"#### Every λ_cyc against the baseline ({base}), {scored}",
            "norm_title": f"#### The cycle norm at {base}: L1 (the baseline) vs squared L2"}


def _vals(es: list[Entry], key: str) -> list[float]:
    return [e.metrics[key] for e in es if key in e.metrics]


def figures(index: ZooIndex, model: str, dataset: str, narrow: bool = False) -> dict[str, Any]:
    """One metric-vs-λ_cyc figure per PLOTTED score: every seed a dot, bars min-max, the baseline's seed
    spread shaded; FD and the same-digit share with the ground truth's own (dilate(a)) as a dashed line.
    `narrow`: their phone variants."""
    points = axis(index, model, dataset)
    lams = [lam for lam, _ in points]
    band = baseline_at(points)
    cols = _columns()
    out = {}
    for key, title in PLOTTED.items():
        label = cols[key][0]
        truth = [v for _, es in points for v in _vals(es, FLOORS[key])] if key in FLOORS else []
        floor = truth[0] if truth else None
        out[key] = plots.metric_vs_lambda(
            lams, {label: [_vals(es, key) for _, es in points]}, ylabel=label, title=title, xlabel="λ_cyc",
            floor=floor, floor_label="the truth dilate(a)", band=band if band is not None else 0,
            band_label=f"λ_cyc = {lams[band]:g} (baseline)" if band is not None else None, narrow=narrow)
    return out


def pictures(index: ZooIndex, model: str, dataset: str) -> dict[str, Picture]:
    """`figures` as Pictures, each with its phone variant and an alt text naming the setting."""
    what = f"{family(model).label} on {dataset_label(dataset)}, L1 cycle norm, no weight penalty"
    return figure_pictures(f"compare-cycle|{model}|{dataset}", partial(figures, index, model, dataset),
                           {k: f"Line chart, {title} against λ_cyc: {what}" for k, title in PLOTTED.items()})


def _verdict(base: list[Entry], other: list[Entry], key: str) -> str:
    eff = Effect(Stat(_vals(base, key)), Stat(_vals(other, key)))
    return eff.words(*TV.RISE_WORDS[key]) if eff.ok else "–"


def axis_table(index: ZooIndex, model: str, dataset: str) -> str:
    """Markdown: each λ_cyc point's scores (seed range) and, beside the baseline, how each differs from it."""
    points = axis(index, model, dataset)
    b = baseline_at(points)
    if not points:
        return ""
    cols = _columns()
    keys = [k for k in PLOTTED]
    head = "| λ_cyc | seeds | " + " | ".join(cols[k][0] for k in keys) + " |"
    lines = [head, "|" + "---|" * (len(keys) + 2)]
    for i, (lam, es) in enumerate(points):
        cells = []
        for k in keys:
            cell = TV.spread(es, k)
            if b is not None and i != b:  # the sizes are the ranges beside it: the rule's verdict alone
                eff = Effect(Stat(_vals(points[b][1], k)), Stat(_vals(es, k)))
                cell += f" ({eff.short()})" if eff.ok else ""
            cells.append(cell)
        name = f"**{lam:g}** (baseline)" if i == b else f"{lam:g}"
        lines.append(f"| {name} | {', '.join(str(e.seed) for e in es)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def norm_table(index: ZooIndex, model: str, dataset: str) -> str:
    """Markdown: the cycle norm L1 (the baseline) vs squared L2 at the baseline's λ_cyc, every score with its
    seeds."""
    lam = baseline_lam(index, model, dataset)
    es = [e for e in TV.translators(index, dataset) if e.model == model and TV.lam_cyc(e) == lam and not e.l1
          and not e.l2]
    l1 = [e for e in es if TV.norm(e) == "l1"]
    l2 = [e for e in es if TV.norm(e) == "l2"]
    if not (l1 and l2):
        return "The zoo has no squared-L2 cycle GAN at the baseline's λ_cyc beside the L1 one."
    lines = [f"| score | L1 (seeds {', '.join(str(e.seed) for e in l1)}) | squared L2 (seeds "
             f"{', '.join(str(e.seed) for e in l2)}) | squared L2 vs L1 |", "|---|---|---|---|"]
    for k, label, _ in TV.COLUMNS:
        if _vals(l1, k) or _vals(l2, k):
            lines.append(f"| {label} | {TV.spread(l1, k)} | {TV.spread(l2, k)} | {_verdict(l1, l2, k)} |")
    truth = _vals(l1, "truth_grey_pct")
    if truth:
        lines += ["", f"The ground truth dilate(a) itself has {truth[0]:.1f}% grey pixels: blur would show as "
                      "more grey pixels in G(a)."]
    return "\n".join(lines)


def strip(index: ZooIndex, model: str, dataset: str, root: str | Path | None, seed: int = 0
          ) -> list[tuple[Image.Image, str]]:
    """(rows picture, caption) per λ_cyc point (its lowest training seed, L1 cycle norm) and the squared-L2
    setting at the baseline's λ_cyc, the same ROWS inputs (input seed `seed`) in every picture."""
    shown = [(es[0], f"λ_cyc {lam:g}" + (" (baseline)" if es[0].is_baseline else ""))
             for lam, es in axis(index, model, dataset)]
    base = baseline_lam(index, model, dataset)
    l2 = [e for e in TV.translators(index, dataset) if e.model == model and TV.lam_cyc(e) == base
          and TV.norm(e) == "l2" and not e.l1 and not e.l2]
    shown += [(l2[0], f"λ_cyc {base:g}, squared L2")] if l2 else []  # narrow: the scores are in the tables
    return [(TV.rows_picture(e, root, ROWS, seed), name) for e, name in shown]
