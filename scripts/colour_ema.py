"""Does an exponential moving average of the colour generator's weights cover more classes? (issue 24)

The colour block's baselines cover 4.5 / 5.6 / 3.7 effective classes (the target is 5), and their FD
oscillates with the training step (scripts/colour_steps_curve.py). Averaging the generator's weights over the
last steps (Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"; BigGAN, StyleGAN) is
the standard cure for that oscillation. This trains the zoo's colour baseline recipe (normgen.zoo.spec
.colour_block) at each --seeds seed on one thread, keeps an EMA of every float tensor of the generator's state
(weights and batch-norm statistics) from step --start on, and scores the raw generator and the averaged one, each
also with its batch-norm statistics measured again (normgen.engine.averaging), as the
zoo scores an entry (2,000 samples, noise seed EVAL_SEED) with both CIFAR-10 judges. One JSON line per
(seed, generator) on stdout and in --out/ema.json; nothing in the zoo changes.

    NORMGEN_DATA=../shared/data OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/colour_ema.py --seeds 0 1 2

With --every, the snapshots make an FD-and-coverage-vs-steps curve; `--plot` draws the curves of one or more
ema.json files (the averaged generator with its batch-norm statistics measured again, both judges, per seed,
with the coverage target of 5 classes) and prints them as a markdown table:

    .venv/bin/python scripts/colour_ema.py --plot runs/colour-long-*/ema.json --figure docs/colour-ttur-steps.png
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
from normgen.engine.averaging import WeightAverage, recalibrate_batchnorm  # noqa: E402
from normgen.engine.train import Progress, train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.quality import evaluate  # noqa: E402
from normgen.zoo.judges import EVAL_SEED  # noqa: E402
from normgen.zoo.spec import colour_block  # noqa: E402


class Averager:
    """The trainer's should_stop hook: from the first call after the module is known, a WeightAverage of it
    (normgen.engine.averaging), updated before every later step."""

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.module: torch.nn.Module | None = None
        self.average: WeightAverage | None = None

    def update(self) -> bool:
        if self.average is not None:
            self.average.update()
        elif self.module is not None:
            self.average = WeightAverage(self.module, self.decay)
        return False


def run(seed: int, a: argparse.Namespace, data, test, judges: dict) -> list[dict]:
    base = [s for s in colour_block("cifar10") if s.tag == "baseline" and s.seed == seed][0]
    cfg = replace(base.config(a.steps or base.steps), ema=0.0)  # the script keeps its own average (Averager)
    if a.lr_d:
        cfg = replace(cfg, lr_d=a.lr_d)
    if a.lr:
        cfg = replace(cfg, lr=a.lr)
    ema = Averager(a.decay)

    rows = []

    def seen(p: Progress) -> None:
        if ema.module is None and p.step >= a.start:
            ema.module = p.model.generator
        if a.every and ema.average is not None and p.step % a.every == 0 and p.step < cfg.steps:
            with torch.random.fork_rng():  # the run's own draws (dropout masks) go on as without the snapshot
                rows.extend(score(p.model, ema, seed, p.step, p.elapsed, a, test, judges, raw=False))

    res = train(cfg, data=data, device="cpu", progress=seen, should_stop=ema.update)
    return rows + score(res.model, ema, seed, res.steps, res.elapsed, a, test, judges, raw=True)


def score(model, ema: Averager, seed: int, steps: int, seconds: float, a: argparse.Namespace, test, judges: dict,
          *, raw: bool) -> list[dict]:
    """Score the generator as it is and its average (each also with its batch-norm statistics measured again;
    only the average's with the statistics measured again unless `raw`) without changing `model`."""
    now = copy.deepcopy(model)  # a copy: the run's own model keeps the modes the trainer set on its parts
    now.eval()
    averaged = copy.deepcopy(now)
    averaged.generator.load_state_dict(ema.average.avg)
    averaged.eval()
    recal, raw_bn = copy.deepcopy(averaged), copy.deepcopy(now)
    recalibrate_batchnorm(recal, "generator", seed=123)
    recalibrate_batchnorm(raw_bn, "generator", seed=123)
    kinds = (("raw", now), ("raw+bn", raw_bn), ("ema", averaged), ("ema+bn", recal)) if raw else (
        ("raw", now), ("ema+bn", recal))
    rows = []
    for kind, m in kinds:
        row = {"seed": seed, "generator": kind, "steps": steps, "train_s": round(seconds, 1),
               "decay": a.decay, "ema_steps": ema.average.updates + 1, "lr": a.lr or None, "lr_d": a.lr_d or None}
        for name, judge in judges.items():
            r = evaluate(m, judge, test, n=a.n, seed=EVAL_SEED)
            row[f"fd_{name}"] = round(r["fd"], 2)
            row[f"classes_{name}"] = round(math.exp(r["class_entropy"]), 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


TARGET_CLASSES = 5.0  # issue 24: the baselines must cover at least 5 effective classes


def plot(files: list[str], figure: str | None) -> str:
    """The averaged generators' (ema+bn) rows of `files` as curves over steps, per seed: FD under both judges, and
    class coverage with the target. Writes `figure` (PNG) when given; returns the markdown table."""
    from matplotlib.figure import Figure

    rows = [r for f in files for r in json.loads(Path(f).read_text()) if r["generator"] == "ema+bn"]
    seeds = sorted({r["seed"] for r in rows})
    steps = sorted({r["steps"] for r in rows})
    by = {(r["seed"], r["steps"]): r for r in rows}
    if figure:
        fig = Figure(figsize=(10, 4), dpi=110)
        ax_fd, ax_cl = fig.subplots(1, 2)
        for seed, colour in zip(seeds, ("#1f77b4", "#d62728", "#2ca02c", "#9467bd"), strict=False):
            pts = [by[(seed, k)] for k in steps if (seed, k) in by]
            xs = [r["steps"] for r in pts]
            ax_fd.plot(xs, [r["fd_judge1"] for r in pts], "o-", color=colour, label=f"seed {seed}, judge 1")
            ax_fd.plot(xs, [r["fd_judge2"] for r in pts], "s--", color=colour, alpha=0.6, label=f"seed {seed}, judge 2")
            ax_cl.plot(xs, [r["classes_judge1"] for r in pts], "o-", color=colour, label=f"seed {seed}")
        ax_cl.axhline(TARGET_CLASSES, color="0.3", lw=1, ls=":")
        ax_cl.text(steps[-1], TARGET_CLASSES - 0.12, "target: 5 classes", fontsize=8, color="0.3", ha="right")
        ax_fd.set(xlabel="generator steps", ylabel="FD (lower is better)",
                  title="FD of the averaged G (TTUR, EMA 0.99)")
        ax_cl.set(xlabel="generator steps", ylabel="effective classes (judge 1)", title="Class coverage")
        ax_fd.legend(fontsize=7, ncol=2)
        ax_cl.legend(fontsize=7)
        for ax in (ax_fd, ax_cl):
            ax.grid(alpha=0.3)
        fig.text(0.01, 0.01, "2,000 samples per point, noise seed 0; one thread per run (scripts/colour_ema.py)",
                 fontsize=7, color="0.4")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(figure)
    head = "| seed | " + " | ".join(f"{k:,}" for k in steps) + " |"
    out = [head, "|---|" + "---:|" * len(steps)]
    for seed in seeds:
        cells = [f"{by[(seed, k)]['fd_judge1']:.1f} / {by[(seed, k)]['classes_judge1']:.2f}; "
                 f"{by[(seed, k)]['fd_judge2']:.1f}" if (seed, k) in by else "—" for k in steps]
        out.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--decay", type=float, default=0.999)
    ap.add_argument("--start", type=int, default=500, help="the step the average starts from")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=0, help="0: the zoo's COLOUR_STEPS")
    ap.add_argument("--every", type=int, default=0,
                    help="also score the raw and the averaged generator every this many steps (0: only at the end)")
    ap.add_argument("--lr", type=float, default=0.0, help="the generator's learning rate (0: the recipe's)")
    ap.add_argument("--lr-d", type=float, default=0.0, help="the discriminator's learning rate (0: the recipe's)")
    ap.add_argument("--out", default="runs/colour_ema")
    ap.add_argument("--plot", nargs="+", default=None, help="ema.json files to draw and tabulate (trains nothing)")
    ap.add_argument("--figure", default=None, help="with --plot: the PNG to write")
    a = ap.parse_args()
    if a.plot:
        print(plot(a.plot, a.figure))
        return
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
