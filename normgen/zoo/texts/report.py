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

from normgen.data import dataset_label
from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO, summarize
from normgen.eval.ruler import placement, rung_label
from normgen.losses import LOSS_SETTING_WORDS, loss_setting
from normgen.models import family, model_label
from normgen.regularizers import LAMBDAS, PENALTIES, VARIANTS, variant_label
from normgen.words import fmt_lambda, pct, pct_fine
from normgen.zoo import coverage
from normgen.zoo.colour import sigma_words
from normgen.zoo.index import Entry, ZooIndex, family_dropout
from normgen.zoo.readings import (
    dropout_words,
    images_words,
    metric,
    of,
    stat,
)
from normgen.zoo.verdicts import Effect, Stat, seeds_words

BASELINE_LABEL = "Baseline: no penalty (λ = 0)"
BASELINE_LOSS_LABEL = "Baseline: non-saturating loss (λ = 0)"  # beside an entry trained with another loss

# (key, label, format, lower_is_better) for the judge metrics the zoo may store per entry
METRICS = (
    ("fd", "FD to real test images (judge features; lower = closer)", "{:.2f}", True),
    ("fd2", "FD under a second judge (another architecture and seed)", "{:.2f}", True),
    ("confident_pct", "samples the judge classifies confidently", "{:.0f}%", False),
    ("class_entropy", "class entropy of the samples (higher = more classes)", "{:.2f}", False),
    ("within_class_div", "within-class diversity", "{:.3f}", False),
    ("rec_error", "reconstruction error on test images", "{:.4f}", True),
)  # the ELBOs, the D gap and memorization: `panel` below (nats per image, with the seed spread)


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


def dropout_term(e: Entry) -> str:
    """'dropout 0.2 in the encoder and decoder', or '' without dropout beyond the family's own (the colour
    DCGAN's discriminator always has the sources' 0.3)."""
    extra = e.dropout and e.dropout != family_dropout(e.model)
    return f"dropout {e.dropout:g} in {dropout_words(e.model)}" if extra else ""


def loss_term(e: Entry) -> str:
    """'Wasserstein + weight clipping' for an entry trained with another adversarial loss than the
    non-saturating one ('' for that one)."""
    name = loss_setting(*e.setting[:2])
    return "" if name in (None, "ns") else LOSS_SETTING_WORDS[name]


def describe(e: Entry, loss: bool = True) -> str:
    """'L1 λ = 1e-4 on the generator (in the loss)', 'dropout 0.2 in the discriminator', both joined by
    ' + ', or 'no penalty (λ = 0)'; with `loss`, prefixed by the adversarial loss when it is not the
    non-saturating one ('Wasserstein + gradient penalty, no L1 / L2 penalty (λ = 0)')."""
    prefix = f"{loss_term(e)}, " if loss and loss_term(e) else ""
    if e.is_baseline:
        return prefix + ("no L1 / L2 penalty (λ = 0)" if prefix else "no penalty (λ = 0)")
    terms = lambda_terms(entry_lambdas(e))
    penalty = f"{' + '.join(terms)} on the {e.target} ({variant_label(e.variant)})" if terms else ""
    return prefix + " + ".join(t for t in (penalty, dropout_term(e)) if t)


def size_words(e: Entry) -> str:
    """', 300 training images' for an entry trained on a subset ('' for the whole training split)."""
    return f", {images_words(e.train_size)}" if e.train_size else ""


def seed_entries(index: ZooIndex, e: Entry) -> list[Entry]:
    """Every training seed of `e`'s setting: same model, data (and training-set size), normalizations,
    lambdas, dropout and steps; for a regularized entry also the same target and update rule."""
    same = index.find(model=e.model, dataset=e.dataset, g_norm=e.g_norm, d_norm=e.d_norm, l1=e.l1, l2=e.l2,
                      group=e.group, act=e.act, steps=e.steps, train_size=e.train_size, dropout=e.dropout)
    if not e.is_baseline:
        same = [x for x in same if x.target == e.target and x.variant == e.variant]
    return [x for x in same if x.setting == e.setting]  # another loss or layer scope is another setting


def spread_verdict(base: Stat, sel: Stat, fmt: str) -> tuple[str, dict[str, Any]]:
    """Compare the seed means against the seed-to-seed spread (the wider min-max range of the two) and
    the sampling spread (the widest range over noise draws), by the one rule of `verdicts.Effect`: an
    effect only when the difference is larger than both and the seed ranges do not overlap."""
    eff = Effect(base, sel)
    info: dict[str, Any] = {"baseline_seeds": base.vals, "selected_seeds": sel.vals, "difference": eff.diff,
                            "spread": eff.spread if eff.measurable else None,
                            "sampling_spread": eff.sampling or None, "beyond": eff.beyond,
                            "seeds": [base.n, sel.n], "judges_disagree": eff.disagree}
    diff = f"{eff.diff:+.3g}"
    noise = f" and the sampling spread ({fmt.format(eff.sampling)} over noise draws)" if eff.sampling else ""
    if not eff.measurable:
        return ("only one training seed of the baseline is in the zoo, so the seed-to-seed spread is unknown: "
                "treat a small difference with care"), info
    seeds = f"the seed-to-seed spread ({fmt.format(eff.spread)}; {eff.seeds}){noise}"
    mean = f"over the training seeds the mean goes {fmt.format(base.mean)} → {fmt.format(sel.mean)} ({diff})"
    two = eff.second
    if two is not None:
        info["second_judge"] = {"baseline_seeds": two.base.vals, "selected_seeds": two.point.vals,
                                "beyond": two.beyond_first}
        said = (f"the second judge reads {fmt.format(two.base.mean)} → {fmt.format(two.point.mean)}, "
                f"{'beyond' if two.beyond_first else 'within'} its own spread")
        if eff.disagree:
            first = "larger than" if eff.beyond_first else "within"
            return (f"{mean}, {first} {seeds} under the first judge, but {said}: **judges disagree**, not called an "
                    "effect"), info
        if eff.beyond:
            return f"{mean}, larger than {seeds}, and {said}: both judges agree", info
        return f"{mean}, within {seeds}, and {said}: **not an effect**", info
    if eff.beyond:
        return f"{mean}, larger than {seeds}", info
    return f"{mean}, within {seeds}: **not an effect**", info


# plain words for the first line of a comparison (issue 13: "sparser, still digits", "mode collapse")
def classes(e: Entry) -> tuple[float, int] | None:
    """(class entropy, classes) of an entry's samples by the judge, None when the index has neither."""
    ent, hist = metric(e, "class_entropy"), e.metrics.get("class_hist")
    return (ent, len(hist)) if ent is not None and isinstance(hist, list) and len(hist) > 1 else None


def looks(base: Entry, sel: Entry) -> str:
    """What `sel`'s samples look like against `base`'s, in measured words (coverage.picture_words, compact);
    '' where the index has not measured them."""
    v = {k: (metric(base, k), metric(sel, k)) for k in ("pixel_spread", "ink_pct", "asked_pct")}
    if any(x is None for x in (*v["pixel_spread"], *v["ink_pct"])):
        return ""
    (s0, s1), (i0, i1), (a0, a1) = v["pixel_spread"], v["ink_pct"], v["asked_pct"]
    asked = (a1, a0) if a0 is not None and a1 is not None else (None, None)
    return coverage.picture_words(s1, i1, s0, i0, *asked, compact=True)  # type: ignore[arg-type]


def plain_verdict(index: ZooIndex, base: Entry, sel: Entry, wb: dict[str, float], ws: dict[str, float]) -> str:
    """One short verdict a first-year student can read, from measured numbers only: mode collapse first
    (the one rule of normgen.zoo.coverage; it makes every other number meaningless), then what happened
    to the weights, then to the samples, judged against the seed and the sampling spread."""
    cls = classes(sel)
    if cls is not None and coverage.collapsed(*cls):
        s = (f"Mode collapse: the samples cover {coverage.effective_classes(cls[0]):.1f} of {cls[1]} classes "
             f"(class entropy {cls[0]:.2f} of a possible {math.log(cls[1]):.2f})")
        if look := looks(base, sel):
            s += f"; {look}"
        conf = metric(sel, "confident_pct")
        if conf is not None and conf >= 50:
            s += f". The judge is confident on {conf:.0f}% of them: the same few shapes repeated, not good samples"
        return s + "."
    dz = ws["near_zero_pct"] - wb["near_zero_pct"]
    if dz >= 5:
        words = [f"sparser (near-zero weights {pct(wb['near_zero_pct'])} → {pct(ws['near_zero_pct'])})"]
    elif wb["l2"] > 0 and ws["l2"] < 0.8 * wb["l2"]:
        words = [f"smaller weights (‖w‖ {wb['l2']:.3g} → {ws['l2']:.3g})"]
    elif wb["l2"] > 0 and ws["l2"] > 1.25 * wb["l2"]:
        words = [f"larger weights (‖w‖ {wb['l2']:.3g} → {ws['l2']:.3g})"]
    else:
        words = ["weights about the same size"]
    eff = Effect(stat(seed_entries(index, base) or [base], of("fd")),
                 stat(seed_entries(index, sel) or [sel], of("fd")))
    if eff.ok:
        if not eff.measurable:
            words.append("sample quality: one baseline seed, no spread to judge by")
        elif eff.disagree:
            words.append(f"sample quality: the two judges disagree, so no FD effect is called ({eff.seeds})")
        elif eff.beyond:
            both = ", both judges" if eff.second is not None else ""
            words.append(f"samples less like real images (FD up beyond the seed and noise spread{both}; {eff.seeds})"
                         if eff.diff > 0 else
                         f"samples closer to real images (FD down beyond the seed and noise spread{both}; "
                         f"{eff.seeds})")
        else:
            words.append(f"samples within seed noise of the baseline ({eff.seeds})")
    if cls is not None:
        words.append(f"still as varied as {coverage.effective_classes(cls[0]):.1f} of {cls[1]} classes")
    text = ", ".join(words)
    return text[0].upper() + text[1:] + "."


# what the samples look like, as the index measured them (normgen.eval.quality.picture_stats, asked_pct)
PICTURE_ROWS = (("ink_pct", "ink: pixels brighter than mid-grey", "{:.1f}%"),
                ("pixel_spread", "spread across samples per pixel (0 = one picture repeated)", "{:.3g}"),
                ("asked_pct", "samples the judge reads as the asked class", "{:.1f}%"))


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def totals(stats: dict[str, dict], parts: list[str]) -> dict[str, float]:
    """Weight statistics of `parts` together: `metrics.summarize` over all their layers."""
    return summarize({f"{p}.{k}": v for p in parts for k, v in stats[p]["layers"].items()})


def describe_change(index: ZooIndex, base: Entry, sel: Entry, parts: list[str], wb: dict[str, float],
                    ws: dict[str, float], pixel_change: float, seed: int, exact: bool,
                    notes: list[str]) -> Summary:
    """Describe what changed between `base` and `sel`, from their weight statistics over `parts` (`wb`,
    `ws`: `totals`-shaped; the index's figures of the stored files where it has them, see
    explore_figures.entry_totals),
    the mean pixel change of their samples from noise `seed`, and the judge metrics the index holds;
    `exact` / `notes` say how the selection was made."""
    where = " + ".join(parts)
    same = base.id == sel.id

    # the table: one row per measured quantity
    rows = [
        (f"near-zero weights (\\|w\\| < {NEAR_ZERO:g})", pct(wb["near_zero_pct"]), pct(ws["near_zero_pct"])),
        ("exactly-zero weights", pct_fine(wb["zero_pct"]), pct_fine(ws["zero_pct"])),
        (f"dead filters (‖W_f‖ < {DEAD_FILTER:g})", pct(wb["dead_filter_pct"]), pct(ws["dead_filter_pct"])),
        ("L1 norm Σ\\|w\\|", _num(wb["l1"]), _num(ws["l1"])),
        ("L2 norm ‖w‖", _num(wb["l2"]), _num(ws["l2"])),
    ]
    stats: dict[str, Any] = {
        "exact": exact, "noise_seed": seed, "parts": parts,
        "baseline": {"id": base.id, "weights": wb, "train_size": base.train_size},
        "selected": {"id": sel.id, "weights": ws, "l1": sel.l1, "l2": sel.l2, "target": sel.target,
                     "variant": sel.variant, "train_size": sel.train_size, "dropout": sel.dropout},
        "mean_abs_pixel_change": pixel_change, "metrics": {},
    }
    verdicts = []
    for key, label, fmt, _ in METRICS:
        vb, vs = base.metrics.get(key), sel.metrics.get(key)
        if not isinstance(vb, (int, float)) or not isinstance(vs, (int, float)):
            continue
        rows.append((label, fmt.format(vb), fmt.format(vs)))
        if key == "confident_pct" and (cb := classes(base)) and (cs := classes(sel)):
            rows.append(("classes the samples cover, exp(entropy) (confident ≠ good: a collapsed model repeats "
                         "one clean shape)", f"{coverage.effective_classes(cb[0]):.1f} of {cb[1]}",
                         f"{coverage.effective_classes(cs[0]):.1f} of {cs[1]}"))
        sb = stat(seed_entries(index, base) or [base], of(key))
        ss = stat(seed_entries(index, sel) or [sel], of(key))
        sb, ss = (sb if sb.ok else Stat([float(vb)])), (ss if ss.ok else Stat([float(vs)]))
        text, info = spread_verdict(sb, ss, fmt)
        stats["metrics"][key] = {"baseline": vb, "selected": vs, **info}
        if not same and key in ("fd", "rec_error"):
            files = (f"training seed {base.seed}'s files" if base.seed == sel.seed else
                     f"the files of training seeds {base.seed} and {sel.seed}")
            verdicts.append(f"{label.split(' (')[0]} {fmt.format(vb)} → {fmt.format(vs)} ({files}); {text}.")
    fl = index.floors.get(sel.dataset, {})
    floor, real_conf = fl.get("fd"), fl.get("confident_pct")
    if isinstance(floor, (int, float)) and "fd" in stats["metrics"]:
        scale = f"For scale: real training images vs real test images score FD {floor:.2f}"
        if isinstance(real_conf, (int, float)):
            scale += f", and the judge is confident on {real_conf:.1f}% of those real images"
        verdicts.append(scale + ".")
        if rungs := fl.get("ruler"):  # where the FD lands between real photos and noise (normgen.eval.ruler)
            where_fd = placement(float(stats["metrics"]["fd"]["selected"]), rungs)
            verdicts.append(f"On this judge's ruler the selected samples land {where_fd}; "
                            + ", ".join(f"{rung_label(k)} {v:.1f}" for k, v in rungs.items()) + ".")
    for key, label, fmt in PICTURE_ROWS:
        vb, vs = metric(base, key), metric(sel, key)
        if vb is not None and vs is not None:
            rows.append((label, fmt.format(vb), fmt.format(vs)))
    if base.extra.get("sigma_max") or sel.extra.get("sigma_max"):  # what spectral norm holds at 1
        rows.append(("discriminator's largest singular value per layer", sigma_words(base), sigma_words(sel)))
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
        on = f" on {images_words(sel.train_size)}" if sel.train_size else ""
        headline = (f"λ = 0: this is the unregularized baseline{on} "
                    f"({pct(wb['near_zero_pct'])} of the {where}'s weights are near zero). "
                    "Pick an L1 or L2 λ to see what a penalty changes.")
    else:
        headline = (f"**{plain_verdict(index, base, sel, wb, ws)}** {describe(sel)}: near-zero weights in the "
                    f"{where} {pct(wb['near_zero_pct'])} → "
                    f"{pct(ws['near_zero_pct'])}, weight norm ‖w‖ {wb['l2']:.3g} → {ws['l2']:.3g}")
        if abs(ws["zero_pct"] - wb["zero_pct"]) >= 0.05:
            headline += f", exactly zero {pct_fine(wb['zero_pct'])} → {pct_fine(ws['zero_pct'])}"
        if "fd" in stats["metrics"]:
            m = stats["metrics"]["fd"]
            headline += f"; FD {m['baseline']:.2f} → {m['selected']:.2f}"
            nb, ns = m["seeds"]
            seeds = seeds_words(nb) + " each" if nb == ns else f"{nb} and {seeds_words(ns)}"
            if m["spread"] is not None:
                headline += (f" (judges disagree; {seeds})" if m.get("judges_disagree") else
                             f" (larger than the seed-to-seed and sampling spread; {seeds})" if m["beyond"]
                             else f" (within the seed-to-seed or sampling spread; {seeds})")
        headline += "."
    title = f"{model_label(sel.model)} on {dataset_label(sel.dataset)}"
    # the default update rule (VARIANTS[0]: every penalty in the loss) goes without saying in the caption
    variant = "" if sel.variant == VARIANTS[0] else f", {variant_label(sel.variant)}"
    terms = " + ".join(lambda_terms(entry_lambdas(sel)))
    what = " + ".join(t for t in ((f"{terms} on the {sel.target}{variant}" if terms else ""),
                                  dropout_term(sel)) if t)
    if loss_term(sel):  # the caption above the grid: short ('Wasserstein + weight clipping (λ = 0)')
        what = f"{loss_term(sel)}, {what}" if what else f"{loss_term(sel)} (λ = 0)"
    sel_label = "Selected: " + ("λ = 0 (the baseline again)" if same else what) + size_words(sel)
    note = "\n\n".join(notes) if notes else (f"{title}: this exact setting is in the zoo "
                                               f"(training seed {sel.seed}, {sel.steps} steps{size_words(sel)}).")
    return Summary(headline=headline, details=details, note=note, selected_label=sel_label, stats=stats)
