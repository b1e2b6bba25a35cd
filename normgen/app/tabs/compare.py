"""The Compare / sweep tab: a strip of grids across lambda (same noise, same training seed) and
metric-vs-lambda plots, "choose lambda by grid search": clicking a grid in the strip, or picking a
point in the radio beside the plots, shows that grid large with its numbers.

Layout and wiring only; everything it shows comes from normgen.zoo.sweeps, which reads the
zoo index and its checkpoint files. The clickable element is the gallery strip (`select` gives the clicked
index). The plots are PNG files the web server serves, each with its phone variant (`plot_html`): inline in the
page's config they weighed 0.24 MB of every first page load, and a phone showed their text at 7 px.

Shareable state: the hidden textbox `CompareTab.query` holds the tab's link fragment
(`compare_model=gan&compare_sweep=...`, normgen.service.links), rewritten by every view; on page load
`make_load_fn(root, data_root)(q)` restores the tab from the parsed query (`CompareTab.load_outputs()`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from normgen.app.events import refusing
from normgen.app.picture_tags import picture_html
from normgen.app.replies import in_order
from normgen.app.tabs.explore_controls import dataset_choices
from normgen.eval.copying import NEARER_THAN, REAL_SHARE
from normgen.eval.likelihood import K as IWAE_K
from normgen.glossary import explain
from normgen.models import MODEL_NAMES, family
from normgen.service import links
from normgen.service.inputs import SEED_MAX, InputError
from normgen.service.page_pictures import drawn
from normgen.service.requests import CompareQuery
from normgen.service.zoo_access import get_index
from normgen.zoo import sweep_view as V
from normgen.zoo import sweeps as S
from normgen.zoo.learn_pictures import Picture
from normgen.zoo.select import DEFAULT_DATASET, DEFAULT_MODEL
from normgen.zoo.texts.learn_page import zoo_digest
from normgen.zoo.views import cycle_sweep as CS

INTRO = (
    "### Choose λ by grid search\n"
    "Each sweep is one model trained several times with **only λ changed** (same data, seed, steps). "
    "All grids below use the **same noise**. **Click a grid** (or pick a point on the right) to see it large "
    "with its numbers. Bars on the plots span the training seeds: a change smaller than the shaded band "
    "(seed spread at λ = 0) or, for FD, the hatched one (the sampling spread: new noise, same model) is noise, "
    "not an effect. The box below picks λ on a held-out score, as the sources advise."
)
GENERALIZATION = (
    "#### On a small training set: does the model overfit, and does λ prevent it?\n"
    "The fit on its training images vs on as many held-out test images (a VAE: the ELBO and, tighter, the "
    f"IWAE bound with k = {IWAE_K}), their gap (> 0 = fits the images it was trained on better), copying "
    f"(near-copies: % of samples nearer a training image, in the judge's features, than {NEARER_THAN} of new real "
    f"images are; real data scores {REAL_SHARE}) and the pixel nearest-neighbour share (% of samples whose "
    "nearest image in pixel space is a "
    "training image: it measures closeness in pixels, which blur raises, not copying), each with its seed spread."
)
PLOTS = V.PLOTS
GEN_PLOTS = V.GEN_PLOTS
CYCLE_TEXTS = ("intro", "axis_title", "norm_title")  # the section's words, read from the zoo (CS.texts)
CYCLE_OUTPUTS = ("cycle_strip", "cycle_axis", "cycle_norm", *(f"cycle_{k}" for k in CS.PLOTTED),
                 *(f"cycle_{k}" for k in CYCLE_TEXTS))


def _translates(model: str | None) -> bool:
    return model in MODEL_NAMES and family(model).translates


def sweep_choices(index: Any, model: str, dataset: str) -> list[tuple[str, str]]:
    """The sweeps of (model, dataset): a translator's one (the λ_cyc axis and cycle norm), else the zoo's."""
    if _translates(model):
        return [(CS.sweep_label(index, model, dataset), CS.SWEEP_ID)] if (model, dataset) in CS.pairs(index) else []
    return S.sweep_choices(index, model, dataset)


def plot_html(p: Picture | None, digest: str = "", phone: bool = True) -> str:
    """One plot as the page shows it: its PNG file, its phone variant's on a narrow screen (normgen.app.picture_tags;
    `digest`: the zoo's, so each is drawn once per process; `phone`: see picture_html). Fetched at once, not lazily:
    the plots are what the tab shows, and a full-page screenshot must show them. "" for no plot."""
    return "" if p is None else f'<figure class="compare-fig">{picture_html(p, digest, phone)}</figure>'


def phone_plots(root: Any, q: CompareQuery) -> dict[str, Any]:
    """The plots of `q`'s view whose phone variant `_view(..., phone=False)` left out, now with it (drawn here);
    gr.skip() for the others. A view's reply waits for its four wide plots only (a first view drew eight), and
    this follows it."""
    index = get_index(root)
    digest = zoo_digest(index)
    if _translates(q.model):
        pics = {f"cycle_{k}": p for k, p in CS.pictures(index, q.model, q.dataset).items()}
    else:
        v = compute_view(root, q)
        pics = {k: v[k] for k in (*PLOTS, *GEN_PLOTS)}
    return {k: gr.skip() if p is None or p.narrow is None or drawn(p, digest, narrow=True) else plot_html(p, digest)
            for k, p in pics.items()}


def cycle_view(root: Any, q: CompareQuery) -> dict[str, Any]:
    """Plain values of the cycle section (CYCLE_OUTPUTS' names): the rows strip, the two tables, the plots (each a
    Picture with its phone variant), the intro and headings."""
    index = get_index(root)
    m, d = q.model, q.dataset
    pics = CS.pictures(index, m, d)
    words = CS.texts(index, m, d, index.root)
    return {"cycle_strip": CS.strip(index, m, d, index.root, q.noise), "cycle_axis": CS.axis_table(index, m, d),
            "cycle_norm": CS.norm_table(index, m, d), **{f"cycle_{k}": pics[k] for k in CS.PLOTTED},
            **{f"cycle_{k}": explain(words[k]) for k in CYCLE_TEXTS}}


def compute_view(root: Any, q: CompareQuery) -> dict[str, Any]:
    """Plain values for every output of the tab (no gradio: normgen.zoo.sweep_view.compare_view)."""
    return V.compare_view(get_index(root), q.model, q.dataset, q.sweep, q.point, q.noise, q.seed,
                          fallback=(DEFAULT_MODEL, DEFAULT_DATASET))


def query_fragment(q: CompareQuery) -> str:
    """The tab's link fragment ('compare_model=gan&compare_dataset=mnist&compare_sweep=...')."""
    return links.fragment(links.PREFIXES["compare"], q.link_state())


def _view(root: Any, q: CompareQuery, phone: bool = True) -> dict[str, Any]:
    """compute_view as gradio updates by name (OUTPUT_NAMES), its plots as `plot_html` (`phone`: see there); for a
    translator the cycle section (cycle_view) instead, the sample-grid section left as it is."""
    with refusing(ValueError):
        digest = zoo_digest(get_index(root))
        c = cycle_view(root, q) if _translates(q.model) else None
        v = compute_view(root, q) if c is None else {}
    if c is not None:
        return dict.fromkeys(OUTPUT_NAMES, gr.skip()) | {
            "seed": gr.update(visible=False),  # one sweep: its seeds are in the tables
            "notes": "", "sweep_column": gr.update(visible=False), "cycle_column": gr.update(visible=True),
            **{k: plot_html(c[k], digest, phone) if k.removeprefix("cycle_") in CS.PLOTTED else c[k]
               for k in CYCLE_OUTPUTS},
            "choice": "", "query": query_fragment(q.but(sweep=CS.SWEEP_ID, point=None, seed=None))}
    return {
        "strip": gr.update(value=v["strip"], visible=bool(v["strip"]), **_strip_layout(len(v["strip"]))),
        "point": gr.update(choices=v["points"], value=v["point"]),
        **{k: v[k] for k in ("grid", "table", "notes", "missing", "choice")},
        **{k: plot_html(v[k], digest, phone) for k in PLOTS},
        "seed": gr.update(choices=v["seeds"], value=v["seed"], visible=True),
        "generalization": gr.update(visible=any(v[k] is not None for k in GEN_PLOTS)),
        **{k: gr.update(value=plot_html(v[k], digest, phone), visible=v[k] is not None) for k in GEN_PLOTS},
        "sweep_column": gr.update(visible=True), "cycle_column": gr.update(visible=False),
        **dict.fromkeys(CYCLE_OUTPUTS, gr.skip()),
        "query": query_fragment(q.but(point=v["point"], seed=v["seed"])) if v["strip"] else ""}


def _strip_layout(n: int) -> dict[str, int]:
    """One row of up to 8 grids, the gallery as tall as a square thumbnail on a ~1150 px wide page
    (Gradio's gallery otherwise reserves a fixed, mostly empty height)."""
    cols = min(max(n, 5), 8)  # at least 5 columns: two grids alone would be huge and cut off
    return {"columns": cols, "height": 1150 // cols + 40}


@dataclass(frozen=True)
class CompareTab:
    """The Compare tab's widgets by name, as `build_compare_tab` laid them out."""

    model: gr.Dropdown
    dataset: gr.Dropdown
    sweep: gr.Dropdown
    noise_seed: gr.Number
    query: gr.Textbox  # the link fragment (hidden; read by the app's address-bar glue)
    outputs: list[Any]  # what every view handler returns (`_view`), the query last

    def load_outputs(self) -> list[Any]:
        """What `make_load_fn`'s function returns, in its order."""
        return [self.model, self.dataset, self.sweep, self.noise_seed, *self.outputs]


def selection(index: Any, model: str | None = None, dataset: str | None = None,
              sweep_id: str | None = None) -> tuple[list[str], str | None, list[str], str | None, list, str | None]:
    """(models, model, its datasets, dataset, its sweep choices, sweep): the wanted ones where the zoo
    has them, else the first of each."""
    pairs = S.models_and_datasets(index) + CS.pairs(index)  # a translator's sweeps last
    models = list(dict.fromkeys(m for m, _ in pairs))
    model = model if model in models else (models[0] if models else None)
    datasets = [d for m, d in pairs if m == model]
    dataset = dataset if dataset in datasets else (datasets[0] if datasets else None)
    sweeps = sweep_choices(index, model, dataset) if model and dataset else []
    ids = [sid for _, sid in sweeps]
    sweep_id = sweep_id if sweep_id in ids else (ids[0] if ids else None)
    return models, model, datasets, dataset, sweeps, sweep_id


def make_load_fn(root: str | Path | None = None, data_root: str | None = None) -> Callable[[Mapping[str, Any]], tuple]:
    """Page load: `fn(q)` with the parsed page query (normgen.service.links.parse_page_query) returns the
    updates of `CompareTab.load_outputs()`; without any `compare_` key it changes nothing (the tab was
    built with its defaults). `data_root` is unused (every tab's loader takes the same arguments)."""

    def load(q: Mapping[str, Any]) -> tuple:
        c = links.part(q, "compare")
        unchanged = in_order(dict.fromkeys(LOAD_NAMES, gr.skip()), LOAD_NAMES)
        if not c:
            return unchanged
        try:
            index = get_index(root)
        except ValueError:
            return unchanged
        asked = CompareQuery.from_link(c)
        _, model, datasets, dataset, sweeps, sweep_id = selection(index, asked.model, asked.dataset, asked.sweep)
        try:
            view = _view(root, asked.but(model=model, dataset=dataset, sweep=sweep_id))
        except gr.Error:
            return unchanged
        return in_order({"model": gr.update(value=model),
                         "dataset": gr.update(choices=dataset_choices(datasets), value=dataset),
                         "sweep": gr.update(choices=sweeps, value=sweep_id), "noise_seed": asked.noise} | view,
                        LOAD_NAMES)

    return load


OUTPUT_NAMES = ("strip", "point", "grid", "table", "sparsity", "quality", "norm", "extra", "notes", "seed",
                "missing", "generalization", *GEN_PLOTS, "sweep_column", "cycle_column", *CYCLE_OUTPUTS,
                "choice", "query")  # the names of `_view`'s reply, in `CompareTab.outputs`' order
LOAD_NAMES = ("model", "dataset", "sweep", "noise_seed", *OUTPUT_NAMES)  # `CompareTab.load_outputs()`


def build_compare_tab(root: str | Path | None = None) -> CompareTab:
    """Open a `Compare` tab (id "compare") in the current Blocks, wire it and return its widgets.
    `root`: zoo folder."""
    index = get_index(root)
    models, model0, datasets0, dataset0, sweeps0, sweep0 = selection(index)

    v = compute_view(root, CompareQuery(model0, dataset0, sweep0))  # the tab is never blank
    digest = zoo_digest(index)

    def plot(p: Picture | None, label: str, elem_id: str, visible: bool = True) -> gr.HTML:
        # class compare-plot (page.css): two a row on a laptop, one a row on a phone, where its phone variant shows
        return gr.HTML(plot_html(p, digest), label=label, elem_id=elem_id, visible=visible, container=False,
                       js_on_load=None, elem_classes=["compare-plot"])

    def plot_rows(labels: dict[str, str], pics: Mapping[str, Picture | None], elem_id: str,
                  hide_missing: bool = False) -> list[gr.HTML]:
        """`labels`' plots two a row (four in one row were too small to read); `hide_missing`: a plot with no
        picture in `pics` hidden."""
        items, out = list(labels.items()), []
        for row in (items[:2], items[2:]):
            with gr.Row():
                out += [plot(pics.get(k), label, f"{elem_id}-{k}", not hide_missing or pics.get(k) is not None)
                        for k, label in row]
        return out

    with gr.Tab("Compare", id="compare", elem_id="tab-compare"):
        gr.Markdown(explain(INTRO))
        with gr.Row(equal_height=True):
            model = gr.Dropdown([(family(m).label, m) for m in models], value=model0, label="Model",
                                elem_id="compare-model", scale=1)
            dataset = gr.Dropdown(dataset_choices(datasets0), value=dataset0, label="Dataset",
                                  elem_id="compare-dataset", scale=2, min_width=200)
            sweep = gr.Dropdown(sweeps0, value=sweep0, label="Sweep (which penalty varies)",
                                elem_id="compare-sweep", scale=4)
            train_seed = gr.Radio(v["seeds"], value=v["seed"], label="Training seed", elem_id="compare-train-seed",
                                  scale=1)
            noise_seed = gr.Number(0, precision=0, minimum=0, maximum=SEED_MAX, label="Noise seed (Enter)",
                                   elem_id="compare-noise-seed", scale=1)
        choice = gr.Markdown(v["choice"], elem_id="compare-choice", elem_classes=["choice"])
        with gr.Column(elem_id="compare-sweeps") as sweep_col:  # the sample-grid sweeps
            strip = gr.Gallery(v["strip"], label="Samples across λ (same noise) - click one",
                               **_strip_layout(len(v["strip"])), object_fit="contain", fit_columns=False,
                               allow_preview=False, format="png", elem_id="compare-strip", visible=bool(v["strip"]),
                               show_label=False, buttons=[])
            notes = gr.Markdown(v["notes"], elem_id="compare-notes")
            with gr.Accordion("What the zoo lacks for this model and dataset", open=False):
                missing = gr.Markdown(v["missing"], elem_id="compare-missing")
            with gr.Row():
                with gr.Column(scale=1):
                    grid = gr.Image(v["grid"], label="Chosen point (large)", show_label=False, type="pil", format="png",
                                    elem_id="compare-grid", interactive=False, height=520,
                                    buttons=["download", "fullscreen"])
                with gr.Column(scale=1):
                    point = gr.Radio(v["points"], value=v["point"], label="Point of the sweep", elem_id="compare-point")
                    table = gr.Markdown(v["table"], elem_id="compare-table")
            plots = plot_rows(PLOTS, v, "compare-plot")
            with gr.Column(visible=any(v[k] is not None for k in GEN_PLOTS),
                           elem_id="compare-generalization") as gen_row:  # only a small-data sweep has these
                gr.Markdown(explain(GENERALIZATION))
                gen = plot_rows(GEN_PLOTS, v, "compare-plot", hide_missing=True)
        pair = CS.pairs(index)[:1]  # the section's words before a view fills them in
        words = CS.texts(index, *pair[0], index.root) if pair else dict.fromkeys(CYCLE_TEXTS, "")
        with gr.Column(visible=False, elem_id="compare-cycle") as cycle_col:  # a translator's sweep
            c_intro = gr.Markdown(explain(words["intro"]), elem_id="compare-cycle-intro")
            c_strip = gr.Gallery([], columns=4, height=300, object_fit="contain", fit_columns=False,
                                 allow_preview=False, format="png", elem_id="compare-cycle-strip", show_label=False,
                                 buttons=[])
            c_axis_title = gr.Markdown(explain(words["axis_title"]), elem_id="compare-cycle-axis-title")
            c_axis = gr.Markdown("", elem_id="compare-cycle-axis")
            c_plots = plot_rows(CS.PLOTTED, {}, "compare-cycle-plot")
            c_norm_title = gr.Markdown(explain(words["norm_title"]), elem_id="compare-cycle-norm-title")
            c_norm = gr.Markdown("", elem_id="compare-cycle-norm")
        # the tab's link fragment; "" = the defaults above (a visitor who never touched Compare)
        query = gr.Textbox("", visible=True, elem_id="compare-query", elem_classes=["query-state"],
                           show_label=False, container=False, interactive=False)

    outputs = [strip, point, grid, table, *plots, notes, train_seed, missing,
               gen_row, *gen, sweep_col, cycle_col, c_strip, c_axis, c_norm, *c_plots,
               c_intro, c_axis_title, c_norm_title, choice, query]
    assert len(outputs) == len(OUTPUT_NAMES)
    private = {"api_visibility": "private", "show_progress": "minimal"}

    def on_model(model: str | None):
        idx = get_index(root)
        ds = [d for m, d in S.models_and_datasets(idx) + CS.pairs(idx) if m == model]
        d = ds[0] if ds else None
        sw = sweep_choices(idx, model, d) if model and d else []
        return in_order({"dataset": gr.update(choices=dataset_choices(ds), value=d),
                         "sweep": gr.update(choices=sw, value=sw[0][1] if sw else None)}, ("dataset", "sweep"))

    def on_dataset(model: str | None, dataset: str | None):
        sw = sweep_choices(get_index(root), model, dataset) if model and dataset else []
        return gr.update(choices=sw, value=sw[0][1] if sw else None)

    # parameter names are the fields an error message names (normgen.app.events)
    def on_sweep(model, dataset, sweep, noise_seed, train_seed):
        return on_point(model, dataset, sweep, None, noise_seed, train_seed)

    def on_point(model, dataset, sweep, point, noise_seed, train_seed):
        with refusing(InputError):
            q = CompareQuery.parse(model, dataset, sweep, point, noise_seed, train_seed)
        return in_order(_view(root, q, phone=False), OUTPUT_NAMES)

    phone_names = (*PLOTS, *GEN_PLOTS, *(f"cycle_{k}" for k in CS.PLOTTED))
    phone_outs = [outputs[OUTPUT_NAMES.index(n)] for n in phone_names]

    def on_phone(model, dataset, sweep, point, noise_seed, train_seed):
        try:
            q = CompareQuery.parse(model, dataset, sweep, point, noise_seed, train_seed)
        except InputError:  # on_point has said so
            return in_order(dict.fromkeys(phone_names, gr.skip()), phone_names)
        return in_order(dict.fromkeys(phone_names, gr.skip()) | phone_plots(root, q), phone_names)

    def on_select(evt: gr.SelectData):
        return gr.update(value=evt.index)

    # the view is redrawn after every user change, even when the sweep id stays the same (the same
    # sweep exists for several datasets), so no `.change` on the sweep dropdown
    view_ins = [model, dataset, sweep, noise_seed, train_seed]
    point_ins = [model, dataset, sweep, point, noise_seed, train_seed]
    quiet = {**private, "show_progress": "hidden"}  # the plots are on screen already

    def then_phone(view: Any) -> None:  # every view is followed by its plots' phone variants
        view.then(on_phone, point_ins, phone_outs, **quiet)

    then_phone(model.input(on_model, [model], [dataset, sweep], **private).then(on_sweep, view_ins, outputs, **private))
    then_phone(dataset.input(on_dataset, [model, dataset], [sweep], **private).then(on_sweep, view_ins, outputs,
                                                                                    **private))
    then_phone(sweep.input(on_sweep, view_ins, outputs, **private))
    then_phone(gr.on([point.input, noise_seed.submit, train_seed.input], on_point, point_ins, outputs, **private))
    then_phone(strip.select(on_select, None, [point], **private).then(on_point, point_ins, outputs, **private))
    return CompareTab(model, dataset, sweep, noise_seed, query, outputs)
