"""Building the zoo: train every missing grid entry (normgen.zoo.spec), score it, index it.

    python -m normgen zoo build --data-root ../shared/data --out checkpoints --device cuda \
        --workers 12 --priority 1
    python -m normgen zoo verify [--root checkpoints]
    python -m normgen zoo card   [--root checkpoints]
    python -m normgen zoo merge FOLDER [--root checkpoints]   # bring home a zoo built elsewhere
    python -m normgen zoo build --engine ray [--address auto]  # one Ray task per entry (normgen.zoo.ray_engine)

Resumable: an entry is skipped when the index lists it, its file's sha256 matches and its recipe
(full TrainConfig + evaluation settings) is unchanged; the index is rewritten atomically after every
finished entry, so an interruption loses at most the entries in flight. Judges missing from
`ROOT/judges/` are trained first, and the real-vs-real floor of each dataset is computed once
(normgen.zoo.judges).

Per entry: train with normgen.engine.train.train (the one training loop); save the sampling parts
(GAN/cGAN generator, VAE decoder + encoder) and the discriminator wherever a number on screen is about it
(seed-0 baselines, which the app fine-tunes from; a penalty on the discriminator; small training sets,
whose discriminator gap is shown) in bfloat16 unless --float32 or the spec says
float32 (the colour block); reload the saved file, measure its weight
statistics and score it with the judge (what the app shows is what was measured and scored: the file a
user downloads); record how much the cast changed 64 fixed samples (`half_max_diff`, in [-1, 1] pixel
units). Parts not stored keep their statistics from training in `trained_weights` (normgen.zoo.restat,
which measures a shipped file the same way).
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing as mp
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import torch

from normgen.checkpoints import load, save, sha256
from normgen.engine.sampling import sample
from normgen.engine.train import train
from normgen.eval.generalization import generalization
from normgen.eval.metrics import part_totals, sigma_max
from normgen.eval.quality import evaluate
from normgen.eval.translation import translation_scores
from normgen.models import build_model, family
from normgen.regularizers import LAMBDAS
from normgen.zoo.index import TRAINED_KEY, Entry, ZooIndex, load_index, write_index
from normgen.zoo.judges import (
    EVAL_N,
    EVAL_SEED,
    JUDGE_STEPS,
    cached_split,
    ensure_judges_and_floors,
    judge_reference,
    judge_sha,
)
from normgen.zoo.pretrain import pretrained_run
from normgen.zoo.spec import DATASETS, ZooSpec, spec

TRANSLATION_N = 2_000  # held-out A images a translator is scored on (and as many other B images)


# an engine gets the jobs (entry id -> job dict for build_entry) and reports each row or error to `finish`
Finish = Callable[[str, "dict | None", "BaseException | None"], None]
Runner = Callable[[dict[str, dict], Finish], None]


# config fields added after the zoo's first entries: at these defaults they leave a recipe hash as it was,
# so adding a setting does not make every shipped entry stale
LATER_FIELDS = ((("train_size",), 0), (("data_seed",), 0), (("model", "dropout"), 0.0), (("loss",), "ns"),
                (("lipschitz",), "none"), (("clip",), 0.01), (("gp",), 10.0), (("reg", "layers"), "all"),
                (("model", "lambda_cyc"), 10.0), (("model", "lambda_id"), 0.0), (("model", "cycle_norm"), "l1"),
                (("model", "domains"), "thin-bold"),  # the colour (issue 15) and the cycle GAN's (issue 16) controls
                (("n_critic",), 1),  # WGAN-GP's critic steps (issue 24)
                (("ema",), 0.0), (("ema_start",), 500),  # the generator's moving average (issue 24)
                # a penalty registered later (regularizers.PENALTIES): its λ at 0 leaves every recipe as it was
                *((("reg", name), 0.0) for name in LAMBDAS if name not in ("l1", "l2", "group", "act")))


def recipe_hash(cfg_dict: dict, eval_n: int, half: bool, judge_sha: str) -> str:
    """A short hash of everything that decides an entry's file and metrics (config, evaluation
    size, storage precision and the judge file)."""
    cfg_dict = json.loads(json.dumps(cfg_dict))  # a deep copy
    for path, default in LATER_FIELDS:
        *outer, key = path
        d = cfg_dict
        for k in outer:
            d = d.get(k, {})
        if d.get(key, default) == default:
            d.pop(key, None)
    blob = json.dumps({"config": cfg_dict, "eval_n": eval_n, "half": half, "judge": judge_sha}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def stored_parts(s: ZooSpec) -> list[str]:
    """What an entry's file stores: the family's sampling parts, and every part where a number on screen
    is about the others: a seed-0 baseline (the app fine-tunes from it, a GAN's discriminator too), a
    penalty on a part sampling does not need (its weight statistics), a small training set (the
    discriminator's train / held-out gap). Sampling parts come first."""
    f = family(s.model)
    parts = list(f.sampler_parts)
    others = [p for p in f.part_names if p not in parts]
    if (s.is_baseline and s.seed == 0) or s.train_size or s.target not in (f.sampler_part, *f.sampler_parts):
        parts += others
    return parts


def projected_bytes(s: ZooSpec, half: bool = True) -> int:
    """Size of the entry's file: stored tensors' bytes plus ~2 KB of header."""
    return _file_bytes(s.config(1).model, tuple(stored_parts(s)), half and not s.float32)


@functools.lru_cache(maxsize=256)
def _file_bytes(model_cfg, parts: tuple[str, ...], half: bool) -> int:
    model = build_model(model_cfg)
    n = 0
    for part in parts:
        for v in model.parts[part].state_dict().values():
            n += v.numel() * (2 if half and v.is_floating_point() else v.element_size())  # bfloat16: 2 bytes
    return n + 2048


# ----------------------------------------------------------------------------------------------
# one entry (in a worker)


def _init_worker(threads: int) -> None:
    torch.set_num_threads(max(1, threads))


def build_entry(job: dict) -> dict:
    """Train, save, score one entry; returns its index row (a plain dict). Runs in a worker."""
    s = ZooSpec(**job["spec"])
    root, device, half = Path(job["root"]), job["device"], job["half"] and not s.float32
    cfg = s.config(job["steps"])
    train_ds = cached_split(s.dataset, True, job["data_root"], device)
    res = pretrained_run(job.get("pretrained"), s.id, cfg) or train(cfg, data=train_ds, device=device)
    model = res.model
    sigmas = sigma_max(model.parts["discriminator"]) if "discriminator" in model.parts else None
    parts = stored_parts(s)
    path = root / s.file
    extra = {"dataset": s.dataset, "steps": res.steps, "status": res.status, "device": res.device,
             "wall_s": round(res.elapsed, 2), "zoo_id": s.id}
    save(path, model, cfg, parts=parts, half=half, extra=extra)
    loaded = load(path).model.to(device)
    weights = part_totals(loaded.parts, parts)  # of the file: bfloat16 values, as a user loads them
    trained = part_totals(model.parts, [p for p in model.parts if p not in parts])
    ref_samples = sample(model, 64, 0)
    half_diff = float((sample(loaded, 64, 0) - ref_samples).abs().max())
    judge, ref = judge_reference(root, s.dataset, job["data_root"], device)
    test_ds = cached_split(s.dataset, False, job["data_root"], device)
    seen = cfg.training_images(train_ds)  # the images it trained on: all of them, or its subset
    if family(s.model).translates:  # scored against the domain pair's ground truth (normgen.eval.translation)
        metrics = translation_scores(loaded, test_ds, judge, n=min(job["eval_n"], TRANSLATION_N), seed=EVAL_SEED)
    else:
        metrics = evaluate(loaded, judge, test_ds, n=job["eval_n"], seed=EVAL_SEED, ref=ref,
                           train=seen if family(s.model).has_elbo else None)
    if cfg.train_size:  # small data: does it fit its training images better than unseen ones, copy them?
        metrics.update(generalization(loaded, seen, test_ds, n=job["eval_n"], seed=EVAL_SEED,
                                      data_seed=cfg.data_seed, critic=model))
    row = {k: v for k, v in s.to_dict().items() if k not in ("priority", "tag")}
    row.update(steps=res.steps, device=res.device, wall_s=round(res.elapsed, 2), sha256=sha256(path),
               parts=parts, metrics=metrics, weights=weights, status=res.status, message=res.message,
               recipe=recipe_hash(cfg.to_dict(), job["eval_n"], half, judge_sha(root, s.dataset)),
               priority=s.priority, tag=s.tag,
               half_max_diff=half_diff, bytes=path.stat().st_size)
    if trained:
        row[TRAINED_KEY] = trained
    if sigmas is not None:  # D's per-layer largest singular value (what spectral norm holds at 1)
        row["sigma_max"] = {k: round(v, 4) for k, v in sigmas.items()}
    return row


# ----------------------------------------------------------------------------------------------
# planning and building


def plan(index: ZooIndex, entries: list[ZooSpec], *, steps: int | None, eval_n: int,
         half: bool) -> list[tuple[ZooSpec, str]]:
    """(spec, state) for each entry: 'ok' (indexed, sha, recipe and stored parts match), 'stale' (recipe
    or file differ, or the file lacks a part that a number on screen is about) or 'new'."""
    out = []
    for s in entries:
        e = index.get(s.id)
        if e is None:
            out.append((s, "new"))
            continue
        path = index.root / e.file
        want = recipe_hash(s.config(steps).to_dict(), eval_n, half and not s.float32,
                           judge_sha(index.root, s.dataset))
        fresh = (path.is_file() and sha256(path) == e.sha256 and _recipe(index, s.id) == want
                 and set(stored_parts(s)) <= set(e.parts))
        out.append((s, "ok" if fresh else "stale"))
    return out


def _recipe(index: ZooIndex, entry_id: str) -> str | None:
    e = index.get(entry_id)
    return e.extra.get("recipe") if e else None


@dataclass
class BuildResult:
    index: ZooIndex
    trained: list[str] = field(default_factory=list)  # ids trained in this run
    failed: dict[str, str] = field(default_factory=dict)  # id -> error message
    pruned: list[str] = field(default_factory=list)  # ids removed by --prune


def build(root: Path, *, data_root: str | None, device: str, workers: int = 1, priority: int = 1,
          steps: int | None = None, only: str | None = None, datasets: tuple[str, ...] = DATASETS,
          eval_n: int = EVAL_N, half: bool = True, judge_steps: int = JUDGE_STEPS, dry_run: bool = False,
          prune: bool = False, runner: Runner | None = None, pretrained: str | None = None,
          log: Callable[[str], None] = print) -> BuildResult:
    """Train every missing or stale entry of the grid up to `priority` (see module docstring).

    A failing entry is logged and skipped (the others go on); `prune` removes index entries of these
    datasets that the grid no longer lists, with their files. `runner` trains the jobs (default:
    local_runner(workers); normgen.zoo.ray_engine.RayRunner(build_entry, ...) runs them as Ray tasks).
    `pretrained`: a folder of runs kept by `pretrain_entry`; an entry found there is scored, not retrained.
    """
    index = load_index(root)
    index.root = root
    out = BuildResult(index)
    grid_ids = {s.id for s in spec(datasets)}
    orphans = [e for e in index.entries if e.dataset in datasets and e.id not in grid_ids]
    if orphans:
        verb = "pruning" if prune and not dry_run else ("would prune" if prune else "not in the grid (--prune)")
        log(f"{len(orphans)} indexed entries {verb}: " + ", ".join(e.id for e in orphans[:5])
            + (" ..." if len(orphans) > 5 else ""))
        if prune and not dry_run:
            for e in orphans:
                (root / e.file).unlink(missing_ok=True)
            index.entries = [e for e in index.entries if e not in orphans]
            out.pruned = [e.id for e in orphans]
            write_index(index, root)
    pattern = re.compile(only) if only else None
    chosen = [s for s in spec(datasets)
              if s.priority <= priority and (pattern is None or pattern.search(f"{s.tag} {s.id}"))]
    states = plan(index, chosen, steps=steps, eval_n=eval_n, half=half)
    todo = [s for s, st in states if st != "ok"]
    total = sum(projected_bytes(s, half) for s in chosen)
    log(f"{len(chosen)} entries up to priority {priority}: {len(chosen) - len(todo)} done, {len(todo)} to train; "
        f"projected size {total / 2**20:.1f} MiB")
    if dry_run:
        for s, st in states:
            log(f"  p{s.priority} {st:<5} {s.tag:<9} {projected_bytes(s, half) / 2**20:5.2f} MiB  {s.id}")
        cum = 0
        for p in sorted({s.priority for s in chosen}):
            group = [s for s in chosen if s.priority == p]
            cum += sum(projected_bytes(s, half) for s in group)
            log(f"priority {p}: {len(group)} entries; priorities <= {p}: {cum / 2**20:.1f} MiB")
        return out
    if not todo:
        return out
    ensure_judges_and_floors(index, sorted({s.dataset for s in todo}, key=datasets.index), data_root=data_root,
                             device=device, eval_n=eval_n, judge_steps=judge_steps, log=log)
    write_index(index, root)
    jobs = {s.id: {"spec": {k: v for k, v in s.to_dict().items() if k not in ("id", "file")}, "root": str(root),
                   "data_root": data_root, "device": device, "steps": steps, "eval_n": eval_n, "half": half,
                   "pretrained": pretrained}
            for s in todo}
    start = time.perf_counter()

    def finish(entry_id: str, row: dict | None, error: BaseException | None = None) -> None:
        n = len(out.trained) + len(out.failed) + 1
        if row is not None and not (root / row["file"]).is_file():
            row, error = None, FileNotFoundError(
                f"{root / row['file']} was written by a worker but is not visible here: the output folder must "
                "be shared by every node, at the same path")
        progress = f"({time.perf_counter() - start:.0f} s elapsed, {eta(n, len(jobs), time.perf_counter() - start)})"
        if row is None:
            out.failed[entry_id] = f"{type(error).__name__}: {error}"
            log(f"[{n}/{len(jobs)}] FAILED {entry_id}: {out.failed[entry_id]}  {progress}")
            return
        out.trained.append(entry_id)
        _put(index, row)
        write_index(index, root)
        m = row["metrics"]
        scores = (f"translation L1 {m['translation_l1']:.3f}, same digit {m['class_agreement']:.0f}%"
                  if "translation_l1" in m else
                  f"confident {m['confident_pct']:.0f}%, entropy {m['class_entropy']:.2f}")
        log(f"[{n}/{len(jobs)}] {row['id']}: {row['status']}, {row['wall_s']:.0f} s train, fd {m['fd']:.2f}, "
            f"{scores}  {progress}")

    (runner or local_runner(workers))(jobs, finish)
    return out


def eta(done: int, total: int, elapsed: float) -> str:
    """'ETA 3 min' from the wall-clock rate of the jobs finished so far (they may run in parallel)."""
    if done >= total:
        return "ETA 0 s"
    if done <= 0:
        return "ETA ?"
    left = elapsed / done * (total - done)
    return f"ETA {left / 60:.0f} min" if left >= 120 else f"ETA {left:.0f} s"


def local_runner(workers: int = 1) -> Runner:
    """Today's engine: the jobs one after another in this process, or in a pool of `workers` spawned
    processes on this machine; each job's row (or its error) goes to `finish` as it completes."""

    def run(jobs: dict[str, dict], finish: Finish) -> None:
        if workers <= 1:
            for entry_id, job in jobs.items():
                try:
                    row = build_entry(job)
                except Exception as exc:  # one bad entry must not stop the build
                    finish(entry_id, None, exc)
                else:
                    finish(entry_id, row, None)
            return
        threads = max(1, (os.cpu_count() or 1) // workers)
        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                   initargs=(threads,))
        try:
            pending = {pool.submit(build_entry, job): entry_id for entry_id, job in jobs.items()}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    entry_id = pending.pop(fut)
                    try:
                        row = fut.result()
                    except Exception as exc:
                        finish(entry_id, None, exc)
                    else:
                        finish(entry_id, row, None)
        finally:  # on Ctrl-C: drop queued entries; the index already holds every finished one
            pool.shutdown(wait=True, cancel_futures=True)

    return run


def _put(index: ZooIndex, row: dict) -> None:
    """Add or replace an entry (extra keys such as recipe and status go to Entry.extra)."""
    index.entries = [e for e in index.entries if e.id != row["id"]] + [Entry.from_dict(row)]
