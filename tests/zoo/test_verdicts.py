"""Effects against the seed and the sampling spread."""

from __future__ import annotations

from normgen.zoo.index import Entry
from normgen.zoo.readings import of, stat
from normgen.zoo.verdicts import Effect, Stat, change, versus_spread


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


def test_two_judges_must_agree_before_an_fd_difference_is_an_effect():
    base = Stat([50.0, 52.0], second=Stat([30.0, 31.0]))
    agree = Effect(base, Stat([60.0, 61.0], second=Stat([40.0, 41.0])))
    assert agree.beyond and not agree.disagree and agree.short() == "beyond the seed spread"
    split = Effect(base, Stat([60.0, 61.0], second=Stat([30.5, 31.2])))  # the second judge sees no change
    assert split.beyond_first and split.disagree and not split.beyond
    assert split.short() == "judges disagree"
    assert "judges disagree" in split.words("higher", "lower")
    opposite = Effect(base, Stat([60.0, 61.0], second=Stat([20.0, 21.0])))
    assert opposite.disagree and not opposite.beyond
    assert not Effect(Stat([50.0, 52.0]), Stat([60.0, 61.0])).disagree  # one judge: its verdict stands
    # a table cell's one word: never "within spread" where the first judge alone saw an effect
    assert [e.verdict(higher_is_better=False) for e in (agree, split, opposite)] == ["worse", "judges disagree",
                                                                                    "judges disagree"]
    assert Effect(base, Stat([50.5, 51.5], second=Stat([30.2, 30.8]))).verdict(False) == "within spread"


def test_change_names_the_seed_count_and_a_judges_disagreement():
    base = Stat([50.0, 52.0], second=Stat([30.0, 31.0]))
    both = change(base, Stat([70.0], second=Stat([45.0])), "FD")
    assert "(outside the seed spread of 2 seeds, under both judges)" in both
    split = change(base, Stat([70.0], second=Stat([30.5])), "FD")
    assert "judges disagree" in split and "2 seeds" in split
    assert "inside the seed spread of 2 seeds" in change(Stat([50.0, 52.0]), Stat([51.0]), "FD")
    assert "1 seed of the baseline" in change(Stat([50.0]), Stat([60.0]), "FD")
    assert "(2 and 1 seed)" in Effect(Stat([50.0, 52.0]), Stat([70.0])).words("higher", "lower")


def test_stat_of_fd_carries_the_second_judge_only_where_every_seed_has_it():
    es = [_e(0, fd=50.0, fd2=30.0, fd2_sampling=1.0), _e(1, fd=52.0, fd2=31.0)]
    s = stat(es, of("fd"))
    assert s.second is not None and s.second.vals == [30.0, 31.0] and s.second.sampling == 1.0
    assert stat([_e(0, fd=50.0, fd2=30.0), _e(1, fd=52.0)], of("fd")).second is None
