"""The normgen app: `build_demo()` lays out the tabs (Explore, Train, Compare, Learn) and wires
them to plain functions (normgen.service.explorer / sessions / runs, and the views helper's
compare / learn modules). Importing this package does not import gradio; `build_demo` does.

Public API (gradio_client): `/explore(model, dataset, g_norm, l1, l2, target, variant, seed)` and
`/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start)`; every other
event is private.
"""

from __future__ import annotations

from typing import Any

HEADER = (
    "# normgen: what does weight regularization do to an image generator?\n"
    "A penalty on the weights is added to the training loss: **L1** adds λ·Σ|w|, **L2** adds λ·Σw². "
    "Both pull weights toward zero. Below, the **same noise** goes through a generator trained "
    "without a penalty (left) and one trained with the λ you pick (right); the numbers under them are "
    "measured on those two models."
)


def build_demo(root: str | None = None, data_root: str | None = None) -> Any:
    """The gr.Blocks app (not launched). `root`: zoo folder (default $NORMGEN_ZOO or checkpoints/);
    `data_root`: where MNIST / Fashion-MNIST live (default $NORMGEN_DATA)."""
    import gradio as gr

    from normgen.app.tabs.explore import (
        INPUT_KEYS,
        OUTPUT_KEYS,
        build_explore_tab,
        make_explore_fn,
        make_load_fn,
        target_choices,
        wire_explore,
    )
    from normgen.app.tabs.train import ESTIMATE_KEYS, build_train_tab, wire_train
    from normgen.service import inputs as I

    with gr.Blocks(title="normgen: regularization in image generators") as demo:
        gr.Markdown(HEADER, elem_id="header")
        with gr.Tabs(selected="explore", elem_id="tabs") as tabs:
            ex = build_explore_tab(root)
            tr = build_train_tab(root, data_root)
            try:
                from normgen.app.tabs.compare import build_compare_tab
            except ImportError:
                build_compare_tab = None
            if build_compare_tab is not None:
                build_compare_tab(root)
            try:
                from normgen.app.tabs.learn import build_learn_tab
            except ImportError:
                build_learn_tab = None
            if build_learn_tab is not None:
                build_learn_tab(root)
        wire_explore(ex, root)
        _, train_fns = wire_train(tr, root, data_root)
        explore_fn = make_explore_fn(root)
        ex_ins, ex_outs = [ex[k] for k in INPUT_KEYS], [ex[k] for k in OUTPUT_KEYS]
        private = {"api_visibility": "private", "show_progress": "hidden"}

        # "Train this setting": copy Explore's controls into Train and switch tabs
        copy_keys = ("model", "dataset", "g_norm", "l1", "l2", "target", "variant", "seed")

        def to_train(model, dataset, g_norm, l1, l2, target, variant, seed):
            ok = I.dataset_status(data_root).get(dataset) is None
            if not ok:
                gr.Warning(f"{I.DATASET_LABELS.get(dataset, dataset)} is not on this server: training on "
                           "shapes instead.")
            return (gr.Tabs(selected="train"), model, dataset if ok else "shapes", g_norm, l1, l2,
                    gr.update(choices=target_choices(model), value=target), variant, seed)

        ex["train_this"].click(to_train, [ex[k] for k in copy_keys], [tabs, *[tr[k] for k in copy_keys]],
                               **private)

        # the page state from the URL (?model=gan&dataset=mnist&l1=1e-4&...) on load
        on_load = make_load_fn(root)
        load_outs = [tabs, ex["model"], ex["dataset"], ex["g_norm"], ex["l1"], ex["l2"], ex["target"],
                     ex["variant"], ex["seed"]]
        demo.load(on_load, None, load_outs, **private).then(explore_fn, ex_ins, ex_outs, **private).then(
            train_fns["model"], [tr["model"], tr["target"]], tr["target"], **private).then(
            train_fns["estimate"], [tr[k] for k in ESTIMATE_KEYS], tr["estimate"], **private)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


__all__ = ["build_demo", "HEADER"]
