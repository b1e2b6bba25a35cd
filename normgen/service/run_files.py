"""A run's downloads: the checkpoint, grid and config it keeps, and the CLI command that reproduces them
(the parts of `runs.Run` that write files and say how to get them again)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from normgen.checkpoints import save
from normgen.config import TrainConfig, reproduce_command
from normgen.data import DATASETS
from normgen.regularizers import PENALTIES
from normgen.service import workdir
from normgen.words import fmt_lambda
from normgen.zoo.views import train_translation as TT

if TYPE_CHECKING:
    from normgen.service.runs import Run


def kept_config(run: Run) -> TrainConfig:
    """The config of the kept weights (the steps actually kept, the λ in force at the end); the CLI
    run of it reproduces them when no λ changed mid-run."""
    steps = run.result.steps if run.result is not None else run.step
    return replace(run.cfg, reg=run.current_reg(), steps=max(1, steps), max_seconds=0.0)


def change_words(name: str, old: float, new: float) -> str:
    """'L1 λ 1e-4 → 1e-2': one λ change, as the run's sentences and the Train tab say it."""
    label = PENALTIES[name].label if name in PENALTIES else name
    return f"{label} λ {fmt_lambda(old)} → {fmt_lambda(new)}"


def command(run: Run) -> str:
    """The CLI command that reproduces the kept weights (an upload's server folder written as
    YOUR_IMAGES: the visitor has the images, not that path)."""
    cmd = _command(run)
    upload = run.plan.upload
    return cmd.replace(str(upload.folder), "YOUR_IMAGES") if upload is not None else cmd


def _command(run: Run) -> str:
    init = None
    if run.plan.init_path is not None:
        path = run.plan.init_path
        try:
            init = str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            init = str(path)
    if not run.live.changes:
        return reproduce_command(kept_config(run), init=init)
    start = replace(kept_config(run), reg=run.cfg.reg)
    said = "; ".join(f"step {c['step']}: {change_words(c['name'], c['old'], c['new'])}" for c in run.live.changes)
    return (reproduce_command(start, init=init) + f"\n# λ changed during the run ({said}). The CLI trains "
            "one λ throughout, so this command reproduces the start setting, not the schedule.")


def finalize(run: Run) -> dict[str, str]:
    """Write checkpoint (.safetensors), grid PNG and config JSON once the worker has ended."""
    with run.lock:
        if run.files or run.result is None:
            return run.files
        cfg, r = run.cfg, run.result
        run.out_dir = workdir.new_folder(f"run-{run.id}-")
        workdir.hold(run.out_dir)  # the session's page names these files until it ends (Run.cleanup)
        data = cfg.dataset if cfg.dataset in DATASETS else "own-images"  # an upload: no server path
        stem = (f"normgen-{cfg.model.name}-{data}-l1={fmt_lambda(cfg.reg.l1)}-l2={fmt_lambda(cfg.reg.l2)}"
                f"-{cfg.reg.target}-{cfg.reg.variant}"
                + (f"-do={cfg.model.dropout:g}" if cfg.model.dropout else "")
                + (f"-n{cfg.train_size}" if cfg.train_size else "")
                + (f"-cyc={cfg.model.lambda_cyc:g}-{cfg.model.cycle_norm}" if run.translates else "")
                + f"-seed{cfg.seed}-{r.steps}steps")
        info = {"status": r.status, "steps": r.steps, "device": r.device, "wall_s": round(r.elapsed, 2),
                "message": r.message, "init": run.plan.init_entry.id if run.plan.init_entry else None,
                "command": command(run), "final": r.history[-1] if r.history else {},
                "generalization": run.generalization, "translation": TT.summary(run.translation),
                "lambda_changes": [dict(c) for c in run.live.changes]}
        ck = save(run.out_dir / f"{stem}.safetensors", r.model, kept_config(run), extra=info)
        png = run.out_dir / f"{stem}-samples.png"
        grid = run.grid()
        if grid is not None:
            grid.save(png)
        js = run.out_dir / f"{stem}-config.json"
        config = kept_config(run).to_dict()
        if run.plan.upload is not None:
            config["dataset"] = config["dataset"].replace(str(run.plan.upload.folder), "YOUR_IMAGES")
        js.write_text(json.dumps({"config": config, **info}, indent=2))
        run.files = {"checkpoint": str(ck), "config": str(js), **({"grid": str(png)} if grid else {})}
        return run.files

