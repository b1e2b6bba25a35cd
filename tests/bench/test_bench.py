"""Benchmark smoke tests: the instruments on tiny sizes (speed itself is never asserted)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from normgen.bench import run as bench
from normgen.bench.parts import ExploreTimer, matmul_peak, step_flops, summarize
from normgen.cli import main
from normgen.config import make_config
from normgen.data import load_dataset
from normgen.engine.train import STEPS, make_trainer

DATA = Path(os.environ.get("NORMGEN_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
needs_mnist = pytest.mark.skipif(not (DATA / "MNIST" / "raw").is_dir(),
                                 reason=f"real MNIST not found in {DATA} (set NORMGEN_DATA)")


def test_summarize_median_and_spread():
    assert summarize([3.0, 1.0, 2.0], "x") == {"x": 2.0, "x_min": 1.0, "x_max": 3.0}


def test_step_flops_counts_the_model_and_scales_with_batch():
    torch.set_num_threads(1)
    data = load_dataset("shapes", size=128)
    flops = {}
    for bs in (4, 8):
        cfg = make_config("gan", "shapes", model_overrides={"ch": 4, "nz": 8}, batch_size=bs)
        flops[bs] = step_flops(make_trainer(cfg, data, torch.device("cpu")), STEPS["gan"])
    # the generator's first layer alone: forward 2*B*nz*out, weight grad and input grad as much again
    fc = 2 * 4 * 8 * (2 * 4 * 7 * 7)
    assert flops[4] > 3 * fc
    assert flops[8] == pytest.approx(2 * flops[4], rel=0.02)  # every FLOP is per sample here


def test_matmul_peak_is_a_plausible_rate():
    peak = matmul_peak(torch.device("cpu"), n=128, repeats=2)
    assert 1e6 < peak < 1e14


def test_until_picture_stops_at_the_threshold_and_excludes_evaluation(monkeypatch):
    class FakeJudging:
        calls = 0

        def fd(self, model):
            import time

            FakeJudging.calls += 1
            time.sleep(0.05)  # evaluation time must not count
            return 100.0 / FakeJudging.calls

    monkeypatch.setitem(bench.FD_THRESHOLDS, "gan", 30.0)
    steps = []
    r = bench._until_picture(lambda: steps.append(1), None, FakeJudging(), "gan", every=5, cap=10.0,
                             device=torch.device("cpu"))
    assert r["reached"] and r["steps"] == 20 and len(steps) == 20  # FD 100, 50, 33.3, 25
    assert r["seconds"] < 0.05 and [t[0] for t in r["trace"]] == [5, 10, 15, 20]


def test_explore_timer_on_a_small_checkpoint(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setenv("NORMGEN_ZOO", str(tmp_path / "nozoo"))  # force the self-trained checkpoint
    out = ExploreTimer(tmp_path, load_dataset("shapes", size=256)).run(2, lambda s: None)
    assert 0 < out["loaded_model_ms"] and 0 < out["from_file_ms"]
    assert out["from_file_ms_min"] <= out["from_file_ms"] <= out["from_file_ms_max"]


def test_bench_without_mnist_is_a_clear_usage_error(tmp_path, capsys):
    assert main(["bench", "--quick", "--device", "cpu", "--data-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "MNIST" in err and str(tmp_path) in err and "Traceback" not in err


@needs_mnist
def test_throughput_and_sweep_sections_run_on_mnist():
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    data = load_dataset("mnist", root=DATA, size=2000)
    from normgen.bench.baseline import ConventionalLoop, conventional_loader

    loader = conventional_loader("mnist", DATA, 64, workers=0)
    out = bench.bench_throughput("gan", data, loader, dev, steps=2, repeats=1, log=lambda s: None,
                                 best_loader=conventional_loader("mnist", DATA, 64, workers=0))
    assert out["normgen_ips"] > 0 and out["conventional_ips"] > 0 and out["speedup"] > 0
    assert out["conventional0_ips"] > 0 and out["speedup_vs_w0"] == pytest.approx(
        out["normgen_ips"] / out["conventional0_ips"])
    # one repeat: the faster of the two loaders is the baseline
    assert out["speedup_vs_best"] == pytest.approx(out["normgen_ips"] / max(out["conventional_ips"],
                                                                             out["conventional0_ips"]))
    for name in ("vae", "cgan"):  # one conventional step of the other models runs and logs
        loop = ConventionalLoop(make_config(name, "mnist"), loader, dev)
        loop.step()
        assert "Loss" in loop.log.getvalue() or "loss" in loop.log.getvalue()
    sw = bench.bench_sweep(2, data, dev, steps=2, repeats=1, log=lambda s: None)
    assert sw["k"] == 2 and sw["batched_s"] > 0
    assert sw["max_metric_rel_diff"] < 1e-3  # batched models match their sequential twins


def test_until_picture_honours_the_time_cap_inside_an_interval():
    import time

    class NeverGood:
        def fd(self, model):
            return 1e9

    r = bench._until_picture(lambda: time.sleep(0.01), None, NeverGood(), "vae", every=1000, cap=0.1,
                             device=torch.device("cpu"))
    assert not r["reached"] and r["steps"] < 100 and 0.1 <= r["seconds"] < 1.0


@needs_mnist
def test_finetune_section_moves_the_statistic_to_its_goal():
    """Section 6 fine-tunes the shipped baseline and stops once the statistic passes its goal."""
    torch.set_num_threads(1)
    from normgen.bench.finetune import bench_finetune

    data = load_dataset("mnist", root=DATA, size=2000)
    lines: list[str] = []
    out = bench_finetune(data, torch.device("cpu"), cap_s=600.0, repeats=1, log=lines.append)
    assert out["baseline"].startswith("gan-mnist-none-generator-loss-l1=0-l2=0")
    l1, l2 = out["L1 1e-3"], out["L2 1e-1"]
    assert l1["baseline_value"] < l1["goal"] and l2["baseline_value"] > l2["goal"]  # goals point the right way
    for row in (l1, l2):
        assert row["reached"] == 1 and 0 < row["seconds"] < 600 and row["steps"][0] > 0
    assert len(lines) == 2 and "half way to" in lines[0]


def test_the_bench_times_only_families_the_conventional_loop_can_train():
    from normgen.bench.baseline import OBJECTIVES
    from normgen.bench.run import BENCH_MODELS
    from normgen.models import MODEL_NAMES, family

    assert set(BENCH_MODELS) == {m for m in MODEL_NAMES if family(m).objective in OBJECTIVES}
    assert {"gan", "vae", "cgan"} <= set(BENCH_MODELS) and "cyclegan" not in BENCH_MODELS


@needs_mnist
@pytest.mark.slow
def test_the_readme_benchmark_command_runs_every_section_for_every_family(capsys):
    """`python -m normgen bench --smoke --json`: every section, each family on a dataset of its own shape
    (the colour DCGAN on CIFAR-10), exit 0, and one strict JSON line last."""
    import json

    from normgen.bench.run import BENCH_MODELS, bench_dataset

    if not (DATA / "CIFAR10" / "train").is_dir() and not (DATA / "cifar-10-batches-py").is_dir():
        pytest.skip(f"CIFAR-10 not found in {DATA}")
    assert main(["bench", "--smoke", "--json", "--device", "cpu", "--threads", "2", "--data-root", str(DATA)]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(res["throughput"]) == set(BENCH_MODELS)
    assert {m: r["dataset"] for m, r in res["throughput"].items()} == {m: bench_dataset(m) for m in BENCH_MODELS}
    assert bench_dataset("dcgan") == "cifar10" and bench_dataset("gan") == "mnist"
    for section in ("time_to_picture", "sweep", "explore", "efficiency", "finetune", "colour"):
        assert res[section], section
    assert all(r["normgen_ips"] > 0 and r["conventional_ips"] > 0 for r in res["throughput"].values())


@needs_mnist
def test_the_conventional_loaders_workers_end_without_leaving_their_temp_folders(tmp_path):
    """dcgan's loader keeps 2 workers alive between epochs; at exit multiprocessing would kill them, and each
    killed worker left a `pymp-…` folder in the temp dir (8 per test run here). They are asked to end first."""
    import subprocess
    import sys

    script = ("from normgen.bench.baseline import conventional_loader\n"
              f"it = iter(conventional_loader('mnist', {str(DATA)!r}, 64))\n"
              "for _ in range(3):\n    next(it)\n")
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("pymp-")] == []
