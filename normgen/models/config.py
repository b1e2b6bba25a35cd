"""The one configuration every model is built from (stored verbatim in each checkpoint)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from normgen.models.registry import family

G_NORMS = ("none", "batch")
D_NORMS = ("none", "spectral")


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

    def __post_init__(self) -> None:
        family(self.name)  # raises, listing the registered families
        if self.g_norm not in G_NORMS:
            raise ValueError(f"g_norm must be one of {G_NORMS}, got {self.g_norm!r}")
        if self.d_norm not in D_NORMS:
            raise ValueError(f"d_norm must be one of {D_NORMS}, got {self.d_norm!r}")
        c, h, w = self.image_shape
        if c < 1 or h % 4 or w % 4 or h < 8 or w < 8:
            raise ValueError(f"image_shape must be (C, H, W) with H, W >= 8 and divisible by 4, got {self.image_shape}")
        if not 1 <= self.nz <= 1024 or not 1 <= self.ch <= 1024:
            raise ValueError("nz and ch must be in [1, 1024]")
        if self.num_classes < 2:
            raise ValueError("num_classes must be >= 2")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout <= 0.9):
            raise ValueError(f"dropout must be a rate in [0, 0.9], got {self.dropout!r}")
        if not 0.0 <= self.beta <= 100.0:
            raise ValueError(f"beta must be in [0, 100], got {self.beta}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = dict(d)
        d["image_shape"] = tuple(d["image_shape"])
        return cls(**d)


def default_model_config(name: str, **overrides) -> ModelConfig:
    """A family's ModelConfig: its `config_defaults` (the VAE's 16-d latent), then `overrides`."""
    return ModelConfig(name=name, **{**family(name).config_defaults, **overrides})
