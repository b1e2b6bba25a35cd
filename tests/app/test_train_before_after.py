"""Train's before / after: a rule on every curve at each step where λ changed (the frames the plots receive),
and the zoo baseline's grid beside the live grid, drawn from the same noise as the run's own grid."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from normgen.app.tabs.train_baseline import N_SAMPLES, baseline_view
from normgen.app.tabs.train_view import MARKER_SERIES, curves, marker_steps
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index

ROOT = Path(__file__).resolve().parents[2] / "checkpoints"


def test_every_curve_has_a_rule_at_each_lambda_change():
    hist = [{"step": s, "d_loss": 1.0 + s / 100, "g_loss": 2.0, "pen_l1_generator": 0.01 * s,
             "generator/near_zero_pct": float(s), "generator/zero_pct": 0.0} for s in range(0, 200, 10)]
    changes = [{"step": 40, "name": "l1", "old": 1e-4, "new": 1e-2},
               {"step": 40, "name": "l2", "old": 0.0, "new": 1e-3},
               {"step": 130, "name": "l1", "old": 1e-2, "new": 1e-5}]
    for frame in curves(hist, changes):
        assert marker_steps(frame) == [40, 130]
        curve = frame[frame.series != MARKER_SERIES]
        for step in (40, 130):  # each rule spans the curves' values, top to bottom
            rule = frame[(frame.series == MARKER_SERIES) & (frame.step == step) & frame.value.notna()]
            assert sorted(rule.value) == [curve.value.min(), curve.value.max()]
    # the first frame of a run already holds the marker series (no drawn value): the plot keeps its series
    first = curves(hist[:2], [])[0]
    assert MARKER_SERIES in set(first.series) and marker_steps(first) == []


def test_the_baseline_grid_is_the_zoo_baseline_from_the_runs_noise():
    index = load_index(ROOT)
    e = index.baseline("gan", "mnist", "none")
    if e is None:
        pytest.skip("the shipped zoo has no GAN baseline on MNIST")
    grid, caption = baseline_view(ROOT, "gan", "mnist", "none", 3, 0)
    assert grid is not None and "λ = 0" in re.sub(r"<[^>]+>", "", caption) and "seed 3" in caption
    from normgen.engine.sampling import sample

    x = sample(load_entry(e, ROOT).model, N_SAMPLES, 3)  # the same call the run's own grid makes
    assert x.shape[0] == 64 and torch.isfinite(x).all()
    other, _ = baseline_view(ROOT, "gan", "mnist", "none", 4, 0)
    assert np.asarray(grid).shape == np.asarray(other).shape
    assert not np.array_equal(np.asarray(grid), np.asarray(other))  # a new seed, new noise
    assert baseline_view(ROOT, "cyclegan", "mnist", "none", 0, 0)[0] is None  # rows have their own view


def test_the_train_tab_shows_the_baseline_beside_the_live_grid(data_root, monkeypatch):
    """With MNIST on this server the Train tab opens on it, where the zoo has the baseline to show."""
    import gradio as gr

    from normgen.app.tabs.train import build_train_tab

    monkeypatch.setenv("NORMGEN_DATA", str(data_root))
    with gr.Blocks():
        tab = build_train_tab(str(ROOT))
    assert tab.baseline.visible and tab.baseline.value is not None
    assert "Before" in tab.baseline_caption.value
