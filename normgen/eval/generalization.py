"""Generalization: does a model fit its training images better than unseen ones, and does it copy them?

- `d_gap`: a GAN's discriminator's mean logit on its training images minus on as many held-out real
  images. A discriminator that has memorized its training set scores those higher (Arjovsky & Bottou
  2017; Karras et al. 2020 use the same signal to detect D overfitting on small data).
- `memorization`: for each generated sample, whether its nearest neighbour in pixel space (L2 over all
  pixels in [-1, 1]) among m training images and m held-out images is a training image. 50% means the
  samples are no closer to the training set than to unseen images of the same distribution; 100% means
  every sample is nearest to a training image (copies, or near-copies).
- The VAE's ELBO on training vs held-out images is normgen.eval.quality.vae_scores.

The held-out images are a class-balanced subset of the test split, as many as the training images used
(at most `max_m` of each), drawn with the config's data seed, so every entry of one size compares
against the same images.
"""

from __future__ import annotations

import torch

from normgen.data import Dataset, balanced_subset
from normgen.eval.quality import generate_many
from normgen.models import GenerativeModel, family

MAX_M = 2_000  # training and held-out images per comparison, at most (cdist cost grows as n * m)


def comparison_sets(train: Dataset, test: Dataset, seed: int, max_m: int = MAX_M) -> tuple[Dataset, Dataset]:
    """m training images and m held-out (test) images, m = min(len(train), len(test), max_m), both
    class-balanced and chosen by `seed`."""
    m = min(len(train), len(test), max_m)
    return balanced_subset(train, m, seed), balanced_subset(test, m, seed)


@torch.no_grad()
def mean_logit(model: GenerativeModel, data: Dataset, batch: int = 1000) -> float:
    """The discriminator's mean logit on `data` (eval mode: no dropout)."""
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    try:
        total = 0.0
        for i in range(0, len(data), batch):
            x = data.images[i:i + batch].to(dev).float()
            y = data.labels[i:i + batch].to(dev)
            total += float(model.discriminate(x, y).double().sum())
    finally:
        model.train(was)
    return total / len(data)


def d_gap(model: GenerativeModel, train: Dataset, held: Dataset) -> dict[str, float]:
    """{"d_train", "d_held", "d_gap"}: mean D logit on training images, on held-out images, and their
    difference (> 0: D tells the images it was trained on from new ones)."""
    a, b = mean_logit(model, train), mean_logit(model, held)
    return {"d_train": a, "d_held": b, "d_gap": a - b}


@torch.no_grad()
def nearest(samples: torch.Tensor, pool: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each sample's nearest image in `pool`, by L2 distance over pixels."""
    a = samples.flatten(1).float()
    b = pool.to(a.device).flatten(1).float()
    dists, idx = [], []
    for i in range(0, a.shape[0], batch):
        d = torch.cdist(a[i:i + batch], b)
        m = d.min(1)
        dists.append(m.values)
        idx.append(m.indices)
    return torch.cat(dists), torch.cat(idx)


def memorization(samples: torch.Tensor, train: Dataset, held: Dataset) -> dict[str, float]:
    """{"memorization_pct", "nn_train_dist", "nn_held_dist"}: % of samples whose nearest image (pixel L2)
    among `train` and an equally large `held` set is a training image, and the mean distances."""
    if len(train) != len(held):
        raise ValueError(f"memorization needs equally large sets, got {len(train)} training and {len(held)} "
                         "held-out images")
    d_train, _ = nearest(samples, train.images)
    d_held, _ = nearest(samples, held.images)
    return {"memorization_pct": 100.0 * float((d_train < d_held).double().mean()),
            "nn_train_dist": float(d_train.mean()), "nn_held_dist": float(d_held.mean())}


def generalization(model: GenerativeModel, train: Dataset, test: Dataset, *, n: int, seed: int, data_seed: int,
                   critic: GenerativeModel | None = None) -> dict[str, float]:
    """Memorization of `n` samples drawn with `seed` against the comparison sets of (`train`, `test`) —
    `train` being the images the model trained on — plus, for an adversarial family, the D gap of
    `critic` (the trained model with its discriminator; default `model`). Also records m, the images
    per comparison set."""
    train_cmp, held = comparison_sets(train, test, data_seed)
    samples, _ = generate_many(model, n, seed)
    out = {"gen_m": len(train_cmp), **memorization(samples, train_cmp, held)}
    if family(model.cfg.name).adversarial:
        out.update(d_gap(critic if critic is not None else model, train_cmp, held))
    return out
