"""Train's part of the shareable link: its fragment (train_-prefixed keys) and the page-load restore
(`make_load_fn(root, data_root)(q)` -> updates for `TrainTab.load_outputs()`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from normgen.app.replies import in_order
from normgen.app.tabs.explore import target_choices
from normgen.data import dataset_label
from normgen.models import family
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS
from normgen.service import inputs as I
from normgen.service import links
from normgen.service.requests import TRAIN_KEYS
from normgen.service.server_datasets import dataset_status
from normgen.service.train_plan import device_name
from normgen.zoo.select import DEFAULT_MODEL

# defaults a learner sees change: fine-tuning the zoo baseline at L1 1e-2 for 150 steps visibly thins the
# strokes and raises the near-zero weights (a much smaller λ shows nothing in a short run)
DEFAULT_L1, DEFAULT_L2 = 1e-2, 0.0
DEFAULT_STEPS = 150


def defaults(dataset: str, can_finetune: bool, max_steps: int, max_seconds: float) -> dict[str, Any]:
    return {"model": DEFAULT_MODEL, "dataset": dataset, "g_norm": G_NORMS[0], "l1": DEFAULT_L1, "l2": DEFAULT_L2,
            "target": family(DEFAULT_MODEL).sampler_part, "variant": VARIANTS[0], "seed": 0,
            "steps": min(DEFAULT_STEPS, max_steps), "seconds": min(60, max_seconds),
            "start": "finetune" if can_finetune and device_name() == "cpu" else "scratch", "train_size": 0,
            "dropout": 0.0, "loss": "ns", **I.CYCLE_DEFAULTS}


LOAD = (*TRAIN_KEYS, "query")  # the page load's reply, by name: TrainTab.load_outputs()


def train_fragment(*values: Any) -> str:
    """Train's link fragment from its inputs (TrainTab.inputs() order)."""
    return fragment_of(dict(zip(TRAIN_KEYS, values, strict=True)))


def fragment_of(values: Mapping[str, Any]) -> str:
    """Train's link fragment ('train_model=gan&train_l1=1e-2&...', no '?') of the values present, in the /train
    order."""
    return links.fragment(links.PREFIXES["train"], {k: values[k] for k in TRAIN_KEYS if k in values})


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """fn(q) -> updates for `TrainTab.load_outputs()` from a parsed page query (links.parse_page_query: its
    train_-prefixed keys checked, a bad one dropped and named by the page load). A missing key leaves its control
    as it is; the link box gets the restored fragment."""

    def load(q: dict[str, Any]) -> tuple:
        got = links.part(q or {}, "train")  # checked by the page load, which names a bad value
        if "dataset" in got and dataset_status(data_root).get(got["dataset"]):
            gr.Warning(f"Link: {dataset_label(got['dataset'])} is not on this server; Train keeps its dataset.")
            got.pop("dataset")
        out = {key: got.get(key, gr.skip()) for key in TRAIN_KEYS}
        if "model" in got:
            out["target"] = gr.update(choices=target_choices(got["model"]),
                                      value=got.get("target", I.target_choices(got["model"])[0]))
        return in_order({**out, "query": fragment_of(got) if got else gr.skip()}, LOAD)

    return load


