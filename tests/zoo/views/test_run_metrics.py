"""normgen.zoo.views.run_metrics: a live run's scores: memorization is measured but not shown for samples
without structure (issue 24: grey checkerboards were reported as "Memorization 100.0%"); samples with structure
keep the sentence."""

from __future__ import annotations

import torch

from normgen.data import Dataset
from normgen.zoo.views import run_metrics as G

G_ROW = {"train_size": 100.0, "gen_m": 100.0, "memorization_pct": 100.0, "nn_train_dist": 1.0, "nn_held_dist": 2.0}


def _data(x: torch.Tensor) -> Dataset:
    return Dataset("shapes", x, torch.zeros(len(x), dtype=torch.long))


def test_grey_tiles_get_no_memorization(monkeypatch):
    real = torch.rand(64, 1, 28, 28).round() * 2 - 1  # stand-in real images: contrast everywhere
    real = torch.nn.functional.interpolate(real[:, :, :7, :7], size=28)  # blocks of 4×4 pixels
    monkeypatch.setattr(G, "generalization", lambda *a, **k: dict(G_ROW))
    model = type("M", (), {"cfg": type("C", (), {"name": "gan"})()})()
    monkeypatch.setattr(G, "generate_many", lambda m, n, seed: (torch.zeros(n, 1, 28, 28), None))
    g = G.measure_run(model, _data(real), _data(real), 0)
    assert g["structure_ratio"] == 0.0 and "memorization_pct" not in g
    text = G.run_markdown(g, "mnist")
    assert "nearest-neighbour share is not shown" in text and "100.0%" not in text and "0% of real images'" in text
    monkeypatch.setattr(G, "generate_many", lambda m, n, seed: (real[:n], None))
    g = G.measure_run(model, _data(real), _data(real), 0)
    assert g["structure_ratio"] == 1.0 and "Pixel nearest-neighbour share 100.0%" in G.run_markdown(g, "mnist")
