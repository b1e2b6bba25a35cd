"""Which λ should Train's default colour run use? Fine-tune the zoo's colour baseline (seed 0, its
discriminator too: the Train screen's "fine-tune" start) for a fixed wall-clock budget with each candidate
penalty, and record what a learner would see: the grid, the generator's near-zero weights and L2 norm,
and the judge's FD and effective classes (1,000 samples, to keep it short) against the baseline's.

    NORMGEN_DATA=../shared/data nice -n 10 .venv/bin/python scripts/colour_finetune_probe.py --seconds 20

Writes runs/colour_finetune/<name>.png (before: top four rows, after: bottom four) and results.json; with
--steps N, a fixed number of steps instead (files named -Nsteps).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.data import load_dataset  # noqa: E402
from normgen.engine.sampling import sample  # noqa: E402
from normgen.engine.train import train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.metrics import part_totals  # noqa: E402
from normgen.eval.quality import evaluate  # noqa: E402
from normgen.regularizers import RegConfig  # noqa: E402
from normgen.render.grids import grid_image  # noqa: E402
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index
from normgen.zoo.spec import COLOUR_MODEL  # noqa: E402

CANDIDATES = (("L1 1e-3", 1e-3, 0.0), ("L1 3e-3", 3e-3, 0.0), ("L1 1e-2", 1e-2, 0.0), ("L2 1e-1", 0.0, 1e-1))


def scores(model, judge, test, n: int) -> dict:
    r = evaluate(model, judge, test, n=n, seed=0)
    w = part_totals(model.parts, ["generator"])["generator"]
    return {"fd": round(r["fd"], 2), "classes": round(math.exp(r["class_entropy"]), 2),
            "near_zero_pct": round(w["near_zero_pct"], 2), "l2": round(w["l2"], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--steps", type=int, default=0, help="a fixed number of steps instead of --seconds")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="runs/colour_finetune")
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    index = load_index()
    base = next(e for e in index.find(model=COLOUR_MODEL, dataset="cifar10") if e.is_baseline and e.seed == 0
                and e.setting == ("ns", "none", "all"))
    ck = load_entry(base, index.root)
    data = load_dataset("cifar10", train=True, download=False)
    test = load_dataset("cifar10", train=False, download=False)
    judge = load_judge_file("checkpoints/judges/cifar10.safetensors")
    ck.model.eval()
    before = sample(ck.model, 64, 0)
    res = {"baseline": {"id": base.id, **scores(ck.model, judge, test, a.n)}, "seconds": a.seconds,
           "steps": a.steps}
    print(json.dumps(res["baseline"]), flush=True)
    for name, l1, l2 in CANDIDATES:
        if a.only and name not in a.only:
            continue
        cfg = replace(ck.config, reg=RegConfig(l1=l1, l2=l2, target="generator"), steps=a.steps or 100_000,
                      max_seconds=0.0 if a.steps else a.seconds, seed=0, n_samples=64)
        r = train(cfg, data=data, device="cpu", init=copy.deepcopy(ck.model))
        r.model.eval()
        after = sample(r.model, 64, 0)
        tag = name.replace(" ", "_") + (f"-{a.steps}steps" if a.steps else "")
        grid_image(torch.cat([before[:32], after[:32]]), nrow=8, scale=2).save(out / f"{tag}.png")
        res[name] = {"steps": r.steps, "elapsed_s": round(r.elapsed, 1),
                     "pixel_change": round(float((after - before).abs().mean()), 4),
                     **scores(r.model, judge, test, a.n)}
        print(name, json.dumps(res[name]), flush=True)
        suffix = f"-{a.steps}steps" if a.steps else ""
        (out / f"results{suffix}.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
