"""Pixel change between two sample batches, against closed forms."""

from __future__ import annotations

import pytest
import torch

from normgen.eval.compare import mean_pixel_change, pixel_change, saturated_change


def test_pixel_change_is_the_absolute_difference():
    a = torch.zeros(2, 1, 4, 4)
    b = a.clone()
    b[0] = -0.5  # every pixel of the first sample moved by 0.5, the second not at all
    assert torch.equal(pixel_change(a, b), pixel_change(b, a))
    assert torch.equal(pixel_change(a, b)[0], torch.full((1, 4, 4), 0.5))
    assert mean_pixel_change(a, b) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="one shape"):
        pixel_change(a, b[:1])


def test_saturated_change_clips_at_full():
    a = torch.zeros(1, 1, 1, 3)
    b = torch.tensor([[[[0.1, 0.5, 2.0]]]])
    assert torch.allclose(saturated_change(a, b, 0.5), torch.tensor([[[[0.2, 1.0, 1.0]]]]))
    with pytest.raises(ValueError, match="positive"):
        saturated_change(a, b, 0.0)
