"""The Explore tab: layout and wiring only (the work is in normgen.service.explorer / report).

Like every tab: plain functions (choices and readouts: explore_controls; handlers: explore_handlers),
then `build_explore_tab` (the layout, returning its widgets by name as an `ExploreTab`), then
`wire_explore` (the events).

Public endpoint `/explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss)`:
l1 and l2 are λ values; the last three default to 0, 0 and "ns" (all training images, no dropout, the
non-saturating loss), so a call with the first eight works, over REST too (normgen.app.events). Every other
event is private and fires on `.input` (user edits only), so programmatic updates (choices that follow the
model, a shared link) never start a cascade of calls.

The λ controls a visitor moves are log-scale sliders over the zoo's trained values (0 = off, at the left),
read out as `1e-4` beside them; they drive the hidden Numbers `l1` / `l2` the API takes. A browser event
returns the whole view in one reply (explore_handlers.VIEW), with the slice a λ step is drawn from in the
page, no server call (explore_scrub); the rest of the view follows once the slider rests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.app.tabs.explore_coach import CoachWidgets, build_bar, build_guide, build_pictures
from normgen.app.tabs.explore_controls import (
    SLIDER_LABEL,
    control_updates,
    dataset_choices,
    dropout_choices,
    g_norm_choices,
    load_index,
    loss_choices,
    loss_words,
    model_choices,
    readout,
    target_choices,
    train_size_choices,
    variant_choices,
)
from normgen.app.tabs.explore_handlers import (
    LOAD,
    NEAREST,
    OUTPUTS,
    VIEW,
    make_explore_fn,
    make_load_fn,
    make_loss_fn,
    make_model_fn,
    make_nearest_fn,
    make_slider_fn,
    make_view_fn,
    new_seed,
)
from normgen.app.tabs.explore_scrub import enabled as scrub_enabled
from normgen.app.tabs.explore_scrub import resync_js, scrub_js, step_js
from normgen.data import DATASETS
from normgen.losses import LOSS_SETTINGS
from normgen.service import inputs as I
from normgen.service.explore_images import DIFF_FULL
from normgen.service.requests import EXPLORE_KEYS
from normgen.zoo.select import SLIDERS, defaults, lambda_values, slider_pos
from normgen.zoo.views.nearest import NEAREST_PROMPT


@dataclass(frozen=True)
class ExploreTab:
    """The Explore tab's widgets by name, as `build_explore_tab` laid them out."""

    model: gr.Dropdown
    dataset: gr.Dropdown
    l1: gr.Number  # the λ values the API takes (hidden: the sliders below drive them)
    l2: gr.Number
    target: gr.Dropdown
    variant: gr.Dropdown
    g_norm: gr.Radio
    seed: gr.Number
    new_noise: gr.Button
    note: gr.Markdown
    train_this: gr.Button
    link: gr.Markdown
    headline: gr.Markdown
    shown: gr.Column  # the grids and figures; hidden while there is nothing to show
    baseline_caption: gr.Markdown
    baseline: gr.Image
    selected_caption: gr.Markdown
    selected: gr.Image
    details: gr.Markdown
    diff: gr.Image
    fig_weights: gr.HTML
    fig_layers: gr.HTML
    classes_box: gr.Column
    fig_classes: gr.HTML
    stats: gr.JSON
    train_size: gr.Radio  # training images: 0 = all, N = the zoo's N-image subsets
    dropout: gr.Radio
    loss: gr.Radio  # the adversarial loss (losses.LOSS_SETTINGS), shown where the zoo trained more than one
    nn_button: gr.Button  # nearest training images, on demand
    nn_image: gr.Image
    nn_note: gr.Markdown
    l1_slider: gr.Slider  # position in the zoo's trained L1 values (0 = off)
    l2_slider: gr.Slider
    l1_readout: gr.Markdown  # the slider's value as 1e-4
    l2_readout: gr.Markdown
    noise_box: gr.Column  # the seed-noise reference (hidden when the zoo trained the baseline once)
    noise: gr.Image
    noise_caption: gr.Markdown
    query: gr.Textbox  # Explore's part of the shareable URL, without '?' (hidden; read by the app's glue)
    hist: gr.HTML  # the weight histogram (inline SVG on the slice's fixed axes; the page swaps it per λ step)
    scrub: gr.HTML  # the slice the λ sliders scrub over in the page (hidden; explore_scrub)
    coach: CoachWidgets  # the guided paths (explore_coach): "Start here", lessons, the guide
    recon_box: gr.Accordion  # a small-data VAE's training vs held-out reconstructions (data_views)
    recon_image: gr.Image
    recon_note: gr.Markdown

    def nn_outputs(self) -> list[Any]:
        """What follows every view: the nearest-images picture and its words, then the reconstruction view's
        accordion (shown for a small-data VAE only), picture and words (explore_handlers.NEAREST)."""
        return [getattr(self, n) for n in NEAREST]

    def inputs(self) -> list[Any]:
        """The /explore parameters, in the API's order (ExploreQuery's fields)."""
        return [getattr(self, n) for n in EXPLORE_KEYS]

    def slider_inputs(self) -> list[Any]:
        """`inputs()` with the sliders' positions in place of the λ values."""
        return [getattr(self, f"{n}_slider" if n in SLIDERS else n) for n in EXPLORE_KEYS]

    def controls(self) -> list[Any]:
        """The controls `control_updates` sets, in its order."""
        return [self.model, self.dataset, self.g_norm, self.l1, self.l2, self.target, self.train_size, self.dropout,
                self.loss]

    def outputs(self) -> list[Any]:
        """What the /explore handler (`make_explore_fn`) returns, in its order (explore_handlers.OUTPUTS)."""
        return [getattr(self, n) for n in OUTPUTS]

    def view_outputs(self) -> list[Any]:
        """What the browser's view (`make_view_fn`) returns: the λ values and sliders, `outputs()`, the
        seed-noise reference and the query fragment."""
        return [getattr(self, n) for n in VIEW]

    def step_outputs(self) -> list[Any]:
        """What a λ step sets in the page (normgen/app/static/scrub-step.js returns them in this order)."""
        return [self.l1, self.l2, self.l1_readout, self.l2_readout, self.baseline, self.baseline_caption, self.selected,
                self.selected_caption, self.diff, self.headline, self.hist]

    def load_outputs(self) -> list[Any]:
        """What `make_load_fn(...)(q)` sets from a parsed query: the choices and values of the controls, then
        the whole view (`view_outputs()`), so a shared link opens in one reply."""
        return [getattr(self, n) for n in LOAD]


FIG_CSS = "svg { display: block; margin: 0 auto; }"  # bar charts drawn as SVG (normgen.render.bars_svg)
HIST_CSS = "svg { width: 100%; height: auto; max-height: min(52vh, 520px); display: block; }"  # as the grids


def _image(elem_id: str, buttons: list[str], **kw: Any) -> gr.Image:
    return gr.Image(type="filepath", format="png", show_label=False, interactive=False, elem_id=elem_id,
                    buttons=buttons, **kw)


def _slider(which: str, values: list[float], lam: float) -> gr.Slider:
    return gr.Slider(0, max(len(values) - 1, 1), value=slider_pos(values, lam), step=1, label=SLIDER_LABEL[which],
                     interactive=len(values) > 1, elem_id=f"explore-{which}-slider", elem_classes=["lambda-slider"])


def build_explore_tab(root: str | None = None, data_root: str | None = None) -> ExploreTab:
    """Open the Explore tab in the current Blocks; returns its widgets by name."""
    index = load_index(root)
    d = defaults(index)
    v1 = lambda_values(index, "l1", d["model"], d["dataset"], d["train_size"], d["target"])
    v2 = lambda_values(index, "l2", d["model"], d["dataset"], d["train_size"], d["target"])
    loss_label, loss_info = loss_words(index, d["model"], d["dataset"])
    with gr.Tab("Explore", id="explore", elem_id="tab-explore"):
        with gr.Row(equal_height=False, elem_id="explore-row"):
            with gr.Column(scale=1, min_width=330, elem_classes=["controls"], elem_id="explore-controls"):
                start, pick, titles = build_bar(root)  # "Start here" and the lessons, above the controls
                with gr.Column(elem_id="explore-top"):  # on a phone: right above the grids
                    # initial choices hold every valid value (what API calls are checked against); page
                    # load narrows them to what the zoo has (control_updates), and services validate
                    with gr.Row():
                        model = gr.Dropdown(model_choices(list(I.SAMPLE_MODELS)), value=d["model"], label="Model",
                                            elem_id="explore-model", min_width=120)
                        dataset = gr.Dropdown(dataset_choices(list(DATASETS)), value=d["dataset"], label="Dataset",
                                              elem_id="explore-dataset", min_width=120)
                    l1_slider = _slider("l1", v1, d["l1"])
                    l1_readout = gr.Markdown(readout("l1", v1, d["l1"]), elem_id="explore-l1-readout",
                                             elem_classes=["readout"])
                    l2_slider = _slider("l2", v2, d["l2"])
                    l2_readout = gr.Markdown(readout("l2", v2, d["l2"]), elem_id="explore-l2-readout",
                                             elem_classes=["readout"])
                loss = gr.Radio(loss_choices(tuple(LOSS_SETTINGS), index, d["model"], d["dataset"]), value=d["loss"],
                                label=loss_label, info=loss_info, visible=len(d["losses"]) > 1, elem_id="explore-loss")
                l1 = gr.Number(d["l1"], label="L1 λ", visible="hidden", elem_id="explore-l1")
                l2 = gr.Number(d["l2"], label="L2 λ", visible="hidden", elem_id="explore-l2")
                with gr.Column(elem_id="explore-rest"):  # on a phone: under the grids
                    with gr.Row():
                        seed = gr.Number(I.DEFAULT_SEED, precision=0, minimum=0, maximum=I.SEED_MAX,
                                         label="Noise seed (same for both grids)", elem_id="explore-seed", scale=3,
                                         min_width=120)
                        new_noise = gr.Button("New noise", elem_id="explore-new-noise", scale=1, size="sm",
                                              min_width=90)
                    note = gr.Markdown(elem_id="explore-note", elem_classes=["note"])
                    train_this = gr.Button("Train this setting →", variant="primary", visible=False,
                                           elem_id="explore-train-this")
                    with gr.Accordion("More settings: training images, dropout, penalized part, update rule, "
                                      "normalization", open=False, elem_id="explore-more"):
                        train_size = gr.Radio(train_size_choices(d["dataset"], d["train_sizes"], data_root), value=0,
                                              label="Training images",
                                              info="few images: the model can overfit, so a regularizer has "
                                                   "something to prevent", elem_id="explore-train-size")
                        dropout = gr.Radio(dropout_choices(d["dropouts"]), value=0.0, label="Dropout rate (0 = off)",
                                           info="randomly zeroes hidden activations while training: a regularizer "
                                                "without a penalty", elem_id="explore-dropout")
                        with gr.Row():
                            target = gr.Dropdown(target_choices(None), value=d["target"], label="Penalized part",
                                                 elem_id="explore-target", min_width=120)
                            variant = gr.Dropdown(variant_choices(), value=d["variant"], label="Update rule",
                                                  elem_id="explore-variant", min_width=120)
                        g_norm = gr.Radio(g_norm_choices(), value=d["g_norm"], label="Generator normalization",
                                          elem_id="explore-gnorm")
                    link = gr.Markdown(elem_id="explore-link", elem_classes=["link"])
                query = gr.Textbox(show_label=False, container=False, interactive=False, elem_id="explore-query",
                                   elem_classes=["query-state"])
            with gr.Column(scale=3, elem_id="explore-main"):
                guide = build_guide(root)  # what to do and what to watch, above the grids it talks about
                pics = build_pictures()  # a lesson's two pictures (batch norm on and off, ...): above the grids
                # layout blocks carry the visibility, so /explore returns plain values (no update dicts)
                with gr.Column(visible=True, elem_id="explore-shown") as shown:
                    with gr.Row(equal_height=False, elem_id="explore-grids"):
                        # captions above the grids, not Gradio's floating labels (those cover the top row)
                        with gr.Column(min_width=240):
                            baseline_caption = gr.Markdown("**Baseline:** no penalty (λ = 0)",
                                                           elem_id="explore-baseline-caption",
                                                           elem_classes=["caption"])
                            baseline = _image("explore-baseline", ["download", "fullscreen"])
                        with gr.Column(min_width=240):
                            selected_caption = gr.Markdown("**Selected**", elem_id="explore-selected-caption",
                                                           elem_classes=["caption"])
                            selected = _image("explore-selected", ["download", "fullscreen"])
                        with gr.Column(min_width=280, scale=1):
                            hist = gr.HTML("", elem_id="explore-hist", css_template=HIST_CSS, js_on_load=None)
                            # the API's matplotlib figure of the same weights (scripts read it; the page
                            # shows `hist`, which stays on one set of axes while a slider moves)
                            fig_weights = gr.HTML("", elem_id="explore-fig-weights", visible=False)
                    headline = gr.Markdown(elem_id="explore-headline", elem_classes=["headline"])
                    gr.Markdown("### What changed\nLeft: the per-pixel difference of the two grids (black = "
                                f"identical, yellow = differs by {DIFF_FULL:g} or more on the −1…1 pixel scale). "
                                "Right: the same map between two baselines that differ only in their training "
                                "seed — what chance alone changes. The numbers are measured on the models shown.",
                                elem_classes=["section"])
                    with gr.Row(equal_height=False):
                        with gr.Column(min_width=220):
                            gr.Markdown("**|selected − baseline|** per pixel", elem_classes=["caption"])
                            diff = _image("explore-diff", ["fullscreen"])
                        with gr.Column(min_width=220, visible=False) as noise_box:
                            noise_caption = gr.Markdown("**Seed noise only**", elem_id="explore-noise-caption",
                                                        elem_classes=["caption"])
                            noise = _image("explore-noise", ["fullscreen"])
                    details = gr.Markdown(elem_id="explore-details", elem_classes=["details"])
                    with gr.Row(equal_height=False):
                        fig_layers = gr.HTML("", elem_id="explore-fig-layers", css_template=FIG_CSS)
                        with gr.Column(visible=False) as classes_box:
                            fig_classes = gr.HTML("", elem_id="explore-fig-classes", css_template=FIG_CSS)
                    with gr.Accordion("Nearest training images: does the model copy?", open=True):
                        nn_button = gr.Button("Find the nearest training images", size="sm",
                                              elem_id="explore-nn-btn")
                        nn_note = gr.Markdown(NEAREST_PROMPT, elem_id="explore-nn-note", elem_classes=["details"])
                        nn_image = _image("explore-nn", ["download", "fullscreen"])
                    with gr.Accordion("Reconstructions: training images vs images it never saw", open=True,
                                      visible=False, elem_id="explore-recon-box") as recon_box:
                        recon_note = gr.Markdown(elem_id="explore-recon-note", elem_classes=["details"])
                        recon_image = _image("explore-recon", ["download", "fullscreen"])
                with gr.Accordion("The numbers as JSON (what /explore returns to scripts)", open=False):
                    stats = gr.JSON(elem_id="explore-stats")
                scrub = gr.HTML("", html_template="<span hidden></span>", js_on_load=scrub_js(), visible="hidden",
                                elem_id="explore-scrub")
    return ExploreTab(model=model, dataset=dataset, l1=l1, l2=l2, target=target, variant=variant, g_norm=g_norm,
                      seed=seed, new_noise=new_noise, note=note, train_this=train_this, link=link, headline=headline,
                      shown=shown, baseline_caption=baseline_caption, baseline=baseline,
                      selected_caption=selected_caption, selected=selected, details=details, diff=diff,
                      fig_weights=fig_weights, fig_layers=fig_layers, classes_box=classes_box,
                      fig_classes=fig_classes, stats=stats, train_size=train_size, dropout=dropout, loss=loss,
                      nn_button=nn_button, nn_image=nn_image, nn_note=nn_note, l1_slider=l1_slider,
                      l2_slider=l2_slider, l1_readout=l1_readout, l2_readout=l2_readout, noise_box=noise_box,
                      noise=noise, noise_caption=noise_caption, query=query, hist=hist, scrub=scrub,
                      coach=CoachWidgets(start, pick, guide, *pics, titles), recon_box=recon_box,
                      recon_image=recon_image, recon_note=recon_note)


def wire_explore(tab: ExploreTab, root: str | None = None, data_root: str | None = None) -> Any:
    """Events of the Explore tab; returns the public /explore dependency. Every view that succeeds is
    followed by the nearest-training-images view (computed for small-data entries, the prompt otherwise); a
    refused one is not, so a bad value gives one message, not two."""
    nn_outs = tab.nn_outputs()
    follow = make_nearest_fn(root, data_root, only_small=True)
    ins, views = tab.inputs(), tab.view_outputs()
    # preprocess=False: the handler gets the values as sent, so the services' checks answer every bad one
    # with the field and its range (Gradio's own would round a seed of 1.5, fail on "abc" with no message,
    # and a Dropdown's would reject a value the previous model offered: "generator is not in the list")
    quiet = {"show_progress": "hidden", "trigger_mode": "always_last", "preprocess": False}
    private = {"api_visibility": "private", "concurrency_limit": None, **quiet}
    # a λ slider's view skips Gradio's queue (one plain request, never behind other events); the dropdowns'
    # cannot (with queue=False a list stayed open on Tab)
    fast = {**private, "queue": False}
    # the public endpoint: the API's λ values; its trigger (the hidden λ box's .input) never fires in a page
    dep = tab.l1.input(make_explore_fn(root), ins, tab.outputs(), api_name="explore",
                       api_description="Baseline and selected setting from the same noise, plus what changed.",
                       concurrency_limit=None, **quiet)
    if scrub_enabled():  # a λ step is drawn in the page from the slice; the rest of the view once it rests
        for axis, slider in (("l1", tab.l1_slider), ("l2", tab.l2_slider)):
            slider.input(None, [tab.l1_slider, tab.l2_slider, tab.scrub, *tab.step_outputs()], tab.step_outputs(),
                         js=step_js(axis), api_visibility="private", show_progress="hidden", queue=False)
        rest = tab.scrub.release(make_slider_fn(root), tab.slider_inputs(), views, **fast)
        rest.success(follow, ins, nn_outs, **fast)
        rest.then(None, [tab.l1_slider, tab.l2_slider, tab.scrub, *tab.step_outputs()], tab.step_outputs(),
                  js=resync_js(), api_visibility="private", show_progress="hidden", queue=False)
    else:  # NORMGEN_EXPLORE_SCRUB=0, for the benchmark: every step a server round trip
        gr.on([tab.l1_slider.input, tab.l2_slider.input], make_slider_fn(root), tab.slider_inputs(), views,
              **fast).success(follow, ins, nn_outs, **fast)
    gr.on([tab.target.input, tab.variant.input, tab.g_norm.input, tab.seed.input, tab.dropout.input],
          make_view_fn(root), ins, views, **private).success(follow, ins, nn_outs, **private)
    gr.on([tab.model.input, tab.dataset.input, tab.train_size.input], make_model_fn(root, data_root), ins,
          tab.load_outputs(), **private).success(follow, ins, nn_outs, **private)
    tab.loss.input(make_loss_fn(root), ins, views, **private).success(follow, ins, nn_outs, **private)
    tab.new_noise.click(new_seed, tab.seed, tab.seed, api_visibility="private", show_progress="hidden",
                        preprocess=False).success(make_view_fn(root), ins, views, **private).success(
        follow, ins, nn_outs, **private)
    tab.nn_button.click(make_nearest_fn(root, data_root), ins, nn_outs, api_visibility="private",
                        concurrency_limit=2, preprocess=False)
    return dep


__all__ = ["ExploreTab", "build_explore_tab", "wire_explore", "control_updates", "g_norm_choices", "lambda_values",
           "model_choices", "readout", "slider_pos", "target_choices", "variant_choices", "make_explore_fn",
           "make_load_fn", "make_loss_fn", "make_model_fn", "make_nearest_fn", "make_slider_fn", "make_view_fn"]
