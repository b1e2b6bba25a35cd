"""How far longer training takes the zoo's MNIST GAN baseline: judge FD vs steps, with and without an
exponential moving average (EMA) of the generator's weights.

Trains the zoo baseline's recipe (seed 0; its first 2,000 steps are exactly the shipped baseline) and
scores 2,000 samples at each checkpoint step as the zoo scores its entries. One thread, so it can run
beside other work:

    NORMGEN_DATA=../shared/data .venv/bin/python scripts/gan_steps_curve.py --at 1000,2000,3000,4000,6000

`--set KEY=VALUE` (repeatable) changes the recipe, to try another one on the same footing: model fields
(`ch`, `nz`, `g_norm`, `d_norm`) or training fields (`lr`, `lr_d`, `beta1`, `beta2`, `batch_size`), e.g.
`--set g_norm=batch --set ch=48`. `--model cgan` scores the conditional GAN instead.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.config import make_config  # noqa: E402
from normgen.data import default_data_root, load_dataset  # noqa: E402
from normgen.engine.train import gan_step, make_trainer
from normgen.eval.quality import evaluate
from normgen.zoo.files import load_judge
from normgen.zoo.index import load_index
from normgen.zoo.judges import EVAL_SEED

MODEL_FIELDS = {"ch": int, "nz": int, "g_norm": str, "d_norm": str}
TRAIN_FIELDS = {"lr": float, "lr_d": float, "beta1": float, "beta2": float, "batch_size": int}


def parse_sets(items: list[str]) -> tuple[dict, dict]:
    """["ch=48", "lr=5e-4"] -> ({"ch": 48}, {"lr": 0.0005}); unknown keys are an error."""
    model, trn = {}, {}
    for it in items:
        key, sep, val = it.partition("=")
        if not sep:
            raise SystemExit(f"--set wants KEY=VALUE, got {it!r}")
        if key in MODEL_FIELDS:
            model[key] = MODEL_FIELDS[key](val)
        elif key in TRAIN_FIELDS:
            trn[key] = TRAIN_FIELDS[key](val)
        else:
            raise SystemExit(f"--set: unknown field {key!r}; known: {', '.join([*MODEL_FIELDS, *TRAIN_FIELDS])}")
    return model, trn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--at", default="1000,2000,3000,4000,6000", help="steps at which to score")
    ap.add_argument("--ema", default="0.99,0.999", help="EMA decays to track (empty: none)")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default="gan", choices=("gan", "cgan"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="recipe change")
    a = ap.parse_args()
    mo, tr = parse_sets(a.set)
    torch.set_num_threads(a.threads)
    root = Path(a.data_root) if a.data_root else default_data_root()
    at = sorted(int(s) for s in a.at.split(","))
    decays = [float(d) for d in a.ema.split(",") if d]
    judge = load_judge("mnist").eval()
    test = load_dataset("mnist", root=root, train=False, download=False)
    cfg = make_config(a.model, "mnist", seed=a.seed, model_overrides=mo, **tr)
    t = make_trainer(cfg, load_dataset("mnist", root=root, download=False), torch.device("cpu"))
    emas = {d: copy.deepcopy(t.model) for d in decays}
    print(f"floor (real train vs real test): FD {load_index().floors['mnist']['fd']:.2f}; "
          f"{a.model} seed {a.seed}, recipe changes: {mo | tr or 'none'}", flush=True)

    def score(m) -> dict:
        r = evaluate(m, judge, test, n=a.n, seed=EVAL_SEED)
        return {"fd": round(r["fd"], 1), "confident_pct": round(r["confident_pct"], 1),
                "class_entropy": round(r["class_entropy"], 2)}

    t0 = time.perf_counter()
    for step in range(1, at[-1] + 1):
        gan_step(t)
        with torch.no_grad():
            src = list(t.model.generator.parameters())
            for d, m in emas.items():
                torch._foreach_lerp_(list(m.generator.parameters()), src, 1 - d)
        if step in at:
            row = {"step": step, "raw": score(t.model), **{f"ema{d:g}": score(m) for d, m in emas.items()},
                   "train_s": round(time.perf_counter() - t0)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
