"""The Compare / sweep view without Gradio: group zoo entries into lambda sweeps, read their metrics,
draw their grids from one fixed noise, and say what the zoo lacks.

A *sweep* is every entry of one (model, dataset) that shares normalization, penalty target, update
variant and step count and varies one kind of penalty: the L1 axis, the L2 axis, the elastic-net
block (L1 and L2 both non-zero), group lasso or activation L1. Its first point is the unregularized
baseline (every lambda 0; target and variant do not matter when nothing is penalized). A point holds
one entry per training seed, so every metric comes with its seed spread.

Everything here reads only the zoo index and the checkpoint files it names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from normgen.data import DATASETS, class_names, dataset_info
from normgen.engine.sampling import sample
from normgen.models import MODEL_NAMES, family
from normgen.regularizers import LAMBDAS, PENALTIES, variant_label
from normgen.render import figures as plots
from normgen.render.grids import grid_image
from normgen.zoo.index import Entry, ZooIndex, load_entry
from normgen.zoo.spec import DATASETS as GRID_DATASETS
from normgen.zoo.spec import spec

KINDS = ("l1", "l2", "elastic", "group", "act", "mixed")
_L1, _L2 = PENALTIES["l1"].label, PENALTIES["l2"].label
KIND_LABELS = {"l1": f"{_L1} axis", "l2": f"{_L2} axis", "elastic": f"elastic net ({_L1} x {_L2})",
               "group": PENALTIES["group"].label, "act": PENALTIES["act"].label, "mixed": "other combinations"}


def target_words(target: str) -> str:
    """'the generator', or 'both networks' for the target 'both'."""
    return "both networks" if target == "both" else f"the {target}"


def kind_of(e: Entry) -> str:
    """Which penalty an entry varies: l1 | l2 | elastic | group | act | mixed ('' for a baseline)."""
    on = {k for k in LAMBDAS if getattr(e, k)}
    if not on:
        return ""
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

    @property
    def id(self) -> str:
        return "|".join((self.kind, self.g_norm, self.d_norm, self.target, self.variant, str(self.steps)))

    @classmethod
    def parse(cls, s: str) -> SweepKey:
        parts = str(s).split("|")
        if len(parts) != 6 or parts[0] not in KINDS:
            raise ValueError(f"unknown sweep {s!r}; pick one of the listed sweeps")
        try:
            steps = int(parts[5])
        except ValueError:
            raise ValueError(f"unknown sweep {s!r}; pick one of the listed sweeps") from None
        return cls(*parts[:5], steps)

    def label(self) -> str:
        """e.g. 'L1 axis on the generator, in the loss, 3000 steps' (+ 'BatchNorm G' when used)."""
        bits = [f"{KIND_LABELS[self.kind]} on {target_words(self.target)}", variant_label(self.variant)]
        if self.g_norm == "batch":
            bits.append("BatchNorm in G")
        if self.d_norm == "spectral":
            bits.append("spectral norm in D")
        return ", ".join(bits + [f"{self.steps} steps"])


@dataclass
class SweepPoint:
    lams: dict[str, float]  # every lambda of the point (all 0 for the baseline)
    entries: list[Entry]  # one per training seed, sorted by seed

    @property
    def seeds(self) -> list[int]:
        return [e.seed for e in self.entries]

    def entry(self, seed: int | None = None) -> Entry:
        """The entry of training seed `seed` (default: the lowest seed)."""
        if seed is None:
            return self.entries[0]
        for e in self.entries:
            if e.seed == seed:
                return e
        raise ValueError(f"no checkpoint with training seed {seed} at {self.label()}; seeds here: {self.seeds}")

    def label(self, kind: str = "") -> str:
        on = [k for k in LAMBDAS if self.lams[k]]
        if not on:
            return "λ = 0 (baseline)"
        return ", ".join(f"{k.upper() if k in ('l1', 'l2') else k} {plots.fmt_lambda(self.lams[k])}" for k in on)


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
        return bool(self.points) and not any(self.points[0].lams.values())

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
            groups.setdefault(SweepKey(k, e.g_norm, e.d_norm, e.target, e.variant, e.steps), []).append(e)
    sweeps = []
    for key, members in groups.items():
        sweeps.append(_make_sweep(model, dataset, key, members, entries))
    order = {k: i for i, k in enumerate(KINDS)}
    main = family(model).sampler_part  # the generator / decoder axes first, then the other targets
    sweeps.sort(key=lambda s: (order[s.key.kind], s.key.g_norm != "none", s.key.target != main, s.key.target,
                               s.key.variant != "loss", s.key.variant, s.key.d_norm, s.key.steps))
    return sweeps


def _make_sweep(model: str, dataset: str, key: SweepKey, members: list[Entry], all_entries: list[Entry]) -> Sweep:
    notes: list[str] = []
    # baselines: same model config and steps, every lambda 0; one per seed, preferring the same
    # target / variant (a duplicate seed is the same run listed twice, not a second sample)
    base: dict[int, Entry] = {}
    for e in all_entries:
        if (not kind_of(e) and e.g_norm == key.g_norm and e.d_norm == key.d_norm and e.steps == key.steps):
            same = e.target == key.target and e.variant == key.variant
            if e.seed not in base or same:
                base[e.seed] = e
    points: list[SweepPoint] = []
    if base:
        points.append(SweepPoint({k: 0.0 for k in LAMBDAS}, [base[s] for s in sorted(base)]))
    else:
        notes.append(f"no unregularized baseline (every lambda 0) with g_norm={key.g_norm}, d_norm={key.d_norm}, "
                     f"{key.steps} steps: train one with python -m normgen train --model {model} "
                     f"--dataset {dataset} --steps {key.steps}")
    by_lams: dict[tuple[float, ...], list[Entry]] = {}
    for e in members:
        by_lams.setdefault(tuple(getattr(e, k) for k in LAMBDAS), []).append(e)
    for lams in sorted(by_lams):
        es = sorted(by_lams[lams], key=lambda e: e.seed)
        points.append(SweepPoint(dict(zip(LAMBDAS, lams, strict=True)), es))
    if key.kind in LAMBDAS:
        points[1 if base else 0:] = sorted(points[1 if base else 0:], key=lambda p: p.lams[key.kind])
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
    pairs = {(e.model, e.dataset) for e in index.entries if kind_of(e)}
    m_order = {m: i for i, m in enumerate(MODEL_NAMES)}
    d_order = {d: i for i, d in enumerate(DATASETS)}
    return sorted(pairs, key=lambda p: (p[1] != GRID_DATASETS[0], d_order.get(p[1], 99), m_order.get(p[0], 99)))


def missing_report(index: ZooIndex, model: str, dataset: str) -> str:
    """Markdown: what the zoo lacks for (model, dataset), in words a learner can act on."""
    name = f"{family(model).label} on {dataset}"
    if not index.entries:
        return (f"**The zoo is empty** (no `index.json` under `{index.root}`). Build it with "
                "`python -m normgen zoo build`, or set `$NORMGEN_ZOO` to a zoo folder.")
    sweeps = list_sweeps(index, model, dataset)
    if not sweeps:
        have = ", ".join(f"{family(m).label} on {d}" for m, d in models_and_datasets(index)) or "none"
        return f"**The zoo has no sweep for {name}.** Sweeps available: {have}."
    lines = planned_missing(index, model, dataset)
    kinds = {s.key.kind for s in sweeps if s.key.variant == "loss"}
    absent = [KIND_LABELS[k] for k in ("l1", "l2", "elastic") if k not in kinds]
    if absent:
        lines.append(f"- {name}: no {', no '.join(absent)} (penalty in the loss)")
    for s in sweeps:
        lines += [f"- {s.key.label()}: {n}" for n in s.notes]
    return "**Missing from the zoo:**\n" + "\n".join(lines) if lines else ""


def planned_missing(index: ZooIndex, model: str, dataset: str) -> list[str]:
    """Markdown bullets: the entries of the planned grid (normgen.zoo.spec) the index lacks, by tag."""
    plan = [z for z in spec() if z.model == model and z.dataset == dataset]
    fields = ("g_norm", "d_norm", "target", "variant", *LAMBDAS, "seed")
    missing = [z for z in plan
               if not index.find(model=model, dataset=dataset, **{f: getattr(z, f) for f in fields})]
    if not missing:
        return []
    by_tag: dict[str, list[str]] = {}
    for z in missing:
        lams = ", ".join(f"{k} {plots.fmt_lambda(getattr(z, k))}" for k in LAMBDAS if getattr(z, k)) or "λ = 0"
        extra = "".join(f", {v}" for v in (z.g_norm if z.g_norm != "none" else "", z.target, z.variant)
                        if v and v not in ("loss", family(model).sampler_part))
        by_tag.setdefault(z.tag, []).append(f"{lams}{extra} (seed {z.seed})")
    head = (f"- {len(missing)} of the {len(plan)} planned {family(model).label} entries on {dataset} "
            "(normgen/zoo/spec.py) are not in the zoo yet:")
    return [head] + [f"  - {tag}: {'; '.join(items)}" for tag, items in by_tag.items()]


# ----------------------------------------------------------------------------------------------
# metrics


def weight_stat(entry: Entry, part: str, stat: str) -> float | None:
    """A weight statistic of one part from the index (flat summary or {"total": ...})."""
    d = entry.weights.get(part) or {}
    d = d.get("total", d)
    v = d.get(stat)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def metric(entry: Entry, name: str) -> float | None:
    v = entry.metrics.get(name)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def values(sweep: Sweep, get: Callable[[Entry], float | None]) -> list[list[float]]:
    """Per point, the value of `get` for each seed (missing values dropped)."""
    return [[v for v in (get(e) for e in p.entries) if v is not None] for p in sweep.points]


def spread(vals: list[float]) -> str:
    """'25.1' for one seed, '25.1 (2 seeds: 23.0-27.2)' for several ('25.1 (2 seeds)' if equal)."""
    if not vals:
        return "n/a"
    mean = sum(vals) / len(vals)
    f = plots.fmt_num
    lo, hi = f(min(vals)), f(max(vals))
    if len(vals) == 1 or lo == hi:
        return f(mean) + (f" ({len(vals)} seeds)" if len(vals) > 1 else "")
    return f"{f(mean)} ({len(vals)} seeds: {lo}-{hi})"


def sweep_figures(sweep: Sweep, selected: int | None = None, floors: dict[str, Any] | None = None) -> dict[str, Any]:
    """The four metric-vs-lambda figures of a sweep: sparsity, weight norm, sample quality, and
    reconstruction error (families with an ELBO: the VAE) or class entropy (the others)."""
    xs, xl, part = sweep.x_values(), sweep.x_labels(), sweep.part
    xlabel = f"{PENALTIES[sweep.key.kind].label} λ" if sweep.key.kind in PENALTIES else "setting"
    common = dict(xlabel=xlabel, selected=selected, xlabels=xl)
    floor = (floors or {}).get(sweep.dataset, {}).get("fd")
    figs = {
        "sparsity": plots.metric_vs_lambda(
            xs, {"near-zero (|w| < 1e-3)": values(sweep, lambda e: weight_stat(e, part, "near_zero_pct")),
                 "exactly 0": values(sweep, lambda e: weight_stat(e, part, "zero_pct"))},
            ylabel=f"% of {part} weights", title="Sparsity", **common),
        "norm": plots.metric_vs_lambda(
            xs, {f"{part} ||W||": values(sweep, lambda e: weight_stat(e, part, "l2"))},
            ylabel="L2 norm of all weights", title="Weight norm", **common),
        "quality": plots.metric_vs_lambda(
            xs, {"judge FD": values(sweep, lambda e: metric(e, "fd"))}, ylabel="judge FD (lower = better)",
            title="Sample quality", floor=floor, **common),
    }
    if family(sweep.model).has_elbo:
        figs["extra"] = plots.metric_vs_lambda(
            xs, {"test reconstruction error": values(sweep, lambda e: metric(e, "rec_error"))},
            ylabel="reconstruction error", title=f"{family(sweep.model).label} reconstruction", **common)
    else:
        k = len(class_names(sweep.dataset)) or 10
        figs["extra"] = plots.metric_vs_lambda(
            xs, {"class entropy": values(sweep, lambda e: metric(e, "class_entropy"))},
            ylabel="entropy (nats)", title="Mode coverage", floor=math.log(k),
            floor_label="all classes equally", **common)
    return figs


def point_markdown(sweep: Sweep, i: int) -> str:
    """A short table: the chosen point against the baseline, every value from the index."""
    if not 0 <= i < len(sweep.points):
        raise ValueError(f"point index must be in [0, {len(sweep.points) - 1}], got {i}")
    p, part = sweep.points[i], sweep.part
    rows = [("near-zero weights (%)", lambda e: weight_stat(e, part, "near_zero_pct")),
            ("exactly-zero weights (%)", lambda e: weight_stat(e, part, "zero_pct")),
            ("dead filters (%)", lambda e: weight_stat(e, part, "dead_filter_pct")),
            (f"{part} L2 norm", lambda e: weight_stat(e, part, "l2")),
            ("judge FD (lower = better)", lambda e: metric(e, "fd")),
            ("confident samples (%)", lambda e: metric(e, "confident_pct")),
            ("class entropy (nats)", lambda e: metric(e, "class_entropy"))]
    if family(sweep.model).has_elbo:
        rows.append(("reconstruction error", lambda e: metric(e, "rec_error")))
    base = sweep.points[0] if sweep.has_baseline else None
    head = f"**{p.label()}** - {family(sweep.model).label} on {sweep.dataset}, {sweep.key.label()}"
    lines = [head, "", "| | this point | baseline |", "|---|---|---|"]
    for name, get in rows:
        this = [v for v in (get(e) for e in p.entries) if v is not None]
        ref = [v for v in (get(e) for e in base.entries) if v is not None] if base else []
        if this or ref:
            lines.append(f"| {name} | {spread(this)} | {spread(ref) if base else 'no baseline'} |")
    return "\n".join(lines)


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
        if not any(p.lams.values()):
            name = "λ = 0"
        else:
            name = "/".join(plots.fmt_lambda(v) for v in p.lams.values() if v) if short else p.label()
        if fd is not None:
            name += f" · FD {f'{fd:.0f}' if short and fd >= 10 else plots.fmt_num(fd)}"
        out.append((entry_grid(e, noise_seed, n, scale=2, root=root), name))
    return out


def large_grid(sweep: Sweep, i: int, noise_seed: int = 0, train_seed: int | None = None, root: Any = None
               ) -> Image.Image:
    if not 0 <= i < len(sweep.points):
        raise ValueError(f"point index must be in [0, {len(sweep.points) - 1}], got {i}")
    p = sweep.points[i]
    e = p.entry(train_seed) if train_seed in p.seeds else p.entries[0]
    return entry_grid(e, noise_seed, grid_size(sweep.model, sweep.dataset, large=True), scale=3, root=root)
