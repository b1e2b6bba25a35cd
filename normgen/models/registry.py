"""name -> family class. The only list of model families in the package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from normgen.models.base import GenerativeModel
from normgen.models.cgan import CGAN
from normgen.models.cyclegan import CycleGAN
from normgen.models.dcgan import ColourDCGAN
from normgen.models.gan import GAN
from normgen.models.vae import VAE

if TYPE_CHECKING:
    from normgen.models.config import ModelConfig

FAMILIES: dict[str, type[GenerativeModel]] = {cls.name: cls for cls in (GAN, VAE, CGAN, ColourDCGAN, CycleGAN)}
MODEL_NAMES: tuple[str, ...] = tuple(FAMILIES)
# the families that draw sample grids (the screens and the model card's per-family findings); a translator
# (the cycle GAN) maps images of one domain to another and is scored on its own (normgen.eval.translation)
SAMPLE_MODELS: tuple[str, ...] = tuple(n for n, f in FAMILIES.items() if not f.translates)


def family(name: str) -> type[GenerativeModel]:
    """The family class registered under `name`; an unknown name raises with the valid ones."""
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(FAMILIES)}") from None


def model_label(name: str) -> str:
    """A family's label on screen (the raw name of a family this normgen does not know)."""
    return FAMILIES[name].label if name in FAMILIES else name


def build_model(cfg: ModelConfig) -> GenerativeModel:
    """Build a model from its config."""
    return family(cfg.name)(cfg)


# every penalty target some family offers ("both" last): what the CLI's --target accepts before the
# model is known; the family itself checks its own (`resolve_target` against its `part_names`)
TARGETS: tuple[str, ...] = tuple(dict.fromkeys(t for f in FAMILIES.values() for t in f.part_names)) + ("both",)
