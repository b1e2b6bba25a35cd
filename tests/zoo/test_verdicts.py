"""Effects against the seed and the sampling spread."""

from __future__ import annotations

from normgen.zoo.index import Entry
from normgen.zoo.readings import of, stat
from normgen.zoo.verdicts import Effect, Stat, versus_spread


def _e(seed: int = 0, **metrics) -> Entry:
    return Entry(id=f"e{seed}{sorted(metrics.items())}", file="x", model="gan", dataset="mnist", g_norm="none",
                 d_norm="none", target="generator", variant="loss", l1=0.0, l2=0.0, group=0.0, act=0.0, seed=seed,
                 steps=1, device="cpu", wall_s=1.0, sha256="0" * 64, metrics=metrics)


def test_effect_needs_both_spreads():
    base, point = Stat([50.0, 52.0]), Stat([60.0, 61.0])
    assert Effect(base, point).beyond  # 9.5 apart, seeds differ by 2
    noisy = Effect(Stat([50.0, 52.0], sampling=12.0), point)
    assert not noisy.beyond and noisy.sampling == 12.0
    assert "within the sampling spread of 12" in noisy.words("higher", "lower")
    assert "and the sampling spread" in Effect(Stat([50.0, 52.0], sampling=3.0), point).words("higher", "lower")
    assert versus_spread(Stat([50.0, 52.0], sampling=12.0), 60.0) == "near"  # within one noise range of it
    assert versus_spread(Stat([50.0, 52.0]), 60.0) == "outside"


def test_stat_takes_the_widest_sampling_spread_of_a_sampled_metric_only():
    es = [_e(0, fd=50.0, fd_sampling=4.0, d_gap=0.1), _e(1, fd=52.0, fd_sampling=7.0, d_gap=0.3)]
    s = stat(es, of("fd"))
    assert s.vals == [50.0, 52.0] and s.sampling == 7.0
    assert stat(es, of("d_gap")).sampling == 0.0  # not scored on samples: no noise-draw spread
    assert stat([_e(0, fd=50.0)], of("fd")).sampling == 0.0  # not rescored yet


def test_the_short_verdict_follows_beyond():
    far, near = Effect(Stat([3.7, 5.0]), Stat([21.6, 28.6])), Effect(Stat([93.8, 94.0]), Stat([87.7, 93.6]))
    assert far.beyond and far.short() == "beyond the seed spread"
    assert not near.beyond and near.short() == "within the seed spread"
