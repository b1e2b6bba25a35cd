"""The normgen app: `build_demo()` lays out the tabs (Explore, Train, Compare, Learn) and wires
them to plain functions (normgen.service.explorer / sessions / runs, normgen.zoo.sweeps / findings).
The only package that imports gradio; a tab that fails to import fails the app, loudly.

Every tab module follows one convention: plain functions, then `build_*_tab(...)` (the layout, with
named widgets), then its wiring. Explore and Train return their widgets (`ExploreTab`, `TrainTab`)
because the events between tabs, wired here, need them.

Public API (gradio_client): `/explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size,
dropout)` and `/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
train_size, dropout)`; the last two of each default to 0 (all training images, no dropout), so older
calls without them still work. Every other event is private.
"""

from __future__ import annotations

import gradio as gr

from normgen.app.tabs.compare import build_compare_tab
from normgen.app.tabs.explore import (
    ExploreTab,
    build_explore_tab,
    make_explore_fn,
    make_load_fn,
    make_nearest_fn,
    target_choices,
    wire_explore,
)
from normgen.app.tabs.learn import build_learn_tab
from normgen.app.tabs.train import TrainTab, build_train_tab, make_estimate_fn, target_update, wire_train
from normgen.service import inputs as I

HEADER = (
    "# normgen: what does weight regularization do to an image generator?\n"
    "A penalty on the weights is added to the training loss: **L1** adds λ·Σ|w|, **L2** adds λ·Σw². "
    "Both pull weights toward zero. Below, the **same noise** goes through a generator trained "
    "without a penalty (left) and one trained with the λ you pick (right); the numbers under them are "
    "measured on those two models."
)
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}


def wire_train_this(tabs: gr.Tabs, ex: ExploreTab, tr: TrainTab, data_root: str | None = None) -> None:
    """"Train this setting": copy Explore's controls into Train and switch tabs."""

    def to_train(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout):
        try:  # the seed as typed (not preprocessed): a huge one copied over would end the event stream
            seed = I.parse_seed(seed)
        except I.InputError as exc:
            raise gr.Error(str(exc), title="Invalid input") from None
        ok = I.dataset_status(data_root).get(dataset) is None
        if not ok:
            gr.Warning(f"{I.dataset_label(dataset)} is not on this server: training on "
                       f"{I.OFFLINE_DATASET} instead.")
        return (gr.Tabs(selected="train"), model, dataset if ok else I.OFFLINE_DATASET, g_norm, l1, l2,
                gr.update(choices=target_choices(model), value=target), variant, seed, train_size, dropout)

    shared = [ex.model, ex.dataset, ex.g_norm, ex.l1, ex.l2, ex.target, ex.variant, ex.seed, ex.train_size, ex.dropout]
    into = [tr.model, tr.dataset, tr.g_norm, tr.l1, tr.l2, tr.target, tr.variant, tr.seed, tr.train_size, tr.dropout]
    ex.train_this.click(to_train, shared, [tabs, *into], preprocess=False, **PRIVATE)


def wire_page_load(demo: gr.Blocks, tabs: gr.Tabs, ex: ExploreTab, tr: TrainTab, root: str | None = None,
                   data_root: str | None = None) -> None:
    """The page state from the URL (?model=gan&dataset=mnist&l1=1e-4&...) on load, then the first
    Explore result, the Train targets of its model and Train's measured time estimate."""
    load_outs = [tabs, ex.model, ex.dataset, ex.g_norm, ex.l1, ex.l2, ex.target, ex.variant, ex.seed, ex.train_size,
                 ex.dropout]
    demo.load(make_load_fn(root, data_root), None, load_outs, **PRIVATE).then(
        make_explore_fn(root), ex.inputs(), ex.outputs(), **PRIVATE).then(
        make_nearest_fn(root, data_root, only_small=True), ex.inputs(), [ex.nn_image, ex.nn_note], **PRIVATE).then(
        target_update, [tr.model, tr.target], tr.target, **PRIVATE).then(
        make_estimate_fn(root, data_root), tr.inputs(), tr.estimate, **PRIVATE)


def build_demo(root: str | None = None, data_root: str | None = None) -> gr.Blocks:
    """The gr.Blocks app (not launched). `root`: zoo folder (default $NORMGEN_ZOO or checkpoints/);
    `data_root`: where MNIST / Fashion-MNIST live (default $NORMGEN_DATA)."""
    with gr.Blocks(title="normgen: regularization in image generators") as demo:
        gr.Markdown(HEADER, elem_id="header")
        with gr.Tabs(selected="explore", elem_id="tabs") as tabs:
            ex = build_explore_tab(root, data_root)
            tr = build_train_tab(root, data_root)
            build_compare_tab(root)
            build_learn_tab(root)
        wire_explore(ex, root, data_root)
        wire_train(tr, root, data_root)
        wire_train_this(tabs, ex, tr, data_root)
        wire_page_load(demo, tabs, ex, tr, root, data_root)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


__all__ = ["build_demo", "HEADER"]
