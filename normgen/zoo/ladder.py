"""The Lipschitz ladder of the colour block (issue 24): five ways of bounding how fast the discriminator's
output can change with its input, each rung a shipped entry of the colour DCGAN on CIFAR-10, read from the
index only (Learn's paragraph and plot, Explore's Loss control and its table).

A layer's largest singular value σ_max (its operator 2-norm) is the most it can stretch an input; the product
over the layers bounds the discriminator's Lipschitz constant. The rungs, from no bound to a hard one:

  none               Wasserstein loss, nothing bounds the critic
  L2 on D            the non-saturating loss with an L2 penalty on D's weights (a soft pull on every weight)
  clipping           Wasserstein + every D weight clamped to [-c, c] (an L∞ bound)
  gradient penalty   Wasserstein + (‖∇D‖ - 1)² at points between real and fake images, 5 critic steps
  spectral norm      the non-saturating loss with each D layer divided by its σ_max (held at 1)

Every rung's FD is judged against the baseline seeds (non-saturating loss, D unconstrained) by the one rule
every screen uses (normgen.zoo.verdicts.Effect: beyond the seed spread and the sampling spread)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from normgen.data import dataset_info
from normgen.zoo.coverage import effective_classes
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import of, stat
from normgen.zoo.spec import COLOUR_MODEL
from normgen.zoo.verdicts import Effect

# (key, label, what bounds D, the Explore Loss control's value for it or "" where it is a penalty setting)
RUNGS = (("none", "none", "Wasserstein loss, nothing bounds the critic", "wgan"),
         ("l2", "L2 on D", "an L2 penalty on the discriminator's weights (non-saturating loss)", ""),
         ("clip", "clipping", "Wasserstein, every D weight clamped to [-c, c] (L∞)", "wgan-clip"),
         ("gp", "gradient penalty", "Wasserstein + gradient penalty, 5 critic steps per G step", "wgan-gp"),
         ("sn", "spectral norm", "each D layer divided by its σ_max (non-saturating loss)", "sn"))
EXPLORE = f"?tab=explore&model={COLOUR_MODEL}&dataset=cifar10&loss=sn"  # Explore's Loss control, on the ladder


@dataclass
class Rung:
    key: str
    label: str
    how: str
    loss: str  # Explore's Loss value ("" for the L2-on-D rung: a penalty, opened by its λ)
    entry: Entry | None
    verdict: str = ""  # better | worse | judges disagree | within spread ("" when not built)
    effect: Effect | None = None

    @property
    def fd(self) -> float | None:
        return float(self.entry.metrics["fd"]) if self.entry is not None else None

    @property
    def draws(self) -> list[float]:
        if self.entry is None:
            return []
        m = self.entry.metrics
        return [float(v) for v in m.get("fd_draws") or [m["fd"]]]

    @property
    def sigma(self) -> dict[str, float]:
        return dict(self.entry.extra.get("sigma_max") or {}) if self.entry is not None else {}

    @property
    def classes(self) -> float | None:
        h = self.entry.metrics.get("class_entropy") if self.entry is not None else None
        return effective_classes(float(h)) if h is not None else None


def baselines(index: ZooIndex, dataset: str = "cifar10") -> list[Entry]:
    """The colour baseline seeds: non-saturating loss, no constraint, no penalty, the family's dropout."""
    return sorted((e for e in index.find(model=COLOUR_MODEL, dataset=dataset, target="generator", train_size=0)
                   if e.is_baseline and e.setting == ("ns", "none", "all")), key=lambda e: e.seed)


def _rung_entry(index: ZooIndex, dataset: str, key: str) -> Entry | None:
    found = index.find(model=COLOUR_MODEL, dataset=dataset, train_size=0, l1=0.0, group=0.0)
    if key == "l2":
        hits = [e for e in found if e.target == "discriminator" and e.l2 > 0 and e.setting == ("ns", "none", "all")]
    else:
        want = {"none": ("wgan", "none"), "clip": ("wgan", "clip"), "gp": ("wgan", "gp"), "sn": ("ns", "sn")}[key]
        hits = [e for e in found if e.l2 == 0 and e.setting[:2] == want]
    return min(hits, key=lambda e: (e.seed, e.l2), default=None)


def ladder(index: ZooIndex, dataset: str = "cifar10") -> list[Rung]:
    """The five rungs in order, each with its entry (None where the zoo lacks it) and verdict."""
    bases = baselines(index, dataset)
    out = []
    for key, label, how, loss in RUNGS:
        e = _rung_entry(index, dataset, key)
        r = Rung(key, label, how, loss, e)
        if e is not None and bases:
            r.effect = Effect(stat(bases, of("fd")), stat([e], of("fd")))
            r.verdict = r.effect.verdict(higher_is_better=False)
        out.append(r)
    return out


def band(index: ZooIndex, dataset: str = "cifar10") -> tuple[float, float] | None:
    """(lowest, highest) FD of the baseline seeds over their noise draws."""
    draws = [d for e in baselines(index, dataset) for d in Rung("", "", "", "", e).draws]
    return (min(draws), max(draws)) if draws else None


def sigma_words(sigma: dict[str, float]) -> str:
    """'conv1 0.34 · conv2 0.96 · head 1.17' ('not recorded' when empty)."""
    return " · ".join(f"{k} {v:.2f}" for k, v in sigma.items()) or "not recorded"


def mean_sigma(entries: list[Entry]) -> dict[str, float]:
    """Per layer, the mean σ_max over `entries` (those that recorded it)."""
    per: dict[str, list[float]] = {}
    for e in entries:
        for k, v in (e.extra.get("sigma_max") or {}).items():
            per.setdefault(k, []).append(float(v))
    return {k: sum(v) / len(v) for k, v in per.items()}


def choice_label(rung: Rung) -> str:
    """Explore's Loss choice for a rung: 'gradient penalty · FD 70.1 (within spread) · σ_max 0.41/0.62/0.35'."""
    if rung.entry is None:
        return f"{rung.label} · not built"
    sig = "/".join(f"{v:.2f}" for v in rung.sigma.values())
    return f"{rung.label} · FD {rung.fd:.1f} ({rung.verdict})" + (f" · σ_max {sig}" if sig else "")


def baseline_label(index: ZooIndex, dataset: str = "cifar10") -> str:
    """Explore's Loss choice for the baseline: 'baseline (non-saturating, D free) · FD 65.2–70.2'."""
    b = band(index, dataset)
    return "baseline, D unconstrained" + (f" · FD {b[0]:.1f}–{b[1]:.1f}" if b else "")


def table(index: ZooIndex, dataset: str = "cifar10", link: bool = True) -> str:
    """The ladder as a markdown table: rung, what bounds D, FD (draws), verdict, σ_max per layer, classes;
    with `link`, each built rung opens in Explore."""
    bases = baselines(index, dataset)
    b = band(index, dataset)
    if not bases or b is None:
        return ""
    k = dataset_info(dataset).num_classes
    rows = ["| rung | what bounds D | judge FD (draws) | against the baseline | D σ_max per layer | classes |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| baseline ({len(bases)} seeds) | nothing (non-saturating loss) | {b[0]:.1f}–{b[1]:.1f} | – | "
            f"{sigma_words(mean_sigma(bases))} (mean) | "
            + "–".join(f"{effective_classes(float(e.metrics['class_entropy'])):.1f}"
                       for e in (min(bases, key=_ent), max(bases, key=_ent))) + f" of {k} |"]
    for r in ladder(index, dataset):
        name = f"[{r.label}]({_link(r, dataset)})" if link and r.entry is not None else r.label
        if r.entry is None:
            rows.append(f"| {name} | {r.how} | not built | – | – | – |")
            continue
        d = r.draws
        rows.append(f"| {name} | {r.how} | {r.fd:.1f} ({min(d):.1f}–{max(d):.1f}) | {r.verdict} | "
                    f"{sigma_words(r.sigma)} | {r.classes:.1f} of {k} |")
    return "\n".join(rows)


def _short(dataset: str) -> str:
    return dataset_info(dataset).label.split(" (")[0]


def title(dataset: str = "cifar10") -> str:
    """The ladder's title: its Learn section's heading and its plot's."""
    return f"The Lipschitz ladder: colour DCGAN on {_short(dataset)}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _ent(e: Entry) -> float:
    return float(e.metrics.get("class_entropy", 0.0))


def _link(r: Rung, dataset: str) -> str:
    q = f"?tab=explore&model={COLOUR_MODEL}&dataset={dataset}"
    if r.loss:
        return q + f"&loss={r.loss}"
    assert r.entry is not None
    return q + f"&target=discriminator&l2={r.entry.l2:g}"


def paragraph(index: ZooIndex, dataset: str = "cifar10") -> str:
    """Learn's measured paragraph on the ladder, kept short (Learn's prose stays near 1,000 words; the table is
    in the model card and on Explore): the baseline's FD range, each built rung's FD, how many are worse or
    better beyond the spread, and which keep every layer's σ_max at most 1. Empty without baselines or rungs."""
    bases, b = baselines(index, dataset), band(index, dataset)
    rungs = [r for r in ladder(index, dataset) if r.entry is not None]
    if not bases or b is None or not rungs:
        return ""
    counts = {v: sum(r.verdict == v for r in rungs) for v in ("worse", "better")}
    split = [r.label for r in rungs if r.verdict == "judges disagree"]
    if any(counts.values()):
        said = ", ".join(f"{n} of {len(rungs)} {v}" for v, n in counts.items() if n) + " beyond the spread"
    elif split:
        said = f"none of the {len(rungs)} beyond the spread under both judges"
    else:
        said = f"all {len(rungs)} within the spread"
    text = (f"{_short(dataset)}: baseline FD {b[0]:.1f}–{b[1]:.1f} ({len(bases)} seeds); "
            + ", ".join(f"{r.label} {r.fd:.1f}" for r in rungs) + f"; {said}"
            + (f" (judges disagree: {_and(split)})" if split else "") + ".")
    held = [r.label for r in rungs if r.sigma and max(r.sigma.values()) <= 1.0 + 1e-3]
    if held:
        text += f" σ_max ≤ 1 throughout: {_and(held)}."
    return text


def picture(index: ZooIndex, dataset: str = "cifar10"):
    """Learn's plot of the ladder (a normgen.zoo.learn_pictures.Picture), or None without baselines or rungs."""
    from normgen.eval.ruler import rung_label
    from normgen.render.ladder_figure import ladder_figure
    from normgen.zoo.learn_pictures import Picture

    bases, b = baselines(index, dataset), band(index, dataset)
    rungs = ladder(index, dataset)
    if not bases or b is None or not any(r.entry for r in rungs):
        return None
    rows = [(f"baseline ({len(bases)} seeds)", [float(e.metrics["fd"]) for e in bases], "baseline", mean_sigma(bases))]
    rows += [(r.label if r.entry else f"{r.label} (not built)", r.draws, r.verdict, r.sigma) for r in rungs]
    ruler = index.floors.get(dataset, {}).get("ruler", {})
    refs = [(rung_label(k), float(ruler[k])) for k in ("noise0.3", "blocks8") if k in ruler]
    draw = partial(ladder_figure, rows, band=b, refs=refs,
                   title=title(dataset))
    alt = ("The Lipschitz ladder. " + f"Baseline seeds FD {b[0]:.1f} to {b[1]:.1f}. "
           + " ".join(f"{r.label}: FD {r.fd:.1f}, {r.verdict}, largest singular values {sigma_words(r.sigma)}."
                      if r.entry else f"{r.label}: not built." for r in rungs))
    return Picture("ladder", draw(), alt, "", group="The Lipschitz ladder", narrow=partial(draw, narrow=True))
