"""What every model family is and declares. A family is a subclass of `GenerativeModel` whose class
attributes are its facts; the registry (`normgen.models.registry`) and every screen read them.

Every model exposes the same small surface:
- `parts`: named sub-networks a penalty can target; `sampler_parts`: the ones sampling needs;
- `latent(n, generator)`: noise for `n` samples; `labels_for(n)`: the labels a grid uses;
- `generate(z, y)`: images in [-1, 1].
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


class GenerativeModel(nn.Module):
    # ---- the family's facts (override in each family) --------------------------------------------
    name: ClassVar[str] = ""  # registry key, stored in every checkpoint
    label: ClassVar[str] = ""  # short name on screen ("GAN")
    description: ClassVar[str] = ""  # one line for the model card ("GAN (DCGAN-style)")
    part_names: ClassVar[tuple[str, ...]] = ()  # sub-networks, in the order `parts` lists them
    sampler_part: ClassVar[str] = ""  # the part that draws images: a penalty's default target
    sampler_parts: ClassVar[tuple[str, ...]] = ()  # the parts sampling needs (stored in slim checkpoints)
    image_channels: ClassVar[int | None] = None  # the image channels it is built for (3: colour); None: any
    conditional: ClassVar[bool] = False  # takes a class label: needs a labelled dataset
    objective: ClassVar[str] = ""  # the loss it trains with: "gan" | "vae" (normgen.losses, engine steps)
    optimizers: ClassVar[dict[str, tuple[str, ...]]] = {}  # optimizer name -> the parts it updates
    has_elbo: ClassVar[bool] = False  # a likelihood bound exists: scored on training and held-out images
    adversarial: ClassVar[bool] = False  # has a discriminator (`discriminate(x, y)`): its scores on
    # training vs held-out real images measure how much it overfits
    translates: ClassVar[bool] = False  # an image-to-image translator (the cycle GAN): its "noise" is a
    # domain-A image, it has `rows(a)` (a, G(a), F(G(a)), truth) and trains on a domain pair (normgen.domains)
    config_defaults: ClassVar[dict[str, Any]] = {}  # ModelConfig fields that differ for this family
    train_defaults: ClassVar[dict[str, Any]] = {}  # TrainConfig fields that differ for this family

    cfg: ModelConfig

    @classmethod
    def targets(cls) -> tuple[str, ...]:
        """The penalty targets this family offers: each part, then 'both'."""
        return (*cls.part_names, "both")

    @classmethod
    def grid_columns(cls, n: int, num_classes: int) -> int:
        """Columns of a sample grid: one class per row for conditional families, square otherwise."""
        if cls.conditional:
            return max(1, math.ceil(n / num_classes))
        return math.ceil(math.sqrt(n))

    @property
    def parts(self) -> dict[str, nn.Module]:
        return {p: getattr(self, p) for p in self.part_names}

    def bind_data(self, data) -> None:
        """Called once with the training images before training: a family whose grids draw from them
        (a translator's fixed inputs) keeps what it needs. Others need nothing."""

    def latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.cfg.nz, generator=generator, device=generator.device)

    def labels_for(self, n: int) -> torch.Tensor | None:
        return None

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError
