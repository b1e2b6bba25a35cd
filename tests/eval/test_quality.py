"""Quality metrics: Frechet distance against closed forms, histogram/entropy/diversity against direct
loops, and evaluate() / floor() on tiny models with an untrained judge (ranges and consistency)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from normgen.config import make_config
from normgen.data import load_dataset
from normgen.eval.judge import Judge, JudgeConfig
from normgen.eval.quality import (
    class_entropy,
    class_histogram,
    confident_pct,
    evaluate,
    feature_stats,
    floor,
    frechet_distance,
    pairwise_rms,
    picture_stats,
    real_reference,
    vae_scores,
    within_class_diversity,
)
from normgen.models import build_model


def random_psd(d: int, g: torch.Generator, rank: int | None = None) -> torch.Tensor:
    a = torch.randn(d, rank or d, generator=g, dtype=torch.float64)
    return a @ a.T / d


def test_frechet_identical_gaussians_is_zero():
    g = torch.Generator().manual_seed(0)
    mu, c = torch.randn(16, generator=g, dtype=torch.float64), random_psd(16, g)
    assert frechet_distance(mu, c, mu, c) == pytest.approx(0.0, abs=1e-8)


def test_frechet_diagonal_closed_form():
    # diagonal (commuting) covariances: d^2 = |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2
    f64 = torch.float64
    a, b = torch.tensor([1.0, 4.0, 9.0, 0.25], dtype=f64), torch.tensor([4.0, 1.0, 9.0, 2.0], dtype=f64)
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=f64), torch.tensor([1.0, 1.0, 0.0, 3.0], dtype=f64)
    want = (mu1 - mu2).pow(2).sum() + (a.sqrt() - b.sqrt()).pow(2).sum()
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(float(want), rel=1e-10)


def test_frechet_commuting_rotated_and_1d():
    g = torch.Generator().manual_seed(1)
    q, _ = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))
    a, b = torch.rand(5, generator=g, dtype=torch.float64) + 0.1, torch.rand(5, generator=g, dtype=torch.float64)
    c1, c2 = q @ torch.diag(a) @ q.T, q @ torch.diag(b) @ q.T
    mu = torch.zeros(5, dtype=torch.float64)
    assert frechet_distance(mu, c1, mu, c2) == pytest.approx(float((a.sqrt() - b.sqrt()).pow(2).sum()), rel=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    fd = frechet_distance(torch.tensor([2.0]), torch.tensor([[9.0]]), torch.tensor([-1.0]), torch.tensor([[1.0]]))
    assert fd == pytest.approx(9.0 + 4.0)


def test_frechet_non_commuting_2x2_closed_form():
    # for 2x2 PSD A, B: tr((AB)^(1/2)) = sqrt(tr(AB) + 2 sqrt(det(AB)))
    c1 = torch.tensor([[2.0, 0.7], [0.7, 1.0]], dtype=torch.float64)
    c2 = torch.tensor([[0.5, -0.3], [-0.3, 3.0]], dtype=torch.float64)
    ab = c1 @ c2
    tr_sqrt = math.sqrt(float(torch.trace(ab)) + 2 * math.sqrt(float(torch.det(ab))))
    mu1, mu2 = torch.tensor([0.5, -1.0]), torch.tensor([0.0, 1.0])
    want = float((mu1 - mu2).pow(2).sum() + torch.trace(c1) + torch.trace(c2)) - 2 * tr_sqrt
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(want, rel=1e-9)
    assert frechet_distance(mu2, c2, mu1, c1) == pytest.approx(want, rel=1e-9)  # symmetric


def test_frechet_singular_covariances_are_finite():
    g = torch.Generator().manual_seed(2)
    c1, c2 = random_psd(32, g, rank=3), random_psd(32, g, rank=5)  # like dead ReLU features
    mu = torch.zeros(32, dtype=torch.float64)
    fd = frechet_distance(mu, c1, mu, c2)
    assert math.isfinite(fd) and fd >= 0
    assert frechet_distance(mu, c1, mu, c1) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(mu, c1, mu[:3], c2)


def test_feature_stats_match_torch_cov():
    x = torch.randn(200, 7, generator=torch.Generator().manual_seed(3))
    mu, cov = feature_stats(x)
    assert torch.allclose(mu, x.double().mean(0))
    assert torch.allclose(cov, torch.cov(x.double().T), atol=1e-12)


def test_histogram_entropy_confidence():
    hist = class_histogram(torch.tensor([0, 0, 1, 3, 3, 3]), 4)
    assert hist == [2, 1, 0, 3]
    p = [2 / 6, 1 / 6, 3 / 6]
    assert class_entropy(hist) == pytest.approx(-sum(q * math.log(q) for q in p))
    assert class_entropy([5, 5, 5, 5]) == pytest.approx(math.log(4))
    assert class_entropy([0, 7, 0]) == 0.0 and class_entropy([0, 0]) == 0.0
    logits = torch.tensor([[10.0, 0.0], [0.1, 0.0], [0.0, 5.0], [0.0, 0.0]])
    want = 100 * (logits.softmax(1).max(1).values > 0.9).float().mean().item()
    assert confident_pct(logits) == pytest.approx(want) and want == 50.0


def test_within_class_diversity_matches_pair_loop():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(12, 1, 4, 4, generator=g) * 2 - 1
    y = torch.tensor([0, 1, 0, 1, 2, 0, 1, 0, 3, 3, 1, 0])  # class 2 has one sample: skipped
    vals = []
    for k in (0, 1, 3):
        imgs = ((x[y == k] + 1) / 2).flatten(1).double()
        d = [torch.linalg.norm(imgs[i] - imgs[j]) / 4 for i in range(len(imgs)) for j in range(i + 1, len(imgs))]
        vals.append(sum(d) / len(d))
    assert within_class_diversity(x, y, 4) == pytest.approx(float(sum(vals) / 3), rel=1e-9)
    assert pairwise_rms(torch.zeros(3, 1, 2, 2)) == 0.0
    assert math.isnan(within_class_diversity(x[:1], y[:1], 4))


@pytest.fixture(scope="module")
def shapes_small():
    train = load_dataset("shapes", size=600, seed=0)
    test = load_dataset("shapes", size=400, train=False, seed=0)
    torch.manual_seed(0)
    judge = Judge(JudgeConfig(num_classes=4)).eval()  # untrained: ranges and consistency only
    return train, test, judge


@pytest.mark.parametrize("name", ["gan", "cgan", "vae"])
def test_evaluate_keys_and_ranges(shapes_small, name):
    train, test, judge = shapes_small
    torch.manual_seed(0)
    model = build_model(make_config(name, "shapes").model)
    m = evaluate(model, judge, test, n=200, seed=0, train=train)
    assert m["fd"] >= 0 and 0 <= m["confident_pct"] <= 100
    assert len(m["class_hist"]) == 4 and sum(m["class_hist"]) == 200
    assert 0 <= m["class_entropy"] <= math.log(4) + 1e-9
    assert m["within_class_div"] >= 0 and 0 < m["real_within_class_div"] < 1
    assert m["n"] == 200
    if name == "vae":
        assert m["elbo_gap"] == pytest.approx(m["elbo_train"] - m["elbo_test"])
        assert m["elbo_test"] < 0 and m["rec_error"] > 0 and 0 <= m["rec_mse"] <= 1
    else:
        assert "rec_error" not in m
    assert evaluate(model, judge, test, n=200, seed=0, train=train) == m  # deterministic for a seed


def test_vae_rec_error_matches_direct_bce(shapes_small):
    train, test, _ = shapes_small
    torch.manual_seed(0)
    vae = build_model(make_config("vae", "shapes").model).eval()
    s = vae_scores(vae, train, test, n=50, seed=0)
    x = test.images[:50]
    with torch.no_grad():
        mu, _ = vae.encoder(x)
        direct = F.binary_cross_entropy(torch.sigmoid(vae.decoder(mu)), (x + 1) / 2).item()
    assert s["rec_error"] == pytest.approx(direct, rel=1e-4)


def test_floor_of_a_set_against_itself_is_zero(shapes_small):
    train, test, judge = shapes_small
    same = floor(judge, test, test, n=len(test), seed=0)  # a permutation of the same images
    assert same["fd"] == pytest.approx(0.0, abs=1e-6)
    ref = real_reference(judge, test)
    real = floor(judge, train, test, n=300, ref=ref)
    torch.manual_seed(0)
    fake = evaluate(build_model(make_config("gan", "shapes").model), judge, test, n=300, ref=ref)
    assert real["fd"] < fake["fd"]  # real train images are closer to real test than untrained samples


def test_picture_stats_against_direct_expressions():
    """Ink share and per-pixel spread (issue 25: collapse described by measurement, not by a word)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, 1, 8, 8, generator=g) * 2 - 1
    s = picture_stats(x)
    u = (x + 1) / 2
    assert s["ink_pct"] == pytest.approx(100 * (u > 0.5).float().mean().item())
    assert s["pixel_spread"] == pytest.approx(u.std(dim=0).mean().item())
    same = picture_stats(x[:1].repeat(20, 1, 1, 1))  # one picture repeated: no spread, its own ink
    assert same["pixel_spread"] == 0.0 and same["ink_pct"] == pytest.approx(100 * (u[0] > 0.5).float().mean().item())
    assert picture_stats(-torch.ones(4, 1, 8, 8))["ink_pct"] == 0.0  # black: blank


def test_picture_words_say_what_was_measured():
    from normgen.zoo.coverage import picture_words

    one = picture_words(0.004, 14.0, 0.31, 13.0)
    assert one.startswith("the samples differ from one another by 0.004 per pixel (baseline 0.31): nearly every "
                          "sample is the same picture; ink on 14% of pixels (baseline 13%)")
    assert "blank" not in one
    assert picture_words(0.002, 0.2, 0.31, 13.0).endswith("ink on 0% of pixels (baseline 13%): blank")
    varied = picture_words(0.25, 12.0, 0.31, 13.0, asked=15.0, base_asked=97.0)
    assert "same picture" not in varied and varied.endswith("the judge reads 15% as the asked class (baseline 97%)")
