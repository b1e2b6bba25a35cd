"""Sampling from a model with noise fixed by a seed, so every grid of one seed is comparable."""

from __future__ import annotations

import torch

from normgen.models import GenerativeModel


@torch.no_grad()
def sample(model: GenerativeModel, n: int, seed: int) -> torch.Tensor:
    """`n` samples (n, C, H, W) in [-1, 1] on the CPU, from noise drawn on the CPU by `seed`.

    The noise never depends on the device, so a seed gives the same latent batch everywhere; the
    conditional GAN gets one class per grid row (`model.labels_for`).
    """
    if not 1 <= n <= 4096:
        raise ValueError(f"n must be in [1, 4096], got {n}")
    g = torch.Generator().manual_seed(int(seed))
    dev = next(model.parameters()).device
    z = model.latent(n, g).to(dev)
    y = model.labels_for(n)
    was_training = model.training
    model.eval()
    try:
        x = model.generate(z, None if y is None else y.to(dev)).float().cpu()
    finally:
        model.train(was_training)
    return x


ROW_LABELS = ("a", "G(a)", "F(G(a))", "truth")  # the columns of a translator's rows picture


@torch.no_grad()
def translation_rows(model: GenerativeModel, n: int, seed: int) -> torch.Tensor:
    """A translator's picture: n inputs a chosen by `seed` (its fixed probe images, as `sample` draws them),
    each one row a | G(a) | F(G(a)) | ground truth: (n * 4, C, H, W) in [-1, 1] on the CPU, row-major
    (a grid of 4 columns). Raises for a family that does not translate."""
    if not model.translates:
        raise ValueError(f"the {model.label} does not translate images; rows need a translator (the Cycle GAN)")
    if not 1 <= n <= 1024:
        raise ValueError(f"n must be in [1, 1024], got {n}")
    g = torch.Generator().manual_seed(int(seed))
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        rows = model.rows(model.latent(n, g).to(dev)).float().cpu()  # (4, n, C, H, W)
    finally:
        model.train(was_training)
    return rows.transpose(0, 1).reshape(-1, *rows.shape[2:])
