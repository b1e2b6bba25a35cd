"""The colour DCGAN family, after the CIFAR-10 sources: batch norm in G, Dropout(0.3) in D, 5x5 kernels.

Generator: dense -> (4ch, 8, 8) -> BN -> LeakyReLU -> 5x5 transposed convs (stride 1, 2, 2) -> (3, 32, 32)
tanh. Discriminator: two strided 5x5 convs with LeakyReLU and dropout, then a dense score. The source's
widths (256 channels at 8x8, i.e. ch = 64, nz = 100) give a 2.7M-parameter generator; the default here,
ch = 16 (0.48M), is the one measured fast enough to train on a 2-core CPU (5.9 steps/s on one thread at
batch 64, against 2.7 at ch 32 and 1.1 at the source's ch 64: `scripts/dcgan_widths.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from normgen.models.base import GenerativeModel
from normgen.models.gan import GAN
from normgen.models.nets import dcgan_init

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig


def _norm(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


class ColourGenerator(nn.Module):
    """z (B, nz) -> image (B, C, H, W) in [-1, 1]; shapes for 32x32 (s = H // 4 = 8)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        ch = cfg.ch
        self.s = (h // 4, w // 4)
        self.fc = nn.Linear(cfg.nz, 4 * ch * self.s[0] * self.s[1], bias=cfg.g_norm != "batch")
        self.norm0 = _norm(cfg.g_norm, 4 * ch)
        self.up1 = nn.ConvTranspose2d(4 * ch, 2 * ch, 5, 1, 2, bias=cfg.g_norm != "batch")  # (2ch, 8, 8)
        self.norm1 = _norm(cfg.g_norm, 2 * ch)
        self.up2 = nn.ConvTranspose2d(2 * ch, ch, 5, 2, 2, output_padding=1, bias=cfg.g_norm != "batch")  # 16
        self.norm2 = _norm(cfg.g_norm, ch)
        self.up3 = nn.ConvTranspose2d(ch, c, 5, 2, 2, output_padding=1)  # (C, 32, 32)
        self.act = nn.LeakyReLU(0.2)
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc(z).view(z.shape[0], -1, *self.s)  # (B, 4ch, 8, 8)
        x = self.act(self.norm0(x))
        x = self.act(self.norm1(self.up1(x)))  # (B, 2ch, 8, 8)
        x = self.act(self.norm2(self.up2(x)))  # (B, ch, 16, 16)
        return torch.tanh(self.up3(x))  # (B, C, 32, 32)


class ColourDiscriminator(nn.Module):
    """image (B, C, H, W) -> score (B,): 5x5 stride-2 convs, LeakyReLU(0.2), Dropout(cfg.dropout), dense.

    d_norm "spectral": every layer's weight is divided by its largest singular value (of the weight reshaped
    to (out, in*k*k)), estimated by one power iteration per training forward (Miyato et al. 2018)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        ch = cfg.ch
        self.conv1 = nn.Conv2d(c, ch, 5, 2, 2)  # (ch, 16, 16)
        self.conv2 = nn.Conv2d(ch, 2 * ch, 5, 2, 2)  # (2ch, 8, 8)
        self.act = nn.LeakyReLU(0.2)
        self.drop = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.head = nn.Linear(2 * ch * (h // 4) * (w // 4), 1)
        dcgan_init(self)  # before the parametrization: it initialises the raw weight
        if cfg.d_norm == "spectral":
            for name in ("conv1", "conv2", "head"):
                setattr(self, name, spectral_norm(getattr(self, name)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.conv1(x)))
        x = self.drop(self.act(self.conv2(x)))
        return self.head(x.flatten(1)).squeeze(1)


class ColourDCGAN(GAN):
    """The CIFAR-10 sources' DCGAN (Radford et al. 2015 layout, 5x5 kernels, dropout 0.3 in D)."""

    name = "dcgan"
    label = "Colour DCGAN"
    description = "colour DCGAN (batch-norm G, dropout-0.3 D)"
    image_channels = 3
    config_defaults = {"g_norm": "batch", "dropout": 0.3, "nz": 100, "ch": 16}
    train_defaults = {"lr": 2e-4}

    def __init__(self, cfg: ModelConfig) -> None:
        GenerativeModel.__init__(self)
        self.cfg = cfg
        self.generator = ColourGenerator(cfg)
        self.discriminator = ColourDiscriminator(cfg)
