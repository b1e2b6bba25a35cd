"""Steps per second of the colour DCGAN on CIFAR-10-shaped data at several widths (one thread each run).

    python scripts/dcgan_widths.py --widths 16,32,64 --steps 30
"""

from __future__ import annotations

import argparse
import time

import torch

from normgen.config import make_config
from normgen.data import Dataset
from normgen.engine.train import make_trainer, step_for
from normgen.models import build_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--widths", default="16,32,64")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--loss", default="ns")
    p.add_argument("--lipschitz", default="none")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    data = Dataset("cifar10", torch.rand(2048, 3, 32, 32, generator=g) * 2 - 1, torch.arange(2048) % 10)
    for ch in (int(w) for w in a.widths.split(",")):
        cfg = make_config("dcgan", "cifar10", model_overrides={"ch": ch}, steps=a.steps, loss=a.loss,
                          lipschitz=a.lipschitz)
        model = build_model(cfg.model)
        params = {n: sum(w.numel() for w in m.parameters()) for n, m in model.parts.items()}
        t = make_trainer(cfg, data, torch.device("cpu"))
        step = step_for("dcgan")
        for _ in range(3):  # warm-up
            step(t)
        start = time.perf_counter()
        for _ in range(a.steps):
            step(t)
        dt = time.perf_counter() - start
        print(f"ch {ch:3d}: G {params['generator'] / 1e6:.2f}M D {params['discriminator'] / 1e6:.2f}M params, "
              f"{a.steps / dt:.2f} steps/s (batch {cfg.batch_size}, {a.loss}/{a.lipschitz}, {a.threads} thread)",
              flush=True)


if __name__ == "__main__":
    main()
