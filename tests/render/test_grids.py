"""normgen.render.grids: grid sizes, pixel mapping and the one-class-per-row layout."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from normgen.models import family
from normgen.render.grids import grid_array, grid_image


@pytest.mark.parametrize("n,nrow,cols,rows", [(16, None, 4, 4), (10, None, 4, 3), (10, 5, 5, 2),
                                              (1, None, 1, 1), (7, 7, 7, 1)])
def test_grid_dimensions(n, nrow, cols, rows):
    x = torch.zeros(n, 1, 28, 28)
    arr = grid_array(x, nrow=nrow, pad=2)
    assert arr.shape == (rows * 30 + 2, cols * 30 + 2, 1) and arr.dtype == np.uint8
    img = grid_image(x, nrow=nrow, scale=3)
    assert img.size == (3 * (cols * 30 + 2), 3 * (rows * 30 + 2)) and img.mode == "L"


def test_pixel_mapping_and_cell_placement():
    x = torch.full((3, 1, 4, 4), -1.0)
    x[1] = 1.0
    x[2] = 0.0
    arr = grid_array(x, nrow=3, pad=1)[..., 0]
    assert arr.shape == (1 * 5 + 1, 3 * 5 + 1)
    assert (arr[1:5, 1:5] == 0).all()  # -1 -> black
    assert (arr[1:5, 6:10] == 255).all()  # +1 -> white
    assert (arr[1:5, 11:15] == 128).all()  # 0 -> mid grey (127.5 rounds to 128)
    assert (arr[0] == round(0.25 * 255)).all()  # padding


def test_values_outside_the_range_are_clipped():
    x = torch.tensor([-5.0, 5.0]).view(2, 1, 1, 1).expand(2, 1, 2, 2)
    arr = grid_array(x, nrow=2, pad=0)[..., 0]
    assert arr[:, :2].max() == 0 and arr[:, 2:].min() == 255


def test_rgb_grid():
    x = torch.rand(5, 3, 32, 32) * 2 - 1
    img = grid_image(x)
    assert img.mode == "RGB" and img.size == (3 * 34 + 2, 2 * 34 + 2)
    arr = np.asarray(img)
    ref = np.round((x[0].permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.uint8)
    assert np.abs(arr[2:34, 2:34].astype(int) - ref.astype(int)).max() <= 1


def test_scale_is_nearest_neighbour():
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    small, big = np.asarray(grid_image(x, scale=1)), np.asarray(grid_image(x, scale=4))
    assert np.array_equal(big[::4, ::4], small)


@pytest.mark.parametrize("n,k", [(64, 10), (16, 4), (8, 4), (10, 4)])
def test_grid_columns(n, k):
    assert family("gan").grid_columns(n, k) == math.ceil(math.sqrt(n))
    cols = family("cgan").grid_columns(n, k)
    assert cols == math.ceil(n / k) and math.ceil(n / cols) <= k
