"""The Ray engine: a local 2-CPU Ray cluster (loopback) builds the tiny shapes zoo to the index the local
engine writes; a worker killed mid-task costs a retry, not an entry; an entry that keeps failing is
reported by id while the others finish; without Ray, `--engine ray` exits 2 with one line.

The cluster tests skip where Ray is not installed (`pip install -r requirements-ray.txt`), unless
NORMGEN_REQUIRE_RAY is set (`.ci/run` sets it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from normgen.checkpoints import load
from normgen.cli import main
from normgen.zoo.build import build
from normgen.zoo.files import verify
from normgen.zoo.index import load_index
from normgen.zoo.spec import ZooSpec

ONLY = r"^baseline gan-shapes-none-generator-loss-l1=0-l2=0-g=0-s0|^l1 vae-.*l1=0.001-|^l2 cgan-.*l2=0.01-"
KW = dict(data_root=None, device="cpu", priority=1, steps=10, only=ONLY, datasets=("shapes",), eval_n=100,
          judge_steps=50)
CLI = ["--datasets", "shapes", "--only", ONLY, "--steps", "10", "--eval-n", "100", "--judge-steps", "50",
       "--device", "cpu", "--draws", "0"]
# the file's sha and size cover its metadata, which holds the run's time ("finished 10 steps in 1.2 s": its
# length varies too); everything else must agree
TIMING = {"wall_s", "sha256", "message", "bytes"}


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster for the module (its start takes ~10 s on 2 cores), on the loopback address."""
    if os.environ.get("NORMGEN_REQUIRE_RAY"):  # CI installs requirements-ray.txt: there these must run
        import ray
    else:
        ray = pytest.importorskip("ray")
    from normgen.zoo.ray_engine import runtime_env

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", runtime_env=runtime_env(),
             log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_zoo(tmp_path_factory):
    """The tiny spec built by the local engine, torch on one thread (as a 1-CPU Ray task runs)."""
    root = tmp_path_factory.mktemp("local")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res = build(root, workers=1, log=lambda s: None, **KW)
    finally:
        torch.set_num_threads(threads)
    assert not res.failed and len(res.trained) == 3
    return root


def _with_judges(local_root, dest):
    """A fresh zoo folder with the local zoo's judge files (the recipe hash includes the judge's sha)."""
    dest.mkdir()
    shutil.copytree(local_root / "judges", dest / "judges")
    return dest


def _rows(root) -> dict[str, dict]:
    return {e["id"]: {k: v for k, v in e.items() if k not in TIMING}
            for e in json.loads((root / "index.json").read_text())["entries"]}


def _same_tensors(a_root, b_root, entry_id: str) -> bool:
    e = load_index(a_root).get(entry_id)
    a, b = load(a_root / e.file).model, load(b_root / e.file).model
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_ray_builds_the_same_index_as_the_local_engine(cluster, local_zoo, tmp_path, capsys):
    root = _with_judges(local_zoo, tmp_path / "ray")
    assert main(["zoo", "build", "--engine", "ray", "--out", str(root), *CLI]) == 0
    out = capsys.readouterr().out
    assert "ray: 2 CPUs, 0 GPUs" in out and "[3/3]" in out and "ETA" in out
    assert _rows(root) == _rows(local_zoo) and len(_rows(root)) == 3  # same metrics, weights, recipes
    assert all(_same_tensors(local_zoo, root, i) for i in _rows(root))
    assert verify(root) == (3, [])
    assert main(["zoo", "build", "--engine", "ray", "--out", str(root), *CLI]) == 0  # resumable
    assert "0 to train" in capsys.readouterr().out


def test_a_killed_worker_costs_a_retry_and_a_failing_entry_is_reported(cluster, local_zoo, tmp_path):
    from normgen.zoo.ray_engine import RayRunner

    root = _with_judges(local_zoo, tmp_path / "ray")
    ids = sorted(_rows(local_zoo))
    killed, failing = ids[0], ids[1]
    marks = tmp_path / "attempts"
    marks.mkdir()

    def flaky(job: dict) -> dict:  # runs in a Ray worker (pickled by value: a local function)
        from normgen.zoo.build import build_entry

        entry_id = ZooSpec(**job["spec"]).id
        with open(marks / entry_id, "a") as f:
            f.write("x")
        if entry_id == failing:
            raise RuntimeError("this entry always fails")
        row = build_entry(job)
        if entry_id == killed and (marks / entry_id).stat().st_size == 1:
            os._exit(1)  # first attempt: the worker dies with the file written and the result not yet sent
        return row

    logs: list[str] = []
    res = build(root, runner=RayRunner(flaky, max_retries=1, log=logs.append), log=logs.append, **KW)
    assert (marks / killed).read_text() == "xx"  # killed once, retried once, finished (its file rewritten)
    assert (marks / failing).read_text() == "xx"  # one attempt and max_retries=1 retry
    assert sorted(res.trained) == [ids[0], ids[2]] and list(res.failed) == [failing]
    assert "after 2 attempts: RuntimeError: this entry always fails" in res.failed[failing]
    assert any(f"FAILED {failing}" in s for s in logs)
    rows = _rows(root)
    assert sorted(rows) == [ids[0], ids[2]] and all(rows[i] == _rows(local_zoo)[i] for i in rows)
    assert verify(root) == (2, [])


def test_a_sweep_runs_one_task_per_value_like_the_local_sweep(cluster, tmp_path, capsys):
    args = ["sweep", "--lambda", "l2", "--values", "0,0.5", "--steps", "3", "--ch", "4", "--nz", "8",
            "--batch-size", "8", "--device", "cpu", "--quiet", "--out"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main([*args, str(tmp_path / "local"), "--mode", "sequential"]) == 0
    finally:
        torch.set_num_threads(threads)
    assert main([*args, str(tmp_path / "ray"), "--engine", "ray"]) == 0
    assert "[2/2]" in capsys.readouterr().out
    for v in ("0", "0.5"):
        a, b = load(tmp_path / "local" / f"l2_{v}.safetensors"), load(tmp_path / "ray" / f"l2_{v}.safetensors")
        assert b.config == a.config and b.config.reg.l2 == float(v) and (tmp_path / "ray" / f"l2_{v}.png").is_file()
        assert all(torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(),
                                                     strict=True))
    rows, local = (json.loads((tmp_path / d / "sweep.json").read_text()) for d in ("ray", "local"))
    def same(r: dict) -> tuple:  # the final record's losses and weight statistics, not its wall-clock time
        return r["lambda"], r["file"], r["status"], {k: v for k, v in r["final"].items() if k != "time"}

    assert [same(r) for r in rows] == [same(r) for r in local]
    mtime = (tmp_path / "ray" / "l2_0.safetensors").stat().st_mtime_ns
    assert main([*args, str(tmp_path / "ray"), "--engine", "ray", "--values", "0,0.5,1"]) == 0  # resumable
    assert "2 values done, 1 to train" in capsys.readouterr().out
    assert (tmp_path / "ray" / "l2_0.safetensors").stat().st_mtime_ns == mtime
    assert [r["lambda"] for r in json.loads((tmp_path / "ray" / "sweep.json").read_text())] == [0.0, 0.5, 1.0]


def test_without_ray_the_engine_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert main(["zoo", "build", "--engine", "ray", "--out", str(tmp_path), *CLI]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install -r requirements-ray.txt" in err
    assert not (tmp_path / "index.json").exists()  # nothing was trained or written
    assert main(["zoo", "build", "--address", "auto", "--out", str(tmp_path), *CLI]) == 2  # needs --engine ray
    assert main(["zoo", "build", "--engine", "ray", "--workers", "2", "--out", str(tmp_path), *CLI]) == 2
    assert main(["sweep", "--engine", "ray", "--values", "0,1", "--out", str(tmp_path / "s")]) == 2
    assert "pip install -r requirements-ray.txt" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_importing_normgen_never_imports_ray():
    code = ("import sys, normgen.cli, normgen.zoo.build, normgen.zoo.ray_engine; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
