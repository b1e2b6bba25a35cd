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
