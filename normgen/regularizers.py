"""Weight penalties and the two update-rule variants, as small pure functions.

Which weights: the conv / linear / embedding weights of the targeted sub-networks only (never
biases or normalization scales). With spectral norm the penalty acts on the raw weight
(`parametrizations.weight.original`), since the normalized weight has a fixed spectral norm.

Units, so that one lambda control spans "no effect" to "breaks" for every variant:
- loss form: `lambda * sum(...)` is added to the per-sample mean data loss (per-pixel for the VAE);
- proximal L1: the prox of `lambda * |w|` in Adam's own metric: after each Adam step, the
  soft-threshold `lr * lambda / (sqrt(v_hat + lambda^2) + eps)` per weight. `v_hat + lambda^2` is the
  second moment Adam would have seen had `lambda * sign(w)` been part of the gradient (as in the loss
  form), so both forms share one lambda scale and a weight moves at most ~lr per step; a plain
  `lr * lambda` threshold would need lambda ~1000x larger to do anything, and `lr * lambda / sqrt(v_hat)`
  is unbounded where the data gradient vanishes (measured: 99.7% dead filters at lambda 1e-2);
- decoupled weight decay (AdamW, Loshchilov & Hutter 2019): `w <- w - lr * (DECAY_SCALE * lambda) * w`.
  AdamW's decay bypasses Adam's 1 / sqrt(v_hat) scaling; DECAY_SCALE = 1e3 makes the two forms shrink
  a weight equally fast where sqrt(v_hat) = 2e-3. Measured in the zoo (MNIST GAN): decoupled decay
  breaks the generator at a 10x smaller lambda than loss-form L2 (1e-2 vs 1e-1), so it is the stronger.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, make_dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from normgen.models.registry import TARGETS

LAMBDA_MAX = 10.0
DECAY_SCALE = 1e3
PENALIZED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def check_lambda(name: str, value: float) -> float:
    """A lambda must be a finite number in [0, LAMBDA_MAX]."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, {LAMBDA_MAX:g}], got {value!r}") from None
    if not math.isfinite(value) or not 0.0 <= value <= LAMBDA_MAX:
        raise ValueError(f"{name} must be a finite number in [0, {LAMBDA_MAX:g}], got {value!r}")
    return value


def resolve_target(target: str, part_names: Iterable[str]) -> list[str]:
    """Map a target name onto a model's parts; 'both' means all of them."""
    names = list(part_names)
    if target == "both":
        return names
    if target not in names:
        raise ValueError(f"target {target!r} does not exist for this model; choose one of: "
                         f"{', '.join(names + ['both'])}")
    return [target]


# which of a part's penalized layers (in definition order) a penalty acts on
LAYER_SCOPES: dict[str, Callable[[list], list]] = {"all": lambda ls: ls, "first": lambda ls: ls[:1],
                                                    "last": lambda ls: ls[-1:]}


def penalized_weights(module: nn.Module, layers: str = "all") -> Iterator[tuple[str, torch.Tensor]]:
    """(name, weight) for every conv / linear / embedding weight in `module` (raw under spectral norm), in
    the order the module defines them; `layers` keeps all of them, or only the first or the last."""
    yield from LAYER_SCOPES[layers](list(_all_penalized(module)))


def _all_penalized(module: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    for name, m in module.named_modules():
        if isinstance(m, PENALIZED):
            if parametrize.is_parametrized(m, "weight"):
                yield name, m.parametrizations.weight.original
            else:
                yield name, m.weight


def filter_norms(w: torch.Tensor, kind: type[nn.Module] | None = None, lead: int = 0) -> torch.Tensor:
    """L2 norm of each output filter: rows of Conv2d/Linear weights, columns (dim 1) of ConvTranspose2d.

    `lead` leading dims are kept (1 for K stacked models: (K, out, ...) -> (K, filters))."""
    if kind is nn.ConvTranspose2d:
        w = w.transpose(lead, lead + 1)
    return w.flatten(lead + 1).norm(dim=lead + 1)


def _total(t: torch.Tensor, lead: int) -> torch.Tensor:
    """Sum over all but the first `lead` dims: a scalar for one model, (K,) for K stacked ones."""
    return t.flatten(lead).sum(-1)


def l1_penalty(weights: Iterable[torch.Tensor], lead: int = 0) -> torch.Tensor:
    """sum_i |w_i|  (Tibshirani 1996, the lasso); per stacked model with `lead=1`."""
    return sum((_total(w.abs(), lead) for w in weights), torch.zeros(()))


def l2_penalty(weights: Iterable[torch.Tensor], lead: int = 0) -> torch.Tensor:
    """sum_i w_i^2  (ridge / Tikhonov; gradient 2 w); per stacked model with `lead=1`."""
    return sum((_total(w.pow(2), lead) for w in weights), torch.zeros(()))


def group_lasso_penalty(groups: Iterable[tuple[torch.Tensor, type[nn.Module]]], lead: int = 0) -> torch.Tensor:
    """sum_f ||W_f||_2 over output filters f  (Yuan & Lin 2006; whole filters go to zero); per stacked
    model with `lead=1`."""
    return sum((_total(filter_norms(w, kind, lead), lead) for w, kind in groups), torch.zeros(()))


def elastic_net_penalty(weights: list[torch.Tensor], l1: float, l2: float) -> torch.Tensor:
    """l1 * sum |w| + l2 * sum w^2  (Zou & Hastie 2005)."""
    return l1 * l1_penalty(weights) + l2 * l2_penalty(weights)


def ink_l1(images: torch.Tensor) -> torch.Tensor:
    """mean_pixels (x + 1) / 2 over the last three dims: the mean ink of images in [-1, 1], per batch
    (an activation L1 on the generator's output; Rifai et al. 2011 penalise activations the same way).
    Works on (B, C, H, W) -> scalar and on K stacked models (K, B, C, H, W) -> (K,)."""
    return ((images + 1) / 2).flatten(-4).mean(-1)


def latent_l1(mu: torch.Tensor, pixels: int) -> torch.Tensor:
    """mean_batch sum_j |mu_j| / pixels: an L1 on the encoder's latent means, per pixel like the VAE loss.
    (B, nz) -> scalar; (K, B, nz) -> (K,)."""
    return mu.abs().sum(-1).mean(-1) / pixels


Layer = tuple[torch.Tensor, type[nn.Module]]  # a penalized weight and the type of its layer


@dataclass(frozen=True)
class PenaltyInfo:
    """One penalty: its lambda's name (a RegConfig field), how it reads on screen, what it acts on."""

    name: str  # the RegConfig field, CLI flag (--NAME) and index key
    label: str  # on screen
    formula: str  # what is added to the loss, in the app's notation
    acts_on: str  # "weights" (of the targeted parts) | "activations" (of the model's outputs)
    paper: str
    fn: Callable[..., torch.Tensor]  # the pure function (weights, or images / latents, -> scalar)
    on_layers: Callable[[list[Layer], int], torch.Tensor] | None = None  # weight penalties: fn over
    # (weight, layer type) pairs with `lead` stacked-model dims, as `loss_terms` calls it


PENALTIES: dict[str, PenaltyInfo] = {p.name: p for p in (
    PenaltyInfo("l1", "L1", "λ·Σ|w|", "weights", "Tibshirani 1996 (the lasso)", l1_penalty,
                lambda layers, lead: l1_penalty((w for w, _ in layers), lead)),
    PenaltyInfo("l2", "L2", "λ·Σw²", "weights", "Hoerl & Kennard 1970 (ridge)", l2_penalty,
                lambda layers, lead: l2_penalty((w for w, _ in layers), lead)),
    PenaltyInfo("group", "group lasso", "λ·Σ_f ‖W_f‖₂", "weights", "Yuan & Lin 2006", group_lasso_penalty,
                group_lasso_penalty),
    PenaltyInfo("act", "activation L1", "λ·mean ink of G(z) (GAN) / λ·Σ|μ| (VAE)", "activations",
                "Rifai et al. 2011", ink_l1),
)}
LAMBDAS: tuple[str, ...] = tuple(PENALTIES)  # every lambda a RegConfig holds, in this order


def lambda_fields(kw_only: bool = False) -> list[tuple[str, type, Any]]:
    """One float field per registered penalty (its λ, default 0), for `dataclasses.make_dataclass`: RegConfig,
    the zoo's ZooSpec and its index's Entry hold their λ values this way, so a penalty added to PENALTIES
    reaches the config, the CLI and the zoo without another edit (issue 26)."""
    return [(name, float, field(default=0.0, kw_only=kw_only)) for name in PENALTIES]


class _RegConfig:
    """A regularizer: one λ per registered penalty (PENALTIES: l1 = λ·Σ|w|, l2 = λ·Σw², group = group lasso over
    output filters, act = activation L1), the part it acts on (`target`: a part of the model, or "both";
    TrainConfig checks it against the family), the update rule (`variant`: loss | proximal | decoupled) and
    which penalized layers of each targeted part (`layers`: all | first | last; one CIFAR-10 source penalizes
    only the generator's first layer, `trainable_variables[0]`, with L1 1e-4)."""

    def __post_init__(self) -> None:
        for name in LAMBDAS:
            object.__setattr__(self, name, check_lambda(name, getattr(self, name)))
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {self.variant!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}; got {self.target!r}")
        if self.layers not in LAYER_SCOPES:
            raise ValueError(f"layers must be one of {', '.join(LAYER_SCOPES)}; got {self.layers!r}")

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in LAMBDAS)

    def to_dict(self) -> dict:
        return asdict(self)


RegConfig = make_dataclass(
    "RegConfig", [*lambda_fields(), ("target", str, "generator"), ("variant", str, "loss"), ("layers", str, "all")],
    bases=(_RegConfig,), frozen=True, namespace={"__module__": __name__, "__doc__": _RegConfig.__doc__})


@dataclass(frozen=True)
class VariantInfo:
    name: str
    label: str  # short, in captions and sentences
    choice: str  # the option's text in a dropdown
    description: str
    replaces: str | None = None  # the penalty this update rule applies after the step instead of in the loss


VARIANTS_INFO: dict[str, VariantInfo] = {v.name: v for v in (
    VariantInfo("loss", "in the loss", "penalty added to the loss", "every penalty is a term of the loss"),
    VariantInfo("proximal", "proximal step", "proximal L1 (soft-threshold: exact zeros)",
                "L1 as a soft-threshold after each Adam step (exact zeros)", replaces="l1"),
    VariantInfo("decoupled", "decoupled decay", "decoupled weight decay (AdamW-style L2)",
                "L2 as AdamW-style weight decay after each step", replaces="l2"),
)}
VARIANTS: tuple[str, ...] = tuple(VARIANTS_INFO)


def variant_label(name: str) -> str:
    """An update rule's short label on screen (the raw name of one this normgen does not know)."""
    return VARIANTS_INFO[name].label if name in VARIANTS_INFO else name


Lambdas = dict[str, float | torch.Tensor]  # the nonzero lambdas by name: floats, or (K,) for K stacked models


def nonzero_lambdas(reg: RegConfig) -> dict[str, float]:
    """The lambdas of `reg` that are switched on, by name (what `loss_terms` / `after_step_` take)."""
    return {name: getattr(reg, name) for name in LAMBDAS if getattr(reg, name)}


def _lead_view(lam: float | torch.Tensor, w: torch.Tensor, lead: int) -> float | torch.Tensor:
    """A per-model lambda (K,) as (K, 1, ..., 1), broadcastable against a stacked weight (K, ...)."""
    return lam.view(*lam.shape, *([1] * (w.dim() - lead))) if lead else lam


def loss_terms(layers: list[tuple[torch.Tensor, type[nn.Module]]], lam: Lambdas, variant: str,
               lead: int = 0) -> dict[str, torch.Tensor]:
    """The weight penalties that belong in the loss, by name, each times its lambda. The variant moves
    one out of the loss (proximal: L1; decoupled: L2; `after_step_` applies it instead). One model's
    weights give scalars; K models stacked along `lead=1` leading dim, with (K,) lambdas, give (K,)."""
    if not layers:
        return {}
    dev = layers[0][0].device
    moved = VARIANTS_INFO[variant].replaces
    return {name: value * PENALTIES[name].on_layers(layers, lead).to(dev) for name, value in lam.items()
            if PENALTIES[name].on_layers is not None and name != moved}


@torch.no_grad()
def after_step_(opt: torch.optim.Optimizer, weights: list[torch.Tensor], lam: Lambdas, variant: str,
                lead: int = 0) -> None:
    """In place, after `opt.step()`: decoupled weight decay (L2) and / or the proximal L1 step on
    `weights` (stacked along `lead` leading dims, with (K,) lambdas, for a batched sweep)."""
    if not weights:
        return
    if variant == "decoupled" and "l2" in lam:
        decay = 1.0 - opt.param_groups[0]["lr"] * DECAY_SCALE * lam["l2"]
        if lead:
            for w in weights:
                w.mul_(_lead_view(decay, w, lead))
        else:
            torch._foreach_mul_(weights, decay)
    if variant == "proximal" and "l1" in lam:
        for w in weights:
            soft_threshold_(w, adam_threshold(opt, w, _lead_view(lam["l1"], w, lead)))


class Penalty:
    """The penalties of one RegConfig bound to one sub-network's weights.

    `loss_terms()` gives the differentiable terms added to the loss; `after_step(opt)` applies the
    update-rule variants once the optimizer has stepped. Both delegate to the module functions
    `loss_terms` / `after_step_`, which the batched sweep (normgen.engine.sweep) calls on stacked weights.
    """

    def __init__(self, reg: RegConfig, module: nn.Module | None) -> None:
        self.reg = reg
        self.lam = nonzero_lambdas(reg)
        self.layers: list[tuple[str, torch.Tensor, type[nn.Module]]] = []
        if module is not None:
            kinds = {n: type(m) for n, m in module.named_modules()}
            self.layers = [(n, w, kinds[n]) for n, w in penalized_weights(module, reg.layers)]

    @property
    def weights(self) -> list[torch.Tensor]:
        return [w for _, w, _ in self.layers]

    def loss_terms(self) -> dict[str, torch.Tensor]:
        """Named penalty values (already multiplied by their lambda) that belong in the loss."""
        return loss_terms([(w, k) for _, w, k in self.layers], self.lam, self.reg.variant)

    def after_step(self, opt: torch.optim.Optimizer) -> None:
        """Proximal L1 and / or decoupled weight decay, applied after `opt.step()`."""
        after_step_(opt, self.weights, self.lam, self.reg.variant)


def soft_threshold_(w: torch.Tensor, thr: torch.Tensor | float) -> torch.Tensor:
    """In place: w <- sign(w) * max(|w| - thr, 0), the prox of thr * |w|; gives exact zeros."""
    return w.copy_(torch.sign(w) * torch.clamp(w.abs() - thr, min=0.0))


def adam_threshold(opt: torch.optim.Optimizer, w: torch.Tensor, lam: float) -> torch.Tensor | float:
    """lr * lam / (sqrt(v_hat + lam^2) + eps): the L1 prox threshold in Adam's diagonal metric,
    with lam^2 added to v_hat as if lam * sign(w) were part of the gradient (see module docstring)."""
    group = next(g for g in opt.param_groups if any(p is w for p in g["params"]))
    lr, eps = group["lr"], group["eps"]
    state = opt.state.get(w, {})
    if "exp_avg_sq" not in state:  # before the first step: no second moment yet (v_hat = 0)
        return lr * lam / (lam + eps)
    step = float(state["step"])
    beta2 = group["betas"][1]
    v_hat = state["exp_avg_sq"] / (1 - beta2**step)
    return lr * lam / ((v_hat + lam * lam).sqrt() + eps)
