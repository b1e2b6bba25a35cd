"""Where regularization helps: the small-data block of the zoo, as sentences and tables generated from the index (the
Learn tab and the model card show the same text).

On all training images the zoo's models underfit, so a penalty has no overfitting to prevent. The small-data block
(normgen.zoo.spec.small_data) trains them on a few hundred class-balanced images, several seeds per setting. Per
block (model, dataset, training-set size) this module compares each setting's generalization metrics with the
baseline's (normgen.zoo.readings), judges each difference against the seed spread (normgen.zoo.verdicts.Effect) and
says which textbook claims held; then it sets the same penalties on all training images beside them. Nothing is
stated that the index does not hold; a block not built yet is named, with the command that builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from normgen.data import DATASETS, dataset_info
from normgen.eval import copying, likelihood
from normgen.models import MODEL_NAMES, family
from normgen.regularizers import LAMBDAS, PENALTIES
from normgen.words import fmt_lambda
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import (
    IWAE_LABEL,
    dropout_words,
    generalization_rows,
    images_words,
    of,
    per_image,
    pixels,
    stat,
)
from normgen.zoo.spec import DATASETS as GRID_DATASETS
from normgen.zoo.spec import SMALL_SEEDS, SMALL_SIZES, small_data
from normgen.zoo.verdicts import Effect, Stat

TITLE = "Where regularization helps: small training sets"


@cache
def build_command() -> str:
    """`zoo build` for the small block: its first priority, and the ids that end in -n<size>-s<seed>. Read
    from the grid when first asked for, never at import (`import normgen.cli` must not build specs)."""
    sizes = "|".join(str(n) for n in sorted({n for ns in SMALL_SIZES.values() for n in ns}))
    first = min(z.priority for z in small_data(GRID_DATASETS[0]))
    return f'python -m normgen zoo build --priority {first} --only " .*-n({sizes})-s[0-9]+$"'


@cache
def later_priorities() -> tuple[int, ...]:
    """The priorities after the first that complete the block."""
    return tuple(sorted({z.priority for z in small_data(GRID_DATASETS[0])})[1:])


Getter = Callable[[Entry], "float | None"]


@dataclass(frozen=True)
class Measure:
    """One generalization metric in a sentence: its name, unit, and which way is better."""

    name: str
    get: Getter
    unit: str  # after a value, e.g. " nats/image"
    higher_is_better: bool
    up: str  # a rise in words ("wider", "higher")
    down: str
    better: str  # what it did when it got better, for a verdict ("improved", "narrowed")
    worse: str
    diff_unit: str = ""  # after a difference (a % metric moves by points); defaults to `unit`
    claim: str = ""  # the textbook claim about it ("raises the held-out ELBO")
    counts: bool = True  # whether it can make a verdict ("partly"); the pixel NN share cannot

    def effect(self, base: Setting, point: Setting) -> Effect:
        return Effect(base.stat(self.get), point.stat(self.get))

    def words(self, base: Setting, point: Setting) -> str:
        """'held-out ELBO -153 (seeds -155 to -150) → -134 nats/image, higher by 19 nats/image, beyond ...'."""
        eff = self.effect(base, point)
        return (f"{self.name} {eff.base.fmt()} → {eff.point.fmt()}{self.unit}, "
                + eff.words(self.up, self.down, self.diff_unit or self.unit))


def measures(model: str) -> tuple[Measure, list[Measure]]:
    """(the claim's measure, the others) for a family: with an ELBO, the held-out ELBO (does the model fit unseen
    images better?) beside the gap, the IWAE bound (how much of an ELBO change is the bound tightening) and
    copying; with a discriminator, its train - held-out gap beside copying. The pixel nearest-neighbour share
    comes last and never makes a verdict: it measures closeness in pixels (blur raises it), not copying."""
    fam, nats = family(model), " nats/image"
    near = Measure(f"near-copies (%, judge features; real data {copying.REAL_SHARE})", of("near_copy_pct"), "", False,
                   "higher", "lower", "fell", "rose", " points", claim="lowers copying")
    pix = Measure("pixel NN share (%, closeness in pixels, not copying)", of("memorization_pct"), "", False,
                  "higher", "lower", "fell", "rose", " points", counts=False)
    if fam.has_elbo:
        held = Measure("held-out ELBO", per_image("elbo_test"), nats, True, "higher (better)", "lower (worse)",
                       "improved", "got worse", claim="raises the held-out ELBO (the model fits unseen images better)")
        gap = Measure("train - held-out ELBO gap", per_image("elbo_gap"), nats, False, "wider", "narrower",
                      "narrowed", "widened")
        iwae = Measure(f"held-out {IWAE_LABEL}", per_image("iwae_test"), nats, True, "higher (better)",
                       "lower (worse)", "improved", "got worse")
        return held, [gap, iwae, near, pix]
    if "discriminator" in fam.part_names:
        return Measure("discriminator gap", of("d_gap"), "", False, "wider", "narrower", "narrowed", "widened",
                       claim="narrows the discriminator gap (D stops telling its training images from new ones)"), [
                           near, pix]
    return near, [pix]


@dataclass
class Setting:
    """Every seed of one regularizer setting inside a block."""

    target: str
    variant: str
    lams: dict[str, float]
    dropout: float
    entries: list[Entry] = field(default_factory=list)

    @property
    def is_baseline(self) -> bool:
        return not any(self.lams.values()) and not self.dropout

    @property
    def seeds(self) -> list[int]:
        return sorted({e.seed for e in self.entries})

    def stat(self, get: Getter) -> Stat:
        return stat(self.entries, get)

    def label(self, model: str) -> str:
        """'decoder L2 λ=1e-3', 'dropout 0.2 in the encoder and decoder + decoder L2 λ=1e-3', 'baseline'."""
        bits = [f"dropout {self.dropout:g} in {dropout_words(model)}"] if self.dropout else []
        bits += [f"{self.target} {PENALTIES[k].label} λ={fmt_lambda(v)}" for k, v in self.lams.items() if v]
        return " + ".join(bits) if bits else "baseline (no penalty, no dropout)"

    def same_regularizer(self, e: Entry) -> bool:
        return (e.dropout == self.dropout and all(getattr(e, k) == v for k, v in self.lams.items())
                and (self.is_baseline or (e.target, e.variant) == (self.target, self.variant)))


@dataclass
class Block:
    """The small-data entries of one (model, dataset, training-set size, steps): its baseline and settings."""

    model: str
    dataset: str
    train_size: int
    steps: int
    baseline: Setting | None
    points: list[Setting]
    g_norm: str = "none"
    d_norm: str = "none"

    @property
    def title(self) -> str:
        norms = "".join(f", {k} {v}" for k, v in (("g_norm", self.g_norm), ("d_norm", self.d_norm)) if v != "none")
        return (f"{family(self.model).label}, {images_words(self.train_size)}, {self.steps:,} steps{norms} "
                f"({dataset_info(self.dataset).label})")

    @property
    def settings(self) -> list[Setting]:
        return ([self.baseline] if self.baseline else []) + self.points


def _setting_of(e: Entry) -> Setting:
    return Setting(e.target, e.variant, {k: getattr(e, k) for k in LAMBDAS}, e.dropout)


def blocks(index: ZooIndex) -> list[Block]:
    """The small-data blocks of the index (entries with train_size > 0): by dataset, family, size, steps."""
    groups: dict[tuple, list[Entry]] = {}
    for e in index.entries:
        if e.train_size:  # normalizations in the key too: a block compares regularizers only
            groups.setdefault((e.model, e.dataset, e.train_size, e.steps, e.g_norm, e.d_norm), []).append(e)
    d_order, m_order = list(DATASETS), list(MODEL_NAMES)
    out = []
    for (model, ds, n, steps, g_norm, d_norm), es in sorted(groups.items(), key=lambda kv: (
            d_order.index(kv[0][1]) if kv[0][1] in d_order else 99, m_order.index(kv[0][0]), kv[0][2], kv[0][3])):
        settings: list[Setting] = []
        for e in sorted(es, key=lambda e: e.seed):
            s = next((s for s in settings if s.same_regularizer(e)), None)
            if s is None:
                s = _setting_of(e)
                settings.append(s)
            if e.seed not in s.seeds:  # one run per seed (a listing twice is not a second sample)
                s.entries.append(e)
        base = next((s for s in settings if s.is_baseline), None)
        points = sorted((s for s in settings if not s.is_baseline),
                        key=lambda s: (s.dropout > 0 and any(s.lams.values()), s.dropout > 0, s.target,
                                       *(s.lams[k] for k in LAMBDAS), s.dropout))
        out.append(Block(model, ds, n, steps, base, points, g_norm, d_norm))
    return out


# ----------------------------------------------------------------------------------------------
# verdicts

VERDICTS = {"held": "held", "partly": "partly", "not shown": "not shown (within the seed spread)",
            "did not hold": "did not hold (worse beyond the seed spread)", "cannot tell": "cannot tell (one seed)"}


def verdict(model: str, base: Setting, point: Setting) -> tuple[str, str]:
    """(short verdict, sentence) for one setting against the baseline: "held" when the claim's measure
    improved beyond the seed spread, "did not hold" when it got worse beyond it, "partly" when only
    another measure improved beyond it, "not shown" when every difference is within the spread."""
    main, others = measures(model)
    eff = main.effect(base, point)
    if not eff.measurable:
        return "cannot tell", (f"the baseline has {seeds_words(len(eff.base.vals))} with a {main.name}: no seed "
                               "spread to judge against")
    d = eff.direction(main.higher_is_better)
    better = [f"the {m.name} {m.better}" for m in others
              if m.counts and m.effect(base, point).direction(m.higher_is_better) > 0]
    if d > 0:
        return "held", f"the {main.name} {main.better} beyond the seed spread"
    if d < 0:
        return "did not hold", f"the {main.name} {main.worse} beyond the seed spread"
    if better:
        return "partly", (f"{' and '.join(better)} beyond the seed spread, but the {main.name} changed by less "
                          "than the seed spread")
    return "not shown", "every difference is within the seed spread"


def seeds_words(n: int) -> str:
    return f"{n} seed" + ("" if n == 1 else "s")


def _point_sentence(block: Block, p: Setting) -> str:
    main, others = measures(block.model)
    base = block.baseline
    bits = [m.words(base, p) for m in (*others[:1], main, *others[1:])
            if base.stat(m.get).ok and p.stat(m.get).ok]
    fd0, fd = base.stat(of("fd")), p.stat(of("fd"))
    if fd0.ok and fd.ok:
        bits.append(f"judge FD {fd0.fmt()} → {fd.fmt()}, " + Effect(fd0, fd).words("higher (worse)", "lower (better)"))
    short, why = verdict(block.model, base, p)
    head = f"{p.label(block.model)} ({seeds_words(len(p.seeds))}): "
    return head + "; ".join(bits) + f". **{VERDICTS[short]}**: {why}."


def _baseline_sentence(block: Block) -> str:
    b, (main, others) = block.baseline, measures(block.model)
    vals = [f"{m.name} {b.stat(m.get).fmt()}{m.unit}" for m in (main, *others) if b.stat(m.get).ok]
    return (f"Baseline ({seeds_words(len(b.seeds))}: {', '.join(map(str, b.seeds))}; mean, with the seeds' "
            "min-max in brackets): " + "; ".join(vals) + ".")


def block_table(block: Block) -> str:
    """| setting | seeds | <generalization rows> | judge FD | verdict |, every cell mean [min-max]."""
    rows = [*generalization_rows(block.model), ("judge FD", of("fd"))]
    head = ["setting", "seeds", *(name for name, _ in rows), "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for s in block.settings:
        cells = [s.stat(get).fmt(compact=True) if s.stat(get).ok else "-" for _, get in rows]
        v = "-" if s.is_baseline or block.baseline is None else verdict(block.model, block.baseline, s)[0]
        lines.append("| " + " | ".join([s.label(block.model), str(len(s.seeds)), *cells, v]) + " |")
    return "\n".join(lines)


def block_lines(block: Block, table: bool = True) -> list[str]:
    """The markdown of one block: its baseline, a table, one sentence per setting, and which claims held."""
    main, _ = measures(block.model)
    if block.baseline is None:
        return [f"No baseline (no penalty, no dropout) on {images_words(block.train_size)} yet: nothing to judge "
                f"{len(block.points)} setting(s) against. Build it with `{build_command()}`."]
    out = [_baseline_sentence(block), *([block_table(block)] if table else [])]
    out += ["\n".join(f"- {_point_sentence(block, p)}" for p in block.points)]
    by: dict[str, list[str]] = {}
    for p in block.points:
        by.setdefault(verdict(block.model, block.baseline, p)[0], []).append(p.label(block.model))
    claim = f"*Textbook claim: on a small training set, a norm penalty or dropout {main.claim}.*"
    said = [f"{VERDICTS[k].capitalize()} for {', '.join(v)}." for k, v in by.items()]
    return out + [claim + " " + " ".join(said)]


# ----------------------------------------------------------------------------------------------
# the contrast with all training images


def _full_baseline(index: ZooIndex, model: str, dataset: str) -> Setting:
    es = [e for e in index.find(model=model, dataset=dataset, train_size=0, g_norm="none") if e.is_baseline]
    s = Setting(family(model).sampler_part, "loss", {k: 0.0 for k in LAMBDAS}, 0.0)
    for e in sorted(es, key=lambda e: e.seed):
        if e.seed not in s.seeds:
            s.entries.append(e)
    return s


def full_data_lines(index: ZooIndex, model: str, dataset: str, small: list[Block]) -> list[str]:
    """The same family on all training images: the baseline's gap beside the small blocks', and the
    small blocks' penalties (without dropout) at the same λ on all images, judged the same way."""
    main, others = measures(model)
    gap = others[0] if others and family(model).has_elbo else main
    base = _full_baseline(index, model, dataset)
    g = base.stat(gap.get)
    name = family(model).label
    if not g.ok:
        return [f"{name} on all training images: the index has no {gap.name} for its baseline, so the zoo cannot "
                "set the small blocks beside it."]
    steps = ", ".join(f"{s:,}" for s in sorted({e.steps for e in base.entries}))
    small_gaps = "; ".join(f"{b.baseline.stat(gap.get).fmt()}{gap.unit} on {images_words(b.train_size)}"
                           for b in small if b.baseline and b.baseline.stat(gap.get).ok)
    s = (f"{name} on all training images ({steps} steps, {seeds_words(len(base.seeds))}): baseline {gap.name} "
         f"{g.fmt()}{gap.unit}" + (f", against {small_gaps}" if small_gaps else "") + ". ")
    if g.lo <= 0:
        s += ("At least one seed has no gap at all (0 or below): on all training images there is no overfitting "
              "for a penalty to prevent, so the claim has nothing to act on there.")
    else:
        s += "Every seed has a gap above 0 on all training images too."
    out = [s]
    seen: list[Setting] = []
    for p in (p for b in small for p in b.points if not p.dropout):
        if any(q.target == p.target and q.lams == p.lams for q in seen):
            continue
        seen.append(p)
        twin = Setting(p.target, p.variant, p.lams, 0.0)
        fields_ = {"model": model, "dataset": dataset, "train_size": 0, "g_norm": "none", "target": p.target,
                   "variant": p.variant, "dropout": 0.0, **p.lams}
        twin.entries = sorted(index.find(**fields_), key=lambda e: e.seed)
        if twin.entries and base.entries:
            short, _ = verdict(model, base, twin)
            out.append(f"- The same {p.label(model)} on all training images ({seeds_words(len(twin.seeds))}): "
                       f"{main.words(base, twin)}: **{VERDICTS[short]}**.")
    return out[:1] + ["\n".join(out[1:])] if len(out) > 1 else out


# ----------------------------------------------------------------------------------------------
# the section


def _later() -> str:
    later = later_priorities()
    return f" (with --priority {later[-1]} for the whole block)" if later else ""


def missing_blocks(index: ZooIndex) -> list[str]:
    """The planned small blocks (normgen.zoo.spec.SMALL_SIZES) the index has no entry of."""
    have = {(e.model, e.train_size) for e in index.entries if e.train_size}
    return [f"{family(m).label} on {images_words(n)}" for m, sizes in SMALL_SIZES.items() for n in sizes
            if (m, n) not in have]


def small_data_lines(index: ZooIndex, tables: bool = True) -> list[str]:
    """The section's markdown blocks (no heading): every number from `index`; `tables=False` leaves out
    the per-block tables (the model card has one table of every setting: normgen.zoo.card.small_data_table)."""
    found = blocks(index)
    if not found:
        sizes = " or ".join(f"{n:,}" for n in sorted({n for ns in SMALL_SIZES.values() for n in ns}))
        return ["The small-data block of the zoo has not been built yet, so this page cannot show where a penalty "
                f"prevents overfitting. It trains each model on {sizes} training images, {len(SMALL_SEEDS)} seeds "
                f"a setting; build it with `{build_command()}`{_later()}."]
    mem_m = [f"{m:,}" for m in sorted({int(v) for b in found for s in b.settings for v in s.stat(of("gen_m")).vals})]
    px = sorted({pixels(b.dataset) for b in found})
    steps = sorted({b.steps for b in found})
    k = max((int(e.metrics.get("draws", 0)) for b in found for s in b.settings for e in s.entries), default=0)
    draws = f"; for the judge FD also the range over {k} noise draws of the same weights" if k > 1 else ""
    adv = [e for b in found if "discriminator" in family(b.model).part_names for st in b.settings for e in st.entries]
    unstored = sum("discriminator" not in e.parts for e in adv)
    out = ["The textbook reason for a norm penalty is to prevent overfitting; whether the zoo's models overfit on "
           "all their training images is measured under *Against all training images* below. Here the same models "
           "are trained on small class-balanced subsets "
           f"({' or '.join(f'{n:,}' for n in sorted({b.train_size for b in found}))} images; "
           f"{' or '.join(f'{n:,}' for n in steps)} steps), each setting with several training seeds. A difference "
           "counts as an effect only when it is larger than the seed spread (the wider of the two settings' min-max "
           f"ranges over seeds{draws}) and the two ranges do not overlap; otherwise it is *within the seed spread*. "
           f"ELBOs are in nats per image (the index's nats per pixel x {' or '.join(map(str, px))} pixels; higher "
           "= fits better); the gap is training minus held-out (> 0 = fits its training images better). "
           f"The IWAE bound (k = {likelihood.K} samples of the code; Burda et al. 2016) sits beside the ELBO: "
           "log p(x) ≥ IWAE ≥ ELBO, so an ELBO change larger than the IWAE's is partly the bound tightening, not the "
           "model improving. Copying is measured as the data-copying literature does (Meehan et al. 2020), in the "
           f"judge's features: near-copies are samples nearer a training image than {copying.NEARER_THAN} of new "
           f"real (held-out) images are (real data: {copying.REAL_SHARE}). The pixel NN share is % of samples whose "
           "nearest image in pixel space, among "
           f"{' or '.join(mem_m) or 'm'} training images and as many held-out test images, is a "
           "training image: it measures closeness in pixels, which blur raises (a blurry average lies near many "
           "training images at once), not copying, and makes no verdict."
           + (" The discriminator gap is its mean logit on its training images minus on as many held-out images "
              "(> 0 = it tells its training images from new ones)" if adv else "")
           + (f"; measured when built: {unstored} of the {len(adv)} files store no discriminator to check it with."
              if unstored else "." if adv else "")]
    for b in found:
        out += [f"### {b.title}", *block_lines(b, tables)]
    for model in MODEL_NAMES:
        for ds in sorted({b.dataset for b in found if b.model == model}):
            small = [b for b in found if b.model == model and b.dataset == ds]
            out += [f"### Against all training images: {family(model).label} ({dataset_info(ds).label})",
                    *full_data_lines(index, model, ds, small)]
    missing = missing_blocks(index)
    if missing:
        out.append(f"Not built yet: {'; '.join(missing)}. Build them with `{build_command()}`{_later()}.")
    return out


def small_data_markdown(index: ZooIndex, level: int = 2, tables: bool = True) -> str:
    """The whole section with its heading at markdown level `level` (sub-headings one deeper)."""
    body = "\n\n".join(small_data_lines(index, tables)).replace("\n### ", "\n" + "#" * (level + 1) + " ")
    if body.startswith("### "):
        body = "#" * (level + 1) + body[3:]
    return f"{'#' * level} {TITLE}\n\n{body}"
