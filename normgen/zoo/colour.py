"""The colour block's table and sentences (issue 15): what the losses and penalties did to the colour
DCGAN's CIFAR-10 samples, read from the index only (the model card and Learn both show it).

Every number is measured on shipped entries: FD is the mean over the noise draws with their range, the
coverage is the judge's class entropy (normgen.zoo.coverage), and an effect is claimed only by the one
rule every screen uses (normgen.zoo.verdicts.Effect: beyond the seed spread and the sampling spread, the
seed ranges apart), so Learn, the card and Explore give a setting the same verdict."""

from __future__ import annotations

import math
import statistics

from normgen.data import dataset_info
from normgen.eval.ruler import RUNGS, placement, rung_label
from normgen.zoo.coverage import collapsed, effective_classes
from normgen.zoo.index import Entry, ZooIndex, family_dropout
from normgen.zoo.readings import of, stat
from normgen.zoo.spec import COLOUR_MODEL, colour_block
from normgen.zoo.verdicts import Effect, seeds_words


def build_command(dataset: str = "cifar10") -> str:
    """The command that builds what the colour block of `dataset` lacks (up to its last priority)."""
    top = max(z.priority for z in colour_block(dataset))
    return (f"python -m normgen zoo build --datasets {dataset} --priority {top} --workers 1 "
            f"--only {COLOUR_MODEL}-{dataset}   # resumable")
LIPSCHITZ_WORDS = {"clip": "Wasserstein + weight clipping", "gp": "Wasserstein + gradient penalty",
                   "none": "Wasserstein, no constraint"}


def _fd_range(e: Entry) -> tuple[float, float, float]:
    """(mean, low, high) of an entry's FD over its noise draws (one draw: all three equal)."""
    m = e.metrics
    draws = [float(v) for v in m.get("fd_draws") or [m["fd"]]]
    return float(m["fd"]), min(draws), max(draws)


def setting_label(e: Entry) -> str:
    """How a colour entry's setting reads: 'baseline', 'Wasserstein + clipping', 'L1 1e-4, first layer', ..."""
    loss, lipschitz, layers = e.setting
    bits = []
    if loss != "ns":
        bits.append(LIPSCHITZ_WORDS[lipschitz])
    if lipschitz == "sn":
        bits.append("spectral norm on the discriminator")
    if int(e.extra.get("n_critic", 1)) != 1:
        bits.append(f"{e.extra['n_critic']} critic steps per G step")
    for k, name in (("l1", "L1"), ("l2", "L2")):
        if getattr(e, k):
            bits.append(f"{name} {getattr(e, k):g} on the {e.target}" + ("" if layers == "all" else
                                                                          f" ({layers} layer only)"))
    if e.dropout != family_dropout(e.model):
        bits.append(f"dropout {e.dropout:g} in D (baseline {family_dropout(e.model):g})")
    return ", ".join(bits) or "baseline (non-saturating loss)"


def entries(index: ZooIndex, dataset: str = "cifar10") -> list[Entry]:
    """The shipped entries of the colour block, in the grid's order."""
    order = [s.id for s in colour_block(dataset)]
    found = [e for e in index.find(model=COLOUR_MODEL, dataset=dataset)]
    return sorted(found, key=lambda e: order.index(e.id) if e.id in order else len(order))


def sigma_words(e: Entry) -> str:
    """D's per-layer largest singular value, 'conv1 0.31 · conv2 0.54 · head 0.93' ('-' where not recorded)."""
    s = e.extra.get("sigma_max") or {}
    return " · ".join(f"{k} {v:.2f}" for k, v in s.items()) or "-"


def table(index: ZooIndex, dataset: str = "cifar10") -> str:
    """A markdown table: setting, seed, FD (mean, range over draws) and where it lands on the judge's ruler,
    coverage (effective classes), D's per-layer sigma_max, near-zero G weights and training time."""
    rows = ["| setting | seed | judge FD (draws: mean, range) | on the ruler | classes covered | D σ_max per layer "
            "| G weights near 0 | training |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    k = dataset_info(dataset).num_classes
    rungs = index.floors.get(dataset, {}).get("ruler", {})
    for e in entries(index, dataset):
        fd, lo, hi = _fd_range(e)
        h = float(e.metrics.get("class_entropy", float("nan")))
        cov = f"{effective_classes(h):.1f} of {k}" + (" (collapse)" if collapsed(h, k) else "")
        near = e.weights.get("generator", {}).get("near_zero_pct", float("nan"))
        rows.append(f"| {setting_label(e)} | {e.seed} | {fd:.1f} ({lo:.1f}–{hi:.1f}) | {placement(fd, rungs) or '-'} "
                    f"| {cov} | {sigma_words(e)} | {near:.1f}% | {e.steps:,} steps, {e.wall_s / 60:.1f} min |")
    return "\n".join(rows)


def ruler_table(index: ZooIndex) -> str:
    """Every dataset's ruler (normgen.eval.ruler) as one markdown table: a row per dataset, a column per rung."""
    found = {d: f["ruler"] for d, f in index.floors.items() if f.get("ruler")}
    if not found:
        return ""
    names = list(RUNGS)
    rows = ["| dataset | n | " + " | ".join(rung_label(r) for r in names) + " |",
            "| --- | --- |" + " --- |" * len(names)]
    for d, r in found.items():
        rows.append(f"| {dataset_info(d).label} | {index.floors[d].get('n', '-')} | "
                    + " | ".join(f"{r[k]:.2f}" if k in r else "-" for k in names) + " |")
    return "\n".join(rows)


def sentences(index: ZooIndex, dataset: str = "cifar10") -> list[str]:
    """One measured sentence per non-baseline setting against the baseline seeds' spread."""
    found = entries(index, dataset)
    bases = [e for e in found if e.is_baseline and e.setting == ("ns", "none", "all")]
    if not bases:
        return []
    b_lo = min(_fd_range(e)[1] for e in bases)
    b_hi = max(_fd_range(e)[2] for e in bases)
    rungs = index.floors.get(dataset, {}).get("ruler", {})
    out = [f"The colour DCGAN's baseline scores judge FD {b_lo:.1f}–{b_hi:.1f} over {seeds_words(len(bases))} and "
           f"their noise draws (floor, real vs real: {index.floors.get(dataset, {}).get('fd', float('nan')):.2f}"
           + (f"; on the ruler: {placement((b_lo + b_hi) / 2, rungs)}" if rungs else "") + ")."]
    groups: dict[str, list[Entry]] = {}  # a setting's seeds together (its id without the seed)
    for e in found:
        if e not in bases:
            groups.setdefault(e.id.rsplit("-s", 1)[0], []).append(e)
    for group in groups.values():
        e = group[0]
        words = Effect(stat(bases, of("fd")), stat(group, of("fd"))).words("higher (worse)", "lower (better)")
        h = statistics.mean(float(g.metrics.get("class_entropy", math.nan)) for g in group)
        extra = "; mode collapse" if collapsed(h, dataset_info(dataset).num_classes) else ""
        label = setting_label(e)
        if len(group) == 1:
            fd, lo, hi = _fd_range(e)
            fds = f"FD {fd:.1f} (draws {lo:.1f}–{hi:.1f})"
        else:
            means = [_fd_range(g)[0] for g in group]
            fds = f"FD {statistics.mean(means):.1f} over {len(group)} seeds ({min(means):.1f}–{max(means):.1f})"
        out.append(f"{label[:1].upper()}{label[1:]}: {fds}, {words}{extra}.")
    return out


def missing(index: ZooIndex, dataset: str = "cifar10") -> list[str]:
    """The block's grid points the index lacks, as their setting labels with the seed."""
    have = {e.id for e in entries(index, dataset)}
    out = []
    for z in colour_block(dataset):
        if z.id not in have:
            loss = ("Wasserstein " + {"clip": "+ clipping", "gp": f"+ GP ({z.n_critic} critic steps)",
                                      "none": "alone"}[z.lipschitz] if z.loss != "ns" else "")
            loss = "spectral norm on D" if z.lipschitz == "sn" else loss
            loss += f"dropout {z.dropout:g}" if z.dropout != family_dropout(z.model) else ""
            lam = " ".join(f"{k.upper()} {getattr(z, k):g}" for k in ("l1", "l2") if getattr(z, k))
            where = "" if not lam or z.target == "generator" else f" on the {z.target}"
            scope = "" if z.layers == "all" else f" ({z.layers} layer)"
            out.append(f"{loss or lam + where + scope or 'baseline'} s{z.seed}".strip())
    return out


def summary(index: ZooIndex, dataset: str = "cifar10") -> str:
    """One short sentence for Learn (the page stays near 1,000 words): baseline FD range, then each
    Wasserstein / first-layer setting's FD and verdict."""
    lines = sentences(index, dataset)
    if not lines:
        return ""
    found = entries(index, dataset)
    bases = [e for e in found if e.is_baseline and e.setting == ("ns", "none", "all")]
    lo, hi = min(_fd_range(e)[1] for e in bases), max(_fd_range(e)[2] for e in bases)
    picked = [e for e in found if e not in bases and (e.setting[0] != "ns" or e.setting[2] != "all")]
    parts = [f"{setting_label(e)} {_fd_range(e)[0]:.0f} ({_verdict(bases, e)})" for e in picked]
    return (f"Colour DCGAN on {dataset_info(dataset).label}: baseline FD {lo:.0f}–{hi:.0f} over {len(bases)} "
            f"seeds" + ("; " + "; ".join(parts) if parts else "") + ". All numbers: the model card.")


def _effect(bases: list[Entry], e: Entry) -> Effect:
    """`e`'s FD against the baseline seeds' (`readings.stat`: seeds, and the widest noise-draw range)."""
    return Effect(stat(bases, of("fd")), stat([e], of("fd")))


def _verdict(bases: list[Entry], e: Entry) -> str:
    return _effect(bases, e).verdict(higher_is_better=False)
