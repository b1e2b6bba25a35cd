"""The training objectives, one function each: the GAN's non-saturating losses and the VAE's ELBO terms.

Every function reduces over its trailing dims only, so the same code serves one model, (B, ...) ->
scalar, and K models stacked for a batched sweep, (K, B, ...) -> (K,). The engine's single and
batched trainers, the zoo's scores and the benchmark's baseline loop all call these; none has its
own copy. The discriminator loss is also given as its two halves (`real_loss`, `fake_loss`) for a
loop that back-propagates them one at a time, as the conventional baseline does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# the loss terms the training steps record in their history rows, and how each reads on screen
LOSS_LABELS: dict[str, str] = {"d_loss": "discriminator loss", "g_loss": "generator loss", "rec": "reconstruction",
                               "kl": "KL", "loss": "negative ELBO"}


def real_loss(logits: torch.Tensor) -> torch.Tensor:
    """-log D(x), mean over the batch: the cross-entropy of calling these images real. (..., B) -> (...)."""
    return F.softplus(-logits).mean(-1)


def fake_loss(logits: torch.Tensor) -> torch.Tensor:
    """-log(1 - D(x)), mean over the batch: the cross-entropy of calling these images fake. (..., B) -> (...)."""
    return F.softplus(logits).mean(-1)


def d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), mean over the batch (Goodfellow et al. 2014); logits in, (..., B) -> (...)."""
    return real_loss(d_real) + fake_loss(d_fake)


def g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)), the non-saturating generator loss (Goodfellow et al. 2014, sec. 3); (..., B) -> (...)."""
    return real_loss(d_fake)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) per pixel, averaged over the batch: images x in [-1, 1] are read as Bernoulli
    intensities (x + 1) / 2 (Kingma & Welling 2014, appendix C.1). (..., B, C, H, W) -> (...)."""
    target = ((x + 1) / 2).expand_as(logits)
    nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return nll.flatten(-3).mean(-1).mean(-1)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, pixels: int) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per image, divided by `pixels` so it shares the
    reconstruction's per-pixel unit (Kingma & Welling 2014, appendix B). (..., B, nz) -> (...)."""
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    return kl.mean(-1) / pixels
