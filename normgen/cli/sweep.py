"""`python -m normgen sweep`: train one config at several values of one lambda, in one batched run."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from normgen.engine.sweep import LAMBDAS, SWEEP_MODES


def _values(text: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--values must be comma-separated numbers, got {text!r}") from None
    if not 1 <= len(vals) <= 64:
        raise ValueError(f"--values needs 1 to 64 numbers, got {len(vals)}")
    return vals


def cmd_sweep(a: argparse.Namespace) -> int:
    from normgen.checkpoints import save
    from normgen.cli import UsageError, config_from_args
    from normgen.data import load_dataset
    from normgen.engine.sweep import choose_mode, sweep
    from normgen.engine.train import default_device
    from normgen.regularizers import RegConfig
    from normgen.render.grids import grid_image, grid_nrow

    if a.lam not in LAMBDAS:
        raise UsageError(f"--lambda must be one of {', '.join(LAMBDAS)}, got {a.lam!r}")
    base = config_from_args(a)
    cfgs = [replace(base, reg=RegConfig(**{**base.reg.to_dict(), a.lam: v})) for v in _values(a.values)]
    device = a.device or str(default_device())
    import torch

    mode = choose_mode(a.mode, torch.device(device), base)
    data = load_dataset(base.dataset, root=a.data_root, seed=base.seed)
    print(f"sweeping {a.lam} over {[getattr(c.reg, a.lam) for c in cfgs]} for {base.model.name} on "
          f"{base.dataset}, {base.steps} steps each, {mode} on {device}", flush=True)
    results = sweep(cfgs, data=data, device=device, mode=mode)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = []
    for cfg, res in zip(cfgs, results, strict=True):
        stem = f"{a.lam}_{getattr(cfg.reg, a.lam):g}"
        path = save(out / f"{stem}.safetensors", res.model, cfg,
                    extra={"dataset": cfg.dataset, "steps": res.steps, "status": res.status,
                           "device": res.device, "wall_s": round(res.elapsed, 2),
                           "final": res.history[-1] if res.history else {}})
        nrow = grid_nrow(res.model.conditional, res.samples.shape[0], cfg.model.num_classes)
        grid_image(res.samples, nrow=nrow, scale=4).save(out / f"{stem}.png")
        summary.append({"lambda": getattr(cfg.reg, a.lam), "file": path.name, "status": res.status,
                        "message": res.message, "final": res.history[-1] if res.history else {}})
        print(f"  {stem}: {res.message}")
    (out / "sweep.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {len(results)} checkpoints, grids and sweep.json to {out}")
    return 0 if all(r.status != "diverged" for r in results) else 1


def register_sweep(sub: argparse._SubParsersAction) -> None:
    from normgen.cli import _add_train_args

    p = sub.add_parser("sweep", help="train several values of one lambda together (batched on GPU)",
                       description="Train the same config at several values of one lambda. On CUDA the "
                                   "models train together in one batched (vmapped) run.")
    p.add_argument("--lambda", dest="lam", default="l1", help=f"which lambda to sweep: {', '.join(LAMBDAS)}")
    p.add_argument("--values", required=True, help="comma-separated lambda values, e.g. 0,0.01,0.03,0.1")
    p.add_argument("--mode", default="auto", choices=SWEEP_MODES,
                   help="auto: batched on CUDA, sequential on the CPU (default)")
    _add_train_args(p)
    p.set_defaults(handler=cmd_sweep, out="runs/sweep")
