"""The Explore tab: layout and wiring only (the work is in normgen.service.explorer / report).

Like every tab: plain functions (choices, handlers), then `build_explore_tab` (the layout, returning
its widgets by name as an `ExploreTab`), then `wire_explore` (the events).

Public endpoint `/explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout)`;
the last two came later and default to 0 (all training images, no dropout), so a call with the first
eight still works. Every other event here is private. Controls fire on `.input` (user edits only), so
programmatic updates (choices that follow the model, a shared link) never start a cascade of calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.data import DATASETS
from normgen.models import MODEL_NAMES, TARGETS, family
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS, VARIANTS_INFO
from normgen.render.figures import fmt_lambda
from normgen.service import inputs as I
from normgen.service.explorer import PNGS, explore, png_path
from normgen.service.generalization_view import NEAREST_PROMPT, nearest_view

LAMBDA_HELP = {
    "l1": "L1 λ: adds λ·Σ|w| to the loss (pulls every weight toward zero by the same amount)",
    "l2": "L2 λ: adds λ·Σw² to the loss (shrinks every weight)",
}


def lambda_choices(values: list[float]) -> list[tuple[str, float]]:
    return [("0 (off)" if v == 0 else fmt_lambda(v), float(v)) for v in values]


def train_size_choices(dataset: str, sizes: list[int], data_root: str | None = None) -> list[tuple[str, int]]:
    """'all 60,000' (the split's real size) first, then the zoo's subsets, largest first."""
    return [(I.train_size_label(dataset, n, data_root), int(n)) for n in sorted(sizes, key=lambda n: (n != 0, -n))]


def dropout_choices(rates: list[float]) -> list[tuple[str, float]]:
    return [("0 (off)" if r == 0 else f"{r:g}", float(r)) for r in rates]


def model_choices(models: list[str]) -> list[tuple[str, str]]:
    return [(I.model_label(m), m) for m in models]


def dataset_choices(datasets: list[str]) -> list[tuple[str, str]]:
    return [(I.dataset_label(d), d) for d in datasets]


def target_choices(model: str | None) -> list[tuple[str, str]]:
    """The parts of `model` a penalty can target (every target of any model when None)."""
    names = I.target_choices(model) if model else TARGETS
    return [(t if t != "both" else "both parts", t) for t in names]


def variant_choices() -> list[tuple[str, str]]:
    return [(VARIANTS_INFO[v].choice, v) for v in VARIANTS]


def g_norm_choices(g_norms: list[str] | tuple[str, ...] = G_NORMS) -> list[tuple[str, str]]:
    return [(I.G_NORM_LABELS[v], v) for v in g_norms]


def zoo_targets(index, model: str, dataset: str, train_size: int) -> list[str]:
    """The parts the zoo's L1 / L2 entries of `model` on `dataset` at `train_size` penalize, most used first."""
    ts = [e.target for e in index.find(model=model, dataset=dataset, train_size=train_size, group=0.0, act=0.0)
          if e.l1 or e.l2]
    return sorted(set(ts), key=lambda t: (-ts.count(t), t))


def _size(v: Any) -> int | None:
    try:
        return I.parse_train_size(v)
    except I.InputError:
        return None


def defaults(index, model: str | None = None, dataset: str | None = None,
             train_size: Any = None) -> dict[str, Any]:
    """Starting values: the first model / dataset of the zoo (the default ones, a GAN on MNIST, when
    present), all training images (or `train_size` where the zoo has it), its middle non-zero L1 λ, so
    the first screen already shows a difference, and the family's sampling part as the penalty target
    (the part the zoo penalizes at that size, when it never penalizes the sampling part there)."""
    c = I.zoo_choices(index)
    models = c["model"] or [I.DEFAULT_MODEL]
    model = model if model in models else (I.DEFAULT_MODEL if I.DEFAULT_MODEL in models else models[0])
    c = I.zoo_choices(index, model)
    datasets = c["dataset"] or [I.OFFLINE_DATASET]
    dataset = dataset if dataset in datasets else (I.DEFAULT_DATASET if I.DEFAULT_DATASET in datasets else datasets[0])
    sizes = I.zoo_choices(index, model, dataset)["train_size"]
    size = _size(train_size)
    size = size if size in sizes else (0 if 0 in sizes else sizes[0])
    c = I.zoo_choices(index, model, dataset, size)
    l1s = c["l1"] or [0.0]
    nonzero = [v for v in l1s if v > 0]
    penalized = zoo_targets(index, model, dataset, size)
    target = family(model).sampler_part
    if penalized and target not in penalized:
        target = penalized[0]
    g_norms = c["g_norm"] or [G_NORMS[0]]  # the defaults: no normalization, every penalty in the loss
    return {"model": model, "dataset": dataset, "models": models, "datasets": datasets,
            "g_norms": g_norms, "g_norm": G_NORMS[0] if G_NORMS[0] in g_norms else g_norms[0],
            "l1s": l1s, "l2s": c["l2"] or [0.0], "l1": nonzero[len(nonzero) // 2] if nonzero else 0.0, "l2": 0.0,
            "target": target, "targets": penalized, "variant": VARIANTS[0], "train_sizes": sizes,
            "train_size": size, "dropouts": c["dropout"], "dropout": 0.0}


def control_updates(index, model: str, dataset: str | None, keep: dict[str, Any],
                    data_root: str | None = None) -> list:
    """New choices (and values, kept where still offered) for model, dataset, g_norm, l1, l2, target,
    training images and dropout (`ExploreTab.controls()`'s order). A target is kept where the zoo
    penalizes it at the chosen size (any of the model's targets where it penalizes none)."""
    d = defaults(index, model, dataset, keep.get("train_size"))
    l1 = keep.get("l1") if _offered(keep.get("l1"), d["l1s"]) else d["l1"]
    l2 = keep.get("l2") if _offered(keep.get("l2"), d["l2s"]) else d["l2"]
    g = keep.get("g_norm") if keep.get("g_norm") in d["g_norms"] else d["g_norm"]
    t = keep.get("target")
    keep_t = t in I.target_choices(d["model"]) and (not d["targets"] or t in d["targets"])
    drop = float(keep["dropout"]) if _offered(keep.get("dropout"), d["dropouts"]) else d["dropout"]
    return [gr.update(choices=model_choices(d["models"]), value=d["model"]),
            gr.update(choices=dataset_choices(d["datasets"]), value=d["dataset"]),
            gr.update(choices=g_norm_choices(d["g_norms"]), value=g),
            gr.update(choices=lambda_choices(d["l1s"]), value=l1),
            gr.update(choices=lambda_choices(d["l2s"]), value=l2),
            gr.update(choices=target_choices(d["model"]), value=t if keep_t else d["target"]),
            gr.update(choices=train_size_choices(d["dataset"], d["train_sizes"], data_root), value=d["train_size"]),
            gr.update(choices=dropout_choices(d["dropouts"]), value=drop)]


def _offered(v: Any, values: list[float]) -> bool:
    try:
        return any(abs(float(v) - x) <= 1e-12 + 1e-9 * abs(x) for x in values)
    except (TypeError, ValueError):
        return False


def page_link(state: dict[str, Any], request: gr.Request | None) -> str:
    """Markdown with a link that reopens this exact view (query string read on page load)."""
    qs = I.query_string(state)
    base = ""
    if request is not None:
        ref = (getattr(request, "headers", None) or {}).get("referer", "")
        base = ref.split("?", 1)[0].split("#", 1)[0]
    url = f"{base}{qs}" if base else qs
    return f"**Link to this view:** [{url}]({url})"


@dataclass(frozen=True)
class ExploreTab:
    """The Explore tab's widgets by name, as `build_explore_tab` laid them out."""

    model: gr.Dropdown
    dataset: gr.Dropdown
    l1: gr.Dropdown
    l2: gr.Dropdown
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
    fig_weights: gr.Image
    fig_layers: gr.Image
    classes_box: gr.Column
    fig_classes: gr.Image
    stats: gr.JSON
    train_size: gr.Radio  # training images: 0 = all, N = the zoo's N-image subsets
    dropout: gr.Radio
    nn_button: gr.Button  # nearest training images, on demand
    nn_image: gr.Image
    nn_note: gr.Markdown

    def inputs(self) -> list[Any]:
        """The /explore parameters, in the API's order (train_size and dropout came last)."""
        return [self.model, self.dataset, self.g_norm, self.l1, self.l2, self.target, self.variant, self.seed,
                self.train_size, self.dropout]

    def controls(self) -> list[Any]:
        """The controls `control_updates` sets, in its order."""
        return [self.model, self.dataset, self.g_norm, self.l1, self.l2, self.target, self.train_size, self.dropout]

    def outputs(self) -> list[Any]:
        """What the /explore handler (`make_explore_fn`) returns, in its order."""
        return [self.headline, self.baseline_caption, self.baseline, self.selected_caption, self.selected, self.diff,
                self.details, self.note, self.fig_weights, self.fig_layers, self.fig_classes, self.stats, self.link,
                self.shown, self.classes_box, self.train_this]


def _image(elem_id: str, buttons: list[str], **kw: Any) -> gr.Image:
    return gr.Image(type="filepath", format="png", show_label=False, interactive=False, elem_id=elem_id,
                    buttons=buttons, **kw)


def build_explore_tab(root: str | None = None, data_root: str | None = None) -> ExploreTab:
    """Open the Explore tab in the current Blocks; returns its widgets by name."""
    try:
        index = I.get_index(root)
    except ValueError:  # a malformed index: Explore explains it in its note
        index = I.ZooIndex(root=I.zoo_root(root))
    d = defaults(index)
    with gr.Tab("Explore", id="explore", elem_id="tab-explore"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=270, elem_classes=["controls"]):
                # initial choices hold every valid value (what API calls are checked against); page
                # load narrows them to what the zoo has (control_updates), and services validate
                model = gr.Dropdown(model_choices(list(MODEL_NAMES)), value=d["model"], label="Model",
                                    elem_id="explore-model")
                dataset = gr.Dropdown(dataset_choices(list(DATASETS)), value=d["dataset"], label="Dataset",
                                      elem_id="explore-dataset")
                train_size = gr.Radio(train_size_choices(d["dataset"], d["train_sizes"], data_root), value=0,
                                      label="Training images",
                                      info="few images: the model can overfit, so a regularizer has something "
                                           "to prevent", elem_id="explore-train-size")
                l1 = gr.Dropdown(lambda_choices(d["l1s"]), value=d["l1"], label=LAMBDA_HELP["l1"],
                                 allow_custom_value=True, elem_id="explore-l1")
                l2 = gr.Dropdown(lambda_choices(d["l2s"]), value=d["l2"], label=LAMBDA_HELP["l2"],
                                 allow_custom_value=True, elem_id="explore-l2")
                dropout = gr.Radio(dropout_choices(d["dropouts"]), value=0.0, label="Dropout rate (0 = off)",
                                   info="randomly zeroes hidden activations while training: a regularizer "
                                        "without a penalty", elem_id="explore-dropout")
                target = gr.Dropdown(target_choices(None), value=d["target"], label="Penalized part",
                                     elem_id="explore-target")
                variant = gr.Dropdown(variant_choices(), value=d["variant"], label="Update rule",
                                      elem_id="explore-variant")
                g_norm = gr.Radio(g_norm_choices(), value=d["g_norm"], label="Generator normalization",
                                  elem_id="explore-gnorm")
                with gr.Row():
                    seed = gr.Number(0, precision=0, minimum=0, label="Noise seed (same for both grids)",
                                     elem_id="explore-seed", scale=3)
                    new_noise = gr.Button("New noise", elem_id="explore-new-noise", scale=1, size="sm")
                note = gr.Markdown(elem_id="explore-note", elem_classes=["note"])
                train_this = gr.Button("Train this setting →", variant="primary", visible=False,
                                       elem_id="explore-train-this")
                link = gr.Markdown(elem_id="explore-link", elem_classes=["link"])
            with gr.Column(scale=3):
                headline = gr.Markdown(elem_id="explore-headline", elem_classes=["headline"])
                # layout blocks carry the visibility, so /explore returns plain values (no update dicts)
                with gr.Column(visible=True) as shown:
                    with gr.Row(equal_height=True):
                        # captions above the grids, not Gradio's floating labels (those cover the top row)
                        with gr.Column():
                            baseline_caption = gr.Markdown("**Baseline:** no penalty (λ = 0)",
                                                           elem_id="explore-baseline-caption",
                                                           elem_classes=["caption"])
                            baseline = _image("explore-baseline", ["download", "fullscreen"])
                        with gr.Column():
                            selected_caption = gr.Markdown("**Selected**", elem_id="explore-selected-caption",
                                                           elem_classes=["caption"])
                            selected = _image("explore-selected", ["download", "fullscreen"])
                    gr.Markdown("### What changed\nThe per-pixel difference of the two grids (black = "
                                "identical, yellow = differs by 0.5 or more on the −1…1 pixel scale) is on the right; "
                                "the numbers are measured on the two models.", elem_classes=["section"])
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3):
                            details = gr.Markdown(elem_id="explore-details", elem_classes=["details"])
                        with gr.Column(scale=2):
                            gr.Markdown("**|selected − baseline|** per pixel", elem_classes=["caption"])
                            diff = _image("explore-diff", ["fullscreen"])
                    with gr.Row(equal_height=False):
                        fig_weights = _image("explore-fig-weights", ["fullscreen"])
                        fig_layers = _image("explore-fig-layers", ["fullscreen"])
                    with gr.Column(visible=False) as classes_box:
                        fig_classes = _image("explore-fig-classes", ["fullscreen"], height=420)
                    with gr.Accordion("Nearest training images: does the model copy?", open=True):
                        nn_button = gr.Button("Find the nearest training images", size="sm",
                                              elem_id="explore-nn-btn")
                        nn_note = gr.Markdown(NEAREST_PROMPT, elem_id="explore-nn-note", elem_classes=["details"])
                        nn_image = _image("explore-nn", ["download", "fullscreen"])
                with gr.Accordion("The numbers as JSON (what /explore returns to scripts)", open=False):
                    stats = gr.JSON(elem_id="explore-stats")
    return ExploreTab(model=model, dataset=dataset, l1=l1, l2=l2, target=target, variant=variant, g_norm=g_norm,
                      seed=seed, new_noise=new_noise, note=note, train_this=train_this, link=link, headline=headline,
                      shown=shown, baseline_caption=baseline_caption, baseline=baseline,
                      selected_caption=selected_caption, selected=selected, details=details, diff=diff,
                      fig_weights=fig_weights, fig_layers=fig_layers, classes_box=classes_box,
                      fig_classes=fig_classes, stats=stats, train_size=train_size, dropout=dropout,
                      nn_button=nn_button, nn_image=nn_image, nn_note=nn_note)


def make_explore_fn(root: str | None = None):
    """The /explore handler; its parameter names are the API's parameter names, and it returns the
    values of `ExploreTab.outputs()` in that order."""

    def explore_view(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
                     seed: float, train_size: int = 0, dropout: float = 0.0, request: gr.Request = None) -> tuple:
        try:
            r = explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, root=root)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        has = r.selected_image is not None
        f = {k: png_path(r, k) for k in r.figures}
        state = {"model": model, "dataset": dataset, "g_norm": g_norm, "l1": I.parse_lambda("l1", l1),
                 "l2": I.parse_lambda("l2", l2), "target": target, "variant": variant, "seed": I.parse_seed(seed)}
        # the later settings join the link only when set, so a full-data link reads as it always did
        state.update({k: v for k, v in (("train_size", I.parse_train_size(train_size)),
                                        ("dropout", I.parse_dropout(dropout))) if v})
        note = r.note if has else f"### Nothing to show yet\n{r.note}"
        return (
            r.headline,
            f"**{r.baseline_label}**" if has else "",
            png_path(r, "baseline"),
            f"**{r.selected_label}**" if has else "",
            png_path(r, "selected"),
            png_path(r, "diff"),
            r.details,
            note,
            f["weights"],
            f["layers"],
            f["classes"],
            r.stats,
            page_link(state, request),
            gr.Column(visible=has),
            gr.Column(visible=f["classes"] is not None),
            gr.Button(visible=not r.exact),
        )

    return explore_view


def new_seed(seed: Any) -> int:
    """New noise: the next seed, kept in range (a huge one sent back would end the page's event stream)."""
    try:
        return I.next_seed(seed)
    except I.InputError as exc:
        raise gr.Error(str(exc), title="Invalid input") from None


def make_nearest_fn(root: str | None = None, data_root: str | None = None, only_small: bool = False):
    """The handler of "Find the nearest training images" (`only_small`: the follow-up of every Explore
    view, which computes the picture for small-data entries only and otherwise shows the prompt)."""

    def on_nearest(model, dataset, g_norm, l1, l2, target, variant, seed, train_size=0, dropout=0.0) -> tuple:
        try:
            v = nearest_view(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, root=root,
                             data_root=data_root, only_small=only_small)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        return PNGS.path(v.image, v.key), v.text

    return on_nearest


def wire_explore(tab: ExploreTab, root: str | None = None, data_root: str | None = None) -> Any:
    """Events of the Explore tab; returns the public /explore dependency. Every view is followed by the
    nearest-training-images view (computed for small-data entries, the prompt otherwise), so Explore's
    own latency is unchanged."""
    fn = make_explore_fn(root)
    nn_outs = [tab.nn_image, tab.nn_note]
    follow = make_nearest_fn(root, data_root, only_small=True)
    ins, outs = tab.inputs(), tab.outputs()
    # preprocess=False: the handler gets the values as sent, so the services' checks answer every bad one
    # with the field and its range (Gradio's own would round a seed of 1.5, and fail on "abc" with no message)
    quiet = {"show_progress": "hidden", "trigger_mode": "always_last", "preprocess": False}
    private = {"api_visibility": "private", "concurrency_limit": None, **quiet}
    dep = gr.on([tab.l1.input, tab.l2.input, tab.target.input, tab.variant.input, tab.g_norm.input,
                 tab.seed.input, tab.dropout.input], fn, ins, outs, api_name="explore",
                api_description="Baseline and selected setting from the same noise, plus what changed.",
                concurrency_limit=None, **quiet)
    dep.then(follow, ins, nn_outs, **private)

    def on_model(model: str, dataset: str, g_norm: str, l1: Any, l2: Any, target: str, train_size: Any,
                 dropout: Any) -> list:
        index = I.get_index(root)
        keep = {"g_norm": g_norm, "l1": l1, "l2": l2, "target": target, "train_size": train_size, "dropout": dropout}
        return control_updates(index, model, dataset, keep, data_root)

    controls = tab.controls()
    gr.on([tab.model.input, tab.dataset.input, tab.train_size.input], on_model, controls, controls,
          api_visibility="private", show_progress="hidden").then(fn, ins, outs, **private).then(
        follow, ins, nn_outs, **private)
    tab.new_noise.click(new_seed, tab.seed, tab.seed, api_visibility="private", show_progress="hidden",
                        preprocess=False).success(fn, ins, outs, **private).then(follow, ins, nn_outs, **private)
    tab.nn_button.click(make_nearest_fn(root, data_root), ins, nn_outs, api_visibility="private",
                        concurrency_limit=2, preprocess=False)
    return dep


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """Page load: read the view from the query string (bad values are ignored) and set the controls.

    Outputs: tabs, model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout.
    """

    def on_load(request: gr.Request) -> tuple:
        q = I.parse_query(dict(request.query_params)) if request is not None else {}
        try:
            index = I.get_index(root)
        except ValueError:
            index = I.ZooIndex(root=I.zoo_root(root))
        d = defaults(index, q.get("model"), q.get("dataset"))
        ups = control_updates(index, d["model"], d["dataset"], q, data_root)
        tab = gr.Tabs(selected=q["tab"]) if "tab" in q else gr.skip()
        return (tab, *ups[:6], q.get("variant", VARIANTS[0]), q.get("seed", 0), *ups[6:])

    return on_load
