"""Data copying, measured as the literature does (Meehan, Chaudhuri & Dasgupta 2020, "A non-parametric test
to detect data-copying in generative models", https://arxiv.org/abs/2004.05675): in a judge's feature space,
how near are generated samples to the training images, compared with how near new real images are?

For each generated sample, its distance to the nearest of the model's training images; for each held-out
real image (never trained on), the same distance. Then

- `copy_ratio`: median sample distance / median held-out distance. 1 = samples sit as far from the training
  images as new real images do; well below 1 = closer than real data ever is (copying); above 1 = farther
  (samples unlike any training image: blur, artefacts).
- `near_copy_pct`: % of samples nearer a training image than the 1st percentile of the held-out distances,
  the closest 1% that new real images reach. Real held-out data scores ~1% by construction; copies, ~100%.
- `copy_closer_pct`: the Mann-Whitney statistic behind Meehan et al.'s test, as a percentage: the chance
  that a sample is nearer the training set than a held-out image is (50% = no copying).

Why features, not pixels: in pixel space a blurry average lies near many training images at once, so the
pixel nearest-neighbour share (normgen.eval.generalization.memorization) rises with blur, not with copying.
"""

from __future__ import annotations

import torch

NEAR_QUANTILE = 0.01  # the held-out distances' 1st percentile: closer than this is a near-copy
NEARER_THAN = f"{100 * (1 - NEAR_QUANTILE):g}%"  # '99%': a near-copy is nearer a training image than this share
# of new real images are
REAL_SHARE = f"{100 * NEAR_QUANTILE:g}%"  # '1%': new real images' own near-copy share, by construction


@torch.no_grad()
def nn_distance(a: torch.Tensor, pool: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """The L2 distance of each row of `a` (N, D) to its nearest row of `pool` (M, D), float64 on the CPU."""
    a, pool = a.flatten(1).double().cpu(), pool.flatten(1).double().cpu()
    return torch.cat([torch.cdist(a[i:i + batch], pool).min(1).values for i in range(0, a.shape[0], batch)])


def mann_whitney_pct(x: torch.Tensor, y: torch.Tensor) -> float:
    """100 x P(X < Y) + 50 x P(X = Y) for X from `x`, Y from `y` (the Mann-Whitney U / (n m), in %)."""
    xs, ys = x.double().sort().values, y.double().sort().values
    below = torch.searchsorted(ys, xs, right=False).double()  # ys strictly below each x
    not_above = torch.searchsorted(ys, xs, right=True).double()  # ys at or below each x
    less = (len(ys) - not_above).sum()  # pairs with x < y
    ties = (not_above - below).sum()
    return float(100.0 * (less + 0.5 * ties) / (len(xs) * len(ys)))


def copying(sample_feats: torch.Tensor, train_feats: torch.Tensor, held_feats: torch.Tensor) -> dict[str, float]:
    """{"copy_ratio", "near_copy_pct", "copy_closer_pct", "copy_train", "copy_held"} of generated samples
    against the training images they might copy and held-out real images of the same distribution, all
    given as feature vectors (N, D). `copy_train` / `copy_held` record the pool sizes."""
    for name, t in (("samples", sample_feats), ("training", train_feats), ("held-out", held_feats)):
        if t.shape[0] < 1:
            raise ValueError(f"copying needs at least one {name} feature vector, got none")
    if len(held_feats) < 100:
        raise ValueError(f"a 1st percentile needs at least 100 held-out images, got {len(held_feats)}")
    d_gen, d_held = nn_distance(sample_feats, train_feats), nn_distance(held_feats, train_feats)
    thr = torch.quantile(d_held, NEAR_QUANTILE)
    med_held = float(d_held.median())
    return {"copy_ratio": float(d_gen.median()) / med_held if med_held > 0 else float("nan"),
            "near_copy_pct": 100.0 * float((d_gen < thr).double().mean()),
            "copy_closer_pct": mann_whitney_pct(d_gen, d_held),
            "copy_train": float(len(train_feats)), "copy_held": float(len(held_feats))}


def copying_in(judge, samples: torch.Tensor, train_images: torch.Tensor, held_images: torch.Tensor) -> dict[str, float]:
    """`copying` in the penultimate features of `judge` (normgen.eval.judge) of images in [-1, 1]."""
    return copying(judge.features(samples), judge.features(train_images), judge.features(held_images))
