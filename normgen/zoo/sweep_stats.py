"""A sweep's numbers, as the findings and the lessons read them: which sweep the zoo has for a setting
(`find_sweep`), a sweep point's statistic over its training seeds with its sampling spread
(`point_stat`, with getters of a weight statistic or an index metric), the smallest λ whose samples
collapse (`collapse_point`), the words for what the pictures show (`pictures`) and a sweep's table
(`axis_table`). Every number is read from the zoo index.
"""

from __future__ import annotations

from normgen.data import class_names
from normgen.models import family
from normgen.words import fmt_lambda
from normgen.zoo import sweeps as S
from normgen.zoo.coverage import collapsed, picture_words
from normgen.zoo.index import ZooIndex
from normgen.zoo.readings import of, weight_stat
from normgen.zoo.readings import stat as seed_stat
from normgen.zoo.verdicts import Stat


def point_stat(point: S.SweepPoint, get) -> Stat:
    """`get` over the point's training seeds, with its sampling spread (noise redrawn) where measured."""
    return seed_stat(point.entries, get)


def wstat_getter(part: str, name: str):
    """A getter of the weight statistic `name` of `part` (near_zero_pct, zero_pct, l2, dead_filter_pct)."""
    return lambda e: weight_stat(e, part, name)


def metric_getter(name: str):
    """A getter of the index metric `name` that carries its name (for the sampling spread)."""
    return of(name)


def find_sweep(index: ZooIndex, model: str, dataset: str, kind: str, g_norm: str = "none",
               target: str | None = None, variant: str = "loss") -> S.Sweep | None:
    """The largest full-data sweep (all training images, no dropout) of `kind` with a baseline for these
    settings, or None. The small-data block has its own section (normgen.zoo.small_data)."""
    target = target or family(model).sampler_part
    cands = [s for s in S.list_sweeps(index, model, dataset)
             if (s.key.kind, s.key.g_norm, s.key.target, s.key.variant) == (kind, g_norm, target, variant)
             and not (s.key.train_size or s.key.dropout) and s.has_baseline and len(s.points) > 1]
    return max(cands, key=lambda s: len(s.points)) if cands else None


def pictures(base: S.SweepPoint, p: S.SweepPoint, compact: bool = False) -> str:
    """coverage.picture_words for point `p` against the baseline (means over seeds), '' where not measured."""
    get = {k: (point_stat(base, metric_getter(k)), point_stat(p, metric_getter(k)))
           for k in ("pixel_spread", "ink_pct", "asked_pct")}
    if not all(a.ok and b.ok for a, b in (get["pixel_spread"], get["ink_pct"])):
        return ""
    (s0, s1), (i0, i1), (a0, a1) = get["pixel_spread"], get["ink_pct"], get["asked_pct"]
    asked = (a1.mean, a0.mean) if a0.ok and a1.ok else (None, None)
    return picture_words(s1.mean, i1.mean, s0.mean, i0.mean, *asked, compact=compact)


def lam_words(kind: str, p: S.SweepPoint) -> str:
    """'L1 λ=1e-4': the penalty of sweep point `p`."""
    return f"{kind.upper()} λ={fmt_lambda(p.lams[kind])}"


def collapsed_baseline(sweep: S.Sweep) -> Stat | None:
    """The baseline's class entropy when it is itself below COLLAPSE * ln K (else None)."""
    k = len(class_names(sweep.dataset)) or 10
    h = point_stat(sweep.points[0], metric_getter("class_entropy"))
    return h if h.ok and collapsed(h.mean, k) else None


def collapse_point(sweep: S.Sweep) -> S.SweepPoint | None:
    """The smallest lambda whose mean class entropy is below COLLAPSE * ln K (None if none does, or when
    the baseline itself is that low: then lambda cannot be blamed)."""
    k = len(class_names(sweep.dataset)) or 10
    if collapsed_baseline(sweep) is not None:
        return None
    for p in sweep.points[1:]:
        h = point_stat(p, metric_getter("class_entropy"))
        if h.ok and collapsed(h.mean, k):
            return p
    return None


def axis_table(sweep: S.Sweep) -> str:
    """A markdown table of one sweep: lambda, sparsity, norm, FD (and entropy / reconstruction)."""
    part = sweep.part
    cols = [("near-zero %", wstat_getter(part, "near_zero_pct"), ".1f"),
            ("exactly 0 %", wstat_getter(part, "zero_pct"), ".2f"), (f"{part} norm", wstat_getter(part, "l2"), ".3g"),
            ("judge FD", metric_getter("fd"), ".3g"),
            ("class entropy", metric_getter("class_entropy"), ".2f"), ("rec. error", metric_getter("rec_error"), ".3g")]
    cols = [c for c in cols if any(point_stat(p, c[1]).ok for p in sweep.points)]
    seeds = sorted({len(p.entries) for p in sweep.points if len(p.entries) > 1})
    lam = f"{sweep.key.kind.upper()} λ"
    counts = " or ".join(str(n) for n in seeds)
    rows = ([f"*Mean over training seeds, [min-max] where a λ has {counts} seeds.*", ""] if seeds else [])
    rows += [f"| {lam} | " + " | ".join(c[0] for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for p in sweep.points:
        cells = [point_stat(p, get).fmt(spec, compact=True) if point_stat(p, get).ok else "-" for _, get, spec in cols]
        rows.append(f"| {fmt_lambda(p.lams[sweep.key.kind])} | " + " | ".join(cells) + " |")
    return "\n".join(rows)

