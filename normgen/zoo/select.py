"""Which zoo entries Explore shows for a requested setting: the exact entry or the nearest one the zoo
trained (in log-lambda, relaxing update rule then target), the unregularized baseline of the same
training-set size and dropout rate beside it, and the notes that tell the user what was substituted
(`select`, `Selection`); and what Explore's controls offer and open on (`zoo_choices`, `defaults`, the λ sliders'
stops: `lambda_values`, `slider_pos`), and the baseline's other training seed that shows seed noise
(`noise_partner`). Reads the zoo index only; loads no checkpoint and holds no state, so it
lives with the zoo: the server's request type (normgen.service.requests.ExploreQuery) is one `Setting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from normgen.data import OFFLINE_DATASET, dataset_label
from normgen.losses import LOSS_SETTING_WORDS, LOSS_SETTINGS, loss_setting
from normgen.models import SAMPLE_MODELS, family, model_label
from normgen.models.config import G_NORMS
from normgen.regularizers import PENALTIES, VARIANTS, variant_label
from normgen.zoo.index import Entry, ZooIndex, family_dropout
from normgen.zoo.readings import images_words
from normgen.zoo.texts.report import describe, lambda_terms

DEFAULT_MODEL, DEFAULT_DATASET = "gan", "mnist"  # the first screen, when the zoo / this server has them
SLIDERS = ("l1", "l2")  # Explore's λ sliders
ONLY_SLIDERS = {k: 0.0 for k in PENALTIES if k not in SLIDERS}  # Explore's entries: no other penalty set


class Setting(Protocol):
    """What `select` reads of a request: the setting asked for (the noise seed plays no part)."""

    model: str
    dataset: str
    g_norm: str
    l1: float
    l2: float
    target: str
    variant: str
    train_size: int
    dropout: float
    loss: str


@dataclass
class Selection:
    """Which zoo entries to show for a requested setting, and what to tell the user about it."""

    selected: Entry | None
    baseline: Entry | None
    exact: bool
    notes: list[str] = field(default_factory=list)


def select(index: ZooIndex, q: Setting) -> Selection:
    """Pick the entry to show for the requested setting and its unregularized baseline, by the zoo's
    own rules (`ZooIndex.nearest` / `baseline`) among the L1 / L2 (and dropout) entries trained on
    `train_size` images (0 = all): the exact setting, else the nearest in log-lambda at that dropout
    rate (relaxing variant, then target); the baseline of the same size most like it. A size or a
    dropout rate the zoo lacks falls back to one it has, with a note. `loss` (an losses.LOSS_SETTINGS name)
    other than the non-saturating one selects the entries trained with it (`_select_loss`). The noise
    seed of `q` plays no part."""
    model, dataset, g_norm, l1, l2, target, variant = q.model, q.dataset, q.g_norm, q.l1, q.l2, q.target, q.variant
    train_size, dropout, loss = q.train_size, q.dropout, q.loss
    l1_l2 = {"model": model, "dataset": dataset, **ONLY_SLIDERS}
    if not index.find(**l1_l2):
        have = sorted({f"{model_label(e.model)} on {dataset_label(e.dataset)}" for e in index.entries})
        return Selection(None, None, False, [
            f"The zoo has no {model_label(model)} trained on {dataset_label(dataset)}. "
            f"It has: {'; '.join(have) or 'nothing'}. Pick one of those, or train this setting in the Train tab."])
    notes = []
    dropout = dropout or family_dropout(model)  # 0 asks for the family's own (the colour DCGAN's D has 0.3)
    sizes = index.values("train_size", **l1_l2)
    if train_size not in sizes:
        use = 0 if 0 in sizes else sizes[0]
        notes.append(f"The zoo has no {model_label(model)} on {dataset_label(dataset)} trained on "
                     f"{images_words(train_size)}; it has {', '.join(images_words(n) for n in sizes)}. "
                     f"Showing {images_words(use)}.")
        train_size = use
    l1_l2["train_size"] = train_size
    rates = index.values("dropout", **l1_l2)
    if not any(math.isclose(dropout, r, abs_tol=1e-9) for r in rates):
        use_rate = min(rates, key=lambda r: abs(r - dropout))
        notes.append(f"The zoo has no {model_label(model)} on {images_words(train_size)} with dropout "
                     f"{dropout:g}; showing dropout {use_rate:g}.")
        dropout = use_rate
    norms = index.values("g_norm", **l1_l2)
    if g_norm not in norms:
        notes.append(f"The zoo has no {model_label(model)} on {dataset_label(dataset)} with generator "
                     f"normalization '{g_norm}'; showing '{norms[0]}' instead.")
        g_norm = norms[0]
    where = {**l1_l2, "g_norm": g_norm}
    setting = (*LOSS_SETTINGS[loss], "all")
    if loss != "ns":
        if any(e.setting == setting for e in index.find(**where)):
            return _select_loss(index, where, setting, l1, l2, target, variant, dropout, notes)
        notes.append(f"The zoo has no {model_label(model)} on {dataset_label(dataset)} trained with the "
                     f"{LOSS_SETTING_WORDS[loss]} loss; showing the {LOSS_SETTING_WORDS['ns']} loss.")
    if l1 == 0 and l2 == 0 and dropout == family_dropout(model):
        sel = index.baseline(**where)
        if sel is None:
            notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset.")
        return Selection(sel, sel, sel is not None, notes)
    sel = index.nearest(l1=l1, l2=l2, relax=("variant", "target"), target=target, variant=variant,
                        dropout=dropout, **where)
    penalized = bool(l1 or l2)  # with no penalty, target and update rule do not matter
    is_exact = sel is not None and (not penalized or (sel.target == target and sel.variant == variant)) and (
        math.isclose(sel.l1, l1, rel_tol=1e-6) and math.isclose(sel.l2, l2, rel_tol=1e-6))
    if not is_exact:
        asked = ", ".join(lambda_terms({"l1": l1, "l2": l2}, zeros=True))
        want = f"{asked} on the {target} ({variant_label(variant)})" + (f" with dropout {dropout:g}"
                                                                       if dropout != family_dropout(model)
                                                                       else "")
        if sel is None:
            sel = index.baseline(**where)
            notes.append(f"**Not in the zoo:** {want}. The zoo has no regularized {model_label(model)} on "
                         f"{dataset_label(dataset)} yet" + (", so both sides show the baseline." if sel else "."))
        else:
            notes.append(f"**Not in the zoo:** {want}. Showing the nearest trained setting instead: "
                         f"{describe(sel)}. Use **Train this setting** to train the exact one.")
    base = index.baseline(**where, like=sel)
    if base is None:
        notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset"
                     f"{' on ' + images_words(train_size) if train_size else ''}, so there is nothing to "
                     "compare with.")
    return Selection(sel, base, is_exact, notes)


def _select_loss(index: ZooIndex, where: dict[str, Any], setting: tuple[str, str, str], l1: float, l2: float,
                 target: str, variant: str, dropout: float, notes: list[str]) -> Selection:
    """Another adversarial loss: its entry nearest the asked λ (its λ = 0 entry when it has no penalized
    one), beside the non-saturating baseline of the same seed where there is one, so the baseline's seed
    spread is the yardstick for the loss as for a penalty."""
    words = LOSS_SETTING_WORDS[loss_setting(*setting[:2]) or "ns"]
    own = [e for e in index.find(**where) if e.setting == setting]
    sel = index.nearest(l1=l1, l2=l2, relax=("variant", "target"), target=target, variant=variant,
                        dropout=dropout, setting=setting, **where) if (l1 or l2) else None
    if sel is None:
        sel = min((e for e in own if e.is_baseline), key=lambda e: e.seed, default=None) or own[0]
    exact = math.isclose(sel.l1, l1, rel_tol=1e-6) and math.isclose(sel.l2, l2, rel_tol=1e-6)
    if not exact:
        notes.append(f"**Not in the zoo:** the {words} loss with {', '.join(lambda_terms({'l1': l1, 'l2': l2}))}."
                     f" Showing the {words} loss with {describe(sel, loss=False)}.")
    stores = sorted(set(sel.parts))
    base = index.baseline(**where, seed=sel.seed, stores=stores) or index.baseline(**where)
    if base is None:
        notes.append("The zoo has no non-saturating, unregularized checkpoint of this model and dataset to "
                     "compare with.")
    return Selection(sel, base, exact, notes)


# ----------------------------------------------------------------------------------------------
# what Explore's controls offer and open on


def zoo_choices(index: ZooIndex, model: str | None = None, dataset: str | None = None,
                train_size: int | None = None) -> dict[str, list]:
    """What the Explore controls can offer: models, datasets, g_norms, L1 and L2 lambdas
    (always 0 plus the zoo's values), targets and variants, for `model` on `dataset` when given;
    training-set sizes (0 = all) of those, and dropout rates (always 0) and the rest at `train_size`
    when given."""
    filt: dict[str, Any] = dict(ONLY_SLIDERS)
    if model:
        filt["model"] = model
    if dataset:
        filt["dataset"] = dataset
    sizes = index.values("train_size", **filt)
    if train_size is not None:
        filt["train_size"] = train_size
    return {
        "train_size": sizes or [0],
        "dropout": sorted({0.0, *index.values("dropout", **filt)}),
        "model": [m for m in index.values("model") if m in SAMPLE_MODELS],
        "dataset": index.values("dataset", **({"model": model} if model else {})),
        "g_norm": index.values("g_norm", **filt),
        "l1": sorted({0.0, *index.values("l1", **filt)}),
        "l2": sorted({0.0, *index.values("l2", **filt)}),
        "target": index.values("target", **filt),
        "variant": index.values("variant", **filt),
        "seed": index.values("seed", **filt),
        # the adversarial losses the zoo trained (LOSS_SETTINGS names, in their order): Explore's Loss control
        "loss": [k for k in LOSS_SETTINGS if k in {loss_setting(*e.setting[:2]) for e in index.find(**filt)}] or ["ns"],
    }


def zoo_targets(index, model: str, dataset: str, train_size: int) -> list[str]:
    """The parts the zoo's L1 / L2 entries of `model` on `dataset` at `train_size` penalize, most used first."""
    ts = [e.target for e in index.find(model=model, dataset=dataset, train_size=train_size, **ONLY_SLIDERS)
          if e.l1 or e.l2]
    return sorted(set(ts), key=lambda t: (-ts.count(t), t))


def _whole(v: Any) -> int | None:
    """`v` as a whole number (a training-set size from a link or a box), else None."""
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(f) if f.is_integer() and not isinstance(v, bool) else None


def defaults(index, model: str | None = None, dataset: str | None = None,
             train_size: Any = None) -> dict[str, Any]:
    """Starting values: the first model / dataset of the zoo (the default ones, a GAN on MNIST, when
    present), all training images (or `train_size` where the zoo has it), its middle non-zero L1 λ, so
    the first screen already shows a difference, and the family's sampling part as the penalty target
    (the part the zoo penalizes at that size, when it never penalizes the sampling part there)."""
    c = zoo_choices(index)
    models = c["model"] or [DEFAULT_MODEL]
    model = model if model in models else (DEFAULT_MODEL if DEFAULT_MODEL in models else models[0])
    c = zoo_choices(index, model)
    datasets = c["dataset"] or [OFFLINE_DATASET]
    dataset = dataset if dataset in datasets else (DEFAULT_DATASET if DEFAULT_DATASET in datasets else datasets[0])
    sizes = zoo_choices(index, model, dataset)["train_size"]
    size = _whole(train_size)
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


def offered(v: Any, values: list[float]) -> bool:
    """True when `v` is one of `values` (a trained λ or rate, up to float rounding)."""
    try:
        return any(abs(float(v) - x) <= 1e-12 + 1e-9 * abs(x) for x in values)
    except (TypeError, ValueError):
        return False


def lambda_values(index, which: str, model: str, dataset: str, train_size: int, target: str | None) -> list[float]:
    """The slider's stops for `which` ("l1" / "l2"): 0 (off) and the zoo's trained values for this model,
    dataset and training-set size, those on `target` when the zoo penalizes it with `which` (else any part)."""
    where = {"model": model, "dataset": dataset, "train_size": train_size, **ONLY_SLIDERS}
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


def noise_partner(index: ZooIndex, base: Entry) -> Entry | None:
    """Another training seed of the same baseline recipe (the lowest seed other than `base`'s), or None
    when the zoo trained it once: the two show what changes from the training seed alone."""
    cands = [e for e in index.find(model=base.model, dataset=base.dataset, train_size=base.train_size,
                                   g_norm=base.g_norm, d_norm=base.d_norm, variant=base.variant, **ONLY_SLIDERS)
             if e.is_baseline and e.seed != base.seed and e.steps == base.steps and e.setting == base.setting]
    return min(cands, key=lambda e: e.seed) if cands else None
