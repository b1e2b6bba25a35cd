"""The Train tab's model and dataset move together where colour demands it: a family built for colour images
(the colour DCGAN: `family(m).image_channels == 3`) cannot train on a grey dataset, so choosing it selects a
colour dataset, and choosing a colour dataset selects the colour family.

The switch also sets the run a learner sees change (`run_defaults`): a colour family gets its own λ and steps,
since the grey families' default (L1 1e-2, train_link) washes the colour grid out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from normgen.app.replies import in_order
from normgen.app.tabs.train_link import DEFAULT_L1, DEFAULT_L2, DEFAULT_STEPS
from normgen.data import dataset_info
from normgen.models import family
from normgen.service import inputs as I

# a colour family's default run: fine-tuning the zoo's colour baseline, the weights change visibly and the grid
# stays varied (scripts/colour_finetune_probe.py; the numbers are in docs/zoo.md, "Train in colour")
COLOUR_L1, COLOUR_L2, COLOUR_STEPS = 3e-3, 0.0, 100


def run_defaults(model: str) -> tuple[float, float, int]:
    """(l1, l2, steps) of the default run of `model`: a colour family's own, else the grey families'."""
    if model in I.TRAIN_MODELS and family(model).image_channels == 3:
        return COLOUR_L1, COLOUR_L2, COLOUR_STEPS
    return DEFAULT_L1, DEFAULT_L2, DEFAULT_STEPS


def _channels(dataset: str) -> int | None:
    try:
        return dataset_info(dataset).image_shape[0]
    except ValueError:  # a dataset this normgen does not know (an upload's folder: its own channels)
        return None


def dataset_for_model(model: str, dataset: str, available: list[str]) -> str:
    """`dataset` if `model` can train on it, else the first of `available` with the channels it is built for."""
    want = family(model).image_channels if model in I.TRAIN_MODELS else None
    if not want or _channels(dataset) in (None, want):
        return dataset
    return next((d for d in available if _channels(d) == want), dataset)


def model_for_dataset(dataset: str, model: str) -> str:
    """`model` if it is built for `dataset`'s images (or for any), else the first family built for them; a
    grey-only choice of a colour dataset picks the colour family (its sources' model for CIFAR-10)."""
    c = _channels(dataset)
    fam = family(model) if model in I.TRAIN_MODELS else None
    if c is None or fam is None or fam.image_channels == c or (fam.image_channels is None and c != 3):
        return model
    same = [m for m in I.TRAIN_MODELS if family(m).image_channels == c]
    return same[0] if same else next((m for m in I.TRAIN_MODELS if family(m).image_channels is None), model)


def wire_colour_pairing(model: gr.Dropdown, dataset: gr.Dropdown, target: gr.Dropdown, preset: gr.Radio, *,
                        available: list[str], target_update: Callable[[str, str], Any],
                        preset_update: Callable[[str], Any], run: tuple[Any, Any, Any], max_steps: int) -> None:
    """A visitor's choice of model moves the dataset (and its training-image presets) where needed; a choice of
    dataset moves the model (and its penalized part); a switch also sets the new family's default run in `run`
    (the l1, l2 and steps controls: `run_defaults`, steps at most `max_steps`). `.input` only: what a link
    sets is left as it is."""
    run_keys = ("l1", "l2", "steps")
    widgets = {"model": model, "dataset": dataset, "target": target, "preset": preset,
               **dict(zip(run_keys, run, strict=True))}
    after_model, after_dataset = ("dataset", "preset", *run_keys), ("model", "target", *run_keys)  # replies by name

    def defaults_of(m: str) -> dict[str, Any]:
        l1, l2, steps = run_defaults(m)
        return {"l1": l1, "l2": l2, "steps": min(steps, max_steps)}

    def on_model(m: Any, d: Any) -> tuple:
        new = dataset_for_model(m, d, available)
        if new == d:
            return in_order(dict.fromkeys(after_model, gr.skip()), after_model)
        return in_order({"dataset": gr.update(value=new), "preset": preset_update(new), **defaults_of(m)}, after_model)

    def on_dataset(d: Any, m: Any, t: Any) -> tuple:
        new = model_for_dataset(d, m)
        if new == m:
            return in_order(dict.fromkeys(after_dataset, gr.skip()), after_dataset)
        return in_order({"model": gr.update(value=new), "target": target_update(new, t), **defaults_of(new)},
                        after_dataset)

    private = {"api_visibility": "private", "show_progress": "hidden"}
    model.input(on_model, [model, dataset], [widgets[n] for n in after_model], **private)
    dataset.input(on_dataset, [dataset, model, target], [widgets[n] for n in after_dataset], **private)
