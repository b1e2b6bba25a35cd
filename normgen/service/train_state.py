"""The Train tab's λ on a log-scale slider (no gradio).

A slider has no log scale, so a λ slider moves over the exponent: -6 … 0 in quarter decades (1e-6 …
1), and one notch further left, OFF_EXPONENT, means "off" (λ = 0). The λ itself (the value /train
takes) is kept exactly: a value copied from Explore or a link (2e-4) stays 2e-4 and the slider shows
its nearest notch.
"""

from __future__ import annotations

import math
from typing import Any

from normgen.words import fmt_lambda

EXP_MIN, EXP_MAX, EXP_STEP = -6.0, 0.0, 0.25
OFF_EXPONENT = EXP_MIN - EXP_STEP  # the slider's leftmost notch: λ = 0


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
