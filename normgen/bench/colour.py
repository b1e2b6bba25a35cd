"""Bench section 7: the colour trainer (issue 24) against a conventional loop at the same width, and what
channels_last, the thread count and torch.compile do to it on this machine.

The colour block's recipe (normgen.zoo.spec.colour_block: the colour DCGAN at width 16, batch 64, Adam at G 1e-4
/ D 4e-4, dropout 0.3 in D, the average of G's weights) is trained by `normgen.engine.train.train` and by
`normgen.bench.baseline.ConventionalLoop`
(pytorch/examples dcgan/main.py's loop on the same model and optimizers, DataLoader with num_workers=0, the
loop's best setting on 2 cores), in the same process, interleaved repeat by repeat; every figure is a ratio of
steps/s measured side by side (median and min-max over repeats). The variants change one thing at a time:

- `threads=1`: the normgen trainer with torch.set_num_threads(1) (default: this process's thread count);
- `channels_last`: the conventional loop with the model and every batch in channels_last memory format;
- `torch.compile`: the conventional loop with the generator and discriminator compiled (Inductor, CPU);
  the compile time is reported apart and not counted in its steps/s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import torch

from normgen.bench.baseline import ConventionalLoop, conventional_loader
from normgen.bench.parts import summarize, sync
from normgen.data import Dataset
from normgen.engine.train import train
from normgen.zoo.spec import colour_block


def colour_config(steps: int, ch: int | None = None):
    """The colour block's baseline recipe (seed 0) for `steps` steps, at width `ch` (default: the zoo's)."""
    cfg = colour_block("cifar10")[0].config(steps)
    return cfg if ch is None else replace(cfg, model=replace(cfg.model, ch=ch))


class _ChannelsLast(ConventionalLoop):
    """The conventional loop with the model and each batch in channels_last memory format."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        for p in self.model.parts.values():
            p.to(memory_format=torch.channels_last)

    def _next(self):
        x, y = super()._next()
        return x.contiguous(memory_format=torch.channels_last), y


def _compiled(cfg, loader, device) -> tuple[ConventionalLoop | None, float, str]:
    """The conventional loop with G and D compiled in place, after its first steps (the compile); (None, s, why)
    where compiling fails on this machine."""
    loop = ConventionalLoop(cfg, loader, device)
    t0 = time.perf_counter()
    try:
        loop.model.generator.compile()
        loop.model.discriminator.compile()
        for _ in range(3):  # the first calls compile (forward and backward); a recompile can follow
            loop.step()
    except Exception as exc:  # noqa: BLE001 -- a missing compiler or an unsupported op: reported, not fatal
        return None, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    return loop, time.perf_counter() - t0, ""


def _loop_rate(loop: ConventionalLoop, steps: int, device: torch.device) -> float:
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        loop.step()
    sync(device)
    return steps / (time.perf_counter() - t0)


def _train_rate(cfg, data: Dataset, device: torch.device, threads: int) -> float:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        res = train(cfg, data=data, device=device)
    finally:
        torch.set_num_threads(before)
    return res.steps / res.elapsed


def bench_colour(data: Dataset, root, device: torch.device, steps: int, repeats: int,
                 log: Callable[[str], None], compile_: bool = True) -> dict:
    """steps/s of the colour trainer and of the conventional loop and its variants; ratios to the loop."""
    cfg = colour_config(steps)
    threads = torch.get_num_threads()
    loader = conventional_loader("cifar10", root, cfg.batch_size, workers=0)
    loops: dict[str, ConventionalLoop] = {"conventional": ConventionalLoop(cfg, loader, device),
                                          "channels_last": _ChannelsLast(cfg, loader, device)}
    out: dict = {"ch": cfg.model.ch, "batch": cfg.batch_size, "threads": threads, "steps": steps,
                 "repeats": repeats}
    if compile_:
        loop, secs, why = _compiled(cfg, loader, device)
        out["compile_s"] = round(secs, 1)
        if loop is None:
            out["compile_error"] = why
            log(f"  torch.compile failed after {secs:.0f} s: {why}")
        else:
            loops["compiled"] = loop
    for loop in loops.values():
        for _ in range(2):  # warm-up: allocator, thread pools
            loop.step()
    train(colour_config(2), data=data, device=device)
    rates: dict[str, list[float]] = {k: [] for k in ("normgen", *(["normgen_1thread"] if threads > 1 else []),
                                                     *loops)}
    for r in range(repeats):
        order = list(rates) if r % 2 == 0 else list(rates)[::-1]
        for k in order:
            if k == "normgen":
                rates[k].append(_train_rate(cfg, data, device, threads))
            elif k == "normgen_1thread":
                rates[k].append(_train_rate(cfg, data, device, 1))
            else:
                rates[k].append(_loop_rate(loops[k], steps, device))
    base = rates["conventional"]
    for k, v in rates.items():
        out[k] = {"steps_per_s": statistics.median(v),
                  **summarize([a / b for a, b in zip(v, base, strict=True)], "vs_conventional")}
    words = {"normgen": f"normgen trainer ({threads} threads)", "normgen_1thread": "normgen trainer, 1 thread",
             "conventional": "conventional loop (num_workers=0)", "channels_last": "conventional + channels_last",
             "compiled": "conventional + torch.compile"}
    for k, v in out.items():
        if isinstance(v, dict) and "steps_per_s" in v:
            log(f"  {words[k]:36s} {v['steps_per_s']:6.2f} steps/s   x{v['vs_conventional']:.2f} of the loop "
                f"(min {v['vs_conventional_min']:.2f}, max {v['vs_conventional_max']:.2f})")
    if "compiled" in loops:
        log(f"  (torch.compile's first steps took {out['compile_s']:.0f} s, not counted above)")
    return out
