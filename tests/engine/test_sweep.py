"""Batched lambda sweeps: each batched model is the step-for-step twin of its sequential run."""

from __future__ import annotations

import pytest
import torch

from normgen.config import make_config
from normgen.data import load_dataset
from normgen.engine.sweep import BatchedTrainer, check_sweep, choose_mode, sweep
from normgen.models import GenerativeModel
from normgen.regularizers import RegConfig

TINY = {"ch": 4, "nz": 8}


@pytest.fixture(scope="module")
def data():
    return load_dataset("shapes", size=256, seed=0)


def _cfgs(model: str, regs: list[RegConfig], steps: int = 6, **mo):
    return [make_config(model, "shapes", model_overrides={**TINY, **mo}, reg=r, steps=steps,
                        batch_size=8, log_every=3, sample_every=3, n_samples=8) for r in regs]


def _max_diff(a: GenerativeModel, b: GenerativeModel) -> float:
    return max((x.float() - y.float()).abs().max().item()
               for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


@pytest.mark.parametrize("model,variant", [("gan", "loss"), ("cgan", "proximal"), ("vae", "decoupled"),
                                           ("vae", "loss"), ("gan", "decoupled")])
def test_batched_matches_sequential_step_for_step(data, model, variant):
    torch.set_num_threads(1)
    regs = [RegConfig(variant=variant, target="both"),
            RegConfig(l1=0.3, l2=0.2, group=0.1, act=0.5, variant=variant, target="both")]
    cfgs = _cfgs(model, regs)
    seq = sweep(cfgs, data=data, device="cpu", mode="sequential")
    bat = sweep(cfgs, data=data, device="cpu", mode="batched")
    for s, b in zip(seq, bat, strict=True):
        assert isinstance(b.model, type(s.model)) and b.status == s.status == "finished"
        assert b.steps == s.steps == 6
        assert _max_diff(s.model, b.model) < 1e-6
        assert [r["step"] for r in s.history] == [r["step"] for r in b.history] == [3, 6]
        for rs, rb in zip(s.history, b.history, strict=True):
            assert set(rs) == set(rb)  # the same metric names, penalty terms only where lambda > 0
            for k in rs:
                if k != "time":
                    assert rb[k] == pytest.approx(rs[k], rel=1e-4, abs=1e-5), k
        torch.testing.assert_close(b.samples, s.samples, atol=1e-5, rtol=0)
    # the penalty really acted: the regularized twin moved away from the unregularized one
    assert _max_diff(bat[0].model, bat[1].model) > 1e-3


def test_batched_with_batchnorm_matches_samples(data):
    """Biases right before BatchNorm have zero true gradient, so Adam amplifies rounding noise in
    them (~lr); the function the generator computes is unaffected, so compare its samples."""
    cfgs = _cfgs("gan", [RegConfig(), RegConfig(l2=0.5)], g_norm="batch")
    seq = sweep(cfgs, data=data, device="cpu", mode="sequential")
    bat = sweep(cfgs, data=data, device="cpu", mode="batched")
    for s, b in zip(seq, bat, strict=True):
        torch.testing.assert_close(b.samples, s.samples, atol=2e-3, rtol=0)


def test_k1_stacked_adam_equals_torch_adam(data):
    """One stacked model, trained batched, equals plain train() on the same config."""
    (cfg,) = _cfgs("gan", [RegConfig(l1=0.1)], steps=4)
    (s,) = sweep([cfg], data=data, device="cpu", mode="sequential")
    (b,) = sweep([cfg], data=data, device="cpu", mode="batched")
    assert _max_diff(s.model, b.model) < 1e-6


def test_divergence_is_per_model(data):
    """A model that blows up keeps its last good weights; its neighbour in the batch trains on."""
    cfgs = _cfgs("gan", [RegConfig(), RegConfig()], steps=6)
    bt = BatchedTrainer(cfgs, data, torch.device("cpu"))
    calls = {"n": 0}
    orig = bt.gan_step

    def poisoned():
        out = orig()
        calls["n"] += 1
        if calls["n"] == 5:  # after the first log step (3): model 1 goes NaN
            with torch.no_grad():
                bt.params["model.generator.fc.weight"][1].fill_(float("nan"))
        return out

    bt.gan_step = poisoned
    ok, bad = bt.run()
    assert ok.status == "finished" and ok.steps == 6
    assert bad.status == "diverged" and bad.steps == 3 and "diverged at step 6" in bad.message
    assert all(torch.isfinite(p).all() for p in bad.model.parameters())


def test_sweep_rejects_mixed_configs_and_modes(data):
    a, b = _cfgs("gan", [RegConfig(), RegConfig(l1=0.1)])
    check_sweep([a, b])
    with pytest.raises(ValueError, match="lambdas"):
        check_sweep([a, make_config("gan", "shapes", model_overrides=TINY, steps=7)])
    with pytest.raises(ValueError, match="mode"):
        choose_mode("fast", torch.device("cpu"), a)
    assert choose_mode("auto", torch.device("cpu"), a) == "sequential"
    assert choose_mode("auto", torch.device("cuda"), a) == "batched"
    (spec,) = _cfgs("gan", [RegConfig()], d_norm="spectral")
    assert choose_mode("auto", torch.device("cuda"), spec) == "sequential"
    with pytest.raises(ValueError, match="spectral"):
        choose_mode("batched", torch.device("cpu"), spec)


def test_sweep_cli_writes_loadable_checkpoints(tmp_path, capsys):
    from normgen.checkpoints import load
    from normgen.cli import main

    rc = main(["sweep", "--lambda", "l2", "--values", "0,0.5", "--steps", "3", "--ch", "4", "--nz", "8",
               "--batch-size", "8", "--mode", "batched", "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    for v in ("0", "0.5"):
        ck = load(tmp_path / f"l2_{v}.safetensors")
        assert ck.config.reg.l2 == float(v) and ck.meta["steps"] == 3
        assert (tmp_path / f"l2_{v}.png").is_file()
    assert main(["sweep", "--lambda", "l3", "--values", "0", "--out", str(tmp_path)]) == 2
    assert "--lambda must be one of" in capsys.readouterr().err


def test_the_cycle_gan_is_refused_by_the_batched_trainer_and_trained_sequentially(shapes_small):
    from conftest import tiny_config

    from normgen.engine.sweep import batchable

    cfgs = [tiny_config("cyclegan", steps=2, reg=RegConfig(l1=v)) for v in (0.0, 1e-3)]
    assert not batchable(cfgs[0])
    assert choose_mode("auto", torch.device("cuda"), cfgs[0]) == "sequential"
    with pytest.raises(ValueError, match="batched sweeps train the gan and vae objectives only; the Cycle GAN's "
                                         "'cycle' objective trains with mode='sequential'") as e:
        sweep(cfgs, data=shapes_small, device="cpu", mode="batched")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="batched sweeps"):
        BatchedTrainer(cfgs, shapes_small, torch.device("cpu"))
    res = sweep(cfgs, data=shapes_small, device="cpu", mode="auto")
    assert [r.status for r in res] == ["finished", "finished"] and res[1].config.reg.l1 == 1e-3
