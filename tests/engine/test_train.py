"""normgen.engine.train: the effect of L1 on a short run, history records, progress, cancel, divergence,
determinism on the CPU, fine-tuning, and one short run per model family."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import state_equal, tiny_config

from normgen.data import Dataset
from normgen.engine.sampling import sample
from normgen.engine.train import STEPS, Progress, TrainResult, make_trainer, optimizer_plan, step_for, train
from normgen.eval.metrics import NEAR_ZERO, model_weight_stats
from normgen.models import MODEL_NAMES, family
from normgen.regularizers import RegConfig, penalized_weights

STAT_KEYS = ("l1", "l2", "near_zero_pct", "zero_pct", "dead_filter_pct")


def _run(model: str, data: Dataset, **kw) -> TrainResult:
    train_kw = {k: kw.pop(k) for k in ("progress", "should_stop", "init") if k in kw}
    return train(tiny_config(model, **kw), data=data, device="cpu", **train_kw)


def _without_time(history: list[dict[str, float]]) -> list[dict[str, float]]:
    return [{k: v for k, v in r.items() if k != "time"} for r in history]


def _near_zero_pct(module: torch.nn.Module) -> float:
    w = np.concatenate([w.detach().numpy().ravel() for _, w in penalized_weights(module)])
    return 100.0 * float(np.mean(np.abs(w) < NEAR_ZERO))


# ---------------------------------------------------------------------------------------------
# what the learner should see


@pytest.fixture(scope="module")
def l1_pair(shapes_small) -> tuple[TrainResult, TrainResult]:
    """The same 150-step GAN run (same seed) without and with L1 = 1e-3 on the generator."""
    kw = {"steps": 150, "ch": 16, "batch_size": 32, "log_every": 50, "seed": 3}
    plain = _run("gan", shapes_small, **kw)
    sparse = _run("gan", shapes_small, reg=RegConfig(l1=1e-3, target="generator"), **kw)
    return plain, sparse


def test_l1_run_has_clearly_more_near_zero_weights(l1_pair):
    plain, sparse = l1_pair
    assert plain.status == sparse.status == "finished"
    p = plain.history[-1]["generator/near_zero_pct"]
    s = sparse.history[-1]["generator/near_zero_pct"]
    assert s > 3 * p and s - p > 10, (p, s)
    assert sparse.history[-1]["generator/l1"] < plain.history[-1]["generator/l1"]
    # the logged statistic is the fraction of penalized generator weights with |w| < 1e-3
    assert _near_zero_pct(sparse.model.generator) == pytest.approx(s, abs=1e-6)
    assert _near_zero_pct(plain.model.generator) == pytest.approx(p, abs=1e-6)
    # the penalty shows up in the records and shrinks over the run
    pens = [r["pen_l1_generator"] for r in sparse.history]
    assert pens[-1] < pens[0]
    assert "pen_l1_generator" not in plain.history[-1]


def test_proximal_l1_gives_exact_zeros_in_a_run(shapes_small):
    prox = _run("gan", shapes_small, steps=20, reg=RegConfig(l1=0.1, variant="proximal"))
    loss = _run("gan", shapes_small, steps=20, reg=RegConfig(l1=0.1, variant="loss"))
    assert prox.history[-1]["generator/zero_pct"] > 0
    assert loss.history[-1]["generator/zero_pct"] == 0
    assert (prox.model.generator.up1.weight == 0).any()
    assert "pen_l1_generator" not in prox.history[-1]  # the prox step is not a loss term


# ---------------------------------------------------------------------------------------------
# records and callbacks


def test_history_records_losses_penalties_and_weight_stats(shapes_small):
    reg = RegConfig(l1=1e-3, l2=1e-2, group=1e-2, target="both")
    res = _run("gan", shapes_small, steps=20, reg=reg)
    assert [r["step"] for r in res.history] == [5, 10, 15, 20]
    for rec in res.history:
        assert all(math.isfinite(v) for v in rec.values())
        for key in ("d_loss", "g_loss", "time"):
            assert key in rec
        for part in ("generator", "discriminator"):
            for pen in ("l1", "l2", "group"):
                assert rec[f"pen_{pen}_{part}"] > 0
            for stat in STAT_KEYS:
                assert f"{part}/{stat}" in rec
    last = res.history[-1]
    # the last record's weight statistics are those of the returned model
    stats = model_weight_stats(res.model.parts)
    for part in ("generator", "discriminator"):
        for stat in STAT_KEYS:
            assert last[f"{part}/{stat}"] == pytest.approx(stats[part]["total"][stat], rel=1e-6, abs=1e-9)
    # each penalty value is lambda times the norm (measured before the last update: within 5%)
    assert last["pen_l1_generator"] == pytest.approx(1e-3 * last["generator/l1"], rel=0.05)
    assert last["pen_l2_generator"] == pytest.approx(1e-2 * last["generator/l2"] ** 2, rel=0.05)


def test_vae_records_per_pixel_losses_and_both_parts(shapes_small):
    res = _run("vae", shapes_small, steps=10, reg=RegConfig(l1=1e-3, act=0.1, target="both"))
    last = res.history[-1]
    for key in ("rec", "kl", "loss", "pen_l1_encoder", "pen_l1_decoder", "act"):
        assert key in last and math.isfinite(last[key])
    # the data loss is per pixel (nats): a sum over 784 pixels would be in the hundreds
    assert 0 < last["rec"] < 1.0
    assert last["loss"] == pytest.approx(last["rec"] + last["kl"], rel=1e-5)


def test_targeting_only_the_discriminator(shapes_small):
    res = _run("gan", shapes_small, steps=5, reg=RegConfig(l1=1e-3, target="discriminator"))
    pens = {k for k in res.history[-1] if k.startswith("pen_")}
    assert pens == {"pen_l1_discriminator"}


def test_target_that_the_model_lacks_is_rejected(shapes_small):
    with pytest.raises(ValueError, match="encoder, decoder, both"):
        _run("vae", shapes_small, steps=2, reg=RegConfig(l1=1e-3, target="generator"))


def test_progress_receives_records_and_periodic_samples(shapes_small):
    seen: list[Progress] = []
    res = _run("gan", shapes_small, steps=20, log_every=5, sample_every=10, progress=seen.append)
    assert [p.step for p in seen] == [5, 10, 15, 20]
    assert all(p.total == 20 and p.record["step"] == p.step for p in seen)
    with_samples = [p.step for p in seen if p.samples is not None]
    assert 10 in with_samples and 20 in with_samples
    assert len(with_samples) < len(seen), "samples are periodic, not sent with every record"
    for p in seen:
        if p.samples is not None:
            assert p.samples.shape == (8, 1, 28, 28) and p.samples.device.type == "cpu"
            assert p.samples.min() >= -1 and p.samples.max() <= 1
    assert torch.equal(seen[-1].samples, res.samples)


def test_should_stop_stops_early_and_leaves_a_usable_model(shapes_small):
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 7  # allow 7 steps, stop before the 8th

    res = _run("gan", shapes_small, steps=50, should_stop=stop)
    assert res.status == "stopped"
    assert 7 <= res.steps <= 10 and "stopped" in res.message  # polled at least every log interval
    assert res.samples.shape == (8, 1, 28, 28) and torch.isfinite(res.samples).all()
    x = sample(res.model, 4, seed=1)
    assert x.shape == (4, 1, 28, 28) and torch.isfinite(x).all()


def test_time_budget_ends_the_run(shapes_small):
    res = _run("gan", shapes_small, steps=1000, max_seconds=1e-9)
    assert res.status == "finished" and res.steps < 1000
    assert "time budget" in res.message
    assert res.samples is not None and torch.isfinite(res.samples).all()


# ---------------------------------------------------------------------------------------------
# divergence


@pytest.mark.parametrize("model", ["gan", "vae", "cgan"])
def test_nan_data_is_reported_as_divergence_not_raised(shapes_small, model):
    bad = Dataset("shapes", torch.full_like(shapes_small.images, float("nan")), shapes_small.labels)
    res = _run(model, bad, steps=20)
    assert res.status == "diverged"
    assert "diverged at step 5" in res.message
    assert res.steps == 0
    assert all(torch.isfinite(p).all() for p in res.model.parameters())
    assert torch.isfinite(res.samples).all()
    # the kept weights are the initial ones
    untouched = _run(model, shapes_small, steps=20, should_stop=lambda: True)
    assert state_equal(res.model, untouched.model)


@pytest.mark.parametrize("model", ["gan", "vae"])
def test_mid_run_divergence_keeps_the_last_good_weights(shapes_small, model):
    data = Dataset("shapes", shapes_small.images.clone(), shapes_small.labels)

    def poison_after_step_10(p: Progress) -> None:
        if p.step == 10:  # from step 11 on, every batch is NaN; the next check is at step 15
            data.images.fill_(float("nan"))

    res = _run(model, data, steps=30, progress=poison_after_step_10)
    assert res.status == "diverged"
    assert "diverged at step 15" in res.message
    assert res.steps == 10
    assert [r["step"] for r in res.history] == [5, 10]
    assert all(torch.isfinite(p).all() for p in res.model.parameters())
    clean = _run(model, shapes_small, steps=10)
    assert state_equal(res.model, clean.model), "the model must hold the weights of step 10"


# ---------------------------------------------------------------------------------------------
# determinism and fine-tuning


@pytest.mark.parametrize("model", ["gan", "vae", "cgan"])
def test_same_seed_same_result_on_cpu(shapes_small, model):
    reg = RegConfig(l1=1e-3, target="both")
    a = _run(model, shapes_small, steps=10, seed=5, reg=reg)
    b = _run(model, shapes_small, steps=10, seed=5, reg=reg)
    c = _run(model, shapes_small, steps=10, seed=6, reg=reg)
    assert _without_time(a.history) == _without_time(b.history)
    assert torch.equal(a.samples, b.samples)
    assert state_equal(a.model, b.model)
    assert _without_time(a.history) != _without_time(c.history)
    assert not torch.equal(a.samples, c.samples)


def test_fine_tune_starts_from_init_weights(shapes_small, trained_gan):
    init = trained_gan.model
    before = {k: v.clone() for k, v in init.state_dict().items()}
    cfg = trained_gan.config
    start = train(cfg, data=shapes_small, device="cpu", init=init, should_stop=lambda: True)
    assert start.steps == 0 and state_equal(start.model, init)
    tuned = train(cfg, data=shapes_small, device="cpu", init=init)
    scratch = train(cfg, data=shapes_small, device="cpu")
    assert tuned.status == "finished"
    assert not state_equal(tuned.model, init)
    # the scratch run replays the same 10 steps from the seed's init, so it equals the starting
    # checkpoint; the fine-tuned run continues from it and must not
    assert state_equal(scratch.model, init)
    assert not torch.equal(tuned.samples, trained_gan.samples)
    assert all(torch.equal(v, before[k]) for k, v in init.state_dict().items()), "init was modified"


def test_fine_tune_needs_the_same_model_config(shapes_small, trained_gan):
    cfg = tiny_config("gan", steps=2, ch=12)
    with pytest.raises(ValueError, match="same model config"):
        train(cfg, data=shapes_small, device="cpu", init=trained_gan.model)


# ---------------------------------------------------------------------------------------------
# every model family trains


@pytest.mark.parametrize("model,losses", [("gan", ("d_loss", "g_loss")), ("vae", ("rec", "kl")),
                                          ("cgan", ("d_loss", "g_loss"))])
@pytest.mark.parametrize("g_norm", ["none", "batch"])
def test_each_model_family_trains_a_few_steps(shapes_small, model, losses, g_norm):
    res = _run(model, shapes_small, steps=6, log_every=3, model_overrides={"g_norm": g_norm},
               reg=RegConfig(l2=1e-3, target="both"))
    assert res.status == "finished" and res.steps == 6
    assert res.message.startswith("finished")
    for key in losses:
        assert all(math.isfinite(r[key]) for r in res.history)
    assert res.samples.shape == (8, 1, 28, 28)
    assert res.samples.min() >= -1 and res.samples.max() <= 1
    assert not res.model.training
    if model == "cgan":
        assert res.model.cfg.num_classes == 4  # shapes has 4 classes


def test_spectral_discriminator_trains(shapes_small):
    res = _run("cgan", shapes_small, steps=6, model_overrides={"d_norm": "spectral"},
               reg=RegConfig(l1=1e-3, target="discriminator"))
    assert res.status == "finished"
    assert res.history[-1]["pen_l1_discriminator"] > 0


def test_fast_cuda_math_is_a_no_op_off_cuda():
    from normgen.engine.train import use_fast_cuda_math

    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark)
    assert use_fast_cuda_math(torch.device("cpu")) is False
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark) == before


@pytest.mark.parametrize("name", [n for n in MODEL_NAMES if family(n).image_channels in (None, 1)])  # grey shapes
def test_optimizers_and_step_come_from_the_family(shapes_small, name):
    """Each optimizer updates exactly the parameters of its family's parts, every part once; lr_d goes
    to the discriminator's optimizer only; the step is the one of the family's objective."""
    fam = family(name)
    cfg = tiny_config(name, lr=2e-3, lr_d=5e-4)
    plan = optimizer_plan(cfg)
    assert sorted(p for parts, _ in plan.values() for p in parts) == sorted(fam.part_names)
    for parts, lr in plan.values():
        assert lr == (5e-4 if "discriminator" in parts else 2e-3)
    t = make_trainer(cfg, shapes_small, torch.device("cpu"))
    for opt_name, (parts, lr) in plan.items():
        held = {id(p) for g in t.opts[opt_name].param_groups for p in g["params"]}
        assert held == {id(p) for part in parts for p in t.model.parts[part].parameters()}
        assert t.opts[opt_name].param_groups[0]["lr"] == lr
    assert step_for(name) is STEPS[fam.objective]


# ---- the cycle GAN's objective (normgen.engine.train.cycle_step / translator_objective) ------------------

def _cycle_parts(lambda_cyc: float, lambda_id: float = 0.0, norm: str = "l1"):
    from normgen.engine.train import translator_objective

    cfg = tiny_config("cyclegan", model_overrides={"lambda_cyc": lambda_cyc, "lambda_id": lambda_id,
                                                   "cycle_norm": norm})
    torch.manual_seed(0)
    from normgen.models import build_model

    m = build_model(cfg.model)
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(4, 1, 28, 28, generator=g) * 2 - 1, torch.rand(4, 1, 28, 28, generator=g) * 2 - 1
    fake_b, fake_a = m.to_b(a), m.to_a(b)
    total, out = translator_objective(m, a, b, fake_b, fake_a)
    return m, total, out, (a, b, fake_b, fake_a)


def _gen_grads(m, loss: torch.Tensor) -> list[torch.Tensor]:
    params = list(m.generator.parameters())
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return [x if x is not None else torch.zeros_like(p) for x, p in zip(grads, params, strict=True)]


def test_with_lambda_cyc_zero_the_cycle_term_has_no_gradient():
    from normgen import losses

    m, total, out, (a, b, fake_b, fake_a) = _cycle_parts(0.0)
    assert not out["cyc"].requires_grad and float(out["cyc"]) > 0  # measured, recorded, not trained on
    adv = losses.g_loss(m.discriminator.d_b(fake_b)) + losses.g_loss(m.discriminator.d_a(fake_a))
    for x, y in zip(_gen_grads(m, total), _gen_grads(m, adv), strict=True):
        assert torch.equal(x, y)  # the objective's gradient is the adversarial term's alone
    # and with λ_cyc > 0 the cycle term does move the translators
    m2, total2, out2, _ = _cycle_parts(10.0)
    assert total2.requires_grad and float(total2 - out2["g_loss"]) == pytest.approx(10 * float(out2["cyc"]), rel=1e-5)
    diff = sum(float((x - y).abs().sum()) for x, y in zip(_gen_grads(m2, total2), _gen_grads(m, adv), strict=True))
    assert diff > 0


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_cycle_objective_adds_the_weighted_terms(norm):
    from normgen import losses

    m, total, out, (a, b, fake_b, fake_a) = _cycle_parts(3.0, 0.5, norm)
    cyc = losses.cycle_loss(a, m.to_a(fake_b), b, m.to_b(fake_a), norm)
    idt = losses.identity_loss(a, m.to_a(a), b, m.to_b(b), norm)
    assert float(out["cyc"]) == pytest.approx(float(cyc)) and float(out["idt"]) == pytest.approx(float(idt))
    assert float(total) == pytest.approx(float(out["g_loss"] + 3.0 * cyc + 0.5 * idt), rel=1e-5)


def test_cycle_gan_trains_a_few_steps_and_translates_on_the_cpu(shapes_small):
    from normgen.engine.sampling import translation_rows

    cfg = tiny_config("cyclegan", steps=6, reg=RegConfig(l1=1e-3, target="generator"))
    res = train(cfg, data=shapes_small, device="cpu")
    assert res.status == "finished" and res.steps == 6
    rec = res.history[-1]
    for k in ("d_loss", "g_loss", "cyc", "pen_l1_generator"):
        assert math.isfinite(rec[k]), k
    assert res.samples.shape == (cfg.n_samples, 1, 28, 28)
    assert float(res.samples.abs().max()) <= 1.0
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    y = res.model.to_b(x)
    assert y.shape == (5, 1, 28, 28) and bool(torch.isfinite(y).all()) and float(y.abs().max()) <= 1.0
    rows = translation_rows(res.model, 3, seed=0)
    assert rows.shape == (12, 1, 28, 28)
    a = rows[0::4]  # each row starts with its input, one of the training set's domain-A images
    assert torch.equal(rows[3::4], torch.nn.functional.max_pool2d(a, 3, 1, 1))
    dom = cfg.training_images(shapes_small)
    flat = dom.a.images.flatten(1)
    assert all(bool((flat == x.flatten()).all(1).any()) for x in a)


# ---- the Wasserstein loss and its Lipschitz constraints in the GAN step (issue 15) --------------------


def test_weight_clipping_keeps_every_discriminator_weight_within_c(shapes_small):
    c = 0.004
    cfg = tiny_config("gan", steps=6, loss="wgan", lipschitz="clip", clip=c)
    res = train(cfg, data=shapes_small, device="cpu")
    ws = list(res.model.discriminator.parameters())
    assert all(w.abs().max() <= c for w in ws)
    assert sum(int((w.abs() == c).sum()) for w in ws) > 100  # the bound is reached: clipping acted
    free = train(tiny_config("gan", steps=6, loss="wgan"), data=shapes_small, device="cpu")
    assert max(w.abs().max() for w in free.model.discriminator.parameters()) > 10 * c


def test_the_gradient_penalty_is_recorded_and_changes_the_run(shapes_small):
    plain = train(tiny_config("gan", steps=5, loss="wgan"), data=shapes_small, device="cpu")
    gp = train(tiny_config("gan", steps=5, loss="wgan", lipschitz="gp", gp=10.0), data=shapes_small, device="cpu")
    assert "gp" in gp.history[-1] and "gp" not in plain.history[-1]
    assert not torch.equal(plain.samples, gp.samples)


@pytest.mark.parametrize("n_critic", [1, 5])
def test_the_critic_takes_n_critic_steps_per_generator_step(shapes_small, monkeypatch, n_critic):
    """WGAN-GP as published (Gulrajani et al. 2017, Algorithm 1): n_critic discriminator updates, then one
    generator update, each step."""
    from normgen.engine import train as T

    calls: list[str] = []
    real_update = T.Trainer.update
    monkeypatch.setattr(T.Trainer, "update", lambda self, name, loss: (calls.append(name), real_update(self, name,
                                                                                                    loss))[1])
    res = train(tiny_config("gan", steps=4, loss="wgan", lipschitz="gp", n_critic=n_critic), data=shapes_small,
                device="cpu")
    assert res.steps == 4
    assert calls == (["discriminator"] * n_critic + ["generator"]) * 4


def test_n_critic_is_checked():
    with pytest.raises(ValueError, match="n_critic must be an integer in \\[1, 10\\]"):
        tiny_config("gan", n_critic=0)
    with pytest.raises(ValueError, match="no discriminator"):
        tiny_config("vae", n_critic=5)


@pytest.mark.parametrize("field,value,match", [("clip", 0.0, "clip must be"), ("clip", -1.0, "clip must be"),
                                               ("clip", float("nan"), "clip must be"), ("gp", float("nan"), "gp must"),
                                               ("loss", "hinge", "loss must be one of ns, wgan"),
                                               ("lipschitz", "spectral", "lipschitz must be one of")])
def test_bad_loss_settings_are_refused(field, value, match):
    with pytest.raises(ValueError, match=match):
        tiny_config("gan", **{field: value})


def test_a_vae_has_no_wasserstein_loss():
    with pytest.raises(ValueError, match="no discriminator"):
        tiny_config("vae", loss="wgan")


def test_a_flat_folder_of_images_trains_without_labels(tmp_path):
    import numpy as np
    from PIL import Image

    from normgen.config import make_config

    g = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(g.integers(0, 256, (40, 40), dtype=np.uint8)).save(tmp_path / f"{i:02d}.png")
    name = f"folder-grey:{tmp_path}"
    cfg = make_config("gan", name, model_overrides={"ch": 8}, steps=3, batch_size=4, log_every=1, n_samples=4)
    assert cfg.model.image_shape == (1, 28, 28)
    res = train(cfg, device="cpu")
    assert res.status == "finished" and res.samples.shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match="needs class labels"):
        make_config("cgan", name)
