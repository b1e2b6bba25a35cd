"""The zoo's quality check (issue 4): is the shipped MNIST GAN baseline clearly better than a quick
CPU run of a plain DCGAN?

Trains, for the same wall time each (default 180 s) on this machine:
  * "plain DCGAN": the pytorch/examples dcgan recipe -- batch-norm generator, Adam lr 2e-4,
    beta1 0.5, batch 64, the conventional DataLoader loop (normgen.bench.baseline.ConventionalLoop);
  * "normgen recipe": the zoo's GAN recipe (no-norm generator, lr 1e-3) in normgen's trainer;
then scores 2,000 samples of each exactly as the zoo scores its entries (normgen.eval.quality.evaluate,
the zoo's judge, noise seed 0) and prints them beside the shipped baselines and the real-vs-real
floor from checkpoints/index.json.

    NORMGEN_DATA=../shared/data .venv/bin/python scripts/quick_dcgan.py [--seconds 180] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from floor_scale import plain_dcgan  # noqa: E402  (scripts/, on sys.path when run as a script)

from normgen.config import make_config  # noqa: E402
from normgen.data import default_data_root, load_dataset  # noqa: E402
from normgen.engine.train import train
from normgen.eval.quality import evaluate
from normgen.zoo.files import load_judge
from normgen.zoo.index import load_index
from normgen.zoo.judges import EVAL_SEED


def _scores(model, judge, test, n: int) -> dict:
    m = evaluate(model.eval(), judge, test, n=n, seed=EVAL_SEED)
    return {k: m[k] for k in ("fd", "confident_pct", "class_entropy", "class_hist")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0, help="training wall time of each run")
    ap.add_argument("--data-root", default=None, help="folder holding MNIST/raw (default: $NORMGEN_DATA)")
    ap.add_argument("--n", type=int, default=2000, help="samples scored (the zoo's eval n)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object last")
    a = ap.parse_args()
    root = Path(a.data_root) if a.data_root else default_data_root()
    index = load_index()
    judge = load_judge("mnist").eval()
    test = load_dataset("mnist", root=root, train=False, download=False)
    out: dict = {"seconds": a.seconds, "n": a.n, "threads": torch.get_num_threads(),
                 "floor_fd": index.floors["mnist"]["fd"]}

    model, steps = plain_dcgan(a.seed, a.seconds, root, cache=None)
    out["plain_dcgan"] = {"steps": steps, **_scores(model, judge, test, a.n)}

    ours = make_config("gan", "mnist", seed=a.seed, steps=200_000, max_seconds=a.seconds)
    res = train(ours, data=load_dataset("mnist", root=root, download=False), device="cpu")
    out["normgen_recipe"] = {"steps": res.steps, **_scores(res.model, judge, test, a.n)}

    out["zoo_baselines"] = {e.id: {"steps": e.steps, "fd": e.metrics["fd"], "confident_pct": e.metrics["confident_pct"],
                                   "class_entropy": e.metrics["class_entropy"]}
                            for e in index.find(model="gan", dataset="mnist", g_norm="none", variant="loss",
                                                target="generator") if e.is_baseline}
    floor = out["floor_fd"]
    plain = out["plain_dcgan"]["fd"]
    print(f"real train vs real test (floor): FD {floor:.2f} at n={index.floors['mnist'].get('n')}; "
          f"the runs below are scored on n={a.n} (compare ratios only at equal n: scripts/floor_scale.py)")
    for name in ("plain_dcgan", "normgen_recipe"):
        r = out[name]
        print(f"{name:15s} {a.seconds:.0f} s = {r['steps']:5d} steps: FD {r['fd']:7.1f} = "
              f"{r['fd'] / floor:5.1f}x floor, {r['fd'] / plain:.2f}x plain DCGAN; "
              f"confident {r['confident_pct']:.0f}%, class entropy {r['class_entropy']:.2f}")
    for eid, r in out["zoo_baselines"].items():
        print(f"zoo {eid} ({r['steps']} steps): FD {r['fd']:.1f} = {r['fd'] / floor:.1f}x floor, "
              f"{r['fd'] / plain:.2f}x plain DCGAN; confident {r['confident_pct']:.0f}%")
    if a.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
