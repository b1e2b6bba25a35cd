"""The model registry: one module per family, each class owning its facts (see `GenerativeModel`).

Code elsewhere asks `family(name)` for a family's parts, sampler, targets, label and defaults; it
never branches on a model's name. Adding a family is one module here plus one line in `FAMILIES`.
"""

from __future__ import annotations

from normgen.models.base import GenerativeModel
from normgen.models.cgan import CGAN
from normgen.models.config import ModelConfig, default_model_config
from normgen.models.cyclegan import CycleGAN
from normgen.models.gan import GAN
from normgen.models.registry import (
    FAMILIES,
    MODEL_NAMES,
    SAMPLE_MODELS,
    TARGETS,
    build_model,
    family,
    model_label,
)
from normgen.models.vae import VAE

MODELS = FAMILIES  # the name the tests and older callers use

__all__ = ["FAMILIES", "MODELS", "MODEL_NAMES", "SAMPLE_MODELS", "TARGETS", "GenerativeModel", "ModelConfig",
           "build_model", "default_model_config", "family", "model_label", "GAN", "CGAN", "VAE", "CycleGAN"]
