"""The Compare / sweep view without Gradio: group zoo entries into sweeps, draw their grids from one
fixed noise, and say what the zoo lacks.

A *sweep* is every entry of one (model, dataset) that shares normalization, penalty target, update
variant, step count, training-set size and dropout rate and varies one kind of penalty: the L1 axis,
the L2 axis, the elastic-net block (L1 and L2 both non-zero), group lasso or activation L1; or, with
no penalty, varies the dropout rate (the "dropout" kind). Its first point is the unregularized
baseline of the same size (every lambda 0 at the sweep's dropout rate; target and variant do not
matter when nothing is penalized), so a 300-image entry is never compared with a full-data one. A
point holds one entry per training seed, so every metric comes with its seed spread. Sweeps on a
small training set also plot what overfitting shows as: the train-test gap and memorization.

Everything here reads only the zoo index and the checkpoint files it names; the figures and the
point table of a sweep are normgen.zoo.sweep_view, how each number is read normgen.zoo.readings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from normgen.data import DATASETS, dataset_info, dataset_label
from normgen.engine.sampling import sample
from normgen.models import MODEL_NAMES, family
from normgen.regularizers import LAMBDAS, PENALTIES, variant_label
from normgen.render.grids import grid_image
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import images_words, metric
from normgen.zoo.spec import DATASETS as GRID_DATASETS
from normgen.zoo.spec import spec

KINDS = ("l1", "l2", "elastic", "group", "act", "mixed", "dropout")
_L1, _L2 = PENALTIES["l1"].label, PENALTIES["l2"].label
KIND_LABELS = {"l1": f"{_L1} axis", "l2": f"{_L2} axis", "elastic": f"elastic net ({_L1} x {_L2})",
               "group": PENALTIES["group"].label, "act": PENALTIES["act"].label, "mixed": "other combinations",
               "dropout": "dropout rate axis (no weight penalty)"}


def target_words(target: str) -> str:
    """'the generator', or 'both networks' for the target 'both'."""
    return "both networks" if target == "both" else f"the {target}"


def kind_of(e: Entry) -> str:
    """Which penalty an entry varies: l1 | l2 | elastic | group | act | mixed, dropout when it has no
    penalty but a dropout rate ('' for a baseline). A penalty with dropout is of the penalty's kind."""
    on = {k for k in LAMBDAS if getattr(e, k)}
    if not on:
        return "dropout" if e.dropout else ""
    if on == {"l1", "l2"}:
        return "elastic"
    return next(iter(on)) if len(on) == 1 else "mixed"


@dataclass(frozen=True)
class SweepKey:
    kind: str
    g_norm: str
    d_norm: str
    target: str
    variant: str
    steps: int
    train_size: int = 0  # training images (0 = the whole split)
    dropout: float = 0.0  # the dropout rate every point shares (0 for the dropout kind, which varies it)

    @property
    def id(self) -> str:
        """'kind|g_norm|d_norm|target|variant|steps', then '|n300' / '|do0.2' only when set, so a
        full-data sweep keeps the id it always had."""
        extra = ([f"n{self.train_size}"] if self.train_size else []) + ([f"do{self.dropout:g}"] if self.dropout else [])
        return "|".join((self.kind, self.g_norm, self.d_norm, self.target, self.variant, str(self.steps), *extra))

    @classmethod
    def parse(cls, s: str) -> SweepKey:
        parts = str(s).split("|")
        bad = ValueError(f"unknown sweep {s!r}; pick one of the listed sweeps")
        if not 6 <= len(parts) <= 8 or parts[0] not in KINDS:
            raise bad
        try:
            steps, size, rate = int(parts[5]), 0, 0.0
            for p in parts[6:]:
                if p.startswith("n") and not size:
                    size = int(p[1:])
                elif p.startswith("do") and not rate:
                    rate = float(p[2:])
                else:
                    raise ValueError(p)
        except ValueError:
            raise bad from None
        return cls(*parts[:5], steps, size, rate)

    def label(self) -> str:
        """e.g. 'L1 axis on the generator, in the loss, 3000 steps' (+ 'BatchNorm G' when used; + '300
        training images' for a subset, 'dropout 0.2 in every point' when the points share one)."""
        if self.kind == "dropout":
            bits = [KIND_LABELS[self.kind]]
        else:
            bits = [f"{KIND_LABELS[self.kind]} on {target_words(self.target)}", variant_label(self.variant)]
        if self.dropout:
            bits.append(f"dropout {self.dropout:g} in every point")
        if self.g_norm == "batch":
            bits.append("BatchNorm in G")
        if self.d_norm == "spectral":
            bits.append("spectral norm in D")
        if self.train_size:
            bits.append(images_words(self.train_size))
        return ", ".join(bits + [f"{self.steps} steps"])


@dataclass
class SweepPoint:
    lams: dict[str, float]  # every lambda of the point (all 0 for the baseline)
    entries: list[Entry]  # one per training seed, sorted by seed
    dropout: float = 0.0  # the dropout rate its entries were trained with

    @property
    def seeds(self) -> list[int]:
        return [e.seed for e in self.entries]

    def values(self, get: Callable[[Entry], float | None]) -> list[float]:
        """The value of `get` for each seed (missing values dropped)."""
        return [v for v in (get(e) for e in self.entries) if v is not None]

    def entry(self, seed: int | None = None) -> Entry:
        """The entry of training seed `seed` (default: the lowest seed)."""
        if seed is None:
            return self.entries[0]
        for e in self.entries:
            if e.seed == seed:
                return e
        raise ValueError(f"no checkpoint with training seed {seed} at {self.label()}; seeds here: {self.seeds}")

    def label(self, kind: str = "") -> str:
        """'L1 1e-4', 'dropout 0.2', 'dropout 0.2, L2 1e-3'; 'λ = 0 (baseline)' with neither."""
        on = [k for k in LAMBDAS if self.lams[k]]
        bits = [f"dropout {self.dropout:g}"] if self.dropout else []
        bits += [f"{k.upper() if k in ('l1', 'l2') else k} {fmt_lambda(self.lams[k])}" for k in on]
        return ", ".join(bits) if bits else "λ = 0 (baseline)"


@dataclass
class Sweep:
    model: str
    dataset: str
    key: SweepKey
    points: list[SweepPoint]  # baseline first, then by lambda
    part: str  # the sub-network whose weight statistics the sweep reports
    notes: list[str] = field(default_factory=list)  # what is missing, in words

    @property
    def has_baseline(self) -> bool:
        """The first point has no penalty (and the sweep's shared dropout rate, 0 for most)."""
        p = self.points[0] if self.points else None
        return p is not None and not any(p.lams.values()) and p.dropout == self.key.dropout

    @property
    def common_seeds(self) -> list[int]:
        sets = [set(p.seeds) for p in self.points]
        return sorted(set.intersection(*sets)) if sets else []

    def x_values(self) -> list[float]:
        """The varying lambda of each point (for one-penalty sweeps)."""
        k = self.key.kind
        return [p.lams[k] for p in self.points] if k in LAMBDAS else list(range(len(self.points)))

    def x_labels(self) -> list[str] | None:
        """Categorical labels when no single lambda varies (elastic block, mixed)."""
        if self.key.kind in LAMBDAS:
            return None
        if self.key.kind == "dropout":
            return ["baseline" if not p.dropout else f"{p.dropout:g}" for p in self.points]
        return ["baseline" if not any(p.lams.values()) else p.label().replace(", ", "\n") for p in self.points]


# ----------------------------------------------------------------------------------------------
# building sweeps from the index


def list_sweeps(index: ZooIndex, model: str, dataset: str) -> list[Sweep]:
    """Every sweep the zoo holds for (model, dataset), ordered L1, L2, elastic, group, act, mixed."""
    entries = index.find(model=model, dataset=dataset)
    groups: dict[SweepKey, list[Entry]] = {}
    for e in entries:
        k = kind_of(e)
        if k:
            key = SweepKey(k, e.g_norm, e.d_norm, e.target, e.variant, e.steps, e.train_size,
                           0.0 if k == "dropout" else e.dropout)
            groups.setdefault(key, []).append(e)
    sweeps = []
    for key, members in groups.items():
        sweeps.append(_make_sweep(model, dataset, key, members, entries))
    order = {k: i for i, k in enumerate(KINDS)}
    main = family(model).sampler_part  # the generator / decoder axes first, then the other targets
    sweeps.sort(key=lambda s: (s.key.train_size != 0, s.key.train_size, s.key.dropout, order[s.key.kind],
                               s.key.g_norm != "none", s.key.target != main, s.key.target,
                               s.key.variant != "loss", s.key.variant, s.key.d_norm, s.key.steps))
    return sweeps


def _make_sweep(model: str, dataset: str, key: SweepKey, members: list[Entry], all_entries: list[Entry]) -> Sweep:
    notes: list[str] = []
    # baselines: same model config, steps, training-set size and shared dropout rate, every lambda 0;
    # one per seed, preferring the same target / variant (a duplicate seed is the same run listed
    # twice, not a second sample)
    base: dict[int, Entry] = {}
    for e in all_entries:
        if (not any(getattr(e, k) for k in LAMBDAS) and e.dropout == key.dropout and e.train_size == key.train_size
                and e.g_norm == key.g_norm and e.d_norm == key.d_norm and e.steps == key.steps):
            same = e.target == key.target and e.variant == key.variant
            if e.seed not in base or same:
                base[e.seed] = e
    points: list[SweepPoint] = []
    if base:
        points.append(SweepPoint({k: 0.0 for k in LAMBDAS}, [base[s] for s in sorted(base)], key.dropout))
    else:
        size = f", {images_words(key.train_size)}" if key.train_size else ""
        rate = f", dropout {key.dropout:g}" if key.dropout else ""
        flags = (f" --train-size {key.train_size}" if key.train_size else "") + (
            f" --dropout {key.dropout:g}" if key.dropout else "")
        notes.append(f"no unregularized baseline (every lambda 0) with g_norm={key.g_norm}, d_norm={key.d_norm}, "
                     f"{key.steps} steps{size}{rate}: train one with python -m normgen train --model {model} "
                     f"--dataset {dataset} --steps {key.steps}{flags}")
    by_lams: dict[tuple[float, ...], list[Entry]] = {}
    for e in members:
        by_lams.setdefault((*(getattr(e, k) for k in LAMBDAS), e.dropout), []).append(e)
    for lams in sorted(by_lams):
        es = sorted(by_lams[lams], key=lambda e: e.seed)
        points.append(SweepPoint(dict(zip(LAMBDAS, lams[:-1], strict=True)), es, lams[-1]))
    along = (lambda p: p.lams[key.kind]) if key.kind in LAMBDAS else (lambda p: p.dropout)
    if key.kind in LAMBDAS or key.kind == "dropout":
        points[1 if base else 0:] = sorted(points[1 if base else 0:], key=along)
    fam = family(model)
    part = key.target if key.target in fam.part_names else fam.sampler_part
    sweep = Sweep(model, dataset, key, points, part, notes)
    all_seeds = sorted({s for p in points for s in p.seeds})
    by_count: dict[int, list[SweepPoint]] = {}
    for p in points:
        by_count.setdefault(len(p.seeds), []).append(p)
    if len(all_seeds) > 1 and len(by_count) > 1:
        parts = [f"{n} at {', '.join(p.label() for p in ps)}" + (" (no seed spread there)" if n == 1 else "")
                 for n, ps in sorted(by_count.items(), reverse=True)]
        notes.append("training seeds per point: " + "; ".join(parts) + ". A point without the chosen training "
                     "seed shows its lowest seed.")
    if len(points) - sweep.has_baseline < 2:
        notes.append(f"only {len(points) - sweep.has_baseline} regularized point(s): not yet a sweep")
    if all(len(p.entries) < 2 for p in points):
        notes.append("one training seed per point: no seed spread measured, so a small difference may be "
                     "seed-to-seed noise rather than an effect of λ")
    return sweep


def sweep_choices(index: ZooIndex, model: str, dataset: str) -> list[tuple[str, str]]:
    """(label, id) pairs for a dropdown of the sweeps of (model, dataset)."""
    return [(s.key.label(), s.key.id) for s in list_sweeps(index, model, dataset)]


def get_sweep(index: ZooIndex, model: str, dataset: str, sweep_id: str) -> Sweep:
    key = SweepKey.parse(sweep_id)
    for s in list_sweeps(index, model, dataset):
        if s.key == key:
            return s
    raise ValueError(f"the zoo has no {key.label()} sweep for {model} on {dataset}")


def models_and_datasets(index: ZooIndex) -> list[tuple[str, str]]:
    """(model, dataset) pairs that have at least one sweep: the grid's first dataset first, then the
    registries' order."""
    # a translator's settings are drawn as rows, not sample grids: its sweep is on the Translate tab
    pairs = {(e.model, e.dataset) for e in index.entries if kind_of(e) and not family(e.model).translates}
    m_order = {m: i for i, m in enumerate(MODEL_NAMES)}
    d_order = {d: i for i, d in enumerate(DATASETS)}
    return sorted(pairs, key=lambda p: (p[1] != GRID_DATASETS[0], d_order.get(p[1], 99), m_order.get(p[0], 99)))


def missing_report(index: ZooIndex, model: str, dataset: str) -> str:
    """Markdown: what the zoo lacks for (model, dataset), in words a learner can act on."""
    name = f"{family(model).label} on {dataset_label(dataset)}"
    if not index.entries:
        return (f"**The zoo is empty** (no `index.json` under `{index.root}`). Build it with "
                "`python -m normgen zoo build`, or set `$NORMGEN_ZOO` to a zoo folder.")
    sweeps = list_sweeps(index, model, dataset)
    if not sweeps:
        have = ", ".join(f"{family(m).label} on {d}" for m, d in models_and_datasets(index)) or "none"
        return f"**The zoo has no sweep for {name}.** Sweeps available: {have}."
    lines = planned_missing(index, model, dataset)
    kinds = {s.key.kind for s in sweeps if s.key.variant == "loss" and not (s.key.train_size or s.key.dropout)}
    absent = [KIND_LABELS[k] for k in ("l1", "l2", "elastic") if k not in kinds]
    if absent:
        lines.append(f"- {name}: no {', no '.join(absent)} (penalty in the loss)")
    for s in sweeps:
        lines += [f"- {s.key.label()}: {n}" for n in s.notes]
    return "**Missing from the zoo:**\n" + "\n".join(lines) if lines else ""


def planned_missing(index: ZooIndex, model: str, dataset: str) -> list[str]:
    """Markdown bullets: the entries of the planned grid (normgen.zoo.spec) the index lacks, by tag."""
    plan = [z for z in spec() if z.model == model and z.dataset == dataset]
    fields = ("g_norm", "d_norm", "target", "variant", *LAMBDAS, "seed", "train_size", "dropout")
    missing = [z for z in plan
               if not index.find(model=model, dataset=dataset, **{f: getattr(z, f) for f in fields})]
    if not missing:
        return []
    by_tag: dict[str, list[str]] = {}
    for z in missing:
        lams = ", ".join(f"{k} {fmt_lambda(getattr(z, k))}" for k in LAMBDAS if getattr(z, k)) or (
            "no penalty" if z.dropout else "λ = 0")
        extra = "".join(f", {v}" for v in (z.g_norm if z.g_norm != "none" else "", z.target, z.variant)
                        if v and v not in ("loss", family(model).sampler_part))
        extra += f", dropout {z.dropout:g}" if z.dropout else ""
        tag = f"{z.tag} ({images_words(z.train_size)})" if z.train_size else z.tag
        by_tag.setdefault(tag, []).append(f"{lams}{extra} (seed {z.seed})")
    head = (f"- {len(missing)} of the {len(plan)} planned {family(model).label} entries on {dataset_label(dataset)} "
            "(normgen/zoo/spec.py) are not in the zoo yet:")
    return [head] + [f"  - {tag}: {'; '.join(items)}" for tag, items in by_tag.items()]


# ----------------------------------------------------------------------------------------------
# grids


def grid_size(model: str, dataset: str, large: bool) -> int:
    """Samples per grid: 4x4 (strip) or 8x8 (large); a conditional family gets 2 or 8 per class."""
    if family(model).conditional:
        return dataset_info(dataset).num_classes * (8 if large else 2)
    return 64 if large else 16


def entry_grid(entry: Entry, noise_seed: int, n: int, scale: int, root: Any = None) -> Image.Image:
    """The samples of one zoo checkpoint from noise fixed by `noise_seed`, as a PIL grid."""
    ck = load_entry(entry, root)
    model = ck.model
    x = sample(model, n, noise_seed)
    return grid_image(x, nrow=model.grid_columns(n, dataset_info(entry.dataset).num_classes), scale=scale)


def strip(sweep: Sweep, noise_seed: int = 0, train_seed: int | None = None, root: Any = None
          ) -> list[tuple[Image.Image, str]]:
    """(grid, caption) for every point of the sweep, same noise and the same training seed."""
    n = grid_size(sweep.model, sweep.dataset, large=False)
    short = len(sweep.points) > 5  # narrow cells cut long captions: drop the kind (the dropdown names it)
    out = []
    for p in sweep.points:
        e = p.entry(train_seed) if train_seed in p.seeds else p.entries[0]
        fd = metric(e, "fd")
        if not any(p.lams.values()) and not p.dropout:
            name = "λ = 0"
        elif short:
            name = "/".join(fmt_lambda(v) for v in p.lams.values() if v) or f"do {p.dropout:g}"
        else:
            name = p.label()
        if fd is not None:
            name += f" · FD {f'{fd:.0f}' if short and fd >= 10 else fmt_num(fd)}"
        out.append((entry_grid(e, noise_seed, n, scale=2, root=root), name))
    return out


def large_grid(sweep: Sweep, i: int, noise_seed: int = 0, train_seed: int | None = None, root: Any = None
               ) -> Image.Image:
    if not 0 <= i < len(sweep.points):
        raise ValueError(f"point index must be in [0, {len(sweep.points) - 1}], got {i}")
    p = sweep.points[i]
    e = p.entry(train_seed) if train_seed in p.seeds else p.entries[0]
    return entry_grid(e, noise_seed, grid_size(sweep.model, sweep.dataset, large=True), scale=3, root=root)
