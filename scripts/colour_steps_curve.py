"""Judge FD of the colour DCGAN (CIFAR-10) against training steps: the measurement behind COLOUR_STEPS.

A curve is a width and a discriminator dropout (`16:0.3` = the zoo's recipe, the sources' layout; `16:0` the
same without dropout, the faster-converging variant; `32:0.3` twice the width). Two phases, so the training
can run before the judge exists and is never repeated:

  train: the zoo's colour baseline recipe (normgen.zoo.spec.colour_block, seed 0) at each curve's width and
         dropout for --steps steps on one thread, the generator's weights snapshotted every --every steps
         into --out (resumable: a curve whose last snapshot exists is skipped);
  score: each snapshot scored as the zoo scores an entry (2,000 samples, normgen.eval.quality.evaluate) by
         the judge in --judge; writes curve.json and curve.png in --out, and with --zoo the zoo's
         colour_steps.json (normgen.zoo.steps_curve) and --figure (the plot, with the ruler's rungs).

    NORMGEN_DATA=../shared/data nice -n 10 .venv/bin/python scripts/colour_steps_curve.py train --curves 16:0.3 16:0
    NORMGEN_DATA=../shared/data .venv/bin/python scripts/colour_steps_curve.py score --curves 16:0.3 16:0 32:0.3 \
        --zoo checkpoints --figure docs/colour_steps.png
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.data import load_dataset  # noqa: E402
from normgen.engine.train import Progress, train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.quality import evaluate  # noqa: E402
from normgen.eval.ruler import rung_label  # noqa: E402
from normgen.models import build_model  # noqa: E402
from normgen.zoo.index import load_index  # noqa: E402
from normgen.zoo.judges import EVAL_SEED  # noqa: E402
from normgen.zoo.spec import colour_block  # noqa: E402
from normgen.zoo.steps_curve import CURVE_NAME  # noqa: E402


def parse_curve(text: str) -> tuple[int, float]:
    """'16:0.3' -> (16, 0.3): a width and the discriminator's dropout."""
    try:
        ch, do = text.split(":")
        return int(ch), float(do)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a curve is WIDTH:DROPOUT, e.g. 16:0.3; got {text!r}") from None


def name(ch: int, dropout: float) -> str:
    return f"ch{ch}-do{dropout:g}"


def recipe(ch: int, dropout: float, steps: int):
    """The zoo's colour baseline (seed 0) at width `ch` with D dropout `dropout`."""
    base = colour_block("cifar10")[0]
    cfg = base.config(steps)
    return replace(cfg, model=replace(cfg.model, ch=ch, dropout=dropout), log_every=50)


def cmd_train(a: argparse.Namespace) -> None:
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("cifar10", train=True, download=False)
    for ch, do in a.curves:
        key = name(ch, do)
        if (out / f"{key}-step{a.steps}.pt").is_file():
            print(f"{key}: done already", flush=True)
            continue
        times: dict[int, float] = {}

        def snap(p: Progress, key: str = key, times: dict = times) -> None:
            if p.step % a.every == 0:
                torch.save(p.model.generator.state_dict(), out / f"{key}-step{p.step}.pt")
                times[p.step] = round(p.elapsed, 1)
                (out / f"{key}-times.json").write_text(json.dumps(times))
                print(f"{key} step {p.step}: {p.elapsed:.0f} s", flush=True)

        train(recipe(ch, do, a.steps), data=data, device="cpu", progress=snap)


def cmd_score(a: argparse.Namespace) -> None:
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    judge = load_judge_file(a.judge)
    test = load_dataset("cifar10", train=False, download=False)
    rows = []
    for ch, do in a.curves:
        key = name(ch, do)
        times = json.loads((out / f"{key}-times.json").read_text())
        for step in sorted(int(k) for k in times):
            model = build_model(recipe(ch, do, step).model)
            model.generator.load_state_dict(torch.load(out / f"{key}-step{step}.pt", weights_only=True))
            model.eval()
            r = evaluate(model, judge, test, n=a.n, seed=EVAL_SEED)
            rows.append({"ch": ch, "dropout": do, "step": step, "train_s": times[str(step)],
                         "fd": round(r["fd"], 2), "classes": round(math.exp(r["class_entropy"]), 2)})
            print(json.dumps(rows[-1]), flush=True)
    (out / "curve.json").write_text(json.dumps(rows, indent=1))
    ruler = json.loads(Path(a.ruler).read_text()) if a.ruler else {}
    if a.zoo:
        index = load_index(a.zoo)
        got = index.floors.get("cifar10", {}).get("ruler", {})
        ruler = ruler or {rung_label(k): got[k] for k in ("noise0.1", "blocks8", "noise0.3", "uniform") if k in got}
        about = (f"Judge FD of the colour DCGAN (CIFAR-10, the zoo's baseline recipe at seed 0, per width and "
                 f"discriminator dropout) against generator steps, written by scripts/colour_steps_curve.py: "
                 f"trained on one thread, a snapshot every {rows[1]['step'] - rows[0]['step'] if len(rows) > 1 else 0}"
                 f" steps scored with {a.n:,} samples (noise seed {EVAL_SEED}) by the zoo's CIFAR-10 judge; "
                 "train_s is the training time to that step on the machine that measured it.")
        doc = {"about": about, "judge_sha": sha256_file(Path(a.judge)), "n": a.n, "rows": rows}
        (Path(a.zoo) / CURVE_NAME).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {Path(a.zoo) / CURVE_NAME}", flush=True)
    plot(rows, out / "curve.png", ruler)
    if a.figure:
        plot(rows, Path(a.figure), ruler)
        print(f"wrote {a.figure}", flush=True)


def sha256_file(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def plot(rows: list[dict], path: Path, ruler: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8), dpi=110)
    for ch, do in sorted({(r["ch"], r.get("dropout", 0.3)) for r in rows}):
        rs = [r for r in rows if r["ch"] == ch and r.get("dropout", 0.3) == do]
        ax.plot([r["step"] for r in rs], [r["fd"] for r in rs], "o-",
                label=f"width {ch}, D dropout {do:g}" + (" (the zoo's recipe)" if (ch, do) == (16, 0.3) else ""))
    for rung, fd in ruler.items():
        ax.axhline(fd, color="0.6", lw=0.8, ls="--")
        ax.text(ax.get_xlim()[1], fd, f" {rung}", va="center", fontsize=7, color="0.4")
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
        p.add_argument("--curves", type=parse_curve, nargs="+", default=[(16, 0.3)],
                       help="WIDTH:DROPOUT per curve (default 16:0.3, the zoo's recipe)")
        p.add_argument("--out", default="runs/colour_curve")
        p.add_argument("--threads", type=int, default=1)
    t = sub.choices["train"]
    t.add_argument("--steps", type=int, default=4000)
    t.add_argument("--every", type=int, default=500)
    s = sub.choices["score"]
    s.add_argument("--judge", default="checkpoints/judges/cifar10.safetensors")
    s.add_argument("--n", type=int, default=2000)
    s.add_argument("--ruler", default=None, help="JSON {rung name: FD} drawn as dashed lines (default: the "
                   "--zoo index's CIFAR-10 ruler)")
    s.add_argument("--zoo", default=None, help="write the zoo's colour_steps.json into this zoo folder")
    s.add_argument("--figure", default=None, help="also save the plot here (e.g. docs/colour_steps.png)")
    a = ap.parse_args()
    cmd_train(a) if a.cmd == "train" else cmd_score(a)


if __name__ == "__main__":
    main()
