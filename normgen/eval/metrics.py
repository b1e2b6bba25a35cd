"""Weight statistics: norms, sparsity and dead filters, per layer and per sub-network.

All statistics read the penalized weights (conv / linear / embedding; raw weights under spectral
norm) in float32: of a loaded checkpoint, the stored values (the zoo index records these, so a download
reproduces them: normgen.zoo.restat).
"""

from __future__ import annotations

import torch
from torch import nn

from normgen.regularizers import filter_norms, penalized_weights

NEAR_ZERO = 1e-3  # |w| below this counts as "near zero"
DEAD_FILTER = 1e-3  # an output filter whose L2 norm is below this counts as removed


@torch.no_grad()
def layer_stats(w: torch.Tensor, kind: type[nn.Module] | None = None) -> dict[str, float]:
    """Norms and sparsity of one weight tensor."""
    w = w.detach().float()
    a = w.abs()
    fn = filter_norms(w, kind)
    return {
        "n": w.numel(),
        "l1": a.sum().item(),
        "l2": w.pow(2).sum().sqrt().item(),  # Frobenius norm (the penalty uses its square)
        "near_zero_pct": 100.0 * (a < NEAR_ZERO).double().mean().item(),
        "zero_pct": 100.0 * (w == 0).double().mean().item(),
        "dead_filter_pct": 100.0 * (fn < DEAD_FILTER).double().mean().item(),
        "filters": fn.numel(),
    }


@torch.no_grad()
def module_stats(module: nn.Module) -> dict[str, dict[str, float]]:
    """layer name -> layer_stats, for every penalized weight of `module`."""
    kinds = {n: type(m) for n, m in module.named_modules()}
    return {name: layer_stats(w, kinds[name]) for name, w in penalized_weights(module)}


def summarize(layers: dict[str, dict[str, float]]) -> dict[str, float]:
    """Totals over layers: weight-weighted percentages, summed L1, root-sum-square L2."""
    n = sum(s["n"] for s in layers.values()) or 1
    filters = sum(s["filters"] for s in layers.values()) or 1
    return {
        "n": n,
        "l1": sum(s["l1"] for s in layers.values()),
        "l2": sum(s["l2"] ** 2 for s in layers.values()) ** 0.5,
        "near_zero_pct": sum(s["near_zero_pct"] * s["n"] for s in layers.values()) / n,
        "zero_pct": sum(s["zero_pct"] * s["n"] for s in layers.values()) / n,
        "dead_filter_pct": sum(s["dead_filter_pct"] * s["filters"] for s in layers.values()) / filters,
    }


def model_weight_stats(parts: dict[str, nn.Module]) -> dict[str, dict]:
    """part -> {"total": summary, "layers": per-layer stats}."""
    out = {}
    for name, module in parts.items():
        layers = module_stats(module)
        out[name] = {"total": summarize(layers), "layers": layers}
    return out


def part_totals(parts: dict[str, nn.Module], names: list[str]) -> dict[str, dict[str, float]]:
    """part -> its totals (`summarize`), for the parts `names` of `parts` (what a zoo index row stores)."""
    return {p: s["total"] for p, s in model_weight_stats({p: parts[p] for p in names}).items()}


def flat_weight_stats(parts: dict[str, nn.Module]) -> dict[str, float]:
    """Per part, "part/stat" -> value: L1, L2, % near-zero, % zero, % dead filters of its totals (one
    row of a training history; what the Train screen and the bench read while a run goes on)."""
    return {f"{part}/{k}": v for part, s in model_weight_stats(parts).items()
            for k, v in s["total"].items() if k != "n"}


def flat_weights(module: nn.Module) -> torch.Tensor:
    """All penalized weights of `module` as one float32 vector (for histograms)."""
    ws = [w.detach().float().flatten() for _, w in penalized_weights(module)]
    return torch.cat(ws) if ws else torch.zeros(0)


@torch.no_grad()
def sigma_max(module: nn.Module) -> dict[str, float]:
    """Each conv / linear layer's largest singular value: the operator 2-norm of its weight reshaped to
    (out, in * k * k), the quantity spectral normalization holds at 1 (Miyato et al. 2018, sec. 2.1).
    Under spectral norm `layer.weight` is the normalized weight, so this reads the constraint in force."""
    out = {}
    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = m.weight.detach().float()
            out[name] = float(torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2))
    return out
