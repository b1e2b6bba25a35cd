"""Inputs of the app (no gradio): the checks of every field, and the choices the controls offer.

Every public endpoint of the app passes its raw inputs through these checks, because the API can
be called without the UI: a bad value raises `InputError` (a ValueError) whose message says what
is allowed, and the UI layer turns it into `gr.Error`. The requests built from them are
`normgen.service.requests`, the shareable link `normgen.service.links`; the cached zoo index and the choices it
offers are in `normgen.service.zoo_access`, the datasets this server has in `normgen.service.server_datasets`.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

from normgen.data import DATASETS
from normgen.losses import CYCLE_NORMS, LOSS_SETTINGS
from normgen.models import MODEL_NAMES, family, model_label
from normgen.models import SAMPLE_MODELS as _SAMPLE_MODELS
from normgen.models.config import G_NORMS, LAMBDA_CYC_MAX, ModelConfig
from normgen.regularizers import LAMBDA_MAX, VARIANTS

G_NORM_LABELS = {"none": "none", "batch": "batch norm"}  # the controls' names for models.config.G_NORMS
SEED_MAX = 2**31 - 1
SHOWN_MAX = 60  # characters of a bad value quoted in an error message
OPTIONS_SHOWN = 12  # choices a message lists (the line stays readable)
NUMBER_CHARS_MAX = 40  # a longer string is not read as a number (int() of 10,000 digits is slow)
DEFAULT_SEED = 0  # Explore's first noise seed


class InputError(ValueError):
    """A bad value from a user or an API client; the message says what is allowed."""


# ----------------------------------------------------------------------------------------------
# validation


EMPTY = "nothing (empty)"  # how a message quotes a missing value: an empty box in the page, null over the API


def shown(value: Any) -> str:
    """`value` as an error message quotes it: its repr on one line, cut short (an API client can send a
    megabyte string or a 400-digit number; the message stays one readable line); an empty box (None, or
    a blank string) as EMPTY, not 'None'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    r = " ".join(repr(value).split())
    return r if len(r) <= SHOWN_MAX else f"{r[:SHOWN_MAX - 3]}..."


def check_choice(name: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str:
    """`value` must be one of `allowed` (exact strings)."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name} must be one of: {', '.join(allowed)}; got {shown(value)}")
    return value


# the families the sample-grid screens (Explore, Train, Compare, Learn) show; a translator (the cycle GAN)
# draws rows a -> G(a) -> F(G(a)), not a sample grid, and has its own tab (normgen.app.tabs.translate)
SAMPLE_MODELS: tuple[str, ...] = _SAMPLE_MODELS


def check_model(model: Any) -> str:
    return check_choice("model", model, SAMPLE_MODELS)


# the families Train trains live: every registered one (a translator shows rows instead of a grid)
TRAIN_MODELS: tuple[str, ...] = MODEL_NAMES


def check_train_model(model: Any) -> str:
    return check_choice("model", model, TRAIN_MODELS)


def check_dataset(dataset: Any) -> str:
    return check_choice("dataset", dataset, DATASETS)


def check_g_norm(g_norm: Any) -> str:
    return check_choice("g_norm (generator normalization)", g_norm, G_NORMS)


def check_variant(variant: Any) -> str:
    return check_choice("variant", variant, VARIANTS)


def target_choices(model: str) -> tuple[str, ...]:
    """The penalty targets of `model`, its sampling part (the default) first, "both" last."""
    fam = family(model)
    return (fam.sampler_part, *(t for t in fam.targets() if t != fam.sampler_part))


def check_target(model: str, target: Any) -> str:
    """The penalty target must be a part of `model` or "both"."""
    return check_choice(f"target for the {model_label(model)}", target, target_choices(model))


def _number(value: Any) -> int | float | None:
    """`value` as a Python number (a numeric string parsed, an integer kept exact), or None when it is
    not one: None, booleans, other types and strings that are not numbers (or too long to be one)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if not isinstance(value, str) or len(value) > NUMBER_CHARS_MAX:
        return None
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _finite_float(v: int | float) -> float:
    """`v` as a float; an integer too large for one is infinite (then out of every range)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf


def parse_lambda(name: str, value: Any) -> float:
    """A lambda: a number (or a numeric string such as "1e-4") in [0, LAMBDA_MAX]; NaN/inf rejected."""
    v = _number(value)
    if v is None:
        raise InputError(f"{name} must be a number in [0, {LAMBDA_MAX:g}] such as 1e-4, got {shown(value)}")
    v = _finite_float(v)
    if not math.isfinite(v) or not 0.0 <= v <= LAMBDA_MAX:
        raise InputError(f"{name} must be a finite number in [0, {LAMBDA_MAX:g}], got {shown(value)}")
    return v


def _interval(lo: float | None, hi: float | None) -> str:
    """' in [lo, hi]' (' of at least lo' / ' of at most hi' with one end open; '' with both)."""
    def n(v: float) -> str:  # an integer in full (2147483647, not 2.14748e+09)
        return str(v) if isinstance(v, int) else f"{v:g}"

    if lo is not None and hi is not None:
        return f" in [{n(lo)}, {n(hi)}]"
    if lo is not None:
        return f" of at least {n(lo)}"
    return f" of at most {n(hi)}" if hi is not None else ""


def parse_int(name: str, value: Any, lo: int | None, hi: int | None) -> int:
    """An integer in [lo, hi] (None: that end open). A float is accepted only when it is a whole number
    (3.0); any other is refused, never rounded (a seed of 1.5 is a mistake, not seed 2). Huge values are
    refused exactly."""
    allowed = f"{name} must be an integer{_interval(lo, hi)}"
    v = _number(value)
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        raise InputError(f"{allowed}, got {shown(value)}")
    if isinstance(v, float):
        if not v.is_integer():
            raise InputError(f"{allowed}, got {shown(value)}: not a whole number (it is not rounded)")
        v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise InputError(f"{allowed}, got {shown(value)}")
    return v


def parse_seed(value: Any) -> int:
    return parse_int("seed", value, 0, SEED_MAX)


def next_seed(value: Any) -> int:
    """The seed after `value` (the New noise button), back to 0 after SEED_MAX: never a number the
    page cannot hold (a 1e308 sent back as an integer ends the browser's event stream)."""
    return (parse_seed(value) + 1) % (SEED_MAX + 1)


def parse_float(name: str, value: Any, lo: float | None, hi: float | None) -> float:
    """A finite number in [lo, hi] (None: that end open), or a numeric string; NaN, inf and non-numbers
    refused."""
    allowed = f"{name} must be a {'number' if lo is not None and hi is not None else 'finite number'}" \
              f"{_interval(lo, hi)}"
    v = _number(value)
    if v is None:
        raise InputError(f"{allowed}, got {shown(value)}")
    v = _finite_float(v)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise InputError(f"{allowed}, got {shown(value)}")
    return v


def check_option(name: str, value: Any, allowed: list | tuple) -> Any:
    """`value` must be one of `allowed` (a control's choices: strings or numbers, compared as Gradio does)."""
    if isinstance(value, (list, dict)) or value not in allowed:
        listed = [str(a) for a in allowed[:OPTIONS_SHOWN]] + (["..."] if len(allowed) > OPTIONS_SHOWN else [])
        raise InputError(f"{name} must be one of: {', '.join(listed)}; got {shown(value)}")
    return value


TRAIN_SIZE_MAX = 10_000_000  # TrainConfig's bound; a dataset's own size is checked where it is known
DROPOUT_MAX = 0.9  # the largest rate models.config.ModelConfig accepts


def parse_train_size(value: Any) -> int:
    """Training images: 0 = the whole training split, N = a class-balanced subset of N images."""
    return parse_int("train_size (training images; 0 = all)", value, 0, TRAIN_SIZE_MAX)


def parse_dropout(value: Any) -> float:
    """A dropout rate in [0, DROPOUT_MAX]; 0 = off."""
    return parse_float("dropout (a rate; 0 = off)", value, 0.0, DROPOUT_MAX)


def check_loss(value: Any) -> str:
    """One of LOSS_SETTINGS (the GAN families' adversarial loss and Lipschitz constraint)."""
    return check_choice("loss", value, LOSS_SETTINGS)


# a translator's own controls (the cycle GAN: normgen.models.config.ModelConfig's lambda_cyc, lambda_id,
# cycle_norm); their defaults are the zoo baseline's
CYCLE_DEFAULTS: dict[str, Any] = {k: getattr(ModelConfig, k) for k in ("lambda_cyc", "lambda_id", "cycle_norm")}


def parse_cycle(lambda_cyc: Any, lambda_id: Any, cycle_norm: Any) -> dict[str, Any]:
    """λ_cyc and λ_id (finite numbers in [0, LAMBDA_CYC_MAX]) and the cycle norm (l1 | l2), checked."""
    return {"lambda_cyc": parse_float("lambda_cyc (weight of the cycle term)", lambda_cyc, 0.0, LAMBDA_CYC_MAX),
            "lambda_id": parse_float("lambda_id (weight of the identity term)", lambda_id, 0.0, LAMBDA_CYC_MAX),
            "cycle_norm": check_choice("cycle_norm", cycle_norm, tuple(CYCLE_NORMS))}


def env_number(name: str, default: float) -> float:
    """A positive number from the environment (for caps a host may raise), else `default`."""
    try:
        v = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return v if math.isfinite(v) and v > 0 else default
