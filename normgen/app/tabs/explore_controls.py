"""Explore's plain functions: the controls' choices and starting values, the log-scale λ sliders'
stops and readouts, and the link line (normgen.app.tabs.explore lays them out and wires them)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from normgen.data import dataset_label
from normgen.losses import LOSS_SETTING_WORDS, LOSS_SETTINGS
from normgen.models import TARGETS, model_label
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS, VARIANTS_INFO
from normgen.service import inputs as I
from normgen.service import links
from normgen.service.server_datasets import train_size_label
from normgen.service.zoo_access import get_index
from normgen.words import fmt_lambda
from normgen.zoo import ladder
from normgen.zoo.select import defaults, offered, slider_pos

SLIDER_LABEL = {"l1": "L1 penalty: λ·Σ|w| (pulls weights to 0)", "l2": "L2 penalty: λ·Σw² (shrinks weights)"}


def train_size_choices(dataset: str, sizes: list[int], data_root: str | None = None) -> list[tuple[str, int]]:
    """'all 60,000' (the split's real size) first, then the zoo's subsets, largest first."""
    return [(train_size_label(dataset, n, data_root), int(n)) for n in sorted(sizes, key=lambda n: (n != 0, -n))]


def dropout_choices(rates: list[float]) -> list[tuple[str, float]]:
    return [("0 (off)" if r == 0 else f"{r:g}", float(r)) for r in rates]


LOSS_LABEL = "Loss: how the GAN is trained"
LOSS_INFO = ("weight clipping keeps every discriminator weight in [−c, c]: an L∞ bound, the third norm beside L1 "
             "and L2")
LADDER_LABEL = "The Lipschitz ladder: how the discriminator is bounded (FD, verdict, σ_max per layer)"


def _rungs(index: Any, model: str, dataset: str | None) -> list[ladder.Rung]:
    """The colour block's ladder where `model` on `dataset` has one in the index, else []."""
    if index is None or model != ladder.COLOUR_MODEL or not dataset or not ladder.baselines(index, dataset):
        return []
    return ladder.ladder(index, dataset)


def loss_choices(losses: list[str] | tuple[str, ...] = tuple(LOSS_SETTINGS), index: Any = None, model: str = "",
                 dataset: str | None = None) -> list[tuple[str, str]]:
    """The adversarial losses as the Loss control offers them (losses.LOSS_SETTINGS names). For the colour block
    the control reads as the Lipschitz ladder: the baseline, then each rung the zoo has, bottom to
    top, each with its FD against the baseline's spread and its σ_max per layer, all from the index."""
    rungs = _rungs(index, model, dataset)
    if not rungs:
        return [(LOSS_SETTING_WORDS[k], k) for k in losses]
    out = [(ladder.baseline_label(index, dataset or ""), "ns")] if "ns" in losses else []
    out += [(ladder.choice_label(r), r.loss) for r in rungs if r.loss in losses]
    return out + [(LOSS_SETTING_WORDS[k], k) for k in losses if k not in {v for _, v in out}]  # none left out


def loss_words(index: Any = None, model: str = "", dataset: str | None = None) -> tuple[str, str]:
    """(label, info) of the Loss control: the ladder's words for the colour block, where its L2-on-D rung
    (a penalty, not a loss) is named with its numbers and how to open it."""
    rungs = _rungs(index, model, dataset)
    if not rungs:
        return LOSS_LABEL, LOSS_INFO
    l2 = next((r for r in rungs if not r.loss), None)
    info = ("Rungs bottom to top: none, L2 on D, clipping (L∞), gradient penalty, spectral norm; one seed each, "
            "judged against the baseline seeds' and sampling spread.")
    if l2 is not None and l2.entry is not None:
        numbers = ladder.choice_label(l2).split(" · ", 1)[1]  # 'FD 77.1 (worse) · σ_max ...'
        info += (f" {l2.label} ({numbers}) is a penalty, not a loss: pick the discriminator as the penalized part "
                 f"and L2 λ {l2.entry.l2:g}.")
    return LADDER_LABEL, info


def model_choices(models: list[str]) -> list[tuple[str, str]]:
    return [(model_label(m), m) for m in models]


def dataset_choices(datasets: list[str]) -> list[tuple[str, str]]:
    return [(dataset_label(d), d) for d in datasets]


def target_choices(model: str | None) -> list[tuple[str, str]]:
    """The parts of `model` a penalty can target (every target of any model when None)."""
    names = I.target_choices(model) if model else TARGETS
    return [(t if t != "both" else "both parts", t) for t in names]


def variant_choices() -> list[tuple[str, str]]:
    return [(VARIANTS_INFO[v].choice, v) for v in VARIANTS]


def g_norm_choices(g_norms: list[str] | tuple[str, ...] = G_NORMS) -> list[tuple[str, str]]:
    return [(I.G_NORM_LABELS[v], v) for v in g_norms]


def control_updates(index, model: str, dataset: str | None, keep: dict[str, Any],
                    data_root: str | None = None) -> list:
    """New choices (and values, kept where still offered) for model, dataset, g_norm, l1, l2, target,
    training images, dropout and the loss (`ExploreTab.controls()`'s order; l1 and l2, hidden Numbers, get a
    value only). A target is kept where the
    zoo penalizes it at the chosen size (any of the model's targets where it penalizes none). The Loss
    control is shown only where the zoo trained this model and dataset with more than one loss."""
    d = defaults(index, model, dataset, keep.get("train_size"))
    l1 = keep.get("l1") if offered(keep.get("l1"), d["l1s"]) else d["l1"]
    l2 = keep.get("l2") if offered(keep.get("l2"), d["l2s"]) else d["l2"]
    g = keep.get("g_norm") if keep.get("g_norm") in d["g_norms"] else d["g_norm"]
    t = keep.get("target")
    keep_t = t in I.target_choices(d["model"]) and (not d["targets"] or t in d["targets"])
    drop = float(keep["dropout"]) if offered(keep.get("dropout"), d["dropouts"]) else d["dropout"]
    return [gr.update(choices=model_choices(d["models"]), value=d["model"]),
            gr.update(choices=dataset_choices(d["datasets"]), value=d["dataset"]),
            gr.update(choices=g_norm_choices(d["g_norms"]), value=g),
            gr.update(value=l1),
            gr.update(value=l2),
            gr.update(choices=target_choices(d["model"]), value=t if keep_t else d["target"]),
            gr.update(choices=train_size_choices(d["dataset"], d["train_sizes"], data_root), value=d["train_size"]),
            gr.update(choices=dropout_choices(d["dropouts"]), value=drop),
            gr.update(choices=loss_choices(d["losses"], index, d["model"], d["dataset"]), visible=len(d["losses"]) > 1,
                      value=keep["loss"] if keep.get("loss") in d["losses"] else d["loss"],
                      **dict(zip(("label", "info"), loss_words(index, d["model"], d["dataset"]), strict=True)))]


def readout(which: str, values: list[float], lam: float) -> str:
    """The value beside a slider, written as on every screen (`1e-4`), and, for a value the zoo did
    not train (a shared link, an API call), which trained value the slider shows instead."""
    name = which.upper()
    shown = values[slider_pos(values, lam)]
    top = fmt_lambda(values[-1]) if values[-1] > 0 else "0"
    s = f"{name} λ = **{'0 (off)' if shown == 0 else fmt_lambda(shown)}**  ·  {len(values)} trained values, 0 … {top}"
    if not offered(lam, values):
        s += f"  \n{name} λ = {fmt_lambda(lam)} was asked: not trained, so the nearest trained value is shown."
    return s


def page_link(state: dict[str, Any], request: gr.Request | None) -> str:
    """Markdown with a link that reopens this exact view (query string read on page load)."""
    qs = "?" + links.fragment(links.PREFIXES["explore"], state)
    base = ""
    if request is not None:
        ref = (getattr(request, "headers", None) or {}).get("referer", "")
        base = ref.split("?", 1)[0].split("#", 1)[0]
    url = f"{base}{qs}" if base else qs
    return f"**Link to this view:** [{url}]({url})"


def load_index(root: str | None) -> I.ZooIndex:
    """The zoo index at `root`, or an empty one when it is malformed (Explore explains that in its note)."""
    try:
        return get_index(root)
    except ValueError:
        return I.ZooIndex(root=I.zoo_root(root))
