"""normgen.app services (no server): validation, Explore against a tiny real zoo (images checked
against samples drawn directly from the checkpoints), the empty-zoo explanation, and live training
sessions (streaming, stop keeps the result, heartbeat, divergence, downloads)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from ui_zoo import build_tiny_zoo

from normgen.checkpoints import load
from normgen.data import Dataset, make_shapes
from normgen.engine.sampling import sample
from normgen.eval.metrics import model_weight_stats
from normgen.render.grids import grid_image
from normgen.service import inputs as I
from normgen.service import run_estimate, runs, server_datasets, train_plan, train_store
from normgen.service.explore_images import diff_image
from normgen.service.explorer import explore
from normgen.service.pace import PaceBook
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index
from normgen.zoo.texts.report import spread_verdict
from normgen.zoo.verdicts import Stat


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


# ----------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1e-4, 11.0, "abc", None, True, [1e-4]])
def test_parse_lambda_rejects_with_the_allowed_range(bad):
    with pytest.raises(I.InputError, match=r"l1 must be .*number in \[0, 10\]"):
        I.parse_lambda("l1", bad)


def test_parse_lambda_accepts_numbers_and_numeric_strings():
    assert I.parse_lambda("l1", "1e-4") == 1e-4
    assert I.parse_lambda("l2", 0) == 0.0
    assert I.parse_lambda("l2", " 0.5 ") == 0.5


@pytest.mark.parametrize("bad", [-1, 1.5, "x", None, 2**31, float("nan")])
def test_parse_seed_rejects(bad):
    with pytest.raises(I.InputError, match="seed must be an integer"):
        I.parse_seed(bad)


def test_choices_are_checked_per_model():
    assert I.parse_seed(3.0) == 3
    assert I.check_target("vae", "decoder") == "decoder"
    with pytest.raises(I.InputError, match="target for the VAE must be one of: decoder, encoder, both"):
        I.check_target("vae", "generator")
    with pytest.raises(I.InputError, match="model must be one of: gan, vae, cgan, dcgan"):
        I.check_model("diffusion")
    with pytest.raises(I.InputError, match="variant must be one of"):
        I.check_variant("adamw")


def test_query_string_round_trip_drops_bad_values():
    state = {"model": "vae", "dataset": "shapes", "g_norm": "none", "l1": 1e-4, "l2": 0.0, "target": "decoder",
             "variant": "loss", "seed": 7}
    from urllib.parse import parse_qsl

    from normgen.service import links

    q = dict(parse_qsl(links.fragment("", state)))
    assert q["l1"] == "1e-4"
    assert links.parse_page_query(q) == state
    assert links.parse_page_query({"model": "gan", "seed": "-3", "l1": "nan", "target": "decoder",
                                   "tab": "train"}) == {"model": "gan", "tab": "train"}


def test_dataset_status_explains_missing_files(tmp_path):
    st = dataset_status(tmp_path)
    assert st["shapes"] is None
    assert "MNIST" in st["mnist"] and "NORMGEN_DATA" in st["mnist"]
    assert str(tmp_path) not in st["mnist"]  # a visitor reads this: the folder is not named (issue 23)


# ----------------------------------------------------------------------------------------------
# explore


def test_explore_shows_both_checkpoints_from_the_same_noise(zoo):
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 5), root=str(zoo))
    assert r.exact and r.image("baseline") is not None and r.image("selected") is not None
    assert r.image("baseline").size == r.image("selected").size == r.image("diff").size
    index = load_index(zoo)
    base = index.baseline("gan", "shapes", seed=0)
    sel = index.find(model="gan", l1=1e-2, l2=0.0, seed=0)[0]
    # reference: sample each checkpoint directly with the same seed and draw the grid
    for img, e in ((r.image("baseline"), base), (r.image("selected"), sel)):
        ref = grid_image(sample(load_entry(e, zoo).model, 64, 5), nrow=8, scale=3)
        assert np.array_equal(np.asarray(img), np.asarray(ref))
    other = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 6), root=str(zoo))
    assert not np.array_equal(np.asarray(other.image("selected")), np.asarray(r.image("selected")))


def test_explore_numbers_are_the_measured_weight_statistics(zoo):
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0), root=str(zoo))
    index = load_index(zoo)
    sel = index.find(model="gan", l1=1e-2, l2=0.0, seed=0)[0]
    ref = model_weight_stats(load_entry(sel, zoo).model.parts)["generator"]["total"]
    got = r.stats["selected"]["weights"]
    assert math.isclose(got["near_zero_pct"], ref["near_zero_pct"]) and math.isclose(got["l2"], ref["l2"])
    assert f"{got['near_zero_pct']:.1f}%" in r.headline and f"{got['near_zero_pct']:.1f}%" in r.details
    assert r.figures["weights"] is not None and r.figures["layers"] is not None
    assert r.figures["classes"] is None  # the tiny zoo stores no judge metrics: nothing is claimed
    assert "not measured here" in r.details
    assert r.stats["mean_abs_pixel_change"] > 0


def test_explore_offers_the_nearest_setting_when_not_in_the_zoo(zoo):
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 3e-3, 0, "generator", "loss", 0), root=str(zoo))
    assert not r.exact
    assert "Not in the zoo" in r.note and "L1 λ = 3e-3" in r.note and "L1 λ = 1e-2" in r.note
    assert r.stats["selected"]["l1"] == 1e-2
    base = explore(ExploreQuery.parse("gan", "shapes", "none", 0, 0, "generator", "loss", 0), root=str(zoo))
    assert base.exact and "unregularized baseline" in base.headline
    assert np.array_equal(np.asarray(base.image("baseline")), np.asarray(base.image("selected")))


def test_explore_explains_what_is_missing(zoo, tmp_path):
    r = explore(ExploreQuery.parse("gan", "mnist", "none", 1e-2, 0, "generator", "loss", 0), root=str(zoo))
    assert r.image("selected") is None and "no GAN trained on MNIST" in r.note and "Shapes" in r.note
    empty = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0),
                    root=str(tmp_path / "nozoo"))
    assert empty.image("selected") is None and "No pretrained checkpoints" in empty.note
    (tmp_path / "index.json").write_text("{not json")
    bad = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0), root=str(tmp_path))
    assert bad.image("selected") is None and "could not be read" in bad.note
    with pytest.raises(I.InputError, match="l1"):
        explore(ExploreQuery.parse("gan", "shapes", "none", float("nan"), 0, "generator", "loss", 0), root=str(zoo))


def test_explore_ui_handler_on_an_empty_zoo(tmp_path):
    from normgen.app.tabs.explore import make_explore_fn

    out = make_explore_fn(str(tmp_path))("gan", "shapes", "none", 1e-4, 0.0, "generator", "loss", 0)
    assert "No pretrained checkpoints" in out[7] and out[2] is None  # no grid, and the section is hidden:
    assert out[13].visible is False


def test_spread_verdict():
    text, info = spread_verdict(Stat([10.0, 11.0, 12.0]), Stat([11.5, 12.0]), "{:.2f}")
    assert "not an effect" in text and info["spread"] == 2.0 and not info["beyond"]
    text, info = spread_verdict(Stat([10.0, 11.0, 12.0]), Stat([20.0, 21.0]), "{:.2f}")
    assert "larger than the seed-to-seed spread" in text and info["beyond"]
    text, info = spread_verdict(Stat([10.0]), Stat([20.0]), "{:.2f}")
    assert info["spread"] is None and "unknown" in text


def test_spread_verdict_names_its_seeds_and_says_when_the_judges_disagree():
    base = Stat([10.0, 11.0, 12.0], second=Stat([5.0, 5.5, 6.0]))
    text, info = spread_verdict(base, Stat([20.0, 21.0], second=Stat([5.2, 5.8])), "{:.2f}")
    assert "**judges disagree**" in text and "3 and 2 seeds" in text
    assert info["judges_disagree"] and not info["beyond"] and info["seeds"] == [3, 2]
    text, info = spread_verdict(base, Stat([20.0, 21.0], second=Stat([9.0, 9.5])), "{:.2f}")
    assert "both judges agree" in text and info["beyond"] and not info["judges_disagree"]


def test_spread_verdict_needs_the_difference_beyond_the_sampling_spread_too():
    # seeds agree closely, but redrawing the noise moves each entry's score by 12: a difference of 9 is luck
    text, info = spread_verdict(Stat([10.0, 11.0], sampling=12.0), Stat([20.0, 20.5], sampling=3.0), "{:.2f}")
    assert "not an effect" in text and "sampling spread (12.00" in text and not info["beyond"]
    assert info["sampling_spread"] == 12.0
    text, info = spread_verdict(Stat([10.0, 11.0], sampling=2.0), Stat([20.0, 20.5], sampling=3.0), "{:.2f}")
    assert info["beyond"] and "larger than" in text


def test_diff_image_is_black_where_grids_agree():
    x = torch.zeros(4, 1, 28, 28)
    y = x.clone()
    y[1] = 1.0  # one sample differs by 1 everywhere: saturated
    img = np.asarray(diff_image(x, y, nrow=2, scale=1))
    cell0, cell1 = img[2:30, 2:30], img[2:30, 32:60]
    assert (cell0 == cell0[0, 0]).all() and cell0[0, 0].sum() < 30  # magma(0): near black
    assert cell1[0, 0].sum() > 400  # magma(1): bright yellow-white


# ----------------------------------------------------------------------------------------------
# training sessions


def test_plan_run_validates_and_caps(zoo, tmp_path):
    ok = dict(model="gan", dataset="shapes", g_norm="none", l1=1e-4, l2=0, target="generator", variant="loss",
              seed=0, steps=100, seconds=30, start="scratch")
    max_steps, max_seconds = train_plan.caps("cpu")
    for key, bad, msg in (("steps", max_steps + 1, "steps"), ("steps", 0, "steps"), ("seconds", 1e9, "seconds"),
                          ("start", "resume", "start must be one of"), ("l2", -1, "l2"),
                          ("target", "encoder", "target for the GAN")):
        with pytest.raises(I.InputError, match=msg):
            train_plan.plan_run(**{**ok, key: bad}, root=str(zoo), device="cpu")
    with pytest.raises(I.InputError, match="not on this server.*shapes") as missing:
        train_plan.plan_run(**{**ok, "dataset": "mnist"}, root=str(zoo), device="cpu", data_root=str(tmp_path))
    assert str(tmp_path) not in str(missing.value)  # the dataset is named, not where the server looks
    fine = train_plan.plan_run(**{**ok, "start": "finetune"}, root=str(zoo), device="cpu")
    assert fine.start == "finetune" and fine.init is not None and fine.init_entry.is_baseline
    assert fine.cfg.model == fine.init.cfg and fine.cfg.reg.l1 == 1e-4 and fine.cfg.steps == 100
    # the cGAN baseline of the tiny zoo is present; a setting without one falls back to scratch
    none = train_plan.plan_run(**{**ok, "start": "finetune", "g_norm": "batch"}, root=str(zoo), device="cpu")
    assert none.start == "scratch" and "from scratch" in none.notes[0]


def _finetune_plan(zoo: Path, steps: int, **kw):
    plan = train_plan.plan_run("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0, steps, 60, "finetune",
                             root=str(zoo), device="cpu", **kw)
    return replace(plan, cfg=replace(plan.cfg, log_every=5, sample_every=10))


def test_estimate_is_measured(zoo):
    plan = _finetune_plan(zoo, 200)
    e = run_estimate.estimate(plan)
    assert 0 < e["s_per_step"] < 5 and e["overhead_s"] > 0
    assert math.isclose(e["seconds"], e["overhead_s"] + min(200 * e["s_per_step"], 60))
    assert "to start and save" in run_estimate.estimate_text(plan)


def test_no_estimate_while_another_run_holds_the_device(zoo, monkeypatch):
    plan = _finetune_plan(zoo, 200)
    monkeypatch.setattr(run_estimate, "_SPEED", {})
    monkeypatch.setattr(run_estimate, "BOOK", PaceBook())  # no run of this kind has ended here
    monkeypatch.setattr(run_estimate, "PROBE_WAIT_S", 0.2)
    with run_estimate._DEVICE_LOCK:
        assert run_estimate.estimate(plan) is None
        assert "Another run is training" in run_estimate.estimate_text(plan)
    assert run_estimate.estimate(plan) is not None


def test_estimates_asked_at_once_wait_for_one_probe(zoo, monkeypatch):
    """A class pressing Start together: one probe measures, the others wait for it and share it (they
    used to get no estimate, and the line ahead of them was reckoned at the whole time budget)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(run_estimate, "_SPEED", {})
    plan = _finetune_plan(zoo, 200)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: run_estimate.estimate(plan), range(4)))
    assert all(e is not None for e in got) and len({e["probe_s_per_step"] for e in got}) == 1


def test_a_run_streams_and_writes_its_downloads(zoo):
    run = runs.start_run(_finetune_plan(zoo, 30))
    snaps = list(runs.stream(run, poll=0.05))
    assert len(snaps) >= 2 and snaps[-1].done and snaps[-1].status == "finished"
    assert snaps[-1].step == 30 and snaps[-1].grid is not None
    files = snaps[-1].files
    ck = load(files["checkpoint"])
    for a, b in zip(ck.model.state_dict().values(), run.result.model.state_dict().values(), strict=True):
        assert torch.equal(a, b.cpu())
    meta = json.loads(Path(files["config"]).read_text())
    assert meta["steps"] == 30 and "--l1 0.01" in meta["command"] and "--init" in meta["command"]
    assert Path(files["grid"]).stat().st_size > 0
    run.cleanup()


def test_stop_keeps_what_the_run_has(zoo):
    run = runs.start_run(_finetune_plan(zoo, 3000))
    for s in runs.stream(run, poll=0.05):
        if s.step >= 10:
            break
    snap = runs.stop(run)
    assert snap.done and snap.status == "stopped" and 10 <= snap.step < 3000
    assert run.result.steps == snap.step and "stopped at step" in snap.message
    ck = load(snap.files["checkpoint"])
    assert ck.config.steps == snap.step  # the saved config reproduces the kept weights
    assert f"--steps {snap.step} " in snap.command
    run.cleanup()


def test_a_run_nobody_reads_stops_by_itself(zoo, monkeypatch):
    run = runs.start_run(_finetune_plan(zoo, 3000))
    for snap in runs.stream(run, poll=0.05):  # a page that watched the first steps, then closed
        if snap.step > 0:
            break
    monkeypatch.setattr(runs, "HEARTBEAT_S", 0.3)
    assert run.done.wait(30)
    assert run.status == "stopped" and 0 < run.step < 3000 and run.files  # and it still wrote its downloads
    run.cleanup()


def test_divergence_is_reported_with_the_last_good_weights(zoo, monkeypatch):
    monkeypatch.setenv("NORMGEN_TRAIN_PROCESS", "0")  # in this process: it trains on the cached images set here
    plan = _finetune_plan(zoo, 50)
    good = make_shapes(256, seed=0)
    nan = Dataset("shapes", torch.full_like(good.images, float("nan")), good.labels)
    monkeypatch.setitem(server_datasets._DATA, ("shapes", 0, None, True), nan)
    run = runs.start_run(plan)
    last = list(runs.stream(run, poll=0.05))[-1]
    assert last.status == "diverged" and "diverged at step 5" in last.message
    from normgen.app.tabs.train import status_text

    text = status_text(last, "fine-tuned")
    assert "Diverged" in text and "last good samples" in text
    assert last.grid is not None and json.loads(Path(last.files["config"]).read_text())["steps"] == 0
    run.cleanup()


def test_store_is_per_session():
    import copy

    a = train_store.TrainStore()
    a.run = object()  # type: ignore[assignment]
    b = copy.deepcopy(a)
    assert b.run is None and b is not a


def test_wait_for_worker_threads_to_end():
    # every run started in this module has ended (no leaked training threads)
    deadline = time.monotonic() + 20
    while any(not r.done.is_set() for r in list(runs.RUNS.values())) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(r.done.is_set() for r in list(runs.RUNS.values()))


# ---- the adversarial loss as a Train control (issue 15) -------------------------------------------------


@pytest.mark.parametrize("loss,want", [("ns", ("ns", "none")), ("wgan-clip", ("wgan", "clip")),
                                       ("wgan-gp", ("wgan", "gp")), ("wgan", ("wgan", "none")), ("sn", ("ns", "sn"))])
def test_the_loss_control_sets_loss_and_lipschitz(tmp_path, loss, want):
    plan = train_plan.plan_run("gan", "shapes", "none", 1e-3, 0.0, "generator", "loss", 0, 20, 10, "scratch",
                             loss=loss, root=str(tmp_path / "nozoo"))
    assert (plan.cfg.loss, plan.cfg.lipschitz) == want
    assert plan.cfg.n_critic == (5 if loss == "wgan-gp" else 1)  # WGAN-GP as published
    assert (plan.cfg.model.d_norm == "spectral") is (loss == "sn")


def test_a_bad_loss_or_a_loss_without_discriminator_is_an_input_error(tmp_path):
    with pytest.raises(I.InputError, match="loss must be one of: ns, wgan-clip, wgan-gp, wgan, sn"):
        train_plan.plan_run("gan", "shapes", "none", 0, 0, "generator", "loss", 0, 20, 10, "scratch", loss="hinge",
                          root=str(tmp_path))
    with pytest.raises(I.InputError, match="needs a discriminator"):
        train_plan.plan_run("vae", "shapes", "none", 0, 0, "decoder", "loss", 0, 20, 10, "scratch", loss="wgan-gp",
                          root=str(tmp_path))


def test_the_colour_dcgan_keeps_its_own_dropout_in_train(tmp_path):
    """Dropout 0 on the Train screen is the family's own: the colour DCGAN's discriminator keeps 0.3."""
    for split in ("train", "test"):  # CIFAR-10 "present" for the screen: its export folder exists
        (tmp_path / "data" / "CIFAR10" / split).mkdir(parents=True)
    plan = train_plan.plan_run("dcgan", "cifar10", "batch", 0, 0, "generator", "loss", 0, 20, 10, "scratch",
                             loss="wgan-gp", root=str(tmp_path / "nozoo"), data_root=str(tmp_path / "data"))
    assert plan.cfg.model.dropout == 0.3 and plan.cfg.model.image_shape == (3, 32, 32)
    assert (plan.cfg.loss, plan.cfg.lipschitz) == ("wgan", "gp")


def test_a_grey_dataset_for_the_colour_model_is_an_input_error_on_train(tmp_path):
    with pytest.raises(I.InputError, match="built for 3-channel images; dataset 'shapes' has 1"):
        train_plan.plan_run("dcgan", "shapes", "batch", 0, 0, "generator", "loss", 0, 20, 10, "scratch",
                          root=str(tmp_path))
