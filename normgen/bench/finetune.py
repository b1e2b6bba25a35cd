"""Bench section 6: how soon fine-tuning a new λ from the zoo's baseline shows its effect.

This is the Train screen's default path (`normgen.service.train_plan.plan_run(start="finetune")`): copy the
shipped unregularized MNIST GAN and train it on with the new λ through `normgen.engine.train.train`, with
the app's logging and 64-sample grids. "Its effect shows" is defined from the zoo itself: the
statistic Explore prints for that regularizer (L1 -> share of near-zero generator weights, L2 ->
generator weight L2 norm) has covered half of the distance from the baseline's value to the value
of the zoo entry trained from scratch with that λ (6,000 steps on MNIST). Both ends are read from
`checkpoints/index.json`, so the goal is what the learner sees on the Explore screen.
"""

from __future__ import annotations

import copy
import statistics
from collections.abc import Callable
from dataclasses import replace

import torch

from normgen.data import Dataset
from normgen.engine.train import Progress, train
from normgen.models import family
from normgen.regularizers import RegConfig
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index

# (name, l1, l2, statistic, direction): the points fine-tuned; statistics as in the index's "weights"
POINTS = (("L1 1e-3", 1e-3, 0.0, "near_zero_pct", +1), ("L2 1e-1", 0.0, 1e-1, "l2", -1))
MODEL = "gan"  # the family fine-tuned: the zoo's MNIST GAN baseline
PART = family(MODEL).sampler_part  # the part the new lambda targets (its default target)


def _gan_entry(index, l1: float, l2: float):
    """The zoo's seed-0 full-data MNIST GAN entry with loss-form (l1, l2) on the generator, or None."""
    return next(iter(index.find(model=MODEL, dataset="mnist", g_norm="none", target=PART, variant="loss",
                                l1=l1, l2=l2, group=0.0, act=0.0, seed=0, train_size=0, dropout=0.0)),
                None)


def _goal(index, l1: float, l2: float, stat: str, base) -> tuple[float, float, str] | None:
    """(baseline value, goal value, target entry id), or None when the zoo lacks the entry."""
    target = _gan_entry(index, l1, l2)
    if target is None or stat not in target.weights.get(PART, {}):
        return None
    b, t = base.weights[PART][stat], target.weights[PART][stat]
    return b, b + 0.5 * (t - b), target.id


def _time_to_goal(cfg, init, data: Dataset, device: torch.device, key: str, sign: int,
                  want: float) -> tuple[float, int]:
    """Fine-tune a copy of `init` until record[key] passes `want` (checked at every log record, as
    the Train screen sees it); returns (training seconds, step), (inf, -1) if the time cap came first."""
    crossed: list[tuple[float, int]] = []

    def progress(p: Progress) -> None:
        v = p.record.get(key)
        if not crossed and v is not None and sign * (v - want) >= 0:
            crossed.append((p.elapsed, p.step))

    train(cfg, data=data, device=device, init=copy.deepcopy(init), progress=progress,
          should_stop=lambda: bool(crossed))
    return crossed[0] if crossed else (float("inf"), -1)


def bench_finetune(data: Dataset, device: torch.device, cap_s: float, repeats: int,
                   log: Callable[[str], None]) -> dict:
    """Seconds of fine-tuning until each point's statistic passes its goal (median, min, max)."""
    try:
        index = load_index()
    except (OSError, ValueError) as exc:
        log(f"  skipped: no zoo index ({exc})")
        return {"skipped": str(exc)}
    base = _gan_entry(index, 0.0, 0.0)
    if base is None or not set(family(MODEL).part_names) <= set(base.parts):  # fine-tuning needs every part
        log("  skipped: the zoo has no MNIST GAN baseline with its discriminator")
        return {"skipped": "no baseline"}
    ck = load_entry(base, index.root)
    out: dict = {"baseline": base.id}
    for name, l1, l2, stat, sign in POINTS:
        goal = _goal(index, l1, l2, stat, base)
        if goal is None:
            log(f"  {name}: skipped (no zoo entry trained with it)")
            continue
        start, want, target_id = goal
        times: list[float] = []
        steps: list[int] = []
        for r in range(repeats):
            cfg = replace(ck.config, reg=RegConfig(l1=l1, l2=l2, target=PART), steps=100_000,
                          max_seconds=cap_s, seed=r, n_samples=64)
            t, step = _time_to_goal(cfg, ck.model, data, device, f"{PART}/{stat}", sign, want)
            times.append(t)
            steps.append(step)
        finite = [t for t in times if t != float("inf")]
        row = {"stat": stat, "baseline_value": start, "goal": want, "zoo_entry": target_id,
               "seconds": statistics.median(times), "seconds_min": min(times), "seconds_max": max(times),
               "steps": steps, "reached": len(finite), "repeats": repeats}
        out[name] = row
        shown = (f"{row['seconds']:.1f} s (min {row['seconds_min']:.1f}, max {row['seconds_max']:.1f}; "
                 f"steps {steps})" if finite else f"not within {cap_s:g} s")
        log(f"  {name}: generator {stat} {start:.3g} -> goal {want:.3g} (half way to {target_id}): {shown}")
    return out
