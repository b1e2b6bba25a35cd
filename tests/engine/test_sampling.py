"""normgen.engine.sampling: fixed-noise samples are deterministic by seed, in range, on the CPU."""

from __future__ import annotations

import pytest
import torch

from normgen.engine.sampling import sample
from normgen.models import build_model, default_model_config


def test_same_seed_same_samples(trained_gan):
    m = trained_gan.model
    a, b, c = sample(m, 12, 4), sample(m, 12, 4), sample(m, 12, 5)
    assert a.shape == (12, 1, 28, 28) and a.dtype == torch.float32 and a.device.type == "cpu"
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= -1 and a.max() <= 1


def test_noise_is_drawn_from_the_seed_alone(trained_gan):
    """sample(model, n, seed) is model.generate on the CPU noise of torch.Generator().manual_seed(seed):
    the global RNG plays no part."""
    m = trained_gan.model
    torch.manual_seed(123)
    a = sample(m, 6, 9)
    torch.manual_seed(456)
    b = sample(m, 6, 9)
    z = m.latent(6, torch.Generator().manual_seed(9))
    with torch.no_grad():
        ref = m.generate(z)
    assert torch.equal(a, b) and torch.equal(a, ref)


def test_prefix_of_a_larger_grid_matches(trained_gan):
    """The first k noise vectors do not depend on n, so a grid of 16 starts with the grid of 4."""
    m = trained_gan.model
    assert torch.equal(sample(m, 16, 2)[:4], sample(m, 4, 2))


def test_sampling_keeps_the_training_mode_and_needs_no_grad():
    torch.manual_seed(0)
    m = build_model(default_model_config("gan", ch=8, g_norm="batch"))
    m.train()
    x = sample(m, 5, 0)
    assert m.training, "sample() must restore the model's mode"
    assert not x.requires_grad
    # BatchNorm in eval mode: a sample does not depend on the rest of the batch
    assert torch.allclose(sample(m, 5, 0)[:2], sample(m, 2, 0), atol=1e-6)
    m.eval()
    sample(m, 2, 0)
    assert not m.training


def test_conditional_samples_follow_labels_for(trained_cgan):
    m = trained_cgan.model
    n = 8
    x = sample(m, n, 3)
    z = m.latent(n, torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = m.generate(z, m.labels_for(n))
    assert torch.equal(x, ref)


@pytest.mark.parametrize("name", ["vae", "cgan"])
def test_every_model_family_samples_in_range(name):
    torch.manual_seed(0)
    m = build_model(default_model_config(name, ch=8, num_classes=4))
    x = sample(m, 7, 1)
    assert x.shape == (7, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, sample(m, 7, 1))


@pytest.mark.parametrize("n", [0, -1, 5000])
def test_bad_n(trained_gan, n):
    with pytest.raises(ValueError, match="n must be in"):
        sample(trained_gan.model, n, 0)
