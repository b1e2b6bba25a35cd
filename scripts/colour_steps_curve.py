"""Judge FD of the colour DCGAN (CIFAR-10) against training steps: the measurement behind COLOUR_STEPS.

Two phases, so the training can run before the judge exists and is never repeated:

  train: the zoo's colour baseline recipe (normgen.zoo.spec.colour_block, seed 0) for --steps steps on one
         thread, the generator's weights snapshotted every --every steps into --out (resumable: a width
         whose last snapshot exists is skipped);
  score: each snapshot scored as the zoo scores an entry (2,000 samples, normgen.eval.quality.evaluate) by
         the judge in --judge, beside the ruler (normgen.eval.ruler); writes curve.json and curve.png.

    NORMGEN_DATA=../shared/data nice -n 10 .venv/bin/python scripts/colour_steps_curve.py train --ch 16
    NORMGEN_DATA=../shared/data .venv/bin/python scripts/colour_steps_curve.py score --ch 16 32
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.data import load_dataset  # noqa: E402
from normgen.engine.train import Progress, train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.quality import evaluate  # noqa: E402
from normgen.models import build_model  # noqa: E402
from normgen.zoo.judges import EVAL_SEED
from normgen.zoo.spec import colour_block  # noqa: E402


def recipe(ch: int, steps: int):
    """The zoo's colour baseline (seed 0) at width `ch`."""
    base = colour_block("cifar10")[0]
    cfg = base.config(steps)
    return replace(cfg, model=replace(cfg.model, ch=ch), log_every=50)


def cmd_train(a: argparse.Namespace) -> None:
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("cifar10", train=True, download=False)
    for ch in a.ch:
        if (out / f"ch{ch}-step{a.steps}.pt").is_file():
            print(f"ch {ch}: done already", flush=True)
            continue
        times: dict[int, float] = {}

        def snap(p: Progress, ch: int = ch, times: dict = times) -> None:
            if p.step % a.every == 0:
                torch.save(p.model.generator.state_dict(), out / f"ch{ch}-step{p.step}.pt")
                times[p.step] = round(p.elapsed, 1)
                (out / f"ch{ch}-times.json").write_text(json.dumps(times))
                print(f"ch {ch} step {p.step}: {p.elapsed:.0f} s", flush=True)

        train(recipe(ch, a.steps), data=data, device="cpu", progress=snap)


def cmd_score(a: argparse.Namespace) -> None:
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    judge = load_judge_file(a.judge)
    test = load_dataset("cifar10", train=False, download=False)
    rows = []
    for ch in a.ch:
        times = json.loads((out / f"ch{ch}-times.json").read_text())
        for step in sorted(int(k) for k in times):
            model = build_model(recipe(ch, step).model)
            model.generator.load_state_dict(torch.load(out / f"ch{ch}-step{step}.pt", weights_only=True))
            model.eval()
            r = evaluate(model, judge, test, n=a.n, seed=EVAL_SEED)
            rows.append({"ch": ch, "step": step, "train_s": times[str(step)], "fd": round(r["fd"], 2),
                         "class_entropy": round(r["class_entropy"], 3)})
            print(json.dumps(rows[-1]), flush=True)
    (out / "curve.json").write_text(json.dumps(rows, indent=1))
    plot(rows, out / "curve.png", a.ruler)


def plot(rows: list[dict], path: Path, ruler: str | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    for ch in sorted({r["ch"] for r in rows}):
        rs = [r for r in rows if r["ch"] == ch]
        ax.plot([r["step"] for r in rs], [r["fd"] for r in rs], "o-", label=f"width {ch}")
    if ruler:
        for name, fd in json.loads(Path(ruler).read_text()).items():
            ax.axhline(fd, color="0.6", lw=0.8, ls="--")
            ax.text(ax.get_xlim()[1], fd, f" {name}", va="center", fontsize=7, color="0.4")
    ax.set_xlabel("generator steps (batch 64)")
    ax.set_ylabel("judge FD (2,000 samples)")
    ax.set_title("Colour DCGAN on CIFAR-10: FD vs training steps")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("train", "score"):
        p = sub.add_parser(name)
        p.add_argument("--ch", type=int, nargs="+", default=[16])
        p.add_argument("--out", default="runs/colour_curve")
        p.add_argument("--threads", type=int, default=1)
    t = sub.choices["train"]
    t.add_argument("--steps", type=int, default=4000)
    t.add_argument("--every", type=int, default=500)
    s = sub.choices["score"]
    s.add_argument("--judge", default="checkpoints/judges/cifar10.safetensors")
    s.add_argument("--n", type=int, default=2000)
    s.add_argument("--ruler", default=None, help="JSON {rung name: FD} drawn as dashed lines")
    a = ap.parse_args()
    cmd_train(a) if a.cmd == "train" else cmd_score(a)


if __name__ == "__main__":
    main()
