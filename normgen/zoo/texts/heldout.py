"""Generalization beside Explore's comparison: training vs held-out images for an entry and its same-size
baseline, with the seed spread (the index's numbers; wording only, as normgen.zoo.texts.report).

The ELBO and, beside it, the importance-weighted bound (IWAE, k = 64: normgen.eval.likelihood); the
discriminator's logits; copying in the judge's features (normgen.eval.copying) and the pixel
nearest-neighbour share, named for what it measures (closeness in pixels, which blur raises).
"""

from __future__ import annotations

from typing import Any

from normgen.eval.copying import NEARER_THAN, REAL_SHARE
from normgen.eval.likelihood import K as IWAE_K
from normgen.words import fmt_num
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import generalization_rows, images_words, metric, of, per_image
from normgen.zoo.texts.report import describe, seed_entries
from normgen.zoo.verdicts import Effect, Stat

MEMO_WORDS = ("nearest neighbour in pixel space is a training image (50% = as near the training images as the "
              "held-out ones). It measures closeness in pixels: a blurry average lies near many training images at "
              "once, so blur raises it. It is not a measure of copying")
COPY_WORDS = ("Copying, as the data-copying literature measures it (Meehan et al. 2020), in the judge's features: "
              "the distance ratio is the median distance from a sample to its nearest training image over the "
              "same for new real (held-out) images (1 = as near as real data; well below 1 = copying); near-copies "
              f"are samples nearer a training image than {NEARER_THAN} of new real images are (real data: "
              f"{REAL_SHARE})")
IWAE_WORDS = (f"IWAE k={IWAE_K}: the importance-weighted bound (Burda et al. 2016) with {IWAE_K} samples of the "
              "code, on {n:,} images per set; log p(x) ≥ IWAE ≥ ELBO, so an ELBO rise larger than the IWAE's is the "
              "bound tightening, not the model improving")

# the quantities a verdict is given for: (metric, stored per pixel, what, word for a rise, for a fall, unit)
VERDICTS = (
    ("elbo_gap", True, "the train–test ELBO gap", "widened", "narrowed", " nats/image"),
    ("elbo_test", True, "the ELBO on held-out test images", "raised", "lowered", " nats/image"),
    ("iwae_gap", True, f"the train–test IWAE gap (k={IWAE_K})", "widened", "narrowed", " nats/image"),
    ("iwae_test", True, f"the IWAE bound (k={IWAE_K}) on held-out test images", "raised", "lowered", " nats/image"),
    ("d_gap", False, "the discriminator's gap between training and held-out images", "widened", "narrowed",
     " (mean logit)"),
    ("near_copy_pct", False, "near-copies of training images (judge features)", "raised", "lowered", "%"),
    ("memorization_pct", False, "the pixel nearest-neighbour share (closeness in pixels, not copying)", "raised",
     "lowered", "%"),
)


def _values(entries: list[Entry], get) -> list[float]:
    return [v for e in entries if (v := get(e)) is not None]


def _getter(key: str, per_pixel: bool):
    return per_image(key) if per_pixel else of(key)


def seeds_cell(vals: list[float]) -> str:
    """'71.6 (3 seeds: 68–74.2)': the mean over the seeds with their range; one seed: its value."""
    if not vals:
        return "—"
    mean = fmt_num(sum(vals) / len(vals))
    lo, hi = fmt_num(min(vals)), fmt_num(max(vals))
    if len(vals) == 1 or lo == hi:
        return f"{mean} ({len(vals)} seed{'s' if len(vals) > 1 else ''})"
    return f"{mean} ({len(vals)} seeds: {lo} to {hi})"


def _seeds(nb: int, ns: int) -> str:
    return f"{nb} seed{'s' if nb != 1 else ''} each" if nb == ns else f"{nb} and {ns} seeds"


def verdict(who: str, what: str, up: str, down: str, unit: str, base: list[float], sel: list[float],
            gap: bool = False) -> str:
    """'L2 λ = 1e-3 ... narrowed the train–test ELBO gap from 71.6 to 18 nats/image, beyond the seed
    spread (3 seeds each)', from the seed means; 'within the seed spread' when the difference is not
    larger than the wider min-max range or the ranges overlap (verdicts.Effect). A `gap` rises or falls
    by its size, whatever its sign."""
    eff = Effect(Stat(base), Stat(sel))
    a, b = fmt_num(eff.base.mean), fmt_num(eff.point.mean)
    span = f"from {a}% to {b}%" if unit == "%" else f"from {a} to {b}{unit}"
    # a gap widens or narrows by its size, whichever its sign (a negative one: held-out images fit better)
    change = abs(eff.point.mean) - abs(eff.base.mean) if gap else eff.diff
    verb = "left" if change == 0 else (up if change > 0 else down)
    s = f"{who} {verb} {what} {'at ' + a + unit if eff.diff == 0 else span}"
    seeds = _seeds(len(base), len(sel))
    if not eff.measurable:
        return f"{s}; with {seeds} there is no seed spread to judge it by."
    if eff.beyond:
        return f"{s}, beyond the seed spread ({seeds})."
    return f"{s}, within the seed spread ({seeds}): not an effect."


def panel(index: ZooIndex, base: Entry, sel: Entry) -> tuple[str, dict[str, Any]]:
    """Markdown and JSON of the generalization numbers of `sel` beside its same-size baseline `base`
    (every training seed of each setting), or ("", {}) when the index has none for these entries."""
    rows = [(label, get) for label, get in generalization_rows(sel.model)
            if get(sel) is not None or get(base) is not None]
    if not rows:
        return "", {}
    same = base.id == sel.id
    bs, ss = seed_entries(index, base) or [base], seed_entries(index, sel) or [sel]
    m = metric(sel, "gen_m") or metric(base, "gen_m")
    head = f"#### Generalization on {images_words(sel.train_size)}: training vs held-out test images"
    cols = "| | this setting |\n|---|---:|\n" if same else "| | baseline (λ = 0) | selected |\n|---|---:|---:|\n"
    stats: dict[str, Any] = {"train_size": sel.train_size, "comparison_images": m, "rows": {}}
    lines = []
    for label, get in rows:
        vb, vs = _values(bs, get), _values(ss, get)
        stats["rows"][label] = {"baseline_seeds": vb, "selected_seeds": vs}
        lines.append(f"| {label} | {seeds_cell(vs)} |" if same else
                     f"| {label} | {seeds_cell(vb)} | {seeds_cell(vs)} |")
    text = f"{head}\n\n{cols}" + "\n".join(lines)
    text += ("\n\nEach cell: the mean over the training seeds the zoo has for that setting, with their "
             "min-max range.")
    if (k := metric(sel, "iwae_n") or metric(base, "iwae_n")) is not None:
        text += " " + IWAE_WORDS.format(n=int(k)) + "."
    if metric(sel, "near_copy_pct") is not None or metric(base, "near_copy_pct") is not None:
        text += f" {COPY_WORDS}."
    if metric(sel, "memorization_pct") is not None and m:
        text += (f" Pixel NN share: the share of generated samples whose {MEMO_WORDS}; measured among "
                 f"{m:,.0f} training images and {m:,.0f} held-out test images.")
    shown = {e.id: e for e in (*bs, *ss)}.values()  # a setting shown beside itself counts once
    lacking = sum("discriminator" not in e.parts for e in shown if metric(e, "d_gap") is not None)
    if lacking:
        text += (f" The D rows were measured when the zoo was built: {lacking} of these files store no "
                 "discriminator, so a download cannot check them.")
        stats["d_rows_unverifiable"] = lacking
    if not same:
        said = []
        for key, per_pixel, what, up, down, unit in VERDICTS:
            get = _getter(key, per_pixel)
            vb, vs = _values(bs, get), _values(ss, get)
            if vb and vs:
                said.append(verdict(describe(sel), what, up, down, unit, vb, vs, gap=key.endswith("gap")))
                if "headline" not in stats and key.endswith("gap"):
                    stats["headline"] = gap_clause(what, unit, vb, vs)
        stats["verdicts"] = said
        if said:
            text += "\n\n" + "\n".join(f"- {v}" for v in said)
    return text, stats


def gap_clause(what: str, unit: str, base: list[float], sel: list[float]) -> str:
    """'train–test ELBO gap 71.7 → 43.9 nats/image (beyond the seed spread)': the headline's words."""
    eff = Effect(Stat(base), Stat(sel))
    where = ("no seed spread yet" if not eff.measurable else
             "beyond the seed spread" if eff.beyond else "within the seed spread")
    return f"{what.removeprefix('the ')} {fmt_num(eff.base.mean)} → {fmt_num(eff.point.mean)}{unit} ({where})"
