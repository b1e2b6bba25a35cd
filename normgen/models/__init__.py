"""Model registry: `gan`, `vae`, `cgan`. Every model exposes the same small surface:

- `parts`: named sub-networks a penalty can target ({"generator", "discriminator"} or
  {"encoder", "decoder"}); `sampler_parts`: the ones sampling needs;
- `latent(n, generator)`: noise for `n` samples; `labels_for(n)`: the labels a grid uses;
- `generate(z, y)`: images in [-1, 1].
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import MODEL_NAMES, ModelConfig, default_model_config
from .nets import Discriminator, Encoder, Generator, ProjectionDiscriminator

__all__ = ["MODELS", "MODEL_NAMES", "ModelConfig", "build_model", "default_model_config",
           "GAN", "CGAN", "VAE"]


class GenerativeModel(nn.Module):
    cfg: ModelConfig
    conditional = False
    sampler_parts: tuple[str, ...] = ()

    @property
    def parts(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.cfg.nz, generator=generator, device=generator.device)

    def labels_for(self, n: int) -> torch.Tensor | None:
        return None

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError


class GAN(GenerativeModel):
    """DCGAN-style generator and discriminator, trained with the non-saturating loss."""

    sampler_parts = ("generator",)

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg, nz_in=cfg.nz)
        self.discriminator = Discriminator(cfg)

    @property
    def parts(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z)


class CGAN(GAN):
    """Conditional GAN: the label goes into G as a one-hot vector beside z and into D by projection."""

    conditional = True

    def __init__(self, cfg: ModelConfig) -> None:
        nn.Module.__init__(self)
        self.cfg = cfg
        self.generator = Generator(cfg, nz_in=cfg.nz + cfg.num_classes)
        self.discriminator = ProjectionDiscriminator(cfg)

    def labels_for(self, n: int) -> torch.Tensor:
        """One class per grid row: with k classes, rows of ceil(n / k) samples share a label."""
        cols = max(1, math.ceil(n / self.cfg.num_classes))
        return (torch.arange(n) // cols).clamp_(max=self.cfg.num_classes - 1)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("the conditional GAN needs labels y")
        onehot = nn.functional.one_hot(y, self.cfg.num_classes).to(z.dtype)
        return self.generator(torch.cat([z, onehot], dim=1))


class VAE(GenerativeModel):
    """Convolutional VAE (Kingma & Welling 2014) with a beta weight on the KL term."""

    sampler_parts = ("decoder", "encoder")

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Generator(cfg, nz_in=cfg.nz, out="logits")

    @property
    def parts(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder}

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x)

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        return mu + torch.exp(0.5 * logvar) * eps

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # Bernoulli mean in [0, 1], mapped to the [-1, 1] range every other model uses
        return torch.sigmoid(self.decoder(z)) * 2 - 1

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        mu, _ = self.encode(x)
        return self.generate(mu)


MODELS: dict[str, type[GenerativeModel]] = {"gan": GAN, "vae": VAE, "cgan": CGAN}


def build_model(cfg: ModelConfig) -> GenerativeModel:
    """Build a model from its config (names are checked by ModelConfig)."""
    if cfg.name not in MODELS:
        raise ValueError(f"unknown model {cfg.name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[cfg.name](cfg)
