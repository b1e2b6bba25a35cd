"""The ruler (normgen.eval.ruler): reference sets scored by the judge's own scoring at one n, in the expected
order on a fixture (real < real + noise < noise), and an FD placed between its rungs."""

from __future__ import annotations

import pytest
import torch

from normgen.data import load_dataset
from normgen.eval.judge import train_judge
from normgen.eval.quality import real_reference, score_images
from normgen.eval.ruler import RUNGS, colour_blocks, gaussian_noise, placement, ruler


@pytest.fixture(scope="module")
def judged():
    train = load_dataset("shapes", size=2000, seed=0)
    test = load_dataset("shapes", size=500, train=False, seed=0)
    res = train_judge(train, test, steps=150, batch_size=64, seed=0)
    return res.judge, train, test


def test_rungs_are_ordered_real_noise_uniform(judged):
    judge, train, test = judged
    r = ruler(judge, train, test, n=400, seed=0)
    assert set(r) == set(RUNGS)
    assert r["real"] < r["noise0.1"] < r["noise0.3"] < r["uniform"]
    assert r["real"] < r["repeat"]


def test_a_rung_is_the_judges_own_score_of_its_images(judged):
    judge, train, test = judged
    r = ruler(judge, train, test, n=300, seed=3)
    g = torch.Generator().manual_seed(3)
    x = train.images[torch.randperm(len(train), generator=g)[:300]]
    noisy = gaussian_noise(0.3)(x, torch.Generator().manual_seed(4))
    assert r["noise0.3"] == pytest.approx(score_images(noisy, judge, real_reference(judge, test))["fd"], abs=1e-3)


def test_references_are_what_their_names_say():
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    b = colour_blocks(x, torch.Generator())
    assert b.shape == x.shape and torch.equal(b[..., :4, :4], b[..., :1, :1].expand(3, 3, 4, 4))
    assert torch.allclose(b[..., ::4, ::4], torch.nn.functional.avg_pool2d(x, 4), atol=1e-6)
    n = gaussian_noise(0.1)(torch.zeros(1, 1, 200, 200), torch.Generator().manual_seed(0))
    assert n.std().item() == pytest.approx(0.2, rel=0.05)  # sigma 0.1 on [0, 1] is 0.2 on [-1, 1]


def test_placement_names_the_neighbouring_rungs():
    rungs = {"real": 1.0, "noise0.3": 30.0, "uniform": 80.0}
    assert placement(20.0, rungs) == "between real vs real (1.0) and real + noise σ 0.3 (30.0)"
    assert placement(90.0, rungs).startswith("above uniform noise")
    assert placement(0.5, rungs).startswith("below real vs real")
