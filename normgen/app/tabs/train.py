"""The Train tab: layout and wiring only (the work is in normgen.service.train_plan / runs / admission;
what it shows: train_view; the handlers behind its events: train_handlers).

`build_train_tab` (the layout, returning its widgets by name as a `TrainTab`), then `wire_train` (the
events).

Public endpoints (docs/api.md):
- `/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size,
  dropout, loss, lambda_cyc, lambda_id, cycle_norm)`: train_size and dropout default to 0 (all training
  images, the family's own dropout), loss to "ns" (losses.LOSS_SETTINGS); the last three are the cycle
  GAN's (10, 0, "l1"). A generator streaming the picture, the curves and a status line, then the downloads
  and the finished model's numbers. It starts at once (no Gradio queue: waiting /train events would fill
  the queue Explore shares); the server's admission (normgen.service.admission) refuses a run past its caps
  at once, and an admitted run waits in line, streaming its place. Stop cancels the stream and keeps what the
  run has.
- `/train_lambda(l1, l2)`: new λ for this session's running run, from its next step.
- `/train_result()`: this session's latest run once it has ended (a cancelled /train included); another
  session gets its own run or an error, never this one's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.app.events import PRIVATE
from normgen.app.replies import in_order
from normgen.app.tabs.explore import g_norm_choices, model_choices, target_choices, variant_choices
from normgen.app.tabs.train_baseline import baseline_view, build_baseline_view, wire_baseline
from normgen.app.tabs.train_colour import wire_colour_pairing
from normgen.app.tabs.train_cycle import CycleControls, build_cycle_controls, cycle_visibility, intro_status
from normgen.app.tabs.train_handlers import (
    COMPARE,
    RUN,
    ended_reply,
    make_compare_fn,
    make_estimate_fn,
    make_result_fn,
    make_train_fn,
    target_update,
)
from normgen.app.tabs.train_lambda import SLIDER_CSS, lambda_readout, lambda_slider, wire_lambdas
from normgen.app.tabs.train_link import (
    DEFAULT_L1,
    DEFAULT_L2,
    DEFAULT_STEPS,
    defaults,
    fragment_of,
    make_load_fn,
    train_fragment,
)
from normgen.app.tabs.train_upload import UploadWidgets, build_own_view, build_upload_controls, wire_upload
from normgen.app.tabs.train_view import dropout_help, preset_of, status_text, train_size_presets
from normgen.config import TrainConfig
from normgen.data import OFFLINE_DATASET, dataset_label
from normgen.glossary import explain
from normgen.losses import LOSS_SETTING_LABELS
from normgen.models import family
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS
from normgen.service import inputs as I
from normgen.service.runs import stop
from normgen.service.server_datasets import dataset_status
from normgen.service.train_plan import (
    caps,
    device_description,
    device_name,
    finetune_source,
)
from normgen.service.train_store import TrainStore
from normgen.zoo.select import DEFAULT_DATASET, DEFAULT_MODEL

__all__ = ["TrainTab", "build_train_tab", "wire_train", "make_load_fn", "status_text"]

START_CHOICES = [("fine-tune the pretrained baseline (fast)", "finetune"), ("from scratch", "scratch")]


# a run's setting, by the controls' names, in the /train API's order (a translator's cycle controls follow)
SETTING = ("model", "dataset", "g_norm", "l1", "l2", "target", "variant", "seed", "steps", "seconds", "start",
           "train_size", "dropout", "loss")


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
    loss: gr.Dropdown  # the GANs' adversarial loss and Lipschitz constraint (losses.LOSS_SETTINGS)
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
    loss_legend: gr.HTML
    pen_legend: gr.HTML
    sparse_legend: gr.HTML
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
        return [*(getattr(self, n) for n in SETTING), *self.cycle.inputs()]

    def outputs(self) -> list[Any]:
        """What the /train handler streams (`train_handlers.run_outputs`), in its order (train_handlers.RUN)."""
        return [getattr(self, n) for n in RUN]

    def load_outputs(self) -> list[Any]:
        """What `make_load_fn(...)(q)` updates: the /train controls (in `inputs()` order), then the link."""
        return [*self.inputs(), self.query]


def build_train_tab(root: str | None = None, data_root: str | None = None) -> TrainTab:
    """Open the Train tab in the current Blocks; returns its widgets by name."""
    avail = dataset_status(data_root)
    datasets = [d for d, why in avail.items() if why is None]
    dataset0 = DEFAULT_DATASET if DEFAULT_DATASET in datasets else OFFLINE_DATASET
    max_steps, max_seconds = caps()
    can_finetune = finetune_source(DEFAULT_MODEL, dataset0, G_NORMS[0], root) is not None
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
                model = gr.Dropdown(model_choices(list(I.TRAIN_MODELS)), value=DEFAULT_MODEL, label="Model",
                                    elem_id="train-model")
                cycle = build_cycle_controls(DEFAULT_MODEL)
                labels = [(dataset_label(d) + ("" if why is None else " - not on this server"), d)
                          for d, why in avail.items()]
                dataset = gr.Dropdown(labels, value=dataset0, label="Dataset", info=unavailable_note(avail),
                                      elem_id="train-dataset")
                up_files, up_shape, up_note = build_upload_controls()
                target = gr.Dropdown(target_choices(None), value=family(DEFAULT_MODEL).sampler_part,
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
                                                 info=f"a class-balanced subset (data seed {TrainConfig.data_seed}); "
                                                      "few images: the model can overfit")
                    train_size = gr.Number(0, precision=0, minimum=0, label="… or any count (0 = all)",
                                           elem_id="train-size")
                    dropout = gr.Slider(0.0, I.DROPOUT_MAX, value=0.0, step=0.05, label="Dropout rate (0 = off)",
                                        info=dropout_help(), elem_id="train-dropout")
                    loss = gr.Dropdown([(v, k) for k, v in LOSS_SETTING_LABELS.items()], value="ns",
                                       label="Adversarial loss (GANs)", elem_id="train-loss",
                                       info="weight clipping keeps every D weight in [−c, c]: an L∞ bound")
                    seconds = gr.Slider(5, max_seconds, value=min(60, max_seconds), step=5,
                                        label="Time budget (s): the run ends at whichever comes first",
                                        elem_id="train-seconds")
                estimate = gr.Markdown(f"Device: **{device_description()}**", elem_id="train-estimate")
            with gr.Column(scale=3):
                progress = gr.Markdown("", elem_id="train-progress", min_height=34, container=False)
                status = gr.Markdown(explain(intro_status(DEFAULT_MODEL, root)), elem_id="train-status",
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
                                    baseline_view(root, DEFAULT_MODEL, dataset0, G_NORMS[0], 0, 0))
                            own_box, own_caption, own = build_own_view()  # the upload's images, beside the grid
                    with gr.Column(scale=2):
                        plots, legends = ({}, {})  # each plot's legend is a line of the page (train_view)
                        for k, title, unit in (("loss", "Losses", "loss"), ("pen", "Penalty term (λ × sum)", "penalty"),
                                               ("sparse", "Sparsity: % of weights", "% of weights")):
                            plots[k] = gr.LinePlot(x="step", y="value", color="series", title=title, y_title=unit,
                                                   colors_in_legend=[], elem_id=f"train-{k}-plot", height=220)
                            legends[k] = gr.HTML("", elem_id=f"train-{k}-legend", padding=False)
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
        query = gr.Textbox(fragment_of(defaults(dataset0, can_finetune, max_steps, max_seconds)),
                           elem_id="train-query", elem_classes=["query-state"], show_label=False, container=False,
                           interactive=False)
        store = gr.State(TrainStore(), delete_callback=lambda s: s.cleanup())
    return TrainTab(model=model, dataset=dataset, l1=l1, l2=l2, l1_exp=l1_exp, l2_exp=l2_exp,
                    l1_readout=l1_readout, l2_readout=l2_readout, target=target,
                    variant=variant, g_norm=g_norm, seed=seed, train_size=train_size,
                    train_size_preset=train_size_preset, dropout=dropout, loss=loss, start=start, steps=steps,
                    seconds=seconds,
                    estimate=estimate, go=go, stop=stop_btn, live_note=live_note, progress=progress, status=status,
                    grid=grid, files=files, **{f"{k}_plot": p for k, p in plots.items()},
                    **{f"{k}_legend": h for k, h in legends.items()},
                    command=command, compare_with=compare_with, compare_btn=compare_btn,
                    cmp_mine_caption=cmp_mine_caption, cmp_mine=cmp_mine, cmp_zoo_caption=cmp_zoo_caption,
                    cmp_zoo=cmp_zoo, run_json=run_json, result_btn=result_btn, lambda_btn=lambda_btn, query=query,
                    store=store, upload=UploadWidgets(up_files, up_shape, up_note, own_box, own_caption, own),
                    cycle=cycle, baseline_caption=base_caption, baseline=base_grid)


def unavailable_note(avail: dict[str, str | None]) -> str | None:
    """One short line naming the datasets this server cannot train on (the full reason is given if
    an API call asks for one)."""
    missing = [dataset_label(d).split(" (")[0] for d, why in avail.items() if why]
    if not missing:
        return None
    return f"{' and '.join(missing)}: not on this server (their files are not under $NORMGEN_DATA)."



# A slider's number box puts a typed value back in range when it loses focus (Gradio 6.31's Slider sends
# `release` with the value as typed, then sets the nearest end), so Start would train a run the visitor never
# asked for (3000 steps where 5000 was typed). The page remembers the last value typed or dragged into each
# slider (normgen/app/static/page.js, window.normgenTyped); while the slider's box shows that value or its
# clamp, Start sends the value as typed, which plan_run refuses, naming the field and its range. The box is
# read, not Start's own arguments: a click right after typing can run before Gradio's copy of the value
# catches up. A value the page sets itself (a link, a preset) is sent as it is.
START_JS = """(...args) => {
  const typed = window.normgenTyped || {};
  for (const [i, id, lo, hi] of %s) {
    const v = typed[id];
    const box = document.querySelector('#' + id + ' input[type=number]');
    const shown = box ? parseFloat(box.value) : NaN;
    if (typeof v === 'number' && (shown === v || Math.min(Math.max(v, lo), hi) === shown)) { args[i] = v; }
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

    def on_stop(store: TrainStore) -> tuple:
        run = store.run
        if run is None:
            return in_order({**dict.fromkeys(RUN, gr.skip()), "status": "Nothing is training."}, RUN)
        return ended_reply(root, stop(run), run)

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
    wire_upload(tab.upload, tab.store, tab.dataset, unavailable_note(dataset_status(data_root)),
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
                        available=[d for d, why in dataset_status(data_root).items() if why is None],
                        target_update=target_update,
                        preset_update=lambda d: gr.update(choices=train_size_presets(d, data_root), value=0),
                        run=(tab.l1, tab.l2, tab.steps), max_steps=caps()[0])
    tab.model.change(cycle_visibility, tab.model, tab.cycle.group, **PRIVATE)  # a link sets it too
    tab.model.change(lambda m, store: explain(intro_status(m, root)) if store.run is None else gr.skip(),
                     [tab.model, tab.store], tab.status, **PRIVATE)  # what Start will do, until this session has a run
    tab.compare_btn.click(make_compare_fn(root), [tab.compare_with, tab.seed, tab.store],
                          [getattr(tab, n) for n in COMPARE],
                          api_visibility="private", concurrency_limit=None)
    return dep
