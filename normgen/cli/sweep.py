"""`python -m normgen sweep`: train one config at several values of one lambda, in one batched run,
or (`--engine ray`) as one Ray task per value on a cluster, resumable (values finished before are skipped)."""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import torch

from normgen.checkpoints import CheckpointError, read_meta, save
from normgen.cli.engine import add_engine_args, check_engine_args, ray_runner
from normgen.cli.progress import StepBar, summary
from normgen.cli.train import add_train_args, config_from_args
from normgen.cli.usage import UsageError
from normgen.config import TrainConfig
from normgen.data import load_dataset
from normgen.engine.sweep import SWEEP_MODES, choose_mode, sweep
from normgen.engine.train import Progress, TrainResult, default_device, train
from normgen.regularizers import LAMBDAS, RegConfig
from normgen.render.grids import grid_image
from normgen.zoo.build import Runner, eta


def _values(text: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--values must be comma-separated numbers, got {text!r}") from None
    if not 1 <= len(vals) <= 64:
        raise ValueError(f"--values needs 1 to 64 numbers, got {len(vals)}")
    return vals


def save_value(out: Path, lam: str, cfg: TrainConfig, res: TrainResult) -> dict:
    """Write one value's checkpoint and sample grid into `out`; its summary row of sweep.json."""
    stem = f"{lam}_{getattr(cfg.reg, lam):g}"
    path = save(out / f"{stem}.safetensors", res.model, cfg,
                extra={"dataset": cfg.dataset, "steps": res.steps, "status": res.status,
                       "device": res.device, "wall_s": round(res.elapsed, 2),
                       "final": res.history[-1] if res.history else {}})
    nrow = res.model.grid_columns(res.samples.shape[0], cfg.model.num_classes)
    grid_image(res.samples, nrow=nrow, scale=4).save(out / f"{stem}.png")
    return {"lambda": getattr(cfg.reg, lam), "file": path.name, "status": res.status,
            "message": res.message, "final": res.history[-1] if res.history else {}}


def train_value(job: dict) -> dict:
    """One value of a sweep as a Ray task: train its config with the one training loop, save its files
    into the (shared) output folder, return its summary row."""
    cfg = TrainConfig.from_dict(job["config"])
    data = load_dataset(cfg.dataset, root=job["data_root"], seed=cfg.seed)
    res = train(cfg, data=data, device=job["device"])
    return save_value(Path(job["out"]), job["lam"], cfg, res)


def _finished(out: Path, lam: str, cfg: TrainConfig, rows: dict[float, dict]) -> bool:
    """A value a previous run finished: its summary is in sweep.json and its file holds this config."""
    row = rows.get(getattr(cfg.reg, lam))
    try:
        return row is not None and TrainConfig.from_dict(read_meta(out / row["file"])["config"]) == cfg
    except (CheckpointError, OSError, KeyError, TypeError, ValueError):
        return False


def _sweep_ray(a: argparse.Namespace, runner: Runner, lam: str, cfgs: list[TrainConfig], out: Path) -> list[dict]:
    """Each value one Ray task, resumable: values finished before are skipped, and sweep.json is rewritten
    after every finished value. Returns the summaries of the values that are done, in --values order."""
    old = out / "sweep.json"
    rows = {r["lambda"]: r for r in (json.loads(old.read_text()) if old.is_file() else [])}
    todo = [c for c in cfgs if not _finished(out, lam, c, rows)]
    print(f"{len(cfgs) - len(todo)} values done, {len(todo)} to train", flush=True)
    data_root = a.data_root and os.path.abspath(a.data_root)  # the tasks' working folder is not this one
    jobs = {f"{lam}={getattr(c.reg, lam):g}": {"config": c.to_dict(), "lam": lam, "out": str(out.absolute()),
                                                "data_root": data_root} for c in todo}
    start, failed, done = time.perf_counter(), {}, [0]

    def summaries() -> list[dict]:
        return [rows[getattr(c.reg, lam)] for c in cfgs if getattr(c.reg, lam) in rows]

    def finish(key: str, row: dict | None, error: BaseException | None) -> None:
        done[0] += 1
        took = time.perf_counter() - start
        progress = f"({took:.0f} s elapsed, {eta(done[0], len(jobs), took)})"
        if row is not None and not (out / row["file"]).is_file():
            row, error = None, FileNotFoundError(f"{out / row['file']} was written by a worker but is not visible "
                                                 "here: the output folder must be shared by every node")
        if row is None:
            failed[key] = f"{type(error).__name__}: {error}"
            print(f"[{done[0]}/{len(jobs)}] FAILED {key}: {failed[key]}  {progress}", flush=True)
            return
        rows[row["lambda"]] = row
        old.write_text(json.dumps(summaries(), indent=1))
        print(f"[{done[0]}/{len(jobs)}] {key}: {row['message']}  {progress}", flush=True)

    runner(jobs, finish)
    for key, msg in failed.items():
        print(f"FAILED {key}: {msg}")
    return summaries()


def cmd_sweep(a: argparse.Namespace) -> int:
    if a.lam not in LAMBDAS:
        raise UsageError(f"--lambda must be one of {', '.join(LAMBDAS)}, got {a.lam!r}")
    check_engine_args(a)
    base = config_from_args(a)
    cfgs = [replace(base, reg=RegConfig(**{**base.reg.to_dict(), a.lam: v})) for v in _values(a.values)]
    out = Path(a.out)
    if a.engine == "ray":
        if a.mode != "auto":
            raise UsageError("--mode is for --engine local; with --engine ray each value is its own task")
        runner = ray_runner(a, train_value)
        out.mkdir(parents=True, exist_ok=True)
        print(f"sweeping {a.lam} over {len(cfgs)} values for {base.model.name} on {base.dataset}, "
              f"{base.steps} steps each, one Ray task per value", flush=True)
        try:
            summaries = _sweep_ray(a, runner, a.lam, cfgs, out)
        finally:
            runner.close()
        (out / "sweep.json").write_text(json.dumps(summaries, indent=1))
        print(f"{len(summaries)} of {len(cfgs)} values in {out} (checkpoints, grids, sweep.json)")
        ok = len(summaries) == len(cfgs) and all(r["status"] != "diverged" for r in summaries)
        return 0 if ok else 1
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
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for cfg, res in zip(cfgs, results, strict=True):
        summaries.append(save_value(out, a.lam, cfg, res))
        print(f"  {a.lam}_{getattr(cfg.reg, a.lam):g}: {res.message}")
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
    add_engine_args(p, "lambda value")
    p.set_defaults(handler=cmd_sweep, out="runs/sweep")
