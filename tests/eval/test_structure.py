"""normgen.eval.structure: coarse contrast is 0 for flat tiles, small for pixel-level checkerboards and noise
(they average away inside a 4×4 block), and as large as the reference for images with shapes; one tile repeated
has no variety; the ratio orders grey tiles < checkerboard < pictures, and the gate follows MIN_RATIO."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from normgen.eval.structure import MIN_RATIO, coarse_contrast, coarse_variety, has_structure, structure_ratio


def _pictures(n: int = 64, seed: int = 0) -> torch.Tensor:
    """Blobs of colour at 8×8-pixel scale, upsampled to 32×32: structure at the scale of objects."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=g) * 2 - 1
    return F.interpolate(coarse, size=32, mode="bilinear", align_corners=False)


def test_flat_tiles_checkerboards_and_pictures_are_ordered():
    real = _pictures(seed=0)
    flat = torch.full_like(real, 0.1)
    board = ((torch.arange(32).view(1, -1) + torch.arange(32).view(-1, 1)) % 2 * 0.6 - 0.3).expand_as(real)
    assert coarse_contrast(flat) == 0.0
    assert structure_ratio(board, real) < 0.05  # a 2-pixel checkerboard averages to grey in every block
    assert structure_ratio(_pictures(seed=1), real) == pytest.approx(1.0, abs=0.25)
    assert not has_structure(structure_ratio(flat, real)) and not has_structure(structure_ratio(board, real))
    assert has_structure(structure_ratio(_pictures(seed=1), real))
    assert has_structure(MIN_RATIO) and not has_structure(MIN_RATIO - 1e-6)


def test_one_tile_repeated_has_no_variety():
    real = _pictures(seed=0)
    same = _pictures(n=1, seed=1).expand_as(real)  # a blob with contrast, the same in every cell
    assert coarse_contrast(same) > 0.5 * coarse_contrast(real) and coarse_variety(same) == 0.0
    assert structure_ratio(same, real) == 0.0 and not has_structure(structure_ratio(same, real))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        coarse_contrast(torch.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="N >= 2"):
        coarse_variety(torch.zeros(1, 3, 32, 32))
