"""The building blocks: a DCGAN-style generator/decoder and a convolutional discriminator/encoder.

Shapes are given for 28x28x1 input (s = H // 4 = 7); any (C, H, W) with H, W divisible by 4 works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


def dcgan_init(module: nn.Module) -> None:
    """Weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0 (Radford et al. 2015, DCGAN)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _dropout(p: float) -> nn.Module:
    """Dropout (Srivastava et al. 2014) on hidden activations; Identity at p = 0, so a model without it
    draws no random numbers and computes exactly what it did before dropout existed."""
    return nn.Dropout(p) if p > 0 else nn.Identity()


def _norm2d(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


class Generator(nn.Module):
    """z (B, nz_in) -> image (B, C, H, W). `tanh` output for GANs, raw logits for the VAE decoder.

    Without normalization the init matters: N(0, 0.02) weights shrink activations layer by layer,
    so the no-norm generator keeps PyTorch's default (Kaiming-uniform) init, which trains reliably.
    """

    def __init__(self, cfg: ModelConfig, *, nz_in: int, out: str = "tanh", dropout: float = 0.0) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        self.s = (h // 4, w // 4)
        ch = cfg.ch
        self.fc = nn.Linear(nz_in, 2 * ch * self.s[0] * self.s[1])
        self.norm0 = _norm2d(cfg.g_norm, 2 * ch)
        self.up1 = nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1)  # (2ch, s, s) -> (ch, 2s, 2s)
        self.norm1 = _norm2d(cfg.g_norm, ch)
        self.up2 = nn.ConvTranspose2d(ch, c, 4, 2, 1)  # (ch, 2s, 2s) -> (C, 4s, 4s)
        self.act = nn.ReLU()
        self.drop = _dropout(dropout)  # on both hidden layers (the VAE decoder's; a GAN generator has none)
        self.out = out
        if cfg.g_norm == "batch":
            dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc(z).view(z.shape[0], -1, *self.s)  # (B, 2ch, 7, 7)
        x = self.drop(self.act(self.norm0(x)))
        x = self.drop(self.act(self.norm1(self.up1(x))))  # (B, ch, 14, 14)
        x = self.up2(x)  # (B, C, 28, 28)
        return torch.tanh(x) if self.out == "tanh" else x


class ConvTrunk(nn.Module):
    """image (B, C, H, W) -> features (B, 2ch * s * s): two stride-2 convolutions, LeakyReLU(0.2).

    `extra_channels` are concatenated to the input (the cGAN discriminator's one-hot label maps).
    """

    def __init__(self, cfg: ModelConfig, *, spectral: bool = False, extra_channels: int = 0) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        ch = cfg.ch
        wrap = spectral_norm if spectral else (lambda m: m)
        self.conv1 = wrap(nn.Conv2d(c + extra_channels, ch, 4, 2, 1))  # -> (ch, 14, 14)
        self.conv2 = wrap(nn.Conv2d(ch, 2 * ch, 4, 2, 1))  # -> (2ch, 7, 7)
        self.act = nn.LeakyReLU(0.2)
        self.drop = _dropout(cfg.dropout)  # after each activation: the discriminator's and the encoder's
        self.features = 2 * ch * (h // 4) * (w // 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.conv1(x)))
        x = self.drop(self.act(self.conv2(x)))
        return x.flatten(1)  # (B, 2ch*7*7)


class Discriminator(nn.Module):
    """image -> logit (B,). Optional spectral norm (Miyato et al. 2018) on every layer."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        spectral = cfg.d_norm == "spectral"
        self.trunk = ConvTrunk(cfg, spectral=spectral)
        head = nn.Linear(self.trunk.features, 1)
        self.head = spectral_norm(head) if spectral else head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).squeeze(1)


class ProjectionDiscriminator(nn.Module):
    """Conditional D: logit = psi(h) + <embed(y), h> (Miyato & Koyama 2018, cGANs with projection).

    The projection term, unlike a label concatenated at the input only, makes D compare each image
    with its class, which keeps the generator from collapsing every class to one glyph.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        spectral = cfg.d_norm == "spectral"
        self.trunk = ConvTrunk(cfg, spectral=spectral)
        head = nn.Linear(self.trunk.features, 1)
        embed = nn.Embedding(cfg.num_classes, self.trunk.features)
        nn.init.normal_(embed.weight, 0.0, 0.02)
        self.head = spectral_norm(head) if spectral else head
        self.embed = spectral_norm(embed) if spectral else embed

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)
        return self.head(h).squeeze(1) + (self.embed(y) * h).sum(1)


class Encoder(nn.Module):
    """image -> (mu, logvar), each (B, nz)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.trunk = ConvTrunk(cfg)
        self.head = nn.Linear(self.trunk.features, 2 * cfg.nz)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.trunk(x)).chunk(2, dim=1)
        return mu, logvar
