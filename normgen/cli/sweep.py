"""`python -m normgen sweep`: train one config at several values of one lambda, in one batched run."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from normgen.checkpoints import save
from normgen.cli.progress import StepBar, summary
from normgen.cli.train import add_train_args, config_from_args
from normgen.cli.usage import UsageError
from normgen.data import load_dataset
from normgen.engine.sweep import SWEEP_MODES, choose_mode, sweep
from normgen.engine.train import Progress, default_device
from normgen.regularizers import LAMBDAS, RegConfig
from normgen.render.grids import grid_image


def _values(text: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--values must be comma-separated numbers, got {text!r}") from None
    if not 1 <= len(vals) <= 64:
        raise ValueError(f"--values needs 1 to 64 numbers, got {len(vals)}")
    return vals


def cmd_sweep(a: argparse.Namespace) -> int:
    if a.lam not in LAMBDAS:
        raise UsageError(f"--lambda must be one of {', '.join(LAMBDAS)}, got {a.lam!r}")
    base = config_from_args(a)
    cfgs = [replace(base, reg=RegConfig(**{**base.reg.to_dict(), a.lam: v})) for v in _values(a.values)]
    device = a.device or str(default_device())
    mode = choose_mode(a.mode, torch.device(device), base)
    data = load_dataset(base.dataset, root=a.data_root, seed=base.seed)
    values = ", ".join(f"{getattr(c.reg, a.lam):g}" for c in cfgs)
    print(f"sweeping {a.lam} over {values} for {base.model.name} on "
          f"{base.dataset}, {base.steps} steps each, {mode} on {device}", flush=True)
    done = [0] * len(cfgs)  # steps each model has reported (sequential runs them one after another)

    def progress(k: int, p: Progress) -> None:
        done[k] = p.step
        bar.show(sum(done), f"{a.lam}={getattr(cfgs[k].reg, a.lam):g}: {summary(p.record)}")

    with StepBar(base.steps * len(cfgs), f"{len(cfgs)} models, steps", quiet=a.quiet) as bar:
        results = sweep(cfgs, data=data, device=device, mode=mode, progress=progress)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for cfg, res in zip(cfgs, results, strict=True):
        stem = f"{a.lam}_{getattr(cfg.reg, a.lam):g}"
        path = save(out / f"{stem}.safetensors", res.model, cfg,
                    extra={"dataset": cfg.dataset, "steps": res.steps, "status": res.status,
                           "device": res.device, "wall_s": round(res.elapsed, 2),
                           "final": res.history[-1] if res.history else {}})
        nrow = res.model.grid_columns(res.samples.shape[0], cfg.model.num_classes)
        grid_image(res.samples, nrow=nrow, scale=4).save(out / f"{stem}.png")
        summaries.append({"lambda": getattr(cfg.reg, a.lam), "file": path.name, "status": res.status,
                          "message": res.message, "final": res.history[-1] if res.history else {}})
        print(f"  {stem}: {res.message}")
    (out / "sweep.json").write_text(json.dumps(summaries, indent=1))
    print(f"wrote {len(results)} checkpoints, grids and sweep.json to {out}")
    return 0 if all(r.status != "diverged" for r in results) else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="train several values of one lambda together (batched on GPU)",
                       description="Train the same config at several values of one lambda. On CUDA the "
                                   "models train together in one batched (vmapped) run.")
    p.add_argument("--lambda", dest="lam", default="l1", help=f"which lambda to sweep: {', '.join(LAMBDAS)}")
    p.add_argument("--values", required=True, help="comma-separated lambda values, e.g. 0,0.01,0.03,0.1")
    p.add_argument("--mode", default="auto", choices=SWEEP_MODES,
                   help="auto: batched on CUDA, sequential on the CPU (default)")
    add_train_args(p)
    p.set_defaults(handler=cmd_sweep, out="runs/sweep")
