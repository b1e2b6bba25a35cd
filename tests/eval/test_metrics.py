"""normgen.eval.metrics: weight statistics against numpy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from normgen.eval.metrics import (
    DEAD_FILTER,
    NEAR_ZERO,
    flat_weight_stats,
    flat_weights,
    layer_stats,
    model_weight_stats,
    module_stats,
    summarize,
)
from normgen.models import build_model, default_model_config
from normgen.regularizers import penalized_weights


def _np_stats(w: np.ndarray, out_axis: int = 0) -> dict[str, float]:
    """Reference statistics written with numpy (filters along `out_axis`)."""
    filters = np.moveaxis(w, out_axis, 0).reshape(w.shape[out_axis], -1)
    fnorm = np.sqrt((filters.astype(np.float64) ** 2).sum(1))
    return {
        "n": w.size,
        "l1": float(np.abs(w).astype(np.float64).sum()),
        "l2": float(np.sqrt((w.astype(np.float64) ** 2).sum())),
        "near_zero_pct": 100.0 * float(np.mean(np.abs(w) < NEAR_ZERO)),
        "zero_pct": 100.0 * float(np.mean(w == 0)),
        "dead_filter_pct": 100.0 * float(np.mean(fnorm < DEAD_FILTER)),
        "filters": filters.shape[0],
    }


def _sparse_weight(shape, seed=0, out_axis=0) -> torch.Tensor:
    """Random weights with some exact zeros, some near-zero values and two dead filters."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(shape, generator=g) * 0.1
    w[torch.rand(shape, generator=g) < 0.2] = 0.0
    small = torch.rand(shape, generator=g) < 0.1
    w[small] = 5e-4 * torch.sign(torch.randn(shape, generator=g)[small])
    idx = [slice(None)] * len(shape)
    for f in (0, 2):
        idx[out_axis] = f
        w[tuple(idx)] = 1e-5  # a "dead" filter: norm far below DEAD_FILTER, but not exactly zero
    return w


@pytest.mark.parametrize("shape,kind,out_axis", [
    ((6, 10), nn.Linear, 0), ((5, 3, 4, 4), nn.Conv2d, 0), ((3, 5, 4, 4), nn.ConvTranspose2d, 1),
])
def test_layer_stats_match_numpy(shape, kind, out_axis):
    w = _sparse_weight(shape, out_axis=out_axis)
    got = layer_stats(w, kind)
    ref = _np_stats(w.numpy(), out_axis)
    assert got["n"] == ref["n"] and got["filters"] == ref["filters"]
    for key in ("l1", "l2", "near_zero_pct", "zero_pct", "dead_filter_pct"):
        assert got[key] == pytest.approx(ref[key], rel=1e-5), key
    assert got["dead_filter_pct"] == pytest.approx(100 * 2 / shape[out_axis])
    assert got["zero_pct"] > 0


def test_layer_stats_of_half_weights_are_computed_in_float32():
    w = _sparse_weight((4, 8), seed=1)
    assert layer_stats(w.half())["l1"] == pytest.approx(float(w.half().float().abs().sum()), rel=1e-6)


def test_summarize_weights_layers_by_size():
    a, b = _sparse_weight((6, 10), seed=1), _sparse_weight((5, 3, 4, 4), seed=2)
    layers = {"a": layer_stats(a, nn.Linear), "b": layer_stats(b, nn.Conv2d)}
    total = summarize(layers)
    flat = np.concatenate([a.numpy().ravel(), b.numpy().ravel()])
    assert total["n"] == flat.size
    assert total["l1"] == pytest.approx(np.abs(flat).sum(), rel=1e-5)
    assert total["l2"] == pytest.approx(np.sqrt((flat.astype(np.float64) ** 2).sum()), rel=1e-5)
    assert total["near_zero_pct"] == pytest.approx(100 * np.mean(np.abs(flat) < NEAR_ZERO), rel=1e-6)
    assert total["zero_pct"] == pytest.approx(100 * np.mean(flat == 0), rel=1e-6)
    assert total["dead_filter_pct"] == pytest.approx(100 * 4 / 11)  # 2 of 6 rows + 2 of 5 filters
    assert summarize({})["n"] >= 1  # empty: no division by zero


def test_model_weight_stats_cover_every_part_and_penalized_layer():
    torch.manual_seed(0)
    m = build_model(default_model_config("gan", ch=8, g_norm="batch", d_norm="spectral"))
    stats = model_weight_stats(m.parts)
    assert set(stats) == {"generator", "discriminator"}
    for part, module in m.parts.items():
        names = [n for n, _ in penalized_weights(module)]
        assert list(stats[part]["layers"]) == names
        flat = flat_weights(module).numpy()
        assert stats[part]["total"]["n"] == flat.size
        assert stats[part]["total"]["l1"] == pytest.approx(np.abs(flat).astype(np.float64).sum(), rel=1e-5)
    # BatchNorm scales are not counted
    g = m.generator
    want = g.fc.weight.numel() + g.up1.weight.numel() + g.up2.weight.numel()
    assert stats["generator"]["total"]["n"] == want
    # spectral norm: the raw weight is measured
    raw = m.discriminator.trunk.conv1.parametrizations.weight.original
    conv1 = module_stats(m.discriminator)["trunk.conv1"]
    assert conv1["l1"] == pytest.approx(float(raw.detach().abs().sum()), rel=1e-5)


def test_flat_weights_of_a_module_without_weights():
    assert flat_weights(nn.ReLU()).numel() == 0


def test_flat_weight_stats_is_one_row_of_every_parts_totals():
    torch.manual_seed(0)
    model = build_model(default_model_config("vae", ch=4))
    row = flat_weight_stats(model.parts)
    totals = model_weight_stats(model.parts)
    assert row == {f"{part}/{k}": v for part, s in totals.items() for k, v in s["total"].items() if k != "n"}
    assert {key.split("/")[0] for key in row} == set(model.part_names)
    assert "encoder/near_zero_pct" in row and "decoder/n" not in row
