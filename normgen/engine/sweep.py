"""Lambda sweeps: K runs that differ only in their lambdas, trained together or one after another.

`sweep(cfgs)` returns one `TrainResult` per config, each holding an ordinary `GenerativeModel`
(save it with `normgen.checkpoints.save`, show it in the app). Two ways to get there:

- **batched**: the K models' weights are stacked along a new leading dim (`torch.func.stack_module_state`)
  and every forward is `vmap(functional_call(...))` over that dim, so each layer runs as one grouped
  kernel for all K models. The K models share the data batch, the noise and the initial weights (all
  drawn from the one seed, exactly as K separate runs of that seed would draw them), so model k is the
  step-for-step twin of `train(cfgs[k])` up to float rounding. Losses are (K,) vectors and their sum
  is back-propagated: the models are independent, so d(sum_j L_j)/d(theta_k) = dL_k/d(theta_k).
  Adam is `torch.optim.Adam` on the stacked tensors: Adam is elementwise, so one Adam over (K, ...)
  tensors is exactly K Adams. Per-model lambdas are (K,) vectors broadcast over the stacked weights.
- **sequential**: `train(cfg)` for each config in turn.

`mode="auto"` picks batched on CUDA (many small kernels -> K-times wider kernels for the same launch
count) and sequential on the CPU, where vmap measured 1.2-1.4x slower than K sequential runs on 2
cores (a 2-core CPU is already busy with one model; wider kernels only add gather/reshape work).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from normgen import losses
from normgen.config import TrainConfig
from normgen.data import Dataset, load_dataset
from normgen.engine.sampling import sample as fixed_samples
from normgen.engine.train import (
    Progress,
    TrainResult,
    default_device,
    init_model,
    optimizer_plan,
    train,
    use_fast_cuda_math,
)
from normgen.eval.metrics import flat_weight_stats
from normgen.models import GenerativeModel, family
from normgen.regularizers import (
    LAMBDAS,
    after_step_,
    ink_l1,
    latent_l1,
    loss_terms,
    penalized_weights,
    resolve_target,
)

SWEEP_MODES = ("auto", "batched", "sequential")
BATCHED_OBJECTIVES = ("gan", "vae")  # the objectives BatchedTrainer has a vmapped step for

SweepProgress = Callable[[int, Progress], None]  # (index of the config, its progress)


def check_sweep(cfgs: list[TrainConfig]) -> None:
    """The configs of one sweep must be equal except for their lambdas (l1, l2, group, act)."""
    if not cfgs:
        raise ValueError("a sweep needs at least one config")
    zero = {k: 0.0 for k in LAMBDAS}
    base = replace(cfgs[0], reg=replace(cfgs[0].reg, **zero))
    for i, c in enumerate(cfgs):
        if replace(c, reg=replace(c.reg, **zero)) != base:
            raise ValueError(f"sweep config {i} differs from config 0 in more than its lambdas; a sweep "
                             f"may vary only {', '.join(LAMBDAS)}")


def choose_mode(mode: str, device: torch.device, cfg: TrainConfig) -> str:
    """`auto` -> batched on CUDA, sequential elsewhere; batched needs a model without spectral norm or dropout."""
    if mode not in SWEEP_MODES:
        raise ValueError(f"sweep mode must be one of {', '.join(SWEEP_MODES)}; got {mode!r}")
    if mode == "auto":
        return "batched" if device.type == "cuda" and batchable(cfg) else "sequential"
    if mode == "batched":
        check_batched_objective(cfg)
    if mode == "batched" and not batchable(cfg):
        raise ValueError("batched sweeps support neither d_norm='spectral' (its power iteration writes "
                         "buffers in place) nor dropout (per-model masks), which vmap cannot batch, nor a loss, "
                         "Lipschitz constraint or layer scope other than the defaults; use mode='sequential'")
    return mode


def check_batched_objective(cfg: TrainConfig) -> None:
    """The batched trainer has vmapped gan and vae steps only: any other objective is refused, one line."""
    fam = family(cfg.model.name)
    if fam.objective not in BATCHED_OBJECTIVES:
        raise ValueError(f"batched sweeps train the {' and '.join(BATCHED_OBJECTIVES)} objectives only; the "
                         f"{fam.label}'s {fam.objective!r} objective trains with mode='sequential'")


def batchable(cfg: TrainConfig) -> bool:
    """vmap cannot batch spectral norm's in-place power iteration, nor draw per-model dropout masks."""
    return (cfg.model.d_norm != "spectral" and not cfg.model.dropout
            and family(cfg.model.name).objective in BATCHED_OBJECTIVES
            and (cfg.loss, cfg.lipschitz, cfg.reg.layers) == ("ns", "none", "all"))


def sweep(
    cfgs: list[TrainConfig],
    *,
    data: Dataset | None = None,
    data_root: str | None = None,
    device: torch.device | str | None = None,
    mode: str = "auto",
    init: GenerativeModel | None = None,
    progress: SweepProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[TrainResult]:
    """Train every config of `cfgs` (equal but for their lambdas); one TrainResult per config."""
    check_sweep(cfgs)
    device = torch.device(device) if device is not None else default_device()
    cfg0 = cfgs[0]
    data = data if data is not None else load_dataset(cfg0.dataset, root=data_root, seed=cfg0.seed)
    if choose_mode(mode, device, cfg0) == "sequential":
        results = []
        for k, c in enumerate(cfgs):
            cb = None if progress is None else (lambda p, k=k: progress(k, p))
            results.append(train(c, data=data, device=device, init=init, progress=cb, should_stop=should_stop))
        return results
    return BatchedTrainer(cfgs, data, device, init).run(progress, should_stop)


class _Method(nn.Module):
    """Calls one method of a model, so `functional_call` can run `generate`, `encode`, ... too."""

    def __init__(self, model: GenerativeModel, method: str) -> None:
        super().__init__()
        self.model = model
        self.method = method

    def forward(self, *args):
        return getattr(self.model, self.method)(*args)


class BatchedTrainer:
    """K models stacked along dim 0, trained by vmapped steps that mirror `train.gan_step` / `vae_step`."""

    def __init__(self, cfgs: list[TrainConfig], data: Dataset, device: torch.device,
                 init: GenerativeModel | None = None) -> None:
        check_sweep(cfgs)
        check_batched_objective(cfgs[0])
        cfg = self.cfg = cfgs[0]
        self.cfgs, self.k, self.device = cfgs, len(cfgs), device
        use_fast_cuda_math(device)
        base = init_model(cfg, device, init)  # the same start as train.make_trainer
        self.models = [copy.deepcopy(base) for _ in cfgs]  # the K results (hold the last good weights)
        # "model." prefix: the keys as seen from a _Method wrapper
        params, buffers = stack_module_state([_Method(m, "generate") for m in self.models])
        self.params: dict[str, torch.Tensor] = params
        self.buffers: dict[str, torch.Tensor] = buffers
        skeleton = copy.deepcopy(base).to("meta")
        self.calls = {name: _Method(skeleton, name)
                      for name in ("generate", "encode", "decode_logits", "discriminate")
                      if hasattr(skeleton, name)}
        self.data = cfg.training_images(data).to(device)
        self.gen = torch.Generator(device=device).manual_seed(cfg.seed)
        self.lam = {n: torch.tensor([getattr(c.reg, n) for c in cfgs], device=device) for n in LAMBDAS}
        # the lambdas some model switches on, as (K,) vectors (the form regularizers' functions take)
        self.on = {n: v for n, v in self.lam.items() if any(getattr(c.reg, n) for c in cfgs)}
        targets = resolve_target(cfg.reg.target, base.parts)
        self.penalized = {part: self._penalized_keys(base, part) if part in targets else []
                          for part in base.parts}
        betas = (cfg.beta1, cfg.beta2)
        groups = {name: ([k for part in parts for k in self._keys(part)], lr)
                  for name, (parts, lr) in optimizer_plan(cfg).items()}
        self.opts = {name: torch.optim.Adam([self.params[k] for k in keys], lr=lr, betas=betas)
                     for name, (keys, lr) in groups.items()}
        self.opt_keys = {name: keys for name, (keys, _) in groups.items()}

    # ---- plumbing ------------------------------------------------------------------------------
    def _keys(self, part: str) -> list[str]:
        return [k for k in self.params if k.startswith(f"model.{part}.")]

    @staticmethod
    def _penalized_keys(model: GenerativeModel, part: str) -> list[tuple[str, type[nn.Module]]]:
        """Stacked-parameter keys of the penalized weights of `part`, with their layer type."""
        module = model.parts[part]
        names = {id(p): n for n, p in module.named_parameters()}
        kinds = {n: type(m) for n, m in module.named_modules()}
        return [(f"model.{part}.{names[id(w)]}", kinds[layer]) for layer, w in penalized_weights(module)]

    def call(self, method: str, *args: torch.Tensor | None, frozen: str = "") -> torch.Tensor:
        """`model.<method>(*args)` for all K models: args with a leading K dim are per model
        (the caller says so by passing them in a 1-tuple), the others are shared. The weights of
        part `frozen` get no gradient (as train.gan_step's `requires_grad_(False)`)."""
        dims = tuple(0 if isinstance(a, tuple) else None for a in args)
        flat = tuple(a[0] if isinstance(a, tuple) else a for a in args)
        fn = self.calls[method]
        params = self.params
        if frozen:
            params = {k: v.detach() if k.startswith(f"model.{frozen}.") else v for k, v in params.items()}

        def one(p, b, *xs):
            return functional_call(fn, (p, b), xs)

        return vmap(one, in_dims=(0, 0, *dims))(params, self.buffers, *flat)

    def penalty(self, part: str) -> dict[str, torch.Tensor]:
        """(K,) penalty vectors by name, already times each model's lambda: regularizers.loss_terms
        (what Penalty.loss_terms computes for one model) on the stacked weights."""
        layers = [(self.params[k], kind) for k, kind in self.penalized[part]]
        return loss_terms(layers, self.on, self.cfg.reg.variant, lead=1)

    def update(self, name: str, loss: torch.Tensor) -> None:
        """Backward the sum of the K losses, step the stacked Adam, then the update-rule variants."""
        opt = self.opts[name]
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        self._after_step(name)

    def _after_step(self, name: str) -> None:
        """regularizers.after_step_ (as Penalty.after_step) on the penalized weights this optimizer updates."""
        keys = {k for part in self.penalized.values() for k, _ in part}
        ws = [self.params[k] for k in self.opt_keys[name] if k in keys]
        after_step_(self.opts[name], ws, self.on, self.cfg.reg.variant, lead=1)

    # ---- the steps (same draws from the generator, in the same order, as train.py) -------------
    def gan_step(self) -> dict[str, torch.Tensor]:
        bs = self.cfg.batch_size
        real, y = self.data.batch(bs, self.gen)  # the labels reach only a conditional family's networks
        z = self.models[0].latent(bs, self.gen)
        fake = self.call("generate", z, y)  # (K, B, C, H, W)

        d_real = self.call("discriminate", real, y)  # (K, B)
        d_fake = self.call("discriminate", (fake.detach(),), y)
        d_loss = losses.d_loss(d_real, d_fake)
        d_terms = self.penalty("discriminator")
        self.update("discriminator", d_loss + sum(d_terms.values(), torch.zeros_like(d_loss)))

        d_fake = self.call("discriminate", (fake,), y, frozen="discriminator")
        g_loss = losses.g_loss(d_fake)
        g_terms = self.penalty("generator")
        g_total = g_loss + sum(g_terms.values(), torch.zeros_like(g_loss))
        act = self.lam["act"] * ink_l1(fake) if "act" in self.on else None
        self.update("generator", g_total + (act if act is not None else 0))

        out = {"d_loss": d_loss, "g_loss": g_loss,
               "d_real": torch.sigmoid(d_real).mean(1), "d_fake": torch.sigmoid(d_fake).mean(1)}
        out.update({f"pen_{n}_discriminator": v for n, v in d_terms.items()})
        out.update({f"pen_{n}_generator": v for n, v in g_terms.items()})
        if act is not None:
            out["act"] = act
        return {k: v.detach() for k, v in out.items()}

    def vae_step(self) -> dict[str, torch.Tensor]:
        cfg, bs, m0 = self.cfg, self.cfg.batch_size, self.models[0]
        x, _ = self.data.batch(bs, self.gen)
        pixels = x[0].numel()
        mu, logvar = self.call("encode", x)  # (K, B, nz) each
        eps = torch.randn(mu.shape[1:], generator=self.gen, device=self.gen.device)
        logits = self.call("decode_logits", (m0.reparameterize(mu, logvar, eps),))
        rec = losses.bernoulli_nll(logits, x)  # (K,)
        kl = losses.gaussian_kl(mu, logvar, pixels)
        total = rec + cfg.model.beta * kl
        out = {"rec": rec, "kl": kl, "loss": total.detach().clone()}
        for part in self.penalized:
            for n, v in self.penalty(part).items():
                total = total + v
                out[f"pen_{n}_{part}"] = v
        if "act" in self.on:
            act = self.lam["act"] * latent_l1(mu, pixels)
            total = total + act
            out["act"] = act
        self.update("vae", total)
        return {k: v.detach() for k, v in out.items()}

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, progress: SweepProgress | None = None,
            should_stop: Callable[[], bool] | None = None) -> list[TrainResult]:
        """Train all K models; a model that diverges keeps its last good weights, the others go on."""
        cfg = self.cfg
        step_fn = {"gan": self.gan_step, "vae": self.vae_step}[family(cfg.model.name).objective]
        histories: list[list[dict[str, float]]] = [[] for _ in self.cfgs]
        alive = [True] * self.k
        good_step = [0] * self.k
        status, messages = ["finished"] * self.k, [""] * self.k
        start = time.perf_counter()
        step = 0
        while step < cfg.steps and any(alive):
            if should_stop is not None and should_stop():
                status = ["stopped" if a else s for a, s in zip(alive, status, strict=True)]
                messages = [f"stopped at step {step}" if a else m for a, m in zip(alive, messages, strict=True)]
                break
            if cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds:
                messages = [f"time budget of {cfg.max_seconds:g} s reached at step {step}" if a else m
                            for a, m in zip(alive, messages, strict=True)]
                break
            out = step_fn()
            step += 1
            if step % cfg.log_every and step != cfg.steps:
                continue
            # one host sync per log interval for all K models
            names = list(out)
            table = torch.stack([out[n].float() for n in names], 1).cpu()  # (K, metrics)
            finite = self._finite_weights().cpu()
            elapsed = time.perf_counter() - start
            for k in range(self.k):
                if not alive[k]:
                    continue
                row = {n: float(table[k, i]) for i, n in enumerate(names) if _active(n, self.cfgs[k])}
                bad = [n for n, v in row.items() if not math.isfinite(v)]
                if bad or not finite[k]:
                    alive[k], status[k] = False, "diverged"
                    messages[k] = (f"diverged at step {step} ({', '.join(bad or ['weights'])} not finite); "
                                   f"kept the weights of step {good_step[k]}. Try a smaller learning rate "
                                   "or smaller lambda.")
                    continue
                self._copy_out(k)
                good_step[k] = step
                row.update(step=step, time=elapsed)
                row.update(flat_weight_stats(self.models[k].parts))
                histories[k].append(row)
                if progress is not None:
                    want = step % cfg.sample_every < cfg.log_every or step == cfg.steps
                    samples = fixed_samples(self.models[k], cfg.n_samples, cfg.seed) if want else None
                    progress(k, Progress(step, cfg.steps, elapsed, row, samples))
        if step % cfg.log_every and step != cfg.steps:  # stopped between log steps: keep what is finite
            finite = self._finite_weights().cpu()
            for k in range(self.k):
                if alive[k] and finite[k]:
                    self._copy_out(k)
                    good_step[k] = step
        elapsed = time.perf_counter() - start
        results = []
        for k, c in enumerate(self.cfgs):
            m = self.models[k].eval()
            msg = messages[k] or f"finished {good_step[k]} steps in {elapsed:.1f} s (batched sweep of {self.k})"
            results.append(TrainResult(m, c, status[k], good_step[k], elapsed, histories[k],
                                       fixed_samples(m, c.n_samples, c.seed), msg, str(self.device)))
        return results

    @torch.no_grad()
    def _finite_weights(self) -> torch.Tensor:
        """(K,) bool: every parameter of model k is finite."""
        ok = torch.ones(self.k, dtype=torch.bool, device=self.device)
        for p in self.params.values():
            ok &= torch.isfinite(p).flatten(1).all(1)
        return ok

    @torch.no_grad()
    def _copy_out(self, k: int) -> None:
        """Write model k's slice of the stacked weights and buffers into its own GenerativeModel."""
        m = self.models[k]
        for name, p in m.named_parameters():
            p.copy_(self.params[f"model.{name}"][k])
        for name, b in m.named_buffers():
            b.copy_(self.buffers[f"model.{name}"][k])


def _active(name: str, cfg: TrainConfig) -> bool:
    """Whether metric `name` exists in a sequential run of `cfg` (penalty terms only when lambda > 0)."""
    if name in LAMBDAS:  # an activation penalty's own row ("act")
        return bool(getattr(cfg.reg, name))
    if name.startswith("pen_"):
        return bool(getattr(cfg.reg, name.split("_")[1]))
    return True
