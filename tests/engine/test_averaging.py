"""The sampling part's moving average and its batch-norm statistics measured again (normgen/engine/averaging.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from normgen.config import make_config
from normgen.engine.averaging import RECALIBRATE_BATCHES, WeightAverage, recalibrate_batchnorm
from normgen.engine.train import train
from normgen.models import build_model


def test_the_average_weighs_the_past_by_its_decay_and_copies_counts():
    m = nn.BatchNorm1d(3)
    with torch.no_grad():
        m.weight.fill_(1.0)
    avg = WeightAverage(m, 0.9)
    with torch.no_grad():
        m.weight.fill_(2.0)
        m.num_batches_tracked.fill_(7)
    avg.update()
    assert torch.allclose(avg.avg["weight"], torch.full((3,), 0.9 * 1.0 + 0.1 * 2.0))
    assert int(avg.avg["num_batches_tracked"]) == 7 and avg.updates == 1
    avg.apply()
    assert torch.allclose(m.weight, torch.full((3,), 1.1))
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(m, 1.0)


def test_batchnorm_statistics_are_measured_again_on_the_models_own_samples():
    model = build_model(make_config("gan", "shapes", model_overrides={"g_norm": "batch"}).model)
    bns = [m for m in model.generator.modules() if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d)]
    assert bns
    for m in bns:
        m.running_mean.fill_(123.0)
        m.running_var.fill_(-1.0)
    assert recalibrate_batchnorm(model, "generator", seed=0) == len(bns)
    assert not model.training
    for m in bns:
        assert m.running_mean.abs().max() < 50 and (m.running_var > 0).all()
        assert int(m.num_batches_tracked) == RECALIBRATE_BATCHES and m.momentum == 0.1  # its momentum given back
    again = build_model(make_config("gan", "shapes", model_overrides={"g_norm": "batch"}).model)
    again.load_state_dict(model.state_dict())
    recalibrate_batchnorm(again, "generator", seed=0)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True))
    plain = build_model(make_config("gan", "shapes").model)
    assert recalibrate_batchnorm(plain, "generator", seed=0) == 0  # no batch norm: nothing to measure


def test_a_run_with_ema_ends_with_the_average_of_its_generator_only():
    kw = dict(model_overrides={"g_norm": "batch"}, steps=30, batch_size=16, log_every=10, seed=3)
    raw = train(make_config("gan", "shapes", **kw), device="cpu")
    ema = train(make_config("gan", "shapes", ema=0.9, ema_start=10, **kw), device="cpu")
    assert raw.steps == ema.steps == 30
    d_raw, d_ema = raw.model.discriminator.state_dict(), ema.model.discriminator.state_dict()
    assert all(torch.equal(d_raw[k], d_ema[k]) for k in d_raw)  # the same training: only the sampler is averaged
    g_raw, g_ema = raw.model.generator.state_dict(), ema.model.generator.state_dict()
    assert any(not torch.equal(g_raw[k], g_ema[k]) for k in g_raw if g_raw[k].dtype.is_floating_point)
    assert ema.config.ema == 0.9 and not ema.model.training


@pytest.mark.parametrize("model,kw,match", [("gan", {"ema": 1.0}, "ema must be"), ("gan", {"ema": -0.1}, "ema must"),
                                             ("gan", {"ema_start": -1}, "ema_start"),
                                             ("cyclegan", {"ema": 0.99}, "translates")])
def test_a_bad_average_is_refused_by_name(model, kw, match):
    with pytest.raises(ValueError, match=match):
        make_config(model, "mnist" if model == "cyclegan" else "shapes", **kw)


def test_the_reproducing_command_carries_the_average():
    from normgen.cli import build_parser
    from normgen.cli.train import config_from_args
    from normgen.config import reproduce_command

    cfg = make_config("gan", "shapes", ema=0.99, ema_start=200, steps=400)
    cmd = reproduce_command(cfg)
    assert "--ema 0.99 --ema-start 200" in cmd
    args = build_parser().parse_args(cmd.split()[3:])
    assert config_from_args(args) == cfg
    assert "--ema" not in reproduce_command(make_config("gan", "shapes"))
