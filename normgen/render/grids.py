"""Pictures: sample grids and weight histograms, as PIL images (no matplotlib on the hot path)."""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from normgen.models import family

GRID_SCALE = 3  # the app's grids, enlarged by nearest neighbour: crisp pixels on a projector
N_SAMPLES = 64  # unconditional grids: 8 x 8
PER_CLASS = 8  # conditional grids: one row of 8 per class


def grid_size(model: str, num_classes: int) -> tuple[int, int]:
    """(samples, columns) of the app's grids of `model`: 8 x 8, or one row of PER_CLASS per class for a
    conditional family."""
    fam = family(model)
    n = PER_CLASS * num_classes if fam.conditional else N_SAMPLES
    return n, fam.grid_columns(n, num_classes)


def grid_array(samples: torch.Tensor, nrow: int | None = None, pad: int = 2, pad_value: float = 0.25) -> np.ndarray:
    """(n, C, H, W) in [-1, 1] -> uint8 array (rows*H', cols*W', C) with `pad` pixels between cells."""
    x = samples.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5)
    n, c, h, w = x.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = torch.full((c, rows * (h + pad) + pad, cols * (w + pad) + pad), pad_value * 255)
    for i in range(n):
        r, col = divmod(i, cols)
        y0, x0 = pad + r * (h + pad), pad + col * (w + pad)
        out[:, y0:y0 + h, x0:x0 + w] = x[i]
    return out.round().to(torch.uint8).permute(1, 2, 0).numpy()


def grid_image(samples: torch.Tensor, nrow: int | None = None, scale: int = 1, pad: int = 2) -> Image.Image:
    """A PIL grid of samples; `scale` enlarges each pixel (nearest neighbour, crisp in class)."""
    arr = grid_array(samples, nrow=nrow, pad=pad)
    img = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img




def side_by_side(left: Image.Image, right: Image.Image, gap: int = 16, fill: tuple = (255, 255, 255)) -> Image.Image:
    """`left` and `right` in one picture, top-aligned, `gap` pixels apart."""
    h = max(left.height, right.height)
    out = Image.new("RGB", (left.width + gap + right.width, h), fill)
    out.paste(left.convert("RGB"), (0, 0))
    out.paste(right.convert("RGB"), (left.width + gap, 0))
    return out
