"""Overfitting in pictures (issue 27): the small-data entries' gap made visible, not only told. The same training
images and the same held-out images through two VAEs (the baseline and the selected penalty), one row each: a
VAE that memorised its few training images redraws them crisply and garbles the unseen ones; the rows put that
gap side by side, with each row's measured reconstruction error (nats per image: the VAE's own loss term,
normgen.losses.bernoulli_nll). Stateless; the server's view is normgen.service.data_views.
"""

from __future__ import annotations

from typing import Any

import torch
from PIL import Image

from normgen import losses
from normgen.data import Dataset
from normgen.models import GenerativeModel, family
from normgen.render.grids import grid_image
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



def small_vae(e: Entry | None) -> bool:
    """A VAE-like entry trained on a small training set: where a reconstruction view has a gap to show."""
    return e is not None and bool(e.train_size) and family(e.model).has_elbo


__all__ = ["reconstruction_picture", "reconstruction_words", "RECON_PROMPT", "small_vae", "SHOWN", "MEASURED",
           "PICK_SEED", "SCALE"]
