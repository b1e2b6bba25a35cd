"""Overfitting in pictures (issue 27): the small-data entries' gap made visible, not only told.

- `reconstruction_picture`: the same training images and the same held-out images through two VAEs (the
  baseline and the selected penalty), one row each: a VAE that memorised its few training images redraws them
  crisply and garbles the unseen ones; the rows put that gap side by side, with each row's measured
  reconstruction error (nats per image: the VAE's own loss term, normgen.losses.bernoulli_nll).
- `reconstruction_view`: that picture for Explore's selected entry when it is a VAE trained on a small
  training set (its baseline: the λ = 0 entry of the same training-set size), cached.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image

from normgen import losses
from normgen.checkpoints import CheckpointError
from normgen.data import Dataset, DatasetUnavailable, dataset_label
from normgen.models import GenerativeModel, family
from normgen.public_text import no_paths
from normgen.render.grids import grid_image
from normgen.service.explore_images import lru_put
from normgen.service.generalization_view import selected
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status
from normgen.service.sessions import get_split
from normgen.zoo.files import load_entry, public_problem
from normgen.zoo.index import Entry

SHOWN = 8  # images per row
MEASURED = 256  # training and held-out images each row's error is measured on (the 300-image VAE: 256 of 300)
PICK_SEED = 0  # which training and held-out images are drawn (a fixed generator: the same images every visit)
SCALE = 2  # six rows of digits: at Explore's grid scale the held-out half fell below a 720-pixel screen


def _pick(data: Dataset, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data), generator=g)[:n]
    return data.images[idx.to(data.images.device)].float().cpu()


@torch.no_grad()
def _reconstruct(model: GenerativeModel, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The reconstructions (z = the encoder's mean, as vae_scores measures it) and their mean error in nats
    per image (the Bernoulli negative log-likelihood summed over the pixels)."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    xb = x.to(dev)
    mu, _ = model.encode(xb)
    logits = model.decode_logits(mu)
    nats = float(losses.bernoulli_nll(logits, xb)) * x[0].numel()
    model.train(was)
    return (torch.sigmoid(logits) * 2 - 1).cpu(), nats


def reconstruction_picture(models: list[tuple[str, GenerativeModel]], seen: Dataset, test: Dataset,
                           scale: int = 3, seed: int = PICK_SEED) -> tuple[Image.Image, dict[str, Any]]:
    """Two blocks of rows, training images then held-out test images: the originals, then each model's
    reconstructions. `seen` are the images the models trained on. Returns the picture and, per model label,
    the mean reconstruction error in nats per image on MEASURED training and MEASURED held-out images."""
    for _, m in models:
        if not family(m.cfg.name).has_elbo:
            raise ValueError("a reconstruction view needs VAEs")
    rows, info = [], {"shown": SHOWN, "measured_train": min(MEASURED, len(seen)),
                      "measured_test": min(MEASURED, len(test)), "seed": seed, "errors": {}}
    for part, data in (("train", seen), ("held-out", test)):
        x = _pick(data, min(MEASURED, len(data)), seed)
        rows.append(x[:SHOWN])
        for label, m in models:
            rec, nats = _reconstruct(m, x)
            rows.append(rec[:SHOWN])
            info["errors"].setdefault(label, {})[part] = nats
    return grid_image(torch.cat(rows), nrow=SHOWN, scale=scale), info


def reconstruction_words(info: dict[str, Any], labels: list[str]) -> str:
    """The point first (each model's error on training and on unseen images, and the gap between them, measured),
    then what each row of the picture is."""
    parts = []
    for lab in labels:
        e = info["errors"][lab]
        parts.append(f"the {lab} {e['train']:.1f} on its training images and {e['held-out']:.1f} on unseen ones "
                     f"(a gap of **{e['held-out'] - e['train']:.1f}**)")
    k = len(labels)
    rows = ", ".join(f"row {i + 2}: the {lab}" for i, lab in enumerate(labels))
    return (f"**Reconstruction error in nats per image** (the VAE's own loss term; lower is better; "
            f"{info['measured_train']:,} training and {info['measured_test']:,} unseen images, drawn with seed "
            f"{info['seed']}): " + "; ".join(parts) + ". A model that memorised its few training images redraws "
            f"them well and garbles new ones. **Top {k + 1} rows:** {info['shown']} training images (row 1), "
            f"{rows}. **Bottom {k + 1} rows:** {info['shown']} held-out test images it never saw, the same way.")


RECON_PROMPT = ("For a VAE trained on a small training set, this shows the same training and held-out images "
                "through the baseline and the selected penalty, so the gap between them is visible.")


@dataclass
class ReconstructionView:
    image: Image.Image | None
    text: str
    stats: dict[str, Any] = field(default_factory=dict)
    key: tuple | None = None


_RECON: OrderedDict[tuple, ReconstructionView] = OrderedDict()


def small_vae(e: Entry | None) -> bool:
    """A VAE-like entry trained on a small training set: where a reconstruction view has a gap to show."""
    return e is not None and bool(e.train_size) and family(e.model).has_elbo


def reconstruction_view(q: ExploreQuery, *, root: str | None = None,
                        data_root: str | None = None) -> ReconstructionView:
    """The selected small-data VAE and its baseline reconstructing the same training and held-out images
    (`reconstruction_picture`), cached; the prompt for any other entry (no data loaded)."""
    index, sel, problem = selected(q, root)
    if problem:
        return ReconstructionView(None, problem)
    if not small_vae(sel):
        return ReconstructionView(None, RECON_PROMPT)
    base = index.baseline(sel.model, sel.dataset, like=sel, train_size=sel.train_size)
    shown = [sel] if base is None or base.id == sel.id else [base, sel]  # the baseline selected: one model
    key = (str(index.root), *(e.sha256 for e in shown), str(data_root))
    if key in _RECON:
        _RECON.move_to_end(key)
        return _RECON[key]
    why = dataset_status(data_root).get(sel.dataset)
    if why:
        return ReconstructionView(None, f"{why}, so its reconstructions cannot be shown here.")
    try:
        cks = [load_entry(e, index.root) for e in shown]
        train, test = get_split(sel.dataset, True, data_root), get_split(sel.dataset, False, data_root)
        seen = cks[-1].config.training_images(train)
    except CheckpointError as exc:
        return ReconstructionView(None, f"A zoo file could not be used: {public_problem(exc).rstrip('.')}.")
    except (DatasetUnavailable, OSError, ValueError) as exc:
        return ReconstructionView(None, f"The {dataset_label(sel.dataset)} images could not be used on this "
                                  f"server ({no_paths(str(exc))}), so its reconstructions cannot be shown here.")
    labels = ["baseline (λ = 0)" if e.is_baseline else "selected penalty" for e in shown]
    img, info = reconstruction_picture(list(zip(labels, (c.model for c in cks), strict=True)), seen, test,
                                       scale=SCALE)
    text = reconstruction_words(info, labels)
    if len(shown) == 1:
        text += " Choose a penalty (λ above 0) to put its reconstructions beside the baseline's."
    view = ReconstructionView(img, text, {"ids": [e.id for e in shown], **info}, ("recon", *key))
    return lru_put(_RECON, key, view, size=8)  # type: ignore[no-any-return]


__all__ = ["reconstruction_picture", "reconstruction_words", "reconstruction_view",
           "ReconstructionView", "RECON_PROMPT", "small_vae", "SHOWN", "MEASURED"]
