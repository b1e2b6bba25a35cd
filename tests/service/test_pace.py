"""Run-time estimates learned from the runs that ended: the fixed part and the per-step pace,
and a real short run whose estimate is compared with its actual time."""

from __future__ import annotations

import time

import pytest
from ui_zoo import build_tiny_zoo

from normgen.service import run_estimate, runs, sessions
from normgen.service.pace import COLD_OVERHEAD_S, COLD_SLOWDOWN, PaceBook

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


FACTOR = 3.0  # a short run's learned estimate against its actual time, either way: a shared 2-core machine under
# load (CI beside other jobs) measured 2.04x once; the load test's class phase holds the 1.5x goal


@pytest.mark.slow
def test_a_short_run_lands_within_the_stated_factor_of_its_estimate(tmp_path, monkeypatch):
    zoo = build_tiny_zoo(tmp_path / "zoo").parent
    monkeypatch.setattr(run_estimate, "BOOK", PaceBook())
    monkeypatch.setattr(runs, "BOOK", run_estimate.BOOK)
    monkeypatch.setattr(runs, "HEARTBEAT_S", 300.0)  # no page reads these runs' streams

    def one_run() -> tuple[float, float]:
        plan = run_estimate.prepare(sessions.plan_run("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0, 60, 60,
                                                      "finetune", root=str(zoo), device="cpu"))
        t0 = time.monotonic()
        run = runs.start_run(plan)
        assert run.done.wait(300)
        assert run.status == "finished", run.message
        return plan.expected_s, time.monotonic() - t0

    one_run()  # teaches the book this kind
    expected, actual = one_run()
    print(f"estimate {expected:.1f} s, actual {actual:.1f} s")
    assert 1 / FACTOR <= actual / expected <= FACTOR, (expected, actual)
