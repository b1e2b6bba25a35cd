"""The one configuration every model is built from (stored verbatim in each checkpoint)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from normgen.domains import domain_pair
from normgen.losses import CYCLE_NORMS
from normgen.models.registry import family

G_NORMS = ("none", "batch")
D_NORMS = ("none", "spectral")
# size limits: the shipped zoo (28x28x1) and CIFAR-10 (32x32x3) fit with room to spare; larger asks
# are refused before a network is built (a stored config is untrusted input: see normgen.checkpoints)
MAX_CHANNELS = 4  # C of (C, H, W): grey, RGB, RGBA
MIN_SIDE, MAX_SIDE = 8, 256  # H and W
MAX_WIDTH = 1024  # nz (latent size) and ch (base channels)
MAX_CLASSES = 1000  # num_classes (an embedding row per class)
LAMBDA_CYC_MAX = 100.0  # the cycle GAN's λ_cyc and λ_id (the paper's λ_cyc is 10)


@dataclass(frozen=True)
class ModelConfig:
    name: str = "gan"  # a family of normgen.models.registry.FAMILIES
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W); H and W divisible by 4
    nz: int = 64  # latent size (VAE default is set by `default_model_config`)
    ch: int = 32  # base channels: ~0.2M-param generator; measured on MNIST, ch 32 at lr 1e-3 reached
    # judge-FD 123 after 1,500 steps vs 253 for ch 48 at lr 2e-4, and ~1.5x faster per CPU step
    g_norm: str = "none"  # generator / decoder normalization: none | batch
    d_norm: str = "none"  # discriminator normalization: none | spectral
    num_classes: int = 10  # cgan only: label count (4 for shapes)
    beta: float = 1.0  # vae only: weight on the KL term (1 = standard VAE)
    dropout: float = 0.0  # dropout rate on hidden activations: the discriminator (GANs), encoder and
    # decoder (VAE); never the GAN generator. A "soft" regularizer to compare with the norm penalties
    # cycle GAN only (normgen.models.cyclegan): the weights of its reconstruction terms, their norm, the domains
    lambda_cyc: float = 10.0  # λ_cyc on ‖F(G(a)) − a‖ + ‖G(F(b)) − b‖ (Zhu et al. 2017 use 10)
    lambda_id: float = 0.0  # λ_id on the identity term ‖F(a) − a‖ + ‖G(b) − b‖
    cycle_norm: str = "l1"  # the norm of both terms: l1 (the paper's) | l2 (squared L2), per-pixel means
    domains: str = "thin-bold"  # a domain pair of normgen.domains.DOMAIN_PAIRS

    def __post_init__(self) -> None:
        # every field is checked, type and range, before any network exists: a checkpoint's stored config
        # or an API call asking for [1, 40000, 40000] images must fail here, not in a terabyte allocation
        family(self.name)  # raises, listing the registered families
        if self.g_norm not in G_NORMS:
            raise ValueError(f"g_norm must be one of {G_NORMS}, got {self.g_norm!r}")
        if self.d_norm not in D_NORMS:
            raise ValueError(f"d_norm must be one of {D_NORMS}, got {self.d_norm!r}")
        shape = self.image_shape
        if not (isinstance(shape, (tuple, list)) and len(shape) == 3 and all(_is_int(v) for v in shape)
                and 1 <= shape[0] <= MAX_CHANNELS
                and all(MIN_SIDE <= v <= MAX_SIDE and v % 4 == 0 for v in shape[1:])):
            raise ValueError(f"image_shape must be 3 integers (C, H, W) with C in [1, {MAX_CHANNELS}] and H, W "
                             f"in [{MIN_SIDE}, {MAX_SIDE}], divisible by 4; got {_shown(shape)}")
        for name in ("nz", "ch"):
            _check_int(name, getattr(self, name), 1, MAX_WIDTH)
        _check_int("num_classes", self.num_classes, 2, MAX_CLASSES)
        if not (_is_number(self.dropout) and 0.0 <= self.dropout <= 0.9):
            raise ValueError(f"dropout must be a rate in [0, 0.9], got {_shown(self.dropout)}")
        if not (_is_number(self.beta) and 0.0 <= self.beta <= 100.0):
            raise ValueError(f"beta must be a number in [0, 100], got {_shown(self.beta)}")
        for name in ("lambda_cyc", "lambda_id"):
            v = getattr(self, name)
            if not (_is_number(v) and math.isfinite(v) and 0.0 <= v <= LAMBDA_CYC_MAX):
                raise ValueError(f"{name} must be a finite number in [0, {LAMBDA_CYC_MAX:g}], got {_shown(v)}")
        if self.cycle_norm not in CYCLE_NORMS:
            raise ValueError(f"cycle_norm must be one of {', '.join(CYCLE_NORMS)}, got {_shown(self.cycle_norm)}")
        domain_pair(self.domains)  # raises, listing the registered pairs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = dict(d)
        d["image_shape"] = tuple(d["image_shape"])
        return cls(**d)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _shown(v: object) -> str:
    """A value for an error message, cut short: a hostile value must not make a huge message."""
    r = repr(v)
    return r if len(r) <= 60 else f"{r[:57]}..."


def _check_int(name: str, v: object, lo: int, hi: int) -> None:
    if not (_is_int(v) and lo <= v <= hi):
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {_shown(v)}")


def default_model_config(name: str, **overrides) -> ModelConfig:
    """A family's ModelConfig: its `config_defaults` (the VAE's 16-d latent), then `overrides`."""
    return ModelConfig(name=name, **{**family(name).config_defaults, **overrides})
