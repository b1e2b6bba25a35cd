"""What changed between the baseline and the selected checkpoint, as numbers and as sentences
generated from those numbers (never typed in): weight sparsity and norms measured from the loaded
weights, judge metrics read from the zoo index with their seed-to-seed spread.
"""

from __future__ import annotations

import math
from typing import Any

from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO
from normgen.service.explorer import (
    ExploreResult,
    Selection,
    describe,
    diff_image,
    figures,
    grid_image,
    sample_pair,
    shown_parts,
    weight_stats,
)
from normgen.service.inputs import DATASET_LABELS, MODEL_LABELS, fmt_lambda
from normgen.zoo.index import Entry, ZooIndex

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


def _totals(stats: dict[str, dict], parts: list[str]) -> dict[str, float]:
    """Weight statistics summed over `parts` (percentages weighted by weight / filter counts)."""
    rows = [stats[p]["total"] for p in parts]
    n = sum(r["n"] for r in rows) or 1
    filt = [(r["dead_filter_pct"], sum(s["filters"] for s in stats[p]["layers"].values())) for r, p in
            zip(rows, parts, strict=True)]
    nf = sum(c for _, c in filt) or 1
    return {
        "n": n,
        "near_zero_pct": sum(r["near_zero_pct"] * r["n"] for r in rows) / n,
        "zero_pct": sum(r["zero_pct"] * r["n"] for r in rows) / n,
        "l1": sum(r["l1"] for r in rows),
        "l2": math.sqrt(sum(r["l2"] ** 2 for r in rows)),
        "dead_filter_pct": sum(p * c for p, c in filt) / nf,
    }


def summarize(index: ZooIndex, s: Selection, seed: int) -> ExploreResult:
    """Sample both checkpoints from the same noise and describe what changed."""
    base, sel = s.baseline, s.selected
    assert base is not None and sel is not None
    xb, xs, nrow = sample_pair(index, s, seed)
    from normgen.zoo.index import load_entry

    model = load_entry(sel, index.root).model
    parts = shown_parts(sel, model)
    wb, ws = _totals(weight_stats(index, base), parts), _totals(weight_stats(index, sel), parts)
    pixel_change = float((xs - xb).abs().mean())
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
        "exact": s.exact, "noise_seed": seed, "parts": parts,
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
    if sel.target == "discriminator" and not same:
        details += ("\n\nThe penalty acts on the discriminator only: the generator's weights change "
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
    title = f"{MODEL_LABELS[sel.model]} on {DATASET_LABELS[sel.dataset]}"
    pair = (str(index.root), base.id, base.sha256, sel.id, sel.sha256)
    keys = {"baseline": (str(index.root), base.id, base.sha256, seed), "selected": (str(index.root), sel.id,
                                                                                    sel.sha256, seed),
            "diff": (*pair, seed, "diff"), **{k: (*pair, tuple(parts), k) for k in ("weights", "layers", "classes")}}
    short = {"loss": "", "proximal": ", proximal", "decoupled": ", decoupled"}.get(sel.variant, f", {sel.variant}")
    sel_label = "Selected: " + ("λ = 0 (the baseline again)" if same else " + ".join(
        f"{n} λ = {fmt_lambda(v)}" for n, v in (("L1", sel.l1), ("L2", sel.l2), ("group", sel.group)) if v)
        + f" on the {sel.target}{short}")
    return ExploreResult(
        baseline_image=grid_image(xb, nrow=nrow, scale=3), selected_image=grid_image(xs, nrow=nrow, scale=3),
        diff_image=diff_image(xb, xs, nrow), baseline_label="Baseline: no penalty (λ = 0)",
        selected_label=sel_label, headline=headline, details=details,
        note="\n\n".join(s.notes) if s.notes else (f"{title}: this exact setting is in the zoo "
                                                    f"(training seed {sel.seed}, {sel.steps} steps)."),
        exact=s.exact, stats=stats, figures=figures(index, base, sel, parts), keys=keys)
