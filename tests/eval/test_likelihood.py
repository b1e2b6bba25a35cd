"""normgen.eval.likelihood: the importance-weighted bound is a bound above the ELBO and tightens with k
(Burda et al. 2016: log p(x) >= IWAE_k2 >= IWAE_k1 >= ELBO for k2 >= k1, in expectation)."""

from __future__ import annotations

import pytest
import torch

from normgen import losses
from normgen.data import make_shapes
from normgen.eval.likelihood import bounds, iwae, iwae_scores
from normgen.models import build_model, default_model_config


@pytest.fixture(scope="module")
def vae_and_images():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model(default_model_config("vae", ch=8)).eval()
    return model, make_shapes(200, seed=0).images


def analytic_elbo(model, x: torch.Tensor, seed: int) -> float:
    """The ELBO the index stores (one z per image, analytic KL), per pixel, averaged over several draws."""
    vals = []
    for s in range(8):
        g = torch.Generator().manual_seed(seed + s)
        with torch.no_grad():
            mu, logvar = model.encode(x)
            z = model.reparameterize(mu, logvar, torch.randn(mu.shape, generator=g))
            vals.append(-float(losses.bernoulli_nll(model.decode_logits(z), x)
                               + losses.gaussian_kl(mu, logvar, x[0].numel())))
    return sum(vals) / len(vals)


def test_iwae_is_at_least_the_elbo(vae_and_images):
    model, x = vae_and_images
    assert iwae(model, x, k=64, seed=0) >= analytic_elbo(model, x, 0)


def test_iwae_increases_with_k_on_average(vae_and_images):
    model, x = vae_and_images
    b1, b8, b64 = (iwae(model, x, k=k, seed=1) for k in (1, 8, 64))
    assert b1 < b8 < b64, (b1, b8, b64)
    # k = 1 is an unbiased estimate of the ELBO: close to the analytic one
    assert b1 == pytest.approx(analytic_elbo(model, x, 1), abs=0.02)


def test_iwae_scores_name_both_sets_and_k(vae_and_images):
    model, _ = vae_and_images
    train, test = make_shapes(120, seed=2), make_shapes(120, seed=3)
    r = iwae_scores(model, train, test, n=50, seed=0, k=4)
    assert set(r) == {"iwae_train", "iwae_test", "iwae_gap", "elbo_k_train", "elbo_k_test", "iwae_k", "iwae_n"}
    assert r["iwae_gap"] == pytest.approx(r["iwae_train"] - r["iwae_test"]) and r["iwae_k"] == 4.0
    assert r["iwae_test"] >= r["elbo_k_test"] and r["iwae_train"] >= r["elbo_k_train"]  # same draws: always
    assert r["iwae_n"] == 50.0


def test_bad_k_and_bad_family_are_errors(vae_and_images):
    model, x = vae_and_images
    with pytest.raises(ValueError, match="k"):
        iwae(model, x[:4], k=0)
    gan = build_model(default_model_config("gan", ch=8))
    with pytest.raises(ValueError, match="VAE"):
        iwae(gan, x[:4])


def test_the_same_draws_give_iwae_at_least_their_mean(vae_and_images):
    model, x = vae_and_images
    b, e = bounds(model, x[:40], k=16, seed=5)
    assert b >= e  # log-mean-exp >= mean (Jensen), exactly, on the same weights
