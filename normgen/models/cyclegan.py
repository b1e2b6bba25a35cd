"""The cycle GAN family: unpaired image-to-image translation (Zhu et al. 2017), where the cycle loss
is itself a norm.

Two translators, G: A -> B and F: B -> A, and two discriminators, D_B (is this a real B image?) and
D_A. Trained on unpaired images of the two domains (normgen.domains) with

    L = L_GAN(G, D_B) + L_GAN(F, D_A) + λ_cyc (‖F(G(a)) − a‖ + ‖G(F(b)) − b‖) + λ_id (‖F(a) − a‖ + ‖G(b) − b‖)

where the norm is L1 (the paper's) or squared L2 (ModelConfig.cycle_norm), a per-pixel mean.

Parts, so the weight penalties reach them through the usual targets: `generator` holds G and F,
`discriminator` holds D_A and D_B. A translator's "noise" is its input: `generator` also stores a fixed
bank of PROBE domain-A images (set from the training set before training, `bind_data`), so a checkpoint
draws its grid (`latent` -> `generate`) without the dataset, exactly as another family draws from fixed
noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from normgen.domains import domain_pair
from normgen.models.base import GenerativeModel
from normgen.models.nets import Discriminator

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig

PROBE = 64  # the domain-A images a checkpoint keeps to draw its grids from


class Translator(nn.Module):
    """image (B, C, H, W) -> image of the same shape in [-1, 1]: a small encoder / residual / decoder net
    (the paper's ResNet generator, cut to one down-sampling and two residual blocks for 28×28 on a CPU)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c = cfg.image_shape[0]
        ch = cfg.ch
        self.inp = nn.Conv2d(c, ch, 3, 1, 1)  # (ch, H, W)
        self.down = nn.Conv2d(ch, 2 * ch, 4, 2, 1)  # (2ch, H/2, W/2)
        self.res = nn.ModuleList(nn.Conv2d(2 * ch, 2 * ch, 3, 1, 1) for _ in range(2))
        self.up = nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1)  # (ch, H, W)
        self.out = nn.Conv2d(ch, c, 3, 1, 1)
        # instance normalization after every hidden conv, as in the paper (Ulyanov et al. 2016); measured
        # here: without it the translators collapsed to a blank image within 600 steps at lr 1e-3
        self.norms = nn.ModuleList(nn.InstanceNorm2d(n, affine=True) for n in (ch, 2 * ch, 2 * ch, 2 * ch, ch))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = iter(self.norms)
        h = self.act(next(n)(self.inp(x)))
        h = self.act(next(n)(self.down(h)))
        for conv in self.res:
            h = h + self.act(next(n)(conv(h)))
        h = self.act(next(n)(self.up(h)))
        return torch.tanh(self.out(h))


class TranslatorPair(nn.Module):
    """The `generator` part: G (A -> B), F (B -> A) and the fixed domain-A probe images."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.g = Translator(cfg)
        self.f = Translator(cfg)
        self.register_buffer("probe", torch.zeros(PROBE, *cfg.image_shape))


class DiscriminatorPair(nn.Module):
    """The `discriminator` part: D_A (real A images vs F(b)) and D_B (real B images vs G(a))."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.d_a = Discriminator(cfg)
        self.d_b = Discriminator(cfg)


class CycleGAN(GenerativeModel):
    """Cycle-consistent adversarial translation between two unpaired domains (Zhu et al. 2017)."""

    name = "cyclegan"
    label = "Cycle GAN"
    description = "cycle GAN (unpaired translation A ↔ B)"
    part_names = ("generator", "discriminator")
    sampler_part = "generator"
    sampler_parts = ("generator",)
    objective = "cycle"
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    translates = True
    config_defaults = {"ch": 16}
    train_defaults = {"batch_size": 16}  # measured on MNIST: lr 1e-3, batch 16, 300 steps turn a digit bold

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = TranslatorPair(cfg)
        self.discriminator = DiscriminatorPair(cfg)

    # ---- the translation ------------------------------------------------------------------------
    def to_b(self, a: torch.Tensor) -> torch.Tensor:
        """G(a): domain A -> domain B."""
        return self.generator.g(a)

    def to_a(self, b: torch.Tensor) -> torch.Tensor:
        """F(b): domain B -> domain A."""
        return self.generator.f(b)

    def truth(self, a: torch.Tensor) -> torch.Tensor:
        """The ground truth of G(a): the domain pair's own A -> B map (for scoring; never trained on)."""
        return domain_pair(self.cfg.domains).to_b(a)

    @torch.no_grad()
    def rows(self, a: torch.Tensor) -> torch.Tensor:
        """(4, n, C, H, W): a, G(a), F(G(a)) and the ground truth, for a picture of n columns."""
        fake_b = self.to_b(a)
        return torch.stack([a, fake_b, self.to_a(fake_b), self.truth(a)])

    # ---- the GenerativeModel surface: a translator's "noise" is its fixed input images -------------
    def bind_data(self, data) -> None:
        """Keep the first PROBE domain-A training images (repeated if fewer) as the inputs grids translate."""
        a = data.images[:PROBE].to(self.generator.probe)
        reps = -(-PROBE // a.shape[0])
        self.generator.probe.copy_(a.repeat(reps, 1, 1, 1)[:PROBE])

    def latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n of the probe images, in an order drawn by `generator` (cycling when n > PROBE): one seed
        gives every cycle GAN of one dataset the same inputs."""
        order = torch.randperm(PROBE, generator=generator, device=generator.device).cpu()
        idx = order[torch.arange(n) % PROBE]
        return self.generator.probe[idx.to(self.generator.probe.device)]

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) for domain-A images z."""
        return self.to_b(z)
