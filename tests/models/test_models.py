"""normgen.models: the registry, output shapes, the input shape as an argument, normalization options."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from normgen.models import CGAN, GAN, MODEL_NAMES, MODELS, VAE, CycleGAN, ModelConfig, build_model, default_model_config


def _build(name: str, **kw) -> nn.Module:
    torch.manual_seed(0)
    return build_model(default_model_config(name, ch=8, **kw))


def test_registry_is_a_plain_dict_of_the_families():
    from normgen.models.dcgan import ColourDCGAN

    assert MODELS == {"gan": GAN, "vae": VAE, "cgan": CGAN, "dcgan": ColourDCGAN, "cyclegan": CycleGAN}
    assert tuple(MODEL_NAMES) == tuple(MODELS)


@pytest.mark.parametrize("make", [lambda: ModelConfig(name="diffusion"),
                                  lambda: default_model_config("diffusion")])
def test_unknown_model_name_lists_names(make):
    with pytest.raises(ValueError) as exc:
        make()
    for name in ("gan", "vae", "cgan"):
        assert name in str(exc.value)


@pytest.mark.parametrize("kw,fragment", [
    ({"g_norm": "layer"}, "g_norm"), ({"d_norm": "batch"}, "d_norm"),
    ({"image_shape": (1, 30, 30)}, "image_shape"), ({"image_shape": (0, 28, 28)}, "image_shape"),
    ({"nz": 0}, "nz"), ({"num_classes": 1}, "num_classes"), ({"beta": -1.0}, "beta"),
])
def test_bad_model_config_is_rejected(kw, fragment):
    with pytest.raises(ValueError, match=fragment):
        ModelConfig(**kw)


def test_config_dict_round_trip():
    cfg = default_model_config("cgan", ch=8, num_classes=4, image_shape=(3, 32, 32), g_norm="batch")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


def test_gan_shapes():
    m = _build("gan")
    z = m.latent(5, torch.Generator().manual_seed(0))
    assert z.shape == (5, m.cfg.nz)
    x = m.generate(z)
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert m.discriminator(x).shape == (5,)
    assert set(m.parts) == {"generator", "discriminator"}
    assert m.labels_for(5) is None and not m.conditional


def test_vae_shapes():
    m = _build("vae")
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    mu, logvar = m.encode(x)
    assert mu.shape == logvar.shape == (6, m.cfg.nz)
    assert m.decode_logits(mu).shape == (6, 1, 28, 28)
    out = m.generate(m.latent(6, torch.Generator().manual_seed(0)))
    assert out.shape == (6, 1, 28, 28) and out.min() >= -1 and out.max() <= 1
    assert m.reconstruct(x).shape == (6, 1, 28, 28)
    assert set(m.parts) == {"encoder", "decoder"}
    # reparameterize is mu + sigma * eps, sigma = exp(logvar / 2)
    eps = torch.randn(6, m.cfg.nz)
    assert torch.allclose(m.reparameterize(mu, logvar, eps), mu + torch.exp(0.5 * logvar) * eps)


def test_cgan_shapes_and_labels():
    m = _build("cgan", num_classes=4)
    z = m.latent(8, torch.Generator().manual_seed(0))
    y = torch.arange(8) % 4
    x = m.generate(z, y)
    assert x.shape == (8, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert m.discriminator(x, y).shape == (8,)
    assert m.conditional
    with pytest.raises(ValueError, match="labels"):
        m.generate(z)
    # the label changes the image (one-hot input is wired in)
    assert not torch.allclose(m.generate(z, torch.zeros(8, dtype=torch.long)),
                              m.generate(z, torch.ones(8, dtype=torch.long)))


@pytest.mark.parametrize("n,k", [(16, 4), (10, 4), (64, 10), (3, 4), (40, 10)])
def test_cgan_labels_for_gives_one_class_per_grid_row(n, k):
    m = _build("cgan", num_classes=k)
    y = m.labels_for(n)
    assert y.shape == (n,) and y.dtype == torch.int64
    assert 0 <= int(y.min()) and int(y.max()) < k
    cols = CGAN.grid_columns(n, k)
    rows = [y[i:i + cols].tolist() for i in range(0, n, cols)]
    for r, labels in enumerate(rows):
        assert labels == [r] * len(labels), f"grid row {r} mixes classes: {labels}"
    if n >= k:  # a full grid shows every class
        assert set(y.tolist()) == set(range(k))
        assert len(rows) == min(k, math.ceil(n / cols))


@pytest.mark.parametrize("name", ["gan", "vae", "cgan"])
def test_image_shape_is_an_argument(name):
    m = _build(name, image_shape=(3, 32, 32), num_classes=4)
    z = m.latent(2, torch.Generator().manual_seed(0))
    y = torch.tensor([0, 3]) if m.conditional else None
    x = m.generate(z, y)
    assert x.shape == (2, 3, 32, 32)
    if name == "vae":
        mu, _ = m.encode(x)
        assert mu.shape == (2, m.cfg.nz)
    else:
        d = m.discriminator(x, y) if m.conditional else m.discriminator(x)
        assert d.shape == (2,)


@pytest.mark.parametrize("name", ["gan", "vae", "cgan"])
def test_g_norm_batch_and_none(name):
    with_bn = _build(name, g_norm="batch", num_classes=4)
    without = _build(name, g_norm="none", num_classes=4)
    sampler = with_bn.parts["decoder" if name == "vae" else "generator"]
    plain = without.parts["decoder" if name == "vae" else "generator"]
    assert any(isinstance(m, nn.BatchNorm2d) for m in sampler.modules())
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in plain.modules())
    z = with_bn.latent(4, torch.Generator().manual_seed(0))
    y = torch.arange(4) if with_bn.conditional else None
    assert with_bn.generate(z, y).shape == without.generate(z, y).shape == (4, 1, 28, 28)


@pytest.mark.parametrize("name", ["gan", "cgan"])
def test_d_norm_spectral_builds_and_bounds_the_layers(name):
    m = _build(name, d_norm="spectral", num_classes=4)
    wrapped = [mod for mod in m.discriminator.modules() if parametrize.is_parametrized(mod, "weight")]
    assert len(wrapped) >= 3  # both convolutions and the head (and the cGAN embedding)
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    y = torch.arange(4)
    m.train()
    for _ in range(30):  # power iteration converges during forward passes in train mode
        m.discriminator(x, y) if m.conditional else m.discriminator(x)
    m.eval()
    out = m.discriminator(x, y) if m.conditional else m.discriminator(x)
    assert out.shape == (4,)
    conv1 = m.discriminator.trunk.conv1
    sigma = torch.linalg.matrix_norm(conv1.weight.detach().flatten(1), ord=2)
    assert sigma == pytest.approx(1.0, rel=0.05)
    plain = _build(name, d_norm="none", num_classes=4)
    assert not any(parametrize.is_parametrized(mod, "weight") for mod in plain.discriminator.modules())


def test_sampler_parts_exist():
    for name in MODELS:
        m = _build(name, num_classes=4)
        assert m.sampler_parts and set(m.sampler_parts) <= set(m.parts)


def test_build_is_deterministic_under_the_global_seed():
    a, b = _build("gan"), _build("gan")
    sa, sb = a.state_dict(), b.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
