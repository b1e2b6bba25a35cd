"""Which zoo entries Explore shows for a requested setting: the exact entry or the nearest one the zoo
trained (in log-lambda, relaxing update rule then target), the unregularized baseline of the same
training-set size and dropout rate beside it, and the notes that tell the user what was substituted
(`select`, `Selection`). Reads the zoo index only; loads no checkpoint and holds no state, so it lives with
the zoo: the server's request type (normgen.service.requests.ExploreQuery) is one `Setting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from normgen.data import dataset_label
from normgen.losses import LOSS_SETTING_WORDS, LOSS_SETTINGS, loss_setting
from normgen.models import model_label
from normgen.regularizers import variant_label
from normgen.zoo.index import Entry, ZooIndex, family_dropout
from normgen.zoo.readings import images_words
from normgen.zoo.texts.report import describe, lambda_terms


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
    l1_l2 = {"model": model, "dataset": dataset, "group": 0.0, "act": 0.0}  # Explore shows L1 / L2 settings
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
