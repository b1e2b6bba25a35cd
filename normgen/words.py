"""How numbers are written on screen (no matplotlib, no torch): a λ, a measured number, a percentage, and a
histogram legend's sparsity line. Every screen, figure, card and CLI table asks here, so one number reads the
same wherever it is shown (the histogram legend used to round 0.006% exactly-zero weights to 0.0% beside the
table's 0.006%)."""

from __future__ import annotations

import math
from collections.abc import Mapping


def fmt_lambda(lam: float) -> str:
    """How a lambda is written everywhere on screen: 0 -> '0', 1e-4 -> '1e-4', 3e-5 -> '3e-5',
    0.01 -> '1e-2', 0.25 -> '0.25'."""
    if lam == 0:
        return "0"
    if 0.1 <= abs(lam) < 1000:
        return f"{lam:g}"
    exp = math.floor(math.log10(abs(lam)) + 1e-9)
    mant = f"{lam / 10**exp:.2g}"
    return f"1e{exp}" if mant == "1" else f"{mant}e{exp}"


def fmt_num(x: float) -> str:
    """3 significant digits without exponents in the usual range: 1473.2 -> '1473', 20.13 -> '20.1',
    0.01234 -> '0.0123'."""
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def fmt_gap(a: float, b: float, gap: float) -> tuple[str, str, str]:
    """Two numbers and their gap (a - b, as measured) at one number of decimals, enough for 3 significant digits
    of the gap (at most 4), so the gap reads as their difference: 4.0553, 3.9313, 0.124 -> '4.055', '3.931',
    '0.124' (each to 3 significant digits read '4.06', '3.93', '0.124', which a reader subtracts to 0.13)."""
    d = 0 if gap == 0 else min(4, max(0, 2 - math.floor(math.log10(abs(gap)))))
    return f"{a:,.{d}f}", f"{b:,.{d}f}", f"{gap:,.{d}f}"


def fmt_pm(mean: float, se: float) -> str:
    """A mean and its standard error, the error to 2 significant digits and the mean at its decimals (at most 4):
    -130.2874, 0.0744 -> '-130.287 ± 0.074' (each to 3 significant digits: '-130 ± 0.0744', a mean coarser than
    its own error)."""
    if se <= 0 or not math.isfinite(se):
        return f"{fmt_num(mean)} ± 0"
    d = min(4, max(0, 1 - math.floor(math.log10(se))))
    return f"{mean:,.{d}f} ± {se:,.{d}f}"


def pct(v: float) -> str:
    """A percentage to one decimal: 19.43 -> '19.4%'; '100%' from 99.95 on."""
    return f"{v:.1f}%" if v < 99.95 else "100%"


def pct_fine(v: float) -> str:
    """A percentage that keeps a small non-zero value visible: 0.0015 -> '0.0015%' (not '0.0%')."""
    return f"{v:.2g}%" if 0 < v < 0.05 else pct(v)


def sparsity_words(label: str, stats: Mapping[str, float], sep: str = ", ") -> str:
    """A weight histogram's legend line: 'selected: 19.4% near 0, 0.006% exactly 0' (`stats`: near_zero_pct,
    zero_pct, as normgen.eval.metrics measures them)."""
    return f"{label}: {pct(stats['near_zero_pct'])} near 0{sep}{pct_fine(stats['zero_pct'])} exactly 0"


__all__ = ["fmt_lambda", "fmt_num", "fmt_gap", "pct", "pct_fine", "sparsity_words"]
