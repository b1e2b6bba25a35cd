"""Effects against the seed spread: when a measured difference counts as an effect.

Two or three training seeds of one setting already differ (the zoo's GAN baselines by several FD), so
a difference between two settings is called an effect only when it is larger than that. `Stat` holds
one metric over the seeds of a setting; `versus_spread` places a single value against a baseline's
seeds (the full-data findings); `Effect` compares two settings, each with its seeds (the small-data
findings): "beyond the seed spread" when the difference of the means is larger than the wider of the
two min-max ranges and the ranges do not overlap, otherwise "within the seed spread".

A metric scored on generated samples (FD, the confident share) also moves when only the noise is
redrawn: `Stat.sampling` is the widest min-max range over the noise draws of the entries behind it
(normgen.zoo.rescore), and a difference must exceed that too before it is called an effect.

FD is one judge's reading. Where the zoo has a second judge (another architecture and seed, issue 25),
`Stat.second` holds the same seeds' FD under it, and an FD difference is an effect only when both judges
call it one, in the same direction; where one does and the other does not, the verdict says "judges
disagree". Every verdict names how many seeds it saw: two or three seeds under-state the spread.
"""

from __future__ import annotations

from dataclasses import dataclass

from normgen.words import fmt_num


@dataclass
class Stat:
    """A metric over the training seeds of one setting (missing values already dropped)."""

    vals: list[float]
    sampling: float = 0.0  # the widest range over noise draws of one entry (0: not measured / not sampled)
    second: Stat | None = None  # the same seeds under the second judge (FD only; None: not scored)

    @property
    def ok(self) -> bool:
        return bool(self.vals)

    @property
    def mean(self) -> float:
        return sum(self.vals) / len(self.vals)

    @property
    def lo(self) -> float:
        return min(self.vals)

    @property
    def hi(self) -> float:
        return max(self.vals)

    @property
    def width(self) -> float:
        """max - min over the seeds (0 for one seed)."""
        return self.hi - self.lo

    @property
    def n(self) -> int:
        """How many seeds."""
        return len(self.vals)

    def scaled(self, factor: float) -> Stat:
        """The same seeds in another unit (e.g. nats per pixel x pixels = nats per image)."""
        return Stat([v * factor for v in self.vals], self.sampling * abs(factor))

    def fmt(self, spec: str = ".3g", unit: str = "", compact: bool = False) -> str:
        """'21.3%', and with several seeds '21.3% (seeds 20.1-22.4%)' or compact '21.3 [20.1-22.4]'."""
        f = fmt_num if spec == ".3g" else (lambda v: format(v, spec))
        s = f"{f(self.mean)}{unit}"
        lo, hi = f(self.lo), f(self.hi)
        dash = " to " if self.lo < 0 else "-"  # "-155--150" would read as a subtraction
        if len(self.vals) > 1 and lo != hi:
            s += f" [{lo}{dash}{hi}]" if compact else f" (seeds {lo}{dash}{hi}{unit})"
        return s


def versus_spread(a: Stat, v: float) -> str:
    """Where `v` lies against the baseline seeds `a`: "inside" their range, "near" (outside it by less
    than the seeds differ from each other: two or three seeds under-state the spread) or "outside"."""
    w = max(a.hi - a.lo, a.sampling)
    if a.lo <= v <= a.hi:
        return "inside"
    return "near" if a.lo - w <= v <= a.hi + w else "outside"


def seeds_words(n: int) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} seed{'s' if n != 1 else ''}"


SPREAD_WORDS = {"inside": " (inside the seed spread of {n}: not an effect)",
                "near": " (just outside the seed spread of {n}, by less than the seeds or noise draws differ: not a "
                        "clear effect)",
                "outside": " (outside the seed spread of {n})",
                "both": " (outside the seed spread of {n}, under both judges)",
                "disagree": " (judges disagree: {first} under the first judge, {second} under the second, "
                            "whose FD reads {b0} → {b1}; not called an effect; {n})"}


def versus_both(a: Stat, b: Stat) -> str:
    """Where `b`'s mean lies against the baseline seeds `a` under the first judge (versus_spread), checked
    with the second where both have one: "both" (outside under both, the same direction), "disagree" (one
    judge outside, the other not, or opposite directions), else the first judge's place."""
    first = versus_spread(a, b.mean)
    a2, b2 = a.second, b.second
    if a2 is None or b2 is None or not (a2.ok and b2.ok) or len(a2.vals) < 2 or a2.hi <= a2.lo:
        return first
    second = versus_spread(a2, b2.mean)
    same_way = (b.mean - a.mean) * (b2.mean - a2.mean) > 0
    if first == "outside" and second == "outside":
        return "both" if same_way else "disagree"
    return "disagree" if "outside" in (first, second) else first


def change(a: Stat, b: Stat, what: str, spec: str = ".3g") -> str:
    """'FD 20.1 -> 25.3' plus a verdict, naming the baseline's seed count, when the baseline has a seed spread;
    with a second judge, the verdict holds only where both agree ("judges disagree" otherwise)."""
    s = f"{what} {a.fmt(spec)} → {b.fmt(spec)}".strip()
    if len(a.vals) > 1 and a.hi > a.lo:
        where = versus_both(a, b)
        words = {"inside": "inside", "near": "just outside", "outside": "outside"}
        kw = {"n": seeds_words(a.n)}
        if where == "disagree" and a.second is not None and b.second is not None:
            kw.update(first=words[versus_spread(a, b.mean)], second=words[versus_spread(a.second, b.second.mean)],
                      b0=a.second.fmt(spec, compact=True), b1=b.second.fmt(spec, compact=True))
        s += SPREAD_WORDS[where].format(**kw)
    elif a.vals:
        s += f" ({seeds_words(a.n)} of the baseline: no seed spread to judge by)"
    return s


@dataclass
class Effect:
    """A setting's metric (`point`, over its seeds) against the baseline's (`base`, over its seeds)."""

    base: Stat
    point: Stat

    @property
    def ok(self) -> bool:
        return self.base.ok and self.point.ok

    @property
    def diff(self) -> float:
        """point mean - baseline mean."""
        return self.point.mean - self.base.mean

    @property
    def spread(self) -> float:
        """The wider of the two seed ranges (max - min)."""
        return max(self.base.width, self.point.width)

    @property
    def sampling(self) -> float:
        """The wider of the two sampling spreads (noise redrawn, same weights; 0 when not measured)."""
        return max(self.base.sampling, self.point.sampling)

    @property
    def measurable(self) -> bool:
        """A spread needs at least two baseline seeds and two seeds in all (a one-seed point is judged
        against the baseline's range alone)."""
        return self.ok and len(self.base.vals) >= 2

    @property
    def beyond_first(self) -> bool:
        """The difference is larger than the seed spread and the sampling spread, and the two seed ranges
        do not overlap (under the first judge, or for a metric with one reading)."""
        if not self.measurable:
            return False
        apart = self.point.lo > self.base.hi or self.point.hi < self.base.lo
        return apart and abs(self.diff) > max(self.spread, self.sampling)

    @property
    def second(self) -> Effect | None:
        """The same comparison under the second judge, where both sides have one with a spread."""
        b, p = self.base.second, self.point.second
        if b is None or p is None:
            return None
        e = Effect(b, p)
        return e if e.measurable else None

    @property
    def disagree(self) -> bool:
        """One judge calls it an effect and the other does not (or they point opposite ways)."""
        s = self.second
        if s is None:
            return False
        if self.beyond_first and s.beyond_first:
            return self.diff * s.diff <= 0
        return self.beyond_first != s.beyond_first

    @property
    def beyond(self) -> bool:
        """`beyond_first`, and where a second judge scored both sides, beyond under it too, the same way."""
        return self.beyond_first and not self.disagree

    @property
    def seeds(self) -> str:
        """'2 and 3 seeds' / '3 seeds each'."""
        nb, np_ = self.base.n, self.point.n
        return f"{seeds_words(nb)} each" if nb == np_ else f"{nb} and {seeds_words(np_)}"

    def direction(self, higher_is_better: bool) -> int:
        """+1 better beyond the seed spread, -1 worse beyond it, 0 within it (or not measurable)."""
        if not self.beyond:
            return 0
        return 1 if (self.diff > 0) == higher_is_better else -1

    def verdict(self, higher_is_better: bool) -> str:
        """'better' / 'worse' (beyond the spread under every judge), 'judges disagree' (beyond it under one
        judge only, or the two the opposite way), else 'within spread': the one word a table cell gives."""
        d = self.direction(higher_is_better)
        if d:
            return "better" if d > 0 else "worse"
        return "judges disagree" if self.disagree else "within spread"

    def short(self) -> str:
        """'beyond the seed spread' / 'within the seed spread' / 'judges disagree' (the rule of `beyond`,
        without the sizes)."""
        if self.disagree:
            return "judges disagree"
        return "beyond the seed spread" if self.beyond else "within the seed spread"

    def judges_words(self) -> str:
        """', judges disagree (the second judge: ... within its seed spread)' where they do, else ''."""
        s = self.second
        if s is None or not self.disagree:
            return ""
        how = ("beyond its seed spread" if s.beyond_first else "within its seed spread")
        way = "" if not (self.beyond_first and s.beyond_first) else ", the other way"
        return (f"; judges disagree: under the second judge {fmt_num(s.base.mean)} → {fmt_num(s.point.mean)}, "
                f"{how}{way}, so not called an effect")

    def words(self, up: str, down: str, unit: str = "") -> str:
        """'narrower by 55.2 nats/image, beyond the seed spread of 7.81 nats/image' or 'narrower by 1.2
        nats/image, within the seed spread of 7.81 nats/image' (no spread words without a measured
        spread); `up` / `down` name a rise / a fall."""
        # float means of equal values can differ in the last bits (1e-14): that is no change
        same = abs(self.diff) <= 1e-9 * max(1.0, abs(self.base.mean))
        size = "unchanged" if same else (up if self.diff > 0 else down)
        if not same:
            size += f" by {fmt_num(abs(self.diff))}{unit}"
        if not self.measurable:  # the verdict says why (one baseline seed): not repeated per metric
            return size
        noise = f" and the sampling spread of {fmt_num(self.sampling)}{unit}" if self.sampling else ""
        seeds = f" ({self.seeds})"
        if self.beyond_first:
            return f"{size}, beyond the seed spread of {fmt_num(self.spread)}{unit}{noise}{seeds}{self.judges_words()}"
        if self.sampling > self.spread and abs(self.diff) <= self.sampling:
            return (f"{size}, within the sampling spread of {fmt_num(self.sampling)}{unit} (the same weights, new "
                    f"noise){seeds}{self.judges_words()}")
        return f"{size}, within the seed spread of {fmt_num(self.spread)}{unit}{noise}{seeds}{self.judges_words()}"
