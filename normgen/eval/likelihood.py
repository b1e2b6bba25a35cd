"""The importance-weighted bound on a VAE's log-likelihood (IWAE; Burda, Grosse & Salakhutdinov 2016,
https://arxiv.org/abs/1509.00519).

    IWAE_k(x) = log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x),   z_1..z_k ~ q(z | x)

For every k, log p(x) >= IWAE_k >= ... >= IWAE_1, whose expectation is the ELBO; as k grows it tightens
towards log p(x). So a held-out ELBO can rise because the model got better or because q(z|x) fits its
posterior more tightly; the IWAE with k = 64 takes most of the second away. Units as the index's ELBO
(normgen.eval.quality.vae_scores): nats per pixel, the decoder's Bernoulli likelihood of (x + 1) / 2.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from normgen.data import Dataset
from normgen.models import GenerativeModel, family

K = 64  # importance samples per image
IWAE_N = 300  # images per set: k decoder passes each, so fewer than the ELBO's 2,000 (CPU time); the ELBO is
# re-read on the same images from the same k samples (`elbo_k_*`), so the two bounds compare like for like


@torch.no_grad()
def log_weights(model: GenerativeModel, x: torch.Tensor, k: int, g: torch.Generator) -> torch.Tensor:
    """log p(x, z_i) - log q(z_i | x) for k draws z_i ~ q(z | x) per image of `x` (B, C, H, W): (k, B), nats
    per image (float64, CPU). Their log-mean-exp is IWAE_k; their mean, a k-sample estimate of the ELBO."""
    dev = next(model.parameters()).device
    xb = x.to(dev).float()
    mu, logvar = model.encode(xb)
    b, nz = mu.shape
    eps = torch.randn((k, b, nz), generator=g).to(dev)
    std = torch.exp(0.5 * logvar)
    z = mu + std * eps  # (k, B, nz)
    logits = model.decode_logits(z.reshape(k * b, nz)).reshape(k, b, -1)
    target = ((xb + 1) / 2).reshape(1, b, -1).expand_as(logits)
    log_px_z = -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)
    log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
    log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
    return (log_px_z + log_pz - log_qz).double().cpu()  # (k, B)


def bounds(model: GenerativeModel, x: torch.Tensor, *, k: int = K, seed: int = 0,
           batch: int = 100) -> tuple[float, float]:
    """(IWAE_k, ELBO) over the images `x`, means in nats per pixel, from the same k draws per image (eval
    mode; noise drawn by `seed`)."""
    if not family(model.cfg.name).has_elbo:
        raise ValueError("an IWAE bound needs a VAE")
    if k < 1:
        raise ValueError(f"k (importance samples) must be >= 1, got {k}")
    was = model.training
    model.eval()
    g = torch.Generator().manual_seed(int(seed))
    try:
        w = torch.cat([log_weights(model, x[i:i + batch], k, g) for i in range(0, x.shape[0], batch)], dim=1)
    finally:
        model.train(was)
    px = x[0].numel()
    return float((torch.logsumexp(w, 0) - math.log(k)).mean()) / px, float(w.mean()) / px


def iwae(model: GenerativeModel, x: torch.Tensor, *, k: int = K, seed: int = 0, batch: int = 100) -> float:
    """The mean IWAE_k over the images `x`, in nats per pixel."""
    return bounds(model, x, k=k, seed=seed, batch=batch)[0]


def iwae_scores(model: GenerativeModel, train: Dataset, test: Dataset, n: int, seed: int, k: int = K) -> dict:
    """{"iwae_test", "iwae_train", "iwae_gap", "elbo_k_test", "elbo_k_train", "iwae_k", "iwae_n"}: both bounds on
    the first `n` test images and on `n` training images picked by seed + 1 (as vae_scores picks them)."""
    idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed + 1))[:n]
    xa = train.images[idx.to(train.images.device)]
    a, ea = bounds(model, xa, k=k, seed=seed)
    b, eb = bounds(model, test.images[:n], k=k, seed=seed)
    return {"iwae_train": a, "iwae_test": b, "iwae_gap": a - b, "elbo_k_train": ea, "elbo_k_test": eb,
            "iwae_k": float(k), "iwae_n": float(min(n, len(test)))}
