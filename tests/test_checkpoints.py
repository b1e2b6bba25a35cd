"""normgen.checkpoints: round trips sample identical images; damaged and foreign files are rejected
with a CheckpointError that says what is wrong."""

from __future__ import annotations

import copy
import json
import os
import re
import struct

import pytest
import torch
from conftest import state_equal
from safetensors.torch import load_file, save_file

from normgen import __version__
from normgen.checkpoints import FORMAT, META_KEY, CheckpointError, load, read_meta, save, sha256
from normgen.config import TrainConfig
from normgen.engine.sampling import sample
from normgen.service.requests import ExploreQuery


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


def test_half_precision_is_bfloat16(tmp_path, trained_gan):
    full = save(tmp_path / "full.safetensors", trained_gan.model, trained_gan.config)
    half = save(tmp_path / "half.safetensors", trained_gan.model, trained_gan.config, half=True)
    assert read_meta(half)["dtype"] == "bfloat16"
    assert all(v.dtype == torch.bfloat16 for v in load_file(str(half)).values() if v.is_floating_point())
    assert half.stat().st_size < 0.6 * full.stat().st_size
    model = load(half).model
    for (k, a), b in zip(model.state_dict().items(), trained_gan.model.state_dict().values(), strict=True):
        assert a.dtype == b.dtype, k  # floats come back as float32 (BatchNorm's counter stays int64)
        assert torch.equal(a, b.bfloat16().float() if b.is_floating_point() else b), k
    x_half, x_full = sample(model, 16, 0), sample(trained_gan.model, 16, 0)
    assert (x_half - x_full).abs().max() < 0.05
    assert torch.equal(sample(load(half).model, 16, 0), x_half)


def test_half_precision_keeps_small_weights(tmp_path, trained_gan):
    """The weights a strong L2 leaves (1e-8 ... 1e-5) survive storage: float16 made them exactly 0."""
    model = copy.deepcopy(trained_gan.model)
    w = next(p for p in model.parts["generator"].parameters() if p.dim() > 1)
    with torch.no_grad():
        w.copy_(torch.logspace(-12, -5, w.numel()).reshape(w.shape))
    ck = load(save(tmp_path / "small.safetensors", model, trained_gan.config, half=True))
    back = next(p for p in ck.model.parts["generator"].parameters() if p.dim() > 1)
    assert (back != 0).all()
    assert torch.allclose(back, w, rtol=2**-8, atol=0)
    assert (w.half() == 0).double().mean() > 0.3  # what float16 would have stored


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


# ---------------------------------------------------------------------------------------------
# crafted files (issue 14): everything a file claims is checked before anything is allocated, and
# every violation is one CheckpointError line (exit 2 in the CLI, a note in Explore)


def _craft(tmp_path, ckpt, name: str, *, meta=None, raw_meta: str | None = None, tensors=None):
    """A copy of `ckpt` with its metadata or tensors replaced."""
    p = tmp_path / f"{name}.safetensors"
    text = raw_meta if raw_meta is not None else json.dumps(read_meta(ckpt) if meta is None else meta)
    save_file(load_file(str(ckpt)) if tensors is None else tensors, str(p), metadata={META_KEY: text})
    return p


def _with(ckpt, path: tuple[str, ...], value):
    """`ckpt`'s metadata with the entry at `path` (keys into nested dicts) set to `value`."""
    meta = read_meta(ckpt)
    d = meta
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    return meta


@pytest.mark.parametrize("parts", [None, 5, "generator", [], [5], ["generator", "generator"]])
def test_parts_must_be_a_list_of_part_names(tmp_path, ckpt, parts):
    p = _craft(tmp_path, ckpt, "parts", meta=_with(ckpt, ("parts",), parts))
    _expect_error(p, "metadata 'parts' must be a non-empty list of distinct part names")


def test_parts_must_be_the_familys(tmp_path, ckpt):
    p = _craft(tmp_path, ckpt, "encoder", meta=_with(ckpt, ("parts",), ["generator", "encoder"]))
    msg = _expect_error(p, "metadata 'parts' lists ['encoder']", meta_too=False)
    assert "a GAN has only generator, discriminator" in msg


def test_metadata_nested_deep_is_refused_before_parsing(tmp_path, ckpt):
    # 100,000 deep: json.loads would exhaust the recursion limit (a traceback, exit 1, before the fix)
    huge = _craft(tmp_path, ckpt, "deep", raw_meta="[" * 100_000 + "]" * 100_000)
    _expect_error(huge, "normgen metadata is 200,000 characters; at most 65,536 are read")
    # small enough to be read, too deep to be parsed: refused by counting, inside a real metadata object
    meta = json.dumps(read_meta(ckpt))
    deep = _craft(tmp_path, ckpt, "nested", raw_meta=meta[:-1] + ', "x": ' + "[" * 1000 + "]" * 1000 + "}")
    _expect_error(deep, "normgen metadata nests 1,001 levels deep; at most 10 are read")
    # brackets inside strings are text, not nesting: a real metadata with them still loads
    ok = _craft(tmp_path, ckpt, "brackets", meta=_with(ckpt, ("note",), "[[[[[[[[[[[[{{{{{{{{{{{{ \" [["))
    assert load(ok).meta["note"].startswith("[[[[")


def test_metadata_must_be_an_object_with_a_config_object(tmp_path, ckpt):
    _expect_error(_craft(tmp_path, ckpt, "list", raw_meta="[1, 2]"), "metadata must be a JSON object")
    _expect_error(_craft(tmp_path, ckpt, "cfg", meta=_with(ckpt, ("config",), None)),
                  "metadata 'config' must be a JSON object")
    _expect_error(_craft(tmp_path, ckpt, "num", raw_meta="5"), "metadata must be a JSON object, got 5")
    # an integer past Python's 4,300-digit limit is a ValueError inside json.loads: damaged, not a traceback
    _expect_error(_craft(tmp_path, ckpt, "digits", raw_meta="1" * 5000), "metadata is damaged (not JSON)")


def test_header_over_the_cap_is_refused_before_it_is_parsed(tmp_path):
    p = tmp_path / "big-header.safetensors"
    save_file({"w": torch.zeros(2)}, str(p), metadata={META_KEY: "x" * (2 << 20)})
    _expect_error(p, "bytes; normgen reads at most 1,048,576")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("image_shape", [1, 40000, 40000], "image_shape must be 3 integers (C, H, W) with C in [1, 4] and H, W in "
                                       "[8, 256], divisible by 4; got (1, 40000, 40000)"),
    ("image_shape", [5, 28, 28], "C in [1, 4]"),
    ("image_shape", [1, 28.0, 28], "image_shape must be 3 integers"),
    ("num_classes", 1e9, "num_classes must be an integer in [2, 1000], got 1000000000.0"),
    ("num_classes", 10**9, "num_classes must be an integer in [2, 1000], got 1000000000"),
    ("ch", 4096, "ch must be an integer in [1, 1024], got 4096"),
    ("nz", True, "nz must be an integer in [1, 1024], got True"),
    ("dropout", "0.5", "dropout must be a rate in [0, 0.9]"),
])
def test_config_limits_are_checked_before_the_model_is_built(tmp_path, ckpt, monkeypatch, field, value, message):
    import normgen.checkpoints as C

    def never(cfg):
        raise AssertionError("a model was built from a config out of limits")

    monkeypatch.setattr(C, "build_model", never)
    p = _craft(tmp_path, ckpt, "limits", meta=_with(ckpt, ("config", "model", field), value))
    _expect_error(p, "checkpoint config is invalid", message, meta_too=False)


def test_a_model_too_large_is_refused_from_its_meta_device_size(tmp_path, ckpt):
    """Every field within its range, the product not: 25 billion numbers would be ~100 GB."""
    big = {"name": "cgan", "image_shape": [4, 256, 256], "ch": 1024, "nz": 1024, "num_classes": 1000}
    meta = read_meta(ckpt)
    meta["config"]["model"].update(big)
    meta["config"]["dataset"] = "shapes"
    p = _craft(tmp_path, ckpt, "huge", meta=meta)
    _expect_error(p, "the stored config builds a model of", "at most 100,000,000 are loaded", meta_too=False)


@pytest.mark.parametrize(("dtype", "name"), [(torch.int16, "I16"), (torch.bool, "BOOL"), (torch.uint8, "U8"),
                                           (torch.int64, "I64")])
def test_weights_that_are_not_floating_point_are_refused(tmp_path, ckpt, dtype, name):
    tensors = load_file(str(ckpt))
    key = "generator.fc.weight"
    tensors[key] = torch.ones_like(tensors[key]).to(dtype)  # the right shape, the wrong kind
    p = _craft(tmp_path, ckpt, "dtype", tensors=tensors)
    _expect_error(p, f"tensor {key} has dtype {name}; it must be floating point (F16, BF16, F32, F64)",
                  meta_too=False)


def test_non_float_state_must_keep_its_dtype(tmp_path, make_tiny_config, shapes_small):
    from normgen.engine.train import train

    res = train(make_tiny_config("gan", steps=2, model_overrides={"g_norm": "batch"}), data=shapes_small)
    path = save(tmp_path / "bn.safetensors", res.model, res.config)
    assert torch.equal(sample(load(path).model, 4, 0), sample(res.model, 4, 0))  # BatchNorm's I64 counter loads
    tensors = load_file(str(path))
    key = next(k for k in tensors if k.endswith("num_batches_tracked"))
    tensors[key] = tensors[key].float()
    p = _craft(tmp_path, path, "counter", tensors=tensors)
    _expect_error(p, f"tensor {key} has dtype F32; it must be stored as (I64)", meta_too=False)


def test_tensor_names_and_shapes_must_match_the_config(tmp_path, ckpt):
    tensors = load_file(str(ckpt))
    wrong = dict(tensors, **{"generator.fc.bias": torch.zeros(7)})
    _expect_error(_craft(tmp_path, ckpt, "shape", tensors=wrong),
                  "weights do not fit the stored config (generator.fc.bias has shape [7]; the config builds",
                  meta_too=False)
    missing = {k: v for k, v in tensors.items() if k != "generator.fc.bias"}
    _expect_error(_craft(tmp_path, ckpt, "missing", tensors=missing), "missing ['generator.fc.bias']",
                  meta_too=False)
    extra = dict(tensors, **{"payload.x": torch.zeros(1), "generator.extra": torch.zeros(1)})
    _expect_error(_craft(tmp_path, ckpt, "extra", tensors=extra), "unexpected ['generator.extra', 'payload.x']",
                  meta_too=False)


@pytest.mark.parametrize("name", ["gan", "cgan", "vae"])
def test_the_meta_device_model_has_the_real_models_state(name):
    """What files are checked against (built on the meta device, random init skipped) is exactly the
    real model's state: names, shapes and dtypes, for every family and normalization."""
    import normgen.checkpoints as C
    from normgen.models import ModelConfig, build_model

    for d_norm in ("none", "spectral"):
        for g_norm in ("none", "batch"):
            cfg = ModelConfig(name=name, image_shape=(3, 32, 32), d_norm=d_norm, g_norm=g_norm, ch=8)
            with torch.device("meta"), C._NoInitOnMeta():
                meta = build_model(cfg).state_dict()
            real = build_model(cfg).state_dict()
            assert {k: (v.shape, v.dtype) for k, v in meta.items()} == {k: (v.shape, v.dtype) for k, v in real.items()}
            assert all(v.is_meta for v in meta.values())


def test_crafted_files_exit_2_with_one_line_in_the_cli(tmp_path, ckpt, trained_cgan, repo_root):
    """The real entry point: `python -m normgen sample BAD --out x.png` prints one line, exit 2."""
    import subprocess
    import sys

    tensors = load_file(str(ckpt))
    tensors["generator.fc.weight"] = tensors["generator.fc.weight"].to(torch.int16)
    bad = {
        "parts-null": _craft(tmp_path, ckpt, "parts-null", meta=_with(ckpt, ("parts",), None)),
        "deep": _craft(tmp_path, ckpt, "deep", raw_meta="[" * 100_000 + "]" * 100_000),
        "image": _craft(tmp_path, ckpt, "image", meta=_with(ckpt, ("config", "model", "image_shape"),
                                                            [1, 40000, 40000])),
        "classes": _craft(tmp_path, ckpt, "classes", meta=_with(ckpt, ("config", "model", "num_classes"), 1e9)),
        "int16": _craft(tmp_path, ckpt, "int16", tensors=tensors),
    }
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    good = [ckpt, save(tmp_path / "cgan.safetensors", trained_cgan.model, trained_cgan.config)]
    code = ("import sys; from normgen.cli import main; from normgen.checkpoints import load\n"
            "for p in sys.argv[4:]:\n"
            "    rc = main(['sample', p, '--out', sys.argv[1]]); print(rc, flush=True)\n"
            "load(sys.argv[2]); load(sys.argv[3])\n"
            "print('torch._dynamo' in sys.modules)\n")
    # one in-process loop for all but one file (each python start costs seconds on a busy machine) ...
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.png"), *map(str, good),
                           *map(str, bad.values())], env=env, capture_output=True, text=True, timeout=300)
    # ... every bad file exits 2; checking the good ones did not import torch._dynamo (1-2 s) either
    assert proc.returncode == 0 and proc.stdout.split() == ["2"] * len(bad) + ["False"], proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(bad) and "Traceback" not in proc.stderr
    for line, path in zip(lines, bad.values(), strict=True):
        assert line.startswith(f"normgen: error: {path}: "), line
    # ... and the real `python -m normgen` entry point for the one that used to be a traceback
    proc = subprocess.run([sys.executable, "-m", "normgen", "sample", str(bad["deep"]), "--out",
                           str(tmp_path / "x.png")], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"normgen: error: {bad['deep']}: normgen metadata is 200,000 "
                                                "characters; at most 65,536 are read"]
    assert not (tmp_path / "x.png").exists()


def test_a_crafted_zoo_file_is_a_note_in_explore(tmp_path):
    """A zoo whose file was replaced (and its sha256 re-recorded): Explore explains, never raises, and names
    the entry, not where the zoo lives on the server (issue 23); the command line's error keeps the path."""
    from dataclasses import replace

    from ui_zoo import build_tiny_zoo

    from normgen.service.explorer import explore
    from normgen.zoo.files import clear_cache
    from normgen.zoo.index import load_index, write_index

    root = build_tiny_zoo(tmp_path / "zoo", steps=2).parent
    index = load_index(root)
    e = next(e for e in index.entries if e.model == "gan" and e.l1 == 1e-2 and e.seed == 0)
    path = root / e.file
    tensors = load_file(str(path))
    tensors["generator.fc.weight"] = tensors["generator.fc.weight"].to(torch.bool)
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(read_meta(path))})
    index.entries = [replace(x, sha256=sha256(path)) if x.id == e.id else x for x in index.entries]
    write_index(index, root)
    clear_cache()
    r = explore(ExploreQuery.parse("gan", "shapes", "none", 1e-2, 0.0, "generator", "loss", 0), root=str(root))
    assert r.image("selected") is None
    assert (f"A zoo file could not be used: zoo entry {e.id} ({e.file}): tensor generator.fc.weight has dtype "
            "BOOL") in r.note
    assert str(tmp_path) not in r.note and str(root.resolve()) not in r.note
    from normgen.zoo.files import load_entry

    with pytest.raises(CheckpointError, match=f"^{re.escape(str(path))} \\(zoo entry {re.escape(e.id)}\\): tensor"):
        load_entry(load_index(root).get(e.id), root)
