"""The ruler: reference image sets scored by the judge exactly as a generator's samples are, at the same n.

A judge FD means little alone ("is 40 good?"). The ruler places it between known references: real images
(the floor), real images degraded by pixel noise or by losing their objects (8x8 blocks of flat colour,
the colour layout without the things in it), pure noise, and no diversity at all (one image repeated).
The issue that asked for it (24) measured on CIFAR-10 with an independent 88% classifier: real 0.44,
real + noise sigma 0.3: 46.4, 8x8 blocks 68.1, uniform noise 68.1.

Every rung starts from the same `n` random real training images (seeded); noise sigma is on the [0, 1]
pixel scale (sigma 0.1 is 0.2 in the models' [-1, 1] range), and noisy images are clipped to the range.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from normgen.data import Dataset
from normgen.eval.quality import RealReference, real_reference, score_images

Rung = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def gaussian_noise(sigma: float) -> Rung:
    """x + N(0, sigma^2) per pixel, sigma on the [0, 1] scale, clipped to [-1, 1]."""

    def make(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=g) * (2 * sigma)
        return (x + noise).clamp_(-1, 1)

    return make


def colour_blocks(x: torch.Tensor, g: torch.Generator, blocks: int = 8) -> torch.Tensor:
    """Each image averaged to blocks x blocks flat cells, then upsampled (nearest) to its size."""
    return F.interpolate(F.adaptive_avg_pool2d(x, blocks), size=x.shape[-2:], mode="nearest")


def uniform_noise(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Every pixel uniform in [-1, 1], independently."""
    return torch.rand(x.shape, generator=g) * 2 - 1


def one_image(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The first image, repeated n times: no diversity at all."""
    return x[:1].expand_as(x).clone()


# rung name -> (what it is on screen, how it is made from real images x in [-1, 1] and a generator)
RUNGS: dict[str, tuple[str, Rung]] = {
    "real": ("real vs real", lambda x, g: x),
    "noise0.1": ("real + noise σ 0.1", gaussian_noise(0.1)),
    "noise0.3": ("real + noise σ 0.3", gaussian_noise(0.3)),
    "blocks8": ("real as 8×8 colour blocks", colour_blocks),
    "uniform": ("uniform noise", uniform_noise),
    "repeat": ("one image repeated", one_image),
}


def ruler(judge, train: Dataset, test: Dataset, *, n: int, seed: int = 0,
          ref: RealReference | None = None) -> dict[str, float]:
    """{rung: FD} of every RUNGS reference against the real test set, by `score_images` (the scoring of
    every generator), each from the same `n` random training images."""
    ref = ref or real_reference(judge, test)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=g)[:n]
    x = train.images[idx.to(train.images.device)].cpu().float()
    out = {}
    for name, (_, make) in RUNGS.items():
        images = make(x, torch.Generator().manual_seed(seed + 1))
        out[name] = round(float(score_images(images, judge, ref)["fd"]), 3)
    return out


def rung_label(name: str) -> str:
    return RUNGS[name][0] if name in RUNGS else name


def placement(fd: float, rungs: dict[str, float]) -> str:
    """Where an FD lands on the ruler: 'between real + noise σ 0.1 (12.0) and real + noise σ 0.3 (30.1)'."""
    ordered = sorted(rungs.items(), key=lambda kv: kv[1])
    if not ordered:
        return ""
    below = [(k, v) for k, v in ordered if v <= fd]
    above = [(k, v) for k, v in ordered if v > fd]
    if not below:
        return f"below {rung_label(above[0][0])} ({above[0][1]:.1f})"
    if not above:
        return f"above {rung_label(below[-1][0])} ({below[-1][1]:.1f})"
    (lo, lv), (hi, hv) = below[-1], above[0]
    return f"between {rung_label(lo)} ({lv:.1f}) and {rung_label(hi)} ({hv:.1f})"
