"""Explore's plain functions: the controls' choices and starting values, the log-scale λ sliders'
stops and readouts, and the link line (normgen.app.tabs.explore lays them out and wires them)."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

from normgen.data import dataset_label
from normgen.losses import LOSS_SETTING_WORDS, LOSS_SETTINGS
from normgen.models import TARGETS, family, model_label
from normgen.models.config import G_NORMS
from normgen.regularizers import VARIANTS, VARIANTS_INFO
from normgen.service import inputs as I
from normgen.service import links
from normgen.service.server_datasets import train_size_label
from normgen.service.zoo_access import get_index, zoo_choices
from normgen.words import fmt_lambda
from normgen.zoo import ladder

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
    c = zoo_choices(index)
    models = c["model"] or [I.DEFAULT_MODEL]
    model = model if model in models else (I.DEFAULT_MODEL if I.DEFAULT_MODEL in models else models[0])
    c = zoo_choices(index, model)
    datasets = c["dataset"] or [I.OFFLINE_DATASET]
    dataset = dataset if dataset in datasets else (I.DEFAULT_DATASET if I.DEFAULT_DATASET in datasets else datasets[0])
    sizes = zoo_choices(index, model, dataset)["train_size"]
    size = _size(train_size)
    size = size if size in sizes else (0 if 0 in sizes else sizes[0])
    c = zoo_choices(index, model, dataset, size)
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
            "train_size": size, "dropouts": c["dropout"], "dropout": 0.0, "losses": c["loss"],
            "loss": "ns" if "ns" in c["loss"] else c["loss"][0]}


def control_updates(index, model: str, dataset: str | None, keep: dict[str, Any],
                    data_root: str | None = None) -> list:
    """New choices (and values, kept where still offered) for model, dataset, g_norm, l1, l2, target,
    training images, dropout and the loss (`ExploreTab.controls()`'s order; l1 and l2, hidden Numbers, get a
    value only). A target is kept where the
    zoo penalizes it at the chosen size (any of the model's targets where it penalizes none). The Loss
    control is shown only where the zoo trained this model and dataset with more than one loss."""
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
            gr.update(value=l1),
            gr.update(value=l2),
            gr.update(choices=target_choices(d["model"]), value=t if keep_t else d["target"]),
            gr.update(choices=train_size_choices(d["dataset"], d["train_sizes"], data_root), value=d["train_size"]),
            gr.update(choices=dropout_choices(d["dropouts"]), value=drop),
            gr.update(choices=loss_choices(d["losses"], index, d["model"], d["dataset"]), visible=len(d["losses"]) > 1,
                      value=keep["loss"] if keep.get("loss") in d["losses"] else d["loss"],
                      **dict(zip(("label", "info"), loss_words(index, d["model"], d["dataset"]), strict=True)))]


def _offered(v: Any, values: list[float]) -> bool:
    try:
        return any(abs(float(v) - x) <= 1e-12 + 1e-9 * abs(x) for x in values)
    except (TypeError, ValueError):
        return False


def lambda_values(index, which: str, model: str, dataset: str, train_size: int, target: str | None) -> list[float]:
    """The slider's stops for `which` ("l1" / "l2"): 0 (off) and the zoo's trained values for this model,
    dataset and training-set size, those on `target` when the zoo penalizes it with `which` (else any part)."""
    where = {"model": model, "dataset": dataset, "train_size": train_size, "group": 0.0, "act": 0.0}
    vals = index.values(which, **where, target=target) if target else []
    if not [v for v in vals if v > 0]:
        vals = index.values(which, **where)
    return sorted({0.0, *(float(v) for v in vals)})


def slider_pos(values: list[float], lam: float) -> int:
    """The stop nearest `lam` in log-λ (0 only for 0)."""
    if lam <= 0 or len(values) < 2:
        return 0
    nonzero = [(i, v) for i, v in enumerate(values) if v > 0]
    return min(nonzero, key=lambda iv: abs(math.log10(iv[1]) - math.log10(lam)))[0]


def readout(which: str, values: list[float], lam: float) -> str:
    """The value beside a slider, written as on every screen (`1e-4`), and, for a value the zoo did
    not train (a shared link, an API call), which trained value the slider shows instead."""
    name = which.upper()
    shown = values[slider_pos(values, lam)]
    top = fmt_lambda(values[-1]) if values[-1] > 0 else "0"
    s = f"{name} λ = **{'0 (off)' if shown == 0 else fmt_lambda(shown)}**  ·  {len(values)} trained values, 0 … {top}"
    if not _offered(lam, values):
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
