"""Training on a Hugging Face ZeroGPU Space (docs/deploy.md). Elsewhere: the plain trainer, untouched.

On a ZeroGPU Space a GPU is attached only while a function decorated with `spaces.GPU` runs, and the
`spaces` package (installed there by the platform; not a requirement of normgen) runs that function in a
worker process of its own. Two rules follow, both checked with a stand-in package in
tests/service/test_zerogpu.py:
- the function is decorated before the app launches: the package reports its GPU functions at start-up
  (`prepare`, called by the app's build);
- only picklable values cross to the worker and back: the run's live callbacks (progress, stop, λ changes)
  stay behind. A run there shows its result when it ends, and a Stop takes effect at its time budget.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from normgen.config import TrainConfig
from normgen.engine.train import TrainResult, train

ENV = "SPACES_ZERO_GPU"  # set by the platform on a ZeroGPU Space
MARGIN_S = 30  # the GPU is held for the run's time budget plus this (start-up, sampling, saving)
MAX_HOLD_S = 600


def zero_gpu() -> bool:
    """On a ZeroGPU Space: $SPACES_ZERO_GPU set and the `spaces` package importable."""
    if not os.environ.get(ENV):
        return False
    try:
        import spaces  # noqa: F401  (installed on Spaces only)
    except ImportError:
        return False
    return True


def gpu_seconds(cfg: TrainConfig, **_: Any) -> int:
    """How long a run holds the GPU: its time budget (at most MAX_HOLD_S) plus MARGIN_S. `spaces.GPU` calls
    it with the training function's own arguments."""
    return int(min(cfg.max_seconds or 120, MAX_HOLD_S)) + MARGIN_S


def train_on_gpu(cfg: TrainConfig, *, data: Any, device: str, init: Any = None) -> TrainResult:
    """One whole run in the GPU worker; the model and samples come back on the CPU (the GPU, and any
    tensor on it, is gone once the call returns)."""
    res = train(cfg, data=data, device=device, init=init)
    res.model = res.model.cpu()
    res.samples = res.samples.cpu() if res.samples is not None else None
    return res


@functools.cache
def gpu_train() -> Callable[..., TrainResult]:
    """`train_on_gpu` decorated with `spaces.GPU` (once per process: the package keys it by function)."""
    import spaces

    return spaces.GPU(duration=gpu_seconds)(train_on_gpu)


def prepare() -> None:
    """At start-up, before the app launches: register the GPU function on a ZeroGPU Space; elsewhere nothing."""
    if zero_gpu():
        gpu_train()


def training_function() -> Callable[..., TrainResult]:
    """What a run calls to train: `normgen.engine.train.train`, or on a ZeroGPU Space the decorated
    `train_on_gpu` with the same call signature, the callbacks left out (they cannot cross processes)."""
    if not zero_gpu():
        return train
    gpu = gpu_train()

    def on_gpu(cfg: TrainConfig, *, data: Any = None, device: str = "cuda", init: Any = None,
               **callbacks: Any) -> TrainResult:  # progress, should_stop, live: stay in this process
        return gpu(cfg, data=data, device=device, init=init)

    return on_gpu
