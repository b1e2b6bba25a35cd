"""Does an exponential moving average of the colour generator's weights cover more classes? (issue 24)

The colour block's baselines cover 4.5 / 5.6 / 3.7 effective classes (the target is 5), and their FD
oscillates with the training step (scripts/colour_steps_curve.py). Averaging the generator's weights over the
last steps (Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"; BigGAN, StyleGAN) is
the standard cure for that oscillation. This trains the zoo's colour baseline recipe (normgen.zoo.spec
.colour_block) at each --seeds seed on one thread, keeps an EMA of every float tensor of the generator's state
(weights and batch-norm statistics) from step --start on, and scores the raw generator and the averaged one, each
also with its batch-norm statistics measured again (`recalibrate`), as the
zoo scores an entry (2,000 samples, noise seed EVAL_SEED) with both CIFAR-10 judges. One JSON line per
(seed, generator) on stdout and in --out/ema.json; nothing in the zoo changes.

    NORMGEN_DATA=../shared/data OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/colour_ema.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.data import load_dataset  # noqa: E402
from normgen.engine.train import Progress, train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.quality import evaluate  # noqa: E402
from normgen.zoo.judges import EVAL_SEED  # noqa: E402
from normgen.zoo.spec import colour_block  # noqa: E402


class Averager:
    """An EMA of a module's float state, updated before every training step once the module is known."""

    def __init__(self, decay: float, start: int) -> None:
        self.decay, self.start = decay, start
        self.module: torch.nn.Module | None = None
        self.avg: dict[str, torch.Tensor] | None = None
        self.steps = 0

    def update(self) -> bool:  # the trainer's should_stop hook: called once before each step
        if self.module is None:
            return False
        self.steps += 1
        state = self.module.state_dict()
        if self.avg is None:
            self.avg = {k: v.detach().clone() for k, v in state.items()}
        else:
            for k, v in state.items():
                if v.dtype.is_floating_point:
                    self.avg[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
                else:
                    self.avg[k].copy_(v)
        return False


def recalibrate(model, batches: int = 50, size: int = 64, seed: int = 123) -> None:
    """The generator's batch-norm statistics measured again for its (averaged) weights: an average of the running
    statistics is not the statistics of the averaged weights (the usual step after weight averaging)."""
    bns = [m for m in model.generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches below
    g = torch.Generator().manual_seed(seed)
    model.generator.train()
    with torch.no_grad():
        for _ in range(batches):
            model.generator(model.latent(size, g))
    for m in bns:
        m.momentum = 0.1
    model.eval()


def run(seed: int, a: argparse.Namespace, data, test, judges: dict) -> list[dict]:
    base = [s for s in colour_block("cifar10") if s.tag == "baseline" and s.seed == seed][0]
    cfg = base.config(a.steps or base.steps)
    ema = Averager(a.decay, a.start)

    def seen(p: Progress) -> None:
        if ema.module is None and p.step >= a.start:
            ema.module = p.model.generator

    res = train(cfg, data=data, device="cpu", progress=seen, should_stop=ema.update)
    raw = res.model
    averaged = copy.deepcopy(raw)
    averaged.generator.load_state_dict(ema.avg)
    averaged.eval()
    recal, raw_bn = copy.deepcopy(averaged), copy.deepcopy(raw)
    recalibrate(recal)
    recalibrate(raw_bn)
    rows = []
    for kind, model in (("raw", raw), ("raw+bn", raw_bn), ("ema", averaged), ("ema+bn", recal)):
        row = {"seed": seed, "generator": kind, "steps": res.steps, "train_s": round(res.elapsed, 1),
               "decay": a.decay, "ema_steps": ema.steps}
        for name, judge in judges.items():
            r = evaluate(model, judge, test, n=a.n, seed=EVAL_SEED)
            row[f"fd_{name}"] = round(r["fd"], 2)
            row[f"classes_{name}"] = round(math.exp(r["class_entropy"]), 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--decay", type=float, default=0.999)
    ap.add_argument("--start", type=int, default=500, help="the step the average starts from")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=0, help="0: the zoo's COLOUR_STEPS")
    ap.add_argument("--out", default="runs/colour_ema")
    a = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("cifar10", train=True, download=False)
    test = load_dataset("cifar10", train=False, download=False)
    judges = {"judge1": load_judge_file("checkpoints/judges/cifar10.safetensors"),
              "judge2": load_judge_file("checkpoints/judges/cifar10-2.safetensors")}
    rows = []
    for s in a.seeds:
        rows += run(s, a, data, test, judges)
        (out / "ema.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
