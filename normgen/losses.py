"""The training objectives, one function each: the GAN's non-saturating and Wasserstein losses (with weight
clipping and the gradient penalty, the two ways to keep a Wasserstein critic Lipschitz) and the VAE's ELBO terms.

Every function reduces over its trailing dims only, so the same code serves one model, (B, ...) ->
scalar, and K models stacked for a batched sweep, (K, B, ...) -> (K,). The engine's single and
batched trainers, the zoo's scores and the benchmark's baseline loop all call these; none has its
own copy. The discriminator loss is also given as its two halves (`real_loss`, `fake_loss`) for a
loop that back-propagates them one at a time, as the conventional baseline does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# the loss terms the training steps record in their history rows, and how each reads on screen
LOSS_LABELS: dict[str, str] = {"d_loss": "discriminator loss", "g_loss": "generator loss", "rec": "reconstruction",
                               "kl": "KL", "loss": "negative ELBO"}
LOSS_LABELS.update(cyc="cycle term", idt="identity term")  # the cycle GAN's reconstruction terms


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


# ---- the cycle GAN's reconstruction terms (Zhu et al. 2017, eq. 2 and sec. 5.2) --------------------
# the norm of the cycle term is itself a control: the paper's L1, or squared L2 (mean squared error)
CYCLE_NORMS: dict[str, str] = {"l1": "L1: mean |x̂ − x|", "l2": "squared L2: mean (x̂ − x)²"}


def reconstruction(x_hat: torch.Tensor, x: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-pixel mean of |x̂ − x| (norm "l1") or (x̂ − x)² ("l2"), then mean over the batch.
    (..., B, C, H, W) -> (...). The cycle term is this of F(G(a)) against a; the identity term of G(b) against b."""
    if norm not in CYCLE_NORMS:
        raise ValueError(f"cycle norm must be one of {', '.join(CYCLE_NORMS)}, got {norm!r}")
    d = x_hat - x
    per_pixel = d.abs() if norm == "l1" else d.pow(2)
    return per_pixel.flatten(-3).mean(-1).mean(-1)


def cycle_loss(a: torch.Tensor, a_cycled: torch.Tensor, b: torch.Tensor, b_cycled: torch.Tensor,
               norm: str) -> torch.Tensor:
    """‖F(G(a)) − a‖ + ‖G(F(b)) − b‖, each a per-pixel mean under `norm` (Zhu et al. 2017, eq. 2)."""
    return reconstruction(a_cycled, a, norm) + reconstruction(b_cycled, b, norm)


def identity_loss(a: torch.Tensor, f_of_a: torch.Tensor, b: torch.Tensor, g_of_b: torch.Tensor,
                  norm: str) -> torch.Tensor:
    """‖F(a) − a‖ + ‖G(b) − b‖: a generator fed an image already in its output domain should leave it
    alone (Zhu et al. 2017, sec. 5.2, after Taigman et al. 2017); same norm as the cycle term."""
    return reconstruction(f_of_a, a, norm) + reconstruction(g_of_b, b, norm)


# ---- the Wasserstein loss and its Lipschitz constraints -------------------------------------------


def wasserstein_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """-mean D(x) + mean D(G(z)): the critic's loss (Arjovsky et al. 2017, WGAN); raw scores in, (..., B) -> (...).
    Without a Lipschitz constraint on D it has no minimum: the scores grow without bound."""
    return -d_real.mean(-1) + d_fake.mean(-1)


def wasserstein_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """-mean D(G(z)): the generator's Wasserstein loss (Arjovsky et al. 2017); (..., B) -> (...)."""
    return -d_fake.mean(-1)


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     eps: torch.Tensor) -> torch.Tensor:
    """mean_i (||grad_x D(x_i)||_2 - 1)^2 at x_i = eps_i * real_i + (1 - eps_i) * fake_i (Gulrajani et al.
    2017, WGAN-GP, eq. 3); `eps` (B,) uniform in [0, 1]. Differentiable in D's weights (create_graph)."""
    e = eps.view(-1, *([1] * (real.dim() - 1)))
    x = (e * real + (1 - e) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> None:
    """Every parameter of `module` clamped to [-c, c] in place (Arjovsky et al. 2017, Algorithm 1): a hard
    L-infinity bound on the critic's weights, the original WGAN's way of keeping D Lipschitz."""
    for p in module.parameters():
        p.clamp_(-c, c)


@dataclass(frozen=True)
class GanLoss:
    """One adversarial loss: its discriminator and generator halves, and how it reads on screen."""

    name: str  # TrainConfig.loss and the CLI's --loss
    label: str
    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (D(real), D(fake)) -> D's loss
    g: Callable[[torch.Tensor], torch.Tensor]  # D(fake) -> G's loss
    paper: str


GAN_LOSSES: dict[str, GanLoss] = {g.name: g for g in (
    GanLoss("ns", "non-saturating", d_loss, g_loss, "Goodfellow et al. 2014"),
    GanLoss("wgan", "Wasserstein", wasserstein_d_loss, wasserstein_g_loss, "Arjovsky et al. 2017"),
)}
# how D is kept Lipschitz: nothing, weight clipping to [-clip, clip], a gradient penalty of weight gp, or
# spectral normalization (each layer's weight divided by its largest singular value, estimated by one power
# iteration per forward pass: Miyato et al. 2018, https://arxiv.org/abs/1802.05957; ModelConfig.d_norm "spectral")
LIPSCHITZ: dict[str, str] = {"none": "no constraint", "clip": "weight clipping (WGAN)",
                             "gp": "gradient penalty (WGAN-GP)", "sn": "spectral normalization (SN-GAN)"}

# the adversarial loss as one setting (Explore's and Train's Loss control): name -> (TrainConfig.loss,
# TrainConfig.lipschitz), the Lipschitz ladder on D (none, clipping, gradient penalty, spectral norm); a control's
# option text, and the words a sentence uses
LOSS_SETTINGS: dict[str, tuple[str, str]] = {"ns": ("ns", "none"), "wgan-clip": ("wgan", "clip"),
                                             "wgan-gp": ("wgan", "gp"), "wgan": ("wgan", "none"), "sn": ("ns", "sn")}
LOSS_SETTING_LABELS = {"ns": "non-saturating (standard)", "wgan-clip": "Wasserstein + weight clipping (c = 0.01)",
                       "wgan-gp": "Wasserstein + gradient penalty (10, 5 critic steps)",
                       "wgan": "Wasserstein, no constraint (diverges)",
                       "sn": "non-saturating + spectral norm on D (σ_max = 1)"}
LOSS_SETTING_WORDS = {"ns": "non-saturating", "wgan-clip": "Wasserstein + weight clipping",
                      "wgan-gp": "Wasserstein + gradient penalty", "wgan": "Wasserstein, no constraint",
                      "sn": "spectral norm on D"}


def loss_setting(loss: str, lipschitz: str) -> str | None:
    """The LOSS_SETTINGS name of a (TrainConfig.loss, TrainConfig.lipschitz) pair (None: not one of them)."""
    return next((k for k, v in LOSS_SETTINGS.items() if v == (loss, lipschitz)), None)


def gan_loss(name: str) -> GanLoss:
    """The adversarial loss `name`; an unknown name raises with the valid ones."""
    if name not in GAN_LOSSES:
        raise ValueError(f"loss must be one of {', '.join(GAN_LOSSES)}; got {name!r}")
    return GAN_LOSSES[name]
