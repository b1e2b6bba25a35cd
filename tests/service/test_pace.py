"""Run-time estimates learned from the runs that ended: the fixed part and the per-step pace,
and a real short run whose estimate is compared with its actual time."""

from __future__ import annotations

import time

import pytest
from ui_zoo import build_tiny_zoo

from normgen.service import run_estimate, runs, train_plan
from normgen.service.pace import COLD_OVERHEAD_S, COLD_SLOWDOWN, COLD_TAIL_S, PaceBook

KIND = ("gan", "mnist", "finetune", "cpu")


def test_a_cold_estimate_is_the_probe_and_the_start_up_allowance():
    e = PaceBook().estimate(KIND, steps=100, max_seconds=60, probe_s_per_step=0.05)
    assert e["overhead_s"] == COLD_OVERHEAD_S and e["s_per_step"] == pytest.approx(0.05 * COLD_SLOWDOWN)
    assert e["seconds"] == pytest.approx(COLD_OVERHEAD_S + 100 * 0.05 * COLD_SLOWDOWN)


def test_an_ended_run_teaches_its_kind_overhead_and_pace():
    book = PaceBook()
    book.record(KIND, wall_s=42.0, train_s=30.0, steps=150, probe_s_per_step=0.05)
    e = book.estimate(KIND, steps=150, max_seconds=60, probe_s_per_step=0.05)
    assert e["overhead_s"] == pytest.approx(12.0) and e["s_per_step"] == pytest.approx(0.2)
    assert e["seconds"] == pytest.approx(42.0)  # the same run again: what it took
    capped = book.estimate(KIND, steps=600, max_seconds=60, probe_s_per_step=0.05)
    assert capped["seconds"] == pytest.approx(12.0 + 60) and capped["steps"] == 300  # the budget ends it


def test_another_kind_learns_the_slowdown_against_its_probe():
    book = PaceBook()
    book.record(KIND, wall_s=42.0, train_s=30.0, steps=150, probe_s_per_step=0.05)  # 4x its probe
    other = ("vae", "mnist", "finetune", "cpu")
    e = book.estimate(other, steps=100, max_seconds=600, probe_s_per_step=0.01)
    assert e["s_per_step"] == pytest.approx(0.04) and e["overhead_s"] == pytest.approx(12.0)
    assert not book.knows(other) and book.knows(KIND)


def test_the_tail_after_the_last_step_is_learned_per_kind_then_from_any_run():
    book = PaceBook()
    assert book.tail(KIND) is None  # nothing ended yet: the run falls back to COLD_TAIL_S
    book.record(KIND, wall_s=42.0, train_s=30.0, steps=150, probe_s_per_step=0.05, tail_s=2.0)
    book.record(KIND, wall_s=44.0, train_s=30.0, steps=150, probe_s_per_step=0.05, tail_s=4.0)
    assert book.tail(KIND) == pytest.approx(3.0)
    other = ("vae", "mnist", "finetune", "cpu")
    assert book.tail(other) == pytest.approx(3.0)  # any run here, until one of its own kind ends
    book.record(other, wall_s=20.0, train_s=10.0, steps=50, probe_s_per_step=None, tail_s=9.0)
    assert book.tail(other) == pytest.approx(9.0)


def test_a_run_training_now_gives_its_measured_start_up_before_any_run_ended():
    """CI's class phase told a cold class 1.4-1.7x its waits (17 s for 9.8 s): the 6 s start-up allowance against
    2.2-3.5 s measured. Once a run reports its first step, the line's estimates take its start-up as measured."""
    book = PaceBook()
    assert not book.has_startups()
    book.started(KIND, 2.5)
    other = ("vae", "mnist", "finetune", "cpu")
    for kind in (KIND, other):  # its own kind's start-ups, else any run's
        e = book.estimate(kind, steps=20, max_seconds=60, probe_s_per_step=0.03)
        assert e["overhead_s"] == pytest.approx(2.5 + COLD_TAIL_S) and "training now" in e["source"]
    assert book.has_startups() and not book.knows(KIND)  # a start-up is not an ended run
    book.record(KIND, wall_s=7.5, train_s=2.6, steps=31, probe_s_per_step=0.03, tail_s=1.5, ran_course=False)
    e = book.estimate(KIND, steps=20, max_seconds=60, probe_s_per_step=0.03)
    assert e["overhead_s"] == pytest.approx(2.5 + 1.5)  # a stopped run's tail, measured, over the allowance


def test_a_stopped_run_teaches_its_tail_but_not_its_pace():
    """The load test's flood phase stops a run it slowed with Explore calls (0.085 s a step against the class's
    0.026): its pace told the class behind it 1.5x its waits. A stopped run gives its tail only."""
    book = PaceBook()
    book.record(KIND, wall_s=7.5, train_s=2.6, steps=31, probe_s_per_step=0.03, tail_s=2.0, ran_course=False)
    assert not book.knows(KIND) and book.tail(KIND) == pytest.approx(2.0)
    assert book.estimate(KIND, steps=20, max_seconds=60, probe_s_per_step=0.03)["overhead_s"] == COLD_OVERHEAD_S
    book.record(KIND, wall_s=4.5, train_s=0.5, steps=20, probe_s_per_step=0.03, tail_s=1.5)
    e = book.estimate(KIND, steps=20, max_seconds=60, probe_s_per_step=None)
    assert book.knows(KIND) and e["seconds"] == pytest.approx(4.5)  # the run that ran its course alone


FACTOR = 3.0  # a short run's learned estimate against its actual time, either way: a shared 2-core machine under
# load (CI beside other jobs) measured 2.04x once; the load test's class phase holds the 1.5x goal


@pytest.mark.slow
def test_a_short_run_lands_within_the_stated_factor_of_its_estimate(tmp_path, monkeypatch):
    zoo = build_tiny_zoo(tmp_path / "zoo").parent
    monkeypatch.setattr(run_estimate, "BOOK", PaceBook())
    monkeypatch.setattr(runs, "BOOK", run_estimate.BOOK)
    monkeypatch.setattr(runs, "HEARTBEAT_S", 300.0)  # no page reads these runs' streams

    def one_run() -> tuple[float, float]:
        plan = run_estimate.prepare(train_plan.plan_run("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0, 60,
                                                        60, "finetune", root=str(zoo), device="cpu"))
        t0 = time.monotonic()
        run = runs.start_run(plan)
        assert run.done.wait(300)
        assert run.status == "finished", run.message
        return plan.expected_s, time.monotonic() - t0

    one_run()  # teaches the book this kind, and its tail: measured in a run trained in its own process too
    assert run_estimate.BOOK.tail(runs.pace_kind(train_plan.plan_run(
        "gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0, 60, 60, "finetune", root=str(zoo),
        device="cpu"))) is not None
    expected, actual = one_run()
    print(f"estimate {expected:.1f} s, actual {actual:.1f} s")
    assert 1 / FACTOR <= actual / expected <= FACTOR, (expected, actual)
