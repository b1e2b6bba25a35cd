"""The Train tab: layout and wiring only (the work is in normgen.service.sessions / runs).

Like every tab: plain functions (curves, status text, handlers), then `build_train_tab` (the layout,
returning its widgets by name as a `TrainTab`), then `wire_train` (the events).

Public endpoint `/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
train_size, dropout)` (the last two default to 0: all training images, no dropout): a generator that
streams the fixed-noise grid, the curves and a status line, then the downloads and the finished
model's generalization numbers (training vs held-out images).
It runs with concurrency_limit=1 under concurrency_id="train" (one run on the device; the queue
shows everyone else their place in line). Stop cancels the stream and keeps what the run has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from normgen.app.tabs.explore import g_norm_choices, lambda_choices, model_choices, target_choices, variant_choices
from normgen.losses import LOSS_LABELS
from normgen.models import MODEL_NAMES, family
from normgen.models.config import G_NORMS
from normgen.regularizers import PENALTIES, VARIANTS
from normgen.service import inputs as I
from normgen.service.report import describe, lambda_terms, size_words
from normgen.service.runs import Snapshot, TrainStore, compare_samples, start_run, stop, stream
from normgen.service.sessions import (
    caps,
    device_description,
    device_name,
    estimate_text,
    finetune_source,
    plan_run,
    prepare,
)
from normgen.zoo.readings import dropout_words, images_words
from normgen.zoo.spec import SMALL_SIZES

LADDER = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
MAX_CURVE_POINTS = 100
START_CHOICES = [("fine-tune the pretrained baseline (fast)", "finetune"), ("from scratch", "scratch")]
TRAIN_SIZES = (0, *sorted({n for sizes in SMALL_SIZES.values() for n in sizes}, reverse=True))  # the zoo's


def train_size_presets(dataset: str, data_root: str | None = None) -> list[tuple[str, int]]:
    """The preset buttons of "Training images": all (with the split's real size), then the zoo's sizes."""
    return [(I.train_size_label(dataset, n, data_root), n) for n in TRAIN_SIZES]


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
    for m in MODEL_NAMES:
        where.setdefault(dropout_words(m), []).append(I.model_label(m))
    return "in " + "; ".join(f"{w} ({', '.join(ms)})" for w, ms in where.items())


def curves(history: list[dict[str, float]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Long-format frames (step, value, series) for the loss, penalty and sparsity plots.

    At most ~MAX_CURVE_POINTS rows per series (evenly thinned, last row kept): the browser redraws
    every plot on each streamed update, and a growing history made the page sluggish on 2 cores."""
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
    def frame(rows: list[tuple]) -> pd.DataFrame:
        # explicit dtypes: an empty frame would otherwise be "object" and plot as categories
        return pd.DataFrame({"step": pd.Series([r[0] for r in rows], dtype="int64"),
                             "value": pd.Series([r[1] for r in rows], dtype="float64"),
                             "series": pd.Series([r[2] for r in rows], dtype="object")})

    return frame(loss), frame(pen), frame(sparse)


def unavailable_note(avail: dict[str, str | None]) -> str | None:
    """One short line naming the datasets this server cannot train on (the full reason is given if
    an API call asks for one)."""
    missing = [I.dataset_label(d).split(" (")[0] for d, why in avail.items() if why]
    if not missing:
        return None
    return f"{' and '.join(missing)}: not on this server (their files are not under $NORMGEN_DATA)."


def start_phrase(start: str) -> str:
    """How a run began, for its status line."""
    return "fine-tuned from the zoo baseline" if start == "finetune" else "from scratch"


def status_text(s: Snapshot, how: str) -> str:
    head = {"waiting": "Waiting for the device", "running": "Training", "finished": "Finished",
            "stopped": "Stopped (result kept)", "diverged": "Diverged", "error": "Error"}[s.status]
    if s.status == "diverged":
        return (f"### {head}\n{s.message}\n\nThe grid shows the last good samples (step {s.sample_step}); "
                "the downloads hold those weights.")
    if s.status == "error":
        return f"### {head}\n{s.message}"
    line = f"step **{s.step} / {s.total}** · {s.elapsed:.1f} s"
    if s.eta is not None:
        line += f" · ≈ {s.eta:.0f} s left"
    elif s.message.startswith("measuring"):
        line += f" · {s.message}"
    if s.done:
        line = f"{s.message} · {how}. Downloads and comparison below."
    text = f"### {head}\n{line}\n\nGrid: fixed noise, drawn at step {s.sample_step}."
    if s.done and s.generalization_note:
        text += f"\n\n{s.generalization_note}"
    return text


@dataclass(frozen=True)
class TrainTab:
    """The Train tab's widgets by name, as `build_train_tab` laid them out."""

    model: gr.Dropdown
    dataset: gr.Dropdown
    l1: gr.Dropdown
    l2: gr.Dropdown
    target: gr.Dropdown
    variant: gr.Dropdown
    g_norm: gr.Radio
    seed: gr.Number
    train_size: gr.Number  # training images: 0 = all, N = a class-balanced subset of N
    train_size_preset: gr.Radio  # sets train_size
    dropout: gr.Slider
    start: gr.Radio
    steps: gr.Slider
    seconds: gr.Slider
    estimate: gr.Markdown
    go: gr.Button
    stop: gr.Button
    progress: gr.Markdown
    status: gr.Markdown
    grid: gr.Image
    loss_plot: gr.LinePlot
    pen_plot: gr.LinePlot
    sparse_plot: gr.LinePlot
    files: gr.File
    command: gr.Textbox
    compare_with: gr.Dropdown
    compare_btn: gr.Button
    cmp_mine_caption: gr.Markdown
    cmp_mine: gr.Image
    cmp_zoo_caption: gr.Markdown
    cmp_zoo: gr.Image
    run_json: gr.JSON
    store: gr.State  # this session's TrainStore

    def inputs(self) -> list[Any]:
        """The /train parameters (and the estimate's), in the API's order."""
        return [self.model, self.dataset, self.g_norm, self.l1, self.l2, self.target, self.variant, self.seed,
                self.steps, self.seconds, self.start, self.train_size, self.dropout]

    def outputs(self) -> list[Any]:
        """What the /train handler streams (`_outputs`), in its order."""
        return [self.status, self.grid, self.loss_plot, self.pen_plot, self.sparse_plot, self.files, self.command,
                self.run_json, self.compare_with]


def build_train_tab(root: str | None = None, data_root: str | None = None) -> TrainTab:
    """Open the Train tab in the current Blocks; returns its widgets by name."""
    index = I.get_index(root) if I.zoo_problem(root) is None else None
    avail = I.dataset_status(data_root)
    datasets = [d for d, why in avail.items() if why is None]
    dataset0 = I.DEFAULT_DATASET if I.DEFAULT_DATASET in datasets else I.OFFLINE_DATASET
    max_steps, max_seconds = caps()
    lams = sorted(set(LADDER) | (set(I.zoo_choices(index)["l1"]) | set(I.zoo_choices(index)["l2"]) if index else set()))
    can_finetune = finetune_source(I.DEFAULT_MODEL, dataset0, G_NORMS[0], root) is not None
    with gr.Tab("Train", id="train", elem_id="tab-train"):
        gr.Markdown("Train one setting **live** and watch its samples (fixed noise) and its weights change. "
                    f"Runs are capped at {max_steps} steps and {max_seconds:g} s on this server; one run "
                    "trains at a time and others wait in line.", elem_classes=["intro"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=270, elem_classes=["controls"]):
                model = gr.Dropdown(model_choices(list(MODEL_NAMES)), value=I.DEFAULT_MODEL, label="Model",
                                    elem_id="train-model")
                labels = [(I.dataset_label(d) + ("" if why is None else " - not on this server"), d)
                          for d, why in avail.items()]
                dataset = gr.Dropdown(labels, value=dataset0, label="Dataset", info=unavailable_note(avail),
                                      elem_id="train-dataset")
                train_size_preset = gr.Radio(train_size_presets(dataset0, data_root), value=0,
                                             label="Training images", elem_id="train-size-preset",
                                             info="a class-balanced subset (data seed 0); few images: the "
                                                  "model can overfit")
                train_size = gr.Number(0, precision=0, minimum=0, label="… or any count (0 = all)",
                                       elem_id="train-size")
                l1 = gr.Dropdown(lambda_choices(lams), value=1e-4, allow_custom_value=True,
                                 label="L1 λ: adds λ·Σ|w| (type any value)", elem_id="train-l1")
                l2 = gr.Dropdown(lambda_choices(lams), value=0.0, allow_custom_value=True,
                                 label="L2 λ: adds λ·Σw² (type any value)", elem_id="train-l2")
                target = gr.Dropdown(target_choices(None), value=family(I.DEFAULT_MODEL).sampler_part,
                                     label="Penalized part", elem_id="train-target")
                variant = gr.Dropdown(variant_choices(), value=VARIANTS[0], label="Update rule",
                                      elem_id="train-variant")
                g_norm = gr.Radio(g_norm_choices(), value=G_NORMS[0], label="Generator normalization",
                                  elem_id="train-gnorm")
                dropout = gr.Slider(0.0, I.DROPOUT_MAX, value=0.0, step=0.05, label="Dropout rate (0 = off)",
                                    info=dropout_help(), elem_id="train-dropout")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed (init, batches, grid noise)",
                                 elem_id="train-seed")
                start = gr.Radio(START_CHOICES, value="finetune" if can_finetune and device_name() == "cpu"
                                 else "scratch", label="Start from", elem_id="train-start")
                steps = gr.Slider(10, max_steps, value=min(300, max_steps), step=10, label="Steps",
                                  elem_id="train-steps")
                seconds = gr.Slider(5, max_seconds, value=min(60, max_seconds), step=5,
                                    label="Time budget (s): the run ends at whichever comes first",
                                    elem_id="train-seconds")
                estimate = gr.Markdown(f"Device: **{device_description()}**", elem_id="train-estimate")
                with gr.Row():
                    go = gr.Button("Start training", variant="primary", elem_id="train-start-btn")
                    stop_btn = gr.Button("Stop (keeps the result)", variant="stop", elem_id="train-stop-btn")
            with gr.Column(scale=3):
                progress = gr.Markdown("", elem_id="train-progress", min_height=34, container=False)
                status = gr.Markdown("Press **Start training**.", elem_id="train-status", elem_classes=["status"])
                with gr.Row(equal_height=False):
                    grid = gr.Image(show_label=False, type="pil", format="png", interactive=False,
                                    elem_id="train-grid", buttons=["download", "fullscreen"], scale=3)
                    with gr.Column(scale=2):
                        loss_plot = gr.LinePlot(x="step", y="value", color="series", title="Losses",
                                                elem_id="train-loss-plot", height=220)
                        pen_plot = gr.LinePlot(x="step", y="value", color="series", title="Penalty term (λ × sum)",
                                               elem_id="train-pen-plot", height=220)
                        sparse_plot = gr.LinePlot(x="step", y="value", color="series", title="Sparsity: % of weights",
                                                  elem_id="train-sparse-plot", height=220)
                with gr.Accordion("Downloads and the command that reproduces this run", open=True):
                    files = gr.File(label="Checkpoint (.safetensors), grid (.png), config (.json)",
                                    file_count="multiple", interactive=False, elem_id="train-files", height=None)
                    command = gr.Textbox(label="CLI command", buttons=["copy"], interactive=False,
                                         elem_id="train-command")
                with gr.Accordion("Compare your run with a pretrained checkpoint (same noise)", open=False):
                    with gr.Row():
                        compare_with = gr.Dropdown([], label="Zoo checkpoint", elem_id="train-compare-with", scale=3)
                        compare_btn = gr.Button("Compare", elem_id="train-compare-btn", scale=1)
                    with gr.Row():
                        with gr.Column():
                            cmp_mine_caption = gr.Markdown("**Your run**", elem_classes=["caption"])
                            cmp_mine = gr.Image(show_label=False, type="pil", format="png", interactive=False,
                                                elem_id="train-cmp-mine")
                        with gr.Column():
                            cmp_zoo_caption = gr.Markdown("**Zoo checkpoint**", elem_classes=["caption"])
                            cmp_zoo = gr.Image(show_label=False, type="pil", format="png", interactive=False,
                                               elem_id="train-cmp-zoo")
                with gr.Accordion("Run summary as JSON (what /train returns to scripts)", open=False):
                    run_json = gr.JSON(elem_id="train-json")
        store = gr.State(TrainStore(), delete_callback=lambda s: s.cleanup())
    return TrainTab(model=model, dataset=dataset, l1=l1, l2=l2, target=target, variant=variant, g_norm=g_norm,
                    seed=seed, train_size=train_size, train_size_preset=train_size_preset, dropout=dropout,
                    start=start, steps=steps, seconds=seconds, estimate=estimate, go=go, stop=stop_btn,
                    progress=progress, status=status, grid=grid, loss_plot=loss_plot, pen_plot=pen_plot,
                    sparse_plot=sparse_plot, files=files, command=command, compare_with=compare_with,
                    compare_btn=compare_btn, cmp_mine_caption=cmp_mine_caption, cmp_mine=cmp_mine,
                    cmp_zoo_caption=cmp_zoo_caption, cmp_zoo=cmp_zoo, run_json=run_json, store=store)


def compare_choices(root: str | None, model: str, dataset: str) -> tuple[list[tuple[str, str]], str | None]:
    """Zoo entries of the same model and dataset (baseline first) for the comparison dropdown."""
    if I.zoo_problem(root):
        return [], None
    rows = sorted(I.get_index(root).find(model=model, dataset=dataset),
                  key=lambda e: (not e.is_baseline, e.l1, e.l2, e.group, e.act, e.seed))
    choices = [(f"{describe(e)}{size_words(e)} · {e.g_norm} norm · seed {e.seed} · {e.steps} steps", e.id)
               for e in rows]
    return choices, (choices[0][1] if choices else None)


def _outputs(s: Snapshot, how: str, extra: Any = None) -> tuple:
    loss, pen, sparse = curves(s.history)
    summary = {"run_id": s.run_id, "status": s.status, "step": s.step, "total": s.total,
               "elapsed_s": round(s.elapsed, 2), "message": s.message, "files": s.files,
               "last": s.history[-1] if s.history else {}, "generalization": s.generalization}
    # an empty frame would fix the plot's colour legend to no series: send plots only once they have rows
    loss, pen, sparse = (f if len(f) else gr.skip() for f in (loss, pen, sparse))
    return (status_text(s, how), s.grid, loss, pen, sparse, list(s.files.values()) or None,
            s.command if s.done else "", summary, gr.skip() if extra is None else extra)


def make_train_fn(root: str | None = None, data_root: str | None = None):
    """The /train handler: a generator streaming the run; parameter names are the API's."""

    def train(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
              seed: float, steps: float, seconds: float, start: str, train_size: int, dropout: float,
              store: TrainStore, progress: gr.Progress = gr.Progress()):
        try:
            plan = prepare(plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                                    train_size, dropout, root=root, data_root=data_root))
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        how = f"{start_phrase(plan.start)} on {device_description(plan.device)}"
        run = store.replace_run(start_run(plan, data_root))
        try:
            for s in stream(run):
                progress(s.step / max(1, s.total), desc=f"step {s.step} / {s.total}")
                extra = None
                if s.done:
                    ch, val = compare_choices(root, plan.cfg.model.name, plan.cfg.dataset)
                    extra = gr.update(choices=ch, value=val)
                yield _outputs(s, how, extra)
        finally:  # the stream was cancelled or closed: end the run, it keeps what it has
            if not run.done.is_set():
                run.stop_event.set()

    return train


def target_update(model: str, target: str) -> Any:
    """The Penalized-part control for `model`: its targets, keeping `target` where the model has it."""
    choices = I.target_choices(model)
    return gr.update(choices=target_choices(model), value=target if target in choices else choices[0])


def make_estimate_fn(root: str | None = None, data_root: str | None = None):
    """The measured time estimate of the Train controls' setting (markdown), or what is wrong with it."""

    def on_estimate(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size=0,
                    dropout=0.0) -> str:
        try:
            plan = plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                            train_size, dropout, root=root, data_root=data_root)
        except I.InputError as exc:
            return f"Warning: {exc}"
        notes = "".join(f"{n}\n\n" for n in plan.notes)
        return f"Device: **{device_description(plan.device)}**\n\n{notes}{estimate_text(plan)}"

    return on_estimate


def make_compare_fn(root: str | None = None):
    """The handler of "Compare": this session's run and a zoo checkpoint, sampled from the same noise."""

    def on_compare(entry_id: str, seed: float, store: TrainStore) -> tuple:
        run = store.run
        if run is None or run.result is None:
            raise gr.Error("Train a run first (or stop one): there is nothing of yours to compare yet.")
        index = I.get_index(root)
        e = index.get(entry_id) if entry_id else None
        if e is None:
            raise gr.Error("Pick a zoo checkpoint to compare with.")
        if e.model != run.cfg.model.name or e.dataset != run.cfg.dataset:
            raise gr.Error(f"Pick a {run.cfg.model.name} on {run.cfg.dataset}: the same noise only means the "
                           "same thing for the same kind of model.")
        try:
            seed = I.parse_seed(seed)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        mine, theirs = compare_samples(run, e, index.root, seed)
        r, c = run.cfg.reg, run.cfg
        me = " + ".join(lambda_terms({"l1": r.l1, "l2": r.l2})) or "λ = 0"
        extra = (f", dropout {c.model.dropout:g}" if c.model.dropout else "") + (
            f", {images_words(c.train_size)}" if c.train_size else "")
        return (f"**Your run:** {me} on the {r.target}{extra}, {run.result.steps} steps", mine,
                f"**Zoo:** {describe(e)}{size_words(e)}, {e.steps} steps", theirs)

    return on_compare


def wire_train(tab: TrainTab, root: str | None = None, data_root: str | None = None) -> Any:
    """Events of the Train tab; returns the public /train dependency."""
    ins, outs = tab.inputs(), tab.outputs()
    dep = tab.go.click(make_train_fn(root, data_root), [*ins, tab.store], outs, api_name="train",
                       api_description="Train one setting live; streams the grid, curves and status, then "
                                       "the downloads.",
                       concurrency_limit=1, concurrency_id="train", show_progress_on=[tab.progress],
                       preprocess=False)  # values as sent: plan_run's checks name each bad one and its range

    def on_stop(store: TrainStore) -> tuple:
        run = store.run
        if run is None:
            return ("Nothing is training.", *[gr.skip()] * (len(outs) - 1))
        s = stop(run)
        how = start_phrase(run.plan.start)
        ch, val = compare_choices(root, run.cfg.model.name, run.cfg.dataset)
        return _outputs(s, how, gr.update(choices=ch, value=val))

    tab.stop.click(on_stop, tab.store, outs, cancels=[dep], api_visibility="private", concurrency_limit=None,
                   show_progress="hidden")
    est = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "estimate",
           "trigger_mode": "always_last", "show_progress": "minimal"}
    gr.on([c.change for c in (tab.model, tab.dataset, tab.g_norm, tab.target, tab.variant, tab.start, tab.l1,
                              tab.l2, tab.steps, tab.seconds, tab.train_size, tab.dropout)],
          make_estimate_fn(root, data_root), ins, tab.estimate, **est)
    # "Training images": a preset sets the count; a typed count (or one copied from Explore) shows its preset
    tab.train_size_preset.input(lambda n: n, tab.train_size_preset, tab.train_size, api_visibility="private",
                                show_progress="hidden")
    tab.train_size.change(lambda n: gr.update(value=preset_of(n)), tab.train_size, tab.train_size_preset,
                          api_visibility="private", show_progress="hidden", preprocess=False)
    tab.dataset.input(lambda d, n: gr.update(choices=train_size_presets(d, data_root), value=preset_of(n)),
                      [tab.dataset, tab.train_size], tab.train_size_preset, api_visibility="private",
                      show_progress="hidden")
    tab.model.input(target_update, [tab.model, tab.target], tab.target, api_visibility="private",
                    show_progress="hidden")
    tab.compare_btn.click(make_compare_fn(root), [tab.compare_with, tab.seed, tab.store],
                          [tab.cmp_mine_caption, tab.cmp_mine, tab.cmp_zoo_caption, tab.cmp_zoo],
                          api_visibility="private", concurrency_limit=None)
    return dep
