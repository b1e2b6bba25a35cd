"""The Translate tab's content, without gradio: the zoo's translators (the cycle GAN), each drawn as rows
a | G(a) | F(G(a)) | ground truth from the same inputs, their measured scores, and sentences written
from those scores (nothing here is a textbook claim: every number is read from the index).

Every entry of a translating family is one *setting* (λ_cyc, cycle norm, weight penalty, seed). The
baseline is λ_cyc 10 with the L1 cycle norm and no penalty; the λ_cyc axis (0, 1, 10) is the sweep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from normgen.data import dataset_label
from normgen.engine.sampling import ROW_LABELS, translation_rows
from normgen.models import MODEL_NAMES, family
from normgen.render.grids import grid_image
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.verdicts import Effect, Stat, seeds_words

SCALE = 2  # pixels per image pixel in the rows pictures
# the scores the table shows: (metric key, column header, format)
COLUMNS = (("translation_l1", "error vs truth (L1/pixel)", "{:.3f}"), ("cycle_l1", "cycle error a→G→F (L1)", "{:.3f}"),
           ("class_agreement", "same digit after G (%)", "{:.1f}"), ("fd", "FD vs bold digits", "{:.1f}"),
           ("grey_pct", "grey pixels in G(a) (%)", "{:.1f}"))
# how a rise and a fall of each of those scores read (normgen.zoo.verdicts.Effect.words)
RISE_WORDS = {"translation_l1": ("higher", "lower"), "cycle_l1": ("higher", "lower"),
              "class_agreement": ("more", "fewer"), "fd": ("higher", "lower"), "grey_pct": ("more", "fewer")}


def translators(index: ZooIndex, dataset: str | None = None) -> list[Entry]:
    """The index's entries of translating families (of `dataset` when given), in a stable order: the
    baseline first, then by λ_cyc, cycle norm, penalty and seed."""
    out = [e for e in index.entries if e.model in _translating() and (dataset is None or e.dataset == dataset)]
    return sorted(out, key=lambda e: (not e.is_baseline, -lam_cyc(e), norm(e), e.l1, e.l2, e.seed))


def _translating() -> set[str]:
    return {m for m in MODEL_NAMES if family(m).translates}


def lam_cyc(e: Entry) -> float:
    return float(e.extra.get("lambda_cyc", 10.0))


def norm(e: Entry) -> str:
    return str(e.extra.get("cycle_norm", "l1"))


def setting_label(e: Entry) -> str:
    """e.g. 'λ_cyc 10, cycle L1, no penalty, seed 0'."""
    pen = [f"L1 {e.l1:g}" for _ in [0] if e.l1] + [f"L2 {e.l2:g}" for _ in [0] if e.l2]
    where = f" on {'G and F' if e.target == 'generator' else e.target}" if pen else ""
    return (f"λ_cyc {lam_cyc(e):g}, cycle {norm(e).upper()}, {' + '.join(pen) + where if pen else 'no penalty'}, "
            f"seed {e.seed}")


def rows_picture(e: Entry, root: str | Path | None, n: int = 6, seed: int = 0) -> Image.Image:
    """The entry's rows a | G(a) | F(G(a)) | truth for n inputs chosen by `seed` (the same for every entry)."""
    model = load_entry(e, root).model
    return grid_image(translation_rows(model, n, seed), nrow=len(ROW_LABELS), scale=SCALE)


def kept_inputs(e: Entry, root: str | Path | None) -> int:
    """How many domain-A training images the entry's checkpoint keeps to draw its rows from (its own count)."""
    return int(load_entry(e, root).model.generator.probe.shape[0])


def score_table(entries: list[Entry]) -> list[list[Any]]:
    """One row per entry: its setting, then COLUMNS (blank where a score is missing)."""
    rows = []
    for e in entries:
        m = e.metrics
        rows.append([setting_label(e)] + [fmt.format(m[k]) if k in m else "" for k, _, fmt in COLUMNS])
    return rows


def headers() -> list[str]:
    return ["setting"] + [h for _, h, _ in COLUMNS]


def span(values: list[int], unit: str) -> str:
    """'2,000 held-out digits', or '1,000–2,000 …' where the entries differ ('' for none)."""
    vs = sorted(set(values))
    if not vs:
        return ""
    return (f"{vs[0]:,}" if len(vs) == 1 else f"{vs[0]:,}–{vs[-1]:,}") + f" {unit}"


def scored_on(entries: list[Entry]) -> str:
    """How many held-out images the entries were scored on, read from their records ('2,000 held-out digits')."""
    return span([int(e.metrics["n"]) for e in entries if "n" in e.metrics], "held-out digits")


def spread(entries: list[Entry], key: str) -> str:
    vals = [e.metrics[key] for e in entries if key in e.metrics]
    if not vals:
        return "–"
    lo, hi = f"{min(vals):.3g}", f"{max(vals):.3g}"
    return lo if lo == hi else f"{lo}–{hi}"


def _versus(base: list[Entry], other: list[Entry], key: str) -> str:
    """Whether `other`'s values of `key` differ from the baseline seeds' by more than the seeds do (the
    one rule every screen uses: normgen.zoo.verdicts.Effect.beyond)."""
    b = [e.metrics[key] for e in base if key in e.metrics]
    o = [e.metrics[key] for e in other if key in e.metrics]
    if len(b) < 2 or not o:
        return "no seed spread to compare with"
    if Effect(Stat(b), Stat(o)).beyond:
        return "beyond the seed spread"
    return "within the seed spread: not an effect"


def findings(index: ZooIndex, dataset: str = "mnist") -> str:
    """What the zoo's cycle GAN block measured, in a few sentences (markdown); empty without a block."""
    es = translators(index, dataset)
    if not es:
        return ""
    base = [e for e in es if e.is_baseline]
    pick = {  # (λ_cyc, norm) -> entries without a penalty
        key: [e for e in es if (lam_cyc(e), norm(e)) == key and not e.l1 and not e.l2]
        for key in {(lam_cyc(e), norm(e)) for e in es}}
    lines = []
    if base:
        b = base[0].metrics
        lines.append(f"**Baseline** (λ_cyc 10, L1 cycle norm, {seeds_words(len(base))}): G(a) is "
                     f"{spread(base, 'translation_l1')} per pixel from the ground truth dilate(a) "
                     "(doing nothing, G(a) = a, scores "
                     f"{b.get('copy_l1', float('nan')):.3f}); the judge calls G(a) the same digit as a for "
                     f"{spread(base, 'class_agreement')}% of held-out digits (the ground truth itself: "
                     f"{b.get('truth_agreement', float('nan')):.1f}%); F(G(a)) comes back within "
                     f"{spread(base, 'cycle_l1')} per pixel.")
    l2 = pick.get((10.0, "l2"), [])
    if base and l2:
        lines.append(f"**Cycle norm L1 → squared L2** at λ_cyc 10 ({seeds_words(len(l2))}): error vs truth "
                     f"{spread(base, 'translation_l1')} → {spread(l2, 'translation_l1')} "
                     f"({_versus(base, l2, 'translation_l1')}); grey (neither ink nor background) pixels in G(a) "
                     f"{spread(base, 'grey_pct')}% → {spread(l2, 'grey_pct')}% ({_versus(base, l2, 'grey_pct')}; "
                     f"the ground truth has {base[0].metrics.get('truth_grey_pct', float('nan')):.1f}%); same digit "
                     f"{spread(base, 'class_agreement')}% → {spread(l2, 'class_agreement')}% "
                     f"({_versus(base, l2, 'class_agreement')}).")
    zero = pick.get((0.0, "l1"), [])
    if base and zero:
        lines.append(f"**λ_cyc = 0** ({seeds_words(len(zero))}; nothing ties G(a) to its input but the architecture): "
                     f"same digit {spread(base, 'class_agreement')}% → {spread(zero, 'class_agreement')}% "
                     f"({_versus(base, zero, 'class_agreement')}), cycle error {spread(base, 'cycle_l1')} → "
                     f"{spread(zero, 'cycle_l1')}, FD against bold digits {spread(base, 'fd')} → "
                     f"{spread(zero, 'fd')} ({_versus(base, zero, 'fd')}).")
    return "\n\n".join(lines)



def _effect(base: list[Entry], other: list[Entry], key: str) -> Effect:
    return Effect(Stat([e.metrics[key] for e in base if key in e.metrics]),
                  Stat([e.metrics[key] for e in other if key in e.metrics]))


def learn_line(index: ZooIndex, dataset: str = "mnist") -> str:
    """Learn's sentence on the cycle term, every number from the index with its seeds and the verdict rule
    (normgen.zoo.verdicts): what the squared-L2 cycle norm did to the grey share of G(a) (blur) and what
    λ_cyc 0 did to FD and to the same-digit share. Empty without the block's baseline."""
    es = translators(index, dataset)
    base = [e for e in es if e.is_baseline]
    plain = [e for e in es if not e.l1 and not e.l2]
    l2 = [e for e in plain if (lam_cyc(e), norm(e)) == (10.0, "l2")]
    zero = [e for e in plain if (lam_cyc(e), norm(e)) == (0.0, "l1")]
    if not base or not (l2 or zero):
        return ""
    counts = {len(g) for g in (base, l2, zero) if g}
    seeds = (lambda g: "") if len(counts) == 1 else (lambda g: f" ({len(g)} seeds)")
    each = f", {len(base)} seeds a setting" if len(counts) == 1 else ""
    out = [f"measured on {dataset_label(dataset)} ({base[0].steps} steps{each}):"]
    if l2:
        g = _effect(base, l2, "grey_pct")
        blur = ("more grey: blur" if g.beyond and g.diff > 0 else "no blur") + " measured"
        out.append(f"squared L2 instead of L1{seeds(l2)} moved G(a)'s grey pixels {spread(base, 'grey_pct')}% → "
                   f"{spread(l2, 'grey_pct')}% ({g.short()}): {blur}.")
    if zero:
        fd, same = _effect(base, zero, "fd"), _effect(base, zero, "class_agreement")
        lost = "digits were lost" if same.beyond and same.diff < 0 else "most digits kept their identity"
        out.append(f"λ_cyc 0{seeds(zero)} moved FD {spread(base, 'fd')} → {spread(zero, 'fd')} "
                   f"({fd.short()}) and the same-digit share {spread(base, 'class_agreement')}% → "
                   f"{spread(zero, 'class_agreement')}% ({same.short()}): {lost} at "
                   f"{zero[0].steps} steps.")
    return " ".join(out)
