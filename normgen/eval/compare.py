"""How two sets of samples drawn from the same noise differ, pixel by pixel.

Explore shows a baseline and a regularized model side by side from one latent batch; the difference
map it draws and the "mean pixel change" it prints are both measured here, so the picture and the
number cannot disagree. Samples are (N, C, H, W) in [-1, 1], so a pixel's change lies in [0, 2].
"""

from __future__ import annotations

import torch


def pixel_change(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|b - a| per pixel, same shape as the inputs."""
    if a.shape != b.shape:
        raise ValueError(f"samples to compare must have one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return (b - a).abs()


def mean_pixel_change(a: torch.Tensor, b: torch.Tensor) -> float:
    """The mean of `pixel_change` over every pixel of every sample."""
    return float(pixel_change(a, b).mean())


def saturated_change(a: torch.Tensor, b: torch.Tensor, full: float) -> torch.Tensor:
    """`pixel_change` / `full`, clipped to [0, 1]: 1 wherever a pixel moved by `full` or more (the
    scale of a heat map, which would otherwise be dominated by a few large changes)."""
    if not full > 0:
        raise ValueError(f"full must be positive, got {full!r}")
    return (pixel_change(a, b) / full).clamp(0, 1)
