"""Wall time of one small zoo build with `--engine local` against `--engine ray`, in the same run.

Builds the same offline `shapes` spec (`--only` below: a GAN, a VAE and a cGAN entry, `--steps` each) into
fresh folders, alternating the engines `--repeats` times, each build a whole `python -m normgen zoo
build` process (what a user waits for: Python start, the local pool's spawned workers or Ray's local
cluster, training, scoring). Every folder starts with the same judge file (trained once, not timed), so
the recipes match and the script also checks that both engines wrote the same metrics.

    .venv/bin/python scripts/ray_vs_local.py [--steps 200] [--repeats 2] [--workers 2] [--json]

Needs Ray (pip install -r requirements-ray.txt). Changes nothing outside its temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ONLY = r"^baseline gan-shapes-none-generator-loss-l1=0-l2=0-g=0-s0|^l1 vae-.*l1=0.001-|^l2 cgan-.*l2=0.01-"


def zoo_build(out: Path, engine: list[str], steps: int) -> float:
    cmd = [sys.executable, "-m", "normgen", "zoo", "build", "--out", str(out), "--datasets", "shapes",
           "--only", ONLY, "--steps", str(steps), "--eval-n", "300", "--judge-steps", "100", "--device", "cpu",
           "--draws", "0", *engine]
    t = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True,
                   env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    return time.perf_counter() - t


def metrics(root: Path) -> dict:
    return {e["id"]: e["metrics"] for e in json.loads((root / "index.json").read_text())["entries"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="the local pool's processes (Ray gets as many CPUs)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    engines = {"local": ["--workers", str(a.workers)], "ray": ["--engine", "ray"]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        zoo_build(tmp / "judge", ["--steps", "1"], a.steps)  # untimed: trains the judge every build then shares
        times: dict[str, list[float]] = {k: [] for k in engines}
        found: dict[str, dict] = {}
        for r in range(a.repeats):
            for name, args in engines.items():
                out = tmp / f"{name}{r}"
                shutil.copytree(tmp / "judge" / "judges", out / "judges")
                times[name].append(zoo_build(out, args, a.steps))
                found[name] = metrics(out)
                print(f"repeat {r}: {name} {times[name][-1]:.1f} s", flush=True)
    same = found["local"] == found["ray"]
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {"steps": a.steps, "entries": len(found["local"]), "workers": a.workers, "times_s": times,
           "median_s": med, "ray_over_local": med["ray"] / med["local"], "same_metrics": same,
           "load_average": os.getloadavg()[0]}
    print(f"local (--workers {a.workers}) median {med['local']:.1f} s, ray median {med['ray']:.1f} s: "
          f"ray/local = {res['ray_over_local']:.2f}; same metrics: {same}")
    if a.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
