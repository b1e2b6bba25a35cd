"""Explore's handlers: the public /explore view (plain values for API clients) and the browser's views,
which return the λ values, the sliders, the pictures with alt text, the seed-noise reference and the
query fragment in one reply (`ExploreTab.view_outputs()` / `load_outputs()` in normgen.app.tabs.explore)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from normgen.app.events import refuse, refusing
from normgen.app.replies import in_order
from normgen.app.tabs import explore_scrub as scrub
from normgen.app.tabs.explore_controls import (
    control_updates,
    load_index,
    page_link,
    readout,
)
from normgen.regularizers import VARIANTS
from normgen.service import inputs as I
from normgen.service import links
from normgen.service.data_views import nearest_view, reconstruction_view
from normgen.service.explore_images import PNGS
from normgen.service.explorer import ExploreResult, explore, png_path
from normgen.service.requests import ExploreQuery, explore_checks
from normgen.service.view_order import VIEW_ORDER
from normgen.zoo.select import SLIDERS, defaults, lambda_values, slider_pos
from normgen.zoo.views.explore_figures import FIG_NAMES, PAGE_FIGURES

# Explore's replies by name (ExploreTab's attribute names; normgen.app.replies)
OUTPUTS = ("headline", "baseline_caption", "baseline", "selected_caption", "selected", "diff", "details", "note",
           "fig_weights", "fig_layers", "fig_classes", "stats", "link", "shown", "classes_box", "train_this")
VIEW = ("l1", "l2", "l1_slider", "l2_slider", "l1_readout", "l2_readout", *OUTPUTS, "noise_box", "noise",
        "noise_caption", "query", "hist", "scrub")
LOAD = ("model", "dataset", "g_norm", "target", "variant", "seed", "train_size", "dropout", "loss", *VIEW)
NEAREST = ("nn_image", "nn_note", "recon_box", "recon_image", "recon_note")  # what follows every view


def parse(*args: Any) -> ExploreQuery:
    """The /explore arguments as they arrive, checked once (a bad one: the error names it and its range)."""
    with refusing(I.InputError, title="Invalid input"):
        return ExploreQuery.parse(*args)


def _run(root: str | None, q: ExploreQuery,
         figure_names: tuple[str, ...] = FIG_NAMES) -> tuple[ExploreResult, dict[str, Any]]:
    """The service's result for the request `q`, and the view's state (for links and the URL);
    `figure_names`: the figures to draw (the browser draws the weight histogram itself)."""
    return explore(q, root=root, figure_names=figure_names), q.link_state()


def _outputs(r: ExploreResult, state: dict[str, Any], request: gr.Request | None, image=None) -> dict[str, Any]:
    """The /explore reply by name (OUTPUTS); `image(path, name)` wraps each picture (plain paths for the API)."""
    image = image or (lambda path, _name: path)
    has = "selected" in r.draw
    f = r.figures  # inline SVG ("" where not drawn)
    return {
        "headline": r.headline,
        "baseline_caption": f"**{r.baseline_label}**" if has else "",
        "baseline": image(png_path(r, "baseline"), "baseline"),
        "selected_caption": f"**{r.selected_label}**" if has else "",
        "selected": image(png_path(r, "selected"), "selected"),
        "diff": image(png_path(r, "diff"), "diff"),
        "details": r.details,
        "note": r.note if has else f"### Nothing to show yet\n{r.note}",
        "fig_weights": f["weights"] or "",
        "fig_layers": f["layers"] or "",
        "fig_classes": f["classes"] or "",
        "stats": r.stats,
        "link": page_link(state, request),
        "shown": gr.Column(visible=has),
        "classes_box": gr.Column(visible=f["classes"] is not None),
        "train_this": gr.Button(visible=not r.exact),
    }


def make_explore_fn(root: str | None = None):
    """The /explore handler; its parameter names are the API's parameter names, and it returns the
    values of `ExploreTab.outputs()` in that order."""

    def explore_view(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
                     seed: float, train_size: int = 0, dropout: float = 0.0, loss: str = "ns",
                     request: gr.Request = None) -> tuple:
        r, state = _run(root, parse(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss))
        return in_order(_outputs(r, state, request), OUTPUTS)

    return explore_view


def readouts(vals: dict[str, list[float]], state: dict[str, Any], r: ExploreResult) -> tuple[str, str]:
    """The two sliders' readouts for the view `r` of `state` (the L2 one says when the grids show the
    nearest trained model rather than the setting asked for)."""
    shown = ""
    if "selected" in r.draw and not r.exact:  # said beside the sliders, not only in the note below
        shown = (f"  \n**Not trained as set:** the grids show the nearest trained model, "
                 f"{r.selected_label.removeprefix('Selected: ')}.")
    return readout("l1", vals["l1"], state["l1"]), readout("l2", vals["l2"], state["l2"]) + shown


def view_slice(root: str | None, index: Any, q: ExploreQuery, state: dict[str, Any],
               vals: dict[str, list[float]]) -> tuple[str, Any]:
    """The slice of the view `q` (explore_scrub): every stop of both λ sliders, the other λ kept."""
    key = (str(root), q.but(l1=0.0, l2=0.0))  # the view without its two λ

    def stop(axis: str, lam: float) -> dict[str, Any]:
        r, st = _run(root, q.but(**{axis: lam}), figure_names=())
        return scrub.stop_view(r, st, readouts(vals, st, r)) | scrub.stop_extras(r)

    return scrub.build_slice(index, key, vals, state, stop)


def view_updates(root: str | None, q: ExploreQuery, request: gr.Request | None = None,
                 sliders: bool = True) -> dict[str, Any]:
    """The browser's view (VIEW, by name) for the request `q`: the λ values, the sliders
    (positions over the zoo's trained values; `sliders=False` leaves them, e.g. while one is dragged, and
    with them the baseline and the seed-noise reference, which a λ does not change), their readouts, the
    view with alt text on every picture, the seed-noise reference, the query, the weight histogram and the
    slice the page scrubs the sliders over (explore_scrub)."""
    r, state = _run(root, q, figure_names=PAGE_FIGURES)
    index = load_index(root)
    vals = {w: lambda_values(index, w, q.model, q.dataset, q.train_size, q.target) for w in SLIDERS}

    def image(path: str | None, name: str) -> gr.Image:
        return gr.Image(value=path, alt_text=r.alt.get(name) if path else None)

    noise = png_path(r, "noise")
    l1_text, l2_text = readouts(vals, state, r)
    out = {"l1": q.l1, "l2": q.l2, "l1_readout": l1_text, "l2_readout": l2_text,
           **_outputs(r, state, request, image),
           "noise_box": gr.Column(visible=noise is not None), "noise": image(noise, "noise"),
           "noise_caption": r.noise_label, "query": view_query(state)}
    for w in SLIDERS:
        out[f"{w}_slider"] = (gr.Slider(maximum=max(len(vals[w]) - 1, 1), value=slider_pos(vals[w], getattr(q, w)),
                                        interactive=len(vals[w]) > 1) if sliders else gr.skip())
    if not sliders:  # a λ slider moved: what a λ does not change is skipped (less for the page to redraw)
        out.update(dict.fromkeys(("baseline_caption", "baseline", "classes_box", "noise_box", "noise",
                                  "noise_caption"), gr.skip()))
    sliced, axes = view_slice(root, index, q, state, vals)
    return out | {"hist": scrub.hist_svg(index, r, axes), "scrub": sliced}


def view_query(state: dict[str, Any]) -> str:
    """Explore's part of the shareable URL, without '?' (unprefixed keys, λ written as 1e-4)."""
    return links.fragment(links.PREFIXES["explore"], state)


def make_view_fn(root: str | None = None, loss_sets_lambdas: bool = False):
    """The browser's handler of every Explore control but the sliders: the /explore arguments in,
    `ExploreTab.view_outputs()` out (sliders set to the λ values); `loss_sets_lambdas`: see make_loss_fn."""

    def on_view(model, dataset, g_norm, l1, l2, target, variant, seed, train_size=0, dropout=0.0, loss="ns",
                request: gr.Request = None) -> tuple:
        VIEW_ORDER.begin(getattr(request, "session_hash", None))  # a slider's view still on its way is old now
        q = parse(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss)
        if loss_sets_lambdas and q.loss != "ns":
            q = q.but(l1=0.0, l2=0.0)
        return in_order(view_updates(root, q, request), VIEW)

    return on_view


def make_loss_fn(root: str | None = None):
    """The Loss control's handler: the view of the chosen loss. The zoo trained the other losses without a
    penalty, so choosing one sets both λ to 0 (the sliders follow); back on the non-saturating loss, the
    λ stay where they are."""
    on_loss = make_view_fn(root, loss_sets_lambdas=True)
    on_loss.__name__ = "on_loss"  # the event's name, as before
    return on_loss


def _position(value: Any, values: list[float], which: str) -> float:
    """The λ at slider position `value` (an index into `values`), with a clear error for a bad one."""
    try:
        i = int(round(float(value)))
    except (TypeError, ValueError):
        raise refuse(f"{which} slider position must be a whole number in [0, {len(values) - 1}], got "
                       f"{str(value)[:60]!r}", title="Invalid input") from None
    if not 0 <= i < len(values):
        raise refuse(f"{which} slider position must be in [0, {len(values) - 1}], got {value}",
                       title="Invalid input")
    return values[i]


def make_slider_fn(root: str | None = None):
    """The handler of the λ sliders: positions in, the λ values they stand for out, with the view
    (`ExploreTab.view_outputs()`, the sliders left as the visitor holds them)."""

    def on_slider(model, dataset, g_norm, p1, p2, target, variant, seed, train_size=0, dropout=0.0, loss="ns",
                  request: gr.Request = None) -> tuple:
        session = getattr(request, "session_hash", None)
        ticket = VIEW_ORDER.begin(session)
        index = load_index(root)
        with refusing(I.InputError, title="Invalid input"):
            m, d, size = I.check_model(model), I.check_dataset(dataset), I.parse_train_size(train_size)
        l1 = _position(p1, lambda_values(index, "l1", m, d, size, target), "L1")
        l2 = _position(p2, lambda_values(index, "l2", m, d, size, target), "L2")
        out = view_updates(root, parse(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout,
                                       loss), request, sliders=False)
        if VIEW_ORDER.stale(session, ticket):  # the page asked for a later view meanwhile: this one is old
            out = dict.fromkeys(VIEW, gr.skip())
        return in_order(out, VIEW)

    return on_slider


def new_seed(seed: Any) -> int:
    """New noise: the next seed, kept in range (a huge one sent back would end the page's event stream)."""
    with refusing(I.InputError, title="Invalid input"):
        return I.next_seed(seed)


def make_nearest_fn(root: str | None = None, data_root: str | None = None, only_small: bool = False):
    """The handler of "Find the nearest training images" (`only_small`: the follow-up of every Explore
    view, which computes the picture for small-data entries only and otherwise shows the prompt)."""

    def on_nearest(model, dataset, g_norm, l1, l2, target, variant, seed, train_size=0, dropout=0.0,
                   loss="ns") -> tuple:
        q = parse(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss)
        v = nearest_view(q, root=root, data_root=data_root, only_small=only_small)
        r = reconstruction_view(q, root=root, data_root=data_root)
        return in_order({"nn_image": PNGS.path(v.image, v.key), "nn_note": v.text,
                         "recon_box": gr.update(visible=r.image is not None), "recon_image": PNGS.path(r.image, r.key),
                         "recon_note": r.text}, NEAREST)

    return on_nearest


def load_view(root: str | None, data_root: str | None, q: dict[str, Any], request: gr.Request | None = None,
              snap: bool = False) -> dict[str, Any]:
    """`ExploreTab.load_outputs()`'s values by name (LOAD) for the parsed query `q` (links.parse_page_query; missing
    keys take the defaults, values the zoo lacks its nearest): the controls' choices and values, then the view. A λ
    from a link is kept as asked (the readout says which trained value is shown for it); with `snap`
    (another model chosen) it moves to the nearest value trained for the new model."""
    index = load_index(root)
    d = defaults(index, q.get("model"), q.get("dataset"), q.get("train_size"))
    keep = {**q, "train_size": d["train_size"]}
    model_u, dataset_u, g_u, l1_u, l2_u, target_u, size_u, drop_u, loss_u = control_updates(
        index, d["model"], d["dataset"], keep, data_root)
    lam = {}
    for w, u in (("l1", l1_u), ("l2", l2_u)):
        lam[w] = q[w] if w in q else u["value"]
        if snap:
            vals = lambda_values(index, w, d["model"], d["dataset"], d["train_size"], target_u["value"])
            lam[w] = vals[slider_pos(vals, lam[w])]
    l1, l2 = lam["l1"], lam["l2"]
    variant, seed = q.get("variant", VARIANTS[0]), q.get("seed", 0)
    if loss_u["value"] != "ns" and not any(w in q for w in SLIDERS):
        l1, l2 = 0.0, 0.0  # a link to another loss without λ: the zoo trained those losses without a penalty
    q = parse(d["model"], d["dataset"], g_u["value"], l1, l2, target_u["value"], variant, seed, d["train_size"],
              drop_u["value"], loss_u["value"])
    controls = {"model": model_u, "dataset": dataset_u, "g_norm": g_u, "target": target_u, "variant": variant,
                "seed": seed, "train_size": size_u, "dropout": drop_u, "loss": loss_u}
    return controls | view_updates(root, q, request)


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """Page load: a function of the parsed query dict `q` (links.parse_page_query; bad values already dropped)
    returning the updates of `ExploreTab.load_outputs()`. The app's glue calls it once per page load."""

    def load_from_query(q: dict[str, Any], request: gr.Request | None = None) -> tuple:
        return in_order(load_view(root, data_root, q or {}, request), LOAD)

    return load_from_query


def make_model_fn(root: str | None = None, data_root: str | None = None):
    """Model, dataset or training-set size changed: new choices for the other controls (values kept
    where still offered) and the view, in one reply (`ExploreTab.load_outputs()`)."""

    def on_model(model, dataset, g_norm, l1, l2, target, variant, seed, train_size=0, dropout=0.0, loss="ns",
                 request: gr.Request = None) -> tuple:
        VIEW_ORDER.begin(getattr(request, "session_hash", None))  # a slider's view still on its way is old now
        q: dict[str, Any] = {}
        raw = {"model": model, "dataset": dataset, "g_norm": g_norm, "variant": variant, "l1": l1, "l2": l2,
               "seed": seed, "train_size": train_size, "dropout": dropout, "loss": loss}
        for key, check in explore_checks().items():  # a bad value is dropped (its default), but these three
            try:
                q[key] = check(raw[key])
            except I.InputError as exc:
                if key in ("model", "dataset", "seed"):
                    raise refuse(str(exc), title="Invalid input") from None
        q["target"] = target
        return in_order(load_view(root, data_root, q, request, snap=True), LOAD)

    return on_model


