"""normgen.cli: `python -m normgen train|sample` happy paths, the printed reproduce command, and bad
arguments (exit code 2, exactly one line on stderr, never a traceback).

Most cases call `normgen.cli.main([...])` in-process (fast); two run a real subprocess end to end.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from normgen.checkpoints import load, read_meta
from normgen.cli import main
from normgen.config import TrainConfig, reproduce_command
from normgen.engine.sampling import sample

TINY = ["--steps", "6", "--ch", "8", "--batch-size", "16", "--log-every", "3", "--sample-every", "3"]


def _train(out: Path, *extra: str, model: str = "gan") -> int:
    return main(["train", "--model", model, "--dataset", "shapes", *TINY, "--out", str(out), *extra])


def _reproduce_line(stdout: str) -> str:
    lines = stdout.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("reproduce with"))
    return lines[i + 1].strip()


def _env(repo_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo_root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # bitwise determinism holds for one thread count (reductions split differently otherwise)
    env["OMP_NUM_THREADS"] = str(torch.get_num_threads())
    return env


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory) -> tuple[Path, str]:
    """One tiny `train` run through the CLI: its output folder and everything it printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("cli") / "run"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = _train(out, "--seed", "3", "--l1", "1e-3")
    assert rc == 0
    return out, buf.getvalue()


# ---------------------------------------------------------------------------------------------
# happy paths


def test_train_writes_checkpoint_grid_config_and_history(gan_run):
    out, stdout = gan_run
    for name in ("model.safetensors", "samples.png", "config.json", "history.json"):
        assert (out / name).is_file(), name
    cfg = TrainConfig.from_dict(json.loads((out / "config.json").read_text()))
    assert cfg == load(out / "model.safetensors").config
    assert (cfg.model.name, cfg.dataset, cfg.steps, cfg.seed, cfg.reg.l1) == ("gan", "shapes", 6, 3, 1e-3)
    history = json.loads((out / "history.json").read_text())
    assert [r["step"] for r in history] == [3, 6]
    assert read_meta(out / "model.safetensors")["steps"] == 6
    img = Image.open(out / "samples.png")
    n = cfg.n_samples
    cols = math.ceil(math.sqrt(n))
    assert img.size == (4 * (cols * 30 + 2), 4 * (math.ceil(n / cols) * 30 + 2))  # scale 4, 2-px padding
    # progress on the terminal, then the reproduce command
    assert "step      3/6" in stdout and "step      6/6" in stdout
    assert _reproduce_line(stdout).startswith("python -m normgen train ")


def test_reproduce_command_spells_out_the_options(gan_run):
    out, stdout = gan_run
    cmd = _reproduce_line(stdout)
    cfg = load(out / "model.safetensors").config
    assert cmd == reproduce_command(cfg, None, str(out))
    argv = shlex.split(cmd)
    for flag, value in (("--model", "gan"), ("--steps", "6"), ("--seed", "3"), ("--l1", "0.001"),
                        ("--ch", "8"), ("--batch-size", "16")):
        assert argv[argv.index(flag) + 1] == value


def test_reproduce_command_run_end_to_end_gives_the_same_checkpoint(gan_run, tmp_path, repo_root):
    """Subprocess: run the printed command (with a new --out) and compare weights and samples."""
    out, stdout = gan_run
    argv = shlex.split(_reproduce_line(stdout))
    assert argv[:3] == ["python", "-m", "normgen"]
    again = tmp_path / "again"
    argv[argv.index("--out") + 1] = str(again)
    proc = subprocess.run([sys.executable, *argv[1:], "--quiet"], cwd=tmp_path, env=_env(repo_root),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    a, b = load_file(str(out / "model.safetensors")), load_file(str(again / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    x1 = sample(load(out / "model.safetensors").model, 16, 0)
    x2 = sample(load(again / "model.safetensors").model, 16, 0)
    assert torch.equal(x1, x2)
    assert (out / "samples.png").read_bytes() == (again / "samples.png").read_bytes()


@pytest.mark.parametrize("model", ["vae", "cgan"])
def test_train_other_models(tmp_path, capsys, model):
    assert _train(tmp_path / model, "--l2", "1e-3", "--target", "both", model=model) == 0
    ck = load(tmp_path / model / "model.safetensors")
    assert ck.config.model.name == model and ck.config.reg.target == "both"
    if model == "cgan":
        assert ck.config.model.num_classes == 4
    out = capsys.readouterr().out
    assert f"--model {model}" in _reproduce_line(out) and "--target both" in _reproduce_line(out)


def test_fine_tune_with_init(gan_run, tmp_path, capsys):
    out, _ = gan_run
    init = out / "model.safetensors"
    assert _train(tmp_path / "tuned", "--seed", "3", "--init", str(init)) == 0
    assert f"--init {init}" in _reproduce_line(capsys.readouterr().out)
    tuned = load(tmp_path / "tuned" / "model.safetensors")
    assert not torch.equal(sample(tuned.model, 8, 0), sample(load(init).model, 8, 0))


def test_sample_npy_shape_range_and_determinism(gan_run, tmp_path, capsys):
    ckpt = gan_run[0] / "model.safetensors"
    paths = [tmp_path / f"{name}.npy" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (5, 5, 6), strict=True):
        assert main(["sample", str(ckpt), "--seed", str(seed), "--n", "10", "--out", str(path)]) == 0
    a, b, c = (np.load(p) for p in paths)
    assert a.shape == (10, 1, 28, 28) and a.dtype == np.float32
    assert a.min() >= -1 and a.max() <= 1
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    # the same numbers the library gives
    assert np.array_equal(a, sample(load(ckpt).model, 10, 5).numpy())
    assert "wrote" in capsys.readouterr().out


def test_sample_png_grid(gan_run, tmp_path):
    ckpt = gan_run[0] / "model.safetensors"
    p1, p2 = tmp_path / "g1.png", tmp_path / "g2.png"
    for p in (p1, p2):
        assert main(["sample", str(ckpt), "--seed", "1", "--n", "10", "--scale", "1", "--out", str(p)]) == 0
    img = Image.open(p1)
    assert img.size == (4 * 30 + 2, 3 * 30 + 2)  # 10 samples: 4 columns, 3 rows, 2-px padding
    assert p1.read_bytes() == p2.read_bytes()


def test_sample_png_cgan_one_class_per_row(tmp_path):
    assert _train(tmp_path / "c", "--quiet", model="cgan") == 0
    out = tmp_path / "c.png"
    assert main(["sample", str(tmp_path / "c" / "model.safetensors"), "--n", "8", "--scale", "1",
                 "--out", str(out)]) == 0
    assert Image.open(out).size == (2 * 30 + 2, 4 * 30 + 2)  # 4 classes -> 4 rows of 2


def test_train_and_sample_the_cycle_gan(tmp_path, capsys):
    """`train --model cyclegan` writes a checkpoint with its controls and a rows picture; `sample` draws the
    rows a | G(a) | F(G(a)) | truth (4 columns), or G(a) as .npy."""
    assert _train(tmp_path / "cyc", "--lambda-cyc", "5", "--cycle-norm", "l2", "--l1", "1e-4", model="cyclegan") == 0
    ck = load(tmp_path / "cyc" / "model.safetensors")
    assert (ck.config.model.name, ck.config.model.lambda_cyc, ck.config.model.cycle_norm) == ("cyclegan", 5.0, "l2")
    line = _reproduce_line(capsys.readouterr().out)
    assert "--lambda-cyc 5" in line and "--cycle-norm l2" in line and "--l1 0.0001" in line
    assert Image.open(tmp_path / "cyc" / "samples.png").size == (4 * (4 * 30 + 2), 4 * (8 * 30 + 2))  # 8 rows of 4
    out = tmp_path / "rows.png"
    assert main(["sample", str(tmp_path / "cyc" / "model.safetensors"), "--n", "3", "--scale", "1",
                 "--out", str(out)]) == 0
    assert Image.open(out).size == (4 * 30 + 2, 3 * 30 + 2)  # 3 inputs -> 3 rows of 4
    assert "a | G(a) | F(G(a)) | truth" in capsys.readouterr().out
    npy = tmp_path / "g.npy"
    assert main(["sample", str(tmp_path / "cyc" / "model.safetensors"), "--n", "5", "--out", str(npy)]) == 0
    x = np.load(npy)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("extra,fragments", [
    (["--lambda-cyc", "-1"], ("lambda_cyc", "[0, 100]")),
    (["--lambda-cyc", "nan"], ("lambda_cyc", "[0, 100]")),
    (["--lambda-cyc", "1e9"], ("lambda_cyc", "[0, 100]")),
    (["--lambda-id", "inf"], ("lambda_id", "[0, 100]")),
    (["--cycle-norm", "l3"], ("cycle_norm", "l1, l2")),
    (["--domains", "horse-zebra"], ("unknown domain pair", "thin-bold")),
])
def test_bad_cycle_gan_arguments(capsys, tmp_path, extra, fragments):
    argv = ["train", "--model", "cyclegan", *extra, "--out", str(tmp_path / "never")]
    _expect_usage_error(capsys, argv, *fragments)
    assert not (tmp_path / "never").exists()


def test_help_is_readable(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--model", "--dataset", "--l1", "--l2", "--group", "--target", "--variant", "--steps",
                 "--seed", "--out", "--data-root", "--init"):
        assert flag in text


# ---------------------------------------------------------------------------------------------
# bad arguments: exit code 2 and one line on stderr


def _expect_usage_error(capsys, argv: list[str], *fragments: str) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("normgen: error:")
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("argv,fragments", [
    (["train", "--model", "diffusion"], ("gan", "vae", "cgan")),
    (["train", "--l1", "-0.1"], ("l1", "[0, 10]")),
    (["train", "--l2", "nan"], ("l2", "[0, 10]")),
    (["train", "--group", "1e9"], ("group", "[0, 10]")),
    (["train", "--l1", "lots"], ("--l1",)),
    (["train", "--steps", "abc"], ("--steps",)),
    (["train", "--steps", "0"], ("steps",)),
    (["train", "--dataset", "cifar"], ("shapes", "mnist", "fashion")),
    (["train", "--variant", "sgd"], ("--variant",)),
    (["train", "--target", "everything"], ("target",)),
    (["train", "--model", "vae", "--target", "generator"], ("encoder", "decoder")),
    (["train", "--g-norm", "layer"], ("g_norm",)),
    (["train", "--device", "toaster"], ("--device",)),
    (["train", "--bogus-option"], ("--bogus-option",)),
    (["sample"], ("checkpoint",)),
    ([], ("command",)),
    (["fly"], ("fly",)),
])
def test_bad_arguments(capsys, tmp_path, argv, fragments):
    if argv[:1] == ["train"]:
        argv = [*argv, "--out", str(tmp_path / "never")]
    _expect_usage_error(capsys, argv, *fragments)
    assert not (tmp_path / "never").exists(), "a rejected run must not create its output folder"


def test_cuda_requested_without_cuda(capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    _expect_usage_error(capsys, ["train", *TINY, "--device", "cuda", "--out", str(tmp_path / "x")], "CUDA")


def test_bad_out_suffix(capsys, gan_run, tmp_path):
    ckpt = str(gan_run[0] / "model.safetensors")
    _expect_usage_error(capsys, ["sample", ckpt, "--out", str(tmp_path / "x.jpg")], ".png", ".npy")
    _expect_usage_error(capsys, ["sample", ckpt, "--n", "0", "--out", str(tmp_path / "x.png")], "--n")


def test_bad_checkpoints(capsys, tmp_path):
    missing = tmp_path / "missing.safetensors"
    _expect_usage_error(capsys, ["sample", str(missing), "--out", str(tmp_path / "x.png")], "no such file")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(os.urandom(2048))
    _expect_usage_error(capsys, ["sample", str(corrupt), "--out", str(tmp_path / "x.png")], str(corrupt))
    _expect_usage_error(capsys, ["sample", str(tmp_path), "--out", str(tmp_path / "x.png")], "folder")
    _expect_usage_error(capsys, ["train", *TINY, "--init", str(corrupt), "--out", str(tmp_path / "r")],
                        str(corrupt))
    assert not (tmp_path / "x.png").exists()


def test_init_with_a_different_model_config(capsys, gan_run, tmp_path):
    ckpt = str(gan_run[0] / "model.safetensors")
    _expect_usage_error(capsys, ["train", *TINY, "--ch", "12", "--init", ckpt, "--out", str(tmp_path / "r")],
                        "--init")


def test_unwritable_output(capsys, gan_run, tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    ckpt = str(gan_run[0] / "model.safetensors")
    _expect_usage_error(capsys, ["sample", ckpt, "--out", str(a_file / "x.png")])
    _expect_usage_error(capsys, ["train", *TINY, "--out", str(a_file)])


def test_missing_dataset_offline(capsys, tmp_path, monkeypatch):
    from torchvision import datasets

    def offline(self):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    line = _expect_usage_error(capsys, ["train", "--dataset", "mnist", "--data-root", str(tmp_path / "d"),
                                        *TINY, "--out", str(tmp_path / "r")], "--data-root")
    assert str(tmp_path / "d" / "MNIST") in line


def test_bad_argument_in_a_real_process(tmp_path, repo_root):
    """Subprocess: the real entry point prints one line and exits 2 (no traceback)."""
    proc = subprocess.run([sys.executable, "-m", "normgen", "sample", str(tmp_path / "none.safetensors"),
                           "--out", str(tmp_path / "x.png")], cwd=tmp_path, env=_env(repo_root),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"normgen: error: {tmp_path / 'none.safetensors'}: no such file"]
    assert proc.stdout == ""


# ---- colour, losses and your own images (issue 15): one line, exit 2, no output folder -----------------


@pytest.mark.parametrize("extra,fragments", [
    (["--model", "dcgan"], ("built for 3-channel images", "'shapes' has 1 (grey)")),
    (["--loss", "wgan", "--lipschitz", "clip", "--clip", "0"], ("clip must be a number in (0, 10]",)),
    (["--loss", "wgan", "--lipschitz", "clip", "--clip", "nan"], ("clip must be",)),
    (["--loss", "wgan", "--lipschitz", "gp", "--gp", "nan"], ("gp must be",)),
    (["--loss", "hinge"], ("--loss",)),
    (["--layers", "middle"], ("--layers",)),
])
def test_bad_colour_and_loss_arguments(capsys, tmp_path, extra, fragments):
    _expect_usage_error(capsys, ["train", *TINY, *extra, "--out", str(tmp_path / "never")], *fragments)
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("case", ["empty", "corrupt", "mixed"])
def test_a_bad_image_folder_is_one_line(capsys, tmp_path, case):
    folder = tmp_path / "mine"
    folder.mkdir()
    if case != "empty":
        Image.new("RGB", (32, 32)).save(folder / "a.png")
    if case == "corrupt":
        (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    if case == "mixed":
        Image.new("RGB", (64, 32)).save(folder / "b.png")
    expect = {"empty": "has no images", "corrupt": "cannot read", "mixed": "mixes image sizes"}[case]
    _expect_usage_error(capsys, ["train", *TINY, "--dataset", f"folder:{folder}", "--out", str(tmp_path / "never")],
                        expect)
    assert not (tmp_path / "never").exists()


def test_train_on_a_folder_of_colour_images_and_reproduce(capsys, tmp_path):
    folder = tmp_path / "mine"
    for c, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (folder / c).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (48, 48), colour).save(folder / c / f"{i}.png")
    out = tmp_path / "run"
    rc = main(["train", "--model", "dcgan", "--dataset", f"folder:{folder}", *TINY, "--loss", "wgan",
               "--lipschitz", "gp", "--layers", "first", "--l1", "1e-4", "--out", str(out)])
    assert rc == 0
    ck = load(out / "model.safetensors")
    assert ck.config.loss == "wgan" and ck.config.lipschitz == "gp" and ck.config.reg.layers == "first"
    assert sample(ck.model, 3, 0).shape == (3, 3, 32, 32)
    line = _reproduce_line(capsys.readouterr().out)
    assert "--loss wgan --lipschitz gp" in line and "--layers first" in line
