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
"""

from __future__ import annotations

from dataclasses import dataclass

from normgen.render.figures import fmt_num


@dataclass
class Stat:
    """A metric over the training seeds of one setting (missing values already dropped)."""

    vals: list[float]
    sampling: float = 0.0  # the widest range over noise draws of one entry (0: not measured / not sampled)

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


SPREAD_WORDS = {"inside": " (inside the seed spread: not an effect)",
                "near": " (just outside the seed spread, by less than the seeds or noise draws differ: not a clear "
                        "effect)",
                "outside": " (outside the seed spread)"}


def change(a: Stat, b: Stat, what: str, spec: str = ".3g") -> str:
    """'FD 20.1 -> 25.3' plus a verdict when the baseline has a seed spread."""
    s = f"{what} {a.fmt(spec)} → {b.fmt(spec)}".strip()
    if len(a.vals) > 1 and a.hi > a.lo:
        s += SPREAD_WORDS[versus_spread(a, b.mean)]
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
    def beyond(self) -> bool:
        """The difference is larger than the seed spread and the sampling spread, and the two seed ranges
        do not overlap."""
        if not self.measurable:
            return False
        apart = self.point.lo > self.base.hi or self.point.hi < self.base.lo
        return apart and abs(self.diff) > max(self.spread, self.sampling)

    def direction(self, higher_is_better: bool) -> int:
        """+1 better beyond the seed spread, -1 worse beyond it, 0 within it (or not measurable)."""
        if not self.beyond:
            return 0
        return 1 if (self.diff > 0) == higher_is_better else -1

    def short(self) -> str:
        """'beyond the seed spread' / 'within the seed spread' (the rule of `beyond`, without the sizes)."""
        return "beyond the seed spread" if self.beyond else "within the seed spread"

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
        if self.beyond:
            return f"{size}, beyond the seed spread of {fmt_num(self.spread)}{unit}{noise}"
        if self.sampling > self.spread and abs(self.diff) <= self.sampling:
            return f"{size}, within the sampling spread of {fmt_num(self.sampling)}{unit} (the same weights, new noise)"
        return f"{size}, within the seed spread of {fmt_num(self.spread)}{unit}{noise}"
