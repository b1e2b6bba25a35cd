"""Do samples have any structure at all? A statistic measured on the images, so that a number which only means
something for pictures (memorization: is a sample's nearest image a training image?) is not shown for grey tiles
or pixel-level checkerboard noise, where every nearest image is an accident (issue 24: a colour run from scratch
drew grey checkerboards and Train reported "Memorization 100.0%").

Both statistics look at the images averaged over 4×4-pixel blocks, where pixel-level noise and checkerboards
average away and objects, shapes and scenes remain:

- `coarse_contrast(x)`: the mean over images of each image's standard deviation over its blocks and channels
  (a flat tile has none);
- `coarse_variety(x)`: the mean over blocks and channels of the standard deviation across images (the same
  blob in every cell, what a colour GAN draws after ~100 steps from scratch, has almost none).

`structure_ratio` compares samples with real images of the same dataset, the smaller of the two ratios:
1 = as much coarse contrast and variety as real images, ~0 = flat tiles or one tile repeated."""

from __future__ import annotations

import torch
import torch.nn.functional as F

BLOCK = 4  # pixels per block side: coarser than a checkerboard's period (2), finer than an object (32×32 images)
# below this share of real images' coarse contrast or variety a sample set counts as "no structure". Measured
# (512 samples against 512 CIFAR-10 / MNIST test images, block 4): other real test images 0.98 / 1.01, the zoo's
# colour baseline 0.93, the MNIST GAN baseline 1.02, the collapsed colour G-L2-1e-2 entry 0.50 (2.6 classes,
# but scenes); after 95 steps from scratch the colour DCGAN 0.40 (one grey blob in every cell) and the MNIST GAN
# 0.38; uniform noise 0.32 / 0.34, a flat tile 0, a checkerboard < 0.07 (scripts/structure_calibration.py)
MIN_RATIO = 0.45


def coarse_contrast(x: torch.Tensor, block: int = BLOCK) -> float:
    """Mean over images of the std of their block averages (images (N, C, H, W) in [-1, 1])."""
    if x.dim() != 4 or x.shape[0] == 0:
        raise ValueError(f"images must be (N, C, H, W) with N >= 1, got {tuple(x.shape)}")
    pooled = F.avg_pool2d(x.float(), block) if min(x.shape[-2:]) >= block else x.float()
    return float(pooled.flatten(1).std(dim=1, unbiased=False).mean())


def coarse_variety(x: torch.Tensor, block: int = BLOCK) -> float:
    """Mean over blocks and channels of the std across images of their block averages (needs >= 2 images)."""
    if x.dim() != 4 or x.shape[0] < 2:
        raise ValueError(f"images must be (N, C, H, W) with N >= 2, got {tuple(x.shape)}")
    pooled = F.avg_pool2d(x.float(), block) if min(x.shape[-2:]) >= block else x.float()
    return float(pooled.std(dim=0, unbiased=False).mean())


def structure_ratio(samples: torch.Tensor, real: torch.Tensor, block: int = BLOCK) -> float:
    """The smaller of coarse_contrast and coarse_variety of `samples` relative to `real`'s: 1 = as structured
    and varied as real images, ~0 = flat tiles or one tile repeated."""
    ratios = []
    for stat in (coarse_contrast, coarse_variety):
        ref = stat(real, block)
        ratios.append(stat(samples, block) / ref if ref > 0 else 0.0)
    return min(ratios)


def has_structure(ratio: float, min_ratio: float = MIN_RATIO) -> bool:
    return ratio >= min_ratio
