"""Measuring instruments of the benchmark (normgen.bench.run): judge FD, FLOPs, matmul peak, latency."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from normgen.checkpoints import load, save
from normgen.config import make_config
from normgen.data import Dataset, load_dataset
from normgen.engine.sampling import sample
from normgen.engine.train import train
from normgen.eval.judge import load_judge_file, save_judge, train_judge
from normgen.eval.metrics import flat_weights, model_weight_stats
from normgen.eval.quality import feature_stats, frechet_distance, generate_many, real_reference
from normgen.models import ModelConfig, family
from normgen.render.grids import grid_image
from normgen.zoo.files import load_judge
from normgen.zoo.index import load_index

# Judge FD (1,000 samples vs the 10,000 real MNIST test images, the zoo's judge) at which samples are
# "a picture". Calibrated by eye on grids of the default models while training on the CPU
# (real train vs real test scores ~2; untrained ~1,600):
# VAE: FD 500 (600 steps) -> about a third of the cells are blobs; FD 325 (1,300 steps) -> nearly all
#   cells are recognizable (blurry) digits. Threshold 350.
# GAN: its sharp, speckled strokes score differently: FD 260-300 (600-1,800 steps of the default
#   recipe) -> mostly unreadable ink; FD 185 (3,000 steps) -> about half the cells are readable digits.
#   Threshold 120, below that (provisional: check it with `bench --grids DIR`, which saves the grid of
#   every evaluation named by its FD).
FD_THRESHOLDS = {"gan": 120.0, "vae": 350.0}
FD_SAMPLES = 1000
EXPLORED = ModelConfig().name  # the family the explore latency is timed on: the default one


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def summarize(values: list[float], name: str) -> dict[str, float]:
    """{name: median, name_min: min, name_max: max}."""
    return {name: statistics.median(values), f"{name}_min": min(values), f"{name}_max": max(values)}


class Judging:
    """The judge (zoo's if shipped, else trained once with the zoo's settings and cached) and the
    real-test reference Gaussian; `fd(model)` scores FD_SAMPLES samples drawn with seed 0."""

    def __init__(self, judge, ref) -> None:
        self.judge, self.ref = judge, ref

    @classmethod
    def for_mnist(cls, root: Path, device: torch.device, log: Callable[[str], None]) -> Judging:
        test = load_dataset("mnist", root=root, train=False, device=device, download=False)
        judge = load_judge("mnist")
        if judge is not None:
            log("  judge: the zoo's (checkpoints/judges/mnist.safetensors)")
        else:
            cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "normgen" / "bench"
            path = cache / "judge_mnist.safetensors"
            if path.is_file():
                judge = load_judge_file(path)
                log(f"  judge: cached {path}")
            else:
                log(f"  judge: none shipped; training one with the zoo's settings (cached in {path}) ...")
                train = load_dataset("mnist", root=root, device=device, download=False)
                res = train_judge(train, test, device=device)
                save_judge(path, res)
                judge = res.judge
                log(f"  judge: test accuracy {res.test_acc:.2f}% after {res.seconds:.0f} s")
        judge = judge.to(device).eval()
        return cls(judge, real_reference(judge, test))

    def fd(self, model) -> float:
        x, _ = generate_many(model, FD_SAMPLES, seed=0)
        mu, cov = feature_stats(self.judge.features(x))
        return frechet_distance(mu, cov, self.ref.mu, self.ref.cov)


def matmul_peak(device: torch.device, n: int | None = None, repeats: int = 5) -> float:
    """Median FLOP/s of an n x n float32 matrix product: the practical peak of this device."""
    n = n or (8192 if device.type == "cuda" else 1024)
    g = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(n, n, device=device, generator=g)
    b = torch.randn(n, n, device=device, generator=g)
    inner = 20 if device.type == "cuda" else 3
    a @ b  # warm-up
    times = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(inner):
            a @ b
        sync(device)
        times.append((time.perf_counter() - t0) / inner)
    return 2 * n**3 / statistics.median(times)


def step_flops(trainer, step_fn) -> float:
    """FLOPs of one training step (forward + backward of every network involved), by FlopCounterMode."""
    with FlopCounterMode(display=False) as counter:
        step_fn(trainer)
    return float(counter.get_total_flops())


class ExploreTimer:
    """What the app's explore tab does for one checkpoint: load it, draw a 64-sample grid with a
    fixed seed, and compute its weight statistics and histogram data."""

    def __init__(self, tmp: Path, data: Dataset) -> None:
        self.tmp, self.data = tmp, data

    def _checkpoint(self, log: Callable[[str], None]) -> Path:
        try:
            index = load_index()
            entries = [e for e in index.entries if e.model == EXPLORED] or list(index.entries)
            if entries:
                path = index.root / entries[0].file
                if path.is_file():
                    log(f"  checkpoint: zoo entry {path}")
                    return path
        except Exception:  # no zoo yet (or a different layout): train a small one instead
            pass
        cfg = make_config(EXPLORED, self.data.name, steps=20)
        res = train(cfg, data=self.data, device="cpu")
        log(f"  checkpoint: a 20-step default {family(EXPLORED).label} trained here on {self.data.name} "
            "(no zoo index found)")
        return save(self.tmp / f"{EXPLORED}.safetensors", res.model, cfg)

    def run(self, repeats: int, log: Callable[[str], None]) -> dict:
        path = self._checkpoint(log)

        def grid_and_stats(model) -> None:
            grid_image(sample(model, 64, seed=0), nrow=8, scale=4)
            model_weight_stats(model.parts)
            for part in model.parts.values():
                torch.histogram(flat_weights(part), bins=60)

        cold, warm, cpu = [], [], []
        for _ in range(repeats + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            ck = load(path)
            grid_and_stats(ck.model)
            cold.append(1e3 * (time.perf_counter() - t0))
            cpu.append(1e3 * (time.process_time() - c0))
            t0 = time.perf_counter()
            grid_and_stats(ck.model)
            warm.append(1e3 * (time.perf_counter() - t0))
        cold, warm, cpu = cold[1:], warm[1:], cpu[1:]  # the first one pays imports
        out = {**summarize(cold, "from_file_ms"), **summarize(warm, "loaded_model_ms"),
               **summarize(cpu, "from_file_cpu_ms")}
        log(f"  load + 64-sample grid + weight stats + histograms: {out['from_file_ms']:.1f} ms "
            f"(min {out['from_file_ms_min']:.1f}, max {out['from_file_ms_max']:.1f}; CPU time "
            f"{out['from_file_cpu_ms']:.1f} ms); with the model already loaded: {out['loaded_model_ms']:.1f} ms")
        return out
