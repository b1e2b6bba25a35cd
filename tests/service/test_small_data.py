"""Small training sets and dropout on the Explore and Train services (no server): the same-size
baseline, the generalization panel (nats per image, seed spread, verdicts), the nearest-training-images
picture, weight figures that are those of the stored file, and live runs that take a
training-set size and a dropout rate and report the finished model's generalization numbers."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import torch
from ui_zoo import SMALL_N, build_tiny_zoo

from normgen.checkpoints import save, sha256
from normgen.config import make_config
from normgen.data import DatasetUnavailable, load_dataset
from normgen.eval.metrics import model_weight_stats
from normgen.eval.structure import has_structure
from normgen.models import build_model
from normgen.regularizers import RegConfig, penalized_weights
from normgen.service import data_views as G
from normgen.service import inputs as I
from normgen.service import links, runs, train_plan, train_process
from normgen.service.explorer import explore
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import train_size_label
from normgen.zoo.index import Entry, ZooIndex, load_index, write_index
from normgen.zoo.restat import restat
from normgen.zoo.texts.heldout import verdict
from normgen.zoo.views import nearest as N
from normgen.zoo.views import run_metrics as RM
from normgen.zoo.views.explore_figures import weight_stats

PX = 28 * 28  # pixels of a shapes image: nats per pixel x PX = nats per image


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


def _vae(zoo: Path, **kw):
    args = dict(model="vae", dataset="shapes", g_norm="none", l1=0.0, l2=1e-3, target="decoder", variant="loss",
                seed=0, train_size=SMALL_N, dropout=0.0)
    return explore(ExploreQuery.parse(**{**args, **kw}), root=str(zoo))


# ----------------------------------------------------------------------------------------------
# Explore


def test_a_small_size_shows_its_own_baseline_and_the_generalization_panel(zoo):
    r = _vae(zoo)
    assert r.exact and r.image("selected") is not None
    sel, base = r.stats["selected"], r.stats["baseline"]
    assert sel["train_size"] == base["train_size"] == SMALL_N and base["id"].endswith(f"-n{SMALL_N}-s0")
    assert f"{SMALL_N} training images" in r.selected_label and f"{SMALL_N} training images" in r.baseline_label
    index = load_index(zoo)
    gaps = sorted(e.metrics["elbo_gap"] * PX for e in index.find(model="vae", l2=1e-3, train_size=SMALL_N))
    assert len(gaps) == 2
    mean = sum(gaps) / 2
    row = r.stats["generalization"]["rows"]["ELBO gap (nats/image)"]
    assert sorted(row["selected_seeds"]) == pytest.approx(gaps)
    assert f"Generalization on {SMALL_N} training images" in r.details and "nats/image" in r.details
    assert "It is not a measure of copying" in r.details and "Meehan et al. 2020" in r.details
    assert "IWAE k=64" in r.details and "IWAE k=64 held-out (nats/image)" in r.stats["generalization"]["rows"]
    said = r.stats["generalization"]["verdicts"]
    assert any("the train–test ELBO gap from" in v and "(2 seeds each)" in v for v in said), said
    assert any(f"{abs(mean):.3g}"[:3] in v for v in said)
    # the headline names the gap too, with where it lies against the seed spread
    assert "train–test ELBO gap" in r.headline and "seed spread" in r.headline


def test_dropout_is_a_setting_of_its_own(zoo):
    r = _vae(zoo, l2=0.0, dropout=0.2)
    assert r.exact and r.stats["selected"]["dropout"] == 0.2
    assert "dropout 0.2 in the encoder and decoder" in r.selected_label
    assert r.stats["baseline"]["id"].endswith(f"-n{SMALL_N}-s0")  # the baseline has no dropout
    assert any("(2 and 1 seeds)" in v for v in r.stats["generalization"]["verdicts"])


def test_full_data_is_unchanged_and_a_missing_size_falls_back_with_a_note(zoo):
    full = explore(ExploreQuery.parse("vae", "shapes", "none", 1e-2, 0, "decoder", "loss", 0), root=str(zoo))
    assert full.exact and full.stats["selected"]["train_size"] == 0 and "Generalization" not in full.details
    r = _vae(zoo, l2=0.0, l1=1e-2, train_size=123)
    assert "trained on 123 training images" in r.note and r.stats["selected"]["train_size"] == 0
    odd = _vae(zoo, dropout=0.5)
    assert "with dropout 0.5; showing dropout 0.2" in odd.note and odd.stats["selected"]["dropout"] == 0.2


def test_the_gan_panel_shows_the_discriminator_gap(zoo):
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 0, 1e-2, "discriminator", "loss", 0, SMALL_N, 0),
                root=str(zoo))
    assert r.exact
    assert "D gap (logit)" in r.details and "pixel NN share %" in r.details and "near-copies %" in r.details
    assert any("the discriminator's gap between training and held-out images" in v and "1 seed each" in v
               and "no seed spread" in v for v in r.stats["generalization"]["verdicts"])


def test_verdicts_follow_the_seed_spread():
    up = verdict("L2", "the gap", "widened", "narrowed", " nats/image", [70.0, 72.0, 71.0], [18.0, 20.0, 19.0],
                 gap=True)
    assert up == "L2 narrowed the gap from 71 to 19 nats/image, beyond the seed spread (3 seeds each)."
    inside = verdict("L2", "the gap", "widened", "narrowed", " nats/image", [70.0, 80.0], [72.0, 75.0])
    assert "within the seed spread (2 seeds each): not an effect" in inside
    one = verdict("L2", "near-copies", "raised", "lowered", "%", [3.4], [0.1])
    assert "lowered near-copies from 3.4% to 0.1%" in one and "no seed spread" in one
    # a gap grows with its size: -0.5 -> -0.7 (held-out images fit better still) is wider, not narrower
    neg = verdict("L1", "the gap", "widened", "narrowed", " nats/image", [-0.5, -0.6], [-0.7, -0.8], gap=True)
    assert neg.startswith("L1 widened the gap from -0.55 to -0.75")


def test_weight_figures_are_those_of_the_stored_file(zoo, tmp_path):
    """An L2 entry whose weights are so small (1e-8 .. 1e-7) that float16 would round many to 0: stored in
    bfloat16 they survive; the index records the file's figures (zoo restat) and Explore shows those."""
    root = tmp_path / "zoo"
    shutil.copytree(zoo, root)
    index = load_index(root)
    cfg = make_config("gan", "shapes", model_overrides={"ch": 8}, reg=RegConfig(l2=1.0), steps=12, seed=0)
    torch.manual_seed(0)
    m = build_model(cfg.model)
    with torch.no_grad():
        for _, w in penalized_weights(m.generator):
            w.mul_(1e-6)  # float16's smallest step is 6e-8
    assert 10 < 100 * sum(int((w.half() == 0).sum()) for _, w in penalized_weights(m.generator)) / sum(
        w.numel() for _, w in penalized_weights(m.generator)), "float16 would have made exact zeros"
    rel = "gan/shapes/strong-l2.safetensors"
    save(root / rel, m, cfg, parts=["generator"], half=True)
    e = Entry(id="gan-shapes-strong-l2", file=rel, model="gan", dataset="shapes", g_norm="none", d_norm="none",
              target="generator", variant="loss", l1=0.0, l2=1.0, group=0.0, act=0.0, seed=0, steps=12,
              device="cpu", wall_s=0.1, sha256=sha256(root / rel), parts=["generator"],
              weights={p: s["total"] for p, s in model_weight_stats(m.parts).items()})  # as the old builds did
    index.entries.append(e)
    write_index(index, root)
    assert restat(root, only="strong-l2", log=lambda s: None) == [e.id]
    e = load_index(root).get(e.id)
    stored = weight_stats(load_index(root), e)["generator"]["total"]
    assert e.weights == {"generator": stored} and stored["zero_pct"] == 0.0
    assert set(e.extra["trained_weights"]) == {"discriminator"}
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 0, 1.0, "generator", "loss", 0), root=str(root))
    assert r.stats["selected"]["id"] == e.id and r.stats["weights_source"]["selected"] == "index"
    assert r.stats["selected"]["weights"]["zero_pct"] == stored["zero_pct"]
    assert r.stats["selected"]["weights"]["l2"] == pytest.approx(stored["l2"], rel=1e-12)
    assert "a downloaded file gives the same numbers" in r.details


# ----------------------------------------------------------------------------------------------
# nearest training images


def test_nearest_picture_of_training_images_finds_themselves():
    train = load_dataset("shapes", seed=0, size=200)
    test = load_dataset("shapes", train=False, seed=0, size=200)
    img, info = N.nearest_picture(train.images[:6], train, test, data_seed=0, scale=1)
    assert info["closer_to_training"] == 6 and max(info["d_train"]) < 0.05  # cdist round-off
    assert img.size == (6 * 30 + 2, 3 * 30 + 2)  # three rows of 28-px cells, 2-px padding


def test_nearest_view_of_a_small_data_entry(zoo):
    args = ("vae", "shapes", "none", 0.0, 1e-3, "decoder", "loss", 3, SMALL_N, 0.0)
    v = G.nearest_view(ExploreQuery.parse(*args), root=str(zoo))
    assert v.image is not None and v.stats["m"] == v.stats["seen"] == SMALL_N and v.stats["n"] == 8
    assert "closer to a training image" in v.text and f"all {SMALL_N} images it trained on" in v.text
    assert "noise seed 3" in v.text and "the zoo measured" in v.text
    assert G.nearest_view(ExploreQuery.parse(*args), root=str(zoo)) is v  # cached
    # issue 27: the baseline's rows beside the penalty's, from the same noise (not where a lesson draws both)
    assert v.text.startswith("**Left: the baseline (λ = 0), right: the selected penalty**")
    assert v.stats["baseline"]["id"].endswith(f"-n{SMALL_N}-s0") and "l2=0-" in v.stats["baseline"]["id"]
    alone = G.nearest_view(ExploreQuery.parse(*args), root=str(zoo), beside_baseline=False)
    assert "baseline" not in alone.stats and v.image.width > 2 * alone.image.width - 1
    full = G.nearest_view(ExploreQuery.parse("vae", "shapes", "none", 1e-2, 0, "decoder", "loss", 0), root=str(zoo),
                          only_small=True)
    assert full.image is None and full.text == N.NEAREST_PROMPT


def test_nearest_view_says_so_when_the_data_is_not_on_this_server(tmp_path):
    e = Entry(id="vae-mnist-n300-s0", file="vae/mnist/x.safetensors", model="vae", dataset="mnist", g_norm="none",
              d_norm="none", target="decoder", variant="loss", l1=0.0, l2=0.0, group=0.0, act=0.0, seed=0,
              steps=10, device="cpu", wall_s=0.1, sha256="0" * 64, train_size=300,
              metrics={"memorization_pct": 73.4})
    write_index(ZooIndex(root=tmp_path, entries=[e]), tmp_path)
    v = G.nearest_view(ExploreQuery.parse("vae", "mnist", "none", 0, 0, "decoder", "loss", 0, 300, 0),
                       root=str(tmp_path), data_root=str(tmp_path / "nodata"))
    assert v.image is None and "not on this server" in v.text and "73.4%" in v.text


def test_page_state_carries_size_and_dropout():
    state = {"model": "vae", "dataset": "mnist", "train_size": 300, "dropout": 0.2}
    q = dict(parse_qsl(links.fragment("", state)))
    assert q == {"model": "vae", "dataset": "mnist", "train_size": "300", "dropout": "0.2"}
    assert links.parse_page_query(q) == state
    assert links.parse_page_query({"train_size": "-1", "dropout": "2"}) == {}
    assert train_size_label("shapes", 0) == "all 10,000" and train_size_label("mnist", 300) == "300"


# ----------------------------------------------------------------------------------------------
# Train


def _plan(zoo: Path, **kw):
    args = dict(model="vae", dataset="shapes", g_norm="none", l1=0, l2=1e-3, target="decoder", variant="loss",
                seed=0, steps=20, seconds=60, start="finetune", train_size=SMALL_N, dropout=0.0)
    return train_plan.plan_run(**{**args, **kw}, root=str(zoo), device="cpu")


def test_plan_run_takes_size_and_dropout(zoo):
    p = _plan(zoo)
    assert p.start == "finetune" and p.init_entry.train_size == SMALL_N and p.cfg.train_size == SMALL_N
    assert p.cfg.model == p.init.cfg and "--train-size 40" in runs.Run(p).command()
    d = _plan(zoo, dropout=0.2)
    assert d.start == "scratch" and d.cfg.model.dropout == 0.2 and d.cfg.train_size == SMALL_N
    assert "Dropout 0.2 changes the model's config" in d.notes[0]
    other = _plan(zoo, train_size=20)
    assert other.start == "scratch" and "trained on 20 images" in other.notes[0]
    full = _plan(zoo, train_size=0)
    assert full.start == "finetune" and full.init_entry.train_size == 0
    for bad, msg in ((3, "at least 4"), (10**5, "at most 10,000"), (-1, "train_size"), (1.5, "train_size")):
        with pytest.raises(I.InputError, match=msg):
            _plan(zoo, train_size=bad)
    with pytest.raises(I.InputError, match="dropout"):
        _plan(zoo, dropout=0.95)


def test_live_runs_are_scored_like_the_zoo():
    from normgen.zoo import judges

    assert (RM.EVAL_N, RM.EVAL_SEED) == (judges.EVAL_N, judges.EVAL_SEED)


def test_a_small_run_reports_its_generalization(zoo):
    plan = _plan(zoo)
    run = runs.start_run(replace(plan, cfg=replace(plan.cfg, log_every=5, sample_every=10)))
    last = list(runs.stream(run, poll=0.05))[-1]
    g = last.generalization
    assert last.status == "finished" and g["train_size"] == SMALL_N and g["gen_m"] == SMALL_N
    assert {"elbo_train", "elbo_test", "elbo_gap", "structure_ratio"} <= set(g)
    # memorization is measured, and shown only for samples with structure (normgen.eval.structure)
    assert ("memorization_pct" in g) == has_structure(g["structure_ratio"])
    assert math.isclose(g["elbo_gap"], g["elbo_train"] - g["elbo_test"], rel_tol=1e-9, abs_tol=1e-12)
    assert f"{g['elbo_gap'] * PX:.3g}"[:3] in last.generalization_note and "nats/image" in last.generalization_note
    from normgen.app.tabs.train import status_text

    assert "Generalization of the kept model" in status_text(last, "fine-tuned")
    meta = json.loads(Path(last.files["config"]).read_text())
    assert meta["generalization"].get("memorization_pct") == g.get("memorization_pct")
    run.cleanup()


def test_a_run_without_a_test_split_says_so(zoo, monkeypatch):
    def missing(cfg, data_root=None):
        raise DatasetUnavailable("no test files")

    monkeypatch.setenv("NORMGEN_TRAIN_PROCESS", "0")  # in this process, where the test split is made missing
    monkeypatch.setattr(train_process, "get_test_data", missing)
    plan = _plan(zoo, model="gan", target="generator", l2=0.0, train_size=0, steps=10)
    run = runs.start_run(replace(plan, cfg=replace(plan.cfg, log_every=5, sample_every=10)))
    last = list(runs.stream(run, poll=0.05))[-1]
    assert last.status == "finished" and not last.generalization
    assert "test split of Shapes" in last.generalization_note and "not measured" in last.generalization_note
    run.cleanup()
