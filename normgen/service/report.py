"""What changed between the baseline and the selected checkpoint, as numbers and as sentences
generated from those numbers (never typed in): weight sparsity and norms measured from the loaded
weights, judge metrics read from the zoo index with their seed-to-seed spread.

Text only: the caller (normgen.service.explorer) samples, measures and draws; this module words it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO, summarize
from normgen.models import family
from normgen.regularizers import LAMBDAS, PENALTIES, VARIANTS, variant_label
from normgen.render.figures import fmt_lambda
from normgen.service.inputs import dataset_label, model_label
from normgen.zoo.index import Entry, ZooIndex

BASELINE_LABEL = "Baseline: no penalty (λ = 0)"

# (key, label, format, lower_is_better) for the judge metrics the zoo may store per entry
METRICS = (
    ("fd", "FD to real test images (judge features; lower = closer)", "{:.2f}", True),
    ("confident_pct", "samples the judge classifies confidently", "{:.0f}%", False),
    ("class_entropy", "class entropy of the samples (higher = more classes)", "{:.2f}", False),
    ("within_class_div", "within-class diversity", "{:.3f}", False),
    ("rec_error", "reconstruction error on test images", "{:.4f}", True),
    ("elbo_test", "test ELBO", "{:.4f}", False),
    ("elbo_gap", "train − test ELBO gap", "{:.4f}", True),
)


@dataclass
class Summary:
    """The words of one Explore result: what the screen prints beside the two grids."""

    headline: str  # one sentence generated from the numbers
    details: str  # markdown: the numbers behind the headline
    note: str  # markdown: exact match / nearest / what is missing
    selected_label: str
    stats: dict[str, Any]  # the same numbers, JSON-ready (for API clients)


def lambda_terms(lams: Mapping[str, float], zeros: bool = False) -> list[str]:
    """'L1 λ = 1e-4', ... for every lambda in `lams` (with `zeros`) or every non-zero one, in the order
    of `regularizers.LAMBDAS`."""
    return [f"{PENALTIES[k].label} λ = {fmt_lambda(lams[k])}" for k in LAMBDAS
            if k in lams and (zeros or lams[k])]


def entry_lambdas(e: Entry) -> dict[str, float]:
    return {k: getattr(e, k) for k in LAMBDAS}


def describe(e: Entry) -> str:
    """'L1 λ = 1e-4 on the generator (in the loss)' or 'no penalty (λ = 0)'."""
    if e.is_baseline:
        return "no penalty (λ = 0)"
    return f"{' + '.join(lambda_terms(entry_lambdas(e)))} on the {e.target} ({variant_label(e.variant)})"


def seed_values(index: ZooIndex, e: Entry, key: str) -> list[float]:
    """`metrics[key]` of every training seed of `e`'s setting (same steps), finite values only."""
    same = index.find(model=e.model, dataset=e.dataset, g_norm=e.g_norm, d_norm=e.d_norm, l1=e.l1, l2=e.l2,
                      group=e.group, act=e.act, steps=e.steps)
    if not e.is_baseline:
        same = [x for x in same if x.target == e.target and x.variant == e.variant]
    vals = []
    for x in same:
        v = x.metrics.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v):
            vals.append(float(v))
    return vals


def spread_verdict(base: list[float], sel: list[float], fmt: str) -> tuple[str, dict[str, Any]]:
    """Compare the seed means against the seed-to-seed spread (the larger min-max range of the two).

    A difference no larger than that spread is reported as "not an effect".
    """
    ranges = [max(v) - min(v) for v in (base, sel) if len(v) >= 2]
    mb, ms = sum(base) / len(base), sum(sel) / len(sel)
    info: dict[str, Any] = {"baseline_seeds": base, "selected_seeds": sel, "difference": ms - mb}
    if not ranges:
        info["spread"] = None
        return ("only one training seed of each is in the zoo, so the seed-to-seed spread is unknown: "
                "treat a small difference with care"), info
    spread = max(ranges)
    info["spread"] = spread
    n = max(len(base), len(sel))
    diff = f"{ms - mb:+.3g}"
    if abs(ms - mb) <= spread:
        return (f"the change of the mean ({diff}) is within the seed-to-seed spread ({fmt.format(spread)} "
                f"over up to {n} seeds): **not an effect**"), info
    return (f"the change of the mean ({diff}) is larger than the seed-to-seed spread ({fmt.format(spread)} "
            f"over up to {n} seeds)"), info


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _pct(v: float) -> str:
    return f"{v:.1f}%" if v < 99.95 else "100%"


def totals(stats: dict[str, dict], parts: list[str]) -> dict[str, float]:
    """Weight statistics of `parts` together: `metrics.summarize` over all their layers."""
    return summarize({f"{p}.{k}": v for p in parts for k, v in stats[p]["layers"].items()})


def describe_change(index: ZooIndex, base: Entry, sel: Entry, parts: list[str], base_stats: dict[str, dict],
                    sel_stats: dict[str, dict], pixel_change: float, seed: int, exact: bool,
                    notes: list[str]) -> Summary:
    """Describe what changed between `base` and `sel`, from their measured weight statistics
    (`weight_stats` per part), the mean pixel change of their samples from noise `seed`, and the
    judge metrics the index holds; `exact` / `notes` say how the selection was made."""
    wb, ws = totals(base_stats, parts), totals(sel_stats, parts)
    where = " + ".join(parts)
    same = base.id == sel.id

    # the table: one row per measured quantity
    rows = [
        (f"near-zero weights (\\|w\\| < {NEAR_ZERO:g})", _pct(wb["near_zero_pct"]), _pct(ws["near_zero_pct"])),
        ("exactly-zero weights", _pct(wb["zero_pct"]), _pct(ws["zero_pct"])),
        (f"dead filters (‖W_f‖ < {DEAD_FILTER:g})", _pct(wb["dead_filter_pct"]), _pct(ws["dead_filter_pct"])),
        ("L1 norm Σ\\|w\\|", _num(wb["l1"]), _num(ws["l1"])),
        ("L2 norm ‖w‖", _num(wb["l2"]), _num(ws["l2"])),
    ]
    stats: dict[str, Any] = {
        "exact": exact, "noise_seed": seed, "parts": parts,
        "baseline": {"id": base.id, "weights": wb}, "selected": {"id": sel.id, "weights": ws,
                                                                 "l1": sel.l1, "l2": sel.l2, "target": sel.target,
                                                                 "variant": sel.variant},
        "mean_abs_pixel_change": pixel_change, "metrics": {},
    }
    verdicts = []
    for key, label, fmt, _ in METRICS:
        vb, vs = base.metrics.get(key), sel.metrics.get(key)
        if not isinstance(vb, (int, float)) or not isinstance(vs, (int, float)):
            continue
        rows.append((label, fmt.format(vb), fmt.format(vs)))
        sb, ss = seed_values(index, base, key) or [float(vb)], seed_values(index, sel, key) or [float(vs)]
        text, info = spread_verdict(sb, ss, fmt)
        stats["metrics"][key] = {"baseline": vb, "selected": vs, **info}
        if not same and key in ("fd", "rec_error", "elbo_gap"):
            verdicts.append(f"{label.split(' (')[0]} {fmt.format(vb)} → {fmt.format(vs)}: {text}.")
    fl = index.floors.get(sel.dataset, {})
    floor, real_conf = fl.get("fd"), fl.get("confident_pct")
    if isinstance(floor, (int, float)) and "fd" in stats["metrics"]:
        scale = f"For scale: real training images vs real test images score FD {floor:.2f}"
        if isinstance(real_conf, (int, float)):
            scale += f", and the judge is confident on {real_conf:.1f}% of those real images"
        verdicts.append(scale + ".")
    rows.append(("mean pixel change vs baseline (pixels span −1…1)", "—", f"{pixel_change:.3f}"))

    table = "| measured on the " + where + " | baseline (λ = 0) | selected |\n|---|---:|---:|\n"
    table += "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    details = table
    if verdicts:
        details += "\n\n" + "\n\n".join(f"- {v}" for v in verdicts)
    fam = family(sel.model)
    if sel.target not in (*fam.sampler_parts, "both") and not same:
        details += (f"\n\nThe penalty acts on the {sel.target} only: the {fam.sampler_part}'s weights change "
                    "only through training against it.")
    missing = [k for k, *_ in METRICS if k in ("fd", "rec_error") and k not in stats["metrics"]]
    if missing and not stats["metrics"]:
        details += "\n\nNo judge scores are stored for these checkpoints, so sample quality is not measured here."

    if same:
        headline = (f"λ = 0: this is the unregularized baseline ({_pct(wb['near_zero_pct'])} of the {where}'s "
                    "weights are near zero). Pick an L1 or L2 λ to see what a penalty changes.")
    else:
        headline = (f"{describe(sel)}: near-zero weights in the {where} {_pct(wb['near_zero_pct'])} → "
                    f"{_pct(ws['near_zero_pct'])}, weight norm ‖w‖ {wb['l2']:.3g} → {ws['l2']:.3g}")
        if abs(ws["zero_pct"] - wb["zero_pct"]) >= 0.05:
            headline += f", exactly zero {_pct(wb['zero_pct'])} → {_pct(ws['zero_pct'])}"
        if "fd" in stats["metrics"]:
            m = stats["metrics"]["fd"]
            headline += f"; FD {m['baseline']:.2f} → {m['selected']:.2f}"
            if m["spread"] is not None:
                headline += (" (within the seed-to-seed spread)" if abs(m["difference"]) <= m["spread"]
                             else " (larger than the seed-to-seed spread)")
        headline += "."
    title = f"{model_label(sel.model)} on {dataset_label(sel.dataset)}"
    # the default update rule (VARIANTS[0]: every penalty in the loss) goes without saying in the caption
    variant = "" if sel.variant == VARIANTS[0] else f", {variant_label(sel.variant)}"
    sel_label = "Selected: " + ("λ = 0 (the baseline again)" if same else " + ".join(lambda_terms(entry_lambdas(sel)))
                                + f" on the {sel.target}{variant}")
    note = "\n\n".join(notes) if notes else (f"{title}: this exact setting is in the zoo "
                                               f"(training seed {sel.seed}, {sel.steps} steps).")
    return Summary(headline=headline, details=details, note=note, selected_label=sel_label, stats=stats)
