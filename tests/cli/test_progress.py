"""The CLI's progress bar: formatted numbers per part (never a raw Python list), an ETA, every metrics
record shown in order, and nothing at all with --quiet; the flags and help come from the registries."""

from __future__ import annotations

import pytest

from normgen.cli import main
from normgen.cli.progress import summary
from normgen.regularizers import PENALTIES

TINY = ["--dataset", "shapes", "--steps", "4", "--ch", "4", "--nz", "8", "--batch-size", "8",
        "--log-every", "2", "--sample-every", "2"]


def test_summary_formats_losses_and_near_zero_per_part():
    record = {"step": 3, "time": 0.5, "d_loss": 0.69314, "g_loss": 0.71234, "d_real": 0.5,
              "generator/near_zero_pct": 1.018445705689278, "generator/l1": 12.0,
              "discriminator/near_zero_pct": 2.3094244288224957}
    assert summary(record) == "d_loss=0.693 g_loss=0.712, near-zero generator 1.0% discriminator 2.3%"
    assert summary({"rec": 0.3, "kl": 0.02}) == "rec=0.300 kl=0.020"


def test_train_draws_a_bar_with_eta_then_the_result(tmp_path, capsys):
    assert main(["train", *TINY, "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    frames = [f for f in out.replace("\r", "\n").splitlines() if f.startswith("step ")]
    assert [f.split("|")[0].split()[1] for f in frames if "near-zero" in f][:2] == ["2/4", "4/4"]
    assert all("<" in f for f in frames)  # elapsed<remaining
    assert "near-zero generator" in out and "near-zero%=[" not in out and "[" not in "".join(frames)
    lines = out.splitlines()  # the bar's line is ended before the result is printed
    assert lines[-3].startswith("wrote ") and lines[-2] == "reproduce with:"
    assert lines[-4].startswith("finished 4 steps")


def test_quiet_prints_no_progress(tmp_path, capsys):
    assert main(["train", *TINY, "--quiet", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out and "step " not in out and "near-zero" not in out


def test_sweep_shows_one_bar_over_all_its_models(tmp_path, capsys):
    assert main(["sweep", "--lambda", "l2", "--values", "0,0.5", *TINY, "--mode", "sequential",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "sweeping l2 over 0, 0.5 " in out
    assert "2 models, steps      8/8" in out and "l2=0.5: d_loss=" in out


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_every_penalty_of_the_registry_is_a_flag(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal width
    for p in PENALTIES.values():
        assert f"--{p.name} " in text and p.label in text
