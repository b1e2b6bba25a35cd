"""The Explore tab: layout and wiring only (the work is in normgen.service.explorer / report).

Public endpoint `/explore(model, dataset, g_norm, l1, l2, target, variant, seed)`. Every other event
here is private. Controls fire on `.input` (user edits only), so programmatic updates (choices that
follow the model, a shared link) never start a cascade of calls.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from normgen.data import DATASETS
from normgen.models.config import G_NORMS, MODEL_NAMES
from normgen.regularizers import TARGETS, VARIANTS
from normgen.service import inputs as I
from normgen.service.explorer import explore, png_path

LAMBDA_HELP = {
    "l1": "L1 λ: adds λ·Σ|w| to the loss (pulls every weight toward zero by the same amount)",
    "l2": "L2 λ: adds λ·Σw² to the loss (shrinks every weight)",
}


def lambda_choices(values: list[float]) -> list[tuple[str, float]]:
    return [("0 (off)" if v == 0 else I.fmt_lambda(v), float(v)) for v in values]


def model_choices(models: list[str]) -> list[tuple[str, str]]:
    return [(I.MODEL_LABELS.get(m, m), m) for m in models]


def dataset_choices(datasets: list[str]) -> list[tuple[str, str]]:
    return [(I.DATASET_LABELS.get(d, d), d) for d in datasets]


def target_choices(model: str | None) -> list[tuple[str, str]]:
    """The parts of `model` a penalty can target (every target of any model when None)."""
    names = I.TARGET_CHOICES[model] if model else TARGETS
    return [(t if t != "both" else "both parts", t) for t in names]


def variant_choices() -> list[tuple[str, str]]:
    return [(I.VARIANT_LABELS[v], v) for v in VARIANTS]


def defaults(index, model: str | None = None, dataset: str | None = None) -> dict[str, Any]:
    """Starting values: the first model / dataset of the zoo (GAN on MNIST when present) and its
    first non-zero L1 λ, so the first screen already shows a difference."""
    c = I.zoo_choices(index)
    models = c["model"] or ["gan"]
    model = model if model in models else ("gan" if "gan" in models else models[0])
    c = I.zoo_choices(index, model)
    datasets = c["dataset"] or ["shapes"]
    dataset = dataset if dataset in datasets else ("mnist" if "mnist" in datasets else datasets[0])
    c = I.zoo_choices(index, model, dataset)
    l1s = c["l1"] or [0.0]
    nonzero = [v for v in l1s if v > 0]
    target = "decoder" if model == "vae" else "generator"
    g_norms = c["g_norm"] or ["none"]
    return {"model": model, "dataset": dataset, "models": models, "datasets": datasets,
            "g_norms": g_norms, "g_norm": "none" if "none" in g_norms else g_norms[0],
            "l1s": l1s, "l2s": c["l2"] or [0.0], "l1": nonzero[len(nonzero) // 2] if nonzero else 0.0, "l2": 0.0,
            "target": target, "variant": "loss"}


def control_updates(index, model: str, dataset: str | None, keep: dict[str, Any]) -> list:
    """New choices (and values, kept where still offered) for dataset, g_norm, l1, l2, target."""
    d = defaults(index, model, dataset)
    l1 = keep.get("l1") if _offered(keep.get("l1"), d["l1s"]) else d["l1"]
    l2 = keep.get("l2") if _offered(keep.get("l2"), d["l2s"]) else d["l2"]
    g = keep.get("g_norm") if keep.get("g_norm") in d["g_norms"] else d["g_norm"]
    target = keep.get("target") if keep.get("target") in I.TARGET_CHOICES[d["model"]] else d["target"]
    return [gr.update(choices=model_choices(d["models"]), value=d["model"]),
            gr.update(choices=dataset_choices(d["datasets"]), value=d["dataset"]),
            gr.update(choices=[(I.G_NORM_LABELS[v], v) for v in d["g_norms"]], value=g),
            gr.update(choices=lambda_choices(d["l1s"]), value=l1),
            gr.update(choices=lambda_choices(d["l2s"]), value=l2),
            gr.update(choices=target_choices(d["model"]), value=target)]


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


def build_explore_tab(root: str | None = None) -> dict[str, Any]:
    """Open the Explore tab in the current Blocks; returns its components by role."""
    try:
        index = I.get_index(root)
    except ValueError:  # a malformed index: Explore explains it in its note
        index = I.ZooIndex(root=I.zoo_root(root))
    d = defaults(index)
    c: dict[str, Any] = {}
    with gr.Tab("Explore", id="explore", elem_id="tab-explore"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=270, elem_classes=["controls"]):
                # initial choices hold every valid value (what API calls are checked against); page
                # load narrows them to what the zoo has (control_updates), and services validate
                c["model"] = gr.Dropdown(model_choices(list(MODEL_NAMES)), value=d["model"], label="Model",
                                         elem_id="explore-model")
                c["dataset"] = gr.Dropdown(dataset_choices(list(DATASETS)), value=d["dataset"], label="Dataset",
                                           elem_id="explore-dataset")
                c["l1"] = gr.Dropdown(lambda_choices(d["l1s"]), value=d["l1"], label=LAMBDA_HELP["l1"],
                                      allow_custom_value=True, elem_id="explore-l1")
                c["l2"] = gr.Dropdown(lambda_choices(d["l2s"]), value=d["l2"], label=LAMBDA_HELP["l2"],
                                      allow_custom_value=True, elem_id="explore-l2")
                c["target"] = gr.Dropdown(target_choices(None), value=d["target"],
                                          label="Penalized part", elem_id="explore-target")
                c["variant"] = gr.Dropdown(variant_choices(), value=d["variant"], label="Update rule",
                                           elem_id="explore-variant")
                c["g_norm"] = gr.Radio([(I.G_NORM_LABELS[v], v) for v in G_NORMS], value=d["g_norm"],
                                       label="Generator normalization", elem_id="explore-gnorm")
                with gr.Row():
                    c["seed"] = gr.Number(0, precision=0, minimum=0, label="Noise seed (same for both grids)",
                                          elem_id="explore-seed", scale=3)
                    c["new_noise"] = gr.Button("New noise", elem_id="explore-new-noise", scale=1, size="sm")
                c["note"] = gr.Markdown(elem_id="explore-note", elem_classes=["note"])
                c["train_this"] = gr.Button("Train this setting →", variant="primary", visible=False,
                                            elem_id="explore-train-this")
                c["link"] = gr.Markdown(elem_id="explore-link", elem_classes=["link"])
            with gr.Column(scale=3):
                c["headline"] = gr.Markdown(elem_id="explore-headline", elem_classes=["headline"])
                # layout blocks carry the visibility, so /explore returns plain values (no update dicts)
                with gr.Column(visible=True) as c["shown"]:
                    with gr.Row(equal_height=True):
                        # captions above the grids, not Gradio's floating labels (those cover the top row)
                        with gr.Column():
                            c["baseline_caption"] = gr.Markdown("**Baseline:** no penalty (λ = 0)",
                                                                elem_id="explore-baseline-caption",
                                                                elem_classes=["caption"])
                            c["baseline"] = gr.Image(type="filepath", format="png", show_label=False,
                                                     interactive=False, elem_id="explore-baseline",
                                                     buttons=["download", "fullscreen"])
                        with gr.Column():
                            c["selected_caption"] = gr.Markdown("**Selected**", elem_id="explore-selected-caption",
                                                                elem_classes=["caption"])
                            c["selected"] = gr.Image(type="filepath", format="png", show_label=False,
                                                     interactive=False, elem_id="explore-selected",
                                                     buttons=["download", "fullscreen"])
                    gr.Markdown("### What changed\nThe per-pixel difference of the two grids (black = "
                                "identical, yellow = differs by 0.5 or more on the −1…1 pixel scale) is on the right; "
                                "the numbers are measured on the two models.", elem_classes=["section"])
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3):
                            c["details"] = gr.Markdown(elem_id="explore-details", elem_classes=["details"])
                        with gr.Column(scale=2):
                            gr.Markdown("**|selected − baseline|** per pixel", elem_classes=["caption"])
                            c["diff"] = gr.Image(type="filepath", format="png", show_label=False, interactive=False,
                                                 elem_id="explore-diff", buttons=["fullscreen"])
                    with gr.Row(equal_height=False):
                        c["fig_weights"] = gr.Image(type="filepath", format="png", show_label=False,
                                                    interactive=False, elem_id="explore-fig-weights",
                                                    buttons=["fullscreen"])
                        c["fig_layers"] = gr.Image(type="filepath", format="png", show_label=False,
                                                   interactive=False, elem_id="explore-fig-layers",
                                                   buttons=["fullscreen"])
                    with gr.Column(visible=False) as c["classes_box"]:
                        c["fig_classes"] = gr.Image(type="filepath", format="png", show_label=False,
                                                    interactive=False, elem_id="explore-fig-classes",
                                                    buttons=["fullscreen"], height=420)
                with gr.Accordion("The numbers as JSON (what /explore returns to scripts)", open=False):
                    c["stats"] = gr.JSON(elem_id="explore-stats")
    return c


INPUT_KEYS = ("model", "dataset", "g_norm", "l1", "l2", "target", "variant", "seed")
OUTPUT_KEYS = ("headline", "baseline_caption", "baseline", "selected_caption", "selected", "diff", "details", "note",
               "fig_weights", "fig_layers", "fig_classes", "stats", "link", "shown", "classes_box", "train_this")


def make_explore_fn(root: str | None = None):
    """The /explore handler; its parameter names are the API's parameter names."""

    def explore_view(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
                     seed: float, request: gr.Request = None) -> tuple:
        try:
            r = explore(model, dataset, g_norm, l1, l2, target, variant, seed, root=root)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        has = r.selected_image is not None
        f = {k: png_path(r, k) for k in r.figures}
        state = {"model": model, "dataset": dataset, "g_norm": g_norm, "l1": I.parse_lambda("l1", l1),
                 "l2": I.parse_lambda("l2", l2), "target": target, "variant": variant, "seed": I.parse_seed(seed)}
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


def wire_explore(c: dict[str, Any], root: str | None = None) -> Any:
    """Events of the Explore tab; returns the public /explore dependency."""
    fn = make_explore_fn(root)
    ins = [c[k] for k in INPUT_KEYS]
    outs = [c[k] for k in OUTPUT_KEYS]
    quiet = {"show_progress": "hidden", "trigger_mode": "always_last"}
    dep = gr.on([c["l1"].input, c["l2"].input, c["target"].input, c["variant"].input, c["g_norm"].input,
                 c["seed"].input], fn, ins, outs, api_name="explore",
                api_description="Baseline and selected setting from the same noise, plus what changed.",
                concurrency_limit=None, **quiet)

    def on_model(model: str, dataset: str, g_norm: str, l1: Any, l2: Any, target: str) -> list:
        index = I.get_index(root)
        return control_updates(index, model, dataset, {"g_norm": g_norm, "l1": l1, "l2": l2, "target": target})

    upd_outs = [c["model"], c["dataset"], c["g_norm"], c["l1"], c["l2"], c["target"]]
    upd_ins = [c["model"], c["dataset"], c["g_norm"], c["l1"], c["l2"], c["target"]]
    gr.on([c["model"].input, c["dataset"].input], on_model, upd_ins, upd_outs, api_visibility="private",
          show_progress="hidden").then(fn, ins, outs, api_visibility="private", concurrency_limit=None, **quiet)
    c["new_noise"].click(lambda s: int(s or 0) + 1, c["seed"], c["seed"], api_visibility="private",
                         show_progress="hidden").then(fn, ins, outs, api_visibility="private",
                                                      concurrency_limit=None, **quiet)
    return dep


def make_load_fn(root: str | None = None):
    """Page load: read the view from the query string (bad values are ignored) and set the controls.

    Outputs: tabs, model, dataset, g_norm, l1, l2, target, variant, seed.
    """

    def on_load(request: gr.Request) -> tuple:
        q = I.parse_query(dict(request.query_params)) if request is not None else {}
        try:
            index = I.get_index(root)
        except ValueError:
            index = I.ZooIndex(root=I.zoo_root(root))
        d = defaults(index, q.get("model"), q.get("dataset"))
        ups = control_updates(index, d["model"], d["dataset"], q)
        tab = gr.Tabs(selected=q["tab"]) if "tab" in q else gr.skip()
        return (tab, *ups, q.get("variant", "loss"), q.get("seed", 0))

    return on_load
