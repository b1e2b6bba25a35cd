"""normgen.models.cyclegan: the family's facts, its parts for the penalties, its probe inputs, the rows
picture, and its controls' validation (one-line errors)."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import tiny_config

from normgen.data import make_shapes
from normgen.domains import dilate
from normgen.models import build_model, default_model_config, family
from normgen.models.cyclegan import PROBE, CycleGAN
from normgen.regularizers import Penalty, RegConfig, resolve_target


def _model(**kw) -> CycleGAN:
    torch.manual_seed(0)
    return build_model(default_model_config("cyclegan", ch=4, **kw))


def test_family_facts_and_parts():
    fam = family("cyclegan")
    assert fam is CycleGAN and fam.translates and fam.objective == "cycle"
    m = _model()
    assert set(m.parts) == {"generator", "discriminator"}
    assert {n for n, _ in m.generator.named_children()} == {"g", "f"}
    assert {n for n, _ in m.discriminator.named_children()} == {"d_a", "d_b"}
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        ys = (m.to_b(x), m.to_a(x))
    for y in ys:
        assert y.shape == x.shape and float(y.abs().max()) <= 1.0
    assert m.discriminator.d_a(x).shape == (3,)


@pytest.mark.parametrize("target,on", [("generator", ("g", "f")), ("discriminator", ("d_a", "d_b")),
                                       ("both", ("g", "f", "d_a", "d_b"))])
def test_weight_penalties_reach_both_networks_of_the_target(target, on):
    m = _model()
    parts = resolve_target(target, m.parts)
    reg = RegConfig(l1=1e-3, l2=1e-2, group=1e-3, target=target)
    pens = {p: Penalty(reg, mod if p in parts else None) for p, mod in m.parts.items()}
    total = sum(sum(pen.loss_terms().values(), torch.zeros(())) for pen in pens.values())
    total.backward()
    nets = {"g": m.generator.g, "f": m.generator.f, "d_a": m.discriminator.d_a, "d_b": m.discriminator.d_b}
    for name, net in nets.items():
        has = any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in net.parameters())
        assert has == (name in on), (target, name)


def test_probe_is_bound_from_domain_a_and_drawn_by_seed():
    m = _model()
    data = make_shapes(20, seed=1)
    m.bind_data(data)
    reps = -(-PROBE // 20)
    assert torch.equal(m.generator.probe, data.images.repeat(reps, 1, 1, 1)[:PROBE])
    z1 = m.latent(8, torch.Generator().manual_seed(3))
    z2 = m.latent(8, torch.Generator().manual_seed(3))
    assert torch.equal(z1, z2) and z1.shape == (8, 1, 28, 28)
    assert m.latent(PROBE + 5, torch.Generator().manual_seed(0)).shape[0] == PROBE + 5
    assert "generator.probe" in m.state_dict()  # travels with the sampler part in a checkpoint


def test_rows_are_input_translation_cycle_and_truth():
    m = _model()
    a = make_shapes(5, seed=2).images
    rows = m.rows(a)
    assert rows.shape == (4, 5, 1, 28, 28)
    assert torch.equal(rows[0], a) and torch.equal(rows[3], dilate(a))
    assert torch.allclose(rows[1], m.to_b(a)) and torch.allclose(rows[2], m.to_a(m.to_b(a)))


@pytest.mark.parametrize("field,value,fragment", [
    ("lambda_cyc", -1.0, "lambda_cyc must be a finite number in [0, 100], got -1.0"),
    ("lambda_cyc", math.nan, "lambda_cyc must be a finite number in [0, 100], got nan"),
    ("lambda_cyc", 1e9, "lambda_cyc must be a finite number in [0, 100], got 1000000000.0"),
    ("lambda_id", -0.5, "lambda_id must be a finite number in [0, 100]"),
    ("lambda_id", math.inf, "lambda_id must be a finite number in [0, 100], got inf"),
    ("lambda_cyc", "10", "lambda_cyc must be a finite number"),
    ("cycle_norm", "l3", "cycle_norm must be one of l1, l2, got 'l3'"),
    ("domains", "horse-zebra", "unknown domain pair 'horse-zebra'; choose one of: thin-bold"),
])
def test_bad_controls_are_one_line_errors(field, value, fragment):
    with pytest.raises(ValueError) as e:
        default_model_config("cyclegan", **{field: value})
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_config_round_trip_and_tiny_training_config():
    cfg = tiny_config("cyclegan", model_overrides={"lambda_cyc": 5.0, "cycle_norm": "l2", "lambda_id": 0.5})
    from normgen.config import TrainConfig

    again = TrainConfig.from_dict(cfg.to_dict())
    assert again == cfg and again.model.cycle_norm == "l2"
