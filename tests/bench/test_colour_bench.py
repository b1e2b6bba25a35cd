"""Bench section 7 (normgen.bench.colour) on toy sizes: the colour block's recipe is what the zoo trains (width 16,
batch 64), the trainer and each variant are reported in steps/s with their ratio to the conventional loop at the
same width (the loop itself x1.00), and the channels_last loop really holds its tensors in that format. Speed
itself is never asserted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from normgen.bench import colour as C
from normgen.data import load_dataset
from normgen.zoo.spec import colour_block

DATA = Path(os.environ.get("NORMGEN_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
HAVE_CIFAR = (DATA / "CIFAR10" / "train").is_dir() or (DATA / "cifar-10-batches-py").is_dir()
needs_cifar = pytest.mark.skipif(not HAVE_CIFAR, reason=f"CIFAR-10 not found in {DATA} (set NORMGEN_DATA)")


def test_the_recipe_is_the_zoo_colour_baseline():
    cfg = C.colour_config(30)
    want = colour_block("cifar10")[0].config(30)
    assert cfg == want and cfg.model.ch == want.model.ch and cfg.batch_size == 64
    assert C.colour_config(30, ch=32).model.ch == 32


@needs_cifar
def test_each_variant_is_a_ratio_to_the_conventional_loop():
    data = load_dataset("cifar10", root=DATA, train=True, download=False)
    logs: list[str] = []
    res = C.bench_colour(data, DATA, torch.device("cpu"), steps=2, repeats=1, log=logs.append, compile_=False)
    assert res["ch"] == colour_block("cifar10")[0].config(1).model.ch and res["batch"] == 64
    assert res["conventional"]["vs_conventional"] == 1.0
    for k in ("normgen", "channels_last"):
        assert res[k]["steps_per_s"] > 0 and res[k]["vs_conventional"] > 0
    assert any("conventional + channels_last" in line for line in logs)
    loop = C._ChannelsLast(C.colour_config(2), C.conventional_loader("cifar10", DATA, 64, workers=0),
                           torch.device("cpu"))
    x, _ = loop._next()
    assert x.is_contiguous(memory_format=torch.channels_last)
    w = next(p for p in loop.model.generator.parameters() if p.dim() == 4)
    assert w.is_contiguous(memory_format=torch.channels_last)
