"""Choose λ as the sources advise: by a score on images the model did not train on (grid search with a
validation set), and with the seed spread in view.

The criterion per sweep: the held-out IWAE bound, else the held-out ELBO, for a family with an ELBO (higher is
better); on a small training set, a GAN's discriminator gap (how much better D scores its training images than
held-out ones, closer to 0 is better); else the judge FD (lower is better, its spread over noise draws counted).
The best point is the criterion's argmax (argmin); the points "indistinguishable" from it are those whose
difference is within the seed or sampling spread by the project's one verdict rule (normgen.zoo.verdicts.Effect).
The pick is the strongest penalty among the best and those: the simplest model that scores as well, the
one-standard-error rule (Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 7.10), so a point
that won on one noisy seed is not named the pick over a stronger penalty that scores the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from normgen.models import family
from normgen.regularizers import LAMBDAS
from normgen.words import fmt_num
from normgen.zoo.index import Entry
from normgen.zoo.readings import metric, of, per_image, stat
from normgen.zoo.sweeps import Sweep
from normgen.zoo.verdicts import Effect, Stat, seeds_words


@dataclass(frozen=True)
class Criterion:
    """A held-out score of an entry, which way is better, and why it is the one to choose by."""

    key: str  # the index metric it reads
    label: str  # e.g. "held-out ELBO (nats/image)"
    get: Callable[[Entry], float | None]
    higher_is_better: bool
    why: str  # the reason, as the end of one sentence


def _has(sweep: Sweep, key: str) -> bool:
    return any(metric(e, key) is not None for p in sweep.points for e in p.entries)


def _abs(get: Callable[[Entry], float | None]) -> Callable[[Entry], float | None]:
    def size(e: Entry) -> float | None:
        v = get(e)
        return None if v is None else abs(v)
    return size


def criterion(sweep: Sweep) -> Criterion | None:
    """The held-out criterion of `sweep` (None when the index has none of its metrics)."""
    fam = family(sweep.model)
    if fam.has_elbo:
        for key, name in (("iwae_test", "IWAE"), ("elbo_test", "ELBO")):
            if _has(sweep, key):
                return Criterion(key, f"held-out {name} (nats/image)", per_image(key), True,
                                 f"the {name} on held-out images rewards a model that generalizes, not one that "
                                 "memorized its training images")
    if sweep.key.train_size and "discriminator" in fam.part_names and _has(sweep, "d_gap"):
        return Criterion("d_gap", "D gap, train - held-out logit (size)", _abs(of("d_gap")), False,
                         "on few images the discriminator memorizes them first, so the smallest gap between its "
                         "scores on training and held-out images marks the least overfit setting")
    if _has(sweep, "fd"):
        return Criterion("fd", "judge FD (lower = better)", of("fd"), False,
                         "FD is scored on held-out real images and fresh samples, so it measures the images the "
                         "model makes, not how well it fits its training set")
    return None


def _tied(a: Stat, b: Stat, ref: Stat | None = None) -> bool | None:
    """Whether a and b are within the seed / sampling spread of each other by Effect's rule; with one seed on
    both sides, within the baseline's seed spread `ref` (the plots' shaded band) or the sampling spread
    (None: no spread measured anywhere)."""
    for base, point in ((a, b), (b, a)):
        e = Effect(base, point)
        if e.measurable:
            return not e.beyond
    if ref is not None and len(ref.vals) >= 2:
        return abs(a.mean - b.mean) <= max(ref.width, a.sampling, b.sampling)
    return None


@dataclass
class Choice:
    criterion: Criterion
    stats: list[Stat]  # per point of the sweep (an empty Stat where the point lacks the metric)
    best: int  # index of the point with the best score
    tied: list[int]  # the points indistinguishable from it
    unknown: list[int]  # the points that cannot be told apart (no seed spread on either side)
    pick: int  # the strongest penalty among the best and the tied (the best on a sweep that is not over a λ)


def choose(sweep: Sweep) -> Choice | None:
    """The point the held-out criterion picks and the points within its spread (None: no criterion or values)."""
    crit = criterion(sweep)
    if crit is None:
        return None
    stats = [stat(p.entries, crit.get) for p in sweep.points]
    scored = [i for i, s in enumerate(stats) if s.ok]
    if not scored:
        return None
    sign = 1.0 if crit.higher_is_better else -1.0
    best = max(scored, key=lambda i: (sign * stats[i].mean, -i))  # ties: the first (the smaller λ)
    tied, unknown = [], []
    ref = stats[0] if sweep.has_baseline else None
    for i in scored:
        if i != best:
            t = _tied(stats[best], stats[i], ref)
            (unknown if t is None else tied if t else []).append(i)
    xs = sweep.x_values() if sweep.key.kind in LAMBDAS else None
    pick = best if xs is None else max([best, *tied], key=lambda i: (xs[i], i == best))
    return Choice(crit, stats, best, tied, unknown, pick)


def choice_markdown(sweep: Sweep) -> str:
    """'**λ to pick: L1 1e-4** ...': the pick, the best score when it is another point's, the indistinguishable points,
    whether the baseline is among them, and the reason, in a few lines. Each
    score is a point's mean over its training seeds and says how many (the strip's labels beside it are one
    seed's: Compare showed "1e-4 · FD 58" under a pick that said "L1 1e-4 (54.1)" without saying why)."""
    c = choose(sweep)
    if c is None:
        return ""
    names = [p.label() for p in sweep.points]

    def value(st: Stat) -> str:  # a point's score: its mean over the training seeds it has, said as such
        n = len(st.vals)
        return fmt_num(st.mean) + (f", mean of {seeds_words(n)}" if n > 1 else f", {seeds_words(n)}")

    best = f"{names[c.best]} ({value(c.stats[c.best])})"
    if c.pick != c.best:
        lines = [f"**λ to pick: {names[c.pick]}** ({value(c.stats[c.pick])}): the strongest penalty within the seed "
                 f"or sampling spread of the best {c.criterion.label}, {best}, so the simplest model with the same "
                 "score (the one-standard-error rule)."]
    else:
        lines = [f"**λ to pick: {names[c.best]}**, the best {c.criterion.label}: {value(c.stats[c.best])}."]
    others = [i for i in c.tied if i != c.pick]
    if others:
        lines.append(("Also indistinguishable from the best" if c.pick != c.best else
                      "Indistinguishable from it (within the seed or sampling spread)") + ": "
                     + ", ".join(f"{names[i]} ({value(c.stats[i])})" for i in others)
                     + ("" if c.pick != c.best else "; none has a stronger penalty, so the pick stands"
                        if sweep.key.kind in LAMBDAS else "; among equals, prefer the simpler model") + ".")
    if sweep.has_baseline and 0 in others + [c.pick] and 0 != c.best:
        lines.append(f"{names[0]} is among them: by this score no λ here measurably beats it.")
    if not c.tied:
        lines.append("No other point is within its seed spread." if not c.unknown else "")
    if c.unknown:
        lines.append("No seed spread measured, so these cannot be told apart from it: "
                     + ", ".join(names[i] for i in c.unknown) + ".")
    lines.append(f"Why this score: {c.criterion.why}.")
    return " ".join(line for line in lines if line)


__all__ = ["Criterion", "Choice", "criterion", "choose", "choice_markdown"]
