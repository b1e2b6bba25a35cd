"""The training configuration: one frozen dataclass, stored verbatim in every checkpoint."""

from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass, field, replace

from normgen.data import Dataset, balanced_subset, dataset_info
from normgen.domains import DomainData, split_domains
from normgen.losses import GAN_LOSSES, LIPSCHITZ
from normgen.models.config import ModelConfig, default_model_config
from normgen.models.registry import family
from normgen.regularizers import LAMBDAS, RegConfig, resolve_target

MAX_STEPS = 200_000


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    reg: RegConfig = field(default_factory=RegConfig)
    dataset: str = "shapes"  # a dataset of normgen.data.DATASETS (shapes is made offline)
    steps: int = 2000  # optimizer steps (one D and one G update each for GANs)
    max_seconds: float = 0.0  # wall-clock budget; 0 = none. The run ends at whichever comes first
    batch_size: int = 64  # measured on 2 CPU cores: 64 beat 128 at a fixed time budget
    lr: float = 1e-3  # Adam learning rate, G and D (VAE too); measured: 1e-3 beat 5e-4 and 2e-4 on MNIST
    lr_d: float = 0.0  # discriminator lr; 0 = same as lr
    beta1: float = 0.5  # Adam beta1: 0.5 for GANs (DCGAN), 0.9 for the VAE
    beta2: float = 0.999
    seed: int = 0  # fixes init, batches, noise and the sample grid's fixed noise
    log_every: int = 50  # steps between metric records (and NaN checks: one host sync each)
    sample_every: int = 250  # steps between sample grids sent to `progress`
    n_samples: int = 64  # size of the fixed-noise sample grid
    train_size: int = 0  # training images: 0 = the whole training split; N = a class-balanced subset of
    # N images (small data is where a penalty can prevent overfitting). The held-out images are the test split
    data_seed: int = 0  # picks the subset, independently of `seed`: every training seed sees the same images
    loss: str = "ns"  # adversarial families: ns (non-saturating) | wgan (Wasserstein: -mean D(x) + mean D(G(z)))
    lipschitz: str = "none"  # how D is kept Lipschitz: none | clip (every D weight in [-clip, clip]) | gp
    clip: float = 0.01  # weight-clipping bound c (Arjovsky et al. 2017 use 0.01)
    gp: float = 10.0  # gradient-penalty weight (Gulrajani et al. 2017 use 10)
    n_critic: int = 1  # discriminator updates per generator update (WGAN-GP as published: 5, Gulrajani et al.
    # 2017, Algorithm 1); a "step" is one generator update
    ema: float = 0.0  # decay of a moving average of the sampling part's weights (0 = none; normgen.engine.averaging):
    # the run ends with the average, its batch-norm statistics measured again
    ema_start: int = 500  # the step the average starts from

    def __post_init__(self) -> None:
        info = dataset_info(self.dataset)
        fam = family(self.model.name)
        resolve_target(self.reg.target, fam.part_names)  # raises, naming this family's targets
        if fam.image_channels and info.image_shape[0] != fam.image_channels:
            raise ValueError(f"the {fam.label} is built for {fam.image_channels}-channel images; dataset "
                             f"{self.dataset!r} has {info.image_shape[0]} ({_channels(info.image_shape[0])})")
        if fam.conditional and not info.class_names:
            raise ValueError(f"the {fam.label} needs class labels; dataset {self.dataset!r} has none")
        if not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}], got {self.steps!r}")
        if not (math.isfinite(self.max_seconds) and 0 <= self.max_seconds <= 24 * 3600):
            raise ValueError("max_seconds must be in [0, 86400]")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch_size must be in [1, 4096], got {self.batch_size}")
        for name in ("lr", "lr_d"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0 <= v <= 10) or (name == "lr" and v == 0):
                raise ValueError(f"{name} must be a finite number in (0, 10], got {v!r}")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError("Adam betas must be in [0, 1)")
        if not 0 <= self.seed < 2**63:
            raise ValueError("seed must be a non-negative integer")
        if self.log_every < 1 or self.sample_every < 1:
            raise ValueError("log_every and sample_every must be >= 1")
        if not 1 <= self.n_samples <= 1024:
            raise ValueError("n_samples must be in [1, 1024]")
        if not isinstance(self.train_size, int) or not 0 <= self.train_size <= 10_000_000:
            raise ValueError(f"train_size must be 0 (all images) or a count of images, got {self.train_size!r}")
        if 0 < self.train_size < max(2, info.num_classes):
            raise ValueError(f"train_size must be at least {max(2, info.num_classes)} (one image per class), "
                             f"got {self.train_size}")
        if not isinstance(self.data_seed, int) or not 0 <= self.data_seed < 2**63:
            raise ValueError("data_seed must be a non-negative integer")
        if self.loss not in GAN_LOSSES:
            raise ValueError(f"loss must be one of {', '.join(GAN_LOSSES)}; got {self.loss!r}")
        if self.lipschitz not in LIPSCHITZ:
            raise ValueError(f"lipschitz must be one of {', '.join(LIPSCHITZ)}; got {self.lipschitz!r}")
        if (self.loss != "ns" or self.lipschitz != "none") and not fam.adversarial:
            raise ValueError(f"the {fam.label} has no discriminator: loss and lipschitz apply to the GANs only")
        if not (isinstance(self.clip, (int, float)) and math.isfinite(self.clip) and 0 < self.clip <= 10):
            raise ValueError(f"clip must be a number in (0, 10], got {self.clip!r}")
        if not (isinstance(self.gp, (int, float)) and math.isfinite(self.gp) and 0 < self.gp <= 1000):
            raise ValueError(f"gp must be a number in (0, 1000], got {self.gp!r}")
        if self.lipschitz == "sn" and self.model.d_norm != "spectral":
            raise ValueError("lipschitz 'sn' is spectral normalization of D's layers: the model needs "
                             "d_norm='spectral' (make_config sets it)")
        if not (isinstance(self.n_critic, int) and 1 <= self.n_critic <= 10):
            raise ValueError(f"n_critic must be an integer in [1, 10], got {self.n_critic!r}")
        if self.n_critic > 1 and not fam.adversarial:
            raise ValueError(f"the {fam.label} has no discriminator: n_critic applies to the GANs only")
        if not (isinstance(self.ema, (int, float)) and 0 <= self.ema < 1):
            raise ValueError(f"ema must be 0 (off) or a decay in (0, 1), got {self.ema!r}")
        if self.ema and fam.translates:
            raise ValueError(f"the {fam.label} translates images: ema averages a generator that samples from noise")
        if not (isinstance(self.ema_start, int) and 0 <= self.ema_start <= MAX_STEPS):
            raise ValueError(f"ema_start must be an integer in [0, {MAX_STEPS}], got {self.ema_start!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def training_images(self, data: Dataset) -> Dataset | DomainData:
        """The images this config trains on: all of `data`, or its class-balanced `train_size` subset; a
        translator's are then cut into its two unpaired domains (normgen.domains, split by `data_seed`)."""
        ds = balanced_subset(data, self.train_size, self.data_seed) if self.train_size else data
        if family(self.model.name).translates and not isinstance(ds, DomainData):
            return split_domains(ds, self.model.domains, self.data_seed)
        return ds

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["model"] = ModelConfig.from_dict(d["model"])
        d["reg"] = RegConfig(**d["reg"])
        return cls(**d)


def _channels(c: int) -> str:
    return {1: "grey", 3: "colour"}.get(c, f"{c}-channel")


def make_config(model: str = "gan", dataset: str = "shapes", *, model_overrides: dict | None = None,
                reg: RegConfig | None = None, **train) -> TrainConfig:
    """A TrainConfig with the family's defaults (`train_defaults`, `config_defaults`, its sampler part as
    the penalty target) and the dataset's facts (image shape, class count)."""
    fam, info = family(model), dataset_info(dataset)
    mo = {"image_shape": info.image_shape, **model_overrides_for(info), **(model_overrides or {})}
    if train.get("lipschitz") == "sn":  # spectral normalization lives in D's layers (ModelConfig.d_norm)
        mo["d_norm"] = "spectral"
    reg = reg or RegConfig(target=fam.sampler_part)
    return TrainConfig(model=default_model_config(model, **mo), reg=reg, dataset=dataset,
                       **{**fam.train_defaults, **train})


def model_overrides_for(info) -> dict:
    """ModelConfig fields a dataset fixes: its class count (ModelConfig needs >= 2; unlabeled keeps 10)."""
    return {"num_classes": info.num_classes} if info.num_classes >= 2 else {}


def reproduce_command(cfg: TrainConfig, init: str | None = None, out: str | None = None) -> str:
    """The `python -m normgen train` command that reproduces `cfg`, only non-default options spelled out.

    It lives with the config, not in the CLI, because the app's training service shows it too. Each
    lambda of the registry is its `--NAME` flag; the default target is the family's sampler part."""
    base = make_config(cfg.model.name, cfg.dataset)
    args = ["python", "-m", "normgen", "train", "--model", cfg.model.name, "--dataset", cfg.dataset]
    r = cfg.reg
    for name in LAMBDAS:
        if v := getattr(r, name):
            args += [f"--{name}", f"{v:g}"]
    if r.target != family(cfg.model.name).sampler_part:
        args += ["--target", r.target]
    if r.variant != base.reg.variant:
        args += ["--variant", r.variant]
    args += ["--steps", str(cfg.steps), "--seed", str(cfg.seed)]
    pairs = [("--seconds", cfg.max_seconds, base.max_seconds), ("--batch-size", cfg.batch_size, base.batch_size),
             ("--lr", cfg.lr, base.lr), ("--lr-d", cfg.lr_d, base.lr_d),
             ("--g-norm", cfg.model.g_norm, base.model.g_norm), ("--d-norm", cfg.model.d_norm, base.model.d_norm),
             ("--ch", cfg.model.ch, base.model.ch), ("--nz", cfg.model.nz, base.model.nz),
             ("--beta", cfg.model.beta, base.model.beta), ("--dropout", cfg.model.dropout, base.model.dropout),
             ("--train-size", cfg.train_size, base.train_size), ("--data-seed", cfg.data_seed, base.data_seed),
             ("--loss", cfg.loss, base.loss), ("--lipschitz", cfg.lipschitz, base.lipschitz),
             ("--clip", cfg.clip, base.clip), ("--gp", cfg.gp, base.gp), ("--n-critic", cfg.n_critic, base.n_critic),
             ("--layers", r.layers, base.reg.layers), ("--ema", cfg.ema, base.ema),
             ("--ema-start", cfg.ema_start if cfg.ema else base.ema_start, base.ema_start)]
    pairs += [(f"--{k.replace('_', '-')}", getattr(cfg.model, k), getattr(base.model, k))  # the cycle GAN's
              for k in ("lambda_cyc", "lambda_id", "cycle_norm", "domains")]
    for flag, v, d in pairs:
        if v != d:
            args += [flag, f"{v:g}" if isinstance(v, float) else str(v)]
    if init:
        args += ["--init", init]
    if out:
        args += ["--out", out]
    return shlex.join(args)


__all__ = ["TrainConfig", "make_config", "reproduce_command", "replace", "MAX_STEPS"]
