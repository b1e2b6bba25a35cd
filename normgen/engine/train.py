"""Training: one step function per model family, and one loop that logs, samples, stops and
survives divergence.

The loop never syncs with the device inside a step: losses stay tensors, and every `log_every`
steps one host sync reads them, checks them for NaN/inf and snapshots the weights as "last good".
λ changes requested while it trains come in through normgen.engine.live_lambdas.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from normgen import losses
from normgen.config import TrainConfig
from normgen.data import Dataset, load_dataset
from normgen.engine.averaging import WeightAverage, recalibrate_batchnorm
from normgen.engine.live_lambdas import LiveLambdas
from normgen.engine.sampling import sample as fixed_samples
from normgen.eval.metrics import flat_weight_stats
from normgen.models import GenerativeModel, build_model, family
from normgen.regularizers import Penalty, RegConfig, ink_l1, latent_l1, resolve_target


@dataclass
class Progress:
    """What the loop reports to its `progress` callback."""

    step: int
    total: int
    elapsed: float
    record: dict[str, float]  # the latest metrics row
    samples: torch.Tensor | None = None  # fixed-noise samples (n, C, H, W) in [-1, 1], on the CPU
    model: GenerativeModel | None = None  # the model being trained (read it in the callback, between steps)


@dataclass
class TrainResult:
    model: GenerativeModel
    config: TrainConfig
    status: str  # finished | stopped | diverged
    steps: int  # optimizer steps completed (and kept)
    elapsed: float
    history: list[dict[str, float]] = field(default_factory=list)
    samples: torch.Tensor | None = None
    message: str = ""
    device: str = "cpu"


@dataclass
class Trainer:
    """Everything one step needs: model, optimizers (and the parts each updates), penalties per part,
    data and RNG."""

    model: GenerativeModel
    cfg: TrainConfig
    data: Dataset
    gen: torch.Generator
    opts: dict[str, torch.optim.Optimizer]
    penalties: dict[str, Penalty]
    opt_parts: dict[str, tuple[str, ...]]  # optimizer name -> the parts it updates (family.optimizers)

    def penalty(self, part: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = self.penalties[part].loss_terms()
        total = sum(terms.values(), torch.zeros((), device=self.data.images.device))
        return total, terms

    def update(self, name: str, loss: torch.Tensor) -> None:
        """Backward `loss`, step optimizer `name`, then the update-rule variants of each of its parts."""
        opt = self.opts[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for part in self.opt_parts[name]:
            self.penalties[part].after_step(opt)


def apply_reg(t: Trainer, reg: RegConfig) -> None:
    """Switch a trainer to new λ values between steps: the same weights and optimizer state, new
    penalties (the target parts stay)."""
    t.cfg = replace(t.cfg, reg=reg)
    targets = resolve_target(reg.target, t.model.parts)
    t.penalties = {p: Penalty(reg, m if p in targets else None) for p, m in t.model.parts.items()}


def critic_update(t: Trainer, real: torch.Tensor, fake: torch.Tensor,
                  y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict, torch.Tensor | None]:
    """One discriminator update on `real` and (detached) `fake`: its loss, kept Lipschitz by cfg.lipschitz.
    Returns (d_loss, D(real), D(fake), penalty terms, the gradient penalty or None)."""
    m = t.model
    objective = losses.gan_loss(t.cfg.loss)
    d_real = m.discriminate(real, y)
    d_fake = m.discriminate(fake, y)
    d_loss = objective.d(d_real, d_fake)
    d_pen, d_terms = t.penalty("discriminator")
    gp = None
    if t.cfg.lipschitz == "gp":
        eps = torch.rand(real.shape[0], generator=t.gen, device=t.gen.device).to(real.device)
        gp = t.cfg.gp * losses.gradient_penalty(lambda x: m.discriminate(x, y), real, fake, eps)
        d_pen = d_pen + gp
    t.update("discriminator", d_loss + d_pen)
    if t.cfg.lipschitz == "clip":
        losses.clip_weights_(m.discriminator, t.cfg.clip)
    return d_loss, d_real, d_fake, d_terms, gp


def gan_step(t: Trainer) -> dict[str, torch.Tensor]:
    """One non-saturating GAN step (Goodfellow et al. 2014): D half (cfg.n_critic updates), then G half."""
    m, bs = t.model, t.cfg.batch_size

    # 0) with n_critic > 1 (WGAN-GP, Gulrajani et al. 2017, Algorithm 1): the critic's first n_critic - 1
    #    updates, each on a fresh real batch and fresh fakes; the last one below shares its fakes with G's half
    for _ in range(t.cfg.n_critic - 1):
        real, y = t.data.batch(bs, t.gen)
        with torch.no_grad():
            fake = m.generate(m.latent(bs, t.gen), y)
        critic_update(t, real, fake, y)

    real, y = t.data.batch(bs, t.gen)  # the labels reach only a conditional family's networks
    z = m.latent(bs, t.gen)
    fake = m.generate(z, y)

    # 1) discriminator: maximise log D(x) + log(1 - D(G(z))); G's output is detached
    #    (or the Wasserstein critic's -mean D(x) + mean D(G(z)); cfg.loss), kept Lipschitz by cfg.lipschitz
    objective = losses.gan_loss(t.cfg.loss)
    d_loss, d_real, d_fake, d_terms, gp = critic_update(t, real, fake.detach(), y)

    # 2) generator: maximise log D(G(z)) (the non-saturating form), plus its penalties.
    #    G's update needs only dL/d(fake), so D's weights are frozen for this forward and autograd
    #    skips their gradients (8% fewer FLOPs per step, measured ~6% faster on the CPU)
    m.discriminator.requires_grad_(False)
    d_fake = m.discriminate(fake, y)
    m.discriminator.requires_grad_(True)
    g_loss = objective.g(d_fake)
    g_pen, g_terms = t.penalty("generator")
    act = t.cfg.reg.act * ink_l1(fake) if t.cfg.reg.act else None  # mean ink in [0, 1]
    g_total = g_loss + g_pen + (act if act is not None else 0)
    t.update("generator", g_total)

    out = {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
           "d_real": torch.sigmoid(d_real).mean().detach(), "d_fake": torch.sigmoid(d_fake).mean().detach()}
    out.update(_named_terms(d_terms, "discriminator"))
    out.update(_named_terms(g_terms, "generator"))
    if act is not None:
        out["act"] = act.detach()
    if gp is not None:
        out["gp"] = gp.detach()
    return out


def vae_step(t: Trainer) -> dict[str, torch.Tensor]:
    """One VAE step. The negative ELBO is divided by the pixel count, so the data loss is in
    nats per pixel, the same order as a GAN's per-sample loss (a sum over 784 pixels is ~100x it).
    Measured in the zoo: the VAE decoder still breaks at a ~10x smaller lambda than the GAN."""
    m, bs = t.model, t.cfg.batch_size
    x, _ = t.data.batch(bs, t.gen)
    pixels = x[0].numel()
    mu, logvar = m.encode(x)
    eps = torch.randn(mu.shape, generator=t.gen, device=t.gen.device)
    logits = m.decode_logits(m.reparameterize(mu, logvar, eps))
    rec = losses.bernoulli_nll(logits, x)
    kl = losses.gaussian_kl(mu, logvar, pixels)
    terms: dict[str, torch.Tensor] = {}
    total = rec + m.cfg.beta * kl
    for part in t.penalties:
        p, tm = t.penalty(part)
        total = total + p
        terms.update(_named_terms(tm, part))
    act = t.cfg.reg.act * latent_l1(mu, pixels) if t.cfg.reg.act else None
    if act is not None:
        total = total + act
    t.update("vae", total)
    out = {"rec": rec.detach(), "kl": kl.detach(), "loss": (rec + m.cfg.beta * kl).detach()}
    out.update(terms)
    if act is not None:
        out["act"] = act.detach()
    return out


def cycle_step(t: Trainer) -> dict[str, torch.Tensor]:
    """One cycle GAN step (Zhu et al. 2017): both discriminators, then both translators
    (`translator_objective`)."""
    m, bs = t.model, t.cfg.batch_size
    a, b = t.data.batch(bs, t.gen)  # unpaired: independent draws from the two domains
    fake_b, fake_a = m.to_b(a), m.to_a(b)
    d_a, d_b = m.discriminator.d_a, m.discriminator.d_b

    # 1) discriminators: real vs translated, the translators' outputs detached
    d_loss = losses.d_loss(d_b(b), d_b(fake_b.detach())) + losses.d_loss(d_a(a), d_a(fake_a.detach()))
    d_pen, d_terms = t.penalty("discriminator")
    t.update("discriminator", d_loss + d_pen)

    # 2) translators: fool the frozen discriminators, come back to where they started
    m.discriminator.requires_grad_(False)
    total, out = translator_objective(m, a, b, fake_b, fake_a)
    m.discriminator.requires_grad_(True)
    g_pen, g_terms = t.penalty("generator")
    t.update("generator", total + g_pen)
    out["d_loss"] = d_loss.detach()
    out.update(_named_terms(d_terms, "discriminator"))
    out.update(_named_terms(g_terms, "generator"))
    return out


def translator_objective(m: GenerativeModel, a: torch.Tensor, b: torch.Tensor, fake_b: torch.Tensor,
                         fake_a: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """L_GAN(G, D_B) + L_GAN(F, D_A) + λ_cyc·cycle + λ_id·identity, and its terms (detached) for the record.
    A term whose λ is 0 is measured without autograd: it is recorded but adds no gradient."""
    mc = m.cfg
    g_loss = losses.g_loss(m.discriminator.d_b(fake_b)) + losses.g_loss(m.discriminator.d_a(fake_a))
    total = g_loss
    with torch.set_grad_enabled(bool(mc.lambda_cyc) and torch.is_grad_enabled()):
        cyc = losses.cycle_loss(a, m.to_a(fake_b), b, m.to_b(fake_a), mc.cycle_norm)
    if mc.lambda_cyc:
        total = total + mc.lambda_cyc * cyc
    out = {"g_loss": g_loss.detach(), "cyc": cyc.detach()}
    if mc.lambda_id:
        idt = losses.identity_loss(a, m.to_a(a), b, m.to_b(b), mc.cycle_norm)
        total = total + mc.lambda_id * idt
        out["idt"] = idt.detach()
    return total, out


def _named_terms(terms: dict[str, torch.Tensor], part: str) -> dict[str, torch.Tensor]:
    return {f"pen_{name}_{part}": v.detach() for name, v in terms.items()}


# one step function per training objective (a family's `objective`), not per family
STEPS: dict[str, Callable[[Trainer], dict[str, torch.Tensor]]] = {"gan": gan_step, "vae": vae_step}
STEPS["cycle"] = cycle_step


def step_for(model_name: str) -> Callable[[Trainer], dict[str, torch.Tensor]]:
    """The step function that trains family `model_name`: the one of its objective."""
    return STEPS[family(model_name).objective]


def optimizer_plan(cfg: TrainConfig) -> dict[str, tuple[tuple[str, ...], float]]:
    """optimizer name -> (the parts it updates, its learning rate), from the family's `optimizers`;
    the optimizer that updates the discriminator takes `lr_d` when it is set."""
    return {name: (parts, (cfg.lr_d or cfg.lr) if "discriminator" in parts else cfg.lr)
            for name, parts in family(cfg.model.name).optimizers.items()}


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def use_fast_cuda_math(device: torch.device) -> bool:
    """On CUDA, let matmuls / convolutions use TF32 and cuDNN pick the fastest algorithm for these fixed
    shapes (process-wide flags, the same for every run; the bench measures this path). No-op elsewhere."""
    if torch.device(device).type != "cuda":
        return False
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    return True


def init_model(cfg: TrainConfig, device: torch.device, init: GenerativeModel | None = None) -> GenerativeModel:
    """The model a run starts from: built with weights seeded by cfg.seed, or copied from `init`."""
    with torch.random.fork_rng(devices=[]):  # model init reads the global RNG: seed it, privately
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.model)
    if init is not None:
        if init.cfg != cfg.model:
            raise ValueError("fine-tuning needs the same model config as the starting checkpoint")
        model.load_state_dict(init.state_dict())
    return model.to(device).train()


def make_trainer(cfg: TrainConfig, data: Dataset, device: torch.device,
                 init: GenerativeModel | None = None) -> Trainer:
    """Build (or copy from `init`) the model, its optimizers and its penalties, all seeded by cfg.seed."""
    use_fast_cuda_math(device)
    model = init_model(cfg, device, init)
    betas = (cfg.beta1, cfg.beta2)
    targets = resolve_target(cfg.reg.target, model.parts)
    penalties = {p: Penalty(cfg.reg, m if p in targets else None) for p, m in model.parts.items()}
    plan = optimizer_plan(cfg)
    opts = {name: torch.optim.Adam([w for part in parts for w in model.parts[part].parameters()], lr=lr,
                                   betas=betas)
            for name, (parts, lr) in plan.items()}
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    images = cfg.training_images(data).to(device)
    model.bind_data(images)  # a translator keeps its fixed input images (a no-op for the others)
    return Trainer(model, cfg, images, gen, opts, penalties,
                   {name: parts for name, (parts, _) in plan.items()})


def train(
    cfg: TrainConfig,
    *,
    data: Dataset | None = None,
    data_root: str | None = None,
    device: torch.device | str | None = None,
    init: GenerativeModel | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    live: LiveLambdas | None = None,
) -> TrainResult:
    """Train `cfg` and return the model with its history. Never raises on divergence: the result's
    status is "diverged" and the model holds the last weights whose losses were finite.

    `live`: λ values that may change during the run (applied between steps, recorded in
    `live.changes`); without a request the run is exactly the one `cfg` describes. The result's
    config holds the λ in force at the end."""
    device = torch.device(device) if device is not None else default_device()
    data = data if data is not None else load_dataset(cfg.dataset, root=data_root, seed=cfg.seed)
    t = make_trainer(cfg, data, device, init)
    step_fn = step_for(cfg.model.name)
    history: list[dict[str, float]] = []
    good_state = copy.deepcopy(t.model.state_dict())
    good_step, status, message = 0, "finished", ""
    sampler = family(cfg.model.name).sampler_part
    average: WeightAverage | None = None  # cfg.ema: the sampling part's moving average (normgen.engine.averaging)
    # dropout masks are the only draws from torch's global RNG in a step: seed it, privately, so a run
    # with dropout is as reproducible as one without
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(cfg.seed)
        start = time.perf_counter()
        step = 0
        while step < cfg.steps:
            if should_stop is not None and should_stop():
                status, message = "stopped", f"stopped at step {step}"
                break
            if cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds:
                message = f"time budget of {cfg.max_seconds:g} s reached at step {step}"
                break
            if live is not None and (reg := live.take(t.cfg.reg, step)) is not None:
                apply_reg(t, reg)
            out = step_fn(t)
            step += 1
            if average is not None:
                average.update()
            elif cfg.ema and step >= cfg.ema_start:
                average = WeightAverage(t.model.parts[sampler], cfg.ema)
            if step % cfg.log_every and step != cfg.steps:
                continue
            # one host sync per log interval: read, check, snapshot
            record = {k: float(v) for k, v in out.items()}
            if not all(math.isfinite(v) for v in record.values()) or not _weights_finite(t.model):
                bad = [k for k, v in record.items() if not math.isfinite(v)] or ["weights"]
                status = "diverged"
                message = (f"diverged at step {step} ({', '.join(bad)} not finite); kept the weights of "
                           f"step {good_step}. Try a smaller learning rate or smaller lambda.")
                t.model.load_state_dict(good_state)
                step = good_step
                break
            good_state = copy.deepcopy(t.model.state_dict())
            good_step = step
            record.update(step=step, time=time.perf_counter() - start)
            record.update(flat_weight_stats(t.model.parts))
            history.append(record)
            if progress is not None:
                want = step % cfg.sample_every < cfg.log_every or step == cfg.steps
                samples = fixed_samples(t.model, cfg.n_samples, cfg.seed) if want else None
                progress(Progress(step, cfg.steps, record["time"], record, samples, t.model))
    if average is not None and status != "diverged":
        average.apply()
        recalibrate_batchnorm(t.model, sampler, cfg.seed)
    t.model.eval()
    elapsed = time.perf_counter() - start
    if status == "finished" and not message:
        message = f"finished {step} steps in {elapsed:.1f} s"
    return TrainResult(t.model, t.cfg, status, step, elapsed, history,
                       fixed_samples(t.model, cfg.n_samples, cfg.seed), message, str(device))


def _weights_finite(model: torch.nn.Module) -> bool:
    return all(torch.isfinite(p).all() for p in model.parameters())
