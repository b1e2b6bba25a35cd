"""The judge: trains on shapes to a sane accuracy, round-trips through safetensors, rejects other files."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open

from normgen.checkpoints import CheckpointError
from normgen.cli import main
from normgen.data import load_dataset
from normgen.eval.judge import (
    FORMAT,
    META_KEY,
    Judge,
    JudgeConfig,
    accuracy,
    load_judge_file,
    save_judge,
    shift_batch,
    train_judge,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    train = load_dataset("shapes", size=4000, seed=0)
    test = load_dataset("shapes", size=1000, train=False, seed=0)
    res = train_judge(train, test, steps=200, batch_size=64, seed=0)
    path = save_judge(tmp_path_factory.mktemp("judge") / "shapes.safetensors", res)
    return res, test, path


def test_judge_learns_shapes(trained):
    res, test, _ = trained
    assert res.test_acc >= 85.0  # 4 classes: chance is 25%
    assert res.test_acc == pytest.approx(accuracy(res.judge, test))


def test_features_and_logits_shapes(trained):
    res, test, _ = trained
    x = test.images[:10]
    f, lg = res.judge.features(x), res.judge.logits(x)
    assert f.shape == (10, 128) and lg.shape == (10, 4) and f.dtype == torch.float32
    assert (f >= 0).all()  # ReLU features
    f2, lg2 = res.judge.features_and_logits(x, batch=3)  # chunked == one pass
    assert torch.allclose(f, f2, atol=1e-5) and torch.allclose(lg, lg2, atol=1e-5)


def test_round_trip_is_safetensors_with_metadata(trained):
    res, test, path = trained
    with safe_open(str(path), framework="pt") as f:
        import json

        meta = json.loads(f.metadata()[META_KEY])
    assert meta["format"] == FORMAT and meta["dataset"] == "shapes" and meta["classes"][0] == "circle"
    assert meta["test_acc"] == pytest.approx(res.test_acc, abs=1e-3)
    judge = load_judge_file(path)
    x = test.images[:32]
    assert torch.equal(judge.logits(x), res.judge.logits(x))
    assert judge.meta["config"]["features"] == 128


def test_foreign_and_damaged_files_are_rejected(tmp_path, trained):
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a normgen judge"):
        load_judge_file(foreign)
    truncated = tmp_path / "trunc.safetensors"
    truncated.write_bytes(trained[2].read_bytes()[:100])
    with pytest.raises(CheckpointError):
        load_judge_file(truncated)


def test_shift_batch_is_a_translation():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 8, 8, generator=g) * 2 - 1
    out = shift_batch(x, g, max_shift=2)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), value=-1.0)
    for i in range(6):  # each output is one crop of the padded image
        crops = [padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(out[i], c) for c in crops)
    assert torch.equal(shift_batch(x, g, max_shift=0), x)


def test_untrained_judge_is_near_chance():
    test = load_dataset("shapes", size=400, train=False, seed=0)
    torch.manual_seed(0)
    assert accuracy(Judge(JudgeConfig(num_classes=4)), test) < 60.0


def test_cli_judge(tmp_path, capsys):
    out = tmp_path / "j.safetensors"
    assert main(["judge", "--dataset", "shapes", "--steps", "5", "--out", str(out), "--quiet"]) == 0
    assert out.is_file() and "test accuracy" in capsys.readouterr().out
    assert main(["judge", "--dataset", "shapes", "--steps", "0", "--out", str(out)]) == 2
    assert main(["judge", "--dataset", "cifar", "--out", str(out)]) == 2


def test_vgg_bn_judge_round_trips_and_old_files_read_as_plain(tmp_path):
    train = load_dataset("shapes", size=512, seed=0)
    res = train_judge(train, train, steps=3, batch_size=16, arch="vgg-bn", ch=8, lr=0.05)
    path = save_judge(tmp_path / "bn.safetensors", res)
    j = load_judge_file(path)
    assert j.cfg.arch == "vgg-bn" and j.meta["config"]["arch"] == "vgg-bn"
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in j.modules())
    x = train.images[:16]
    assert torch.allclose(j.logits(x), res.judge.logits(x), atol=1e-5)
    assert JudgeConfig().arch == "plain"  # a file written before `arch` existed rebuilds the one-conv judge
    with pytest.raises(ValueError, match="vgg-bn"):
        JudgeConfig(arch="resnet")


def test_the_plain_bn_judge_is_half_as_deep_and_round_trips(tmp_path):
    """CIFAR-10's second judge (issue 25) differs from the first in architecture: one conv-BN-ReLU per stage."""
    train = load_dataset("shapes", size=512, seed=0)
    res = train_judge(train, train, steps=3, batch_size=16, arch="plain-bn", ch=8, lr=0.05)
    convs = [m for m in res.judge.modules() if isinstance(m, torch.nn.Conv2d)]
    deep = [m for m in train_judge(train, train, steps=1, batch_size=16, arch="vgg-bn", ch=8).judge.modules()
            if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 and len(deep) == 6
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in res.judge.modules()) == 3
    j = load_judge_file(save_judge(tmp_path / "pbn.safetensors", res))
    x = train.images[:16]
    assert j.cfg.arch == "plain-bn" and torch.allclose(j.logits(x), res.judge.logits(x), atol=1e-5)
