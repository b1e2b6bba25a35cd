"""What the Train tab shows, as plain functions (no gradio): the curves (with a marker where λ changed
mid-run), the status text, the training-size presets and the help lines. normgen.app.tabs.train lays
them out and wires them."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from normgen.engine.sampling import ROW_LABELS
from normgen.losses import CYCLE_NORMS, LOSS_LABELS
from normgen.models import family, model_label
from normgen.regularizers import PENALTIES, variant_label
from normgen.service import inputs as I
from normgen.service.run_files import change_words
from normgen.service.runs import Snapshot
from normgen.service.server_datasets import train_size_label
from normgen.words import fmt_lambda
from normgen.zoo.readings import dropout_words
from normgen.zoo.spec import SMALL_SIZES
from normgen.zoo.views import train_translation as TT

MAX_CURVE_POINTS = 100
TRAIN_SIZES = (0, *sorted({n for sizes in SMALL_SIZES.values() for n in sizes}, reverse=True))  # the zoo's


def train_size_presets(dataset: str, data_root: str | None = None) -> list[tuple[str, int]]:
    """The preset buttons of "Training images": all (with the split's real size), then the zoo's sizes."""
    return [(train_size_label(dataset, n, data_root), n) for n in TRAIN_SIZES]


def preset_of(n: Any) -> int | None:
    """The preset a typed count matches (None: another count)."""
    try:
        v = I.parse_train_size(n)
    except I.InputError:
        return None
    return v if v in TRAIN_SIZES else None


def dropout_help() -> str:
    """Where dropout acts, per family, from the family facts."""
    where: dict[str, list[str]] = {}
    for m in I.SAMPLE_MODELS:
        where.setdefault(dropout_words(m), []).append(model_label(m))
    return "in " + "; ".join(f"{w} ({', '.join(ms)})" for w, ms in where.items())


def _frame(rows: list[tuple]) -> pd.DataFrame:
    # explicit dtypes: an empty frame would otherwise be "object" and plot as categories
    return pd.DataFrame({"step": pd.Series([r[0] for r in rows], dtype="int64"),
                         "value": pd.Series([r[1] for r in rows], dtype="float64"),
                         "series": pd.Series([r[2] for r in rows], dtype="object")})


MARKER_SERIES = "λ changed"  # the one series of every λ-change marker


def _with_markers(rows: list[tuple], changes: list[dict[str, Any]]) -> list[tuple]:
    """Each λ change as a vertical rule at its step, spanning the plot's values, in one series that is in every
    frame from the first (a placeholder row without a value until λ changes). Gradio 6.31's LinePlot keeps the
    series (colours) of the frame it was first drawn with: a series that first appears in a later update is in
    the data but never drawn. The rows without a value (NaN) break the line, so each change is its own rule;
    the status text names each change."""
    if not rows:
        return rows
    lo, hi = min(r[1] for r in rows), max(r[1] for r in rows)
    nan = float("nan")
    marks = [(rows[0][0], nan, MARKER_SERIES)]
    for step in sorted({int(c["step"]) for c in changes}):
        marks += [(step, nan, MARKER_SERIES), (step, lo, MARKER_SERIES), (step, hi, MARKER_SERIES),
                  (step, nan, MARKER_SERIES)]
    return rows + marks


PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#9d755d", "#eeca3b", "#ff9da6")
MARKER_COLOUR = "#e45756"  # red: no series takes it


def colours(frame: pd.DataFrame) -> dict[str, str]:
    """Each series of a curves frame its colour (the plot's `color_map`, and its legend's): the λ-change marker
    red, the others in the order they first appear, which every frame of a run keeps."""
    names = [n for n in dict.fromkeys(frame["series"]) if n != MARKER_SERIES]
    return {**{n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}, MARKER_SERIES: MARKER_COLOUR}


def legend_html(frame: pd.DataFrame) -> str:
    """The plot's legend as a line of the page, which wraps at any width (the plot's own legend is one row,
    cut at a phone's width): a swatch and the name of each series, the marker's once a λ has changed."""
    changed = bool(marker_steps(frame))
    items = [(n, c) for n, c in colours(frame).items() if n != MARKER_SERIES or changed]
    return '<div class="plot-legend">' + "".join(
        f'<span><i style="background:{c}"></i>{html.escape(n)}</span>' for n, c in items) + "</div>"


def marker_steps(frame: pd.DataFrame) -> list[int]:
    """The steps at which a curves frame draws a λ-change rule (a marker row with a value)."""
    m = frame[(frame["series"] == MARKER_SERIES) & frame["value"].notna()]
    return sorted({int(s) for s in m["step"]})


def curves(history: list[dict[str, float]], changes: list[dict[str, Any]] | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Long-format frames (step, value, series) for the loss, penalty and sparsity plots, each with a
    vertical marker where λ changed mid-run (`changes`: the run's recorded changes).

    At most ~MAX_CURVE_POINTS rows per series (evenly thinned, last row kept): the browser redraws
    every plot on each streamed update, so a long history would slow the page."""
    loss, pen, sparse = [], [], []
    if len(history) > MAX_CURVE_POINTS:
        k = -(-len(history) // MAX_CURVE_POINTS)
        history = history[::k] + ([history[-1]] if (len(history) - 1) % k else [])
    for r in history:
        s = r.get("step")
        for k, v in r.items():
            if k in LOSS_LABELS:
                loss.append((s, v, LOSS_LABELS[k]))
            elif k.startswith("pen_"):
                name, _, part = k[4:].partition("_")
                pen.append((s, v, f"{PENALTIES[name].label if name in PENALTIES else name} penalty ({part})"))
            elif k.endswith("/near_zero_pct"):
                sparse.append((s, v, f"{k.split('/')[0]}: near-zero %"))
            elif k.endswith("/zero_pct"):
                sparse.append((s, v, f"{k.split('/')[0]}: exactly 0 %"))
    ch = changes or []
    return _frame(_with_markers(loss, ch)), _frame(_with_markers(pen, ch)), _frame(_with_markers(sparse, ch))


def start_phrase(start: str) -> str:
    """How a run began, for its status line."""
    return "fine-tuned from the zoo baseline" if start == "finetune" else "from scratch"


def setting_words(s: Snapshot, target: str, variant: str, model: Any = None) -> str:
    """'L1 λ 1e-2 on the generator, in the loss': what the run trains under now; a translator's model
    config (`model`) adds its cycle term first: 'λ_cyc 10 (L1 cycle norm), λ_id 0; ...'."""
    lams = ", ".join(f"{PENALTIES[k].label} λ {fmt_lambda(v)}" for k, v in s.lambdas.items()) or "no penalty (λ = 0)"
    cyc = ""
    if model is not None and family(model.name).translates:
        cyc = (f"λ_cyc {model.lambda_cyc:g} ({CYCLE_NORMS[model.cycle_norm].split(':')[0]} cycle norm), "
               f"λ_id {model.lambda_id:g}; ")
    return f"{cyc}{lams} on the {target}, {variant_label(variant)}"


def picture_words(model: str, held_out: bool) -> str:
    """What the run's picture is: a grid from fixed noise, or a translator's rows."""
    if not family(model).translates:
        return "Grid: fixed noise"
    src = f"{TT.ROWS} fixed held-out test images" if held_out else f"{TT.ROWS} of its own training inputs"
    return f"Rows ({src}): {' | '.join(ROW_LABELS)} (the truth: dilate(a), never trained on)"


def status_text(s: Snapshot, how: str, setting: str = "", picture: str = "") -> str:
    head = {"waiting": "Waiting in line", "running": "Training", "finished": "Finished",
            "stopped": "Stopped (result kept)", "diverged": "Diverged", "error": "Error"}[s.status]
    if s.status == "diverged":
        return (f"### {head}\n{s.message}\n\nThe grid shows the last good samples (step {s.sample_step}); "
                "the downloads hold those weights.")
    if s.status == "error":
        return f"### {head}\n{s.message}"
    if s.status == "waiting":
        return (f"### {head}\n{s.message}. Others train before you; Explore and Compare work meanwhile. "
                "Your λ sliders still count: the run starts with what they show.")
    line = f"step **{s.step} / {s.total}** · {s.elapsed:.1f} s"
    if s.eta is not None:
        line += f" · ≈ {s.eta:.0f} s left"
    elif s.message.startswith(("measuring", "scoring")):
        line += f" · {s.message}"
    if s.done:
        line = f"{s.message} · {how}. Downloads and comparison below."
    text = f"### {head}\n{line}"
    if setting:
        text += f"\n\nNow: {setting}."
    if s.changes:
        text += "\n\nλ changed during the run (the vertical lines on the curves): " + "; ".join(
            f"at step {c['step']}, {change_words(c['name'], c['old'], c['new'])}" for c in s.changes) + "."
    elif not s.done:
        text += "\n\nMove a λ slider now: the run takes the new λ from its next step."
    text += f"\n\n{picture or 'Grid: fixed noise'}, drawn at step {s.sample_step}."
    if s.done and s.generalization_note:
        text += f"\n\n{s.generalization_note}"
    return text
