"""The Train tab: layout and wiring only (the work is in normgen.service.sessions / runs / admission;
what it shows is in normgen.app.tabs.train_view).

Like every tab: plain functions (handlers), then `build_train_tab` (the layout, returning its widgets
by name as a `TrainTab`), then `wire_train` (the events).

Public endpoints:
- `/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size,
  dropout, loss, lambda_cyc, lambda_id, cycle_norm)` (train_size and dropout default to 0: all training
  images, the family's own dropout; loss to "ns", or "wgan-clip" / "wgan-gp" / "wgan" for the Wasserstein
  loss; the last three are a translator's, the cycle GAN's: 10, 0, "l1" or "l2"): a generator that streams
  the fixed-noise grid (a translator: rows a | G(a) | F(G(a)) | truth of fixed held-out inputs), the curves
  and a status line, then the downloads and the finished model's generalization (or translation) numbers.
  It starts at once (no Gradio queue: waiting /train events would fill the
  queue that Explore shares); the server's admission (normgen.service.admission) refuses a run beyond
  the per-visitor or the server's cap at once, with a message, and an admitted run waits in line,
  streaming its place and the estimated wait. Stop cancels the stream and keeps what the run has.
- `/train_lambda(l1, l2)`: new λ for this session's running run, from its next step on (the λ sliders
  call it; the change is recorded in the run's `lambda_changes` and marked on the curves).
- `/train_result()`: this session's latest run once it has ended (a run stopped by cancelling the
  /train job included): status, grid, curves, downloads and the JSON summary. Another session gets its
  own run or an error, never this one's; no server paths are in the JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from normgen.app.tabs.explore import g_norm_choices, model_choices, target_choices, variant_choices
from normgen.app.tabs.train_baseline import baseline_view, build_baseline_view, wire_baseline
from normgen.app.tabs.train_colour import wire_colour_pairing
from normgen.app.tabs.train_cycle import CycleControls, build_cycle_controls, cycle_visibility, intro_status
from normgen.app.tabs.train_lambda import SLIDER_CSS, lambda_readout, lambda_slider, wire_lambdas
from normgen.app.tabs.train_link import DEFAULT_L1, DEFAULT_L2, DEFAULT_STEPS, defaults, make_load_fn, train_fragment
from normgen.app.tabs.train_upload import UploadWidgets, build_own_view, build_upload_controls, wire_upload
from normgen.app.tabs.train_view import (
    curves,
    dropout_help,
    picture_words,
    preset_of,
    setting_words,
    start_phrase,
    status_text,
    train_size_presets,
)
from normgen.checkpoints import CheckpointError
from normgen.classroom.results import class_run, post_finished
from normgen.glossary import explain
from normgen.models import family
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS
from normgen.service import inputs as I
from normgen.service import train_state as TS
from normgen.service import translation_view as TV
from normgen.service.admission import Refused, admission, shared_seconds
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
from normgen.zoo.index import public_problem
from normgen.zoo.readings import images_words

__all__ = ["TrainTab", "build_train_tab", "wire_train", "make_train_fn", "make_estimate_fn", "make_load_fn",
           "target_update", "curves", "status_text", "train_size_presets", "preset_of"]

START_CHOICES = [("fine-tune the pretrained baseline (fast)", "finetune"), ("from scratch", "scratch")]
RESULT_WAIT_S = 30.0  # /train_result waits this long for a run that is still winding down


@dataclass(frozen=True)
class TrainTab:
    """The Train tab's widgets by name, as `build_train_tab` laid them out."""

    model: gr.Dropdown
    dataset: gr.Dropdown
    l1: gr.Number  # the λ values /train takes (hidden; the sliders below set them)
    l2: gr.Number
    l1_exp: gr.Slider  # log-scale sliders over the exponent (leftmost notch: off)
    l2_exp: gr.Slider
    l1_readout: gr.Markdown  # 'L1 λ = 1e-2' under its slider
    l2_readout: gr.Markdown
    target: gr.Dropdown
    variant: gr.Dropdown
    g_norm: gr.Radio
    seed: gr.Number
    train_size: gr.Number  # training images: 0 = all, N = a class-balanced subset of N
    train_size_preset: gr.Radio  # sets train_size
    dropout: gr.Slider
    loss: gr.Dropdown  # the GANs' adversarial loss and Lipschitz constraint (inputs.LOSSES)
    start: gr.Radio
    steps: gr.Slider
    seconds: gr.Slider
    estimate: gr.Markdown
    go: gr.Button
    stop: gr.Button
    live_note: gr.Markdown  # what a λ change during the run does
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
    result_btn: gr.Button  # hidden: the trigger of /train_result
    lambda_btn: gr.Button  # hidden: the trigger of /train_lambda
    query: gr.Textbox  # hidden (class query-state): Train's link fragment, train_-prefixed keys
    store: gr.State  # this session's TrainStore
    upload: UploadWidgets  # the visitor's own images (normgen.app.tabs.train_upload)
    cycle: CycleControls  # a translator's λ_cyc, λ_id and cycle norm (shown for the cycle GAN only)
    baseline_caption: Any = None  # before / after: the zoo baseline beside the live grid (train_baseline)
    baseline: Any = None

    def inputs(self) -> list[Any]:
        """The /train parameters (and the estimate's), in the API's order."""
        return [self.model, self.dataset, self.g_norm, self.l1, self.l2, self.target, self.variant, self.seed,
                self.steps, self.seconds, self.start, self.train_size, self.dropout, self.loss, *self.cycle.inputs()]

    def outputs(self) -> list[Any]:
        """What the /train handler streams (`_outputs`), in its order."""
        return [self.status, self.grid, self.loss_plot, self.pen_plot, self.sparse_plot, self.files, self.command,
                self.run_json, self.compare_with]

    def load_outputs(self) -> list[Any]:
        """What `make_load_fn(...)(q)` updates: the /train controls (in `inputs()` order), then the link."""
        return [*self.inputs(), self.query]


def build_train_tab(root: str | None = None, data_root: str | None = None) -> TrainTab:
    """Open the Train tab in the current Blocks; returns its widgets by name."""
    avail = I.dataset_status(data_root)
    datasets = [d for d, why in avail.items() if why is None]
    dataset0 = I.DEFAULT_DATASET if I.DEFAULT_DATASET in datasets else I.OFFLINE_DATASET
    max_steps, max_seconds = caps()
    can_finetune = finetune_source(I.DEFAULT_MODEL, dataset0, G_NORMS[0], root) is not None
    with gr.Tab("Train", id="train", elem_id="tab-train"):
        gr.Markdown(explain("Train **live**, and move a λ slider while it trains: the run takes it from its next "
                            f"step. At most {max_steps} steps / {max_seconds:g} s a run; one trains at a time, others "
                            "wait in line."), elem_classes=["intro"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=270, elem_classes=["controls"]):
                with gr.Row():
                    go = gr.Button("Start training", variant="primary", elem_id="train-start-btn", min_width=130,
                                   scale=2)
                    stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop-btn", min_width=70, scale=1)
                gr.HTML("", head=SLIDER_CSS, elem_classes=["query-state"], container=False)
                l1_exp = lambda_slider("l1", DEFAULT_L1, "train-l1")
                l1_readout = lambda_readout("l1", DEFAULT_L1, "train-l1-readout")
                l2_exp = lambda_slider("l2", DEFAULT_L2, "train-l2")
                l2_readout = lambda_readout("l2", DEFAULT_L2, "train-l2-readout")
                live_note = gr.Markdown("", elem_id="train-live-note")
                l1 = gr.Number(DEFAULT_L1, visible=False, elem_id="train-l1-value")
                l2 = gr.Number(DEFAULT_L2, visible=False, elem_id="train-l2-value")
                model = gr.Dropdown(model_choices(list(I.TRAIN_MODELS)), value=I.DEFAULT_MODEL, label="Model",
                                    elem_id="train-model")
                cycle = build_cycle_controls(I.DEFAULT_MODEL)
                labels = [(I.dataset_label(d) + ("" if why is None else " - not on this server"), d)
                          for d, why in avail.items()]
                dataset = gr.Dropdown(labels, value=dataset0, label="Dataset", info=unavailable_note(avail),
                                      elem_id="train-dataset")
                up_files, up_shape, up_note = build_upload_controls()
                target = gr.Dropdown(target_choices(None), value=family(I.DEFAULT_MODEL).sampler_part,
                                     label="Penalized part", elem_id="train-target")
                steps = gr.Slider(10, max_steps, value=min(DEFAULT_STEPS, max_steps), step=10, label="Steps",
                                  elem_id="train-steps")
                with gr.Accordion("More settings: update rule, start, seed, data, dropout, time", open=False,
                                  elem_id="train-more"):
                    variant = gr.Dropdown(variant_choices(), value=VARIANTS[0], label="Update rule",
                                          elem_id="train-variant")
                    start = gr.Radio(START_CHOICES, value="finetune" if can_finetune and device_name() == "cpu"
                                     else "scratch", label="Start from", elem_id="train-start")
                    g_norm = gr.Radio(g_norm_choices(), value=G_NORMS[0], label="Generator normalization",
                                      elem_id="train-gnorm")
                    seed = gr.Number(0, precision=0, minimum=0, maximum=I.SEED_MAX,
                                     label="Seed (init, batches, grid noise)", elem_id="train-seed")
                    train_size_preset = gr.Radio(train_size_presets(dataset0, data_root), value=0,
                                                 label="Training images", elem_id="train-size-preset",
                                                 info="a class-balanced subset (data seed 0); few images: "
                                                      "the model can overfit")
                    train_size = gr.Number(0, precision=0, minimum=0, label="… or any count (0 = all)",
                                           elem_id="train-size")
                    dropout = gr.Slider(0.0, I.DROPOUT_MAX, value=0.0, step=0.05, label="Dropout rate (0 = off)",
                                        info=dropout_help(), elem_id="train-dropout")
                    loss = gr.Dropdown([(v, k) for k, v in I.LOSS_LABELS.items()], value="ns",
                                       label="Adversarial loss (GANs)", elem_id="train-loss",
                                       info="weight clipping keeps every D weight in [−c, c]: an L∞ bound")
                    seconds = gr.Slider(5, max_seconds, value=min(60, max_seconds), step=5,
                                        label="Time budget (s): the run ends at whichever comes first",
                                        elem_id="train-seconds")
                estimate = gr.Markdown(f"Device: **{device_description()}**", elem_id="train-estimate")
            with gr.Column(scale=3):
                progress = gr.Markdown("", elem_id="train-progress", min_height=34, container=False)
                status = gr.Markdown(explain(intro_status(I.DEFAULT_MODEL, root)), elem_id="train-status",
                                     elem_classes=["status"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        with gr.Row(equal_height=False, elem_id="train-before-after"):
                            with gr.Column(scale=2, min_width=160):
                                gr.Markdown("**After:** your run, live", elem_classes=["caption", "grid-caption"])
                                grid = gr.Image(show_label=False, type="pil", format="png", interactive=False,
                                                elem_id="train-grid", buttons=["download", "fullscreen"])
                            with gr.Column(scale=2, min_width=160):  # before / after: the zoo's λ = 0, same noise
                                base_caption, base_grid = build_baseline_view(
                                    baseline_view(root, I.DEFAULT_MODEL, dataset0, G_NORMS[0], 0, 0))
                            own_box, own_caption, own = build_own_view()  # the upload's images, beside the grid
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
        result_btn = gr.Button("Fetch result", visible=False, elem_id="train-result-btn")
        lambda_btn = gr.Button("Send λ to the run", visible=False, elem_id="train-lambda-btn")
        query = gr.Textbox(TS.train_query(defaults(dataset0, can_finetune, max_steps, max_seconds)),
                           elem_id="train-query", elem_classes=["query-state"], show_label=False, container=False,
                           interactive=False)
        store = gr.State(TrainStore(), delete_callback=lambda s: s.cleanup())
    return TrainTab(model=model, dataset=dataset, l1=l1, l2=l2, l1_exp=l1_exp, l2_exp=l2_exp,
                    l1_readout=l1_readout, l2_readout=l2_readout, target=target,
                    variant=variant, g_norm=g_norm, seed=seed, train_size=train_size,
                    train_size_preset=train_size_preset, dropout=dropout, loss=loss, start=start, steps=steps,
                    seconds=seconds,
                    estimate=estimate, go=go, stop=stop_btn, live_note=live_note, progress=progress, status=status,
                    grid=grid, loss_plot=loss_plot, pen_plot=pen_plot, sparse_plot=sparse_plot, files=files,
                    command=command, compare_with=compare_with, compare_btn=compare_btn,
                    cmp_mine_caption=cmp_mine_caption, cmp_mine=cmp_mine, cmp_zoo_caption=cmp_zoo_caption,
                    cmp_zoo=cmp_zoo, run_json=run_json, result_btn=result_btn, lambda_btn=lambda_btn, query=query,
                    store=store, upload=UploadWidgets(up_files, up_shape, up_note, own_box, own_caption, own),
                    cycle=cycle, baseline_caption=base_caption, baseline=base_grid)


def unavailable_note(avail: dict[str, str | None]) -> str | None:
    """One short line naming the datasets this server cannot train on (the full reason is given if
    an API call asks for one)."""
    missing = [I.dataset_label(d).split(" (")[0] for d, why in avail.items() if why]
    if not missing:
        return None
    return f"{' and '.join(missing)}: not on this server (their files are not under $NORMGEN_DATA)."


def compare_choices(root: str | None, model: str, dataset: str) -> tuple[list[tuple[str, str]], str | None]:
    """Zoo entries of the same model and dataset (baseline first) for the comparison dropdown."""
    if I.zoo_problem(root):
        return [], None
    rows = sorted(I.get_index(root).find(model=model, dataset=dataset),
                  key=lambda e: (not e.is_baseline, e.l1, e.l2, e.group, e.act, e.seed))
    if family(model).translates:  # its settings are λ_cyc and the cycle norm too
        rows = TV.translators(I.get_index(root), dataset)
        choices = [(f"{TV.setting_label(e)} · {e.steps} steps", e.id) for e in rows if e.model == model]
        return choices, (choices[0][1] if choices else None)
    choices = [(f"{describe(e)}{size_words(e)} · {e.g_norm} norm · seed {e.seed} · {e.steps} steps", e.id)
               for e in rows]
    return choices, (choices[0][1] if choices else None)


def summary_of(s: Snapshot) -> dict[str, Any]:
    """The run's JSON summary (what scripts read): no server paths, only the downloads' file names."""
    from pathlib import PurePath

    return {"run_id": s.run_id, "status": s.status, "step": s.step, "total": s.total,
            "elapsed_s": round(s.elapsed, 2), "message": s.message,
            "files": {k: PurePath(v).name for k, v in s.files.items()}, "lambdas": dict(s.lambdas),
            "lambda_changes": [dict(c) for c in s.changes],
            "last": s.history[-1] if s.history else {}, "generalization": s.generalization,
            **({"translation": s.translation} if s.translation else {})}


def _outputs(s: Snapshot, how: str, extra: Any = None, run: Any = None) -> tuple:
    loss, pen, sparse = curves(s.history, s.changes)
    # an empty frame would fix the plot's colour legend to no series: send plots only once they have rows
    loss, pen, sparse = (f if len(f) else gr.skip() for f in (loss, pen, sparse))
    setting = setting_words(s, run.cfg.reg.target, run.cfg.reg.variant, run.cfg.model) if run is not None else ""
    picture = picture_words(run.cfg.model.name, run.inputs is not None) if run is not None else ""
    return (explain(status_text(s, how, setting, picture)), s.grid, loss, pen, sparse, list(s.files.values()) or None,
            s.command if s.done else "", summary_of(s), gr.skip() if extra is None else extra)


def make_train_fn(root: str | None = None, data_root: str | None = None):
    """The /train handler: a generator streaming the run; parameter names are the API's."""

    def train(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
              seed: float, steps: float, seconds: float, start: str, train_size: int, dropout: float, loss: str,
              lambda_cyc: float, lambda_id: float, cycle_norm: str, store: TrainStore,
              progress: gr.Progress = gr.Progress()):
        adm = admission()
        try:
            adm.check(store.key)  # refused at once, before any work for it
            plan = plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                            train_size, dropout, loss, lambda_cyc, lambda_id, cycle_norm, root=root,
                            data_root=data_root, upload=store.upload)
            # a class member's run of its setting keeps the experiment's budget: cut short, it would not count
            if adm.busy() and plan.cfg.max_seconds > shared_seconds() and not class_run(store.seat, plan.cfg):
                plan = replace(plan, cfg=replace(plan.cfg, max_seconds=shared_seconds()))
                plan.notes.append(f"Others are training, so this run's time budget is {shared_seconds():g} s.")
            plan = prepare(plan)
            run = start_run(plan, data_root, session=store.key)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        except Refused as exc:
            raise gr.Error(str(exc), title="Not started") from None
        store.replace_run(run)
        how = f"{start_phrase(plan.start)} on {device_description(plan.device)}" + (
            f", on your {plan.upload.count} images ({plan.upload.name})" if plan.upload is not None else "")
        try:
            for s in stream(run):
                progress(s.step / max(1, s.total), desc=f"step {s.step} / {s.total}")
                extra, note = None, ""
                if s.done:
                    ch, val = compare_choices(root, plan.cfg.model.name, plan.cfg.dataset)
                    extra = gr.update(choices=ch, value=val)
                    note = post_finished(store.seat, run)  # a class member's run: checked here, then charted
                out = _outputs(s, how, extra, run)
                yield (f"{out[0]}\n\n{note}", *out[1:]) if note else out
        finally:  # the stream was cancelled or closed: end the run, it keeps what it has
            if not run.done.is_set():
                run.stop_event.set()

    return train


def make_result_fn(root: str | None = None):
    """The /train_result handler: this session's latest run after it has ended (waits for a stopping one)."""

    def train_result(store: TrainStore) -> tuple:
        run = store.run
        if run is None:
            raise gr.Error("No run in this session: start one with /train (each client sees only its own runs).")
        if not run.done.is_set():
            if not run.stop_event.is_set():
                raise gr.Error(f"The run is still training (step {run.step} / {run.cfg.steps}); its result "
                               "comes when it ends, or stop it (cancel the /train job).")
            run.done.wait(RESULT_WAIT_S)
        s = stop(run, wait=RESULT_WAIT_S)
        ch, val = compare_choices(root, run.cfg.model.name, run.cfg.dataset)
        return _outputs(s, start_phrase(run.plan.start), gr.update(choices=ch, value=val), run)

    return train_result


def target_update(model: str, target: str) -> Any:
    """The Penalized-part control for `model`: its targets, keeping `target` where the model has it."""
    choices = I.target_choices(model)
    return gr.update(choices=target_choices(model), value=target if target in choices else choices[0])


def make_estimate_fn(root: str | None = None, data_root: str | None = None):
    """The measured time estimate of the Train controls' setting (markdown), or what is wrong with it."""

    def on_estimate(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size=0,
                    dropout=0.0, loss="ns", lambda_cyc=10.0, lambda_id=0.0, cycle_norm="l1",
                    store: TrainStore | None = None) -> str:
        try:
            plan = plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                            train_size, dropout, loss, lambda_cyc, lambda_id, cycle_norm, root=root,
                            data_root=data_root, upload=store.upload if store is not None else None)
        except I.InputError as exc:
            return f"Warning: {exc}"
        notes = "".join(f"{n}\n\n" for n in plan.notes)
        c = admission().counts()
        line = (f"\n\nOn this server now: {c['running']} training, {c['waiting']} waiting."
                if c["running"] or c["waiting"] else "")
        return f"Device: **{device_description(plan.device)}**\n\n{notes}{estimate_text(plan)}{line}"

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
        try:
            mine, theirs = compare_samples(run, e, index.root, seed)
        except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
            raise gr.Error(f"A zoo file could not be used: {public_problem(exc)}") from None
        r, c = run.current_reg(), run.cfg
        me = " + ".join(lambda_terms({"l1": r.l1, "l2": r.l2})) or "λ = 0"
        extra = (f", dropout {c.model.dropout:g}" if c.model.dropout else "") + (
            f", {images_words(c.train_size)}" if c.train_size else "") + (
            ", λ changed mid-run" if run.live.changes else "")
        if run.translates:  # the same held-out inputs, each row a | G(a) | F(G(a)) | truth
            m = c.model
            return (f"**Your run:** λ_cyc {m.lambda_cyc:g}, cycle {m.cycle_norm.upper()}, {me} on the {r.target}"
                    f"{extra}, {run.result.steps} steps", mine, f"**Zoo:** {TV.setting_label(e)}, {e.steps} steps",
                    theirs)
        return (f"**Your run:** {me} on the {r.target}{extra}, {run.result.steps} steps", mine,
                f"**Zoo:** {describe(e)}{size_words(e)}, {e.steps} steps", theirs)

    return on_compare


PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}

# A slider's number box puts a typed value back in range when it loses focus (Gradio 6.31's Slider: on blur
# it sends `release` with the value as typed, then sets the nearest end), so Start would train 3000 steps
# where 5000 was typed, the visitor never asked for that run. The page remembers the last value typed or
# dragged into each such slider (TYPED_JS, on `.input`), and while the slider shows that value's clamp,
# Start sends the value as typed (START_JS): plan_run refuses it, naming the field and its range, and no
# run starts. Any later edit of the slider replaces what was remembered.
TYPED_JS = "(v) => { (window.normgenTyped = window.normgenTyped || {})[%s] = v; return []; }"
START_JS = """(...args) => {
  const typed = window.normgenTyped || {};
  for (const [i, id, lo, hi] of %s) {
    const v = typed[id];
    if (typeof v === 'number' && v !== args[i] && Math.min(Math.max(v, lo), hi) === args[i]) { args[i] = v; }
  }
  return args.slice(0, %d);
}"""


def clamped_sliders(tab: TrainTab) -> list[gr.Slider]:
    """The Train sliders whose number box a visitor types into (the λ sliders' boxes are hidden)."""
    return [tab.steps, tab.seconds, tab.dropout]


def start_js(tab: TrainTab) -> str:
    """START_JS for Train's inputs (then its store): the clamped sliders by their place in `inputs()`."""
    ins = [*tab.inputs(), tab.store]
    spec = [[ins.index(s), s.elem_id, s.minimum, s.maximum] for s in clamped_sliders(tab)]
    return START_JS % (json.dumps(spec), len(ins))


def wire_train(tab: TrainTab, root: str | None = None, data_root: str | None = None) -> Any:
    """Events of the Train tab; returns the public /train dependency."""
    ins, outs = tab.inputs(), tab.outputs()
    dep = tab.go.click(make_train_fn(root, data_root), [*ins, tab.store], outs, api_name="train",
                       api_description="Train one setting live; streams the grid, curves and status, then "
                                       "the downloads. Refused at once when you already have a run or the "
                                       "server's line is full.",
                       concurrency_limit=None, show_progress_on=[tab.progress], js=start_js(tab),
                       preprocess=False)  # values as sent: plan_run's checks name each bad one and its range
    for s in clamped_sliders(tab):
        s.input(None, s, None, js=TYPED_JS % json.dumps(s.elem_id), **PRIVATE)

    def on_stop(store: TrainStore) -> tuple:
        run = store.run
        if run is None:
            return ("Nothing is training.", *[gr.skip()] * (len(outs) - 1))
        s = stop(run)
        ch, val = compare_choices(root, run.cfg.model.name, run.cfg.dataset)
        return _outputs(s, start_phrase(run.plan.start), gr.update(choices=ch, value=val), run)

    tab.stop.click(on_stop, tab.store, outs, cancels=[dep], api_visibility="private", concurrency_limit=None,
                   show_progress="hidden")
    tab.result_btn.click(make_result_fn(root), tab.store, outs, api_name="train_result", concurrency_limit=None,
                         api_description="This session's latest run once it has ended (also after cancelling "
                                         "/train): status, grid, curves, downloads, JSON summary.",
                         show_progress="hidden")
    wire_lambdas(tab)
    wire_baseline(tab, root)
    # preprocess=False: the values as the page holds them (a typed 5000 steps before its slider clamps it),
    # which plan_run checks; a bad one is named in the estimate's line, never a toast beside Start's
    est = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "estimate",
           "trigger_mode": "always_last", "show_progress": "minimal", "preprocess": False}
    changes = [c.change for c in (tab.model, tab.dataset, tab.g_norm, tab.target, tab.variant, tab.start, tab.l1,
                                  tab.l2, tab.steps, tab.seconds, tab.train_size, tab.dropout, tab.loss,
                                  *tab.cycle.inputs())]
    gr.on(changes, make_estimate_fn(root, data_root), [*ins, tab.store], tab.estimate, **est)
    wire_upload(tab.upload, tab.store, tab.dataset, unavailable_note(I.dataset_status(data_root)),
                lambda dep: dep.then(make_estimate_fn(root, data_root), [*ins, tab.store], tab.estimate, **est))
    gr.on([*changes, tab.seed.change], train_fragment, ins, tab.query, concurrency_limit=None, preprocess=False,
          trigger_mode="always_last", **PRIVATE)
    # "Training images": a preset sets the count; a typed count (or one copied from Explore) shows its preset
    tab.train_size_preset.input(lambda n: n, tab.train_size_preset, tab.train_size, **PRIVATE)
    tab.train_size.change(lambda n: gr.update(value=preset_of(n)), tab.train_size, tab.train_size_preset,
                          preprocess=False, **PRIVATE)
    tab.dataset.input(lambda d, n: gr.update(choices=train_size_presets(d, data_root), value=preset_of(n)),
                      [tab.dataset, tab.train_size], tab.train_size_preset, **PRIVATE)
    tab.model.input(target_update, [tab.model, tab.target], tab.target, **PRIVATE)
    wire_colour_pairing(tab.model, tab.dataset, tab.target, tab.train_size_preset,
                        available=[d for d, why in I.dataset_status(data_root).items() if why is None],
                        target_update=target_update,
                        preset_update=lambda d: gr.update(choices=train_size_presets(d, data_root), value=0),
                        run=(tab.l1, tab.l2, tab.steps), max_steps=caps()[0])
    tab.model.change(cycle_visibility, tab.model, tab.cycle.group, **PRIVATE)  # a link sets it too
    tab.model.change(lambda m, store: explain(intro_status(m, root)) if store.run is None else gr.skip(),
                     [tab.model, tab.store], tab.status, **PRIVATE)  # what Start will do, until this session has a run
    tab.compare_btn.click(make_compare_fn(root), [tab.compare_with, tab.seed, tab.store],
                          [tab.cmp_mine_caption, tab.cmp_mine, tab.cmp_zoo_caption, tab.cmp_zoo],
                          api_visibility="private", concurrency_limit=None)
    return dep
