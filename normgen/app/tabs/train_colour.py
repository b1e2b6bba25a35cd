"""The Train tab's model and dataset move together where colour demands it: a family built for colour images
(the colour DCGAN: `family(m).image_channels == 3`) cannot train on a grey dataset, so choosing it selects a
colour dataset, and choosing a colour dataset selects the colour family (issue 24: choosing the colour DCGAN
used to leave MNIST selected, and Start answered with an error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from normgen.data import dataset_info
from normgen.models import family
from normgen.service import inputs as I


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
                        preset_update: Callable[[str], Any]) -> None:
    """A visitor's choice of model moves the dataset (and its training-image presets) where needed; a choice of
    dataset moves the model (and its penalized part). `.input` only: what a link sets is left as it is."""

    def on_model(m: Any, d: Any) -> tuple:
        new = dataset_for_model(m, d, available)
        return (gr.skip(), gr.skip()) if new == d else (gr.update(value=new), preset_update(new))

    def on_dataset(d: Any, m: Any, t: Any) -> tuple:
        new = model_for_dataset(d, m)
        return (gr.skip(), gr.skip()) if new == m else (gr.update(value=new), target_update(new, t))

    private = {"api_visibility": "private", "show_progress": "hidden"}
    model.input(on_model, [model, dataset], [dataset, preset], **private)
    dataset.input(on_dataset, [dataset, model, target], [model, target], **private)
