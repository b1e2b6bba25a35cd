"""The conditional GAN family: the label goes into G as a one-hot vector and into D by projection."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import nn

from normgen.models.base import GenerativeModel
from normgen.models.gan import GAN
from normgen.models.nets import Generator, ProjectionDiscriminator

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


class CGAN(GAN):
    """Conditional GAN: one-hot label beside z in G, projection discriminator (Miyato & Koyama 2018)."""

    name = "cgan"
    label = "Conditional GAN"
    description = "conditional GAN (projection D)"
    conditional = True

    def __init__(self, cfg: ModelConfig) -> None:
        GenerativeModel.__init__(self)
        self.cfg = cfg
        self.generator = Generator(cfg, nz_in=cfg.nz + cfg.num_classes)
        self.discriminator = ProjectionDiscriminator(cfg)

    def labels_for(self, n: int) -> torch.Tensor:
        """One class per grid row: with k classes, rows of ceil(n / k) samples share a label."""
        cols = max(1, math.ceil(n / self.cfg.num_classes))
        return (torch.arange(n) // cols).clamp_(max=self.cfg.num_classes - 1)

    def discriminate(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("the conditional GAN's discriminator needs labels y")
        return self.discriminator(x, y)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("the conditional GAN needs labels y")
        onehot = nn.functional.one_hot(y, self.cfg.num_classes).to(z.dtype)
        return self.generator(torch.cat([z, onehot], dim=1))
