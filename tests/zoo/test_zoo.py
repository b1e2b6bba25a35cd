"""The zoo: index reading per the contract, a tiny real build on shapes (resumable, verified,
metrics recomputed), tampering detection, the spec's size budget and the model card."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
from dataclasses import asdict, replace

import pytest
import torch

from normgen.checkpoints import CheckpointError, load, sha256
from normgen.cli import main
from normgen.data import load_dataset
from normgen.engine.sampling import sample
from normgen.eval.metrics import model_weight_stats
from normgen.eval.quality import evaluate
from normgen.eval.ruler import RUNGS
from normgen.zoo.build import build, plan, projected_bytes, recipe_hash
from normgen.zoo.files import load_entry, load_judge, verify
from normgen.zoo.index import Entry, ZooIndex, load_index, write_index
from normgen.zoo.judges import EVAL_SEED
from normgen.zoo.spec import L1_AXIS, L2_AXIS, SEEDS, ZooSpec, spec

ONLY = r"^baseline gan-shapes-none-generator-loss-l1=0-l2=0-g=0-s0|^l1 vae-.*l1=0.001-|^l2 cgan-.*l2=0.01-"
EVAL_N = 300
KW = dict(data_root=None, device="cpu", priority=1, steps=20, only=ONLY, datasets=("shapes",), eval_n=EVAL_N,
          judge_steps=100)


def _entry(**kw) -> Entry:
    base = dict(id="x", file="x.safetensors", model="gan", dataset="mnist", g_norm="none", d_norm="none",
                target="generator", variant="loss", l1=0.0, l2=0.0, group=0.0, act=0.0, seed=0, steps=10,
                device="cpu", wall_s=1.0, sha256="0" * 64)
    base.update(kw)
    base["id"] = base["id"] if kw.get("id") else "e-" + "-".join(f"{k}{v}" for k, v in sorted(kw.items()))
    return Entry(**base)


@pytest.fixture
def synthetic(tmp_path):
    es = [_entry(l1=l1, l2=l2, seed=s) for l1 in (0.0, 1e-5, 1e-4, 1e-3) for l2 in (0.0, 1e-2) for s in (0, 1)]
    es += [_entry(g_norm="batch"), _entry(model="vae", target="decoder", l1=1e-4),
           _entry(variant="proximal", l1=1e-3), _entry(dataset="fashion")]
    idx = ZooIndex(root=tmp_path, entries=es)
    write_index(idx)
    return load_index(tmp_path)


def test_missing_and_malformed_index(tmp_path):
    assert len(load_index(tmp_path / "nope")) == 0
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(ValueError, match="index.json"):
        load_index(tmp_path)
    (tmp_path / "index.json").write_text(json.dumps({"format": "other/9", "entries": []}))
    with pytest.raises(ValueError, match="format"):
        load_index(tmp_path)


def test_find_remembers_its_answers_only_for_the_entries_it_scanned(synthetic):
    idx = synthetic
    first = idx.find(model="gan", l1=1e-4)
    assert len(first) == 4 and idx.find(model="gan", l1=1e-4) == first
    first.clear()  # a caller's list is its own: the remembered answer is unchanged
    assert len(idx.find(model="gan", l1=1e-4)) == 4
    idx.entries.append(_entry(l1=1e-4, seed=7))  # one more entry: asked again, not remembered
    assert len(idx.find(model="gan", l1=1e-4)) == 5
    idx.entries = [e for e in idx.entries if e.seed != 7 and e.l2 == 0]  # a new list
    assert len(idx.find(model="gan", l1=1e-4)) == 2
    assert idx.find(model="gan", parts=["generator"]) == []  # an unhashable value is answered too


def test_find_values_nearest_baseline(synthetic):
    idx = synthetic
    assert len(idx.find(model="gan", dataset="mnist", l1=1e-4, l2=0.0, variant="loss")) == 2
    assert [e.seed for e in idx.find(l1=0.0001 + 1e-18, l2=0.01, variant="loss")] == [0, 1]  # isclose
    assert idx.values("l1", model="gan", variant="loss") == [0.0, 1e-5, 1e-4, 1e-3]
    assert idx.values("dataset") == ["fashion", "mnist"]
    e = idx.nearest("gan", "mnist", 2e-4, 0.0, variant="loss")
    assert (e.l1, e.l2, e.seed) == (1e-4, 0.0, 0)  # log10(2e-4) is nearer 1e-4 than 1e-3; lower seed
    assert idx.nearest("gan", "mnist", 0.0, 0.02, variant="loss").l2 == 0.01
    assert idx.nearest("gan", "mnist", 3e-6, 0.0, variant="loss", g_norm="none").l1 == 1e-5
    assert idx.nearest("gan", "mnist", 0.0, 0.0, variant="proximal").l1 == 1e-3
    assert idx.nearest("cgan", "mnist", 0.0, 0.0) is None
    b = idx.baseline("gan", "mnist")
    assert b.is_baseline and b.g_norm == "none" and b.seed == 0
    assert idx.baseline("gan", "mnist", g_norm="batch").g_norm == "batch"
    assert idx.baseline("gan", "mnist", seed=1).seed == 1
    assert idx.baseline("vae", "mnist") is None
    with pytest.raises(ValueError, match="unknown entry fields"):
        idx.find(lambda1=0.1)


def test_nearest_relaxes_and_baseline_follows_what_it_is_shown_beside(synthetic):
    """The rules Explore selects by: a baseline is near no setting; missing fields are given up in order;
    the baseline beside an entry shares its seed; a fine-tuning source must store the parts asked for."""
    idx = synthetic
    e = idx.nearest("gan", "mnist", 0.0, 0.0, variant="loss")
    assert not e.is_baseline and (e.l1, e.l2, e.seed) == (1e-5, 0.0, 0)
    assert idx.nearest("gan", "mnist", 1e-4, 0.0, target="generator", variant="decoupled") is None
    e = idx.nearest("gan", "mnist", 1e-4, 0.0, relax=("variant",), target="generator", variant="decoupled")
    assert (e.l1, e.variant, e.seed) == (1e-4, "loss", 0)
    e = idx.nearest("gan", "mnist", 1e-4, 0.0, relax=("variant", "target"), target="discriminator", variant="loss")
    assert (e.l1, e.target) == (1e-4, "generator")
    seed1 = idx.find(model="gan", dataset="mnist", l1=1e-4, l2=0.0, seed=1)[0]
    assert idx.baseline("gan", "mnist", like=seed1).seed == 1
    assert idx.baseline("gan", "mnist", stores=("generator",)) is None  # the synthetic files store no parts


def test_entry_round_trip_keeps_extra_keys():
    row = {**_entry(l1=1e-4).to_dict(), "status": "finished", "recipe": "abc"}
    e = Entry.from_dict(row)
    assert e.extra == {"status": "finished", "recipe": "abc"} and e.to_dict() == row
    with pytest.raises(ValueError, match="lacks fields"):
        Entry.from_dict({"id": "y"})


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("zoo")
    logs: list[str] = []
    res = build(root, workers=2, log=logs.append, **KW)  # two spawned worker processes
    assert not res.failed and len(res.trained) == 3
    return root, res.index, logs


def test_build_writes_entries_per_contract(zoo):
    root, index, logs = zoo
    raw = json.loads((root / "index.json").read_text())
    assert raw["format"] == "normgen-zoo/1" and raw["judges"] == {"shapes": "judges/shapes.safetensors"}
    assert raw["floors"]["shapes"]["n"] == EVAL_N and raw["floors"]["shapes"]["fd"] >= 0
    ruler = raw["floors"]["shapes"]["ruler"]  # the judge's ruler at the entries' n (normgen.eval.ruler)
    assert ruler["real"] < ruler["noise0.3"] < ruler["uniform"] and set(ruler) == set(RUNGS)
    assert len(raw["entries"]) == 3
    grid = {s.id: s for s in spec(("shapes",))}
    keys = {"id", "file", "model", "dataset", "g_norm", "d_norm", "target", "variant", "l1", "l2", "group", "act",
            "seed", "steps", "device", "wall_s", "sha256", "parts", "metrics", "weights"}
    for row in raw["entries"]:
        assert keys <= set(row) and row["steps"] == 20 and row["device"] == "cpu"
        assert {"fd", "confident_pct", "class_hist", "class_entropy", "within_class_div",
                "real_within_class_div"} <= set(row["metrics"])
        assert (root / row["file"]).is_file() and sha256(root / row["file"]) == row["sha256"]
        assert row["half_max_diff"] < 0.05  # bfloat16 storage does not visibly change samples
        projected = projected_bytes(grid[row["id"]])
        assert abs(row["bytes"] - projected) < 4096 and row["bytes"] == (root / row["file"]).stat().st_size
    by = {e.model: e for e in load_index(root).entries}
    assert by["gan"].parts == ["generator", "discriminator"]  # the seed-0 baseline keeps D for fine-tuning
    assert by["vae"].parts == ["decoder", "encoder"] and by["cgan"].parts == ["generator"]
    assert {"rec_error", "elbo_test", "elbo_train", "elbo_gap"} <= set(by["vae"].metrics)
    assert set(by["cgan"].weights) == {"generator"}  # measured on the file, which stores the generator only
    assert set(by["cgan"].extra["trained_weights"]) == {"discriminator"}  # from training, labelled as such
    assert by["cgan"].l2 == 0.01 and by["vae"].l1 == 0.001 and by["vae"].target == "decoder"


def test_a_run_trained_ahead_of_its_judge_is_scored_not_retrained(tmp_path, monkeypatch):
    """scripts/zoo_pretrain.py keeps runs (normgen.zoo.pretrain); `build --pretrained` scores them as they are,
    and a run of another recipe (here: other steps) is trained afresh."""
    from normgen.zoo import build as B
    from normgen.zoo.pretrain import pretrain_entry

    s = next(z for z in spec(("shapes",)) if z.id.startswith("gan-shapes-none-generator-loss-l1=0-l2=0-g=0-s0"))
    job = {"spec": {k: v for k, v in s.to_dict().items() if k not in ("id", "file")}, "data_root": None,
           "device": "cpu", "steps": 20}
    kept = pretrain_entry(job, tmp_path / "pre")
    assert kept.is_file() and pretrain_entry(job, tmp_path / "pre") == kept  # resumable: not trained twice
    trained: list = []
    real_train = B.train
    monkeypatch.setattr(B, "train", lambda *a, **k: trained.append(1) or real_train(*a, **k))
    kw = {**KW, "only": "^baseline gan-shapes-none-generator-loss-l1=0-l2=0-g=0-s0"}
    res = build(tmp_path / "zoo", log=lambda _: None, pretrained=str(tmp_path / "pre"), **kw)
    assert res.trained == [s.id] and not trained
    assert load_index(tmp_path / "zoo").get(s.id).wall_s == pytest.approx(load(kept).meta["wall_s"], abs=0.01)
    build(tmp_path / "zoo2", log=lambda _: None, pretrained=str(tmp_path / "pre"), **{**kw, "steps": 10})
    assert trained == [1]


def test_build_is_resumable(zoo):
    root, _, _ = zoo
    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")}
    logs: list[str] = []
    build(root, workers=1, log=logs.append, **KW)
    assert "0 to train" in logs[0]
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")} == mtimes
    index = load_index(root)
    states = plan(index, [s for s in spec(("shapes",)) if s.id in {e.id for e in index.entries}], steps=21,
                  eval_n=EVAL_N, half=True)
    assert {st for _, st in states} == {"stale"}  # a changed recipe (steps) is rebuilt


def test_a_file_lacking_a_part_a_number_is_about_is_stale(zoo):
    """Issue 25 (7): a file that stores only the generator, where a number on screen is about its
    discriminator, is rebuilt, not kept as 'ok'."""
    from normgen.zoo.build import stored_parts

    root, _, _ = zoo
    index = load_index(root)
    grid = {s.id: s for s in spec(("shapes",))}
    s = next(grid[e.id] for e in index.entries if e.id in grid and len(stored_parts(grid[e.id])) > 1)
    assert dict(plan(index, [s], steps=KW["steps"], eval_n=EVAL_N, half=True))[s] == "ok"
    e = index.get(s.id)
    index.entries[index.entries.index(e)] = dataclasses.replace(e, parts=e.parts[:1])
    assert dict(plan(index, [s], steps=KW["steps"], eval_n=EVAL_N, half=True))[s] == "stale"


def test_failures_are_reported_and_orphans_pruned(zoo, tmp_path, monkeypatch):
    import normgen.zoo.build as zb

    root, _, _ = zoo
    copy = tmp_path / "zoo"
    shutil.copytree(root, copy)
    index = load_index(copy)
    old = index.entries[0]
    orphan = Entry.from_dict({**old.to_dict(), "id": "gan-shapes-old", "file": "gan/shapes/old.safetensors"})
    shutil.copy(copy / old.file, copy / orphan.file)
    index.entries.append(orphan)
    write_index(index)

    def boom(job):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(zb, "build_entry", boom)
    logs: list[str] = []
    res = build(copy, workers=1, log=logs.append, prune=True, **{**KW, "only": r"^l1 gan-.*l1=0.001-l2=0-"})
    assert res.pruned == ["gan-shapes-old"] and not (copy / orphan.file).exists()
    assert list(res.failed) == ["gan-shapes-none-generator-loss-l1=0.001-l2=0-g=0-s0"]
    assert "RuntimeError: out of memory" in res.failed["gan-shapes-none-generator-loss-l1=0.001-l2=0-g=0-s0"]
    assert len(load_index(copy)) == 3 and verify(copy) == (3, [])


def test_verify_and_sampling(zoo):
    root, _, _ = zoo
    assert verify(root) == (3, [])
    for e in load_index(root).entries:
        x = sample(load_entry(e, root).model, 8, seed=3)
        assert x.shape == (8, 1, 28, 28) and torch.isfinite(x).all()
        assert torch.equal(x, sample(load_entry(e, root).model, 8, seed=3))
    assert main(["zoo", "verify", "--root", str(root)]) == 0


def test_index_metrics_recomputed(zoo):
    root, _, _ = zoo
    index = load_index(root)
    judge = load_judge("shapes", root)
    assert judge is not None and judge.meta["dataset"] == "shapes"
    train = load_dataset("shapes", train=True)
    test = load_dataset("shapes", train=False)
    for model in ("cgan", "vae"):
        e = index.find(model=model)[0]
        ck = load_entry(e, root)
        m = evaluate(ck.model, judge, test, n=EVAL_N, seed=EVAL_SEED, train=train)
        for k, v in e.metrics.items():
            if isinstance(v, list):
                assert m[k] == v, k
            else:
                assert m[k] == pytest.approx(v, rel=1e-4, abs=1e-6), k
        # weight statistics are those of the stored (bfloat16) file (to float32 summation order)
        w = model_weight_stats({_p: ck.model.parts[_p] for _p in e.parts})
        assert set(e.weights) == set(e.parts)
        for part in e.parts:
            assert e.weights[part] == pytest.approx(w[part]["total"], rel=1e-6, abs=1e-9), part


def test_tampered_file_is_rejected(zoo, tmp_path):
    root, _, _ = zoo
    copy = tmp_path / "zoo"
    shutil.copytree(root, copy)
    e = load_index(copy).entries[0]
    path = copy / e.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte inside the weights
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256 mismatch.*modified or damaged"):
        load_entry(e, copy)
    n, problems = verify(copy)
    assert n == 3 and len(problems) == 1 and e.id in problems[0]
    assert main(["zoo", "verify", "--root", str(copy)]) == 1
    path.unlink()
    with pytest.raises(CheckpointError, match="no such file"):
        load_entry(e, copy)


def test_card_has_tables_and_generated_notes(zoo, tmp_path):
    """The notes are generated like the tables: a sentence typed into the card is gone after the next build."""
    from normgen.zoo.card import NOTES_BEGIN, write_card

    root, _, _ = zoo
    out = tmp_path / "README.md"
    text = write_card(root, out).read_text()
    assert "| g_norm | target |" in text and "shapes" in text and "## Seed-to-seed spread" in text
    assert "## Contents" in text and "| **all** |  |  | 3 |" in text
    out.write_text(text.replace(NOTES_BEGIN + "\n", NOTES_BEGIN + "\nL1 did X.\n"))
    assert write_card(root, out).read_text() == text


def test_card_has_the_small_data_table_and_sentences(tmp_path):
    """Small-data entries get their own metrics tables, a table of every setting over its seeds, and the
    same generated sentences as the Learn tab; their seeds are never pooled with the full data's."""
    from conftest_browser import build_small_zoo

    from normgen.models import family
    from normgen.zoo.card import render, seed_spread
    from normgen.zoo.small_data import small_data_markdown

    idx = build_small_zoo(tmp_path)
    text = render(idx)
    assert "## Where regularization helps: small training sets" in text
    assert ("| VAE | decoder L2 λ=1e-3 | 300 | 0, 1, 2 | -111 [-114 to -109] | -139 [-140 to -137] | 27.4 [23.5-31.4] "
            "| -137 [-139 to -136] | 16.5 [14.1-18.8] | - | 0.5 [0.4-0.6] | 1.13 [1.12-1.14] | 64 [63-65] "
            "| 22.1 [20.1-24.1] | - | held |") in text  # the IWAE beside the ELBO, copying beside the pixel share
    assert ("| GAN | dropout 0.3 in the discriminator | 300 | 0, 1, 2 | - | - | - | - | - | 0.95 [0.85-1.05] "
            "| 1.2 [1-1.4] | 1.06 [1.05-1.07] | 55 [54-56] |" in text)
    assert small_data_markdown(idx, tables=False) in text  # Learn's sentences, word for word
    assert "**held**: the held-out ELBO improved beyond the seed spread." in text
    assert f"### {family('vae').description} on Shapes (made offline), 2,000 training images" in text
    assert "| none | decoder | loss | dropout=0.2 | 0 |" in text  # a dropout entry is no baseline
    assert "| model | dataset | train images | steps |" in text
    rows = {r[0]: r[1] for r in seed_spread(idx.entries)}
    assert rows["vae shapes none decoder loss 0 (baseline)"] == "0, 1"
    assert rows["vae shapes n=300 none decoder loss 0 (baseline)"] == "0, 1, 2"
    assert rows["vae shapes n=300 none decoder loss l2=0.001, dropout=0.2"] == "0, 1, 2"


def test_spec_grid_and_budget():
    s = spec()
    ids = [e.id for e in s]
    assert len(ids) == len(set(ids))
    for model in ("gan", "vae", "cgan"):
        mine = [e for e in s if e.model == model and e.dataset == "mnist" and e.priority == 1]
        assert sorted(e.seed for e in mine if e.is_baseline) == list(SEEDS)
        assert {e.l1 for e in mine if e.tag == "l1"} == set(L1_AXIS)
        assert {e.l2 for e in mine if e.tag == "l2"} == set(L2_AXIS)
        assert any(e.l1 and e.l2 for e in mine)  # elastic-net block
        assert any(e.tag == "break" for e in mine)
    assert {e.g_norm for e in s if e.model == "gan" and e.is_baseline and e.dataset == "mnist"} == {"none", "batch"}
    assert {e.target for e in s if e.model == "gan"} == {"generator", "discriminator", "both"}
    assert {e.variant for e in s} == {"loss", "proximal", "decoupled"} and any(e.group for e in s)
    # checkpoints/ must stay <= 60 MiB: priorities 1-5 leave ~2 MiB for the judges, index and card
    assert sum(projected_bytes(e) for e in s if e.priority <= 5) / 2**20 <= 58.0
    assert math.isclose(projected_bytes(s[0], half=False) - 2048, 2 * (projected_bytes(s[0]) - 2048))


def test_a_spec_with_a_moving_average_or_its_own_learning_rates_names_them_and_trains_them():
    base = ZooSpec("dcgan", "cifar10", 10, "baseline", g_norm="batch", dropout=0.3, steps=3000, float32=True)
    averaged = replace(base, ema=0.99)
    assert "ema" not in base.id and base.config().ema == 0.0
    assert averaged.id == base.id.removesuffix("-s0") + "-ema0.99-s0"
    assert averaged.config().ema == 0.99 and averaged.config().ema_start == base.config().ema_start
    # two time-scale learning rates (the colour block's TTUR): named after the λ, before the average
    ttur = replace(averaged, lr=1e-4, lr_d=4e-4)
    assert ttur.id == base.id.removesuffix("-s0") + "-lr0.0001-lrd0.0004-ema0.99-s0"
    assert (ttur.config().lr, ttur.config().lr_d) == (1e-4, 4e-4) and base.config().lr_d == 0.0
    # the recipe hash tells the three apart
    hashes = {recipe_hash(asdict(z.config()), 100, False, "j") for z in (base, averaged, ttur)}
    assert len(hashes) == 3


def test_cli_zoo_errors_and_dry_run(tmp_path, capsys):
    assert main(["zoo", "build", "--out", str(tmp_path), "--datasets", "shapes", "--dry-run", "--device", "cpu"]) == 0
    assert "projected size" in capsys.readouterr().out and not (tmp_path / "index.json").exists()
    assert main(["zoo", "build", "--out", str(tmp_path), "--only", "(", "--device", "cpu"]) == 2
    assert main(["zoo", "build", "--out", str(tmp_path), "--datasets", "cifar", "--device", "cpu"]) == 2
    assert main(["zoo", "build", "--out", str(tmp_path), "--workers", "0", "--device", "cpu"]) == 2
    assert main(["zoo", "verify", "--root", str(tmp_path / "empty")]) == 0  # empty zoo: nothing to fail


def test_merge_brings_home_a_zoo_built_elsewhere(zoo, tmp_path):
    from normgen.zoo.files import merge
    from normgen.zoo.restat import restat

    root, index, _ = zoo
    home = tmp_path / "home"
    shutil.copytree(root, home)
    away = tmp_path / "away"
    shutil.copytree(root, away)
    # "away" retrained one entry (another file, another sha) and built one the home zoo lacks
    e0, e1 = sorted(load_index(away).entries, key=lambda e: e.id)[:2]
    idx = load_index(away)
    data = bytearray((away / e0.file).read_bytes())
    data[-1] ^= 0x01
    (away / e0.file).write_bytes(bytes(data))
    idx.entries = [dataclasses.replace(e, sha256=sha256(away / e0.file), metrics={**e.metrics, "fd": 1.5})
                   if e.id == e0.id else e for e in idx.entries]
    write_index(idx, away)
    restat(away, only=re.escape(e0.id), log=lambda s: None)  # its weight figures: the new file's
    home_idx = load_index(home)
    home_idx.entries = [e for e in home_idx.entries if e.id != e1.id]
    write_index(home_idx, home)
    (home / e1.file).unlink()

    # "away" scored e1 with noise draws (sampling.json): the record comes home with it
    from normgen.zoo.index import load_sampling, write_sampling

    record = {"sha256": e1.sha256, "n": 10, "draw_seeds": [0, 1], "fd_draws": [2.0, 4.0]}
    write_sampling(away, {e1.id: record})
    assert sorted(merge(away, home, log=lambda s: None)) == sorted(e.id for e in idx.entries)
    assert load_sampling(home)[e1.id] == record
    merged = load_index(home)
    assert len(merged) == 3 and merged.get(e0.id).metrics["fd"] == 1.5
    assert verify(home) == (3, [])  # every file is there and matches its new sha256
    # refused: a tampered source file, a different judge, the same folder, an empty source
    data[-1] ^= 0x03
    (away / e0.file).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        merge(away, home, log=lambda s: None)
    assert verify(home) == (3, [])  # nothing of the home zoo was lost
    (away / e0.file).unlink()
    judge = away / "judges" / "shapes.safetensors"
    judge.write_bytes(judge.read_bytes() + b" ")
    with pytest.raises(ValueError, match="judge .* differs"):
        merge(away, home, log=lambda s: None)
    with pytest.raises(ValueError, match="same zoo"):
        merge(home, home)
    assert main(["zoo", "merge", str(tmp_path / "nothing"), "--root", str(home)]) == 2


def test_rescore_adds_the_sampling_spread_and_full_data_generalization(zoo, tmp_path):
    from normgen.zoo.rescore import rescore

    src, _, _ = zoo
    root = tmp_path / "zoo"
    shutil.copytree(src, root)
    before = {e.id: e for e in load_index(root).entries}
    done = rescore(root, data_root=None, draws=3, log=lambda s: None)
    assert sorted(done) == sorted(before)
    assert rescore(root, data_root=None, draws=3, log=lambda s: None) == []  # resumable: nothing left
    after = {e.id: e for e in load_index(root).entries}
    for eid, e in after.items():
        m, old = e.metrics, before[eid].metrics
        assert len(m["fd_draws"]) == 3 == m["draws"]
        assert m["fd_draws"][0] == pytest.approx(old["fd"], rel=1e-5)  # the first draw is the build's own
        assert m["fd_first"] == old["fd"] and m["fd"] == pytest.approx(sum(m["fd_draws"]) / 3)
        assert m["fd_sampling"] == pytest.approx(max(m["fd_draws"]) - min(m["fd_draws"])) and m["fd_sampling"] > 0
        assert m["confident_first"] == old["confident_pct"]
        assert 0 <= m["memorization_pct"] <= 100 and m["gen_m"] > 0  # shapes trains on its whole split
    by = {e.model: e for e in after.values()}
    assert "d_gap" in by["gan"].metrics  # the baseline file stores its discriminator
    assert "d_gap" not in by["cgan"].metrics  # this one does not: no gap is made up
    # a record belongs to the file it scored: a retrained (different sha256) entry ignores it
    raw = json.loads((root / "sampling.json").read_text())
    raw["entries"][by["gan"].id]["sha256"] = "0" * 64
    (root / "sampling.json").write_text(json.dumps(raw))
    gan = load_index(root).get(by["gan"].id)
    assert "fd_draws" not in gan.metrics and gan.metrics["fd"] == before[gan.id].metrics["fd"]
    (root / "sampling.json").write_text("{not json")
    with pytest.raises(ValueError, match="sampling.json: malformed"):
        load_index(root)


def test_rescore_adds_copying_iwae_and_a_second_judge(zoo, tmp_path):
    """Issue 25: copying in judge features for every entry, IWAE (k = 64) beside the ELBO for a VAE, and the
    second judge's FD draws once ROOT/judges/DATASET-2.safetensors exists; several processes share the file."""
    from normgen.zoo.rescore import DRAWS2, rescore

    src, _, _ = zoo
    root = tmp_path / "zoo"
    shutil.copytree(src, root)
    rescore(root, data_root=None, draws=3, primary=False, shard=(0, 2), log=lambda s: None)
    rescore(root, data_root=None, draws=3, primary=False, shard=(1, 2), log=lambda s: None)
    after = load_index(root).entries
    assert all("fd_draws" not in e.metrics for e in after)  # extras only: the noise draws were not redone
    for e in after:
        m = e.metrics
        assert 0 <= m["near_copy_pct"] <= 100 and m["copy_ratio"] > 0 and 0 <= m["copy_closer_pct"] <= 100
    vae = next(e for e in after if e.model == "vae")
    assert vae.metrics["iwae_k"] == 64 and vae.metrics["iwae_test"] >= vae.metrics["elbo_k_test"]
    assert "fd2" not in vae.metrics  # no second judge yet
    shutil.copy(root / "judges" / "shapes.safetensors", root / "judges" / "shapes-2.safetensors")
    done = rescore(root, data_root=None, draws=3, primary=False, log=lambda s: None)
    assert sorted(done) == sorted(e.id for e in after)
    for e in load_index(root).entries:  # the same judge twice reads the same FD on the same draws
        assert len(e.metrics["fd2_draws"]) == DRAWS2 and e.metrics["fd2_draws"][0] == pytest.approx(e.metrics["fd"],
                                                                                                   rel=1e-4)


def test_save_record_keeps_every_writer_and_leaves_no_lock_file(tmp_path, monkeypatch):
    """Writers that share ROOT/sampling.json each keep their record (an exclusive lock on the zoo's folder:
    separate opens of it exclude each other, across processes as across threads), and nothing is left in
    the system's temporary folder, which is not the zoo's to litter."""
    import tempfile
    import threading

    from normgen.zoo.index import load_sampling
    from normgen.zoo.rescore import save_record

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    root = tmp_path / "zoo"
    root.mkdir()
    writers = [threading.Thread(target=save_record, args=(root, f"e{i}", {"fd": float(i)})) for i in range(8)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    assert load_sampling(root) == {f"e{i}": {"fd": float(i)} for i in range(8)}
    assert list(temp.iterdir()) == [] and sorted(p.name for p in root.iterdir()) == ["sampling.json"]


def test_cli_zoo_rescore_errors(tmp_path):
    assert main(["zoo", "rescore", "--root", str(tmp_path), "--draws", "1", "--device", "cpu"]) == 2
    assert main(["zoo", "rescore", "--root", str(tmp_path), "--only", "(", "--device", "cpu"]) == 2
    assert main(["zoo", "rescore", "--root", str(tmp_path / "empty"), "--device", "cpu"]) == 0


def test_eta_is_the_wall_clock_rate_of_finished_entries():
    from normgen.zoo.build import eta

    assert eta(0, 4, 0.0) == "ETA ?" and eta(4, 4, 99.0) == "ETA 0 s"
    assert eta(1, 4, 10.0) == "ETA 30 s" and eta(2, 10, 60.0) == "ETA 4 min"


def test_the_cycle_gan_block_builds_scores_translation_and_is_not_rescored(tmp_path):
    """Issue 16: the cycle GAN block's ids carry λ_cyc and the cycle norm; an entry built on shapes is scored
    against the ground truth (normgen.eval.translation), not with noise draws."""
    from normgen.zoo.rescore import rescore
    from normgen.zoo.spec import CYCLE_AXIS, CYCLE_PRIORITY, cycle_block

    block = cycle_block("shapes")
    want = {(10.0, "l1"), (10.0, "l2"), *((v, "l1") for v in CYCLE_AXIS)}
    assert {(s.lambda_cyc, s.cycle_norm) for s in block} >= want
    assert 0.0 in CYCLE_AXIS and sorted(s.seed for s in block if s.is_baseline) == [0, 1]
    assert any(s.l1 for s in block) and any(s.l2 for s in block)
    assert len({s.id for s in block}) == len(block) and all(s.id in {x.id for x in spec(("shapes",))} for s in block)
    kw = {**KW, "priority": CYCLE_PRIORITY, "steps": 3, "eval_n": 100, "judge_steps": 30,
          "only": r"^baseline cyclegan-shapes-.*-cyc=10-l1-s0$"}
    res = build(tmp_path, **kw)
    assert res.trained == ["cyclegan-shapes-none-generator-loss-l1=0-l2=0-g=0-cyc=10-l1-s0"], res.failed
    e = load_index(tmp_path).get(res.trained[0])
    assert e.is_baseline and {"generator", "discriminator"} <= set(e.parts)
    for k in ("translation_l1", "cycle_l1", "class_agreement", "fd", "copy_l1"):
        assert k in e.metrics, k
    assert rescore(tmp_path, data_root=None, ids=res.trained, log=lambda s: None) == []
    assert plan(load_index(tmp_path), [s for s in block if s.id == e.id], steps=3, eval_n=100, half=True)[0][1] == "ok"


def test_restat_measures_what_the_build_measured(zoo, tmp_path):
    """`zoo restat` (the shipped files) and the build (a new file) measure weights the same way; the build
    records what the samples look like, so `--pictures` has nothing to add."""
    from normgen.zoo.restat import restat

    root, _, _ = zoo
    copy = tmp_path / "zoo"
    shutil.copytree(root, copy)
    before = {e.id: e for e in load_index(copy).entries}
    restat(copy, pictures=True, log=lambda s: None)
    for e in load_index(copy).entries:
        b = before[e.id]
        assert e.metrics == b.metrics and {"ink_pct", "pixel_spread"} <= set(e.metrics), e.id
        assert ("asked_pct" in e.metrics) == (e.model == "cgan"), e.id
        assert set(e.weights) == set(b.weights) == set(e.parts), e.id
        for part in e.parts:
            assert e.weights[part] == pytest.approx(b.weights[part], rel=1e-6, abs=1e-9), (e.id, part)
        assert e.extra.get("trained_weights") == b.extra.get("trained_weights"), e.id
