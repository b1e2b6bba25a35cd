"""normgen.eval.generalization: memorization reads ~100% for copies of training images and ~50% for
unseen images of the same distribution; the D gap is the difference of mean logits on the two sets."""

from __future__ import annotations

import pytest
import torch

from normgen.data import balanced_subset, make_shapes
from normgen.eval.generalization import comparison_sets, d_gap, mean_logit, memorization, nearest
from normgen.models import build_model, default_model_config


@pytest.fixture(scope="module")
def sets():
    train = balanced_subset(make_shapes(2000, seed=0), 200, seed=0)
    test = make_shapes(2000, seed=1)
    return comparison_sets(train, test, seed=0)


def test_comparison_sets_are_equally_large_and_balanced(sets):
    tr, held = sets
    assert len(tr) == len(held) == 200
    assert torch.bincount(held.labels).tolist() == [50] * 4


def test_memorization_of_training_images_is_100_and_of_unseen_images_near_50(sets):
    tr, held = sets
    copies = tr.images[:100]
    assert memorization(copies, tr, held)["memorization_pct"] == 100.0
    fresh = make_shapes(400, seed=7).images  # the same distribution, never seen
    pct = memorization(fresh, tr, held)["memorization_pct"]
    assert 38.0 < pct < 62.0, pct


def test_nearest_matches_a_direct_search():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 1, 4, 4, generator=g), torch.randn(11, 1, 4, 4, generator=g)
    d, i = nearest(a, b, batch=3)
    ref = ((a.flatten(1)[:, None] - b.flatten(1)[None]) ** 2).sum(-1).sqrt()
    assert torch.equal(i, ref.argmin(1))
    assert torch.allclose(d, ref.min(1).values, atol=1e-5)


def test_memorization_needs_equal_sets(sets):
    tr, held = sets
    with pytest.raises(ValueError, match="equally large"):
        memorization(tr.images[:4], tr, balanced_subset(held, 100, 0))


def test_d_gap_is_the_difference_of_mean_logits(sets):
    tr, held = sets
    torch.manual_seed(0)
    m = build_model(default_model_config("gan", ch=8))
    out = d_gap(m, tr, held)
    with torch.no_grad():
        direct = float(m.discriminator(tr.images).mean()) - float(m.discriminator(held.images).mean())
    assert out["d_gap"] == pytest.approx(direct, abs=1e-5)
    assert out["d_train"] == pytest.approx(mean_logit(m, tr), abs=1e-9)
