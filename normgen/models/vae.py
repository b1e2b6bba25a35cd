"""The VAE family: a convolutional encoder and decoder with a beta weight on the KL term."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from normgen.models.base import GenerativeModel
from normgen.models.nets import Encoder, Generator

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


class VAE(GenerativeModel):
    """Convolutional VAE (Kingma & Welling 2014) with a beta weight on the KL term."""

    name = "vae"
    label = "VAE"
    description = "VAE"
    part_names = ("encoder", "decoder")
    sampler_part = "decoder"
    sampler_parts = ("decoder", "encoder")
    objective = "vae"
    optimizers = {"vae": ("encoder", "decoder")}  # one Adam over the whole model
    has_elbo = True
    config_defaults = {"nz": 16}
    train_defaults = {"beta1": 0.9}

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Generator(cfg, nz_in=cfg.nz, out="logits", dropout=cfg.dropout)

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
