"""Does BatchNorm hide weight penalties? The batch-norm GAN block of the zoo beside the same penalties
without normalization: the section's statement (`batchnorm_findings`) and its table of generator norm and
judge FD against each block's own baseline seeds (`batchnorm_table`). Every number is read from the index.
"""

from __future__ import annotations

import math

from normgen.words import fmt_lambda
from normgen.zoo.index import ZooIndex
from normgen.zoo.sweep_stats import find_sweep
from normgen.zoo.sweep_stats import lam_words as _lam
from normgen.zoo.sweep_stats import metric_getter as _m
from normgen.zoo.sweep_stats import point_stat as _stat
from normgen.zoo.sweep_stats import wstat_getter as _wstat
from normgen.zoo.verdicts import Stat, change, versus_spread


def _bn_cell(base: Stat, st: Stat, is_base: bool) -> str:
    """'40.5 (outside)': a sweep point's FD and where it lies against its own baseline's seeds."""
    if not st.ok:
        return "-"
    if is_base or len(base.vals) < 2 or base.hi <= base.lo:
        return st.fmt(compact=True)
    return f"{st.fmt(compact=True)} ({versus_spread(base, st.mean)})"


def batchnorm_table(index: ZooIndex, dataset: str) -> str:
    """Every penalty of the batch-norm GAN block beside the same penalty without normalization:
    generator norm and judge FD (inside / near / outside the seed spread of that block's baseline)."""
    rows: list[str] = []
    for kind in ("l1", "l2"):
        bn, plain = find_sweep(index, "gan", dataset, kind, g_norm="batch"), find_sweep(index, "gan", dataset, kind)
        if bn is None:
            continue
        for i, p in enumerate(bn.points):
            if i == 0 and rows:
                continue
            twin = None
            if plain is not None:
                twin = plain.points[0] if i == 0 else next(
                    (q for q in plain.points[1:] if math.isclose(q.lams[kind], p.lams[kind])), None)
            cells = ["0 (baseline)" if i == 0 else f"{kind.upper()} {fmt_lambda(p.lams[kind])}"]
            for sw, q in ((bn, p), (plain, twin)):
                if q is None:
                    cells += ["-", "-"]
                    continue
                norm = _stat(q, _wstat(sw.part, "l2"))
                cells += [norm.fmt(compact=True) if norm.ok else "-",
                          _bn_cell(_stat(sw.points[0], _m("fd")), _stat(q, _m("fd")), i == 0)]
            rows.append("| " + " | ".join(cells) + " |")
    if len(rows) < 2:
        return ""
    head = ("*Same steps and seeds with and without BatchNorm in the generator; in brackets, where the FD lies "
            "against the seed spread of its own λ = 0 baseline.*\n\n"
            "| penalty | BatchNorm: norm | BatchNorm: judge FD | no norm: norm | no norm: judge FD |\n"
            "|---|---|---|---|---|\n")
    return head + "\n".join(rows)


def batchnorm_findings(index: ZooIndex, dataset: str) -> list[str]:
    bn = find_sweep(index, "gan", dataset, "l2", g_norm="batch")
    if bn is None:
        return []
    last = bn.points[-1]
    n0, n1 = _stat(bn.points[0], _wstat(bn.part, "l2")), _stat(last, _wstat(bn.part, "l2"))
    fd0, fd1 = _stat(bn.points[0], _m("fd")), _stat(last, _m("fd"))
    if not (n0.ok and n1.ok and fd0.ok and fd1.ok):
        return []
    s = (f"GAN with BatchNorm in the generator, {_lam('l2', last)}: weight norm {n0.fmt()} → {n1.fmt()} "
         f"({n0.mean / max(n1.mean, 1e-12):.1f}x smaller), {change(fd0, fd1, 'judge FD')}.")
    plain = find_sweep(index, "gan", dataset, "l2")
    twin = next((p for p in (plain.points[1:] if plain else []) if math.isclose(p.lams["l2"], last.lams["l2"])), None)
    if twin is not None:
        f0, f1 = _stat(plain.points[0], _m("fd")), _stat(twin, _m("fd"))
        if f0.ok and f1.ok:
            s += f" Without BatchNorm, the same λ: {change(f0, f1, 'judge FD')}."
    why = ("A BatchNorm layer divides by the batch's standard deviation, so scaling the weights before it does "
           "not change its output: the penalty can shrink them without the samples noticing.")
    if len(fd0.vals) > 1 and fd0.hi > fd0.lo and fd0.lo <= fd1.mean <= fd0.hi:
        s += f" The samples did not change beyond the seed spread. {why}"
    elif len(fd0.vals) > 1 and fd0.hi > fd0.lo:
        s += (f" Here the samples did change beyond the seed spread, so BatchNorm did not fully hide the penalty "
              f"(theory: {why[0].lower()}{why[1:]})")
    else:
        s += f" With one BatchNorm baseline seed, the zoo cannot tell an effect from seed noise. Theory: {why}"
    table = batchnorm_table(index, dataset)
    return [s, table] if table else [s]

