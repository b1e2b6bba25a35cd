"""What Compare shows of one sweep, without Gradio: its metric-vs-lambda figures (as Pictures, each with its phone
variant: `sweep_pictures`), the table of a chosen point against the baseline, every value from the index
(normgen.zoo.readings), and the whole view (`compare_view`: strip, grid, table, figures, notes) the tab turns into
its components.

Sweeps on a small training set add the generalization figures and rows: the train-test gap of the
ELBO or of the discriminator and memorization, each with its seed spread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from normgen.data import class_names, dataset_label
from normgen.eval.copying import NEARER_THAN
from normgen.glossary import explain
from normgen.models import family
from normgen.regularizers import PENALTIES
from normgen.render import figures as plots
from normgen.zoo import coverage
from normgen.zoo import sweeps as S
from normgen.zoo.choose import choice_markdown
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.learn_pictures import Picture, figure_pictures
from normgen.zoo.readings import (
    COPY_ROWS,
    IWAE_LABEL,
    dropout_words,
    generalization_rows,
    images_words,
    metric,
    not_in_file_note,
    of,
    spread,
    weight_stat,
)
from normgen.zoo.sweeps import Sweep


def values(sweep: Sweep, get: Callable[[Entry], float | None]) -> list[list[float]]:
    """Per point, the value of `get` for each seed (missing values dropped)."""
    return [p.values(get) for p in sweep.points]


def mean_values(sweep: Sweep, get: Callable[[Entry], float | None]) -> list[float | None]:
    """Per point, the mean of `get` over its seeds (None where no seed has it)."""
    return [sum(v) / len(v) if v else None for v in values(sweep, get)]


def spans_decades(vals: list[float]) -> bool:
    """Positive values whose largest is at least 10x the smallest: drawn on a log axis, so one collapsed point
    (FD 1,173) does not flatten all the others."""
    pos = [v for v in vals if v > 0]
    return len(pos) == len(vals) and len(pos) > 1 and max(pos) >= 10 * min(pos)


def sweep_figures(sweep: Sweep, selected: int | None = None, floors: dict[str, Any] | None = None,
                  narrow: bool = False) -> dict[str, Any]:
    """The four metric-vs-lambda figures of a sweep: sparsity, weight norm, sample quality, and
    reconstruction error (families with an ELBO: the VAE) or class entropy (the others); on a small
    training set also "fit" (the metric on training vs held-out images), "gap" and "memorization".
    `narrow`: their phone variants (normgen.render.figures.metric_vs_lambda)."""
    xs, xl, part = sweep.x_values(), sweep.x_labels(), sweep.part
    xlabel = f"{PENALTIES[sweep.key.kind].label} λ" if sweep.key.kind in PENALTIES else (
        f"dropout rate in {dropout_words(sweep.model)}" if sweep.key.kind == "dropout" else "setting")
    common = dict(xlabel=xlabel, selected=selected, xlabels=xl, narrow=narrow)
    floor = (floors or {}).get(sweep.dataset, {}).get("fd")
    figs = {
        "sparsity": plots.metric_vs_lambda(
            xs, {"near-zero (|w| < 1e-3)": values(sweep, lambda e: weight_stat(e, part, "near_zero_pct")),
                 "exactly 0": values(sweep, lambda e: weight_stat(e, part, "zero_pct"))},
            ylabel=f"% of {part} weights", title="Sparsity", **common),
        "norm": plots.metric_vs_lambda(
            xs, {f"{part} ||W||": values(sweep, lambda e: weight_stat(e, part, "l2"))},
            ylabel="L2 norm of all weights", title="Weight norm", **common),
        "quality": plots.metric_vs_lambda(
            xs, {"judge FD": values(sweep, lambda e: metric(e, "fd"))}, ylabel="judge FD (lower = better)",
            title="Sample quality", floor=floor, sampling=mean_values(sweep, lambda e: metric(e, "fd_sampling")),
            logy=spans_decades([v for vs in values(sweep, lambda e: metric(e, "fd")) for v in vs]), **common),
    }
    if family(sweep.model).has_elbo:
        figs["extra"] = plots.metric_vs_lambda(
            xs, {"test reconstruction error": values(sweep, lambda e: metric(e, "rec_error"))},
            ylabel="reconstruction error", title=f"{family(sweep.model).label} reconstruction", **common)
    else:
        k = len(class_names(sweep.dataset)) or 10
        figs["extra"] = plots.metric_vs_lambda(
            xs, {"class entropy": values(sweep, lambda e: metric(e, "class_entropy"))},
            ylabel="entropy (nats)", title="Mode coverage", floor=math.log(k),
            floor_label="all classes equally", **common)
    if sweep.key.train_size:
        figs.update(generalization_figures(sweep, common))
    return figs


def generalization_figures(sweep: Sweep, common: dict[str, Any]) -> dict[str, Any]:
    """"fit" (training vs held-out; with the IWAE bound beside the ELBO), "gap", "copying" (near-copies in
    the judge's features) and "memorization" (the pixel nearest-neighbour share, named for what it measures)
    against lambda, each with its seed spread."""
    rows = dict(generalization_rows(sweep.model))
    labels = list(rows)
    xs, figs, size = sweep.x_values(), {}, images_words(sweep.key.train_size)
    if len(labels) > len(COPY_ROWS):  # (train, held-out, gap) of the ELBO or of the discriminator
        (_, train), (_, held), (gap_l, gap) = [(k, rows[k]) for k in labels[:3]]
        elbo = family(sweep.model).has_elbo
        what = "ELBO (nats/image; higher = better)" if elbo else "mean D logit"
        fit = {"training images": values(sweep, train), "held-out images": values(sweep, held)}
        gaps = {gap_l: values(sweep, gap)}
        if elbo and any(v for v in values(sweep, rows[f"{IWAE_LABEL} held-out (nats/image)"])):
            fit.update({f"{IWAE_LABEL}, training": values(sweep, rows[f"{IWAE_LABEL} train (nats/image)"]),
                        f"{IWAE_LABEL}, held-out": values(sweep, rows[f"{IWAE_LABEL} held-out (nats/image)"])})
            gaps[f"{IWAE_LABEL} gap"] = values(sweep, rows[f"{IWAE_LABEL} gap (nats/image)"])
            what = "ELBO and IWAE, nats/image (higher = better)"
        figs["fit"] = plots.metric_vs_lambda(
            xs, fit, ylabel=what.replace("ELBO and IWAE, ", ""),
            title=f"{what.split(',')[0].split(' (')[0]}: training vs held-out ({size})" if not elbo or len(fit) == 2
            else f"ELBO and {IWAE_LABEL} ({size})", **common)
        figs["gap"] = plots.metric_vs_lambda(
            xs, gaps, ylabel="nats/image" if elbo else gap_l, title="Train - held-out gap (> 0 = overfit)", floor=0.0,
            floor_label="no gap", **common)
    near, mem = COPY_ROWS[1][1], COPY_ROWS[2][1]
    if any(v for v in values(sweep, near)):
        figs["copying"] = plots.metric_vs_lambda(
            xs, {f"nearer a training image than {NEARER_THAN} of new real images": values(sweep, near)},
            ylabel="% of samples (judge features)", title="Near-copies of training images", floor=1.0,
            floor_label="new real images", **common)
    figs["memorization"] = plots.metric_vs_lambda(
        xs, {"nearest image is a training image": values(sweep, mem)}, ylabel="% of samples (pixel space)",
        title="Pixel NN share (blur raises it; not copying)", floor=50.0, floor_label="as near as unseen images",
        **common)
    return figs


def point_markdown(sweep: Sweep, i: int) -> str:
    """A short table: the chosen point against the baseline, every value from the index."""
    if not 0 <= i < len(sweep.points):
        raise ValueError(f"point index must be in [0, {len(sweep.points) - 1}], got {i}")
    p, part = sweep.points[i], sweep.part
    rows = [("near-zero weights (%)", lambda e: weight_stat(e, part, "near_zero_pct")),
            ("exactly-zero weights (%)", lambda e: weight_stat(e, part, "zero_pct")),
            ("dead filters (%)", lambda e: weight_stat(e, part, "dead_filter_pct")),
            (f"{part} L2 norm", lambda e: weight_stat(e, part, "l2")),
            ("judge FD (lower = better)", lambda e: metric(e, "fd")),
            ("FD spread over noise draws (max - min)", lambda e: metric(e, "fd_sampling")),
            ("confident samples (%)", lambda e: metric(e, "confident_pct")),
            ("class entropy (nats)", lambda e: metric(e, "class_entropy")),
            ("ink: pixels brighter than mid-grey (%)", of("ink_pct")),
            ("spread across samples per pixel (0 = one picture repeated)", of("pixel_spread")),
            ("samples the judge reads as the asked class (%)", of("asked_pct"))]
    if family(sweep.model).has_elbo:
        rows.append(("reconstruction error", lambda e: metric(e, "rec_error")))
    if sweep.key.train_size:
        rows += generalization_rows(sweep.model)
    base = sweep.points[0] if sweep.has_baseline else None
    head = f"**{p.label()}** - {family(sweep.model).label} on {dataset_label(sweep.dataset)}, {sweep.key.label()}"
    if p.dropout:
        head += f" (dropout in {dropout_words(sweep.model)})"
    lines = [head, "", "| | this point | baseline |", "|---|---|---|"]
    for name, get in rows:
        this, ref = p.values(get), base.values(get) if base else []
        if this or ref:
            lines.append(f"| {name} | {spread(this)} | {spread(ref) if base else 'no baseline'} |")
    shown = p.entries + (base.entries if base else [])
    if note := not_in_file_note(shown, part):
        lines += ["", f"*{note}*"]
    if any(metric(e, "d_gap") is not None and "discriminator" not in e.parts for e in shown):
        lines += ["", "*The D rows were measured when the zoo was built: these files store no discriminator, so a "
                      "download cannot check them.*"]
    conf, ent = [p.values(of(n)) for n in ("confident_pct", "class_entropy")]
    k = len(class_names(sweep.dataset)) or 10
    if conf and ent and coverage.collapsed(sum(ent) / len(ent), k):  # a confident % is no quality here
        lines += ["", coverage.confident_caution(sum(conf) / len(conf), sum(ent) / len(ent), k)]
    return "\n".join(lines)


EMPTY_NOTE = "Pick a model, a dataset and a sweep."
PLOTS = {"sparsity": "Sparsity", "quality": "Sample quality", "norm": "Weight norm",
         "extra": "Reconstruction / mode coverage"}
GEN_PLOTS = {"fit": "Training vs held-out images", "gap": "Train - held-out gap", "copying": "Near-copies",
             "memorization": "Pixel nearest-neighbour share"}


def sweep_pictures(sweep: Sweep, i: int, floors: dict[str, Any] | None = None) -> dict[str, Picture]:
    """`sweep_figures` with point `i` ringed, each a Picture with its phone variant and an alt text that names the
    setting (a screen reader hears which sweep and point the plot shows)."""
    what = (f"{sweep.key.label()}, {family(sweep.model).label} on {dataset_label(sweep.dataset)}; ringed: "
            f"{sweep.points[i].label()}")
    alts = {k: f"Line chart, {label} against the sweep's setting: {what}" for k, label in (PLOTS | GEN_PLOTS).items()}
    return figure_pictures(f"compare|{sweep.model}|{sweep.dataset}|{sweep.key.id}|{i}",
                           partial(sweep_figures, sweep, i, floors), alts)


def _empty_pictures(message: str) -> dict[str, Picture]:
    """Every plot of PLOTS saying why there is nothing to plot, with its phone variant."""
    def draw(narrow: bool = False) -> dict[str, Any]:
        return dict.fromkeys(PLOTS, plots._empty(message, narrow=narrow))

    return figure_pictures(f"compare-empty|{message}", draw, {k: f"{label}: {message}" for k, label in PLOTS.items()})


def default_point(sweep: Sweep) -> int:
    """The middle of the sweep: interesting without being the collapse."""
    return min(len(sweep.points) - 1, max(0, len(sweep.points) // 2))


def compare_view(index: ZooIndex, model: str | None, dataset: str | None, sweep_id: str | None, point: int | None,
                 noise_seed: int, train_seed: int | None,
                 fallback: tuple[str, str] = ("gan", "mnist")) -> dict[str, Any]:
    """Plain values for every output of the Compare tab: strip, point choices, grid, table, the four figures, the
    four of a small training set (GEN_PLOTS; None for other sweeps), each a Picture with its phone variant, notes
    and training-seed choices. A point or
    training seed the sweep lacks becomes its middle point / first seed; `fallback` is the (model, dataset) whose
    missing entries are reported when none is chosen."""
    sweep = S.get_sweep(index, model, dataset, sweep_id) if model and dataset and sweep_id else None
    if sweep is None or not sweep.points:
        note = S.missing_report(index, model or fallback[0], dataset or fallback[1]) or EMPTY_NOTE
        empty = _empty_pictures("No sweep to plot: " + ("the zoo is empty." if not index.entries else
                                                        "pick a model, dataset and sweep."))
        return {"strip": [], "points": [], "point": None, "grid": None, "table": "", "choice": "", **empty,
                **dict.fromkeys(GEN_PLOTS), "notes": note, "seeds": [], "seed": None, "missing": note}
    seeds = sorted({s for p in sweep.points for s in p.seeds})
    tseed = train_seed if train_seed in seeds else seeds[0]
    i = point if point is not None and 0 <= point < len(sweep.points) else default_point(sweep)
    figs = {**dict.fromkeys(GEN_PLOTS), **sweep_pictures(sweep, i, index.floors)}  # None: not a small-data sweep
    note = "\n".join(f"- {n}" for n in sweep.notes)
    return {"strip": S.strip(sweep, noise_seed, tseed, root=index.root),
            "points": [(p.label(), k) for k, p in enumerate(sweep.points)], "point": i,
            "grid": S.large_grid(sweep, i, noise_seed, tseed, root=index.root),
            "table": explain(point_markdown(sweep, i)),
            "choice": explain(choice_markdown(sweep)),
            **figs, "notes": explain(f"**What this sweep lacks:**\n{note}") if note else "",
            "seeds": [(str(s), s) for s in seeds], "seed": tseed,
            "missing": explain(S.missing_report(index, model, dataset)
                               or "Nothing: every planned entry is in the zoo.")}
