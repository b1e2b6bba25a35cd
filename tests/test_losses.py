"""normgen.losses against closed forms written out in torch, for one model (B, ...) -> scalar and for K
stacked models (K, B, ...) -> (K,), where row k must equal the one-model value of slice k."""

from __future__ import annotations

import pytest
import torch

from normgen import losses

K, B, NZ, SHAPE = 3, 5, 4, (1, 6, 6)
PIXELS = 36


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# closed forms, element by element: log sigmoid written with exp, the Bernoulli log-likelihood with
# its two branches, the Gaussian KL per latent dimension (Kingma & Welling 2014, appendix B)


def _ref_real(logits: torch.Tensor) -> torch.Tensor:  # -log D, D = 1 / (1 + exp(-logit))
    return torch.log(1 + torch.exp(-logits)).mean(-1)


def _ref_fake(logits: torch.Tensor) -> torch.Tensor:  # -log(1 - D)
    return torch.log(1 + torch.exp(logits)).mean(-1)


def _ref_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits)
    t = (x + 1) / 2
    per_pixel = -(t * torch.log(p) + (1 - t) * torch.log(1 - p))
    return per_pixel.flatten(-3).mean(-1).mean(-1)


def _ref_kl(mu: torch.Tensor, logvar: torch.Tensor, pixels: int) -> torch.Tensor:
    var = torch.exp(logvar)
    per_dim = 0.5 * (var + mu * mu - 1 - logvar)
    return per_dim.sum(-1).mean(-1) / pixels


@pytest.mark.parametrize("lead", [(), (K,)])
def test_gan_losses_equal_their_closed_forms(lead):
    d_real = torch.randn(*lead, B, generator=_g(1), dtype=torch.float64)
    d_fake = torch.randn(*lead, B, generator=_g(2), dtype=torch.float64)
    assert losses.real_loss(d_real).shape == lead
    torch.testing.assert_close(losses.real_loss(d_real), _ref_real(d_real))
    torch.testing.assert_close(losses.fake_loss(d_fake), _ref_fake(d_fake))
    torch.testing.assert_close(losses.d_loss(d_real, d_fake), _ref_real(d_real) + _ref_fake(d_fake))
    torch.testing.assert_close(losses.g_loss(d_fake), _ref_real(d_fake))  # -log D(G(z)), non-saturating


@pytest.mark.parametrize("lead", [(), (K,)])
def test_vae_terms_equal_their_closed_forms(lead):
    logits = torch.randn(*lead, B, *SHAPE, generator=_g(3), dtype=torch.float64)
    x = torch.rand(B, *SHAPE, generator=_g(4), dtype=torch.float64) * 2 - 1  # shared by the K models
    mu = torch.randn(*lead, B, NZ, generator=_g(5), dtype=torch.float64)
    logvar = torch.randn(*lead, B, NZ, generator=_g(6), dtype=torch.float64)
    assert losses.bernoulli_nll(logits, x).shape == lead == losses.gaussian_kl(mu, logvar, PIXELS).shape
    torch.testing.assert_close(losses.bernoulli_nll(logits, x), _ref_nll(logits, x))
    torch.testing.assert_close(losses.gaussian_kl(mu, logvar, PIXELS), _ref_kl(mu, logvar, PIXELS))


def test_stacked_rows_equal_the_single_model_values():
    """Row k of every (K, B, ...) loss is the loss of model k alone, as the batched sweep relies on."""
    d_real, d_fake = torch.randn(K, B, generator=_g(7)), torch.randn(K, B, generator=_g(8))
    logits = torch.randn(K, B, *SHAPE, generator=_g(9))
    x = torch.rand(B, *SHAPE, generator=_g(10)) * 2 - 1
    mu, logvar = torch.randn(K, B, NZ, generator=_g(11)), torch.randn(K, B, NZ, generator=_g(12))
    stacked = {"d": losses.d_loss(d_real, d_fake), "g": losses.g_loss(d_fake),
               "rec": losses.bernoulli_nll(logits, x), "kl": losses.gaussian_kl(mu, logvar, PIXELS)}
    for k in range(K):
        one = {"d": losses.d_loss(d_real[k], d_fake[k]), "g": losses.g_loss(d_fake[k]),
               "rec": losses.bernoulli_nll(logits[k], x), "kl": losses.gaussian_kl(mu[k], logvar[k], PIXELS)}
        for name, v in one.items():
            assert v.shape == ()
            torch.testing.assert_close(stacked[name][k], v, rtol=1e-6, atol=0), name


def test_kl_is_zero_at_the_prior_and_nll_is_log2_at_zero_logits():
    mu, logvar = torch.zeros(B, NZ), torch.zeros(B, NZ)
    assert losses.gaussian_kl(mu, logvar, PIXELS).item() == 0.0
    x = torch.rand(B, *SHAPE, generator=_g(13)) * 2 - 1  # any target: p = 1/2 costs log 2 per pixel
    assert losses.bernoulli_nll(torch.zeros(B, *SHAPE), x).item() == pytest.approx(torch.log(torch.tensor(2.0)).item())


def test_gradients_match_the_closed_forms():
    """d(-log D)/d logit = sigmoid(logit) - 1 and d KL / d mu = mu / (B * pixels)."""
    logits = torch.randn(B, generator=_g(14), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(losses.g_loss(logits), logits)
    torch.testing.assert_close(g, (torch.sigmoid(logits.detach()) - 1) / B)
    mu = torch.randn(B, NZ, generator=_g(15), dtype=torch.float64, requires_grad=True)
    (gm,) = torch.autograd.grad(losses.gaussian_kl(mu, torch.zeros(B, NZ, dtype=torch.float64), PIXELS), mu)
    torch.testing.assert_close(gm, mu.detach() / (B * PIXELS))


# ---- the cycle GAN's reconstruction terms, by hand ---------------------------------------------------

def _tiny_pair():
    a = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2)
    a_back = torch.tensor([0.5, -1.0]).view(1, 1, 1, 2)  # |diff| = 0.5, 2;   diff^2 = 0.25, 4
    b = torch.tensor([1.0, 1.0]).view(1, 1, 1, 2)
    b_back = torch.tensor([1.0, 0.0]).view(1, 1, 1, 2)  # |diff| = 0, 1;     diff^2 = 0, 1
    return a, a_back, b, b_back


@pytest.mark.parametrize("norm,want", [("l1", (0.5 + 2) / 2 + (0 + 1) / 2), ("l2", (0.25 + 4) / 2 + (0 + 1) / 2)])
def test_cycle_and_identity_terms_by_hand(norm, want):
    a, a_back, b, b_back = _tiny_pair()
    assert float(losses.cycle_loss(a, a_back, b, b_back, norm)) == pytest.approx(want)
    # the identity term is the same per-pixel mean, of F(a) against a and G(b) against b
    assert float(losses.identity_loss(a, a_back, b, b_back, norm)) == pytest.approx(want)
    # a batch of two: the mean over the batch (the second image reconstructed exactly adds 0)
    two = losses.reconstruction(torch.cat([a_back, a]), torch.cat([a, a]), norm)
    assert float(two) == pytest.approx(float(losses.reconstruction(a_back, a, norm)) / 2)


def test_reconstruction_reduces_trailing_dims_for_stacked_models():
    x, y = torch.randn(K, B, *SHAPE, generator=_g(1)), torch.randn(K, B, *SHAPE, generator=_g(2))
    for norm in losses.CYCLE_NORMS:
        out = losses.reconstruction(x, y, norm)
        assert out.shape == (K,)
        assert torch.allclose(out[1], losses.reconstruction(x[1], y[1], norm))


def test_unknown_cycle_norm_is_one_line():
    a, a_back, b, b_back = _tiny_pair()
    with pytest.raises(ValueError, match="cycle norm must be one of l1, l2, got 'l3'"):
        losses.cycle_loss(a, a_back, b, b_back, "l3")


# ---- the Wasserstein loss, weight clipping and the gradient penalty (issue 15) -----------------------


def test_wasserstein_losses_are_the_mean_score_differences():
    from normgen.losses import wasserstein_d_loss, wasserstein_g_loss

    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0, 5.0])
    assert wasserstein_d_loss(real, fake).item() == pytest.approx(-2.0 + 1.0)
    assert wasserstein_g_loss(fake).item() == pytest.approx(-1.0)
    stacked = torch.stack([real, real + 1])  # (K, B) -> (K,)
    assert wasserstein_d_loss(stacked, stacked).tolist() == [0.0, 0.0]


def test_gradient_penalty_matches_a_hand_computation_on_a_tiny_network():
    """D(x) = sum_j v_j tanh(W x)_j: grad_x D = W^T (v * (1 - tanh(Wx)^2)), written out by hand; the
    penalty's value and its gradient in W (it must be differentiable in D's weights) both match."""
    from normgen.losses import gradient_penalty

    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 4, generator=g, requires_grad=True)
    v = torch.randn(3, generator=g)
    real, fake = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    eps = torch.rand(5, generator=g)

    def critic(x):
        return torch.tanh(x @ W.T) @ v

    gp = gradient_penalty(critic, real, fake, eps)
    x = eps[:, None] * real + (1 - eps[:, None]) * fake
    grad = (v * (1 - torch.tanh(x @ W.T) ** 2)) @ W  # (5, 4): row i is grad_x D at x_i
    hand = ((grad.norm(dim=1) - 1) ** 2).mean()
    torch.testing.assert_close(gp, hand)
    (dw_gp,) = torch.autograd.grad(gp, W)
    (dw_hand,) = torch.autograd.grad(hand, W)
    torch.testing.assert_close(dw_gp, dw_hand)
    assert dw_gp.abs().sum() > 0


def test_gradient_penalty_of_a_linear_critic_is_its_weight_norm_minus_one_squared():
    from normgen.losses import gradient_penalty

    w = torch.tensor([3.0, 4.0])  # ||w|| = 5 at every x
    gp = gradient_penalty(lambda x: x @ w, torch.zeros(7, 2), torch.ones(7, 2), torch.rand(7))
    assert gp.item() == pytest.approx(16.0)


def test_clip_weights_bounds_every_parameter():
    from torch import nn

    from normgen.losses import clip_weights_

    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 1)
    clip_weights_(net, 0.05)
    assert all(p.abs().max() <= 0.05 for p in net.parameters())
    assert any((p.abs() == 0.05).any() for p in net.parameters())  # clipped, not rescaled


def test_gan_loss_registry_rejects_an_unknown_name():
    from normgen.losses import GAN_LOSSES, gan_loss

    assert set(GAN_LOSSES) == {"ns", "wgan"}
    with pytest.raises(ValueError, match="ns, wgan"):
        gan_loss("hinge")
