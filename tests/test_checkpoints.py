"""normgen.checkpoints: round trips sample identical images; damaged and foreign files are rejected
with a CheckpointError that says what is wrong."""

from __future__ import annotations

import json
import os
import struct

import pytest
import torch
from conftest import state_equal
from safetensors.torch import load_file, save_file

from normgen import __version__
from normgen.checkpoints import FORMAT, META_KEY, CheckpointError, load, read_meta, save, sha256
from normgen.config import TrainConfig
from normgen.engine.sampling import sample


@pytest.fixture
def ckpt(tmp_path, trained_gan):
    return save(tmp_path / "gan.safetensors", trained_gan.model, trained_gan.config,
                extra={"steps": trained_gan.steps, "final": trained_gan.history[-1]})


def test_round_trip_samples_identical_images(ckpt, trained_gan):
    ck = load(ckpt)
    assert state_equal(ck.model, trained_gan.model)
    for seed in (0, 7):
        assert torch.equal(sample(ck.model, 16, seed), sample(trained_gan.model, 16, seed))
    # loading twice, sampling twice: the same grid every time
    assert torch.equal(sample(load(ckpt).model, 16, 3), sample(ck.model, 16, 3))
    assert not ck.model.training


def test_round_trip_conditional_model(tmp_path, trained_cgan):
    path = save(tmp_path / "cgan.safetensors", trained_cgan.model, trained_cgan.config)
    ck = load(path)
    assert ck.model.conditional and ck.model.cfg.num_classes == 4
    assert torch.equal(sample(ck.model, 12, 1), sample(trained_cgan.model, 12, 1))


def test_metadata_round_trips_the_config(ckpt, trained_gan):
    meta = read_meta(ckpt)
    assert meta["format"] == FORMAT and meta["normgen_version"] == __version__
    assert TrainConfig.from_dict(meta["config"]) == trained_gan.config
    assert meta["parts"] == ["generator", "discriminator"]
    assert meta["steps"] == trained_gan.steps
    assert meta["final"] == pytest.approx(trained_gan.history[-1])
    ck = load(ckpt)
    assert ck.config == trained_gan.config and ck.meta == meta and ck.parts == meta["parts"]
    assert json.loads(json.dumps(meta)) == meta


def test_no_pickle_only_plain_tensors(ckpt):
    tensors = load_file(str(ckpt))
    assert all(k.split(".", 1)[0] in ("generator", "discriminator") for k in tensors)
    assert all(v.dtype == torch.float32 for v in tensors.values() if v.is_floating_point())


def test_half_precision(tmp_path, trained_gan):
    full = save(tmp_path / "full.safetensors", trained_gan.model, trained_gan.config)
    half = save(tmp_path / "half.safetensors", trained_gan.model, trained_gan.config, half=True)
    assert read_meta(half)["dtype"] == "float16"
    assert all(v.dtype == torch.float16 for v in load_file(str(half)).values())
    assert half.stat().st_size < 0.6 * full.stat().st_size
    model = load(half).model
    for (k, a), b in zip(model.state_dict().items(), trained_gan.model.state_dict().values(), strict=True):
        assert a.dtype == torch.float32, k
        assert torch.equal(a, b.half().float()), k
    x_half, x_full = sample(model, 16, 0), sample(trained_gan.model, 16, 0)
    assert (x_half - x_full).abs().max() < 0.02
    assert torch.equal(sample(load(half).model, 16, 0), x_half)


def test_parts_subset(tmp_path, trained_gan):
    path = save(tmp_path / "g.safetensors", trained_gan.model, trained_gan.config, parts=["generator"])
    assert all(k.startswith("generator.") for k in load_file(str(path)))
    ck = load(path)
    assert ck.parts == ["generator"]
    assert state_equal(ck.model.generator, trained_gan.model.generator)
    assert torch.equal(sample(ck.model, 8, 2), sample(trained_gan.model, 8, 2))
    # the discriminator is not stored: it is the seeded initialisation, not the trained one
    assert not state_equal(ck.model.discriminator, trained_gan.model.discriminator)
    with pytest.raises(ValueError, match="unknown parts"):
        save(tmp_path / "x.safetensors", trained_gan.model, trained_gan.config, parts=["encoder"])


def test_save_is_atomic_and_leaves_no_temp_file(ckpt):
    assert sorted(p.name for p in ckpt.parent.iterdir()) == [ckpt.name]


def test_sha256(ckpt):
    import hashlib

    assert sha256(ckpt) == hashlib.sha256(ckpt.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# damaged and foreign files


def _expect_error(path, *fragments: str, meta_too: bool = True) -> str:
    """load() raises a one-line CheckpointError naming the file; so does read_meta() when the file
    itself (not its weights or config) is at fault."""
    with pytest.raises(CheckpointError) as exc:
        load(path)
    msg = str(exc.value)
    assert str(path) in msg
    for f in fragments:
        assert f.lower() in msg.lower(), msg
    assert "\n" not in msg, "a checkpoint error is one line"
    if meta_too:
        with pytest.raises(CheckpointError):
            read_meta(path)
    return msg


def test_missing_path(tmp_path):
    _expect_error(tmp_path / "nope.safetensors", "no such file")


def test_folder(tmp_path):
    _expect_error(tmp_path, "is a folder")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.safetensors"
    p.write_bytes(b"")
    _expect_error(p, "empty or truncated")


def test_random_bytes(tmp_path):
    p = tmp_path / "random.safetensors"
    p.write_bytes(os.urandom(4096))
    _expect_error(p, "not a safetensors file")


def test_truncated_real_file(tmp_path, ckpt):
    data = ckpt.read_bytes()
    for cut in (len(data) // 2, len(data) - 1, 12):
        p = tmp_path / f"cut{cut}.safetensors"
        p.write_bytes(data[:cut])
        with pytest.raises(CheckpointError) as exc:
            load(p)
        assert any(w in str(exc.value) for w in ("truncated", "not a safetensors file", "damaged"))


def test_json_file(tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model": "gan", "note": "a JSON file is not a checkpoint" * 4}))
    _expect_error(p, "not a safetensors file")


def test_foreign_safetensors_without_normgen_metadata(tmp_path):
    p = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(3, 3)}, str(p), metadata={"format": "pt"})
    _expect_error(p, "not a normgen checkpoint")
    q = tmp_path / "bare.safetensors"
    save_file({"weight": torch.zeros(3, 3)}, str(q))
    _expect_error(q, "not a normgen checkpoint")


def test_damaged_metadata(tmp_path):
    p = tmp_path / "badmeta.safetensors"
    save_file({"w": torch.zeros(2)}, str(p), metadata={META_KEY: "{not json"})
    _expect_error(p, "metadata")


def test_other_format_version(tmp_path, ckpt):
    meta = read_meta(ckpt)
    meta["format"] = "normgen-checkpoint/999"
    p = tmp_path / "future.safetensors"
    save_file(load_file(str(ckpt)), str(p), metadata={META_KEY: json.dumps(meta)})
    _expect_error(p, "unsupported checkpoint format")


def test_weights_that_do_not_fit_the_config(tmp_path, ckpt):
    meta = read_meta(ckpt)
    meta["config"]["model"]["ch"] = 12  # the stored tensors are for ch=8
    p = tmp_path / "mismatch.safetensors"
    save_file(load_file(str(ckpt)), str(p), metadata={META_KEY: json.dumps(meta)})
    _expect_error(p, "do not fit", meta_too=False)


def test_invalid_config_in_metadata(tmp_path, ckpt):
    meta = read_meta(ckpt)
    meta["config"]["reg"]["l1"] = -5
    p = tmp_path / "badcfg.safetensors"
    save_file(load_file(str(ckpt)), str(p), metadata={META_KEY: json.dumps(meta)})
    _expect_error(p, "config is invalid", meta_too=False)


def test_nan_weights_are_rejected(tmp_path, ckpt):
    tensors = load_file(str(ckpt))
    key = next(k for k in tensors if k.endswith("weight") and k.startswith("generator."))
    tensors[key][0] = float("nan")
    p = tmp_path / "nan.safetensors"
    save_file(tensors, str(p), metadata={META_KEY: json.dumps(read_meta(ckpt))})
    _expect_error(p, "NaN", meta_too=False)


def test_flipped_bytes_in_the_header_length(tmp_path, ckpt):
    data = bytearray(ckpt.read_bytes())
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    data[:8] = struct.pack("<Q", n + 10_000_000)
    p = tmp_path / "header.safetensors"
    p.write_bytes(bytes(data))
    _expect_error(p, "not a safetensors file")
