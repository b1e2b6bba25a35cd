"""The GAN family: a DCGAN-style generator and discriminator, trained with the non-saturating loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from normgen.models.base import GenerativeModel
from normgen.models.nets import Discriminator, Generator

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


class GAN(GenerativeModel):
    """DCGAN-style generator and discriminator (Radford et al. 2015), non-saturating loss."""

    name = "gan"
    label = "GAN"
    description = "GAN (DCGAN-style)"
    part_names = ("generator", "discriminator")
    sampler_part = "generator"
    sampler_parts = ("generator",)
    objective = "gan"
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    adversarial = True

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg, nz_in=cfg.nz)
        self.discriminator = Discriminator(cfg)

    def discriminate(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """D's logit for each image (B,); `y` is ignored by the unconditional family."""
        return self.discriminator(x)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z)
