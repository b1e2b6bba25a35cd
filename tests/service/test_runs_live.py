"""Live training runs (no server): λ changed while a run trains (applied from the next step, in the
run's history, its downloads and its command), and the admission line (per-visitor and server caps,
places and waits, a stopped waiting run giving its place up)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from ui_zoo import build_tiny_zoo

from normgen.engine.live_lambdas import LiveLambdas
from normgen.engine.train import train
from normgen.regularizers import RegConfig
from normgen.service import admission as A
from normgen.service import cpu_share, runs, train_plan


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


@pytest.fixture
def fresh_admission():
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    yield A.admission()
    A.set_admission(old)


def _plan(zoo: Path, steps: int, l1: float = 1e-4, seconds: float = 60):
    plan = train_plan.plan_run("gan", "shapes", "none", l1, 0, "generator", "loss", 0, steps, seconds, "finetune",
                             root=str(zoo), device="cpu")
    return replace(plan, cfg=replace(plan.cfg, log_every=5, sample_every=10))


# ----------------------------------------------------------------------------------------------
# the engine: a pending change is applied between steps


def test_a_pending_lambda_change_applies_from_the_next_step(shapes_small, make_tiny_config):
    cfg = make_tiny_config("gan", steps=30, reg=RegConfig(l1=0.0))
    live = LiveLambdas()

    def progress(p):
        if p.step == 10:
            live.request(l1=1e-2)

    res = train(replace(cfg, log_every=5), data=shapes_small, device="cpu", progress=progress, live=live)
    assert live.changes == [{"step": 10, "name": "l1", "old": 0.0, "new": 1e-2}]
    by_step = {r["step"]: r for r in res.history}
    assert "pen_l1_generator" not in by_step[10] and by_step[15]["pen_l1_generator"] > 0
    assert res.config.reg.l1 == 1e-2  # the result's config holds the λ in force at the end


def test_without_a_request_the_run_is_the_plain_one(shapes_small, make_tiny_config):
    cfg = make_tiny_config("gan", steps=12, reg=RegConfig(l1=1e-3))
    a = train(cfg, data=shapes_small, device="cpu")
    b = train(cfg, data=shapes_small, device="cpu", live=LiveLambdas())
    strip = [{k: v for k, v in r.items() if k != "time"} for r in a.history]
    assert strip == [{k: v for k, v in r.items() if k != "time"} for r in b.history]


def test_a_bad_lambda_request_names_the_lambda_and_its_range():
    live = LiveLambdas()
    with pytest.raises(ValueError, match=r"l2 must be a finite number in \[0, 10\]"):
        live.request(l2=-1)
    with pytest.raises(ValueError, match="unknown λ lr"):
        live.request(lr=1e-3)


# ----------------------------------------------------------------------------------------------
# the service: a change reaches the running run and its history, downloads and command


def test_lambda_changed_mid_run_shows_in_the_history_and_downloads(zoo, fresh_admission):
    run = runs.start_run(_plan(zoo, 3000), session="a")
    said = ""
    for s in runs.stream(run, poll=0.05):
        if s.step >= 10 and not said:
            said = run.set_lambdas(l1=1e-2, l2=1e-3)
        if run.live.changes and s.step >= run.live.changes[0]["step"] + 10:
            break
    snap = runs.stop(run)
    assert "L1 λ 1e-4 → 1e-2" in said and "L2 λ 0 → 1e-3" in said and "from the next step" in said
    changes = snap.changes
    assert [(c["name"], c["old"], c["new"]) for c in changes] == [("l1", 1e-4, 1e-2), ("l2", 0.0, 1e-3)]
    step = changes[0]["step"]
    assert step >= 10 and snap.lambdas == {"l1": 1e-2, "l2": 1e-3}
    after = [r for r in snap.history if r["step"] > step]
    assert after and all("pen_l2_generator" in r for r in after)
    assert not any("pen_l2_generator" in r for r in snap.history if r["step"] <= step)
    meta = json.loads(Path(snap.files["config"]).read_text())
    assert meta["lambda_changes"][0]["step"] == step and meta["config"]["reg"]["l1"] == 1e-2
    assert "--l1 0.0001" in snap.command
    assert "reproduces the start setting, not the schedule" in snap.command
    run.cleanup()


def test_a_finished_run_keeps_its_lambda(zoo, fresh_admission):
    run = runs.start_run(_plan(zoo, 10), session="a")
    list(runs.stream(run, poll=0.05))
    assert "next run" in run.set_lambdas(l1=1.0) and run.snapshot().changes == []
    run.cleanup()


# ----------------------------------------------------------------------------------------------
# admission


def test_caps_refuse_at_once_and_places_are_reported():
    adm = A.Admission(slots=1, per_session=1, max_runs=3)
    never = lambda: False  # noqa: E731
    first = adm.admit("a", 40, never)
    with pytest.raises(A.Refused, match="You already have a run training or waiting"):
        adm.admit("a", 40, never)
    second, third = adm.admit("b", 30, never), adm.admit("c", 20, never)
    with pytest.raises(A.Refused, match=r"3 runs are training or waiting.*\(3\).*try again in about"):
        adm.admit("d", 10, never)
    assert adm.wait_turn(first, never)
    assert adm.position(first) == (0, 0.0)
    place, wait = adm.position(second)
    assert place == 1 and 35 < wait <= 40
    place, wait = adm.position(third)
    assert place == 2 and 65 < wait <= 70
    assert A.ordinal(2) == "2nd" and A.ordinal(11) == "11th" and A.wait_words(40) == "about 40 s"
    adm.release(first)
    assert adm.wait_turn(second, never) and adm.position(third)[0] == 1


def test_a_guessed_wait_takes_the_pace_of_its_kind_not_the_whole_budget():
    """Issue 23: a run that came while another trained (no probe) was reckoned at its 60 s budget, and a
    cold class was told 86 s for a 23 s wait. Now it takes a measured ticket of its kind, then the pace
    learned from ended runs; only a kind nothing is known about keeps the budget."""
    adm = A.Admission(slots=1, per_session=1, max_runs=4)
    never = lambda: False  # noqa: E731
    kind = ("gan", "mnist", "finetune", "cpu")
    first = adm.admit("a", 20, never, kind=kind, steps=40)
    assert adm.wait_turn(first, never)
    learned: list[float] = []
    second = adm.admit("b", 60, never, kind=kind, steps=40, guessed=True,
                       refine=lambda: learned[-1] if learned else None)
    other = adm.admit("c", 60, never, kind=("vae", "mnist", "finetune", "cpu"), steps=40, guessed=True)
    place, wait = adm.position(other)
    assert place == 2 and 35 < wait <= 40  # 20 s left of the first, 20 s for the second (not 60)
    assert A.expectation(other, [first, second, other]) == 60  # nothing known about its kind
    half = adm.admit("d", 60, never, kind=kind, steps=20, guessed=True)
    assert A.expectation(half, [first, half]) == 10  # per step, for its own steps
    learned.append(30.0)
    assert A.expectation(second, [first, second]) == 30  # an ended run of its kind now speaks
    adm.release(first)  # ended at once: actual / expected is clamped to 0.1, so the pace is 0.55
    assert adm._pace == pytest.approx(0.55)
    assert adm.wait_turn(second, never)
    adm.release(second)  # a guessed ticket's time against its budget does not skew the others' pace
    assert adm._pace == pytest.approx(0.55)


def test_a_measured_wait_takes_the_runs_that_ended_over_its_probe():
    """A probe-based expectation told a cold class 1.4x its waits (load test, class phase: actual / told 0.70
    at the median, 0.875 of the tellings within 1.5x). Once a run of its kind has ended here, a ticket's
    expectation is that kind's measured wall time, not its probe's scaled by the pace of every ended run."""
    kind = ("gan", "mnist", "finetune", "cpu")
    learned: list[float] = []
    never = lambda: False  # noqa: E731
    t = A.Ticket("a", 9.0, never, kind=kind, steps=60, refine=lambda: learned[-1] if learned else None)
    assert A.expectation(t, [t], pace=0.5) == 4.5  # nothing ended yet: the probe's, at the pace
    learned.append(5.5)
    assert A.expectation(t, [t], pace=0.5) == 5.5  # its kind's ended runs, not scaled again
    adm = A.Admission(slots=1, per_session=1, max_runs=4)
    first = adm.admit("a", 9.0, never, kind=kind, steps=60, refine=lambda: learned[-1])
    assert adm.wait_turn(first, never)
    behind = adm.admit("b", 9.0, never, kind=kind, steps=60, refine=lambda: learned[-1])
    _, wait = adm.position(behind)
    assert 5.0 < wait <= 5.5  # the first's measured 5.5 s less what it has trained, not its probe's 9 s


def test_a_stopped_run_holds_the_line_only_for_its_tail(zoo, fresh_admission):
    """Issue 23: a class that pressed Start just after a long run was stopped was told about 63 s (the
    stopped run's budget) for a 2 s wait. A stopped run's place now ends with its tail (measuring the kept
    model and writing its files): the line behind it is told that, and it is what the wait then is."""
    run = runs.start_run(replace(_plan(zoo, 3000), expected_s=60.0), session="a")
    for s in runs.stream(run, poll=0.05):
        if s.step >= 10:
            break
    behind = fresh_admission.admit("b", 10, lambda: False)
    before = fresh_admission.position(behind)[1]  # the rest of 3,000 steps (at the measured pace, in 60 s)
    assert before > run.tail_s() + 5  # the whole remaining run, not its tail (17.5 s on a fast machine: not > 20)
    run.stop_event.set()
    deadline = time.monotonic() + 10
    while not run._stop_told and time.monotonic() < deadline:
        time.sleep(0.02)
    told = fresh_admission.position(behind)[1]
    t0 = time.monotonic()
    assert run._stop_told and told <= run.tail_s() + 1.0
    assert run.done.wait(30)
    assert time.monotonic() - t0 < 30  # it ended: the tail, not the budget
    fresh_admission.release(behind)
    run.cleanup()


def test_a_stopped_waiting_run_gives_its_place_up():
    adm = A.Admission(slots=1, per_session=1, max_runs=2)
    never, stop = (lambda: False), threading.Event()
    first = adm.admit("a", 40, never)
    adm.wait_turn(first, never)
    second = adm.admit("b", 40, stop.is_set)
    places: list[int] = []
    got: list[bool] = []
    th = threading.Thread(target=lambda: got.append(adm.wait_turn(second, stop.is_set,
                                                                  lambda p, s: places.append(p), poll=0.05)))
    th.start()
    time.sleep(0.2)
    stop.set()
    th.join(5)
    assert got == [False] and places and places[0] == 1
    assert adm.counts() == {"running": 1, "waiting": 0}
    adm.admit("b", 40, never)  # the same visitor may start again


def test_a_queued_run_waits_for_its_turn_and_says_its_place(zoo, fresh_admission):
    long = runs.start_run(_plan(zoo, 3000), session="a")
    while long.status != "running":
        time.sleep(0.05)
    queued = runs.start_run(_plan(zoo, 20), session="b")
    with pytest.raises(A.Refused):
        runs.start_run(_plan(zoo, 20), session="b")  # one live run per visitor
    deadline = time.monotonic() + 20
    while not queued.message.startswith("1st in line") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queued.status == "waiting" and "1st in line, about" in queued.message and queued.step == 0
    # the queued run's visitor keeps reading its stream (its heartbeat) while the long run stops: on a busy
    # machine stopping and saving that run took over HEARTBEAT_S, and the unread queued run stopped itself
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(runs.stream(queued, poll=0.05)))
    reader.start()
    runs.stop(long)
    reader.join(180)
    last = got[-1]
    assert last.status == "finished" and last.step == 20, (last.status, last.message, last.step)
    assert fresh_admission.counts() == {"running": 0, "waiting": 0}
    long.cleanup()
    queued.cleanup()


def test_a_settling_request_applies_once_no_newer_one_came():
    live = LiveLambdas()
    reg = RegConfig(l1=0.0)
    live.request(0.3, l1=1e-5)
    live.request(0.3, l1=1e-3)  # a slider still moving: the newer value replaces the older
    assert live.take(reg, 5) is None and live.changes == []
    time.sleep(0.35)
    assert live.take(reg, 9).l1 == 1e-3
    assert live.changes == [{"step": 9, "name": "l1", "old": 0.0, "new": 1e-3}]  # one change, not two


def test_a_run_gives_explore_a_core_while_it_serves_and_takes_it_back_when_idle(zoo, monkeypatch):
    """The real policy (cpu_share.Governor): an Explore request held in flight takes a thread from the run, and
    the run tells its child (process or thread) how many to train with."""

    class Child:  # the run's end of its child's pipe (train_process.TrainProcess / TrainThread)
        def __init__(self) -> None:
            self.sent: list[tuple] = []

        def send(self, msg: tuple) -> bool:
            self.sent.append(msg)
            return True

    monkeypatch.setattr(runs, "TRAIN_THREADS", 2)
    monkeypatch.setattr(runs, "SHARE_CHECK_S", 0.0)
    monkeypatch.setattr(cpu_share, "EXPLORE_QUIET_S", 0.0)
    run = runs.Run(_plan(zoo, 5))
    run.process = child = Child()
    assert run.threads == 2
    with runs.governor().explore():  # a visitor's request in flight
        assert not run.should_stop()  # asked before every step: the run trains with one thread
        assert run.threads == 1
    assert not run.should_stop()  # the request ended: the run takes both again
    assert run.threads == 2 and child.sent == [("threads", 1), ("threads", 2)]


def test_a_run_trains_nicer_than_the_server_that_serves_explore(zoo, monkeypatch):
    """The worker thread lowers its own priority (Linux: that thread and the torch threads it starts), so a
    training step never takes a core from an Explore request; the server's threads keep theirs."""
    import os

    monkeypatch.setenv("NORMGEN_TRAIN_NICE", "3")
    monkeypatch.setattr(runs, "HEARTBEAT_S", 300.0)  # no page reads this run's stream (a loaded machine was slower)
    here = os.getpriority(os.PRIO_PROCESS, 0)
    run = runs.start_run(_plan(zoo, 10))
    assert run.done.wait(120), run.message
    assert run.status == "finished", run.message
    assert run.nice == min(19, here + 3)
    assert os.getpriority(os.PRIO_PROCESS, 0) == here  # this thread (and the process) untouched
    assert cpu_share.lower_thread_priority(0) == here  # 0: nothing changes
