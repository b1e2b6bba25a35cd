"""The Train tab's state without gradio: λ on a log-scale slider, and Train's part of the shareable URL.

A slider has no log scale, so a λ slider moves over the exponent: -6 … 0 in quarter decades (1e-6 …
1), and one notch further left, OFF_EXPONENT, means "off" (λ = 0). The λ itself (the value /train
takes) is kept exactly: a value copied from Explore or a link (2e-4) stays 2e-4 and the slider shows
its nearest notch.

URL keys of Train are its /train parameter names with a `train_` prefix (train_model, train_l1,
train_steps, train_train_size, ...); Explore's keys are unprefixed (normgen.service.links).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from normgen.service import inputs as I
from normgen.words import fmt_lambda

EXP_MIN, EXP_MAX, EXP_STEP = -6.0, 0.0, 0.25
OFF_EXPONENT = EXP_MIN - EXP_STEP  # the slider's leftmost notch: λ = 0
PREFIX = "train_"
# the /train parameters, in the API's order, as they appear in the URL (with PREFIX)
TRAIN_PARAMS = ("model", "dataset", "g_norm", "l1", "l2", "target", "variant", "seed", "steps", "seconds", "start",
                "train_size", "dropout", "loss", "lambda_cyc", "lambda_id", "cycle_norm")


def exponent_of(lam: float) -> float:
    """The slider notch of a λ: OFF_EXPONENT for 0, else log10 rounded to a quarter decade in
    [EXP_MIN, EXP_MAX]."""
    if not lam or lam <= 0:
        return OFF_EXPONENT
    e = round(math.log10(lam) / EXP_STEP) * EXP_STEP
    return min(EXP_MAX, max(EXP_MIN, e))


def lambda_of(exponent: Any) -> float:
    """The λ of a slider notch (two significant digits: 10^-3.75 -> 1.8e-4); 0 at or below 'off'."""
    e = float(exponent)
    if not math.isfinite(e) or e < EXP_MIN - EXP_STEP / 2:
        return 0.0
    return float(f"{10 ** min(EXP_MAX, e):.2g}")


def lambda_label(name: str, lam: float) -> str:
    """The slider's label, which is also its readout: 'L1 λ = 1e-2' / 'L1 λ: off'."""
    if not lam:
        return f"{name} λ: off"
    return f"{name} λ = {fmt_lambda(lam)}"


def _fmt(key: str, v: Any) -> str:
    if key in ("l1", "l2", "lambda_cyc", "lambda_id"):
        return fmt_lambda(float(v))
    if isinstance(v, float) and v.is_integer() and key not in ("dropout",):
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def train_query(values: Mapping[str, Any]) -> str:
    """Train's query fragment (no '?'): `train_model=gan&train_l1=1e-2&...` for the values present
    (None left out), in the /train parameter order."""
    return urlencode({PREFIX + k: _fmt(k, values[k]) for k in TRAIN_PARAMS
                      if k in values and values[k] is not None and values[k] != ""})


def _one(v: Any) -> Any:
    """A parsed query value: parse_qs gives lists, URLSearchParams plain strings."""
    return v[-1] if isinstance(v, (list, tuple)) and v else v


def parse_train_query(q: Mapping[str, Any], max_steps: int, max_seconds: float) -> tuple[dict[str, Any], list[str]]:
    """Train's values from a parsed URL query (keys with PREFIX; others ignored): (the valid ones,
    one line per bad one naming the key and what is allowed). A link with a typo still opens."""
    raw = {k[len(PREFIX):]: _one(v) for k, v in q.items() if k.startswith(PREFIX)}
    out: dict[str, Any] = {}
    bad: list[str] = []
    checks = {
        "model": I.check_train_model, "dataset": I.check_dataset, "g_norm": I.check_g_norm, "variant": I.check_variant,
        "l1": lambda v: I.parse_lambda("l1", v), "l2": lambda v: I.parse_lambda("l2", v), "seed": I.parse_seed,
        "train_size": I.parse_train_size, "dropout": I.parse_dropout, "loss": I.check_loss,
        "steps": lambda v: I.parse_int(f"steps (at most {max_steps} here)", v, 1, max_steps),
        "seconds": lambda v: I.parse_float(f"seconds (at most {max_seconds:g} here)", v, 1, max_seconds),
    }
    for key in I.CYCLE_DEFAULTS:  # each checked alone, with the others' defaults
        checks[key] = lambda v, k=key: I.parse_cycle(**{**I.CYCLE_DEFAULTS, k: v})[k]
    for key, check in checks.items():
        if key in raw:
            try:
                out[key] = check(raw[key])
            except I.InputError as exc:
                bad.append(f"{PREFIX}{key}: {exc}")
    if "start" in raw:
        if raw["start"] in ("finetune", "scratch"):
            out["start"] = raw["start"]
        else:
            bad.append(f"{PREFIX}start: must be finetune or scratch; got {raw['start']!r}")
    if "target" in raw:
        allowed = I.target_choices(out.get("model", I.DEFAULT_MODEL))
        if raw["target"] in allowed:
            out["target"] = raw["target"]
        else:
            bad.append(f"{PREFIX}target: must be one of {', '.join(allowed)}; got {raw['target']!r}")
    return out, bad
