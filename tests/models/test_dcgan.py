"""normgen.models.dcgan: the colour DCGAN after the CIFAR-10 sources (shapes, widths, training, bad input)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from normgen.config import make_config
from normgen.data import Dataset
from normgen.engine.train import train
from normgen.models import build_model, family
from normgen.models.dcgan import ColourDCGAN


def colour_data(n: int = 64, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    return Dataset("cifar10", torch.rand(n, 3, 32, 32, generator=g) * 2 - 1, torch.arange(n) % 10)


def test_the_sources_layout_and_widths():
    """ch 64 is the source's 256 channels at 8x8: a ~2.6M-parameter generator; the layers are in order."""
    cfg = make_config("dcgan", "cifar10", model_overrides={"ch": 64}).model
    m = build_model(cfg)
    assert isinstance(m, ColourDCGAN) and family("dcgan").image_channels == 3
    n_g = sum(p.numel() for p in m.generator.parameters())
    assert 2.5e6 < n_g < 2.8e6
    g = m.generator
    assert g.fc.out_features == 256 * 8 * 8 and isinstance(g.norm0, nn.BatchNorm2d)
    assert all(u.kernel_size == (5, 5) for u in (g.up1, g.up2, g.up3))
    d = m.discriminator
    assert d.conv1.kernel_size == (5, 5) and d.conv1.stride == (2, 2) and d.drop.p == 0.3
    assert cfg.g_norm == "batch" and cfg.dropout == 0.3 and cfg.nz == 100
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    assert m.discriminate(x).shape == (4,)


@pytest.mark.parametrize("loss,lipschitz", [("ns", "none"), ("wgan", "clip"), ("wgan", "gp")])
def test_trains_a_few_steps_and_samples_colour_in_range(loss, lipschitz):
    cfg = make_config("dcgan", "cifar10", model_overrides={"ch": 8}, steps=4, batch_size=8, log_every=2,
                      n_samples=6, loss=loss, lipschitz=lipschitz)
    res = train(cfg, data=colour_data(), device="cpu")
    assert res.status == "finished" and res.steps == 4
    assert res.samples.shape == (6, 3, 32, 32)
    assert res.samples.min() >= -1 and res.samples.max() <= 1
    if lipschitz == "gp":
        assert res.history[-1]["gp"] >= 0


def test_a_grey_dataset_for_the_colour_model_is_one_line():
    with pytest.raises(ValueError, match="built for 3-channel images; dataset 'mnist' has 1 \\(grey\\)"):
        make_config("dcgan", "mnist")


def test_spectral_norm_holds_each_discriminator_layers_largest_singular_value_at_one():
    """Miyato et al. 2018: after training steps, the power iteration's estimate u^T W v of each raw weight's
    largest singular value agrees with torch.linalg.matrix_norm(ord=2), so every normalized layer has
    sigma_max ~ 1; without spectral norm the layers are elsewhere."""
    from torch.nn.utils import parametrize

    from normgen.eval.metrics import sigma_max

    cfg = make_config("dcgan", "cifar10", model_overrides={"ch": 8}, steps=12, batch_size=8, log_every=4,
                      n_samples=4, lipschitz="sn")
    assert cfg.model.d_norm == "spectral"
    res = train(cfg, data=colour_data(), device="cpu")
    d = res.model.discriminator
    for name in ("conv1", "conv2", "head"):
        layer = getattr(d, name)
        assert parametrize.is_parametrized(layer, "weight")
        raw = layer.parametrizations.weight.original.detach()
        sn = layer.parametrizations.weight[0]
        w = raw.reshape(raw.shape[0], -1)
        estimate = torch.dot(sn._u, torch.mv(w, sn._v)).item()
        assert estimate == pytest.approx(torch.linalg.matrix_norm(w, ord=2).item(), rel=0.02)
    assert all(v == pytest.approx(1.0, abs=0.02) for v in sigma_max(d).values())
    plain = train(make_config("dcgan", "cifar10", model_overrides={"ch": 8}, steps=12, batch_size=8, log_every=4,
                              n_samples=4), data=colour_data(), device="cpu")
    assert any(abs(v - 1.0) > 0.1 for v in sigma_max(plain.model.discriminator).values())


def test_spectral_norm_needs_the_spectral_discriminator():
    cfg = make_config("dcgan", "cifar10")
    with pytest.raises(ValueError, match="d_norm='spectral'"):
        type(cfg)(**{**cfg.__dict__, "lipschitz": "sn"})
