"""A tiny zoo for the UI tests: real checkpoint files and a real index, built in seconds.

Not a pytest conftest (pytest does not load this name automatically): the UI tests import
`build_tiny_zoo` from it. The checkpoints are small untrained models (ch=8) whose weights are then
soft-thresholded (the "L1" points) or scaled (the "L2" points), so sparsity and norms move with
lambda like a real sweep; the weight statistics in the index are computed from those weights with
normgen.metrics, and the judge metrics are synthetic numbers that are a known function of lambda
(the tests check the UI reports them, not that they are meaningful).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from normgen.checkpoints import save, sha256
from normgen.config import make_config
from normgen.metrics import model_weight_stats
from normgen.models import build_model
from normgen.regularizers import RegConfig, penalized_weights
from normgen.zoo import Entry, ZooIndex, write_index

L1S = (1e-5, 1e-4, 1e-3)
L2S = (1e-3, 1e-1)


def fake_fd(l1: float, l2: float, seed: int) -> float:
    """A made-up judge FD that grows with lambda, with a seed offset of 2."""
    return round(20.0 + 2.0 * seed + 1e4 * l1 + 50.0 * l2, 3)


def _entry_for(root: Path, model: str, dataset: str, l1: float, l2: float, seed: int, variant: str = "loss",
               g_norm: str = "none") -> Entry:
    target = "decoder" if model == "vae" else "generator"
    cfg = make_config(model, dataset, model_overrides={"ch": 8, "g_norm": g_norm},
                      reg=RegConfig(l1=l1, l2=l2, target=target, variant=variant), steps=10, seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = build_model(cfg.model)
    with torch.no_grad():
        for _, w in penalized_weights(m.parts[target]):
            if l1:
                thr = min(0.9, l1 * 300) * w.abs().max()
                w.copy_(torch.sign(w) * torch.clamp(w.abs() - thr, min=0.0))
            if l2:
                w.mul_(1.0 / (1.0 + 30.0 * l2))
    ident = f"{model}-{dataset}-{g_norm}-{target}-{variant}-l1={l1:g}-l2={l2:g}-s{seed}"
    rel = f"{model}/{dataset}/{ident}.safetensors"
    parts = list(m.sampler_parts)
    save(root / rel, m, cfg, parts=parts)
    stats = model_weight_stats(m.parts)
    k = cfg.model.num_classes
    hist = [10] * k if l1 < 1e-3 else [10 * k - (k - 1)] + [1] * (k - 1)
    p = [h / sum(hist) for h in hist]
    metrics = {"fd": fake_fd(l1, l2, seed), "confident_pct": 90.0 - 100 * l1,
               "class_hist": hist, "class_entropy": -sum(q * math.log(q) for q in p)}
    if model == "vae":
        metrics["rec_error"] = round(0.1 + 10 * l1 + l2, 4)
    return Entry(id=ident, file=rel, model=model, dataset=dataset, g_norm=g_norm, d_norm="none", target=target,
                 variant=variant, l1=l1, l2=l2, group=0.0, act=0.0, seed=seed, steps=10, device="cpu",
                 wall_s=0.1, sha256=sha256(root / rel), parts=parts, metrics=metrics,
                 weights={part: s["total"] for part, s in stats.items()})


def build_tiny_zoo(root: str | Path, models: tuple[str, ...] = ("gan", "vae"), dataset: str = "shapes",
                   seeds: tuple[int, ...] = (0, 1)) -> ZooIndex:
    """Baseline + L1 axis + L2 axis (+ one proximal L1 point for the GAN), two seeds at the baseline
    and at the middle L1 point, one seed elsewhere. Writes `root/index.json` and returns the index."""
    root = Path(root)
    entries = []
    for model in models:
        for seed in seeds:
            entries.append(_entry_for(root, model, dataset, 0.0, 0.0, seed))
            entries.append(_entry_for(root, model, dataset, L1S[1], 0.0, seed))
        for l1 in (L1S[0], L1S[2]):
            entries.append(_entry_for(root, model, dataset, l1, 0.0, seeds[0]))
        for l2 in L2S:
            entries.append(_entry_for(root, model, dataset, 0.0, l2, seeds[0]))
        if model == "gan":
            entries.append(_entry_for(root, model, dataset, L1S[1], 0.0, seeds[0], variant="proximal"))
    index = ZooIndex(root=root, entries=entries, floors={dataset: {"fd": 1.5}})
    write_index(index, root)
    return index
