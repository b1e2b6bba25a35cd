"""normgen.eval.copying: exact copies of training images are ~100% near-copies with a distance ratio ~0;
fresh real images of the same distribution are ~1% near-copies with a ratio ~1 (the Meehan et al. 2020
reading); a picture off the data lies farther than real data does (ratio > 1)."""

from __future__ import annotations

import pytest
import torch

from normgen.eval.copying import copying, copying_in, mann_whitney_pct, nn_distance


@pytest.fixture(scope="module")
def feats():
    g = torch.Generator().manual_seed(0)
    train = torch.randn(500, 16, generator=g)
    held = torch.randn(2000, 16, generator=g)
    fresh = torch.randn(2000, 16, generator=g)
    return train, held, fresh


def test_exact_training_copies_are_all_near_copies(feats):
    train, held, _ = feats
    r = copying(train[torch.arange(2000) % 500], train, held)
    assert r["near_copy_pct"] == pytest.approx(100.0)
    assert r["copy_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert r["copy_closer_pct"] == pytest.approx(100.0)


def test_fresh_real_data_scores_about_one_percent_and_ratio_one(feats):
    train, held, fresh = feats
    r = copying(fresh, train, held)
    assert 0.2 <= r["near_copy_pct"] <= 2.5, r
    assert 0.95 < r["copy_ratio"] < 1.05, r
    assert 45.0 < r["copy_closer_pct"] < 55.0, r
    assert (r["copy_train"], r["copy_held"]) == (500.0, 2000.0)


def test_a_sample_off_the_data_is_farther_than_real_data_not_a_copy(feats):
    train, held, _ = feats
    far = torch.full((300, 16), 3.0)  # one picture far off the data (a collapsed, smeared sample)
    r = copying(far, train, held)  # no copies, ratio well above 1
    assert r["near_copy_pct"] == 0.0 and r["copy_ratio"] > 1.5


def test_mann_whitney_matches_the_pair_count():
    g = torch.Generator().manual_seed(2)
    x, y = torch.randint(0, 5, (40,), generator=g).double(), torch.randint(0, 5, (30,), generator=g).double()
    pairs = (x[:, None] < y[None]).double() + 0.5 * (x[:, None] == y[None]).double()
    assert mann_whitney_pct(x, y) == pytest.approx(100.0 * float(pairs.mean()))


def test_nn_distance_matches_a_direct_search():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(9, 5, generator=g), torch.randn(13, 5, generator=g)
    ref = ((a[:, None] - b[None]) ** 2).sum(-1).sqrt().min(1).values
    assert torch.allclose(nn_distance(a, b, batch=4), ref.double(), atol=1e-9)


def test_too_few_held_out_images_is_an_error_naming_the_set(feats):
    train, held, fresh = feats
    with pytest.raises(ValueError, match="held-out"):
        copying(fresh, train, held[:50])


def test_copying_in_a_judge_feature_space(feats):
    from normgen.eval.judge import Judge, JudgeConfig
    judge = Judge(JudgeConfig(ch=4, features=16)).eval()
    g = torch.Generator().manual_seed(4)
    train = torch.rand(100, 1, 28, 28, generator=g) * 2 - 1
    held = torch.rand(400, 1, 28, 28, generator=g) * 2 - 1
    r = copying_in(judge, train[:50], train, held)
    assert r["near_copy_pct"] == 100.0
